/*
 * Signatures (token_sign): an assertion over the data on the token chosen
 * for the key (token-choose.c).
 */
#include <stdlib.h>
#include <string.h>

#include <fido.h>

#include "token-impl.h"

static int
do_sign(struct token_op *op, struct token_entry *e, int alg,
    const char *application, const uint8_t *kh, size_t khlen,
    const uint8_t *data, size_t dlen, uint8_t flags, struct token_sig **sigp)
{
	fido_assert_t *a = NULL;
	struct token_sig *sig = NULL;
	const uint8_t *p;
	size_t len;
	int r, fr, touch;

	if ((a = fido_assert_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((fr = fido_assert_set_clientdata(a, data, dlen)) != FIDO_OK ||
	    (fr = fido_assert_set_rp(a, application)) != FIDO_OK ||
	    (fr = fido_assert_allow_cred(a, kh, khlen)) != FIDO_OK ||
	    (fr = fido_assert_set_up(a, (flags & TOKEN_UP) != 0 ?
	    FIDO_OPT_TRUE : FIDO_OPT_FALSE)) != FIDO_OK) {
		r = token_err_from_fido(fr);
		goto out;
	}
	if ((flags & TOKEN_UV) != 0 && op->req->pin == NULL) {
		/* built-in UV (biometrics) only; otherwise ask for a PIN */
		if (!fido_dev_has_uv(e->dev)) {
			r = SKA_ERR_PIN_REQUIRED;
			goto out;
		}
		if ((fr = fido_assert_set_uv(a, FIDO_OPT_TRUE)) != FIDO_OK) {
			r = token_err_from_fido(fr);
			goto out;
		}
	}
	touch = (flags & (TOKEN_UP | TOKEN_UV)) != 0;
	if (touch)
		token_notify(op, TOKEN_EVENT_TOUCH, e);
	if ((r = token_call_begin(op, e, touch ? op->touch_ms : TOKEN_OP_MS,
	    touch)) != 0)
		goto out;
	fr = fido_dev_get_assert(e->dev, a, op->req->pin);
	if ((r = token_call_end(op, e, fr)) != 0) {
		token_pin_error(op, e, r);
		goto out;
	}
	if (fido_assert_count(a) != 1 ||
	    (p = fido_assert_sig_ptr(a, 0)) == NULL ||
	    (len = fido_assert_sig_len(a, 0)) == 0 ||
	    (alg == TOKEN_EDDSA && len != 64)) {
		token_log(op->ctx, "%s: malformed assertion", e->spec);
		r = SKA_ERR_TOKEN;
		goto out;
	}
	if ((sig = calloc(1, sizeof(*sig))) == NULL ||
	    (sig->sig = malloc(len)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	memcpy(sig->sig, p, len);
	sig->sig_len = len;
	sig->flags = fido_assert_flags(a, 0);
	sig->counter = fido_assert_sigcount(a, 0);
	r = 0;
	*sigp = sig;
	sig = NULL;
 out:
	token_sig_free(sig);
	fido_assert_free(&a);
	return r;
}

int
token_sign(struct token_ctx *ctx, struct token_req *req, int alg,
    const char *application, const uint8_t *kh, size_t khlen,
    const uint8_t *data, size_t dlen, uint8_t flags, struct token_sig **sigp)
{
	struct token_signer s = {
		.application = application,
		.kh = kh,
		.khlen = khlen,
		.flags = flags,
	};
	struct token_op op;
	struct token_entry *e = NULL;
	int r;

	if (sigp != NULL)
		*sigp = NULL;
	if (ctx == NULL || sigp == NULL || application == NULL || kh == NULL ||
	    khlen == 0 || data == NULL || dlen == 0 ||
	    (alg != TOKEN_ES256 && alg != TOKEN_EDDSA))
		return SKA_ERR_INVALID_ARGUMENT;
	if ((r = token_op_begin(ctx, req, &op)) != 0 ||
	    (r = token_select_signer(&op, &s, &e)) != 0) {
		e = NULL;
		goto out;
	}
	do {
		r = do_sign(&op, e, alg, application, kh, khlen, data, dlen,
		    flags, sigp);
	} while (token_signer_done(&op, &s, &e, &r));
 out:
	token_release(&op, e);
	token_op_end(&op);
	return r;
}

void
token_sig_free(struct token_sig *sig)
{
	if (sig == NULL)
		return;
	free(sig->sig);
	free(sig);
}
