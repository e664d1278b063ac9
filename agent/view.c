/*
 * `skagent --status` and `skagent --log`: what the agent and its record
 * say, for a person.  Everything printed that came from elsewhere (key
 * comments, process names) is shown without control characters, so a
 * comment cannot drive the terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent-client.h"
#include "key.h"
#include "record.h"
#include "sshbuf.h"
#include "status.h"

#define COL_COMMENT	24
#define COL_REQUESTER	44
#define FP_SHOWN	17	/* "SHA256:" and 10 more */

/* A copy with C0, DEL and C1 controls (as bytes or UTF-8) shown as '?'. */
static char *
term_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	char *out, *o;

	if ((out = malloc(strlen((const char *)p) + 1)) == NULL)
		return NULL;
	for (o = out; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*o++ = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			*o++ = '?';
			p++;
		} else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}

/* Characters (UTF-8 sequences) in s. */
static size_t
width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* s cut to at most max characters (in place), "..." marking the cut. */
static void
cut(char *s, size_t max)
{
	size_t n = 0, i;

	if (width(s) <= max || max < 4)
		return;
	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == max - 3)
			break;
	}
	strcpy(s + i, "...");
}

static void
pad(const char *s, size_t w)
{
	size_t n = width(s);

	fputs(s, stdout);
	for (; n < w; n++)
		putchar(' ');
}

static char *
dupstr(const char *s)
{
	return strdup(s != NULL ? s : "");
}

/* "2026-11-26T09:26:36.123Z" in local time, "2026-11-26 10:26:36". */
static char *
local_time(const char *iso)
{
	struct tm tm;
	time_t t;
	char buf[64];

	memset(&tm, 0, sizeof(tm));
	if (iso == NULL || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec) != 6)
		return dupstr(iso);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return dupstr(iso);
	return strdup(buf);
}

/* Appends ", a" and b; nothing when a, or b if given as a value, is empty. */
static void
add(char *buf, size_t len, const char *a, const char *b)
{
	size_t n = strlen(buf);

	if (a == NULL || *a == '\0' || (b != NULL && *b == '\0'))
		return;
	snprintf(buf + n, len - n, "%s%s%s", n > 0 ? ", " : "", a,
	    b != NULL ? b : "");
}

/* label and value, when there is a value */
static void
add_v(char *buf, size_t len, const char *label, const char *v)
{
	if (v != NULL && *v != '\0')
		add(buf, len, label, v);
}

#define NCOL 6
struct row {
	char *col[NCOL];	/* time, result, key, comment, requester, details */
};

static int
row_from_line(const char *line, struct row *row)
{
	struct json_obj o;
	const char *v, *type, *key;
	char details[1024], keytext[128], *t;
	size_t i;

	memset(row, 0, sizeof(*row));
	if (json_parse_flat(line, strlen(line), &o) != 0) {
		row->col[0] = strdup("?");
		row->col[1] = strdup("?");
		for (i = 2; i < NCOL; i++)
			row->col[i] = strdup(i == 5 ? "(unreadable line)" : "");
		return 0;
	}
	row->col[0] = local_time(json_get(&o, "time"));
	v = json_get(&o, "result");
	row->col[1] = dupstr(v != NULL && strcmp(v, "ok") == 0 ? "ok" :
	    "FAILED");
	type = json_get(&o, "type");
	key = json_get(&o, "key");
	snprintf(keytext, sizeof(keytext), "%s %.*s", type != NULL ? type : "?",
	    FP_SHOWN, key != NULL ? key : "?");
	row->col[2] = strdup(keytext);
	row->col[3] = dupstr(json_get(&o, "comment"));
	row->col[4] = dupstr(json_get(&o, "requester"));
	details[0] = '\0';
	add(details, sizeof(details), json_get(&o, "error"), NULL);
	if ((v = json_get(&o, "use")) != NULL && strcmp(v, "login") == 0)
		add_v(details, sizeof(details), "login as ", json_get(&o, "user"));
	else if (v != NULL && strcmp(v, "sshsig") == 0)
		add_v(details, sizeof(details), "sshsig ",
		    json_get(&o, "namespace"));
	if ((v = json_get(&o, "destination")) != NULL) {
		add_v(details, sizeof(details), "to ", v);
		if ((v = json_get(&o, "forwarded")) != NULL &&
		    strcmp(v, "true") == 0)
			add(details, sizeof(details), "forwarded", NULL);
	}
	add_v(details, sizeof(details), "on ", json_get(&o, "token"));
	if ((v = json_get(&o, "up")) != NULL)
		add(details, sizeof(details), strcmp(v, "true") == 0 ?
		    "touched" : "no touch", NULL);
	if ((v = json_get(&o, "uv")) != NULL && strcmp(v, "true") == 0)
		add(details, sizeof(details), "PIN verified", NULL);
	add_v(details, sizeof(details), "counter ", json_get(&o, "counter"));
	row->col[5] = strdup(details);
	json_obj_free(&o);
	for (i = 0; i < NCOL; i++) {
		if (row->col[i] == NULL || (t = term_safe(row->col[i])) == NULL)
			return -1;
		free(row->col[i]);
		row->col[i] = t;
	}
	cut(row->col[3], COL_COMMENT);
	cut(row->col[4], COL_REQUESTER);
	return 0;
}

