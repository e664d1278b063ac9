/*
 * Inside the token layer: shared by token*.c only.
 */
#ifndef SKA_TOKEN_IMPL_H
#define SKA_TOKEN_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include <fido.h>

#include "token.h"

/*
 * Transports (token-transport.c holds the table; one file each:
 * token-hid.c, token-unix.c).  A transport is how libfido2 reaches one
 * kind of token, registered as libfido2 registers its own fido_dev_io_t
 * transports: the spec prefix that names it, its I/O functions, how its
 * tokens' nodes are identified without I/O, and how its tokens are found.
 * Nothing else in the token layer knows one transport from another.
 */
struct token_transport {
	const char *name;	/* for logs: "hidraw", "unix" */
	const char *prefix;	/* of its specs: "unix:"; "" for the default
				   (the last in the table) */
	const char *form;	/* a spec as a person writes it: "unix:PATH" */
	int (*valid)(const char *spec);	/* well-formed?  (prefix included,
				   length < TOKEN_SPEC_MAX checked before) */
	const fido_dev_io_t *io;	/* NULL: libfido2's own (hidraw) */
	int exclusive;		/* an open handle locks other programs out:
				   closed after each operation unless
				   token_ctx_set_hold_hid */
	/* must an open handle be re-opened before use?  NULL: never */
	int (*stale)(void *io_handle);
	/* has the token hung up?  (while touch selection polls)  NULL: the
	   I/O errors say so */
	int (*hungup)(void *io_handle);
	/* the token's node (device node, socket), as token_node */
	int (*node)(const char *spec, struct token_node *n);
	/* the tokens there now, as fido_dev_info_manifest (which is hidraw's;
	   fido_dev_info_set fills entries); NULL: only configured tokens */
	int (*manifest)(fido_dev_info_t *devlist, size_t ilen, size_t *olen);
};
/* The table, NULL-terminated, in lookup order. */
const struct token_transport *const *token_transports(void);
/* spec's transport: the first whose prefix it starts with. */
const struct token_transport *token_transport(const char *spec);
/* For a transport's node function: path's identity if it is of type. */
int token_node_stat(const char *path, mode_t type, struct token_node *n);

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
	const struct token_transport *tr;
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
