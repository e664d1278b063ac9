/* Key objects: types, public blobs, private forms, fingerprints, dispatch. */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "key-impl.h"
#include "secmem.h"

#define CERT_SUFFIX "-cert-v01@openssh.com"

static const struct key_typeinfo keytypes[] = {
	{ "ssh-ed25519", "ED25519", "ssh-ed25519", KEY_ED25519, 0, 0 },
	{ "ecdsa-sha2-nistp256", "ECDSA", "ecdsa-sha2-nistp256", KEY_ECDSA, 0, 256 },
	{ "ecdsa-sha2-nistp384", "ECDSA", "ecdsa-sha2-nistp384", KEY_ECDSA, 0, 384 },
	{ "ecdsa-sha2-nistp521", "ECDSA", "ecdsa-sha2-nistp521", KEY_ECDSA, 0, 521 },
	{ "ssh-rsa", "RSA", "ssh-rsa", KEY_RSA, 0, 0 },
	{ "sk-ssh-ed25519@openssh.com", "ED25519-SK",
	    "sk-ssh-ed25519@openssh.com", KEY_ED25519_SK, 0, 0 },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK",
	    "sk-ecdsa-sha2-nistp256@openssh.com", KEY_ECDSA_SK, 0, 256 },
	{ "ssh-ed25519-cert-v01@openssh.com", "ED25519-CERT", "ssh-ed25519",
	    KEY_ED25519, 1, 0 },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", "ECDSA-CERT",
	    "ecdsa-sha2-nistp256", KEY_ECDSA, 1, 256 },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", "ECDSA-CERT",
	    "ecdsa-sha2-nistp384", KEY_ECDSA, 1, 384 },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", "ECDSA-CERT",
	    "ecdsa-sha2-nistp521", KEY_ECDSA, 1, 521 },
	{ "ssh-rsa-cert-v01@openssh.com", "RSA-CERT", "ssh-rsa", KEY_RSA, 1, 0 },
	{ "sk-ssh-ed25519-cert-v01@openssh.com", "ED25519-SK-CERT",
	    "sk-ssh-ed25519@openssh.com", KEY_ED25519_SK, 1, 0 },
	{ "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "ECDSA-SK-CERT",
	    "sk-ecdsa-sha2-nistp256@openssh.com", KEY_ECDSA_SK, 1, 256 },
};
#define NKEYTYPES (sizeof(keytypes) / sizeof(keytypes[0]))

const struct key_typeinfo *
key_typeinfo_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NKEYTYPES; i++) {
		if (strlen(keytypes[i].name) == len &&
		    memcmp(keytypes[i].name, name, len) == 0)
			return &keytypes[i];
	}
	return NULL;
}

static const struct key_typeinfo *
typeinfo_find(enum key_type t, int cert, int bits)
{
	size_t i;

	for (i = 0; i < NKEYTYPES; i++) {
		if (keytypes[i].type == t && keytypes[i].cert == cert &&
		    keytypes[i].ecdsa_bits == bits)
			return &keytypes[i];
	}
	return NULL;
}

const struct key_typeinfo *
key_typeinfo_plain(const struct key_typeinfo *ti)
{
	return ti->cert ? typeinfo_find(ti->type, 0, ti->ecdsa_bits) : ti;
}

const struct key_typeinfo *
key_typeinfo_cert(const struct key_typeinfo *ti)
{
	return ti->cert ? ti : typeinfo_find(ti->type, 1, ti->ecdsa_bits);
}

int
key_type_name_valid(const char *name)
{
	return name != NULL && key_typeinfo_by_name(name, strlen(name)) != NULL;
}

enum key_type
key_type_name_type(const char *name)
{
	const struct key_typeinfo *ti;

	if (name == NULL || (ti = key_typeinfo_by_name(name, strlen(name))) == NULL)
		return KEY_UNSPEC;
	return ti->type;
}

struct key *
key_alloc(const struct key_typeinfo *ti)
{
	struct key *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->ti = ti;
	return k;
}

int
key_crypto_err(int r)
{
	unsigned long e;
	int oom = 0;

	while ((e = ERR_get_error()) != 0)
		if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
			oom = 1;
	return oom ? SKA_ERR_ALLOC_FAIL : r;
}

