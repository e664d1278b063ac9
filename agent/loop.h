/*
 * loop.c: the event loop, one thread, one epoll set: the listening socket,
 * every connection, the pool's completions, helper processes' pipes and
 * timers.  Everything that touches a connection or the keystore runs here.
 */
#ifndef SKA_LOOP_H
#define SKA_LOOP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct conn;
struct watch;

/* Flags set by the signal handlers (main.c), acted on by the loop. */
extern volatile sig_atomic_t received_sigterm, received_sighup,
    received_sigusr1, received_sigchld;

/*
 * The signals the loop acts on (SIGTERM, SIGHUP, SIGINT, SIGUSR1, SIGCHLD):
 * main.c's handlers set the flags above; they are blocked except inside
 * epoll_pwait, and in the workers always.
 */
static inline void
loop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGCHLD);
}
/* Until SIGTERM/SIGHUP (or parent_pid, when not 0, is gone). */
int loop_run(int listen_fd, pid_t parent_pid);
/* Sends c->out as far as the socket takes it; closes when asked to. */
void loop_conn_update(struct conn *c);
/* The loop wakes at monotonic time ms at the latest (key deaths, requests). */
void loop_wake_at(uint64_t ms);

/* Calls cb(fd, arg) on the loop when fd is readable (or hung up). */
struct watch *loop_watch_fd(int fd, void (*cb)(int fd, void *arg), void *arg);
void loop_unwatch_fd(struct watch *w);
/* Frees w once the current batch of events is done (conn_free). */
void loop_watch_release(struct watch *w);
size_t loop_nconns(void);
/* No other event is waiting in the current round: a short job may run here. */
int loop_idle(void);

#endif
