/*
 * agent-copy-id: installs public keys in a remote authorized_keys file over
 * one ssh login.  The remote side prints the file, we decide here which
 * keys are missing (by type and blob, never by trying to log in with them),
 * and it appends those to a copy that is renamed into place.
 *
 * The conversation, on the ssh session's stdin and stdout:
 *   us:   one line of POSIX sh (REMOTE_SCRIPT), read and eval'd by
 *         BOOTSTRAP, so that the login shell only ever parses BOOTSTRAP
 *   them: MARK " warn writable " dir        (zero or more)
 *         MARK " keys " state " " size "\n", then size bytes of the file
 *         (state: new, file, or link when -f follows a symlink)
 *      or MARK " error " code
 *   us:   "add " line, one per key, then "commit"; or "quit"
 *   them: MARK " done", or MARK " error " code
 * Anything before the first MARK line (login scripts that print) is
 * skipped.  Without a complete "commit" line the remote side changes
 * nothing.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent-client.h"
#include "authkeys.h"
#include "key.h"
#include "keyfile.h"
#include "misc.h"
#include "sshbuf.h"

#define PROG		"agent-copy-id"
#define EXIT_USAGE	2

#define MARK		"agent-copy-id-v1"
#define LINE_MAX_LEN	(64 * 1024)		/* protocol and junk lines */
#define REMOTE_FILE_MAX	(16 * 1024 * 1024)	/* remote authorized_keys */
#define PUB_FILE_MAX	(1024 * 1024)
#define PRIV_FILE_MAX	(64 * 1024)

/* Parsed by the login shell, whatever it is: no newline, no \ or !. */
#define BOOTSTRAP	"exec sh -c 'IFS= read -r s && eval \"$s\"'"

/* Preceded by t='target'; F=0|1;  One line. */
static const char REMOTE_SCRIPT[] =
	"LC_ALL=C; export LC_ALL; umask 077; "
	"say() { printf '%s %s\\n' " MARK " \"$*\"; }; "
	"die() { say error \"$@\"; exit 1; }; "
	"cd || die home; "
	"case $t in */*) d=${t%/*}; d=${d:-/};; *) d=.;; esac; "
	"for x in \"$d\" .; do "
	  "case $(ls -ld -- \"$x\" 2>/dev/null) in "
	    "?????w*|????????w*) say warn writable \"$x\";; esac; "
	  "case $t:$x in /*|*:.) break;; esac; "
	"done; "
	"s=new; "
	"if [ -h \"$t\" ]; then [ \"$F\" = 1 ] || die symlink; s=link; "
	"elif [ -e \"$t\" ]; then [ -f \"$t\" ] || die notfile; s=file; fi; "
	"c=; "
	"if [ -e \"$t\" ]; then "
	  "c=$(cat -- \"$t\" && echo x) || die unreadable; c=${c%x}; fi; "
	"say keys $s ${#c}; printf '%s' \"$c\"; "
	"nl=$(printf '\\nx'); nl=${nl%x}; a=; k=0; "
	"while IFS= read -r l; do case $l in "
	  "\"add \"*) a=$a${l#add }$nl;; "
	  "commit) k=1; break;; "
	  "quit) exit 0;; "
	  "*) die protocol;; esac; done; "
	"[ $k = 1 ] || exit 1; "
	"if [ $s = link ]; then "
	  "if [ -s \"$t\" ] && [ -n \"$(tail -c 1 -- \"$t\")\" ]; then "
	    "a=$nl$a; fi; "
	  "printf '%s' \"$a\" >> \"$t\" || die write; "
	"else "
	  "[ -d \"$d\" ] || mkdir -p -- \"$d\" || die mkdir; "
	  "p=; trap '[ -z \"$p\" ] || rm -f -- \"$p\"' EXIT; "
	  "trap 'exit 1' HUP INT TERM PIPE; "
	  "i=0; while :; do x=$d/.agent-copy-id.$$.$i; "
	    "if (set -C; : > \"$x\") 2>/dev/null; then p=$x; break; fi; "
	    "i=$((i+1)); [ $i -lt 20 ] || die tmpfile; done; "
	  "w=; if [ $s = file ]; then cp -p -- \"$t\" \"$p\" || die copy; "
	    "case $(ls -ld -- \"$p\") in ??w*) ;; *) "
	      "w=1; chmod u+w -- \"$p\" || die copy;; esac; fi; "
	  "if [ -s \"$p\" ] && [ -n \"$(tail -c 1 -- \"$p\")\" ]; then "
	    "a=$nl$a; fi; "
	  "printf '%s' \"$a\" >> \"$p\" || die write; "
	  "[ -z \"$w\" ] || chmod u-w -- \"$p\" || die copy; "
	  "mv -f -- \"$p\" \"$t\" || die rename; p=; "
	"fi; "
	"if command -v restorecon >/dev/null 2>&1; then "
	  "restorecon -F \"$d\" \"$t\" >/dev/null 2>&1; fi; "
	"say done";

