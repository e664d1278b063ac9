/* PKCS#11 modules in skagent-pkcs11-helper processes: see p11.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "libexec.h"
#include "log.h"
#include "loop.h"
#include "p11.h"
#include "timer.h"

#define P11HELPER_NAME	"skagent-pkcs11-helper"
#define PIPE_WANT	(1024 * 1024)	/* a whole request, 256 KiB data and all */

struct p11_call {
	struct p11_module *m;
	uint8_t type;
	uint32_t seq;
	struct sshbuf *req;	/* its frame, until written */
	p11_call_fn *cb;
	void *arg;
	int cancelled;
	struct p11_call *next;
};

struct p11_module {
	char *path;
	struct child *child;
	int tofd, fromfd;	/* the request pipe's write end, the reply's read end */
	struct watch *w;
	size_t pipesz;		/* what the request pipe holds */
	struct sshbuf *in;	/* reply bytes read so far */
	struct timer *timer;	/* the call in flight's deadline */
	struct p11_call *calls;	/* in order; the first one is in the pipe if sent */
	int sent;
	uint32_t seq;
	int refs, closed, dead;
	struct p11_module *next;	/* registered, while not closed */
};

static struct p11_module *modules;

const char *
p11_helper_path(void)
{
	static char path[PATH_MAX];

	return helper_path(P11HELPER_NAME, "SKAGENT_PKCS11_HELPER", path,
	    sizeof(path));
}

uint64_t
p11_call_timeout_ms(void)
{
	const char *e = getenv("SKAGENT_PKCS11_TIMEOUT");
	char *end;
	unsigned long v;

	if (e == NULL || *e == '\0')
		return P11_CALL_TIMEOUT_MS;
	errno = 0;
	v = strtoul(e, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 3600)
		return P11_CALL_TIMEOUT_MS;
	return (uint64_t)v * 1000;
}

static void
call_free(struct p11_call *c)
{
	if (c == NULL)
		return;
	sshbuf_free(c->req);	/* wipes a PIN */
	free(c);
}

/* Ends every call in flight with r (callbacks of cancelled ones not run). */
static void
fail_calls(struct p11_module *m, int r)
{
	struct p11_call *c;

	while ((c = m->calls) != NULL) {
		m->calls = c->next;
		if (!c->cancelled)
			c->cb(r, NULL, c->arg);
		call_free(c);
	}
	m->sent = 0;
}

static void
drop_pipes(struct p11_module *m)
{
	if (m->w != NULL)
		loop_unwatch_fd(m->w);
	m->w = NULL;
	if (m->tofd != -1)
		close(m->tofd);
	if (m->fromfd != -1)
		close(m->fromfd);
	m->tofd = m->fromfd = -1;
	sshbuf_reset(m->in);
}

/* The helper is gone or useless: no more calls to it. */
static void
go_dead(struct p11_module *m, int r)
{
	if (m->dead)
		return;
	m->dead = 1;
	(void)timer_set(m->timer, 0);
	drop_pipes(m);
	fail_calls(m, r);
}

/*
 * SIGKILL, its exit still watched: on_exit_status fails the calls later,
 * never within the caller.
 */
static void
end_helper(struct p11_module *m)
{
	pid_t pid = child_pid(m->child);

	if (pid > 0)
		kill(pid, SIGKILL);
}

/* Writes the first call's frame when the pipe is free. */
static void
send_next(struct p11_module *m)
{
	struct p11_call *c;
	ssize_t n;

	while (!m->dead && !m->sent && (c = m->calls) != NULL) {
		if (c->cancelled && c->type == P11_SIGN) {
			m->calls = c->next;	/* nobody waits for it */
			call_free(c);
			continue;
		}
		if (sshbuf_len(c->req) > m->pipesz) {
			/* p11_module_sign refuses these: not reached */
			error("PKCS#11 request of %zu bytes: more than the helper's "
			    "pipe holds (%zu)", sshbuf_len(c->req), m->pipesz);
			end_helper(m);
			return;
		}
		/* the pipe is empty: the helper read the last request whole */
		while ((n = write(m->tofd, sshbuf_ptr(c->req),
		    sshbuf_len(c->req))) == -1 && errno == EINTR)
			;
		if (n < 0 || (size_t)n != sshbuf_len(c->req)) {
			/*
			 * Broken (it exited?): it dies, and its exit fails the
			 * calls, never inside p11_module_start or _sign.
			 */
			error("PKCS#11 helper for %s: cannot write a request: %s",
			    m->path, n < 0 ? strerror(errno) : "short write");
			end_helper(m);
			return;
		}
		sshbuf_free(c->req);
		c->req = NULL;
		m->sent = 1;
		(void)timer_set(m->timer, p11_call_timeout_ms());
	}
}

