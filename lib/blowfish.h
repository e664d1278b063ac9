/*
 * Blowfish and its expensive key schedule (eksblowfish), only as far as
 * bcrypt_pbkdf needs them.  Not a general-purpose cipher: no modes.
 * Keys and data are at most 64 KiB (key and salt are hashes here).
 */
#ifndef SKA_BLOWFISH_H
#define SKA_BLOWFISH_H

#include <stddef.h>
#include <stdint.h>

#define BLF_N	16	/* rounds */

struct blf_ctx {
	uint32_t S[4][256];
	uint32_t P[BLF_N + 2];
};

/* The initial state: the digits of pi. */
void blf_initstate(struct blf_ctx *c);
/* Plain Blowfish key schedule on top of the current state. */
void blf_expand0state(struct blf_ctx *c, const uint8_t *key, size_t keybytes);
/* The salted schedule of eksblowfish. */
void blf_expandstate(struct blf_ctx *c, const uint8_t *data, size_t databytes,
    const uint8_t *key, size_t keybytes);
/* blf_initstate + blf_expand0state: standard Blowfish keying. */
void blf_key(struct blf_ctx *c, const uint8_t *key, size_t keybytes);
/* Encrypts blocks pairs of 32-bit words (left, right) in place. */
void blf_enc(const struct blf_ctx *c, uint32_t *data, size_t blocks);
/* The next 32-bit big-endian word of data, cycling; *current is the index. */
uint32_t blf_stream2word(const uint8_t *data, size_t databytes, size_t *current);

#endif
