/*
 * ecdsa-sha2-nistp256/384/521 and the public half of sk-ecdsa, with
 * OpenSSL's EC_KEY: its private scalar is a bignum in the secure heap
 * (secmem.h), which the EVP_PKEY import path of OpenSSL 3.0 would copy to
 * the ordinary heap.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "key-impl.h"

static int
curve_nid(int bits)
{
	switch (bits) {
	case 256:
		return NID_X9_62_prime256v1;
	case 384:
		return NID_secp384r1;
	case 521:
		return NID_secp521r1;
	}
	return -1;
}

static const char *
curve_name(int bits)
{
	switch (bits) {
	case 256:
		return "nistp256";
	case 384:
		return "nistp384";
	case 521:
		return "nistp521";
	}
	return NULL;
}

static const EVP_MD *
curve_md(int bits)
{
	switch (bits) {
	case 256:
		return EVP_sha256();
	case 384:
		return EVP_sha384();
	default:
		return EVP_sha512();
	}
}

int
key_ecdsa_from_point(struct key *k, int bits, const uint8_t *q, size_t qlen)
{
	EC_KEY *ec = NULL;
	EC_POINT *pt = NULL;
	const EC_GROUP *g;
	size_t flen;
	int r = SKA_ERR_LIBCRYPTO;

	ERR_clear_error();
	if ((ec = EC_KEY_new_by_curve_name(curve_nid(bits))) == NULL) {
		r = key_crypto_err(r);
		goto out;
	}
	g = EC_KEY_get0_group(ec);
	flen = (EC_GROUP_get_degree(g) + 7) / 8;
	/* uncompressed points only, as OpenSSH */
	if (qlen != 1 + 2 * flen || q[0] != POINT_CONVERSION_UNCOMPRESSED) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((pt = EC_POINT_new(g)) == NULL) {
		r = key_crypto_err(r);
		goto out;
	}
	if (EC_POINT_oct2point(g, pt, q, qlen, NULL) != 1 ||
	    EC_POINT_is_at_infinity(g, pt) ||
	    EC_KEY_set_public_key(ec, pt) != 1 ||
	    EC_KEY_check_key(ec) != 1) {
		r = key_crypto_err(SKA_ERR_KEY_INVALID);
		goto out;
	}
	EC_KEY_free(k->ec);
	k->ec = ec;
	ec = NULL;
	r = 0;
 out:
	EC_POINT_free(pt);
	EC_KEY_free(ec);
	return r;
}

int
key_ecdsa_pub_get(struct sshbuf *b, struct key *k)
{
	const uint8_t *curve, *q;
	size_t clen, qlen;
	const char *want = curve_name(k->ti->ecdsa_bits);
	int r;

	if ((r = sshbuf_get_string_direct(b, &curve, &clen)) != 0 ||
	    (r = sshbuf_get_string_direct(b, &q, &qlen)) != 0)
		return r;
	if (want == NULL || clen != strlen(want) || memcmp(curve, want, clen) != 0)
		return SKA_ERR_KEY_TYPE_MISMATCH;
	return key_ecdsa_from_point(k, k->ti->ecdsa_bits, q, qlen);
}

