/*
 * memscan PID HEX: is this byte string anywhere in the process's readable
 * memory?  Exit 0 found, 1 not found, 2 error (e.g. not allowed to read).
 * The end-to-end tests use it to show that a locked agent's memory holds
 * no private key.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	char path[64], line[512], perms[8];
	unsigned long start, end;
	unsigned char needle[256], *buf;
	size_t nlen, i, chunk, off, got;
	ssize_t r;
	unsigned int v;
	FILE *maps;
	int memfd, found = 0, readable = 0;

	if (argc != 3 || (nlen = strlen(argv[2]) / 2) == 0 || nlen > sizeof(needle)) {
		fprintf(stderr, "usage: memscan PID HEX\n");
		return 2;
	}
	for (i = 0; i < nlen; i++) {
		if (sscanf(argv[2] + 2 * i, "%2x", &v) != 1)
			return 2;
		needle[i] = (unsigned char)v;
	}
	snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
	if ((maps = fopen(path, "r")) == NULL) {
		perror(path);
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
	if ((memfd = open(path, O_RDONLY)) == -1) {
		perror(path);
		return 2;
	}
	while (!found && fgets(line, sizeof(line), maps) != NULL) {
		/* sanitizer shadow and allocator reservations are terabytes:
		 * no heap of ours is bigger than 4 GiB */
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 ||
		    perms[0] != 'r' || strstr(line, "[vvar]") != NULL ||
		    end - start > (4UL << 30))
			continue;
		/* in 1 MiB steps, overlapping by the needle; sanitizer shadow
		 * maps are terabytes of nothing: skip what cannot be read */
		chunk = 1 << 20;
		if ((buf = malloc(chunk + nlen)) == NULL)
			continue;
		for (off = start, got = 0; off < end && !found; off += chunk) {
			size_t want = end - off < chunk + nlen ? end - off : chunk + nlen;

			if ((r = pread(memfd, buf, want, (off_t)off)) <= 0)
				break;
			got = 1;
			if (memmem(buf, (size_t)r, needle, nlen) != NULL)
				found = 1;
		}
		readable += got != 0;
		free(buf);
	}
	fclose(maps);
	close(memfd);
	if (readable == 0) {
		fprintf(stderr, "memscan: nothing readable in %s\n", argv[1]);
		return 2;
	}
	return found ? 0 : 1;
}
