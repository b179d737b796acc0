/*
 * ctl.c - owns what one open handle of `ctl` does with the bytes written to
 * it and the replies read from it; knows nothing of libfuse.
 *
 * Write path (CONTRACT.md, "Errors"):
 *
 *   pending + buf  --split at '\n'-->  line, line, ..., partial
 *
 *   - A line ends at every '\n' (memchr), or, with quoted newlines (CSV
 *     framing for import), at the first '\n' outside a quoted field (one
 *     whose first byte is '"', up to its closing '"'; a '"' inside an
 *     unquoted field opens nothing, as for the parser): c->csv_state
 *     carries the framing for the partial line from one write to the
 *     next.
 *   - The first complete line of a write is pending + the start of buf;
 *     every other line is run straight from buf, without a copy.  The
 *     newline is not part of a line; a '\r' before it is left for
 *     rowfs_exec(), which drops it (dropping it here as well would turn
 *     "x\r\r\n" into "x").
 *   - All complete lines of one write run in one transaction: begin once,
 *     exec per line, commit once (one fsync with sync=full).  The engine's
 *     executor (struct ctl_session) maps this unit onto rowfs.h's
 *     transactions: a unit takes the write transaction (a read one when
 *     another handle holds it) and ends it, unless `begin` left an
 *     explicit transaction open in it, which the handle then keeps.
 *   - Replies are staged in c->staging while the lines run and move to
 *     c->replies only once the commit succeeded: a reader never sees the
 *     reply of a statement that did not become durable.
 *   - A statement error (anything but IOERR/NOMEM/CORRUPT/FULL/ERROR) in the
 *     first line to complete: roll back, queue its text, return -errno.
 *     In a later line: commit the lines before it and return the short
 *     count (bytes of buf through the newline of the last committed line);
 *     its text is not queued, since the caller's retry runs it again as the
 *     first line and gets both the errno and the text then.  Bytes after
 *     the failing line are neither run nor kept.
 *   - IOERR/NOMEM/CORRUPT/FULL/ERROR anywhere (begin, exec or commit): roll
 *     back, queue "Error: I/O error: ..." and return -EIO (-ENOSPC,
 *     -ENOMEM): nothing of the write is applied.
 *   - The partial last line waits in c->pending (at most CTL_PENDING_SIZE
 *     bytes; the rest of an overlong line is discarded up to its newline,
 *     and the kept bytes are still over the engine's limit, so the line
 *     fails with "Parse error: line too long").  ctl_flush() runs it.
 *     The buffer grows as the line does (lines may be 4 MiB, most are
 *     short); if it cannot grow, the line is marked lost (its buffer is
 *     freed) and fails when it completes, never running cut short: with
 *     ENOMEM ("Error: out of memory") when realloc failed, with ENOBUFS
 *     ("Error: out of buffer space: ...") when the budget refused.
 *   - Line numbers (ctl_line_number): c->lines_done counts the lines that
 *     are done; it advances when a write or flush returns, by the lines
 *     its result consumed (see ctl.h).
 *
 * Budget: every buffer of a handle (pending, replies, staging) is charged
 * to c->budget for its allocated capacity before it grows, and uncharged
 * when freed.  A buffer grows by doubling; when the budget refuses that,
 * it takes what the budget has left if that is enough (one realloc, not
 * one per byte near the limit).  Otherwise the partial line is lost, and
 * a queue takes what is left and drops its oldest lines (then the new
 * text's) until the new text fits.
 *
 * Reply queue: a byte FIFO in one buffer of at most 2 * limit bytes.  Data
 * is compacted to the front only when the tail runs out and the head has
 * moved by at least half the buffer, so each byte is moved O(1) times.
 */
#include <config.h>
#include "ctl.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* Buffers below this size are kept when a queue drains. */
#define QUEUE_KEEP_CAP (64u * 1024u)
#define QUEUE_MIN_CAP 256u

void ctl_budget_init(struct ctl_budget *b, size_t limit)
{
	b->used = 0;
	b->limit = limit;
}

/* Bytes b may still charge (SIZE_MAX without a budget). */
static size_t budget_room(const struct ctl_budget *b)
{
	if (!b)
		return SIZE_MAX;
	return b->used < b->limit ? b->limit - b->used : 0;
}

