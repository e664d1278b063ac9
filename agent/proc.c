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
#define COMM_MAX	64

/* "pid (comm) S ppid pgrp session ...": comm may hold spaces and ')'. */
static int
read_stat(const char *procroot, pid_t pid, char *comm, size_t commlen,
    pid_t *ppidp, pid_t *sidp)
{
	char path[PATH_MAX], buf[STAT_MAX + 1], *open_p, *close_p, *end;
	long ppid, pgrp, sid;
	ssize_t n;
	size_t i, j;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%ld/stat", procroot,
	    (long)pid) >= (int)sizeof(path))
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, buf, STAT_MAX)) == -1 && errno == EINTR)
		;
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((open_p = strchr(buf, '(')) == NULL ||
	    (close_p = strrchr(buf, ')')) == NULL || close_p < open_p)
		return -1;
	for (i = 0, j = 1; open_p + j < close_p && i + 1 < commlen; j++) {
		unsigned char ch = (unsigned char)open_p[j];

		comm[i++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	comm[i] = '\0';
	/* ") S ppid pgrp session" */
	if (close_p[1] != ' ' || close_p[2] == '\0' || close_p[3] != ' ')
		return -1;
	errno = 0;
	ppid = strtol(close_p + 4, &end, 10);
	if (errno != 0 || *end != ' ')
		return -1;
	pgrp = strtol(end + 1, &end, 10);
	if (errno != 0 || *end != ' ')
		return -1;
	sid = strtol(end + 1, &end, 10);
	if (errno != 0 || (*end != ' ' && *end != '\n' && *end != '\0') ||
	    ppid < 0 || ppid > INT_MAX || sid < 0 || sid > INT_MAX)
		return -1;
	(void)pgrp;
	*ppidp = (pid_t)ppid;
	*sidp = (pid_t)sid;
	return 0;
}

void
proc_chain(const char *procroot, pid_t pid, pid_t stop_pid, int max,
    char *buf, size_t len)
{
	char comm[COMM_MAX];
	pid_t ppid, sid;
	size_t used = 0;
	int n, i;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < max && pid > 1; i++) {
		if (read_stat(procroot, pid, comm, sizeof(comm), &ppid,
		    &sid) != 0)
			break;
		n = snprintf(buf + used, len - used, "%s%s (%ld)",
		    i > 0 ? " <- " : "", comm, (long)pid);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';	/* whole entries only */
			break;
		}
		used += (size_t)n;
		if (pid == stop_pid || pid == sid || ppid == pid)
			break;
		pid = ppid;
	}
}
