/*
 * check_ctl.c - unit tests of fs/ctl.c without a mount: the line splitter
 * (splits, CRLF, partial lines, blank lines, overlong lines, NUL), the
 * transaction and short-count rule of one write, flush, and the bounded
 * reply queue with its drop counter; the memory budget shared by handles
 * (ENOBUFS for a partial line, dropped replies), CSV quoted-newline
 * framing and line numbers, the last two also against a model splitter
 * with random chunkings.
 *
 * Statements run through a fake executor that records what it was given
 * and what was committed; lines starting with "bad", "dup" or "io" fail
 * with a statement error, a duplicate and an I/O error.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "testutil.h"

/* Append n bytes of p to t; running out of memory fails the test. */
static void text_add(struct tu_buf *t, const char *p, size_t n)
{
	REQUIRE(tu_buf_emit(t, p, n) == 0, "out of memory");
}

/* The text of t, "" when nothing was added. */
static const char *text_str(struct tu_buf *t)
{
	if (!t->data)
		text_add(t, "", 0);
	return t->data;
}

/* The fake database. */
struct fake {
	struct tu_buf txn;      /* lines of the open transaction, '\n' separated */
	struct tu_buf committed; /* lines committed so far */
	unsigned begins;        /* begin calls */
	unsigned commits;       /* commit calls */
	unsigned rollbacks;     /* rollback calls */
	unsigned execs;         /* exec calls */
	size_t last_len;        /* length of the last line given to exec */
	int last_had_cr;        /* it ended with '\r' */
	int fail_commit;        /* rc commit returns (and then clears) */
	int in_txn;             /* between begin and commit/rollback */
	uint64_t boundaries;    /* "mark" lines run (transaction boundaries) */
	const struct ctl *handle; /* whose ctl_line_number the log shows */
	int log_on;             /* log every exec */
	struct tu_buf log;      /* "N:line\n" per exec, N its line number, line escaped */
};

/* Append "n:line\n" to t, with '\\' and '\n' of line escaped. */
static void log_add(struct tu_buf *t, uint64_t n, const char *line, size_t len)
{
	char num[32];
	size_t i;

	text_add(t, num, (size_t)snprintf(num, sizeof(num), "%llu:", (unsigned long long)n));
	for (i = 0; i < len; i++) {
		if (line[i] == '\\')
			text_add(t, "\\\\", 2);
		else if (line[i] == '\n')
			text_add(t, "\\n", 2);
		else
			text_add(t, line + i, 1);
	}
	text_add(t, "\n", 1);
}

static uint64_t fake_boundaries(void *ctx)
{
	return ((struct fake *)ctx)->boundaries;
}

static int fake_begin(void *ctx, struct rowfs_err *err)
{
	struct fake *f = ctx;

	(void)err;
	ck_assert_int_eq(f->in_txn, 0);
	f->in_txn = 1;
	f->begins++;
	return ROWFS_OK;
}

static int fake_fail(struct rowfs_err *err, int rc, const char *msg)
{
	err->rc = rc;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	return rc;
}

static int fake_exec(void *ctx, const char *line, size_t len, rowfs_emit_fn emit, void *emit_ctx,
		     struct rowfs_err *err)
{
	struct fake *f = ctx;
	char text[64];
	long i, n;

	ck_assert_int_eq(f->in_txn, 1);
	if (f->log_on)
		log_add(&f->log, ctl_line_number(f->handle), line, len);
	f->execs++;
	f->last_len = len;
	f->last_had_cr = len > 0 && line[len - 1] == '\r';
	if (len > 0 && line[len - 1] == '\r')   /* as the engine's parser does */
		len--;
	if (len > CTL_MAX_LINE)
		return fake_fail(err, ROWFS_SYNTAX, "Parse error: line too long");
	if (memchr(line, '\0', len))
		return fake_fail(err, ROWFS_SYNTAX, "Parse error: NUL byte");
	for (i = 0; i < (long)len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == (long)len)   /* blank: no reply */
		return ROWFS_OK;
	if (len >= 3 && !memcmp(line, "bad", 3))
		return fake_fail(err, ROWFS_SYNTAX, "Parse error: bad");
	if (len >= 3 && !memcmp(line, "dup", 3))
		return fake_fail(err, ROWFS_DUPLICATE, "Error: duplicate key 1.");
	if (len >= 2 && !memcmp(line, "io", 2))
		return fake_fail(err, ROWFS_IOERR, "Error: I/O error: fake");
	if (len == 5 && !memcmp(line, ".exit", 5))
		return ROWFS_EXIT;
	if (len == 4 && !memcmp(line, "mark", 4)) {
		/* a transaction boundary, as `begin` is: what ran so far commits */
		text_add(&f->txn, "mark\n", 5);
		text_add(&f->committed, f->txn.data, f->txn.len);
		f->txn.len = 0;
		f->boundaries++;
		return emit(emit_ctx, "Executed.\n", 10) ? ROWFS_NOMEM : ROWFS_OK;
	}
	text_add(&f->txn, line, len);
	text_add(&f->txn, "\n", 1);
	if (len > 5 && !memcmp(line, "spam ", 5)) {
		n = strtol(line + 5, NULL, 10);
		for (i = 0; i < n; i++) {
			int k = snprintf(text, sizeof(text), "line %ld\n", i);

			if (emit(emit_ctx, text, (size_t)k))
				return fake_fail(err, ROWFS_NOMEM, "out of memory");
		}
		return ROWFS_OK;
	}
	return emit(emit_ctx, "Executed.\n", 10) ? ROWFS_NOMEM : ROWFS_OK;
}

static int fake_commit(void *ctx, struct rowfs_err *err)
{
	struct fake *f = ctx;
	int rc = f->fail_commit;

	ck_assert_int_eq(f->in_txn, 1);
	f->in_txn = 0;
	f->commits++;
	if (rc) {
		f->fail_commit = 0;
		f->txn.len = 0;
		return fake_fail(err, rc, "Error: I/O error: fsync failed");
	}
	text_add(&f->committed, f->txn.data ? f->txn.data : "", f->txn.len);
	f->txn.len = 0;
	return ROWFS_OK;
}

static int fake_rollback(void *ctx, struct rowfs_err *err)
{
	struct fake *f = ctx;

	(void)err;
	ck_assert_int_eq(f->in_txn, 1);
	f->in_txn = 0;
	f->rollbacks++;
	f->txn.len = 0;
	return ROWFS_OK;
}

static struct fake fake;
static struct ctl_executor ex;
static struct ctl *c;

static void setup(void)
{
	memset(&fake, 0, sizeof(fake));
	ex.begin = fake_begin;
	ex.exec = fake_exec;
	ex.commit = fake_commit;
	ex.rollback = fake_rollback;
	ex.boundaries = fake_boundaries;
	ex.ctx = &fake;
	c = ctl_new(NULL);
	ck_assert_ptr_nonnull(c);
	fake.handle = c;
}

static void teardown(void)
{
	ctl_free(c);
	free(fake.txn.data);
	free(fake.committed.data);
	free(fake.log.data);
	ck_assert_int_eq(fake.in_txn, 0);
}

static ssize_t wr(const char *s)
{
	return ctl_write(c, &ex, s, strlen(s));
}

/* Everything ctl_read returns now, read in chunks of chunk bytes. */
static char *read_all(size_t chunk)
{
	struct tu_buf t = {0};
	char buf[4096];
	size_t n;

	ck_assert_uint_le(chunk, sizeof(buf));
	while ((n = ctl_read(c, buf, chunk)) > 0)
		text_add(&t, buf, n);
	text_str(&t);
	return t.data;
}

