/* Small helpers (misc.h). */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "misc.h"

#define READ_CHUNK	4096

uint64_t
monotime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;
	int sock = 1;

	while (len > 0) {
		n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
		if (n == -1 && sock && errno == ENOTSOCK) {
			sock = 0;
			continue;
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = read(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = 0;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
read_fd(int fd, size_t max, struct sshbuf **bp)
{
	struct sshbuf *b = NULL;
	uint8_t *p;
	ssize_t n;
	int r;

	*bp = NULL;
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	for (;;) {
		if ((r = sshbuf_reserve(b, READ_CHUNK, &p)) != 0)
			goto out;
		n = read(fd, p, READ_CHUNK);
		if ((r = sshbuf_consume_end(b, n > 0 ? READ_CHUNK - (size_t)n :
		    READ_CHUNK)) != 0)
			goto out;
		if (n == 0)
			break;
		if (n == -1 && errno != EINTR) {
			r = SKA_ERR_SYSTEM;
			goto out;
		}
		if (sshbuf_len(b) > max) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	r = 0;
	*bp = b;
	b = NULL;
 out:
	sshbuf_free(b);
	return r;
}

const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && *h != '\0')
		return h;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_dir;
	return NULL;
}
