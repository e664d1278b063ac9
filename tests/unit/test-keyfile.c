/*
 * openssh-key-v1 files against stock ssh-keygen's: every fixture reads,
 * and writes back byte for byte given the same checkint (and salt, rounds
 * and cipher for encrypted ones); passphrases right, wrong and missing;
 * hostile input at every length and every byte; permissions; atomic saves.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keyfile.h"
#include "secmem.h"
#include "sshbuf.h"
#include "tap.h"

#define DATA "tests/unit/data/"
#define PASS "secret"

static const char *plain[] = { "ed25519", "ecdsa256", "ecdsa384", "ecdsa521",
    "rsa2048" };
static const struct {
	const char *name, *cipher;
	unsigned int rounds;
} enc[] = {
	{ "ed25519_enc", "aes256-ctr", 16 },
	{ "rsa_enc", "aes256-ctr", 4 },
	{ "ecdsa_enc", "aes256-ctr", 8 },
	{ "ed25519_enc_aes128_ctr", "aes128-ctr", 2 },
	{ "ed25519_enc_aes192_ctr", "aes192-ctr", 2 },
	{ "ed25519_enc_aes128_cbc", "aes128-cbc", 2 },
	{ "ed25519_enc_aes192_cbc", "aes192-cbc", 2 },
	{ "ed25519_enc_aes256_cbc", "aes256-cbc", 2 },
	{ "ed25519_enc_3des_cbc", "3des-cbc", 2 },
	{ "ed25519_enc_aes128_gcm", "aes128-gcm@openssh.com", 2 },
	{ "ed25519_enc_aes256_gcm", "aes256-gcm@openssh.com", 2 },
	{ "ed25519_enc_chacha20_poly1305", "chacha20-poly1305@openssh.com", 2 },
};

static char tmpdir[] = "/tmp/test-keyfile.XXXXXX";

static uint8_t *
read_data(const char *name, size_t *lenp)
{
	char path[256];

	snprintf(path, sizeof(path), DATA "%s", name);
	return tap_read_file(path, lenp);
}

/* The .pub fixture of name: its key and comment. */
static struct key *
load_pub(const char *name, char **commentp)
{
	char path[256];
	struct key *k = NULL;
	int r;

	snprintf(path, sizeof(path), DATA "%s.pub", name);
	if ((r = keyfile_load_public(path, &k, commentp)) != 0)
		tap_diag("%s: %s", path, ska_err(r));
	return k;
}

static void
test_plain(void)
{
	struct keyfile_params p;
	struct sshbuf *out;
	struct key *k, *pub, *k2;
	char *comment, *pubcomment, *comment2;
	uint8_t *file;
	size_t i, len;
	int r;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		file = read_data(plain[i], &len);
		pub = load_pub(plain[i], &pubcomment);
		r = keyfile_parse_private(file, len, NULL, &k, &comment, &p);
		is_int(r, 0, "%s: ssh-keygen's unencrypted file reads", plain[i]);
		if (r != 0)
			continue;
		ok(key_has_private(k) && key_equal(k, pub),
		    "%s: the key of its .pub", plain[i]);
		is_str(comment, pubcomment, "%s: the comment of its .pub", plain[i]);
		ok(strcmp(p.cipher, "none") == 0 && strcmp(p.kdf, "none") == 0 &&
		    p.rounds == 0, "%s: cipher and kdf none", plain[i]);
		out = sshbuf_new();
		p.fixed = 1;
		ok(keyfile_serialize_private_params(k, comment, NULL, &p,
		    out) == 0, "%s: writes", plain[i]);
		tap_is_mem(sshbuf_ptr(out), sshbuf_len(out), file, len,
		    "%s: written byte for byte as ssh-keygen did", plain[i]);
		/* a passphrase is ignored for an unencrypted file */
		ok(keyfile_parse_private(file, len, PASS, &k2, NULL, NULL) == 0 &&
		    key_equal(k2, k), "%s: a needless passphrase is ignored",
		    plain[i]);
		key_free(k2);
		/* random checkint: still reads back */
		sshbuf_reset(out);
		ok(keyfile_serialize_private(k, "new comment", NULL, 0, out) == 0 &&
		    keyfile_parse_private(sshbuf_ptr(out), sshbuf_len(out), NULL,
		    &k2, &comment2, NULL) == 0 && key_equal(k2, k) &&
		    strcmp(comment2, "new comment") == 0,
		    "%s: round trip with a new comment", plain[i]);
		key_free(k2);
		free(comment2);
		ok(keyfile_parse_public(file, len, &k2, NULL) == 0 &&
		    key_equal(k2, pub) && !key_has_private(k2),
		    "%s: public part alone", plain[i]);
		key_free(k2);
		sshbuf_free(out);
		key_free(k);
		key_free(pub);
		free(comment);
		free(pubcomment);
		free(file);
	}
}

