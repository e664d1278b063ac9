/* Destination constraints (dest.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "conn.h"
#include "dest.h"
#include "keystore.h"
#include "log.h"
#include "match.h"
#include "options.h"
#include "sigdata.h"

#define MAX_DEST_CONSTRAINTS	1024

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
dest_parse(struct sshbuf *msg, struct identity *id)
{
	struct sshbuf *b = NULL;
	struct dest_constraint *nd;
	int r;

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
dest_identity_permitted(struct conn *c, struct identity *id, const char *user)
{
	return identity_permitted(c, id, user, NULL);
}

int
dest_conn_restricted(struct conn *c)
{
	return keystore_nconstrained() != 0 &&
	    (c->nbinds != 0 || c->bind_attempted);
}

int
dest_sign_permitted(struct conn *c, struct identity *id, const uint8_t *data,
    size_t dlen)
{
	struct sigdata_userauth ua;
	struct session_bind *last;
	const uint8_t *hk;
	size_t hklen;
	const char *desthost = NULL;
	int r = -1;

	free(c->dest_desc);
	c->dest_desc = NULL;
	if (id->ndest == 0)
		return 0;
	if (c->nbinds == 0) {
		logit("refusing use of a destination-constrained key to sign "
		    "on an unbound connection");
		return -1;
	}
	if (sigdata_userauth_parse(data, dlen, id->key, &ua) != 0) {
		logit("refusing use of a destination-constrained key to sign "
		    "an unidentified signature");
		return -1;
	}
	if (identity_permitted(c, id, ua.user, &desthost) != 0) {
		logit("refusing use of key \"%s\" by user \"%s\": not "
		    "permitted for this destination", id->comment, ua.user);
		goto out;
	}
	last = &c->binds[c->nbinds - 1];
	if (ua.sidlen != last->sidlen ||
	    sodium_memcmp(ua.sid, last->sid, last->sidlen) != 0) {
		error("unexpected session ID on a signature request for "
		    "user %s", ua.user);
		goto out;
	}
	if (c->nbinds > 1 && ua.hostkey == NULL) {
		error("refusing use of a destination-constrained key: no host "
		    "key in the request on a forwarded connection");
		goto out;
	}
	hk = key_blob(last->hostkey, &hklen);
	if (ua.hostkey != NULL && (ua.hostkeylen != hklen ||
	    memcmp(ua.hostkey, hk, hklen) != 0)) {
		error("refusing use of a destination-constrained key: host key "
		    "in the request differs from the bound session's");
		goto out;
	}
	if (asprintf(&c->dest_desc, "for user \"%s\" on host %s", ua.user,
	    desthost != NULL ? desthost : "(listed)") < 0)
		c->dest_desc = NULL;
	r = 0;
 out:
	sigdata_userauth_clear(&ua);
	return r;
}

char *
dest_conn_destination(struct conn *c)
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
