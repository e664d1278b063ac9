/* Agent processes, raw frames on their sockets, /proc readings. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent-client.h"
#include "bench.h"
#include "sshbuf.h"

#define START_TIMEOUT_MS	10000
#define STOP_TIMEOUT_MS		5000
#define IO_TIMEOUT_S		10

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
sock_connect(const char *path, int *fdp)
{
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	int fd = -1, r;

	*fdp = -1;
	if ((r = agent_connect(path, &fd)) != 0)
		return r;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		close(fd);
		return SKA_ERR_SYSTEM;
	}
	*fdp = fd;
	return 0;
}

/* Readiness: a connection of this type to a->sock succeeds. */
static int
sock_ready(const char *path, int type)
{
	struct sockaddr_un sun;
	int fd, ok;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

static int
set_paths(struct agent *a, const char *dir, const char *tag, char *err)
{
	a->pid = -1;
	if ((size_t)snprintf(a->sock, sizeof(a->sock), "%s/%s.sock", dir, tag) >=
	    sizeof(a->sock) ||
	    (size_t)snprintf(a->log, sizeof(a->log), "%s/%s.log", dir, tag) >=
	    sizeof(a->log)) {
		snprintf(err, ERRLEN, "%s: socket path too long", a->name);
		return SKA_ERR_INVALID_ARGUMENT;
	}
	unlink(a->sock);
	return 0;
}

/* Runs argv with output to a->log; waits until a->sock takes connections. */
static int
proc_start(struct agent *a, const char **argv, int socktype, char *err)
{
	union {
		const char **c;
		char *const *v;		/* execv's type */
	} av;
	uint64_t deadline;
	int fd, lfd, status;
	pid_t pid;

	if ((lfd = open(a->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(err, ERRLEN, "%.200s: %s", a->log, strerror(errno));
		return SKA_ERR_SYSTEM;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, ERRLEN, "fork: %s", strerror(errno));
		close(lfd);
		return SKA_ERR_SYSTEM;
	}
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, 0);
		dup2(lfd, 1);
		dup2(lfd, 2);
		unsetenv("SSH_AUTH_SOCK");
		/* never outlive the bench, whatever happens to it */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		av.c = argv;
		execv(argv[0], av.v);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(lfd);
	a->pid = pid;
	deadline = now_ns() + START_TIMEOUT_MS * 1000000ull;
	while (now_ns() < deadline) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			a->pid = -1;
			snprintf(err, ERRLEN, "%s exited at start-up (status "
			    "%d); see %.180s", a->name, WIFEXITED(status) ?
			    WEXITSTATUS(status) : 128 + WTERMSIG(status), a->log);
			return SKA_ERR_AGENT_NOT_PRESENT;
		}
		if (sock_ready(a->sock, socktype))
			return 0;
		nap_ms(10);
	}
	snprintf(err, ERRLEN, "%s did not listen on %s within %d s", a->name,
	    a->sock, START_TIMEOUT_MS / 1000);
	agent_stop(a);
	return SKA_ERR_TIMEOUT;
}

