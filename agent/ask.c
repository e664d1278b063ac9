/*
 * Questions to the user (ask.h).  Through $SSH_ASKPASS as OpenSSH asks
 * them: SSH_ASKPASS_PROMPT=confirm for a confirmation, where an exit
 * status of 0 with an empty answer or "yes" allows; else on the
 * requester's terminal (termask.h).  Unlike OpenSSH, the agent goes on
 * serving others while the question is open.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "ask.h"
#include "child.h"
#include "conn.h"
#include "loop.h"
#include "notify.h"
#include "secmem.h"
#include "termask.h"
#include "tell.h"

static void
ask_free(struct ask *a)
{
	if (a == NULL)
		return;
	free(a->text);
	free(a->term_text);
	free(a);
}

void
ask_answer(struct ask *a, int r, char *pin)
{
	ask_done_fn *cb = a->cb;
	void *arg = a->arg;

	ask_free(a);
	cb(r, pin, arg);
}

void
ask_withdraw(struct ask *a, int reason)
{
	if (a == NULL)
		return;
	a->withdrawn = reason;
	a->ops->cancel(a);
	ask_free(a);
}

void
ask_cancel(struct ask *a)
{
	ask_withdraw(a, 0);
}

/* $SSH_ASKPASS */

static void
askpass_exited(int status, const char *out, size_t outlen, void *arg)
{
	struct ask *a = arg;
	size_t n = strcspn(out, "\r\n");
	char *pin = NULL;
	int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	(void)outlen;
	a->priv = NULL;
	if (a->kind == ASK_CONFIRM) {
		ask_answer(a, ok && (n == 0 || (n == 3 &&
		    strncasecmp(out, "yes", 3) == 0)) ? 0 :
		    SKA_ERR_CONFIRM_DENIED, NULL);
		return;
	}
	if (!ok || n == 0) {
		ask_answer(a, SKA_ERR_PIN_REQUIRED, NULL);
		return;
	}
	if ((pin = secmem_alloc(n + 1)) == NULL) {
		ask_answer(a, SKA_ERR_ALLOC_FAIL, NULL);
		return;
	}
	memcpy(pin, out, n);
	ask_answer(a, 0, pin);
}

static int
askpass_start(struct ask *a)
{
	static const char *const confirm_env[] = {
		"SSH_ASKPASS_PROMPT=confirm", NULL
	};
	const char *argv[3];

	if (!askpass_allowed()) {
		a->why = "no display for askpass";
		return SKA_ERR_PROMPT_UNAVAILABLE;
	}
	argv[0] = askpass_program();
	argv[1] = a->text;
	argv[2] = NULL;
	if ((a->priv = child_spawn(argv, a->kind == ASK_CONFIRM ?
	    confirm_env : NULL, 1, askpass_exited, a)) == NULL)
		return SKA_ERR_SYSTEM;
	return 0;
}

static void
askpass_cancel(struct ask *a)
{
	if (a->priv != NULL)
		child_kill(a->priv);
	a->priv = NULL;
}

static const struct ask_ops askpass_ops = {
	.name = "askpass",
	.start = askpass_start,
	.cancel = askpass_cancel,
};

/* The requester's terminal */

static void
term_answered(int r, char *answer, void *arg)
{
	struct ask *a = arg;

	a->priv = NULL;
	/* Ctrl-C, Ctrl-D, an empty answer: not given, not allowed */
	if (r == SKA_ERR_CANCELLED)
		r = a->kind == ASK_PIN ? SKA_ERR_PIN_REQUIRED :
		    SKA_ERR_CONFIRM_DENIED;
	ask_answer(a, r, answer);
}

/* Tried only when askpass could not be: the reasons say both. */
static int
term_start(struct ask *a)
{
	int r;

	if (tell_forwarded(a->conn)) {
		a->why = "no display for askpass, and a forwarded request is "
		    "never asked on the local terminal";
		return SKA_ERR_PROMPT_UNAVAILABLE;
	}
	r = term_ask_start(a->conn->pid, a->conn->uid, a->kind == ASK_PIN ?
	    TERM_ASK_SECRET : TERM_ASK_CONFIRM, a->term_text != NULL ?
	    a->term_text : a->text, term_answered, a,
	    (struct term_ask **)&a->priv, &a->why);
	if (r == SKA_ERR_PROMPT_UNAVAILABLE && a->why != NULL &&
	    strcmp(a->why, "no terminal") == 0)
		a->why = "no display for askpass, and no terminal";
	return r;
}

static void
term_cancel(struct ask *a)
{
	const char *why = NULL;

	if (a->withdrawn == SKA_ERR_CANCELLED)
		why = received_sigterm || received_sighup ?
		    "skagent: question withdrawn: the agent is stopping" :
		    "skagent: question withdrawn: the program that asked "
		    "has gone";
	else if (a->withdrawn == SKA_ERR_LOCKED)
		why = "skagent: question withdrawn: the agent was locked";
	else if (a->withdrawn != 0)
		why = "skagent: question withdrawn";
	term_ask_cancel(a->priv, why);
	a->priv = NULL;
}

static const struct ask_ops term_ops = {
	.name = "terminal",
	.start = term_start,
	.cancel = term_cancel,
};

/* In the order they are tried (ask.h). */
static const struct ask_ops *const ways[] = { &askpass_ops, &term_ops };

int
ask_start(enum ask_kind kind, struct conn *c, const char *text,
    const char *term_text, ask_done_fn *cb, void *arg, struct ask **ap,
    const char **whyp)
{
	struct ask *a;
	const char *why = "no way to ask";
	size_t i;
	int r = SKA_ERR_PROMPT_UNAVAILABLE;

	*ap = NULL;
	if (whyp != NULL)
		*whyp = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->text = strdup(text)) == NULL ||
	    (term_text != NULL && (a->term_text = strdup(term_text)) == NULL)) {
		ask_free(a);
		return SKA_ERR_ALLOC_FAIL;
	}
	a->kind = kind;
	a->conn = c;
	a->cb = cb;
	a->arg = arg;
	for (i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		a->ops = ways[i];
		a->why = NULL;
		if ((r = a->ops->start(a)) != SKA_ERR_PROMPT_UNAVAILABLE)
			break;
		/* the last way's reason is the one to show */
		if (a->why != NULL)
			why = a->why;
	}
	if (r != 0) {
		if (r == SKA_ERR_PROMPT_UNAVAILABLE && whyp != NULL)
			*whyp = why;
		ask_free(a);
		return r;
	}
	*ap = a;
	return 0;
}
