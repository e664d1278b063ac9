/*
 * A raw agent-protocol client for the end-to-end tests: sends exactly the
 * bytes it is told to (well-formed or not, all at once or slowly), then
 * prints each reply frame's payload as hex on its own line, and "EOF" if
 * the agent closed the connection.
 *
 *   agent-raw [-s socket] [-d ms-between-bytes] [-n replies] [-w wait-ms]
 *             [-H hold-seconds] [-C connections] [-S] ITEM...
 * With -C N it opens N connections at once, sends the items on each, and
 * prints how many answered ("N answered") instead of the replies.  -S
 * shuts down its sending side once all is sent (as nc -N or socat do);
 * -n 0 closes at once without reading.
 *   ITEM: f:HEX   a frame (u32 length, then the bytes)
 *         r:HEX   raw bytes
 *         R:N     N random raw bytes
 *         F:N     a frame header announcing N bytes, followed by N zero bytes
 *         h:N     a frame header announcing N bytes, nothing after it
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static uint8_t *out;
static size_t outlen, outcap;

static void
put(const void *p, size_t n)
{
	if (outlen + n > outcap) {
		outcap = (outlen + n) * 2;
		if ((out = realloc(out, outcap)) == NULL)
			exit(2);
	}
	memcpy(out + outlen, p, n);
	outlen += n;
}

static void
put_u32(uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

	put(b, 4);
}

static size_t
hex(const char *s, uint8_t **bp)
{
	size_t n = strlen(s) / 2, i;
	uint8_t *b = malloc(n + 1);
	unsigned int v;

	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			fprintf(stderr, "agent-raw: bad hex\n");
			exit(2);
		}
		b[i] = (uint8_t)v;
	}
	*bp = b;
	return n;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int
read_full(int fd, uint8_t *p, size_t n, int wait_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t r;
	size_t got = 0;

	while (got < n) {
		if (poll(&pfd, 1, wait_ms) <= 0)
			return -2;	/* timeout */
		r = read(fd, p + got, n - got);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *sock = getenv("SSH_AUTH_SOCK");
	struct sockaddr_un sun;
	long delay = 0, hold = 0, nreplies = -1, wait_ms = 3000, i, n, nconn = 0;
	uint8_t *b, hdr[4], *reply;
	uint32_t len;
	size_t blen, k;
	int ch, fd, r, shut = 0;

	while ((ch = getopt(argc, argv, "s:d:n:w:H:C:S")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'd': delay = atol(optarg); break;
		case 'n': nreplies = atol(optarg); break;
		case 'w': wait_ms = atol(optarg); break;
		case 'H': hold = atol(optarg); break;
		case 'C': nconn = atol(optarg); break;
		case 'S': shut = 1; break;
		default:
			fprintf(stderr, "usage: agent-raw [-s sock] [-d ms] [-n replies] "
			    "[-w ms] [-H secs] [-C n] [-S] ITEM...\n");
			return 2;
		}
	}
	for (i = optind; i < argc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "f:", 2) == 0) {
			blen = hex(a + 2, &b);
			put_u32((uint32_t)blen);
			put(b, blen);
			free(b);
		} else if (strncmp(a, "r:", 2) == 0) {
			blen = hex(a + 2, &b);
			put(b, blen);
			free(b);
		} else if (strncmp(a, "R:", 2) == 0) {
			n = atol(a + 2);
			for (k = 0; k < (size_t)n; k++) {
				uint8_t c = (uint8_t)rand();

				put(&c, 1);
			}
		} else if (strncmp(a, "F:", 2) == 0 || strncmp(a, "h:", 2) == 0) {
			n = atol(a + 2);
			put_u32((uint32_t)n);
			for (k = 0; a[0] == 'F' && k < (size_t)n; k++)
				put("", 1);
		} else {
			fprintf(stderr, "agent-raw: bad item %s\n", a);
			return 2;
		}
	}
	srand((unsigned int)getpid());
	if (sock == NULL || strlen(sock) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "agent-raw: no socket\n");
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, sock);
	if (nconn > 0) {
		int *fds = calloc((size_t)nconn, sizeof(int));
		long answered = 0;

		for (i = 0; i < nconn; i++) {
			if ((fds[i] = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
			    connect(fds[i], (struct sockaddr *)&sun, sizeof(sun)) == -1) {
				perror("agent-raw: connect");
				return 2;
			}
		}
		for (i = 0; i < nconn; i++)
			if (send(fds[i], out, outlen, MSG_NOSIGNAL) < 0)
				return 2;
		if (hold)
			sleep_ms(hold * 1000);
		for (i = 0; i < nconn; i++) {
			if (read_full(fds[i], hdr, 4, (int)wait_ms) == 0) {
				len = (uint32_t)hdr[0] << 24 | hdr[1] << 16 |
				    hdr[2] << 8 | hdr[3];
				if (len <= 1 << 20 && (reply = malloc(len)) != NULL) {
					if (read_full(fds[i], reply, len, (int)wait_ms) == 0)
						answered++;
					free(reply);
				}
			}
			close(fds[i]);
		}
		printf("%ld answered\n", answered);
		free(fds);
		free(out);
		return 0;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("agent-raw: connect");
		return 2;
	}
	for (k = 0; k < outlen; k += delay ? 1 : outlen - k) {
		size_t chunk = delay ? 1 : outlen - k;

		if (send(fd, out + k, chunk, MSG_NOSIGNAL) < 0) {
			printf("EOF\n");	/* the agent hung up on us */
			return 0;
		}
		if (delay)
			sleep_ms(delay);
	}
	if (shut)
		shutdown(fd, SHUT_WR);
	if (hold)
		sleep_ms(hold * 1000);
	for (n = 0; nreplies < 0 || n < nreplies; n++) {
		if ((r = read_full(fd, hdr, 4, (int)wait_ms)) != 0) {
			if (r == -1)
				printf("EOF\n");
			break;
		}
		len = (uint32_t)hdr[0] << 24 | hdr[1] << 16 | hdr[2] << 8 | hdr[3];
		if (len > 4 * 1024 * 1024 || (reply = malloc(len + 1)) == NULL)
			return 2;
		if (read_full(fd, reply, len, (int)wait_ms) != 0) {
			printf("EOF\n");
			break;
		}
		for (k = 0; k < len; k++)
			printf("%02x", reply[k]);
		printf("\n");
		free(reply);
	}
	close(fd);
	free(out);
	return 0;
}
