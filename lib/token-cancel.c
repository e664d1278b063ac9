/*
 * Operations in flight and their cancellation (token.h): cancel handles,
 * the devices each operation is waiting on, and the watchdog thread that
 * sends them CTAPHID_CANCEL.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fido.h>

#include "token-impl.h"

#define RESEND_MS	100	/* CANCEL again while a cancelled call runs */

struct token_cancel {
	atomic_int cancelled;
	_Atomic(struct token_ctx *) ctx;
};

struct token_cancel *
token_cancel_new(void)
{
	struct token_cancel *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	atomic_init(&c->cancelled, 0);
	atomic_init(&c->ctx, NULL);
	return c;
}

void
token_cancel(struct token_cancel *c)
{
	struct token_ctx *ctx;

	if (c == NULL)
		return;
	atomic_store(&c->cancelled, 1);
	if ((ctx = atomic_load(&c->ctx)) != NULL) {
		pthread_mutex_lock(&ctx->wmtx);
		pthread_cond_broadcast(&ctx->wcond);
		pthread_mutex_unlock(&ctx->wmtx);
	}
}

int
token_cancelled(const struct token_cancel *c)
{
	return c != NULL && atomic_load(&c->cancelled) != 0;
}

void
token_cancel_reset(struct token_cancel *c)
{
	if (c != NULL)
		atomic_store(&c->cancelled, 0);
}

void
token_cancel_free(struct token_cancel *c)
{
	free(c);
}

int
token_op_cancelled(const struct token_op *op)
{
	return token_cancelled(op->req->cancel);
}

/*
 * Sends CTAPHID_CANCEL to the devices of cancelled operations, again every
 * RESEND_MS while they are attached: a cancel that reaches the token just
 * before the request it should stop is ignored by the token.
 */
static void *
watchdog(void *arg)
{
	struct token_ctx *ctx = arg;
	struct token_op *op;
	size_t i;
	int pending;

	pthread_mutex_lock(&ctx->wmtx);
	while (!ctx->wstop) {
		pending = 0;
		for (op = ctx->ops; op != NULL; op = op->next) {
			if (!token_op_cancelled(op))
				continue;
			for (i = 0; i < op->natt; i++) {
				fido_dev_cancel(op->att[i]);
				pending = 1;
			}
		}
		if (pending)
			token_cond_wait_ms(&ctx->wcond, &ctx->wmtx, RESEND_MS);
		else
			pthread_cond_wait(&ctx->wcond, &ctx->wmtx);
	}
	pthread_mutex_unlock(&ctx->wmtx);
	return NULL;
}

/* ctx->wmtx held */
static void
watchdog_start(struct token_ctx *ctx)
{
	sigset_t all, old;

	if (ctx->wstarted)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&ctx->wthread, NULL, watchdog, ctx) == 0)
		ctx->wstarted = 1;
	else
		token_log(ctx, "cannot start the cancel thread");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void
token_watchdog_stop(struct token_ctx *ctx)
{
	pthread_mutex_lock(&ctx->wmtx);
	ctx->wstop = 1;
	pthread_cond_broadcast(&ctx->wcond);
	pthread_mutex_unlock(&ctx->wmtx);
	if (ctx->wstarted)
		pthread_join(ctx->wthread, NULL);
}

int
token_op_begin(struct token_ctx *ctx, struct token_req *req,
    struct token_op *op)
{
	memset(op, 0, sizeof(*op));
	op->ctx = ctx;
	op->req = req != NULL ? req : &op->dummy;
	op->req->pin_retries = -1;
	op->req->token[0] = '\0';
	pthread_mutex_lock(&ctx->mtx);
	op->touch_ms = op->req->touch_ms > 0 ? op->req->touch_ms :
	    ctx->touch_ms;
	pthread_mutex_unlock(&ctx->mtx);
	op->busy_deadline = token_mono_ms() + op->touch_ms + TOKEN_OP_MS;
	if (op->req->cancel != NULL)
		atomic_store(&op->req->cancel->ctx, ctx);
	pthread_mutex_lock(&ctx->wmtx);
	if ((op->next = ctx->ops) != NULL)
		op->next->prev = op;
	ctx->ops = op;
	if (op->req->cancel != NULL)
		watchdog_start(ctx);
	pthread_mutex_unlock(&ctx->wmtx);
	return token_op_cancelled(op) ? SKA_ERR_CANCELLED : 0;
}

void
token_op_end(struct token_op *op)
{
	struct token_ctx *ctx = op->ctx;

	pthread_mutex_lock(&ctx->wmtx);
	if (op->prev != NULL)
		op->prev->next = op->next;
	else
		ctx->ops = op->next;
	if (op->next != NULL)
		op->next->prev = op->prev;
	op->natt = 0;
	pthread_mutex_unlock(&ctx->wmtx);
}

void
token_detach(struct token_op *op, fido_dev_t *dev)
{
	size_t i;

	pthread_mutex_lock(&op->ctx->wmtx);
	for (i = 0; i < op->natt; i++)
		if (op->att[i] == dev) {
			op->att[i] = op->att[--op->natt];
			break;
		}
	pthread_mutex_unlock(&op->ctx->wmtx);
}

int
token_attach(struct token_op *op, fido_dev_t *dev)
{
	pthread_mutex_lock(&op->ctx->wmtx);
	if (op->natt < TOKEN_MAX_DEVS)
		op->att[op->natt++] = dev;
	pthread_mutex_unlock(&op->ctx->wmtx);
	if (token_op_cancelled(op)) {
		token_detach(op, dev);
		return SKA_ERR_CANCELLED;
	}
	return 0;
}

/* Sleeps ms unless cancelled first. */
int
token_op_sleep(struct token_op *op, int ms)
{
	struct timespec ts;
	int64_t end = token_mono_ms() + ms, left;

	while ((left = end - token_mono_ms()) > 0) {
		if (token_op_cancelled(op))
			return SKA_ERR_CANCELLED;
		if (left > TOKEN_SLICE_MS)
			left = TOKEN_SLICE_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000;
		nanosleep(&ts, NULL);
	}
	return token_op_cancelled(op) ? SKA_ERR_CANCELLED : 0;
}
