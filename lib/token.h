/*
 * The token layer: every FIDO2 security key the agent and the tools use,
 * real (hidraw, found by libfido2) or software ("unix:PATH", a SOCK_SEQPACKET
 * socket speaking CTAPHID, see tests/softtoken).  It does for skagent what
 * OpenSSH's sk-usbhid.c does for ssh: pick the token, enroll, sign, list
 * resident keys.  It returns raw material (COSE algorithm, public key bytes,
 * key handle, authenticator signature); lib/sk.h turns that into ssh keys
 * and signatures.  Nothing here knows an ssh format.
 *
 * Errors are 0 or SKA_ERR_* (lib/err.h); libfido2's codes are translated in
 * one place (token-err.c, table below).  Every wait is bounded.
 *
 * Files (lib/token-*.c, one job each; token-impl.h is their internal
 * contract): ctx (the context), transport (the table of transports and
 * what a spec says), hid and unix (one transport each), discover (the
 * registry of tokens), cancel (operations in flight, cancellation), dev
 * (holding one token, the bracket around each libfido2 request), choose
 * (which token), sign, enroll, resident (credential management), status
 * (getInfo, PIN state), err.
 *
 * Threads.  A struct token_ctx is shared by all threads.  Operations on
 * different tokens run in parallel; operations on the same token are
 * serialised (a second one waits, cancellably, for at most the touch wait
 * plus 10 s, then fails with SKA_ERR_TOKEN_BUSY).  Each operation takes its
 * own struct token_req.  A struct token_cancel lets another thread stop an
 * operation: token_cancel() never blocks on a device; the operation returns
 * SKA_ERR_CANCELLED within about 100 ms (the token is sent CTAPHID_CANCEL,
 * repeated every 100 ms until the operation lets go of it).  An operation
 * that has already completed when the cancel arrives returns its result.
 * The unix: transport never lets a CANCEL split a request's frames; on
 * hidraw libfido2 writes the frames and cannot be told to wait, so a
 * cancel landing in the millisecond a request is being written may be
 * dropped by the token with the request: the operation then ends at its
 * own time budget, still with SKA_ERR_CANCELLED.
 *
 * Devices.  The context keeps a registry: configured specs
 * (token_ctx_add_device) and hidraw devices found by fido_dev_info_manifest
 * (rescanned when an operation needs a token it does not have open).
 * unix: tokens stay open between operations; an I/O error closes the
 * handle and the next operation re-opens it.  hidraw devices are closed
 * after each operation by default, because libfido2 holds an exclusive
 * flock() on an open hidraw node and every other program (browsers,
 * ssh-keygen) would fail to open the key; token_ctx_set_hold_hid() keeps
 * them open.  Re-opening costs an INIT and a getInfo, not a rediscovery.
 *
 * Choosing a token (as sk-usbhid.c): a signature without user
 * verification goes to the token that answers a silent probe (getAssertion,
 * up=false, allowList = the key handle, clientdata 32 zero bytes); the
 * token that last served a key handle is probed first.  Enrollment,
 * resident keys and PIN queries use the only present token, or, with
 * several, the one the user touches (fido_dev_get_touch_begin on each,
 * polled every 200 ms, bounded by the touch wait; TOKEN_EVENT_SELECT says
 * so first).  A verify-required signature (hidden from silent probes by
 * credProtect 3) goes straight to the token that last served that key
 * handle, if it is present; else it is chosen the same way among the
 * tokens that can verify a user (a PIN set or built-in UV, as getInfo
 * says; all of them when none can): no touch to choose when only one
 * can.  req->device restricts an operation to one token and skips the
 * choice.
 *
 * PINs are NUL-terminated strings in locked memory (secmem.h), owned by the
 * caller, handed to libfido2 and never copied or logged by this layer.
 *
 * libfido2 error -> SKA_ERR_* (token_err_from_fido; context decides TX/RX):
 *   FIDO_OK                                  0
 *   TX, RX, RX_NOT_CBOR, RX_INVALID_CBOR     TOKEN_IO; TOUCH_TIMEOUT when the
 *                                            touch wait ran out (TIMEOUT when
 *                                            no touch was asked); TOKEN_GONE
 *                                            when the token cannot be
 *                                            re-opened; CANCELLED if cancelled
 *   TIMEOUT 0x05, INVALID_SEQ/LENGTH/CHANNEL TOKEN_IO
 *   CHANNEL_BUSY 0x06, PROCESSING, USER_ACTION_PENDING, OPERATION_PENDING
 *                                            TOKEN_BUSY
 *   OPERATION_DENIED 0x27                    TOUCH_REFUSED
 *   USER_PRESENCE_REQUIRED, UP_REQUIRED      TOUCH_REFUSED
 *   ACTION_TIMEOUT 0x3a, USER_ACTION_TIMEOUT 0x2f   TOUCH_TIMEOUT
 *   KEEPALIVE_CANCEL 0x2d                    CANCELLED
 *   NO_CREDENTIALS 0x2e, INVALID_CREDENTIAL  TOKEN_NOT_FOUND
 *   PIN_REQUIRED 0x36                        PIN_REQUIRED
 *   PIN_INVALID 0x31                         PIN_INVALID (req->pin_retries)
 *   PIN_AUTH_BLOCKED 0x34                    PIN_AUTH_BLOCKED
 *   PIN_BLOCKED 0x32                         PIN_BLOCKED
 *   PIN_NOT_SET 0x35                         PIN_NOT_SET
 *   PIN_POLICY_VIOLATION 0x37                PIN_POLICY
 *   UV_BLOCKED 0x3c, UV_INVALID 0x3f         UV_REQUIRED
 *   UNSUPPORTED_ALGORITHM/OPTION/EXTENSION, INVALID_OPTION, INVALID_COMMAND
 *                                            TOKEN_UNSUPPORTED
 *   CREDENTIAL_EXCLUDED 0x19                 CREDENTIAL_EXISTS
 *   INVALID_SIG                              SIGNATURE_INVALID
 *   INVALID_ARGUMENT, INVALID_PARAM          INVALID_ARGUMENT
 *   NOTFOUND                                 NO_TOKEN
 *   anything else (INTERNAL, KEY_STORE_FULL, PIN_AUTH_INVALID, ...)   TOKEN
 */
