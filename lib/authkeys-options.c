#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <netdb.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "authkeys-options.h"

#define HOST_MAX	1025		/* NI_MAXHOST */
#define TUNID_MAX	(0x7fffffff - 2)	/* SSH_TUNID_MAX */

/* The flags: plain name, and whether "no-" is allowed. */
static const struct flag_option {
	const char *name;
	int negatable;
	unsigned int bits;	/* the flags this option changes */
	int plain_sets;		/* the plain name sets them, "no-" clears */
} flag_options[] = {
	{ "restrict", 0, AUTHKEYS_OPT_RESTRICT | AUTHKEYS_OPT_NO_PORT_FORWARDING |
	    AUTHKEYS_OPT_NO_AGENT_FORWARDING | AUTHKEYS_OPT_NO_X11_FORWARDING |
	    AUTHKEYS_OPT_NO_PTY | AUTHKEYS_OPT_NO_USER_RC, 1 },
	{ "cert-authority", 0, AUTHKEYS_OPT_CERT_AUTHORITY, 1 },
	{ "port-forwarding", 1, AUTHKEYS_OPT_NO_PORT_FORWARDING, 0 },
	{ "agent-forwarding", 1, AUTHKEYS_OPT_NO_AGENT_FORWARDING, 0 },
	{ "x11-forwarding", 1, AUTHKEYS_OPT_NO_X11_FORWARDING, 0 },
	{ "touch-required", 1, AUTHKEYS_OPT_NO_TOUCH_REQUIRED, 0 },
	{ "verify-required", 1, AUTHKEYS_OPT_VERIFY_REQUIRED, 1 },
	{ "pty", 1, AUTHKEYS_OPT_NO_PTY, 0 },
	{ "user-rc", 1, AUTHKEYS_OPT_NO_USER_RC, 0 },
};

struct parse_state {
	struct authkeys_opts o;
	size_t npermitopen;
	size_t npermitlisten;
	const char *why;
};

static int
name_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(s, name, len) == 0;
}

static int
apply_flag(struct parse_state *st, const char *s, size_t len)
{
	const struct flag_option *f;
	size_t i;
	int negated = 0;

	if (len > 3 && strncasecmp(s, "no-", 3) == 0)
		negated = 1;
	for (i = 0; i < sizeof(flag_options) / sizeof(flag_options[0]); i++) {
		f = &flag_options[i];
		if (name_is(s, len, f->name))
			negated = 0;
		else if (!negated || !f->negatable ||
		    !name_is(s + 3, len - 3, f->name))
			continue;
		if (f->plain_sets != negated)
			st->o.flags |= f->bits;
		else
			st->o.flags &= ~f->bits;
		return 0;
	}
	st->why = "unknown key option";
	return SKA_ERR_INVALID_FORMAT;
}

/*
 * The quoted value at *ip ("..." with \" for a quote), as a new
 * NUL-terminated string; *ip moves past the closing quote (opt_dequote).
 */
static int
dequote(const char *s, size_t len, size_t *ip, char **valp,
    const char **whyp)
{
	char *v;
	size_t i = *ip, n = 0;

	*valp = NULL;
	if (i >= len || s[i] != '"') {
		*whyp = "missing start quote";
		return SKA_ERR_INVALID_FORMAT;
	}
	if ((v = malloc(len - i)) == NULL) {
		*whyp = "memory allocation failed";
		return SKA_ERR_ALLOC_FAIL;
	}
	for (i++; i < len && s[i] != '"'; i++) {
		if (s[i] == '\\' && i + 1 < len && s[i + 1] == '"')
			i++;
		v[n++] = s[i];
	}
	if (i >= len) {
		free(v);
		*whyp = "missing end quote";
		return SKA_ERR_INVALID_FORMAT;
	}
	v[n] = '\0';
	*ip = i + 1;
	*valp = v;
	return 0;
}

/* OpenBSD's strtonum(): whole string, decimal, within [min, max]. */
static int
number(const char *s, long long min, long long max, long long *vp)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE || v < min || v > max)
		return -1;
	*vp = v;
	return 0;
}

/* a2port() > 0: a number, or a service name the services database knows. */
static int
port_ok(const char *p)
{
	long long v;

	if (number(p, 0, 65535, &v) == 0)
		return v > 0;
	return getservbyname(p, "tcp") != NULL;
}

/*
 * handle_permit(): host, then ':' or '/', then a port (number, service
 * name or "*"); an IPv6 host in brackets.  0, SKA_ERR_INVALID_FORMAT or
 * SKA_ERR_ALLOC_FAIL, with *whyp set.
 */
