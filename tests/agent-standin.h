/*
 * The agent's pool and event loop, stood in for by the harnesses that drive
 * its framing and dispatch without threads or sockets (tests/fuzz/fuzz-agent.c,
 * tests/unit/test-torture-agent.c).  Included once by each; the includer
 * defines NCONN and loop_conn_update(), and runs what waits with
 * standin_run_pending().
 */
#ifndef SKA_AGENT_STANDIN_H
#define SKA_AGENT_STANDIN_H

#include <stdint.h>
#include <stdlib.h>

#include "conn.h"
#include "loop.h"
#include "pool.h"
#include "request.h"

static struct job *jobs, *jobs_tail;

/* The pool, synchronous: jobs wait in a queue the harness empties. */
int pool_init(int n, int m) { (void)n; (void)m; return 0; }
int pool_fd(void) { return -1; }
void pool_complete(void) {}
void pool_shutdown(void) {}

void
pool_submit(struct job *j)
{
	j->next = NULL;
	if (jobs_tail != NULL)
		jobs_tail->next = j;
	else
		jobs = j;
	jobs_tail = j;
}

void
pool_submit_to(int which, struct job *j)
{
	(void)which;
	pool_submit(j);
}

/* Runs the next queued job and its completion; 0 when there was none. */
static int
standin_run_job(void)
{
	struct job *j;

	if ((j = jobs) == NULL)
		return 0;
	if ((jobs = j->next) == NULL)
		jobs_tail = NULL;
	j->run(j);
	j->done(j);
	return 1;
}

/* Every queued job, and the requests' timers as if due at once (a failed
   unlock's back-off), until nothing is left. */
static void
standin_run_pending(void)
{
	struct request *rq;

	for (;;) {
		while (standin_run_job())
			;
		for (rq = request_first(); rq != NULL; rq = rq->next)
			if (rq->wake_ms != 0)
				break;
		if (rq == NULL)
			return;
		(void)request_run_wakes(UINT64_MAX);
	}
}

/* The client left: as the loop closes a connection. */
static void
standin_close(struct conn *c)
{
	c->dead = 1;
	conn_gone(c);
}

/* The loop, without sockets. */
void loop_wake_at(uint64_t ms) { (void)ms; }
struct watch *
loop_watch_fd(int fd, void (*cb)(int, void *), void *arg)
{
	(void)fd; (void)cb; (void)arg;
	return NULL;
}
void loop_unwatch_fd(struct watch *w) { (void)w; }
void loop_watch_release(struct watch *w) { free(w); }
size_t loop_nconns(void) { return NCONN; }
int loop_idle(void) { return 1; }

#endif
