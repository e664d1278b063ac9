/*
 * agent-keygen: ssh-keygen's key generation, -y and -K, writing OpenSSH's
 * own file formats, and --add to hand the new key (or a security key's
 * resident keys) to the running agent.  One function pair per key kind
 * (prepare: check the options before any prompt; generate: make the key):
 * plain keys in memory, security keys through the token layer (sk.h).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent-client.h"
#include "key.h"
#include "keyfile.h"
#include "misc.h"
#include "prompt.h"
#include "randomart.h"
#include "secmem.h"
#include "sk.h"
#include "sshbuf.h"
#include "token.h"
#include "keygen/keygen.h"

#define MAX_OPTS	32
#define MAX_TOKENS	8
#define SK_USER_MAX	31		/* -O user=: 32 bytes, NUL-padded */
#define CHALLENGE_MAX	(64 * 1024)	/* -O challenge=FILE */
#define PIN_TRIES	2		/* as ssh-keygen: then give up */
#define ATTEST_MAGIC	"ssh-sk-attest-v01"

struct keygen {
	const struct kind *kind;
	const char *type_name;	/* as given with -t */
	unsigned int bits;
	unsigned int rounds;
	char file[PATH_MAX];
	int have_file;
	const char *comment;
	char *new_passphrase;	/* -N, locked memory */
	char *old_passphrase;	/* -P, locked memory */
	const char *opts[MAX_OPTS];
	size_t nopts;
	const char *tokens[MAX_TOKENS];	/* --token */
	size_t ntokens;
	int add;
	int quiet;
	/* security keys: -O options, the tokens, the attestation */
	struct token_ctx *tctx;
	const char *sk_application;	/* NULL: "ssh:" */
	const char *sk_user;
	const char *sk_device;
	const char *sk_attest_path;
	uint8_t sk_flags;
	struct sshbuf *sk_challenge;	/* NULL: random */
	struct sshbuf *sk_attest;	/* ssh-sk-attest-v01, after enrolling */
};

struct kind {
	const char *name;
	enum key_type type;
	const char *file;	/* under ~/.ssh */
	void (*prepare)(struct keygen *);	/* exits on bad options */
	int (*generate)(struct keygen *, struct key **);
};

void
fatal(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Plain keys: ssh-keygen's type_bits_valid(). */
static void
plain_prepare(struct keygen *kg)
{
	if (kg->nopts > 0)
		fatal("Option \"%s\" is only for security keys (-t ed25519-sk "
		    "or ecdsa-sk)", kg->opts[0]);
	if (kg->ntokens > 0)
		fatal("--token is only for security keys (-t ed25519-sk or "
		    "ecdsa-sk)");
	switch (kg->kind->type) {
	case KEY_RSA:
		if (kg->bits == 0)
			kg->bits = 3072;
		if (kg->bits < KEY_RSA_MIN_BITS)
			fatal("Invalid RSA key length: minimum is %d bits",
			    KEY_RSA_MIN_BITS);
		if (kg->bits > KEY_RSA_MAX_BITS)
			fatal("Invalid RSA key length: maximum is %d bits",
			    KEY_RSA_MAX_BITS);
		break;
	case KEY_ECDSA:
		if (kg->bits == 0)
			kg->bits = 256;
		if (kg->bits != 256 && kg->bits != 384 && kg->bits != 521)
			fatal("Invalid ECDSA key length: valid lengths are "
			    "256, 384 or 521 bits");
		break;
	default:
		break;	/* ed25519: -b ignored, as ssh-keygen */
	}
}

static int
plain_generate(struct keygen *kg, struct key **keyp)
{
	return key_generate(kg->kind->type, kg->bits, keyp);
}

/*
 * Security keys.  prepare reads -O as ssh-keygen does and sets up the
 * tokens: with --token only those, otherwise every hidraw security key
 * libfido2 finds.  generate enrolls on the token (-O device=, the only
 * one present, or the one the user touches), asking for the PIN when the
 * token wants one.
 */
static void
sk_tokens(struct keygen *kg)
{
	size_t i;
	int r;

	if ((r = token_ctx_new(&kg->tctx)) != 0)
		fatal("Cannot use security keys: %s", ska_err(r));
	for (i = 0; i < kg->ntokens; i++) {
		if ((r = token_ctx_add_device(kg->tctx, kg->tokens[i])) != 0)
			fatal("Invalid --token \"%s\": %s%s", kg->tokens[i],
			    r == SKA_ERR_INVALID_ARGUMENT ? "expected " : "",
			    r == SKA_ERR_INVALID_ARGUMENT ?
			    token_spec_forms() : ska_err(r));
	}
	if (kg->ntokens > 0)
		token_ctx_set_discovery(kg->tctx, 0);
}

static void
check_device(const char *spec)
{
	if (token_spec_check(spec) != 0)
		fatal("Invalid FIDO device \"%s\": expected %s", spec,
		    token_spec_forms());
}

static struct sshbuf *
load_challenge(const char *path)
{
	struct sshbuf *b = NULL;
	uint8_t *p;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "re")) == NULL)
		fatal("Unable to load FIDO enrollment challenge \"%s\": %s",
		    path, strerror(errno));
	if ((b = sshbuf_new()) == NULL ||
	    sshbuf_reserve(b, CHALLENGE_MAX + 1, &p) != 0)
		fatal("Out of memory");
	n = fread(p, 1, CHALLENGE_MAX + 1, f);
	if (ferror(f))
		fatal("Unable to load FIDO enrollment challenge \"%s\": %s",
		    path, strerror(errno));
	fclose(f);
	if (n == 0)
		fatal("FIDO enrollment challenge \"%s\" is empty", path);
	if (n > CHALLENGE_MAX)
		fatal("FIDO enrollment challenge \"%s\" is too long (more "
		    "than %d bytes)", path, CHALLENGE_MAX);
	if (sshbuf_consume_end(b, CHALLENGE_MAX + 1 - n) != 0)
		fatal("Out of memory");
	return b;
}

