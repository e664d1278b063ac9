/* An ssh command line's destination and its ssh_config (see sshdest.h). */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "match.h"
#include "sshdest.h"

/* ssh.c's getopt string (OpenSSH 9.2 to 10.x) */
#define SSH_OPTS "1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:P:Q:R:S:TVw:W:XYy"
#define CONFIG_LINE_MAX	4096
#define CONFIG_ARGS_MAX	64

void
sshdest_clear(struct sshdest *d)
{
	if (d == NULL)
		return;
	free(d->host);
	free(d->user);
	free(d->hostname);
	free(d->hostkeyalias);
	free(d->config);
	free(d->user_known);
	free(d->global_known);
	memset(d, 0, sizeof(*d));
}

/* a2port(): 1..65535, digits only; 0 otherwise. */
static int
parse_port(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return 0;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return 0;
	}
	return (int)v;
}

/* Sets *fieldp to a copy of v unless it is set (first value wins). */
static int
set_first(char **fieldp, const char *v, size_t n)
{
	if (*fieldp != NULL)
		return 0;
	if ((*fieldp = strndup(v, n)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	return 0;
}

/*
 * One keyword and its argument text: what ssh_config and -o share.
 * Keywords we do not need are ignored.
 */
static int
apply(struct sshdest *d, const char *kw, size_t kwlen, const char *arg,
    size_t alen)
{
	char buf[16];

#define KW(name) (kwlen == strlen(name) && strncasecmp(kw, name, kwlen) == 0)
	/* a single value: the first word, quotes dropped */
	if (KW("User") || KW("Port") || KW("HostName") || KW("HostKeyAlias")) {
		if (alen > 0 && arg[0] == '"') {
			const char *q = memchr(arg + 1, '"', alen - 1);

			if (q == NULL)
				return 0;
			arg++;
			alen = (size_t)(q - arg);
		} else {
			size_t i;

			for (i = 0; i < alen && !isspace((unsigned char)arg[i]);
			    i++)
				;
			alen = i;
		}
		if (alen == 0)
			return 0;
	}
	if (KW("User"))
		return set_first(&d->user, arg, alen);
	if (KW("HostName"))
		return set_first(&d->hostname, arg, alen);
	if (KW("HostKeyAlias"))
		return set_first(&d->hostkeyalias, arg, alen);
	if (KW("UserKnownHostsFile"))
		return set_first(&d->user_known, arg, alen);
	if (KW("GlobalKnownHostsFile"))
		return set_first(&d->global_known, arg, alen);
	if (KW("Port") && d->port == 0 && alen < sizeof(buf)) {
		memcpy(buf, arg, alen);
		buf[alen] = '\0';
		d->port = parse_port(buf);
	}
#undef KW
	return 0;
}

/* -o "Key=Value" or "Key Value" */
static int
apply_option(struct sshdest *d, const char *o)
{
	size_t k, a;

	while (isspace((unsigned char)*o))
		o++;
	for (k = 0; o[k] != '\0' && o[k] != '=' && !isspace((unsigned char)o[k]);
	    k++)
		;
	a = k;
	while (isspace((unsigned char)o[a]))
		a++;
	if (o[a] == '=')
		a++;
	while (isspace((unsigned char)o[a]))
		a++;
	return apply(d, o, k, o + a, strlen(o + a));
}

/* ssh://[user[;params]@]host[:port][/] (parse_ssh_uri); 1: not a URI. */
static int
parse_uri(struct sshdest *d, const char *s)
{
	const char *p = s + 6, *at, *h, *he, *end;
	int port = 0;

	if (strncasecmp(s, "ssh://", 6) != 0)
		return 1;
	end = p + strlen(p);
	if (end > p && end[-1] == '/')
		end--;
	if ((at = memchr(p, '@', (size_t)(end - p))) != NULL) {
		const char *semi = memchr(p, ';', (size_t)(at - p));

		if (at == p || semi == p)
			return SKA_ERR_INVALID_FORMAT;
		if (d->user == NULL && (d->user = strndup(p,
		    (size_t)((semi != NULL ? semi : at) - p))) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		p = at + 1;
	}
	if (*p == '[') {
		h = p + 1;
		if ((he = memchr(h, ']', (size_t)(end - h))) == NULL)
			return SKA_ERR_INVALID_FORMAT;
		p = he + 1;
	} else {
		h = p;
		for (he = h; he < end && *he != ':' && *he != '/'; he++)
			;
		p = he;
	}
	if (p < end && *p == ':') {
		char buf[8];
		size_t n = (size_t)(end - p - 1);

		if (n == 0 || n >= sizeof(buf))
			return SKA_ERR_INVALID_FORMAT;
		memcpy(buf, p + 1, n);
		buf[n] = '\0';
		if ((port = parse_port(buf)) == 0)
			return SKA_ERR_INVALID_FORMAT;
		p = end;
	}
	if (p != end || he == h)
		return SKA_ERR_INVALID_FORMAT;
	if ((d->host = strndup(h, (size_t)(he - h))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if (d->port == 0)
		d->port = port;
	return 0;
}

static int
parse_destination(struct sshdest *d, const char *s)
{
	const char *at;
	int r;

	if ((r = parse_uri(d, s)) != 1)
		return r;
	if ((at = strrchr(s, '@')) != NULL) {
		if (at == s)
			return SKA_ERR_INVALID_FORMAT;
		if (d->user == NULL &&
		    (d->user = strndup(s, (size_t)(at - s))) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		s = at + 1;
	}
	if (*s == '\0')
		return SKA_ERR_INVALID_FORMAT;
	if ((d->host = strdup(s)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	return 0;
}

/*
 * One option letter with its argument (NULL for flags); the letters that
 * say where the connection goes.
 */
static int
option(struct sshdest *d, char c, const char *arg)
{
	switch (c) {
	case 'l':
		return set_first(&d->user, arg, strlen(arg));
	case 'p':
		if (d->port == 0)
			d->port = parse_port(arg);
		return 0;
	case 'F':
		free(d->config);
		return (d->config = strdup(arg)) == NULL ?
		    SKA_ERR_ALLOC_FAIL : 0;
	case 'o':
		return apply_option(d, arg);
	default:
		return 0;
	}
}

/* BSD getopt from *ip: stops at the first non-option or after "--". */
static int
getopts(struct sshdest *d, char **av, int ac, int *ip, int *terminatedp)
{
	const char *a, *o;
	int i = *ip, r;
	size_t k;

	for (; i < ac; i++) {
		a = av[i];
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0) {
			*terminatedp = 1;
			i++;
			break;
		}
		for (k = 1; a[k] != '\0'; k++) {
			if (a[k] == ':' || (o = strchr(SSH_OPTS, a[k])) == NULL)
				return SKA_ERR_INVALID_FORMAT;
			if (o[1] != ':') {
				if ((r = option(d, a[k], NULL)) != 0)
					return r;
				continue;
			}
			if (a[k + 1] != '\0')
				r = option(d, a[k], a + k + 1);
			else if (i + 1 < ac)
				r = option(d, a[k], av[++i]);
			else
				return SKA_ERR_INVALID_FORMAT;
			if (r != 0)
				return r;
			break;
		}
	}
	*ip = i;
	return 0;
}

int
sshdest_parse_argv(const char *buf, size_t len, struct sshdest *d)
{
	char *copy = NULL, **av = NULL;
	size_t i, n = 0;
	int ac, at = 1, terminated = 0, r;

	memset(d, 0, sizeof(*d));
	if (buf == NULL || len == 0)
		return SKA_ERR_INVALID_FORMAT;
	if (len > SSHDEST_ARGV_MAX)
		return SKA_ERR_STRING_TOO_LARGE;
	if ((copy = malloc(len + 1)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';	/* a last argument without its NUL */
	for (i = 0; i < len; i++)
		n += copy[i] == '\0';
	if (copy[len - 1] != '\0')
		n++;
	if ((av = calloc(n + 1, sizeof(*av))) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	for (i = 0, ac = 0; i < len && (size_t)ac < n; ac++) {
		av[ac] = copy + i;
		i += strlen(copy + i) + 1;
	}
	if ((r = getopts(d, av, ac, &at, &terminated)) != 0)
		goto out;
	if (at >= ac) {
		r = SKA_ERR_INVALID_FORMAT;	/* no destination */
		goto out;
	}
	if ((r = parse_destination(d, av[at++])) != 0)
		goto out;
	/* options after the destination, up to the command */
	if (at < ac && !terminated &&
	    (r = getopts(d, av, ac, &at, &terminated)) != 0)
		goto out;
	r = 0;
 out:
	free(av);
	free(copy);
	if (r != 0)
		sshdest_clear(d);
	return r;
}

/* Splits a config line's arguments: blanks, double quotes. */
static size_t
split_args(char *s, char **args, size_t max)
{
	size_t n = 0;
	char *w;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || n == max)
			break;
		if (*s == '"') {
			args[n++] = ++s;
			if ((w = strchr(s, '"')) == NULL)
				break;
		} else {
			args[n++] = s;
			for (w = s; *w != '\0' && !isspace((unsigned char)*w);
			    w++)
				;
			if (*w == '\0')
				break;
		}
		*w = '\0';
		s = w + 1;
	}
	return n;
}

/*
 * ssh_config's Host (host in lower case): a negated match rules it out,
 * else any match; patterns compared without case.
 */
static int
host_matches(const char *host, char **pats, size_t n)
{
	size_t i, k;
	int got = 0, neg;
	char *p;

	for (i = 0; i < n; i++) {
		for (k = 0, p = pats[i]; p[k] != '\0'; k++)
			p[k] = (char)tolower((unsigned char)p[k]);
		neg = p[0] == '!';
		if (match_pattern(host, p + neg)) {
			if (neg)
				return 0;
			got = 1;
		}
	}
	return got;
}

static int read_config(struct sshdest *d, const char *path, const char *home,
    int user_config, int depth);

/* Include: each argument globbed, relative to ~/.ssh or /etc/ssh. */
static int
include(struct sshdest *d, char **args, size_t n, const char *home,
    int user_config, int depth)
{
	glob_t g;
	char *path = NULL;
	size_t i, j;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		if (strncmp(args[i], "~/", 2) == 0 && home != NULL)
			r = asprintf(&path, "%s/%s", home, args[i] + 2);
		else if (args[i][0] == '/')
			r = asprintf(&path, "%s", args[i]);
		else if (user_config && home != NULL)
			r = asprintf(&path, "%s/.ssh/%s", home, args[i]);
		else if (!user_config)
			r = asprintf(&path, "/etc/ssh/%s", args[i]);
		else
			continue;
		if (r < 0) {
			path = NULL;
			return SKA_ERR_ALLOC_FAIL;
		}
		r = 0;
		memset(&g, 0, sizeof(g));
		if (glob(path, 0, NULL, &g) == 0) {
			for (j = 0; j < g.gl_pathc && r == 0; j++)
				r = read_config(d, g.gl_pathv[j], home,
				    user_config, depth + 1);
		}
		globfree(&g);
		free(path);
		path = NULL;
	}
	return r;
}

static int
config_line(struct sshdest *d, char *line, int *activep, const char *home,
    int user_config, int depth)
{
	char *args[CONFIG_ARGS_MAX], *kw, *rest, *host = NULL;
	size_t n, kwlen, i;
	int r;

	while (isspace((unsigned char)*line))
		line++;
	if (*line == '\0' || *line == '#')
		return 0;
	kw = line;
	for (kwlen = 0; kw[kwlen] != '\0' && kw[kwlen] != '=' &&
	    !isspace((unsigned char)kw[kwlen]); kwlen++)
		;
	rest = kw + kwlen;
	while (isspace((unsigned char)*rest))
		rest++;
	if (*rest == '=')
		rest++;
	while (isspace((unsigned char)*rest))
		rest++;
	if (kwlen == 4 && strncasecmp(kw, "Host", 4) == 0) {
		n = split_args(rest, args, CONFIG_ARGS_MAX);
		if ((host = strdup(d->host)) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		for (i = 0; host[i] != '\0'; i++)
			host[i] = (char)tolower((unsigned char)host[i]);
		*activep = host_matches(host, args, n);
		free(host);
		return 0;
	}
	if (kwlen == 5 && strncasecmp(kw, "Match", 5) == 0) {
		*activep = 0;	/* not evaluated: see sshdest.h */
		return 0;
	}
	if (!*activep)
		return 0;
	if (kwlen == 7 && strncasecmp(kw, "Include", 7) == 0) {
		if (depth >= SSHDEST_INCLUDE_DEPTH)
			return 0;
		n = split_args(rest, args, CONFIG_ARGS_MAX);
		return include(d, args, n, home, user_config, depth);
	}
	/* trailing blanks are no part of a value */
	for (i = strlen(rest); i > 0 && isspace((unsigned char)rest[i - 1]); i--)
		;
	if ((r = apply(d, kw, kwlen, rest, i)) != 0)
		return r;
	return 0;
}

int
sshdest_read_config_buf(struct sshdest *d, const char *buf, size_t len,
    const char *home, int user_config, int depth)
{
	char line[CONFIG_LINE_MAX];
	const char *nl;
	size_t n;
	int active = 1, r;

	if (d == NULL || d->host == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	while (buf != NULL && len > 0) {
		nl = memchr(buf, '\n', len);
		n = nl != NULL ? (size_t)(nl - buf) : len;
		/* a line too long, or with a NUL, is skipped (ssh refuses it) */
		if (n < sizeof(line) && memchr(buf, '\0', n) == NULL) {
			memcpy(line, buf, n);
			line[n] = '\0';
			if ((r = config_line(d, line, &active, home,
			    user_config, depth)) != 0)
				return r;
		}
		n += nl != NULL;
		buf += n;
		len -= n;
	}
	return 0;
}

#define CONFIG_FILE_MAX	(1024 * 1024)

static int
read_config(struct sshdest *d, const char *path, const char *home,
    int user_config, int depth)
{
	FILE *f;
	char *buf = NULL;
	size_t n;
	int r;

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	if ((buf = malloc(CONFIG_FILE_MAX)) == NULL) {
		fclose(f);
		return SKA_ERR_ALLOC_FAIL;
	}
	n = fread(buf, 1, CONFIG_FILE_MAX, f);
	r = ferror(f) ? 0 : sshdest_read_config_buf(d, buf, n, home,
	    user_config, depth);
	free(buf);
	fclose(f);
	return r;
}

int
sshdest_read_config(struct sshdest *d, const char *path, const char *home,
    int user_config)
{
	if (d == NULL || d->host == NULL || path == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	return read_config(d, path, home, user_config, 0);
}

/* %h and %% in HostName */
static char *
expand_hostname(const char *t, const char *host)
{
	size_t n = 0, i;
	char *out, *o;

	for (i = 0; t[i] != '\0'; i++)
		n += t[i] == '%' && t[i + 1] == 'h' ? strlen(host) : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; t[i] != '\0'; i++) {
		if (t[i] == '%' && t[i + 1] == 'h') {
			memcpy(o, host, strlen(host));
			o += strlen(host);
			i++;
		} else if (t[i] == '%' && t[i + 1] == '%') {
			*o++ = '%';
			i++;
		} else
			*o++ = t[i];
	}
	*o = '\0';
	return out;
}

char *
sshdest_lookup_host(const struct sshdest *d, int *portp)
{
	char *s, *p;

	*portp = 0;
	if (d == NULL || d->host == NULL)
		return NULL;
	if (d->hostkeyalias != NULL)
		s = strdup(d->hostkeyalias);
	else {
		if ((s = strdup(d->host)) == NULL)
			return NULL;
		for (p = s; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (d->hostname != NULL) {
			p = expand_hostname(d->hostname, s);
			free(s);
			s = p;
		}
		*portp = d->port == 22 ? 0 : d->port;
	}
	for (p = s; p != NULL && *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* One known_hosts path with ~ and the tokens expanded, or NULL. */
static char *
expand_path(const char *t, const struct sshdest *d, const char *home,
    const char *local_user, uid_t uid)
{
	char buf[4096], num[32];
	const char *v;
	size_t o = 0, i, n;
	char *host;
	int port;

	if (t[0] == '~' && (t[1] == '/' || t[1] == '\0')) {
		if (home == NULL || (n = strlen(home)) >= sizeof(buf))
			return NULL;
		memcpy(buf, home, n);
		o = n;
		t++;
	}
	if ((host = sshdest_lookup_host(d, &port)) == NULL)
		return NULL;
	for (i = 0; t[i] != '\0'; i++) {
		v = NULL;
		if (t[i] == '%') {
			switch (t[++i]) {
			case '%': v = "%"; break;
			case 'd': v = home; break;
			case 'u': v = local_user; break;
			case 'h': v = host; break;
			case 'n': v = d->host; break;
			case 'r': v = d->user != NULL ? d->user : local_user; break;
			case 'i':
				snprintf(num, sizeof(num), "%lu", (unsigned long)uid);
				v = num;
				break;
			case 'p':
				snprintf(num, sizeof(num), "%d",
				    d->port != 0 ? d->port : 22);
				v = num;
				break;
			default:
				break;
			}
			if (v == NULL)
				goto fail;	/* a token we cannot expand */
		}
		n = v != NULL ? strlen(v) : 1;
		if (o + n >= sizeof(buf))
			goto fail;
		memcpy(buf + o, v != NULL ? v : t + i, n);
		o += n;
	}
	buf[o] = '\0';
	free(host);
	return strdup(buf);
 fail:
	free(host);
	return NULL;
}

static size_t
add_files(const char *list, const char *dflt, const struct sshdest *d,
    const char *home, const char *local_user, uid_t uid, char **paths,
    size_t at, size_t max)
{
	char *copy, *args[SSHDEST_FILES_MAX];
	size_t n, i;

	if ((copy = strdup(list != NULL ? list : dflt)) == NULL)
		return at;
	n = split_args(copy, args, SSHDEST_FILES_MAX);
	if (n == 1 && strcasecmp(args[0], "none") == 0)
		n = 0;
	for (i = 0; i < n && at < max; i++) {
		if ((paths[at] = expand_path(args[i], d, home, local_user,
		    uid)) != NULL)
			at++;
	}
	free(copy);
	return at;
}

size_t
sshdest_known_hosts(const struct sshdest *d, const char *home,
    const char *local_user, uid_t uid, char **paths, size_t max)
{
	size_t n;

	n = add_files(d->user_known, "~/.ssh/known_hosts ~/.ssh/known_hosts2",
	    d, home, local_user, uid, paths, 0, max);
	return add_files(d->global_known,
	    "/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2", d, home,
	    local_user, uid, paths, n, max);
}
