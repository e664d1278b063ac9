/*
 * The skagent <-> skagent-pkcs11-helper messages (lib/p11helper-msg.c) on
 * good and hostile bytes; public keys built from PKCS#11 attributes as
 * modules give them (both encodings of a point, both names of Ed25519);
 * and signatures as a module makes them (C_Sign's raw output, made here
 * with OpenSSL and libsodium over what p11_sign_input asks for) turned
 * into ssh signatures that key_verify accepts, and altered ones refused.
 *
 * SKA_P11_SEEDS=DIR writes the frames made here there (the fuzz corpus).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "key.h"
#include "p11helper-msg.h"
#include "secmem.h"
#include "tap.h"

static struct sshbuf *
newbuf(void)
{
	struct sshbuf *b = sshbuf_new();

	if (b == NULL)
		abort();
	return b;
}

/* The body of the one frame in b (b keeps nothing after). */
static struct sshbuf *
body_of(struct sshbuf *b)
{
	static int nseed;
	const char *dir = getenv("SKA_P11_SEEDS");
	struct sshbuf *body = NULL;
	char path[4096];
	FILE *fp;

	if (p11_frame_take(b, &body) != 0 || sshbuf_len(b) != 0)
		abort();
	if (dir != NULL) {
		snprintf(path, sizeof(path), "%s/frame-%02d", dir, nseed++);
		if ((fp = fopen(path, "wb")) == NULL ||
		    fwrite(sshbuf_ptr(body), 1, sshbuf_len(body), fp) !=
		    sshbuf_len(body) || fclose(fp) != 0)
			abort();
	}
	return body;
}

static int
req_of(const uint8_t *p, size_t len)
{
	struct sshbuf *b = sshbuf_from(p, len);
	struct p11_msg *m = NULL;
	int r;

	if (b == NULL)
		abort();
	r = p11_get_req(b, &m);
	if ((r == 0) != (m != NULL))
		r = 99;
	p11_msg_free(m);
	sshbuf_free(b);
	return r;
}

static int
reply_of(const uint8_t *p, size_t len)
{
	struct sshbuf *b = sshbuf_from(p, len);
	struct p11_msg *m = NULL;
	int r;

	if (b == NULL)
		abort();
	r = p11_get_reply(b, &m);
	if ((r == 0) != (m != NULL))
		r = 99;
	p11_msg_free(m);
	sshbuf_free(b);
	return r;
}

static void
test_frames(void)
{
	struct sshbuf *s = newbuf(), *body = NULL;
	uint8_t big[4] = { 0x00, 0x10, 0x00, 0x01 };	/* 1 MiB + 1 */

	ok(p11_frame_take(s, &body) == SKA_ERR_MESSAGE_INCOMPLETE &&
	    body == NULL, "an empty stream: incomplete");
	if (p11_put_sign_req(1, 0, P11_MECH_ECDSA, (const uint8_t *)"h", 1,
	    NULL, s) != 0 || p11_put_sign_req(2, 0, P11_MECH_ECDSA,
	    (const uint8_t *)"h", 1, NULL, s) != 0)
		abort();
	if (sshbuf_consume_end(s, 1) != 0)
		abort();
	is_int(p11_frame_take(s, &body), 0, "two frames, the second cut: one taken");
	sshbuf_free(body);
	body = NULL;
	is_int(p11_frame_take(s, &body), SKA_ERR_MESSAGE_INCOMPLETE,
	    "the cut one is incomplete");
	ok(sshbuf_len(s) > 0, "and stays in the stream");
	sshbuf_reset(s);
	if (sshbuf_put(s, big, sizeof(big)) != 0)
		abort();
	is_int(p11_frame_take(s, &body), SKA_ERR_STRING_TOO_LARGE,
	    "a length over 1 MiB breaks the stream, before it is buffered");
	sshbuf_free(s);
}

