#include <sys/stat.h>

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
	struct sshbuf *b = NULL;
	struct stat st;
	uint8_t chunk[4096];
	ssize_t n;
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
	if ((b = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			r = SKA_ERR_SYSTEM;
			goto out;
		}
		if (n == 0)
			break;
		if (sshbuf_len(b) + (size_t)n > max) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		if ((r = sshbuf_put(b, chunk, (size_t)n)) != 0)
			goto out;
	}
	r = 0;
	*bp = b;
	b = NULL;
 out:
	saved = errno;
	sodium_memzero(chunk, sizeof(chunk));
	sshbuf_free(b);
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

/* Writes data to a new temporary file next to path; *tmpp is its name. */
static int
write_temp(const char *path, const uint8_t *data, size_t len, mode_t mode,
    char **tmpp)
{
	const char *base = strrchr(path, '/');
	char *tmp = NULL;
	size_t off = 0;
	ssize_t n;
	int fd = -1, r, saved;

	*tmpp = NULL;
	base = base == NULL ? path : base + 1;
	if (*base == '\0') {
		errno = EISDIR;
		return SKA_ERR_SYSTEM;
	}
	if (asprintf(&tmp, "%.*s.%s.XXXXXX", (int)(base - path), path,
	    base) == -1)
		return SKA_ERR_ALLOC_FAIL;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		r = SKA_ERR_SYSTEM;
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			r = SKA_ERR_SYSTEM;
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	n = close(fd);
	fd = -1;
	if (n == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	r = 0;
	*tmpp = tmp;
	tmp = NULL;
 out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	errno = saved;
	return r;
}

/* Moves tmp to path; without overwrite, never replaces an existing path. */
static int
install(const char *tmp, const char *path, int overwrite)
{
	if (overwrite)
		return rename(tmp, path) == 0 ? 0 : SKA_ERR_SYSTEM;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST)
		return SKA_ERR_FILE_EXISTS;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return SKA_ERR_SYSTEM;
	/* no RENAME_NOREPLACE here: link() refuses an existing name too */
	if (link(tmp, path) == -1)
		return errno == EEXIST ? SKA_ERR_FILE_EXISTS : SKA_ERR_SYSTEM;
	unlink(tmp);
	return 0;
}

static int
exists(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return SKA_ERR_FILE_EXISTS;
	return errno == ENOENT ? 0 : SKA_ERR_SYSTEM;
}

static void
sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = NULL;
	int fd;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

/* The signals that would kill us between writing and renaming. */
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

int
keyfile_write_file(const char *path, const uint8_t *data, size_t len,
    mode_t mode, int flags)
{
	char *tmp = NULL;
	int overwrite = (flags & KEYFILE_OVERWRITE) != 0, r, saved;
	sigset_t old;

	if (path == NULL || *path == '\0' || (data == NULL && len != 0))
		return SKA_ERR_INVALID_ARGUMENT;
	hold_signals(&old);
	if ((!overwrite && (r = exists(path)) != 0) ||
	    (r = write_temp(path, data, len, mode, &tmp)) != 0 ||
	    (r = install(tmp, path, overwrite)) != 0)
		goto out;
	free(tmp);
	tmp = NULL;
	sync_dir(path);
	r = 0;
 out:
	saved = errno;
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return r;
}

int
keyfile_save_params(const char *path, const struct key *k,
    const char *comment, const char *passphrase,
    const struct keyfile_params *p, int flags)
{
	struct sshbuf *priv = NULL;
	char *pubpath = NULL, *line = NULL, *publine = NULL;
	char *tmppriv = NULL, *tmppub = NULL;
	int overwrite = (flags & KEYFILE_OVERWRITE) != 0, installed = 0;
	int r, saved;
	sigset_t old;

	if (path == NULL || *path == '\0' || k == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	hold_signals(&old);
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
	if (!overwrite &&
	    ((r = exists(path)) != 0 || (r = exists(pubpath)) != 0))
		goto out;
	if ((r = write_temp(path, sshbuf_ptr(priv), sshbuf_len(priv), 0600,
	    &tmppriv)) != 0 ||
	    (r = write_temp(pubpath, (const uint8_t *)publine, strlen(publine),
	    0644, &tmppub)) != 0)
		goto out;
	if ((r = install(tmppriv, path, overwrite)) != 0)
		goto out;
	installed = 1;
	if ((r = install(tmppub, pubpath, overwrite)) != 0)
		goto out;
	free(tmppriv);
	free(tmppub);
	tmppriv = tmppub = NULL;
	sync_dir(path);
	r = 0;
 out:
	saved = errno;
	if (r != 0 && installed && !overwrite)
		unlink(path);
	if (tmppriv != NULL) {
		unlink(tmppriv);
		free(tmppriv);
	}
	if (tmppub != NULL) {
		unlink(tmppub);
		free(tmppub);
	}
	free(pubpath);
	free(line);
	free(publine);
	sshbuf_free(priv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
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
