/*
 * Prompts: a real pseudo-terminal (echo off and restored, also when a
 * signal arrives), and a real askpass program written by the test that
 * records its argument and SSH_ASKPASS_PROMPT; the DISPLAY and
 * SSH_ASKPASS_REQUIRE rules; the asynchronous forms; notices.  Everything
 * runs in a new session without a controlling terminal, so that nothing
 * ever waits for the person running the tests.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "prompt.h"
#include "secmem.h"
#include "tap.h"

static char dir[] = "/tmp/test-prompt.XXXXXX";
static char askpass[256], argfile[256], hintfile[256], pidfile[256];

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0 ||
	    chmod(path, mode) != 0)
		abort();
}

/* The first line of a file, or "" (waits up to 10 s for it to appear). */
static const char *
first_line(const char *path)
{
	static char line[2048];
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	FILE *f;
	int i;

	line[0] = '\0';
	for (i = 0; i < 1000; i++) {
		if ((f = fopen(path, "r")) != NULL) {
			if (fgets(line, sizeof(line), f) != NULL) {
				fclose(f);
				break;
			}
			fclose(f);
		}
		nanosleep(&ts, NULL);
	}
	line[strcspn(line, "\n")] = '\0';
	return line;
}

static void
reset_env(void)
{
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	unsetenv("SSH_ASKPASS_REQUIRE");
	unsetenv("SSH_ASKPASS_PROMPT");
	unsetenv("ANSWER");
	unsetenv("STATUS");
	unsetenv("DELAY");
	unsetenv("HANG");
	setenv("SSH_ASKPASS", askpass, 1);
	unlink(argfile);
	unlink(hintfile);
	unlink(pidfile);
}

static void
test_askpass(void)
{
	char *s = NULL;
	char long_answer[2100];

	reset_env();
	setenv("SSH_ASKPASS_REQUIRE", "force", 1);
	setenv("SSH_ASKPASS_PROMPT", "confirm", 1);	/* must not leak */
	is_int(prompt_read("Enter passphrase: ", 0, &s), 0,
	    "askpass forced: answers");
	is_str(s, "hunter2", "the answer, without its newline");
	ok(s != NULL && (CRYPTO_secure_allocated(s) ||
	    !CRYPTO_secure_malloc_initialized()), "in the locked heap");
	is_str(first_line(argfile), "Enter passphrase: ", "the prompt is askpass's argument");
	is_str(first_line(hintfile), "unset", "no SSH_ASKPASS_PROMPT for a passphrase");
	secmem_free_str(s);
	s = NULL;

	setenv("ANSWER", "abc\r\ndef", 1);
	ok(prompt_read("p", 0, &s) == 0 && strcmp(s, "abc") == 0,
	    "only the first line counts");
	secmem_free_str(s);
	s = NULL;
	memset(long_answer, 'x', sizeof(long_answer) - 1);
	long_answer[sizeof(long_answer) - 1] = '\0';
	setenv("ANSWER", long_answer, 1);
	ok(prompt_read("p", 0, &s) == 0 && strlen(s) == PROMPT_MAX - 1,
	    "a long answer is cut at %d bytes", PROMPT_MAX - 1);
	secmem_free_str(s);
	s = NULL;
	setenv("ANSWER", "", 1);
	ok(prompt_read("p", 0, &s) == 0 && *s == '\0', "an empty answer");
	secmem_free_str(s);
	s = NULL;
	setenv("STATUS", "1", 1);
	is_int(prompt_read("p", 0, &s), SKA_ERR_CANCELLED,
	    "askpass exiting 1: cancelled");
	ok(s == NULL, "no secret");
	unsetenv("STATUS");
	setenv("SSH_ASKPASS", "/nonexistent/askpass", 1);
	is_int(prompt_read("p", 0, &s), SKA_ERR_SYSTEM, "missing askpass: error");
	ok(errno == ENOENT, "errno ENOENT");
	setenv("SSH_ASKPASS", "", 1);
	is_int(prompt_read("p", 0, &s), SKA_ERR_PROMPT_UNAVAILABLE,
	    "empty SSH_ASKPASS: unavailable");

	/* the display rules, for askpass-only prompts */
	reset_env();
	is_int(prompt_read("p", PROMPT_USE_ASKPASS, &s),
	    SKA_ERR_PROMPT_UNAVAILABLE, "no display: askpass not used");
	setenv("DISPLAY", "", 1);
	is_int(prompt_read("p", PROMPT_USE_ASKPASS, &s),
	    SKA_ERR_PROMPT_UNAVAILABLE, "empty DISPLAY: askpass not used");
	setenv("DISPLAY", ":0", 1);
	ok(prompt_read("p", PROMPT_USE_ASKPASS, &s) == 0 &&
	    strcmp(s, "hunter2") == 0, "DISPLAY: askpass used");
	secmem_free_str(s);
	s = NULL;
	unsetenv("DISPLAY");
	setenv("WAYLAND_DISPLAY", "wayland-0", 1);
	ok(prompt_read("p", PROMPT_USE_ASKPASS, &s) == 0,
	    "WAYLAND_DISPLAY: askpass used");
	secmem_free_str(s);
	s = NULL;
	setenv("SSH_ASKPASS_REQUIRE", "never", 1);
	is_int(prompt_read("p", PROMPT_USE_ASKPASS, &s),
	    SKA_ERR_PROMPT_UNAVAILABLE, "SSH_ASKPASS_REQUIRE=never: not used");
	/* no terminal here: prefer + display asks askpass; without: nothing */
	setenv("SSH_ASKPASS_REQUIRE", "prefer", 1);
	ok(prompt_read("p", 0, &s) == 0, "prefer with a display: askpass");
	secmem_free_str(s);
	s = NULL;
	reset_env();
	is_int(prompt_read("p", 0, &s), SKA_ERR_PROMPT_UNAVAILABLE,
	    "no terminal, no display: unavailable");
}