static void
test_requests(void)
{
	struct sshbuf *b = newbuf(), *body;
	struct p11_msg *m = NULL;
	const uint8_t tbs[] = { 1, 2, 3 };
	char longpin[P11_PIN_MAX + 2];
	uint8_t *p;
	size_t len;

	if (p11_put_load_req(7, "/usr/lib/x/mod.so", "123456", b) != 0)
		abort();
	body = body_of(b);
	is_int(p11_get_req(body, &m), 0, "load request parses");
	ok(m != NULL && m->type == P11_LOAD && m->seq == 7 &&
	    strcmp(m->module, "/usr/lib/x/mod.so") == 0 &&
	    strcmp(m->pin, "123456") == 0, "module, PIN and seq round-trip");
	p11_msg_free(m);
	m = NULL;
	p = sshbuf_mutable_ptr(body);
	len = sshbuf_len(body);
	p[0] = 1;
	is_int(req_of(p, len), SKA_ERR_FEATURE_UNSUPPORTED,
	    "version 1 (no PINs in sign requests) refused");
	p[0] = 3;
	is_int(req_of(p, len), SKA_ERR_FEATURE_UNSUPPORTED, "version 3 refused");
	p[0] = 2;
	p[1] = 3;
	is_int(req_of(p, len), SKA_ERR_FEATURE_UNSUPPORTED, "type 3 refused");
	p[1] = 1;
	is_int(req_of(p, len - 1), SKA_ERR_MESSAGE_INCOMPLETE, "a cut request");
	sshbuf_free(body);

	if (p11_put_load_req(1, "/m.so", NULL, b) != 0)
		abort();
	body = body_of(b);
	is_int(p11_get_req(body, &m), 0, "load without a PIN");
	ok(m != NULL && m->pin == NULL, "the PIN is NULL");
	p11_msg_free(m);
	m = NULL;
	if (sshbuf_put_u8(body, 0) != 0)
		abort();
	is_int(p11_get_req(body, &m), SKA_ERR_INVALID_FORMAT, "a trailing byte");
	sshbuf_free(body);

	if (p11_put_load_req(1, "relative.so", NULL, b) != 0)
		abort();
	body = body_of(b);
	is_int(p11_get_req(body, &m), SKA_ERR_INVALID_FORMAT, "a relative module path");
	sshbuf_free(body);

	if (p11_put_sign_req(9, 3, P11_MECH_RSA_PKCS, tbs, sizeof(tbs), NULL,
	    b) != 0)
		abort();
	body = body_of(b);
	is_int(p11_get_req(body, &m), 0, "sign request parses");
	ok(m != NULL && m->type == P11_SIGN && m->seq == 9 && m->key == 3 &&
	    m->mech == P11_MECH_RSA_PKCS && m->tbslen == 3 &&
	    memcmp(m->tbs, tbs, 3) == 0 && m->pin == NULL,
	    "its fields round-trip, no PIN");
	p11_msg_free(m);
	m = NULL;
	sshbuf_free(body);

	if (p11_put_sign_req(4, 1, P11_MECH_ECDSA, tbs, sizeof(tbs), "9876",
	    b) != 0)
		abort();
	body = body_of(b);
	is_int(p11_get_req(body, &m), 0, "sign request with a PIN parses");
	ok(m != NULL && m->pin != NULL && strcmp(m->pin, "9876") == 0 &&
	    m->tbslen == 3, "the PIN of an always_auth key round-trips");
	p11_msg_free(m);
	m = NULL;
	if (sshbuf_consume_end(body, 4) != 0 ||
	    sshbuf_put(body, "98\0" "6", 4) != 0)
		abort();
	is_int(p11_get_req(body, &m), SKA_ERR_INVALID_FORMAT,
	    "a PIN with a NUL refused");
	p = sshbuf_mutable_ptr(body);
	p[13] = 4;	/* mechanism, low byte */
	is_int(req_of(p, sshbuf_len(body)), SKA_ERR_INVALID_FORMAT,
	    "an unknown mechanism");
	sshbuf_free(body);
	ok(p11_put_sign_req(1, 0, P11_MECH_EDDSA, tbs, 0, NULL, b) ==
	    SKA_ERR_INVALID_ARGUMENT, "nothing to sign is not sent");
	memset(longpin, '7', sizeof(longpin) - 1);
	longpin[sizeof(longpin) - 1] = '\0';
	ok(p11_put_sign_req(1, 0, P11_MECH_EDDSA, tbs, 1, longpin, b) ==
	    SKA_ERR_INVALID_ARGUMENT && sshbuf_len(b) == 0,
	    "a PIN over P11_PIN_MAX is not sent");
	sshbuf_free(b);
}

