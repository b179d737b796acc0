/*
 * check_ctl.c - unit tests of fs/ctl.c without a mount: the line splitter
 * (splits, CRLF, partial lines, blank lines, overlong lines, NUL), the
 * transaction and short-count rule of one write, flush, and the bounded
 * reply queue with its drop counter.
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
};

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
}

static void teardown(void)
{
	ctl_free(c);
	free(fake.txn.data);
	free(fake.committed.data);
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
