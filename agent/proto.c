/*
 * One handler per agent message.  Every request gets exactly one reply;
 * a malformed one gets SSH_AGENT_FAILURE and the connection goes on.
 * Handlers that wait (signatures on a worker, the lock KDF, a confirm
 * prompt) mark the connection busy and answer from their completion.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent.h"
#include "askq.h"
#include "child.h"
#include "loop.h"
#include "presence.h"
#include "proto.h"
#include "record.h"
#include "secmem.h"

#define UNLOCK_DELAY_STEP_MS	100
#define UNLOCK_DELAY_MAX_STEPS	100	/* 10 s */

static unsigned int unlock_failures;	/* all clients: reconnecting resets nothing */
static unsigned int signs_in_flight;
static struct conn *lock_waiting;	/* a lock waits for signatures to finish */

static void
reply_failure(struct conn *c)
{
	conn_reply_status(c, 0);
}

/* Identities */

static void
process_request_identities(struct conn *c)
{
	const struct sshbuf *ans;
	struct sshbuf *b = NULL;

	if (keystore_locked() || proto_conn_restricted(c) || opts.hide_absent) {
		/* filtered per connection (destination constraints, presence) */
		if ((b = proto_identities_for(c)) == NULL) {
			reply_failure(c);
			return;
		}
		conn_reply(c, b);
		sshbuf_free(b);
		return;
	}
	if ((ans = keystore_identities_answer()) == NULL) {
		reply_failure(c);
		return;
	}
	conn_reply(c, ans);
}

/* Signatures */

struct sign_req {
	struct job job;
	struct identity *id;
	uint8_t *data;
	size_t dlen;
	const char *alg;
	struct sshbuf *sig;
	struct askq *ask;
	int r;
};

static void
sign_req_free(struct sign_req *s)
{
	if (s == NULL)
		return;
	identity_unref(s->id);
	if (s->data != NULL) {
		sodium_memzero(s->data, s->dlen);
		free(s->data);
	}
	sshbuf_free(s->sig);
	free(s);
}

static void
sign_run(struct job *j)
{
	struct sign_req *s = (struct sign_req *)j;

	s->r = key_sign(s->id->key, s->data, s->dlen, s->alg, s->sig);
}

void
proto_sign_finish(struct conn *c, int r, const struct sshbuf *sig)
{
	struct sshbuf *msg = NULL;

	if (r == 0 && (msg = sshbuf_new()) != NULL &&
	    sshbuf_put_u8(msg, SSH2_AGENT_SIGN_RESPONSE) == 0 &&
	    sshbuf_put_stringb(msg, sig) == 0)
		conn_reply(c, msg);
	else
		reply_failure(c);
	sshbuf_free(msg);
}

static void
sign_done(struct job *j)
{
	struct sign_req *s = (struct sign_req *)j;
	struct conn *c = j->conn;
	char *fp;

	if (s->r != 0) {
		fp = key_fingerprint(s->id->key, opts.fp_hash);
		error("signature with %s failed: %s", fp ? fp : "?", ska_err(s->r));
		free(fp);
	}
	record_sign(c, s->id, s->r, NULL, s->data, s->dlen);
	proto_sign_finish(c, s->r, s->sig);
	c->req = NULL;
	sign_req_free(s);
	signs_in_flight--;
	if (signs_in_flight == 0 && lock_waiting != NULL)
		proto_lock_resume();
	conn_done(c);
}

static void
sign_submit(struct conn *c, struct sign_req *s)
{
	signs_in_flight++;
	s->job.run = sign_run;
	s->job.done = sign_done;
	s->job.conn = c;
	pool_submit(&s->job);
}

static void
confirm_done(int r, char *pin, void *arg)
{
	struct sign_req *s = arg;
	struct conn *c = s->job.conn;
	int allowed = r == 0;

	(void)pin;
	s->ask = NULL;
	if (!allowed || c->dead) {
		if (!c->dead) {
			logit("user refused use of key %s", s->id->comment);
			askq_tell_failure(c, s->id, SKA_ERR_CONFIRM_DENIED, -1,
			    "", NULL);
		}
		record_sign(c, s->id, c->dead ? SKA_ERR_CANCELLED :
		    SKA_ERR_CONFIRM_DENIED, NULL, s->data, s->dlen);
		reply_failure(c);
		c->req = NULL;
		sign_req_free(s);
		conn_done(c);
		return;
	}
	sign_submit(c, s);
}