/* One reply body: the first call's answer. */
static int
take_reply(struct p11_module *m, const struct sshbuf *body)
{
	struct p11_msg *rep = NULL;
	struct p11_call *c = m->calls;
	int r;

	if ((r = p11_get_reply(body, &rep)) != 0)
		return r;
	if (c == NULL || !m->sent || rep->seq != c->seq || rep->type != c->type) {
		p11_msg_free(rep);
		return SKA_ERR_INVALID_FORMAT;
	}
	m->calls = c->next;
	m->sent = 0;
	(void)timer_set(m->timer, 0);
	if (!c->cancelled)
		c->cb(0, rep, c->arg);
	call_free(c);
	p11_msg_free(rep);
	return 0;
}

static void
on_reply(int fd, void *arg)
{
	struct p11_module *m = arg;
	struct sshbuf *body = NULL;
	uint8_t buf[8192];
	ssize_t n;
	int r = 0;

	p11_module_ref(m);	/* callbacks may let go of it */
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			if (n == 0)
				debug("PKCS#11 helper for %s closed its pipe",
				    m->path);
			else
				error("PKCS#11 helper for %s: read: %s",
				    m->path, strerror(errno));
			go_dead(m, SKA_ERR_CONN_CLOSED);
			goto out;
		}
		if (sshbuf_len(m->in) + (size_t)n > 4 + P11_MSG_MAX ||
		    sshbuf_put(m->in, buf, (size_t)n) != 0) {
			r = SKA_ERR_STRING_TOO_LARGE;
			break;
		}
		if ((size_t)n < sizeof(buf))
			break;
	}
	while (r == 0 && !m->dead &&
	    (r = p11_frame_take(m->in, &body)) == 0) {
		r = take_reply(m, body);
		sshbuf_free(body);
		body = NULL;
	}
	if (r != 0 && r != SKA_ERR_MESSAGE_INCOMPLETE && !m->dead) {
		error("PKCS#11 helper for %s: malformed reply: %s", m->path,
		    ska_err(r));
		p11_module_kill(m, SKA_ERR_INVALID_FORMAT);
	}
	send_next(m);
 out:
	explicit_bzero(buf, sizeof(buf));
	p11_module_unref(m);
}

/* The call in flight took too long: the helper hangs. */
static void
on_timeout(void *arg)
{
	struct p11_module *m = arg;

	if (!m->dead && m->sent)
		p11_module_kill(m, SKA_ERR_TIMEOUT);
}

static void
on_exit_status(int status, const char *out, size_t outlen, void *arg)
{
	struct p11_module *m = arg;

	m->child = NULL;
	if (WIFSIGNALED(status))
		error("PKCS#11 helper for %s killed by signal %d", m->path,
		    WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		error("PKCS#11 helper for %s: exit status %d", m->path,
		    WEXITSTATUS(status));
	else
		debug("PKCS#11 helper for %s exited", m->path);
	p11_module_ref(m);
	go_dead(m, SKA_ERR_CONN_CLOSED);
	p11_module_unref(m);
}

static struct p11_call *
queue_call(struct p11_module *m, uint8_t type, struct sshbuf *req,
    p11_call_fn *cb, void *arg)
{
	struct p11_call *c, **pp;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sshbuf_free(req);
		return NULL;
	}
	c->m = m;
	c->type = type;
	c->seq = m->seq;
	c->req = req;
	c->cb = cb;
	c->arg = arg;
	for (pp = &m->calls; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = c;
	return c;
}

struct p11_module *
p11_module_start(const char *path, const char *pin, p11_call_fn *cb,
    void *arg, struct p11_call **callp)
{
	const char *argv[2];
	struct p11_module *m = NULL;
	struct sshbuf *req = NULL;
	int reqp[2] = { -1, -1 }, repp[2] = { -1, -1 }, sz, r;

	*callp = NULL;
	if (path == NULL || path[0] != '/' || cb == NULL)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(path)) == NULL || (m->in = sshbuf_new()) == NULL ||
	    (m->timer = timer_new(on_timeout, m)) == NULL ||
	    (req = sshbuf_new()) == NULL)
		goto fail;
	m->tofd = m->fromfd = -1;
	m->refs = 1;
	m->seq = 1;
	if ((r = p11_put_load_req(m->seq, path, pin, req)) != 0) {
		error("PKCS#11 load request: %s", ska_err(r));
		goto fail;
	}
	if (pipe2(reqp, O_CLOEXEC) == -1 || pipe2(repp, O_CLOEXEC) == -1) {
		error("pipe: %s", strerror(errno));
		goto fail;
	}
	(void)fcntl(reqp[1], F_SETPIPE_SZ, PIPE_WANT);
	if ((sz = fcntl(reqp[1], F_GETPIPE_SZ)) <= 0)
		goto fail;
	m->pipesz = (size_t)sz;
	argv[0] = p11_helper_path();
	argv[1] = NULL;
	if ((m->child = child_spawn_fds(argv, NULL, reqp[0], repp[1],
	    on_exit_status, m)) == NULL) {
		error("cannot run %s", argv[0]);
		goto fail;
	}
	close(reqp[0]);
	close(repp[1]);
	m->tofd = reqp[1];
	m->fromfd = repp[0];
	reqp[1] = repp[0] = -1;
	if (fcntl(m->tofd, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(m->fromfd, F_SETFL, O_NONBLOCK) == -1 ||
	    (m->w = loop_watch_fd(m->fromfd, on_reply, m)) == NULL) {
		error("PKCS#11 helper for %s: %s", path, strerror(errno));
		goto fail_child;
	}
	if ((*callp = queue_call(m, P11_LOAD, req, cb, arg)) == NULL) {
		req = NULL;
		goto fail_child;
	}
	req = NULL;
	m->next = modules;
	modules = m;
	debug("PKCS#11 helper %ld for %s", (long)child_pid(m->child), path);
	send_next(m);
	return m;
 fail_child:
	child_kill_signal(m->child, SIGKILL);
	m->child = NULL;
 fail:
	if (reqp[0] != -1)
		close(reqp[0]);
	if (reqp[1] != -1)
		close(reqp[1]);
	if (repp[0] != -1)
		close(repp[0]);
	if (repp[1] != -1)
		close(repp[1]);
	sshbuf_free(req);
	if (m != NULL) {
		drop_pipes(m);
		timer_free(m->timer);
		sshbuf_free(m->in);
		free(m->path);
		free(m);
	}
	return NULL;
}

