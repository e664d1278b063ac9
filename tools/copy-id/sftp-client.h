/*
 * A small SFTP version 3 client (draft-ietf-secsh-filexfer-02, with
 * OpenSSH's posix-rename@openssh.com and fsync@openssh.com) over an ssh
 * session's pipes: one request at a time, every reply read through
 * sshbuf, messages capped at 256 KiB as OpenSSH caps them.
 *
 * Every call returns 0, a negative SKA_ERR_* when the conversation itself
 * failed (the session is then unusable), or a positive SSH2_FX_* status
 * the server answered with (the session goes on).
 */
#ifndef COPY_ID_SFTP_CLIENT_H
#define COPY_ID_SFTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "copy-id.h"

#define SSH2_FX_OK			0
#define SSH2_FX_EOF			1
#define SSH2_FX_NO_SUCH_FILE		2
#define SSH2_FX_PERMISSION_DENIED	3
#define SSH2_FX_FAILURE			4

#define SSH2_FXF_READ			0x01
#define SSH2_FXF_WRITE			0x02
#define SSH2_FXF_APPEND			0x04
#define SSH2_FXF_CREAT			0x08
#define SSH2_FXF_EXCL			0x20

#define SSH2_FILEXFER_ATTR_SIZE		0x01
#define SSH2_FILEXFER_ATTR_UIDGID	0x02
#define SSH2_FILEXFER_ATTR_PERMISSIONS	0x04
#define SSH2_FILEXFER_ATTR_ACMODTIME	0x08

struct sftp_attrs {
	uint32_t flags;		/* SSH2_FILEXFER_ATTR_* present */
	uint64_t size;
	uint32_t uid, gid;
	uint32_t perm;		/* st_mode */
	uint32_t atime, mtime;
};

struct sftp_handle {
	uint8_t h[256];
	size_t len;
};

struct sftp {
	struct session s;
	const struct options *o;
	uint32_t id;
	int posix_rename;	/* the server offers posix-rename@openssh.com */
	int fsync;		/* ... and fsync@openssh.com */
};

/* Starts "ssh ... -s host sftp" and says hello. */
int sftp_start(const struct options *o, struct sftp *sf);
/* Ends the session; ssh's exit status, or -1. */
int sftp_end(struct sftp *sf);

int sftp_stat(struct sftp *sf, const char *path, int follow,
    struct sftp_attrs *a);
int sftp_fstat(struct sftp *sf, const struct sftp_handle *h,
    struct sftp_attrs *a);
/* perm is used when pflags has SSH2_FXF_CREAT. */
int sftp_open(struct sftp *sf, const char *path, uint32_t pflags,
    uint32_t perm, struct sftp_handle *h);
int sftp_close(struct sftp *sf, const struct sftp_handle *h);
/* Appends the whole file to out, which it refuses to grow past max. */
int sftp_read_all(struct sftp *sf, const struct sftp_handle *h, size_t max,
    struct sshbuf *out);
int sftp_write(struct sftp *sf, const struct sftp_handle *h, uint64_t off,
    const uint8_t *p, size_t len);
int sftp_fchmod(struct sftp *sf, const struct sftp_handle *h, uint32_t perm);
int sftp_fsync(struct sftp *sf, const struct sftp_handle *h);
int sftp_mkdir(struct sftp *sf, const char *path, uint32_t perm);
int sftp_remove(struct sftp *sf, const char *path);
/* posix: posix-rename@openssh.com (replaces); else RENAME (never does). */
int sftp_rename(struct sftp *sf, const char *from, const char *to, int posix);
/*
 * The link count of dir/name, from the "ls -l" long name the server lists
 * (OpenSSH's does); 0 when it cannot be told.
 */
int sftp_link_count(struct sftp *sf, const char *dir, const char *name,
    unsigned long *np);

#endif
