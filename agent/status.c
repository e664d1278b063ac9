/*
 * status@skagent.org (PROTOCOL.skagent): the tokens present, the keys
 * and where they are, the PIN cache, the last signatures.  token_list()
 * talks to every token, so it runs on the token pool; the reply is built
 * on the loop when it is back.  Local clients only: a session-bound
 * (forwarded) connection is refused, as the answer names local processes.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "dest.h"
#include "keystore.h"
#include "log.h"
#include "options.h"
#include "pincache.h"
#include "pool.h"
#include "presence.h"
#include "record.h"
#include "request.h"
#include "status.h"
#include "token.h"
#include "tokens.h"

struct status_req {
	struct request rq;
	struct job job;
	struct token_info *info;
	size_t ninfo;
	int r;
};

static void
status_free(struct request *rq)
{
	struct status_req *s = (struct status_req *)rq;

	token_info_free(s->info, s->ninfo);
	free(s);
}

/* no cancel: the token list returns by itself, then the request ends */
static const struct request_ops status_ops = {
	.name = "status",
	.free = status_free,
};

static void
status_run(struct job *j)
{
	struct status_req *s = (struct status_req *)((char *)j -
	    offsetof(struct status_req, job));

	s->r = token_list(agent_tokens, &s->info, &s->ninfo);
}

static int
put_tokens(struct sshbuf *b, const struct token_info *info, size_t n)
{
	const struct token_info *t;
	char algs[32];
	size_t i;
	int left, r;

	if ((r = sshbuf_put_u32(b, (uint32_t)n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		t = &info[i];
		(void)presence_token(t->spec);
		if (!t->present)
			pincache_forget(t->spec, "the security key is absent");
		snprintf(algs, sizeof(algs), "%s%s%s", t->es256 ? "es256" : "",
		    t->es256 && t->eddsa ? "," : "", t->eddsa ? "eddsa" : "");
		left = pincache_left(t->spec);
		if ((r = sshbuf_put_cstring(b, t->spec)) != 0 ||
		    (r = sshbuf_put_cstring(b, t->product != NULL ?
		    t->product : "")) != 0 ||
		    (r = sshbuf_put_u8(b, t->busy ? STATUS_TOKEN_BUSY :
		    t->present ? STATUS_TOKEN_PRESENT :
		    STATUS_TOKEN_ABSENT)) != 0 ||
		    (r = sshbuf_put_u8(b, t->fido2 != 0)) != 0 ||
		    (r = sshbuf_put_cstring(b, t->present && !t->busy ?
		    algs : "")) != 0 ||
		    (r = sshbuf_put_u8(b, !t->pin_supported ? STATUS_PIN_NONE :
		    t->pin_set ? STATUS_PIN_SET : STATUS_PIN_UNSET)) != 0 ||
		    (r = sshbuf_put_u32(b, t->pin_retries < 0 ?
		    STATUS_UNKNOWN : (uint32_t)t->pin_retries)) != 0 ||
		    (r = sshbuf_put_u32(b, left < 0 ? STATUS_UNKNOWN :
		    (uint32_t)left)) != 0)
			return r;
	}
	return 0;
}

static int
put_keys(struct sshbuf *b, struct conn *c)
{
	struct sshbuf *keys = NULL;
	struct identity *id;
	const uint8_t *blob;
	const char *tok;
	size_t len;
	uint32_t n = 0;
	int present, r;

	if ((keys = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	for (id = keystore_first(); id != NULL; id = id->next) {
		if (dest_identity_permitted(c, id, NULL) != 0)
			continue;
		blob = key_blob(id->key, &len);
		tok = key_is_sk(id->key) ? presence_key_token(id, &present) :
		    "";
		if (!key_is_sk(id->key))
			present = -1;
		if ((r = sshbuf_put_string(keys, blob, len)) != 0 ||
		    (r = sshbuf_put_cstring(keys, id->comment)) != 0 ||
		    (r = sshbuf_put_cstring(keys, tok)) != 0 ||
		    (r = sshbuf_put_u8(keys, present < 0 ? STATUS_KEY_UNKNOWN :
		    present ? STATUS_KEY_PRESENT : STATUS_KEY_ABSENT)) != 0 ||
		    (r = sshbuf_put_u8(keys, opts.hide_absent ?
		    !presence_hidden(id) : 1)) != 0)
			goto out;
		n++;
	}
	if ((r = sshbuf_put_u32(b, n)) != 0 || (r = sshbuf_putb(b, keys)) != 0)
		goto out;
	r = 0;
 out:
	sshbuf_free(keys);
	return r;
}

static void
reply(struct conn *c, const struct token_info *info, size_t ninfo)
{
	struct sshbuf *b = NULL;
	const char *lines[RECORD_RECENT];
	size_t n, i;
	int r = SKA_ERR_ALLOC_FAIL;

	n = record_recent(lines, RECORD_RECENT);
	if ((b = sshbuf_new()) == NULL ||
	    (r = sshbuf_put_u8(b, SSH_AGENT_EXTENSION_RESPONSE)) != 0 ||
	    (r = sshbuf_put_cstring(b, AGENT_EXT_STATUS)) != 0 ||
	    (r = sshbuf_put_u32(b, opts.pin_cache)) != 0 ||
	    (r = sshbuf_put_u8(b, record_enabled())) != 0 ||
	    (r = sshbuf_put_u8(b, opts.hide_absent != 0)) != 0 ||
	    (r = put_tokens(b, info, ninfo)) != 0 ||
	    (r = put_keys(b, c)) != 0 ||
	    (r = sshbuf_put_u32(b, (uint32_t)n)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = sshbuf_put_cstring(b, lines[i])) != 0)
			goto out;
	conn_reply(c, b);
	r = 0;
 out:
	if (r != 0) {
		error("status: %s", ska_err(r));
		conn_reply_status(c, 0);
	}
	sshbuf_free(b);
}

static void
status_done(struct job *j)
{
	struct status_req *s = (struct status_req *)((char *)j -
	    offsetof(struct status_req, job));
	struct conn *c = s->rq.conn;

	if (s->rq.cancelled != 0)
		conn_reply_status(c, 0);
	else {
		if (s->r != 0)
			error("status: token list: %s", ska_err(s->r));
		reply(c, s->info, s->r == 0 ? s->ninfo : 0);
	}
	request_end(&s->rq);
}

void
status_request(struct conn *c)
{
	struct status_req *s;

	if (c->bind_attempted || c->nbinds != 0) {
		logit("status refused to a session-bound connection");
		conn_reply_status(c, 0);
		return;
	}
	if (agent_tokens == NULL) {
		reply(c, NULL, 0);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		conn_reply_status(c, 0);
		return;
	}
	s->job.run = status_run;
	s->job.done = status_done;
	request_begin(&s->rq, &status_ops, c, NULL);
	pool_submit_to(POOL_TOKEN, &s->job);
}
