/*
 * Security-key keys (PROTOCOL.u2f): sk-ssh-ed25519@openssh.com and
 * sk-ecdsa-sha2-nistp256@openssh.com.  The token signs; here are the key
 * objects made at enrollment, the signature encoding and verification.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "key-impl.h"

/* SHA256(application) || flags || counter || SHA256(data): authData || cdh */
static void
sk_message(const struct key *k, uint8_t flags, uint32_t counter,
    const uint8_t *d, size_t dlen, uint8_t msg[69])
{
	crypto_hash_sha256(msg, (const uint8_t *)k->sk_application,
	    strlen(k->sk_application));
	msg[32] = flags;
	poke_u32(msg + 33, counter);
	crypto_hash_sha256(msg + 37, d, dlen);
}

int
key_sk_verify(const struct key *k, struct sshbuf *sig,
    const uint8_t *d, size_t dlen)
{
	struct sshbuf *inner = NULL;
	const uint8_t *alg, *s;
	size_t alglen, slen;
	uint8_t msg[69], flags, dgst[crypto_hash_sha256_BYTES];
	const char *want = key_typeinfo_plain(k->ti)->sigalg;
	uint32_t counter;
	int r;

	if ((r = sshbuf_get_string_direct(sig, &alg, &alglen)) != 0)
		return r;
	if (alglen != strlen(want) || memcmp(alg, want, alglen) != 0)
		return SKA_ERR_SIGNATURE_INVALID;	/* webauthn variant too */
	if (k->ti->type == KEY_ED25519_SK) {
		if ((r = sshbuf_get_string_direct(sig, &s, &slen)) != 0)
			return r;
		if (slen != ED25519_SIG_LEN)
			return SKA_ERR_INVALID_FORMAT;
	} else if ((r = sshbuf_froms(sig, &inner)) != 0)
		return r;
	if ((r = sshbuf_get_u8(sig, &flags)) != 0 ||
	    (r = sshbuf_get_u32(sig, &counter)) != 0)
		goto out;
	sk_message(k, flags, counter, d, dlen, msg);
	if (k->ti->type == KEY_ED25519_SK) {
		r = crypto_sign_ed25519_verify_detached(s, msg, sizeof(msg),
		    k->ed25519_pk) == 0 ? 0 : SKA_ERR_SIGNATURE_INVALID;
	} else {
		crypto_hash_sha256(dgst, msg, sizeof(msg));
		r = key_ecdsa_verify_digest(k, inner, dgst, sizeof(dgst));
	}
 out:
	sshbuf_free(inner);
	return r;
}

