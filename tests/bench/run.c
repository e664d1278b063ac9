/* Requests, and the timed runs of the clients that send them. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent-client.h"
#include "agent-proto.h"
#include "bench.h"
#include "key.h"
#include "sk.h"
#include "sshbuf.h"

#define SAMPLE_EVERY		256
#define SAMPLES_MAX		8	/* per client per run */

struct sample {
	uint8_t *data, *sig;
	size_t dlen, slen;
};

struct client {
	pthread_t thr;
	const struct work *w;
	pthread_barrier_t *bar;
	uint32_t idx;
	uint8_t *req;
	size_t reqlen;
	struct rbuf rb;
	uint64_t *lat;
	size_t nlat, latcap;
	struct sample samples[SAMPLES_MAX];
	size_t nsamples;
	uint64_t t0, t1;
	int r;
	char err[ERRLEN];
};

/* One agent's measurements over a row's rounds. */
struct tally {
	uint64_t n, ns;
	int64_t cpu;		/* agent CPU ns; -1 unknown */
	uint64_t *lat;
	size_t nlat, latcap;
	size_t verified;
	int failed;
	char err[ERRLEN];
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v, in us. */
static double
pct_us(const uint64_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)ceil(p / 100.0 * (double)n);
	i = i == 0 ? 0 : i - 1;
	return (double)v[i < n ? i : n - 1] / 1000.0;
}

