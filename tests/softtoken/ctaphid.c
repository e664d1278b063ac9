/*
 * CTAPHID over 64-byte reports: channel allocation, message assembly,
 * one transaction at a time for the whole device (others get CHANNEL_BUSY),
 * CANCEL, KEEPALIVE while waiting for a touch, and the touch policy.
 * Connections are numbered by the caller; replies go back to the
 * connection that sent the request.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "st.h"

#define HID_PING	0x01
#define HID_MSG		0x03
#define HID_LOCK	0x04
#define HID_INIT	0x06
#define HID_WINK	0x08
#define HID_CBOR	0x10
#define HID_CANCEL	0x11
#define HID_KEEPALIVE	0x3b
#define HID_ERROR	0x3f

#define ERR_INVALID_CMD		0x01
#define ERR_INVALID_LEN		0x03
#define ERR_INVALID_SEQ		0x04
#define ERR_MSG_TIMEOUT		0x05
#define ERR_CHANNEL_BUSY	0x06
#define ERR_INVALID_CHANNEL	0x0b

#define KA_UPNEEDED	0x02
#define CAP_CBOR	0x04
#define CAP_NMSG	0x08

#define BROADCAST	0xffffffffU
#define MAX_CHANNELS	64
#define ASM_TIMEOUT_MS	1000
#define KEEPALIVE_MS	100

enum { IDLE, ASSEMBLING, TOUCH_WAIT };

struct chan {
	uint32_t cid;
	int conn;
};

struct hid {
	struct token *tok;
	hid_send_fn *send;
	void *ctx;
	enum touch_mode mode;
	int delay_ms;
	int deny;
	uint32_t next_cid;
	struct chan ch[MAX_CHANNELS];
	size_t nch;
	/* the one transaction in progress */
	int busy;
	uint32_t cid;
	int conn;
	uint8_t cmd, seq;
	size_t len, got;
	uint64_t deadline, touch_at, next_ka;
	uint8_t buf[ST_MAXMSG];
	uint8_t out[ST_MAXMSG];
};

struct hid *
hid_new(struct token *tok, hid_send_fn *send, void *ctx, enum touch_mode mode,
    int delay_ms)
{
	struct hid *h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->tok = tok;
	h->send = send;
	h->ctx = ctx;
	h->mode = mode;
	h->delay_ms = delay_ms;
	h->next_cid = randombytes_uniform(0x10000) + 1;
	return h;
}

void
hid_free(struct hid *h)
{
	if (h == NULL)
		return;
	sodium_memzero(h, sizeof(*h));
	free(h);
}

void
hid_toggle_deny(struct hid *h)
{
	h->deny = !h->deny;
	st_log("touch mode now %s", !h->deny ? (h->mode == TOUCH_AUTO ? "auto" :
	    h->mode == TOUCH_DENY ? "deny" : "delayed") :
	    h->mode == TOUCH_DENY ? "auto" : "deny");
}

static void
send_msg(struct hid *h, int conn, uint32_t cid, uint8_t cmd,
    const uint8_t *data, size_t len)
{
	uint8_t f[64];
	size_t off, n;
	uint8_t seq = 0;

	memset(f, 0, sizeof(f));
	memcpy(f, &cid, 4);
	f[4] = 0x80 | cmd;
	f[5] = (uint8_t)(len >> 8);
	f[6] = (uint8_t)len;
	n = len < 57 ? len : 57;
	if (n)
		memcpy(f + 7, data, n);
	h->send(h->ctx, conn, f);
	for (off = n; off < len && seq < 0x80; off += n) {
		memset(f, 0, sizeof(f));
		memcpy(f, &cid, 4);
		f[4] = seq++;
		n = len - off < 59 ? len - off : 59;
		memcpy(f + 5, data + off, n);
		h->send(h->ctx, conn, f);
	}
}

static void
send_error(struct hid *h, int conn, uint32_t cid, uint8_t code)
{
	st_log("chan %08x: CTAPHID error 0x%02x", (unsigned)cid, code);
	send_msg(h, conn, cid, HID_ERROR, &code, 1);
}