/* Charge n bytes to b; 0, or -ENOBUFS (nothing charged) past its limit. */
static int budget_charge(struct ctl_budget *b, size_t n)
{
	if (n > budget_room(b))
		return -ENOBUFS;
	if (b)
		b->used += n;
	return 0;
}

/* Give back n bytes charged to b. */
static void budget_uncharge(struct ctl_budget *b, size_t n)
{
	if (b)
		b->used -= n;
}

/*
 * Grow the buffer *p of *cap bytes to want bytes (want > *cap), charging
 * the growth to b first.  Returns 0, -ENOBUFS (the budget refused) or
 * -ENOMEM (realloc failed); *p and *cap are unchanged on failure.
 */
static int budget_grow(struct ctl_budget *b, char **p, size_t *cap, size_t want)
{
	char *n;

	if (budget_charge(b, want - *cap) != 0)
		return -ENOBUFS;
	n = realloc(*p, want);
	if (!n) {
		budget_uncharge(b, want - *cap);
		return -ENOMEM;
	}
	*p = n;
	*cap = want;
	return 0;
}

/* Free the buffer *p of *cap bytes and uncharge it. */
static void budget_free(struct ctl_budget *b, char **p, size_t *cap)
{
	budget_uncharge(b, *cap);
	free(*p);
	*p = NULL;
	*cap = 0;
}

void ctl_queue_init(struct ctl_queue *q, size_t limit, struct ctl_budget *budget)
{
	memset(q, 0, sizeof(*q));
	q->limit = limit ? limit : 1;
	q->budget = budget;
}

void ctl_queue_release(struct ctl_queue *q)
{
	budget_free(q->budget, &q->buf, &q->cap);
	ctl_queue_init(q, q->limit, q->budget);
}

void ctl_queue_clear(struct ctl_queue *q)
{
	q->head = 0;
	q->len = 0;
	q->dropped = 0;
	q->notice_len = 0;
	q->notice_off = 0;
	if (q->cap > QUEUE_KEEP_CAP)
		budget_free(q->budget, &q->buf, &q->cap);
}

size_t ctl_queue_pending(const struct ctl_queue *q)
{
	size_t n = q->len + (q->notice_len - q->notice_off);

	if (q->dropped)
		n += (size_t)snprintf(NULL, 0, "(%" PRIu64 " replies dropped)\n", q->dropped);
	return n;
}

/* Remove the oldest line (through its newline, or everything) from q. */
static void drop_head_line(struct ctl_queue *q)
{
	const char *start = q->buf + q->head;
	const char *nl = memchr(start, '\n', q->len);
	size_t cut = nl ? (size_t)(nl - start) + 1 : q->len;

	q->head += cut;
	q->len -= cut;
	if (q->len == 0)
		q->head = 0;
	q->dropped++;
}

/* Move the queued bytes to the front of the buffer. */
static void compact(struct ctl_queue *q)
{
	if (q->head == 0)
		return;
	memmove(q->buf, q->buf + q->head, q->len);
	q->head = 0;
}

/*
 * Make room for need more bytes at the tail (q->len + need <= 2 * limit).
 * Returns 0, -ENOMEM, or -ENOBUFS when what the budget has left is not
 * enough (the queue is compacted then, and otherwise unchanged).
 */
static int reserve(struct ctl_queue *q, size_t need)
{
	size_t max_cap = 2 * q->limit;
	size_t want;

	if (q->head + q->len + need <= q->cap)
		return 0;
	if (q->head > 0 && (q->head >= q->cap / 2 || q->cap >= max_cap)) {
		compact(q);
		if (q->len + need <= q->cap)
			return 0;
	}
	want = q->cap ? q->cap : QUEUE_MIN_CAP;
	while (want < q->head + q->len + need)
		want *= 2;
	if (want > max_cap)
		want = max_cap;
	if (want < q->head + q->len + need)
		compact(q);   /* only possible with head > 0 */
	if (want - q->cap > budget_room(q->budget)) {
		/* the budget refuses the doubling: what is left, if that is enough */
		compact(q);
		if (q->len + need <= q->cap)
			return 0;
		want = q->cap + budget_room(q->budget);
		if (want < q->len + need)
			return -ENOBUFS;
	}
	return budget_grow(q->budget, &q->buf, &q->cap, want);
}