static void
sk_prepare(struct keygen *kg)
{
	const char *o;
	size_t i;

	kg->sk_flags = KEY_SK_USER_PRESENCE_REQD;
	for (i = 0; i < kg->nopts; i++) {
		o = kg->opts[i];
		if (strcasecmp(o, "no-touch-required") == 0)
			kg->sk_flags &= ~KEY_SK_USER_PRESENCE_REQD;
		else if (strcasecmp(o, "verify-required") == 0)
			kg->sk_flags |= KEY_SK_USER_VERIFICATION_REQD;
		else if (strcasecmp(o, "resident") == 0)
			kg->sk_flags |= KEY_SK_RESIDENT_KEY;
		else if (strncasecmp(o, "device=", 7) == 0) {
			check_device(o + 7);
			kg->sk_device = o + 7;
		} else if (strncasecmp(o, "user=", 5) == 0) {
			if (strlen(o + 5) > SK_USER_MAX)
				fatal("FIDO user id \"%s\" is too long: at "
				    "most %d bytes", o + 5, SK_USER_MAX);
			kg->sk_user = *(o + 5) != '\0' ? o + 5 : NULL;
		} else if (strncasecmp(o, "challenge=", 10) == 0) {
			sshbuf_free(kg->sk_challenge);
			kg->sk_challenge = load_challenge(o + 10);
		} else if (strncasecmp(o, "write-attestation=", 18) == 0) {
			if (o[18] == '\0')
				fatal("No file given for write-attestation=");
			kg->sk_attest_path = o + 18;
		} else if (strncasecmp(o, "application=", 12) == 0) {
			if (strncmp(o + 12, "ssh:", 4) != 0)
				fatal("FIDO application string must begin "
				    "with \"ssh:\"");
			kg->sk_application = o + 12;
		} else
			fatal("Option \"%s\" is unsupported for FIDO "
			    "authenticator enrollment", o);
	}
	sk_tokens(kg);
}

/* Shown when the token waits for the person (token.h notify events). */
struct touch_note {
	const char *what;	/* "key generation", "key download" */
	int quiet;
	int shown;		/* a touch was asked for already */
};

static void
touch_notify(void *arg, enum token_event ev, const char *token)
{
	struct touch_note *n = arg;

	if (n->quiet)
		return;
	if (ev == TOKEN_EVENT_SELECT)
		printf("Several security keys are present: touch the one "
		    "to use.\n");
	else if (ev == TOKEN_EVENT_TOUCH) {
		printf("You may need to touch your authenticator%s to "
		    "authorize %s.\n", n->shown ? " again" : "", n->what);
		n->shown = 1;
	}
	fflush(stdout);
}

static char *
read_pin(void)
{
	char *pin = NULL;
	int r;

	if ((r = prompt_read("Enter PIN for authenticator: ",
	    PROMPT_ALLOW_STDIN, &pin)) != 0)
		fatal("Failed to read the PIN: %s", ska_err(r));
	if (*pin == '\0') {
		secmem_free_str(pin);
		fatal("No PIN given");
	}
	return pin;
}

/*
 * After a token operation failed: returns 1 when a PIN is to be asked
 * (the first, or, after a wrong one, the next of PIN_TRIES), having freed
 * *pinp; otherwise exits saying what went wrong.
 */
static int
pin_retry(const char *what, int r, const struct token_req *req,
    char **pinp, int *triesp)
{
	char ebuf[128];

	token_strerror(r, req, ebuf, sizeof(ebuf));
	if (r == SKA_ERR_PIN_REQUIRED && *pinp == NULL)
		return 1;
	secmem_free_str(*pinp);
	*pinp = NULL;
	if (r != SKA_ERR_PIN_INVALID)
		fatal("%s: %s", what, ebuf);
	if (++*triesp >= PIN_TRIES)
		fatal("Too many incorrect PINs: %s", ebuf);
	if (req->pin_retries >= 0)
		fprintf(stderr, "PIN incorrect (%d %s left)\n",
		    req->pin_retries, req->pin_retries == 1 ? "try" : "tries");
	else
		fprintf(stderr, "PIN incorrect\n");
	return 1;
}

