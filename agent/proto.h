/*
 * proto.c: one handler per agent message.  Every request gets exactly one
 * reply; a malformed one gets SSH_AGENT_FAILURE and the connection goes
 * on.  A handler that has to wait makes a request (request.h) and answers
 * when it ends.
 */
#ifndef SKA_PROTO_H
#define SKA_PROTO_H

struct conn;
struct identity;
struct sshbuf;

/* One complete message (type byte first); replies via conn_reply. */
void proto_dispatch(struct conn *c, struct sshbuf *msg);
/* ssh-add -D and SIGUSR1: every key goes, and what goes with them. */
void proto_remove_all(void);
/*
 * The constraints after a key (ADD_ID_CONSTRAINED, and the smartcard
 * request's), into id; *lifetime_set when one set the lifetime.  more
 * (may be NULL) is tried first with each extension's name and body (arg
 * its own); SKA_ERR_FEATURE_UNSUPPORTED from it hands the name on to the
 * usual constraint extensions.
 */
typedef int proto_constraint_fn(const char *name, struct sshbuf *msg,
    void *arg);
int proto_parse_constraints(struct sshbuf *msg, struct identity *id,
    int *lifetime_set, proto_constraint_fn *more, void *arg);

#endif
