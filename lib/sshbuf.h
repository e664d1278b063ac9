/*
 * The SSH wire format, and the only code in the project that does pointer
 * arithmetic on untrusted bytes.  Every getter checks the bounds; every
 * buffer has a hard size cap; every buffer wipes its memory when it grows,
 * shrinks away or is freed, so a buffer may carry secrets.
 *
 * A buffer is either owned (sshbuf_new) or a read-only view of memory that
 * belongs to someone else (sshbuf_from, sshbuf_froms).  A view must not
 * outlive the memory it looks at, and the memory must not change meanwhile.
 *
 * Readers consume from the front.  All functions return 0 or a negative
 * SKA_ERR_* code; on failure a getter consumes nothing.
 */
#ifndef SKA_SSHBUF_H
#define SKA_SSHBUF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SSHBUF_SIZE_MAX		0x8000000	/* 128 MiB: hard cap of any buffer */
#define SSHBUF_MAX_BIGNUM	(16384 / 8)	/* largest mpint accepted, bytes */

struct sshbuf;

struct sshbuf *sshbuf_new(void);
/* A read-only view of len bytes at p (not copied). */
struct sshbuf *sshbuf_from(const void *p, size_t len);
/* Wipes and frees; NULL is fine. */
void sshbuf_free(struct sshbuf *b);
/* Empties an owned buffer (wiped), keeping its allocation. */
void sshbuf_reset(struct sshbuf *b);

int sshbuf_set_max_size(struct sshbuf *b, size_t max_size) SKA_WUR;
size_t sshbuf_max_size(const struct sshbuf *b);
size_t sshbuf_len(const struct sshbuf *b);
/* Bytes that may still be appended before the cap is reached. */
size_t sshbuf_avail(const struct sshbuf *b);
const uint8_t *sshbuf_ptr(const struct sshbuf *b);
/* NULL for a read-only view. */
uint8_t *sshbuf_mutable_ptr(struct sshbuf *b);

/* Is there room for len more bytes? */
int sshbuf_check_reserve(const struct sshbuf *b, size_t len) SKA_WUR;
/* Appends len bytes of uninitialised space, returned in *dpp. */
int sshbuf_reserve(struct sshbuf *b, size_t len, uint8_t **dpp) SKA_WUR;
/* Drops len bytes from the front / the end. */
int sshbuf_consume(struct sshbuf *b, size_t len) SKA_WUR;
int sshbuf_consume_end(struct sshbuf *b, size_t len) SKA_WUR;

/* Owned copy of a buffer's contents. */
struct sshbuf *sshbuf_fromb(const struct sshbuf *b);
/* Lowercase hex / base64 of the contents, NUL-terminated; caller frees. */
char *sshbuf_dtob16(const struct sshbuf *b);
char *sshbuf_dtob64_string(const struct sshbuf *b, int wrap);
/* Appends the decoded base64 text. */
int sshbuf_b64tod(struct sshbuf *b, const char *b64) SKA_WUR;
/* Constant-time comparison of contents: 0 when equal. */
int sshbuf_cmp(const struct sshbuf *a, const struct sshbuf *b);
int sshbuf_equals(const struct sshbuf *a, const struct sshbuf *b);

/* Getters.  d may be NULL to skip the value. */
int sshbuf_get(struct sshbuf *b, void *v, size_t len) SKA_WUR;
int sshbuf_get_u8(struct sshbuf *b, uint8_t *valp) SKA_WUR;
int sshbuf_get_u32(struct sshbuf *b, uint32_t *valp) SKA_WUR;
int sshbuf_get_u64(struct sshbuf *b, uint64_t *valp) SKA_WUR;
int sshbuf_peek_u32(const struct sshbuf *b, uint32_t *valp) SKA_WUR;
/* SSH boolean: a byte, any non-zero value is true. */
int sshbuf_get_bool(struct sshbuf *b, int *valp) SKA_WUR;
/*
 * string: u32 length then bytes.  _get_string allocates a copy (NUL-
 * terminated for convenience, caller frees); _direct points into b and is
 * valid until b is next modified; _cstring refuses embedded NULs.
 */
int sshbuf_get_string(struct sshbuf *b, uint8_t **valp, size_t *lenp) SKA_WUR;
int sshbuf_get_string_direct(struct sshbuf *b, const uint8_t **valp,
    size_t *lenp) SKA_WUR;
int sshbuf_peek_string_direct(const struct sshbuf *b, const uint8_t **valp,
    size_t *lenp) SKA_WUR;
int sshbuf_get_cstring(struct sshbuf *b, char **valp, size_t *lenp) SKA_WUR;
/* Appends the string's contents to v. */
int sshbuf_get_stringb(struct sshbuf *b, struct sshbuf *v) SKA_WUR;
/* A read-only view of the string's contents, for nested fields. */
int sshbuf_froms(struct sshbuf *b, struct sshbuf **bufp) SKA_WUR;
/*
 * mpint as an unsigned big-endian number without leading zeroes: refuses
 * negative numbers and numbers longer than SSHBUF_MAX_BIGNUM.
 */
int sshbuf_get_bignum2_bytes_direct(struct sshbuf *b, const uint8_t **valp,
    size_t *lenp) SKA_WUR;

/* Putters. */
int sshbuf_put(struct sshbuf *b, const void *v, size_t len) SKA_WUR;
int sshbuf_putb(struct sshbuf *b, const struct sshbuf *v) SKA_WUR;
int sshbuf_putf(struct sshbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))) SKA_WUR;
int sshbuf_put_u8(struct sshbuf *b, uint8_t val) SKA_WUR;
int sshbuf_put_u32(struct sshbuf *b, uint32_t val) SKA_WUR;
int sshbuf_put_u64(struct sshbuf *b, uint64_t val) SKA_WUR;
int sshbuf_put_string(struct sshbuf *b, const void *v, size_t len) SKA_WUR;
int sshbuf_put_cstring(struct sshbuf *b, const char *v) SKA_WUR;
int sshbuf_put_stringb(struct sshbuf *b, const struct sshbuf *v) SKA_WUR;
/* Unsigned big-endian bytes (leading zeroes allowed) as an mpint. */
int sshbuf_put_bignum2_bytes(struct sshbuf *b, const void *v, size_t len) SKA_WUR;

/* Fixed-width big-endian helpers for code outside the buffer. */
static inline uint32_t
peek_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void
poke_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
