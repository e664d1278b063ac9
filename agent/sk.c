/*
 * Signatures through security keys.  The token operation runs on the
 * token pool (it may wait for a touch); the loop meanwhile serves everyone
 * else.  A key that needs a PIN is tried once without, as OpenSSH does;
 * on PIN_REQUIRED the PIN cache (--pin-cache) is tried, else the user is
 * asked once through SSH_ASKPASS, and the signature is tried once more on
 * the token that asked: the token's retry counter is never spent in a
 * loop.  A cached PIN the token refuses is forgotten at once and the user
 * asked instead, so it costs one retry.  When the token waits for a touch
 * (its worker tells us through an eventfd) the user is told who asked
 * (notify.h); a client that leaves cancels its pending touch.  Every
 * request ends in the signing record.  Keys added with a provider library
 * (ssh-add -S) sign in skagent-sk-helper (skhelper.h) instead, with the same
 * confirmation, PIN prompt, notice and cancellation.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "askq.h"
#include "destview.h"
#include "loop.h"
#include "notify.h"
#include "pincache.h"
#include "presence.h"
#include "proto.h"
#include "record.h"
#include "say.h"
#include "secmem.h"
#include "sk.h"
#include "skhelper.h"
#include "term.h"
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
	int pin_cached;			/* s->pin came from the cache */
	int cache_tried;
	int pin_asked;
	char device[TOKEN_SPEC_MAX];	/* only this token ("": any) */
	struct token_req treq;
	struct askq *ask;		/* a confirm or PIN question */
	const char *why;		/* why the user could not be asked */
	struct askq_words words;	/* what it is for, for people */
	int words_made;
	struct skhelper *helper;	/* a provider's signature under way */
	struct notice *notice;
	int running;			/* on a worker */
	int r;
	/* a token event from the worker (ev_mtx) */
	int ev;
	char ev_token[TOKEN_SPEC_MAX];
	struct sk_req *prev, *next;	/* requests alive (loop) */
};

static struct sk_req *reqs;
static pthread_mutex_t ev_mtx = PTHREAD_MUTEX_INITIALIZER;
static int ev_fd = -1;
static struct watch *ev_watch;

static void
sk_req_free(struct sk_req *s)
{
	if (s == NULL)
		return;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else if (reqs == s)
		reqs = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	notice_done(s->notice, NULL, "cancelled");
	askq_cancel(s->ask, NULL);
	skhelper_cancel(s->helper);
	identity_unref(s->id);
	key_free(s->key);
	if (s->data != NULL) {
		sodium_memzero(s->data, s->dlen);
		free(s->data);
	}
	sshbuf_free(s->sig);
	token_cancel_free(s->cancel);
	secmem_free_str(s->pin);
	askq_words_clear(&s->words);
	free(s);
}

static const char *
token_used(const struct sk_req *s)
{
	return s->treq.token[0] != '\0' ? s->treq.token : s->device;
}

static void tell_failure(struct conn *c, struct sk_req *s, int r);

static void
finish(struct conn *c, struct sk_req *s, int r)
{
	struct record_sk rs;

	if (r != 0 && !c->dead)
		tell_failure(c, s, r);
	rs.token = token_used(s);
	rs.sig = s->sig;
	record_sign(c, s->id, r, &rs, s->data, s->dlen);
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

/* Touch notices */

/* On the worker: the token waits for a touch (or for the user to choose). */
static void
on_token_event(void *arg, enum token_event ev, const char *token)
{
	struct sk_req *s = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&ev_mtx);
	s->ev = (int)ev;
	snprintf(s->ev_token, sizeof(s->ev_token), "%s",
	    token != NULL ? token : "");
	pthread_mutex_unlock(&ev_mtx);
	while (write(ev_fd, &one, sizeof(one)) == -1 && errno == EINTR)
		;
}

/* What the request is for, in the words of say.h (made once). */
static const struct say_what *
what_for(struct sk_req *s)
{
	if (!s->words_made) {
		askq_words_make(s->job.conn, s->id, s->data, s->dlen,
		    &s->words);
		s->words_made = 1;
	}
	return &s->words.w;
}