struct options {
	int dry_run;
	int force;
	int seen_i;
	const char *id_file;	/* -i argument; NULL: the default file */
	const char *target;
	const char **ssh_args;	/* -p, -o and -F, in order */
	size_t nssh_args;
	const char *host;
};

struct key_entry {
	uint8_t *blob;
	size_t bloblen;
	const char *type;	/* static */
	char *comment;		/* printable, or NULL */
	char *options;		/* for authorized_keys, or NULL */
	char *line;
	char *fp;
	int present;
	int present_no_touch;	/* a line has no-touch-required */
};

struct keyset {
	struct key_entry *k;
	size_t n;
	char *source;		/* for messages */
};

struct session {
	pid_t pid;
	int to;
	int from;
	struct sshbuf *in;
	int eof;
};

#define SYNOPSIS \
"usage: " PROG " [-nfh] [-i [identity_file]] [-p port] [-o ssh_option]...\n" \
"                     [-F ssh_config] [-t target_path] [--] [user@]host\n"

static void
usage(FILE *f)
{
	fprintf(f, SYNOPSIS
"\n"
"Installs public keys in the remote user's authorized_keys, over one ssh\n"
"login.  Keys: every key the agent on SSH_AUTH_SOCK holds; without one, the\n"
"newest ~/.ssh/id*.pub.  A key already there (same type and key, whatever\n"
"its options or comment) is not added again.\n"
"\n"
"  -i [file]  only the key(s) in file (\".pub\" added when missing); no file:\n"
"             the newest ~/.ssh/id*.pub\n"
"  -n         dry run: show what would be added, change nothing\n"
"  -f         force: add keys without looking for them, and write through a\n"
"             symlinked authorized_keys\n"
"  -p port, -o ssh_option, -F ssh_config\n"
"             passed to ssh\n"
"  -t path    remote file, relative to the remote home or absolute\n"
"             (default .ssh/authorized_keys)\n"
"  -h, --help this text\n"
"\n"
"Exit status: 0 when every key is in the remote file afterwards (with -n:\n"
"already there), 1 on failure, 2 on a usage error.\n");
}

static void __attribute__((format(printf, 1, 2)))
error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

#define usage_error(...) do {						\
	error(__VA_ARGS__);						\
	fprintf(stderr, SYNOPSIS);					\
	exit(EXIT_USAGE);						\
} while (0)

static void
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->target = ".ssh/authorized_keys";
	if ((o->ssh_args = calloc((size_t)argc * 2, sizeof(char *))) == NULL)
		exit(1);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:fhi::np:o:F:t:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->force = 1;
			break;
		case 'n':
			o->dry_run = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'i':
			if (o->seen_i)
				usage_error("-i must not be given more than once");
			o->seen_i = 1;
			/*
			 * As ssh-copy-id: "-i file host" names a file, "-i host"
			 * does not; "-ifile" always does.
			 */
			if (optarg == NULL && optind + 1 < argc &&
			    argv[optind][0] != '-')
				optarg = argv[optind++];
			o->id_file = optarg;
			break;
		case 'p':
		case 'o':
		case 'F':
			o->ssh_args[o->nssh_args++] = ch == 'p' ? "-p" :
			    ch == 'o' ? "-o" : "-F";
			o->ssh_args[o->nssh_args++] = optarg;
			break;
		case 't':
			o->target = optarg;
			break;
		case ':':
			usage_error("option -%c needs an argument", optopt);
		default:
			if (optopt != 0)
				usage_error("unknown option -%c", optopt);
			usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind == argc)
		usage_error("no host given");
	if (optind + 1 != argc)
		usage_error("too many arguments: expected one [user@]host "
		    "after the options");
	o->host = argv[optind];
	if (*o->host == '\0' || *o->host == '-')
		usage_error("bad host \"%s\"", o->host);
	if (o->id_file != NULL && *o->id_file == '\0')
		usage_error("empty -i file name");
	if (*o->target == '\0' || strchr(o->target, '\n') != NULL)
		usage_error("bad -t target path");
}

