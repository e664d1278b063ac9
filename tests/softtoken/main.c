/*
 * softtoken --socket PATH [--state FILE] [--pin PIN]
 *           [--touch auto|deny|MILLISECONDS] [--no-eddsa]
 *           [--min-pin-length N] [--force-pin-change] [--rk-slots N]
 *           [--rk-needs-pin]
 *           [--attest-key FILE --attest-cert FILE]
 *
 * Serves CTAPHID reports (64 bytes, no report id) as SOCK_SEQPACKET
 * datagrams on a unix socket, each connection being one program that
 * opened the device.  Foreground until SIGTERM/SIGINT; SIGUSR1 toggles
 * between the configured touch mode and deny.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "st.h"

#define MAX_CONN	16
#define OUTQ_MAX	2048	/* frames queued per connection */

struct conn {
	int fd;
	uint8_t (*q)[64];
	size_t head, len;
	int dead;
};

static struct conn conns[MAX_CONN];
static volatile sig_atomic_t got_quit, got_usr1;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_quit = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: softtoken --socket PATH [--state FILE] [--pin PIN]\n"
	    "                 [--touch auto|deny|MILLISECONDS] [--no-eddsa]\n"
	    "                 [--min-pin-length N] [--force-pin-change] "
	    "[--rk-slots N]\n"
	    "                 [--rk-needs-pin]\n"
	    "                 [--attest-key FILE --attest-cert FILE]\n"
	    "A software FIDO2 (CTAP2.0/2.1) authenticator for tests: CTAPHID\n"
	    "reports as 64-byte SOCK_SEQPACKET datagrams on PATH.\n"
	    "  --state FILE   keep keys, PIN hash, counters, resident keys here\n"
	    "  --pin PIN      set this PIN if the state has none\n"
	    "  --touch MODE   auto (default), deny, or approve after MS ms\n"
	    "  --no-eddsa     offer ES256 only\n"
	    "  --min-pin-length N   minPINLength (4..63), kept in the state\n"
	    "  --force-pin-change   forcePINChange, kept until the PIN changes\n"
	    "  --rk-slots N   room for N resident keys (1..50, default 50)\n"
	    "  --rk-needs-pin no resident key until a PIN is set (0x35)\n"
	    "  --attest-key FILE, --attest-cert FILE\n"
	    "                 packed attestation with this P-256 key and its\n"
	    "                 certificate (PEM) instead of self attestation\n"
	    "SIGUSR1 toggles between MODE and deny; SIGTERM/SIGINT stop it.\n");
}

static void
conn_send(void *ctx, int c, const uint8_t frame[64])
{
	struct conn *cn = &conns[c];
	size_t tail;

	(void)ctx;
	if (c < 0 || c >= MAX_CONN || cn->fd == -1 || cn->dead)
		return;
	if (cn->len == OUTQ_MAX) {
		st_log("conn %d: not reading its replies; dropping it", c);
		cn->dead = 1;
		return;
	}
	tail = (cn->head + cn->len) % OUTQ_MAX;
	memcpy(cn->q[tail], frame, 64);
	cn->len++;
}

static void
conn_flush(struct conn *cn)
{
	ssize_t n;

	while (cn->len > 0 && !cn->dead) {
		n = send(cn->fd, cn->q[cn->head], 64, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n != 64) {
			cn->dead = 1;
			return;
		}
		cn->head = (cn->head + 1) % OUTQ_MAX;
		cn->len--;
	}
}

static void
conn_close(struct hid *h, int c)
{
	struct conn *cn = &conns[c];

	hid_conn_closed(h, c);
	close(cn->fd);
	free(cn->q);
	memset(cn, 0, sizeof(*cn));
	cn->fd = -1;
	st_log("conn %d closed", c);
}

