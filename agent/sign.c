/*
 * Signatures (sign.h): the one path every key's signature takes, and the
 * signer for keys held in memory.
 */
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conn.h"
#include "dest.h"
#include "keystore.h"
#include "lock.h"
#include "log.h"
#include "loop.h"
#include "options.h"
#include "pkcs11.h"
#include "policy.h"
#include "pool.h"
#include "sign.h"
#include "tell.h"

/* In memory: on the CPU pool, or inline when that is quicker. */

struct mem_sign {
	struct sign_req s;
	struct job job;
	int r;
};

static unsigned int signs_in_flight;

unsigned int
sign_in_flight(void)
{
	return signs_in_flight;
}

static int
mem_handles(const struct identity *id)
{
	return !key_is_sk(id->key);
}

static const char *
rsa_alg(const struct key *k, uint32_t flags)
{
	if (key_type(k) != KEY_RSA)
		return NULL;
	if (flags & SSH_AGENT_RSA_SHA2_256)
		return "rsa-sha2-256";
	if (flags & SSH_AGENT_RSA_SHA2_512)
		return "rsa-sha2-512";
	return "ssh-rsa";
}

/* On a worker (or inline): the key stays while signs_in_flight holds a lock off. */
static void
mem_run(struct job *j)
{
	struct mem_sign *m = (struct mem_sign *)((char *)j -
	    offsetof(struct mem_sign, job));
	struct sign_req *s = &m->s;

	m->r = key_sign(s->rq.id->key, s->data, s->dlen,
	    rsa_alg(s->rq.id->key, s->flags), s->sig);
}

static void
mem_finish(struct mem_sign *m)
{
	char *fp;

	if (m->r != 0) {
		fp = key_fingerprint(m->s.rq.id->key, opts.fp_hash);
		error("signature with %s failed: %s", fp ? fp : "?",
		    ska_err(m->r));
		free(fp);
	}
	sign_done(&m->s, m->r);
}

static void
mem_job_done(struct job *j)
{
	struct mem_sign *m = (struct mem_sign *)((char *)j -
	    offsetof(struct mem_sign, job));

	if (--signs_in_flight == 0)
		lock_signs_idle();	/* a lock waited for the keys */
	mem_finish(m);
}

static void
mem_start(struct sign_req *s)
{
	struct mem_sign *m = (struct mem_sign *)s;
	enum key_type t = key_type(s->rq.id->key);

	if ((t == KEY_ED25519 || t == KEY_ECDSA) && signs_in_flight == 0 &&
	    loop_idle()) {
		/*
		 * A signature of some tens of microseconds with nothing else
		 * waiting: made here, it saves two thread hand-offs.  Under
		 * load the workers take them, on every core.
		 */
		mem_run(&m->job);
		mem_finish(m);
		return;
	}
	signs_in_flight++;
	m->job.run = mem_run;
	m->job.done = mem_job_done;
	pool_submit(&m->job);
}

static const struct signer mem_signer = {
	.name = "memory",
	.size = sizeof(struct mem_sign),
	.handles = mem_handles,
	.start = mem_start,
	/* no cancel: a signature on a worker takes microseconds to milliseconds */
};

/* The path every signature takes */

static const struct signer *const signers[] = {
	&pkcs11_signer,
	&sk_provider_signer,
	&sk_token_signer,
	&mem_signer,
};

static void
sign_free(struct request *rq)
{
	struct sign_req *s = (struct sign_req *)rq;

	ask_cancel(s->prompt);
	if (s->signer->free != NULL)
		s->signer->free(s);
	tell_words_clear(&s->words);
	if (s->data != NULL) {
		sodium_memzero(s->data, s->dlen);
		free(s->data);
	}
	sshbuf_free(s->sig);
	free(s);
}

static void
sign_cancel(struct request *rq)
{
	struct sign_req *s = (struct sign_req *)rq;

	ask_withdraw(s->prompt, rq->cancelled);
	s->prompt = NULL;
	if (!s->signing) {
		/* only the confirmation was open */
		sign_done(s, rq->cancelled);
		return;
	}
	if (s->signer->cancel != NULL)
		s->signer->cancel(s);
}

static const struct request_ops sign_ops = {
	.name = "sign",
	.cancel = sign_cancel,
	.free = sign_free,
};

static void
reply(struct conn *c, int r, const struct sshbuf *sig)
{
	struct sshbuf *msg = NULL;

	if (r == 0 && (msg = sshbuf_new()) != NULL &&
	    sshbuf_put_u8(msg, SSH2_AGENT_SIGN_RESPONSE) == 0 &&
	    sshbuf_put_stringb(msg, sig) == 0)
		conn_reply(c, msg);
	else
		conn_reply_status(c, 0);
	sshbuf_free(msg);
}

void
sign_done(struct sign_req *s, int r)
{
	struct request *rq = &s->rq;
	struct record_sk rs;
	const struct record_sk *sk = NULL;

	if (rq->cancelled != 0)
		r = rq->cancelled;
	else if (r != 0) {
		if (r == SKA_ERR_PIN_REQUIRED && s->why != NULL)
			r = SKA_ERR_PROMPT_UNAVAILABLE;	/* not asked: why */
		tell_failure(rq->conn, rq->id, r, s->retries,
		    s->token != NULL ? s->token : "", s->why);
	}
	if (s->signer->record != NULL)
		sk = s->signer->record(s, &rs);
	record_sign(rq->conn, rq->id, r, sk, s->data, s->dlen);
	reply(rq->conn, r, s->sig);
	request_end(rq);
}

