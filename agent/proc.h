/*
 * Who asked: the process at the other end of a connection (SO_PEERCRED)
 * and its parents, read from /proc, as "ssh (1234) <- git (1200) <- bash
 * (1100)".  Pure file reading; no agent state.
 */
#ifndef SKA_PROC_H
#define SKA_PROC_H

#include <stddef.h>
#include <sys/types.h>

#define PROC_CHAIN_MAX		4	/* processes named at most */
#define PROC_CHAIN_LEN		128	/* longest chain text, NUL included */

/*
 * Writes pid's chain into buf (always NUL-terminated; "" when pid <= 0 or
 * its entry cannot be read).  From pid up through its parents it names at
 * most max processes, and stops early: before pid 1 (never named), after
 * stop_pid (the agent's own session leader) and after any other session
 * leader (a terminal's shell).  Process names are /proc/PID/stat's comm
 * with anything but printable ASCII shown as '?'.  procroot is "/proc";
 * tests pass a directory of fake PID/stat files.
 */
void proc_chain(const char *procroot, pid_t pid, pid_t stop_pid, int max,
    char *buf, size_t len);

/* What /proc/PID/stat says of a process (proc(5)). */
#define PROC_COMM_MAX		64
struct proc_stat {
	char comm[PROC_COMM_MAX];	/* printable ASCII, others as '?' */
	pid_t ppid, pgrp, sid;
	unsigned int tty_nr;		/* controlling terminal (0: none) */
	pid_t tpgid;			/* its foreground group (-1: none) */
};
/* 0, or -1 when the entry cannot be read or parsed. */
int proc_read_stat(const char *procroot, pid_t pid, struct proc_stat *st);

/*
 * /proc/PID/cmdline into buf (len bytes at most): the arguments, each
 * NUL-terminated.  The length read, or -1 (gone, unreadable, empty: a
 * kernel thread or a zombie).
 */
ssize_t proc_cmdline(const char *procroot, pid_t pid, char *buf, size_t len);

#endif