/* Drop the oldest line of text (through its newline, or all of it) and count it. */
static void drop_text_line(struct ctl_queue *q, const char **text, size_t *len)
{
	const char *nl = memchr(*text, '\n', *len);
	size_t cut = nl ? (size_t)(nl - *text) + 1 : *len;

	*text += cut;
	*len -= cut;
	q->dropped++;
}

/*
 * The budget does not let q grow enough for len more bytes: grow it as far
 * as the budget allows, then drop the oldest lines of q, then of text,
 * until what is left of text fits.  Leaves q compacted.
 */
static void squeeze(struct ctl_queue *q, const char **text, size_t *len)
{
	size_t room = budget_room(q->budget);
	size_t want = 2 * q->limit;

	if (want > q->cap) {
		if (want - q->cap > room)
			want = q->cap + room;
		if (want > q->cap)
			(void)budget_grow(q->budget, &q->buf, &q->cap, want);   /* failing keeps cap */
	}
	while (q->len > 0 && q->len + *len > q->cap)
		drop_head_line(q);
	while (*len > q->cap - q->len)
		drop_text_line(q, text, len);
	compact(q);
}

int ctl_queue_push(struct ctl_queue *q, const char *text, size_t len)
{
	int rc;

	/* A piece longer than the whole queue: its oldest lines go first. */
	while (len > q->limit)
		drop_text_line(q, &text, &len);
	if (len == 0)
		return 0;
	while (q->len > 0 && q->len + len > q->limit)
		drop_head_line(q);
	rc = reserve(q, len);
	if (rc == -ENOBUFS) {
		squeeze(q, &text, &len);
		rc = 0;
	}
	if (rc != 0)
		return rc;
	if (len == 0)
		return 0;
	memcpy(q->buf + q->head + q->len, text, len);
	q->len += len;
	return 0;
}

int ctl_queue_move(struct ctl_queue *dst, struct ctl_queue *src)
{
	int rc = 0;

	dst->dropped += src->dropped;
	if (dst->len == 0 && src->len <= dst->limit && dst->budget == src->budget) {
		/* The common case: hand the buffer over, no copy. */
		char *buf = dst->buf;
		size_t cap = dst->cap;

		dst->buf = src->buf;
		dst->cap = src->cap;
		dst->head = src->head;
		dst->len = src->len;
		src->buf = buf;
		src->cap = cap;
	} else if (src->len) {
		rc = ctl_queue_push(dst, src->buf + src->head, src->len);
	}
	ctl_queue_clear(src);
	return rc;
}

size_t ctl_queue_pop(struct ctl_queue *q, char *buf, size_t size)
{
	size_t done = 0;
	size_t n;

	if (q->dropped && q->notice_off == q->notice_len) {
		q->notice_len = (size_t)snprintf(q->notice, sizeof(q->notice),
						 "(%" PRIu64 " replies dropped)\n", q->dropped);
		q->notice_off = 0;
		q->dropped = 0;
	}
	if (q->notice_off < q->notice_len) {
		n = q->notice_len - q->notice_off;
		if (n > size)
			n = size;
		memcpy(buf, q->notice + q->notice_off, n);
		q->notice_off += n;
		done += n;
		if (q->notice_off == q->notice_len)
			q->notice_len = q->notice_off = 0;
	}
	n = q->len;
	if (n > size - done)
		n = size - done;
	if (n) {
		memcpy(buf + done, q->buf + q->head, n);
		q->head += n;
		q->len -= n;
		done += n;
	}
	if (q->len == 0) {
		q->head = 0;
		if (q->cap > QUEUE_KEEP_CAP)
			budget_free(q->budget, &q->buf, &q->cap);
	}
	return done;
}

/* executor begin: the write transaction, else (another handle holds it) a read one. */
static int db_begin(void *ctx, struct rowfs_err *err)
{
	struct ctl_session *s = ctx;
	int rc;

	if (s->txn)
		return ROWFS_OK;   /* the explicit transaction this handle keeps */
	rc = rowfs_txn_begin(s->db, 0, &s->txn, err);
	if (rc == ROWFS_BUSY)
		rc = rowfs_txn_begin(s->db, ROWFS_TXN_RDONLY, &s->txn, err);
	return rc;
}

