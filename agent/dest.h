/*
 * Destination constraints (ssh-add -h; restrict-destination-v00@openssh.com
 * in OpenSSH's PROTOCOL.agent), decided as OpenSSH's ssh-agent.c decides
 * them: a key restricted to destinations is listed and used only along the
 * hops its constraints name, as the connection's session-binds show them.
 */
#ifndef SKA_DEST_H
#define SKA_DEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct conn;
struct identity;
struct sshbuf;

/* The constraint's body (a string of constraints) from msg into id. */
int dest_parse(struct sshbuf *msg, struct identity *id) SKA_WUR;
/* OpenSSH's identity_permitted(): 0 when c may use id; user NULL for listings. */
int dest_identity_permitted(struct conn *c, struct identity *id,
    const char *user);
/*
 * 0 when c may have id sign data along its hops (always for a key with no
 * constraint); -1 when not (logged).  Sets c->dest_desc, which
 * dest_conn_destination shows.
 */
int dest_sign_permitted(struct conn *c, struct identity *id,
    const uint8_t *data, size_t dlen);
/* Does this connection see a filtered list of identities? */
int dest_conn_restricted(struct conn *c);
/* "Requested ... (host key ...)" for prompts about c's request, or NULL; caller frees. */
char *dest_conn_destination(struct conn *c);

#endif
