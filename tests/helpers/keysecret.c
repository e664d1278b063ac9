/*
 * keysecret FILE: the secret values of an unencrypted private key file, as
 * needles for memscan: one line "NAME HEX" per value, 32 bytes from its
 * middle (all of it when shorter), as the file has it (big-endian), and for
 * numbers also "NAME-le HEX", byte-reversed, as a BIGNUM keeps them on a
 * little-endian machine.  ed25519: the seed; ecdsa: d; rsa: d, p, q, iqmp.
 * Exit 0, or 1 with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "keyfile.h"
#include "secmem.h"
#include "sshbuf.h"

#define NEEDLE	32

static void
print_hex(const char *name, const uint8_t *p, size_t len, int reverse)
{
	size_t i;

	printf("%s%s ", name, reverse ? "-le" : "");
	for (i = 0; i < len; i++)
		printf("%02x", p[reverse ? len - 1 - i : i]);
	printf("\n");
}

/* An mpint's bytes (no leading zero): the middle NEEDLE, both ways. */
static int
number(struct sshbuf *b, const char *name)
{
	const uint8_t *p;
	size_t len, off;

	if (sshbuf_get_bignum2_bytes_direct(b, &p, &len) != 0 || len == 0)
		return -1;
	off = len > NEEDLE ? (len - NEEDLE) / 2 : 0;
	len = len > NEEDLE ? NEEDLE : len;
	print_hex(name, p + off, len, 0);
	print_hex(name, p + off, len, 1);
	return 0;
}

int
main(int argc, char **argv)
{
	struct key *k = NULL;
	struct sshbuf *b = NULL;
	const uint8_t *sk;
	size_t sklen;
	int r = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: keysecret FILE\n");
		return 1;
	}
	if (secmem_init(0) != 0 || (b = sshbuf_new()) == NULL ||
	    keyfile_load_private(argv[1], NULL, &k, NULL, NULL) != 0 ||
	    key_private_serialize(k, b) != 0 ||
	    sshbuf_get_string_direct(b, NULL, NULL) != 0)	/* type */
		goto out;
	switch (key_type(k)) {
	case KEY_ED25519:
		/* string pk, string seed || pk */
		if (sshbuf_get_string_direct(b, NULL, NULL) != 0 ||
		    sshbuf_get_string_direct(b, &sk, &sklen) != 0 || sklen != 64)
			goto out;
		print_hex("seed", sk, 32, 0);
		break;
	case KEY_ECDSA:
		/* string curve, string Q, mpint d */
		if (sshbuf_get_string_direct(b, NULL, NULL) != 0 ||
		    sshbuf_get_string_direct(b, NULL, NULL) != 0 ||
		    number(b, "d") != 0)
			goto out;
		break;
	case KEY_RSA:
		/* n e d iqmp p q */
		if (sshbuf_get_string_direct(b, NULL, NULL) != 0 ||
		    sshbuf_get_string_direct(b, NULL, NULL) != 0 ||
		    number(b, "d") != 0 || number(b, "iqmp") != 0 ||
		    number(b, "p") != 0 || number(b, "q") != 0)
			goto out;
		break;
	default:
		goto out;
	}
	r = 0;
 out:
	if (r != 0)
		fprintf(stderr, "keysecret: %s: cannot read its secrets\n", argv[1]);
	sshbuf_free(b);
	key_free(k);
	return r == 0 ? 0 : 1;
}
