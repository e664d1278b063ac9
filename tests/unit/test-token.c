/*
 * The token layer (lib/token-*.c, lib/sk.c) against software tokens: this
 * test starts tests/softtoken/softtoken processes on sockets in a temporary
 * directory and drives them through libfido2, as the agent would.  Every
 * signature is checked with key_verify on the ssh signature built from
 * it.  PINs are set and non-ssh credentials made with libfido2 directly
 * (tests/unix-io.h), not with the code under test.  Every wait is
 * bounded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fido.h>

#include "err.h"
#include "key.h"
#include "secmem.h"
#include "sk.h"
#include "sshbuf.h"
#include "tap.h"
#include "token.h"
#include "unix-io.h"

static char tmpdir[256];
static char bin[512];
static int bad_exits;

/* ---------------------------------------------------------------- utils */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ------------------------------------------------------ the softtoken */

struct tok {
	pid_t pid;
	char sock[300];
	char spec[310];
	char log[300];
	char state[300];
};

/* Starts softtoken NAME (state file NAME.state) with extra args. */
static int
tok_start(struct tok *t, const char *name, const char **extra)
{
	const char *av[32];
	char *cav[32];
	int i = 0, fd;
	long long until;

	t->pid = 0;
	snprintf(t->sock, sizeof(t->sock), "%s/%s.sock", tmpdir, name);
	snprintf(t->spec, sizeof(t->spec), "unix:%s", t->sock);
	snprintf(t->log, sizeof(t->log), "%s/%s.log", tmpdir, name);
	snprintf(t->state, sizeof(t->state), "%s/%s.state", tmpdir, name);
	av[i++] = bin;
	av[i++] = "--socket";
	av[i++] = t->sock;
	av[i++] = "--state";
	av[i++] = t->state;
	while (extra != NULL && *extra != NULL && i < 30)
		av[i++] = *extra++;
	av[i] = NULL;
	if ((t->pid = fork()) == -1)
		return -1;
	if (t->pid == 0) {
		if ((fd = open(t->log, O_WRONLY | O_CREAT | O_APPEND, 0600)) !=
		    -1)
			dup2(fd, 2);
		for (i = 0; av[i] != NULL; i++)
			cav[i] = strdup(av[i]);
		cav[i] = NULL;
		execv(bin, cav);
		_exit(127);
	}
	for (until = now_ms() + 5000; now_ms() < until; sleep_ms(5)) {
		if ((fd = test_unix_connect(t->sock)) != -1) {
			close(fd);
			return 0;
		}
		if (waitpid(t->pid, NULL, WNOHANG) == t->pid) {
			t->pid = 0;
			return -1;
		}
	}
	return -1;
}

static int
tok_stop(struct tok *t)
{
	long long until;
	int st;

	if (t->pid <= 0)
		return -1;
	kill(t->pid, SIGTERM);
	for (until = now_ms() + 5000; now_ms() < until; sleep_ms(5))
		if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
			t->pid = 0;
			st = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
			if (st != 0) {
				tap_diag("%s: exit status %d (see %s)", t->sock,
				    st, t->log);
				bad_exits++;
			}
			return st;
		}
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	t->pid = 0;
	bad_exits++;
	return -1;
}

static void
tok_kill(struct tok *t)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	t->pid = 0;
}

/* ------------------------- libfido2 directly (not the code under test) */

static fido_dev_t *
raw_open(const struct tok *t)
{
	return test_unix_dev_open(t->spec, NULL, 5000, NULL);
}

static int
raw_set_pin(const struct tok *t, const char *pin, const char *old)
{
	fido_dev_t *d;
	int r;

	if ((d = raw_open(t)) == NULL)
		return -1;
	r = fido_dev_set_pin(d, pin, old);
	fido_dev_close(d);
	fido_dev_free(&d);
	return r;
}

/* A resident credential for a non-ssh relying party. */
static int
raw_make_rk(const struct tok *t, const char *rp, const char *pin)
{
	static const unsigned char cdh[32], uid[16] = "web-user";
	fido_dev_t *d;
	fido_cred_t *c = NULL;
	int r = -1;

	if ((d = raw_open(t)) == NULL)
		return -1;
	if ((c = fido_cred_new()) != NULL &&
	    fido_cred_set_type(c, COSE_ES256) == FIDO_OK &&
	    fido_cred_set_clientdata_hash(c, cdh, sizeof(cdh)) == FIDO_OK &&
	    fido_cred_set_rp(c, rp, NULL) == FIDO_OK &&
	    fido_cred_set_user(c, uid, sizeof(uid), "web", NULL, NULL) ==
	    FIDO_OK &&
	    fido_cred_set_rk(c, FIDO_OPT_TRUE) == FIDO_OK)
		r = fido_dev_make_cred(d, c, pin);
	fido_cred_free(&c);
	fido_dev_close(d);
	fido_dev_free(&d);
	return r;
}

/* --------------------------------------------------------- helpers */

struct events {
	atomic_int touch;
	atomic_int select;
};

static void
notify(void *arg, enum token_event ev, const char *token)
{
	struct events *e = arg;

	(void)token;
	if (ev == TOKEN_EVENT_TOUCH)
		atomic_fetch_add(&e->touch, 1);
	else if (ev == TOKEN_EVENT_SELECT)
		atomic_fetch_add(&e->select, 1);
}