static int
permit_ok(const char *v, int bare_port_ok, const char **whyp)
{
	char *host = NULL, *p, *port = NULL;
	int r = SKA_ERR_INVALID_FORMAT;

	if (bare_port_ok && strchr(v, ':') == NULL) {
		if (asprintf(&host, "*:%s", v) == -1)
			host = NULL;
	} else
		host = strdup(v);
	if (host == NULL) {
		*whyp = "memory allocation failed";
		return SKA_ERR_ALLOC_FAIL;
	}
	/* hpdelim() */
	if (*host == '[')
		p = (p = strchr(host, ']')) == NULL ? NULL : p + 1;
	else if ((p = strpbrk(host, ":/")) == NULL)
		p = host + strlen(host);
	if (p == NULL || (*p != '\0' && *p != ':' && *p != '/')) {
		*whyp = "invalid permission hostname";
		goto out;
	}
	if (*p != '\0') {
		*p = '\0';
		port = p + 1;
	}
	if (strlen(host) >= HOST_MAX) {
		*whyp = "invalid permission hostname";
		goto out;
	}
	if (port == NULL || (strcmp(port, "*") != 0 && !port_ok(port))) {
		*whyp = "invalid permission port";
		goto out;
	}
	r = 0;
 out:
	free(host);
	return r;
}

/* Are the bits past masklen zero? */
static int
host_bits_zero(const uint8_t *a, size_t alen, unsigned int masklen)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		unsigned int keep = masklen >= (i + 1) * 8 ? 8 :
		    masklen <= i * 8 ? 0 : masklen - (unsigned int)i * 8;
		uint8_t hostmask = (uint8_t)(0xff >> keep);

		if ((a[i] & hostmask) != 0)
			return 0;
	}
	return 1;
}

/*
 * addr_pton_cidr() for one from= entry: -2 for an address whose mask sshd
 * calls inconsistent, 0 for a good address, -1 for anything else (which
 * sshd matches as a host name pattern).
 */
static int
cidr_check(const char *e)
{
	char buf[64], *mp;
	struct in_addr a4;
	struct in6_addr a6;
	long long masklen = -1;

	if (strlen(e) >= sizeof(buf) || strpbrk(e, " \t\n\v\f\r") != NULL)
		return -1;
	memcpy(buf, e, strlen(e) + 1);
	if ((mp = strchr(buf, '/')) != NULL) {
		*mp++ = '\0';
		if (number(mp, 0, 128, &masklen) != 0)
			return -1;
	}
	if (inet_aton(buf, &a4) != 0) {
		if (masklen == -1)
			masklen = 32;
		if (masklen > 32 || !host_bits_zero((const uint8_t *)&a4,
		    sizeof(a4), (unsigned int)masklen))
			return -2;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &a6) == 1) {
		if (masklen == -1)
			masklen = 128;
		if (!host_bits_zero(a6.s6_addr, sizeof(a6.s6_addr),
		    (unsigned int)masklen))
			return -2;
		return 0;
	}
	return -1;
}

/* addr_match_list()'s errors: an empty entry or an inconsistent mask. */
static int
from_ok(const char *v)
{
	const char *e = v, *comma;
	char entry[64];
	size_t n;

	for (;;) {
		comma = strchr(e, ',');
		n = comma == NULL ? strlen(e) : (size_t)(comma - e);
		if (n > 0 && *e == '!') {
			e++;
			n--;
		}
		if (n == 0)
			return 0;
		if (n < sizeof(entry)) {
			memcpy(entry, e, n);
			entry[n] = '\0';
			if (cidr_check(entry) == -2)
				return 0;
		}
		if (comma == NULL)
			return 1;
		e = comma + 1;
	}
}

static int
env_ok(const char *v)
{
	const char *eq = strchr(v, '='), *p;

	if (eq == NULL || eq == v)
		return 0;
	for (p = v; p < eq; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
	}
	return 1;
}