static void
sign_asked(int r, char *pin, void *arg)
{
	struct sign_req *s = arg;
	ask_done_fn *cb = s->ask_cb;

	s->prompt = NULL;
	s->ask_cb = NULL;
	cb(r, pin, s);
}

const struct say_what *
sign_words(struct sign_req *s)
{
	if (!s->words_made) {
		tell_words_make(s->rq.conn, s->rq.id, s->data, s->dlen,
		    &s->words);
		s->words_made = 1;
	}
	return &s->words.w;
}

int
sign_ask(struct sign_req *s, enum ask_kind kind, const char *text,
    ask_done_fn *cb)
{
	return sign_ask_as(s, kind, kind == ASK_PIN ? SAY_PIN : SAY_CONFIRM,
	    text, cb);
}

int
sign_ask_as(struct sign_req *s, enum ask_kind kind,
    enum say_action action, const char *text, ask_done_fn *cb)
{
	char *question;
	int r;

	if ((question = say_prompt(action,
	    sign_words(s))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	s->ask_cb = cb;
	r = ask_start(kind, s->rq.conn, text, question, sign_asked, s,
	    &s->prompt, &s->why);
	free(question);
	return r;
}

static void
start(struct sign_req *s)
{
	if (lock_pending() || keystore_locked()) {
		/* a lock cancels what waits; this never signs after it */
		sign_done(s, SKA_ERR_LOCKED);
		return;
	}
	s->signing = 1;
	s->signer->start(s);
}

static void
confirmed(int r, char *pin, void *arg)
{
	struct sign_req *s = arg;

	(void)pin;
	if (r != 0) {
		logit("user refused use of key %s", s->rq.id->comment);
		sign_done(s, SKA_ERR_CONFIRM_DENIED);
		return;
	}
	start(s);
}

/* -O confirm-forwarded: a request through a forwarded agent */
static int
confirm_required(struct conn *c, const struct identity *id)
{
	return id->confirm || (opts.confirm_forwarded && tell_forwarded(c));
}

static int
ask_confirm(struct sign_req *s)
{
	struct identity *id = s->rq.id;
	char *fp, *text = NULL, *dest;
	int r = SKA_ERR_ALLOC_FAIL;

	if ((fp = key_fingerprint(id->key, opts.fp_hash)) == NULL)
		return r;
	dest = dest_conn_destination(s->rq.conn);
	if (asprintf(&text, "Allow use of key %s?\nKey fingerprint %s.%s%s",
	    id->comment, fp, dest != NULL ? "\n" : "",
	    dest != NULL ? dest : "") < 0)
		text = NULL;
	if (text != NULL)
		r = sign_ask(s, ASK_CONFIRM, text, confirmed);
	if (r == SKA_ERR_PROMPT_UNAVAILABLE)
		error("cannot ask for confirmation of key %s: %s", id->comment,
		    s->why != NULL ? s->why : "no way to ask");
	free(text);
	free(dest);
	free(fp);
	return r;
}

static const struct signer *
signer_for(const struct identity *id)
{
	size_t i;

	for (i = 0; i < sizeof(signers) / sizeof(signers[0]); i++)
		if (signers[i]->handles(id))
			return signers[i];
	return NULL;
}

void
sign_request(struct conn *c, struct sshbuf *msg)
{
	const uint8_t *blob, *data;
	size_t bloblen, dlen;
	uint32_t flags;
	struct identity *id;
	const struct signer *signer;
	struct sign_req *s = NULL;
	char *fp;
	int r;

	if (lock_pending()) {
		/* a lock waits only for the signatures already running */
		debug("sign request refused: a lock is pending");
		goto fail;
	}
	if ((r = sshbuf_get_string_direct(msg, &blob, &bloblen)) != 0 ||
	    (r = sshbuf_get_string_direct(msg, &data, &dlen)) != 0 ||
	    (r = sshbuf_get_u32(msg, &flags)) != 0 || sshbuf_len(msg) != 0) {
		debug("sign request: %s", r ? ska_err(r) : "trailing data");
		goto fail;
	}
	if ((id = keystore_lookup(blob, bloblen)) == NULL) {
		debug("sign request for a key we do not hold");
		goto fail;
	}
	if (policy_sign_permitted(c, id, data, dlen) != 0) {
		record_sign(c, id, SKA_ERR_AGENT_FAILURE, NULL, data, dlen);
		goto fail;
	}
	if ((signer = signer_for(id)) == NULL ||
	    (s = calloc(1, signer->size)) == NULL)
		goto fail;
	s->signer = signer;
	s->retries = -1;
	if ((s->sig = sshbuf_new()) == NULL ||
	    (s->data = malloc(dlen == 0 ? 1 : dlen)) == NULL) {
		sign_free(&s->rq);
		goto fail;
	}
	memcpy(s->data, data, dlen);
	s->dlen = dlen;
	s->flags = flags;
	if (log_level() >= LOG_LEVEL_DEBUG) {	/* not on the hot path otherwise */
		fp = key_fingerprint(id->key, opts.fp_hash);
		debug("sign with %s %s (%s)", key_type_short(id->key),
		    fp ? fp : "?", id->comment);
		free(fp);
	}
	request_begin(&s->rq, &sign_ops, c, id);
	if (signer->init != NULL && (r = signer->init(s)) != 0) {
		conn_reply_status(c, 0);
		request_end(&s->rq);
		return;
	}
	if (confirm_required(c, id)) {
		if ((r = ask_confirm(s)) != 0) {
			error("cannot ask for confirmation; refusing");
			sign_done(s, r);
		}
		return;
	}
	start(s);
	return;
 fail:
	conn_reply_status(c, 0);
}
