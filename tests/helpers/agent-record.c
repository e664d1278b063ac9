/*
 * agent-record LISTEN AGENT OUT: a proxy between agent clients and an
 * agent that writes what the clients send to OUT, in fuzz-agent's record
 * format (u8 connection, u8 flags, u16 length, bytes; flags bit 0 = the
 * client hung up).  Seeds for the fuzzer come from real OpenSSH programs
 * this way (tests/fuzz/record-seeds.sh).  Runs until SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAXC 32

static FILE *out;
static int nconn;

static int
sock_to(const char *path, int listen_it)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (listen_it) {
		if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    listen(fd, 16) == -1)
			return -1;
	} else if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return -1;
	return fd;
}

static void
record(int conn, int flags, const unsigned char *p, size_t n)
{
	unsigned char h[4] = { (unsigned char)conn, (unsigned char)flags,
	    (unsigned char)(n >> 8), (unsigned char)n };

	fwrite(h, 1, 4, out);
	fwrite(p, 1, n, out);
	fflush(out);
}

int
main(int argc, char **argv)
{
	struct pollfd pfd[1 + 2 * MAXC];
	int cli[MAXC], ag[MAXC], id[MAXC], n = 0, i, lfd, c, a;
	unsigned char buf[60000];
	ssize_t r;

	if (argc != 4) {
		fprintf(stderr, "usage: agent-record LISTEN AGENT OUT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((out = fopen(argv[3], "ab")) == NULL ||
	    (lfd = sock_to(argv[1], 1)) == -1) {
		perror("agent-record");
		return 2;
	}
	for (;;) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			pfd[1 + 2 * i].fd = cli[i];
			pfd[1 + 2 * i].events = POLLIN;
			pfd[2 + 2 * i].fd = ag[i];
			pfd[2 + 2 * i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)(1 + 2 * n), -1) == -1) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if ((pfd[0].revents & POLLIN) && n < MAXC &&
		    (c = accept(lfd, NULL, NULL)) != -1) {
			if ((a = sock_to(argv[2], 0)) == -1)
				close(c);
			else {
				cli[n] = c;
				ag[n] = a;
				id[n] = nconn++ % 3;
				n++;
				continue;
			}
		}
		for (i = 0; i < n; i++) {
			int gone = 0;

			if (pfd[1 + 2 * i].revents) {
				r = read(cli[i], buf, sizeof(buf));
				if (r <= 0)
					gone = 1;
				else {
					record(id[i], 0, buf, (size_t)r);
					if (write(ag[i], buf, (size_t)r) != r)
						gone = 1;
				}
			}
			if (!gone && pfd[2 + 2 * i].revents) {
				r = read(ag[i], buf, sizeof(buf));
				if (r <= 0 || write(cli[i], buf, (size_t)r) != r)
					gone = 1;
			}
			if (gone) {
				record(id[i], 1, buf, 0);
				close(cli[i]);
				close(ag[i]);
				cli[i] = cli[n - 1];
				ag[i] = ag[n - 1];
				id[i] = id[n - 1];
				n--;
				break;	/* pfd indices moved */
			}
		}
	}
}
