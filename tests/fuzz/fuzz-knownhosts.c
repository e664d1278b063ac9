/*
 * libFuzzer harness for known_hosts text as the agent reads it to confirm
 * a destination (knownhosts_check_buf, knownhosts_match_hosts): any bytes
 * are safe and give a result in range; a name of plain characters written
 * before a key is found for that name and key, plain or hashed; the input
 * as a pattern list ends quickly whatever its stars.
 * Seeds: tests/fuzz/corpus/knownhosts, lines in the forms stock ssh writes
 * and ssh-keygen -H hashes (plain, [host]:port, lists with wildcards and
 * negation, hashed, @cert-authority, @revoked).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "key.h"
#include "knownhosts.h"
#include "sshbuf.h"

#define HOST_PUB "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA6iByqbESWxtkvqCqwR7+Hv3mOtd6hUmSTYMqS4fXpy"

static struct key *hostkey;

/* A name ssh would write as is: letters, digits, '.', '-'. */
static int
plain_name(const uint8_t *d, size_t n)
{
	size_t i;

	if (n == 0 || n > 200)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum(d[i]) && d[i] != '.' && d[i] != '-')
			return 0;
	return 1;
}

/* "|1|salt|hmac" of name, as ssh-keygen -H writes it. */
static char *
hashed(const char *name)
{
	static const uint8_t salt[20] = "fuzzing salt 0123456";
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mlen = 0;
	struct sshbuf *a = sshbuf_new(), *b = sshbuf_new();
	char *s1 = NULL, *s2 = NULL, *out = NULL;

	CHECK(a != NULL && b != NULL);
	CHECK(HMAC(EVP_sha1(), salt, sizeof(salt), (const uint8_t *)name,
	    strlen(name), mac, &mlen) != NULL && mlen == 20);
	CHECK(sshbuf_put(a, salt, sizeof(salt)) == 0 &&
	    sshbuf_put(b, mac, mlen) == 0);
	CHECK((s1 = sshbuf_dtob64_string(a, 0)) != NULL &&
	    (s2 = sshbuf_dtob64_string(b, 0)) != NULL);
	CHECK(asprintf(&out, "|1|%s|%s", s1, s2) > 0);
	free(s1);
	free(s2);
	sshbuf_free(a);
	sshbuf_free(b);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	enum knownhosts_result r = KNOWNHOSTS_NONE;
	char *s, *name, *line = NULL, *h;
	int port = n > 0 ? d[0] * 100 : 22;

	if (hostkey == NULL)
		CHECK(key_from_public_line(HOST_PUB, &hostkey, NULL) == 0);
	knownhosts_check_buf((const char *)d, n, "build.example.com", port,
	    hostkey, 1800000000ULL, &r);
	CHECK(r >= KNOWNHOSTS_NONE && r <= KNOWNHOSTS_REVOKED);
	CHECK((s = malloc(n + 1)) != NULL);
	memcpy(s, d, n);
	s[n] = '\0';
	(void)knownhosts_match_hosts(s, strlen(s), "build.example.com");
	(void)knownhosts_match_hosts("*a*b*c*d*e*f*g*h*i*j*k*l*m*n*o*p", 32, s);
	if (plain_name(d, n)) {
		CHECK((name = knownhosts_name(s, port)) != NULL);
		CHECK(asprintf(&line, "%s %s\n", name, HOST_PUB) > 0);
		r = KNOWNHOSTS_NONE;
		knownhosts_check_buf(line, strlen(line), s, port, hostkey, 0, &r);
		CHECK(r == KNOWNHOSTS_FOUND);
		free(line);
		h = hashed(name);
		CHECK(asprintf(&line, "%s %s\n", h, HOST_PUB) > 0);
		r = KNOWNHOSTS_NONE;
		knownhosts_check_buf(line, strlen(line), s, port, hostkey, 0, &r);
		CHECK(r == KNOWNHOSTS_FOUND);
		free(h);
		free(line);
		free(name);
	}
	free(s);
	return 0;
}
