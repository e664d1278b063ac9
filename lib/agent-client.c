#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent-client.h"
#include "misc.h"

int
agent_connect(const char *path, int *fdp)
{
	struct sockaddr_un sun;
	int fd = -1, r;

	if (fdp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*fdp = -1;
	if (path == NULL)
		path = getenv("SSH_AUTH_SOCK");
	if (path == NULL || *path == '\0')
		return SKA_ERR_AGENT_NOT_PRESENT;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return SKA_ERR_AGENT_NOT_PRESENT;
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		r = SKA_ERR_AGENT_NOT_PRESENT;
		goto out;
	}
	r = 0;
	*fdp = fd;
	fd = -1;
 out:
	if (fd != -1)
		close(fd);
	return r;
}

int
agent_request(int fd, const struct sshbuf *req, struct sshbuf **replyp)
{
	struct sshbuf *reply = NULL;
	uint8_t hdr[4], *p;
	uint32_t len;
	int r;

	if (replyp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*replyp = NULL;
	if (sshbuf_len(req) == 0 || sshbuf_len(req) > AGENT_CLIENT_MAX_REPLY)
		return SKA_ERR_INVALID_ARGUMENT;
	poke_u32(hdr, (uint32_t)sshbuf_len(req));
	if (write_all(fd, hdr, sizeof(hdr)) != 0 ||
	    write_all(fd, sshbuf_ptr(req), sshbuf_len(req)) != 0 ||
	    read_full(fd, hdr, sizeof(hdr)) != 0) {
		r = SKA_ERR_AGENT_COMMUNICATION;
		goto out;
	}
	len = peek_u32(hdr);
	if (len == 0 || len > AGENT_CLIENT_MAX_REPLY) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((reply = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_reserve(reply, len, &p)) != 0)
		goto out;
	if (read_full(fd, p, len) != 0) {
		r = SKA_ERR_AGENT_COMMUNICATION;
		goto out;
	}
	r = 0;
	*replyp = reply;
	reply = NULL;
 out:
	sshbuf_free(reply);
	return r;
}

static int
is_failure(uint8_t type)
{
	return type == SSH_AGENT_FAILURE || type == SSH_AGENT_EXTENSION_FAILURE ||
	    type == SSH_COM_AGENT2_FAILURE || type == SSH2_AGENT_FAILURE;
}

static void
key_clear(struct agent_key *k)
{
	if (k->blob != NULL) {
		sodium_memzero(k->blob, k->bloblen);
		free(k->blob);
	}
	if (k->comment != NULL) {
		sodium_memzero(k->comment, strlen(k->comment));
		free(k->comment);
	}
	if (k->application != NULL) {
		sodium_memzero(k->application, strlen(k->application));
		free(k->application);
	}
	memset(k, 0, sizeof(*k));
}

void
agent_keylist_free(struct agent_keylist *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		key_clear(&l->keys[i]);
	free(l->keys);
	sodium_memzero(l, sizeof(*l));
	free(l);
}

const struct agent_key *
agent_keylist_find(const struct agent_keylist *l, const uint8_t *blob,
    size_t bloblen)
{
	size_t i;

	for (i = 0; l != NULL && blob != NULL && i < l->n; i++) {
		if (l->keys[i].bloblen == bloblen &&
		    memcmp(l->keys[i].blob, blob, bloblen) == 0)
			return &l->keys[i];
	}
	return NULL;
}

/* u32 n, then n keys: blob, comment and, with_info, flags, application. */
static int
parse_keys(struct sshbuf *b, int with_info, struct agent_keylist **listp)
{
	struct agent_keylist *l = NULL;
	struct agent_key *k;
	uint32_t n;
	int r;

	if ((r = sshbuf_get_u32(b, &n)) != 0)
		goto out;
	/* each key takes 8 bytes at least: no big array for a short reply */
	if (n > AGENT_CLIENT_MAX_KEYS || n > sshbuf_len(b) / 8) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (n > 0 && (l->keys = calloc(n, sizeof(*l->keys))) == NULL)) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	for (; l->n < n; l->n++) {
		k = &l->keys[l->n];
		if ((r = sshbuf_get_string(b, &k->blob, &k->bloblen)) != 0 ||
		    (r = sshbuf_get_cstring(b, &k->comment, NULL)) != 0)
			goto out;
		if (k->bloblen == 0) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		if (with_info &&
		    ((r = sshbuf_get_u8(b, &k->sk_flags)) != 0 ||
		    (r = sshbuf_get_cstring(b, &k->application, NULL)) != 0))
			goto out;
	}
	r = 0;
	*listp = l;
	l = NULL;
 out:
	if (l != NULL && l->keys != NULL && l->n < n)
		l->n++;		/* the partly filled entry */
	agent_keylist_free(l);
	return r;
}

int
agent_parse_identities(const uint8_t *reply, size_t len,
    struct agent_keylist **listp)
{
	struct sshbuf *b = NULL;
	uint8_t type;
	int r;

