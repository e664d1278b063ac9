/*
 * lib/attest.c against attestations built here from first principles with
 * OpenSSL and libcbor (authenticator data, COSE keys, X.509 certificates
 * and chains), as an authenticator and ssh-keygen would make them; then
 * every way one can be wrong: altered bytes, another challenge, another
 * key, another application, another CA, a mismatching AAGUID, truncation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "attest.h"
#include "key.h"
#include "secmem.h"
#include "sshbuf.h"
#include "tap.h"

#define COSE_ES256	(-7)
#define COSE_EDDSA	(-8)

static const uint8_t aaguid[16] = { 0xee, 0x88, 0x28, 0x79, 0x72, 0x1c,
    0x49, 0x13, 0x97, 0x75, 0x3d, 0xfc, 0xce, 0x97, 0x07, 0x2a };
static const char challenge[] = "a challenge from the administrator\n";
static char tmpdir[] = "/tmp/test-attest.XXXXXX";

/* ------------------------------------------------ certificates */

static X509 *
make_cert(EVP_PKEY *subj_key, const char *cn, X509 *issuer,
    EVP_PKEY *issuer_key, int ca, const uint8_t *ext_aaguid)
{
	X509 *x;
	X509_EXTENSION *ext = NULL;
	ASN1_OCTET_STRING *in = NULL, *outer = NULL;
	ASN1_OBJECT *oid = NULL;
	unsigned char *der = NULL;
	int dlen;
	X509V3_CTX ctx;

	if ((x = X509_new()) == NULL || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 1 : 2) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
	    !X509_set_pubkey(x, subj_key) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "O",
	    MBSTRING_ASC, (const unsigned char *)"Test Vendor", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(issuer != NULL ?
	    issuer : x)))
		goto fail;
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    ca ? "critical,CA:TRUE" : "CA:FALSE")) == NULL ||
	    !X509_add_ext(x, ext, -1))
		goto fail;
	X509_EXTENSION_free(ext);
	ext = NULL;
	if (ext_aaguid != NULL) {
		/* id-fido-gen-ce-aaguid: OCTET STRING of the 16 bytes */
		if ((in = ASN1_OCTET_STRING_new()) == NULL ||
		    !ASN1_OCTET_STRING_set(in, ext_aaguid, 16) ||
		    (dlen = i2d_ASN1_OCTET_STRING(in, &der)) <= 0 ||
		    (outer = ASN1_OCTET_STRING_new()) == NULL ||
		    !ASN1_OCTET_STRING_set(outer, der, dlen) ||
		    (oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1)) == NULL ||
		    (ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0,
		    outer)) == NULL || !X509_add_ext(x, ext, -1))
			goto fail;
	}
	if (!X509_sign(x, issuer_key != NULL ? issuer_key : subj_key,
	    EVP_sha256()))
		goto fail;
	goto out;
 fail:
	X509_free(x);
	x = NULL;
 out:
	X509_EXTENSION_free(ext);
	ASN1_OBJECT_free(oid);
	ASN1_OCTET_STRING_free(in);
	ASN1_OCTET_STRING_free(outer);
	OPENSSL_free(der);
	return x;
}

static void
write_pem(const char *path, X509 *a, X509 *b)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || !PEM_write_X509(f, a) ||
	    (b != NULL && !PEM_write_X509(f, b)) || fclose(f) != 0)
		abort();
}

/* ------------------------------------------------ the credential */

struct cred {
	int alg;
	EVP_PKEY *key;
	uint8_t pub[65];	/* Ed25519: 32 bytes; P-256: 04||x||y */
	size_t publen;
	struct key *ssh;	/* its .pub for application ssh: */
};

