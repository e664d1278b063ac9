/* Wildcard patterns (match.h). */
#include <stdlib.h>
#include <string.h>

#include "match.h"

int
match_pattern(const char *s, const char *pattern)
{
	for (;;) {
		if (*pattern == '\0')
			return *s == '\0';
		if (*pattern == '*') {
			while (*pattern == '*')
				pattern++;
			if (*pattern == '\0')
				return 1;
			for (; *s != '\0'; s++)
				if (match_pattern(s, pattern))
					return 1;
			return 0;
		}
		if (*s == '\0')
			return 0;
		if (*pattern != '?' && *pattern != *s)
			return 0;
		s++;
		pattern++;
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
