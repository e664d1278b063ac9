/*
 * Key codecs against OpenSSH's own output: public lines, fingerprints,
 * certificates and their CA signatures, private keys from ssh-keygen's
 * files, signatures made by ssh-keygen -Y sign; then round trips, sk
 * signatures and hostile input.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "key.h"
#include "secmem.h"
#include "sshbuf.h"
#include "tap.h"

#define DATA "tests/unit/data/"

static const char *plain[] = { "ed25519", "ecdsa256", "ecdsa384", "ecdsa521",
    "rsa2048", "sk_ed25519", "sk_ecdsa", "ca_ed25519", "ca_rsa", "ca_ecdsa" };
static const char *certs[] = { "ed25519", "rsa2048", "ecdsa384", "ecdsa521",
    "sk_ed25519", "sk_ecdsa" };
static const char *privs[] = { "ed25519", "ecdsa256", "ecdsa384", "ecdsa521",
    "rsa2048" };

static char *
read_text(const char *name)
{
	char path[256];
	size_t len;

	snprintf(path, sizeof(path), DATA "%s", name);
	return (char *)tap_read_file(path, &len);
}

static char *
chomp(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

/* "256 SHA256:xxx comment (TYPE)" lines for file f: the fingerprint field */
static int
fingerprint_listed(const char *fp)
{
	char *all = read_text("fingerprints.txt");
	int found = strstr(all, fp) != NULL;

	free(all);
	return found;
}

static struct key *
load_pub(const char *file, char **commentp)
{
	char *line = chomp(read_text(file));
	struct key *k = NULL;
	int r;

	if ((r = key_from_public_line(line, &k, commentp)) != 0)
		tap_diag("%s: %s", file, ska_err(r));
	free(line);
	return k;
}

static void
test_public(void)
{
	char name[64], *line, *out = NULL, *comment = NULL, *fp;
	struct key *k;
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		snprintf(name, sizeof(name), "%s.pub", plain[i]);
		k = load_pub(name, &comment);
		ok(k != NULL, "%s parses", name);
		if (k == NULL)
			continue;
		ok(!key_is_cert(k) && !key_has_private(k), "%s: plain public", name);
		line = chomp(read_text(name));
		ok(key_to_public_line(k, comment, &out) == 0 &&
		    strcmp(out, line) == 0, "%s: written back byte for byte", name);
		fp = key_fingerprint(k, KEY_FP_SHA256);
		ok(fp != NULL && fingerprint_listed(fp), "%s: SHA256 fingerprint as ssh-keygen -l", name);
		free(fp);
		fp = key_fingerprint(k, KEY_FP_MD5);
		ok(fp != NULL && fingerprint_listed(fp), "%s: MD5 fingerprint as ssh-keygen -l -E md5", name);
		free(fp);
		free(line);
		free(out);
		free(comment);
		out = comment = NULL;
		key_free(k);
	}
}

