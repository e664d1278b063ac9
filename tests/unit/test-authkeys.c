/* The authorized_keys line reader: good lines, hostile lines, round trips. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "authkeys.h"
#include "key.h"
#include "secmem.h"
#include "sshbuf.h"
#include "tap.h"

/* Made by ssh-keygen (OpenSSH 9.2p1). */
#define ED25519_B64 "AAAAC3NzaC1lZDI1NTE5AAAAIHqICkKxUMpiqoiflI/PXeyTUKXmHGLyGqvOkffiXz93"
#define ECDSA384_B64 "AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBH85jrMXxgozCRy8dEYgReL5rt54oc4OdI/9nGXMNWWiAajgOIV4Ucy7e02JabrarShOMpHj/AeoZg1Kl8L8kZrGQ5HBrC8mOlG+/nzeQ23GFj8ur+/RmqIz2Ekf4fpTKw=="
#define RSA1024_B64 "AAAAB3NzaC1yc2EAAAADAQABAAAAgQDR6QAFuTjyP7gVV9DqA98vqG/NsROyZCQx1XwmxrDiMQXonrEPgQeOrZzU5Wlz0NLB9txHhy0YCQqY+B7kc9rZC+Hj/n+cxTsUzZv/FMMX/KOHq+9nyM30AnegUq8RfrM4/eRmz29yBz8kfS3XNTbfDuYjiN0XoAdAo7Co6vxYqw=="
#define ED25519_CERT_B64 "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAID17tYFsS9jxgp+PdA11ngbp5VzkX+cB1jyWVyXP1xg8AAAAIHqICkKxUMpiqoiflI/PXeyTUKXmHGLyGqvOkffiXz93AAAAAAAAAAAAAAABAAAAA2lkMQAAABAAAAAFYWxpY2UAAAADYm9iAAAAAAAAAAD//////////wAAAAAAAACCAAAAFXBlcm1pdC1YMTEtZm9yd2FyZGluZwAAAAAAAAAXcGVybWl0LWFnZW50LWZvcndhcmRpbmcAAAAAAAAAFnBlcm1pdC1wb3J0LWZvcndhcmRpbmcAAAAAAAAACnBlcm1pdC1wdHkAAAAAAAAADnBlcm1pdC11c2VyLXJjAAAAAAAAAAAAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIJnA1uhMEXnzwKHH7wuJzOy3EY1rOuQhqL8wHHo89YECAAAAUwAAAAtzc2gtZWQyNTUxOQAAAEAoBO7TcSJ6kGMXJHiWPhT9hPalGDtsu5dn6iH4Oj72iHsXy9g5oEupXz3Rsuupj3h3vb1SeO66EPMKzUMZzn4P"

/* The public blob of a fresh key of each plain type. */
static struct sshbuf *
make_blob(const char *type)
{
	struct sshbuf *b = sshbuf_new(), *q = NULL;
	struct key *k = NULL, *ec = NULL;
	uint8_t pk[32];
	const uint8_t *p;
	size_t len;
	int r;

	randombytes_buf(pk, sizeof(pk));
	if (strcmp(type, "ssh-ed25519") == 0)
		r = key_generate(KEY_ED25519, 0, &k);
	else if (strcmp(type, "ecdsa-sha2-nistp256") == 0)
		r = key_generate(KEY_ECDSA, 256, &k);
	else if (strcmp(type, "ecdsa-sha2-nistp521") == 0)
		r = key_generate(KEY_ECDSA, 521, &k);
	else if (strcmp(type, "ssh-rsa") == 0)
		r = key_generate(KEY_RSA, 1024, &k);
	else if (strcmp(type, "sk-ssh-ed25519@openssh.com") == 0)
		r = key_sk_new(KEY_ED25519_SK, pk, 32, "ssh:", 1, NULL, 0, &k);
	else if (strcmp(type, "sk-ecdsa-sha2-nistp256@openssh.com") == 0) {
		/* the point of a fresh P-256 key: type, curve, Q */
		if (key_generate(KEY_ECDSA, 256, &ec) != 0 ||
		    (p = key_blob(ec, &len)) == NULL ||
		    (q = sshbuf_from(p, len)) == NULL ||
		    sshbuf_get_string_direct(q, NULL, NULL) != 0 ||
		    sshbuf_get_string_direct(q, NULL, NULL) != 0 ||
		    sshbuf_get_string_direct(q, &p, &len) != 0)
			abort();
		r = key_sk_new(KEY_ECDSA_SK, p, len, "ssh:test", 1, NULL, 0, &k);
	} else
		abort();
	if (r != 0 || key_to_blob(k, b) != 0)
		abort();
	sshbuf_free(q);
	key_free(ec);
	key_free(k);
	return b;
}

