/*
 * agent-keygen: ssh-keygen's key generation and -y, writing OpenSSH's own
 * file formats, and --add to hand the new key to the running agent.
 * One function pair per key kind (prepare: check the options before any
 * prompt; generate: make the key), so security keys slot in beside the
 * plain kinds.
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
#include "prompt.h"
#include "randomart.h"
#include "secmem.h"

#define MAX_OPTS	32

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
	const char *token;
	int add;
	int quiet;
};

struct kind {
	const char *name;
	enum key_type type;
	const char *file;	/* under ~/.ssh */
	void (*prepare)(struct keygen *);	/* exits on bad options */
	int (*generate)(const struct keygen *, struct key **);
};

static void
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
	if (kg->token != NULL)
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
plain_generate(const struct keygen *kg, struct key **keyp)
{
	return key_generate(kg->kind->type, kg->bits, keyp);
}

/*
 * Security keys: enrolment through the token layer (another piece of
 * work).  prepare will check -O (application=, user=, resident,
 * verify-required, no-touch-required, challenge=, write-attestation=,
 * device=) and --token, and find the token; generate will enrol.
 */
static void
sk_prepare(struct keygen *kg)
{
	fatal("%s: security keys are not supported yet in this build",
	    kg->type_name);
}

static int
sk_generate(const struct keygen *kg, struct key **keyp)
{
	*keyp = NULL;
	return SKA_ERR_FEATURE_UNSUPPORTED;
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

static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && *h != '\0')
		return h;
	if ((pw = getpwuid(getuid())) == NULL)
		fatal("No user exists for uid %lu", (unsigned long)getuid());
	return pw->pw_dir;
}

/* ssh-keygen's ask_filename(): a line from stdin, empty for the default. */
static void
ask_filename(struct keygen *kg, const char *prompt)
{
	char buf[PATH_MAX];

	snprintf(kg->file, sizeof(kg->file), "%s/.ssh/%s", home_dir(),
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
	snprintf(dir, sizeof(dir), "%s/.ssh", home_dir());
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
 * Asks before replacing the key or its .pub, on a terminal only.  Returns
 * KEYFILE_OVERWRITE, or 0 when there is nothing to replace; exits when
 * the answer is no or nobody can be asked.
 */
static int
confirm_overwrite(const struct keygen *kg)
{
	char pub[PATH_MAX + 8], yesno[16];
	const char *existing = NULL;
	struct stat st;

	snprintf(pub, sizeof(pub), "%s.pub", kg->file);
	if (lstat(kg->file, &st) == 0)
		existing = kg->file;
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

static char *
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

static void
bad_permissions(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
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
	if (r == SKA_ERR_KEY_BAD_PERMISSIONS)
		bad_permissions(path);
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

static int
do_generate(struct keygen *kg)
{
	struct key *k = NULL;
	char *comment = NULL, *pass = NULL, *fp = NULL, *art = NULL;
	int r, flags, fd = -1;

	kg->kind->prepare(kg);
	if (!kg->quiet)
		printf("Generating public/private %s key pair.\n", kg->type_name);
	if (!kg->have_file)
		ask_filename(kg, "Enter file in which to save the key");
	create_ssh_dir(kg);
	flags = confirm_overwrite(kg);
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
	if (kg->add) {
		if ((r = agent_connect(NULL, &fd)) == 0) {
			r = agent_add_identity(fd, k, comment);
			close(fd);
		}
		if (r != 0)
			fatal("Could not add the key to the agent: %s",
			    ska_err(r));
		if (!kg->quiet)
			fprintf(stderr, "Identity added: %s (%s)\n", kg->file,
			    comment);
	}
	free(fp);
	free(art);
	free(comment);
	key_free(k);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: agent-keygen [-q] [-a rounds] [-b bits] [-C comment] "
	    "[-f output_keyfile]\n"
	    "                    [-N new_passphrase] [-O option] "
	    "[-t ed25519-sk | ecdsa-sk | ed25519 | ecdsa | rsa]\n"
	    "                    [--token spec] [--add]\n"
	    "       agent-keygen -y [-f input_keyfile] [-P passphrase]\n"
	    "       agent-keygen -K [--token spec]\n"
	    "       agent-keygen --help\n");
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
	struct keygen kg;
	int c, print_public = 0, resident = 0;

	if (secmem_init(0) != 0) {
		fprintf(stderr, "Cannot set up locked memory\n");
		return 1;
	}
	memset(&kg, 0, sizeof(kg));
	kg.kind = DEFAULT_KIND;
	kg.type_name = DEFAULT_KIND->name;
	while ((c = getopt_long(argc, argv, "a:b:C:f:KN:O:P:qt:y", longopts,
	    NULL)) != -1) {
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
		case 'C':
			kg.comment = optarg;
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
		case 'y':
			print_public = 1;
			break;
		case OPT_ADD:
			kg.add = 1;
			break;
		case OPT_TOKEN:
			kg.token = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "Too many arguments.\n");
		usage(stderr);
		return 1;
	}
	if (print_public + resident > 1 ||
	    ((print_public || resident) && kg.add)) {
		usage(stderr);
		return 1;
	}
	if (resident)
		fatal("Resident keys (-K) are not supported yet in this build");
	if (print_public)
		return do_print_public(&kg);
	return do_generate(&kg);
}