static struct token_ctx *
ctx_with(const struct tok *a, const struct tok *b)
{
	struct token_ctx *ctx = NULL;

	if (token_ctx_new(&ctx) != 0)
		return NULL;
	token_ctx_set_discovery(ctx, 0);	/* never a real key in tests */
	if ((a != NULL && token_ctx_add_device(ctx, a->spec) != 0) ||
	    (b != NULL && token_ctx_add_device(ctx, b->spec) != 0)) {
		token_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

static const uint8_t msg[] = "SSH userauth request, more or less";

/* Signs msg with k; 0 when the ssh signature verifies (flags/counter out). */
static int
sign_verify(struct token_ctx *ctx, struct token_req *req,
    const struct key *k, uint8_t *flagsp, uint32_t *counterp)
{
	struct sshbuf *sig = sshbuf_new();
	struct key *pub = NULL;
	int r;

	if (sig == NULL)
		return SKA_ERR_ALLOC_FAIL;
	if ((r = sk_sign_key(ctx, req, k, msg, sizeof(msg), sig)) != 0)
		goto out;
	/* the public half alone, as a server has it */
	if ((r = key_public_copy(k, &pub)) != 0 ||
	    (r = key_verify(pub, sshbuf_ptr(sig), sshbuf_len(sig), msg,
	    sizeof(msg), NULL)) != 0)
		goto out;
	if (key_verify(pub, sshbuf_ptr(sig), sshbuf_len(sig), msg,
	    sizeof(msg) - 1, NULL) == 0) {
		r = SKA_ERR_INTERNAL;	/* verified the wrong message */
		goto out;
	}
	if (flagsp != NULL &&
	    (r = key_sk_signature_parse(sshbuf_ptr(sig), sshbuf_len(sig),
	    flagsp, counterp)) != 0)
		goto out;
 out:
	key_free(pub);
	sshbuf_free(sig);
	return r;
}

static struct key *
enroll(struct token_ctx *ctx, const struct tok *t, enum key_type type,
    const char *app, const char *user, uint8_t flags, const char *pin)
{
	struct token_req req;
	struct key *k = NULL;
	int r;

	memset(&req, 0, sizeof(req));
	req.device = t != NULL ? t->spec : NULL;
	req.pin = pin;
	if ((r = sk_enroll_key(ctx, &req, type, app, user, flags, NULL, 0, &k,
	    NULL)) != 0)
		tap_diag("enroll on %s: %s", t != NULL ? t->spec : "any",
		    ska_err(r));
	return k;
}

/* ------------------------------------------------------------ tests */

static void
test_errors(void)
{
	struct token_req req;
	char buf[128];

	is_int(token_err_from_fido(FIDO_OK), 0, "FIDO_OK -> 0");
	is_int(token_err_from_fido(FIDO_ERR_NO_CREDENTIALS),
	    SKA_ERR_TOKEN_NOT_FOUND, "NO_CREDENTIALS -> TOKEN_NOT_FOUND");
	is_int(token_err_from_fido(FIDO_ERR_OPERATION_DENIED),
	    SKA_ERR_TOUCH_REFUSED, "OPERATION_DENIED -> TOUCH_REFUSED");
	is_int(token_err_from_fido(FIDO_ERR_ACTION_TIMEOUT),
	    SKA_ERR_TOUCH_TIMEOUT, "ACTION_TIMEOUT -> TOUCH_TIMEOUT");
	is_int(token_err_from_fido(FIDO_ERR_USER_ACTION_TIMEOUT),
	    SKA_ERR_TOUCH_TIMEOUT, "USER_ACTION_TIMEOUT -> TOUCH_TIMEOUT");
	is_int(token_err_from_fido(FIDO_ERR_PIN_INVALID), SKA_ERR_PIN_INVALID,
	    "PIN_INVALID");
	is_int(token_err_from_fido(FIDO_ERR_PIN_AUTH_BLOCKED),
	    SKA_ERR_PIN_AUTH_BLOCKED, "PIN_AUTH_BLOCKED");
	is_int(token_err_from_fido(FIDO_ERR_PIN_BLOCKED), SKA_ERR_PIN_BLOCKED,
	    "PIN_BLOCKED");
	is_int(token_err_from_fido(FIDO_ERR_PIN_POLICY_VIOLATION),
	    SKA_ERR_PIN_POLICY, "PIN_POLICY_VIOLATION -> PIN_POLICY");
	is_int(token_err_from_fido(FIDO_ERR_KEEPALIVE_CANCEL),
	    SKA_ERR_CANCELLED, "KEEPALIVE_CANCEL -> CANCELLED");
	is_int(token_err_from_fido(FIDO_ERR_CREDENTIAL_EXCLUDED),
	    SKA_ERR_CREDENTIAL_EXISTS, "CREDENTIAL_EXCLUDED -> "
	    "CREDENTIAL_EXISTS");
	is_int(token_err_from_fido(FIDO_ERR_UNSUPPORTED_ALGORITHM),
	    SKA_ERR_TOKEN_UNSUPPORTED, "UNSUPPORTED_ALGORITHM -> "
	    "TOKEN_UNSUPPORTED");
	is_int(token_err_from_fido(FIDO_ERR_RX), SKA_ERR_TOKEN_IO,
	    "RX -> TOKEN_IO (without context)");
	is_int(token_err_from_fido(FIDO_ERR_KEY_STORE_FULL), SKA_ERR_TOKEN,
	    "anything else -> TOKEN");
	memset(&req, 0, sizeof(req));
	req.pin_retries = 5;
	is_str(token_strerror(SKA_ERR_PIN_INVALID, &req, buf, sizeof(buf)),
	    "wrong PIN, 5 tries left", "token_strerror: retries");
	req.pin_retries = 1;
	is_str(token_strerror(SKA_ERR_PIN_INVALID, &req, buf, sizeof(buf)),
	    "wrong PIN, 1 try left", "token_strerror: one try");
	req.pin_retries = -1;
	is_str(token_strerror(SKA_ERR_PIN_INVALID, &req, buf, sizeof(buf)),
	    "wrong PIN", "token_strerror: retries unknown");
	is_str(token_strerror(SKA_ERR_TOUCH_REFUSED, NULL, buf, sizeof(buf)),
	    "touch refused", "token_strerror: other errors as ska_err");
}

static void
test_no_token(void)
{
	struct token_ctx *ctx = NULL;
	struct token_info *ti = NULL;
	struct token_cred *tc = NULL;
	struct token_sig *ts = NULL;
	size_t n = 99;
	char spec[400];
	static const uint8_t kh[16] = "some key handle";

	ok(token_ctx_new(&ctx) == 0, "context with hidraw discovery on");
	is_int(token_list(ctx, &ti, &n), 0, "token_list with no hidraw device");
	/* a machine with a real key plugged in would list it: fine */
	tap_diag("%zu hidraw security key(s) here", n);
	token_info_free(ti, n);
	ti = NULL;
	if (n == 0) {
		is_int(token_sign(ctx, NULL, TOKEN_EDDSA, "ssh:", kh,
		    sizeof(kh), msg, sizeof(msg), TOKEN_UP, &ts),
		    SKA_ERR_NO_TOKEN, "sign with no token: NO_TOKEN");
		is_int(token_enroll(ctx, NULL, TOKEN_EDDSA, "ssh:", NULL, 0,
		    NULL, 0, 0, &tc), SKA_ERR_NO_TOKEN,
		    "enroll with no token: NO_TOKEN");
	} else
		tap_skip(2, "a real security key is present");
	is_int(token_ctx_add_device(ctx, "hidraw3"), SKA_ERR_INVALID_ARGUMENT,
	    "relative device path refused");
	is_int(token_ctx_add_device(ctx, "unix:"), SKA_ERR_INVALID_ARGUMENT,
	    "empty unix: path refused");
	memset(spec, 'a', sizeof(spec));
	memcpy(spec, "unix:/", 6);
	spec[sizeof(spec) - 1] = '\0';
	is_int(token_ctx_add_device(ctx, spec), SKA_ERR_INVALID_ARGUMENT,
	    "over-long unix: path refused");
	snprintf(spec, sizeof(spec), "unix:%s/nobody.sock", tmpdir);
	is_int(token_ctx_add_device(ctx, spec), 0, "configure an absent token");
	token_ctx_set_discovery(ctx, 0);
	is_int(token_sign(ctx, NULL, TOKEN_EDDSA, "ssh:", kh, sizeof(kh), msg,
	    sizeof(msg), TOKEN_UP, &ts), SKA_ERR_NO_TOKEN,
	    "sign with only an absent token: NO_TOKEN");
	ok(token_list(ctx, &ti, &n) == 0 && n == 1 && !ti[0].present,
	    "token_list shows it absent");
	token_info_free(ti, n);
	ok(ts == NULL && tc == NULL, "nothing returned on failure");
	token_ctx_free(ctx);
}

/* Specs and nodes (token_spec_check, token_node), known without I/O. */
static void
test_specs(void)
{
	struct token_node a, b;
	struct tok t;
	char spec[400];
	int fd;

	is_int(token_spec_check("unix:/run/tok.sock"), 0, "unix:PATH is a spec");
	is_int(token_spec_check("/dev/hidraw3"), 0, "a device path is a spec");
	is_int(token_spec_check("hidraw3"), SKA_ERR_INVALID_ARGUMENT,
	    "a relative device path is not");
	is_int(token_spec_check("unix:"), SKA_ERR_INVALID_ARGUMENT,
	    "nor unix: without a path");
	is_int(token_spec_check(""), SKA_ERR_INVALID_ARGUMENT, "nor \"\"");
	memset(spec, 'a', sizeof(spec));
	memcpy(spec, "/dev/", 5);
	spec[TOKEN_SPEC_MAX] = '\0';
	is_int(token_spec_check(spec), SKA_ERR_INVALID_ARGUMENT,
	    "nor a spec of TOKEN_SPEC_MAX bytes");
	ok(strstr(token_spec_forms(), "unix:PATH") != NULL &&
	    strstr(token_spec_forms(), "device path") != NULL,
	    "token_spec_forms: %s", token_spec_forms());

	if (tok_start(&t, "node", NULL) != 0) {
		tap_skip(6, "softtoken did not start");
		return;
	}
	is_int(token_node(t.spec, &a), 0, "token_node: the socket is there");
	is_int(token_node(t.sock, &b), SKA_ERR_NO_TOKEN,
	    "the socket is no device node");
	is_int(token_node(t.spec, &b) == 0 && token_node_same(&a, &b), 1,
	    "the same node while the token stays");
	tok_stop(&t);
	is_int(token_node(t.spec, &b), SKA_ERR_NO_TOKEN,
	    "token_node: gone with the token");
	if (tok_start(&t, "node", NULL) != 0) {
		tap_skip(1, "softtoken did not start again");
		return;
	}
	is_int(token_node(t.spec, &b) == 0 && !token_node_same(&a, &b), 1,
	    "a token started again is a new node");
	tok_stop(&t);
	snprintf(spec, sizeof(spec), "unix:%s/file", tmpdir);
	if ((fd = open(spec + 5, O_WRONLY | O_CREAT, 0600)) != -1)
		close(fd);
	is_int(token_node(spec, &b), SKA_ERR_NO_TOKEN,
	    "a file is no token's socket");
}

static void
test_enroll_sign(void)
{
	static const struct {
		enum key_type type;
		uint8_t flags;
		int prot;
		const char *what;
	} cases[] = {
		{ KEY_ED25519_SK, KEY_SK_USER_PRESENCE_REQD, 0, "ed25519-sk" },
		{ KEY_ECDSA_SK, KEY_SK_USER_PRESENCE_REQD, 0, "ecdsa-sk" },
		{ KEY_ED25519_SK, KEY_SK_USER_PRESENCE_REQD |
		    KEY_SK_RESIDENT_KEY, 2, "ed25519-sk resident" },
		{ KEY_ECDSA_SK, KEY_SK_USER_PRESENCE_REQD |
		    KEY_SK_RESIDENT_KEY, 2, "ecdsa-sk resident" },
		{ KEY_ED25519_SK, KEY_SK_USER_PRESENCE_REQD |
		    KEY_SK_USER_VERIFICATION_REQD, 3,
		    "ed25519-sk verify-required" },
		{ KEY_ECDSA_SK, KEY_SK_USER_PRESENCE_REQD |
		    KEY_SK_USER_VERIFICATION_REQD, 3,
		    "ecdsa-sk verify-required" },
		{ KEY_ED25519_SK, 0, 0, "ed25519-sk no-touch-required" },
		{ KEY_ECDSA_SK, 0, 0, "ecdsa-sk no-touch-required" },
	};
	struct tok t;
	struct token_ctx *ctx;
	struct token_req req;
	struct token_cred *tc;
	struct token_sig *ts;
	struct events ev;
	struct key *k;
	const uint8_t *kh;
	size_t i, khlen;
	uint8_t flags;
	uint32_t counter, last = 0;
	int r;

	ok(tok_start(&t, "basic", NULL) == 0, "start a softtoken");
	ok((ctx = ctx_with(&t, NULL)) != NULL, "context with it");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&req, 0, sizeof(req));
		tc = NULL;
		k = NULL;
		r = sk_enroll_key(ctx, &req, cases[i].type, "ssh:test", NULL,
		    cases[i].flags, NULL, 0, &k, &tc);
		is_int(r, 0, "%s: enroll", cases[i].what);
		if (r != 0)
			continue;
		is_str(req.token, t.spec, "%s: req.token names the token",
		    cases[i].what);
		ok(key_type(k) == cases[i].type && key_has_private(k) &&
		    key_sk_flags(k) == cases[i].flags &&
		    strcmp(key_sk_application(k), "ssh:test") == 0 &&
		    (kh = key_sk_key_handle(k, &khlen)) != NULL && khlen > 0,
		    "%s: type, flags, application, key handle", cases[i].what);
		ok(tc != NULL && strcmp(tc->att_fmt, "packed") == 0 &&
		    tc->att_sig_len > 0 && tc->att_x5c == NULL &&
		    tc->authdata_len > 37 && tc->challenge_len == 32 &&
		    tc->user_id_len == 32 && tc->cred_protect == cases[i].prot,
		    "%s: attestation (packed, self), generated challenge, "
		    "credProtect %d", cases[i].what, cases[i].prot);
		if ((cases[i].flags & KEY_SK_USER_VERIFICATION_REQD) != 0) {
			memset(&req, 0, sizeof(req));
			is_int(sign_verify(ctx, &req, k, NULL, NULL),
			    SKA_ERR_PIN_REQUIRED, "%s: sign without a PIN: "
			    "PIN_REQUIRED", cases[i].what);
		} else {
			memset(&req, 0, sizeof(req));
			memset(&ev, 0, sizeof(ev));
			req.notify = notify;
			req.notify_arg = &ev;
			flags = 0xff;
			is_int(sign_verify(ctx, &req, k, &flags, &counter), 0,
			    "%s: sign, ssh signature verifies", cases[i].what);
			is_int(flags, cases[i].flags &
			    KEY_SK_USER_PRESENCE_REQD, "%s: UP flag as asked",
			    cases[i].what);
			ok(counter > last, "%s: counter grows (%u)",
			    cases[i].what, counter);
			last = counter;
			is_int(atomic_load(&ev.touch), (cases[i].flags &
			    KEY_SK_USER_PRESENCE_REQD) ? 1 : 0,
			    "%s: touch event only when a touch is asked",
			    cases[i].what);
		}
		/* the raw assertion, as the token layer returns it */
		ts = NULL;
		kh = key_sk_key_handle(k, &khlen);
		if ((cases[i].flags & KEY_SK_USER_VERIFICATION_REQD) == 0) {
			is_int(token_sign(ctx, NULL, tc->alg, "ssh:test", kh,
			    khlen, msg, sizeof(msg), 0, &ts), 0,
			    "%s: raw token_sign", cases[i].what);
			ok(ts != NULL && (cases[i].type == KEY_ED25519_SK ?
			    ts->sig_len == 64 : ts->sig[0] == 0x30),
			    "%s: raw signature is %s", cases[i].what,
			    cases[i].type == KEY_ED25519_SK ? "64 bytes" :
			    "DER");
			token_sig_free(ts);
		}
		is_int(token_sign(ctx, NULL, tc->alg, "ssh:other", kh, khlen,
		    msg, sizeof(msg), 0, &ts), SKA_ERR_TOKEN_NOT_FOUND,
		    "%s: other application: TOKEN_NOT_FOUND", cases[i].what);
		key_free(k);
		token_creds_free(tc, 1);
	}
	is_int(sk_enroll_key(ctx, NULL, KEY_ED25519_SK, "web:x", NULL, 0, NULL,
	    0, &k, NULL), SKA_ERR_INVALID_ARGUMENT, "application must start "
	    "with ssh:");
	is_int(sk_enroll_key(ctx, NULL, KEY_ED25519_SK, "ssh:",
	    "0123456789abcdef0123456789abcdef", 0, NULL, 0, &k, NULL),
	    SKA_ERR_INVALID_ARGUMENT, "user of 32 bytes refused (as OpenSSH)");
	token_ctx_free(ctx);
	tok_stop(&t);
}

