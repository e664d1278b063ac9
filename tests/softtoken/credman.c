/* Credential management: authenticatorCredentialManagement 0x0A and the
 * preview command 0x41 that libfido2 1.12 sends; same handler. */
#include <string.h>

#include <sodium.h>

#include "st.h"

#define CM_METADATA	1
#define CM_RP_BEGIN	2
#define CM_RP_NEXT	3
#define CM_RK_BEGIN	4
#define CM_RK_NEXT	5
#define CM_DELETE	6
#define CM_UPDATE	7

static int
rp_reply(struct token *t, size_t k, int with_total, uint8_t *out,
    size_t *outlen)
{
	const struct st_rk *rk = &t->st.rk[t->cm.idx[k]];
	cbor_item_t *m = NULL, *rp = NULL;
	int r = CTAP1_OTHER;

	if ((rp = cbor_new_definite_map(1)) == NULL ||
	    cb_put(rp, cbor_build_string("id"), cbor_build_string(rk->rpid)) != 0)
		goto out;
	if ((m = cbor_new_definite_map(with_total ? 3 : 2)) == NULL ||
	    cb_put(m, cb_new_uint(3), rp) != 0) {
		rp = NULL;
		goto out;
	}
	rp = NULL;
	if (cb_put(m, cb_new_uint(4), cbor_build_bytestring(rk->rpid_hash,
	    32)) != 0 || (with_total &&
	    cb_put(m, cb_new_uint(5), cb_new_uint(t->cm.n)) != 0) ||
	    cb_reply(m, out, outlen) != 0)
		goto out;
	r = 0;
 out:
	if (rp != NULL)
		cbor_decref(&rp);
	if (m != NULL)
		cbor_decref(&m);
	return r;
}

static int
rk_reply(struct token *t, size_t k, int with_total, uint8_t *out,
    size_t *outlen)
{
	const struct st_rk *rk = &t->st.rk[t->cm.idx[k]];
	struct st_key key;
	cbor_item_t *m = NULL, *d = NULL;
	int r = CTAP1_OTHER;

	if (cred_open(t->st.sec->master, rk->rpid_hash, rk->cred_id,
	    ST_CREDID_LEN, &key) != 0)
		return CTAP1_OTHER;
	if ((m = cbor_new_definite_map(with_total ? 5 : 4)) == NULL ||
	    cb_put(m, cb_new_uint(6), user_map(rk, 1)) != 0)
		goto out;
	if ((d = cbor_new_definite_map(2)) == NULL ||
	    cb_put(d, cbor_build_string("id"), cbor_build_bytestring(rk->cred_id,
	    ST_CREDID_LEN)) != 0 ||
	    cb_put(d, cbor_build_string("type"),
	    cbor_build_string("public-key")) != 0)
		goto out;
	if (cb_put(m, cb_new_uint(7), d) != 0) {
		d = NULL;
		goto out;
	}
	d = NULL;
	if (cb_put(m, cb_new_uint(8), cred_cose(&key)) != 0 ||
	    (with_total && cb_put(m, cb_new_uint(9), cb_new_uint(t->cm.n)) != 0) ||
	    cb_put(m, cb_new_uint(10), cb_new_uint((uint64_t)key.prot)) != 0 ||
	    cb_reply(m, out, outlen) != 0)
		goto out;
	r = 0;
 out:
	sodium_memzero(&key, sizeof(key));
	if (d != NULL)
		cbor_decref(&d);
	if (m != NULL)
		cbor_decref(&m);
	return r;
}