static int
chan_known(const struct hid *h, uint32_t cid)
{
	size_t i;

	for (i = 0; i < h->nch; i++)
		if (h->ch[i].cid == cid)
			return 1;
	return 0;
}

static uint32_t
chan_alloc(struct hid *h, int conn)
{
	uint32_t cid;

	do {
		cid = h->next_cid++;
	} while (cid == 0 || cid == BROADCAST || chan_known(h, cid));
	if (h->nch == MAX_CHANNELS) {
		memmove(h->ch, h->ch + 1, (MAX_CHANNELS - 1) * sizeof(h->ch[0]));
		h->nch--;
	}
	h->ch[h->nch].cid = cid;
	h->ch[h->nch].conn = conn;
	h->nch++;
	return cid;
}

static void
finish_touch(struct hid *h, enum touch_result res)
{
	size_t outlen = 0;

	ctap2_complete(h->tok, res, h->out, &outlen);
	send_msg(h, h->conn, h->cid, HID_CBOR, h->out, outlen);
	h->busy = IDLE;
}

static void
dispatch(struct hid *h, uint64_t now)
{
	size_t outlen = 0;

	if (h->cmd == HID_PING) {
		send_msg(h, h->conn, h->cid, HID_PING, h->buf, h->len);
		h->busy = IDLE;
		return;
	}
	if (ctap2_handle(h->tok, h->cid, h->buf, h->len, h->out,
	    &outlen) == ST_REPLY) {
		send_msg(h, h->conn, h->cid, HID_CBOR, h->out, outlen);
		h->busy = IDLE;
		return;
	}
	h->busy = TOUCH_WAIT;
	/* SIGUSR1 flips to deny, or from a configured deny to auto */
	if (h->deny != (h->mode == TOUCH_DENY))
		finish_touch(h, TOUCH_DENIED);
	else if (h->mode == TOUCH_AUTO || h->mode == TOUCH_DENY)
		finish_touch(h, TOUCH_OK);
	else {
		h->touch_at = now + (uint64_t)h->delay_ms;
		h->next_ka = now;
		hid_tick(h, now);
	}
}

static void
keepalive(struct hid *h)
{
	uint8_t st = KA_UPNEEDED;

	send_msg(h, h->conn, h->cid, HID_KEEPALIVE, &st, 1);
}

void
hid_tick(struct hid *h, uint64_t now)
{
	if (h->busy == ASSEMBLING && now >= h->deadline) {
		send_error(h, h->conn, h->cid, ERR_MSG_TIMEOUT);
		h->busy = IDLE;
	} else if (h->busy == TOUCH_WAIT) {
		if (now >= h->touch_at)
			finish_touch(h, TOUCH_OK);
		else if (now >= h->next_ka) {
			keepalive(h);
			h->next_ka = now + KEEPALIVE_MS;
		}
	}
}

int
hid_timeout(const struct hid *h, uint64_t now)
{
	uint64_t at;

	if (h->busy == ASSEMBLING)
		at = h->deadline;
	else if (h->busy == TOUCH_WAIT)
		at = h->touch_at < h->next_ka ? h->touch_at : h->next_ka;
	else
		return -1;
	return at <= now ? 0 : (int)(at - now > 60000 ? 60000 : at - now);
}

void
hid_conn_closed(struct hid *h, int conn)
{
	size_t i, j;

	if (h->busy != IDLE && h->conn == conn) {
		if (h->busy == TOUCH_WAIT)
			ctap2_abort(h->tok);
		h->busy = IDLE;
	}
	for (i = j = 0; i < h->nch; i++)
		if (h->ch[i].conn != conn)
			h->ch[j++] = h->ch[i];
	h->nch = j;
}