static void
test_stdin(void)
{
	char *s = NULL, errpath[300];
	int p[2], saved_in, saved_err, fd;

	reset_env();
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	saved_in = dup(0);
	saved_err = dup(2);
	if (pipe(p) != 0 || write(p[1], "from stdin\n", 11) != 11)
		abort();
	close(p[1]);
	dup2(p[0], 0);
	close(p[0]);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	ok(prompt_read("Enter passphrase: ", PROMPT_ALLOW_STDIN, &s) == 0 &&
	    strcmp(s, "from stdin") == 0,
	    "ALLOW_STDIN, no terminal, no askpass: stdin");
	secmem_free_str(s);
	s = NULL;
	is_int(prompt_read("again: ", PROMPT_ALLOW_STDIN, &s), SKA_ERR_EOF,
	    "end of stdin: EOF");
	dup2(saved_in, 0);
	dup2(saved_err, 2);
	close(saved_in);
	close(saved_err);
	is_str(first_line(errpath), "Enter passphrase: again: ",
	    "the prompts went to stderr");
	unlink(errpath);
	/* ALLOW_STDIN with stdin no tty and a display: askpass */
	setenv("DISPLAY", ":0", 1);
	ok(prompt_read("p", PROMPT_ALLOW_STDIN, &s) == 0 &&
	    strcmp(s, "hunter2") == 0, "ALLOW_STDIN, stdin no tty, display: askpass");
	secmem_free_str(s);
}

static void
test_confirm(void)
{
	static const struct {
		const char *answer, *status;
		int want;
	} c[] = {
		{ "", "0", 0 }, { "yes", "0", 0 }, { "YES", "0", 0 },
		{ "no", "0", SKA_ERR_CONFIRM_DENIED },
		{ "yes please", "0", SKA_ERR_CONFIRM_DENIED },
		{ "", "1", SKA_ERR_CONFIRM_DENIED },
	};
	size_t i;

	reset_env();
	is_int(prompt_confirm("Allow?"), SKA_ERR_PROMPT_UNAVAILABLE,
	    "confirm without a display: unavailable");
	setenv("DISPLAY", ":0", 1);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		setenv("ANSWER", c[i].answer, 1);
		setenv("STATUS", c[i].status, 1);
		is_int(prompt_confirm("Allow use of key?"), c[i].want,
		    "confirm: answer \"%s\", exit %s", c[i].answer, c[i].status);
	}
	is_str(first_line(hintfile), "confirm", "SSH_ASKPASS_PROMPT=confirm");
	is_str(first_line(argfile), "Allow use of key?", "the question");
}

/* Polls a job to its end within 10 s. */
static int
job_wait(struct prompt_job *job)
{
	struct pollfd pfd;
	int i, r;

	for (i = 0; i < 100; i++) {
		pfd.fd = prompt_job_fd(job);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == -1)
			return -1;
		if ((r = prompt_job_read(job)) != 0)
			return r;
	}
	return -1;
}

