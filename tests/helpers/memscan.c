/*
 * memscan PID HEX...: is any of these byte strings anywhere in the
 * process's readable memory?  Prints each one found; exit 0 found, 1 not
 * found, 2 error (e.g. not allowed to read).  The end-to-end tests use it
 * to show that the agent's memory holds no private key it should not.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXNEEDLES	16
#define MAXLEN		256

int
main(int argc, char **argv)
{
	char path[64], line[512], perms[8];
	unsigned long start, end;
	unsigned char needle[MAXNEEDLES][MAXLEN], *buf;
	size_t nlen[MAXNEEDLES], maxlen = 0, i, j, chunk, off, got;
	ssize_t r;
	unsigned int v;
	FILE *maps;
	int memfd, n, found[MAXNEEDLES] = { 0 }, nfound = 0, readable = 0;

	n = argc - 2;
	if (n < 1 || n > MAXNEEDLES) {
		fprintf(stderr, "usage: memscan PID HEX...\n");
		return 2;
	}
	for (j = 0; j < (size_t)n; j++) {
		nlen[j] = strlen(argv[2 + j]) / 2;
		if (nlen[j] == 0 || nlen[j] > MAXLEN) {
			fprintf(stderr, "memscan: bad needle %s\n", argv[2 + j]);
			return 2;
		}
		for (i = 0; i < nlen[j]; i++) {
			if (sscanf(argv[2 + j] + 2 * i, "%2x", &v) != 1)
				return 2;
			needle[j][i] = (unsigned char)v;
		}
		if (nlen[j] > maxlen)
			maxlen = nlen[j];
	}
	snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
	if ((maps = fopen(path, "r")) == NULL) {
		perror(path);
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
	if ((memfd = open(path, O_RDONLY)) == -1) {
		perror(path);
		fclose(maps);
		return 2;
	}
	chunk = 1 << 20;
	if ((buf = malloc(chunk + maxlen)) == NULL)
		return 2;
	while (nfound < n && fgets(line, sizeof(line), maps) != NULL) {
		/* sanitizer shadow and allocator reservations are terabytes:
		 * no heap of ours is bigger than 4 GiB */
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) != 3 ||
		    perms[0] != 'r' || strstr(line, "[vvar]") != NULL ||
		    end - start > (4UL << 30))
			continue;
		/* in 1 MiB steps, overlapping by the longest needle; stop at
		 * what cannot be read */
		for (off = start, got = 0; off < end && nfound < n; off += chunk) {
			size_t want = end - off < chunk + maxlen ?
			    end - off : chunk + maxlen;

			if ((r = pread(memfd, buf, want, (off_t)off)) <= 0)
				break;
			got = 1;
			for (j = 0; j < (size_t)n; j++) {
				if (!found[j] && memmem(buf, (size_t)r,
				    needle[j], nlen[j]) != NULL) {
					found[j] = 1;
					nfound++;
				}
			}
		}
		readable += got != 0;
	}
	free(buf);
	fclose(maps);
	close(memfd);
	if (readable == 0) {
		fprintf(stderr, "memscan: nothing readable in %s\n", argv[1]);
		return 2;
	}
	for (j = 0; j < (size_t)n; j++)
		if (found[j])
			printf("%s\n", argv[2 + j]);
	return nfound > 0 ? 0 : 1;
}
