/*
 * import.c - `.import FILE TABLE` (import.h).
 *
 * The table's columns come from its `.schema T` (conn_query, so a client
 * of a mount asks its daemon), read by rowfs_schema_parse; each record of
 * the file becomes the insert statement rowfs_schema_input_statement
 * makes of it (the engine's rowfs_input_statement rules, as the mount's
 * tables/T/import), run through the connection like any statement: a
 * file runs it at once, a client queues it and writes many per write()
 * (conn.c), the failures coming back through the output's `failed`.
 *
 * Records: the file is read READ_CHUNK bytes at a time; a record ends at
 * a newline (CSV: outside double quotes, whose state toggles at every
 * '"'), and is kept up to ROWFS_LINE_MAX bytes (a longer one fails as
 * "line too long" without being kept whole).  Physical lines are counted
 * so an error names the line where its record starts.
 */
#include <config.h>
#include "import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "outfmt.h"

/* Bytes read from the file at a time. */
#define READ_CHUNK (64u * 1024u)

/* Records between two looks at the clock for the progress line. */
#define PROGRESS_EVERY 1024u

/* Seconds between two progress lines. */
#define PROGRESS_INTERVAL 0.2

/* One import under way. */
struct import {
	struct conn *conn;             /* where the rows go */
	const char *file;              /* the file's name, for messages */
	struct rowfs_schema *schema;   /* the table */
	char *header;                  /* its column names joined by ',' (malloc'd) */
	int form;                      /* ROWFS_INPUT_CSV or _JSON; -1 until the first byte */
	struct outbuf record;          /* the record being read */
	int record_lost;               /* it passed ROWFS_LINE_MAX: only its end is looked for */
	int in_quote;                  /* CSV: inside double quotes at the end of record */
	uint64_t line;                 /* physical lines read so far (the current one is line + 1) */
	uint64_t record_line;          /* line where the record being read starts */
	uint64_t rows;                 /* rows inserted (run, or queued for a client) */
	int failed;                    /* a row failed: err holds it, the rest is not run */
	int failed_rc;                 /* its code */
	struct rowfs_err err;          /* the failure, "line N: ..." */
	int progress;                  /* print the progress line */
	struct timespec start;         /* when the import began */
	double last_shown;             /* seconds since start at the last progress line */
};

/* Seconds since the import began. */
static double elapsed(const struct import *im)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - im->start.tv_sec) +
	       (double)(now.tv_nsec - im->start.tv_nsec) / 1e9;
}

/* The progress line (a terminal's stderr): rows so far and rows/s, or the total. */
static void show_progress(struct import *im, int last)
{
	double t = elapsed(im);
	double rate = t > 0 ? (double)im->rows / t : 0;

	if (!im->progress || (!last && t - im->last_shown < PROGRESS_INTERVAL))
		return;
	im->last_shown = t;
	if (last)
		fprintf(stderr, "\r%llu rows imported in %.2f s (%.0f rows/s)\033[K\n",
			(unsigned long long)im->rows, t, rate);
	else
		fprintf(stderr, "\r%llu rows (%.0f rows/s)\033[K", (unsigned long long)im->rows,
			rate);
	fflush(stderr);
}

/* Engine emit callback: the replies of inserted rows ("Executed.") go nowhere. */
static int discard_reply(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	(void)text;
	(void)len;
	return 0;
}

/* Record the first failure, as "line N: TEXT". */
static void fail_at(struct import *im, uint64_t line, int rc, const struct rowfs_err *detail)
{
	if (im->failed)
		return;
	im->failed = 1;
	im->failed_rc = rc;
	rowfs_err_set(&im->err, rc, detail->sys_errno, "line %llu: %.*s", (unsigned long long)line,
		      (int)(sizeof(im->err.msg) - 32), detail->msg);
}

/* conn_output.failed of a client's queued rows: the first failure stops the import. */
static int row_failed(void *ctx, uint64_t tag, int rc, const struct rowfs_err *detail)
{
	fail_at(ctx, tag, rc, detail);
	return 1;
}