/* The confirmation as the requester's terminal shows it (say.h). */
static char *
confirm_question(struct conn *c, struct identity *id, const uint8_t *data,
    size_t dlen)
{
	struct askq_words aw;
	char *q;

	askq_words_make(c, id, data, dlen, &aw);
	q = say_prompt(SAY_CONFIRM, &aw.w);
	askq_words_clear(&aw);
	return q;
}

static int
sign_inline(const struct sign_req *s)
{
	enum key_type t = key_type(s->id->key);

	return (t == KEY_ED25519 || t == KEY_ECDSA) && signs_in_flight == 0 &&
	    loop_idle();
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

static void
process_sign_request(struct conn *c, struct sshbuf *msg)
{
	const uint8_t *blob, *data;
	size_t bloblen, dlen;
	uint32_t flags;
	struct identity *id;
	struct sign_req *s = NULL;
	char *fp = NULL, *prompt = NULL, *question = NULL;
	const char *why = NULL;
	int r;

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
	if (log_level() >= LOG_LEVEL_DEBUG)	/* not on the hot path otherwise */
		fp = key_fingerprint(id->key, opts.fp_hash);
	if (proto_sign_permitted(c, id, data, dlen) != 0) {
		record_sign(c, id, SKA_ERR_AGENT_FAILURE, NULL, data, dlen);
		goto fail;
	}
	if (key_is_sk(id->key)) {
		proto_sk_sign(c, id, data, dlen, flags);
		free(fp);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->sig = sshbuf_new()) == NULL ||
	    (s->data = malloc(dlen == 0 ? 1 : dlen)) == NULL)
		goto fail;
	memcpy(s->data, data, dlen);
	s->dlen = dlen;
	s->alg = rsa_alg(id->key, flags);
	s->id = id;
	identity_ref(id);
	s->job.conn = c;
	if (fp != NULL)
		debug("sign with %s %s (%s)", key_type_short(id->key), fp,
		    id->comment);
	c->busy = 1;
	c->req = s;
	if (id->confirm || proto_confirm_required(c)) {
		if ((prompt = proto_confirm_prompt(c, id)) == NULL ||
		    (question = confirm_question(c, id, data, dlen)) == NULL ||
		    askq_start(ASKQ_CONFIRM, c, prompt, question, confirm_done,
		    s, &s->ask, &why) != 0) {
			error("cannot ask for confirmation of key %s (%s); "
			    "refusing", id->comment, why != NULL ? why :
			    "out of memory");
			askq_tell_failure(c, id, SKA_ERR_PROMPT_UNAVAILABLE, -1,
			    "", why);
			record_sign(c, id, SKA_ERR_PROMPT_UNAVAILABLE, NULL, data,
			    dlen);
			c->busy = 0;
			c->req = NULL;
			free(question);
			goto fail;
		}
		free(prompt);
		free(question);
		free(fp);
		return;
	}
	if (sign_inline(s)) {
		/*
		 * A signature of some tens of microseconds with nothing else
		 * waiting: made here, it saves two thread hand-offs.  Under
		 * load the workers take them, on every core.
		 */
		sign_run(&s->job);
		record_sign(c, s->id, s->r, NULL, s->data, s->dlen);
		proto_sign_finish(c, s->r, s->sig);
		c->busy = 0;
		c->req = NULL;
		sign_req_free(s);
		free(fp);
		return;
	}
	sign_submit(c, s);
	free(fp);
	return;
 fail:
	free(prompt);
	free(fp);
	sign_req_free(s);
	reply_failure(c);
}

/* Adding and removing keys */

static int
parse_constraints(struct sshbuf *msg, struct identity *id, int *lifetime_set)
{
	uint8_t ctype;
	uint32_t secs;
	char *ext = NULL;
	int seen_life = 0, seen_confirm = 0, r;

	while (sshbuf_len(msg) > 0) {
		if ((r = sshbuf_get_u8(msg, &ctype)) != 0)
			goto out;
		switch (ctype) {
		case SSH_AGENT_CONSTRAIN_LIFETIME:
			if (seen_life++) {
				r = SKA_ERR_INVALID_FORMAT;
				goto out;
			}
			if ((r = sshbuf_get_u32(msg, &secs)) != 0)
				goto out;
			id->death_ms = monotime_ms() + (uint64_t)secs * 1000;
			*lifetime_set = 1;
			break;
		case SSH_AGENT_CONSTRAIN_CONFIRM:
			if (seen_confirm++) {
				r = SKA_ERR_INVALID_FORMAT;
				goto out;
			}
			id->confirm = 1;
			break;
		case SSH_AGENT_CONSTRAIN_EXTENSION:
			if ((r = sshbuf_get_cstring(msg, &ext, NULL)) != 0)
				goto out;
			if ((r = proto_constraint_extension(ext, msg, id)) != 0)
				goto out;
			free(ext);
			ext = NULL;
			break;
		default:
			error("unknown constraint %u", ctype);
			r = SKA_ERR_FEATURE_UNSUPPORTED;
			goto out;
		}
	}
	r = 0;
 out:
	if (r != 0 && ext != NULL)
		error("constraint %s: %s", ext, ska_err(r));
	free(ext);
	return r;
}

