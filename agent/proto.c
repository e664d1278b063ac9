/*
 * One handler per agent message.  Every request gets exactly one reply;
 * a malformed one gets SSH_AGENT_FAILURE and the connection goes on.
 * Handlers that wait (signatures, the lock's KDF, the status view) make a
 * request (request.h) and answer when it ends: sign.c, lock.c, ext.c.
 */
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "dest.h"
#include "ext.h"
#include "keystore.h"
#include "lock.h"
#include "log.h"
#include "misc.h"
#include "options.h"
#include "p11.h"
#include "pincache.h"
#include "pkcs11.h"
#include "policy.h"
#include "proto.h"
#include "sign.h"

static void
reply_failure(struct conn *c)
{
	conn_reply_status(c, 0);
}

/* Identities */

static void
process_request_identities(struct conn *c)
{
	const struct sshbuf *ans;
	struct sshbuf *b = NULL;

	if (keystore_locked() || dest_conn_restricted(c) || opts.hide_absent) {
		/* filtered per connection (destination constraints, presence) */
		if ((b = policy_identities_for(c)) == NULL) {
			reply_failure(c);
			return;
		}
		conn_reply(c, b);
		sshbuf_free(b);
		return;
	}
	if ((ans = keystore_identities_answer()) == NULL) {
		reply_failure(c);
		return;
	}
	conn_reply(c, ans);
}

/* Adding and removing keys */

int
proto_parse_constraints(struct sshbuf *msg, struct identity *id,
    int *lifetime_set, proto_constraint_fn *more, void *arg)
{
	uint8_t ctype;
	uint32_t secs;
	char *ext = NULL;
	int seen_life = 0, seen_confirm = 0, r;

	while (sshbuf_len(msg) > 0) {
		if ((r = sshbuf_get_u8(msg, &ctype)) != 0)
			goto out;
		switch (ctype) {
		case SSH_AGENT_CONSTRAIN_LIFETIME:
			if (seen_life++) {
				r = SKA_ERR_INVALID_FORMAT;
				goto out;
			}
			if ((r = sshbuf_get_u32(msg, &secs)) != 0)
				goto out;
			id->death_ms = monotime_ms() + (uint64_t)secs * 1000;
			*lifetime_set = 1;
			break;
		case SSH_AGENT_CONSTRAIN_CONFIRM:
			if (seen_confirm++) {
				r = SKA_ERR_INVALID_FORMAT;
				goto out;
			}
			id->confirm = 1;
			break;
		case SSH_AGENT_CONSTRAIN_EXTENSION:
			if ((r = sshbuf_get_cstring(msg, &ext, NULL)) != 0)
				goto out;
			r = more != NULL ? more(ext, msg, arg) :
			    SKA_ERR_FEATURE_UNSUPPORTED;
			if (r == SKA_ERR_FEATURE_UNSUPPORTED)
				r = ext_constraint(ext, msg, id);
			if (r != 0)
				goto out;
			free(ext);
			ext = NULL;
			break;
		default:
			error("unknown constraint %u", ctype);
			r = SKA_ERR_FEATURE_UNSUPPORTED;
			goto out;
		}
	}
	r = 0;
 out:
	if (r != 0 && ext != NULL)
		error("constraint %s: %s", ext, ska_err(r));
	free(ext);
	return r;
}

