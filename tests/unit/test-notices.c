/*
 * The pure parts of the agent's notices and record: the requester chain
 * from a fake /proc tree, JSON escaping of hostile comments and its
 * reading back, the record line, the record file's rotation and tail.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "../../agent/proc.h"
#include "../../agent/record.h"
#include "tap.h"

static char tmp[] = "/tmp/test-notices.XXXXXX";

static void
fake_proc(const char *root, long pid, const char *stat)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%ld", root, pid);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%ld/stat", root, pid);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs(stat, f);
	fclose(f);
}

static void
test_chain(void)
{
	char root[512], buf[PROC_CHAIN_LEN], small[25];

	snprintf(root, sizeof(root), "%s/proc", tmp);
	mkdir(root, 0700);
	/* ssh <- git <- bash (session leader) <- login <- init */
	fake_proc(root, 1, "1 (systemd) S 0 1 1 0 -1\n");
	fake_proc(root, 900, "900 (login) S 1 900 900 0 -1\n");
	fake_proc(root, 1100, "1100 (bash) S 900 1100 1100 34816 1200\n");
	fake_proc(root, 1200, "1200 (git) S 1100 1200 1100 34816 1200\n");
	fake_proc(root, 1234, "1234 (ssh) S 1200 1200 1100 34816 1200\n");
	proc_chain(root, 1234, 0, PROC_CHAIN_MAX, buf, sizeof(buf));
	is_str(buf, "ssh (1234) <- git (1200) <- bash (1100)",
	    "the chain stops at the session leader, naming it");
	proc_chain(root, 1234, 1200, PROC_CHAIN_MAX, buf, sizeof(buf));
	is_str(buf, "ssh (1234) <- git (1200)",
	    "and at the agent's own session leader");
	proc_chain(root, 1234, 0, 2, buf, sizeof(buf));
	is_str(buf, "ssh (1234) <- git (1200)", "at most max processes");
	/* a daemon's child: no session leader before init */
	fake_proc(root, 50, "50 (sshd) S 1 50 49 0 -1\n");
	fake_proc(root, 60, "60 (sshd) S 50 60 49 0 -1\n");
	proc_chain(root, 60, 0, PROC_CHAIN_MAX, buf, sizeof(buf));
	is_str(buf, "sshd (60) <- sshd (50)", "pid 1 is never named");
	/* names with spaces, parentheses and control characters */
	fake_proc(root, 70, "70 (a) b (c\x1b[31m) S 1 70 70 0 -1\n");
	proc_chain(root, 70, 0, PROC_CHAIN_MAX, buf, sizeof(buf));
	is_str(buf, "a) b (c?[31m (70)",
	    "comm up to the last ')', control characters as '?'");
	proc_chain(root, 4242, 0, PROC_CHAIN_MAX, buf, sizeof(buf));
	is_str(buf, "", "a process that is gone: empty");
	fake_proc(root, 80, "80 (x) S 81 80 1 0 -1\n");
	fake_proc(root, 81, "81 (y) S 80 81 1 0 -1\n");
	proc_chain(root, 80, 0, 100, buf, sizeof(buf));
	ok(strlen(buf) < sizeof(buf) && strncmp(buf, "x (80) <- y (81)", 16) == 0,
	    "a loop in the tree ends (bounded by max and the buffer)");
	fake_proc(root, 90, "90 (bad\n");
	proc_chain(root, 90, 0, PROC_CHAIN_MAX, buf, sizeof(buf));
	is_str(buf, "", "a truncated stat line: nothing");
	proc_chain(root, 1234, 0, PROC_CHAIN_MAX, small, sizeof(small));
	is_str(small, "ssh (1234) <- git (1200)",
	    "a short buffer keeps whole entries only");
	proc_chain("/proc", getpid(), 0, 1, buf, sizeof(buf));
	ok(strstr(buf, "test-notices (") == buf, "the real /proc: %s", buf);
}