static char *
b64(const struct sshbuf *b)
{
	return sshbuf_dtob64_string(b, 0);
}

/* Parses a NUL-terminated line; returns the code. */
static int
parse(const char *line, struct authkeys_entry *e)
{
	return authkeys_parse_line(line, strlen(line), e);
}

static const uint8_t *
dec(const char *s, size_t *lenp)
{
	static uint8_t buf[4096];

	if (sodium_base642bin(buf, sizeof(buf), s, strlen(s), NULL, lenp,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		abort();
	return buf;
}

static void
test_plain(void)
{
	struct authkeys_entry e;
	const uint8_t *blob;
	size_t len;

	ok(parse("ssh-ed25519 " ED25519_B64 " alice@example", &e) == 0 &&
	    e.type != NULL && strcmp(e.type, "ssh-ed25519") == 0,
	    "ssh-keygen ed25519 line");
	blob = dec(ED25519_B64, &len);
	ok(e.bloblen == len && memcmp(e.blob, blob, len) == 0, "blob decoded");
	is_str(e.comment, "alice@example", "comment");
	ok(e.options == NULL && e.marker == NULL && e.opts == 0, "no options");
	ok(authkeys_entry_matches(&e, blob, len), "matches its own blob");
	ok(!authkeys_entry_matches(&e, blob, len - 1), "not a shorter blob");
	authkeys_entry_clear(&e);
	ok(e.type == NULL && e.blob == NULL, "clear empties");

	ok(parse("ecdsa-sha2-nistp384 " ECDSA384_B64 " ec 384\n", &e) == 0 &&
	    strcmp(e.type, "ecdsa-sha2-nistp384") == 0, "ecdsa-384 line");
	is_str(e.comment, "ec 384", "comment with a space");
	authkeys_entry_clear(&e);
	ok(parse("ssh-rsa " RSA1024_B64, &e) == 0 &&
	    strcmp(e.type, "ssh-rsa") == 0 && e.comment == NULL,
	    "rsa line without comment");
	authkeys_entry_clear(&e);
	ok(parse("ssh-ed25519-cert-v01@openssh.com " ED25519_CERT_B64 " c",
	    &e) == 0 && strcmp(e.type, "ssh-ed25519-cert-v01@openssh.com") == 0,
	    "certificate line");
	blob = dec(ED25519_B64, &len);
	ok(!authkeys_entry_matches(&e, blob, len),
	    "a certificate is not its plain key");
	authkeys_entry_clear(&e);

	ok(parse("  \t ssh-ed25519\t" ED25519_B64 "\t two  words \r\n", &e)
	    == 0 && e.type != NULL, "tabs, leading blanks, CRLF");
	is_str(e.comment, "two  words", "comment keeps inner blanks, loses CR");
	authkeys_entry_clear(&e);
	ok(parse("ssh-ed25519 " ED25519_B64 "\r", &e) == 0 &&
	    e.comment == NULL, "a lone CR is no comment");
	authkeys_entry_clear(&e);
}

static void
test_blank(void)
{
	static const char *lines[] = {
		"", "\n", "\r\n", "   \t", "# ssh-ed25519 " ED25519_B64,
		"   # comment", "#", "\0ssh-ed25519 " ED25519_B64,
	};
	struct authkeys_entry e;
	size_t i;
	int good = 1;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t len = strlen(lines[i]);

		if (i == 7)
			len = 1 + strlen(lines[i] + 1);
		if (authkeys_parse_line(lines[i], len, &e) != 0 ||
		    e.type != NULL) {
			tap_diag("line %zu", i);
			good = 0;
		}
		authkeys_entry_clear(&e);
	}
	ok(good, "blank, comment and NUL-first lines hold no key");
	ok(authkeys_parse_line(NULL, 0, &e) == 0 && e.type == NULL,
	    "NULL, 0 is a blank line");
	is_int(authkeys_parse_line(NULL, 1, &e), SKA_ERR_INVALID_ARGUMENT,
	    "NULL with a length refused");
}

static void
test_options(void)
{
	struct authkeys_entry e;
	const uint8_t *blob;
	size_t len;

	blob = dec(ED25519_B64, &len);
	ok(parse("command=\"echo \\\"a b\\\"\",no-pty ssh-ed25519 "
	    ED25519_B64 " my key", &e) == 0 && e.type != NULL,
	    "quoted command with escaped quotes and a space");
	is_str(e.options, "command=\"echo \\\"a b\\\"\",no-pty",
	    "option text as written");
	is_str(e.comment, "my key", "comment after options");
	ok(authkeys_entry_matches(&e, blob, len), "options do not hide a key");
	authkeys_entry_clear(&e);

	ok(parse("from=\"10.0.0.1,192.168.0.0/16\",environment=\"A=b c\","
	    "restrict,expiry-time=\"20300101\" ssh-ed25519 " ED25519_B64, &e)
	    == 0 && e.type != NULL && e.comment == NULL,
	    "commas and spaces inside quotes");
	authkeys_entry_clear(&e);

	ok(parse("command=\"a\\\\\" ssh-ed25519 " ED25519_B64, &e) != 0,
	    "a backslash before the closing quote escapes it");
	ok(parse("command=\"x\\y\" ssh-ed25519 " ED25519_B64, &e) == 0,
	    "other backslashes are plain characters");
	authkeys_entry_clear(&e);

	ok(parse("cert-authority,principals=\"a\" ssh-ed25519 " ED25519_B64,
	    &e) == 0 && (e.opts & AUTHKEYS_OPT_CERT_AUTHORITY) != 0,
	    "cert-authority option seen");
	ok(!authkeys_entry_matches(&e, blob, len),
	    "a cert-authority line is not a user key");
	authkeys_entry_clear(&e);
	ok(parse("no-pty,Cert-Authority ssh-ed25519 " ED25519_B64, &e) == 0 &&
	    !authkeys_entry_matches(&e, blob, len),
	    "option names compared without case");
	authkeys_entry_clear(&e);
	ok(parse("command=\"cert-authority\" ssh-ed25519 " ED25519_B64, &e)
	    == 0 && e.opts == AUTHKEYS_OPT_COMMAND,
	    "a value is not an option name");
	authkeys_entry_clear(&e);

	ok(parse("@cert-authority ssh-ed25519 " ED25519_B64 " ca", &e) == 0 &&
	    strcmp(e.marker, "@cert-authority") == 0 &&
	    !authkeys_entry_matches(&e, blob, len), "@cert-authority marker");
	authkeys_entry_clear(&e);
	ok(parse("@revoked no-pty ssh-ed25519 " ED25519_B64, &e) == 0 &&
	    strcmp(e.marker, "@revoked") == 0 && e.options != NULL,
	    "@revoked marker then options");
	authkeys_entry_clear(&e);
}

static void
test_sk(void)
{
	struct authkeys_entry e;
	struct sshbuf *b;
	char *s, line[1024];

	b = make_blob("sk-ssh-ed25519@openssh.com");
	s = b64(b);
	snprintf(line, sizeof(line),
	    "no-touch-required sk-ssh-ed25519@openssh.com %s yubi", s);
	ok(parse(line, &e) == 0 &&
	    strcmp(e.type, "sk-ssh-ed25519@openssh.com") == 0 &&
	    e.opts == AUTHKEYS_OPT_NO_TOUCH_REQUIRED &&
	    authkeys_entry_matches(&e, sshbuf_ptr(b), sshbuf_len(b)),
	    "sk-ed25519 with no-touch-required");
	authkeys_entry_clear(&e);
	free(s);
	sshbuf_free(b);

	b = make_blob("sk-ecdsa-sha2-nistp256@openssh.com");
	s = b64(b);
	snprintf(line, sizeof(line),
	    "verify-required,NO-TOUCH-REQUIRED "
	    "sk-ecdsa-sha2-nistp256@openssh.com %s", s);
	ok(parse(line, &e) == 0 &&
	    strcmp(e.type, "sk-ecdsa-sha2-nistp256@openssh.com") == 0 &&
	    e.opts == (AUTHKEYS_OPT_NO_TOUCH_REQUIRED |
	    AUTHKEYS_OPT_VERIFY_REQUIRED), "sk-ecdsa with both options");
	authkeys_entry_clear(&e);
	free(s);
	sshbuf_free(b);

	/* flags -> options, as sshd needs them (PROTOCOL.u2f, sshd(8)) */
	ok(authkeys_sk_options("sk-ssh-ed25519@openssh.com", 0x01) == NULL,
	    "touch required: no option");
	is_str(authkeys_sk_options("sk-ssh-ed25519@openssh.com", 0x00),
	    "no-touch-required", "no presence flag: no-touch-required");
	is_str(authkeys_sk_options("sk-ecdsa-sha2-nistp256@openssh.com", 0x05),
	    "verify-required", "presence + verification: verify-required");
	is_str(authkeys_sk_options("sk-ecdsa-sha2-nistp256@openssh.com", 0x04),
	    "no-touch-required,verify-required", "verification only: both");
	is_str(authkeys_sk_options("sk-ssh-ed25519-cert-v01@openssh.com", 0x20),
	    "no-touch-required", "cert type, resident flag ignored");
	ok(authkeys_sk_options("sk-ssh-ed25519@openssh.com", 0x21) == NULL,
	    "resident key with touch: no option");
	ok(authkeys_sk_options("ssh-ed25519", 0x00) == NULL &&
	    authkeys_sk_options(NULL, 0x04) == NULL &&
	    authkeys_sk_options("bogus", 0x00) == NULL, "non-sk: never");
}

static void
test_hostile(void)
{
	struct authkeys_entry e;
	struct sshbuf *b, *c;
	const uint8_t *blob;
	const char *why;
	char *s, *big, line[2048];
	size_t n, blen;

	is_int(parse("ssh-ed25519 AAAA!!!", &e), SKA_ERR_INVALID_FORMAT,
	    "bad base64");
	is_int(parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHqICkKxUMpiqoiflI",
	    &e), SKA_ERR_INVALID_FORMAT, "truncated base64");
	is_int(parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", &e),
	    SKA_ERR_MESSAGE_INCOMPLETE, "blob cut short");
	is_int(parse("ssh-rsa " ED25519_B64, &e), SKA_ERR_KEY_TYPE_MISMATCH,
	    "line says rsa, blob says ed25519");
	is_int(parse("no-pty ecdsa-sha2-nistp256 " ECDSA384_B64, &e),
	    SKA_ERR_KEY_TYPE_MISMATCH, "nistp256 line, nistp384 blob");
	is_int(parse("ssh-foo AAAA", &e), SKA_ERR_KEY_TYPE_UNKNOWN,
	    "unknown key type");
	is_int(parse("ssh-ed25519", &e), SKA_ERR_INVALID_FORMAT, "type alone");
	is_int(parse("ssh-ed25519 \t ", &e), SKA_ERR_INVALID_FORMAT,
	    "type and blanks");
	is_int(parse("no-pty", &e), SKA_ERR_KEY_TYPE_UNKNOWN,
	    "options without a key");
	is_int(parse("command=\"abc ssh-ed25519 " ED25519_B64, &e),
	    SKA_ERR_INVALID_FORMAT, "unterminated quote");
	is_int(parse("command=\"a\\\" ssh-ed25519 " ED25519_B64, &e),
	    SKA_ERR_INVALID_FORMAT, "quote escaped away");
	ok(parse("command=abc ssh-ed25519 " ED25519_B64, &e) == 0 &&
	    e.type != NULL && e.refused != NULL &&
	    strcmp(e.refused, "missing start quote") == 0 && e.opts == 0,
	    "unquoted value: the key reads, sshd refuses the line");
	blob = dec(ED25519_B64, &blen);
	ok(!authkeys_entry_matches(&e, blob, blen), "so it does not match");
	is_int(authkeys_entry_check(&e, blob, blen, 0, &why), AUTHKEYS_REFUSED,
	    "check: refused");
	is_str(why, "missing start quote", "check: sshd's reason");
	authkeys_entry_clear(&e);
	ok(parse("no-pty,permit-evrything ssh-ed25519 " ED25519_B64, &e) == 0
	    && e.refused != NULL && !authkeys_entry_matches(&e, blob, blen),
	    "a misspelt option: refused");
	authkeys_entry_clear(&e);
	ok(parse("no-pty, ssh-ed25519 " ED25519_B64, &e) == 0 &&
	    e.refused == NULL && authkeys_entry_matches(&e, blob, blen),
	    "trailing comma: sshd accepts it");
	authkeys_entry_clear(&e);
	ok(parse(",no-pty ssh-ed25519 " ED25519_B64, &e) == 0 &&
	    e.refused == NULL && e.opts == AUTHKEYS_OPT_NO_PTY,
	    "leading comma: sshd accepts it");
	authkeys_entry_clear(&e);
	is_int(parse("@bogus ssh-ed25519 " ED25519_B64, &e),
	    SKA_ERR_INVALID_FORMAT, "unknown marker");
	ok(parse("ssh-ed25519" ED25519_B64, &e) != 0,
	    "no blank after the type");
	ok(e.type == NULL && e.options == NULL && e.blob == NULL,
	    "a failure leaves the entry empty");

	/* blob with one byte too many */
	b = make_blob("ssh-ed25519");
	c = sshbuf_fromb(b);
	ok(sshbuf_put_u8(c, 0) == 0, "extend blob");
	s = b64(c);
	snprintf(line, sizeof(line), "ssh-ed25519 %s", s);
	is_int(parse(line, &e), SKA_ERR_INVALID_FORMAT, "trailing blob bytes");
	free(s);
	sshbuf_free(c);
	/* ed25519 key of 31 bytes */
	c = sshbuf_new();
	ok(sshbuf_put_cstring(c, "ssh-ed25519") == 0 &&
	    sshbuf_put_string(c, sshbuf_ptr(b) + 19, 31) == 0, "short key");
	s = b64(c);
	snprintf(line, sizeof(line), "ssh-ed25519 %s", s);
	ok(parse(line, &e) != 0 && e.type == NULL, "31-byte ed25519 key");
	free(s);
	sshbuf_free(c);
	sshbuf_free(b);
	/* ecdsa point not uncompressed */
	b = make_blob("ecdsa-sha2-nistp256");
	c = sshbuf_fromb(b);
	sshbuf_mutable_ptr(c)[4 + 19 + 4 + 8 + 4] = 0x02;
	s = b64(c);
	snprintf(line, sizeof(line), "ecdsa-sha2-nistp256 %s", s);
	is_int(parse(line, &e), SKA_ERR_INVALID_FORMAT, "compressed point");
	free(s);
	sshbuf_free(c);
	sshbuf_free(b);

	/* huge lines */
	n = AUTHKEYS_LINE_MAX + 1;
	big = malloc(n + 1);
	memset(big, 'A', n);
	big[n] = '\0';
	memcpy(big, "ssh-ed25519 ", 12);
	is_int(authkeys_parse_line(big, n, &e), SKA_ERR_STRING_TOO_LARGE,
	    "line over the cap refused");
	is_int(authkeys_parse_line(big, n - 1, &e), SKA_ERR_STRING_TOO_LARGE,
	    "base64 longer than any key refused before decoding");
	memcpy(big, "command=\"", 9);
	is_int(authkeys_parse_line(big, n - 1, &e), SKA_ERR_INVALID_FORMAT,
	    "huge unterminated quote");
	free(big);

	/* embedded NUL ends the line, as for sshd */
	memcpy(line, "ssh-ed25519 " ED25519_B64 " ab\0cd", 12 + 68 + 7);
	ok(authkeys_parse_line(line, 12 + 68 + 6, &e) == 0 &&
	    strcmp(e.comment, "ab") == 0, "NUL ends the comment");
	authkeys_entry_clear(&e);
	memcpy(line, "ssh-ed25519 AAAA\0" ED25519_B64, 17 + 68);
	ok(authkeys_parse_line(line, 17 + 68, &e) != 0,
	    "NUL inside the blob ends it");
}

