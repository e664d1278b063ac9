/*
 * Holding one token: taken by one operation at a time, opened through its
 * transport, released (and closed when its transport is exclusive), and
 * the bracket around each libfido2 request on it, which sets its time
 * budget, lets a cancel reach it and translates its result.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <fido.h>

#include "token-impl.h"

void
token_entry_close(struct token_entry *e)
{
	if (e->dev == NULL)
		return;
	fido_dev_close(e->dev);
	fido_dev_free(&e->dev);
}

int
token_entry_open(struct token_op *op, struct token_entry *e)
{
	struct token_ctx *ctx = op->ctx;
	fido_dev_t *dev = NULL;
	int fr;

	if (e->dev != NULL) {
		if (e->tr->stale == NULL ||
		    !e->tr->stale(fido_dev_io_handle(e->dev)))
			return 0;
		token_log(ctx, "%s: connection went stale, reopening", e->spec);
		token_entry_close(e);
	}
	if ((dev = fido_dev_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((e->tr->io != NULL && (fr = fido_dev_set_io_functions(dev,
	    e->tr->io)) != FIDO_OK) ||
	    (fr = fido_dev_set_timeout(dev, TOKEN_OPEN_MS)) != FIDO_OK ||
	    (fr = fido_dev_open(dev, e->spec)) != FIDO_OK) {
		token_log(ctx, "%s: cannot open: %s", e->spec, fido_strerr(fr));
		fido_dev_free(&dev);
		pthread_mutex_lock(&ctx->mtx);
		e->present = 0;
		pthread_mutex_unlock(&ctx->mtx);
		/* there, but not answering; or not there at all */
		return token_err_is_io(fr) ? SKA_ERR_TOKEN_IO :
		    SKA_ERR_NO_TOKEN;
	}
	pthread_mutex_lock(&ctx->mtx);
	e->present = 1;
	pthread_mutex_unlock(&ctx->mtx);
	e->dev = dev;
	return 0;
}

/* Takes e for this operation; wait: for a busy one, cancellably. */
int
token_acquire(struct token_op *op, struct token_entry *e, int wait)
{
	struct token_ctx *ctx = op->ctx;
	int64_t now;
	int r = 0;

	pthread_mutex_lock(&ctx->mtx);
	while (e->busy) {
		now = token_mono_ms();
		if (!wait || now >= op->busy_deadline) {
			r = SKA_ERR_TOKEN_BUSY;
			break;
		}
		if (token_op_cancelled(op)) {
			r = SKA_ERR_CANCELLED;
			break;
		}
		token_cond_wait_ms(&ctx->cond, &ctx->mtx,
		    op->busy_deadline - now < TOKEN_SLICE_MS ?
		    op->busy_deadline - now : TOKEN_SLICE_MS);
	}
	if (r == 0)
		e->busy = 1;
	pthread_mutex_unlock(&ctx->mtx);
	return r;
}

void
token_release(struct token_op *op, struct token_entry *e)
{
	struct token_ctx *ctx = op->ctx;
	int hold;

	if (e == NULL)
		return;
	pthread_mutex_lock(&ctx->mtx);
	hold = ctx->hold_hid;
	pthread_mutex_unlock(&ctx->mtx);
	/* after a cancel a late 0x2D reply may be on its way: start afresh */
	if (token_op_cancelled(op) || (e->tr->exclusive && !hold))
		token_entry_close(e);
	pthread_mutex_lock(&ctx->mtx);
	e->busy = 0;
	pthread_cond_broadcast(&ctx->cond);
	pthread_mutex_unlock(&ctx->mtx);
}

/* Acquire (waiting) and open. */
int
token_take(struct token_op *op, struct token_entry *e, int wait)
{
	int r;

	if ((r = token_acquire(op, e, wait)) != 0)
		return r;
	if ((r = token_entry_open(op, e)) != 0) {
		token_release(op, e);
		return r;
	}
	return 0;
}

int
token_call_begin(struct token_op *op, struct token_entry *e, int budget_ms,
    int touch)
{
	fido_dev_set_timeout(e->dev, budget_ms);
	op->call_start = token_mono_ms();
	op->call_budget = budget_ms;
	op->call_touch = touch;
	return token_attach(op, e->dev);
}

int
token_call_end(struct token_op *op, struct token_entry *e, int fr)
{
	int64_t el = token_mono_ms() - op->call_start;
	unsigned int f = op->call_touch ? TOKEN_ERRF_TOUCH : 0;
	int r;

	token_detach(op, e->dev);
	if (fr == FIDO_OK)
		return 0;
	if (token_op_cancelled(op) || fr == FIDO_ERR_KEEPALIVE_CANCEL) {
		f |= TOKEN_ERRF_CANCELLED;
		token_entry_close(e);
	} else if (token_err_is_io(fr)) {
		if (el >= op->call_budget - 50) {
			f |= TOKEN_ERRF_TIMEDOUT;
			/* it may still be waiting for a touch */
			fido_dev_cancel(e->dev);
			token_entry_close(e);
		} else {
			token_entry_close(e);
			if (token_entry_open(op, e) != 0)
				f |= TOKEN_ERRF_GONE;
		}
	}
	r = token_err_map(fr, f);
	token_log(op->ctx, "%s: %s after %lld ms: %s", e->spec, fido_strerr(fr),
	    (long long)el, ska_err(r));
	return r;
}

void
token_pin_error(struct token_op *op, struct token_entry *e, int r)
{
	int n;

	if ((r != SKA_ERR_PIN_INVALID && r != SKA_ERR_PIN_AUTH_BLOCKED &&
	    r != SKA_ERR_PIN_BLOCKED) || e->dev == NULL)
		return;
	fido_dev_set_timeout(e->dev, TOKEN_OP_MS);
	if (fido_dev_get_retry_count(e->dev, &n) == FIDO_OK)
		op->req->pin_retries = n;
}

void
token_chosen(struct token_op *op, const struct token_entry *e)
{
	snprintf(op->req->token, sizeof(op->req->token), "%s", e->spec);
}

void
token_notify(struct token_op *op, enum token_event ev,
    const struct token_entry *e)
{
	if (op->req->notify != NULL)
		op->req->notify(op->req->notify_arg, ev,
		    e != NULL ? e->spec : "");
}
