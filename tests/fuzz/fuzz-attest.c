/*
 * libFuzzer harness for enrollment attestations (lib/attest.c): the input
 * is string public key blob, string challenge, then an ssh-sk-attest-v01
 * attestation.  Whatever parses is verified against that key and
 * challenge; what verifies must stop verifying with another challenge.
 * Seeds: tests/fuzz/corpus/attest, attestations agent-keygen wrote on the
 * software token, self and full (x5c), with their keys and challenges
 * (tests/fuzz/attest-seeds.sh).
 */
#include <string.h>

#include "attest.h"
#include "fuzz.h"
#include "key.h"
#include "sshbuf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sshbuf *b = NULL;
	struct key *k = NULL;
	struct attest *a = NULL;
	struct attest_info info;
	const uint8_t *pub, *chal;
	size_t publen, clen;
	char why[256];
	int r;

	CHECK((b = sshbuf_from(d, n)) != NULL);
	if (sshbuf_get_string_direct(b, &pub, &publen) != 0 ||
	    sshbuf_get_string_direct(b, &chal, &clen) != 0)
		goto out;
	why[0] = '\0';
	if (attest_parse(sshbuf_ptr(b), sshbuf_len(b), &a, why,
	    sizeof(why)) != 0) {
		CHECK(a == NULL && why[0] != '\0');
		goto out;
	}
	if (key_from_blob(pub, publen, &k) != 0)
		goto out;
	why[0] = '\0';
	r = attest_verify(a, k, chal, clen, NULL, &info, why, sizeof(why));
	CHECK(r == 0 || why[0] != '\0');
	CHECK(memchr(info.subject, '\0', sizeof(info.subject)) != NULL);
	if (r == 0)
		CHECK(attest_verify(a, k, (const uint8_t *)"x", 1, NULL,
		    &info, why, sizeof(why)) == SKA_ERR_SIGNATURE_INVALID);
 out:
	attest_free(a);
	key_free(k);
	sshbuf_free(b);
	return 0;
}
