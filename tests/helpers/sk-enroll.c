/*
 * sk-enroll: makes a security-key key on a token through lib/sk.h and
 * hands it to the agent on SSH_AUTH_SOCK as ssh-add does (ADD_ID_CONSTRAINED
 * with sk-provider@openssh.com "internal"), printing the public line.  New
 * tests should use the real path, agent-keygen and stock ssh-add (as
 * 30-sk-agent.t and 31-sk-keygen.t do); this stays for web-origin keys (-W),
 * which agent-keygen rightly refuses, and for the tests written before.
 *
 *   sk-enroll -d unix:PATH [-t ed25519-sk|ecdsa-sk] [-a ssh:APP] [-r] [-v]
 *             [-n] [-c comment] [-x] [-S provider] > key.pub
 *             [-p pin]
 *   -r resident, -v verify-required, -n no-touch-required, -x do not add
 *   -S the sk-provider@openssh.com path the agent is to sign with (ssh-add
 *      -S): default "internal"
 *   -W the application need not start "ssh:" (a web-origin key, as only a
 *      browser would make: for tests of the agent's websafe rule)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent-client.h"
#include "key.h"
#include "secmem.h"
#include "sk.h"
#include "sshbuf.h"

int
main(int argc, char **argv)
{
	const char *dev = NULL, *app = "ssh:", *comment = "sk test key";
	const char *provider = "internal";
	enum key_type t = KEY_ED25519_SK;
	struct token_ctx *ctx = NULL;
	struct token_req req;
	struct key *k = NULL;
	uint8_t flags = KEY_SK_USER_PRESENCE_REQD;
	char *line = NULL, *pin = NULL;
	struct token_cred *cred = NULL;
	int ch, add = 1, r, fd, web = 0;

	if (secmem_init(0) != 0)
		return 2;
	while ((ch = getopt(argc, argv, "d:t:a:rvnc:xp:WS:")) != -1) {
		switch (ch) {
		case 'd': dev = optarg; break;
		case 't': t = strcmp(optarg, "ecdsa-sk") == 0 ? KEY_ECDSA_SK :
		    KEY_ED25519_SK; break;
		case 'a': app = optarg; break;
		case 'r': flags |= KEY_SK_RESIDENT_KEY; break;
		case 'v': flags |= KEY_SK_USER_VERIFICATION_REQD; break;
		case 'n': flags &= ~KEY_SK_USER_PRESENCE_REQD; break;
		case 'c': comment = optarg; break;
		case 'x': add = 0; break;
		case 'W': web = 1; break;
		case 'S': provider = optarg; break;
		case 'p': pin = secmem_strdup(optarg); break;
		default: return 2;
		}
	}
	if (dev == NULL || token_ctx_new(&ctx) != 0 ||
	    token_ctx_add_device(ctx, dev) != 0)
		return 2;
	token_ctx_set_discovery(ctx, 0);
	memset(&req, 0, sizeof(req));
	req.device = dev;
	req.pin = pin;
	if (web) {
		if ((r = token_enroll(ctx, &req, t == KEY_ED25519_SK ? TOKEN_EDDSA :
		    TOKEN_ES256, app, NULL, 0, NULL, 0, flags & ~TOKEN_UP,
		    &cred)) == 0)
			r = key_sk_new(t, cred->pubkey, cred->pubkey_len, app, flags,
			    cred->key_handle, cred->key_handle_len, &k);
		token_creds_free(cred, 1);
	} else
		r = sk_enroll_key(ctx, &req, t, app, NULL, flags, NULL, 0, &k, NULL);
	if (r != 0) {
		fprintf(stderr, "sk-enroll: %s\n", ska_err(r));
		return 1;
	}
	if (key_to_public_line(k, comment, &line) != 0)
		return 1;
	printf("%s\n", line);
	if (add) {
		if ((r = agent_connect(NULL, &fd)) != 0 ||
		    (r = agent_add_identity_provider(fd, k, comment,
		    provider)) != 0) {
			fprintf(stderr, "sk-enroll: agent: %s\n", ska_err(r));
			return 1;
		}
		close(fd);
	}
	free(line);
	key_free(k);
	token_ctx_free(ctx);
	return 0;
}
