/*
 * Inside struct key: shared by key.c and the per-family files, never
 * included outside lib/key*.c.
 */
#ifndef SKA_KEY_IMPL_H
#define SKA_KEY_IMPL_H

#include <stdint.h>

#include "key.h"

#define ED25519_PK_LEN	32
#define ED25519_SK_LEN	64	/* seed || pk, as libsodium and OpenSSH keep it */
#define ED25519_SIG_LEN	64

struct key_typeinfo {
	const char *name;	/* "ssh-ed25519", "...-cert-v01@openssh.com" */
	const char *shortname;	/* as ssh-add -l / ssh-keygen -l print it */
	const char *sigalg;	/* default signature algorithm */
	enum key_type type;
	int cert;
	int ecdsa_bits;		/* 256/384/521; sk-ecdsa 256 */
};

struct key_cert;

struct key {
	const struct key_typeinfo *ti;
	uint8_t *blob;			/* public blob (certificate blob for certs) */
	size_t bloblen;
	uint8_t *plain_blob;		/* certs: the certified key's plain blob */
	size_t plain_bloblen;
	struct key_cert *cert;		/* certificates only */
	int has_private;
	/* ed25519, sk-ed25519 */
	uint8_t ed25519_pk[ED25519_PK_LEN];
	uint8_t *ed25519_sk;		/* ED25519_SK_LEN bytes of locked memory */
	/* ecdsa, sk-ecdsa, rsa: OpenSSL objects, private bignums in locked memory */
	void *ec;			/* EC_KEY * */
	void *rsa;			/* RSA * */
	/* sk */
	char *sk_application;
	uint8_t sk_flags;
	uint8_t *sk_key_handle;
	size_t sk_key_handle_len;
};

const struct key_typeinfo *key_typeinfo_by_name(const char *name, size_t len);
const struct key_typeinfo *key_typeinfo_plain(const struct key_typeinfo *ti);
const struct key_typeinfo *key_typeinfo_cert(const struct key_typeinfo *ti);
struct key *key_alloc(const struct key_typeinfo *ti);
/*
 * After a libcrypto call failed: SKA_ERR_ALLOC_FAIL when OpenSSL says it
 * ran out of memory, else r.  Empties OpenSSL's error queue either way.
 */
int key_crypto_err(int r);
/* Recomputes k->blob from the public fields (non-certificates). */
int key_cache_blob(struct key *k) SKA_WUR;

/*
 * Per family: the public fields (after the type string / nonce), the private
 * fields, signatures.  pub_get reads into k (ti already set), priv_get reads
 * the private fields that follow the public ones (cert: after the cert blob).
 */
int key_ed25519_pub_get(struct sshbuf *b, struct key *k) SKA_WUR;
int key_ed25519_pub_put(const struct key *k, struct sshbuf *b) SKA_WUR;
int key_ed25519_priv_get(struct sshbuf *b, struct key *k) SKA_WUR;
int key_ed25519_priv_put(const struct key *k, struct sshbuf *b) SKA_WUR;
int key_ed25519_sign(const struct key *k, const uint8_t *d, size_t dlen,
    struct sshbuf *sig) SKA_WUR;
int key_ed25519_verify(const struct key *k, struct sshbuf *sig,
    const uint8_t *d, size_t dlen) SKA_WUR;
int key_ed25519_generate(struct key *k) SKA_WUR;
void key_ed25519_free(struct key *k);

int key_ecdsa_pub_get(struct sshbuf *b, struct key *k) SKA_WUR;
int key_ecdsa_pub_put(const struct key *k, struct sshbuf *b) SKA_WUR;
/* cert: the private scalar only (the curve and point come from the cert) */
int key_ecdsa_priv_get(struct sshbuf *b, struct key *k) SKA_WUR;
int key_ecdsa_priv_put(const struct key *k, struct sshbuf *b) SKA_WUR;
int key_ecdsa_sign(const struct key *k, const uint8_t *d, size_t dlen,
    struct sshbuf *sig) SKA_WUR;
int key_ecdsa_verify(const struct key *k, struct sshbuf *sig,
    const uint8_t *d, size_t dlen) SKA_WUR;
/* Verifies an ECDSA signature (mpint r, mpint s inside sig) over a digest. */
int key_ecdsa_verify_digest(const struct key *k, struct sshbuf *rs,
    const uint8_t *dgst, size_t dgstlen) SKA_WUR;
/* DER ECDSA-Sig-Value -> mpint r, mpint s */
int key_ecdsa_der_to_ssh(const uint8_t *der, size_t len, struct sshbuf *out) SKA_WUR;
int key_ecdsa_generate(struct key *k, int bits) SKA_WUR;
int key_ecdsa_from_point(struct key *k, int bits, const uint8_t *q, size_t qlen) SKA_WUR;
void key_ecdsa_free(struct key *k);

int key_rsa_pub_get(struct sshbuf *b, struct key *k) SKA_WUR;
int key_rsa_pub_put(const struct key *k, struct sshbuf *b) SKA_WUR;
/* plain: n e d iqmp p q; cert: d iqmp p q */
int key_rsa_priv_get(struct sshbuf *b, struct key *k) SKA_WUR;
int key_rsa_priv_put(const struct key *k, struct sshbuf *b) SKA_WUR;
int key_rsa_sign(const struct key *k, const uint8_t *d, size_t dlen,
    const char *alg, struct sshbuf *sig) SKA_WUR;
int key_rsa_verify(const struct key *k, struct sshbuf *sig,
    const uint8_t *d, size_t dlen, const char *alg) SKA_WUR;
int key_rsa_generate(struct key *k, unsigned int bits) SKA_WUR;
unsigned int key_rsa_bits(const struct key *k);
void key_rsa_free(struct key *k);

/* sk: application after the algorithm's public fields; private: app flags kh reserved */
int key_sk_verify(const struct key *k, struct sshbuf *sig,
    const uint8_t *d, size_t dlen) SKA_WUR;

/* Certificates (key-cert.c). */
int key_cert_parse(struct sshbuf *b, struct key *k, const uint8_t *start) SKA_WUR;
int key_plain_pub_get(struct sshbuf *b, struct key *k) SKA_WUR;
void key_cert_free(struct key_cert *c);

#endif
