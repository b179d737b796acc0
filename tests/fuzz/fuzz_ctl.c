/*
 * fuzz_ctl.c - libFuzzer target: the ctl line splitter and reply queue of
 * fs/ctl.c, fed arbitrary sequences of write() chunks.
 *
 * Input layout:
 *   offset size  meaning
 *        0    1  mode: MODE_FAILURES (the fake executor fails some lines),
 *                MODE_READ_EACH (read replies after every write, else only
 *                at the end), MODE_COMMIT_FAIL (commits of transactions
 *                holding a line that starts with 'C' fail with EIO)
 *        1    4  chunk-size selectors, used in turn for each write()
 *        5    1  read-size selector
 *        6  ...  the byte stream written to ctl
 *
 * The client is a write-all loop, as cat(1) and stdio are: after a short
 * count it writes the rest again; after -errno it gives up on that chunk
 * and goes on with the next.  At the end the handle is flushed (close)
 * and every reply is read.
 *
 * The fake executor (lines with the '\r' dropped and blank lines skipped,
 * as the engine does): "B..." statement error, "D..." duplicate, "I..."
 * I/O error (with MODE_FAILURES only), "Sdigits" emits that many reply
 * lines (a select), anything else emits "Executed.\n"; lines over
 * CTL_MAX_LINE bytes and lines with NUL fail as in the engine.
 *
 * Invariants checked after every call:
 *   - ctl_write returns size, a short count 0 < n < size ending just
 *     after a newline (only after a statement error), or -errno from the
 *     contract's list; errors never happen unless a line failed;
 *   - memory is bounded: the partial line never exceeds CTL_PENDING_SIZE,
 *     each queue holds at most its limit and its buffer at most twice that;
 *     the handle's budget (CTL_BUDGET_DEFAULT, never reached here) is
 *     charged exactly its buffers' sizes, and nothing after ctl_free;
 *   - nothing is lost silently: reply lines read + lines reported by
 *     "(N replies dropped)" == lines emitted by committed statements +
 *     one error text per failed write;
 *   - without failures, the committed lines are exactly the lines of the
 *     stream, in order, each once.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "fuzz_util.h"

#define MODE_FAILURES 0x01u
#define MODE_READ_EACH 0x02u
#define MODE_COMMIT_FAIL 0x04u

#define MAX_SELECT_LINES 30000u     /* most lines one "S" statement emits (> a full queue) */
#define MAX_EMITTED 70000u          /* most reply lines of one input */

/* A growable byte string. */
struct text {
	char *buf;
	size_t len, cap;
};

static void text_add(struct text *t, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		char *q;

		while (cap < t->len + n)
			cap *= 2;
		q = realloc(t->buf, cap);
		FUZZ_CHECK(q != NULL);
		t->buf = q;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

/* The fake database. */
struct fake {
	unsigned mode;
	int in_txn;
	int txn_commit_fails;       /* a 'C' line ran in this transaction */
	struct text txn_lines;      /* lines of the open transaction, '\n' ended */
	uint64_t txn_emitted;       /* reply lines emitted in it */
	struct text committed;      /* lines committed, '\n' ended */
	uint64_t emitted;           /* reply lines of committed transactions */
	uint64_t total_emitted;     /* every reply line emitted, to bound the work */
	uint64_t failures;          /* exec or commit failures */
};

static int fake_begin(void *ctx, struct rowfs_err *err)
{
	struct fake *f = ctx;

	(void)err;
	FUZZ_CHECK(!f->in_txn);
	f->in_txn = 1;
	f->txn_commit_fails = 0;
	f->txn_lines.len = 0;
	f->txn_emitted = 0;
	return ROWFS_OK;
}

static int fail_with(struct fake *f, struct rowfs_err *err, int rc, const char *msg)
{
	f->failures++;
	err->rc = rc;
	err->sys_errno = 0;
	snprintf(err->msg, sizeof(err->msg), "%s", msg);
	return rc;
}

static int fake_exec(void *ctx, const char *line, size_t len, rowfs_emit_fn emit, void *emit_ctx,
		     struct rowfs_err *err)
{
	struct fake *f = ctx;
	size_t i, n;

	FUZZ_CHECK(f->in_txn);
	FUZZ_CHECK(memchr(line, '\n', len) == NULL);
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > CTL_MAX_LINE)
		return fail_with(f, err, ROWFS_SYNTAX, "Parse error: line too long");
	if (memchr(line, '\0', len))
		return fail_with(f, err, ROWFS_SYNTAX, "Parse error: NUL byte");
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	text_add(&f->txn_lines, line, len);
	text_add(&f->txn_lines, "\n", 1);
	if (i == len)
		return ROWFS_OK;
	if (f->mode & MODE_FAILURES) {
		if (line[0] == 'B')
			return fail_with(f, err, ROWFS_SYNTAX, "Parse error: bad");
		if (line[0] == 'D')
			return fail_with(f, err, ROWFS_DUPLICATE, "Error: duplicate key 1.");
		if (line[0] == 'I')
			return fail_with(f, err, ROWFS_IOERR, "Error: I/O error: fake");
	}
	if ((f->mode & MODE_COMMIT_FAIL) && line[0] == 'C')
		f->txn_commit_fails = 1;
	n = 1;
	if (line[0] == 'S') {
		n = 0;
		for (i = 1; i < len && i < 7 && line[i] >= '0' && line[i] <= '9'; i++)
			n = n * 10 + (size_t)(line[i] - '0');
		if (n > MAX_SELECT_LINES)
			n = MAX_SELECT_LINES;
	}
	if (f->total_emitted + n > MAX_EMITTED)
		n = 1;
	for (i = 0; i < n; i++) {
		const char *text = line[0] == 'S' ? "(1, x)\n" : "Executed.\n";

		if (emit(emit_ctx, text, strlen(text)))
			return fail_with(f, err, ROWFS_NOMEM, "out of memory");
	}
	f->txn_emitted += n;
	f->total_emitted += n;
	return ROWFS_OK;
}

