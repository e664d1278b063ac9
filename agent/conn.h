/*
 * A client connection, owned by the loop (loop.c moves its bytes); conn.c
 * frames its input and queues its replies, with no I/O of its own.
 */
#ifndef SKA_CONN_H
#define SKA_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent-proto.h"
#include "key.h"
#include "sshbuf.h"

#define AGENT_MAX_BINDS		16
/* Replies waiting to be read above this stop the reading of requests. */
#define CONN_OUT_HIGH		(1024 * 1024)

struct request;

struct session_bind {
	struct key *hostkey;
	uint8_t *sid;
	size_t sidlen;
	int forwarded;
};

struct conn {
	int fd;
	uid_t uid;
	pid_t pid;
	struct sshbuf *in, *out;
	struct request *req;	/* the request in flight (request.h): later input waits */
	int dispatching;	/* inside proto_dispatch() */
	int dead;		/* the client left: freed when its request ends */
	int close_after;	/* close once the output is sent */
	uint32_t events;	/* epoll mask in force */
	void *loop_private;
	struct session_bind binds[AGENT_MAX_BINDS];
	size_t nbinds;
	int bind_attempted;	/* a session-bind was tried (remote socket) */
	char *dest_desc;	/* policy.c: where the request in flight goes */
	char *requester;	/* record.c: the peer's process chain */
	struct conn *prev, *next;
};

struct conn *conn_new(int fd, uid_t uid, pid_t pid);
void conn_free(struct conn *c);
/* A request is in flight: no further input is read until it ends. */
#define conn_busy(c)	((c)->req != NULL)
/* Dispatches every complete frame in c->in (until one has to wait). */
void conn_input(struct conn *c);
/* Queues a reply frame (the u32 length is added); nothing once c is dead. */
void conn_reply(struct conn *c, const struct sshbuf *msg);
void conn_reply_status(struct conn *c, int success);
/*
 * The client left (the caller has closed the socket and set c->dead): the
 * request in flight is cancelled and frees c when it ends; with none, c
 * is freed now.
 */
void conn_gone(struct conn *c);
/*
 * For request.c: c's request ended.  Reads on (the next frame), or frees
 * c when its client left.  Within proto_dispatch() (a request that ended
 * at once) it only clears c->req: conn_input goes on by itself.
 */
void conn_done(struct conn *c);

#endif
