/* Lock and unlock (lock.h). */
#include <stddef.h>
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
};

static unsigned int unlock_failures;	/* all clients: reconnecting resets nothing */
static struct lock_req *lock_waiting;

int
lock_pending(void)
{
	return lock_waiting != NULL;
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

static void
finish(struct lock_req *l, int success)
{
	conn_reply_status(l->rq.conn, success);
	request_end(&l->rq);
}

static void
lock_cancel(struct request *rq)
{
	struct lock_req *l = (struct lock_req *)rq;

	switch (l->stage) {
	case LOCK_KDF:
		break;		/* the derivation returns, then it ends */
	case LOCK_WAIT_SIGNS:
		lock_waiting = NULL;
		finish(l, 0);
		break;
	case LOCK_BACKOFF:
		finish(l, 0);
		break;
	}
}

/* The back-off of a failed unlock is over. */
static void
lock_wake(struct request *rq)
{
	finish((struct lock_req *)rq, 0);
}

static const struct request_ops lock_ops = {
	.name = "lock",
	.cancel = lock_cancel,
	.free = lock_free,
	.wake = lock_wake,
};

static void
apply(struct lock_req *l)
{
	int r;

	if (l->r != 0) {
		error("lock: %s", ska_err(l->r));
		finish(l, 0);
	} else if (l->lock) {
		if ((r = keystore_lock_apply(l->salt, l->derived)) == 0) {
			logit("agent locked");
			pincache_clear("the agent was locked");
		} else
			error("lock: %s", ska_err(r));
		finish(l, r == 0);
	} else {
		r = keystore_unlock_apply(l->derived);
		if (r == 0) {
			logit("agent unlocked");
			unlock_failures = 0;
			finish(l, 1);
		} else if (r == SKA_ERR_KEY_WRONG_PASSPHRASE) {
			if (unlock_failures < UNLOCK_DELAY_MAX_STEPS)
				unlock_failures++;
			logit("unlock failed; answering in %u ms",
			    unlock_failures * UNLOCK_DELAY_STEP_MS);
			/* only this client waits */
			wipe_secrets(l);
			l->stage = LOCK_BACKOFF;
			request_wake_at(&l->rq, monotime_ms() +
			    unlock_failures * UNLOCK_DELAY_STEP_MS);
		} else {
			error("unlock: %s", ska_err(r));
			finish(l, 0);
		}
	}
}

void
lock_signs_idle(void)
{
	struct lock_req *l = lock_waiting;

	if (l == NULL)
		return;
	lock_waiting = NULL;
	apply(l);
}

static void
kdf_run(struct job *j)
{
	struct lock_req *l = (struct lock_req *)((char *)j -
	    offsetof(struct lock_req, job));

	l->r = keystore_lock_prepare(l->pw, l->pwlen, l->salt, l->derived);
}

static void
kdf_done(struct job *j)
{
	struct lock_req *l = (struct lock_req *)((char *)j -
	    offsetof(struct lock_req, job));

	if (l->rq.cancelled != 0) {
		finish(l, 0);
		return;
	}
	/* signatures in flight use the keys a lock would free */
	if (l->lock && l->r == 0 && sign_in_flight() > 0) {
		l->stage = LOCK_WAIT_SIGNS;
		lock_waiting = l;
		return;
	}
	apply(l);
}

void
lock_request(struct conn *c, struct sshbuf *msg, int lock)
{
	struct lock_req *l = NULL;
	const uint8_t *pw;
	size_t pwlen;

	/* OpenSSH exits on a malformed lock; a failure reply is enough */
	if (sshbuf_get_string_direct(msg, &pw, &pwlen) != 0 ||
	    sshbuf_len(msg) != 0 || pwlen == 0 ||
	    keystore_locked() == lock || lock_waiting != NULL)
		goto fail;
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->pw = secmem_alloc(pwlen + 1)) == NULL ||
	    (l->derived = secmem_alloc(64)) == NULL)
		goto fail;
	memcpy(l->pw, pw, pwlen);
	l->pwlen = pwlen;
	l->lock = lock;
	if (lock)
		randombytes_buf(l->salt, sizeof(l->salt));
	else
		keystore_unlock_salt(l->salt);
	l->stage = LOCK_KDF;
	l->job.run = kdf_run;
	l->job.done = kdf_done;
	request_begin(&l->rq, &lock_ops, c, NULL);
	pool_submit(&l->job);
	return;
 fail:
	if (l != NULL)
		lock_free(&l->rq);
	conn_reply_status(c, 0);
}
