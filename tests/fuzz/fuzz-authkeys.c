/*
 * libFuzzer harness for authorized_keys lines as agent-copy-id reads them
 * (authkeys_parse_line): a key line formats back (authkeys_format_line,
 * without its marker) to a line that reads as the same options, key and
 * comment; the only line it may refuse to write has a control character
 * in its comment.
 * Seeds: tests/fuzz/corpus/authkeys, lines from stock ssh-keygen's .pub
 * files with the options sshd(8) documents, markers and comments
 * (tests/fuzz/make-seeds.sh).
 */
#include <stdlib.h>
#include <string.h>

#include "authkeys.h"
#include "fuzz.h"

static int
has_control(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct authkeys_entry e, e2;
	char *line = NULL;
	int r;

	memset(&e2, 0, sizeof(e2));
	if (authkeys_parse_line((const char *)d, n, &e) != 0) {
		CHECK(e.type == NULL && e.blob == NULL && e.comment == NULL);
		return 0;
	}
	if (e.type == NULL) {
		CHECK(e.blob == NULL && e.options == NULL && e.marker == NULL);
		goto out;
	}
	CHECK(authkeys_entry_matches(&e, e.blob, e.bloblen) ==
	    (e.marker == NULL && !(e.opts & AUTHKEYS_OPT_CERT_AUTHORITY)));
	r = authkeys_format_line(e.options, e.blob, e.bloblen, e.comment, &line);
	if (r != 0) {
		CHECK(r == SKA_ERR_INVALID_FORMAT && has_control(e.comment));
		goto out;
	}
	CHECK(authkeys_parse_line(line, strlen(line), &e2) == 0);
	CHECK(e2.type != NULL && strcmp(e.type, e2.type) == 0);
	CHECK(e2.bloblen == e.bloblen && memcmp(e2.blob, e.blob, e.bloblen) == 0);
	CHECK(e2.opts == e.opts && e2.marker == NULL);
	CHECK((e.options == NULL) == (e2.options == NULL));
	CHECK(e.options == NULL || strcmp(e.options, e2.options) == 0);
	CHECK((e.comment == NULL) == (e2.comment == NULL));
	CHECK(e.comment == NULL || strcmp(e.comment, e2.comment) == 0);
 out:
	free(line);
	authkeys_entry_clear(&e);
	authkeys_entry_clear(&e2);
	return 0;
}
