/*
 * Wildcard patterns as OpenSSH's match.c has them: '*' any run of
 * characters, '?' any one; lists of patterns separated by commas, a
 * pattern starting with '!' negating.  Time is at most the product of the
 * lengths (one backtracking point), whatever the stars.
 */
#ifndef SKA_MATCH_H
#define SKA_MATCH_H

#include <stddef.h>

#define MATCH_NOCASE	0x01	/* ASCII letters without case */

/* Does s match the pattern of plen bytes? 1 or 0. */
int match_pattern_n(const char *s, const char *pattern, size_t plen,
    int flags);
int match_pattern(const char *s, const char *pattern);

/*
 * s against a list of len bytes: 1 when a pattern matches, -1 when a
 * negated one does (whatever else matches), 0 otherwise.  Patterns longer
 * than MATCH_PATTERN_MAX never match (OpenSSH's limit).
 */
#define MATCH_PATTERN_MAX	1024
int match_pattern_list_n(const char *s, const char *list, size_t len,
    int flags);
int match_pattern_list(const char *s, const char *list, int flags);

#endif