static void
test_certs(void)
{
	char name[64], *line, *out = NULL, *comment = NULL, *b64, *sp;
	struct key *k, *plainkey, *t;
	struct sshbuf *b;
	size_t i, len, pos;
	const uint8_t *blob;
	uint8_t *mut;

	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		snprintf(name, sizeof(name), "%s-cert.pub", certs[i]);
		k = load_pub(name, &comment);
		ok(k != NULL && key_is_cert(k), "%s parses as a certificate", name);
		if (k == NULL)
			continue;
		line = chomp(read_text(name));
		ok(key_to_public_line(k, comment, &out) == 0 &&
		    strcmp(out, line) == 0, "%s: written back byte for byte", name);
		snprintf(name, sizeof(name), "%s.pub", certs[i]);
		plainkey = load_pub(name, NULL);
		ok(key_equal_public(k, plainkey) && !key_equal(k, plainkey),
		    "%s: same key as its plain key, not the same blob", name);
		ok(key_drop_cert(k, &t) == 0 && key_equal(t, plainkey),
		    "%s: dropping the certificate gives the plain key", name);
		key_free(t);
		ok(key_cert_signature_key(k) != NULL &&
		    key_cert_nprincipals(k) >= 1, "%s: CA key and principals", name);
		/* every single-byte change in the signed part or the signature is caught */
		blob = key_blob(k, &len);
		mut = malloc(len);
		memcpy(mut, blob, len);
		pos = len - 10;		/* inside the CA signature */
		mut[pos] ^= 0x01;
		ok(key_from_blob(mut, len, &t) == SKA_ERR_KEY_CERT_INVALID,
		    "%s: a flipped signature bit is refused", name);
		mut[pos] ^= 0x01;
		mut[60] ^= 0x01;	/* nonce or key: signed */
		ok(key_from_blob(mut, len, &t) != 0, "%s: a flipped signed bit is refused", name);
		free(mut);
		free(line);
		free(out);
		free(comment);
		out = comment = NULL;
		key_free(plainkey);
		key_free(k);
	}
	k = load_pub("ed25519-cert.pub", NULL);
	is_int(key_cert_type(k), KEY_CERT_USER, "user certificate");
	is_str(key_cert_principal(k, 1), "bob", "second principal");
	is_str(key_cert_key_id(k), "user-ed", "key id");
	t = load_pub("ca_ed25519.pub", NULL);
	ok(key_equal(key_cert_signature_key(k), t), "signed by the CA");
	{
		struct key *pk = load_pub("ed25519.pub", NULL);
		char *f1 = key_fingerprint(k, KEY_FP_SHA256);
		char *f2 = key_fingerprint(pk, KEY_FP_SHA256);

		ok(f1 != NULL && f2 != NULL && strcmp(f1, f2) == 0,
		    "a certificate's fingerprint is its key's (as ssh-keygen -l)");
		free(f1);
		free(f2);
		key_free(pk);
	}
	key_free(t);
	key_free(k);
	k = load_pub("ecdsa384-cert.pub", NULL);
	is_int(key_cert_type(k), KEY_CERT_HOST, "host certificate");
	key_free(k);
	/* a certificate with bytes after its end */
	line = chomp(read_text("ed25519-cert.pub"));
	b64 = strchr(line, ' ') + 1;
	*(sp = strchr(b64, ' ')) = '\0';
	b = sshbuf_new();
	ok(sshbuf_b64tod(b, b64) == 0 && sshbuf_put_u8(b, 0) == 0, "decode");
	is_int(key_from_blob(sshbuf_ptr(b), sshbuf_len(b), &k), SKA_ERR_INVALID_FORMAT,
	    "trailing bytes refused");
	sshbuf_free(b);
	free(line);
}

/* Minimal unencrypted openssh-key-v1 reader: the private section's key. */
static struct key *
load_private(const char *name, char **commentp)
{
	char *text = read_text(name), *s, *e;
	struct sshbuf *b = sshbuf_new(), *priv = NULL;
	struct key *k = NULL;
	uint32_t c1, c2, n;
	char magic[15];
	int r;

	s = strchr(text, '\n') + 1;
	e = strstr(s, "-----END");
	*e = '\0';
	if (sshbuf_b64tod(b, s) != 0 || sshbuf_get(b, magic, 15) != 0 ||
	    memcmp(magic, "openssh-key-v1", 15) != 0 ||
	    sshbuf_get_string_direct(b, NULL, NULL) != 0 ||
	    sshbuf_get_string_direct(b, NULL, NULL) != 0 ||
	    sshbuf_get_string_direct(b, NULL, NULL) != 0 ||
	    sshbuf_get_u32(b, &n) != 0 || n != 1 ||
	    sshbuf_get_string_direct(b, NULL, NULL) != 0 ||
	    sshbuf_froms(b, &priv) != 0 ||
	    sshbuf_get_u32(priv, &c1) != 0 || sshbuf_get_u32(priv, &c2) != 0 ||
	    c1 != c2) {
		tap_diag("%s: not an unencrypted openssh-key-v1 file", name);
		goto out;
	}
	if ((r = key_private_deserialize(priv, &k)) != 0) {
		tap_diag("%s: %s", name, ska_err(r));
		goto out;
	}
	if (sshbuf_get_cstring(priv, commentp, NULL) != 0) {
		key_free(k);
		k = NULL;
	}
 out:
	sshbuf_free(priv);
	sshbuf_free(b);
	free(text);
	return k;
}

