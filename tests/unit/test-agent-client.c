/*
 * The agent client: reply parsers on good and hostile bytes, and the
 * framing over a socket pair whose far end holds a canned reply.  Stock
 * ssh-agent is driven through it by tests/e2e/50-copy-id.t.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent-client.h"
#include "tap.h"

static struct sshbuf *
key_entries(int n, int with_info)
{
	struct sshbuf *b = sshbuf_new();
	char blob[32], comment[32];
	int i, r = 0;

	r |= sshbuf_put_u32(b, (uint32_t)n);
	for (i = 0; i < n; i++) {
		snprintf(blob, sizeof(blob), "blob-%d", i);
		snprintf(comment, sizeof(comment), "comment %d", i);
		r |= sshbuf_put_cstring(b, blob);
		r |= sshbuf_put_cstring(b, comment);
		if (with_info) {
			r |= sshbuf_put_u8(b, (uint8_t)(i == 0 ? 0x21 : 0));
			r |= sshbuf_put_cstring(b, i == 0 ? "ssh:" : "");
		}
	}
	if (r != 0)
		abort();
	return b;
}

static struct sshbuf *
identities_answer(int n)
{
	struct sshbuf *b = sshbuf_new(), *e = key_entries(n, 0);

	if (sshbuf_put_u8(b, SSH2_AGENT_IDENTITIES_ANSWER) != 0 ||
	    sshbuf_putb(b, e) != 0)
		abort();
	sshbuf_free(e);
	return b;
}

static void
test_parse_identities(void)
{
	struct agent_keylist *l = NULL;
	struct sshbuf *b;
	uint8_t *p;

	b = identities_answer(2);
	ok(agent_parse_identities(sshbuf_ptr(b), sshbuf_len(b), &l) == 0 &&
	    l->n == 2, "two identities");
	ok(l->keys[1].bloblen == 6 && memcmp(l->keys[1].blob, "blob-1", 6)
	    == 0 && strcmp(l->keys[1].comment, "comment 1") == 0 &&
	    l->keys[1].sk_flags == 0 && l->keys[1].application == NULL,
	    "blob and comment");
	ok(agent_keylist_find(l, (const uint8_t *)"blob-0", 6) == &l->keys[0],
	    "find by blob");
	ok(agent_keylist_find(l, (const uint8_t *)"blob-", 5) == NULL,
	    "no prefix match");
	agent_keylist_free(l);
	l = NULL;
	ok(agent_parse_identities(sshbuf_ptr(b), sshbuf_len(b) - 1, &l) ==
	    SKA_ERR_MESSAGE_INCOMPLETE && l == NULL, "truncated reply");
	p = sshbuf_mutable_ptr(b);
	p[0] = SSH_AGENT_FAILURE;
	is_int(agent_parse_identities(p, sshbuf_len(b), &l),
	    SKA_ERR_AGENT_FAILURE, "failure reply");
	p[0] = 13;
	is_int(agent_parse_identities(p, sshbuf_len(b), &l),
	    SKA_ERR_INVALID_FORMAT, "unexpected reply type");
	p[0] = SSH2_AGENT_IDENTITIES_ANSWER;
	poke_u32(p + 1, 3);
	is_int(agent_parse_identities(p, sshbuf_len(b), &l),
	    SKA_ERR_MESSAGE_INCOMPLETE, "count beyond the data");
	poke_u32(p + 1, 100);
	is_int(agent_parse_identities(p, sshbuf_len(b), &l),
	    SKA_ERR_INVALID_FORMAT, "count the data cannot hold: refused early");
	poke_u32(p + 1, AGENT_CLIENT_MAX_KEYS + 1);
	is_int(agent_parse_identities(p, sshbuf_len(b), &l),
	    SKA_ERR_INVALID_FORMAT, "count over the cap");
	poke_u32(p + 1, 2);
	p[sshbuf_len(b) - 3] = '\0';
	is_int(agent_parse_identities(p, sshbuf_len(b), &l),
	    SKA_ERR_INVALID_FORMAT, "NUL in a comment");
	sshbuf_free(b);

	b = identities_answer(0);
	ok(agent_parse_identities(sshbuf_ptr(b), sshbuf_len(b), &l) == 0 &&
	    l->n == 0 && l->keys == NULL, "no identities");
	agent_keylist_free(l);
	sshbuf_free(b);
	b = sshbuf_new();
	ok(sshbuf_put_u8(b, 12) == 0 && sshbuf_put_u32(b, 1) == 0 &&
	    sshbuf_put_string(b, NULL, 0) == 0 &&
	    sshbuf_put_cstring(b, "x") == 0, "build");
	is_int(agent_parse_identities(sshbuf_ptr(b), sshbuf_len(b), &l),
	    SKA_ERR_INVALID_FORMAT, "empty blob");
	sshbuf_free(b);
	is_int(agent_parse_identities((const uint8_t *)"", 0, &l),
	    SKA_ERR_MESSAGE_INCOMPLETE, "empty reply");
}

static void
test_parse_key_info(void)
{
	struct agent_keylist *l = NULL;
	struct sshbuf *b;

	b = key_entries(3, 1);
	ok(agent_parse_key_info(sshbuf_ptr(b), sshbuf_len(b), &l) == 0 &&
	    l->n == 3, "three keys");
	ok(l->keys[0].sk_flags == 0x21 &&
	    strcmp(l->keys[0].application, "ssh:") == 0 &&
	    l->keys[2].sk_flags == 0 && strcmp(l->keys[2].application, "") == 0,
	    "flags and application");
	agent_keylist_free(l);
	l = NULL;
	ok(sshbuf_put_u8(b, 0) == 0, "append");
	is_int(agent_parse_key_info(sshbuf_ptr(b), sshbuf_len(b), &l),
	    SKA_ERR_INVALID_FORMAT, "trailing byte refused");
	is_int(agent_parse_key_info(sshbuf_ptr(b), sshbuf_len(b) - 6, &l),
	    SKA_ERR_MESSAGE_INCOMPLETE, "application cut off");
	ok(l == NULL, "nothing handed over on failure");
	is_int(agent_parse_key_info(sshbuf_ptr(b), 0, &l),
	    SKA_ERR_MESSAGE_INCOMPLETE, "empty data");
	sshbuf_free(b);
}

/* A socket pair whose far end already holds this reply frame. */
static int
canned(const void *frame, size_t len, int *peerp)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	if (len > 0 && write(sv[1], frame, len) != (ssize_t)len)
		abort();
	*peerp = sv[1];
	return sv[0];
}

