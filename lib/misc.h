/*
 * Small helpers every part of the tree needs, once (OpenSSH's misc.c).
 */
#ifndef SKA_MISC_H
#define SKA_MISC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "sshbuf.h"

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t monotime_ms(void);

/*
 * Writes all len bytes of p to fd (retrying on EINTR and short writes; on
 * a socket without SIGPIPE).  0, or -1 with errno set.
 */
int write_all(int fd, const void *p, size_t len);
/* Reads exactly len bytes: 0, or -1 with errno set (0 at an early end). */
int read_full(int fd, void *p, size_t len);
/*
 * Reads fd to its end into a new buffer (*bp, caller frees; read straight
 * into it, wiped as it grows: fit for secrets).  More than max bytes:
 * SKA_ERR_INVALID_FORMAT; a read error: SKA_ERR_SYSTEM (errno).
 */
int read_fd(int fd, size_t max, struct sshbuf **bp) SKA_WUR;

/* $HOME, else the password database's home for our uid, else NULL. */
const char *home_dir(void);

#endif