static void expect_replies(const char *want)
{
	char *got = read_all(4096);

	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_one_line)
{
	ck_assert_int_eq(wr("insert 1 a\n"), 11);
	ck_assert_str_eq(text_str(&fake.committed), "insert 1 a\n");
	ck_assert_uint_eq(fake.begins, 1);
	ck_assert_uint_eq(fake.commits, 1);
	expect_replies("Executed.\n");
	expect_replies("");
}
END_TEST

START_TEST(test_lines_of_one_write_are_one_transaction)
{
	ck_assert_int_eq(wr("a\nb\nc\n"), 6);
	ck_assert_uint_eq(fake.begins, 1);
	ck_assert_uint_eq(fake.commits, 1);
	ck_assert_uint_eq(fake.execs, 3);
	ck_assert_str_eq(text_str(&fake.committed), "a\nb\nc\n");
	expect_replies("Executed.\nExecuted.\nExecuted.\n");
}
END_TEST

START_TEST(test_line_split_across_writes)
{
	ck_assert_int_eq(wr("ins"), 3);
	ck_assert_uint_eq(fake.begins, 0);
	ck_assert_uint_eq(c->pending_len, 3);
	ck_assert_int_eq(wr("ert 1 a\nins"), 11);
	ck_assert_int_eq(wr("ert 2"), 5);
	ck_assert_int_eq(wr(" b\n"), 3);
	ck_assert_str_eq(text_str(&fake.committed), "insert 1 a\ninsert 2 b\n");
	ck_assert_uint_eq(c->pending_len, 0);
	expect_replies("Executed.\nExecuted.\n");
}
END_TEST

START_TEST(test_crlf_is_left_to_the_engine)
{
	ck_assert_int_eq(wr("insert 1 a\r\n"), 12);
	ck_assert_int_eq(fake.last_had_cr, 1);
	ck_assert_uint_eq(fake.last_len, 11);
	/* a CR LF split between two writes */
	ck_assert_int_eq(wr("insert 2 b\r"), 11);
	ck_assert_int_eq(wr("\n"), 1);
	ck_assert_int_eq(fake.last_had_cr, 1);
	ck_assert_str_eq(text_str(&fake.committed), "insert 1 a\ninsert 2 b\n");
}
END_TEST

START_TEST(test_blank_lines)
{
	ck_assert_int_eq(wr("\n\n  \n"), 5);
	ck_assert_str_eq(text_str(&fake.committed), "");
	expect_replies("");
}
END_TEST

START_TEST(test_partial_line_runs_at_flush_once)
{
	ck_assert_int_eq(wr("insert 5 e"), 10);
	expect_replies("");
	ck_assert_int_eq(ctl_flush(c, &ex), 0);
	ck_assert_str_eq(text_str(&fake.committed), "insert 5 e\n");
	expect_replies("Executed.\n");
	ck_assert_int_eq(ctl_flush(c, &ex), 0);
	ck_assert_uint_eq(fake.execs, 1);
	/* nothing pending: flush does not even open a transaction */
	ck_assert_uint_eq(fake.begins, 1);
}
END_TEST

START_TEST(test_flush_reports_errno)
{
	ck_assert_int_eq(wr("dup 3"), 5);
	ck_assert_int_eq(ctl_flush(c, &ex), -EEXIST);
	expect_replies("Error: duplicate key 1.\n");
	ck_assert_int_eq(ctl_flush(c, &ex), 0);
}
END_TEST

START_TEST(test_short_count)
{
	const char *w = "insert 10 a\ninsert 11 b\ndup 10 c\n";

	ck_assert_int_eq(wr(w), 24);
	ck_assert_str_eq(text_str(&fake.committed), "insert 10 a\ninsert 11 b\n");
	/* the failing line's text is not queued: the retry reports it */
	expect_replies("Executed.\nExecuted.\n");
	ck_assert_int_eq(wr(w + 24), -EEXIST);
	ck_assert_str_eq(text_str(&fake.committed), "insert 10 a\ninsert 11 b\n");
	expect_replies("Error: duplicate key 1.\n");
}
END_TEST

START_TEST(test_short_count_keeps_nothing_after)
{
	ck_assert_int_eq(wr("a\nbad\nb\npartial"), 2);
	ck_assert_uint_eq(c->pending_len, 0);
	ck_assert_str_eq(text_str(&fake.committed), "a\n");
	ck_assert_int_eq(ctl_flush(c, &ex), 0);
	ck_assert_uint_eq(fake.execs, 2);
}
END_TEST

START_TEST(test_first_line_fails)
{
	ck_assert_int_eq(wr("bad\ninsert 1 a\n"), -EINVAL);
	ck_assert_str_eq(text_str(&fake.committed), "");
	ck_assert_uint_eq(fake.rollbacks, 1);
	ck_assert_uint_eq(fake.commits, 0);
	ck_assert_uint_eq(fake.execs, 1);
	expect_replies("Parse error: bad\n");
}
END_TEST

START_TEST(test_first_line_from_pending_fails)
{
	ck_assert_int_eq(wr("ba"), 2);
	ck_assert_int_eq(wr("d 1\nx\n"), -EINVAL);
	ck_assert_uint_eq(c->pending_len, 0);
	ck_assert_int_eq(wr("y\n"), 2);
	ck_assert_str_eq(text_str(&fake.committed), "y\n");
	expect_replies("Parse error: bad\nExecuted.\n");
}
END_TEST

/*
 * A line longer than one FUSE request failed in the request that ends it:
 * the kernel reports the first request written, the writer sends the rest
 * again, and the retry must fail the same way (never run the tail as a
 * line).  Only after a write of a whole request (CTL_SPLIT_MIN or more).
 */
START_TEST(test_retry_of_a_failed_tail)
{
	size_t big = CTL_SPLIT_MIN;
	char *head = malloc(big);

	ck_assert_ptr_nonnull(head);
	memset(head, 'p', big);
	memcpy(head, "dup ", 4);
	ck_assert_int_eq(ctl_write(c, &ex, head, big), (ssize_t)big);
	ck_assert_int_eq(wr("tail\nnext\n"), -EEXIST);
	ck_assert_uint_eq(fake.execs, 1);
	/* the retry: the same bytes again, refused without running anything */
	ck_assert_int_eq(wr("tail\nnext\n"), -EEXIST);
	ck_assert_uint_eq(fake.execs, 1);
	/* after it, the same bytes are lines again */
	ck_assert_int_eq(wr("tail\nnext\n"), 10);
	ck_assert_str_eq(text_str(&fake.committed), "tail\nnext\n");
	/* after a short write, a continued failing line is not remembered */
	ck_assert_int_eq(wr("du"), 2);
	ck_assert_int_eq(wr("p\n"), -EEXIST);
	ck_assert_int_eq(wr("p\n"), 2);
	free(head);
}
END_TEST

START_TEST(test_io_error_applies_nothing)
{
	ck_assert_int_eq(wr("a\nio\nb\n"), -EIO);
	ck_assert_str_eq(text_str(&fake.committed), "");
	ck_assert_uint_eq(fake.rollbacks, 1);
	expect_replies("Error: I/O error: fake\n");
}
END_TEST