static int
find_rk(struct token *t, const cbor_item_t *desc, size_t *idx)
{
	const cbor_item_t *id;
	const uint8_t *p;
	size_t n, i;

	if (desc == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (!cbor_isa_map(desc) || !cbor_map_is_definite(desc))
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if ((id = cb_map_str(desc, "id")) == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (cb_bytes(id, &p, &n) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	for (i = 0; i < t->st.nrk; i++)
		if (n == ST_CREDID_LEN &&
		    memcmp(t->st.rk[i].cred_id, p, n) == 0) {
			*idx = i;
			return 0;
		}
	return CTAP2_NO_CREDENTIALS;
}

/* A token bound to an RP may only touch that RP's credentials. */
static int
token_rp_ok(struct token *t, const uint8_t rpid_hash[32])
{
	uint8_t h[32];

	if (!t->tok_has_rpid)
		return 1;
	if (rpid_hash == NULL)
		return 0;
	sha256(t->tok_rpid, strlen(t->tok_rpid), h);
	return memcmp(h, rpid_hash, 32) == 0;
}

int
credman_handle(struct token *t, uint32_t chan, const cbor_item_t *req,
    uint8_t *out, size_t *outlen)
{
	const cbor_item_t *v[5], *pv[4], *it;
	static uint8_t msg[ST_MAXMSG];
	struct cm_ctx *cm = &t->cm;
	const uint8_t *p;
	uint64_t sub;
	size_t n = 1, i, j, idx;
	const char *s;
	int r, seen, kind = cm->kind;

	cm->kind = 0;
	if (cb_req_map(req, v, 5) != 0)
		return CTAP2_INVALID_CBOR;
	if (v[1] == NULL)
		return CTAP2_MISSING_PARAMETER;
	if (cb_uint(v[1], &sub) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (sub == CM_RP_NEXT || sub == CM_RK_NEXT) {
		if (kind != (int)sub || cm->chan != chan || cm->next >= cm->n)
			return CTAP2_NOT_ALLOWED;
		r = sub == CM_RP_NEXT ? rp_reply(t, cm->next, 0, out, outlen) :
		    rk_reply(t, cm->next, 0, out, outlen);
		if (r == 0 && ++cm->next < cm->n)
			cm->kind = kind;
		return r;
	}
	if (sub < CM_METADATA || sub > CM_UPDATE)
		return CTAP2_INVALID_SUBCOMMAND;
	if (v[2] != NULL && cb_req_map(v[2], pv, 4) != 0)
		return CTAP2_CBOR_UNEXPECTED_TYPE;
	if (v[2] == NULL)
		memset(pv, 0, sizeof(pv));
	if (v[4] == NULL)
		return CTAP2_PIN_REQUIRED;
	msg[0] = (uint8_t)sub;
	if (v[2] != NULL && (n = cbor_serialize(v[2], msg + 1,
	    sizeof(msg) - 1) + 1) == 1)
		return CTAP1_INVALID_LENGTH;
	if ((r = pin_check_token(t, v[3], v[4], msg, n, PERM_CM)) != 0)
		return r;
	memset(cm, 0, sizeof(*cm));
	cm->chan = chan;
	switch (sub) {
	case CM_METADATA:
	case CM_RP_BEGIN:
		if (!token_rp_ok(t, NULL))
			return CTAP2_PIN_AUTH_INVALID;
		if (sub == CM_METADATA) {
			cbor_item_t *m;

			r = CTAP1_OTHER;
			if ((m = cbor_new_definite_map(2)) != NULL &&
			    cb_put(m, cb_new_uint(1), cb_new_uint(t->st.nrk)) == 0 &&
			    cb_put(m, cb_new_uint(2), cb_new_uint(t->st.nrk <
			    t->rk_slots ? t->rk_slots - t->st.nrk : 0)) == 0 &&
			    cb_reply(m, out, outlen) == 0)
				r = 0;
			if (m != NULL)
				cbor_decref(&m);
			return r;
		}
		for (i = 0; i < t->st.nrk; i++) {
			for (j = 0, seen = 0; j < cm->n; j++)
				if (memcmp(t->st.rk[cm->idx[j]].rpid_hash,
				    t->st.rk[i].rpid_hash, 32) == 0)
					seen = 1;
			if (!seen)
				cm->idx[cm->n++] = (int)i;
		}
		if (cm->n == 0) {
			cbor_item_t *m;

			r = CTAP1_OTHER;
			if ((m = cbor_new_definite_map(1)) != NULL &&
			    cb_put(m, cb_new_uint(5), cb_new_uint(0)) == 0 &&
			    cb_reply(m, out, outlen) == 0)
				r = 0;
			if (m != NULL)
				cbor_decref(&m);
			return r;
		}
		if ((r = rp_reply(t, 0, 1, out, outlen)) == 0 && cm->n > 1) {
			cm->next = 1;
			cm->kind = CM_RP_NEXT;
		}
		return r;
	case CM_RK_BEGIN:
		if (pv[1] == NULL)
			return CTAP2_MISSING_PARAMETER;
		if (cb_bytes(pv[1], &p, &n) != 0)
			return CTAP2_CBOR_UNEXPECTED_TYPE;
		if (n != 32)
			return CTAP1_INVALID_LENGTH;
		if (!token_rp_ok(t, p))
			return CTAP2_PIN_AUTH_INVALID;
		for (i = 0; i < t->st.nrk; i++)
			if (memcmp(t->st.rk[i].rpid_hash, p, 32) == 0)
				cm->idx[cm->n++] = (int)i;
		if (cm->n == 0)
			return CTAP2_NO_CREDENTIALS;
		if ((r = rk_reply(t, 0, 1, out, outlen)) == 0 && cm->n > 1) {
			cm->next = 1;
			cm->kind = CM_RK_NEXT;
		}
		return r;
	case CM_DELETE:
	case CM_UPDATE:
		if ((r = find_rk(t, pv[2], &idx)) != 0)
			return r;
		if (!token_rp_ok(t, t->st.rk[idx].rpid_hash))
			return CTAP2_PIN_AUTH_INVALID;
		if (sub == CM_DELETE) {
			sodium_memzero(&t->st.rk[idx], sizeof(t->st.rk[idx]));
			memmove(&t->st.rk[idx], &t->st.rk[idx + 1],
			    (t->st.nrk - idx - 1) * sizeof(t->st.rk[0]));
			t->st.nrk--;
		} else {
			struct st_rk *rk = &t->st.rk[idx];

			if (pv[3] == NULL)
				return CTAP2_MISSING_PARAMETER;
			if (!cbor_isa_map(pv[3]) ||
			    (it = cb_map_str(pv[3], "id")) == NULL ||
			    cb_bytes(it, &p, &n) != 0)
				return CTAP2_CBOR_UNEXPECTED_TYPE;
			if (n != rk->user_id_len || memcmp(p, rk->user_id, n) != 0)
				return CTAP1_INVALID_PARAMETER;
			rk->user_name[0] = rk->user_display[0] = '\0';
			if ((it = cb_map_str(pv[3], "name")) != NULL) {
				if (cb_text(it, &s, &n) != 0)
					return CTAP2_CBOR_UNEXPECTED_TYPE;
				copy_trunc(rk->user_name, ST_MAX_NAME, s, n);
			}
			if ((it = cb_map_str(pv[3], "displayName")) != NULL) {
				if (cb_text(it, &s, &n) != 0)
					return CTAP2_CBOR_UNEXPECTED_TYPE;
				copy_trunc(rk->user_display, ST_MAX_NAME, s, n);
			}
		}
		if (state_save(&t->st) != 0)
			return CTAP1_OTHER;
		return 0;
	}
	return CTAP2_INVALID_SUBCOMMAND;
}
