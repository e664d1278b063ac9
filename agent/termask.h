/*
 * Asking on the requester's terminal (term.h finds and opens it), from the
 * event loop, never blocking it: a security key's PIN (echo off) or a
 * confirmation (echo on, "yes" allows), as ssh's readpassphrase asks for
 * a key file's passphrase.
 *
 * While the question is open the terminal is in non-canonical mode with
 * ECHO, ECHONL, ISIG and IEXTEN off and type-ahead discarded; the agent
 * edits the line itself (erase, kill, word erase).  ISIG is off so that
 * the terminal's interrupt, quit and suspend characters (Ctrl-C, Ctrl-\,
 * Ctrl-Z) come to the agent as characters: they cancel this question
 * only, the requesting program goes on (ssh tries its next key or
 * method) instead of being killed while the agent still holds the
 * terminal's modes.  Ctrl-D or Enter on an empty line cancels too.  The
 * modes the agent changed are put back before the answer is handed on, on
 * every path: an answer, a cancel, the request withdrawn (its client
 * left), the terminal hung up, the agent stopping (term_ask_shutdown).
 *
 * A terminal not in canonical mode (a full-screen program has it) and a
 * requester that is not its terminal's foreground job are not asked: the
 * agent would race them for the keystrokes.  One question per terminal
 * at a time; later ones wait their turn, shown when it comes.  A PIN is
 * read into locked memory, wiped from every buffer it passed through, and
 * never logged.
 */
#ifndef SKA_TERMASK_H
#define SKA_TERMASK_H

#include <sys/types.h>

#include "err.h"

#define TERM_ASK_MAX	256	/* longest answer kept, NUL included */

enum term_ask_kind {
	TERM_ASK_SECRET,	/* echo off; the answer in locked memory */
	TERM_ASK_CONFIRM,	/* echo on; "yes" allows */
};

struct term_ask;

/*
 * The outcome, once, on the loop, the terminal already restored.
 * SECRET: r 0 and answer (locked memory, the callee's: secmem_free_str);
 * CONFIRM: r 0 (allowed), answer NULL.  Otherwise answer NULL and r:
 * SKA_ERR_CANCELLED (Ctrl-C, Ctrl-D, an empty answer), SKA_ERR_CONFIRM_DENIED
 * (an answer other than yes), SKA_ERR_PROMPT_UNAVAILABLE (the terminal
 * went away, or could not be used when the question's turn came).
 */
typedef void term_ask_fn(int r, char *answer, void *arg);

/*
 * Asks text on the terminal of the requester pid (uid peer): lines, the
 * last one the prompt the cursor stays after.  0 with *ap, or
 * SKA_ERR_PROMPT_UNAVAILABLE with *whyp a phrase for a person and the log
 * (cb is then not called), SKA_ERR_ALLOC_FAIL.
 */
int term_ask_start(pid_t pid, uid_t peer, enum term_ask_kind kind,
    const char *text, term_ask_fn *cb, void *arg, struct term_ask **ap,
    const char **whyp) SKA_WUR;

/*
 * Withdraws the question: the terminal restored, why (if not NULL) shown
 * on a line of its own; cb is not called.  NULL is fine.
 */
void term_ask_cancel(struct term_ask *a, const char *why);

/* How many questions are open or waiting (tests, status). */
size_t term_ask_count(void);

/* The agent stops: every terminal restored, every question dropped. */
void term_ask_shutdown(void);

#endif
