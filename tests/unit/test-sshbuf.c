/* The wire buffer: round trips, bounds, caps and hostile input. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sshbuf.h"
#include "tap.h"

static void
test_roundtrip(void)
{
	struct sshbuf *b = sshbuf_new(), *c = NULL;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	char *s = NULL;
	uint8_t *bin = NULL;
	const uint8_t *p;
	size_t len;
	int v;

	ok(b != NULL, "new");
	ok(sshbuf_put_u8(b, 0xa5) == 0 && sshbuf_put_u32(b, 0xdeadbeef) == 0 &&
	    sshbuf_put_u64(b, 0x0102030405060708ULL) == 0 &&
	    sshbuf_put_cstring(b, "hello") == 0 &&
	    sshbuf_put_string(b, "\0\1\2", 3) == 0 &&
	    sshbuf_put_u8(b, 7) == 0, "puts");
	is_int(sshbuf_len(b), 1 + 4 + 8 + 9 + 7 + 1, "length");
	ok(sshbuf_get_u8(b, &u8) == 0 && u8 == 0xa5, "u8");
	ok(sshbuf_get_u32(b, &u32) == 0 && u32 == 0xdeadbeef, "u32");
	ok(sshbuf_get_u64(b, &u64) == 0 && u64 == 0x0102030405060708ULL, "u64");
	ok(sshbuf_get_cstring(b, &s, &len) == 0 && len == 5 &&
	    strcmp(s, "hello") == 0, "cstring");
	is_int(sshbuf_get_cstring(b, NULL, NULL), SKA_ERR_INVALID_FORMAT,
	    "cstring with an embedded NUL refused");
	ok(sshbuf_get_string(b, &bin, &len) == 0 && len == 3 &&
	    memcmp(bin, "\0\1\2", 3) == 0, "string with NUL as bytes");
	ok(sshbuf_get_bool(b, &v) == 0 && v == 1, "bool");
	is_int(sshbuf_len(b), 0, "all consumed");
	is_int(sshbuf_get_u8(b, &u8), SKA_ERR_MESSAGE_INCOMPLETE, "read past end");

	/* nested fields */
	sshbuf_reset(b);
	ok(sshbuf_put_u32(b, 9) == 0 && sshbuf_put_u8(b, 1) == 0 &&
	    sshbuf_put_cstring(b, "abcd") == 0, "nested put");
	ok(sshbuf_froms(b, &c) == 0 && sshbuf_len(b) == 0 &&
	    sshbuf_len(c) == 9, "froms takes the whole string");
	ok(sshbuf_get_u8(c, &u8) == 0 && u8 == 1 &&
	    sshbuf_get_string_direct(c, &p, &len) == 0 && len == 4 &&
	    memcmp(p, "abcd", 4) == 0, "child reads");
	ok(sshbuf_mutable_ptr(c) == NULL && sshbuf_put_u8(c, 0) != 0,
	    "a view is read-only");
	free(s);
	free(bin);
	sshbuf_free(c);
	sshbuf_free(b);
}

static void
test_bignum(void)
{
	struct sshbuf *b = sshbuf_new();
	const uint8_t *p;
	size_t len;
	static const uint8_t hi[] = { 0x00, 0x00, 0x80, 0x01 };
	static const uint8_t neg[] = { 0, 0, 0, 1, 0x80 };
	static const uint8_t pad[] = { 0, 0, 0, 2, 0x00, 0x01 };
	static const uint8_t zero1[] = { 0, 0, 0, 1, 0x00 };

	ok(sshbuf_put_bignum2_bytes(b, hi, sizeof(hi)) == 0, "put mpint");
	is_int(sshbuf_len(b), 4 + 3, "leading zeroes stripped, one added for the high bit");
	ok(sshbuf_get_bignum2_bytes_direct(b, &p, &len) == 0 && len == 2 &&
	    p[0] == 0x80 && p[1] == 0x01, "get mpint");
	ok(sshbuf_put_bignum2_bytes(b, "", 0) == 0 &&
	    sshbuf_get_bignum2_bytes_direct(b, &p, &len) == 0 && len == 0,
	    "zero");
	sshbuf_reset(b);
	ok(sshbuf_put(b, neg, sizeof(neg)) == 0, "put raw");
	is_int(sshbuf_get_bignum2_bytes_direct(b, &p, &len),
	    SKA_ERR_BIGNUM_IS_NEGATIVE, "negative refused");
	is_int(sshbuf_len(b), sizeof(neg), "nothing consumed on failure");
	sshbuf_reset(b);
	ok(sshbuf_put(b, pad, sizeof(pad)) == 0 &&
	    sshbuf_get_bignum2_bytes_direct(b, &p, &len) ==
	    SKA_ERR_INVALID_FORMAT, "needless leading zero refused");
	sshbuf_reset(b);
	ok(sshbuf_put(b, zero1, sizeof(zero1)) == 0 &&
	    sshbuf_get_bignum2_bytes_direct(b, &p, &len) ==
	    SKA_ERR_INVALID_FORMAT, "lone zero byte refused");
	sshbuf_free(b);
}