static void
test_async(void)
{
	struct prompt_job *job = NULL;
	char *s = NULL;
	pid_t pid;
	int r;

	reset_env();
	is_int(prompt_confirm_start("q", &job), SKA_ERR_PROMPT_UNAVAILABLE,
	    "async confirm without a display: unavailable");
	setenv("DISPLAY", ":0", 1);
	setenv("DELAY", "0.3", 1);
	setenv("ANSWER", "yes", 1);
	ok(prompt_confirm_start("Allow?", &job) == 0 && prompt_job_pid(job) > 0 &&
	    prompt_job_fd(job) >= 0, "async confirm starts: pid and fd");
	r = prompt_job_read(job);
	is_int(r, 0, "nothing yet: the caller goes on polling");
	is_int(job_wait(job), 1, "answer complete after polling");
	is_int(prompt_confirm_finish(job), 0, "allowed");
	setenv("ANSWER", "no", 1);
	ok(prompt_confirm_start("Allow?", &job) == 0 && job_wait(job) == 1 &&
	    prompt_confirm_finish(job) == SKA_ERR_CONFIRM_DENIED, "async: denied");
	setenv("ANSWER", "1234", 1);
	ok(prompt_askpass_start("Enter PIN for authenticator: ", &job) == 0 &&
	    job_wait(job) == 1 && prompt_askpass_finish(job, &s) == 0 &&
	    strcmp(s, "1234") == 0, "async secret (a PIN)");
	is_str(first_line(hintfile), "unset", "no SSH_ASKPASS_PROMPT for a PIN");
	secmem_free_str(s);
	/* cancel a prompt nobody answers */
	setenv("HANG", "1", 1);
	unlink(pidfile);
	ok(prompt_confirm_start("Allow?", &job) == 0, "a prompt nobody answers");
	pid = prompt_job_pid(job);
	first_line(pidfile);	/* askpass is running */
	prompt_job_cancel(job);
	ok(kill(pid, 0) == -1 && errno == ESRCH, "cancel: askpass killed and reaped");
	/* finish without polling first: reads the answer itself */
	unsetenv("HANG");
	setenv("ANSWER", "", 1);
	ok(prompt_confirm_start("Allow?", &job) == 0 &&
	    prompt_confirm_finish(job) == 0, "finish without polling");
}

static void
test_notify(void)
{
	struct prompt_notify *n;
	char errpath[300], buf[256];
	pid_t pid;
	int fd, saved_err;
	FILE *f;

	reset_env();
	setenv("DISPLAY", ":0", 1);
	setenv("HANG", "1", 1);	/* stays up until killed */
	n = prompt_notify_start("Confirm user presence for key ED25519-SK SHA256:x");
	ok(n != NULL, "notice with a display: started");
	pid = (pid_t)atoi(first_line(pidfile));
	is_str(first_line(hintfile), "none", "SSH_ASKPASS_PROMPT=none");
	is_str(first_line(argfile), "Confirm user presence for key ED25519-SK SHA256:x",
	    "the message");
	ok(pid > 0 && kill(pid, 0) == 0, "askpass shows it");
	prompt_notify_done(n, "User presence confirmed");
	ok(kill(pid, 0) == -1 && errno == ESRCH, "done: askpass stopped and reaped");

	/* no display: on stderr */
	reset_env();
	snprintf(errpath, sizeof(errpath), "%s/stderr", dir);
	saved_err = dup(2);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	n = prompt_notify_start("Touch your key");
	prompt_notify_done(n, "Done");
	dup2(saved_err, 2);
	close(saved_err);
	f = fopen(errpath, "r");
	memset(buf, 0, sizeof(buf));
	if (f == NULL || fread(buf, 1, sizeof(buf) - 1, f) == 0)
		buf[0] = '\0';
	if (f != NULL)
		fclose(f);
	is_str(buf, "\rTouch your key\r\n\rDone\r\n", "no display: stderr");
	ok(access(argfile, F_OK) == -1, "and no askpass");
	unlink(errpath);
}

/* Reads the pty master until want appears (10 s at most); returns all read. */
static const char *
pty_expect(int master, const char *want)
{
	static char buf[4096];
	struct pollfd pfd = { master, POLLIN, 0 };
	size_t len = 0;
	ssize_t n;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 100 && strstr(buf, want) == NULL; i++) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((n = read(master, buf + len, sizeof(buf) - 1 - len)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return buf;
}

/*
 * A child in a new session whose controlling terminal is a pty; it prompts
 * and sends the answer back through a pipe.  Returns the child's pid.
 */
static pid_t
pty_child(int *masterp, int *resultp, int flags)
{
	char *s = NULL;
	int master, p[2], slave;
	pid_t pid;

	if ((master = posix_openpt(O_RDWR | O_NOCTTY)) == -1 ||
	    grantpt(master) != 0 || unlockpt(master) != 0 || pipe(p) != 0)
		abort();
	fflush(stdout);
	if ((pid = fork()) == 0) {
		char *name = ptsname(master);

		close(p[0]);
		setsid();
		if (name == NULL || (slave = open(name, O_RDWR)) == -1)
			_exit(3);
		close(master);
		if (prompt_read("Passphrase: ", flags, &s) != 0)
			_exit(4);
		if (write(p[1], s, strlen(s)) < 0)
			_exit(5);
		_exit(0);
	}
	close(p[1]);
	*masterp = master;
	*resultp = p[0];
	return pid;
}

/* waitpid for at most 10 s; then the child is killed and -1 returned */
static int
wait_child(pid_t pid, int *statusp)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, statusp, WNOHANG) == pid)
			return 0;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, statusp, 0);
	tap_diag("child %ld did not finish: killed", (long)pid);
	return -1;
}

