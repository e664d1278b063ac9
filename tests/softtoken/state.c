/*
 * The persistent state, as a line-oriented text file (mode 0600):
 *
 *   softtoken-state-v1
 *   aaguid <32 hex>
 *   master <64 hex>
 *   counter <decimal u32>
 *   pin-retries <0..8>
 *   pin-hash <32 hex>                (only when a PIN is set)
 *   min-pin-length <4..63>           (only when not 4)
 *   force-pin-change                 (only when set)
 *   rk <rpId> <userId> <userName> <displayName> <credId>   (0..50 lines)
 *
 * rk fields are hex ("-" when empty).  Rewritten atomically: temp file in
 * the same directory, fsync, rename, fsync of the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "st.h"

#define STATE_MAGIC	"softtoken-state-v1"
#define STATE_MAX	(256 * 1024)

static void
state_fresh(struct st_state *s)
{
	randombytes_buf(s->sec->master, sizeof(s->sec->master));
	randombytes_buf(s->aaguid, sizeof(s->aaguid));
	s->counter = 0;
	state_wipe(s, 0);
}

void
state_wipe(struct st_state *s, int new_master)
{
	if (new_master)
		randombytes_buf(s->sec->master, sizeof(s->sec->master));
	sodium_memzero(s->sec->pin_hash, sizeof(s->sec->pin_hash));
	s->pin_set = 0;
	s->pin_retries = ST_PIN_RETRIES;
	s->min_pin_len = ST_MIN_PIN;
	s->force_pin_change = 0;
	sodium_memzero(s->rk, sizeof(s->rk));
	s->nrk = 0;
}

static int
unhex(const char *h, size_t hl, uint8_t *out, size_t max, size_t *outlen)
{
	size_t i;
	int hi, lo;

	if (hl == 1 && h[0] == '-') {
		*outlen = 0;
		return 0;
	}
	if (hl == 0 || hl % 2 != 0 || hl / 2 > max)
		return -1;
	for (i = 0; i < hl / 2; i++) {
		hi = h[2 * i];
		lo = h[2 * i + 1];
#define NIB(c) ((c) >= '0' && (c) <= '9' ? (c) - '0' : \
		(c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10 : -1)
		if (NIB(hi) < 0 || NIB(lo) < 0)
			return -1;
		out[i] = (uint8_t)(NIB(hi) << 4 | NIB(lo));
#undef NIB
	}
	*outlen = hl / 2;
	return 0;
}

static int
unhex_exact(const char *h, size_t hl, uint8_t *out, size_t want)
{
	size_t n;

	return unhex(h, hl, out, want, &n) == 0 && n == want ? 0 : -1;
}

static int
unhex_str(const char *h, size_t hl, char *out, size_t max)
{
	size_t n;

	if (unhex(h, hl, (uint8_t *)out, max, &n) != 0 ||
	    memchr(out, '\0', n) != NULL)
		return -1;
	out[n] = '\0';
	return 0;
}

static int
parse_u32(const char *p, size_t n, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	if (x > max)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/* Splits line into at most max space-separated fields. */
static size_t
fields(char *line, size_t len, const char **f, size_t *fl, size_t max)
{
	size_t n = 0, i = 0, st;

	while (i < len && n < max) {
		st = i;
		while (i < len && line[i] != ' ')
			i++;
		f[n] = line + st;
		fl[n] = i - st;
		n++;
		if (i < len)
			i++;	/* the space */
		else
			break;
	}
	if (i < len || (len > 0 && line[len - 1] == ' '))
		return max + 1;	/* too many fields or a trailing space */
	return n;
}

