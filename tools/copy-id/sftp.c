/*
 * Installing over the sftp subsystem (-s), for accounts whose only allowed
 * command is internal-sftp.  The same reading of the remote file as over a
 * shell, and the same rules for writing it:
 *   - a file the user may not append to (opening it for appending is
 *     refused) is never written;
 *   - a new or existing file is written whole to a temporary file beside
 *     it (created exclusively, given the old file's mode), synced, and
 *     renamed over it with posix-rename@openssh.com, after checking that
 *     the file did not change meanwhile; a new file with a plain RENAME,
 *     which never replaces;
 *   - in place, with one appending write, where a copy would change what
 *     the file is: a hard link, a symlink followed with -f, a file owned
 *     by someone else than the temporary file (the user), a directory the
 *     user may not create files in, or a server without posix-rename.
 * No restorecon: sftp has no way to run it.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "sftp-client.h"

struct target {
	char *dir;		/* as the remote shell would: "." or "/" at least */
	const char *base;
	int exists;
	int follow;		/* a symlink, -f */
	struct sftp_attrs a;
	struct sshbuf *content;
	char *tmp;		/* our temporary file, until renamed or removed */
	int said;		/* a failure has been reported */
};

/* Reports a failure about the target (once is enough). */
#define say(t, ...) do {						\
	error(__VA_ARGS__);						\
	(t)->said = 1;							\
} while (0)

static void
mode_string(uint32_t perm, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	out[0] = S_ISDIR(perm) ? 'd' : S_ISLNK(perm) ? 'l' : '-';
	for (i = 0; i < 9; i++)
		out[i + 1] = (perm & (0400u >> i)) ? rwx[i] : '-';
	out[10] = '\0';
}

static int
split_target(const struct options *o, struct target *t)
{
	const char *slash = strrchr(o->target, '/');

	memset(t, 0, sizeof(*t));
	if ((t->content = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if (slash == NULL) {
		t->dir = strdup(".");
		t->base = o->target;
	} else {
		t->dir = slash == o->target ? strdup("/") :
		    strndup(o->target, (size_t)(slash - o->target));
		t->base = slash + 1;
	}
	return t->dir == NULL ? SKA_ERR_ALLOC_FAIL : 0;
}

/* As the shell: warn of the directory, and of the home for a relative path. */
static int
warn_writable(struct sftp *sf, const struct options *o, const struct target *t)
{
	struct sftp_attrs a;
	const char *dirs[2] = { t->dir, "." };
	size_t i, n = *o->target == '/' || strcmp(t->dir, ".") == 0 ? 1 : 2;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = sftp_stat(sf, dirs[i], 0, &a)) < 0)
			return r;
		if (r == 0 && (a.flags & SSH2_FILEXFER_ATTR_PERMISSIONS) &&
		    (a.perm & 022) != 0)
			say_writable_dir(dirs[i]);
	}
	return 0;
}

/* Looks at the file and reads it; says what is wrong with it. */
static int
read_target(struct sftp *sf, const struct options *o, struct target *t)
{
	struct sftp_handle h;
	int r;

	if ((r = sftp_stat(sf, o->target, 0, &t->a)) == SSH2_FX_NO_SUCH_FILE)
		return 0;
	if (r == 0 && S_ISLNK(t->a.perm)) {
		if (!o->force) {
			say(t, "%s: the remote file is a symbolic link; refusing "
			    "to follow it (-f appends through it); nothing was "
			    "changed", o->target);
			return SKA_ERR_INVALID_FORMAT;
		}
		t->follow = 1;
		if ((r = sftp_stat(sf, o->target, 1, &t->a)) ==
		    SSH2_FX_NO_SUCH_FILE)
			return 0;
	}
	if (r == 0 && !S_ISREG(t->a.perm)) {
		say(t, "%s: the remote file is not a regular file; nothing was "
		    "changed", o->target);
		return SKA_ERR_INVALID_FORMAT;
	}
	if (r == 0 && (r = sftp_open(sf, o->target, SSH2_FXF_READ, 0, &h)) == 0) {
		r = sftp_read_all(sf, &h, REMOTE_FILE_MAX, t->content);
		if (r >= 0 && sftp_close(sf, &h) < 0)
			r = SKA_ERR_CONN_CLOSED;
	}
	if (r > 0 || r == SKA_ERR_STRING_TOO_LARGE) {
		say(t, "%s: %s; nothing was changed", o->target,
		    r > 0 ? "cannot read the remote file" : "too large");
		return SKA_ERR_INVALID_FORMAT;
	}
	if (r == 0)
		t->exists = 1;
	return r;
}