static void
process_add_identity(struct conn *c, struct sshbuf *msg, int constrained)
{
	struct identity *id = NULL;
	struct key *k = NULL;
	char *fp = NULL;
	int lifetime_set = 0, r;

	if ((r = key_private_deserialize(msg, &k)) != 0) {
		error("add identity: %s", ska_err(r));
		goto fail;
	}
	if ((id = identity_new()) == NULL)
		goto fail;
	id->key = k;
	k = NULL;
	if ((r = sshbuf_get_cstring(msg, &id->comment, NULL)) != 0) {
		error("add identity: comment: %s", ska_err(r));
		goto fail;
	}
	if (!constrained && sshbuf_len(msg) != 0)
		goto fail;
	if (constrained && parse_constraints(msg, id, &lifetime_set) != 0)
		goto fail;
	if ((r = proto_add_check(c, id)) != 0)
		goto fail;
	if (!lifetime_set && opts.default_life != 0)
		id->death_ms = monotime_ms() + (uint64_t)opts.default_life * 1000;
	fp = key_fingerprint(id->key, opts.fp_hash);
	debug("add %s %s (%s)%s%s", key_type_short(id->key), fp ? fp : "?",
	    id->comment, id->death_ms ? " with lifetime" : "",
	    id->confirm ? " confirm" : "");
	free(fp);
	keystore_add(id);
	conn_reply_status(c, 1);
	return;
 fail:
	key_free(k);
	identity_unref(id);
	reply_failure(c);
}

static void
process_remove_identity(struct conn *c, struct sshbuf *msg)
{
	const uint8_t *blob;
	size_t len;
	struct identity *id;

	if (sshbuf_get_string_direct(msg, &blob, &len) != 0 ||
	    sshbuf_len(msg) != 0 || (id = keystore_lookup(blob, len)) == NULL ||
	    proto_identity_permitted(c, id, NULL) != 0 ||
	    keystore_remove(blob, len) != 0) {
		reply_failure(c);
		return;
	}
	conn_reply_status(c, 1);
}

static void
process_remove_all(struct conn *c)
{
	keystore_remove_all();
	proto_on_remove_all();
	conn_reply_status(c, 1);
}

/* Lock and unlock: the KDF runs on a worker, never on the loop. */

struct lock_req {
	struct job job;
	int lock;
	char *pw;
	size_t pwlen;
	uint8_t salt[16];
	uint8_t *derived;	/* 64 bytes, locked memory */
	int r;
};

static void
lock_req_free(struct lock_req *l)
{
	if (l == NULL)
		return;
	if (l->pw != NULL)
		secmem_free(l->pw, l->pwlen + 1);
	secmem_free(l->derived, 64);
	free(l);
}

static void
lock_run(struct job *j)
{
	struct lock_req *l = (struct lock_req *)j;

	l->r = keystore_lock_prepare(l->pw, l->pwlen, l->salt, l->derived);
}

static void
unlock_delay_over(struct conn *c)
{
	c->wake_cb = NULL;
	reply_failure(c);
	conn_done(c);
}

