/*
 * agent-token list: the resident SSH keys (application ssh:*) of one
 * security key, one line each, as ssh-keygen -l names them, after its PIN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "secmem.h"
#include "sk.h"
#include "token.h"

int
list_main(int argc, char **argv)
{
	struct token_ctx *ctx;
	struct token_info *ti = NULL;
	struct token_req req;
	struct sk_resident_key *rks = NULL;
	char line[512], *pin = NULL;
	size_t n = 0, i;
	int r, used = -1, avail = -1;

	if ((r = tok_no_args(argc, argv)) != 0)
		return r;
	ctx = tok_context();
	tok_choose(ctx, &ti);
	tok_resident(ctx, ti, &req, &pin, &rks, &n);
	for (i = 0; i < n; i++) {
		tok_key_line(&rks[i], line, sizeof(line));
		printf("%s\n", line);
	}
	if ((r = token_resident_slots(ctx, &req, &used, &avail)) != 0)
		used = avail = -1;
	printf("%s: %zu resident SSH %s", ti->spec, n, n == 1 ? "key" : "keys");
	if (used >= 0)
		printf(", %d resident %s in all, %d %s free", used,
		    used == 1 ? "key" : "keys", avail, avail == 1 ? "slot" :
		    "slots");
	printf("\n");
	secmem_free_str(pin);
	sk_resident_keys_free(rks, n);
	token_info_free(ti, 1);
	token_ctx_free(ctx);
	return 0;
}