static void
show_notice(struct sk_req *s, int ev, const char *token)
{
	struct conn *c = s->job.conn;
	struct notice_info ni;
	const struct say_what *w = what_for(s);
	char *fp, *what = NULL, *msg = NULL, *detail = NULL;

	notice_done(s->notice, NULL, ev == TOKEN_EVENT_TOUCH ? "chosen" :
	    "again");
	s->notice = NULL;
	fp = fingerprint(s);
	/* the terminal's two lines (say.h) */
	msg = say_notice(ev == TOKEN_EVENT_TOUCH ? SAY_TOUCH : SAY_SELECT, w);
	/* the desktop's, askpass's, --notify-cmd's and the log's: all of it */
	if (w->use != NULL && strcmp(w->use, "login") == 0) {
		if (asprintf(&what, "\nfor a login as %s%s%s%s%s%s", w->use_text,
		    w->fp != NULL ? " to host " : "", w->fp != NULL ? w->fp : "",
		    w->fp != NULL && w->forwarded ?
		    " through a forwarded agent" : "",
		    w->dest != NULL && w->dest->confirmed ?
		    "\nknown to known_hosts as " : "",
		    w->dest != NULL && w->dest->confirmed ? w->dest->name : "") < 0)
			what = NULL;
	} else if (w->use != NULL) {
		if (asprintf(&what, "\nfor an SSHSIG signature (namespace "
		    "%s)", w->use_text) < 0)
			what = NULL;
	}
	if (asprintf(&detail, "%s key %s %s (%s)%s%s\nrequested by %s%s",
	    ev == TOKEN_EVENT_TOUCH ? "Confirm user presence for" :
	    "Touch the security key that holds", key_type_short(s->id->key),
	    fp, s->id->comment, *token != '\0' ? "\non security key " : "",
	    token, *conn_requester(c) != '\0' ? conn_requester(c) :
	    "an unknown process", what != NULL ? what : "") < 0)
		detail = NULL;
	memset(&ni, 0, sizeof(ni));
	ni.event = ev == TOKEN_EVENT_TOUCH ? "touch" : "select";
	ni.message = msg;
	ni.detail = detail;
	ni.key = fp;
	ni.key_type = key_type_short(s->id->key);
	ni.comment = s->id->comment;
	ni.token = token;
	ni.requester = conn_requester(c);
	ni.pid = c->pid;
	ni.uid = c->uid;
	ni.destination = w->fp;
	ni.dest_name = w->dest != NULL && w->dest->confirmed ? w->dest->name :
	    NULL;
	ni.forwarded = w->forwarded;
	s->notice = notice_start(&ni);
	free(fp);
	free(what);
	free(msg);
	free(detail);
}

/* A failure the user can act on: one line where they look (say.h). */
static void
tell_failure(struct conn *c, struct sk_req *s, int r)
{
	if (r == SKA_ERR_PIN_REQUIRED && s->why != NULL)
		r = SKA_ERR_PROMPT_UNAVAILABLE;
	askq_tell_failure(c, s->id, r, s->treq.pin_retries, token_used(s),
	    s->why);
}

static void
on_events(int fd, void *arg)
{
	struct sk_req *s;
	char token[TOKEN_SPEC_MAX];
	uint64_t v;
	int ev;

	(void)arg;
	while (read(fd, &v, sizeof(v)) == -1 && errno == EINTR)
		;
	for (s = reqs; s != NULL; s = s->next) {
		pthread_mutex_lock(&ev_mtx);
		ev = s->ev;
		s->ev = 0;
		memcpy(token, s->ev_token, sizeof(token));
		pthread_mutex_unlock(&ev_mtx);
		if (ev != 0 && s->running && !s->job.conn->dead)
			show_notice(s, ev, token);
	}
}