void
key_free(struct key *k)
{
	if (k == NULL)
		return;
	key_ed25519_free(k);
	key_ecdsa_free(k);
	key_rsa_free(k);
	key_cert_free(k->cert);
	free(k->blob);
	free(k->plain_blob);
	free(k->sk_application);
	if (k->sk_key_handle != NULL) {
		sodium_memzero(k->sk_key_handle, k->sk_key_handle_len);
		free(k->sk_key_handle);
	}
	sodium_memzero(k, sizeof(*k));
	free(k);
}

/* Properties */

enum key_type
key_type(const struct key *k)
{
	return k == NULL ? KEY_UNSPEC : k->ti->type;
}

int
key_is_cert(const struct key *k)
{
	return k != NULL && k->ti->cert;
}

int
key_is_sk(const struct key *k)
{
	return k != NULL &&
	    (k->ti->type == KEY_ED25519_SK || k->ti->type == KEY_ECDSA_SK);
}

int
key_has_private(const struct key *k)
{
	return k != NULL && k->has_private;
}

const char *
key_type_name(const struct key *k)
{
	return k == NULL ? "unknown" : k->ti->name;
}

const char *
key_plain_type_name(const struct key *k)
{
	return k == NULL ? "unknown" : key_typeinfo_plain(k->ti)->name;
}

const char *
key_type_short(const struct key *k)
{
	return k == NULL ? "UNKNOWN" : k->ti->shortname;
}

unsigned int
key_bits(const struct key *k)
{
	if (k == NULL)
		return 0;
	switch (k->ti->type) {
	case KEY_ED25519:
	case KEY_ED25519_SK:
		return 256;
	case KEY_ECDSA:
	case KEY_ECDSA_SK:
		return (unsigned int)k->ti->ecdsa_bits;
	case KEY_RSA:
		return key_rsa_bits(k);
	default:
		return 0;
	}
}

int
key_ecdsa_curve_bits(const struct key *k)
{
	return k == NULL ? 0 : k->ti->ecdsa_bits;
}

const char *
key_sk_application(const struct key *k)
{
	return key_is_sk(k) ? k->sk_application : NULL;
}

uint8_t
key_sk_flags(const struct key *k)
{
	return key_is_sk(k) ? k->sk_flags : 0;
}

int
key_sk_set_flags(struct key *k, uint8_t flags)
{
	if (!key_is_sk(k) || key_is_cert(k))
		return SKA_ERR_INVALID_ARGUMENT;
	k->sk_flags = flags;
	return 0;
}

const uint8_t *
key_sk_key_handle(const struct key *k, size_t *lenp)
{
	if (!key_is_sk(k) || k->sk_key_handle == NULL) {
		if (lenp != NULL)
			*lenp = 0;
		return NULL;
	}
	if (lenp != NULL)
		*lenp = k->sk_key_handle_len;
	return k->sk_key_handle;
}

const uint8_t *
key_ed25519_public(const struct key *k)
{
	if (k == NULL || (k->ti->type != KEY_ED25519 &&
	    k->ti->type != KEY_ED25519_SK))
		return NULL;
	return k->ed25519_pk;
}

/* Public blobs */

/* The plain (non-certificate) public fields after the type string. */
static int
plain_pub_put(const struct key *k, struct sshbuf *b)
{
	int r;

	switch (k->ti->type) {
	case KEY_ED25519:
	case KEY_ED25519_SK:
		r = key_ed25519_pub_put(k, b);
		break;
	case KEY_ECDSA:
	case KEY_ECDSA_SK:
		r = key_ecdsa_pub_put(k, b);
		break;
	case KEY_RSA:
		r = key_rsa_pub_put(k, b);
		break;
	default:
		return SKA_ERR_KEY_TYPE_UNKNOWN;
	}
	if (r == 0 && key_is_sk(k))
		r = sshbuf_put_cstring(b, k->sk_application);
	return r;
}

