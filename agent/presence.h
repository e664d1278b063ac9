/*
 * Which tokens are there, known without touching them, and which key is
 * on which token.
 *
 * A token is present when its node exists (token_node in lib/token.h: the
 * hidraw device node, the socket of a unix: token).  The node's identity
 * tells a token unplugged and plugged in again (a new node) from one that
 * stayed.
 * A key is on the token that last signed with it, or that a silent probe
 * (an assertion without touch, as OpenSSH chooses a token) found it on.
 *
 * -O hide-absent leaves out of REQUEST_IDENTITIES the security keys whose
 * token is absent: a listing costs one stat(2) per token at most every
 * PRESENCE_CACHE_MS, never device I/O.  A key not yet seen on any token is
 * listed, and probed once in the background on the token pool; a key that
 * no token holds is probed again at most every PROBE_RETRY_MS while hidden
 * (a key plugged in under another device name is found that way).
 * verify-required keys hide from probes (credProtect 3): they are listed
 * until their first signature says where they are.
 */
#ifndef SKA_PRESENCE_H
#define SKA_PRESENCE_H

#include <stdint.h>

#define PRESENCE_CACHE_MS	200
#define PROBE_RETRY_MS		5000
#define PRESENCE_MAX_TOKENS	32

struct conn;
struct identity;
struct sshbuf;

/* The table index (1..PRESENCE_MAX_TOKENS) for spec, added if new; 0 when full. */
int presence_token(const char *spec);
/* The spec of index idx, or NULL. */
const char *presence_token_spec(int idx);
/* Is token idx present now (as of at most PRESENCE_CACHE_MS ago)? */
int presence_token_present(int idx);

/* A signature by id ended with r on token spec ("" or NULL: none chosen). */
void presence_signed(struct identity *id, int r, const char *spec);
/* The token's state is out of date (it failed as if unplugged). */
void presence_token_gone(const char *spec);

/* id's token for the status view: "" unknown; *presentp 1, 0, or -1 unknown. */
const char *presence_key_token(struct identity *id, int *presentp);
/* Would a listing leave id out?  (Starts a probe when one is due.) */
int presence_hidden(struct identity *id);

#endif
