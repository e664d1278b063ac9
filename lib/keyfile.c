#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "bcrypt-pbkdf.h"
#include "keyfile.h"
#include "misc.h"

#define MARK_BEGIN	"-----BEGIN OPENSSH PRIVATE KEY-----"
#define MARK_END	"-----END OPENSSH PRIVATE KEY-----"
#define AUTH_MAGIC	"openssh-key-v1"	/* written with its NUL */
#define KEYIV_MAX	80

enum kf_mode { KF_NONE, KF_EVP, KF_CHACHAPOLY };

/* OpenSSH's cipher table (cipher.c), the entries a key file may use. */
static const struct kf_cipher {
	const char *name;
	const EVP_CIPHER *(*evp)(void);
	enum kf_mode mode;
	size_t block, keylen, ivlen, authlen;
} kf_ciphers[] = {
	{ "none", NULL, KF_NONE, 8, 0, 0, 0 },
	{ "aes128-ctr", EVP_aes_128_ctr, KF_EVP, 16, 16, 16, 0 },
	{ "aes192-ctr", EVP_aes_192_ctr, KF_EVP, 16, 24, 16, 0 },
	{ "aes256-ctr", EVP_aes_256_ctr, KF_EVP, 16, 32, 16, 0 },
	{ "aes128-cbc", EVP_aes_128_cbc, KF_EVP, 16, 16, 16, 0 },
	{ "aes192-cbc", EVP_aes_192_cbc, KF_EVP, 16, 24, 16, 0 },
	{ "aes256-cbc", EVP_aes_256_cbc, KF_EVP, 16, 32, 16, 0 },
	{ "3des-cbc", EVP_des_ede3_cbc, KF_EVP, 8, 24, 8, 0 },
	{ "aes128-gcm@openssh.com", EVP_aes_128_gcm, KF_EVP, 16, 16, 12, 16 },
	{ "aes256-gcm@openssh.com", EVP_aes_256_gcm, KF_EVP, 16, 32, 12, 16 },
	{ "chacha20-poly1305@openssh.com", NULL, KF_CHACHAPOLY, 8, 64, 0, 16 },
};

static const struct kf_cipher *
kf_cipher_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(kf_ciphers) / sizeof(kf_ciphers[0]); i++) {
		if (strcmp(kf_ciphers[i].name, name) == 0)
			return &kf_ciphers[i];
	}
	return NULL;
}

/*
 * Decrypts len bytes (followed by authlen bytes of tag) or encrypts len
 * bytes (dst has room for the tag after them), as OpenSSH's cipher_crypt()
 * does with sequence number 0 and no additional data.
 */
static int
kf_crypt(const struct kf_cipher *c, int encrypt, const uint8_t *keyiv,
    const uint8_t *src, size_t len, uint8_t *dst)
{
	static const uint8_t nonce[8];
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t polykey[crypto_onetimeauth_poly1305_KEYBYTES], tag[16];
	int outl = 0, finl = 0, r = SKA_ERR_LIBCRYPTO;

	switch (c->mode) {
	case KF_NONE:
		memcpy(dst, src, len);
		return 0;
	case KF_CHACHAPOLY:
		/* Poly1305 key from block 0, the data from block 1 on */
		crypto_stream_chacha20(polykey, sizeof(polykey), nonce, keyiv);
		if (!encrypt && crypto_onetimeauth_poly1305_verify(src + len,
		    src, len, polykey) != 0) {
			r = SKA_ERR_KEY_WRONG_PASSPHRASE;
			goto out;
		}
		crypto_stream_chacha20_xor_ic(dst, src, len, nonce, 1, keyiv);
		if (encrypt)
			crypto_onetimeauth_poly1305(dst + len, dst, len, polykey);
		r = 0;
		goto out;
	case KF_EVP:
		break;
	}
	if (len > INT_MAX || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_CipherInit_ex(ctx, c->evp(), NULL, NULL, NULL, encrypt) != 1 ||
	    (c->authlen != 0 && EVP_CIPHER_CTX_ctrl(ctx,
	    EVP_CTRL_AEAD_SET_IVLEN, (int)c->ivlen, NULL) != 1) ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, keyiv, keyiv + c->keylen,
	    encrypt) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)
		goto out;
	if (!encrypt && c->authlen != 0) {
		memcpy(tag, src + len, sizeof(tag));
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
		    (int)sizeof(tag), tag) != 1)
			goto out;
	}
	if (EVP_CipherUpdate(ctx, dst, &outl, src, (int)len) != 1 ||
	    (size_t)outl != len)
		goto out;
	if (EVP_CipherFinal_ex(ctx, dst + outl, &finl) != 1 || finl != 0) {
		if (!encrypt && c->authlen != 0)
			r = SKA_ERR_KEY_WRONG_PASSPHRASE;
		goto out;
	}
	if (encrypt && c->authlen != 0 && EVP_CIPHER_CTX_ctrl(ctx,
	    EVP_CTRL_AEAD_GET_TAG, (int)sizeof(tag), dst + len) != 1)
		goto out;
	r = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	sodium_memzero(polykey, sizeof(polykey));
	return r;
}

