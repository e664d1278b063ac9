/*
 * Where an ssh command line goes, read the way ssh(1) reads it: the
 * destination as typed ([user@]host or ssh://[user@]host[:port]), the
 * options that decide the port and the known_hosts lookup (-l, -p, -F, -o
 * User=, Port=, HostName=, HostKeyAlias=, UserKnownHostsFile=,
 * GlobalKnownHostsFile=), then the ssh_config files, first value wins.
 *
 * Options are parsed as ssh's getopt string says, up to the destination and
 * again after it (ssh host -p 2222), up to the command.  ssh_config is
 * read for Host blocks (patterns with '*', '?' and '!'), Include (globs,
 * relative to ~/.ssh or /etc/ssh, 16 deep at most) and the keywords above;
 * a Match block is taken as not matching, so what it sets is not seen
 * (the destination is then not confirmed rather than confirmed wrongly).
 * HostName expands %h and %%; known_hosts paths expand ~, %d, %u, %i, %h,
 * %n, %p, %r and %%; a path with any other token is left out.
 *
 * No I/O apart from reading the config files named; any input is safe.
 */
#ifndef SKA_SSHDEST_H
#define SKA_SSHDEST_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define SSHDEST_ARGV_MAX	(64 * 1024)	/* longer command lines are refused */
#define SSHDEST_FILES_MAX	8		/* known_hosts files kept per kind */
#define SSHDEST_INCLUDE_DEPTH	16

struct sshdest {
	char *host;		/* as typed (after any user@), not lowercased */
	char *user;		/* -l, user@, -o User=, config User; NULL: none */
	int port;		/* -p, ssh://, -o Port=, config Port; 0: none */
	char *hostname;		/* -o HostName=, config HostName (expanded) */
	char *hostkeyalias;	/* -o HostKeyAlias=, config */
	char *config;		/* -F FILE; NULL: the default files */
	/* UserKnownHostsFile / GlobalKnownHostsFile as written; NULL unset */
	char *user_known;
	char *global_known;
};

/*
 * Parses an argv of len bytes, each argument NUL-terminated (as
 * /proc/PID/cmdline), argv[0] included.  0 with *d filled (clear it with
 * sshdest_clear), SKA_ERR_INVALID_FORMAT when it is no ssh command line
 * with a destination (unknown option, missing argument, no host),
 * SKA_ERR_STRING_TOO_LARGE, SKA_ERR_ALLOC_FAIL.
 */
int sshdest_parse_argv(const char *argv, size_t len, struct sshdest *d) SKA_WUR;

/*
 * Reads the ssh_config text of path into d for its host (first value
 * wins, as ssh).  home is the user's home directory (for ~ and relative
 * Include).  A file that cannot be read adds nothing (0).
 */
int sshdest_read_config(struct sshdest *d, const char *path,
    const char *home, int user_config) SKA_WUR;

/* The same over a text of len bytes (what the file holds). */
int sshdest_read_config_buf(struct sshdest *d, const char *buf, size_t len,
    const char *home, int user_config, int depth) SKA_WUR;

/*
 * The name ssh looks up in known_hosts for d (HostKeyAlias, else
 * HostName or the host, lower case), and the port to go with it (0 with an
 * alias or port 22).  NULL when out of memory; caller frees.
 */
char *sshdest_lookup_host(const struct sshdest *d, int *portp);

/*
 * The known_hosts files ssh reads for d (UserKnownHostsFile, default
 * ~/.ssh/known_hosts ~/.ssh/known_hosts2; then GlobalKnownHostsFile,
 * default /etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2), expanded.
 * Fills paths[] (at most 2 * SSHDEST_FILES_MAX) and returns how many;
 * the caller frees each.  "none" gives none.
 */
size_t sshdest_known_hosts(const struct sshdest *d, const char *home,
    const char *local_user, uid_t uid, char **paths, size_t max);

void sshdest_clear(struct sshdest *d);

#endif
