/*
 * The benchmark's plumbing: agent processes, raw frames on their sockets,
 * what /proc says about them.  Functions return 0 or a negative SKA_ERR_*;
 * the ones that can explain themselves write a sentence into err[ERRLEN].
 */
#ifndef SKA_BENCH_H
#define SKA_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define ERRLEN		256
#define FRAME_MAX	(256 * 1024)	/* the largest reply we accept */

/* A program the bench runs: an agent, or the software token. */
struct agent {
	const char *name;		/* "skagent", "ssh-agent": for messages */
	const char *path;		/* the program */
	char sock[108];			/* sun_path */
	char log[4096];			/* its stdout and stderr */
	pid_t pid;			/* -1 when not running */
};

/*
 * Starts path -D -a DIR/TAG.sock [extra...] with output to DIR/TAG.log and
 * waits (10 s at most) until the socket accepts a connection.
 */
int agent_start(struct agent *a, const char *dir, const char *tag,
    const char *const *extra, char *err) SKA_WUR;
/*
 * tests/softtoken/softtoken --socket DIR/TAG.sock --touch auto (a
 * SOCK_SEQPACKET socket), output to DIR/TAG.log; waits as agent_start.
 */
int softtoken_start(struct agent *a, const char *dir, const char *tag,
    char *err) SKA_WUR;
/* SIGTERM, then SIGKILL after 5 s; reaps it.  Safe to call twice. */
void agent_stop(struct agent *a);
/* Still running (not exited, not a zombie)? */
int agent_alive(struct agent *a);

/* A new blocking connection with 10 s send and receive timeouts. */
int sock_connect(const char *path, int *fdp) SKA_WUR;

/*
 * Reply frames land here: the payload (type byte first) at p, len bytes.
 * Owned by one thread; grown as needed up to FRAME_MAX.
 */
struct rbuf {
	uint8_t *p;
	size_t len, cap;
};
void rbuf_free(struct rbuf *b);

/* Sends len bytes (a whole frame, length included). */
int frame_send(int fd, const uint8_t *p, size_t len) SKA_WUR;
/* Reads exactly one reply frame; anything after it is a protocol error. */
int frame_recv(int fd, struct rbuf *b) SKA_WUR;
/* frame_send then frame_recv. */
int frame_xfer(int fd, const uint8_t *p, size_t len, struct rbuf *b) SKA_WUR;

/* What /proc says about a process; -1 where it could not be read. */
struct memstat {
	long rss_kb;		/* VmRSS, /proc/PID/status */
	long pss_kb;		/* /proc/PID/smaps_rollup */
	long private_kb;	/* Private_Clean + Private_Dirty */
	long locked_kb;		/* mlock'd pages */
};
void memstat_read(pid_t pid, struct memstat *m);
/* CPU time of every thread of pid, in ns (-1 if unknown). */
int64_t cpu_ns(pid_t pid);

/* Monotonic nanoseconds. */
uint64_t now_ns(void);

#endif
