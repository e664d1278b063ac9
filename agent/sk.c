/*
 * Signatures through security keys.  The token operation runs on the
 * token pool (it may wait for a touch); the loop meanwhile serves everyone
 * else.  A key that needs a PIN is tried once without, as OpenSSH does;
 * on PIN_REQUIRED the user is asked once through SSH_ASKPASS and the
 * signature is tried once more: the token's retry counter is never spent
 * in a loop.  A client that leaves cancels its pending touch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include <sodium.h>

#include "notify.h"
#include "proto.h"
#include "secmem.h"
#include "sk.h"
#include "token.h"

struct token_ctx *agent_tokens;

struct sk_req {
	struct job job;
	struct identity *id;
	struct key *key;		/* our own copy: a lock replaces id->key */
	uint8_t *data;
	size_t dlen;
	struct sshbuf *sig;
	struct token_cancel *cancel;
	char *pin;			/* locked memory */
	int pin_asked;
	struct token_req treq;
	struct child *prompt;		/* a confirm or PIN prompt */
	struct notice *notice;
	int running;			/* on a worker */
	int r;
};

static void
sk_req_free(struct sk_req *s)
{
	if (s == NULL)
		return;
	notice_done(s->notice, NULL);
	if (s->prompt != NULL)
		child_kill(s->prompt);
	identity_unref(s->id);
	key_free(s->key);
	if (s->data != NULL) {
		sodium_memzero(s->data, s->dlen);
		free(s->data);
	}
	sshbuf_free(s->sig);
	token_cancel_free(s->cancel);
	secmem_free_str(s->pin);
	free(s);
}

static void
finish(struct conn *c, struct sk_req *s, int r)
{
	proto_sign_finish(c, r, s->sig);
	c->req = NULL;
	sk_req_free(s);
	conn_done(c);
}

static char *
fingerprint(const struct sk_req *s)
{
	char *fp = key_fingerprint(s->id->key, opts.fp_hash);

	return fp != NULL ? fp : strdup("?");
}

static void
sign_run(struct job *j)
{
	struct sk_req *s = (struct sk_req *)j;

	memset(&s->treq, 0, sizeof(s->treq));
	s->treq.pin = s->pin;
	s->treq.cancel = s->cancel;
	s->r = sk_sign_key(agent_tokens, &s->treq, s->key, s->data, s->dlen,
	    s->sig);
}

static void sign_done(struct job *j);

static void
submit(struct conn *c, struct sk_req *s)
{
	char *fp, *text = NULL, *dest;

	if ((key_sk_flags(s->id->key) & KEY_SK_USER_PRESENCE_REQD) &&
	    s->notice == NULL) {
		fp = fingerprint(s);
		dest = proto_conn_destination(c);
		if (asprintf(&text, "Confirm user presence for key %s %s%s%s",
		    key_type_short(s->id->key), fp, dest != NULL ? "\n" : "",
		    dest != NULL ? dest : "") > 0)
			s->notice = notice_start(text);
		free(text);
		free(dest);
		free(fp);
	}
	sshbuf_reset(s->sig);
	s->job.run = sign_run;
	s->job.done = sign_done;
	s->job.conn = c;
	s->running = 1;
	pool_submit_to(POOL_TOKEN, &s->job);
}

static void
pin_answer(int status, const char *out, size_t outlen, void *arg)
{
	struct sk_req *s = arg;
	struct conn *c = s->job.conn;
	size_t n = strcspn(out, "\r\n");

	(void)outlen;
	s->prompt = NULL;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || n == 0) {
		logit("no PIN given for key %s", s->id->comment);
		finish(c, s, SKA_ERR_PIN_REQUIRED);
		return;
	}
	if ((s->pin = secmem_alloc(n + 1)) == NULL) {
		finish(c, s, SKA_ERR_ALLOC_FAIL);
		return;
	}
	memcpy(s->pin, out, n);
	submit(c, s);
}

