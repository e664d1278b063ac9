/*
 * agent-token: one program, a table of subcommands (wireguard-tools' wg),
 * each in its own file tools/token-NAME.c as NAME_main(argc, argv) with
 * argv[0] the subcommand's name.  Exit status 0, 1 on failure, 2 on a
 * usage error.  What they share is here.
 */
#ifndef AGENT_TOKEN_H
#define AGENT_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOK_MAX_SPECS	8	/* --token, repeatable */

struct sshbuf;
struct token_ctx;

/* The tokens to use: --token specs, or every security key present. */
struct tok_opts {
	const char *specs[TOK_MAX_SPECS];
	size_t nspecs;
};
extern struct tok_opts tok_opts;

/* The getopt_long entries every subcommand takes: --token, --help. */
#define TOK_LONGOPTS \
	{ "token", required_argument, NULL, 'T' }, \
	{ "help", no_argument, NULL, 'h' }
/* Takes --token's argument (exits 2 when there are too many). */
void tok_add_spec(const char *spec);

/* Prints "agent-token: " and the message to stderr. */
void tok_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The subcommand's usage line(s) on stderr; returns 2. */
int tok_usage(const char *cmd);
/* A context with the chosen tokens (exits 1 on failure). */
struct token_ctx *tok_context(void);
/* A file of at most max bytes, or NULL (the reason said). */
struct sshbuf *tok_read_file(const char *what, const char *path, size_t max);

int attest_main(int argc, char **argv);

#endif
