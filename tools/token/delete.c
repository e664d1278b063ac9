/*
 * agent-token delete [-y] fingerprint | file.pub: deletes one resident key
 * from a security key (credential management), asking first on the
 * terminal unless -y.  The key is named by its SHA256 fingerprint as
 * ssh-keygen -l (and agent-token list) prints it, or by its public key.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "key.h"
#include "keyfile.h"
#include "secmem.h"
#include "sk.h"
#include "token.h"

static int
matches(const struct sk_resident_key *rk, const char *fp, const struct key *k)
{
	char *have;
	int m;

	if (k != NULL)
		return key_equal_public(rk->key, k);
	if ((have = key_fingerprint(rk->key, KEY_FP_SHA256)) == NULL)
		return 0;
	m = strcmp(have, fp) == 0;
	free(have);
	return m;
}

static int
confirm(const char *line, const char *spec)
{
	char yesno[16];

	if (!isatty(STDIN_FILENO)) {
		tok_error("not deleting %s: no terminal to ask (-y deletes "
		    "without asking)", line);
		return 0;
	}
	printf("Delete %s from %s? This cannot be undone (y/n) ", line, spec);
	fflush(stdout);
	return fgets(yesno, sizeof(yesno), stdin) != NULL &&
	    (yesno[0] == 'y' || yesno[0] == 'Y');
}

int
delete_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		TOK_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct token_ctx *ctx = NULL;
	struct token_info *ti = NULL;
	struct token_req req;
	struct sk_resident_key *rks = NULL;
	struct key *k = NULL;
	const char *what;
	const uint8_t *kh;
	char line[512], *pin = NULL;
	size_t n = 0, i, khlen;
	int ch, r, yes = 0, ret = 1;

	while ((ch = getopt_long(argc, argv, "hy", lopts, NULL)) != -1) {
		switch (ch) {
		case 'y':
			yes = 1;
			break;
		case 'T':
			tok_add_spec(optarg);
			break;
		case 'h':
		default:
			return tok_usage(argv[0]);
		}
	}
	if (argc - optind != 1)
		return tok_usage(argv[0]);
	what = argv[optind];
	if (strncmp(what, "SHA256:", 7) != 0 &&
	    (r = keyfile_load_public(what, &k, NULL)) != 0) {
		tok_error("%s: %s (give a SHA256: fingerprint or a public key "
		    "file)", what, ska_err(r));
		return 1;
	}
	ctx = tok_context();
	tok_choose(ctx, &ti);
	tok_resident(ctx, ti, &req, &pin, &rks, &n);
	for (i = 0; i < n && !matches(&rks[i], what, k); i++)
		;
	if (i == n) {
		tok_error("%s: no resident SSH key %s", ti->spec, what);
		goto out;
	}
	tok_key_line(&rks[i], line, sizeof(line));
	if (!yes && !confirm(line, ti->spec))
		goto out;
	kh = key_sk_key_handle(rks[i].key, &khlen);
	if ((r = token_delete_resident(ctx, &req, kh, khlen)) != 0) {
		tok_token_error(ti->spec, r, &req);
		goto out;
	}
	printf("Deleted %s\n", line);
	ret = 0;
 out:
	secmem_free_str(pin);
	sk_resident_keys_free(rks, n);
	key_free(k);
	token_info_free(ti, 1);
	token_ctx_free(ctx);
	return ret;
}