static int
pty_echo_on(int master)
{
	struct termios t;
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY), on;

	on = slave != -1 && tcgetattr(slave, &t) == 0 && (t.c_lflag & ECHO);
	if (slave != -1)
		close(slave);
	return on;
}

static void
test_tty(void)
{
	const char *out;
	char res[256];
	int master, result, status, i, bad;
	ssize_t n;
	pid_t pid;

	reset_env();
	pid = pty_child(&master, &result, 0);
	out = pty_expect(master, "Passphrase: ");
	if (!ok(strstr(out, "\rPassphrase: ") != NULL,
	    "the prompt on the terminal, at the start of the line"))
		tap_diag("got [%s]", out);
	if (write(master, "hunter2\n", 8) != 8)
		abort();
	out = pty_expect(master, "\n");
	ok(strstr(out, "hunter2") == NULL, "what is typed is not echoed");
	wait_child(pid, &status);
	n = read(result, res, sizeof(res) - 1);
	res[n < 0 ? 0 : n] = '\0';
	if (!ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "prompt_read succeeded"))
		tap_diag("status %#x", status);
	is_str(res, "hunter2", "the passphrase typed");
	ok(pty_echo_on(master), "echo restored afterwards");
	close(master);
	close(result);

	pid = pty_child(&master, &result, PROMPT_ECHO);
	pty_expect(master, "Passphrase: ");
	if (write(master, "visible\n", 8) != 8)
		abort();
	out = pty_expect(master, "visible");
	ok(strstr(out, "visible") != NULL, "PROMPT_ECHO: echoed");
	wait_child(pid, &status);
	close(master);
	close(result);

	/* a signal while the prompt waits */
	pid = pty_child(&master, &result, 0);
	pty_expect(master, "Passphrase: ");
	ok(!pty_echo_on(master), "echo off while the prompt waits");
	kill(pid, SIGTERM);
	wait_child(pid, &status);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	    "SIGTERM still ends the program");
	ok(pty_echo_on(master), "and echo was restored first");
	close(master);
	close(result);
	/* the moment the prompt shows, again and again: never missed */
	for (i = 0, bad = 0; i < 20; i++) {
		pid = pty_child(&master, &result, 0);
		pty_expect(master, "Passphrase: ");
		kill(pid, SIGTERM);
		if (wait_child(pid, &status) != 0 || !WIFSIGNALED(status) ||
		    !pty_echo_on(master))
			bad++;
		close(master);
		close(result);
	}
	is_int(bad, 0, "SIGTERM right as the prompt appears: 20 times out of 20");

	/* end of input on the terminal */
	pid = pty_child(&master, &result, 0);
	pty_expect(master, "Passphrase: ");
	if (write(master, "\004", 1) != 1)
		abort();
	wait_child(pid, &status);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 4,
	    "^D at the prompt: an error, not an empty passphrase");
	close(master);
	close(result);
}

int
main(void)
{
	pid_t pid;
	int status;

	secmem_init(0);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(askpass, sizeof(askpass), "%s/askpass", dir);
	snprintf(argfile, sizeof(argfile), "%s/argv", dir);
	snprintf(hintfile, sizeof(hintfile), "%s/hint", dir);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	{
		char script[4096];

		snprintf(script, sizeof(script),
		    "#!/bin/sh\n"
		    "printf '%%s\\n' \"$1\" >%s.tmp && mv %s.tmp %s\n"
		    "printf '%%s\\n' \"${SSH_ASKPASS_PROMPT-unset}\" >%s.tmp && mv %s.tmp %s\n"
		    "echo $$ >%s.tmp && mv %s.tmp %s\n"
		    "[ -n \"${HANG:-}\" ] && exec sleep 100\n"
		    "[ -n \"${DELAY:-}\" ] && sleep \"$DELAY\"\n"
		    "printf '%%s\\n' \"${ANSWER-hunter2}\"\n"
		    "exit ${STATUS:-0}\n",
		    argfile, argfile, argfile, hintfile, hintfile, hintfile,
		    pidfile, pidfile, pidfile);
		write_file(askpass, script, 0755);
	}
	/* no controlling terminal from here on */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		setsid();
		alarm(120);	/* a hang fails the run instead */
		test_askpass();
		test_stdin();
		test_confirm();
		test_async();
		test_notify();
		test_tty();
		_exit(tap_done());
	}
	waitpid(pid, &status, 0);
	unlink(askpass);
	rmdir(dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