#ifndef SKA_TOKEN_H
#define SKA_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

/* COSE algorithm identifiers, as libfido2 and CTAP2 use them */
#define TOKEN_ES256		(-7)
#define TOKEN_EDDSA		(-8)

/* Flags; the same bits as OpenSSH's sk flags (PROTOCOL.u2f). */
#define TOKEN_UP		0x01	/* user presence (touch) */
#define TOKEN_UV		0x04	/* user verification (PIN, built-in) */
#define TOKEN_FORCE		0x10	/* enroll: overwrite a resident key */
#define TOKEN_RESIDENT		0x20	/* discoverable credential */

#define TOKEN_TOUCH_MS_DEFAULT	30000
#define TOKEN_PIN_MIN		4	/* CTAP2's shortest PIN */
#define TOKEN_SPEC_MAX		256	/* longest device spec, NUL included */

struct token_ctx;
struct token_cancel;

/* Progress events, called on the operation's thread. */
enum token_event {
	TOKEN_EVENT_SELECT = 1,	/* several tokens: touch the one to use */
	TOKEN_EVENT_TOUCH,	/* the token now waits for a touch */
};
typedef void token_notify_fn(void *arg, enum token_event ev,
    const char *token);

/*
 * One operation's options (in) and details of its outcome (out).  Zero it,
 * then set what you need.  The out fields are reset by every operation.
 */
struct token_req {
	const char *device;	/* only this token (a spec), or NULL */
	const char *pin;	/* NUL-terminated, locked memory, or NULL */
	int touch_ms;		/* touch wait; 0: the context's */
	struct token_cancel *cancel;	/* or NULL */
	token_notify_fn *notify;	/* or NULL */
	void *notify_arg;
	/* out */
	int pin_retries;	/* after PIN_INVALID, PIN_AUTH_BLOCKED,
				   PIN_BLOCKED: tries left; -1: unknown */
	char token[TOKEN_SPEC_MAX];	/* spec of the token used, or "" */
};

/* What a token returned at enrollment, or lists as a resident key. */
struct token_cred {
	int alg;		/* TOKEN_ES256 or TOKEN_EDDSA */
	uint8_t pubkey[65];	/* Ed25519: 32 bytes; P-256: 0x04||x||y */
	size_t pubkey_len;
	uint8_t *key_handle;	/* the credential id */
	size_t key_handle_len;
	char *application;	/* rp id */
	uint8_t *user_id;
	size_t user_id_len;
	char *user_name;	/* resident keys; "" when the token has none */
	uint8_t flags;		/* enroll: as requested less TOKEN_FORCE;
				   resident: UP|RESIDENT, plus UV when
				   credProtect is 3 and the token has no
				   built-in UV (as OpenSSH) */
	int cred_protect;	/* 0 (none), 1, 2 or 3 */
	/* enrollment only, for ssh-keygen -O write-attestation */
	char *att_fmt;		/* "packed", "fido-u2f", "none", ... */
	uint8_t *att_sig;
	size_t att_sig_len;
	uint8_t *att_x5c;	/* attestation certificate (DER), or NULL */
	size_t att_x5c_len;
	uint8_t *authdata;	/* CBOR bytes, as fido_cred_authdata_ptr */
	size_t authdata_len;
	uint8_t challenge[32];	/* the challenge used, when it was generated */
	size_t challenge_len;	/* 0 when the caller supplied one */
};

