/* Shared by the libFuzzer harnesses of lib/ (tests/fuzz/fuzz-*.c). */
#ifndef SKA_FUZZ_H
#define SKA_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/rand.h>

#include "secmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

/* An invariant broken: a crash libFuzzer keeps, with the reason. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
		abort();						\
	}								\
} while (0)

/*
 * Before the first run.  OpenSSL makes its random generators on first use,
 * with state in the secure heap when there is one: LeakSanitizer does not
 * look in there and would call what hangs from it leaked.  So they are made
 * first, in the ordinary heap.
 */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char b[16];

	(void)argc;
	(void)argv;
	if (RAND_bytes(b, sizeof(b)) != 1 || RAND_priv_bytes(b, sizeof(b)) != 1 ||
	    secmem_init(0) != 0)
		abort();
	return 0;
}

#endif
