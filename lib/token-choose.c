/*
 * Choosing a token (token.h), as sk-usbhid.c: req->device; the only one
 * present or the one the user touches; for a signature, the one that
 * answers a silent probe, the token that last signed with the key first.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <fido.h>
#include <sodium.h>

#include "token-impl.h"

#define POLL_MS		50	/* one touch-status read */
#define SELECT_SLEEP_MS	200	/* between touch-status rounds */

static int
select_device(struct token_op *op, struct token_entry **ep)
{
	struct token_entry *e;
	int r;

	if ((r = token_entry_configure(op->ctx, op->req->device, &e)) != 0)
		return r;
	if ((r = token_take(op, e, 1)) != 0)
		return r;
	*ep = e;
	return 0;
}

/* Drops a token from touch selection: its probe may still be pending. */
static void
select_drop(struct token_op *op, struct token_entry *e, int cancel)
{
	token_detach(op, e->dev);
	if (cancel && e->dev != NULL)
		fido_dev_cancel(e->dev);
	token_entry_close(e);
	token_release(op, e);
}

/* sk_select_by_touch: the only token, or the first one touched. */
static int
select_by_touch(struct token_op *op, struct token_entry **ep)
{
	struct token_entry *v[TOKEN_MAX_DEVS], *held[TOKEN_MAX_DEVS];
	struct token_entry *win = NULL;
	size_t nv, nheld = 0, i, j;
	int64_t deadline;
	int r, fr, touched, busy = 0, err = SKA_ERR_TOUCH_TIMEOUT;

	token_scan(op->ctx);
	nv = token_candidates(op->ctx, v);
	for (i = 0; i < nv; i++) {
		if ((r = token_take(op, v[i], 1)) == SKA_ERR_CANCELLED)
			goto fail;
		if (r == SKA_ERR_TOKEN_BUSY)
			busy = 1;
		if (r == 0)
			held[nheld++] = v[i];
	}
	if (nheld == 0) {
		r = busy ? SKA_ERR_TOKEN_BUSY : SKA_ERR_NO_TOKEN;
		goto fail;
	}
	if (nheld == 1) {
		*ep = held[0];
		return 0;
	}
	token_notify(op, TOKEN_EVENT_SELECT, NULL);
	for (i = 0; i < nheld; ) {
		fido_dev_set_timeout(held[i]->dev, TOKEN_OP_MS);
		if ((fr = fido_dev_get_touch_begin(held[i]->dev)) != FIDO_OK ||
		    token_attach(op, held[i]->dev) != 0) {
			token_log(op->ctx, "%s: touch probe: %s", held[i]->spec,
			    fido_strerr(fr));
			select_drop(op, held[i], fr == FIDO_OK);
			held[i] = held[--nheld];
			continue;
		}
		i++;
	}
	deadline = token_mono_ms() + op->touch_ms;
	while (win == NULL && nheld > 0 && token_mono_ms() < deadline) {
		if ((r = token_op_sleep(op, SELECT_SLEEP_MS)) != 0)
			goto fail;
		for (i = 0; i < nheld && win == NULL; ) {
			fr = fido_dev_get_touch_status(held[i]->dev, &touched,
			    POLL_MS);
			if (fr == FIDO_OK && held[i]->tr->hungup != NULL &&
			    held[i]->tr->hungup(
			    fido_dev_io_handle(held[i]->dev)))
				fr = FIDO_ERR_RX;
			if (fr != FIDO_OK) {
				token_log(op->ctx, "%s: touch status: %s",
				    held[i]->spec, fido_strerr(fr));
				err = token_err_is_io(fr) ? SKA_ERR_TOKEN_GONE :
				    token_err_from_fido(fr);
				select_drop(op, held[i], 0);
				held[i] = held[--nheld];
				continue;
			}
			if (touched)
				win = held[i];
			i++;
		}
	}
	if (token_op_cancelled(op))
		r = SKA_ERR_CANCELLED;
	else
		r = nheld > 0 ? SKA_ERR_TOUCH_TIMEOUT : err;
	for (i = 0; i < nheld; i++) {
		if (held[i] == win) {
			token_detach(op, win->dev);
			continue;
		}
		select_drop(op, held[i], 1);
	}
	if (win == NULL)
		return r;
	token_log(op->ctx, "%s: touched", win->spec);
	*ep = win;
	return 0;
 fail:
	for (j = 0; j < nheld; j++)
		select_drop(op, held[j], 1);
	return r;
}