/* ssh-keygen's confirm_sk_overwrite(), on a terminal only. */
static void
confirm_sk_overwrite(const struct keygen *kg)
{
	const char *app = kg->sk_application != NULL ?
	    kg->sk_application : "ssh:";
	const char *user = kg->sk_user != NULL ? kg->sk_user : "null";
	char yesno[16];

	if (!isatty(STDIN_FILENO))
		fatal("A resident key scoped to '%s' with user id '%s' "
		    "already exists on the security key; not overwriting it "
		    "(no terminal to ask).", app, user);
	printf("A resident key scoped to '%s' with user id '%s' already "
	    "exists.\n", app, user);
	printf("Overwrite key in token (y/n)? ");
	fflush(stdout);
	if (fgets(yesno, sizeof(yesno), stdin) == NULL ||
	    (yesno[0] != 'y' && yesno[0] != 'Y'))
		fatal("Key enrollment failed: %s",
		    ska_err(SKA_ERR_CREDENTIAL_EXISTS));
}

/* OpenSSH's attestation blob (PROTOCOL.u2f), as ssh-sk.c writes it. */
static struct sshbuf *
attestation_blob(const struct token_cred *c)
{
	struct sshbuf *b;

	if ((b = sshbuf_new()) == NULL ||
	    sshbuf_put_cstring(b, ATTEST_MAGIC) != 0 ||
	    sshbuf_put_string(b, c->att_x5c, c->att_x5c_len) != 0 ||
	    sshbuf_put_string(b, c->att_sig, c->att_sig_len) != 0 ||
	    sshbuf_put_string(b, c->authdata, c->authdata_len) != 0 ||
	    sshbuf_put_u32(b, 0) != 0 ||		/* reserved flags */
	    sshbuf_put_string(b, NULL, 0) != 0)		/* reserved */
		fatal("Out of memory");
	return b;
}

/* A verify-required key on a token that cannot verify would never sign. */
static void
warn_no_uv(struct keygen *kg, const char *spec)
{
	struct token_info *ti = NULL;
	size_t n = 0, i;

	if (token_list(kg->tctx, &ti, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		if (strcmp(ti[i].spec, spec) == 0 && ti[i].present &&
		    !ti[i].busy && !ti[i].pin_set && ti[i].uv != 1)
			fprintf(stderr, "Warning: the security key has no PIN "
			    "set: this verify-required key will not sign until "
			    "one is set.\n");
	}
	token_info_free(ti, n);
}

static int
sk_generate(struct keygen *kg, struct key **keyp)
{
	struct token_req req;
	struct token_cred *cred = NULL;
	struct touch_note note = { "key generation", kg->quiet, 0 };
	char *pin = NULL;
	uint8_t flags = kg->sk_flags;
	int r, tries = 0;

	pin = keygen_sk_pin(kg->tctx, kg->sk_device,
	    (flags & KEY_SK_USER_VERIFICATION_REQD) != 0, 0);
	for (;;) {
		memset(&req, 0, sizeof(req));
		req.device = kg->sk_device;
		req.pin = pin;
		req.notify = touch_notify;
		req.notify_arg = &note;
		r = sk_enroll_key(kg->tctx, &req, kg->kind->type,
		    kg->sk_application, kg->sk_user, flags,
		    kg->sk_challenge != NULL ? sshbuf_ptr(kg->sk_challenge) :
		    NULL, kg->sk_challenge != NULL ?
		    sshbuf_len(kg->sk_challenge) : 0, keyp, &cred);
		if (r == 0)
			break;
		if (r == SKA_ERR_CREDENTIAL_EXISTS &&
		    (flags & KEY_SK_FORCE_OPERATION) == 0) {
			confirm_sk_overwrite(kg);
			flags |= KEY_SK_FORCE_OPERATION;
			continue;
		}
		if (r == SKA_ERR_PIN_NOT_SET && pin == NULL &&
		    (pin = keygen_sk_pin(kg->tctx, kg->sk_device, 0, 1)) != NULL)
			continue;
		if (pin_retry("Key enrollment failed", r, &req, &pin,
		    &tries))
			pin = read_pin();
	}
	secmem_free_str(pin);
	if ((flags & KEY_SK_USER_VERIFICATION_REQD) != 0)
		warn_no_uv(kg, req.token);
	if (kg->sk_attest_path != NULL)
		kg->sk_attest = attestation_blob(cred);
	token_creds_free(cred, 1);
	return 0;
}

static const struct kind kinds[] = {
	{ "ed25519-sk", KEY_ED25519_SK, "id_ed25519_sk", sk_prepare, sk_generate },
	{ "ecdsa-sk", KEY_ECDSA_SK, "id_ecdsa_sk", sk_prepare, sk_generate },
	{ "ed25519", KEY_ED25519, "id_ed25519", plain_prepare, plain_generate },
	{ "ecdsa", KEY_ECDSA, "id_ecdsa", plain_prepare, plain_generate },
	{ "rsa", KEY_RSA, "id_rsa", plain_prepare, plain_generate },
};
#define DEFAULT_KIND	(&kinds[0])

/* -t: short names, or the SSH names as ssh-keygen also takes them. */
static const struct kind *
kind_by_name(const char *name, unsigned int *bitsp)
{
	static const struct {
		const char *ssh_name, *kind;
		unsigned int bits;
	} aliases[] = {
		{ "ssh-ed25519", "ed25519", 0 },
		{ "ssh-rsa", "rsa", 0 },
		{ "ecdsa-sha2-nistp256", "ecdsa", 256 },
		{ "ecdsa-sha2-nistp384", "ecdsa", 384 },
		{ "ecdsa-sha2-nistp521", "ecdsa", 521 },
		{ "sk-ssh-ed25519@openssh.com", "ed25519-sk", 0 },
		{ "sk-ecdsa-sha2-nistp256@openssh.com", "ecdsa-sk", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(name, aliases[i].ssh_name) == 0) {
			if (aliases[i].bits != 0 && *bitsp == 0)
				*bitsp = aliases[i].bits;
			name = aliases[i].kind;
			break;
		}
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(name, kinds[i].name) == 0)
			return &kinds[i];
	}
	return NULL;
}

