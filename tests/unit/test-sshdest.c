/*
 * Reading an ssh command line as ssh does (options before and after the
 * destination, user@host, ssh:// URIs, -o, -F), then ssh_config (Host
 * blocks, first value wins, Include, Match not evaluated), and the
 * known_hosts name and files that result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sshdest.h"
#include "tap.h"

/* An argv as /proc/PID/cmdline: the arguments, each NUL-terminated. */
static int
parse(struct sshdest *d, const char *const *av)
{
	char buf[4096];
	size_t n = 0, l;

	for (; *av != NULL; av++) {
		l = strlen(*av) + 1;
		if (n + l > sizeof(buf))
			abort();
		memcpy(buf + n, *av, l);
		n += l;
	}
	return sshdest_parse_argv(buf, n, d);
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void
test_argv(void)
{
	struct sshdest d;
	char *h;
	int port;

	ok(parse(&d, ARGV("ssh", "build")) == 0, "ssh build");
	is_str(d.host, "build", "the host");
	ok(d.user == NULL && d.port == 0, "no user, no port");
	sshdest_clear(&d);

	ok(parse(&d, ARGV("/usr/bin/ssh", "-v", "alice@Build.Example", "uptime",
	    "-p", "1")) == 0, "user@host and a command");
	is_str(d.host, "Build.Example", "the host as typed");
	is_str(d.user, "alice", "the user");
	is_int(d.port, 0, "-p in the command is the command's");
	sshdest_clear(&d);

	ok(parse(&d, ARGV("ssh", "-p2222", "-l", "bob", "-A", "a@b@host")) == 0,
	    "-p2222 -l bob, a user with an @");
	is_int(d.port, 2222, "-p joined to its value");
	is_str(d.user, "bob", "-l before user@ wins (first value)");
	is_str(d.host, "host", "the host after the last @");
	sshdest_clear(&d);

	ok(parse(&d, ARGV("ssh", "host", "-p", "2200", "-o", "User=carol",
	    "ls")) == 0, "options after the destination");
	is_int(d.port, 2200, "-p after the host");
	is_str(d.user, "carol", "-o User= after the host");
	sshdest_clear(&d);

	ok(parse(&d, ARGV("ssh", "--", "host", "-p", "2200")) == 0, "--");
	is_int(d.port, 0, "after --, options after the host are the command");
	sshdest_clear(&d);

	ok(parse(&d, ARGV("ssh", "-vvv", "-o", "Port 2022", "-oHostName=10.0.0.1",
	    "-o", "HostKeyAlias=\"alias\"", "-F", "/dev/null", "-J", "jump",
	    "-i", "key", "-L", "1:h:2", "host")) == 0, "a busy command line");
	is_int(d.port, 2022, "-o \"Port 2022\"");
	is_str(d.hostname, "10.0.0.1", "-oHostName=");
	is_str(d.hostkeyalias, "alias", "a quoted value");
	is_str(d.config, "/dev/null", "-F");
	is_str(d.host, "host", "the host after options with arguments");
	sshdest_clear(&d);

	ok(parse(&d, ARGV("ssh", "ssh://dave;fp=x@[::1]:2222/")) == 0,
	    "an ssh:// URI");
	is_str(d.user, "dave", "URI user, parameters dropped");
	is_str(d.host, "::1", "URI host in brackets");
	is_int(d.port, 2222, "URI port");
	sshdest_clear(&d);
	ok(parse(&d, ARGV("ssh", "-p", "1", "ssh://h:2")) == 0 && d.port == 1,
	    "-p before a URI wins");
	sshdest_clear(&d);


	ok(parse(&d, ARGV("ssh")) != 0, "no destination: refused");
	ok(parse(&d, ARGV("ssh", "-p")) != 0, "a missing argument: refused");
	ok(parse(&d, ARGV("ssh", "-Z", "host")) != 0, "an unknown option: refused");
	ok(parse(&d, ARGV("ssh", "@host")) != 0, "an empty user: refused");
	ok(parse(&d, ARGV("ssh", "user@")) != 0, "an empty host: refused");
	ok(parse(&d, ARGV("ssh", "ssh://host/path")) != 0, "a URI path: refused");
	ok(parse(&d, ARGV("ssh", "ssh://host:99999")) != 0, "a bad URI port: refused");
	ok(d.host == NULL && d.user == NULL, "a refused line leaves nothing");
	ok(sshdest_parse_argv("ssh\0host", 8, &d) == 0 &&
	    strcmp(d.host, "host") == 0, "a last argument without its NUL");
	sshdest_clear(&d);
	ok(sshdest_parse_argv("", 0, &d) != 0, "nothing: refused");

	ok(parse(&d, ARGV("ssh", "-p", "2222", "Build")) == 0, "lookup name");
	is_str(h = sshdest_lookup_host(&d, &port), "build", "the host, lower case");
	is_int(port, 2222, "with its port");
	free(h);
	sshdest_clear(&d);
}

static void
test_config(void)
{
	struct sshdest d;
	const char *cfg =
	    "# comment\n"
	    "Host other\n"
	    "  HostName wrong\n"
	    "Host b* !bad\n"
	    "  HostName %h.example.com\n"
	    "  Port=2200\n"
	    "  User alice\n"
	    "  UserKnownHostsFile ~/kh \"/a b/kh\" %d/x-%h-%p-%r-%u-%i-%n\n"
	    "Match host build\n"
	    "  Port 1\n"
	    "Host *\n"
	    "  Port 22\n"
	    "  HostName last\n"
	    "  GlobalKnownHostsFile none\n";
	char *h, *paths[16];
	size_t n, i;
	int port;

	ok(parse(&d, ARGV("ssh", "Build")) == 0, "ssh Build");
	ok(sshdest_read_config_buf(&d, cfg, strlen(cfg), "/home/u", 1, 0) == 0,
	    "a config read");
	is_str(d.hostname, "%h.example.com", "HostName from the first matching block");
	is_int(d.port, 2200, "Port= (first value wins over Host *)");
	is_str(d.user, "alice", "User");
	is_str(h = sshdest_lookup_host(&d, &port), "build.example.com",
	    "%%h expanded in the lookup name");
	is_int(port, 2200, "the port");
	free(h);
	n = sshdest_known_hosts(&d, "/home/u", "me", 1000, paths, 16);
	is_int(n, 3, "three UserKnownHostsFile, no global (none)");
	is_str(n > 0 ? paths[0] : NULL, "/home/u/kh", "~ expanded");
	is_str(n > 1 ? paths[1] : NULL, "/a b/kh", "a quoted path");
	is_str(n > 2 ? paths[2] : NULL,
	    "/home/u/x-build.example.com-2200-alice-me-1000-Build", "the tokens");
	for (i = 0; i < n; i++)
		free(paths[i]);
	sshdest_clear(&d);

	ok(parse(&d, ARGV("ssh", "bad")) == 0 && sshdest_read_config_buf(&d, cfg,
	    strlen(cfg), "/home/u", 1, 0) == 0, "ssh bad");
	is_str(d.hostname, "last", "a negated pattern rules a block out");
	is_int(d.port, 22, "Host * applies");
	sshdest_clear(&d);

	ok(parse(&d, ARGV("ssh", "-p", "7", "-o", "HostName=cmd", "b1")) == 0 &&
	    sshdest_read_config_buf(&d, cfg, strlen(cfg), "/home/u", 1, 0) == 0,
	    "command-line values first");
	ok(d.port == 7 && strcmp(d.hostname, "cmd") == 0,
	    "the command line wins over the config");
	n = sshdest_known_hosts(&d, "/home/u", "me", 0, paths, 2);
	is_int(n, 2, "at most max paths");
	for (i = 0; i < n; i++)
		free(paths[i]);
	sshdest_clear(&d);

	ok(parse(&d, ARGV("ssh", "plain")) == 0, "defaults");
	n = sshdest_known_hosts(&d, "/h", "me", 0, paths, 16);
	is_int(n, 4, "the four default files");
	is_str(paths[0], "/h/.ssh/known_hosts", "~/.ssh/known_hosts");
	is_str(paths[3], "/etc/ssh/ssh_known_hosts2", "/etc/ssh/ssh_known_hosts2");
	for (i = 0; i < n; i++)
		free(paths[i]);
	cfg = "Host plain\nUserKnownHostsFile %C\nHostKeyAlias Alias\n";
	ok(sshdest_read_config_buf(&d, cfg, strlen(cfg), "/h", 1, 0) == 0,
	    "an unknown token");
	n = sshdest_known_hosts(&d, "/h", "me", 0, paths, 16);
	is_int(n, 2, "a path with an unknown token is left out");
	for (i = 0; i < n; i++)
		free(paths[i]);
	is_str(h = sshdest_lookup_host(&d, &port), "alias", "HostKeyAlias is the lookup name");
	is_int(port, 0, "with no port");
	free(h);
	sshdest_clear(&d);
}

static void
test_include(void)
{
	char dir[] = "/tmp/test-sshdest.XXXXXX", path[128];
	struct sshdest d;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/.ssh", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.ssh/inc.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "Host inc\n  HostName included\nHost loop\n  Include inc.conf\n");
	fclose(f);
	snprintf(path, sizeof(path), "%s/.ssh/config", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "Include in*.conf\nHost loop\n  Include config\n");
	fclose(f);
	ok(parse(&d, ARGV("ssh", "inc")) == 0 &&
	    sshdest_read_config(&d, path, dir, 1) == 0, "Include");
	is_str(d.hostname, "included", "a value from an included file (glob, ~/.ssh)");
	sshdest_clear(&d);
	ok(parse(&d, ARGV("ssh", "loop")) == 0 &&
	    sshdest_read_config(&d, path, dir, 1) == 0,
	    "a file that includes itself ends (depth limit)");
	sshdest_clear(&d);
	ok(parse(&d, ARGV("ssh", "x")) == 0 &&
	    sshdest_read_config(&d, "/nonexistent/config", dir, 1) == 0 &&
	    d.hostname == NULL, "a missing file adds nothing");
	sshdest_clear(&d);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		abort();
}

int
main(void)
{
	test_argv();
	test_config();
	test_include();
	return tap_done();
}
