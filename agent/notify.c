#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "child.h"
#include "notify.h"

#define ASKPASS_DEFAULT	"/usr/bin/ssh-askpass"

struct notice {
	struct child *askpass;
};

int
askpass_allowed(void)
{
	const char *s;
	int allow = 0;

	if (((s = getenv("DISPLAY")) != NULL && *s != '\0') ||
	    ((s = getenv("WAYLAND_DISPLAY")) != NULL && *s != '\0'))
		allow = 1;
	if ((s = getenv("SSH_ASKPASS_REQUIRE")) != NULL) {
		if (strcasecmp(s, "force") == 0)
			allow = 1;
		else if (strcasecmp(s, "never") == 0)
			allow = 0;
	}
	return allow;
}

const char *
askpass_program(void)
{
	const char *a = getenv("SSH_ASKPASS");

	return a != NULL && *a != '\0' ? a : ASKPASS_DEFAULT;
}

static void
askpass_gone(int status, const char *out, size_t outlen, void *arg)
{
	struct notice *n = arg;

	(void)status;
	(void)out;
	(void)outlen;
	n->askpass = NULL;	/* closed by the user, or it failed */
}

struct notice *
notice_start(const char *text)
{
	static const char *const env[] = { "SSH_ASKPASS_PROMPT=none", NULL };
	const char *argv[3];
	struct notice *n;

	logit("%s", text);
	if (!askpass_allowed() || (n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	argv[0] = askpass_program();
	argv[1] = text;
	argv[2] = NULL;
	if ((n->askpass = child_spawn(argv, env, 0, askpass_gone, n)) == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

void
notice_done(struct notice *n, const char *result)
{
	if (result != NULL)
		logit("%s", result);
	if (n == NULL)
		return;
	if (n->askpass != NULL)
		child_kill(n->askpass);	/* its callback is not called */
	free(n);
}
