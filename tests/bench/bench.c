/*
 * make bench: skagent and OpenSSH's ssh-agent side by side, in one run,
 * driven through their sockets by this client.  Both agents are started
 * here (-D -a on a temporary socket) and get the same keys over the
 * protocol (ADD_IDENTITY); every measurement alternates between them
 * (ABBA rounds, each after a warm-up) so that drift hits both alike.
 * Security-key signatures go through skagent to softtoken and are compared
 * with the same call made here (ssh-agent cannot reach softtoken).
 *
 * Honesty: every request must get the reply its type calls for, or the row
 * fails; a sample of each agent's signatures (the first of every client and
 * every SAMPLE_EVERY-th) is checked with lib/key.c's key_verify(); every
 * identities answer must be byte-identical to one checked to hold exactly
 * the keys that were added.
 *
 * Exit status: 0 when everything ran and checked out, whether or not the
 * targets were met; 1 on any failure; 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent-client.h"
#include "bench.h"
#include "key.h"
#include "secmem.h"
#include "sk.h"
#include "sshbuf.h"
#include "token.h"

#define MAX_CLIENTS		64
#define SAMPLE_EVERY		256
#define SAMPLES_MAX		8	/* per client per run */
#define SSH2_AGENTC_SIGN_REQUEST	13
#define SSH2_AGENT_SIGN_RESPONSE	14
#define SSH2_AGENTC_ADD_IDENTITY	17
#define SSH2_AGENTC_ADD_ID_CONSTRAINED	25
#define SSH_AGENT_CONSTRAIN_EXTENSION	255
#define SSH_AGENT_RSA_SHA2_512		0x04

enum { OURS = 0, THEIRS = 1 };

static struct {
	double duration;	/* measured seconds per agent per row */
	int rounds;
	int nkeys;
	int clients[8];
	size_t nclients;
	char *only;
	int tsv;
	const char *skagent, *ssh_agent, *softtoken;
} o = {
	.duration = 2.0,
	.rounds = 2,
	.nkeys = 1000,
	.clients = { 1, 4 },
	.nclients = 2,
};

static struct agent agents[2] = {
	{ .name = "skagent", .pid = -1 },
	{ .name = "ssh-agent", .pid = -1 },
};
static char tmpdir[64];
static int failures;

/* A signing key, the same in both agents. */
struct bkey {
	const char *label;
	enum key_type type;
	unsigned int bits;
	const char *alg;	/* the signature algorithm asked for */
	uint32_t flags;		/* SIGN flags */
	struct key *key;
	struct sshbuf *add;	/* ADD_IDENTITY frame */
	struct sshbuf *sign;	/* SIGN_REQUEST frame (template) */
	size_t data_off, dlen;	/* the signed data inside it */
	double floor_p50;	/* key_sign in this process, us */
};

static struct bkey bkeys[] = {
	{ .label = "ed25519", .type = KEY_ED25519, .alg = "ssh-ed25519" },
	{ .label = "ecdsa-p256", .type = KEY_ECDSA, .bits = 256,
	    .alg = "ecdsa-sha2-nistp256" },
	{ .label = "rsa-3072", .type = KEY_RSA, .bits = 3072,
	    .alg = "rsa-sha2-512", .flags = SSH_AGENT_RSA_SHA2_512 },
};
#define NBKEYS (sizeof(bkeys) / sizeof(bkeys[0]))

/* Enrolled on softtoken by section_sk. */
static struct bkey skbkey = {
	.label = "sk-ed25519", .type = KEY_ED25519_SK,
	.alg = "sk-ssh-ed25519@openssh.com",
};
static struct agent token = { .name = "softtoken", .pid = -1 };

/* WL_SK_DIRECT: sk_sign_key() in this process, no agent in between. */
enum wl { WL_SIGN, WL_CONNECT, WL_LIST, WL_SK_DIRECT };

/* What every client of one run does. */
struct work {
	enum wl kind;
	const char *sock;
	const struct bkey *bk;			/* all but WL_LIST */
	struct token_ctx *tok;			/* WL_SK_DIRECT */
	const uint8_t *expect;			/* WL_LIST: the checked answer */
	size_t expectlen;
	double seconds;
};

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

enum ratio_kind { RATIO_OPS, RATIO_P50, RATIO_OVERHEAD };

struct row {
	char id[40];		/* --only and --tsv name */
	char label[64];
	int measured;
	double ops[2], p50[2], p99[2], cpu[2];	/* us; cpu < 0: unknown */
	size_t verified[2];
	uint64_t n[2];		/* requests answered, measured runs */
	double floor_p50;	/* in-process signature, us; 0: none */
	enum ratio_kind rk;
	double target;		/* 0: none */
	int failed;
	char note[200];
};

struct memrow {
	char id[40];
	char label[64];
	double v[2];		/* < 0: unknown */
	int lower_better;	/* the ratio is theirs / ours */
	double target;		/* 0: none */
	const char *unit;
};

static struct row rows[32];
static size_t nrows;
static struct memrow memrows[16];
static size_t nmemrows;

static void
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
selected(const char *id)
{
	char *list, *tok, *save = NULL;
	size_t n;
	int hit = 0;

	if (o.only == NULL)
		return 1;
	if ((list = strdup(o.only)) == NULL)
		return 1;
	for (tok = strtok_r(list, ",", &save); tok != NULL && !hit;
	    tok = strtok_r(NULL, ",", &save)) {
		n = strlen(tok);
		hit = strncmp(id, tok, n) == 0 && (id[n] == '\0' || id[n] == '-');
	}
	free(list);
	return hit;
}

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

/* Requests */

/* u32 len, then the message; the caller frees. */
static struct sshbuf *
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
static int
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
	    (r = sshbuf_put_u8(data, 50)) != 0 ||
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