int
token_select(struct token_op *op, struct token_entry **ep)
{
	int r;

	*ep = NULL;
	if (op->req->device != NULL)
		r = select_device(op, ep);
	else
		r = select_by_touch(op, ep);
	if (r == 0)
		token_chosen(op, *ep);
	return r;
}

/* sk_try: does this token hold the credential?  0, TOKEN_NOT_FOUND, ... */
static int
probe(struct token_op *op, struct token_entry *e, const char *application,
    const uint8_t *kh, size_t khlen)
{
	static const uint8_t zero[32];
	fido_assert_t *a = NULL;
	int r, fr;

	if ((a = fido_assert_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((fr = fido_assert_set_clientdata(a, zero, sizeof(zero))) !=
	    FIDO_OK ||
	    (fr = fido_assert_set_rp(a, application)) != FIDO_OK ||
	    (fr = fido_assert_allow_cred(a, kh, khlen)) != FIDO_OK ||
	    (fr = fido_assert_set_up(a, FIDO_OPT_FALSE)) != FIDO_OK) {
		r = token_err_from_fido(fr);
		goto out;
	}
	if ((r = token_call_begin(op, e, TOKEN_PROBE_MS, 0)) != 0)
		goto out;
	fr = fido_dev_get_assert(e->dev, a, NULL);
	if (fr == FIDO_ERR_USER_PRESENCE_REQUIRED)	/* U2F */
		fr = FIDO_OK;
	r = token_call_end(op, e, fr);
 out:
	fido_assert_free(&a);
	return r;
}

static void
hint_id(const char *application, const uint8_t *kh, size_t khlen,
    uint8_t id[32])
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)application,
	    strlen(application) + 1);
	crypto_hash_sha256_update(&st, kh, khlen);
	crypto_hash_sha256_final(&st, id);
}

static struct token_entry *
hint_get(struct token_ctx *ctx, const uint8_t id[32])
{
	struct token_entry *e = NULL;
	size_t i;

	pthread_mutex_lock(&ctx->mtx);
	for (i = 0; i < TOKEN_NHINTS && e == NULL; i++)
		if (ctx->hints[i].e != NULL &&
		    memcmp(ctx->hints[i].id, id, 32) == 0)
			e = ctx->hints[i].e;
	pthread_mutex_unlock(&ctx->mtx);
	return e;
}

static void
hint_set(struct token_ctx *ctx, const uint8_t id[32], struct token_entry *e)
{
	size_t i, slot = TOKEN_NHINTS;

	pthread_mutex_lock(&ctx->mtx);
	for (i = 0; i < TOKEN_NHINTS; i++)
		if (ctx->hints[i].e != NULL &&
		    memcmp(ctx->hints[i].id, id, 32) == 0)
			slot = i;
	if (slot == TOKEN_NHINTS) {
		if (e == NULL)
			goto out;
		slot = ctx->nexthint++ % TOKEN_NHINTS;
	}
	memcpy(ctx->hints[slot].id, id, 32);
	ctx->hints[slot].e = e;
 out:
	pthread_mutex_unlock(&ctx->mtx);
}

/* Keeps the most telling failure: any real error beats "not here". */
static int
worse(int cur, int r)
{
	if (cur == SKA_ERR_NO_TOKEN)
		return r == SKA_ERR_NO_TOKEN ? cur : r;
	if (cur == SKA_ERR_TOKEN_NOT_FOUND && r != SKA_ERR_NO_TOKEN)
		return r;
	return cur;
}

