/*
 * OpenSSH's "randomart" picture of a key's SHA256 fingerprint (the drunken
 * bishop of sshkey.c fingerprint_randomart), as ssh-keygen prints it after
 * "The key's randomart image is:".
 */
#ifndef SKA_RANDOMART_H
#define SKA_RANDOMART_H

#include "key.h"

/* 11 lines of 19 characters, no final newline; caller frees.  NULL: no memory. */
char *key_randomart(const struct key *k);

#endif
