/*
 * Passphrase, PIN and confirmation prompts, as OpenSSH's readpass.c does
 * them: from /dev/tty with echo off (the terminal restored, and the signal
 * re-raised, if one arrives meanwhile), or through $SSH_ASKPASS (default
 * /usr/bin/ssh-askpass as Debian's OpenSSH) when there is no terminal, or
 * when SSH_ASKPASS_REQUIRE says so:
 *
 *   askpass is allowed when DISPLAY or WAYLAND_DISPLAY is set and not
 *   empty; SSH_ASKPASS_REQUIRE=force uses it (display or not), =prefer
 *   uses it when allowed, =never forbids it.
 *
 * The askpass program is run with the prompt as its only argument, and
 * SSH_ASKPASS_PROMPT=confirm for confirmations, =none for notices; its
 * first output line is the answer, and a non-zero exit status means
 * "cancelled".  Secrets come back in locked memory: free them with
 * secmem_free_str().  The caller must not set SIGCHLD to SIG_IGN while an
 * asynchronous prompt runs, nor reap children it did not start.  Terminal
 * prompts change process-wide state (terminal modes, signal handlers):
 * one at a time, from one thread.
 */
#ifndef SKA_PROMPT_H
#define SKA_PROMPT_H

#include <sys/types.h>

#include "err.h"

#define PROMPT_ECHO		0x01	/* RP_ECHO: show what is typed */
#define PROMPT_ALLOW_STDIN	0x02	/* RP_ALLOW_STDIN: askpass if stdin is no tty, else tty or stdin */
#define PROMPT_USE_ASKPASS	0x04	/* RP_USE_ASKPASS: askpass only */

#define PROMPT_ASKPASS_DEFAULT	"/usr/bin/ssh-askpass"
#define PROMPT_MAX		1024	/* longer answers are cut */

/*
 * Whether prompt_read(flags) can ask a person now: askpass is what it
 * would use and askpass is allowed, or there is a terminal (/dev/tty).
 * (Reading a stdin that is no terminal does not count.)
 */
int prompt_can_ask(int flags);

/*
 * Asks for a secret.  Without flags the terminal is required (askpass if
 * there is none); PROMPT_ALLOW_STDIN reads stdin when there is neither.
 * Returns 0 and *secretp (locked memory, possibly ""), or
 * SKA_ERR_EOF (end of input before anything was typed),
 * SKA_ERR_CANCELLED (askpass exited non-zero),
 * SKA_ERR_PROMPT_UNAVAILABLE (no terminal and no askpass allowed),
 * SKA_ERR_SYSTEM (errno: e.g. the askpass program could not be run).
 * A signal during a terminal prompt restores the terminal and is then
 * delivered as usual (SIGTSTP: the prompt starts again on resumption).
 */
int prompt_read(const char *prompt, int flags, char **secretp) SKA_WUR;

/*
 * Asks askpass (SSH_ASKPASS_PROMPT=confirm) and waits.  0 when allowed:
 * askpass exited 0 and printed nothing or "yes".  SKA_ERR_CONFIRM_DENIED,
 * SKA_ERR_PROMPT_UNAVAILABLE (no display, not forced), SKA_ERR_SYSTEM.
 */
int prompt_confirm(const char *question) SKA_WUR;

/*
 * The same without blocking, for an event loop: *_start runs askpass and
 * gives a job whose fd (non-blocking, close-on-exec) the caller polls for
 * input; on each POLLIN/POLLHUP call prompt_job_read() until it returns 1
 * (the answer is complete), then *_finish(), which reaps askpass (it has
 * closed its output by then) and frees the job.  prompt_job_cancel()
 * kills askpass, reaps it and frees the job, at any time.
 */
struct prompt_job;
int prompt_confirm_start(const char *question, struct prompt_job **jobp) SKA_WUR;
/* A secret through askpass only (a PIN the agent asks for). */
int prompt_askpass_start(const char *prompt, struct prompt_job **jobp) SKA_WUR;
int prompt_job_fd(const struct prompt_job *job);
pid_t prompt_job_pid(const struct prompt_job *job);
/* 1: answer complete; 0: more to come; or a negative error. */
int prompt_job_read(struct prompt_job *job) SKA_WUR;
/* As prompt_confirm's results. */
int prompt_confirm_finish(struct prompt_job *job) SKA_WUR;
/* As prompt_read's results. */
int prompt_askpass_finish(struct prompt_job *job, char **secretp) SKA_WUR;
void prompt_job_cancel(struct prompt_job *job);

/*
 * A notice that needs no answer ("Confirm user presence for key ...").
 * Written to stderr when it is a terminal; otherwise shown by askpass
 * (SSH_ASKPASS_PROMPT=none) when a display is set or askpass is forced;
 * otherwise written to stderr anyway.  Never blocks.  NULL only when out
 * of memory.
 */
struct prompt_notify;
struct prompt_notify *prompt_notify_start(const char *message);
/*
 * Ends the notice: stops askpass (SIGTERM, then SIGKILL after a second)
 * and reaps it; when the notice went to stderr, writes result there (NULL:
 * nothing).  Frees n; NULL is fine.
 */
void prompt_notify_done(struct prompt_notify *n, const char *result);

/*
 * A new security-key PIN, asked twice ("Enter new PIN for authenticator:
 * ", "Enter same PIN again: ") with prompt_read(PROMPT_ALLOW_STDIN).  A
 * PIN shorter than min_len characters (code points, as CTAP2 counts) or
 * longer than 63 bytes, or two that differ, is said on stderr and asked
 * again, PROMPT_NEW_PIN_TRIES times at most: then SKA_ERR_PIN_POLICY.
 * An empty answer: SKA_ERR_EOF.  *pinp is in locked memory.
 */
#define PROMPT_NEW_PIN_TRIES	3
int prompt_new_pin(int min_len, char **pinp) SKA_WUR;

#endif