static void
test_no_eddsa(void)
{
	struct tok t;
	struct token_ctx *ctx;
	struct token_info *ti = NULL;
	struct key *k = NULL;
	size_t n = 0;
	const char *args[] = { "--no-eddsa", NULL };

	ok(tok_start(&t, "noeddsa", args) == 0, "start --no-eddsa");
	ctx = ctx_with(&t, NULL);
	is_int(sk_enroll_key(ctx, NULL, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL, 0, &k, NULL),
	    SKA_ERR_TOKEN_UNSUPPORTED, "ed25519-sk on an ES256-only token: "
	    "TOKEN_UNSUPPORTED");
	ok(token_list(ctx, &ti, &n) == 0 && n == 1 && ti[0].present &&
	    ti[0].es256 && !ti[0].eddsa, "token_list: ES256 only");
	token_info_free(ti, n);
	token_ctx_free(ctx);
	tok_stop(&t);
}

static void
test_pin(void)
{
	struct tok t, l;
	struct token_ctx *ctx;
	struct token_req req;
	struct token_cred *tc = NULL;
	struct token_info *ti = NULL;
	struct key *k1 = NULL, *k2 = NULL, *kv = NULL;
	const uint8_t *kh1, *kh2;
	size_t n, l1, l2;
	char *pin = secmem_strdup("123456"), *bad = secmem_strdup("000000");
	char *lpin = secmem_strdup("1111"), buf[128];
	uint8_t flags;
	uint32_t counter;
	int retries, r, i, saw_auth_blocked = 0, restarts = 0;
	const char *lockargs[] = { "--pin", "1111", NULL };

	ok(tok_start(&t, "pin", NULL) == 0, "start a softtoken without PIN");
	is_int(raw_set_pin(&t, "1234", NULL), FIDO_OK, "set PIN (libfido2)");
	is_int(raw_set_pin(&t, "123456", "1234"), FIDO_OK,
	    "change PIN (libfido2)");
	ctx = ctx_with(&t, NULL);
	memset(&req, 0, sizeof(req));
	is_int(token_pin_retries(ctx, &req, &retries), 0, "token_pin_retries");
	is_int(retries, 8, "8 tries");
	ok(token_list(ctx, &ti, &n) == 0 && n == 1 && ti[0].pin_set &&
	    ti[0].pin_retries == 8 && ti[0].fido2 && ti[0].cred_protect &&
	    ti[0].credman && ti[0].es256 && ti[0].eddsa && ti[0].uv == -1,
	    "token_list: PIN set, 8 tries, credProtect, credman, both "
	    "algorithms, no built-in UV");
	token_info_free(ti, n);

	/* resident keys need the PIN once one is set */
	memset(&req, 0, sizeof(req));
	is_int(sk_enroll_key(ctx, &req, KEY_ED25519_SK, "ssh:pin", "bob",
	    KEY_SK_USER_PRESENCE_REQD | KEY_SK_RESIDENT_KEY, NULL, 0, &k1,
	    NULL), SKA_ERR_PIN_REQUIRED, "resident enroll without PIN: "
	    "PIN_REQUIRED");
	req.pin = pin;
	is_int(sk_enroll_key(ctx, &req, KEY_ED25519_SK, "ssh:pin", "bob",
	    KEY_SK_USER_PRESENCE_REQD | KEY_SK_RESIDENT_KEY, NULL, 0, &k1,
	    NULL), 0, "resident enroll with PIN");
	is_int(sk_enroll_key(ctx, &req, KEY_ED25519_SK, "ssh:pin", "bob",
	    KEY_SK_USER_PRESENCE_REQD | KEY_SK_RESIDENT_KEY, NULL, 0, &k2,
	    NULL), SKA_ERR_CREDENTIAL_EXISTS, "again: CREDENTIAL_EXISTS");
	is_int(sk_enroll_key(ctx, &req, KEY_ED25519_SK, "ssh:pin", "bob",
	    KEY_SK_USER_PRESENCE_REQD | KEY_SK_RESIDENT_KEY |
	    KEY_SK_FORCE_OPERATION, NULL, 0, &k2, NULL), 0,
	    "again with force: overwritten");
	ok(k1 != NULL && k2 != NULL &&
	    (kh1 = key_sk_key_handle(k1, &l1)) != NULL &&
	    (kh2 = key_sk_key_handle(k2, &l2)) != NULL &&
	    (l1 != l2 || memcmp(kh1, kh2, l1) != 0) &&
	    key_sk_flags(k2) == (KEY_SK_USER_PRESENCE_REQD |
	    KEY_SK_RESIDENT_KEY), "a new key handle; force not kept in the "
	    "key's flags");
	is_int(sign_verify(ctx, NULL, k2, NULL, NULL), 0,
	    "the resident key signs without PIN (credProtect 2)");

	/* verify-required */
	memset(&req, 0, sizeof(req));
	is_int(sk_enroll_key(ctx, &req, KEY_ECDSA_SK, "ssh:pin", NULL,
	    KEY_SK_USER_PRESENCE_REQD | KEY_SK_USER_VERIFICATION_REQD, NULL, 0,
	    &kv, &tc), 0, "verify-required enroll (no PIN needed: "
	    "makeCredUvNotRqd)");
	ok(tc != NULL && tc->cred_protect == 3, "credProtect 3");
	token_creds_free(tc, 1);
	memset(&req, 0, sizeof(req));
	is_int(sign_verify(ctx, &req, kv, NULL, NULL), SKA_ERR_PIN_REQUIRED,
	    "verify-required sign without PIN: PIN_REQUIRED");
	req.pin = bad;
	is_int(sign_verify(ctx, &req, kv, NULL, NULL), SKA_ERR_PIN_INVALID,
	    "wrong PIN: PIN_INVALID");
	is_int(req.pin_retries, 7, "7 tries left reported");
	is_str(token_strerror(SKA_ERR_PIN_INVALID, &req, buf, sizeof(buf)),
	    "wrong PIN, 7 tries left", "message: %s", buf);
	memset(&req, 0, sizeof(req));
	req.pin = pin;
	flags = 0;
	is_int(sign_verify(ctx, &req, kv, &flags, &counter), 0,
	    "verify-required sign with PIN: ssh signature verifies");
	is_int(flags, KEY_SK_USER_PRESENCE_REQD | KEY_SK_USER_VERIFICATION_REQD,
	    "UP and UV set");
	ok(token_pin_retries(ctx, NULL, &retries) == 0 && retries == 8,
	    "the right PIN restores 8 tries (%d)", retries);
	key_free(k1);
	key_free(k2);
	key_free(kv);
	token_ctx_free(ctx);
	tok_stop(&t);

	/* lockout: 3 in a row block until replug, 8 in all block for good */
	ok(tok_start(&l, "lock", lockargs) == 0, "start --pin 1111");
	ctx = ctx_with(&l, NULL);
	for (i = 0; i < 12; i++) {
		struct token_cred *rk = NULL;
		size_t nrk = 0;

		memset(&req, 0, sizeof(req));
		req.pin = bad;
		r = token_load_resident(ctx, &req, &rk, &nrk);
		token_creds_free(rk, nrk);
		if (r == SKA_ERR_PIN_AUTH_BLOCKED) {
			saw_auth_blocked++;
			tok_stop(&l);	/* replug */
			restarts += tok_start(&l, "lock", lockargs) == 0;
			continue;
		}
		if (r != SKA_ERR_PIN_INVALID)
			break;
	}
	is_int(r, SKA_ERR_PIN_BLOCKED, "wrong PINs end in PIN_BLOCKED");
	ok(saw_auth_blocked >= 2 && restarts == saw_auth_blocked,
	    "after PIN_AUTH_BLOCKED every third try (%d), each cleared by a "
	    "replug", saw_auth_blocked);
	is_int(req.pin_retries, 0, "0 tries left reported");
	memset(&req, 0, sizeof(req));
	req.pin = lpin;
	{
		struct token_cred *rk = NULL;
		size_t nrk = 0;

		is_int(token_load_resident(ctx, &req, &rk, &nrk),
		    SKA_ERR_PIN_BLOCKED, "even the right PIN: PIN_BLOCKED");
		token_creds_free(rk, nrk);
	}
	token_ctx_free(ctx);
	tok_stop(&l);
	secmem_free_str(pin);
	secmem_free_str(bad);
	secmem_free_str(lpin);
}

