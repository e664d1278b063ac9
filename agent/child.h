/*
 * Helper processes (askpass prompts, notices, provider helpers) run without
 * blocking the loop: spawned with posix_spawn (safe beside worker threads),
 * their stdin /dev/null or given bytes, their stdout captured through a
 * pipe (at most 4 KiB kept), their exit seen through a pidfd (SIGCHLD where
 * there is none).
 */
#ifndef SKA_CHILD_H
#define SKA_CHILD_H

#include <stddef.h>
#include <sys/types.h>

struct child;
/* status as waitpid(); out is what the child wrote (NUL-terminated). */
typedef void child_done_fn(int status, const char *out, size_t outlen, void *arg);

/*
 * argv[0] is looked up in PATH.  env_set: "NAME=value" entries added to (or
 * replacing those of) the agent's environment; NULL-terminated, may be NULL.
 * cb runs on the loop when the child has exited and its stdout is closed;
 * NULL on failure (cb not called).
 */
struct child *child_spawn(const char *const argv[], const char *const env_set[],
    int capture, child_done_fn *cb, void *arg);
/*
 * The same, with in (inlen bytes) as the child's stdin instead of
 * /dev/null: written before the spawn into a pipe the child reads to EOF,
 * so nothing waits on the child.  The bytes (a request with a PIN, say)
 * stay in kernel memory, never swapped, until the child has read them or
 * exited; the caller wipes its own copy.  More than the pipe can be grown
 * to hold (pipe-max-size, 1 MiB by default) fails.
 */
struct child *child_spawn_input(const char *const argv[],
    const char *const env_set[], const void *in, size_t inlen, int capture,
    child_done_fn *cb, void *arg);
/*
 * As child_spawn, in a process group of its own, which child_kill ends
 * whole (a shell command and what it started).
 */
struct child *child_spawn_group(const char *const argv[],
    const char *const env_set[], int capture, child_done_fn *cb, void *arg);
/*
 * A long-lived helper that talks over its stdin and stdout: infd and outfd
 * (pipes or a socket, the caller's to close) become its fd 0 and 1.  cb
 * runs on the loop when it has exited.
 */
struct child *child_spawn_fds(const char *const argv[],
    const char *const env_set[], int infd, int outfd, child_done_fn *cb,
    void *arg);
/*
 * Sends SIGTERM (to the group of child_spawn_group) unless the child has
 * exited; cb is not called; resources go when the child exits.
 */
void child_kill(struct child *ch);
/* The same with another signal (SIGKILL ends a stopped child too). */
void child_kill_signal(struct child *ch, int sig);
/* Lets it run to its end unsignalled; cb is not called. */
void child_detach(struct child *ch);
/* Its pid while it runs, else -1. */
pid_t child_pid(const struct child *ch);
/*
 * Reaps the children whose exit no pidfd shows (Linux before 5.3 has no
 * pidfd_open; nor has valgrind 3.19): the loop calls it on SIGCHLD.
 */
void child_reap(void);

#endif
