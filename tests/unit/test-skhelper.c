/*
 * The skagent <-> skagent-sk-helper messages (lib/skhelper-msg.c) on good
 * and hostile bytes, and key_sk_signature_encode_rs: provider-style r/s
 * turned into ssh signatures that key_verify accepts, made here with
 * libsodium and OpenSSL directly (as a token would sign).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "key.h"
#include "secmem.h"
#include "skhelper-msg.h"
#include "tap.h"

#define APP	"ssh:test"

static const uint8_t KH[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static struct sshbuf *
good_req(const char *pin, const char *device)
{
	static char prov[] = "/usr/lib/provider.so", app[] = APP;
	static char pinbuf[64], devbuf[64];
	static uint8_t data[] = "data to sign", kh[sizeof(KH)];
	struct skhelper_sign_req req;
	struct sshbuf *b = sshbuf_new();

	memcpy(kh, KH, sizeof(KH));
	memset(&req, 0, sizeof(req));
	req.provider = prov;
	req.alg = SKHELPER_ALG_ED25519;
	req.data = data;
	req.dlen = sizeof(data) - 1;
	req.application = app;
	req.key_handle = kh;
	req.khlen = sizeof(kh);
	req.flags = 0x05;
	if (pin != NULL) {
		snprintf(pinbuf, sizeof(pinbuf), "%s", pin);
		req.pin = pinbuf;
	}
	if (device != NULL) {
		snprintf(devbuf, sizeof(devbuf), "%s", device);
		req.device = devbuf;
	}
	if (b == NULL || skhelper_put_sign_req(&req, b) != 0)
		abort();
	return b;
}

/* A frame around body bytes. */
static struct sshbuf *
frame(const uint8_t *body, size_t len)
{
	struct sshbuf *b = sshbuf_new();

	if (b == NULL || sshbuf_put_string(b, body, len) != 0)
		abort();
	return b;
}

static int
parse_req(const struct sshbuf *b)
{
	struct skhelper_sign_req *req = NULL;
	int r;

	r = skhelper_get_sign_req(sshbuf_ptr(b), sshbuf_len(b), &req);
	if ((r == 0) != (req != NULL))
		return 99;
	skhelper_sign_req_free(req);
	return r;
}

/* What a parser accepts, it writes back byte for byte. */
static int
req_canonical(const uint8_t *p, size_t len)
{
	struct skhelper_sign_req *req = NULL;
	struct sshbuf *b;
	int same;

	if (skhelper_get_sign_req(p, len, &req) != 0)
		return 1;
	if ((b = sshbuf_new()) == NULL || skhelper_put_sign_req(req, b) != 0)
		abort();
	same = sshbuf_len(b) == len && memcmp(sshbuf_ptr(b), p, len) == 0;
	sshbuf_free(b);
	skhelper_sign_req_free(req);
	return same;
}

