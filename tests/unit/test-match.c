/* lib/match.c: OpenSSH's wildcard patterns and pattern lists. */
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

int
main(void)
{
	test_pattern();
	test_list();
	test_random();
	return tap_done();
}
