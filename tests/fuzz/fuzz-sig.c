/*
 * libFuzzer harness for signature verification (key_verify, every key
 * type, sk included): the input is an SSHSIG blob as ssh-keygen -Y sign
 * writes it (armour removed): "SSHSIG", u32 version, string public key,
 * string namespace, string reserved, string hash algorithm, string
 * signature, over the message "signed message\n".  A signature that
 * verifies must stop verifying when one byte of the signed data changes,
 * and must verify as its own algorithm only.
 * Seeds: tests/fuzz/corpus/sig, stock ssh-keygen -Y sign of each key type
 * (sk ones through skagent and the software token; tests/fuzz/make-seeds.sh).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fuzz.h"
#include "key.h"

static const char message[] = "signed message\n";

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sshbuf *b = NULL, *sd = NULL;
	struct key *k = NULL;
	const uint8_t *pub, *ns, *res, *halg, *sig, *alg;
	size_t publen, nslen, reslen, halglen, siglen, alglen;
	uint8_t h[EVP_MAX_MD_SIZE], *m, flags;
	unsigned int hlen;
	uint32_t ver, counter;
	char *salg = NULL;
	int r;

	CHECK((b = sshbuf_from(d, n)) != NULL && (sd = sshbuf_new()) != NULL);
	if (n < 6 || memcmp(d, "SSHSIG", 6) != 0 || sshbuf_consume(b, 6) != 0 ||
	    sshbuf_get_u32(b, &ver) != 0 ||
	    sshbuf_get_string_direct(b, &pub, &publen) != 0 ||
	    sshbuf_get_string_direct(b, &ns, &nslen) != 0 ||
	    sshbuf_get_string_direct(b, &res, &reslen) != 0 ||
	    sshbuf_get_string_direct(b, &halg, &halglen) != 0 ||
	    sshbuf_get_string_direct(b, &sig, &siglen) != 0 ||
	    key_from_blob(pub, publen, &k) != 0)
		goto out;
	/* the hash ssh-keygen names; anything else: sha512 anyway */
	CHECK(EVP_Digest(message, sizeof(message) - 1, h, &hlen,
	    halglen == 6 && memcmp(halg, "sha256", 6) == 0 ? EVP_sha256() :
	    EVP_sha512(), NULL) == 1);
	CHECK(sshbuf_put(sd, "SSHSIG", 6) == 0 &&
	    sshbuf_put_string(sd, ns, nslen) == 0 &&
	    sshbuf_put_string(sd, res, reslen) == 0 &&
	    sshbuf_put_string(sd, halg, halglen) == 0 &&
	    sshbuf_put_string(sd, h, hlen) == 0);
	r = key_verify(k, sig, siglen, sshbuf_ptr(sd), sshbuf_len(sd), NULL);
	if (key_is_sk(k))
		(void)key_sk_signature_parse(sig, siglen, &flags, &counter);
	if (r != 0)
		goto out;
	/* it verifies: as its own algorithm, and for these bytes only */
	sshbuf_free(b);
	CHECK((b = sshbuf_from(sig, siglen)) != NULL);
	CHECK(sshbuf_get_string_direct(b, &alg, &alglen) == 0);
	CHECK((salg = strndup((const char *)alg, alglen)) != NULL);
	CHECK(key_verify(k, sig, siglen, sshbuf_ptr(sd), sshbuf_len(sd),
	    salg) == 0);
	CHECK(key_verify(k, sig, siglen, sshbuf_ptr(sd), sshbuf_len(sd),
	    "ssh-none") != 0);
	m = sshbuf_mutable_ptr(sd);
	m[sshbuf_len(sd) - 1] ^= 0x01;
	CHECK(key_verify(k, sig, siglen, m, sshbuf_len(sd), NULL) ==
	    SKA_ERR_SIGNATURE_INVALID);
 out:
	free(salg);
	sshbuf_free(b);
	sshbuf_free(sd);
	key_free(k);
	return 0;
}