/* One name="value" option; the value has been read into v. */
static int
apply_value(struct parse_state *st, const char *name, size_t nlen,
    const char *v)
{
	static const struct {
		const char *name;
		unsigned int flag;
	} once[] = {
		{ "command", AUTHKEYS_OPT_COMMAND },
		{ "principals", AUTHKEYS_OPT_PRINCIPALS },
		{ "from", AUTHKEYS_OPT_FROM },
	};
	uint64_t t;
	long long tun;
	size_t i;
	int r;

	for (i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		if (!name_is(name, nlen, once[i].name))
			continue;
		if (st->o.flags & once[i].flag) {
			st->why = i == 0 ? "multiple \"command\" clauses" :
			    i == 1 ? "multiple \"principals\" clauses" :
			    "multiple \"from\" clauses";
			return SKA_ERR_INVALID_FORMAT;
		}
		if (once[i].flag == AUTHKEYS_OPT_FROM && !from_ok(v)) {
			st->why = "invalid from criteria";
			return SKA_ERR_INVALID_FORMAT;
		}
		st->o.flags |= once[i].flag;
		return 0;
	}
	if (name_is(name, nlen, "expiry-time")) {
		if (authkeys_parse_time(v, strlen(v), &t) != 0 || t == 0) {
			st->why = "invalid expires time";
			return SKA_ERR_INVALID_FORMAT;
		}
		if (st->o.expiry == 0 || t < st->o.expiry)
			st->o.expiry = t;
		st->o.flags |= AUTHKEYS_OPT_EXPIRY_TIME;
	} else if (name_is(name, nlen, "environment")) {
		if (!env_ok(v)) {
			st->why = "invalid environment string";
			return SKA_ERR_INVALID_FORMAT;
		}
		st->o.flags |= AUTHKEYS_OPT_ENVIRONMENT;
	} else if (name_is(name, nlen, "permitopen") ||
	    name_is(name, nlen, "permitlisten")) {
		int listen = name_is(name, nlen, "permitlisten");
		size_t *np = listen ? &st->npermitlisten : &st->npermitopen;

		if (*np > AUTHKEYS_PERMIT_MAX) {
			st->why = "too many permission directives";
			return SKA_ERR_INVALID_FORMAT;
		}
		if ((r = permit_ok(v, listen, &st->why)) != 0)
			return r;
		(*np)++;
		st->o.flags |= listen ? AUTHKEYS_OPT_PERMITLISTEN :
		    AUTHKEYS_OPT_PERMITOPEN;
	} else if (name_is(name, nlen, "tunnel")) {
		if (strcasecmp(v, "any") != 0 &&
		    number(v, 0, TUNID_MAX, &tun) != 0) {
			st->why = "invalid tun device";
			return SKA_ERR_INVALID_FORMAT;
		}
		st->o.flags |= AUTHKEYS_OPT_TUNNEL;
	} else {
		st->why = "unknown key option";
		return SKA_ERR_INVALID_FORMAT;
	}
	return 0;
}

