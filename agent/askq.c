/* Confirmations and PINs: askpass, else the requester's terminal (askq.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "agent.h"
#include "askq.h"
#include "child.h"
#include "notify.h"
#include "record.h"
#include "say.h"
#include "secmem.h"
#include "termask.h"

struct askq {
	enum askq_kind kind;
	struct child *child;		/* askpass */
	struct term_ask *term;		/* or the terminal */
	askq_fn *cb;
	void *arg;
};

int
conn_forwarded(const struct conn *c)
{
	size_t i;

	for (i = 0; i < c->nbinds; i++)
		if (c->binds[i].forwarded)
			return 1;
	return 0;
}

/* askpass exited: its first line is the answer (OpenSSH's rules). */
static void
askpass_done(int status, const char *out, size_t outlen, void *arg)
{
	struct askq *q = arg;
	askq_fn *cb = q->cb;
	void *cbarg = q->arg;
	size_t n = strcspn(out, "\r\n");
	char *pin = NULL;
	int r, ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	(void)outlen;
	if (q->kind == ASKQ_CONFIRM)
		r = ok && (n == 0 || (n == 3 && strncasecmp(out, "yes", 3) ==
		    0)) ? 0 : SKA_ERR_CONFIRM_DENIED;
	else if (!ok || n == 0)
		r = SKA_ERR_PIN_REQUIRED;
	else if ((pin = secmem_alloc(n + 1)) == NULL)
		r = SKA_ERR_ALLOC_FAIL;
	else {
		memcpy(pin, out, n);
		r = 0;
	}
	free(q);
	cb(r, pin, cbarg);
}

static void
term_done(int r, char *answer, void *arg)
{
	struct askq *q = arg;
	askq_fn *cb = q->cb;
	void *cbarg = q->arg;

	/* Ctrl-C, Ctrl-D, an empty answer: not given, not allowed */
	if (r == SKA_ERR_CANCELLED)
		r = q->kind == ASKQ_PIN ? SKA_ERR_PIN_REQUIRED :
		    SKA_ERR_CONFIRM_DENIED;
	free(q);
	cb(r, answer, cbarg);
}

int
askq_start(enum askq_kind kind, struct conn *c, const char *askpass_text,
    const char *term_text, askq_fn *cb, void *arg, struct askq **qp,
    const char **whyp)
{
	static const char *const confirm_env[] = { "SSH_ASKPASS_PROMPT=confirm",
	    NULL };
	const char *argv[3];
	struct askq *q;
	int r;

	*qp = NULL;
	*whyp = NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	q->kind = kind;
	q->cb = cb;
	q->arg = arg;
	if (askpass_allowed()) {
		argv[0] = askpass_program();
		argv[1] = askpass_text;
		argv[2] = NULL;
		if ((q->child = child_spawn(argv, kind == ASKQ_CONFIRM ?
		    confirm_env : NULL, 1, askpass_done, q)) != NULL) {
			*qp = q;
			return 0;
		}
		*whyp = "the askpass program could not be run";
		free(q);
		return SKA_ERR_PROMPT_UNAVAILABLE;
	}
	if (conn_forwarded(c)) {
		*whyp = "no display for askpass, and a forwarded request is "
		    "never asked on the local terminal";
		free(q);
		return SKA_ERR_PROMPT_UNAVAILABLE;
	}
	if ((r = term_ask_start(c->pid, c->uid, kind == ASKQ_PIN ?
	    TERM_ASK_SECRET : TERM_ASK_CONFIRM, term_text, term_done, q,
	    &q->term, whyp)) != 0) {
		if (r == SKA_ERR_PROMPT_UNAVAILABLE && *whyp != NULL &&
		    strcmp(*whyp, "no terminal") == 0)
			*whyp = "no display for askpass, and no terminal";
		free(q);
		return r;
	}
	*qp = q;
	return 0;
}

void
askq_withdraw(struct askq *q)
{
	askq_cancel(q, received_sigterm || received_sighup ?
	    "skagent: question withdrawn: the agent is stopping" :
	    "skagent: question withdrawn: the program that asked has gone");
}

void
askq_cancel(struct askq *q, const char *why)
{
	if (q == NULL)
		return;
	if (q->child != NULL)
		child_kill(q->child);
	term_ask_cancel(q->term, why);
	free(q);
}

void
askq_tell_failure(struct conn *c, const struct identity *id, int r,
    int retries, const char *token, const char *why)
{
	struct notice_info ni;
	char *line, *fp;

	if ((line = say_failure(r, retries, id->comment, why)) == NULL)
		return;
	fp = key_fingerprint(id->key, opts.fp_hash);
	memset(&ni, 0, sizeof(ni));
	ni.event = "failure";
	ni.message = line;
	ni.key = fp;
	ni.key_type = key_type_short(id->key);
	ni.comment = id->comment;
	ni.token = token;
	ni.requester = conn_requester(c);
	ni.pid = c->pid;
	ni.uid = c->uid;
	ni.result = ska_err(r);
	notice_failure(&ni);
	free(fp);
	free(line);
}

void
askq_words_make(struct conn *c, const struct identity *id,
    const uint8_t *data, size_t dlen, struct askq_words *aw)
{
	const struct key *named;

	memset(aw, 0, sizeof(*aw));
	sign_use(data, dlen, &aw->use, &aw->use_text);
	aw->w.comment = id->comment;
	aw->w.use = aw->use;
	aw->w.use_text = aw->use_text;
	if (c->nbinds > 0) {
		aw->w.forwarded = conn_forwarded(c);
		aw->fp = key_fingerprint(c->binds[c->nbinds - 1].hostkey,
		    opts.fp_hash);
		aw->w.fp = aw->fp;
	}
	if (aw->use == NULL || strcmp(aw->use, "login") != 0)
		return;
	/* the local ssh names the first hop; what it forwards goes on */
	named = c->nbinds == 0 ? NULL : aw->w.forwarded ?
	    c->binds[0].hostkey : c->binds[c->nbinds - 1].hostkey;
	dest_view_make("/proc", c->pid, c->uid, named, aw->use_text,
	    &aw->dest);
	aw->w.dest = &aw->dest;
}

void
askq_words_clear(struct askq_words *aw)
{
	free(aw->use_text);
	free(aw->fp);
	dest_view_clear(&aw->dest);
	memset(aw, 0, sizeof(*aw));
}