static int db_exec(void *ctx, const char *line, size_t len, rowfs_emit_fn emit, void *emit_ctx,
		   struct rowfs_err *err)
{
	struct ctl_session *s = ctx;

	return rowfs_exec(s->txn, line, len, emit, emit_ctx, err);
}

/* Does s keep its transaction past the unit (an explicit transaction is open in it)? */
static int keeps_txn(const struct ctl_session *s)
{
	return rowfs_txn_state(s->txn) != ROWFS_TXN_NONE;
}

static int db_commit(void *ctx, struct rowfs_err *err)
{
	struct ctl_session *s = ctx;
	int rc;

	if (!s->txn || keeps_txn(s))
		return ROWFS_OK;   /* the unit ends, the explicit transaction goes on */
	rc = rowfs_txn_commit(s->txn, err);
	s->txn = NULL;
	return rc;
}

static int db_rollback(void *ctx, struct rowfs_err *err)
{
	struct ctl_session *s = ctx;

	(void)err;
	/*
	 * Inside an explicit transaction a unit has nothing of its own to undo:
	 * a statement error changed nothing, and a fatal error already rolled
	 * the transaction back (FAILED).
	 */
	if (!s->txn || keeps_txn(s))
		return ROWFS_OK;
	rowfs_txn_abort(s->txn);
	s->txn = NULL;
	return ROWFS_OK;
}

static uint64_t db_boundaries(void *ctx)
{
	struct ctl_session *s = ctx;

	return s->txn ? rowfs_txn_boundaries(s->txn) : 0;
}

void ctl_executor_init_db(struct ctl_executor *ex, struct ctl_session *s)
{
	ex->boundaries = db_boundaries;
	ex->begin = db_begin;
	ex->exec = db_exec;
	ex->commit = db_commit;
	ex->rollback = db_rollback;
	ex->ctx = s;
}

int ctl_session_holds_writer(const struct ctl_session *s)
{
	return s->txn && !rowfs_txn_rdonly(s->txn);
}

void ctl_session_end(struct ctl_session *s)
{
	rowfs_txn_abort(s->txn);
	s->txn = NULL;
}

void ctl_set_log(struct ctl *c, struct log *log, const char *name)
{
	c->log = log;
	snprintf(c->name, sizeof(c->name), "%s", name);
}

void ctl_set_writer(struct ctl *c, pid_t pid)
{
	c->pid = pid;
}

/*
 * Log the text (n bytes, no newline) of the error that ended a write as
 * "NAME pid PID line N: TEXT" (see ctl_set_log).
 */
static void log_error(const struct ctl *c, int rc, const char *text, int n)
{
	char numbered[40];
	int len = snprintf(numbered, sizeof(numbered), "line %" PRIu64 ": ", c->line_no);
	const char *line = numbered;

	if (!c->log)
		return;
	if (len > 0 && n >= len && strncmp(text, numbered, (size_t)len) == 0)
		line = "";   /* import's texts carry the number already */
	log_msg(c->log, rowfs_rc_is_fatal(rc) ? LOG_ERR : LOG_NOTICE, "%s pid %ld %s%.*s", c->name,
		(long)c->pid, line, n, text);
}

struct ctl *ctl_new(struct ctl_budget *budget)
{
	struct ctl *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pending = NULL;
	c->lost = CTL_KEPT;
	c->budget = budget;
	ctl_queue_init(&c->replies, CTL_QUEUE_LIMIT, budget);
	ctl_queue_init(&c->staging, CTL_QUEUE_LIMIT, budget);
	return c;
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	ctl_queue_release(&c->replies);
	ctl_queue_release(&c->staging);
	budget_free(c->budget, &c->pending, &c->pending_cap);
	free(c);
}

void ctl_set_quoted_newlines(struct ctl *c, int on)
{
	c->quoted_newlines = on != 0;
	if (!on)
		c->csv_state = CTL_CSV_FIELD_START;
}

uint64_t ctl_line_number(const struct ctl *c)
{
	return c->line_no;
}

size_t ctl_read(struct ctl *c, char *buf, size_t size)
{
	return ctl_queue_pop(&c->replies, buf, size);
}

/* Engine emit callback: stage reply text; non-zero stops the engine. */
static int stage_emit(void *ctx, const char *text, size_t len)
{
	return ctl_queue_push(ctx, text, len) != 0;
}

