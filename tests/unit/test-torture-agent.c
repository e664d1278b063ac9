/*
 * The agent under allocation failure (torture.h): conn.c's framing and
 * proto.c's dispatch, driven as fuzz-agent drives them, replay the
 * sessions recorded from stock ssh-add, ssh-keygen and ssh
 * (tests/fuzz/corpus/agent) with each allocation failing in turn.  Every
 * request must still get its reply, the one it got undisturbed or
 * SSH_AGENT_FAILURE (a connection may also be closed when its reply cannot
 * be queued); then the agent must go on: a new client lists exactly the
 * keys it holds.  No crash, no leak (SANITIZE=1).
 */
#include <dirent.h>
#include <stdio.h>
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
#include "tap.h"
#include "torture.h"

#define CORPUS	"tests/fuzz/corpus/agent"
#define NCONN	3
#define MAXREPLIES 512

struct agent_options opts = { .fp_hash = KEY_FP_SHA256, .restrict_websafe = 1 };
volatile sig_atomic_t received_sigterm, received_sighup, received_sigusr1,
    received_sigchld;


/* The connections of the replay, and the type of every reply they got. */
static struct slot {
	struct conn *c;
	uint8_t got[MAXREPLIES];
	size_t ngot;
	int diverged;		/* closed for want of memory: stop recording */
} slots[NCONN];

#include "agent-standin.h"

static struct slot *
slot_of(struct conn *c)
{
	size_t i;

	for (i = 0; i < NCONN; i++)
		if (slots[i].c == c)
			return &slots[i];
	return NULL;
}

static void
harness_close(struct conn *c)
{
	struct slot *s;

	if ((s = slot_of(c)) != NULL)
		s->c = NULL;
	standin_close(c);
}

/* Takes the replies off the connection, noting each one's type. */
void
loop_conn_update(struct conn *c)
{
	struct slot *s;
	uint32_t len;
	uint8_t type;

	if (c->dead || (s = slot_of(c)) == NULL)
		return;
	while (sshbuf_len(c->out) > 0) {
		if (sshbuf_get_u32(c->out, &len) != 0 || len == 0 ||
		    len > AGENT_MAX_LEN || sshbuf_get_u8(c->out, &type) != 0 ||
		    sshbuf_consume(c->out, len - 1) != 0)
			abort();	/* a malformed frame: fails loudly */
		if (!s->diverged && s->ngot < MAXREPLIES)
			s->got[s->ngot++] = type;
	}
	if (c->close_after) {
		s->diverged = 1;
		harness_close(c);
	}
}

/* Feeds bytes to a slot's connection, opening one when needed. */
static int
feed(size_t i, const uint8_t *p, size_t len)
{
	struct conn *c;

	if (slots[i].c == NULL) {
		if ((slots[i].c = conn_new(-1, 0, 1)) == NULL)
			return SKA_ERR_ALLOC_FAIL;	/* refused: as accept() failing */
	}
	c = slots[i].c;
	if (sshbuf_put(c->in, p, len) != 0) {
		slots[i].diverged = 1;		/* the loop closes it */
		harness_close(c);
		return 0;
	}
	if (!conn_busy(c)) {
		conn_input(c);
		loop_conn_update(c);
	}
	standin_run_pending();
	return 0;
}

struct session {
	const char *name;
	uint8_t *data;
	size_t len;
	uint8_t ref[NCONN][MAXREPLIES];
	size_t nref[NCONN];
	int have_ref;
};