/* Verifies ssh-keygen -Y sign's signature of msg.txt with our code. */
static int
verify_sshsig(const struct key *k, const char *name)
{
	char *text = read_text(name), *s, *e, *msg;
	struct sshbuf *b = sshbuf_new(), *signed_data = sshbuf_new();
	const uint8_t *pub, *ns, *res, *halg, *sig;
	size_t publen, nslen, reslen, halglen, siglen;
	uint8_t h[64];
	unsigned int hlen;
	uint32_t ver;
	char magic[6];
	int r = -1;

	msg = read_text("msg.txt");
	s = strchr(text, '\n') + 1;
	e = strstr(s, "-----END");
	*e = '\0';
	if (sshbuf_b64tod(b, s) != 0 || sshbuf_get(b, magic, 6) != 0 ||
	    memcmp(magic, "SSHSIG", 6) != 0 || sshbuf_get_u32(b, &ver) != 0 ||
	    sshbuf_get_string_direct(b, &pub, &publen) != 0 ||
	    sshbuf_get_string_direct(b, &ns, &nslen) != 0 ||
	    sshbuf_get_string_direct(b, &res, &reslen) != 0 ||
	    sshbuf_get_string_direct(b, &halg, &halglen) != 0 ||
	    sshbuf_get_string_direct(b, &sig, &siglen) != 0)
		goto out;
	EVP_Digest(msg, strlen(msg), h, &hlen, EVP_sha512(), NULL);
	if (sshbuf_put(signed_data, "SSHSIG", 6) != 0 ||
	    sshbuf_put_string(signed_data, ns, nslen) != 0 ||
	    sshbuf_put_string(signed_data, res, reslen) != 0 ||
	    sshbuf_put_string(signed_data, halg, halglen) != 0 ||
	    sshbuf_put_string(signed_data, h, hlen) != 0)
		goto out;
	r = key_verify(k, sig, siglen, sshbuf_ptr(signed_data),
	    sshbuf_len(signed_data), NULL);
	if (r == 0) {	/* and one changed byte of the data breaks it */
		uint8_t *m = sshbuf_mutable_ptr(signed_data);

		m[sshbuf_len(signed_data) - 1] ^= 1;
		if (key_verify(k, sig, siglen, m, sshbuf_len(signed_data),
		    NULL) != SKA_ERR_SIGNATURE_INVALID)
			r = -2;
	}
 out:
	sshbuf_free(b);
	sshbuf_free(signed_data);
	free(text);
	free(msg);
	return r;
}

static void
sign_verify(const struct key *k, const char *alg, const char *what)
{
	struct sshbuf *sig = sshbuf_new();
	static const uint8_t data[] = "data to sign";
	int r;

	r = key_sign(k, data, sizeof(data), alg, sig);
	ok(r == 0, "%s: signs (%s)", what, alg ? alg : "default");
	ok(key_verify(k, sshbuf_ptr(sig), sshbuf_len(sig), data, sizeof(data),
	    alg) == 0, "%s: verifies", what);
	ok(key_verify(k, sshbuf_ptr(sig), sshbuf_len(sig), data,
	    sizeof(data) - 1, NULL) == SKA_ERR_SIGNATURE_INVALID,
	    "%s: other data does not verify", what);
	sshbuf_free(sig);
}