/* token_set_pin, token_change_pin, token_resident_slots, getInfo 2.1. */
static void
test_manage(void)
{
	struct tok t;
	struct token_ctx *ctx;
	struct token_req req;
	struct token_info *ti = NULL;
	struct key *k = NULL;
	size_t n = 0;
	char *p6 = secmem_strdup("123456"), *p7 = secmem_strdup("7654321");
	char *bad = secmem_strdup("000000");
	int used, avail;
	const char *args[] = { "--min-pin-length", "6", "--rk-slots", "3",
	    NULL };
	const char *force[] = { "--force-pin-change", NULL };

	ok(tok_start(&t, "manage", args) == 0, "start --min-pin-length 6 "
	    "--rk-slots 3");
	ctx = ctx_with(&t, NULL);
	ok(token_list(ctx, &ti, &n) == 0 && n == 1 && !ti[0].pin_set &&
	    ti[0].min_pin_len == 6 && ti[0].rk_remaining == 3 &&
	    !ti[0].force_pin_change && ti[0].fw_version == 0x010203 &&
	    strcmp(ti[0].versions, "FIDO_2_0 FIDO_2_1") == 0 &&
	    ti[0].uv_retries == -1, "token_list: minPINLength 6, 3 slots, "
	    "firmware, versions, no UV");
	token_info_free(ti, n);
	memset(&req, 0, sizeof(req));
	is_int(token_set_pin(ctx, &req, "12345"), SKA_ERR_PIN_POLICY,
	    "token_set_pin, 5 digits: PIN_POLICY");
	is_int(token_set_pin(ctx, &req, p6), 0, "token_set_pin, 6 digits");
	memset(&req, 0, sizeof(req));
	is_int(token_change_pin(ctx, &req, p7), SKA_ERR_INVALID_ARGUMENT,
	    "token_change_pin without the current PIN: refused");
	req.pin = bad;
	is_int(token_change_pin(ctx, &req, p7), SKA_ERR_PIN_INVALID,
	    "token_change_pin, wrong current PIN: PIN_INVALID");
	is_int(req.pin_retries, 7, "  7 tries left");
	req.pin = p6;
	is_int(token_change_pin(ctx, &req, p7), 0, "token_change_pin");
	memset(&req, 0, sizeof(req));
	req.pin = p7;
	ok(token_resident_slots(ctx, &req, &used, &avail) == 0 && used == 0 &&
	    avail == 3, "token_resident_slots with the new PIN: 0 used, 3 free");
	is_int(sk_enroll_key(ctx, &req, KEY_ED25519_SK, "ssh:m", "u",
	    KEY_SK_USER_PRESENCE_REQD | KEY_SK_RESIDENT_KEY, NULL, 0, &k,
	    NULL), 0, "a resident key");
	key_free(k);
	ok(token_resident_slots(ctx, &req, &used, &avail) == 0 && used == 1 &&
	    avail == 2, "  1 used, 2 free");
	req.pin = bad;
	is_int(token_resident_slots(ctx, &req, &used, &avail),
	    SKA_ERR_PIN_INVALID, "token_resident_slots, wrong PIN");
	token_ctx_free(ctx);
	tok_stop(&t);

	ok(tok_start(&t, "manage", force) == 0, "restart --force-pin-change");
	ctx = ctx_with(&t, NULL);
	ok(token_list(ctx, &ti, &n) == 0 && n == 1 && ti[0].force_pin_change,
	    "token_list: forcePINChange");
	token_info_free(ti, n);
	memset(&req, 0, sizeof(req));
	req.pin = p7;
	is_int(token_resident_slots(ctx, &req, &used, &avail),
	    SKA_ERR_PIN_POLICY, "the right PIN: PIN_POLICY until it changes");
	is_int(token_change_pin(ctx, &req, p7), SKA_ERR_PIN_POLICY,
	    "changing it to itself: PIN_POLICY");
	is_int(token_change_pin(ctx, &req, p6), 0, "changing it");
	req.pin = p6;
	is_int(token_resident_slots(ctx, &req, &used, &avail), 0,
	    "  then it works");
	token_ctx_free(ctx);
	tok_stop(&t);
	secmem_free_str(p6);
	secmem_free_str(p7);
	secmem_free_str(bad);
}

