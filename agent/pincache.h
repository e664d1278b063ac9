/*
 * --pin-cache SECONDS: a security key's PIN remembered for a bounded time
 * (from when it was typed), so that the next signature does not ask.  Off
 * unless asked for.  PINs live in locked memory only (secmem.h), keyed by
 * token, and are never written anywhere.  A PIN is forgotten when its time
 * is up, when the agent is locked, on ssh-add -D and SIGUSR1, when its
 * token goes away (its node vanishes or is replaced: checked before each
 * use and every second; an operation failing as if unplugged; a status
 * listing showing it absent) and as soon as the token refuses it.
 */
#ifndef SKA_PINCACHE_H
#define SKA_PINCACHE_H

#define PINCACHE_MAX_TOKENS	16
#define PINCACHE_CHECK_MS	1000

void pincache_init(unsigned int seconds);	/* 0: off */
int pincache_enabled(void);
/*
 * A copy of the PIN cached for token spec (locked memory; caller frees
 * with secmem_free_str), or NULL.
 */
char *pincache_get(const char *spec);
/* Remembers pin for token spec (if the cache is on and spec's node is there). */
void pincache_put(const char *spec, const char *pin);
/* why (or NULL) goes to the log when something was forgotten. */
void pincache_forget(const char *spec, const char *why);
void pincache_clear(const char *why);
/* At exit: everything forgotten, the timer closed. */
void pincache_shutdown(void);
/* Seconds before spec's PIN is forgotten, or -1 when none is cached. */
int pincache_left(const char *spec);

#endif
