/* libfido2 custom I/O on a software token's socket (see unix-io.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "unix-io.h"

#define REPORT_LEN	64
#define PREFIX		"unix:"

int
test_unix_connect(const char *path)
{
	struct sockaddr_un sun;
	size_t n;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((n = strlen(path)) == 0 || n >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, n);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

void *
test_unix_open(const char *path)
{
	int *h;

	if (strncmp(path, PREFIX, strlen(PREFIX)) == 0)
		path += strlen(PREFIX);
	if ((h = malloc(sizeof(*h))) == NULL)
		return NULL;
	if ((*h = test_unix_connect(path)) == -1) {
		free(h);
		return NULL;
	}
	return h;
}

void
test_unix_close(void *h)
{
	if (h == NULL)
		return;
	close(*(int *)h);
	free(h);
}

int
test_unix_read(void *h, unsigned char *buf, size_t len, int ms)
{
	struct pollfd p;
	ssize_t n;
	int r;

	p.fd = *(int *)h;
	p.events = POLLIN;
	p.revents = 0;
	while ((r = poll(&p, 1, ms)) == -1 && errno == EINTR)
		;
	if (r != 1)
		return -1;
	while ((n = recv(p.fd, buf, len, 0)) == -1 && errno == EINTR)
		;
	return n > 0 ? (int)n : -1;	/* 0: the token went away */
}

int
test_unix_write(void *h, const unsigned char *buf, size_t len)
{
	ssize_t n;

	if (len != REPORT_LEN + 1)
		return -1;
	while ((n = send(*(int *)h, buf + 1, REPORT_LEN, MSG_NOSIGNAL)) ==
	    -1 && errno == EINTR)
		;
	return n == REPORT_LEN ? (int)len : -1;
}

const fido_dev_io_t test_unix_io = {
	test_unix_open, test_unix_close, test_unix_read, test_unix_write,
};

fido_dev_t *
test_unix_dev_open(const char *spec, const fido_dev_io_t *io, int timeout_ms,
    int *fido_errp)
{
	fido_dev_t *d;
	int r = FIDO_ERR_INTERNAL;

	if ((d = fido_dev_new()) != NULL &&
	    (r = fido_dev_set_io_functions(d, io != NULL ? io :
	    &test_unix_io)) == FIDO_OK &&
	    (r = fido_dev_set_timeout(d, timeout_ms)) == FIDO_OK &&
	    (r = fido_dev_open(d, spec)) == FIDO_OK)
		return d;
	fido_dev_free(&d);
	if (fido_errp != NULL)
		*fido_errp = r;
	return NULL;
}