static void
test_resident(void)
{
	struct tok t, e;
	struct token_ctx *ctx;
	struct token_req req;
	struct sk_resident_key *rks = NULL;
	struct token_cred *tc = NULL;
	struct key *ka = NULL, *kw = NULL, *match;
	size_t n = 0, found = 0;
	const uint8_t *kh;
	size_t khlen;
	int i;
	char *pin = secmem_strdup("2468");
	uint8_t alice[32] = "alice";
	const char *pinargs[] = { "--pin", "2468", NULL };

	ok(tok_start(&t, "rk", pinargs) == 0, "start --pin 2468");
	ctx = ctx_with(&t, NULL);
	memset(&req, 0, sizeof(req));
	req.pin = pin;
	ok((ka = enroll(ctx, NULL, KEY_ED25519_SK, "ssh:", "alice",
	    KEY_SK_USER_PRESENCE_REQD | KEY_SK_RESIDENT_KEY |
	    KEY_SK_USER_VERIFICATION_REQD, pin)) != NULL,
	    "resident verify-required ed25519-sk for ssh: user alice");
	ok((kw = enroll(ctx, NULL, KEY_ECDSA_SK, "ssh:work", NULL,
	    KEY_SK_USER_PRESENCE_REQD | KEY_SK_RESIDENT_KEY, pin)) != NULL,
	    "resident ecdsa-sk for ssh:work");
	is_int(raw_make_rk(&t, "example.com", "2468"), FIDO_OK,
	    "a resident credential for example.com (libfido2)");

	memset(&req, 0, sizeof(req));
	is_int(sk_load_resident_keys(ctx, &req, &rks, &n),
	    SKA_ERR_PIN_REQUIRED, "load without PIN: PIN_REQUIRED");
	req.pin = pin;
	is_int(sk_load_resident_keys(ctx, &req, &rks, &n), 0, "load with PIN");
	is_int(n, 2, "two keys: only the ssh: relying parties");
	for (i = 0; i < (int)n; i++) {
		match = key_equal_public(rks[i].key, ka) ? ka :
		    key_equal_public(rks[i].key, kw) ? kw : NULL;
		if (match == ka && rks[i].user_id_len == 32 &&
		    memcmp(rks[i].user_id, alice, 32) == 0 &&
		    strcmp(rks[i].user_name, "openssh") == 0 &&
		    key_sk_flags(rks[i].key) == (KEY_SK_USER_PRESENCE_REQD |
		    KEY_SK_RESIDENT_KEY | KEY_SK_USER_VERIFICATION_REQD) &&
		    strcmp(key_sk_application(rks[i].key), "ssh:") == 0)
			found |= 1;
		if (match == kw && key_sk_flags(rks[i].key) ==
		    (KEY_SK_USER_PRESENCE_REQD | KEY_SK_RESIDENT_KEY) &&
		    strcmp(key_sk_application(rks[i].key), "ssh:work") == 0)
			found |= 2;
		if (match == kw)
			is_int(sign_verify(ctx, NULL, rks[i].key, NULL, NULL),
			    0, "the loaded ssh:work key signs");
		if (match == ka) {
			memset(&req, 0, sizeof(req));
			req.pin = pin;
			is_int(sign_verify(ctx, &req, rks[i].key, NULL, NULL),
			    0, "the loaded verify-required key signs with PIN");
		}
	}
	ok(found == 3, "same public keys, user id (alice, padded to 32), "
	    "user name, application; UV flag from credProtect 3");
	sk_resident_keys_free(rks, n);
	rks = NULL;

	kh = key_sk_key_handle(kw, &khlen);
	memset(&req, 0, sizeof(req));
	is_int(token_delete_resident(ctx, &req, kh, khlen),
	    SKA_ERR_PIN_REQUIRED, "delete without PIN: PIN_REQUIRED");
	req.pin = pin;
	is_int(token_delete_resident(ctx, &req, kh, khlen), 0,
	    "delete the ssh:work key");
	ok(token_load_resident(ctx, &req, &tc, &n) == 0 && n == 1 &&
	    strcmp(tc[0].application, "ssh:") == 0, "one left");
	token_creds_free(tc, n);
	token_ctx_free(ctx);
	tok_stop(&t);

	/* no resident keys at all; no PIN at all */
	ok(tok_start(&e, "rk-empty", pinargs) == 0, "a fresh token with PIN");
	ctx = ctx_with(&e, NULL);
	memset(&req, 0, sizeof(req));
	req.pin = pin;
	tc = NULL;
	ok(token_load_resident(ctx, &req, &tc, &n) == 0 && n == 0 && tc == NULL,
	    "no resident keys: 0 keys, no error");
	token_ctx_free(ctx);
	tok_stop(&e);
	ok(tok_start(&e, "rk-nopin", NULL) == 0, "a fresh token without PIN");
	ctx = ctx_with(&e, NULL);
	memset(&req, 0, sizeof(req));
	is_int(token_load_resident(ctx, &req, &tc, &n), SKA_ERR_PIN_NOT_SET,
	    "load without PIN on a token without PIN: PIN_NOT_SET");
	is_int(raw_set_pin(&e, "2468", NULL), FIDO_OK,
	    "another program sets a PIN (our connection stays open)");
	is_int(token_load_resident(ctx, &req, &tc, &n), SKA_ERR_PIN_REQUIRED,
	    "now: PIN_REQUIRED (the token asked, not a flag from the open)");
	ok(token_pin_retries(ctx, NULL, &i) == 0 && i == 8, "8 tries");
	token_ctx_free(ctx);
	tok_stop(&e);
	key_free(ka);
	key_free(kw);
	secmem_free_str(pin);
}

