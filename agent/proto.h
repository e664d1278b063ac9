/* Between the protocol handlers (proto.c) and their helpers. */
#ifndef SKA_PROTO_H
#define SKA_PROTO_H

#include "agent.h"
#include "child.h"

/* proto.c */
void proto_sign_finish(struct conn *c, int r, const struct sshbuf *sig);
void proto_lock_resume(void);

/* ext.c: extensions, constraint extensions, destination restrictions */
void proto_extension(struct conn *c, struct sshbuf *msg);
int proto_constraint_extension(const char *name, struct sshbuf *msg,
    struct identity *id) SKA_WUR;
/* Checks an identity about to be added (provider allowlist...). */
int proto_add_check(struct conn *c, struct identity *id) SKA_WUR;
/* 0 when c may use id to sign data (destination and websafe rules). */
int proto_sign_permitted(struct conn *c, struct identity *id,
    const uint8_t *data, size_t dlen);
/* OpenSSH's identity_permitted(): user NULL for listings. */
int proto_identity_permitted(struct conn *c, struct identity *id,
    const char *user);
/* "destination ..." text for prompts about c's request; caller frees. */
char *proto_conn_destination(struct conn *c);
/* Does this connection see a filtered list of identities? */
int proto_conn_restricted(struct conn *c);
/* The identities answer as this connection may see it (destination
 * constraints, -O hide-absent); caller frees. */
struct sshbuf *proto_identities_for(struct conn *c);

/* confirm.c: when ssh-add -c confirmation is needed, askpass's question */
int proto_confirm_required(struct conn *c);
char *proto_confirm_prompt(struct conn *c, struct identity *id);

/* sk.c: signatures through security keys */
struct token_ctx;
void proto_sk_sign(struct conn *c, struct identity *id, const uint8_t *data,
    size_t dlen, uint32_t flags);
int proto_sk_cancel(struct conn *c);
extern struct token_ctx *agent_tokens;
void proto_on_lock(void);
/* At exit, after the pools have stopped. */
void proto_sk_shutdown(void);

#endif
