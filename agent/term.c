/* Finding, opening and writing to the requester's terminal (see term.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "proc.h"
#include "term.h"

#define PTS_MAJOR	136	/* UNIX98_PTY_SLAVE_MAJOR, 8 majors */
#define TTY_MAJOR	4	/* virtual consoles, then serial ports */

/* /proc/PID/stat's tty_nr (the kernel's new_encode_dev) as a dev_t. */
static dev_t
decode_tty_nr(unsigned int nr)
{
	return makedev((nr >> 8) & 0xfff, (nr & 0xff) | ((nr >> 12) & 0xfff00));
}

/* Is path the character device dev? */
static int
is_dev(const char *path, dev_t dev)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == dev;
}

/* DEVNAME= of /sys/dev/char/M:m/uevent, as a node under devroot. */
static int
sysfs_name(const char *sysroot, const char *devroot, dev_t dev, char *buf,
    size_t len)
{
	char path[PATH_MAX], line[256], *v;
	FILE *f;
	int r = -1;

	snprintf(path, sizeof(path), "%s/dev/char/%u:%u/uevent", sysroot,
	    major(dev), minor(dev));
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "DEVNAME=", 8) != 0)
			continue;
		v = line + 8;
		v[strcspn(v, "\n")] = '\0';
		if (*v != '\0' && strstr(v, "..") == NULL &&
		    snprintf(buf, len, "%s/%s", devroot, v) < (int)len)
			r = 0;
		break;
	}
	fclose(f);
	return r;
}

/* What pid's fds 0-2 point at, when it is a node under /dev. */
static int
fd_name(const char *procroot, const char *devroot, pid_t pid, dev_t dev,
    char *buf, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		snprintf(path, sizeof(path), "%s/%ld/fd/%d", procroot,
		    (long)pid, fd);
		if ((n = readlink(path, link, sizeof(link) - 1)) <= 5)
			continue;
		link[n] = '\0';
		if (strncmp(link, "/dev/", 5) != 0 || strstr(link, "..") != NULL)
			continue;
		if (snprintf(buf, len, "%s/%s", devroot, link + 5) < (int)len &&
		    is_dev(buf, dev))
			return 0;
	}
	return -1;
}

/* The node of dev, checked by stat; 0 or -1. */
static int
node_path(const char *procroot, const char *devroot, const char *sysroot,
    pid_t pid, dev_t dev, char *buf, size_t len)
{
	unsigned int ma = major(dev), mi = minor(dev);

	if (ma >= PTS_MAJOR && ma < PTS_MAJOR + 8 &&
	    snprintf(buf, len, "%s/pts/%u", devroot,
	    (ma - PTS_MAJOR) * 256 + mi) < (int)len && is_dev(buf, dev))
		return 0;
	if (ma == TTY_MAJOR && snprintf(buf, len, mi < 64 ? "%s/tty%u" :
	    "%s/ttyS%u", devroot, mi < 64 ? mi : mi - 64) < (int)len &&
	    is_dev(buf, dev))
		return 0;
	if (sysfs_name(sysroot, devroot, dev, buf, len) == 0 && is_dev(buf, dev))
		return 0;
	return fd_name(procroot, devroot, pid, dev, buf, len);
}

int
term_find(const char *procroot, const char *devroot, const char *sysroot,
    pid_t pid, struct term_id *t, const char **whyp)
{
	struct proc_stat st;
	int i;

	memset(t, 0, sizeof(*t));
	*whyp = "no terminal";
	for (i = 0; i < TERM_CHAIN_MAX && pid > 1; i++) {
		if (proc_read_stat(procroot, pid, &st) != 0) {
			*whyp = "the requesting process is gone";
			return -1;
		}
		if (st.tty_nr != 0)
			break;
		/* a session of its own without a terminal: it left ours */
		if (st.sid == pid || st.ppid == pid)
			return -1;
		pid = st.ppid;
	}
	if (i == TERM_CHAIN_MAX || pid <= 1)
		return -1;
	t->rdev = decode_tty_nr(st.tty_nr);
	t->pid = pid;
	t->foreground = st.tpgid > 0 && st.pgrp == st.tpgid;
	if (node_path(procroot, devroot, sysroot, pid, t->rdev, t->path,
	    sizeof(t->path)) != 0) {
		*whyp = "the terminal's device node was not found";
		return -1;
	}
	*whyp = NULL;
	return 0;
}

uid_t
term_owner_for(uid_t peer)
{
	return peer == 0 ? getuid() : peer;
}

/*
 * Is dev the agent's own controlling terminal (skagent -D run in the
 * background of a shell)?  There a background job's read or mode change
 * would stop the agent (SIGTTIN, SIGTTOU).
 */
static int
own_terminal(dev_t dev)
{
	struct proc_stat st;

	return proc_read_stat("/proc", getpid(), &st) == 0 && st.tty_nr != 0 &&
	    decode_tty_nr(st.tty_nr) == dev;
}

int
term_open(const struct term_id *t, uid_t peer, const char **whyp)
{
	struct stat st;
	uid_t owner = term_owner_for(peer);
	int fd;

	*whyp = NULL;
	if (own_terminal(t->rdev)) {
		*whyp = "it is the agent's own terminal";
		return -1;
	}
	if (stat(t->path, &st) != 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != t->rdev) {
		*whyp = "the terminal is gone";
		return -1;
	}
	if (st.st_uid != owner) {
		*whyp = "the terminal belongs to another user";
		return -1;
	}
	if ((fd = open(t->path, O_RDWR | O_NOCTTY | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		*whyp = "the terminal cannot be opened";
		return -1;
	}
	/* the node may have changed between the stat and the open */
	if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != t->rdev || st.st_uid != owner || !isatty(fd)) {
		close(fd);
		*whyp = "the terminal changed";
		return -1;
	}
	return fd;
}

int
term_open_for(pid_t pid, uid_t peer, struct term_id *t, const char **whyp)
{
	if (term_find("/proc", "/dev", "/sys", pid, t, whyp) != 0)
		return -1;
	return term_open(t, peer, whyp);
}

int
term_write(int fd, const char *text)
{
	char *buf, *o;
	const unsigned char *p;
	size_t n;
	ssize_t w;

	n = strlen(text);
	if ((buf = malloc(2 * n + 2)) == NULL)
		return -1;
	o = buf;
	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p == '\n') {
			*o++ = '\r';
			*o++ = '\n';
		} else if (*p < 0x20 || *p == 0x7f)
			*o++ = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			*o++ = '?';	/* a C1 control, two bytes in UTF-8 */
			p++;
		} else
			*o++ = (char)*p;
	}
	n = (size_t)(o - buf);
	while ((w = write(fd, buf, n)) == -1 && errno == EINTR)
		;
	free(buf);
	return w == (ssize_t)n ? 0 : -1;
}

int
term_say(pid_t pid, uid_t peer, const char *text, const char **whyp)
{
	struct term_id t;
	const char *why;
	int fd, r;

	if ((fd = term_open_for(pid, peer, &t, &why)) == -1) {
		if (whyp != NULL)
			*whyp = why;
		return -1;
	}
	r = term_write(fd, text);
	close(fd);
	if (whyp != NULL)
		*whyp = r == 0 ? NULL : "the terminal took no output";
	return r;
}