/* An assertion. */
struct token_sig {
	uint8_t flags;		/* authenticator data flags (UP, UV) */
	uint32_t counter;
	uint8_t *sig;		/* ES256: DER; EdDSA: 64 bytes */
	size_t sig_len;
};

/* One token as a status display shows it. */
struct token_info {
	char spec[TOKEN_SPEC_MAX];
	char *product;		/* "manufacturer product" (hidraw) or NULL */
	int present;		/* could be opened */
	int busy;		/* in use: nothing below is known */
	int fido2;		/* CTAP2; otherwise U2F only */
	uint8_t aaguid[16];
	int pin_supported;
	int pin_set;
	int pin_retries;	/* -1 when unknown or no PIN set */
	int uv;			/* built-in UV: -1 none, 0 not set up, 1 on */
	int cred_protect;	/* credProtect extension */
	int credman;		/* credential management */
	int es256, eddsa;	/* algorithms (a token listing none: ES256) */
	/* getInfo's CTAP 2.1 parts, where the token reports them */
	char versions[64];	/* "FIDO_2_0 FIDO_2_1" */
	int min_pin_len;	/* minPINLength; TOKEN_PIN_MIN if not said */
	int force_pin_change;	/* forcePINChange: the PIN must change */
	int64_t rk_remaining;	/* resident keys it has room for; -1 */
	uint64_t fw_version;	/* firmwareVersion; 0 if not said */
	int uv_retries;		/* built-in UV tries left; -1 */
};

/*
 * Specs.  A token is named by a spec whose prefix says its transport:
 * "unix:PATH" (a software token's socket) or an absolute device path
 * (/dev/hidraw3, libfido2's hidraw).  token_spec_check() says whether spec
 * is well-formed (0, or SKA_ERR_INVALID_ARGUMENT), without I/O;
 * token_spec_forms() says what forms there are, for messages ("unix:PATH
 * or a device path").
 */
int token_spec_check(const char *spec) SKA_WUR;
const char *token_spec_forms(void);

/*
 * The identity of a token's node (device node, socket), read with stat(2)
 * and no device I/O: whether the token is there, and whether it is still
 * the same one (a token unplugged and plugged in again gets a new node,
 * which may reuse the inode, not the ctime too).  token_node() is 0 with
 * *n filled, SKA_ERR_NO_TOKEN when the node is not there, or
 * SKA_ERR_INVALID_ARGUMENT for a malformed spec.
 */
struct token_node {
	dev_t dev;
	ino_t ino;
	struct timespec ctime;
};
int token_node(const char *spec, struct token_node *n);
int token_node_same(const struct token_node *a, const struct token_node *b);

/*
 * Context.  token_ctx_new() also initialises libfido2 (once per process).
 * token_ctx_free() closes every device; no operation may be running.
 */
int token_ctx_new(struct token_ctx **ctxp) SKA_WUR;
void token_ctx_free(struct token_ctx *ctx);
/* A spec (token_spec_check); repeatable. */
int token_ctx_add_device(struct token_ctx *ctx, const char *spec) SKA_WUR;
/*
 * Discovery of the tokens of the transports that find theirs (hidraw,
 * through fido_dev_info_manifest): on (1) by default.
 */
void token_ctx_set_discovery(struct token_ctx *ctx, int on);
/* Default touch wait in ms (> 0); TOKEN_TOUCH_MS_DEFAULT at first. */
void token_ctx_set_touch_ms(struct token_ctx *ctx, int ms);
/*
 * Keep the tokens of exclusive transports (hidraw) open between
 * operations (0 by default, see above).
 */
void token_ctx_set_hold_hid(struct token_ctx *ctx, int on);
/* Debug lines (never secrets), called on the operations' threads. */
void token_ctx_set_log(struct token_ctx *ctx,
    void (*fn)(void *arg, const char *msg), void *arg);

