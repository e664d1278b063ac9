/*
 * The requester's terminal: where the agent asks for a PIN or a
 * confirmation, and says why a request failed, when there is no askpass.
 *
 * Finding it: from the peer's pid (SO_PEERCRED) up the parent chain, the
 * first process with a controlling terminal (git -> ssh -> bash: ssh's),
 * read from /proc/PID/stat (tty_nr, and whether its process group is the
 * terminal's foreground group).  The device number names the node:
 * /dev/pts/N, /dev/ttyN, /dev/ttySN, else what /sys/dev/char/M:m says, else
 * what the process's fds 0-2 point at; a node is only taken when stat(2)
 * shows that very device (st_rdev).
 *
 * Whose terminal: only one owned by the requesting uid, never another
 * user's.  Root as the requester (sudo ssh, which the agent lets connect)
 * gets the agent's own user's terminals (sudo keeps the user's terminal);
 * a terminal root owns is not opened for it.  The owner is checked before
 * the node is opened, and again on the open descriptor.  The agent's own
 * controlling terminal (skagent -D in the background of a shell) is never
 * used: job control would stop the agent there.
 *
 * Opening: O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC, so the agent never
 * gets a controlling terminal and never blocks on one.  The agent is in
 * none of these terminals' sessions: job control (SIGTTIN, SIGTTOU) does
 * not apply to it, and the terminal's signal characters reach the
 * requester's foreground job, not the agent.
 */
#ifndef SKA_TERM_H
#define SKA_TERM_H

#include <stddef.h>
#include <sys/types.h>

#define TERM_CHAIN_MAX	16	/* parents looked at, at most */
#define TERM_PATH_MAX	64

struct term_id {
	dev_t rdev;		/* the terminal's device */
	char path[TERM_PATH_MAX];	/* its node, st_rdev checked */
	pid_t pid;		/* the process whose terminal it is */
	int foreground;		/* that process's group has the terminal */
};

/*
 * Finds pid's terminal (see above; procroot "/proc", devroot "/dev",
 * sysroot "/sys", other roots in tests).  0, or -1 with *whyp set to a
 * phrase for a person ("no terminal", ...).
 */
int term_find(const char *procroot, const char *devroot, const char *sysroot,
    pid_t pid, struct term_id *t, const char **whyp);

/* Whose terminals a requester of uid peer may be asked on (see above). */
uid_t term_owner_for(uid_t peer);

/*
 * Opens t's node for a requester of uid peer (see above).  The descriptor,
 * or -1 with *whyp set ("the terminal belongs to another user", ...).
 */
int term_open(const struct term_id *t, uid_t peer, const char **whyp);

/*
 * Finds and opens pid's terminal (term_find + term_open on the real
 * /proc, /dev, /sys).  The descriptor, or -1 with *whyp set.
 */
int term_open_for(pid_t pid, uid_t peer, struct term_id *t, const char **whyp);

/*
 * Writes text to fd (a terminal opened as above) without blocking: each
 * '\n' as CR LF (the terminal may be in raw mode), other control
 * characters (C0, DEL, C1) as '?'.  What the terminal does not take at
 * once is dropped.  0, or -1.
 */
int term_write(int fd, const char *text);

/*
 * One message on pid's terminal (never read): term_open_for, term_write,
 * close.  0, or -1 with *whyp set (whyp may be NULL).
 */
int term_say(pid_t pid, uid_t peer, const char *text, const char **whyp);

#endif
