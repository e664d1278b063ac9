/*
 * The token layer: the registry of tokens, operations in flight and their
 * cancellation, the choice of a token, enrollment and signatures.  See
 * token.h for the contract.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fido.h>
#include <sodium.h>

#include "token-impl.h"

#define POLL_MS		50	/* one touch-status read */
#define SELECT_SLEEP_MS	200	/* between touch-status rounds */
#define RESEND_MS	100	/* CANCEL again while a cancelled call runs */
#define SLICE_MS	50	/* cancellable waits look this often */
#define NHINTS		64
#define USER_ID_MAX	64	/* CTAP2 */
#define SUN_PATH_MAX	108

struct hint {
	uint8_t id[32];		/* SHA-256(application || 0 || key handle) */
	struct token_entry *e;
};

struct token_cancel {
	atomic_int cancelled;
	_Atomic(struct token_ctx *) ctx;
};

struct token_ctx {
	pthread_mutex_t mtx;	/* entries, busy flags, hints, settings */
	pthread_cond_t cond;	/* an entry was released */
	struct token_entry *entries;	/* never freed before the context */
	size_t nentries;
	int discover;
	int touch_ms;
	int hold_hid;
	void (*logfn)(void *, const char *);
	void *logarg;
	struct hint hints[NHINTS];
	size_t nexthint;
	pthread_mutex_t scan_mtx;
	/* the cancel watchdog */
	pthread_mutex_t wmtx;	/* ops and their attached devices */
	pthread_cond_t wcond;
	struct token_op *ops;
	int wstarted;
	int wstop;
	pthread_t wthread;
};

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

static void
cond_wait_ms(pthread_cond_t *c, pthread_mutex_t *m, int64_t ms)
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

/* ------------------------------------------------------------ context */

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

static void
entry_close(struct token_entry *e)
{
	if (e->dev == NULL)
		return;
	fido_dev_close(e->dev);
	fido_dev_free(&e->dev);
}

