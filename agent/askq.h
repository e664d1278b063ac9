/*
 * Asking the user on behalf of a request: a confirmation (ssh-add -c,
 * -O confirm-forwarded) or a security key's PIN, the first way that
 * applies:
 *   1. $SSH_ASKPASS as OpenSSH runs it, when there is a display (DISPLAY,
 *      WAYLAND_DISPLAY) or SSH_ASKPASS_REQUIRE=force;
 *   2. the requester's terminal (termask.h), unless the request came
 *      through a forwarded agent: the local ssh is in an interactive
 *      session there and would race the question for the keystrokes;
 *   3. none: the request fails, and why is shown (say.h) on the
 *      requester's terminal, through --notify-cmd and in the log.
 * The request that asks owns the question: it withdraws it with
 * askq_cancel() when it ends otherwise, and hears the answer through its
 * callback.
 */
#ifndef SKA_ASKQ_H
#define SKA_ASKQ_H

#include <stddef.h>
#include <stdint.h>

#include "destview.h"
#include "err.h"
#include "say.h"

struct conn;
struct askq;

enum askq_kind {
	ASKQ_CONFIRM,	/* allow or refuse */
	ASKQ_PIN,	/* a secret, read without echo */
};

/*
 * The answer, once, on the loop.  r: 0 (allowed; a PIN given), or
 * SKA_ERR_CONFIRM_DENIED, SKA_ERR_PIN_REQUIRED (no PIN given), or
 * SKA_ERR_PROMPT_UNAVAILABLE (the terminal went away before its turn).
 * pin (ASKQ_PIN, r 0): locked memory, the callee's (secmem_free_str).
 */
typedef void askq_fn(int r, char *pin, void *arg);

/*
 * Asks for c's request: askpass_text for askpass, term_text (say_prompt)
 * for a terminal.  0 with *qp set, or SKA_ERR_PROMPT_UNAVAILABLE with
 * *whyp a phrase for a person (cb is then not called), SKA_ERR_ALLOC_FAIL.
 */
int askq_start(enum askq_kind kind, struct conn *c, const char *askpass_text,
    const char *term_text, askq_fn *cb, void *arg, struct askq **qp,
    const char **whyp) SKA_WUR;
/* Withdraws the question (why: a line for the terminal, or NULL). */
void askq_cancel(struct askq *q, const char *why);
/* Withdraws it because the client left or the agent stops, and says so. */
void askq_withdraw(struct askq *q);

/*
 * Tells the user why c's request with id failed (r), when it is a failure
 * they can act on (say_failure): the log, --notify-cmd or the desktop,
 * and the requester's terminal.  retries: PIN tries left (-1 unknown);
 * token: the token used ("" none); why: why nobody could be asked.
 */
struct identity;
void askq_tell_failure(struct conn *c, const struct identity *id, int r,
    int retries, const char *token, const char *why);

/*
 * What a question or notice about c's request with id over data says it
 * is for (say.h): the login's destination named (destview.h), the host key.
 * w points into the struct; clear it with askq_words_clear.
 */
struct askq_words {
	struct say_what w;
	const char *use;
	char *use_text;
	char *fp;
	struct dest_view dest;
};
void askq_words_make(struct conn *c, const struct identity *id,
    const uint8_t *data, size_t dlen, struct askq_words *aw);
void askq_words_clear(struct askq_words *aw);

/* Did c's request come through a forwarded agent (a session-bind says so)? */
int conn_forwarded(const struct conn *c);

#endif