/* The table's create statement from `.schema T`, parsed into im->schema and im->header. */
static int load_table(struct import *im, const char *table, struct rowfs_err *err)
{
	struct rowfs_table_info info;
	struct outbuf sql = { 0 };
	char *query;
	size_t at = 0, len, names = 0, i;
	int rc;

	len = strlen(table) + sizeof(".schema ");
	query = malloc(len);
	if (!query)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "Error: out of memory");
	snprintf(query, len, ".schema %s", table);
	rc = conn_query(im->conn, query, strlen(query), outbuf_emit, &sql, err);
	free(query);
	if (rc != ROWFS_OK)
		goto out_release;
	/* the first line is the create table statement (index lines may follow) */
	for (len = 0; len < sql.len && sql.data[len] != '\n'; len++)
		;
	rc = rowfs_schema_parse(sql.data ? sql.data : "", len, &im->schema, &info, err);
	if (rc != ROWFS_OK)
		goto out_release;
	for (i = 0; i < info.column_count; i++)
		names += strlen(info.columns[i].name) + 1;
	im->header = malloc(names + 1);
	if (!im->header) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "Error: out of memory");
		goto out_release;
	}
	for (i = 0; i < info.column_count; i++) {
		len = strlen(info.columns[i].name);
		if (i)
			im->header[at++] = ',';
		memcpy(im->header + at, info.columns[i].name, len);
		at += len;
	}
	im->header[at] = '\0';
out_release:
	outbuf_release(&sql);
	return rc;
}

/* 1 if rec[0..len) holds only blanks (and a CR). */
static int blank_record(const char *rec, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (rec[i] != ' ' && rec[i] != '\t' && rec[i] != '\r')
			return 0;
	return 1;
}

/* 1 if the record is the CSV header: the column names, on the file's first line. */
static int header_record(const struct import *im, const char *rec, size_t len)
{
	if (im->form != ROWFS_INPUT_CSV || im->record_line != 1)
		return 0;
	if (len > 0 && rec[len - 1] == '\r')
		len--;
	return len == strlen(im->header) && memcmp(rec, im->header, len) == 0;
}

/* One whole record: skipped, or its insert run (a file) or queued (a client). */
static void run_record(struct import *im)
{
	const char *rec = im->record.data ? im->record.data : "";
	size_t len = im->record.len, stmt_len = 0;
	struct rowfs_err detail;
	char *stmt = NULL;
	int rc;

	if (im->record_lost) {
		rowfs_err_set(&detail, ROWFS_SYNTAX, 0, "Parse error: line too long");
		fail_at(im, im->record_line, ROWFS_SYNTAX, &detail);
		return;
	}
	if (blank_record(rec, len) || header_record(im, rec, len))
		return;
	memset(&detail, 0, sizeof(detail));
	rc = rowfs_schema_input_statement(im->schema, im->form, ROWFS_INPUT_INSERT, 0, 0, rec, len,
					  &stmt, &stmt_len, &detail);
	if (rc == ROWFS_OK) {
		rc = conn_exec(im->conn, stmt, stmt_len, im->record_line, NULL, &detail);
		free(stmt);
	}
	if (rc != ROWFS_OK) {
		fail_at(im, im->record_line, rc, &detail);
		return;
	}
	im->rows++;
	if (im->progress && im->rows % PROGRESS_EVERY == 0)
		show_progress(im, 0);
}

/* The form, from the first non-blank byte of the file. */
static void detect_form(struct import *im, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && im->form < 0; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			im->form = p[i] == '{' ? ROWFS_INPUT_JSON : ROWFS_INPUT_CSV;
}

/* Keep p[0..n) in the record being read, up to ROWFS_LINE_MAX bytes. */
static void keep(struct import *im, const char *p, size_t n)
{
	if (im->record_lost)
		return;
	if (n > ROWFS_LINE_MAX - im->record.len || outbuf_add(&im->record, p, n) != 0)
		im->record_lost = 1;
}

/* Where the record ends in p[0..n) (CSV: a newline outside quotes), or NULL. */
static const char *record_end(struct import *im, const char *p, size_t n)
{
	size_t i;

	if (im->form != ROWFS_INPUT_CSV)
		return memchr(p, '\n', n);
	for (i = 0; i < n; i++) {
		if (p[i] == '"')
			im->in_quote = !im->in_quote;
		else if (p[i] == '\n' && !im->in_quote)
			return p + i;
	}
	return NULL;
}