static int fake_commit(void *ctx, struct rowfs_err *err)
{
	struct fake *f = ctx;

	FUZZ_CHECK(f->in_txn);
	f->in_txn = 0;
	if (f->txn_commit_fails)
		return fail_with(f, err, ROWFS_IOERR, "Error: I/O error: fake commit");
	text_add(&f->committed, f->txn_lines.buf, f->txn_lines.len);
	f->emitted += f->txn_emitted;
	return ROWFS_OK;
}

static int fake_rollback(void *ctx, struct rowfs_err *err)
{
	struct fake *f = ctx;

	(void)err;
	f->in_txn = 0;
	return ROWFS_OK;
}

/* The reader: counts reply lines and drop notices in the byte stream. */
struct reader {
	char line[64];        /* start of the current line */
	size_t line_len;      /* its bytes (counted past 64, not stored) */
	uint64_t lines;       /* reply lines read */
	uint64_t dropped;     /* sum of N of "(N replies dropped)" */
	uint64_t notices;     /* drop notices */
};

/* N if line[0..len) is "(N replies dropped)", else 0. */
static uint64_t drop_notice(const char *line, size_t len)
{
	static const char tail[] = " replies dropped)";
	const size_t tail_len = sizeof(tail) - 1;
	uint64_t n = 0;
	size_t i;

	if (len < 2 + tail_len || line[0] != '(' ||
	    memcmp(line + len - tail_len, tail, tail_len) != 0)
		return 0;
	for (i = 1; i < len - tail_len; i++) {
		if (line[i] < '0' || line[i] > '9')
			return 0;
		n = n * 10 + (uint64_t)(line[i] - '0');
	}
	return n;
}

static void end_line(struct reader *r)
{
	uint64_t n = 0;

	if (r->line_len < sizeof(r->line))
		n = drop_notice(r->line, r->line_len);
	if (n > 0) {
		r->dropped += n;
		r->notices++;
	} else {
		r->lines++;
	}
	r->line_len = 0;
}

static void reader_feed(struct reader *r, const char *p, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) : n;

		if (r->line_len < sizeof(r->line)) {
			size_t room = sizeof(r->line) - r->line_len;

			memcpy(r->line + r->line_len, p, len < room ? len : room);
		}
		r->line_len += len;
		if (!nl)
			return;
		end_line(r);
		p += len + 1;
		n -= len + 1;
	}
}

static void check_bounds(const struct ctl *c)
{
	/* the budget holds exactly the handle's buffers */
	FUZZ_CHECK(c->budget->used == c->pending_cap + c->replies.cap + c->staging.cap);
	FUZZ_CHECK(c->budget->used <= c->budget->limit);
	FUZZ_CHECK(c->pending_len <= CTL_PENDING_SIZE);
	FUZZ_CHECK(c->replies.len <= c->replies.limit);
	FUZZ_CHECK(c->replies.head + c->replies.len <= c->replies.cap || c->replies.len == 0);
	FUZZ_CHECK(c->replies.cap <= 2 * c->replies.limit);
	FUZZ_CHECK(c->staging.len <= c->staging.limit);
	FUZZ_CHECK(c->staging.cap <= 2 * c->staging.limit);
	FUZZ_CHECK(c->staging.len == 0);  /* staged replies never outlive a call */
}

/* A write size: 1..200 bytes, or 2 KiB .. 112 KiB. */
static size_t pick_size(uint8_t v)
{
	if (v < 200)
		return (size_t)v + 1;
	return (size_t)(v - 199) * 2048;
}

/* A read size: 1..64 bytes, or 512 bytes .. 96 KiB. */
static size_t pick_read_size(uint8_t v)
{
	if (v < 64)
		return (size_t)v + 1;
	return (size_t)(v - 63) * 512;
}

