/*
 * The event loop: the listening socket, every connection, the worker
 * completions and helper processes, all in one epoll set on one thread.
 * Frames are capped before they are buffered; a connection with a request
 * in flight reads no further requests until it is answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <sodium.h>

#include "child.h"
#include "conn.h"
#include "keystore.h"
#include "log.h"
#include "loop.h"
#include "misc.h"
#include "pool.h"
#include "proto.h"
#include "request.h"

#define READ_CHUNK	(16 * 1024)
#define MAX_EVENTS	64
#define PARENT_CHECK_MS	10000

enum watch_kind { W_LISTEN, W_CONN, W_POOL, W_FD, W_DEAD };

/*
 * A watch is epoll's data.ptr: one batch of events may still name a watch
 * that an earlier event of the batch released, so released watches are
 * only marked W_DEAD and freed once the batch is done.
 */
struct watch {
	enum watch_kind kind;
	int fd;
	void (*cb)(int fd, void *arg);
	void *arg;
	struct conn *conn;
	struct watch *dead_next;
};

static int epfd = -1;
static int batch_left;		/* events still to handle in this epoll batch */
static struct conn *conns;
static size_t nconns;
static uint64_t wake_at_ms;
static int listen_paused;
static struct watch listen_watch, pool_watch;

static struct watch *graveyard;	/* released during this batch */
static int in_batch;

static void conn_close(struct conn *c);

static void
ep_mod(int fd, uint32_t events, struct watch *w, int op)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = w;
	if (epoll_ctl(epfd, op, fd, &ev) == -1 && op != EPOLL_CTL_DEL)
		error("epoll_ctl: %s", strerror(errno));
}

void
loop_wake_at(uint64_t ms)
{
	if (ms != 0 && (wake_at_ms == 0 || ms < wake_at_ms))
		wake_at_ms = ms;
}

/* Generic fd watches (helper processes' pipes). */
struct watch *
loop_watch_fd(int fd, void (*cb)(int, void *), void *arg)
{
	struct watch *w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->kind = W_FD;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ep_mod(fd, EPOLLIN, w, EPOLL_CTL_ADD);
	return w;
}

void
loop_watch_release(struct watch *w)
{
	if (w == NULL)
		return;
	if (!in_batch) {	/* no event can name it any more */
		free(w);
		return;
	}
	w->kind = W_DEAD;
	w->conn = NULL;
	w->dead_next = graveyard;
	graveyard = w;
}

static void
graveyard_free(void)
{
	struct watch *w;

	while ((w = graveyard) != NULL) {
		graveyard = w->dead_next;
		free(w);
	}
}

void
loop_unwatch_fd(struct watch *w)
{
	if (w == NULL)
		return;
	ep_mod(w->fd, 0, w, EPOLL_CTL_DEL);
	loop_watch_release(w);
}

static struct watch *
conn_watch(struct conn *c)
{
	return (struct watch *)c->loop_private;
}

static void
conn_update_events(struct conn *c)
{
	uint32_t ev = 0;

	if (conn_busy(c))
		ev |= EPOLLRDHUP;	/* a client that leaves cancels its request */
	else if (sshbuf_len(c->out) < CONN_OUT_HIGH)
		ev |= EPOLLIN;
	if (sshbuf_len(c->out) > 0)
		ev |= EPOLLOUT;
	if (ev == c->events)
		return;
	c->events = ev;
	ep_mod(c->fd, ev, conn_watch(c), EPOLL_CTL_MOD);
}

static int
conn_flush(struct conn *c)
{
	ssize_t n;

	while (sshbuf_len(c->out) > 0) {
		n = send(c->fd, sshbuf_ptr(c->out), sshbuf_len(c->out),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			debug("write to client: %s", strerror(errno));
			return -1;
		}
		if (sshbuf_consume(c->out, (size_t)n) != 0)
			return -1;
	}
	return 0;
}

