#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "misc.h"
#include "prompt.h"
#include "secmem.h"

extern char **environ;

enum job_kind { JOB_SECRET, JOB_CONFIRM };

struct prompt_job {
	enum job_kind kind;
	pid_t pid;
	int fd;
	char *buf;		/* PROMPT_MAX bytes of locked memory */
	size_t len;
	int done;
};

struct prompt_notify {
	pid_t pid;		/* -1: written to stderr */
};

/* The display rules of read_passphrase(). */
static void
askpass_policy(int *allowp, int *usep)
{
	const char *s;
	int allow = 0, use = 0;

	if (((s = getenv("DISPLAY")) != NULL && *s != '\0') ||
	    ((s = getenv("WAYLAND_DISPLAY")) != NULL && *s != '\0'))
		allow = 1;
	if ((s = getenv("SSH_ASKPASS_REQUIRE")) != NULL) {
		if (strcasecmp(s, "force") == 0)
			use = allow = 1;
		else if (strcasecmp(s, "prefer") == 0)
			use = allow;
		else if (strcasecmp(s, "never") == 0)
			allow = 0;
	}
	*allowp = allow;
	*usep = use;
}

static const char *
askpass_path(void)
{
	const char *s = getenv("SSH_ASKPASS");

	return s != NULL ? s : PROMPT_ASKPASS_DEFAULT;
}

/*
 * Runs askpass with msg; its stdout is outfd, or /dev/null (and stdin too)
 * when outfd is -1.  hint: SSH_ASKPASS_PROMPT, or NULL to unset it.
 */
