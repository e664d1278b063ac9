/*
 * Smartcard keys (pkcs11.h): ssh-add -s and -e, and signatures with the
 * keys a PKCS#11 module holds, as OpenSSH's agent does them, with the
 * module in skagent-pkcs11-helper (p11.h), never in the agent.
 *
 * Adding: refused from a forwarded connection unless -O
 * allow-remote-pkcs11; the module's real path must match -P (the list
 * and default of security key providers, policy.h) and be a regular file
 * (the helper checks the rest before it loads anything); a module already
 * added is refused, as OpenSSH does.  The helper logs in with the PIN
 * once and lists the keys; each becomes an identity with the request's
 * constraints (lifetime, confirm, destinations), and the certificates of
 * associated-certs-v00@openssh.com are added beside the keys they certify
 * (instead of them when certs_only).  The module goes when its last key
 * does: ssh-add -e, -D, lifetimes, agent exit.
 *
 * Signing (the signer): the hash (the DigestInfo for RSA, the message for
 * Ed25519) goes to the helper, which returns C_Sign's output; the agent
 * builds the ssh signature and checks it with key_verify before it goes to
 * the client.  A key that needs the PIN for every signature
 * (CKA_ALWAYS_AUTHENTICATE: a PIV card's slot 9c) has it asked first, as a
 * security key's PIN is (ask.h: askpass, else the requester's terminal),
 * each time: the PIN goes with that one request and is wiped once sent.
 * A PIN the card refuses fails the signature, told to the user; it is
 * never tried again (the tries are the card's).  A helper that does not answer in time is killed (p11.h);
 * one that died fails at once.  Either way its keys stay listed and fail
 * until ssh-add -e and -s load the module anew.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "conn.h"
#include "keystore.h"
#include "log.h"
#include "misc.h"
#include "options.h"
#include "p11.h"
#include "pkcs11.h"
#include "policy.h"
#include "proto.h"
#include "request.h"
#include "secmem.h"
#include "sign.h"

#define MAX_ASSOCIATED_CERTS	1024

/* Adding: a request that waits for the helper's list of keys */

struct p11_load {
	struct request rq;
	struct p11_module *m;		/* the loader's reference */
	struct p11_call *call;
	struct identity *tmpl;		/* the constraints every key gets */
	struct key **certs;		/* associated-certs-v00@openssh.com */
	size_t ncerts;
	int certs_only;
};

static void
load_free(struct request *rq)
{
	struct p11_load *l = (struct p11_load *)rq;
	size_t i;

	p11_call_cancel(l->call);
	identity_unref(l->tmpl);
	for (i = 0; i < l->ncerts; i++)
		key_free(l->certs[i]);
	free(l->certs);
	p11_module_unref(l->m);	/* the last reference: the helper goes */
	free(l);
}

/* The client left: no keys are added, the helper is ended. */
static void
load_cancel(struct request *rq)
{
	struct p11_load *l = (struct p11_load *)rq;

	p11_call_cancel(l->call);
	l->call = NULL;
	conn_reply_status(rq->conn, 0);
	request_end(rq);
}

static const struct request_ops load_ops = {
	.name = "pkcs11 load",
	.cancel = load_cancel,
	.free = load_free,
};

