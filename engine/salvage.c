/*
 * salvage.c - rowfs_salvage(): every row that can still be read from a
 * damaged DBFILE and its WAL, written out as a replayable dump.
 *
 * Owns: the salvage rules below and the dump format.  It reads DBFILE
 * page by page through os.h and DBFILE-wal through a read-only wal handle,
 * and never writes to either.  It does not use the pager or the B-tree:
 * the pager refuses a file whose header fails its checks, and the tree
 * cannot be trusted to lead to every leaf.  Only format.h's layout, row.c's
 * codec and wal.c's frame validation are trusted.
 *
 * Dump format (the same as the mount's `dump` file), whole lines:
 *
 *     begin
 *     insert ID NAME          one per row, ascending ID, each ID once
 *     commit
 *
 * NAME is stored byte for byte; a row that decodes holds only name
 * characters (row.c), so every line is a valid statement.
 *
 * Rules.
 *  1. Pages.  The page count is the size of DBFILE, rounded up, never the
 *     header's (a partial last page is read as if zero-filled, but only its
 *     cells that lie wholly inside the file are used: a name cut short and
 *     padded would decode as a different, shorter name).  Every page
 *     after page 0 is read.  A page whose type byte is NODE_LEAF and whose
 *     cell count is at most LEAF_NODE_MAX_CELLS is a leaf, wherever it sits
 *     (in the tree, cut off from it by a damaged internal node, or past the
 *     header's page count).  NODE_INTERNAL pages with a count in bounds and
 *     NODE_FREE pages are valid and hold no rows.  Anything else, and a page
 *     that cannot be read (EIO), is a damaged page and is skipped.
 *  2. Cells.  A leaf cell yields a row when its ROW_SIZE bytes decode
 *     (row_decode: a 1..32-byte name of name characters, zero padding) and
 *     the row's id equals the cell key; other cells are skipped (bad
 *     cells), the rest of the leaf is still used.
 *  3. Tree.  When page 0 is a valid header (magic, version, page size,
 *     checksum), the tree is walked from its root over the internal nodes
 *     found in rule 1 (each page once, children in range only), marking the
 *     leaves it reaches.  When a key appears on more than one leaf, the row
 *     on a leaf reached from the tree wins; among equals, the lowest page
 *     number.  (Stale leaves outside the tree are rare: freed pages are
 *     zeroed, a split clears the cells it moves.  A leaf left past the page
 *     count by an interrupted checkpoint may still hold a row deleted later:
 *     that row comes back unless the WAL deletes it.)
 *  4. WAL.  Every valid WAL_FRAME_TXN frame is applied on top, in log
 *     order, one record at a time: insert and update set the row (an update
 *     of a row lost with its page brings it back), delete removes it.
 *     Records that do not validate are skipped.  All valid TXN frames are
 *     applied, whatever the header's applied sequence says: the WAL holds
 *     exactly the transactions since the last completed checkpoint, and
 *     applying "set" and "remove" again on a state that already has them
 *     gives the same rows, so a damaged header does not matter.  For the
 *     same reason the PAGE frames of a checkpoint block are not needed:
 *     every change they carry is also in a TXN frame still in the log.  The
 *     log ends at its first invalid frame (wal.c); a WAL that cannot be
 *     opened or read is noted in the statistics and the dump is made from
 *     DBFILE alone, or from the prefix read.
 *
 * Memory: one byte per page of DBFILE, a stack of page numbers for the tree
 * walk, and one entry (48 bytes) per row read from a leaf or a WAL record;
 * the entries are sorted once (id, then precedence) and the first entry of
 * each id decides.
 */
#include <config.h>
#include "rowfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "os.h"
#include "row.h"
#include "util.h"
#include "wal.h"

/* Per-page flags of the scan. */
#define PAGE_LEAF 1u        /* a leaf by rule 1 */
#define PAGE_INTERNAL 2u    /* an internal node with a count in bounds */
#define PAGE_REACHED 4u     /* reached by the tree walk */

/* Where an entry came from, in order of precedence for one id. */
enum source {
	SOURCE_WAL = 0,     /* a WAL record: the latest one wins over everything */
	SOURCE_TREE = 1,    /* a leaf reached from the root */
	SOURCE_ORPHAN = 2   /* any other leaf */
};

