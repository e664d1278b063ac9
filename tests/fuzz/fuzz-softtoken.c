/*
 * libFuzzer harness for the softtoken's two parsers, without a socket.
 * First byte: bit 0 set = one CTAP2 message to ctap2_handle() (bit 1: the
 * touch is given, else cancelled); clear = the rest as 64-byte CTAPHID
 * reports to hid_input() from two connections, the clock advancing.
 *
 * Built by the Makefile (make fuzzers); run with make fuzz.
 *
 * Seeds: real libfido2 requests are what test-softtoken sends.
 */
#include <stdlib.h>

#include <sodium.h>

#include "st.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct token tok;
static struct hid *hid;
static uint64_t clock_ms = 1000;

static void
drop(void *ctx, int conn, const uint8_t frame[64])
{
	(void)ctx;
	(void)conn;
	(void)frame;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static uint8_t out[ST_MAXMSG];
	static int ready;
	char err[256];
	size_t outlen = 0, i, l;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		st_quiet = 1;
		if (token_init(&tok, NULL, "1234", 0, err, sizeof(err)) != 0 ||
		    (hid = hid_new(&tok, drop, NULL, TOUCH_DELAY, 50)) == NULL)
			abort();
		ready = 1;
	}
	if (n < 1)
		return 0;
	if (d[0] & 1) {
		hid_conn_closed(hid, 0);
		hid_conn_closed(hid, 1);
		if (ctap2_handle(&tok, 7, d + 1, n - 1, out, &outlen) ==
		    ST_PENDING)
			ctap2_complete(&tok, (d[0] & 2) ? TOUCH_OK : TOUCH_CANCEL,
			    out, &outlen);
		if (outlen < 1 || outlen > ST_MAXMSG)
			abort();
		return 0;
	}
	for (i = 1; i < n; i += 64) {
		l = n - i < 64 ? n - i : 64;
		hid_input(hid, d[i] & 1, d + i, l, clock_ms);
		clock_ms += d[i] & 0x3f;
		hid_tick(hid, clock_ms);
	}
	return 0;
}
