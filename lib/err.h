/*
 * One error space for the whole project: 0 is success, every failure is a
 * negative SKA_ERR_* code, and ska_err() turns any code into a sentence.
 */
#ifndef SKA_ERR_H
#define SKA_ERR_H

#define SKA_ERR_SUCCESS			0
#define SKA_ERR_INTERNAL		-1
#define SKA_ERR_ALLOC_FAIL		-2
#define SKA_ERR_MESSAGE_INCOMPLETE	-3
#define SKA_ERR_INVALID_FORMAT		-4
#define SKA_ERR_BIGNUM_IS_NEGATIVE	-5
#define SKA_ERR_STRING_TOO_LARGE	-6
#define SKA_ERR_BIGNUM_TOO_LARGE	-7
#define SKA_ERR_NO_BUFFER_SPACE		-8
#define SKA_ERR_INVALID_ARGUMENT	-9
#define SKA_ERR_KEY_TYPE_UNKNOWN	-10
#define SKA_ERR_KEY_TYPE_MISMATCH	-11
#define SKA_ERR_KEY_LENGTH		-12
#define SKA_ERR_SIGNATURE_INVALID	-13
#define SKA_ERR_LIBCRYPTO		-14
#define SKA_ERR_SYSTEM			-15	/* see errno */
#define SKA_ERR_KEY_NOT_FOUND		-16
#define SKA_ERR_FEATURE_UNSUPPORTED	-17
#define SKA_ERR_KEY_CERT_INVALID	-18
#define SKA_ERR_KEY_WRONG_PASSPHRASE	-19
#define SKA_ERR_AGENT_FAILURE		-20
#define SKA_ERR_AGENT_NOT_PRESENT	-21
#define SKA_ERR_AGENT_COMMUNICATION	-22
#define SKA_ERR_KEY_BAD_PERMISSIONS	-23
#define SKA_ERR_KEY_CERT_MISMATCH	-24
#define SKA_ERR_FILE_EXISTS		-25
#define SKA_ERR_TIMEOUT			-26
#define SKA_ERR_CANCELLED		-27
#define SKA_ERR_LOCKED			-28
#define SKA_ERR_CONN_CLOSED		-29
#define SKA_ERR_KEY_INVALID		-30
#define SKA_ERR_EOF			-31
#define SKA_ERR_CONFIRM_DENIED		-32
#define SKA_ERR_PASSPHRASE_REQUIRED	-33	/* encrypted key, no passphrase given */
#define SKA_ERR_PROMPT_UNAVAILABLE	-34	/* no terminal and no askpass to ask with */
#define SKA_ERR_KDF_ROUNDS		-35	/* over KEYFILE_MAX_ROUNDS */
/* Security keys (the token layer translates libfido2 into these). */
#define SKA_ERR_TOKEN_NOT_FOUND		-40	/* no security key holds this key */
#define SKA_ERR_NO_TOKEN		-41	/* no security key present */
#define SKA_ERR_TOUCH_REFUSED		-42
#define SKA_ERR_TOUCH_TIMEOUT		-43
#define SKA_ERR_PIN_REQUIRED		-44
#define SKA_ERR_PIN_INVALID		-45
#define SKA_ERR_PIN_AUTH_BLOCKED	-46	/* too many wrong PINs: replug */
#define SKA_ERR_PIN_BLOCKED		-47	/* PIN blocked: reset the key */
#define SKA_ERR_PIN_NOT_SET		-48
#define SKA_ERR_PIN_POLICY		-49	/* PIN too short or too long */
#define SKA_ERR_UV_REQUIRED		-50
#define SKA_ERR_TOKEN_UNSUPPORTED	-51	/* algorithm or option unsupported */
#define SKA_ERR_CREDENTIAL_EXISTS	-52
#define SKA_ERR_TOKEN_GONE		-53	/* unplugged mid-operation */
#define SKA_ERR_TOKEN_IO		-54
#define SKA_ERR_TOKEN			-55	/* any other token failure */
#define SKA_ERR_TOKEN_BUSY		-56

#define SKA_ERR_MIN			-56

/* Never NULL, never a secret: safe to log. */
const char *ska_err(int r);

#if defined(__GNUC__)
# define SKA_WUR __attribute__((warn_unused_result))
#else
# define SKA_WUR
#endif

#endif