static int
state_parse(struct st_state *s, char *buf, size_t len, char *err, size_t errlen)
{
	char *line, *nl;
	const char *f[6];
	size_t fl[6], nf, ll, lineno = 0, n;
	int have_aaguid = 0, have_master = 0, have_counter = 0, have_retries = 0;
	int have_pin = 0, have_min = 0;
	uint32_t v;
	struct st_rk *rk;
	struct st_key key;

	if (memchr(buf, '\0', len) != NULL || len == 0 || buf[len - 1] != '\n') {
		snprintf(err, errlen, "not a text file ending in a newline");
		return -1;
	}
	for (line = buf; line < buf + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(buf + len - line));
		ll = (size_t)(nl - line);
		lineno++;
		if (lineno == 1) {
			if (ll != strlen(STATE_MAGIC) ||
			    memcmp(line, STATE_MAGIC, ll) != 0) {
				snprintf(err, errlen, "bad magic line");
				return -1;
			}
			continue;
		}
		nf = fields(line, ll, f, fl, 6);
		if (nf > 6 || nf < 1)
			goto bad;
#define KEY(k) (fl[0] == strlen(k) && memcmp(f[0], k, fl[0]) == 0)
		if (KEY("force-pin-change") && nf == 1 && !s->force_pin_change)
			s->force_pin_change = 1;
		else if (nf < 2)
			goto bad;
		else if (KEY("min-pin-length") && nf == 2 && !have_min) {
			if (parse_u32(f[1], fl[1], ST_MAX_PIN, &v) != 0 ||
			    v < ST_MIN_PIN)
				goto bad;
			s->min_pin_len = (int)v;
			have_min = 1;
		} else if (KEY("aaguid") && nf == 2 && !have_aaguid) {
			if (unhex_exact(f[1], fl[1], s->aaguid, 16) != 0)
				goto bad;
			have_aaguid = 1;
		} else if (KEY("master") && nf == 2 && !have_master) {
			if (unhex_exact(f[1], fl[1], s->sec->master, 32) != 0)
				goto bad;
			have_master = 1;
		} else if (KEY("counter") && nf == 2 && !have_counter) {
			if (parse_u32(f[1], fl[1], UINT32_MAX, &s->counter) != 0)
				goto bad;
			have_counter = 1;
		} else if (KEY("pin-retries") && nf == 2 && !have_retries) {
			if (parse_u32(f[1], fl[1], ST_PIN_RETRIES, &v) != 0)
				goto bad;
			s->pin_retries = (int)v;
			have_retries = 1;
		} else if (KEY("pin-hash") && nf == 2 && !have_pin) {
			if (unhex_exact(f[1], fl[1], s->sec->pin_hash, 16) != 0)
				goto bad;
			s->pin_set = have_pin = 1;
		} else if (KEY("rk") && nf == 6) {
			if (!have_master || s->nrk >= ST_MAX_RK)
				goto bad;
			rk = &s->rk[s->nrk];
			if (unhex_str(f[1], fl[1], rk->rpid, ST_MAX_RPID) != 0 ||
			    unhex(f[2], fl[2], rk->user_id, ST_MAX_USERID,
			    &rk->user_id_len) != 0 ||
			    unhex_str(f[3], fl[3], rk->user_name, ST_MAX_NAME) != 0 ||
			    unhex_str(f[4], fl[4], rk->user_display,
			    ST_MAX_NAME) != 0 ||
			    unhex(f[5], fl[5], rk->cred_id, ST_CREDID_LEN, &n) != 0 ||
			    n != ST_CREDID_LEN)
				goto bad;
			sha256(rk->rpid, strlen(rk->rpid), rk->rpid_hash);
			if (cred_open(s->sec->master, rk->rpid_hash, rk->cred_id,
			    ST_CREDID_LEN, &key) != 0) {
				snprintf(err, errlen, "line %zu: resident "
				    "credential not sealed by this master key",
				    lineno);
				return -1;
			}
			sodium_memzero(&key, sizeof(key));
			s->nrk++;
		} else
			goto bad;
#undef KEY
	}
	if (!have_aaguid || !have_master || !have_counter || !have_retries) {
		snprintf(err, errlen, "missing aaguid, master, counter or "
		    "pin-retries");
		return -1;
	}
	return 0;
 bad:
	snprintf(err, errlen, "line %zu: malformed", lineno);
	return -1;
}