/* Random bytes and random damage to a good line: no crash, no leak. */
static void
test_random(void)
{
	static const char good[] = "command=\"echo \\\"a b\\\"\",no-pty "
	    "ssh-ed25519 " ED25519_B64 " c";
	struct authkeys_entry e;
	char buf[256];
	size_t i, j, len, parsed = 0;
	int r, sane = 1;

	for (i = 0; i < 20000; i++) {
		if (i % 2 == 0) {
			len = randombytes_uniform(sizeof(buf));
			randombytes_buf(buf, len);
		} else {
			len = sizeof(good) - 1;
			memcpy(buf, good, len);
			for (j = randombytes_uniform(4) + 1; j > 0; j--)
				buf[randombytes_uniform(len)] =
				    "\"\\, \t=A/+\0\r\n#@"[randombytes_uniform(15)];
			len -= randombytes_uniform(3);
		}
		r = authkeys_parse_line(buf, len, &e);
		if (r > 0 || r < SKA_ERR_MIN || (r != 0 && e.type != NULL))
			sane = 0;
		if (r == 0 && e.type != NULL)
			parsed++;
		authkeys_entry_clear(&e);
	}
	ok(sane, "20000 random and damaged lines: clean results");
	tap_diag("%zu of the damaged lines still parsed", parsed);
}

