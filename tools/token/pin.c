/*
 * agent-token pin: sets a security key's PIN when it has none, otherwise
 * changes it (the current PIN, then the new one twice: prompt_new_pin
 * holds it to the key's minimum length before anything is sent).  A wrong
 * current PIN is said with the tries left, and never tried again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "prompt.h"
#include "secmem.h"
#include "token.h"

int
pin_main(int argc, char **argv)
{
	struct token_ctx *ctx;
	struct token_info *ti = NULL;
	struct token_req req;
	char *cur = NULL, *pin = NULL;
	int r, ret = 1, change;

	if ((r = tok_no_args(argc, argv)) != 0)
		return r;
	ctx = tok_context();
	tok_choose(ctx, &ti);
	memset(&req, 0, sizeof(req));
	req.device = ti->spec;
	if (!ti->pin_supported) {
		tok_error("%s: this security key has no PIN", ti->spec);
		goto out;
	}
	change = ti->pin_set;
	if (change && ti->pin_retries == 0) {
		tok_token_error(ti->spec, SKA_ERR_PIN_BLOCKED, &req);
		goto out;
	}
	if (change)
		cur = tok_read_pin("Enter current PIN for authenticator: ");
	if ((r = prompt_new_pin(ti->min_pin_len, &pin)) != 0) {
		tok_error("%s: PIN %s: %s", ti->spec, change ? "not changed" :
		    "not set", r == SKA_ERR_PIN_POLICY ? "no acceptable PIN "
		    "given" : r == SKA_ERR_EOF ? "no PIN given" : ska_err(r));
		goto out;
	}
	req.pin = cur;
	r = change ? token_change_pin(ctx, &req, pin) :
	    token_set_pin(ctx, &req, pin);
	if (r != 0) {
		if (r == SKA_ERR_PIN_POLICY)
			tok_error("%s: the security key refused the new PIN "
			    "(shorter than %d characters, or too simple for it)",
			    ti->spec, ti->min_pin_len);
		else
			tok_token_error(ti->spec, r, &req);
		goto out;
	}
	printf("%s: PIN %s.\n", ti->spec, change ? "changed" : "set");
	ret = 0;
 out:
	secmem_free_str(cur);
	secmem_free_str(pin);
	token_info_free(ti, 1);
	token_ctx_free(ctx);
	return ret;
}