struct p11_call *
p11_module_sign(struct p11_module *m, uint32_t key, uint32_t mech,
    const uint8_t *tbs, size_t tbslen, const char *pin, p11_call_fn *cb,
    void *arg)
{
	struct sshbuf *req = NULL;
	struct p11_call *c;
	int r;

	if (m == NULL || !p11_module_alive(m) || cb == NULL)
		return NULL;
	if ((req = sshbuf_new()) == NULL)
		return NULL;
	m->seq++;
	if ((r = p11_put_sign_req(m->seq, key, mech, tbs, tbslen, pin,
	    req)) != 0 ||
	    sshbuf_len(req) > m->pipesz) {
		error("PKCS#11 sign request: %s", r != 0 ? ska_err(r) :
		    "larger than the helper's pipe");
		sshbuf_free(req);
		return NULL;
	}
	if ((c = queue_call(m, P11_SIGN, req, cb, arg)) == NULL)
		return NULL;
	send_next(m);
	return c;
}

void
p11_call_cancel(struct p11_call *c)
{
	if (c != NULL)
		c->cancelled = 1;	/* its answer is read and dropped */
}

struct p11_module *
p11_module_find(const char *path)
{
	struct p11_module *m;

	for (m = modules; m != NULL; m = m->next)
		if (strcmp(m->path, path) == 0)
			return m;
	return NULL;
}

const char *
p11_module_path(const struct p11_module *m)
{
	return m->path;
}

int
p11_module_alive(const struct p11_module *m)
{
	return m != NULL && !m->dead && !m->closed;
}

long
p11_module_pid(const struct p11_module *m)
{
	return m == NULL ? -1 : (long)child_pid(m->child);
}

void
p11_module_kill(struct p11_module *m, int r)
{
	if (m == NULL)
		return;
	if (m->child != NULL) {
		error("PKCS#11 helper %ld for %s: %s; killed", p11_module_pid(m),
		    m->path, ska_err(r));
		child_kill_signal(m->child, SIGKILL);
		m->child = NULL;
	}
	p11_module_ref(m);
	go_dead(m, r);
	p11_module_unref(m);
}

void
p11_module_ref(struct p11_module *m)
{
	if (m != NULL)
		m->refs++;
}

static void
unregister(struct p11_module *m)
{
	struct p11_module **pp;

	for (pp = &modules; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	m->next = NULL;
}

void
p11_module_close(struct p11_module *m)
{
	if (m == NULL || m->closed)
		return;
	p11_module_ref(m);
	m->closed = 1;
	unregister(m);
	if (m->sent && m->child != NULL) {
		/* it has not answered: it may never, so no waiting on it */
		child_kill_signal(m->child, SIGKILL);
		m->child = NULL;
	} else if (m->child != NULL) {
		/* EOF on its pipe: it finalizes the module and exits */
		child_detach(m->child);
		m->child = NULL;
	}
	go_dead(m, SKA_ERR_CANCELLED);
	p11_module_unref(m);
}

void
p11_module_unref(struct p11_module *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	m->refs = 1;	/* closing runs callbacks that may ref and unref */
	p11_module_close(m);
	timer_free(m->timer);
	sshbuf_free(m->in);
	free(m->path);
	free(m);
}

void
p11_module_close_all(void)
{
	while (modules != NULL)
		p11_module_close(modules);
}
