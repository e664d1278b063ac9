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

#endif
