#include <errno.h>
#include <string.h>

#include "err.h"
#include "keyfile.h"

#define STR(x)	STR2(x)
#define STR2(x)	#x

const char *
ska_err(int r)
{
	switch (r) {
	case SKA_ERR_SUCCESS:			return "success";
	case SKA_ERR_INTERNAL:			return "unexpected internal error";
	case SKA_ERR_ALLOC_FAIL:		return "memory allocation failed";
	case SKA_ERR_MESSAGE_INCOMPLETE:	return "incomplete message";
	case SKA_ERR_INVALID_FORMAT:		return "invalid format";
	case SKA_ERR_BIGNUM_IS_NEGATIVE:	return "bignum is negative";
	case SKA_ERR_STRING_TOO_LARGE:		return "string is too large";
	case SKA_ERR_BIGNUM_TOO_LARGE:		return "bignum is too large";
	case SKA_ERR_NO_BUFFER_SPACE:		return "buffer size limit reached";
	case SKA_ERR_INVALID_ARGUMENT:		return "invalid argument";
	case SKA_ERR_KEY_TYPE_UNKNOWN:		return "unknown or unsupported key type";
	case SKA_ERR_KEY_TYPE_MISMATCH:		return "key type does not match";
	case SKA_ERR_KEY_LENGTH:		return "invalid key length";
	case SKA_ERR_SIGNATURE_INVALID:		return "incorrect signature";
	case SKA_ERR_LIBCRYPTO:			return "error in libcrypto";
	case SKA_ERR_SYSTEM:			return strerror(errno);
	case SKA_ERR_KEY_NOT_FOUND:		return "key not found";
	case SKA_ERR_FEATURE_UNSUPPORTED:	return "feature not supported";
	case SKA_ERR_KEY_CERT_INVALID:		return "invalid certificate";
	case SKA_ERR_KEY_WRONG_PASSPHRASE:	return "incorrect passphrase supplied to decrypt private key";
	case SKA_ERR_AGENT_FAILURE:		return "agent refused operation";
	case SKA_ERR_AGENT_NOT_PRESENT:		return "could not connect to the agent";
	case SKA_ERR_AGENT_COMMUNICATION:	return "error communicating with the agent";
	case SKA_ERR_KEY_BAD_PERMISSIONS:	return "bad permissions";
	case SKA_ERR_KEY_CERT_MISMATCH:		return "certificate does not match key";
	case SKA_ERR_FILE_EXISTS:		return "file exists";
	case SKA_ERR_TIMEOUT:			return "operation timed out";
	case SKA_ERR_CANCELLED:			return "operation cancelled";
	case SKA_ERR_LOCKED:			return "agent is locked";
	case SKA_ERR_CONN_CLOSED:		return "connection closed";
	case SKA_ERR_KEY_INVALID:		return "invalid key";
	case SKA_ERR_EOF:			return "unexpected end of file";
	case SKA_ERR_CONFIRM_DENIED:		return "confirmation refused";
	case SKA_ERR_PASSPHRASE_REQUIRED:	return "the private key is encrypted: a passphrase is required";
	case SKA_ERR_PROMPT_UNAVAILABLE:	return "no terminal or askpass program to ask with";
	case SKA_ERR_KDF_ROUNDS:		return "the key file asks for more than "
						    STR(KEYFILE_MAX_ROUNDS) " bcrypt rounds";
	case SKA_ERR_TOKEN_NOT_FOUND:		return "no security key holds this key";
	case SKA_ERR_NO_TOKEN:			return "no security key found";
	case SKA_ERR_TOUCH_REFUSED:		return "touch refused";
	case SKA_ERR_TOUCH_TIMEOUT:		return "timed out waiting for a touch";
	case SKA_ERR_PIN_REQUIRED:		return "security key PIN required";
	case SKA_ERR_PIN_INVALID:		return "wrong PIN";
	case SKA_ERR_PIN_AUTH_BLOCKED:		return "too many wrong PINs: unplug and replug the security key";
	case SKA_ERR_PIN_BLOCKED:		return "PIN blocked: the security key must be reset";
	case SKA_ERR_PIN_NOT_SET:		return "the security key has no PIN set";
	case SKA_ERR_PIN_POLICY:		return "PIN does not meet the security key's policy (4 to 63 bytes)";
	case SKA_ERR_UV_REQUIRED:		return "user verification required";
	case SKA_ERR_TOKEN_UNSUPPORTED:		return "the security key does not support this algorithm or option";
	case SKA_ERR_CREDENTIAL_EXISTS:		return "a resident key for this application and user already exists";
	case SKA_ERR_TOKEN_GONE:		return "security key removed";
	case SKA_ERR_TOKEN_IO:			return "error communicating with the security key";
	case SKA_ERR_TOKEN:			return "security key error";
	case SKA_ERR_TOKEN_BUSY:		return "security key busy";
	}
	return "unknown error";
}
