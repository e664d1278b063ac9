/*
 * libFuzzer harness for private keys in the agent-protocol / openssh-key-v1
 * form (key_private_deserialize), plain and certified: what parses is
 * written back byte for byte (sk keys: their reserved field comes back
 * empty), copies equal the original, and a key that can sign makes
 * signatures its public key verifies.
 * Seeds: tests/fuzz/corpus/keypriv, the ADD_IDENTITY requests stock ssh-add
 * sends for ssh-keygen's keys and certificates (tests/fuzz/make-seeds.sh);
 * bytes after the key (comment, constraints) are ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "key.h"

static void
sign_verify(const struct key *k, const char *alg)
{
	static const uint8_t data[] = "fuzz";
	struct sshbuf *sig;

	CHECK((sig = sshbuf_new()) != NULL);
	CHECK(key_sign(k, data, sizeof(data), alg, sig) == 0);
	CHECK(key_verify(k, sshbuf_ptr(sig), sshbuf_len(sig), data,
	    sizeof(data), alg) == 0);
	sshbuf_free(sig);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct key *k = NULL, *k2 = NULL, *k3 = NULL;
	struct sshbuf *b, *out, *out2;
	size_t used;

	CHECK((b = sshbuf_from(d, n)) != NULL);
	if (key_private_deserialize(b, &k) != 0) {
		CHECK(k == NULL);
		sshbuf_free(b);
		return 0;
	}
	used = n - sshbuf_len(b);
	sshbuf_free(b);
	CHECK(key_has_private(k));
	CHECK((out = sshbuf_new()) != NULL && (out2 = sshbuf_new()) != NULL);
	CHECK(key_private_serialize(k, out) == 0);
	if (!key_is_sk(k))
		CHECK(sshbuf_len(out) == used &&
		    memcmp(sshbuf_ptr(out), d, used) == 0);
	CHECK(key_private_deserialize(out, &k2) == 0 && sshbuf_len(out) == 0);
	CHECK(key_equal(k, k2) && key_has_private(k2));
	sshbuf_reset(out);
	CHECK(key_private_serialize(k, out) == 0);
	CHECK(key_private_serialize(k2, out2) == 0 && sshbuf_equals(out, out2));
	key_free(k2);
	CHECK(key_dup(k, &k2) == 0 && key_equal(k, k2) && key_has_private(k2));
	CHECK(key_public_copy(k, &k3) == 0 && key_equal(k, k3) &&
	    !key_has_private(k3));
	if (key_type(k) == KEY_RSA) {
		sign_verify(k2, "rsa-sha2-256");
		sign_verify(k2, "rsa-sha2-512");
	} else if (!key_is_sk(k))
		sign_verify(k2, NULL);
	sshbuf_free(out);
	sshbuf_free(out2);
	key_free(k);
	key_free(k2);
	key_free(k3);
	return 0;
}