static char *
escaped(const char *s)
{
	struct jbuf j = { NULL, 0, 0 };

	if (json_put_string(&j, s, RECORD_FIELD_MAX) != 0)
		abort();
	return j.p;
}

static void
test_escape(void)
{
	struct json_obj o;
	struct jbuf j = { NULL, 0, 0 };
	char *e, raw[200], line[1024];
	unsigned char rnd[64];
	size_t i, k;
	int good = 1;

	e = escaped("plain");
	is_str(e, "\"plain\"", "plain text is quoted only");
	free(e);
	e = escaped("a \"quoted\" \\back\\slash");
	is_str(e, "\"a \\\"quoted\\\" \\\\back\\\\slash\"", "quotes and backslashes");
	free(e);
	e = escaped("tab\there\nnl\rcr\x01\x1b[2J\x7f");
	is_str(e, "\"tab\\there\\nnl\\rcr\\u0001\\u001b[2J\\u007f\"",
	    "control characters and DEL escaped");
	free(e);
	e = escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91");
	is_str(e, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\"",
	    "valid UTF-8 kept as is");
	free(e);
	e = escaped("bad\xff\xc3(\xe2\x82 \xed\xa0\x80 \xc0\xaf end");
	is_str(e, "\"bad\\ufffd\\ufffd(\\ufffd\\ufffd \\ufffd\\ufffd\\ufffd "
	    "\\ufffd\\ufffd end\"", "invalid UTF-8, surrogates, overlong: U+FFFD");
	free(e);
	memset(raw, 'x', sizeof(raw) - 1);
	raw[sizeof(raw) - 1] = '\0';
	if (json_put_string(&j, raw, 10) != 0)
		abort();
	is_str(j.p, "\"xxxxxxxxxx\"", "at most max bytes");
	jbuf_free(&j);

	/* random bytes: escaped, read back, the same where valid UTF-8 */
	for (i = 0; i < 2000 && good; i++) {
		randombytes_buf(rnd, sizeof(rnd));
		for (k = 0; k < sizeof(rnd); k++)
			if (rnd[k] == 0)
				rnd[k] = 1;
		memcpy(raw, rnd, sizeof(rnd));
		raw[sizeof(rnd)] = '\0';
		jbuf_reset(&j);
		if (jbuf_put(&j, "{\"c\":", 5) != 0 ||
		    json_put_string(&j, raw, RECORD_FIELD_MAX) != 0 ||
		    jbuf_put(&j, "}", 1) != 0) {
			good = 0;
			break;
		}
		for (k = 0; k < j.len; k++)
			if ((unsigned char)j.p[k] < 0x20)
				good = 0;
		if (json_parse_flat(j.p, j.len, &o) != 0 || o.n != 1 ||
		    json_get(&o, "c") == NULL)
			good = 0;
		else if (strstr(j.p, "\\ufffd") == NULL &&
		    strcmp(json_get(&o, "c"), raw) != 0)
			good = 0;
		json_obj_free(&o);
	}
	ok(good, "2000 random comments: no raw control byte, read back intact");
	jbuf_free(&j);

	/* the parser refuses what is not a flat object */
	snprintf(line, sizeof(line), "{\"a\":{\"b\":1}}");
	ok(json_parse_flat(line, strlen(line), &o) != 0, "nesting refused");
	snprintf(line, sizeof(line), "{\"a\":1} x");
	ok(json_parse_flat(line, strlen(line), &o) != 0, "trailing bytes refused");
	snprintf(line, sizeof(line), "{\"a\":\"\\u0000\"}");
	ok(json_parse_flat(line, strlen(line), &o) != 0, "\\u0000 refused");
	snprintf(line, sizeof(line), "{\"a\":\"\\ud800\"}");
	ok(json_parse_flat(line, strlen(line), &o) != 0, "a lone surrogate refused");
	snprintf(line, sizeof(line), "{\"a\":\"x");
	ok(json_parse_flat(line, strlen(line), &o) != 0, "unterminated refused");
	snprintf(line, sizeof(line),
	    "{ \"s\" : \"\\ud83d\\udd11 \\/\" , \"n\":-12, \"t\":true, \"z\":null }");
	ok(json_parse_flat(line, strlen(line), &o) == 0 && o.n == 4 &&
	    strcmp(json_get(&o, "s"), "\xf0\x9f\x94\x91 /") == 0 &&
	    strcmp(json_get(&o, "n"), "-12") == 0 &&
	    strcmp(json_get(&o, "t"), "true") == 0 &&
	    json_get(&o, "z") == NULL && json_get(&o, "none") == NULL,
	    "surrogate pairs, numbers, true, null");
	json_obj_free(&o);
}

