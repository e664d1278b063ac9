/* Token presence and -O hide-absent (see presence.h). */
#include <stdlib.h>
#include <string.h>

#include "keystore.h"
#include "log.h"
#include "misc.h"
#include "pincache.h"
#include "pool.h"
#include "presence.h"
#include "token.h"
#include "tokens.h"

/* identity->sk_probe */
#define PROBE_NONE	0	/* never probed */
#define PROBE_RUNNING	1
#define PROBE_FOUND	2	/* sk_token says where */
#define PROBE_NOWHERE	3	/* no token held it */
#define PROBE_UNKNOWN	4	/* cannot tell (verify-required, errors) */

struct tok {
	char spec[TOKEN_SPEC_MAX];
	int present;
	uint64_t checked_ms;	/* 0: check again */
};

static struct tok toks[PRESENCE_MAX_TOKENS];
static int ntoks;

struct probe {
	struct job job;
	struct identity *id;
	int alg;
	char *application;
	uint8_t *kh;
	size_t khlen;
	struct token_req treq;
	int r;
};

int
presence_token(const char *spec)
{
	int i;

	if (spec == NULL || *spec == '\0')
		return 0;
	for (i = 0; i < ntoks; i++)
		if (strcmp(toks[i].spec, spec) == 0)
			return i + 1;
	if (ntoks == PRESENCE_MAX_TOKENS || strlen(spec) >= TOKEN_SPEC_MAX)
		return 0;
	memset(&toks[ntoks], 0, sizeof(toks[ntoks]));
	strcpy(toks[ntoks].spec, spec);
	return ++ntoks;
}

const char *
presence_token_spec(int idx)
{
	return idx >= 1 && idx <= ntoks ? toks[idx - 1].spec : NULL;
}

int
presence_token_present(int idx)
{
	struct token_node n;
	struct tok *t;
	uint64_t now;

	if (idx < 1 || idx > ntoks)
		return 0;
	t = &toks[idx - 1];
	now = monotime_ms();
	if (t->checked_ms == 0 || now - t->checked_ms >= PRESENCE_CACHE_MS) {
		t->present = token_node(t->spec, &n) == 0;
		t->checked_ms = now;
	}
	return t->present;
}

void
presence_token_gone(const char *spec)
{
	int idx;

	if ((idx = presence_token(spec)) != 0)
		toks[idx - 1].checked_ms = 0;
	pincache_forget(spec, "the security key went away");
}

static int
gone_error(int r)
{
	return r == SKA_ERR_TOKEN_GONE || r == SKA_ERR_TOKEN_IO ||
	    r == SKA_ERR_NO_TOKEN;
}

void
presence_signed(struct identity *id, int r, const char *spec)
{
	int idx;

	if (r == 0 && (idx = presence_token(spec)) != 0) {
		id->sk_token = idx;
		id->sk_probe = PROBE_FOUND;
	} else if (gone_error(r) && spec != NULL && *spec != '\0')
		presence_token_gone(spec);
}

const char *
presence_key_token(struct identity *id, int *presentp)
{
	const char *spec;

	*presentp = -1;
	if ((spec = presence_token_spec(id->sk_token)) == NULL) {
		if (id->sk_probe == PROBE_NOWHERE)
			*presentp = 0;
		return "";
	}
	*presentp = presence_token_present(id->sk_token);
	return spec;
}

/* Probes */

static void
probe_free(struct probe *p)
{
	if (p == NULL)
		return;
	identity_unref(p->id);
	free(p->application);
	free(p->kh);
	free(p);
}

static void
probe_run(struct job *j)
{
	static const uint8_t zero[32];
	struct probe *p = (struct probe *)j;
	struct token_sig *sig = NULL;

	memset(&p->treq, 0, sizeof(p->treq));
	/* no touch, no PIN: the token says whether it holds the key */
	p->r = token_sign(agent_tokens, &p->treq, p->alg, p->application,
	    p->kh, p->khlen, zero, sizeof(zero), 0, &sig);
	token_sig_free(sig);
}

static void
probe_done(struct job *j)
{
	struct probe *p = (struct probe *)j;
	struct identity *id = p->id;
	int idx;

	if (p->r == 0 && (idx = presence_token(p->treq.token)) != 0) {
		id->sk_token = idx;
		id->sk_probe = PROBE_FOUND;
	} else if (p->r == SKA_ERR_TOKEN_NOT_FOUND ||
	    p->r == SKA_ERR_NO_TOKEN) {
		/* verify-required keys hide from a probe: no conclusion */
		if (key_sk_flags(id->key) & KEY_SK_USER_VERIFICATION_REQD)
			id->sk_probe = id->sk_token ? PROBE_FOUND :
			    PROBE_UNKNOWN;
		else
			id->sk_probe = id->sk_token ? PROBE_FOUND :
			    PROBE_NOWHERE;
	} else
		id->sk_probe = id->sk_token ? PROBE_FOUND : PROBE_UNKNOWN;
	debug("probe of %s: %s%s%s", id->comment, ska_err(p->r),
	    p->treq.token[0] ? " on " : "", p->treq.token);
	probe_free(p);
}

static void
probe_start(struct identity *id)
{
	struct probe *p;
	const uint8_t *kh;
	const char *app;
	size_t khlen;
	int alg;

	if (agent_tokens == NULL || keystore_locked() ||
	    id->sk_probe == PROBE_RUNNING)
		return;
	id->sk_probe_ms = monotime_ms();
	alg = key_type(id->key) == KEY_ED25519_SK ? TOKEN_EDDSA : TOKEN_ES256;
	if ((kh = key_sk_key_handle(id->key, &khlen)) == NULL ||
	    (app = key_sk_application(id->key)) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return;
	p->alg = alg;
	if ((p->application = strdup(app)) == NULL ||
	    (p->kh = malloc(khlen)) == NULL) {
		probe_free(p);
		return;
	}
	memcpy(p->kh, kh, khlen);
	p->khlen = khlen;
	p->id = id;
	identity_ref(id);
	id->sk_probe = PROBE_RUNNING;
	p->job.run = probe_run;
	p->job.done = probe_done;
	pool_submit_to(POOL_TOKEN, &p->job);
}

static int
probe_due(struct identity *id)
{
	return monotime_ms() - id->sk_probe_ms >= PROBE_RETRY_MS;
}

int
presence_hidden(struct identity *id)
{
	/* a provider's keys are not on our tokens: never probed */
	if (!key_is_sk(id->key) || identity_sk_external(id))
		return 0;
	if (id->sk_token != 0) {
		if (presence_token_present(id->sk_token))
			return 0;
		/* plugged in under another name? */
		if (probe_due(id))
			probe_start(id);
		return 1;
	}
	switch (id->sk_probe) {
	case PROBE_NONE:
		probe_start(id);
		return 0;
	case PROBE_NOWHERE:
		if (probe_due(id))
			probe_start(id);
		return 1;
	case PROBE_UNKNOWN:
		if (probe_due(id))
			probe_start(id);
		return 0;
	default:
		return 0;
	}
}