/* Reads the plain public fields of k's type (used by certificates too). */
int
key_plain_pub_get(struct sshbuf *b, struct key *k)
{
	int r;

	switch (k->ti->type) {
	case KEY_ED25519:
	case KEY_ED25519_SK:
		r = key_ed25519_pub_get(b, k);
		break;
	case KEY_ECDSA:
	case KEY_ECDSA_SK:
		r = key_ecdsa_pub_get(b, k);
		break;
	case KEY_RSA:
		r = key_rsa_pub_get(b, k);
		break;
	default:
		return SKA_ERR_KEY_TYPE_UNKNOWN;
	}
	if (r == 0 && key_is_sk(k))
		r = sshbuf_get_cstring(b, &k->sk_application, NULL);
	return r;
}

int
key_plain_blob(const struct key *k, struct sshbuf *out)
{
	int r;

	if ((r = sshbuf_put_cstring(out, key_typeinfo_plain(k->ti)->name)) != 0)
		return r;
	return plain_pub_put(k, out);
}

/* The plain blob of a key or of a certificate's key, without copying. */
static const uint8_t *
plain_blob_ref(const struct key *k, size_t *lenp)
{
	*lenp = k->ti->cert ? k->plain_bloblen : k->bloblen;
	return k->ti->cert ? k->plain_blob : k->blob;
}