static void
test_replies(void)
{
	struct sshbuf *b = newbuf(), *body;
	struct p11_msg *m = NULL;
	struct p11_key keys[2];
	uint8_t blob1[] = { 1, 2, 3 }, blob2[] = { 4 }, sig[] = { 9, 9 };
	char l1[] = "my key", l2[] = "";
	uint8_t *p;
	size_t len;

	keys[0].blob = blob1;
	keys[0].bloblen = sizeof(blob1);
	keys[0].label = l1;
	keys[1].blob = blob2;
	keys[1].bloblen = sizeof(blob2);
	keys[1].label = l2;
	keys[0].always_auth = 0;
	keys[1].always_auth = 1;
	if (p11_put_load_reply(5, P11_OK, keys, 2, b) != 0)
		abort();
	body = body_of(b);
	is_int(p11_get_reply(body, &m), 0, "load reply parses");
	ok(m != NULL && m->seq == 5 && m->status == 0 && m->nkeys == 2 &&
	    m->keys[0].bloblen == 3 && strcmp(m->keys[0].label, "my key") == 0 &&
	    m->keys[1].bloblen == 1 && strcmp(m->keys[1].label, "") == 0 &&
	    !m->keys[0].always_auth && m->keys[1].always_auth,
	    "two keys with labels and always_auth round-trip");
	p11_msg_free(m);
	m = NULL;
	p = sshbuf_mutable_ptr(body);
	len = sshbuf_len(body);
	p[13] = 3;	/* nkeys 3 with two there */
	is_int(reply_of(p, len), SKA_ERR_MESSAGE_INCOMPLETE, "more keys than sent");
	p[13] = 2;
	p[10] = 1;	/* nkeys 2^24 + 2 */
	is_int(reply_of(p, len), SKA_ERR_INVALID_FORMAT, "too many keys");
	p[10] = 0;
	p[len - 1] = 2;	/* the last key's always_auth */
	is_int(reply_of(p, len), SKA_ERR_INVALID_FORMAT,
	    "always_auth neither 0 nor 1");
	sshbuf_free(body);

	if (p11_put_load_reply(5, P11_ERR_PIN_INCORRECT, NULL, 0, b) != 0)
		abort();
	body = body_of(b);
	is_int(p11_get_reply(body, &m), 0, "a failed load parses");
	ok(m != NULL && m->status == P11_ERR_PIN_INCORRECT && m->nkeys == 0,
	    "with its status and no keys");
	is_str(p11_status_str(m->status), "wrong PIN", "said as \"wrong PIN\"");
	is_int(p11_status_err(m->status), SKA_ERR_PIN_INVALID, "SKA_ERR_PIN_INVALID");
	p11_msg_free(m);
	m = NULL;
	sshbuf_free(body);

	if (p11_put_sign_reply(8, P11_OK, sig, sizeof(sig), b) != 0)
		abort();
	body = body_of(b);
	is_int(p11_get_reply(body, &m), 0, "sign reply parses");
	ok(m != NULL && m->type == P11_SIGN && m->siglen == 2 && m->sig[0] == 9,
	    "its signature round-trips");
	p11_msg_free(m);
	m = NULL;
	sshbuf_free(body);
	ok(p11_put_sign_reply(8, P11_OK, sig, P11_SIG_MAX + 1, b) ==
	    SKA_ERR_INVALID_ARGUMENT, "an oversized signature is not sent");
	keys[1].bloblen = 0;
	ok(p11_put_load_reply(5, P11_OK, keys, 2, b) == SKA_ERR_INVALID_ARGUMENT,
	    "nor an empty key blob");
	sshbuf_free(b);
}

/* Keys from attributes, checked against ssh keys made by key_generate. */

static struct sshbuf *
blob_view(const struct key *k)
{
	const uint8_t *p;
	size_t len;
	struct sshbuf *b;

	p = key_blob(k, &len);
	if ((b = sshbuf_from(p, len)) == NULL ||
	    sshbuf_get_string_direct(b, NULL, NULL) != 0)
		abort();
	return b;
}

