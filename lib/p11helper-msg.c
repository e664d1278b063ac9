/* skagent <-> skagent-pkcs11-helper messages: see p11helper-msg.h. */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "agent-proto.h"
#include "p11helper-msg.h"
#include "secmem.h"

static void
free_str(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

static void
free_blob(uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}

void
p11_msg_free(struct p11_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free_str(m->module);
	secmem_free_str(m->pin);
	free_blob(m->tbs, m->tbslen);
	for (i = 0; i < m->nkeys; i++) {
		free_blob(m->keys[i].blob, m->keys[i].bloblen);
		free_str(m->keys[i].label);
	}
	free(m->keys);
	free_blob(m->sig, m->siglen);
	sodium_memzero(m, sizeof(*m));
	free(m);
}

int
p11_frame_take(struct sshbuf *stream, struct sshbuf **bodyp)
{
	struct sshbuf *b = NULL;
	uint32_t len;
	int r;

	*bodyp = NULL;
	if (sshbuf_peek_u32(stream, &len) != 0)
		return SKA_ERR_MESSAGE_INCOMPLETE;
	if (len > P11_MSG_MAX)
		return SKA_ERR_STRING_TOO_LARGE;
	if (sshbuf_len(stream) - 4 < len)
		return SKA_ERR_MESSAGE_INCOMPLETE;
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_get_stringb(stream, b)) != 0) {
		sshbuf_free(b);
		return r;
	}
	*bodyp = b;
	return 0;
}

/* Appends u32 length | body. */
static int
put_frame(const struct sshbuf *body, struct sshbuf *out)
{
	if (sshbuf_len(body) > P11_MSG_MAX)
		return SKA_ERR_NO_BUFFER_SPACE;
	return sshbuf_put_stringb(out, body);
}

static int
put_head(struct sshbuf *b, uint8_t type, uint32_t seq)
{
	int r;

	if ((r = sshbuf_put_u8(b, P11_VERSION)) != 0 ||
	    (r = sshbuf_put_u8(b, type)) != 0 ||
	    (r = sshbuf_put_u32(b, seq)) != 0)
		return r;
	return 0;
}

