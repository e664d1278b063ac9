/*
 * libsk-softtoken.so: an OpenSSH SecurityKeyProvider (sk-api.h) for
 * tests/softtoken.  It does what OpenSSH 9.2's built-in provider
 * (sk-usbhid.c) does with one device, except that it reaches the device
 * through libfido2's custom I/O on the softtoken socket named by the
 * "device" option or $SKA_SOFTTOKEN (optionally "unix:"-prefixed) instead
 * of hidraw.  Stock ssh-keygen -w, ssh-add -S, ssh -o SecurityKeyProvider
 * and ssh-agent's ssh-sk-helper thereby run OpenSSH's own security-key
 * code against softtoken.
 *
 * Like softtoken it shares no code with lib/: it is a test oracle.
 * SKA_PROVIDER_DEBUG=1 logs every step to stderr (=stdout: to stdout, as a
 * careless provider might).  SKA_PROVIDER_API_VERSION=N makes
 * sk_api_version() say N, for tests of the callers' version check.
 *
 * One difference from sk-usbhid.c: a resident-key listing that fails
 * half-way is an error here (sk-usbhid.c turns a "general" failure of its
 * last device into success with the keys read so far).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fido.h>
#include <fido/credman.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>

#include "sk-api.h"
#include "unix-io.h"

#define USER_ID_LEN	32

static void skdebug(const char *func, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
skdebug(const char *func, const char *fmt, ...)
{
	const char *e = getenv("SKA_PROVIDER_DEBUG");
	FILE *f = stderr;
	va_list ap;

	if (e == NULL || *e == '\0' || strcmp(e, "0") == 0)
		return;
	if (strcmp(e, "stdout") == 0)
		f = stdout;
	va_start(ap, fmt);
	fprintf(f, "sk-softtoken: %s: ", func);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	va_end(ap);
	fflush(f);
}

static fido_dev_t *
dev_open(const char *path)
{
	fido_dev_t *dev;
	int r;

	if (path == NULL || *path == '\0') {
		skdebug(__func__, "no device: set SKA_SOFTTOKEN");
		return NULL;
	}
	/* libfido2 custom I/O on the socket (tests/unix-io.h) */
	if ((dev = test_unix_dev_open(path, NULL, -1, &r)) == NULL)
		skdebug(__func__, "%s: %s", path, fido_strerr(r));
	return dev;
}

static void
dev_close(fido_dev_t **devp)
{
	if (*devp == NULL)
		return;
	fido_dev_cancel(*devp);
	fido_dev_close(*devp);
	fido_dev_free(devp);
}

/* ------------------------------------------------------------ helpers */

static int
fidoerr_to_skerr(int fidoerr)
{
	switch (fidoerr) {
	case FIDO_ERR_UNSUPPORTED_OPTION:
	case FIDO_ERR_UNSUPPORTED_ALGORITHM:
		return SSH_SK_ERR_UNSUPPORTED;
	case FIDO_ERR_PIN_REQUIRED:
	case FIDO_ERR_PIN_INVALID:
	case FIDO_ERR_OPERATION_DENIED:
		return SSH_SK_ERR_PIN_REQUIRED;
	default:
		return SSH_SK_ERR_GENERAL;
	}
}

/*
 * "device" (every call) and "user" (enroll only, at most 31 bytes,
 * zero-padded to 32); any other option is ignored unless required.
 * Without "device", $SKA_SOFTTOKEN.
 */
static int
parse_options(struct sk_option **options, int enroll, char **devicep,
    uint8_t *user_id)
{
	const char *dev = NULL, *e;
	size_t i, n;

	*devicep = NULL;
	for (i = 0; options != NULL && options[i] != NULL; i++) {
		if (options[i]->name == NULL || options[i]->value == NULL)
			return -1;
		if (strcmp(options[i]->name, "device") == 0) {
			dev = options[i]->value;
			skdebug(__func__, "requested device %s", dev);
		} else if (enroll && strcmp(options[i]->name, "user") == 0) {
			if ((n = strlen(options[i]->value)) >= USER_ID_LEN) {
				skdebug(__func__, "user too long");
				return -1;
			}
			memcpy(user_id, options[i]->value, n);
		} else if (options[i]->required) {
			skdebug(__func__, "unknown required option %s",
			    options[i]->name);
			return -1;
		} else
			skdebug(__func__, "ignored option %s", options[i]->name);
	}
	if (dev == NULL && (e = getenv("SKA_SOFTTOKEN")) != NULL && *e != '\0')
		dev = e;
	if (dev != NULL && (*devicep = strdup(dev)) == NULL)
		return -1;
	return 0;
}

