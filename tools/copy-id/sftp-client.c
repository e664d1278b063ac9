#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sftp-client.h"

#define SSH2_FXP_INIT		1
#define SSH2_FXP_VERSION	2
#define SSH2_FXP_OPEN		3
#define SSH2_FXP_CLOSE		4
#define SSH2_FXP_READ		5
#define SSH2_FXP_WRITE		6
#define SSH2_FXP_LSTAT		7
#define SSH2_FXP_FSTAT		8
#define SSH2_FXP_FSETSTAT	10
#define SSH2_FXP_OPENDIR	11
#define SSH2_FXP_READDIR	12
#define SSH2_FXP_REMOVE		13
#define SSH2_FXP_MKDIR		14
#define SSH2_FXP_STAT		17
#define SSH2_FXP_RENAME		18
#define SSH2_FXP_STATUS		101
#define SSH2_FXP_HANDLE		102
#define SSH2_FXP_DATA		103
#define SSH2_FXP_NAME		104
#define SSH2_FXP_ATTRS		105
#define SSH2_FXP_EXTENDED	200

#define SFTP_MSG_MAX		(256 * 1024)
#define SFTP_CHUNK		32768

static const char *
type_name(uint8_t t)
{
	static const char *names[] = {
		NULL, "INIT", "VERSION", "OPEN", "CLOSE", "READ", "WRITE",
		"LSTAT", "FSTAT", "SETSTAT", "FSETSTAT", "OPENDIR", "READDIR",
		"REMOVE", "MKDIR", "RMDIR", "REALPATH", "STAT", "RENAME",
	};

	if (t < sizeof(names) / sizeof(names[0]) && names[t] != NULL)
		return names[t];
	return t == SSH2_FXP_EXTENDED ? "EXTENDED" : "?";
}

static int
send_msg(struct sftp *sf, uint8_t type, const struct sshbuf *body,
    const char *what)
{
	struct sshbuf *m;
	int r;

	if ((m = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_u32(m, (uint32_t)(sshbuf_len(body) + 1 +
	    (type == SSH2_FXP_INIT ? 0 : 4)))) != 0 ||
	    (r = sshbuf_put_u8(m, type)) != 0 ||
	    (type != SSH2_FXP_INIT && (r = sshbuf_put_u32(m, ++sf->id)) != 0) ||
	    (r = sshbuf_putb(m, body)) != 0)
		goto out;
	trace(sf->o, "sftp: %s %s", type_name(type), what);
	r = session_send(&sf->s, sshbuf_ptr(m), sshbuf_len(m));
 out:
	sshbuf_free(m);
	return r;
}

/* The next message; *typep its type, *bodyp what follows the type. */
static int
recv_msg(struct sftp *sf, uint8_t *typep, struct sshbuf **bodyp)
{
	struct sshbuf *b = NULL;
	uint32_t len;
	int r;

	*bodyp = NULL;
	while (sshbuf_len(sf->s.in) < 4) {
		if ((r = session_fill(&sf->s)) != 0)
			return r;
	}
	if ((r = sshbuf_peek_u32(sf->s.in, &len)) != 0)
		return r;
	if (len < 1 || len > SFTP_MSG_MAX)
		return SKA_ERR_INVALID_FORMAT;
	while (sshbuf_len(sf->s.in) < 4 + (size_t)len) {
		if ((r = session_fill(&sf->s)) != 0)
			return r;
	}
	if ((b = sshbuf_from(sshbuf_ptr(sf->s.in) + 4, len)) == NULL ||
	    (*bodyp = sshbuf_fromb(b)) == NULL) {
		sshbuf_free(b);
		return SKA_ERR_ALLOC_FAIL;
	}
	sshbuf_free(b);
	if ((r = sshbuf_consume(sf->s.in, 4 + (size_t)len)) != 0 ||
	    (r = sshbuf_get_u8(*bodyp, typep)) != 0) {
		sshbuf_free(*bodyp);
		*bodyp = NULL;
	}
	return r;
}

