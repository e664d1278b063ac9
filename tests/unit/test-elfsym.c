/*
 * lib/elfsym.c: real modules and libraries of this system (what `nm -D`
 * says of them), small ELF files built here field by field in all four
 * class and byte-order combinations (each rule of what counts as an
 * exported function, each bound), and hostile bytes: every short prefix,
 * and random corruption of a real module, which must give an answer or a
 * format error, never a crash (ASan under SANITIZE=1).
 *
 * SKA_ELF_SEEDS=DIR writes the built files there (the fuzz corpus).
 */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfsym.h"
#include "tap.h"

#define SOFTHSM	"/usr/lib/softhsm/libsofthsm2.so"
#define SYM	"C_GetFunctionList"

/* A little ELF writer: one dynsym section, its strtab and a null section. */
struct built {
	uint8_t b[1024];
	size_t len;
	int is64, be;
};

static void
put(struct built *f, size_t off, size_t n, uint64_t v)
{
	size_t i;

	if (off + n > sizeof(f->b))
		abort();
	for (i = 0; i < n; i++)
		f->b[off + (f->be ? n - 1 - i : i)] = (uint8_t)(v >> (8 * i));
	if (off + n > f->len)
		f->len = off + n;
}

struct sym {
	const char *name;
	unsigned int bind, type, vis, shndx;
};

/*
 * Layout: header, strtab at 0x100, symbols at 0x200, section headers at
 * 0x300 (null, dynsym, strtab).
 */
