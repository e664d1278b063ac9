/*
 * What a person reads: notices and questions in at most two lines of at
 * most 79 columns whatever the comment and the name, the destination as
 * typed and confirmed (or not) through known_hosts from a fake requester's
 * command line, one-line failures.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../agent/destview.h"
#include "../../agent/say.h"
#include "err.h"
#include "key.h"
#include "secmem.h"
#include "tap.h"

#define HOST_PUB "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA6iByqbESWxtkvqCqwR7+Hv3mOtd6hUmSTYMqS4fXpy"
#define OTHER_PUB "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEC/brKs4QjKe1cMOguuHFL8sAHRJ61+XI+oraFF3VV1"
#define HASHED_2222 "|1|CYilGirnD6Qt9X7+y69V2rY4TT0=|6YtmY0USH2KcMy44dHN61NYAIMc= " HOST_PUB
#define FP "SHA256:N4W5xBfS1RlJx6HPVk7T5m2tUmx1Ejt4mYbx3M7bAKo"

static char tmp[] = "/tmp/test-say.XXXXXX";

/* Every line at most 79 columns, at most max lines. */
static int
fits(const char *s, int max)
{
	char *copy = strdup(s), *line, *save = NULL;
	int n = 0, good = 1;

	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		n++;
		if (say_width(line) > SAY_COLS) {
			tap_diag("too wide (%zu): %s", say_width(line), line);
			good = 0;
		}
	}
	free(copy);
	return good && n <= max;
}

