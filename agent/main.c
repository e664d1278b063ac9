/*
 * skagent: the command line of OpenSSH's ssh-agent, the socket, the
 * daemon's life and death.  The protocol lives in proto.c, the loop in
 * loop.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "keystore.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "options.h"
#include "p11.h"
#include "pincache.h"
#include "pool.h"
#include "record.h"
#include "secmem.h"
#include "status.h"
#include "token.h"
#include "tokens.h"

#ifndef SKAGENT_VERSION
#define SKAGENT_VERSION "0.1"
#endif
#define LISTEN_BACKLOG	128
#define POOL_TOKEN_THREADS 8	/* tokens (and their waits) in parallel */
#define OPT_TOKEN	1000
#define OPT_NOTIFY_CMD	1001
#define OPT_PIN_CACHE	1002
#define OPT_NO_RECORD	1003
#define OPT_RECORD_SIZE	1004
#define OPT_STATUS	1005
#define OPT_LOG		1006
#define OPT_JSON	1007
#define LOG_LINES_DEFAULT 20
#define MAX_TOKENS	16

struct agent_options opts = {
	.fp_hash = KEY_FP_SHA256,
	.restrict_websafe = 1,
};

volatile sig_atomic_t received_sigterm, received_sighup, received_sigusr1,
    received_sigchld;

static char socket_name[PATH_MAX];
static char socket_dir[PATH_MAX];
static int socket_activated;

static void
usage(FILE *f)
{
	fprintf(f,
"usage: skagent [-c | -s] [-Dd] [-a bind_address] [-E fingerprint_hash]\n"
"               [-O option] [-P allowed_providers] [-t life] [--token spec]\n"
"               [--notify-cmd cmd] [--pin-cache time] [--no-record]\n"
"               [--record-size size]\n"
"       skagent [-a bind_address] [-E fingerprint_hash] [-O option]\n"
"               [-P allowed_providers] [-t life] command [arg ...]\n"
"       skagent [-c | -s] -k\n"
"       skagent --status\n"
"       skagent --log [-n lines] [--json]\n"
"       skagent -V | --help\n"
"\n"
"  -a bind_address  listen on this UNIX socket path\n"
"  -c               print C-shell commands (setenv)\n"
"  -s               print Bourne shell commands (export)\n"
"  -D               stay in the foreground\n"
"  -d               debug mode: foreground, verbose log on stderr\n"
"  -E hash          fingerprint hash in logs: sha256 (default) or md5\n"
"  -k               kill the agent named by SSH_AGENT_PID\n"
"  -O option        allow-remote-pkcs11, no-restrict-websafe,\n"
"                   websafe-allow=PATTERNS, confirm-forwarded,\n"
"                   hide-absent (list no security-key key whose token\n"
"                   is absent)\n"
"  -P providers     allowed security-key provider paths (patterns)\n"
"  -t life          default lifetime of added keys (e.g. 3600, 1h30m)\n"
"  --token SPEC     also use this security key: unix:PATH (a software\n"
"                   token) or a hidraw device path; repeatable\n"
"  --notify-cmd CMD run CMD (/bin/sh -c) when a security key waits for a\n"
"                   touch and when the wait ends; details in SKAGENT_*\n"
"                   environment variables\n"
"  --pin-cache TIME remember a security key's PIN in locked memory for\n"
"                   TIME (e.g. 300, 5m) after it is typed; off by default\n"
"  --no-record      keep no signing record\n"
"  --record-size SIZE  start a new record file at SIZE (e.g. 1M, the\n"
"                   default); the old one is kept as .1\n"
"  --status         show the agent's security keys, PIN cache and last\n"
"                   signatures\n"
"  --log            show the signing record (-n lines, 20 by default;\n"
"                   --json: the raw JSON lines)\n"
"  -V               print the version and exit\n"
"  -h, --help       print this help and exit\n");
}

/* OpenSSH's convtime(): 90, 90s, 10m, 1h30m, 2d, 1w. */
static long
convtime(const char *s)
{
	long total = 0, n, mult;
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno != 0 || n < 0)
			return -1;
		switch (*end) {
		case '\0':
			mult = 1;
			break;
		case 's': case 'S':
			mult = 1;
			end++;
			break;
		case 'm': case 'M':
			mult = 60;
			end++;
			break;
		case 'h': case 'H':
			mult = 3600;
			end++;
			break;
		case 'd': case 'D':
			mult = 86400;
			end++;
			break;
		case 'w': case 'W':
			mult = 604800;
			end++;
			break;
		default:
			return -1;
		}
		if (n > (INT_MAX - total) / mult)
			return -1;
		total += n * mult;
		s = end;
	}
	return total;
}

