/*
 * known_hosts lookups: plain and bracketed names, wildcards and negation,
 * hashed entries made by stock ssh-keygen -H, markers, host certificates,
 * hostile lines, and a file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "key.h"
#include "knownhosts.h"
#include "secmem.h"
#include "tap.h"

/* Made by ssh-keygen (OpenSSH 9.2p1). */
#define HOST_PUB "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA6iByqbESWxtkvqCqwR7+Hv3mOtd6hUmSTYMqS4fXpy"
#define OTHER_PUB "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEC/brKs4QjKe1cMOguuHFL8sAHRJ61+XI+oraFF3VV1"
#define CA_PUB "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMJ1CqFCiM8yL59ET8olNRf5b/svHKs23uiVdceLksmU"
/* ssh-keygen -H of "build.example.com HOST" and "[build.example.com]:2222 HOST" */
#define HASHED_22 "|1|g8iAD2zBP6B4JDiNRAzCs/mUUM0=|MRinLh9lljrfxx1R7rmQhjVlVaA= " HOST_PUB
#define HASHED_2222 "|1|CYilGirnD6Qt9X7+y69V2rY4TT0=|6YtmY0USH2KcMy44dHN61NYAIMc= " HOST_PUB
/* host's key signed by CA: host certificate for build.example.com,*.corp, forever */
#define HOST_CERT "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAICnWjy9aF6jPwYURBytC0Ed+DjJIL+fBbw1HFVPibHhWAAAAIA6iByqbESWxtkvqCqwR7+Hv3mOtd6hUmSTYMqS4fXpyAAAAAAAAAAAAAAACAAAABWJ1aWxkAAAAHwAAABFidWlsZC5leGFtcGxlLmNvbQAAAAYqLmNvcnAAAAAAAAAAAP//////////AAAAAAAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUxOQAAACDCdQqhQojPMi+fRE/KJTUX+W/7LxyrNt7olXXHi5LJlAAAAFMAAAALc3NoLWVkMjU1MTkAAABAVYBAcXciVy0LzVRCjGN5Z7UBsWWIXXwbpaGiHDSn34fwDgvFgnCKbXLCObMPA73BWGqDezVWEp00sZwfBi96CQ=="
/* other's key signed by CA for build.example.com, valid on 2000-01-01 only */
#define OLD_CERT "ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAIIY/wIsKeSwuNAR9QtJkM980A/XIZuMwDE/VOL67IhkaAAAAIEC/brKs4QjKe1cMOguuHFL8sAHRJ61+XI+oraFF3VV1AAAAAAAAAAIAAAACAAAAA2V4cAAAABUAAAARYnVpbGQuZXhhbXBsZS5jb20AAAAAOG1DgAAAAAA4bpUAAAAAAAAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUxOQAAACDCdQqhQojPMi+fRE/KJTUX+W/7LxyrNt7olXXHi5LJlAAAAFMAAAALc3NoLWVkMjU1MTkAAABAKf3ZefmIsqTVRUP33wzemN90iAMtzqIfPftIE865j6PvhW6c4bvCwQZt7YiZRwXdACg+yUMN78GpocPhUbpgAw=="

#define NOW	1800000000ULL	/* 2027 */

static struct key *hostkey, *otherkey, *cert, *oldcert;

static struct key *
pub(const char *line)
{
	struct key *k = NULL;

	if (key_from_public_line(line, &k, NULL) != 0)
		abort();
	return k;
}

/* The result of the text for host:port and key. */
static enum knownhosts_result
check(const char *text, const char *host, int port, const struct key *k)
{
	enum knownhosts_result r = KNOWNHOSTS_NONE;

	knownhosts_check_buf(text, strlen(text), host, port, k, NOW, &r);
	return r;
}

static void
test_names(void)
{
	char *s;

	is_str(s = knownhosts_name("Build.Example.com", 22), "build.example.com",
	    "port 22: the host alone, lower case");
	free(s);
	is_str(s = knownhosts_name("build", 0), "build", "port 0: the host alone");
	free(s);
	is_str(s = knownhosts_name("build", 2222), "[build]:2222",
	    "another port: [host]:port");
	free(s);
	ok(knownhosts_name("", 22) == NULL, "no host: NULL");
	ok(knownhosts_name(NULL, 22) == NULL, "NULL host: NULL");
}

