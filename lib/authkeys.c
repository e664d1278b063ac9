#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "authkeys.h"
#include "key.h"
#include "sshbuf.h"

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

/* Is this token (not NUL-terminated) a key type name key.c knows? */
static int
is_key_type(const char *s, size_t len)
{
	char name[64];

	if (len == 0 || len >= sizeof(name))
		return 0;
	memcpy(name, s, len);
	name[len] = '\0';
	return key_type_name_valid(name);
}

const char *
authkeys_sk_options(const char *type, uint8_t sk_flags)
{
	int no_touch, verify;

	if (type == NULL || strncmp(type, "sk-", 3) != 0 ||
	    !key_type_name_valid(type))
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

/*
 * "type base64" at *ip; SKA_ERR_KEY_TYPE_UNKNOWN if no key type is there.
 * The blob is read by key.c, as sshd reads it with sshkey_from_blob().
 */
static int
parse_key(const char *s, size_t len, size_t *ip, struct authkeys_entry *e)
{
	struct key *k = NULL;
	uint8_t *blob = NULL;
	size_t i = *ip, j, n, m, maxlen, bloblen = 0;
	int r;

	j = token_end(s, len, i);
	if (!is_key_type(s + i, j - i)) {
		r = SKA_ERR_KEY_TYPE_UNKNOWN;
		goto out;
	}
	n = skip_blank(s, len, j);
	if (n == j || n == len) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	m = token_end(s, len, n);
	if (m - n > (AUTHKEYS_BLOB_MAX + 2) / 3 * 4) {
		r = SKA_ERR_STRING_TOO_LARGE;
		goto out;
	}
	maxlen = (m - n) / 4 * 3 + 3;
	if ((blob = malloc(maxlen)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (sodium_base642bin(blob, maxlen, s + n, m - n, NULL, &bloblen,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = key_from_blob(blob, bloblen, &k)) != 0) {
		if (r == SKA_ERR_KEY_TYPE_UNKNOWN)
			r = SKA_ERR_KEY_TYPE_MISMATCH;
		goto out;
	}
	if (strlen(key_type_name(k)) != j - i ||
	    memcmp(key_type_name(k), s + i, j - i) != 0) {
		r = SKA_ERR_KEY_TYPE_MISMATCH;
		goto out;
	}
	r = 0;
	e->type = key_type_name(k);
	e->blob = blob;
	e->bloblen = bloblen;
	blob = NULL;
	*ip = m;
 out:
	key_free(k);
	free(blob);
	return r;
}

int
authkeys_parse_line(const char *line, size_t len, struct authkeys_entry *out)
{
	struct authkeys_entry e;
	struct authkeys_opts opts;
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
		    (r = copy_text(line + i, oend - i, &e.options)) != 0)
			goto out;
		if ((r = authkeys_options_parse(line + i, oend - i, &opts,
		    &e.refused)) == SKA_ERR_ALLOC_FAIL)
			goto out;
		e.opts = opts.flags;
		e.expiry = opts.expiry;
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
authkeys_entry_check(const struct authkeys_entry *e, const uint8_t *blob,
    size_t bloblen, uint64_t now, const char **whyp)
{
	if (whyp != NULL)
		*whyp = NULL;
	/* The blob starts with its type string: equal blobs, equal types. */
	if (e == NULL || e->type == NULL || e->marker != NULL ||
	    (e->opts & AUTHKEYS_OPT_CERT_AUTHORITY) != 0 ||
	    blob == NULL || e->bloblen != bloblen ||
	    memcmp(e->blob, blob, bloblen) != 0)
		return AUTHKEYS_OTHER;
	if (e->refused != NULL) {
		if (whyp != NULL)
			*whyp = e->refused;
		return AUTHKEYS_REFUSED;
	}
	if (e->expiry != 0 && e->expiry < now) {
		if (whyp != NULL)
			*whyp = "its expiry-time has passed";
		return AUTHKEYS_REFUSED;
	}
	return AUTHKEYS_ACCEPTED;
}

int
authkeys_entry_matches(const struct authkeys_entry *e, const uint8_t *blob,
    size_t bloblen)
{
	return authkeys_entry_check(e, blob, bloblen, 0, NULL) ==
	    AUTHKEYS_ACCEPTED;
}

int
authkeys_format_line(const char *options, const uint8_t *blob,
    size_t bloblen, const char *comment, char **linep)
{
	struct sshbuf *b = NULL;
	struct key *k = NULL;
	char *b64 = NULL, *line = NULL;
	struct authkeys_opts opts;
	size_t i, olen, b64len;
	int r;

	if (linep == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*linep = NULL;
	if (blob == NULL || (r = key_from_blob(blob, bloblen, &k)) != 0) {
		if (blob == NULL)
			r = SKA_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if (options != NULL && (olen = strlen(options)) != 0) {
		if ((r = options_end(options, olen, 0, &i)) != 0)
			goto out;
		if (i != olen ||
		    (r = authkeys_options_parse(options, olen, &opts, NULL)) != 0) {
			if (r != SKA_ERR_ALLOC_FAIL)
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
	if ((r = sshbuf_putf(b, "%s %s", key_type_name(k), b64)) != 0)
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
	key_free(k);
	free(b64);
	free(line);
	sshbuf_free(b);
	return r;
}