/* What a client finds afterwards: the keys the agent holds, all of them. */
static int
check_after(int fired_before)
{
	static const uint8_t req[] = { 0, 0, 0, 1, SSH2_AGENTC_REQUEST_IDENTITIES };
	struct conn *c;
	uint32_t len, n;
	uint8_t type;
	int r;

	/* not in a slot: its reply stays in c->out to be read here */
	if ((c = conn_new(-1, 0, 1)) == NULL)
		return fired_before ? TORTURE_WRONG : SKA_ERR_ALLOC_FAIL;
	if (sshbuf_put(c->in, req, sizeof(req)) != 0) {
		r = fired_before ? TORTURE_WRONG : SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	conn_input(c);
	standin_run_pending();
	if (sshbuf_get_u32(c->out, &len) != 0 ||
	    sshbuf_get_u8(c->out, &type) != 0 ||
	    type != SSH2_AGENT_IDENTITIES_ANSWER) {
		/* only the failing allocation may make it fail */
		r = fired_before ? TORTURE_WRONG : SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if (sshbuf_get_u32(c->out, &n) != 0 ||
	    (!keystore_locked() && n != keystore_count())) {
		r = TORTURE_WRONG;
		goto out;
	}
	r = 0;
 out:
	conn_free(c);
	return r;
}

static int
t_session(void *arg)
{
	struct session *se = arg;
	const uint8_t *d = se->data;
	size_t n = se->len, len, i, j;
	int r, fired_before;

	memset(slots, 0, sizeof(slots));
	if ((r = keystore_init()) != 0)
		return r;
	r = 0;
	while (n >= 4) {
		i = d[0] % NCONN;
		len = (size_t)d[2] << 8 | d[3];
		if (len > n - 4)
			len = n - 4;
		if ((r = feed(i, d + 4, len)) != 0)
			break;
		if ((d[1] & 1) && slots[i].c != NULL)
			harness_close(slots[i].c);
		standin_run_pending();
		d += 4 + len;
		n -= 4 + len;
	}
	for (i = 0; i < NCONN; i++)
		if (slots[i].c != NULL)
			harness_close(slots[i].c);
	standin_run_pending();
	fired_before = torture_fired();
	if (r == 0)
		r = check_after(fired_before);
	keystore_wipe();
	if (r != 0 && r != TORTURE_WRONG)
		return r;
	/* each reply as undisturbed, or a failure; none missing, none more */
	for (i = 0; i < NCONN; i++) {
		if (!se->have_ref) {
			memcpy(se->ref[i], slots[i].got, slots[i].ngot);
			se->nref[i] = slots[i].ngot;
			continue;
		}
		if (slots[i].ngot > se->nref[i] ||
		    (slots[i].ngot < se->nref[i] && !slots[i].diverged)) {
			tap_diag("%s: client %zu got %zu replies, not %zu",
			    se->name, i, slots[i].ngot, se->nref[i]);
			return TORTURE_WRONG;
		}
		for (j = 0; j < slots[i].ngot; j++) {
			if (slots[i].got[j] != se->ref[i][j] &&
			    slots[i].got[j] != SSH_AGENT_FAILURE) {
				tap_diag("%s: client %zu, reply %zu: type %u, "
				    "not %u", se->name, i, j, slots[i].got[j],
				    se->ref[i][j]);
				return TORTURE_WRONG;
			}
		}
	}
	se->have_ref = 1;
	return r;
}

static void
run_file(const char *name)
{
	struct session se;
	char path[512];

	memset(&se, 0, sizeof(se));
	snprintf(path, sizeof(path), CORPUS "/%s", name);
	se.name = name;
	se.data = tap_read_file(path, &se.len);
	snprintf(path, sizeof(path), "agent session %s", name);
	torture_run(path, t_session, &se);
	free(se.data);
}

/* The recordings one after the other: keys added, then used, then removed. */
static void
run_all(void)
{
	static const char *order[] = { "add-ed25519", "add-ecdsa",
	    "add-rsa-constrained", "list", "sign-all", "sshsig", "login",
	    "login-forward", "restrict", "lock", "remove" };
	struct session se;
	char path[512];
	uint8_t *d, *p;
	size_t i, len;

	memset(&se, 0, sizeof(se));
	se.name = "all";
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		snprintf(path, sizeof(path), CORPUS "/%s", order[i]);
		d = tap_read_file(path, &len);
		if ((p = realloc(se.data, se.len + len)) == NULL)
			abort();
		memcpy(p + se.len, d, len);
		se.data = p;
		se.len += len;
		free(d);
	}
	torture_run("agent sessions one after the other", t_session, &se);
	free(se.data);
}

int
main(void)
{
	struct dirent **names;
	int i, n;

	if (secmem_init(0) != 0) {
		printf("Bail out! secmem_init\n");
		return 1;
	}
	log_init("test-torture-agent", 1, LOG_LEVEL_QUIET);
	keystore_set_kdf_limits(crypto_pwhash_OPSLIMIT_MIN,
	    crypto_pwhash_MEMLIMIT_MIN);
	if ((n = scandir(CORPUS, &names, NULL, alphasort)) < 0) {
		printf("Bail out! %s\n", CORPUS);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			run_file(names[i]->d_name);
		free(names[i]);
	}
	free(names);
	run_all();
	return tap_done();
}