static void drain(struct ctl *c, struct reader *r, size_t read_size, char *buf)
{
	for (;;) {
		size_t want = ctl_queue_pending(&c->replies);
		size_t n = ctl_read(c, buf, read_size);

		FUZZ_CHECK(n <= read_size);
		FUZZ_CHECK(n == (want < read_size ? want : read_size));
		if (n == 0)
			break;
		reader_feed(r, buf, n);
	}
	FUZZ_CHECK(ctl_queue_pending(&c->replies) == 0);
}

static int allowed_errno(ssize_t n)
{
	return n == -EINVAL || n == -EEXIST || n == -EROFS || n == -EIO || n == -ENOSPC ||
	       n == -ENOMEM;
}

/* The lines of stream, as a splitter without failures must commit them. */
static void expected_lines(const uint8_t *p, size_t n, struct text *out)
{
	size_t pos = 0;

	while (pos < n) {
		const uint8_t *nl = memchr(p + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - p) : n;
		size_t len = end - pos;

		if (len > 0 && p[end - 1] == '\r')
			len--;
		text_add(out, p + pos, len);
		text_add(out, "\n", 1);
		pos = end + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fake f;
	struct ctl_executor ex = {fake_begin, fake_exec, fake_commit, fake_rollback, NULL, &f};
	struct reader r;
	struct ctl_budget budget;
	struct ctl *c;
	const uint8_t *stream;
	size_t stream_len, pos = 0, read_size;
	uint64_t errors_queued = 0;
	unsigned chunk = 0;
	char *buf;
	int rc;

	if (size < 6)
		return 0;
	memset(&f, 0, sizeof(f));
	memset(&r, 0, sizeof(r));
	f.mode = data[0];
	read_size = pick_read_size(data[5]);
	stream = data + 6;
	stream_len = size - 6;
	ctl_budget_init(&budget, CTL_BUDGET_DEFAULT);
	c = ctl_new(&budget);
	FUZZ_CHECK(c != NULL);
	buf = malloc(read_size);
	FUZZ_CHECK(buf != NULL);

	while (pos < stream_len) {
		size_t want = pick_size(data[1 + chunk % 4]);
		const char *p = (const char *)stream + pos;
		size_t left;

		chunk++;
		if (want > stream_len - pos)
			want = stream_len - pos;
		pos += want;
		left = want;
		/* the write-all loop of the client */
		while (left > 0) {
			size_t pending_before = c->pending_len;
			ssize_t n = ctl_write(c, &ex, p, left);

			check_bounds(c);
			FUZZ_CHECK(!f.in_txn);
			if (n < 0) {
				FUZZ_CHECK(allowed_errno(n));
				FUZZ_CHECK(f.failures > 0);
				FUZZ_CHECK(c->pending_len == 0);
				errors_queued++;
				break;
			}
			FUZZ_CHECK((size_t)n <= left);
			if ((size_t)n < left) {
				/* a short count: after a newline, only after a failure */
				FUZZ_CHECK(n > 0);
				FUZZ_CHECK(p[n - 1] == '\n');
				FUZZ_CHECK(f.failures > 0);
				FUZZ_CHECK(c->pending_len == 0);
			} else if (!memchr(p, '\n', left)) {
				/* no newline: all kept (up to the bound), nothing ran */
				size_t kept = pending_before + left;

				FUZZ_CHECK(c->pending_len ==
					   (kept < CTL_PENDING_SIZE ? kept : CTL_PENDING_SIZE));
			}
			p += n;
			left -= (size_t)n;
		}
		if (f.mode & MODE_READ_EACH)
			drain(c, &r, read_size, buf);
	}
	rc = ctl_flush(c, &ex);
	check_bounds(c);
	FUZZ_CHECK(c->pending_len == 0);
	FUZZ_CHECK(!f.in_txn);
	if (rc != 0) {
		FUZZ_CHECK(allowed_errno(rc));
		FUZZ_CHECK(f.failures > 0);
		errors_queued++;
	}
	drain(c, &r, read_size, buf);

	/* every reply was read or counted as dropped */
	if (r.lines + r.dropped != f.emitted + errors_queued) {
		fprintf(stderr, "fuzz_ctl: read %" PRIu64 " + dropped %" PRIu64 " != emitted %" PRIu64
			" + errors %" PRIu64 "\n", r.lines, r.dropped, f.emitted, errors_queued);
		abort();
	}
	if (!(f.mode & MODE_READ_EACH) && f.emitted + errors_queued <= 1000)
		FUZZ_CHECK(r.dropped == 0);   /* 1000 short lines fit in the queue */
	/* without failures every line of the stream committed once, in order */
	if (f.failures == 0) {
		struct text want = {0};

		expected_lines(stream, stream_len, &want);
		FUZZ_CHECK(want.len == f.committed.len);
		FUZZ_CHECK(want.len == 0 || !memcmp(want.buf, f.committed.buf, want.len));
		free(want.buf);
	}
	ctl_free(c);
	FUZZ_CHECK(budget.used == 0);
	free(buf);
	free(f.txn_lines.buf);
	free(f.committed.buf);
	return 0;
}