static void
test_limits(void)
{
	struct sshbuf *b = sshbuf_new(), *v;
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xf0, 'x' };
	static const uint8_t shortstr[] = { 0, 0, 0, 5, 'a', 'b' };
	uint8_t *d;
	size_t i;

	ok(sshbuf_set_max_size(b, 16) == 0, "set cap");
	ok(sshbuf_reserve(b, 16, &d) == 0, "fill to cap");
	is_int(sshbuf_put_u8(b, 0), SKA_ERR_NO_BUFFER_SPACE, "cap enforced");
	ok(sshbuf_consume(b, 8) == 0 && sshbuf_put_u32(b, 1) == 0,
	    "space comes back after consuming");
	is_int(sshbuf_consume(b, 100), SKA_ERR_MESSAGE_INCOMPLETE,
	    "consume past end refused");
	is_int(sshbuf_reserve(b, SIZE_MAX, &d), SKA_ERR_NO_BUFFER_SPACE,
	    "SIZE_MAX reserve refused");
	sshbuf_free(b);

	v = sshbuf_from(huge, sizeof(huge));
	is_int(sshbuf_get_string_direct(v, NULL, NULL),
	    SKA_ERR_STRING_TOO_LARGE, "huge length refused");
	sshbuf_free(v);
	v = sshbuf_from(shortstr, sizeof(shortstr));
	is_int(sshbuf_get_string(v, NULL, NULL), SKA_ERR_MESSAGE_INCOMPLETE,
	    "truncated string refused");
	is_int(sshbuf_len(v), sizeof(shortstr), "and not consumed");
	sshbuf_free(v);
	/* every prefix of a valid message fails cleanly */
	b = sshbuf_new();
	ok(sshbuf_put_cstring(b, "ssh-ed25519") == 0 &&
	    sshbuf_put_string(b, huge, 4) == 0 && sshbuf_put_u32(b, 2) == 0,
	    "message");
	for (i = 0; i < sshbuf_len(b); i++) {
		struct sshbuf *t = sshbuf_from(sshbuf_ptr(b), i);
		int r;

		if ((r = sshbuf_get_cstring(t, NULL, NULL)) == 0 &&
		    (r = sshbuf_get_string_direct(t, NULL, NULL)) == 0)
			r = sshbuf_get_u32(t, NULL);
		if (r != SKA_ERR_MESSAGE_INCOMPLETE)
			break;
		sshbuf_free(t);
	}
	is_int(i, sshbuf_len(b), "every truncation reports an incomplete message");
	sshbuf_free(b);
}

static void
test_random(void)
{
	uint8_t data[512];
	int i, survived = 0;

	for (i = 0; i < 20000; i++) {
		size_t n = randombytes_uniform(sizeof(data));
		struct sshbuf *b, *c = NULL;
		char *s = NULL;

		randombytes_buf(data, n);
		if (n > 4 && (i & 1))	/* plausible lengths */
			data[0] = data[1] = 0;
		b = sshbuf_from(data, n);
		while (sshbuf_len(b) > 0) {
			if (sshbuf_froms(b, &c) == 0) {
				if (sshbuf_get_cstring(c, &s, NULL) != 0) { /* fine */ }
				free(s);
				s = NULL;
				if (sshbuf_get_bignum2_bytes_direct(c, NULL, NULL) != 0) { /* fine */ }
				sshbuf_free(c);
				c = NULL;
			} else if (sshbuf_consume(b, 1) != 0)
				break;
		}
		sshbuf_free(b);
		survived++;
	}
	is_int(survived, 20000, "20000 random inputs parsed without a fault");
}

static void
test_base64(void)
{
	struct sshbuf *b = sshbuf_new(), *d = sshbuf_new();
	char *s;

	ok(sshbuf_put(b, "any carnal pleas", 16) == 0, "put");
	s = sshbuf_dtob64_string(b, 0);
	is_str(s, "YW55IGNhcm5hbCBwbGVhcw==", "base64");
	ok(sshbuf_b64tod(d, s) == 0 && sshbuf_equals(b, d), "decode");
	ok(sshbuf_b64tod(d, "###") != 0, "bad base64 refused");
	free(s);
	s = sshbuf_dtob16(b);
	is_str(s, "616e79206361726e616c20706c656173", "hex");
	free(s);
	sshbuf_free(b);
	sshbuf_free(d);
}

/* Found by fuzz-agent: a zero-length append to a buffer never written. */
static void
test_empty_append(void)
{
	struct sshbuf *b = sshbuf_new();
	static uint8_t x;
	uint8_t *p = &x;

	ok(sshbuf_put(b, "", 0) == 0 && sshbuf_len(b) == 0,
	    "zero-length put on a fresh buffer");
	ok(sshbuf_reserve(b, 0, &p) == 0 && p == NULL,
	    "zero-length reserve on a fresh buffer points nowhere");
	sshbuf_free(b);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_roundtrip();
	test_bignum();
	test_limits();
	test_random();
	test_base64();
	test_empty_append();
	return tap_done();
}