static int
events_init(void)
{
	if (ev_fd != -1)
		return 0;
	if ((ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return -1;
	ev_watch = loop_watch_fd(ev_fd, on_events, NULL);
	return 0;
}

/* The signature */

static void
sign_run(struct job *j)
{
	struct sk_req *s = (struct sk_req *)j;

	memset(&s->treq, 0, sizeof(s->treq));
	s->treq.device = s->device[0] != '\0' ? s->device : NULL;
	s->treq.pin = s->pin;
	s->treq.cancel = s->cancel;
	s->treq.notify = on_token_event;
	s->treq.notify_arg = s;
	s->r = sk_sign_key(agent_tokens, &s->treq, s->key, s->data, s->dlen,
	    s->sig);
}

static void sign_done(struct job *j);
static int ask_pin(struct conn *c, struct sk_req *s, const char *spec);

/* A provider's key: the helper signs; touch and PIN as for our tokens. */
static void
helper_done(int r, const struct sshbuf *sig, void *arg)
{
	struct sk_req *s = arg;
	struct conn *c = s->job.conn;
	uint8_t flags = key_sk_flags(s->key);

	s->helper = NULL;
	notice_done(s->notice, r == 0 && (flags & KEY_SK_USER_PRESENCE_REQD) ?
	    "User presence confirmed" : NULL, r == 0 ? "ok" : ska_err(r));
	s->notice = NULL;
	if (r == SKA_ERR_PIN_REQUIRED && s->pin == NULL && !s->pin_asked &&
	    ask_pin(c, s, NULL) == 0)
		return;
	if (r == 0 && sshbuf_putb(s->sig, sig) != 0)
		r = SKA_ERR_ALLOC_FAIL;
	if (r != 0)
		error("signature with security key %s through provider %s "
		    "failed: %s", s->id->comment, s->id->sk_provider,
		    ska_err(r));
	else
		debug("signed with security key %s through provider %s",
		    s->id->comment, s->id->sk_provider);
	finish(c, s, r);
}

static void
helper_submit(struct conn *c, struct sk_req *s)
{
	uint8_t flags = key_sk_flags(s->key);

	/* the helper cannot say when the token waits: tell the user now */
	if ((flags & KEY_SK_USER_PRESENCE_REQD) &&
	    (s->pin != NULL || !(flags & KEY_SK_USER_VERIFICATION_REQD)))
		show_notice(s, TOKEN_EVENT_TOUCH, "");
	if ((s->helper = skhelper_sign_start(skhelper_default_path(),
	    s->id->sk_provider, s->key, s->data, s->dlen, s->pin, NULL,
	    helper_done, s)) == NULL) {
		error("key %s: cannot start %s: %s", s->id->comment,
		    skhelper_default_path(), strerror(errno));
		finish(c, s, SKA_ERR_SYSTEM);
	}
}

static void
submit(struct conn *c, struct sk_req *s)
{
	sshbuf_reset(s->sig);
	if (identity_sk_external(s->id)) {
		helper_submit(c, s);
		return;
	}
	s->job.run = sign_run;
	s->job.done = sign_done;
	s->job.conn = c;
	s->running = 1;
	pool_submit_to(POOL_TOKEN, &s->job);
}

/* Takes the PIN cached for token spec, if any; the try goes to that token. */
static int
use_cached_pin(struct sk_req *s, const char *spec)
{
	char *pin;

	if (s->cache_tried || spec == NULL || *spec == '\0' ||
	    (pin = pincache_get(spec)) == NULL)
		return 0;
	s->cache_tried = 1;
	secmem_free_str(s->pin);
	s->pin = pin;
	s->pin_cached = 1;
	snprintf(s->device, sizeof(s->device), "%s", spec);
	debug("using the cached PIN of %s for key %s", spec, s->id->comment);
	return 1;
}

static void
start(struct conn *c, struct sk_req *s)
{
	/* verify-required: a PIN cached for the key's token saves a try */
	if (key_sk_flags(s->key) & KEY_SK_USER_VERIFICATION_REQD)
		(void)use_cached_pin(s, presence_token_spec(s->id->sk_token));
	submit(c, s);
}

static void
pin_answered(int r, char *pin, void *arg)
{
	struct sk_req *s = arg;
	struct conn *c = s->job.conn;

	s->ask = NULL;
	if (r != 0) {
		logit("no PIN given for key %s", s->id->comment);
		finish(c, s, r == SKA_ERR_PROMPT_UNAVAILABLE ?
		    SKA_ERR_PIN_REQUIRED : r);
		return;
	}
	secmem_free_str(s->pin);
	s->pin = pin;
	s->pin_cached = 0;
	submit(c, s);
}

/* Asks once; the PIN goes to the token that wanted it. */
static int
ask_pin(struct conn *c, struct sk_req *s, const char *spec)
{
	char *fp, *prompt = NULL, *question = NULL;
	int r;

	s->pin_asked = 1;
	if (spec != NULL && *spec != '\0' && spec != s->device)
		snprintf(s->device, sizeof(s->device), "%s", spec);
	fp = fingerprint(s);
	if (asprintf(&prompt, "Enter PIN%sfor %s key %s: ",
	    (key_sk_flags(s->id->key) & KEY_SK_USER_PRESENCE_REQD) ?
	    " and confirm user presence " : " ", key_type_short(s->id->key),
	    fp) < 0)
		prompt = NULL;
	free(fp);
	question = say_prompt(SAY_PIN, what_for(s));
	if (prompt == NULL || question == NULL) {
		free(prompt);
		free(question);
		return -1;
	}
	r = askq_start(ASKQ_PIN, c, prompt, question, pin_answered, s,
	    &s->ask, &s->why);
	free(prompt);
	free(question);
	if (r != 0) {
		error("a PIN is needed for key %s but it cannot be asked: %s",
		    s->id->comment, s->why != NULL ? s->why : ska_err(r));
		return -1;
	}
	return 0;
}

static int
pin_refused(int r)
{
	return r == SKA_ERR_PIN_INVALID || r == SKA_ERR_PIN_AUTH_BLOCKED ||
	    r == SKA_ERR_PIN_BLOCKED;
}

static void
sign_done(struct job *j)
{
	struct sk_req *s = (struct sk_req *)j;
	struct conn *c = j->conn;
	char buf[128], spec[TOKEN_SPEC_MAX];
	int up = (key_sk_flags(s->id->key) & KEY_SK_USER_PRESENCE_REQD) != 0;

	s->running = 0;
	notice_done(s->notice, s->r == 0 && up ? "User presence confirmed" :
	    NULL, s->r == 0 ? "ok" : ska_err(s->r));
	s->notice = NULL;
	presence_signed(s->id, s->r, s->treq.token);
	if (c->dead) {
		logit("signature with security key %s cancelled: the client "
		    "left (%s)", s->id->comment, ska_err(s->r));
		finish(c, s, SKA_ERR_CANCELLED);
		return;
	}
	snprintf(spec, sizeof(spec), "%s", token_used(s));
	if (s->r == SKA_ERR_PIN_REQUIRED && s->pin == NULL) {
		if (use_cached_pin(s, spec)) {
			submit(c, s);
			return;
		}
		if (!s->pin_asked && ask_pin(c, s, spec) == 0)
			return;
	}
	if (pin_refused(s->r) && s->pin_cached) {
		/* never spend a second retry on it */
		pincache_forget(spec, "the security key refused it");
		secmem_free_str(s->pin);
		s->pin = NULL;
		s->pin_cached = 0;
		if (s->r == SKA_ERR_PIN_INVALID && !s->pin_asked &&
		    ask_pin(c, s, spec) == 0)
			return;
	}
	if (s->r == 0 && s->pin != NULL && !s->pin_cached)
		pincache_put(spec, s->pin);
	if (s->r != 0)
		error("signature with security key %s (%s) failed: %s",
		    s->id->comment, spec[0] ? spec : "no token",
		    token_strerror(s->r, &s->treq, buf, sizeof(buf)));
	else
		debug("signed with security key %s on %s", s->id->comment,
		    spec);
	finish(c, s, s->r);
}

static void
confirm_answered(int r, char *pin, void *arg)
{
	struct sk_req *s = arg;
	struct conn *c = s->job.conn;

	(void)pin;
	s->ask = NULL;
	if (r != 0) {
		logit("user refused use of key %s", s->id->comment);
		finish(c, s, SKA_ERR_CONFIRM_DENIED);
		return;
	}
	start(c, s);
}

void
proto_sk_sign(struct conn *c, struct identity *id, const uint8_t *data,
    size_t dlen, uint32_t flags)
{
	struct sk_req *s = NULL;
	char *prompt = NULL, *question = NULL;

	(void)flags;
	if (agent_tokens == NULL && !identity_sk_external(id)) {
		error("no token layer");
		goto fail;
	}
	if (events_init() != 0)
		error("token events: %s", strerror(errno));
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
	s->job.run = sign_run;
	if ((s->next = reqs) != NULL)
		reqs->prev = s;
	reqs = s;
	c->busy = 1;
	c->req = s;
	if (id->confirm || proto_confirm_required(c)) {
		if ((prompt = proto_confirm_prompt(c, id)) == NULL ||
		    (question = say_prompt(SAY_CONFIRM, what_for(s))) == NULL ||
		    askq_start(ASKQ_CONFIRM, c, prompt, question,
		    confirm_answered, s, &s->ask, &s->why) != 0) {
			error("cannot ask for confirmation of key %s (%s); "
			    "refusing", id->comment, s->why != NULL ? s->why :
			    "out of memory");
			free(prompt);
			free(question);
			/* still in the handler: answered here, not by finish() */
			tell_failure(c, s, SKA_ERR_PROMPT_UNAVAILABLE);
			record_sign(c, id, SKA_ERR_PROMPT_UNAVAILABLE, NULL, data,
			    dlen);
			c->busy = 0;
			c->req = NULL;
			goto fail;
		}
		free(prompt);
		free(question);
		return;
	}
	start(c, s);
	return;
 fail:
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
	if (s->helper != NULL) {
		/* killed: its token drops the request */
		logit("signature with security key %s cancelled: the client "
		    "left", s->id->comment);
		skhelper_cancel(s->helper);
		s->helper = NULL;
		finish(c, s, SKA_ERR_CANCELLED);
		return 1;
	}
	if (s->running) {
		token_cancel(s->cancel);	/* sign_done ends it */
		return 1;
	}
	/* waiting for a question: withdraw it now */
	askq_withdraw(s->ask);
	s->ask = NULL;
	finish(c, s, SKA_ERR_CANCELLED);
	return 1;
}

void
proto_sk_shutdown(void)
{
	if (ev_watch != NULL)
		loop_unwatch_fd(ev_watch);
	ev_watch = NULL;
	if (ev_fd != -1)
		close(ev_fd);
	ev_fd = -1;
}

void
proto_on_lock(void)
{
	pincache_clear("the agent was locked");
}

void
proto_on_remove_all(void)
{
	pincache_clear("all keys were removed");
}