static void
test_roundtrip(void)
{
	static const char *types[] = {
		"ssh-ed25519", "sk-ssh-ed25519@openssh.com",
		"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp521",
		"sk-ecdsa-sha2-nistp256@openssh.com", "ssh-rsa",
	};
	static const char *options[] = {
		NULL, "no-touch-required", "no-touch-required,verify-required",
		"command=\"echo \\\"a, b\\\"\",no-pty",
	};
	static const char *comments[] = { NULL, "c", "user@host (new key)" };
	struct authkeys_entry e;
	struct sshbuf *b;
	char *line;
	size_t t, o, c;
	int good = 1, r;

	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		b = make_blob(types[t]);
		for (o = 0; o < sizeof(options) / sizeof(options[0]); o++) {
			for (c = 0; c < 3; c++) {
				line = NULL;
				r = authkeys_format_line(options[o],
				    sshbuf_ptr(b), sshbuf_len(b), comments[c],
				    &line);
				if (r != 0 || parse(line, &e) != 0 ||
				    strcmp(e.type, types[t]) != 0 ||
				    !authkeys_entry_matches(&e, sshbuf_ptr(b),
				    sshbuf_len(b)) ||
				    (options[o] == NULL ? e.options != NULL :
				    strcmp(e.options, options[o]) != 0) ||
				    (comments[c] == NULL ? e.comment != NULL :
				    strcmp(e.comment, comments[c]) != 0)) {
					tap_diag("%s / %s / %s: %s", types[t],
					    options[o] ? options[o] : "-",
					    comments[c] ? comments[c] : "-",
					    line ? line : ska_err(r));
					good = 0;
				}
				authkeys_entry_clear(&e);
				free(line);
			}
		}
		sshbuf_free(b);
	}
	ok(good, "format then parse gives back type, blob, options, comment");

	b = make_blob("ssh-ed25519");
	ok(authkeys_format_line("", sshbuf_ptr(b), sshbuf_len(b), "", &line)
	    == 0 && strncmp(line, "ssh-ed25519 AAAA", 16) == 0 &&
	    strchr(line + 12, ' ') == NULL, "empty options and comment omitted");
	free(line);
	is_int(authkeys_format_line(NULL, sshbuf_ptr(b), sshbuf_len(b),
	    "two\nlines", &line), SKA_ERR_INVALID_FORMAT,
	    "newline in comment refused");
	ok(line == NULL, "no line on failure");
	is_int(authkeys_format_line(NULL, sshbuf_ptr(b), sshbuf_len(b),
	    "esc\033[2J", &line), SKA_ERR_INVALID_FORMAT,
	    "escape in comment refused");
	is_int(authkeys_format_line("no-pty no-pty", sshbuf_ptr(b),
	    sshbuf_len(b), NULL, &line), SKA_ERR_INVALID_FORMAT,
	    "blank in options refused");
	is_int(authkeys_format_line("command=\"x", sshbuf_ptr(b),
	    sshbuf_len(b), NULL, &line), SKA_ERR_INVALID_FORMAT,
	    "unterminated option refused");
	is_int(authkeys_format_line(NULL, sshbuf_ptr(b), sshbuf_len(b) - 1,
	    NULL, &line), SKA_ERR_MESSAGE_INCOMPLETE, "short blob refused");
	sshbuf_free(b);
	is_int(authkeys_format_line(NULL, (const uint8_t *)"\0\0\0\3abc", 7,
	    NULL, &line), SKA_ERR_KEY_TYPE_UNKNOWN, "unknown type refused");
}

int
main(void)
{
	if (sodium_init() < 0 || secmem_init(0) != 0)
		return 1;
	test_plain();
	test_blank();
	test_options();
	test_sk();
	test_hostile();
	test_random();
	test_roundtrip();
	return tap_done();
}
