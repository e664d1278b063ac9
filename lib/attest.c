/*
 * ssh-sk-attest-v01 enrollment attestations: parsed with sshbuf, the
 * authenticator data decoded by libfido2, certificates and signatures
 * checked by libcrypto.  See attest.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fido.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "attest.h"
#include "key.h"
#include "sshbuf.h"

#define ATTEST_SIG_MAX		1024	/* RSA-4096 is 512 bytes */
#define FLAG_UP			0x01
#define OID_FIDO_AAGUID		"1.3.6.1.4.1.45724.1.1.4"

struct attest {
	uint8_t *x5c;		/* DER, or NULL */
	size_t x5c_len;
	uint8_t *sig;
	size_t sig_len;
	fido_cred_t *cred;	/* the authenticator data, decoded */
	int alg;		/* COSE_ES256 or COSE_EDDSA */
};

static void
say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

void
attest_free(struct attest *a)
{
	if (a == NULL)
		return;
	free(a->x5c);
	free(a->sig);
	fido_cred_free(&a->cred);
	free(a);
}

void
attest_aaguid_str(const uint8_t g[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", g[0], g[1], g[2], g[3], g[4], g[5],
	    g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

/*
 * CBOR as an attestation may carry it, checked before libcbor sees it: one
 * definite item, integers, strings, arrays, maps and simple values, no
 * deeper than CBOR_DEPTH, and no count larger than the bytes left could
 * hold.  libcbor allocates what a header claims before it reads the items
 * (a 9-byte array header may ask for 2^64 pointers).
 */
#define CBOR_DEPTH	8

static int
cbor_item_ok(const uint8_t *p, size_t len, size_t *off, int depth)
{
	uint8_t major, ai;
	uint64_t arg = 0, i, n;
	size_t nb;

	if (depth < 0 || *off >= len)
		return -1;
	major = p[*off] >> 5;
	ai = p[(*off)++] & 0x1f;
	if (ai < 24)
		arg = ai;
	else if (ai <= 27) {
		nb = (size_t)1 << (ai - 24);
		if (len - *off < nb)
			return -1;
		for (i = 0; i < nb; i++)
			arg = (arg << 8) | p[(*off)++];
	} else
		return -1;	/* indefinite or reserved */
	switch (major) {
	case 0:
	case 1:
		return 0;
	case 2:
	case 3:
		if (arg > len - *off)
			return -1;
		*off += (size_t)arg;
		return 0;
	case 4:
	case 5:
		n = major == 5 ? 2 : 1;
		if (arg > (len - *off) / n)
			return -1;
		for (i = 0; i < arg * n; i++)
			if (cbor_item_ok(p, len, off, depth - 1) != 0)
				return -1;
		return 0;
	case 7:
		return ai >= 20 && ai <= 23 ? 0 : -1;
	default:
		return -1;	/* tags */
	}
}

/*
 * The authenticator data as the attestation holds it (a CBOR byte string):
 * the fixed part, the attested credential, then the COSE key and the
 * extensions, each well-formed by cbor_item_ok's rules.
 */
static int
authdata_ok(const uint8_t *p, size_t len)
{
	size_t off = 0, ad, end, idlen;
	uint8_t flags;
	int items;

	if (cbor_item_ok(p, len, &off, 0) != 0 || off != len ||
	    (p[0] >> 5) != 2)
		return -1;
	/* the byte string's contents: what follows its header, to the end */
	end = len;
	ad = (p[0] & 0x1f) < 24 ? 1 : 1 + ((size_t)1 << ((p[0] & 0x1f) - 24));
	if (end - ad < 37)
		return -1;
	flags = p[ad + 32];
	off = ad + 37;
	if (flags & 0x40) {		/* AT: attested credential data */
		if (end - off < 18)
			return -1;
		idlen = (size_t)p[off + 16] << 8 | p[off + 17];
		off += 18;
		if (end - off < idlen)
			return -1;
		off += idlen;
	}
	items = ((flags & 0x40) != 0) + ((flags & 0x80) != 0);
	while (items-- > 0)
		if (cbor_item_ok(p, end, &off, CBOR_DEPTH) != 0)
			return -1;
	return off == end ? 0 : -1;
}

/*
 * libfido2 decodes the credential's COSE key only for the algorithm it is
 * told, so each is tried.  Its re-encoding must give back the same bytes:
 * no trailing data, no non-canonical CBOR.
 */
static int
decode_authdata(struct attest *a, const uint8_t *p, size_t len)
{
	static const int algs[] = { COSE_ES256, COSE_EDDSA };
	fido_cred_t *c = NULL;
	size_t i;

	if (authdata_ok(p, len) != 0)
		return SKA_ERR_INVALID_FORMAT;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if ((c = fido_cred_new()) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		if (fido_cred_set_type(c, algs[i]) == FIDO_OK &&
		    fido_cred_set_authdata(c, p, len) == FIDO_OK &&
		    fido_cred_authdata_len(c) == len &&
		    memcmp(fido_cred_authdata_ptr(c), p, len) == 0 &&
		    fido_cred_authdata_raw_len(c) >= 37 &&
		    fido_cred_aaguid_len(c) == 16) {
			a->cred = c;
			a->alg = algs[i];
			return 0;
		}
		fido_cred_free(&c);
	}
	return SKA_ERR_INVALID_FORMAT;
}

int
attest_parse(const uint8_t *blob, size_t len, struct attest **ap,
    char *why, size_t whylen)
{
	struct sshbuf *b = NULL;
	struct attest *a = NULL;
	const uint8_t *ad, *res;
	char *magic = NULL;
	size_t adlen, reslen;
	uint32_t flags;
	int r;

	*ap = NULL;
	if (len > ATTEST_MAX) {
		say(why, whylen, "too large for an attestation (over %d bytes)",
		    ATTEST_MAX);
		return SKA_ERR_INVALID_FORMAT;
	}
	if ((b = sshbuf_from(blob, len)) == NULL ||
	    (a = calloc(1, sizeof(*a))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (sshbuf_get_cstring(b, &magic, NULL) != 0 ||
	    strcmp(magic, ATTEST_MAGIC) != 0) {
		say(why, whylen, "not an %s attestation (ssh-keygen -O "
		    "write-attestation=)", ATTEST_MAGIC);
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if (sshbuf_get_string(b, &a->x5c, &a->x5c_len) != 0 ||
	    sshbuf_get_string(b, &a->sig, &a->sig_len) != 0 ||
	    sshbuf_get_string_direct(b, &ad, &adlen) != 0 ||
	    sshbuf_get_u32(b, &flags) != 0 ||
	    sshbuf_get_string_direct(b, &res, &reslen) != 0 ||
	    sshbuf_len(b) != 0) {
		say(why, whylen, "the attestation is truncated or has "
		    "trailing data");
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if (a->sig_len == 0 || a->sig_len > ATTEST_SIG_MAX) {
		say(why, whylen, "the attestation has no valid signature");
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if (a->x5c_len == 0) {
		free(a->x5c);
		a->x5c = NULL;
	}
	if ((r = decode_authdata(a, ad, adlen)) != 0) {
		say(why, whylen, "the authenticator data is malformed or holds "
		    "no ES256 or EdDSA credential");
		goto out;
	}
	*ap = a;
	a = NULL;
	r = 0;
 out:
	free(magic);
	attest_free(a);
	sshbuf_free(b);
	return r;
}

/* The credential's own key, for a self attestation. */
static EVP_PKEY *
cred_pkey(const struct attest *a)
{
	const uint8_t *p = fido_cred_pubkey_ptr(a->cred);
	size_t n = fido_cred_pubkey_len(a->cred);
	uint8_t pt[65];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;

	if (a->alg == COSE_EDDSA)
		return n == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
		    NULL, p, n) : NULL;
	if (n != 64)
		return NULL;
	pt[0] = 0x04;
	memcpy(pt + 1, p, 64);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pt, sizeof(pt)) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* 1 if sig is pk's over authenticatorData || SHA-256(challenge). */
static int
sig_ok(const struct attest *a, EVP_PKEY *pk, const uint8_t *challenge,
    size_t clen)
{
	const uint8_t *ad = fido_cred_authdata_raw_ptr(a->cred);
	size_t adlen = fido_cred_authdata_raw_len(a->cred);
	uint8_t *msg = NULL;
	unsigned int hl = 0;
	EVP_MD_CTX *md = NULL;
	int ok = 0;

	if ((msg = malloc(adlen + 32)) == NULL)
		return 0;
	memcpy(msg, ad, adlen);
	if (EVP_Digest(challenge, clen, msg + adlen, &hl, EVP_sha256(),
	    NULL) != 1 || hl != 32 || (md = EVP_MD_CTX_new()) == NULL)
		goto out;
	/* Ed25519 signs the message itself; EC and RSA a SHA-256 digest */
	if (EVP_DigestVerifyInit(md, NULL, EVP_PKEY_is_a(pk, "ED25519") ?
	    NULL : EVP_sha256(), NULL, pk) != 1)
		goto out;
	ok = EVP_DigestVerify(md, a->sig, a->sig_len, msg, adlen + 32) == 1;
 out:
	EVP_MD_CTX_free(md);
	free(msg);
	return ok;
}

static void
name_str(const X509_NAME *n, char *out, size_t outlen)
{
	BIO *bio;
	char *p;
	long len;

	*out = '\0';
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(bio, n, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(bio, &p)) >= 0)
		snprintf(out, outlen, "%.*s", (int)len, p);
	BIO_free(bio);
}

/* FIDO's AAGUID extension, when the certificate has one, must agree. */
static int
check_cert_aaguid(X509 *x, const uint8_t aaguid[16], char *why,
    size_t whylen)
{
	ASN1_OBJECT *oid = NULL;
	ASN1_OCTET_STRING *in = NULL;
	const ASN1_OCTET_STRING *data;
	const unsigned char *p;
	X509_EXTENSION *ext;
	char have[37], want[37];
	int i, r = SKA_ERR_INVALID_FORMAT;

	if ((oid = OBJ_txt2obj(OID_FIDO_AAGUID, 1)) == NULL)
		return SKA_ERR_LIBCRYPTO;
	if ((i = X509_get_ext_by_OBJ(x, oid, -1)) < 0) {
		r = 0;		/* none: nothing to compare */
		goto out;
	}
	if ((ext = X509_get_ext(x, i)) == NULL ||
	    (data = X509_EXTENSION_get_data(ext)) == NULL) {
		r = SKA_ERR_LIBCRYPTO;
		goto out;
	}
	p = ASN1_STRING_get0_data(data);
	if ((in = d2i_ASN1_OCTET_STRING(NULL, &p,
	    ASN1_STRING_length(data))) == NULL ||
	    p != ASN1_STRING_get0_data(data) + ASN1_STRING_length(data) ||
	    ASN1_STRING_length(in) != 16) {
		say(why, whylen, "the certificate's AAGUID extension is "
		    "malformed");
		goto out;
	}
	if (memcmp(ASN1_STRING_get0_data(in), aaguid, 16) != 0) {
		attest_aaguid_str(ASN1_STRING_get0_data(in), have);
		attest_aaguid_str(aaguid, want);
		say(why, whylen, "the certificate is for authenticators %s, "
		    "the authenticator data says %s", have, want);
		r = SKA_ERR_KEY_CERT_MISMATCH;
		goto out;
	}
	r = 0;
 out:
	ASN1_OCTET_STRING_free(in);
	ASN1_OBJECT_free(oid);
	return r;
}

static int
check_chain(X509 *x, const char *ca_file, struct attest_info *info,
    char *why, size_t whylen)
{
	X509_STORE *store = NULL;
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509_OBJECT) *objs;
	STACK_OF(X509) *chain;
	X509 *top;
	int r = SKA_ERR_LIBCRYPTO, err;

	if ((store = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL)
		goto out;
	if (X509_STORE_load_file(store, ca_file) != 1 ||
	    (objs = X509_STORE_get0_objects(store)) == NULL ||
	    sk_X509_OBJECT_num(objs) == 0) {
		say(why, whylen, "%s: no PEM certificate to check against",
		    ca_file);
		r = SKA_ERR_INVALID_ARGUMENT;
		goto out;
	}
	/* any certificate of the file is a trust anchor, root or not */
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_STORE_CTX_init(ctx, store, x, NULL) != 1)
		goto out;
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		say(why, whylen, "the certificate does not chain to a CA in "
		    "%s: %s", ca_file, X509_verify_cert_error_string(err));
		r = SKA_ERR_KEY_CERT_INVALID;
		goto out;
	}
	if ((chain = X509_STORE_CTX_get0_chain(ctx)) != NULL &&
	    (top = sk_X509_value(chain, sk_X509_num(chain) - 1)) != NULL)
		name_str(X509_get_subject_name(top), info->ca,
		    sizeof(info->ca));
	r = 0;
 out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return r;
}

/* The attested credential is pub, for pub's application. */
static int
check_key(const struct attest *a, const struct key *pub, char *why,
    size_t whylen)
{
	enum key_type want = a->alg == COSE_EDDSA ? KEY_ED25519_SK :
	    KEY_ECDSA_SK;
	const char *app = key_sk_application(pub);
	struct key *k = NULL;
	uint8_t pt[65], h[32];
	const uint8_t *p = fido_cred_pubkey_ptr(a->cred);
	size_t n = fido_cred_pubkey_len(a->cred);
	unsigned int hl = 0;
	int r;

	if (!key_is_sk(pub) || app == NULL) {
		say(why, whylen, "the key is no security key (%s)",
		    key_type_short(pub));
		return SKA_ERR_KEY_TYPE_MISMATCH;
	}
	if (key_type(pub) != want) {
		say(why, whylen, "the attestation is for an %s key, the key is "
		    "%s", want == KEY_ED25519_SK ? "ED25519-SK" : "ECDSA-SK",
		    key_type_short(pub));
		return SKA_ERR_KEY_TYPE_MISMATCH;
	}
	if (EVP_Digest(app, strlen(app), h, &hl, EVP_sha256(), NULL) != 1 ||
	    hl != 32)
		return SKA_ERR_LIBCRYPTO;
	if (memcmp(fido_cred_authdata_raw_ptr(a->cred), h, 32) != 0) {
		say(why, whylen, "the attestation is for another application "
		    "than the key's (%s)", app);
		return SKA_ERR_KEY_CERT_MISMATCH;
	}
	if (a->alg == COSE_ES256) {
		if (n != 64)
			return SKA_ERR_INVALID_FORMAT;
		pt[0] = 0x04;
		memcpy(pt + 1, p, 64);
		p = pt;
		n = sizeof(pt);
	}
	if ((r = key_sk_new(want, p, n, app, 0, NULL, 0, &k)) != 0) {
		say(why, whylen, "the attested public key is invalid");
		return r;
	}
	r = key_equal_public(k, pub) ? 0 : SKA_ERR_KEY_CERT_MISMATCH;
	if (r != 0)
		say(why, whylen, "the attested credential is another key");
	key_free(k);
	return r;
}

int
attest_verify(const struct attest *a, const struct key *pub,
    const uint8_t *challenge, size_t clen, const char *ca_file,
    struct attest_info *info, char *why, size_t whylen)
{
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	const uint8_t *p;
	int r;

	memset(info, 0, sizeof(*info));
	memcpy(info->aaguid, fido_cred_aaguid_ptr(a->cred), 16);
	info->flags = fido_cred_flags(a->cred);
	info->counter = fido_cred_sigcount(a->cred);
	info->cred_protect = fido_cred_prot(a->cred);
	info->self = a->x5c == NULL;
	if (a->x5c != NULL) {
		p = a->x5c;
		if ((x = d2i_X509(NULL, &p, (long)a->x5c_len)) == NULL ||
		    p != a->x5c + a->x5c_len) {
			say(why, whylen, "the attestation certificate is not "
			    "DER X.509");
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		name_str(X509_get_subject_name(x), info->subject,
		    sizeof(info->subject));
		name_str(X509_get_issuer_name(x), info->issuer,
		    sizeof(info->issuer));
		if ((pk = X509_get_pubkey(x)) == NULL) {
			say(why, whylen, "the attestation certificate has a "
			    "key libcrypto cannot use");
			r = SKA_ERR_KEY_CERT_INVALID;
			goto out;
		}
	} else if ((pk = cred_pkey(a)) == NULL) {
		say(why, whylen, "the attested public key is invalid");
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if (!sig_ok(a, pk, challenge, clen)) {
		say(why, whylen, "the signature over the authenticator data "
		    "and the challenge does not verify (altered, or made for "
		    "another challenge)");
		r = SKA_ERR_SIGNATURE_INVALID;
		goto out;
	}
	if ((info->flags & FLAG_UP) == 0) {
		say(why, whylen, "the authenticator data says no user was "
		    "present");
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = check_key(a, pub, why, whylen)) != 0)
		goto out;
	if (x != NULL && (r = check_cert_aaguid(x, info->aaguid, why,
	    whylen)) != 0)
		goto out;
	if (ca_file != NULL) {
		if (x == NULL) {
			say(why, whylen, "a self attestation (no certificate) "
			    "cannot chain to a CA");
			r = SKA_ERR_KEY_CERT_INVALID;
			goto out;
		}
		if ((r = check_chain(x, ca_file, info, why, whylen)) != 0)
			goto out;
	}
	r = 0;
 out:
	if (r == SKA_ERR_LIBCRYPTO || r == SKA_ERR_ALLOC_FAIL)
		say(why, whylen, "%s", ska_err(r));
	EVP_PKEY_free(pk);
	X509_free(x);
	return r;
}
