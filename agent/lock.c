/*
 * Lock and unlock (lock.h).
 *
 * A lock is pending from the moment it is read until it is applied: no
 * signature starts meanwhile, and every signature that waits (a confirm
 * or PIN prompt, a touch, a helper) was cancelled when it came.  The lock
 * then waits only for the in-memory signatures already on workers (they
 * use the keys it seals), each bounded by one signature's time.  A client
 * that leaves does not stop a lock (or an unlock): only its reply is lost.
 *
 * Unlock attempts are evaluated one at a time, from every client alike:
 * after n failures (n <= 100) none is evaluated, right or wrong, until
 * n * 100 ms have passed since the last one failed, as OpenSSH's agent
 * sleeps; the failing client's reply waits as long.  The loop goes on
 * serving everyone else meanwhile.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conn.h"
#include "keystore.h"
#include "lock.h"
#include "log.h"
#include "misc.h"
#include "pincache.h"
#include "pool.h"
#include "request.h"
#include "secmem.h"
#include "sign.h"

#define UNLOCK_DELAY_STEP_MS	100
#define UNLOCK_DELAY_MAX_STEPS	100	/* 10 s */

enum lock_stage {
	LOCK_QUEUED,		/* an unlock waits for its turn */
	LOCK_KDF,		/* the key derivation runs on a worker */
	LOCK_WAIT_SIGNS,	/* a lock waits for signatures to finish */
	LOCK_BACKOFF,		/* a failed unlock waits to answer */
};

struct lock_req {
	struct request rq;
	struct job job;
	enum lock_stage stage;
	int lock;
	char *pw;		/* locked memory */
	size_t pwlen;
	uint8_t salt[16];
	uint8_t *derived;	/* 64 bytes, locked memory */
	int r;
	struct lock_req *qnext;	/* unlocks waiting for their turn */
};

/* all clients: reconnecting resets nothing */
static unsigned int unlock_failures;
static uint64_t unlock_next_ms;		/* no attempt is evaluated before */
static unsigned int unlock_step_ms;
static struct lock_req *locking;	/* a lock from its request to its end */
static struct lock_req *unlocking;	/* the unlock attempt being evaluated */
static struct lock_req *queue_head, *queue_tail;

int
lock_pending(void)
{
	return locking != NULL;
}

/*
 * The back-off's step: 100 ms.  For tests only, SKAGENT_TEST_FAST_UNLOCK=N
 * (1 to 100) makes it N ms and the key derivation the cheapest, so that
 * tests/e2e/15-lock.t walks 80 failures of OpenSSH's schedule in seconds
 * (it measures the real step too).  The log says when it is in force.
 */
static unsigned int
step_ms(void)
{
	const char *e;
	long v;

	if (unlock_step_ms != 0)
		return unlock_step_ms;
	unlock_step_ms = UNLOCK_DELAY_STEP_MS;
	if ((e = getenv("SKAGENT_TEST_FAST_UNLOCK")) != NULL &&
	    (v = strtol(e, NULL, 10)) >= 1 && v <= UNLOCK_DELAY_STEP_MS) {
		unlock_step_ms = (unsigned int)v;
		keystore_set_kdf_limits(crypto_pwhash_OPSLIMIT_MIN,
		    crypto_pwhash_MEMLIMIT_MIN);
		logit("TEST MODE (SKAGENT_TEST_FAST_UNLOCK): unlock back-off "
		    "step %u ms, cheapest key derivation", unlock_step_ms);
	}
	return unlock_step_ms;
}

static void
wipe_secrets(struct lock_req *l)
{
	if (l->pw != NULL)
		secmem_free(l->pw, l->pwlen + 1);
	l->pw = NULL;
	secmem_free(l->derived, 64);
	l->derived = NULL;
}

static void
lock_free(struct request *rq)
{
	struct lock_req *l = (struct lock_req *)rq;

	wipe_secrets(l);
	free(l);
}

/* Answers (nothing reaches a client that left) and ends l. */
static void
finish(struct lock_req *l, int success)
{
	if (l == locking)
		locking = NULL;
	conn_reply_status(l->rq.conn, success);
	request_end(&l->rq);
}

static void
kdf_run(struct job *j)
{
	struct lock_req *l = (struct lock_req *)((char *)j -
	    offsetof(struct lock_req, job));

	l->r = keystore_lock_prepare(l->pw, l->pwlen, l->salt, l->derived);
}

static void kdf_done(struct job *j);

static void
submit_kdf(struct lock_req *l)
{
	l->stage = LOCK_KDF;
	l->job.run = kdf_run;
	l->job.done = kdf_done;
	pool_submit(&l->job);
}

/* The next unlock attempt in line is evaluated, now or when the back-off ends. */
static void
unlock_next(void)
{
	struct lock_req *l;

	while (unlocking == NULL && (l = queue_head) != NULL) {
		if (keystore_locked() && monotime_ms() < unlock_next_ms) {
			request_wake_at(&l->rq, unlock_next_ms);
			return;
		}
		if ((queue_head = l->qnext) == NULL)
			queue_tail = NULL;
		l->qnext = NULL;
		l->rq.wake_ms = 0;	/* its turn came without its wake */
		if (!keystore_locked()) {
			finish(l, 0);	/* another client unlocked it */
			continue;
		}
		keystore_unlock_salt(l->salt);
		unlocking = l;
		submit_kdf(l);
	}
}

