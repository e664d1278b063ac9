/*
 * skhelper-run: the agent's provider path (agent/skhelper.c and
 * agent/child.c, on a small poll loop standing in for agent/loop.c) for
 * the end-to-end tests: signs with a key file through skagent-sk-helper
 * and a provider, and prints the checked result.  Or writes a request
 * (-w) or judges a reply (-r), for tests that drive the helper directly.
 *
 *   skhelper-run -k KEYFILE -P PROVIDER [-H HELPER] [-p PIN] [-D DEVICE]
 *                [-m MESSAGE | -M BYTES] [-c MS | -C FILE] [-s SIGFILE] [-B]
 *   skhelper-run -w -k KEYFILE -P PROVIDER [-p PIN] [-D DEVICE] [-m MESSAGE]
 *   skhelper-run -r -k KEYFILE [-m MESSAGE] < reply
 *
 * Prints "ok flags 0xNN counter N" (exit 0), or the error (exit 1).  The
 * signature was checked with key_verify; -s writes it (the ssh wire form)
 * to SIGFILE.  -c MS cancels after MS milliseconds and prints "cancelled"
 * if no answer came by then; -C FILE the same once FILE exists (a test
 * that waits for the token to be waiting, at any speed).  -M: a message of BYTES bytes.  -H: default
 * skhelper_default_path().  -B: block and ignore signals as the agent's
 * loop does (child.c must undo that for the child).
 * KEYFILE: an unencrypted private key file (ssh-keygen -w ... -N '').
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "misc.h"
#include "keyfile.h"
#include "loop.h"
#include "secmem.h"
#include "skhelper-msg.h"
#include "skhelper.h"

/* ---------------------------------------- a poll loop for child.c */

#define MAXW 16

struct watch {
	int fd, active;
	void (*cb)(int, void *);
	void *arg;
};
static struct watch watches[MAXW];

struct watch *
loop_watch_fd(int fd, void (*cb)(int fd, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i < MAXW; i++) {
		if (!watches[i].active) {
			watches[i].fd = fd;
			watches[i].cb = cb;
			watches[i].arg = arg;
			watches[i].active = 1;
			return &watches[i];
		}
	}
	return NULL;
}

void
loop_unwatch_fd(struct watch *w)
{
	if (w != NULL)
		w->active = 0;
}

static size_t
nwatches(void)
{
	size_t i, n = 0;

	for (i = 0; i < MAXW; i++)
		n += watches[i].active;
	return n;
}

/* One round: waits up to ms for any watched fd and runs its callback. */
static void
loop_once(int ms)
{
	struct pollfd p[MAXW];
	struct watch *w[MAXW];
	size_t i, n = 0;

	for (i = 0; i < MAXW; i++) {
		if (!watches[i].active)
			continue;
		p[n].fd = watches[i].fd;
		p[n].events = POLLIN;
		p[n].revents = 0;
		w[n++] = &watches[i];
	}
	if (poll(p, n, ms) <= 0)
		return;
	for (i = 0; i < n; i++)
		if (p[i].revents != 0 && w[i]->active)
			w[i]->cb(w[i]->fd, w[i]->arg);
}