static void
test_request(void)
{
	struct skhelper_sign_req *req = NULL;
	struct sshbuf *b, *f;
	const uint8_t *body;
	size_t i, blen, bad;
	uint8_t *m;

	b = good_req("123456", "/dev/hidraw3");
	ok(skhelper_get_sign_req(sshbuf_ptr(b), sshbuf_len(b), &req) == 0,
	    "request: parses");
	ok(req != NULL && strcmp(req->provider, "/usr/lib/provider.so") == 0 &&
	    req->alg == SKHELPER_ALG_ED25519 && req->dlen == 12 &&
	    memcmp(req->data, "data to sign", 12) == 0 &&
	    strcmp(req->application, APP) == 0 && req->khlen == sizeof(KH) &&
	    memcmp(req->key_handle, KH, sizeof(KH)) == 0 &&
	    req->flags == 0x05 && strcmp(req->pin, "123456") == 0 &&
	    strcmp(req->device, "/dev/hidraw3") == 0,
	    "request: every field comes back");
	skhelper_sign_req_free(req);
	req = NULL;
	ok(req_canonical(sshbuf_ptr(b), sshbuf_len(b)), "request: canonical");

	/* every shorter stream, and every shorter body in a right frame */
	body = sshbuf_ptr(b) + 4;
	blen = sshbuf_len(b) - 4;
	for (i = 0, bad = 0; i < sshbuf_len(b); i++) {
		if (skhelper_get_sign_req(sshbuf_ptr(b), i, &req) == 0 ||
		    req != NULL)
			bad++;
	}
	is_int(bad, 0, "request: each of %zu truncated streams refused",
	    sshbuf_len(b));
	for (i = 0, bad = 0; i < blen; i++) {
		f = frame(body, i);
		if (parse_req(f) == 0)
			bad++;
		sshbuf_free(f);
	}
	is_int(bad, 0, "request: each of %zu truncated bodies refused", blen);
	if ((m = malloc(sshbuf_len(b) + 1)) == NULL)
		abort();
	memcpy(m, sshbuf_ptr(b), sshbuf_len(b));
	m[sshbuf_len(b)] = 0;
	ok(skhelper_get_sign_req(m, sshbuf_len(b) + 1, &req) != 0,
	    "request: a byte after the frame refused");
	free(m);
	if ((m = malloc(blen + 1)) == NULL)
		abort();
	memcpy(m, body, blen);
	m[blen] = 0;
	f = frame(m, blen + 1);
	is_int(parse_req(f), SKA_ERR_INVALID_FORMAT,
	    "request: a byte after the last field, inside the frame, refused");
	sshbuf_free(f);
	free(m);

	/* every single-bit flip: refused, or accepted and canonical */
	if ((m = malloc(sshbuf_len(b))) == NULL)
		abort();
	for (i = 0, bad = 0; i < sshbuf_len(b) * 8; i++) {
		memcpy(m, sshbuf_ptr(b), sshbuf_len(b));
		m[i / 8] ^= (uint8_t)(1 << (i % 8));
		if (!req_canonical(m, sshbuf_len(b)))
			bad++;
	}
	is_int(bad, 0, "request: each of %zu bit flips refused or canonical",
	    sshbuf_len(b) * 8);
	free(m);
	sshbuf_free(b);

	b = good_req(NULL, "");
	ok(skhelper_get_sign_req(sshbuf_ptr(b), sshbuf_len(b), &req) == 0 &&
	    req->pin == NULL && req->device == NULL,
	    "request: no PIN, no device: NULL");
	skhelper_sign_req_free(req);
	req = NULL;
	sshbuf_free(b);
}

/* A request body built field by field, for the hostile cases. */
static struct sshbuf *
custom_req(uint8_t version, uint8_t type, const char *prov, size_t provlen,
    uint32_t alg, const char *app, size_t applen, size_t khlen,
    const char *pin, size_t pinlen)
{
	struct sshbuf *body = sshbuf_new(), *f;
	int r = 0;

	r |= sshbuf_put_u8(body, version);
	r |= sshbuf_put_u8(body, type);
	r |= sshbuf_put_string(body, prov, provlen);
	r |= sshbuf_put_u32(body, alg);
	r |= sshbuf_put_string(body, "d", 1);
	r |= sshbuf_put_string(body, app, applen);
	r |= sshbuf_put_string(body, KH, khlen);
	r |= sshbuf_put_u8(body, 1);
	r |= sshbuf_put_string(body, pin, pinlen);
	r |= sshbuf_put_string(body, "", 0);
	if (r != 0)
		abort();
	f = frame(sshbuf_ptr(body), sshbuf_len(body));
	sshbuf_free(body);
	return f;
}