static void
test_format(void)
{
	struct record_entry e;
	struct json_obj o;
	struct jbuf j = { NULL, 0, 0 };

	memset(&e, 0, sizeof(e));
	e.time_ms = 1764149196123LL;	/* 2025-11-26T09:26:36.123Z */
	e.ok = 1;
	e.key = "SHA256:abc";
	e.type = "ED25519";
	e.comment = "in memory";
	e.requester = "ssh (1) <- bash (2)";
	e.pid = 1;
	e.up = e.uv = -1;
	e.counter = -1;
	ok(record_format(&j, &e) == 0, "an in-memory signature");
	is_str(j.p, "{\"time\":\"2025-11-26T09:26:36.123Z\",\"result\":\"ok\","
	    "\"key\":\"SHA256:abc\",\"type\":\"ED25519\",\"comment\":"
	    "\"in memory\",\"requester\":\"ssh (1) <- bash (2)\",\"pid\":1}\n",
	    "common fields first, nothing that does not apply");
	jbuf_reset(&j);
	e.ok = 0;
	e.error = "touch refused";
	e.sk = 1;
	e.type = "ED25519-SK";
	e.comment = "evil\",\"result\":\"ok\n";
	e.token = "unix:/t/one.tok";
	e.destination = "SHA256:host";
	e.forwarded = 1;
	e.use = "login";
	e.user = "root";
	ok(record_format(&j, &e) == 0, "a refused touch on a forwarded login");
	is_str(j.p, "{\"time\":\"2025-11-26T09:26:36.123Z\",\"result\":\"failed\","
	    "\"key\":\"SHA256:abc\",\"type\":\"ED25519-SK\",\"comment\":"
	    "\"evil\\\",\\\"result\\\":\\\"ok\\n\",\"requester\":"
	    "\"ssh (1) <- bash (2)\",\"pid\":1,\"error\":\"touch refused\","
	    "\"token\":\"unix:/t/one.tok\",\"destination\":\"SHA256:host\","
	    "\"forwarded\":true,\"use\":\"login\",\"user\":\"root\"}\n",
	    "a hostile comment stays inside its field");
	ok(json_parse_flat(j.p, j.len, &o) == 0 &&
	    strcmp(json_get(&o, "result"), "failed") == 0 &&
	    strcmp(json_get(&o, "comment"), e.comment) == 0,
	    "and reads back as it was");
	json_obj_free(&o);
	jbuf_reset(&j);
	e.ok = 1;
	e.up = 1;
	e.uv = 0;
	e.counter = 4294967295LL;
	e.destination = NULL;
	e.use = "sshsig";
	e.user = NULL;
	e.ns = "git";
	e.comment = "c";
	ok(record_format(&j, &e) == 0 && strstr(j.p, ",\"token\":\"unix:/t/"
	    "one.tok\",\"up\":true,\"uv\":false,\"counter\":4294967295,"
	    "\"use\":\"sshsig\",\"namespace\":\"git\"}\n") != NULL &&
	    strstr(j.p, "error") == NULL && strstr(j.p, "forwarded") == NULL,
	    "sk flags and counter; an SSHSIG's namespace");
	jbuf_free(&j);
}

static size_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (size_t)st.st_size : (size_t)-1;
}