static void
test_clip(void)
{
	char *s;

	is_int(say_width("abc"), 3, "width of ASCII");
	is_int(say_width("h\xc3\xa9h\xe2\x82\xac"), 4, "width of UTF-8: characters");
	is_str(s = say_clip("abcdefghij", 8), "abcde...", "a cut ends in ...");
	free(s);
	is_str(s = say_clip("abc", 8), "abc", "short enough: as is");
	free(s);
	is_str(s = say_clip("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4),
	    "\xc3\xa9...", "never inside a UTF-8 character");
	free(s);
}

static void
test_fold(void)
{
	char *s, word[120];

	is_str(s = say_fold("short line", 80, 4), "short line\n", "short: as is");
	free(s);
	is_str(s = say_fold("  one two three four five", 14, 4),
	    "  one two\n    three four\n    five\n",
	    "between words, the next lines indented by hang");
	free(s);
	is_str(s = say_fold("key  comment goes on", 14, 2),
	    "key  comment\n  goes on\n", "the blanks between words kept");
	free(s);
	memset(word, 'w', sizeof(word) - 1);
	word[sizeof(word) - 1] = '\0';
	s = say_fold(word, 80, 4);
	ok(s != NULL && say_width(s) == 81 && strcmp(s + 76, "w...\n") == 0,
	    "a word wider than the line is cut, never split");
	free(s);
	is_str(s = say_fold("a b", 0, 4), "a b\n", "width 0: no limit");
	free(s);
}

static void
test_notices(void)
{
	char n1[] = "alice@build.example.com port 2222", n2[] = "alice@build port 2222",
	    n3[] = "someone@a-very-long-host-name.in-a-very-long-domain.example.com port 22222";
	struct dest_view d = { n1, 1, 0 };
	struct say_what w = { "ed-sk", "login", "alice", &d, FP, 0 };
	char *s, long_comment[300];

	is_str(s = say_notice(SAY_TOUCH, &w),
	    "Touch your security key (ed-sk) to log in to alice@build.example.com port 2222",
	    "touch: what to do, the key, where to, in one line");
	ok(fits(s, 1), "one line of 79 columns at most");
	free(s);
	d.confirmed = 0;
	s = say_notice(SAY_TOUCH, &w);
	is_str(s, "Touch your security key (ed-sk) to log in to alice@build.example.com port 2222\n"
	    "(could not be confirmed: " FP ")", "not confirmed: said, with the fingerprint");
	ok(fits(s, 2), "two lines of 79 columns at most");
	free(s);
	d.revoked = 1;
	s = say_notice(SAY_TOUCH, &w);
	ok(strstr(s, "REVOKED") != NULL && strstr(s, FP) != NULL, "revoked: said");
	free(s);
	d.revoked = 0;

	memset(long_comment, 'c', sizeof(long_comment) - 1);
	long_comment[sizeof(long_comment) - 1] = '\0';
	w.comment = long_comment;
	d.name = n2;
	s = say_notice(SAY_TOUCH, &w);
	ok(fits(s, 2) && strncmp(s, "Touch your security key (ccc", 28) == 0 &&
	    strstr(s, "...) to log in to alice@build port 2222\n") != NULL,
	    "a 299-character comment is cut, the name kept");
	free(s);
	d.name = n3;
	s = say_notice(SAY_SELECT, &w);
	ok(fits(s, 2) && strncmp(s, "Several security keys: touch the one with ccc", 45) == 0,
	    "and a long name too: both cut");
	ok(strstr(s, FP) != NULL, "the fingerprint never cut");
	free(s);
	w.comment = "ed-sk";
	d.name = n2;
	d.confirmed = 1;
	is_str(s = say_prompt(SAY_PIN, &w),
	    "Enter the PIN of your security key (ed-sk) to log in to alice@build port 2222\nPIN: ",
	    "the PIN question ends in its prompt");
	free(s);
	is_str(s = say_prompt(SAY_CARD_PIN, &w),
	    "Enter the PIN of your smartcard (ed-sk) to log in to alice@build port 2222\nPIN: ",
	    "a smartcard's PIN question (PKCS#11, CKA_ALWAYS_AUTHENTICATE)");
	free(s);
	is_str(s = say_prompt(SAY_CONFIRM, &w),
	    "Allow use of key ed-sk to log in to alice@build port 2222?\nType yes to allow it: ",
	    "the confirmation");
	free(s);
	w.forwarded = 1;
	s = say_notice(SAY_TOUCH, &w);
	is_str(s, "Touch your security key (ed-sk): login forwarded by alice@build port 2222\n"
	    "(to the host with key " FP ")", "forwarded: through which host, to which key");
	free(s);
	w.forwarded = 0;
	w.dest = NULL;
	is_str(s = say_notice(SAY_TOUCH, &w),
	    "Touch your security key (ed-sk) to log in as alice\n(host key " FP ")",
	    "no command line to name it: the user and the host key");
	free(s);
	w.use = "sshsig";
	w.use_text = "git";
	w.fp = NULL;
	is_str(s = say_notice(SAY_TOUCH, &w),
	    "Touch your security key (ed-sk) to sign for git", "an SSHSIG signature");
	free(s);
	w.use = NULL;
	is_str(s = say_notice(SAY_TOUCH, &w), "Touch your security key (ed-sk)",
	    "anything else: the key");
	free(s);
}

static void
test_failures(void)
{
	static const int errs[] = { SKA_ERR_TOUCH_REFUSED, SKA_ERR_TOUCH_TIMEOUT,
	    SKA_ERR_NO_TOKEN, SKA_ERR_TOKEN_NOT_FOUND, SKA_ERR_TOKEN_GONE,
	    SKA_ERR_PIN_INVALID, SKA_ERR_PIN_AUTH_BLOCKED, SKA_ERR_PIN_BLOCKED,
	    SKA_ERR_PIN_REQUIRED, SKA_ERR_UV_REQUIRED, SKA_ERR_CONFIRM_DENIED,
	    SKA_ERR_PROMPT_UNAVAILABLE };
	char *s, comment[200];
	size_t i;

	memset(comment, 'k', sizeof(comment) - 1);
	comment[sizeof(comment) - 1] = '\0';
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		s = say_failure(errs[i], 3, comment,
		    "no terminal, and no display for askpass", 0);
		ok(s != NULL && strncmp(s, "skagent: ", 9) == 0 && fits(s, 1),
		    "%s: one line, 79 columns at most, even with a long comment",
		    ska_err(errs[i]));
		free(s);
	}
	is_str(s = say_failure(SKA_ERR_PIN_INVALID, 5, "ed-sk", NULL, 0),
	    "skagent: wrong PIN for ed-sk, 5 tries left", "the tries left");
	free(s);
	is_str(s = say_failure(SKA_ERR_PIN_INVALID, 1, "ed-sk", NULL, 0),
	    "skagent: wrong PIN for ed-sk, 1 try left", "one try");
	free(s);
	is_str(s = say_failure(SKA_ERR_TOUCH_REFUSED, -1, "ed-sk", NULL, 0),
	    "skagent: touch refused: nothing signed with ed-sk", "a refused touch");
	free(s);
	is_str(s = say_failure(SKA_ERR_PROMPT_UNAVAILABLE, -1, "vr", "no terminal", 0),
	    "skagent: cannot ask (vr): no terminal", "no way to ask, and why");
	free(s);
	is_str(s = say_failure(SKA_ERR_PIN_BLOCKED, -1, "sig9c", NULL, 1),
	    "skagent: PIN blocked for sig9c: unblock it with the card's PUK",
	    "a smartcard's blocked PIN: its PUK is the way out");
	free(s);
	is_str(s = say_failure(SKA_ERR_PIN_BLOCKED, -1, "ed-sk", NULL, 0),
	    "skagent: PIN blocked for ed-sk: only a reset of the security key helps",
	    "a security key's: a reset");
	free(s);
	ok(say_failure(SKA_ERR_INVALID_FORMAT, -1, "x", NULL, 0) == NULL,
	    "nothing for a failure the user cannot act on");
}

