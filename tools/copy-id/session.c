/*
 * The ssh session: "ssh -a -x -T -o RemoteCommand=none [-p/-o/-F ...] --
 * host" and a tail (a command, or -s and a subsystem), its stdin and
 * stdout on pipes.  No agent or X11 forwarding to a host we are only
 * setting up; no tty, which would mangle the conversation; our command,
 * whatever ssh_config says.  The user's ControlMaster, if any, is reused.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "copy-id.h"

#define LINE_MAX_LEN	(64 * 1024)	/* protocol and junk lines */

static void
trace_argv(const struct options *o, const char **argv)
{
	struct sshbuf *b;
	size_t i;
	int r = 0;

	if (!o->trace || (b = sshbuf_new()) == NULL)
		return;
	for (i = 0; argv[i] != NULL && r == 0; i++) {
		if (i > 0)
			r |= sshbuf_put_u8(b, ' ');
		r |= put_shell_word(b, argv[i]);
	}
	if (r == 0 && sshbuf_put_u8(b, '\0') == 0)
		trace(o, "running %s", (const char *)sshbuf_ptr(b));
	sshbuf_free(b);
}

int
session_start(const struct options *o, const char *const *tail,
    struct session *s)
{
	const char **argv = NULL;
	union {
		const char **c;
		char *const *v;		/* execvp's type */
	} av;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, r;
	size_t i, n = 0, ntail;

	memset(s, 0, sizeof(*s));
	s->pid = -1;
	s->to = s->from = -1;
	s->o = o;
	for (ntail = 0; tail[ntail] != NULL; ntail++)
		;
	if ((s->in = sshbuf_new()) == NULL ||
	    sshbuf_set_max_size(s->in, REMOTE_FILE_MAX + LINE_MAX_LEN) != 0 ||
	    (argv = calloc(o->nssh_args + ntail + 16, sizeof(*argv))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	argv[n++] = "ssh";
	argv[n++] = "-a";
	argv[n++] = "-x";
	argv[n++] = "-T";
	argv[n++] = "-o";
	argv[n++] = "RemoteCommand=none";
	for (i = 0; i < o->nssh_args; i++)
		argv[n++] = o->ssh_args[i];
	for (i = 0; i < ntail && strcmp(tail[i], "--") != 0; i++)
		argv[n++] = tail[i];	/* ssh options of the tail (-s) */
	argv[n++] = "--";
	argv[n++] = o->host;
	for (i++; i < ntail; i++)
		argv[n++] = tail[i];
	argv[n] = NULL;
	trace_argv(o, argv);
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	if ((s->pid = fork()) == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	if (s->pid == 0) {
		if (dup2(in[0], STDIN_FILENO) == -1 ||
		    dup2(out[1], STDOUT_FILENO) == -1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		av.c = argv;
		execvp("ssh", av.v);
		fprintf(stderr, PROG ": cannot run ssh: %s\n", strerror(errno));
		_exit(127);
	}
	s->to = in[1];
	s->from = out[0];
	in[1] = out[0] = -1;
	r = 0;
 out:
	if (r != 0) {
		sshbuf_free(s->in);
		s->in = NULL;
	}
	for (i = 0; i < 2; i++) {
		if (in[i] != -1)
			close(in[i]);
		if (out[i] != -1)
			close(out[i]);
	}
	free(argv);
	return r;
}

int
session_send(struct session *s, const void *p, size_t len)
{
	const uint8_t *text = p;
	ssize_t n;

	while (len > 0) {
		if ((n = write(s->to, text, len)) == -1) {
			if (errno == EINTR)
				continue;
			return SKA_ERR_CONN_CLOSED;
		}
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

int
session_fill(struct session *s)
{
	uint8_t *p;
	ssize_t n;
	int r;

	if (s->eof)
		return SKA_ERR_CONN_CLOSED;
	if ((r = sshbuf_reserve(s->in, 4096, &p)) != 0)
		return r;
	do {
		n = read(s->from, p, 4096);
	} while (n == -1 && errno == EINTR);
	if ((r = sshbuf_consume_end(s->in, n > 0 ? 4096 - (size_t)n : 4096))
	    != 0)
		return r;
	if (n <= 0) {
		s->eof = 1;
		return SKA_ERR_CONN_CLOSED;
	}
	return 0;
}

/* The next line, without its LF; longer lines come in pieces. */
int
session_line(struct session *s, char **linep)
{
	const uint8_t *p, *nl;
	size_t len;
	int r;

	*linep = NULL;
	for (;;) {
		p = sshbuf_ptr(s->in);
		len = sshbuf_len(s->in);
		if ((nl = memchr(p, '\n', len)) != NULL || len >= LINE_MAX_LEN)
			break;
		if ((r = session_fill(s)) != 0)
			return r;
	}
	if (nl != NULL)
		len = (size_t)(nl - p);
	else
		len = LINE_MAX_LEN;
	if ((*linep = strndup((const char *)p, len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	return sshbuf_consume(s->in, nl != NULL ? len + 1 : len);
}

/* Closes our side, waits for ssh; its exit status, or -1. */
int
session_end(struct session *s)
{
	int status;

	if (s->to != -1)
		close(s->to);
	s->to = -1;
	while (!s->eof && s->in != NULL) {
		sshbuf_reset(s->in);
		(void)session_fill(s);
	}
	if (s->from != -1)
		close(s->from);
	s->from = -1;
	sshbuf_free(s->in);
	s->in = NULL;
	if (s->pid == -1)
		return -1;
	while (waitpid(s->pid, &status, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	s->pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void
session_kill(struct session *s)
{
	if (s->pid != -1)
		kill(s->pid, SIGTERM);
	(void)session_end(s);
}

void
session_failed(const struct options *o, int status, int committed)
{
	if (committed)
		error("the connection ended before %s confirmed the change; "
		    "%s is either unchanged or complete (run again to see)",
		    o->host, o->target);
	else if (status == 255)
		error("ssh to %s failed (see above); nothing was changed",
		    o->host);
	else if (status == 127)
		error("could not run ssh; nothing was changed");
	else if (o->sftp)
		error("%s did not answer as an sftp server (ssh exit status "
		    "%d); nothing was changed", o->host, status);
	else
		error("%s did not run the install script (ssh exit status %d: "
		    "a forced command, or a login shell that is not POSIX? "
		    "For an account that only allows sftp, use -s); nothing "
		    "was changed", o->host, status);
}
