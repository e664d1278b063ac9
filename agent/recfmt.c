/*
 * The signing record's pure part: JSON text out and back in, the file,
 * its rotation and its tail (see record.h).  No agent state here, so the
 * unit tests and `skagent --log` use it as the agent does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "record.h"

#define JBUF_MAX	(1024 * 1024)
#define TAIL_READ_MAX	(64 * 1024 * 1024)	/* a file bigger than this: its end */
#define JSON_MAX_FIELDS	64

/* Text buffer */

int
jbuf_put(struct jbuf *j, const void *p, size_t n)
{
	size_t ncap;
	char *np;

	if (n > JBUF_MAX || j->len > JBUF_MAX - n)
		return SKA_ERR_NO_BUFFER_SPACE;
	if (j->len + n + 1 > j->cap) {
		ncap = j->cap < 256 ? 256 : j->cap;
		while (ncap < j->len + n + 1)
			ncap *= 2;
		if ((np = realloc(j->p, ncap)) == NULL)
			return SKA_ERR_ALLOC_FAIL;
		j->p = np;
		j->cap = ncap;
	}
	memcpy(j->p + j->len, p, n);
	j->len += n;
	j->p[j->len] = '\0';
	return 0;
}

static int
jbuf_puts(struct jbuf *j, const char *s)
{
	return jbuf_put(j, s, strlen(s));
}

void
jbuf_reset(struct jbuf *j)
{
	j->len = 0;
	if (j->p != NULL)
		j->p[0] = '\0';
}

void
jbuf_free(struct jbuf *j)
{
	free(j->p);
	j->p = NULL;
	j->len = j->cap = 0;
}

/* JSON out */

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

int
json_put_string(struct jbuf *j, const char *str, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strnlen(str, max), i = 0, run = 0, ulen, start = j->len;
	char esc[7];
	int r;

	if ((r = jbuf_put(j, "\"", 1)) != 0)
		return r;
	while (i < n) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\') {
			i++;
			run++;
			continue;
		}
		ulen = utf8_len(s + i, n - i);
		if (ulen > 0 && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' &&
		    s[i] != 0x7f) {
			i += ulen;
			run += ulen;
			continue;
		}
		if (run > 0 && (r = jbuf_put(j, s + i - run, run)) != 0)
			goto fail;
		run = 0;
		if (ulen == 0)
			r = jbuf_put(j, "\\ufffd", 6);
		else if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)s[i];
			r = jbuf_put(j, esc, 2);
		} else if (s[i] == '\n')
			r = jbuf_put(j, "\\n", 2);
		else if (s[i] == '\r')
			r = jbuf_put(j, "\\r", 2);
		else if (s[i] == '\t')
			r = jbuf_put(j, "\\t", 2);
		else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 0xf];
			r = jbuf_put(j, esc, 6);
		}
		if (r != 0)
			goto fail;
		i++;
	}
	if ((run > 0 && (r = jbuf_put(j, s + i - run, run)) != 0) ||
	    (r = jbuf_put(j, "\"", 1)) != 0)
		goto fail;
	return 0;
 fail:
	j->len = start;
	if (j->p != NULL)
		j->p[start] = '\0';
	return r;
}

static int
put_name(struct jbuf *j, const char *name)
{
	int r;

	if ((j->len == 0 || j->p[j->len - 1] != '{') &&
	    (r = jbuf_put(j, ",", 1)) != 0)
		return r;
	if ((r = jbuf_put(j, "\"", 1)) != 0 ||
	    (r = jbuf_puts(j, name)) != 0 || (r = jbuf_put(j, "\":", 2)) != 0)
		return r;
	return 0;
}

static int
put_str(struct jbuf *j, const char *name, const char *v)
{
	int r;

	if (v == NULL)
		return 0;
	if ((r = put_name(j, name)) != 0)
		return r;
	return json_put_string(j, v, RECORD_FIELD_MAX);
}

static int
put_num(struct jbuf *j, const char *name, long long v)
{
	char num[32];
	int r;

	if ((r = put_name(j, name)) != 0)
		return r;
	snprintf(num, sizeof(num), "%lld", v);
	return jbuf_puts(j, num);
}