/*
 * Cancel handles.  One per operation in flight (may be reused afterwards
 * with token_cancel_reset).  token_cancel() may be called from any thread,
 * any number of times, before, during or after the operation; it does no
 * device I/O itself (a thread of the context sends CTAPHID_CANCEL) and
 * never blocks for long.  A handle used with a context must not be
 * cancelled after that context is freed.  Free a handle only when no
 * operation uses it.
 */
struct token_cancel *token_cancel_new(void);
void token_cancel(struct token_cancel *c);
int token_cancelled(const struct token_cancel *c);
void token_cancel_reset(struct token_cancel *c);
void token_cancel_free(struct token_cancel *c);

/*
 * Make a credential.  alg TOKEN_ES256 or TOKEN_EDDSA; application is the rp
 * id; user_id NULL means 32 zero bytes (OpenSSH's default); challenge NULL
 * means 32 random bytes (returned in the result).  flags: TOKEN_RESIDENT,
 * TOKEN_UV (verify-required: credProtect 3), TOKEN_FORCE; a resident or
 * verify-required credential needs credProtect (else TOKEN_UNSUPPORTED) and
 * gets level 3 (UV) or 2.  A resident enrollment without TOKEN_FORCE fails
 * with CREDENTIAL_EXISTS when the token already has one for that
 * application and user id.  The attestation is verified (x5c, or self
 * attestation) before the result is returned.  Free with token_creds_free.
 */
int token_enroll(struct token_ctx *ctx, struct token_req *req, int alg,
    const char *application, const uint8_t *user_id, size_t user_id_len,
    const uint8_t *challenge, size_t challenge_len, uint8_t flags,
    struct token_cred **credp) SKA_WUR;

/*
 * Get an assertion over data (libfido2 hashes it into the clientDataHash).
 * flags: TOKEN_UP asks for a touch, TOKEN_UV for user verification (with
 * req->pin, or the token's built-in UV; neither: PIN_REQUIRED, without
 * touching the token).  Free with token_sig_free.
 */
int token_sign(struct token_ctx *ctx, struct token_req *req, int alg,
    const char *application, const uint8_t *key_handle, size_t khlen,
    const uint8_t *data, size_t dlen, uint8_t flags,
    struct token_sig **sigp) SKA_WUR;

/*
 * Resident keys of rp ids starting "ssh:" (req->pin required: PIN_REQUIRED,
 * or PIN_NOT_SET when the token has none).  A token without credential
 * management or without resident keys gives 0 keys.  *credsp is an array
 * of *ncredsp (possibly NULL and 0); free with token_creds_free.
 */
int token_load_resident(struct token_ctx *ctx, struct token_req *req,
    struct token_cred **credsp, size_t *ncredsp) SKA_WUR;
/* Deletes the resident credential with this id (req->pin required). */
int token_delete_resident(struct token_ctx *ctx, struct token_req *req,
    const uint8_t *key_handle, size_t khlen) SKA_WUR;

/* PIN tries left on the chosen token. */
int token_pin_retries(struct token_ctx *ctx, struct token_req *req,
    int *retriesp) SKA_WUR;

/*
 * Sets the PIN of a token that has none; changes it (req->pin the current
 * one) on one that has.  No touch.  PIN_POLICY when the token refuses the
 * new PIN (shorter than its minimum, or the same when a change is
 * forced); PIN_INVALID (req->pin_retries), PIN_AUTH_BLOCKED, PIN_BLOCKED
 * for the current one.  Nothing retries.
 */
int token_set_pin(struct token_ctx *ctx, struct token_req *req,
    const char *new_pin) SKA_WUR;
int token_change_pin(struct token_ctx *ctx, struct token_req *req,
    const char *new_pin) SKA_WUR;
/* Resident keys on the token, of every rp id, and the room left (PIN). */
int token_resident_slots(struct token_ctx *ctx, struct token_req *req,
    int *usedp, int *freep) SKA_WUR;

/*
 * Every known token (configured, and hidraw found now), without waiting
 * for a busy one.  Free with token_info_free.
 */
int token_list(struct token_ctx *ctx, struct token_info **infop,
    size_t *ninfop) SKA_WUR;

void token_creds_free(struct token_cred *creds, size_t n);
void token_sig_free(struct token_sig *sig);
void token_info_free(struct token_info *info, size_t n);

/* The translation table above, for an error with no context. */
int token_err_from_fido(int fido_err);
/*
 * ska_err(r) with what req adds, e.g. "wrong PIN, 5 tries left".  Writes
 * into buf (always NUL-terminated) and returns it.
 */
const char *token_strerror(int r, const struct token_req *req, char *buf,
    size_t len);

#endif
