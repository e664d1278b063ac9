/* A login's destination as the user typed it (see destview.h). */
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "destview.h"
#include "knownhosts.h"
#include "proc.h"
#include "sshdest.h"

#define CMDLINE_MAX	SSHDEST_ARGV_MAX

/* The requester's home and login name (getpwuid_r: any thread). */
static int
home_of(uid_t uid, char *home, size_t hlen, char *name, size_t nlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	if (snprintf(home, hlen, "%s", pw.pw_dir) >= (int)hlen ||
	    snprintf(name, nlen, "%s", pw.pw_name) >= (int)nlen)
		return -1;
	return 0;
}

/* Is argv[0] ssh (any directory)? */
static int
is_ssh(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	return strcmp(base != NULL ? base + 1 : argv0, "ssh") == 0;
}

static void
read_configs(struct sshdest *d, const char *procroot, pid_t pid,
    const char *home)
{
	char path[PATH_MAX];
	int n;

	if (d->config != NULL) {
		if (strcmp(d->config, "none") == 0)
			return;
		/* relative to the requester's working directory */
		if (d->config[0] == '/')
			n = snprintf(path, sizeof(path), "%s", d->config);
		else
			n = snprintf(path, sizeof(path), "%s/%ld/cwd/%s",
			    procroot, (long)pid, d->config);
		if (n > 0 && n < (int)sizeof(path) &&
		    sshdest_read_config(d, path, home, 1) != 0)
			debug("%s: cannot read", path);
		return;
	}
	n = snprintf(path, sizeof(path), "%s/.ssh/config", home);
	if (n > 0 && n < (int)sizeof(path) &&
	    sshdest_read_config(d, path, home, 1) != 0)
		return;		/* out of memory: what we have */
	if (sshdest_read_config(d, "/etc/ssh/ssh_config", home, 0) != 0)
		debug("/etc/ssh/ssh_config: cannot read");
}

/* What the known_hosts files say of the lookup name and hostkey. */
static enum knownhosts_result
look_up(const struct sshdest *d, const char *home, const char *local_user,
    uid_t uid, const struct key *hostkey)
{
	enum knownhosts_result res = KNOWNHOSTS_NONE;
	char *paths[2 * SSHDEST_FILES_MAX], *host;
	size_t n, i;
	int port;

	if ((host = sshdest_lookup_host(d, &port)) == NULL)
		return KNOWNHOSTS_NONE;
	n = sshdest_known_hosts(d, home, local_user, uid, paths,
	    2 * SSHDEST_FILES_MAX);
	for (i = 0; i < n; i++) {
		if (knownhosts_check_file(paths[i], host, port, hostkey,
		    (uint64_t)time(NULL), &res) != 0)
			debug("%s: cannot read", paths[i]);
		free(paths[i]);
	}
	free(host);
	return res;
}

void
dest_view_make(const char *procroot, pid_t pid, uid_t peer,
    const struct key *hostkey, const char *user, struct dest_view *v)
{
	struct sshdest d;
	enum knownhosts_result res;
	char *buf = NULL, home[PATH_MAX], me[256];
	ssize_t n;
	int port;

	memset(v, 0, sizeof(*v));
	memset(&d, 0, sizeof(d));
	if (pid <= 0 || (buf = malloc(CMDLINE_MAX)) == NULL)
		return;
	if ((n = proc_cmdline(procroot, pid, buf, CMDLINE_MAX)) <= 0 ||
	    !is_ssh(buf) || sshdest_parse_argv(buf, (size_t)n, &d) != 0)
		goto out;
	if (home_of(peer == 0 ? getuid() : peer, home, sizeof(home), me,
	    sizeof(me)) != 0)
		goto out;
	read_configs(&d, procroot, pid, home);
	if (user == NULL || *user == '\0')
		user = d.user;
	port = d.port != 0 ? d.port : 22;
	if (asprintf(&v->name, "%s%s%s%s%.0d", user != NULL ? user : "",
	    user != NULL ? "@" : "", d.host, port != 22 ? " port " : "",
	    port != 22 ? port : 0) < 0) {
		v->name = NULL;
		goto out;
	}
	if (hostkey != NULL) {
		res = look_up(&d, home, me, peer == 0 ? getuid() : peer,
		    hostkey);
		v->confirmed = res == KNOWNHOSTS_FOUND;
		v->revoked = res == KNOWNHOSTS_REVOKED;
	}
 out:
	sshdest_clear(&d);
	free(buf);
}

void
dest_view_clear(struct dest_view *v)
{
	if (v == NULL)
		return;
	free(v->name);
	memset(v, 0, sizeof(*v));
}
