/*
 * Extensions (ext.h): SSH_AGENTC_EXTENSION's and the constraint
 * extensions', each a row of a table; "query" lists the first table.
 * session-bind@openssh.com as OpenSSH's ssh-agent.c; key-info@skagent.org
 * and status@skagent.org in PROTOCOL.skagent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conn.h"
#include "dest.h"
#include "ext.h"
#include "keystore.h"
#include "log.h"
#include "options.h"
#include "status.h"

#define MAX_SID_LEN		128

static void query(struct conn *c, struct sshbuf *msg);

static int
bind_session(struct conn *c, struct sshbuf *msg)
{
	const uint8_t *blob, *sid, *sig;
	size_t bloblen, sidlen, siglen, i;
	struct key *key = NULL;
	uint8_t fwd;
	char *fp = NULL;
	int r;

	c->bind_attempted = 1;
	if ((r = sshbuf_get_string_direct(msg, &blob, &bloblen)) != 0 ||
	    (r = sshbuf_get_string_direct(msg, &sid, &sidlen)) != 0 ||
	    (r = sshbuf_get_string_direct(msg, &sig, &siglen)) != 0 ||
	    (r = sshbuf_get_u8(msg, &fwd)) != 0 || sshbuf_len(msg) != 0) {
		error("session-bind: malformed request");
		return -1;
	}
	if (sidlen == 0 || sidlen > MAX_SID_LEN) {
		error("session-bind: session id of %zu bytes", sidlen);
		return -1;
	}
	if ((r = key_from_blob(blob, bloblen, &key)) != 0) {
		error("session-bind: host key: %s", ska_err(r));
		return -1;
	}
	fp = key_fingerprint(key, opts.fp_hash);
	if ((r = key_verify(key, sig, siglen, sid, sidlen, NULL)) != 0) {
		error("session-bind: signature by %s %s: %s",
		    key_type_short(key), fp ? fp : "?", ska_err(r));
		r = -1;
		goto out;
	}
	for (i = 0; i < c->nbinds; i++) {
		if (!c->binds[i].forwarded) {
			error("session-bind: connection already bound for "
			    "authentication");
			r = -1;
			goto out;
		}
		if (c->binds[i].sidlen == sidlen &&
		    sodium_memcmp(c->binds[i].sid, sid, sidlen) == 0) {
			if (key_equal(key, c->binds[i].hostkey)) {
				r = 0;	/* already recorded */
				goto out;
			}
			error("session-bind: session id bound to another key");
			r = -1;
			goto out;
		}
	}
	if (c->nbinds >= AGENT_MAX_BINDS) {
		error("session-bind: too many session ids");
		r = -1;
		goto out;
	}
	if ((c->binds[c->nbinds].sid = malloc(sidlen)) == NULL) {
		r = -1;
		goto out;
	}
	memcpy(c->binds[c->nbinds].sid, sid, sidlen);
	c->binds[c->nbinds].sidlen = sidlen;
	c->binds[c->nbinds].hostkey = key;
	c->binds[c->nbinds].forwarded = fwd != 0;
	c->nbinds++;
	key = NULL;
	debug("session bound to %s %s%s", key_type_short(c->binds[c->nbinds - 1].hostkey),
	    fp ? fp : "?", fwd ? " (forwarded)" : "");
	r = 0;
 out:
	free(fp);
	key_free(key);
	return r;
}

static void
session_bind(struct conn *c, struct sshbuf *msg)
{
	conn_reply_status(c, bind_session(c, msg) == 0);
}

/* key-info@skagent.org: each visible key with its sk flags and application */
static void
key_info(struct conn *c, struct sshbuf *msg)
{
	struct sshbuf *b = NULL, *keys = NULL;
	struct identity *id;
	const uint8_t *blob;
	const char *app;
	size_t len;
	uint32_t n = 0;

	if (sshbuf_len(msg) != 0 ||
	    (b = sshbuf_new()) == NULL || (keys = sshbuf_new()) == NULL)
		goto fail;
	for (id = keystore_first(); id != NULL; id = id->next) {
		if (dest_identity_permitted(c, id, NULL) != 0)
			continue;
		blob = key_blob(id->key, &len);
		app = key_sk_application(id->key);
		if (sshbuf_put_string(keys, blob, len) != 0 ||
		    sshbuf_put_cstring(keys, id->comment) != 0 ||
		    sshbuf_put_u8(keys, key_sk_flags(id->key)) != 0 ||
		    sshbuf_put_cstring(keys, app != NULL ? app : "") != 0)
			goto fail;
		n++;
	}
	if (sshbuf_put_u8(b, SSH_AGENT_EXTENSION_RESPONSE) != 0 ||
	    sshbuf_put_cstring(b, AGENT_EXT_KEY_INFO) != 0 ||
	    sshbuf_put_u32(b, n) != 0 || sshbuf_putb(b, keys) != 0)
		goto fail;
	conn_reply(c, b);
	sshbuf_free(b);
	sshbuf_free(keys);
	return;
 fail:
	sshbuf_free(b);
	sshbuf_free(keys);
	conn_reply_status(c, 0);
}