static int
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
	    (r = sshbuf_put_cstring(msg, "sk-provider@openssh.com")) != 0 ||
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

static void
bkey_free(struct bkey *bk)
{
	key_free(bk->key);
	sshbuf_free(bk->add);	/* wipes the private key */
	sshbuf_free(bk->sign);
	bk->key = NULL;
	bk->add = bk->sign = NULL;
}

/* Sends one frame; the reply must be SUCCESS. */
static int
add_one(struct agent *a, int fd, const struct sshbuf *frame, struct rbuf *rb)
{
	int r;

	if ((r = frame_xfer(fd, sshbuf_ptr(frame), sshbuf_len(frame), rb)) != 0)
		return r;
	if (rb->len != 1 || rb->p[0] != SSH_AGENT_SUCCESS)
		return SKA_ERR_AGENT_FAILURE;
	return 0;
}

/* The clients */

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

static double
warmup_seconds(double round)
{
	double s = round / 5;

	return s < 0.05 ? 0.05 : s > 0.25 ? 0.25 : s;
}

/*
 * A row: o.rounds alternating rounds (ABBA...) of both sides, each run
 * preceded by a warm-up.  Fills ops/p50/p99/cpu of both columns.  ag[i]
 * NULL: side i runs in this process.
 */
static void
measure_sides(struct row *rw, struct work w[2], int nclients,
    struct agent *ag[2])
{
	struct tally t[2];
	struct work warm;
	double round = o.duration / o.rounds;
	int rd, i, who;

	memset(t, 0, sizeof(t));
	for (rd = 0; rd < o.rounds; rd++) {
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

static void
measure(struct row *rw, struct work w[2], int nclients)
{
	struct agent *ag[2] = { &agents[OURS], &agents[THEIRS] };

	measure_sides(rw, w, nclients, ag);
}

static struct row *
new_row(const char *id, const char *label, enum ratio_kind rk, double target)
{
	struct row *rw;

	if (nrows >= sizeof(rows) / sizeof(rows[0])) {
		fprintf(stderr, "bench: too many rows\n");
		exit(1);
	}
	rw = &rows[nrows++];
	memset(rw, 0, sizeof(*rw));
	snprintf(rw->id, sizeof(rw->id), "%s", id);
	snprintf(rw->label, sizeof(rw->label), "%s", label);
	rw->rk = rk;
	rw->target = target;
	return rw;
}

static void
new_memrow(const char *id, const char *label, double ours, double theirs,
    int lower_better, double target, const char *unit)
{
	struct memrow *m;

	if (nmemrows >= sizeof(memrows) / sizeof(memrows[0]))
		return;
	m = &memrows[nmemrows++];
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->label, sizeof(m->label), "%s", label);
	m->v[OURS] = ours;
	m->v[THEIRS] = theirs;
	m->lower_better = lower_better;
	m->target = target;
	m->unit = unit;
}

/* Sections */

static int
start_pair(const char *tag)
{
	char err[ERRLEN], t[32];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(t, sizeof(t), "%s-%s", tag, i == OURS ? "sk" : "ossh");
		if (agent_start(&agents[i], tmpdir, t, NULL, err) != 0) {
			fail("%s", err);
			agent_stop(&agents[OURS]);
			return -1;
		}
	}
	return 0;
}

static void
stop_pair(void)
{
	agent_stop(&agents[OURS]);
	agent_stop(&agents[THEIRS]);
}

/* key_sign in this process: the floor under any agent's latency. */
static void
measure_floor(struct bkey *bk)
{
	struct sshbuf *sig = NULL;
	uint64_t *lat = NULL, t, end;
	size_t n = 0, cap = 0;
	const uint8_t *data = sshbuf_ptr(bk->sign) + bk->data_off;

	if ((sig = sshbuf_new()) == NULL)
		return;
	end = now_ns() + (uint64_t)(warmup_seconds(o.duration) * 1e9);
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

static int
any_selected(const char *prefix)
{
	char id[48];
	size_t i, c;

	if (strcmp(prefix, "sign") == 0) {
		for (i = 0; i < NBKEYS; i++)
			for (c = 0; c < o.nclients; c++) {
				snprintf(id, sizeof(id), "sign-%s-%d",
				    bkeys[i].label, o.clients[c]);
				if (selected(id))
					return 1;
			}
		return 0;
	}
	if (strcmp(prefix, "connect") == 0) {
		for (c = 0; c < o.nclients; c++) {
			snprintf(id, sizeof(id), "connect-ed25519-%d",
			    o.clients[c]);
			if (selected(id))
				return 1;
		}
		return 0;
	}
	return selected(prefix);
}

static void
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

static double
sign_target(const struct bkey *bk, int nclients)
{
	if (bk->type != KEY_ED25519)
		return 0;
	return nclients == 1 ? 10 : nclients == 4 ? 15 : 0;
}

static void
section_sign(void)
{
	struct rbuf rb = { 0 };
	struct work w[2];
	struct row *rw;
	char id[48], label[64];
	size_t i, c;
	int a, fd, r;

	if (!any_selected("sign") && !any_selected("connect"))
		return;
	for (i = 0; i < NBKEYS; i++) {
		struct bkey *bk = &bkeys[i];

		if ((r = key_generate(bk->type, bk->bits, &bk->key)) != 0 ||
		    (r = build_add(bk)) != 0 || (r = build_sign(bk)) != 0) {
			fail("%s key: %s", bk->label, ska_err(r));
			goto out;
		}
		measure_floor(bk);
	}
	if (start_pair("sign") != 0)
		goto out;
	for (a = 0; a < 2; a++) {
		if ((r = sock_connect(agents[a].sock, &fd)) != 0) {
			fail("%s: connect: %s", agents[a].name, ska_err(r));
			goto out;
		}
		for (i = 0; i < NBKEYS && r == 0; i++) {
			if ((r = add_one(&agents[a], fd, bkeys[i].add, &rb)) != 0)
				fail("%s refused the %s key: %s", agents[a].name,
				    bkeys[i].label, ska_err(r));
		}
		close(fd);
		if (r != 0)
			goto out;
	}
	for (i = 0; i < NBKEYS; i++) {
		for (c = 0; c < o.nclients; c++) {
			snprintf(id, sizeof(id), "sign-%s-%d", bkeys[i].label,
			    o.clients[c]);
			if (!selected(id))
				continue;
			snprintf(label, sizeof(label), "sign %s, %d client%s",
			    bkeys[i].label, o.clients[c],
			    o.clients[c] == 1 ? "" : "s");
			rw = new_row(id, label, RATIO_OPS,
			    sign_target(&bkeys[i], o.clients[c]));
			rw->floor_p50 = bkeys[i].floor_p50;
			work_pair(w, WL_SIGN, &bkeys[i]);
			measure(rw, w, o.clients[c]);
		}
	}
	for (c = 0; c < o.nclients; c++) {
		snprintf(id, sizeof(id), "connect-ed25519-%d", o.clients[c]);
		if (!selected(id))
			continue;
		snprintf(label, sizeof(label), "connect+sign ed25519, %d client%s",
		    o.clients[c], o.clients[c] == 1 ? "" : "s");
		rw = new_row(id, label, RATIO_OPS, 0);
		rw->floor_p50 = bkeys[0].floor_p50;
		work_pair(w, WL_CONNECT, &bkeys[0]);
		measure(rw, w, o.clients[c]);
	}
 out:
	rbuf_free(&rb);
	stop_pair();
	for (i = 0; i < NBKEYS; i++)
		bkey_free(&bkeys[i]);
}

/* o.nkeys ed25519 keys straight from libsodium: blobs kept, frames built. */
struct keyset {
	struct sshbuf **add;
	struct sshbuf **blob;
	char **comment;
	size_t n;
};

static void
keyset_free(struct keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++) {
		sshbuf_free(ks->add[i]);	/* wipes */
		sshbuf_free(ks->blob[i]);
		free(ks->comment[i]);
	}
	free(ks->add);
	free(ks->blob);
	free(ks->comment);
	memset(ks, 0, sizeof(*ks));
}