int
agent_start(struct agent *a, const char *dir, const char *tag,
    const char *const *extra, char *err)
{
	const char *argv[32];
	size_t n = 0, i;
	int r;

	if ((r = set_paths(a, dir, tag, err)) != 0)
		return r;
	argv[n++] = a->path;
	argv[n++] = "-D";
	argv[n++] = "-a";
	argv[n++] = a->sock;
	for (i = 0; extra != NULL && extra[i] != NULL && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	return proc_start(a, argv, SOCK_STREAM, err);
}

int
softtoken_start(struct agent *a, const char *dir, const char *tag, char *err)
{
	const char *argv[] = { a->path, "--socket", a->sock, "--touch", "auto",
	    NULL };
	int r;

	if ((r = set_paths(a, dir, tag, err)) != 0)
		return r;
	return proc_start(a, argv, SOCK_SEQPACKET, err);
}

void
agent_stop(struct agent *a)
{
	uint64_t deadline;
	int status;

	if (a->pid <= 0)
		return;
	kill(a->pid, SIGTERM);
	deadline = now_ns() + STOP_TIMEOUT_MS * 1000000ull;
	while (waitpid(a->pid, &status, WNOHANG) == 0) {
		if (now_ns() > deadline) {
			kill(a->pid, SIGKILL);
			waitpid(a->pid, &status, 0);
			break;
		}
		nap_ms(5);
	}
	a->pid = -1;
	unlink(a->sock);
}

int
agent_alive(struct agent *a)
{
	int status;

	if (a->pid <= 0)
		return 0;
	if (waitpid(a->pid, &status, WNOHANG) == a->pid) {
		a->pid = -1;
		return 0;
	}
	return 1;
}

void
rbuf_free(struct rbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
frame_send(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? SKA_ERR_TIMEOUT :
			    SKA_ERR_CONN_CLOSED;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One recv() per reply in the common case: the whole frame at once. */
int
frame_recv(int fd, struct rbuf *b)
{
	size_t have = 0, want = 4, ncap;
	uint32_t flen;
	uint8_t *np;
	ssize_t n;

	if (b->cap < 4096) {
		if ((np = realloc(b->p, 4096)) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		b->p = np;
		b->cap = 4096;
	}
	for (;;) {
		if ((n = recv(fd, b->p + have, b->cap - have, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? SKA_ERR_TIMEOUT :
			    SKA_ERR_CONN_CLOSED;
		}
		if (n == 0)
			return SKA_ERR_CONN_CLOSED;
		have += (size_t)n;
		if (have >= 4 && want == 4) {
			flen = peek_u32(b->p);
			if (flen == 0 || flen > FRAME_MAX)
				return SKA_ERR_INVALID_FORMAT;
			want = 4 + (size_t)flen;
			if (want > b->cap) {
				ncap = want;
				if ((np = realloc(b->p, ncap)) == NULL)
					return SKA_ERR_ALLOC_FAIL;
				b->p = np;
				b->cap = ncap;
			}
		}
		if (have > want)
			return SKA_ERR_INVALID_FORMAT;	/* a reply nobody asked for */
		if (have == want && want > 4)
			break;
	}
	/* payload to the front: callers see the type byte first */
	memmove(b->p, b->p + 4, want - 4);
	b->len = want - 4;
	return 0;
}

int
frame_xfer(int fd, const uint8_t *p, size_t len, struct rbuf *b)
{
	int r;

	if ((r = frame_send(fd, p, len)) != 0)
		return r;
	return frame_recv(fd, b);
}

static long
field_kb(const char *line, const char *name)
{
	size_t n = strlen(name);
	char *end;
	long v;

	if (strncmp(line, name, n) != 0 || line[n] != ':')
		return -1;
	errno = 0;
	v = strtol(line + n + 1, &end, 10);
	if (errno != 0 || end == line + n + 1)
		return -1;
	return v;
}

void
memstat_read(pid_t pid, struct memstat *m)
{
	char path[64], line[256];
	long v, pc = -1, pd = -1;
	FILE *f;

	m->rss_kb = m->pss_kb = m->private_kb = m->locked_kb = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			if ((v = field_kb(line, "VmRSS")) >= 0)
				m->rss_kb = v;
		fclose(f);
	}
	/* needs ptrace access: absent for a non-dumpable agent unless root */
	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if ((v = field_kb(line, "Pss")) >= 0)
				m->pss_kb = v;
			else if ((v = field_kb(line, "Private_Clean")) >= 0)
				pc = v;
			else if ((v = field_kb(line, "Private_Dirty")) >= 0)
				pd = v;
			else if ((v = field_kb(line, "Locked")) >= 0)
				m->locked_kb = v;
		}
		fclose(f);
	}
	if (pc >= 0 && pd >= 0)
		m->private_kb = pc + pd;
}

int64_t
cpu_ns(pid_t pid)
{
	char path[96];
	struct dirent *de;
	unsigned long long v;
	int64_t total = 0;
	DIR *d;
	FILE *f;
	int ok = 0;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%.20s/schedstat",
		    (long)pid, de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(f, "%llu", &v) == 1) {
			total += (int64_t)v;
			ok = 1;
		}
		fclose(f);
	}
	closedir(d);
	return ok ? total : -1;
}

/* Runs argv, returns its output (stdout and stderr, at most len-1 bytes). */
int
run_capture(const char **argv, char *out, size_t len)
{
	union {
		const char **c;
		char *const *v;		/* execv's type */
	} av;
	size_t have = 0;
	ssize_t n;
	int p[2], status, fd;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		av.c = argv;
		execv(argv[0], av.v);
		_exit(127);
	}
	close(p[1]);
	while (have + 1 < len) {
		if ((n = read(p[0], out + have, len - 1 - have)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	out[have] = '\0';
	close(p[0]);
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
