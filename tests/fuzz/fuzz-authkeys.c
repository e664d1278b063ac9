/*
 * libFuzzer harness for authorized_keys lines as agent-copy-id reads them
 * (authkeys_parse_line): a key line formats back (authkeys_format_line,
 * without its marker) to a line that reads as the same options, key and
 * comment; the only line it may refuse to write has a control character
 * in its comment or options sshd refuses.
 * The same bytes as an options text (authkeys_options_parse, sshd's
 * grammar): the verdict does not change with a comma before or after the
 * text, accepted options format into a key line that reads back with the
 * same flags, and a time the expiry-time parser accepts prints back to
 * itself.
 * Seeds: tests/fuzz/corpus/authkeys, lines from stock ssh-keygen's .pub
 * files with the options sshd(8) documents, markers and comments
 * (tests/fuzz/make-seeds.sh).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authkeys.h"
#include "fuzz.h"

/* ssh-keygen's ed25519 public key blob (OpenSSH 9.2p1), for format_line */
static const uint8_t ed25519_blob[] = {
	0x00, 0x00, 0x00, 0x0b, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5',
	'1', '9', 0x00, 0x00, 0x00, 0x20, 0x7a, 0x88, 0x0a, 0x42, 0xb1, 0x50,
	0xca, 0x62, 0xaa, 0x88, 0x9f, 0x94, 0x8f, 0xcf, 0x5d, 0xec, 0x93, 0x50,
	0xa5, 0xe6, 0x1c, 0x62, 0xf2, 0x1a, 0xab, 0xce, 0x91, 0xf7, 0xe2, 0x5f,
	0x3f, 0x77,
};

static int
has_control(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static void
check_line(const uint8_t *d, size_t n)
{
	struct authkeys_entry e, e2;
	char *line = NULL;
	int r;

	memset(&e2, 0, sizeof(e2));
	if (authkeys_parse_line((const char *)d, n, &e) != 0) {
		CHECK(e.type == NULL && e.blob == NULL && e.comment == NULL);
		return;
	}
	if (e.type == NULL) {
		CHECK(e.blob == NULL && e.options == NULL && e.marker == NULL);
		goto out;
	}
	CHECK(e.refused == NULL || e.opts == 0);
	CHECK(authkeys_entry_matches(&e, e.blob, e.bloblen) ==
	    (e.marker == NULL && e.refused == NULL &&
	    !(e.opts & AUTHKEYS_OPT_CERT_AUTHORITY)));
	r = authkeys_format_line(e.options, e.blob, e.bloblen, e.comment, &line);
	if (r != 0) {
		CHECK(r == SKA_ERR_INVALID_FORMAT &&
		    (has_control(e.comment) || e.refused != NULL));
		goto out;
	}
	CHECK(authkeys_parse_line(line, strlen(line), &e2) == 0);
	CHECK(e2.type != NULL && strcmp(e.type, e2.type) == 0);
	CHECK(e2.bloblen == e.bloblen && memcmp(e2.blob, e.blob, e.bloblen) == 0);
	CHECK(e2.opts == e.opts && e2.expiry == e.expiry && e2.marker == NULL);
	CHECK(e2.refused == NULL);
	CHECK((e.options == NULL) == (e2.options == NULL));
	CHECK(e.options == NULL || strcmp(e.options, e2.options) == 0);
	CHECK((e.comment == NULL) == (e2.comment == NULL));
	CHECK(e.comment == NULL || strcmp(e.comment, e2.comment) == 0);
 out:
	free(line);
	authkeys_entry_clear(&e);
	authkeys_entry_clear(&e2);
}

static void
check_options(const uint8_t *d, size_t n)
{
	struct authkeys_opts o, o2;
	struct authkeys_entry e;
	const char *why;
	char *t, *line = NULL;
	int r, r2;

	if ((t = malloc(n + 2)) == NULL)
		return;
	r = authkeys_options_parse((const char *)d, n, &o, &why);
	CHECK(r == 0 || r == SKA_ERR_INVALID_FORMAT);
	CHECK((r == 0) == (why == NULL));
	/* a leading comma changes nothing */
	t[0] = ',';
	memcpy(t + 1, d, n);
	r2 = authkeys_options_parse(t, n + 1, &o2, NULL);
	CHECK(r2 == r && memcmp(&o, &o2, sizeof(o)) == 0);
	/* nor does a trailing one */
	memcpy(t, d, n);
	t[n] = ',';
	r2 = authkeys_options_parse(t, n + 1, &o2, NULL);
	CHECK(r2 == r && memcmp(&o, &o2, sizeof(o)) == 0);
	/* accepted options without blanks or NULs make a key line */
	if (r == 0 && n > 0 && memchr(d, ' ', n) == NULL &&
	    memchr(d, '\t', n) == NULL && memchr(d, '\0', n) == NULL) {
		t[n] = '\0';
		r2 = authkeys_format_line(t, ed25519_blob, sizeof(ed25519_blob),
		    NULL, &line);
		if (r2 == 0) {
			CHECK(authkeys_parse_line(line, strlen(line), &e) == 0);
			CHECK(e.refused == NULL && e.opts == o.flags &&
			    e.expiry == o.expiry);
			authkeys_entry_clear(&e);
		} else	/* only a text with a line break in it */
			CHECK(memchr(d, '\n', n) != NULL || memchr(d, '\r', n)
			    != NULL);
	}
	free(line);
	free(t);
}

static void
check_time(const uint8_t *d, size_t n)
{
	char buf[32];
	struct tm tm;
	uint64_t t, t2;
	time_t tt;

	if (authkeys_parse_time((const char *)d, n, &t) != 0)
		return;
	CHECK(n >= 8 && n <= 17);
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 > 9999)
		return;
	CHECK(strftime(buf, sizeof(buf), "%Y%m%d%H%M%SZ", &tm) == 15);
	CHECK(authkeys_parse_time(buf, 15, &t2) == 0 && t2 == t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	check_line(d, n);
	if (n <= 4096) {
		check_options(d, n);
		check_time(d, n);
	}
	return 0;
}