static void
test_encrypted(void)
{
	struct keyfile_params p;
	struct sshbuf *out;
	struct key *k, *pub, *k2;
	char *comment, *pubcomment;
	uint8_t *file;
	size_t i, len;
	int r;

	for (i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		file = read_data(enc[i].name, &len);
		pub = load_pub(enc[i].name, &pubcomment);
		is_int(keyfile_parse_private(file, len, NULL, &k, NULL, NULL),
		    SKA_ERR_PASSPHRASE_REQUIRED, "%s: no passphrase: asks for one",
		    enc[i].name);
		is_int(keyfile_parse_private(file, len, "", &k, NULL, NULL),
		    SKA_ERR_PASSPHRASE_REQUIRED, "%s: empty passphrase: asks for one",
		    enc[i].name);
		ok(keyfile_parse_public(file, len, &k, &p) == 0 &&
		    key_equal(k, pub) && strcmp(p.cipher, enc[i].cipher) == 0 &&
		    strcmp(p.kdf, "bcrypt") == 0 && p.rounds == enc[i].rounds &&
		    p.saltlen == KEYFILE_SALT_LEN,
		    "%s: public key, %s, bcrypt %u rounds, without the passphrase",
		    enc[i].name, enc[i].cipher, enc[i].rounds);
		key_free(k);
		is_int(keyfile_parse_private(file, len, "secreT", &k, NULL, NULL),
		    SKA_ERR_KEY_WRONG_PASSPHRASE, "%s: wrong passphrase refused",
		    enc[i].name);
		r = keyfile_parse_private(file, len, PASS, &k, &comment, &p);
		is_int(r, 0, "%s: reads with the passphrase", enc[i].name);
		if (r != 0) {
			key_free(pub);
			free(pubcomment);
			free(file);
			continue;
		}
		ok(key_has_private(k) && key_equal(k, pub),
		    "%s: the key of its .pub", enc[i].name);
		is_str(comment, pubcomment, "%s: comment", enc[i].name);
		out = sshbuf_new();
		p.fixed = 1;
		ok(keyfile_serialize_private_params(k, comment, PASS, &p, out) == 0,
		    "%s: writes", enc[i].name);
		tap_is_mem(sshbuf_ptr(out), sshbuf_len(out), file, len,
		    "%s: written byte for byte as ssh-keygen did (same salt, checkint)",
		    enc[i].name);
		/* a fresh salt and checkint, our own encryption */
		sshbuf_reset(out);
		p.fixed = 0;
		p.rounds = 1;
		ok(keyfile_serialize_private_params(k, comment, "other", &p,
		    out) == 0 && keyfile_parse_private(sshbuf_ptr(out),
		    sshbuf_len(out), "other", &k2, NULL, NULL) == 0 &&
		    key_equal(k2, k), "%s: round trip with a new passphrase",
		    enc[i].name);
		key_free(k2);
		sshbuf_free(out);
		key_free(k);
		key_free(pub);
		free(comment);
		free(pubcomment);
		free(file);
	}
}

