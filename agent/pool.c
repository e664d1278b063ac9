/*
 * Worker threads in two pools: one for CPU work (signatures, the lock
 * KDF), sized to the cores, and one for security-key operations, which
 * spend seconds waiting for a touch and must never hold up the first.  A
 * worker runs job->run() and puts the job on the one completion list,
 * waking the loop through an eventfd; the loop runs job->done().  Signals
 * stay blocked in workers (they inherit the loop's mask).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pool.h"

#define POOL_MAX_THREADS 64

struct pool {
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	struct job *head, *tail;
	pthread_t threads[POOL_MAX_THREADS];
	int nthreads;
};

static struct pool pools[2] = {
	{ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, {0}, 0 },
	{ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, {0}, 0 },
};
static pthread_mutex_t done_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct job *done_head, *done_tail;
static int pool_evfd = -1;
static volatile int pool_stop;

static void
finished(struct job *j)
{
	uint64_t one = 1;
	int wake;

	pthread_mutex_lock(&done_mtx);
	j->next = NULL;
	wake = done_head == NULL;
	if (done_tail != NULL)
		done_tail->next = j;
	else
		done_head = j;
	done_tail = j;
	pthread_mutex_unlock(&done_mtx);
	/* the loop takes the whole list per wakeup */
	if (wake)
		while (write(pool_evfd, &one, sizeof(one)) == -1 && errno == EINTR)
			;
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	struct job *j;

	pthread_mutex_lock(&p->mtx);
	for (;;) {
		while (p->head == NULL && !pool_stop)
			pthread_cond_wait(&p->cond, &p->mtx);
		if (pool_stop)
			break;
		j = p->head;
		if ((p->head = j->next) == NULL)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mtx);
		j->run(j);
		finished(j);
		pthread_mutex_lock(&p->mtx);
	}
	pthread_mutex_unlock(&p->mtx);
	return NULL;
}

static int
start(struct pool *p, int n)
{
	if (n > POOL_MAX_THREADS)
		n = POOL_MAX_THREADS;
	for (p->nthreads = 0; p->nthreads < n; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, worker, p) != 0)
			break;
	return p->nthreads > 0 ? 0 : -1;
}

int
pool_init(int ncpu, int ntoken)
{
	if ((pool_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return -1;
	if (start(&pools[POOL_CPU], ncpu < 1 ? 1 : ncpu) != 0 ||
	    start(&pools[POOL_TOKEN], ntoken < 1 ? 1 : ntoken) != 0)
		return -1;
	return 0;
}

void
pool_submit_to(int which, struct job *j)
{
	struct pool *p = &pools[which];

	pthread_mutex_lock(&p->mtx);
	j->next = NULL;
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mtx);
}

void
pool_submit(struct job *j)
{
	pool_submit_to(POOL_CPU, j);
}

int
pool_fd(void)
{
	return pool_evfd;
}

void
pool_complete(void)
{
	struct job *j, *next;
	uint64_t v;

	while (read(pool_evfd, &v, sizeof(v)) == -1 && errno == EINTR)
		;
	pthread_mutex_lock(&done_mtx);
	j = done_head;
	done_head = done_tail = NULL;
	pthread_mutex_unlock(&done_mtx);
	for (; j != NULL; j = next) {
		next = j->next;
		j->done(j);
	}
}

/* Jobs still queued are dropped: the process is exiting. */
void
pool_shutdown(void)
{
	int i, k;

	pool_stop = 1;
	for (k = 0; k < 2; k++) {
		pthread_mutex_lock(&pools[k].mtx);
		pthread_cond_broadcast(&pools[k].cond);
		pthread_mutex_unlock(&pools[k].mtx);
	}
	for (k = 0; k < 2; k++) {
		for (i = 0; i < pools[k].nthreads; i++)
			pthread_join(pools[k].threads[i], NULL);
		pools[k].nthreads = 0;
	}
}