static void
vmsg(const char *fmt, va_list ap)
{
	fputs("skhelper-run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void
debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------- the test */

static int done, result = 1;
static const char *sigfile;

static int
write_sig(const struct sshbuf *sig)
{
	FILE *f;
	int ok;

	if (sigfile == NULL)
		return 0;
	if ((f = fopen(sigfile, "w")) == NULL)
		return -1;
	ok = fwrite(sshbuf_ptr(sig), 1, sshbuf_len(sig), f) == sshbuf_len(sig);
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void
report(int r, const struct sshbuf *sig)
{
	uint8_t flags;
	uint32_t counter;

	if (r == 0 && (r = key_sk_signature_parse(sshbuf_ptr(sig),
	    sshbuf_len(sig), &flags, &counter)) == 0 && write_sig(sig) == 0) {
		printf("ok flags 0x%02x counter %u\n", flags, counter);
		result = 0;
	} else
		printf("error: %s\n", ska_err(r));
}

static void
on_done(int r, const struct sshbuf *sig, void *arg)
{
	(void)arg;
	report(r, sig);
	done = 1;
}

static int
read_stdin(struct sshbuf *b)
{
	uint8_t buf[4096];
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n < 0 || sshbuf_put(b, buf, (size_t)n) != 0)
			return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: skhelper-run [-w | -r] -k keyfile [-P provider] "
	    "[-H helper] [-p pin] [-D device] [-m message | -M bytes] "
	    "[-c ms | -C file] [-s sigfile] [-B]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *keyfile = NULL, *prov = NULL, *helper = NULL, *pin = NULL;
	const char *dev = NULL, *msg = "skhelper-run test message";
	const char *cancel_file = NULL;
	char *big = NULL;
	struct skhelper *h;
	struct sshbuf *b = NULL, *sig = NULL;
	struct key *k = NULL;
	int ch, mode = 0, cancel_ms = -1, block = 0, r;
	sigset_t set;
	uint64_t start;
	uint32_t st;

	while ((ch = getopt(argc, argv, "wrk:P:H:p:D:m:M:c:C:s:B")) != -1) {
		switch (ch) {
		case 'w': case 'r': mode = ch; break;
		case 'k': keyfile = optarg; break;
		case 'P': prov = optarg; break;
		case 'H': helper = optarg; break;
		case 'p': pin = optarg; break;
		case 'D': dev = optarg; break;
		case 'm': msg = optarg; break;
		case 'M':
			free(big);
			if ((big = calloc(1, (size_t)atoi(optarg) + 1)) == NULL)
				return 1;
			memset(big, 'x', (size_t)atoi(optarg));
			msg = big;
			break;
		case 'c': cancel_ms = atoi(optarg); break;
		case 'C': cancel_file = optarg; break;
		case 's': sigfile = optarg; break;
		case 'B': block = 1; break;
		default: usage();
		}
	}
	if (keyfile == NULL || (mode != 'r' && prov == NULL))
		usage();
	if (secmem_init(0) != 0 || (b = sshbuf_new()) == NULL ||
	    (sig = sshbuf_new()) == NULL)
		return 1;
	if ((r = keyfile_load_private(keyfile, NULL, &k, NULL, NULL)) != 0) {
		fprintf(stderr, "skhelper-run: %s: %s\n", keyfile, ska_err(r));
		goto out;
	}
	if (mode == 'w') {
		if ((r = skhelper_put_sign_req_key(k, prov,
		    (const uint8_t *)msg, strlen(msg), pin, dev, b)) != 0 ||
		    fwrite(sshbuf_ptr(b), 1, sshbuf_len(b), stdout) !=
		    sshbuf_len(b))
			goto out;
		result = 0;
	} else if (mode == 'r') {
		if (read_stdin(b) != 0)
			goto out;
		r = skhelper_sign_result(k, (const uint8_t *)msg, strlen(msg),
		    sshbuf_ptr(b), sshbuf_len(b), sig, &st);
		printf("status %u: %s\n", st, skhelper_status_str(st));
		report(r, sig);
	} else {
		if (helper == NULL)
			helper = skhelper_default_path();
		if (block) {
			sigemptyset(&set);
			sigaddset(&set, SIGTERM);
			sigaddset(&set, SIGHUP);
			sigaddset(&set, SIGINT);
			sigaddset(&set, SIGUSR1);
			sigprocmask(SIG_BLOCK, &set, NULL);
			signal(SIGPIPE, SIG_IGN);
		}
		if ((h = skhelper_sign_start(helper, prov, k,
		    (const uint8_t *)msg, strlen(msg), pin, dev, on_done,
		    NULL)) == NULL) {
			printf("error: cannot start %s\n", helper);
			goto out;
		}
		start = monotime_ms();
		while (!done && monotime_ms() - start < 30000) {
			if ((cancel_ms >= 0 &&
			    monotime_ms() - start >= (uint64_t)cancel_ms) ||
			    (cancel_file != NULL &&
			    access(cancel_file, F_OK) == 0)) {
				skhelper_cancel(h);
				printf("cancelled\n");
				result = 0;
				break;
			}
			loop_once(cancel_ms >= 0 || cancel_file != NULL ?
			    20 : 1000);
		}
		if (!done && result != 0)
			printf("error: no answer in 30 s\n");
		/* the child's own watches end when it has exited */
		start = monotime_ms();
		while (nwatches() > 0 && monotime_ms() - start < 10000)
			loop_once(100);
		if (nwatches() > 0) {
			printf("error: the helper was not reaped\n");
			result = 1;
		}
	}
 out:
	/* LeakSanitizer exits before stdio is flushed */
	fflush(stdout);
	key_free(k);
	sshbuf_free(b);
	sshbuf_free(sig);
	free(big);
	return result;
}
