/*
 * ELF shared objects read as data, never loaded: does one export a
 * function?  A PKCS#11 module exports C_GetFunctionList, and a file that
 * does not is refused before anything dlopen()s it: a library's
 * constructors run inside dlopen(), before any symbol can be looked up,
 * which is how CVE-2023-38408 turned ordinary system libraries into code
 * execution through a forwarded agent.  OpenSSH checks with nlist(3) or a
 * byte search of the file; this reads the dynamic symbol table.
 *
 * Every offset, size and count is checked against the buffer, with no
 * arithmetic that can overflow; the work is linear in the buffer's size.
 * 32- and 64-bit files of either byte order.  The symbols looked at are
 * those of the SHT_DYNSYM section (what `nm -D` lists): a file without
 * section headers counts as exporting nothing.
 */
#ifndef SKA_ELFSYM_H
#define SKA_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The largest file elf_fd_exports_function() reads. */
#define ELF_FILE_MAX	(256 * 1024 * 1024)

struct elf_ident {
	int is64;		/* ELFCLASS64 */
	int big_endian;		/* ELFDATA2MSB */
	unsigned int machine;	/* e_machine: EM_X86_64, EM_AARCH64 ... */
};

/*
 * 1 when buf (len bytes) is an ELF shared object (ET_DYN) whose dynamic
 * symbol table defines a global or weak, visible function called name;
 * 0 when it is an ELF shared object that does not; SKA_ERR_INVALID_FORMAT
 * when it is not an ELF shared object or is malformed.  identp (may be
 * NULL) gets the header's class, byte order and machine whenever the
 * header could be read, whatever the result.
 */
int elf_exports_function(const uint8_t *buf, size_t len, const char *name,
    struct elf_ident *identp) SKA_WUR;
/*
 * The same for the open file fd, read whole from offset 0: a regular file
 * of at most ELF_FILE_MAX bytes (SKA_ERR_INVALID_FORMAT otherwise);
 * SKA_ERR_SYSTEM, errno set, when it cannot be read.
 */
int elf_fd_exports_function(int fd, const char *name,
    struct elf_ident *identp) SKA_WUR;
/* The class and machine of this program (what a module must match). */
void elf_native_ident(struct elf_ident *id);

#endif