/* Keys we generate, every type, sk included, written and read back. */
static void
test_generated(void)
{
	static const struct {
		enum key_type t;
		unsigned int bits;
	} g[] = {
		{ KEY_ED25519, 0 }, { KEY_ECDSA, 256 }, { KEY_ECDSA, 384 },
		{ KEY_ECDSA, 521 }, { KEY_RSA, 1024 },
	};
	uint8_t pt[65] = { 0x04 }, kh[80];
	struct sshbuf *out = sshbuf_new();
	struct key *k, *k2;
	char *comment;
	size_t i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		ok(key_generate(g[i].t, g[i].bits, &k) == 0, "generate %s %u",
		    i == 0 ? "ed25519" : g[i].t == KEY_ECDSA ? "ecdsa" : "rsa",
		    g[i].bits);
		sshbuf_reset(out);
		ok(keyfile_serialize_private(k, "c", PASS, 1, out) == 0 &&
		    keyfile_parse_private(sshbuf_ptr(out), sshbuf_len(out), PASS,
		    &k2, &comment, NULL) == 0 && key_equal(k, k2) &&
		    strcmp(comment, "c") == 0, "%s: encrypted round trip",
		    key_type_name(k));
		key_free(k2);
		free(comment);
		key_free(k);
	}
	/* an sk key: the key handle and application are the private part */
	randombytes_buf(kh, sizeof(kh));
	randombytes_buf(pt + 1, 32);
	ok(key_sk_new(KEY_ED25519_SK, pt + 1, 32, "ssh:", 0x01, kh, sizeof(kh),
	    &k) == 0, "sk-ed25519 key");
	sshbuf_reset(out);
	ok(keyfile_serialize_private(k, NULL, NULL, 0, out) == 0 &&
	    keyfile_parse_private(sshbuf_ptr(out), sshbuf_len(out), NULL, &k2,
	    &comment, NULL) == 0 && key_equal(k, k2) && *comment == '\0' &&
	    key_sk_flags(k2) == 0x01, "sk-ed25519: round trip, NULL comment as \"\"");
	key_free(k2);
	free(comment);
	key_free(k);
	ok(key_generate(KEY_ED25519, 0, &k) == 0 && key_public_copy(k, &k2) == 0,
	    "public copy");
	sshbuf_reset(out);
	is_int(keyfile_serialize_private(k2, NULL, NULL, 0, out),
	    SKA_ERR_INVALID_ARGUMENT, "a public key cannot be written as private");
	is_int(keyfile_serialize_private_params(k, NULL, PASS,
	    &(struct keyfile_params){ .cipher = "rot13" }, out),
	    SKA_ERR_FEATURE_UNSUPPORTED, "unknown cipher refused");
	key_free(k2);
	key_free(k);
	sshbuf_free(out);
}

/* Armours binary bytes as a key file. */
static void
armour(const uint8_t *bin, size_t len, struct sshbuf *out)
{
	struct sshbuf *b = sshbuf_from(bin, len);
	char *s = sshbuf_dtob64_string(b, 1);

	sshbuf_reset(out);
	if (sshbuf_putf(out, "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n"
	    "-----END OPENSSH PRIVATE KEY-----\n", s) != 0)
		abort();
	free(s);
	sshbuf_free(b);
}

static struct sshbuf *
decode(const uint8_t *file, size_t len)
{
	struct sshbuf *b = sshbuf_new();
	char *text = strndup((const char *)file, len), *s, *e;

	s = strchr(text, '\n') + 1;
	e = strstr(s, "-----END");
	*e = '\0';
	if (sshbuf_b64tod(b, s) != 0)
		abort();
	free(text);
	return b;
}

