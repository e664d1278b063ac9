/*
 * keystore.c: the identities the agent holds, their constraints and
 * lifetimes, and lock/unlock.  Loop thread only, except identity_ref and
 * identity_unref (atomic: a job on a worker holds a reference).
 */
#ifndef SKA_KEYSTORE_H
#define SKA_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"
#include "sshbuf.h"

/* restrict-destination-v00@openssh.com (OpenSSH's PROTOCOL.agent) */
struct dest_hopkey {
	struct key *key;
	int is_ca;
};
struct dest_hop {
	char *user;			/* NULL: any user */
	char *host;			/* NULL: this machine (first hop's origin) */
	struct dest_hopkey *keys;
	size_t nkeys;
};
struct dest_constraint {
	struct dest_hop from, to;
};
void dest_constraints_free(struct dest_constraint *d, size_t n);

struct p11_module;

struct identity {
	struct key *key;		/* public only while the agent is locked */
	char *comment;
	uint64_t death_ms;		/* monotonic; 0 = never */
	int confirm;
	char *sk_provider;
	struct p11_module *p11;		/* a PKCS#11 module's key (p11.h), */
	uint32_t p11_key;		/* its number in the module's list */
	int p11_auth;			/* the PIN for each signature */
	struct dest_constraint *dest;
	size_t ndest;
	uint8_t *sealed;		/* private form, encrypted while locked */
	size_t sealedlen;
	int refs;			/* atomic: the store + jobs in flight */
	int sk_token;			/* presence.c: its token (index), 0 unknown */
	int sk_probe;			/* presence.c: probe state */
	uint64_t sk_probe_ms;		/* presence.c: last probe started */
	struct identity *hnext;		/* hash chain */
	struct identity *prev, *next;	/* insertion order */
};

int keystore_init(void) SKA_WUR;
struct identity *keystore_lookup(const uint8_t *blob, size_t len);
/* Takes ownership of id (refs 1); replaces an identity with the same blob. */
void keystore_add(struct identity *id);
/*
 * Removing a key (one, all, or by its lifetime) first cancels the
 * signatures that wait with it (request.h): none completes afterwards.
 */
int keystore_remove(const uint8_t *blob, size_t len);
void keystore_remove_all(void);
size_t keystore_count(void);
/* How many identities carry destination constraints. */
size_t keystore_nconstrained(void);
struct identity *keystore_first(void);
/* Drops expired identities; returns the next death (0: none). */
uint64_t keystore_expire(uint64_t now_ms);
struct identity *identity_new(void);
void identity_ref(struct identity *id);
void identity_unref(struct identity *id);
/* An sk key signed through a provider library (ssh-add -S), not our tokens. */
int identity_sk_external(const struct identity *id);

/* Lock/unlock (run the KDF on a worker; the apply steps on the loop). */
int keystore_locked(void);
int keystore_lock_prepare(const char *pw, size_t pwlen, uint8_t salt[16],
    uint8_t derived[64]);
int keystore_lock_apply(const uint8_t salt[16], const uint8_t derived[64]) SKA_WUR;
void keystore_unlock_salt(uint8_t salt[16]);
/* The fuzz harness makes the lock KDF cheap; nothing else should. */
void keystore_set_kdf_limits(unsigned long long ops, size_t mem);
int keystore_unlock_apply(const uint8_t derived[64]) SKA_WUR;
void keystore_wipe(void);
/* The cached REQUEST_IDENTITIES body (n, blob, comment...) for unrestricted views. */
const struct sshbuf *keystore_identities_answer(void);

#endif