static void
init_cmd(struct hid *h, int conn, uint32_t cid, const uint8_t *f)
{
	uint8_t r[17];
	uint32_t ncid;
	uint16_t bcnt = (uint16_t)(f[5] << 8 | f[6]);

	if (cid == 0) {
		send_error(h, conn, cid, ERR_INVALID_CHANNEL);
		return;
	}
	if (bcnt != 8) {
		send_error(h, conn, cid, ERR_INVALID_LEN);
		return;
	}
	if (cid == BROADCAST)
		ncid = chan_alloc(h, conn);
	else if (chan_known(h, cid)) {
		/* resync: abandon whatever this channel was doing */
		if (h->busy != IDLE && h->cid == cid) {
			if (h->busy == TOUCH_WAIT)
				ctap2_abort(h->tok);
			h->busy = IDLE;
		}
		ncid = cid;
	} else {
		send_error(h, conn, cid, ERR_INVALID_CHANNEL);
		return;
	}
	memcpy(r, f + 7, 8);
	memcpy(r + 8, &ncid, 4);
	r[12] = 2;		/* CTAPHID protocol version */
	r[13] = 1;		/* device version 1.0.0 */
	r[14] = 0;
	r[15] = 0;
	r[16] = CAP_CBOR | CAP_NMSG;
	send_msg(h, conn, cid, HID_INIT, r, sizeof(r));
}

void
hid_input(struct hid *h, int conn, const uint8_t *f, size_t len, uint64_t now)
{
	uint32_t cid;
	uint8_t cmd;
	size_t bcnt, n;

	hid_tick(h, now);
	if (len < 4) {
		st_log("conn %d: runt report of %zu bytes dropped", conn, len);
		return;
	}
	memcpy(&cid, f, 4);
	if (len != 64) {
		send_error(h, conn, cid, ERR_INVALID_LEN);
		return;
	}
	if (!(f[4] & 0x80)) {
		/* continuation: only for the message being assembled */
		if (h->busy != ASSEMBLING || h->cid != cid || h->conn != conn)
			return;
		if (f[4] != h->seq) {
			send_error(h, conn, cid, ERR_INVALID_SEQ);
			h->busy = IDLE;
			return;
		}
		h->seq++;
		n = h->len - h->got < 59 ? h->len - h->got : 59;
		memcpy(h->buf + h->got, f + 5, n);
		h->got += n;
		if (h->got == h->len)
			dispatch(h, now);
		return;
	}
	cmd = f[4] & 0x7f;
	bcnt = (size_t)(f[5] << 8 | f[6]);
	if (cmd == HID_INIT) {
		init_cmd(h, conn, cid, f);
		return;
	}
	if (cid == 0 || cid == BROADCAST || !chan_known(h, cid)) {
		if (cmd != HID_CANCEL)
			send_error(h, conn, cid, ERR_INVALID_CHANNEL);
		return;
	}
	if (cmd == HID_CANCEL) {
		if (h->busy == TOUCH_WAIT && h->cid == cid)
			finish_touch(h, TOUCH_CANCEL);
		else if (h->busy == ASSEMBLING && h->cid == cid)
			h->busy = IDLE;
		return;
	}
	if (h->busy != IDLE) {
		if (h->busy == ASSEMBLING && h->cid == cid && h->conn == conn) {
			send_error(h, conn, cid, ERR_INVALID_SEQ);
			h->busy = IDLE;
		} else
			send_error(h, conn, cid, ERR_CHANNEL_BUSY);
		return;
	}
	if (cmd != HID_PING && cmd != HID_CBOR) {
		send_error(h, conn, cid, ERR_INVALID_CMD);
		return;
	}
	if (bcnt > ST_MAXMSG || (cmd == HID_CBOR && bcnt == 0)) {
		send_error(h, conn, cid, ERR_INVALID_LEN);
		return;
	}
	h->busy = ASSEMBLING;
	h->cid = cid;
	h->conn = conn;
	h->cmd = cmd;
	h->len = bcnt;
	h->seq = 0;
	h->got = bcnt < 57 ? bcnt : 57;
	memcpy(h->buf, f + 7, h->got);
	h->deadline = now + ASM_TIMEOUT_MS;
	if (h->got == h->len)
		dispatch(h, now);
}