static void
test_request_hostile(void)
{
	struct skhelper_sign_req *req = NULL;
	struct sshbuf *b;
	char *longpath;
	uint8_t hdr[8], *rnd;
	size_t i, accepted = 0, bad = 0;

	b = custom_req(1, 1, "/p.so", 5, 0, APP, 8, 9, "", 0);
	is_int(parse_req(b), 0, "custom request: the good one parses");
	sshbuf_free(b);
	b = custom_req(2, 1, "/p.so", 5, 0, APP, 8, 9, "", 0);
	is_int(parse_req(b), SKA_ERR_FEATURE_UNSUPPORTED, "version 2 refused");
	sshbuf_free(b);
	b = custom_req(1, 2, "/p.so", 5, 0, APP, 8, 9, "", 0);
	is_int(parse_req(b), SKA_ERR_FEATURE_UNSUPPORTED, "type 2 refused");
	sshbuf_free(b);
	b = custom_req(1, 1, "p.so", 4, 0, APP, 8, 9, "", 0);
	is_int(parse_req(b), SKA_ERR_INVALID_FORMAT, "relative provider refused");
	sshbuf_free(b);
	b = custom_req(1, 1, "", 0, 0, APP, 8, 9, "", 0);
	is_int(parse_req(b), SKA_ERR_INVALID_FORMAT, "empty provider refused");
	sshbuf_free(b);
	b = custom_req(1, 1, "/p\0.so", 6, 0, APP, 8, 9, "", 0);
	is_int(parse_req(b), SKA_ERR_INVALID_FORMAT, "NUL in the provider refused");
	sshbuf_free(b);
	b = custom_req(1, 1, "/p.so", 5, 2, APP, 8, 9, "", 0);
	is_int(parse_req(b), SKA_ERR_INVALID_FORMAT, "algorithm 2 refused");
	sshbuf_free(b);
	b = custom_req(1, 1, "/p.so", 5, 0, "", 0, 9, "", 0);
	is_int(parse_req(b), SKA_ERR_INVALID_FORMAT, "empty application refused");
	sshbuf_free(b);
	b = custom_req(1, 1, "/p.so", 5, 0, "ssh:\0x", 6, 9, "", 0);
	is_int(parse_req(b), SKA_ERR_INVALID_FORMAT, "NUL in the application refused");
	sshbuf_free(b);
	b = custom_req(1, 1, "/p.so", 5, 0, APP, 8, 0, "", 0);
	is_int(parse_req(b), SKA_ERR_INVALID_FORMAT, "empty key handle refused");
	sshbuf_free(b);
	b = custom_req(1, 1, "/p.so", 5, 0, APP, 8, 9, "12\0034", 4);
	is_int(parse_req(b), 0, "a control byte in the PIN is the PIN's business");
	sshbuf_free(b);
	b = custom_req(1, 1, "/p.so", 5, 0, APP, 8, 9, "12\0""34", 5);
	is_int(parse_req(b), SKA_ERR_INVALID_FORMAT, "NUL in the PIN refused");
	sshbuf_free(b);
	if ((longpath = malloc(SKHELPER_PATH_MAX + 2)) == NULL)
		abort();
	memset(longpath, 'a', SKHELPER_PATH_MAX + 1);
	longpath[0] = '/';
	b = custom_req(1, 1, longpath, SKHELPER_PATH_MAX + 1, 0, APP, 8, 9, "", 0);
	is_int(parse_req(b), SKA_ERR_STRING_TOO_LARGE, "a provider path over 4096 refused");
	sshbuf_free(b);
	b = custom_req(1, 1, longpath, SKHELPER_PATH_MAX, 0, APP, 8, 9, "", 0);
	is_int(parse_req(b), 0, "one of 4096 bytes is fine");
	sshbuf_free(b);
	free(longpath);

	/* frames that lie about their length */
	poke_u32(hdr, 0xffffffff);
	memset(hdr + 4, 0, 4);
	ok(skhelper_get_sign_req(hdr, sizeof(hdr), &req) != 0 && req == NULL,
	    "a 4 GiB length refused");
	poke_u32(hdr, 4);
	ok(skhelper_get_sign_req(hdr, sizeof(hdr), &req) != 0,
	    "a 4-byte body of zeroes refused");
	ok(skhelper_get_sign_req(hdr, 3, &req) == SKA_ERR_MESSAGE_INCOMPLETE,
	    "3 bytes: incomplete");
	ok(skhelper_get_sign_req(NULL, 0, &req) != 0, "NULL refused");
	if ((rnd = calloc(1, SKHELPER_MSG_MAX + 8)) == NULL)
		abort();
	poke_u32(rnd, SKHELPER_MSG_MAX + 1);
	ok(skhelper_get_sign_req(rnd, SKHELPER_MSG_MAX + 5, &req) ==
	    SKA_ERR_STRING_TOO_LARGE, "a body over the cap refused");

	/* random frames: refused or canonical, never a crash */
	for (i = 0; i < 20000; i++) {
		size_t len = 4 + (size_t)randombytes_uniform(120);

		randombytes_buf(rnd, len);
		poke_u32(rnd, (uint32_t)(len - 4));
		if (i % 2)
			rnd[4] = 1, rnd[5] = 1;	/* version and type right */
		if (skhelper_get_sign_req(rnd, len, &req) == 0) {
			accepted++;
			skhelper_sign_req_free(req);
			req = NULL;
			if (!req_canonical(rnd, len))
				bad++;
		}
	}
	is_int(bad, 0, "20000 random frames: refused or canonical (%zu accepted)",
	    accepted);
	free(rnd);
}

