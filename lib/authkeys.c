#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "authkeys.h"
#include "key.h"
#include "sshbuf.h"

enum shape {
	SHAPE_ED25519, SHAPE_ED25519_SK, SHAPE_ECDSA, SHAPE_ECDSA_SK,
	SHAPE_RSA, SHAPE_DSA,
};

static const struct ktype {
	const char *name;
	enum shape shape;	/* of the key, or of the certified key */
	int cert;
	int sk;
	const char *curve;
	size_t qlen;		/* uncompressed point */
} ktypes[] = {
	{ "ssh-ed25519", SHAPE_ED25519, 0, 0, NULL, 0 },
	{ "sk-ssh-ed25519@openssh.com", SHAPE_ED25519_SK, 0, 1, NULL, 0 },
	{ "ecdsa-sha2-nistp256", SHAPE_ECDSA, 0, 0, "nistp256", 65 },
	{ "ecdsa-sha2-nistp384", SHAPE_ECDSA, 0, 0, "nistp384", 97 },
	{ "ecdsa-sha2-nistp521", SHAPE_ECDSA, 0, 0, "nistp521", 133 },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", SHAPE_ECDSA_SK, 0, 1,
	    "nistp256", 65 },
	{ "ssh-rsa", SHAPE_RSA, 0, 0, NULL, 0 },
	{ "ssh-dss", SHAPE_DSA, 0, 0, NULL, 0 },
	{ "ssh-ed25519-cert-v01@openssh.com", SHAPE_ED25519, 1, 0, NULL, 0 },
	{ "sk-ssh-ed25519-cert-v01@openssh.com", SHAPE_ED25519_SK, 1, 1,
	    NULL, 0 },
	{ "ecdsa-sha2-nistp256-cert-v01@openssh.com", SHAPE_ECDSA, 1, 0,
	    "nistp256", 65 },
	{ "ecdsa-sha2-nistp384-cert-v01@openssh.com", SHAPE_ECDSA, 1, 0,
	    "nistp384", 97 },
	{ "ecdsa-sha2-nistp521-cert-v01@openssh.com", SHAPE_ECDSA, 1, 0,
	    "nistp521", 133 },
	{ "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", SHAPE_ECDSA_SK, 1, 1,
	    "nistp256", 65 },
	{ "ssh-rsa-cert-v01@openssh.com", SHAPE_RSA, 1, 0, NULL, 0 },
	{ "ssh-dss-cert-v01@openssh.com", SHAPE_DSA, 1, 0, NULL, 0 },
};

static const struct ktype *
ktype_lookup(const void *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(ktypes) / sizeof(ktypes[0]); i++) {
		if (strlen(ktypes[i].name) == len &&
		    memcmp(ktypes[i].name, name, len) == 0)
			return &ktypes[i];
	}
	return NULL;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static size_t
skip_blank(const char *s, size_t len, size_t i)
{
	while (i < len && is_blank(s[i]))
		i++;
	return i;
}

static size_t
token_end(const char *s, size_t len, size_t i)
{
	while (i < len && !is_blank(s[i]))
		i++;
	return i;
}

static int
get_string_len(struct sshbuf *b, size_t want)
{
	size_t len;
	int r;

	if ((r = sshbuf_get_string_direct(b, NULL, &len)) != 0)
		return r;
	return len == want ? 0 : SKA_ERR_KEY_LENGTH;
}

static int
get_curve_point(struct sshbuf *b, const struct ktype *kt)
{
	const uint8_t *p;
	size_t len;
	int r;

	if ((r = sshbuf_get_string_direct(b, &p, &len)) != 0)
		return r;
	if (len != strlen(kt->curve) || memcmp(p, kt->curve, len) != 0)
		return SKA_ERR_KEY_TYPE_MISMATCH;
	if ((r = sshbuf_get_string_direct(b, &p, &len)) != 0)
		return r;
	if (len != kt->qlen || p[0] != 0x04)
		return SKA_ERR_INVALID_FORMAT;
	return 0;
}

static int
get_bignums(struct sshbuf *b, int n)
{
	size_t len;
	int r;

	while (n-- > 0) {
		if ((r = sshbuf_get_bignum2_bytes_direct(b, NULL, &len)) != 0)
			return r;
		if (len == 0)
			return SKA_ERR_INVALID_FORMAT;
	}
	return 0;
}