	if (listp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*listp = NULL;
	if ((reply == NULL && len != 0) || len > SSHBUF_SIZE_MAX)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((b = sshbuf_from(reply, len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_get_u8(b, &type)) != 0)
		goto out;
	if (is_failure(type)) {
		r = SKA_ERR_AGENT_FAILURE;
		goto out;
	}
	if (type != SSH2_AGENT_IDENTITIES_ANSWER) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	/* trailing bytes tolerated, as by OpenSSH's client */
	r = parse_keys(b, 0, listp);
 out:
	sshbuf_free(b);
	return r;
}

int
agent_parse_key_info(const uint8_t *data, size_t len,
    struct agent_keylist **listp)
{
	struct sshbuf *b = NULL;
	struct agent_keylist *l = NULL;
	int r;

	if (listp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*listp = NULL;
	if ((data == NULL && len != 0) || len > SSHBUF_SIZE_MAX)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((b = sshbuf_from(data, len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = parse_keys(b, 1, &l)) != 0)
		goto out;
	if (sshbuf_len(b) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
	*listp = l;
	l = NULL;
 out:
	agent_keylist_free(l);
	sshbuf_free(b);
	return r;
}

int
agent_list_identities(int fd, struct agent_keylist **listp)
{
	struct sshbuf *req = NULL, *reply = NULL;
	int r;

	if (listp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*listp = NULL;
	if ((req = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_u8(req, SSH2_AGENTC_REQUEST_IDENTITIES)) != 0 ||
	    (r = agent_request(fd, req, &reply)) != 0)
		goto out;
	r = agent_parse_identities(sshbuf_ptr(reply), sshbuf_len(reply), listp);
 out:
	sshbuf_free(req);
	sshbuf_free(reply);
	return r;
}

int
agent_extension(int fd, const char *name, const struct sshbuf *data,
    struct sshbuf **replyp)
{
	struct sshbuf *req = NULL, *reply = NULL, *out = NULL;
	const uint8_t *rname;
	size_t rlen;
	uint8_t type;
	int r;

	if (replyp == NULL || name == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*replyp = NULL;
	if ((req = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_put_u8(req, SSH_AGENTC_EXTENSION)) != 0 ||
	    (r = sshbuf_put_cstring(req, name)) != 0 ||
	    (data != NULL && (r = sshbuf_putb(req, data)) != 0) ||
	    (r = agent_request(fd, req, &reply)) != 0 ||
	    (r = sshbuf_get_u8(reply, &type)) != 0)
		goto out;
	if (is_failure(type)) {
		r = SKA_ERR_AGENT_FAILURE;
		goto out;
	}
	if (type == SSH_AGENT_EXTENSION_RESPONSE) {
		if ((r = sshbuf_get_string_direct(reply, &rname, &rlen)) != 0)
			goto out;
		if (rlen != strlen(name) || memcmp(rname, name, rlen) != 0) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
	} else if (type != SSH_AGENT_SUCCESS || sshbuf_len(reply) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((out = sshbuf_fromb(reply)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	r = 0;
	*replyp = out;
	out = NULL;
 out:
	sshbuf_free(req);
	sshbuf_free(reply);
	sshbuf_free(out);
	return r;
}

int
agent_key_info(int fd, struct agent_keylist **listp)
{
	struct sshbuf *data = NULL;
	int r;

	if (listp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*listp = NULL;
	if ((r = agent_extension(fd, AGENT_EXT_KEY_INFO, NULL, &data)) != 0)
		goto out;
	r = agent_parse_key_info(sshbuf_ptr(data), sshbuf_len(data), listp);
 out:
	sshbuf_free(data);
	return r;
}

int
agent_add_identity(int fd, const struct key *k, const char *comment)
{
	return agent_add_identity_provider(fd, k, comment, "internal");
}

int
agent_add_identity_provider(int fd, const struct key *k, const char *comment,
    const char *provider)
{
	struct sshbuf *req = NULL, *reply = NULL;
	uint8_t type;
	int r, sk;

	if (fd < 0 || k == NULL || !key_has_private(k) || provider == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	sk = key_is_sk(k);
	if ((req = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_put_u8(req, sk ? SSH2_AGENTC_ADD_ID_CONSTRAINED :
	    SSH2_AGENTC_ADD_IDENTITY)) != 0 ||
	    (r = key_private_serialize(k, req)) != 0 ||
	    (r = sshbuf_put_cstring(req, comment != NULL ? comment : "")) != 0)
		goto out;
	if (sk &&
	    ((r = sshbuf_put_u8(req, SSH_AGENT_CONSTRAIN_EXTENSION)) != 0 ||
	    (r = sshbuf_put_cstring(req, AGENT_CONSTRAIN_SK_PROVIDER)) != 0 ||
	    (r = sshbuf_put_cstring(req, provider)) != 0))
		goto out;
	if ((r = agent_request(fd, req, &reply)) != 0 ||
	    (r = sshbuf_get_u8(reply, &type)) != 0)
		goto out;
	if (is_failure(type))
		r = SKA_ERR_AGENT_FAILURE;
	else if (type != SSH_AGENT_SUCCESS || sshbuf_len(reply) != 0)
		r = SKA_ERR_INVALID_FORMAT;
	else
		r = 0;
 out:
	sshbuf_free(req);	/* wipes the private key */
	sshbuf_free(reply);
	return r;
}
