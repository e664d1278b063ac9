/*
 * A client connection without its socket: the input is cut into frames
 * (capped at AGENT_MAX_LEN before anything is buffered beyond it), each
 * frame goes to proto_dispatch(), replies are queued in c->out.  The loop
 * (loop.c) moves the bytes; the fuzz harness drives this file directly.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conn.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "request.h"

struct conn *
conn_new(int fd, uid_t uid, pid_t pid)
{
	struct conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->in = sshbuf_new()) == NULL || (c->out = sshbuf_new()) == NULL) {
		sshbuf_free(c->in);
		free(c);
		return NULL;
	}
	c->fd = fd;
	c->uid = uid;
	c->pid = pid;
	return c;
}

void
conn_free(struct conn *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nbinds; i++) {
		key_free(c->binds[i].hostkey);
		free(c->binds[i].sid);
	}
	free(c->dest_desc);
	free(c->requester);
	sshbuf_free(c->in);
	sshbuf_free(c->out);
	loop_watch_release(c->loop_private);
	free(c);
}

/* The whole frame or nothing: never a length without its message. */
void
conn_reply(struct conn *c, const struct sshbuf *msg)
{
	size_t len = sshbuf_len(msg);
	uint8_t *p;

	if (c->dead)
		return;
	if (sshbuf_reserve(c->out, 4 + len, &p) != 0) {
		error("reply: out of memory; closing connection");
		c->close_after = 1;
		return;
	}
	poke_u32(p, (uint32_t)len);
	if (len != 0)
		memcpy(p + 4, sshbuf_ptr(msg), len);
}

void
conn_reply_status(struct conn *c, int success)
{
	static const uint8_t ok[5] = { 0, 0, 0, 1, SSH_AGENT_SUCCESS };
	static const uint8_t fail[5] = { 0, 0, 0, 1, SSH_AGENT_FAILURE };

	if (c->dead)
		return;
	if (sshbuf_put(c->out, success ? ok : fail, 5) != 0)
		c->close_after = 1;
}

/* Handles every complete frame in c->in, stopping at one that goes async. */
void
conn_input(struct conn *c)
{
	struct sshbuf *msg = NULL;
	uint32_t len;

	while (!conn_busy(c) && !c->dead && !c->close_after &&
	    sshbuf_len(c->out) < CONN_OUT_HIGH) {
		if (sshbuf_peek_u32(c->in, &len) != 0)
			break;
		if (len > AGENT_MAX_LEN) {
			debug("client sent a %u-byte frame; closing", len);
			c->close_after = 1;
			sshbuf_reset(c->out);
			break;
		}
		if (sshbuf_len(c->in) < 4 + (size_t)len)
			break;
		if ((msg = sshbuf_from(sshbuf_ptr(c->in) + 4, len)) == NULL) {
			c->close_after = 1;
			break;
		}
		c->dispatching = 1;
		proto_dispatch(c, msg);
		c->dispatching = 0;
		sshbuf_free(msg);
		/* requests carry private keys and passwords: leave nothing */
		sodium_memzero(sshbuf_mutable_ptr(c->in), 4 + (size_t)len);
		if (sshbuf_consume(c->in, 4 + (size_t)len) != 0)
			c->close_after = 1;
	}
}

void
conn_done(struct conn *c)
{
	c->req = NULL;
	if (c->dispatching)
		return;		/* it ended at once: conn_input goes on */
	if (c->dead) {
		conn_free(c);
		return;
	}
	conn_input(c);
	loop_conn_update(c);
}

void
conn_gone(struct conn *c)
{
	if (conn_busy(c))
		request_cancel(c->req, SKA_ERR_CANCELLED);	/* frees c when it ends */
	else
		conn_free(c);
}
