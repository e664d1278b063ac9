/*
 * The messages between skagent and skagent-pkcs11-helper, the process that
 * runs one PKCS#11 module (ssh-add -s) so that the module never runs in
 * the agent.  The helper lives as long as its module is added: LOAD comes
 * first (it loads the module, logs in, lists the keys), then any number of
 * SIGN; at EOF (ssh-add -e, remove-all, agent exit) it logs out, calls
 * C_Finalize and exits.  Requests arrive on its fd 0 and replies leave on
 * its fd 1 (one socket), one frame each: u32 length, then the body.  They
 * are answered one at a time, in order.
 *
 * Request body (version 2):
 *	u8	version		2
 *	u8	type		1 load, 2 sign
 *	u32	seq		echoed in the reply
 *   load:
 *	string	module		absolute path, canonical (no NUL)
 *	string	pin		"" for none (no NUL)
 *   sign:
 *	u32	key		index into the load reply's list
 *	u32	mechanism	P11_MECH_*
 *	string	tbs		what C_Sign signs (see p11_sign_input)
 *	string	pin		"" for none (no NUL): the PIN of the
 *				context-specific login a key marked
 *				always_auth needs for each signature
 *
 * Reply body (version 2):
 *	u8	version		2
 *	u8	type		the request's
 *	u32	seq		the request's
 *	u32	status		0 or P11_ERR_*
 *   load, status 0:
 *	u32	nkeys		at most P11_MAX_KEYS
 *	nkeys x	string blob	the ssh public key
 *		string label	its CKA_LABEL, "" if none (no NUL)
 *		u8	always_auth	1: each signature needs the PIN
 *				(CKA_ALWAYS_AUTHENTICATE, PIV's slot 9c)
 *   sign, status 0:
 *	string	sig		C_Sign's output: RSA s, ECDSA r || s,
 *				EdDSA R || S
 *
 * Nothing may follow the last field.  Every length is capped; a parsed
 * PIN is in locked memory, and every buffer that held one is wiped.  The agent trusts no
 * reply: keys are parsed with key_from_blob and every signature is checked
 * with key_verify before it goes to a client.
 */
#ifndef SKA_P11HELPER_MSG_H
#define SKA_P11HELPER_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"
#include "sshbuf.h"

#define P11_VERSION		2
#define P11_LOAD		1
#define P11_SIGN		2

/* Largest frame body: a 256 KiB agent request's data (EdDSA) and more. */
#define P11_MSG_MAX		(1024 * 1024)
#define P11_PATH_MAX		4096
#define P11_PIN_MAX		256
#define P11_MAX_KEYS		256
#define P11_LABEL_MAX		256
#define P11_BLOB_MAX		8192
#define P11_SIG_MAX		2048	/* RSA 16384 bits */

/* Mechanisms: what tbs holds */
#define P11_MECH_RSA_PKCS	1	/* a DigestInfo (CKM_RSA_PKCS) */
#define P11_MECH_ECDSA		2	/* the hash (CKM_ECDSA) */
#define P11_MECH_EDDSA		3	/* the message (CKM_EDDSA) */

/* Reply status */
#define P11_OK			0
#define P11_ERR_GENERAL		1	/* the module failed */
#define P11_ERR_MODULE		2	/* not loaded: not a module, no file... */
#define P11_ERR_PIN_INCORRECT	3
#define P11_ERR_PIN_LOCKED	4
#define P11_ERR_PIN_LEN		5	/* PIN too short or too long */
#define P11_ERR_NO_KEYS		6	/* logged in, no signing key */
#define P11_ERR_LOGIN_REQUIRED	7	/* no PIN given, the token needs one */
#define P11_ERR_KEY		8	/* no such key index, or key gone */
#define P11_ERR_LOGGED_OUT	9	/* the token logged us out (removed?) */
#define P11_ERR_REQUEST		10	/* malformed or unexpected request */
#define P11_ERR_MECHANISM	11	/* the key cannot sign this way */

struct p11_key {
	uint8_t *blob;
	size_t bloblen;
	char *label;
	int always_auth;	/* the sign request must carry the PIN */
};

