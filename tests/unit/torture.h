/*
 * Allocation failure injection for the unit tests (torture.c), as curl's
 * torture tests and libfido2's fuzzers do it.  Linked into every unit test
 * with -Wl,--wrap=malloc,... (Makefile: TORTURE_WRAP), so each allocation
 * our objects make passes through it: malloc, calloc, realloc,
 * reallocarray, strdup, strndup, asprintf, sodium_malloc and OpenSSL's
 * secure heap; and through CRYPTO_set_mem_functions every allocation
 * OpenSSL makes inside libcrypto.  Allocations libc and libsodium make for
 * themselves are not counted.  Disarmed, it only counts.
 */
#ifndef SKA_TORTURE_H
#define SKA_TORTURE_H

#include <stdint.h>

/* Code for a scenario to return when its result is wrong, not an error. */
#define TORTURE_WRONG	(-1000)

/* The nth allocation from now fails (that one only); 0 disarms. */
void torture_arm(uint64_t n);
/* Has the armed allocation failed yet? */
int torture_fired(void);
/* Allocations so far. */
uint64_t torture_count(void);

/*
 * Runs fn(arg) once undisturbed (it must return 0: it checks its own
 * results and returns TORTURE_WRONG when they are wrong), counting its
 * allocations; then again with the 1st, 2nd, ... of them failing, until a
 * run no longer reaches the failure.  Each of those runs must return 0 (a
 * failure it could do without) or an SKA_ERR_* code, never TORTURE_WRONG;
 * a crash ends the program (the last "torture: ..." line on stderr says
 * where) and LeakSanitizer (SANITIZE=1) reports whatever a failure path
 * leaked.  Prints one TAP line.  SKA_TORTURE=full fails every allocation
 * in turn (make torture); otherwise at most 100 per scenario, spread
 * evenly (make check).  TORTURE_VERBOSE=1 shows each error that was not
 * SKA_ERR_ALLOC_FAIL, with the address of the failed allocation's caller.
 */
void torture_run(const char *name, int (*fn)(void *), void *arg);

#endif
