/*
 * libFuzzer harness for the agent client's reply parsers: the
 * REQUEST_IDENTITIES answer (agent_parse_identities) and the key-info
 * extension's data (agent_parse_key_info), on the same bytes.  What parses
 * is built again and must be the bytes read (trailing bytes are allowed
 * after an identities answer, as OpenSSH's client allows them).
 * Seeds: tests/fuzz/corpus/agentclient, answers of stock ssh-agent and of
 * skagent holding ssh-keygen's keys and certificates
 * (tests/fuzz/make-seeds.sh).
 */
#include <stdlib.h>
#include <string.h>

#include "agent-client.h"
#include "fuzz.h"

/* u32 n, then each key's fields, as the agent sends them */
static struct sshbuf *
rebuild(const struct agent_keylist *l, int with_info)
{
	struct sshbuf *b;
	size_t i;

	CHECK((b = sshbuf_new()) != NULL);
	CHECK(sshbuf_put_u32(b, (uint32_t)l->n) == 0);
	for (i = 0; i < l->n; i++) {
		CHECK(l->keys[i].blob != NULL && l->keys[i].bloblen > 0);
		CHECK(agent_keylist_find(l, l->keys[i].blob,
		    l->keys[i].bloblen) != NULL);
		CHECK(sshbuf_put_string(b, l->keys[i].blob,
		    l->keys[i].bloblen) == 0);
		CHECK(sshbuf_put_cstring(b, l->keys[i].comment) == 0);
		if (with_info) {
			CHECK(sshbuf_put_u8(b, l->keys[i].sk_flags) == 0);
			CHECK(sshbuf_put_cstring(b, l->keys[i].application) == 0);
		} else
			CHECK(l->keys[i].application == NULL &&
			    l->keys[i].sk_flags == 0);
	}
	return b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct agent_keylist *l = NULL;
	struct sshbuf *b;

	if (agent_parse_identities(d, n, &l) == 0) {
		CHECK(l != NULL && l->n <= AGENT_CLIENT_MAX_KEYS);
		b = rebuild(l, 0);
		CHECK(n >= 1 + sshbuf_len(b) && d[0] == SSH2_AGENT_IDENTITIES_ANSWER &&
		    memcmp(d + 1, sshbuf_ptr(b), sshbuf_len(b)) == 0);
		sshbuf_free(b);
		agent_keylist_free(l);
	} else
		CHECK(l == NULL);
	l = NULL;
	if (agent_parse_key_info(d, n, &l) == 0) {
		CHECK(l != NULL && l->n <= AGENT_CLIENT_MAX_KEYS);
		b = rebuild(l, 1);
		CHECK(sshbuf_len(b) == n && memcmp(sshbuf_ptr(b), d, n) == 0);
		sshbuf_free(b);
		agent_keylist_free(l);
	} else
		CHECK(l == NULL);
	return 0;
}
