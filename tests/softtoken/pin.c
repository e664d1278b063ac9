/*
 * clientPIN, PIN/UV auth protocols 1 and 2.  In both, Z is the x
 * coordinate of ECDH on P-256.  Protocol 1: K = SHA-256(Z), AES-256-CBC
 * with a zero IV, HMAC truncated to 16 bytes.  Protocol 2: K = HKDF "CTAP2
 * HMAC key" || HKDF "CTAP2 AES key", random IV prepended, full HMAC.
 * The pinUvAuthToken is one 32-byte secret for both.
 */
#include <string.h>

#include <sodium.h>

#include "st.h"

struct proto_key {
	int proto;
	uint8_t k[64];		/* v1: 32 bytes; v2: hmac key || aes key */
};

static const uint8_t *
aes_key(const struct proto_key *pk)
{
	return pk->proto == 1 ? pk->k : pk->k + 32;
}

void
pin_reset_token(struct token *t)
{
	randombytes_buf(t->st.sec->pin_token, sizeof(t->st.sec->pin_token));
	t->tok_perms = 0;
	t->tok_has_rpid = 0;
	t->tok_rpid[0] = '\0';
}

static void
new_key_agreement(struct token *t)
{
	ecdh_free(t->ka);
	t->ka = ecdh_new();
}

void
pin_powerup(struct token *t)
{
	t->pin_consec_fail = 0;
	new_key_agreement(t);
	pin_reset_token(t);
}