/* One row (or WAL delete) seen, before the choice. */
struct entry {
	uint64_t order;                 /* WAL: record number in log order; leaf: page number */
	uint32_t id;                    /* the key */
	uint8_t source;                 /* enum source */
	uint8_t deleted;                /* a WAL delete: the id has no row */
	uint8_t name_len;               /* bytes in name */
	char name[USERNAME_SIZE];       /* not NUL-terminated */
};

/* State of one rowfs_salvage() call. */
struct salvager {
	struct os_file *file;           /* DBFILE, read-only */
	struct rowfs_salvage_stats *st; /* counters */
	uint64_t page_count;            /* pages in DBFILE (size rounded up) */
	uint8_t *flags;                 /* PAGE_* per page */
	uint8_t *page;                  /* one page buffer */
	size_t page_len;                /* bytes of it read from the file (the rest is zero) */
	struct entry *entries;          /* rows and WAL records seen */
	size_t count, cap;              /* entries used, allocated */
	uint64_t internal_pages;        /* pages flagged PAGE_INTERNAL */
	uint32_t root;                  /* root page from a valid header */
};

/* Room for one more entry; ROWFS_NOMEM when there is none. */
static int grow(struct salvager *s)
{
	struct entry *n;
	size_t cap;

	if (s->count < s->cap)
		return ROWFS_OK;
	if (s->cap > SIZE_MAX / 2 / sizeof(*n))
		return ROWFS_NOMEM;
	cap = s->cap ? s->cap * 2 : 1024;
	n = realloc(s->entries, cap * sizeof(*n));
	if (!n)
		return ROWFS_NOMEM;
	s->entries = n;
	s->cap = cap;
	return ROWFS_OK;
}

/* Append a row entry (name from a decoded row; NULL for a delete). */
static int add_entry(struct salvager *s, uint32_t id, const struct row *row, enum source source,
		     uint64_t order)
{
	struct entry *e;

	if (grow(s) != ROWFS_OK)
		return ROWFS_NOMEM;
	e = &s->entries[s->count++];
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->order = order;
	e->source = (uint8_t)source;
	e->deleted = row == NULL;
	if (row) {
		e->name_len = row->username_len;
		memcpy(e->name, row->username, row->username_len);
	}
	return ROWFS_OK;
}

/*
 * Read page pgno into s->page, zero-filling past the end of the file.
 * Returns 1 when it was read, 0 when the read failed (a damaged page).
 */
static int read_page(struct salvager *s, uint64_t pgno)
{
	struct rowfs_err ignored = { 0 };
	size_t got = 0;

	if (os_read(s->file, s->page, PAGE_SIZE, pgno * PAGE_SIZE, &got, &ignored) != ROWFS_OK)
		return 0;
	memset(s->page + got, 0, PAGE_SIZE - got);
	s->page_len = got;
	return 1;
}

/* Rule 1 and 2 for one page already in s->page. */
static int scan_page(struct salvager *s, uint32_t pgno)
{
	const uint8_t *node = s->page;
	const uint8_t *cell;
	uint32_t count, i;
	struct row row;

	count = get_u32(node + LEAF_NODE_NUM_CELLS_OFFSET);  /* same offset for both kinds */
	switch (node[NODE_TYPE_OFFSET]) {
	case NODE_LEAF:
		if (count > LEAF_NODE_MAX_CELLS)
			break;
		s->flags[pgno] |= PAGE_LEAF;
		s->st->leaf_pages++;
		for (i = 0; i < count; i++) {
			size_t off = LEAF_NODE_HEADER_SIZE + (size_t)i * LEAF_NODE_CELL_SIZE;

			cell = node + off;
			if (off + LEAF_NODE_CELL_SIZE > s->page_len ||
			    row_decode(cell + LEAF_NODE_VALUE_OFFSET, &row) != ROWFS_OK ||
			    row.id != get_u32(cell + LEAF_NODE_KEY_OFFSET)) {
				s->st->bad_cells++;
				continue;
			}
			/* The source is settled after the tree walk (resolve_sources). */
			if (add_entry(s, row.id, &row, SOURCE_ORPHAN, pgno) != ROWFS_OK)
				return ROWFS_NOMEM;
		}
		return ROWFS_OK;
	case NODE_INTERNAL:
		if (count > INTERNAL_NODE_MAX_KEYS)
			break;
		s->flags[pgno] |= PAGE_INTERNAL;
		s->internal_pages++;
		return ROWFS_OK;
	case NODE_FREE:
		return ROWFS_OK;
	}
	s->st->damaged_pages++;
	return ROWFS_OK;
}