/* An I/O error after a boundary (`begin`/`commit`): a short count through the boundary. */
START_TEST(test_io_error_after_a_boundary)
{
	char buf[256];
	size_t n;

	ck_assert_int_eq(wr("a\nmark\nb\nio\nc\n"), (ssize_t)strlen("a\nmark\n"));
	ck_assert_str_eq(text_str(&fake.committed), "a\nmark\n");
	n = ctl_read(c, buf, sizeof(buf));
	buf[n] = '\0';
	ck_assert_str_eq(buf, "Executed.\nExecuted.\n");   /* b's reply was rolled back with it */
	/* the retry of the rest: the error is its first line's to report */
	ck_assert_int_eq(wr("b\nio\nc\n"), -EIO);
	ck_assert_str_eq(text_str(&fake.committed), "a\nmark\n");
	n = ctl_read(c, buf, sizeof(buf));
	buf[n] = '\0';
	ck_assert_str_eq(buf, "Error: I/O error: fake\n");
	/* a statement error after a boundary: the usual short count at the failing line */
	ck_assert_int_eq(wr("mark\nd\ndup\n"), (ssize_t)strlen("mark\nd\n"));
	ck_assert_str_eq(text_str(&fake.committed), "a\nmark\nmark\nd\n");
}
END_TEST

START_TEST(test_commit_failure)
{
	fake.fail_commit = ROWFS_IOERR;
	ck_assert_int_eq(wr("a\nb\n"), -EIO);
	ck_assert_str_eq(text_str(&fake.committed), "");
	/* no "Executed." for statements that did not become durable */
	expect_replies("Error: I/O error: fsync failed\n");
	fake.fail_commit = ROWFS_FULL;
	ck_assert_int_eq(wr("a\n"), -ENOSPC);
	expect_replies("Error: I/O error: fsync failed\n");
	ck_assert_int_eq(wr("a\n"), 2);
	expect_replies("Executed.\n");
}
END_TEST

START_TEST(test_exit_is_accepted_silently)
{
	ck_assert_int_eq(wr(".exit\ninsert 1 a\n"), 17);
	ck_assert_str_eq(text_str(&fake.committed), "insert 1 a\n");
	expect_replies("Executed.\n");
}
END_TEST

START_TEST(test_nul_byte)
{
	ck_assert_int_eq(ctl_write(c, &ex, "ab\0c\n", 5), -EINVAL);
	expect_replies("Parse error: NUL byte\n");
	ck_assert_int_eq(ctl_write(c, &ex, "a\nab\0c\n", 7), 2);
	ck_assert_int_eq(ctl_write(c, &ex, "ab\0c\n", 5), -EINVAL);
}
END_TEST

/* A line of n 'x' bytes (no newline), malloc'd. */
static char *xs(size_t n)
{
	char *p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	memset(p, 'x', n);
	p[n] = '\0';
	return p;
}

START_TEST(test_line_at_the_limit)
{
	char *line = xs(CTL_MAX_LINE);

	/* 4 MiB, then CR LF, split over writes through the pending buffer */
	ck_assert_int_eq(wr(line), (ssize_t)CTL_MAX_LINE);
	ck_assert_int_eq(wr("\r"), 1);
	ck_assert_int_eq(c->overlong, 0);
	ck_assert_int_eq(wr("\n"), 1);
	ck_assert_uint_eq(fake.last_len, CTL_MAX_LINE + 1);
	expect_replies("Executed.\n");
	/* one byte more is too long, pending or not */
	ck_assert_int_eq(wr(line), (ssize_t)CTL_MAX_LINE);
	ck_assert_int_eq(wr("x\n"), -EINVAL);
	expect_replies("Parse error: line too long\n");
	free(line);
}
END_TEST

START_TEST(test_overlong_pending_line_is_discarded)
{
	char *chunk = xs(1u << 20);
	int i;

	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(wr(chunk), 1u << 20);
		ck_assert_uint_le(c->pending_len, CTL_PENDING_SIZE);
		ck_assert_uint_le(c->pending_cap, CTL_PENDING_SIZE);
	}
	ck_assert_int_eq(c->overlong, 1);
	/* a trailing '\r' after the kept bytes must not bring it under the limit */
	ck_assert_int_eq(wr("\r\ninsert 1 a\n"), -EINVAL);
	ck_assert_uint_gt(fake.last_len, CTL_MAX_LINE + 1);
	expect_replies("Parse error: line too long\n");
	ck_assert_uint_eq(c->pending_len, 0);
	ck_assert_int_eq(wr("insert 1 a\n"), 11);
	free(chunk);
}
END_TEST

START_TEST(test_overlong_line_inside_one_write)
{
	char *line = xs(CTL_MAX_LINE + 1);
	struct tu_buf w = {0};

	text_add(&w, "a\n", 2);
	text_add(&w, line, CTL_MAX_LINE + 1);
	text_add(&w, "\nb\n", 3);
	ck_assert_int_eq(ctl_write(c, &ex, w.data, w.len), 2);
	ck_assert_int_eq(ctl_write(c, &ex, w.data + 2, w.len - 2), -EINVAL);
	expect_replies("Executed.\nParse error: line too long\n");
	free(w.data);
	free(line);
}
END_TEST

START_TEST(test_megabyte_without_newline_stays_bounded)
{
	char *chunk = xs(128 * 1024);
	int i;

	/* 5 MiB: past the limit from the 33rd chunk on */
	for (i = 0; i < 40; i++) {
		ck_assert_int_eq(ctl_write(c, &ex, chunk, 128 * 1024), 128 * 1024);
		ck_assert_uint_eq(c->pending_len,
				  i < 32 ? (i + 1u) * 128u * 1024u : CTL_PENDING_SIZE);
		ck_assert_uint_le(c->pending_cap, CTL_PENDING_SIZE);
	}
	ck_assert_uint_eq(fake.execs, 0);
	ck_assert_int_eq(ctl_flush(c, &ex), -EINVAL);
	expect_replies("Parse error: line too long\n");
	free(chunk);
}
END_TEST

/* The partial-line buffer grows with the line and is freed when a large one ends. */
START_TEST(test_pending_buffer_grows_and_shrinks)
{
	char *big = xs(3u << 20);

	ck_assert_ptr_null(c->pending);   /* a new handle holds no line buffer */
	ck_assert_int_eq(wr("insert 1 a"), 10);
	ck_assert_uint_eq(c->pending_cap, CTL_PENDING_MIN);
	ck_assert_int_eq(wr("\n"), 1);
	ck_assert_uint_eq(c->pending_cap, CTL_PENDING_MIN);   /* small: kept */
	ck_assert_int_eq(wr("x"), 1);
	ck_assert_int_eq(wr(big), 3u << 20);
	ck_assert_uint_ge(c->pending_cap, (3u << 20) + 1);
	ck_assert_uint_le(c->pending_cap, CTL_PENDING_SIZE);
	ck_assert_int_eq(wr("\n"), 1);
	ck_assert_uint_eq(fake.last_len, (3u << 20) + 1);
	ck_assert_ptr_null(c->pending);   /* large: freed */
	ck_assert_uint_eq(c->pending_cap, 0);
	expect_replies("Executed.\nExecuted.\n");
	free(big);
}
END_TEST