/* A string of at most max bytes without NULs, "" giving NULL if empty_null. */
static int
get_str(struct sshbuf *b, size_t max, int empty_null, char **sp)
{
	const uint8_t *p;
	size_t len;
	int r;

	*sp = NULL;
	if ((r = sshbuf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if (len > max)
		return SKA_ERR_STRING_TOO_LARGE;
	if (len == 0 && empty_null)
		return sshbuf_get_string_direct(b, NULL, NULL);
	return sshbuf_get_cstring(b, sp, NULL);
}

/* A PIN: at most P11_PIN_MAX bytes without NULs, into locked memory. */
static int
get_pin(struct sshbuf *b, char **pinp)
{
	const uint8_t *p;
	size_t len;
	char *pin;
	int r;

	*pinp = NULL;
	if ((r = sshbuf_get_string_direct(b, &p, &len)) != 0)
		return r;
	if (len > P11_PIN_MAX)
		return SKA_ERR_STRING_TOO_LARGE;
	if (len == 0)
		return 0;
	if (memchr(p, '\0', len) != NULL)
		return SKA_ERR_INVALID_FORMAT;
	if ((pin = secmem_alloc(len + 1)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	memcpy(pin, p, len);
	*pinp = pin;
	return 0;
}

/* A bool written as 0 or 1, nothing else. */
static int
get_flag(struct sshbuf *b, int *vp)
{
	uint8_t v;
	int r;

	*vp = 0;
	if ((r = sshbuf_get_u8(b, &v)) != 0)
		return r;
	if (v > 1)
		return SKA_ERR_INVALID_FORMAT;
	*vp = v;
	return 0;
}

/* A string of 1..max bytes. */
static int
get_blob(struct sshbuf *b, size_t max, uint8_t **pp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	int r;

	*pp = NULL;
	*lenp = 0;
	if ((r = sshbuf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if (len > max)
		return SKA_ERR_STRING_TOO_LARGE;
	if (len == 0)
		return SKA_ERR_INVALID_FORMAT;
	return sshbuf_get_string(b, pp, lenp);
}

int
p11_put_load_req(uint32_t seq, const char *module, const char *pin,
    struct sshbuf *out)
{
	struct sshbuf *b = NULL;
	int r;

	if (module == NULL || out == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = put_head(b, P11_LOAD, seq)) != 0 ||
	    (r = sshbuf_put_cstring(b, module)) != 0 ||
	    (r = sshbuf_put_cstring(b, pin != NULL ? pin : "")) != 0)
		goto out;
	r = put_frame(b, out);
 out:
	sshbuf_free(b);		/* wipes the PIN */
	return r;
}

int
p11_put_sign_req(uint32_t seq, uint32_t key, uint32_t mech,
    const uint8_t *tbs, size_t tbslen, const char *pin, struct sshbuf *out)
{
	struct sshbuf *b = NULL;
	int r;

	if (tbs == NULL || tbslen == 0 || out == NULL ||
	    (pin != NULL && strlen(pin) > P11_PIN_MAX))
		return SKA_ERR_INVALID_ARGUMENT;
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = put_head(b, P11_SIGN, seq)) != 0 ||
	    (r = sshbuf_put_u32(b, key)) != 0 ||
	    (r = sshbuf_put_u32(b, mech)) != 0 ||
	    (r = sshbuf_put_string(b, tbs, tbslen)) != 0 ||
	    (r = sshbuf_put_cstring(b, pin != NULL ? pin : "")) != 0)
		goto out;
	r = put_frame(b, out);
 out:
	sshbuf_free(b);		/* wipes the PIN */
	return r;
}

/* version, type and seq; *bp is a view of the rest (caller frees). */
static int
get_head(const struct sshbuf *body, struct p11_msg *m, struct sshbuf **bp)
{
	struct sshbuf *b;
	uint8_t version;
	int r;

	*bp = NULL;
	if ((b = sshbuf_fromb(body)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_get_u8(b, &version)) != 0 ||
	    (r = sshbuf_get_u8(b, &m->type)) != 0 ||
	    (r = sshbuf_get_u32(b, &m->seq)) != 0) {
		sshbuf_free(b);
		return r;
	}
	if (version != P11_VERSION ||
	    (m->type != P11_LOAD && m->type != P11_SIGN)) {
		sshbuf_free(b);
		return SKA_ERR_FEATURE_UNSUPPORTED;
	}
	*bp = b;
	return 0;
}

int
p11_get_req(const struct sshbuf *body, struct p11_msg **mp)
{
	struct p11_msg *m = NULL;
	struct sshbuf *b = NULL;
	int r;

	if (body == NULL || mp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*mp = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = get_head(body, m, &b)) != 0)
		goto out;
	if (m->type == P11_LOAD) {
		if ((r = get_str(b, P11_PATH_MAX, 0, &m->module)) != 0 ||
		    (r = get_pin(b, &m->pin)) != 0)
			goto out;
		if (m->module[0] != '/') {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
	} else {
		if ((r = sshbuf_get_u32(b, &m->key)) != 0 ||
		    (r = sshbuf_get_u32(b, &m->mech)) != 0 ||
		    (r = get_blob(b, P11_MSG_MAX, &m->tbs, &m->tbslen)) != 0 ||
		    (r = get_pin(b, &m->pin)) != 0)
			goto out;
		if (m->mech < P11_MECH_RSA_PKCS || m->mech > P11_MECH_EDDSA) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	if (sshbuf_len(b) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
	*mp = m;
	m = NULL;
 out:
	sshbuf_free(b);
	p11_msg_free(m);
	return r;
}

int
p11_put_load_reply(uint32_t seq, uint32_t status, const struct p11_key *keys,
    size_t nkeys, struct sshbuf *out)
{
	struct sshbuf *b = NULL;
	size_t i;
	int r;

	if (out == NULL || (status == P11_OK &&
	    ((keys == NULL && nkeys != 0) || nkeys > P11_MAX_KEYS)))
		return SKA_ERR_INVALID_ARGUMENT;
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = put_head(b, P11_LOAD, seq)) != 0 ||
	    (r = sshbuf_put_u32(b, status)) != 0)
		goto out;
	if (status == P11_OK) {
		if ((r = sshbuf_put_u32(b, (uint32_t)nkeys)) != 0)
			goto out;
		for (i = 0; i < nkeys; i++) {
			if (keys[i].blob == NULL || keys[i].bloblen == 0 ||
			    keys[i].bloblen > P11_BLOB_MAX ||
			    (keys[i].label != NULL &&
			    strlen(keys[i].label) > P11_LABEL_MAX)) {
				r = SKA_ERR_INVALID_ARGUMENT;
				goto out;
			}
			if ((r = sshbuf_put_string(b, keys[i].blob,
			    keys[i].bloblen)) != 0 ||
			    (r = sshbuf_put_cstring(b, keys[i].label != NULL ?
			    keys[i].label : "")) != 0 ||
			    (r = sshbuf_put_u8(b, keys[i].always_auth ? 1 : 0)) != 0)
				goto out;
		}
	}
	r = put_frame(b, out);
 out:
	sshbuf_free(b);
	return r;
}

int
p11_put_sign_reply(uint32_t seq, uint32_t status, const uint8_t *sig,
    size_t siglen, struct sshbuf *out)
{
	struct sshbuf *b = NULL;
	int r;

	if (out == NULL || (status == P11_OK &&
	    (sig == NULL || siglen == 0 || siglen > P11_SIG_MAX)))
		return SKA_ERR_INVALID_ARGUMENT;
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = put_head(b, P11_SIGN, seq)) != 0 ||
	    (r = sshbuf_put_u32(b, status)) != 0)
		goto out;
	if (status == P11_OK && (r = sshbuf_put_string(b, sig, siglen)) != 0)
		goto out;
	r = put_frame(b, out);
 out:
	sshbuf_free(b);
	return r;
}

int
p11_get_reply(const struct sshbuf *body, struct p11_msg **mp)
{
	struct p11_msg *m = NULL;
	struct sshbuf *b = NULL;
	uint32_t n, i;
	int r;

	if (body == NULL || mp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*mp = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = get_head(body, m, &b)) != 0 ||
	    (r = sshbuf_get_u32(b, &m->status)) != 0)
		goto out;
	if (m->status == P11_OK && m->type == P11_LOAD) {
		if ((r = sshbuf_get_u32(b, &n)) != 0)
			goto out;
		if (n > P11_MAX_KEYS) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		if (n > 0 && (m->keys = calloc(n, sizeof(*m->keys))) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		for (i = 0; i < n; i++) {
			m->nkeys++;
			if ((r = get_blob(b, P11_BLOB_MAX, &m->keys[i].blob,
			    &m->keys[i].bloblen)) != 0 ||
			    (r = get_str(b, P11_LABEL_MAX, 0,
			    &m->keys[i].label)) != 0 ||
			    (r = get_flag(b, &m->keys[i].always_auth)) != 0)
				goto out;
		}
	} else if (m->status == P11_OK) {
		if ((r = get_blob(b, P11_SIG_MAX, &m->sig, &m->siglen)) != 0)
			goto out;
	}
	if (sshbuf_len(b) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
	*mp = m;
	m = NULL;
 out:
	sshbuf_free(b);
	p11_msg_free(m);
	return r;
}

const char *
p11_status_str(uint32_t status)
{
	switch (status) {
	case P11_OK:
		return "success";
	case P11_ERR_GENERAL:
		return "the PKCS#11 module failed";
	case P11_ERR_MODULE:
		return "not a PKCS#11 module, or it could not be loaded";
	case P11_ERR_PIN_INCORRECT:
		return "wrong PIN";
	case P11_ERR_PIN_LOCKED:
		return "PIN locked";
	case P11_ERR_PIN_LEN:
		return "PIN too short or too long";
	case P11_ERR_NO_KEYS:
		return "no signing keys on the token";
	case P11_ERR_LOGIN_REQUIRED:
		return "the token needs a PIN";
	case P11_ERR_KEY:
		return "the key is no longer on the token";
	case P11_ERR_LOGGED_OUT:
		return "the token logged out (removed?)";
	case P11_ERR_REQUEST:
		return "the helper refused the request";
	case P11_ERR_MECHANISM:
		return "the token cannot sign this way";
	default:
		return "unknown helper status";
	}
}

int
p11_status_err(uint32_t status)
{
	switch (status) {
	case P11_OK:
		return 0;
	case P11_ERR_PIN_INCORRECT:
		return SKA_ERR_PIN_INVALID;
	case P11_ERR_PIN_LOCKED:
		return SKA_ERR_PIN_BLOCKED;
	case P11_ERR_PIN_LEN:
		return SKA_ERR_PIN_POLICY;
	case P11_ERR_LOGIN_REQUIRED:
		return SKA_ERR_PIN_REQUIRED;
	case P11_ERR_NO_KEYS:
	case P11_ERR_KEY:
		return SKA_ERR_KEY_NOT_FOUND;
	case P11_ERR_LOGGED_OUT:
		return SKA_ERR_TOKEN_GONE;
	case P11_ERR_MECHANISM:
		return SKA_ERR_TOKEN_UNSUPPORTED;
	case P11_ERR_REQUEST:
		return SKA_ERR_INTERNAL;
	default:
		return SKA_ERR_TOKEN;
	}
}

/* Keys from attributes */

int
p11_blob_rsa(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
    struct sshbuf *out)
{
	struct sshbuf *b = NULL;
	struct key *k = NULL;
	int r;

	if (n == NULL || e == NULL || nlen == 0 || elen == 0 || out == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_cstring(b, "ssh-rsa")) != 0 ||
	    (r = sshbuf_put_bignum2_bytes(b, e, elen)) != 0 ||
	    (r = sshbuf_put_bignum2_bytes(b, n, nlen)) != 0)
		goto out;
	if ((r = key_from_blob(sshbuf_ptr(b), sshbuf_len(b), &k)) != 0)
		goto out;
	r = sshbuf_putb(out, b);
 out:
	key_free(k);
	sshbuf_free(b);
	return r;
}

/* DER OIDs of the curves (CKA_EC_PARAMS) */
static const uint8_t oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 };
static const uint8_t oid_ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
/* PrintableString "edwards25519" (PKCS#11 3.0) */
static const uint8_t str_ed25519[] = {
	0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'
};

