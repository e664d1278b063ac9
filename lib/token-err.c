/*
 * The one place where libfido2's errors become SKA_ERR_* (table in
 * token.h), and the messages a person reads.
 */
#include <stdio.h>

#include <fido.h>

#include "token-impl.h"

int
token_err_is_io(int e)
{
	return e == FIDO_ERR_TX || e == FIDO_ERR_RX ||
	    e == FIDO_ERR_RX_NOT_CBOR || e == FIDO_ERR_RX_INVALID_CBOR;
}

int
token_err_from_fido(int e)
{
	switch (e) {
	case FIDO_OK:
		return 0;
	case FIDO_ERR_TX:
	case FIDO_ERR_RX:
	case FIDO_ERR_RX_NOT_CBOR:
	case FIDO_ERR_RX_INVALID_CBOR:
	case FIDO_ERR_TIMEOUT:
	case FIDO_ERR_INVALID_SEQ:
	case FIDO_ERR_INVALID_LENGTH:
	case FIDO_ERR_INVALID_CHANNEL:
		return SKA_ERR_TOKEN_IO;
	case FIDO_ERR_CHANNEL_BUSY:
	case FIDO_ERR_PROCESSING:
	case FIDO_ERR_USER_ACTION_PENDING:
	case FIDO_ERR_OPERATION_PENDING:
		return SKA_ERR_TOKEN_BUSY;
	case FIDO_ERR_OPERATION_DENIED:
	case FIDO_ERR_USER_PRESENCE_REQUIRED:
	case FIDO_ERR_UP_REQUIRED:
		return SKA_ERR_TOUCH_REFUSED;
	case FIDO_ERR_ACTION_TIMEOUT:
	case FIDO_ERR_USER_ACTION_TIMEOUT:
		return SKA_ERR_TOUCH_TIMEOUT;
	case FIDO_ERR_KEEPALIVE_CANCEL:
		return SKA_ERR_CANCELLED;
	case FIDO_ERR_NO_CREDENTIALS:
	case FIDO_ERR_INVALID_CREDENTIAL:
		return SKA_ERR_TOKEN_NOT_FOUND;
	case FIDO_ERR_PIN_REQUIRED:
		return SKA_ERR_PIN_REQUIRED;
	case FIDO_ERR_PIN_INVALID:
		return SKA_ERR_PIN_INVALID;
	case FIDO_ERR_PIN_AUTH_BLOCKED:
		return SKA_ERR_PIN_AUTH_BLOCKED;
	case FIDO_ERR_PIN_BLOCKED:
		return SKA_ERR_PIN_BLOCKED;
	case FIDO_ERR_PIN_NOT_SET:
		return SKA_ERR_PIN_NOT_SET;
	case FIDO_ERR_PIN_POLICY_VIOLATION:
		return SKA_ERR_PIN_POLICY;
	case FIDO_ERR_UV_BLOCKED:
	case FIDO_ERR_UV_INVALID:
		return SKA_ERR_UV_REQUIRED;
	case FIDO_ERR_UNSUPPORTED_ALGORITHM:
	case FIDO_ERR_UNSUPPORTED_OPTION:
	case FIDO_ERR_UNSUPPORTED_EXTENSION:
	case FIDO_ERR_INVALID_OPTION:
	case FIDO_ERR_INVALID_COMMAND:
		return SKA_ERR_TOKEN_UNSUPPORTED;
	case FIDO_ERR_CREDENTIAL_EXCLUDED:
		return SKA_ERR_CREDENTIAL_EXISTS;
	case FIDO_ERR_INVALID_SIG:
		return SKA_ERR_SIGNATURE_INVALID;
	case FIDO_ERR_INVALID_ARGUMENT:
	case FIDO_ERR_INVALID_PARAM:
		return SKA_ERR_INVALID_ARGUMENT;
	case FIDO_ERR_NOTFOUND:
		return SKA_ERR_NO_TOKEN;
	}
	return SKA_ERR_TOKEN;
}

int
token_err_map(int e, unsigned int f)
{
	if ((f & TOKEN_ERRF_CANCELLED) != 0 && e != FIDO_OK)
		return SKA_ERR_CANCELLED;
	if (token_err_is_io(e)) {
		if ((f & TOKEN_ERRF_TIMEDOUT) != 0)
			return (f & TOKEN_ERRF_TOUCH) != 0 ?
			    SKA_ERR_TOUCH_TIMEOUT : SKA_ERR_TIMEOUT;
		if ((f & TOKEN_ERRF_GONE) != 0)
			return SKA_ERR_TOKEN_GONE;
	}
	return token_err_from_fido(e);
}

const char *
token_strerror(int r, const struct token_req *req, char *buf, size_t len)
{
	int n = req != NULL ? req->pin_retries : -1;

	if (buf == NULL || len == 0)
		return ska_err(r);
	if (r == SKA_ERR_PIN_INVALID && n >= 0)
		snprintf(buf, len, "wrong PIN, %d %s left", n,
		    n == 1 ? "try" : "tries");
	else if (r == SKA_ERR_PIN_AUTH_BLOCKED && n > 0)
		snprintf(buf, len, "%s (%d %s left)", ska_err(r), n,
		    n == 1 ? "try" : "tries");
	else
		snprintf(buf, len, "%s", ska_err(r));
	return buf;
}
