/*
 * The software authenticator, driven by real libfido2 through custom I/O
 * (the same CTAPHID code a USB key gets) and by raw CTAPHID frames.
 * Signatures are checked by libfido2 and by independent verifiers
 * (libsodium, OpenSSL).  Uses nothing from lib/ but the TAP helpers.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cbor.h>
#include <fido.h>
#include <fido/credman.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "tap.h"
#include "unix-io.h"

static char tmpdir[256];
static char bin[512];
static int bad_exits;	/* softtokens that did not exit 0 on SIGTERM */

/* ---------------------------------------------------------------- utils */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

/* ------------------------------------------------------ the softtoken */

struct tok {
	pid_t pid;
	char sock[300];
	char log[300];
};

/* Starts softtoken with extra args (NULL-terminated); waits until ready. */
static int
tok_start(struct tok *t, const char *name, const char **extra)
{
	const char *argv[32];
	int i = 0, fd;
	long long until;

	memset(t, 0, sizeof(*t));
	snprintf(t->sock, sizeof(t->sock), "%s/%s.sock", tmpdir, name);
	snprintf(t->log, sizeof(t->log), "%s/%s.log", tmpdir, name);
	argv[i++] = bin;
	argv[i++] = "--socket";
	argv[i++] = t->sock;
	while (extra != NULL && *extra != NULL && i < 30)
		argv[i++] = *extra++;
	argv[i] = NULL;
	if ((t->pid = fork()) == -1)
		return -1;
	if (t->pid == 0) {
		if ((fd = open(t->log, O_WRONLY | O_CREAT | O_APPEND, 0600)) != -1)
			dup2(fd, 2);
		{
		char *av[32];

		for (i = 0; argv[i] != NULL; i++)
			av[i] = strdup(argv[i]);
		av[i] = NULL;
		execv(bin, av);
		}
		_exit(127);
	}
	for (until = now_ms() + 5000; now_ms() < until; sleep_ms(5)) {
		if ((fd = test_unix_connect(t->sock)) != -1) {
			close(fd);
			return 0;
		}
		if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
			t->pid = 0;
			return -1;
		}
	}
	return -1;
}

/* SIGTERM, wait; returns the exit status (or -1). */
static int
tok_stop(struct tok *t)
{
	long long until;
	int st;

	if (t->pid <= 0)
		return -1;
	kill(t->pid, SIGTERM);
	for (until = now_ms() + 5000; now_ms() < until; sleep_ms(5))
		if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
			t->pid = 0;
			st = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
			if (st != 0) {
				tap_diag("%s: exit status %d (see %s)", t->sock, st,
				    t->log);
				bad_exits++;
			}
			return st;
		}
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	t->pid = 0;
	bad_exits++;
	return -1;
}

/* ------------------------------------------------ libfido2 custom I/O */

static volatile int keepalives;

/* tests/unix-io.h, counting the keepalive frames the token sends */
static int
io_read(void *h, unsigned char *buf, size_t len, int ms)
{
	int n;

	if ((n = test_unix_read(h, buf, len, ms)) == 64 && buf[4] == 0xbb)
		keepalives++;
	return n;
}

static fido_dev_t *
dev_open(const struct tok *t)
{
	static const fido_dev_io_t io = {
		test_unix_open, test_unix_close, io_read, test_unix_write,
	};
	char path[320];

	snprintf(path, sizeof(path), "unix:%s", t->sock);
	return test_unix_dev_open(path, &io, -1, NULL);
}

static void
dev_close(fido_dev_t **d)
{
	if (*d == NULL)
		return;
	fido_dev_close(*d);
	fido_dev_free(d);
}

/* ----------------------------------------------------- FIDO2 helpers */

static const unsigned char user_a[32] = "user-a-0123456789abcdef012345678";
static const unsigned char user_b[32] = "user-b-0123456789abcdef012345678";

static int
make_cred(fido_dev_t *d, int type, const char *rp, const unsigned char *user,
    int rk, int prot, const char *pin, fido_cred_t **out)
{
	fido_cred_t *c;
	unsigned char cd[48];
	int r;

	randombytes_buf(cd, sizeof(cd));
	if ((c = fido_cred_new()) == NULL)
		return FIDO_ERR_INTERNAL;
	if ((r = fido_cred_set_type(c, type)) != FIDO_OK ||
	    (r = fido_cred_set_clientdata(c, cd, sizeof(cd))) != FIDO_OK ||
	    (r = fido_cred_set_rp(c, rp, NULL)) != FIDO_OK ||
	    (r = fido_cred_set_user(c, user, 32, "openssh", "OpenSSH user",
	    NULL)) != FIDO_OK ||
	    (rk && (r = fido_cred_set_rk(c, FIDO_OPT_TRUE)) != FIDO_OK) ||
	    (prot && (r = fido_cred_set_prot(c, prot)) != FIDO_OK))
		goto out;
	r = fido_dev_make_cred(d, c, pin);
 out:
	if (r == FIDO_OK && out != NULL)
		*out = c;
	else
		fido_cred_free(&c);
	return r;
}

static int
get_assert(fido_dev_t *d, const char *rp, const fido_cred_t *c, int up,
    const char *pin, fido_assert_t **out)
{
	fido_assert_t *a;
	unsigned char msg[64];
	int r;

	randombytes_buf(msg, sizeof(msg));
	if ((a = fido_assert_new()) == NULL)
		return FIDO_ERR_INTERNAL;
	if ((r = fido_assert_set_clientdata(a, msg, sizeof(msg))) != FIDO_OK ||
	    (r = fido_assert_set_rp(a, rp)) != FIDO_OK ||
	    (c != NULL && (r = fido_assert_allow_cred(a, fido_cred_id_ptr(c),
	    fido_cred_id_len(c))) != FIDO_OK) ||
	    (r = fido_assert_set_up(a, up ? FIDO_OPT_TRUE : FIDO_OPT_FALSE)) !=
	    FIDO_OK)
		goto out;
	r = fido_dev_get_assert(d, a, pin);
 out:
	if (r == FIDO_OK && out != NULL)
		*out = a;
	else
		fido_assert_free(&a);
	return r;
}

/* The raw authenticator data inside libfido2's CBOR byte string. */
static int
raw_authdata(const fido_assert_t *a, size_t i, unsigned char *out, size_t *n)
{
	struct cbor_load_result res;
	cbor_item_t *it;
	int r = -1;

	it = cbor_load(fido_assert_authdata_ptr(a, i),
	    fido_assert_authdata_len(a, i), &res);
	if (it != NULL && cbor_isa_bytestring(it) &&
	    cbor_bytestring_is_definite(it) && cbor_bytestring_length(it) <= *n) {
		*n = cbor_bytestring_length(it);
		memcpy(out, cbor_bytestring_handle(it), *n);
		r = 0;
	}
	if (it != NULL)
		cbor_decref(&it);
	return r;
}

