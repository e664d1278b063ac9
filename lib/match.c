/* Wildcard patterns (match.h). */
#include <stdlib.h>
#include <string.h>

#include "match.h"

/*
 * One backtracking point (the last '*' seen): time is at most the product
 * of the lengths whatever the stars, where a recursive matcher is
 * exponential in them ("*a*a*a*...b").
 */
int
match_pattern(const char *s, const char *pattern)
{
	const char *p = pattern, *star = NULL, *mark = NULL;

	for (;;) {
		if (*p == '*') {
			star = ++p;
			mark = s;
			continue;
		}
		if (*s == '\0' && *p == '\0')
			return 1;
		if (*s != '\0' && *p != '\0' && (*p == '?' || *p == *s)) {
			s++;
			p++;
			continue;
		}
		/* back to the last star, one character further on */
		if (star == NULL || *mark == '\0')
			return 0;
		s = ++mark;
		p = star;
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