/* The device's getInfo option opt: 1 true, 0 false, -1 absent. */
static int
dev_option(fido_dev_t *dev, const char *opt)
{
	fido_cbor_info_t *info;
	char * const *name;
	const bool *value;
	size_t i, n;
	int ret = -1;

	if (!fido_dev_is_fido2(dev) || (info = fido_cbor_info_new()) == NULL)
		return -1;
	if (fido_dev_get_cbor_info(dev, info) == FIDO_OK) {
		name = fido_cbor_info_options_name_ptr(info);
		value = fido_cbor_info_options_value_ptr(info);
		n = fido_cbor_info_options_len(info);
		for (i = 0; i < n; i++) {
			if (strcmp(name[i], opt) == 0) {
				ret = value[i];
				break;
			}
		}
	}
	fido_cbor_info_free(&info);
	skdebug(__func__, "option %s: %d", opt, ret);
	return ret;
}

static void
free_enroll_response(struct sk_enroll_response *r)
{
	if (r == NULL)
		return;
	free(r->public_key);
	free(r->key_handle);
	free(r->signature);
	free(r->attestation_cert);
	free(r->authdata);
	free(r);
}

static int
dup_blob(const unsigned char *p, size_t len, uint8_t **dstp, size_t *lenp)
{
	*dstp = NULL;
	*lenp = 0;
	if (p == NULL || len == 0)
		return 0;
	if ((*dstp = malloc(len)) == NULL)
		return -1;
	memcpy(*dstp, p, len);
	*lenp = len;
	return 0;
}

/*
 * The public key as OpenSSH wants it: 32 bytes for Ed25519, an
 * uncompressed SEC1 point (checked to be on P-256) for ECDSA.
 */
static int
pack_public_key(uint32_t alg, const fido_cred_t *cred,
    struct sk_enroll_response *resp)
{
	const unsigned char *p = fido_cred_pubkey_ptr(cred);
	size_t len = fido_cred_pubkey_len(cred);
	EC_GROUP *g = NULL;
	EC_POINT *q = NULL;
	uint8_t pt[65];
	int ret = -1;

	if (p == NULL)
		return -1;
	if (alg == SSH_SK_ED25519) {
		if (len != 32)
			return -1;
		return dup_blob(p, len, &resp->public_key,
		    &resp->public_key_len);
	}
	if (alg != SSH_SK_ECDSA || len != 64)
		return -1;
	pt[0] = 0x04;
	memcpy(pt + 1, p, 64);
	if ((g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) == NULL ||
	    (q = EC_POINT_new(g)) == NULL ||
	    EC_POINT_oct2point(g, q, pt, sizeof(pt), NULL) != 1 ||
	    EC_POINT_is_on_curve(g, q, NULL) != 1) {
		skdebug(__func__, "bad P-256 point");
		goto out;
	}
	ret = dup_blob(pt, sizeof(pt), &resp->public_key,
	    &resp->public_key_len);
 out:
	EC_POINT_free(q);
	EC_GROUP_free(g);
	return ret;
}

