/* Logging: stderr in the foreground, syslog when daemonised. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_stderr = 1;
static int log_lvl = LOG_LEVEL_INFO;
static const char *log_prog = "skagent";

void
log_init(const char *progname, int to_stderr, int level)
{
	log_prog = progname;
	log_stderr = to_stderr;
	log_lvl = level;
	if (!to_stderr)
		openlog(progname, LOG_PID, LOG_AUTH);
}

int
log_level(void)
{
	return log_lvl;
}

static void
vlog(int prio, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;

	if (log_lvl == LOG_LEVEL_QUIET)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_stderr)
		fprintf(stderr, "%s\r\n", msg);
	else
		syslog(prio, "%s", msg);
	errno = saved;
}

void
logit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
debug(const char *fmt, ...)
{
	va_list ap;

	if (log_lvl < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
debug2(const char *fmt, ...)
{
	va_list ap;

	if (log_lvl < LOG_LEVEL_DEBUG2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}
