/*
 * -p and -c: a key file rewritten with a new passphrase (and, for security
 * keys, -O flags) or a new comment, with ssh-keygen -p / -c's prompts and
 * messages.  Each file is replaced atomically (keyfile_write_file): a
 * reader, or a kill at any moment, sees the old file or the new one.  A
 * symlinked file is rewritten where it points; the mode is kept.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "key.h"
#include "keyfile.h"
#include "secmem.h"
#include "sshbuf.h"
#include "keygen.h"

struct loaded {
	struct key *key;
	char *comment;
	char *passphrase;	/* locked memory; "" for none */
	struct keyfile_params params;
};

static void
loaded_clear(struct loaded *l)
{
	key_free(l->key);
	free(l->comment);
	secmem_free_str(l->passphrase);
	memset(l, 0, sizeof(*l));
}

static char *
dup_secret(const char *s)
{
	char *d;

	if ((d = secmem_strdup(s)) == NULL)
		fatal("Out of memory");
	return d;
}

/*
 * Loads e->path, asking for its passphrase (prompt) unless given (-P, else
 * fallback); failing, says what (and the path, in quotes when quoted).
 */
static void
load(const struct keygen_edit *e, const char *fallback, const char *prompt,
    const char *what, int quoted, struct loaded *l)
{
	struct stat st;
	int r;

	memset(l, 0, sizeof(*l));
	if (stat(e->path, &st) == -1)
		fatal("%s: %s", e->path, strerror(errno));
	r = keyfile_load_private(e->path, NULL, &l->key, &l->comment,
	    &l->params);
	if (r == 0)
		l->passphrase = dup_secret("");
	else if (r == SKA_ERR_PASSPHRASE_REQUIRED) {
		if (e->old_passphrase != NULL)
			l->passphrase = dup_secret(e->old_passphrase);
		else if (fallback != NULL)
			l->passphrase = dup_secret(fallback);
		else
			l->passphrase = read_secret(prompt);
		r = *l->passphrase == '\0' ? SKA_ERR_KEY_WRONG_PASSPHRASE :
		    keyfile_load_private(e->path, l->passphrase, &l->key,
		    &l->comment, &l->params);
	}
	if (r != 0) {
		warn_permissions(e->path, r);
		fatal("%s %s%s%s: %s", what, quoted ? "\"" : "", e->path,
		    quoted ? "\"" : "", ska_err(r));
	}
}

/* Where a rewrite of path goes: through a symlink, to its target. */
static char *
target(const char *path)
{
	struct stat st;
	char *t;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if ((t = realpath(path, NULL)) == NULL)
			fatal("%s: %s", path, strerror(errno));
	} else if ((t = strdup(path)) == NULL)
		fatal("Out of memory");
	return t;
}

/* Replaces path with data, keeping its mode. */
static void
rewrite(const char *path, const uint8_t *data, size_t len, mode_t dflt)
{
	struct stat st;
	char *t = target(path);
	mode_t mode = stat(t, &st) == 0 ? st.st_mode & 07777 : dflt;
	int r;

	if ((r = keyfile_write_file(t, data, len, mode, KEYFILE_OVERWRITE)) != 0)
		fatal("Saving key \"%s\" failed: %s", path, r == SKA_ERR_SYSTEM ?
		    strerror(errno) : ska_err(r));
	free(t);
}

static void
save_private(const struct keygen_edit *e, const struct loaded *l,
    const char *comment, const char *passphrase)
{
	struct keyfile_params p;
	struct sshbuf *b;
	int r;

	memset(&p, 0, sizeof(p));
	/* the file's cipher and rounds, unless -a says otherwise */
	if (strcmp(l->params.cipher, "none") != 0)
		snprintf(p.cipher, sizeof(p.cipher), "%s", l->params.cipher);
	p.rounds = e->rounds != 0 ? e->rounds : l->params.rounds;
	if ((b = sshbuf_new()) == NULL)
		fatal("Out of memory");
	if ((r = keyfile_serialize_private_params(l->key, comment,
	    *passphrase != '\0' ? passphrase : NULL, &p, b)) != 0)
		fatal("Saving key \"%s\" failed: %s", e->path, ska_err(r));
	rewrite(e->path, sshbuf_ptr(b), sshbuf_len(b), 0600);
	sshbuf_free(b);
}