/* Is there a resident credential for (application, user_id) already? */
static int
key_lookup(fido_dev_t *dev, const char *application, const uint8_t *user_id,
    size_t user_id_len, const char *pin)
{
	fido_assert_t *a = NULL;
	uint8_t cd[32];
	size_t i;
	int r;

	memset(cd, 0, sizeof(cd));
	if ((a = fido_assert_new()) == NULL)
		return FIDO_ERR_INTERNAL;
	if ((r = fido_assert_set_clientdata(a, cd, sizeof(cd))) != FIDO_OK ||
	    (r = fido_assert_set_rp(a, application)) != FIDO_OK ||
	    (r = fido_assert_set_up(a, FIDO_OPT_FALSE)) != FIDO_OK ||
	    (r = fido_assert_set_uv(a, pin == NULL &&
	    dev_option(dev, "uv") != -1 ? FIDO_OPT_TRUE : FIDO_OPT_OMIT)) !=
	    FIDO_OK)
		goto out;
	if ((r = fido_dev_get_assert(dev, a, pin)) != FIDO_OK) {
		skdebug(__func__, "fido_dev_get_assert: %s", fido_strerr(r));
		goto out;
	}
	r = FIDO_ERR_NO_CREDENTIALS;
	for (i = 0; i < fido_assert_count(a); i++) {
		if (fido_assert_user_id_len(a, i) == user_id_len &&
		    memcmp(fido_assert_user_id_ptr(a, i), user_id,
		    user_id_len) == 0) {
			skdebug(__func__, "credential exists");
			r = FIDO_OK;
			break;
		}
	}
 out:
	fido_assert_free(&a);
	return r;
}

/* ------------------------------------------------------------- the API */

uint32_t
sk_api_version(void)
{
	const char *e = getenv("SKA_PROVIDER_API_VERSION");

	if (e != NULL && *e != '\0')
		return (uint32_t)strtoul(e, NULL, 0);
	return SSH_SK_VERSION_MAJOR;
}

int
sk_enroll(uint32_t alg, const uint8_t *challenge, size_t challenge_len,
    const char *application, uint8_t flags, const char *pin,
    struct sk_option **options, struct sk_enroll_response **enroll_response)
{
	struct sk_enroll_response *resp = NULL;
	fido_cred_t *cred = NULL;
	fido_dev_t *dev = NULL;
	uint8_t user_id[USER_ID_LEN];
	char *device = NULL;
	int cose, r, ret = SSH_SK_ERR_GENERAL;