static int
keyset_make(struct keyset *ks, size_t n)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	struct sshbuf *msg = NULL;
	size_t i;
	int r = SKA_ERR_ALLOC_FAIL;

	memset(ks, 0, sizeof(*ks));
	if ((ks->add = calloc(n, sizeof(*ks->add))) == NULL ||
	    (ks->blob = calloc(n, sizeof(*ks->blob))) == NULL ||
	    (ks->comment = calloc(n, sizeof(*ks->comment))) == NULL)
		goto out;
	for (i = 0; i < n; i++, ks->n++) {
		crypto_sign_keypair(pk, sk);
		if (asprintf(&ks->comment[i], "bench-%04zu", i) < 0) {
			ks->comment[i] = NULL;
			goto out;
		}
		if ((msg = sshbuf_new()) == NULL ||
		    (ks->blob[i] = sshbuf_new()) == NULL)
			goto out;
		if ((r = sshbuf_put_cstring(ks->blob[i], "ssh-ed25519")) != 0 ||
		    (r = sshbuf_put_string(ks->blob[i], pk, sizeof(pk))) != 0 ||
		    (r = sshbuf_put_u8(msg, SSH2_AGENTC_ADD_IDENTITY)) != 0 ||
		    (r = sshbuf_put_cstring(msg, "ssh-ed25519")) != 0 ||
		    (r = sshbuf_put_string(msg, pk, sizeof(pk))) != 0 ||
		    (r = sshbuf_put_string(msg, sk, sizeof(sk))) != 0 ||
		    (r = sshbuf_put_cstring(msg, ks->comment[i])) != 0)
			goto out;
		if ((ks->add[i] = frame_of(msg)) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		sshbuf_free(msg);
		msg = NULL;
	}
	r = 0;
 out:
	sodium_memzero(sk, sizeof(sk));
	sshbuf_free(msg);
	if (r != 0)
		keyset_free(ks);
	return r;
}

/* The answer must list exactly the keys added, with their comments. */
static int
check_identities(const struct agent *a, const struct rbuf *rb,
    const struct keyset *ks)
{
	struct agent_keylist *l = NULL;
	const struct agent_key *k;
	size_t i;
	int r;

	if ((r = agent_parse_identities(rb->p, rb->len, &l)) != 0) {
		fail("%s: identities answer: %s", a->name, ska_err(r));
		return r;
	}
	r = SKA_ERR_AGENT_FAILURE;
	if (l->n != ks->n) {
		fail("%s lists %zu keys, %zu were added", a->name, l->n, ks->n);
		goto out;
	}
	for (i = 0; i < ks->n; i++) {
		k = agent_keylist_find(l, sshbuf_ptr(ks->blob[i]),
		    sshbuf_len(ks->blob[i]));
		if (k == NULL || strcmp(k->comment, ks->comment[i]) != 0) {
			fail("%s: key %s is %s", a->name, ks->comment[i],
			    k == NULL ? "missing" : "listed with another comment");
			goto out;
		}
	}
	r = 0;
 out:
	agent_keylist_free(l);
	return r;
}

static double
kb_per_key(long before, long after, size_t n)
{
	if (before < 0 || after < 0 || n == 0)
		return -1;
	return (double)(after - before) * 1024.0 / (double)n;
}

