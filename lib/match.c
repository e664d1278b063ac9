/* Wildcard patterns and pattern lists (see match.h). */
#include <ctype.h>
#include <string.h>

#include "match.h"

static int
same(char a, char b, int flags)
{
	if (flags & MATCH_NOCASE)
		return tolower((unsigned char)a) == tolower((unsigned char)b);
	return a == b;
}

int
match_pattern_n(const char *s, const char *pat, size_t plen, int flags)
{
	size_t p = 0, star = (size_t)-1;
	const char *mark = NULL;

	for (;;) {
		if (p < plen && pat[p] == '*') {
			star = ++p;
			mark = s;
			continue;
		}
		if (*s == '\0' && p == plen)
			return 1;
		if (*s != '\0' && p < plen && (pat[p] == '?' ||
		    same(pat[p], *s, flags))) {
			s++;
			p++;
			continue;
		}
		/* back to the last star, one character further on */
		if (star == (size_t)-1 || *mark == '\0')
			return 0;
		s = ++mark;
		p = star;
	}
}

int
match_pattern(const char *s, const char *pattern)
{
	return match_pattern_n(s, pattern, strlen(pattern), 0);
}

int
match_pattern_list_n(const char *s, const char *list, size_t len, int flags)
{
	size_t i = 0, j, n;
	int neg, got = 0;

	while (i <= len) {
		for (j = i; j < len && list[j] != ','; j++)
			;
		neg = j > i && list[i] == '!';
		n = j - i - (size_t)neg;
		if (n <= MATCH_PATTERN_MAX &&
		    match_pattern_n(s, list + i + neg, n, flags)) {
			if (neg)
				return -1;
			got = 1;
		}
		i = j + 1;
	}
	return got;
}

int
match_pattern_list(const char *s, const char *list, int flags)
{
	return match_pattern_list_n(s, list, strlen(list), flags);
}