static void
test_patterns(void)
{
#define M(h, n) knownhosts_match_hosts(h, strlen(h), n)
	is_int(M("build", "build"), 1, "a plain name");
	is_int(M("a,b,build", "build"), 1, "in a list");
	is_int(M("BUILD", "build"), 1, "patterns without case");
	is_int(M("buil", "build"), 0, "a prefix is no match");
	is_int(M("*.example.com", "build.example.com"), 1, "'*'");
	is_int(M("build.example.co?", "build.example.com"), 1, "'?'");
	is_int(M("*.example.com,!build.example.com", "build.example.com"), 0,
	    "a negated match rules the line out");
	is_int(M("!other,build", "build"), 1, "a negated pattern that does not match");
	is_int(M("[build]:2222", "[build]:2222"), 1, "[host]:port");
	is_int(M("build", "[build]:2222"), 0, "a plain name is port 22 only");
	is_int(M("[*]:2222", "[build]:2222"), 1, "wildcards in [host]:port");
	is_int(M("", "build"), 0, "an empty list");
	is_int(M("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0,
	    "many stars end quickly (no backtracking blow-up)");
#undef M
}

static void
test_lines(void)
{
	is_int(check("build.example.com " HOST_PUB "\n", "build.example.com", 22,
	    hostkey), KNOWNHOSTS_FOUND, "a plain line with the key");
	is_int(check("build.example.com " OTHER_PUB " comment\n",
	    "build.example.com", 22, hostkey), KNOWNHOSTS_OTHER,
	    "the name with another key");
	is_int(check("other.example.com " HOST_PUB "\n", "build.example.com", 22,
	    hostkey), KNOWNHOSTS_NONE, "another name");
	is_int(check("build.example.com " HOST_PUB "\n", "build.example.com", 2222,
	    hostkey), KNOWNHOSTS_NONE, "port 22's line does not name port 2222");
	is_int(check("[build.example.com]:2222 " HOST_PUB "\n", "build.example.com",
	    2222, hostkey), KNOWNHOSTS_FOUND, "[host]:port");
	is_int(check(HASHED_22 "\n", "build.example.com", 22, hostkey),
	    KNOWNHOSTS_FOUND, "a hashed entry (ssh-keygen -H)");
	is_int(check(HASHED_22 "\n", "BUILD.example.com", 22, hostkey),
	    KNOWNHOSTS_FOUND, "a hashed entry, the name without case");
	is_int(check(HASHED_2222 "\n", "build.example.com", 2222, hostkey),
	    KNOWNHOSTS_FOUND, "a hashed [host]:port entry");
	is_int(check(HASHED_22 "\n", "build.example.com", 2222, hostkey),
	    KNOWNHOSTS_NONE, "a hashed entry names one port");
	is_int(check(HASHED_22 "\n", "other.example.com", 22, hostkey),
	    KNOWNHOSTS_NONE, "a hashed entry of another name");
	is_int(check(HASHED_22 "\n", "build.example.com", 22, otherkey),
	    KNOWNHOSTS_OTHER, "a hashed entry with another key");
	is_int(check("*.example.com,!build.example.com " HOST_PUB "\n",
	    "build.example.com", 22, hostkey), KNOWNHOSTS_NONE,
	    "a negated name: not found");
	is_int(check("  # build.example.com " HOST_PUB "\n\n\t\n",
	    "build.example.com", 22, hostkey), KNOWNHOSTS_NONE,
	    "comments and blank lines");
	is_int(check("build.example.com " HOST_PUB "\r\n", "build.example.com", 22,
	    hostkey), KNOWNHOSTS_FOUND, "CRLF");
	is_int(check("build.example.com\t" HOST_PUB, "build.example.com", 22,
	    hostkey), KNOWNHOSTS_FOUND, "tabs, no final newline");
	is_int(check("other " OTHER_PUB "\nbuild.example.com " OTHER_PUB "\n"
	    "build.example.com " HOST_PUB "\n", "build.example.com", 22, hostkey),
	    KNOWNHOSTS_FOUND, "any line with the key wins over one without");
	is_int(check("@revoked * " HOST_PUB "\nbuild.example.com " HOST_PUB "\n",
	    "build.example.com", 22, hostkey), KNOWNHOSTS_REVOKED,
	    "@revoked wins over a match");
	is_int(check("@revoked * " OTHER_PUB "\nbuild.example.com " HOST_PUB "\n",
	    "build.example.com", 22, hostkey), KNOWNHOSTS_FOUND,
	    "another key revoked");
	is_int(check("@revoked nothere " HOST_PUB "\nbuild.example.com " HOST_PUB
	    "\n", "build.example.com", 22, hostkey), KNOWNHOSTS_FOUND,
	    "@revoked for other hosts (as ssh, which loads matching lines only)");
	is_int(check("@bogus build.example.com " HOST_PUB "\n",
	    "build.example.com", 22, hostkey), KNOWNHOSTS_NONE,
	    "an unknown marker: the line is ignored");
	is_int(check("@cert-authority build.example.com " HOST_PUB "\n",
	    "build.example.com", 22, hostkey), KNOWNHOSTS_OTHER,
	    "a CA line does not vouch for a plain key");
}

static void
test_certs(void)
{
	const char *ca = "@cert-authority *.example.com,*.corp " CA_PUB "\n";

	is_int(check(ca, "build.example.com", 22, cert), KNOWNHOSTS_FOUND,
	    "a host certificate signed by a listed CA");
	is_int(check(ca, "db.corp", 22, cert), KNOWNHOSTS_FOUND,
	    "a wildcard principal");
	is_int(check(ca, "web.example.com", 22, cert), KNOWNHOSTS_NONE,
	    "a name the certificate is not for");
	is_int(check(ca, "build.example.com", 22, oldcert), KNOWNHOSTS_NONE,
	    "an expired certificate");
	is_int(check("build.example.com " HOST_PUB "\n", "build.example.com", 22,
	    cert), KNOWNHOSTS_FOUND, "a certificate's plain key listed (ssh's fallback)");
	is_int(check("@revoked * " CA_PUB "\n", "build.example.com", 22, cert),
	    KNOWNHOSTS_REVOKED, "a revoked CA revokes its certificates");
	is_int(check("@cert-authority build.example.com " OTHER_PUB "\n",
	    "build.example.com", 22, cert), KNOWNHOSTS_NONE,
	    "another CA");
}

static void
test_hostile(void)
{
	static const char *const bad[] = {
		"build.example.com ssh-ed25519 !!!notbase64",
		"build.example.com ssh-ed25519",
		"build.example.com",
		"@cert-authority",
		"|1|",
		"|1|||" HOST_PUB,
		"|1|AAAA|AAAA " HOST_PUB,
		"|1|g8iAD2zBP6B4JDiNRAzCs/mUUM0= " HOST_PUB,
		"|1|g8iAD2zBP6B4JDiNRAzCs/mUUM0=|MRinLh9lljrfxx1R7rmQhjVlVa== " HOST_PUB,
		"|2|g8iAD2zBP6B4JDiNRAzCs/mUUM0=|MRinLh9lljrfxx1R7rmQhjVlVaA= " HOST_PUB,
	};
	char *big, nul[] = "other\0build.example.com " HOST_PUB;
	enum knownhosts_result r;
	size_t i, n = KNOWNHOSTS_LINE_MAX + 10;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(check(bad[i], "build.example.com", 22, hostkey),
		    KNOWNHOSTS_NONE, "malformed line %zu: nothing found", i);
	r = KNOWNHOSTS_NONE;
	knownhosts_check_line(nul, sizeof(nul) - 1, "build.example.com", 22,
	    hostkey, NOW, &r);
	is_int(r, KNOWNHOSTS_NONE, "a line is cut at a NUL, as ssh reads it");
	if ((big = malloc(n + 1)) == NULL)
		abort();
	memset(big, 'a', n);
	memcpy(big, "build.example.com " HOST_PUB " ", strlen(HOST_PUB) + 19);
	big[n] = '\0';
	is_int(check(big, "build.example.com", 22, hostkey), KNOWNHOSTS_NONE,
	    "a line longer than KNOWNHOSTS_LINE_MAX is skipped");
	free(big);
}

static void
test_file(void)
{
	char dir[] = "/tmp/test-knownhosts.XXXXXX", path[64];
	enum knownhosts_result r = KNOWNHOSTS_NONE;
	FILE *f;
	size_t i;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/known_hosts", dir);
	ok(knownhosts_check_file(path, "build.example.com", 22, hostkey, NOW,
	    &r) == 0 && r == KNOWNHOSTS_NONE, "a file that does not exist: none");
	if ((f = fopen(path, "w")) == NULL)
		abort();
	/* a line too long first: what follows it is still read */
	for (i = 0; i < KNOWNHOSTS_LINE_MAX + 100; i++)
		fputc('x', f);
	fprintf(f, " " HOST_PUB "\nother " OTHER_PUB "\n" HASHED_2222 "\n");
	fclose(f);
	ok(knownhosts_check_file(path, "build.example.com", 2222, hostkey, NOW,
	    &r) == 0, "a file is read");
	is_int(r, KNOWNHOSTS_FOUND, "and its hashed line found after a long one");
	r = KNOWNHOSTS_NONE;
	ok(knownhosts_check_file(dir, "build.example.com", 22, hostkey, NOW,
	    &r) != 0, "a directory: an error");
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	if (secmem_init(0) != 0)
		return 1;
	hostkey = pub(HOST_PUB);
	otherkey = pub(OTHER_PUB);
	cert = pub(HOST_CERT);
	oldcert = pub(OLD_CERT);
	test_names();
	test_patterns();
	test_lines();
	test_certs();
	test_hostile();
	test_file();
	key_free(hostkey);
	key_free(otherkey);
	key_free(cert);
	key_free(oldcert);
	return tap_done();
}
