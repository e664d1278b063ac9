/*
 * agent-token attest [--ca file] --challenge file key.pub attestation
 *
 * Checks what ssh-keygen (or agent-keygen) -O challenge=FILE
 * -O write-attestation=ATTESTATION wrote for key.pub (lib/attest.h): one
 * line on stderr and exit 1 for any mismatch.  Needs no security key.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "attest.h"
#include "key.h"
#include "keyfile.h"
#include "sshbuf.h"

#define CHALLENGE_MAX	(64 * 1024)	/* as agent-keygen -O challenge= */

static void
print_good(const char *pubpath, const struct key *k,
    const struct attest_info *info, const char *ca_file)
{
	char *fp = key_fingerprint(k, KEY_FP_SHA256), g[37];

	attest_aaguid_str(info->aaguid, g);
	printf("%s: good attestation: %s %s %s\n", pubpath, fp != NULL ? fp :
	    "?", key_type_short(k), key_sk_application(k));
	printf("  authenticator: AAGUID %s\n", g);
	printf("  flags:         user present%s, counter %u\n",
	    (info->flags & 0x04) != 0 ? ", user verified" : "",
	    (unsigned int)info->counter);
	if (info->self)
		printf("  certificate:   none: self attestation (the key signed "
		    "for itself; nothing says which hardware holds it)\n");
	else {
		printf("  certificate:   %s\n", info->subject);
		printf("  issuer:        %s\n", info->issuer);
	}
	if (ca_file != NULL)
		printf("  chain:         to %s in %s\n", info->ca, ca_file);
	free(fp);
}

int
attest_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "ca", required_argument, NULL, 'c' },
		{ "challenge", required_argument, NULL, 'C' },
		TOK_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const char *ca = NULL, *chalpath = NULL, *pubpath, *attpath;
	struct sshbuf *chal = NULL, *blob = NULL;
	struct attest *a = NULL;
	struct attest_info info;
	struct key *k = NULL;
	char why[512];
	int ch, r, ret = 1;

	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ca = optarg;
			break;
		case 'C':
			chalpath = optarg;
			break;
		case 'T':
			tok_add_spec(optarg);	/* no token needed here */
			break;
		case 'h':
		default:
			return tok_usage(argv[0]);
		}
	}
	if (chalpath == NULL || argc - optind != 2)
		return tok_usage(argv[0]);
	pubpath = argv[optind];
	attpath = argv[optind + 1];
	if ((r = keyfile_load_public(pubpath, &k, NULL)) != 0) {
		tok_error("%s: %s", pubpath, ska_err(r));
		goto out;
	}
	if ((chal = tok_read_file("challenge", chalpath, CHALLENGE_MAX)) == NULL ||
	    (blob = tok_read_file("attestation", attpath, ATTEST_MAX)) == NULL)
		goto out;
	if (sshbuf_len(chal) == 0) {
		tok_error("challenge %s: empty", chalpath);
		goto out;
	}
	why[0] = '\0';
	if (attest_parse(sshbuf_ptr(blob), sshbuf_len(blob), &a, why,
	    sizeof(why)) != 0 ||
	    attest_verify(a, k, sshbuf_ptr(chal), sshbuf_len(chal), ca, &info,
	    why, sizeof(why)) != 0) {
		tok_error("%s: %s", attpath, why);
		goto out;
	}
	print_good(pubpath, k, &info, ca);
	ret = 0;
 out:
	attest_free(a);
	key_free(k);
	sshbuf_free(chal);
	sshbuf_free(blob);
	return ret;
}