static void
test_two_tokens(void)
{
	struct tok a, b, c, d;
	struct token_ctx *ctx, *solo;
	struct token_req req;
	struct events ev;
	struct key *ka, *kb, *kc, *k = NULL;
	const char *deny[] = { "--touch", "deny", NULL };

	ok(tok_start(&a, "two-a", NULL) == 0 && tok_start(&b, "two-b", NULL) ==
	    0 && tok_start(&c, "two-c", NULL) == 0, "three softtokens");
	ctx = ctx_with(&a, &b);
	ka = enroll(ctx, &a, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL);
	kb = enroll(ctx, &b, KEY_ECDSA_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL);
	solo = ctx_with(&c, NULL);
	kc = enroll(solo, NULL, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL);
	token_ctx_free(solo);
	ok(ka != NULL && kb != NULL && kc != NULL,
	    "a key on each (req.device)");

	memset(&req, 0, sizeof(req));
	is_int(sign_verify(ctx, &req, kb, NULL, NULL), 0, "sign with B's key");
	is_str(req.token, b.spec, "B was found by its credential");
	memset(&req, 0, sizeof(req));
	is_int(sign_verify(ctx, &req, ka, NULL, NULL), 0, "sign with A's key");
	is_str(req.token, a.spec, "A was found");
	memset(&req, 0, sizeof(req));
	is_int(sign_verify(ctx, &req, kb, NULL, NULL), 0, "B's key again");
	is_str(req.token, b.spec, "B again");
	memset(&req, 0, sizeof(req));
	is_int(sign_verify(ctx, &req, kc, NULL, NULL), SKA_ERR_TOKEN_NOT_FOUND,
	    "a key of a token not configured: TOKEN_NOT_FOUND");
	ok(req.token[0] == '\0', "no token named");

	/* several tokens: enrollment asks for a touch to choose */
	memset(&req, 0, sizeof(req));
	memset(&ev, 0, sizeof(ev));
	req.notify = notify;
	req.notify_arg = &ev;
	is_int(sk_enroll_key(ctx, &req, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL, 0, &k, NULL), 0,
	    "enroll with two tokens present");
	ok(atomic_load(&ev.select) == 1 && atomic_load(&ev.touch) == 1,
	    "SELECT event, then TOUCH");
	ok(strcmp(req.token, a.spec) == 0 || strcmp(req.token, b.spec) == 0,
	    "on one of them (%s)", req.token);
	memset(&req, 0, sizeof(req));
	is_int(sign_verify(ctx, &req, k, NULL, NULL), 0, "that key signs");
	key_free(k);
	k = NULL;
	token_ctx_free(ctx);

	/* the touched one wins: A refuses, C accepts */
	tok_stop(&a);
	ok(tok_start(&d, "two-a", deny) == 0, "restart A with --touch deny");
	ctx = ctx_with(&d, &c);
	memset(&req, 0, sizeof(req));
	is_int(sk_enroll_key(ctx, &req, KEY_ECDSA_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL, 0, &k, NULL), 0,
	    "enroll, A refusing the selection touch");
	is_str(req.token, c.spec, "on the token that accepted");
	memset(&req, 0, sizeof(req));
	is_int(sign_verify(ctx, &req, ka, NULL, NULL), SKA_ERR_TOUCH_REFUSED,
	    "A's key found on A (silent probe), which refuses the touch");
	token_ctx_free(ctx);
	key_free(k);
	key_free(ka);
	key_free(kb);
	key_free(kc);
	tok_stop(&b);
	tok_stop(&c);
	tok_stop(&d);
}

/*
 * Two tokens A (aargs) and B (a PIN), a verify-required key enrolled on B;
 * returns the key and a context with both (NULL on failure), and a request
 * that counts its events in ev.
 */
static struct key *
uv_on_b(struct tok *a, struct tok *b, const char *prefix,
    const char **aargs, char *pin, const char *what,
    struct token_ctx **ctxp, struct token_req *req, struct events *ev)
{
	const char *args[] = { "--pin", "1234", NULL };
	char na[32], nb[32];
	struct token_ctx *ctx;
	struct key *k;

	snprintf(na, sizeof(na), "%s-a", prefix);
	snprintf(nb, sizeof(nb), "%s-b", prefix);
	*ctxp = NULL;
	if (!ok(tok_start(a, na, aargs) == 0 && tok_start(b, nb, args) == 0,
	    "%s", what))
		return NULL;
	ctx = ctx_with(b, NULL);
	k = enroll(ctx, b, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD | KEY_SK_USER_VERIFICATION_REQD, pin);
	token_ctx_free(ctx);
	*ctxp = ctx_with(a, b);
	memset(req, 0, sizeof(*req));
	memset(ev, 0, sizeof(*ev));
	req->notify = notify;
	req->notify_arg = ev;
	return k;
}

static void
uv_done(struct token_ctx *ctx, struct tok *a, struct tok *b, struct key *k,
    char *pin)
{
	token_ctx_free(ctx);
	tok_stop(a);
	tok_stop(b);
	key_free(k);
	secmem_free_str(pin);
}

/* verify-required: no silent probe can find it (credProtect 3) */
static void
test_uv_two_tokens(void)
{
	const char *deny[] = { "--pin", "1234", "--touch", "deny", NULL };
	const char *nopin[] = { "--touch", "deny", NULL };
	struct tok a, b;
	struct token_ctx *ctx;
	struct token_req req;
	struct events ev;
	struct key *k;
	char *pin = secmem_strdup("1234");

	k = uv_on_b(&a, &b, "uv", deny, pin,
	    "two tokens with PINs; A refuses touches", &ctx, &req, &ev);
	req.pin = pin;
	is_int(sign_verify(ctx, &req, k, NULL, NULL), 0,
	    "verify-required key on B signs");
	ok(atomic_load(&ev.select) == 1 && strcmp(req.token, b.spec) == 0,
	    "after a touch chose B");
	memset(&ev, 0, sizeof(ev));
	is_int(sign_verify(ctx, &req, k, NULL, NULL), 0, "again");
	ok(atomic_load(&ev.select) == 0 && strcmp(req.token, b.spec) == 0,
	    "straight to B this time (no touch to choose)");
	uv_done(ctx, &a, &b, k, pin);

	/* one of two tokens has a PIN: it is the one, no touch to choose */
	pin = secmem_strdup("1234");
	k = uv_on_b(&a, &b, "uvp", nopin, pin,
	    "two tokens, only B with a PIN; A refuses touches", &ctx, &req, &ev);
	is_int(sign_verify(ctx, &req, k, NULL, NULL), SKA_ERR_PIN_REQUIRED,
	    "no PIN yet: PIN required");
	ok(atomic_load(&ev.select) == 0 && strcmp(req.token, b.spec) == 0,
	    "from B, the only token that can verify the user: no touch to choose");
	req.pin = pin;
	req.device = b.spec;	/* as the agent retries on the token that asked */
	is_int(sign_verify(ctx, &req, k, NULL, NULL), 0, "with the PIN, on B, it signs");
	uv_done(ctx, &a, &b, k, pin);
}

