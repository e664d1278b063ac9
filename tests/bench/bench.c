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
 * fails; a sample of each agent's signatures (the first of every client
 * and every SAMPLE_EVERY-th, run.c) is checked with lib/key.c's
 * key_verify(); every identities answer must be byte-identical to one
 * checked to hold exactly the keys that were added.
 *
 * Exit status: 0 when everything ran and checked out, whether or not the
 * targets were met; 1 on any failure; 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent-client.h"
#include "agent-proto.h"
#include "bench.h"
#include "key.h"
#include "secmem.h"
#include "sk.h"
#include "sshbuf.h"
#include "token.h"

#define MAX_CLIENTS		64

struct bench_opts opt = {
	.duration = 2.0,
	.rounds = 2,
	.nkeys = 1000,
	.clients = { 1, 4 },
	.nclients = 2,
};

struct agent agents[2] = {
	{ .name = "skagent", .pid = -1 },
	{ .name = "ssh-agent", .pid = -1 },
};
char tmpdir[64];
static int failures;

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

void
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

int
selected(const char *id)
{
	char *list, *tok, *save = NULL;
	size_t n;
	int hit = 0;

	if (opt.only == NULL)
		return 1;
	if ((list = strdup(opt.only)) == NULL)
		return 1;
	for (tok = strtok_r(list, ",", &save); tok != NULL && !hit;
	    tok = strtok_r(NULL, ",", &save)) {
		n = strlen(tok);
		hit = strncmp(id, tok, n) == 0 && (id[n] == '\0' || id[n] == '-');
	}
	free(list);
	return hit;
}




/* Requests */






/* The clients */











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


static int
any_selected(const char *prefix)
{
	char id[48];
	size_t i, c;

	if (strcmp(prefix, "sign") == 0) {
		for (i = 0; i < NBKEYS; i++)
			for (c = 0; c < opt.nclients; c++) {
				snprintf(id, sizeof(id), "sign-%s-%d",
				    bkeys[i].label, opt.clients[c]);
				if (selected(id))
					return 1;
			}
		return 0;
	}
	if (strcmp(prefix, "connect") == 0) {
		for (c = 0; c < opt.nclients; c++) {
			snprintf(id, sizeof(id), "connect-ed25519-%d",
			    opt.clients[c]);
			if (selected(id))
				return 1;
		}
		return 0;
	}
	return selected(prefix);
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
			if ((r = add_one(fd, bkeys[i].add, &rb)) != 0)
				fail("%s refused the %s key: %s", agents[a].name,
				    bkeys[i].label, ska_err(r));
		}
		close(fd);
		if (r != 0)
			goto out;
	}
	for (i = 0; i < NBKEYS; i++) {
		for (c = 0; c < opt.nclients; c++) {
			snprintf(id, sizeof(id), "sign-%s-%d", bkeys[i].label,
			    opt.clients[c]);
			if (!selected(id))
				continue;
			snprintf(label, sizeof(label), "sign %s, %d client%s",
			    bkeys[i].label, opt.clients[c],
			    opt.clients[c] == 1 ? "" : "s");
			rw = new_row(id, label, RATIO_OPS,
			    sign_target(&bkeys[i], opt.clients[c]));
			rw->floor_p50 = bkeys[i].floor_p50;
			work_pair(w, WL_SIGN, &bkeys[i]);
			measure(rw, w, opt.clients[c]);
		}
	}
	for (c = 0; c < opt.nclients; c++) {
		snprintf(id, sizeof(id), "connect-ed25519-%d", opt.clients[c]);
		if (!selected(id))
			continue;
		snprintf(label, sizeof(label), "connect+sign ed25519, %d client%s",
		    opt.clients[c], opt.clients[c] == 1 ? "" : "s");
		rw = new_row(id, label, RATIO_OPS, 0);
		rw->floor_p50 = bkeys[0].floor_p50;
		work_pair(w, WL_CONNECT, &bkeys[0]);
		measure(rw, w, opt.clients[c]);
	}
 out:
	rbuf_free(&rb);
	stop_pair();
	for (i = 0; i < NBKEYS; i++)
		bkey_free(&bkeys[i]);
}