static void
test_hostile(void)
{
	static const char *names[] = { "ed25519", "rsa2048", "ecdsa521",
	    "ed25519_enc_aes128_ctr", "ed25519_enc_aes256_gcm",
	    "ed25519_enc_chacha20_poly1305" };
	struct sshbuf *bin, *out = sshbuf_new();
	struct key *k, *pub;
	uint8_t *file, *mut;
	size_t i, n, len, blen, bad, accepted, skip_at, cl;
	int r, encrypted;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		file = read_data(names[i], &len);
		pub = load_pub(names[i], NULL);
		encrypted = strstr(names[i], "_enc") != NULL;
		/* the text cut at every length */
		for (n = 0, bad = 0; n + 1 < len; n++) {
			if (keyfile_parse_private(file, n, PASS, &k, NULL,
			    NULL) == 0) {
				bad++;
				key_free(k);
			}
		}
		is_int(bad, 0, "%s: the text cut anywhere is refused", names[i]);
		/* the binary cut at every length, armoured properly */
		bin = decode(file, len);
		blen = sshbuf_len(bin);
		for (n = 0, bad = 0; n < blen; n++) {
			armour(sshbuf_ptr(bin), n, out);
			if (keyfile_parse_private(sshbuf_ptr(out), sshbuf_len(out),
			    PASS, &k, NULL, NULL) == 0) {
				bad++;
				key_free(k);
			}
		}
		is_int(bad, 0, "%s: the binary cut anywhere is refused", names[i]);
		/* one more byte at the end */
		mut = malloc(blen + 1);
		memcpy(mut, sshbuf_ptr(bin), blen);
		mut[blen] = 0;
		armour(mut, blen + 1, out);
		is_int(keyfile_parse_private(sshbuf_ptr(out), sshbuf_len(out), PASS,
		    &k, NULL, NULL), SKA_ERR_INVALID_FORMAT,
		    "%s: a trailing byte is refused", names[i]);
		/*
		 * Every byte changed: refused cleanly, or the same public key
		 * (a changed comment, or private bytes that the key codecs do
		 * not cross-check with the public key).  Encrypted files: not the rounds (a changed
		 * rounds count is only slow), and a sample past the header.
		 */
		for (n = 0, bad = 0, accepted = 0; n < blen; n++) {
			if (encrypted) {
				/* magic, cipher, "bcrypt", kdf, salt: rounds */
				cl = peek_u32(sshbuf_ptr(bin) + 15);
				skip_at = 15 + 4 + cl + 4 + 6 + 4 + 4 + 16;
				if (n >= skip_at && n < skip_at + 4)
					continue;
				if (n > 100 && n % 8 != 0)
					continue;	/* bcrypt per try: sample */
			}
			memcpy(mut, sshbuf_ptr(bin), blen);
			mut[n] ^= 0x40;
			armour(mut, blen, out);
			r = keyfile_parse_private(sshbuf_ptr(out), sshbuf_len(out),
			    PASS, &k, NULL, NULL);
			if (r == 0) {
				accepted++;
				if (!key_equal(k, pub))
					bad++;
				key_free(k);
			} else if (r == SKA_ERR_INTERNAL)
				bad++;
		}
		is_int(bad, 0, "%s: every changed byte refused, or the same "
		    "public key (%zu such)", names[i], accepted);
		free(mut);
		sshbuf_free(bin);
		key_free(pub);
		free(file);
	}
	/* the armour */
	file = read_data("ed25519", &len);
	mut = malloc(len + 2);
	memcpy(mut, file, len);
	mut[5] = 'b';
	is_int(keyfile_parse_private(mut, len, NULL, &k, NULL, NULL),
	    SKA_ERR_INVALID_FORMAT, "wrong BEGIN line refused");
	memcpy(mut, file, len);
	mut[60] = '*';
	is_int(keyfile_parse_private(mut, len, NULL, &k, NULL, NULL),
	    SKA_ERR_INVALID_FORMAT, "bad base64 refused");
	memcpy(mut, file, len);
	mut[60] = '\0';
	is_int(keyfile_parse_private(mut, len, NULL, &k, NULL, NULL),
	    SKA_ERR_INVALID_FORMAT, "NUL in the text refused");
	is_int(keyfile_parse_private(NULL, 0, NULL, &k, NULL, NULL),
	    SKA_ERR_INVALID_FORMAT, "empty file refused");
	free(mut);
	free(file);
	/* CRLF line ends are fine */
	{
		struct sshbuf *crlf = sshbuf_new();

		file = read_data("ecdsa256", &len);
		for (n = 0; n < len; n++) {
			if (file[n] == '\n' && sshbuf_put_u8(crlf, '\r') != 0)
				abort();
			if (sshbuf_put_u8(crlf, file[n]) != 0)
				abort();
		}
		ok(keyfile_parse_private(sshbuf_ptr(crlf), sshbuf_len(crlf), NULL,
		    &k, NULL, NULL) == 0, "CRLF line ends read");
		key_free(k);
		sshbuf_free(crlf);
		free(file);
	}
	sshbuf_free(out);
}