/* The armoured text to the binary form. */
static int
kf_unarmour(const uint8_t *data, size_t len, struct sshbuf **decodedp)
{
	const size_t bl = sizeof(MARK_BEGIN) - 1, el = sizeof(MARK_END) - 1;
	struct sshbuf *b64 = NULL, *dec = NULL;
	size_t i;
	int r, found = 0;

	*decodedp = NULL;
	if (len > KEYFILE_MAX_SIZE)
		return SKA_ERR_INVALID_FORMAT;
	if (len < bl || memcmp(data, MARK_BEGIN, bl) != 0)
		return SKA_ERR_INVALID_FORMAT;
	i = bl;
	if (i < len && data[i] == '\r')
		i++;
	if (i >= len || data[i] != '\n')
		return SKA_ERR_INVALID_FORMAT;
	i++;
	if ((b64 = sshbuf_new()) == NULL || (dec = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	/* i is at the start of a line */
	while (i < len) {
		if (len - i >= el && memcmp(data + i, MARK_END, el) == 0) {
			found = 1;
			break;
		}
		for (; i < len && data[i] != '\n'; i++) {
			if (data[i] == '\r')
				continue;
			if ((r = sshbuf_put_u8(b64, data[i])) != 0)
				goto out;
		}
		i++;
	}
	if (!found) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = sshbuf_put_u8(b64, '\0')) != 0)
		goto out;
	if (memchr(sshbuf_ptr(b64), '\0', sshbuf_len(b64) - 1) != NULL) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = sshbuf_b64tod(dec, (const char *)sshbuf_ptr(b64))) != 0)
		goto out;
	r = 0;
	*decodedp = dec;
	dec = NULL;
 out:
	sshbuf_free(b64);
	sshbuf_free(dec);
	return r;
}

/* The clear part of a file: pointers into the decoded buffer. */
struct kf_header {
	const struct kf_cipher *cipher;
	char ciphername[32];
	char kdfname[8];
	int bcrypt;
	const uint8_t *salt;
	size_t saltlen;
	uint32_t rounds;
	struct key *pub;
	const uint8_t *enc;	/* enclen bytes, then the cipher's tag */
	size_t enclen;
};

static void
kf_header_free(struct kf_header *h)
{
	key_free(h->pub);
	memset(h, 0, sizeof(*h));
}

