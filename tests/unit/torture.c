/* Allocation failure injection for the unit tests: see torture.h. */
#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "err.h"
#include "tap.h"
#include "torture.h"

#define QUICK_MAX	100

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__real_reallocarray(void *, size_t, size_t);
char *__real_strdup(const char *);
char *__real_strndup(const char *, size_t);
int __real_vasprintf(char **, const char *, va_list);
int __real___vasprintf_chk(char **, int, const char *, va_list);
void *__real_sodium_malloc(size_t);
void *__real_CRYPTO_secure_malloc(size_t, const char *, int);
void *__real_CRYPTO_secure_zalloc(size_t, const char *, int);

void *__wrap_malloc(size_t);
void *__wrap_calloc(size_t, size_t);
void *__wrap_realloc(void *, size_t);
void *__wrap_reallocarray(void *, size_t, size_t);
char *__wrap_strdup(const char *);
char *__wrap_strndup(const char *, size_t);
int __wrap_asprintf(char **, const char *, ...);
int __wrap_vasprintf(char **, const char *, va_list);
int __wrap___asprintf_chk(char **, int, const char *, ...);
int __wrap___vasprintf_chk(char **, int, const char *, va_list);
void *__wrap_sodium_malloc(size_t);
void *__wrap_CRYPTO_secure_malloc(size_t, const char *, int);
void *__wrap_CRYPTO_secure_zalloc(size_t, const char *, int);

static uint64_t count, target;
static int fired, fired_ours;
static void *fired_at;		/* who asked for the allocation that failed */
/* For a crash: which scenario, which allocation failed. */
static char crash_note[200];
static size_t crash_note_len;

/* Does this allocation fail?  ours: asked for by our code, not OpenSSL's. */
static int
fail_now(int ours, void *caller)
{
	uint64_t n;

	n = __atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
	if (target == 0 || n != target)
		return 0;
	fired = 1;
	fired_ours = ours;
	fired_at = caller;
	return 1;
}

#define FAIL() fail_now(1, __builtin_return_address(0))

static void *
crypto_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fail_now(0, __builtin_return_address(0)) ? NULL :
	    __real_malloc(n);
}

static void *
crypto_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return fail_now(0, __builtin_return_address(0)) ? NULL :
	    __real_realloc(p, n);
}

static void
crypto_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

static void
on_crash(int sig)
{
	(void)!write(2, crash_note, crash_note_len);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Before OpenSSL allocates anything, or it refuses. */
__attribute__((constructor)) static void
torture_init(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	size_t i;

	if (!CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc,
	    crypto_free)) {
		(void)!write(2, "torture: CRYPTO_set_mem_functions failed\n", 41);
		_exit(2);
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_crash);
}

static void
note(const char *name, uint64_t n, uint64_t total)
{
	int len;

	len = snprintf(crash_note, sizeof(crash_note),
	    "torture: %s: crashed with allocation %llu of %llu failing\n",
	    name, (unsigned long long)n, (unsigned long long)total);
	crash_note_len = len < 0 ? 0 : (size_t)len < sizeof(crash_note) ?
	    (size_t)len : sizeof(crash_note) - 1;
}

void
torture_arm(uint64_t n)
{
	fired = fired_ours = 0;
	fired_at = NULL;
	target = n == 0 ? 0 : __atomic_load_n(&count, __ATOMIC_RELAXED) + n;
}

int
torture_fired(void)
{
	return fired;
}

uint64_t
torture_count(void)
{
	return __atomic_load_n(&count, __ATOMIC_RELAXED);
}

/* "file+0xoffset" of a code address (addr2line -e file offset). */
static void
where(void *addr, char *buf, size_t len)
{
	Dl_info info;

	if (addr != NULL && dladdr(addr, &info) != 0 && info.dli_fname != NULL)
		snprintf(buf, len, "%s+0x%lx", info.dli_fname,
		    (unsigned long)((char *)addr - (char *)info.dli_fbase));
	else
		snprintf(buf, len, "%p", addr);
}