/* A partial line whose buffer could not grow fails with ENOMEM, never cut short. */
START_TEST(test_lost_pending_line_fails)
{
	ck_assert_int_eq(wr("insert 1 ab"), 11);
	c->lost = 1;   /* as keep() marks it when realloc fails */
	ck_assert_int_eq(wr("cd\ninsert 2 b\n"), -ENOMEM);
	expect_replies("Error: out of memory\n");
	ck_assert_uint_eq(fake.execs, 0);
	ck_assert_int_eq(c->lost, 0);
	ck_assert_uint_eq(c->pending_len, 0);
	/* at close too */
	ck_assert_int_eq(wr("insert 3 c"), 10);
	c->lost = 1;
	ck_assert_int_eq(ctl_flush(c, &ex), -ENOMEM);
	expect_replies("Error: out of memory\n");
	ck_assert_uint_eq(fake.execs, 0);
	/* the handle works after it */
	ck_assert_int_eq(wr("insert 4 d\n"), 11);
	expect_replies("Executed.\n");
}
END_TEST

START_TEST(test_queue_drops_oldest_lines)
{
	struct ctl_queue q;
	char line[16];
	char buf[256];
	size_t n;
	int i;

	ctl_queue_init(&q, 100, NULL);
	for (i = 0; i < 20; i++) {
		snprintf(line, sizeof(line), "line %03d\n", i);   /* 9 bytes */
		ck_assert_int_eq(ctl_queue_push(&q, line, 9), 0);
		ck_assert_uint_le(q.len, 100);
		ck_assert_uint_le(q.cap, 200);
	}
	ck_assert_uint_eq(q.len, 99);
	ck_assert_uint_eq(q.dropped, 9);
	n = ctl_queue_pop(&q, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "(9 replies dropped)\nline 009\nline 010\nline 011\nline 012\n"
			      "line 013\nline 014\nline 015\nline 016\nline 017\nline 018\nline 019\n");
	ck_assert_uint_eq(ctl_queue_pop(&q, buf, sizeof(buf)), 0);
	ctl_queue_release(&q);
}
END_TEST

START_TEST(test_queue_notice_in_small_reads)
{
	struct ctl_queue q;
	struct tu_buf t = {0};
	char buf[3];
	size_t n;

	ctl_queue_init(&q, 10, NULL);
	ck_assert_int_eq(ctl_queue_push(&q, "aaaa\n", 5), 0);
	ck_assert_int_eq(ctl_queue_push(&q, "bbbb\n", 5), 0);
	ck_assert_int_eq(ctl_queue_push(&q, "cccc\n", 5), 0);
	ck_assert_uint_eq(ctl_queue_pending(&q), strlen("(1 replies dropped)\nbbbb\ncccc\n"));
	while ((n = ctl_queue_pop(&q, buf, sizeof(buf))) > 0)
		text_add(&t, buf, n);
	ck_assert_str_eq(text_str(&t), "(1 replies dropped)\nbbbb\ncccc\n");
	free(t.data);
	ctl_queue_release(&q);
}
END_TEST

START_TEST(test_queue_piece_larger_than_limit)
{
	struct ctl_queue q;
	struct tu_buf piece = {0};
	char line[16];
	char buf[256];
	size_t n;
	int i;

	for (i = 0; i < 25; i++) {
		snprintf(line, sizeof(line), "row %04d\n", i);   /* 9 bytes */
		text_add(&piece, line, 9);
	}
	ctl_queue_init(&q, 100, NULL);
	ck_assert_int_eq(ctl_queue_push(&q, "old\n", 4), 0);
	ck_assert_int_eq(ctl_queue_push(&q, piece.data, piece.len), 0);
	ck_assert_uint_eq(q.len, 99);
	ck_assert_uint_eq(q.dropped, 15);   /* 14 of the piece and "old" */
	n = ctl_queue_pop(&q, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "(15 replies dropped)\nrow 0014\nrow 0015\nrow 0016\nrow 0017\n"
			      "row 0018\nrow 0019\nrow 0020\nrow 0021\nrow 0022\nrow 0023\nrow 0024\n");
	free(piece.data);
	ctl_queue_release(&q);
}
END_TEST

START_TEST(test_big_select_through_ctl_is_bounded)
{
	char *got;
	size_t len;

	/* 300000 reply lines (about 3.5 MiB) into a 256 KiB queue, quickly */
	ck_assert_int_eq(wr("spam 300000\n"), 12);
	ck_assert_uint_le(c->replies.len, CTL_QUEUE_LIMIT);
	ck_assert_uint_le(c->replies.cap, 2 * CTL_QUEUE_LIMIT);
	ck_assert_uint_eq(c->staging.len, 0);
	got = read_all(4096);
	len = strlen(got);
	ck_assert_msg(strncmp(got, "(", 1) == 0 && strstr(got, " replies dropped)\nline ") != NULL,
		      "no drop notice: %.40s", got);
	ck_assert_str_eq(got + len - strlen("line 299999\n"), "line 299999\n");
	free(got);
	expect_replies("");
}
END_TEST

START_TEST(test_replies_accumulate_until_read)
{
	int i;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(wr("x\n"), 2);
	ck_assert_int_eq(wr("bad\n"), -EINVAL);
	expect_replies("Executed.\nExecuted.\nExecuted.\nParse error: bad\n");
}
END_TEST

START_TEST(test_handles_are_independent)
{
	struct ctl *other = ctl_new(NULL);
	char buf[64];
	size_t n;

	ck_assert_ptr_nonnull(other);
	ck_assert_int_eq(wr("insert 1 "), 9);
	ck_assert_int_eq(ctl_write(other, &ex, "spam 1\n", 7), 7);
	ck_assert_int_eq(wr("a\n"), 2);
	ck_assert_str_eq(text_str(&fake.committed), "spam 1\ninsert 1 a\n");
	n = ctl_read(other, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "line 0\n");
	expect_replies("Executed.\n");
	ctl_free(other);
}
END_TEST

/* ---- the memory budget -------------------------------------------------- */

/* Bytes of buffers h holds, which its budget must be charged. */
static size_t held(const struct ctl *h)
{
	return h->pending_cap + h->replies.cap + h->staging.cap;
}

/* Everything ctl_read returns now on handle h (malloc'd). */
static char *read_handle(struct ctl *h)
{
	struct tu_buf t = {0};
	char buf[4096];
	size_t n;

	while ((n = ctl_read(h, buf, sizeof(buf))) > 0)
		text_add(&t, buf, n);
	text_str(&t);
	return t.data;
}

/* Replace the fixture's handle by one charged to b. */
static void use_budget(struct ctl_budget *b, size_t limit)
{
	ctl_budget_init(b, limit);
	ctl_free(c);
	c = ctl_new(b);
	ck_assert_ptr_nonnull(c);
	fake.handle = c;
}

/* The budget is charged exactly the handles' buffers, and nothing after ctl_free. */
START_TEST(test_budget_accounting)
{
	struct ctl_budget b;
	struct ctl *h;
	char *big = xs(200000);
	char *got;

	use_budget(&b, CTL_BUDGET_DEFAULT);
	ck_assert_uint_eq(b.used, 0);
	ck_assert_int_eq(wr("insert 1 a"), 10);
	ck_assert_uint_eq(b.used, CTL_PENDING_MIN);
	ck_assert_int_eq(wr(big), 200000);
	ck_assert_uint_eq(c->pending_cap, 256u * 1024u);
	ck_assert_uint_eq(b.used, held(c));
	/* the line ends (its big buffer is freed); 20000 replies fill the queue */
	ck_assert_int_eq(wr("\nspam 20000\n"), 12);
	ck_assert_uint_eq(c->pending_cap, 0);
	ck_assert_uint_ge(c->replies.cap, 128u * 1024u);
	ck_assert_uint_eq(b.used, held(c));
	/* a second handle on the same budget */
	h = ctl_new(&b);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(ctl_write(h, &ex, big, 1000), 1000);
	ck_assert_uint_eq(b.used, held(c) + held(h));
	got = read_all(4096);   /* drained: the big queue buffer is freed */
	ck_assert_str_eq(got + strlen(got) - 11, "line 19999\n");
	free(got);
	ck_assert_uint_le(c->replies.cap, 64u * 1024u);
	ck_assert_uint_eq(b.used, held(c) + held(h));
	ck_assert_int_eq(ctl_flush(h, &ex), 0);
	ck_assert_uint_eq(b.used, held(c) + held(h));
	ctl_free(h);
	ck_assert_uint_eq(b.used, held(c));
	ctl_free(c);
	c = NULL;
	ck_assert_uint_eq(b.used, 0);
	free(big);
}
END_TEST

