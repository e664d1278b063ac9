/*
 * agent-copy-id: installs public keys in a remote authorized_keys file over
 * one ssh login.  The remote file is read, we decide here which keys are
 * missing (by type and blob, with the options judged as sshd judges them,
 * never by trying to log in with the keys), and only those are written.
 * The parts are in tools/copy-id/ (see copy-id.h).
 */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "copy-id/copy-id.h"

#define EXIT_USAGE	2

#define SYNOPSIS \
"usage: " PROG " [-fhnsx] [-i [identity_file]]... [-p port] [-o ssh_option]...\n" \
"                     [-F ssh_config] [-t target_path] [--] [user@]host\n"

static void
usage(FILE *f)
{
	fprintf(f, SYNOPSIS
"\n"
"Installs public keys in the remote user's authorized_keys, over one ssh\n"
"login.  Keys: every key the agent on SSH_AUTH_SOCK holds; without one, the\n"
"newest ~/.ssh/id*.pub.  A key already there (same type and key, on a line\n"
"sshd accepts: known options, not expired) is not added again.\n"
"\n"
"  -i [file]  the key(s) in file (\".pub\" added when missing); no file: the\n"
"             newest ~/.ssh/id*.pub; may be given more than once\n"
"  -n         dry run: show what would be added, change nothing\n"
"  -f         force: add keys without looking for them, and write through a\n"
"             symlinked authorized_keys\n"
"  -s         use the sftp subsystem instead of a remote shell (for\n"
"             accounts that only allow sftp)\n"
"  -x         trace: show the ssh command, the conversation and the remote\n"
"             side's commands on stderr\n"
"  -p port, -o ssh_option, -F ssh_config\n"
"             passed to ssh\n"
"  -t path    remote file, relative to the remote home or absolute\n"
"             (default .ssh/authorized_keys)\n"
"  -h, --help this text\n"
"\n"
"Exit status: 0 when every key is in the remote file afterwards (with -n:\n"
"when they could be added), 1 on failure, 2 on a usage error.\n");
}

/*
 * One line on stderr in one write: ssh, our child, writes the remote
 * side's stderr (its set -x trace) to the same file at the same time, and
 * stderr is unbuffered (three fprintf calls were three writes).
 */
static void
say_line(const char *prefix, const char *fmt, va_list ap)
{
	char *msg = NULL, *line = NULL;
	int n;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if ((n = asprintf(&line, "%s%s\n", prefix,
	    msg != NULL ? msg : "(out of memory)")) > 0) {
		(void)fwrite(line, 1, (size_t)n, stderr);
		(void)fflush(stderr);
	}
	free(line);
	free(msg);
}

void
error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say_line(PROG ": ", fmt, ap);
	va_end(ap);
}

void
trace(const struct options *o, const char *fmt, ...)
{
	va_list ap;

	if (!o->trace)
		return;
	va_start(ap, fmt);
	say_line(PROG ": trace: ", fmt, ap);
	va_end(ap);
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
	if ((o->ssh_args = calloc((size_t)argc * 2, sizeof(char *))) == NULL ||
	    (o->id_files = calloc((size_t)argc, sizeof(char *))) == NULL)
		exit(1);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:fhi::np:o:F:st:x", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->force = 1;
			break;
		case 'n':
			o->dry_run = 1;
			break;
		case 's':
			o->sftp = 1;
			break;
		case 'x':
			o->trace = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'i':
			o->seen_i = 1;
			/*
			 * As ssh-copy-id: "-i file host" names a file, "-i host"
			 * does not; "-ifile" always does.
			 */
			if (optarg == NULL && optind + 1 < argc &&
			    argv[optind][0] != '-')
				optarg = argv[optind++];
			if (optarg != NULL && *optarg == '\0')
				usage_error("empty -i file name");
			o->id_files[o->nid_files++] = optarg;
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
	if (*o->target == '\0' || strchr(o->target, '\n') != NULL)
		usage_error("bad -t target path");
}

char *
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