/* mkdir -p of the target's directory, 0700 as the shell's umask makes it. */
static int
make_dir(struct sftp *sf, const struct target *t)
{
	struct sftp_attrs a;
	char *p = NULL;
	size_t i, len = strlen(t->dir);
	int r;

	if ((r = sftp_stat(sf, t->dir, 1, &a)) != SSH2_FX_NO_SUCH_FILE)
		return r;
	if ((p = strdup(t->dir)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	for (i = 1; i <= len && r >= 0; i++) {
		if (i < len && p[i] != '/')
			continue;
		p[i] = '\0';
		if ((r = sftp_mkdir(sf, p, 0700)) > 0 &&
		    (r = sftp_stat(sf, p, 1, &a)) == 0 && !S_ISDIR(a.perm))
			r = SSH2_FX_FAILURE;
		if (i < len)
			p[i] = '/';
	}
	free(p);
	return r;
}

/* The bytes to write after the existing ones: a newline first if needed. */
static int
new_bytes(const struct target *t, const struct keyset *ks, struct sshbuf *out)
{
	size_t i, len = sshbuf_len(t->content);
	int r = 0;

	if (len > 0 && sshbuf_ptr(t->content)[len - 1] != '\n')
		r = sshbuf_put_u8(out, '\n');
	for (i = 0; i < ks->n && r == 0; i++) {
		if (!ks->k[i].present)
			r = sshbuf_putf(out, "%s\n", ks->k[i].line);
	}
	return r;
}

/* One appending write to the file as it is (sftp-server opens O_APPEND). */
static int
append_in_place(struct sftp *sf, const struct options *o, struct target *t,
    const struct sftp_handle *h, const struct sshbuf *add)
{
	int r;

	trace(o, "appending in place to %s", o->target);
	if ((r = sftp_write(sf, h, t->a.size, sshbuf_ptr(add),
	    sshbuf_len(add))) > 0)
		say(t, "%s: cannot write the remote file; nothing was changed",
		    o->target);
	return r;
}

/* Creates the temporary file: 0 and *hp, or why not (positive). */
static int
make_temp(struct sftp *sf, struct target *t, struct sftp_handle *hp)
{
	uint8_t rnd[8];
	uint32_t perm = t->exists ? (t->a.perm & 07777) : 0600;
	int r;

	randombytes_buf(rnd, sizeof(rnd));
	free(t->tmp);
	if (asprintf(&t->tmp, "%s/.agent-copy-id.%02x%02x%02x%02x%02x%02x%02x"
	    "%02x", t->dir, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
	    rnd[6], rnd[7]) == -1) {
		t->tmp = NULL;
		return SKA_ERR_ALLOC_FAIL;
	}
	/* write access for us while we write; the mode is set at the end */
	if ((r = sftp_open(sf, t->tmp, SSH2_FXF_WRITE | SSH2_FXF_CREAT |
	    SSH2_FXF_EXCL, perm | 0200, hp)) != 0) {
		free(t->tmp);
		t->tmp = NULL;
	}
	return r;
}

/* Closes and removes our temporary file (when the session still works). */
static int
drop_temp(struct sftp *sf, struct target *t, const struct sftp_handle *h)
{
	int r = 0;

	if (h != NULL)
		r = sftp_close(sf, h);
	if (r >= 0 && (r = sftp_remove(sf, t->tmp)) == 0) {
		free(t->tmp);
		t->tmp = NULL;
	}
	return r;
}

/*
 * Writes the whole new file to the open temporary, closes it and renames
 * it over the target; the temporary is gone afterwards, whatever happens
 * (unless the connection is).
 */
static int
replace(struct sftp *sf, const struct options *o, struct target *t,
    const struct sftp_handle *h, const struct sshbuf *add)
{
	struct sftp_attrs now;
	size_t len = sshbuf_len(t->content);
	int r, r2;

	trace(o, "writing %s and renaming it over %s", t->tmp, o->target);
	if ((r = sftp_write(sf, h, 0, sshbuf_ptr(t->content), len)) == 0 &&
	    (r = sftp_write(sf, h, len, sshbuf_ptr(add), sshbuf_len(add))) == 0 &&
	    (r = sftp_fchmod(sf, h, t->exists ? t->a.perm & 07777 : 0600)) == 0 &&
	    sf->fsync)
		r = sftp_fsync(sf, h);
	if (r < 0)
		return r;
	if ((r2 = sftp_close(sf, h)) < 0)
		return r2;
	if (r == 0)
		r = r2;
	if (r == 0 && t->exists &&
	    (r = sftp_stat(sf, o->target, 0, &now)) == 0 &&
	    (now.size != t->a.size || now.mtime != t->a.mtime ||
	    now.perm != t->a.perm)) {
		say(t, "%s changed while we worked on it; nothing was changed "
		    "(run again)", o->target);
		r = SSH2_FX_FAILURE;
	} else if (r == 0 &&
	    (r = sftp_rename(sf, t->tmp, o->target, t->exists)) == 0) {
		free(t->tmp);
		t->tmp = NULL;
		return 0;
	} else if (r > 0)
		say(t, "%s: cannot write the new file or rename it into place "
		    "(sftp status %d); nothing was changed", o->target, r);
	if (r > 0 && (r2 = drop_temp(sf, t, NULL)) < 0)
		return r2;
	return r;
}

/*
 * Writes the missing keys.  ah: the file opened for appending (the user
 * may append to it), or NULL for a new file.
 */
static int
write_keys(struct sftp *sf, const struct options *o, struct target *t,
    const struct sftp_handle *ah, const struct sshbuf *add)
{
	struct sftp_handle th;
	struct sftp_attrs ta;
	unsigned long links = 0;
	int r, inplace;

	if (!t->exists && (r = make_dir(sf, t)) != 0) {
		if (r > 0)
			say(t, "%s: cannot create the remote directory; nothing "
			    "was changed", o->target);
		return r;
	}
	inplace = t->exists && (t->follow || !sf->posix_rename);
	if (t->exists && !inplace) {
		if ((r = sftp_link_count(sf, t->dir, t->base, &links)) < 0)
			return r;
		inplace = links != 1;
	}
	if (!inplace) {
		if ((r = make_temp(sf, t, &th)) < 0)
			return r;
		if (r > 0 && !t->exists) {
			say(t, "%s: cannot create a file beside it; nothing was "
			    "changed", o->target);
			return r;
		}
		/* no temporary file here, or one owned by another than the file */
		if (r > 0)
			inplace = 1;
		else if (t->exists && ((r = sftp_fstat(sf, &th, &ta)) != 0 ||
		    !(ta.flags & SSH2_FILEXFER_ATTR_UIDGID) ||
		    !(t->a.flags & SSH2_FILEXFER_ATTR_UIDGID) ||
		    ta.uid != t->a.uid)) {
			if (r < 0 || (r = drop_temp(sf, t, &th)) < 0)
				return r;
			inplace = 1;
		}
	}
	if (inplace)
		return append_in_place(sf, o, t, ah, add);
	return replace(sf, o, t, &th, add);
}

int
install_sftp(const struct options *o, struct keyset *ks, int *judgedp)
{
	struct sftp sf;
	struct target t;
	struct sftp_handle ah;
	struct sshbuf *add = NULL;
	char mode[11], detail[64];
	size_t i, nadd = 0;
	int r, ret = 1, ah_open = 0, started = 0;

	memset(&t, 0, sizeof(t));
	if ((r = split_target(o, &t)) != 0 || (add = sshbuf_new()) == NULL) {
		error("%s", ska_err(SKA_ERR_ALLOC_FAIL));
		goto out;
	}
	r = sftp_start(o, &sf);
	started = sf.s.pid != -1;	/* ssh runs, whatever sftp said */
	if (r != 0)
		goto fail;
	if ((r = warn_writable(&sf, o, &t)) != 0 ||
	    (r = read_target(&sf, o, &t)) != 0)
		goto fail;
	if (!o->force && (r = judge_file(ks, sshbuf_ptr(t.content),
	    sshbuf_len(t.content), (uint64_t)time(NULL))) != 0)
		goto fail;
	*judgedp = 1;
	for (i = 0; i < ks->n; i++)
		nadd += !ks->k[i].present;
	if (nadd == 0) {
		ret = 0;
		goto done;
	}
	/* Could the user append to it?  Opening it for that tells. */
	if (t.exists) {
		r = sftp_open(&sf, o->target, SSH2_FXF_WRITE | SSH2_FXF_APPEND,
		    0, &ah);
		if (r == SSH2_FX_PERMISSION_DENIED) {
			mode_string(t.a.perm, mode);
			snprintf(detail, sizeof(detail), "%s %u", mode, t.a.uid);
			say_readonly(o, detail);
			goto done;
		}
		if (r > 0)
			say(&t, "%s: cannot open the remote file for appending "
			    "(sftp status %d); nothing was changed", o->target, r);
		if (r != 0)
			goto fail;
		ah_open = 1;
	}
	if (o->dry_run) {
		ret = 0;
		goto done;
	}
	if ((r = new_bytes(&t, ks, add)) != 0 ||
	    (r = write_keys(&sf, o, &t, ah_open ? &ah : NULL, add)) != 0)
		goto fail;
	ret = 0;
 done:
	if (ah_open && sftp_close(&sf, &ah) != 0 && ret == 0)
		error("%s: closing the remote file failed", o->target);
	(void)sftp_end(&sf);
	goto out;
 fail:
	if (r > 0 && !t.said)
		error("%s: cannot %s the remote file (sftp status %d); nothing "
		    "was changed", o->target, *judgedp ? "write" : "read", r);
	if (!started)
		error("cannot start ssh: %s", ska_err(r));
	else if (r == SKA_ERR_CONN_CLOSED)
		session_failed(o, sftp_end(&sf), *judgedp && !o->dry_run);
	else if (r > 0) {
		if (ah_open)
			(void)sftp_close(&sf, &ah);
		(void)sftp_end(&sf);
	} else {
		if (!t.said)
			error("sftp with %s: %s; nothing was changed", o->host,
			    ska_err(r));
		session_kill(&sf.s);
	}
	*judgedp = 0;
 out:
	free(t.dir);
	free(t.tmp);
	sshbuf_free(t.content);
	sshbuf_free(add);
	return ret;
}
