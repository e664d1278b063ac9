/*
 * Who may use which key for what, as OpenSSH's ssh-agent.c decides it:
 * the websafe rule for security keys (policy.c), the provider allowlist
 * (-P), destination constraints (dest.h).  Loop thread; nothing here waits.
 */
#ifndef SKA_POLICY_H
#define SKA_POLICY_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct conn;
struct identity;
struct sshbuf;

/*
 * 0 when c may have id sign data (websafe rule, destination constraints),
 * -1 when not (logged).
 */
int policy_sign_permitted(struct conn *c, struct identity *id,
    const uint8_t *data, size_t dlen);
/*
 * Checks an identity about to be added by c (a restricted key it may not
 * replace, the provider allowlist; the provider path made canonical).
 */
int policy_add_check(struct conn *c, struct identity *id) SKA_WUR;
/*
 * May c have the agent use the library at path (a security-key provider or
 * a PKCS#11 module)?
 * Not from a forwarded connection unless -O allow-remote-pkcs11; its real
 * path (into canonical) must match -P's patterns or the default.  0, or
 * SKA_ERR_AGENT_FAILURE (logged).
 */
int policy_provider_allowed(struct conn *c, const char *path,
    char canonical[PATH_MAX]) SKA_WUR;
/*
 * The identities answer as c may see it (destination constraints, -O
 * hide-absent, nothing while locked); caller frees; NULL on failure.
 */
struct sshbuf *policy_identities_for(struct conn *c);

#endif
