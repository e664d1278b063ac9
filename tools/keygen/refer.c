/*
 * The ssh-keygen modes agent-keygen does not do: one line that names the
 * ssh-keygen command to run instead (the same arguments), not a usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keygen.h"

static const struct {
	int opt;
	const char *what;
} modes[] = {
	{ 'A', "host keys" },
	{ 'D', "PKCS#11 keys" },
	{ 'e', "key export" },
	{ 'F', "known_hosts searches" },
	{ 'i', "key import" },
	{ 'L', "certificate listings" },
	{ 'm', "other key formats" },
	{ 'R', "known_hosts removals" },
	{ 's', "certificates" },
	{ 'Y', "signatures" },
};

void
keygen_put_word(FILE *f, const char *s)
{
	const char *safe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_@%+=:,./-";

	if (*s != '\0' && strspn(s, safe) == strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void
refer(int opt, int argc, char **argv)
{
	const char *what = "that";
	size_t i;
	int a, secret = 0;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (modes[i].opt == opt)
			what = modes[i].what;
	}
	fflush(stdout);
	fprintf(stderr, "agent-keygen leaves %s (-%c) to ssh-keygen: run "
	    "ssh-keygen", what, opt);
	for (a = 1; a < argc; a++) {
		fputc(' ', stderr);
		/* a passphrase is not repeated */
		if (secret)
			fputs("PASSPHRASE", stderr);
		else if ((argv[a][0] == '-' && (argv[a][1] == 'P' ||
		    argv[a][1] == 'N') && argv[a][2] != '\0')) {
			fprintf(stderr, "-%c", argv[a][1]);
			fputs("PASSPHRASE", stderr);
		} else
			keygen_put_word(stderr, argv[a]);
		secret = strcmp(argv[a], "-P") == 0 || strcmp(argv[a], "-N") == 0;
	}
	fputc('\n', stderr);
	exit(1);
}

void
keygen_refer_check(int argc, char **argv, const char *optstring)
{
	const char *p, *o;
	int a;

	for (a = 1; a < argc; a++) {
		p = argv[a];
		if (strcmp(p, "--") == 0)
			return;
		if (p[0] != '-' || p[1] == '-' || p[1] == '\0')
			continue;
		for (p++; *p != '\0'; p++) {
			if (strchr(KEYGEN_REFER_OPTS, *p) != NULL && *p != ':')
				refer(*p, argc, argv);
			if ((o = strchr(optstring, *p)) == NULL || *p == ':' ||
			    o[1] != ':')
				continue;
			/* the rest, or the next word, is the argument */
			if (p[1] == '\0')
				a++;
			break;
		}
	}
}