/* Two handles share a tiny budget: the second's long partial line fails, the first goes on. */
START_TEST(test_budget_partial_line_fails_with_enobufs)
{
	struct ctl_budget b;
	struct ctl *h;
	char *x = xs(3000);
	char *got;
	size_t used;

	use_budget(&b, 4096);
	h = ctl_new(&b);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(wr("insert 1 a"), 10);
	ck_assert_uint_eq(b.used, 256);
	/* doubling to 4096 would pass the limit: h takes what is left */
	ck_assert_int_eq(ctl_write(h, &ex, x, 3000), 3000);
	ck_assert_uint_eq(h->pending_cap, 3840);
	ck_assert_uint_eq(b.used, 4096);
	/* 5000 bytes do not fit: the line is lost and its buffer freed */
	used = b.used;
	ck_assert_int_eq(ctl_write(h, &ex, x, 2000), 2000);
	ck_assert_int_eq(h->lost, CTL_LOST_BUDGET);
	ck_assert_uint_eq(h->pending_cap, 0);
	ck_assert_uint_eq(b.used, 256);
	/* the rest of the line is discarded even though there is room again */
	ck_assert_int_eq(ctl_write(h, &ex, x, 100), 100);
	ck_assert_uint_eq(h->pending_cap, 0);
	ck_assert_int_eq(ctl_write(h, &ex, "\ninsert 2 b\n", 12), -ENOBUFS);
	ck_assert_uint_eq(fake.execs, 0);
	got = read_handle(h);
	ck_assert_uint_eq(used, 4096);
	ck_assert_str_eq(got, "Error: out of buffer space: ctl handles hold 4096 bytes of partial "
			      "lines and replies (limit 4096); write shorter lines or read the "
			      "replies\n");
	free(got);
	ck_assert_int_eq(h->lost, CTL_KEPT);
	/* the first handle is unaffected */
	ck_assert_int_eq(wr(" b\n"), 3);
	ck_assert_str_eq(text_str(&fake.committed), "insert 1 a b\n");
	expect_replies("Executed.\n");
	/* h works again, and at flush a lost line fails the same way */
	ck_assert_int_eq(ctl_write(h, &ex, "insert 2 b\n", 11), 11);
	ck_assert_int_eq(ctl_write(h, &ex, x, 3000), 3000);
	used = b.used;
	ck_assert_int_eq(ctl_write(h, &ex, x, 3000), 3000);
	ck_assert_int_eq(h->lost, CTL_LOST_BUDGET);
	ck_assert_int_eq(ctl_flush(h, &ex), -ENOBUFS);
	got = read_handle(h);
	{
		char want[256];

		snprintf(want, sizeof(want),
			 "Executed.\nError: out of buffer space: ctl handles hold %zu bytes of "
			 "partial lines and replies (limit 4096); write shorter lines or read the "
			 "replies\n", used);
		ck_assert_str_eq(got, want);
	}
	free(got);
	ck_assert_str_eq(text_str(&fake.committed), "insert 1 a b\ninsert 2 b\n");
	ck_assert_uint_eq(b.used, held(c) + held(h));
	ck_assert_uint_le(b.used, b.limit);
	ctl_free(h);
	ctl_free(c);
	c = NULL;
	ck_assert_uint_eq(b.used, 0);
	free(x);
}
END_TEST

/*
 * Replies of spam n statements, total lines in all, read as "(K replies
 * dropped)\n" and the last total - K lines, the tail of the last spam (K > 0).
 */
static void expect_spam_tail(const char *got, long n, long total)
{
	long k, i;
	char line[32];
	const char *p;

	ck_assert_msg(sscanf(got, "(%ld replies dropped)\n", &k) == 1, "no notice: %.40s", got);
	ck_assert_int_gt(k, 0);
	ck_assert_int_ge(k, total - n);
	ck_assert_int_le(k, total);
	p = strchr(got, '\n') + 1;
	for (i = n - (total - k); i < n; i++) {
		int len = snprintf(line, sizeof(line), "line %ld\n", i);

		ck_assert_msg(strncmp(p, line, (size_t)len) == 0, "at %ld: %.20s", i, p);
		p += len;
	}
	ck_assert_str_eq(p, "");
}

/* Replies that cannot grow under the budget drop their oldest lines; commits never fail. */
START_TEST(test_budget_replies_drop_oldest)
{
	struct ctl_budget b;
	struct ctl *h;
	char *x = xs(2000);
	char *got;

	use_budget(&b, 2048);
	h = ctl_new(&b);
	ck_assert_ptr_nonnull(h);
	/* h's partial line takes the whole budget */
	ck_assert_int_eq(ctl_write(h, &ex, x, 2000), 2000);
	ck_assert_uint_eq(b.used, 2048);
	ck_assert_int_eq(wr("x\n"), 2);
	ck_assert_str_eq(text_str(&fake.committed), "x\n");
	expect_replies("(1 replies dropped)\n");
	/* h's own line too: its buffer is freed only after it ran */
	ck_assert_int_eq(ctl_flush(h, &ex), 0);
	got = read_handle(h);
	ck_assert_str_eq(got, "(1 replies dropped)\n");
	free(got);
	ctl_free(h);
	ck_assert_uint_eq(b.used, held(c));

	/* 1024 bytes for a partial line, the rest for 300 replies */
	h = ctl_new(&b);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(ctl_write(h, &ex, x, 1000), 1000);
	ck_assert_uint_eq(h->pending_cap, 1024);
	ck_assert_int_eq(wr("spam 300\n"), 9);
	ck_assert_uint_eq(b.used, 2048);
	ck_assert_uint_eq(b.used, held(c) + held(h));
	got = read_all(4096);
	expect_spam_tail(got, 300, 300);
	free(got);
	/* a reply pushed while the queue is full of unread replies: the oldest go */
	ck_assert_int_eq(wr("spam 300\n"), 9);
	ck_assert_int_eq(wr("spam 300\n"), 9);
	got = read_all(4096);
	expect_spam_tail(got, 300, 600);
	free(got);
	ck_assert_uint_le(b.used, b.limit);
	ctl_free(h);
	ctl_free(c);
	c = NULL;
	ck_assert_uint_eq(b.used, 0);
	free(x);
}
END_TEST

/* ---- quoted newlines ---------------------------------------------------- */

/* Write s one byte at a time. */
static void write_bytes(const char *s)
{
	for (; *s; s++)
		ck_assert_int_eq(ctl_write(c, &ex, s, 1), 1);
}

