/*
 * Enrollment attestations as ssh-keygen -O write-attestation= writes them
 * (OpenSSH's "ssh-sk-attest-v01", PROTOCOL.u2f):
 *
 *	string	"ssh-sk-attest-v01"
 *	string	attestation certificate (DER; empty: self attestation)
 *	string	enrollment signature
 *	string	authenticator data (a CBOR byte string, as libfido2 gives it)
 *	uint32	reserved flags
 *	string	reserved
 *
 * attest_verify() checks one against the key's .pub and the challenge the
 * key was made with (ssh-keygen -O challenge=FILE; clientDataHash =
 * SHA-256 of it): the signature over authenticatorData || clientDataHash,
 * made with the certificate's key (or, self-attested, with the credential
 * itself); that the attested credential is the .pub's key for the .pub's
 * application; that an AAGUID in the certificate (FIDO's extension
 * 1.3.6.1.4.1.45724.1.1.4) is the authenticator's; and, given a CA file
 * (PEM bundle), that the certificate chains to one of its certificates.
 * X.509 and signatures are libcrypto's; the authenticator data is decoded
 * by libfido2 (as for a key the token just made).
 *
 * Errors are SKA_ERR_* (INVALID_FORMAT, SIGNATURE_INVALID,
 * KEY_CERT_MISMATCH ...) with one line for a person in why.
 */
#ifndef SKA_ATTEST_H
#define SKA_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define ATTEST_MAGIC		"ssh-sk-attest-v01"
#define ATTEST_MAX		(64 * 1024)	/* a whole attestation file */

struct key;
struct attest;

/* What a verified attestation says. */
struct attest_info {
	uint8_t aaguid[16];	/* the authenticator model */
	int self;		/* no certificate: self attestation */
	char subject[256];	/* the certificate's subject (RFC 2253), or "" */
	char issuer[256];
	char ca[256];		/* --ca: the subject the chain ended at */
	uint8_t flags;		/* authenticator data flags (UP, UV, ...) */
	uint32_t counter;
	int cred_protect;	/* 0 when the authenticator data has none */
};

/* Parses the format (no cryptography).  Free with attest_free. */
int attest_parse(const uint8_t *blob, size_t len, struct attest **ap,
    char *why, size_t whylen) SKA_WUR;
/*
 * pub: the key the attestation is to be for (a certificate's key counts).
 * ca_file: NULL, or a PEM bundle the certificate must chain to.  info is
 * filled as far as the checks went.
 */
int attest_verify(const struct attest *a, const struct key *pub,
    const uint8_t *challenge, size_t clen, const char *ca_file,
    struct attest_info *info, char *why, size_t whylen) SKA_WUR;
void attest_free(struct attest *a);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (37 bytes with the NUL). */
void attest_aaguid_str(const uint8_t aaguid[16], char out[37]);

#endif
