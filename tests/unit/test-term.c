/*
 * The requester's terminal (agent/term.c) on a real pseudo-terminal: a
 * child made its session leader with the pty as controlling terminal is
 * found from its own pid and from a child of its; a parent chain of fake
 * /proc entries leads to it; the node is checked by its device number;
 * only its owner's requests open it; writes reach the other end cleaned of
 * control characters.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../../agent/proc.h"
#include "../../agent/term.h"
#include "tap.h"

static char tmp[] = "/tmp/test-term.XXXXXX";

/* root/PID/stat, for tap_write_file */
static const char *
stat_path(const char *root, long pid)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%ld/stat", root, pid);
	return path;
}

/* /proc/PID/stat's tty_nr of a device (new_encode_dev) */
static unsigned int
encode(dev_t d)
{
	unsigned int ma = major(d), mi = minor(d);

	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
}

/* Reads what the master has, up to len bytes, within a second. */
static size_t
drain(int m, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int i;

	for (i = 0; i < 100 && got < len; i++) {
		n = read(m, buf + got, len - got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (got > 0)
			break;
		usleep(10000);
	}
	return got;
}

int
main(void)
{
	struct term_id t;
	struct termios tio;
	struct stat st;
	char root[512], *pts, buf[256];
	const char *why;
	int m, fd, sync[2], ready[2];
	pid_t leader, kid;
	char c;

	if (mkdtemp(tmp) == NULL)
		abort();
	if ((m = posix_openpt(O_RDWR | O_NOCTTY)) == -1 || grantpt(m) != 0 ||
	    unlockpt(m) != 0 || (pts = ptsname(m)) == NULL) {
		tap_skip(1, "no pseudo-terminals here");
		return tap_done();
	}
	pts = strdup(pts);
	fcntl(m, F_SETFL, O_NONBLOCK);
	if (stat(pts, &st) != 0)
		abort();
	if (pipe(sync) != 0 || pipe(ready) != 0)
		abort();
	/* the leader: a session with the pty as controlling terminal, and a
	 * child of its that inherits it */
	if ((leader = fork()) == 0) {
		close(sync[1]);
		close(ready[0]);
		if (setsid() == -1 || (fd = open(pts, O_RDWR)) == -1)
			_exit(1);
		if ((kid = fork()) == 0) {
			_exit(read(sync[0], &c, 1) == 0 ? 0 : 1);
		}
		/* its own terminal, as an agent in it would see it */
		c = term_find("/proc", "/dev", "/sys", getpid(), &t, &why) == 0 &&
		    term_open(&t, getuid(), &why) == -1 && why != NULL &&
		    strcmp(why, "it is the agent's own terminal") == 0;
		if (write(ready[1], &kid, sizeof(kid)) != sizeof(kid) ||
		    write(ready[1], &c, 1) != 1 ||
		    read(sync[0], &c, 1) != 0)
			_exit(1);
		waitpid(kid, NULL, 0);
		_exit(0);
	}
	close(sync[0]);
	close(ready[1]);
	if (read(ready[0], &kid, sizeof(kid)) != sizeof(kid) ||
	    read(ready[0], &c, 1) != 1)
		abort();
	ok(c, "a process's own controlling terminal: never opened for it "
	    "(the agent's, job control would stop it)");

	ok(term_find("/proc", "/dev", "/sys", leader, &t, &why) == 0,
	    "the leader's terminal is found");
	is_str(t.path, pts, "its node");
	ok(t.rdev == st.st_rdev, "its device");
	ok(t.foreground && t.pid == leader, "in the foreground, the leader's");
	ok(term_find("/proc", "/dev", "/sys", kid, &t, &why) == 0 &&
	    strcmp(t.path, pts) == 0 && t.pid == kid,
	    "a child of the leader: the same terminal, its own");
	ok(term_find("/proc", "/dev", "/sys", getpid(), &t, &why) != 0 ||
	    strcmp(t.path, pts) != 0, "this test's own process: not that one");

	/* up a chain of fake entries to a process that has it */
	snprintf(root, sizeof(root), "%s/proc", tmp);
	mkdir(root, 0700);
	tap_write_file(stat_path(root, 100), "100 (bash) S 1 100 100 %u 100\n", encode(st.st_rdev));
	tap_write_file(stat_path(root, 200), "200 (git) S 100 200 100 0 -1\n");
	tap_write_file(stat_path(root, 300), "300 (ssh) S 200 200 100 0 -1\n");
	ok(term_find(root, "/dev", "/sys", 300, &t, &why) == 0 &&
	    strcmp(t.path, pts) == 0 && t.pid == 100,
	    "ssh <- git <- bash: up the chain to the first with a terminal");
	ok(t.foreground, "bash's group is the foreground group");
	tap_write_file(stat_path(root, 400), "400 (bg) S 100 400 100 %u 100\n", encode(st.st_rdev));
	ok(term_find(root, "/dev", "/sys", 400, &t, &why) == 0 && !t.foreground,
	    "a background job: found, not in the foreground");
	tap_write_file(stat_path(root, 500), "500 (daemon) S 100 500 500 0 -1\n");
	tap_write_file(stat_path(root, 510), "510 (ssh) S 500 500 500 0 -1\n");
	ok(term_find(root, "/dev", "/sys", 510, &t, &why) != 0,
	    "a session of its own without a terminal: none (it left bash's)");
	is_str(why, "no terminal", "why");
	tap_write_file(stat_path(root, 600), "600 (x) S 100 600 100 %u 600\n",
	    encode(makedev(136, 999999)));
	ok(term_find(root, "/dev", "/sys", 600, &t, &why) != 0,
	    "a device with no node: none");
	is_str(why, "the terminal's device node was not found", "why");
	ok(term_find(root, "/dev", "/sys", 4242, &t, &why) != 0, "a process gone");
	tap_write_file(stat_path(root, 700), "700 (x) S 701 700 1 0 -1\n");
	tap_write_file(stat_path(root, 701), "701 (y) S 700 700 1 0 -1\n");
	ok(term_find(root, "/dev", "/sys", 700, &t, &why) != 0,
	    "a loop in the chain ends");

	/* opening: the owner only */
	ok(term_find("/proc", "/dev", "/sys", leader, &t, &why) == 0, "found again");
	ok((fd = term_open(&t, st.st_uid, &why)) != -1, "its owner's request opens it");
	ok(fd != -1 && (fcntl(fd, F_GETFL) & O_NONBLOCK) &&
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC), "non-blocking, close-on-exec");
	if (fd != -1) {
		tcgetattr(fd, &tio);
		cfmakeraw(&tio);
		tcsetattr(fd, TCSANOW, &tio);
		ok(term_write(fd, "line one\nline \x1b[31mtwo\x7f \xc2\x9b!\n") == 0,
		    "a write");
		buf[drain(m, buf, sizeof(buf) - 1)] = '\0';
		is_str(buf, "line one\r\nline ?[31mtwo? ?!\r\n",
		    "CR LF line ends, control characters as '?'");
		close(fd);
	}
	is_int(term_owner_for(0), getuid(), "root as requester: the agent's own user");
	is_int(term_owner_for(1234), 1234, "anyone else: themselves");
	ok(term_open(&t, st.st_uid + 1, &why) == -1, "another uid's request: refused");
	is_str(why, "the terminal belongs to another user", "why");
	if (st.st_uid == getuid() && getuid() != 0)
		ok(term_open(&t, 0, &why) != -1, "root's request: the agent's user's");
	else
		ok(1, "# skip root's request: the test runs as root");
	t.rdev++;
	ok(term_open(&t, st.st_uid, &why) == -1, "a node that is another device: refused");

	close(sync[1]);		/* both read EOF and leave */
	waitpid(leader, NULL, 0);
	close(m);
	free(pts);
	snprintf(buf, sizeof(buf), "rm -rf '%s'", tmp);
	if (system(buf) != 0)
		abort();
	return tap_done();
}
