/*
 * make bench.  agents.c: processes (the agents, softtoken), raw frames on
 * their sockets, what /proc says about them; run.c: requests and timed
 * runs; report.c: the table; bench.c: what is measured, and main.
 * Functions return 0 or a negative SKA_ERR_*; the ones that can explain
 * themselves write a sentence into err[ERRLEN].
 */
#ifndef SKA_BENCH_H
#define SKA_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "key.h"
#include "sshbuf.h"
#include "token.h"

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

/*
 * Runs argv; its stdout and stderr (at most len-1 bytes) land in out.
 * Returns its exit status, -1 when it did not run or died of a signal.
 */
int run_capture(const char **argv, char *out, size_t len);

/* The command line (bench.c). */
struct bench_opts {
	double duration;	/* measured seconds per agent per row */
	int rounds;
	int nkeys;
	int clients[8];
	size_t nclients;
	char *only;
	int tsv;
	const char *skagent, *ssh_agent, *softtoken;
};
extern struct bench_opts opt;

enum { OURS = 0, THEIRS = 1 };
extern struct agent agents[2];		/* [OURS] skagent, [THEIRS] ssh-agent */
extern char tmpdir[64];

/* An error on stderr; makes the exit status 1. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Is this row asked for (--only)? */
int selected(const char *id);

/* A signing key, the same in both agents. */
struct bkey {
	const char *label;
	enum key_type type;
	unsigned int bits;
	const char *alg;	/* the signature algorithm asked for */
	uint32_t flags;		/* SIGN flags */
	struct key *key;
	struct sshbuf *add;	/* ADD_IDENTITY frame */
	struct sshbuf *sign;	/* SIGN_REQUEST frame (template) */
	size_t data_off, dlen;	/* the signed data inside it */
	double floor_p50;	/* key_sign in this process, us */
};

/* WL_SK_DIRECT: sk_sign_key() in this process, no agent in between. */
enum wl { WL_SIGN, WL_CONNECT, WL_LIST, WL_SK_DIRECT };

/* What every client of one run does. */
struct work {
	enum wl kind;
	const char *sock;
	const struct bkey *bk;			/* all but WL_LIST */
	struct token_ctx *tok;			/* WL_SK_DIRECT */
	const uint8_t *expect;			/* WL_LIST: the checked answer */
	size_t expectlen;
	double seconds;
};

enum ratio_kind { RATIO_OPS, RATIO_P50, RATIO_OVERHEAD };

/* A row of results: [OURS] skagent, [THEIRS] ssh-agent (or the floor). */
struct row {
	char id[40];		/* --only and --tsv name */
	char label[64];
	int measured;
	double ops[2], p50[2], p99[2], cpu[2];	/* us; cpu < 0: unknown */
	size_t verified[2];
	uint64_t n[2];		/* requests answered, measured runs */
	double floor_p50;	/* in-process signature, us; 0: none */
	enum ratio_kind rk;
	double target;		/* 0: none */
	int failed;
	char note[200];
};

/*
 * run.c: requests and timed runs.  build_* make a key's frames (the caller
 * frees them with bkey_free, which wipes).  measure() runs a row on both
 * agents, measure_sides() on any two sides (ag[i] NULL: in this process);
 * both record failures with fail() and in the row.
 */
struct sshbuf *frame_of(const struct sshbuf *msg);
int build_sign(struct bkey *bk) SKA_WUR;
int build_add(struct bkey *bk) SKA_WUR;
void bkey_free(struct bkey *bk);
int add_one(int fd, const struct sshbuf *frame, struct rbuf *rb) SKA_WUR;
void work_pair(struct work w[2], enum wl kind, const struct bkey *bk);
void measure(struct row *rw, struct work w[2], int nclients);
void measure_sides(struct row *rw, struct work w[2], int nclients,
    struct agent *ag[2]);
void measure_floor(struct bkey *bk);
double warmup_seconds(double round);

/* report.c: the rows (at most 32 and 16) and their printing. */
struct row *new_row(const char *id, const char *label, enum ratio_kind rk,
    double target);
void new_memrow(const char *id, const char *label, double ours,
    double theirs, int lower_better, double target, const char *unit);
void print_header(void);
/* The table (or --tsv lines), then the load average. */
void print_results(void);

#endif
