/*
 * The unix: transport: a software token on a SOCK_SEQPACKET socket, one
 * 64-byte CTAPHID report per datagram in each direction, no report id.
 * libfido2 custom I/O writes 65 bytes (report id 0, then the frame) and
 * reads exactly 64; ms is what is left of the call's budget, -1 blocks.
 *
 * Writes come from two threads: the operation's, and the cancel
 * watchdog's (fido_dev_cancel).  A CANCEL frame that lands between the
 * frames of one message makes the token drop the half-received message
 * without an answer, so a message's frames go out together: other
 * writers wait until its last continuation frame is sent.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "token-impl.h"

#define PREFIX		"unix:"
#define REPORT_LEN	64
#define WRITE_MS	1000	/* a full socket buffer: the token is stuck */
#define INIT_DATA	57	/* payload bytes in an initialisation frame */
#define CONT_DATA	59	/* in a continuation frame */

struct unix_dev {
	int fd;
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	int left;		/* continuation frames still to send */
	pthread_t writer;	/* who sends it */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 ready, 0 timed out, -1 error.  ms < 0 waits for ever. */
static int
wait_fd(int fd, short events, int ms)
{
	struct pollfd pfd;
	int64_t deadline = ms < 0 ? 0 : mono_ms() + ms;
	int r, left;

	for (;;) {
		left = -1;
		if (ms >= 0 && (left = (int)(deadline - mono_ms())) < 0)
			left = 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		if ((r = poll(&pfd, 1, left)) == 1)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static void *
unix_open(const char *path)
{
	struct sockaddr_un sun;
	struct unix_dev *u = NULL;
	size_t n;
	int fd = -1;

	if (strncmp(path, PREFIX, strlen(PREFIX)) == 0)
		path += strlen(PREFIX);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((n = strlen(path)) == 0 || n >= sizeof(sun.sun_path))
		return NULL;
	memcpy(sun.sun_path, path, n);
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    (u = calloc(1, sizeof(*u))) == NULL) {
		close(fd);
		return NULL;
	}
	u->fd = fd;
	pthread_mutex_init(&u->mtx, NULL);
	pthread_cond_init(&u->cond, NULL);
	return u;
}

static void
unix_close(void *h)
{
	struct unix_dev *u = h;

	if (u == NULL)
		return;
	close(u->fd);
	pthread_cond_destroy(&u->cond);
	pthread_mutex_destroy(&u->mtx);
	free(u);
}

static int
unix_read(void *h, unsigned char *buf, size_t len, int ms)
{
	struct unix_dev *u = h;
	ssize_t n;

	if (len != REPORT_LEN)
		return -1;
	for (;;) {
		if (wait_fd(u->fd, POLLIN, ms) != 1)
			return -1;
		if ((n = recv(u->fd, buf, len, MSG_DONTWAIT)) == -1 &&
		    (errno == EINTR || errno == EAGAIN))
			continue;
		break;
	}
	if (n != (ssize_t)len)
		return -1;	/* 0: the token went away */
	return (int)n;
}

/* u->mtx held: waits (bounded) while another thread sends a message. */
static void
wait_turn(struct unix_dev *u)
{
	struct timespec ts;

	if (u->left == 0 || pthread_equal(u->writer, pthread_self()))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += WRITE_MS / 1000;
	while (u->left > 0 &&
	    pthread_cond_timedwait(&u->cond, &u->mtx, &ts) == 0)
		;
	u->left = 0;	/* its writer gave up half-way: go ahead */
}

static int
unix_write(void *h, const unsigned char *buf, size_t len)
{
	struct unix_dev *u = h;
	const unsigned char *f = buf + 1;
	size_t bcnt;
	ssize_t n = -1;

	if (len != REPORT_LEN + 1)
		return -1;
	pthread_mutex_lock(&u->mtx);
	wait_turn(u);
	if ((f[4] & 0x80) != 0) {
		bcnt = (size_t)f[5] << 8 | f[6];
		u->left = bcnt <= INIT_DATA ? 0 :
		    (int)((bcnt - INIT_DATA + CONT_DATA - 1) / CONT_DATA);
		u->writer = pthread_self();
	} else if (u->left > 0)
		u->left--;
	for (;;) {
		if (wait_fd(u->fd, POLLOUT, WRITE_MS) != 1)
			break;
		if ((n = send(u->fd, f, REPORT_LEN,
		    MSG_NOSIGNAL | MSG_DONTWAIT)) == -1 &&
		    (errno == EINTR || errno == EAGAIN))
			continue;
		break;
	}
	if (n != REPORT_LEN)
		u->left = 0;
	if (u->left == 0)
		pthread_cond_broadcast(&u->cond);
	pthread_mutex_unlock(&u->mtx);
	return n == REPORT_LEN ? (int)len : -1;
}

static const fido_dev_io_t unix_io = {
	unix_open, unix_close, unix_read, unix_write,
};

/* The peer hung up, or an unread reply waits (a stale answer): reopen. */
static int
unix_stale(void *h)
{
	struct unix_dev *u = h;

	return u == NULL || wait_fd(u->fd, POLLIN, 0) != 0;
}

/* The peer hung up. */
static int
unix_hungup(void *h)
{
	struct unix_dev *u = h;
	struct pollfd pfd;

	if (u == NULL)
		return 1;
	pfd.fd = u->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLHUP | POLLERR)) != 0;
}

static int
unix_valid(const char *spec)
{
	size_t n = strlen(spec) - strlen(PREFIX);

	return n > 0 && n < sizeof(((struct sockaddr_un *)NULL)->sun_path);
}

/* The socket's node. */
static int
unix_node(const char *spec, struct token_node *n)
{
	return token_node_stat(spec + strlen(PREFIX), S_IFSOCK, n);
}

/* Never discovered: only configured tokens; kept open between operations. */
const struct token_transport token_transport_unix = {
	.name = "unix",
	.prefix = PREFIX,
	.form = PREFIX "PATH",
	.valid = unix_valid,
	.io = &unix_io,
	.exclusive = 0,
	.stale = unix_stale,
	.hungup = unix_hungup,
	.node = unix_node,
	.manifest = NULL,
};
