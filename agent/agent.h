/*
 * The skagent daemon: one event loop (loop.c) owns every socket and all
 * agent state; slow work (signatures, key derivation, token waits) runs on
 * worker threads (pool.c) and comes back to the loop as a completion.  Only
 * the loop thread touches connections and the keystore; workers see a job
 * and the identity it holds a reference to.
 */
#ifndef SKA_AGENT_H
#define SKA_AGENT_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "key.h"
#include "sshbuf.h"

#define AGENT_MAX_LEN		(256 * 1024)	/* largest frame, as OpenSSH */
#define AGENT_MAX_BINDS		16

/* Message numbers (PROTOCOL.agent, draft-ietf-sshm-ssh-agent) */
#define SSH_AGENT_FAILURE			5
#define SSH_AGENT_SUCCESS			6
#define SSH_AGENTC_REMOVE_ALL_RSA_IDENTITIES	9
#define SSH2_AGENTC_REQUEST_IDENTITIES		11
#define SSH2_AGENT_IDENTITIES_ANSWER		12
#define SSH2_AGENTC_SIGN_REQUEST		13
#define SSH2_AGENT_SIGN_RESPONSE		14
#define SSH2_AGENTC_ADD_IDENTITY		17
#define SSH2_AGENTC_REMOVE_IDENTITY		18
#define SSH2_AGENTC_REMOVE_ALL_IDENTITIES	19
#define SSH_AGENTC_ADD_SMARTCARD_KEY		20
#define SSH_AGENTC_REMOVE_SMARTCARD_KEY		21
#define SSH_AGENTC_LOCK				22
#define SSH_AGENTC_UNLOCK			23
#define SSH2_AGENTC_ADD_ID_CONSTRAINED		25
#define SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED 26
#define SSH_AGENTC_EXTENSION			27
#define SSH_AGENT_EXTENSION_FAILURE		28
#define SSH_AGENT_EXTENSION_RESPONSE		29

#define SSH_AGENT_CONSTRAIN_LIFETIME		1
#define SSH_AGENT_CONSTRAIN_CONFIRM		2
#define SSH_AGENT_CONSTRAIN_EXTENSION		255

#define SSH_AGENT_RSA_SHA2_256			0x02
#define SSH_AGENT_RSA_SHA2_512			0x04

/* Options (main.c) */
struct agent_options {
	int debug;			/* -d */
	int foreground;			/* -D or -d */
	unsigned int default_life;	/* -t, seconds; 0 = forever */
	enum key_fp_hash fp_hash;	/* -E */
	int allow_remote_pkcs11;	/* -O allow-remote-pkcs11 */
	int restrict_websafe;		/* not -O no-restrict-websafe */
	char *websafe_allow;		/* -O websafe-allow= */
	char *provider_allowlist;	/* -P */
	int confirm_forwarded;		/* -O confirm-forwarded */
	int hide_absent;		/* -O hide-absent */
	char *notify_cmd;		/* --notify-cmd */
	unsigned int pin_cache;		/* --pin-cache seconds; 0 = off */
	int no_record;			/* --no-record */
	size_t record_max;		/* --record-size; 0 = default */
};
extern struct agent_options opts;

