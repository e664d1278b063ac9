/*
 * libFuzzer harness for the agent's whole request path: conn.c's framing
 * and proto.c's dispatch (with ext.c, keystore.c and the key codecs), fed
 * as several interleaved connections.  Worker jobs run synchronously, so a
 * run is deterministic.  Input: records of
 *	u8 connection (mod 3) | u8 flags (bit 0: hang up after) | u16 length | bytes
 * Seeds: tests/fuzz/corpus/agent, recorded from stock ssh-add, ssh-keygen
 * and ssh (tests/fuzz/record-seeds.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "conn.h"
#include "keystore.h"
#include "log.h"
#include "loop.h"
#include "options.h"
#include "pool.h"
#include "secmem.h"

#define NCONN 3

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct agent_options opts = { .fp_hash = KEY_FP_SHA256, .restrict_websafe = 1 };
volatile sig_atomic_t received_sigterm, received_sighup, received_sigusr1,
    received_sigchld;

static struct conn *conns[NCONN];

#include "agent-standin.h"

static void
harness_close(struct conn *c)
{
	int i;

	for (i = 0; i < NCONN; i++)
		if (conns[i] == c)
			conns[i] = NULL;
	standin_close(c);
}

void
loop_conn_update(struct conn *c)
{
	uint32_t len;

	if (c->dead)
		return;
	/* every reply is a well-formed frame */
	while (sshbuf_len(c->out) > 0) {
		if (sshbuf_get_u32(c->out, &len) != 0 || len == 0 ||
		    len > AGENT_MAX_LEN || sshbuf_consume(c->out, len) != 0)
			abort();
	}
	if (c->close_after)
		harness_close(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static int ready;
	struct conn *c;
	size_t len;
	int i;

	if (!ready) {
		if (secmem_init(0) != 0)
			abort();
		log_init("fuzz-agent", 1, LOG_LEVEL_QUIET);
		keystore_set_kdf_limits(crypto_pwhash_OPSLIMIT_MIN,
		    crypto_pwhash_MEMLIMIT_MIN);
		ready = 1;
	}
	if (keystore_init() != 0)
		abort();
	while (n >= 4) {
		i = d[0] % NCONN;
		len = (size_t)d[2] << 8 | d[3];
		if (len > n - 4)
			len = n - 4;
		if (conns[i] == NULL && (conns[i] = conn_new(-1, 0, 1)) == NULL)
			abort();
		c = conns[i];
		if (sshbuf_put(c->in, d + 4, len) != 0)
			abort();
		if (!conn_busy(c)) {
			conn_input(c);
			loop_conn_update(c);
		}
		standin_run_pending();
		if ((d[1] & 1) && conns[i] != NULL)
			harness_close(conns[i]);
		standin_run_pending();
		d += 4 + len;
		n -= 4 + len;
	}
	for (i = 0; i < NCONN; i++)
		if (conns[i] != NULL)
			harness_close(conns[i]);
	standin_run_pending();
	keystore_wipe();
	return 0;
}