/* ~, or fatal (ssh-keygen's message) */
static const char *
home(void)
{
	const char *h;

	if ((h = home_dir()) == NULL)
		fatal("No user exists for uid %lu", (unsigned long)getuid());
	return h;
}

/* ssh-keygen's ask_filename(): a line from stdin, empty for the default. */
static void
ask_filename(struct keygen *kg, const char *prompt)
{
	char buf[PATH_MAX];

	snprintf(kg->file, sizeof(kg->file), "%s/.ssh/%s", home(),
	    kg->kind->file);
	printf("%s (%s): ", prompt, kg->file);
	fflush(stdout);
	if (fgets(buf, sizeof(buf), stdin) == NULL) {
		printf("\n");
		fatal("No file name given");
	}
	buf[strcspn(buf, "\n")] = '\0';
	if (*buf != '\0')
		snprintf(kg->file, sizeof(kg->file), "%s", buf);
	kg->have_file = 1;
}

/* ~/.ssh, mode 0700, when the key goes there and it does not exist. */
static void
create_ssh_dir(const struct keygen *kg)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(kg->file, '/');
	struct stat st;
	size_t len;

	if (slash == NULL)
		return;
	len = (size_t)(slash - kg->file);
	snprintf(dir, sizeof(dir), "%s/.ssh", home());
	if (strlen(dir) != len || strncmp(kg->file, dir, len) != 0)
		return;
	if (stat(dir, &st) == 0)
		return;
	if (errno != ENOENT) {
		fprintf(stderr, "Could not stat %s: %s\n", dir, strerror(errno));
		return;
	}
	if (mkdir(dir, 0700) == -1)
		fprintf(stderr, "Could not create directory '%s' (%s).\n", dir,
		    strerror(errno));
	else if (!kg->quiet)
		fprintf(stderr, "Created directory '%s'.\n", dir);
}

/*
 * Asks before replacing path or path.pub, on a terminal only.  Returns
 * KEYFILE_OVERWRITE, or 0 when there is nothing to replace; exits when
 * the answer is no or nobody can be asked.
 */
static int
confirm_overwrite(const char *path)
{
	char pub[PATH_MAX + 8], yesno[16];
	const char *existing = NULL;
	struct stat st;

	snprintf(pub, sizeof(pub), "%s.pub", path);
	if (lstat(path, &st) == 0)
		existing = path;
	else if (lstat(pub, &st) == 0)
		existing = pub;
	if (existing == NULL)
		return 0;
	if (!isatty(STDIN_FILENO))
		fatal("%s already exists; not overwriting it (no terminal to "
		    "ask). Remove it first, or use another file with -f.",
		    existing);
	printf("%s already exists.\n", existing);
	printf("Overwrite (y/n)? ");
	fflush(stdout);
	if (fgets(yesno, sizeof(yesno), stdin) == NULL ||
	    (yesno[0] != 'y' && yesno[0] != 'Y'))
		exit(1);
	return KEYFILE_OVERWRITE;
}

char *
read_secret(const char *prompt)
{
	char *s = NULL;
	int r;

	if ((r = prompt_read(prompt, PROMPT_ALLOW_STDIN, &s)) != 0)
		fatal("Failed to read the passphrase: %s", ska_err(r));
	return s;
}

/* ssh-keygen's private_key_passphrase(): twice, until they agree. */
static char *
new_passphrase(void)
{
	char *p1, *p2;

	for (;;) {
		p1 = read_secret("Enter passphrase (empty for no passphrase): ");
		p2 = read_secret("Enter same passphrase again: ");
		if (strcmp(p1, p2) == 0) {
			secmem_free_str(p2);
			return p1;
		}
		secmem_free_str(p1);
		secmem_free_str(p2);
		fputs("Passphrases do not match.  Try again.\n", stdout);
	}
}

static char *
default_comment(void)
{
	struct passwd *pw;
	char host[256], *c;

	if ((pw = getpwuid(getuid())) == NULL)
		fatal("No user exists for uid %lu", (unsigned long)getuid());
	if (gethostname(host, sizeof(host)) == -1)
		fatal("gethostname: %s", strerror(errno));
	host[sizeof(host) - 1] = '\0';
	if (asprintf(&c, "%s@%s", pw->pw_name, host) == -1)
		fatal("Out of memory");
	return c;
}