/* log.c: stderr in the foreground, syslog otherwise; never a secret. */
void log_init(const char *progname, int to_stderr, int level);
void logit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug2(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_level(void);
#define LOG_LEVEL_QUIET	-1	/* nothing at all (fuzzing) */
#define LOG_LEVEL_INFO	0
#define LOG_LEVEL_DEBUG	1
#define LOG_LEVEL_DEBUG2 2

/* time.c */
uint64_t monotime_ms(void);

/* A connection, owned by the loop. */
struct session_bind {
	struct key *hostkey;
	uint8_t *sid;
	size_t sidlen;
	int forwarded;
};

struct conn {
	int fd;
	uid_t uid;
	pid_t pid;
	struct sshbuf *in, *out;
	int busy;		/* a request is in flight; later input waits */
	int dead;		/* closed while busy: freed when the job ends */
	int close_after;	/* close once the output is sent */
	uint32_t events;	/* epoll mask in force */
	uint64_t wake_ms;	/* wake_cb is due at this time (0: none) */
	void (*wake_cb)(struct conn *);
	void *loop_private;
	void *req;		/* proto.c: the request in flight */
	struct session_bind binds[AGENT_MAX_BINDS];
	size_t nbinds;
	int bind_attempted;	/* a session-bind was tried (remote socket) */
	char *dest_desc;	/* proto: where the request in flight goes */
	char *requester;	/* record.c: the peer's process chain */
	struct conn *prev, *next;
};

/* Replies waiting to be read above this stop the reading of requests. */
#define CONN_OUT_HIGH		(1024 * 1024)

/* conn.c: framing and replies, no I/O */
struct conn *conn_new(int fd, uid_t uid, pid_t pid);
void conn_free(struct conn *c);
/* Dispatches every complete frame in c->in (until one goes async). */
void conn_input(struct conn *c);
/* Queues a reply frame (the u32 length is added). */
void conn_reply(struct conn *c, const struct sshbuf *msg);
void conn_reply_status(struct conn *c, int success);
/* The request in flight finished (reply already queued): go on reading. */
void conn_done(struct conn *c);

/* loop.c */
int loop_run(int listen_fd, pid_t parent_pid);
/* Sends c->out as far as the socket takes it; closes when asked to. */
void loop_conn_update(struct conn *c);
void loop_wake_at(uint64_t ms);

/* proto.c: one complete message (type byte first); replies via conn_reply. */
void proto_dispatch(struct conn *c, struct sshbuf *msg);
void proto_conn_free(struct conn *c);
/* The client left while its request was in flight: stop what can be stopped. */
void proto_conn_cancel(struct conn *c);
/* After SIGUSR1 / remove-all: forget what goes with the keys. */
void proto_on_remove_all(void);

/* keystore.c */
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
struct p11_module;
void dest_constraints_free(struct dest_constraint *d, size_t n);
struct identity {
	struct key *key;		/* public only while the agent is locked */
	char *comment;
	uint64_t death_ms;		/* monotonic; 0 = never */
	int confirm;
	char *sk_provider;
	struct p11_module *p11;		/* a PKCS#11 module's key (p11.h) */
	uint32_t p11_key;		/* its number in the module's list */
	struct dest_constraint *dest;
	size_t ndest;
	struct key **certs;		/* associated certificates */
	size_t ncerts;
	int certs_only;
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
int keystore_remove(const uint8_t *blob, size_t len);
void keystore_remove_all(void);
size_t keystore_count(void);
/* How many identities carry destination constraints. */
size_t keystore_nconstrained(void);
struct identity *keystore_first(void);
/* Drops expired identities; returns the next death (0: none). */
uint64_t keystore_expire(uint64_t now_ms);
void identity_ref(struct identity *id);
void identity_unref(struct identity *id);
/* An sk key signed through a provider library (ssh-add -S), not our tokens. */
int identity_sk_external(const struct identity *id);
struct identity *identity_new(void);
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

/* pool.c: worker threads. run() on a worker, done() back on the loop. */
struct job {
	void (*run)(struct job *);
	void (*done)(struct job *);
	struct conn *conn;
	struct job *next;
};
#define POOL_CPU	0	/* signatures, KDF: as many threads as cores */
#define POOL_TOKEN	1	/* security-key operations: they wait */
int pool_init(int ncpu, int ntoken);
void pool_submit(struct job *j);	/* POOL_CPU */
void pool_submit_to(int pool, struct job *j);
/* The fd the loop polls; pool_complete() runs the done() callbacks. */
int pool_fd(void);
void pool_complete(void);
void pool_shutdown(void);

/* Flags set by signal handlers (main.c), acted on by the loop. */
extern volatile sig_atomic_t received_sigterm, received_sighup, received_sigusr1,
    received_sigchld;

#endif
