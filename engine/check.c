/*
 * check.c - the integrity check behind rowfs_check() (used by fsck.rowfs
 * and by the tests after every injected fault).
 *
 * Owns: the list of invariants a healthy database satisfies and the text of
 * each problem report.  It reads pages through the pager (so it sees the
 * latest image: DBFILE plus the WAL replayed into the cache) and the WAL
 * through its own read-only wal handle.  It never writes.
 *
 * What is checked, in order:
 *
 *   1. Header (page 0): page count >= 2, root in [1, page count), free-list
 *      head 0 or in range, free-list count < page count, and the page count
 *      no larger than DBFILE plus what its WAL could have added (every WAL
 *      record can grow the tree by at most BTREE_MAX_DEPTH + 1 pages).  A
 *      larger count is reported and the check goes on with that bound, so
 *      a damaged count cannot make the bitmaps or the audit huge.
 *   2. The B-tree, walked depth-first from the root with a depth limit
 *      (BTREE_MAX_DEPTH) and a bitmap of visited pages:
 *        a. node type and count fields are in bounds (node_valid); a node
 *           that fails is reported and not descended into;
 *        b. is_root is 1 on the root and 0 elsewhere; the parent pointer of
 *           the root is 0 and of every other node its parent's page;
 *        c. keys strictly increase within a node, and every key of child i
 *           lies in (key i-1, key i]; keys under the right child are greater
 *           than the last key (internal nodes with 0 keys and only a right
 *           child are valid: an append-biased split makes them);
 *        d. all leaves are at the same depth; a leaf has at least one cell
 *           unless it is the root;
 *        e. every leaf cell's row decodes and its id equals the cell key;
 *        f. the sibling chain (next leaf) follows the in-order sequence of
 *           the leaves and the last leaf's next is 0;
 *        g. a page reached twice is reported and not descended into again
 *           (this also stops cycles).
 *      The sum of the leaf cell counts must equal the header's row count.
 *   3. The free list, from the header's head: each page is NODE_FREE, next
 *      pointers stay in range, no page is on it twice (cycle) or also in the
 *      tree, and its length equals the header's free count.
 *   4. Page accounting (LMDB's audit): every page 1..page count-1 is reached
 *      exactly once, by the tree or by the free list.  Pages reached by
 *      neither are reported, runs of them as one problem.
 *   5. The WAL (DBFILE-wal), scanned read-only: every valid WAL_FRAME_TXN
 *      payload is a whole number of VM_RECORD_SIZE records, each with op
 *      VM_OP_INSERT/DELETE/UPDATE, zero padding and a row that decodes
 *      (vm_record_check); PAGE frames
 *      hold one page and CKPT_END frames 8 bytes.  A torn tail is not a
 *      problem (recovery ignores it by design).
 *
 * Each problem is one emitted line, "Page 5: ..." in SQLite's manner, or
 * "Header: ..." / "WAL frame N (offset O): ...".  At most CHECK_MAX_LINES
 * lines are emitted; later problems are still counted.  Memory is two
 * bitmaps of page-count bits plus BTREE_MAX_DEPTH + 1 page buffers.
 */
#include <config.h>
#include "rowfs.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree_int.h"
#include "db_int.h"
#include "format.h"
#include "os.h"
#include "pager.h"
#include "row.h"
#include "vm.h"
#include "wal.h"

/* Where the row sits in a VM log record (vm.h: op, 3 zero bytes, row). */

/* Problem lines emitted at most; the rest are counted only. */
#define CHECK_MAX_LINES 1000u

/* Checker state for one rowfs_check() call. */
struct checker {
	struct pager *pager;        /* the database's pager */
	rowfs_emit_fn emit;         /* problem sink */
	void *ctx;                  /* emit's context */
	struct rowfs_err *err;      /* operational errors */
	uint64_t problems;          /* problems found so far */
	int emit_failed;            /* emit returned non-zero: stop */
	int fatal;                  /* operational error (in err): stop */
	uint32_t page_count;        /* from the header */
	uint32_t root;              /* from the header */
	uint8_t *in_tree;           /* bitmap: page reached by the tree walk */
	uint8_t *in_free;           /* bitmap: page reached by the free-list walk */
	uint8_t *bufs;              /* (BTREE_MAX_DEPTH + 1) page copies, one per level */
	uint64_t leaf_cells;        /* sum of leaf cell counts */
	int64_t leaf_depth;         /* depth of the first leaf met, -1 before */
	uint32_t prev_leaf;         /* last leaf visited in order, 0 before the first */
	uint32_t prev_leaf_next;    /* its next-leaf pointer */
};

