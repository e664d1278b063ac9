/*
 * agent_add_identity (agent-client.h) on the wire: the request is what
 * ssh-add sends (checked by parsing it back: ADD_IDENTITY, or for a
 * security key ADD_ID_CONSTRAINED with sk-provider@openssh.com "internal"),
 * and every kind of reply an agent (or something posing as one) may give
 * is classified.  The peer is a stand-in only because no real agent sends
 * the broken replies.  The real stock ssh-agent is in tests/e2e/20-keygen.t,
 * our agent with sk keys in tests/e2e/31-sk-keygen.t.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-client.h"
#include "key.h"
#include "secmem.h"
#include "sshbuf.h"
#include "tap.h"

/*
 * A peer that reads one request, checks it holds key k and comment "c",
 * then writes reply[len] and closes.  Exits 0 if the request was right.
 */
static pid_t
peer(int fd, const struct key *k, const uint8_t *reply, size_t len)
{
	struct sshbuf *b = NULL;
	struct key *got = NULL;
	uint8_t hdr[4], type, *dp;
	char *comment = NULL, *ext = NULL;
	ssize_t n;
	size_t off;
	pid_t pid;
	int good;

	fflush(stdout);
	if ((pid = fork()) != 0)
		return pid;
	b = sshbuf_new();
	good = read(fd, hdr, 4) == 4 &&
	    sshbuf_reserve(b, peek_u32(hdr), &dp) == 0;
	for (off = 0; good && off < sshbuf_len(b); off += (size_t)n) {
		if ((n = read(fd, dp + off, sshbuf_len(b) - off)) <= 0)
			good = 0;
	}
	good = good && sshbuf_get_u8(b, &type) == 0 &&
	    type == (key_is_sk(k) ? 25 : 17) &&
	    key_private_deserialize(b, &got) == 0 && key_equal(got, k) &&
	    sshbuf_get_cstring(b, &comment, NULL) == 0 &&
	    strcmp(comment, "c") == 0;
	if (good && key_is_sk(k)) {
		free(comment);
		comment = NULL;
		good = sshbuf_get_u8(b, &type) == 0 && type == 255 &&
		    sshbuf_get_cstring(b, &comment, NULL) == 0 &&
		    strcmp(comment, "sk-provider@openssh.com") == 0 &&
		    sshbuf_get_cstring(b, &ext, NULL) == 0 &&
		    strcmp(ext, "internal") == 0;
	}
	good = good && sshbuf_len(b) == 0;
	if (len > 0 && write(fd, reply, len) != (ssize_t)len)
		good = 0;
	close(fd);
	_exit(good ? 0 : 1);
}

static int
exchange(const struct key *k, const uint8_t *reply, size_t len, int *peer_ok)
{
	int sv[2], r, status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	pid = peer(sv[1], k, reply, len);
	close(sv[1]);
	r = agent_add_identity(sv[0], k, "c");
	close(sv[0]);
	waitpid(pid, &status, 0);
	*peer_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return r;
}

int
main(void)
{
	static const struct {
		const char *what;
		uint8_t reply[9];
		size_t len;
		int want;
	} c[] = {
		{ "SUCCESS", { 0, 0, 0, 1, 6 }, 5, 0 },
		{ "FAILURE", { 0, 0, 0, 1, 5 }, 5, SKA_ERR_AGENT_FAILURE },
		{ "EXTENSION_FAILURE (28)", { 0, 0, 0, 1, 28 }, 5, SKA_ERR_AGENT_FAILURE },
		{ "failure 30", { 0, 0, 0, 1, 30 }, 5, SKA_ERR_AGENT_FAILURE },
		{ "failure 102", { 0, 0, 0, 1, 102 }, 5, SKA_ERR_AGENT_FAILURE },
		{ "an unknown reply type", { 0, 0, 0, 1, 99 }, 5, SKA_ERR_INVALID_FORMAT },
		{ "SUCCESS with a trailing byte", { 0, 0, 0, 2, 6, 0 }, 6, SKA_ERR_INVALID_FORMAT },
		{ "an empty frame", { 0, 0, 0, 0 }, 4, SKA_ERR_INVALID_FORMAT },
		{ "a frame over 256 KiB", { 0, 4, 0, 1, 6 }, 5, SKA_ERR_INVALID_FORMAT },
		{ "a frame cut short", { 0, 0, 0, 5, 6 }, 5, SKA_ERR_AGENT_COMMUNICATION },
		{ "a length cut short", { 0, 0 }, 2, SKA_ERR_AGENT_COMMUNICATION },
		{ "no reply at all", { 0 }, 0, SKA_ERR_AGENT_COMMUNICATION },
	};
	static const uint8_t ed_pub[32] = { 1, 2, 3 }, kh[40] = { 7 };
	static const uint8_t ok_reply[] = { 0, 0, 0, 1, 6 };
	static const uint8_t fail_reply[] = { 0, 0, 0, 1, 5 };
	struct key *k, *pub, *sk;
	size_t i;
	int peer_ok, fd;

	secmem_init(0);
	ok(key_generate(KEY_ECDSA, 384, &k) == 0, "a key");
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		is_int(exchange(k, c[i].reply, c[i].len, &peer_ok), c[i].want,
		    "reply %s: %s", c[i].what, ska_err(c[i].want));
		ok(peer_ok, "  the request was ADD_IDENTITY, the key, the comment");
	}
	ok(key_sk_new(KEY_ED25519_SK, ed_pub, sizeof(ed_pub), "ssh:x", 0x21,
	    kh, sizeof(kh), &sk) == 0, "an sk key");
	is_int(exchange(sk, ok_reply, sizeof(ok_reply), &peer_ok), 0,
	    "sk key: SUCCESS");
	ok(peer_ok, "  sent as ssh-add sends it: ADD_ID_CONSTRAINED, "
	    "sk-provider@openssh.com \"internal\"");
	is_int(exchange(sk, fail_reply, sizeof(fail_reply), &peer_ok),
	    SKA_ERR_AGENT_FAILURE, "sk key: FAILURE");
	ok(key_public_copy(k, &pub) == 0, "public copy");
	is_int(agent_add_identity(0, pub, "c"), SKA_ERR_INVALID_ARGUMENT,
	    "a public key cannot be added");
	is_int(agent_add_identity(-1, k, "c"), SKA_ERR_INVALID_ARGUMENT,
	    "nor to no socket");
	unsetenv("SSH_AUTH_SOCK");
	is_int(agent_connect(NULL, &fd), SKA_ERR_AGENT_NOT_PRESENT,
	    "no SSH_AUTH_SOCK: no agent");
	setenv("SSH_AUTH_SOCK", "/nonexistent/agent.sock", 1);
	is_int(agent_connect(NULL, &fd), SKA_ERR_AGENT_NOT_PRESENT,
	    "nobody listening: no agent");
	key_free(pub);
	key_free(sk);
	key_free(k);
	return tap_done();
}
