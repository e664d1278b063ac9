/*
 * token-pin: a software token's PIN behind the agent's back, with
 * libfido2 directly (not the code under test), for the PIN cache tests.
 *
 *   token-pin -d unix:PATH -r            prints the PIN retries left
 *   token-pin -d unix:PATH -c OLD NEW    changes the PIN
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fido.h>

static void *
io_open(const char *path)
{
	struct sockaddr_un sun;
	int *fd;

	if (strncmp(path, "unix:", 5) == 0)
		path += 5;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path) ||
	    (fd = malloc(sizeof(*fd))) == NULL)
		return NULL;
	strcpy(sun.sun_path, path);
	if ((*fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(*fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (*fd != -1)
			close(*fd);
		free(fd);
		return NULL;
	}
	return fd;
}

static void
io_close(void *h)
{
	close(*(int *)h);
	free(h);
}

static int
io_read(void *h, unsigned char *buf, size_t len, int ms)
{
	struct pollfd p = { *(int *)h, POLLIN, 0 };
	ssize_t n;
	int r;

	while ((r = poll(&p, 1, ms)) == -1 && errno == EINTR)
		;
	if (r != 1 || (n = recv(*(int *)h, buf, len, 0)) <= 0)
		return -1;
	return (int)n;
}

static int
io_write(void *h, const unsigned char *buf, size_t len)
{
	if (len != 65)
		return -1;
	return send(*(int *)h, buf + 1, 64, MSG_NOSIGNAL) == 64 ? 65 : -1;
}

int
main(int argc, char **argv)
{
	fido_dev_io_t io = { io_open, io_close, io_read, io_write };
	fido_dev_t *d = NULL;
	const char *dev = NULL;
	int ch, retries = 0, change = 0, r, n = -1;

	while ((ch = getopt(argc, argv, "d:rc")) != -1) {
		switch (ch) {
		case 'd': dev = optarg; break;
		case 'r': retries = 1; break;
		case 'c': change = 1; break;
		default: return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (dev == NULL || retries == change || (change && argc != 2))
		return 2;
	fido_init(0);
	if ((d = fido_dev_new()) == NULL ||
	    fido_dev_set_io_functions(d, &io) != FIDO_OK ||
	    fido_dev_set_timeout(d, 5000) != FIDO_OK ||
	    (r = fido_dev_open(d, dev)) != FIDO_OK) {
		fprintf(stderr, "token-pin: cannot open %s\n", dev);
		return 1;
	}
	if (retries) {
		if ((r = fido_dev_get_retry_count(d, &n)) == FIDO_OK)
			printf("%d\n", n);
	} else
		r = fido_dev_set_pin(d, argv[1], argv[0]);
	if (r != FIDO_OK)
		fprintf(stderr, "token-pin: %s\n", fido_strerr(r));
	fido_dev_close(d);
	fido_dev_free(&d);
	return r == FIDO_OK ? 0 : 1;
}