/*
 * Sends a request and reads its reply: *bodyp after type and id.  A STATUS
 * reply other than OK is returned as its (positive) code.
 */
static int
request(struct sftp *sf, uint8_t type, const struct sshbuf *body,
    const char *what, uint8_t *rtypep, struct sshbuf **bodyp)
{
	struct sshbuf *b = NULL;
	uint32_t id, status;
	uint8_t rtype;
	int r;

	*bodyp = NULL;
	if ((r = send_msg(sf, type, body, what)) != 0 ||
	    (r = recv_msg(sf, &rtype, &b)) != 0)
		goto out;
	if ((r = sshbuf_get_u32(b, &id)) != 0)
		goto out;
	if (id != sf->id) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	if (rtype == SSH2_FXP_STATUS) {
		if ((r = sshbuf_get_u32(b, &status)) != 0)
			goto out;
		trace(sf->o, "sftp: status %u", status);
		if (status > 0x7fffffff) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		r = (int)status;
		if (r != SSH2_FX_OK)
			goto out;
	}
	*rtypep = rtype;
	*bodyp = b;
	b = NULL;
	r = 0;
 out:
	sshbuf_free(b);
	return r;
}

/* A request answered by STATUS alone. */
static int
request_status(struct sftp *sf, uint8_t type, const struct sshbuf *body,
    const char *what)
{
	struct sshbuf *b = NULL;
	uint8_t rtype;
	int r;

	if ((r = request(sf, type, body, what, &rtype, &b)) == 0 &&
	    rtype != SSH2_FXP_STATUS)
		r = SKA_ERR_INVALID_FORMAT;
	sshbuf_free(b);
	return r;
}

static int
get_attrs(struct sshbuf *b, struct sftp_attrs *a)
{
	uint32_t n, i;
	int r;

	memset(a, 0, sizeof(*a));
	if ((r = sshbuf_get_u32(b, &a->flags)) != 0)
		return r;
	if ((a->flags & SSH2_FILEXFER_ATTR_SIZE) &&
	    (r = sshbuf_get_u64(b, &a->size)) != 0)
		return r;
	if ((a->flags & SSH2_FILEXFER_ATTR_UIDGID) &&
	    ((r = sshbuf_get_u32(b, &a->uid)) != 0 ||
	    (r = sshbuf_get_u32(b, &a->gid)) != 0))
		return r;
	if ((a->flags & SSH2_FILEXFER_ATTR_PERMISSIONS) &&
	    (r = sshbuf_get_u32(b, &a->perm)) != 0)
		return r;
	if ((a->flags & SSH2_FILEXFER_ATTR_ACMODTIME) &&
	    ((r = sshbuf_get_u32(b, &a->atime)) != 0 ||
	    (r = sshbuf_get_u32(b, &a->mtime)) != 0))
		return r;
	if (a->flags & 0x80000000) {	/* extended: name, data pairs */
		if ((r = sshbuf_get_u32(b, &n)) != 0)
			return r;
		for (i = 0; i < n; i++) {
			if ((r = sshbuf_get_string_direct(b, NULL, NULL)) != 0 ||
			    (r = sshbuf_get_string_direct(b, NULL, NULL)) != 0)
				return r;
		}
	}
	return 0;
}

static int
put_perm(struct sshbuf *b, uint32_t perm)
{
	int r;

	if ((r = sshbuf_put_u32(b, SSH2_FILEXFER_ATTR_PERMISSIONS)) != 0)
		return r;
	return sshbuf_put_u32(b, perm);
}

