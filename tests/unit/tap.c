#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"

static int tap_n, tap_failed, tap_planned;

static void
tap_vline(int pass, const char *fmt, va_list ap)
{
	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	if (!pass)
		tap_failed++;
}

void
tap_plan(int n)
{
	tap_planned = 1;
	printf("1..%d\n", n);
}

int
tap_done(void)
{
	if (!tap_planned)
		printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed == 0 ? 0 : 1;
}

int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int
tap_is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(got == want, fmt, ap);
	va_end(ap);
	if (got != want)
		printf("#   got %lld, want %lld\n", got, want);
	return got == want;
}

int
tap_is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int pass;

	pass = got != NULL && want != NULL ? strcmp(got, want) == 0 : got == want;
	va_start(ap, fmt);
	tap_vline(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got \"%s\", want \"%s\"\n", got ? got : "(null)",
		    want ? want : "(null)");
	return pass;
}

int
tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *fmt, ...)
{
	va_list ap;
	int pass;

	pass = glen == wlen && (glen == 0 || memcmp(got, want, glen) == 0);
	va_start(ap, fmt);
	tap_vline(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got %zu bytes, want %zu bytes%s\n", glen, wlen,
		    glen == wlen ? " (contents differ)" : "");
	return pass;
}

void
tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void
tap_skip(int n, const char *why)
{
	while (n-- > 0)
		printf("ok %d # skip %s\n", ++tap_n, why);
}

unsigned char *
tap_read_file(const char *path, size_t *lenp)
{
	FILE *f;
	unsigned char *p = NULL, *q;
	size_t n = 0, cap = 0, got;

	if ((f = fopen(path, "rb")) == NULL) {
		printf("Bail out! cannot open %s\n", path);
		exit(1);
	}
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((q = realloc(p, cap + 1)) == NULL) {
				printf("Bail out! out of memory reading %s\n", path);
				exit(1);
			}
			p = q;
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	p[n] = '\0';
	*lenp = n;
	return p;
}

void
tap_write_file(const char *path, const char *fmt, ...)
{
	va_list ap;
	FILE *f;
	char *dir, *slash;
	int r;

	/* its directory, one level, if missing */
	if ((dir = strdup(path)) != NULL && (slash = strrchr(dir, '/')) != NULL &&
	    slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0700);
	}
	free(dir);
	if ((f = fopen(path, "w")) == NULL) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
	va_start(ap, fmt);
	r = vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0 || r < 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(1);
	}
}
