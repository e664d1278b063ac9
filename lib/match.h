/*
 * Pattern matching as OpenSSH's match.c: '*' matches any run of characters
 * (none included), '?' any one character, everything else itself (case
 * counts).  A pattern list is comma-separated; a pattern starting with '!'
 * negates: a string it matches is refused whatever else matches.
 */
#ifndef SKA_MATCH_H
#define SKA_MATCH_H

/* 1 when s matches pattern, else 0. */
int match_pattern(const char *s, const char *pattern);
/* 1 when s matches some pattern of list and no negated one; else 0 (also
   when out of memory). */
int match_pattern_list(const char *s, const char *list);

#endif