static void
test_private(void)
{
	char name[64], *comment = NULL;
	struct key *k, *pub, *k2;
	struct sshbuf *b;
	size_t i, used;

	for (i = 0; i < sizeof(privs) / sizeof(privs[0]); i++) {
		used = CRYPTO_secure_used();
		k = load_private(privs[i], &comment);
		ok(k != NULL && key_has_private(k), "%s: ssh-keygen's private key reads", privs[i]);
		if (k == NULL)
			continue;
		ok(CRYPTO_secure_used() > used, "%s: private material in the locked heap", privs[i]);
		snprintf(name, sizeof(name), "%s.pub", privs[i]);
		pub = load_pub(name, NULL);
		ok(key_equal(k, pub), "%s: matches its .pub", privs[i]);
		b = sshbuf_new();
		ok(key_private_serialize(k, b) == 0 &&
		    key_private_deserialize(b, &k2) == 0 && sshbuf_len(b) == 0 &&
		    key_equal(k, k2), "%s: private form round trip", privs[i]);
		key_free(k2);
		snprintf(name, sizeof(name), "%s.sshsig", privs[i]);
		is_int(verify_sshsig(pub, name), 0, "%s: verifies ssh-keygen -Y sign", privs[i]);
		if (key_type(k) == KEY_RSA) {
			sign_verify(k, "rsa-sha2-256", privs[i]);
			sign_verify(k, "rsa-sha2-512", privs[i]);
			sign_verify(k, "ssh-rsa", privs[i]);
			sshbuf_reset(b);
			ok(key_sign(k, (const uint8_t *)"x", 1, "rsa-sha2-256", b) == 0 &&
			    key_verify(k, sshbuf_ptr(b), sshbuf_len(b),
			    (const uint8_t *)"x", 1, "rsa-sha2-512") != 0,
			    "rsa: an algorithm other than the one asked is refused");
			sshbuf_reset(b);
		} else
			sign_verify(k, NULL, privs[i]);
		ok(key_sign(pub, (const uint8_t *)"x", 1, NULL, b) == SKA_ERR_KEY_INVALID,
		    "%s: public key cannot sign", privs[i]);
		sshbuf_free(b);
		key_free(pub);
		key_free(k);
		free(comment);
		comment = NULL;
	}
}

/* The agent-protocol private form of a certificate, as ssh-add builds it. */
static void
test_cert_private(void)
{
	static const char *pairs[][2] = { { "ed25519", "ed25519-cert.pub" },
	    { "rsa2048", "rsa2048-cert.pub" }, { "ecdsa384", "ecdsa384-cert.pub" },
	    { "ecdsa521", "ecdsa521-cert.pub" } };
	struct sshbuf *b, *pf;
	struct key *k, *cert, *kc, *other;
	const uint8_t *blob;
	size_t i, len;
	const char *tn;
	int r;

	other = load_private("ecdsa256", NULL);
	for (i = 0; i < 4; i++) {
		k = load_private(pairs[i][0], NULL);
		cert = load_pub(pairs[i][1], NULL);
		b = sshbuf_new();
		pf = sshbuf_new();
		/* string certtype, string certblob, then the plain key's private fields */
		ok(key_private_serialize(k, pf) == 0 &&
		    sshbuf_get_cstring(pf, NULL, NULL) == 0, "%s: private fields", pairs[i][0]);
		if (key_type(k) == KEY_ECDSA)	/* cert form: d only */
			r = sshbuf_get_string_direct(pf, NULL, NULL) == 0 &&
			    sshbuf_get_string_direct(pf, NULL, NULL) == 0;
		else if (key_type(k) == KEY_RSA)	/* d iqmp p q */
			r = sshbuf_get_string_direct(pf, NULL, NULL) == 0 &&
			    sshbuf_get_string_direct(pf, NULL, NULL) == 0;
		else
			r = 1;
		blob = key_blob(cert, &len);
		tn = key_type_name(cert);
		ok(r && sshbuf_put_cstring(b, tn) == 0 &&
		    sshbuf_put_string(b, blob, len) == 0 && sshbuf_putb(b, pf) == 0,
		    "%s: certificate private form built", pairs[i][0]);
		ok(key_private_deserialize(b, &kc) == 0 && key_is_cert(kc) &&
		    key_has_private(kc) && key_equal(kc, cert),
		    "%s: certificate with its private key reads", pairs[i][0]);
		sign_verify(kc, key_type(kc) == KEY_RSA ? "rsa-sha2-512" : NULL,
		    pairs[i][1]);
		sshbuf_reset(b);
		ok(key_private_serialize(kc, b) == 0, "%s: serialises", pairs[i][1]);
		key_free(kc);
		ok(key_private_deserialize(b, &kc) == 0 && key_equal(kc, cert),
		    "%s: certificate private form round trip", pairs[i][1]);
		key_free(kc);
		key_free(k);
		key_free(cert);
		sshbuf_free(b);
		sshbuf_free(pf);
	}
	/* a certificate with another key's private part */
	cert = load_pub("ecdsa384-cert.pub", NULL);
	b = sshbuf_new();
	pf = sshbuf_new();
	blob = key_blob(cert, &len);
	ok(key_private_serialize(other, pf) == 0, "other key");
	/* skip type, curve, Q of the P-256 key: leaves its d */
	ok(sshbuf_get_string_direct(pf, NULL, NULL) == 0 &&
	    sshbuf_get_string_direct(pf, NULL, NULL) == 0 &&
	    sshbuf_get_string_direct(pf, NULL, NULL) == 0 &&
	    sshbuf_put_cstring(b, key_type_name(cert)) == 0 &&
	    sshbuf_put_string(b, blob, len) == 0 && sshbuf_putb(b, pf) == 0, "built");
	ok(key_private_deserialize(b, &kc) != 0, "certificate with a foreign private key refused");
	sshbuf_free(b);
	sshbuf_free(pf);
	key_free(cert);
	key_free(other);
}

