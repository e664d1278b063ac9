/*
 * Locked memory for secrets.  One arena for the whole process: OpenSSL's
 * secure heap (mlock'd, excluded from core dumps, guard pages around it), so
 * that the bignums of RSA and ECDSA keys and our own secrets (ed25519 seeds,
 * PINs, passphrases) live in the same place.  When the arena is full,
 * allocations fall back to libsodium's guarded, locked sodium_malloc().
 * Everything is wiped when freed.
 */
#ifndef SKA_SECMEM_H
#define SKA_SECMEM_H

#include <stddef.h>

/*
 * Sets the arena up; call once before any other thread starts.  size is
 * rounded to a power of two; 0 picks the default (4 MiB).  Returns 0, or -1
 * when neither OpenSSL's secure heap nor libsodium could be initialised.
 * Locking may still have failed (RLIMIT_MEMLOCK): secmem_locked() tells.
 */
int secmem_init(size_t size);
int secmem_locked(void);

/* Zeroed locked memory, or NULL.  secmem_free() wipes; NULL is fine. */
void *secmem_alloc(size_t len);
void secmem_free(void *p, size_t len);
/* Copy of len bytes into locked memory, or NULL. */
void *secmem_dup(const void *p, size_t len);
/* NUL-terminated copy of a string into locked memory; free with secmem_free_str. */
char *secmem_strdup(const char *s);
void secmem_free_str(char *s);

#endif
