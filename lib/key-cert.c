/* OpenSSH certificates (PROTOCOL.certkeys): parsing and CA verification. */
#include <stdlib.h>
#include <string.h>

#include "key-impl.h"

#define CERT_MAX_PRINCIPALS	256

struct key_cert {
	uint32_t type;			/* KEY_CERT_USER / KEY_CERT_HOST */
	uint64_t serial;
	char *key_id;
	char **principals;
	size_t nprincipals;
	uint64_t valid_after, valid_before;
	struct key *signature_key;
};

void
key_cert_free(struct key_cert *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->key_id);
	for (i = 0; i < c->nprincipals; i++)
		free(c->principals[i]);
	free(c->principals);
	key_free(c->signature_key);
	free(c);
}

/* A sequence of (string name, string data), names unique and non-empty. */
static int
check_options(struct sshbuf *opts)
{
	struct sshbuf *b = NULL;
	const uint8_t *name, *prev = NULL;
	size_t len, prevlen = 0;
	int r;

	if ((b = sshbuf_from(sshbuf_ptr(opts), sshbuf_len(opts))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	while (sshbuf_len(b) > 0) {
		if ((r = sshbuf_get_string_direct(b, &name, &len)) != 0 ||
		    (r = sshbuf_get_string_direct(b, NULL, NULL)) != 0)
			goto out;
		if (len == 0 || memchr(name, '\0', len) != NULL ||
		    (prev != NULL && prevlen == len &&
		    memcmp(prev, name, len) == 0)) {
			r = SKA_ERR_KEY_CERT_INVALID;
			goto out;
		}
		prev = name;
		prevlen = len;
	}
	r = 0;
 out:
	sshbuf_free(b);
	return r;
}

/*
 * After the type string: nonce, the key's public fields, serial, type, key
 * id, principals, validity, critical options, extensions, reserved,
 * signature key, signature.  start is where the certificate blob begins
 * (the signed part runs from there to the signature).
 */
int
key_cert_parse(struct sshbuf *b, struct key *k, const uint8_t *start)
{
	struct key_cert *c = NULL;
	struct sshbuf *princ = NULL, *crit = NULL, *ext = NULL;
	const uint8_t *skblob, *sig;
	size_t skbloblen, siglen, signed_len;
	char *p = NULL, **np;
	int r;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_get_string_direct(b, NULL, NULL)) != 0 ||	/* nonce */
	    (r = key_plain_pub_get(b, k)) != 0 ||
	    (r = sshbuf_get_u64(b, &c->serial)) != 0 ||
	    (r = sshbuf_get_u32(b, &c->type)) != 0 ||
	    (r = sshbuf_get_cstring(b, &c->key_id, NULL)) != 0 ||
	    (r = sshbuf_froms(b, &princ)) != 0 ||
	    (r = sshbuf_get_u64(b, &c->valid_after)) != 0 ||
	    (r = sshbuf_get_u64(b, &c->valid_before)) != 0 ||
	    (r = sshbuf_froms(b, &crit)) != 0 ||
	    (r = sshbuf_froms(b, &ext)) != 0 ||
	    (r = sshbuf_get_string_direct(b, NULL, NULL)) != 0 ||	/* reserved */
	    (r = sshbuf_get_string_direct(b, &skblob, &skbloblen)) != 0)
		goto out;
	signed_len = (size_t)(sshbuf_ptr(b) - start);
	if ((r = sshbuf_get_string_direct(b, &sig, &siglen)) != 0)
		goto out;
	if (c->type != KEY_CERT_USER && c->type != KEY_CERT_HOST) {
		r = SKA_ERR_KEY_CERT_INVALID;
		goto out;
	}
	while (sshbuf_len(princ) > 0) {
		if (c->nprincipals >= CERT_MAX_PRINCIPALS) {
			r = SKA_ERR_KEY_CERT_INVALID;
			goto out;
		}
		if ((r = sshbuf_get_cstring(princ, &p, NULL)) != 0)
			goto out;
		np = reallocarray(c->principals, c->nprincipals + 1, sizeof(*np));
		if (np == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		c->principals = np;
		c->principals[c->nprincipals++] = p;
		p = NULL;
	}
	if ((r = check_options(crit)) != 0 || (r = check_options(ext)) != 0)
		goto out;
	if ((r = key_from_blob(skblob, skbloblen, &c->signature_key)) != 0)
		goto out;
	if (key_is_cert(c->signature_key)) {
		r = SKA_ERR_KEY_CERT_INVALID;
		goto out;
	}
	/* a bad signature makes a bad certificate; running out of memory not */
	if ((r = key_verify(c->signature_key, sig, siglen, start, signed_len,
	    NULL)) != 0) {
		if (r != SKA_ERR_ALLOC_FAIL && r != SKA_ERR_LIBCRYPTO)
			r = SKA_ERR_KEY_CERT_INVALID;
		goto out;
	}
	k->cert = c;
	c = NULL;
	r = 0;
 out:
	free(p);
	sshbuf_free(princ);
	sshbuf_free(crit);
	sshbuf_free(ext);
	key_cert_free(c);
	return r;
}

uint32_t
key_cert_type(const struct key *k)
{
	return key_is_cert(k) && k->cert != NULL ? k->cert->type : 0;
}

const struct key *
key_cert_signature_key(const struct key *k)
{
	return key_is_cert(k) && k->cert != NULL ? k->cert->signature_key : NULL;
}

const char *
key_cert_key_id(const struct key *k)
{
	return key_is_cert(k) && k->cert != NULL ? k->cert->key_id : NULL;
}

size_t
key_cert_nprincipals(const struct key *k)
{
	return key_is_cert(k) && k->cert != NULL ? k->cert->nprincipals : 0;
}

const char *
key_cert_principal(const struct key *k, size_t i)
{
	if (i >= key_cert_nprincipals(k))
		return NULL;
	return k->cert->principals[i];
}

int
key_cert_valid_at(const struct key *k, uint64_t now)
{
	if (!key_is_cert(k) || k->cert == NULL)
		return 0;
	return now >= k->cert->valid_after && now < k->cert->valid_before;
}

uint64_t
key_cert_valid_before(const struct key *k)
{
	if (!key_is_cert(k) || k->cert == NULL)
		return 0;
	return k->cert->valid_before;
}