static void
test_generate(void)
{
	static const struct { enum key_type t; unsigned int bits; } g[] = {
		{ KEY_ED25519, 0 }, { KEY_ECDSA, 256 }, { KEY_ECDSA, 384 },
		{ KEY_ECDSA, 521 }, { KEY_RSA, 1024 } };
	struct key *k, *k2, *pub;
	struct sshbuf *b;
	char *line, what[64];
	size_t i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		ok(key_generate(g[i].t, g[i].bits, &k) == 0, "generate %d/%u", g[i].t, g[i].bits);
		snprintf(what, sizeof(what), "%s %u", key_type_name(k), key_bits(k));
		if (g[i].bits != 0)
			is_int(key_bits(k), g[i].bits, "%s: bits", what);
		sign_verify(k, g[i].t == KEY_RSA ? "rsa-sha2-256" : NULL, what);
		ok(key_to_public_line(k, "c", &line) == 0 &&
		    key_from_public_line(line, &pub, NULL) == 0 && key_equal(k, pub) &&
		    !key_has_private(pub), "%s: public line round trip", what);
		b = sshbuf_new();
		ok(key_private_serialize(k, b) == 0 && key_private_deserialize(b, &k2) == 0 &&
		    key_equal(k, k2), "%s: private round trip", what);
		key_free(k2);
		key_free(pub);
		free(line);
		sshbuf_free(b);
		key_free(k);
	}
	is_int(key_generate(KEY_RSA, 512, &k), SKA_ERR_KEY_LENGTH, "rsa 512 refused");
	is_int(key_generate(KEY_ECDSA, 255, &k), SKA_ERR_KEY_LENGTH, "ecdsa 255 refused");
}