/* Rule 1: every page after page 0. */
static int scan_pages(struct salvager *s)
{
	uint64_t pgno;

	for (pgno = 1; pgno < s->page_count; pgno++) {
		s->st->pages++;
		if (!read_page(s, pgno)) {
			s->st->damaged_pages++;
			continue;
		}
		if (scan_page(s, (uint32_t)pgno) != ROWFS_OK)
			return ROWFS_NOMEM;
	}
	return ROWFS_OK;
}

/*
 * FNV-1a over bytes 0..63 of the header, as pager_header_checksum()
 * computes it (the pager is above this module; both call util.h's
 * fnv1a32, and check_salvage tests that a database the pager wrote has
 * a valid header here).
 */
static uint32_t header_checksum(const uint8_t *p)
{
	return fnv1a32(p, HDR_CHECKSUM_OFFSET);
}

/* Page 0: sets s->root and st->header_valid, or st->header_problem. */
static void read_header(struct salvager *s)
{
	struct rowfs_salvage_stats *st = s->st;
	const uint8_t *p = s->page;
	uint32_t root;

	st->pages++;
	if (!read_page(s, 0)) {
		snprintf(st->header_problem, sizeof(st->header_problem), "cannot read page 0");
		return;
	}
	if (memcmp(p, DB_MAGIC, DB_MAGIC_SIZE) != 0)
		snprintf(st->header_problem, sizeof(st->header_problem), "no rowfs magic");
	else if (get_u32(p + HDR_VERSION_OFFSET) != DB_FORMAT_VERSION ||
		 get_u32(p + HDR_PAGE_SIZE_OFFSET) != PAGE_SIZE)
		snprintf(st->header_problem, sizeof(st->header_problem),
			 "format version %" PRIu32 ", page size %" PRIu32,
			 get_u32(p + HDR_VERSION_OFFSET), get_u32(p + HDR_PAGE_SIZE_OFFSET));
	else if (get_u32(p + HDR_CHECKSUM_OFFSET) != header_checksum(p))
		snprintf(st->header_problem, sizeof(st->header_problem), "checksum mismatch");
	else if ((root = get_u32(p + HDR_ROOT_OFFSET)) == 0 || root >= s->page_count)
		snprintf(st->header_problem, sizeof(st->header_problem),
			 "root page %" PRIu32 " out of range (%" PRIu64 " pages in the file)",
			 root, s->page_count);
	else {
		s->root = root;
		st->header_valid = 1;
	}
}

/*
 * Rule 3: mark the pages reachable from the root.  Internal nodes are read
 * again; only they go on the stack, each once, so it holds at most
 * internal_pages + 1 page numbers.
 */
static int walk_tree(struct salvager *s)
{
	uint32_t *stack, *top, pgno, child, keys, i;
	const uint8_t *node = s->page;

	stack = malloc((size_t)(s->internal_pages + 1) * sizeof(*stack));
	if (!stack)
		return ROWFS_NOMEM;
	top = stack;
	s->flags[s->root] |= PAGE_REACHED;
	*top++ = s->root;
	while (top > stack) {
		pgno = *--top;
		if (!(s->flags[pgno] & PAGE_INTERNAL) || !read_page(s, pgno))
			continue;
		keys = get_u32(node + INTERNAL_NODE_NUM_KEYS_OFFSET);
		if (node[NODE_TYPE_OFFSET] != NODE_INTERNAL || keys > INTERNAL_NODE_MAX_KEYS)
			continue;  /* changed since the scan */
		for (i = 0; i <= keys; i++) {
			child = i == keys
				? get_u32(node + INTERNAL_NODE_RIGHT_CHILD_OFFSET)
				: get_u32(node + INTERNAL_NODE_HEADER_SIZE +
					  (size_t)i * INTERNAL_NODE_CELL_SIZE);
			if (child == 0 || child >= s->page_count || (s->flags[child] & PAGE_REACHED))
				continue;
			s->flags[child] |= PAGE_REACHED;
			if (s->flags[child] & PAGE_INTERNAL)
				*top++ = child;
		}
	}
	free(stack);
	return ROWFS_OK;
}

