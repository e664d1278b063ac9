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
 * request ends in the signing record (sign.c).  Keys added with a provider
 * library (ssh-add -S) sign in skagent-sk-helper (skhelper.h) instead, with
 * the same PIN prompt, notice and cancellation: two signers (sign.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "conn.h"
#include "keystore.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "options.h"
#include "pincache.h"
#include "pool.h"
#include "presence.h"
#include "record.h"
#include "secmem.h"
#include "sigdata.h"
#include "sign.h"
#include "sk.h"
#include "skhelper.h"
#include "token.h"
#include "tokens.h"

struct token_ctx *agent_tokens;

struct sk_req {
	struct sign_req s;		/* s.rq.id: the key; s.sig, s.data */
	struct job job;
	void (*submit)(struct sk_req *);	/* on a token, or in the helper */
	struct key *key;		/* our own copy: a lock replaces id->key */
	struct token_cancel *cancel;
	char *pin;			/* locked memory */
	int pin_cached;			/* s->pin came from the cache */
	int cache_tried;
	int pin_asked;
	char device[TOKEN_SPEC_MAX];	/* only this token ("": any) */
	struct token_req treq;
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

#define SK(sr)		((struct sk_req *)(sr))
#define ID(s)		((s)->s.rq.id)

static struct sk_req *
of_job(struct job *j)
{
	return (struct sk_req *)((char *)j - offsetof(struct sk_req, job));
}

static const char *
token_used(const struct sk_req *s)
{
	return s->treq.token[0] != '\0' ? s->treq.token : s->device;
}

static char *
fingerprint(const struct sk_req *s)
{
	char *fp = key_fingerprint(ID(s)->key, opts.fp_hash);

	return fp != NULL ? fp : strdup("?");
}

/* Why a request was cancelled, for the log. */
static const char *
cancel_why(const struct sk_req *s)
{
	return s->s.rq.cancelled == SKA_ERR_CANCELLED ? "the client left" :
	    ska_err(s->s.rq.cancelled);
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

static void
show_notice(struct sk_req *s, int ev, const char *token)
{
	struct conn *c = s->s.rq.conn;
	struct identity *id = ID(s);
	struct notice_info ni;
	char *fp, *dest, *text = NULL, *msg = NULL, *what = NULL;
	const char *use = NULL;

	notice_done(s->notice, NULL, ev == TOKEN_EVENT_TOUCH ? "chosen" :
	    "again");
	s->notice = NULL;
	fp = fingerprint(s);
	dest = conn_destination(c, &ni.forwarded);
	use = sigdata_describe(s->s.data, s->s.dlen, &text);
	if (use != NULL && strcmp(use, "login") == 0) {
		if (asprintf(&what, "\nfor a login as %s%s%s%s", text,
		    dest != NULL ? " to host " : "", dest != NULL ? dest : "",
		    dest != NULL && ni.forwarded ?
		    " through a forwarded agent" : "") < 0)
			what = NULL;
	} else if (use != NULL) {
		if (asprintf(&what, "\nfor an SSHSIG signature (namespace "
		    "%s)", text) < 0)
			what = NULL;
	}
	if (asprintf(&msg, "%s key %s %s (%s)%s%s\nrequested by %s%s",
	    ev == TOKEN_EVENT_TOUCH ? "Confirm user presence for" :
	    "Touch the security key that holds", key_type_short(id->key),
	    fp, id->comment, *token != '\0' ? "\non security key " : "",
	    token, *conn_requester(c) != '\0' ? conn_requester(c) :
	    "an unknown process", what != NULL ? what : "") < 0)
		msg = NULL;
	ni.event = ev == TOKEN_EVENT_TOUCH ? "touch" : "select";
	ni.message = msg;
	ni.key = fp;
	ni.key_type = key_type_short(id->key);
	ni.comment = id->comment;
	ni.token = token;
	ni.requester = conn_requester(c);
	ni.pid = c->pid;
	ni.destination = dest;
	s->notice = notice_start(&ni);
	free(fp);
	free(dest);
	free(text);
	free(what);
	free(msg);
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
		if (ev != 0 && s->running && s->s.rq.cancelled == 0)
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

/* The PIN */

static void
pin_answer(int r, char *pin, void *arg)
{
	struct sk_req *s = arg;

	if (r != 0) {
		if (r == SKA_ERR_PIN_REQUIRED)
			logit("no PIN given for key %s", ID(s)->comment);
		sign_done(&s->s, r);
		return;
	}
	secmem_free_str(s->pin);
	s->pin = pin;
	s->pin_cached = 0;
	s->submit(s);
}

/* Asks once; the PIN goes to the token that wanted it. */
static int
ask_pin(struct sk_req *s, const char *spec)
{
	char *fp, *prompt = NULL;
	int r;

	s->pin_asked = 1;
	if (spec != NULL && *spec != '\0' && spec != s->device)
		snprintf(s->device, sizeof(s->device), "%s", spec);
	fp = fingerprint(s);
	if (asprintf(&prompt, "Enter PIN%sfor %s key %s: ",
	    (key_sk_flags(ID(s)->key) & KEY_SK_USER_PRESENCE_REQD) ?
	    " and confirm user presence " : " ", key_type_short(ID(s)->key),
	    fp) < 0)
		prompt = NULL;
	free(fp);
	if (prompt == NULL)
		return -1;
	r = sign_ask(&s->s, ASK_PIN, prompt, pin_answer);
	free(prompt);
	if (r == SKA_ERR_PROMPT_UNAVAILABLE)
		error("a PIN is needed for key %s but there is no way to ask "
		    "(no display; set SSH_ASKPASS_REQUIRE=force to use SSH_ASKPASS)",
		    ID(s)->comment);
	return r == 0 ? 0 : -1;
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
	debug("using the cached PIN of %s for key %s", spec, ID(s)->comment);
	return 1;
}

static int
pin_refused(int r)
{
	return r == SKA_ERR_PIN_INVALID || r == SKA_ERR_PIN_AUTH_BLOCKED ||
	    r == SKA_ERR_PIN_BLOCKED;
}

/* On our tokens */

static void
token_run(struct job *j)
{
	struct sk_req *s = of_job(j);

	memset(&s->treq, 0, sizeof(s->treq));
	s->treq.device = s->device[0] != '\0' ? s->device : NULL;
	s->treq.pin = s->pin;
	s->treq.cancel = s->cancel;
	s->treq.notify = on_token_event;
	s->treq.notify_arg = s;
	s->r = sk_sign_key(agent_tokens, &s->treq, s->key, s->s.data,
	    s->s.dlen, s->s.sig);
}

static void
token_done(struct job *j)
{
	struct sk_req *s = of_job(j);
	char buf[128], spec[TOKEN_SPEC_MAX];
	int up = (key_sk_flags(s->key) & KEY_SK_USER_PRESENCE_REQD) != 0;

	s->running = 0;
	notice_done(s->notice, s->r == 0 && up ? "User presence confirmed" :
	    NULL, s->r == 0 ? "ok" : ska_err(s->r));
	s->notice = NULL;
	presence_signed(ID(s), s->r, s->treq.token);
	if (s->s.rq.cancelled != 0) {
		logit("signature with security key %s cancelled: %s (%s)",
		    ID(s)->comment, cancel_why(s), ska_err(s->r));
		sign_done(&s->s, s->s.rq.cancelled);
		return;
	}
	snprintf(spec, sizeof(spec), "%s", token_used(s));
	if (s->r == SKA_ERR_PIN_REQUIRED && s->pin == NULL) {
		if (use_cached_pin(s, spec)) {
			s->submit(s);
			return;
		}
		if (!s->pin_asked && ask_pin(s, spec) == 0)
			return;
	}
	if (pin_refused(s->r) && s->pin_cached) {
		/* never spend a second retry on it */
		pincache_forget(spec, "the security key refused it");
		secmem_free_str(s->pin);
		s->pin = NULL;
		s->pin_cached = 0;
		if (s->r == SKA_ERR_PIN_INVALID && !s->pin_asked &&
		    ask_pin(s, spec) == 0)
			return;
	}
	if (s->r == 0 && s->pin != NULL && !s->pin_cached)
		pincache_put(spec, s->pin);
	if (s->r != 0)
		error("signature with security key %s (%s) failed: %s",
		    ID(s)->comment, spec[0] ? spec : "no token",
		    token_strerror(s->r, &s->treq, buf, sizeof(buf)));
	else
		debug("signed with security key %s on %s", ID(s)->comment,
		    spec);
	sign_done(&s->s, s->r);
}

static void
token_submit(struct sk_req *s)
{
	sshbuf_reset(s->s.sig);
	s->job.run = token_run;
	s->job.done = token_done;
	s->running = 1;
	pool_submit_to(POOL_TOKEN, &s->job);
}

/* Through a provider's helper: touch and PIN as for our tokens. */

static void
helper_done(int r, const struct sshbuf *sig, void *arg)
{
	struct sk_req *s = arg;
	uint8_t flags = key_sk_flags(s->key);

	s->helper = NULL;
	notice_done(s->notice, r == 0 && (flags & KEY_SK_USER_PRESENCE_REQD) ?
	    "User presence confirmed" : NULL, r == 0 ? "ok" : ska_err(r));
	s->notice = NULL;
	if (r == SKA_ERR_PIN_REQUIRED && s->pin == NULL && !s->pin_asked &&
	    ask_pin(s, NULL) == 0)
		return;
	if (r == 0 && sshbuf_putb(s->s.sig, sig) != 0)
		r = SKA_ERR_ALLOC_FAIL;
	if (r != 0)
		error("signature with security key %s through provider %s "
		    "failed: %s", ID(s)->comment, ID(s)->sk_provider,
		    ska_err(r));
	else
		debug("signed with security key %s through provider %s",
		    ID(s)->comment, ID(s)->sk_provider);
	sign_done(&s->s, r);
}

static void
helper_submit(struct sk_req *s)
{
	uint8_t flags = key_sk_flags(s->key);

	sshbuf_reset(s->s.sig);
	/* the helper cannot say when the token waits: tell the user now */
	if ((flags & KEY_SK_USER_PRESENCE_REQD) &&
	    (s->pin != NULL || !(flags & KEY_SK_USER_VERIFICATION_REQD)))
		show_notice(s, TOKEN_EVENT_TOUCH, "");
	if ((s->helper = skhelper_sign_start(skhelper_default_path(),
	    ID(s)->sk_provider, s->key, s->s.data, s->s.dlen, s->pin, NULL,
	    helper_done, s)) == NULL) {
		error("key %s: cannot start %s: %s", ID(s)->comment,
		    skhelper_default_path(), strerror(errno));
		sign_done(&s->s, SKA_ERR_SYSTEM);
	}
}

/* The two signers */

static int
sk_init(struct sk_req *s)
{
	if (events_init() != 0)
		error("token events: %s", strerror(errno));
	if ((s->cancel = token_cancel_new()) == NULL ||
	    key_dup(ID(s)->key, &s->key) != 0)
		return SKA_ERR_ALLOC_FAIL;
	if ((s->next = reqs) != NULL)
		reqs->prev = s;
	reqs = s;
	return 0;
}

static int
token_handles(const struct identity *id)
{
	return key_is_sk(id->key) && !identity_sk_external(id);
}

static int
token_init(struct sign_req *sr)
{
	if (agent_tokens == NULL) {
		error("no token layer");
		return SKA_ERR_INTERNAL;
	}
	SK(sr)->submit = token_submit;
	return sk_init(SK(sr));
}

static void
token_start(struct sign_req *sr)
{
	struct sk_req *s = SK(sr);

	/* verify-required: a PIN cached for the key's token saves a try */
	if (key_sk_flags(s->key) & KEY_SK_USER_VERIFICATION_REQD)
		(void)use_cached_pin(s, presence_token_spec(ID(s)->sk_token));
	s->submit(s);
}

static int
provider_handles(const struct identity *id)
{
	return key_is_sk(id->key) && identity_sk_external(id);
}

static int
provider_init(struct sign_req *sr)
{
	SK(sr)->submit = helper_submit;
	return sk_init(SK(sr));
}

static void
provider_start(struct sign_req *sr)
{
	SK(sr)->submit(SK(sr));
}

static void
sk_cancel(struct sign_req *sr)
{
	struct sk_req *s = SK(sr);

	if (s->helper != NULL) {
		/* killed: its token drops the request */
		logit("signature with security key %s cancelled: %s",
		    ID(s)->comment, cancel_why(s));
		skhelper_cancel(s->helper);
		s->helper = NULL;
		sign_done(sr, sr->rq.cancelled);
		return;
	}
	if (s->running) {
		token_cancel(s->cancel);	/* token_done ends it */
		return;
	}
	/* it waited for the PIN, which sign.c has withdrawn */
	sign_done(sr, sr->rq.cancelled);
}

static void
sk_free(struct sign_req *sr)
{
	struct sk_req *s = SK(sr);

	if (s->prev != NULL)
		s->prev->next = s->next;
	else if (reqs == s)
		reqs = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	notice_done(s->notice, NULL, "cancelled");
	skhelper_cancel(s->helper);
	key_free(s->key);
	token_cancel_free(s->cancel);
	secmem_free_str(s->pin);
}

static const struct record_sk *
sk_record(struct sign_req *sr, struct record_sk *rs)
{
	rs->token = token_used(SK(sr));
	rs->sig = sr->sig;
	return rs;
}

const struct signer sk_token_signer = {
	.name = "security key",
	.size = sizeof(struct sk_req),
	.handles = token_handles,
	.init = token_init,
	.start = token_start,
	.cancel = sk_cancel,
	.free = sk_free,
	.record = sk_record,
};

const struct signer sk_provider_signer = {
	.name = "security key provider",
	.size = sizeof(struct sk_req),
	.handles = provider_handles,
	.init = provider_init,
	.start = provider_start,
	.cancel = sk_cancel,
	.free = sk_free,
	.record = sk_record,
};

void
sk_shutdown(void)
{
	if (ev_watch != NULL)
		loop_unwatch_fd(ev_watch);
	ev_watch = NULL;
	if (ev_fd != -1)
		close(ev_fd);
	ev_fd = -1;
}
