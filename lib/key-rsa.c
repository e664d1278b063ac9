/*
 * ssh-rsa keys with rsa-sha2-256/512 (and SHA-1 ssh-rsa) signatures, with
 * OpenSSL's RSA object: its private bignums are in the secure heap.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include "key-impl.h"

static int
check_bits(const BIGNUM *n)
{
	int bits = BN_num_bits(n);

	if (bits < KEY_RSA_MIN_BITS || bits > KEY_RSA_MAX_BITS)
		return SKA_ERR_KEY_LENGTH;
	return 0;
}

static int
get_bn(struct sshbuf *b, int secure, BIGNUM **bnp)
{
	const uint8_t *p;
	size_t len;
	BIGNUM *bn;
	int r;

	*bnp = NULL;
	if ((r = sshbuf_get_bignum2_bytes_direct(b, &p, &len)) != 0)
		return r;
	if ((bn = secure ? BN_secure_new() : BN_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if (BN_bin2bn(p, (int)len, bn) == NULL) {
		BN_clear_free(bn);
		return SKA_ERR_LIBCRYPTO;
	}
	*bnp = bn;
	return 0;
}

static int
put_bn(struct sshbuf *b, const BIGNUM *bn)
{
	uint8_t *buf;
	int len, r;

	len = BN_num_bytes(bn);
	if ((buf = OPENSSL_secure_malloc(len == 0 ? 1 : (size_t)len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	BN_bn2bin(bn, buf);
	r = sshbuf_put_bignum2_bytes(b, buf, (size_t)len);
	OPENSSL_secure_clear_free(buf, len == 0 ? 1 : (size_t)len);
	return r;
}

/* mpint e, mpint n */
int
key_rsa_pub_get(struct sshbuf *b, struct key *k)
{
	BIGNUM *e = NULL, *n = NULL;
	RSA *rsa = NULL;
	int r;

	if ((r = get_bn(b, 0, &e)) != 0 || (r = get_bn(b, 0, &n)) != 0)
		goto out;
	if ((r = check_bits(n)) != 0)
		goto out;
	if (!BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > 64) {
		r = SKA_ERR_KEY_INVALID;
		goto out;
	}
	if ((rsa = RSA_new()) == NULL || RSA_set0_key(rsa, n, e, NULL) != 1) {
		r = SKA_ERR_LIBCRYPTO;
		goto out;
	}
	n = e = NULL;
	RSA_free(k->rsa);
	k->rsa = rsa;
	rsa = NULL;
	r = 0;
 out:
	BN_free(e);
	BN_free(n);
	RSA_free(rsa);
	return r;
}