static int
lat_push(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
	uint64_t *nv;
	size_t ncap;

	if (*n == *cap) {
		ncap = *cap == 0 ? 4096 : *cap * 2;
		if ((nv = reallocarray(*v, ncap, sizeof(**v))) == NULL)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = x;
	return 0;
}

/* u32 len, then the message; the caller frees. */
struct sshbuf *
frame_of(const struct sshbuf *msg)
{
	struct sshbuf *f;

	if ((f = sshbuf_new()) == NULL ||
	    sshbuf_put_u32(f, (uint32_t)sshbuf_len(msg)) != 0 ||
	    sshbuf_putb(f, msg) != 0) {
		sshbuf_free(f);
		return NULL;
	}
	return f;
}

/*
 * A SIGN_REQUEST whose data looks like ssh's publickey userauth request:
 * string session_id(32), byte 50, user, service, method, bool, alg, blob.
 * Each request gets its own session id (counter and client number).
 */
int
build_sign(struct bkey *bk)
{
	struct sshbuf *data = NULL, *msg = NULL;
	const uint8_t *blob;
	uint8_t sid[32];
	size_t bloblen;
	int r = SKA_ERR_ALLOC_FAIL;

	blob = key_blob(bk->key, &bloblen);
	randombytes_buf(sid, sizeof(sid));
	if ((data = sshbuf_new()) == NULL || (msg = sshbuf_new()) == NULL)
		goto out;
	if ((r = sshbuf_put_string(data, sid, sizeof(sid))) != 0 ||
	    (r = sshbuf_put_u8(data, SSH2_MSG_USERAUTH_REQUEST)) != 0 ||
	    (r = sshbuf_put_cstring(data, "bench")) != 0 ||
	    (r = sshbuf_put_cstring(data, "ssh-connection")) != 0 ||
	    (r = sshbuf_put_cstring(data, "publickey")) != 0 ||
	    (r = sshbuf_put_u8(data, 1)) != 0 ||
	    (r = sshbuf_put_cstring(data, bk->alg)) != 0 ||
	    (r = sshbuf_put_string(data, blob, bloblen)) != 0)
		goto out;
	if ((r = sshbuf_put_u8(msg, SSH2_AGENTC_SIGN_REQUEST)) != 0 ||
	    (r = sshbuf_put_string(msg, blob, bloblen)) != 0 ||
	    (r = sshbuf_put_stringb(msg, data)) != 0 ||
	    (r = sshbuf_put_u32(msg, bk->flags)) != 0)
		goto out;
	if ((bk->sign = frame_of(msg)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	/* u32 len, type, string blob, u32 dlen */
	bk->data_off = 4 + 1 + 4 + bloblen + 4;
	bk->dlen = sshbuf_len(data);
	r = 0;
 out:
	sshbuf_free(data);
	sshbuf_free(msg);
	return r;
}

int
build_add(struct bkey *bk)
{
	struct sshbuf *msg = NULL;
	int r = SKA_ERR_ALLOC_FAIL;

	if ((msg = sshbuf_new()) == NULL)
		goto out;
	if ((r = sshbuf_put_u8(msg, key_is_sk(bk->key) ?
	    SSH2_AGENTC_ADD_ID_CONSTRAINED : SSH2_AGENTC_ADD_IDENTITY)) != 0 ||
	    (r = key_private_serialize(bk->key, msg)) != 0 ||
	    (r = sshbuf_put_cstring(msg, bk->label)) != 0)
		goto out;
	/* as ssh-add sends sk keys */
	if (key_is_sk(bk->key) &&
	    ((r = sshbuf_put_u8(msg, SSH_AGENT_CONSTRAIN_EXTENSION)) != 0 ||
	    (r = sshbuf_put_cstring(msg, AGENT_CONSTRAIN_SK_PROVIDER)) != 0 ||
	    (r = sshbuf_put_cstring(msg, "internal")) != 0))
		goto out;
	if ((bk->add = frame_of(msg)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	r = 0;
 out:
	sshbuf_free(msg);
	return r;
}

void
bkey_free(struct bkey *bk)
{
	key_free(bk->key);
	sshbuf_free(bk->add);	/* wipes the private key */
	sshbuf_free(bk->sign);
	bk->key = NULL;
	bk->add = bk->sign = NULL;
}

/* Sends one frame; the reply must be SUCCESS. */
int
add_one(int fd, const struct sshbuf *frame, struct rbuf *rb)
{
	int r;

	if ((r = frame_xfer(fd, sshbuf_ptr(frame), sshbuf_len(frame), rb)) != 0)
		return r;
	if (rb->len != 1 || rb->p[0] != SSH_AGENT_SUCCESS)
		return SKA_ERR_AGENT_FAILURE;
	return 0;
}

static int
check_sign_reply(struct client *c)
{
	if (c->rb.len < 5 || c->rb.p[0] != SSH2_AGENT_SIGN_RESPONSE ||
	    peek_u32(c->rb.p + 1) != c->rb.len - 5) {
		snprintf(c->err, ERRLEN, "sign reply type %u, %zu bytes "
		    "(expected %u)", c->rb.len ? c->rb.p[0] : 0, c->rb.len,
		    SSH2_AGENT_SIGN_RESPONSE);
		return SKA_ERR_AGENT_FAILURE;
	}
	return 0;
}

/* Keeps the data just signed and its signature, for key_verify later. */
static void
keep_sample(struct client *c, const uint8_t *sig, size_t slen)
{
	const struct bkey *bk = c->w->bk;
	struct sample *s;

	if (c->nsamples >= SAMPLES_MAX)
		return;
	s = &c->samples[c->nsamples];
	if ((s->data = malloc(bk->dlen)) == NULL ||
	    (s->sig = malloc(slen)) == NULL) {
		free(s->data);
		s->data = NULL;
		return;
	}
	memcpy(s->data, c->req + bk->data_off, bk->dlen);
	s->dlen = bk->dlen;
	memcpy(s->sig, sig, slen);
	s->slen = slen;
	c->nsamples++;
}

/* One sk signature in this process, as the agent makes it. */
static int
sk_direct(struct client *c, struct sshbuf *sig)
{
	const struct bkey *bk = c->w->bk;
	struct token_req req;
	int r;

	memset(&req, 0, sizeof(req));
	sshbuf_reset(sig);
	if ((r = sk_sign_key(c->w->tok, &req, bk->key, c->req + bk->data_off,
	    bk->dlen, sig)) != 0)
		snprintf(c->err, ERRLEN, "sk_sign_key: %s", ska_err(r));
	return r;
}

static void *
client_main(void *arg)
{
	static const uint8_t list_req[5] = { 0, 0, 0, 1,
	    SSH2_AGENTC_REQUEST_IDENTITIES };
	struct client *c = arg;
	const struct work *w = c->w;
	const uint8_t *req = list_req;
	size_t reqlen = sizeof(list_req);
	struct sshbuf *sig = NULL;
	uint64_t deadline, t, t1, seq = 0;
	int fd = -1, r = 0;

	if (w->kind != WL_LIST) {
		req = c->req;
		reqlen = c->reqlen;
		/* session id bytes 8..11: the client */
		poke_u32(c->req + w->bk->data_off + 4 + 8, c->idx);
	}
	if (w->kind == WL_SK_DIRECT) {
		if ((sig = sshbuf_new()) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			snprintf(c->err, ERRLEN, "out of memory");
		}
	} else if (w->kind != WL_CONNECT &&
	    (r = sock_connect(w->sock, &fd)) != 0)
		snprintf(c->err, ERRLEN, "connect: %s", ska_err(r));
	pthread_barrier_wait(c->bar);
	if (r != 0)
		goto out;
	c->t0 = now_ns();
	deadline = c->t0 + (uint64_t)(w->seconds * 1e9);
	/* latency: request sent to reply read; checks and close() outside */
	for (t = c->t0; t < deadline; t = now_ns()) {
		if (w->kind != WL_LIST) {
			poke_u32(c->req + w->bk->data_off + 4, (uint32_t)(seq >> 32));
			poke_u32(c->req + w->bk->data_off + 8, (uint32_t)seq);
		}
		if (w->kind == WL_CONNECT &&
		    (r = sock_connect(w->sock, &fd)) != 0) {
			snprintf(c->err, ERRLEN, "connect: %s", ska_err(r));
			goto out;
		}
		if (w->kind == WL_SK_DIRECT) {
			if ((r = sk_direct(c, sig)) != 0)
				goto out;
		} else if ((r = frame_xfer(fd, req, reqlen, &c->rb)) != 0) {
			snprintf(c->err, ERRLEN, "request %llu: %s",
			    (unsigned long long)seq, ska_err(r));
			goto out;
		}
		t1 = now_ns();
		if (lat_push(&c->lat, &c->nlat, &c->latcap, t1 - t) != 0) {
			r = SKA_ERR_ALLOC_FAIL;
			snprintf(c->err, ERRLEN, "out of memory");
			goto out;
		}
		if (w->kind == WL_CONNECT) {
			close(fd);
			fd = -1;
		}
		if (w->kind == WL_LIST) {
			if (c->rb.len != w->expectlen ||
			    memcmp(c->rb.p, w->expect, w->expectlen) != 0) {
				r = SKA_ERR_AGENT_FAILURE;
				snprintf(c->err, ERRLEN, "identities answer %llu "
				    "differs from the checked one (%zu bytes, "
				    "type %u)", (unsigned long long)seq,
				    c->rb.len, c->rb.len ? c->rb.p[0] : 0);
				goto out;
			}
		} else if (w->kind == WL_SK_DIRECT) {
			if (seq % SAMPLE_EVERY == 0)
				keep_sample(c, sshbuf_ptr(sig), sshbuf_len(sig));
		} else {
			if ((r = check_sign_reply(c)) != 0)
				goto out;
			if (seq % SAMPLE_EVERY == 0)
				keep_sample(c, c->rb.p + 5, c->rb.len - 5);
		}
		seq++;
	}
	c->t1 = t;	/* the end of the last request's checks */
 out:
	if (r != 0 && c->t1 == 0)
		c->t1 = now_ns();
	c->r = r;
	if (fd != -1)
		close(fd);
	sshbuf_free(sig);
	return NULL;
}

/*
 * n clients run w against agent a (NULL: in this process) for w->seconds,
 * adding to t.  A warm-up (!keep) is counted nowhere but checked all the
 * same.
 */
static void
run_once(const struct work *w, int n, struct agent *a, struct tally *t,
    int keep)
{
	const char *who = a != NULL ? a->name : "in-process";
	struct client *cl = NULL;
	pthread_barrier_t bar;
	uint64_t t0 = UINT64_MAX, t1 = 0;
	int64_t cpu0, cpu1;
	size_t i, j;
	int k, started = 0, r;

	if (t->failed)
		return;
	if ((cl = calloc((size_t)n, sizeof(*cl))) == NULL) {
		snprintf(t->err, ERRLEN, "out of memory");
		t->failed = 1;
		return;
	}
	pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
	for (k = 0; k < n; k++) {
		cl[k].w = w;
		cl[k].bar = &bar;
		cl[k].idx = (uint32_t)k;
		if (w->kind != WL_LIST) {
			cl[k].reqlen = sshbuf_len(w->bk->sign);
			if ((cl[k].req = malloc(cl[k].reqlen)) == NULL)
				break;
			memcpy(cl[k].req, sshbuf_ptr(w->bk->sign), cl[k].reqlen);
		}
	}
	for (k = 0; k < n && (w->kind == WL_LIST || cl[k].req != NULL); k++) {
		if (pthread_create(&cl[k].thr, NULL, client_main, &cl[k]) != 0)
			break;
		started++;
	}
	if (started != n) {
		/* never reached in practice; the barrier needs everyone */
		fprintf(stderr, "bench: cannot start %d client threads\n", n);
		exit(1);
	}
	cpu0 = a != NULL ? cpu_ns(a->pid) : -1;
	pthread_barrier_wait(&bar);
	for (k = 0; k < n; k++)
		pthread_join(cl[k].thr, NULL);
	cpu1 = a != NULL ? cpu_ns(a->pid) : -1;
	pthread_barrier_destroy(&bar);

	for (k = 0; k < n; k++) {
		struct client *c = &cl[k];

		if (c->r != 0 && !t->failed) {
			t->failed = 1;
			snprintf(t->err, ERRLEN, "%s, client %d: %s%s", who,
			    k, c->err, a == NULL || agent_alive(a) ? "" :
			    " (agent died)");
		}
		if (c->t0 != 0 && c->t0 < t0)
			t0 = c->t0;
		if (c->t1 > t1)
			t1 = c->t1;
		for (j = 0; j < c->nlat && keep; j++) {
			if (lat_push(&t->lat, &t->nlat, &t->latcap, c->lat[j]) != 0) {
				t->failed = 1;
				snprintf(t->err, ERRLEN, "out of memory");
				break;
			}
		}
		if (keep)
			t->n += c->nlat;
		for (i = 0; i < c->nsamples; i++) {
			struct sample *s = &c->samples[i];

			r = key_verify(w->bk->key, s->sig, s->slen, s->data,
			    s->dlen, w->bk->alg);
			if (r != 0 && !t->failed) {
				t->failed = 1;
				snprintf(t->err, ERRLEN, "%s: a %s signature "
				    "does not verify: %s", who, w->bk->label,
				    ska_err(r));
			} else if (r == 0)
				t->verified++;
			free(s->data);
			free(s->sig);
		}
		free(c->lat);
		free(c->req);
		rbuf_free(&c->rb);
	}
	if (!keep) {
		free(cl);
		return;
	}
	if (t1 > t0)
		t->ns += t1 - t0;
	if (t->cpu >= 0 && cpu0 >= 0 && cpu1 >= cpu0)
		t->cpu += cpu1 - cpu0;
	else
		t->cpu = -1;
	free(cl);
}

double
warmup_seconds(double round)
{
	double s = round / 5;

	return s < 0.05 ? 0.05 : s > 0.25 ? 0.25 : s;
}

/*
 * A row: opt.rounds alternating rounds (ABBA...) of both sides, each run
 * preceded by a warm-up.  Fills ops/p50/p99/cpu of both columns.  ag[i]
 * NULL: side i runs in this process.
 */
void
measure_sides(struct row *rw, struct work w[2], int nclients,
    struct agent *ag[2])
{
	struct tally t[2];
	struct work warm;
	double round = opt.duration / opt.rounds;
	int rd, i, who;

	memset(t, 0, sizeof(t));
	for (rd = 0; rd < opt.rounds; rd++) {
		for (i = 0; i < 2; i++) {
			who = (rd % 2 == 0) ? i : 1 - i;
			warm = w[who];
			warm.seconds = warmup_seconds(round);
			run_once(&warm, nclients, ag[who], &t[who], 0);
			w[who].seconds = round;
			run_once(&w[who], nclients, ag[who], &t[who], 1);
		}
	}
	rw->measured = 1;
	for (i = 0; i < 2; i++) {
		if (t[i].failed) {
			rw->failed = 1;
			fail("%s: %s", rw->id, t[i].err);
		}
		if (t[i].nlat > 0)
			qsort(t[i].lat, t[i].nlat, sizeof(*t[i].lat), cmp_u64);
		rw->ops[i] = t[i].ns ? (double)t[i].n * 1e9 / (double)t[i].ns : 0;
		rw->p50[i] = pct_us(t[i].lat, t[i].nlat, 50);
		rw->p99[i] = pct_us(t[i].lat, t[i].nlat, 99);
		rw->cpu[i] = t[i].cpu >= 0 && t[i].n ?
		    (double)t[i].cpu / 1000.0 / (double)t[i].n : -1;
		rw->verified[i] = t[i].verified;
		rw->n[i] = t[i].n;
		if (w[i].kind != WL_LIST && t[i].verified == 0 && !t[i].failed) {
			rw->failed = 1;
			fail("%s: no %s signature was checked", rw->id,
			    ag[i] != NULL ? ag[i]->name : "in-process");
		}
		free(t[i].lat);
		if (t[i].failed)
			rw->ops[i] = rw->p50[i] = rw->p99[i] = rw->cpu[i] = -1;
	}
}

void
measure(struct row *rw, struct work w[2], int nclients)
{
	struct agent *ag[2] = { &agents[OURS], &agents[THEIRS] };

	measure_sides(rw, w, nclients, ag);
}

void
work_pair(struct work w[2], enum wl kind, const struct bkey *bk)
{
	int i;

	memset(w, 0, 2 * sizeof(*w));
	for (i = 0; i < 2; i++) {
		w[i].kind = kind;
		w[i].bk = bk;
		w[i].sock = agents[i].sock;
	}
}

/* key_sign in this process: the floor under any agent's latency. */
void
measure_floor(struct bkey *bk)
{
	struct sshbuf *sig = NULL;
	uint64_t *lat = NULL, t, end;
	size_t n = 0, cap = 0;
	const uint8_t *data = sshbuf_ptr(bk->sign) + bk->data_off;

	if ((sig = sshbuf_new()) == NULL)
		return;
	end = now_ns() + (uint64_t)(warmup_seconds(opt.duration) * 1e9);
	while ((t = now_ns()) < end) {
		sshbuf_reset(sig);
		if (key_sign(bk->key, data, bk->dlen, bk->alg, sig) != 0 ||
		    lat_push(&lat, &n, &cap, now_ns() - t) != 0)
			break;
	}
	if (n > 0)
		qsort(lat, n, sizeof(*lat), cmp_u64);
	bk->floor_p50 = pct_us(lat, n, 50);
	free(lat);
	sshbuf_free(sig);
}
