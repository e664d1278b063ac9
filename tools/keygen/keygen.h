/*
 * agent-keygen's modes beyond key generation, each in a file of its own:
 * edit.c (-p, -c), fingerprint.c (-l), refer.c (the modes left to
 * ssh-keygen); and pin.c, a security key's PIN set on the way to a key.  tools/agent-keygen.c parses the command line, asks for the
 * file name, and calls them; these use its helpers below.
 */
#ifndef SKA_KEYGEN_H
#define SKA_KEYGEN_H

#include <stddef.h>
#include <stdio.h>

#include "key.h"

/* In agent-keygen.c. */
/* Prints the message and a newline on stderr, exits 1. */
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* A secret from the terminal or SSH_ASKPASS, in locked memory. */
char *read_secret(const char *prompt);
/* ssh's "UNPROTECTED PRIVATE KEY FILE!" warning, when it applies. */
void warn_permissions(const char *path, int r);

/* A key file to change (-p, -c). */
struct keygen_edit {
	const char *path;
	const char *old_passphrase;	/* -P, or NULL: asked when needed */
	const char *new_passphrase;	/* -N, or NULL: asked */
	const char *comment;		/* -C, or NULL: asked */
	unsigned int rounds;		/* -a, or 0: the file's, else 16 */
	const char *const *opts;	/* -O (security keys, -p only) */
	size_t nopts;
	int quiet;
};

/* -p: a new passphrase, and -O flags for security keys, as ssh-keygen -p. */
int keygen_change_passphrase(const struct keygen_edit *e);
/* -c: a new comment in both files, as ssh-keygen -c. */
int keygen_change_comment(const struct keygen_edit *e);
/* -l: fingerprints as ssh-keygen -l prints them (-v: the randomart). */
int keygen_fingerprint(const char *path, enum key_fp_hash h, int verbose);

/*
 * The ssh-keygen modes agent-keygen leaves to it.  When argv (read with
 * optstring, agent-keygen's getopt options) has one, prints one line
 * naming the ssh-keygen command to run (the same arguments, passphrases
 * left out) and exits 1.
 */
#define KEYGEN_REFER_OPTS	"AD:eF:iLm:R:s:Y:"
void keygen_refer_check(int argc, char **argv, const char *optstring);
/* s as one shell word (quoted when it needs to be), for a command shown. */
void keygen_put_word(FILE *f, const char *s);

/*
 * pin.c: before a security key is made.  When the key needs a PIN
 * (verify_required; refused: the token refused a resident key for want
 * of one) and the token it will be made on (device, or the only one
 * present) has none and no built-in UV: asks a new PIN (twice, the
 * token's minimum length checked first) and sets it, or, with no way to
 * ask, exits naming "agent-token pin".  The PIN to enroll with (locked
 * memory), or NULL when nothing was done.
 */
struct token_ctx;
char *keygen_sk_pin(struct token_ctx *ctx, const char *device,
    int verify_required, int refused);
/* One line of what to do with a new security key (stdout). */
void keygen_next_steps(const char *file, int added);

#endif