static struct sshbuf *
reply_bytes(uint32_t status, size_t rlen, size_t slen)
{
	struct skhelper_sign_reply rep;
	struct sshbuf *b = sshbuf_new();
	static uint8_t sig[SKHELPER_SIG_MAX + 1];

	memset(&rep, 0, sizeof(rep));
	rep.status = status;
	rep.flags = 0x01;
	rep.counter = 42;
	rep.sig_r = sig;
	rep.rlen = rlen;
	rep.sig_s = sig;
	rep.slen = slen;
	if (b == NULL || skhelper_put_sign_reply(&rep, b) != 0)
		abort();
	return b;
}

static void
test_reply(void)
{
	static uint8_t big[SKHELPER_SIG_MAX + 1];
	struct skhelper_sign_reply *rep = NULL, bigrep;
	struct sshbuf *b, *f, *tmp;
	size_t i, bad;
	uint8_t *m;

	b = reply_bytes(0, 64, 0);
	ok(skhelper_get_sign_reply(sshbuf_ptr(b), sshbuf_len(b), &rep) == 0 &&
	    rep->status == 0 && rep->flags == 1 && rep->counter == 42 &&
	    rep->rlen == 64 && rep->slen == 0, "reply: round trip");
	skhelper_sign_reply_free(rep);
	rep = NULL;
	for (i = 0, bad = 0; i < sshbuf_len(b); i++)
		if (skhelper_get_sign_reply(sshbuf_ptr(b), i, &rep) == 0)
			bad++;
	is_int(bad, 0, "reply: every truncation refused");
	for (i = 0, bad = 0; i + 4 < sshbuf_len(b); i++) {
		f = frame(sshbuf_ptr(b) + 4, i);
		if (skhelper_get_sign_reply(sshbuf_ptr(f), sshbuf_len(f),
		    &rep) == 0)
			bad++;
		sshbuf_free(f);
	}
	is_int(bad, 0, "reply: every truncated body refused");
	sshbuf_free(b);

	b = reply_bytes(SKHELPER_ERR_PIN_REQUIRED, 0, 0);
	is_int(sshbuf_len(b), 4 + 1 + 4, "an error reply is version and status");
	ok(skhelper_get_sign_reply(sshbuf_ptr(b), sshbuf_len(b), &rep) == 0 &&
	    rep->status == SKHELPER_ERR_PIN_REQUIRED && rep->sig_r == NULL,
	    "error reply: parses");
	skhelper_sign_reply_free(rep);
	rep = NULL;
	/* an error status followed by signature fields */
	tmp = reply_bytes(0, 64, 0);
	if ((m = malloc(sshbuf_len(tmp))) == NULL)
		abort();
	memcpy(m, sshbuf_ptr(tmp), sshbuf_len(tmp));
	poke_u32(m + 5, SKHELPER_ERR_GENERAL);
	ok(skhelper_get_sign_reply(m, sshbuf_len(tmp), &rep) ==
	    SKA_ERR_INVALID_FORMAT, "an error status with a signature refused");
	m[4] = 2;
	ok(skhelper_get_sign_reply(m, sshbuf_len(tmp), &rep) ==
	    SKA_ERR_FEATURE_UNSUPPORTED, "reply version 2 refused");
	free(m);
	sshbuf_free(tmp);
	sshbuf_free(b);

	b = reply_bytes(0, SKHELPER_SIG_MAX, SKHELPER_SIG_MAX);
	ok(skhelper_get_sign_reply(sshbuf_ptr(b), sshbuf_len(b), &rep) == 0,
	    "r and s of 256 bytes: the cap");
	skhelper_sign_reply_free(rep);
	rep = NULL;
	sshbuf_free(b);
	/* over the cap, built by hand (the writer refuses it) */
	memset(&bigrep, 0, sizeof(bigrep));
	bigrep.sig_r = big;
	bigrep.rlen = SKHELPER_SIG_MAX + 1;
	if ((b = sshbuf_new()) == NULL)
		abort();
	ok(skhelper_put_sign_reply(&bigrep, b) == SKA_ERR_INVALID_ARGUMENT,
	    "the writer refuses 257 bytes");
	if ((tmp = sshbuf_new()) == NULL || sshbuf_put_u8(tmp, 1) != 0 ||
	    sshbuf_put_u32(tmp, 0) != 0 || sshbuf_put_u8(tmp, 1) != 0 ||
	    sshbuf_put_u32(tmp, 1) != 0 ||
	    sshbuf_reserve(tmp, 4 + SKHELPER_SIG_MAX + 1, &m) != 0)
		abort();
	memset(m, 0, 4 + SKHELPER_SIG_MAX + 1);
	poke_u32(m, SKHELPER_SIG_MAX + 1);
	if (sshbuf_put_u32(tmp, 0) != 0)
		abort();
	f = frame(sshbuf_ptr(tmp), sshbuf_len(tmp));
	ok(skhelper_get_sign_reply(sshbuf_ptr(f), sshbuf_len(f), &rep) ==
	    SKA_ERR_STRING_TOO_LARGE, "the parser refuses 257 bytes");
	sshbuf_free(f);
	sshbuf_free(tmp);
	sshbuf_free(b);
}

