#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "randomart.h"

#define FLDBASE		8
#define FLDSIZE_Y	(FLDBASE + 1)
#define FLDSIZE_X	(FLDBASE * 2 + 1)

/* the border with a label in its middle, as sshkey.c centres it */
static char *
border(char *p, const char *label)
{
	size_t i, len = strlen(label);

	*p++ = '+';
	for (i = 0; i < (FLDSIZE_X - len) / 2; i++)
		*p++ = '-';
	memcpy(p, label, len);
	p += len;
	for (i += len; i < FLDSIZE_X; i++)
		*p++ = '-';
	*p++ = '+';
	return p;
}

char *
key_randomart(const struct key *k)
{
	return key_randomart_hash(k, KEY_FP_SHA256);
}

char *
key_randomart_hash(const struct key *k, enum key_fp_hash h)
{
	/* characters for 0, 1, 2... visits; then start and end */
	static const char aug[] = " .o+=*BOX@%&#/^SE";
	const size_t len = sizeof(aug) - 2;
	uint8_t field[FLDSIZE_X][FLDSIZE_Y], dgst[crypto_hash_sha256_BYTES];
	char title[FLDSIZE_X], *ret = NULL, *p;
	struct sshbuf *b = NULL;
	unsigned int dlen = sizeof(dgst);
	int x, y, input, n;
	size_t i, bit;

	if ((b = sshbuf_new()) == NULL || key_plain_blob(k, b) != 0)
		goto out;
	if (h == KEY_FP_MD5) {
		if (EVP_Digest(sshbuf_ptr(b), sshbuf_len(b), dgst, &dlen,
		    EVP_md5(), NULL) != 1)
			goto out;
	} else
		crypto_hash_sha256(dgst, sshbuf_ptr(b), sshbuf_len(b));
	memset(field, 0, sizeof(field));
	x = FLDSIZE_X / 2;
	y = FLDSIZE_Y / 2;
	for (i = 0; i < dlen; i++) {
		input = dgst[i];
		/* four moves per byte, two bits each, low bits first */
		for (bit = 0; bit < 4; bit++) {
			x += (input & 0x1) ? 1 : -1;
			y += (input & 0x2) ? 1 : -1;
			x = x < 0 ? 0 : x > FLDSIZE_X - 1 ? FLDSIZE_X - 1 : x;
			y = y < 0 ? 0 : y > FLDSIZE_Y - 1 ? FLDSIZE_Y - 1 : y;
			if (field[x][y] < len - 2)
				field[x][y]++;
			input >>= 2;
		}
	}
	field[FLDSIZE_X / 2][FLDSIZE_Y / 2] = (uint8_t)(len - 1);
	field[x][y] = (uint8_t)len;

	/* "[type bits]", or "[type]" when that would not fit (as sshkey.c) */
	n = snprintf(title, sizeof(title), "[%s %u]", key_type_short(k),
	    key_bits(k));
	if (n < 0 || n > (int)sizeof(title))
		snprintf(title, sizeof(title), "[%s]", key_type_short(k));

	if ((ret = calloc(FLDSIZE_X + 3, FLDSIZE_Y + 2)) == NULL)
		goto out;
	p = border(ret, title);
	*p++ = '\n';
	for (y = 0; y < FLDSIZE_Y; y++) {
		*p++ = '|';
		for (x = 0; x < FLDSIZE_X; x++)
			*p++ = aug[field[x][y] < len ? field[x][y] : len];
		*p++ = '|';
		*p++ = '\n';
	}
	border(p, h == KEY_FP_MD5 ? "[MD5]" : "[SHA256]");
 out:
	sshbuf_free(b);
	return ret;
}
