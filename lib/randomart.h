/*
 * OpenSSH's "randomart" picture of a key's fingerprint (the drunken bishop
 * of sshkey.c fingerprint_randomart), as ssh-keygen prints it after "The
 * key's randomart image is:" (SHA256) and with -lv (-E md5 too).
 */
#ifndef SKA_RANDOMART_H
#define SKA_RANDOMART_H

#include "key.h"

/* 11 lines of 19 characters, no final newline; caller frees.  NULL: no memory. */
char *key_randomart(const struct key *k);
/* The same for the fingerprint with hash h ("[MD5]" at the bottom). */
char *key_randomart_hash(const struct key *k, enum key_fp_hash h);

#endif