static int
ask_pin(struct conn *c, struct sk_req *s)
{
	const char *argv[3];
	char *fp, *prompt = NULL;

	if (!askpass_allowed()) {
		error("a PIN is needed for key %s but there is no way to ask "
		    "(no display; set SSH_ASKPASS_REQUIRE=force to use SSH_ASKPASS)",
		    s->id->comment);
		return -1;
	}
	fp = fingerprint(s);
	if (asprintf(&prompt, "Enter PIN%sfor %s key %s: ",
	    (key_sk_flags(s->id->key) & KEY_SK_USER_PRESENCE_REQD) ?
	    " and confirm user presence " : " ", key_type_short(s->id->key),
	    fp) < 0)
		prompt = NULL;
	free(fp);
	if (prompt == NULL)
		return -1;
	argv[0] = askpass_program();
	argv[1] = prompt;
	argv[2] = NULL;
	s->prompt = child_spawn(argv, NULL, 1, pin_answer, s);
	free(prompt);
	(void)c;
	return s->prompt != NULL ? 0 : -1;
}

static void
sign_done(struct job *j)
{
	struct sk_req *s = (struct sk_req *)j;
	struct conn *c = j->conn;
	char buf[128];

	s->running = 0;
	notice_done(s->notice, s->r == 0 &&
	    (key_sk_flags(s->id->key) & KEY_SK_USER_PRESENCE_REQD) ?
	    "User presence confirmed" : NULL);
	s->notice = NULL;
	if (c->dead) {
		logit("signature with security key %s cancelled: the client "
		    "left (%s)", s->id->comment, ska_err(s->r));
		finish(c, s, SKA_ERR_CANCELLED);
		return;
	}
	if (s->r == SKA_ERR_PIN_REQUIRED && !s->pin_asked) {
		s->pin_asked = 1;
		if (ask_pin(c, s) == 0)
			return;
	}
	if (s->r != 0)
		error("signature with security key %s (%s) failed: %s",
		    s->id->comment, s->treq.token[0] ? s->treq.token : "no token",
		    token_strerror(s->r, &s->treq, buf, sizeof(buf)));
	else
		debug("signed with security key %s on %s", s->id->comment,
		    s->treq.token);
	finish(c, s, s->r);
}

static void
confirm_answer(int status, const char *out, size_t outlen, void *arg)
{
	struct sk_req *s = arg;
	struct conn *c = s->job.conn;

	s->prompt = NULL;
	if (!proto_confirm_answer(status, out, outlen)) {
		logit("user refused use of key %s", s->id->comment);
		finish(c, s, SKA_ERR_CONFIRM_DENIED);
		return;
	}
	submit(c, s);
}

void
proto_sk_sign(struct conn *c, struct identity *id, const uint8_t *data,
    size_t dlen, uint32_t flags)
{
	struct sk_req *s = NULL;
	char *prompt = NULL;

	(void)flags;
	if (id->sk_provider != NULL && strcasecmp(id->sk_provider, "internal") != 0) {
		error("key %s: security key provider %s: only the internal "
		    "provider is supported", id->comment, id->sk_provider);
		goto fail;
	}
	if (agent_tokens == NULL) {
		error("no token layer");
		goto fail;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->sig = sshbuf_new()) == NULL ||
	    (s->cancel = token_cancel_new()) == NULL ||
	    (s->data = malloc(dlen == 0 ? 1 : dlen)) == NULL)
		goto fail;
	memcpy(s->data, data, dlen);
	s->dlen = dlen;
	s->id = id;
	identity_ref(id);
	if (key_dup(id->key, &s->key) != 0)
		goto fail;
	s->job.conn = c;
	c->busy = 1;
	c->req = s;
	if (id->confirm || proto_confirm_required(c)) {
		if ((prompt = proto_confirm_prompt(c, id)) == NULL ||
		    (s->prompt = proto_confirm_start(prompt, confirm_answer,
		    s)) == NULL) {
			error("cannot ask for confirmation; refusing");
			c->busy = 0;
			c->req = NULL;
			goto fail;
		}
		free(prompt);
		return;
	}
	submit(c, s);
	return;
 fail:
	free(prompt);
	sk_req_free(s);
	conn_reply_status(c, 0);
}

/* Returns 1 when c's request was ours (cancelled or ended). */
int
proto_sk_cancel(struct conn *c)
{
	struct sk_req *s = c->req;

	if (s == NULL || s->job.run != sign_run)
		return 0;
	if (s->running) {
		token_cancel(s->cancel);	/* sign_done ends it */
		return 1;
	}
	/* waiting for a prompt: end it now */
	c->req = NULL;
	sk_req_free(s);
	conn_done(c);
	return 1;
}

void
proto_on_lock(void)
{
}

void
proto_on_remove_all(void)
{
}