static void
section_keys(void)
{
	static const uint8_t list_req[5] = { 0, 0, 0, 1,
	    SSH2_AGENTC_REQUEST_IDENTITIES };
	struct keyset ks;
	struct memstat m0[2], m1[2];
	struct rbuf rb[2] = { { 0 }, { 0 } };
	double add_ms[2] = { -1, -1 };
	struct work w[2];
	struct row *rw;
	char id[32], label[64];
	uint64_t t;
	size_t i;
	int a, fd = -1, r;

	if (!any_selected("list") && !any_selected("mem"))
		return;
	if ((r = keyset_make(&ks, (size_t)o.nkeys)) != 0) {
		fail("generating %d keys: %s", o.nkeys, ska_err(r));
		return;
	}
	if (start_pair("keys") != 0)
		goto out;
	for (a = 0; a < 2; a++) {
		/* one round trip first: the baseline includes a served client */
		if ((r = sock_connect(agents[a].sock, &fd)) != 0 ||
		    (r = frame_xfer(fd, list_req, sizeof(list_req), &rb[a])) != 0) {
			fail("%s: %s", agents[a].name, ska_err(r));
			goto out;
		}
		memstat_read(agents[a].pid, &m0[a]);
		t = now_ns();
		for (i = 0; i < ks.n; i++) {
			if ((r = add_one(&agents[a], fd, ks.add[i], &rb[a])) != 0) {
				fail("%s refused key %zu: %s", agents[a].name, i,
				    ska_err(r));
				goto out;
			}
		}
		add_ms[a] = (double)(now_ns() - t) / 1e6;
		memstat_read(agents[a].pid, &m1[a]);
		if ((r = frame_xfer(fd, list_req, sizeof(list_req), &rb[a])) != 0) {
			fail("%s: %s", agents[a].name, ska_err(r));
			goto out;
		}
		if (check_identities(&agents[a], &rb[a], &ks) != 0)
			goto out;
		close(fd);
		fd = -1;
	}
	if (selected("mem")) {
		new_memrow("mem-rss", "VmRSS growth per key", kb_per_key(
		    m0[OURS].rss_kb, m1[OURS].rss_kb, ks.n), kb_per_key(
		    m0[THEIRS].rss_kb, m1[THEIRS].rss_kb, ks.n), 1, 1, "bytes");
		new_memrow("mem-private", "private (smaps) growth per key",
		    kb_per_key(m0[OURS].private_kb, m1[OURS].private_kb, ks.n),
		    kb_per_key(m0[THEIRS].private_kb, m1[THEIRS].private_kb,
		    ks.n), 1, 0, "bytes");
		new_memrow("mem-pss", "PSS growth per key",
		    kb_per_key(m0[OURS].pss_kb, m1[OURS].pss_kb, ks.n),
		    kb_per_key(m0[THEIRS].pss_kb, m1[THEIRS].pss_kb, ks.n), 1, 0,
		    "bytes");
		new_memrow("mem-rss-total", "VmRSS total with the keys",
		    m1[OURS].rss_kb, m1[THEIRS].rss_kb, 1, 0, "KiB");
		new_memrow("mem-locked-total", "mlock'd total with the keys",
		    m1[OURS].locked_kb, m1[THEIRS].locked_kb, 1, 0, "KiB");
		new_memrow("mem-add-time", "time to add the keys, one connection",
		    add_ms[OURS], add_ms[THEIRS], 1, 0, "ms");
	}
	snprintf(id, sizeof(id), "list-%d", o.nkeys);
	if (selected("list")) {
		snprintf(label, sizeof(label), "list %d keys, 1 client", o.nkeys);
		rw = new_row(id, label, RATIO_P50, 3);
		/* each agent's own checked answer: the order may differ */
		work_pair(w, WL_LIST, NULL);
		for (a = 0; a < 2; a++) {
			w[a].expect = rb[a].p;
			w[a].expectlen = rb[a].len;
		}
		measure(rw, w, 1);
	}
 out:
	if (fd != -1)
		close(fd);
	rbuf_free(&rb[0]);
	rbuf_free(&rb[1]);
	stop_pair();
	keyset_free(&ks);
}

