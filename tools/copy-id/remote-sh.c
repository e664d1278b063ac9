/*
 * Installing through a POSIX sh on the remote side.  The remote side
 * prints the file, we decide here which keys are missing, and it appends
 * those: to a copy renamed into place, or in place where a copy would
 * change what the file is (a hard link, a symlink with -f, a file owned by
 * someone else, a directory we may not write).  A file the user could not
 * append to is never written.
 *
 * The conversation, on the ssh session's stdin and stdout:
 *   us:   one line of POSIX sh (REMOTE_SCRIPT), read and eval'd by
 *         BOOTSTRAP, so that the login shell only ever parses BOOTSTRAP
 *   them: MARK " warn writable " dir        (zero or more)
 *         MARK " keys " state " " size [" " mode " " uid] "\n", then size
 *         bytes of the file (state: new, file, append, or readonly, which
 *         carries the file's mode and owner)
 *      or MARK " error " code
 *   us:   "add " line, one per key, then "commit"; or "quit"
 *   them: MARK " done", or MARK " error " code
 * Anything before the first MARK line (login scripts that print) is
 * skipped.  Without a complete "commit" line the remote side changes
 * nothing.  Unwanted output is dropped by closing the descriptor, not by
 * /dev/null, which some sandboxes do not let users write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "copy-id.h"

#define MARK		"agent-copy-id-v1"

/* Parsed by the login shell, whatever it is: no newline, no \ or !. */
#define BOOTSTRAP	"exec sh -c 'IFS= read -r s && eval \"$s\"'"

/* Preceded by t='target'; F=0|1;  One line. */
static const char REMOTE_SCRIPT[] =
	"LC_ALL=C; export LC_ALL; umask 077; "
	"say() { printf '%s %s\\n' " MARK " \"$*\"; }; "
	"die() { say error \"$@\"; exit 1; }; "
	"cd || die home; "
	"case $t in */*) d=${t%/*}; d=${d:-/};; *) d=.;; esac; "
	"for x in \"$d\" .; do "
	  "case $(ls -ld -- \"$x\" 2>&-) in "
	    "?????w*|????????w*) say warn writable \"$x\";; esac; "
	  "case $t:$x in /*|*:.) break;; esac; "
	"done; "
	"s=new; v=; "
	"if [ -h \"$t\" ]; then [ \"$F\" = 1 ] || die symlink; s=append; "
	"elif [ -e \"$t\" ]; then [ -f \"$t\" ] || die notfile; s=file; fi; "
	/* could the user append to it?  would a copy change what it is? */
	"if [ -e \"$t\" ]; then set -- $(ls -lnLd -- \"$t\"); "
	  "if [ ! -w \"$t\" ]; then s=readonly; v=\"$1 $3\"; "
	  "elif [ \"$2\" -gt 1 ] || [ \"$3\" != \"$(id -u)\" ] || "
	    "[ ! -w \"$d\" ]; then s=append; fi; fi; "
	"c=; "
	"if [ -e \"$t\" ]; then "
	  "c=$(cat -- \"$t\" && echo x) || die unreadable; c=${c%x}; fi; "
	"say keys $s ${#c} $v; printf '%s' \"$c\"; "
	"nl=$(printf '\\nx'); nl=${nl%x}; a=; k=0; "
	"while IFS= read -r l; do case $l in "
	  "\"add \"*) a=$a${l#add }$nl;; "
	  "commit) k=1; break;; "
	  "quit) exit 0;; "
	  "*) die protocol;; esac; done; "
	"[ $k = 1 ] || exit 1; "
	"[ $s != readonly ] || die readonly; "
	"if [ $s = append ]; then "
	  "if [ -s \"$t\" ] && [ -n \"$(tail -c 1 -- \"$t\")\" ]; then "
	    "a=$nl$a; fi; "
	  "printf '%s' \"$a\" >> \"$t\" || die write; "
	"else "
	  "[ -d \"$d\" ] || mkdir -p -- \"$d\" || die mkdir; "
	  "p=; trap '[ -z \"$p\" ] || rm -f -- \"$p\"' EXIT; "
	  "trap 'exit 1' HUP INT TERM PIPE; "
	  "i=0; while :; do x=$d/.agent-copy-id.$$.$i; "
	    "if (set -C; : > \"$x\") 2>&-; then p=$x; break; fi; "
	    "i=$((i+1)); [ $i -lt 20 ] || die tmpfile; done; "
	  "w=; if [ $s = file ]; then cp -p -- \"$t\" \"$p\" || die copy; "
	    "case $(ls -ld -- \"$p\") in ??w*) ;; *) "
	      "w=1; chmod u+w -- \"$p\" || die copy;; esac; fi; "
	  "if [ -s \"$p\" ] && [ -n \"$(tail -c 1 -- \"$p\")\" ]; then "
	    "a=$nl$a; fi; "
	  "printf '%s' \"$a\" >> \"$p\" || die write; "
	  "[ -z \"$w\" ] || chmod u-w -- \"$p\" || die copy; "
	  "mv -f -- \"$p\" \"$t\" || die rename; p=; "
	"fi; "
	"if [ -n \"$(command -v restorecon)\" ]; then "
	  "restorecon -F \"$d\" \"$t\" >&- 2>&-; fi; "
	"say done";