void
warn_permissions(const char *path, int r)
{
	struct stat st;

	if (r != SKA_ERR_KEY_BAD_PERMISSIONS || stat(path, &st) != 0)
		return;
	fprintf(stderr,
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @\n"
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "Permissions 0%3.3o for '%s' are too open.\n"
	    "It is required that your private key files are NOT accessible "
	    "by others.\n"
	    "This private key will be ignored.\n",
	    (unsigned int)st.st_mode & 0777, path);
}

static void
load_failed(const char *path, int r)
{
	warn_permissions(path, r);
	fatal("Load key \"%s\": %s", path, ska_err(r));
}

/* -y: the public line of a private key file, asking for its passphrase. */
static int
do_print_public(struct keygen *kg)
{
	struct key *k = NULL;
	char *comment = NULL, *line = NULL, *pass = NULL;
	struct stat st;
	int r;

	if (!kg->have_file)
		ask_filename(kg, "Enter file in which the key is");
	if (stat(kg->file, &st) == -1)
		fatal("%s: %s", kg->file, strerror(errno));
	r = keyfile_load_private(kg->file, NULL, &k, &comment, NULL);
	if (r == SKA_ERR_PASSPHRASE_REQUIRED) {
		pass = kg->old_passphrase != NULL ?
		    secmem_strdup(kg->old_passphrase) :
		    read_secret("Enter passphrase: ");
		if (pass == NULL)
			fatal("Out of memory");
		r = *pass == '\0' ? SKA_ERR_KEY_WRONG_PASSPHRASE :
		    keyfile_load_private(kg->file, pass, &k, &comment, NULL);
		secmem_free_str(pass);
	}
	if (r != 0)
		load_failed(kg->file, r);
	if ((r = key_to_public_line(k, comment, &line)) != 0)
		fatal("%s", ska_err(r));
	printf("%s\n", line);
	free(line);
	free(comment);
	key_free(k);
	return 0;
}

/* -p, -c, -l: tools/keygen/; the file asked for as ssh-keygen does. */
static int
do_file_mode(struct keygen *kg, int edit, int fingerprint,
    enum key_fp_hash h, int verbose)
{
	struct keygen_edit e;

	if (!kg->have_file)
		ask_filename(kg, "Enter file in which the key is");
	if (fingerprint)
		return keygen_fingerprint(kg->file, h, verbose);
	memset(&e, 0, sizeof(e));
	e.path = kg->file;
	e.old_passphrase = kg->old_passphrase;
	e.new_passphrase = kg->new_passphrase;
	e.comment = kg->comment;
	e.rounds = kg->rounds;
	e.opts = kg->opts;
	e.nopts = kg->nopts;
	e.quiet = kg->quiet;
	return edit == 'p' ? keygen_change_passphrase(&e) :
	    keygen_change_comment(&e);
}

/*
 * No security key at all: one line before anything is asked, with both
 * ways out (without -t, the user may not know a key file is an option).
 */
static void
sk_require_present(struct keygen *kg)
{
	struct token_info *ti = NULL;
	size_t n = 0, i;
	int present = 0;

	if (token_list(kg->tctx, &ti, &n) != 0)
		return;		/* enrolling will say what is wrong */
	for (i = 0; i < n; i++)
		present |= ti[i].present;
	token_info_free(ti, n);
	if (!present)
		fatal("No security key found: plug one in and try again, or "
		    "make a key kept in a file with -t ed25519.");
}

/* --add: before the touch, say that the key will only be saved. */
static void
agent_check_early(void)
{
	int fd = -1, r;

	if ((r = agent_connect(NULL, &fd)) != 0) {
		fprintf(stderr, "Warning: no agent to add the key to (%s); "
		    "the key will be saved all the same.\n", ska_err(r));
		return;
	}
	close(fd);
}

static void
add_failed(const char *file, int r)
{
	fflush(stdout);
	fprintf(stderr, "Could not add the key to the agent: %s.  The key is "
	    "saved: add it later with ssh-add ", ska_err(r));
	keygen_put_word(stderr, file);
	fputc('\n', stderr);
	exit(1);
}

/* As ssh-add: security keys go with sk-provider "internal". */
static int
add_to_agent(const struct key *k, const char *comment)
{
	int fd = -1, r;

	if ((r = agent_connect(NULL, &fd)) != 0)
		return r;
	r = agent_add_identity(fd, k, comment);
	close(fd);
	return r;
}

