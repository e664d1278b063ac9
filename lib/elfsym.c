/*
 * Exported functions of an ELF shared object, read as data: see elfsym.h.
 * Every read goes through get(), which checks the offset and length
 * against the buffer; nothing else indexes it.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"

#define MAX_SECTIONS	65536	/* extended numbering allows more: refused */

struct elf {
	const uint8_t *p;
	size_t len;
	int is64, be;
};

/* n (1, 2, 4 or 8) bytes at off as an unsigned integer; -1 out of bounds. */
static int
get(const struct elf *e, uint64_t off, size_t n, uint64_t *vp)
{
	uint64_t v = 0;
	size_t i;

	*vp = 0;
	if (off > e->len || n > e->len - off)
		return -1;
	for (i = 0; i < n; i++) {
		if (e->be)
			v = (v << 8) | e->p[off + i];
		else
			v |= (uint64_t)e->p[off + i] << (8 * i);
	}
	*vp = v;
	return 0;
}

/* A word (4 bytes) or an address/offset (4 or 8 bytes by class). */
#define W(e, off, vp)	get((e), (off), 4, (vp))
#define H(e, off, vp)	get((e), (off), 2, (vp))
#define A(e, off, vp)	get((e), (off), (e)->is64 ? 8 : 4, (vp))

struct shdr {
	uint64_t type, offset, size, link, entsize;
};

static int
get_shdr(const struct elf *e, uint64_t shoff, uint64_t shentsize, uint64_t i,
    struct shdr *s)
{
	uint64_t base;

	if (i > (UINT64_MAX - shoff) / shentsize)
		return -1;
	base = shoff + i * shentsize;
	if (e->is64)
		return W(e, base + 4, &s->type) || A(e, base + 24, &s->offset) ||
		    A(e, base + 32, &s->size) || W(e, base + 40, &s->link) ||
		    A(e, base + 56, &s->entsize) ? -1 : 0;
	return W(e, base + 4, &s->type) || A(e, base + 16, &s->offset) ||
	    A(e, base + 20, &s->size) || W(e, base + 24, &s->link) ||
	    A(e, base + 36, &s->entsize) ? -1 : 0;
}

/* Does the string at off in strtab (bounded by the section) equal name? */
static int
name_is(const struct elf *e, const struct shdr *strtab, uint64_t off,
    const char *name)
{
	size_t n = strlen(name);
	uint64_t b;

	/* name and its NUL within both the section and the buffer */
	if (off >= strtab->size || n >= strtab->size - off ||
	    strtab->offset > e->len || strtab->size > e->len - strtab->offset)
		return 0;
	if (get(e, strtab->offset + off + n, 1, &b) != 0 || b != 0)
		return 0;
	return memcmp(e->p + strtab->offset + off, name, n) == 0;
}

/* 1: the dynsym section s defines name; 0: it does not; -1: malformed. */
static int
dynsym_has(const struct elf *e, const struct shdr *s,
    const struct shdr *strtab, const char *name)
{
	uint64_t symsize = e->is64 ? 24 : 16, n, i, base;
	uint64_t st_name, info, other, shndx;
	unsigned int bind, type, vis;

	if (s->entsize != symsize || s->offset > e->len ||
	    s->size > e->len - s->offset)
		return -1;
	n = s->size / symsize;
	for (i = 1; i < n; i++) {	/* 0 is the undefined symbol */
		base = s->offset + i * symsize;
		if (e->is64) {
			if (W(e, base, &st_name) || get(e, base + 4, 1, &info) ||
			    get(e, base + 5, 1, &other) || H(e, base + 6, &shndx))
				return -1;
		} else {
			if (W(e, base, &st_name) || get(e, base + 12, 1, &info) ||
			    get(e, base + 13, 1, &other) || H(e, base + 14, &shndx))
				return -1;
		}
		bind = (unsigned int)(info >> 4);
		type = (unsigned int)(info & 0xf);
		vis = (unsigned int)(other & 0x3);
		if (shndx == SHN_UNDEF ||
		    (bind != STB_GLOBAL && bind != STB_WEAK &&
		    bind != STB_GNU_UNIQUE) ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    (vis != STV_DEFAULT && vis != STV_PROTECTED))
			continue;
		if (name_is(e, strtab, st_name, name))
			return 1;
	}
	return 0;
}

