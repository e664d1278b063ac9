/* Questions on the requester's terminal (see termask.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "loop.h"
#include "secmem.h"
#include "term.h"
#include "termask.h"

#define CHANGED_LFLAGS	(ICANON | ECHO | ECHONL | ISIG | IEXTEN)
#define READ_CHUNK	64

/* A terminal with questions on it: the first is shown, the rest wait. */
struct tterm {
	dev_t rdev;
	struct term_ask *head;
	struct tterm *next;
};

struct term_ask {
	struct tterm *tt;
	int fd;
	enum term_ask_kind kind;
	char *text;
	term_ask_fn *cb;
	void *arg;
	int shown;		/* the modes are ours; saved holds the old */
	struct termios saved;
	struct watch *w;
	char *buf;		/* TERM_ASK_MAX bytes of locked memory */
	size_t len;
	struct term_ask *next;	/* in tt's queue */
};

static struct tterm *terms;
static size_t nasks;

static struct tterm *
tterm_find(dev_t rdev)
{
	struct tterm *tt;

	for (tt = terms; tt != NULL; tt = tt->next)
		if (tt->rdev == rdev)
			return tt;
	return NULL;
}

/* The modes we changed, back as they were. */
static void
restore(struct term_ask *a)
{
	struct termios now;

	if (!a->shown)
		return;
	a->shown = 0;
	if (tcgetattr(a->fd, &now) != 0)
		now = a->saved;
	now.c_lflag = (now.c_lflag & ~(tcflag_t)CHANGED_LFLAGS) |
	    (a->saved.c_lflag & CHANGED_LFLAGS);
	now.c_cc[VMIN] = a->saved.c_cc[VMIN];
	now.c_cc[VTIME] = a->saved.c_cc[VTIME];
	/* TCSANOW: TCSADRAIN would wait on a terminal stopped by Ctrl-S */
	while (tcsetattr(a->fd, TCSANOW, &now) == -1 && errno == EINTR)
		;
}

/* Takes a out of its terminal's queue, and the terminal out when empty. */
static void
unqueue(struct term_ask *a)
{
	struct tterm *tt = a->tt, **tp;
	struct term_ask **ap;

	for (ap = &tt->head; *ap != NULL; ap = &(*ap)->next) {
		if (*ap == a) {
			*ap = a->next;
			break;
		}
	}
	a->next = NULL;
	a->tt = NULL;
	if (tt->head != NULL)
		return;
	for (tp = &terms; *tp != NULL; tp = &(*tp)->next) {
		if (*tp == tt) {
			*tp = tt->next;
			break;
		}
	}
	free(tt);
}

static void
ask_free(struct term_ask *a)
{
	if (a->w != NULL)
		loop_unwatch_fd(a->w);
	if (a->fd != -1)
		close(a->fd);
	secmem_free(a->buf, TERM_ASK_MAX);
	free(a->text);
	free(a);
	nasks--;
}

static void show_head(dev_t rdev);

/*
 * Ends a question: its modes back, tail written (NULL: nothing), out of
 * its queue; cb (when call) with r; then the next question on that
 * terminal is shown.
 */
static void
finish(struct term_ask *a, int r, const char *tail, int call)
{
	term_ask_fn *cb = a->cb;
	void *arg = a->arg;
	char *answer = NULL;
	dev_t rdev = a->tt->rdev;

	if (a->shown) {
		restore(a);
		if (tail != NULL)
			(void)term_write(a->fd, tail);
	}
	if (r == 0 && a->kind == TERM_ASK_SECRET && call) {
		if ((answer = secmem_alloc(a->len + 1)) == NULL)
			r = SKA_ERR_ALLOC_FAIL;
		else
			memcpy(answer, a->buf, a->len);
	}
	unqueue(a);
	ask_free(a);
	if (call)
		cb(r, answer, arg);
	/* cb may have ended others: look the terminal up again */
	show_head(rdev);
}

/* The answer is complete. */
static void
submit(struct term_ask *a)
{
	int r = 0;

	a->buf[a->len] = '\0';
	if (a->kind == TERM_ASK_CONFIRM)
		r = strcasecmp(a->buf, "yes") == 0 ? 0 :
		    a->len == 0 ? SKA_ERR_CANCELLED : SKA_ERR_CONFIRM_DENIED;
	else if (a->len == 0)
		r = SKA_ERR_CANCELLED;
	finish(a, r, "\n", 1);
}

/* Is ch the terminal's special character idx (not disabled)? */
static int
special(const struct term_ask *a, int idx, unsigned char ch)
{
	cc_t c = a->saved.c_cc[idx];

	return c != _POSIX_VDISABLE && ch == c;
}

static void
echo(struct term_ask *a, const char *s, size_t n)
{
	ssize_t w;

	if (a->kind != TERM_ASK_CONFIRM)
		return;
	while ((w = write(a->fd, s, n)) == -1 && errno == EINTR)
		;
}

/* Drops the last character (UTF-8: its continuation bytes too). */
static void
erase_one(struct term_ask *a)
{
	if (a->len == 0)
		return;
	while (a->len > 0 && ((unsigned char)a->buf[--a->len] & 0xc0) == 0x80)
		;
	echo(a, "\b \b", 3);
}

/*
 * One byte typed.  1 when the question ended (a is gone), 0 to go on.
 */
