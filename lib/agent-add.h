/*
 * Hands a private key to a running agent (SSH_AGENTC_ADD_IDENTITY), as
 * ssh-add does without constraints.  Built on agent-client; meant to be
 * folded into it.
 */
#ifndef SKA_AGENT_ADD_H
#define SKA_AGENT_ADD_H

#include "err.h"
#include "key.h"

#define SSH_AGENTC_ADD_IDENTITY		17

/*
 * Connects to the agent socket at path (NULL: $SSH_AUTH_SOCK) and adds k
 * (which must hold its private half) with comment (NULL: "").  Returns 0
 * when the agent answered SUCCESS; SKA_ERR_AGENT_NOT_PRESENT (no socket
 * set or nobody listening), SKA_ERR_AGENT_FAILURE (the agent refused:
 * replies 5, 28, 30, 102), SKA_ERR_AGENT_COMMUNICATION (connection lost,
 * reply cut short), SKA_ERR_INVALID_FORMAT (an empty or over-long frame,
 * or a reply that is neither success nor failure).
 */
int agent_add_identity(const char *path, const struct key *k,
    const char *comment) SKA_WUR;
/* The same on a connected socket, which stays open. */
int agent_add_identity_fd(int fd, const struct key *k,
    const char *comment) SKA_WUR;

#endif
