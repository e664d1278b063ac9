/*
 * agent-token: one program, a table of subcommands (wireguard-tools' wg),
 * each in its own file tools/token/NAME.c as NAME_main(argc, argv) with
 * argv[0] the subcommand's name.  Exit status 0, 1 on failure, 2 on a
 * usage error.  What they share is here.
 */
#ifndef AGENT_TOKEN_CMD_H
#define AGENT_TOKEN_CMD_H

#include <stddef.h>
#include <stdint.h>

#define TOK_MAX_SPECS	8	/* --token, repeatable */

struct sshbuf;
struct sk_resident_key;
struct token_ctx;
struct token_info;
struct token_req;

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
/* A subcommand with no options and arguments of its own: 0, or 2. */
int tok_no_args(int argc, char **argv);

/* Prints "agent-token: " and the message to stderr. */
void tok_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The subcommand's usage line(s) on stderr; returns 2. */
int tok_usage(const char *cmd);
/* A context with the chosen tokens (exits 1 on failure). */
struct token_ctx *tok_context(void);
/* A file of at most max bytes, or NULL (the reason said). */
struct sshbuf *tok_read_file(const char *what, const char *path, size_t max);
/*
 * The one token a command works on: the only one present, or the only
 * --token.  Exits 1 (saying why) when there is none or several; *infop
 * (token_info_free(*infop, 1)) is its state.
 */
void tok_choose(struct token_ctx *ctx, struct token_info **infop);
/* A PIN as OpenSSH's tools ask it (terminal, SSH_ASKPASS); exits on "". */
char *tok_read_pin(const char *prompt);
/*
 * After a failed token operation: prints what happened ("wrong PIN, 7
 * tries left", what to do about a blocked PIN) as one line.
 */
void tok_token_error(const char *what, int r, const struct token_req *req);
/*
 * The resident SSH keys of the chosen token, asking its PIN (once: a wrong
 * one is said, with the tries left, and exits 1).  req->device and
 * req->pin (= *pinp) are set for further operations; free the PIN with
 * secmem_free_str(*pinp) and the keys with sk_resident_keys_free.
 */
void tok_resident(struct token_ctx *ctx, const struct token_info *ti,
    struct token_req *req, char **pinp, struct sk_resident_key **rksp,
    size_t *np);
/* "SHA256:... ED25519-SK ssh:work alice credProtect=2" into buf. */
void tok_key_line(const struct sk_resident_key *rk, char *buf, size_t len);

int attest_main(int argc, char **argv);
int delete_main(int argc, char **argv);
int info_main(int argc, char **argv);
int list_main(int argc, char **argv);
int pin_main(int argc, char **argv);

#endif
