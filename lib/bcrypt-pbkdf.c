#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "bcrypt-pbkdf.h"
#include "blowfish.h"
#include "sshbuf.h"

#define BCRYPT_WORDS	8
#define BCRYPT_HASHSIZE	(BCRYPT_WORDS * 4)
#define SHA512_LEN	crypto_hash_sha512_BYTES

static void
bcrypt_hash(const uint8_t *sha2pass, const uint8_t *sha2salt, uint8_t *out)
{
	static const uint8_t magic[BCRYPT_HASHSIZE] =
	    "OxychromaticBlowfishSwatDynamite";
	struct blf_ctx state;
	uint32_t cdata[BCRYPT_WORDS];
	size_t i, j = 0;

	blf_initstate(&state);
	blf_expandstate(&state, sha2salt, SHA512_LEN, sha2pass, SHA512_LEN);
	for (i = 0; i < 64; i++) {
		blf_expand0state(&state, sha2salt, SHA512_LEN);
		blf_expand0state(&state, sha2pass, SHA512_LEN);
	}
	for (i = 0; i < BCRYPT_WORDS; i++)
		cdata[i] = blf_stream2word(magic, sizeof(magic), &j);
	for (i = 0; i < 64; i++)
		blf_enc(&state, cdata, BCRYPT_WORDS / 2);
	/* little-endian words, as OpenBSD writes them */
	for (i = 0; i < BCRYPT_WORDS; i++) {
		out[4 * i + 3] = (uint8_t)(cdata[i] >> 24);
		out[4 * i + 2] = (uint8_t)(cdata[i] >> 16);
		out[4 * i + 1] = (uint8_t)(cdata[i] >> 8);
		out[4 * i + 0] = (uint8_t)cdata[i];
	}
	sodium_memzero(cdata, sizeof(cdata));
	sodium_memzero(&state, sizeof(state));
}

int
bcrypt_pbkdf(const char *pass, size_t passlen, const uint8_t *salt,
    size_t saltlen, uint8_t *key, size_t keylen, unsigned int rounds)
{
	crypto_hash_sha512_state ctx;
	uint8_t sha2pass[SHA512_LEN], sha2salt[SHA512_LEN];
	uint8_t out[BCRYPT_HASHSIZE], tmpout[BCRYPT_HASHSIZE], countsalt[4];
	size_t i, j, amt, stride, dest, origkeylen = keylen;
	uint32_t count;

	if (key == NULL || keylen == 0 || keylen > BCRYPT_PBKDF_MAX_KEY ||
	    pass == NULL || passlen == 0 || salt == NULL || saltlen == 0 ||
	    saltlen > BCRYPT_PBKDF_MAX_SALT || rounds < 1)
		return SKA_ERR_INVALID_ARGUMENT;
	stride = (keylen + sizeof(out) - 1) / sizeof(out);
	amt = (keylen + stride - 1) / stride;

	crypto_hash_sha512(sha2pass, (const uint8_t *)pass, passlen);
	for (count = 1; keylen > 0; count++) {
		poke_u32(countsalt, count);
		/* first round: the salt is the salt */
		crypto_hash_sha512_init(&ctx);
		crypto_hash_sha512_update(&ctx, salt, saltlen);
		crypto_hash_sha512_update(&ctx, countsalt, sizeof(countsalt));
		crypto_hash_sha512_final(&ctx, sha2salt);
		bcrypt_hash(sha2pass, sha2salt, tmpout);
		memcpy(out, tmpout, sizeof(out));
		/* then the previous output */
		for (i = 1; i < rounds; i++) {
			crypto_hash_sha512(sha2salt, tmpout, sizeof(tmpout));
			bcrypt_hash(sha2pass, sha2salt, tmpout);
			for (j = 0; j < sizeof(out); j++)
				out[j] ^= tmpout[j];
		}
		/* spread the output: byte i of round count at i*stride+count-1 */
		if (amt > keylen)
			amt = keylen;
		for (i = 0; i < amt; i++) {
			dest = i * stride + (count - 1);
			if (dest >= origkeylen)
				break;
			key[dest] = out[i];
		}
		keylen -= i;
	}
	sodium_memzero(&ctx, sizeof(ctx));
	sodium_memzero(sha2pass, sizeof(sha2pass));
	sodium_memzero(sha2salt, sizeof(sha2salt));
	sodium_memzero(out, sizeof(out));
	sodium_memzero(tmpout, sizeof(tmpout));
	return 0;
}
