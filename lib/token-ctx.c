/*
 * The context (token.h): libfido2 and libsodium set up once per process,
 * the settings every operation reads, the debug log, and the clock and
 * waits the other files share.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <fido.h>
#include <sodium.h>

#include "token-impl.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_ok;

static void
lib_init(void)
{
	fido_init(0);
	init_ok = sodium_init() >= 0;
}

int64_t
token_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
token_cond_wait_ms(pthread_cond_t *c, pthread_mutex_t *m, int64_t ms)
{
	struct timespec ts;

	if (ms < 1)
		ms = 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(c, m, &ts);
}

void
token_log(struct token_ctx *ctx, const char *fmt, ...)
{
	void (*fn)(void *, const char *);
	void *arg;
	char buf[512];
	va_list ap;

	if (ctx == NULL)
		return;
	pthread_mutex_lock(&ctx->mtx);
	fn = ctx->logfn;
	arg = ctx->logarg;
	pthread_mutex_unlock(&ctx->mtx);
	if (fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fn(arg, buf);
}

int
token_ctx_new(struct token_ctx **ctxp)
{
	struct token_ctx *ctx;
	pthread_condattr_t ca;

	if (ctxp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*ctxp = NULL;
	pthread_once(&init_once, lib_init);
	if (!init_ok)
		return SKA_ERR_INTERNAL;
	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&ctx->mtx, NULL);
	pthread_mutex_init(&ctx->scan_mtx, NULL);
	pthread_mutex_init(&ctx->wmtx, NULL);
	pthread_cond_init(&ctx->cond, &ca);
	pthread_cond_init(&ctx->wcond, &ca);
	pthread_condattr_destroy(&ca);
	ctx->discover = 1;
	ctx->touch_ms = TOKEN_TOUCH_MS_DEFAULT;
	*ctxp = ctx;
	return 0;
}

void
token_ctx_free(struct token_ctx *ctx)
{
	struct token_entry *e, *next;

	if (ctx == NULL)
		return;
	token_watchdog_stop(ctx);
	for (e = ctx->entries; e != NULL; e = next) {
		next = e->next;
		token_entry_close(e);
		free(e->product);
		free(e);
	}
	pthread_cond_destroy(&ctx->cond);
	pthread_cond_destroy(&ctx->wcond);
	pthread_mutex_destroy(&ctx->mtx);
	pthread_mutex_destroy(&ctx->scan_mtx);
	pthread_mutex_destroy(&ctx->wmtx);
	free(ctx);
}

void
token_ctx_set_discovery(struct token_ctx *ctx, int on)
{
	pthread_mutex_lock(&ctx->mtx);
	ctx->discover = on != 0;
	pthread_mutex_unlock(&ctx->mtx);
}

void
token_ctx_set_touch_ms(struct token_ctx *ctx, int ms)
{
	if (ms <= 0)
		return;
	pthread_mutex_lock(&ctx->mtx);
	ctx->touch_ms = ms;
	pthread_mutex_unlock(&ctx->mtx);
}

void
token_ctx_set_hold_hid(struct token_ctx *ctx, int on)
{
	pthread_mutex_lock(&ctx->mtx);
	ctx->hold_hid = on != 0;
	pthread_mutex_unlock(&ctx->mtx);
}

void
token_ctx_set_log(struct token_ctx *ctx,
    void (*fn)(void *arg, const char *msg), void *arg)
{
	pthread_mutex_lock(&ctx->mtx);
	ctx->logfn = fn;
	ctx->logarg = arg;
	pthread_mutex_unlock(&ctx->mtx);
}
