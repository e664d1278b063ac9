/*
 * SSH_AGENTC_EXTENSION and the constraint extensions of
 * SSH2_AGENTC_ADD_ID_CONSTRAINED (ext.c): each in one table row, name and
 * handler, the extensions with whether they may run while the agent is
 * locked; "query" answers from the same table.
 */
#ifndef SKA_EXT_H
#define SKA_EXT_H

#include "err.h"

struct conn;
struct identity;
struct sshbuf;

/* The handler of message 27: msg is what follows the type byte. */
void ext_request(struct conn *c, struct sshbuf *msg);
/* A constraint extension name with its body (in msg) for id. */
int ext_constraint(const char *name, struct sshbuf *msg,
    struct identity *id) SKA_WUR;

#endif
