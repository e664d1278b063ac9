/*
 * SSH keys: the public and private wire forms, fingerprints, signatures.
 * One file per algorithm family behind this header (key-ed25519.c,
 * key-ecdsa.c, key-rsa.c, key-sk.c, key-cert.c); all parsing goes through
 * sshbuf.  Private material lives in locked memory (secmem.h) and is wiped
 * when the key is freed.  Call secmem_init() once at start-up.
 *
 * A struct key is immutable once made, except through key_free().  It may be
 * shared between threads for reading (signing).
 */
#ifndef SKA_KEY_H
#define SKA_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sshbuf.h"

enum key_type {
	KEY_UNSPEC = 0,
	KEY_ED25519,
	KEY_ECDSA,		/* nistp256, nistp384, nistp521 */
	KEY_RSA,
	KEY_ED25519_SK,		/* sk-ssh-ed25519@openssh.com */
	KEY_ECDSA_SK,		/* sk-ecdsa-sha2-nistp256@openssh.com */
};

/* sk flags (PROTOCOL.u2f) */
#define KEY_SK_USER_PRESENCE_REQD	0x01
#define KEY_SK_USER_VERIFICATION_REQD	0x04
#define KEY_SK_FORCE_OPERATION		0x10
#define KEY_SK_RESIDENT_KEY		0x20

#define KEY_RSA_MIN_BITS	1024
#define KEY_RSA_MAX_BITS	16384

enum key_fp_hash { KEY_FP_SHA256 = 0, KEY_FP_MD5 };

/* certificate types */
#define KEY_CERT_USER	1
#define KEY_CERT_HOST	2

struct key;

/* Properties */
enum key_type key_type(const struct key *k);	/* base type, cert or not */
int key_is_cert(const struct key *k);
int key_is_sk(const struct key *k);
int key_has_private(const struct key *k);
/* "ssh-ed25519", "ecdsa-sha2-nistp384-cert-v01@openssh.com", ... */
const char *key_type_name(const struct key *k);
/* The type without "-cert-v01@openssh.com". */
const char *key_plain_type_name(const struct key *k);
int key_type_name_valid(const char *name);
/* The base type a type name ("...-cert-v01@openssh.com" too) stands for. */
enum key_type key_type_name_type(const char *name);
/* "ED25519", "ECDSA", "RSA", "ED25519-SK", "ECDSA-SK" (+"-CERT"), as ssh-add -l */
const char *key_type_short(const struct key *k);
unsigned int key_bits(const struct key *k);
/* ecdsa: 256, 384 or 521; 0 otherwise */
int key_ecdsa_curve_bits(const struct key *k);
/* sk keys only: NULL / 0 otherwise */
const char *key_sk_application(const struct key *k);
uint8_t key_sk_flags(const struct key *k);
/* Sets an sk key's flags (as ssh-keygen -p -O does); not for certificates. */
int key_sk_set_flags(struct key *k, uint8_t flags) SKA_WUR;
const uint8_t *key_sk_key_handle(const struct key *k, size_t *lenp);
/* ed25519 and sk-ed25519: the 32-byte public key; NULL otherwise */
const uint8_t *key_ed25519_public(const struct key *k);

/*
 * Certificates: parsed, and their CA signature verified, when the key is
 * read.  Accessors give 0 / NULL for plain keys.
 */
uint32_t key_cert_type(const struct key *k);
const struct key *key_cert_signature_key(const struct key *k);
const char *key_cert_key_id(const struct key *k);
size_t key_cert_nprincipals(const struct key *k);
const char *key_cert_principal(const struct key *k, size_t i);
/* valid_after <= now < valid_before (seconds since the epoch) */
int key_cert_valid_at(const struct key *k, uint64_t now);

/*
 * The public blob (string type, ...), as in REQUEST_IDENTITIES, SIGN and
 * authorized_keys.  key_blob() returns the blob cached at creation, valid
 * for the key's life (no copy: for fast lookups).
 */