static void
lock_apply(struct conn *c, struct lock_req *l)
{
	int r;

	c->req = NULL;
	if (l->r != 0) {
		error("lock: %s", ska_err(l->r));
		reply_failure(c);
	} else if (l->lock) {
		if ((r = keystore_lock_apply(l->salt, l->derived)) == 0) {
			logit("agent locked");
			proto_on_lock();
		} else
			error("lock: %s", ska_err(r));
		conn_reply_status(c, r == 0);
	} else {
		r = keystore_unlock_apply(l->derived);
		if (r == 0) {
			logit("agent unlocked");
			unlock_failures = 0;
			conn_reply_status(c, 1);
		} else if (r == SKA_ERR_KEY_WRONG_PASSPHRASE) {
			if (unlock_failures < UNLOCK_DELAY_MAX_STEPS)
				unlock_failures++;
			logit("unlock failed; answering in %u ms",
			    unlock_failures * UNLOCK_DELAY_STEP_MS);
			/* only this client waits */
			lock_req_free(l);
			c->wake_cb = unlock_delay_over;
			c->wake_ms = monotime_ms() +
			    unlock_failures * UNLOCK_DELAY_STEP_MS;
			loop_wake_at(c->wake_ms);
			return;
		} else {
			error("unlock: %s", ska_err(r));
			reply_failure(c);
		}
	}
	lock_req_free(l);
	conn_done(c);
}

void
proto_lock_resume(void)
{
	struct conn *c = lock_waiting;

	lock_waiting = NULL;
	lock_apply(c, c->req);
}

static void
lock_done(struct job *j)
{
	struct lock_req *l = (struct lock_req *)j;
	struct conn *c = j->conn;

	if (c->dead) {
		c->req = NULL;
		lock_req_free(l);
		conn_done(c);
		return;
	}
	/* signatures in flight use the keys a lock would free */
	if (l->lock && l->r == 0 && signs_in_flight > 0) {
		lock_waiting = c;
		return;
	}
	lock_apply(c, l);
}

static void
process_lock(struct conn *c, struct sshbuf *msg, int lock)
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
	l->job.run = lock_run;
	l->job.done = lock_done;
	l->job.conn = c;
	c->busy = 1;
	c->req = l;
	pool_submit(&l->job);
	return;
 fail:
	lock_req_free(l);
	reply_failure(c);
}

void
proto_conn_cancel(struct conn *c)
{
	struct sign_req *s;

	if (c->wake_cb == unlock_delay_over) {
		/* nothing runs for it: end it now */
		c->wake_cb = NULL;
		conn_done(c);
		return;
	}
	if (lock_waiting == c) {
		lock_waiting = NULL;
		lock_req_free(c->req);
		c->req = NULL;
		conn_done(c);
		return;
	}
	s = c->req;
	if (s != NULL && s->job.run == sign_run && s->ask != NULL) {
		askq_withdraw(s->ask);
		s->ask = NULL;
		c->req = NULL;
		sign_req_free(s);
		conn_done(c);
		return;
	}
	/* else a job on a worker: it ends on its own and frees c */
	proto_sk_cancel(c);
}

void
proto_conn_free(struct conn *c)
{
	free(c->requester);
	c->requester = NULL;
}

/* Dispatch */

void
proto_dispatch(struct conn *c, struct sshbuf *msg)
{
	uint8_t type;

	if (sshbuf_get_u8(msg, &type) != 0) {
		reply_failure(c);
		return;
	}
	debug2("message %u (%zu bytes)", type, sshbuf_len(msg));
	if (keystore_locked() && type != SSH_AGENTC_UNLOCK &&
	    type != SSH2_AGENTC_REQUEST_IDENTITIES &&
	    type != SSH_AGENTC_EXTENSION) {
		reply_failure(c);
		return;
	}
	switch (type) {
	case SSH2_AGENTC_REQUEST_IDENTITIES:
		process_request_identities(c);
		break;
	case SSH2_AGENTC_SIGN_REQUEST:
		process_sign_request(c, msg);
		break;
	case SSH2_AGENTC_ADD_IDENTITY:
		process_add_identity(c, msg, 0);
		break;
	case SSH2_AGENTC_ADD_ID_CONSTRAINED:
		process_add_identity(c, msg, 1);
		break;
	case SSH2_AGENTC_REMOVE_IDENTITY:
		process_remove_identity(c, msg);
		break;
	case SSH_AGENTC_REMOVE_ALL_RSA_IDENTITIES:
	case SSH2_AGENTC_REMOVE_ALL_IDENTITIES:
		process_remove_all(c);
		break;
	case SSH_AGENTC_LOCK:
		process_lock(c, msg, 1);
		break;
	case SSH_AGENTC_UNLOCK:
		process_lock(c, msg, 0);
		break;
	case SSH_AGENTC_EXTENSION:
		proto_extension(c, msg);
		break;
	default:
		/* SSHv1, PKCS#11 and everything unknown */
		debug("unsupported message %u", type);
		reply_failure(c);
		break;
	}
}