/* -O for -p: the flags of a security key file. */
static uint8_t
sk_flags(const struct keygen_edit *e, const struct key *k)
{
	uint8_t flags = key_is_sk(k) ? key_sk_flags(k) : 0;
	const char *o;
	size_t i;

	for (i = 0; i < e->nopts; i++) {
		o = e->opts[i];
		if (!key_is_sk(k))
			fatal("Option \"%s\" is only for security keys "
			    "(ed25519-sk or ecdsa-sk files)", o);
		if (strcasecmp(o, "verify-required") == 0)
			flags |= KEY_SK_USER_VERIFICATION_REQD;
		else if (strcasecmp(o, "no-verify-required") == 0)
			flags &= ~KEY_SK_USER_VERIFICATION_REQD;
		else if (strcasecmp(o, "no-touch-required") == 0)
			flags &= ~KEY_SK_USER_PRESENCE_REQD;
		else if (strcasecmp(o, "touch-required") == 0)
			flags |= KEY_SK_USER_PRESENCE_REQD;
		else
			fatal("Option \"%s\" is unsupported for changing a "
			    "key file (-p takes verify-required, "
			    "no-verify-required, touch-required, "
			    "no-touch-required)", o);
	}
	return flags;
}

int
keygen_change_passphrase(const struct keygen_edit *e)
{
	struct loaded l;
	char *p1 = NULL, *p2 = NULL;
	uint8_t flags, old;
	int r;

	load(e, NULL, "Enter old passphrase: ", "Failed to load key", 0, &l);
	old = key_is_sk(l.key) ? key_sk_flags(l.key) : 0;
	flags = sk_flags(e, l.key);
	if (!e->quiet)
		printf("Key has comment '%s'\n", l.comment);
	if (e->new_passphrase != NULL)
		p1 = dup_secret(e->new_passphrase);
	else {
		p1 = read_secret("Enter new passphrase (empty for no "
		    "passphrase): ");
		p2 = read_secret("Enter same passphrase again: ");
		if (strcmp(p1, p2) != 0) {
			secmem_free_str(p1);
			secmem_free_str(p2);
			printf("Pass phrases do not match.  Try again.\n");
			exit(1);
		}
		secmem_free_str(p2);
	}
	if (flags != old && (r = key_sk_set_flags(l.key, flags)) != 0)
		fatal("Cannot change the key's flags: %s", ska_err(r));
	save_private(e, &l, l.comment, p1);
	secmem_free_str(p1);
	if (!e->quiet) {
		printf("Your identification has been saved with the new "
		    "passphrase.\n");
		if (flags != old)
			printf("Security key flags: %s, %s.\n",
			    (flags & KEY_SK_USER_PRESENCE_REQD) ?
			    "touch-required" : "no-touch-required",
			    (flags & KEY_SK_USER_VERIFICATION_REQD) ?
			    "verify-required" : "no-verify-required");
	}
	if ((old & KEY_SK_USER_PRESENCE_REQD) != 0 &&
	    (flags & KEY_SK_USER_PRESENCE_REQD) == 0)
		fprintf(stderr, "Servers accept signatures without a touch "
		    "only where authorized_keys marks the key "
		    "no-touch-required.\n");
	loaded_clear(&l);
	return 0;
}

int
keygen_change_comment(const struct keygen_edit *e)
{
	struct loaded l;
	char buf[1024], *line = NULL, *pubpath = NULL;
	const char *comment;
	int r;

	load(e, e->new_passphrase, "Enter passphrase: ",
	    "Cannot load private key", 1, &l);
	if (!e->quiet)
		printf("Old comment: %s\n", l.comment);
	if (e->comment != NULL)
		comment = e->comment;
	else {
		printf("New comment: ");
		fflush(stdout);
		if (fgets(buf, sizeof(buf), stdin) == NULL)
			exit(1);
		buf[strcspn(buf, "\n")] = '\0';
		comment = buf;
	}
	if (strchr(comment, '\n') != NULL || strchr(comment, '\r') != NULL)
		fatal("A comment is one line");
	if (strcmp(comment, l.comment) == 0) {
		if (!e->quiet)
			printf("No change to comment\n");
		loaded_clear(&l);
		return 0;
	}
	save_private(e, &l, comment, l.passphrase);
	if ((r = key_to_public_line(l.key, comment, &line)) != 0)
		fatal("%s", ska_err(r));
	if (asprintf(&pubpath, "%s.pub", e->path) == -1 ||
	    (line = realloc(line, strlen(line) + 2)) == NULL)
		fatal("Out of memory");
	strcat(line, "\n");
	rewrite(pubpath, (const uint8_t *)line, strlen(line), 0644);
	if (!e->quiet) {
		if (*comment != '\0')
			printf("Comment '%s' applied\n", comment);
		else
			printf("Comment removed\n");
	}
	free(line);
	free(pubpath);
	loaded_clear(&l);
	return 0;
}
