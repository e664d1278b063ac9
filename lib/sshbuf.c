#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sshbuf.h"

#define SSHBUF_SIZE_INIT	256

struct sshbuf {
	uint8_t *d;		/* owned storage; NULL for a view */
	const uint8_t *cd;	/* what readers see: d, or the viewed memory */
	size_t off;		/* first unread byte */
	size_t size;		/* end of the data */
	size_t alloc;		/* bytes allocated at d */
	size_t max_size;
	int readonly;
};

struct sshbuf *
sshbuf_new(void)
{
	struct sshbuf *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->max_size = SSHBUF_SIZE_MAX;
	return b;
}

struct sshbuf *
sshbuf_from(const void *p, size_t len)
{
	struct sshbuf *b;

	if ((p == NULL && len != 0) || len > SSHBUF_SIZE_MAX)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->cd = p;
	b->size = b->max_size = len;
	b->readonly = 1;
	return b;
}

void
sshbuf_free(struct sshbuf *b)
{
	if (b == NULL)
		return;
	if (b->d != NULL) {
		sodium_memzero(b->d, b->alloc);
		free(b->d);
	}
	sodium_memzero(b, sizeof(*b));
	free(b);
}

void
sshbuf_reset(struct sshbuf *b)
{
	if (b == NULL || b->readonly)
		return;
	if (b->d != NULL)
		sodium_memzero(b->d, b->alloc);
	b->off = b->size = 0;
}

int
sshbuf_set_max_size(struct sshbuf *b, size_t max_size)
{
	if (b == NULL || b->readonly || max_size > SSHBUF_SIZE_MAX)
		return SKA_ERR_INVALID_ARGUMENT;
	if (b->size - b->off > max_size)
		return SKA_ERR_NO_BUFFER_SPACE;
	b->max_size = max_size;
	return 0;
}

size_t
sshbuf_max_size(const struct sshbuf *b)
{
	return b == NULL ? 0 : b->max_size;
}

size_t
sshbuf_len(const struct sshbuf *b)
{
	return b == NULL ? 0 : b->size - b->off;
}

size_t
sshbuf_avail(const struct sshbuf *b)
{
	if (b == NULL || b->readonly)
		return 0;
	return b->max_size - (b->size - b->off);
}

const uint8_t *
sshbuf_ptr(const struct sshbuf *b)
{
	if (b == NULL || b->cd == NULL)
		return (const uint8_t *)"";
	return b->cd + b->off;
}

uint8_t *
sshbuf_mutable_ptr(struct sshbuf *b)
{
	if (b == NULL || b->readonly || b->d == NULL)
		return NULL;
	return b->d + b->off;
}

int
sshbuf_check_reserve(const struct sshbuf *b, size_t len)
{
	if (b == NULL || b->readonly)
		return SKA_ERR_INVALID_ARGUMENT;
	if (len > b->max_size || b->size - b->off > b->max_size - len)
		return SKA_ERR_NO_BUFFER_SPACE;
	return 0;
}

/* Moves the unread bytes to the front, wiping what they leave behind. */
static void
sshbuf_pack(struct sshbuf *b)
{
	size_t n = b->size - b->off;

	if (b->off == 0)
		return;
	memmove(b->d, b->d + b->off, n);
	sodium_memzero(b->d + n, b->size - n);
	b->off = 0;
	b->size = n;
}

