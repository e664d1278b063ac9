/* log.c: stderr in the foreground, syslog otherwise; never a secret. */
#ifndef SKA_LOG_H
#define SKA_LOG_H

#define LOG_LEVEL_QUIET	-1	/* nothing at all (fuzzing) */
#define LOG_LEVEL_INFO	0
#define LOG_LEVEL_DEBUG	1
#define LOG_LEVEL_DEBUG2 2

void log_init(const char *progname, int to_stderr, int level);
void logit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug2(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_level(void);

#endif
