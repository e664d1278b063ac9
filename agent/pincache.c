/* The PIN cache (see pincache.h).  Loop thread only. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "misc.h"
#include "pincache.h"
#include "presence.h"
#include "secmem.h"
#include "timer.h"
#include "token.h"

struct pin_entry {
	char spec[TOKEN_SPEC_MAX];
	struct token_node node;	/* the token's node when the PIN was typed */
	char *pin;		/* locked memory; NULL: slot free */
	uint64_t expires_ms;
};

static unsigned int cache_secs;
static struct pin_entry cache[PINCACHE_MAX_TOKENS];
static struct timer *timer;

void
pincache_init(unsigned int seconds)
{
	cache_secs = seconds;
}

int
pincache_enabled(void)
{
	return cache_secs != 0;
}

static void
drop(struct pin_entry *e, const char *why)
{
	if (e->pin == NULL)
		return;
	secmem_free_str(e->pin);
	e->pin = NULL;
	if (why != NULL)
		logit("PIN of security key %s forgotten: %s", e->spec, why);
}

static struct pin_entry *
find(const char *spec)
{
	size_t i;

	if (spec == NULL)
		return NULL;
	for (i = 0; i < PINCACHE_MAX_TOKENS; i++)
		if (cache[i].pin != NULL && strcmp(cache[i].spec, spec) == 0)
			return &cache[i];
	return NULL;
}

/* Drops e if its time is up or its token is not the same any more. */
static int
still_good(struct pin_entry *e, uint64_t now)
{
	struct token_node n;

	if (now >= e->expires_ms) {
		drop(e, "time is up");
		return 0;
	}
	if (token_node(e->spec, &n) != 0 || !token_node_same(&n, &e->node)) {
		drop(e, "the security key went away");
		return 0;
	}
	return 1;
}

static void arm(void);

static void
on_timer(void *arg)
{
	uint64_t now = monotime_ms();
	size_t i;

	(void)arg;
	for (i = 0; i < PINCACHE_MAX_TOKENS; i++)
		if (cache[i].pin != NULL)
			(void)still_good(&cache[i], now);
	arm();
}

/* The next check: the first expiry, or PINCACHE_CHECK_MS; none when empty. */
static void
arm(void)
{
	uint64_t now = monotime_ms(), due = 0;
	size_t i;

	for (i = 0; i < PINCACHE_MAX_TOKENS; i++)
		if (cache[i].pin != NULL && (due == 0 ||
		    cache[i].expires_ms < due))
			due = cache[i].expires_ms;
	if (due != 0 && due > now + PINCACHE_CHECK_MS)
		due = now + PINCACHE_CHECK_MS;
	if (timer == NULL && (due == 0 ||
	    (timer = timer_new(on_timer, NULL)) == NULL))
		return;
	(void)timer_set(timer, due == 0 ? 0 : due > now ? due - now : 1);
}

char *
pincache_get(const char *spec)
{
	struct pin_entry *e;

	if (!pincache_enabled() || (e = find(spec)) == NULL ||
	    !still_good(e, monotime_ms()))
		return NULL;
	return secmem_strdup(e->pin);
}

void
pincache_put(const char *spec, const char *pin)
{
	struct pin_entry *e;
	struct token_node n;
	size_t i;

	if (!pincache_enabled() || spec == NULL || *spec == '\0' ||
	    strlen(spec) >= TOKEN_SPEC_MAX || token_node(spec, &n) != 0)
		return;
	if ((e = find(spec)) == NULL) {
		for (i = 0; i < PINCACHE_MAX_TOKENS && cache[i].pin != NULL;
		    i++)
			;
		if (i == PINCACHE_MAX_TOKENS)
			return;
		e = &cache[i];
	} else
		drop(e, NULL);
	if ((e->pin = secmem_strdup(pin)) == NULL)
		return;
	strcpy(e->spec, spec);
	e->node = n;
	e->expires_ms = monotime_ms() + (uint64_t)cache_secs * 1000;
	debug("PIN of security key %s kept for %u s", spec, cache_secs);
	arm();
}

void
pincache_forget(const char *spec, const char *why)
{
	struct pin_entry *e;

	if ((e = find(spec)) != NULL) {
		drop(e, why);
		arm();
	}
}

void
pincache_clear(const char *why)
{
	size_t i;

	for (i = 0; i < PINCACHE_MAX_TOKENS; i++)
		drop(&cache[i], why);
	arm();
}

int
pincache_left(const char *spec)
{
	struct pin_entry *e;
	uint64_t now = monotime_ms();

	if ((e = find(spec)) == NULL || !still_good(e, now))
		return -1;
	return (int)((e->expires_ms - now + 999) / 1000);
}

void
pincache_shutdown(void)
{
	pincache_clear(NULL);
	timer_free(timer);
	timer = NULL;
}
