/*
 * proto.c: one handler per agent message.  Every request gets exactly one
 * reply; a malformed one gets SSH_AGENT_FAILURE and the connection goes
 * on.  A handler that has to wait makes a request (request.h) and answers
 * when it ends.
 */
#ifndef SKA_PROTO_H
#define SKA_PROTO_H

struct conn;
struct sshbuf;

/* One complete message (type byte first); replies via conn_reply. */
void proto_dispatch(struct conn *c, struct sshbuf *msg);
/* ssh-add -D and SIGUSR1: every key goes, and what goes with them. */
void proto_remove_all(void);

#endif