/* Certificates keep their key's plain blob: comparisons never allocate. */
static int
cache_plain_blob(struct key *k)
{
	struct sshbuf *b = NULL;
	int r;

	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = key_plain_blob(k, b)) != 0)
		goto out;
	if ((k->plain_blob = malloc(sshbuf_len(b))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	k->plain_bloblen = sshbuf_len(b);
	memcpy(k->plain_blob, sshbuf_ptr(b), k->plain_bloblen);
	r = 0;
 out:
	sshbuf_free(b);
	return r;
}

int
key_cache_blob(struct key *k)
{
	struct sshbuf *b = NULL;
	int r;

	if (k->ti->cert)
		return SKA_ERR_INTERNAL;
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = key_plain_blob(k, b)) != 0)
		goto out;
	free(k->blob);
	k->bloblen = sshbuf_len(b);
	if ((k->blob = malloc(k->bloblen)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	memcpy(k->blob, sshbuf_ptr(b), k->bloblen);
	r = 0;
 out:
	sshbuf_free(b);
	return r;
}

static int
set_blob(struct key *k, const uint8_t *p, size_t len)
{
	uint8_t *d;

	if ((d = malloc(len == 0 ? 1 : len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	memcpy(d, p, len);
	free(k->blob);
	k->blob = d;
	k->bloblen = len;
	return 0;
}

/*
 * Reads a public key (plain or certificate) from b, consuming exactly its
 * fields.  The cached blob is the bytes consumed.
 */
static int
key_pub_get(struct sshbuf *b, struct key **keyp)
{
	const struct key_typeinfo *ti;
	const uint8_t *start, *name;
	size_t namelen, before;
	struct key *k = NULL;
	int r;

	*keyp = NULL;
	start = sshbuf_ptr(b);
	before = sshbuf_len(b);
	if ((r = sshbuf_get_string_direct(b, &name, &namelen)) != 0)
		goto out;
	if ((ti = key_typeinfo_by_name((const char *)name, namelen)) == NULL) {
		r = SKA_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if ((k = key_alloc(ti)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (ti->cert) {
		if ((r = key_cert_parse(b, k, start)) == 0)
			r = cache_plain_blob(k);
	} else
		r = key_plain_pub_get(b, k);
	if (r != 0)
		goto out;
	if ((r = set_blob(k, start, before - sshbuf_len(b))) != 0)
		goto out;
	r = 0;
	*keyp = k;
	k = NULL;
 out:
	key_free(k);
	return r;
}

int
key_from_blob(const uint8_t *blob, size_t len, struct key **keyp)
{
	struct sshbuf *b = NULL;
	struct key *k = NULL;
	int r;

	if (keyp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if ((b = sshbuf_from(blob, len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = key_pub_get(b, &k)) != 0)
		goto out;
	if (sshbuf_len(b) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
	*keyp = k;
	k = NULL;
 out:
	key_free(k);
	sshbuf_free(b);
	return r;
}

int
key_to_blob(const struct key *k, struct sshbuf *out)
{
	if (k == NULL || k->blob == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	return sshbuf_put(out, k->blob, k->bloblen);
}

const uint8_t *
key_blob(const struct key *k, size_t *lenp)
{
	if (lenp != NULL)
		*lenp = k == NULL ? 0 : k->bloblen;
	return k == NULL ? NULL : k->blob;
}

int
key_equal_public(const struct key *a, const struct key *b)
{
	const uint8_t *pa, *pb;
	size_t la, lb;

	if (a == NULL || b == NULL ||
	    key_typeinfo_plain(a->ti) != key_typeinfo_plain(b->ti))
		return 0;
	pa = plain_blob_ref(a, &la);
	pb = plain_blob_ref(b, &lb);
	return pa != NULL && pb != NULL && la == lb && memcmp(pa, pb, la) == 0;
}

int
key_equal(const struct key *a, const struct key *b)
{
	return a != NULL && b != NULL && a->ti == b->ti &&
	    a->bloblen == b->bloblen &&
	    memcmp(a->blob, b->blob, a->bloblen) == 0;
}

int
key_public_copy(const struct key *k, struct key **keyp)
{
	if (k == NULL || keyp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	return key_from_blob(k->blob, k->bloblen, keyp);
}

int
key_dup(const struct key *k, struct key **keyp)
{
	struct sshbuf *b = NULL;
	int r;

	if (k == NULL || keyp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if (!k->has_private)
		return key_public_copy(k, keyp);
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = key_private_serialize(k, b)) == 0)
		r = key_private_deserialize(b, keyp);
	sshbuf_free(b);	/* wipes */
	return r;
}

int
key_drop_cert(const struct key *k, struct key **keyp)
{
	const uint8_t *p;
	size_t len;

	if (k == NULL || keyp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if ((p = plain_blob_ref(k, &len)) == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	return key_from_blob(p, len, keyp);
}

/* Private forms */

static int
sk_priv_get(struct sshbuf *b, struct key *k, int with_app)
{
	uint8_t *kh = NULL;
	size_t khlen;
	int r;

	if (with_app) {
		free(k->sk_application);
		k->sk_application = NULL;
		if ((r = sshbuf_get_cstring(b, &k->sk_application, NULL)) != 0)
			return r;
	}
	if ((r = sshbuf_get_u8(b, &k->sk_flags)) != 0 ||
	    (r = sshbuf_get_string(b, &kh, &khlen)) != 0)
		return r;
	if ((r = sshbuf_get_string_direct(b, NULL, NULL)) != 0) {	/* reserved */
		free(kh);
		return r;
	}
	k->sk_key_handle = kh;
	k->sk_key_handle_len = khlen;
	return 0;
}

static int
sk_priv_put(const struct key *k, struct sshbuf *b)
{
	int r;

	if ((r = sshbuf_put_cstring(b, k->sk_application)) != 0 ||
	    (r = sshbuf_put_u8(b, k->sk_flags)) != 0 ||
	    (r = sshbuf_put_string(b, k->sk_key_handle,
	    k->sk_key_handle_len)) != 0 ||
	    (r = sshbuf_put_string(b, NULL, 0)) != 0)
		return r;
	return 0;
}

int
key_private_deserialize(struct sshbuf *b, struct key **keyp)
{
	const struct key_typeinfo *ti;
	struct sshbuf *cb = NULL;
	struct key *k = NULL;
	const uint8_t *name, *pk;
	size_t namelen, pklen;
	char *app = NULL;
	int r;

	if (keyp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if ((r = sshbuf_get_string_direct(b, &name, &namelen)) != 0)
		goto out;
	if ((ti = key_typeinfo_by_name((const char *)name, namelen)) == NULL) {
		r = SKA_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if (ti->cert) {
		/* string certblob, then the private fields */
		if ((r = sshbuf_froms(b, &cb)) != 0)
			goto out;
		if ((r = key_from_blob(sshbuf_ptr(cb), sshbuf_len(cb), &k)) != 0)
			goto out;
		if (k->ti != ti) {
			r = SKA_ERR_KEY_CERT_MISMATCH;
			goto out;
		}
		switch (ti->type) {
		case KEY_ED25519:
		case KEY_ED25519_SK:
			/* the public key again; must match the certificate */
			if ((r = sshbuf_get_string_direct(b, &pk, &pklen)) != 0)
				goto out;
			if (pklen != ED25519_PK_LEN ||
			    memcmp(pk, k->ed25519_pk, pklen) != 0) {
				r = SKA_ERR_KEY_CERT_MISMATCH;
				goto out;
			}
			if (ti->type == KEY_ED25519)
				r = key_ed25519_priv_get(b, k);
			else {
				if ((r = sshbuf_get_cstring(b, &app, NULL)) != 0)
					goto out;
				if (strcmp(app, k->sk_application) != 0) {
					r = SKA_ERR_KEY_CERT_MISMATCH;
					goto out;
				}
				r = sk_priv_get(b, k, 0);
			}
			break;
		case KEY_ECDSA:
			r = key_ecdsa_priv_get(b, k);
			break;
		case KEY_RSA:
			r = key_rsa_priv_get(b, k);
			break;
		case KEY_ECDSA_SK:
			if ((r = sshbuf_get_cstring(b, &app, NULL)) != 0)
				goto out;
			if (strcmp(app, k->sk_application) != 0) {
				r = SKA_ERR_KEY_CERT_MISMATCH;
				goto out;
			}
			r = sk_priv_get(b, k, 0);
			break;
		default:
			r = SKA_ERR_KEY_TYPE_UNKNOWN;
		}
		if (r != 0)
			goto out;
	} else {
		if ((k = key_alloc(ti)) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		switch (ti->type) {
		case KEY_ED25519:
			if ((r = key_ed25519_pub_get(b, k)) != 0 ||
			    (r = key_ed25519_priv_get(b, k)) != 0)
				goto out;
			break;
		case KEY_ECDSA:
			/* curve, Q, d: the public fields then the scalar */
			if ((r = key_ecdsa_pub_get(b, k)) != 0 ||
			    (r = key_ecdsa_priv_get(b, k)) != 0)
				goto out;
			break;
		case KEY_RSA:
			if ((r = key_rsa_priv_get(b, k)) != 0)
				goto out;
			break;
		case KEY_ED25519_SK:
			if ((r = key_ed25519_pub_get(b, k)) != 0 ||
			    (r = sk_priv_get(b, k, 1)) != 0)
				goto out;
			break;
		case KEY_ECDSA_SK:
			if ((r = key_ecdsa_pub_get(b, k)) != 0 ||
			    (r = sk_priv_get(b, k, 1)) != 0)
				goto out;
			break;
		default:
			r = SKA_ERR_KEY_TYPE_UNKNOWN;
			goto out;
		}
		if ((r = key_cache_blob(k)) != 0)
			goto out;
	}
	k->has_private = 1;
	r = 0;
	*keyp = k;
	k = NULL;
 out:
	free(app);
	sshbuf_free(cb);
	key_free(k);
	return r;
}

int
key_private_serialize(const struct key *k, struct sshbuf *out)
{
	int r;

	if (k == NULL || !k->has_private)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((r = sshbuf_put_cstring(out, k->ti->name)) != 0)
		return r;
	if (k->ti->cert) {
		if ((r = sshbuf_put_string(out, k->blob, k->bloblen)) != 0)
			return r;
		switch (k->ti->type) {
		case KEY_ED25519:
			if ((r = key_ed25519_pub_put(k, out)) != 0)
				return r;
			return key_ed25519_priv_put(k, out);
		case KEY_ED25519_SK:
			if ((r = key_ed25519_pub_put(k, out)) != 0)
				return r;
			return sk_priv_put(k, out);
		case KEY_ECDSA:
			return key_ecdsa_priv_put(k, out);
		case KEY_RSA:
			return key_rsa_priv_put(k, out);
		case KEY_ECDSA_SK:
			return sk_priv_put(k, out);
		default:
			return SKA_ERR_KEY_TYPE_UNKNOWN;
		}
	}
	switch (k->ti->type) {
	case KEY_ED25519:
		if ((r = key_ed25519_pub_put(k, out)) != 0)
			return r;
		return key_ed25519_priv_put(k, out);
	case KEY_ECDSA:
		if ((r = key_ecdsa_pub_put(k, out)) != 0)
			return r;
		return key_ecdsa_priv_put(k, out);
	case KEY_RSA:
		return key_rsa_priv_put(k, out);
	case KEY_ED25519_SK:
		if ((r = key_ed25519_pub_put(k, out)) != 0)
			return r;
		return sk_priv_put(k, out);
	case KEY_ECDSA_SK:
		if ((r = key_ecdsa_pub_put(k, out)) != 0)
			return r;
		return sk_priv_put(k, out);
	default:
		return SKA_ERR_KEY_TYPE_UNKNOWN;
	}
}

/* Text forms */

int
key_from_public_line(const char *line, struct key **keyp, char **commentp)
{
	const char *p = line, *t, *b64s;
	size_t tlen, b64len;
	char *b64 = NULL, *comment = NULL;
	struct sshbuf *b = NULL;
	struct key *k = NULL;
	int r;

	if (keyp == NULL || line == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if (commentp != NULL)
		*commentp = NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	t = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	tlen = (size_t)(p - t);
	while (*p == ' ' || *p == '\t')
		p++;
	b64s = p;
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' &&
	    *p != '\n')
		p++;
	b64len = (size_t)(p - b64s);
	if (tlen == 0 || b64len == 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if (key_typeinfo_by_name(t, tlen) == NULL) {
		r = SKA_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	if ((b64 = strndup(b64s, b64len)) == NULL ||
	    (b = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_b64tod(b, b64)) != 0)
		goto out;
	if ((r = key_from_blob(sshbuf_ptr(b), sshbuf_len(b), &k)) != 0)
		goto out;
	if (strlen(k->ti->name) != tlen || memcmp(k->ti->name, t, tlen) != 0) {
		r = SKA_ERR_KEY_TYPE_MISMATCH;
		goto out;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (commentp != NULL) {
		size_t clen = strcspn(p, "\r\n");

		while (clen > 0 && (p[clen - 1] == ' ' || p[clen - 1] == '\t'))
			clen--;
		if ((comment = strndup(p, clen)) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		*commentp = comment;
		comment = NULL;
	}
	r = 0;
	*keyp = k;
	k = NULL;
 out:
	free(b64);
	free(comment);
	sshbuf_free(b);
	key_free(k);
	return r;
}

int
key_to_public_line(const struct key *k, const char *comment, char **linep)
{
	struct sshbuf *b = NULL;
	char *b64 = NULL, *line = NULL;
	int r;

	if (k == NULL || linep == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*linep = NULL;
	if ((b = sshbuf_from(k->blob, k->bloblen)) == NULL ||
	    (b64 = sshbuf_dtob64_string(b, 0)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (asprintf(&line, "%s %s%s%s", k->ti->name, b64,
	    comment != NULL && *comment != '\0' ? " " : "",
	    comment != NULL ? comment : "") < 0) {
		line = NULL;
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	r = 0;
	*linep = line;
	line = NULL;
 out:
	free(b64);
	sshbuf_free(b);
	return r;
}

char *
key_fingerprint_blob(const uint8_t *blob, size_t len, enum key_fp_hash h)
{
	uint8_t d[crypto_hash_sha256_BYTES];
	unsigned int dlen = 0;
	char *s, b64[64];
	size_t i, n;

	if (h == KEY_FP_MD5) {
		if (EVP_Digest(blob, len, d, &dlen, EVP_md5(), NULL) != 1)
			return NULL;
		if ((s = malloc(4 + dlen * 3)) == NULL)
			return NULL;
		memcpy(s, "MD5:", 4);
		for (i = 0, n = 4; i < dlen; i++)
			n += (size_t)snprintf(s + n, 4, "%s%02x", i ? ":" : "", d[i]);
		return s;
	}
	crypto_hash_sha256(d, blob, len);
	sodium_bin2base64(b64, sizeof(b64), d, sizeof(d),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	if (asprintf(&s, "SHA256:%s", b64) < 0)
		return NULL;
	return s;
}

/* As ssh-keygen -l and ssh-add -l: a certificate shows its key's. */
char *
key_fingerprint(const struct key *k, enum key_fp_hash h)
{
	const uint8_t *p;
	size_t len;

	if (k == NULL || (p = plain_blob_ref(k, &len)) == NULL)
		return NULL;
	return key_fingerprint_blob(p, len, h);
}

/* Signatures */

int
key_sign(const struct key *k, const uint8_t *data, size_t dlen,
    const char *alg, struct sshbuf *sig)
{
	if (k == NULL || sig == NULL || (data == NULL && dlen != 0))
		return SKA_ERR_INVALID_ARGUMENT;
	if (!k->has_private)
		return SKA_ERR_KEY_INVALID;
	switch (k->ti->type) {
	case KEY_ED25519:
		if (alg != NULL && strcmp(alg, k->ti->sigalg) != 0)
			return SKA_ERR_SIGNATURE_INVALID;
		return key_ed25519_sign(k, data, dlen, sig);
	case KEY_ECDSA:
		if (alg != NULL && strcmp(alg, k->ti->sigalg) != 0)
			return SKA_ERR_SIGNATURE_INVALID;
		return key_ecdsa_sign(k, data, dlen, sig);
	case KEY_RSA:
		return key_rsa_sign(k, data, dlen, alg, sig);
	case KEY_ED25519_SK:
	case KEY_ECDSA_SK:
		return SKA_ERR_FEATURE_UNSUPPORTED;	/* the token signs */
	default:
		return SKA_ERR_KEY_TYPE_UNKNOWN;
	}
}

int
key_verify(const struct key *k, const uint8_t *sig, size_t slen,
    const uint8_t *data, size_t dlen, const char *alg)
{
	struct sshbuf *b = NULL;
	const uint8_t *salg;
	size_t salglen;
	char *sigalg = NULL;
	int r;

	if (k == NULL || sig == NULL || (data == NULL && dlen != 0))
		return SKA_ERR_INVALID_ARGUMENT;
	if ((b = sshbuf_from(sig, slen)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_peek_string_direct(b, &salg, &salglen)) != 0)
		goto out;
	if ((sigalg = strndup((const char *)salg, salglen)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (strlen(sigalg) != salglen || (alg != NULL && strcmp(alg, sigalg) != 0)) {
		r = SKA_ERR_SIGNATURE_INVALID;
		goto out;
	}
	switch (k->ti->type) {
	case KEY_ED25519:
		r = key_ed25519_verify(k, b, data, dlen);
		break;
	case KEY_ECDSA:
		r = key_ecdsa_verify(k, b, data, dlen);
		break;
	case KEY_RSA:
		r = key_rsa_verify(k, b, data, dlen, sigalg);
		break;
	case KEY_ED25519_SK:
	case KEY_ECDSA_SK:
		r = key_sk_verify(k, b, data, dlen);
		break;
	default:
		r = SKA_ERR_KEY_TYPE_UNKNOWN;
	}
	if (r == 0 && sshbuf_len(b) != 0)
		r = SKA_ERR_INVALID_FORMAT;
 out:
	free(sigalg);
	sshbuf_free(b);
	return r;
}

int
key_generate(enum key_type t, unsigned int bits, struct key **keyp)
{
	const struct key_typeinfo *ti;
	struct key *k = NULL;
	int r;

	if (keyp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	switch (t) {
	case KEY_ED25519:
		ti = typeinfo_find(t, 0, 0);
		break;
	case KEY_ECDSA:
		if (bits == 0)
			bits = 256;
		if (bits != 256 && bits != 384 && bits != 521)
			return SKA_ERR_KEY_LENGTH;
		ti = typeinfo_find(t, 0, (int)bits);
		break;
	case KEY_RSA:
		if (bits == 0)
			bits = 3072;
		if (bits < KEY_RSA_MIN_BITS || bits > KEY_RSA_MAX_BITS)
			return SKA_ERR_KEY_LENGTH;
		ti = typeinfo_find(t, 0, 0);
		break;
	default:
		return SKA_ERR_KEY_TYPE_UNKNOWN;
	}
	if (ti == NULL || (k = key_alloc(ti)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	switch (t) {
	case KEY_ED25519:
		r = key_ed25519_generate(k);
		break;
	case KEY_ECDSA:
		r = key_ecdsa_generate(k, (int)bits);
		break;
	default:
		r = key_rsa_generate(k, bits);
		break;
	}
	if (r != 0 || (r = key_cache_blob(k)) != 0)
		goto out;
	k->has_private = 1;
	*keyp = k;
	k = NULL;
 out:
	key_free(k);
	return r;
}
