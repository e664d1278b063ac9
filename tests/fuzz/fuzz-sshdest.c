/*
 * libFuzzer harness for what the agent reads to name a destination: a
 * requester's command line (sshdest_parse_argv, NUL-separated as
 * /proc/PID/cmdline) and ssh_config text (sshdest_read_config_buf), up to
 * the known_hosts name and files.  Input: the command line, then after a
 * 0xff byte the config.  Any bytes are safe; a parsed line has a host.
 * Seeds: tests/fuzz/corpus/sshdest, command lines of the forms ssh(1)
 * documents with a config of Host blocks.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sshdest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct sshdest dest;
	const uint8_t *cfg;
	char *paths[2 * SSHDEST_FILES_MAX], *h;
	size_t alen, clen = 0, np, i;
	int port;

	cfg = memchr(d, 0xff, n);
	alen = cfg != NULL ? (size_t)(cfg - d) : n;
	if (cfg != NULL) {
		cfg++;
		clen = n - alen - 1;
	}
	if (sshdest_parse_argv((const char *)d, alen, &dest) != 0) {
		CHECK(dest.host == NULL && dest.user == NULL);
		return 0;
	}
	CHECK(dest.host != NULL && dest.port >= 0 && dest.port <= 65535);
	/* no Include: the harness reads no files */
	if (clen > 0 && memmem(cfg, clen, "nclude", 6) == NULL)
		(void)sshdest_read_config_buf(&dest, (const char *)cfg, clen,
		    "/home/u", 1, 0);
	h = sshdest_lookup_host(&dest, &port);
	CHECK(port >= 0 && port <= 65535);
	free(h);
	np = sshdest_known_hosts(&dest, "/home/u", "me", 1000, paths,
	    2 * SSHDEST_FILES_MAX);
	CHECK(np <= 2 * SSHDEST_FILES_MAX);
	for (i = 0; i < np; i++) {
		CHECK(paths[i] != NULL);
		free(paths[i]);
	}
	sshdest_clear(&dest);
	return 0;
}