/* Leaf entries reached by the walk become SOURCE_TREE. */
static void resolve_sources(struct salvager *s)
{
	uint8_t want = PAGE_LEAF | PAGE_REACHED;
	size_t i;

	for (i = 0; i < s->count; i++) {
		struct entry *e = &s->entries[i];

		if (e->source == SOURCE_ORPHAN && (s->flags[e->order] & want) == want)
			e->source = SOURCE_TREE;
	}
	for (i = 0; i < s->page_count; i++)
		if ((s->flags[i] & (PAGE_LEAF | PAGE_REACHED)) == (PAGE_LEAF | PAGE_REACHED))
			s->st->tree_leaves++;
}

/* State of the WAL scan. */
struct wal_apply {
	struct salvager *s;     /* the salvage */
	uint64_t records;       /* records seen, valid or not (their log order) */
};

/* Validate one log record; ROWFS_OK with *row filled (id only for a delete). */
static int record_check(const uint8_t *rec, struct row *row)
{
	const uint8_t *data = rec + LOG_RECORD_ROW_OFFSET;
	size_t i;

	if (rec[1] || rec[2] || rec[3])
		return ROWFS_CORRUPT;
	switch (rec[0]) {
	case LOG_OP_INSERT:
	case LOG_OP_UPDATE:
		return row_decode(data, row);
	case LOG_OP_DELETE:
		for (i = USERNAME_OFFSET; i < ROW_SIZE; i++)
			if (data[i])
				return ROWFS_CORRUPT;
		row->id = get_u32(data + ID_OFFSET);
		return ROWFS_OK;
	}
	return ROWFS_CORRUPT;
}

/* wal_scan callback, rule 4: every record of a TXN frame becomes an entry. */
static int apply_frame(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
		       uint32_t len, uint64_t offset)
{
	struct wal_apply *w = ctx;
	struct salvager *s = w->s;
	struct row row;
	uint32_t i;

	(void)seq;
	(void)offset;
	s->st->wal_frames++;
	if (type != WAL_FRAME_TXN)
		return ROWFS_OK;
	if (len % LOG_RECORD_SIZE)
		s->st->wal_bad_records++;  /* the torn end of a record: count it once */
	for (i = 0; i < len / LOG_RECORD_SIZE; i++) {
		const uint8_t *rec = payload + (size_t)i * LOG_RECORD_SIZE;

		w->records++;
		if (record_check(rec, &row) != ROWFS_OK) {
			s->st->wal_bad_records++;
			continue;
		}
		s->st->wal_records++;
		if (add_entry(s, row.id, rec[0] == LOG_OP_DELETE ? NULL : &row, SOURCE_WAL,
			      w->records) != ROWFS_OK)
			return ROWFS_NOMEM;
	}
	return ROWFS_OK;
}

/* Rule 4.  Only running out of memory stops the salvage. */
static int read_wal(struct salvager *s, const struct os *os, const char *db_path,
		    struct rowfs_err *err)
{
	struct wal_apply w = { .s = s, .records = 0 };
	struct rowfs_err werr = { 0 };
	struct wal *wal;
	char *path = wal_path_for(db_path);
	int rc;

	if (!path)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	rc = wal_open(os, path, 1, 0, &wal, &werr);
	if (rc == ROWFS_NOMEM) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_free_path;
	}
	if (rc != ROWFS_OK) {
		snprintf(s->st->wal_problem, sizeof(s->st->wal_problem), "%s", werr.msg);
		rc = ROWFS_OK;
		goto out_free_path;
	}
	rc = wal_scan(wal, apply_frame, &w, &werr);
	if (rc == ROWFS_NOMEM) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	} else if (rc != ROWFS_OK) {
		/* What was read before the failure stays: the valid prefix. */
		snprintf(s->st->wal_problem, sizeof(s->st->wal_problem), "%s", werr.msg);
		rc = ROWFS_OK;
	}
	wal_close(wal);
out_free_path:
	free(path);
	return rc;
}