int
key_ecdsa_pub_put(const struct key *k, struct sshbuf *b)
{
	uint8_t q[1 + 2 * 66];
	size_t len;
	int r;

	if (k->ec == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	len = EC_POINT_point2oct(EC_KEY_get0_group(k->ec),
	    EC_KEY_get0_public_key(k->ec), POINT_CONVERSION_UNCOMPRESSED,
	    q, sizeof(q), NULL);
	if (len == 0)
		return SKA_ERR_LIBCRYPTO;
	if ((r = sshbuf_put_cstring(b, curve_name(k->ti->ecdsa_bits))) != 0)
		return r;
	return sshbuf_put_string(b, q, len);
}

/* mpint d: in range, and the scalar of the public point */
int
key_ecdsa_priv_get(struct sshbuf *b, struct key *k)
{
	const uint8_t *d;
	size_t dlen;
	BIGNUM *bn = NULL;
	const BIGNUM *order;
	int r;

	if (k->ec == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((r = sshbuf_get_bignum2_bytes_direct(b, &d, &dlen)) != 0)
		return r;
	if ((bn = BN_secure_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if (BN_bin2bn(d, (int)dlen, bn) == NULL) {
		r = SKA_ERR_LIBCRYPTO;
		goto out;
	}
	order = EC_GROUP_get0_order(EC_KEY_get0_group(k->ec));
	/* as OpenSSH: log2(d) > log2(order)/2 and d < order - 1 */
	if (BN_num_bits(bn) <= BN_num_bits(order) / 2 ||
	    BN_cmp(bn, order) >= 0) {
		r = SKA_ERR_KEY_INVALID;
		goto out;
	}
	ERR_clear_error();
	if (EC_KEY_set_private_key(k->ec, bn) != 1) {
		r = key_crypto_err(SKA_ERR_LIBCRYPTO);
		goto out;
	}
	if (EC_KEY_check_key(k->ec) != 1) {
		r = key_crypto_err(SKA_ERR_KEY_INVALID);
		goto out;
	}
	r = 0;
 out:
	BN_clear_free(bn);
	return r;
}

int
key_ecdsa_priv_put(const struct key *k, struct sshbuf *b)
{
	const BIGNUM *d;
	uint8_t buf[66];
	int len, r;

	if (k->ec == NULL || (d = EC_KEY_get0_private_key(k->ec)) == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((len = BN_bn2bin(d, buf)) <= 0 || (size_t)len > sizeof(buf))
		return SKA_ERR_LIBCRYPTO;
	r = sshbuf_put_bignum2_bytes(b, buf, (size_t)len);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

static int
put_rs(const ECDSA_SIG *esig, struct sshbuf *out)
{
	const BIGNUM *br, *bs;
	uint8_t buf[66];
	struct sshbuf *inner = NULL;
	int len, r;

	ECDSA_SIG_get0(esig, &br, &bs);
	if (BN_num_bytes(br) > (int)sizeof(buf) || BN_num_bytes(bs) > (int)sizeof(buf))
		return SKA_ERR_INVALID_FORMAT;
	if ((inner = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	len = BN_bn2bin(br, buf);
	if ((r = sshbuf_put_bignum2_bytes(inner, buf, (size_t)len)) != 0)
		goto out;
	len = BN_bn2bin(bs, buf);
	if ((r = sshbuf_put_bignum2_bytes(inner, buf, (size_t)len)) != 0)
		goto out;
	r = sshbuf_put_stringb(out, inner);
 out:
	sshbuf_free(inner);
	return r;
}

int
key_ecdsa_der_to_ssh(const uint8_t *der, size_t len, struct sshbuf *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *esig;
	int r;

	if ((esig = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return SKA_ERR_INVALID_FORMAT;
	if (p != der + len)
		r = SKA_ERR_INVALID_FORMAT;
	else
		r = put_rs(esig, out);
	ECDSA_SIG_free(esig);
	return r;
}

int
key_ecdsa_sign(const struct key *k, const uint8_t *d, size_t dlen,
    struct sshbuf *sig)
{
	uint8_t dgst[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	ECDSA_SIG *esig = NULL;
	int r;

	if (k->ec == NULL || EC_KEY_get0_private_key(k->ec) == NULL)
		return SKA_ERR_KEY_INVALID;
	if (EVP_Digest(d, dlen, dgst, &mdlen, curve_md(k->ti->ecdsa_bits),
	    NULL) != 1)
		return SKA_ERR_LIBCRYPTO;
	if ((esig = ECDSA_do_sign(dgst, (int)mdlen, k->ec)) == NULL) {
		r = SKA_ERR_LIBCRYPTO;
		goto out;
	}
	if ((r = sshbuf_put_cstring(sig, k->ti->sigalg)) != 0)
		goto out;
	r = put_rs(esig, sig);
 out:
	ECDSA_SIG_free(esig);
	return r;
}

int
key_ecdsa_verify_digest(const struct key *k, struct sshbuf *rs,
    const uint8_t *dgst, size_t dgstlen)
{
	const uint8_t *rp, *sp;
	size_t rlen, slen;
	BIGNUM *br = NULL, *bs = NULL;
	ECDSA_SIG *esig = NULL;
	int r;

	if ((r = sshbuf_get_bignum2_bytes_direct(rs, &rp, &rlen)) != 0 ||
	    (r = sshbuf_get_bignum2_bytes_direct(rs, &sp, &slen)) != 0)
		return r;
	if (sshbuf_len(rs) != 0)
		return SKA_ERR_INVALID_FORMAT;
	if ((esig = ECDSA_SIG_new()) == NULL ||
	    (br = BN_bin2bn(rp, (int)rlen, NULL)) == NULL ||
	    (bs = BN_bin2bn(sp, (int)slen, NULL)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (ECDSA_SIG_set0(esig, br, bs) != 1) {
		r = SKA_ERR_LIBCRYPTO;
		goto out;
	}
	br = bs = NULL;
	ERR_clear_error();
	switch (ECDSA_do_verify(dgst, (int)dgstlen, esig, k->ec)) {
	case 1:
		r = 0;
		break;
	case 0:
		r = SKA_ERR_SIGNATURE_INVALID;
		break;
	default:
		r = key_crypto_err(SKA_ERR_LIBCRYPTO);
	}
 out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(esig);
	return r;
}

int
key_ecdsa_verify(const struct key *k, struct sshbuf *sig,
    const uint8_t *d, size_t dlen)
{
	uint8_t dgst[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	struct sshbuf *rs = NULL;
	int r;

	if ((r = sshbuf_get_string_direct(sig, NULL, NULL)) != 0 ||
	    (r = sshbuf_froms(sig, &rs)) != 0)
		return r;
	if (EVP_Digest(d, dlen, dgst, &mdlen, curve_md(k->ti->ecdsa_bits),
	    NULL) != 1)
		r = SKA_ERR_LIBCRYPTO;
	else
		r = key_ecdsa_verify_digest(k, rs, dgst, mdlen);
	sshbuf_free(rs);
	return r;
}

int
key_ecdsa_generate(struct key *k, int bits)
{
	if ((k->ec = EC_KEY_new_by_curve_name(curve_nid(bits))) == NULL)
		return SKA_ERR_LIBCRYPTO;
	if (EC_KEY_generate_key(k->ec) != 1)
		return SKA_ERR_LIBCRYPTO;
	return 0;
}

void
key_ecdsa_free(struct key *k)
{
	EC_KEY_free(k->ec);	/* clears the private scalar */
	k->ec = NULL;
}
