/*
 * The messages between skagent and skagent-sk-helper, the process that
 * runs a SecurityKeyProvider library (OpenSSH's sk-api.h; ssh-add -S, the
 * sk-provider@openssh.com constraint) so that it never runs in the agent.
 * One request, one reply, then the helper exits (as OpenSSH's
 * ssh-sk-helper).  Each is one frame, u32 length then body, on the
 * helper's stdin and stdout; the frame is the whole stream.
 *
 * Request body (version 1):
 *	u8	version		1
 *	u8	type		1 = sign
 *	string	provider	absolute path of the library (no NUL)
 *	u32	alg		sk-api: 0 ECDSA P-256, 1 Ed25519
 *	string	data		the message; the provider hashes it
 *	string	application	(no NUL, not empty)
 *	string	key_handle	(not empty)
 *	u8	flags		the key's sk flags
 *	string	pin		"" for none (no NUL)
 *	string	device		the sk-api "device" option, "" for none
 *
 * Reply body (version 1):
 *	u8	version		1
 *	u32	status		0 or SKHELPER_ERR_*
 *   then, only when status is 0:
 *	u8	flags		as the token signed them (UP 0x01, UV 0x04)
 *	u32	counter
 *	string	sig_r		ECDSA r, or the 64-byte Ed25519 signature
 *	string	sig_s		ECDSA s, or empty
 *
 * Nothing may follow the last field.  Parsers check every field and cap
 * every length; a PIN lives only in buffers that are wiped when freed.
 */
#ifndef SKA_SKHELPER_MSG_H
#define SKA_SKHELPER_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "key.h"
#include "sshbuf.h"

#define SKHELPER_VERSION	1
#define SKHELPER_SIGN		1
/* Largest frame body: a 256 KiB agent request's data plus the rest. */
#define SKHELPER_MSG_MAX	(512 * 1024)
#define SKHELPER_PATH_MAX	4096
#define SKHELPER_SIG_MAX	256	/* sig_r, sig_s */

/* sk-api algorithms */
#define SKHELPER_ALG_ECDSA	0
#define SKHELPER_ALG_ED25519	1

/* Reply status: 1..5 are the provider's SSH_SK_ERR_* negated. */
#define SKHELPER_OK			0
#define SKHELPER_ERR_GENERAL		1
#define SKHELPER_ERR_UNSUPPORTED	2
#define SKHELPER_ERR_PIN_REQUIRED	3
#define SKHELPER_ERR_DEVICE_NOT_FOUND	4
#define SKHELPER_ERR_CREDENTIAL_EXISTS	5
#define SKHELPER_ERR_PROVIDER		16	/* cannot load the library */
#define SKHELPER_ERR_REQUEST		17	/* malformed request */
#define SKHELPER_ERR_RESPONSE		18	/* provider answered nonsense */

struct skhelper_sign_req {
	char *provider;
	uint32_t alg;
	uint8_t *data;
	size_t dlen;
	char *application;
	uint8_t *key_handle;
	size_t khlen;
	uint8_t flags;
	char *pin;		/* NULL: none */
	char *device;		/* NULL: none */
};

struct skhelper_sign_reply {
	uint32_t status;
	uint8_t flags;
	uint32_t counter;
	uint8_t *sig_r;
	size_t rlen;
	uint8_t *sig_s;
	size_t slen;
};

/* Appends the request frame (pin, device NULL or "": none). */
int skhelper_put_sign_req(const struct skhelper_sign_req *req,
    struct sshbuf *out) SKA_WUR;
/*
 * The request to sign data with sk key k through provider: alg,
 * application, key handle and flags from the key.
 */
int skhelper_put_sign_req_key(const struct key *k, const char *provider,
    const uint8_t *data, size_t dlen, const char *pin, const char *device,
    struct sshbuf *out) SKA_WUR;
/* Parses one whole request frame; caller frees *reqp. */
int skhelper_get_sign_req(const uint8_t *msg, size_t len,
    struct skhelper_sign_req **reqp) SKA_WUR;
/* Wipes (the PIN too) and frees; NULL is fine. */
void skhelper_sign_req_free(struct skhelper_sign_req *req);

/* Appends the reply frame; sig_r/sig_s ignored unless status is 0. */
int skhelper_put_sign_reply(const struct skhelper_sign_reply *rep,
    struct sshbuf *out) SKA_WUR;
/* Parses one whole reply frame; caller frees *repp. */
int skhelper_get_sign_reply(const uint8_t *msg, size_t len,
    struct skhelper_sign_reply **repp) SKA_WUR;
void skhelper_sign_reply_free(struct skhelper_sign_reply *rep);

/* A provider's sk_sign() result (0, SSH_SK_ERR_*) as a reply status. */
uint32_t skhelper_status_from_sk(int skerr);
/* A reply status as SKA_ERR_* (0 for SKHELPER_OK). */
int skhelper_status_err(uint32_t status);
const char *skhelper_status_str(uint32_t status);

/*
 * The whole helper output for a request to sign data with k: the ssh
 * signature (string type, string sig, u8 flags, u32 counter), checked with
 * key_verify, is appended to sig; or the reply's status as SKA_ERR_*
 * (SKA_ERR_SIGNATURE_INVALID when the signature does not verify, a parse
 * error for a malformed reply).  *statusp (statusp may be NULL) is the
 * reply's status, SKHELPER_ERR_RESPONSE for a malformed reply.
 */
int skhelper_sign_result(const struct key *k, const uint8_t *data,
    size_t dlen, const uint8_t *out, size_t outlen, struct sshbuf *sig,
    uint32_t *statusp) SKA_WUR;

#endif
