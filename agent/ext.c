/*
 * Extensions and what hangs on them: session-bind@openssh.com, the
 * restrict-destination-v00@openssh.com and sk-provider@openssh.com
 * constraints, the websafe rule for security keys, and our own query and
 * key-info@skagent.org (PROTOCOL.skagent).  The rules follow OpenSSH's
 * ssh-agent.c: a key restricted to destinations is listed and used only
 * along the hops its constraints name.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "presence.h"
#include "proto.h"
#include "status.h"

#define MAX_DEST_CONSTRAINTS	1024
#define MAX_SID_LEN		128
#define SSH2_MSG_USERAUTH_REQUEST 50
#define DEFAULT_PROVIDERS	"/usr/lib*/*,/usr/local/lib*/*"
#define EXT_KEY_INFO		"key-info@skagent.org"

/* OpenSSH's match_pattern(): '*' and '?' wildcards. */
static int
match_pattern(const char *s, const char *pattern)
{
	for (;;) {
		if (*pattern == '\0')
			return *s == '\0';
		if (*pattern == '*') {
			while (*pattern == '*')
				pattern++;
			if (*pattern == '\0')
				return 1;
			for (; *s != '\0'; s++)
				if (match_pattern(s, pattern))
					return 1;
			return 0;
		}
		if (*s == '\0')
			return 0;
		if (*pattern != '?' && *pattern != *s)
			return 0;
		s++;
		pattern++;
	}
}

/* A comma-separated list of patterns, "!" negating (match_pattern_list). */
static int
match_pattern_list(const char *s, const char *list)
{
	char *copy, *p, *tok, *save = NULL;
	int got = 0, neg;

	if ((copy = strdup(list)) == NULL)
		return 0;
	for (p = copy; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		neg = *tok == '!';
		if (match_pattern(s, tok + neg)) {
			if (neg) {
				got = 0;
				break;
			}
			got = 1;
		}
	}
	free(copy);
	return got;
}

/* Destination constraints */

static int
parse_hop(struct sshbuf *b, struct dest_hop *h)
{
	const uint8_t *blob;
	size_t elen, bloblen;
	struct dest_hopkey *nk;
	uint8_t is_ca;
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = sshbuf_get_cstring(b, &h->user, NULL)) != 0 ||
	    (r = sshbuf_get_cstring(b, &h->host, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(b, NULL, &elen)) != 0)
		return r;
	if (elen != 0)
		return SKA_ERR_FEATURE_UNSUPPORTED;
	if (*h->host == '\0') {
		free(h->host);
		h->host = NULL;
	}
	if (*h->user == '\0') {
		free(h->user);
		h->user = NULL;
	}
	if (h->user != NULL && strlen(h->user) > 256)
		return SKA_ERR_INVALID_FORMAT;
	while (sshbuf_len(b) != 0) {
		if (h->nkeys >= MAX_DEST_CONSTRAINTS)
			return SKA_ERR_INVALID_FORMAT;
		nk = reallocarray(h->keys, h->nkeys + 1, sizeof(*nk));
		if (nk == NULL)
			return SKA_ERR_ALLOC_FAIL;
		h->keys = nk;
		if ((r = sshbuf_get_string_direct(b, &blob, &bloblen)) != 0 ||
		    (r = sshbuf_get_u8(b, &is_ca)) != 0)
			return r;
		if ((r = key_from_blob(blob, bloblen, &h->keys[h->nkeys].key)) != 0)
			return r;
		h->keys[h->nkeys].is_ca = is_ca != 0;
		h->nkeys++;
	}
	return 0;
}