/* opt.nkeys ed25519 keys straight from libsodium: blobs kept, frames built. */
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
	if ((r = keyset_make(&ks, (size_t)opt.nkeys)) != 0) {
		fail("generating %d keys: %s", opt.nkeys, ska_err(r));
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
			if ((r = add_one(fd, ks.add[i], &rb[a])) != 0) {
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
	snprintf(id, sizeof(id), "list-%d", opt.nkeys);
	if (selected("list")) {
		snprintf(label, sizeof(label), "list %d keys, 1 client", opt.nkeys);
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
	const char *help_argv[] = { opt.skagent, "--help", NULL };
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
	if (opt.softtoken == NULL || access(opt.softtoken, X_OK) != 0) {
		snprintf(rw->note, sizeof(rw->note), "not measured: no "
		    "softtoken (make all-tests, or --softtoken PATH)");
		return;
	}
	snprintf(rw->note, sizeof(rw->note), "ssh-agent cannot reach "
	    "softtoken; floor: sk_sign_key() in the bench, same token");
	token.path = opt.softtoken;
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
	r = add_one(fd, bk->add, &rb);
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
"                  prefixes, whole words): sign, sign-ed25519,\n"
"                  sign-rsa-3072-4, connect, list, mem, sk\n"
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
	opt.nclients = 0;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (opt.nclients >= sizeof(opt.clients) / sizeof(opt.clients[0]) ||
		    parse_double(tok, 1, MAX_CLIENTS, &v) != 0 ||
		    v != floor(v)) {
			r = -1;
			break;
		}
		opt.clients[opt.nclients++] = (int)v;
	}
	free(list);
	return r == 0 && opt.nclients > 0 ? 0 : -1;
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
	double v;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (parse_double(optarg, 0.01, 3600, &opt.duration) != 0)
				goto bad;
			break;
		case 'q':
			opt.duration = 0.5;
			break;
		case 'r':
			if (parse_double(optarg, 1, 100, &v) != 0 || v != floor(v))
				goto bad;
			opt.rounds = (int)v;
			break;
		case 'o':
			opt.only = optarg;
			break;
		case 't':
			opt.tsv = 1;
			break;
		case 'k':
			/* the client side refuses lists of more than 2048 */
			if (parse_double(optarg, 1, AGENT_CLIENT_MAX_KEYS, &v) != 0 ||
			    v != floor(v))
				goto bad;
			opt.nkeys = (int)v;
			break;
		case 'c':
			if (parse_clients(optarg) != 0)
				goto bad;
			break;
		case 'S':
			opt.skagent = optarg;
			break;
		case 'O':
			opt.ssh_agent = optarg;
			break;
		case 'T':
			opt.softtoken = optarg;
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
	if (opt.skagent == NULL)
		opt.skagent = next_to_me("../../agent/skagent");
	else
		opt.skagent = realpath(opt.skagent, NULL);
	if (opt.ssh_agent == NULL)
		opt.ssh_agent = in_path("ssh-agent");
	if (opt.softtoken == NULL)
		opt.softtoken = next_to_me("../softtoken/softtoken");
	if (opt.skagent == NULL || access(opt.skagent, X_OK) != 0) {
		fprintf(stderr, "bench: no skagent at %s (run make)\n",
		    opt.skagent ? opt.skagent : "?");
		return 1;
	}
	if (opt.ssh_agent == NULL || access(opt.ssh_agent, X_OK) != 0) {
		fprintf(stderr, "bench: no ssh-agent%s%s (install "
		    "openssh-client)\n", opt.ssh_agent ? " at " : " on $PATH",
		    opt.ssh_agent ? opt.ssh_agent : "");
		return 1;
	}
	agents[OURS].path = opt.skagent;
	agents[THEIRS].path = opt.ssh_agent;
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
	print_results();
	cleanup_tmpdir();
	return failures > 0 ? 1 : 0;
 bad:
	usage(stderr);
	return 2;
}