static int
key(struct term_ask *a, unsigned char ch)
{
	char caret[] = { '^', (char)(ch == 0x7f ? '?' : (ch & 0x1f) + '@'),
	    '\n', '\0' };

	if (special(a, VINTR, ch) || special(a, VQUIT, ch) ||
	    special(a, VSUSP, ch)) {
		/* shown as the terminal would echo it: ^C */
		finish(a, SKA_ERR_CANCELLED, caret, 1);
		return 1;
	}
	if (special(a, VEOF, ch) && a->len == 0) {
		finish(a, SKA_ERR_CANCELLED, "\n", 1);
		return 1;
	}
	if (ch == '\n' || ch == '\r' || special(a, VEOL, ch) ||
	    special(a, VEOF, ch)) {
		submit(a);
		return 1;
	}
	if (special(a, VERASE, ch) || ch == '\b' || ch == 0x7f)
		erase_one(a);
	else if (special(a, VKILL, ch) || special(a, VWERASE, ch)) {
		while (a->len > 0)
			erase_one(a);
	} else if (ch >= 0x20 && a->len < TERM_ASK_MAX - 1) {
		a->buf[a->len++] = (char)ch;
		echo(a, (const char *)&ch, 1);
	}
	return 0;
}

static void
on_input(int fd, void *arg)
{
	struct term_ask *a = arg;
	unsigned char chunk[READ_CHUNK];
	ssize_t n, i;

	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1 &&
		    errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* hung up (EIO, EOF): nobody left to answer */
			finish(a, SKA_ERR_PROMPT_UNAVAILABLE, NULL, 1);
			return;
		}
		for (i = 0; i < n; i++) {
			if (key(a, chunk[i])) {
				sodium_memzero(chunk, sizeof(chunk));
				return;
			}
		}
		sodium_memzero(chunk, sizeof(chunk));
	}
}

/* Puts the question on its terminal; 0, or -1 with *whyp. */
static int
show(struct term_ask *a, const char **whyp)
{
	struct termios t;

	if (tcgetattr(a->fd, &a->saved) != 0) {
		*whyp = "the terminal's modes cannot be read";
		return -1;
	}
	if (!(a->saved.c_lflag & ICANON)) {
		*whyp = "a full-screen program has the terminal";
		return -1;
	}
	t = a->saved;
	t.c_lflag &= ~(tcflag_t)CHANGED_LFLAGS;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(a->fd, TCSANOW, &t) != 0) {
		*whyp = "the terminal's modes cannot be set";
		return -1;
	}
	a->shown = 1;
	(void)tcflush(a->fd, TCIFLUSH);	/* type-ahead is no answer */
	if ((a->w = loop_watch_fd(a->fd, on_input, a)) == NULL) {
		restore(a);
		*whyp = "out of memory";
		return -1;
	}
	(void)term_write(a->fd, a->text);
	return 0;
}

/* Shows the first question waiting on rdev's terminal, if none is shown. */
static void
show_head(dev_t rdev)
{
	struct tterm *tt;
	struct term_ask *a;
	const char *why;

	while ((tt = tterm_find(rdev)) != NULL && (a = tt->head) != NULL &&
	    !a->shown) {
		if (show(a, &why) == 0)
			return;
		logit("cannot ask on %s: %s", "the requester's terminal", why);
		finish(a, SKA_ERR_PROMPT_UNAVAILABLE, NULL, 1);
		/* finish showed the next one, or there is none */
		return;
	}
}

int
term_ask_start(pid_t pid, uid_t peer, enum term_ask_kind kind,
    const char *text, term_ask_fn *cb, void *arg, struct term_ask **ap,
    const char **whyp)
{
	struct term_ask *a = NULL, **qp;
	struct term_id t;
	struct tterm *tt;
	int fd = -1, r;

	*ap = NULL;
	*whyp = NULL;
	if ((fd = term_open_for(pid, peer, &t, whyp)) == -1)
		return SKA_ERR_PROMPT_UNAVAILABLE;
	if (!t.foreground) {
		*whyp = "the requesting program is not in the foreground of "
		    "its terminal";
		r = SKA_ERR_PROMPT_UNAVAILABLE;
		goto out;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->buf = secmem_alloc(TERM_ASK_MAX)) == NULL ||
	    (a->text = strdup(text)) == NULL) {
		r = SKA_ERR_ALLOC_FAIL;
		goto out;
	}
	if ((tt = tterm_find(t.rdev)) == NULL) {
		if ((tt = calloc(1, sizeof(*tt))) == NULL) {
			r = SKA_ERR_ALLOC_FAIL;
			goto out;
		}
		tt->rdev = t.rdev;
		tt->next = terms;
		terms = tt;
	}
	nasks++;
	a->fd = fd;
	fd = -1;
	a->kind = kind;
	a->cb = cb;
	a->arg = arg;
	a->tt = tt;
	for (qp = &tt->head; *qp != NULL; qp = &(*qp)->next)
		;
	*qp = a;
	if (tt->head == a && show(a, whyp) != 0) {
		unqueue(a);
		ask_free(a);
		return SKA_ERR_PROMPT_UNAVAILABLE;
	}
	*ap = a;
	return 0;
 out:
	if (fd != -1)
		close(fd);
	if (a != NULL) {
		secmem_free(a->buf, TERM_ASK_MAX);
		free(a->text);
		free(a);
	}
	return r;
}

void
term_ask_cancel(struct term_ask *a, const char *why)
{
	char *tail = NULL;

	if (a == NULL)
		return;
	if (why != NULL && asprintf(&tail, "\n%s\n", why) < 0)
		tail = NULL;
	finish(a, SKA_ERR_CANCELLED, tail != NULL ? tail : "\n", 0);
	free(tail);
}

size_t
term_ask_count(void)
{
	return nasks;
}

void
term_ask_shutdown(void)
{
	struct term_ask *a;

	while (terms != NULL) {
		a = terms->head;
		if (a->shown) {
			restore(a);
			(void)term_write(a->fd, "\nskagent: stopping\n");
		}
		unqueue(a);
		ask_free(a);
	}
}
