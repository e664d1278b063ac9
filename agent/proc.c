/* The requester chain from /proc/PID/stat (see proc.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

#define STAT_MAX	1024

/* A whole small file of /proc into buf (len bytes at most); -1 on failure. */
static ssize_t
read_small(const char *procroot, pid_t pid, const char *name, char *buf,
    size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	size_t got = 0;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%ld/%s", procroot, (long)pid,
	    name) >= (int)sizeof(path))
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (got < len) {
		if ((n = read(fd, buf + got, len - got)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

/* One number of the stat line and the blank after it. */
static int
stat_field(char **pp, long *vp)
{
	char *end;

	errno = 0;
	*vp = strtol(*pp, &end, 10);
	if (errno != 0 || end == *pp ||
	    (*end != ' ' && *end != '\n' && *end != '\0'))
		return -1;
	*pp = *end == ' ' ? end + 1 : end;
	return 0;
}

/* "pid (comm) S ppid pgrp session tty_nr tpgid ...": comm may hold ')' */
int
proc_read_stat(const char *procroot, pid_t pid, struct proc_stat *st)
{
	char buf[STAT_MAX + 1], *open_p, *close_p, *p;
	long ppid, pgrp, sid, tty, tpgid;
	ssize_t n;
	size_t i, j;

	memset(st, 0, sizeof(*st));
	if ((n = read_small(procroot, pid, "stat", buf, STAT_MAX)) <= 0)
		return -1;
	buf[n] = '\0';
	if ((open_p = strchr(buf, '(')) == NULL ||
	    (close_p = strrchr(buf, ')')) == NULL || close_p < open_p)
		return -1;
	for (i = 0, j = 1; open_p + j < close_p && i + 1 < sizeof(st->comm);
	    j++) {
		unsigned char ch = (unsigned char)open_p[j];

		st->comm[i++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	st->comm[i] = '\0';
	/* ") S ppid ..." */
	if (close_p[1] != ' ' || close_p[2] == '\0' || close_p[3] != ' ')
		return -1;
	p = close_p + 4;
	if (stat_field(&p, &ppid) != 0 || stat_field(&p, &pgrp) != 0 ||
	    stat_field(&p, &sid) != 0 || stat_field(&p, &tty) != 0 ||
	    stat_field(&p, &tpgid) != 0 ||
	    ppid < 0 || ppid > INT_MAX || sid < 0 || sid > INT_MAX ||
	    pgrp < 0 || pgrp > INT_MAX || tty < INT_MIN || tty > (long)UINT_MAX ||
	    tpgid < -1 || tpgid > INT_MAX)
		return -1;
	st->ppid = (pid_t)ppid;
	st->pgrp = (pid_t)pgrp;
	st->sid = (pid_t)sid;
	st->tty_nr = (unsigned int)tty;
	st->tpgid = (pid_t)tpgid;
	return 0;
}

ssize_t
proc_cmdline(const char *procroot, pid_t pid, char *buf, size_t len)
{
	ssize_t n = read_small(procroot, pid, "cmdline", buf, len);

	return n > 0 ? n : -1;
}

void
proc_chain(const char *procroot, pid_t pid, pid_t stop_pid, int max,
    char *buf, size_t len)
{
	struct proc_stat st;
	size_t used = 0;
	int n, i;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < max && pid > 1; i++) {
		if (proc_read_stat(procroot, pid, &st) != 0)
			break;
		n = snprintf(buf + used, len - used, "%s%s (%ld)",
		    i > 0 ? " <- " : "", st.comm, (long)pid);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';	/* whole entries only */
			break;
		}
		used += (size_t)n;
		if (pid == stop_pid || pid == st.sid || st.ppid == pid)
			break;
		pid = st.ppid;
	}
}