/* Probes each entry of v not yet tried; busy ones are left for later. */
static int
probe_list(struct token_op *op, struct token_entry **v, size_t n,
    struct token_entry **tried, size_t *ntried, int wait, int *errp,
    const char *application, const uint8_t *kh, size_t khlen,
    struct token_entry **ep)
{
	size_t i, j;
	int r;

	for (i = 0; i < n; i++) {
		for (j = 0; j < *ntried && tried[j] != v[i]; j++)
			;
		if (j < *ntried)
			continue;
		if ((r = token_acquire(op, v[i], wait)) == SKA_ERR_TOKEN_BUSY &&
		    !wait)
			continue;	/* for the last pass */
		tried[(*ntried)++] = v[i];
		if (r == SKA_ERR_CANCELLED)
			return r;
		if (r != 0) {
			*errp = worse(*errp, r);
			continue;
		}
		if ((r = token_entry_open(op, v[i])) == 0 &&
		    (r = probe(op, v[i], application, kh, khlen)) == 0) {
			*ep = v[i];
			return 0;
		}
		token_release(op, v[i]);
		if (r == SKA_ERR_CANCELLED)
			return r;
		*errp = worse(*errp, r);
	}
	return 1;
}

/* sk_select_by_cred, with the token that served this handle tried first. */
static int
select_by_cred(struct token_op *op, const uint8_t id[32],
    const char *application, const uint8_t *kh, size_t khlen,
    struct token_entry **ep)
{
	struct token_entry *v[TOKEN_MAX_DEVS], *tried[TOKEN_MAX_DEVS], *h;
	size_t nv, ntried = 0, i;
	int r, err = SKA_ERR_NO_TOKEN, pass;

	nv = token_candidates(op->ctx, v);
	if ((h = hint_get(op->ctx, id)) != NULL) {
		for (i = 0; i < nv && v[i] != h; i++)
			;
		if (i < nv) {
			memmove(v + 1, v, i * sizeof(*v));
			v[0] = h;
		}
	}
	for (pass = 0; pass < 3; pass++) {
		if (pass == 1) {	/* anything new plugged in? */
			token_scan(op->ctx);
			nv = token_candidates(op->ctx, v);
		}
		/* the last pass waits for the tokens that were busy */
		if ((r = probe_list(op, v, nv, tried, &ntried, pass == 2, &err,
		    application, kh, khlen, ep)) <= 0)
			return r;
	}
	hint_set(op->ctx, id, NULL);
	return err;
}

int
token_select_signer(struct token_op *op, struct token_signer *s,
    struct token_entry **ep)
{
	struct token_entry *e;
	int r;

	*ep = NULL;
	s->hinted = 0;
	hint_id(s->application, s->kh, s->khlen, s->id);
	if (op->req->device != NULL)
		return token_select(op, ep);
	if ((s->flags & TOKEN_UV) != 0) {
		/* credProtect 3 hides it from a silent probe */
		if ((e = hint_get(op->ctx, s->id)) == NULL ||
		    token_take(op, e, 1) != 0)
			return token_select(op, ep);
		s->hinted = 1;
	} else if ((r = select_by_cred(op, s->id, s->application, s->kh,
	    s->khlen, &e)) != 0)
		return r;
	token_chosen(op, e);
	*ep = e;
	return 0;
}

int
token_signer_done(struct token_op *op, struct token_signer *s,
    struct token_entry **ep, int *rp)
{
	if (*rp == SKA_ERR_TOKEN_NOT_FOUND && s->hinted) {
		/* the token that last signed with it no longer holds it */
		s->hinted = 0;
		hint_set(op->ctx, s->id, NULL);
		token_release(op, *ep);
		if ((*rp = token_select(op, ep)) != 0) {
			*ep = NULL;
			return 0;
		}
		return 1;
	}
	if (*rp == 0)
		hint_set(op->ctx, s->id, *ep);
	return 0;
}