static EVP_PKEY *
p256_pub(const unsigned char *xy)
{
	unsigned char pt[65];
	OSSL_PARAM_BLD *b = NULL;
	OSSL_PARAM *p = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;

	pt[0] = 4;
	memcpy(pt + 1, xy, 64);
	if ((b = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, 65) ||
	    (p = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, p) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(p);
	OSSL_PARAM_BLD_free(b);
	return pk;
}

/* Verifies statement i with libsodium/OpenSSL, not libfido2. */
static int
indep_verify(int type, const unsigned char *pub, size_t publen,
    const fido_assert_t *a, size_t i)
{
	unsigned char ad[512], msg[512 + 32];
	size_t adl = sizeof(ad);
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	int ok = 0;

	if (raw_authdata(a, i, ad, &adl) != 0 ||
	    fido_assert_clientdata_hash_len(a) != 32)
		return 0;
	memcpy(msg, ad, adl);
	memcpy(msg + adl, fido_assert_clientdata_hash_ptr(a), 32);
	if (type == COSE_EDDSA)
		return publen == 32 && fido_assert_sig_len(a, i) == 64 &&
		    crypto_sign_verify_detached(fido_assert_sig_ptr(a, i), msg,
		    adl + 32, pub) == 0;
	if (publen != 64 || (pk = p256_pub(pub)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL)
		goto out;
	ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	    EVP_DigestVerify(md, fido_assert_sig_ptr(a, i),
	    fido_assert_sig_len(a, i), msg, adl + 32) == 1;
 out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return ok;
}

static int
fido_verify(int type, const unsigned char *pub, size_t publen,
    const fido_assert_t *a, size_t i)
{
	es256_pk_t *es = NULL;
	eddsa_pk_t *ed = NULL;
	int r = -1;

	if (type == COSE_ES256) {
		if ((es = es256_pk_new()) != NULL &&
		    es256_pk_from_ptr(es, pub, publen) == FIDO_OK)
			r = fido_assert_verify(a, i, type, es);
		es256_pk_free(&es);
	} else {
		if ((ed = eddsa_pk_new()) != NULL &&
		    eddsa_pk_from_ptr(ed, pub, publen) == FIDO_OK)
			r = fido_assert_verify(a, i, type, ed);
		eddsa_pk_free(&ed);
	}
	return r;
}

static int
retries(fido_dev_t *d)
{
	int n = -1;

	return fido_dev_get_retry_count(d, &n) == FIDO_OK ? n : -1;
}

/* --------------------------------------------------- raw CTAPHID side */

struct raw {
	int fd;
	unsigned char cid[4];
};

static int
raw_send(int fd, const unsigned char *f, size_t n)
{
	return send(fd, f, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static int
raw_recv(int fd, unsigned char f[64], int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	if (poll(&p, 1, ms) != 1)
		return -1;
	return recv(fd, f, 64, 0) == 64 ? 0 : -1;
}

static int
raw_msg(int fd, const unsigned char cid[4], unsigned char cmd,
    const unsigned char *d, size_t n)
{
	unsigned char f[64];
	size_t off, k;
	unsigned char seq = 0;

	memset(f, 0, 64);
	memcpy(f, cid, 4);
	f[4] = 0x80 | cmd;
	f[5] = (unsigned char)(n >> 8);
	f[6] = (unsigned char)n;
	k = n < 57 ? n : 57;
	memcpy(f + 7, d, k);
	if (raw_send(fd, f, 64) != 0)
		return -1;
	for (off = k; off < n; off += k) {
		memset(f, 0, 64);
		memcpy(f, cid, 4);
		f[4] = seq++;
		k = n - off < 59 ? n - off : 59;
		memcpy(f + 5, d + off, k);
		if (raw_send(fd, f, 64) != 0)
			return -1;
	}
	return 0;
}

/* Reads one message for cid, skipping keepalives (counted). */
static int
raw_reply(int fd, const unsigned char cid[4], unsigned char *cmd,
    unsigned char *out, size_t *n, int ms, int *kas)
{
	unsigned char f[64];
	size_t len, got, k;
	int seq = 0;

	do {
		if (raw_recv(fd, f, ms) != 0)
			return -1;
		if (f[4] == 0xbb && kas != NULL)
			(*kas)++;
	} while (f[4] == 0xbb || memcmp(f, cid, 4) != 0);
	*cmd = f[4] & 0x7f;
	len = (size_t)(f[5] << 8 | f[6]);
	if (len > *n)
		return -1;
	got = len < 57 ? len : 57;
	memcpy(out, f + 7, got);
	while (got < len) {
		if (raw_recv(fd, f, ms) != 0 || memcmp(f, cid, 4) != 0 ||
		    f[4] != seq++)
			return -1;
		k = len - got < 59 ? len - got : 59;
		memcpy(out + got, f + 5, k);
		got += k;
	}
	*n = len;
	return 0;
}

/* Waits for the keepalive that starts a touch wait on cid. */
static int
raw_keepalive(int fd, const unsigned char cid[4])
{
	unsigned char f[64];

	return raw_recv(fd, f, 3000) == 0 && memcmp(f, cid, 4) == 0 &&
	    f[4] == 0xbb && f[7] == 2 ? 0 : -1;
}

static int
raw_open(struct raw *r, const struct tok *t)
{
	unsigned char nonce[8], b[64], cmd;
	size_t n = sizeof(b);
	static const unsigned char bc[4] = { 0xff, 0xff, 0xff, 0xff };

	if ((r->fd = test_unix_connect(t->sock)) == -1)
		return -1;
	randombytes_buf(nonce, sizeof(nonce));
	if (raw_msg(r->fd, bc, 0x06, nonce, 8) != 0 ||
	    raw_reply(r->fd, bc, &cmd, b, &n, 2000, NULL) != 0 || cmd != 0x06 ||
	    n != 17 || memcmp(b, nonce, 8) != 0) {
		close(r->fd);
		return -1;
	}
	memcpy(r->cid, b + 8, 4);
	return 0;
}

/* One CBOR exchange; returns the CTAP status or -1 (reply in out). */
static int
raw_cbor(struct raw *r, const unsigned char *req, size_t n, unsigned char *out,
    size_t *outlen)
{
	unsigned char buf[8192], cmd;
	size_t bl = sizeof(buf);

	if (raw_msg(r->fd, r->cid, 0x10, req, n) != 0 ||
	    raw_reply(r->fd, r->cid, &cmd, buf, &bl, 3000, NULL) != 0 ||
	    cmd != 0x10 || bl < 1)
		return -1;
	if (out != NULL) {
		*outlen = bl - 1 < *outlen ? bl - 1 : *outlen;
		memcpy(out, buf + 1, *outlen);
	}
	return buf[0];
}

/* Sends a request built from a CBOR map: cmd || map. */
static int
raw_cbor_item(struct raw *r, unsigned char cmd, cbor_item_t *m,
    unsigned char *out, size_t *outlen)
{
	unsigned char req[4096];
	size_t n;

	req[0] = cmd;
	n = cbor_serialize(m, req + 1, sizeof(req) - 1);
	cbor_decref(&m);
	if (n == 0)
		return -1;
	return raw_cbor(r, req, n + 1, out, outlen);
}

static void
put(cbor_item_t *m, cbor_item_t *k, cbor_item_t *v)
{
	if (!cbor_map_add(m, (struct cbor_pair){ .key = k, .value = v }))
		abort();
	cbor_decref(&k);
	cbor_decref(&v);
}

static cbor_item_t *
ikey(int v)
{
	return v >= 0 ? cbor_build_uint8((uint8_t)v) :
	    cbor_build_negint8((uint8_t)(-1 - v));
}

/* Looks up integer key k in a map. */
static cbor_item_t *
mget(cbor_item_t *m, int k)
{
	struct cbor_pair *p;
	size_t i;

	if (m == NULL || !cbor_isa_map(m))
		return NULL;
	p = cbor_map_handle(m);
	for (i = 0; i < cbor_map_size(m); i++) {
		if (k >= 0 && cbor_isa_uint(p[i].key) &&
		    cbor_get_int(p[i].key) == (uint64_t)k)
			return p[i].value;
		if (k < 0 && cbor_isa_negint(p[i].key) &&
		    cbor_get_int(p[i].key) == (uint64_t)(-1 - k))
			return p[i].value;
	}
	return NULL;
}

/* ------------------------------------------------------------- tests */

static void
test_info(void)
{
	struct tok t;
	fido_dev_t *d = NULL;
	fido_cbor_info_t *ci = NULL;
	char **v;
	size_t i;
	int has21 = 0, hascp = 0;

	ok(tok_start(&t, "info", NULL) == 0, "softtoken starts");
	ok((d = dev_open(&t)) != NULL, "fido_dev_open through custom I/O");
	if (d == NULL) {
		tok_stop(&t);
		return;
	}
	ok(fido_dev_is_fido2(d), "is FIDO2 (getInfo accepted as canonical)");
	ok(fido_dev_supports_pin(d) && !fido_dev_has_pin(d), "PIN supported, "
	    "not set");
	ok(fido_dev_supports_credman(d), "supports credman");
	ok(fido_dev_supports_cred_prot(d), "supports credProtect");
	ok(fido_dev_supports_permissions(d), "supports pinUvAuthToken");
	ok(!fido_dev_has_uv(d), "no built-in UV advertised");
	ci = fido_cbor_info_new();
	ok(ci != NULL && fido_dev_get_cbor_info(d, ci) == FIDO_OK,
	    "fido_dev_get_cbor_info");
	v = fido_cbor_info_versions_ptr(ci);
	for (i = 0; i < fido_cbor_info_versions_len(ci); i++)
		has21 |= strcmp(v[i], "FIDO_2_1") == 0;
	ok(has21, "versions include FIDO_2_1");
	v = fido_cbor_info_extensions_ptr(ci);
	for (i = 0; i < fido_cbor_info_extensions_len(ci); i++)
		hascp |= strcmp(v[i], "credProtect") == 0;
	ok(hascp, "extensions include credProtect");
	ok(fido_cbor_info_protocols_len(ci) == 2 &&
	    fido_cbor_info_protocols_ptr(ci)[0] == 2 &&
	    fido_cbor_info_protocols_ptr(ci)[1] == 1, "pinUvAuthProtocols [2,1]");
	is_int(fido_cbor_info_aaguid_len(ci), 16, "aaguid is 16 bytes");
	is_int(fido_cbor_info_algorithm_count(ci), 2, "two algorithms");
	is_int(fido_cbor_info_algorithm_cose(ci, 0), COSE_ES256, "ES256");
	is_int(fido_cbor_info_algorithm_cose(ci, 1), COSE_EDDSA, "EdDSA");
	is_int(fido_dev_protocol(d), 2, "CTAPHID protocol version 2");
	fido_cbor_info_free(&ci);
	dev_close(&d);
	is_int(tok_stop(&t), 0, "SIGTERM: exit 0");
	ok(access(t.sock, F_OK) != 0, "socket removed on exit");
}

static void
check_cred_and_asserts(fido_dev_t *d, int type, const char *name)
{
	fido_cred_t *c = NULL;
	fido_assert_t *a = NULL, *b = NULL;
	static unsigned char rand_id[75];
	uint32_t c1 = 0;
	int r;

	r = make_cred(d, type, "ssh:", user_a, 0, 0, NULL, &c);
	is_int(r, FIDO_OK, "%s: make credential", name);
	if (r != FIDO_OK)
		return;
	is_str(fido_cred_fmt(c), "packed", "%s: packed attestation", name);
	is_int(fido_cred_x5c_len(c), 0, "%s: self attestation (no x5c)", name);
	is_int(fido_cred_verify_self(c), FIDO_OK, "%s: fido_cred_verify_self",
	    name);
	is_int(fido_cred_pubkey_len(c), type == COSE_ES256 ? 64 : 32,
	    "%s: public key length", name);
	ok(fido_cred_flags(c) & 0x01, "%s: UP in attestation flags", name);

	r = get_assert(d, "ssh:", c, 1, NULL, &a);
	is_int(r, FIDO_OK, "%s: assertion with touch", name);
	if (r == FIDO_OK) {
		is_int(fido_assert_count(a), 1, "%s: one statement", name);
		is_int(fido_assert_flags(a, 0), 0x01, "%s: flags = UP", name);
		is_int(fido_assert_authdata_len(a, 0), 39,
		    "%s: 37-byte authData, no extensions (CBOR-wrapped)", name);
		ok(indep_verify(type, fido_cred_pubkey_ptr(c),
		    fido_cred_pubkey_len(c), a, 0), "%s: signature verifies "
		    "with %s", name, type == COSE_EDDSA ? "libsodium" : "OpenSSL");
		is_int(fido_verify(type, fido_cred_pubkey_ptr(c),
		    fido_cred_pubkey_len(c), a, 0), FIDO_OK,
		    "%s: fido_assert_verify", name);
		c1 = fido_assert_sigcount(a, 0);
		ok(c1 > fido_cred_sigcount(c) || c1 > 0, "%s: counter %u", name,
		    (unsigned)c1);
	}
	r = get_assert(d, "ssh:", c, 0, NULL, &b);
	is_int(r, FIDO_OK, "%s: assertion with up=false", name);
	if (r == FIDO_OK) {
		is_int(fido_assert_flags(b, 0), 0, "%s: up=false: UP clear", name);
		ok(indep_verify(type, fido_cred_pubkey_ptr(c),
		    fido_cred_pubkey_len(c), b, 0) &&
		    fido_verify(type, fido_cred_pubkey_ptr(c),
		    fido_cred_pubkey_len(c), b, 0) == FIDO_OK,
		    "%s: up=false signature verifies both ways", name);
		ok(fido_assert_sigcount(b, 0) > c1, "%s: counter increments",
		    name);
	}
	is_int(get_assert(d, "ssh:other", c, 0, NULL, NULL),
	    FIDO_ERR_NO_CREDENTIALS, "%s: handle under another RP: "
	    "NO_CREDENTIALS", name);
	fido_assert_free(&a);
	fido_assert_free(&b);
	/* a handle that is not ours */
	randombytes_buf(rand_id, sizeof(rand_id));
	a = fido_assert_new();
	fido_assert_set_clientdata(a, (const unsigned char *)"x", 1);
	fido_assert_set_rp(a, "ssh:");
	fido_assert_allow_cred(a, rand_id, sizeof(rand_id));
	fido_assert_set_up(a, FIDO_OPT_FALSE);
	is_int(fido_dev_get_assert(d, a, NULL), FIDO_ERR_NO_CREDENTIALS,
	    "%s: unknown credential: NO_CREDENTIALS", name);
	fido_assert_free(&a);
	/* excludeList */
	{
		fido_cred_t *e = fido_cred_new();
		unsigned char cd[32] = { 0 };

		fido_cred_set_type(e, type);
		fido_cred_set_clientdata_hash(e, cd, sizeof(cd));
		fido_cred_set_rp(e, "ssh:", NULL);
		fido_cred_set_user(e, user_b, 32, "b", NULL, NULL);
		fido_cred_exclude(e, fido_cred_id_ptr(c), fido_cred_id_len(c));
		is_int(fido_dev_make_cred(d, e, NULL), FIDO_ERR_CREDENTIAL_EXCLUDED,
		    "%s: excludeList hit: CREDENTIAL_EXCLUDED", name);
		fido_cred_free(&e);
	}
	fido_cred_free(&c);
}

static void
test_basic(void)
{
	struct tok t;
	fido_dev_t *d;
	const char *args[] = { "--touch", "auto", NULL };

	ok(tok_start(&t, "basic", args) == 0, "start (touch auto)");
	if ((d = dev_open(&t)) == NULL) {
		ok(0, "open");
		tok_stop(&t);
		return;
	}
	check_cred_and_asserts(d, COSE_ES256, "ES256");
	check_cred_and_asserts(d, COSE_EDDSA, "EdDSA");
	dev_close(&d);
	is_int(tok_stop(&t), 0, "stop");
}

static void
test_no_eddsa(void)
{
	struct tok t;
	fido_dev_t *d;
	fido_cbor_info_t *ci;
	const char *args[] = { "--no-eddsa", NULL };

	ok(tok_start(&t, "noeddsa", args) == 0, "start --no-eddsa");
	if ((d = dev_open(&t)) == NULL) {
		ok(0, "open");
		tok_stop(&t);
		return;
	}
	ci = fido_cbor_info_new();
	ok(fido_dev_get_cbor_info(d, ci) == FIDO_OK &&
	    fido_cbor_info_algorithm_count(ci) == 1 &&
	    fido_cbor_info_algorithm_cose(ci, 0) == COSE_ES256,
	    "--no-eddsa: getInfo lists ES256 only");
	fido_cbor_info_free(&ci);
	is_int(make_cred(d, COSE_EDDSA, "ssh:", user_a, 0, 0, NULL, NULL),
	    FIDO_ERR_UNSUPPORTED_ALGORITHM, "--no-eddsa: EdDSA refused with "
	    "UNSUPPORTED_ALGORITHM");
	is_int(make_cred(d, COSE_ES256, "ssh:", user_a, 0, 0, NULL, NULL),
	    FIDO_OK, "--no-eddsa: ES256 still works");
	dev_close(&d);
	tok_stop(&t);
}

static int
file_ino(const char *p, ino_t *ino, mode_t *mode)
{
	struct stat sb;

	if (stat(p, &sb) != 0)
		return -1;
	*ino = sb.st_ino;
	*mode = sb.st_mode & 07777;
	return 0;
}

static int
tmp_files_left(void)
{
	DIR *dp;
	struct dirent *de;
	int n = 0;

	if ((dp = opendir(tmpdir)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		if (strstr(de->d_name, ".tmp") != NULL)
			n++;
	closedir(dp);
	return n;
}

static void
test_state(void)
{
	struct tok t;
	fido_dev_t *d = NULL;
	fido_cred_t *c = NULL;
	fido_assert_t *a = NULL;
	char state[300], bad[300], cmd[1024];
	const char *args[] = { "--state", state, NULL };
	const char *badargs[] = { "--state", bad, NULL };
	uint32_t c1 = 0;
	char before[4096], again[4096];
	ssize_t n1;
	int oldfd;
	ino_t i1 = 0, i2 = 0;
	mode_t m = 0;
	FILE *f;

	path_in(state, sizeof(state), "state1");
	ok(tok_start(&t, "state", args) == 0, "start with a new --state");
	ok(file_ino(state, &i1, &m) == 0 && m == 0600, "state file created, "
	    "mode 0600");
	oldfd = open(state, O_RDONLY);
	n1 = oldfd == -1 ? 0 : read(oldfd, before, sizeof(before));
	d = dev_open(&t);
	is_int(make_cred(d, COSE_EDDSA, "ssh:state", user_a, 0, 0, NULL, &c),
	    FIDO_OK, "make credential");
	ok(get_assert(d, "ssh:state", c, 1, NULL, &a) == FIDO_OK, "assert");
	if (a != NULL)
		c1 = fido_assert_sigcount(a, 0);
	fido_assert_free(&a);
	ok(file_ino(state, &i2, &m) == 0 && i2 != i1 && m == 0600,
	    "state rewritten by rename (new inode), still 0600");
	ok(n1 > 0 && pread(oldfd, again, sizeof(again), 0) == n1 &&
	    memcmp(before, again, (size_t)n1) == 0, "the old file was never "
	    "written in place (%zd bytes unchanged)", n1);
	if (oldfd != -1)
		close(oldfd);
	is_int(tmp_files_left(), 0, "no temporary files left behind");
	dev_close(&d);
	is_int(tok_stop(&t), 0, "stop");

	ok(tok_start(&t, "state", args) == 0, "restart with the same state");
	d = dev_open(&t);
	ok(d != NULL && c != NULL &&
	    get_assert(d, "ssh:state", c, 1, NULL, &a) == FIDO_OK,
	    "same credential still asserts after restart");
	ok(a != NULL && fido_assert_sigcount(a, 0) > c1,
	    "counter persisted across restart (%u > %u)",
	    a ? (unsigned)fido_assert_sigcount(a, 0) : 0, (unsigned)c1);
	ok(a != NULL && fido_verify(COSE_EDDSA, fido_cred_pubkey_ptr(c),
	    fido_cred_pubkey_len(c), a, 0) == FIDO_OK,
	    "and its signature verifies");
	fido_assert_free(&a);
	dev_close(&d);
	tok_stop(&t);

	/* a corrupt state file: clear error, non-zero exit, nothing served */
	path_in(bad, sizeof(bad), "state-bad");
	snprintf(cmd, sizeof(cmd), "%s", state);
	if ((f = fopen(bad, "w")) != NULL) {
		fputs("softtoken-state-v1\naaguid zz\n", f);
		fclose(f);
	}
	ok(tok_start(&t, "corrupt", badargs) != 0, "corrupt state: refuses "
	    "to start");
	{
		char logp[300], buf[1024] = "";
		size_t n = 0;

		path_in(logp, sizeof(logp), "corrupt.log");
		if ((f = fopen(logp, "r")) != NULL) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		ok(strstr(buf, "corrupt state file") != NULL, "and says why: %s",
		    strtok(buf, "\n") ? buf : "");
	}
	if (t.pid > 0)
		tok_stop(&t);
	fido_cred_free(&c);
}

static void
test_pin(void)
{
	struct tok t;
	fido_dev_t *d = NULL;
	fido_cred_t *c = NULL;
	fido_assert_t *a = NULL;
	char state[300];
	const char *args[] = { "--state", state, NULL };
	int i;

	path_in(state, sizeof(state), "state-pin");
	ok(tok_start(&t, "pin", args) == 0, "start (no PIN)");
	d = dev_open(&t);
	is_int(fido_dev_set_pin(d, "1234", NULL), FIDO_OK, "setPIN");
	is_int(fido_dev_set_pin(d, "abcd", NULL), FIDO_ERR_NOT_ALLOWED,
	    "setPIN again: NOT_ALLOWED");
	dev_close(&d);
	d = dev_open(&t);
	ok(d != NULL && fido_dev_has_pin(d), "getInfo now says clientPin=true");
	is_int(retries(d), 8, "8 retries");
	is_int(make_cred(d, COSE_ES256, "ssh:pin", user_a, 1, 0, NULL, NULL),
	    FIDO_ERR_PIN_REQUIRED, "resident key without PIN: PIN_REQUIRED");
	is_int(make_cred(d, COSE_ES256, "ssh:pin", user_a, 0, 0, NULL, NULL),
	    FIDO_OK, "non-resident without PIN (makeCredUvNotRqd)");
	is_int(make_cred(d, COSE_ES256, "ssh:pin", user_a, 0, 0, "1234", &c),
	    FIDO_OK, "make credential with PIN (protocol 2 token)");
	ok(c != NULL && (fido_cred_flags(c) & 0x05) == 0x05 &&
	    fido_cred_verify_self(c) == FIDO_OK, "UP|UV set, verifies");
	ok(c != NULL && get_assert(d, "ssh:pin", c, 1, "1234", &a) == FIDO_OK &&
	    fido_assert_flags(a, 0) == 0x05, "assertion with PIN: UP|UV");
	ok(a != NULL && indep_verify(COSE_ES256, fido_cred_pubkey_ptr(c),
	    fido_cred_pubkey_len(c), a, 0), "and its signature verifies");
	fido_assert_free(&a);
	is_int(fido_dev_set_pin(d, "5678", "1234"), FIDO_OK, "changePIN");
	is_int(get_assert(d, "ssh:pin", c, 1, "1234", NULL),
	    FIDO_ERR_PIN_INVALID, "old PIN: PIN_INVALID");
	is_int(retries(d), 7, "retries 7");
	is_int(get_assert(d, "ssh:pin", c, 1, "0000", NULL),
	    FIDO_ERR_PIN_INVALID, "wrong PIN again: PIN_INVALID");
	is_int(retries(d), 6, "retries 6");
	is_int(get_assert(d, "ssh:pin", c, 1, "0000", NULL),
	    FIDO_ERR_PIN_AUTH_BLOCKED, "third in a row: PIN_AUTH_BLOCKED");
	is_int(get_assert(d, "ssh:pin", c, 1, "5678", NULL),
	    FIDO_ERR_PIN_AUTH_BLOCKED, "right PIN too, until power-up");
	is_int(fido_dev_set_pin(d, "9999", "5678"), FIDO_ERR_PIN_AUTH_BLOCKED,
	    "changePIN blocked as well");
	is_int(retries(d), 5, "retries 5 (blocked tries not counted)");
	dev_close(&d);
	tok_stop(&t);

	ok(tok_start(&t, "pin", args) == 0, "restart = replug");
	d = dev_open(&t);
	is_int(get_assert(d, "ssh:pin", c, 1, "5678", NULL), FIDO_OK,
	    "right PIN works after replug");
	is_int(retries(d), 8, "retries back to 8");
	/* now burn all 8: 3, replug, 3, replug, 2 */
	for (i = 0; i < 3; i++)
		get_assert(d, "ssh:pin", c, 1, "0000", NULL);
	dev_close(&d);
	tok_stop(&t);
	tok_start(&t, "pin", args);
	d = dev_open(&t);
	is_int(retries(d), 5, "retries 5 after three failures and a replug");
	for (i = 0; i < 3; i++)
		get_assert(d, "ssh:pin", c, 1, "0000", NULL);
	dev_close(&d);
	tok_stop(&t);
	tok_start(&t, "pin", args);
	d = dev_open(&t);
	is_int(get_assert(d, "ssh:pin", c, 1, "0000", NULL),
	    FIDO_ERR_PIN_INVALID, "7th wrong PIN: PIN_INVALID");
	is_int(get_assert(d, "ssh:pin", c, 1, "0000", NULL),
	    FIDO_ERR_PIN_BLOCKED, "8th wrong PIN: PIN_BLOCKED");
	is_int(get_assert(d, "ssh:pin", c, 1, "5678", NULL),
	    FIDO_ERR_PIN_BLOCKED, "right PIN: still PIN_BLOCKED");
	is_int(retries(d), 0, "0 retries");
	ok(get_assert(d, "ssh:pin", c, 1, NULL, NULL) == FIDO_OK,
	    "assertion without PIN still works (PIN not needed)");
	dev_close(&d);
	tok_stop(&t);
	tok_start(&t, "pin", args);
	d = dev_open(&t);
	is_int(get_assert(d, "ssh:pin", c, 1, "5678", NULL),
	    FIDO_ERR_PIN_BLOCKED, "PIN_BLOCKED survives a replug");
	is_int(fido_dev_reset(d), FIDO_OK, "reset");
	dev_close(&d);
	d = dev_open(&t);
	ok(d != NULL && !fido_dev_has_pin(d), "after reset: no PIN");
	is_int(get_assert(d, "ssh:pin", c, 0, NULL, NULL),
	    FIDO_ERR_NO_CREDENTIALS, "after reset: old credential is gone");
	is_int(fido_dev_set_pin(d, "4321", NULL), FIDO_OK, "a PIN can be set "
	    "again");
	is_int(fido_dev_set_pin(d, "123", "4321"),
	    FIDO_ERR_PIN_POLICY_VIOLATION, "3-byte PIN refused");
	dev_close(&d);
	tok_stop(&t);
	fido_cred_free(&c);
}

static int
find_rp(const fido_credman_rp_t *rp, const char *id)
{
	size_t i;

	for (i = 0; i < fido_credman_rp_count(rp); i++)
		if (strcmp(fido_credman_rp_id(rp, i), id) == 0)
			return 1;
	return 0;
}

static void
test_credman(void)
{
	struct tok t;
	fido_dev_t *d = NULL;
	fido_cred_t *c1 = NULL, *c2 = NULL, *c3 = NULL;
	fido_credman_metadata_t *md = fido_credman_metadata_new();
	fido_credman_rp_t *rp = fido_credman_rp_new();
	fido_credman_rk_t *rk = fido_credman_rk_new();
	fido_assert_t *a = NULL;
	const fido_cred_t *x;
	size_t i;
	int p2 = 0, p3 = 0;
	const char *args[] = { "--pin", "1234", NULL };

	ok(tok_start(&t, "credman", args) == 0, "start --pin 1234");
	d = dev_open(&t);
	ok(d != NULL && fido_dev_has_pin(d), "PIN set from the command line");
	is_int(fido_credman_get_dev_metadata(d, md, "1234"), FIDO_OK,
	    "metadata with no resident keys");
	is_int(fido_credman_rk_existing(md), 0, "0 existing");
	is_int(fido_credman_get_dev_rp(d, rp, "1234"), FIDO_OK,
	    "RP list with no resident keys ({5:0})");
	is_int(fido_credman_rp_count(rp), 0, "0 RPs");
	is_int(make_cred(d, COSE_EDDSA, "ssh:a", user_a, 1, FIDO_CRED_PROT_UV_OPTIONAL_WITH_ID,
	    "1234", &c1), FIDO_OK, "resident EdDSA, credProtect 2");
	ok(c1 && fido_cred_verify_self(c1) == FIDO_OK &&
	    fido_cred_prot(c1) == 2, "verifies with the credProtect extension "
	    "echoed");
	is_int(make_cred(d, COSE_ES256, "ssh:a", user_b, 1, FIDO_CRED_PROT_UV_REQUIRED,
	    "1234", &c2), FIDO_OK, "resident ES256, credProtect 3");
	ok(c2 && fido_cred_verify_self(c2) == FIDO_OK, "verifies");
	is_int(make_cred(d, COSE_ES256, "ssh:b", user_a, 1, 0, "1234", &c3),
	    FIDO_OK, "resident ES256 without credProtect");
	ok(c3 && fido_cred_verify_self(c3) == FIDO_OK, "verifies (no "
	    "extensions in authData)");
	is_int(fido_credman_get_dev_metadata(d, md, "1234"), FIDO_OK, "metadata");
	is_int(fido_credman_rk_existing(md), 3, "3 existing");
	is_int(fido_credman_rk_remaining(md), 47, "47 remaining");
	is_int(fido_credman_get_dev_rp(d, rp, "1234"), FIDO_OK, "RP list");
	ok(fido_credman_rp_count(rp) == 2 && find_rp(rp, "ssh:a") &&
	    find_rp(rp, "ssh:b"), "two RPs: ssh:a and ssh:b");
	is_int(fido_credman_get_dev_rk(d, "ssh:a", rk, "1234"), FIDO_OK,
	    "credentials of ssh:a");
	is_int(fido_credman_rk_count(rk), 2, "two of them");
	for (i = 0; i < fido_credman_rk_count(rk); i++) {
		x = fido_credman_rk(rk, i);
		if (fido_cred_id_len(x) == fido_cred_id_len(c1) &&
		    memcmp(fido_cred_id_ptr(x), fido_cred_id_ptr(c1),
		    fido_cred_id_len(x)) == 0)
			p2 = fido_cred_prot(x) == 2 && fido_cred_type(x) ==
			    COSE_EDDSA && fido_cred_pubkey_len(x) == 32 &&
			    memcmp(fido_cred_pubkey_ptr(x), fido_cred_pubkey_ptr(c1),
			    32) == 0 && fido_cred_user_id_len(x) == 32 &&
			    strcmp(fido_cred_user_name(x), "openssh") == 0;
		else
			p3 = fido_cred_prot(x) == 3 && fido_cred_type(x) ==
			    COSE_ES256;
	}
	ok(p2, "EdDSA entry: credProtect 2, same public key, user");
	ok(p3, "ES256 entry: credProtect 3");

	/* credProtect semantics */
	is_int(get_assert(d, "ssh:a", c2, 1, NULL, NULL), FIDO_ERR_NO_CREDENTIALS,
	    "credProtect 3 without PIN: NO_CREDENTIALS");
	ok(get_assert(d, "ssh:a", c2, 1, "1234", &a) == FIDO_OK &&
	    fido_assert_flags(a, 0) == 0x05 && indep_verify(COSE_ES256,
	    fido_cred_pubkey_ptr(c2), fido_cred_pubkey_len(c2), a, 0),
	    "credProtect 3 with PIN: UP|UV, verifies");
	fido_assert_free(&a);
	is_int(get_assert(d, "ssh:a", c1, 0, NULL, NULL), FIDO_OK,
	    "credProtect 2 with its handle, no PIN: found");
	is_int(get_assert(d, "ssh:a", NULL, 0, NULL, NULL),
	    FIDO_ERR_NO_CREDENTIALS, "credProtect 2/3, no allowList, no PIN: "
	    "NO_CREDENTIALS");
	ok(get_assert(d, "ssh:a", NULL, 1, "1234", &a) == FIDO_OK &&
	    fido_assert_count(a) == 2, "no allowList, with PIN: both "
	    "(getNextAssertion)");
	if (a != NULL && fido_assert_count(a) == 2) {
		ok(fido_assert_user_id_len(a, 0) == 32 &&
		    fido_assert_user_id_len(a, 1) == 32, "user ids returned");
		ok(memcmp(fido_assert_id_ptr(a, 0), fido_cred_id_ptr(c2), 75) == 0 &&
		    fido_verify(COSE_ES256, fido_cred_pubkey_ptr(c2), 64, a, 0) ==
		    FIDO_OK, "newest first, signature verifies");
		ok(fido_verify(COSE_EDDSA, fido_cred_pubkey_ptr(c1), 32, a, 1) ==
		    FIDO_OK && indep_verify(COSE_EDDSA, fido_cred_pubkey_ptr(c1),
		    32, a, 1), "second statement verifies");
	}
	fido_assert_free(&a);
	ok(get_assert(d, "ssh:b", NULL, 0, NULL, &a) == FIDO_OK &&
	    fido_assert_count(a) == 1, "credProtect 1 resident key: "
	    "discoverable without PIN");
	fido_assert_free(&a);

	is_int(fido_credman_del_dev_rk(d, fido_cred_id_ptr(c1),
	    fido_cred_id_len(c1), "1234"), FIDO_OK, "delete one");
	is_int(fido_credman_del_dev_rk(d, fido_cred_id_ptr(c1),
	    fido_cred_id_len(c1), "1234"), FIDO_ERR_NO_CREDENTIALS,
	    "delete it again: NO_CREDENTIALS");
	fido_credman_get_dev_metadata(d, md, "1234");
	is_int(fido_credman_rk_existing(md), 2, "2 left");
	is_int(fido_credman_del_dev_rk(d, fido_cred_id_ptr(c2),
	    fido_cred_id_len(c2), "1234") | fido_credman_del_dev_rk(d,
	    fido_cred_id_ptr(c3), fido_cred_id_len(c3), "1234"), FIDO_OK,
	    "delete the rest");
	is_int(fido_credman_get_dev_rp(d, rp, "1234"), FIDO_OK, "RP list again");
	is_int(fido_credman_rp_count(rp), 0, "empty");
	is_int(fido_credman_get_dev_rk(d, "ssh:a", rk, "1234"),
	    FIDO_ERR_NO_CREDENTIALS, "no credentials for ssh:a");
	is_int(fido_credman_get_dev_metadata(d, md, "0000"),
	    FIDO_ERR_PIN_INVALID, "credman with a wrong PIN: PIN_INVALID");
	dev_close(&d);
	tok_stop(&t);
	fido_cred_free(&c1);
	fido_cred_free(&c2);
	fido_cred_free(&c3);
	fido_credman_metadata_free(&md);
	fido_credman_rp_free(&rp);
	fido_credman_rk_free(&rk);
}

struct assert_job {
	fido_dev_t *d;
	const fido_cred_t *c;
	int r;
	long long end;
};

static void *
assert_thread(void *arg)
{
	struct assert_job *j = arg;
	j->r = get_assert(j->d, "ssh:", j->c, 1, NULL, NULL);
	j->end = now_ms();
	return NULL;
}

static void
test_touch(void)
{
	struct tok t;
	fido_dev_t *d = NULL;
	fido_cred_t *c = NULL;
	fido_assert_t *a = NULL;
	struct assert_job j;
	pthread_t th;
	long long t0, el;
	int touched, r, loops;
	const char *delay[] = { "--touch", "400", NULL };
	char state[300];
	const char *slow[] = { "--touch", "5000", "--state", state, NULL };
	const char *autoargs[] = { "--state", state, NULL };
	const char *deny[] = { "--touch", "deny", NULL };

	path_in(state, sizeof(state), "state-cancel");
	ok(tok_start(&t, "touch", delay) == 0, "start --touch 400");
	d = dev_open(&t);
	keepalives = 0;
	t0 = now_ms();
	is_int(make_cred(d, COSE_EDDSA, "ssh:", user_a, 0, 0, NULL, &c), FIDO_OK,
	    "make credential after a delayed touch");
	el = now_ms() - t0;
	ok(el >= 350, "it waited for the touch (%lld ms)", el);
	ok(keepalives >= 2, "keepalives while waiting (%d)", keepalives);
	keepalives = 0;
	is_int(get_assert(d, "ssh:", c, 0, NULL, &a), FIDO_OK,
	    "up=false assertion");
	ok(keepalives == 0 && a != NULL && fido_assert_flags(a, 0) == 0,
	    "... without waiting for a touch (no keepalive), UP clear");
	fido_assert_free(&a);

	/* touch probe */
	t0 = now_ms();
	is_int(fido_dev_get_touch_begin(d), FIDO_OK, "fido_dev_get_touch_begin");
	touched = 0;
	for (loops = 0, r = FIDO_OK; !touched && r == FIDO_OK && loops < 100;
	    loops++)
		r = fido_dev_get_touch_status(d, &touched, 50);
	el = now_ms() - t0;
	ok(r == FIDO_OK && touched == 1, "fido_dev_get_touch_status reports "
	    "the touch");
	ok(el >= 350 && loops > 1, "after polling (%d polls, %lld ms)", loops,
	    el);
	dev_close(&d);
	tok_stop(&t);

	/* deny, and SIGUSR1 */
	ok(tok_start(&t, "deny", deny) == 0, "start --touch deny");
	d = dev_open(&t);
	is_int(make_cred(d, COSE_ES256, "ssh:", user_a, 0, 0, NULL, NULL),
	    FIDO_ERR_OPERATION_DENIED, "touch denied: OPERATION_DENIED");
	is_int(fido_dev_get_touch_begin(d), FIDO_OK, "touch probe begin");
	touched = 0;
	for (loops = 0, r = FIDO_OK; !touched && r == FIDO_OK && loops < 40;
	    loops++)
		r = fido_dev_get_touch_status(d, &touched, 50);
	is_int(r, FIDO_ERR_OPERATION_DENIED, "touch probe denied");
	kill(t.pid, SIGUSR1);	/* handled before any later request */
	is_int(make_cred(d, COSE_ES256, "ssh:", user_a, 0, 0, NULL, NULL),
	    FIDO_OK, "SIGUSR1 toggles a configured deny to approve");
	kill(t.pid, SIGUSR1);	/* handled before any later request */
	is_int(make_cred(d, COSE_ES256, "ssh:", user_a, 0, 0, NULL, NULL),
	    FIDO_ERR_OPERATION_DENIED, "SIGUSR1 again: denied again");
	is_int(get_assert(d, "ssh:", NULL, 0, NULL, NULL), FIDO_ERR_NO_CREDENTIALS,
	    "no resident key: NO_CREDENTIALS");
	dev_close(&d);
	tok_stop(&t);

	/* cancel while waiting: from another thread, and via the probe */
	fido_cred_free(&c);
	ok(tok_start(&t, "cancel", autoargs) == 0, "start with a state file");
	d = dev_open(&t);
	is_int(make_cred(d, COSE_ES256, "ssh:", user_a, 0, 0, NULL, &c), FIDO_OK,
	    "make a credential");
	dev_close(&d);
	tok_stop(&t);
	ok(tok_start(&t, "cancel", slow) == 0, "restart it with --touch 5000");
	d = dev_open(&t);
	j.d = d;
	j.c = c;
	j.r = -999;
	keepalives = 0;
	ok(pthread_create(&th, NULL, assert_thread, &j) == 0, "assertion "
	    "waiting for a 5 s touch in a thread");
	for (t0 = now_ms(); keepalives == 0 && now_ms() - t0 < 3000; )
		sleep_ms(10);
	ok(keepalives > 0, "it is waiting (keepalives seen)");
	t0 = now_ms();
	is_int(fido_dev_cancel(d), FIDO_OK, "fido_dev_cancel");
	pthread_join(th, NULL);
	is_int(j.r, FIDO_ERR_KEEPALIVE_CANCEL, "pending assertion ended with "
	    "KEEPALIVE_CANCEL");
	ok(j.end - t0 < 2500, "promptly (%lld ms after the cancel)", j.end - t0);
	is_int(fido_dev_get_touch_begin(d), FIDO_OK, "touch probe begin");
	is_int(fido_dev_cancel(d), FIDO_OK, "cancel it");
	touched = 0;
	r = fido_dev_get_touch_status(d, &touched, 1000);
	ok(r == FIDO_ERR_KEEPALIVE_CANCEL && !touched, "probe status: "
	    "KEEPALIVE_CANCEL");
	ok(get_assert(d, "ssh:", c, 0, NULL, NULL) == FIDO_OK, "device usable "
	    "after the cancels");
	dev_close(&d);
	tok_stop(&t);
	fido_cred_free(&c);
}

static void
test_busy(void)
{
	struct tok t;
	struct raw a, b;
	unsigned char reset = 0x07, info = 0x04, buf[2048], cmd;
	size_t n;
	int kas = 0;
	long long t0;
	const char *args[] = { "--touch", "700", NULL };

	ok(tok_start(&t, "busy", args) == 0, "start --touch 700");
	ok(raw_open(&a, &t) == 0 && raw_open(&b, &t) == 0, "two connections, "
	    "INIT on each");
	ok(memcmp(a.cid, b.cid, 4) != 0, "distinct channel ids");
	ok(raw_msg(a.fd, a.cid, 0x10, &reset, 1) == 0 &&
	    raw_keepalive(a.fd, a.cid) == 0, "A: reset waits for a touch "
	    "(KEEPALIVE UPNEEDED)");
	n = sizeof(buf);
	ok(raw_msg(b.fd, b.cid, 0x10, &info, 1) == 0 &&
	    raw_reply(b.fd, b.cid, &cmd, buf, &n, 2000, NULL) == 0 &&
	    cmd == 0x3f && n == 1 && buf[0] == 0x06,
	    "B: getInfo gets CTAPHID_ERROR CHANNEL_BUSY");
	n = sizeof(buf);
	ok(raw_reply(a.fd, a.cid, &cmd, buf, &n, 3000, &kas) == 0 &&
	    cmd == 0x10 && n == 1 && buf[0] == 0, "A: reset done after touch");
	ok(kas >= 3, "A saw keepalives (%d)", kas);
	n = sizeof(buf);
	ok(raw_cbor(&b, &info, 1, buf, &n) == 0 && n > 100, "B: getInfo works "
	    "now");

	/* raw cancel: reply 0x2D, and the token keeps serving */
	raw_msg(a.fd, a.cid, 0x10, &reset, 1);
	raw_keepalive(a.fd, a.cid);
	{
		unsigned char f[64] = { 0 };

		memcpy(f, a.cid, 4);
		f[4] = 0x91;
		raw_send(a.fd, f, 64);
	}
	n = sizeof(buf);
	t0 = now_ms();
	ok(raw_reply(a.fd, a.cid, &cmd, buf, &n, 2000, NULL) == 0 &&
	    cmd == 0x10 && n == 1 && buf[0] == 0x2d, "CANCEL: request ends with "
	    "0x2D");
	ok(now_ms() - t0 < 1500, "without waiting for the touch");

	/* a connection closed mid-request cancels it */
	raw_msg(a.fd, a.cid, 0x10, &reset, 1);
	raw_keepalive(a.fd, a.cid);
	close(a.fd);
	n = sizeof(buf);
	t0 = now_ms();
	ok(raw_cbor(&b, &info, 1, buf, &n) == 0 && now_ms() - t0 < 600,
	    "closed mid-request: the next client is served without waiting "
	    "for the touch");
	close(b.fd);
	is_int(tok_stop(&t), 0, "stop");
}

static void
test_malformed(void)
{
	struct tok t;
	struct raw r;
	unsigned char f[64], buf[4096], cmd;
	size_t n;
	long long t0, el;
	static const unsigned char garbage[][12] = {
		{ 0x01, 0xff },				/* break */
		{ 0x01, 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		{ 0x01, 0xa1, 0x01 },			/* truncated */
		{ 0x02, 0xbf, 0x01, 0x02, 0xff },	/* indefinite map */
		{ 0x06, 0xc2, 0x41, 0x00 },		/* tag */
		{ 0x01, 0xa1, 0x01, 0xfa, 0, 0, 0, 0 },	/* float */
		{ 0x01, 0x80 },				/* array, not map */
		{ 0x01, 0xa2, 0x01, 0x40, 0x01, 0x40 },	/* duplicate key */
	};
	static const size_t glen[] = { 2, 10, 3, 5, 4, 8, 2, 6 };
	size_t i;
	int st;

	ok(tok_start(&t, "malformed", NULL) == 0, "start");
	ok(raw_open(&r, &t) == 0, "raw INIT");
#define EXPECT_ERR(code, what) do { \
	n = sizeof(buf); \
	ok(raw_reply(r.fd, f, &cmd, buf, &n, 2000, NULL) == 0 && \
	    cmd == 0x3f && n == 1 && buf[0] == (code), what); \
} while (0)
	memset(f, 0, 64);
	memcpy(f, r.cid, 4);
	f[4] = 0x81;
	f[6] = 1;
	raw_send(r.fd, f, 10);
	EXPECT_ERR(0x03, "10-byte report: ERR_INVALID_LEN");
	f[4] = 0x80 | 0x55;
	raw_send(r.fd, f, 64);
	EXPECT_ERR(0x01, "unknown command: ERR_INVALID_CMD");
	f[4] = 0x83;		/* U2F MSG: not offered (NMSG) */
	raw_send(r.fd, f, 64);
	EXPECT_ERR(0x01, "CTAPHID_MSG: ERR_INVALID_CMD");
	f[4] = 0x90;
	f[5] = 0x20;
	f[6] = 0x00;		/* 8192 > 7609 */
	raw_send(r.fd, f, 64);
	EXPECT_ERR(0x03, "oversized message: ERR_INVALID_LEN");
	f[5] = 0;
	f[6] = 100;
	raw_send(r.fd, f, 64);
	f[4] = 5;		/* expected seq 0 */
	raw_send(r.fd, f, 64);
	EXPECT_ERR(0x04, "wrong sequence number: ERR_INVALID_SEQ");
	{
		unsigned char g[64] = { 0x12, 0x34, 0x56, 0x78, 0x90, 0, 1, 4 };

		raw_send(r.fd, g, 64);
		n = sizeof(buf);
		ok(raw_reply(r.fd, g, &cmd, buf, &n, 2000, NULL) == 0 &&
		    cmd == 0x3f && buf[0] == 0x0b, "unallocated channel: "
		    "ERR_INVALID_CHANNEL");
	}
	f[4] = 0x90;
	f[5] = 0;
	f[6] = 100;
	raw_send(r.fd, f, 64);
	t0 = now_ms();
	EXPECT_ERR(0x05, "half a message: ERR_MSG_TIMEOUT");
	el = now_ms() - t0;
	ok(el >= 900 && el < 3000, "after about a second (%lld ms)", el);
	for (i = 0; i < sizeof(glen) / sizeof(glen[0]); i++) {
		n = sizeof(buf);
		st = raw_cbor(&r, garbage[i], glen[i], buf, &n);
		ok(st > 0, "garbage CBOR #%zu: error status 0x%02x", i, st);
	}
	{
		unsigned char u = 0x55, ping[300];
		size_t pn = sizeof(buf);

		n = sizeof(buf);
		is_int(raw_cbor(&r, &u, 1, buf, &n), 0x01,
		    "unknown CTAP2 command: INVALID_COMMAND");
		randombytes_buf(ping, sizeof(ping));
		ok(raw_msg(r.fd, r.cid, 0x01, ping, sizeof(ping)) == 0 &&
		    raw_reply(r.fd, r.cid, &cmd, buf, &pn, 2000, NULL) == 0 &&
		    cmd == 0x01 && pn == sizeof(ping) &&
		    memcmp(buf, ping, pn) == 0, "300-byte PING echoed over 6 "
		    "frames");
	}
	/* random CBOR-ish fuzz for a moment; it must keep serving */
	for (i = 0; i < 300; i++) {
		unsigned char req[200];
		size_t rl = 1 + randombytes_uniform(sizeof(req) - 1);
		static const unsigned char cmds[] = { 1, 2, 4, 6, 7, 8, 0x0a,
		    0x41 };

		randombytes_buf(req, rl);
		req[0] = cmds[randombytes_uniform(sizeof(cmds))];
		if (req[0] == 7)
			req[0] = 4;
		if (rl > 1)
			req[1] = 0xa0 | (req[1] & 0x0f);	/* a map */
		n = sizeof(buf);
		if (raw_cbor(&r, req, rl, buf, &n) < 0)
			break;
	}
	is_int(i, 300, "300 random requests each got a reply");
	n = sizeof(buf);
	{
		unsigned char info = 0x04;

		is_int(raw_cbor(&r, &info, 1, buf, &n), 0, "getInfo still works");
	}
	close(r.fd);
	is_int(tok_stop(&t), 0, "no crash: clean exit");
#undef EXPECT_ERR
}

/* PIN protocol 1, which libfido2 1.12 never picks when 2 is offered. */
static EVP_PKEY *
ecdh_key(unsigned char xy[64])
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIGNUM *x = NULL, *y = NULL;

	if (pk == NULL ||
	    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
	    BN_bn2binpad(x, xy, 32) != 32 || BN_bn2binpad(y, xy + 32, 32) != 32) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	BN_free(x);
	BN_free(y);
	return pk;
}

static int
cbc(int enc, const unsigned char *key, const unsigned char *in, size_t n,
    unsigned char *out)
{
	unsigned char iv[16] = { 0 };
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int a = 0, b = 0, ok;

	ok = c != NULL &&
	    EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv, enc) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	    EVP_CipherUpdate(c, out, &a, in, (int)n) == 1 &&
	    EVP_CipherFinal_ex(c, out + a, &b) == 1 && (size_t)(a + b) == n;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static cbor_item_t *
cose_pub(const unsigned char xy[64])
{
	cbor_item_t *k = cbor_new_definite_map(5);

	put(k, ikey(1), ikey(2));
	put(k, ikey(3), ikey(-25));
	put(k, ikey(-1), ikey(1));
	put(k, ikey(-2), cbor_build_bytestring(xy, 32));
	put(k, ikey(-3), cbor_build_bytestring(xy + 32, 32));
	return k;
}

/* Gets a v1 shared secret K = SHA-256(Z); returns our COSE key. */
static cbor_item_t *
v1_shared(struct raw *r, unsigned char K[32])
{
	cbor_item_t *m, *resp = NULL, *ka;
	unsigned char out[1024], xy[64], peer[65], z[32];
	size_t n = sizeof(out), zl = 32;
	struct cbor_load_result res;
	EVP_PKEY *mine = NULL, *theirs = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	cbor_item_t *cose = NULL;
	const unsigned char *px, *py;

	m = cbor_new_definite_map(2);
	put(m, ikey(1), ikey(1));
	put(m, ikey(2), ikey(2));
	if (raw_cbor_item(r, 0x06, m, out, &n) != 0 ||
	    (resp = cbor_load(out, n, &res)) == NULL ||
	    (ka = mget(resp, 1)) == NULL || mget(ka, -2) == NULL ||
	    mget(ka, -3) == NULL)
		goto out;
	px = cbor_bytestring_handle(mget(ka, -2));
	py = cbor_bytestring_handle(mget(ka, -3));
	peer[0] = 4;
	memcpy(peer + 1, px, 32);
	memcpy(peer + 33, py, 32);
	if ((mine = ecdh_key(xy)) == NULL ||
	    (theirs = p256_pub(peer + 1)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new(mine, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, theirs) != 1 ||
	    EVP_PKEY_derive(ctx, z, &zl) != 1)
		goto out;
	crypto_hash_sha256(K, z, 32);
	cose = cose_pub(xy);
 out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(mine);
	EVP_PKEY_free(theirs);
	if (resp != NULL)
		cbor_decref(&resp);
	return cose;
}

static int
v1_get_token(struct raw *r, const char *pin, unsigned char tok[32])
{
	unsigned char K[32], h[32], enc[16], out[512];
	size_t n = sizeof(out);
	cbor_item_t *cose, *m, *resp;
	struct cbor_load_result res;
	int st;

	if ((cose = v1_shared(r, K)) == NULL)
		return -1;
	crypto_hash_sha256(h, (const unsigned char *)pin, strlen(pin));
	if (cbc(1, K, h, 16, enc) != 0)
		return -1;
	m = cbor_new_definite_map(4);
	put(m, ikey(1), ikey(1));
	put(m, ikey(2), ikey(5));
	put(m, ikey(3), cose);
	put(m, ikey(6), cbor_build_bytestring(enc, 16));
	if ((st = raw_cbor_item(r, 0x06, m, out, &n)) != 0)
		return st;
	if ((resp = cbor_load(out, n, &res)) == NULL || mget(resp, 2) == NULL ||
	    cbor_bytestring_length(mget(resp, 2)) != 32 ||
	    cbc(0, K, cbor_bytestring_handle(mget(resp, 2)), 32, tok) != 0)
		st = -1;
	if (resp != NULL)
		cbor_decref(&resp);
	return st;
}

static int
v1_make_cred(struct raw *r, const unsigned char *param, size_t plen,
    unsigned char *flags)
{
	unsigned char cdh[32], out[2048];
	size_t n = sizeof(out);
	cbor_item_t *m, *rp, *user, *params, *alg, *resp;
	struct cbor_load_result res;
	int st;

	memset(cdh, 7, sizeof(cdh));
	m = cbor_new_definite_map(6);
	rp = cbor_new_definite_map(1);
	put(rp, cbor_build_string("id"), cbor_build_string("ssh:v1"));
	user = cbor_new_definite_map(1);
	put(user, cbor_build_string("id"), cbor_build_bytestring(user_a, 32));
	alg = cbor_new_definite_map(2);
	put(alg, cbor_build_string("alg"), ikey(-7));
	put(alg, cbor_build_string("type"), cbor_build_string("public-key"));
	params = cbor_new_definite_array(1);
	cbor_array_push(params, alg);
	cbor_decref(&alg);
	put(m, ikey(1), cbor_build_bytestring(cdh, 32));
	put(m, ikey(2), rp);
	put(m, ikey(3), user);
	put(m, ikey(4), params);
	if (param == NULL) {
		unsigned char tok[32], mac[32];

		(void)tok;
		memset(mac, 0, sizeof(mac));
		put(m, ikey(8), cbor_build_bytestring(mac, 16));
	} else {
		unsigned char mac[32];

		crypto_auth_hmacsha256_state s;
		crypto_auth_hmacsha256_init(&s, param, plen);
		crypto_auth_hmacsha256_update(&s, cdh, 32);
		crypto_auth_hmacsha256_final(&s, mac);
		put(m, ikey(8), cbor_build_bytestring(mac, 16));
	}
	put(m, ikey(9), ikey(1));
	if ((st = raw_cbor_item(r, 0x01, m, out, &n)) != 0)
		return st;
	if ((resp = cbor_load(out, n, &res)) == NULL || mget(resp, 2) == NULL ||
	    cbor_bytestring_length(mget(resp, 2)) < 37)
		st = -1;
	else
		*flags = cbor_bytestring_handle(mget(resp, 2))[32];
	if (resp != NULL)
		cbor_decref(&resp);
	return st;
}

static void
test_pin_v1(void)
{
	struct tok t;
	struct raw r;
	unsigned char tok[32], flags = 0;
	const char *args[] = { "--pin", "2468", NULL };

	ok(tok_start(&t, "pinv1", args) == 0, "start --pin 2468");
	ok(raw_open(&r, &t) == 0, "raw INIT");
	is_int(v1_get_token(&r, "2468", tok), 0, "protocol 1: getKeyAgreement, "
	    "getPinToken (AES-CBC IV 0, K = SHA-256(Z))");
	is_int(v1_make_cred(&r, tok, 32, &flags), 0, "protocol 1: "
	    "makeCredential with a 16-byte pinUvAuthParam");
	is_int(flags & 0x45, 0x45, "UP|UV|AT");
	is_int(v1_make_cred(&r, NULL, 0, &flags), 0x33, "protocol 1: wrong "
	    "pinUvAuthParam: PIN_AUTH_INVALID");
	is_int(v1_get_token(&r, "1111", tok), 0x31, "protocol 1: wrong PIN: "
	    "PIN_INVALID");
	close(r.fd);
	tok_stop(&t);
}

/*
 * A self-signed P-256 attestation certificate and its key, as PEM files
 * for softtoken's --attest-key / --attest-cert.  The DER goes to *der.
 */
static int
make_att_cert(const char *keyf, const char *certf, unsigned char **der,
    int *derlen)
{
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	X509_NAME *n;
	FILE *f = NULL;
	int r = -1;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (x = X509_new()) == NULL || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 7) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -60) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) == NULL ||
	    !X509_set_pubkey(x, k) || (n = X509_get_subject_name(x)) == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"softtoken attestation", -1, -1, 0) ||
	    !X509_set_issuer_name(x, n) || !X509_sign(x, k, EVP_sha256()))
		goto out;
	if ((f = fopen(keyf, "w")) == NULL ||
	    !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) ||
	    fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	if ((f = fopen(certf, "w")) == NULL || !PEM_write_X509(f, x) ||
	    fclose(f) != 0) {
		f = NULL;
		goto out;
	}
	f = NULL;
	*der = NULL;
	if ((*derlen = i2d_X509(x, der)) <= 0)
		goto out;
	r = 0;
 out:
	if (f != NULL)
		fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
	return r;
}

/* minPINLength, forcePINChange, a small resident-key store, x5c. */
static void
test_policy(void)
{
	struct tok t;
	fido_dev_t *d = NULL;
	fido_cbor_info_t *ci = fido_cbor_info_new();
	fido_credman_metadata_t *md = fido_credman_metadata_new();
	fido_cred_t *c = NULL;
	char state[300], keyf[300], certf[300], line[64];
	const char *args[] = { "--state", state, "--min-pin-length", "6",
	    "--rk-slots", "2", NULL };
	const char *args2[] = { "--state", state, "--force-pin-change",
	    "--rk-slots", "2", NULL };
	const char *args3[] = { "--state", state, "--attest-key", keyf,
	    "--attest-cert", certf, NULL };
	const char *bad[] = { "--attest-key", certf, "--attest-cert", keyf,
	    NULL };
	const char *rkpin[] = { "--rk-needs-pin", NULL };
	unsigned char *der = NULL, *st = NULL;
	int derlen = 0;
	size_t stlen;

	path_in(state, sizeof(state), "state-policy");
	ok(tok_start(&t, "policy", args) == 0, "start --min-pin-length 6 "
	    "--rk-slots 2");
	d = dev_open(&t);
	ok(d != NULL && fido_dev_get_cbor_info(d, ci) == FIDO_OK,
	    "getInfo with keys 0x0c, 0x0d, 0x0e, 0x14 (canonical)");
	is_int(fido_cbor_info_minpinlen(ci), 6, "minPINLength 6");
	ok(!fido_cbor_info_new_pin_required(ci), "forcePINChange false");
	is_int(fido_cbor_info_rk_remaining(ci), 2, "2 resident slots free");
	is_int(fido_cbor_info_fwversion(ci), 0x010203, "firmwareVersion");
	is_int(fido_dev_set_pin(d, "12345", NULL),
	    FIDO_ERR_PIN_POLICY_VIOLATION, "a 5-digit PIN: PIN_POLICY_VIOLATION");
	is_int(fido_dev_set_pin(d, "123456", NULL), FIDO_OK, "6 digits: set");
	is_int(make_cred(d, COSE_ES256, "ssh:a", user_a, 1, 2, "123456", NULL),
	    FIDO_OK, "resident key 1");
	is_int(make_cred(d, COSE_ES256, "ssh:b", user_a, 1, 2, "123456", NULL),
	    FIDO_OK, "resident key 2");
	is_int(make_cred(d, COSE_ES256, "ssh:c", user_a, 1, 2, "123456", NULL),
	    FIDO_ERR_KEY_STORE_FULL, "a third: KEY_STORE_FULL");
	is_int(make_cred(d, COSE_ES256, "ssh:a", user_a, 1, 2, "123456", NULL),
	    FIDO_OK, "the same account again replaces it, full or not");
	ok(fido_credman_get_dev_metadata(d, md, "123456") == FIDO_OK &&
	    fido_credman_rk_existing(md) == 2 &&
	    fido_credman_rk_remaining(md) == 0, "credman metadata: 2 used, 0 "
	    "free");
	fido_cbor_info_free(&ci);
	ci = fido_cbor_info_new();
	ok(fido_dev_get_cbor_info(d, ci) == FIDO_OK &&
	    fido_cbor_info_rk_remaining(ci) == 0, "getInfo: 0 slots free");
	dev_close(&d);
	tok_stop(&t);

	ok(tok_start(&t, "policy", args2) == 0, "restart --force-pin-change");
	d = dev_open(&t);
	fido_cbor_info_free(&ci);
	ci = fido_cbor_info_new();
	ok(d != NULL && fido_dev_get_cbor_info(d, ci) == FIDO_OK &&
	    fido_cbor_info_new_pin_required(ci) &&
	    fido_cbor_info_minpinlen(ci) == 6, "forcePINChange true, minimum "
	    "6 kept in the state");
	is_int(fido_credman_get_dev_metadata(d, md, "123456"),
	    FIDO_ERR_PIN_POLICY_VIOLATION, "the right PIN gets no token: "
	    "PIN_POLICY_VIOLATION");
	is_int(retries(d), 8, "and costs no retry");
	is_int(fido_dev_set_pin(d, "123456", "123456"),
	    FIDO_ERR_PIN_POLICY_VIOLATION, "changing to the same PIN: refused");
	is_int(fido_dev_set_pin(d, "1234567", "123456"), FIDO_OK,
	    "changing to another: ok");
	fido_cbor_info_free(&ci);
	ci = fido_cbor_info_new();
	ok(fido_dev_get_cbor_info(d, ci) == FIDO_OK &&
	    !fido_cbor_info_new_pin_required(ci), "forcePINChange cleared");
	is_int(fido_credman_get_dev_metadata(d, md, "1234567"), FIDO_OK,
	    "the new PIN gets a token");
	dev_close(&d);
	tok_stop(&t);
	st = tap_read_file(state, &stlen);
	snprintf(line, sizeof(line), "\nmin-pin-length 6\n");
	ok(st != NULL && memmem(st, stlen, line, strlen(line)) != NULL &&
	    memmem(st, stlen, "force-pin-change", 16) == NULL,
	    "state file: min-pin-length kept, force-pin-change gone");
	free(st);

	path_in(keyf, sizeof(keyf), "att.key");
	path_in(certf, sizeof(certf), "att.crt");
	ok(make_att_cert(keyf, certf, &der, &derlen) == 0, "an attestation "
	    "certificate");
	ok(tok_start(&t, "policy", args3) == 0, "restart --attest-key "
	    "--attest-cert");
	d = dev_open(&t);
	is_int(make_cred(d, COSE_EDDSA, "ssh:", user_b, 0, 0, NULL, &c),
	    FIDO_OK, "EdDSA credential");
	ok(c != NULL && fido_cred_x5c_len(c) == (size_t)derlen &&
	    memcmp(fido_cred_x5c_ptr(c), der, (size_t)derlen) == 0,
	    "x5c is the certificate");
	ok(c != NULL && fido_cred_verify(c) == FIDO_OK, "fido_cred_verify: "
	    "the ES256 signature verifies with the certificate's key");
	ok(c != NULL && fido_cred_verify_self(c) != FIDO_OK, "and it is no "
	    "self attestation");
	fido_cred_free(&c);
	dev_close(&d);
	tok_stop(&t);
	unlink(state);
	ok(tok_start(&t, "policy", bad) != 0, "a certificate that is not the "
	    "key's: softtoken refuses to start");
	ok(tok_start(&t, "rkpin", rkpin) == 0, "start --rk-needs-pin");
	d = dev_open(&t);
	is_int(make_cred(d, COSE_ES256, "ssh:", user_a, 1, 2, NULL, NULL),
	    FIDO_ERR_PIN_NOT_SET, "a resident key without a PIN: PIN_NOT_SET");
	is_int(make_cred(d, COSE_ES256, "ssh:", user_a, 0, 0, NULL, NULL),
	    FIDO_OK, "a non-resident one: made");
	is_int(fido_dev_set_pin(d, "1234", NULL), FIDO_OK, "a PIN set");
	is_int(make_cred(d, COSE_ES256, "ssh:", user_a, 1, 2, "1234", NULL),
	    FIDO_OK, "then a resident key with it: made");
	dev_close(&d);
	tok_stop(&t);
	OPENSSL_free(der);
	fido_credman_metadata_free(&md);
	fido_cbor_info_free(&ci);
}

static void
cleanup(void)
{
	DIR *dp;
	struct dirent *de;
	char p[600];

	if (tmpdir[0] == '\0' || (dp = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, de->d_name);
		unlink(p);
	}
	closedir(dp);
	rmdir(tmpdir);
}

int
main(int argc, char **argv)
{
	const char *env = getenv("SOFTTOKEN"), *td;
	char *slash;
	int r;

	(void)argc;
	if (sodium_init() < 0)
		return 1;
	if (env != NULL)
		snprintf(bin, sizeof(bin), "%s", env);
	else {
		/* tests/unit/test-softtoken -> tests/softtoken/softtoken */
		snprintf(bin, sizeof(bin), "%s", argv[0]);
		if ((slash = strrchr(bin, '/')) != NULL)
			*slash = '\0';
		else
			snprintf(bin, sizeof(bin), ".");
		strncat(bin, "/../softtoken/softtoken", sizeof(bin) - strlen(bin) - 1);
	}
	if (access(bin, X_OK) != 0) {
		printf("1..0 # skip softtoken not built (%s)\n", bin);
		return 0;
	}
	td = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/softtoken.XXXXXX", td);
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	fido_init(0);

	test_info();
	test_basic();
	test_no_eddsa();
	test_state();
	test_pin();
	test_pin_v1();
	test_credman();
	test_policy();
	test_touch();
	test_busy();
	test_malformed();

	is_int(bad_exits, 0, "every softtoken exited 0 on SIGTERM (sanitizers "
	    "and leak checks included)");
	if ((r = tap_done()) == 0)
		cleanup();
	else
		tap_diag("logs kept in %s", tmpdir);
	return r;
}
