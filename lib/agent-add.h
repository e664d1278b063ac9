/*
 * Hands a private key to a running agent (SSH_AGENTC_ADD_IDENTITY), as
 * ssh-add does without constraints.  To be folded into lib/agent-client.
 */
#ifndef SKA_AGENT_ADD_H
#define SKA_AGENT_ADD_H

#include "err.h"
#include "key.h"

#define AGENT_ADD_MAX_REPLY	(256 * 1024)	/* longer replies are refused */

/*
 * Connects to the agent socket at path (NULL: $SSH_AUTH_SOCK) and adds k
 * (which must hold its private half) with comment (NULL: "").  Returns 0
 * when the agent answered SUCCESS; SKA_ERR_AGENT_NOT_PRESENT (no socket
 * set or no agent listening), SKA_ERR_AGENT_FAILURE (the agent refused),
 * SKA_ERR_AGENT_COMMUNICATION (anything else: a short, long or strange
 * reply, the connection lost).
 */
int agent_add_identity(const char *path, const struct key *k,
    const char *comment) SKA_WUR;
/* The same on a connected socket, which stays open. */
int agent_add_identity_fd(int fd, const struct key *k,
    const char *comment) SKA_WUR;

#endif