/* Bounds of the keys allowed in a subtree: (lo, hi], each side optional. */
struct key_range {
	int has_lo;                 /* lo applies */
	uint32_t lo;                /* keys must be > lo */
	int has_hi;                 /* hi applies */
	uint32_t hi;                /* keys must be <= hi */
};

static int bit_test(const uint8_t *map, uint32_t n)
{
	return (map[n >> 3] >> (n & 7)) & 1;
}

static void bit_set(uint8_t *map, uint32_t n)
{
	map[n >> 3] |= (uint8_t)(1u << (n & 7));
}

/* Count a problem and emit its line (printf-style, no newline in fmt). */
__attribute__((format(printf, 2, 3)))
static void report(struct checker *c, const char *fmt, ...)
{
	char line[320];
	va_list ap;
	int n;

	c->problems++;
	if (c->emit_failed || c->problems > CHECK_MAX_LINES + 1)
		return;
	if (c->problems == CHECK_MAX_LINES + 1) {
		n = snprintf(line, sizeof(line), "too many problems: only the first %u are shown\n",
			     CHECK_MAX_LINES);
	} else {
		va_start(ap, fmt);
		n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
		va_end(ap);
		if (n < 0)
			n = 0;
		if ((size_t)n > sizeof(line) - 2)
			n = (int)sizeof(line) - 2;
		line[n++] = '\n';
		line[n] = '\0';
	}
	if (c->emit(c->ctx, line, (size_t)n) != 0)
		c->emit_failed = 1;
}

/* Stop when emitting failed or an operational error happened. */
static int stopped(const struct checker *c)
{
	return c->emit_failed || c->fatal;
}

/*
 * Copy page pgno into dst.  Returns 0 on success; 1 if the page could not
 * be read because of damage (reported); -1 on an operational error (the
 * check stops).
 */
static int read_page(struct checker *c, uint32_t pgno, uint8_t *dst)
{
	struct rowfs_err perr = { 0 };
	struct page *page;
	int rc;

	rc = pager_get(c->pager, pgno, &page, &perr);
	if (rc == ROWFS_CORRUPT) {
		report(c, "Page %" PRIu32 ": cannot read: %s", pgno, perr.msg);
		return 1;
	}
	if (rc != ROWFS_OK) {
		*c->err = perr;
		c->fatal = 1;
		return -1;
	}
	memcpy(dst, page_data(page), PAGE_SIZE);
	pager_unref(page);
	return 0;
}

/* Describe a key range in words, for messages. */
static void range_text(const struct key_range *r, char *buf, size_t size)
{
	if (r->has_lo && r->has_hi)
		snprintf(buf, size, "> %" PRIu32 " and <= %" PRIu32, r->lo, r->hi);
	else if (r->has_lo)
		snprintf(buf, size, "> %" PRIu32, r->lo);
	else if (r->has_hi)
		snprintf(buf, size, "<= %" PRIu32, r->hi);
	else
		snprintf(buf, size, "any");
}

static int key_in_range(const struct key_range *r, uint32_t key)
{
	return (!r->has_lo || key > r->lo) && (!r->has_hi || key <= r->hi);
}