/* t='target'; F=0|1; REMOTE_SCRIPT, as one line (with -x, traced). */
static char *
remote_script(const struct options *o)
{
	struct sshbuf *b;
	const char *t = o->target, *c;
	char *s = NULL;
	int r = 0;

	if ((b = sshbuf_new()) == NULL)
		return NULL;
	r |= sshbuf_putf(b, "%st='%s", o->trace ? "set -x; " : "",
	    *t == '-' ? "./" : "");
	for (c = t; *c != '\0' && r == 0; c++)
		r |= *c == '\'' ? sshbuf_putf(b, "'\\''") : sshbuf_put_u8(b, *c);
	r |= sshbuf_putf(b, "'; F=%d; %s\n", o->force, REMOTE_SCRIPT);
	if (r == 0)
		s = strndup((const char *)sshbuf_ptr(b), sshbuf_len(b));
	sshbuf_free(b);
	return s;
}

static const char *
remote_error(const char *code)
{
	static const struct {
		const char *code;
		const char *text;
	} errs[] = {
		{ "home", "cannot change to the remote home directory" },
		{ "symlink", "the remote file is a symbolic link; refusing to "
		    "follow it (-f appends through it)" },
		{ "notfile", "the remote file is not a regular file" },
		{ "unreadable", "cannot read the remote file" },
		{ "protocol", "the remote side did not understand us" },
		{ "readonly", "the remote file is not writable by the remote user" },
		{ "mkdir", "cannot create the remote directory" },
		{ "tmpfile", "cannot create a temporary file next to the "
		    "remote file" },
		{ "copy", "cannot copy the remote file" },
		{ "write", "cannot write the remote file" },
		{ "rename", "cannot rename the new file into place" },
	};
	size_t i;

	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		if (strcmp(code, errs[i].code) == 0)
			return errs[i].text;
	}
	return "unknown error";
}

/* The next protocol line (after MARK and a space), skipping others. */
static int
session_reply(struct session *s, char **replyp)
{
	char *line = NULL;
	int r;

	*replyp = NULL;
	for (;;) {
		if ((r = session_line(s, &line)) != 0)
			return r;
		if (strncmp(line, MARK " ", strlen(MARK) + 1) == 0)
			break;
		free(line);
	}
	memmove(line, line + strlen(MARK) + 1,
	    strlen(line + strlen(MARK) + 1) + 1);
	trace(s->o, "remote: %s", line);
	*replyp = line;
	return 0;
}

/*
 * Says what the remote side told us (its text made printable).  Returns 1
 * for an error our script reported (it exits then), 0 for anything else.
 */
static int
remote_says(const struct options *o, const char *reply, int committed)
{
	char *text;

	if (strncmp(reply, "error ", 6) == 0) {
		error("%s: %s; nothing was changed", o->target,
		    remote_error(reply + 6));
		return 1;
	}
	text = printable(reply);
	error("unexpected reply from %s: %s; %s", o->host,
	    text != NULL ? text : "", committed ?
	    "the remote file is either unchanged or complete" :
	    "nothing was changed");
	free(text);
	return 0;
}

/* The next reply that is not a warning; warnings are shown. */
static int
session_result(struct session *s, char **replyp)
{
	char *text;
	int r;

	for (;;) {
		if ((r = session_reply(s, replyp)) != 0)
			return r;
		if (strncmp(*replyp, "warn writable ", 14) != 0)
			return 0;
		text = printable(*replyp + 14);
		say_writable_dir(text != NULL ? text : "");
		free(text);
		free(*replyp);
		*replyp = NULL;
	}
}