	fido_init(0);
	if (enroll_response == NULL)
		return SSH_SK_ERR_GENERAL;
	*enroll_response = NULL;
	memset(user_id, 0, sizeof(user_id));
	if (parse_options(options, 1, &device, user_id) != 0)
		goto out;
	switch (alg) {
	case SSH_SK_ECDSA:
		cose = COSE_ES256;
		break;
	case SSH_SK_ED25519:
		cose = COSE_EDDSA;
		break;
	default:
		skdebug(__func__, "unsupported algorithm %u", alg);
		goto out;
	}
	if (application == NULL || challenge == NULL)
		goto out;
	if ((dev = dev_open(device)) == NULL) {
		ret = SSH_SK_ERR_DEVICE_NOT_FOUND;
		goto out;
	}
	if ((flags & SSH_SK_RESIDENT_KEY) && !(flags & SSH_SK_FORCE_OPERATION) &&
	    (r = key_lookup(dev, application, user_id, sizeof(user_id),
	    pin)) != FIDO_ERR_NO_CREDENTIALS) {
		ret = r == FIDO_OK ? SSH_SK_ERR_CREDENTIAL_EXISTS :
		    fidoerr_to_skerr(r);
		goto out;
	}
	if ((cred = fido_cred_new()) == NULL)
		goto out;
	if ((r = fido_cred_set_type(cred, cose)) != FIDO_OK ||
	    (r = fido_cred_set_clientdata(cred, challenge,
	    challenge_len)) != FIDO_OK ||
	    (r = fido_cred_set_rk(cred, (flags & SSH_SK_RESIDENT_KEY) ?
	    FIDO_OPT_TRUE : FIDO_OPT_OMIT)) != FIDO_OK ||
	    (r = fido_cred_set_user(cred, user_id, sizeof(user_id), "openssh",
	    "openssh", NULL)) != FIDO_OK ||
	    (r = fido_cred_set_rp(cred, application, NULL)) != FIDO_OK) {
		skdebug(__func__, "cred setup: %s", fido_strerr(r));
		goto out;
	}
	if (flags & (SSH_SK_RESIDENT_KEY | SSH_SK_USER_VERIFICATION_REQD)) {
		if (!fido_dev_supports_cred_prot(dev)) {
			skdebug(__func__, "no credProtect: refusing a "
			    "resident/verify-required key");
			ret = SSH_SK_ERR_UNSUPPORTED;
			goto out;
		}
		if ((r = fido_cred_set_prot(cred,
		    (flags & SSH_SK_USER_VERIFICATION_REQD) ?
		    FIDO_CRED_PROT_UV_REQUIRED :
		    FIDO_CRED_PROT_UV_OPTIONAL_WITH_ID)) != FIDO_OK) {
			ret = fidoerr_to_skerr(r);
			goto out;
		}
	}
	if ((r = fido_dev_make_cred(dev, cred, pin)) != FIDO_OK) {
		skdebug(__func__, "fido_dev_make_cred: %s", fido_strerr(r));
		ret = fidoerr_to_skerr(r);
		goto out;
	}
	r = fido_cred_x5c_ptr(cred) != NULL ? fido_cred_verify(cred) :
	    fido_cred_verify_self(cred);
	if (r != FIDO_OK) {
		skdebug(__func__, "attestation: %s", fido_strerr(r));
		goto out;
	}
	if ((resp = calloc(1, sizeof(*resp))) == NULL)
		goto out;
	resp->flags = flags;
	if (pack_public_key(alg, cred, resp) != 0 ||
	    dup_blob(fido_cred_id_ptr(cred), fido_cred_id_len(cred),
	    &resp->key_handle, &resp->key_handle_len) != 0 ||
	    resp->key_handle == NULL ||
	    dup_blob(fido_cred_sig_ptr(cred), fido_cred_sig_len(cred),
	    &resp->signature, &resp->signature_len) != 0 ||
	    dup_blob(fido_cred_x5c_ptr(cred), fido_cred_x5c_len(cred),
	    &resp->attestation_cert, &resp->attestation_cert_len) != 0 ||
	    dup_blob(fido_cred_authdata_ptr(cred), fido_cred_authdata_len(cred),
	    &resp->authdata, &resp->authdata_len) != 0)
		goto out;
	skdebug(__func__, "enrolled %s, flags 0x%02x, handle %zu bytes",
	    application, flags, resp->key_handle_len);
	*enroll_response = resp;
	resp = NULL;
	ret = 0;
 out:
	free_enroll_response(resp);
	fido_cred_free(&cred);
	dev_close(&dev);
	free(device);
	return ret;
}

/* r and s of an ECDSA signature, or the 64 bytes of an Ed25519 one. */
static int
pack_sig(uint32_t alg, const fido_assert_t *a, struct sk_sign_response *resp)
{
	const unsigned char *p = fido_assert_sig_ptr(a, 0);
	size_t len = fido_assert_sig_len(a, 0);
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r, *s;
	int ret = -1;

	if (p == NULL)
		return -1;
	if (alg == SSH_SK_ED25519)
		return len == 64 ? dup_blob(p, len, &resp->sig_r,
		    &resp->sig_r_len) : -1;
	if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	resp->sig_r_len = (size_t)BN_num_bytes(r);
	resp->sig_s_len = (size_t)BN_num_bytes(s);
	if ((resp->sig_r = calloc(1, resp->sig_r_len + 1)) == NULL ||
	    (resp->sig_s = calloc(1, resp->sig_s_len + 1)) == NULL)
		goto out;
	BN_bn2bin(r, resp->sig_r);
	BN_bn2bin(s, resp->sig_s);
	ret = 0;
 out:
	ECDSA_SIG_free(sig);
	return ret;
}

int
sk_sign(uint32_t alg, const uint8_t *data, size_t data_len,
    const char *application, const uint8_t *key_handle, size_t key_handle_len,
    uint8_t flags, const char *pin, struct sk_option **options,
    struct sk_sign_response **sign_response)
{
	struct sk_sign_response *resp = NULL;
	fido_assert_t *a = NULL;
	fido_dev_t *dev = NULL;
	char *device = NULL;
	int r, ret = SSH_SK_ERR_GENERAL;

