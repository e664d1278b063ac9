/* Touch notices: see notify.h for the channels and their order. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "notify.h"

#define ASKPASS_DEFAULT	"/usr/bin/ssh-askpass"
#define DESKTOP_EXPIRE_MS	30000	/* the token layer's touch wait */
#define NOTICE_NENV	12

enum channel { CH_NONE, CH_CMD, CH_DESKTOP, CH_ASKPASS, CH_TERMINAL };

struct notice {
	enum channel ch;
	unsigned long serial;
	char *env[NOTICE_NENV + 1];	/* the details, for the done event */
	struct child *child;		/* the command, askpass or notify-send */
	unsigned long desktop_id;	/* from notify-send --print-id */
	int withdrawn;			/* done while notify-send still ran */
};

static const char *notify_cmd;
static unsigned long serial;

void
notice_set_cmd(const char *cmd)
{
	notify_cmd = cmd != NULL && *cmd != '\0' ? cmd : NULL;
}

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

char *
path_find(const char *name)
{
	const char *path = getenv("PATH"), *p, *e;
	char buf[PATH_MAX];
	size_t n;

	if (strchr(name, '/') != NULL)
		return access(name, X_OK) == 0 ? strdup(name) : NULL;
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = e + 1) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n > 0 && snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p,
		    name) < (int)sizeof(buf) && access(buf, X_OK) == 0)
			return strdup(buf);
		if (*e == '\0')
			break;
	}
	return NULL;
}

static void
env_free(char **env)
{
	size_t i;

	for (i = 0; i < NOTICE_NENV && env[i] != NULL; i++) {
		free(env[i]);
		env[i] = NULL;
	}
}

static void
notice_free(struct notice *n)
{
	env_free(n->env);
	free(n);
}

/* SKAGENT_* for the command: every name set, "" when unknown. */
static int
env_fill(struct notice *n, const struct notice_info *ni)
{
	size_t k = 0;
	int r = 0;

#define ENV(name, val) do { \
	if (r == 0 && asprintf(&n->env[k], "%s=%s", name, \
	    (val) != NULL ? (val) : "") < 0) { \
		n->env[k] = NULL; \
		r = -1; \
	} \
	k++; \
} while (0)
	{
		char num[32], pid[32];

		snprintf(num, sizeof(num), "%lu", n->serial);
		snprintf(pid, sizeof(pid), "%ld", (long)ni->pid);
		ENV("SKAGENT_EVENT", ni->event);
		ENV("SKAGENT_NOTICE", num);
		ENV("SKAGENT_MESSAGE", ni->message);
		ENV("SKAGENT_KEY", ni->key);
		ENV("SKAGENT_KEY_TYPE", ni->key_type);
		ENV("SKAGENT_COMMENT", ni->comment);
		ENV("SKAGENT_TOKEN", ni->token);
		ENV("SKAGENT_REQUESTER", ni->requester);
		ENV("SKAGENT_PID", ni->pid > 0 ? pid : "");
		ENV("SKAGENT_DESTINATION", ni->destination);
		ENV("SKAGENT_FORWARDED", ni->destination == NULL ? "" :
		    ni->forwarded ? "yes" : "no");
		ENV("SKAGENT_RESULT", "");
	}
#undef ENV
	return r;
}

static void
child_gone(int status, const char *out, size_t outlen, void *arg)
{
	struct notice *n = arg;

	(void)status;
	(void)out;
	(void)outlen;
	n->child = NULL;	/* ended by itself (closed by the user, failed) */
}

static int
start_cmd(struct notice *n)
{
	const char *argv[] = { "/bin/sh", "-c", notify_cmd, NULL };

	n->child = child_spawn_group(argv, (const char *const *)n->env, 0,
	    child_gone, n);
	return n->child != NULL ? 0 : -1;
}

/* notify-send treats the body as markup (where the server does). */
static char *
markup_escape(const char *s)
{
	size_t n = 0, i;
	const char *p;
	char *out;

	for (p = s; *p != '\0'; p++)
		n += *p == '&' ? 5 : (*p == '<' || *p == '>') ? 4 : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (p = s, i = 0; *p != '\0'; p++) {
		if (*p == '&') {
			memcpy(out + i, "&amp;", 5);
			i += 5;
		} else if (*p == '<' || *p == '>') {
			memcpy(out + i, *p == '<' ? "&lt;" : "&gt;", 4);
			i += 4;
		} else
			out[i++] = *p;
	}
	out[i] = '\0';
	return out;
}

static void
desktop_close(unsigned long id)
{
	char arg[32], *gdbus;
	const char *argv[] = { NULL, "call", "--session", "--dest",
	    "org.freedesktop.Notifications", "--object-path",
	    "/org/freedesktop/Notifications", "--method",
	    "org.freedesktop.Notifications.CloseNotification", arg, NULL };

	if ((gdbus = path_find("gdbus")) == NULL)
		return;		/* it expires by itself */
	snprintf(arg, sizeof(arg), "uint32 %lu", id);
	argv[0] = gdbus;
	if (child_spawn(argv, NULL, 0, NULL, NULL) == NULL)
		debug("cannot withdraw desktop notification %lu", id);
	free(gdbus);
}

