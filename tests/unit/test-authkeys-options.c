/*
 * authorized_keys options as sshd judges them.  The accept/refuse column
 * is what OpenSSH 9.2's sshd did with each text in front of a key
 * (tests/e2e/52-copy-id-options.t asks a live sshd the same questions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authkeys-options.h"
#include "tap.h"

#define NPF	AUTHKEYS_OPT_NO_PORT_FORWARDING
#define NAF	AUTHKEYS_OPT_NO_AGENT_FORWARDING
#define NXF	AUTHKEYS_OPT_NO_X11_FORWARDING
#define NPTY	AUTHKEYS_OPT_NO_PTY
#define NRC	AUTHKEYS_OPT_NO_USER_RC
#define RESTRICTED (AUTHKEYS_OPT_RESTRICT | NPF | NAF | NXF | NPTY | NRC)

static const struct {
	const char *text;
	int accepted;
	unsigned int flags;	/* when accepted */
	const char *why;	/* when refused, if given */
} cases[] = {
	{ "", 1, 0, NULL },
	{ "no-pty", 1, NPTY, NULL },
	{ "NO-PTY", 1, NPTY, NULL },
	{ "no-pty,", 1, NPTY, NULL },
	{ ",no-pty", 1, NPTY, NULL },
	{ "no-pty,,no-pty", 1, NPTY, NULL },
	{ ",", 1, 0, NULL },
	{ "no-pty,pty", 1, 0, NULL },
	{ "restrict", 1, RESTRICTED, NULL },
	{ "restrict,pty", 1, RESTRICTED & ~NPTY, NULL },
	{ "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc",
	    1, NPF | NAF | NXF | NRC, NULL },
	{ "port-forwarding,agent-forwarding,x11-forwarding,user-rc", 1, 0, NULL },
	{ "no-touch-required", 1, AUTHKEYS_OPT_NO_TOUCH_REQUIRED, NULL },
	{ "no-touch-required,touch-required", 1, 0, NULL },
	{ "verify-required", 1, AUTHKEYS_OPT_VERIFY_REQUIRED, NULL },
	{ "no-verify-required", 1, 0, NULL },
	{ "cert-authority", 1, AUTHKEYS_OPT_CERT_AUTHORITY, NULL },
	{ "cert-authority,principals=\"a,b\"", 1,
	    AUTHKEYS_OPT_CERT_AUTHORITY | AUTHKEYS_OPT_PRINCIPALS, NULL },
	{ "command=\"echo \\\"a, b\\\"\"", 1, AUTHKEYS_OPT_COMMAND, NULL },
	{ "command=\"x\\y\"", 1, AUTHKEYS_OPT_COMMAND, NULL },
	{ "Command=\"x\"", 1, AUTHKEYS_OPT_COMMAND, NULL },
	{ "from=\"127.0.0.1\"", 1, AUTHKEYS_OPT_FROM, NULL },
	{ "from=\"!10.0.0.0/8,127.0.0.1,*.example\"", 1, AUTHKEYS_OPT_FROM, NULL },
	{ "from=\"::1,2001:db8::/32\"", 1, AUTHKEYS_OPT_FROM, NULL },
	{ "from=\"10.0.0.0/abc\"", 1, AUTHKEYS_OPT_FROM, NULL },
	{ "tunnel=\"any\"", 1, AUTHKEYS_OPT_TUNNEL, NULL },
	{ "tunnel=\"-0\"", 1, AUTHKEYS_OPT_TUNNEL, NULL },
	{ "tunnel=\" 5\"", 1, AUTHKEYS_OPT_TUNNEL, NULL },
	{ "tunnel=\"2147483645\"", 1, AUTHKEYS_OPT_TUNNEL, NULL },
	{ "permitopen=\"host:80\"", 1, AUTHKEYS_OPT_PERMITOPEN, NULL },
	{ "permitopen=\"host:ssh\"", 1, AUTHKEYS_OPT_PERMITOPEN, NULL },
	{ "permitopen=\"host/80\"", 1, AUTHKEYS_OPT_PERMITOPEN, NULL },
	{ "permitopen=\"[::1]:22\",permitopen=\"a:*\"", 1,
	    AUTHKEYS_OPT_PERMITOPEN, NULL },
	{ "permitlisten=\"8080\"", 1, AUTHKEYS_OPT_PERMITLISTEN, NULL },
	{ "permitlisten=\"[::1]:*\"", 1, AUTHKEYS_OPT_PERMITLISTEN, NULL },
	{ "environment=\"A=b c\",environment=\"_x1=\"", 1,
	    AUTHKEYS_OPT_ENVIRONMENT, NULL },
	{ "expiry-time=\"20991231\"", 1, AUTHKEYS_OPT_EXPIRY_TIME, NULL },
	{ "expiry-time=\"20991231Z\"", 1, AUTHKEYS_OPT_EXPIRY_TIME, NULL },
	{ "expiry-time=\"209912312359UTC\"", 1, AUTHKEYS_OPT_EXPIRY_TIME, NULL },
	{ "expiry-time=\"20991231235959z\"", 1, AUTHKEYS_OPT_EXPIRY_TIME, NULL },
	{ "expiry-time=\"2099 231\"", 1, AUTHKEYS_OPT_EXPIRY_TIME, NULL },
	{ "expiry-time=\"20990230\"", 1, AUTHKEYS_OPT_EXPIRY_TIME, NULL },
	{ "expiry-time=\"20200101\"", 1, AUTHKEYS_OPT_EXPIRY_TIME, NULL },

	{ "bogus-option", 0, 0, "unknown key option" },
	{ "no-pty,permit-evrything", 0, 0, "unknown key option" },
	{ "ptyx", 0, 0, "unknown key option" },
	{ "no-restrict", 0, 0, "unknown key option" },
	{ "no-cert-authority", 0, 0, "unknown key option" },
	{ "pty=\"x\"", 0, 0, "unknown key option" },
	{ "no-command=\"x\"", 0, 0, "unknown key option" },
	{ "command", 0, 0, "unknown key option" },
	{ "=\"x\"", 0, 0, "unknown key option" },
	{ "command=abc", 0, 0, "missing start quote" },
	{ "command=\"abc", 0, 0, "missing end quote" },
	{ "command=\"a\"x", 0, 0, "unknown key option" },
	{ "command=\"a\",command=\"b\"", 0, 0, "multiple \"command\" clauses" },
	{ "from=\"a\",from=\"b\"", 0, 0, "multiple \"from\" clauses" },
	{ "cert-authority,principals=\"a\",principals=\"b\"", 0, 0,
	    "multiple \"principals\" clauses" },
	{ "principals=\"a\"", 0, 0, "principals on non-CA key" },
	{ "from=\"10.0.0.1/8\"", 0, 0, "invalid from criteria" },
	{ "from=\"127.0.0.0/8,\"", 0, 0, "invalid from criteria" },
	{ "from=\"\"", 0, 0, "invalid from criteria" },
	{ "from=\"!\"", 0, 0, "invalid from criteria" },
	{ "from=\"10.0.0.0/33\"", 0, 0, "invalid from criteria" },
	{ "from=\"2001:db8::1/32\"", 0, 0, "invalid from criteria" },
	{ "tunnel=\"x\"", 0, 0, "invalid tun device" },
	{ "tunnel=\"2147483646\"", 0, 0, "invalid tun device" },
	{ "tunnel=\"\"", 0, 0, "invalid tun device" },
	{ "permitopen=\"host:bogusname\"", 0, 0, "invalid permission port" },
	{ "permitopen=\"host\"", 0, 0, "invalid permission port" },
	{ "permitopen=\"host:0\"", 0, 0, "invalid permission port" },
	{ "permitopen=\"host:65536\"", 0, 0, "invalid permission port" },
	{ "permitopen=\"[::1]x:22\"", 0, 0, "invalid permission hostname" },
	{ "permitopen=\"[::1:22\"", 0, 0, "invalid permission hostname" },
	{ "permitlisten=\"0\"", 0, 0, "invalid permission port" },
	{ "environment=\"=b\"", 0, 0, "invalid environment string" },
	{ "environment=\"A-B=c\"", 0, 0, "invalid environment string" },
	{ "environment=\"AB\"", 0, 0, "invalid environment string" },
	{ "expiry-time=\"2099123\"", 0, 0, "invalid expires time" },
	{ "expiry-time=\"20991331\"", 0, 0, "invalid expires time" },
	{ "expiry-time=\"20991232\"", 0, 0, "invalid expires time" },
	{ "expiry-time=\"209912312460\"", 0, 0, "invalid expires time" },
	{ "expiry-time=\"2099-1-01\"", 0, 0, "invalid expires time" },
	{ "expiry-time=\"19700101Z\"", 0, 0, "invalid expires time" },
	{ "expiry-time=\"19600101Z\"", 0, 0, "invalid expires time" },
	{ "expiry-time=\"Z\"", 0, 0, "invalid expires time" },
	{ "no-pty no-pty", 1, NPTY, NULL },	/* the blank ends the text */
};