static void
test_sk(void)
{
	uint8_t pk[32], sk[64], msg[69], rawsig[64], flags;
	struct key *k, *pub, *k2;
	struct sshbuf *b, *sig;
	const char *app = "ssh:test";
	static const uint8_t data[] = "login request";
	EC_KEY *ec;
	ECDSA_SIG *esig;
	uint8_t q[65], *der = NULL, *qp = q, dg[32];
	uint32_t counter;
	int derlen;

	crypto_sign_ed25519_keypair(pk, sk);
	ok(key_sk_new(KEY_ED25519_SK, pk, 32, app, 0x01, (const uint8_t *)"handle", 6,
	    &k) == 0 && key_has_private(k) && key_is_sk(k), "sk-ed25519 key from enrollment");
	is_str(key_sk_application(k), app, "application");
	/* what a token signs: SHA256(app) || flags || counter || SHA256(data) */
	crypto_hash_sha256(msg, (const uint8_t *)app, strlen(app));
	msg[32] = 0x05;
	msg[33] = 0; msg[34] = 0; msg[35] = 1; msg[36] = 2;
	crypto_hash_sha256(msg + 37, data, sizeof(data));
	crypto_sign_ed25519_detached(rawsig, NULL, msg, sizeof(msg), sk);
	sig = sshbuf_new();
	ok(key_sk_signature_encode(k, rawsig, 64, 0x05, 0x102, sig) == 0, "encode");
	ok(key_verify(k, sshbuf_ptr(sig), sshbuf_len(sig), data, sizeof(data),
	    NULL) == 0, "sk-ed25519 signature verifies");
	ok(key_sk_signature_parse(sshbuf_ptr(sig), sshbuf_len(sig), &flags,
	    &counter) == 0 && flags == 5 && counter == 0x102, "flags and counter");
	sshbuf_mutable_ptr(sig)[sshbuf_len(sig) - 1] ^= 1;	/* counter */
	ok(key_verify(k, sshbuf_ptr(sig), sshbuf_len(sig), data, sizeof(data),
	    NULL) == SKA_ERR_SIGNATURE_INVALID, "a changed counter breaks it");
	b = sshbuf_new();
	ok(key_private_serialize(k, b) == 0 && key_private_deserialize(b, &k2) == 0 &&
	    key_equal(k, k2) && key_sk_flags(k2) == 0x01, "sk private form round trip");
	key_free(k2);
	ok(key_public_copy(k, &pub) == 0 && !key_has_private(pub) &&
	    key_equal(pub, k), "public copy");
	key_free(pub);
	key_free(k);
	sshbuf_free(b);
	sshbuf_free(sig);

	/* sk-ecdsa: an OpenSSL signature over SHA256(message) */
	ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
	EC_KEY_generate_key(ec);
	i2o_ECPublicKey(ec, &qp);
	ok(key_sk_new(KEY_ECDSA_SK, q, 65, app, 0x05, (const uint8_t *)"kh", 2,
	    &k) == 0, "sk-ecdsa key from enrollment");
	msg[32] = 0x01;
	crypto_hash_sha256(dg, msg, sizeof(msg));
	esig = ECDSA_do_sign(dg, 32, ec);
	derlen = i2d_ECDSA_SIG(esig, &der);
	sig = sshbuf_new();
	ok(key_sk_signature_encode(k, der, (size_t)derlen, 0x01, 0x102, sig) == 0 &&
	    key_verify(k, sshbuf_ptr(sig), sshbuf_len(sig), data, sizeof(data),
	    NULL) == 0, "sk-ecdsa signature verifies");
	sshbuf_reset(sig);
	ok(key_sk_signature_encode(k, der, (size_t)derlen - 1, 1, 1, sig) != 0,
	    "truncated DER refused");
	OPENSSL_free(der);
	ECDSA_SIG_free(esig);
	EC_KEY_free(ec);
	sshbuf_free(sig);
	key_free(k);
	q[10] ^= 1;
	ok(key_sk_new(KEY_ECDSA_SK, q, 65, app, 1, NULL, 0, &k) != 0,
	    "a point off the curve refused");
}

/*
 * RSA private parts that do not fit together are refused: they would
 * sign wrongly (found by fuzz-keypriv: a changed d was accepted).
 */
static void
test_rsa_consistency(void)
{
	struct key *k = load_private("rsa2048", NULL), *k2 = NULL;
	struct sshbuf *b = sshbuf_new(), *m = sshbuf_new();
	const uint8_t *d;
	size_t dlen, off;
	uint8_t *p;

	/* string type, mpint n, mpint e, mpint d, ... */
	if (k == NULL || key_private_serialize(k, b) != 0 || sshbuf_putb(m, b) != 0 ||
	    sshbuf_get_string_direct(m, NULL, NULL) != 0 ||
	    sshbuf_get_string_direct(m, NULL, NULL) != 0 ||
	    sshbuf_get_string_direct(m, NULL, NULL) != 0 ||
	    sshbuf_peek_string_direct(m, &d, &dlen) != 0)
		abort();
	off = (size_t)(d - sshbuf_ptr(m)) + (sshbuf_len(b) - sshbuf_len(m));
	p = sshbuf_mutable_ptr(b);
	p[off + dlen / 2] ^= 0x10;
	is_int(key_private_deserialize(b, &k2), SKA_ERR_KEY_INVALID,
	    "rsa: a private exponent that does not undo e is refused");
	key_free(k2);
	sshbuf_free(b);
	sshbuf_free(m);
	key_free(k);
}