static void
test_status(void)
{
	is_int(skhelper_status_from_sk(0), SKHELPER_OK, "sk 0: ok");
	is_int(skhelper_status_from_sk(-1), SKHELPER_ERR_GENERAL, "sk -1");
	is_int(skhelper_status_from_sk(-3), SKHELPER_ERR_PIN_REQUIRED, "sk -3");
	is_int(skhelper_status_from_sk(-5), SKHELPER_ERR_CREDENTIAL_EXISTS, "sk -5");
	is_int(skhelper_status_from_sk(-6), SKHELPER_ERR_GENERAL,
	    "an unknown provider error is general");
	is_int(skhelper_status_from_sk(7), SKHELPER_ERR_GENERAL,
	    "a positive one too");
	is_int(skhelper_status_err(SKHELPER_ERR_PIN_REQUIRED), SKA_ERR_PIN_REQUIRED,
	    "PIN required: asks the PIN");
	is_int(skhelper_status_err(SKHELPER_ERR_DEVICE_NOT_FOUND), SKA_ERR_NO_TOKEN,
	    "device not found: no token");
	is_int(skhelper_status_err(SKHELPER_ERR_UNSUPPORTED),
	    SKA_ERR_TOKEN_UNSUPPORTED, "unsupported");
	is_int(skhelper_status_err(1234), SKA_ERR_TOKEN, "unknown: token error");
}

/* SHA256(app) || flags || counter || SHA256(data), as a token signs. */
static void
sk_msg(uint8_t flags, uint32_t counter, const char *data, uint8_t m[69])
{
	crypto_hash_sha256(m, (const uint8_t *)APP, strlen(APP));
	m[32] = flags;
	poke_u32(m + 33, counter);
	crypto_hash_sha256(m + 37, (const uint8_t *)data, strlen(data));
}

