/*
 * Setting a token up: a new credential on the chosen token, its
 * attestation verified (token_enroll); setting or changing the token's
 * PIN (token_set_pin, token_change_pin).
 */
#include <stdlib.h>
#include <string.h>

#include <fido.h>
#include <sodium.h>

#include "token-impl.h"

#define USER_ID_MAX	64	/* CTAP2 */

int
token_cred_fill_pubkey(struct token_cred *tc, const fido_cred_t *c)
{
	const uint8_t *p = fido_cred_pubkey_ptr(c);
	size_t len = fido_cred_pubkey_len(c);

	tc->alg = fido_cred_type(c);
	if (p == NULL)
		return SKA_ERR_TOKEN;
	if (tc->alg == TOKEN_EDDSA && len == 32) {
		memcpy(tc->pubkey, p, 32);
		tc->pubkey_len = 32;
	} else if (tc->alg == TOKEN_ES256 && len == 64) {
		tc->pubkey[0] = 0x04;	/* uncompressed SEC1 point */
		memcpy(tc->pubkey + 1, p, 64);
		tc->pubkey_len = 65;
	} else
		return SKA_ERR_TOKEN_UNSUPPORTED;
	return 0;
}

static int
blob_dup(uint8_t **dst, size_t *dlen, const uint8_t *p, size_t len)
{
	*dst = NULL;
	*dlen = 0;
	if (p == NULL || len == 0)
		return 0;
	if ((*dst = malloc(len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	memcpy(*dst, p, len);
	*dlen = len;
	return 0;
}

/* key_lookup: is there a resident credential for application and user? */
static int
resident_exists(struct token_op *op, struct token_entry *e,
    const char *application, const uint8_t *uid, size_t uidlen)
{
	static const uint8_t zero[32];
	fido_assert_t *a = NULL;
	size_t i;
	int r, fr, uv = 0;

	if ((a = fido_assert_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if (op->req->pin == NULL && fido_dev_supports_uv(e->dev))
		uv = 1;
	if ((fr = fido_assert_set_clientdata(a, zero, sizeof(zero))) !=
	    FIDO_OK ||
	    (fr = fido_assert_set_rp(a, application)) != FIDO_OK ||
	    (fr = fido_assert_set_up(a, FIDO_OPT_FALSE)) != FIDO_OK ||
	    (fr = fido_assert_set_uv(a, uv ? FIDO_OPT_TRUE :
	    FIDO_OPT_OMIT)) != FIDO_OK) {
		r = token_err_from_fido(fr);
		goto out;
	}
	if ((r = token_call_begin(op, e, uv ? op->touch_ms : TOKEN_OP_MS,
	    uv)) != 0)
		goto out;
	fr = fido_dev_get_assert(e->dev, a, op->req->pin);
	if ((r = token_call_end(op, e, fr)) != 0) {
		if (r == SKA_ERR_TOKEN_NOT_FOUND)
			r = 0;
		else
			token_pin_error(op, e, r);
		goto out;
	}
	r = 0;
	for (i = 0; i < fido_assert_count(a); i++)
		if (fido_assert_user_id_len(a, i) == uidlen &&
		    memcmp(fido_assert_user_id_ptr(a, i), uid, uidlen) == 0)
			r = SKA_ERR_CREDENTIAL_EXISTS;
 out:
	fido_assert_free(&a);
	return r;
}

static int
do_enroll(struct token_op *op, struct token_entry *e, int alg,
    const char *application, const uint8_t *uid, size_t uidlen,
    const uint8_t *chall, size_t challen, uint8_t flags,
    struct token_cred *tc)
{
	fido_cred_t *c = NULL;
	const char *fmt;
	int r, fr, resident = (flags & TOKEN_RESIDENT) != 0;

	if (resident && (flags & TOKEN_FORCE) == 0 &&
	    (r = resident_exists(op, e, application, uid, uidlen)) != 0)
		return r;
	if ((c = fido_cred_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((fr = fido_cred_set_type(c, alg)) != FIDO_OK ||
	    (fr = fido_cred_set_clientdata(c, chall, challen)) != FIDO_OK ||
	    (fr = fido_cred_set_rk(c, resident ? FIDO_OPT_TRUE :
	    FIDO_OPT_OMIT)) != FIDO_OK ||
	    (fr = fido_cred_set_user(c, uid, uidlen, "openssh", "openssh",
	    NULL)) != FIDO_OK ||
	    (fr = fido_cred_set_rp(c, application, NULL)) != FIDO_OK) {
		r = token_err_from_fido(fr);
		goto out;
	}
	if ((flags & (TOKEN_RESIDENT | TOKEN_UV)) != 0) {
		/* never an unprotected resident or verify-required key */
		if (!fido_dev_supports_cred_prot(e->dev)) {
			token_log(op->ctx, "%s: no credProtect", e->spec);
			r = SKA_ERR_TOKEN_UNSUPPORTED;
			goto out;
		}
		if ((fr = fido_cred_set_prot(c, (flags & TOKEN_UV) != 0 ?
		    FIDO_CRED_PROT_UV_REQUIRED :
		    FIDO_CRED_PROT_UV_OPTIONAL_WITH_ID)) != FIDO_OK) {
			r = token_err_from_fido(fr);
			goto out;
		}
	}
	token_notify(op, TOKEN_EVENT_TOUCH, e);
	if ((r = token_call_begin(op, e, op->touch_ms, 1)) != 0)
		goto out;
	fr = fido_dev_make_cred(e->dev, c, op->req->pin);
	if ((r = token_call_end(op, e, fr)) != 0) {
		token_pin_error(op, e, r);
		goto out;
	}
	fmt = fido_cred_fmt(c);
	if (fido_cred_x5c_ptr(c) != NULL)
		fr = fido_cred_verify(c);
	else if (fmt != NULL && strcmp(fmt, "none") != 0)
		fr = fido_cred_verify_self(c);
	else
		fr = FIDO_OK;
	if (fr != FIDO_OK) {
		token_log(op->ctx, "%s: attestation: %s", e->spec,
		    fido_strerr(fr));
		r = token_err_from_fido(fr);
		goto out;
	}
	if (fido_cred_type(c) != alg || fido_cred_id_len(c) == 0) {
		r = SKA_ERR_TOKEN;
		goto out;
	}
	if ((r = token_cred_fill_pubkey(tc, c)) != 0 ||
	    (r = blob_dup(&tc->key_handle, &tc->key_handle_len,
	    fido_cred_id_ptr(c), fido_cred_id_len(c))) != 0 ||
	    (r = blob_dup(&tc->user_id, &tc->user_id_len, uid, uidlen)) != 0 ||
	    (r = blob_dup(&tc->att_sig, &tc->att_sig_len,
	    fido_cred_sig_ptr(c), fido_cred_sig_len(c))) != 0 ||
	    (r = blob_dup(&tc->att_x5c, &tc->att_x5c_len,
	    fido_cred_x5c_ptr(c), fido_cred_x5c_len(c))) != 0 ||
	    (r = blob_dup(&tc->authdata, &tc->authdata_len,
	    fido_cred_authdata_ptr(c), fido_cred_authdata_len(c))) != 0)
		goto out;
	if ((tc->application = strdup(application)) == NULL ||
	    (tc->user_name = strdup("openssh")) == NULL ||
	    (tc->att_fmt = strdup(fmt != NULL ? fmt : "")) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	tc->flags = flags & ~TOKEN_FORCE;
	tc->cred_protect = fido_cred_prot(c);
	r = 0;
 out:
	fido_cred_free(&c);
	return r;
}

int
token_enroll(struct token_ctx *ctx, struct token_req *req, int alg,
    const char *application, const uint8_t *user_id, size_t user_id_len,
    const uint8_t *challenge, size_t challenge_len, uint8_t flags,
    struct token_cred **credp)
{
	static const uint8_t zero_uid[32];
	struct token_op op;
	struct token_entry *e = NULL;
	struct token_cred *tc = NULL;
	int r;

	if (credp != NULL)
		*credp = NULL;
	if (ctx == NULL || credp == NULL || application == NULL ||
	    *application == '\0' ||
	    (alg != TOKEN_ES256 && alg != TOKEN_EDDSA) ||
	    (user_id != NULL && (user_id_len == 0 ||
	    user_id_len > USER_ID_MAX)) ||
	    (challenge != NULL && challenge_len == 0) ||
	    (flags & ~(TOKEN_UP | TOKEN_UV | TOKEN_FORCE |
	    TOKEN_RESIDENT)) != 0)
		return SKA_ERR_INVALID_ARGUMENT;
	if (user_id == NULL) {
		user_id = zero_uid;
		user_id_len = sizeof(zero_uid);
	}
	if ((tc = calloc(1, sizeof(*tc))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if (challenge == NULL) {
		randombytes_buf(tc->challenge, sizeof(tc->challenge));
		tc->challenge_len = sizeof(tc->challenge);
		challenge = tc->challenge;
		challenge_len = tc->challenge_len;
	}
	if ((r = token_op_begin(ctx, req, &op)) != 0 ||
	    (r = token_select(&op, &e)) != 0) {
		e = NULL;
		goto out;
	}
	if ((r = do_enroll(&op, e, alg, application, user_id, user_id_len,
	    challenge, challenge_len, flags, tc)) != 0)
		goto out;
	token_log(ctx, "%s: enrolled a %s credential for %s", e->spec,
	    alg == TOKEN_EDDSA ? "EdDSA" : "ES256", application);
	*credp = tc;
	tc = NULL;
 out:
	token_release(&op, e);
	token_op_end(&op);
	token_creds_free(tc, 1);
	return r;
}

void
token_creds_free(struct token_cred *creds, size_t n)
{
	size_t i;

	if (creds == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(creds[i].key_handle);
		free(creds[i].application);
		free(creds[i].user_id);
		free(creds[i].user_name);
		free(creds[i].att_fmt);
		free(creds[i].att_sig);
		free(creds[i].att_x5c);
		free(creds[i].authdata);
	}
	free(creds);
}

static int
pin_change(struct token_ctx *ctx, struct token_req *req, const char *new_pin,
    int change)
{
	struct token_op op;
	struct token_entry *e = NULL;
	int r, fr;

	if (ctx == NULL || new_pin == NULL ||
	    (change && (req == NULL || req->pin == NULL)))
		return SKA_ERR_INVALID_ARGUMENT;
	if ((r = token_op_begin(ctx, req, &op)) != 0 ||
	    (r = token_select(&op, &e)) != 0) {
		e = NULL;
		goto out;
	}
	if (change && !token_pin_set(&op, e)) {
		r = SKA_ERR_PIN_NOT_SET;
		goto out;
	}
	if ((r = token_call_begin(&op, e, TOKEN_OP_MS, 0)) != 0)
		goto out;
	fr = fido_dev_set_pin(e->dev, new_pin, change ? op.req->pin : NULL);
	if ((r = token_call_end(&op, e, fr)) != 0)
		token_pin_error(&op, e, r);
 out:
	token_release(&op, e);
	token_op_end(&op);
	return r;
}

int
token_set_pin(struct token_ctx *ctx, struct token_req *req,
    const char *new_pin)
{
	return pin_change(ctx, req, new_pin, 0);
}

int
token_change_pin(struct token_ctx *ctx, struct token_req *req,
    const char *new_pin)
{
	return pin_change(ctx, req, new_pin, 1);
}
