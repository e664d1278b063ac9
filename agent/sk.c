/* Signatures through security keys: not in this build yet. */
#include "proto.h"

void
proto_sk_sign(struct conn *c, struct identity *id, const uint8_t *data,
    size_t dlen, uint32_t flags)
{
	(void)id;
	(void)data;
	(void)dlen;
	(void)flags;
	error("security-key signatures are not supported yet");
	conn_reply_status(c, 0);
}

void
proto_sk_cancel(struct conn *c)
{
	(void)c;
}

void
proto_on_lock(void)
{
}

void
proto_on_remove_all(void)
{
}
