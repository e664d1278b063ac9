/*
 * libFuzzer harness for the skagent <-> skagent-pkcs11-helper messages
 * (lib/p11helper-msg.c): each input is parsed as a request and as a reply
 * body; whatever a parser accepts must write back byte for byte.  The
 * input is also taken as PKCS#11 attributes (an EC point under each
 * curve, an RSA modulus) and as a module's signature for a fixed key,
 * which must never verify.  Seeds: tests/fuzz/corpus/p11helper, the frames
 * tests/unit/test-p11helper makes (SKA_P11_SEEDS=DIR).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "p11helper-msg.h"

static struct key *edkey;

static void
check_same(const struct sshbuf *b, const uint8_t *p, size_t len)
{
	if (sshbuf_len(b) != 4 + len || memcmp(sshbuf_ptr(b) + 4, p, len) != 0)
		abort();
}

static void
roundtrip(const uint8_t *p, size_t len)
{
	struct sshbuf *in, *out;
	struct p11_msg *m = NULL;

	if ((in = sshbuf_from(p, len)) == NULL || (out = sshbuf_new()) == NULL)
		abort();
	if (p11_get_req(in, &m) == 0) {
		if ((m->type == P11_LOAD ?
		    p11_put_load_req(m->seq, m->module, m->pin, out) :
		    p11_put_sign_req(m->seq, m->key, m->mech, m->tbs, m->tbslen,
		    m->pin, out)) != 0)
			abort();
		check_same(out, p, len);
	}
	p11_msg_free(m);
	m = NULL;
	sshbuf_reset(out);
	if (p11_get_reply(in, &m) == 0) {
		if ((m->type == P11_LOAD ?
		    p11_put_load_reply(m->seq, m->status, m->keys, m->nkeys, out) :
		    p11_put_sign_reply(m->seq, m->status, m->sig, m->siglen,
		    out)) != 0)
			abort();
		check_same(out, p, len);
	}
	p11_msg_free(m);
	sshbuf_free(in);
	sshbuf_free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	    0x3d, 0x03, 0x01, 0x07 };
	static const uint8_t p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };
	static const uint8_t ed[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
	struct sshbuf *b;
	uint8_t pk[32];
	size_t half = len / 2;

	if (edkey == NULL) {
		memset(pk, 0x42, sizeof(pk));
		if ((b = sshbuf_new()) == NULL ||
		    p11_blob_ec(ed, sizeof(ed), pk, sizeof(pk), b) != 0 ||
		    key_from_blob(sshbuf_ptr(b), sshbuf_len(b), &edkey) != 0)
			abort();
		sshbuf_free(b);
	}
	roundtrip(p, len);
	if ((b = sshbuf_new()) == NULL)
		abort();
	if (len > 0) {
		(void)p11_blob_ec(p256, sizeof(p256), p, len, b);
		(void)p11_blob_ec(p521, sizeof(p521), p, len, b);
		(void)p11_blob_ec(ed, sizeof(ed), p, len, b);
		(void)p11_blob_ec(p, half == 0 ? 1 : half, p + half,
		    len - half == 0 ? 1 : len - half, b);
		if (half > 0 && len - half > 0)
			(void)p11_blob_rsa(p, half, p + half, len - half, b);
		sshbuf_reset(b);
		if (p11_sign_result(edkey, 0, p, len, p, len, b) == 0)
			abort();	/* no forged signature verifies */
	}
	sshbuf_free(b);
	return 0;
}