static void
test_touch(void)
{
	struct tok t;
	struct token_ctx *ctx;
	struct token_req req;
	struct events ev;
	struct key *k, *quiet, *k2 = NULL;
	long long t0, el;
	const char *deny[] = { "--touch", "deny", NULL };
	const char *slow[] = { "--touch", "400", NULL };
	const char *slower[] = { "--touch", "3000", NULL };

	ok(tok_start(&t, "touch", NULL) == 0, "start a softtoken");
	ctx = ctx_with(&t, NULL);
	k = enroll(ctx, NULL, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL);
	quiet = enroll(ctx, NULL, KEY_ECDSA_SK, "ssh:", NULL, 0, NULL);
	ok(k != NULL && quiet != NULL, "a key, and a no-touch-required key");
	tok_stop(&t);

	ok(tok_start(&t, "touch", deny) == 0, "restart it with --touch deny");
	is_int(sign_verify(ctx, NULL, k, NULL, NULL), SKA_ERR_TOUCH_REFUSED,
	    "sign: TOUCH_REFUSED");
	is_int(sk_enroll_key(ctx, NULL, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL, 0, &k2, NULL),
	    SKA_ERR_TOUCH_REFUSED, "enroll: TOUCH_REFUSED");
	is_int(sign_verify(ctx, NULL, quiet, NULL, NULL), 0,
	    "no-touch-required key still signs");
	tok_stop(&t);

	ok(tok_start(&t, "touch", slow) == 0, "restart it with --touch 400");
	memset(&req, 0, sizeof(req));
	memset(&ev, 0, sizeof(ev));
	req.notify = notify;
	req.notify_arg = &ev;
	t0 = now_ms();
	is_int(sign_verify(ctx, &req, k, NULL, NULL), 0,
	    "sign after the touch");
	el = now_ms() - t0;
	ok(el >= 350, "it waited for the touch (%lld ms)", el);
	is_int(atomic_load(&ev.touch), 1, "TOUCH event");
	memset(&ev, 0, sizeof(ev));
	is_int(sign_verify(ctx, &req, quiet, NULL, NULL), 0,
	    "no-touch-required key");
	is_int(atomic_load(&ev.touch), 0, "no TOUCH event for it");
	tok_stop(&t);

	ok(tok_start(&t, "touch", slower) == 0, "restart it with --touch 3000");
	token_ctx_set_touch_ms(ctx, 500);
	t0 = now_ms();
	is_int(sign_verify(ctx, NULL, k, NULL, NULL), SKA_ERR_TOUCH_TIMEOUT,
	    "touch wait 500 ms: TOUCH_TIMEOUT");
	el = now_ms() - t0;
	ok(el >= 450 && el < 2500, "after the configured wait (%lld ms)", el);
	memset(&req, 0, sizeof(req));
	req.touch_ms = 300;
	t0 = now_ms();
	is_int(sign_verify(ctx, &req, k, NULL, NULL), SKA_ERR_TOUCH_TIMEOUT,
	    "req.touch_ms 300: TOUCH_TIMEOUT");
	el = now_ms() - t0;
	ok(el >= 250 && el < 2300, "after the request's wait (%lld ms)", el);
	is_int(sign_verify(ctx, NULL, quiet, NULL, NULL), 0,
	    "the token answers again (the pending request was cancelled)");
	token_ctx_free(ctx);
	tok_stop(&t);
	key_free(k);
	key_free(quiet);
}

struct job {
	struct token_ctx *ctx;
	struct token_req req;
	struct key *key;
	int r;
	long long end;
	struct events ev;
};

static void *
sign_thread(void *arg)
{
	struct job *j = arg;

	j->r = sign_verify(j->ctx, &j->req, j->key, NULL, NULL);
	j->end = now_ms();
	return NULL;
}

static void *
enroll_thread(void *arg)
{
	struct job *j = arg;
	struct key *k = NULL;

	j->r = sk_enroll_key(j->ctx, &j->req, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL, 0, &k, NULL);
	key_free(k);
	j->end = now_ms();
	return NULL;
}

static void
job_init(struct job *j, struct token_ctx *ctx, struct key *k)
{
	memset(j, 0, sizeof(*j));
	j->ctx = ctx;
	j->key = k;
	j->r = -999;
	j->req.notify = notify;
	j->req.notify_arg = &j->ev;
}

/* Waits until the job announced a touch wait (or 3 s). */
static int
wait_touch(struct job *j)
{
	long long until = now_ms() + 3000;

	while (atomic_load(&j->ev.touch) == 0 &&
	    atomic_load(&j->ev.select) == 0 && now_ms() < until)
		sleep_ms(5);
	return atomic_load(&j->ev.touch) + atomic_load(&j->ev.select) > 0;
}

static void
test_vanish(void)
{
	struct tok t;
	struct token_ctx *ctx;
	struct token_req req;
	struct job j;
	pthread_t th;
	struct key *k;
	long long t0;
	int r;
	const char *slow[] = { "--touch", "5000", NULL };

	ok(tok_start(&t, "vanish", NULL) == 0, "start a softtoken with state");
	ctx = ctx_with(&t, NULL);
	k = enroll(ctx, NULL, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL);
	tok_stop(&t);
	ok(tok_start(&t, "vanish", slow) == 0, "restart it with --touch 5000");
	job_init(&j, ctx, k);
	ok(pthread_create(&th, NULL, sign_thread, &j) == 0, "sign in a thread");
	ok(wait_touch(&j), "it waits for a touch");
	sleep_ms(100);
	t0 = now_ms();
	tok_kill(&t);
	pthread_join(th, NULL);
	ok(j.r == SKA_ERR_TOKEN_GONE || j.r == SKA_ERR_TOKEN_IO,
	    "killed mid-request: %s", ska_err(j.r));
	ok(j.end - t0 < 2000, "at once (%lld ms)", j.end - t0);
	memset(&req, 0, sizeof(req));
	is_int(sign_verify(ctx, &req, k, NULL, NULL), SKA_ERR_NO_TOKEN,
	    "while it is gone: NO_TOKEN");
	ok(tok_start(&t, "vanish", NULL) == 0, "back, with the same state");
	memset(&req, 0, sizeof(req));
	is_int(sign_verify(ctx, &req, k, NULL, NULL), 0, "found again, signs");
	is_str(req.token, t.spec, "same token");
	/* replugged between two operations: the kept connection is stale */
	tok_stop(&t);
	ok(tok_start(&t, "vanish", NULL) == 0, "restart between operations");
	is_int(sign_verify(ctx, NULL, k, NULL, NULL), 0,
	    "the stale connection is replaced");
	/* hung (SIGSTOP): every request has a time budget */
	kill(t.pid, SIGSTOP);
	t0 = now_ms();
	r = sign_verify(ctx, NULL, k, NULL, NULL);
	ok(r == SKA_ERR_TIMEOUT, "a hung token, connection open: %s",
	    ska_err(r));
	ok(now_ms() - t0 < 5000, "bounded (%lld ms)", now_ms() - t0);
	t0 = now_ms();
	r = sign_verify(ctx, NULL, k, NULL, NULL);
	ok(r == SKA_ERR_TOKEN_IO, "a hung token, opened afresh: %s",
	    ska_err(r));
	ok(now_ms() - t0 < 5000, "bounded (%lld ms)", now_ms() - t0);
	kill(t.pid, SIGCONT);
	is_int(sign_verify(ctx, NULL, k, NULL, NULL), 0, "resumed: signs");
	token_ctx_free(ctx);
	tok_stop(&t);
	key_free(k);
}