/* Keys of a node: strictly increasing and inside the subtree's range. */
static void check_keys(struct checker *c, uint32_t pgno, const uint8_t *node, uint32_t count,
		       int leaf, const struct key_range *range)
{
	char bounds[64];
	uint32_t i, key, prev = 0;

	for (i = 0; i < count && !stopped(c); i++) {
		key = leaf ? leaf_key(node, i) : internal_key(node, i);
		if (i > 0 && key <= prev)
			report(c, "Page %" PRIu32 ": keys out of order: key %" PRIu32
			       " (cell %" PRIu32 ") after %" PRIu32, pgno, key, i, prev);
		if (!key_in_range(range, key)) {
			range_text(range, bounds, sizeof(bounds));
			report(c, "Page %" PRIu32 ": key %" PRIu32 " (cell %" PRIu32
			       ") out of its parent's range (%s)", pgno, key, i, bounds);
		}
		prev = key;
	}
}

/* Leaf-only checks: depth, emptiness, rows, sibling chain. */
static void check_leaf(struct checker *c, uint32_t pgno, const uint8_t *node, uint32_t depth)
{
	uint32_t count = leaf_num_cells(node);
	struct row row;
	uint32_t i;

	if (c->leaf_depth < 0)
		c->leaf_depth = depth;
	else if ((int64_t)depth != c->leaf_depth)
		report(c, "Page %" PRIu32 ": leaf at depth %" PRIu32 ", other leaves at depth %" PRId64,
		       pgno, depth, c->leaf_depth);
	if (count == 0 && pgno != c->root)
		report(c, "Page %" PRIu32 ": empty leaf", pgno);
	for (i = 0; i < count && !stopped(c); i++) {
		if (row_decode(leaf_value(node, i), &row) != ROWFS_OK)
			report(c, "Page %" PRIu32 ": cell %" PRIu32 " (key %" PRIu32
			       "): row does not decode", pgno, i, leaf_key(node, i));
		else if (row.id != leaf_key(node, i))
			report(c, "Page %" PRIu32 ": cell %" PRIu32 ": key %" PRIu32
			       " but row id %" PRIu32, pgno, i, leaf_key(node, i), row.id);
	}
	if (c->prev_leaf != 0 && c->prev_leaf_next != pgno)
		report(c, "Page %" PRIu32 ": next leaf is %" PRIu32 ", expected %" PRIu32,
		       c->prev_leaf, c->prev_leaf_next, pgno);
	c->prev_leaf = pgno;
	c->prev_leaf_next = leaf_next(node);
	c->leaf_cells += count;
}

/*
 * Walk the subtree at pgno (already range-checked by the caller), whose
 * parent is parent (0 for the root), at depth depth, keys within range.
 */
static void walk(struct checker *c, uint32_t pgno, uint32_t parent, uint32_t depth,
		 const struct key_range *range)
{
	struct key_range sub;
	uint8_t *node;
	uint32_t i, count, child;
	int rc;

	if (stopped(c))
		return;
	if (depth > BTREE_MAX_DEPTH) {
		report(c, "Page %" PRIu32 ": tree deeper than %u levels", pgno, BTREE_MAX_DEPTH);
		return;
	}
	if (bit_test(c->in_tree, pgno)) {
		report(c, "Page %" PRIu32 ": referenced more than once (again from page %" PRIu32 ")",
		       pgno, parent);
		return;
	}
	bit_set(c->in_tree, pgno);
	node = c->bufs + (size_t)depth * PAGE_SIZE;
	rc = read_page(c, pgno, node);
	if (rc != 0)
		return;

	if (!node_valid(node)) {
		if (node_type(node) == NODE_LEAF)
			report(c, "Page %" PRIu32 ": leaf cell count %" PRIu32 " exceeds %u",
			       pgno, leaf_num_cells(node), LEAF_NODE_MAX_CELLS);
		else if (node_type(node) == NODE_INTERNAL)
			report(c, "Page %" PRIu32 ": internal key count %" PRIu32 " exceeds %u",
			       pgno, internal_num_keys(node), INTERNAL_NODE_MAX_KEYS);
		else
			report(c, "Page %" PRIu32 ": invalid node type %u in the tree (from page %"
			       PRIu32 ")", pgno, node_type(node), parent);
		return;
	}
	if (node[IS_ROOT_OFFSET] != (pgno == c->root ? 1 : 0))
		report(c, "Page %" PRIu32 ": is_root flag is %u, expected %u", pgno,
		       node[IS_ROOT_OFFSET], pgno == c->root ? 1u : 0u);
	if (node_parent(node) != parent)
		report(c, "Page %" PRIu32 ": parent pointer is %" PRIu32 ", expected %" PRIu32,
		       pgno, node_parent(node), parent);

	if (node_type(node) == NODE_LEAF) {
		check_keys(c, pgno, node, leaf_num_cells(node), 1, range);
		check_leaf(c, pgno, node, depth);
		return;
	}

	count = internal_num_keys(node);
	check_keys(c, pgno, node, count, 0, range);
	for (i = 0; i <= count && !stopped(c); i++) {
		child = internal_child(node, i);
		if (child == 0 || child >= c->page_count) {
			report(c, "Page %" PRIu32 ": child %" PRIu32 " points to page %" PRIu32
			       ", out of range", pgno, i, child);
			continue;
		}
		sub = *range;
		if (i > 0) {
			sub.has_lo = 1;
			sub.lo = internal_key(node, i - 1);
		}
		if (i < count) {
			sub.has_hi = 1;
			sub.hi = internal_key(node, i);
		}
		walk(c, child, pgno, depth + 1, &sub);
	}
}

