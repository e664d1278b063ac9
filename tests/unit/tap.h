/* A few TAP helpers for the C unit tests; prove reads what they print. */
#ifndef SKA_TAP_H
#define SKA_TAP_H

#include <stddef.h>

void tap_plan(int n);
/* Ends the run: prints the plan if none was given, returns the exit code. */
int tap_done(void);
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_is_int(long long got, long long want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tap_is_str(const char *got, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_skip(int n, const char *why);
/* Reads a whole file (test vectors); bails out on failure. */
unsigned char *tap_read_file(const char *path, size_t *lenp);
/* Writes a file (printf format), its directory made if missing; bails out on failure. */
void tap_write_file(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define ok(c, ...)	tap_ok(!!(c), __VA_ARGS__)
#define is_int(g, w, ...) tap_is_int((long long)(g), (long long)(w), __VA_ARGS__)
#define is_str(g, w, ...) tap_is_str((g), (w), __VA_ARGS__)

#endif
