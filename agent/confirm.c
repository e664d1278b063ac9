/*
 * Confirmation of a key's use (ssh-add -c), as OpenSSH asks it: run
 * $SSH_ASKPASS (default ssh-askpass) with SSH_ASKPASS_PROMPT=confirm; an
 * exit status of 0 with an empty answer or "yes" allows.  Unlike OpenSSH,
 * the agent goes on serving others while the question is open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "notify.h"
#include "proto.h"

int
proto_confirm_required(struct conn *c)
{
	size_t i;

	if (!opts.confirm_forwarded)
		return 0;
	for (i = 0; i < c->nbinds; i++)
		if (c->binds[i].forwarded)
			return 1;
	return 0;
}

char *
proto_confirm_prompt(struct conn *c, struct identity *id)
{
	char *fp, *p = NULL, *dest;

	if ((fp = key_fingerprint(id->key, opts.fp_hash)) == NULL)
		return NULL;
	dest = proto_conn_destination(c);
	if (asprintf(&p, "Allow use of key %s?\nKey fingerprint %s.%s%s",
	    id->comment, fp, dest != NULL ? "\n" : "",
	    dest != NULL ? dest : "") < 0)
		p = NULL;
	free(dest);
	free(fp);
	return p;
}

struct child *
proto_confirm_start(const char *prompt, child_done_fn *cb, void *arg)
{
	static const char *const env[] = { "SSH_ASKPASS_PROMPT=confirm", NULL };
	const char *argv[3], *askpass;

	if (!askpass_allowed()) {
		error("confirmation needs SSH_ASKPASS and a display "
		    "(or SSH_ASKPASS_REQUIRE=force)");
		return NULL;
	}
	askpass = askpass_program();
	argv[0] = askpass;
	argv[1] = prompt;
	argv[2] = NULL;
	return child_spawn(argv, env, 1, cb, arg);
}

int
proto_confirm_answer(int status, const char *out, size_t outlen)
{
	size_t n = strcspn(out, "\r\n");

	(void)outlen;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 0;
	return n == 0 || (n == 3 && strncasecmp(out, "yes", 3) == 0);
}