/*
 * Reads "keys STATE SIZE [MODE UID]" and the file, and judges it.
 * SKA_ERR_CONN_CLOSED when the conversation ended early; other failures
 * are reported here, *exitingp set when the remote script said so and is
 * exiting.  *readonlyp: the file's mode and owner when the user may not
 * write it, else NULL.
 */
static int
read_remote_file(struct session *s, const struct options *o,
    struct keyset *ks, int *exitingp, char **readonlyp)
{
	char *reply = NULL, *state, *size_s, *end, *save = NULL;
	unsigned long long size;
	int r;

	if ((r = session_result(s, &reply)) != 0)
		goto out;
	if (strncmp(reply, "keys ", 5) != 0 ||
	    (state = strtok_r(reply + 5, " ", &save)) == NULL ||
	    (size_s = strtok_r(NULL, " ", &save)) == NULL) {
		*exitingp = remote_says(o, reply, 0);
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	errno = 0;
	size = strtoull(size_s, &end, 10);
	if (errno != 0 || end == size_s || *end != '\0' ||
	    size > REMOTE_FILE_MAX) {
		error("%s: too large, or its size is garbled; nothing was "
		    "changed", o->target);
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	trace(o, "remote file: %s, %llu bytes", state, size);
	if (strcmp(state, "readonly") == 0 &&
	    (*readonlyp = printable(save != NULL ? save : "")) == NULL &&
	    (*readonlyp = strdup("")) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	while (sshbuf_len(s->in) < size) {
		if ((r = session_fill(s)) != 0)
			goto out;
	}
	if (!o->force && (r = judge_file(ks, sshbuf_ptr(s->in), (size_t)size,
	    (uint64_t)time(NULL))) != 0)
		goto out;
	r = sshbuf_consume(s->in, (size_t)size);
 out:
	free(reply);
	return r;
}

int
install_sh(const struct options *o, struct keyset *ks, int *judgedp)
{
	static const char *const tail[] = { "--", BOOTSTRAP, NULL };
	struct session s;
	struct sshbuf *verdict = NULL;
	char *script = NULL, *reply = NULL, *readonly = NULL;
	int r, status, ret = 1, committed = 0, exiting = 0;

	if ((script = remote_script(o)) == NULL ||
	    (verdict = sshbuf_new()) == NULL) {
		error("%s", ska_err(SKA_ERR_ALLOC_FAIL));
		goto out;
	}
	if ((r = session_start(o, tail, &s)) != 0) {
		error("cannot start ssh: %s", ska_err(r));
		goto out;
	}
	if ((r = session_send(&s, script, strlen(script))) != 0 ||
	    (r = read_remote_file(&s, o, ks, &exiting, &readonly)) != 0 ||
	    (r = missing_lines(ks, verdict)) != 0)
		goto fail;
	*judgedp = 1;
	if (o->dry_run || sshbuf_len(verdict) == 0 || readonly != NULL) {
		/* The file has been read: whether "quit" arrives is moot. */
		(void)session_send(&s, "quit\n", 5);
		(void)session_end(&s);
		if (readonly != NULL && sshbuf_len(verdict) != 0)
			say_readonly(o, readonly);
		else
			ret = 0;
		goto out;
	}
	trace(o, "sending %zu bytes: the lines to add, then commit",
	    sshbuf_len(verdict));
	if ((r = sshbuf_putf(verdict, "commit\n")) != 0 ||
	    (r = session_send(&s, sshbuf_ptr(verdict),
	    sshbuf_len(verdict))) != 0)
		goto fail;
	committed = 1;
	if ((r = session_result(&s, &reply)) != 0)
		goto fail;
	if (strcmp(reply, "done") != 0) {
		exiting = remote_says(o, reply, 1);
		r = SKA_ERR_INVALID_FORMAT;
		goto fail;
	}
	(void)session_end(&s);
	ret = 0;
	goto out;
 fail:
	*judgedp = 0;
	/* Our script cleans up as it exits: let it, so that we return after. */
	if (exiting) {
		(void)session_end(&s);
		goto out;
	}
	if (r != SKA_ERR_CONN_CLOSED) {
		if (r != SKA_ERR_INVALID_FORMAT)
			error("%s", ska_err(r));
		session_kill(&s);
		goto out;
	}
	status = session_end(&s);
	session_failed(o, status, committed);
 out:
	free(script);
	free(reply);
	free(readonly);
	sshbuf_free(verdict);
	return ret;
}