struct p11_msg {
	uint8_t type;		/* P11_LOAD, P11_SIGN */
	uint32_t seq;
	/* requests */
	char *module;		/* load */
	char *pin;		/* load, sign; NULL: none; locked memory (secmem.h) */
	uint32_t key;		/* sign */
	uint32_t mech;		/* sign */
	uint8_t *tbs;		/* sign */
	size_t tbslen;
	/* replies */
	uint32_t status;
	struct p11_key *keys;	/* load */
	size_t nkeys;
	uint8_t *sig;		/* sign */
	size_t siglen;
};

/* Wipes (the PIN and what is signed too) and frees; NULL is fine. */
void p11_msg_free(struct p11_msg *m);

/*
 * Takes one whole frame off the front of a stream: *bodyp is a copy of its
 * body (the caller frees it).  SKA_ERR_MESSAGE_INCOMPLETE: not all there
 * yet (nothing taken); SKA_ERR_STRING_TOO_LARGE: a length over
 * P11_MSG_MAX (the stream is broken).
 */
int p11_frame_take(struct sshbuf *stream, struct sshbuf **bodyp) SKA_WUR;

/* Requests: each appends one frame to out. */
int p11_put_load_req(uint32_t seq, const char *module, const char *pin,
    struct sshbuf *out) SKA_WUR;
int p11_put_sign_req(uint32_t seq, uint32_t key, uint32_t mech,
    const uint8_t *tbs, size_t tbslen, const char *pin,
    struct sshbuf *out) SKA_WUR;
/* A request's body (from p11_frame_take); the caller frees *mp. */
int p11_get_req(const struct sshbuf *body, struct p11_msg **mp) SKA_WUR;

/* Replies.  keys/sig are ignored unless status is P11_OK. */
int p11_put_load_reply(uint32_t seq, uint32_t status,
    const struct p11_key *keys, size_t nkeys, struct sshbuf *out) SKA_WUR;
int p11_put_sign_reply(uint32_t seq, uint32_t status, const uint8_t *sig,
    size_t siglen, struct sshbuf *out) SKA_WUR;
int p11_get_reply(const struct sshbuf *body, struct p11_msg **mp) SKA_WUR;

/* A reply status for people; never NULL. */
const char *p11_status_str(uint32_t status);
/* A reply status as SKA_ERR_* (0 for P11_OK). */
int p11_status_err(uint32_t status);

/*
 * The ssh public key blob of a module's key, from its PKCS#11 attributes,
 * appended to out after checking it with key_from_blob:
 * RSA: CKA_MODULUS and CKA_PUBLIC_EXPONENT (unsigned big-endian);
 * EC: CKA_EC_PARAMS (the DER OID of P-256, P-384 or P-521, or of
 * Ed25519 / the PrintableString "edwards25519") and CKA_EC_POINT (a DER
 * OCTET STRING around the point, or the bare point as some modules give).
 */
int p11_blob_rsa(const uint8_t *n, size_t nlen, const uint8_t *e,
    size_t elen, struct sshbuf *out) SKA_WUR;
int p11_blob_ec(const uint8_t *params, size_t plen, const uint8_t *point,
    size_t ptlen, struct sshbuf *out) SKA_WUR;

/*
 * What the module signs for an agent request to sign data with k (flags:
 * SSH_AGENT_RSA_SHA2_256 / _512 for RSA, agent-proto.h): *mechp, and tbs
 * appended to out.  RSA: the DigestInfo of SHA-1, SHA-256 or SHA-512;
 * ECDSA: the hash the curve goes with; Ed25519: data itself.
 */
int p11_sign_input(const struct key *k, uint32_t flags, const uint8_t *data,
    size_t dlen, uint32_t *mechp, struct sshbuf *out) SKA_WUR;
/*
 * The ssh signature (string alg, string sig) made of the module's raw
 * output for that request, appended to sig once key_verify accepts it
 * (SKA_ERR_SIGNATURE_INVALID when it does not: a module that signs
 * something else is caught here).
 */
int p11_sign_result(const struct key *k, uint32_t flags, const uint8_t *data,
    size_t dlen, const uint8_t *raw, size_t rawlen, struct sshbuf *sig) SKA_WUR;

#endif
