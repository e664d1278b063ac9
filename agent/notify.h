/*
 * Telling the user the agent waits for them (a touch): a log line, and
 * OpenSSH's convention, $SSH_ASKPASS with SSH_ASKPASS_PROMPT=none, when a
 * display is there (or SSH_ASKPASS_REQUIRE=force).  The notice is
 * withdrawn when the wait ends.
 */
#ifndef SKA_NOTIFY_H
#define SKA_NOTIFY_H

struct notice;

/* NULL when nothing beyond the log line could be shown (not an error). */
struct notice *notice_start(const char *text);
/* Withdraws it; result (or NULL) goes to the log.  NULL is fine. */
void notice_done(struct notice *n, const char *result);

/* Whether SSH_ASKPASS may be used: a display, or SSH_ASKPASS_REQUIRE=force. */
int askpass_allowed(void);
const char *askpass_program(void);

#endif
