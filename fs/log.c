/*
 * log.c - owns struct log: the daemon's messages to syslog, the ring of
 * recent lines (the mount's `log` file) and stderr.
 *
 * A message is formatted once (on the stack when it fits, else in a
 * malloc'd buffer of its exact size), then cut at its newlines: each line
 * is one syslog record, one ring line and, when stderr is on, one stderr
 * line.  Raw text (libfuse's) reaches stderr untouched, and syslog and the
 * ring once a line is complete: libfuse prints some lines in several
 * calls.  syslog(3) connects lazily and drops records when no syslog
 * daemon listens, so a container without /dev/log costs nothing.
 *
 * The ring is one buffer of LOG_RING_SIZE bytes used circularly, with
 * absolute offsets ring_start <= ring_end (ring_end - ring_start <=
 * LOG_RING_SIZE).  Invariants: every line kept ends in '\n', and
 * ring_start is the first byte of a line.  A new line of n bytes first
 * drops whole lines from ring_start (each up to its '\n') until n more
 * bytes fit, then is copied in, wrapping at the buffer's end.
 */
#include <config.h>
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "rowfs.h"

/* Messages that fit here are not allocated. */
#define LOG_STACK_SIZE 1024

int log_init(struct log *log, const char *ident)
{
	int rc = pthread_mutex_init(&log->lock, NULL);

	if (rc != 0)
		return -rc;
	log->to_stderr = 1;
	log->ident = ident;
	log->partial_len = 0;
	log->partial_level = LOG_ERR;
	log->to_syslog = 1;
	log->ring = malloc(LOG_RING_SIZE);   /* NULL: no ring, messages still go out */
	log->ring_start = log->ring_end = 0;
	clock_gettime(CLOCK_REALTIME, &log->ring_time);
	openlog(ident, LOG_PID, LOG_DAEMON);
	return 0;
}

void log_set_stderr(struct log *log, int on)
{
	pthread_mutex_lock(&log->lock);
	log->to_stderr = on;
	pthread_mutex_unlock(&log->lock);
}

void log_set_syslog(struct log *log, int on)
{
	pthread_mutex_lock(&log->lock);
	log->to_syslog = on;
	pthread_mutex_unlock(&log->lock);
}

/* ---- the ring ---- */

/* syslog's name of a level, as the ring shows it. */
static const char *level_name(int level)
{
	static const char *const names[] = {"emerg", "alert", "crit", "err",
					    "warning", "notice", "info", "debug"};

	return level >= 0 && level <= LOG_DEBUG ? names[level] : "err";
}

/* Drop the oldest line kept (there is one).  Under lock. */
static void ring_drop_line(struct log *log)
{
	size_t at = (size_t)(log->ring_start % LOG_RING_SIZE);
	size_t used = (size_t)(log->ring_end - log->ring_start);
	size_t first = used < LOG_RING_SIZE - at ? used : LOG_RING_SIZE - at;
	const char *nl = memchr(log->ring + at, '\n', first);

	if (nl) {
		log->ring_start += (uint64_t)(nl - (log->ring + at)) + 1;
		return;
	}
	nl = memchr(log->ring, '\n', used - first);
	/* every line kept ends in '\n'; without one, drop everything */
	log->ring_start = nl ? log->ring_start + first + (uint64_t)(nl - log->ring) + 1 :
			       log->ring_end;
}

/* Copy p[0..n) in at ring_end, wrapping.  Under lock; the room was made. */
static void ring_copy_in(struct log *log, const char *p, size_t n)
{
	size_t at = (size_t)(log->ring_end % LOG_RING_SIZE);
	size_t first = n < LOG_RING_SIZE - at ? n : LOG_RING_SIZE - at;

	memcpy(log->ring + at, p, first);
	memcpy(log->ring, p + first, n - first);
	log->ring_end += n;
}

/*
 * Keep text[0..len) (no newline in it) as one ring line at level, with
 * the time and level before it.  Under lock.
 */
static void ring_put(struct log *log, int level, const char *text, size_t len)
{
	char line[LOG_LINE_MAX];
	struct timespec now;
	struct tm tm;
	size_t n, room;

	if (!log->ring || level == LOG_DEBUG)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n, ".%03ldZ %s ", now.tv_nsec / 1000000,
			      level_name(level));
	room = sizeof(line) - n - 1;   /* the newline */
	if (len > room) {
		memcpy(line + n, text, room - 3);
		memcpy(line + n + room - 3, "...", 3);
		n += room;
	} else {
		memcpy(line + n, text, len);
		n += len;
	}
	line[n++] = '\n';
	while (log->ring_end + n - log->ring_start > LOG_RING_SIZE)
		ring_drop_line(log);
	ring_copy_in(log, line, n);
	log->ring_time = now;
}

uint64_t log_ring_start(struct log *log)
{
	uint64_t start;

	if (!log)
		return 0;
	pthread_mutex_lock(&log->lock);
	start = log->ring_start;
	pthread_mutex_unlock(&log->lock);
	return start;
}