/* Splits an sk signature into its parts (for sshd-like flag checks). */
int
key_sk_signature_parse(const uint8_t *sig, size_t slen, uint8_t *flagsp,
    uint32_t *counterp)
{
	struct sshbuf *b = NULL;
	int r;

	if ((b = sshbuf_from(sig, slen)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_get_string_direct(b, NULL, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(b, NULL, NULL)) != 0 ||
	    (r = sshbuf_get_u8(b, flagsp)) != 0 ||
	    (r = sshbuf_get_u32(b, counterp)) != 0)
		goto out;
	r = sshbuf_len(b) == 0 ? 0 : SKA_ERR_INVALID_FORMAT;
 out:
	sshbuf_free(b);
	return r;
}

int
key_sk_signature_encode(const struct key *k, const uint8_t *raw,
    size_t rawlen, uint8_t flags, uint32_t counter, struct sshbuf *sig)
{
	int r;

	if (!key_is_sk(k) || raw == NULL || sig == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((r = sshbuf_put_cstring(sig, key_typeinfo_plain(k->ti)->sigalg)) != 0)
		return r;
	if (k->ti->type == KEY_ED25519_SK) {
		if (rawlen != ED25519_SIG_LEN)
			return SKA_ERR_INVALID_FORMAT;
		r = sshbuf_put_string(sig, raw, rawlen);
	} else
		r = key_ecdsa_der_to_ssh(raw, rawlen, sig);
	if (r != 0)
		return r;
	if ((r = sshbuf_put_u8(sig, flags)) != 0)
		return r;
	return sshbuf_put_u32(sig, counter);
}

/* The value of an unsigned big-endian number: leading zeroes dropped. */
static const uint8_t *
strip_zeroes(const uint8_t *p, size_t *lenp)
{
	while (*lenp > 0 && *p == 0) {
		p++;
		(*lenp)--;
	}
	return p;
}

int
key_sk_signature_encode_rs(const struct key *k, const uint8_t *sig_r,
    size_t rlen, const uint8_t *sig_s, size_t slen, uint8_t flags,
    uint32_t counter, struct sshbuf *sig)
{
	struct sshbuf *b = NULL, *inner = NULL;
	int r;

	if (!key_is_sk(k) || sig_r == NULL || sig == NULL ||
	    (sig_s == NULL && slen != 0))
		return SKA_ERR_INVALID_ARGUMENT;
	if ((b = sshbuf_new()) == NULL || (inner = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_put_cstring(b, key_typeinfo_plain(k->ti)->sigalg)) != 0)
		goto out;
	if (k->ti->type == KEY_ED25519_SK) {
		if (rlen != ED25519_SIG_LEN || slen != 0) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		r = sshbuf_put_string(b, sig_r, rlen);
	} else {
		/* P-256: each of r, s is 1..32 bytes once leading zeroes go */
		sig_r = strip_zeroes(sig_r, &rlen);
		if (slen != 0)
			sig_s = strip_zeroes(sig_s, &slen);
		if (rlen == 0 || rlen > 32 || slen == 0 || slen > 32) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		if ((r = sshbuf_put_bignum2_bytes(inner, sig_r, rlen)) != 0 ||
		    (r = sshbuf_put_bignum2_bytes(inner, sig_s, slen)) != 0)
			goto out;
		r = sshbuf_put_stringb(b, inner);
	}
	if (r != 0 ||
	    (r = sshbuf_put_u8(b, flags)) != 0 ||
	    (r = sshbuf_put_u32(b, counter)) != 0)
		goto out;
	r = sshbuf_putb(sig, b);
 out:
	sshbuf_free(inner);
	sshbuf_free(b);
	return r;
}

int
key_sk_new(enum key_type t, const uint8_t *pub, size_t publen,
    const char *application, uint8_t flags, const uint8_t *key_handle,
    size_t khlen, struct key **keyp)
{
	const struct key_typeinfo *ti;
	struct key *k = NULL;
	int r;

	if (keyp == NULL || pub == NULL || application == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*keyp = NULL;
	if (t == KEY_ED25519_SK)
		ti = key_typeinfo_by_name("sk-ssh-ed25519@openssh.com", 26);
	else if (t == KEY_ECDSA_SK)
		ti = key_typeinfo_by_name("sk-ecdsa-sha2-nistp256@openssh.com", 34);
	else
		return SKA_ERR_KEY_TYPE_UNKNOWN;
	if ((k = key_alloc(ti)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if (t == KEY_ED25519_SK) {
		if (publen != ED25519_PK_LEN) {
			r = SKA_ERR_KEY_LENGTH;
			goto out;
		}
		memcpy(k->ed25519_pk, pub, publen);
	} else if ((r = key_ecdsa_from_point(k, 256, pub, publen)) != 0)
		goto out;
	if ((k->sk_application = strdup(application)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	k->sk_flags = flags;
	if (key_handle != NULL) {
		if ((k->sk_key_handle = malloc(khlen == 0 ? 1 : khlen)) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		memcpy(k->sk_key_handle, key_handle, khlen);
		k->sk_key_handle_len = khlen;
		k->has_private = 1;
	}
	if ((r = key_cache_blob(k)) != 0)
		goto out;
	r = 0;
	*keyp = k;
	k = NULL;
 out:
	key_free(k);
	return r;
}
