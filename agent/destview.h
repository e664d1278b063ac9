/*
 * Where a login goes, named as the user typed it, and whether that can be
 * trusted.  The name comes from the requesting ssh's command line
 * (/proc/PID/cmdline, read as ssh reads it: lib/sshdestview.h) and its
 * ssh_config; it is "confirmed" when the user's known_hosts files (those
 * ssh itself reads for that destination, hashed entries included:
 * lib/knownhosts.h) map it to the host key the connection's session-bind
 * reported.  Otherwise the name is shown as not confirmed, beside the
 * host key's fingerprint: a requester that lies about where it goes
 * cannot borrow a trusted name.
 *
 * The files are read as the requester would read them: the home directory
 * of the requesting uid (the agent's own for root: sudo ssh).  No agent
 * state; safe on any thread.
 */
#ifndef SKA_DESTVIEW_H
#define SKA_DESTVIEW_H

#include <sys/types.h>

struct key;

struct dest_view {
	char *name;	/* "alice@build", "alice@build port 2222"; NULL unknown */
	int confirmed;	/* known_hosts maps it to the host key */
	int revoked;	/* known_hosts says the host key is @revoked */
};

/*
 * Names the destination of pid's login to the host with hostkey; user is
 * the login's user name (from the signed request), or NULL to take the
 * command line's.  Never fails: an unknown name is NULL.  procroot: "/proc"
 * (tests pass another).
 */
void dest_view_make(const char *procroot, pid_t pid, uid_t peer,
    const struct key *hostkey, const char *user, struct dest_view *v);
void dest_view_clear(struct dest_view *v);

#endif
