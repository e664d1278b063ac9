/*
 * agent-token info: what each security key says about itself, without a
 * touch or a PIN (token_list: getInfo, PIN and UV retries).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "attest.h"
#include "token.h"

#define ROW	"  %-19s "

static void
print_pin(const struct token_info *ti)
{
	printf(ROW, "PIN:");
	if (!ti->pin_supported)
		printf("not supported\n");
	else if (!ti->pin_set)
		printf("not set\n");
	else if (ti->pin_retries == 0)
		printf("blocked (0 tries left): only a reset makes the key "
		    "usable again\n");
	else if (ti->pin_retries > 0)
		printf("set, %d %s left\n", ti->pin_retries,
		    ti->pin_retries == 1 ? "try" : "tries");
	else
		printf("set\n");
	if (ti->force_pin_change)
		printf(ROW "yes: the key wants a new PIN (agent-token pin)\n",
		    "PIN change forced:");
	if (ti->pin_supported)
		printf(ROW "%d\n", "minimum PIN length:", ti->min_pin_len);
}

static void
print_one(const struct token_info *ti)
{
	char g[37];

	printf("%s%s%s\n", ti->spec, ti->product != NULL ? ": " : "",
	    ti->product != NULL ? ti->product : "");
	if (!ti->present) {
		printf(ROW "not present\n", "state:");
		return;
	}
	if (ti->busy) {
		printf(ROW "busy (in use by another program)\n", "state:");
		return;
	}
	if (!ti->fido2) {
		printf(ROW "U2F only (no PIN, no resident keys)\n", "protocol:");
		return;
	}
	attest_aaguid_str(ti->aaguid, g);
	printf(ROW "%s\n", "AAGUID:", g);
	printf(ROW "%s\n", "versions:", ti->versions);
	if (ti->fw_version > 0 && ti->fw_version <= 0xffffff)
		printf(ROW "%u.%u.%u\n", "firmware:",
		    (unsigned int)(ti->fw_version >> 16) & 0xff,
		    (unsigned int)(ti->fw_version >> 8) & 0xff,
		    (unsigned int)ti->fw_version & 0xff);
	else if (ti->fw_version > 0)
		printf(ROW "%llu\n", "firmware:",
		    (unsigned long long)ti->fw_version);
	printf(ROW "%s%s%s\n", "algorithms:", ti->es256 ? "ES256" : "",
	    ti->es256 && ti->eddsa ? " " : "", ti->eddsa ? "EdDSA" : "");
	print_pin(ti);
	if (ti->uv >= 0) {
		printf(ROW "%s", "built-in UV:", ti->uv ? "set up" :
		    "not set up");
		if (ti->uv_retries >= 0)
			printf(", %d %s left", ti->uv_retries,
			    ti->uv_retries == 1 ? "try" : "tries");
		printf("\n");
	}
	printf(ROW "%s\n", "credProtect:", ti->cred_protect ? "yes" : "no");
	if (!ti->credman)
		printf(ROW "no credential management\n", "resident keys:");
	else if (ti->rk_remaining >= 0)
		printf(ROW "%lld %s free (agent-token list shows the keys)\n",
		    "resident keys:", (long long)ti->rk_remaining,
		    ti->rk_remaining == 1 ? "slot" : "slots");
	else
		printf(ROW "agent-token list counts them (with the PIN)\n",
		    "resident keys:");
}

int
info_main(int argc, char **argv)
{
	struct token_ctx *ctx;
	struct token_info *ti = NULL;
	size_t n = 0, i;
	int r, present = 0;

	if ((r = tok_no_args(argc, argv)) != 0)
		return r;
	ctx = tok_context();
	if ((r = token_list(ctx, &ti, &n)) != 0 || n == 0) {
		tok_error("%s", ska_err(r != 0 ? r : SKA_ERR_NO_TOKEN));
		token_ctx_free(ctx);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			printf("\n");
		print_one(&ti[i]);
		present |= ti[i].present;
	}
	token_info_free(ti, n);
	token_ctx_free(ctx);
	return present ? 0 : 1;
}
