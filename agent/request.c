/* The life of a request that waits (request.h). */
#include <stdlib.h>

#include "conn.h"
#include "keystore.h"
#include "loop.h"
#include "request.h"

static struct request *head, *tail;
static size_t nlive;

void
request_begin(struct request *rq, const struct request_ops *ops,
    struct conn *c, struct identity *id)
{
	rq->ops = ops;
	rq->conn = c;
	rq->cancelled = 0;
	rq->wake_ms = 0;
	if ((rq->id = id) != NULL)
		identity_ref(id);
	rq->next = NULL;
	if ((rq->prev = tail) != NULL)
		tail->next = rq;
	else
		head = rq;
	tail = rq;
	nlive++;
	c->req = rq;
}

void
request_end(struct request *rq)
{
	struct conn *c = rq->conn;
	struct identity *id = rq->id;

	if (rq->prev != NULL)
		rq->prev->next = rq->next;
	else
		head = rq->next;
	if (rq->next != NULL)
		rq->next->prev = rq->prev;
	else
		tail = rq->prev;
	nlive--;
	rq->ops->free(rq);
	identity_unref(id);
	conn_done(c);
}

void
request_cancel(struct request *rq, int reason)
{
	if (rq == NULL || rq->cancelled != 0)
		return;
	rq->cancelled = reason;
	rq->wake_ms = 0;
	if (rq->ops->cancel != NULL)
		rq->ops->cancel(rq);
}

void
request_wake_at(struct request *rq, uint64_t ms)
{
	rq->wake_ms = ms;
	loop_wake_at(ms);
}

struct request *
request_first(void)
{
	return head;
}

size_t
request_count(void)
{
	return nlive;
}

size_t
request_cancel_signing(const struct identity *id, int reason)
{
	struct request *rq, *next;
	size_t n = 0;

	/* a cancel may end its own request, never another one */
	for (rq = head; rq != NULL; rq = next) {
		next = rq->next;
		if (rq->id == NULL || (id != NULL && rq->id != id) ||
		    rq->cancelled != 0)
			continue;
		request_cancel(rq, reason);
		n++;
	}
	return n;
}

uint64_t
request_run_wakes(uint64_t now)
{
	struct request *rq, *next;
	uint64_t due = 0;

	for (rq = head; rq != NULL; rq = next) {
		next = rq->next;
		if (rq->wake_ms == 0)
			continue;
		if (now >= rq->wake_ms) {
			rq->wake_ms = 0;
			rq->ops->wake(rq);
		} else if (due == 0 || rq->wake_ms < due)
			due = rq->wake_ms;
	}
	return due;
}
