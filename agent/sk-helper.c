/*
 * skagent-sk-helper: one call of a SecurityKeyProvider library for skagent,
 * in a process of its own, so that the library (someone else's code, that
 * talks to hardware and may hang, crash or leak) never runs in the agent.
 * Reads one request frame on stdin, dlopen()s the provider, checks its API
 * version as OpenSSH does, calls sk_sign(), writes one reply frame on
 * stdout and exits.  The messages are in lib/skhelper-msg.h.
 *
 * One-shot, like OpenSSH's ssh-sk-helper: a provider that crashes or
 * hangs takes one request with it (the agent kills a helper whose client
 * left), and no PIN or provider state outlives its signature.  A spawn
 * and a dlopen cost a few milliseconds, next to a touch.
 *
 * Exit status: 0 when a reply was written, whatever its status; 1 when
 * none could be; 2 when not run by skagent.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include "misc.h"
#include "sk-api.h"
#include "skhelper-msg.h"
#include "sshbuf.h"

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
logmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("skagent-sk-helper: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* All of fd up to EOF; more than one frame's worth is an error. */
static void
free_response(struct sk_sign_response *resp)
{
	if (resp == NULL)
		return;
	if (resp->sig_r != NULL) {
		sodium_memzero(resp->sig_r, resp->sig_r_len);
		free(resp->sig_r);
	}
	if (resp->sig_s != NULL) {
		sodium_memzero(resp->sig_s, resp->sig_s_len);
		free(resp->sig_s);
	}
	free(resp);
}

/* Loads the provider and signs; *respp is the provider's (caller frees). */
static uint32_t
provider_sign(const struct skhelper_sign_req *req,
    struct sk_sign_response **respp)
{
	static char device_name[] = "device";
	struct sk_option dev, *opts[2] = { NULL, NULL };
	sk_api_version_fn *version;
	sk_sign_fn *sign;
	struct sk_sign_response *resp;
	uint32_t v;
	void *dl;
	int r;

	*respp = NULL;
	if ((dl = dlopen(req->provider, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		logmsg("provider \"%s\": %s", req->provider, dlerror());
		return SKHELPER_ERR_PROVIDER;
	}
	if ((version = (sk_api_version_fn *)dlsym(dl, "sk_api_version")) == NULL ||
	    (sign = (sk_sign_fn *)dlsym(dl, "sk_sign")) == NULL) {
		logmsg("provider \"%s\" is not an OpenSSH security key "
		    "provider: %s", req->provider, dlerror());
		return SKHELPER_ERR_PROVIDER;
	}
	if (((v = version()) & SSH_SK_VERSION_MAJOR_MASK) != SSH_SK_VERSION_MAJOR) {
		logmsg("provider \"%s\" implements unsupported version 0x%08lx "
		    "(supported: 0x%08lx)", req->provider, (unsigned long)v,
		    (unsigned long)SSH_SK_VERSION_MAJOR);
		return SKHELPER_ERR_PROVIDER;
	}
	if (req->device != NULL) {
		dev.name = device_name;
		dev.value = req->device;
		dev.required = 0;
		opts[0] = &dev;
	}
	resp = NULL;
	r = sign(req->alg == SKHELPER_ALG_ED25519 ? SSH_SK_ED25519 :
	    SSH_SK_ECDSA, req->data, req->dlen, req->application,
	    req->key_handle, req->khlen, req->flags, req->pin, opts, &resp);
	if (r != 0) {
		free_response(resp);
		logmsg("provider \"%s\": sk_sign failed (%d)", req->provider, r);
		return skhelper_status_from_sk(r);
	}
	if (resp == NULL || resp->sig_r == NULL || resp->sig_r_len == 0 ||
	    resp->sig_r_len > SKHELPER_SIG_MAX ||
	    resp->sig_s_len > SKHELPER_SIG_MAX ||
	    (resp->sig_s == NULL && resp->sig_s_len != 0) ||
	    (req->alg == SKHELPER_ALG_ECDSA && resp->sig_s_len == 0)) {
		free_response(resp);
		logmsg("provider \"%s\": malformed sk_sign response",
		    req->provider);
		return SKHELPER_ERR_RESPONSE;
	}
	*respp = resp;
	return SKHELPER_OK;
	/* dl stays loaded: the process ends here */
}

int
main(int argc, char **argv)
{
	struct skhelper_sign_req *req = NULL;
	struct skhelper_sign_reply rep;
	struct sk_sign_response *resp = NULL;
	struct sshbuf *in = NULL, *out = NULL;
	struct rlimit rl = { 0, 0 };
	sigset_t none;
	int outfd, nullfd, r, ret = 1;

	if (argc > 1 || isatty(STDIN_FILENO)) {
		fprintf(stderr, "usage: %s < request > reply\n"
		    "skagent runs this to call security key providers; "
		    "see lib/skhelper-msg.h.\n", argv[0]);
		return 2;
	}
	/* killable whatever the parent blocked or ignored */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	/* a PIN passes through here: no core, no ptrace by others */
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* the reply gets its own fd; whatever a provider prints goes to stderr */
	if ((outfd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    dup2(STDERR_FILENO, STDOUT_FILENO) == -1) {
		logmsg("cannot set up stdout: %s", strerror(errno));
		return 1;
	}
	memset(&rep, 0, sizeof(rep));
	if ((out = sshbuf_new()) == NULL) {
		logmsg("out of memory");
		goto out;
	}
	if ((r = read_fd(STDIN_FILENO, 4 + SKHELPER_MSG_MAX, &in)) != 0 ||
	    (r = skhelper_get_sign_req(sshbuf_ptr(in), sshbuf_len(in),
	    &req)) != 0) {
		logmsg("bad request: %s", ska_err(r));
		rep.status = SKHELPER_ERR_REQUEST;
	}
	sshbuf_free(in);
	in = NULL;
	if ((nullfd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(nullfd, STDIN_FILENO);
		if (nullfd != STDIN_FILENO)
			close(nullfd);
	}
	if (req != NULL &&
	    (rep.status = provider_sign(req, &resp)) == SKHELPER_OK) {
		rep.flags = resp->flags;
		rep.counter = resp->counter;
		rep.sig_r = resp->sig_r;
		rep.rlen = resp->sig_r_len;
		rep.sig_s = resp->sig_s;
		rep.slen = resp->sig_s_len;
	}
	if ((r = skhelper_put_sign_reply(&rep, out)) != 0) {
		logmsg("cannot compose the reply: %s", ska_err(r));
		goto out;
	}
	if (write_all(outfd, sshbuf_ptr(out), sshbuf_len(out)) != 0) {
		logmsg("cannot write the reply: %s", strerror(errno));
		goto out;
	}
	ret = 0;
 out:
	free_response(resp);
	skhelper_sign_req_free(req);
	sshbuf_free(in);
	sshbuf_free(out);
	return ret;
}
