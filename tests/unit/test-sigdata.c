/* lib/sigdata.c: userauth requests and SSHSIG blobs as an agent reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-proto.h"
#include "key.h"
#include "sigdata.h"
#include "sshbuf.h"
#include "tap.h"

#define DATA "tests/unit/data/"

static struct key *
load_pub(const char *file)
{
	char path[256], *line;
	size_t len;
	struct key *k = NULL;

	snprintf(path, sizeof(path), DATA "%s", file);
	line = (char *)tap_read_file(path, &len);
	line[strcspn(line, "\r\n")] = '\0';
	if (key_from_public_line(line, &k, NULL) != 0)
		tap_diag("%s: cannot load", file);
	free(line);
	return k;
}

/* A userauth request as ssh makes it; hostkey NULL: plain "publickey". */
static struct sshbuf *
userauth(const char *user, const char *service, const char *alg,
    const struct key *k, const struct key *hostkey, int trailing)
{
	struct sshbuf *b = sshbuf_new();
	const uint8_t *blob;
	size_t len;
	int r = 0;

	r |= sshbuf_put_string(b, "session-id-0123456789", 21);
	r |= sshbuf_put_u8(b, SSH2_MSG_USERAUTH_REQUEST);
	r |= sshbuf_put_cstring(b, user);
	r |= sshbuf_put_cstring(b, service);
	r |= sshbuf_put_cstring(b, hostkey != NULL ?
	    "publickey-hostbound-v00@openssh.com" : "publickey");
	r |= sshbuf_put_u8(b, 1);
	r |= sshbuf_put_cstring(b, alg);
	blob = key_blob(k, &len);
	r |= sshbuf_put_string(b, blob, len);
	if (hostkey != NULL) {
		blob = key_blob(hostkey, &len);
		r |= sshbuf_put_string(b, blob, len);
	}
	if (trailing)
		r |= sshbuf_put_u8(b, 0);
	if (r != 0)
		tap_diag("building a request failed");
	return b;
}

static void
test_userauth(void)
{
	struct key *ed = load_pub("ed25519.pub"), *ec = load_pub("ecdsa256.pub");
	struct key *rsa = load_pub("rsa2048.pub");
	struct sigdata_userauth ua;
	struct sshbuf *b;
	const uint8_t *hk;
	size_t hklen;
	char *text = NULL;

	b = userauth("alice", "ssh-connection", "ssh-ed25519", ed, NULL, 0);
	ok(sigdata_userauth_parse(sshbuf_ptr(b), sshbuf_len(b), ed, &ua) == 0,
	    "publickey request for the key parses");
	is_str(ua.user, "alice", "its user");
	ok(ua.sidlen == 21 && memcmp(ua.sid, "session-id-0123456789", 21) == 0,
	    "its session id");
	ok(ua.hostkey == NULL, "no host key");
	sigdata_userauth_clear(&ua);
	ok(sigdata_userauth_parse(sshbuf_ptr(b), sshbuf_len(b), ec, &ua) != 0,
	    "refused for another key");
	ok(sigdata_userauth_parse(sshbuf_ptr(b), sshbuf_len(b), NULL, &ua) == 0,
	    "parses for any key");
	sigdata_userauth_clear(&ua);
	is_str(sigdata_describe(sshbuf_ptr(b), sshbuf_len(b), &text), "login",
	    "described as a login");
	is_str(text, "alice", "of alice");
	free(text);
	ok(sigdata_userauth_parse(sshbuf_ptr(b), sshbuf_len(b) - 1, NULL,
	    &ua) != 0, "a truncated request is refused");
	sshbuf_free(b);

	b = userauth("bob", "ssh-connection", "ssh-ed25519", ed, ec, 0);
	ok(sigdata_userauth_parse(sshbuf_ptr(b), sshbuf_len(b), ed, &ua) == 0,
	    "host-bound request parses");
	hk = key_blob(ec, &hklen);
	ok(ua.hostkey != NULL && ua.hostkeylen == hklen &&
	    memcmp(ua.hostkey, hk, hklen) == 0, "with its host key");
	sigdata_userauth_clear(&ua);
	sshbuf_free(b);

	b = userauth("bob", "ssh-connection", "ssh-ed25519", ed, NULL, 1);
	ok(sigdata_userauth_parse(sshbuf_ptr(b), sshbuf_len(b), NULL, &ua) != 0,
	    "trailing bytes are refused");
	ok(sigdata_describe(sshbuf_ptr(b), sshbuf_len(b), &text) == NULL &&
	    text == NULL, "and not described");
	sshbuf_free(b);

	b = userauth("bob", "ssh-userauth", "ssh-ed25519", ed, NULL, 0);
	ok(sigdata_userauth_parse(sshbuf_ptr(b), sshbuf_len(b), NULL, &ua) != 0,
	    "another service is refused");
	sshbuf_free(b);

	b = userauth("bob", "ssh-connection", "ecdsa-sha2-nistp256", ed, NULL, 0);
	ok(sigdata_userauth_parse(sshbuf_ptr(b), sshbuf_len(b), ed, &ua) != 0,
	    "an algorithm of another key type is refused");
	sshbuf_free(b);

	b = userauth("bob", "ssh-connection", "rsa-sha2-512", rsa, NULL, 0);
	ok(sigdata_userauth_parse(sshbuf_ptr(b), sshbuf_len(b), rsa, &ua) == 0,
	    "rsa-sha2-512 for an RSA key");
	sigdata_userauth_clear(&ua);
	sshbuf_free(b);
	key_free(ed);
	key_free(ec);
	key_free(rsa);
}

