/* skagent <-> skagent-sk-helper messages: see skhelper-msg.h. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "skhelper-msg.h"

static void
free_str(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

static void
free_blob(uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	free(p);
}

void
skhelper_sign_req_free(struct skhelper_sign_req *req)
{
	if (req == NULL)
		return;
	free_str(req->provider);
	free_blob(req->data, req->dlen);
	free_str(req->application);
	free_blob(req->key_handle, req->khlen);
	free_str(req->pin);
	free_str(req->device);
	sodium_memzero(req, sizeof(*req));
	free(req);
}

void
skhelper_sign_reply_free(struct skhelper_sign_reply *rep)
{
	if (rep == NULL)
		return;
	free_blob(rep->sig_r, rep->rlen);
	free_blob(rep->sig_s, rep->slen);
	sodium_memzero(rep, sizeof(*rep));
	free(rep);
}

/* Appends u32 length | body. */
static int
put_frame(const struct sshbuf *body, struct sshbuf *out)
{
	if (sshbuf_len(body) > SKHELPER_MSG_MAX)
		return SKA_ERR_NO_BUFFER_SPACE;
	return sshbuf_put_stringb(out, body);
}

/* A view of the body of the one frame msg holds; the caller frees *bodyp. */
static int
get_frame(const uint8_t *msg, size_t len, struct sshbuf **bodyp)
{
	struct sshbuf *b = NULL;
	int r;

	*bodyp = NULL;
	if (msg == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if (len < 4 || len - 4 > SKHELPER_MSG_MAX)
		return len < 4 ? SKA_ERR_MESSAGE_INCOMPLETE :
		    SKA_ERR_STRING_TOO_LARGE;
	if ((b = sshbuf_from(msg, len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_froms(b, bodyp)) == 0 && sshbuf_len(b) != 0) {
		sshbuf_free(*bodyp);
		*bodyp = NULL;
		r = SKA_ERR_INVALID_FORMAT;
	}
	sshbuf_free(b);
	return r;
}

static int
put_req(const char *provider, uint32_t alg, const uint8_t *data, size_t dlen,
    const char *application, const uint8_t *kh, size_t khlen, uint8_t flags,
    const char *pin, const char *device, struct sshbuf *out)
{
	struct sshbuf *b = NULL;
	int r;

	if (out == NULL || provider == NULL || application == NULL ||
	    kh == NULL || (data == NULL && dlen != 0))
		return SKA_ERR_INVALID_ARGUMENT;
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_u8(b, SKHELPER_VERSION)) != 0 ||
	    (r = sshbuf_put_u8(b, SKHELPER_SIGN)) != 0 ||
	    (r = sshbuf_put_cstring(b, provider)) != 0 ||
	    (r = sshbuf_put_u32(b, alg)) != 0 ||
	    (r = sshbuf_put_string(b, data, dlen)) != 0 ||
	    (r = sshbuf_put_cstring(b, application)) != 0 ||
	    (r = sshbuf_put_string(b, kh, khlen)) != 0 ||
	    (r = sshbuf_put_u8(b, flags)) != 0 ||
	    (r = sshbuf_put_cstring(b, pin != NULL ? pin : "")) != 0 ||
	    (r = sshbuf_put_cstring(b, device != NULL ? device : "")) != 0)
		goto out;
	r = put_frame(b, out);
 out:
	sshbuf_free(b);
	return r;
}

