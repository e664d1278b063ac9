/*
 * Inside the token layer: shared by token*.c only.
 */
#ifndef SKA_TOKEN_IMPL_H
#define SKA_TOKEN_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <fido.h>

#include "token.h"

/* token-unix.c: the unix: transport (one CTAPHID report per datagram). */
#define TOKEN_UNIX_PREFIX	"unix:"
const fido_dev_io_t *token_unix_io(void);
/* The peer hung up, or an unread reply waits (a stale answer): reopen. */
int token_unix_stale(void *handle);
/* The peer hung up. */
int token_unix_hungup(void *handle);

/* token-err.c: the one translation of libfido2 errors. */
#define TOKEN_ERRF_TOUCH	0x01	/* the call waited for a touch */
#define TOKEN_ERRF_TIMEDOUT	0x02	/* its time budget ran out */
#define TOKEN_ERRF_GONE		0x04	/* the token cannot be re-opened */
#define TOKEN_ERRF_CANCELLED	0x08	/* the operation was cancelled */
int token_err_map(int fido_err, unsigned int ctxflags);
/* TX/RX and friends: the transport failed, the token may be gone. */
int token_err_is_io(int fido_err);

/* token.c: registry, operations in flight, device choice. */
#define TOKEN_MAX_DEVS		32	/* registry entries; devices polled */
#define TOKEN_OPEN_MS		3000	/* INIT + getInfo */
#define TOKEN_PROBE_MS		3000	/* a silent assertion */
#define TOKEN_OP_MS		10000	/* anything else without a touch */

struct token_entry {
	char spec[TOKEN_SPEC_MAX];
	char *product;
	int is_unix;
	int configured;		/* token_ctx_add_device or req->device */
	int present;		/* hidraw: listed by the last scan */
	int busy;		/* held by an operation (ctx->mtx) */
	fido_dev_t *dev;	/* open handle: only the holder uses it */
	struct token_entry *next;
};

struct token_op {
	struct token_ctx *ctx;
	struct token_req *req;
	struct token_req dummy;	/* when the caller passed none */
	int touch_ms;
	int64_t busy_deadline;	/* how long to wait for a busy token */
	fido_dev_t *att[TOKEN_MAX_DEVS];	/* the watchdog cancels these */
	size_t natt;
	int64_t call_start;	/* the libfido2 call in progress */
	int call_budget;
	int call_touch;
	struct token_op *prev, *next;
};

int64_t token_mono_ms(void);
void token_log(struct token_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int token_op_begin(struct token_ctx *ctx, struct token_req *req,
    struct token_op *op) SKA_WUR;
void token_op_end(struct token_op *op);
int token_op_cancelled(const struct token_op *op);
void token_notify(struct token_op *op, enum token_event ev,
    const struct token_entry *e);
/* req->device, the only present token, or the one touched; held. */
int token_select(struct token_op *op, struct token_entry **ep) SKA_WUR;
void token_release(struct token_op *op, struct token_entry *e);
/*
 * Around every libfido2 request on a held entry: set its time budget and
 * let a cancel reach it; then translate the result (closing or re-opening
 * the device as the error demands).
 */
int token_call_begin(struct token_op *op, struct token_entry *e,
    int budget_ms, int touch) SKA_WUR;
int token_call_end(struct token_op *op, struct token_entry *e, int fido_r);
/* Is a PIN set, as the token says now (not as at open time)? */
int token_pin_set(struct token_op *op, struct token_entry *e);
/* After a PIN error: fill req->pin_retries. */
void token_pin_error(struct token_op *op, struct token_entry *e, int r);
int token_cred_fill_pubkey(struct token_cred *tc, const fido_cred_t *c) SKA_WUR;

#endif
