/*
 * libFuzzer harness for the skagent <-> skagent-sk-helper messages
 * (lib/skhelper-msg.c): each input is parsed as a request and as a reply;
 * whatever a parser accepts must write back byte for byte, and a reply
 * goes on through skhelper_sign_result for a fixed sk key.  Seeds:
 * tests/fuzz/corpus/skhelper, frames from tests/e2e/33-sk-helper.t.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "secmem.h"
#include "skhelper-msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct key *edkey;

static void
check_same(const struct sshbuf *b, const uint8_t *p, size_t len)
{
	if (sshbuf_len(b) != len || memcmp(sshbuf_ptr(b), p, len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	struct skhelper_sign_req *req = NULL;
	struct skhelper_sign_reply *rep = NULL;
	struct sshbuf *b, *sig;
	uint8_t pk[32];
	uint32_t st;

	if (edkey == NULL) {
		memset(pk, 0x42, sizeof(pk));
		if (secmem_init(0) != 0 || key_sk_new(KEY_ED25519_SK, pk,
		    sizeof(pk), "ssh:", 1, pk, 8, &edkey) != 0)
			abort();
	}
	if ((b = sshbuf_new()) == NULL || (sig = sshbuf_new()) == NULL)
		abort();
	if (skhelper_get_sign_req(p, len, &req) == 0) {
		if (skhelper_put_sign_req(req, b) != 0)
			abort();
		check_same(b, p, len);
	}
	sshbuf_reset(b);
	if (skhelper_get_sign_reply(p, len, &rep) == 0) {
		if (skhelper_put_sign_reply(rep, b) != 0)
			abort();
		check_same(b, p, len);
	}
	if (skhelper_sign_result(edkey, p, len, p, len, sig, &st) == 0)
		abort();	/* no forged signature verifies */
	skhelper_sign_req_free(req);
	skhelper_sign_reply_free(rep);
	sshbuf_free(b);
	sshbuf_free(sig);
	return 0;
}
