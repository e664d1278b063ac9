/*
 * authorized_keys lines, read the way sshd reads them (auth2-pubkeyfile.c):
 * [marker] [options] type base64-blob [comment].  Pure functions on bytes:
 * no I/O, no global state, any input is safe.
 *
 * A line is cut at its first NUL (sshd sees C strings); trailing CR, LF,
 * spaces and tabs are ignored.  Options end at the first space or tab
 * outside double quotes; \" does not end a quoted value.  The blob must
 * decode (strict base64, padding included) to a structurally valid public
 * key blob whose own type string is the line's type.
 */
#ifndef SKA_AUTHKEYS_H
#define SKA_AUTHKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define AUTHKEYS_LINE_MAX	(256 * 1024)	/* longer lines are refused */
#define AUTHKEYS_BLOB_MAX	16384		/* SSH_MAX_PUBKEY_BYTES */

/* Options seen on a line (names compared without case, as sshd does). */
#define AUTHKEYS_OPT_CERT_AUTHORITY	0x01
#define AUTHKEYS_OPT_NO_TOUCH_REQUIRED	0x02
#define AUTHKEYS_OPT_VERIFY_REQUIRED	0x04

struct authkeys_entry {
	/* NULL type: a blank or comment line (every other field empty). */
	const char *type;	/* key_type_name(): static storage */
	char *marker;		/* "@cert-authority" or "@revoked", or NULL */
	char *options;		/* option text as written, or NULL */
	unsigned int opts;	/* AUTHKEYS_OPT_* */
	uint8_t *blob;		/* decoded key blob */
	size_t bloblen;
	char *comment;		/* NULL when there is none */
};

/*
 * Parses one line of len bytes (need not be NUL-terminated; a final LF is
 * allowed).  On success fills *out, which the caller clears with
 * authkeys_entry_clear(); on failure *out is left empty.  Returns 0 (key,
 * blank or comment line), SKA_ERR_STRING_TOO_LARGE, SKA_ERR_INVALID_FORMAT
 * (bad options, quotes, base64 or blob), SKA_ERR_KEY_TYPE_UNKNOWN or
 * SKA_ERR_KEY_TYPE_MISMATCH (the blob says another type).
 */
int authkeys_parse_line(const char *line, size_t len,
    struct authkeys_entry *out) SKA_WUR;
/* Wipes and frees the fields; the struct itself is the caller's. */
void authkeys_entry_clear(struct authkeys_entry *e);

/*
 * Does the line authorise this key as a user key (same type and blob, no
 * marker, no cert-authority option)?  Other options are restrictions the
 * line's author chose: they do not make it a different key.
 */
int authkeys_entry_matches(const struct authkeys_entry *e,
    const uint8_t *blob, size_t bloblen);

/*
 * Builds "[options ]type base64[ comment]" (no newline) for a key blob that
 * key_from_blob() accepts.  options NULL or "" for none, else well-formed
 * option text.  The comment may hold spaces but no control character (and
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
