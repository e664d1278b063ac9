/*
 * Worker threads.  The loop submits jobs; a worker runs job->run() and puts
 * the job on the completion list, waking the loop through an eventfd; the
 * loop runs job->done().  Signals stay blocked in workers (they inherit the
 * loop's mask), so only the loop thread sees them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "agent.h"

#define POOL_MAX_THREADS 64

static pthread_mutex_t pool_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cond = PTHREAD_COND_INITIALIZER;
static struct job *queue_head, *queue_tail;
static struct job *done_head, *done_tail;
static int pool_evfd = -1;
static int pool_stop;
static pthread_t threads[POOL_MAX_THREADS];
static int nthreads;

static void *
worker(void *arg)
{
	struct job *j;
	uint64_t one = 1;
	int wake;

	(void)arg;
	pthread_mutex_lock(&pool_mtx);
	for (;;) {
		while (queue_head == NULL && !pool_stop)
			pthread_cond_wait(&pool_cond, &pool_mtx);
		if (pool_stop)
			break;
		j = queue_head;
		if ((queue_head = j->next) == NULL)
			queue_tail = NULL;
		pthread_mutex_unlock(&pool_mtx);

		j->run(j);

		pthread_mutex_lock(&pool_mtx);
		j->next = NULL;
		wake = done_head == NULL;
		if (done_tail != NULL)
			done_tail->next = j;
		else
			done_head = j;
		done_tail = j;
		if (wake) {
			/* the loop drains the whole list per wakeup */
			while (write(pool_evfd, &one, sizeof(one)) == -1 &&
			    errno == EINTR)
				;
		}
	}
	pthread_mutex_unlock(&pool_mtx);
	return NULL;
}

int
pool_init(int n)
{
	int i;

	if ((pool_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return -1;
	if (n < 1)
		n = 1;
	if (n > POOL_MAX_THREADS)
		n = POOL_MAX_THREADS;
	for (i = 0; i < n; i++) {
		if (pthread_create(&threads[i], NULL, worker, NULL) != 0)
			break;
	}
	nthreads = i;
	return nthreads > 0 ? 0 : -1;
}

void
pool_submit(struct job *j)
{
	pthread_mutex_lock(&pool_mtx);
	j->next = NULL;
	if (queue_tail != NULL)
		queue_tail->next = j;
	else
		queue_head = j;
	queue_tail = j;
	pthread_cond_signal(&pool_cond);
	pthread_mutex_unlock(&pool_mtx);
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
	pthread_mutex_lock(&pool_mtx);
	j = done_head;
	done_head = done_tail = NULL;
	pthread_mutex_unlock(&pool_mtx);
	for (; j != NULL; j = next) {
		next = j->next;
		j->done(j);
	}
}

void
pool_shutdown(void)
{
	int i;

	pthread_mutex_lock(&pool_mtx);
	pool_stop = 1;
	pthread_cond_broadcast(&pool_cond);
	pthread_mutex_unlock(&pool_mtx);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	nthreads = 0;
}
