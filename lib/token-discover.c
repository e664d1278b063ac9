/*
 * The registry of tokens a context knows: the configured ones
 * (token_ctx_add_device, req->device) and those the transports that find
 * their tokens found (token_scan), in registry order, which is the order
 * in which an operation holding several takes them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fido.h>

#include "token-impl.h"

/* ctx->mtx held */
static struct token_entry *
entry_find(struct token_ctx *ctx, const char *spec)
{
	struct token_entry *e;

	for (e = ctx->entries; e != NULL; e = e->next)
		if (strcmp(e->spec, spec) == 0)
			return e;
	return NULL;
}

/* ctx->mtx held; appended, so that the list order is the lock order */
static struct token_entry *
entry_add(struct token_ctx *ctx, const char *spec)
{
	struct token_entry *e, **ep;

	if (ctx->nentries >= TOKEN_MAX_DEVS ||
	    (e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	snprintf(e->spec, sizeof(e->spec), "%s", spec);
	e->tr = token_transport(spec);
	for (ep = &ctx->entries; *ep != NULL; ep = &(*ep)->next)
		;
	*ep = e;
	ctx->nentries++;
	return e;
}

int
token_entry_configure(struct token_ctx *ctx, const char *spec,
    struct token_entry **ep)
{
	struct token_entry *e;
	int full;

	if (token_spec_check(spec) != 0)
		return SKA_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&ctx->mtx);
	full = ctx->nentries >= TOKEN_MAX_DEVS;
	if ((e = entry_find(ctx, spec)) == NULL)
		e = entry_add(ctx, spec);
	if (e != NULL)
		e->configured = 1;
	pthread_mutex_unlock(&ctx->mtx);
	if (e == NULL)
		return full ? SKA_ERR_NO_BUFFER_SPACE : SKA_ERR_ALLOC_FAIL;
	if (ep != NULL)
		*ep = e;
	return 0;
}

int
token_ctx_add_device(struct token_ctx *ctx, const char *spec)
{
	if (ctx == NULL)
		return SKA_ERR_INVALID_ARGUMENT;
	return token_entry_configure(ctx, spec, NULL);
}

/* The tokens one transport finds now. */
static void
scan_transport(struct token_ctx *ctx, const struct token_transport *tr)
{
	fido_dev_info_t *di = NULL;
	const fido_dev_info_t *p;
	struct token_entry *e;
	const char *path, *manuf, *prod;
	size_t n = 0, i, len;
	int fr;

	if ((di = fido_dev_info_new(TOKEN_MAX_DEVS)) == NULL)
		goto out;
	if ((fr = tr->manifest(di, TOKEN_MAX_DEVS, &n)) != FIDO_OK) {
		token_log(ctx, "%s manifest: %s", tr->name, fido_strerr(fr));
		goto out;
	}
	token_log(ctx, "scan: %zu security key(s) found", n);
	pthread_mutex_lock(&ctx->mtx);
	for (e = ctx->entries; e != NULL; e = e->next)
		if (e->tr == tr && !e->configured)
			e->present = 0;
	for (i = 0; i < n; i++) {
		if ((p = fido_dev_info_ptr(di, i)) == NULL ||
		    (path = fido_dev_info_path(p)) == NULL ||
		    token_spec_check(path) != 0 || token_transport(path) != tr)
			continue;
		if ((e = entry_find(ctx, path)) == NULL &&
		    (e = entry_add(ctx, path)) == NULL)
			continue;
		e->present = 1;
		if (e->product != NULL)
			continue;
		if ((manuf = fido_dev_info_manufacturer_string(p)) == NULL)
			manuf = "";
		if ((prod = fido_dev_info_product_string(p)) == NULL)
			prod = "";
		len = strlen(manuf) + strlen(prod) + 2;
		if ((e->product = malloc(len)) != NULL)
			snprintf(e->product, len, "%s%s%s", manuf,
			    *manuf != '\0' && *prod != '\0' ? " " : "", prod);
	}
	pthread_mutex_unlock(&ctx->mtx);
 out:
	fido_dev_info_free(&di, TOKEN_MAX_DEVS);
}

/* Every transport that finds its tokens; the others' are configured. */
void
token_scan(struct token_ctx *ctx)
{
	const struct token_transport *const *tp;
	int discover;

	pthread_mutex_lock(&ctx->mtx);
	discover = ctx->discover;
	pthread_mutex_unlock(&ctx->mtx);
	if (!discover)
		return;
	pthread_mutex_lock(&ctx->scan_mtx);
	for (tp = token_transports(); *tp != NULL; tp++)
		if ((*tp)->manifest != NULL)
			scan_transport(ctx, *tp);
	pthread_mutex_unlock(&ctx->scan_mtx);
}

/* The entries an operation may use, in registry (= lock) order. */
size_t
token_candidates(struct token_ctx *ctx, struct token_entry **v)
{
	struct token_entry *e;
	size_t n = 0;

	pthread_mutex_lock(&ctx->mtx);
	for (e = ctx->entries; e != NULL && n < TOKEN_MAX_DEVS; e = e->next)
		if (e->configured || e->present)
			v[n++] = e;
	pthread_mutex_unlock(&ctx->mtx);
	return n;
}