/* Queue the text of the error that ended a write (or flush). */
static void queue_error(struct ctl *c, int rc, const struct rowfs_err *err)
{
	char text[sizeof(err->msg) + 32];
	const char *msg = err->msg[0] ? err->msg : strerror(rowfs_fail_errno(rc));
	int n;

	if (rowfs_rc_is_fatal(rc) && strncmp(msg, "Error", 5) != 0)
		n = snprintf(text, sizeof(text), "Error: %s%s\n",
			     rc == ROWFS_NOMEM ? "" : "I/O error: ", msg);
	else
		n = snprintf(text, sizeof(text), "%s\n", msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(text)) {
		n = sizeof(text) - 1;
		text[n - 1] = '\n';
	}
	log_error(c, rc, text, n - 1);
	ctl_queue_push(&c->replies, text, (size_t)n);
}

/*
 * Make room for need bytes in c->pending (need <= CTL_PENDING_SIZE).
 * Returns 0, -ENOBUFS (what the budget has left is not enough) or -ENOMEM.
 */
static int pending_reserve(struct ctl *c, size_t need)
{
	size_t cap = c->pending_cap ? c->pending_cap : CTL_PENDING_MIN;

	if (need <= c->pending_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > CTL_PENDING_SIZE)
		cap = CTL_PENDING_SIZE;
	if (cap - c->pending_cap > budget_room(c->budget)) {
		/* the budget refuses the doubling: what is left, if that is enough */
		cap = c->pending_cap + budget_room(c->budget);
		if (cap < need)
			return -ENOBUFS;
	}
	return budget_grow(c->budget, &c->pending, &c->pending_cap, cap);
}

/* The partial line cannot grow (rc of pending_reserve): mark it lost, free its bytes. */
static void lose(struct ctl *c, int rc)
{
	if (rc == -ENOBUFS) {
		c->lost = CTL_LOST_BUDGET;
		c->lost_used = c->budget->used;
		c->lost_limit = c->budget->limit;
	} else {
		c->lost = CTL_LOST_MEMORY;
	}
	budget_free(c->budget, &c->pending, &c->pending_cap);
	c->pending_len = 0;
}

/* Append bytes of a line without its newline yet, within CTL_PENDING_SIZE. */
static void keep(struct ctl *c, const char *p, size_t n)
{
	size_t room = CTL_PENDING_SIZE - c->pending_len;
	int rc;

	if (n > room) {
		n = room;
		c->overlong = 1;
	}
	if (c->lost || n == 0)
		return;
	rc = pending_reserve(c, c->pending_len + n);
	if (rc != 0) {
		lose(c, rc);
		return;
	}
	memcpy(c->pending + c->pending_len, p, n);
	c->pending_len += n;
}

/*
 * One byte of a CSV line in state st (enum ctl_csv_state): the state after
 * it.  A '\n' outside a quoted field is handled by the caller.
 */
static int csv_step(int st, char ch)
{
	switch (st) {
	case CTL_CSV_QUOTED:
		return ch == '"' ? CTL_CSV_QUOTE_SEEN : CTL_CSV_QUOTED;
	case CTL_CSV_QUOTE_SEEN:
		if (ch == '"')
			return CTL_CSV_QUOTED;   /* a doubled quote: still inside */
		return ch == ',' ? CTL_CSV_FIELD_START : CTL_CSV_UNQUOTED;
	case CTL_CSV_FIELD_START:
		if (ch == '"')
			return CTL_CSV_QUOTED;
		return ch == ',' ? CTL_CSV_FIELD_START : CTL_CSV_UNQUOTED;
	default:
		return ch == ',' ? CTL_CSV_FIELD_START : CTL_CSV_UNQUOTED;
	}
}

/*
 * The newline that ends the line going on at p (n bytes), or NULL when
 * p[0..n) does not end it.  With quoted newlines a '\n' inside a quoted
 * field does not count; c->csv_state is the state before p and is left
 * as the state after the bytes scanned (CTL_CSV_FIELD_START when a line
 * ended).
 */
