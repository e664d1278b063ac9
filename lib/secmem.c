#include <string.h>

#include <openssl/crypto.h>
#include <sodium.h>

#include "secmem.h"

#define SECMEM_DEFAULT	(4u << 20)

static int secmem_state;	/* 0 unset, 1 arena, 2 arena not locked, 3 sodium only */

int
secmem_init(size_t size)
{
	size_t n = 1u << 16;
	int r;

	if (secmem_state != 0)
		return 0;
	if (sodium_init() < 0)
		return -1;
	if (size == 0)
		size = SECMEM_DEFAULT;
	while (n < size && n < (1u << 30))
		n <<= 1;
	r = CRYPTO_secure_malloc_init(n, 16);
	secmem_state = r == 1 ? 1 : r == 2 ? 2 : 3;
	return 0;
}

int
secmem_locked(void)
{
	return secmem_state == 1 || secmem_state == 3;
}

void *
secmem_alloc(size_t len)
{
	void *p = NULL;

	if (len == 0)
		len = 1;
	if (secmem_state == 1 || secmem_state == 2)
		p = OPENSSL_secure_zalloc(len);
	if (p == NULL && (p = sodium_malloc(len)) != NULL)
		memset(p, 0, len);
	return p;
}

void
secmem_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	if (CRYPTO_secure_allocated(p))
		OPENSSL_secure_clear_free(p, len);
	else
		sodium_free(p);	/* wipes the whole allocation */
}

void *
secmem_dup(const void *p, size_t len)
{
	void *d;

	if ((d = secmem_alloc(len)) != NULL && len != 0)
		memcpy(d, p, len);
	return d;
}

char *
secmem_strdup(const char *s)
{
	return secmem_dup(s, strlen(s) + 1);
}

void
secmem_free_str(char *s)
{
	if (s != NULL)
		secmem_free(s, strlen(s) + 1);
}