int
state_open(struct st_state *s, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1, r = -1;
	struct stat sb;

	memset(s, 0, sizeof(*s));
	s->min_pin_len = ST_MIN_PIN;
	if ((s->sec = sodium_malloc(sizeof(*s->sec))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(s->sec, 0, sizeof(*s->sec));
	if (path == NULL) {
		state_fresh(s);
		return 0;
	}
	if ((s->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		state_fresh(s);
		if (state_save(s) != 0) {
			snprintf(err, errlen, "%s: cannot write: %s", path,
			    strerror(errno));
			goto out;
		}
		r = 0;
		goto out;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > STATE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d "
		    "bytes", path, STATE_MAX);
		goto out;
	}
	if ((buf = sodium_malloc(STATE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (len < STATE_MAX + 1 &&
	    (n = read(fd, buf + len, STATE_MAX + 1 - len)) > 0)
		len += (size_t)n;
	if (len > STATE_MAX) {
		snprintf(err, errlen, "%s: too large", path);
		goto out;
	}
	if (state_parse(s, buf, len, err, errlen) != 0) {
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s: corrupt state file: %s", path,
		    err);
		snprintf(err, errlen, "%s", tmp);
		goto out;
	}
	r = 0;
 out:
	if (fd != -1)
		close(fd);
	sodium_free(buf);
	if (r != 0)
		state_close(s);
	return r;
}

static int
put_hex(char **pp, size_t *left, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;
	static const char hx[] = "0123456789abcdef";

	if (n == 0) {
		if (*left < 1)
			return -1;
		*(*pp)++ = '-';
		(*left)--;
		return 0;
	}
	if (*left < 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		*(*pp)++ = hx[b[i] >> 4];
		*(*pp)++ = hx[b[i] & 15];
	}
	*left -= 2 * n;
	return 0;
}

static int
put_str(char **pp, size_t *left, const char *s)
{
	size_t n = strlen(s);

	if (*left < n)
		return -1;
	memcpy(*pp, s, n);
	*pp += n;
	*left -= n;
	return 0;
}

static int
state_format(const struct st_state *s, char *buf, size_t cap, size_t *len)
{
	char *p = buf, num[64];
	size_t left = cap, i;
	const struct st_rk *rk;

	snprintf(num, sizeof(num), "\ncounter %u\npin-retries %d\n",
	    (unsigned)s->counter, s->pin_retries);
	if (put_str(&p, &left, STATE_MAGIC "\naaguid ") != 0 ||
	    put_hex(&p, &left, s->aaguid, 16) != 0 ||
	    put_str(&p, &left, "\nmaster ") != 0 ||
	    put_hex(&p, &left, s->sec->master, 32) != 0 ||
	    put_str(&p, &left, num) != 0)
		return -1;
	if (s->pin_set && (put_str(&p, &left, "pin-hash ") != 0 ||
	    put_hex(&p, &left, s->sec->pin_hash, 16) != 0 ||
	    put_str(&p, &left, "\n") != 0))
		return -1;
	snprintf(num, sizeof(num), "min-pin-length %d\n", s->min_pin_len);
	if (s->min_pin_len != ST_MIN_PIN && put_str(&p, &left, num) != 0)
		return -1;
	if (s->force_pin_change &&
	    put_str(&p, &left, "force-pin-change\n") != 0)
		return -1;
	for (i = 0; i < s->nrk; i++) {
		rk = &s->rk[i];
		if (put_str(&p, &left, "rk ") != 0 ||
		    put_hex(&p, &left, rk->rpid, strlen(rk->rpid)) != 0 ||
		    put_str(&p, &left, " ") != 0 ||
		    put_hex(&p, &left, rk->user_id, rk->user_id_len) != 0 ||
		    put_str(&p, &left, " ") != 0 ||
		    put_hex(&p, &left, rk->user_name,
		    strlen(rk->user_name)) != 0 ||
		    put_str(&p, &left, " ") != 0 ||
		    put_hex(&p, &left, rk->user_display,
		    strlen(rk->user_display)) != 0 ||
		    put_str(&p, &left, " ") != 0 ||
		    put_hex(&p, &left, rk->cred_id, ST_CREDID_LEN) != 0 ||
		    put_str(&p, &left, "\n") != 0)
			return -1;
	}
	*len = cap - left;
	return 0;
}

int
state_save(const struct st_state *s)
{
	char *buf = NULL, *tmp = NULL, *dir = NULL;
	size_t len = 0, off = 0, cap = STATE_MAX, tlen;
	ssize_t n;
	int fd = -1, dfd = -1, r = -1, saved;

	if (s->path == NULL)
		return 0;
	tlen = strlen(s->path) + sizeof(".tmpXXXXXX");
	if ((buf = sodium_malloc(cap)) == NULL ||
	    state_format(s, buf, cap, &len) != 0 ||
	    (tmp = malloc(tlen)) == NULL) {
		errno = ENOMEM;
		goto out;
	}
	snprintf(tmp, tlen, "%s.tmpXXXXXX", s->path);
	if ((fd = mkstemp(tmp)) == -1) {
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0600) != 0)
		goto out;
	while (off < len) {
		if ((n = write(fd, buf + off, len - off)) <= 0)
			goto out;
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, s->path) != 0)
		goto out;
	free(tmp);
	tmp = NULL;
	if ((dir = strdup(s->path)) != NULL &&
	    (dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		(void)fsync(dfd);
	r = 0;
 out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dir);
	sodium_free(buf);
	if (r != 0)
		st_log("state: cannot save %s: %s", s->path, strerror(saved));
	errno = saved;
	return r;
}

void
state_close(struct st_state *s)
{
	sodium_free(s->sec);
	s->sec = NULL;
	free(s->path);
	s->path = NULL;
	sodium_memzero(s->rk, sizeof(s->rk));
}