static int
kf_header_parse(struct sshbuf *dec, struct kf_header *h)
{
	char magic[sizeof(AUTH_MAGIC)], *cipher = NULL, *kdf = NULL;
	struct sshbuf *kdfopts = NULL;
	const uint8_t *pub;
	size_t publen;
	uint32_t nkeys, enclen;
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = sshbuf_get(dec, magic, sizeof(magic))) != 0)
		goto out;
	if (memcmp(magic, AUTH_MAGIC, sizeof(magic)) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = sshbuf_get_cstring(dec, &cipher, NULL)) != 0 ||
	    (r = sshbuf_get_cstring(dec, &kdf, NULL)) != 0 ||
	    (r = sshbuf_froms(dec, &kdfopts)) != 0 ||
	    (r = sshbuf_get_u32(dec, &nkeys)) != 0 ||
	    (r = sshbuf_get_string_direct(dec, &pub, &publen)) != 0 ||
	    (r = sshbuf_get_u32(dec, &enclen)) != 0)
		goto out;
	if ((h->cipher = kf_cipher_by_name(cipher)) == NULL) {
		r = SKA_ERR_FEATURE_UNSUPPORTED;
		goto out;
	}
	if (strcmp(kdf, "bcrypt") == 0)
		h->bcrypt = 1;
	else if (strcmp(kdf, "none") != 0) {
		r = SKA_ERR_FEATURE_UNSUPPORTED;
		goto out;
	}
	snprintf(h->ciphername, sizeof(h->ciphername), "%s", cipher);
	snprintf(h->kdfname, sizeof(h->kdfname), "%s", kdf);
	/* a cipher needs a key; no cipher needs none */
	if (h->bcrypt != (h->cipher->mode != KF_NONE) || nkeys != 1) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if (h->bcrypt) {
		if ((r = sshbuf_get_string_direct(kdfopts, &h->salt,
		    &h->saltlen)) != 0 ||
		    (r = sshbuf_get_u32(kdfopts, &h->rounds)) != 0)
			goto out;
		if (h->saltlen == 0 || h->saltlen > KEYFILE_SALT_MAX ||
		    h->rounds == 0) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	if (sshbuf_len(kdfopts) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	/* the private part: whole blocks, then the tag, then nothing */
	if (enclen < h->cipher->block || enclen % h->cipher->block != 0 ||
	    sshbuf_len(dec) != (size_t)enclen + h->cipher->authlen) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	h->enc = sshbuf_ptr(dec);
	h->enclen = enclen;
	if ((r = key_from_blob(pub, publen, &h->pub)) != 0)
		goto out;
	r = 0;
 out:
	if (r != 0)
		kf_header_free(h);
	free(cipher);
	free(kdf);
	sshbuf_free(kdfopts);
	return r;
}

static void
kf_params_set(const struct kf_header *h, struct keyfile_params *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->cipher, sizeof(p->cipher), "%s", h->ciphername);
	snprintf(p->kdf, sizeof(p->kdf), "%s", h->kdfname);
	p->rounds = h->rounds;
	p->saltlen = h->saltlen;
	if (h->saltlen != 0)
		memcpy(p->salt, h->salt, h->saltlen);
}

int
keyfile_parse_public(const uint8_t *data, size_t len, struct key **keyp,
    struct keyfile_params *paramsp)
{
	struct sshbuf *dec = NULL;
	struct kf_header h;
	int r;

	memset(&h, 0, sizeof(h));
	if (keyp == NULL || (data == NULL && len != 0))
		return SKA_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if ((r = kf_unarmour(data, len, &dec)) != 0 ||
	    (r = kf_header_parse(dec, &h)) != 0)
		goto out;
	if (paramsp != NULL)
		kf_params_set(&h, paramsp);
	r = 0;
	*keyp = h.pub;
	h.pub = NULL;
 out:
	kf_header_free(&h);
	sshbuf_free(dec);
	return r;
}

int
keyfile_parse_private(const uint8_t *data, size_t len, const char *passphrase,
    struct key **keyp, char **commentp, struct keyfile_params *paramsp)
{
	struct sshbuf *dec = NULL, *plain = NULL;
	struct kf_header h;
	struct key *k = NULL;
	uint8_t keyiv[KEYIV_MAX], *dp, pad;
	uint32_t check1, check2;
	char *comment = NULL;
	size_t keyivlen, i;
	int r;