static int
get_proto(const cbor_item_t *it, int *proto)
{
	uint64_t v;

	if (it == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (cb_uint(it, &v) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (v != 1 && v != 2)
		return CTAP1_INVALID_PARAMETER;
	*proto = (int)v;
	return 0;
}

/* 1 if sig == authenticate(key, msg) under proto. */
static int
auth_ok(int proto, const uint8_t key[32], const void *msg, size_t n,
    const uint8_t *sig, size_t siglen)
{
	uint8_t mac[32];
	size_t want = proto == 1 ? 16 : 32;
	int ok;

	if (siglen != want)
		return 0;
	hmac_sha256(key, 32, msg, n, mac);
	ok = sodium_memcmp(mac, sig, want) == 0;
	sodium_memzero(mac, sizeof(mac));
	return ok;
}

static int
shared_secret(struct token *t, int proto, const cbor_item_t *cose,
    struct proto_key *pk)
{
	struct cbor_pair *pr;
	size_t i, n, l;
	int64_t k, v;
	const uint8_t *x = NULL, *y = NULL, *b;
	int crv = 0;
	uint8_t peer[64], z[32];
	int r;

	if (cose == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (!cbor_isa_map(cose) || !cbor_map_is_definite(cose) ||
	    (n = cbor_map_size(cose)) == 0 || (pr = cbor_map_handle(cose)) == NULL)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	for (i = 0; i < n; i++) {
		if (cb_int(pr[i].key, &k) != 0)
			return CTAP2_CBOR_UNEXPECTED_TYPE;
		if (k == 1 && (cb_int(pr[i].value, &v) != 0 || v != 2))
			return CTAP1_INVALID_PARAMETER;
		if (k == -1) {
			if (cb_int(pr[i].value, &v) != 0 || v != 1)
				return CTAP1_INVALID_PARAMETER;
			crv = 1;
		}
		if (k == -2 || k == -3) {
			if (cb_bytes(pr[i].value, &b, &l) != 0 || l != 32)
				return CTAP1_INVALID_PARAMETER;
			if (k == -2)
				x = b;
			else
				y = b;
		}
	}
	if (!crv || x == NULL || y == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (t->ka == NULL)
		return CTAP1_OTHER;
	memcpy(peer, x, 32);
	memcpy(peer + 32, y, 32);
	if (ecdh_derive(t->ka, peer, z) != 0)
		return CTAP1_INVALID_PARAMETER;
	pk->proto = proto;
	if (proto == 1)
		sha256(z, sizeof(z), pk->k);
	else {
		hkdf_sha256_32(z, sizeof(z), "CTAP2 HMAC key", pk->k);
		hkdf_sha256_32(z, sizeof(z), "CTAP2 AES key", pk->k + 32);
	}
	r = 0;
	sodium_memzero(z, sizeof(z));
	return r;
}

/* out gets len (v1) or 16 + len (v2) bytes. */
static int
pk_encrypt(const struct proto_key *pk, const uint8_t *in, size_t len,
    uint8_t *out, size_t *outlen)
{
	uint8_t iv[16];

	memset(iv, 0, sizeof(iv));
	if (pk->proto == 2) {
		randombytes_buf(iv, sizeof(iv));
		memcpy(out, iv, 16);
		out += 16;
	}
	if (aes256_cbc(1, aes_key(pk), iv, in, len, out) != 0)
		return -1;
	*outlen = len + (pk->proto == 2 ? 16 : 0);
	return 0;
}

/* Plaintext must be exactly want bytes. */
static int
pk_decrypt(const struct proto_key *pk, const uint8_t *in, size_t len,
    uint8_t *out, size_t want)
{
	uint8_t iv[16];

	memset(iv, 0, sizeof(iv));
	if (pk->proto == 2) {
		if (len < 16)
			return -1;
		memcpy(iv, in, 16);
		in += 16;
		len -= 16;
	}
	if (len != want)
		return -1;
	return aes256_cbc(0, aes_key(pk), iv, in, len, out);
}

static int
save(struct token *t)
{
	return state_save(&t->st) == 0 ? 0 : CTAP1_OTHER;
}

static int
store_pin(struct token *t, const uint8_t *pin, size_t len)
{
	uint8_t h[32];

	sha256(pin, len, h);
	memcpy(t->st.sec->pin_hash, h, 16);
	sodium_memzero(h, sizeof(h));
	t->st.pin_set = 1;
	t->st.pin_retries = ST_PIN_RETRIES;
	pin_reset_token(t);
	return save(t);
}

/* PIN policy: at most 63 bytes, no NUL, at least min code points. */
static int
pin_policy(const uint8_t *pin, size_t len, int min)
{
	size_t i, cps = 0;

	if (len < ST_MIN_PIN || len > ST_MAX_PIN)
		return CTAP2_PIN_POLICY_VIOLATION;
	for (i = 0; i < len; i++) {
		if (pin[i] == 0)
			return CTAP2_PIN_POLICY_VIOLATION;
		if ((pin[i] & 0xc0) != 0x80)
			cps++;
	}
	return cps >= (size_t)min ? 0 : CTAP2_PIN_POLICY_VIOLATION;
}

/* --pin: the base policy (a minimum set later may force a change). */
int
pin_set_initial(struct token *t, const char *pin)
{
	size_t len = strlen(pin);
	int r;

	if ((r = pin_policy((const uint8_t *)pin, len, ST_MIN_PIN)) != 0)
		return r;
	return store_pin(t, (const uint8_t *)pin, len);
}

static int
new_pin(struct token *t, const struct proto_key *pk, const cbor_item_t *enc)
{
	const uint8_t *p;
	size_t l, plen;
	uint8_t padded[64], h[32];
	uint8_t *z;
	int r, same;

	if (cb_bytes(enc, &p, &l) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (pk_decrypt(pk, p, l, padded, sizeof(padded)) != 0)
		return CTAP1_INVALID_PARAMETER;
	z = memchr(padded, 0, sizeof(padded));
	plen = z == NULL ? sizeof(padded) : (size_t)(z - padded);
	if ((r = pin_policy(padded, plen, t->st.min_pin_len)) != 0)
		goto out;
	if (t->st.force_pin_change && t->st.pin_set) {
		/* a forced change must change it */
		sha256(padded, plen, h);
		same = sodium_memcmp(h, t->st.sec->pin_hash, 16) == 0;
		sodium_memzero(h, sizeof(h));
		if (same) {
			r = CTAP2_PIN_POLICY_VIOLATION;
			goto out;
		}
	}
	t->st.force_pin_change = 0;
	r = store_pin(t, padded, plen);
 out:
	sodium_memzero(padded, sizeof(padded));
	return r;
}

/* Compares pinHashEnc with the stored hash, counting failures. */
static int
check_pin_hash(struct token *t, const struct proto_key *pk,
    const cbor_item_t *enc)
{
	const uint8_t *p;
	size_t l;
	uint8_t h[16];
	int match, before = t->st.pin_retries;

	if (enc == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (cb_bytes(enc, &p, &l) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (t->st.pin_retries <= 0)
		return CTAP2_PIN_BLOCKED;
	if (t->pin_consec_fail >= 3)
		return CTAP2_PIN_AUTH_BLOCKED;
	if (pk_decrypt(pk, p, l, h, sizeof(h)) != 0)
		return CTAP1_INVALID_PARAMETER;
	t->st.pin_retries--;
	match = sodium_memcmp(h, t->st.sec->pin_hash, 16) == 0;
	sodium_memzero(h, sizeof(h));
	if (!match) {
		new_key_agreement(t);
		t->pin_consec_fail++;
		if (save(t) != 0)
			return CTAP1_OTHER;
		if (t->st.pin_retries == 0)
			return CTAP2_PIN_BLOCKED;
		if (t->pin_consec_fail >= 3)
			return CTAP2_PIN_AUTH_BLOCKED;
		return CTAP2_PIN_INVALID;
	}
	t->st.pin_retries = ST_PIN_RETRIES;
	t->pin_consec_fail = 0;
	if (before != ST_PIN_RETRIES && save(t) != 0)
		return CTAP1_OTHER;
	return 0;
}

static int
reply_token(struct token *t, const struct proto_key *pk, uint8_t *out,
    size_t *outlen)
{
	uint8_t enc[16 + 32];
	size_t el;
	cbor_item_t *m = NULL;
	int r = CTAP1_OTHER;

	if (pk_encrypt(pk, t->st.sec->pin_token, 32, enc, &el) != 0)
		goto out;
	if ((m = cbor_new_definite_map(1)) == NULL ||
	    cb_put(m, cb_new_uint(2), cbor_build_bytestring(enc, el)) != 0 ||
	    cb_reply(m, out, outlen) != 0)
		goto out;
	r = 0;
 out:
	if (m != NULL)
		cbor_decref(&m);
	return r;
}

static int
reply_key_agreement(struct token *t, uint8_t *out, size_t *outlen)
{
	uint8_t xy[64];
	cbor_item_t *m = NULL, *k = NULL;
	int r = CTAP1_OTHER;

	if (t->ka == NULL)
		new_key_agreement(t);
	if (t->ka == NULL)
		return CTAP1_OTHER;
	ecdh_pub(t->ka, xy);
	if ((k = cbor_new_definite_map(5)) == NULL ||
	    cb_put(k, cb_new_int(1), cb_new_int(2)) != 0 ||
	    cb_put(k, cb_new_int(3), cb_new_int(-25)) != 0 ||
	    cb_put(k, cb_new_int(-1), cb_new_int(1)) != 0 ||
	    cb_put(k, cb_new_int(-2), cbor_build_bytestring(xy, 32)) != 0 ||
	    cb_put(k, cb_new_int(-3), cbor_build_bytestring(xy + 32, 32)) != 0)
		goto out;
	if ((m = cbor_new_definite_map(1)) == NULL ||
	    cb_put(m, cb_new_uint(1), k) != 0) {
		k = NULL;
		goto out;
	}
	k = NULL;
	if (cb_reply(m, out, outlen) != 0)
		goto out;
	r = 0;
 out:
	if (k != NULL)
		cbor_decref(&k);
	if (m != NULL)
		cbor_decref(&m);
	return r;
}

static int
reply_retries(struct token *t, uint8_t *out, size_t *outlen)
{
	cbor_item_t *m;
	int r = CTAP1_OTHER;

	if ((m = cbor_new_definite_map(2)) != NULL &&
	    cb_put(m, cb_new_uint(3), cb_new_uint((uint64_t)t->st.pin_retries)) == 0 &&
	    cb_put(m, cb_new_uint(4), cbor_build_bool(t->pin_consec_fail >= 3)) == 0 &&
	    cb_reply(m, out, outlen) == 0)
		r = 0;
	if (m != NULL)
		cbor_decref(&m);
	return r;
}

int
pin_handle(struct token *t, const cbor_item_t *req, uint8_t *out,
    size_t *outlen)
{
	const cbor_item_t *v[11];
	struct proto_key pk;
	uint64_t sub, perms = 0;
	const uint8_t *param = NULL, *a, *b;
	uint8_t msg[2 * (16 + 64)];
	size_t plen = 0, al, bl;
	const char *rpid = NULL;
	size_t rpidlen = 0;
	int proto = 0, r;

	memset(&pk, 0, sizeof(pk));
	if (cb_req_map(req, v, 11) != 0)
		return CTAP2_INVALID_CBOR;
	if (v[2] == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (cb_uint(v[2], &sub) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (sub == 1)
		return reply_retries(t, out, outlen);
	if (sub != 2 && sub != 3 && sub != 4 && sub != 5 && sub != 9)
		return CTAP2_INVALID_SUBCOMMAND;
	if ((r = get_proto(v[1], &proto)) != 0)
		return r;
	if (sub == 2)
		return reply_key_agreement(t, out, outlen);
	if (v[4] != NULL && cb_bytes(v[4], &param, &plen) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (v[9] != NULL && cb_uint(v[9], &perms) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (v[10] != NULL && cb_text(v[10], &rpid, &rpidlen) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (sub == 3 || sub == 4) {
		if (v[4] == NULL || v[5] == NULL || (sub == 4 && v[6] == NULL))
			return CTAP2_MISSING_PARAMETER;
		if (sub == 3 && t->st.pin_set)
			return CTAP2_NOT_ALLOWED;
		if (sub == 4 && !t->st.pin_set)
			return CTAP2_PIN_NOT_SET;
		if (sub == 4 && t->st.pin_retries <= 0)
			return CTAP2_PIN_BLOCKED;
		if (sub == 4 && t->pin_consec_fail >= 3)
			return CTAP2_PIN_AUTH_BLOCKED;
	}
	if (sub == 5 && (v[9] != NULL || v[10] != NULL))
		return CTAP1_INVALID_PARAMETER;
	if (sub == 9) {
		if (v[9] == NULL)
			return CTAP2_MISSING_PARAMETER;
		if (perms == 0)
			return CTAP1_INVALID_PARAMETER;
		if (perms & ~(uint64_t)(PERM_MC | PERM_GA | PERM_CM))
			return CTAP2_UNAUTHORIZED_PERMISSION;
		if ((perms & (PERM_MC | PERM_GA)) && rpid == NULL)
			return CTAP2_MISSING_PARAMETER;
		if (rpid != NULL && (rpidlen == 0 || rpidlen > ST_MAX_RPID))
			return CTAP1_INVALID_LENGTH;
	}
	if ((sub == 5 || sub == 9) && !t->st.pin_set)
		return CTAP2_PIN_NOT_SET;
	if ((r = shared_secret(t, proto, v[3], &pk)) != 0)
		goto out;
	switch (sub) {
	case 3:
		if (cb_bytes(v[5], &a, &al) != 0) {
			r = CTAP2_CBOR_UNEXPECTED_TYPE;
			break;
		}
		if (!auth_ok(proto, pk.k, a, al, param, plen)) {
			r = CTAP2_PIN_AUTH_INVALID;
			break;
		}
		r = new_pin(t, &pk, v[5]);
		break;
	case 4:
		if (cb_bytes(v[5], &a, &al) != 0 || cb_bytes(v[6], &b, &bl) != 0) {
			r = CTAP2_CBOR_UNEXPECTED_TYPE;
			break;
		}
		if (al + bl > sizeof(msg)) {
			r = CTAP1_INVALID_PARAMETER;
			break;
		}
		memcpy(msg, a, al);
		memcpy(msg + al, b, bl);
		if (!auth_ok(proto, pk.k, msg, al + bl, param, plen)) {
			r = CTAP2_PIN_AUTH_INVALID;
			break;
		}
		if ((r = check_pin_hash(t, &pk, v[6])) != 0)
			break;
		r = new_pin(t, &pk, v[5]);
		break;
	case 5:
	case 9:
		if ((r = check_pin_hash(t, &pk, v[6])) != 0)
			break;
		if (t->st.force_pin_change) {
			r = CTAP2_PIN_POLICY_VIOLATION;
			break;
		}
		pin_reset_token(t);
		t->tok_perms = sub == 5 ? PERM_MC | PERM_GA : (int)perms;
		if (rpid != NULL) {
			memcpy(t->tok_rpid, rpid, rpidlen);
			t->tok_rpid[rpidlen] = '\0';
			t->tok_has_rpid = 1;
		}
		r = reply_token(t, &pk, out, outlen);
		break;
	}
 out:
	sodium_memzero(&pk, sizeof(pk));
	return r;
}

int
pin_check_token(struct token *t, const cbor_item_t *proto,
    const cbor_item_t *param, const void *msg, size_t n, int perm)
{
	const uint8_t *p;
	size_t pl;
	int pr, r;

	if (cb_bytes(param, &p, &pl) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if ((r = get_proto(proto, &pr)) != 0)
		return r;
	if (!t->st.pin_set)
		return CTAP2_PIN_NOT_SET;
	if (t->tok_perms == 0 ||
	    !auth_ok(pr, t->st.sec->pin_token, msg, n, p, pl) ||
	    (t->tok_perms & perm) == 0)
		return CTAP2_PIN_AUTH_INVALID;
	return 0;
}