static void
cred_new(struct cred *c, int alg, const char *app)
{
	size_t n = sizeof(c->pub);

	memset(c, 0, sizeof(*c));
	c->alg = alg;
	if (alg == COSE_EDDSA) {
		if ((c->key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
		    !EVP_PKEY_get_raw_public_key(c->key, c->pub, &n))
			abort();
	} else if ((c->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "P-256")) == NULL || !EVP_PKEY_get_octet_string_param(c->key,
	    OSSL_PKEY_PARAM_PUB_KEY, c->pub, sizeof(c->pub), &n))
		abort();
	c->publen = n;
	if (key_sk_new(alg == COSE_EDDSA ? KEY_ED25519_SK : KEY_ECDSA_SK,
	    c->pub, c->publen, app, 0, NULL, 0, &c->ssh) != 0)
		abort();
}

static void
cred_free(struct cred *c)
{
	EVP_PKEY_free(c->key);
	key_free(c->ssh);
}

static cbor_item_t *
cose_key(const struct cred *c)
{
	cbor_item_t *m;
	int ok;

	if (c->alg == COSE_EDDSA) {
		m = cbor_new_definite_map(4);
		ok = cbor_map_add(m, (struct cbor_pair){ cbor_move(cbor_build_uint8(1)),
		    cbor_move(cbor_build_uint8(1)) }) &&
		    cbor_map_add(m, (struct cbor_pair){ cbor_move(cbor_build_uint8(3)),
		    cbor_move(cbor_build_negint8(7)) }) &&
		    cbor_map_add(m, (struct cbor_pair){ cbor_move(cbor_build_negint8(0)),
		    cbor_move(cbor_build_uint8(6)) }) &&
		    cbor_map_add(m, (struct cbor_pair){ cbor_move(cbor_build_negint8(1)),
		    cbor_move(cbor_build_bytestring(c->pub, 32)) });
	} else {
		m = cbor_new_definite_map(5);
		ok = cbor_map_add(m, (struct cbor_pair){ cbor_move(cbor_build_uint8(1)),
		    cbor_move(cbor_build_uint8(2)) }) &&
		    cbor_map_add(m, (struct cbor_pair){ cbor_move(cbor_build_uint8(3)),
		    cbor_move(cbor_build_negint8(6)) }) &&
		    cbor_map_add(m, (struct cbor_pair){ cbor_move(cbor_build_negint8(0)),
		    cbor_move(cbor_build_uint8(1)) }) &&
		    cbor_map_add(m, (struct cbor_pair){ cbor_move(cbor_build_negint8(1)),
		    cbor_move(cbor_build_bytestring(c->pub + 1, 32)) }) &&
		    cbor_map_add(m, (struct cbor_pair){ cbor_move(cbor_build_negint8(2)),
		    cbor_move(cbor_build_bytestring(c->pub + 33, 32)) });
	}
	if (!ok)
		abort();
	return m;
}

/* ------------------------------------------------ the attestation */

struct opts {
	const char *app;	/* rp id; "ssh:" */
	uint8_t flags;		/* 0x41 */
	EVP_PKEY *att_key;	/* NULL: self attestation */
	X509 *att_cert;
	int extra_cbor;		/* a byte after the CBOR byte string */
	int alter_ad;		/* flip a bit of the counter after signing */
	int alter_sig;
	const char *chal;	/* the challenge signed; challenge */
};

