/*
 * What the agent tells a person, worded and sized for an 80-column
 * terminal: at most two lines of at most SAY_COLS columns, what to do
 * first ("Touch your security key ..."), then for what: the key's comment
 * and the destination as the user typed it (destview.h), or, when that name
 * could not be confirmed, the host key's fingerprint.  Long comments and
 * names are cut with "...", never the fingerprint.  Columns are counted as
 * UTF-8 characters.  The texts carry no trailing newline.
 */
#ifndef SKA_SAY_H
#define SKA_SAY_H

#include <stddef.h>

#define SAY_COLS	79	/* the last column is left free */

struct dest_view;

/* s in at most cols columns, "..." where it was cut; caller frees. */
char *say_clip(const char *s, size_t cols);
/* How many columns s takes. */
size_t say_width(const char *s);
/*
 * line folded to width columns at blanks, never inside a word: the lines
 * after the first indented by hang spaces; a word wider than the room cut
 * with "...".  width 0: the line as is.  Lines end in '\n'; caller frees.
 */
char *say_fold(const char *line, size_t width, size_t hang);

enum say_action {
	SAY_TOUCH,	/* the token waits for a touch */
	SAY_SELECT,	/* several tokens could hold it: touch the one that does */
	SAY_PIN,	/* the PIN is asked */
	SAY_CARD_PIN,	/* a smartcard's PIN is asked (PKCS#11) */
	SAY_CONFIRM,	/* the use of the key is asked (ssh-add -c) */
};

struct say_what {
	const char *comment;		/* the key's comment */
	const char *use;		/* "login", "sshsig", or NULL */
	const char *use_text;		/* the login's user, the namespace */
	const struct dest_view *dest;	/* a login's named destination, or NULL */
	const char *fp;			/* the bound host key's fingerprint, or NULL */
	int forwarded;			/* through a forwarded agent */
};

/* The notice or question for w (no prompt: see say_prompt); caller frees. */
char *say_notice(enum say_action a, const struct say_what *w);

/* The question on a terminal, ending with the prompt; caller frees. */
char *say_prompt(enum say_action a, const struct say_what *w);

/*
 * One line, starting "skagent: ", for a failure r (a negative SKA_ERR_*)
 * the user can act on: a touch refused or not given in time, no security
 * key, a wrong PIN (retries: tries left, -1 unknown), a blocked PIN, a
 * declined confirmation, no way to ask (why: the reason).  NULL for any
 * other r.  smartcard: the key is on a PKCS#11 smartcard, whose words
 * differ where the way out does (a blocked PIN).  Caller frees.
 */
char *say_failure(int r, int retries, const char *comment, const char *why,
    int smartcard);

#endif
