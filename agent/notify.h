/*
 * Telling the user the agent waits for them (a touch), wherever the agent
 * runs.  Always a log line; then the first of:
 *   - --notify-cmd CMD: /bin/sh -c CMD with the details in SKAGENT_*
 *     environment variables, once per event ("touch" or "select") and
 *     once more with SKAGENT_EVENT=done when the wait ends, the event's
 *     command (its whole process group) killed first if still running;
 *   - a desktop notification: notify-send --print-id when
 *     DBUS_SESSION_BUS_ADDRESS is set and notify-send is in PATH,
 *     withdrawn with gdbus (org.freedesktop.Notifications.CloseNotification)
 *     when gdbus is in PATH, else left to expire after the touch wait;
 *   - OpenSSH's convention, $SSH_ASKPASS with SSH_ASKPASS_PROMPT=none, when
 *     a display is there (or SSH_ASKPASS_REQUIRE=force), killed at the end;
 *   - the requesting process's controlling terminal (term.h), when it
 *     has one and the requesting uid owns it (as ssh itself prints it
 *     when it holds the key).
 *
 * A failure the user can act on (say_failure; logged where it happened)
 * runs --notify-cmd once with SKAGENT_EVENT=failure (else shows a desktop
 * notification), and is written on the requester's terminal whatever
 * else was used.
 */
#ifndef SKA_NOTIFY_H
#define SKA_NOTIFY_H

#include <sys/types.h>

struct notice;

/* What a notice says; every string may be NULL. */
struct notice_info {
	const char *event;	/* "touch", "select" or "failure" */
	const char *message;	/* for a terminal: two lines at most (say.h) */
	const char *detail;	/* for the rest (desktop, askpass, --notify-cmd,
				   the log): all of it; NULL: message */
	const char *key;	/* fingerprint */
	const char *key_type;	/* "ED25519-SK" */
	const char *comment;
	const char *token;	/* the token that waits; "" while choosing */
	const char *requester;	/* "ssh (1234) <- bash (1100)" */
	pid_t pid;		/* the requesting process, 0 unknown */
	uid_t uid;		/* its uid (whose terminal may be used) */
	const char *destination;	/* host key fingerprint, or NULL */
	const char *dest_name;	/* its name as typed, when confirmed */
	int forwarded;
	const char *result;	/* failure: why (SKAGENT_RESULT) */
};

/* --notify-cmd (NULL: none); the string must outlive the agent's loop. */
void notice_set_cmd(const char *cmd);

/* NULL when nothing beyond the log line was shown (not an error). */
struct notice *notice_start(const struct notice_info *ni);
/*
 * Withdraws it.  logline (or NULL) goes to the log; result ("ok" or why
 * not) is SKAGENT_RESULT of the done event.  NULL n is fine.
 */
void notice_done(struct notice *n, const char *logline, const char *result);

/* A failure (see above): nothing to withdraw. */
void notice_failure(const struct notice_info *ni);

/* Whether SSH_ASKPASS may be used: a display, or SSH_ASKPASS_REQUIRE=force. */
int askpass_allowed(void);
const char *askpass_program(void);
/* The path of name found in $PATH, or NULL; caller frees. */
char *path_find(const char *name);

#endif
