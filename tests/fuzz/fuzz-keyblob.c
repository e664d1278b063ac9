/*
 * libFuzzer harness for public key and certificate blobs (key_from_blob):
 * what parses is written back the same (a plain key field by field, a
 * certificate's key through its plain blob), survives the public line
 * round trip, and answers every accessor.
 * Seeds: tests/fuzz/corpus/keyblob, the blobs of stock ssh-keygen's .pub
 * files and certificates (tests/fuzz/make-seeds.sh).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "key.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct key *k = NULL, *k2 = NULL, *k3 = NULL;
	struct sshbuf *b;
	char *line = NULL, *comment = NULL, *fp;
	const uint8_t *blob;
	size_t len, i;

	if (key_from_blob(d, n, &k) != 0) {
		CHECK(k == NULL);
		return 0;
	}
	blob = key_blob(k, &len);
	CHECK(len == n && memcmp(blob, d, n) == 0);
	CHECK(!key_has_private(k));
	CHECK((b = sshbuf_new()) != NULL);
	CHECK(key_plain_blob(k, b) == 0);
	if (!key_is_cert(k)) {
		/* every field written back as it was read: canonical input */
		CHECK(sshbuf_len(b) == n && memcmp(sshbuf_ptr(b), d, n) == 0);
	} else {
		CHECK(key_from_blob(sshbuf_ptr(b), sshbuf_len(b), &k2) == 0);
		CHECK(!key_is_cert(k2) && key_equal_public(k, k2));
		CHECK(key_drop_cert(k, &k3) == 0 && key_equal(k2, k3));
		CHECK(key_cert_signature_key(k) != NULL);
		CHECK(key_cert_type(k) == KEY_CERT_USER ||
		    key_cert_type(k) == KEY_CERT_HOST);
		for (i = 0; i < key_cert_nprincipals(k); i++)
			CHECK(key_cert_principal(k, i) != NULL);
		CHECK(key_cert_key_id(k) != NULL);
		(void)key_cert_valid_at(k, 1700000000);
		key_free(k2);
		key_free(k3);
		k2 = k3 = NULL;
	}
	sshbuf_free(b);
	CHECK(key_to_public_line(k, "fuzz", &line) == 0);
	CHECK(key_from_public_line(line, &k2, &comment) == 0);
	CHECK(key_equal(k, k2) && strcmp(comment, "fuzz") == 0);
	CHECK(key_public_copy(k, &k3) == 0 && key_equal(k, k3));
	CHECK(key_type_name_valid(key_type_name(k)));
	CHECK(key_bits(k) > 0);
	if (key_is_sk(k))
		CHECK(key_sk_application(k) != NULL);
	CHECK((fp = key_fingerprint(k, KEY_FP_SHA256)) != NULL);
	free(fp);
	CHECK((fp = key_fingerprint(k, KEY_FP_MD5)) != NULL);
	free(fp);
	free(line);
	free(comment);
	key_free(k);
	key_free(k2);
	key_free(k3);
	return 0;
}
