/*
 * authorized_keys lines, read the way sshd reads them (auth2-pubkeyfile.c):
 * [marker] [options] type base64-blob [comment].  Pure functions on bytes:
 * no I/O, no global state, any input is safe.
 *
 * A line is cut at its first NUL (sshd sees C strings); trailing CR, LF,
 * spaces and tabs are ignored.  Options end at the first space or tab
 * outside double quotes; \" does not end a quoted value.  The blob must
 * decode (strict base64, padding included) to a structurally valid public
 * key blob whose own type string is the line's type.  The options are
 * judged as sshd judges them (authkeys-options.h): a line whose key reads
 * but whose options sshd refuses is returned with the reason in refused.
 */
#ifndef SKA_AUTHKEYS_H
#define SKA_AUTHKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "authkeys-options.h"
#include "err.h"

#define AUTHKEYS_LINE_MAX	(256 * 1024)	/* longer lines are refused */
#define AUTHKEYS_BLOB_MAX	16384		/* SSH_MAX_PUBKEY_BYTES */

struct authkeys_entry {
	/* NULL type: a blank or comment line (every other field empty). */
	const char *type;	/* key_type_name(): static storage */
	char *marker;		/* "@cert-authority" or "@revoked", or NULL */
	char *options;		/* option text as written, or NULL */
	const char *refused;	/* NULL, or why sshd ignores the line (static) */
	unsigned int opts;	/* AUTHKEYS_OPT_*; 0 when refused */
	uint64_t expiry;	/* expiry-time (seconds since the epoch), or 0 */
	uint8_t *blob;		/* decoded key blob */
	size_t bloblen;
	char *comment;		/* NULL when there is none */
};

/*
 * Parses one line of len bytes (need not be NUL-terminated; a final LF is
 * allowed).  On success fills *out, which the caller clears with
 * authkeys_entry_clear(); on failure *out is left empty.  Returns 0 (key,
 * blank or comment line; a key line with options sshd refuses has refused
 * set), SKA_ERR_STRING_TOO_LARGE, SKA_ERR_INVALID_FORMAT (unterminated
 * quotes, bad base64 or blob, unknown marker), SKA_ERR_KEY_TYPE_UNKNOWN or
 * SKA_ERR_KEY_TYPE_MISMATCH (the blob says another type).
 */
int authkeys_parse_line(const char *line, size_t len,
    struct authkeys_entry *out) SKA_WUR;
/* Wipes and frees the fields; the struct itself is the caller's. */
void authkeys_entry_clear(struct authkeys_entry *e);

/*
 * Does the line authorise this key as a user key (same type and blob, no
 * marker, options sshd accepts, no cert-authority option)?  Other options
 * are restrictions the line's author chose: they do not make it a
 * different key.  Expiry is not looked at (see authkeys_entry_check).
 */
int authkeys_entry_matches(const struct authkeys_entry *e,
    const uint8_t *blob, size_t bloblen);

#define AUTHKEYS_OTHER		0	/* not a line for this user key */
#define AUTHKEYS_ACCEPTED	1	/* sshd accepts the key here */
#define AUTHKEYS_REFUSED	2	/* the key is here, but sshd ignores the line */

/*
 * What sshd makes of this line for this key at time now (seconds since the
 * epoch), from= patterns aside (they depend on the client's address).  For
 * AUTHKEYS_REFUSED, *whyp (when whyp is not NULL) is the reason: the
 * options sshd refuses, or an expiry-time before now.  A marker line or a
 * cert-authority line is AUTHKEYS_OTHER.
 */
int authkeys_entry_check(const struct authkeys_entry *e, const uint8_t *blob,
    size_t bloblen, uint64_t now, const char **whyp);

/*
 * Builds "[options ]type base64[ comment]" (no newline) for a key blob that
 * key_from_blob() accepts.  options NULL or "" for none, else option text
 * sshd accepts.  The comment may hold spaces but no control character (and
 * loses blanks at either end when read back).  Caller frees *linep.
 */
int authkeys_format_line(const char *options, const uint8_t *blob,
    size_t bloblen, const char *comment, char **linep) SKA_WUR;

/*
 * The options an sk key with these flags (PROTOCOL.u2f) needs so that
 * sshd accepts its signatures: "no-touch-required" when user presence
 * (0x01) is not required, "verify-required" when user verification (0x04)
 * is.  NULL for none and for non-sk types.  Static storage.
 */
const char *authkeys_sk_options(const char *type, uint8_t sk_flags);

#endif