static void
rows_free(struct row *rows, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < NCOL; k++)
			free(rows[i].col[k]);
	free(rows);
}

static int
print_records(char **lines, size_t n, const char *indent)
{
	static const char *head[NCOL] = { "TIME", "RESULT", "KEY", "COMMENT",
	    "REQUESTER", "DETAILS" };
	struct row *rows;
	size_t w[NCOL], i, k;

	if ((rows = calloc(n + 1, sizeof(*rows))) == NULL)
		return -1;
	for (k = 0; k < NCOL; k++)
		w[k] = strlen(head[k]);
	for (i = 0; i < n; i++) {
		if (row_from_line(lines[i], &rows[i]) != 0) {
			rows_free(rows, n);
			return -1;
		}
		for (k = 0; k < NCOL; k++)
			if (width(rows[i].col[k]) > w[k])
				w[k] = width(rows[i].col[k]);
	}
	fputs(indent, stdout);
	for (k = 0; k < NCOL; k++) {
		pad(head[k], k + 1 < NCOL ? w[k] + 2 : 0);
	}
	putchar('\n');
	for (i = 0; i < n; i++) {
		fputs(indent, stdout);
		for (k = 0; k < NCOL; k++)
			pad(rows[i].col[k], k + 1 < NCOL ? w[k] + 2 : 0);
		putchar('\n');
	}
	rows_free(rows, n);
	return 0;
}

int
view_log(size_t n, int json)
{
	char *dir, **lines = NULL, *path = NULL;
	size_t nlines = 0, i;
	int r;

	if ((dir = record_dir()) == NULL) {
		fprintf(stderr, "skagent: no HOME or XDG_STATE_HOME: no record\n");
		return 1;
	}
	if ((r = record_tail(dir, RECORD_FILE, n, &lines, &nlines)) != 0) {
		fprintf(stderr, "skagent: %s/%s: %s\n", dir, RECORD_FILE,
		    ska_err(r));
		free(dir);
		return 1;
	}
	if (json) {
		for (i = 0; i < nlines; i++)
			puts(lines[i]);
	} else if (nlines == 0) {
		if (asprintf(&path, "%s/%s", dir, RECORD_FILE) < 0)
			path = NULL;
		printf("No signatures recorded in %s\n", path != NULL ? path :
		    dir);
	} else if (print_records(lines, nlines, "") != 0) {
		fprintf(stderr, "skagent: out of memory\n");
		r = -1;
	}
	free(path);
	free(dir);
	record_lines_free(lines, nlines);
	return r == 0 && fflush(stdout) == 0 ? 0 : 1;
}

/* --status */

struct vtoken {
	char *spec, *product, *algs;
	uint8_t state, fido2, pin;
	uint32_t retries, cached;
};

struct vkey {
	char *text;	/* "TYPE fingerprint  comment", terminal-safe */
	char *token;
	uint8_t presence, listed;
	int sk, shown;
};

static void
print_key(const struct vkey *k, int hide_absent)
{
	printf("    %s%s%s\n", k->text,
	    k->presence == STATUS_KEY_ABSENT ? "  (token absent)" : "",
	    hide_absent && !k->listed ? " (not listed: -O hide-absent)" : "");
}