/* Runs argv, returns its output (stdout and stderr, at most len-1 bytes). */
static int
run_capture(const char **argv, char *out, size_t len)
{
	union {
		const char **c;
		char *const *v;		/* execv's type */
	} av;
	size_t have = 0;
	ssize_t n;
	int p[2], status, fd;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) != -1)
			dup2(fd, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		av.c = argv;
		execv(argv[0], av.v);
		_exit(127);
	}
	close(p[1]);
	while (have + 1 < len) {
		if ((n = read(p[0], out + have, len - 1 - have)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	out[have] = '\0';
	close(p[0]);
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Security-key signatures on softtoken (touch approved at once): through
 * skagent --token unix:SOCK, against the same sk_sign_key() call the agent
 * makes, done here over the same transport (the floor column).  The
 * difference of the p50s is the agent's overhead; target under 1 ms.
 * Stock ssh-agent cannot reach softtoken (it would need an SSH_SK_PROVIDER
 * middleware that speaks to it): its column stays empty.
 */
static void
section_sk(void)
{
	const char *help_argv[] = { o.skagent, "--help", NULL };
	const char *extra[] = { "--token", NULL, NULL };
	struct bkey *bk = &skbkey;
	struct agent *ag[2] = { &agents[OURS], NULL };
	struct token_ctx *ctx = NULL;
	struct token_req req;
	struct rbuf rb = { 0 };
	struct work w[2];
	struct row *rw;
	char help[8192], spec[sizeof(token.sock) + 8], err[ERRLEN];
	int fd, r;

	if (!selected("sk-ed25519-1"))
		return;
	rw = new_row("sk-ed25519-1", "sk-ed25519 (softtoken), 1 client",
	    RATIO_OVERHEAD, 1000);
	if (run_capture(help_argv, help, sizeof(help)) < 0 ||
	    strstr(help, "--token") == NULL) {
		snprintf(rw->note, sizeof(rw->note), "not measured: this "
		    "skagent has no --token option");
		return;
	}
	if (o.softtoken == NULL || access(o.softtoken, X_OK) != 0) {
		snprintf(rw->note, sizeof(rw->note), "not measured: no "
		    "softtoken (make all-tests, or --softtoken PATH)");
		return;
	}
	snprintf(rw->note, sizeof(rw->note), "ssh-agent cannot reach "
	    "softtoken; floor: sk_sign_key() in the bench, same token");
	token.path = o.softtoken;
	if (softtoken_start(&token, tmpdir, "softtoken", err) != 0) {
		fail("%s", err);
		goto fail;
	}
	snprintf(spec, sizeof(spec), "unix:%s", token.sock);
	extra[1] = spec;
	if (agent_start(&agents[OURS], tmpdir, "sk-sk", extra, err) != 0) {
		fail("%s", err);
		goto fail;
	}
	if ((r = token_ctx_new(&ctx)) != 0 ||
	    (r = token_ctx_add_device(ctx, spec)) != 0) {
		fail("token layer: %s", ska_err(r));
		goto fail;
	}
	token_ctx_set_discovery(ctx, 0);
	memset(&req, 0, sizeof(req));
	if ((r = sk_enroll_key(ctx, &req, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL, 0, &bk->key, NULL)) != 0) {
		fail("enrolling an sk-ed25519 key on softtoken: %s", ska_err(r));
		goto fail;
	}
	if ((r = build_add(bk)) != 0 || (r = build_sign(bk)) != 0) {
		fail("sk key: %s", ska_err(r));
		goto fail;
	}
	if ((r = sock_connect(agents[OURS].sock, &fd)) != 0) {
		fail("skagent: connect: %s", ska_err(r));
		goto fail;
	}
	r = add_one(&agents[OURS], fd, bk->add, &rb);
	close(fd);
	if (r != 0) {
		fail("skagent refused the sk key: %s", ska_err(r));
		goto fail;
	}
	memset(w, 0, sizeof(w));
	w[0].kind = WL_SIGN;
	w[0].sock = agents[OURS].sock;
	w[0].bk = bk;
	w[1].kind = WL_SK_DIRECT;
	w[1].bk = bk;
	w[1].tok = ctx;
	measure_sides(rw, w, 1, ag);
	/* the direct side is the floor, not ssh-agent */
	rw->floor_p50 = rw->p50[THEIRS];
	rw->ops[THEIRS] = rw->p50[THEIRS] = rw->p99[THEIRS] = -1;
	rw->cpu[THEIRS] = -1;
	goto out;
 fail:
	rw->measured = 1;
	rw->failed = 1;
 out:
	rbuf_free(&rb);
	agent_stop(&agents[OURS]);
	token_ctx_free(ctx);
	agent_stop(&token);
	bkey_free(bk);
}

/* Output */

static double
row_ratio(const struct row *rw)
{
	switch (rw->rk) {
	case RATIO_OPS:
		if (rw->ops[OURS] <= 0 || rw->ops[THEIRS] <= 0)
			return 0;
		return rw->ops[OURS] / rw->ops[THEIRS];
	case RATIO_P50:
		if (rw->p50[OURS] <= 0 || rw->p50[THEIRS] <= 0)
			return 0;
		return rw->p50[THEIRS] / rw->p50[OURS];
	case RATIO_OVERHEAD:
		/* not a ratio: us the agent adds to the floor */
		return rw->p50[OURS] - rw->floor_p50;
	default:
		return 0;
	}
}

static const char *
row_result(const struct row *rw)
{
	if (rw->failed)
		return "FAIL";
	if (!rw->measured)
		return "n/a";
	if (rw->target <= 0)
		return "-";
	if (rw->rk == RATIO_OVERHEAD)
		return row_ratio(rw) < rw->target ? "PASS" : "MISS";
	return row_ratio(rw) >= rw->target ? "PASS" : "MISS";
}

static double
mem_ratio(const struct memrow *m)
{
	if (m->v[OURS] < 0 || m->v[THEIRS] < 0)
		return 0;
	if (m->lower_better)
		return m->v[OURS] > 0 ? m->v[THEIRS] / m->v[OURS] : 0;
	return m->v[THEIRS] > 0 ? m->v[OURS] / m->v[THEIRS] : 0;
}

static const char *
mem_result(const struct memrow *m)
{
	if (m->v[OURS] < 0 || m->v[THEIRS] < 0)
		return m->target > 0 ? "n/a" : "-";
	if (m->target <= 0)
		return "-";
	/* "less memory": strictly better */
	if (m->lower_better)
		return m->v[OURS] < m->v[THEIRS] ? "PASS" : "MISS";
	return m->v[OURS] > m->v[THEIRS] ? "PASS" : "MISS";
}

static void
fmt_num(char *buf, size_t len, double v, int prec)
{
	if (v < 0)
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.*f", prec, v);
}

static void
cpu_model(char *buf, size_t len)
{
	char line[256], *p;
	FILE *f;

	snprintf(buf, len, "unknown cpu");
	if ((f = fopen("/proc/cpuinfo", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) != 0 ||
		    (p = strchr(line, ':')) == NULL)
			continue;
		p += strspn(p + 1, " \t") + 1;
		p[strcspn(p, "\n")] = '\0';
		snprintf(buf, len, "%s", p);
		break;
	}
	fclose(f);
}

static void
openssh_version(char *buf, size_t len)
{
	char ssh[PATH_MAX], *slash;
	const char *argv[] = { ssh, "-V", NULL };

	snprintf(buf, len, "unknown version");
	snprintf(ssh, sizeof(ssh), "%s", o.ssh_agent);
	if ((slash = strrchr(ssh, '/')) == NULL ||
	    (size_t)(slash - ssh) + 5 > sizeof(ssh))
		return;
	strcpy(slash + 1, "ssh");	/* the ssh next to this ssh-agent */
	if (run_capture(argv, buf, len) != 0 || buf[0] == '\0')
		snprintf(buf, len, "unknown version");
	buf[strcspn(buf, ",\n")] = '\0';
}

/* The 1-minute load average: how busy the machine was besides us. */
static void
loadavg(char *buf, size_t len)
{
	FILE *f;

	snprintf(buf, len, "?");
	if ((f = fopen("/proc/loadavg", "r")) == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		snprintf(buf, len, "?");
	fclose(f);
	buf[strcspn(buf, " \n")] = '\0';
}

static void
print_header(void)
{
	char when[64], cpu[128], ver[128], load[32];
	struct utsname u;
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	cpu_model(cpu, sizeof(cpu));
	openssh_version(ver, sizeof(ver));
	loadavg(load, sizeof(load));
	if (uname(&u) != 0)
		snprintf(u.release, sizeof(u.release), "?");
	if (o.tsv) {
		printf("# date\t%s\n# cores\t%ld\n# cpu\t%s\n# kernel\t%s\n"
		    "# load_at_start\t%s\n# skagent\t%s\n# ssh-agent\t%s\t%s\n"
		    "# seconds_per_row\t%g\n# rounds\t%d\n", when,
		    sysconf(_SC_NPROCESSORS_ONLN), cpu, u.release, load,
		    o.skagent, o.ssh_agent, ver, o.duration, o.rounds);
		printf("row\tmetric\tskagent\tssh-agent\tratio\ttarget\tresult\n");
		return;
	}
	printf("skagent bench, %s\n", when);
	printf("machine:   %ld cores online (%s), Linux %s, load %s\n",
	    sysconf(_SC_NPROCESSORS_ONLN), cpu, u.release, load);
	printf("skagent:   %s\n", o.skagent);
	printf("ssh-agent: %s (%s)\n", o.ssh_agent, ver);
	printf("each row:  %g s per agent in %d alternating rounds, each "
	    "after a warm-up\n\n", o.duration, o.rounds);
}

/* id, metric, then both sides' values ("-" for unknown), no verdict. */
static void
tsv_pair(const char *id, const char *metric, double ours, double theirs,
    int prec)
{
	double v[2] = { ours, theirs };
	int k;

	printf("%s\t%s", id, metric);
	for (k = 0; k < 2; k++) {
		if (v[k] < 0)
			printf("\t-");
		else
			printf("\t%.*f", prec, v[k]);
	}
	printf("\t-\t-\t-\n");
}

static void
print_tsv(void)
{
	const struct row *rw;
	const struct memrow *m;
	char tgt[16];
	size_t i;
	int k;

	for (i = 0; i < nrows; i++) {
		rw = &rows[i];
		switch (rw->rk) {
		case RATIO_OPS:
			snprintf(tgt, sizeof(tgt), "%g", rw->target);
			printf("%s\tops_per_s\t%.1f\t%.1f\t%.2f\t%s\t%s\n",
			    rw->id, rw->ops[OURS], rw->ops[THEIRS],
			    row_ratio(rw), rw->target > 0 ? tgt : "-",
			    row_result(rw));
			break;
		case RATIO_P50:
			snprintf(tgt, sizeof(tgt), "%g", rw->target);
			printf("%s\tp50_us\t%.1f\t%.1f\t%.2f\t%s\t%s\n",
			    rw->id, rw->p50[OURS], rw->p50[THEIRS],
			    row_ratio(rw), rw->target > 0 ? tgt : "-",
			    row_result(rw));
			break;
		case RATIO_OVERHEAD:
			/* skagent's p50 less the floor's, in us */
			printf("%s\toverhead_p50_us\t", rw->id);
			if (rw->measured && !rw->failed)
				printf("%.1f", row_ratio(rw));
			else
				printf("-");
			printf("\t-\t-\t<%g\t%s\n", rw->target,
			    row_result(rw));
			break;
		}
		if (!rw->measured)
			continue;
		if (rw->rk != RATIO_OPS)
			tsv_pair(rw->id, "ops_per_s", rw->ops[OURS],
			    rw->ops[THEIRS], 1);
		if (rw->rk != RATIO_P50)
			tsv_pair(rw->id, "p50_us", rw->p50[OURS],
			    rw->p50[THEIRS], 1);
		tsv_pair(rw->id, "p99_us", rw->p99[OURS], rw->p99[THEIRS], 1);
		tsv_pair(rw->id, "cpu_us_per_op", rw->cpu[OURS],
		    rw->cpu[THEIRS], 1);
		tsv_pair(rw->id, "requests", (double)rw->n[OURS],
		    rw->rk == RATIO_OVERHEAD ? -1 : (double)rw->n[THEIRS], 0);
		tsv_pair(rw->id, "verified", (double)rw->verified[OURS],
		    rw->rk == RATIO_OVERHEAD ? -1 : (double)rw->verified[THEIRS],
		    0);
		if (rw->floor_p50 > 0)
			tsv_pair(rw->id, "in_process_p50_us", rw->floor_p50, -1,
			    1);
	}
	for (i = 0; i < nmemrows; i++) {
		m = &memrows[i];
		printf("%s\t%s", m->id, m->unit);
		for (k = 0; k < 2; k++) {
			if (m->v[k] < 0)
				printf("\t-");
			else
				printf("\t%.*f", strcmp(m->unit, "ms") == 0 ?
				    1 : 0, m->v[k]);
		}
		printf("\t%.2f\t%s\t%s\n", mem_ratio(m),
		    m->target > 0 ? "less" : "-", mem_result(m));
	}
}

static void
print_table(void)
{
	const struct row *rw;
	const struct memrow *m;
	char c[2][4][16], rt[16], tgt[16], fl[16], v[2][16];
	size_t i;
	int k, prec, any_note = 0;

	if (nrows > 0) {
		printf("%-34s|%34s|%34s|\n", "", "skagent         ",
		    "ssh-agent        ");
		printf("%-34s|%9s%8s%8s%8s |%9s%8s%8s%8s |%8s%8s%7s%9s\n",
		    "test", "ops/s", "p50 us", "p99 us", "cpu us", "ops/s",
		    "p50 us", "p99 us", "cpu us", "ratio", "target", "result",
		    "floor us");
	}
	for (i = 0; i < nrows; i++) {
		rw = &rows[i];
		for (k = 0; k < 2; k++) {
			if (!rw->measured) {
				for (size_t j = 0; j < 4; j++)
					snprintf(c[k][j], sizeof(c[k][j]), "-");
				continue;
			}
			fmt_num(c[k][0], sizeof(c[k][0]), rw->ops[k], 0);
			fmt_num(c[k][1], sizeof(c[k][1]), rw->p50[k], 1);
			fmt_num(c[k][2], sizeof(c[k][2]), rw->p99[k], 1);
			fmt_num(c[k][3], sizeof(c[k][3]), rw->cpu[k], 1);
		}
		if (rw->measured && !rw->failed && rw->rk == RATIO_OVERHEAD)
			snprintf(rt, sizeof(rt), "+%.0fus", row_ratio(rw));
		else if (rw->measured && !rw->failed)
			snprintf(rt, sizeof(rt), "%.1fx%s", row_ratio(rw),
			    rw->rk == RATIO_P50 ? "*" : "");
		else
			snprintf(rt, sizeof(rt), "-");
		if (rw->rk == RATIO_OVERHEAD)
			snprintf(tgt, sizeof(tgt), "<1ms");
		else if (rw->target > 0)
			snprintf(tgt, sizeof(tgt), ">=%gx", rw->target);
		else
			snprintf(tgt, sizeof(tgt), "-");
		if (rw->floor_p50 > 0)
			snprintf(fl, sizeof(fl), "%.1f", rw->floor_p50);
		else
			snprintf(fl, sizeof(fl), "-");
		printf("%-34s|%9s%8s%8s%8s |%9s%8s%8s%8s |%8s%8s%7s%9s\n",
		    rw->label, c[0][0], c[0][1], c[0][2], c[0][3], c[1][0],
		    c[1][1], c[1][2], c[1][3], rt, tgt, row_result(rw), fl);
		if (rw->note[0] != '\0')
			any_note = 1;
	}
	if (nrows > 0) {
		printf("\nratio: skagent's advantage, ops/s ours / theirs "
		    "(* list: p50 theirs / ours).\n"
		    "cpu us: the agent's CPU time (all threads) per request.  "
		    "floor us: p50 of the same\nsignature made in this "
		    "process: key_sign(), the cryptography alone; for sk keys\n"
		    "sk_sign_key() on the same token, so that sk's ratio is "
		    "the agent's p50 overhead.\n");
	}
	for (i = 0; any_note && i < nrows; i++)
		if (rows[i].note[0] != '\0')
			printf("%s: %s\n", rows[i].label, rows[i].note);
	if (nmemrows == 0)
		return;
	printf("\n%-40s%12s%12s%8s%8s%7s\n", "memory, ed25519 keys added",
	    "skagent", "ssh-agent", "ratio", "target", "result");
	for (i = 0; i < nmemrows; i++) {
		char lab[64];

		m = &memrows[i];
		snprintf(lab, sizeof(lab), "%s (%s)", m->label, m->unit);
		prec = strcmp(m->unit, "ms") == 0 ? 1 : 0;
		fmt_num(v[0], sizeof(v[0]), m->v[OURS], prec);
		fmt_num(v[1], sizeof(v[1]), m->v[THEIRS], prec);
		if (mem_ratio(m) > 0)
			snprintf(rt, sizeof(rt), "%.1fx", mem_ratio(m));
		else
			snprintf(rt, sizeof(rt), "-");
		printf("%-40s%12s%12s%8s%8s%7s\n", lab, v[0], v[1], rt,
		    m->target > 0 ? "less" : "-", mem_result(m));
	}
	printf("\nratio: theirs / ours.  Growth: from a started agent that "
	    "has served one request\nto the same agent holding %d more keys.  "
	    "skagent's secure heap (OpenSSL, 4 MiB)\nis mlock'd on fault "
	    "(MLOCK_ONFAULT): only the pages the keys' secret halves touch\n"
	    "are resident, and they are counted in the growth and in "
	    "\"mlock'd total\".\n", o.nkeys);
}

/* Main */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: bench [--quick] [--duration SECONDS] [--rounds N] [--only LIST]\n"
"             [--tsv] [--keys N] [--clients LIST] [--skagent PATH]\n"
"             [--ssh-agent PATH] [--softtoken PATH]\n"
"\n"
"Runs skagent and OpenSSH's ssh-agent side by side and prints both, the\n"
"ratios and the targets.\n"
"\n"
"  --duration S    measured seconds per agent per row (default 2)\n"
"  --quick         --duration 0.5\n"
"  --rounds N      alternating rounds per row (default 2: ABBA)\n"
"  --only LIST     rows whose name starts with one of these (comma-separated\n"
"                  prefixes, whole words): sign, sign-ed25519, sign-rsa-3072-4,\n"
"                  connect, list, mem, sk\n"
"  --tsv           tab-separated output, one line per row and metric\n"
"  --keys N        keys for the list and memory rows (default 1000)\n"
"  --clients LIST  concurrent clients for sign and connect rows (default 1,4)\n"
"  --skagent PATH  default: agent/skagent of this build\n"
"  --ssh-agent PATH  default: ssh-agent on $PATH\n"
"  --softtoken PATH  default: tests/softtoken/softtoken of this build\n"
"\n"
"Exit status: 0 when every row ran and every check passed, met targets or\n"
"not; 1 when an agent failed a request or a signature did not verify;\n"
"2 on a usage error.\n");
}

static int
parse_double(const char *s, double min, double max, double *vp)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max))
		return -1;
	*vp = v;
	return 0;
}

