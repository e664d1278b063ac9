/*
 * bcrypt_pbkdf(3) from OpenBSD, as OpenSSH derives the key and IV of an
 * encrypted private key file: PBKDF2-like, with SHA-512 and bcrypt's
 * Blowfish hash of "OxychromaticBlowfishSwatDynamite" as the PRF, and the
 * output bytes spread non-linearly.
 */
#ifndef SKA_BCRYPT_PBKDF_H
#define SKA_BCRYPT_PBKDF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define BCRYPT_PBKDF_MAX_KEY	1024	/* 32 * 32 bytes */
#define BCRYPT_PBKDF_MAX_SALT	(1 << 20)

/*
 * Fills key[keylen].  Returns 0, or SKA_ERR_INVALID_ARGUMENT (key left
 * untouched) when passlen, saltlen, keylen or rounds is 0, or a length is
 * above the maxima.  Time grows linearly with rounds and with keylen/32.
 */
int bcrypt_pbkdf(const char *pass, size_t passlen, const uint8_t *salt,
    size_t saltlen, uint8_t *key, size_t keylen, unsigned int rounds) SKA_WUR;

#endif