START_TEST(test_quoted_newlines_across_one_byte_writes)
{
	const char *s = "\"a\nb\",1\nx,\"\"\"\n\"\"\"\r\nlast\n";

	fake.log_on = 1;
	ctl_set_quoted_newlines(c, 1);
	write_bytes(s);
	ck_assert_str_eq(text_str(&fake.log),
			 "1:\"a\\nb\",1\n2:x,\"\"\"\\n\"\"\"\r\n3:last\n");
	ck_assert_uint_eq(fake.commits, 3);
	/* off (the default): every newline ends a line */
	ctl_set_quoted_newlines(c, 0);
	fake.log.len = 0;
	write_bytes(s);
	ck_assert_str_eq(text_str(&fake.log),
			 "4:\"a\n5:b\",1\n6:x,\"\"\"\n7:\"\"\"\r\n8:last\n");
}
END_TEST

START_TEST(test_quoted_newlines_in_one_write)
{
	fake.log_on = 1;
	ctl_set_quoted_newlines(c, 1);
	ck_assert_int_eq(wr("a,\"1\n\n2\"\nb\n\"\"\nc,\"x"), 18);
	ck_assert_str_eq(text_str(&fake.log), "1:a,\"1\\n\\n2\"\n2:b\n3:\"\"\n");
	ck_assert_int_eq(c->csv_state, CTL_CSV_QUOTED);
	/* the open quote carries to the next write */
	ck_assert_int_eq(wr("\ny\"\n"), 4);
	ck_assert_str_eq(text_str(&fake.log), "1:a,\"1\\n\\n2\"\n2:b\n3:\"\"\n4:c,\"x\\ny\"\n");
	/* a flush runs a line with an open quote as it is, and forgets the quote */
	ck_assert_int_eq(wr("d,\"open"), 7);
	ck_assert_int_eq(ctl_flush(c, &ex), 0);
	ck_assert_int_eq(c->csv_state, CTL_CSV_FIELD_START);
	ck_assert_int_eq(wr("e\n"), 2);
	ck_assert_str_eq(text_str(&fake.log) + strlen("1:a,\"1\\n\\n2\"\n2:b\n3:\"\"\n4:c,\"x\\ny\"\n"),
			 "5:d,\"open\n6:e\n");
}
END_TEST

START_TEST(test_quoted_newlines_short_count)
{
	const char *w = "a\nbad,\"1\n2\"\nc\n";

	fake.log_on = 1;
	ctl_set_quoted_newlines(c, 1);
	ck_assert_int_eq(wr(w), 2);
	ck_assert_int_eq(c->csv_state, CTL_CSV_FIELD_START);
	ck_assert_int_eq(wr(w + 2), -EINVAL);
	ck_assert_int_eq(wr("c\n"), 2);
	ck_assert_str_eq(text_str(&fake.log), "1:a\n2:bad,\"1\\n2\"\n2:bad,\"1\\n2\"\n3:c\n");
	expect_replies("Executed.\nParse error: bad\nExecuted.\n");
}
END_TEST

START_TEST(test_quoted_newlines_only_at_a_field_start)
{
	fake.log_on = 1;
	ctl_set_quoted_newlines(c, 1);
	/* a '"' inside an unquoted field opens nothing: the line ends at its newline */
	ck_assert_int_eq(wr("1,na\"me,1\n2,b,2\n"), 16);
	ck_assert_str_eq(text_str(&fake.log), "1:1,na\"me,1\n2:2,b,2\n");
	/* nor does one after a closed quoted field, or after a blank */
	fake.log.len = 0;
	ck_assert_int_eq(wr("\"x\"y\"\n \"a\nb\n"), 12);
	ck_assert_str_eq(text_str(&fake.log), "3:\"x\"y\"\n4: \"a\n5:b\n");
	/* a quote opening the first field, and one after a comma, do */
	fake.log.len = 0;
	ck_assert_int_eq(wr("\"a\n\",\"b\n\"\"\"\n"), 12);
	ck_assert_str_eq(text_str(&fake.log), "6:\"a\\n\",\"b\\n\"\"\"\n");
	ck_assert_int_eq(c->csv_state, CTL_CSV_FIELD_START);
}
END_TEST

/* ---- line numbers ------------------------------------------------------- */

START_TEST(test_line_numbers)
{
	fake.log_on = 1;
	ck_assert_int_eq(wr("a\nb"), 3);
	ck_assert_int_eq(wr("c\nd\n"), 4);
	ck_assert_uint_eq(c->lines_done, 3);
	ck_assert_int_eq(wr("e"), 1);
	ck_assert_int_eq(ctl_flush(c, &ex), 0);
	ck_assert_uint_eq(c->lines_done, 4);
	/* a short count: the failing line keeps its number for the retry */
	ck_assert_int_eq(wr("f\nbad\ng\n"), 2);
	ck_assert_uint_eq(c->lines_done, 5);
	ck_assert_int_eq(wr("bad\ng\n"), -EINVAL);
	ck_assert_uint_eq(c->lines_done, 6);
	ck_assert_int_eq(wr("g\n"), 2);
	/* a failing first line that began in an earlier write */
	ck_assert_int_eq(wr("ba"), 2);
	ck_assert_int_eq(wr("d\nh\n"), -EINVAL);
	ck_assert_uint_eq(c->lines_done, 8);
	ck_assert_int_eq(wr("h\n"), 2);
	/* flushes: nothing pending counts nothing; a failing line counts */
	ck_assert_int_eq(ctl_flush(c, &ex), 0);
	ck_assert_uint_eq(c->lines_done, 9);
	ck_assert_int_eq(wr("dup"), 3);
	ck_assert_int_eq(ctl_flush(c, &ex), -EEXIST);
	ck_assert_uint_eq(c->lines_done, 10);
	/* an I/O error after a boundary: the short count ends at the boundary */
	ck_assert_int_eq(wr("m\nmark\nx\nio\nz\n"), 7);
	ck_assert_uint_eq(c->lines_done, 12);
	ck_assert_int_eq(wr("x\nio\nz\n"), -EIO);
	ck_assert_uint_eq(c->lines_done, 14);
	ck_assert_int_eq(wr("z\n"), 2);
	/* a failed commit: every line of the write is done */
	fake.fail_commit = ROWFS_IOERR;
	ck_assert_int_eq(wr("p\nq\n"), -EIO);
	ck_assert_uint_eq(c->lines_done, 17);
	ck_assert_int_eq(wr("r\n"), 2);
	ck_assert_str_eq(text_str(&fake.log),
			 "1:a\n2:bc\n3:d\n4:e\n5:f\n6:bad\n6:bad\n7:g\n8:bad\n9:h\n10:dup\n"
			 "11:m\n12:mark\n13:x\n14:io\n13:x\n14:io\n15:z\n16:p\n17:q\n18:r\n");
}
END_TEST

/* ---- against a model splitter ------------------------------------------- */

/* One line as the model frames it: s[start..end), end at its '\n' or the end of s. */
struct span {
	size_t start;
	size_t end;
};