/* The public fields of a plain key, after its type string. */
static int
get_key_fields(struct sshbuf *b, const struct ktype *kt)
{
	int r;

	switch (kt->shape) {
	case SHAPE_ED25519:
		return get_string_len(b, 32);
	case SHAPE_ED25519_SK:
		if ((r = get_string_len(b, 32)) != 0)
			return r;
		return sshbuf_get_string_direct(b, NULL, NULL);
	case SHAPE_ECDSA:
		return get_curve_point(b, kt);
	case SHAPE_ECDSA_SK:
		if ((r = get_curve_point(b, kt)) != 0)
			return r;
		return sshbuf_get_string_direct(b, NULL, NULL);
	case SHAPE_RSA:
		return get_bignums(b, 2);
	case SHAPE_DSA:
		return get_bignums(b, 4);
	}
	return SKA_ERR_INTERNAL;
}

/* PROTOCOL.certkeys: nonce, key fields, then the certificate's own. */
static int
get_cert_fields(struct sshbuf *b, const struct ktype *kt)
{
	int r, i;

	if ((r = sshbuf_get_string_direct(b, NULL, NULL)) != 0 ||
	    (r = get_key_fields(b, kt)) != 0 ||
	    (r = sshbuf_get_u64(b, NULL)) != 0 ||
	    (r = sshbuf_get_u32(b, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(b, NULL, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(b, NULL, NULL)) != 0 ||
	    (r = sshbuf_get_u64(b, NULL)) != 0 ||
	    (r = sshbuf_get_u64(b, NULL)) != 0)
		return r;
	/* critical options, extensions, reserved, CA key, signature */
	for (i = 0; i < 5; i++) {
		if ((r = sshbuf_get_string_direct(b, NULL, NULL)) != 0)
			return r;
	}
	return 0;
}

const char *
authkeys_blob_type(const uint8_t *blob, size_t len, int *rp)
{
	struct sshbuf *b = NULL;
	const struct ktype *kt = NULL;
	const uint8_t *name;
	size_t nlen;
	int r;

	if (blob == NULL || len == 0) {
		r = SKA_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if (len > AUTHKEYS_BLOB_MAX) {
		r = SKA_ERR_STRING_TOO_LARGE;
		goto out;
	}
	if ((b = sshbuf_from(blob, len)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_get_string_direct(b, &name, &nlen)) != 0)
		goto out;
	if ((kt = ktype_lookup(name, nlen)) == NULL) {
		r = SKA_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	r = kt->cert ? get_cert_fields(b, kt) : get_key_fields(b, kt);
	if (r == 0 && sshbuf_len(b) != 0)
		r = SKA_ERR_INVALID_FORMAT;
 out:
	sshbuf_free(b);
	if (rp != NULL)
		*rp = r;
	return r == 0 ? kt->name : NULL;
}

int
authkeys_type_is_sk(const char *type)
{
	const struct ktype *kt;

	kt = type == NULL ? NULL : ktype_lookup(type, strlen(type));
	return kt != NULL && kt->sk;
}

int
authkeys_type_is_cert(const char *type)
{
	const struct ktype *kt;

	kt = type == NULL ? NULL : ktype_lookup(type, strlen(type));
	return kt != NULL && kt->cert;
}

const char *
authkeys_sk_options(const char *type, uint8_t sk_flags)
{
	int no_touch, verify;

	if (!authkeys_type_is_sk(type))
		return NULL;
	no_touch = (sk_flags & KEY_SK_USER_PRESENCE_REQD) == 0;
	verify = (sk_flags & KEY_SK_USER_VERIFICATION_REQD) != 0;
	if (no_touch && verify)
		return "no-touch-required,verify-required";
	if (no_touch)
		return "no-touch-required";
	if (verify)
		return "verify-required";
	return NULL;
}

/*
 * Where options starting at i end: the first blank outside double quotes,
 * with \" never a quote (sshkey_advance_past_options).
 */
static int
options_end(const char *s, size_t len, size_t i, size_t *endp)
{
	int quoted = 0;

	for (; i < len && (quoted || !is_blank(s[i])); i++) {
		if (s[i] == '\\' && i + 1 < len && s[i + 1] == '"')
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
	}
	if (quoted)
		return SKA_ERR_INVALID_FORMAT;
	*endp = i;
	return 0;
}

static int
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static unsigned int
option_flag(const char *name, size_t len)
{
	static const struct {
		const char *name;
		unsigned int flag;
	} flags[] = {
		{ "cert-authority", AUTHKEYS_OPT_CERT_AUTHORITY },
		{ "no-touch-required", AUTHKEYS_OPT_NO_TOUCH_REQUIRED },
		{ "verify-required", AUTHKEYS_OPT_VERIFY_REQUIRED },
	};
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strlen(flags[i].name) == len &&
		    strncasecmp(flags[i].name, name, len) == 0)
			return flags[i].flag;
	}
	return 0;
}

/*
 * The grammar sshauthopt_parse() accepts: name or name="value" (where \"
 * is a quote), separated by commas.  Names are not checked against a list:
 * an option this code does not know is a restriction all the same.
 */
static int
options_check(const char *s, size_t len, unsigned int *optsp)
{
	size_t i = 0, start;

	*optsp = 0;
	for (;;) {
		start = i;
		while (i < len && is_name_char(s[i]))
			i++;
		if (i == start)
			return SKA_ERR_INVALID_FORMAT;
		if (i < len && s[i] == '=') {
			if (++i >= len || s[i] != '"')
				return SKA_ERR_INVALID_FORMAT;
			for (i++; i < len && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < len &&
				    s[i + 1] == '"')
					i++;
			}
			if (i >= len)
				return SKA_ERR_INVALID_FORMAT;
			i++;
		} else
			*optsp |= option_flag(s + start, i - start);
		if (i == len)
			return 0;
		if (s[i] != ',' || ++i == len)
			return SKA_ERR_INVALID_FORMAT;
	}
}

static int
copy_text(const char *s, size_t len, char **outp)
{
	char *t;

	if ((t = malloc(len + 1)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	memcpy(t, s, len);
	t[len] = '\0';
	*outp = t;
	return 0;
}

static void
free_text(char *s)
{
	if (s != NULL) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

/* "type base64" at *ip; SKA_ERR_KEY_TYPE_UNKNOWN if no key type is there. */
static int
parse_key(const char *s, size_t len, size_t *ip, struct authkeys_entry *e)
{
	const struct ktype *kt;
	const char *type;
	uint8_t *blob = NULL;
	size_t i = *ip, j, k, m, maxlen, bloblen = 0;
	int r;

	j = token_end(s, len, i);
	if ((kt = ktype_lookup(s + i, j - i)) == NULL) {
		r = SKA_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	k = skip_blank(s, len, j);
	if (k == j || k == len) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	m = token_end(s, len, k);
	if (m - k > (AUTHKEYS_BLOB_MAX + 2) / 3 * 4) {
		r = SKA_ERR_STRING_TOO_LARGE;
		goto out;
	}
	maxlen = (m - k) / 4 * 3 + 3;
	if ((blob = malloc(maxlen)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (sodium_base642bin(blob, maxlen, s + k, m - k, NULL, &bloblen,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((type = authkeys_blob_type(blob, bloblen, &r)) == NULL) {
		if (r == SKA_ERR_KEY_TYPE_UNKNOWN)
			r = SKA_ERR_KEY_TYPE_MISMATCH;
		goto out;
	}
	if (type != kt->name) {
		r = SKA_ERR_KEY_TYPE_MISMATCH;
		goto out;
	}
	r = 0;
	e->type = kt->name;
	e->blob = blob;
	e->bloblen = bloblen;
	blob = NULL;
	*ip = m;
 out:
	free(blob);
	return r;
}

int
authkeys_parse_line(const char *line, size_t len, struct authkeys_entry *out)
{
	struct authkeys_entry e;
	const char *nul;
	size_t i, j, oend;
	int r;

	memset(&e, 0, sizeof(e));
	if (out == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	memset(out, 0, sizeof(*out));
	if (line == NULL && len != 0)
		return SKA_ERR_INVALID_ARGUMENT;
	if (len > AUTHKEYS_LINE_MAX)
		return SKA_ERR_STRING_TOO_LARGE;
	if (len > 0 && (nul = memchr(line, '\0', len)) != NULL)
		len = (size_t)(nul - line);
	while (len > 0 && (is_blank(line[len - 1]) || line[len - 1] == '\n' ||
	    line[len - 1] == '\r'))
		len--;
	i = skip_blank(line, len, 0);
	if (i == len || line[i] == '#')
		return 0;
	if (line[i] == '@') {
		j = token_end(line, len, i);
		if ((j - i != strlen("@cert-authority") ||
		    memcmp(line + i, "@cert-authority", j - i) != 0) &&
		    (j - i != strlen("@revoked") ||
		    memcmp(line + i, "@revoked", j - i) != 0)) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		if ((r = copy_text(line + i, j - i, &e.marker)) != 0)
			goto out;
		i = skip_blank(line, len, j);
	}
	/* As sshd: a key, else options then a key. */
	if ((r = parse_key(line, len, &i, &e)) == SKA_ERR_KEY_TYPE_UNKNOWN) {
		if ((r = options_end(line, len, i, &oend)) != 0 ||
		    (r = options_check(line + i, oend - i, &e.opts)) != 0 ||
		    (r = copy_text(line + i, oend - i, &e.options)) != 0)
			goto out;
		i = skip_blank(line, len, oend);
		r = parse_key(line, len, &i, &e);
	}
	if (r != 0)
		goto out;
	i = skip_blank(line, len, i);
	if (i < len && (r = copy_text(line + i, len - i, &e.comment)) != 0)
		goto out;
	r = 0;
	*out = e;
	memset(&e, 0, sizeof(e));
 out:
	authkeys_entry_clear(&e);
	return r;
}

void
authkeys_entry_clear(struct authkeys_entry *e)
{
	if (e == NULL)
		return;
	free_text(e->marker);
	free_text(e->options);
	free_text(e->comment);
	if (e->blob != NULL) {
		sodium_memzero(e->blob, e->bloblen);
		free(e->blob);
	}
	memset(e, 0, sizeof(*e));
}

int
authkeys_entry_matches(const struct authkeys_entry *e, const uint8_t *blob,
    size_t bloblen)
{
	/* The blob starts with its type string: equal blobs, equal types. */
	return e != NULL && e->type != NULL && e->marker == NULL &&
	    (e->opts & AUTHKEYS_OPT_CERT_AUTHORITY) == 0 &&
	    blob != NULL && e->bloblen == bloblen &&
	    memcmp(e->blob, blob, bloblen) == 0;
}

int
authkeys_format_line(const char *options, const uint8_t *blob,
    size_t bloblen, const char *comment, char **linep)
{
	struct sshbuf *b = NULL;
	const char *type;
	char *b64 = NULL, *line = NULL;
	size_t i, olen, b64len;
	unsigned int opts;
	int r;

	if (linep == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*linep = NULL;
	if ((type = authkeys_blob_type(blob, bloblen, &r)) == NULL)
		goto out;
	if (options != NULL && (olen = strlen(options)) != 0) {
		if ((r = options_end(options, olen, 0, &i)) != 0)
			goto out;
		if (i != olen || (r = options_check(options, olen, &opts)) != 0) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	for (i = 0; comment != NULL && comment[i] != '\0'; i++) {
		if ((unsigned char)comment[i] < 0x20 || comment[i] == 0x7f) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	b64len = sodium_base64_ENCODED_LEN(bloblen,
	    sodium_base64_VARIANT_ORIGINAL);
	if ((b64 = malloc(b64len)) == NULL || (b = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	sodium_bin2base64(b64, b64len, blob, bloblen,
	    sodium_base64_VARIANT_ORIGINAL);
	if (options != NULL && *options != '\0' &&
	    (r = sshbuf_putf(b, "%s ", options)) != 0)
		goto out;
	if ((r = sshbuf_putf(b, "%s %s", type, b64)) != 0)
		goto out;
	if (comment != NULL && *comment != '\0' &&
	    (r = sshbuf_putf(b, " %s", comment)) != 0)
		goto out;
	if ((r = copy_text((const char *)sshbuf_ptr(b), sshbuf_len(b),
	    &line)) != 0)
		goto out;
	r = 0;
	*linep = line;
	line = NULL;
 out:
	free(b64);
	free(line);
	sshbuf_free(b);
	return r;
}