static void
test_table(void)
{
	struct authkeys_opts o;
	const char *why;
	size_t i;
	int r, good = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = authkeys_options_parse(cases[i].text, strlen(cases[i].text),
		    &o, &why);
		if (cases[i].accepted ? (r != 0 || why != NULL ||
		    o.flags != cases[i].flags) :
		    (r != SKA_ERR_INVALID_FORMAT || why == NULL || o.flags != 0 ||
		    (cases[i].why != NULL && strcmp(why, cases[i].why) != 0))) {
			tap_diag("%s: got %d (%s), flags 0x%x", cases[i].text, r,
			    why != NULL ? why : "-", o.flags);
			good = 0;
		}
	}
	ok(good, "%zu option texts judged as sshd judged them",
	    sizeof(cases) / sizeof(cases[0]));
	is_int(authkeys_options_parse(NULL, 1, &o, &why),
	    SKA_ERR_INVALID_ARGUMENT, "NULL text with a length");
	is_int(authkeys_options_parse(NULL, 0, &o, NULL), 0, "NULL, 0: none");
	is_int(authkeys_options_parse("no-pty", 6, NULL, NULL),
	    SKA_ERR_INVALID_ARGUMENT, "NULL result");
	ok(authkeys_options_parse("no-ptyX", 6, &o, NULL) == 0 &&
	    o.flags == NPTY, "the length bounds the text");
}

