/*
 * files.c - owns the content of the streamed files (`rows`, `rows.csv`,
 * `rows.ndjson`, `range/A-B`, `first/N`, `last/N`) and of `btree`,
 * `constants` and `stats`.
 *
 * A stream is a key range [start, end], a row limit and a line format
 * (fs/render.c).  Each read calls rowfs_scan() of users from the handle's next key
 * and formats lines straight into the reader's buffer (no printf and no
 * allocation per row) until it is full, the range ends or the limit is
 * reached, then remembers next_key = last id + 1.  Seeking by key on every
 * read is what keeps a scan right while writers insert and delete: the
 * output stays sorted, repeats nothing, and holds every row that existed
 * at open and was not deleted meanwhile.  A line that does not fit is cut:
 * its rest waits in carry for the next read, so `dd bs=1` sees whole
 * lines.  The CSV header starts out in carry.
 *
 * Offsets: the stream remembers the offset its next sequential read has.
 * A read there continues; a read at 0 restarts from the start key; any
 * other offset restarts and discards bytes up to it (slow, but right for a
 * seeking reader such as less).
 *
 * The other three are small: rendered at open into a growable buffer and
 * read by offset, so one open handle sees one consistent text.  `check`
 * is rendered the same way: the fsck invariants run on the newest
 * committed state at open, then `ok` or one line per finding.
 *
 * Transactions: a stream reads through the read transaction its handle
 * opened, so one open file shows one committed state however long it is
 * read; the texts are rendered through a read transaction begun at open,
 * so from the newest committed state (never from an open transaction's
 * changes).
 *
 * `dump` is the engine's (rowfs_dump: `begin`, users' rows as `insert
 * ID NAME`, each other table's create statement and rows, `commit`),
 * through the handle's transaction: each read resumes the dump where the
 * last one paused (a position in the catalog and a key, kept in the
 * stream), a line the buffer cuts waits in a growable spill (a row of a
 * table may be megabytes long).
 */
#include <config.h>
#include "files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Make room for need bytes in r->carry; 0 or -1. */
static int carry_reserve(struct files_rows *r, size_t need)
{
	return rowfs_buf_grow(&r->carry, &r->carry_cap, need, RENDER_LINE_MAX, SIZE_MAX);
}

/* Go back to the start of the stream r describes. */
static void rewind_rows(struct files_rows *r)
{
	r->next_key = r->start;
	r->keys_done = 0;
	r->count = 0;
	r->pos = 0;
	r->carry_off = 0;
	r->carry_len = 0;
	/* the CSV header starts out in carry; the dump's first line comes from the engine */
	if (r->format == RENDER_CSV) {
		memcpy(r->carry, r->lines->header, r->lines->header_len);
		r->carry_len = r->lines->header_len;
	}
	memset(&r->dump, 0, sizeof(r->dump));
}

int files_rows_init(struct files_rows *r, const char *table, struct rowfs_lines_table *lines,
		    enum render_format format, int64_t start, int64_t end, uint64_t limit,
		    struct rowfs_txn *txn)
{
	size_t need = RENDER_LINE_MAX;

	memset(r, 0, sizeof(*r));
	r->lines = lines;
	if (table)
		snprintf(r->table, sizeof(r->table), "%s", table);
	r->txn = txn;
	r->format = format;
	r->start = start;
	r->end = end;
	r->limit = limit;
	if (lines && lines->header_len > need)
		need = lines->header_len;
	if ((!lines && format != RENDER_DUMP) || carry_reserve(r, need) != 0) {
		files_rows_release(r);
		return -ENOMEM;
	}
	rewind_rows(r);
	return 0;
}

/* Are rows left to format? */
static int rows_left(const struct files_rows *r)
{
	return !r->keys_done && r->next_key <= r->end && r->count < r->limit;
}

/* State of one fill of a reader's buffer. */
struct fill {
	struct files_rows *r;  /* the stream */
	char *dst;             /* the reader's buffer */
	size_t size;           /* its size */
	size_t used;           /* bytes filled */
	int failed;            /* a line could not be kept (out of memory) */
};

/*
 * A line of len bytes is due: write it straight into the reader's buffer
 * when it fits (write(dst) fills it), else into carry and cut it there.
 * Returns 1 when the buffer is full.
 */
static int put_line(struct fill *f, size_t len,
		    void (*write)(const struct fill *f, char *dst, const void *arg),
		    const void *arg)
{
	struct files_rows *r = f->r;
	size_t room = f->size - f->used;

	if (len <= room) {
		write(f, f->dst + f->used, arg);
		f->used += len;
		return f->used == f->size;
	}
	if (carry_reserve(r, len) != 0) {
		f->failed = 1;
		return 1;
	}
	write(f, r->carry, arg);
	memcpy(f->dst + f->used, r->carry, room);
	r->carry_len = len;
	r->carry_off = room;
	f->used = f->size;
	return 1;
}

/* One row being written by put_line. */
struct row_arg {
	const struct rowfs_value *vals;
	unsigned n;
};

/* A line being written by put_line: its bytes. */
struct text_arg {
	const char *text;
	size_t len;
};