	fido_init(0);
	if (sign_response == NULL)
		return SSH_SK_ERR_GENERAL;
	*sign_response = NULL;
	if (parse_options(options, 0, &device, NULL) != 0)
		goto out;
	if ((alg != SSH_SK_ECDSA && alg != SSH_SK_ED25519) ||
	    application == NULL || key_handle == NULL)
		goto out;
	if ((dev = dev_open(device)) == NULL) {
		ret = SSH_SK_ERR_DEVICE_NOT_FOUND;
		goto out;
	}
	if ((a = fido_assert_new()) == NULL)
		goto out;
	/* the raw message: libfido2 hashes it into the clientDataHash */
	if ((r = fido_assert_set_clientdata(a, data, data_len)) != FIDO_OK ||
	    (r = fido_assert_set_rp(a, application)) != FIDO_OK ||
	    (r = fido_assert_allow_cred(a, key_handle,
	    key_handle_len)) != FIDO_OK ||
	    (r = fido_assert_set_up(a, (flags & SSH_SK_USER_PRESENCE_REQD) ?
	    FIDO_OPT_TRUE : FIDO_OPT_FALSE)) != FIDO_OK) {
		skdebug(__func__, "assert setup: %s", fido_strerr(r));
		goto out;
	}
	if (pin == NULL && (flags & SSH_SK_USER_VERIFICATION_REQD)) {
		if (dev_option(dev, "uv") != 1) {
			skdebug(__func__, "no built-in UV: PIN required");
			ret = SSH_SK_ERR_PIN_REQUIRED;
			goto out;
		}
		if ((r = fido_assert_set_uv(a, FIDO_OPT_TRUE)) != FIDO_OK) {
			ret = fidoerr_to_skerr(r);
			goto out;
		}
	}
	if ((r = fido_dev_get_assert(dev, a, pin)) != FIDO_OK) {
		skdebug(__func__, "fido_dev_get_assert: %s", fido_strerr(r));
		ret = fidoerr_to_skerr(r);
		goto out;
	}
	if ((resp = calloc(1, sizeof(*resp))) == NULL)
		goto out;
	resp->flags = fido_assert_flags(a, 0);
	resp->counter = fido_assert_sigcount(a, 0);
	if (pack_sig(alg, a, resp) != 0) {
		skdebug(__func__, "bad signature from the device");
		goto out;
	}
	skdebug(__func__, "signed %zu bytes for %s, flags 0x%02x counter %u",
	    data_len, application, resp->flags, resp->counter);
	*sign_response = resp;
	resp = NULL;
	ret = 0;
 out:
	if (resp != NULL) {
		free(resp->sig_r);
		free(resp->sig_s);
		free(resp);
	}
	fido_assert_free(&a);
	dev_close(&dev);
	free(device);
	return ret;
}

static void
free_rk(struct sk_resident_key *rk)
{
	if (rk == NULL)
		return;
	free(rk->application);
	free(rk->key.public_key);
	free(rk->key.key_handle);
	free(rk->user_id);
	free(rk);
}

static void
free_rks(struct sk_resident_key **rks, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free_rk(rks[i]);
	free(rks);
}

/* One resident credential as OpenSSH wants it. */
static int
pack_rk(const fido_cred_t *cred, const char *rp_id, size_t slot,
    int internal_uv, struct sk_resident_key **srkp)
{
	struct sk_resident_key *srk;

	*srkp = NULL;
	if ((srk = calloc(1, sizeof(*srk))) == NULL)
		return -1;
	srk->slot = slot;
	switch (fido_cred_type(cred)) {
	case COSE_ES256:
		srk->alg = SSH_SK_ECDSA;
		break;
	case COSE_EDDSA:
		srk->alg = SSH_SK_ED25519;
		break;
	default:
		skdebug(__func__, "unsupported key type %d",
		    fido_cred_type(cred));
		goto fail;
	}
	if (fido_cred_prot(cred) == FIDO_CRED_PROT_UV_REQUIRED &&
	    internal_uv == -1)
		srk->flags |= SSH_SK_USER_VERIFICATION_REQD;
	if ((srk->application = strdup(rp_id)) == NULL ||
	    dup_blob(fido_cred_id_ptr(cred), fido_cred_id_len(cred),
	    &srk->key.key_handle, &srk->key.key_handle_len) != 0 ||
	    srk->key.key_handle == NULL ||
	    dup_blob(fido_cred_user_id_ptr(cred), fido_cred_user_id_len(cred),
	    &srk->user_id, &srk->user_id_len) != 0 ||
	    pack_public_key(srk->alg, cred, &srk->key) != 0)
		goto fail;
	*srkp = srk;
	return 0;
 fail:
	free_rk(srk);
	return -1;
}