int
key_rsa_pub_put(const struct key *k, struct sshbuf *b)
{
	const BIGNUM *n, *e;
	int r;

	if (k->rsa == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	RSA_get0_key(k->rsa, &n, &e, NULL);
	if ((r = put_bn(b, e)) != 0)
		return r;
	return put_bn(b, n);
}

/* plain: n e d iqmp p q; certificate: d iqmp p q (n and e from the cert) */
int
key_rsa_priv_get(struct sshbuf *b, struct key *k)
{
	BIGNUM *n = NULL, *e = NULL, *d = NULL, *iqmp = NULL, *p = NULL;
	BIGNUM *q = NULL, *dmp1 = NULL, *dmq1 = NULL, *t = NULL, *u = NULL;
	const BIGNUM *cn, *ce;
	BN_CTX *ctx = NULL;
	RSA *rsa = NULL;
	int r;

	ERR_clear_error();
	if (!k->ti->cert) {
		if ((r = get_bn(b, 0, &n)) != 0 || (r = get_bn(b, 0, &e)) != 0)
			goto out;
	} else {
		if (k->rsa == NULL) {
			r = SKA_ERR_INVALID_ARGUMENT;
			goto out;
		}
		RSA_get0_key(k->rsa, &cn, &ce, NULL);
		if ((n = BN_dup(cn)) == NULL || (e = BN_dup(ce)) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
	}
	if ((r = get_bn(b, 1, &d)) != 0 || (r = get_bn(b, 1, &iqmp)) != 0 ||
	    (r = get_bn(b, 1, &p)) != 0 || (r = get_bn(b, 1, &q)) != 0)
		goto out;
	if ((r = check_bits(n)) != 0)
		goto out;
	if (!BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > 64 ||
	    BN_is_zero(d) || BN_is_zero(p) || BN_is_zero(q)) {
		r = SKA_ERR_KEY_INVALID;
		goto out;
	}
	if ((ctx = BN_CTX_secure_new()) == NULL || (t = BN_secure_new()) == NULL ||
	    (u = BN_secure_new()) == NULL || (dmp1 = BN_secure_new()) == NULL ||
	    (dmq1 = BN_secure_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	/* n = p q, iqmp q = 1 mod p; then the CRT exponents */
	if (BN_mul(t, p, q, ctx) != 1 || BN_cmp(t, n) != 0 ||
	    BN_mod_mul(t, iqmp, q, p, ctx) != 1 || !BN_is_one(t)) {
		r = key_crypto_err(SKA_ERR_KEY_INVALID);
		goto out;
	}
	if (BN_sub(t, p, BN_value_one()) != 1 ||
	    BN_mod(dmp1, d, t, ctx) != 1 ||
	    BN_sub(t, q, BN_value_one()) != 1 ||
	    BN_mod(dmq1, d, t, ctx) != 1) {
		r = key_crypto_err(SKA_ERR_LIBCRYPTO);
		goto out;
	}
	/* d must undo e: e d = 1 mod p-1 and mod q-1, or signatures are wrong */
	if (BN_sub(u, p, BN_value_one()) != 1 ||
	    BN_mod_mul(t, e, dmp1, u, ctx) != 1) {
		r = key_crypto_err(SKA_ERR_LIBCRYPTO);
		goto out;
	}
	if (!BN_is_one(t)) {
		r = SKA_ERR_KEY_INVALID;
		goto out;
	}
	if (BN_sub(u, q, BN_value_one()) != 1 ||
	    BN_mod_mul(t, e, dmq1, u, ctx) != 1) {
		r = key_crypto_err(SKA_ERR_LIBCRYPTO);
		goto out;
	}
	if (!BN_is_one(t)) {
		r = SKA_ERR_KEY_INVALID;
		goto out;
	}
	if ((rsa = RSA_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (RSA_set0_key(rsa, n, e, d) != 1) {
		r = key_crypto_err(SKA_ERR_LIBCRYPTO);
		goto out;
	}
	n = e = d = NULL;
	if (RSA_set0_factors(rsa, p, q) != 1) {
		r = key_crypto_err(SKA_ERR_LIBCRYPTO);
		goto out;
	}
	p = q = NULL;
	if (RSA_set0_crt_params(rsa, dmp1, dmq1, iqmp) != 1) {
		r = key_crypto_err(SKA_ERR_LIBCRYPTO);
		goto out;
	}
	dmp1 = dmq1 = iqmp = NULL;
	RSA_free(k->rsa);
	k->rsa = rsa;
	rsa = NULL;
	r = 0;
 out:
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_clear_free(iqmp);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(dmp1);
	BN_clear_free(dmq1);
	BN_clear_free(t);
	BN_clear_free(u);
	BN_CTX_free(ctx);
	RSA_free(rsa);
	return r;
}

int
key_rsa_priv_put(const struct key *k, struct sshbuf *b)
{
	const BIGNUM *n, *e, *d, *p, *q, *iqmp;
	int r;

	if (k->rsa == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	RSA_get0_key(k->rsa, &n, &e, &d);
	RSA_get0_factors(k->rsa, &p, &q);
	RSA_get0_crt_params(k->rsa, NULL, NULL, &iqmp);
	if (d == NULL || p == NULL || q == NULL || iqmp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if (!k->ti->cert &&
	    ((r = put_bn(b, n)) != 0 || (r = put_bn(b, e)) != 0))
		return r;
	if ((r = put_bn(b, d)) != 0 || (r = put_bn(b, iqmp)) != 0 ||
	    (r = put_bn(b, p)) != 0 || (r = put_bn(b, q)) != 0)
		return r;
	return 0;
}

static int
alg_md(const char *alg, int *nidp, const EVP_MD **mdp)
{
	if (alg == NULL || strcmp(alg, "ssh-rsa") == 0) {
		*nidp = NID_sha1;
		*mdp = EVP_sha1();
	} else if (strcmp(alg, "rsa-sha2-256") == 0) {
		*nidp = NID_sha256;
		*mdp = EVP_sha256();
	} else if (strcmp(alg, "rsa-sha2-512") == 0) {
		*nidp = NID_sha512;
		*mdp = EVP_sha512();
	} else
		return SKA_ERR_SIGNATURE_INVALID;
	return 0;
}

int
key_rsa_sign(const struct key *k, const uint8_t *d, size_t dlen,
    const char *alg, struct sshbuf *sig)
{
	uint8_t dgst[EVP_MAX_MD_SIZE], *s = NULL;
	unsigned int mdlen, slen = 0;
	const EVP_MD *md;
	size_t len;
	int nid, r;

	if (k->rsa == NULL || RSA_get0_d(k->rsa) == NULL)
		return SKA_ERR_KEY_INVALID;
	if ((r = alg_md(alg, &nid, &md)) != 0)
		return r;
	if (EVP_Digest(d, dlen, dgst, &mdlen, md, NULL) != 1)
		return SKA_ERR_LIBCRYPTO;
	len = (size_t)RSA_size(k->rsa);
	if ((s = malloc(len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if (RSA_sign(nid, dgst, mdlen, s, &slen, k->rsa) != 1) {
		r = SKA_ERR_LIBCRYPTO;
		goto out;
	}
	if (slen < len) {	/* left-pad to the modulus length, as OpenSSH */
		memmove(s + (len - slen), s, slen);
		memset(s, 0, len - slen);
	}
	if ((r = sshbuf_put_cstring(sig, alg == NULL ? "ssh-rsa" : alg)) != 0)
		goto out;
	r = sshbuf_put_string(sig, s, len);
 out:
	free(s);
	return r;
}

int
key_rsa_verify(const struct key *k, struct sshbuf *sig,
    const uint8_t *d, size_t dlen, const char *alg)
{
	uint8_t dgst[EVP_MAX_MD_SIZE], *s = NULL;
	const uint8_t *sp;
	unsigned int mdlen;
	const EVP_MD *md;
	size_t slen, len;
	int nid, r;

	if ((r = alg_md(alg, &nid, &md)) != 0)
		return r;
	if ((r = sshbuf_get_string_direct(sig, NULL, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(sig, &sp, &slen)) != 0)
		return r;
	len = (size_t)RSA_size(k->rsa);
	if (slen == 0 || slen > len)
		return SKA_ERR_SIGNATURE_INVALID;
	if (EVP_Digest(d, dlen, dgst, &mdlen, md, NULL) != 1)
		return SKA_ERR_LIBCRYPTO;
	if ((s = calloc(1, len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	memcpy(s + (len - slen), sp, slen);
	ERR_clear_error();
	r = RSA_verify(nid, dgst, mdlen, s, (unsigned int)len, k->rsa) == 1 ?
	    0 : key_crypto_err(SKA_ERR_SIGNATURE_INVALID);
	free(s);
	return r;
}

int
key_rsa_generate(struct key *k, unsigned int bits)
{
	BIGNUM *e = NULL;
	int r = SKA_ERR_LIBCRYPTO;

	if ((e = BN_new()) == NULL || BN_set_word(e, RSA_F4) != 1 ||
	    (k->rsa = RSA_new()) == NULL ||
	    RSA_generate_key_ex(k->rsa, (int)bits, e, NULL) != 1)
		goto out;
	r = 0;
 out:
	BN_free(e);
	return r;
}

unsigned int
key_rsa_bits(const struct key *k)
{
	return k->rsa == NULL ? 0 : (unsigned int)RSA_bits(k->rsa);
}

void
key_rsa_free(struct key *k)
{
	RSA_free(k->rsa);	/* clears the private bignums */
	k->rsa = NULL;
}
