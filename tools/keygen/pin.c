/*
 * agent-keygen setting a security key up for the key asked for: a key
 * that needs a PIN (verify-required; or resident, on a key that makes
 * those only behind a PIN) made on a security key that has none.  The new
 * PIN is asked there and then, twice, held to the key's minimum length
 * before anything is sent; with no way to ask, agent-keygen stops before
 * the touch and names the command that sets one.  And what to do next
 * once a key is made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keygen.h"
#include "prompt.h"
#include "secmem.h"
#include "token.h"

/* The token the key will be made on, when it is known before the touch. */
static int
chosen(struct token_ctx *ctx, const char *device, struct token_info *out)
{
	struct token_info *ti = NULL;
	size_t n = 0, i, found = 0;

	if (token_list(ctx, &ti, &n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!ti[i].present || ti[i].busy ||
		    (device != NULL && strcmp(ti[i].spec, device) != 0))
			continue;
		if (found++ == 0) {
			*out = ti[i];
			out->product = NULL;
		}
	}
	token_info_free(ti, n);
	return found == 1;
}

char *
keygen_sk_pin(struct token_ctx *ctx, const char *device, int verify_required,
    int refused)
{
	struct token_info ti;
	struct token_req req;
	const char *what;
	char *pin = NULL;
	int r;

	if (!verify_required && !refused)
		return NULL;
	if (device != NULL && token_ctx_add_device(ctx, device) != 0)
		return NULL;
	if (!chosen(ctx, device, &ti) || !ti.pin_supported || ti.pin_set ||
	    (!refused && ti.uv == 1))
		return NULL;
	what = refused ? "it makes resident keys only behind one" :
	    "a verify-required key signs only after it is given";
	if (!prompt_can_ask(PROMPT_ALLOW_STDIN))
		fatal("The security key %s has no PIN, and %s: set one with "
		    "\"agent-token --token %s pin\", then run agent-keygen "
		    "again.", ti.spec, what, ti.spec);
	fprintf(stderr, "The security key %s has no PIN, and %s.\n", ti.spec,
	    what);
	fprintf(stderr, "Choose its PIN now (%d to 63 characters):\n",
	    ti.min_pin_len);
	if ((r = prompt_new_pin(ti.min_pin_len, &pin)) != 0)
		fatal("No PIN set: %s", r == SKA_ERR_PIN_POLICY ?
		    "no acceptable PIN given" : r == SKA_ERR_EOF ?
		    "no PIN given" : ska_err(r));
	memset(&req, 0, sizeof(req));
	req.device = ti.spec;
	if ((r = token_set_pin(ctx, &req, pin)) != 0) {
		secmem_free_str(pin);
		fatal("Setting the security key's PIN failed: %s", ska_err(r));
	}
	fprintf(stderr, "PIN set.\n");
	return pin;
}

void
keygen_next_steps(const char *file, int added)
{
	if (added)
		printf("Next: \"agent-copy-id user@host\" installs it on a "
		    "server.\n");
	else {
		printf("Next: \"ssh-add ");
		keygen_put_word(stdout, file);
		printf("\" loads it into the agent, \"agent-copy-id "
		    "user@host\" installs it on a server.\n");
	}
}