int
elf_exports_function(const uint8_t *buf, size_t len, const char *name,
    struct elf_ident *identp)
{
	struct elf e;
	struct shdr s, strtab;
	uint64_t cls, data, ver, type, machine, shoff, shentsize, shnum, i;
	int found = 0, r;

	if (identp != NULL)
		memset(identp, 0, sizeof(*identp));
	if (buf == NULL || name == NULL || *name == '\0')
		return SKA_ERR_INVALID_ARGUMENT;
	memset(&e, 0, sizeof(e));
	e.p = buf;
	e.len = len;
	if (len < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return SKA_ERR_INVALID_FORMAT;
	if (get(&e, EI_CLASS, 1, &cls) || get(&e, EI_DATA, 1, &data) ||
	    get(&e, EI_VERSION, 1, &ver) ||
	    (cls != ELFCLASS32 && cls != ELFCLASS64) ||
	    (data != ELFDATA2LSB && data != ELFDATA2MSB) || ver != EV_CURRENT)
		return SKA_ERR_INVALID_FORMAT;
	e.is64 = cls == ELFCLASS64;
	e.be = data == ELFDATA2MSB;
	if (H(&e, 16, &type) || H(&e, 18, &machine))
		return SKA_ERR_INVALID_FORMAT;
	if (identp != NULL) {
		identp->is64 = e.is64;
		identp->big_endian = e.be;
		identp->machine = (unsigned int)machine;
	}
	if (e.is64) {
		r = A(&e, 40, &shoff) || H(&e, 58, &shentsize) ||
		    H(&e, 60, &shnum);
	} else {
		r = A(&e, 32, &shoff) || H(&e, 46, &shentsize) ||
		    H(&e, 48, &shnum);
	}
	if (r != 0 || type != ET_DYN)
		return SKA_ERR_INVALID_FORMAT;
	if (shoff == 0 || shnum == 0)
		return 0;	/* no section headers (or too many): nothing seen */
	if (shentsize < (e.is64 ? 64u : 40u) || shnum > MAX_SECTIONS)
		return SKA_ERR_INVALID_FORMAT;
	for (i = 0; i < shnum; i++) {
		if (get_shdr(&e, shoff, shentsize, i, &s) != 0)
			return SKA_ERR_INVALID_FORMAT;
		if (s.type != SHT_DYNSYM)
			continue;
		if (s.link == 0 || s.link >= shnum ||
		    get_shdr(&e, shoff, shentsize, s.link, &strtab) != 0 ||
		    strtab.type != SHT_STRTAB)
			return SKA_ERR_INVALID_FORMAT;
		if ((r = dynsym_has(&e, &s, &strtab, name)) < 0)
			return SKA_ERR_INVALID_FORMAT;
		found |= r;
	}
	return found;
}

int
elf_fd_exports_function(int fd, const char *name, struct elf_ident *identp)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len, got = 0;
	ssize_t n;
	int r;

	if (identp != NULL)
		memset(identp, 0, sizeof(*identp));
	if (fstat(fd, &st) != 0)
		return SKA_ERR_SYSTEM;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > ELF_FILE_MAX)
		return SKA_ERR_INVALID_FORMAT;
	len = (size_t)st.st_size;
	if ((buf = malloc(len)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	while (got < len) {
		n = pread(fd, buf + got, len - got, (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = SKA_ERR_SYSTEM;
			goto out;
		}
		if (n == 0)
			break;	/* shrank meanwhile: check what is there */
		got += (size_t)n;
	}
	r = elf_exports_function(buf, got, name, identp);
 out:
	free(buf);
	return r;
}

void
elf_native_ident(struct elf_ident *id)
{
	const uint16_t one = 1;

	memset(id, 0, sizeof(*id));
	id->is64 = sizeof(void *) == 8;
	id->big_endian = *(const uint8_t *)&one == 0;
#if defined(__x86_64__)
	id->machine = EM_X86_64;
#elif defined(__i386__)
	id->machine = EM_386;
#elif defined(__aarch64__)
	id->machine = EM_AARCH64;
#elif defined(__arm__)
	id->machine = EM_ARM;
#elif defined(__riscv)
	id->machine = EM_RISCV;
#elif defined(__powerpc64__) || defined(__powerpc__)
	id->machine = id->is64 ? EM_PPC64 : EM_PPC;
#elif defined(__s390x__)
	id->machine = EM_S390;
#elif defined(__loongarch__)
	id->machine = EM_LOONGARCH;
#else
	id->machine = 0;	/* unknown: not checked */
#endif
}