/* The lines of s[0..n), one per '\n' (outside quotes when quoted), and a last partial one. */
static size_t model_split(const char *s, size_t n, int quoted, struct span *out)
{
	size_t k = 0, start = 0, i;
	int at_field_start = 1, in_quote = 0;

	for (i = 0; i < n; i++) {
		if (quoted && in_quote) {
			/* a quoted field ends at a '"' that is not doubled */
			if (s[i] == '"' && i + 1 < n && s[i + 1] == '"')
				i++;
			else if (s[i] == '"')
				in_quote = 0;
			continue;
		}
		if (quoted && at_field_start && s[i] == '"') {
			in_quote = 1;   /* only a field's first byte opens quotes */
			at_field_start = 0;
			continue;
		}
		at_field_start = s[i] == ',' || s[i] == '\n';
		if (s[i] == '\n') {
			out[k].start = start;
			out[k++].end = i;
			start = i + 1;
		}
	}
	if (start < n) {
		out[k].start = start;
		out[k++].end = n;
	}
	return k;
}

/*
 * A random script of about max bytes: characters of a b , space quote CR
 * and LF, some lines starting with "bad"; with long, about one line in
 * long is a run of 500..3499 'a' bytes.
 */
static size_t random_script(uint64_t *rng, char *s, size_t max, unsigned long long long_lines)
{
	static const char alphabet[] = "aaaaabbb ,,\"\"\r\n\n\n\n";
	size_t n = 0;

	while (n + 4 < max) {
		if (n == 0 || s[n - 1] == '\n') {
			uint64_t r = tu_next_random(rng);

			if (r % 6 == 0) {
				memcpy(s + n, "bad", 3);
				n += 3;
			} else if (long_lines && r % long_lines == 1) {
				size_t len = 500 + (size_t)(tu_next_random(rng) % 3000);

				if (len > max - 4 - n)
					len = max - 4 - n;
				memset(s + n, 'a', len);
				n += len;
			}
		}
		s[n++] = alphabet[tu_next_random(rng) % (sizeof(alphabet) - 1)];
	}
	return n;
}

/* What the fake makes of a model line: 1 failing, 0 blank, 2 a statement. */
static int model_kind(const char *line, size_t len)
{
	size_t i;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len)
		return 0;
	return len >= 3 && !memcmp(line, "bad", 3) ? 1 : 2;
}

/* One handle writing one script as a client that goes on after every result. */
struct writer {
	struct ctl *h;          /* the handle */
	const char *s;          /* the script */
	size_t n;               /* its length */
	struct span *lines;     /* its model lines */
	size_t nlines;          /* how many */
	size_t pos;             /* bytes of s done */
	size_t cend;            /* end of the chunk being written */
	unsigned errors;        /* writes and flushes that returned -errno */
	unsigned lost;          /* those that returned -ENOBUFS */
	struct tu_buf log;      /* the fake's exec log of this handle */
};

/* Bytes every handle in w[0..nw) holds. */
static size_t held_all(const struct writer *w, int nw)
{
	size_t sum = 0;
	int i;

	for (i = 0; i < nw; i++)
		sum += w[i].h ? held(w[i].h) : 0;
	return sum;
}

/*
 * One step of writer w: a write of the rest of its chunk (a new random
 * chunk when the last one is done), or its flush at the end (then
 * returns 0).  After a short count the rest is written again; after
 * -errno the failing line (the model line that ends in the chunk) is
 * skipped.  Returns 1 while there is more to write.
 */
static int writer_step(uint64_t *rng, struct writer *w)
{
	struct tu_buf saved = fake.log;
	ssize_t r;
	size_t k;

	fake.handle = w->h;
	fake.log = w->log;
	if (w->pos >= w->n) {
		r = ctl_flush(w->h, &ex);
		REQUIRE(r == 0 || r == -EINVAL || r == -ENOBUFS, "flush returned %zd", r);
		w->errors += r != 0;
		w->lost += r == -ENOBUFS;
		w->log = fake.log;
		fake.log = saved;
		return 0;
	}
	if (w->pos >= w->cend) {
		size_t chunk = tu_next_random(rng) % 8 == 0 ? 1 + tu_next_random(rng) % 1000
							    : 1 + tu_next_random(rng) % 40;

		w->cend = w->pos + chunk < w->n ? w->pos + chunk : w->n;
	}
	r = ctl_write(w->h, &ex, w->s + w->pos, w->cend - w->pos);
	if (r > 0) {
		w->pos += (size_t)r;
	} else {
		REQUIRE(r == -EINVAL || r == -ENOBUFS, "write returned %zd", r);
		w->errors++;
		w->lost += r == -ENOBUFS;
		for (k = 0; k < w->nlines && w->lines[k].end < w->pos; k++)
			;
		REQUIRE(k < w->nlines && w->lines[k].end < w->cend, "no failing line at %zu", w->pos);
		w->pos = w->lines[k].end + 1;
	}
	w->log = fake.log;
	fake.log = saved;
	return 1;
}

/*
 * Check w's exec log against its model lines: every entry is the model
 * line of its number; the lines that do not fail ran once each, in order;
 * failing ones may run twice in a row.  Lines that never ran are those
 * lost under the budget: one per ENOBUFS result.  Returns the number of
 * statements that ran (and committed).
 */
static size_t check_log(const struct writer *w, const char *what)
{
	struct tu_buf entry = {0};
	const char *p = text_str((struct tu_buf *)&w->log);
	unsigned long long last = 0, num, distinct = 0;
	size_t statements = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		const struct span *sp;
		int kind;

		num = strtoull(p, NULL, 10);
		REQUIRE(num >= 1 && num <= w->nlines, "%s: line number %llu of %zu", what, num,
			w->nlines);
		sp = &w->lines[num - 1];
		kind = model_kind(w->s + sp->start, sp->end - sp->start);
		entry.len = 0;
		log_add(&entry, num, w->s + sp->start, sp->end - sp->start);
		REQUIRE(entry.len == (size_t)(nl - p) + 1 && !memcmp(entry.data, p, entry.len),
			"%s: exec %.*s is not model line %llu", what, (int)(nl - p), p, num);
		REQUIRE(num > last || (kind == 1 && num == last), "%s: line %llu after %llu", what,
			num, last);
		distinct += num > last;
		statements += kind == 2;
		last = num;
		p = nl + 1;
	}
	REQUIRE(distinct + w->lost == w->nlines, "%s: %llu lines ran, %u lost, of %zu", what,
		distinct, w->lost, w->nlines);
	free(entry.data);
	return statements;
}

/* Random chunkings of random scripts, framed (quoted or not) and numbered as the model says. */
START_TEST(test_random_chunkings_match_the_model)
{
	uint64_t seed = tu_seed("ROWFS_SEED", 0xc7111e5ull), rng = seed;
	int rounds = tu_flag("ROWFS_SLOW") ? 2000 : 200, round;
	static char s[4000];
	static struct span lines[4000];
	struct ctl_budget b;
	char what[64];

	printf("check_ctl model: seed %llu\n", (unsigned long long)seed);
	for (round = 0; round < rounds; round++) {
		struct writer w = {0};
		struct tu_buf want_committed = {0}, want_replies = {0};
		int quoted = round % 2;
		char *got;
		size_t k;

		snprintf(what, sizeof(what), "seed %llu round %d", (unsigned long long)seed, round);
		w.s = s;
		w.n = random_script(&rng, s, 100 + tu_next_random(&rng) % (sizeof(s) - 100), 0);
		w.lines = lines;
		w.nlines = model_split(s, w.n, quoted, lines);
		use_budget(&b, CTL_BUDGET_DEFAULT);
		w.h = c;
		ctl_set_quoted_newlines(c, quoted);
		fake.log_on = 1;
		fake.committed.len = 0;
		while (writer_step(&rng, &w))
			REQUIRE(b.used == held(c), "%s: budget %zu, held %zu", what, b.used, held(c));
		for (k = 0; k < w.nlines; k++) {
			const char *line = s + lines[k].start;
			size_t len = lines[k].end - lines[k].start;
			int kind = model_kind(line, len);

			if (kind == 2) {
				text_add(&want_committed, line, len - (len > 0 && line[len - 1] == '\r'));
				text_add(&want_committed, "\n", 1);
				text_add(&want_replies, "Executed.\n", 10);
			} else if (kind == 1) {
				text_add(&want_replies, "Parse error: bad\n", 17);
			}
		}
		REQUIRE(w.lost == 0, "%s: lines lost", what);
		check_log(&w, what);
		REQUIRE(c->lines_done == w.nlines, "%s: %llu lines done of %zu", what,
			(unsigned long long)c->lines_done, w.nlines);
		REQUIRE(!strcmp(text_str(&fake.committed), text_str(&want_committed)),
			"%s: committed differs", what);
		got = read_all(4096);
		REQUIRE(!strcmp(got, text_str(&want_replies)), "%s: replies differ", what);
		free(got);
		free(want_committed.data);
		free(want_replies.data);
		free(w.log.data);
		ctl_free(c);
		c = NULL;
		REQUIRE(b.used == 0, "%s: budget %zu after free", what, b.used);
	}
}
END_TEST