static void
build(struct built *f, int is64, int be, unsigned int etype,
    const struct sym *syms, size_t nsyms)
{
	size_t symsz = is64 ? 24 : 16, shsz = is64 ? 64 : 40, i, soff = 1;
	size_t strtab = 0x100, symtab = 0x200, shoff = 0x300, sh;
	size_t names[8];

	memset(f, 0, sizeof(*f));
	f->is64 = is64;
	f->be = be;
	memcpy(f->b, ELFMAG, SELFMAG);
	f->b[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	f->b[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
	f->b[EI_VERSION] = EV_CURRENT;
	put(f, 16, 2, etype);
	put(f, 18, 2, EM_X86_64);
	put(f, 20, 4, EV_CURRENT);
	put(f, is64 ? 40 : 32, is64 ? 8 : 4, shoff);
	put(f, is64 ? 58 : 46, 2, shsz);
	put(f, is64 ? 60 : 48, 2, 3);
	/* strings: "" then each name */
	for (i = 0; i < nsyms && i < 8; i++) {
		names[i] = soff;
		memcpy(f->b + strtab + soff, syms[i].name, strlen(syms[i].name) + 1);
		soff += strlen(syms[i].name) + 1;
	}
	/* symbols: the null one, then ours */
	for (i = 0; i < nsyms && i < 8; i++) {
		size_t s = symtab + (i + 1) * symsz;
		uint64_t info = (syms[i].bind << 4) | syms[i].type;

		put(f, s, 4, names[i]);
		put(f, s + (is64 ? 4 : 12), 1, info);
		put(f, s + (is64 ? 5 : 13), 1, syms[i].vis);
		put(f, s + (is64 ? 6 : 14), 2, syms[i].shndx);
	}
	/* section 1: dynsym, linked to 2 */
	sh = shoff + shsz;
	put(f, sh + 4, 4, SHT_DYNSYM);
	put(f, sh + (is64 ? 24 : 16), is64 ? 8 : 4, symtab);
	put(f, sh + (is64 ? 32 : 20), is64 ? 8 : 4, (nsyms + 1) * symsz);
	put(f, sh + (is64 ? 40 : 24), 4, 2);
	put(f, sh + (is64 ? 56 : 36), is64 ? 8 : 4, symsz);
	/* section 2: strtab */
	sh = shoff + 2 * shsz;
	put(f, sh + 4, 4, SHT_STRTAB);
	put(f, sh + (is64 ? 24 : 16), is64 ? 8 : 4, strtab);
	put(f, sh + (is64 ? 32 : 20), is64 ? 8 : 4, soff);
	f->len = shoff + 3 * shsz;
}

static const struct sym good[] = {
	{ "malloc", STB_GLOBAL, STT_FUNC, STV_DEFAULT, 0 },	/* undefined */
	{ "local_fn", STB_LOCAL, STT_FUNC, STV_DEFAULT, 5 },
	{ "an_object", STB_GLOBAL, STT_OBJECT, STV_DEFAULT, 5 },
	{ "hidden_fn", STB_GLOBAL, STT_FUNC, STV_HIDDEN, 5 },
	{ "weak_fn", STB_WEAK, STT_FUNC, STV_DEFAULT, 5 },
	{ "ifunc_fn", STB_GLOBAL, STT_GNU_IFUNC, STV_PROTECTED, 5 },
	{ SYM, STB_GLOBAL, STT_FUNC, STV_DEFAULT, 5 },
};
#define NGOOD	(sizeof(good) / sizeof(good[0]))

static int
has(const struct built *f, const char *name)
{
	return elf_exports_function(f->b, f->len, name, NULL);
}

static void
write_seed(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(p, 1, len, fp) != len || fclose(fp) != 0)
		abort();
}

static void
test_built(void)
{
	const char *seeds = getenv("SKA_ELF_SEEDS");
	struct built f, g;
	struct elf_ident id;
	char name[64];
	int is64, be;

	for (is64 = 0; is64 <= 1; is64++) {
		for (be = 0; be <= 1; be++) {
			const char *what = is64 ? (be ? "ELF64 MSB" : "ELF64 LSB") :
			    (be ? "ELF32 MSB" : "ELF32 LSB");

			build(&f, is64, be, ET_DYN, good, NGOOD);
			if (seeds != NULL) {
				snprintf(name, sizeof(name), "built-%d-%d", is64, be);
				write_seed(seeds, name, f.b, f.len);
			}
			is_int(elf_exports_function(f.b, f.len, SYM, &id), 1,
			    "%s: a global default function is exported", what);
			ok(id.is64 == is64 && id.big_endian == be &&
			    id.machine == EM_X86_64, "%s: class, order, machine", what);
			is_int(has(&f, "weak_fn"), 1, "%s: a weak one too", what);
			is_int(has(&f, "ifunc_fn"), 1, "%s: a protected ifunc too", what);
			is_int(has(&f, "malloc"), 0, "%s: an undefined one is not", what);
			is_int(has(&f, "local_fn"), 0, "%s: nor a local one", what);
			is_int(has(&f, "an_object"), 0, "%s: nor an object", what);
			is_int(has(&f, "hidden_fn"), 0, "%s: nor a hidden one", what);
			is_int(has(&f, "C_GetFunctionLis"), 0, "%s: nor a prefix", what);
			is_int(has(&f, "C_GetFunctionListX"), 0, "%s: nor a longer name", what);

			build(&g, is64, be, ET_EXEC, good, NGOOD);
			is_int(has(&g, SYM), SKA_ERR_INVALID_FORMAT,
			    "%s: an executable (ET_EXEC) is no module", what);
		}
	}

	/* each bound, on ELF64 LSB */
	build(&f, 1, 0, ET_DYN, good, NGOOD);
	g = f;
	g.b[EI_CLASS] = 3;
	is_int(has(&g, SYM), SKA_ERR_INVALID_FORMAT, "an unknown class");
	g = f;
	g.b[EI_VERSION] = 2;
	is_int(has(&g, SYM), SKA_ERR_INVALID_FORMAT, "an unknown version");
	g = f;
	g.b[0] = 0x7e;
	is_int(has(&g, SYM), SKA_ERR_INVALID_FORMAT, "no ELF magic");
	g = f;
	put(&g, 40, 8, 0);
	is_int(has(&g, SYM), 0, "no section headers: nothing exported");
	g = f;
	put(&g, 40, 8, UINT64_MAX - 10);
	is_int(has(&g, SYM), SKA_ERR_INVALID_FORMAT, "section headers past the end");
	g = f;
	put(&g, 58, 2, 8);
	is_int(has(&g, SYM), SKA_ERR_INVALID_FORMAT, "section header size too small");
	g = f;
	put(&g, 0x300 + 64 + 40, 4, 7);
	is_int(has(&g, SYM), SKA_ERR_INVALID_FORMAT, "dynsym linked to no section");
	g = f;
	put(&g, 0x300 + 64 + 40, 4, 1);
	is_int(has(&g, SYM), SKA_ERR_INVALID_FORMAT, "dynsym linked to a non-strtab");
	g = f;
	put(&g, 0x300 + 64 + 56, 8, 23);
	is_int(has(&g, SYM), SKA_ERR_INVALID_FORMAT, "a symbol size that is not 24");
	g = f;
	put(&g, 0x300 + 64 + 32, 8, UINT64_MAX);
	is_int(has(&g, SYM), SKA_ERR_INVALID_FORMAT, "dynsym larger than the file");
	g = f;
	put(&g, 0x300 + 64 + 24, 8, UINT64_MAX - 8);
	is_int(has(&g, SYM), SKA_ERR_INVALID_FORMAT, "dynsym offset that wraps");
	g = f;
	/* strtab cut just before the last name's NUL: it no longer counts */
	put(&g, 0x300 + 128 + 32, 8, 1 + strlen("malloc") + 1 + strlen("local_fn") +
	    1 + strlen("an_object") + 1 + strlen("hidden_fn") + 1 +
	    strlen("weak_fn") + 1 + strlen("ifunc_fn") + 1 + strlen(SYM));
	is_int(has(&g, SYM), 0, "a name without its NUL inside the strtab is not seen");
	is_int(has(&g, "weak_fn"), 1, "the names before it still are");
	g = f;
	put(&g, 0x300 + 128 + 24, 8, 0xfff0);
	is_int(has(&g, SYM), 0, "a strtab outside the file: no names");
	ok(elf_exports_function(f.b, f.len, "", NULL) == SKA_ERR_INVALID_ARGUMENT,
	    "an empty name is an invalid argument");
}

static uint8_t *
read_path(const char *path, size_t *lenp)
{
	FILE *fp;
	uint8_t *p;
	long n;

	*lenp = 0;
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) <= 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 || (p = malloc((size_t)n)) == NULL) {
		fclose(fp);
		return NULL;
	}
	if (fread(p, 1, (size_t)n, fp) != (size_t)n) {
		free(p);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	*lenp = (size_t)n;
	return p;
}