/* A copy with control characters as '?' and no blanks at either end. */
static char *
printable(const char *s)
{
	char *t;
	size_t i, len;

	if (s == NULL)
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || (t = strndup(s, len)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			t[i] = '?';
	}
	return t;
}

static void
keyset_clear(struct keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++) {
		free(ks->k[i].blob);
		free(ks->k[i].comment);
		free(ks->k[i].options);
		free(ks->k[i].line);
		free(ks->k[i].fp);
	}
	free(ks->k);
	free(ks->source);
	memset(ks, 0, sizeof(*ks));
}

/*
 * Adds a key; certificates, keys key.c cannot read and duplicates are
 * skipped (with a word).  options: from a .pub file, or NULL.  sk_flags:
 * NULL when unknown.
 */
static int
keyset_add(struct keyset *ks, const uint8_t *blob, size_t bloblen,
    const char *comment, const char *options, const uint8_t *sk_flags)
{
	struct key *key = NULL;
	struct key_entry k, *nk;
	const char *skopt;
	size_t i;
	int r;

	memset(&k, 0, sizeof(k));
	if ((r = key_from_blob(blob, bloblen, &key)) != 0) {
		error("skipping a key of %s: %s", ks->source, ska_err(r));
		r = 0;
		goto out;
	}
	for (i = 0; i < ks->n; i++) {
		if (ks->k[i].bloblen == bloblen &&
		    memcmp(ks->k[i].blob, blob, bloblen) == 0)
			goto out;
	}
	k.type = key_type_name(key);
	if ((k.fp = key_fingerprint(key, KEY_FP_SHA256)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (key_is_cert(key)) {
		error("skipping certificate %s %s: a certificate is trusted "
		    "through its CA, not installed", k.type, k.fp);
		goto out;
	}
	skopt = sk_flags == NULL ? NULL : authkeys_sk_options(k.type, *sk_flags);
	if (options != NULL && skopt != NULL) {
		if (asprintf(&k.options, "%s,%s", options, skopt) == -1)
			k.options = NULL;
	} else if (options != NULL || skopt != NULL)
		k.options = strdup(options != NULL ? options : skopt);
	k.comment = printable(comment);
	if (((options != NULL || skopt != NULL) && k.options == NULL) ||
	    (k.blob = malloc(bloblen)) == NULL ||
	    (nk = reallocarray(ks->k, ks->n + 1, sizeof(*nk))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	ks->k = nk;
	memcpy(k.blob, blob, bloblen);
	k.bloblen = bloblen;
	if ((r = authkeys_format_line(k.options, blob, bloblen, k.comment,
	    &k.line)) != 0) {
		error("cannot write key %s of %s: %s", k.fp, ks->source,
		    ska_err(r));
		goto out;
	}
	ks->k[ks->n++] = k;
	memset(&k, 0, sizeof(k));
	r = 0;
 out:
	key_free(key);
	free(k.blob);
	free(k.comment);
	free(k.options);
	free(k.line);
	free(k.fp);
	return r;
}

/* The agent's keys, with sk options when the agent tells the flags. */
static int
keys_from_agent(struct keyset *ks)
{
	struct agent_keylist *ids = NULL, *info = NULL;
	const struct agent_key *ki;
	size_t i;
	int fd = -1, r;

	if ((r = agent_connect(NULL, &fd)) != 0 ||
	    (r = agent_list_identities(fd, &ids)) != 0)
		goto out;
	if (ids->n == 0) {
		r = SKA_ERR_KEY_NOT_FOUND;
		goto out;
	}
	/* Stock ssh-agent refuses the extension: flags unknown, no options. */
	if (agent_key_info(fd, &info) != 0)
		info = NULL;
	if ((ks->source = strdup("the agent")) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	for (i = 0; i < ids->n; i++) {
		ki = agent_keylist_find(info, ids->keys[i].blob,
		    ids->keys[i].bloblen);
		if ((r = keyset_add(ks, ids->keys[i].blob, ids->keys[i].bloblen,
		    ids->keys[i].comment, NULL,
		    ki != NULL ? &ki->sk_flags : NULL)) != 0)
			goto out;
	}
	r = ks->n == 0 ? SKA_ERR_KEY_NOT_FOUND : 0;
 out:
	if (fd != -1)
		close(fd);
	agent_keylist_free(ids);
	agent_keylist_free(info);
	return r;
}

static int
read_file(const char *path, size_t max, struct sshbuf **bp)
{
	struct stat st;
	int fd, r;

	*bp = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return SKA_ERR_SYSTEM;
	if (fstat(fd, &st) == -1)
		r = SKA_ERR_SYSTEM;
	else if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max)
		r = SKA_ERR_INVALID_FORMAT;
	else
		r = read_fd(fd, max, bp);
	close(fd);
	return r;
}

/*
 * The sk flags in an unencrypted private key file whose public key is blob
 * (PROTOCOL.u2f).  Anything else, encrypted files included:
 * SKA_ERR_KEY_NOT_FOUND.
 */
static int
sk_flags_from_private(const char *path, const uint8_t *blob, size_t bloblen,
    uint8_t *flagsp)
{
	struct key *k = NULL;
	const uint8_t *kb;
	size_t kblen;
	int r = SKA_ERR_KEY_NOT_FOUND;

	if (keyfile_load_private(path, NULL, &k, NULL, NULL) != 0)
		goto out;
	kb = key_blob(k, &kblen);
	if (!key_is_sk(k) || kblen != bloblen || memcmp(kb, blob, bloblen) != 0)
		goto out;
	*flagsp = key_sk_flags(k);
	r = 0;
 out:
	key_free(k);
	return r;
}

/*
 * The keys of a .pub file (every key line; options kept).  priv, when not
 * NULL, is the private key file next to it, read for sk flags.
 */
static int
keys_from_file(struct keyset *ks, const char *pub, const char *priv)
{
	struct authkeys_entry e;
	struct sshbuf *file = NULL;
	const char *p, *nl;
	size_t left, len, lineno = 0, before = ks->n;
	uint8_t flags;
	int known, r;

	memset(&e, 0, sizeof(e));
	if ((r = read_file(pub, PUB_FILE_MAX, &file)) != 0) {
		error("cannot read %s: %s", pub, r == SKA_ERR_INVALID_FORMAT ?
		    "not a regular file of a sane size" : strerror(errno));
		goto out;
	}
	if ((ks->source = strdup(pub)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	p = (const char *)sshbuf_ptr(file);
	left = sshbuf_len(file);
	while (left > 0) {
		lineno++;
		nl = memchr(p, '\n', left);
		len = nl == NULL ? left : (size_t)(nl - p) + 1;
		if ((r = authkeys_parse_line(p, len, &e)) != 0) {
			error("%s:%zu: not a public key: %s", pub, lineno,
			    ska_err(r));
			goto out;
		}
		p += len;
		left -= len;
		if (e.type == NULL)
			continue;
		known = priv != NULL && strncmp(e.type, "sk-", 3) == 0 &&
		    sk_flags_from_private(priv, e.blob, e.bloblen, &flags) == 0;
		if ((r = keyset_add(ks, e.blob, e.bloblen, e.comment, e.options,
		    known ? &flags : NULL)) != 0)
			goto out;
		authkeys_entry_clear(&e);
	}
	if (ks->n == before) {
		error("no key to install in %s", pub);
		r = SKA_ERR_KEY_NOT_FOUND;
		goto out;
	}
	r = 0;
 out:
	authkeys_entry_clear(&e);
	sshbuf_free(file);
	return r;
}

/* Does ls -t list a (modified ta) before b? */
static int
newer(const struct timespec *ta, const char *a, const struct timespec *tb,
    const char *b)
{
	if (ta->tv_sec != tb->tv_sec)
		return ta->tv_sec > tb->tv_sec;
	if (ta->tv_nsec != tb->tv_nsec)
		return ta->tv_nsec > tb->tv_nsec;
	return strcmp(a, b) < 0;
}

/* The newest ~/.ssh/id*.pub that is not a -cert.pub, as ssh-copy-id. */
static char *
default_pub_file(void)
{
	const char *home;
	char *dir = NULL, *best = NULL, *path = NULL;
	struct timespec best_t = { 0, 0 };
	struct dirent *de;
	struct stat st;
	size_t len;
	DIR *d = NULL;

	if ((home = home_dir()) == NULL ||
	    asprintf(&dir, "%s/.ssh", home) == -1 ||
	    (d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strncmp(de->d_name, "id", 2) != 0 || len < 6 ||
		    strcmp(de->d_name + len - 4, ".pub") != 0 ||
		    (len >= 9 && strcmp(de->d_name + len - 9, "-cert.pub") == 0))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) == -1) {
			path = NULL;
			goto out;
		}
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (best == NULL || newer(&st.st_mtim, path, &best_t, best))) {
			free(best);
			best = path;
			best_t = st.st_mtim;
		} else
			free(path);
		path = NULL;
	}
 out:
	if (d != NULL)
		closedir(d);
	free(dir);
	return best;
}

/* -i name: "x.pub" or "x" both mean the pair x.pub / x. */
static int
keys_from_id_file(struct keyset *ks, const char *name)
{
	char *pub = NULL, *priv = NULL;
	size_t len = strlen(name);
	int r;

	if (len > 4 && strcmp(name + len - 4, ".pub") == 0) {
		pub = strdup(name);
		priv = strndup(name, len - 4);
	} else {
		if (asprintf(&pub, "%s.pub", name) == -1)
			pub = NULL;
		priv = strdup(name);
	}
	if (pub == NULL || priv == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	r = keys_from_file(ks, pub, priv);
 out:
	free(pub);
	free(priv);
	return r;
}

static int
select_keys(const struct options *o, struct keyset *ks)
{
	char *def = NULL;
	int r = SKA_ERR_KEY_NOT_FOUND;

	if (o->seen_i && o->id_file != NULL)
		return keys_from_id_file(ks, o->id_file);
	if (!o->seen_i) {
		if ((r = keys_from_agent(ks)) == 0)
			return 0;
		keyset_clear(ks);
	}
	if ((def = default_pub_file()) == NULL) {
		if (o->seen_i)
			error("-i: no ~/.ssh/id*.pub found");
		else
			error("no keys to install: %s, and there is no "
			    "~/.ssh/id*.pub (use -i FILE)",
			    r == SKA_ERR_KEY_NOT_FOUND ? "the agent holds no keys" :
			    r == SKA_ERR_AGENT_NOT_PRESENT ?
			    "no agent (SSH_AUTH_SOCK)" : ska_err(r));
		return SKA_ERR_KEY_NOT_FOUND;
	}
	r = keys_from_id_file(ks, def);
	free(def);
	return r;
}

/* The ssh session */

static int
session_start(const struct options *o, struct session *s)
{
	const char **argv = NULL;
	union {
		const char **c;
		char *const *v;		/* execvp's type */
	} av;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, r;
	size_t i, n = 0;

	memset(s, 0, sizeof(*s));
	s->pid = -1;
	s->to = s->from = -1;
	if ((s->in = sshbuf_new()) == NULL ||
	    sshbuf_set_max_size(s->in, REMOTE_FILE_MAX + LINE_MAX_LEN) != 0 ||
	    (argv = calloc(o->nssh_args + 16, sizeof(*argv))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	/*
	 * No agent or X11 forwarding to a host we are only setting up; no
	 * tty, which would mangle the conversation; our command, whatever
	 * ssh_config says.  The user's ControlMaster, if any, is reused.
	 */
	argv[n++] = "ssh";
	argv[n++] = "-a";
	argv[n++] = "-x";
	argv[n++] = "-T";
	argv[n++] = "-o";
	argv[n++] = "RemoteCommand=none";
	for (i = 0; i < o->nssh_args; i++)
		argv[n++] = o->ssh_args[i];
	argv[n++] = "--";
	argv[n++] = o->host;
	argv[n++] = BOOTSTRAP;
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	if ((s->pid = fork()) == -1) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	if (s->pid == 0) {
		if (dup2(in[0], STDIN_FILENO) == -1 ||
		    dup2(out[1], STDOUT_FILENO) == -1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		av.c = argv;
		execvp("ssh", av.v);
		fprintf(stderr, PROG ": cannot run ssh: %s\n", strerror(errno));
		_exit(127);
	}
	s->to = in[1];
	s->from = out[0];
	in[1] = out[0] = -1;
	r = 0;
 out:
	if (r != 0) {
		sshbuf_free(s->in);
		s->in = NULL;
	}
	for (i = 0; i < 2; i++) {
		if (in[i] != -1)
			close(in[i]);
		if (out[i] != -1)
			close(out[i]);
	}
	free(argv);
	return r;
}

static int
session_send(struct session *s, const char *text, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(s->to, text, len)) == -1) {
			if (errno == EINTR)
				continue;
			return SKA_ERR_CONN_CLOSED;
		}
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
session_fill(struct session *s)
{
	uint8_t *p;
	ssize_t n;
	int r;

	if (s->eof)
		return SKA_ERR_CONN_CLOSED;
	if ((r = sshbuf_reserve(s->in, 4096, &p)) != 0)
		return r;
	do {
		n = read(s->from, p, 4096);
	} while (n == -1 && errno == EINTR);
	if ((r = sshbuf_consume_end(s->in, n > 0 ? 4096 - (size_t)n : 4096))
	    != 0)
		return r;
	if (n <= 0) {
		s->eof = 1;
		return SKA_ERR_CONN_CLOSED;
	}
	return 0;
}

/* The next line, without its LF; longer lines come in pieces. */
static int
session_line(struct session *s, char **linep)
{
	const uint8_t *p, *nl;
	size_t len;
	int r;

	*linep = NULL;
	for (;;) {
		p = sshbuf_ptr(s->in);
		len = sshbuf_len(s->in);
		if ((nl = memchr(p, '\n', len)) != NULL || len >= LINE_MAX_LEN)
			break;
		if ((r = session_fill(s)) != 0)
			return r;
	}
	if (nl != NULL)
		len = (size_t)(nl - p);
	else
		len = LINE_MAX_LEN;
	if ((*linep = strndup((const char *)p, len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	return sshbuf_consume(s->in, nl != NULL ? len + 1 : len);
}

/* The next protocol line (after MARK and a space), skipping others. */
static int
session_reply(struct session *s, char **replyp)
{
	char *line = NULL;
	int r;

	*replyp = NULL;
	for (;;) {
		if ((r = session_line(s, &line)) != 0)
			return r;
		if (strncmp(line, MARK " ", strlen(MARK) + 1) == 0)
			break;
		free(line);
	}
	memmove(line, line + strlen(MARK) + 1,
	    strlen(line + strlen(MARK) + 1) + 1);
	*replyp = line;
	return 0;
}

/* Closes our side, waits for ssh; its exit status, or -1. */
static int
session_end(struct session *s)
{
	int status;

	if (s->to != -1)
		close(s->to);
	s->to = -1;
	while (!s->eof) {
		sshbuf_reset(s->in);
		(void)session_fill(s);
	}
	if (s->from != -1)
		close(s->from);
	s->from = -1;
	sshbuf_free(s->in);
	s->in = NULL;
	if (s->pid == -1)
		return -1;
	while (waitpid(s->pid, &status, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	s->pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
session_kill(struct session *s)
{
	if (s->pid != -1)
		kill(s->pid, SIGTERM);
	(void)session_end(s);
}

/* t='target'; F=0|1; REMOTE_SCRIPT, as one line. */
static char *
remote_script(const struct options *o)
{
	struct sshbuf *b;
	const char *t = o->target, *c;
	char *s = NULL;
	int r = 0;

	if ((b = sshbuf_new()) == NULL)
		return NULL;
	r |= sshbuf_putf(b, "t='%s", *t == '-' ? "./" : "");
	for (c = t; *c != '\0' && r == 0; c++)
		r |= *c == '\'' ? sshbuf_putf(b, "'\\''") : sshbuf_put_u8(b, *c);
	r |= sshbuf_putf(b, "'; F=%d; %s\n", o->force, REMOTE_SCRIPT);
	if (r == 0)
		s = strndup((const char *)sshbuf_ptr(b), sshbuf_len(b));
	sshbuf_free(b);
	return s;
}

static const char *
remote_error(const char *code)
{
	static const struct {
		const char *code;
		const char *text;
	} errs[] = {
		{ "home", "cannot change to the remote home directory" },
		{ "symlink", "the remote file is a symbolic link; refusing to "
		    "follow it (-f appends through it)" },
		{ "notfile", "the remote file is not a regular file" },
		{ "unreadable", "cannot read the remote file" },
		{ "protocol", "the remote side did not understand us" },
		{ "mkdir", "cannot create the remote directory" },
		{ "tmpfile", "cannot create a temporary file next to the "
		    "remote file" },
		{ "copy", "cannot copy the remote file" },
		{ "write", "cannot write the remote file" },
		{ "rename", "cannot rename the new file into place" },
	};
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		if (strcmp(code, errs[i].code) == 0)
			return errs[i].text;
	}
	return "unknown error";
}

/* Marks the keys the remote file already holds. */
static void
mark_present(struct keyset *ks, const uint8_t *file, size_t len)
{
	struct authkeys_entry e;
	const uint8_t *nl;
	size_t i, n;

	while (len > 0) {
		nl = memchr(file, '\n', len);
		n = nl == NULL ? len : (size_t)(nl - file) + 1;
		if (authkeys_parse_line((const char *)file, n, &e) == 0) {
			for (i = 0; i < ks->n; i++) {
				if (!authkeys_entry_matches(&e, ks->k[i].blob,
				    ks->k[i].bloblen))
					continue;
				ks->k[i].present = 1;
				if (e.opts & AUTHKEYS_OPT_NO_TOUCH_REQUIRED)
					ks->k[i].present_no_touch = 1;
			}
		}
		authkeys_entry_clear(&e);
		file += n;
		len -= n;
	}
}

/*
 * Says what the remote side told us (its text made printable).  Returns 1
 * for an error our script reported (it exits then), 0 for anything else.
 */
static int
remote_says(const struct options *o, const char *reply, int committed)
{
	char *text;

	if (strncmp(reply, "error ", 6) == 0) {
		error("%s: %s; nothing was changed", o->target,
		    remote_error(reply + 6));
		return 1;
	}
	text = printable(reply);
	error("unexpected reply from %s: %s; %s", o->host,
	    text != NULL ? text : "", committed ?
	    "the remote file is either unchanged or complete" :
	    "nothing was changed");
	free(text);
	return 0;
}

/* The next reply that is not a warning; warnings are shown. */
static int
session_result(struct session *s, char **replyp)
{
	char *text;
	int r;

	for (;;) {
		if ((r = session_reply(s, replyp)) != 0)
			return r;
		if (strncmp(*replyp, "warn writable ", 14) != 0)
			return 0;
		text = printable(*replyp + 14);
		error("warning: the remote directory %s is writable by group "
		    "or others: sshd (StrictModes) ignores keys under it",
		    text != NULL ? text : "");
		free(text);
		free(*replyp);
		*replyp = NULL;
	}
}

/*
 * Reads the remote file and marks the keys it holds.  SKA_ERR_CONN_CLOSED
 * when the conversation ended early; other failures are reported here,
 * *exitingp set when the remote script said so and is exiting.
 */
static int
read_remote_file(struct session *s, const struct options *o,
    struct keyset *ks, int *exitingp)
{
	char *reply = NULL, *p, *end;
	unsigned long long size;
	int r;

	if ((r = session_result(s, &reply)) != 0)
		goto out;
	if (strncmp(reply, "keys ", 5) != 0 ||
	    (p = strchr(reply + 5, ' ')) == NULL) {
		*exitingp = remote_says(o, reply, 0);
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	errno = 0;
	size = strtoull(p + 1, &end, 10);
	if (errno != 0 || end == p + 1 || *end != '\0' ||
	    size > REMOTE_FILE_MAX) {
		error("%s: too large, or its size is garbled; nothing was "
		    "changed", o->target);
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	while (sshbuf_len(s->in) < size) {
		if ((r = session_fill(s)) != 0)
			goto out;
	}
	if (!o->force)
		mark_present(ks, sshbuf_ptr(s->in), (size_t)size);
	r = sshbuf_consume(s->in, (size_t)size);
 out:
	free(reply);
	return r;
}

static void
report(const struct options *o, const struct keyset *ks, const char *verb)
{
	const struct key_entry *k;
	size_t i, nadd = 0;

	for (i = 0; i < ks->n; i++) {
		k = &ks->k[i];
		if (k->present)
			printf("already installed: %s %s%s%s\n", k->type, k->fp,
			    k->comment != NULL ? " " : "",
			    k->comment != NULL ? k->comment : "");
		else
			printf("%s: %s %s%s%s%s%s%s\n", verb, k->type, k->fp,
			    k->comment != NULL ? " " : "",
			    k->comment != NULL ? k->comment : "",
			    k->options != NULL ? " (with " : "",
			    k->options != NULL ? k->options : "",
			    k->options != NULL ? ")" : "");
		nadd += !k->present;
		if (k->present && !k->present_no_touch && k->options != NULL &&
		    strstr(k->options, "no-touch-required") != NULL)
			error("warning: %s is installed without "
			    "no-touch-required, which it needs: sshd refuses "
			    "it until the option is added", k->fp);
	}
	printf("%zu key%s %s, %zu already installed.\n", nadd,
	    nadd == 1 ? "" : "s", o->dry_run ? "would be added" : "added",
	    ks->n - nadd);
}

/*
 * The whole conversation.  Returns 0 when every key is in the remote file
 * afterwards (with -n: already), 1 otherwise.
 */
static int
copy_id(const struct options *o, struct keyset *ks)
{
	struct session s;
	struct sshbuf *verdict = NULL;
	char *script = NULL, *reply = NULL;
	size_t i;
	int r, status, ret = 1, committed = 0, exiting = 0;

	if ((script = remote_script(o)) == NULL ||
	    (verdict = sshbuf_new()) == NULL) {
		error("%s", ska_err(SKA_ERR_ALLOC_FAIL));
		goto out;
	}
	if ((r = session_start(o, &s)) != 0) {
		error("cannot start ssh: %s", ska_err(r));
		goto out;
	}
	if ((r = session_send(&s, script, strlen(script))) != 0 ||
	    (r = read_remote_file(&s, o, ks, &exiting)) != 0)
		goto fail;
	for (i = 0; i < ks->n; i++) {
		if (!ks->k[i].present &&
		    (r = sshbuf_putf(verdict, "add %s\n", ks->k[i].line)) != 0)
			goto fail;
	}
	if (o->dry_run || sshbuf_len(verdict) == 0) {
		/* The file has been read: whether "quit" arrives is moot. */
		(void)session_send(&s, "quit\n", 5);
		(void)session_end(&s);
		report(o, ks, "would add");
		ret = sshbuf_len(verdict) == 0 ? 0 : 1;
		goto out;
	}
	if ((r = sshbuf_putf(verdict, "commit\n")) != 0 ||
	    (r = session_send(&s, (const char *)sshbuf_ptr(verdict),
	    sshbuf_len(verdict))) != 0)
		goto fail;
	committed = 1;
	if ((r = session_result(&s, &reply)) != 0)
		goto fail;
	if (strcmp(reply, "done") != 0) {
		exiting = remote_says(o, reply, 1);
		r = SKA_ERR_INVALID_FORMAT;
		goto fail;
	}
	(void)session_end(&s);
	report(o, ks, "added");
	ret = 0;
	goto out;
 fail:
	/* Our script cleans up as it exits: let it, so that we return after. */
	if (exiting) {
		(void)session_end(&s);
		goto out;
	}
	if (r != SKA_ERR_CONN_CLOSED) {
		session_kill(&s);
		goto out;
	}
	status = session_end(&s);
	if (committed)
		error("the connection ended before %s confirmed the change; "
		    "%s is either unchanged or complete (run again to see)",
		    o->host, o->target);
	else if (status == 255)
		error("ssh to %s failed (see above); nothing was changed",
		    o->host);
	else if (status == 127)
		error("could not run ssh; nothing was changed");
	else
		error("%s did not run the install script (ssh exit status %d: "
		    "a forced command, or a login shell that is not POSIX?); "
		    "nothing was changed", o->host, status);
 out:
	free(script);
	free(reply);
	sshbuf_free(verdict);
	return ret;
}

int
main(int argc, char **argv)
{
	struct options o;
	struct keyset ks;
	int ret = 1;

	memset(&ks, 0, sizeof(ks));
	parse_args(argc, argv, &o);
	if (sodium_init() < 0) {
		error("libsodium failed to initialise");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if (select_keys(&o, &ks) != 0)
		goto out;
	ret = copy_id(&o, &ks);
 out:
	fflush(stdout);
	keyset_clear(&ks);
	free(o.ssh_args);
	return ret;
}