#define IS(p, len, a)	((len) == sizeof(a) && memcmp((p), (a), sizeof(a)) == 0)

int
p11_blob_ec(const uint8_t *params, size_t plen, const uint8_t *point,
    size_t ptlen, struct sshbuf *out)
{
	ASN1_OCTET_STRING *os = NULL;
	const unsigned char *dp;
	const uint8_t *q;
	const char *type, *curve = NULL;
	struct sshbuf *b = NULL;
	struct key *k = NULL;
	size_t qlen, want;
	int r;

	if (params == NULL || point == NULL || plen == 0 || ptlen == 0 ||
	    out == NULL || ptlen > P11_BLOB_MAX)
		return SKA_ERR_INVALID_ARGUMENT;
	if (IS(params, plen, oid_p256)) {
		type = "ecdsa-sha2-nistp256";
		curve = "nistp256";
		want = 65;
	} else if (IS(params, plen, oid_p384)) {
		type = "ecdsa-sha2-nistp384";
		curve = "nistp384";
		want = 97;
	} else if (IS(params, plen, oid_p521)) {
		type = "ecdsa-sha2-nistp521";
		curve = "nistp521";
		want = 133;
	} else if (IS(params, plen, oid_ed25519) ||
	    IS(params, plen, str_ed25519)) {
		type = "ssh-ed25519";
		want = 32;
	} else
		return SKA_ERR_KEY_TYPE_UNKNOWN;
	/* the bare point, or a DER OCTET STRING around it */
	q = point;
	qlen = ptlen;
	if (qlen != want || (curve != NULL && q[0] != 0x04)) {
		dp = point;
		if ((os = d2i_ASN1_OCTET_STRING(NULL, &dp, (long)ptlen)) == NULL ||
		    dp != point + ptlen) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		q = ASN1_STRING_get0_data(os);
		qlen = (size_t)ASN1_STRING_length(os);
		if (qlen != want) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	if ((b = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_put_cstring(b, type)) != 0 ||
	    (curve != NULL && (r = sshbuf_put_cstring(b, curve)) != 0) ||
	    (r = sshbuf_put_string(b, q, qlen)) != 0)
		goto out;
	if ((r = key_from_blob(sshbuf_ptr(b), sshbuf_len(b), &k)) != 0)
		goto out;
	r = sshbuf_putb(out, b);
 out:
	ASN1_OCTET_STRING_free(os);
	key_free(k);
	sshbuf_free(b);
	return r;
}

/* Signatures */

/* DigestInfo prefixes (RFC 8017, 9.2 note 1) */
static const uint8_t di_sha1[] = {
	0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a,
	0x05, 0x00, 0x04, 0x14
};
static const uint8_t di_sha256[] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20
};
static const uint8_t di_sha512[] = {
	0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40
};

