/*
 * The client side of the agent protocol, for our tools: one request, one
 * reply, over a unix socket.  Replies are capped as OpenSSH's client caps
 * them (256 KiB, 2048 keys) and parsed only through sshbuf.  Everything a
 * function hands over is the caller's; the free functions wipe.
 *
 * key-info@skagent.org (our extension; other agents answer 5):
 *   request  byte 27, string "key-info@skagent.org"
 *   reply    byte 29, string "key-info@skagent.org", u32 n,
 *            n x (string key_blob, string comment, byte sk_flags,
 *                 string application)
 * Keys that are not sk keys have flags 0 and application "".
 */
#ifndef SKA_AGENT_CLIENT_H
#define SKA_AGENT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "agent-proto.h"
#include "err.h"
#include "key.h"
#include "sshbuf.h"

#define AGENT_CLIENT_MAX_REPLY		AGENT_MAX_LEN
#define AGENT_CLIENT_MAX_KEYS		2048

struct agent_key {
	uint8_t *blob;
	size_t bloblen;
	char *comment;
	/* key-info only; 0 and NULL from agent_list_identities() */
	uint8_t sk_flags;
	char *application;
};

struct agent_keylist {
	size_t n;
	struct agent_key *keys;
};

/*
 * Connects to path, or to $SSH_AUTH_SOCK when path is NULL.  No path, or
 * nobody listening: SKA_ERR_AGENT_NOT_PRESENT.  Caller closes *fdp.
 */
int agent_connect(const char *path, int *fdp) SKA_WUR;

/*
 * Sends one request (the message without its length) and reads one reply
 * (type byte first) into *replyp, which the caller frees.  A reply longer
 * than AGENT_CLIENT_MAX_REPLY is refused before it is read.
 */
int agent_request(int fd, const struct sshbuf *req,
    struct sshbuf **replyp) SKA_WUR;

/* REQUEST_IDENTITIES: the blobs and comments ssh-add -L shows. */
int agent_list_identities(int fd, struct agent_keylist **listp) SKA_WUR;

/*
 * An extension request: name, then data (NULL for none).  On
 * SSH_AGENT_SUCCESS *replyp is empty; on EXTENSION_RESPONSE naming the same
 * extension it holds what follows the name.  Replies 5, 28, 30 and 102:
 * SKA_ERR_AGENT_FAILURE; anything else SKA_ERR_INVALID_FORMAT.
 */
int agent_extension(int fd, const char *name, const struct sshbuf *data,
    struct sshbuf **replyp) SKA_WUR;

/*
 * Adds k (which must hold its private half) with comment (NULL: ""), as
 * ssh-add does without -c or -t: ADD_IDENTITY, or, for a security key,
 * ADD_ID_CONSTRAINED with the constraint sk-provider@openssh.com
 * "internal" (ssh-add always names the provider of an sk key).  0 when the
 * agent answered SUCCESS; SKA_ERR_AGENT_FAILURE when it refused (replies 5,
 * 28, 30, 102); SKA_ERR_AGENT_COMMUNICATION when the connection was lost;
 * SKA_ERR_INVALID_FORMAT for any other reply.
 */
int agent_add_identity(int fd, const struct key *k,
    const char *comment) SKA_WUR;
/* The same with the sk-provider@openssh.com path a security-key key is to be
 * signed with (ssh-add -S); agent_add_identity sends "internal". */
int agent_add_identity_provider(int fd, const struct key *k,
    const char *comment, const char *provider) SKA_WUR;

/* key-info@skagent.org: every key with its sk flags and application. */
int agent_key_info(int fd, struct agent_keylist **listp) SKA_WUR;

/* The reply parsers, on bytes alone (for tests and fuzzing). */
int agent_parse_identities(const uint8_t *reply, size_t len,
    struct agent_keylist **listp) SKA_WUR;
int agent_parse_key_info(const uint8_t *data, size_t len,
    struct agent_keylist **listp) SKA_WUR;

/* The entry with this blob, or NULL. */
const struct agent_key *agent_keylist_find(const struct agent_keylist *l,
    const uint8_t *blob, size_t bloblen);
void agent_keylist_free(struct agent_keylist *l);

#endif
