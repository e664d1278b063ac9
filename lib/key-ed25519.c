/* ssh-ed25519 and the public half of sk-ssh-ed25519, with libsodium. */
#include <string.h>

#include <sodium.h>

#include "key-impl.h"
#include "secmem.h"

int
key_ed25519_pub_get(struct sshbuf *b, struct key *k)
{
	const uint8_t *pk;
	size_t len;
	int r;

	if ((r = sshbuf_get_string_direct(b, &pk, &len)) != 0)
		return r;
	if (len != ED25519_PK_LEN)
		return SKA_ERR_INVALID_FORMAT;
	memcpy(k->ed25519_pk, pk, len);
	return 0;
}

int
key_ed25519_pub_put(const struct key *k, struct sshbuf *b)
{
	return sshbuf_put_string(b, k->ed25519_pk, ED25519_PK_LEN);
}

/* string sk (seed || pk), after the public key */
int
key_ed25519_priv_get(struct sshbuf *b, struct key *k)
{
	const uint8_t *sk;
	uint8_t pk[ED25519_PK_LEN];
	size_t len;
	int r;

	if ((r = sshbuf_get_string_direct(b, &sk, &len)) != 0)
		return r;
	if (len != ED25519_SK_LEN)
		return SKA_ERR_INVALID_FORMAT;
	key_ed25519_free(k);
	if ((k->ed25519_sk = secmem_alloc(ED25519_SK_LEN)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	/* the public key must be the one the seed makes (both copies) */
	if (crypto_sign_ed25519_seed_keypair(pk, k->ed25519_sk, sk) != 0 ||
	    sodium_memcmp(pk, k->ed25519_pk, ED25519_PK_LEN) != 0 ||
	    sodium_memcmp(sk + 32, k->ed25519_pk, ED25519_PK_LEN) != 0) {
		key_ed25519_free(k);
		return SKA_ERR_KEY_INVALID;
	}
	return 0;
}

int
key_ed25519_priv_put(const struct key *k, struct sshbuf *b)
{
	if (k->ed25519_sk == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	return sshbuf_put_string(b, k->ed25519_sk, ED25519_SK_LEN);
}

int
key_ed25519_sign(const struct key *k, const uint8_t *d, size_t dlen,
    struct sshbuf *sig)
{
	uint8_t s[ED25519_SIG_LEN];
	int r;

	if (k->ed25519_sk == NULL)
		return SKA_ERR_KEY_INVALID;
	if (crypto_sign_ed25519_detached(s, NULL, d, dlen, k->ed25519_sk) != 0)
		return SKA_ERR_INTERNAL;
	if ((r = sshbuf_put_cstring(sig, "ssh-ed25519")) == 0)
		r = sshbuf_put_string(sig, s, sizeof(s));
	return r;
}

int
key_ed25519_verify(const struct key *k, struct sshbuf *sig,
    const uint8_t *d, size_t dlen)
{
	const uint8_t *s;
	size_t len;
	int r;

	if ((r = sshbuf_get_string_direct(sig, NULL, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(sig, &s, &len)) != 0)
		return r;
	if (len != ED25519_SIG_LEN)
		return SKA_ERR_INVALID_FORMAT;
	if (crypto_sign_ed25519_verify_detached(s, d, dlen, k->ed25519_pk) != 0)
		return SKA_ERR_SIGNATURE_INVALID;
	return 0;
}

int
key_ed25519_generate(struct key *k)
{
	if ((k->ed25519_sk = secmem_alloc(ED25519_SK_LEN)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if (crypto_sign_ed25519_keypair(k->ed25519_pk, k->ed25519_sk) != 0)
		return SKA_ERR_INTERNAL;
	return 0;
}

void
key_ed25519_free(struct key *k)
{
	secmem_free(k->ed25519_sk, ED25519_SK_LEN);
	k->ed25519_sk = NULL;
}