/* The signature algorithm name for a request with these flags. */
static const char *
sig_alg(const struct key *k, uint32_t flags)
{
	if (key_type(k) != KEY_RSA)
		return key_plain_type_name(k);
	if (flags & SSH_AGENT_RSA_SHA2_256)
		return "rsa-sha2-256";
	if (flags & SSH_AGENT_RSA_SHA2_512)
		return "rsa-sha2-512";
	return "ssh-rsa";
}

static int
digest(const EVP_MD *md, const uint8_t *data, size_t dlen, struct sshbuf *out)
{
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	int r;

	if (EVP_Digest(data, dlen, h, &hlen, md, NULL) != 1)
		return SKA_ERR_LIBCRYPTO;
	r = sshbuf_put(out, h, hlen);
	sodium_memzero(h, sizeof(h));
	return r;
}

int
p11_sign_input(const struct key *k, uint32_t flags, const uint8_t *data,
    size_t dlen, uint32_t *mechp, struct sshbuf *out)
{
	const char *alg;
	int r;

	if (k == NULL || mechp == NULL || out == NULL ||
	    (data == NULL && dlen != 0))
		return SKA_ERR_INVALID_ARGUMENT;
	switch (key_type(k)) {
	case KEY_RSA:
		*mechp = P11_MECH_RSA_PKCS;
		alg = sig_alg(k, flags);
		if (strcmp(alg, "rsa-sha2-256") == 0) {
			if ((r = sshbuf_put(out, di_sha256, sizeof(di_sha256))) != 0)
				return r;
			return digest(EVP_sha256(), data, dlen, out);
		}
		if (strcmp(alg, "rsa-sha2-512") == 0) {
			if ((r = sshbuf_put(out, di_sha512, sizeof(di_sha512))) != 0)
				return r;
			return digest(EVP_sha512(), data, dlen, out);
		}
		if ((r = sshbuf_put(out, di_sha1, sizeof(di_sha1))) != 0)
			return r;
		return digest(EVP_sha1(), data, dlen, out);
	case KEY_ECDSA:
		*mechp = P11_MECH_ECDSA;
		switch (key_ecdsa_curve_bits(k)) {
		case 256:
			return digest(EVP_sha256(), data, dlen, out);
		case 384:
			return digest(EVP_sha384(), data, dlen, out);
		case 521:
			return digest(EVP_sha512(), data, dlen, out);
		}
		return SKA_ERR_KEY_TYPE_UNKNOWN;
	case KEY_ED25519:
		*mechp = P11_MECH_EDDSA;
		if (dlen == 0)
			return SKA_ERR_INVALID_ARGUMENT;	/* C_Sign needs bytes */
		return sshbuf_put(out, data, dlen);
	default:
		return SKA_ERR_KEY_TYPE_UNKNOWN;
	}
}