void
torture_run(const char *name, int (*fn)(void *), void *arg)
{
	const char *mode = getenv("SKA_TORTURE");
	uint64_t before, total = 0, n, step = 1, tried = 0, nok = 0;
	uint64_t nalloc = 0, nother = 0;
	int verbose = getenv("TORTURE_VERBOSE") != NULL, r, bad = 0, hit;
	char at[256];

	/* twice undisturbed: the first run may fill caches */
	torture_arm(0);
	if ((r = fn(arg)) == 0) {
		before = torture_count();
		r = fn(arg);
		total = torture_count() - before;
	}
	if (r != 0) {
		tap_ok(0, "%s: runs undisturbed", name);
		tap_diag("returned %d (%s)", r, ska_err(r));
		return;
	}
	if (mode == NULL || strcmp(mode, "full") != 0)
		step = total / QUICK_MAX + 1;
	for (n = 1; n <= total + 1; n += step) {
		note(name, n, total);
		torture_arm(n);
		r = fn(arg);
		hit = fired;
		target = 0;
		if (!hit)
			break;
		tried++;
		if (r == 0)
			nok++;
		else if (r == SKA_ERR_ALLOC_FAIL)
			nalloc++;
		else if (r < 0 && r >= SKA_ERR_MIN) {
			nother++;
			if (verbose) {
				where(fired_at, at, sizeof(at));
				tap_diag("%s: allocation %llu (by %s, %s) gave "
				    "\"%s\"", name, (unsigned long long)n, at,
				    fired_ours ? "ours" : "in OpenSSL", ska_err(r));
			}
		} else {
			where(fired_at, at, sizeof(at));
			tap_diag("%s: allocation %llu of %llu (by %s) gave %s",
			    name, (unsigned long long)n, (unsigned long long)total,
			    at, r == TORTURE_WRONG ? "a wrong result" :
			    "an unknown code");
			bad++;
		}
	}
	note(name, 0, total);
	tap_ok(bad == 0 && (tried > 0 || total == 0),
	    "%s: %llu of %llu allocations failed in turn: %llu out of memory, "
	    "%llu other errors, %llu did without", name,
	    (unsigned long long)tried, (unsigned long long)total,
	    (unsigned long long)nalloc, (unsigned long long)nother,
	    (unsigned long long)nok);
}

void *
__wrap_malloc(size_t n)
{
	return FAIL() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return FAIL() ? NULL : __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return FAIL() ? NULL : __real_realloc(p, n);
}

void *
__wrap_reallocarray(void *p, size_t n, size_t m)
{
	return FAIL() ? NULL : __real_reallocarray(p, n, m);
}

char *
__wrap_strdup(const char *s)
{
	return FAIL() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return FAIL() ? NULL : __real_strndup(s, n);
}

int
__wrap_vasprintf(char **sp, const char *fmt, va_list ap)
{
	if (FAIL())
		return -1;	/* *sp undefined, as glibc says */
	return __real_vasprintf(sp, fmt, ap);
}

int
__wrap_asprintf(char **sp, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (FAIL())
		return -1;
	va_start(ap, fmt);
	r = __real_vasprintf(sp, fmt, ap);
	va_end(ap);
	return r;
}

int
__wrap___vasprintf_chk(char **sp, int flag, const char *fmt, va_list ap)
{
	if (FAIL())
		return -1;
	return __real___vasprintf_chk(sp, flag, fmt, ap);
}

int
__wrap___asprintf_chk(char **sp, int flag, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (FAIL())
		return -1;
	va_start(ap, fmt);
	r = __real___vasprintf_chk(sp, flag, fmt, ap);
	va_end(ap);
	return r;
}

void *
__wrap_sodium_malloc(size_t n)
{
	return FAIL() ? NULL : __real_sodium_malloc(n);
}

void *
__wrap_CRYPTO_secure_malloc(size_t n, const char *file, int line)
{
	return FAIL() ? NULL : __real_CRYPTO_secure_malloc(n, file, line);
}

void *
__wrap_CRYPTO_secure_zalloc(size_t n, const char *file, int line)
{
	return FAIL() ? NULL : __real_CRYPTO_secure_zalloc(n, file, line);
}