void
token_ctx_free(struct token_ctx *ctx)
{
	struct token_entry *e, *next;

	if (ctx == NULL)
		return;
	pthread_mutex_lock(&ctx->wmtx);
	ctx->wstop = 1;
	pthread_cond_broadcast(&ctx->wcond);
	pthread_mutex_unlock(&ctx->wmtx);
	if (ctx->wstarted)
		pthread_join(ctx->wthread, NULL);
	for (e = ctx->entries; e != NULL; e = next) {
		next = e->next;
		entry_close(e);
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

static int
spec_valid(const char *spec)
{
	size_t n, pl = strlen(TOKEN_UNIX_PREFIX);

	if (spec == NULL || (n = strlen(spec)) == 0 || n >= TOKEN_SPEC_MAX)
		return 0;
	if (strncmp(spec, TOKEN_UNIX_PREFIX, pl) == 0)
		return n > pl && n - pl < SUN_PATH_MAX;
	return spec[0] == '/';
}

/* ctx->mtx held */
static struct token_entry *
entry_find(struct token_ctx *ctx, const char *spec)
{
	struct token_entry *e;

	for (e = ctx->entries; e != NULL; e = e->next)
		if (strcmp(e->spec, spec) == 0)
			return e;
	return NULL;
}

/* ctx->mtx held; appended, so that the list order is the lock order */
static struct token_entry *
entry_add(struct token_ctx *ctx, const char *spec)
{
	struct token_entry *e, **ep;

	if (ctx->nentries >= TOKEN_MAX_DEVS ||
	    (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	snprintf(e->spec, sizeof(e->spec), "%s", spec);
	e->is_unix = strncmp(spec, TOKEN_UNIX_PREFIX,
	    strlen(TOKEN_UNIX_PREFIX)) == 0;
	for (ep = &ctx->entries; *ep != NULL; ep = &(*ep)->next)
		;
	*ep = e;
	ctx->nentries++;
	return e;
}

static int
entry_configure(struct token_ctx *ctx, const char *spec,
    struct token_entry **ep)
{
	struct token_entry *e;
	int full;

	if (!spec_valid(spec))
		return SKA_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&ctx->mtx);
	full = ctx->nentries >= TOKEN_MAX_DEVS;
	if ((e = entry_find(ctx, spec)) == NULL)
		e = entry_add(ctx, spec);
	if (e != NULL)
		e->configured = 1;
	pthread_mutex_unlock(&ctx->mtx);
	if (e == NULL)
		return full ? SKA_ERR_NO_BUFFER_SPACE : SKA_ERR_ALLOC_FAIL;
	if (ep != NULL)
		*ep = e;
	return 0;
}

int
token_ctx_add_device(struct token_ctx *ctx, const char *spec)
{
	if (ctx == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	return entry_configure(ctx, spec, NULL);
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

/* hidraw devices through libfido2; unix: tokens are never discovered. */
static void
scan(struct token_ctx *ctx)
{
	fido_dev_info_t *di = NULL;
	const fido_dev_info_t *p;
	struct token_entry *e;
	const char *path, *manuf, *prod;
	size_t n = 0, i, len;
	int fr, discover;

	pthread_mutex_lock(&ctx->mtx);
	discover = ctx->discover;
	pthread_mutex_unlock(&ctx->mtx);
	if (!discover)
		return;
	pthread_mutex_lock(&ctx->scan_mtx);
	if ((di = fido_dev_info_new(TOKEN_MAX_DEVS)) == NULL)
		goto out;
	if ((fr = fido_dev_info_manifest(di, TOKEN_MAX_DEVS, &n)) != FIDO_OK) {
		token_log(ctx, "fido_dev_info_manifest: %s", fido_strerr(fr));
		goto out;
	}
	token_log(ctx, "scan: %zu security key(s) found", n);
	pthread_mutex_lock(&ctx->mtx);
	for (e = ctx->entries; e != NULL; e = e->next)
		if (!e->is_unix && !e->configured)
			e->present = 0;
	for (i = 0; i < n; i++) {
		if ((p = fido_dev_info_ptr(di, i)) == NULL ||
		    (path = fido_dev_info_path(p)) == NULL || !spec_valid(path))
			continue;
		if ((e = entry_find(ctx, path)) == NULL &&
		    (e = entry_add(ctx, path)) == NULL)
			continue;
		e->present = 1;
		if (e->product != NULL)
			continue;
		if ((manuf = fido_dev_info_manufacturer_string(p)) == NULL)
			manuf = "";
		if ((prod = fido_dev_info_product_string(p)) == NULL)
			prod = "";
		len = strlen(manuf) + strlen(prod) + 2;
		if ((e->product = malloc(len)) != NULL)
			snprintf(e->product, len, "%s%s%s", manuf,
			    *manuf != '\0' && *prod != '\0' ? " " : "", prod);
	}
	pthread_mutex_unlock(&ctx->mtx);
 out:
	fido_dev_info_free(&di, TOKEN_MAX_DEVS);
	pthread_mutex_unlock(&ctx->scan_mtx);
}

/* The entries an operation may use, in registry (= lock) order. */
static size_t
candidates(struct token_ctx *ctx, struct token_entry **v)
{
	struct token_entry *e;
	size_t n = 0;

	pthread_mutex_lock(&ctx->mtx);
	for (e = ctx->entries; e != NULL && n < TOKEN_MAX_DEVS; e = e->next)
		if (e->configured || e->present)
			v[n++] = e;
	pthread_mutex_unlock(&ctx->mtx);
	return n;
}

/* ------------------------------------------------------- cancellation */

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
			cond_wait_ms(&ctx->wcond, &ctx->wmtx, RESEND_MS);
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

static void
detach(struct token_op *op, fido_dev_t *dev)
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

static int
attach(struct token_op *op, fido_dev_t *dev)
{
	pthread_mutex_lock(&op->ctx->wmtx);
	if (op->natt < TOKEN_MAX_DEVS)
		op->att[op->natt++] = dev;
	pthread_mutex_unlock(&op->ctx->wmtx);
	if (token_op_cancelled(op)) {
		detach(op, dev);
		return SKA_ERR_CANCELLED;
	}
	return 0;
}

/* Sleeps ms unless cancelled first. */
static int
op_sleep(struct token_op *op, int ms)
{
	struct timespec ts;
	int64_t end = token_mono_ms() + ms, left;

	while ((left = end - token_mono_ms()) > 0) {
		if (token_op_cancelled(op))
			return SKA_ERR_CANCELLED;
		if (left > SLICE_MS)
			left = SLICE_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000;
		nanosleep(&ts, NULL);
	}
	return token_op_cancelled(op) ? SKA_ERR_CANCELLED : 0;
}

void
token_notify(struct token_op *op, enum token_event ev,
    const struct token_entry *e)
{
	if (op->req->notify != NULL)
		op->req->notify(op->req->notify_arg, ev,
		    e != NULL ? e->spec : "");
}

/* ----------------------------------------------------------- devices */

static int
entry_open(struct token_op *op, struct token_entry *e)
{
	struct token_ctx *ctx = op->ctx;
	fido_dev_t *dev = NULL;
	int fr;

	if (e->dev != NULL) {
		if (!e->is_unix ||
		    !token_unix_stale(fido_dev_io_handle(e->dev)))
			return 0;
		token_log(ctx, "%s: connection went stale, reopening", e->spec);
		entry_close(e);
	}
	if ((dev = fido_dev_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((e->is_unix && (fr = fido_dev_set_io_functions(dev,
	    token_unix_io())) != FIDO_OK) ||
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
static int
acquire(struct token_op *op, struct token_entry *e, int wait)
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
		cond_wait_ms(&ctx->cond, &ctx->mtx,
		    op->busy_deadline - now < SLICE_MS ?
		    op->busy_deadline - now : SLICE_MS);
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
	if (token_op_cancelled(op) || (!e->is_unix && !hold))
		entry_close(e);
	pthread_mutex_lock(&ctx->mtx);
	e->busy = 0;
	pthread_cond_broadcast(&ctx->cond);
	pthread_mutex_unlock(&ctx->mtx);
}

/* Acquire (waiting) and open. */
static int
take(struct token_op *op, struct token_entry *e, int wait)
{
	int r;

	if ((r = acquire(op, e, wait)) != 0)
		return r;
	if ((r = entry_open(op, e)) != 0) {
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
	return attach(op, e->dev);
}

int
token_call_end(struct token_op *op, struct token_entry *e, int fr)
{
	int64_t el = token_mono_ms() - op->call_start;
	unsigned int f = op->call_touch ? TOKEN_ERRF_TOUCH : 0;
	int r;

	detach(op, e->dev);
	if (fr == FIDO_OK)
		return 0;
	if (token_op_cancelled(op) || fr == FIDO_ERR_KEEPALIVE_CANCEL) {
		f |= TOKEN_ERRF_CANCELLED;
		entry_close(e);
	} else if (token_err_is_io(fr)) {
		if (el >= op->call_budget - 50) {
			f |= TOKEN_ERRF_TIMEDOUT;
			/* it may still be waiting for a touch */
			fido_dev_cancel(e->dev);
			entry_close(e);
		} else {
			entry_close(e);
			if (entry_open(op, e) != 0)
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

static void
chosen(struct token_op *op, struct token_entry *e)
{
	snprintf(op->req->token, sizeof(op->req->token), "%s", e->spec);
}

/* --------------------------------------------------- choosing a token */

static int
select_device(struct token_op *op, struct token_entry **ep)
{
	struct token_entry *e;
	int r;

	if ((r = entry_configure(op->ctx, op->req->device, &e)) != 0)
		return r;
	if ((r = take(op, e, 1)) != 0)
		return r;
	*ep = e;
	return 0;
}

/* Drops a token from touch selection: its probe may still be pending. */
static void
select_drop(struct token_op *op, struct token_entry *e, int cancel)
{
	detach(op, e->dev);
	if (cancel && e->dev != NULL)
		fido_dev_cancel(e->dev);
	entry_close(e);
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

	scan(op->ctx);
	nv = candidates(op->ctx, v);
	for (i = 0; i < nv; i++) {
		if ((r = take(op, v[i], 1)) == SKA_ERR_CANCELLED)
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
		    attach(op, held[i]->dev) != 0) {
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
		if ((r = op_sleep(op, SELECT_SLEEP_MS)) != 0)
			goto fail;
		for (i = 0; i < nheld && win == NULL; ) {
			fr = fido_dev_get_touch_status(held[i]->dev, &touched,
			    POLL_MS);
			if (fr == FIDO_OK && held[i]->is_unix &&
			    token_unix_hungup(fido_dev_io_handle(held[i]->dev)))
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
			detach(op, win->dev);
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
		chosen(op, *ep);
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
	for (i = 0; i < NHINTS && e == NULL; i++)
		if (ctx->hints[i].e != NULL &&
		    memcmp(ctx->hints[i].id, id, 32) == 0)
			e = ctx->hints[i].e;
	pthread_mutex_unlock(&ctx->mtx);
	return e;
}

static void
hint_set(struct token_ctx *ctx, const uint8_t id[32], struct token_entry *e)
{
	size_t i, slot = NHINTS;

	pthread_mutex_lock(&ctx->mtx);
	for (i = 0; i < NHINTS; i++)
		if (ctx->hints[i].e != NULL &&
		    memcmp(ctx->hints[i].id, id, 32) == 0)
			slot = i;
	if (slot == NHINTS) {
		if (e == NULL)
			goto out;
		slot = ctx->nexthint++ % NHINTS;
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
		if ((r = acquire(op, v[i], wait)) == SKA_ERR_TOKEN_BUSY &&
		    !wait)
			continue;	/* for the last pass */
		tried[(*ntried)++] = v[i];
		if (r == SKA_ERR_CANCELLED)
			return r;
		if (r != 0) {
			*errp = worse(*errp, r);
			continue;
		}
		if ((r = entry_open(op, v[i])) == 0 &&
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

	nv = candidates(op->ctx, v);
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
			scan(op->ctx);
			nv = candidates(op->ctx, v);
		}
		/* the last pass waits for the tokens that were busy */
		if ((r = probe_list(op, v, nv, tried, &ntried, pass == 2, &err,
		    application, kh, khlen, ep)) <= 0)
			return r;
	}
	hint_set(op->ctx, id, NULL);
	return err;
}

/* ---------------------------------------------------------- signatures */

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
	struct token_op op;
	struct token_entry *e = NULL;
	uint8_t id[32];
	int r, hinted = 0;

	if (sigp != NULL)
		*sigp = NULL;
	if (ctx == NULL || sigp == NULL || application == NULL || kh == NULL ||
	    khlen == 0 || data == NULL || dlen == 0 ||
	    (alg != TOKEN_ES256 && alg != TOKEN_EDDSA))
		return SKA_ERR_INVALID_ARGUMENT;
	hint_id(application, kh, khlen, id);
	if ((r = token_op_begin(ctx, req, &op)) != 0)
		goto out;
	if (op.req->device != NULL)
		r = token_select(&op, &e);
	else if ((flags & TOKEN_UV) != 0) {
		/* credProtect 3 hides it from a silent probe */
		if ((e = hint_get(ctx, id)) != NULL && take(&op, e, 1) == 0)
			hinted = 1;
		else
			r = token_select(&op, &e);
	} else
		r = select_by_cred(&op, id, application, kh, khlen, &e);
	if (r != 0) {
		e = NULL;
		goto out;
	}
	chosen(&op, e);
	r = do_sign(&op, e, alg, application, kh, khlen, data, dlen, flags,
	    sigp);
	if (r == SKA_ERR_TOKEN_NOT_FOUND && hinted) {
		hint_set(ctx, id, NULL);
		token_release(&op, e);
		if ((r = token_select(&op, &e)) != 0) {
			e = NULL;
			goto out;
		}
		r = do_sign(&op, e, alg, application, kh, khlen, data, dlen,
		    flags, sigp);
	}
	if (r == 0)
		hint_set(ctx, id, e);
 out:
	token_release(&op, e);
	token_op_end(&op);
	return r;
}

/* --------------------------------------------------------- enrollment */

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

/* ------------------------------------------------------------- status */

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
		entry_close(e);
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
	scan(ctx);
	if ((nv = candidates(ctx, v)) == 0)
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
		if ((r = acquire(&op, v[i], 0)) == SKA_ERR_TOKEN_BUSY) {
			ti[i].present = ti[i].busy = 1;
			continue;
		}
		if (entry_open(&op, v[i]) == 0)
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

/* ------------------------------------------------------------ results */

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

void
token_sig_free(struct token_sig *sig)
{
	if (sig == NULL)
		return;
	free(sig->sig);
	free(sig);
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

/* ---------------------------------------------------- PIN management */

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
