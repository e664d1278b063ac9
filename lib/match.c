/* Wildcard patterns (match.h). */
#include <stdlib.h>
#include <string.h>

#include "match.h"

/*
 * One pass with one way back: on a mismatch, the last '*' takes one more
 * character and the rest is tried again from there.  An earlier '*' never
 * needs to take more (whatever the later one could match, it still can),
 * so a match costs at most (strlen(s) + 1) * (strlen(pattern) + 1) steps,
 * where OpenSSH's recursion costs a power of the number of '*'s.
 */
unsigned long match_steps;

int
match_pattern(const char *s, const char *pattern)
{
	const char *star = NULL, *retry = NULL;

	for (;;) {
		match_steps++;
		if (*pattern == '*') {
			while (*pattern == '*')
				pattern++;
			if (*pattern == '\0')
				return 1;
			star = pattern;
			retry = s;
			continue;
		}
		if (*s != '\0' && (*pattern == '?' || *pattern == *s)) {
			s++;
			pattern++;
			continue;
		}
		if (*s == '\0' && *pattern == '\0')
			return 1;
		if (star == NULL || *retry == '\0')
			return 0;
		/* the last '*' takes one more character */
		s = ++retry;
		pattern = star;
	}
}

int
match_pattern_list(const char *s, const char *list)
{
	char *copy, *p, *tok, *save = NULL;
	int got = 0, neg;

	if ((copy = strdup(list)) == NULL)
		return 0;
	for (p = copy; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		neg = *tok == '!';
		if (match_pattern(s, tok + neg)) {
			if (neg) {
				got = 0;
				break;
			}
			got = 1;
		}
	}
	free(copy);
	return got;
}
