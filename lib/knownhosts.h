/*
 * known_hosts, read the way ssh reads it (hostfile.c, sshconnect.c): does
 * the file map a host name to a host key?
 *
 * A line is [@cert-authority | @revoked] hosts keytype base64 [comment].
 * hosts is a comma-separated list of patterns ('*' and '?' wildcards, '!'
 * negating: a negated match rules the line out), each a name as ssh looks
 * it up ("host" for port 22, "[host]:port" otherwise, lower case), or one
 * hashed name "|1|salt|hmac": base64 of a 20-byte salt and of HMAC-SHA1
 * of the looked-up name keyed with it.
 *
 * A plain host key matches a line that lists it.  A host certificate
 * matches an @cert-authority line listing its signer when it is a host
 * certificate valid now for the host (the name without the port), and
 * otherwise as its plain key, as ssh falls back to it.  @revoked lines
 * listing the key (or its signer) revoke it whatever else matches.
 *
 * Pure functions on bytes apart from knownhosts_check_file(); any input is
 * safe.  Lines longer than KNOWNHOSTS_LINE_MAX are skipped.
 */
#ifndef SKA_KNOWNHOSTS_H
#define SKA_KNOWNHOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define KNOWNHOSTS_LINE_MAX	(64 * 1024)

struct key;

/* Ordered: a check keeps the highest result seen over all lines. */
enum knownhosts_result {
	KNOWNHOSTS_NONE = 0,	/* the name is not in the file */
	KNOWNHOSTS_OTHER,	/* the name is there, with other keys */
	KNOWNHOSTS_FOUND,	/* the name is there with this key */
	KNOWNHOSTS_REVOKED,	/* the key is @revoked */
};

/*
 * What ssh looks up for host and port: "host" for port 0 or 22,
 * "[host]:port" otherwise, in lower case.  NULL when out of memory or
 * host is empty; caller frees.
 */
char *knownhosts_name(const char *host, int port);

/*
 * Does the hosts field (len bytes) list name (as knownhosts_name gives
 * it)?  1 it does; 0 it does not, or a negated pattern matches it.
 */
int knownhosts_match_hosts(const char *hosts, size_t len, const char *name);

/*
 * Checks one line (len bytes, need not be NUL-terminated) for host
 * (without the port) and port against key; raises *resultp to what the
 * line says.  now (seconds since the epoch) checks certificates.
 */
void knownhosts_check_line(const char *line, size_t len, const char *host,
    int port, const struct key *key, uint64_t now,
    enum knownhosts_result *resultp);

/* Every line of a text of len bytes. */
void knownhosts_check_buf(const char *buf, size_t len, const char *host,
    int port, const struct key *key, uint64_t now,
    enum knownhosts_result *resultp);

/*
 * Every line of the file at path.  0, or SKA_ERR_SYSTEM (errno) when it
 * cannot be read; a file that does not exist is 0 with nothing found.
 */
int knownhosts_check_file(const char *path, const char *host, int port,
    const struct key *key, uint64_t now, enum knownhosts_result *resultp)
    SKA_WUR;

#endif
