/*
 * Requests that wait.  A client's request that is not answered within its
 * handler is a struct request until it is: a signature (on a worker, a
 * security key, a provider's helper; a confirm or PIN prompt on the way),
 * the status view, a lock's key derivation, an unlock's back-off.  A kind
 * of request is one struct request_ops; its own struct begins with a
 * struct request.  All of this runs on the loop thread.
 *
 * request_begin() ties the request to its connection, which reads no
 * further request until this one ends, and lists it among the live
 * requests.  request_end() comes once the reply is queued (or not needed:
 * the client left): it calls ops->free and lets the connection go on (or
 * frees it).  A request may end inside the handler that began it.
 *
 * request_cancel(rq, reason) is the one way to stop a request, whoever
 * asks: the client left (SKA_ERR_CANCELLED; the agent stopping closes
 * every client), its key went away, the agent was locked.  It sets
 * rq->cancelled and calls ops->cancel once.  The kind then withdraws what
 * it shows (prompts, notices), stops what it started (a token's wait, a
 * helper process) and ends the request with a failure reply, at once or
 * when the work it cannot interrupt (a job on a worker) returns.  A
 * cancelled request never answers with success.
 */
#ifndef SKA_REQUEST_H
#define SKA_REQUEST_H

#include <stddef.h>
#include <stdint.h>

struct conn;
struct identity;
struct request;

struct request_ops {
	const char *name;		/* for the log: "sign", "lock" ... */
	/*
	 * Stop (rq->cancelled says why).  Called once, never after the end.
	 * NULL: the request ends by itself soon (a job on a worker) and
	 * answers failure then, as rq->cancelled tells it.
	 */
	void (*cancel)(struct request *rq);
	/* Frees the kind's state and rq itself; request_end calls it. */
	void (*free)(struct request *rq);
	/* The time set with request_wake_at has come (NULL: none is set). */
	void (*wake)(struct request *rq);
};

struct request {
	const struct request_ops *ops;
	struct conn *conn;		/* the client it answers */
	struct identity *id;		/* the key it signs with (a reference), or NULL */
	int cancelled;			/* 0, or why: a negative SKA_ERR_* */
	uint64_t wake_ms;		/* ops->wake is due then (0: never) */
	struct request *prev, *next;	/* the live requests, oldest first */
};

/*
 * rq (zeroed by its kind's allocation) now answers c; c reads nothing
 * more until request_end.  id: the key the request would sign with (a
 * reference is taken and dropped at the end), NULL when it signs nothing.
 */
void request_begin(struct request *rq, const struct request_ops *ops,
    struct conn *c, struct identity *id);
/* The reply is queued: rq is freed (ops->free), its connection goes on. */
void request_end(struct request *rq);
/* Stops rq for reason (a negative SKA_ERR_*); once; see above. */
void request_cancel(struct request *rq, int reason);
/* ops->wake runs at monotonic time ms (0: not at all). */
void request_wake_at(struct request *rq, uint64_t ms);

/* The live requests, oldest first (rq->next); NULL when none. */
struct request *request_first(void);
size_t request_count(void);
/*
 * Cancels every live request that signs with id, or with any key when id
 * is NULL; returns how many were cancelled.
 */
size_t request_cancel_signing(const struct identity *id, int reason);
/* The loop: runs the wakes due by now; returns the next one due (0: none). */
uint64_t request_run_wakes(uint64_t now);

#endif