static void
test_dest(void)
{
	char proc[256], path[512], kh[256], cfg[256];
	struct key *host = NULL, *other = NULL;
	struct dest_view v;

	if (key_from_public_line(HOST_PUB, &host, NULL) != 0 ||
	    key_from_public_line(OTHER_PUB, &other, NULL) != 0)
		abort();
	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	mkdir(proc, 0700);
	snprintf(path, sizeof(path), "%s/100", proc);
	mkdir(path, 0700);
	snprintf(kh, sizeof(kh), "%s/known_hosts", tmp);
	snprintf(cfg, sizeof(cfg), "%s/config", tmp);
	tap_write_file(cfg, "Host build\n  HostName build.example.com\n  UserKnownHostsFile %s\n", kh);
	tap_write_file(kh, "# hashed, as ssh-keygen -H left it\n" HASHED_2222 "\n");
	{
		char argv[512];
		int n = snprintf(argv, sizeof(argv), "ssh%c-F%c%s%c-p%c2222%calice@build%cuptime",
		    0, 0, cfg, 0, 0, 0, 0);
		FILE *f;

		snprintf(path, sizeof(path), "%s/100/cmdline", proc);
		if ((f = fopen(path, "w")) == NULL)
			abort();
		fwrite(argv, 1, (size_t)n + 1, f);
		fclose(f);
	}
	dest_view_make(proc, 100, getuid(), host, "alice", &v);
	is_str(v.name, "alice@build port 2222", "the name as typed, with its port");
	ok(v.confirmed && !v.revoked,
	    "confirmed: HostName from -F's config, hashed [host]:port in its known_hosts");
	dest_view_clear(&v);
	dest_view_make(proc, 100, getuid(), other, "bob", &v);
	is_str(v.name, "bob@build port 2222", "the login's user wins over the command line's");
	ok(!v.confirmed, "another host key: not confirmed");
	dest_view_clear(&v);
	tap_write_file(kh, HASHED_2222 "\n@revoked * " HOST_PUB "\n");
	dest_view_make(proc, 100, getuid(), host, NULL, &v);
	ok(!v.confirmed && v.revoked, "@revoked: not confirmed, revoked");
	dest_view_clear(&v);
	snprintf(path, sizeof(path), "%s/100/cmdline", proc);
	tap_write_file(path, "git%cpush%c", 0, 0);
	dest_view_make(proc, 100, getuid(), host, "alice", &v);
	ok(v.name == NULL && !v.confirmed, "not ssh: no name");
	dest_view_clear(&v);
	dest_view_make(proc, 4242, getuid(), host, "alice", &v);
	ok(v.name == NULL, "a process gone: no name");
	key_free(host);
	key_free(other);
}

int
main(void)
{
	char cmd[128];

	if (secmem_init(0) != 0 || mkdtemp(tmp) == NULL)
		return 1;
	test_clip();
	test_fold();
	test_notices();
	test_failures();
	test_dest();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		abort();
	return tap_done();
}