/* A size in bytes, with K, M or G; 0 when invalid or under RECORD_MAX_MIN. */
static size_t
parse_size(const char *s)
{
	unsigned long long n, mult = 1;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-')
		return 0;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1024;
		end++;
		break;
	case 'm': case 'M':
		mult = 1024 * 1024;
		end++;
		break;
	case 'g': case 'G':
		mult = 1024 * 1024 * 1024;
		end++;
		break;
	default:
		return 0;
	}
	if (*end != '\0' || n > SIZE_MAX / mult || n * mult < RECORD_MAX_MIN)
		return 0;
	return (size_t)(n * mult);
}

/* A count 1..1000000, or 0. */
static size_t
parse_count(const char *s)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' ||
	    n > 1000000)
		return 0;
	return (size_t)n;
}

static void
cleanup_socket(void)
{
	if (socket_activated)
		return;
	if (socket_name[0] != '\0')
		unlink(socket_name);
	if (socket_dir[0] != '\0')
		rmdir(socket_dir);
}

static void
sig_handler(int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		received_sigterm = 1;
		break;
	case SIGHUP:
		received_sighup = 1;
		break;
	case SIGUSR1:
		received_sigusr1 = 1;
		break;
	case SIGCHLD:
		received_sigchld = 1;
		break;
	}
}

static void
set_signal(int sig, void (*h)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(sig, &sa, NULL);
}

/* A private directory for the socket: $XDG_RUNTIME_DIR or the temp dir. */
static int
make_socket_dir(pid_t ppid)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (base == NULL || *base != '/' || stat(base, &st) != 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077) != 0)
		base = NULL;
	if (base == NULL && ((base = getenv("TMPDIR")) == NULL || *base != '/'))
		base = "/tmp";
	if (snprintf(socket_dir, sizeof(socket_dir), "%s/skagent-XXXXXXXXXX",
	    base) >= (int)sizeof(socket_dir))
		return -1;
	if (mkdtemp(socket_dir) == NULL) {
		fprintf(stderr, "skagent: mkdtemp: %s: %s\n", socket_dir,
		    strerror(errno));
		socket_dir[0] = '\0';
		return -1;
	}
	if (snprintf(socket_name, sizeof(socket_name), "%s/agent.%ld",
	    socket_dir, (long)ppid) >= (int)sizeof(socket_name))
		return -1;
	return 0;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "skagent: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		perror("skagent: socket");
		return -1;
	}
	old = umask(0177);	/* the socket is the owner's alone */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		fprintf(stderr, "skagent: bind \"%s\": %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (listen(fd, LISTEN_BACKLOG) == -1) {
		perror("skagent: listen");
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* systemd socket activation: LISTEN_PID is us, the socket is fd 3. */
static int
activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int fd = 3;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid() ||
	    atoi(fds) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    sun.sun_family != AF_UNIX) {
		fprintf(stderr, "skagent: LISTEN_FDS: fd 3 is not a UNIX socket\n");
		return -1;
	}
	snprintf(socket_name, sizeof(socket_name), "%s", sun.sun_path);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	socket_activated = 1;
	return fd;
}

static void
harden(void)
{
	struct rlimit rl = { 0, 0 };

	/* no core dumps, no ptrace by the same user */
	setrlimit(RLIMIT_CORE, &rl);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		fprintf(stderr, "skagent: PR_SET_DUMPABLE: %s\n", strerror(errno));
	/* a setgid install must not keep the group */
	if (getegid() != getgid() && setgid(getgid()) != 0)
		fprintf(stderr, "skagent: setgid: %s\n", strerror(errno));
}

/* The lines eval "$(skagent -s)" reads, as ssh-agent prints them. */
static void
print_set(int csh, const char *name, const char *value)
{
	if (csh)
		printf("setenv %s %s;\n", name, value);
	else
		printf("%s=%s; export %s;\n", name, value, name);
}

static void
print_unset(int csh, const char *name)
{
	printf(csh ? "unsetenv %s;\n" : "unset %s;\n", name);
}

static int
devnull_stdio(void)
{
	int fd;

	if ((fd = open("/dev/null", O_RDWR)) == -1)
		return -1;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	return 0;
}

