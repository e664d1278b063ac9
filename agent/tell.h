/*
 * What the agent tells the user about a request (say.h has the words):
 * what it is for (the key, the login's destination named and confirmed
 * through known_hosts: destview.h, the host key), and why it failed when
 * the user can act on it.  Loop thread.
 */
#ifndef SKA_TELL_H
#define SKA_TELL_H

#include <stddef.h>
#include <stdint.h>

#include "destview.h"
#include "say.h"

struct conn;
struct identity;

/*
 * What a question or notice about c's request with id over data says it
 * is for.  w points into the struct; clear it with tell_words_clear.
 */
struct tell_words {
	struct say_what w;
	char *use_text;
	char *fp;
	struct dest_view dest;
};
void tell_words_make(struct conn *c, const struct identity *id,
    const uint8_t *data, size_t dlen, struct tell_words *tw);
void tell_words_clear(struct tell_words *tw);

/*
 * Tells the user why c's request with id failed (r), when it is a failure
 * they can act on (say_failure): --notify-cmd or the desktop, and the
 * requester's terminal (notice_failure); the failure itself is logged
 * where it happens.  retries: PIN tries left (-1 unknown); token: the
 * token used ("" none); why: why nobody could be asked.
 */
void tell_failure(struct conn *c, const struct identity *id, int r,
    int retries, const char *token, const char *why);

/*
 * The notice fields every notice about c's request with id carries: its
 * key (fp: the fingerprint), the token, who asked.  ni is zeroed first.
 */
struct notice_info;
void tell_notice_info(struct notice_info *ni, struct conn *c,
    const struct identity *id, const char *fp, const char *token);

/* Did c's request come through a forwarded agent (a session-bind says so)? */
int tell_forwarded(const struct conn *c);

#endif