static void
test_encode_ed25519(void)
{
	uint8_t pk[32], sk[64], m[69], sig[64];
	struct sshbuf *b = sshbuf_new();
	struct key *k = NULL;
	const char *data = "hello";
	uint8_t flags;
	uint32_t counter;

	crypto_sign_keypair(pk, sk);
	if (b == NULL || key_sk_new(KEY_ED25519_SK, pk, 32, APP, 1, KH,
	    sizeof(KH), &k) != 0)
		abort();
	sk_msg(0x05, 7, data, m);
	crypto_sign_detached(sig, NULL, m, sizeof(m), sk);
	ok(key_sk_signature_encode_rs(k, sig, 64, NULL, 0, 0x05, 7, b) == 0,
	    "ed25519-sk from r/s: encoded");
	ok(key_verify(k, sshbuf_ptr(b), sshbuf_len(b), (const uint8_t *)data,
	    strlen(data), NULL) == 0, "ed25519-sk: key_verify accepts it");
	ok(key_sk_signature_parse(sshbuf_ptr(b), sshbuf_len(b), &flags,
	    &counter) == 0 && flags == 0x05 && counter == 7,
	    "ed25519-sk: flags and counter");
	sshbuf_reset(b);
	ok(key_sk_signature_encode_rs(k, sig, 64, NULL, 0, 0x01, 7, b) == 0 &&
	    key_verify(k, sshbuf_ptr(b), sshbuf_len(b), (const uint8_t *)data,
	    strlen(data), NULL) != 0, "ed25519-sk: other flags do not verify");
	sshbuf_reset(b);
	is_int(key_sk_signature_encode_rs(k, sig, 63, NULL, 0, 5, 7, b),
	    SKA_ERR_INVALID_FORMAT, "ed25519-sk: 63 bytes refused");
	is_int(key_sk_signature_encode_rs(k, sig, 64, sig, 1, 5, 7, b),
	    SKA_ERR_INVALID_FORMAT, "ed25519-sk: an s refused");
	is_int(sshbuf_len(b), 0, "nothing appended on error");
	key_free(k);
	sshbuf_free(b);
}