int
put_shell_word(struct sshbuf *b, const char *w)
{
	int r = 0;

	if (*w != '\0' && strspn(w, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-") == strlen(w))
		return sshbuf_putf(b, "%s", w);
	r |= sshbuf_put_u8(b, '\'');
	for (; *w != '\0' && r == 0; w++)
		r |= *w == '\'' ? sshbuf_putf(b, "'\\''") : sshbuf_put_u8(b, *w);
	r |= sshbuf_put_u8(b, '\'');
	return r;
}

void
say_readonly(const struct options *o, const char *detail)
{
	char mode[32] = "", owner[32] = "";

	if (sscanf(detail, "%31s %31s", mode, owner) != 2)
		mode[0] = owner[0] = '\0';
	error("%s is not writable by the remote user%s%s%s%s%s: they could not "
	    "append to it themselves, so it is not rewritten either; nothing "
	    "was changed", o->target, *mode != '\0' ? " (mode " : "", mode,
	    *mode != '\0' ? ", owner uid " : "", owner, *mode != '\0' ? ")" : "");
}

void
say_writable_dir(const char *dir)
{
	error("warning: the remote directory %s is writable by group or "
	    "others: sshd (StrictModes) ignores keys under it", dir);
}

/* ssh-copy-id's INFO lines: the keys, grouped by where they come from. */
static void
say_keys(const struct options *o, const struct keyset *ks)
{
	const struct key_entry *k;
	size_t i;

	for (i = 0; i < ks->n; i++) {
		k = &ks->k[i];
		if (i == 0 || strcmp(k->source, ks->k[i - 1].source) != 0)
			fprintf(stderr, PROG ": INFO: key(s) to install, from %s:\n",
			    k->source);
		fprintf(stderr, PROG ": INFO:   %s %s%s%s\n", k->type, k->fp,
		    k->comment != NULL ? " " : "",
		    k->comment != NULL ? k->comment : "");
	}
	fprintf(stderr, PROG ": INFO: reading %s on %s%s -- if you are "
	    "prompted now it is to log in there\n", o->target, o->host,
	    o->sftp ? " over sftp" : "");
}

static void
report(const struct options *o, const struct keyset *ks)
{
	const char *verb = o->dry_run ? "would add" : "added";
	const struct key_entry *k;
	size_t i, nadd = 0;

	for (i = 0; i < ks->n; i++) {
		k = &ks->k[i];
		if (k->present)
			printf("already installed: %s %s%s%s%s%s%s\n", k->type,
			    k->fp, k->comment != NULL ? " " : "",
			    k->comment != NULL ? k->comment : "",
			    k->restricted != NULL ? " (restricted: " : "",
			    k->restricted != NULL ? k->restricted : "",
			    k->restricted != NULL ? ")" : "");
		else
			printf("%s: %s %s%s%s%s%s%s\n", verb, k->type, k->fp,
			    k->comment != NULL ? " " : "",
			    k->comment != NULL ? k->comment : "",
			    k->options != NULL ? " (with " : "",
			    k->options != NULL ? k->options : "",
			    k->options != NULL ? ")" : "");
		nadd += !k->present;
		if (!k->present && k->refused_line != 0)
			error("note: line %zu of %s holds %s, but sshd ignores "
			    "that line (%s); it is left as it is", k->refused_line,
			    o->target, k->fp, k->refused_why);
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

/* ssh-copy-id's last words, with the command as the user would type it. */
static void
say_try_login(const struct options *o)
{
	struct sshbuf *b;
	size_t i;
	int r;

	if ((b = sshbuf_new()) == NULL)
		return;
	r = sshbuf_putf(b, "%s", o->sftp ? "sftp" : "ssh");
	for (i = 0; i < o->nssh_args && r == 0; i++) {
		r |= sshbuf_put_u8(b, ' ');
		/* sftp spells ssh's -p as -P */
		r |= o->sftp && strcmp(o->ssh_args[i], "-p") == 0 ?
		    sshbuf_putf(b, "-P") : put_shell_word(b, o->ssh_args[i]);
	}
	r |= sshbuf_put_u8(b, ' ');
	r |= put_shell_word(b, o->host);
	r |= sshbuf_put_u8(b, '\0');
	if (r == 0)
		printf("\nNow try logging into the machine, with: %s\n"
		    "and check to make sure that only the key(s) you wanted "
		    "were added.\n", (const char *)sshbuf_ptr(b));
	sshbuf_free(b);
}

int
main(int argc, char **argv)
{
	struct options o;
	struct keyset ks;
	size_t i, nadd = 0;
	int ret = 1, judged = 0;

	memset(&ks, 0, sizeof(ks));
	parse_args(argc, argv, &o);
	if (sodium_init() < 0) {
		error("libsodium failed to initialise");
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	if (select_keys(&o, &ks) != 0)
		goto out;
	say_keys(&o, &ks);
	fflush(stderr);
	ret = o.sftp ? install_sftp(&o, &ks, &judged) :
	    install_sh(&o, &ks, &judged);
	if (!judged || (ret != 0 && !o.dry_run))
		goto out;
	report(&o, &ks);
	for (i = 0; i < ks.n; i++)
		nadd += !ks.k[i].present;
	if (ret == 0 && !o.dry_run && nadd > 0)
		say_try_login(&o);
 out:
	fflush(stdout);
	keyset_clear(&ks);
	free(o.ssh_args);
	free(o.id_files);
	return ret;
}
