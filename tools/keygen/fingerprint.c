/*
 * -l: what ssh-keygen -l prints (its do_fingerprint, fingerprint_private):
 * "BITS FINGERPRINT COMMENT (TYPE)" for each key of a public key file,
 * authorized_keys or known_hosts file (options or host names skipped, and
 * shown as the comment when the line has none), or for a private key
 * file, whose comment comes from FILE.pub (its name when the line has no
 * comment), else from the file when it is not encrypted.  -v adds the
 * randomart.  One difference: a line with no comment shows "no comment",
 * where ssh-keygen shows leftovers of the line before.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "key.h"
#include "keyfile.h"
#include "randomart.h"
#include "keygen.h"

/* Text as OpenSSH's mprintf shows it: what cannot be printed as \ooo. */
static void
put_safe(const char *s)
{
	mbstate_t mbs;
	wchar_t wc;
	size_t n, i;

	memset(&mbs, 0, sizeof(mbs));
	while (*s != '\0') {
		if (*s == '\t' || (*s >= 0x20 && *s < 0x7f)) {
			putchar(*s++);
			continue;
		}
		n = MB_CUR_MAX > 1 ? mbrtowc(&wc, s, MB_CUR_MAX, &mbs) : 0;
		if (n > 0 && n <= MB_CUR_MAX && iswprint((wint_t)wc)) {
			for (i = 0; i < n; i++)
				putchar(s[i]);
			s += n;
			continue;
		}
		memset(&mbs, 0, sizeof(mbs));
		printf("\\%03o", (unsigned int)(unsigned char)*s++);
	}
}

static void
print_one(const struct key *k, const char *comment, enum key_fp_hash h,
    int verbose)
{
	char *fp = NULL, *art = NULL;

	if ((fp = key_fingerprint(k, h)) == NULL ||
	    (verbose && (art = key_randomart_hash(k, h)) == NULL))
		fatal("Out of memory");
	printf("%u %s ", key_bits(k), fp);
	put_safe(comment != NULL ? comment : "no comment");
	printf(" (%s)\n", key_type_short(k));
	if (verbose)
		printf("%s\n", art);
	free(fp);
	free(art);
}

/*
 * A key ("type base64") at the start of *cpp, after blanks: on success
 * *cpp is moved past it.  NULL when there is none.
 */
static struct key *
read_key(char **cpp)
{
	char *cp = *cpp + strspn(*cpp, " \t"), *line = NULL, *end;
	struct key *k = NULL;
	size_t tlen, blen;

	tlen = strcspn(cp, " \t");
	if (tlen == 0 || cp[tlen] == '\0')
		return NULL;
	end = cp + tlen + strspn(cp + tlen, " \t");
	blen = strcspn(end, " \t");
	if (blen == 0)
		return NULL;
	if (asprintf(&line, "%.*s %.*s", (int)tlen, cp, (int)blen, end) == -1)
		fatal("Out of memory");
	if (key_from_public_line(line, &k, NULL) != 0)
		k = NULL;
	free(line);
	if (k != NULL)
		*cpp = end + blen;
	return k;
}

/* ssh's loading of FILE.pub: the first key line, and its comment. */
static struct key *
load_pub(const char *path, char **commentp)
{
	struct key *k = NULL;
	char *line = NULL, *cp;
	size_t size = 0;
	FILE *f;

	*commentp = NULL;
	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	while (k == NULL && getline(&line, &size, f) != -1) {
		if (*line == '#' || *line == '\n' || *line == '\0')
			continue;
		if (strncmp(line, "-----BEGIN", 10) == 0)
			break;
		cp = line;
		if ((k = read_key(&cp)) == NULL)
			continue;
		cp += strspn(cp, " \t");
		cp[strcspn(cp, "\r\n")] = '\0';
		if ((*commentp = strdup(*cp != '\0' ? cp : path)) == NULL)
			fatal("Out of memory");
	}
	free(line);
	fclose(f);
	return k;
}

static int
fingerprint_private(const char *path, enum key_fp_hash h, int verbose)
{
	struct key *pub = NULL, *priv = NULL;
	char *pubpath = NULL, *comment = NULL;
	struct stat st;
	int r;

	if (stat(path, &st) == -1)
		fatal("%s: %s", path, strerror(errno));
	if (asprintf(&pubpath, "%s.pub", path) == -1)
		fatal("Out of memory");
	if ((pub = load_pub(pubpath, &comment)) == NULL &&
	    (r = keyfile_load_public(path, &pub, NULL)) != 0)
		pub = NULL;
	if (pub == NULL || comment == NULL || *comment == '\0') {
		free(comment);
		comment = NULL;
		if ((r = keyfile_load_private(path, NULL, &priv, &comment,
		    NULL)) != 0) {
			warn_permissions(path, r);
			priv = NULL;
		}
	}
	if (pub == NULL && priv == NULL)
		fatal("%s is not a key file.", path);
	print_one(pub != NULL ? pub : priv, comment, h, verbose);
	key_free(pub);
	key_free(priv);
	free(comment);
	free(pubpath);
	return 0;
}

int
keygen_fingerprint(const char *path, enum key_fp_hash h, int verbose)
{
	const char *shown = path;
	char *line = NULL, *cp, *comment, *ep;
	size_t size = 0;
	unsigned long lnum = 0;
	struct key *k;
	int in_quotes, invalid = 1;
	long n;
	FILE *f;

	setlocale(LC_CTYPE, "");
	if (strcmp(path, "-") == 0) {
		f = stdin;
		shown = "(stdin)";
	} else if ((f = fopen(path, "re")) == NULL)
		fatal("agent-keygen: %s: %s", path, strerror(errno));
	while (getline(&line, &size, f) != -1) {
		lnum++;
		line[strcspn(line, "\n")] = '\0';
		cp = line + strspn(line, " \t");
		if (*cp == '#' || *cp == '\0')
			continue;
		if (lnum == 1 && f != stdin && strstr(cp, "PRIVATE KEY") != NULL) {
			free(line);
			fclose(f);
			return fingerprint_private(path, h, verbose);
		}
		comment = NULL;
		if ((k = read_key(&cp)) == NULL) {
			/* options, or host names, first (not a bare number) */
			n = strtol(cp, &ep, 10);
			if (n == 0 || (*ep != ' ' && *ep != '\t')) {
				comment = cp;
				for (in_quotes = 0; *cp != '\0' && (in_quotes ||
				    (*cp != ' ' && *cp != '\t')); cp++) {
					if (*cp == '\\' && cp[1] == '"')
						cp++;
					else if (*cp == '"')
						in_quotes = !in_quotes;
				}
				if (*cp == '\0')
					continue;
				*cp++ = '\0';
			}
			if ((k = read_key(&cp)) == NULL)
				continue;
		}
		cp += strspn(cp, " \t");
		if (*cp != '\0' && *cp != '#')
			comment = cp;
		print_one(k, comment, h, verbose);
		key_free(k);
		invalid = 0;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	if (invalid)
		fatal("%s is not a public key file.", shown);
	return 0;
}