static int
parse_clients(const char *s)
{
	double v;
	char *list, *tok, *save = NULL;
	int r = 0;

	if ((list = strdup(s)) == NULL)
		return -1;
	o.nclients = 0;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (o.nclients >= sizeof(o.clients) / sizeof(o.clients[0]) ||
		    parse_double(tok, 1, MAX_CLIENTS, &v) != 0 ||
		    v != floor(v)) {
			r = -1;
			break;
		}
		o.clients[o.nclients++] = (int)v;
	}
	free(list);
	return r == 0 && o.nclients > 0 ? 0 : -1;
}

/* dir of this program/../REL, or NULL */
static char *
next_to_me(const char *rel)
{
	char self[PATH_MAX], *slash, *p = NULL;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return NULL;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return NULL;
	*slash = '\0';
	if (asprintf(&p, "%s/%s", self, rel) < 0)
		return NULL;
	if (realpath(p, self) == NULL) {
		free(p);
		return NULL;
	}
	free(p);
	return strdup(self);
}

static char *
in_path(const char *name)
{
	const char *path = getenv("PATH");
	char *list, *dir, *save = NULL, *p = NULL;

	if (path == NULL || (list = strdup(path)) == NULL)
		return NULL;
	for (dir = strtok_r(list, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		if (asprintf(&p, "%s/%s", dir, name) < 0) {
			p = NULL;
			break;
		}
		if (access(p, X_OK) == 0)
			break;
		free(p);
		p = NULL;
	}
	free(list);
	return p;
}

static void
on_signal(int sig)
{
	int i;

	for (i = 0; i < 2; i++)
		if (agents[i].pid > 0)
			kill(agents[i].pid, SIGTERM);
	if (token.pid > 0)
		kill(token.pid, SIGTERM);
	_exit(128 + sig);
}

static void
cleanup_tmpdir(void)
{
	static const char *files[] = { "sign-sk.log", "sign-ossh.log",
	    "keys-sk.log", "keys-ossh.log", "sk-sk.log", "softtoken.log" };
	char p[sizeof(tmpdir) + 32];
	size_t i;

	if (tmpdir[0] == '\0')
		return;
	if (failures > 0) {
		fprintf(stderr, "bench: agents' logs kept in %s\n", tmpdir);
		return;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, files[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "quick", no_argument, NULL, 'q' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "only", required_argument, NULL, 'o' },
		{ "tsv", no_argument, NULL, 't' },
		{ "keys", required_argument, NULL, 'k' },
		{ "clients", required_argument, NULL, 'c' },
		{ "skagent", required_argument, NULL, 'S' },
		{ "ssh-agent", required_argument, NULL, 'O' },
		{ "softtoken", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction sa;
	const char *tmp;
	char load[32];
	double v;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (parse_double(optarg, 0.01, 3600, &o.duration) != 0)
				goto bad;
			break;
		case 'q':
			o.duration = 0.5;
			break;
		case 'r':
			if (parse_double(optarg, 1, 100, &v) != 0 || v != floor(v))
				goto bad;
			o.rounds = (int)v;
			break;
		case 'o':
			o.only = optarg;
			break;
		case 't':
			o.tsv = 1;
			break;
		case 'k':
			/* the client side refuses lists of more than 2048 */
			if (parse_double(optarg, 1, AGENT_CLIENT_MAX_KEYS, &v) != 0 ||
			    v != floor(v))
				goto bad;
			o.nkeys = (int)v;
			break;
		case 'c':
			if (parse_clients(optarg) != 0)
				goto bad;
			break;
		case 'S':
			o.skagent = optarg;
			break;
		case 'O':
			o.ssh_agent = optarg;
			break;
		case 'T':
			o.softtoken = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc)
		goto bad;
	if (o.skagent == NULL)
		o.skagent = next_to_me("../../agent/skagent");
	else
		o.skagent = realpath(o.skagent, NULL);
	if (o.ssh_agent == NULL)
		o.ssh_agent = in_path("ssh-agent");
	if (o.softtoken == NULL)
		o.softtoken = next_to_me("../softtoken/softtoken");
	if (o.skagent == NULL || access(o.skagent, X_OK) != 0) {
		fprintf(stderr, "bench: no skagent at %s (run make)\n",
		    o.skagent ? o.skagent : "?");
		return 1;
	}
	if (o.ssh_agent == NULL || access(o.ssh_agent, X_OK) != 0) {
		fprintf(stderr, "bench: no ssh-agent%s%s (install "
		    "openssh-client)\n", o.ssh_agent ? " at " : " on $PATH",
		    o.ssh_agent ? o.ssh_agent : "");
		return 1;
	}
	agents[OURS].path = o.skagent;
	agents[THEIRS].path = o.ssh_agent;
	if (sodium_init() < 0 || secmem_init(0) != 0) {
		fprintf(stderr, "bench: cannot initialise libsodium\n");
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp != '/' || strlen(tmp) > 40)
		tmp = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/skbench.XXXXXX", tmp);
	if (mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "bench: mkdtemp %s: %s\n", tmpdir, strerror(errno));
		tmpdir[0] = '\0';
		return 1;
	}

	print_header();
	fflush(stdout);
	section_sign();
	section_keys();
	section_sk();
	if (o.tsv)
		print_tsv();
	else
		print_table();
	loadavg(load, sizeof(load));
	printf("%sload average at the end: %s\n", o.tsv ? "# " : "\n", load);
	cleanup_tmpdir();
	return failures > 0 ? 1 : 0;
 bad:
	usage(stderr);
	return 2;
}