static void
token_log(void *arg, const char *msg)
{
	(void)arg;
	debug2("token: %s", msg);
}

static int
set_option(const char *o)
{
	if (strcmp(o, "allow-remote-pkcs11") == 0)
		opts.allow_remote_pkcs11 = 1;
	else if (strcmp(o, "no-restrict-websafe") == 0)
		opts.restrict_websafe = 0;
	else if (strncmp(o, "websafe-allow=", 14) == 0) {
		free(opts.websafe_allow);
		if ((opts.websafe_allow = strdup(o + 14)) == NULL)
			return -1;
	} else if (strcmp(o, "confirm-forwarded") == 0)
		opts.confirm_forwarded = 1;
	else if (strcmp(o, "hide-absent") == 0)
		opts.hide_absent = 1;
	else
		return -1;
	return 0;
}

/* What the command line asks for, beyond opts. */
struct args {
	int csh;			/* -c, or a csh-like $SHELL */
	int sh;				/* -s */
	int kill;			/* -k */
	int debug, foreground;		/* -d, -D */
	const char *socket;		/* -a */
	const char *token_specs[MAX_TOKENS];	/* --token */
	int ntokens;
	int status, log, json;		/* --status, --log, --json */
	size_t log_lines;		/* -n */
	char **command;			/* command [arg ...], or NULL */
};