static void
dequeue(struct lock_req *l)
{
	struct lock_req **pp, *prev = NULL;

	for (pp = &queue_head; *pp != NULL; prev = *pp, pp = &(*pp)->qnext) {
		if (*pp != l)
			continue;
		*pp = l->qnext;
		if (queue_tail == l)
			queue_tail = prev;
		l->qnext = NULL;
		return;
	}
}

static void
lock_cancel(struct request *rq)
{
	struct lock_req *l = (struct lock_req *)rq;

	switch (l->stage) {
	case LOCK_QUEUED:
		/* never evaluated: it neither counts nor shortens the back-off */
		dequeue(l);
		finish(l, 0);
		unlock_next();
		break;
	case LOCK_KDF:
	case LOCK_WAIT_SIGNS:
		break;		/* goes on: the lock (or unlock) is applied */
	case LOCK_BACKOFF:
		finish(l, 0);	/* the back-off stays for everyone */
		break;
	}
}

/* A queued unlock's turn may have come, or a failure's back-off is over. */
static void
lock_wake(struct request *rq)
{
	struct lock_req *l = (struct lock_req *)rq;

	if (l->stage == LOCK_QUEUED)
		unlock_next();
	else if (l->stage == LOCK_BACKOFF)
		finish(l, 0);
}

static const struct request_ops lock_ops = {
	.name = "lock",
	.cancel = lock_cancel,
	.free = lock_free,
	.wake = lock_wake,
};

static void
apply_lock(struct lock_req *l)
{
	int r;

	if ((r = keystore_lock_apply(l->salt, l->derived)) == 0) {
		logit("agent locked");
		pincache_clear("the agent was locked");
	} else
		error("lock: %s", ska_err(r));
	finish(l, r == 0);
}

static void
apply_unlock(struct lock_req *l)
{
	uint64_t delay;
	int r;

	if ((r = keystore_unlock_apply(l->derived)) == 0) {
		logit("agent unlocked");
		unlock_failures = 0;
		unlock_next_ms = 0;
		finish(l, 1);
	} else if (r == SKA_ERR_KEY_WRONG_PASSPHRASE) {
		if (unlock_failures < UNLOCK_DELAY_MAX_STEPS)
			unlock_failures++;
		delay = (uint64_t)unlock_failures * step_ms();
		unlock_next_ms = monotime_ms() + delay;
		logit("unlock failed (%u in a row); the next attempt, from any "
		    "client, in %llu ms", unlock_failures,
		    (unsigned long long)delay);
		wipe_secrets(l);
		l->stage = LOCK_BACKOFF;
		request_wake_at(&l->rq, unlock_next_ms);
	} else {
		error("unlock: %s", ska_err(r));
		finish(l, 0);
	}
}

void
lock_signs_idle(void)
{
	if (locking != NULL && locking->stage == LOCK_WAIT_SIGNS)
		apply_lock(locking);
}

static void
kdf_done(struct job *j)
{
	struct lock_req *l = (struct lock_req *)((char *)j -
	    offsetof(struct lock_req, job));
	int lock = l->lock;

	if (!lock)
		unlocking = NULL;
	if (l->r != 0) {
		error("%s: %s", lock ? "lock" : "unlock", ska_err(l->r));
		finish(l, 0);
	} else if (!lock)
		apply_unlock(l);
	else if (sign_in_flight() > 0)
		l->stage = LOCK_WAIT_SIGNS;	/* they use the keys it seals */
	else
		apply_lock(l);
	if (!lock)
		unlock_next();
}

void
lock_request(struct conn *c, struct sshbuf *msg, int lock)
{
	struct lock_req *l = NULL;
	const uint8_t *pw;
	size_t pwlen, n;

	/* OpenSSH exits on a malformed lock; a failure reply is enough */
	if (sshbuf_get_string_direct(msg, &pw, &pwlen) != 0 ||
	    sshbuf_len(msg) != 0 || pwlen == 0 ||
	    keystore_locked() == lock || locking != NULL)
		goto fail;
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->pw = secmem_alloc(pwlen + 1)) == NULL ||
	    (l->derived = secmem_alloc(64)) == NULL)
		goto fail;
	memcpy(l->pw, pw, pwlen);
	l->pwlen = pwlen;
	l->lock = lock;
	(void)step_ms();	/* reads the test knob before the first KDF */
	request_begin(&l->rq, &lock_ops, c, NULL);
	if (!lock) {
		l->stage = LOCK_QUEUED;
		if (queue_tail != NULL)
			queue_tail->qnext = l;
		else
			queue_head = l;
		queue_tail = l;
		unlock_next();
		return;
	}
	locking = l;
	/* nothing that waits signs any more; nothing new starts */
	n = request_cancel_signing(NULL, SKA_ERR_LOCKED);
	logit("locking: %zu waiting signature%s cancelled, %u running to "
	    "finish", n, n == 1 ? "" : "s", sign_in_flight());
	randombytes_buf(l->salt, sizeof(l->salt));
	submit_kdf(l);
	return;
 fail:
	if (l != NULL)
		lock_free(&l->rq);
	conn_reply_status(c, 0);
}
