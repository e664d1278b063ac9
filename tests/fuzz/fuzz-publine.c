/*
 * libFuzzer harness for the one-line public key form ("type base64
 * comment", .pub files, key_from_public_line): what parses is written back
 * as a line that reads as the same key and comment.
 * Seeds: tests/fuzz/corpus/publine, stock ssh-keygen's .pub files and
 * certificates (tests/fuzz/make-seeds.sh).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "key.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct key *k = NULL, *k2 = NULL;
	char *text, *comment = NULL, *comment2 = NULL, *line = NULL;

	CHECK((text = malloc(n + 1)) != NULL);
	memcpy(text, d, n);
	text[n] = '\0';
	if (key_from_public_line(text, &k, &comment) != 0) {
		CHECK(k == NULL && comment == NULL);
		free(text);
		return 0;
	}
	CHECK(comment != NULL);
	CHECK(key_to_public_line(k, comment, &line) == 0);
	CHECK(key_from_public_line(line, &k2, &comment2) == 0);
	CHECK(key_equal(k, k2));
	/* the comment comes back unless it was cut at a line break */
	CHECK(strcmp(comment, comment2) == 0);
	free(text);
	free(comment);
	free(comment2);
	free(line);
	key_free(k);
	key_free(k2);
	return 0;
}