/* 0: go on; else the exit status (after -h, -V or a usage error). */
static int
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "notify-cmd", required_argument, NULL, OPT_NOTIFY_CMD },
		{ "pin-cache", required_argument, NULL, OPT_PIN_CACHE },
		{ "no-record", no_argument, NULL, OPT_NO_RECORD },
		{ "record-size", required_argument, NULL, OPT_RECORD_SIZE },
		{ "status", no_argument, NULL, OPT_STATUS },
		{ "log", no_argument, NULL, OPT_LOG },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 }
	};
	const char *shell;
	size_t len;
	long life;
	int ch;

	memset(a, 0, sizeof(*a));
	a->log_lines = LOG_LINES_DEFAULT;
	while ((ch = getopt_long(argc, argv, "+cDdksE:a:O:P:t:n:Vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (a->sh) {
				usage(stderr);
				return 1;
			}
			a->csh = 1;
			break;
		case 's':
			if (a->csh) {
				usage(stderr);
				return 1;
			}
			a->sh = 1;
			break;
		case 'k':
			a->kill = 1;
			break;
		case 'd':
		case 'D':
			if (a->debug || a->foreground) {
				usage(stderr);
				return 1;
			}
			if (ch == 'd')
				a->debug = 1;
			a->foreground = 1;
			break;
		case 'E':
			if (strcasecmp(optarg, "sha256") == 0)
				opts.fp_hash = KEY_FP_SHA256;
			else if (strcasecmp(optarg, "md5") == 0)
				opts.fp_hash = KEY_FP_MD5;
			else {
				fprintf(stderr, "skagent: invalid hash algorithm "
				    "\"%s\"\n", optarg);
				return 1;
			}
			break;
		case 'a':
			a->socket = optarg;
			break;
		case 'O':
			if (set_option(optarg) != 0) {
				fprintf(stderr, "skagent: unknown -O option \"%s\"\n",
				    optarg);
				return 1;
			}
			break;
		case 'P':
			if (opts.provider_allowlist != NULL) {
				fprintf(stderr, "skagent: -P given twice\n");
				return 1;
			}
			opts.provider_allowlist = optarg;
			break;
		case 't':
			if ((life = convtime(optarg)) == -1) {
				fprintf(stderr, "skagent: invalid lifetime \"%s\"\n",
				    optarg);
				usage(stderr);
				return 1;
			}
			opts.default_life = (unsigned int)life;
			break;
		case OPT_TOKEN:
			if (a->ntokens == MAX_TOKENS) {
				fprintf(stderr, "skagent: at most %d --token\n",
				    MAX_TOKENS);
				return 1;
			}
			if (token_spec_check(optarg) != 0) {
				fprintf(stderr, "skagent: --token %s: expected "
				    "%s\n", optarg, token_spec_forms());
				return 1;
			}
			a->token_specs[a->ntokens++] = optarg;
			break;
		case OPT_NOTIFY_CMD:
			opts.notify_cmd = optarg;
			break;
		case OPT_PIN_CACHE:
			if ((life = convtime(optarg)) == -1) {
				fprintf(stderr, "skagent: invalid --pin-cache "
				    "time \"%s\"\n", optarg);
				return 1;
			}
			opts.pin_cache = (unsigned int)life;
			break;
		case OPT_NO_RECORD:
			opts.no_record = 1;
			break;
		case OPT_RECORD_SIZE:
			if ((opts.record_max = parse_size(optarg)) == 0) {
				fprintf(stderr, "skagent: invalid --record-size "
				    "\"%s\" (at least %d bytes)\n", optarg,
				    RECORD_MAX_MIN);
				return 1;
			}
			break;
		case OPT_STATUS:
			a->status = 1;
			break;
		case OPT_LOG:
			a->log = 1;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case 'n':
			if ((a->log_lines = parse_count(optarg)) == 0) {
				fprintf(stderr, "skagent: invalid -n \"%s\"\n",
				    optarg);
				return 1;
			}
			break;
		case 'V':
			printf("skagent %s\n", SKAGENT_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if ((a->status || a->log) && (argc > 0 || (a->status && a->log))) {
		usage(stderr);
		return 1;
	}
	if (argc > 0 && (a->csh || a->kill || a->sh || a->foreground)) {
		usage(stderr);
		return 1;
	}
	if (argc > 0)
		a->command = argv;
	else if (!a->csh && !a->sh && (shell = getenv("SHELL")) != NULL &&
	    (len = strlen(shell)) > 2 && strcmp(shell + len - 3, "csh") == 0)
		a->csh = 1;
	return 0;
}

/* -k: the agent named by SSH_AGENT_PID. */
static int
kill_agent(int csh)
{
	const char *pidstr;
	char *end;
	long kp;

	if ((pidstr = getenv("SSH_AGENT_PID")) == NULL) {
		fprintf(stderr, "SSH_AGENT_PID not set, cannot kill agent\n");
		return 1;
	}
	errno = 0;
	kp = strtol(pidstr, &end, 10);
	if (errno != 0 || *end != '\0' || kp < 2 || kp > INT_MAX) {
		fprintf(stderr, "SSH_AGENT_PID=\"%s\", which is not a "
		    "good PID\n", pidstr);
		return 1;
	}
	if (kill((pid_t)kp, SIGTERM) == -1) {
		perror("kill");
		return 1;
	}
	print_unset(csh, "SSH_AUTH_SOCK");
	print_unset(csh, "SSH_AGENT_PID");
	printf("echo Agent pid %ld killed;\n", kp);
	return 0;
}

/* The listening socket: systemd's, -a's, or one in a private directory. */
static int
open_socket(const struct args *a, pid_t ppid)
{
	int fd;

	if (a->socket == NULL && (fd = activated_socket()) != -1)
		return fd;
	if (a->socket == NULL) {
		if (make_socket_dir(ppid) != 0)
			return -1;
	} else if (snprintf(socket_name, sizeof(socket_name), "%s",
	    a->socket) >= (int)sizeof(socket_name)) {
		fprintf(stderr, "skagent: socket path too long\n");
		return -1;
	}
	if ((fd = listen_unix(socket_name)) == -1)
		cleanup_socket();
	return fd;
}

/*
 * Prints the environment and goes into the background (the parent exits
 * or runs the command), or stays in the foreground with -d/-D.  Returns in
 * the agent with *parent_pidp the process to outlive (0: none); -1 when
 * the fork failed; the parent never returns.
 */
static int
daemonize(const struct args *a, int fd, pid_t *parent_pidp)
{
	char pidbuf[32];
	pid_t pid, parent = getpid();

	*parent_pidp = 0;
	if (a->foreground) {
		opts.foreground = 1;
		opts.debug = a->debug;
		log_init("skagent", 1, a->debug ? LOG_LEVEL_DEBUG2 :
		    LOG_LEVEL_INFO);
		print_set(a->csh, "SSH_AUTH_SOCK", socket_name);
		printf("echo Agent pid %ld;\n", (long)getpid());
		fflush(stdout);
		return 0;
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		perror("fork");
		return -1;
	}
	if (pid != 0) {
		/* parent: print the environment, or run the command */
		close(fd);
		snprintf(pidbuf, sizeof(pidbuf), "%ld", (long)pid);
		if (a->command == NULL) {
			print_set(a->csh, "SSH_AUTH_SOCK", socket_name);
			print_set(a->csh, "SSH_AGENT_PID", pidbuf);
			printf("echo Agent pid %ld;\n", (long)pid);
			exit(0);
		}
		if (setenv("SSH_AUTH_SOCK", socket_name, 1) == -1 ||
		    setenv("SSH_AGENT_PID", pidbuf, 1) == -1) {
			perror("setenv");
			exit(1);
		}
		execvp(a->command[0], a->command);
		perror(a->command[0]);
		exit(1);
	}
	/* child: the agent; in command mode it leaves with the command */
	if (a->command != NULL && (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 ||
	    getppid() != parent))
		_exit(2);
	log_init("skagent", 0, LOG_LEVEL_INFO);
	if (setsid() == -1)
		error("setsid: %s", strerror(errno));
	if (chdir("/") != 0)
		error("chdir /: %s", strerror(errno));
	devnull_stdio();
	if (a->command != NULL)
		*parent_pidp = parent;
	return 0;
}

/* The loop's signals set flags (SIGINT only in the foreground). */
static void
set_signals(void)
{
	sigset_t set;
	int sig;

	set_signal(SIGPIPE, SIG_IGN);
	loop_signals(&set);
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(&set, sig) == 1)
			set_signal(sig, sig == SIGINT && !opts.foreground ?
			    SIG_IGN : sig_handler);
}

/* The agent's state and threads; -1 when it cannot run. */
static int
init(const struct args *a)
{
	sigset_t set, old;
	char *dir;
	int i, nthreads, r = -1;

	/* workers inherit a mask that blocks the loop's signals */
	loop_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	if (keystore_init() != 0) {
		error("out of memory");
		goto out;
	}
	if (token_ctx_new(&agent_tokens) != 0) {
		error("cannot set up the security-key layer");
		goto out;
	}
	token_ctx_set_log(agent_tokens, token_log, NULL);
	for (i = 0; i < a->ntokens; i++)
		if (token_ctx_add_device(agent_tokens, a->token_specs[i]) != 0)
			error("--token %s: ignored", a->token_specs[i]);
	nthreads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (pool_init(nthreads < 2 ? 2 : nthreads, POOL_TOKEN_THREADS) != 0) {
		error("cannot start worker threads");
		goto out;
	}
	r = 0;
 out:
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return r;
	logit("listening on %s", socket_name);
	notice_set_cmd(opts.notify_cmd);
	pincache_init(opts.pin_cache);
	if (!opts.no_record) {
		if ((dir = record_dir()) == NULL)
			error("no HOME or XDG_STATE_HOME: the signing record is "
			    "kept in memory only");
		record_init(dir != NULL ? dir : "", opts.record_max != 0 ?
		    opts.record_max : RECORD_MAX_DEFAULT);
		free(dir);
	}
	return 0;
}

/* Serves until a signal (or the parent's exit); the exit status. */
static int
run(int fd, pid_t parent_pid)
{
	if (loop_run(fd, parent_pid) != 0)
		return 1;
	if (received_sigterm || received_sighup)
		return socket_activated && received_sigterm ? 0 : 2;
	return 0;
}

/* Everything stopped and wiped, in order. */
static void
shutdown_agent(int fd)
{
	close(fd);
	cleanup_socket();
	pool_shutdown();
	pool_complete();	/* finished jobs drop their keys, to be wiped */
	record_shutdown();
	pincache_shutdown();
	sk_shutdown();
	p11_module_close_all();	/* the helpers finalize their modules and exit */
	keystore_wipe();
	token_ctx_free(agent_tokens);
	logit("exiting");
}

int
main(int argc, char **argv)
{
	struct args a;
	pid_t parent_pid;
	int fd, r;

	harden();
	if ((r = parse_args(argc, argv, &a)) != 0)
		return r;
	if (a.status)
		return view_status();
	if (a.log)
		return view_log(a.log_lines, a.json);
	if (a.kill)
		return kill_agent(a.csh);
	if (sodium_init() < 0 || secmem_init(0) != 0) {
		fprintf(stderr, "skagent: cannot initialise libsodium\n");
		return 1;
	}
	if ((fd = open_socket(&a, getpid())) == -1)
		return 1;
	if (daemonize(&a, fd, &parent_pid) != 0) {
		cleanup_socket();
		return 1;
	}
	set_signals();
	if (init(&a) != 0) {
		cleanup_socket();
		return 1;
	}
	r = run(fd, parent_pid);
	shutdown_agent(fd);
	return r;
}
