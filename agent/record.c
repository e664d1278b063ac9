/*
 * The signing record, the agent's side: what a signature was (key,
 * requester, destination, the token's flags and counter), kept in memory
 * for the status view and appended to the record file in batches: a line
 * is formatted on the loop thread (about a microsecond: fingerprints of
 * the keys last seen are kept) and the batch is written at most FLUSH_MS
 * later by one write(2), so that in-memory signatures do not pay a system
 * call each.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "keystore.h"
#include "log.h"
#include "loop.h"
#include "options.h"
#include "proc.h"
#include "record.h"
#include "sigdata.h"
#include "timer.h"

#define FLUSH_MS	500
#define FLUSH_BYTES	(64 * 1024)	/* or sooner, when this much waits */

static int enabled;
static struct recfile rf = { -1, NULL, 0 };
static int file_ok;
static int write_failing;
static struct jbuf pending;
static struct timer *timer;
static int timer_armed;
static char *ring[RECORD_RECENT];
static size_t ring_next;
static pid_t own_sid = -1;

/* Fingerprints of the keys last recorded: a hash per signature costs more
   than the rest of the line. */
#define FP_CACHE	8
#define FP_MAX		128
static struct {
	uint8_t *blob;
	size_t len;
	char fp[FP_MAX];
} fpc[FP_CACHE];
static size_t fpc_next;

void
record_init(const char *dir, size_t max)
{
	int r;

	if ((enabled = dir != NULL) == 0 || *dir == '\0')
		return;
	if ((r = recfile_open(&rf, dir, RECORD_FILE, max)) != 0) {
		error("signing record %s/%s: %s: %s; keeping the last %d "
		    "in memory only", dir, RECORD_FILE, ska_err(r),
		    strerror(errno), RECORD_RECENT);
		return;
	}
	file_ok = 1;
}

int
record_enabled(void)
{
	return enabled;
}

static void
flush(void)
{
	int r;

	if (pending.len == 0)
		return;
	if (file_ok) {
		if ((r = recfile_append(&rf, pending.p, pending.len)) != 0) {
			if (!write_failing)
				error("signing record %s: %s: %s", rf.path,
				    ska_err(r), strerror(errno));
			write_failing = 1;
		} else
			write_failing = 0;
	}
	jbuf_reset(&pending);
}

static void
on_timer(void *arg)
{
	(void)arg;
	timer_armed = 0;
	flush();
}

static void
arm_timer(void)
{
	if (timer_armed)
		return;
	if (timer == NULL && (timer = timer_new(on_timer, NULL)) == NULL)
		return;
	if (timer_set(timer, FLUSH_MS) == 0)
		timer_armed = 1;
}

/* k's fingerprint into fp (FP_MAX bytes); "?" if it cannot be made. */
static void
fingerprint(const struct key *k, char *fp)
{
	const uint8_t *blob;
	size_t len, i;
	char *f;

	blob = key_blob(k, &len);
	for (i = 0; i < FP_CACHE; i++) {
		if (fpc[i].blob != NULL && fpc[i].len == len &&
		    memcmp(fpc[i].blob, blob, len) == 0) {
			memcpy(fp, fpc[i].fp, FP_MAX);
			return;
		}
	}
	if ((f = key_fingerprint(k, opts.fp_hash)) == NULL ||
	    strlen(f) >= FP_MAX) {
		strcpy(fp, "?");
		free(f);
		return;
	}
	strcpy(fp, f);
	free(f);
	i = fpc_next++ % FP_CACHE;
	free(fpc[i].blob);
	if ((fpc[i].blob = malloc(len)) == NULL)
		return;
	memcpy(fpc[i].blob, blob, len);
	fpc[i].len = len;
	memcpy(fpc[i].fp, fp, FP_MAX);
}

void
record_shutdown(void)
{
	size_t i;

	for (i = 0; i < FP_CACHE; i++) {
		free(fpc[i].blob);
		fpc[i].blob = NULL;
	}

	flush();
	jbuf_free(&pending);
	recfile_close(&rf);
	file_ok = 0;
	timer_free(timer);
	timer = NULL;
	timer_armed = 0;
	for (i = 0; i < RECORD_RECENT; i++) {
		free(ring[i]);
		ring[i] = NULL;
	}
	enabled = 0;
}

const char *
conn_requester(struct conn *c)
{
	char buf[PROC_CHAIN_LEN];

	if (c->requester != NULL)
		return c->requester;
	if (own_sid == -1)
		own_sid = getsid(0);
	proc_chain("/proc", c->pid, own_sid, PROC_CHAIN_MAX, buf, sizeof(buf));
	c->requester = strdup(buf);
	return c->requester != NULL ? c->requester : "";
}

char *
conn_destination(struct conn *c, int *forwardedp)
{
	size_t i;

	*forwardedp = 0;
	if (c->nbinds == 0)
		return NULL;
	for (i = 0; i < c->nbinds; i++)
		*forwardedp |= c->binds[i].forwarded;
	return key_fingerprint(c->binds[c->nbinds - 1].hostkey, opts.fp_hash);
}

void
record_sign(struct conn *c, struct identity *id, int r,
    const struct record_sk *sk, const uint8_t *data, size_t dlen)
{
	struct record_entry e;
	struct timespec ts;
	char fp[FP_MAX], dest[FP_MAX], *text = NULL;
	uint8_t flags;
	uint32_t counter;
	size_t start = pending.len, slot, i;

	if (!enabled)
		return;
	memset(&e, 0, sizeof(e));
	clock_gettime(CLOCK_REALTIME, &ts);
	e.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	e.ok = r == 0;
	e.error = r != 0 ? ska_err(r) : NULL;
	fingerprint(id->key, fp);
	e.key = fp;
	e.type = key_type_short(id->key);
	e.comment = id->comment;
	e.requester = conn_requester(c);
	e.pid = c->pid;
	e.up = e.uv = -1;
	e.counter = -1;
	if (sk != NULL) {
		e.sk = 1;
		e.token = sk->token;
		if (r == 0 && sk->sig != NULL &&
		    key_sk_signature_parse(sshbuf_ptr(sk->sig),
		    sshbuf_len(sk->sig), &flags, &counter) == 0) {
			e.up = (flags & 0x01) != 0;
			e.uv = (flags & 0x04) != 0;
			e.counter = counter;
		}
	}
	if (c->nbinds != 0) {
		fingerprint(c->binds[c->nbinds - 1].hostkey, dest);
		e.destination = dest;
		for (i = 0; i < c->nbinds; i++)
			e.forwarded |= c->binds[i].forwarded;
	}
	e.use = sigdata_describe(data, dlen, &text);
	if (e.use != NULL && strcmp(e.use, "login") == 0)
		e.user = text;
	else if (e.use != NULL)
		e.ns = text;
	if (record_format(&pending, &e) == 0) {
		slot = ring_next++ % RECORD_RECENT;
		free(ring[slot]);
		ring[slot] = strndup(pending.p + start, pending.len - start - 1);
		if (pending.len >= FLUSH_BYTES)
			flush();
		else
			arm_timer();
	}
	free(text);
}

size_t
record_recent(const char **lines, size_t max)
{
	size_t n = 0, i, k;

	k = ring_next > RECORD_RECENT ? ring_next - RECORD_RECENT : 0;
	for (i = k; i < ring_next && n < max; i++)
		if (ring[i % RECORD_RECENT] != NULL)
			lines[n++] = ring[i % RECORD_RECENT];
	return n;
}