int
skhelper_put_sign_req(const struct skhelper_sign_req *req, struct sshbuf *out)
{
	if (req == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	return put_req(req->provider, req->alg, req->data, req->dlen,
	    req->application, req->key_handle, req->khlen, req->flags,
	    req->pin, req->device, out);
}

int
skhelper_put_sign_req_key(const struct key *k, const char *provider,
    const uint8_t *data, size_t dlen, const char *pin, const char *device,
    struct sshbuf *out)
{
	const uint8_t *kh;
	size_t khlen;

	if (k == NULL || !key_is_sk(k) ||
	    (kh = key_sk_key_handle(k, &khlen)) == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	return put_req(provider, key_type(k) == KEY_ED25519_SK ?
	    SKHELPER_ALG_ED25519 : SKHELPER_ALG_ECDSA, data, dlen,
	    key_sk_application(k), kh, khlen, key_sk_flags(k), pin, device,
	    out);
}

/* A string without NULs, at most max bytes; "" gives NULL if empty_null. */
static int
get_str(struct sshbuf *b, size_t max, int empty_null, char **sp)
{
	const uint8_t *p;
	size_t len;
	int r;

	*sp = NULL;
	if ((r = sshbuf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if (len > max)
		return SKA_ERR_STRING_TOO_LARGE;
	if (len == 0 && empty_null)
		return sshbuf_get_string_direct(b, NULL, NULL);
	return sshbuf_get_cstring(b, sp, NULL);
}

int
skhelper_get_sign_req(const uint8_t *msg, size_t len,
    struct skhelper_sign_req **reqp)
{
	struct skhelper_sign_req *req = NULL;
	struct sshbuf *b = NULL;
	uint8_t version, type;
	int r;

	if (reqp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*reqp = NULL;
	if ((r = get_frame(msg, len, &b)) != 0)
		return r;
	if ((req = calloc(1, sizeof(*req))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_get_u8(b, &version)) != 0 ||
	    (r = sshbuf_get_u8(b, &type)) != 0)
		goto out;
	if (version != SKHELPER_VERSION || type != SKHELPER_SIGN) {
		r = SKA_ERR_FEATURE_UNSUPPORTED;
		goto out;
	}
	if ((r = get_str(b, SKHELPER_PATH_MAX, 0, &req->provider)) != 0 ||
	    (r = sshbuf_get_u32(b, &req->alg)) != 0 ||
	    (r = sshbuf_get_string(b, &req->data, &req->dlen)) != 0 ||
	    (r = get_str(b, SKHELPER_MSG_MAX, 0, &req->application)) != 0 ||
	    (r = sshbuf_get_string(b, &req->key_handle, &req->khlen)) != 0 ||
	    (r = sshbuf_get_u8(b, &req->flags)) != 0 ||
	    (r = get_str(b, SKHELPER_MSG_MAX, 1, &req->pin)) != 0 ||
	    (r = get_str(b, SKHELPER_PATH_MAX, 1, &req->device)) != 0)
		goto out;
	if (sshbuf_len(b) != 0 || req->provider[0] != '/' ||
	    req->application[0] == '\0' || req->khlen == 0 ||
	    (req->alg != SKHELPER_ALG_ECDSA && req->alg != SKHELPER_ALG_ED25519)) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
	*reqp = req;
	req = NULL;
 out:
	skhelper_sign_req_free(req);
	sshbuf_free(b);
	return r;
}

int
skhelper_put_sign_reply(const struct skhelper_sign_reply *rep,
    struct sshbuf *out)
{
	struct sshbuf *b = NULL;
	int r;

	if (rep == NULL || out == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if (rep->status == SKHELPER_OK &&
	    (rep->sig_r == NULL || rep->rlen > SKHELPER_SIG_MAX ||
	    (rep->sig_s == NULL && rep->slen != 0) ||
	    rep->slen > SKHELPER_SIG_MAX))
		return SKA_ERR_INVALID_ARGUMENT;
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_u8(b, SKHELPER_VERSION)) != 0 ||
	    (r = sshbuf_put_u32(b, rep->status)) != 0)
		goto out;
	if (rep->status == SKHELPER_OK &&
	    ((r = sshbuf_put_u8(b, rep->flags)) != 0 ||
	    (r = sshbuf_put_u32(b, rep->counter)) != 0 ||
	    (r = sshbuf_put_string(b, rep->sig_r, rep->rlen)) != 0 ||
	    (r = sshbuf_put_string(b, rep->sig_s, rep->slen)) != 0))
		goto out;
	r = put_frame(b, out);
 out:
	sshbuf_free(b);
	return r;
}

static int
get_sig_part(struct sshbuf *b, uint8_t **pp, size_t *lenp)
{
	const uint8_t *p;
	size_t len;
	int r;

	if ((r = sshbuf_peek_string_direct(b, &p, &len)) != 0)
		return r;
	if (len > SKHELPER_SIG_MAX)
		return SKA_ERR_STRING_TOO_LARGE;
	return sshbuf_get_string(b, pp, lenp);
}

int
skhelper_get_sign_reply(const uint8_t *msg, size_t len,
    struct skhelper_sign_reply **repp)
{
	struct skhelper_sign_reply *rep = NULL;
	struct sshbuf *b = NULL;
	uint8_t version;
	int r;

	if (repp == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*repp = NULL;
	if ((r = get_frame(msg, len, &b)) != 0)
		return r;
	if ((rep = calloc(1, sizeof(*rep))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_get_u8(b, &version)) != 0)
		goto out;
	if (version != SKHELPER_VERSION) {
		r = SKA_ERR_FEATURE_UNSUPPORTED;
		goto out;
	}
	if ((r = sshbuf_get_u32(b, &rep->status)) != 0)
		goto out;
	if (rep->status == SKHELPER_OK &&
	    ((r = sshbuf_get_u8(b, &rep->flags)) != 0 ||
	    (r = sshbuf_get_u32(b, &rep->counter)) != 0 ||
	    (r = get_sig_part(b, &rep->sig_r, &rep->rlen)) != 0 ||
	    (r = get_sig_part(b, &rep->sig_s, &rep->slen)) != 0))
		goto out;
	if (sshbuf_len(b) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
	*repp = rep;
	rep = NULL;
 out:
	skhelper_sign_reply_free(rep);
	sshbuf_free(b);
	return r;
}

uint32_t
skhelper_status_from_sk(int skerr)
{
	if (skerr == 0)
		return SKHELPER_OK;
	if (skerr <= -1 && skerr >= -5)
		return (uint32_t)-skerr;
	return SKHELPER_ERR_GENERAL;
}

int
skhelper_status_err(uint32_t status)
{
	switch (status) {
	case SKHELPER_OK:
		return 0;
	case SKHELPER_ERR_UNSUPPORTED:
		return SKA_ERR_TOKEN_UNSUPPORTED;
	case SKHELPER_ERR_PIN_REQUIRED:
		return SKA_ERR_PIN_REQUIRED;
	case SKHELPER_ERR_DEVICE_NOT_FOUND:
		return SKA_ERR_NO_TOKEN;
	case SKHELPER_ERR_CREDENTIAL_EXISTS:
		return SKA_ERR_CREDENTIAL_EXISTS;
	case SKHELPER_ERR_REQUEST:
		return SKA_ERR_INTERNAL;
	default:
		return SKA_ERR_TOKEN;
	}
}

const char *
skhelper_status_str(uint32_t status)
{
	switch (status) {
	case SKHELPER_OK:
		return "success";
	case SKHELPER_ERR_GENERAL:
		return "the provider failed";
	case SKHELPER_ERR_UNSUPPORTED:
		return "the provider does not support this key or option";
	case SKHELPER_ERR_PIN_REQUIRED:
		return "PIN required (or wrong, or touch refused)";
	case SKHELPER_ERR_DEVICE_NOT_FOUND:
		return "the provider found no security key";
	case SKHELPER_ERR_CREDENTIAL_EXISTS:
		return "credential exists";
	case SKHELPER_ERR_PROVIDER:
		return "the provider library could not be loaded";
	case SKHELPER_ERR_REQUEST:
		return "the helper refused the request";
	case SKHELPER_ERR_RESPONSE:
		return "the provider returned a malformed response";
	default:
		return "unknown helper status";
	}
}

int
skhelper_sign_result(const struct key *k, const uint8_t *data, size_t dlen,
    const uint8_t *out, size_t outlen, struct sshbuf *sig, uint32_t *statusp)
{
	struct skhelper_sign_reply *rep = NULL;
	struct sshbuf *s = NULL;
	int r;

	if (statusp != NULL)
		*statusp = SKHELPER_ERR_RESPONSE;
	if (k == NULL || !key_is_sk(k) || sig == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	if ((r = skhelper_get_sign_reply(out, outlen, &rep)) != 0)
		return r;
	if (statusp != NULL)
		*statusp = rep->status;
	if (rep->status != SKHELPER_OK) {
		r = skhelper_status_err(rep->status);
		goto out;
	}
	if ((s = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = key_sk_signature_encode_rs(k, rep->sig_r, rep->rlen,
	    rep->sig_s, rep->slen, rep->flags, rep->counter, s)) != 0)
		goto out;
	if ((r = key_verify(k, sshbuf_ptr(s), sshbuf_len(s), data, dlen,
	    NULL)) != 0) {
		r = SKA_ERR_SIGNATURE_INVALID;
		goto out;
	}
	r = sshbuf_putb(sig, s);
 out:
	sshbuf_free(s);
	skhelper_sign_reply_free(rep);
	return r;
}
