/*
 * token-pin: a software token's PIN behind the agent's back, with
 * libfido2 directly (not the code under test), for the PIN cache tests.
 *
 *   token-pin -d unix:PATH -r            prints the PIN retries left
 *   token-pin -d unix:PATH -c OLD NEW    changes the PIN
 */
#include <stdio.h>
#include <unistd.h>

#include <fido.h>

#include "unix-io.h"

int
main(int argc, char **argv)
{
	fido_dev_t *d = NULL;
	const char *dev = NULL;
	int ch, retries = 0, change = 0, r, n = -1;

	while ((ch = getopt(argc, argv, "d:rc")) != -1) {
		switch (ch) {
		case 'd': dev = optarg; break;
		case 'r': retries = 1; break;
		case 'c': change = 1; break;
		default: return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (dev == NULL || retries == change || (change && argc != 2))
		return 2;
	fido_init(0);
	if ((d = test_unix_dev_open(dev, NULL, 5000, NULL)) == NULL) {
		fprintf(stderr, "token-pin: cannot open %s\n", dev);
		return 1;
	}
	if (retries) {
		if ((r = fido_dev_get_retry_count(d, &n)) == FIDO_OK)
			printf("%d\n", n);
	} else
		r = fido_dev_set_pin(d, argv[1], argv[0]);
	if (r != FIDO_OK)
		fprintf(stderr, "token-pin: %s\n", fido_strerr(r));
	fido_dev_close(d);
	fido_dev_free(&d);
	return r == FIDO_OK ? 0 : 1;
}