static void
desktop_shown(int status, const char *out, size_t outlen, void *arg)
{
	struct notice *n = arg;
	char *end;
	unsigned long id;

	(void)status;
	(void)outlen;
	n->child = NULL;
	errno = 0;
	id = strtoul(out, &end, 10);
	if (errno == 0 && end != out && (*end == '\n' || *end == '\0'))
		n->desktop_id = id;
	if (!n->withdrawn)
		return;
	/* done came first: withdraw it now */
	if (n->desktop_id != 0)
		desktop_close(n->desktop_id);
	notice_free(n);
}

static int
start_desktop(struct notice *n, const struct notice_info *ni,
    const char *path)
{
	char expire[32], *body;
	const char *argv[] = { path, "--print-id", "--app-name=skagent",
	    "--urgency=critical", "--icon=dialog-password", expire,
	    "Security key: touch needed", NULL, NULL };

	if ((body = markup_escape(ni->message != NULL ? ni->message :
	    "")) == NULL)
		return -1;
	snprintf(expire, sizeof(expire), "--expire-time=%d",
	    DESKTOP_EXPIRE_MS);
	argv[7] = body;
	n->child = child_spawn(argv, NULL, 1, desktop_shown, n);
	free(body);
	return n->child != NULL ? 0 : -1;
}

static int
start_askpass(struct notice *n, const struct notice_info *ni)
{
	static const char *const env[] = { "SSH_ASKPASS_PROMPT=none", NULL };
	const char *argv[3];

	argv[0] = askpass_program();
	argv[1] = ni->message != NULL ? ni->message : "";
	argv[2] = NULL;
	n->child = child_spawn(argv, env, 0, child_gone, n);
	return n->child != NULL ? 0 : -1;
}

/* One line, no control characters (a comment must not drive a terminal). */
static char *
one_line(const char *msg)
{
	unsigned char *p;
	char *s;

	if ((s = strdup(msg != NULL ? msg : "")) == NULL)
		return NULL;
	for (p = (unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\n')
			*p = ' ';
		else if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			p[0] = p[1] = '?';	/* C1 controls */
	}
	return s;
}

/* A line on the requester's stderr, if that is a terminal. */
static int
start_terminal(const struct notice_info *ni)
{
	char path[64], *line = NULL, *msg;
	int fd, r = -1, len;

	if (ni->pid <= 0 || (msg = one_line(ni->message)) == NULL)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/fd/2", (long)ni->pid);
	if ((fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		free(msg);
		return -1;
	}
	if (isatty(fd) && (len = asprintf(&line, "%s (skagent)\r\n",
	    msg)) > 0)
		r = write(fd, line, (size_t)len) == len ? 0 : -1;
	free(line);
	free(msg);
	close(fd);
	return r;
}

static void
log_message(const char *msg)
{
	char *one;

	if (msg == NULL || (one = one_line(msg)) == NULL)
		return;
	logit("%s", one);
	free(one);
}

struct notice *
notice_start(const struct notice_info *ni)
{
	struct notice *n;
	char *desktop = NULL;
	const char *bus;
	int r = -1;

	log_message(ni->message);
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->serial = ++serial;
	if (notify_cmd != NULL) {
		n->ch = CH_CMD;
		if (env_fill(n, ni) == 0)
			r = start_cmd(n);
	} else if ((bus = getenv("DBUS_SESSION_BUS_ADDRESS")) != NULL &&
	    *bus != '\0' && (desktop = path_find("notify-send")) != NULL) {
		n->ch = CH_DESKTOP;
		r = start_desktop(n, ni, desktop);
	} else if (askpass_allowed()) {
		n->ch = CH_ASKPASS;
		r = start_askpass(n, ni);
	} else {
		n->ch = CH_TERMINAL;
		r = start_terminal(ni);
	}
	free(desktop);
	if (r != 0 || n->ch == CH_TERMINAL) {
		notice_free(n);
		return NULL;
	}
	return n;
}

static void
cmd_done(struct notice *n, const char *result)
{
	const char *argv[] = { "/bin/sh", "-c", notify_cmd, NULL };
	size_t i;

	for (i = 0; i < NOTICE_NENV && n->env[i] != NULL; i++) {
		if (strncmp(n->env[i], "SKAGENT_EVENT=", 14) == 0) {
			free(n->env[i]);
			n->env[i] = strdup("SKAGENT_EVENT=done");
		} else if (strncmp(n->env[i], "SKAGENT_RESULT=", 15) == 0) {
			free(n->env[i]);
			if (asprintf(&n->env[i], "SKAGENT_RESULT=%s",
			    result != NULL ? result : "") < 0)
				n->env[i] = NULL;
		}
		if (n->env[i] == NULL) {
			error("notice: out of memory");
			return;
		}
	}
	if (notify_cmd != NULL && child_spawn_group(argv,
	    (const char *const *)n->env, 0, NULL, NULL) == NULL)
		error("cannot run the notify command");
}

void
notice_done(struct notice *n, const char *logline, const char *result)
{
	if (logline != NULL)
		logit("%s", logline);
	if (n == NULL)
		return;
	switch (n->ch) {
	case CH_CMD:
		if (n->child != NULL)
			child_kill(n->child);
		cmd_done(n, result);
		break;
	case CH_DESKTOP:
		if (n->child != NULL) {
			n->withdrawn = 1;	/* desktop_shown finishes */
			return;
		}
		if (n->desktop_id != 0)
			desktop_close(n->desktop_id);
		break;
	case CH_ASKPASS:
		if (n->child != NULL)
			child_kill(n->child);
		break;
	default:
		break;
	}
	notice_free(n);
}