static void
test_file(void)
{
	struct recfile rf;
	struct stat st;
	char dir[512], path[600], line[640], **lines = NULL;
	size_t n = 0, i;
	int good = 1, r;

	snprintf(dir, sizeof(dir), "%s/state/deeper/skagent", tmp);
	ok(recfile_open(&rf, dir, "r.jsonl", 4096) == 0,
	    "the record file is opened, directories made");
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "its directory is 0700");
	snprintf(path, sizeof(path), "%s/r.jsonl", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the file is 0600");
	for (i = 0; i < 200 && good; i++) {
		snprintf(line, sizeof(line), "{\"n\":%zu,\"pad\":\"%040d\"}\n",
		    i, 0);
		if (recfile_append(&rf, line, strlen(line)) != 0)
			good = 0;
	}
	ok(good, "200 lines appended");
	ok(file_size(path) <= 4096, "the file stays under its size (%zu)",
	    file_size(path));
	snprintf(line, sizeof(line), "%s/r.jsonl.1", dir);
	ok(file_size(line) <= 4096 && file_size(line) > 4096 - 64,
	    "the older lines went to .1");
	ok(record_tail(dir, "r.jsonl", 5, &lines, &n) == 0 && n == 5 &&
	    strncmp(lines[0], "{\"n\":195,", 9) == 0 &&
	    strncmp(lines[4], "{\"n\":199,", 9) == 0, "the tail, oldest first");
	record_lines_free(lines, n);
	r = record_tail(dir, "r.jsonl", 1000, &lines, &n);
	ok(r == 0 && n > 60 && n < 200 &&
	    strncmp(lines[n - 1], "{\"n\":199,", 9) == 0,
	    "a longer tail takes .1 too (%zu lines)", n);
	for (i = 1; i < n && good; i++)
		if (atoi(lines[i] + 5) != atoi(lines[i - 1] + 5) + 1)
			good = 0;
	ok(good, "in order, none lost between the two files");
	record_lines_free(lines, n);

	/* a batch of lines bigger than the file may be */
	{
		struct jbuf big = { NULL, 0, 0 };

		for (i = 0; i < 300; i++) {
			snprintf(line, sizeof(line), "{\"b\":%zu,\"pad\":"
			    "\"%040d\"}\n", i, 0);
			if (jbuf_put(&big, line, strlen(line)) != 0)
				abort();
		}
		ok(big.len > 4096 * 2 && recfile_append(&rf, big.p, big.len) == 0,
		    "a batch of %zu bytes appended", big.len);
		jbuf_free(&big);
	}
	ok(file_size(path) <= 4096, "the file is still under its size (%zu)",
	    file_size(path));
	r = record_tail(dir, "r.jsonl", 1000, &lines, &n);
	ok(r == 0 && n > 60 && strncmp(lines[n - 1], "{\"b\":299,", 9) == 0,
	    "it ends with the batch's last line");
	record_lines_free(lines, n);
	recfile_close(&rf);

	/* a half-written last line is not shown */
	if ((i = (size_t)open(path, O_WRONLY | O_APPEND)) == (size_t)-1 ||
	    write((int)i, "{\"n\":1", 6) != 6)
		abort();
	close((int)i);
	ok(record_tail(dir, "r.jsonl", 1, &lines, &n) == 0 && n == 1 &&
	    strncmp(lines[0], "{\"b\":299,", 9) == 0,
	    "an unfinished last line is left out");
	record_lines_free(lines, n);
	ok(record_tail(dir, "nothing.jsonl", 10, &lines, &n) == 0 && n == 0,
	    "no file: no lines");
	record_lines_free(lines, n);

	snprintf(path, sizeof(path), "%s/link.jsonl", dir);
	if (symlink("/dev/null", path) != 0)
		abort();
	ok(recfile_open(&rf, dir, "link.jsonl", 4096) != 0,
	    "never through a symlink");
}

int
main(void)
{
	char cmd[600];

	if (sodium_init() < 0 || mkdtemp(tmp) == NULL)
		return 1;
	test_chain();
	test_escape();
	test_format();
	test_file();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", tmp);
	return tap_done();
}
