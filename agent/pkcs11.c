/*
 * Smartcard keys: ssh-add -s and -e (SSH_AGENTC_ADD_SMARTCARD_KEY 20,
 * ..._CONSTRAINED 26, SSH_AGENTC_REMOVE_SMARTCARD_KEY 21) and signatures
 * with the keys a PKCS#11 module holds, as OpenSSH's agent does them, with
 * the module in skagent-pkcs11-helper (p11.h), never in the agent.
 *
 * Adding: refused from a forwarded connection unless -O
 * allow-remote-pkcs11; the module's real path must match -P (the list
 * and default of security key providers) and be a regular file (the
 * helper checks the rest before it loads anything); a module already
 * added is refused, as OpenSSH does.  The helper logs in with the PIN
 * once and lists the keys; each becomes an identity with the request's
 * constraints (lifetime, confirm, destinations), and the certificates of
 * associated-certs-v00@openssh.com are added beside the keys they certify
 * (instead of them when certs_only).  The module goes when its last key
 * does: ssh-add -e, -D, lifetimes, agent exit.
 *
 * Signing: the hash (the DigestInfo for RSA, the message for Ed25519) goes
 * to the helper, which returns C_Sign's output; the agent builds the ssh
 * signature and checks it with key_verify before it goes to the client.
 * A helper that does not answer within p11_call_timeout_ms() is killed;
 * one that died fails at once.  Either way its keys stay listed and fail
 * until ssh-add -e and -s load the module anew.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "p11.h"
#include "proto.h"
#include "record.h"
#include "secmem.h"

#define MAX_ASSOCIATED_CERTS	1024

struct p11_req {
	struct conn *c;
	int sign;			/* else a load */
	struct p11_module *m;		/* a reference */
	struct p11_call *call;
	/* load: the constraints every key gets */
	struct identity *tmpl;
	/* sign */
	struct identity *id;		/* a reference */
	uint8_t *data;
	size_t dlen;
	uint32_t flags;
	struct child *prompt;
	struct p11_req *next;		/* live requests */
};

static struct p11_req *live;
static struct p11_req *handling;	/* the one whose handler runs now */

static void
req_free(struct p11_req *q)
{
	struct p11_req **pp;

	if (q == NULL)
		return;
	for (pp = &live; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == q) {
			*pp = q->next;
			break;
		}
	}
	p11_call_cancel(q->call);
	if (q->prompt != NULL)
		child_kill(q->prompt);
	identity_unref(q->tmpl);
	identity_unref(q->id);
	if (q->data != NULL) {
		sodium_memzero(q->data, q->dlen);
		free(q->data);
	}
	p11_module_unref(q->m);
	free(q);
}

static struct p11_req *
req_new(struct conn *c, int sign, struct p11_module *m)
{
	struct p11_req *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->c = c;
	q->sign = sign;
	q->m = m;
	p11_module_ref(m);
	q->next = live;
	live = q;
	return q;
}

static void on_timeout(struct conn *c);

/* The request waits on its helper, at most the call timeout. */
static void
req_wait(struct p11_req *q)
{
	q->c->wake_cb = on_timeout;
	q->c->wake_ms = monotime_ms() + p11_call_timeout_ms();
	loop_wake_at(q->c->wake_ms);
}

/*
 * The reply is queued (or the client gone): the connection goes on, at
 * once, or when the handler that began the request returns.
 */
static void
req_end(struct p11_req *q)
{
	struct conn *c = q->c;
	int in_handler = q == handling;

	if (c->wake_cb == on_timeout) {
		c->wake_cb = NULL;
		c->wake_ms = 0;
	}
	c->req = NULL;
	req_free(q);
	if (in_handler) {
		handling = NULL;
		c->busy = 0;
		return;
	}
	conn_done(c);
}

static struct p11_req *
req_of(struct conn *c)
{
	struct p11_req *q;

	for (q = live; q != NULL; q = q->next)
		if (q == c->req)
			return q;
	return NULL;
}