/* ssh-sk-attest-v01, as ssh-keygen -O write-attestation= writes it. */
static struct sshbuf *
make_attest(const struct cred *c, const struct opts *o)
{
	struct sshbuf *b, *ad;
	cbor_item_t *k, *bs;
	uint8_t h[32], cose[256], *der = NULL, sig[600], *wrapped = NULL;
	size_t cl, sl = sizeof(sig), wl, wsize;
	const char *chal = o->chal != NULL ? o->chal : challenge;
	EVP_MD_CTX *md;
	EVP_PKEY *signer = o->att_key != NULL ? o->att_key : c->key;
	int dl = 0;

	if ((b = sshbuf_new()) == NULL || (ad = sshbuf_new()) == NULL)
		abort();
	crypto_hash_sha256(h, (const uint8_t *)(o->app ? o->app : "ssh:"),
	    strlen(o->app ? o->app : "ssh:"));
	k = cose_key(c);
	cl = cbor_serialize(k, cose, sizeof(cose));
	cbor_decref(&k);
	if (cl == 0 || sshbuf_put(ad, h, 32) != 0 ||
	    sshbuf_put_u8(ad, o->flags ? o->flags : 0x41) != 0 ||
	    sshbuf_put_u32(ad, 42) != 0 || sshbuf_put(ad, aaguid, 16) != 0 ||
	    sshbuf_put_u8(ad, 0) != 0 || sshbuf_put_u8(ad, 16) != 0 ||
	    sshbuf_put(ad, "credential-id-16", 16) != 0 ||
	    sshbuf_put(ad, cose, cl) != 0)
		abort();
	/* the signature: over authenticatorData || SHA-256(challenge) */
	crypto_hash_sha256(h, (const uint8_t *)chal, strlen(chal));
	if (sshbuf_put(ad, h, 32) != 0 || (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_PKEY_is_a(signer, "ED25519") ?
	    NULL : EVP_sha256(), NULL, signer) != 1 ||
	    EVP_DigestSign(md, sig, &sl, sshbuf_ptr(ad), sshbuf_len(ad)) != 1 ||
	    sshbuf_consume_end(ad, 32) != 0)
		abort();
	EVP_MD_CTX_free(md);
	if (o->alter_ad)
		sshbuf_mutable_ptr(ad)[36] ^= 1;
	if (o->alter_sig)
		sig[sl / 2] ^= 1;
	bs = cbor_build_bytestring(sshbuf_ptr(ad), sshbuf_len(ad));
	wl = cbor_serialize_alloc(bs, &wrapped, &wsize);
	cbor_decref(&bs);
	if (o->att_cert != NULL && (dl = i2d_X509(o->att_cert, &der)) <= 0)
		abort();
	if (wl == 0 || sshbuf_put_cstring(b, ATTEST_MAGIC) != 0 ||
	    sshbuf_put_string(b, der, (size_t)dl) != 0 ||
	    sshbuf_put_string(b, sig, sl) != 0 ||
	    sshbuf_put_u32(b, (uint32_t)(wl + (o->extra_cbor ? 1 : 0))) != 0 ||
	    sshbuf_put(b, wrapped, wl) != 0 ||
	    (o->extra_cbor && sshbuf_put_u8(b, 0) != 0) ||
	    sshbuf_put_u32(b, 0) != 0 || sshbuf_put_string(b, NULL, 0) != 0)
		abort();
	free(wrapped);
	OPENSSL_free(der);
	sshbuf_free(ad);
	return b;
}

/* Parses and verifies; returns the result, why and info for the caller. */
static char why[512];
static struct attest_info info;

static int
check(const struct sshbuf *b, const struct key *pub, const char *chal,
    const char *ca)
{
	struct attest *a = NULL;
	int r;

	why[0] = '\0';
	memset(&info, 0, sizeof(info));
	if ((r = attest_parse(sshbuf_ptr(b), sshbuf_len(b), &a, why,
	    sizeof(why))) != 0)
		return r;
	chal = chal != NULL ? chal : challenge;
	r = attest_verify(a, pub, (const uint8_t *)chal, strlen(chal), ca,
	    &info, why, sizeof(why));
	attest_free(a);
	return r;
}

static int
has(const char *s)
{
	if (strstr(why, s) != NULL)
		return 1;
	tap_diag("why: \"%s\" lacks \"%s\"", why, s);
	return 0;
}

/* ------------------------------------------------ tests */