static void
test_blobs(void)
{
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	    0x3d, 0x03, 0x01, 0x07 };
	static const uint8_t p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
	static const uint8_t p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };
	static const uint8_t ed_oid[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
	static const uint8_t ed_str[] = { 0x13, 0x0c, 'e', 'd', 'w', 'a', 'r',
	    'd', 's', '2', '5', '5', '1', '9' };
	const uint8_t *oids[3] = { p256, p384, p521 };
	const size_t oidlen[3] = { sizeof(p256), sizeof(p384), sizeof(p521) };
	const unsigned int bits[3] = { 256, 384, 521 };
	struct key *k = NULL;
	struct sshbuf *v, *out = newbuf();
	const uint8_t *e, *n, *q, *kb;
	size_t elen, nlen, qlen, kblen, i;
	uint8_t der[200];

	if (key_generate(KEY_RSA, 2048, &k) != 0)
		abort();
	v = blob_view(k);
	if (sshbuf_get_bignum2_bytes_direct(v, &e, &elen) != 0 ||
	    sshbuf_get_bignum2_bytes_direct(v, &n, &nlen) != 0)
		abort();
	kb = key_blob(k, &kblen);
	ok(p11_blob_rsa(n, nlen, e, elen, out) == 0 &&
	    sshbuf_len(out) == kblen && memcmp(sshbuf_ptr(out), kb, kblen) == 0,
	    "RSA from CKA_MODULUS and CKA_PUBLIC_EXPONENT: the same blob");
	sshbuf_reset(out);
	is_int(p11_blob_rsa(n, 64, e, elen, out), SKA_ERR_KEY_LENGTH,
	    "a 512-bit modulus is refused");
	sshbuf_free(v);
	key_free(k);
	k = NULL;

	for (i = 0; i < 3; i++) {
		if (key_generate(KEY_ECDSA, bits[i], &k) != 0)
			abort();
		v = blob_view(k);
		if (sshbuf_get_string_direct(v, NULL, NULL) != 0 ||
		    sshbuf_get_string_direct(v, &q, &qlen) != 0)
			abort();
		kb = key_blob(k, &kblen);
		sshbuf_reset(out);
		/* DER OCTET STRING: long form length for P-521 */
		der[0] = 0x04;
		if (qlen < 128) {
			der[1] = (uint8_t)qlen;
			memcpy(der + 2, q, qlen);
		} else {
			der[1] = 0x81;
			der[2] = (uint8_t)qlen;
			memcpy(der + 3, q, qlen);
		}
		ok(p11_blob_ec(oids[i], oidlen[i], der, qlen + (qlen < 128 ? 2 : 3),
		    out) == 0 && sshbuf_len(out) == kblen &&
		    memcmp(sshbuf_ptr(out), kb, kblen) == 0,
		    "P-%u from CKA_EC_PARAMS and a DER CKA_EC_POINT", bits[i]);
		sshbuf_reset(out);
		ok(p11_blob_ec(oids[i], oidlen[i], q, qlen, out) == 0 &&
		    sshbuf_len(out) == kblen && memcmp(sshbuf_ptr(out), kb, kblen) == 0,
		    "P-%u from a bare point", bits[i]);
		sshbuf_reset(out);
		der[qlen < 128 ? 2 + qlen / 2 : 3 + qlen / 2] ^= 1;
		ok(p11_blob_ec(oids[i], oidlen[i], der, qlen + (qlen < 128 ? 2 : 3),
		    out) != 0 && sshbuf_len(out) == 0,
		    "P-%u: a point off the curve is refused", bits[i]);
		ok(p11_blob_ec(oids[i], oidlen[i], der, qlen + 1, out) != 0,
		    "P-%u: a cut point is refused", bits[i]);
		ok(p11_blob_ec(oids[(i + 1) % 3], oidlen[(i + 1) % 3], q, qlen,
		    out) != 0, "P-%u: the point under another curve is refused",
		    bits[i]);
		sshbuf_free(v);
		key_free(k);
		k = NULL;
	}

	if (key_generate(KEY_ED25519, 0, &k) != 0)
		abort();
	q = key_ed25519_public(k);
	kb = key_blob(k, &kblen);
	der[0] = 0x04;
	der[1] = 32;
	memcpy(der + 2, q, 32);
	sshbuf_reset(out);
	ok(p11_blob_ec(ed_oid, sizeof(ed_oid), der, 34, out) == 0 &&
	    sshbuf_len(out) == kblen && memcmp(sshbuf_ptr(out), kb, kblen) == 0,
	    "Ed25519 from the OID and an OCTET STRING");
	sshbuf_reset(out);
	ok(p11_blob_ec(ed_str, sizeof(ed_str), q, 32, out) == 0 &&
	    sshbuf_len(out) == kblen && memcmp(sshbuf_ptr(out), kb, kblen) == 0,
	    "Ed25519 from \"edwards25519\" and the bare key");
	is_int(p11_blob_ec((const uint8_t *)"\x06\x01\x01", 3, q, 32, out),
	    SKA_ERR_KEY_TYPE_UNKNOWN, "an unknown curve");
	key_free(k);
	sshbuf_free(out);
}