int
sftp_start(const struct options *o, struct sftp *sf)
{
	static const char *const tail[] = { "-s", "--", "sftp", NULL };
	struct sshbuf *b = NULL, *v = NULL;
	const uint8_t *name;
	size_t len;
	uint32_t version;
	uint8_t type;
	int r;

	memset(sf, 0, sizeof(*sf));
	sf->o = o;
	if ((r = session_start(o, tail, &sf->s)) != 0)
		return r;
	if ((b = sshbuf_new()) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((r = sshbuf_put_u32(b, 3)) != 0 ||
	    (r = send_msg(sf, SSH2_FXP_INIT, b, "version 3")) != 0 ||
	    (r = recv_msg(sf, &type, &v)) != 0)
		goto out;
	if (type != SSH2_FXP_VERSION || (r = sshbuf_get_u32(v, &version)) != 0 ||
	    version < 3) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	while (sshbuf_len(v) > 0) {
		if ((r = sshbuf_get_string_direct(v, &name, &len)) != 0 ||
		    (r = sshbuf_get_string_direct(v, NULL, NULL)) != 0)
			goto out;
		if (len == 24 && memcmp(name, "posix-rename@openssh.com", 24) == 0)
			sf->posix_rename = 1;
		else if (len == 17 && memcmp(name, "fsync@openssh.com", 17) == 0)
			sf->fsync = 1;
	}
	trace(o, "sftp: version %u%s%s", version,
	    sf->posix_rename ? ", posix-rename" : "", sf->fsync ? ", fsync" : "");
	r = 0;
 out:
	sshbuf_free(b);
	sshbuf_free(v);
	return r;
}

int
sftp_end(struct sftp *sf)
{
	return session_end(&sf->s);
}

static int
stat_request(struct sftp *sf, uint8_t type, const uint8_t *p, size_t len,
    const char *what, struct sftp_attrs *a)
{
	struct sshbuf *b = NULL, *rb = NULL;
	uint8_t rtype;
	int r;

	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_string(b, p, len)) != 0 ||
	    (r = request(sf, type, b, what, &rtype, &rb)) != 0)
		goto out;
	if (rtype != SSH2_FXP_ATTRS) {
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	r = get_attrs(rb, a);
 out:
	sshbuf_free(b);
	sshbuf_free(rb);
	return r;
}

int
sftp_stat(struct sftp *sf, const char *path, int follow, struct sftp_attrs *a)
{
	return stat_request(sf, follow ? SSH2_FXP_STAT : SSH2_FXP_LSTAT,
	    (const uint8_t *)path, strlen(path), path, a);
}

int
sftp_fstat(struct sftp *sf, const struct sftp_handle *h, struct sftp_attrs *a)
{
	return stat_request(sf, SSH2_FXP_FSTAT, h->h, h->len, "(handle)", a);
}

/* OPEN and OPENDIR: a HANDLE reply. */
static int
handle_request(struct sftp *sf, uint8_t type, const struct sshbuf *b,
    const char *what, struct sftp_handle *h)
{
	struct sshbuf *rb = NULL;
	const uint8_t *p;
	uint8_t rtype;
	int r;

	memset(h, 0, sizeof(*h));
	if ((r = request(sf, type, b, what, &rtype, &rb)) != 0)
		goto out;
	if (rtype != SSH2_FXP_HANDLE ||
	    (r = sshbuf_get_string_direct(rb, &p, &h->len)) != 0 ||
	    h->len > sizeof(h->h)) {
		h->len = 0;
		r = SKA_ERR_INVALID_FORMAT;
		goto out;
	}
	memcpy(h->h, p, h->len);
 out:
	sshbuf_free(rb);
	return r;
}

int
sftp_open(struct sftp *sf, const char *path, uint32_t pflags, uint32_t perm,
    struct sftp_handle *h)
{
	struct sshbuf *b;
	int r;

	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_cstring(b, path)) == 0 &&
	    (r = sshbuf_put_u32(b, pflags)) == 0 &&
	    (r = (pflags & SSH2_FXF_CREAT) ? put_perm(b, perm) :
	    sshbuf_put_u32(b, 0)) == 0)
		r = handle_request(sf, SSH2_FXP_OPEN, b, path, h);
	sshbuf_free(b);
	return r;
}

