/*
 * Stateless key handles: the credential's seed, algorithm and credProtect
 * level sealed with the token's master key (XChaCha20-Poly1305), with the
 * rpIdHash as associated data, so a handle only opens for its own RP.
 */
#include <string.h>

#include <sodium.h>

#include "st.h"

#define CRED_VER	0x01
#define ALG_ES256	0
#define ALG_EDDSA	1

static void
cred_ad(const uint8_t rpid_hash[32], uint8_t ad[33])
{
	memcpy(ad, rpid_hash, 32);
	ad[32] = CRED_VER;
}

int
cred_new(const uint8_t master[32], const uint8_t rpid_hash[32], int alg,
    int prot, struct st_key *key, uint8_t id[ST_CREDID_LEN])
{
	uint8_t pt[2 + ST_SEED_LEN], ad[33];
	unsigned long long clen;
	int r = -1;

	memset(key, 0, sizeof(*key));
	key->alg = alg;
	key->prot = prot;
	if (alg == COSE_ES256) {
		if (p256_keygen(key->seed) != 0)
			goto out;
	} else if (alg == COSE_EDDSA)
		randombytes_buf(key->seed, sizeof(key->seed));
	else
		goto out;
	pt[0] = alg == COSE_ES256 ? ALG_ES256 : ALG_EDDSA;
	pt[1] = (uint8_t)prot;
	memcpy(pt + 2, key->seed, ST_SEED_LEN);
	cred_ad(rpid_hash, ad);
	id[0] = CRED_VER;
	randombytes_buf(id + 1, ST_NONCE_LEN);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(id + 1 + ST_NONCE_LEN,
	    &clen, pt, sizeof(pt), ad, sizeof(ad), NULL, id + 1, master) != 0 ||
	    clen != ST_CREDID_LEN - 1 - ST_NONCE_LEN)
		goto out;
	r = 0;
 out:
	sodium_memzero(pt, sizeof(pt));
	if (r != 0)
		sodium_memzero(key, sizeof(*key));
	return r;
}

int
cred_open(const uint8_t master[32], const uint8_t rpid_hash[32],
    const uint8_t *id, size_t idlen, struct st_key *key)
{
	uint8_t pt[2 + ST_SEED_LEN], ad[33];
	unsigned long long plen;
	int r = -1;

	memset(key, 0, sizeof(*key));
	if (idlen != ST_CREDID_LEN || id[0] != CRED_VER)
		return -1;
	cred_ad(rpid_hash, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(pt, &plen, NULL,
	    id + 1 + ST_NONCE_LEN, idlen - 1 - ST_NONCE_LEN, ad, sizeof(ad),
	    id + 1, master) != 0 || plen != sizeof(pt))
		goto out;
	if (pt[0] == ALG_ES256)
		key->alg = COSE_ES256;
	else if (pt[0] == ALG_EDDSA)
		key->alg = COSE_EDDSA;
	else
		goto out;
	if (pt[1] < 1 || pt[1] > 3)
		goto out;
	key->prot = pt[1];
	memcpy(key->seed, pt + 2, ST_SEED_LEN);
	r = 0;
 out:
	sodium_memzero(pt, sizeof(pt));
	return r;
}

cbor_item_t *
cred_cose(const struct st_key *key)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t xy[64];
	cbor_item_t *m = NULL;
	int ok;

	if (key->alg == COSE_EDDSA) {
		crypto_sign_seed_keypair(pk, sk, key->seed);
		sodium_memzero(sk, sizeof(sk));
		ok = (m = cbor_new_definite_map(4)) != NULL &&
		    cb_put(m, cb_new_int(1), cb_new_int(1)) == 0 &&
		    cb_put(m, cb_new_int(3), cb_new_int(COSE_EDDSA)) == 0 &&
		    cb_put(m, cb_new_int(-1), cb_new_int(6)) == 0 &&
		    cb_put(m, cb_new_int(-2), cbor_build_bytestring(pk,
		    sizeof(pk))) == 0;
	} else {
		ok = p256_pub(key->seed, xy) == 0 &&
		    (m = cbor_new_definite_map(5)) != NULL &&
		    cb_put(m, cb_new_int(1), cb_new_int(2)) == 0 &&
		    cb_put(m, cb_new_int(3), cb_new_int(COSE_ES256)) == 0 &&
		    cb_put(m, cb_new_int(-1), cb_new_int(1)) == 0 &&
		    cb_put(m, cb_new_int(-2), cbor_build_bytestring(xy, 32)) == 0 &&
		    cb_put(m, cb_new_int(-3), cbor_build_bytestring(xy + 32,
		    32)) == 0;
	}
	if (!ok && m != NULL)
		cbor_decref(&m);
	return ok ? m : NULL;
}

int
cred_sign(const struct st_key *key, const uint8_t *msg, size_t n,
    uint8_t *sig, size_t *siglen)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	unsigned long long sl;
	int r;

	if (key->alg == COSE_ES256)
		return p256_sign(key->seed, msg, n, sig, siglen);
	crypto_sign_seed_keypair(pk, sk, key->seed);
	r = crypto_sign_detached(sig, &sl, msg, n, sk);
	sodium_memzero(sk, sizeof(sk));
	*siglen = (size_t)sl;
	return r == 0 ? 0 : -1;
}