static int
do_generate(struct keygen *kg)
{
	struct key *k = NULL;
	char *comment = NULL, *pass = NULL, *fp = NULL, *art = NULL;
	int r, flags;

	kg->kind->prepare(kg);
	if (kg->kind->generate == sk_generate)
		sk_require_present(kg);
	if (kg->add)
		agent_check_early();
	if (!kg->quiet)
		printf("Generating public/private %s key pair.\n", kg->type_name);
	if (!kg->have_file)
		ask_filename(kg, "Enter file in which to save the key");
	create_ssh_dir(kg);
	flags = confirm_overwrite(kg->file);
	if ((r = kg->kind->generate(kg, &k)) != 0)
		fatal("Key generation failed: %s", ska_err(r));
	if (kg->new_passphrase != NULL) {
		pass = kg->new_passphrase;
		kg->new_passphrase = NULL;
	} else
		pass = new_passphrase();
	comment = kg->comment != NULL ? strdup(kg->comment) : default_comment();
	if (comment == NULL)
		fatal("Out of memory");
	r = keyfile_save(kg->file, k, comment, *pass != '\0' ? pass : NULL,
	    kg->rounds, flags);
	secmem_free_str(pass);
	if (r != 0)
		fatal("Saving key \"%s\" failed: %s", kg->file, ska_err(r));
	if (!kg->quiet) {
		if ((fp = key_fingerprint(k, KEY_FP_SHA256)) == NULL ||
		    (art = key_randomart(k)) == NULL)
			fatal("Out of memory");
		printf("Your identification has been saved in %s\n", kg->file);
		printf("Your public key has been saved in %s.pub\n", kg->file);
		printf("The key fingerprint is:\n");
		printf("%s %s\n", fp, comment);
		printf("The key's randomart image is:\n");
		printf("%s\n", art);
		fflush(stdout);
	}
	if (kg->sk_attest != NULL) {
		if ((r = keyfile_write_file(kg->sk_attest_path,
		    sshbuf_ptr(kg->sk_attest), sshbuf_len(kg->sk_attest), 0600,
		    KEYFILE_OVERWRITE)) != 0)
			fatal("Unable to write attestation data \"%s\": %s",
			    kg->sk_attest_path, ska_err(r));
		if (!kg->quiet)
			printf("Your FIDO attestation certificate has been "
			    "saved in %s\n", kg->sk_attest_path);
		fflush(stdout);
	}
	if (kg->add) {
		if ((r = add_to_agent(k, comment)) != 0)
			add_failed(kg->file, r);
		if (!kg->quiet)
			fprintf(stderr, "Identity added: %s (%s)\n", kg->file,
			    comment);
	}
	if (!kg->quiet && kg->kind->generate == sk_generate)
		keygen_next_steps(kg->file, kg->add);
	free(fp);
	free(art);
	free(comment);
	key_free(k);
	return 0;
}

/*
 * -K: the file name ssh-keygen -K gives a resident key (sk_suffix()):
 * id_<type>_rk, then _APP (the application less "ssh:" or "ssh://") if
 * not empty, then _USER when the user id is not all zeros: as text up to
 * a NUL, or in hex when that text has a byte that is not printable ASCII,
 * a '/', a '\\' or "..".
 */
static char *
resident_file_name(const struct sk_resident_key *rk, int *has_extp)
{
	const char *app = key_sk_application(rk->key);
	const uint8_t *u = rk->user_id;
	size_t ulen = rk->user_id_len, tlen, i;
	char *ext = NULL, *user = NULL, *name = NULL;
	int hex = 0;

	if (strncmp(app, "ssh://", 6) == 0)
		app += 6;
	else if (strncmp(app, "ssh:", 4) == 0)
		app += 4;
	while (ulen > 0 && u[ulen - 1] == 0)
		ulen--;
	if (ulen > 0) {
		tlen = strnlen((const char *)u, ulen);
		for (i = 0; i < tlen; i++)
			if (u[i] < 0x20 || u[i] > 0x7e || u[i] == '/' ||
			    u[i] == '\\' || (u[i] == '.' && i + 1 < tlen &&
			    u[i + 1] == '.'))
				hex = 1;
		if ((user = calloc(1, hex ? 2 * ulen + 1 : tlen + 1)) == NULL)
			fatal("Out of memory");
		if (hex)
			sodium_bin2hex(user, 2 * ulen + 1, u, ulen);
		else
			memcpy(user, u, tlen);
	}
	if (asprintf(&ext, "%s%s%s", app, *app != '\0' && user != NULL ?
	    "_" : "", user != NULL ? user : "") == -1 ||
	    asprintf(&name, "id_%s_rk%s%s", key_type(rk->key) == KEY_ECDSA_SK ?
	    "ecdsa_sk" : "ed25519_sk", *ext != '\0' ? "_" : "", ext) == -1)
		fatal("Out of memory");
	*has_extp = *ext != '\0';
	free(ext);
	free(user);
	return name;
}

static void
add_resident(const struct keygen *kg, const struct sk_resident_key *rks,
    size_t n)
{
	char *fp;
	size_t i;
	int fd = -1, r, failed = 0;

	if ((r = agent_connect(NULL, &fd)) != 0)
		fatal("Could not add the keys to the agent: %s", ska_err(r));
	for (i = 0; i < n; i++) {
		if ((fp = key_fingerprint(rks[i].key, KEY_FP_SHA256)) == NULL)
			fatal("Out of memory");
		/* the comment ssh-keygen -K writes in the file */
		r = agent_add_identity(fd, rks[i].key,
		    key_sk_application(rks[i].key));
		if (r != 0) {
			fprintf(stderr, "Unable to add key %s %s: %s\n",
			    key_type_short(rks[i].key), fp, ska_err(r));
			failed = 1;
		} else if (!kg->quiet)
			fprintf(stderr, "Resident identity added: %s %s\n",
			    key_type_short(rks[i].key), fp);
		free(fp);
	}
	close(fd);
	if (failed)
		exit(1);
}