static void
test_sshsig(void)
{
	struct sshbuf *b = sshbuf_new(), *u;
	struct sigdata_userauth ua;
	char *ns = NULL;
	int r = 0;

	r |= sshbuf_put(b, "SSHSIG", 6);
	r |= sshbuf_put_cstring(b, "git");
	r |= sshbuf_put_string(b, NULL, 0);
	r |= sshbuf_put_cstring(b, "sha512");
	r |= sshbuf_put_string(b, "0123456789abcdef", 16);
	ok(r == 0, "SSHSIG blob built");
	ok(sigdata_sshsig_parse(sshbuf_ptr(b), sshbuf_len(b), &ns) == 0,
	    "SSHSIG parses");
	is_str(ns, "git", "its namespace");
	free(ns);
	is_str(sigdata_describe(sshbuf_ptr(b), sshbuf_len(b), &ns), "sshsig",
	    "described as sshsig");
	is_str(ns, "git", "in namespace git");
	free(ns);
	ok(sigdata_userauth_parse(sshbuf_ptr(b), sshbuf_len(b), NULL, &ua) != 0,
	    "not a userauth request");
	ok(sigdata_sshsig_parse(sshbuf_ptr(b), sshbuf_len(b) - 1, NULL) != 0,
	    "truncated SSHSIG refused");
	u = sshbuf_new();
	ok(sshbuf_put(u, "SSHSIF", 6) == 0 && sshbuf_put(u, sshbuf_ptr(b) + 6,
	    sshbuf_len(b) - 6) == 0 &&
	    sigdata_sshsig_parse(sshbuf_ptr(u), sshbuf_len(u), NULL) != 0,
	    "another magic refused");
	ok(sigdata_describe(NULL, 0, &ns) == NULL && ns == NULL,
	    "no data: nothing described");
	sshbuf_free(u);
	sshbuf_free(b);
}

/* Random bytes: never a crash, never described as something. */
static void
test_random(void)
{
	uint8_t buf[128];
	struct sigdata_userauth ua;
	char *text;
	size_t i, j, n;
	int bad = 0;

	srandom(7);
	for (i = 0; i < 5000; i++) {
		n = (size_t)random() % sizeof(buf);
		for (j = 0; j < n; j++)
			buf[j] = (uint8_t)random();
		if (sigdata_userauth_parse(buf, n, NULL, &ua) == 0) {
			sigdata_userauth_clear(&ua);
			bad = 1;
		}
		if (sigdata_describe(buf, n, &text) != NULL) {
			free(text);
			bad = 1;
		}
	}
	ok(!bad, "random bytes are neither request");
}

int
main(void)
{
	test_userauth();
	test_sshsig();
	test_random();
	return tap_done();
}