static char *
tmp_path(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void
copy_fixture(const char *name, const char *to, mode_t mode)
{
	uint8_t *d;
	size_t len;
	FILE *f;

	d = read_data(name, &len);
	if ((f = fopen(to, "w")) == NULL || fwrite(d, 1, len, f) != len ||
	    fclose(f) != 0 || chmod(to, mode) != 0)
		abort();
	free(d);
}

static int
dir_entries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
test_files(void)
{
	struct keyfile_params p;
	struct key *k, *k2, *pub;
	struct stat st;
	char *comment, *path, *line, buf[1024];
	uint8_t *d;
	size_t len;
	FILE *f;
	pid_t pid;
	int status;

	path = tmp_path("id");
	copy_fixture("ed25519", path, 0644);
	is_int(keyfile_load_private(path, NULL, &k, NULL, NULL),
	    SKA_ERR_KEY_BAD_PERMISSIONS, "mode 0644: refused as ssh does");
	chmod(path, 0640);
	is_int(keyfile_load_private(path, NULL, &k, NULL, NULL),
	    SKA_ERR_KEY_BAD_PERMISSIONS, "mode 0640: refused");
	chmod(path, 0604);
	is_int(keyfile_load_private(path, NULL, &k, NULL, NULL),
	    SKA_ERR_KEY_BAD_PERMISSIONS, "mode 0604: refused");
	chmod(path, 0400);
	ok(keyfile_load_private(path, NULL, &k, &comment, NULL) == 0 &&
	    strcmp(comment, "ed25519 test") == 0, "mode 0400: reads");
	key_free(k);
	free(comment);
	chmod(path, 0600);
	ok(keyfile_load_public(path, &k, &comment) == 0 && comment == NULL &&
	    !key_has_private(k), "public key of a private file");
	key_free(k);
	unlink(path);
	copy_fixture("ed25519_enc", path, 0600);
	is_int(keyfile_load_private(path, NULL, &k, NULL, NULL),
	    SKA_ERR_PASSPHRASE_REQUIRED, "encrypted file: passphrase required");
	pub = load_pub("ed25519_enc", NULL);
	ok(keyfile_load_public(path, &k, NULL) == 0 && key_equal(k, pub),
	    "public key of an encrypted file, no passphrase");
	key_free(k);
	unlink(path);
	is_int(keyfile_load_private(path, NULL, &k, NULL, NULL), SKA_ERR_SYSTEM,
	    "missing file: system error");
	ok(errno == ENOENT, "errno ENOENT");
	is_int(keyfile_load_private(tmpdir, NULL, &k, NULL, NULL), SKA_ERR_SYSTEM,
	    "a directory: refused");
	/* .pub with comments and blank lines before the key */
	path = tmp_path("x.pub");
	line = (char *)read_data("ed25519_enc.pub", &len);
	f = fopen(path, "w");
	fprintf(f, "# a comment\n\n   \n%s", line);
	fclose(f);
	ok(keyfile_load_public(path, &k, &comment) == 0 && key_equal(k, pub) &&
	    strcmp(comment, "enc ed25519") == 0, ".pub after comments and blanks");
	key_free(k);
	free(comment);
	free(line);
	unlink(path);
	key_free(pub);

	/* saving */
	path = tmp_path("new");
	ok(key_generate(KEY_ED25519, 0, &k) == 0, "generate");
	is_int(keyfile_save(path, k, "me@here", PASS, 2, 0), 0, "save");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "private file mode 0600");
	snprintf(buf, sizeof(buf), "%s.pub", path);
	ok(stat(buf, &st) == 0 && (st.st_mode & 07777) == 0644,
	    ".pub mode 0644");
	is_int(dir_entries(), 2, "two files, no temporary left");
	ok(keyfile_load_private(path, PASS, &k2, &comment, &p) == 0 &&
	    key_equal(k, k2) && strcmp(comment, "me@here") == 0 &&
	    strcmp(p.cipher, "aes256-ctr") == 0 && p.rounds == 2,
	    "reads back: aes256-ctr, 2 rounds");
	key_free(k2);
	free(comment);
	ok(key_to_public_line(k, "me@here", &line) == 0, "public line");
	d = tap_read_file(buf, &len);
	ok(len == strlen(line) + 1 && memcmp(d, line, len - 1) == 0 &&
	    d[len - 1] == '\n', ".pub is the public line and a newline");
	free(d);
	free(line);
	ok(key_generate(KEY_ED25519, 0, &k2) == 0, "another key");
	is_int(keyfile_save(path, k2, "x", NULL, 0, 0), SKA_ERR_FILE_EXISTS,
	    "not overwritten without asking");
	ok(keyfile_load_private(path, PASS, &pub, NULL, NULL) == 0 &&
	    key_equal(pub, k), "the old key is still there");
	key_free(pub);
	unlink(path);
	is_int(keyfile_save(path, k2, "x", NULL, 0, 0), SKA_ERR_FILE_EXISTS,
	    "a lone .pub is not overwritten either");
	ok(access(path, F_OK) == -1, "and the private file was not written");
	is_int(keyfile_save(path, k2, "x", NULL, 0, KEYFILE_OVERWRITE), 0,
	    "overwritten when asked");
	ok(keyfile_load_private(path, NULL, &pub, NULL, NULL) == 0 &&
	    key_equal(pub, k2), "the new key is there");
	key_free(pub);
	ok(keyfile_load_public(buf, &pub, NULL) == 0 && key_equal(pub, k2),
	    "and the new .pub");
	key_free(pub);
	unlink(path);
	unlink(buf);
	is_int(keyfile_save(tmp_path("nodir/id"), k2, "x", NULL, 0, 0),
	    SKA_ERR_SYSTEM, "missing directory: system error");
	ok(errno == ENOENT, "errno ENOENT");
	/* a failure in the middle of writing: a file size limit */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct rlimit rl = { 1000, 1000 };	/* rsa2048: 1811 bytes */
		uint8_t *rsa = read_data("rsa2048", &len);
		struct key *big = NULL;

		signal(SIGXFSZ, SIG_IGN);
		if (keyfile_parse_private(rsa, len, NULL, &big, NULL, NULL) != 0 ||
		    setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(2);
		_exit(keyfile_save(tmp_path("big"), big, "x", NULL, 0, 0) ==
		    SKA_ERR_SYSTEM &&
		    errno == EFBIG ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a write failing half way (file size limit): system error, EFBIG");
	is_int(dir_entries(), 0, "and nothing left behind");
	key_free(k2);
	key_free(k);
}

/* keyfile_write_file: one file, the same atomic rules */
static void
test_write_file(void)
{
	static const uint8_t data[] = "attestation\0bytes", other[] = "x";
	char path[512];
	struct stat st;
	uint8_t *d;
	size_t len;
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s", tmp_path("att"));
	is_int(keyfile_write_file(path, data, sizeof(data), 0600, 0), 0,
	    "write_file");
	d = tap_read_file(path, &len);
	ok(len == sizeof(data) && memcmp(d, data, len) == 0, "  the bytes");
	free(d);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "  mode 0600");
	is_int(dir_entries(), 1, "  no temporary left");
	is_int(keyfile_write_file(path, other, sizeof(other), 0600, 0),
	    SKA_ERR_FILE_EXISTS, "not overwritten without the flag");
	is_int(keyfile_write_file(path, other, sizeof(other), 0644,
	    KEYFILE_OVERWRITE), 0, "overwritten with it");
	d = tap_read_file(path, &len);
	ok(len == sizeof(other) && memcmp(d, other, len) == 0 &&
	    stat(path, &st) == 0 && (st.st_mode & 07777) == 0644,
	    "  the new bytes and mode");
	free(d);
	is_int(keyfile_write_file(tmp_path("nodir/att"), data, sizeof(data),
	    0600, 0), SKA_ERR_SYSTEM, "missing directory: system error");
	is_int(keyfile_write_file(NULL, data, 1, 0600, 0),
	    SKA_ERR_INVALID_ARGUMENT, "no path");
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct rlimit rl = { 4, 4 };

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(2);
		_exit(keyfile_write_file(path, data, sizeof(data), 0600,
		    KEYFILE_OVERWRITE) == SKA_ERR_SYSTEM && errno == EFBIG ?
		    0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a write failing half way: EFBIG");
	d = tap_read_file(path, &len);
	ok(len == sizeof(other) && memcmp(d, other, len) == 0,
	    "  the old file is whole");
	free(d);
	is_int(dir_entries(), 1, "  and no temporary left");
	unlink(path);
}

/*
 * Files that ask for more than KEYFILE_MAX_ROUNDS bcrypt rounds: refused
 * before any round is run (without the cap, 2^32-1 rounds is years), their
 * public part still read.  Writing that many is refused too.
 */
static void
test_rounds_cap(void)
{
	static const uint32_t rounds[] = { KEYFILE_MAX_ROUNDS + 1, 0xffffffff };
	struct keyfile_params p;
	struct sshbuf *bin, *out = sshbuf_new();
	struct key *k = NULL, *pub;
	uint8_t *file, *m;
	size_t i, len, cl, at;
	char limit[32];

	file = read_data("ed25519_enc_aes128_ctr", &len);
	pub = load_pub("ed25519_enc_aes128_ctr", NULL);
	bin = decode(file, len);
	/* magic, string cipher, string "bcrypt", kdf: string, string salt, u32 rounds */
	cl = peek_u32(sshbuf_ptr(bin) + 15);
	at = 15 + 4 + cl + 4 + 6 + 4 + 4 + KEYFILE_SALT_LEN;
	is_int(peek_u32(sshbuf_ptr(bin) + at), 2, "found the rounds field");
	for (i = 0; i < sizeof(rounds) / sizeof(rounds[0]); i++) {
		m = sshbuf_mutable_ptr(bin);
		poke_u32(m + at, rounds[i]);
		armour(sshbuf_ptr(bin), sshbuf_len(bin), out);
		is_int(keyfile_parse_private(sshbuf_ptr(out), sshbuf_len(out), PASS,
		    &k, NULL, NULL), SKA_ERR_KDF_ROUNDS,
		    "%u rounds: refused at once", rounds[i]);
		is_int(keyfile_parse_private(sshbuf_ptr(out), sshbuf_len(out), NULL,
		    &k, NULL, NULL), SKA_ERR_KDF_ROUNDS,
		    "%u rounds: refused before a passphrase is asked for", rounds[i]);
		ok(keyfile_parse_public(sshbuf_ptr(out), sshbuf_len(out), &k,
		    &p) == 0 && key_equal(k, pub) && p.rounds == rounds[i],
		    "%u rounds: the public key still reads, rounds told", rounds[i]);
		key_free(k);
		k = NULL;
	}
	snprintf(limit, sizeof(limit), " %d ", KEYFILE_MAX_ROUNDS);
	ok(strstr(ska_err(SKA_ERR_KDF_ROUNDS), limit) != NULL,
	    "the error names the limit: %s", ska_err(SKA_ERR_KDF_ROUNDS));
	if (keyfile_parse_private(file, len, PASS, &k, NULL, NULL) != 0)
		abort();
	sshbuf_reset(out);
	is_int(keyfile_serialize_private(k, "c", PASS, KEYFILE_MAX_ROUNDS + 1, out),
	    SKA_ERR_KDF_ROUNDS, "writing more rounds than that is refused");
	is_int(keyfile_save(tmp_path("many-rounds"), k, "c", PASS,
	    KEYFILE_MAX_ROUNDS + 1, 0), SKA_ERR_KDF_ROUNDS,
	    "so is saving such a file");
	is_int(dir_entries(), 0, "and nothing is left behind");
	key_free(k);
	key_free(pub);
	sshbuf_free(bin);
	sshbuf_free(out);
	free(file);
}

int
main(void)
{
	secmem_init(0);
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	test_plain();
	test_encrypted();
	test_generated();
	test_rounds_cap();
	test_hostile();
	test_files();
	test_write_file();
	rmdir(tmpdir);
	return tap_done();
}