static void
status(struct conn *c, struct sshbuf *msg)
{
	if (sshbuf_len(msg) != 0) {
		conn_reply_status(c, 0);
		return;
	}
	status_request(c);
}

/*
 * The extensions: each handler gets what follows the name and answers c
 * (now, or through a request).  locked: allowed while the agent is locked.
 */
static const struct extension {
	const char *name;
	void (*handler)(struct conn *c, struct sshbuf *msg);
	int locked;
} extensions[] = {
	{ AGENT_EXT_QUERY,		query,		0 },
	{ AGENT_EXT_SESSION_BIND,	session_bind,	1 },
	{ AGENT_EXT_KEY_INFO,		key_info,	0 },
	{ AGENT_EXT_STATUS,		status,		0 },
};
#define NEXTENSIONS	(sizeof(extensions) / sizeof(extensions[0]))

static void
query(struct conn *c, struct sshbuf *msg)
{
	struct sshbuf *b = NULL;
	size_t i;

	if (sshbuf_len(msg) != 0 || (b = sshbuf_new()) == NULL ||
	    sshbuf_put_u8(b, SSH_AGENT_EXTENSION_RESPONSE) != 0 ||
	    sshbuf_put_cstring(b, AGENT_EXT_QUERY) != 0)
		goto fail;
	for (i = 0; i < NEXTENSIONS; i++)
		if (sshbuf_put_cstring(b, extensions[i].name) != 0)
			goto fail;
	conn_reply(c, b);
	sshbuf_free(b);
	return;
 fail:
	sshbuf_free(b);
	conn_reply_status(c, 0);
}

void
ext_request(struct conn *c, struct sshbuf *msg)
{
	const uint8_t *name;
	size_t len, i;

	if (sshbuf_get_string_direct(msg, &name, &len) != 0) {
		conn_reply_status(c, 0);
		return;
	}
	for (i = 0; i < NEXTENSIONS; i++) {
		if (strlen(extensions[i].name) != len ||
		    memcmp(extensions[i].name, name, len) != 0)
			continue;
		if (keystore_locked() && !extensions[i].locked)
			break;
		extensions[i].handler(c, msg);
		return;
	}
	if (i == NEXTENSIONS)
		debug("unsupported extension \"%.*s\"", (int)(len > 64 ? 64 : len),
		    (const char *)name);
	conn_reply_status(c, 0);
}

/* Constraint extensions (SSH_AGENT_CONSTRAIN_EXTENSION) */

static int
sk_provider(struct sshbuf *msg, struct identity *id)
{
	if (id->sk_provider != NULL)
		return SKA_ERR_INVALID_FORMAT;
	return sshbuf_get_cstring(msg, &id->sk_provider, NULL);
}

/*
 * associated-certs-v00@openssh.com is valid only with PKCS#11 keys
 * (message 26), which pkcs11.c parses itself: not here, so message 25
 * refuses it, as OpenSSH does.
 */
static const struct constraint {
	const char *name;
	int (*parse)(struct sshbuf *msg, struct identity *id);
} constraints[] = {
	{ AGENT_CONSTRAIN_SK_PROVIDER,	sk_provider },
	{ AGENT_CONSTRAIN_DESTINATION,	dest_parse },
};

int
ext_constraint(const char *name, struct sshbuf *msg, struct identity *id)
{
	size_t i;

	for (i = 0; i < sizeof(constraints) / sizeof(constraints[0]); i++)
		if (strcmp(name, constraints[i].name) == 0)
			return constraints[i].parse(msg, id);
	error("unsupported constraint \"%s\"", name);
	return SKA_ERR_FEATURE_UNSUPPORTED;
}
