/*
 * What skagent-sk-helper needs of OpenSSH's SecurityKeyProvider interface
 * (sk-api.h, version 0x000a0000, OpenSSH 9.1 to 10.x): the version check,
 * sk_sign() and its types.  The test provider has its own copy
 * (tests/sk-provider/sk-api.h), so a slip in one shows up in the tests.
 */
#ifndef SKA_SK_API_H
#define SKA_SK_API_H

#include <stddef.h>
#include <stdint.h>

#define SSH_SK_VERSION_MAJOR		0x000a0000
#define SSH_SK_VERSION_MAJOR_MASK	0xffff0000

#define SSH_SK_ECDSA			0x00
#define SSH_SK_ED25519			0x01

#define SSH_SK_ERR_GENERAL		-1
#define SSH_SK_ERR_UNSUPPORTED		-2
#define SSH_SK_ERR_PIN_REQUIRED		-3
#define SSH_SK_ERR_DEVICE_NOT_FOUND	-4
#define SSH_SK_ERR_CREDENTIAL_EXISTS	-5

struct sk_sign_response {
	uint8_t flags;
	uint32_t counter;
	uint8_t *sig_r;
	size_t sig_r_len;
	uint8_t *sig_s;
	size_t sig_s_len;
};

struct sk_option {
	char *name;
	char *value;
	uint8_t required;
};

typedef uint32_t sk_api_version_fn(void);
typedef int sk_sign_fn(uint32_t alg, const uint8_t *data, size_t data_len,
    const char *application, const uint8_t *key_handle, size_t key_handle_len,
    uint8_t flags, const char *pin, struct sk_option **options,
    struct sk_sign_response **sign_response);

#endif
