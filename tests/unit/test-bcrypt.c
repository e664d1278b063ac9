/*
 * Blowfish against the classic known-answer vectors (which checks every
 * digit of pi in the initial state through the key schedule), then
 * bcrypt_pbkdf against OpenBSD's vectors and its argument checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bcrypt-pbkdf.h"
#include "blowfish.h"
#include "sshbuf.h"
#include "tap.h"

static size_t
unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (sodium_hex2bin(out, max, h, strlen(h), NULL, &n, NULL) != 0)
		abort();
	return n;
}

static void
test_blowfish(void)
{
	static const struct {
		const char *key, *pt, *ct;
	} v[] = {
		{ "0000000000000000", "0000000000000000", "4ef997456198dd78" },
		{ "ffffffffffffffff", "ffffffffffffffff", "51866fd5b85ecb8a" },
		{ "3000000000000000", "1000000000000001", "7d856f9a613063f2" },
		{ "1111111111111111", "1111111111111111", "2466dd878b963c9d" },
		{ "0123456789abcdef", "1111111111111111", "61f9c3802281b096" },
		{ "fedcba9876543210", "0123456789abcdef", "0aceab0fc6a0a28d" },
	};
	struct blf_ctx c;
	uint8_t key[8], pt[8], ct[8];
	uint32_t d[2];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unhex(v[i].key, key, sizeof(key));
		unhex(v[i].pt, pt, sizeof(pt));
		unhex(v[i].ct, ct, sizeof(ct));
		blf_key(&c, key, sizeof(key));
		d[0] = peek_u32(pt);
		d[1] = peek_u32(pt + 4);
		blf_enc(&c, d, 1);
		ok(d[0] == peek_u32(ct) && d[1] == peek_u32(ct + 4),
		    "blowfish key %s plaintext %s", v[i].key, v[i].pt);
	}
	blf_initstate(&c);
	ok(c.P[0] == 0x243f6a88 && c.P[17] == 0x8979fb1b &&
	    c.S[0][0] == 0xd1310ba6 && c.S[3][255] == 0x3ac372e6,
	    "initial state: pi");
}

static void
test_pbkdf(void)
{
	static const char lorem[] =
	    "Lorem ipsum dolor sit amet, consectetur adipisicing elit, "
	    "sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. "
	    "Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris "
	    "nisi ut aliquip ex ea commodo consequat. "
	    "Duis aute irure dolor in reprehenderit in voluptate velit esse cillum "
	    "dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non "
	    "proident, sunt in culpa qui officia deserunt mollit anim id est laborum.";
	/* OpenBSD's vectors (also in Go's and RustCrypto's bcrypt_pbkdf) */
	static const struct {
		const char *pass;
		size_t passlen;
		const char *salt;
		size_t saltlen;
		unsigned int rounds;
		const char *out;
	} v[] = {
		{ "password", 8, "salt", 4, 4,
		  "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9" },
		{ "password", 8, "\0", 1, 4, "c12b566235eee04c212598970a579a67" },
		{ "\0", 1, "salt", 4, 4, "6051be18c2f4f82cbf0efee5471b4bb9" },
		{ "password\0", 9, "salt\0", 5, 4,
		  "7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050" },
		{ "pass\0wor", 8, "sa\0l", 4, 4, "c2bffd9db38f6569efef4372f4de83c0" },
		{ "pass\0word", 9, "sa\0lt", 5, 4, "4ba4ac3925c0e8d7f0cdb6bb1684a56f" },
		{ "password", 8, "salt", 4, 8,
		  "e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec7"
		  "6227ea66088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d" },
		{ "password", 8, "salt", 4, 42, "833cf0dcf56db65608e8f0dc0ce882bd" },
		{ lorem, sizeof(lorem) - 1, "salis\0", 6, 8,
		  "10978b07253df57f71a162eb0e8ad30a" },
	};
	uint8_t want[128], got[128], salt[16] = { 0 };
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = unhex(v[i].out, want, sizeof(want));
		memset(got, 0xee, sizeof(got));
		ok(bcrypt_pbkdf(v[i].pass, v[i].passlen,
		    (const uint8_t *)v[i].salt, v[i].saltlen, got, n,
		    v[i].rounds) == 0 &&
		    memcmp(got, want, n) == 0 && got[n] == 0xee,
		    "vector %zu: %zu bytes, %u rounds", i + 1, n, v[i].rounds);
	}
	is_int(bcrypt_pbkdf("", 0, salt, 16, got, 48, 16),
	    SKA_ERR_INVALID_ARGUMENT, "empty passphrase refused");
	is_int(bcrypt_pbkdf("x", 1, salt, 0, got, 48, 16),
	    SKA_ERR_INVALID_ARGUMENT, "empty salt refused");
	is_int(bcrypt_pbkdf("x", 1, salt, 16, got, 48, 0),
	    SKA_ERR_INVALID_ARGUMENT, "zero rounds refused");
	is_int(bcrypt_pbkdf("x", 1, salt, 16, got, 0, 16),
	    SKA_ERR_INVALID_ARGUMENT, "empty key refused");
	is_int(bcrypt_pbkdf("x", 1, salt, 16, got, BCRYPT_PBKDF_MAX_KEY + 1, 16),
	    SKA_ERR_INVALID_ARGUMENT, "key above 1024 bytes refused");
}

int
main(void)
{
	test_blowfish();
	test_pbkdf();
	return tap_done();
}
