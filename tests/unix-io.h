/*
 * libfido2 custom I/O for the test programs that reach a software token
 * (tests/softtoken) through libfido2 directly, not through lib/ (the code
 * under test): one 64-byte CTAPHID report per SOCK_SEQPACKET datagram in
 * each direction, no report id.  libfido2 writes 65 bytes (report id 0,
 * then the report) and reads 64.  Shares no code with lib/ (a test oracle).
 */
#ifndef SKA_TESTS_UNIX_IO_H
#define SKA_TESTS_UNIX_IO_H

#include <stddef.h>

#include <fido.h>

/* A SOCK_SEQPACKET socket connected to path (no "unix:"), or -1. */
int test_unix_connect(const char *path);

/* The four libfido2 I/O functions; open takes "unix:PATH" or PATH. */
void *test_unix_open(const char *path);
void test_unix_close(void *h);
int test_unix_read(void *h, unsigned char *buf, size_t len, int ms);
int test_unix_write(void *h, const unsigned char *buf, size_t len);
extern const fido_dev_io_t test_unix_io;

/*
 * A device opened on spec ("unix:PATH" or PATH) through io (NULL:
 * test_unix_io) with timeout_ms (-1: libfido2's default, none); NULL on
 * failure, with libfido2's error in *fido_errp when not NULL.
 */
fido_dev_t *test_unix_dev_open(const char *spec, const fido_dev_io_t *io,
    int timeout_ms, int *fido_errp);

#endif
