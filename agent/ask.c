/*
 * Questions to the user (ask.h).  Through $SSH_ASKPASS as OpenSSH asks
 * them: SSH_ASKPASS_PROMPT=confirm for a confirmation, where an exit
 * status of 0 with an empty answer or "yes" allows.  Unlike OpenSSH, the
 * agent goes on serving others while the question is open.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "ask.h"
#include "child.h"
#include "notify.h"
#include "secmem.h"

static void
ask_free(struct ask *a)
{
	if (a == NULL)
		return;
	free(a->text);
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
ask_cancel(struct ask *a)
{
	if (a == NULL)
		return;
	a->ops->cancel(a);
	ask_free(a);
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

	if (!askpass_allowed())
		return SKA_ERR_PROMPT_UNAVAILABLE;
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

int
ask_start(enum ask_kind kind, struct conn *c, const char *text,
    ask_done_fn *cb, void *arg, struct ask **ap)
{
	struct ask *a;
	int r;

	*ap = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->text = strdup(text)) == NULL) {
		ask_free(a);
		return SKA_ERR_ALLOC_FAIL;
	}
	a->ops = &askpass_ops;
	a->kind = kind;
	a->conn = c;
	a->cb = cb;
	a->arg = arg;
	if ((r = a->ops->start(a)) != 0) {
		ask_free(a);
		return r;
	}
	*ap = a;
	return 0;
}
