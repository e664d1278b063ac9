/*
 * Where the agent finds the programs it runs but that are not commands
 * (skagent-sk-helper, skagent-pkcs11-helper): installed in
 * $(LIBEXECDIR)/skagent, as OpenSSH keeps ssh-sk-helper out of bin.
 */
#ifndef SKA_LIBEXEC_H
#define SKA_LIBEXEC_H

#include <stddef.h>

/*
 * The path of helper name into buf (len bytes): $env when that is set and
 * not empty (tests, a helper elsewhere); else name in the directory of the
 * running program when it is there (the build tree); else name in the
 * compiled-in LIBEXECDIR/skagent.  Returns buf (truncated paths: name in
 * LIBEXECDIR).
 */
const char *helper_path(const char *name, const char *env, char *buf,
    size_t len);

#endif