static int
handle_op(struct sftp *sf, uint8_t type, const struct sftp_handle *h,
    const struct sshbuf *more)
{
	struct sshbuf *b;
	int r;

	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_string(b, h->h, h->len)) == 0 &&
	    (more == NULL || (r = sshbuf_putb(b, more)) == 0))
		r = request_status(sf, type, b, "(handle)");
	sshbuf_free(b);
	return r;
}

int
sftp_close(struct sftp *sf, const struct sftp_handle *h)
{
	return handle_op(sf, SSH2_FXP_CLOSE, h, NULL);
}

int
sftp_fchmod(struct sftp *sf, const struct sftp_handle *h, uint32_t perm)
{
	struct sshbuf *b;
	int r;

	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = put_perm(b, perm)) == 0)
		r = handle_op(sf, SSH2_FXP_FSETSTAT, h, b);
	sshbuf_free(b);
	return r;
}

int
sftp_read_all(struct sftp *sf, const struct sftp_handle *h, size_t max,
    struct sshbuf *out)
{
	struct sshbuf *b = NULL, *rb = NULL;
	const uint8_t *p;
	uint64_t off = 0;
	uint8_t rtype;
	size_t len;
	int r;

	for (;;) {
		sshbuf_free(b);
		sshbuf_free(rb);
		rb = NULL;
		if ((b = sshbuf_new()) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		if ((r = sshbuf_put_string(b, h->h, h->len)) != 0 ||
		    (r = sshbuf_put_u64(b, off)) != 0 ||
		    (r = sshbuf_put_u32(b, SFTP_CHUNK)) != 0)
			goto out;
		r = request(sf, SSH2_FXP_READ, b, "(handle)", &rtype, &rb);
		if (r == SSH2_FX_EOF) {
			r = 0;
			goto out;
		}
		if (r != 0)
			goto out;
		if (rtype != SSH2_FXP_DATA ||
		    (r = sshbuf_get_string_direct(rb, &p, &len)) != 0 ||
		    len == 0 || len > SFTP_CHUNK) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		if (sshbuf_len(out) + len > max) {
			r = SKA_ERR_STRING_TOO_LARGE;
			goto out;
		}
		if ((r = sshbuf_put(out, p, len)) != 0)
			goto out;
		off += len;
	}
 out:
	sshbuf_free(b);
	sshbuf_free(rb);
	return r;
}

int
sftp_write(struct sftp *sf, const struct sftp_handle *h, uint64_t off,
    const uint8_t *p, size_t len)
{
	struct sshbuf *b = NULL;
	size_t n;
	int r = 0;

	while (len > 0) {
		n = len < SFTP_CHUNK ? len : SFTP_CHUNK;
		if ((b = sshbuf_new()) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		if ((r = sshbuf_put_string(b, h->h, h->len)) == 0 &&
		    (r = sshbuf_put_u64(b, off)) == 0 &&
		    (r = sshbuf_put_string(b, p, n)) == 0)
			r = request_status(sf, SSH2_FXP_WRITE, b, "(handle)");
		sshbuf_free(b);
		if (r != 0)
			return r;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

static int
extended(struct sftp *sf, const char *ext, const struct sshbuf *args,
    const char *what)
{
	struct sshbuf *b;
	int r;

	char *text = NULL;

	if ((b = sshbuf_new()) == NULL ||
	    asprintf(&text, "%s %s", ext, what) == -1) {
		sshbuf_free(b);
		return SKA_ERR_ALLOC_FAIL;
	}
	if ((r = sshbuf_put_cstring(b, ext)) == 0 &&
	    (r = sshbuf_putb(b, args)) == 0)
		r = request_status(sf, SSH2_FXP_EXTENDED, b, text);
	free(text);
	sshbuf_free(b);
	return r;
}

int
sftp_fsync(struct sftp *sf, const struct sftp_handle *h)
{
	struct sshbuf *b;
	int r;

	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_string(b, h->h, h->len)) == 0)
		r = extended(sf, "fsync@openssh.com", b, "(handle)");
	sshbuf_free(b);
	return r;
}

static int
path_op(struct sftp *sf, uint8_t type, const char *path, const char *path2,
    int with_perm, uint32_t perm)
{
	struct sshbuf *b;
	int r;

	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_cstring(b, path)) == 0 &&
	    (path2 == NULL || (r = sshbuf_put_cstring(b, path2)) == 0) &&
	    (!with_perm || (r = put_perm(b, perm)) == 0))
		r = request_status(sf, type, b, path);
	sshbuf_free(b);
	return r;
}