static void write_text(const struct fill *f, char *dst, const void *arg)
{
	const struct text_arg *a = arg;

	(void)f;
	memcpy(dst, a->text, a->len);
}

static void write_row(const struct fill *f, char *dst, const void *arg)
{
	const struct row_arg *a = arg;

	rowfs_line((int)f->r->format, f->r->lines, a->vals, a->n, dst);
}

/* rowfs_scan callback: format one row into the buffer, or cut it into carry. */
static int fill_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct fill *f = ctx;
	struct files_rows *r = f->r;
	struct row_arg a = {vals, n};
	int lines = (int)r->format;
	int full;

	if (key > r->end)
		return 1;   /* past the range: nothing taken */
	if (rowfs_line_bound(lines, r->lines, vals, n) <= f->size - f->used) {
		/* the common case: straight into the reader's buffer, formatted once */
		f->used += rowfs_line(lines, r->lines, vals, n, f->dst + f->used);
		full = f->used == f->size;
	} else {
		full = put_line(f, rowfs_line_size(lines, r->lines, vals, n), write_row, &a);
	}
	if (f->failed)
		return 1;
	r->count++;
	if (key == INT64_MAX || key == r->end)
		r->keys_done = 1;
	else
		r->next_key = key + 1;
	return full || !rows_left(r);
}

static ssize_t fill_dump(struct files_rows *r, char *buf, size_t size, struct rowfs_err *err);

/* Copy what carry still holds into buf; returns the bytes copied. */
static size_t drain_carry(struct files_rows *r, char *buf, size_t size)
{
	size_t n = r->carry_len - r->carry_off;

	if (n > size)
		n = size;
	memcpy(buf, r->carry + r->carry_off, n);
	r->carry_off += n;
	if (r->carry_off == r->carry_len)
		r->carry_off = r->carry_len = 0;
	return n;
}

/* Fill buf with the next bytes of the stream; returns bytes or -errno. */
static ssize_t fill(struct files_rows *r, char *buf, size_t size, struct rowfs_err *err)
{
	struct fill f = {.r = r, .dst = buf, .size = size, .used = 0};

	if (r->format == RENDER_DUMP)
		return fill_dump(r, buf, size, err);

	f.used = drain_carry(r, buf, size);
	if (f.used < size && rows_left(r)) {
		int rc = rowfs_scan(r->txn, r->table[0] ? r->table : NULL, r->next_key, fill_row,
				    &f, err);

		if (f.failed) {
			/* a line was lost: the next read starts over and skips to its offset */
			rewind_rows(r);
			rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
			return -ENOMEM;
		}
		/*
		 * Damage met after some rows: serve those; the next read resumes
		 * after the last of them and meets the damage at once.
		 */
		if (rc != ROWFS_OK) {
			if (f.used == 0)
				return -rowfs_fail_errno(rc);
			r->pos += f.used;
			return (ssize_t)f.used;
		}
	}
	r->pos += f.used;
	return (ssize_t)f.used;
}

void files_rows_release(struct files_rows *r)
{
	free(r->carry);
	r->carry = NULL;
	r->carry_cap = r->carry_len = r->carry_off = 0;
	if (r->lines) {
		rowfs_lines_release(r->lines);
		free(r->lines);
		r->lines = NULL;
	}
}

/* rowfs_dump callback: one line into the reader's buffer, its rest into carry. */
static int fill_dump_line(void *ctx, const char *text, size_t len)
{
	struct text_arg a = {text, len};

	return put_line(ctx, len, write_text, &a);
}

/* fill() of `dump`: the carry first, then the engine's dump from where it paused. */
static ssize_t fill_dump(struct files_rows *r, char *buf, size_t size, struct rowfs_err *err)
{
	struct fill f = {.r = r, .dst = buf, .size = size, .used = 0};
	int rc;

	f.used = drain_carry(r, buf, size);
	if (f.used < size && r->dump.stage != ROWFS_DUMP_DONE) {
		rc = rowfs_dump(r->txn, &r->dump, fill_dump_line, &f, err);
		if (f.failed) {
			/* a line was lost: the next read starts over and skips to its offset */
			rewind_rows(r);
			rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
			return -ENOMEM;
		}
		if (rc != ROWFS_OK && f.used == 0)
			return -rowfs_fail_errno(rc);
	}
	r->pos += f.used;
	return (ssize_t)f.used;
}

ssize_t files_rows_read(struct files_rows *r, char *buf, size_t size, uint64_t off,
			struct rowfs_err *err)
{
	if (size == 0)
		return 0;
	if (off != r->pos) {
		char scratch[4096];

		if (off < r->pos)
			rewind_rows(r);
		while (r->pos < off) {
			uint64_t gap = off - r->pos;
			size_t n = gap < sizeof(scratch) ? (size_t)gap : sizeof(scratch);
			ssize_t got = fill(r, scratch, n, err);

			if (got <= 0)
				return got;
		}
	}
	return fill(r, buf, size, err);
}

/* A size scan over a key range: what it counts and how far. */
struct size_scan {
	const struct rowfs_lines_table *lines;  /* the table's */
	int format;                              /* the rendering */
	int64_t end;                             /* last key included */
	uint64_t limit;                          /* rows left to count */
	uint64_t bytes;                          /* line bytes so far */
};