/* Count the newlines of p[0..n) into the physical line number. */
static void count_lines(struct import *im, const char *p, size_t n)
{
	const char *end = p + n;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		im->line++;
		p++;
	}
}

/* A chunk of the file: complete records run, the rest kept. */
static void take_chunk(struct import *im, const char *p, size_t n)
{
	const char *end = p + n, *nl;

	detect_form(im, p, n);
	while (p < end && !im->failed) {
		if (im->record.len == 0 && !im->record_lost)
			im->record_line = im->line + 1;
		nl = record_end(im, p, (size_t)(end - p));
		if (!nl) {
			keep(im, p, (size_t)(end - p));
			count_lines(im, p, (size_t)(end - p));
			return;
		}
		keep(im, p, (size_t)(nl - p));
		count_lines(im, p, (size_t)(nl - p) + 1);
		run_record(im);
		im->record.len = 0;
		im->record_lost = 0;
		p = nl + 1;
	}
}

/* Read the file through, running its records; ROWFS_OK or a read error. */
static int read_file(struct import *im, int fd, struct rowfs_err *err)
{
	char *buf = malloc(READ_CHUNK);
	ssize_t n;

	if (!buf)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "Error: out of memory");
	while (!im->failed) {
		n = read(fd, buf, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return rowfs_err_set(err, ROWFS_NOTFOUND, e, "Error: cannot read '%s': %s",
					     im->file, strerror(e));
		}
		if (n == 0)
			break;
		take_chunk(im, buf, (size_t)n);
	}
	free(buf);
	if (!im->failed && (im->record.len > 0 || im->record_lost))
		run_record(im);   /* a last record without a newline */
	return ROWFS_OK;
}

/* Run a transaction control statement, its reply dropped. */
static int control(struct conn *c, const char *stmt, struct rowfs_err *err)
{
	return conn_query(c, stmt, strlen(stmt), discard_reply, NULL, err);
}

/* The rows of fd: inside the caller's transaction, or in one of their own. */
static int import_rows(struct import *im, int fd, struct rowfs_err *err)
{
	struct conn_output mine = { discard_reply, NULL, row_failed, im }, saved;
	struct rowfs_err ignored;
	int own = !conn_txn_open(im->conn), rc;

	if (own) {
		rc = control(im->conn, "begin", err);
		if (rc != ROWFS_OK)
			return rc;
	}
	conn_set_output(im->conn, &mine, &saved);
	rc = read_file(im, fd, err);
	if (rc == ROWFS_OK && conn_flush(im->conn, &ignored) != ROWFS_OK && !im->failed)
		fail_at(im, im->record_line, ignored.rc, &ignored);
	conn_set_output(im->conn, &saved, NULL);
	if (rc == ROWFS_OK && im->failed) {
		*err = im->err;
		rc = im->failed_rc;
	}
	if (!own)
		return rc;
	if (rc != ROWFS_OK) {
		control(im->conn, "rollback", &ignored);
		im->rows = 0;
		return rc;
	}
	return control(im->conn, "commit", err);
}

int import_run(struct conn *c, const char *file, const char *table, int progress,
	       uint64_t *rows, struct rowfs_err *err)
{
	struct import im;
	int fd, rc;

	*rows = 0;
	memset(&im, 0, sizeof(im));
	im.conn = c;
	im.file = file;
	im.form = -1;
	im.progress = progress;
	clock_gettime(CLOCK_MONOTONIC, &im.start);
	rc = conn_flush(c, err);
	if (rc != ROWFS_OK)
		return rc;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		return rowfs_err_set(err, ROWFS_NOTFOUND, e, "Error: cannot open '%s': %s", file,
				     strerror(e));
	}
	rc = load_table(&im, table, err);
	if (rc == ROWFS_OK) {
		rc = import_rows(&im, fd, err);
		if (progress) {
			if (rc == ROWFS_OK)
				show_progress(&im, 1);
			else if (im.last_shown > 0)
				fputs("\r\033[K", stderr);   /* the error follows on a clean line */
		}
		*rows = rc == ROWFS_OK ? im.rows : 0;
	}
	close(fd);
	rowfs_schema_free(im.schema);
	free(im.header);
	outbuf_release(&im.record);
	return rc;
}