static void
test_self(void)
{
	struct cred ed, ec, other, app;
	struct opts o = { 0 };
	struct sshbuf *b;
	char g[37];

	cred_new(&ed, COSE_EDDSA, "ssh:");
	cred_new(&ec, COSE_ES256, "ssh:");
	cred_new(&other, COSE_EDDSA, "ssh:");
	cred_new(&app, COSE_EDDSA, "ssh:other");

	b = make_attest(&ed, &o);
	is_int(check(b, ed.ssh, NULL, NULL), 0, "Ed25519 self attestation "
	    "verifies");
	ok(info.self && info.subject[0] == '\0', "  self: no certificate");
	attest_aaguid_str(info.aaguid, g);
	is_str(g, "ee882879-721c-4913-9775-3dfcce97072a", "  the AAGUID");
	is_int(info.flags, 0x41, "  flags UP|AT");
	is_int(info.counter, 42, "  counter");
	is_int(check(b, ed.ssh, "another challenge", NULL),
	    SKA_ERR_SIGNATURE_INVALID, "another challenge: signature invalid");
	ok(has("does not verify"), "  saying so");
	is_int(check(b, other.ssh, NULL, NULL), SKA_ERR_KEY_CERT_MISMATCH,
	    "another key's .pub: refused");
	ok(has("another key"), "  saying so");
	is_int(check(b, ec.ssh, NULL, NULL), SKA_ERR_KEY_TYPE_MISMATCH,
	    "an ECDSA-SK .pub: refused");
	ok(has("for an ED25519-SK key, the key is ECDSA-SK"), "  saying so");
	is_int(check(b, app.ssh, NULL, NULL), SKA_ERR_KEY_CERT_MISMATCH,
	    "the key for ssh:other: refused");
	ok(has("another application than the key's (ssh:other)"), "  saying so");
	is_int(check(b, ed.ssh, NULL, "/nonexistent"),
	    SKA_ERR_KEY_CERT_INVALID, "--ca with a self attestation: refused");
	ok(has("self attestation"), "  saying so");
	sshbuf_free(b);

	b = make_attest(&ec, &o);
	is_int(check(b, ec.ssh, NULL, NULL), 0, "ES256 self attestation "
	    "verifies");
	is_int(check(b, ed.ssh, NULL, NULL), SKA_ERR_KEY_TYPE_MISMATCH,
	    "  not as an ED25519-SK key");
	sshbuf_free(b);

	o.alter_ad = 1;
	b = make_attest(&ed, &o);
	is_int(check(b, ed.ssh, NULL, NULL), SKA_ERR_SIGNATURE_INVALID,
	    "authenticator data altered after signing: signature invalid");
	sshbuf_free(b);
	o.alter_ad = 0;
	o.alter_sig = 1;
	b = make_attest(&ec, &o);
	is_int(check(b, ec.ssh, NULL, NULL), SKA_ERR_SIGNATURE_INVALID,
	    "signature altered: invalid");
	sshbuf_free(b);
	o.alter_sig = 0;
	o.flags = 0x40;
	b = make_attest(&ed, &o);
	is_int(check(b, ed.ssh, NULL, NULL), SKA_ERR_INVALID_FORMAT,
	    "UP clear: refused");
	ok(has("no user was present"), "  saying so");
	sshbuf_free(b);
	o.flags = 0;
	o.extra_cbor = 1;
	b = make_attest(&ed, &o);
	is_int(check(b, ed.ssh, NULL, NULL), SKA_ERR_INVALID_FORMAT,
	    "a byte after the authenticator data's CBOR: malformed");
	sshbuf_free(b);

	cred_free(&ed);
	cred_free(&ec);
	cred_free(&other);
	cred_free(&app);
}

