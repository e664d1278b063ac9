/*
 * SSH_AGENTC_LOCK and SSH_AGENTC_UNLOCK (lock.c): the key derivation
 * (Argon2id) runs on a worker, never on the loop; the keystore seals or
 * opens the keys on the loop.  A lock waits for the in-memory signatures
 * on workers, which use the keys it seals.  A wrong unlock password is
 * answered after a back-off that grows with the failures (all clients).
 */
#ifndef SKA_LOCK_H
#define SKA_LOCK_H

struct conn;
struct sshbuf;

/* The handler: lock 1 for LOCK, 0 for UNLOCK. */
void lock_request(struct conn *c, struct sshbuf *msg, int lock);
/* A lock has its key and waits for signatures to finish. */
int lock_pending(void);
/* sign.c: no in-memory signature runs any more. */
void lock_signs_idle(void);

#endif