static void
test_encode_ecdsa(void)
{
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *es = NULL;
	const BIGNUM *br, *bs;
	const unsigned char *p;
	uint8_t pub[65], m[69], der[80], rr[40], ss[40], pad[33];
	size_t publen = 0, derlen = sizeof(der), rlen, slen;
	struct sshbuf *b = sshbuf_new(), *out = NULL;
	struct key *k = NULL;
	const char *data = "ecdsa data";
	int r;

	if (b == NULL || (pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "P-256")) == NULL ||
	    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub,
	    sizeof(pub), &publen) != 1 || publen != 65 ||
	    key_sk_new(KEY_ECDSA_SK, pub, 65, APP, 1, KH, sizeof(KH), &k) != 0)
		abort();
	sk_msg(0x01, 1000, data, m);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(md, der, &derlen, m, sizeof(m)) != 1)
		abort();
	p = der;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL)
		abort();
	ECDSA_SIG_get0(es, &br, &bs);
	rlen = (size_t)BN_bn2bin(br, rr);
	slen = (size_t)BN_bn2bin(bs, ss);
	ok(key_sk_signature_encode_rs(k, rr, rlen, ss, slen, 0x01, 1000, b) == 0,
	    "ecdsa-sk from r/s: encoded");
	ok(key_verify(k, sshbuf_ptr(b), sshbuf_len(b), (const uint8_t *)data,
	    strlen(data), NULL) == 0, "ecdsa-sk: key_verify accepts it");
	/* the same r with leading zeroes (a fixed-width provider) */
	memset(pad, 0, sizeof(pad));
	memcpy(pad + sizeof(pad) - rlen, rr, rlen);
	sshbuf_reset(b);
	ok(key_sk_signature_encode_rs(k, pad, sizeof(pad), ss, slen, 0x01, 1000,
	    b) == 0 && key_verify(k, sshbuf_ptr(b), sshbuf_len(b),
	    (const uint8_t *)data, strlen(data), NULL) == 0,
	    "ecdsa-sk: r padded to 33 bytes is the same number");
	sshbuf_reset(b);
	pad[0] = 1;
	is_int(key_sk_signature_encode_rs(k, pad, sizeof(pad), ss, slen, 1, 1,
	    b), SKA_ERR_INVALID_FORMAT, "ecdsa-sk: an r of 33 bytes refused");
	memset(pad, 0, sizeof(pad));
	is_int(key_sk_signature_encode_rs(k, pad, sizeof(pad), ss, slen, 1, 1,
	    b), SKA_ERR_INVALID_FORMAT, "ecdsa-sk: r = 0 refused");
	is_int(key_sk_signature_encode_rs(k, rr, rlen, NULL, 0, 1, 1, b),
	    SKA_ERR_INVALID_FORMAT, "ecdsa-sk: no s refused");
	is_int(sshbuf_len(b), 0, "nothing appended on error");

	/* the whole reply path: a helper's reply frame to a checked signature */
	{
		struct skhelper_sign_reply rep;
		struct sshbuf *f = sshbuf_new(), *sig = sshbuf_new();
		uint32_t st;

		memset(&rep, 0, sizeof(rep));
		rep.flags = 0x01;
		rep.counter = 1000;
		rep.sig_r = rr;
		rep.rlen = rlen;
		rep.sig_s = ss;
		rep.slen = slen;
		if (f == NULL || sig == NULL || skhelper_put_sign_reply(&rep, f) != 0)
			abort();
		ok(skhelper_sign_result(k, (const uint8_t *)data, strlen(data),
		    sshbuf_ptr(f), sshbuf_len(f), sig, &st) == 0 && st == 0 &&
		    key_verify(k, sshbuf_ptr(sig), sshbuf_len(sig),
		    (const uint8_t *)data, strlen(data), NULL) == 0,
		    "reply to signature: checked and appended");
		sshbuf_reset(sig);
		r = skhelper_sign_result(k, (const uint8_t *)"other", 5,
		    sshbuf_ptr(f), sshbuf_len(f), sig, &st);
		ok(r == SKA_ERR_SIGNATURE_INVALID && sshbuf_len(sig) == 0,
		    "a signature over other data: refused, nothing appended");
		sshbuf_reset(f);
		rep.counter = 1001;
		if (skhelper_put_sign_reply(&rep, f) != 0)
			abort();
		is_int(skhelper_sign_result(k, (const uint8_t *)data,
		    strlen(data), sshbuf_ptr(f), sshbuf_len(f), sig, &st),
		    SKA_ERR_SIGNATURE_INVALID, "a forged counter: refused");
		sshbuf_reset(f);
		rep.status = SKHELPER_ERR_PIN_REQUIRED;
		if (skhelper_put_sign_reply(&rep, f) != 0)
			abort();
		ok(skhelper_sign_result(k, (const uint8_t *)data, strlen(data),
		    sshbuf_ptr(f), sshbuf_len(f), sig, &st) == SKA_ERR_PIN_REQUIRED &&
		    st == SKHELPER_ERR_PIN_REQUIRED, "status 3: PIN required");
		ok(skhelper_sign_result(k, (const uint8_t *)data, strlen(data),
		    sshbuf_ptr(f), 3, sig, &st) != 0 && st == SKHELPER_ERR_RESPONSE,
		    "a malformed reply: an error, status RESPONSE");
		sshbuf_free(f);
		sshbuf_free(sig);
	}

	/* the request for this key */
	if ((out = sshbuf_new()) == NULL)
		abort();
	{
		struct skhelper_sign_req *req = NULL;

		ok(skhelper_put_sign_req_key(k, "/p.so", (const uint8_t *)data,
		    strlen(data), NULL, NULL, out) == 0 &&
		    skhelper_get_sign_req(sshbuf_ptr(out), sshbuf_len(out),
		    &req) == 0 && req->alg == SKHELPER_ALG_ECDSA &&
		    req->flags == 1 && strcmp(req->application, APP) == 0 &&
		    req->khlen == sizeof(KH), "the request for an ecdsa-sk key");
		skhelper_sign_req_free(req);
	}
	sshbuf_free(out);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	key_free(k);
	sshbuf_free(b);
}

int
main(void)
{
	if (secmem_init(0) != 0 || sodium_init() < 0)
		return 1;
	test_request();
	test_request_hostile();
	test_reply();
	test_status();
	test_encode_ed25519();
	test_encode_ecdsa();
	return tap_done();
}
