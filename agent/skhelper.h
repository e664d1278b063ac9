/*
 * Signatures with sk keys added with a SecurityKeyProvider (ssh-add -S,
 * sk-provider@openssh.com other than "internal"): the provider library runs
 * in skagent-sk-helper, a one-shot process (agent/sk-helper.c), never in
 * the agent.  The request goes to the helper's stdin, the reply comes from
 * its stdout (lib/skhelper-msg.h); the loop waits on neither.
 */
#ifndef SKA_SKHELPER_H
#define SKA_SKHELPER_H

#include <stddef.h>
#include <stdint.h>

#include "key.h"
#include "sshbuf.h"

struct skhelper;

/*
 * r is 0 and sig the ssh signature (string type, string sig, u8 flags, u32
 * counter), already checked with key_verify; or r is a negative SKA_ERR_*
 * and sig NULL.  SKA_ERR_PIN_REQUIRED: sign again with a PIN (OpenSSH
 * asks once).  sig is valid during the call only.
 */
typedef void skhelper_done_fn(int r, const struct sshbuf *sig, void *arg);

/*
 * Where the helper is (libexec.h): $SKAGENT_SK_HELPER, else
 * skagent-sk-helper beside the running program (the build tree), else in
 * LIBEXECDIR/skagent.  Never NULL; a static buffer.
 */
const char *skhelper_default_path(void);

/*
 * Starts the helper to sign data with sk key k through the provider
 * library at provider (an absolute path); pin and device may be NULL.
 * Everything is copied: k, data and pin may go once this returns.  cb runs
 * later on the loop, exactly once, unless skhelper_cancel() comes first;
 * the handle is gone once cb runs (do not cancel it from there).  The
 * helper gets the agent's environment.  NULL on failure (cb not called).
 */
struct skhelper *skhelper_sign_start(const char *helper_path,
    const char *provider, const struct key *k, const uint8_t *data,
    size_t dlen, const char *pin, const char *device, skhelper_done_fn *cb,
    void *arg);
/* Kills the helper (its touch wait ends); cb is not called.  NULL is fine. */
void skhelper_cancel(struct skhelper *h);

#endif