/* After input was handled: send what can be sent, close if asked. */
void
loop_conn_update(struct conn *c)
{
	if (c->dead)
		return;
	if (conn_flush(c) != 0 || (c->close_after && sshbuf_len(c->out) == 0)) {
		conn_close(c);
		return;
	}
	conn_update_events(c);
}

/* Unlinks and closes; the memory waits for a request in flight. */
static void
conn_close(struct conn *c)
{
	if (c->dead)
		return;
	/* out of the set first: close() alone leaves it there while any
	 * other reference to the socket lives */
	ep_mod(c->fd, 0, conn_watch(c), EPOLL_CTL_DEL);
	close(c->fd);
	c->fd = -1;
	c->dead = 1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	nconns--;
	if (listen_paused) {
		listen_paused = 0;
		ep_mod(listen_watch.fd, EPOLLIN, &listen_watch, EPOLL_CTL_MOD);
	}
	conn_gone(c);	/* a request in flight is cancelled; it frees c */
}

static void
conn_read(struct conn *c)
{
	uint8_t *p;
	ssize_t n;

	for (;;) {
		/* a whole frame plus a chunk at most; the rest waits in the kernel */
		if (sshbuf_len(c->in) >= AGENT_MAX_LEN + 4)
			break;
		if (sshbuf_reserve(c->in, READ_CHUNK, &p) != 0) {
			conn_close(c);
			return;
		}
		n = recv(c->fd, p, READ_CHUNK, MSG_DONTWAIT);
		if (sshbuf_consume_end(c->in, n > 0 ? READ_CHUNK - (size_t)n :
		    READ_CHUNK) != 0) {
			conn_close(c);
			return;
		}
		if (n == 0) {
			conn_close(c);
			return;
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				conn_close(c);
				return;
			}
			break;
		}
		if (n < READ_CHUNK)
			break;
	}
	conn_input(c);
	loop_conn_update(c);
}

static void
handle_accept(int lfd)
{
	struct conn *c = NULL;
	struct watch *w = NULL;
	struct ucred cred;
	socklen_t credlen = sizeof(cred);
	int fd;

	/*
	 * One client per readiness: the listener is level-triggered, so a
	 * backlog still drains, and a lone connect (what ssh does) costs no
	 * accept that only says EAGAIN.
	 */
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno == EINTR)
			return;
		if (errno == EMFILE || errno == ENFILE ||
		    errno == ENOBUFS || errno == ENOMEM) {
			/* stop accepting until a client leaves */
			error("accept: %s; refusing new clients for now",
			    strerror(errno));
			listen_paused = 1;
			ep_mod(lfd, 0, &listen_watch, EPOLL_CTL_MOD);
		}
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == -1) {
		error("SO_PEERCRED: %s", strerror(errno));
		close(fd);
		return;
	}
	if (cred.uid != 0 && cred.uid != getuid()) {
		error("uid mismatch: peer euid %u != uid %u",
		    (unsigned)cred.uid, (unsigned)getuid());
		close(fd);
		return;
	}
	if ((c = conn_new(fd, cred.uid, cred.pid)) == NULL ||
	    (w = calloc(1, sizeof(*w))) == NULL) {
		error("accept: out of memory");
		close(fd);
		conn_free(c);
		return;
	}
	w->kind = W_CONN;
	w->fd = fd;
	w->conn = c;
	c->loop_private = w;
	c->events = EPOLLIN;
	c->next = conns;
	if (conns != NULL)
		conns->prev = c;
	conns = c;
	nconns++;
	ep_mod(fd, EPOLLIN, w, EPOLL_CTL_ADD);
	debug2("new connection fd %d from pid %ld", fd, (long)cred.pid);
}

static void
check_wakeups(uint64_t now)
{
	if (wake_at_ms == 0 || now < wake_at_ms)
		return;
	wake_at_ms = 0;
	loop_wake_at(keystore_expire(now));
	loop_wake_at(request_run_wakes(now));
}

