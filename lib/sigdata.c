/* The data an agent signs, read (sigdata.h). */
#include <stdlib.h>
#include <string.h>

#include "agent-proto.h"
#include "sigdata.h"

/* The key type a signature algorithm name stands for is key's (sshkey_type_from_name). */
static int
sigalg_matches(const char *alg, const struct key *k)
{
	static const struct { const char *alg; enum key_type t; int cert; } extra[] = {
		{ "rsa-sha2-256", KEY_RSA, 0 },
		{ "rsa-sha2-512", KEY_RSA, 0 },
		{ "rsa-sha2-256-cert-v01@openssh.com", KEY_RSA, 1 },
		{ "rsa-sha2-512-cert-v01@openssh.com", KEY_RSA, 1 },
		{ "webauthn-sk-ecdsa-sha2-nistp256@openssh.com", KEY_ECDSA_SK, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (strcmp(alg, extra[i].alg) == 0)
			return key_type(k) == extra[i].t && key_is_cert(k) == extra[i].cert;
	if (!key_type_name_valid(alg))
		return 0;
	return key_type_name_type(alg) == key_type(k) &&
	    (strstr(alg, "-cert-v01@openssh.com") != NULL) == key_is_cert(k);
}

void
sigdata_userauth_clear(struct sigdata_userauth *ua)
{
	free(ua->user);
	memset(ua, 0, sizeof(*ua));
}

static int
is(const uint8_t *p, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(p, s, len) == 0;
}

int
sigdata_userauth_parse(const uint8_t *data, size_t dlen, const struct key *key,
    struct sigdata_userauth *ua)
{
	struct sshbuf *b = NULL;
	struct key *hk = NULL;
	char *pkalg = NULL;
	const uint8_t *service, *method, *alg, *blob, *kblob;
	size_t servicelen, methodlen, alglen, bloblen, kbloblen;
	uint8_t t, sig_follows;
	int hostbound, r;

	memset(ua, 0, sizeof(*ua));
	if ((b = sshbuf_from(data, dlen)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_get_string_direct(b, &ua->sid, &ua->sidlen)) != 0 ||
	    (r = sshbuf_get_u8(b, &t)) != 0 ||
	    (r = sshbuf_get_cstring(b, &ua->user, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(b, &service, &servicelen)) != 0 ||
	    (r = sshbuf_get_string_direct(b, &method, &methodlen)) != 0 ||
	    (r = sshbuf_get_u8(b, &sig_follows)) != 0 ||
	    (r = sshbuf_get_string_direct(b, &alg, &alglen)) != 0 ||
	    (r = sshbuf_get_string_direct(b, &blob, &bloblen)) != 0)
		goto out;
	hostbound = is(method, methodlen, "publickey-hostbound-v00@openssh.com");
	if (ua->sidlen == 0 || t != SSH2_MSG_USERAUTH_REQUEST ||
	    sig_follows != 1 || !is(service, servicelen, "ssh-connection") ||
	    (!hostbound && !is(method, methodlen, "publickey"))) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if (key != NULL) {
		kblob = key_blob(key, &kbloblen);
		if (bloblen != kbloblen || memcmp(blob, kblob, bloblen) != 0 ||
		    memchr(alg, '\0', alglen) != NULL ||
		    (pkalg = strndup((const char *)alg, alglen)) == NULL ||
		    !sigalg_matches(pkalg, key)) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
	}
	if (hostbound && (r = sshbuf_get_string_direct(b, &ua->hostkey,
	    &ua->hostkeylen)) != 0)
		goto out;
	/* for a policy, a host key that is one (as OpenSSH's agent parses it) */
	if (hostbound && key != NULL &&
	    (r = key_from_blob(ua->hostkey, ua->hostkeylen, &hk)) != 0)
		goto out;
	if (sshbuf_len(b) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
 out:
	if (r != 0)
		sigdata_userauth_clear(ua);
	sshbuf_free(b);
	key_free(hk);
	free(pkalg);
	return r;
}

int
sigdata_sshsig_parse(const uint8_t *data, size_t dlen, char **nsp)
{
	struct sshbuf *b = NULL;
	char *ns = NULL;
	int r;

	if (nsp != NULL)
		*nsp = NULL;
	if (dlen < 6 || memcmp(data, "SSHSIG", 6) != 0)
		return SKA_ERR_INVALID_FORMAT;
	if ((b = sshbuf_from(data + 6, dlen - 6)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_get_cstring(b, &ns, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(b, NULL, NULL)) != 0 ||
	    (r = sshbuf_get_cstring(b, NULL, NULL)) != 0 ||
	    (r = sshbuf_get_string_direct(b, NULL, NULL)) != 0)
		goto out;
	if (sshbuf_len(b) != 0) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
	if (nsp != NULL) {
		*nsp = ns;
		ns = NULL;
	}
 out:
	sshbuf_free(b);
	free(ns);
	return r;
}

const char *
sigdata_describe(const uint8_t *data, size_t dlen, char **textp)
{
	struct sigdata_userauth ua;

	*textp = NULL;
	if (data == NULL)
		return NULL;
	if (sigdata_sshsig_parse(data, dlen, textp) == 0)
		return "sshsig";
	if (sigdata_userauth_parse(data, dlen, NULL, &ua) == 0) {
		*textp = ua.user;
		return "login";
	}
	return NULL;
}