/*
 * -K: the resident keys of a security key (PIN needed), written to the
 * current directory as ssh-keygen -K names them, or (--add) handed to
 * the agent.
 */
static int
do_download(struct keygen *kg)
{
	struct token_req req;
	struct touch_note note = { "key download", kg->quiet, 0 };
	struct sk_resident_key *rks = NULL;
	char *pin = NULL, *pass = NULL, *path;
	size_t n = 0, i;
	int r, tries = 0, flags, has_ext, fd;

	for (i = 0; i < kg->nopts; i++) {
		if (strncasecmp(kg->opts[i], "device=", 7) == 0) {
			check_device(kg->opts[i] + 7);
			kg->sk_device = kg->opts[i] + 7;
		} else
			fatal("Option \"%s\" is unsupported for FIDO "
			    "authenticator download", kg->opts[i]);
	}
	if (kg->add) {
		/* no agent: say so before asking for anything */
		if ((r = agent_connect(NULL, &fd)) != 0)
			fatal("Could not add the keys to the agent: %s",
			    ska_err(r));
		close(fd);
	}
	sk_tokens(kg);
	for (;;) {
		pin = read_pin();
		memset(&req, 0, sizeof(req));
		req.device = kg->sk_device;
		req.pin = pin;
		req.notify = touch_notify;
		req.notify_arg = &note;
		r = sk_load_resident_keys(kg->tctx, &req, &rks, &n);
		if (r == 0)
			break;
		(void)pin_retry("Unable to load resident keys", r, &req, &pin,
		    &tries);
	}
	secmem_free_str(pin);
	if (kg->add) {
		if (n == 0)
			fatal("No resident keys on the security key");
		add_resident(kg, rks, n);
	} else if (n == 0)
		fprintf(stderr, "No keys to download\n");
	for (i = 0; !kg->add && i < n; i++) {
		path = resident_file_name(&rks[i], &has_ext);
		flags = confirm_overwrite(path);
		if (pass == NULL) {
			if (kg->new_passphrase != NULL) {
				pass = kg->new_passphrase;
				kg->new_passphrase = NULL;
			} else
				pass = new_passphrase();
		}
		if ((r = keyfile_save(path, rks[i].key,
		    key_sk_application(rks[i].key), *pass != '\0' ? pass : NULL,
		    kg->rounds, flags)) != 0)
			fatal("Saving key \"%s\" failed: %s", path,
			    ska_err(r));
		if (!kg->quiet)
			printf("Saved %s key%s%s to %s\n",
			    key_type_short(rks[i].key), has_ext ? " " : "",
			    has_ext ? key_sk_application(rks[i].key) : "",
			    path);
		free(path);
	}
	secmem_free_str(pass);
	sk_resident_keys_free(rks, n);
	return 0;
}

static void
usage(FILE *f, int help)
{
	fprintf(f,
	    "usage: agent-keygen [-q] [-a rounds] [-b bits] [-C comment] "
	    "[-f output_keyfile]\n"
	    "                    [-N new_passphrase] [-O option]\n"
	    "                    [-t ed25519-sk | ecdsa-sk | ed25519 | ecdsa "
	    "| rsa]\n"
	    "                    [--token spec] [--add]\n"
	    "       agent-keygen -y [-f input_keyfile] [-P passphrase]\n"
	    "       agent-keygen -K [-q] [-a rounds] [-N new_passphrase] "
	    "[-O device=spec]\n"
	    "                    [--token spec] [--add]\n"
	    "       agent-keygen -p [-q] [-a rounds] [-f keyfile] "
	    "[-N new_passphrase]\n"
	    "                    [-O option] [-P old_passphrase]\n"
	    "       agent-keygen -c [-q] [-a rounds] [-C comment] "
	    "[-f keyfile] [-P passphrase]\n"
	    "       agent-keygen -l [-v] [-E sha256 | md5] "
	    "[-f input_keyfile]\n"
	    "       agent-keygen --help\n");
	if (!help)
		return;
	fprintf(f, "\n"
	    "Security keys (-t ed25519-sk, the default, or ecdsa-sk), "
	    "-O options:\n"
	    "  resident                 keep the key on the security key "
	    "(-K finds it)\n"
	    "  verify-required          every signature needs the PIN\n"
	    "  no-touch-required        signatures need no touch\n"
	    "  application=ssh:NAME     the FIDO application (default "
	    "\"ssh:\")\n"
	    "  user=NAME                the user id of a resident key "
	    "(at most 31 bytes)\n"
	    "  challenge=FILE           the enrollment challenge (default "
	    "random)\n"
	    "  write-attestation=FILE   save the attestation "
	    "(ssh-sk-attest-v01)\n"
	    "  device=SPEC              the security key to use\n"
	    "--token SPEC (repeatable): only these security keys, "
	    "\"unix:PATH\" or a\n"
	    "  /dev/hidraw path; without it every security key present.\n"
	    "-K: resident keys to ./id_<type>_rk[_APP[_USER]], or with "
	    "--add to the agent.\n"
	    "--add: also hand the new key to the agent on SSH_AUTH_SOCK.\n"
	    "-p -O: verify-required, no-verify-required, touch-required, "
	    "no-touch-required\n"
	    "  change a security key file's flags.\n"
	    "Left to ssh-keygen (agent-keygen names the command): -A, -D, "
	    "-e, -F, -i, -L,\n"
	    "  -m, -R, -s, -Y.\n");
}