static const char *line_end(struct ctl *c, const char *p, size_t n)
{
	const char *end = p + n;
	int st = c->csv_state;

	if (!c->quoted_newlines)
		return memchr(p, '\n', n);
	for (; p < end; p++) {
		if (*p == '\n' && st != CTL_CSV_QUOTED) {
			c->csv_state = CTL_CSV_FIELD_START;
			return p;
		}
		st = csv_step(st, *p);
	}
	c->csv_state = st;
	return NULL;
}

/* 1 if a partial line is waiting (its bytes, or the mark that they were lost). */
static int has_pending(const struct ctl *c)
{
	return c->pending_len > 0 || c->lost;
}

static void forget_pending(struct ctl *c)
{
	c->pending_len = 0;
	c->overlong = 0;
	c->lost = CTL_KEPT;
	c->csv_state = CTL_CSV_FIELD_START;
	if (c->pending_cap > CTL_PENDING_KEEP)
		budget_free(c->budget, &c->pending, &c->pending_cap);
}

/* The transaction of one write() (or flush). */
struct batch {
	struct ctl *c;                  /* the handle */
	const struct ctl_executor *ex;  /* what runs the lines */
	int began;                      /* begin succeeded, commit or rollback owed */
	uint64_t lines;                 /* lines that ran successfully */
	size_t final;                   /* bytes of buf through the last boundary line (0: none) */
	uint64_t final_lines;           /* lines through that boundary line */
	uint64_t consumed;              /* lines of this call that will never run again */
	int fail_errno;                 /* errno of the failure, 0: rowfs_fail_errno(rc) */
	struct rowfs_err err;           /* detail of the last failure */
};

/* A partial line was lost: fail it with the errno and text of why. */
static int lost_line(struct batch *b)
{
	const struct ctl *c = b->c;

	if (c->lost != CTL_LOST_BUDGET)
		return rowfs_err_set(&b->err, ROWFS_NOMEM, 0, "Error: out of memory");
	b->fail_errno = ENOBUFS;
	return rowfs_err_set(&b->err, ROWFS_NOMEM, ENOBUFS,
			     "Error: out of buffer space: ctl handles hold %zu bytes of partial "
			     "lines and replies (limit %zu); write shorter lines or read the replies",
			     c->lost_used, c->lost_limit);
}

/* The errno a failure with rc reports. */
static int fail_errno(const struct batch *b, int rc)
{
	return b->fail_errno ? b->fail_errno : rowfs_fail_errno(rc);
}

/*
 * Run one line inside the batch's transaction, opening it first if needed.
 * line NULL: the bytes of a partial line were lost (lost_line).
 */
static int run_line(struct batch *b, const char *line, size_t len)
{
	int rc;

	b->c->line_no = b->c->lines_done + b->lines + 1;
	if (!line)
		return lost_line(b);

	if (!b->began) {
		rc = b->ex->begin(b->ex->ctx, &b->err);
		if (rc != ROWFS_OK)
			return rc;
		b->began = 1;
	}
	rc = b->ex->exec(b->ex->ctx, line, len, stage_emit, &b->c->staging, &b->err);
	if (rc == ROWFS_EXIT)   /* `.exit` means nothing on ctl: no reply */
		rc = ROWFS_OK;
	return rc;
}

/* Commit what ran; on success publish the replies and return n. */
static ssize_t finish(struct batch *b, size_t n)
{
	struct ctl *c = b->c;
	int rc;

	b->consumed = b->lines;
	if (!b->began)
		return (ssize_t)n;
	b->began = 0;
	rc = b->ex->commit(b->ex->ctx, &b->err);
	if (rc != ROWFS_OK) {
		/* a failed commit rolled back already */
		ctl_queue_clear(&c->staging);
		queue_error(c, rc, &b->err);
		forget_pending(c);
		return -fail_errno(b, rc);
	}
	/* committed: from here on the write succeeds whatever happens */
	ctl_queue_move(&c->replies, &c->staging);
	return (ssize_t)n;
}

/*
 * A line failed with rc.  done is the byte count through the newline of
 * the last line that ran, for the short count.
 */
