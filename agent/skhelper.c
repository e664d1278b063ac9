/* Provider signatures through skagent-sk-helper: see skhelper.h. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "child.h"
#include "libexec.h"
#include "log.h"
#include "skhelper-msg.h"
#include "skhelper.h"

#define SKHELPER_NAME	"skagent-sk-helper"

struct skhelper {
	struct child *child;
	struct key *key;		/* public: to check the signature */
	uint8_t *data;
	size_t dlen;
	skhelper_done_fn *cb;
	void *arg;
};

static void
skhelper_free(struct skhelper *h)
{
	if (h == NULL)
		return;
	key_free(h->key);
	if (h->data != NULL) {
		sodium_memzero(h->data, h->dlen);
		free(h->data);
	}
	free(h);
}

const char *
skhelper_default_path(void)
{
	static char path[PATH_MAX];

	return helper_path(SKHELPER_NAME, "SKAGENT_SK_HELPER", path,
	    sizeof(path));
}

/* The helper's end: status as waitpid(), out its whole stdout. */
static int
sign_finish(const struct key *k, const uint8_t *data, size_t dlen,
    int status, const uint8_t *out, size_t outlen, struct sshbuf *sig)
{
	uint32_t st;
	int r;

	if (WIFSIGNALED(status)) {
		error("%s: killed by signal %d", SKHELPER_NAME,
		    WTERMSIG(status));
		return SKA_ERR_TOKEN;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		error("%s: exit status %d", SKHELPER_NAME,
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return SKA_ERR_TOKEN;
	}
	r = skhelper_sign_result(k, data, dlen, out, outlen, sig, &st);
	if (r == 0)
		return 0;
	if (st == SKHELPER_OK)
		error("%s: the provider's signature: %s", SKHELPER_NAME,
		    ska_err(r));
	else if (st == SKHELPER_ERR_RESPONSE && r != SKA_ERR_TOKEN)
		error("%s: malformed reply: %s", SKHELPER_NAME, ska_err(r));
	else if (st >= SKHELPER_ERR_PROVIDER)
		error("%s: %s", SKHELPER_NAME, skhelper_status_str(st));
	else
		debug("%s: %s", SKHELPER_NAME, skhelper_status_str(st));
	return r;
}

static void
on_done(int status, const char *out, size_t outlen, void *arg)
{
	struct skhelper *h = arg;
	struct sshbuf *sig;
	int r;

	if ((sig = sshbuf_new()) == NULL)
		r = SKA_ERR_ALLOC_FAIL;
	else
		r = sign_finish(h->key, h->data, h->dlen, status,
		    (const uint8_t *)out, outlen, sig);
	h->cb(r, r == 0 ? sig : NULL, h->arg);
	sshbuf_free(sig);
	skhelper_free(h);
}

struct skhelper *
skhelper_sign_start(const char *helper_path, const char *provider,
    const struct key *k, const uint8_t *data, size_t dlen, const char *pin,
    const char *device, skhelper_done_fn *cb, void *arg)
{
	const char *argv[2];
	struct skhelper *h = NULL;
	struct sshbuf *req = NULL;
	int r;

	if (helper_path == NULL || provider == NULL || k == NULL ||
	    !key_is_sk(k) || cb == NULL || (data == NULL && dlen != 0))
		return NULL;
	if (provider[0] != '/') {
		error("security key provider \"%s\": not an absolute path",
		    provider);
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->data = malloc(dlen == 0 ? 1 : dlen)) == NULL ||
	    (req = sshbuf_new()) == NULL)
		goto fail;
	if (dlen != 0)
		memcpy(h->data, data, dlen);
	h->dlen = dlen;
	h->cb = cb;
	h->arg = arg;
	if ((r = key_public_copy(k, &h->key)) != 0 ||
	    (r = skhelper_put_sign_req_key(k, provider, data, dlen, pin,
	    device, req)) != 0) {
		error("%s request: %s", SKHELPER_NAME, ska_err(r));
		goto fail;
	}
	argv[0] = helper_path;
	argv[1] = NULL;
	if ((h->child = child_spawn_input(argv, NULL, sshbuf_ptr(req),
	    sshbuf_len(req), 1, on_done, h)) == NULL)
		goto fail;
	sshbuf_free(req);	/* wipes the PIN */
	return h;
 fail:
	sshbuf_free(req);
	skhelper_free(h);
	return NULL;
}

void
skhelper_cancel(struct skhelper *h)
{
	if (h == NULL)
		return;
	child_kill(h->child);
	skhelper_free(h);
}
