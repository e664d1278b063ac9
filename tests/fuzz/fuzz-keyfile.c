/*
 * libFuzzer harness for openssh-key-v1 private key files
 * (keyfile_parse_public, keyfile_parse_private): unencrypted, and
 * encrypted with the passphrase "secret" when the file asks for at most
 * FUZZ_MAX_ROUNDS bcrypt rounds (more only makes each run slower; the
 * library's own cap, KEYFILE_MAX_ROUNDS, is tested in test-keyfile).  What
 * reads is written again with the same cipher, salt, rounds and check
 * integer; that reads as the same key, comment and parameters, and writing
 * it once more gives the same bytes.
 * Seeds: tests/fuzz/corpus/keyfile, files from stock ssh-keygen, plain and
 * encrypted with each cipher (tests/fuzz/make-seeds.sh).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "keyfile.h"

#define FUZZ_MAX_ROUNDS	2
#define PASS		"secret"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct keyfile_params p, p2;
	struct key *pub = NULL, *k = NULL, *k2 = NULL;
	struct sshbuf *out = NULL, *out2 = NULL;
	char *comment = NULL, *comment2 = NULL;
	const char *pass = NULL;
	int r;

	if (keyfile_parse_public(d, n, &pub, &p) != 0) {
		CHECK(pub == NULL);
		CHECK(keyfile_parse_private(d, n, PASS, &k, NULL, NULL) != 0);
		return 0;
	}
	if (strcmp(p.kdf, "bcrypt") == 0) {
		if (p.rounds > FUZZ_MAX_ROUNDS)
			goto out;
		pass = PASS;
	}
	r = keyfile_parse_private(d, n, pass, &k, &comment, &p);
	if (r != 0) {
		CHECK(k == NULL && comment == NULL);
		goto out;
	}
	CHECK(key_equal(k, pub) && key_has_private(k));
	CHECK((out = sshbuf_new()) != NULL && (out2 = sshbuf_new()) != NULL);
	p.fixed = 1;
	CHECK(keyfile_serialize_private_params(k, comment, pass, &p, out) == 0);
	CHECK(keyfile_parse_private(sshbuf_ptr(out), sshbuf_len(out), pass, &k2,
	    &comment2, &p2) == 0);
	CHECK(key_equal(k, k2) && strcmp(comment, comment2) == 0);
	CHECK(strcmp(p.cipher, p2.cipher) == 0 && strcmp(p.kdf, p2.kdf) == 0 &&
	    p.rounds == p2.rounds && p.saltlen == p2.saltlen &&
	    memcmp(p.salt, p2.salt, p.saltlen) == 0 && p.checkint == p2.checkint);
	p2.fixed = 1;
	CHECK(keyfile_serialize_private_params(k2, comment2, pass, &p2,
	    out2) == 0 && sshbuf_equals(out, out2));
 out:
	free(comment);
	free(comment2);
	sshbuf_free(out);
	sshbuf_free(out2);
	key_free(pub);
	key_free(k);
	key_free(k2);
	return 0;
}
