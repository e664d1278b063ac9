/*
 * pkcs11.c: smartcard keys, as OpenSSH's agent has them: ssh-add -s and -e
 * (SSH_AGENTC_ADD_SMARTCARD_KEY, ..._CONSTRAINED, _REMOVE_SMARTCARD_KEY)
 * and the signer of the keys they load, through the PKCS#11 modules'
 * helpers (p11.h).
 */
#ifndef SKA_PKCS11_H
#define SKA_PKCS11_H

struct conn;
struct sshbuf;

/* The handlers of messages 20 / 26 (constrained) and 21. */
void pkcs11_add_request(struct conn *c, struct sshbuf *msg, int constrained);
void pkcs11_remove_request(struct conn *c, struct sshbuf *msg);

/* sign.h's signer for the keys a module holds */
extern const struct signer pkcs11_signer;

#endif