/* Every prefix of every blob fails cleanly; random bytes never crash. */
static void
test_hostile(void)
{
	static const char *files[] = { "ed25519.pub", "ecdsa521.pub", "rsa2048.pub",
	    "sk_ecdsa.pub", "rsa2048-cert.pub", "sk_ed25519-cert.pub" };
	struct sshbuf *b;
	struct key *k;
	char *line, *b64;
	size_t i, n, bad;
	uint8_t *mut, rnd[512];
	const uint8_t *blob;
	size_t len;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		line = chomp(read_text(files[i]));
		b64 = strchr(line, ' ') + 1;
		b64[strcspn(b64, " ")] = '\0';
		b = sshbuf_new();
		if (sshbuf_b64tod(b, b64) != 0)
			abort();
		blob = sshbuf_ptr(b);
		len = sshbuf_len(b);
		for (n = 0, bad = 0; n < len; n++) {
			mut = malloc(n + 1);
			memcpy(mut, blob, n);
			if (key_from_blob(mut, n, &k) == 0) {
				bad++;
				key_free(k);
			}
			free(mut);
		}
		is_int(bad, 0, "%s: every truncation refused", files[i]);
		mut = malloc(len);
		for (n = 0; n < 2000; n++) {
			memcpy(mut, blob, len);
			mut[randombytes_uniform((uint32_t)len)] = (uint8_t)randombytes_random();
			if (key_from_blob(mut, len, &k) == 0)
				key_free(k);
		}
		free(mut);
		ok(1, "%s: 2000 mutations survived", files[i]);
		sshbuf_free(b);
		free(line);
	}
	for (n = 0; n < 2000; n++) {
		randombytes_buf(rnd, sizeof(rnd));
		b = sshbuf_from(rnd, randombytes_uniform(sizeof(rnd)));
		if (key_private_deserialize(b, &k) == 0)
			key_free(k);
		sshbuf_free(b);
	}
	ok(1, "random private forms survived");
	ok(key_from_public_line("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIDtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop x",
	    &k, NULL) == SKA_ERR_KEY_TYPE_MISMATCH, "line type must match the blob");
	ok(key_from_public_line("ssh-ed25519 AAAA!!!", &k, NULL) == SKA_ERR_INVALID_FORMAT,
	    "bad base64 refused");
	ok(key_from_public_line("ssh-dss AAAA", &k, NULL) == SKA_ERR_KEY_TYPE_UNKNOWN,
	    "unknown type refused");
	/* an ed25519 private key whose public half is not its seed's */
	b = sshbuf_new();
	randombytes_buf(rnd, 96);
	ok(sshbuf_put_cstring(b, "ssh-ed25519") == 0 && sshbuf_put_string(b, rnd, 32) == 0 &&
	    sshbuf_put_string(b, rnd + 32, 64) == 0 &&
	    key_private_deserialize(b, &k) == SKA_ERR_KEY_INVALID,
	    "ed25519 private key with a foreign public half refused");
	sshbuf_free(b);
	/* both copies of the public key agree, but the seed makes another */
	b = sshbuf_new();
	{
		uint8_t sk[96];

		randombytes_buf(sk, 32);	/* seed */
		memcpy(sk + 32, rnd, 32);	/* pk that is not the seed's */
		ok(sshbuf_put_cstring(b, "ssh-ed25519") == 0 &&
		    sshbuf_put_string(b, rnd, 32) == 0 &&
		    sshbuf_put_string(b, sk, 64) == 0 &&
		    key_private_deserialize(b, &k) == SKA_ERR_KEY_INVALID,
		    "ed25519 private key whose seed does not make its public key refused");
	}
	sshbuf_free(b);
}

int
main(void)
{
	if (secmem_init(0) != 0)
		abort();
	test_public();
	test_certs();
	test_private();
	test_cert_private();
	test_generate();
	test_sk();
	test_rsa_consistency();
	test_hostile();
	return tap_done();
}
