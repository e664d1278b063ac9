/*
 * agent-token: a security key's state and resident keys, and checking an
 * enrollment's attestation.  The subcommand table; each subcommand is in
 * tools/token-NAME.c (agent-token.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "agent-token.h"
#include "keyfile.h"
#include "secmem.h"
#include "sshbuf.h"
#include "token.h"

struct tok_opts tok_opts;

static const struct {
	const char *name;
	int (*main)(int, char **);
	const char *args;
	const char *description;
} commands[] = {
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
		fprintf(f, "       agent-token %s %s\n", commands[i].name,
		    commands[i].args);
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
			fprintf(stderr, "usage: agent-token %s %s\n", cmd,
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
