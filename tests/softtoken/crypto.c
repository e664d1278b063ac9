/* Primitives: SHA-256/HMAC (libsodium), P-256 and AES (OpenSSL 3 EVP). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "st.h"

struct st_att {
	EVP_PKEY *key;
	uint8_t *cert;			/* DER */
	size_t cert_len;
};

struct st_ecdh {
	EVP_PKEY *pk;
	uint8_t xy[64];
};

void
sha256(const void *p, size_t n, uint8_t out[32])
{
	crypto_hash_sha256(out, p, n);
}

void
hmac_sha256(const uint8_t *key, size_t klen, const void *m, size_t n,
    uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, klen);
	crypto_auth_hmacsha256_update(&st, m, n);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

void
hkdf_sha256_32(const uint8_t *ikm, size_t n, const char *info, uint8_t out[32])
{
	uint8_t salt[32], prk[32], t[64 + 1];
	size_t il = strlen(info);

	memset(salt, 0, sizeof(salt));
	hmac_sha256(salt, sizeof(salt), ikm, n, prk);
	if (il > 64)
		il = 64;
	memcpy(t, info, il);
	t[il] = 1;
	hmac_sha256(prk, sizeof(prk), t, il + 1, out);
	sodium_memzero(prk, sizeof(prk));
}

static EC_GROUP *
p256_group(void)
{
	return EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
}

int
p256_keygen(uint8_t d[32])
{
	EC_GROUP *g = NULL;
	BIGNUM *bn = NULL;
	int r = -1, tries;

	if ((g = p256_group()) == NULL)
		goto out;
	for (tries = 0; tries < 64; tries++) {
		randombytes_buf(d, 32);
		BN_clear_free(bn);
		if ((bn = BN_bin2bn(d, 32, NULL)) == NULL)
			goto out;
		if (!BN_is_zero(bn) && BN_cmp(bn, EC_GROUP_get0_order(g)) < 0) {
			r = 0;
			break;
		}
	}
 out:
	BN_clear_free(bn);
	EC_GROUP_free(g);
	return r;
}

/* Public point of scalar d, uncompressed (65 bytes). */
static int
p256_point(const uint8_t d[32], uint8_t pt[65], BIGNUM **bnp)
{
	EC_GROUP *g = NULL;
	EC_POINT *p = NULL;
	BIGNUM *bn = NULL;
	int r = -1;

	if ((g = p256_group()) == NULL || (p = EC_POINT_new(g)) == NULL ||
	    (bn = BN_bin2bn(d, 32, NULL)) == NULL)
		goto out;
	if (BN_is_zero(bn) || BN_cmp(bn, EC_GROUP_get0_order(g)) >= 0)
		goto out;
	if (!EC_POINT_mul(g, p, bn, NULL, NULL, NULL) ||
	    EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, pt, 65,
	    NULL) != 65)
		goto out;
	if (bnp != NULL) {
		*bnp = bn;
		bn = NULL;
	}
	r = 0;
 out:
	BN_clear_free(bn);
	EC_POINT_free(p);
	EC_GROUP_free(g);
	return r;
}

int
p256_pub(const uint8_t d[32], uint8_t xy[64])
{
	uint8_t pt[65];

	if (p256_point(d, pt, NULL) != 0)
		return -1;
	memcpy(xy, pt + 1, 64);
	return 0;
}

