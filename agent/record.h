/*
 * The signing record: one line per signature, JSON Lines (one flat object
 * per line, the common fields first), appended to
 * $XDG_STATE_HOME/skagent/signatures.jsonl and rotated to .1 at a size.
 * Never a secret in it, nor the signed data.
 *
 * recfmt.c is the pure part (formatting, parsing, the file and its
 * rotation); record.c the agent's side (what a signature was, buffering,
 * the last few records for the status view).
 */
#ifndef SKA_RECORD_H
#define SKA_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define RECORD_FILE		"signatures.jsonl"
#define RECORD_MAX_DEFAULT	(1024 * 1024)
#define RECORD_MAX_MIN		4096
#define RECORD_FIELD_MAX	256	/* bytes of one text field kept */
#define RECORD_RECENT		10	/* records the status view shows */

/* One signature.  NULL strings and negative numbers are left out. */
struct record_entry {
	int64_t time_ms;	/* wall clock, ms since the epoch */
	int ok;
	const char *error;	/* why it failed */
	const char *key;	/* fingerprint */
	const char *type;	/* "ED25519-SK" */
	const char *comment;
	const char *requester;	/* "ssh (1234) <- bash (1100)" */
	long pid;		/* SO_PEERCRED; 0 unknown */
	int sk;			/* the sk fields below apply */
	const char *token;	/* the token that served it */
	int up, uv;		/* from the signature; -1 unknown */
	int64_t counter;	/* -1 unknown */
	const char *destination;	/* host key fingerprint (session-bound) */
	int forwarded;		/* with destination: through a forwarded agent */
	const char *use;	/* "login", "sshsig", or NULL */
	const char *user;	/* login: the user name */
	const char *ns;		/* sshsig: the namespace */
};

/*
 * A growable text buffer (capped at 1 MiB).  jbuf_put fails with
 * SKA_ERR_NO_BUFFER_SPACE or ALLOC_FAIL and leaves the buffer as it was.
 */
struct jbuf {
	char *p;
	size_t len, cap;
};
int jbuf_put(struct jbuf *j, const void *p, size_t n) SKA_WUR;
void jbuf_reset(struct jbuf *j);
void jbuf_free(struct jbuf *j);

/*
 * Appends s (at most max bytes of it) as a JSON string, quotes included:
 * '"', '\' and control characters escaped, bytes that are not UTF-8 as
 * \ufffd.
 */
int json_put_string(struct jbuf *j, const char *s, size_t max) SKA_WUR;
/* Appends one record line, '\n' included. */
int record_format(struct jbuf *j, const struct record_entry *e) SKA_WUR;

/*
 * A flat JSON object read back: names and values as text (strings
 * unescaped; numbers, true and false as written; null as NULL).  Anything
 * else (nesting, trailing bytes, bad escapes) is INVALID_FORMAT.
 */
struct json_obj {
	size_t n;
	char **names, **values;
};
int json_parse_flat(const char *line, size_t len, struct json_obj *o) SKA_WUR;
/* The value of name, or NULL. */
const char *json_get(const struct json_obj *o, const char *name);
void json_obj_free(struct json_obj *o);

/*
 * The record file.  recfile_open makes dir (and missing parents) 0700,
 * opens dir/name for appending, 0600, never through a symlink.
 * recfile_append writes whole lines ('\n'-terminated) and never lets the
 * file pass max (unless one line is longer): when the next line would not
 * fit, the file is renamed to name.1 (replacing that) and a new one
 * started.  A write that fails part-way is cut back, so the file never
 * ends in half a line.
 */
struct recfile {
	int fd;
	char *path;
	size_t max;
};
int recfile_open(struct recfile *rf, const char *dir, const char *name,
    size_t max) SKA_WUR;
int recfile_append(struct recfile *rf, const void *buf, size_t len) SKA_WUR;
void recfile_close(struct recfile *rf);

/*
 * The last n lines of dir/name, older ones from name.1 when the file has
 * fewer; oldest first.  *linesp: array of *nlinesp strings (no '\n');
 * free with record_lines_free.  No file: 0 lines.
 */
int record_tail(const char *dir, const char *name, size_t n, char ***linesp,
    size_t *nlinesp) SKA_WUR;
void record_lines_free(char **lines, size_t n);

/* $XDG_STATE_HOME/skagent, or ~/.local/state/skagent; caller frees. */
char *record_dir(void);

/* record.c: the agent's side */
struct conn;
struct identity;
struct sshbuf;

/*
 * dir NULL: no record at all; "": the last records in memory only (as when
 * the file cannot be opened, which is logged).  max: rotation size.
 */
void record_init(const char *dir, size_t max);
/* Writes what is buffered and closes the file. */
void record_shutdown(void);
int record_enabled(void);

/* What the sk path adds to a record. */
struct record_sk {
	const char *token;		/* or NULL / "" */
	const struct sshbuf *sig;	/* the signature (flags, counter) */
};
/*
 * Records a signature request by c with id that ended with r (0: signed).
 * sk NULL for in-memory keys.  data: what was to be signed (never
 * written: its kind, login user or SSHSIG namespace is taken).
 */
void record_sign(struct conn *c, struct identity *id, int r,
    const struct record_sk *sk, const uint8_t *data, size_t dlen);
/* The last records (at most RECORD_RECENT), oldest first; valid until the next record. */
size_t record_recent(const char **lines, size_t max);

/* c's requester chain (computed once per connection); "" if unknown. */
const char *conn_requester(struct conn *c);
/*
 * The fingerprint of the host key c's request goes to (its last
 * session-bind), or NULL when not session-bound; *forwardedp: some hop
 * came through a forwarded agent.  Caller frees.
 */
char *conn_destination(struct conn *c, int *forwardedp);

#endif