	memset(&h, 0, sizeof(h));
	if (keyp == NULL || (data == NULL && len != 0))
		return SKA_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if (commentp != NULL)
		*commentp = NULL;
	if ((r = kf_unarmour(data, len, &dec)) != 0 ||
	    (r = kf_header_parse(dec, &h)) != 0)
		goto out;
	keyivlen = h.cipher->keylen + h.cipher->ivlen;
	if (h.bcrypt) {
		/* before asking: no passphrase opens this file in our time */
		if (h.rounds > KEYFILE_MAX_ROUNDS) {
			r = SKA_ERR_KDF_ROUNDS;
			goto out;
		}
		if (passphrase == NULL || *passphrase == '\0') {
			r = SKA_ERR_PASSPHRASE_REQUIRED;
			goto out;
		}
		if ((r = bcrypt_pbkdf(passphrase, strlen(passphrase), h.salt,
		    h.saltlen, keyiv, keyivlen, h.rounds)) != 0)
			goto out;
	}
	if ((plain = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_reserve(plain, h.enclen, &dp)) != 0 ||
	    (r = kf_crypt(h.cipher, 0, keyiv, h.enc, h.enclen, dp)) != 0)
		goto out;
	if ((r = sshbuf_get_u32(plain, &check1)) != 0 ||
	    (r = sshbuf_get_u32(plain, &check2)) != 0)
		goto out;
	if (check1 != check2) {
		r = h.bcrypt ? SKA_ERR_KEY_WRONG_PASSPHRASE :
		    SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((r = key_private_deserialize(plain, &k)) != 0 ||
	    (r = sshbuf_get_cstring(plain, &comment, NULL)) != 0)
		goto out;
	/* padding 1, 2, 3, ... */
	for (i = 1; sshbuf_len(plain) != 0; i++) {
		if ((r = sshbuf_get_u8(plain, &pad)) != 0)
			goto out;
		if (pad != (i & 0xff)) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	if (!key_equal(h.pub, k)) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
	if (paramsp != NULL) {
		kf_params_set(&h, paramsp);
		paramsp->checkint = check1;
	}
	*keyp = k;
	k = NULL;
	if (commentp != NULL) {
		*commentp = comment;
		comment = NULL;
	}
 out:
	sodium_memzero(keyiv, sizeof(keyiv));
	if (comment != NULL) {
		sodium_memzero(comment, strlen(comment));
		free(comment);
	}
	key_free(k);
	kf_header_free(&h);
	sshbuf_free(plain);
	sshbuf_free(dec);
	return r;
}

int
keyfile_serialize_private_params(const struct key *k, const char *comment,
    const char *passphrase, const struct keyfile_params *p,
    struct sshbuf *out)
{
	const struct kf_cipher *c;
	struct sshbuf *bin = NULL, *plain = NULL, *kdf = NULL;
	uint8_t salt[KEYFILE_SALT_MAX], keyiv[KEYIV_MAX], *cp;
	const uint8_t *blob;
	size_t saltlen = KEYFILE_SALT_LEN, bloblen, i;
	unsigned int rounds = KEYFILE_DEFAULT_ROUNDS;
	int encrypted = passphrase != NULL && *passphrase != '\0';
	uint32_t check;
	char *b64 = NULL;
	int r;

	if (k == NULL || out == NULL || !key_has_private(k))
		return SKA_ERR_INVALID_ARGUMENT;
	c = kf_cipher_by_name(!encrypted ? "none" :
	    p != NULL && p->cipher[0] != '\0' ? p->cipher :
	    KEYFILE_DEFAULT_CIPHER);
	if (c == NULL)
		return SKA_ERR_FEATURE_UNSUPPORTED;
	if (encrypted && c->mode == KF_NONE)
		return SKA_ERR_INVALID_ARGUMENT;
	if (p != NULL && p->rounds != 0)
		rounds = p->rounds;
	if (encrypted && rounds > KEYFILE_MAX_ROUNDS)
		return SKA_ERR_KDF_ROUNDS;
	if (p != NULL && p->fixed) {
		if (encrypted &&
		    (p->saltlen == 0 || p->saltlen > sizeof(salt)))
			return SKA_ERR_INVALID_ARGUMENT;
		if (encrypted) {
			saltlen = p->saltlen;
			memcpy(salt, p->salt, saltlen);
		}
		check = p->checkint;
	} else {
		randombytes_buf(salt, saltlen);
		check = randombytes_random();
	}
	if ((bin = sshbuf_new()) == NULL || (plain = sshbuf_new()) == NULL ||
	    (kdf = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (encrypted) {
		if ((r = sshbuf_put_string(kdf, salt, saltlen)) != 0 ||
		    (r = sshbuf_put_u32(kdf, rounds)) != 0)
			goto out;
		if ((r = bcrypt_pbkdf(passphrase, strlen(passphrase), salt,
		    saltlen, keyiv, c->keylen + c->ivlen, rounds)) != 0)
			goto out;
	}
	if ((r = sshbuf_put_u32(plain, check)) != 0 ||
	    (r = sshbuf_put_u32(plain, check)) != 0 ||
	    (r = key_private_serialize(k, plain)) != 0 ||
	    (r = sshbuf_put_cstring(plain, comment != NULL ? comment : "")) != 0)
		goto out;
	for (i = 1; sshbuf_len(plain) % c->block != 0; i++) {
		if ((r = sshbuf_put_u8(plain, (uint8_t)(i & 0xff))) != 0)
			goto out;
	}
	blob = key_blob(k, &bloblen);
	if ((r = sshbuf_put(bin, AUTH_MAGIC, sizeof(AUTH_MAGIC))) != 0 ||
	    (r = sshbuf_put_cstring(bin, c->name)) != 0 ||
	    (r = sshbuf_put_cstring(bin, encrypted ? "bcrypt" : "none")) != 0 ||
	    (r = sshbuf_put_stringb(bin, kdf)) != 0 ||
	    (r = sshbuf_put_u32(bin, 1)) != 0 ||
	    (r = sshbuf_put_string(bin, blob, bloblen)) != 0 ||
	    (r = sshbuf_put_u32(bin, (uint32_t)sshbuf_len(plain))) != 0 ||
	    (r = sshbuf_reserve(bin, sshbuf_len(plain) + c->authlen, &cp)) != 0)
		goto out;
	if ((r = kf_crypt(c, 1, keyiv, sshbuf_ptr(plain), sshbuf_len(plain),
	    cp)) != 0)
		goto out;
	if ((b64 = sshbuf_dtob64_string(bin, 1)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_put(out, MARK_BEGIN "\n", sizeof(MARK_BEGIN))) != 0 ||
	    (r = sshbuf_put(out, b64, strlen(b64))) != 0 ||
	    (r = sshbuf_put(out, "\n" MARK_END "\n", sizeof(MARK_END) + 1)) != 0)
		goto out;
	r = 0;
 out:
	sodium_memzero(keyiv, sizeof(keyiv));
	sodium_memzero(salt, sizeof(salt));
	if (b64 != NULL) {
		sodium_memzero(b64, strlen(b64));
		free(b64);
	}
	sshbuf_free(bin);
	sshbuf_free(plain);
	sshbuf_free(kdf);
	return r;
}

int
keyfile_serialize_private(const struct key *k, const char *comment,
    const char *passphrase, unsigned int rounds, struct sshbuf *out)
{
	struct keyfile_params p;

	memset(&p, 0, sizeof(p));
	p.rounds = rounds;
	return keyfile_serialize_private_params(k, comment, passphrase, &p, out);
}

/* Files */

/* Reads a whole file (at most max bytes) into *bp. */
static int
read_file(const char *path, int private, size_t max, struct sshbuf **bp)
{
	struct stat st;
	int fd = -1, r, saved;

	*bp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return SKA_ERR_SYSTEM;
	if (fstat(fd, &st) == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	if (private && st.st_uid == getuid() && (st.st_mode & 077) != 0) {
		r = SKA_ERR_KEY_BAD_PERMISSIONS;
		goto out;
	}
	r = read_fd(fd, max, bp);
 out:
	saved = errno;
	if (fd != -1)
		close(fd);
	errno = saved;
	return r;
}

int
keyfile_read_file(const char *path, size_t max, struct sshbuf **bp)
{
	return read_file(path, 0, max, bp);
}

int
keyfile_load_private(const char *path, const char *passphrase,
    struct key **keyp, char **commentp, struct keyfile_params *paramsp)
{
	struct sshbuf *b = NULL;
	int r;

	if (path == NULL || keyp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if (commentp != NULL)
		*commentp = NULL;
	if ((r = read_file(path, 1, KEYFILE_MAX_SIZE, &b)) != 0)
		return r;
	r = keyfile_parse_private(sshbuf_ptr(b), sshbuf_len(b), passphrase,
	    keyp, commentp, paramsp);
	sshbuf_free(b);
	return r;
}

int
keyfile_load_public(const char *path, struct key **keyp, char **commentp)
{
	struct sshbuf *b = NULL;
	char *text = NULL, *line, *next;
	size_t len;
	int r;

	if (path == NULL || keyp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if (commentp != NULL)
		*commentp = NULL;
	if ((r = read_file(path, 0, KEYFILE_MAX_SIZE, &b)) != 0)
		return r;
	len = sshbuf_len(b);
	if (len >= sizeof(MARK_BEGIN) - 1 &&
	    memcmp(sshbuf_ptr(b), MARK_BEGIN, sizeof(MARK_BEGIN) - 1) == 0) {
		r = keyfile_parse_public(sshbuf_ptr(b), len, keyp, NULL);
		goto out;
	}
	if (memchr(sshbuf_ptr(b), '\0', len) != NULL) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if ((text = malloc(len + 1)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	memcpy(text, sshbuf_ptr(b), len);
	text[len] = '\0';
	r = SKA_ERR_INVALID_FORMAT;
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line += strspn(line, " \t\r");
		if (*line == '\0' || *line == '#')
			continue;
		r = key_from_public_line(line, keyp, commentp);
		break;
	}
 out:
	free(text);
	sshbuf_free(b);
	return r;
}

/*
 * Writing.  A file is written to an unnamed file (O_TMPFILE) in its
 * directory, synced, and linked into place once whole: until the link it
 * has no name, so a process killed at any moment leaves nothing behind,
 * and the name never shows a partial file.  Replacing an existing file
 * needs a name for the one rename(2) that swaps it in: the whole file is
 * linked to .NAME.PID.XXXXXX just before.  Where the file system has no
 * O_TMPFILE, or the unnamed file cannot be linked (no /proc, and
 * AT_EMPTY_PATH not permitted), the file is written under that temporary
 * name from the start and renamed.  A temporary left by a process that was
 * killed (its PID gone) is removed by the next write of the same NAME.
 */
struct wfile {
	const char *path;
	const uint8_t *data;
	size_t len;
	mode_t mode;
	int fd;		/* the file being written, or -1 */
	char *tmp;	/* its temporary name, NULL while unnamed */
};

#define TMP_SUFFIX_LEN	6

/* path's directory ("." or "/" where it has none) and its last part. */
static int
split_path(const char *path, char **dirp, const char **basep)
{
	const char *slash = strrchr(path, '/');

	*basep = slash == NULL ? path : slash + 1;
	if (**basep == '\0') {
		errno = EISDIR;
		return SKA_ERR_SYSTEM;
	}
	if (slash == NULL)
		*dirp = strdup(".");
	else if (slash == path)
		*dirp = strdup("/");
	else
		*dirp = strndup(path, (size_t)(slash - path));
	return *dirp == NULL ? SKA_ERR_ALLOC_FAIL : 0;
}

/* Is name base's temporary (.BASE.PID.XXXXXX)?  Its PID then. */
static pid_t
temp_owner(const char *name, const char *base)
{
	size_t blen = strlen(base);
	unsigned long pid;
	char *end;

	if (name[0] != '.' || strncmp(name + 1, base, blen) != 0 ||
	    name[1 + blen] != '.' || name[2 + blen] < '1' ||
	    name[2 + blen] > '9')
		return 0;
	errno = 0;
	pid = strtoul(name + 2 + blen, &end, 10);
	if (errno != 0 || pid > INT_MAX || *end != '.' ||
	    strlen(end + 1) != TMP_SUFFIX_LEN)
		return 0;
	return (pid_t)pid;
}

/* Removes base's temporaries whose writer is gone: ours, regular files. */
static void
remove_stale(const char *dir, const char *base)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	pid_t pid;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if ((pid = temp_owner(de->d_name, base)) == 0 ||
		    pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    st.st_uid == geteuid())
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* A new temporary name for path: .BASE.PID.XXXXXX beside it. */
static int
temp_name(const char *path, char **tmpp)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	const char *base = strrchr(path, '/');
	char suffix[TMP_SUFFIX_LEN + 1];
	size_t i;

	base = base == NULL ? path : base + 1;
	for (i = 0; i < TMP_SUFFIX_LEN; i++)
		suffix[i] = chars[randombytes_uniform(sizeof(chars) - 1)];
	suffix[i] = '\0';
	if (asprintf(tmpp, "%.*s.%s.%ld.%s", (int)(base - path), path, base,
	    (long)getpid(), suffix) == -1) {
		*tmpp = NULL;
		return SKA_ERR_ALLOC_FAIL;
	}
	return 0;
}

/* The whole file on disk before it is linked or renamed into place. */
static int
write_synced(int fd, const uint8_t *data, size_t len)
{
	if (write_all(fd, data, len) != 0 || fsync(fd) == -1)
		return SKA_ERR_SYSTEM;
	return 0;
}

/* Forgets w's file: closed, its temporary name removed. */
static void
wfile_drop(struct wfile *w)
{
	int saved = errno;

	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
	if (w->tmp != NULL) {
		unlink(w->tmp);
		free(w->tmp);
		w->tmp = NULL;
	}
	errno = saved;
}

/* The file, named: a temporary created with O_EXCL. */
static int
stage_named(struct wfile *w)
{
	int r, tries;

	for (tries = 0; tries < 100; tries++) {
		if ((r = temp_name(w->path, &w->tmp)) != 0)
			return r;
		if ((w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0600)) != -1)
			break;
		free(w->tmp);
		w->tmp = NULL;
		if (errno != EEXIST)
			return SKA_ERR_SYSTEM;
	}
	if (w->fd == -1)
		return SKA_ERR_SYSTEM;
	if (fchmod(w->fd, w->mode) == -1)
		return SKA_ERR_SYSTEM;
	return write_synced(w->fd, w->data, w->len);
}

/*
 * Writes and syncs w's data: unnamed where the file system allows it,
 * else under a temporary name.  On failure the caller drops w.
 */
static int
stage(struct wfile *w)
{
	const char *base;
	char *dir = NULL;
	int r;

	if ((r = split_path(w->path, &dir, &base)) != 0)
		return r;
	w->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	free(dir);
	if (w->fd == -1) {
		/* EISDIR: a kernel older than O_TMPFILE */
		if (errno != EOPNOTSUPP && errno != EISDIR)
			return SKA_ERR_SYSTEM;
		return stage_named(w);
	}
	if (fchmod(w->fd, w->mode) == -1)
		return SKA_ERR_SYSTEM;
	return write_synced(w->fd, w->data, w->len);
}

/* Gives the unnamed file fd the name to; never replaces an existing one. */
static int
link_unnamed(int fd, const char *to)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return errno == EEXIST ? SKA_ERR_FILE_EXISTS : SKA_ERR_SYSTEM;
	/* no /proc: AT_EMPTY_PATH (may need CAP_DAC_READ_SEARCH) */
	if (linkat(fd, "", AT_FDCWD, to, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno == EEXIST)
		return SKA_ERR_FILE_EXISTS;
	if (errno == ENOENT || errno == EPERM)
		errno = EOPNOTSUPP;
	return SKA_ERR_SYSTEM;
}

/* Moves a named temporary to path; without overwrite, never replacing. */
static int
install_named(struct wfile *w, int overwrite)
{
	if (overwrite) {
		if (rename(w->tmp, w->path) == -1)
			return SKA_ERR_SYSTEM;
	} else if (renameat2(AT_FDCWD, w->tmp, AT_FDCWD, w->path,
	    RENAME_NOREPLACE) == -1) {
		if (errno == EEXIST)
			return SKA_ERR_FILE_EXISTS;
		if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return SKA_ERR_SYSTEM;
		/* no RENAME_NOREPLACE here: link() refuses an existing name */
		if (link(w->tmp, w->path) == -1)
			return errno == EEXIST ? SKA_ERR_FILE_EXISTS :
			    SKA_ERR_SYSTEM;
		unlink(w->tmp);
	}
	free(w->tmp);
	w->tmp = NULL;
	return 0;
}

/*
 * Puts w's staged file at its path (replacing an existing file only with
 * overwrite) and closes it.  An unnamed file that cannot be linked is
 * written again under a temporary name.  On failure the caller drops w.
 */
static int
install(struct wfile *w, int overwrite)
{
	int r;

	if (w->tmp == NULL) {
		if ((r = link_unnamed(w->fd, w->path)) == SKA_ERR_FILE_EXISTS &&
		    overwrite) {
			/* a name for the rename that replaces the file */
			if ((r = temp_name(w->path, &w->tmp)) != 0)
				return r;
			if ((r = link_unnamed(w->fd, w->tmp)) != 0) {
				free(w->tmp);
				w->tmp = NULL;
			}
		}
		if (r == SKA_ERR_SYSTEM && errno == EOPNOTSUPP) {
			close(w->fd);
			w->fd = -1;
			if ((r = stage_named(w)) != 0)
				return r;
		} else if (r != 0)
			return r;
		else if (w->tmp == NULL)
			goto done;
	}
	if ((r = install_named(w, overwrite)) != 0)
		return r;
 done:
	r = close(w->fd);
	w->fd = -1;
	return r == -1 ? SKA_ERR_SYSTEM : 0;
}

static void
sync_dir(const char *path)
{
	const char *base;
	char *dir = NULL;
	int fd;

	if (split_path(path, &dir, &base) != 0)
		return;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

/* The signals that would kill us between writing and installing. */
static void
hold_signals(sigset_t *old)
{
	sigset_t hold;

	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	sigaddset(&hold, SIGQUIT);
	sigaddset(&hold, SIGTSTP);
	pthread_sigmask(SIG_BLOCK, &hold, old);
}

/*
 * Writes the files of n (at most 2) atomically, in order; without
 * overwrite, none when one exists, and the first removed again when the
 * second cannot be put in place.
 */
static int
write_files(struct wfile *w, size_t n, int overwrite)
{
	struct stat st;
	const char *base;
	char *dir = NULL;
	size_t i, installed = 0;
	int r, saved;
	sigset_t old;

	hold_signals(&old);
	for (i = 0; i < n; i++) {
		w[i].fd = -1;
		w[i].tmp = NULL;
	}
	for (i = 0; i < n; i++) {
		if ((r = split_path(w[i].path, &dir, &base)) != 0)
			goto out;
		remove_stale(dir, base);
		free(dir);
		dir = NULL;
	}
	for (i = 0; !overwrite && i < n; i++) {
		if (lstat(w[i].path, &st) == 0) {
			r = SKA_ERR_FILE_EXISTS;
			goto out;
		} else if (errno != ENOENT) {
			r = SKA_ERR_SYSTEM;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if ((r = stage(&w[i])) != 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = install(&w[i], overwrite)) != 0)
			goto out;
		installed++;
	}
	sync_dir(w[0].path);
	r = 0;
 out:
	saved = errno;
	if (r != 0 && !overwrite && installed > 0)
		unlink(w[0].path);
	for (i = 0; i < n; i++)
		wfile_drop(&w[i]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return r;
}

int
keyfile_write_file(const char *path, const uint8_t *data, size_t len,
    mode_t mode, int flags)
{
	struct wfile w;

	if (path == NULL || *path == '\0' || (data == NULL && len != 0))
		return SKA_ERR_INVALID_ARGUMENT;
	memset(&w, 0, sizeof(w));
	w.path = path;
	w.data = data;
	w.len = len;
	w.mode = mode;
	return write_files(&w, 1, (flags & KEYFILE_OVERWRITE) != 0);
}

int
keyfile_save_params(const char *path, const struct key *k,
    const char *comment, const char *passphrase,
    const struct keyfile_params *p, int flags)
{
	struct sshbuf *priv = NULL;
	struct wfile w[2];
	char *pubpath = NULL, *line = NULL, *publine = NULL;
	int r;

	if (path == NULL || *path == '\0' || k == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if (asprintf(&pubpath, "%s.pub", path) == -1) {
		pubpath = NULL;
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((priv = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = keyfile_serialize_private_params(k, comment, passphrase, p,
	    priv)) != 0 ||
	    (r = key_to_public_line(k, comment, &line)) != 0)
		goto out;
	if (asprintf(&publine, "%s\n", line) == -1) {
		publine = NULL;
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	memset(w, 0, sizeof(w));
	w[0].path = path;
	w[0].data = sshbuf_ptr(priv);
	w[0].len = sshbuf_len(priv);
	w[0].mode = 0600;
	w[1].path = pubpath;
	w[1].data = (const uint8_t *)publine;
	w[1].len = strlen(publine);
	w[1].mode = 0644;
	r = write_files(w, 2, (flags & KEYFILE_OVERWRITE) != 0);
 out:
	free(pubpath);
	free(line);
	free(publine);
	sshbuf_free(priv);
	return r;
}

int
keyfile_save(const char *path, const struct key *k, const char *comment,
    const char *passphrase, unsigned int rounds, int flags)
{
	struct keyfile_params p;

	memset(&p, 0, sizeof(p));
	p.rounds = rounds;
	return keyfile_save_params(path, k, comment, passphrase, &p, flags);
}