/*
 * Most pages DBFILE and its WAL can account for: the file's pages plus
 * BTREE_MAX_DEPTH + 1 per WAL record (a split at every level and a new
 * root), plus the two pages of an empty database held in memory.  The
 * records of an open transaction count too: an explicit transaction stays
 * open across units, and its pages are in the tree the owner checks
 * before any of its records reach the WAL.  UINT32_MAX when the file size
 * cannot be read (no bound then).
 */
static uint32_t plausible_pages(struct checker *c, const char *path)
{
	struct rowfs_err ferr = { 0 };
	struct pager_stats ps;
	struct os_file *file;
	uint64_t size, bound;
	size_t txn_bytes;

	if (os_open(os_default(), path, O_RDONLY, &file, &ferr) != ROWFS_OK)
		return UINT32_MAX;
	if (os_size(file, &size, &ferr) != ROWFS_OK)
		size = UINT64_MAX;
	os_close(file);
	if (size == UINT64_MAX)
		return UINT32_MAX;
	pager_get_stats(c->pager, &ps);
	pager_txn_log(c->pager, &txn_bytes);
	bound = size / PAGE_SIZE + 2 +
		((ps.wal_bytes + txn_bytes) / VM_RECORD_SIZE + 1) * (BTREE_MAX_DEPTH + 1);
	return bound > UINT32_MAX ? UINT32_MAX : (uint32_t)bound;
}

/* Header fields; returns 1 if the tree can be walked. */
static int check_header(struct checker *c, const char *path)
{
	uint32_t head = pager_free_head(c->pager);
	uint32_t free_count = pager_free_count(c->pager);
	uint32_t bound;

	if (c->page_count < 2) {
		report(c, "Header: page count %" PRIu32 " is less than 2", c->page_count);
		return 0;
	}
	bound = plausible_pages(c, path);
	if (c->page_count > bound) {
		report(c, "Header: page count %" PRIu32 " is more than the file and its WAL can "
		       "hold (at most %" PRIu32 ")", c->page_count, bound);
		c->page_count = bound;
	}
	if (head >= c->page_count)
		report(c, "Header: free-list head %" PRIu32 " out of range (page count %" PRIu32 ")",
		       head, c->page_count);
	if (free_count >= c->page_count)
		report(c, "Header: free-list count %" PRIu32 " exceeds page count %" PRIu32,
		       free_count, c->page_count);
	if (c->root == 0 || c->root >= c->page_count) {
		report(c, "Header: root page %" PRIu32 " out of range (page count %" PRIu32 ")",
		       c->root, c->page_count);
		return 0;
	}
	return 1;
}