int
sftp_mkdir(struct sftp *sf, const char *path, uint32_t perm)
{
	return path_op(sf, SSH2_FXP_MKDIR, path, NULL, 1, perm);
}

int
sftp_remove(struct sftp *sf, const char *path)
{
	return path_op(sf, SSH2_FXP_REMOVE, path, NULL, 0, 0);
}

int
sftp_rename(struct sftp *sf, const char *from, const char *to, int posix)
{
	struct sshbuf *b;
	int r;

	if (!posix)
		return path_op(sf, SSH2_FXP_RENAME, from, to, 0, 0);
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_cstring(b, from)) == 0 &&
	    (r = sshbuf_put_cstring(b, to)) == 0)
		r = extended(sf, "posix-rename@openssh.com", b, to);
	sshbuf_free(b);
	return r;
}

/* The second field of "-rw------- 2 user group ...". */
static unsigned long
long_name_links(const uint8_t *p, size_t len)
{
	char buf[64];
	unsigned long n;
	size_t l = len < sizeof(buf) - 1 ? len : sizeof(buf) - 1;

	memcpy(buf, p, l);
	buf[l] = '\0';
	if (sscanf(buf, "%*s %lu", &n) != 1)
		return 0;
	return n;
}

int
sftp_link_count(struct sftp *sf, const char *dir, const char *name,
    unsigned long *np)
{
	struct sshbuf *b = NULL, *rb = NULL;
	struct sftp_handle h;
	struct sftp_attrs a;
	const uint8_t *fn, *ln;
	size_t fnlen, lnlen;
	uint32_t count, i;
	uint8_t rtype;
	int r, opened = 0;

	*np = 0;
	if ((b = sshbuf_new()) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sshbuf_put_cstring(b, dir)) != 0 ||
	    (r = handle_request(sf, SSH2_FXP_OPENDIR, b, dir, &h)) != 0)
		goto out;
	opened = 1;
	while (*np == 0) {
		sshbuf_reset(b);
		sshbuf_free(rb);
		rb = NULL;
		if ((r = sshbuf_put_string(b, h.h, h.len)) != 0)
			goto out;
		if ((r = request(sf, SSH2_FXP_READDIR, b, dir, &rtype, &rb)) ==
		    SSH2_FX_EOF) {
			r = 0;
			break;
		}
		if (r != 0)
			goto out;
		if (rtype != SSH2_FXP_NAME ||
		    (r = sshbuf_get_u32(rb, &count)) != 0) {
			r = SKA_ERR_INVALID_FORMAT;
			goto out;
		}
		for (i = 0; i < count; i++) {
			if ((r = sshbuf_get_string_direct(rb, &fn, &fnlen)) != 0 ||
			    (r = sshbuf_get_string_direct(rb, &ln, &lnlen)) != 0 ||
			    (r = get_attrs(rb, &a)) != 0)
				goto out;
			if (fnlen == strlen(name) && memcmp(fn, name, fnlen) == 0)
				*np = long_name_links(ln, lnlen);
		}
	}
	r = 0;
 out:
	if (opened) {
		int r2 = sftp_close(sf, &h);

		if (r == 0)
			r = r2;
	}
	sshbuf_free(b);
	sshbuf_free(rb);
	return r;
}
