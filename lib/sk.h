/*
 * Security keys as ssh sees them: the token layer (token.h) plus the ssh
 * key and signature formats (key.h).  What the agent and agent-keygen both
 * need: enroll a key, sign with one, load resident keys.  Same threading,
 * cancel and error rules as token.h; req may be NULL.
 */
#ifndef SKA_SK_H
#define SKA_SK_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"
#include "sshbuf.h"
#include "token.h"

/*
 * Enrolls a new key: type KEY_ED25519_SK or KEY_ECDSA_SK, application
 * "ssh:..." (default "ssh:"; else INVALID_ARGUMENT), user as ssh-keygen -O
 * user= (NULL: 32 zero bytes; else at most 31 bytes, zero-padded to 32),
 * flags KEY_SK_* (KEY_SK_FORCE_OPERATION is not kept in the key),
 * challenge NULL for 32 random bytes.  *keyp is the private sk key (key
 * handle); *credp (if credp non-NULL) what the token returned, attestation
 * included (token_creds_free(*credp, 1)).
 */
int sk_enroll_key(struct token_ctx *ctx, struct token_req *req,
    enum key_type type, const char *application, const char *user,
    uint8_t flags, const uint8_t *challenge, size_t challenge_len,
    struct key **keyp, struct token_cred **credp) SKA_WUR;

/*
 * Signs data with an sk key (its flags decide touch and verification) and
 * appends the ssh signature (string type, string sig, u8 flags, u32
 * counter) to sig, after checking it with key_verify.
 */
int sk_sign_key(struct token_ctx *ctx, struct token_req *req,
    const struct key *k, const uint8_t *data, size_t dlen,
    struct sshbuf *sig) SKA_WUR;

struct sk_resident_key {
	struct key *key;	/* private sk key; application = rp id */
	uint8_t *user_id;
	size_t user_id_len;
	char *user_name;
	int cred_protect;	/* 0 (none), 1, 2 or 3 */
};

/* ssh-add -K / ssh-keygen -K: the resident keys of one token (PIN needed). */
int sk_load_resident_keys(struct token_ctx *ctx, struct token_req *req,
    struct sk_resident_key **rksp, size_t *nrksp) SKA_WUR;
void sk_resident_keys_free(struct sk_resident_key *rks, size_t n);

#endif