/* The free list: type, range, cycles, overlap with the tree, length. */
static void check_free_list(struct checker *c)
{
	uint32_t pgno = pager_free_head(c->pager);
	uint32_t expected = pager_free_count(c->pager);
	uint32_t from = 0, length = 0;
	uint8_t *page = c->bufs;

	while (pgno != 0 && !stopped(c)) {
		if (pgno >= c->page_count) {
			if (from != 0)
				report(c, "Page %" PRIu32 ": next free page %" PRIu32 " out of range",
				       from, pgno);
			break;
		}
		if (bit_test(c->in_free, pgno)) {
			report(c, "Page %" PRIu32 ": free list loops back to page %" PRIu32,
			       from, pgno);
			break;
		}
		bit_set(c->in_free, pgno);
		length++;
		if (bit_test(c->in_tree, pgno))
			report(c, "Page %" PRIu32 ": on the free list and in the tree", pgno);
		if (read_page(c, pgno, page) != 0)
			break;
		if (node_type(page) != NODE_FREE)
			report(c, "Page %" PRIu32 ": on the free list but its node type is %u",
			       pgno, node_type(page));
		from = pgno;
		pgno = get_u32(page + FREE_PAGE_NEXT_OFFSET);
	}
	if (!stopped(c) && length != expected)
		report(c, "Header: free-list count %" PRIu32 ", but the list holds %" PRIu32 " pages",
		       expected, length);
}

/* 1 if page pgno was reached by the tree or the free list. */
static int page_used(const struct checker *c, uint32_t pgno)
{
	return bit_test(c->in_tree, pgno) || bit_test(c->in_free, pgno);
}

/* LMDB's audit: every page is in the tree or on the free list. */
static void check_accounting(struct checker *c)
{
	uint32_t pgno, start;

	for (pgno = 1; pgno < c->page_count && !stopped(c); pgno++) {
		/* Skip whole bytes of used pages quickly. */
		while ((pgno & 7) == 0 && pgno + 8 <= c->page_count &&
		       (c->in_tree[pgno >> 3] | c->in_free[pgno >> 3]) == 0xff)
			pgno += 8;
		if (pgno >= c->page_count || page_used(c, pgno))
			continue;
		start = pgno;
		while (pgno + 1 < c->page_count && !page_used(c, pgno + 1))
			pgno++;
		if (start == pgno)
			report(c, "Page %" PRIu32 ": never used (neither in the tree nor on the free list)",
			       pgno);
		else
			report(c, "Pages %" PRIu32 "-%" PRIu32 ": never used (neither in the tree nor "
			       "on the free list)", start, pgno);
	}
}

/* State of the WAL scan. */
struct wal_check {
	struct checker *c;          /* the checker */
	uint64_t frames;            /* valid frames seen */
};

/* wal_scan callback: validate one frame's payload. */
static int check_frame(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
		       uint32_t len, uint64_t offset)
{
	struct wal_check *w = ctx;
	struct checker *c = w->c;
	const uint8_t *rec;
	struct row row;
	uint32_t i;

	(void)seq;
	w->frames++;
	if (type == WAL_FRAME_PAGE && len != PAGE_SIZE)
		report(c, "WAL frame %" PRIu64 " (offset %" PRIu64 "): page frame of %" PRIu32
		       " bytes", w->frames, offset, len);
	if (type == WAL_FRAME_CKPT_END && len != 8)
		report(c, "WAL frame %" PRIu64 " (offset %" PRIu64 "): checkpoint-end frame of %"
		       PRIu32 " bytes", w->frames, offset, len);
	if (type != WAL_FRAME_TXN)
		return stopped(c) ? ROWFS_NOMEM : ROWFS_OK;
	if (len % VM_RECORD_SIZE != 0) {
		report(c, "WAL frame %" PRIu64 " (offset %" PRIu64 "): transaction payload of %"
		       PRIu32 " bytes is not a multiple of %u", w->frames, offset, len,
		       VM_RECORD_SIZE);
		return stopped(c) ? ROWFS_NOMEM : ROWFS_OK;
	}
	for (i = 0; i < len / VM_RECORD_SIZE && !stopped(c); i++) {
		rec = payload + (size_t)i * VM_RECORD_SIZE;
		if (rec[0] != VM_OP_INSERT && rec[0] != VM_OP_DELETE && rec[0] != VM_OP_UPDATE)
			report(c, "WAL frame %" PRIu64 " (offset %" PRIu64 "): record %" PRIu32
			       " has op %u", w->frames, offset, i, rec[0]);
		else if (rec[1] != 0 || rec[2] != 0 || rec[3] != 0)
			report(c, "WAL frame %" PRIu64 " (offset %" PRIu64 "): record %" PRIu32
			       " has non-zero padding", w->frames, offset, i);
		else if (vm_record_check(rec, &row) != ROWFS_OK)
			report(c, "WAL frame %" PRIu64 " (offset %" PRIu64 "): record %" PRIu32
			       ": row does not decode", w->frames, offset, i);
	}
	return stopped(c) ? ROWFS_NOMEM : ROWFS_OK;
}