/* qsort order: id, then precedence (latest WAL record, tree, orphan, lowest page). */
static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	if (x->order == y->order)
		return 0;
	if (x->source == SOURCE_WAL)
		return x->order > y->order ? -1 : 1;
	return x->order < y->order ? -1 : 1;
}

/* Dump output, buffered into whole lines. */
struct dump {
	rowfs_emit_fn emit;         /* the caller's sink */
	void *ctx;                  /* its context */
	char buf[65536];            /* pending lines */
	size_t len;                 /* bytes in buf */
	int failed;                 /* emit returned non-zero */
};

static void dump_flush(struct dump *d)
{
	if (d->len > 0 && !d->failed && d->emit(d->ctx, d->buf, d->len) != 0)
		d->failed = 1;
	d->len = 0;
}

/* Append one line (at most 64 bytes: "insert 4294967295 " + 32 + "\n"). */
static void dump_line(struct dump *d, const char *text, size_t len)
{
	if (d->len + len > sizeof(d->buf))
		dump_flush(d);
	memcpy(d->buf + d->len, text, len);
	d->len += len;
}

/* Choose one entry per id and write the dump. */
static int write_dump(struct salvager *s, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err)
{
	struct dump *d;
	char line[64];
	size_t i, j;
	int n;

	d = malloc(sizeof(*d));
	if (!d)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	d->emit = emit;
	d->ctx = ctx;
	d->len = 0;
	d->failed = 0;
	if (s->count > 1)
		qsort(s->entries, s->count, sizeof(*s->entries), entry_cmp);
	dump_line(d, "begin\n", 6);
	for (i = 0; i < s->count && !d->failed; i = j) {
		const struct entry *e = &s->entries[i];

		for (j = i + 1; j < s->count && s->entries[j].id == e->id; j++)
			if (s->entries[j].source != SOURCE_WAL)
				s->st->superseded++;
		if (e->deleted)
			continue;
		n = snprintf(line, sizeof(line), "insert %" PRIu32 " ", e->id);
		memcpy(line + n, e->name, e->name_len);
		line[n + e->name_len] = '\n';
		dump_line(d, line, (size_t)n + e->name_len + 1);
		s->st->rows++;
	}
	dump_line(d, "commit\n", 7);
	dump_flush(d);
	n = d->failed;
	free(d);
	if (n)
		return rowfs_err_set(err, ROWFS_NOMEM, 0, "cannot write the dump");
	return ROWFS_OK;
}

int rowfs_salvage(const char *path, const struct os *os, rowfs_emit_fn emit, void *ctx,
		  struct rowfs_salvage_stats *st, struct rowfs_err *err)
{
	struct salvager s;
	uint64_t size;
	int rc;

	memset(st, 0, sizeof(*st));
	memset(&s, 0, sizeof(s));
	s.st = st;
	if (!os)
		os = os_default();
	rc = os_open(os, path, O_RDONLY, &s.file, err);
	if (rc != ROWFS_OK)
		return rc;
	rc = os_lock(s.file, 0, err);
	if (rc != ROWFS_OK)
		goto out_close;
	rc = os_size(s.file, &size, err);
	if (rc != ROWFS_OK)
		goto out_close;
	s.page_count = size / PAGE_SIZE + (size % PAGE_SIZE != 0);
	if (s.page_count > (uint64_t)UINT32_MAX + 1)
		s.page_count = (uint64_t)UINT32_MAX + 1;  /* page numbers are u32 */
	s.page = malloc(PAGE_SIZE);
	s.flags = calloc(s.page_count ? s.page_count : 1, 1);
	if (!s.page || !s.flags) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_free;
	}

	if (s.page_count > 0)
		read_header(&s);
	else
		snprintf(st->header_problem, sizeof(st->header_problem), "the file is empty");
	rc = scan_pages(&s);
	if (rc == ROWFS_OK && st->header_valid)
		rc = walk_tree(&s);
	if (rc != ROWFS_OK) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_free;
	}
	resolve_sources(&s);
	rc = read_wal(&s, os, path, err);
	if (rc == ROWFS_OK)
		rc = write_dump(&s, emit, ctx, err);
out_free:
	free(s.entries);
	free(s.flags);
	free(s.page);
out_close:
	os_close(s.file);
	return rc;
}