void log_ring_stat(struct log *log, const uint64_t *base, uint64_t *size,
		   struct timespec *mtime)
{
	if (!log) {
		*size = 0;
		mtime->tv_sec = 0;
		mtime->tv_nsec = 0;
		return;
	}
	pthread_mutex_lock(&log->lock);
	*size = log->ring_end - (base ? *base : log->ring_start);
	*mtime = log->ring_time;
	pthread_mutex_unlock(&log->lock);
}

size_t log_ring_read(struct log *log, char *buf, size_t size, uint64_t off, uint64_t *base)
{
	uint64_t a;
	size_t at, n, first;

	if (!log)
		return 0;
	pthread_mutex_lock(&log->lock);
	a = off + *base;
	if (a < log->ring_start) {
		*base += log->ring_start - a;   /* what was dropped is skipped, once */
		a = log->ring_start;
	}
	n = a < log->ring_end ? (size_t)(log->ring_end - a) : 0;
	if (n > size)
		n = size;
	if (n > 0) {
		at = (size_t)(a % LOG_RING_SIZE);
		first = n < LOG_RING_SIZE - at ? n : LOG_RING_SIZE - at;
		memcpy(buf, log->ring + at, first);
		memcpy(buf + first, log->ring, n - first);
	}
	pthread_mutex_unlock(&log->lock);
	return n;
}

/* ---- messages ---- */

/*
 * Format fmt/ap into stack (LOG_STACK_SIZE bytes) or a malloc'd buffer.
 * Returns the text (free it when it is not stack), or NULL.
 */
static char *format(char *stack, const char *fmt, va_list ap)
{
	va_list again;
	char *text;
	int n;

	va_copy(again, ap);
	n = vsnprintf(stack, LOG_STACK_SIZE, fmt, ap);
	if (n < 0) {
		va_end(again);
		return NULL;
	}
	if (n < LOG_STACK_SIZE) {
		va_end(again);
		return stack;
	}
	text = malloc((size_t)n + 1);
	if (!text) {
		va_end(again);
		return stack;   /* out of memory: the truncated text */
	}
	vsnprintf(text, (size_t)n + 1, fmt, again);
	va_end(again);
	return text;
}

/* Does a message of level go to stderr (when stderr is on)? */
static int for_stderr(int level)
{
	return level <= LOG_WARNING || level == LOG_DEBUG;
}

/* Send text at level: one syslog record and stderr line per line.  Under lock. */
static void emit_lines(struct log *log, int level, const char *text)
{
	const char *line = text, *nl;
	int len;

	while (*line) {
		nl = strchr(line, '\n');
		len = nl ? (int)(nl - line) : (int)strlen(line);
		if (level != LOG_DEBUG && log->to_syslog)
			syslog(level, "%.*s", len, line);
		ring_put(log, level, line, (size_t)len);
		if (log->to_stderr && for_stderr(level))
			fprintf(stderr, "%s: %.*s\n", log->ident, len, line);
		if (!nl)
			break;
		line = nl + 1;
	}
}

/* Send partial as one syslog record and empty it.  Under lock. */
static void flush_partial(struct log *log)
{
	if (log->partial_len > 0 && log->partial_level != LOG_DEBUG && log->to_syslog)
		syslog(log->partial_level, "%.*s", (int)log->partial_len, log->partial);
	if (log->partial_len > 0)
		ring_put(log, log->partial_level, log->partial, log->partial_len);
	log->partial_len = 0;
}

/* Raw text: to stderr as it is; to syslog line by line through partial.  Under lock. */
static void emit_raw(struct log *log, int level, const char *text)
{
	const char *p;

	if (log->to_stderr)
		fputs(text, stderr);
	for (p = text; *p; p++) {
		if (*p == '\n') {
			flush_partial(log);
			continue;
		}
		if (log->partial_len == sizeof(log->partial))
			flush_partial(log);   /* an overlong line: sent in pieces */
		if (log->partial_len == 0)
			log->partial_level = level;
		log->partial[log->partial_len++] = *p;
	}
}

/* Format and emit; raw: stderr gets the text untouched. */
static void vlog(struct log *log, int level, int raw, const char *fmt, va_list ap)
{
	char stack[LOG_STACK_SIZE];
	char *text;
	int saved = errno;

	if (!log)
		return;
	text = format(stack, fmt, ap);
	if (text) {
		pthread_mutex_lock(&log->lock);
		if (raw)
			emit_raw(log, level, text);
		else
			emit_lines(log, level, text);
		pthread_mutex_unlock(&log->lock);
		if (text != stack)
			free(text);
	}
	errno = saved;
}

void log_vraw(struct log *log, int level, const char *fmt, va_list ap)
{
	vlog(log, level, 1, fmt, ap);
}

void log_msg(struct log *log, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(log, level, 0, fmt, ap);
	va_end(ap);
}

void log_event(void *ctx, int event, const char *msg)
{
	int level = event == ROWFS_EVENT_RECOVERY ? LOG_NOTICE :
		    event == ROWFS_EVENT_CHECKPOINT ? LOG_INFO : LOG_ERR;

	log_msg(ctx, level, "%s", msg);
}

void log_release(struct log *log)
{
	pthread_mutex_lock(&log->lock);
	flush_partial(log);
	free(log->ring);
	log->ring = NULL;
	pthread_mutex_unlock(&log->lock);
	closelog();
	pthread_mutex_destroy(&log->lock);
}
