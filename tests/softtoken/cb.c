/* CBOR: a strict pre-parser, type-checked getters, canonical builders. */
#include <string.h>

#include <cbor.h>

#include "st.h"

static int
wf_item(const uint8_t *buf, size_t len, size_t *off, int depth)
{
	uint8_t ib, major, ai;
	uint64_t arg = 0;
	size_t i, nbytes;

	if (depth < 0 || *off >= len)
		return -1;
	ib = buf[(*off)++];
	major = ib >> 5;
	ai = ib & 0x1f;
	if (ai < 24)
		arg = ai;
	else if (ai <= 27) {
		nbytes = (size_t)1 << (ai - 24);
		if (len - *off < nbytes)
			return -1;
		for (i = 0; i < nbytes; i++)
			arg = (arg << 8) | buf[(*off)++];
	} else
		return -1;	/* reserved or indefinite */
	switch (major) {
	case 0:
	case 1:
		return 0;
	case 2:
	case 3:
		if (arg > len - *off)
			return -1;
		*off += (size_t)arg;
		return 0;
	case 4:
	case 5:
		if (arg > (len - *off) / (major == 5 ? 2 : 1))
			return -1;
		for (i = 0; i < (size_t)arg * (major == 5 ? 2 : 1); i++)
			if (wf_item(buf, len, off, depth - 1) != 0)
				return -1;
		return 0;
	case 7:
		/* false, true, null, undefined only: no floats */
		return ai >= 20 && ai <= 23 ? 0 : -1;
	default:
		return -1;	/* tags */
	}
}

int
cb_wellformed(const uint8_t *buf, size_t len, int maxdepth)
{
	size_t off = 0;

	if (buf == NULL || len == 0)
		return -1;
	if (wf_item(buf, len, &off, maxdepth) != 0 || off != len)
		return -1;
	return 0;
}

cbor_item_t *
cb_load(const uint8_t *buf, size_t len)
{
	struct cbor_load_result res;
	cbor_item_t *item;

	if (cb_wellformed(buf, len, 8) != 0)
		return NULL;
	memset(&res, 0, sizeof(res));
	item = cbor_load(buf, len, &res);
	if (item == NULL)
		return NULL;
	if (res.error.code != CBOR_ERR_NONE || res.read != len) {
		cbor_decref(&item);
		return NULL;
	}
	return item;
}

int
cb_bytes(const cbor_item_t *it, const uint8_t **p, size_t *len)
{
	if (it == NULL || !cbor_isa_bytestring(it) ||
	    !cbor_bytestring_is_definite(it))
		return -1;
	*len = cbor_bytestring_length(it);
	*p = *len ? cbor_bytestring_handle(it) : (const uint8_t *)"";
	return *p == NULL ? -1 : 0;
}

int
cb_text(const cbor_item_t *it, const char **p, size_t *len)
{
	if (it == NULL || !cbor_isa_string(it) || !cbor_string_is_definite(it))
		return -1;
	*len = cbor_string_length(it);
	*p = *len ? (const char *)cbor_string_handle(it) : "";
	if (*p == NULL || memchr(*p, '\0', *len) != NULL)
		return -1;
	return 0;
}

int
cb_uint(const cbor_item_t *it, uint64_t *v)
{
	if (it == NULL || !cbor_isa_uint(it))
		return -1;
	*v = cbor_get_int(it);
	return 0;
}

int
cb_int(const cbor_item_t *it, int64_t *v)
{
	uint64_t u;

	if (it == NULL || !(cbor_isa_uint(it) || cbor_isa_negint(it)))
		return -1;
	u = cbor_get_int(it);
	if (u > INT64_MAX)
		return -1;
	*v = cbor_isa_uint(it) ? (int64_t)u : -1 - (int64_t)u;
	return 0;
}

int
cb_bool(const cbor_item_t *it, int *v)
{
	if (it == NULL || !cbor_isa_float_ctrl(it) || !cbor_is_bool(it))
		return -1;
	*v = cbor_get_bool(it) ? 1 : 0;
	return 0;
}

const cbor_item_t *
cb_map_str(const cbor_item_t *map, const char *k)
{
	struct cbor_pair *pr;
	size_t i, n, klen = strlen(k), l;
	const char *s;

	if (map == NULL || !cbor_isa_map(map) || !cbor_map_is_definite(map))
		return NULL;
	n = cbor_map_size(map);
	if ((pr = cbor_map_handle(map)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (cb_text(pr[i].key, &s, &l) == 0 && l == klen &&
		    memcmp(s, k, l) == 0)
			return pr[i].value;
	}
	return NULL;
}

int
cb_req_map(const cbor_item_t *map, const cbor_item_t **v, size_t n)
{
	struct cbor_pair *pr;
	size_t i, sz;
	uint64_t k;

	for (i = 0; i < n; i++)
		v[i] = NULL;
	if (map == NULL || !cbor_isa_map(map) || !cbor_map_is_definite(map))
		return -1;
	sz = cbor_map_size(map);
	if (sz != 0 && (pr = cbor_map_handle(map)) == NULL)
		return -1;
	for (i = 0; i < sz; i++) {
		if (cb_uint(pr[i].key, &k) != 0)
			return -1;
		if (k >= n)
			continue;
		if (v[k] != NULL)
			return -1;
		v[k] = pr[i].value;
	}
	return 0;
}

cbor_item_t *
cb_new_uint(uint64_t v)
{
	if (v <= UINT8_MAX)
		return cbor_build_uint8((uint8_t)v);
	if (v <= UINT16_MAX)
		return cbor_build_uint16((uint16_t)v);
	if (v <= UINT32_MAX)
		return cbor_build_uint32((uint32_t)v);
	return cbor_build_uint64(v);
}

cbor_item_t *
cb_new_int(int64_t v)
{
	uint64_t u;

	if (v >= 0)
		return cb_new_uint((uint64_t)v);
	u = (uint64_t)(-1 - v);
	if (u <= UINT8_MAX)
		return cbor_build_negint8((uint8_t)u);
	if (u <= UINT16_MAX)
		return cbor_build_negint16((uint16_t)u);
	if (u <= UINT32_MAX)
		return cbor_build_negint32((uint32_t)u);
	return cbor_build_negint64(u);
}

int
cb_put(cbor_item_t *map, cbor_item_t *k, cbor_item_t *v)
{
	int ok = 0;

	if (map != NULL && k != NULL && v != NULL)
		ok = cbor_map_add(map, (struct cbor_pair){ .key = k, .value = v });
	if (k != NULL)
		cbor_decref(&k);
	if (v != NULL)
		cbor_decref(&v);
	return ok ? 0 : -1;
}

int
cb_push(cbor_item_t *array, cbor_item_t *v)
{
	int ok = 0;

	if (array != NULL && v != NULL)
		ok = cbor_array_push(array, v);
	if (v != NULL)
		cbor_decref(&v);
	return ok ? 0 : -1;
}

int
cb_reply(cbor_item_t *item, uint8_t *out, size_t *outlen)
{
	size_t n;

	if (item == NULL)
		return -1;
	n = cbor_serialize(item, out + 1, ST_MAXMSG - 1);
	if (n == 0)
		return -1;
	out[0] = CTAP_OK;
	*outlen = n + 1;
	return 0;
}
