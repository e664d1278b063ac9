/*
 * lib/match.c: OpenSSH's wildcard patterns and pattern lists; the same
 * answers as OpenSSH's recursive matcher, at a cost bounded by the sizes
 * whatever the wildcards (a destination constraint's user pattern is
 * matched on every signature request).
 */
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "tap.h"

static void
test_pattern(void)
{
	static const struct { const char *s, *p; int want; } v[] = {
		{ "", "", 1 },
		{ "a", "", 0 },
		{ "", "*", 1 },
		{ "", "?", 0 },
		{ "abc", "abc", 1 },
		{ "abc", "ABC", 0 },		/* case counts */
		{ "abc", "ab", 0 },
		{ "ab", "abc", 0 },
		{ "abc", "a?c", 1 },
		{ "ac", "a?c", 0 },
		{ "abc", "*", 1 },
		{ "abc", "a*", 1 },
		{ "abc", "*c", 1 },
		{ "abc", "*b*", 1 },
		{ "abc", "*d*", 0 },
		{ "abc", "a**c", 1 },
		{ "abc", "***", 1 },
		{ "ac", "a*c", 1 },		/* '*' matches nothing too */
		{ "aXbXc", "a*b*c", 1 },
		{ "aXbX", "a*b*c", 0 },
		{ "ssh:", "ssh:*", 1 },
		{ "ssh:work", "ssh:*", 1 },
		{ "https://example.com", "ssh:*", 0 },
		{ "/usr/lib/x86_64-linux-gnu/libsk.so", "/usr/lib*/*", 1 },
		{ "/usr/local/lib/libsk.so", "/usr/lib*/*", 0 },
		{ "/usr/lib/sub/dir/libsk.so", "/usr/lib*/*", 1 },
		{ "host.example.com", "*.example.com", 1 },
		{ "example.com", "*.example.com", 0 },
		{ "a*b", "a\\*b", 0 },		/* no escapes, as OpenSSH */
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(match_pattern(v[i].s, v[i].p), v[i].want,
		    "match_pattern(\"%s\", \"%s\")", v[i].s, v[i].p);
}

static void
test_list(void)
{
	static const struct { const char *s, *l; int want; } v[] = {
		{ "ssh:", "ssh:*", 1 },
		{ "web", "ssh:*,web", 1 },
		{ "web", "ssh:*,other", 0 },
		{ "ssh:bad", "ssh:*,!ssh:bad", 0 },	/* a negation wins */
		{ "ssh:bad", "!ssh:bad,ssh:*", 0 },	/* in any position */
		{ "ssh:good", "ssh:*,!ssh:bad", 1 },
		{ "x", "!y", 0 },			/* negations alone allow nothing */
		{ "x", "", 0 },
		{ "x", ",,x,,", 1 },			/* empty entries are skipped */
		{ "/usr/local/lib/a.so", "/usr/lib*/*,/usr/local/lib*/*", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(match_pattern_list(v[i].s, v[i].l), v[i].want,
		    "match_pattern_list(\"%s\", \"%s\")", v[i].s, v[i].l);
}

/* Random strings: '*' matches them all, each matches itself, and n '?'
   match exactly the strings of length n. */
static void
test_random(void)
{
	char s[16], p[18];
	size_t i, j, n;
	int bad = 0;

	srandom(1);
	for (i = 0; i < 20000 && !bad; i++) {
		n = (size_t)random() % sizeof(s);
		for (j = 0; j < n; j++)
			s[j] = "ab"[random() % 2];
		s[n] = '\0';
		if (!match_pattern(s, "*") || !match_pattern(s, s))
			bad = 1;
		memset(p, '?', n);
		p[n] = '\0';
		if (!match_pattern(s, p))
			bad = 1;
		p[n] = '?';
		p[n + 1] = '\0';
		if (match_pattern(s, p) || (n > 0 && match_pattern(s, p + 2)))
			bad = 1;
	}
	ok(!bad, "random strings: '*', themselves and '?'s of their length");
}

/*
 * OpenSSH's match_pattern(), recursion and all: the reference, with its
 * steps counted; -1 once it has spent ref_budget of them.
 */
static unsigned long ref_steps, ref_budget = ~0UL;

static int
reference(const char *s, const char *p)
{
	int r;

	for (;;) {
		if (++ref_steps > ref_budget)
			return -1;
		if (*p == '\0')
			return *s == '\0';
		if (*p == '*') {
			while (*p == '*')
				p++;
			if (*p == '\0')
				return 1;
			for (; *s != '\0'; s++)
				if ((r = reference(s, p)) != 0)
					return r;
			return 0;
		}
		if (*s == '\0' || (*p != '?' && *p != *s))
			return 0;
		s++;
		p++;
	}
}

/* Random strings and patterns over a small alphabet: the reference's answers. */
static void
test_differential(void)
{
	char s[12], p[12];
	size_t i, j, n, m;
	int bad = 0;

	srandom(2);
	for (i = 0; i < 200000 && !bad; i++) {
		n = (size_t)random() % sizeof(s);
		m = (size_t)random() % sizeof(p);
		for (j = 0; j < n; j++)
			s[j] = "ab"[random() % 2];
		for (j = 0; j < m; j++)
			p[j] = "ab*?"[random() % 4];
		s[n] = p[m] = '\0';
		if (match_pattern(s, p) != reference(s, p)) {
			tap_diag("\"%s\" against \"%s\": %d, OpenSSH %d", s, p,
			    match_pattern(s, p), reference(s, p));
			bad = 1;
		}
	}
	ok(!bad, "200000 random strings and patterns: OpenSSH's answers");
}

/*
 * The cost, counted in steps: a hostile pattern of the largest size a
 * destination constraint takes (256: "*a*a...*a*b") against the longest
 * user name (256 a's) costs no more than (256 + 1) * (256 + 1) steps, as
 * any pattern of that size may, where OpenSSH's recursion runs past 10^8
 * (and on, exponentially).  A plain name costs its length.
 */
static void
test_cost(void)
{
	char user[257], hostile[257], plain[257];
	unsigned long bound = 257UL * 257UL, hsteps, psteps;
	size_t i;

	memset(user, 'a', 256);
	user[256] = '\0';
	for (i = 0; i < 256; i += 2) {
		hostile[i] = '*';
		hostile[i + 1] = 'a';
	}
	hostile[255] = 'b';
	hostile[256] = '\0';
	memcpy(plain, user, sizeof(plain));
	match_steps = 0;
	is_int(match_pattern(user, hostile), 0, "hostile pattern: no match");
	hsteps = match_steps;
	match_steps = 0;
	is_int(match_pattern(user, plain), 1, "plain pattern: a match");
	psteps = match_steps;
	tap_diag("steps: hostile %lu, plain %lu, bound %lu", hsteps, psteps,
	    bound);
	ok(hsteps <= bound, "hostile 256-character pattern: %lu steps, "
	    "within (256 + 1)^2", hsteps);
	ok(psteps <= 257, "a plain name: its length in steps (%lu)", psteps);
	ref_steps = 0;
	ref_budget = 100000000UL;
	is_int(reference(user, hostile), -1,
	    "OpenSSH's recursion on the hostile pattern: over 10^8 steps");
	ref_budget = ~0UL;
	/* the worst shape: one '*' that must retry at every position */
	memset(hostile, 'a', 256);
	hostile[0] = '*';
	hostile[255] = 'b';
	match_steps = 0;
	is_int(match_pattern(user, hostile), 0, "\"*aaa...ab\": no match");
	ok(match_steps <= bound, "  %lu steps, within (256 + 1)^2",
	    match_steps);
}

int
main(void)
{
	test_pattern();
	test_list();
	test_random();
	test_differential();
	test_cost();
	return tap_done();
}
