/*
 * Resident (discoverable) credentials through credential management, as
 * sk-usbhid.c's read_rks: metadata, relying parties, then the credentials
 * of every rp id starting "ssh:"; deleting one; how many there are and
 * how many more fit (token_resident_slots).  Other credential management
 * (fido_credman_*) belongs here too.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fido.h>
#include <fido/credman.h>

#include "token-impl.h"

/* A PIN is required; say which PIN error applies when there is none. */
static int
need_pin(struct token_op *op, struct token_entry *e)
{
	if (op->req->pin != NULL)
		return 0;
	return token_pin_set(op, e) ? SKA_ERR_PIN_REQUIRED :
	    SKA_ERR_PIN_NOT_SET;
}

static int
cred_add(struct token_op *op, struct token_entry *e, const char *rp_id,
    const fido_cred_t *c, struct token_cred **credsp, size_t *np)
{
	struct token_cred *tmp, *tc;
	const uint8_t *p;
	const char *name;
	size_t len;

	if (fido_cred_type(c) != TOKEN_ES256 &&
	    fido_cred_type(c) != TOKEN_EDDSA) {
		token_log(op->ctx, "%s: %s: skipping a credential of type %d",
		    e->spec, rp_id, fido_cred_type(c));
		return 0;
	}
	if ((tmp = reallocarray(*credsp, *np + 1, sizeof(**credsp))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	*credsp = tmp;
	tc = &tmp[*np];
	memset(tc, 0, sizeof(*tc));
	(*np)++;
	if (token_cred_fill_pubkey(tc, c) != 0 ||
	    (p = fido_cred_id_ptr(c)) == NULL ||
	    (len = fido_cred_id_len(c)) == 0)
		return SKA_ERR_TOKEN;
	if ((tc->key_handle = malloc(len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	memcpy(tc->key_handle, p, len);
	tc->key_handle_len = len;
	if ((p = fido_cred_user_id_ptr(c)) != NULL &&
	    (len = fido_cred_user_id_len(c)) > 0) {
		if ((tc->user_id = malloc(len)) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		memcpy(tc->user_id, p, len);
		tc->user_id_len = len;
	}
	if ((name = fido_cred_user_name(c)) == NULL)
		name = "";
	if ((tc->application = strdup(rp_id)) == NULL ||
	    (tc->user_name = strdup(name)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	tc->cred_protect = fido_cred_prot(c);
	tc->flags = TOKEN_UP | TOKEN_RESIDENT;
	if (tc->cred_protect == FIDO_CRED_PROT_UV_REQUIRED &&
	    !fido_dev_supports_uv(e->dev))
		tc->flags |= TOKEN_UV;
	return 0;
}

static int
read_rks(struct token_op *op, struct token_entry *e,
    struct token_cred **credsp, size_t *np)
{
	fido_credman_metadata_t *md = NULL;
	fido_credman_rp_t *rp = NULL;
	fido_credman_rk_t *rk = NULL;
	const char *id;
	size_t i, j;
	int r, fr;

	if ((md = fido_credman_metadata_new()) == NULL ||
	    (rp = fido_credman_rp_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = token_call_begin(op, e, TOKEN_OP_MS, 0)) != 0)
		goto out;
	fr = fido_credman_get_dev_metadata(e->dev, md, op->req->pin);
	if (fr == FIDO_ERR_INVALID_COMMAND) {
		token_log(op->ctx, "%s: no credential management", e->spec);
		r = token_call_end(op, e, FIDO_OK);
		goto out;
	}
	if ((r = token_call_end(op, e, fr)) != 0) {
		token_pin_error(op, e, r);
		goto out;
	}
	token_log(op->ctx, "%s: %llu resident credential(s)", e->spec,
	    (unsigned long long)fido_credman_rk_existing(md));
	if ((r = token_call_begin(op, e, TOKEN_OP_MS, 0)) != 0)
		goto out;
	fr = fido_credman_get_dev_rp(e->dev, rp, op->req->pin);
	if ((r = token_call_end(op, e, fr)) != 0) {
		if (r == SKA_ERR_TOKEN_NOT_FOUND)
			r = 0;
		goto out;
	}
	for (i = 0; i < fido_credman_rp_count(rp); i++) {
		if ((id = fido_credman_rp_id(rp, i)) == NULL ||
		    strncasecmp(id, "ssh:", 4) != 0)
			continue;
		fido_credman_rk_free(&rk);
		if ((rk = fido_credman_rk_new()) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		if ((r = token_call_begin(op, e, TOKEN_OP_MS, 0)) != 0)
			goto out;
		fr = fido_credman_get_dev_rk(e->dev, id, rk, op->req->pin);
		if ((r = token_call_end(op, e, fr)) != 0) {
			if (r == SKA_ERR_TOKEN_NOT_FOUND)
				continue;
			goto out;
		}
		for (j = 0; j < fido_credman_rk_count(rk); j++)
			if (fido_credman_rk(rk, j) != NULL &&
			    (r = cred_add(op, e, id, fido_credman_rk(rk, j),
			    credsp, np)) != 0)
				goto out;
	}
	r = 0;
 out:
	fido_credman_rk_free(&rk);
	fido_credman_rp_free(&rp);
	fido_credman_metadata_free(&md);
	return r;
}

int
token_load_resident(struct token_ctx *ctx, struct token_req *req,
    struct token_cred **credsp, size_t *ncredsp)
{
	struct token_op op;
	struct token_entry *e = NULL;
	struct token_cred *creds = NULL;
	size_t n = 0;
	int r;

	if (ctx == NULL || credsp == NULL || ncredsp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*credsp = NULL;
	*ncredsp = 0;
	if ((r = token_op_begin(ctx, req, &op)) != 0 ||
	    (r = token_select(&op, &e)) != 0) {
		e = NULL;
		goto out;
	}
	if ((r = need_pin(&op, e)) != 0 ||
	    (r = read_rks(&op, e, &creds, &n)) != 0)
		goto out;
	*credsp = creds;
	*ncredsp = n;
	creds = NULL;
	n = 0;
 out:
	token_release(&op, e);
	token_op_end(&op);
	token_creds_free(creds, n);
	return r;
}

int
token_delete_resident(struct token_ctx *ctx, struct token_req *req,
    const uint8_t *kh, size_t khlen)
{
	struct token_op op;
	struct token_entry *e = NULL;
	int r, fr;

	if (ctx == NULL || kh == NULL || khlen == 0)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((r = token_op_begin(ctx, req, &op)) != 0 ||
	    (r = token_select(&op, &e)) != 0) {
		e = NULL;
		goto out;
	}
	if ((r = need_pin(&op, e)) != 0 ||
	    (r = token_call_begin(&op, e, TOKEN_OP_MS, 0)) != 0)
		goto out;
	fr = fido_credman_del_dev_rk(e->dev, kh, khlen, op.req->pin);
	if ((r = token_call_end(&op, e, fr)) != 0)
		token_pin_error(&op, e, r);
 out:
	token_release(&op, e);
	token_op_end(&op);
	return r;
}

int
token_resident_slots(struct token_ctx *ctx, struct token_req *req,
    int *usedp, int *freep)
{
	struct token_op op;
	struct token_entry *e = NULL;
	fido_credman_metadata_t *md = NULL;
	int r, fr;

	if (ctx == NULL || usedp == NULL || freep == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*usedp = *freep = -1;
	if ((md = fido_credman_metadata_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = token_op_begin(ctx, req, &op)) != 0 ||
	    (r = token_select(&op, &e)) != 0) {
		e = NULL;
		goto out;
	}
	if ((r = need_pin(&op, e)) != 0 ||
	    (r = token_call_begin(&op, e, TOKEN_OP_MS, 0)) != 0)
		goto out;
	fr = fido_credman_get_dev_metadata(e->dev, md, op.req->pin);
	if ((r = token_call_end(&op, e, fr)) != 0) {
		token_pin_error(&op, e, r);
		goto out;
	}
	*usedp = (int)fido_credman_rk_existing(md);
	*freep = (int)fido_credman_rk_remaining(md);
 out:
	token_release(&op, e);
	token_op_end(&op);
	fido_credman_metadata_free(&md);
	return r;
}