/* Reply lines in text, counting each "(K replies dropped)" notice as K. */
static uint64_t count_replies(const char *text)
{
	uint64_t n = 0;
	unsigned long long k;

	for (; *text; text = strchr(text, '\n') + 1) {
		if (sscanf(text, "(%llu replies dropped)\n", &k) == 1)
			n += k;
		else
			n++;
	}
	return n;
}

/*
 * Three handles with long lines interleaved under a budget of 12 KiB:
 * the budget holds exactly their buffers and never passes its limit;
 * every line that runs is the model line of its number; a line is lost
 * only with ENOBUFS; every reply is read or counted as dropped.
 */
START_TEST(test_random_handles_under_a_tight_budget)
{
	uint64_t seed = tu_seed("ROWFS_SEED", 0xb0d6e7ull), rng = seed;
	int rounds = tu_flag("ROWFS_SLOW") ? 300 : 40, round, i;
	static char s[3][20000];
	static struct span lines[3][20000];
	struct ctl_budget b;
	unsigned lost = 0;
	char what[64];

	printf("check_ctl budget: seed %llu\n", (unsigned long long)seed);
	ctl_free(c);
	c = NULL;
	for (round = 0; round < rounds; round++) {
		struct writer w[3];
		uint64_t replies[3] = {0, 0, 0};
		size_t statements;
		int active = 3;

		snprintf(what, sizeof(what), "seed %llu round %d", (unsigned long long)seed, round);
		ctl_budget_init(&b, 12 * 1024);
		memset(w, 0, sizeof(w));
		for (i = 0; i < 3; i++) {
			w[i].s = s[i];
			w[i].n = random_script(&rng, s[i], 2000 + tu_next_random(&rng) % 18000, 8);
			w[i].lines = lines[i];
			w[i].nlines = model_split(s[i], w[i].n, round % 2, lines[i]);
			w[i].h = ctl_new(&b);
			ck_assert_ptr_nonnull(w[i].h);
			ctl_set_quoted_newlines(w[i].h, round % 2);
		}
		fake.log_on = 1;
		while (active > 0) {
			struct writer *x = &w[tu_next_random(&rng) % 3];
			char *got;

			if (!x->h)
				continue;
			if (!writer_step(&rng, x)) {
				got = read_handle(x->h);
				replies[x - w] += count_replies(got);
				free(got);
				REQUIRE(x->h->lines_done == x->nlines, "%s: %llu lines done of %zu", what,
					(unsigned long long)x->h->lines_done, x->nlines);
				/* replies read or dropped == statements run + errors reported */
				statements = check_log(x, what);
				REQUIRE(replies[x - w] == statements + x->errors,
					"%s: %llu replies for %zu statements and %u errors", what,
					(unsigned long long)replies[x - w], statements, x->errors);
				lost += x->lost;
				ctl_free(x->h);
				x->h = NULL;
				free(x->log.data);
				active--;
			} else if (tu_next_random(&rng) % 4 == 0) {
				got = read_handle(x->h);
				replies[x - w] += count_replies(got);
				free(got);
			}
			REQUIRE(b.used == held_all(w, 3) && b.used <= b.limit,
				"%s: budget %zu, held %zu", what, b.used, held_all(w, 3));
		}
		REQUIRE(b.used == 0, "%s: budget %zu after free", what, b.used);
	}
	/* the budget did bite */
	REQUIRE(lost > 0, "seed %llu: no line lost under the budget", (unsigned long long)seed);
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("splitter");
	TCase *tq = tcase_create("queue");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_one_line);
	tcase_add_test(tc, test_lines_of_one_write_are_one_transaction);
	tcase_add_test(tc, test_line_split_across_writes);
	tcase_add_test(tc, test_crlf_is_left_to_the_engine);
	tcase_add_test(tc, test_blank_lines);
	tcase_add_test(tc, test_partial_line_runs_at_flush_once);
	tcase_add_test(tc, test_flush_reports_errno);
	tcase_add_test(tc, test_short_count);
	tcase_add_test(tc, test_short_count_keeps_nothing_after);
	tcase_add_test(tc, test_first_line_fails);
	tcase_add_test(tc, test_first_line_from_pending_fails);
	tcase_add_test(tc, test_retry_of_a_failed_tail);
	tcase_add_test(tc, test_io_error_applies_nothing);
	tcase_add_test(tc, test_commit_failure);
	tcase_add_test(tc, test_io_error_after_a_boundary);
	tcase_add_test(tc, test_exit_is_accepted_silently);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_line_at_the_limit);
	tcase_add_test(tc, test_overlong_pending_line_is_discarded);
	tcase_add_test(tc, test_overlong_line_inside_one_write);
	tcase_add_test(tc, test_megabyte_without_newline_stays_bounded);
	tcase_add_test(tc, test_pending_buffer_grows_and_shrinks);
	tcase_add_test(tc, test_lost_pending_line_fails);
	tcase_add_test(tc, test_replies_accumulate_until_read);
	tcase_add_test(tc, test_handles_are_independent);
	tcase_add_test(tc, test_big_select_through_ctl_is_bounded);
	tcase_add_test(tc, test_budget_accounting);
	tcase_add_test(tc, test_budget_partial_line_fails_with_enobufs);
	tcase_add_test(tc, test_budget_replies_drop_oldest);
	tcase_add_test(tc, test_quoted_newlines_across_one_byte_writes);
	tcase_add_test(tc, test_quoted_newlines_in_one_write);
	tcase_add_test(tc, test_quoted_newlines_short_count);
	tcase_add_test(tc, test_quoted_newlines_only_at_a_field_start);
	tcase_add_test(tc, test_line_numbers);
	tcase_add_test(tc, test_random_chunkings_match_the_model);
	tcase_add_test(tc, test_random_handles_under_a_tight_budget);
	suite_add_tcase(s, tc);

	tcase_set_timeout(tq, 30);
	tcase_add_test(tq, test_queue_drops_oldest_lines);
	tcase_add_test(tq, test_queue_notice_in_small_reads);
	tcase_add_test(tq, test_queue_piece_larger_than_limit);
	suite_add_tcase(s, tq);
	return s;
}

int main(void)
{
	return tu_run("check_ctl", ctl_suite());
}