static int
put_bool(struct jbuf *j, const char *name, int v)
{
	int r;

	if ((r = put_name(j, name)) != 0)
		return r;
	return jbuf_puts(j, v ? "true" : "false");
}

/* n (>= 0) as exactly w decimal digits */
static void
digits(char *p, int n, int w)
{
	while (w-- > 0) {
		p[w] = (char)('0' + n % 10);
		n /= 10;
	}
}

int
record_format(struct jbuf *j, const struct record_entry *e)
{
	struct tm tm;
	time_t t = (time_t)(e->time_ms / 1000);
	size_t start = j->len;
	char ts[32];
	int r;

	if (e->time_ms < 0 || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year + 1900 > 9999)
		return SKA_ERR_INVALID_ARGUMENT;
	/* "YYYY-MM-DDThh:mm:ss.mmmZ", without printf on the hot path */
	digits(ts, tm.tm_year + 1900, 4);
	ts[4] = '-';
	digits(ts + 5, tm.tm_mon + 1, 2);
	ts[7] = '-';
	digits(ts + 8, tm.tm_mday, 2);
	ts[10] = 'T';
	digits(ts + 11, tm.tm_hour, 2);
	ts[13] = ':';
	digits(ts + 14, tm.tm_min, 2);
	ts[16] = ':';
	digits(ts + 17, tm.tm_sec, 2);
	ts[19] = '.';
	digits(ts + 20, (int)(e->time_ms % 1000), 3);
	memcpy(ts + 23, "Z", 2);
	if ((r = jbuf_put(j, "{", 1)) != 0 ||
	    (r = put_str(j, "time", ts)) != 0 ||
	    (r = put_str(j, "result", e->ok ? "ok" : "failed")) != 0 ||
	    (r = put_str(j, "key", e->key)) != 0 ||
	    (r = put_str(j, "type", e->type)) != 0 ||
	    (r = put_str(j, "comment", e->comment)) != 0 ||
	    (r = put_str(j, "requester", e->requester)) != 0 ||
	    (e->pid > 0 && (r = put_num(j, "pid", e->pid)) != 0) ||
	    (!e->ok && (r = put_str(j, "error", e->error)) != 0))
		goto fail;
	if (e->sk && ((e->token != NULL && *e->token != '\0' &&
	    (r = put_str(j, "token", e->token)) != 0) ||
	    (e->up >= 0 && (r = put_bool(j, "up", e->up)) != 0) ||
	    (e->uv >= 0 && (r = put_bool(j, "uv", e->uv)) != 0) ||
	    (e->counter >= 0 && (r = put_num(j, "counter", e->counter)) != 0)))
		goto fail;
	if (e->destination != NULL &&
	    ((r = put_str(j, "destination", e->destination)) != 0 ||
	    (r = put_bool(j, "forwarded", e->forwarded)) != 0))
		goto fail;
	if ((r = put_str(j, "use", e->use)) != 0 ||
	    (r = put_str(j, "user", e->user)) != 0 ||
	    (r = put_str(j, "namespace", e->ns)) != 0 ||
	    (r = jbuf_put(j, "}\n", 2)) != 0)
		goto fail;
	return 0;
 fail:
	j->len = start;
	if (j->p != NULL)
		j->p[start] = '\0';
	return r;
}

/* JSON in */

static void
skip_ws(const char *s, size_t len, size_t *i)
{
	while (*i < len && (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\r' ||
	    s[*i] == '\n'))
		(*i)++;
}