/* A module's C_Sign over tbs, made with OpenSSL / libsodium. */
static size_t
module_sign(EVP_PKEY *pk, const uint8_t *ed_sk, uint32_t mech,
    const struct sshbuf *tbs, uint8_t *out, size_t outmax)
{
	EVP_PKEY_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	const unsigned char *dp;
	uint8_t der[256];
	size_t len = sizeof(der), half;

	if (mech == P11_MECH_EDDSA) {
		crypto_sign_detached(out, NULL, sshbuf_ptr(tbs), sshbuf_len(tbs),
		    ed_sk);
		return 64;
	}
	if ((ctx = EVP_PKEY_CTX_new(pk, NULL)) == NULL ||
	    EVP_PKEY_sign_init(ctx) != 1)
		abort();
	if (mech == P11_MECH_RSA_PKCS) {
		len = outmax;
		if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_sign(ctx, out, &len, sshbuf_ptr(tbs),
		    sshbuf_len(tbs)) != 1)
			abort();
		EVP_PKEY_CTX_free(ctx);
		return len;
	}
	if (EVP_PKEY_sign(ctx, der, &len, sshbuf_ptr(tbs), sshbuf_len(tbs)) != 1)
		abort();
	dp = der;
	if ((es = d2i_ECDSA_SIG(NULL, &dp, (long)len)) == NULL)
		abort();
	ECDSA_SIG_get0(es, &r, &s);
	half = (size_t)(EVP_PKEY_get_bits(pk) + 7) / 8;
	if (2 * half > outmax || BN_bn2binpad(r, out, (int)half) < 0 ||
	    BN_bn2binpad(s, out + half, (int)half) < 0)
		abort();
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
	return 2 * half;
}

/* The ssh public key of an OpenSSL key, through the attribute path. */
static struct key *
ssh_pub(EVP_PKEY *pk, const uint8_t *ed_pk)
{
	struct sshbuf *b = newbuf();
	struct key *k = NULL;
	uint8_t n[1024], e[16], q[200], oid[16];
	BIGNUM *bn = NULL;
	size_t qlen = 0, oidlen;
	char curve[64];
	int nlen, elen;

	if (ed_pk != NULL) {
		if (p11_blob_ec((const uint8_t *)"\x06\x03\x2b\x65\x70", 5,
		    ed_pk, 32, b) != 0)
			abort();
	} else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &bn) != 1 ||
		    (nlen = BN_bn2bin(bn, n)) <= 0)
			abort();
		BN_free(bn);
		bn = NULL;
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &bn) != 1 ||
		    (elen = BN_bn2bin(bn, e)) <= 0)
			abort();
		BN_free(bn);
		if (p11_blob_rsa(n, (size_t)nlen, e, (size_t)elen, b) != 0)
			abort();
	} else {
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME,
		    curve, sizeof(curve), NULL) != 1 ||
		    EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY,
		    q, sizeof(q), &qlen) != 1)
			abort();
		if (strcmp(curve, "prime256v1") == 0) {
			memcpy(oid, "\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07", 10);
			oidlen = 10;
		} else {
			memcpy(oid, strcmp(curve, "secp384r1") == 0 ?
			    "\x06\x05\x2b\x81\x04\x00\x22" :
			    "\x06\x05\x2b\x81\x04\x00\x23", 7);
			oidlen = 7;
		}
		if (p11_blob_ec(oid, oidlen, q, qlen, b) != 0)
			abort();
	}
	if (key_from_blob(sshbuf_ptr(b), sshbuf_len(b), &k) != 0)
		abort();
	sshbuf_free(b);
	return k;
}