static int
read_rks(fido_dev_t *dev, const char *pin, struct sk_resident_key ***rksp,
    size_t *nrksp)
{
	fido_credman_metadata_t *md = NULL;
	fido_credman_rp_t *rp = NULL;
	fido_credman_rk_t *rk = NULL;
	struct sk_resident_key *srk, **tmp;
	const fido_cred_t *cred;
	const char *rp_id;
	size_t i, j;
	int r, internal_uv, ret = SSH_SK_ERR_GENERAL;

	if (pin == NULL) {
		skdebug(__func__, "no PIN");
		return SSH_SK_ERR_PIN_REQUIRED;
	}
	internal_uv = dev_option(dev, "uv");
	if ((md = fido_credman_metadata_new()) == NULL ||
	    (rp = fido_credman_rp_new()) == NULL)
		goto out;
	if ((r = fido_credman_get_dev_metadata(dev, md, pin)) != FIDO_OK) {
		skdebug(__func__, "metadata: %s", fido_strerr(r));
		ret = r == FIDO_ERR_INVALID_COMMAND ? 0 : fidoerr_to_skerr(r);
		goto out;
	}
	if ((r = fido_credman_get_dev_rp(dev, rp, pin)) != FIDO_OK) {
		skdebug(__func__, "RPs: %s", fido_strerr(r));
		goto out;
	}
	for (i = 0; i < fido_credman_rp_count(rp); i++) {
		if ((rp_id = fido_credman_rp_id(rp, i)) == NULL ||
		    strncasecmp(rp_id, "ssh:", 4) != 0)
			continue;
		fido_credman_rk_free(&rk);
		if ((rk = fido_credman_rk_new()) == NULL)
			goto out;
		if ((r = fido_credman_get_dev_rk(dev, rp_id, rk,
		    pin)) != FIDO_OK) {
			skdebug(__func__, "RKs of %s: %s", rp_id,
			    fido_strerr(r));
			goto out;
		}
		for (j = 0; j < fido_credman_rk_count(rk); j++) {
			if ((cred = fido_credman_rk(rk, j)) == NULL)
				continue;
			if (pack_rk(cred, rp_id, j, internal_uv, &srk) != 0)
				goto out;
			if ((tmp = realloc(*rksp,
			    (*nrksp + 1) * sizeof(*tmp))) == NULL) {
				free_rk(srk);
				goto out;
			}
			*rksp = tmp;
			(*rksp)[(*nrksp)++] = srk;
		}
	}
	ret = 0;
 out:
	fido_credman_rk_free(&rk);
	fido_credman_rp_free(&rp);
	fido_credman_metadata_free(&md);
	return ret;
}

int
sk_load_resident_keys(const char *pin, struct sk_option **options,
    struct sk_resident_key ***rksp, size_t *nrksp)
{
	struct sk_resident_key **rks = NULL;
	fido_dev_t *dev = NULL;
	char *device = NULL;
	size_t nrks = 0;
	int ret = SSH_SK_ERR_GENERAL;

	if (rksp == NULL || nrksp == NULL)
		return SSH_SK_ERR_GENERAL;
	*rksp = NULL;
	*nrksp = 0;
	fido_init(0);
	if (parse_options(options, 0, &device, NULL) != 0)
		goto out;
	if ((dev = dev_open(device)) == NULL) {
		ret = SSH_SK_ERR_DEVICE_NOT_FOUND;
		goto out;
	}
	if ((ret = read_rks(dev, pin, &rks, &nrks)) != 0)
		goto out;
	skdebug(__func__, "%zu resident keys", nrks);
	*rksp = rks;
	*nrksp = nrks;
	rks = NULL;
	nrks = 0;
 out:
	free_rks(rks, nrks);
	dev_close(&dev);
	free(device);
	return ret;
}
