/*
 * What an agent is asked to sign, read: the two kinds a client names in
 * full, so that a policy can check them and a record can say what a
 * signature was for.
 *   - An SSH2_MSG_USERAUTH_REQUEST for "publickey" or
 *     "publickey-hostbound-v00@openssh.com" (RFC 4252 7, OpenSSH's
 *     PROTOCOL): string session id, byte 50, string user, string service
 *     "ssh-connection", string method, bool TRUE, string algorithm, string
 *     key blob[, string host key blob].
 *   - An SSHSIG signed blob (OpenSSH's PROTOCOL.sshsig): "SSHSIG", string
 *     namespace, string reserved, string hash algorithm, string H(message).
 * Both parsers take the whole of data or refuse it (INVALID_FORMAT).
 */
#ifndef SKA_SIGDATA_H
#define SKA_SIGDATA_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"
#include "sshbuf.h"

struct sigdata_userauth {
	const uint8_t *sid;		/* the session id (in data) */
	size_t sidlen;
	char *user;
	const uint8_t *hostkey;		/* publickey-hostbound: the server's key */
	size_t hostkeylen;		/* blob (in data); else NULL, 0 */
};

/*
 * Parses a userauth request into *ua (pointers into data: valid while data
 * is; ua->user allocated: sigdata_userauth_clear).  With key not NULL, the
 * request must name that key and a signature algorithm of its type, and a
 * host key must parse, as OpenSSH's agent checks; NULL: any key, and no key
 * blob is parsed (cheap enough for every signature's record).
 */
int sigdata_userauth_parse(const uint8_t *data, size_t dlen,
    const struct key *key, struct sigdata_userauth *ua) SKA_WUR;
void sigdata_userauth_clear(struct sigdata_userauth *ua);

/* Parses an SSHSIG blob; *nsp (may be NULL): the namespace, caller frees. */
int sigdata_sshsig_parse(const uint8_t *data, size_t dlen, char **nsp) SKA_WUR;

/*
 * What data is, for people: "login" with *textp the user name, "sshsig"
 * with *textp the namespace, or NULL (*textp NULL).  Caller frees *textp.
 */
const char *sigdata_describe(const uint8_t *data, size_t dlen, char **textp);

#endif
