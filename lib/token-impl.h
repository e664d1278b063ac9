/*
 * Inside the token layer: what its files (token-*.c) promise one another,
 * file by file.  Nothing outside lib/token-*.c includes this; the public
 * contract is token.h.
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

#define TOKEN_MAX_DEVS		32	/* registry entries; devices polled */
#define TOKEN_OPEN_MS		3000	/* INIT + getInfo */
#define TOKEN_PROBE_MS		3000	/* a silent assertion */
#define TOKEN_OP_MS		10000	/* anything else without a touch */
#define TOKEN_SLICE_MS		50	/* cancellable waits look this often */
#define TOKEN_NHINTS		64	/* keys whose last token is remembered */

/* token-choose.c: the token that last signed with a key. */
struct token_hint {
	uint8_t id[32];		/* SHA-256(application || 0 || key handle) */
	struct token_entry *e;
};

/*
 * token-ctx.c: the context.  Every file of the layer reads it; each field
 * says who writes it.
 */
struct token_ctx {
	pthread_mutex_t mtx;	/* entries, busy flags, hints, settings */
	pthread_cond_t cond;	/* an entry was released (token-dev.c) */
	struct token_entry *entries;	/* token-discover.c; freed only
					   with the context */
	size_t nentries;
	int discover;		/* settings (token-ctx.c) */
	int touch_ms;
	int hold_hid;
	void (*logfn)(void *, const char *);
	void *logarg;
	struct token_hint hints[TOKEN_NHINTS];	/* token-choose.c */
	size_t nexthint;
	pthread_mutex_t scan_mtx;	/* one scan at a time */
	/* the cancel watchdog (token-cancel.c) */
	pthread_mutex_t wmtx;	/* ops and their attached devices */
	pthread_cond_t wcond;
	struct token_op *ops;
	int wstarted;
	int wstop;
	pthread_t wthread;
};
int64_t token_mono_ms(void);
/* pthread_cond_timedwait for ms (at least 1) on a CLOCK_MONOTONIC cond. */
void token_cond_wait_ms(pthread_cond_t *c, pthread_mutex_t *m, int64_t ms);
void token_log(struct token_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * token-discover.c: the registry.  An entry, once added, lives as long as
 * the context: pointers to it stay valid.
 */
struct token_entry {
	char spec[TOKEN_SPEC_MAX];
	char *product;		/* as its transport's manifest says, or NULL */
	const struct token_transport *tr;
	int configured;		/* token_ctx_add_device or req->device */
	int present;		/* found by the last scan, or opened */
	int busy;		/* held by an operation (ctx->mtx) */
	fido_dev_t *dev;	/* open handle: only the holder uses it */
	struct token_entry *next;
};
/* The entry for spec, added if new, marked configured. */
int token_entry_configure(struct token_ctx *ctx, const char *spec,
    struct token_entry **ep) SKA_WUR;
/* Asks every transport that finds its tokens (when discovery is on). */
void token_scan(struct token_ctx *ctx);
/* The entries an operation may use (configured or present), in order. */
size_t token_candidates(struct token_ctx *ctx, struct token_entry **v);

/*
 * token-cancel.c: operations in flight.  Every public operation runs
 * between token_op_begin and token_op_end; a device it waits on is
 * attached, so that a cancel reaches it.
 */
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
int token_op_begin(struct token_ctx *ctx, struct token_req *req,
    struct token_op *op) SKA_WUR;
void token_op_end(struct token_op *op);
int token_op_cancelled(const struct token_op *op);
/* CANCELLED when the operation was cancelled (dev not attached then). */
int token_attach(struct token_op *op, fido_dev_t *dev) SKA_WUR;
void token_detach(struct token_op *op, fido_dev_t *dev);
/* Sleeps ms unless cancelled first: 0 or CANCELLED. */
int token_op_sleep(struct token_op *op, int ms);
/* Stops the watchdog thread (token_ctx_free). */
void token_watchdog_stop(struct token_ctx *ctx);

/*
 * token-dev.c: holding a token.  An operation takes an entry (acquire:
 * busy; take: acquire and open), uses e->dev alone, and releases it.
 */
int token_acquire(struct token_op *op, struct token_entry *e, int wait)
    SKA_WUR;
int token_entry_open(struct token_op *op, struct token_entry *e) SKA_WUR;
int token_take(struct token_op *op, struct token_entry *e, int wait) SKA_WUR;
void token_release(struct token_op *op, struct token_entry *e);
void token_entry_close(struct token_entry *e);
/*
 * Around every libfido2 request on a held entry: set its time budget and
 * let a cancel reach it; then translate the result (closing or re-opening
 * the device as the error demands).
 */
int token_call_begin(struct token_op *op, struct token_entry *e,
    int budget_ms, int touch) SKA_WUR;
int token_call_end(struct token_op *op, struct token_entry *e, int fido_r);
/* After a PIN error: fill req->pin_retries. */
void token_pin_error(struct token_op *op, struct token_entry *e, int r);
/* The operation uses e: req->token says so. */
void token_chosen(struct token_op *op, const struct token_entry *e);
void token_notify(struct token_op *op, enum token_event ev,
    const struct token_entry *e);

/*
 * token-choose.c: which token an operation uses; the chosen one is held
 * and named in req->token.
 */
/* req->device, the only present token, or the one touched. */
int token_select(struct token_op *op, struct token_entry **ep) SKA_WUR;
/* A signature's key, and how its token was chosen. */
struct token_signer {
	const char *application;
	const uint8_t *kh;
	size_t khlen;
	uint8_t flags;		/* TOKEN_UP, TOKEN_UV */
	uint8_t id[32];		/* its hint */
	int hinted;		/* chosen as the token that last signed it */
};
/*
 * The token to sign with: req->device; for a verify-required key the
 * token that last signed with it, else token_select; otherwise the one
 * that answers a silent probe.
 */
int token_select_signer(struct token_op *op, struct token_signer *s,
    struct token_entry **ep) SKA_WUR;
/*
 * The signature on *ep ended with *rp; remembered on success.  1 when *ep
 * was released and another token chosen to try again (the remembered one
 * no longer holds the key); 0 when *rp stands (*ep NULL, released, when
 * choosing again failed).
 */
int token_signer_done(struct token_op *op, struct token_signer *s,
    struct token_entry **ep, int *rp);

/* token-status.c: is a PIN set, as the token says now (not at open)? */
int token_pin_set(struct token_op *op, struct token_entry *e);

/* token-enroll.c: the public key of a made or listed credential. */
int token_cred_fill_pubkey(struct token_cred *tc, const fido_cred_t *c) SKA_WUR;

#endif