int
p11_sign_result(const struct key *k, uint32_t flags, const uint8_t *data,
    size_t dlen, const uint8_t *raw, size_t rawlen, struct sshbuf *sig)
{
	struct sshbuf *s = NULL, *inner = NULL;
	const char *alg;
	uint8_t *padded = NULL;
	size_t modlen, half;
	int r;

	if (k == NULL || raw == NULL || rawlen == 0 || sig == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	alg = sig_alg(k, flags);
	if ((s = sshbuf_new()) == NULL || (inner = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_put_cstring(s, alg)) != 0)
		goto out;
	switch (key_type(k)) {
	case KEY_RSA:
		/* s as long as the modulus: a module may drop leading zeroes */
		modlen = (key_bits(k) + 7) / 8;
		if (rawlen > modlen) {
			r = SKA_ERR_SIGNATURE_INVALID;
			goto out;
		}
		if ((padded = calloc(1, modlen)) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		memcpy(padded + (modlen - rawlen), raw, rawlen);
		r = sshbuf_put_string(s, padded, modlen);
		break;
	case KEY_ECDSA:
		if (rawlen % 2 != 0 || rawlen > 2 * 66) {
			r = SKA_ERR_SIGNATURE_INVALID;
			goto out;
		}
		half = rawlen / 2;
		if ((r = sshbuf_put_bignum2_bytes(inner, raw, half)) != 0 ||
		    (r = sshbuf_put_bignum2_bytes(inner, raw + half, half)) != 0)
			goto out;
		r = sshbuf_put_stringb(s, inner);
		break;
	case KEY_ED25519:
		if (rawlen != 64) {
			r = SKA_ERR_SIGNATURE_INVALID;
			goto out;
		}
		r = sshbuf_put_string(s, raw, rawlen);
		break;
	default:
		r = SKA_ERR_KEY_TYPE_UNKNOWN;
		break;
	}
	if (r != 0)
		goto out;
	if (key_verify(k, sshbuf_ptr(s), sshbuf_len(s), data, dlen, alg) != 0) {
		r = SKA_ERR_SIGNATURE_INVALID;
		goto out;
	}
	r = sshbuf_putb(sig, s);
 out:
	free(padded);
	sshbuf_free(inner);
	sshbuf_free(s);
	return r;
}