static void
process_add_identity(struct conn *c, struct sshbuf *msg, int constrained)
{
	struct identity *id = NULL;
	struct key *k = NULL;
	char *fp = NULL;
	int lifetime_set = 0, r;

	if ((r = key_private_deserialize(msg, &k)) != 0) {
		error("add identity: %s", ska_err(r));
		goto fail;
	}
	if ((id = identity_new()) == NULL)
		goto fail;
	id->key = k;
	k = NULL;
	if ((r = sshbuf_get_cstring(msg, &id->comment, NULL)) != 0) {
		error("add identity: comment: %s", ska_err(r));
		goto fail;
	}
	if (!constrained && sshbuf_len(msg) != 0)
		goto fail;
	if (constrained && proto_parse_constraints(msg, id, &lifetime_set,
	    NULL, NULL) != 0)
		goto fail;
	if ((r = policy_add_check(c, id)) != 0)
		goto fail;
	if (!lifetime_set && opts.default_life != 0)
		id->death_ms = monotime_ms() + (uint64_t)opts.default_life * 1000;
	fp = key_fingerprint(id->key, opts.fp_hash);
	debug("add %s %s (%s)%s%s", key_type_short(id->key), fp ? fp : "?",
	    id->comment, id->death_ms ? " with lifetime" : "",
	    id->confirm ? " confirm" : "");
	free(fp);
	keystore_add(id);
	conn_reply_status(c, 1);
	return;
 fail:
	key_free(k);
	identity_unref(id);
	reply_failure(c);
}

static void
process_remove_identity(struct conn *c, struct sshbuf *msg)
{
	const uint8_t *blob;
	size_t len;
	struct identity *id;

	if (sshbuf_get_string_direct(msg, &blob, &len) != 0 ||
	    sshbuf_len(msg) != 0 || (id = keystore_lookup(blob, len)) == NULL ||
	    dest_identity_permitted(c, id, NULL) != 0 ||
	    keystore_remove(blob, len) != 0) {
		reply_failure(c);
		return;
	}
	conn_reply_status(c, 1);
}

void
proto_remove_all(void)
{
	keystore_remove_all();
	pincache_clear("all keys were removed");
	p11_module_close_all();
}

static void
process_remove_all(struct conn *c)
{
	proto_remove_all();
	conn_reply_status(c, 1);
}

/* Dispatch */

void
proto_dispatch(struct conn *c, struct sshbuf *msg)
{
	uint8_t type;

	if (sshbuf_get_u8(msg, &type) != 0) {
		reply_failure(c);
		return;
	}
	debug2("message %u (%zu bytes)", type, sshbuf_len(msg));
	if (keystore_locked() && type != SSH_AGENTC_UNLOCK &&
	    type != SSH2_AGENTC_REQUEST_IDENTITIES &&
	    type != SSH_AGENTC_EXTENSION) {
		reply_failure(c);
		return;
	}
	switch (type) {
	case SSH2_AGENTC_REQUEST_IDENTITIES:
		process_request_identities(c);
		break;
	case SSH2_AGENTC_SIGN_REQUEST:
		sign_request(c, msg);
		break;
	case SSH2_AGENTC_ADD_IDENTITY:
		process_add_identity(c, msg, 0);
		break;
	case SSH2_AGENTC_ADD_ID_CONSTRAINED:
		process_add_identity(c, msg, 1);
		break;
	case SSH2_AGENTC_REMOVE_IDENTITY:
		process_remove_identity(c, msg);
		break;
	case SSH_AGENTC_REMOVE_ALL_RSA_IDENTITIES:
	case SSH2_AGENTC_REMOVE_ALL_IDENTITIES:
		process_remove_all(c);
		break;
	case SSH_AGENTC_LOCK:
		lock_request(c, msg, 1);
		break;
	case SSH_AGENTC_UNLOCK:
		lock_request(c, msg, 0);
		break;
	case SSH_AGENTC_EXTENSION:
		ext_request(c, msg);
		break;
	case SSH_AGENTC_ADD_SMARTCARD_KEY:
		pkcs11_add_request(c, msg, 0);
		break;
	case SSH_AGENTC_ADD_SMARTCARD_KEY_CONSTRAINED:
		pkcs11_add_request(c, msg, 1);
		break;
	case SSH_AGENTC_REMOVE_SMARTCARD_KEY:
		pkcs11_remove_request(c, msg);
		break;
	default:
		/* SSHv1 and everything unknown */
		debug("unsupported message %u", type);
		reply_failure(c);
		break;
	}
}