/* rowfs_scan callback: add one row's line size. */
static int size_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct size_scan *z = ctx;

	if (key > z->end || z->limit == 0)
		return 1;
	z->bytes += rowfs_line_size(z->format, z->lines, vals, n);
	z->limit--;
	return z->limit == 0 || key == z->end;
}

int files_rows_size(const char *table, const struct rowfs_lines_table *lines,
		    enum render_format format, int64_t start, int64_t end, uint64_t limit,
		    struct rowfs_txn *txn, uint64_t *size, struct rowfs_err *err)
{
	struct size_scan z = {lines, (int)format, end, limit, 0};
	struct rowfs_table_sizes counts;
	int64_t lowest = lines->seed ? 0 : INT64_MIN;
	int rc;

	*size = 0;
	if (format == RENDER_DUMP) {
		rc = rowfs_dump_size(txn, size, err);
		return rc == ROWFS_OK ? 0 : -rowfs_fail_errno(rc);
	}
	if (format == RENDER_CSV)
		*size = lines->header_len;
	if (start <= lowest && end == INT64_MAX && limit == UINT64_MAX) {
		rc = rowfs_table_sizes(txn, table, ROWFS_LINES_BIT((int)format), &counts, err);
		if (rc != ROWFS_OK)
			return -rowfs_fail_errno(rc);
		*size += counts.bytes[format];
		return 0;
	}
	if (limit == 0 || start > end)
		return 0;
	rc = rowfs_scan(txn, table, start, size_row, &z, err);
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	*size += z.bytes;
	return 0;
}

/* Engine emit callback: append text to a struct files_text. */
static int text_emit(void *ctx, const char *text, size_t len)
{
	struct files_text *t = ctx;

	if (rowfs_buf_grow(&t->buf, &t->cap, t->len + len, 4096, SIZE_MAX) != 0)
		return 1;
	memcpy(t->buf + t->len, text, len);
	t->len += len;
	return 0;
}

/* `name: value` lines of one table's numbers (tables/T/stats). */
static int render_table_stats(struct files_text *t, const char *table, struct rowfs_txn *txn,
			      struct rowfs_err *err)
{
	struct rowfs_table_stats st;
	char text[256];
	int n, rc = rowfs_table_stats(txn, table, &st, err);

	if (rc != ROWFS_OK)
		return rc;
	n = snprintf(text, sizeof(text), "rows: %llu\ndepth: %u\npages: %u\ncolumns: %u\n",
		     (unsigned long long)st.rows, st.depth, st.pages, st.columns);
	if (text_emit(t, text, (size_t)n))
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	return ROWFS_OK;
}

/* `.schema T` run in txn: the table's normalized create statements. */
static int render_schema(struct files_text *t, const char *table, struct rowfs_txn *txn,
			 struct rowfs_err *err)
{
	char line[16 + ROWFS_NAME_MAX];
	int n = snprintf(line, sizeof(line), ".schema %s", table ? table : "users");

	return rowfs_exec(txn, line, (size_t)n, text_emit, t, err);
}

int files_text_render(struct files_text *t, enum files_text_kind kind, const char *table,
		      struct rowfs_txn *txn, struct rowfs_err *err)
{
	uint64_t problems = 0;
	int rc;

	t->buf = NULL;
	t->len = t->cap = 0;
	switch (kind) {
	case FILES_TEXT_BTREE:
		rc = rowfs_render_btree(txn, text_emit, t, err);
		break;
	case FILES_TEXT_CONSTANTS:
		rc = rowfs_render_constants(text_emit, t);
		if (rc != ROWFS_OK)
			rowfs_err_set(err, rc, 0, "rendering constants failed");
		break;
	case FILES_TEXT_STATS:
		rc = rowfs_render_stats(txn, text_emit, t, err);
		break;
	case FILES_TEXT_TABLE_BTREE:
		rc = rowfs_render_table_btree(txn, table, text_emit, t, err);
		break;
	case FILES_TEXT_TABLE_STATS:
		rc = render_table_stats(t, table, txn, err);
		break;
	case FILES_TEXT_SCHEMA:
		rc = render_schema(t, table, txn, err);
		break;
	case FILES_TEXT_CHECK:
		rc = rowfs_check(txn, text_emit, t, &problems, err);
		if (rc == ROWFS_OK && problems == 0 && text_emit(t, "ok\n", 3))
			rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		break;
	default:
		rc = rowfs_err_set(err, ROWFS_ERROR, 0, "unknown text kind %d", (int)kind);
		break;
	}
	if (rc == ROWFS_OK)
		return 0;
	files_text_release(t);
	return -rowfs_fail_errno(rc);
}

size_t files_text_read(const struct files_text *t, char *buf, size_t size, uint64_t off)
{
	size_t n;

	if (off >= t->len)
		return 0;
	n = t->len - (size_t)off;
	if (n > size)
		n = size;
	memcpy(buf, t->buf + off, n);
	return n;
}

void files_text_release(struct files_text *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = t->cap = 0;
}