static void
test_cancel(void)
{
	struct tok t, u;
	struct token_ctx *ctx;
	struct token_cancel *c;
	struct token_info *ti = NULL;
	struct job j;
	pthread_t th;
	struct key *k, *quiet;
	long long t0;
	size_t n = 0;
	int i, all = 1, prompt = 1;
	static const int delays[] = { 0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 5, 10,
	    30 };
	const char *slow[] = { "--touch", "5000", NULL };

	ok(tok_start(&t, "cancel", NULL) == 0, "start a softtoken with state");
	ctx = ctx_with(&t, NULL);
	k = enroll(ctx, NULL, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL);
	quiet = enroll(ctx, NULL, KEY_ED25519_SK, "ssh:", NULL, 0, NULL);
	tok_stop(&t);
	ok(tok_start(&t, "cancel", slow) == 0, "restart it with --touch 5000");
	c = token_cancel_new();

	job_init(&j, ctx, k);
	j.req.cancel = c;
	ok(pthread_create(&th, NULL, sign_thread, &j) == 0, "sign in a thread");
	ok(wait_touch(&j), "it waits for a touch");
	t0 = now_ms();
	ok(token_list(ctx, &ti, &n) == 0 && n == 1 && ti[0].busy &&
	    now_ms() - t0 < 1000, "token_list meanwhile: busy, at once");
	token_info_free(ti, n);
	sleep_ms(100);
	t0 = now_ms();
	token_cancel(c);
	pthread_join(th, NULL);
	is_int(j.r, SKA_ERR_CANCELLED, "cancelled from this thread: CANCELLED");
	ok(j.end - t0 < 1000, "promptly (%lld ms)", j.end - t0);
	ok(token_cancelled(c), "the handle says so");
	is_int(sign_verify(ctx, NULL, quiet, NULL, NULL), 0,
	    "the token is usable afterwards");

	/* a cancel at any moment: before the request, during, after */
	for (i = 0; i < (int)(sizeof(delays) / sizeof(delays[0])); i++) {
		token_cancel_reset(c);
		job_init(&j, ctx, k);
		j.req.cancel = c;
		if (pthread_create(&th, NULL, sign_thread, &j) != 0)
			break;
		sleep_ms(delays[i]);
		t0 = now_ms();
		token_cancel(c);
		pthread_join(th, NULL);
		if (j.r != SKA_ERR_CANCELLED) {
			tap_diag("delay %d ms: %s", delays[i], ska_err(j.r));
			all = 0;
		}
		if (j.end - t0 >= 1000) {
			tap_diag("delay %d ms: %lld ms", delays[i], j.end - t0);
			prompt = 0;
		}
	}
	ok(all, "cancel after 0 to 30 ms (%d times): always CANCELLED", i);
	ok(prompt, "always within a second");
	is_int(sign_verify(ctx, NULL, quiet, NULL, NULL), 0, "token usable");

	token_cancel_reset(c);
	token_cancel(c);
	job_init(&j, ctx, k);
	j.req.cancel = c;
	sign_thread(&j);
	is_int(j.r, SKA_ERR_CANCELLED, "cancelled before it starts: CANCELLED");
	token_ctx_free(ctx);

	/* during the touch that picks a token */
	ok(tok_start(&u, "cancel-b", slow) == 0,
	    "a second token, --touch 5000");
	ctx = ctx_with(&t, &u);
	token_cancel_reset(c);
	job_init(&j, ctx, NULL);
	j.req.cancel = c;
	ok(pthread_create(&th, NULL, enroll_thread, &j) == 0,
	    "enroll in a thread: touch to choose");
	ok(wait_touch(&j) && atomic_load(&j.ev.select) == 1, "SELECT event");
	sleep_ms(100);
	t0 = now_ms();
	token_cancel(c);
	pthread_join(th, NULL);
	is_int(j.r, SKA_ERR_CANCELLED, "cancelled while choosing: CANCELLED");
	ok(j.end - t0 < 1000, "promptly (%lld ms)", j.end - t0);
	is_int(sign_verify(ctx, NULL, quiet, NULL, NULL), 0,
	    "both tokens usable afterwards");
	token_cancel_free(c);
	token_ctx_free(ctx);
	tok_stop(&t);
	tok_stop(&u);
	key_free(k);
	key_free(quiet);
}

static void
test_concurrent(void)
{
	struct tok a, b;
	struct token_ctx *ctx;
	struct job ja, jb;
	pthread_t tha, thb;
	struct key *ka, *kb;
	long long t0, el;
	const char *slow[] = { "--touch", "800", NULL };

	ok(tok_start(&a, "conc-a", NULL) == 0 &&
	    tok_start(&b, "conc-b", NULL) == 0, "two softtokens");
	ctx = ctx_with(&a, &b);
	ka = enroll(ctx, &a, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL);
	kb = enroll(ctx, &b, KEY_ECDSA_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL);
	token_ctx_free(ctx);
	tok_stop(&a);
	tok_stop(&b);
	ok(tok_start(&a, "conc-a", slow) == 0 &&
	    tok_start(&b, "conc-b", slow) == 0,
	    "both restarted with --touch 800");

	/* a fresh context: no hints, A is probed first while it is busy */
	ctx = ctx_with(&a, &b);
	job_init(&ja, ctx, ka);
	job_init(&jb, ctx, kb);
	t0 = now_ms();
	pthread_create(&tha, NULL, sign_thread, &ja);
	wait_touch(&ja);
	pthread_create(&thb, NULL, sign_thread, &jb);
	pthread_join(tha, NULL);
	pthread_join(thb, NULL);
	el = now_ms() - t0;
	ok(ja.r == 0 && jb.r == 0,
	    "two threads, two tokens: both sign (%s, %s)", ska_err(ja.r),
	    ska_err(jb.r));
	ok(el < 1500, "in parallel (%lld ms for two 800 ms touches)", el);
	is_str(jb.req.token, b.spec, "B's key found while A was busy");

	job_init(&ja, ctx, ka);
	job_init(&jb, ctx, ka);
	t0 = now_ms();
	pthread_create(&tha, NULL, sign_thread, &ja);
	pthread_create(&thb, NULL, sign_thread, &jb);
	pthread_join(tha, NULL);
	pthread_join(thb, NULL);
	el = now_ms() - t0;
	ok(ja.r == 0 && jb.r == 0, "two threads, one token: both sign (%s, %s)",
	    ska_err(ja.r), ska_err(jb.r));
	ok(el >= 1550, "one after the other (%lld ms)", el);
	token_ctx_free(ctx);
	tok_stop(&a);
	tok_stop(&b);
	key_free(ka);
	key_free(kb);
}

/* Not a test: what a silent probe and a signature cost on softtoken. */
static void
measure(void)
{
	struct tok t;
	struct token_ctx *ctx;
	struct key *k;
	long long t0;
	int i, n = 50, fails = 0;

	if (tok_start(&t, "bench", NULL) != 0)
		return;
	ctx = ctx_with(&t, NULL);
	k = enroll(ctx, NULL, KEY_ED25519_SK, "ssh:", NULL,
	    KEY_SK_USER_PRESENCE_REQD, NULL);
	t0 = now_ms();
	for (i = 0; i < n; i++)
		fails += sign_verify(ctx, NULL, k, NULL, NULL) != 0;
	tap_diag("probe + signature + verify, kept connection: %.2f ms each",
	    (double)(now_ms() - t0) / n);
	token_ctx_free(ctx);
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		ctx = ctx_with(&t, NULL);
		fails += sign_verify(ctx, NULL, k, NULL, NULL) != 0;
		token_ctx_free(ctx);
	}
	tap_diag("the same with a fresh context (open: INIT + getInfo): "
	    "%.2f ms each", (double)(now_ms() - t0) / n);
	is_int(fails, 0, "%d measured signatures all verified", 2 * n);
	key_free(k);
	tok_stop(&t);
}

static void
cleanup(void)
{
	DIR *dp;
	struct dirent *de;
	char p[600];

	if (tmpdir[0] == '\0' || (dp = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, de->d_name);
		unlink(p);
	}
	closedir(dp);
	rmdir(tmpdir);
}

int
main(int argc, char **argv)
{
	const char *env = getenv("SOFTTOKEN"), *td;
	char *slash;
	int r;

	(void)argc;
	if (env != NULL)
		snprintf(bin, sizeof(bin), "%s", env);
	else {
		snprintf(bin, sizeof(bin), "%s", argv[0]);
		if ((slash = strrchr(bin, '/')) != NULL)
			*slash = '\0';
		else
			snprintf(bin, sizeof(bin), ".");
		strncat(bin, "/../softtoken/softtoken",
		    sizeof(bin) - strlen(bin) - 1);
	}
	if (access(bin, X_OK) != 0) {
		printf("1..0 # skip softtoken not built (%s)\n", bin);
		return 0;
	}
	if (secmem_init(0) != 0) {
		printf("Bail out! secmem_init\n");
		return 1;
	}
	td = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/test-token.XXXXXX", td);
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);

	test_errors();
	test_no_token();
	test_specs();
	test_enroll_sign();
	test_no_eddsa();
	test_pin();
	test_manage();
	test_resident();
	test_two_tokens();
	test_uv_two_tokens();
	test_touch();
	test_vanish();
	test_cancel();
	test_concurrent();
	measure();

	is_int(bad_exits, 0, "every softtoken exited 0 on SIGTERM");
	if ((r = tap_done()) == 0)
		cleanup();
	else
		tap_diag("logs kept in %s", tmpdir);
	return r;
}