static int
askpass_spawn(const char *msg, const char *hint, int outfd, pid_t *pidp)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	char **env = NULL, *hintvar = NULL, *argv[3] = { NULL, NULL, NULL };
	size_t n, i, j;
	int r, err;

	*pidp = -1;
	if (*askpass_path() == '\0')
		return SKA_ERR_PROMPT_UNAVAILABLE;
	for (n = 0; environ != NULL && environ[n] != NULL; n++)
		;
	if ((env = calloc(n + 2, sizeof(*env))) == NULL ||
	    (argv[0] = strdup(askpass_path())) == NULL ||
	    (argv[1] = strdup(msg)) == NULL ||
	    (hint != NULL &&
	    asprintf(&hintvar, "SSH_ASKPASS_PROMPT=%s", hint) == -1)) {
		hintvar = NULL;
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	for (i = j = 0; i < n; i++) {
		if (strncmp(environ[i], "SSH_ASKPASS_PROMPT=", 19) != 0)
			env[j++] = environ[i];
	}
	if (hintvar != NULL)
		env[j++] = hintvar;
	env[j] = NULL;
	sigemptyset(&none);
	sigfillset(&dfl);
	sigdelset(&dfl, SIGKILL);
	sigdelset(&dfl, SIGSTOP);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	if (outfd != -1)
		err = posix_spawn_file_actions_adddup2(&fa, outfd, STDOUT_FILENO);
	else if ((err = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO,
	    "/dev/null", O_RDONLY, 0)) == 0)
		err = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO,
		    "/dev/null", O_WRONLY, 0);
	if (err == 0)
		err = posix_spawn_file_actions_addclosefrom_np(&fa,
		    STDERR_FILENO + 1);
	if (err == 0 &&
	    (err = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
	    (err = posix_spawnattr_setsigdefault(&attr, &dfl)) == 0 &&
	    (err = posix_spawnattr_setflags(&attr,
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0)
		err = posix_spawnp(pidp, argv[0], &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (err != 0) {
		*pidp = -1;
		errno = err;
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	r = 0;
 out:
	err = errno;
	free(env);
	free(hintvar);
	free(argv[0]);
	free(argv[1]);
	errno = err;
	return r;
}

/* waitpid, retried on EINTR; a child already reaped by others counts as failed. */
static int
reap(pid_t pid, int *statusp)
{
	pid_t r;

	while ((r = waitpid(pid, statusp, 0)) == -1 && errno == EINTR)
		;
	return r == pid ? 0 : -1;
}

/* SIGTERM, up to a second's grace, then SIGKILL. */
static void
stop_child(pid_t pid)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	(void)reap(pid, NULL);
}

static int
job_start(enum job_kind kind, const char *msg, struct prompt_job **jobp)
{
	struct prompt_job *job = NULL;
	int p[2] = { -1, -1 }, r;

	*jobp = NULL;
	if ((job = calloc(1, sizeof(*job))) == NULL ||
	    (job->buf = secmem_alloc(PROMPT_MAX)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	job->kind = kind;
	job->fd = -1;
	job->pid = -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	if ((r = askpass_spawn(msg, kind == JOB_CONFIRM ? "confirm" : NULL,
	    p[1], &job->pid)) != 0)
		goto out;
	close(p[1]);
	p[1] = -1;
	job->fd = p[0];
	p[0] = -1;
	if (fcntl(job->fd, F_SETFL, O_NONBLOCK) == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	r = 0;
	*jobp = job;
	job = NULL;
 out:
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	if (job != NULL)
		prompt_job_cancel(job);
	return r;
}

int
prompt_job_fd(const struct prompt_job *job)
{
	return job == NULL ? -1 : job->fd;
}

pid_t
prompt_job_pid(const struct prompt_job *job)
{
	return job == NULL ? -1 : job->pid;
}

int
prompt_job_read(struct prompt_job *job)
{
	ssize_t n;

	if (job == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	while (!job->done) {
		if (job->len >= PROMPT_MAX - 1) {
			job->done = 1;
			break;
		}
		n = read(job->fd, job->buf + job->len, PROMPT_MAX - 1 - job->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			job->done = 1;
		else
			job->len += (size_t)n;
	}
	return 1;
}

/* Reads the rest (blocking), reaps askpass; 0 when it exited 0. */
static int
job_end(struct prompt_job *job)
{
	int status, r;

	if (fcntl(job->fd, F_SETFL, 0) == -1)
		return SKA_ERR_SYSTEM;
	if ((r = prompt_job_read(job)) < 0)
		return r;
	close(job->fd);
	job->fd = -1;
	job->buf[job->len] = '\0';
	job->buf[strcspn(job->buf, "\r\n")] = '\0';
	r = reap(job->pid, &status);
	job->pid = -1;
	if (r != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return SKA_ERR_CANCELLED;
	return 0;
}

int
prompt_confirm_finish(struct prompt_job *job)
{
	int r;

	if (job == NULL || job->kind != JOB_CONFIRM)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((r = job_end(job)) == 0 && *job->buf != '\0' &&
	    strcasecmp(job->buf, "yes") != 0)
		r = SKA_ERR_CONFIRM_DENIED;
	if (r == SKA_ERR_CANCELLED)
		r = SKA_ERR_CONFIRM_DENIED;
	prompt_job_cancel(job);
	return r;
}

int
prompt_askpass_finish(struct prompt_job *job, char **secretp)
{
	int r;

	if (secretp != NULL)
		*secretp = NULL;
	if (job == NULL || job->kind != JOB_SECRET || secretp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((r = job_end(job)) == 0 &&
	    (*secretp = secmem_strdup(job->buf)) == NULL)
		r = SKA_ERR_ALLOC_FAIL;
	prompt_job_cancel(job);
	return r;
}

void
prompt_job_cancel(struct prompt_job *job)
{
	if (job == NULL)
		return;
	if (job->fd != -1)
		close(job->fd);
	stop_child(job->pid);
	secmem_free(job->buf, PROMPT_MAX);
	free(job);
}

int
prompt_confirm_start(const char *question, struct prompt_job **jobp)
{
	int allow, use;

	if (question == NULL || jobp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*jobp = NULL;
	askpass_policy(&allow, &use);
	if (!allow)
		return SKA_ERR_PROMPT_UNAVAILABLE;
	return job_start(JOB_CONFIRM, question, jobp);
}

int
prompt_askpass_start(const char *prompt, struct prompt_job **jobp)
{
	int allow, use;

	if (prompt == NULL || jobp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*jobp = NULL;
	askpass_policy(&allow, &use);
	if (!allow)
		return SKA_ERR_PROMPT_UNAVAILABLE;
	return job_start(JOB_SECRET, prompt, jobp);
}

/*
 * Runs a job to its end, with SIGCHLD not ignored meanwhile (an ignored
 * SIGCHLD would reap askpass before we read its exit status).
 */
static int
job_run(enum job_kind kind, const char *msg, char **secretp)
{
	struct sigaction dfl, old;
	struct prompt_job *job = NULL;
	int r, restore = 0;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	if (sigaction(SIGCHLD, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
		restore = sigaction(SIGCHLD, &dfl, NULL) == 0;
	if ((r = job_start(kind, msg, &job)) == 0) {
		if (kind == JOB_CONFIRM)
			r = prompt_confirm_finish(job);
		else
			r = prompt_askpass_finish(job, secretp);
	}
	if (restore)
		sigaction(SIGCHLD, &old, NULL);
	return r;
}

int
prompt_confirm(const char *question)
{
	int allow, use;

	if (question == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	askpass_policy(&allow, &use);
	if (!allow)
		return SKA_ERR_PROMPT_UNAVAILABLE;
	return job_run(JOB_CONFIRM, question, NULL);
}

/* The terminal: OpenBSD's readpassphrase(3), in short. */

static volatile sig_atomic_t caught[NSIG];
static const int tty_sigs[] = { SIGALRM, SIGHUP, SIGINT, SIGPIPE, SIGQUIT,
    SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU };
#define NTTY_SIGS	(sizeof(tty_sigs) / sizeof(tty_sigs[0]))

static void
tty_catch(int sig)
{
	caught[sig] = 1;
}

static int
any_caught(void)
{
	size_t i;

	for (i = 0; i < NTTY_SIGS; i++) {
		if (caught[tty_sigs[i]])
			return 1;
	}
	return 0;
}

/*
 * Reads a line into buf (PROMPT_MAX bytes) from /dev/tty, or from stdin
 * (prompt on stderr) when there is no tty and require_tty is 0.  The
 * signals are blocked except while waiting in ppoll(), so that one that
 * arrives just before the wait cannot be missed.
 */
static int
tty_read(const char *prompt, int echo, int require_tty, char *buf)
{
	struct sigaction sa, old[NTTY_SIGS];
	struct termios term, oterm;
	struct pollfd pfd;
	sigset_t block, oldmask;
	int input, output, ttyfd, echo_off, restart, r, saved;
	size_t i, len;
	ssize_t n;
	char ch;

 again:
	restart = 0;
	for (i = 0; i < NTTY_SIGS; i++)
		caught[tty_sigs[i]] = 0;
	if ((ttyfd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) != -1)
		input = output = ttyfd;
	else if (require_tty)
		return SKA_ERR_PROMPT_UNAVAILABLE;
	else {
		input = STDIN_FILENO;
		output = STDERR_FILENO;
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = tty_catch;	/* no SA_RESTART */
	sigemptyset(&block);
	for (i = 0; i < NTTY_SIGS; i++) {
		sigaction(tty_sigs[i], &sa, &old[i]);
		sigaddset(&block, tty_sigs[i]);
	}
	echo_off = 0;
	if (!echo && tcgetattr(input, &oterm) == 0) {
		term = oterm;
		term.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		while (tcsetattr(input, TCSAFLUSH, &term) == -1 &&
		    errno == EINTR && !caught[SIGTTOU])
			;
		echo_off = 1;
	}
	pthread_sigmask(SIG_BLOCK, &block, &oldmask);

	(void)write_all(output, prompt, strlen(prompt));
	len = 0;
	r = 0;
	pfd.fd = input;
	pfd.events = POLLIN;
	for (;;) {
		if (any_caught()) {
			r = SKA_ERR_CANCELLED;
			break;
		}
		/* the signals are let through only while waiting here */
		if (ppoll(&pfd, 1, NULL, &oldmask) == -1) {
			if (errno == EINTR)
				continue;
			r = SKA_ERR_SYSTEM;
			break;
		}
		if ((n = read(input, &ch, 1)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r = SKA_ERR_SYSTEM;
			break;
		}
		if (n == 1 && ch != '\n' && ch != '\r') {
			if (len < PROMPT_MAX - 1)
				buf[len++] = ch;
			continue;
		}
		if (n == 0 && len == 0)
			r = SKA_ERR_EOF;
		break;
	}
	saved = errno;
	buf[len] = '\0';
	ch = '\0';
	if (echo_off) {
		(void)write_all(output, "\n", 1);
		while (tcsetattr(input, TCSAFLUSH, &oterm) == -1 &&
		    errno == EINTR)
			;
	}
	for (i = 0; i < NTTY_SIGS; i++)
		sigaction(tty_sigs[i], &old[i], NULL);
	/* signals still pending are delivered now, to the old handlers */
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	if (ttyfd != -1)
		close(ttyfd);
	/* and those we caught are sent again, the terminal sane */
	for (i = 0; i < NTTY_SIGS; i++) {
		if (!caught[tty_sigs[i]])
			continue;
		kill(getpid(), tty_sigs[i]);
		if (tty_sigs[i] == SIGTSTP || tty_sigs[i] == SIGTTIN ||
		    tty_sigs[i] == SIGTTOU)
			restart = 1;
	}
	if (restart) {
		memset(buf, 0, PROMPT_MAX);
		goto again;
	}
	errno = saved;
	return r;
}

int
prompt_can_ask(int flags)
{
	int allow, use, fd;

	askpass_policy(&allow, &use);
	if (allow && (use || (flags & PROMPT_USE_ASKPASS) ||
	    ((flags & PROMPT_ALLOW_STDIN) && !isatty(STDIN_FILENO))))
		return 1;
	if (flags & PROMPT_USE_ASKPASS)
		return 0;
	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1)
		return 0;
	close(fd);
	return 1;
}

int
prompt_read(const char *prompt, int flags, char **secretp)
{
	char *buf = NULL;
	int allow, use, ttyfd, require_tty = 0, r;

	if (prompt == NULL || secretp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*secretp = NULL;
	askpass_policy(&allow, &use);
	if (use)
		;	/* SSH_ASKPASS_REQUIRE */
	else if (flags & PROMPT_USE_ASKPASS)
		use = 1;
	else if (flags & PROMPT_ALLOW_STDIN) {
		if (!isatty(STDIN_FILENO))
			use = 1;
	} else {
		require_tty = 1;
		if ((ttyfd = open("/dev/tty", O_RDWR | O_CLOEXEC |
		    O_NOCTTY)) != -1) {
			/* the prompt at the start of the line */
			(void)write_all(ttyfd, "\r", 1);
			close(ttyfd);
		} else
			use = 1;
	}
	if ((flags & PROMPT_USE_ASKPASS) && !allow)
		return SKA_ERR_PROMPT_UNAVAILABLE;
	if (use && allow)
		return job_run(JOB_SECRET, prompt, secretp);

	if ((buf = secmem_alloc(PROMPT_MAX)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = tty_read(prompt, (flags & PROMPT_ECHO) != 0, require_tty,
	    buf)) == 0 && (*secretp = secmem_strdup(buf)) == NULL)
		r = SKA_ERR_ALLOC_FAIL;
	secmem_free(buf, PROMPT_MAX);
	return r;
}

/* Notices */

static void
write_msg(const char *msg)
{
	(void)write_all(STDERR_FILENO, "\r", 1);
	(void)write_all(STDERR_FILENO, msg, strlen(msg));
	(void)write_all(STDERR_FILENO, "\r\n", 2);
}

struct prompt_notify *
prompt_notify_start(const char *message)
{
	struct prompt_notify *n;
	const char *s;
	int display;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	n->pid = -1;
	if (message == NULL)
		message = "";
	fflush(NULL);
	display = getenv("DISPLAY") != NULL ||
	    getenv("WAYLAND_DISPLAY") != NULL ||
	    ((s = getenv("SSH_ASKPASS_REQUIRE")) != NULL &&
	    strcmp(s, "force") == 0);
	if (isatty(STDERR_FILENO) || !display ||
	    askpass_spawn(message, "none", -1, &n->pid) != 0) {
		n->pid = -1;
		write_msg(message);
	}
	return n;
}

void
prompt_notify_done(struct prompt_notify *n, const char *result)
{
	if (n == NULL)
		return;
	if (n->pid == -1 && result != NULL)
		write_msg(result);
	stop_child(n->pid);
	free(n);
}

/* Code points of a UTF-8 string. */
static size_t
utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int
prompt_new_pin(int min_len, char **pinp)
{
	char *p1 = NULL, *p2 = NULL;
	int i, r = SKA_ERR_PIN_POLICY;

	*pinp = NULL;
	for (i = 0; i < PROMPT_NEW_PIN_TRIES; i++) {
		if ((r = prompt_read("Enter new PIN for authenticator: ",
		    PROMPT_ALLOW_STDIN, &p1)) != 0)
			goto out;
		if (*p1 == '\0') {
			r = SKA_ERR_EOF;
			goto out;
		}
		if (utf8_len(p1) < (size_t)min_len || strlen(p1) > 63) {
			fprintf(stderr, "PIN too %s: this security key takes "
			    "%d to 63 characters.\n", strlen(p1) > 63 ? "long" :
			    "short", min_len);
			secmem_free_str(p1);
			p1 = NULL;
			r = SKA_ERR_PIN_POLICY;
			continue;
		}
		if ((r = prompt_read("Enter same PIN again: ",
		    PROMPT_ALLOW_STDIN, &p2)) != 0)
			goto out;
		if (strcmp(p1, p2) == 0) {
			*pinp = p1;
			p1 = NULL;
			r = 0;
			goto out;
		}
		secmem_free_str(p1);
		secmem_free_str(p2);
		p1 = p2 = NULL;
		r = SKA_ERR_PIN_POLICY;
		fprintf(stderr, "PINs do not match.  Try again.\n");
	}
 out:
	secmem_free_str(p1);
	secmem_free_str(p2);
	return r;
}