/* The path of the library that holds addr. */
static const char *
lib_of(void *addr)
{
	Dl_info info;

	if (dladdr(addr, &info) == 0 || info.dli_fname == NULL)
		return NULL;
	return info.dli_fname;
}

static void
test_real(void)
{
	struct elf_ident id, native;
	const char *libc = lib_of((void *)fclose);	/* malloc is wrapped */
	uint8_t *p, *q;
	size_t len, i, cut;
	int fd, r, bad = 0;

	elf_native_ident(&native);
	if ((fd = open(SOFTHSM, O_RDONLY)) == -1) {
		tap_skip(8, "no " SOFTHSM ": install softhsm2");
		return;
	}
	is_int(elf_fd_exports_function(fd, SYM, &id), 1,
	    "SoftHSM exports C_GetFunctionList");
	ok(id.is64 == native.is64 && id.machine == native.machine &&
	    id.big_endian == native.big_endian, "and is built for this machine");
	is_int(elf_fd_exports_function(fd, "C_NoSuchFunction", NULL), 0,
	    "but no C_NoSuchFunction");
	close(fd);
	if (libc == NULL || (fd = open(libc, O_RDONLY)) == -1) {
		tap_skip(2, "libc not found");
	} else {
		is_int(elf_fd_exports_function(fd, SYM, NULL), 0,
		    "libc (%s) is no PKCS#11 module", libc);
		is_int(elf_fd_exports_function(fd, "malloc", NULL), 1,
		    "libc exports malloc");
		close(fd);
	}
	if ((fd = open("/proc/self/exe", O_RDONLY)) != -1) {
		r = elf_fd_exports_function(fd, SYM, NULL);
		ok(r == 0 || r == SKA_ERR_INVALID_FORMAT,
		    "this test program is no module (%d)", r);
		close(fd);
	} else
		tap_skip(1, "no /proc/self/exe");
	if ((fd = open("/", O_RDONLY)) != -1) {
		is_int(elf_fd_exports_function(fd, SYM, NULL),
		    SKA_ERR_INVALID_FORMAT, "a directory is refused");
		close(fd);
	} else
		tap_skip(1, "cannot open /");

	if ((p = read_path(SOFTHSM, &len)) == NULL || (q = malloc(len)) == NULL)
		abort();
	/* prefixes: every one up to 4 KiB, then every 4099th byte */
	for (cut = 0; cut < len; cut += cut < 4096 ? 1 : 4099) {
		r = elf_exports_function(p, cut, SYM, NULL);
		if (r != SKA_ERR_INVALID_FORMAT && r != 0)
			bad++;
	}
	is_int(bad, 0, "no prefix of the module is taken for a module exporting it");
	/* random corruption: any answer but a crash */
	srandom(1);
	for (i = 0; i < 300; i++) {
		size_t n = 1 + (size_t)random() % 16, k;

		memcpy(q, p, len);
		for (k = 0; k < n; k++) {
			/* mostly the headers and tables, where the offsets are */
			size_t at = random() % 2 ? (size_t)random() % 64 :
			    (size_t)random() % len;
			q[at] = (uint8_t)random();
		}
		r = elf_exports_function(q, len, SYM, NULL);
		if (r != 0 && r != 1 && r != SKA_ERR_INVALID_FORMAT)
			bad++;
	}
	is_int(bad, 0, "300 corrupted copies: an answer or a format error each");
	free(p);
	free(q);
}

int
main(void)
{
	test_built();
	test_real();
	return tap_done();
}
