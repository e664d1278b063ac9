/*
 * agent-token: a security key's state and resident keys, and checking an
 * enrollment's attestation.  The subcommand table; each subcommand is in
 * tools/token/NAME.c (token/cmd.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "token/cmd.h"
#include "key.h"
#include "keyfile.h"
#include "prompt.h"
#include "secmem.h"
#include "sk.h"
#include "sshbuf.h"
#include "token.h"

struct tok_opts tok_opts;

static const struct {
	const char *name;
	int (*main)(int, char **);
	const char *args;
	const char *description;
} commands[] = {
	{ "info", info_main, "",
	  "each security key: PIN, tries left, resident key slots, ..." },
	{ "pin", pin_main, "",
	  "set the PIN, or change it" },
	{ "list", list_main, "",
	  "the resident SSH keys" },
	{ "delete", delete_main, "[-y] fingerprint | file.pub",
	  "delete a resident key" },
	{ "attest", attest_main,
	  "[--ca file] --challenge file key.pub attestation",
	  "check the attestation a new key was made with" },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

void
tok_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("agent-token: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void
help(FILE *f)
{
	size_t i;

	fprintf(f, "usage: agent-token [--token spec]... command [args]\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "       agent-token %s%s%s\n", commands[i].name,
		    *commands[i].args != '\0' ? " " : "", commands[i].args);
	fprintf(f, "       agent-token -h | --help\n\nCommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name,
		    commands[i].description);
	fprintf(f, "\nOptions (before or after the command):\n"
	    "  --token spec  the security key to use: unix:PATH or a /dev path\n"
	    "                (repeatable; default: every one present)\n"
	    "  -h, --help    this help\n");
}

int
tok_usage(const char *cmd)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, cmd) == 0)
			fprintf(stderr, "usage: agent-token %s%s%s\n", cmd,
			    *commands[i].args != '\0' ? " " : "",
			    commands[i].args);
	return 2;
}

void
tok_add_spec(const char *spec)
{
	if (tok_opts.nspecs >= TOK_MAX_SPECS) {
		tok_error("at most %d --token options", TOK_MAX_SPECS);
		exit(2);
	}
	tok_opts.specs[tok_opts.nspecs++] = spec;
}

int
tok_no_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		TOK_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (ch != 'T')
			return tok_usage(argv[0]);
		tok_add_spec(optarg);
	}
	return optind != argc ? tok_usage(argv[0]) : 0;
}

struct token_ctx *
tok_context(void)
{
	struct token_ctx *ctx = NULL;
	size_t i;
	int r;

	if ((r = token_ctx_new(&ctx)) != 0) {
		tok_error("cannot use security keys: %s", ska_err(r));
		exit(1);
	}
	for (i = 0; i < tok_opts.nspecs; i++) {
		if ((r = token_ctx_add_device(ctx, tok_opts.specs[i])) != 0) {
			tok_error("invalid --token \"%s\": %s", tok_opts.specs[i],
			    r == SKA_ERR_INVALID_ARGUMENT ? "expected unix:PATH "
			    "or a /dev path" : ska_err(r));
			exit(2);
		}
	}
	if (tok_opts.nspecs > 0)
		token_ctx_set_discovery(ctx, 0);
	return ctx;
}

struct sshbuf *
tok_read_file(const char *what, const char *path, size_t max)
{
	struct sshbuf *b = NULL;
	int r;

	if ((r = keyfile_read_file(path, max, &b)) == 0)
		return b;
	if (r == SKA_ERR_SYSTEM)
		tok_error("%s %s: %s", what, path, strerror(errno));
	else if (r == SKA_ERR_INVALID_FORMAT)
		tok_error("%s %s: larger than %zu bytes", what, path, max);
	else
		tok_error("%s %s: %s", what, path, ska_err(r));
	return NULL;
}

void
tok_choose(struct token_ctx *ctx, struct token_info **infop)
{
	struct token_info *ti = NULL, *one;
	size_t n = 0, i, present = 0, pick = 0;
	int r;

	if ((r = token_list(ctx, &ti, &n)) != 0) {
		tok_error("%s", ska_err(r));
		exit(1);
	}
	for (i = 0; i < n; i++) {
		if (ti[i].present) {
			present++;
			pick = i;
		}
	}
	if (present == 0) {
		tok_error("%s", ska_err(SKA_ERR_NO_TOKEN));
		exit(1);
	}
	if (present > 1) {
		tok_error("several security keys are present: name one with "
		    "--token (agent-token info lists them)");
		exit(1);
	}
	if (ti[pick].busy) {
		tok_error("%s: %s", ti[pick].spec, ska_err(SKA_ERR_TOKEN_BUSY));
		exit(1);
	}
	if ((one = calloc(1, sizeof(*one))) == NULL) {
		tok_error("out of memory");
		exit(1);
	}
	*one = ti[pick];
	ti[pick].product = NULL;
	token_info_free(ti, n);
	*infop = one;
}

char *
tok_read_pin(const char *prompt)
{
	char *pin = NULL;
	int r;

	if ((r = prompt_read(prompt, PROMPT_ALLOW_STDIN, &pin)) != 0) {
		tok_error("cannot read the PIN: %s", ska_err(r));
		exit(1);
	}
	if (*pin == '\0') {
		secmem_free_str(pin);
		tok_error("no PIN given");
		exit(1);
	}
	return pin;
}

void
tok_token_error(const char *what, int r, const struct token_req *req)
{
	char buf[128];

	if (r == SKA_ERR_PIN_POLICY && req->pin != NULL)
		tok_error("%s: the security key wants its PIN changed first "
		    "(agent-token pin)", what);
	else if (r == SKA_ERR_PIN_BLOCKED)
		tok_error("%s: the PIN is blocked: only a reset, which erases "
		    "every key on it, makes the security key usable again", what);
	else
		tok_error("%s: %s", what, token_strerror(r, req, buf,
		    sizeof(buf)));
}

void
tok_resident(struct token_ctx *ctx, const struct token_info *ti,
    struct token_req *req, char **pinp, struct sk_resident_key **rksp,
    size_t *np)
{
	int r;

	memset(req, 0, sizeof(*req));
	req->device = ti->spec;
	if (!ti->pin_set) {
		tok_error("%s: %s (agent-token pin sets one; resident keys are "
		    "listed with it)", ti->spec, ska_err(SKA_ERR_PIN_NOT_SET));
		exit(1);
	}
	if (ti->pin_retries == 0) {
		tok_token_error(ti->spec, SKA_ERR_PIN_BLOCKED, req);
		exit(1);
	}
	req->pin = *pinp = tok_read_pin("Enter PIN for authenticator: ");
	if ((r = sk_load_resident_keys(ctx, req, rksp, np)) != 0) {
		tok_token_error(ti->spec, r, req);
		secmem_free_str(*pinp);
		exit(1);
	}
}

/* The user id as ssh-keygen -O user= gave it (NUL-padded), or hex. */
static void
user_str(const uint8_t *id, size_t len, char *out, size_t outlen)
{
	size_t i, n = len;
	int text = 1;

	while (n > 0 && id[n - 1] == 0)
		n--;
	for (i = 0; i < n; i++)
		text &= id[i] > 0x20 && id[i] < 0x7f;
	if (n == 0)
		snprintf(out, outlen, "-");
	else if (text)
		snprintf(out, outlen, "%.*s", (int)n, (const char *)id);
	else {
		*out = '\0';
		for (i = 0; i < len && 2 * i + 3 <= outlen; i++)
			snprintf(out + 2 * i, 3, "%02x", id[i]);
	}
}

void
tok_key_line(const struct sk_resident_key *rk, char *buf, size_t len)
{
	char *fp = key_fingerprint(rk->key, KEY_FP_SHA256), user[80];

	user_str(rk->user_id, rk->user_id_len, user, sizeof(user));
	snprintf(buf, len, "%s %s %s %s credProtect=%d", fp != NULL ? fp :
	    "?", key_type_short(rk->key), key_sk_application(rk->key), user,
	    rk->cred_protect);
	free(fp);
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		TOK_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	size_t i;
	int ch, n;

	if (sodium_init() < 0 || secmem_init(0) != 0) {
		tok_error("cannot set up locked memory");
		return 1;
	}
	/* global options end at the command: "+" stops at it */
	while ((ch = getopt_long(argc, argv, "+h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'T':
			tok_add_spec(optarg);
			break;
		case 'h':
			help(stdout);
			return 0;
		default:
			help(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		help(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "help") == 0) {
		help(stdout);
		return 0;
	}
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			n = optind;
			optind = 0;	/* the subcommand's getopt starts afresh */
			return commands[i].main(argc - n, argv + n);
		}
	}
	tok_error("unknown command \"%s\" (agent-token --help lists them)",
	    argv[optind]);
	return 2;
}