static int
parse_dest_constraint(struct sshbuf *m, struct dest_constraint *dc)
{
	struct sshbuf *b = NULL, *from = NULL, *to = NULL;
	size_t elen;
	int r;

	memset(dc, 0, sizeof(*dc));
	if ((r = sshbuf_froms(m, &b)) != 0 ||
	    (r = sshbuf_froms(b, &from)) != 0 ||
	    (r = sshbuf_froms(b, &to)) != 0 ||
	    (r = sshbuf_get_string_direct(b, NULL, &elen)) != 0)
		goto out;
	if ((r = parse_hop(from, &dc->from)) != 0 ||
	    (r = parse_hop(to, &dc->to)) != 0)
		goto out;
	if (elen != 0) {
		r = SKA_ERR_FEATURE_UNSUPPORTED;
		goto out;
	}
	if ((dc->from.host == NULL) != (dc->from.nkeys == 0) ||
	    dc->from.user != NULL) {
		error("inconsistent \"from\" in destination constraint");
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if (dc->to.host == NULL || dc->to.nkeys == 0) {
		error("incomplete \"to\" in destination constraint");
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
 out:
	sshbuf_free(b);
	sshbuf_free(from);
	sshbuf_free(to);
	return r;
}

int
proto_constraint_extension(const char *name, struct sshbuf *msg,
    struct identity *id)
{
	struct sshbuf *b = NULL;
	struct dest_constraint *nd;
	int r;

	if (strcmp(name, "sk-provider@openssh.com") == 0) {
		if (id->sk_provider != NULL)
			return SKA_ERR_INVALID_FORMAT;
		return sshbuf_get_cstring(msg, &id->sk_provider, NULL);
	}
	if (strcmp(name, "restrict-destination-v00@openssh.com") == 0) {
		if (id->dest != NULL)
			return SKA_ERR_INVALID_FORMAT;
		if ((r = sshbuf_froms(msg, &b)) != 0)
			return r;
		while (sshbuf_len(b) != 0) {
			if (id->ndest >= MAX_DEST_CONSTRAINTS) {
				r = SKA_ERR_INVALID_FORMAT;
				goto out;
			}
			nd = reallocarray(id->dest, id->ndest + 1, sizeof(*nd));
			if (nd == NULL) {
				r = SKA_ERR_ALLOC_FAIL;
				goto out;
			}
			id->dest = nd;
			memset(&id->dest[id->ndest], 0, sizeof(*nd));
			r = parse_dest_constraint(b, &id->dest[id->ndest++]);
			if (r != 0)
				goto out;
		}
		if (id->ndest == 0) {
			/* an empty restriction would make the key unrestricted */
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		r = 0;
		goto out;
	}
	/*
	 * associated-certs-v00@openssh.com is valid only with PKCS#11 keys
	 * (message 26, pkcs11.c): refused here, as OpenSSH refuses it on
	 * message 25.
	 */
	error("unsupported constraint \"%s\"", name);
	return SKA_ERR_FEATURE_UNSUPPORTED;
 out:
	sshbuf_free(b);
	return r;
}

/* Host certificates: the CA signed it for this host name, and it is valid now. */
static int
cert_host_ok(const struct key *k, const char *host)
{
	size_t i, n = key_cert_nprincipals(k);

	if (key_cert_type(k) != KEY_CERT_HOST ||
	    !key_cert_valid_at(k, (uint64_t)time(NULL)))
		return 0;
	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (host != NULL && match_pattern(host, key_cert_principal(k, i)))
			return 1;
	return 0;
}

static int
match_key_hop(const struct key *k, const struct dest_hop *h)
{
	size_t i;

	if (k == NULL)
		return -1;
	for (i = 0; i < h->nkeys; i++) {
		if (!key_is_cert(k)) {
			if (h->keys[i].is_ca || !key_equal(k, h->keys[i].key))
				continue;
			return 0;
		}
		if (!h->keys[i].is_ca)
			continue;
		if (!key_equal(key_cert_signature_key(k), h->keys[i].key))
			continue;
		if (!cert_host_ok(k, h->host != NULL ? h->host : "(ORIGIN)"))
			continue;
		return 0;
	}
	return -1;
}

static int
permitted_by_dest(const struct key *from, const struct key *to,
    struct identity *id, const char *user, const char **hostp)
{
	struct dest_constraint *d;
	size_t i;

	if (hostp != NULL)
		*hostp = NULL;
	for (i = 0; i < id->ndest; i++) {
		d = &id->dest[i];
		if (from == NULL) {
			if (d->from.host != NULL || d->from.nkeys != 0)
				continue;
		} else if (match_key_hop(from, &d->from) != 0)
			continue;
		if (to != NULL && match_key_hop(to, &d->to) != 0)
			continue;
		if (d->to.user != NULL && user != NULL &&
		    !match_pattern(user, d->to.user))
			continue;
		if (hostp != NULL)
			*hostp = d->to.host;
		return 0;
	}
	return -1;
}

static int
identity_permitted(struct conn *c, struct identity *id, const char *user,
    const char **lasthostp)
{
	const struct key *from = NULL;
	struct session_bind *b;
	const char *test_user, **hp;
	size_t i;

	if (lasthostp != NULL)
		*lasthostp = NULL;
	if (id->ndest == 0)
		return 0;
	if (c->bind_attempted && c->nbinds == 0) {
		debug("previous session bind failed on this connection");
		return -1;
	}
	if (c->nbinds == 0)
		return 0;	/* local use */
	for (i = 0; i < c->nbinds; i++) {
		b = &c->binds[i];
		hp = i == c->nbinds - 1 ? lasthostp : NULL;
		test_user = NULL;
		if (i == c->nbinds - 1) {
			test_user = user;
			if (b->forwarded && user != NULL) {
				debug("refusing to sign on a forwarding hop");
				return -1;
			}
		} else if (!b->forwarded) {
			debug("refusing to forward through a signing bind");
			return -1;
		}
		if (permitted_by_dest(from, b->hostkey, id, test_user, hp) != 0)
			return -1;
		from = b->hostkey;
	}
	/* listed at a forwarding hop only if usable beyond it */
	b = &c->binds[c->nbinds - 1];
	if (b->forwarded && user == NULL &&
	    permitted_by_dest(b->hostkey, NULL, id, NULL, NULL) != 0)
		return -1;
	return 0;
}

int
proto_identity_permitted(struct conn *c, struct identity *id, const char *user)
{
	return identity_permitted(c, id, user, NULL);
}

int
proto_conn_restricted(struct conn *c)
{
	return keystore_nconstrained() != 0 &&
	    (c->nbinds != 0 || c->bind_attempted);
}

struct sshbuf *
proto_identities_for(struct conn *c)
{
	struct sshbuf *b = NULL, *keys = NULL;
	struct identity *id;
	const uint8_t *blob;
	size_t len;
	uint32_t n = 0;
	int restricted = proto_conn_restricted(c);

	if ((b = sshbuf_new()) == NULL || (keys = sshbuf_new()) == NULL)
		goto fail;
	for (id = keystore_locked() ? NULL : keystore_first(); id != NULL;
	    id = id->next) {
		if ((restricted && identity_permitted(c, id, NULL, NULL) != 0) ||
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

/* The key type a signature algorithm name stands for is key's (sshkey_type_from_name). */
static int
sigalg_matches(const char *alg, const struct key *k)
{
	static const struct { const char *alg; enum key_type t; int cert; } extra[] = {
		{ "rsa-sha2-256", KEY_RSA, 0 },
		{ "rsa-sha2-512", KEY_RSA, 0 },
		{ "rsa-sha2-256-cert-v01@openssh.com", KEY_RSA, 1 },
		{ "rsa-sha2-512-cert-v01@openssh.com", KEY_RSA, 1 },
		{ "webauthn-sk-ecdsa-sha2-nistp256@openssh.com", KEY_ECDSA_SK, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (strcmp(alg, extra[i].alg) == 0)
			return key_type(k) == extra[i].t && key_is_cert(k) == extra[i].cert;
	if (!key_type_name_valid(alg))
		return 0;
	return key_type_name_type(alg) == key_type(k) &&
	    (strstr(alg, "-cert-v01@openssh.com") != NULL) == key_is_cert(k);
}

/*
 * An SSH2_MSG_USERAUTH_REQUEST for "publickey" (or the host-bound variant)
 * signed with key: its user, session id and (host-bound) host key.
 */
static int
parse_userauth_request(const uint8_t *data, size_t dlen, const struct key *key,
    char **userp, struct sshbuf **sidp, struct key **hostkeyp)
{
	struct sshbuf *b = NULL, *sid = NULL;
	char *user = NULL, *service = NULL, *method = NULL, *pkalg = NULL;
	const uint8_t *blob;
	size_t bloblen;
	struct key *mkey = NULL, *hostkey = NULL, *plain = NULL;
	uint8_t t, sig_follows;
	int r;

	if (userp != NULL)
		*userp = NULL;
	if (sidp != NULL)
		*sidp = NULL;
	if (hostkeyp != NULL)
		*hostkeyp = NULL;
	if ((b = sshbuf_from(data, dlen)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_froms(b, &sid)) != 0)
		goto out;
	if (sshbuf_len(sid) == 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = sshbuf_get_u8(b, &t)) != 0 ||
	    (r = sshbuf_get_cstring(b, &user, NULL)) != 0 ||
	    (r = sshbuf_get_cstring(b, &service, NULL)) != 0 ||
	    (r = sshbuf_get_cstring(b, &method, NULL)) != 0 ||
	    (r = sshbuf_get_u8(b, &sig_follows)) != 0 ||
	    (r = sshbuf_get_cstring(b, &pkalg, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(b, &blob, &bloblen)) != 0)
		goto out;
	if ((r = key_from_blob(blob, bloblen, &mkey)) != 0)
		goto out;
	if (t != SSH2_MSG_USERAUTH_REQUEST || sig_follows != 1 ||
	    strcmp(service, "ssh-connection") != 0 || !key_equal(key, mkey) ||
	    !sigalg_matches(pkalg, key)) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if (strcmp(method, "publickey-hostbound-v00@openssh.com") == 0) {
		if ((r = sshbuf_get_string_direct(b, &blob, &bloblen)) != 0 ||
		    (r = key_from_blob(blob, bloblen, &hostkey)) != 0)
			goto out;
	} else if (strcmp(method, "publickey") != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if (sshbuf_len(b) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
	if (userp != NULL) {
		*userp = user;
		user = NULL;
	}
	if (sidp != NULL) {
		*sidp = sid;
		sid = NULL;
	}
	if (hostkeyp != NULL) {
		*hostkeyp = hostkey;
		hostkey = NULL;
	}
 out:
	sshbuf_free(b);
	sshbuf_free(sid);
	free(user);
	free(service);
	free(method);
	free(pkalg);
	key_free(mkey);
	key_free(hostkey);
	key_free(plain);
	return r;
}

/* "SSHSIG" string namespace, string reserved, string hashalg, string H(m) */
static int
parse_sshsig_request(const uint8_t *data, size_t dlen)
{
	struct sshbuf *b;
	int r;

	if (dlen < 6 || memcmp(data, "SSHSIG", 6) != 0)
		return SKA_ERR_INVALID_FORMAT;
	if ((b = sshbuf_from(data + 6, dlen - 6)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_get_cstring(b, NULL, NULL)) == 0 &&
	    (r = sshbuf_get_string_direct(b, NULL, NULL)) == 0 &&
	    (r = sshbuf_get_cstring(b, NULL, NULL)) == 0 &&
	    (r = sshbuf_get_string_direct(b, NULL, NULL)) == 0)
		r = sshbuf_len(b) == 0 ? 0 : SKA_ERR_INVALID_FORMAT;
	sshbuf_free(b);
	return r;
}

static int
websafe_permitted(struct identity *id, const uint8_t *data, size_t dlen)
{
	const char *app = key_sk_application(id->key);
	const char *allow = opts.websafe_allow != NULL ?
	    opts.websafe_allow : "ssh:*";

	if (!opts.restrict_websafe || match_pattern_list(app, allow))
		return 1;
	if (parse_userauth_request(data, dlen, id->key, NULL, NULL, NULL) == 0 ||
	    parse_sshsig_request(data, dlen) == 0)
		return 1;
	error("refusing a signature by web-origin key \"%s\" over a non-SSH "
	    "message", app);
	return 0;
}

int
proto_sign_permitted(struct conn *c, struct identity *id, const uint8_t *data,
    size_t dlen)
{
	struct sshbuf *sid = NULL;
	struct key *hostkey = NULL;
	struct session_bind *last;
	const char *desthost = NULL;
	char *user = NULL;
	int r = -1;

	free(c->dest_desc);
	c->dest_desc = NULL;
	if (key_is_sk(id->key) && !websafe_permitted(id, data, dlen))
		return -1;
	if (id->ndest == 0)
		return 0;
	if (c->nbinds == 0) {
		logit("refusing use of a destination-constrained key to sign "
		    "on an unbound connection");
		goto out;
	}
	if (parse_userauth_request(data, dlen, id->key, &user, &sid,
	    &hostkey) != 0) {
		logit("refusing use of a destination-constrained key to sign "
		    "an unidentified signature");
		goto out;
	}
	if (identity_permitted(c, id, user, &desthost) != 0) {
		logit("refusing use of key \"%s\" by user \"%s\": not "
		    "permitted for this destination", id->comment, user);
		goto out;
	}
	last = &c->binds[c->nbinds - 1];
	if (sshbuf_len(sid) != last->sidlen ||
	    sodium_memcmp(sshbuf_ptr(sid), last->sid, last->sidlen) != 0) {
		error("unexpected session ID on a signature request for "
		    "user %s", user);
		goto out;
	}
	if (c->nbinds > 1 && hostkey == NULL) {
		error("refusing use of a destination-constrained key: no host "
		    "key in the request on a forwarded connection");
		goto out;
	}
	if (hostkey != NULL && !key_equal(hostkey, last->hostkey)) {
		error("refusing use of a destination-constrained key: host key "
		    "in the request differs from the bound session's");
		goto out;
	}
	if (asprintf(&c->dest_desc, "for user \"%s\" on host %s", user,
	    desthost != NULL ? desthost : "(listed)") < 0)
		c->dest_desc = NULL;
	r = 0;
 out:
	free(user);
	sshbuf_free(sid);
	key_free(hostkey);
	return r;
}

char *
proto_conn_destination(struct conn *c)
{
	char *fp = NULL, *s = NULL;
	size_t i, nfwd = 0;

	if (c->nbinds == 0)
		return NULL;
	for (i = 0; i < c->nbinds; i++)
		nfwd += c->binds[i].forwarded;
	fp = key_fingerprint(c->binds[c->nbinds - 1].hostkey, opts.fp_hash);
	if (asprintf(&s, "Requested %s%s%s(host key %s)%s",
	    c->dest_desc != NULL ? c->dest_desc : "",
	    c->dest_desc != NULL ? " " : "",
	    c->binds[c->nbinds - 1].forwarded ? "through a forwarded agent "
	    "at the host " : "by a login to the host ", fp ? fp : "?",
	    nfwd > 0 ? " via a FORWARDED agent connection" : "") < 0)
		s = NULL;
	free(fp);
	return s;
}

int
proto_provider_allowed(struct conn *c, const char *provider,
    char canonical[PATH_MAX])
{
	const char *allow;

	if ((c->bind_attempted || c->nbinds != 0) && !opts.allow_remote_pkcs11) {
		logit("refusing provider \"%.100s\" from a forwarded connection "
		    "(see -O allow-remote-pkcs11)", provider);
		return SKA_ERR_AGENT_FAILURE;
	}
	if (realpath(provider, canonical) == NULL) {
		logit("provider \"%.100s\": %s", provider, strerror(errno));
		return SKA_ERR_AGENT_FAILURE;
	}
	allow = opts.provider_allowlist != NULL ? opts.provider_allowlist :
	    DEFAULT_PROVIDERS;
	if (!match_pattern_list(canonical, allow)) {
		error("refusing provider %s: not allowed (-P)", canonical);
		return SKA_ERR_AGENT_FAILURE;
	}
	return 0;
}

int
proto_add_check(struct conn *c, struct identity *id)
{
	struct identity *old;
	const uint8_t *blob;
	size_t len;
	char canonical[PATH_MAX];
	int r;

	blob = key_blob(id->key, &len);
	if ((old = keystore_lookup(blob, len)) != NULL &&
	    identity_permitted(c, old, NULL, NULL) != 0)
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
	if ((r = proto_provider_allowed(c, id->sk_provider, canonical)) != 0)
		return r;
	free(id->sk_provider);
	if ((id->sk_provider = strdup(canonical)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	return 0;
}

/* Extensions */

static int
session_bind(struct conn *c, struct sshbuf *msg)
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

static const char *extensions[] = {
	"query",
	"session-bind@openssh.com",
	EXT_KEY_INFO,
	STATUS_EXT,
	NULL
};

static void
ext_query(struct conn *c)
{
	struct sshbuf *b;
	size_t i;

	if ((b = sshbuf_new()) == NULL ||
	    sshbuf_put_u8(b, SSH_AGENT_EXTENSION_RESPONSE) != 0 ||
	    sshbuf_put_cstring(b, "query") != 0)
		goto fail;
	for (i = 0; extensions[i] != NULL; i++)
		if (sshbuf_put_cstring(b, extensions[i]) != 0)
			goto fail;
	conn_reply(c, b);
	sshbuf_free(b);
	return;
 fail:
	sshbuf_free(b);
	conn_reply_status(c, 0);
}

/* key-info@skagent.org: each visible key with its sk flags and application */
static void
ext_key_info(struct conn *c)
{
	struct sshbuf *b = NULL, *keys = NULL;
	struct identity *id;
	const uint8_t *blob;
	const char *app;
	size_t len;
	uint32_t n = 0;

	if ((b = sshbuf_new()) == NULL || (keys = sshbuf_new()) == NULL)
		goto fail;
	for (id = keystore_first(); id != NULL; id = id->next) {
		if (identity_permitted(c, id, NULL, NULL) != 0)
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
	    sshbuf_put_cstring(b, EXT_KEY_INFO) != 0 ||
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

void
proto_extension(struct conn *c, struct sshbuf *msg)
{
	const uint8_t *name;
	size_t len;

	if (sshbuf_get_string_direct(msg, &name, &len) != 0) {
		conn_reply_status(c, 0);
		return;
	}
#define IS(s) (len == strlen(s) && memcmp(name, s, len) == 0)
	if (IS("session-bind@openssh.com")) {
		conn_reply_status(c, session_bind(c, msg) == 0);
		return;
	}
	if (keystore_locked()) {
		conn_reply_status(c, 0);
		return;
	}
	if (IS("query") && sshbuf_len(msg) == 0)
		ext_query(c);
	else if (IS(EXT_KEY_INFO) && sshbuf_len(msg) == 0)
		ext_key_info(c);
	else if (IS(STATUS_EXT) && sshbuf_len(msg) == 0)
		proto_status(c);
	else {
		debug("unsupported extension \"%.*s\"", (int)(len > 64 ? 64 : len),
		    (const char *)name);
		conn_reply_status(c, 0);
	}
#undef IS
}
