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
#include <stdlib.h>
#include <string.h>

/* Go back to the start of the stream r describes. */
static void rewind_rows(struct files_rows *r)
{
	r->next_key = r->start;
	r->count = 0;
	r->pos = 0;
	/* the dump's first line comes from the engine */
	r->carry_len = r->format == RENDER_DUMP ? 0 : render_header(r->format, r->carry);
	r->carry_off = 0;
	r->footer_done = 0;
	memset(&r->dump, 0, sizeof(r->dump));
	r->spill_len = r->spill_off = 0;
}

void files_rows_init(struct files_rows *r, enum render_format format, uint64_t start,
		     uint64_t end, uint64_t limit, struct rowfs_txn *txn)
{
	r->spill = NULL;
	r->spill_cap = 0;
	r->txn = txn;
	r->format = format;
	r->start = start;
	r->end = end;
	r->limit = limit;
	rewind_rows(r);
}

/* Are rows left to format? */
static int rows_left(const struct files_rows *r)
{
	return r->next_key <= UINT32_MAX && r->next_key <= r->end && r->count < r->limit;
}

/* State of one fill of a reader's buffer. */
struct fill {
	struct files_rows *r;  /* the stream */
	char *dst;             /* the reader's buffer */
	size_t size;           /* its size */
	size_t used;           /* bytes filled */
	int failed;            /* dump: the spill could not grow */
};

/* rowfs_scan callback: format one users row into the buffer, or cut it into carry. */
static int fill_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct fill *f = ctx;
	struct files_rows *r = f->r;
	size_t room = f->size - f->used;
	uint32_t id = (uint32_t)key;
	const char *name = n > 1 ? vals[1].p : "";
	size_t name_len = n > 1 ? vals[1].len : 0;
	size_t len;

	if (key < 0 || (uint64_t)key > r->end)
		return 1;   /* past the range: nothing taken */
	r->next_key = (uint64_t)id + 1;
	r->count++;
	if (room >= RENDER_LINE_MAX) {
		f->used += render_row(r->format, f->dst + f->used, id, name, name_len);
		return f->used == f->size || !rows_left(r);
	}
	len = render_row(r->format, r->carry, id, name, name_len);
	if (len <= room) {
		memcpy(f->dst + f->used, r->carry, len);
		f->used += len;
		return f->used == f->size || !rows_left(r);
	}
	memcpy(f->dst + f->used, r->carry, room);
	r->carry_len = len;
	r->carry_off = room;
	f->used = f->size;
	return 1;
}

static ssize_t fill_dump(struct files_rows *r, char *buf, size_t size, struct rowfs_err *err);

/* Fill buf with the next bytes of the stream; returns bytes or -errno. */
static ssize_t fill(struct files_rows *r, char *buf, size_t size, struct rowfs_err *err)
{
	struct fill f = {.r = r, .dst = buf, .size = size, .used = 0};

	if (r->format == RENDER_DUMP)
		return fill_dump(r, buf, size, err);

	if (r->carry_off < r->carry_len) {
		size_t n = r->carry_len - r->carry_off;

		if (n > size)
			n = size;
		memcpy(buf, r->carry + r->carry_off, n);
		r->carry_off += n;
		f.used = n;
	}
	if (r->carry_off == r->carry_len)
		r->carry_off = r->carry_len = 0;
	if (f.used < size && rows_left(r)) {
		int rc = rowfs_scan(r->txn, NULL, (int64_t)r->next_key, fill_row, &f, err);

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
	/* the rows ended with room left and nothing cut: the last line */
	if (f.used < size && r->carry_len == 0 && !r->footer_done) {
		size_t n;

		r->footer_done = 1;
		r->next_key = (uint64_t)UINT32_MAX + 1;
		r->carry_len = render_footer(r->format, r->carry);
		n = r->carry_len < size - f.used ? r->carry_len : size - f.used;
		memcpy(buf + f.used, r->carry, n);
		f.used += n;
		r->carry_off = n;
		if (r->carry_off == r->carry_len)
			r->carry_off = r->carry_len = 0;
	}
	r->pos += f.used;
	return (ssize_t)f.used;
}

void files_rows_release(struct files_rows *r)
{
	free(r->spill);
	r->spill = NULL;
	r->spill_cap = r->spill_len = r->spill_off = 0;
}

/* rowfs_dump callback: one line into the reader's buffer, its rest into the spill. */
static int fill_dump_line(void *ctx, const char *text, size_t len)
{
	struct fill *f = ctx;
	struct files_rows *r = f->r;
	size_t room = f->size - f->used;

	if (len <= room) {
		memcpy(f->dst + f->used, text, len);
		f->used += len;
		return f->used == f->size;
	}
	memcpy(f->dst + f->used, text, room);
	f->used = f->size;
	if (len - room > r->spill_cap) {
		char *p = realloc(r->spill, len - room);

		if (!p) {
			f->failed = 1;   /* the dump pauses; fill_dump reports ENOMEM */
			return 1;
		}
		r->spill = p;
		r->spill_cap = len - room;
	}
	memcpy(r->spill, text + room, len - room);
	r->spill_len = len - room;
	r->spill_off = 0;
	return 1;
}

/* fill() of `dump`: the spill first, then the engine's dump from where it paused. */
static ssize_t fill_dump(struct files_rows *r, char *buf, size_t size, struct rowfs_err *err)
{
	struct fill f = {.r = r, .dst = buf, .size = size, .used = 0};
	int rc;

	if (r->spill_off < r->spill_len) {
		size_t n = r->spill_len - r->spill_off;

		if (n > size)
			n = size;
		memcpy(buf, r->spill + r->spill_off, n);
		r->spill_off += n;
		f.used = n;
	}
	if (f.used < size && r->dump.stage != ROWFS_DUMP_DONE) {
		r->spill_len = r->spill_off = 0;
		rc = rowfs_dump(r->txn, &r->dump, fill_dump_line, &f, err);
		if (f.failed) {
			/* a line was lost: the next read starts over and skips to its offset */
			rewind_rows(r);
			rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
			return -ENOMEM;
		}
		if (rc != ROWFS_OK && f.used == 0) {
			int e = rowfs_errno(rc);

			return -(e ? e : EIO);
		}
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

/* Engine emit callback: append text to a struct files_text. */
static int text_emit(void *ctx, const char *text, size_t len)
{
	struct files_text *t = ctx;

	if (t->len + len > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *p;

		while (cap < t->len + len)
			cap *= 2;
		p = realloc(t->buf, cap);
		if (!p)
			return 1;
		t->buf = p;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, text, len);
	t->len += len;
	return 0;
}

int files_text_render(struct files_text *t, enum files_text_kind kind, struct rowfs_txn *txn,
		      struct rowfs_err *err)
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