int
authkeys_options_parse(const char *s, size_t len, struct authkeys_opts *o,
    const char **whyp)
{
	struct parse_state st;
	char *v = NULL;
	size_t i = 0, j;
	int r;

	memset(&st, 0, sizeof(st));
	if (whyp != NULL)
		*whyp = NULL;
	if (o == NULL || (s == NULL && len != 0))
		return SKA_ERR_INVALID_ARGUMENT;
	memset(o, 0, sizeof(*o));
	while (i < len && s[i] != ' ' && s[i] != '\t') {
		for (j = i; j < len && strchr(",= \t", s[j]) == NULL; j++)
			;
		if (j < len && s[j] == '=') {
			size_t at = j + 1;

			if ((r = dequote(s, len, &at, &v, &st.why)) != 0 ||
			    (r = apply_value(&st, s + i, j - i, v)) != 0)
				goto out;
			free(v);
			v = NULL;
			i = at;
		} else if (j > i) {
			if ((r = apply_flag(&st, s + i, j - i)) != 0)
				goto out;
			i = j;
		}
		/* A comma, the end, or something sshd calls unknown. */
		if (i == len || s[i] == ' ' || s[i] == '\t')
			break;
		if (s[i] != ',') {
			st.why = "unknown key option";
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		i++;
	}
	/* auth_authorise_keyopts(): principals only make sense on a CA. */
	if ((st.o.flags & AUTHKEYS_OPT_PRINCIPALS) &&
	    !(st.o.flags & AUTHKEYS_OPT_CERT_AUTHORITY)) {
		st.why = "principals on non-CA key";
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = 0;
	*o = st.o;
 out:
	free(v);
	if (r != 0 && whyp != NULL)
		*whyp = st.why != NULL ? st.why : ska_err(r);
	return r;
}

/* One field of a date: blanks, then 1..width digits, all of it used. */
static int
time_field(const char *s, size_t width, int lo, int hi, int *vp)
{
	size_t i = 0, digits = 0;
	int v = 0;

	while (i < width && isspace((unsigned char)s[i]))
		i++;
	while (i < width && isdigit((unsigned char)s[i]) &&
	    (digits == 0 || v * 10 <= hi)) {
		v = v * 10 + (s[i++] - '0');
		digits++;
	}
	if (digits == 0 || i != width || v < lo || v > hi)
		return -1;
	*vp = v;
	return 0;
}

int
authkeys_parse_time(const char *s, size_t len, uint64_t *tp)
{
	struct tm tm;
	time_t t;
	int utc = 0, year;

	if (tp == NULL || s == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	*tp = 0;
	if (len > 1 && (s[len - 1] == 'Z' || s[len - 1] == 'z')) {
		utc = 1;
		len--;
	} else if (len > 3 && strncasecmp(s + len - 3, "UTC", 3) == 0) {
		utc = 1;
		len -= 3;
	}
	if (len != 8 && len != 12 && len != 14)
		return SKA_ERR_INVALID_FORMAT;
	memset(&tm, 0, sizeof(tm));
	if (memchr(s, '\0', len) != NULL ||
	    time_field(s, 4, 0, 9999, &year) != 0 ||
	    time_field(s + 4, 2, 1, 12, &tm.tm_mon) != 0 ||
	    time_field(s + 6, 2, 1, 31, &tm.tm_mday) != 0 ||
	    (len >= 12 && (time_field(s + 8, 2, 0, 23, &tm.tm_hour) != 0 ||
	    time_field(s + 10, 2, 0, 59, &tm.tm_min) != 0)) ||
	    (len == 14 && time_field(s + 12, 2, 0, 61, &tm.tm_sec) != 0))
		return SKA_ERR_INVALID_FORMAT;
	tm.tm_year = year - 1900;
	tm.tm_mon--;
	if ((t = utc ? timegm(&tm) : mktime(&tm)) < 0)
		return SKA_ERR_INVALID_FORMAT;
	*tp = (uint64_t)t;
	return 0;
}

size_t
authkeys_restrictions(const struct authkeys_opts *o, char *buf, size_t size)
{
	static const struct {
		unsigned int flag;
		const char *name;
	} names[] = {
		{ AUTHKEYS_OPT_NO_PORT_FORWARDING, "no-port-forwarding" },
		{ AUTHKEYS_OPT_NO_AGENT_FORWARDING, "no-agent-forwarding" },
		{ AUTHKEYS_OPT_NO_X11_FORWARDING, "no-x11-forwarding" },
		{ AUTHKEYS_OPT_NO_PTY, "no-pty" },
		{ AUTHKEYS_OPT_NO_USER_RC, "no-user-rc" },
		{ AUTHKEYS_OPT_COMMAND, "command" },
		{ AUTHKEYS_OPT_FROM, "from" },
		{ AUTHKEYS_OPT_PERMITOPEN, "permitopen" },
		{ AUTHKEYS_OPT_PERMITLISTEN, "permitlisten" },
		{ AUTHKEYS_OPT_TUNNEL, "tunnel" },
		{ AUTHKEYS_OPT_EXPIRY_TIME, "expiry-time" },
		{ AUTHKEYS_OPT_VERIFY_REQUIRED, "verify-required" },
	};
	const unsigned int by_restrict = AUTHKEYS_OPT_NO_PORT_FORWARDING |
	    AUTHKEYS_OPT_NO_AGENT_FORWARDING | AUTHKEYS_OPT_NO_X11_FORWARDING |
	    AUTHKEYS_OPT_NO_PTY | AUTHKEYS_OPT_NO_USER_RC;
	unsigned int flags = o == NULL ? 0 : o->flags & AUTHKEYS_OPT_RESTRICTIONS;
	size_t i, need = 0, n;
	const char *name;
	int full = 0;

	if (size > 0)
		buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]) + 1; i++) {
		if (i == 0) {
			if (!(o != NULL && (o->flags & AUTHKEYS_OPT_RESTRICT) &&
			    (flags & by_restrict) == by_restrict))
				continue;
			flags &= ~by_restrict;
			name = "restrict";
		} else if (flags & names[i - 1].flag)
			name = names[i - 1].name;
		else
			continue;
		n = strlen(name) + (need > 0 ? 2 : 0);
		if (!full && need + n < size)
			snprintf(buf + need, size - need, "%s%s",
			    need > 0 ? ", " : "", name);
		else
			full = 1;
		need += n;
	}
	return need;
}
