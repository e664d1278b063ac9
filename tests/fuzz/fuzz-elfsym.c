/*
 * libFuzzer harness for the ELF symbol check (lib/elfsym.c), which reads
 * files an agent's client names before any of them is loaded: every input
 * gets an answer (0 or 1) or a format error, and an answer does not depend
 * on bytes past the end (the input is copied to a buffer of its exact size
 * for ASan).  Seeds: tests/fuzz/corpus/elfsym, the small ELF files
 * tests/unit/test-elfsym builds (SKA_ELF_SEEDS=DIR).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elfsym.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t len)
{
	struct elf_ident id;
	uint8_t *copy;
	int r, r2;

	if ((copy = malloc(len == 0 ? 1 : len)) == NULL)
		abort();
	memcpy(copy, p, len);
	r = elf_exports_function(copy, len, "C_GetFunctionList", &id);
	if (r != 0 && r != 1 && r != SKA_ERR_INVALID_FORMAT)
		abort();
	r2 = elf_exports_function(copy, len, "C_GetFunctionList", NULL);
	if (r2 != r)
		abort();
	(void)elf_exports_function(copy, len, "x", NULL);
	free(copy);
	return 0;
}