static EVP_PKEY *
p256_evp(const uint8_t pt[65], const BIGNUM *priv)
{
	OSSL_PARAM_BLD *b = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;

	if ((b = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY,
	    pt, 65) ||
	    (priv != NULL && !OSSL_PARAM_BLD_push_BN(b,
	    OSSL_PKEY_PARAM_PRIV_KEY, priv)) ||
	    (params = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pk, priv != NULL ? EVP_PKEY_KEYPAIR :
	    EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return pk;
}

int
p256_sign(const uint8_t d[32], const void *msg, size_t n, uint8_t *sig,
    size_t *siglen)
{
	uint8_t pt[65];
	BIGNUM *bn = NULL;
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	size_t sl = 72;
	int r = -1;

	if (p256_point(d, pt, &bn) != 0 || (pk = p256_evp(pt, bn)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) <= 0 ||
	    EVP_DigestSign(md, sig, &sl, msg, n) <= 0)
		goto out;
	*siglen = sl;
	r = 0;
 out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	BN_clear_free(bn);
	return r;
}

struct st_ecdh *
ecdh_new(void)
{
	struct st_ecdh *e;
	BIGNUM *x = NULL, *y = NULL;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    !EVP_PKEY_get_bn_param(e->pk, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(e->pk, OSSL_PKEY_PARAM_EC_PUB_Y, &y) ||
	    BN_bn2binpad(x, e->xy, 32) != 32 ||
	    BN_bn2binpad(y, e->xy + 32, 32) != 32) {
		ecdh_free(e);
		e = NULL;
	}
	BN_free(x);
	BN_free(y);
	return e;
}

void
ecdh_free(struct st_ecdh *e)
{
	if (e == NULL)
		return;
	EVP_PKEY_free(e->pk);
	free(e);
}

void
ecdh_pub(const struct st_ecdh *e, uint8_t xy[64])
{
	memcpy(xy, e->xy, 64);
}

int
ecdh_derive(const struct st_ecdh *e, const uint8_t peer[64], uint8_t z[32])
{
	uint8_t pt[65];
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t zl = 32;
	int r = -1;

	pt[0] = 0x04;
	memcpy(pt + 1, peer, 64);
	/* the import decodes the point and refuses one off the curve */
	if ((pk = p256_evp(pt, NULL)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new(e->pk, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_derive_set_peer(ctx, pk) <= 0 ||
	    EVP_PKEY_derive(ctx, z, &zl) <= 0 || zl != 32)
		goto out;
	r = 0;
 out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return r;
}

int
aes256_cbc(int enc, const uint8_t key[32], const uint8_t iv[16],
    const uint8_t *in, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *c = NULL;
	int n = 0, f = 0, r = -1;

	if (len % 16 != 0 || len > INT32_MAX)
		return -1;
	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, key, iv, enc) <= 0 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) <= 0 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) <= 0 ||
	    EVP_CipherFinal_ex(c, out + n, &f) <= 0 || (size_t)(n + f) != len)
		goto out;
	r = 0;
 out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

struct st_att *
att_load(const char *keyfile, const char *certfile, char *err, size_t errlen)
{
	struct st_att *a = NULL;
	X509 *x = NULL;
	FILE *f = NULL;
	unsigned char *der = NULL;
	int n;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((f = fopen(keyfile, "re")) == NULL ||
	    (a->key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "%s: not a PEM private key", keyfile);
		goto fail;
	}
	fclose(f);
	if ((f = fopen(certfile, "re")) == NULL ||
	    (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "%s: not a PEM certificate", certfile);
		goto fail;
	}
	fclose(f);
	f = NULL;
	if (!EVP_PKEY_is_a(a->key, "EC") || EVP_PKEY_get_bits(a->key) != 256) {
		snprintf(err, errlen, "%s: the attestation key must be P-256",
		    keyfile);
		goto fail;
	}
	if (X509_check_private_key(x, a->key) != 1) {
		snprintf(err, errlen, "%s is not the certificate of %s",
		    certfile, keyfile);
		goto fail;
	}
	if ((n = i2d_X509(x, &der)) <= 0) {
		snprintf(err, errlen, "%s: cannot encode it", certfile);
		goto fail;
	}
	a->cert = der;
	a->cert_len = (size_t)n;
	X509_free(x);
	return a;
 fail:
	if (f != NULL)
		fclose(f);
	X509_free(x);
	att_free(a);
	return NULL;
}

void
att_free(struct st_att *a)
{
	if (a == NULL)
		return;
	EVP_PKEY_free(a->key);
	OPENSSL_free(a->cert);
	free(a);
}

const uint8_t *
att_cert(const struct st_att *a, size_t *len)
{
	*len = a->cert_len;
	return a->cert;
}

int
att_sign(const struct st_att *a, const void *msg, size_t n, uint8_t *sig,
    size_t *siglen)
{
	EVP_MD_CTX *md = NULL;
	size_t sl = 72;
	int r = -1;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, a->key) <= 0 ||
	    EVP_DigestSign(md, sig, &sl, msg, n) <= 0)
		goto out;
	*siglen = sl;
	r = 0;
 out:
	EVP_MD_CTX_free(md);
	return r;
}