/* associated-certs-v00@openssh.com: bool certs_only, string{cert...} */
static int
load_constraint(const char *name, struct sshbuf *msg, void *arg)
{
	struct p11_load *l = arg;
	struct sshbuf *b = NULL;
	const uint8_t *blob;
	struct key **nc, *k = NULL;
	size_t len;
	int only, r;

	if (strcmp(name, AGENT_CONSTRAIN_ASSOCIATED_CERTS) != 0)
		return SKA_ERR_FEATURE_UNSUPPORTED;
	if (l->certs != NULL)
		return SKA_ERR_INVALID_FORMAT;
	if ((r = sshbuf_get_bool(msg, &only)) != 0 ||
	    (r = sshbuf_froms(msg, &b)) != 0)
		return r;
	while (sshbuf_len(b) != 0) {
		if (l->ncerts >= MAX_ASSOCIATED_CERTS) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		if ((r = sshbuf_get_string_direct(b, &blob, &len)) != 0 ||
		    (r = key_from_blob(blob, len, &k)) != 0)
			goto out;
		if (!key_is_cert(k)) {
			error("associated-certs: a %s key is no certificate",
			    key_type_name(k));
			r = SKA_ERR_KEY_CERT_INVALID;
			goto out;
		}
		if ((nc = reallocarray(l->certs, l->ncerts + 1,
		    sizeof(*nc))) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		l->certs = nc;
		l->certs[l->ncerts++] = k;
		k = NULL;
	}
	l->certs_only = only;
	r = 0;
 out:
	key_free(k);
	sshbuf_free(b);
	return r;
}

/* A copy of the template's destination constraints for one identity. */
static int
dest_copy(const struct identity *tmpl, struct identity *id)
{
	const struct dest_hop *from;
	struct dest_hop *to;
	size_t i, j, h;

	if (tmpl->ndest == 0)
		return 0;
	if ((id->dest = calloc(tmpl->ndest, sizeof(*id->dest))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	id->ndest = tmpl->ndest;
	for (i = 0; i < tmpl->ndest; i++) {
		for (h = 0; h < 2; h++) {
			from = h == 0 ? &tmpl->dest[i].from : &tmpl->dest[i].to;
			to = h == 0 ? &id->dest[i].from : &id->dest[i].to;
			if ((from->user != NULL &&
			    (to->user = strdup(from->user)) == NULL) ||
			    (from->host != NULL &&
			    (to->host = strdup(from->host)) == NULL))
				return SKA_ERR_ALLOC_FAIL;
			if (from->nkeys == 0)
				continue;
			if ((to->keys = calloc(from->nkeys,
			    sizeof(*to->keys))) == NULL)
				return SKA_ERR_ALLOC_FAIL;
			for (j = 0; j < from->nkeys; j++) {
				if (key_public_copy(from->keys[j].key,
				    &to->keys[j].key) != 0)
					return SKA_ERR_ALLOC_FAIL;
				to->keys[j].is_ca = from->keys[j].is_ca;
				to->nkeys++;
			}
		}
	}
	return 0;
}

/* One identity for key k (owned), the module's key number idx: 1 added. */
static int
add_one(struct p11_load *l, struct key *k, const struct p11_key *pk,
    uint32_t idx)
{
	const char *label = pk->label;
	struct identity *id;
	const uint8_t *blob;
	size_t len;
	char *fp;

	blob = key_blob(k, &len);
	if (keystore_lookup(blob, len) != NULL) {
		/* as OpenSSH: a key the agent holds already stays as it is */
		key_free(k);
		return 0;
	}
	if ((id = identity_new()) == NULL) {
		key_free(k);
		return SKA_ERR_ALLOC_FAIL;
	}
	id->key = k;
	id->death_ms = l->tmpl->death_ms;
	id->confirm = l->tmpl->confirm;
	if ((id->comment = strdup(*label != '\0' ? label :
	    p11_module_path(l->m))) == NULL || dest_copy(l->tmpl, id) != 0) {
		identity_unref(id);
		return SKA_ERR_ALLOC_FAIL;
	}
	id->p11 = l->m;
	id->p11_key = idx;
	id->p11_auth = pk->always_auth;
	p11_module_ref(l->m);
	fp = key_fingerprint(k, opts.fp_hash);
	debug("add smartcard %s %s (%s)%s%s%s", key_type_short(k),
	    fp ? fp : "?", id->comment, id->death_ms ? " with lifetime" : "",
	    id->confirm ? " confirm" : "",
	    id->p11_auth ? " PIN for each signature" : "");
	free(fp);
	keystore_add(id);
	return 1;
}

static void
load_done(int r, const struct p11_msg *rep, void *arg)
{
	struct p11_load *l = arg;
	struct key *k = NULL, *cert;
	size_t i, j;
	int n = 0, added;

	l->call = NULL;
	if (r != 0 || rep->status != P11_OK) {
		error("PKCS#11 module %s: %s", p11_module_path(l->m),
		    r != 0 ? ska_err(r) : p11_status_str(rep->status));
		goto out;
	}
	for (i = 0; i < rep->nkeys; i++) {
		if ((r = key_from_blob(rep->keys[i].blob, rep->keys[i].bloblen,
		    &k)) != 0 || key_is_cert(k) || key_is_sk(k)) {
			error("PKCS#11 module %s: key %zu: %s",
			    p11_module_path(l->m), i, r != 0 ? ska_err(r) :
			    "not a plain key");
			key_free(k);
			k = NULL;
			continue;
		}
		for (j = 0; j < l->ncerts; j++) {
			if (!key_equal_public(k, l->certs[j]) ||
			    key_dup(l->certs[j], &cert) != 0)
				continue;
			if ((added = add_one(l, cert, &rep->keys[i],
			    (uint32_t)i)) > 0)
				n += added;
		}
		if (l->certs_only)
			key_free(k);
		else if ((added = add_one(l, k, &rep->keys[i],
		    (uint32_t)i)) > 0)
			n += added;
		k = NULL;
	}
	logit("PKCS#11 module %s: %d of %zu keys added", p11_module_path(l->m),
	    n, rep->nkeys);
 out:
	if (n == 0)
		p11_module_close(l->m);
	conn_reply_status(l->rq.conn, n > 0);
	request_end(&l->rq);
}

/* The real path of a module the rules allow; SKA_ERR_* otherwise. */
static int
module_check(struct conn *c, const char *provider, char canonical[PATH_MAX])
{
	struct stat st;
	int r;

	if ((r = policy_provider_allowed(c, provider, canonical)) != 0)
		return r;
	if (stat(canonical, &st) != 0) {
		error("refusing PKCS#11 module %s: %s", canonical,
		    strerror(errno));
		return SKA_ERR_AGENT_FAILURE;
	}
	if (!S_ISREG(st.st_mode)) {
		error("refusing PKCS#11 module %s: not a regular file",
		    canonical);
		return SKA_ERR_AGENT_FAILURE;
	}
	return 0;
}

void
pkcs11_add_request(struct conn *c, struct sshbuf *msg, int constrained)
{
	char canonical[PATH_MAX], *provider = NULL, *pin = NULL;
	const uint8_t *p;
	size_t len = 0;
	struct p11_load *l = NULL;
	int lifetime_set = 0, r;

	if ((r = sshbuf_get_cstring(msg, &provider, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(msg, &p, &len)) != 0) {
		error("add smartcard: %s", ska_err(r));
		goto fail;
	}
	if (len > P11_PIN_MAX || memchr(p, '\0', len) != NULL) {
		error("add smartcard: malformed PIN");
		goto fail;
	}
	if ((pin = secmem_alloc(len + 1)) == NULL ||
	    (l = calloc(1, sizeof(*l))) == NULL ||
	    (l->tmpl = identity_new()) == NULL)
		goto fail;
	memcpy(pin, p, len);
	if (constrained && proto_parse_constraints(msg, l->tmpl, &lifetime_set,
	    load_constraint, l) != 0)
		goto fail;
	if (sshbuf_len(msg) != 0) {
		error("add smartcard: trailing data");
		goto fail;
	}
	if (!lifetime_set && opts.default_life != 0)
		l->tmpl->death_ms = monotime_ms() +
		    (uint64_t)opts.default_life * 1000;
	if (module_check(c, provider, canonical) != 0)
		goto fail;
	if (p11_module_find(canonical) != NULL) {
		error("PKCS#11 module %s is added already (ssh-add -e first)",
		    canonical);
		goto fail;
	}
	if ((l->m = p11_module_start(canonical, *pin != '\0' ? pin : NULL,
	    load_done, l, &l->call)) == NULL)
		goto fail;
	debug("PKCS#11 module %s: helper %ld loading it", canonical,
	    p11_module_pid(l->m));
	request_begin(&l->rq, &load_ops, c, NULL);
	goto out;
 fail:
	if (l != NULL)
		load_free(&l->rq);
	conn_reply_status(c, 0);
 out:
	secmem_free(pin, len + 1);
	free(provider);
}

void
pkcs11_remove_request(struct conn *c, struct sshbuf *msg)
{
	char canonical[PATH_MAX], *provider = NULL;
	struct p11_module *m;
	struct identity *id, *next;
	const uint8_t *blob;
	size_t len;
	int n = 0, ok = 0;

	if (sshbuf_get_cstring(msg, &provider, NULL) != 0 ||
	    sshbuf_get_string_direct(msg, NULL, NULL) != 0 ||
	    sshbuf_len(msg) != 0) {
		error("remove smartcard: malformed request");
		goto out;
	}
	if (realpath(provider, canonical) == NULL)
		snprintf(canonical, sizeof(canonical), "%s", provider);
	if ((m = p11_module_find(canonical)) == NULL) {
		error("remove smartcard: %s is not added", canonical);
		goto out;
	}
	p11_module_ref(m);
	for (id = keystore_first(); id != NULL; id = next) {
		next = id->next;
		if (id->p11 != m)
			continue;
		blob = key_blob(id->key, &len);
		if (keystore_remove(blob, len) == 0)
			n++;
	}
	p11_module_close(m);
	p11_module_unref(m);
	logit("PKCS#11 module %s removed with %d keys", canonical, n);
	ok = 1;
 out:
	free(provider);
	conn_reply_status(c, ok);
}

/* The signer */

struct p11_sign {
	struct sign_req s;
	struct p11_call *call;
};

static int
p11s_handles(const struct identity *id)
{
	return id->p11 != NULL;
}

static void
p11s_fail(struct sign_req *s, int r)
{
	char *fp;

	fp = key_fingerprint(s->rq.id->key, opts.fp_hash);
	error("signature with PKCS#11 key %s (%s) failed: %s", fp ? fp : "?",
	    s->rq.id->comment, ska_err(r));
	free(fp);
	sign_done(s, r);
}

static void
p11s_done(int r, const struct p11_msg *rep, void *arg)
{
	struct p11_sign *ps = arg;
	struct sign_req *s = &ps->s;
	struct p11_module *m = s->rq.id->p11;

	ps->call = NULL;
	if (r == 0 && rep->status != P11_OK) {
		logit("PKCS#11 module %s: %s", p11_module_path(m),
		    p11_status_str(rep->status));
		r = p11_status_err(rep->status);
	}
	if (r == 0 && (r = p11_sign_result(s->rq.id->key, s->flags, s->data,
	    s->dlen, rep->sig, rep->siglen, s->sig)) == SKA_ERR_SIGNATURE_INVALID)
		error("PKCS#11 module %s signed something else: refused",
		    p11_module_path(m));
	if (r != 0) {
		p11s_fail(s, r);
		return;
	}
	sign_done(s, 0);
}

/* The request to the helper, with pin for an always_auth key. */
static void
p11s_send(struct sign_req *s, const char *pin)
{
	struct p11_sign *ps = (struct p11_sign *)s;
	struct identity *id = s->rq.id;
	struct sshbuf *tbs = NULL;
	uint32_t mech;
	int r;

	if (!p11_module_alive(id->p11)) {
		error("the helper of PKCS#11 module %s is gone: ssh-add -e and "
		    "ssh-add -s load it again", p11_module_path(id->p11));
		p11s_fail(s, SKA_ERR_TOKEN_GONE);
		return;
	}
	if ((tbs = sshbuf_new()) == NULL) {
		p11s_fail(s, SKA_ERR_ALLOC_FAIL);
		return;
	}
	if ((r = p11_sign_input(id->key, s->flags, s->data, s->dlen, &mech,
	    tbs)) == 0 && (ps->call = p11_module_sign(id->p11, id->p11_key,
	    mech, sshbuf_ptr(tbs), sshbuf_len(tbs), pin, p11s_done,
	    ps)) == NULL)
		r = SKA_ERR_AGENT_FAILURE;
	sshbuf_free(tbs);
	if (r != 0)
		p11s_fail(s, r);
}

static void
p11s_pin(int r, char *pin, void *arg)
{
	struct sign_req *s = arg;

	if (r != 0) {
		if (r == SKA_ERR_PIN_REQUIRED)
			logit("no PIN given for smartcard key %s",
			    s->rq.id->comment);
		sign_done(s, r);
		return;
	}
	if (strlen(pin) > P11_PIN_MAX) {
		error("PIN for smartcard key %s: longer than %d bytes",
		    s->rq.id->comment, P11_PIN_MAX);
		sign_done(s, SKA_ERR_PIN_POLICY);
	} else
		p11s_send(s, pin);
	secmem_free_str(pin);
}

static void
p11s_start(struct sign_req *s)
{
	struct identity *id = s->rq.id;
	char *fp, *text = NULL;
	int r;

	if (!id->p11_auth || !p11_module_alive(id->p11)) {
		p11s_send(s, NULL);
		return;
	}
	fp = key_fingerprint(id->key, opts.fp_hash);
	if (asprintf(&text, "Enter PIN for smartcard key %s (%s %s): ",
	    id->comment, key_type_short(id->key), fp != NULL ? fp : "?") < 0)
		text = NULL;
	free(fp);
	if (text == NULL) {
		p11s_fail(s, SKA_ERR_ALLOC_FAIL);
		return;
	}
	r = sign_ask_as(s, ASK_PIN, SAY_CARD_PIN, text, p11s_pin);
	free(text);
	if (r == 0)
		return;
	if (r == SKA_ERR_PROMPT_UNAVAILABLE)
		error("the PIN of smartcard key %s is needed for each signature "
		    "but cannot be asked: %s", id->comment,
		    s->why != NULL ? s->why : "no way");
	sign_done(s, r);
}

/* The client left or the key went: the helper's answer is dropped. */
static void
p11s_cancel(struct sign_req *s)
{
	struct p11_sign *ps = (struct p11_sign *)s;

	p11_call_cancel(ps->call);
	ps->call = NULL;
	sign_done(s, s->rq.cancelled);
}

static void
p11s_free(struct sign_req *s)
{
	p11_call_cancel(((struct p11_sign *)s)->call);
}

const struct signer pkcs11_signer = {
	.name = "pkcs11",
	.size = sizeof(struct p11_sign),
	.handles = p11s_handles,
	.start = p11s_start,
	.cancel = p11s_cancel,
	.free = p11s_free,
};
