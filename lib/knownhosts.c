/* known_hosts lookups, as ssh does them (see knownhosts.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "key.h"
#include "knownhosts.h"
#include "match.h"
#include "sshbuf.h"

#define HASH_MAGIC	"|1|"
#define SHA1_LEN	20
#define CERT_TYPE_HOST	2

char *
knownhosts_name(const char *host, int port)
{
	char *s = NULL, *p;

	if (host == NULL || *host == '\0')
		return NULL;
	if (port == 0 || port == 22)
		s = strdup(host);
	else if (asprintf(&s, "[%s]:%d", host, port) < 0)
		s = NULL;
	for (p = s; p != NULL && *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

int
knownhosts_match_hosts(const char *hosts, size_t len, const char *name)
{
	char *copy;
	size_t i;
	int r;

	/* names are looked up in lower case, patterns compared without case */
	if ((copy = strndup(hosts, len)) == NULL)
		return 0;
	for (i = 0; copy[i] != '\0'; i++)
		copy[i] = (char)tolower((unsigned char)copy[i]);
	r = match_pattern_list(name, copy);
	free(copy);
	return r;
}

/* b64 (n bytes) decoded into out, exactly outlen bytes; 0 or -1. */
static int
b64_exact(const char *b64, size_t n, uint8_t *out, size_t outlen)
{
	struct sshbuf *b = NULL;
	char *s = NULL;
	int r = -1;

	if ((s = strndup(b64, n)) == NULL || (b = sshbuf_new()) == NULL)
		goto out;
	if (sshbuf_b64tod(b, s) != 0 || sshbuf_len(b) != outlen)
		goto out;
	memcpy(out, sshbuf_ptr(b), outlen);
	r = 0;
 out:
	sshbuf_free(b);
	free(s);
	return r;
}

/* "|1|salt|hmac" (len bytes) for name: 1 a match, 0 not, -1 malformed. */
static int
hashed_match(const char *h, size_t len, const char *name)
{
	uint8_t salt[SHA1_LEN], want[SHA1_LEN], got[EVP_MAX_MD_SIZE];
	unsigned int glen = 0;
	const char *sep;
	size_t slen;

	h += strlen(HASH_MAGIC);
	len -= strlen(HASH_MAGIC);
	if ((sep = memchr(h, '|', len)) == NULL)
		return -1;
	slen = (size_t)(sep - h);
	if (b64_exact(h, slen, salt, sizeof(salt)) != 0 ||
	    b64_exact(sep + 1, len - slen - 1, want, sizeof(want)) != 0)
		return -1;
	if (HMAC(EVP_sha1(), salt, sizeof(salt), (const uint8_t *)name,
	    strlen(name), got, &glen) == NULL || glen != SHA1_LEN)
		return -1;
	return CRYPTO_memcmp(got, want, SHA1_LEN) == 0;
}

/* Does the hosts field name it? */
static int
hosts_match(const char *hosts, size_t len, const char *name)
{
	if (len >= strlen(HASH_MAGIC) &&
	    memcmp(hosts, HASH_MAGIC, strlen(HASH_MAGIC)) == 0)
		return hashed_match(hosts, len, name) == 1;
	return knownhosts_match_hosts(hosts, len, name) == 1;
}

static int
blob_is(const struct sshbuf *b, const uint8_t *blob, size_t len)
{
	return blob != NULL && sshbuf_len(b) == len &&
	    memcmp(sshbuf_ptr(b), blob, len) == 0;
}

/* A host certificate valid now for host, or not. */
static int
cert_valid_for(const struct key *key, const char *host, uint64_t now)
{
	size_t i;
	const char *p;

	if (key_cert_type(key) != CERT_TYPE_HOST ||
	    !key_cert_valid_at(key, now))
		return 0;
	for (i = 0; i < key_cert_nprincipals(key); i++) {
		p = key_cert_principal(key, i);
		if (p != NULL && match_pattern(host, p))
			return 1;
	}
	return 0;
}

static size_t
skip_blank(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

static size_t
field_end(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != ' ' && s[i] != '\t')
		i++;
	return i;
}

void
knownhosts_check_line(const char *line, size_t len, const char *host,
    int port, const struct key *key, uint64_t now,
    enum knownhosts_result *resultp)
{
	enum { PLAIN, CA, REVOKED } kind = PLAIN;
	enum knownhosts_result res = KNOWNHOSTS_NONE;
	struct sshbuf *b = NULL, *plain = NULL;
	const struct key *ca = NULL;
	const uint8_t *kblob, *cablob = NULL;
	size_t i, e, klen, calen = 0;
	char *name = NULL, *b64 = NULL;
	int is_cert;