int
sshbuf_reserve(struct sshbuf *b, size_t len, uint8_t **dpp)
{
	size_t need, nalloc;
	uint8_t *nd;
	int r;

	if (dpp != NULL)
		*dpp = NULL;
	if ((r = sshbuf_check_reserve(b, len)) != 0)
		return r;
	if (b->size + len > b->alloc && b->off > 0)
		sshbuf_pack(b);
	need = b->size + len;
	if (need > b->alloc) {
		nalloc = b->alloc < SSHBUF_SIZE_INIT ? SSHBUF_SIZE_INIT : b->alloc;
		while (nalloc < need)
			nalloc *= 2;
		if (nalloc > b->max_size)
			nalloc = need > b->max_size ? need : b->max_size;
		/* Never realloc(): the old block may hold secrets. */
		if ((nd = malloc(nalloc)) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		if (b->d != NULL) {
			memcpy(nd, b->d, b->size);
			sodium_memzero(b->d, b->alloc);
			free(b->d);
		}
		b->d = nd;
		b->cd = nd;
		b->alloc = nalloc;
	}
	if (dpp != NULL)	/* len 0 on an empty buffer: nothing to point at */
		*dpp = b->d == NULL ? NULL : b->d + b->size;
	b->size += len;
	return 0;
}

int
sshbuf_consume(struct sshbuf *b, size_t len)
{
	if (b == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if (len > b->size - b->off)
		return SKA_ERR_MESSAGE_INCOMPLETE;
	b->off += len;
	if (b->off == b->size && !b->readonly)
		b->off = b->size = 0;
	return 0;
}

int
sshbuf_consume_end(struct sshbuf *b, size_t len)
{
	if (b == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if (len > b->size - b->off)
		return SKA_ERR_MESSAGE_INCOMPLETE;
	b->size -= len;
	if (b->d != NULL)
		sodium_memzero(b->d + b->size, len);
	return 0;
}

struct sshbuf *
sshbuf_fromb(const struct sshbuf *b)
{
	struct sshbuf *n;

	if ((n = sshbuf_new()) == NULL)
		return NULL;
	if (sshbuf_putb(n, b) != 0) {
		sshbuf_free(n);
		return NULL;
	}
	return n;
}

char *
sshbuf_dtob16(const struct sshbuf *b)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = sshbuf_ptr(b);
	size_t i, n = sshbuf_len(b);
	char *s;

	if (n > (SIZE_MAX - 1) / 2 || (s = malloc(n * 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		s[i * 2] = hex[p[i] >> 4];
		s[i * 2 + 1] = hex[p[i] & 0xf];
	}
	s[n * 2] = '\0';
	return s;
}

char *
sshbuf_dtob64_string(const struct sshbuf *b, int wrap)
{
	size_t n = sshbuf_len(b), elen, i, j, lines;
	char *s, *w;

	elen = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	if ((s = malloc(elen)) == NULL)
		return NULL;
	sodium_bin2base64(s, elen, sshbuf_ptr(b), n,
	    sodium_base64_VARIANT_ORIGINAL);
	if (!wrap)
		return s;
	/* 70 columns, as OpenSSH writes its PEM-like armour. */
	lines = strlen(s) / 70 + 1;
	if ((w = malloc(strlen(s) + lines + 1)) == NULL) {
		free(s);
		return NULL;
	}
	for (i = j = 0; s[i] != '\0'; i++) {
		if (i > 0 && i % 70 == 0)
			w[j++] = '\n';
		w[j++] = s[i];
	}
	w[j] = '\0';
	sodium_memzero(s, elen);
	free(s);
	return w;
}

int
sshbuf_b64tod(struct sshbuf *b, const char *b64)
{
	size_t plen, rlen = 0, maxlen;
	uint8_t *p;
	int r;

	if (b64 == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	plen = strlen(b64);
	maxlen = plen / 4 * 3 + 3;
	if ((p = malloc(maxlen)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if (sodium_base642bin(p, maxlen, b64, plen, " \t\r\n", &rlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(p);
		return SKA_ERR_INVALID_FORMAT;
	}
	r = sshbuf_put(b, p, rlen);
	sodium_memzero(p, maxlen);
	free(p);
	return r;
}

int
sshbuf_cmp(const struct sshbuf *a, const struct sshbuf *b)
{
	if (sshbuf_len(a) != sshbuf_len(b))
		return 1;
	if (sshbuf_len(a) == 0)
		return 0;
	return sodium_memcmp(sshbuf_ptr(a), sshbuf_ptr(b), sshbuf_len(a)) != 0;
}

int
sshbuf_equals(const struct sshbuf *a, const struct sshbuf *b)
{
	return sshbuf_cmp(a, b) == 0;
}

/* Getters */

int
sshbuf_get(struct sshbuf *b, void *v, size_t len)
{
	if (b == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if (len > sshbuf_len(b))
		return SKA_ERR_MESSAGE_INCOMPLETE;
	if (v != NULL && len > 0)
		memcpy(v, sshbuf_ptr(b), len);
	return sshbuf_consume(b, len);
}

int
sshbuf_get_u8(struct sshbuf *b, uint8_t *valp)
{
	uint8_t v;
	int r;

	if ((r = sshbuf_get(b, &v, 1)) != 0)
		return r;
	if (valp != NULL)
		*valp = v;
	return 0;
}

int
sshbuf_get_bool(struct sshbuf *b, int *valp)
{
	uint8_t v;
	int r;

	if ((r = sshbuf_get_u8(b, &v)) != 0)
		return r;
	if (valp != NULL)
		*valp = v != 0;
	return 0;
}

int
sshbuf_peek_u32(const struct sshbuf *b, uint32_t *valp)
{
	if (b == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if (sshbuf_len(b) < 4)
		return SKA_ERR_MESSAGE_INCOMPLETE;
	if (valp != NULL)
		*valp = peek_u32(sshbuf_ptr(b));
	return 0;
}

int
sshbuf_get_u32(struct sshbuf *b, uint32_t *valp)
{
	int r;

	if ((r = sshbuf_peek_u32(b, valp)) != 0)
		return r;
	return sshbuf_consume(b, 4);
}

int
sshbuf_get_u64(struct sshbuf *b, uint64_t *valp)
{
	uint32_t hi, lo;
	const uint8_t *p;

	if (b == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if (sshbuf_len(b) < 8)
		return SKA_ERR_MESSAGE_INCOMPLETE;
	p = sshbuf_ptr(b);
	hi = peek_u32(p);
	lo = peek_u32(p + 4);
	if (valp != NULL)
		*valp = ((uint64_t)hi << 32) | lo;
	return sshbuf_consume(b, 8);
}

int
sshbuf_peek_string_direct(const struct sshbuf *b, const uint8_t **valp,
    size_t *lenp)
{
	uint32_t len;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if (b == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if (sshbuf_len(b) < 4)
		return SKA_ERR_MESSAGE_INCOMPLETE;
	len = peek_u32(sshbuf_ptr(b));
	if (len > SSHBUF_SIZE_MAX - 4)
		return SKA_ERR_STRING_TOO_LARGE;
	if (sshbuf_len(b) - 4 < len)
		return SKA_ERR_MESSAGE_INCOMPLETE;
	if (valp != NULL)
		*valp = sshbuf_ptr(b) + 4;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

int
sshbuf_get_string_direct(struct sshbuf *b, const uint8_t **valp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = sshbuf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if ((r = sshbuf_consume(b, 4 + len)) != 0)
		return r;
	if (valp != NULL)
		*valp = p;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

int
sshbuf_get_string(struct sshbuf *b, uint8_t **valp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	uint8_t *v;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = sshbuf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if (valp != NULL) {
		if ((v = malloc(len + 1)) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		if (len != 0)
			memcpy(v, p, len);
		v[len] = '\0';
		*valp = v;
	}
	if (lenp != NULL)
		*lenp = len;
	return sshbuf_consume(b, 4 + len);
}

int
sshbuf_get_cstring(struct sshbuf *b, char **valp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	char *v;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = sshbuf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if (len != 0 && memchr(p, '\0', len) != NULL)
		return SKA_ERR_INVALID_FORMAT;
	if (valp != NULL) {
		if ((v = malloc(len + 1)) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		if (len != 0)
			memcpy(v, p, len);
		v[len] = '\0';
		*valp = v;
	}
	if (lenp != NULL)
		*lenp = len;
	return sshbuf_consume(b, 4 + len);
}

int
sshbuf_get_stringb(struct sshbuf *b, struct sshbuf *v)
{
	const uint8_t *p;
	size_t len;
	int r;

	if ((r = sshbuf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if ((r = sshbuf_put(v, p, len)) != 0)
		return r;
	return sshbuf_consume(b, 4 + len);
}

int
sshbuf_froms(struct sshbuf *b, struct sshbuf **bufp)
{
	const uint8_t *p;
	size_t len;
	struct sshbuf *v;
	int r;

	if (bufp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*bufp = NULL;
	if ((r = sshbuf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if ((v = sshbuf_from(p, len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_consume(b, 4 + len)) != 0) {
		sshbuf_free(v);
		return r;
	}
	*bufp = v;
	return 0;
}

int
sshbuf_get_bignum2_bytes_direct(struct sshbuf *b, const uint8_t **valp,
    size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	int r;

	if (valp != NULL)
		*valp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if ((r = sshbuf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if (len > SSHBUF_MAX_BIGNUM + 1)
		return SKA_ERR_BIGNUM_TOO_LARGE;
	if (len > 0 && (p[0] & 0x80) != 0)
		return SKA_ERR_BIGNUM_IS_NEGATIVE;
	/* One leading zero is allowed, and only before a high bit. */
	if (len > 0 && p[0] == 0 && (len == 1 || (p[1] & 0x80) == 0))
		return SKA_ERR_INVALID_FORMAT;
	if (len > 0 && p[0] == 0 && len - 1 > SSHBUF_MAX_BIGNUM)
		return SKA_ERR_BIGNUM_TOO_LARGE;
	if (len > SSHBUF_MAX_BIGNUM && p[0] != 0)
		return SKA_ERR_BIGNUM_TOO_LARGE;
	if ((r = sshbuf_consume(b, 4 + len)) != 0)
		return r;
	if (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	if (valp != NULL)
		*valp = p;
	if (lenp != NULL)
		*lenp = len;
	return 0;
}

/* Putters */

int
sshbuf_put(struct sshbuf *b, const void *v, size_t len)
{
	uint8_t *p;
	int r;

	if ((r = sshbuf_reserve(b, len, &p)) != 0)
		return r;
	if (len != 0)
		memcpy(p, v, len);
	return 0;
}

int
sshbuf_putb(struct sshbuf *b, const struct sshbuf *v)
{
	return sshbuf_put(b, sshbuf_ptr(v), sshbuf_len(v));
}

int
sshbuf_putf(struct sshbuf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	uint8_t *p;
	int len, r;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = sshbuf_reserve(b, (size_t)len + 1, &p)) != 0)
		goto out;
	if (vsnprintf((char *)p, (size_t)len + 1, fmt, ap2) != len) {
		r = SKA_ERR_INTERNAL;
		goto out;
	}
	r = sshbuf_consume_end(b, 1);	/* the NUL */
 out:
	va_end(ap2);
	return r;
}

int
sshbuf_put_u8(struct sshbuf *b, uint8_t val)
{
	return sshbuf_put(b, &val, 1);
}

int
sshbuf_put_u32(struct sshbuf *b, uint32_t val)
{
	uint8_t p[4];

	poke_u32(p, val);
	return sshbuf_put(b, p, 4);
}

int
sshbuf_put_u64(struct sshbuf *b, uint64_t val)
{
	uint8_t p[8];

	poke_u32(p, (uint32_t)(val >> 32));
	poke_u32(p + 4, (uint32_t)val);
	return sshbuf_put(b, p, 8);
}

int
sshbuf_put_string(struct sshbuf *b, const void *v, size_t len)
{
	uint8_t *p;
	int r;

	if (len > SSHBUF_SIZE_MAX - 4)
		return SKA_ERR_NO_BUFFER_SPACE;
	if ((r = sshbuf_reserve(b, 4 + len, &p)) != 0)
		return r;
	poke_u32(p, (uint32_t)len);
	if (len != 0)
		memcpy(p + 4, v, len);
	return 0;
}

int
sshbuf_put_cstring(struct sshbuf *b, const char *v)
{
	return sshbuf_put_string(b, v, v == NULL ? 0 : strlen(v));
}

int
sshbuf_put_stringb(struct sshbuf *b, const struct sshbuf *v)
{
	return sshbuf_put_string(b, sshbuf_ptr(v), sshbuf_len(v));
}

int
sshbuf_put_bignum2_bytes(struct sshbuf *b, const void *v, size_t len)
{
	const uint8_t *s = v;
	uint8_t *p;
	int prepend, r;

	/* Strip leading zeroes, then add one back if the high bit is set. */
	while (len > 0 && *s == 0) {
		s++;
		len--;
	}
	prepend = len > 0 && (s[0] & 0x80) != 0;
	if (len > SSHBUF_SIZE_MAX - 5)
		return SKA_ERR_NO_BUFFER_SPACE;
	if ((r = sshbuf_reserve(b, 4 + prepend + len, &p)) != 0)
		return r;
	poke_u32(p, (uint32_t)(len + prepend));
	if (prepend)
		p[4] = 0;
	if (len != 0)
		memcpy(p + 4 + prepend, s, len);
	return 0;
}
