/*
 * What a token says about itself (token_list, token_pin_retries): its
 * getInfo (CTAP 2.1's minimum PIN length, forced PIN change, resident key
 * room and firmware included), its PIN's and built-in UV's tries, read
 * without a touch.  A new fact a token reports (fido_cbor_info_*) is a
 * field of struct token_info filled in info_fill.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fido.h>

#include "token-impl.h"

/* "clientPin" from the token now (libfido2's flag dates from the open). */
static int
options_pin_set(const fido_cbor_info_t *ci, int dflt)
{
	char **name = fido_cbor_info_options_name_ptr(ci);
	const bool *val = fido_cbor_info_options_value_ptr(ci);
	size_t i, n = fido_cbor_info_options_len(ci);

	for (i = 0; name != NULL && val != NULL && i < n; i++)
		if (strcmp(name[i], "clientPin") == 0)
			return val[i];
	return dflt;
}

int
token_pin_set(struct token_op *op, struct token_entry *e)
{
	fido_cbor_info_t *ci;
	int set = fido_dev_has_pin(e->dev);

	(void)op;
	if (!fido_dev_is_fido2(e->dev) || (ci = fido_cbor_info_new()) == NULL)
		return set;
	fido_dev_set_timeout(e->dev, TOKEN_OP_MS);
	if (fido_dev_get_cbor_info(e->dev, ci) == FIDO_OK)
		set = options_pin_set(ci, set);
	fido_cbor_info_free(&ci);
	return set;
}

int
token_pin_retries(struct token_ctx *ctx, struct token_req *req,
    int *retriesp)
{
	struct token_op op;
	struct token_entry *e = NULL;
	int r, fr, n = -1;

	if (ctx == NULL || retriesp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*retriesp = -1;
	if ((r = token_op_begin(ctx, req, &op)) != 0 ||
	    (r = token_select(&op, &e)) != 0) {
		e = NULL;
		goto out;
	}
	if (!token_pin_set(&op, e)) {
		r = SKA_ERR_PIN_NOT_SET;
		goto out;
	}
	if ((r = token_call_begin(&op, e, TOKEN_OP_MS, 0)) != 0)
		goto out;
	fr = fido_dev_get_retry_count(e->dev, &n);
	if ((r = token_call_end(&op, e, fr)) != 0)
		goto out;
	*retriesp = n;
 out:
	token_release(&op, e);
	token_op_end(&op);
	return r;
}

/* getInfo's CTAP 2.1 parts: versions, PIN policy, room, firmware. */
static void
info_more(const fido_cbor_info_t *ci, struct token_info *ti)
{
	char **v = fido_cbor_info_versions_ptr(ci);
	size_t i, n = fido_cbor_info_versions_len(ci), off = 0;
	int w;

	for (i = 0; v != NULL && i < n && off < sizeof(ti->versions); i++) {
		w = snprintf(ti->versions + off, sizeof(ti->versions) - off,
		    "%s%s", i > 0 ? " " : "", v[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (fido_cbor_info_minpinlen(ci) > 0 &&
	    fido_cbor_info_minpinlen(ci) <= 63)
		ti->min_pin_len = (int)fido_cbor_info_minpinlen(ci);
	ti->force_pin_change = fido_cbor_info_new_pin_required(ci);
	ti->rk_remaining = fido_cbor_info_rk_remaining(ci);
	ti->fw_version = fido_cbor_info_fwversion(ci);
}

static void
info_fill(struct token_op *op, struct token_entry *e, struct token_info *ti)
{
	fido_cbor_info_t *ci = NULL;
	const uint8_t *g;
	size_t i, n;
	int fr, alg;

	ti->present = 1;
	ti->fido2 = fido_dev_is_fido2(e->dev);
	ti->pin_supported = fido_dev_supports_pin(e->dev);
	ti->pin_set = fido_dev_has_pin(e->dev);
	ti->uv = !fido_dev_supports_uv(e->dev) ? -1 : fido_dev_has_uv(e->dev);
	ti->cred_protect = fido_dev_supports_cred_prot(e->dev);
	ti->credman = fido_dev_supports_credman(e->dev);
	ti->es256 = 1;
	if (!ti->fido2 || (ci = fido_cbor_info_new()) == NULL)
		return;
	fido_dev_set_timeout(e->dev, TOKEN_OP_MS);
	if ((fr = fido_dev_get_cbor_info(e->dev, ci)) == FIDO_OK) {
		ti->pin_set = options_pin_set(ci, ti->pin_set);
		if ((g = fido_cbor_info_aaguid_ptr(ci)) != NULL &&
		    fido_cbor_info_aaguid_len(ci) == sizeof(ti->aaguid))
			memcpy(ti->aaguid, g, sizeof(ti->aaguid));
		if ((n = fido_cbor_info_algorithm_count(ci)) > 0) {
			ti->es256 = 0;
			for (i = 0; i < n; i++) {
				alg = fido_cbor_info_algorithm_cose(ci, i);
				ti->es256 |= alg == TOKEN_ES256;
				ti->eddsa |= alg == TOKEN_EDDSA;
			}
		}
		info_more(ci, ti);
	} else if (token_err_is_io(fr))
		token_entry_close(e);
	fido_cbor_info_free(&ci);
	if (ti->pin_set && e->dev != NULL &&
	    fido_dev_get_retry_count(e->dev, &ti->pin_retries) != FIDO_OK)
		ti->pin_retries = -1;
	if (ti->uv >= 0 && e->dev != NULL &&
	    fido_dev_get_uv_retry_count(e->dev, &ti->uv_retries) != FIDO_OK)
		ti->uv_retries = -1;
}

int
token_list(struct token_ctx *ctx, struct token_info **infop, size_t *ninfop)
{
	struct token_entry *v[TOKEN_MAX_DEVS];
	struct token_info *ti = NULL;
	struct token_op op;
	size_t nv = 0, i;
	int r;

	if (ctx == NULL || infop == NULL || ninfop == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*infop = NULL;
	*ninfop = 0;
	if ((r = token_op_begin(ctx, NULL, &op)) != 0)
		goto out;
	token_scan(ctx);
	if ((nv = token_candidates(ctx, v)) == 0)
		goto out;
	if ((ti = calloc(nv, sizeof(*ti))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	for (i = 0; i < nv; i++) {
		snprintf(ti[i].spec, sizeof(ti[i].spec), "%s", v[i]->spec);
		ti[i].pin_retries = -1;
		ti[i].uv = -1;
		ti[i].uv_retries = -1;
		ti[i].min_pin_len = TOKEN_PIN_MIN;
		ti[i].rk_remaining = -1;
		pthread_mutex_lock(&ctx->mtx);
		if (v[i]->product != NULL)
			ti[i].product = strdup(v[i]->product);
		pthread_mutex_unlock(&ctx->mtx);
		if ((r = token_acquire(&op, v[i], 0)) == SKA_ERR_TOKEN_BUSY) {
			ti[i].present = ti[i].busy = 1;
			continue;
		}
		if (token_entry_open(&op, v[i]) == 0)
			info_fill(&op, v[i], &ti[i]);
		token_release(&op, v[i]);
	}
	r = 0;
	*infop = ti;
	*ninfop = nv;
	ti = NULL;
 out:
	token_op_end(&op);
	token_info_free(ti, nv);
	return r;
}

void
token_info_free(struct token_info *info, size_t n)
{
	size_t i;

	if (info == NULL)
		return;
	for (i = 0; i < n; i++)
		free(info[i].product);
	free(info);
}