int key_from_blob(const uint8_t *blob, size_t len, struct key **keyp) SKA_WUR;
int key_to_blob(const struct key *k, struct sshbuf *out) SKA_WUR;
const uint8_t *key_blob(const struct key *k, size_t *lenp);
/* Same public key material; a certificate equals its plain key. */
int key_equal_public(const struct key *a, const struct key *b);
/* Same blob: the same key, and the same certificate if any. */
int key_equal(const struct key *a, const struct key *b);
/* The plain public blob of a key or of a certificate's key. */
int key_plain_blob(const struct key *k, struct sshbuf *out) SKA_WUR;
/* A new key holding only the public half (certificate kept). */
int key_public_copy(const struct key *k, struct key **keyp) SKA_WUR;
/* A full copy, private part included (in locked memory). */
int key_dup(const struct key *k, struct key **keyp) SKA_WUR;
/* A new public key without the certificate. */
int key_drop_cert(const struct key *k, struct key **keyp) SKA_WUR;

/*
 * The private form as ssh-add sends it in ADD_IDENTITY and as
 * openssh-key-v1 stores it: string type, then the type's fields (certs:
 * string certtype, string certblob, then the private fields).  Reads from
 * b exactly the key's fields (not the comment that follows).
 */
int key_private_deserialize(struct sshbuf *b, struct key **keyp) SKA_WUR;
int key_private_serialize(const struct key *k, struct sshbuf *out) SKA_WUR;

/* "type base64 [comment]", the .pub / authorized_keys form. */
int key_from_public_line(const char *line, struct key **keyp,
    char **commentp) SKA_WUR;
int key_to_public_line(const struct key *k, const char *comment,
    char **linep) SKA_WUR;

/* "SHA256:<base64, no padding>" or "MD5:aa:bb:...", as ssh-keygen -l. */
char *key_fingerprint(const struct key *k, enum key_fp_hash h);
char *key_fingerprint_blob(const uint8_t *blob, size_t len, enum key_fp_hash h);

/*
 * Signatures in the SSH wire form (string alg, string sig).  alg NULL picks
 * the key's default; for RSA "rsa-sha2-256", "rsa-sha2-512" or "ssh-rsa".
 * key_sign works on in-memory keys only; sk keys are signed by the token
 * layer and encoded with key_sk_signature_encode.  key_sign appends to sig.
 */
int key_sign(const struct key *k, const uint8_t *data, size_t dlen,
    const char *alg, struct sshbuf *sig) SKA_WUR;
/* Verifies any type, sk included.  alg non-NULL: the signature must be it. */
int key_verify(const struct key *k, const uint8_t *sig, size_t slen,
    const uint8_t *data, size_t dlen, const char *alg) SKA_WUR;
/*
 * sk signature: string type, string inner, u8 flags, u32 counter.  raw is
 * the authenticator's signature: 64 bytes for Ed25519, DER for ECDSA.
 */
int key_sk_signature_encode(const struct key *k, const uint8_t *raw,
    size_t rawlen, uint8_t flags, uint32_t counter, struct sshbuf *sig) SKA_WUR;
/*
 * The same from what an OpenSSH SecurityKeyProvider returns (struct
 * sk_sign_response): Ed25519: the 64-byte signature in sig_r, sig_s empty;
 * ECDSA: r and s as unsigned big-endian numbers.  Appends nothing on error.
 */
int key_sk_signature_encode_rs(const struct key *k, const uint8_t *sig_r,
    size_t rlen, const uint8_t *sig_s, size_t slen, uint8_t flags,
    uint32_t counter, struct sshbuf *sig) SKA_WUR;
/* The flags and counter of an sk signature. */
int key_sk_signature_parse(const uint8_t *sig, size_t slen, uint8_t *flagsp,
    uint32_t *counterp) SKA_WUR;
/*
 * Builds an sk key from what a token returned at enrollment: pub is 32
 * bytes (ed25519) or an uncompressed P-256 point.  key_handle NULL makes a
 * public key.
 */
int key_sk_new(enum key_type t, const uint8_t *pub, size_t publen,
    const char *application, uint8_t flags, const uint8_t *key_handle,
    size_t khlen, struct key **keyp) SKA_WUR;

/* ed25519: bits ignored; ecdsa: 256/384/521; rsa: 1024..16384, 0 = 3072 */
int key_generate(enum key_type t, unsigned int bits, struct key **keyp) SKA_WUR;

void key_free(struct key *k);

#endif