static void
on_timeout(struct conn *c)
{
	struct p11_req *q = req_of(c);

	if (q == NULL)
		return;
	/* fails every call in flight, this one's too (its callback ends it) */
	p11_module_kill(q->m, SKA_ERR_TIMEOUT);
}

/* Adding */

/*
 * The constraint extensions only smartcard keys take (message 26):
 * associated-certs-v00@openssh.com, bool certs_only, string{cert...}.
 */
int
proto_p11_constraint(const char *name, struct sshbuf *msg,
    struct identity *id)
{
	struct sshbuf *b = NULL;
	const uint8_t *blob;
	struct key **nc, *k = NULL;
	size_t len;
	int only, r;

	if (strcmp(name, "associated-certs-v00@openssh.com") != 0)
		return SKA_ERR_FEATURE_UNSUPPORTED;
	if (id->certs != NULL)
		return SKA_ERR_INVALID_FORMAT;
	if ((r = sshbuf_get_bool(msg, &only)) != 0 ||
	    (r = sshbuf_froms(msg, &b)) != 0)
		return r;
	while (sshbuf_len(b) != 0) {
		if (id->ncerts >= MAX_ASSOCIATED_CERTS) {
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
		if ((nc = reallocarray(id->certs, id->ncerts + 1,
		    sizeof(*nc))) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		id->certs = nc;
		id->certs[id->ncerts++] = k;
		k = NULL;
	}
	id->certs_only = only;
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

/* One identity for key k (owned) of module m, key number idx. */
static int
add_one(struct p11_req *q, struct key *k, const char *label, uint32_t idx)
{
	struct identity *id;
	const uint8_t *blob;
	size_t len;
	char *fp;
	int r;

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
	id->death_ms = q->tmpl->death_ms;
	id->confirm = q->tmpl->confirm;
	if ((id->comment = strdup(*label != '\0' ? label :
	    p11_module_path(q->m))) == NULL ||
	    (r = dest_copy(q->tmpl, id)) != 0) {
		identity_unref(id);
		return SKA_ERR_ALLOC_FAIL;
	}
	id->p11 = q->m;
	id->p11_key = idx;
	p11_module_ref(q->m);
	fp = key_fingerprint(k, opts.fp_hash);
	debug("add smartcard %s %s (%s)%s%s", key_type_short(k), fp ? fp : "?",
	    id->comment, id->death_ms ? " with lifetime" : "",
	    id->confirm ? " confirm" : "");
	free(fp);
	keystore_add(id);
	return 1;
}

static void
load_done(int r, const struct p11_msg *rep, void *arg)
{
	struct p11_req *q = arg;
	struct key *k = NULL, *cert;
	size_t i, j;
	int n = 0, added;

	q->call = NULL;
	if (r != 0 || rep->status != P11_OK) {
		error("PKCS#11 module %s: %s", p11_module_path(q->m),
		    r != 0 ? ska_err(r) : p11_status_str(rep->status));
		goto out;
	}
	for (i = 0; i < rep->nkeys; i++) {
		if ((r = key_from_blob(rep->keys[i].blob, rep->keys[i].bloblen,
		    &k)) != 0 || key_is_cert(k) || key_is_sk(k)) {
			error("PKCS#11 module %s: key %zu: %s",
			    p11_module_path(q->m), i, r != 0 ? ska_err(r) :
			    "not a plain key");
			key_free(k);
			k = NULL;
			continue;
		}
		for (j = 0; j < q->tmpl->ncerts; j++) {
			if (!key_equal_public(k, q->tmpl->certs[j]))
				continue;
			if (key_dup(q->tmpl->certs[j], &cert) != 0 ||
			    (added = add_one(q, cert, rep->keys[i].label,
			    (uint32_t)i)) < 0)
				continue;
			n += added;
		}
		if (q->tmpl->certs_only) {
			key_free(k);
		} else if ((added = add_one(q, k, rep->keys[i].label,
		    (uint32_t)i)) > 0)
			n += added;
		k = NULL;
	}
	logit("PKCS#11 module %s: %d of %zu keys added", p11_module_path(q->m),
	    n, rep->nkeys);
 out:
	conn_reply_status(q->c, n > 0);
	if (n == 0)
		p11_module_close(q->m);
	req_end(q);
}

/* The real path of a module the rules allow; SKA_ERR_* otherwise. */
static int
module_check(struct conn *c, const char *provider, char canonical[PATH_MAX])
{
	struct stat st;
	int r;

	if ((r = proto_provider_allowed(c, provider, canonical)) != 0)
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
proto_p11_add(struct conn *c, struct sshbuf *msg, int constrained)
{
	char canonical[PATH_MAX], *provider = NULL, *pin = NULL;
	const uint8_t *p;
	size_t len;
	struct p11_module *m = NULL;
	struct p11_req *q = NULL;
	struct identity *tmpl = NULL;
	struct p11_call *call;
	int lifetime_set = 0, r;

	if ((r = sshbuf_get_cstring(msg, &provider, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(msg, &p, &len)) != 0) {
		error("add smartcard: %s", ska_err(r));
		goto fail;
	}
	if (len > P11_PIN_MAX || memchr(p, '\0', len) != NULL ||
	    (pin = secmem_alloc(len + 1)) == NULL)
		goto fail;
	memcpy(pin, p, len);
	if ((tmpl = identity_new()) == NULL)
		goto fail;
	if (constrained && proto_parse_constraints(msg, tmpl, &lifetime_set,
	    1) != 0)
		goto fail;
	if (sshbuf_len(msg) != 0) {
		error("add smartcard: trailing data");
		goto fail;
	}
	if (!lifetime_set && opts.default_life != 0)
		tmpl->death_ms = monotime_ms() + (uint64_t)opts.default_life * 1000;
	if (module_check(c, provider, canonical) != 0)
		goto fail;
	if (p11_module_find(canonical) != NULL) {
		error("PKCS#11 module %s is added already (ssh-add -e first)",
		    canonical);
		goto fail;
	}
	if ((q = req_new(c, 0, NULL)) == NULL)
		goto fail;
	if ((m = p11_module_start(canonical, *pin != '\0' ? pin : NULL,
	    load_done, q, &call)) == NULL)
		goto fail;
	q->m = m;		/* the loader's reference */
	q->call = call;
	q->tmpl = tmpl;
	tmpl = NULL;
	c->busy = 1;
	c->req = q;
	req_wait(q);
	debug("PKCS#11 module %s: helper %ld loading it", canonical,
	    p11_module_pid(m));
	goto out;
 fail:
	req_free(q);
	conn_reply_status(c, 0);
 out:
	identity_unref(tmpl);
	secmem_free(pin, len + 1);
	free(provider);
}

void
proto_p11_remove(struct conn *c, struct sshbuf *msg)
{
	char canonical[PATH_MAX], *provider = NULL;
	struct p11_module *m;
	struct identity *id, *next;
	const uint8_t *blob;
	size_t len;
	int n = 0;

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
	n = 1;
 out:
	free(provider);
	conn_reply_status(c, n != 0);
}

/* Signing */

static void
sign_end(struct p11_req *q, int r, const struct sshbuf *sig)
{
	char *fp;

	if (r != 0) {
		fp = key_fingerprint(q->id->key, opts.fp_hash);
		error("signature with PKCS#11 key %s (%s) failed: %s",
		    fp ? fp : "?", q->id->comment, ska_err(r));
		free(fp);
	}
	record_sign(q->c, q->id, r, NULL, q->data, q->dlen);
	proto_sign_finish(q->c, r, sig);
	req_end(q);
}

static void
sign_done(int r, const struct p11_msg *rep, void *arg)
{
	struct p11_req *q = arg;
	struct sshbuf *sig = NULL;

	q->call = NULL;
	if (r == 0 && rep->status != P11_OK) {
		logit("PKCS#11 module %s: %s", p11_module_path(q->m),
		    p11_status_str(rep->status));
		r = p11_status_err(rep->status);
	}
	if (r == 0 && (sig = sshbuf_new()) == NULL)
		r = SKA_ERR_ALLOC_FAIL;
	if (r == 0)
		r = p11_sign_result(q->id->key, q->flags, q->data, q->dlen,
		    rep->sig, rep->siglen, sig);
	if (r == SKA_ERR_SIGNATURE_INVALID)
		error("PKCS#11 module %s signed something else: refused",
		    p11_module_path(q->m));
	sign_end(q, r, r == 0 ? sig : NULL);
	sshbuf_free(sig);
}

static void
sign_go(struct p11_req *q)
{
	struct sshbuf *tbs = NULL;
	uint32_t mech;
	int r;

	if (!p11_module_alive(q->m)) {
		error("the helper of PKCS#11 module %s is gone: ssh-add -e and "
		    "ssh-add -s load it again", p11_module_path(q->m));
		sign_end(q, SKA_ERR_TOKEN_GONE, NULL);
		return;
	}
	if ((tbs = sshbuf_new()) == NULL) {
		sign_end(q, SKA_ERR_ALLOC_FAIL, NULL);
		return;
	}
	if ((r = p11_sign_input(q->id->key, q->flags, q->data, q->dlen, &mech,
	    tbs)) != 0 || (q->call = p11_module_sign(q->m, q->id->p11_key,
	    mech, sshbuf_ptr(tbs), sshbuf_len(tbs), sign_done, q)) == NULL) {
		sshbuf_free(tbs);
		sign_end(q, r != 0 ? r : SKA_ERR_AGENT_FAILURE, NULL);
		return;
	}
	sshbuf_free(tbs);
	req_wait(q);
}

static void
confirm_done(int status, const char *out, size_t outlen, void *arg)
{
	struct p11_req *q = arg;

	q->prompt = NULL;
	if (!proto_confirm_answer(status, out, outlen)) {
		logit("user refused use of key %s", q->id->comment);
		record_sign(q->c, q->id, SKA_ERR_CONFIRM_DENIED, NULL, q->data,
		    q->dlen);
		conn_reply_status(q->c, 0);
		req_end(q);
		return;
	}
	sign_go(q);
}

void
proto_p11_sign(struct conn *c, struct identity *id, const uint8_t *data,
    size_t dlen, uint32_t flags)
{
	struct p11_req *q;
	char *prompt = NULL;

	if ((q = req_new(c, 1, id->p11)) == NULL ||
	    (q->data = malloc(dlen == 0 ? 1 : dlen)) == NULL) {
		req_free(q);
		conn_reply_status(c, 0);
		return;
	}
	memcpy(q->data, data, dlen);
	q->dlen = dlen;
	q->flags = flags;
	q->id = id;
	identity_ref(id);
	c->busy = 1;
	c->req = q;
	if (id->confirm || proto_confirm_required(c)) {
		if ((prompt = proto_confirm_prompt(c, id)) == NULL ||
		    (q->prompt = proto_confirm_start(prompt, confirm_done,
		    q)) == NULL) {
			error("cannot ask for confirmation; refusing");
			free(prompt);
			conn_reply_status(c, 0);
			handling = q;
			req_end(q);
			return;
		}
		free(prompt);
		return;
	}
	handling = q;
	sign_go(q);		/* may end q */
	handling = NULL;
}

int
proto_p11_cancel(struct conn *c)
{
	struct p11_req *q = req_of(c);

	if (q == NULL)
		return 0;
	debug("PKCS#11 request cancelled: the client left");
	req_end(q);
	return 1;
}

void
proto_p11_shutdown(void)
{
	p11_module_close_all();
}
