/* CTAP2 commands: getInfo, makeCredential, getAssertion(+Next), reset. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "st.h"

#define CMD_MAKECRED	0x01
#define CMD_ASSERT	0x02
#define CMD_INFO	0x04
#define CMD_PIN		0x06
#define CMD_RESET	0x07
#define CMD_NEXT	0x08
#define CMD_CREDMAN	0x0a
#define CMD_CREDMAN_PRE	0x41

#define FLAG_UP		0x01
#define FLAG_UV		0x04
#define FLAG_AT		0x40
#define FLAG_ED		0x80

#define NEXT_TIMEOUT_MS	30000

int st_quiet;

void
st_log(const char *fmt, ...)
{
	va_list ap;

	if (st_quiet)
		return;
	fprintf(stderr, "softtoken: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

uint64_t
st_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *
ctap_status_name(int s)
{
	switch (s) {
	case CTAP_OK: return "ok";
	case CTAP1_INVALID_COMMAND: return "invalid command";
	case CTAP1_INVALID_PARAMETER: return "invalid parameter";
	case CTAP1_INVALID_LENGTH: return "invalid length";
	case CTAP2_CBOR_UNEXPECTED_TYPE: return "cbor unexpected type";
	case CTAP2_INVALID_CBOR: return "invalid cbor";
	case CTAP2_MISSING_PARAMETER: return "missing parameter";
	case CTAP2_CREDENTIAL_EXCLUDED: return "credential excluded";
	case CTAP2_UNSUPPORTED_ALGORITHM: return "unsupported algorithm";
	case CTAP2_OPERATION_DENIED: return "operation denied";
	case CTAP2_KEY_STORE_FULL: return "key store full";
	case CTAP2_UNSUPPORTED_OPTION: return "unsupported option";
	case CTAP2_INVALID_OPTION: return "invalid option";
	case CTAP2_KEEPALIVE_CANCEL: return "keepalive cancel";
	case CTAP2_NO_CREDENTIALS: return "no credentials";
	case CTAP2_NOT_ALLOWED: return "not allowed";
	case CTAP2_PIN_INVALID: return "pin invalid";
	case CTAP2_PIN_BLOCKED: return "pin blocked";
	case CTAP2_PIN_AUTH_INVALID: return "pin auth invalid";
	case CTAP2_PIN_AUTH_BLOCKED: return "pin auth blocked";
	case CTAP2_PIN_NOT_SET: return "pin not set";
	case CTAP2_PIN_REQUIRED: return "pin required";
	case CTAP2_PIN_POLICY_VIOLATION: return "pin policy violation";
	case CTAP2_INVALID_SUBCOMMAND: return "invalid subcommand";
	case CTAP2_UNAUTHORIZED_PERMISSION: return "unauthorized permission";
	default: return "error";
	}
}

static const char *
cmd_name(int cmd)
{
	switch (cmd) {
	case CMD_MAKECRED: return "makeCredential";
	case CMD_ASSERT: return "getAssertion";
	case CMD_INFO: return "getInfo";
	case CMD_PIN: return "clientPIN";
	case CMD_RESET: return "reset";
	case CMD_NEXT: return "getNextAssertion";
	case CMD_CREDMAN: return "credentialManagement";
	case CMD_CREDMAN_PRE: return "credentialManagement(preview)";
	default: return "unknown";
	}
}

int
token_init(struct token *t, const char *state_path, const char *pin,
    int no_eddsa, char *err, size_t errlen)
{
	int r;

	memset(t, 0, sizeof(*t));
	t->no_eddsa = no_eddsa;
	t->rk_slots = ST_MAX_RK;
	if (state_open(&t->st, state_path, err, errlen) != 0)
		return -1;
	pin_powerup(t);
	if (t->ka == NULL) {
		snprintf(err, errlen, "cannot make a P-256 key");
		goto fail;
	}
	if (pin != NULL && !t->st.pin_set &&
	    (r = pin_set_initial(t, pin)) != 0) {
		snprintf(err, errlen, "--pin: %s", r == CTAP2_PIN_POLICY_VIOLATION ?
		    "a PIN has 4 to 63 bytes" : "cannot save the state");
		goto fail;
	}
	return 0;
 fail:
	token_free(t);
	return -1;
}

void
token_free(struct token *t)
{
	ecdh_free(t->ka);
	t->ka = NULL;
	att_free(t->att);
	t->att = NULL;
	state_close(&t->st);
	sodium_memzero(t, sizeof(*t));
}

static int
status_only(uint8_t *out, size_t *outlen, int status)
{
	out[0] = (uint8_t)status;
	*outlen = 1;
	return ST_REPLY;
}

static int
alg_ok(const struct token *t, int64_t alg)
{
	return alg == COSE_ES256 || (alg == COSE_EDDSA && !t->no_eddsa);
}

static cbor_item_t *
text_array(const char **s, size_t n)
{
	cbor_item_t *a;
	size_t i;

	if ((a = cbor_new_definite_array(n)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (cb_push(a, cbor_build_string(s[i])) != 0) {
			cbor_decref(&a);
			return NULL;
		}
	return a;
}

static int
get_info(struct token *t, uint8_t *out, size_t *outlen)
{
	static const char *versions[] = { "FIDO_2_0", "FIDO_2_1" };
	static const char *exts[] = { "credProtect" };
	static const char *transports[] = { "usb" };
	/* canonical: shorter keys first, then bytewise */
	static const char *opts[] = { "rk", "up", "plat", "credMgmt",
	    "clientPin", "pinUvAuthToken", "makeCredUvNotRqd",
	    "credentialMgmtPreview" };
	cbor_item_t *m = NULL, *o = NULL, *a = NULL, *al = NULL;
	size_t i;
	int r = CTAP1_OTHER, v;

	if ((m = cbor_new_definite_map(14)) == NULL ||
	    cb_put(m, cb_new_uint(1), text_array(versions, 2)) != 0 ||
	    cb_put(m, cb_new_uint(2), text_array(exts, 1)) != 0 ||
	    cb_put(m, cb_new_uint(3), cbor_build_bytestring(t->st.aaguid,
	    16)) != 0)
		goto out;
	if ((o = cbor_new_definite_map(8)) == NULL)
		goto out;
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		v = strcmp(opts[i], "plat") == 0 ? 0 :
		    strcmp(opts[i], "clientPin") == 0 ? t->st.pin_set : 1;
		if (cb_put(o, cbor_build_string(opts[i]), cbor_build_bool(v)) != 0)
			goto out;
	}
	if (cb_put(m, cb_new_uint(4), o) != 0) {
		o = NULL;
		goto out;
	}
	o = NULL;
	if (cb_put(m, cb_new_uint(5), cb_new_uint(1200)) != 0)
		goto out;
	if ((a = cbor_new_definite_array(2)) == NULL ||
	    cb_push(a, cb_new_uint(2)) != 0 || cb_push(a, cb_new_uint(1)) != 0 ||
	    cb_put(m, cb_new_uint(6), a) != 0) {
		a = NULL;
		goto out;
	}
	a = NULL;
	if (cb_put(m, cb_new_uint(7), cb_new_uint(ST_MAX_LIST)) != 0 ||
	    cb_put(m, cb_new_uint(8), cb_new_uint(128)) != 0 ||
	    cb_put(m, cb_new_uint(9), text_array(transports, 1)) != 0)
		goto out;
	if ((al = cbor_new_definite_array(t->no_eddsa ? 1 : 2)) == NULL)
		goto out;
	for (i = 0; i < (t->no_eddsa ? 1u : 2u); i++) {
		if ((o = cbor_new_definite_map(2)) == NULL ||
		    cb_put(o, cbor_build_string("alg"),
		    cb_new_int(i == 0 ? COSE_ES256 : COSE_EDDSA)) != 0 ||
		    cb_put(o, cbor_build_string("type"),
		    cbor_build_string("public-key")) != 0 ||
		    cb_push(al, o) != 0) {
			o = NULL;
			goto out;
		}
		o = NULL;
	}
	if (cb_put(m, cb_new_uint(10), al) != 0) {
		al = NULL;
		goto out;
	}
	al = NULL;
	if (cb_put(m, cb_new_uint(0x0c),
	    cbor_build_bool(t->st.force_pin_change)) != 0 ||
	    cb_put(m, cb_new_uint(0x0d),
	    cb_new_uint((uint64_t)t->st.min_pin_len)) != 0 ||
	    cb_put(m, cb_new_uint(0x0e), cb_new_uint(ST_FIRMWARE)) != 0 ||
	    cb_put(m, cb_new_uint(0x14), cb_new_uint(t->st.nrk < t->rk_slots ?
	    t->rk_slots - t->st.nrk : 0)) != 0)
		goto out;
	if (cb_reply(m, out, outlen) != 0)
		goto out;
	r = 0;
 out:
	if (o != NULL)
		cbor_decref(&o);
	if (a != NULL)
		cbor_decref(&a);
	if (al != NULL)
		cbor_decref(&al);
	if (m != NULL)
		cbor_decref(&m);
	return r;
}