int
loop_run(int listen_fd, pid_t parent_pid)
{
	struct epoll_event ev[MAX_EVENTS];
	struct watch *w;
	sigset_t nsigset, osigset;
	uint64_t now, next_parent_check = 0;
	int i, n, timeout;

	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		error("epoll_create1: %s", strerror(errno));
		return -1;
	}
	listen_watch.kind = W_LISTEN;
	listen_watch.fd = listen_fd;
	ep_mod(listen_fd, EPOLLIN, &listen_watch, EPOLL_CTL_ADD);
	pool_watch.kind = W_POOL;
	pool_watch.fd = pool_fd();
	ep_mod(pool_watch.fd, EPOLLIN, &pool_watch, EPOLL_CTL_ADD);

	/* signals arrive only inside epoll_pwait */
	loop_signals(&nsigset);
	sigprocmask(SIG_BLOCK, &nsigset, &osigset);
	if (parent_pid != 0)
		next_parent_check = monotime_ms() + PARENT_CHECK_MS;

	for (;;) {
		if (received_sigterm || received_sighup)
			break;
		if (received_sigusr1) {
			received_sigusr1 = 0;
			logit("SIGUSR1: removing all keys");
			proto_remove_all();
		}
		if (received_sigchld) {
			received_sigchld = 0;
			child_reap();
		}
		now = monotime_ms();
		check_wakeups(now);
		if (parent_pid != 0 && now >= next_parent_check) {
			if (getppid() != parent_pid) {
				logit("parent process exited; exiting");
				break;
			}
			next_parent_check = now + PARENT_CHECK_MS;
		}
		timeout = -1;
		if (wake_at_ms != 0)
			timeout = wake_at_ms > now ? (int)(wake_at_ms - now) : 0;
		if (parent_pid != 0) {
			int pt = (int)(next_parent_check - now);

			if (timeout == -1 || pt < timeout)
				timeout = pt < 0 ? 0 : pt;
		}
		n = epoll_pwait(epfd, ev, MAX_EVENTS, timeout, &osigset);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			error("epoll_wait: %s", strerror(errno));
			break;
		}
		in_batch = 1;
		for (i = 0; i < n; i++) {
			w = ev[i].data.ptr;
			batch_left = n - i - 1;
			switch (w->kind) {
			case W_DEAD:
				break;
			case W_LISTEN:
				handle_accept(w->fd);
				break;
			case W_POOL:
				pool_complete();
				break;
			case W_FD:
				w->cb(w->fd, w->arg);
				break;
			case W_CONN:
				if (w->conn->dead)
					break;
				if ((ev[i].events & (EPOLLERR | EPOLLHUP)) ||
				    ((ev[i].events & EPOLLRDHUP) && conn_busy(w->conn))) {
					/* the client is gone: nobody to answer */
					conn_close(w->conn);
					break;
				}
				if (ev[i].events & EPOLLOUT) {
					if (conn_flush(w->conn) != 0) {
						conn_close(w->conn);
						break;
					}
					if (w->conn->close_after &&
					    sshbuf_len(w->conn->out) == 0) {
						conn_close(w->conn);
						break;
					}
				}
				if ((ev[i].events & EPOLLIN) && !conn_busy(w->conn))
					conn_read(w->conn);
				else if (!w->conn->dead && !conn_busy(w->conn)) {
					conn_input(w->conn);	/* output drained */
					loop_conn_update(w->conn);
				}
				break;
			}
		}
		in_batch = 0;
		graveyard_free();
	}
	/* requests in flight end now: a token job must not keep us 30 s */
	while (conns != NULL)
		conn_close(conns);
	graveyard_free();
	sigprocmask(SIG_SETMASK, &osigset, NULL);
	return 0;
}

/* Nothing else is waiting in this round of events. */
int
loop_idle(void)
{
	return batch_left == 0;
}

size_t
loop_nconns(void)
{
	return nconns;
}