/* Copies a secret argument into locked memory and blanks it in argv. */
static char *
take_secret(char *arg)
{
	char *s;

	if ((s = secmem_strdup(arg)) == NULL)
		fatal("Out of memory");
	sodium_memzero(arg, strlen(arg));
	return s;
}

static unsigned int
parse_uint(const char *s, const char *what, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v > max)
		fatal("Invalid %s: %s", what, s);
	return (unsigned int)v;
}

int
main(int argc, char **argv)
{
	enum { OPT_TOKEN = 256, OPT_ADD, OPT_HELP };
	static const struct option longopts[] = {
		{ "add", no_argument, NULL, OPT_ADD },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ NULL, 0, NULL, 0 },
	};
	static const char opts[] = "a:b:cC:E:f:KlN:O:pP:qt:vy"
	    KEYGEN_REFER_OPTS;
	struct keygen kg;
	int c, print_public = 0, resident = 0, edit = 0, fingerprint = 0, ret;
	int verbose = 0;
	enum key_fp_hash fp_hash = KEY_FP_SHA256;

	if (secmem_init(0) != 0) {
		fprintf(stderr, "Cannot set up locked memory\n");
		return 1;
	}
	memset(&kg, 0, sizeof(kg));
	kg.kind = DEFAULT_KIND;
	kg.type_name = DEFAULT_KIND->name;
	keygen_refer_check(argc, argv, opts);
	while ((c = getopt_long(argc, argv, opts, longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			kg.rounds = parse_uint(optarg, "number of KDF rounds",
			    UINT_MAX);
			if (kg.rounds == 0)
				fatal("Invalid number of KDF rounds: 0");
			break;
		case 'b':
			kg.bits = parse_uint(optarg, "number of bits", 65536);
			break;
		case 'c':
		case 'p':
			edit = c;
			break;
		case 'C':
			kg.comment = optarg;
			break;
		case 'E':
			if (strcasecmp(optarg, "sha256") == 0)
				fp_hash = KEY_FP_SHA256;
			else if (strcasecmp(optarg, "md5") == 0)
				fp_hash = KEY_FP_MD5;
			else
				fatal("Invalid hash algorithm \"%s\"", optarg);
			break;
		case 'f':
			if (snprintf(kg.file, sizeof(kg.file), "%s", optarg) >=
			    (int)sizeof(kg.file))
				fatal("File name too long: %s", optarg);
			kg.have_file = 1;
			break;
		case 'K':
			resident = 1;
			break;
		case 'l':
			fingerprint = 1;
			break;
		case 'N':
			secmem_free_str(kg.new_passphrase);
			kg.new_passphrase = take_secret(optarg);
			break;
		case 'O':
			if (kg.nopts >= MAX_OPTS)
				fatal("Too many -O options");
			kg.opts[kg.nopts++] = optarg;
			break;
		case 'P':
			secmem_free_str(kg.old_passphrase);
			kg.old_passphrase = take_secret(optarg);
			break;
		case 'q':
			kg.quiet = 1;
			break;
		case 't':
			if ((kg.kind = kind_by_name(optarg, &kg.bits)) == NULL)
				fatal("unknown key type %s", optarg);
			kg.type_name = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'y':
			print_public = 1;
			break;
		case OPT_ADD:
			kg.add = 1;
			break;
		case OPT_TOKEN:
			if (kg.ntokens >= MAX_TOKENS)
				fatal("Too many --token options (at most %d)",
				    MAX_TOKENS);
			kg.tokens[kg.ntokens++] = optarg;
			break;
		case OPT_HELP:
			usage(stdout, 1);
			return 0;
		default:
			usage(stderr, 0);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "Too many arguments.\n");
		usage(stderr, 0);
		return 1;
	}
	if (print_public + resident + (edit != 0) + fingerprint > 1 ||
	    ((print_public || edit || fingerprint) && kg.add)) {
		usage(stderr, 0);
		return 1;
	}
	if (edit || fingerprint)
		ret = do_file_mode(&kg, edit, fingerprint, fp_hash, verbose);
	else if (resident)
		ret = do_download(&kg);
	else if (print_public)
		ret = do_print_public(&kg);
	else
		ret = do_generate(&kg);
	token_ctx_free(kg.tctx);
	sshbuf_free(kg.sk_challenge);
	sshbuf_free(kg.sk_attest);
	secmem_free_str(kg.new_passphrase);
	secmem_free_str(kg.old_passphrase);
	return ret;
}