void
copy_trunc(char *dst, size_t max, const char *s, size_t n)
{
	if (n > max) {
		n = max;
		while (n > 0 && ((uint8_t)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int
get_rpid(const cbor_item_t *it, char *rpid, uint8_t hash[32])
{
	const char *s;
	size_t n;

	if (it == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (cb_text(it, &s, &n) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (n == 0 || n > ST_MAX_RPID)
		return CTAP1_INVALID_LENGTH;
	memcpy(rpid, s, n);
	rpid[n] = '\0';
	sha256(s, n, hash);
	return 0;
}

static int
get_cdh(const cbor_item_t *it, uint8_t cdh[32])
{
	const uint8_t *p;
	size_t n;

	if (it == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (cb_bytes(it, &p, &n) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (n != 32)
		return CTAP1_INVALID_LENGTH;
	memcpy(cdh, p, 32);
	return 0;
}

/* A PublicKeyCredentialDescriptor; *ours set if it opens for rpid_hash. */
static int
descriptor(struct token *t, const cbor_item_t *d, const uint8_t rpid_hash[32],
    const uint8_t **idp, struct st_key *key, int *ours)
{
	const cbor_item_t *ty, *id;
	const char *s;
	const uint8_t *p;
	size_t n, pl;

	*ours = 0;
	if (!cbor_isa_map(d) || !cbor_map_is_definite(d))
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if ((ty = cb_map_str(d, "type")) == NULL ||
	    (id = cb_map_str(d, "id")) == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (cb_text(ty, &s, &n) != 0 || cb_bytes(id, &p, &pl) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (n != 10 || memcmp(s, "public-key", 10) != 0)
		return 0;
	if (cred_open(t->st.sec->master, rpid_hash, p, pl, key) == 0) {
		*ours = 1;
		*idp = p;
	}
	return 0;
}

static int
get_list(const cbor_item_t *it, cbor_item_t ***items, size_t *n)
{
	*items = NULL;
	*n = 0;
	if (it == NULL)
		return 0;
	if (!cbor_isa_array(it) || !cbor_array_is_definite(it))
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	*n = cbor_array_size(it);
	*items = cbor_array_handle(it);
	if (*n != 0 && *items == NULL)
		return CTAP1_OTHER;
	return 0;
}

/* The token's RP binding for mc/ga: bind on first use, then must match. */
static int
check_token_rpid(struct token *t, const char *rpid)
{
	if (!t->tok_has_rpid) {
		snprintf(t->tok_rpid, sizeof(t->tok_rpid), "%s", rpid);
		t->tok_has_rpid = 1;
		return 0;
	}
	return strcmp(t->tok_rpid, rpid) == 0 ? 0 : CTAP2_PIN_AUTH_INVALID;
}

/* Options map: each key present sets *vals[i] (0/1); absent leaves it. */
static int
get_options(const cbor_item_t *it, int *rk, int *up, int *uv)
{
	const cbor_item_t *v;

	if (it == NULL)
		return 0;
	if (!cbor_isa_map(it) || !cbor_map_is_definite(it))
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if ((v = cb_map_str(it, "rk")) != NULL && cb_bool(v, rk) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if ((v = cb_map_str(it, "up")) != NULL && cb_bool(v, up) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if ((v = cb_map_str(it, "uv")) != NULL && cb_bool(v, uv) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	return 0;
}

/* Empty pinUvAuthParam: the touch probe.  1 if it is one. */
static int
is_probe(const cbor_item_t *param, const cbor_item_t *proto, int *r)
{
	const uint8_t *p;
	size_t n;
	uint64_t v;

	*r = 0;
	if (param == NULL)
		return 0;
	if (cb_bytes(param, &p, &n) != 0) {
		*r = CTAP2_CBOR_UNEXPECTED_TYPE;
		return 0;
	}
	if (n != 0)
		return 0;
	if (proto == NULL)
		*r = CTAP2_MISSING_PARAMETER;
	else if (cb_uint(proto, &v) != 0)
		*r = CTAP2_CBOR_UNEXPECTED_TYPE;
	else if (v != 1 && v != 2)
		*r = CTAP1_INVALID_PARAMETER;
	return 1;
}

static int
make_credential(struct token *t, uint32_t chan, const cbor_item_t *req)
{
	const cbor_item_t *v[10], *it, *cp;
	cbor_item_t **list;
	struct mc_req *mc = &t->mc;
	struct st_key key;
	const char *s;
	const uint8_t *p;
	size_t n, i, j;
	int64_t alg;
	uint64_t prot;
	int r, up = 1, rk = 0, uvopt = 0, ours, excluded = 0, found;

	if (cb_req_map(req, v, 10) != 0)
		return CTAP2_INVALID_CBOR;
	if (is_probe(v[8], v[9], &r)) {
		if (r == 0)
			t->pending = P_PROBE;
		return r;
	}
	if (r != 0)
		return r;
	memset(mc, 0, sizeof(*mc));
	if ((r = get_cdh(v[1], mc->cdh)) != 0)
		return r;
	if (v[2] == NULL || v[3] == NULL || v[4] == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (!cbor_isa_map(v[2]) || !cbor_isa_map(v[3]))
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if ((r = get_rpid(cb_map_str(v[2], "id"), mc->rpid, mc->rpid_hash)) != 0)
		return r;
	if ((it = cb_map_str(v[2], "name")) != NULL && cb_text(it, &s, &n) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if ((it = cb_map_str(v[3], "id")) == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (cb_bytes(it, &p, &n) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (n > ST_MAX_USERID)
		return CTAP1_INVALID_LENGTH;
	memcpy(mc->user_id, p, n);
	mc->user_id_len = n;
	if ((it = cb_map_str(v[3], "name")) != NULL) {
		if (cb_text(it, &s, &n) != 0)
			return CTAP2_CBOR_UNEXPECTED_TYPE;
		copy_trunc(mc->user_name, ST_MAX_NAME, s, n);
	}
	if ((it = cb_map_str(v[3], "displayName")) != NULL) {
		if (cb_text(it, &s, &n) != 0)
			return CTAP2_CBOR_UNEXPECTED_TYPE;
		copy_trunc(mc->user_display, ST_MAX_NAME, s, n);
	}
	if ((r = get_list(v[4], &list, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if (!cbor_isa_map(list[i]) || !cbor_map_is_definite(list[i]))
			return CTAP2_CBOR_UNEXPECTED_TYPE;
		if ((it = cb_map_str(list[i], "type")) == NULL ||
		    (cp = cb_map_str(list[i], "alg")) == NULL)
			return CTAP2_MISSING_PARAMETER;
		if (cb_text(it, &s, &j) != 0 || cb_int(cp, &alg) != 0)
			return CTAP2_CBOR_UNEXPECTED_TYPE;
		if (mc->alg == 0 && j == 10 && memcmp(s, "public-key", 10) == 0 &&
		    alg_ok(t, alg))
			mc->alg = (int)alg;
	}
	if (mc->alg == 0)
		return CTAP2_UNSUPPORTED_ALGORITHM;
	if (v[6] != NULL) {
		if (!cbor_isa_map(v[6]) || !cbor_map_is_definite(v[6]))
			return CTAP2_CBOR_UNEXPECTED_TYPE;
		if ((it = cb_map_str(v[6], "credProtect")) != NULL) {
			if (cb_uint(it, &prot) != 0)
				return CTAP2_CBOR_UNEXPECTED_TYPE;
			if (prot < 1 || prot > 3)
				return CTAP1_INVALID_PARAMETER;
			mc->prot = (int)prot;
		}
	}
	if ((r = get_options(v[7], &rk, &up, &uvopt)) != 0)
		return r;
	if (!up)
		return CTAP2_INVALID_OPTION;
	mc->rk = rk;
	if (v[8] != NULL) {
		if ((r = pin_check_token(t, v[9], v[8], mc->cdh, 32,
		    PERM_MC)) != 0 || (r = check_token_rpid(t, mc->rpid)) != 0)
			return r;
		mc->uv = 1;
	} else if (t->st.pin_set && (rk || uvopt))
		return CTAP2_PIN_REQUIRED;
	else if (rk && t->rk_needs_pin)
		return CTAP2_PIN_NOT_SET;
	else if (uvopt)
		return CTAP2_INVALID_OPTION;
	if ((r = get_list(v[5], &list, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if ((r = descriptor(t, list[i], mc->rpid_hash, &p, &key,
		    &ours)) != 0)
			return r;
		if (ours && (key.prot < 3 || mc->uv))
			excluded = 1;
		sodium_memzero(&key, sizeof(key));
	}
	if (excluded) {
		t->pending = P_EXCLUDED;
		return 0;
	}
	if (rk && t->st.nrk >= t->rk_slots) {
		for (i = 0, found = 0; i < t->st.nrk; i++)
			if (memcmp(t->st.rk[i].rpid_hash, mc->rpid_hash, 32) == 0 &&
			    t->st.rk[i].user_id_len == mc->user_id_len &&
			    memcmp(t->st.rk[i].user_id, mc->user_id,
			    mc->user_id_len) == 0)
				found = 1;
		if (!found)
			return CTAP2_KEY_STORE_FULL;
	}
	(void)chan;
	t->pending = P_MC;
	return 0;
}

static void
store_rk(struct token *t, const struct mc_req *mc, const uint8_t *id)
{
	struct st_rk *rk;
	size_t i;

	for (i = 0; i < t->st.nrk; i++) {
		rk = &t->st.rk[i];
		if (memcmp(rk->rpid_hash, mc->rpid_hash, 32) == 0 &&
		    rk->user_id_len == mc->user_id_len &&
		    memcmp(rk->user_id, mc->user_id, mc->user_id_len) == 0) {
			/* same account: replace, keep newest last */
			memmove(rk, rk + 1, (t->st.nrk - i - 1) * sizeof(*rk));
			t->st.nrk--;
			break;
		}
	}
	if (t->st.nrk >= t->rk_slots || t->st.nrk >= ST_MAX_RK)
		return;
	rk = &t->st.rk[t->st.nrk++];
	memset(rk, 0, sizeof(*rk));
	memcpy(rk->rpid_hash, mc->rpid_hash, 32);
	memcpy(rk->rpid, mc->rpid, sizeof(rk->rpid));
	memcpy(rk->user_id, mc->user_id, mc->user_id_len);
	rk->user_id_len = mc->user_id_len;
	memcpy(rk->user_name, mc->user_name, sizeof(rk->user_name));
	memcpy(rk->user_display, mc->user_display, sizeof(rk->user_display));
	memcpy(rk->cred_id, id, ST_CREDID_LEN);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static int
finish_make_credential(struct token *t, uint8_t *out, size_t *outlen)
{
	struct mc_req *mc = &t->mc;
	struct st_key key;
	uint8_t id[ST_CREDID_LEN], ad[512], tbs[512 + 32], sig[80];
	const uint8_t *cert;
	size_t al = 0, n, sl, cl;
	cbor_item_t *cose = NULL, *ext = NULL, *m = NULL, *att = NULL;
	cbor_item_t *x5c = NULL;
	int r = CTAP1_OTHER;

	memset(&key, 0, sizeof(key));
	if (cred_new(t->st.sec->master, mc->rpid_hash, mc->alg,
	    mc->prot ? mc->prot : 1, &key, id) != 0)
		goto out;
	t->st.counter++;
	memcpy(ad, mc->rpid_hash, 32);
	ad[32] = FLAG_UP | FLAG_AT | (mc->uv ? FLAG_UV : 0) |
	    (mc->prot ? FLAG_ED : 0);
	put_be32(ad + 33, t->st.counter);
	memcpy(ad + 37, t->st.aaguid, 16);
	ad[53] = 0;
	ad[54] = ST_CREDID_LEN;
	memcpy(ad + 55, id, ST_CREDID_LEN);
	al = 55 + ST_CREDID_LEN;
	if ((cose = cred_cose(&key)) == NULL ||
	    (n = cbor_serialize(cose, ad + al, sizeof(ad) - al)) == 0)
		goto out;
	al += n;
	if (mc->prot) {
		if ((ext = cbor_new_definite_map(1)) == NULL ||
		    cb_put(ext, cbor_build_string("credProtect"),
		    cb_new_uint((uint64_t)mc->prot)) != 0 ||
		    (n = cbor_serialize(ext, ad + al, sizeof(ad) - al)) == 0)
			goto out;
		al += n;
	}
	memcpy(tbs, ad, al);
	memcpy(tbs + al, mc->cdh, 32);
	/* packed: full attestation with x5c, or self attestation */
	if (t->att != NULL) {
		if (att_sign(t->att, tbs, al + 32, sig, &sl) != 0)
			goto out;
		cert = att_cert(t->att, &cl);
		if ((x5c = cbor_new_definite_array(1)) == NULL ||
		    cb_push(x5c, cbor_build_bytestring(cert, cl)) != 0)
			goto out;
	} else if (cred_sign(&key, tbs, al + 32, sig, &sl) != 0)
		goto out;
	if ((att = cbor_new_definite_map(x5c != NULL ? 3 : 2)) == NULL ||
	    cb_put(att, cbor_build_string("alg"), cb_new_int(t->att != NULL ?
	    COSE_ES256 : mc->alg)) != 0 ||
	    cb_put(att, cbor_build_string("sig"), cbor_build_bytestring(sig,
	    sl)) != 0)
		goto out;
	if (x5c != NULL) {
		if (cb_put(att, cbor_build_string("x5c"), x5c) != 0) {
			x5c = NULL;
			goto out;
		}
		x5c = NULL;
	}
	if ((m = cbor_new_definite_map(3)) == NULL ||
	    cb_put(m, cb_new_uint(1), cbor_build_string("packed")) != 0 ||
	    cb_put(m, cb_new_uint(2), cbor_build_bytestring(ad, al)) != 0 ||
	    cb_put(m, cb_new_uint(3), att) != 0) {
		att = NULL;
		goto out;
	}
	att = NULL;
	if (mc->rk)
		store_rk(t, mc, id);
	if (state_save(&t->st) != 0)
		goto out;
	if (cb_reply(m, out, outlen) != 0)
		goto out;
	st_log("made %s credential for %s%s%s", mc->alg == COSE_ES256 ?
	    "ES256" : "EdDSA", mc->rpid, mc->rk ? " (resident)" : "",
	    mc->uv ? " with UV" : "");
	r = 0;
 out:
	sodium_memzero(&key, sizeof(key));
	sodium_memzero(tbs, sizeof(tbs));
	if (cose != NULL)
		cbor_decref(&cose);
	if (ext != NULL)
		cbor_decref(&ext);
	if (att != NULL)
		cbor_decref(&att);
	if (x5c != NULL)
		cbor_decref(&x5c);
	if (m != NULL)
		cbor_decref(&m);
	return r;
}

cbor_item_t *
user_map(const struct st_rk *rk, int full)
{
	cbor_item_t *u;
	int ok;

	full = full && (rk->user_name[0] != '\0' || rk->user_display[0] != '\0');
	if ((u = cbor_new_definite_map(full ? 3 : 1)) == NULL)
		return NULL;
	ok = cb_put(u, cbor_build_string("id"), cbor_build_bytestring(rk->user_id,
	    rk->user_id_len)) == 0;
	if (ok && full)
		ok = cb_put(u, cbor_build_string("name"),
		    cbor_build_string(rk->user_name)) == 0 &&
		    cb_put(u, cbor_build_string("displayName"),
		    cbor_build_string(rk->user_display)) == 0;
	if (!ok)
		cbor_decref(&u);
	return u;
}

/* Signs for credential ga->next and advances. */
static int
assertion_reply(struct token *t, uint8_t *out, size_t *outlen)
{
	struct ga_ctx *ga = &t->ga;
	struct st_key key;
	uint8_t ad[37], tbs[37 + 32], sig[80];
	size_t sl, i = ga->next;
	cbor_item_t *m = NULL, *d = NULL;
	int r = CTAP1_OTHER, first = i == 0;

	memset(&key, 0, sizeof(key));
	if (cred_open(t->st.sec->master, ga->rpid_hash, ga->ids[i],
	    ST_CREDID_LEN, &key) != 0)
		goto out;
	t->st.counter++;
	if (state_save(&t->st) != 0)
		goto out;
	memcpy(ad, ga->rpid_hash, 32);
	ad[32] = (ga->up ? FLAG_UP : 0) | (ga->uv ? FLAG_UV : 0);
	put_be32(ad + 33, t->st.counter);
	memcpy(tbs, ad, 37);
	memcpy(tbs + 37, ga->cdh, 32);
	if (cred_sign(&key, tbs, sizeof(tbs), sig, &sl) != 0)
		goto out;
	if ((m = cbor_new_definite_map(3 + (ga->with_user ? 1 : 0) +
	    (first && ga->n > 1 ? 1 : 0))) == NULL ||
	    (d = cbor_new_definite_map(2)) == NULL ||
	    cb_put(d, cbor_build_string("id"), cbor_build_bytestring(ga->ids[i],
	    ST_CREDID_LEN)) != 0 ||
	    cb_put(d, cbor_build_string("type"),
	    cbor_build_string("public-key")) != 0)
		goto out;
	if (cb_put(m, cb_new_uint(1), d) != 0) {
		d = NULL;
		goto out;
	}
	d = NULL;
	if (cb_put(m, cb_new_uint(2), cbor_build_bytestring(ad, 37)) != 0 ||
	    cb_put(m, cb_new_uint(3), cbor_build_bytestring(sig, sl)) != 0)
		goto out;
	if (ga->with_user && (ga->rk_user[i] < 0 ||
	    (size_t)ga->rk_user[i] >= t->st.nrk ||
	    cb_put(m, cb_new_uint(4), user_map(&t->st.rk[ga->rk_user[i]],
	    ga->uv)) != 0))
		goto out;
	if (first && ga->n > 1 &&
	    cb_put(m, cb_new_uint(5), cb_new_uint(ga->n)) != 0)
		goto out;
	if (cb_reply(m, out, outlen) != 0)
		goto out;
	ga->next++;
	ga->deadline_ms = st_now_ms() + NEXT_TIMEOUT_MS;
	r = 0;
 out:
	sodium_memzero(&key, sizeof(key));
	sodium_memzero(tbs, sizeof(tbs));
	if (d != NULL)
		cbor_decref(&d);
	if (m != NULL)
		cbor_decref(&m);
	if (r != 0)
		ga->n = 0;
	return r;
}

static int
get_assertion(struct token *t, uint32_t chan, const cbor_item_t *req,
    uint8_t *out, size_t *outlen)
{
	const cbor_item_t *v[8];
	cbor_item_t **list;
	struct ga_ctx *ga = &t->ga;
	struct st_key key;
	char rpid[ST_MAX_RPID + 1];
	const uint8_t *id;
	size_t n, i;
	int r, up = 1, uv = 0, rk = -1, uvopt = 0, ours;

	if (cb_req_map(req, v, 8) != 0)
		return CTAP2_INVALID_CBOR;
	if (is_probe(v[6], v[7], &r)) {
		if (r == 0)
			t->pending = P_PROBE;
		return r;
	}
	if (r != 0)
		return r;
	memset(ga, 0, sizeof(*ga));
	if ((r = get_rpid(v[1], rpid, ga->rpid_hash)) != 0 ||
	    (r = get_cdh(v[2], ga->cdh)) != 0)
		return r;
	if (v[4] != NULL && (!cbor_isa_map(v[4]) || !cbor_map_is_definite(v[4])))
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if ((r = get_options(v[5], &rk, &up, &uvopt)) != 0)
		return r;
	if (rk != -1)
		return CTAP2_UNSUPPORTED_OPTION;
	if (v[6] != NULL) {
		if ((r = pin_check_token(t, v[7], v[6], ga->cdh, 32,
		    PERM_GA)) != 0 || (r = check_token_rpid(t, rpid)) != 0)
			return r;
		uv = 1;
	} else if (uvopt)
		return CTAP2_INVALID_OPTION;
	if ((r = get_list(v[3], &list, &n)) != 0)
		return r;
	for (i = 0; i < n && ga->n == 0; i++) {
		if ((r = descriptor(t, list[i], ga->rpid_hash, &id, &key,
		    &ours)) != 0)
			return r;
		if (ours && (key.prot < 3 || uv)) {
			memcpy(ga->ids[0], id, ST_CREDID_LEN);
			ga->rk_user[0] = -1;
			ga->n = 1;
		}
		sodium_memzero(&key, sizeof(key));
	}
	if (n == 0) {
		/* discoverable credentials, newest first */
		ga->with_user = 1;
		for (i = t->st.nrk; i-- > 0; ) {
			if (memcmp(t->st.rk[i].rpid_hash, ga->rpid_hash, 32) != 0 ||
			    cred_open(t->st.sec->master, ga->rpid_hash,
			    t->st.rk[i].cred_id, ST_CREDID_LEN, &key) != 0)
				continue;
			if (key.prot == 1 || uv) {
				memcpy(ga->ids[ga->n], t->st.rk[i].cred_id,
				    ST_CREDID_LEN);
				ga->rk_user[ga->n++] = (int)i;
			}
			sodium_memzero(&key, sizeof(key));
		}
	}
	if (ga->n == 0)
		return CTAP2_NO_CREDENTIALS;
	ga->up = up;
	ga->uv = uv;
	ga->chan = chan;
	if (!up)
		return assertion_reply(t, out, outlen);
	t->pending = P_GA;
	return 0;
}

static int
get_next_assertion(struct token *t, uint32_t chan, uint8_t *out,
    size_t *outlen)
{
	struct ga_ctx *ga = &t->ga;

	if (ga->n == 0 || ga->next == 0 || ga->next >= ga->n ||
	    ga->chan != chan || st_now_ms() > ga->deadline_ms)
		return CTAP2_NOT_ALLOWED;
	return assertion_reply(t, out, outlen);
}

int
ctap2_handle(struct token *t, uint32_t chan, const uint8_t *req, size_t len,
    uint8_t *out, size_t *outlen)
{
	cbor_item_t *item = NULL;
	int cmd, r;

	*outlen = 0;
	if (len == 0)
		return status_only(out, outlen, CTAP1_INVALID_LENGTH);
	cmd = req[0];
	if (t->pending != P_NONE)
		return status_only(out, outlen, CTAP2_NOT_ALLOWED);
	if (cmd != CMD_NEXT)
		t->ga.n = 0;
	if (cmd != CMD_CREDMAN && cmd != CMD_CREDMAN_PRE)
		t->cm.kind = 0;
	if (len > 1 && (item = cb_load(req + 1, len - 1)) == NULL) {
		r = CTAP2_INVALID_CBOR;
		goto out;
	}
	switch (cmd) {
	case CMD_INFO:
		r = get_info(t, out, outlen);
		break;
	case CMD_MAKECRED:
		r = item == NULL ? CTAP2_MISSING_PARAMETER :
		    make_credential(t, chan, item);
		break;
	case CMD_ASSERT:
		r = item == NULL ? CTAP2_MISSING_PARAMETER :
		    get_assertion(t, chan, item, out, outlen);
		break;
	case CMD_NEXT:
		r = get_next_assertion(t, chan, out, outlen);
		break;
	case CMD_PIN:
		r = item == NULL ? CTAP2_MISSING_PARAMETER :
		    pin_handle(t, item, out, outlen);
		break;
	case CMD_RESET:
		t->pending = P_RESET;
		r = 0;
		break;
	case CMD_CREDMAN:
	case CMD_CREDMAN_PRE:
		r = item == NULL ? CTAP2_MISSING_PARAMETER :
		    credman_handle(t, chan, item, out, outlen);
		break;
	default:
		r = CTAP1_INVALID_COMMAND;
		break;
	}
 out:
	if (item != NULL)
		cbor_decref(&item);
	if (r == 0 && t->pending != P_NONE) {
		t->pending_chan = chan;
		st_log("chan %08x %s: waiting for touch", (unsigned)chan,
		    cmd_name(cmd));
		return ST_PENDING;
	}
	if (r != 0 || *outlen == 0)
		status_only(out, outlen, r);
	st_log("chan %08x %s -> 0x%02x %s", (unsigned)chan, cmd_name(cmd),
	    out[0], ctap_status_name(out[0]));
	return ST_REPLY;
}

void
ctap2_complete(struct token *t, enum touch_result res, uint8_t *out,
    size_t *outlen)
{
	enum pending_kind kind = t->pending;
	int r;

	t->pending = P_NONE;
	if (res != TOUCH_OK) {
		t->ga.n = 0;
		r = res == TOUCH_DENIED ? CTAP2_OPERATION_DENIED :
		    CTAP2_KEEPALIVE_CANCEL;
		goto out;
	}
	switch (kind) {
	case P_MC:
		r = finish_make_credential(t, out, outlen);
		break;
	case P_EXCLUDED:
		r = CTAP2_CREDENTIAL_EXCLUDED;
		break;
	case P_PROBE:
		r = t->st.pin_set ? CTAP2_PIN_INVALID : CTAP2_PIN_NOT_SET;
		break;
	case P_GA:
		r = assertion_reply(t, out, outlen);
		break;
	case P_RESET:
		state_wipe(&t->st, 1);
		pin_powerup(t);
		memset(&t->cm, 0, sizeof(t->cm));
		r = state_save(&t->st) == 0 ? 0 : CTAP1_OTHER;
		if (r == 0) {
			st_log("reset: new master key, PIN and resident "
			    "credentials wiped");
			status_only(out, outlen, 0);
		}
		break;
	default:
		r = CTAP1_OTHER;
		break;
	}
 out:
	if (r != 0)
		status_only(out, outlen, r);
	st_log("chan %08x touch %s -> 0x%02x %s", (unsigned)t->pending_chan,
	    res == TOUCH_OK ? "given" : res == TOUCH_DENIED ? "denied" :
	    "cancelled", out[0], ctap_status_name(out[0]));
}

void
ctap2_abort(struct token *t)
{
	if (t->pending != P_NONE)
		st_log("chan %08x request dropped", (unsigned)t->pending_chan);
	t->pending = P_NONE;
	t->ga.n = 0;
}
