/*
 * Who may use which key for what (policy.h): the websafe rule for
 * security keys, the provider allowlist, and the destination constraints
 * (dest.c) put together.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conn.h"
#include "dest.h"
#include "keystore.h"
#include "log.h"
#include "match.h"
#include "options.h"
#include "policy.h"
#include "presence.h"
#include "sigdata.h"

#define DEFAULT_PROVIDERS	"/usr/lib*/*,/usr/local/lib*/*"

static int
websafe_permitted(struct identity *id, const uint8_t *data, size_t dlen)
{
	const char *app = key_sk_application(id->key);
	const char *allow = opts.websafe_allow != NULL ?
	    opts.websafe_allow : "ssh:*";
	struct sigdata_userauth ua;

	if (!opts.restrict_websafe || match_pattern_list(app, allow))
		return 1;
	if (sigdata_userauth_parse(data, dlen, id->key, &ua) == 0 ||
	    sigdata_sshsig_parse(data, dlen, NULL) == 0) {
		sigdata_userauth_clear(&ua);
		return 1;
	}
	error("refusing a signature by web-origin key \"%s\" over a non-SSH "
	    "message", app);
	return 0;
}

int
policy_sign_permitted(struct conn *c, struct identity *id, const uint8_t *data,
    size_t dlen)
{
	if (key_is_sk(id->key) && !websafe_permitted(id, data, dlen)) {
		free(c->dest_desc);
		c->dest_desc = NULL;
		return -1;
	}
	return dest_sign_permitted(c, id, data, dlen);
}

int
policy_provider_allowed(struct conn *c, const char *path,
    char canonical[PATH_MAX])
{
	const char *allow;

	if ((c->bind_attempted || c->nbinds != 0) && !opts.allow_remote_pkcs11) {
		logit("refusing provider \"%.100s\" from a forwarded connection "
		    "(see -O allow-remote-pkcs11)", path);
		return SKA_ERR_AGENT_FAILURE;
	}
	if (realpath(path, canonical) == NULL) {
		logit("provider \"%.100s\": %s", path, strerror(errno));
		return SKA_ERR_AGENT_FAILURE;
	}
	allow = opts.provider_allowlist != NULL ? opts.provider_allowlist :
	    DEFAULT_PROVIDERS;
	if (!match_pattern_list(canonical, allow)) {
		error("refusing key: provider %s not allowed (-P)", canonical);
		return SKA_ERR_AGENT_FAILURE;
	}
	return 0;
}

int
policy_add_check(struct conn *c, struct identity *id)
{
	struct identity *old;
	const uint8_t *blob;
	size_t len;
	char canonical[PATH_MAX];
	int r;

	blob = key_blob(id->key, &len);
	if ((old = keystore_lookup(blob, len)) != NULL &&
	    dest_identity_permitted(c, old, NULL) != 0)
		return SKA_ERR_AGENT_FAILURE;
	if (id->sk_provider == NULL)
		return 0;
	if (!key_is_sk(id->key)) {
		error("cannot add provider: %s is not a security-key key",
		    key_type_name(id->key));
		return SKA_ERR_INVALID_ARGUMENT;
	}
	if (strcasecmp(id->sk_provider, "internal") == 0)
		return 0;
	if ((r = policy_provider_allowed(c, id->sk_provider, canonical)) != 0)
		return r;
	free(id->sk_provider);
	if ((id->sk_provider = strdup(canonical)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	return 0;
}

struct sshbuf *
policy_identities_for(struct conn *c)
{
	struct sshbuf *b = NULL, *keys = NULL;
	struct identity *id;
	const uint8_t *blob;
	size_t len;
	uint32_t n = 0;
	int restricted = dest_conn_restricted(c);

	if ((b = sshbuf_new()) == NULL || (keys = sshbuf_new()) == NULL)
		goto fail;
	for (id = keystore_locked() ? NULL : keystore_first(); id != NULL;
	    id = id->next) {
		if ((restricted && dest_identity_permitted(c, id, NULL) != 0) ||
		    (opts.hide_absent && presence_hidden(id)))
			continue;
		blob = key_blob(id->key, &len);
		if (sshbuf_put_string(keys, blob, len) != 0 ||
		    sshbuf_put_cstring(keys, id->comment) != 0)
			goto fail;
		n++;
	}
	if (sshbuf_put_u8(b, SSH2_AGENT_IDENTITIES_ANSWER) != 0 ||
	    sshbuf_put_u32(b, n) != 0 || sshbuf_putb(b, keys) != 0)
		goto fail;
	sshbuf_free(keys);
	return b;
 fail:
	sshbuf_free(b);
	sshbuf_free(keys);
	return NULL;
}
