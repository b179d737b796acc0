/*
 * log.h - where the messages of the rowfs daemon go.
 *
 * Module log owns struct log: every message the daemon has for a person
 * (a refused start-up, an I/O error met while serving, libfuse's own
 * complaints) goes through log_msg(), which sends it to syslog (ident
 * "rowfs", LOG_PID, facility LOG_DAEMON) and, while the daemon still has
 * a terminal or was started with -f, to stderr as "rowfs: MESSAGE".
 * It is the one place messages pass, so that what else keeps them (the
 * mount's `log` file, a ring of recent messages) is added here alone.
 *
 * Levels are syslog(3)'s (LOG_ERR, LOG_WARNING, LOG_INFO, ...).  stderr
 * gets LOG_WARNING and worse: what the daemon printed there before it
 * also spoke to syslog.  LOG_DEBUG goes to stderr only (libfuse's -d
 * trace would flood syslog).
 */
#ifndef ROWFS_FS_LOG_H
#define ROWFS_FS_LOG_H

#include <pthread.h>
#include <stdarg.h>

/* Longest line a raw message may build up in pieces before it is sent. */
#define LOG_PARTIAL_SIZE 1024

/* The daemon's message sink.  One per process (syslog is per process). */
struct log {
	pthread_mutex_t lock;  /* one message at a time: lines of a message stay together */
	int to_stderr;         /* also print to stderr (LOG_WARNING and worse, LOG_DEBUG) */
	const char *ident;     /* the program name: syslog ident and stderr prefix */
	char partial[LOG_PARTIAL_SIZE]; /* raw text not yet ended by '\n' (libfuse
				   prints a line in several calls), under lock */
	size_t partial_len;    /* bytes in partial */
	int partial_level;     /* level of the first piece in partial */
};

/*
 * log_init - open the syslog connection (lazily, as syslog(3) does: no
 * syslog daemon is no error) and start with stderr on.  ident must live
 * as long as log.  Returns 0 or -errno (mutex creation).
 */
int log_init(struct log *log, const char *ident);

/*
 * log_set_stderr - on (1) or off (0): off once the daemon has detached
 * (its stderr is /dev/null then) unless it runs in the foreground.
 */
void log_set_stderr(struct log *log, int on);

/*
 * log_msg - one message at level: printf-style, no trailing newline.  A
 * message of several lines becomes one syslog record per line, and on
 * stderr one "IDENT: LINE" per line.  log NULL: the message goes nowhere
 * (modules used without a daemon, as in the unit tests).
 */
void log_msg(struct log *log, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * log_vraw - text that names its own origin (libfuse's "fuse: ..." lines,
 * from its fuse_log callback, which may print one line in several calls):
 * stderr gets the text as it is, syslog one record per complete line (at
 * the level of its first piece), without the newline.
 */
void log_vraw(struct log *log, int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * log_release - send what raw text lacks its newline, close the syslog
 * connection and destroy the mutex.
 */
void log_release(struct log *log);

#endif /* ROWFS_FS_LOG_H */