static int
listen_on(const char *path)
{
	struct sockaddr_un sun;
	struct stat sb;
	mode_t old;
	int fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "softtoken: socket path too long\n");
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &sb) == 0) {
		/* a socket nobody listens on is stale; anything else stays */
		if (!S_ISSOCK(sb.st_mode)) {
			fprintf(stderr, "softtoken: %s exists\n", path);
			return -1;
		}
		if ((probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
		    0)) == -1)
			return -1;
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
		    errno != ECONNREFUSED) {
			close(probe);
			fprintf(stderr, "softtoken: %s is in use\n", path);
			return -1;
		}
		close(probe);
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		fprintf(stderr, "softtoken: socket: %s\n", strerror(errno));
		return -1;
	}
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 16) == -1) {
		umask(old);
		fprintf(stderr, "softtoken: %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

static int
parse_touch(const char *s, enum touch_mode *mode, int *ms)
{
	char *ep;
	long v;

	if (strcmp(s, "auto") == 0)
		*mode = TOUCH_AUTO;
	else if (strcmp(s, "deny") == 0)
		*mode = TOUCH_DENY;
	else {
		errno = 0;
		v = strtol(s, &ep, 10);
		if (*s == '\0' || *ep != '\0' || errno != 0 || v < 0 ||
		    v > 600000)
			return -1;
		*mode = TOUCH_DELAY;
		*ms = (int)v;
	}
	return 0;
}

/* A decimal in [min, max], or -1. */
static int
parse_num(const char *s, int min, int max)
{
	char *ep;
	long v;

	errno = 0;
	v = strtol(s, &ep, 10);
	if (*s == '\0' || *ep != '\0' || errno != 0 || v < min || v > max)
		return -1;
	return (int)v;
}

static void
accept_conns(int lfd)
{
	int fd, c;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		for (c = 0; c < MAX_CONN && conns[c].fd != -1; c++)
			;
		if (c == MAX_CONN) {
			st_log("too many connections; refusing one");
			close(fd);
			continue;
		}
		if ((conns[c].q = calloc(OUTQ_MAX, 64)) == NULL) {
			close(fd);
			continue;
		}
		conns[c].fd = fd;
		st_log("conn %d opened", c);
	}
}

static void
read_conn(struct hid *h, int c)
{
	uint8_t buf[65];
	ssize_t n;
	int i;

	for (i = 0; i < 64 && !conns[c].dead; i++) {
		n = recv(conns[c].fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(h, c);
			return;
		}
		hid_input(h, c, buf, (size_t)n > sizeof(buf) ? sizeof(buf) :
		    (size_t)n, st_now_ms());
	}
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "state", required_argument, NULL, 'f' },
		{ "pin", required_argument, NULL, 'p' },
		{ "touch", required_argument, NULL, 't' },
		{ "no-eddsa", no_argument, NULL, 'E' },
		{ "min-pin-length", required_argument, NULL, 'm' },
		{ "force-pin-change", no_argument, NULL, 'F' },
		{ "rk-slots", required_argument, NULL, 'r' },
		{ "rk-needs-pin", no_argument, NULL, 'R' },
		{ "attest-key", required_argument, NULL, 'k' },
		{ "attest-cert", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *sock = NULL, *state = NULL, *att_key = NULL, *att_cert = NULL;
	char *pin = NULL, err[512];
	enum touch_mode mode = TOUCH_AUTO;
	int delay = 0, no_eddsa = 0, ch, lfd = -1, c, timeout, ret = 1;
	int min_pin = 0, force = 0, slots = 0, rk_pin = 0;
	struct token *tok = NULL;
	struct hid *h = NULL;
	struct pollfd pfd[MAX_CONN + 1];
	int pidx[MAX_CONN + 1];
	struct sigaction sa;
	sigset_t block, orig;
	struct timespec ts;
	nfds_t nfd;

	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'f':
			state = optarg;
			break;
		case 'p':
			free(pin);
			if ((pin = strdup(optarg)) == NULL)
				return 1;
			/* keep the PIN off the process list */
			memset(optarg, 'x', strlen(optarg));
			break;
		case 't':
			if (parse_touch(optarg, &mode, &delay) != 0) {
				fprintf(stderr, "softtoken: --touch takes auto, "
				    "deny or milliseconds (0..600000)\n");
				return 2;
			}
			break;
		case 'E':
			no_eddsa = 1;
			break;
		case 'm':
			if ((min_pin = parse_num(optarg, ST_MIN_PIN,
			    ST_MAX_PIN)) < 0) {
				fprintf(stderr, "softtoken: --min-pin-length "
				    "takes %d..%d\n", ST_MIN_PIN, ST_MAX_PIN);
				return 2;
			}
			break;
		case 'F':
			force = 1;
			break;
		case 'r':
			if ((slots = parse_num(optarg, 1, ST_MAX_RK)) < 0) {
				fprintf(stderr, "softtoken: --rk-slots takes "
				    "1..%d\n", ST_MAX_RK);
				return 2;
			}
			break;
		case 'R':
			rk_pin = 1;
			break;
		case 'k':
			att_key = optarg;
			break;
		case 'c':
			att_cert = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (sock == NULL || optind != argc ||
	    (att_key == NULL) != (att_cert == NULL)) {
		usage(stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "softtoken: sodium_init failed\n");
		return 1;
	}
	for (c = 0; c < MAX_CONN; c++)
		conns[c].fd = -1;
	if ((tok = calloc(1, sizeof(*tok))) == NULL)
		goto out;
	if (token_init(tok, state, pin, no_eddsa, err, sizeof(err)) != 0) {
		fprintf(stderr, "softtoken: %s\n", err);
		free(tok);
		tok = NULL;
		goto out;
	}
	if (pin != NULL) {
		sodium_memzero(pin, strlen(pin));
		free(pin);
		pin = NULL;
	}
	if (slots > 0)
		tok->rk_slots = (size_t)slots;
	tok->rk_needs_pin = rk_pin;
	if (min_pin > 0 || force) {
		if (min_pin > 0)
			tok->st.min_pin_len = min_pin;
		if (force)
			tok->st.force_pin_change = 1;
		if (state_save(&tok->st) != 0) {
			fprintf(stderr, "softtoken: cannot save the state\n");
			goto out;
		}
	}
	if (att_key != NULL &&
	    (tok->att = att_load(att_key, att_cert, err, sizeof(err))) == NULL) {
		fprintf(stderr, "softtoken: %s\n", err);
		goto out;
	}
	if ((h = hid_new(tok, conn_send, NULL, mode, delay)) == NULL)
		goto out;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGINT);
	sigdelset(&orig, SIGUSR1);

	if ((lfd = listen_on(sock)) == -1)
		goto out;
	fprintf(stderr, "softtoken: listening on %s\n", sock);

	while (!got_quit) {
		nfd = 0;
		pfd[nfd].fd = lfd;
		pfd[nfd].events = POLLIN;
		pidx[nfd++] = -1;
		for (c = 0; c < MAX_CONN; c++) {
			if (conns[c].fd == -1)
				continue;
			pfd[nfd].fd = conns[c].fd;
			pfd[nfd].events = POLLIN | (conns[c].len ? POLLOUT : 0);
			pidx[nfd++] = c;
		}
		timeout = hid_timeout(h, st_now_ms());
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (long)(timeout % 1000) * 1000000;
		if (ppoll(pfd, nfd, timeout < 0 ? NULL : &ts, &orig) == -1 &&
		    errno != EINTR) {
			fprintf(stderr, "softtoken: poll: %s\n", strerror(errno));
			goto out;
		}
		/*
		 * ppoll leaves a signal pending when descriptors were ready
		 * too; take it now, before the requests that came after it.
		 */
		sigprocmask(SIG_SETMASK, &orig, NULL);
		sigprocmask(SIG_BLOCK, &block, NULL);
		if (got_usr1) {
			got_usr1 = 0;
			hid_toggle_deny(h);
		}
		if (got_quit)
			break;
		hid_tick(h, st_now_ms());
		/* hang-ups first: a closed client's request is no longer busy */
		for (nfds_t i = 1; i < nfd; i++)
			if (pfd[i].revents & (POLLHUP | POLLERR))
				conn_close(h, pidx[i]);
		for (nfds_t i = 1; i < nfd; i++) {
			c = pidx[i];
			if (conns[c].fd != -1 && (pfd[i].revents & POLLIN))
				read_conn(h, c);
		}
		if (pfd[0].revents & POLLIN)
			accept_conns(lfd);
		for (c = 0; c < MAX_CONN; c++) {
			if (conns[c].fd == -1)
				continue;
			conn_flush(&conns[c]);
			if (conns[c].dead)
				conn_close(h, c);
		}
	}
	ret = 0;
 out:
	if (lfd != -1) {
		close(lfd);
		unlink(sock);
	}
	for (c = 0; c < MAX_CONN; c++)
		if (conns[c].fd != -1 && h != NULL)
			conn_close(h, c);
	hid_free(h);
	if (tok != NULL) {
		token_free(tok);
		free(tok);
	}
	if (pin != NULL) {
		sodium_memzero(pin, strlen(pin));
		free(pin);
	}
	if (ret == 0)
		fprintf(stderr, "softtoken: stopped\n");
	return ret;
}
