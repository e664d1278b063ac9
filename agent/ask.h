/*
 * Asking the user on behalf of a request: a confirmation (ssh-add -c,
 * -O confirm-forwarded) or a security key's PIN.  The request that asks
 * owns the question: it withdraws it with ask_cancel() when it is
 * cancelled, and hears the answer through its callback otherwise.
 *
 * Today the one way to ask is $SSH_ASKPASS as OpenSSH runs it (a display,
 * or SSH_ASKPASS_REQUIRE=force).  Another way (the requester's terminal)
 * is one more struct ask_ops, chosen in ask_start(); nothing that asks
 * changes.
 */
#ifndef SKA_ASK_H
#define SKA_ASK_H

#include <stddef.h>

#include "err.h"

struct conn;
struct ask;

enum ask_kind {
	ASK_CONFIRM,	/* allow or refuse */
	ASK_PIN,	/* a secret, read without echo */
};

/*
 * The answer, once, on the loop.  r: 0 (allowed; answered), or a negative
 * SKA_ERR_*: CONFIRM_DENIED, PIN_REQUIRED (no PIN given), or why it could
 * not be asked.  pin (ASK_PIN with r 0): locked memory, the callee's, to
 * free with secmem_free_str; NULL otherwise.  The ask is gone when cb runs.
 */
typedef void ask_done_fn(int r, char *pin, void *arg);

/*
 * Asks text (one question; it may hold newlines) for c's request.  0 with
 * *ap set, or SKA_ERR_PROMPT_UNAVAILABLE when there is no way to ask here,
 * or another error (nothing logged, cb not called).
 */
int ask_start(enum ask_kind kind, struct conn *c, const char *text,
    ask_done_fn *cb, void *arg, struct ask **ap) SKA_WUR;
/* Withdraws the question: cb is not called.  NULL is fine. */
void ask_cancel(struct ask *a);

/* For the ways to ask. */
struct ask_ops {
	const char *name;
	/* Shows a->text; 0, or a negative SKA_ERR_* (a is then freed). */
	int (*start)(struct ask *a);
	/* Takes the question back (a->priv's resources); a is then freed. */
	void (*cancel)(struct ask *a);
};
struct ask {
	const struct ask_ops *ops;
	enum ask_kind kind;
	struct conn *conn;	/* valid until the answer or the cancel */
	char *text;
	ask_done_fn *cb;
	void *arg;
	void *priv;		/* the way's own */
};
/* The way has the answer (r and pin as for ask_done_fn): cb, then a freed. */
void ask_answer(struct ask *a, int r, char *pin);

#endif