static void
test_expiry(void)
{
	struct authkeys_opts o;
	uint64_t t;
	char text[128];
	time_t now = time(NULL);
	struct tm tm;

	ok(authkeys_parse_time("20300102Z", 9, &t) == 0 && t == 1893542400,
	    "20300102Z is 2030-01-02 00:00 UTC");
	ok(authkeys_parse_time("203001020304UTC", 15, &t) == 0 &&
	    t == 1893542400 + 3 * 3600 + 4 * 60, "YYYYMMDDHHMM with UTC");
	ok(authkeys_parse_time("20300102030405z", 15, &t) == 0 &&
	    t == 1893542400 + 3 * 3600 + 4 * 60 + 5, "YYYYMMDDHHMMSS with z");
	ok(authkeys_parse_time("20300229Z", 9, &t) == 0 &&
	    t == 1893542400 + 58 * 86400, "a day past the month's end rolls over, as mktime");
	setenv("TZ", "UTC+2", 1);
	tzset();
	ok(authkeys_parse_time("20300102", 8, &t) == 0 &&
	    t == 1893542400 + 2 * 3600, "no Z: local time (TZ=UTC+2)");
	unsetenv("TZ");
	tzset();
	snprintf(text, sizeof(text), "expiry-time=\"20400101Z\",expiry-time="
	    "\"20300102Z\",expiry-time=\"20350101Z\"");
	ok(authkeys_options_parse(text, strlen(text), &o, NULL) == 0 &&
	    o.expiry == 1893542400, "several expiry-times: the earliest");
	gmtime_r(&now, &tm);
	strftime(text, sizeof(text), "expiry-time=\"%Y%m%d%H%M%SZ\"", &tm);
	ok(authkeys_options_parse(text, strlen(text), &o, NULL) == 0 &&
	    o.expiry == (uint64_t)now, "this second, to the second");
	is_int(authkeys_parse_time("2030010", 7, &t), SKA_ERR_INVALID_FORMAT,
	    "seven digits");
	is_int(authkeys_parse_time("2030\0" "102", 8, &t),
	    SKA_ERR_INVALID_FORMAT, "a NUL inside");
}

static void
test_restrictions(void)
{
	struct authkeys_opts o;
	char buf[256], small[12];
	size_t n;

	memset(&o, 0, sizeof(o));
	is_int((int)authkeys_restrictions(&o, buf, sizeof(buf)), 0,
	    "no options: no restriction");
	is_str(buf, "", "empty text");
	o.flags = AUTHKEYS_OPT_NO_TOUCH_REQUIRED | AUTHKEYS_OPT_ENVIRONMENT |
	    AUTHKEYS_OPT_CERT_AUTHORITY;
	is_int((int)authkeys_restrictions(&o, buf, sizeof(buf)), 0,
	    "no-touch-required and environment restrict nothing");
	o.flags = RESTRICTED | AUTHKEYS_OPT_COMMAND | AUTHKEYS_OPT_FROM;
	n = authkeys_restrictions(&o, buf, sizeof(buf));
	is_str(buf, "restrict, command, from", "restrict with command and from");
	is_int((int)n, (int)strlen(buf), "length returned");
	o.flags = (RESTRICTED & ~NPTY) | AUTHKEYS_OPT_EXPIRY_TIME;
	authkeys_restrictions(&o, buf, sizeof(buf));
	is_str(buf, "no-port-forwarding, no-agent-forwarding, "
	    "no-x11-forwarding, no-user-rc, expiry-time",
	    "restrict,pty: the no-* still in force");
	o.flags = NPTY | AUTHKEYS_OPT_COMMAND;
	n = authkeys_restrictions(&o, small, sizeof(small));
	is_str(small, "no-pty", "a short buffer: whole names only");
	is_int((int)n, (int)strlen("no-pty, command"), "the length it needs");
}

int
main(void)
{
	test_table();
	test_expiry();
	test_restrictions();
	return tap_done();
}