static struct sshbuf *
frame(const struct sshbuf *msg)
{
	struct sshbuf *f = sshbuf_new();

	if (sshbuf_put_stringb(f, msg) != 0)
		abort();
	return f;
}

static void
test_wire(void)
{
	struct agent_keylist *l = NULL;
	struct sshbuf *m, *f, *data = NULL, *req;
	uint8_t got[64];
	int fd, peer;

	m = identities_answer(1);
	f = frame(m);
	fd = canned(sshbuf_ptr(f), sshbuf_len(f), &peer);
	ok(agent_list_identities(fd, &l) == 0 && l->n == 1,
	    "identities over a socket");
	ok(read(peer, got, sizeof(got)) == 5 &&
	    memcmp(got, "\0\0\0\1\13", 5) == 0, "request bytes");
	agent_keylist_free(l);
	l = NULL;
	close(fd);
	close(peer);
	sshbuf_free(f);
	sshbuf_free(m);

	fd = canned("\0\4\0\1\13", 5, &peer);
	is_int(agent_list_identities(fd, &l), SKA_ERR_INVALID_FORMAT,
	    "reply over 256 KiB refused from its length");
	close(fd);
	close(peer);
	fd = canned("\0\0\0\0", 4, &peer);
	is_int(agent_list_identities(fd, &l), SKA_ERR_INVALID_FORMAT,
	    "empty reply refused");
	close(fd);
	close(peer);
	fd = canned("\0\0\0\11\14\0\0", 7, &peer);
	shutdown(peer, SHUT_WR);
	is_int(agent_list_identities(fd, &l), SKA_ERR_AGENT_COMMUNICATION,
	    "agent gone mid-reply");
	close(fd);
	close(peer);

	/* key-info over the extension */
	m = sshbuf_new();
	f = key_entries(2, 1);
	ok(sshbuf_put_u8(m, SSH_AGENT_EXTENSION_RESPONSE) == 0 &&
	    sshbuf_put_cstring(m, AGENT_EXT_KEY_INFO) == 0 &&
	    sshbuf_putb(m, f) == 0, "build key-info reply");
	sshbuf_free(f);
	f = frame(m);
	fd = canned(sshbuf_ptr(f), sshbuf_len(f), &peer);
	ok(agent_key_info(fd, &l) == 0 && l->n == 2 &&
	    l->keys[0].sk_flags == 0x21, "key-info reply parsed");
	req = sshbuf_new();
	ok(sshbuf_put_u8(req, SSH_AGENTC_EXTENSION) == 0 &&
	    sshbuf_put_cstring(req, AGENT_EXT_KEY_INFO) == 0, "build request");
	ok(read(peer, got, sizeof(got)) == (ssize_t)(4 + sshbuf_len(req)) &&
	    memcmp(got + 4, sshbuf_ptr(req), sshbuf_len(req)) == 0,
	    "request is byte 27 and the name, nothing more");
	sshbuf_free(req);
	agent_keylist_free(l);
	l = NULL;
	close(fd);
	close(peer);
	sshbuf_free(f);

	/* same reply, another name */
	sshbuf_mutable_ptr(m)[5] = 'K';
	f = frame(m);
	fd = canned(sshbuf_ptr(f), sshbuf_len(f), &peer);
	is_int(agent_key_info(fd, &l), SKA_ERR_INVALID_FORMAT,
	    "response naming another extension refused");
	close(fd);
	close(peer);
	sshbuf_free(f);
	sshbuf_free(m);

	fd = canned("\0\0\0\1\5", 5, &peer);
	is_int(agent_key_info(fd, &l), SKA_ERR_AGENT_FAILURE,
	    "stock agent's failure");
	close(fd);
	close(peer);
	fd = canned("\0\0\0\1\34", 5, &peer);
	is_int(agent_key_info(fd, &l), SKA_ERR_AGENT_FAILURE,
	    "extension failure");
	close(fd);
	close(peer);
	fd = canned("\0\0\0\1\6", 5, &peer);
	ok(agent_extension(fd, "x@example.org", NULL, &data) == 0 &&
	    sshbuf_len(data) == 0, "success: empty reply");
	sshbuf_free(data);
	close(fd);
	close(peer);
	fd = canned("\0\0\0\1\6", 5, &peer);
	is_int(agent_key_info(fd, &l), SKA_ERR_MESSAGE_INCOMPLETE,
	    "key-info answered with bare success: no list");
	close(fd);
	close(peer);
}

static void
test_connect(void)
{
	struct sockaddr_un sun;
	char dir[] = "/tmp/test-agent-client.XXXXXX", path[128];
	int fd, s;

	unsetenv("SSH_AUTH_SOCK");
	is_int(agent_connect(NULL, &fd), SKA_ERR_AGENT_NOT_PRESENT,
	    "no SSH_AUTH_SOCK");
	ok(fd == -1, "no descriptor");
	setenv("SSH_AUTH_SOCK", "", 1);
	is_int(agent_connect(NULL, &fd), SKA_ERR_AGENT_NOT_PRESENT,
	    "empty SSH_AUTH_SOCK");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/agent.sock", dir);
	is_int(agent_connect(path, &fd), SKA_ERR_AGENT_NOT_PRESENT,
	    "nobody listening");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    listen(s, 1) == 0, "listen");
	setenv("SSH_AUTH_SOCK", path, 1);
	ok(agent_connect(NULL, &fd) == 0 && fd >= 0, "connects to SSH_AUTH_SOCK");
	close(fd);
	close(s);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_parse_identities();
	test_parse_key_info();
	test_wire();
	test_connect();
	return tap_done();
}
