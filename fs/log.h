/*
 * log.h - where the messages of the rowfs daemon go.
 *
 * Module log owns struct log: every message the daemon has for a person
 * (a refused start-up, an I/O error met while serving, a failed statement,
 * a recovery or a checkpoint of the engine, libfuse's own complaints) goes
 * through log_msg(), which sends it to syslog (ident "rowfs", LOG_PID,
 * facility LOG_DAEMON), keeps it in a ring of recent lines (the mount's
 * `log` file) and, while the daemon still has a terminal or was started
 * with -f, prints it to stderr as "rowfs: MESSAGE".
 *
 * Levels are syslog(3)'s (LOG_ERR, LOG_WARNING, LOG_INFO, ...).  stderr
 * gets LOG_WARNING and worse: what the daemon printed there before it
 * also spoke to syslog.  LOG_DEBUG goes to stderr only (libfuse's -d
 * trace would flood syslog and the ring).
 *
 * The ring: each line of a message becomes one line
 *
 *	2026-12-08T01:02:03.456Z err TEXT
 *
 * (the time in UTC, ISO 8601 with milliseconds, then the level's syslog
 * name: emerg alert crit err warning notice info) of at most LOG_LINE_MAX
 * bytes (a longer text is cut and ends in "...").  It keeps the newest
 * LOG_RING_SIZE bytes of lines, whole lines: the oldest lines are dropped
 * to make room.  Its bytes have absolute offsets: byte N is the Nth byte
 * ever put into the ring.  A reader has a base, the absolute offset its
 * offset 0 stands for: log_ring_start() (the oldest line kept) when it
 * starts, so it reads the lines kept and then every line that comes, at
 * growing offsets, while the oldest lines are dropped behind it.
 */
#ifndef ROWFS_FS_LOG_H
#define ROWFS_FS_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Longest line a raw message may build up in pieces before it is sent. */
#define LOG_PARTIAL_SIZE 1024

/* Bytes of recent lines the ring keeps (the `log` file), whole lines. */
#define LOG_RING_SIZE (256u * 1024u)

/* Longest line of the ring, time, level and newline included. */
#define LOG_LINE_MAX 2048u

/* The daemon's message sink.  One per process (syslog is per process). */
struct log {
	pthread_mutex_t lock;  /* one message at a time: lines of a message stay together */
	int to_stderr;         /* also print to stderr (LOG_WARNING and worse, LOG_DEBUG) */
	const char *ident;     /* the program name: syslog ident and stderr prefix */
	char partial[LOG_PARTIAL_SIZE]; /* raw text not yet ended by '\n' (libfuse
				   prints a line in several calls), under lock */
	size_t partial_len;    /* bytes in partial */
	int partial_level;     /* level of the first piece in partial */
	int to_syslog;         /* also send to syslog (on unless log_set_syslog turned it off) */
	char *ring;            /* LOG_RING_SIZE bytes, circular: the byte at absolute offset a
				  is ring[a % LOG_RING_SIZE]; NULL when it could not be
				  allocated (nothing is kept then); under lock */
	uint64_t ring_start;   /* absolute offset of the oldest byte kept (a line's first) */
	uint64_t ring_end;     /* absolute offset past the newest byte: every byte ever kept */
	struct timespec ring_time; /* CLOCK_REALTIME of the newest line (of log_init before one) */
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

/* log_set_syslog - on (1, the default) or off (0: unit tests of the ring). */
void log_set_syslog(struct log *log, int on);

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
 * log_event - a rowfs_event_fn (rowfs.h) for struct rowfs_config.event,
 * ctx the struct log: an engine event as one message, a recovery at
 * LOG_NOTICE, a checkpoint at LOG_INFO, an I/O error at LOG_ERR.
 */
void log_event(void *ctx, int event, const char *msg);

/*
 * log_ring_start - the absolute offset of the oldest byte kept (the
 * first of a line): a new reader's base.  log NULL: 0.
 */
uint64_t log_ring_start(struct log *log);

/*
 * log_ring_stat - the size of the ring as a reader with base *base sees
 * it (the offset past the newest byte: it grows with every line), or with
 * base NULL as a new reader would (the bytes kept), into *size; the time
 * of its newest line (of log_init before any) into *mtime.  *base is read
 * under the ring's lock, as log_ring_read changes it.  log NULL: 0 and
 * the epoch.
 */
void log_ring_stat(struct log *log, const uint64_t *base, uint64_t *size,
		   struct timespec *mtime);

/*
 * log_ring_read - copy up to size bytes of the ring into buf, from the
 * absolute offset *base + off (*base: the reader's base).  When that is
 * older than the oldest byte kept (dropped since), the read starts at the
 * oldest kept line instead and *base grows by the difference, so the
 * reader's later offsets go on from there.  Returns the bytes copied, 0
 * at the end.  log NULL: 0.
 */
size_t log_ring_read(struct log *log, char *buf, size_t size, uint64_t off, uint64_t *base);

/*
 * log_release - send what raw text lacks its newline, close the syslog
 * connection, free the ring and destroy the mutex.
 */
void log_release(struct log *log);

#endif /* ROWFS_FS_LOG_H */