/* Scan DBFILE-wal read-only. */
static void check_wal(struct checker *c, const char *db_path)
{
	struct wal_check w = { .c = c, .frames = 0 };
	struct rowfs_err werr = { 0 };
	struct wal *wal;
	char *path = wal_path_for(db_path);
	int rc;

	if (!path) {
		rowfs_err_set(c->err, ROWFS_NOMEM, 0, "out of memory");
		c->fatal = 1;
		return;
	}
	rc = wal_open(os_default(), path, 1, 0, &wal, &werr);
	if (rc == ROWFS_CORRUPT || rc == ROWFS_NOTADB) {
		report(c, "WAL: %s", werr.msg);
		goto out_free_path;
	}
	if (rc != ROWFS_OK) {
		*c->err = werr;
		c->fatal = 1;
		goto out_free_path;
	}
	rc = wal_scan(wal, check_frame, &w, &werr);
	if (rc != ROWFS_OK && !stopped(c)) {
		if (rc == ROWFS_CORRUPT) {
			report(c, "WAL: %s", werr.msg);
		} else {
			*c->err = werr;
			c->fatal = 1;
		}
	}
	wal_close(wal);
out_free_path:
	free(path);
}

int rowfs_check(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, uint64_t *problems,
		struct rowfs_err *err)
{
	struct key_range all = { 0, 0, 0, 0 };
	struct checker c;
	size_t map_bytes;
	int header_ok, rc = ROWFS_OK;

	*problems = 0;
	memset(&c, 0, sizeof(c));
	c.pager = rowfs_db_pager(db);
	c.emit = emit;
	c.ctx = ctx;
	c.err = err;
	c.leaf_depth = -1;
	c.page_count = pager_page_count(c.pager);
	c.root = pager_root(c.pager);

	header_ok = check_header(&c, rowfs_db_path(db));
	map_bytes = ((size_t)c.page_count + 7) / 8 + 1;
	c.in_tree = calloc(map_bytes, 1);
	c.in_free = calloc(map_bytes, 1);
	c.bufs = malloc((size_t)(BTREE_MAX_DEPTH + 1) * PAGE_SIZE);
	if (!c.in_tree || !c.in_free || !c.bufs) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, 0, "out of memory");
		goto out_free;
	}

	if (header_ok) {
		walk(&c, c.root, 0, 0, &all);
		if (!stopped(&c) && c.prev_leaf != 0 && c.prev_leaf_next != 0)
			report(&c, "Page %" PRIu32 ": last leaf's next is %" PRIu32 ", expected 0",
			       c.prev_leaf, c.prev_leaf_next);
		if (!stopped(&c) && c.leaf_cells != pager_row_count(c.pager))
			report(&c, "Header: row count %" PRIu64 ", but the tree holds %" PRIu64 " rows",
			       pager_row_count(c.pager), c.leaf_cells);
		if (!stopped(&c))
			check_free_list(&c);
		if (!stopped(&c))
			check_accounting(&c);
	}
	if (!stopped(&c))
		check_wal(&c, rowfs_db_path(db));

	if (c.fatal)
		rc = err->rc ? err->rc : ROWFS_IOERR;
	else if (c.emit_failed)
		rc = rowfs_err_set(err, ROWFS_NOMEM, 0, "cannot write the report");
	*problems = c.problems;
out_free:
	free(c.bufs);
	free(c.in_free);
	free(c.in_tree);
	return rc;
}
