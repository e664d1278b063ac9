#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "loop.h"

#define CHILD_OUT_MAX	4096

extern char **environ;

struct child {
	pid_t pid;
	int pidfd, outfd;
	struct child *next;	/* in nopidfd */
	struct watch *wpid, *wout;
	char out[CHILD_OUT_MAX + 1];
	size_t outlen;
	int exited, status, cancelled, group;
	child_done_fn *cb;
	void *arg;
};

/* Children whose exit no pidfd shows (Linux < 5.3, valgrind): SIGCHLD does. */
static struct child *nopidfd;

static void
child_finish(struct child *ch)
{
	if (!ch->exited || ch->outfd != -1)
		return;
	if (!ch->cancelled && ch->cb != NULL)
		ch->cb(ch->status, ch->out, ch->outlen, ch->arg);
	explicit_bzero(ch->out, sizeof(ch->out));	/* may be a passphrase */
	free(ch);
}

static void
on_out(int fd, void *arg)
{
	struct child *ch = arg;
	char buf[512];
	ssize_t n;
	size_t take;

	n = read(fd, buf, sizeof(buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		take = (size_t)n;
		if (take > CHILD_OUT_MAX - ch->outlen)
			take = CHILD_OUT_MAX - ch->outlen;
		memcpy(ch->out + ch->outlen, buf, take);
		ch->outlen += take;
		ch->out[ch->outlen] = '\0';
		explicit_bzero(buf, sizeof(buf));
		return;
	}
	loop_unwatch_fd(ch->wout);
	ch->wout = NULL;
	close(ch->outfd);
	ch->outfd = -1;
	child_finish(ch);
}

static void
on_exit_fd(int fd, void *arg)
{
	struct child *ch = arg;
	pid_t r;
	int status = 0;

	/* each child is reaped here and nowhere else; ECHILD: gone anyway */
	while ((r = waitpid(ch->pid, &status, WNOHANG)) == -1 && errno == EINTR)
		;
	if (r == 0)
		return;
	if (r == -1)
		status = 0xff00;	/* exit status 255 */
	loop_unwatch_fd(ch->wpid);
	ch->wpid = NULL;
	close(fd);
	ch->pidfd = -1;
	ch->exited = 1;
	ch->status = status;
	child_finish(ch);
}

static void
strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Owned copy of a NULL-terminated array of strings. */
static char **
strv_dup(const char *const v[], size_t extra)
{
	size_t n = 0, i;
	char **d;

	while (v != NULL && v[n] != NULL)
		n++;
	if ((d = calloc(n + extra + 1, sizeof(*d))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((d[i] = strdup(v[i])) == NULL) {
			strv_free(d);
			return NULL;
		}
	}
	return d;
}

/* environ with env_set's names replaced; an owned copy. */
static char **
build_env(const char *const env_set[])
{
	size_t n = 0, m = 0, i, j, k = 0;
	const char *eq;
	char **env;

	while (environ[n] != NULL)
		n++;
	while (env_set != NULL && env_set[m] != NULL)
		m++;
	if ((env = calloc(n + m + 1, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n + m; i++) {
		const char *e = i < n ? environ[i] : env_set[i - n];

		for (j = 0; i < n && j < m; j++) {
			eq = strchr(env_set[j], '=');
			if (eq != NULL && strncmp(e, env_set[j],
			    (size_t)(eq - env_set[j]) + 1) == 0)
				break;
		}
		if (i < n && j < m)
			continue;	/* replaced */
		if ((env[k++] = strdup(e)) == NULL) {
			strv_free(env);
			return NULL;
		}
	}
	return env;
}

/*
 * The read end of a pipe already holding in (the write end closed), or -1.
 * A pipe rather than a file: kernel memory that is never swapped, freed
 * when the child is done with it.  Grown to fit up to the system's
 * pipe-max-size (1 MiB by default).
 */
static int
input_fd(const void *in, size_t inlen)
{
	const uint8_t *p = in;
	int pfd[2], sz;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) == -1) {
		error("pipe: %s", strerror(errno));
		return -1;
	}
	if (inlen > 0 && (sz = fcntl(pfd[1], F_GETPIPE_SZ)) != -1 &&
	    (size_t)sz < inlen && inlen <= INT_MAX)
		(void)fcntl(pfd[1], F_SETPIPE_SZ, (int)inlen);
	while (inlen > 0) {
		if ((n = write(pfd[1], p, inlen)) == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			error("child input of %zu bytes: %s", inlen,
			    n == 0 ? "short write" : strerror(errno));
			close(pfd[0]);
			close(pfd[1]);
			return -1;
		}
		p += n;
		inlen -= (size_t)n;
	}
	close(pfd[1]);
	(void)fcntl(pfd[0], F_SETFL, 0);	/* the child may block on it */
	return pfd[0];
}

/*
 * The loop blocks its signals (loop_signals) outside epoll_pwait and
 * ignores SIGPIPE (and SIGINT when daemonised): a child gets an empty mask
 * and the default actions, or child_kill's SIGTERM would wait forever.
 * group: a process group of its own.
 */
static int
spawn_attr(posix_spawnattr_t *attr, int group)
{
	sigset_t none, dfl;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;

	sigemptyset(&none);
	loop_signals(&dfl);
	sigaddset(&dfl, SIGPIPE);
	if (group)
		flags |= POSIX_SPAWN_SETPGROUP;
	if (posix_spawnattr_init(attr) != 0)
		return -1;
	if (posix_spawnattr_setsigmask(attr, &none) != 0 ||
	    posix_spawnattr_setsigdefault(attr, &dfl) != 0 ||
	    posix_spawnattr_setpgroup(attr, 0) != 0 ||
	    posix_spawnattr_setflags(attr, flags) != 0) {
		posix_spawnattr_destroy(attr);
		return -1;
	}
	return 0;
}

/*
 * fds: when not NULL, the child's stdin and stdout (in, capture unused);
 * the caller keeps its own copies.
 */
static struct child *
spawn(const char *const argv_in[], const char *const env_set[],
    const void *in, size_t inlen, int capture, int group, const int *fds,
    child_done_fn *cb, void *arg)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct child *ch = NULL;
	int pfd[2] = { -1, -1 }, infd = -1, fa_init = 0, attr_init = 0, r;
	char **env = NULL, **argv = NULL;
	pid_t pid;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return NULL;
	ch->pidfd = ch->outfd = -1;
	ch->cb = cb;
	ch->arg = arg;
	ch->group = group;
	if ((env = build_env(env_set)) == NULL ||
	    (argv = strv_dup(argv_in, 0)) == NULL)
		goto fail;
	if (in != NULL && (infd = input_fd(in, inlen)) == -1)
		goto fail;
	if (pipe2(pfd, O_CLOEXEC) == -1)
		goto fail;
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto fail;
	fa_init = 1;
	if (fds != NULL) {
		if (posix_spawn_file_actions_adddup2(&fa, fds[0], 0) != 0 ||
		    posix_spawn_file_actions_adddup2(&fa, fds[1], 1) != 0)
			goto fail;
	} else if ((infd != -1 ? posix_spawn_file_actions_adddup2(&fa, infd, 0) :
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
	    (capture ? posix_spawn_file_actions_adddup2(&fa, pfd[1], 1) :
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0)) != 0)
		goto fail;
	if (spawn_attr(&attr, group) != 0)
		goto fail;
	attr_init = 1;
	if ((r = posix_spawnp(&pid, argv[0], &fa, &attr, argv, env)) != 0) {
		error("cannot run %s: %s", argv[0], strerror(r));
		goto fail;
	}
	ch->pid = pid;
	close(pfd[1]);
	pfd[1] = -1;
	if (infd != -1) {
		close(infd);
		infd = -1;
	}
	if (capture && fds == NULL) {
		ch->outfd = pfd[0];
		pfd[0] = -1;
		fcntl(ch->outfd, F_SETFL, O_NONBLOCK);
		ch->wout = loop_watch_fd(ch->outfd, on_out, ch);
	}
	if ((ch->pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) != -1)
		ch->wpid = loop_watch_fd(ch->pidfd, on_exit_fd, ch);
	else {
		/* reaped by child_reap() on SIGCHLD */
		debug("pidfd_open: %s; waiting for SIGCHLD", strerror(errno));
		ch->next = nopidfd;
		nopidfd = ch;
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	strv_free(env);
	strv_free(argv);
	if (pfd[0] != -1)
		close(pfd[0]);
	return ch;
 fail:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (infd != -1)
		close(infd);
	if (attr_init)
		posix_spawnattr_destroy(&attr);
	if (pfd[0] != -1)
		close(pfd[0]);
	if (pfd[1] != -1)
		close(pfd[1]);
	strv_free(env);
	strv_free(argv);
	free(ch);
	return NULL;
}

struct child *
child_spawn(const char *const argv[], const char *const env_set[],
    int capture, child_done_fn *cb, void *arg)
{
	return spawn(argv, env_set, NULL, 0, capture, 0, NULL, cb, arg);
}

struct child *
child_spawn_input(const char *const argv[], const char *const env_set[],
    const void *in, size_t inlen, int capture, child_done_fn *cb, void *arg)
{
	return spawn(argv, env_set, in, inlen, capture, 0, NULL, cb, arg);
}

struct child *
child_spawn_group(const char *const argv[], const char *const env_set[],
    int capture, child_done_fn *cb, void *arg)
{
	return spawn(argv, env_set, NULL, 0, capture, 1, NULL, cb, arg);
}

struct child *
child_spawn_fds(const char *const argv[], const char *const env_set[],
    int infd, int outfd, child_done_fn *cb, void *arg)
{
	const int fds[2] = { infd, outfd };

	return spawn(argv, env_set, NULL, 0, 0, 0, fds, cb, arg);
}

void
child_kill(struct child *ch)
{
	child_kill_signal(ch, SIGTERM);
}

void
child_kill_signal(struct child *ch, int sig)
{
	if (ch == NULL)
		return;
	ch->cancelled = 1;
	if (!ch->exited)
		kill(ch->group ? -ch->pid : ch->pid, sig);
}

void
child_detach(struct child *ch)
{
	if (ch != NULL)
		ch->cancelled = 1;
}

pid_t
child_pid(const struct child *ch)
{
	return ch == NULL || ch->exited ? -1 : ch->pid;
}

void
child_reap(void)
{
	struct child **pp = &nopidfd, *ch;
	int status = 0;
	pid_t r;

	while ((ch = *pp) != NULL) {
		while ((r = waitpid(ch->pid, &status, WNOHANG)) == -1 &&
		    errno == EINTR)
			;
		if (r == 0) {
			pp = &ch->next;
			continue;
		}
		*pp = ch->next;
		ch->exited = 1;
		ch->status = r == -1 ? 0xff00 : status;
		child_finish(ch);
	}
}