static int
hex4(const char *s, size_t len, size_t i, unsigned int *v)
{
	size_t k;
	int c;

	if (len - i < 4)
		return -1;
	*v = 0;
	for (k = 0; k < 4; k++) {
		c = s[i + k];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static int
put_utf8(struct jbuf *j, unsigned int cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return jbuf_put(j, u, n);
}

/* A string at s[*i] (the opening quote); its text, unescaped, in *outp. */
static int
parse_string(const char *s, size_t len, size_t *i, char **outp)
{
	struct jbuf j = { NULL, 0, 0 };
	unsigned int cp, lo;
	size_t run;
	int r = SKA_ERR_INVALID_FORMAT;

	if (*i >= len || s[*i] != '"')
		return r;
	(*i)++;
	if (jbuf_put(&j, "", 0) != 0)
		return SKA_ERR_ALLOC_FAIL;
	for (;;) {
		for (run = 0; *i + run < len && s[*i + run] != '"' &&
		    s[*i + run] != '\\' && (unsigned char)s[*i + run] >= 0x20;
		    run++)
			;
		if (run > 0 && (r = jbuf_put(&j, s + *i, run)) != 0)
			goto out;
		*i += run;
		r = SKA_ERR_INVALID_FORMAT;
		if (*i >= len || (unsigned char)s[*i] < 0x20)
			goto out;
		if (s[*i] == '"') {
			(*i)++;
			break;
		}
		/* a backslash */
		if (++(*i) >= len)
			goto out;
		switch (s[*i]) {
		case '"': case '\\': case '/':
			r = jbuf_put(&j, s + *i, 1);
			break;
		case 'b': r = jbuf_put(&j, "\b", 1); break;
		case 'f': r = jbuf_put(&j, "\f", 1); break;
		case 'n': r = jbuf_put(&j, "\n", 1); break;
		case 'r': r = jbuf_put(&j, "\r", 1); break;
		case 't': r = jbuf_put(&j, "\t", 1); break;
		case 'u':
			if (hex4(s, len, *i + 1, &cp) != 0)
				goto out;
			*i += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (len - *i < 7 || s[*i + 1] != '\\' ||
				    s[*i + 2] != 'u' ||
				    hex4(s, len, *i + 3, &lo) != 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					goto out;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				*i += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff)
				goto out;
			if (cp == 0)
				goto out;	/* no NUL inside C strings */
			r = put_utf8(&j, cp);
			break;
		default:
			goto out;
		}
		if (r != 0)
			goto out;
		(*i)++;
	}
	*outp = j.p;
	j.p = NULL;
	r = 0;
 out:
	jbuf_free(&j);
	return r;
}

/* A number, true, false or null: its text as written (NULL for null). */
static int
parse_scalar(const char *s, size_t len, size_t *i, char **outp)
{
	size_t k = *i;

	*outp = NULL;
	if (len - k >= 4 && memcmp(s + k, "null", 4) == 0) {
		*i += 4;
		return 0;
	}
	if (len - k >= 4 && memcmp(s + k, "true", 4) == 0)
		k += 4;
	else if (len - k >= 5 && memcmp(s + k, "false", 5) == 0)
		k += 5;
	else {
		if (k < len && s[k] == '-')
			k++;
		if (k >= len || s[k] < '0' || s[k] > '9')
			return SKA_ERR_INVALID_FORMAT;
		while (k < len && ((s[k] >= '0' && s[k] <= '9') ||
		    s[k] == '.' || s[k] == 'e' || s[k] == 'E' ||
		    s[k] == '+' || s[k] == '-'))
			k++;
	}
	if ((*outp = strndup(s + *i, k - *i)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	*i = k;
	return 0;
}

int
json_parse_flat(const char *s, size_t len, struct json_obj *o)
{
	char *name = NULL, *value = NULL, **nn, **nv;
	size_t i = 0;
	int r = SKA_ERR_INVALID_FORMAT;

	memset(o, 0, sizeof(*o));
	skip_ws(s, len, &i);
	if (i >= len || s[i++] != '{')
		goto out;
	skip_ws(s, len, &i);
	if (i < len && s[i] == '}') {
		i++;
		goto end;
	}
	for (;;) {
		skip_ws(s, len, &i);
		if ((r = parse_string(s, len, &i, &name)) != 0)
			goto out;
		skip_ws(s, len, &i);
		r = SKA_ERR_INVALID_FORMAT;
		if (i >= len || s[i++] != ':')
			goto out;
		skip_ws(s, len, &i);
		if (i < len && s[i] == '"')
			r = parse_string(s, len, &i, &value);
		else
			r = parse_scalar(s, len, &i, &value);
		if (r != 0)
			goto out;
		r = SKA_ERR_INVALID_FORMAT;
		if (o->n >= JSON_MAX_FIELDS)
			goto out;
		r = SKA_ERR_ALLOC_FAIL;
		if ((nn = reallocarray(o->names, o->n + 1, sizeof(*nn))) == NULL)
			goto out;
		o->names = nn;
		if ((nv = reallocarray(o->values, o->n + 1, sizeof(*nv))) == NULL)
			goto out;
		o->values = nv;
		o->names[o->n] = name;
		o->values[o->n++] = value;
		name = value = NULL;
		skip_ws(s, len, &i);
		r = SKA_ERR_INVALID_FORMAT;
		if (i >= len)
			goto out;
		if (s[i] == '}') {
			i++;
			break;
		}
		if (s[i++] != ',')
			goto out;
	}
 end:
	skip_ws(s, len, &i);
	r = i == len ? 0 : SKA_ERR_INVALID_FORMAT;
 out:
	free(name);
	free(value);
	if (r != 0)
		json_obj_free(o);
	return r;
}

const char *
json_get(const struct json_obj *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->names[i], name) == 0)
			return o->values[i];
	return NULL;
}

void
json_obj_free(struct json_obj *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->names[i]);
		free(o->values[i]);
	}
	free(o->names);
	free(o->values);
	memset(o, 0, sizeof(*o));
}

