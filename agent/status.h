/*
 * The status view: status@skagent.org in the agent (status.c, reply format
 * in PROTOCOL.skagent) and `skagent --status` / `skagent --log` on the
 * client side (view.c).
 */
#ifndef SKA_STATUS_H
#define SKA_STATUS_H

#include <stddef.h>

#include "agent-proto.h"	/* AGENT_EXT_STATUS */

#define STATUS_UNKNOWN		0xffffffffU	/* a u32 not known */
#define STATUS_TOKEN_ABSENT	0
#define STATUS_TOKEN_PRESENT	1
#define STATUS_TOKEN_BUSY	2
#define STATUS_PIN_NONE		0	/* the token has no PIN support */
#define STATUS_PIN_UNSET	1
#define STATUS_PIN_SET		2
#define STATUS_KEY_UNKNOWN	0	/* in memory, or not known yet */
#define STATUS_KEY_PRESENT	1
#define STATUS_KEY_ABSENT	2

struct conn;

/* status.c: answers c (possibly later, from the token pool). */
void status_request(struct conn *c);

/*
 * view.c: `skagent --status` (the agent on $SSH_AUTH_SOCK) and `skagent
 * --log` (the record file, the last n entries, a table or the raw lines).
 * Exit status for main(): 0, or 1 with a message on stderr.
 */
int view_status(void);
int view_log(size_t n, int json);

#endif
