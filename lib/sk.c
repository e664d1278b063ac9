/*
 * Security keys as ssh sees them: token.h's raw material made into ssh
 * keys and signatures with key.c.
 */
#include <stdlib.h>
#include <string.h>

#include "sk.h"

#define SK_USER_ID_LEN	32	/* OpenSSH: the -O user= string, padded */

_Static_assert(KEY_SK_USER_PRESENCE_REQD == TOKEN_UP &&
    KEY_SK_USER_VERIFICATION_REQD == TOKEN_UV &&
    KEY_SK_FORCE_OPERATION == TOKEN_FORCE &&
    KEY_SK_RESIDENT_KEY == TOKEN_RESIDENT, "sk flags are token flags");

static int
alg_of(enum key_type t)
{
	switch (t) {
	case KEY_ED25519_SK:
		return TOKEN_EDDSA;
	case KEY_ECDSA_SK:
		return TOKEN_ES256;
	default:
		return 0;
	}
}

static enum key_type
type_of(int alg)
{
	return alg == TOKEN_EDDSA ? KEY_ED25519_SK : KEY_ECDSA_SK;
}

int
sk_enroll_key(struct token_ctx *ctx, struct token_req *req,
    enum key_type type, const char *application, const char *user,
    uint8_t flags, const uint8_t *challenge, size_t challenge_len,
    struct key **keyp, struct token_cred **credp)
{
	struct token_cred *tc = NULL;
	struct key *k = NULL;
	uint8_t uid[SK_USER_ID_LEN];
	int r, alg;

	if (keyp != NULL)
		*keyp = NULL;
	if (credp != NULL)
		*credp = NULL;
	if (application == NULL)
		application = "ssh:";
	if (keyp == NULL || (alg = alg_of(type)) == 0 ||
	    strncmp(application, "ssh:", 4) != 0 ||
	    (user != NULL && strlen(user) >= sizeof(uid)))
		return SKA_ERR_INVALID_ARGUMENT;
	memset(uid, 0, sizeof(uid));
	if (user != NULL)
		memcpy(uid, user, strlen(user));
	if ((r = token_enroll(ctx, req, alg, application, uid, sizeof(uid),
	    challenge, challenge_len, flags, &tc)) != 0)
		goto out;
	if ((r = key_sk_new(type, tc->pubkey, tc->pubkey_len, application,
	    flags & ~KEY_SK_FORCE_OPERATION, tc->key_handle,
	    tc->key_handle_len, &k)) != 0)
		goto out;
	*keyp = k;
	k = NULL;
	if (credp != NULL) {
		*credp = tc;
		tc = NULL;
	}
 out:
	key_free(k);
	token_creds_free(tc, 1);
	return r;
}

int
sk_sign_key(struct token_ctx *ctx, struct token_req *req,
    const struct key *k, const uint8_t *data, size_t dlen,
    struct sshbuf *sig)
{
	struct token_sig *ts = NULL;
	struct sshbuf *b = NULL;
	const uint8_t *kh;
	size_t khlen;
	int r, alg;

	if (k == NULL || sig == NULL || (alg = alg_of(key_type(k))) == 0 ||
	    key_is_cert(k) || (kh = key_sk_key_handle(k, &khlen)) == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((r = token_sign(ctx, req, alg, key_sk_application(k), kh, khlen,
	    data, dlen, key_sk_flags(k), &ts)) != 0)
		goto out;
	if ((b = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = key_sk_signature_encode(k, ts->sig, ts->sig_len, ts->flags,
	    ts->counter, b)) != 0)
		goto out;
	/* a token that signs something else is caught here, not by sshd */
	if ((r = key_verify(k, sshbuf_ptr(b), sshbuf_len(b), data, dlen,
	    NULL)) != 0)
		goto out;
	r = sshbuf_putb(sig, b);
 out:
	sshbuf_free(b);
	token_sig_free(ts);
	return r;
}

void
sk_resident_keys_free(struct sk_resident_key *rks, size_t n)
{
	size_t i;

	if (rks == NULL)
		return;
	for (i = 0; i < n; i++) {
		key_free(rks[i].key);
		free(rks[i].user_id);
		free(rks[i].user_name);
	}
	free(rks);
}

int
sk_load_resident_keys(struct token_ctx *ctx, struct token_req *req,
    struct sk_resident_key **rksp, size_t *nrksp)
{
	struct token_cred *tc = NULL;
	struct sk_resident_key *rks = NULL;
	size_t ntc = 0, i;
	int r;

	if (rksp == NULL || nrksp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*rksp = NULL;
	*nrksp = 0;
	if ((r = token_load_resident(ctx, req, &tc, &ntc)) != 0)
		goto out;
	if (ntc > 0 && (rks = calloc(ntc, sizeof(*rks))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	for (i = 0; i < ntc; i++) {
		if ((r = key_sk_new(type_of(tc[i].alg), tc[i].pubkey,
		    tc[i].pubkey_len, tc[i].application, tc[i].flags,
		    tc[i].key_handle, tc[i].key_handle_len,
		    &rks[i].key)) != 0)
			goto out;
		rks[i].user_id = tc[i].user_id;
		rks[i].user_id_len = tc[i].user_id_len;
		rks[i].user_name = tc[i].user_name;
		rks[i].cred_protect = tc[i].cred_protect;
		tc[i].user_id = NULL;
		tc[i].user_name = NULL;
	}
	*rksp = rks;
	*nrksp = ntc;
	rks = NULL;
	r = 0;
 out:
	sk_resident_keys_free(rks, ntc);	/* unused slots are empty */
	token_creds_free(tc, ntc);
	return r;
}