/* The file */

/* mkdir -p, new directories 0700. */
static int
make_dirs(const char *dir)
{
	char *p, *d;
	int r = 0;

	if ((d = strdup(dir)) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	for (p = d + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		{
			char c = *p;

			*p = '\0';
			if (mkdir(d, 0700) == -1 && errno != EEXIST) {
				r = SKA_ERR_SYSTEM;
				break;
			}
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	free(d);
	return r;
}

static int
open_file(struct recfile *rf)
{
	struct stat st;

	rf->fd = open(rf->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NOCTTY, 0600);
	if (rf->fd == -1)
		return SKA_ERR_SYSTEM;
	if (fstat(rf->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(rf->fd);
		rf->fd = -1;
		errno = EINVAL;
		return SKA_ERR_SYSTEM;
	}
	if ((st.st_mode & 077) != 0)
		(void)fchmod(rf->fd, st.st_mode & 0700);
	return 0;
}

int
recfile_open(struct recfile *rf, const char *dir, const char *name,
    size_t max)
{
	int r;

	memset(rf, 0, sizeof(*rf));
	rf->fd = -1;
	rf->max = max < RECORD_MAX_MIN ? RECORD_MAX_MIN : max;
	if ((r = make_dirs(dir)) != 0)
		return r;
	if (asprintf(&rf->path, "%s/%s", dir, name) < 0) {
		rf->path = NULL;
		return SKA_ERR_ALLOC_FAIL;
	}
	if ((r = open_file(rf)) != 0) {
		free(rf->path);
		rf->path = NULL;
	}
	return r;
}

static int
rotate(struct recfile *rf)
{
	char *old = NULL;
	int r;

	if (asprintf(&old, "%s.1", rf->path) < 0)
		return SKA_ERR_ALLOC_FAIL;
	r = rename(rf->path, old) == 0 ? 0 : SKA_ERR_SYSTEM;
	free(old);
	if (r != 0)
		return r;
	close(rf->fd);
	return open_file(rf);
}

/* Writes all of buf or, failing part-way, cuts the file back to size. */
static int
write_all(struct recfile *rf, const char *p, size_t len, off_t size)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(rf->fd, p + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* no half line left behind */
			if (done > 0 && ftruncate(rf->fd, size) == -1)
				return SKA_ERR_SYSTEM;
			if (n == 0)
				errno = ENOSPC;
			return SKA_ERR_SYSTEM;
		}
		done += (size_t)n;
	}
	return 0;
}

int
recfile_append(struct recfile *rf, const void *buf, size_t len)
{
	struct stat st;
	const char *p = buf, *nl;
	size_t take, line;
	int r;

	if (rf->fd == -1)
		return SKA_ERR_INVALID_ARGUMENT;
	while (len > 0) {
		/* someone else may append too: the size now */
		if (fstat(rf->fd, &st) == -1)
			return SKA_ERR_SYSTEM;
		/* the whole lines that fit */
		for (take = 0; take < len; take += line) {
			if ((nl = memchr(p + take, '\n', len - take)) == NULL)
				line = len - take;
			else
				line = (size_t)(nl - (p + take)) + 1;
			if ((size_t)st.st_size + take + line > rf->max)
				break;
		}
		if (take == 0 && st.st_size > 0) {
			if ((r = rotate(rf)) != 0)
				return r;
			continue;
		}
		if (take == 0)		/* a line longer than max: alone */
			take = line;
		if ((r = write_all(rf, p, take, st.st_size)) != 0)
			return r;
		p += take;
		len -= take;
	}
	return 0;
}

void
recfile_close(struct recfile *rf)
{
	if (rf->fd != -1)
		close(rf->fd);
	rf->fd = -1;
	free(rf->path);
	rf->path = NULL;
}

/* Reading it back */

/* The file's last TAIL_READ_MAX bytes at most; NULL with *lenp 0 if none. */
static int
read_file(const char *path, char **bufp, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t len, got = 0;
	off_t from = 0;
	ssize_t n;
	int fd, r;

	*bufp = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return errno == ENOENT ? 0 : SKA_ERR_SYSTEM;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		r = SKA_ERR_SYSTEM;
		goto out;
	}
	len = (size_t)st.st_size;
	if (len > TAIL_READ_MAX) {
		from = st.st_size - TAIL_READ_MAX;
		len = TAIL_READ_MAX;
	}
	if ((buf = malloc(len + 1)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	while (got < len) {
		n = pread(fd, buf + got, len - got, from + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = SKA_ERR_SYSTEM;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*bufp = buf;
	*lenp = got;
	buf = NULL;
	r = 0;
 out:
	free(buf);
	close(fd);
	return r;
}

void
record_lines_free(char **lines, size_t n)
{
	size_t i;

	if (lines == NULL)
		return;
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

/* Adds up to want - *have complete lines of buf, newest first. */
static int
take_tail(const char *buf, size_t len, size_t want, char **lines,
    size_t *have)
{
	size_t end = len, start;

	/* a last line without '\n' is being written: not complete */
	while (end > 0 && buf[end - 1] != '\n')
		end--;
	while (*have < want && end > 0) {
		start = end - 1;	/* the '\n' */
		while (start > 0 && buf[start - 1] != '\n')
			start--;
		if (end - 1 > start) {
			if ((lines[*have] = strndup(buf + start,
			    end - 1 - start)) == NULL)
				return SKA_ERR_ALLOC_FAIL;
			(*have)++;
		}
		end = start;
	}
	return 0;
}

int
record_tail(const char *dir, const char *name, size_t n, char ***linesp,
    size_t *nlinesp)
{
	char *path = NULL, *buf = NULL, **lines = NULL, *t;
	size_t len, have = 0, i;
	int r, k;

	*linesp = NULL;
	*nlinesp = 0;
	if (n == 0)
		return 0;
	if (n > 1000000)
		n = 1000000;
	if ((lines = calloc(n + 1, sizeof(*lines))) == NULL)
		return SKA_ERR_ALLOC_FAIL;
	for (k = 0; k < 2 && have < n; k++) {
		free(path);
		if (asprintf(&path, k == 0 ? "%s/%s" : "%s/%s.1", dir,
		    name) < 0) {
			path = NULL;
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		free(buf);
		if ((r = read_file(path, &buf, &len)) != 0 ||
		    (r = take_tail(buf != NULL ? buf : "", len, n, lines,
		    &have)) != 0)
			goto out;
	}
	for (i = 0; i < have / 2; i++) {	/* oldest first */
		t = lines[i];
		lines[i] = lines[have - 1 - i];
		lines[have - 1 - i] = t;
	}
	*linesp = lines;
	*nlinesp = have;
	lines = NULL;
	r = 0;
 out:
	record_lines_free(lines, have);
	free(path);
	free(buf);
	return r;
}

char *
record_dir(void)
{
	const char *x = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *d = NULL;

	if (x != NULL && *x == '/') {
		if (asprintf(&d, "%s/skagent", x) < 0)
			d = NULL;
	} else if (home != NULL && *home == '/') {
		if (asprintf(&d, "%s/.local/state/skagent", home) < 0)
			d = NULL;
	}
	return d;
}