static void
test_x5c(void)
{
	EVP_PKEY *ca_key, *other_ca_key, *att_key, *inter_key;
	X509 *ca, *other_ca, *att, *inter, *att2, *bad_aaguid, *good_aaguid;
	struct cred ed, ec;
	struct opts o = { 0 };
	struct sshbuf *b;
	char ca_pem[64], other_pem[64], both_pem[64], inter_pem[64];
	char empty[64];
	uint8_t wrong[16];
	FILE *f;

	snprintf(ca_pem, sizeof(ca_pem), "%s/ca.pem", tmpdir);
	snprintf(other_pem, sizeof(other_pem), "%s/other.pem", tmpdir);
	snprintf(both_pem, sizeof(both_pem), "%s/both.pem", tmpdir);
	snprintf(inter_pem, sizeof(inter_pem), "%s/inter.pem", tmpdir);
	snprintf(empty, sizeof(empty), "%s/empty.pem", tmpdir);
	if ((ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (other_ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (att_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (inter_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL)
		abort();
	ca = make_cert(ca_key, "Test Vendor FIDO Root CA", NULL, NULL, 1, NULL);
	other_ca = make_cert(other_ca_key, "Other Vendor Root CA", NULL, NULL,
	    1, NULL);
	att = make_cert(att_key, "Test Vendor Attestation", ca, ca_key, 0, NULL);
	inter = make_cert(inter_key, "Test Vendor Intermediate", ca, ca_key, 1,
	    NULL);
	att2 = make_cert(att_key, "Test Vendor Attestation 2", inter, inter_key,
	    0, NULL);
	memcpy(wrong, aaguid, 16);
	wrong[15] ^= 0xff;
	bad_aaguid = make_cert(att_key, "Wrong AAGUID", ca, ca_key, 0, wrong);
	good_aaguid = make_cert(att_key, "Right AAGUID", ca, ca_key, 0, aaguid);
	if (ca == NULL || other_ca == NULL || att == NULL || inter == NULL ||
	    att2 == NULL || bad_aaguid == NULL || good_aaguid == NULL)
		abort();
	write_pem(ca_pem, ca, NULL);
	write_pem(other_pem, other_ca, NULL);
	write_pem(both_pem, other_ca, ca);
	write_pem(inter_pem, inter, NULL);
	if ((f = fopen(empty, "w")) == NULL || fputs("no pem\n", f) < 0 ||
	    fclose(f) != 0)
		abort();
	cred_new(&ed, COSE_EDDSA, "ssh:");
	cred_new(&ec, COSE_ES256, "ssh:");

	o.att_key = att_key;
	o.att_cert = att;
	b = make_attest(&ed, &o);
	is_int(check(b, ed.ssh, NULL, NULL), 0, "full attestation (x5c) of an "
	    "Ed25519 key verifies");
	ok(!info.self, "  not self");
	is_str(info.subject, "CN=Test Vendor Attestation,O=Test Vendor",
	    "  the certificate's subject");
	is_str(info.issuer, "CN=Test Vendor FIDO Root CA,O=Test Vendor",
	    "  and issuer");
	is_int(check(b, ed.ssh, NULL, ca_pem), 0, "  --ca: chains to the "
	    "vendor's root");
	is_str(info.ca, "CN=Test Vendor FIDO Root CA,O=Test Vendor",
	    "  naming it");
	is_int(check(b, ed.ssh, NULL, other_pem), SKA_ERR_KEY_CERT_INVALID,
	    "  another vendor's root: refused");
	ok(has("does not chain to a CA in"), "  saying so");
	is_int(check(b, ed.ssh, NULL, both_pem), 0, "  a bundle holding the "
	    "right root among others: accepted");
	is_int(check(b, ed.ssh, NULL, empty), SKA_ERR_INVALID_ARGUMENT,
	    "  a CA file without certificates: an error");
	ok(has("no PEM certificate"), "  saying so");
	is_int(check(b, ed.ssh, "x", NULL), SKA_ERR_SIGNATURE_INVALID,
	    "  another challenge: invalid");
	sshbuf_free(b);

	o.att_cert = att2;
	b = make_attest(&ec, &o);
	is_int(check(b, ec.ssh, NULL, ca_pem), SKA_ERR_KEY_CERT_INVALID,
	    "an attestation certificate under an intermediate the file lacks: "
	    "refused");
	is_int(check(b, ec.ssh, NULL, inter_pem), 0, "  the intermediate in "
	    "the file: accepted (any certificate of it is an anchor)");
	sshbuf_free(b);

	o.att_cert = other_ca;	/* a certificate that is not the signer's */
	b = make_attest(&ed, &o);
	is_int(check(b, ed.ssh, NULL, NULL), SKA_ERR_SIGNATURE_INVALID,
	    "signed by a key that is not the certificate's: invalid");
	sshbuf_free(b);

	o.att_cert = bad_aaguid;
	b = make_attest(&ed, &o);
	is_int(check(b, ed.ssh, NULL, NULL), SKA_ERR_KEY_CERT_MISMATCH,
	    "the certificate's AAGUID extension disagrees: refused");
	ok(has("the authenticator data says ee882879"), "  saying so");
	sshbuf_free(b);
	o.att_cert = good_aaguid;
	b = make_attest(&ed, &o);
	is_int(check(b, ed.ssh, NULL, ca_pem), 0, "  agreeing: accepted");
	sshbuf_free(b);

	cred_free(&ed);
	cred_free(&ec);
	X509_free(ca);
	X509_free(other_ca);
	X509_free(att);
	X509_free(inter);
	X509_free(att2);
	X509_free(bad_aaguid);
	X509_free(good_aaguid);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_ca_key);
	EVP_PKEY_free(att_key);
	EVP_PKEY_free(inter_key);
	unlink(ca_pem);
	unlink(other_pem);
	unlink(both_pem);
	unlink(inter_pem);
	unlink(empty);
}

static void
test_hostile(void)
{
	struct cred ed;
	struct opts o = { 0 };
	struct sshbuf *b, *c;
	struct attest *a = NULL;
	size_t i, bad = 0;
	uint8_t *p;

	cred_new(&ed, COSE_EDDSA, "ssh:");
	b = make_attest(&ed, &o);
	for (i = 0; i < sshbuf_len(b); i++) {
		if (attest_parse(sshbuf_ptr(b), i, &a, why, sizeof(why)) == 0) {
			bad++;
			attest_free(a);
		}
	}
	is_int(bad, 0, "every truncation of %zu bytes refused", sshbuf_len(b));
	c = sshbuf_fromb(b);
	ok(c != NULL && sshbuf_put_u8(c, 0) == 0 &&
	    attest_parse(sshbuf_ptr(c), sshbuf_len(c), &a, why,
	    sizeof(why)) == SKA_ERR_INVALID_FORMAT && has("trailing"),
	    "a trailing byte refused");
	sshbuf_free(c);
	c = sshbuf_fromb(b);
	p = c != NULL ? sshbuf_mutable_ptr(c) : NULL;
	if (p != NULL)
		p[4 + 16] = '0';	/* "ssh-sk-attest-v00" */
	ok(p != NULL && attest_parse(p, sshbuf_len(c), &a, why,
	    sizeof(why)) == SKA_ERR_INVALID_FORMAT && has("not an "
	    "ssh-sk-attest-v01"), "another magic refused");
	sshbuf_free(c);
	/* a certificate that is not DER */
	c = sshbuf_new();
	ok(c != NULL && sshbuf_put_cstring(c, ATTEST_MAGIC) == 0 &&
	    sshbuf_put_string(c, "not a certificate", 17) == 0, "garbage x5c");
	{
		struct sshbuf *rest = sshbuf_fromb(b);
		const uint8_t *s;
		size_t sl;

		/* skip magic and the empty certificate of the original */
		if (rest == NULL || sshbuf_get_string_direct(rest, &s, &sl) != 0 ||
		    sshbuf_get_string_direct(rest, &s, &sl) != 0 ||
		    sshbuf_putb(c, rest) != 0)
			abort();
		sshbuf_free(rest);
	}
	is_int(check(c, ed.ssh, NULL, NULL), SKA_ERR_INVALID_FORMAT,
	    "  refused");
	ok(has("not DER X.509"), "  saying so");
	sshbuf_free(c);
	ok(attest_parse((const uint8_t *)"", 0, &a, why, sizeof(why)) != 0,
	    "an empty file refused");
	sshbuf_free(b);
	cred_free(&ed);
}

int
main(void)
{
	if (sodium_init() < 0 || secmem_init(0) != 0 ||
	    mkdtemp(tmpdir) == NULL)
		return 1;
	test_self();
	test_x5c();
	test_hostile();
	rmdir(tmpdir);
	return tap_done();
}
