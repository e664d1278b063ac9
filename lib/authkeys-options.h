/*
 * authorized_keys options, judged as sshd judges them: the grammar and the
 * checks of OpenSSH's sshauthopt_parse() (auth-options.c) and the line
 * checks of auth_authorise_keyopts() that do not depend on the client.
 * Pure functions on bytes; any input is safe.
 *
 * The text is the options field of a line (where it ends is found by
 * authkeys.c, quotes included) and is read as sshd reads it: options
 * separated by commas, empty ones allowed; names without case; the flags
 * restrict, cert-authority, and port-forwarding, agent-forwarding,
 * x11-forwarding, pty, user-rc, touch-required, verify-required with their
 * "no-" forms; and name="value" for command, principals, from (each at most
 * once), expiry-time, environment, permitopen, permitlisten and tunnel,
 * where \" is a quote.  Anything else, a bad value, principals on a line
 * that is not cert-authority, or a from= list sshd calls invalid makes sshd
 * ignore the whole line.
 *
 * Where sshd consults the remote system, this machine stands in for it: a
 * permitopen/permitlisten port may be a service name of this machine's
 * services database, and an expiry-time without Z or UTC is in this
 * machine's time zone.  Checked against OpenSSH 9.2's sshd (tests/e2e/
 * 52-copy-id-options.t).
 */
#ifndef SKA_AUTHKEYS_OPTIONS_H
#define SKA_AUTHKEYS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* What is in force after the whole text (later options win, as in sshd). */
#define AUTHKEYS_OPT_CERT_AUTHORITY	0x00001
#define AUTHKEYS_OPT_NO_TOUCH_REQUIRED	0x00002
#define AUTHKEYS_OPT_VERIFY_REQUIRED	0x00004
#define AUTHKEYS_OPT_RESTRICT		0x00008	/* "restrict" was given */
#define AUTHKEYS_OPT_NO_PORT_FORWARDING	0x00010
#define AUTHKEYS_OPT_NO_AGENT_FORWARDING 0x00020
#define AUTHKEYS_OPT_NO_X11_FORWARDING	0x00040
#define AUTHKEYS_OPT_NO_PTY		0x00080
#define AUTHKEYS_OPT_NO_USER_RC		0x00100
#define AUTHKEYS_OPT_COMMAND		0x00200
#define AUTHKEYS_OPT_PRINCIPALS		0x00400
#define AUTHKEYS_OPT_FROM		0x00800
#define AUTHKEYS_OPT_EXPIRY_TIME	0x01000
#define AUTHKEYS_OPT_ENVIRONMENT	0x02000
#define AUTHKEYS_OPT_PERMITOPEN		0x04000
#define AUTHKEYS_OPT_PERMITLISTEN	0x08000
#define AUTHKEYS_OPT_TUNNEL		0x10000

/* The options that limit what a login with the key may do. */
#define AUTHKEYS_OPT_RESTRICTIONS	(AUTHKEYS_OPT_VERIFY_REQUIRED | \
	AUTHKEYS_OPT_NO_PORT_FORWARDING | AUTHKEYS_OPT_NO_AGENT_FORWARDING | \
	AUTHKEYS_OPT_NO_X11_FORWARDING | AUTHKEYS_OPT_NO_PTY | \
	AUTHKEYS_OPT_NO_USER_RC | AUTHKEYS_OPT_COMMAND | AUTHKEYS_OPT_FROM | \
	AUTHKEYS_OPT_EXPIRY_TIME | AUTHKEYS_OPT_PERMITOPEN | \
	AUTHKEYS_OPT_PERMITLISTEN | AUTHKEYS_OPT_TUNNEL)

#define AUTHKEYS_PERMIT_MAX	4096	/* SSH_AUTHOPT_PERMIT_MAX */

struct authkeys_opts {
	unsigned int flags;	/* AUTHKEYS_OPT_* */
	uint64_t expiry;	/* earliest expiry-time, seconds since the epoch; 0: none */
};

/*
 * Reads len bytes of option text (not NUL-terminated; its end stands for
 * the blank before the key).  Returns 0 with *o filled, or
 * SKA_ERR_INVALID_FORMAT with *whyp (if whyp is not NULL) set to sshd's
 * reason, static text, and *o zeroed; SKA_ERR_ALLOC_FAIL when memory runs
 * out, SKA_ERR_INVALID_ARGUMENT for NULL.
 */
int authkeys_options_parse(const char *s, size_t len, struct authkeys_opts *o,
    const char **whyp) SKA_WUR;

/*
 * sshd's parse_absolute_time(): YYYYMMDD[HHMM[SS]], then optionally Z or
 * UTC (any case) for UTC, else local time.  0 and *tp set, or
 * SKA_ERR_INVALID_FORMAT.
 */
int authkeys_parse_time(const char *s, size_t len, uint64_t *tp) SKA_WUR;

/*
 * The restrictions in force, as option names separated by ", " (for
 * example "restrict, command, from"), into buf (always NUL-terminated when
 * size > 0).  "restrict" stands for the five no-* it implies while all are
 * in force.  Returns the length the whole text needs; 0 when none.
 */
size_t authkeys_restrictions(const struct authkeys_opts *o, char *buf,
    size_t size);

#endif