static ssize_t fail(struct batch *b, int rc, size_t done)
{
	struct ctl *c = b->c;
	struct rowfs_err ignored;

	if (rowfs_rc_is_fatal(rc) && b->final > 0) {
		/*
		 * The lines through the last boundary are final (their replies
		 * were published then); the rest is rolled back, and the retry
		 * starts after the boundary and meets the error itself.
		 */
		if (b->began)
			b->ex->rollback(b->ex->ctx, &ignored);
		b->began = 0;
		b->consumed = b->final_lines;
		ctl_queue_clear(&c->staging);
		return (ssize_t)b->final;
	}
	if (rowfs_rc_is_fatal(rc) || b->lines == 0) {
		if (b->began)
			b->ex->rollback(b->ex->ctx, &ignored);
		b->began = 0;
		b->consumed = b->lines + 1;   /* the failing line's error is reported */
		ctl_queue_clear(&c->staging);
		queue_error(c, rc, &b->err);
		forget_pending(c);
		return -fail_errno(b, rc);
	}
	return finish(b, done);
}

/* FNV-1a of p[0..n): recognises the retry of a failed line's last bytes. */
static uint32_t retry_checksum(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

/*
 * Is buf the writer's retry of the bytes of a failed line that the
 * kernel cut (see write_lines)?  Forgets the note either way.
 */
static int is_retry_of_failed_tail(struct ctl *c, const char *buf, size_t size)
{
	size_t len = c->retry_len;

	c->retry_len = 0;
	return len > 0 && size >= len && !has_pending(c) && retry_checksum(buf, len) == c->retry_sum;
}

/* Run the lines of buf as one batch (ctl_write without the line count). */
static ssize_t write_lines(struct batch *b, const char *buf, size_t size)
{
	struct ctl *c = b->c;
	const struct ctl_executor *ex = b->ex;
	size_t pos = 0;
	uint64_t marks;
	int continued;

	while (pos < size) {
		const char *nl = line_end(c, buf + pos, size - pos);
		const char *line;
		size_t len, end;
		int rc;

		if (!nl) {
			keep(c, buf + pos, size - pos);
			break;
		}
		end = (size_t)(nl - buf) + 1;
		continued = has_pending(c);
		if (continued) {
			keep(c, buf + pos, end - 1 - pos);
			line = c->lost ? NULL : c->pending;
			len = c->pending_len;
		} else {
			line = buf + pos;
			len = end - 1 - pos;
		}
		marks = ex->boundaries ? ex->boundaries(ex->ctx) : 0;
		rc = run_line(b, line, len);
		forget_pending(c);
		if (rc != ROWFS_OK) {
			ssize_t n = fail(b, rc, pos);

			/*
			 * A line longer than one FUSE request failed in the request
			 * that ends it: the kernel reports the earlier requests as
			 * written (a short count), and the writer sends these bytes
			 * again.  Note them, so the retry fails the same way
			 * instead of running the line's tail as a statement.
			 */
			if (n < 0 && continued && pos == 0 && c->last_write >= CTL_SPLIT_MIN) {
				c->retry_len = end;
				c->retry_sum = retry_checksum(buf, end);
				c->retry_errno = (int)-n;
			}
			return n;
		}
		b->lines++;
		pos = end;
		if (ex->boundaries && ex->boundaries(ex->ctx) != marks) {
			/* final from here on: publish the replies so far */
			b->final = end;
			b->final_lines = b->lines;
			ctl_queue_move(&c->replies, &c->staging);
		}
	}
	return finish(b, size);
}

ssize_t ctl_write(struct ctl *c, const struct ctl_executor *ex, const char *buf, size_t size)
{
	struct batch b = {.c = c, .ex = ex};
	ssize_t n;

	if (is_retry_of_failed_tail(c, buf, size)) {
		c->last_write = size;
		return -c->retry_errno;   /* its error text was queued when it failed */
	}
	ctl_queue_clear(&c->staging);
	n = write_lines(&b, buf, size);
	c->last_write = size;
	c->lines_done += b.consumed;
	return n;
}

int ctl_flush(struct ctl *c, const struct ctl_executor *ex)
{
	struct batch b = {.c = c, .ex = ex};
	ssize_t n;
	int rc;

	if (!has_pending(c))
		return 0;
	ctl_queue_clear(&c->staging);
	rc = run_line(&b, c->lost ? NULL : c->pending, c->pending_len);
	forget_pending(c);
	c->lines_done++;   /* run or failed, the line is gone */
	if (rc != ROWFS_OK)
		return (int)fail(&b, rc, 0);
	n = finish(&b, 0);
	return n < 0 ? (int)n : 0;
}
