/* One-shot timers on the loop (timer.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loop.h"
#include "timer.h"

struct timer {
	int fd;
	struct watch *watch;
	void (*cb)(void *);
	void *arg;
};

static void
on_fire(int fd, void *arg)
{
	struct timer *t = arg;
	uint64_t n;

	while (read(fd, &n, sizeof(n)) == -1 && errno == EINTR)
		;
	t->cb(t->arg);
}

struct timer *
timer_new(void (*cb)(void *), void *arg)
{
	struct timer *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->cb = cb;
	t->arg = arg;
	if ((t->fd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1) {
		free(t);
		return NULL;
	}
	if ((t->watch = loop_watch_fd(t->fd, on_fire, t)) == NULL) {
		close(t->fd);
		free(t);
		return NULL;
	}
	return t;
}

int
timer_set(struct timer *t, uint64_t ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(ms / 1000);
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	return timerfd_settime(t->fd, 0, &its, NULL) == 0 ? 0 : -1;
}

void
timer_free(struct timer *t)
{
	if (t == NULL)
		return;
	loop_unwatch_fd(t->watch);
	close(t->fd);
	free(t);
}