static int
parse_key(struct sshbuf *b, struct vkey *k)
{
	const uint8_t *blob;
	size_t len;
	struct key *key = NULL;
	char *comment = NULL, *fp = NULL, *t = NULL;
	int r;

	memset(k, 0, sizeof(*k));
	if ((r = sshbuf_get_string_direct(b, &blob, &len)) != 0 ||
	    (r = sshbuf_get_cstring(b, &comment, NULL)) != 0 ||
	    (r = sshbuf_get_cstring(b, &k->token, NULL)) != 0 ||
	    (r = sshbuf_get_u8(b, &k->presence)) != 0 ||
	    (r = sshbuf_get_u8(b, &k->listed)) != 0)
		goto out;
	if (key_from_blob(blob, len, &key) == 0) {
		fp = key_fingerprint(key, KEY_FP_SHA256);
		k->sk = key_is_sk(key);
	}
	if (asprintf(&t, "%s %s  %s", key != NULL ? key_type_short(key) : "?",
	    fp != NULL ? fp : "?", comment) < 0) {
		t = NULL;
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((k->text = term_safe(t)) == NULL)
		r = SKA_ERR_ALLOC_FAIL;
 out:
	free(t);
	free(fp);
	free(comment);
	key_free(key);
	return r;
}

static void
print_token(const struct vtoken *t)
{
	char *spec = term_safe(t->spec), *prod = term_safe(t->product);
	char pin[64] = "", cache[64] = "";

	if (t->pin == STATUS_PIN_SET) {
		if (t->retries != STATUS_UNKNOWN)
			snprintf(pin, sizeof(pin), "PIN set (%u tries left)",
			    t->retries);
		else
			snprintf(pin, sizeof(pin), "PIN set");
	} else if (t->pin == STATUS_PIN_UNSET)
		snprintf(pin, sizeof(pin), "no PIN set");
	if (t->cached != STATUS_UNKNOWN)
		snprintf(cache, sizeof(cache), "PIN cached (%u s left)",
		    t->cached);
	printf("  %s%s%s%s\n", spec != NULL ? spec : "?",
	    prod != NULL && *prod != '\0' ? " (" : "", prod != NULL ? prod : "",
	    prod != NULL && *prod != '\0' ? ")" : "");
	if (t->state == STATUS_TOKEN_ABSENT)
		printf("    absent%s%s\n", *cache ? "; " : "", cache);
	else if (t->state == STATUS_TOKEN_BUSY)
		printf("    present, in use%s%s\n", *cache ? "; " : "", cache);
	else
		printf("    present, %s, %s%s%s%s%s\n", t->fido2 ? "FIDO2" :
		    "U2F only", *t->algs ? t->algs : "no algorithm",
		    *pin ? ", " : "", pin, *cache ? "; " : "", cache);
	free(spec);
	free(prod);
}

int
view_status(void)
{
	struct sshbuf *reply = NULL;
	struct vtoken *toks = NULL;
	struct vkey *keys = NULL;
	char **lines = NULL;
	uint32_t cache_secs, ntok = 0, nkey = 0, nrec = 0, i, j;
	uint8_t rec_on, hide;
	int fd = -1, r, any;

	if (sodium_init() < 0) {
		fprintf(stderr, "skagent: cannot initialise libsodium\n");
		return 1;
	}
	if ((r = agent_connect(NULL, &fd)) != 0) {
		fprintf(stderr, "skagent: %s\n", ska_err(r));
		return 1;
	}
	if ((r = agent_extension(fd, AGENT_EXT_STATUS, NULL, &reply)) != 0) {
		fprintf(stderr, "skagent: %s: %s (an agent that is not skagent, "
		    "a locked agent or a forwarded connection)\n", AGENT_EXT_STATUS,
		    ska_err(r));
		goto out;
	}
	if ((r = sshbuf_get_u32(reply, &cache_secs)) != 0 ||
	    (r = sshbuf_get_u8(reply, &rec_on)) != 0 ||
	    (r = sshbuf_get_u8(reply, &hide)) != 0 ||
	    (r = sshbuf_get_u32(reply, &ntok)) != 0)
		goto bad;
	if (ntok > 1024 || (toks = calloc(ntok + 1, sizeof(*toks))) == NULL)
		goto bad;
	for (i = 0; i < ntok; i++) {
		if ((r = sshbuf_get_cstring(reply, &toks[i].spec, NULL)) != 0 ||
		    (r = sshbuf_get_cstring(reply, &toks[i].product, NULL)) != 0 ||
		    (r = sshbuf_get_u8(reply, &toks[i].state)) != 0 ||
		    (r = sshbuf_get_u8(reply, &toks[i].fido2)) != 0 ||
		    (r = sshbuf_get_cstring(reply, &toks[i].algs, NULL)) != 0 ||
		    (r = sshbuf_get_u8(reply, &toks[i].pin)) != 0 ||
		    (r = sshbuf_get_u32(reply, &toks[i].retries)) != 0 ||
		    (r = sshbuf_get_u32(reply, &toks[i].cached)) != 0)
			goto bad;
	}
	if ((r = sshbuf_get_u32(reply, &nkey)) != 0 || nkey > 100000 ||
	    (keys = calloc(nkey + 1, sizeof(*keys))) == NULL)
		goto bad;
	for (i = 0; i < nkey; i++)
		if ((r = parse_key(reply, &keys[i])) != 0)
			goto bad;
	if ((r = sshbuf_get_u32(reply, &nrec)) != 0 || nrec > 1000 ||
	    (lines = calloc(nrec + 1, sizeof(*lines))) == NULL)
		goto bad;
	for (i = 0; i < nrec; i++)
		if ((r = sshbuf_get_cstring(reply, &lines[i], NULL)) != 0)
			goto bad;

	if (cache_secs != 0)
		printf("PIN cache: %u s", cache_secs);
	else
		printf("PIN cache: off");
	printf("; signing record: %s; -O hide-absent: %s\n",
	    rec_on ? "on" : "off", hide ? "on" : "off");
	printf("\nSecurity keys (tokens)%s\n", ntok == 0 ? ": none" : "");
	for (i = 0; i < ntok; i++) {
		print_token(&toks[i]);
		for (j = 0; j < nkey; j++) {
			if (keys[j].shown || strcmp(keys[j].token,
			    toks[i].spec) != 0)
				continue;
			print_key(&keys[j], hide);
			keys[j].shown = 1;
		}
	}
	for (any = 0, j = 0; j < nkey; j++) {
		if (keys[j].shown || !keys[j].sk || *keys[j].token == '\0')
			continue;
		if (!any++)
			printf("\nKeys of security keys not listed above\n");
		{
			char *t = term_safe(keys[j].token);

			printf("  on %s:\n", t != NULL ? t : "?");
			free(t);
		}
		print_key(&keys[j], hide);
		keys[j].shown = 1;
	}
	for (any = 0, j = 0; j < nkey; j++) {
		if (keys[j].shown || !keys[j].sk)
			continue;
		if (!any++)
			printf("\nSecurity-key keys not seen on a token yet\n");
		print_key(&keys[j], hide);
		keys[j].shown = 1;
	}
	for (any = 0, j = 0; j < nkey; j++) {
		if (keys[j].shown)
			continue;
		if (!any++)
			printf("\nKeys in memory\n");
		print_key(&keys[j], hide);
	}
	printf("\nLast signatures%s\n", nrec == 0 ? ": none" : "");
	if (nrec > 0 && print_records(lines, nrec, "  ") != 0)
		goto bad;
	r = fflush(stdout) == 0 ? 0 : SKA_ERR_SYSTEM;
	goto out;
 bad:
	fprintf(stderr, "skagent: %s: malformed reply\n", AGENT_EXT_STATUS);
	r = SKA_ERR_INVALID_FORMAT;
 out:
	for (i = 0; toks != NULL && i < ntok; i++) {
		free(toks[i].spec);
		free(toks[i].product);
		free(toks[i].algs);
	}
	free(toks);
	for (i = 0; keys != NULL && i < nkey; i++) {
		free(keys[i].text);
		free(keys[i].token);
	}
	free(keys);
	record_lines_free(lines, nrec);
	sshbuf_free(reply);
	if (fd != -1)
		close(fd);
	return r == 0 ? 0 : 1;
}
