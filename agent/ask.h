/*
 * Asking the user on behalf of a request: a confirmation (ssh-add -c,
 * -O confirm-forwarded) or a security key's PIN.  The request that asks
 * owns the question: it withdraws it with ask_cancel() when it is
 * cancelled, and hears the answer through its callback otherwise.
 *
 * The ways to ask, each a struct ask_ops, the first that applies:
 *   1. $SSH_ASKPASS as OpenSSH runs it, when there is a display (DISPLAY,
 *      WAYLAND_DISPLAY) or SSH_ASKPASS_REQUIRE=force;
 *   2. the requester's terminal (termask.h), unless the request came
 *      through a forwarded agent: the local ssh is in an interactive
 *      session there and would race the question for the keystrokes;
 *   3. none: SKA_ERR_PROMPT_UNAVAILABLE, with why for the user.
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
 * Asks text (one question; it may hold newlines) for c's request; on a
 * terminal term_text instead (say_prompt: 80 columns, ending in the
 * prompt), or text when it is NULL.  0 with *ap set, or
 * SKA_ERR_PROMPT_UNAVAILABLE when there is no way to ask here (*whyp,
 * unless NULL, a phrase for the user saying why), or another error
 * (nothing logged, cb not called).
 */
int ask_start(enum ask_kind kind, struct conn *c, const char *text,
    const char *term_text, ask_done_fn *cb, void *arg, struct ask **ap,
    const char **whyp) SKA_WUR;
/* Withdraws the question: cb is not called.  NULL is fine. */
void ask_cancel(struct ask *a);
/*
 * The same for a request cancelled for reason (request.h): a terminal
 * that showed the question says why it was withdrawn.
 */
void ask_withdraw(struct ask *a, int reason);

/* For the ways to ask. */
struct ask_ops {
	const char *name;
	/*
	 * Shows a->text; 0, or a negative SKA_ERR_* (a is then freed):
	 * SKA_ERR_PROMPT_UNAVAILABLE with a->why when this way cannot ask.
	 */
	int (*start)(struct ask *a);
	/* Takes the question back (a->priv's resources); a is then freed. */
	void (*cancel)(struct ask *a);
};
struct ask {
	const struct ask_ops *ops;
	enum ask_kind kind;
	struct conn *conn;	/* valid until the answer or the cancel */
	char *text;
	char *term_text;	/* for a terminal */
	const char *why;	/* start: why this way cannot ask */
	int withdrawn;		/* cancel: why (ask_withdraw's reason), or 0 */
	ask_done_fn *cb;
	void *arg;
	void *priv;		/* the way's own */
};
/* The way has the answer (r and pin as for ask_done_fn): cb, then a freed. */
void ask_answer(struct ask *a, int r, char *pin);

#endif
