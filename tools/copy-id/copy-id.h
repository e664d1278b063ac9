/*
 * agent-copy-id's parts: the keys to install (keys.c), what the remote
 * authorized_keys says about them (judge.c), the ssh session (session.c),
 * and the two ways to read and change the remote file: a POSIX sh script
 * (remote-sh.c) or the sftp subsystem (sftp.c, sftp-msg.c).  Messages go
 * to stderr through error(); stdout holds one line per key and a summary.
 */
#ifndef COPY_ID_H
#define COPY_ID_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "sshbuf.h"

#define PROG		"agent-copy-id"
#define REMOTE_FILE_MAX	(16 * 1024 * 1024)	/* remote authorized_keys */

struct options {
	int dry_run;
	int force;
	int sftp;
	int trace;
	int seen_i;
	const char **id_files;	/* -i arguments; NULL for the default file */
	size_t nid_files;
	const char *target;
	const char **ssh_args;	/* -p, -o and -F, in order */
	size_t nssh_args;
	const char *host;
};

struct key_entry {
	uint8_t *blob;
	size_t bloblen;
	const char *type;	/* static */
	char *comment;		/* printable, or NULL */
	char *options;		/* for authorized_keys, or NULL */
	char *line;
	char *fp;
	char *source;		/* where it came from, for messages */
	int present;		/* a line sshd accepts holds it */
	int present_no_touch;	/* that line has no-touch-required */
	char *restricted;	/* that line's restrictions, or NULL */
	size_t refused_line;	/* first line that holds it and sshd ignores */
	const char *refused_why;
};

struct keyset {
	struct key_entry *k;
	size_t n;
};

void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void trace(const struct options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A copy with control characters as '?' and no blanks at either end. */
char *printable(const char *s);
/* w as one shell word (in single quotes when it needs them). */
int put_shell_word(struct sshbuf *b, const char *w);

/* keys.c */
int select_keys(const struct options *o, struct keyset *ks);
void keyset_clear(struct keyset *ks);

/* judge.c: marks the keys the remote file holds; notes lines sshd ignores. */
int judge_file(struct keyset *ks, const uint8_t *file, size_t len,
    uint64_t now);
/* "add LINE\n" for every key not present. */
int missing_lines(const struct keyset *ks, struct sshbuf *out);

/* session.c: ssh with our usual options and extra args at the end. */
struct session {
	pid_t pid;
	int to;
	int from;
	struct sshbuf *in;
	int eof;
	const struct options *o;
};
int session_start(const struct options *o, const char *const *tail,
    struct session *s);
int session_send(struct session *s, const void *p, size_t len);
int session_fill(struct session *s);
int session_line(struct session *s, char **linep);
int session_end(struct session *s);
void session_kill(struct session *s);
/* Says why ssh ended before the conversation did; nothing was changed. */
void session_failed(const struct options *o, int status, int committed);

/*
 * The two installers.  Each reads the remote file, judges it, and (unless
 * -n, or nothing is missing) writes the missing lines.  Return 0 when every
 * key is in the remote file afterwards (with -n: would be); 1 otherwise,
 * having said why.  *judgedp is set once the keys have been judged against
 * the remote file (and not changed since, but by us).
 */
int install_sh(const struct options *o, struct keyset *ks, int *judgedp);
int install_sftp(const struct options *o, struct keyset *ks, int *judgedp);

/* The refusal for a file the user could not append to ("MODE UID"). */
void say_readonly(const struct options *o, const char *detail);
/* The warning for a directory sshd's StrictModes would not trust. */
void say_writable_dir(const char *dir);

#endif