	if (line == NULL || host == NULL || key == NULL || resultp == NULL ||
	    len > KNOWNHOSTS_LINE_MAX)
		return;
	if (memchr(line, '\0', len) != NULL)
		len = strlen(line);	/* a C string, as ssh reads it */
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	i = skip_blank(line, len, 0);
	if (i == len || line[i] == '#')
		return;
	if (line[i] == '@') {
		e = field_end(line, len, i);
		if (e - i == 15 && memcmp(line + i, "@cert-authority", 15) == 0)
			kind = CA;
		else if (e - i == 8 && memcmp(line + i, "@revoked", 8) == 0)
			kind = REVOKED;
		else
			return;		/* a marker ssh does not know */
		i = skip_blank(line, len, e);
	}
	if ((name = knownhosts_name(host, port)) == NULL)
		return;
	e = field_end(line, len, i);
	if (!hosts_match(line + i, e - i, name))
		goto out;
	i = skip_blank(line, len, e);
	e = field_end(line, len, i);	/* the key type */
	i = skip_blank(line, len, e);
	e = field_end(line, len, i);	/* base64 */
	if (i == e || (b64 = strndup(line + i, e - i)) == NULL ||
	    (b = sshbuf_new()) == NULL || sshbuf_b64tod(b, b64) != 0)
		goto out;
	kblob = key_blob(key, &klen);
	is_cert = key_is_cert(key);
	if (is_cert && (ca = key_cert_signature_key(key)) != NULL)
		cablob = key_blob(ca, &calen);
	if (is_cert && ((plain = sshbuf_new()) == NULL ||
	    key_plain_blob(key, plain) != 0))
		goto out;
	switch (kind) {
	case REVOKED:
		if (blob_is(b, kblob, klen) || (cablob != NULL &&
		    blob_is(b, cablob, calen)) || (plain != NULL &&
		    blob_is(b, sshbuf_ptr(plain), sshbuf_len(plain))))
			res = KNOWNHOSTS_REVOKED;
		break;
	case CA:
		if (cablob != NULL && blob_is(b, cablob, calen) &&
		    cert_valid_for(key, host, now))
			res = KNOWNHOSTS_FOUND;
		else if (!is_cert)
			res = KNOWNHOSTS_OTHER;
		break;
	case PLAIN:
		if (blob_is(b, kblob, klen) || (plain != NULL &&
		    blob_is(b, sshbuf_ptr(plain), sshbuf_len(plain))))
			res = KNOWNHOSTS_FOUND;
		else
			res = KNOWNHOSTS_OTHER;
		break;
	}
	if (res > *resultp)
		*resultp = res;
 out:
	sshbuf_free(b);
	sshbuf_free(plain);
	free(b64);
	free(name);
}

void
knownhosts_check_buf(const char *buf, size_t len, const char *host,
    int port, const struct key *key, uint64_t now,
    enum knownhosts_result *resultp)
{
	const char *nl;
	size_t n;

	while (buf != NULL && len > 0) {
		nl = memchr(buf, '\n', len);
		n = nl != NULL ? (size_t)(nl - buf) + 1 : len;
		knownhosts_check_line(buf, n, host, port, key, now, resultp);
		buf += n;
		len -= n;
	}
}

int
knownhosts_check_file(const char *path, const char *host, int port,
    const struct key *key, uint64_t now, enum knownhosts_result *resultp)
{
	FILE *f;
	char *line = NULL;
	size_t n;
	int r, skip = 0;

	if ((f = fopen(path, "re")) == NULL)
		return errno == ENOENT || errno == ENOTDIR ? 0 : SKA_ERR_SYSTEM;
	if ((line = malloc(KNOWNHOSTS_LINE_MAX + 2)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	/* a line too long is skipped whole, without holding it */
	while (fgets(line, KNOWNHOSTS_LINE_MAX + 2, f) != NULL) {
		n = strlen(line);
		if (!skip && (n > 0 && (line[n - 1] == '\n' || feof(f))))
			knownhosts_check_line(line, n, host, port, key, now,
			    resultp);
		skip = n == 0 || line[n - 1] != '\n';
	}
	r = ferror(f) ? SKA_ERR_SYSTEM : 0;
 out:
	free(line);
	fclose(f);
	return r;
}
