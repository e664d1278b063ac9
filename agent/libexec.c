/* Finding the agent's helper programs: see libexec.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libexec.h"
#include "paths.h"	/* SKAGENT_LIBEXECDIR, made by make */

const char *
helper_path(const char *name, const char *env, char *buf, size_t len)
{
	char self[PATH_MAX], *slash;
	const char *e;
	ssize_t n;
	int w;

	if (env != NULL && (e = getenv(env)) != NULL && *e != '\0') {
		snprintf(buf, len, "%s", e);
		return buf;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			w = snprintf(buf, len, "%s/%s", self, name);
			if (w > 0 && (size_t)w < len && access(buf, X_OK) == 0)
				return buf;
		}
	}
	snprintf(buf, len, "%s/%s", SKAGENT_LIBEXECDIR, name);
	return buf;
}