static void
sign_case(const char *what, EVP_PKEY *pk, const uint8_t *ed_pk,
    const uint8_t *ed_sk, uint32_t flags, const char *want_alg)
{
	struct key *k = ssh_pub(pk, ed_pk);
	struct sshbuf *tbs = newbuf(), *sig = newbuf(), *v;
	const uint8_t data[] = "a userauth request, say";
	uint8_t raw[1024];
	uint32_t mech = 0;
	size_t rawlen;
	char *alg = NULL;

	is_int(p11_sign_input(k, flags, data, sizeof(data), &mech, tbs), 0,
	    "%s: what the module signs", what);
	rawlen = module_sign(pk, ed_sk, mech, tbs, raw, sizeof(raw));
	is_int(p11_sign_result(k, flags, data, sizeof(data), raw, rawlen, sig),
	    0, "%s: the module's signature becomes an ssh signature", what);
	if ((v = sshbuf_from(sshbuf_ptr(sig), sshbuf_len(sig))) == NULL ||
	    sshbuf_get_cstring(v, &alg, NULL) != 0)
		abort();
	is_str(alg, want_alg, "%s: of algorithm %s", what, want_alg);
	ok(key_verify(k, sshbuf_ptr(sig), sshbuf_len(sig), data, sizeof(data),
	    NULL) == 0, "%s: key_verify accepts it", what);
	sshbuf_reset(sig);
	raw[rawlen / 2] ^= 0x40;
	is_int(p11_sign_result(k, flags, data, sizeof(data), raw, rawlen, sig),
	    SKA_ERR_SIGNATURE_INVALID, "%s: an altered signature is refused", what);
	ok(sshbuf_len(sig) == 0, "%s: and nothing appended", what);
	raw[rawlen / 2] ^= 0x40;
	is_int(p11_sign_result(k, flags, data, sizeof(data) - 1, raw, rawlen,
	    sig), SKA_ERR_SIGNATURE_INVALID,
	    "%s: a signature of other data is refused", what);
	free(alg);
	sshbuf_free(v);
	sshbuf_free(tbs);
	sshbuf_free(sig);
	key_free(k);
}

static void
test_signatures(void)
{
	EVP_PKEY *rsa, *p256, *p384, *p521;
	uint8_t ed_pk[32], ed_sk[64];

	if ((rsa = EVP_RSA_gen(2048)) == NULL ||
	    (p256 = EVP_EC_gen("P-256")) == NULL ||
	    (p384 = EVP_EC_gen("P-384")) == NULL ||
	    (p521 = EVP_EC_gen("P-521")) == NULL)
		abort();
	crypto_sign_keypair(ed_pk, ed_sk);
	sign_case("RSA sha2-256", rsa, NULL, NULL, 0x02, "rsa-sha2-256");
	sign_case("RSA sha2-512", rsa, NULL, NULL, 0x04, "rsa-sha2-512");
	sign_case("RSA sha1", rsa, NULL, NULL, 0, "ssh-rsa");
	sign_case("P-256", p256, NULL, NULL, 0, "ecdsa-sha2-nistp256");
	sign_case("P-384", p384, NULL, NULL, 0, "ecdsa-sha2-nistp384");
	sign_case("P-521", p521, NULL, NULL, 0, "ecdsa-sha2-nistp521");
	sign_case("Ed25519", NULL, ed_pk, ed_sk, 0, "ssh-ed25519");
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p521);
}

int
main(void)
{
	if (secmem_init(0) != 0 || sodium_init() < 0)
		abort();
	test_frames();
	test_requests();
	test_replies();
	test_blobs();
	test_signatures();
	return tap_done();
}
