/*
 * log.c - owns struct log: the daemon's messages to syslog and stderr.
 *
 * A message is formatted once (on the stack when it fits, else in a
 * malloc'd buffer of its exact size), then cut at its newlines: each line
 * is one syslog record and, when stderr is on, one stderr line.  Raw text
 * (libfuse's) reaches stderr untouched and syslog once a line is complete:
 * libfuse prints some lines in several calls.  syslog(3)
 * connects lazily and drops records when no syslog daemon listens, so a
 * container without /dev/log costs nothing.
 */
#include <config.h>
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

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
	openlog(ident, LOG_PID, LOG_DAEMON);
	return 0;
}

void log_set_stderr(struct log *log, int on)
{
	pthread_mutex_lock(&log->lock);
	log->to_stderr = on;
	pthread_mutex_unlock(&log->lock);
}

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
		if (level != LOG_DEBUG)
			syslog(level, "%.*s", len, line);
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
	if (log->partial_len > 0 && log->partial_level != LOG_DEBUG)
		syslog(log->partial_level, "%.*s", (int)log->partial_len, log->partial);
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

void log_release(struct log *log)
{
	pthread_mutex_lock(&log->lock);
	flush_partial(log);
	pthread_mutex_unlock(&log->lock);
	closelog();
	pthread_mutex_destroy(&log->lock);
}
