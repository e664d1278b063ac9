/*
 * PKCS#11 modules (ssh-add -s): each runs in a skagent-pkcs11-helper
 * process of its own (agent/pkcs11-helper.c), never in the agent.  A
 * module is loaded once (the helper logs in and lists the keys) and then
 * signs until it is freed, which closes the helper's pipes: it finalizes
 * the module and exits.  The messages are in lib/p11helper-msg.h.
 *
 * The loop never waits on a helper: requests go down a pipe sized to hold
 * a whole one (one at a time), replies come back on another pipe the loop
 * watches.  Calls are answered in order.  A helper that exits or breaks
 * the protocol fails every call in flight at once and leaves its module
 * dead; one that hangs is found by its caller's deadline
 * (p11_module_kill).  All of this runs on the loop thread.
 */
#ifndef SKA_P11_H
#define SKA_P11_H

#include <stddef.h>
#include <stdint.h>

#include "p11helper-msg.h"

struct p11_module;
struct p11_call;

/*
 * A call's end: r 0 and the helper's reply (valid during the callback; its
 * status may still be a failure), or r a negative SKA_ERR_* and reply NULL
 * (the helper died, hung, or was ended).  Called once, unless the call was
 * cancelled first, and never before the function that made the call has
 * returned; the call is gone after it.
 */
typedef void p11_call_fn(int r, const struct p11_msg *reply, void *arg);

/* How long a call may take before its helper is taken for hung (ms). */
#define P11_CALL_TIMEOUT_MS	30000
/* The same, from $SKAGENT_PKCS11_TIMEOUT (seconds) when set. */
uint64_t p11_call_timeout_ms(void);

/* $SKAGENT_PKCS11_HELPER, else skagent-pkcs11-helper (libexec.h). */
const char *p11_helper_path(void);

/*
 * Starts a helper for the module at path (absolute and canonical) and
 * asks it to load the module with pin (NULL: none; copied and wiped once
 * sent).  The module is registered under path (p11_module_find) and has
 * one reference, the caller's; *callp is the load call.  NULL on failure
 * (cb not called).
 */
struct p11_module *p11_module_start(const char *path, const char *pin,
    p11_call_fn *cb, void *arg, struct p11_call **callp);
/*
 * Asks the helper to sign tbs with its key number key (P11_MECH_*); pin
 * (NULL: none) for a key listed always_auth, wiped once sent.
 */
struct p11_call *p11_module_sign(struct p11_module *m, uint32_t key,
    uint32_t mech, const uint8_t *tbs, size_t tbslen, const char *pin,
    p11_call_fn *cb, void *arg);
/* The caller no longer waits: cb is never called.  NULL is fine. */
void p11_call_cancel(struct p11_call *c);

/* The module loaded from path, or NULL. */
struct p11_module *p11_module_find(const char *path);
const char *p11_module_path(const struct p11_module *m);
/* Its helper runs and answers (not killed, not exited). */
int p11_module_alive(const struct p11_module *m);
/* The helper's pid while it runs, else -1 (for logs). */
long p11_module_pid(const struct p11_module *m);
/*
 * Kills the helper at once (SIGKILL: a stopped or hung one too); every
 * call in flight ends with r.  The module stays registered, dead, until
 * closed.
 */
void p11_module_kill(struct p11_module *m, int r);
/*
 * References: the loader's, and one per identity whose key the module
 * holds.  The last one gone closes the module and frees it.
 */
void p11_module_ref(struct p11_module *m);
void p11_module_unref(struct p11_module *m);
/*
 * Closes the module (ssh-add -e, remove-all, exit): it is no longer
 * registered, its helper's pipes close (the helper finalizes the module
 * and exits; one that has not answered the call in flight is killed), and
 * calls in flight end with SKA_ERR_CANCELLED.  The struct lives on until
 * its last reference goes; a closed module is not alive.
 */
void p11_module_close(struct p11_module *m);
void p11_module_close_all(void);

#endif
