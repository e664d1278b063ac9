/*
 * socket-activate: what systemd does for a socket unit's service, for the
 * tests: listen on a UNIX stream socket (directory 0700, socket 0600 as
 * skagent.socket asks), put it on fd 3, set LISTEN_PID (this process, which
 * exec keeps), LISTEN_FDS=1 and LISTEN_FDNAMES, then exec the program.
 *
 *	socket-activate [-p pid] PATH PROGRAM [ARG...]
 *
 * -p sets LISTEN_PID to another value, to show the program ignores a
 * socket meant for someone else.  Exits 1 on any failure before exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int
fail(const char *what)
{
	fprintf(stderr, "socket-activate: %s: %s\n", what, strerror(errno));
	return 1;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	char buf[32], dir[sizeof(sun.sun_path)], *slash;
	const char *pid = NULL;
	mode_t old;
	int fd;

	if (argc > 2 && strcmp(argv[1], "-p") == 0) {
		pid = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: socket-activate [-p pid] PATH PROGRAM "
		    "[ARG...]\n");
		return 1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "socket-activate: path too long\n");
		return 1;
	}
	strcpy(sun.sun_path, argv[1]);
	strcpy(dir, argv[1]);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST)
			return fail(dir);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return fail("socket");
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return fail(argv[1]);
	umask(old);
	if (listen(fd, 16) == -1)
		return fail("listen");
	if (fd != 3) {
		if (dup2(fd, 3) == -1)
			return fail("dup2");
		close(fd);
	}
	if (fcntl(3, F_SETFD, 0) == -1)
		return fail("fcntl");
	if (pid == NULL) {
		snprintf(buf, sizeof(buf), "%ld", (long)getpid());
		pid = buf;
	}
	if (setenv("LISTEN_PID", pid, 1) == -1 ||
	    setenv("LISTEN_FDS", "1", 1) == -1 ||
	    setenv("LISTEN_FDNAMES", "skagent.socket", 1) == -1)
		return fail("setenv");
	execvp(argv[2], argv + 2);
	return fail(argv[2]);
}
