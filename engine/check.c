/*
 * check.c - the integrity check behind rowfs_check() (used by fsck.rowfs
 * and by the tests after every injected fault).
 *
 * Owns: the list of invariants a healthy database satisfies and the text of
 * each problem report.  It reads pages through the pager (so it sees the
 * latest image: DBFILE plus the WAL replayed into the cache) and the WAL
 * through its own read-only wal handle.  It never writes.  Both format
 * versions are checked as they are (a version-1 file has the users tree
 * only; a version-2 file also the catalog and its tables).
 *
 * What is checked, in order:
 *
 *   1. Header (page 0): page count >= 2, root in [1, page count), free-list
 *      head 0 or in range, free-list count < page count, version 2: the
 *      catalog root 0 (no table was ever created) or in range, and the
 *      page count no larger than DBFILE plus what its WAL
 *      could have added (every 24 bytes of log can grow a tree by at most
 *      TABLE_MAX_DEPTH + 3 pages: splits, a new root, an overflow page).  A
 *      larger count is reported and the check goes on with that bound, so
 *      a damaged count cannot make the bitmaps or the audit huge.
 *   2. The users B-tree (btree.h), walked depth-first from the root with a
 *      depth limit (BTREE_MAX_DEPTH) and a bitmap of visited pages:
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
 *   3. Version 2: the catalog tree, then every table it lists, each a
 *      version-2 table tree (table.h) walked the same way with the same
 *      bitmap (TABLE_MAX_DEPTH):
 *        a. every page passes table_verify_page (type, header, cells inside
 *           the content area and not overlapping, bytes accounted, keys
 *           strictly increasing, row count only on a root); a page that
 *           fails is reported and not descended into;
 *        b. the root flag is set on the root only;
 *        c. separator keys bound their subtrees as in 2c;
 *        d. all leaves at the same depth; the leaf chain as in 2f;
 *        e. the row count in the root equals the cells of its leaves;
 *        f. a record larger than its cell continues in an overflow chain:
 *           every page of it NODE_OVERFLOW, in range, reached once (so no
 *           cycle), full but the last, and the chain holds exactly the
 *           bytes the cell's payload size leaves over;
 *        g. every record decodes (record_decode) with the table's column
 *           count and fits its schema: the key column stored as NULL,
 *           types as declared (an integer in a real column is accepted),
 *           not null, text/blob lengths.
 *      Catalog rows (catalog.h): the record decodes with 5 columns, type
 *      'table', name a text equal to tbl, not users and not taken by
 *      another row, root an integer page in range, sql a create table
 *      statement that parses and checks (catalog_schema_from_create)
 *      and names the row's table.  A row that fails is reported and its
 *      table is not walked.
 *   4. The free list, from the header's head: each page is NODE_FREE, next
 *      pointers stay in range, no page is on it twice (cycle) or also in a
 *      tree, and its length equals the header's free count.
 *   5. Page accounting (LMDB's audit): every page 1..page count-1 is reached
 *      exactly once, by a tree (users, catalog, tables, their overflow
 *      chains) or by the free list.  Pages reached by neither are
 *      reported, runs of them as one problem.
 *   6. The WAL (DBFILE-wal), scanned read-only: every WAL_FRAME_TXN and
 *      WAL_FRAME_TXN_PART payload of the log frames into log records
 *      (logrec.h: known op, zero padding, inside the frame; the parts of a
 *      transaction are read only with its TXN frame, and parts that no TXN
 *      frame closes are, like a torn tail, not part of the log: wal.c,
 *      rule 5); a version-1 record's row decodes
 *      (vm_record_check), a table record's record decodes, a create
 *      record's statement parses and checks; version-2 records in the log
 *      of a version-1 file are reported.  PAGE frames hold one page and
 *      CKPT_END frames 8 bytes.  A torn tail is not a problem (recovery
 *      ignores it by design).
 *
 * Each problem is one emitted line, "Page 5: ..." in SQLite's manner, or
 * "Header: ..." / "Catalog row 3: ..." / "Table t: ..." / "WAL frame N
 * (offset O): ...".  At most CHECK_MAX_LINES lines are emitted; later
 * problems are still counted.  Memory is two bitmaps of page-count bits,
 * BTREE_MAX_DEPTH + 2 page buffers, one record (up to TABLE_MAX_RECORD)
 * and the catalog rows' names and statements.
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
#include "catalog.h"
#include "db_int.h"
#include "format.h"
#include "logrec.h"
#include "os.h"
#include "pager.h"
#include "parser.h"
#include "record.h"
#include "row.h"
#include "table_int.h"
#include "util.h"
#include "vm.h"
#include "wal.h"

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
	uint32_t version;           /* format version from the header */
	uint32_t catalog_root;      /* version 2: root of the catalog tree (0: none yet) */
	uint8_t *ovf;               /* one page buffer for overflow pages */
	struct sbuf record;         /* a record assembled with its overflow chain */
	struct catalog_row *rows;   /* catalog rows that passed their own checks */
	size_t row_count, row_cap;  /* entries used, allocated */
	struct table_schema *schema; /* the schema of the table being walked */
};

/* One catalog row worth walking (section 3). */
struct catalog_row {
	int64_t id;                 /* catalog key */
	uint32_t pgno;              /* leaf page of its cell */
	uint32_t root;              /* root page of its table */
	char name[NAME_MAX_LEN + 1]; /* the table's name */
	char *sql;                  /* its create statement (malloc'd, NUL-terminated) */
	size_t sql_len;             /* bytes */
};

/* One version-2 tree being walked (section 3). */
struct tree_walk {
	const char *name;           /* for messages: "catalog" or "table T" */
	uint32_t root;              /* its root page */
	const struct table_schema *schema; /* NULL: the catalog tree */
	int64_t leaf_depth;         /* depth of the first leaf met, -1 before */
	uint32_t prev_leaf;         /* last leaf visited in order, 0 before the first */
	uint32_t prev_leaf_next;    /* its next-leaf pointer */
	uint64_t cells;             /* cells of the leaves walked */
	int root_read;              /* the root passed its page checks */
	uint64_t root_rows;         /* the row count in the root */
};

/* Bounds of the keys allowed in a subtree of a version-2 table: (lo, hi], each side optional. */
struct key_range64 {
	int has_lo;                 /* lo applies */
	int64_t lo;                 /* keys must be > lo */
	int has_hi;                 /* hi applies */
	int64_t hi;                 /* keys must be <= hi */
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

/* ---- version-2 trees (section 3) ------------------------------------------ */

static int key_in_range64(const struct key_range64 *r, int64_t key)
{
	return (!r->has_lo || key > r->lo) && (!r->has_hi || key <= r->hi);
}

static void range64_text(const struct key_range64 *r, char *buf, size_t size)
{
	if (r->has_lo && r->has_hi)
		snprintf(buf, size, "> %" PRId64 " and <= %" PRId64, r->lo, r->hi);
	else if (r->has_lo)
		snprintf(buf, size, "> %" PRId64, r->lo);
	else if (r->has_hi)
		snprintf(buf, size, "<= %" PRId64, r->hi);
	else
		snprintf(buf, size, "any");
}

/* table_verify_page's reason without its "table leaf page N: " prefix (the line names the page). */
static const char *reason(const char *why)
{
	const char *p = strstr(why, ": ");

	return p ? p + 2 : why;
}


/* Stop the check for lack of memory. */
static void out_of_memory(struct checker *c)
{
	rowfs_err_set(c->err, ROWFS_NOMEM, 0, "out of memory");
	c->fatal = 1;
}

/*
 * The record of a cell that overflows, into c->record (3f).  Returns 1
 * when the chain is sound and the record whole, 0 when a problem was
 * reported (or the check stopped).
 */
static int read_overflow(struct checker *c, uint32_t leaf, unsigned cell,
			 const struct table_cell *tc)
{
	uint64_t rest = tc->payload - tc->local_len, got = 0;
	uint32_t pgno = tc->overflow, next, len;
	const uint8_t *data;

	c->record.len = 0;
	if (sbuf_append(&c->record, tc->local, tc->local_len) != 0) {
		out_of_memory(c);
		return 0;
	}
	while (pgno != 0 && !stopped(c)) {
		if (pgno >= c->page_count) {
			report(c, "Page %" PRIu32 ": cell %u (key %" PRId64 "): overflow page %" PRIu32
			       " out of range", leaf, cell, tc->key, pgno);
			return 0;
		}
		if (bit_test(c->in_tree, pgno)) {
			report(c, "Page %" PRIu32 ": referenced more than once (again from the "
			       "overflow chain of page %" PRIu32 " cell %u)", pgno, leaf, cell);
			return 0;
		}
		bit_set(c->in_tree, pgno);
		if (read_page(c, pgno, c->ovf) != 0)
			return 0;
		if (table_overflow_decode(c->ovf, &next, &data, &len) != ROWFS_OK) {
			report(c, "Page %" PRIu32 ": overflow page of page %" PRIu32 " cell %u does not "
			       "decode (type %u, %" PRIu32 " bytes)", pgno, leaf, cell, c->ovf[0],
			       get_u32(c->ovf + TABLE_OVERFLOW_LEN_OFFSET));
			return 0;
		}
		if (len > rest - got) {
			report(c, "Page %" PRIu32 ": cell %u (key %" PRId64 "): overflow chain holds "
			       "more than the %" PRIu64 " bytes its record continues with", leaf, cell,
			       tc->key, rest);
			return 0;
		}
		if (next != 0 && len != TABLE_OVERFLOW_CAPACITY)
			report(c, "Page %" PRIu32 ": overflow page holds %" PRIu32 " bytes but is not "
			       "the last of its chain", pgno, len);
		if (sbuf_append(&c->record, data, len) != 0) {
			out_of_memory(c);
			return 0;
		}
		got += len;
		pgno = next;
	}
	if (stopped(c))
		return 0;
	if (got != rest) {
		report(c, "Page %" PRIu32 ": cell %u (key %" PRId64 "): overflow chain holds %" PRIu64
		       " bytes, the record continues with %" PRIu64, leaf, cell, tc->key, got, rest);
		return 0;
	}
	return 1;
}

/* A row of a table against its schema (3g): the rule an insert applies (catalog.h). */
static void check_table_row(struct checker *c, const struct tree_walk *w, uint32_t pgno,
			    unsigned cell, int64_t key, const uint8_t *rec, size_t len)
{
	const struct table_schema *s = w->schema;
	struct value vals[RECORD_MAX_COLUMNS];
	struct rowfs_err rerr = { 0 };
	unsigned i;

	if (record_decode(rec, len, vals, s->column_count, &rerr) != ROWFS_OK) {
		report(c, "Page %" PRIu32 ": cell %u (key %" PRId64 "): record of table %s does not "
		       "decode: %s", pgno, cell, key, s->name, rerr.msg);
		return;
	}
	for (i = 0; i < s->column_count && !stopped(c); i++) {
		struct value v = vals[i];

		if (i == s->key_column && v.type != VALUE_NULL)
			report(c, "Page %" PRIu32 ": cell %u (key %" PRId64 "): %s.%s is the key "
			       "but its record holds %s (expected NULL)", pgno, cell, key,
			       s->name, s->columns[i].name, catalog_type_name(v.type));
		else if (catalog_column_check(s->name, &s->columns[i], i == s->key_column, &v,
					      &rerr) != ROWFS_OK)
			report(c, "Page %" PRIu32 ": cell %u (key %" PRId64 "): %s", pgno, cell, key,
			       rerr.msg + (strncmp(rerr.msg, "Error: ", 7) == 0 ? 7 : 0));
	}
}

/* 1 if v is the text t (NUL-terminated). */
static int value_is_text(const struct value *v, const char *t)
{
	return v->type == VALUE_TEXT && v->len == strlen(t) && memcmp(v->p, t, v->len) == 0;
}

/* A catalog row's own fields (section 3); a sound one is kept for its table's walk. */
static void check_catalog_row(struct checker *c, uint32_t pgno, int64_t key, const uint8_t *rec,
			      size_t len)
{
	struct value v[5];
	struct rowfs_err rerr = { 0 };
	struct catalog_row *row;
	size_t i;

	if (record_decode(rec, len, v, 5, &rerr) != ROWFS_OK) {
		report(c, "Catalog row %" PRId64 " (page %" PRIu32 "): does not decode: %s", key,
		       pgno, rerr.msg);
		return;
	}
	if (key < 1) {
		report(c, "Catalog row %" PRId64 " (page %" PRIu32 "): id is not positive", key, pgno);
		return;
	}
	if (!value_is_text(&v[0], "table")) {
		report(c, "Catalog row %" PRId64 " (page %" PRIu32 "): type is not 'table'", key,
		       pgno);
		return;
	}
	if (v[1].type != VALUE_TEXT || v[1].len == 0 || v[1].len > NAME_MAX_LEN ||
	    memchr(v[1].p, '\0', v[1].len)) {
		report(c, "Catalog row %" PRId64 " (page %" PRIu32 "): name is not a table name", key,
		       pgno);
		return;
	}
	if (v[2].type != VALUE_TEXT || v[2].len != v[1].len || memcmp(v[2].p, v[1].p, v[1].len)) {
		report(c, "Catalog row %" PRId64 " (table %.*s): tbl is not the table's own name",
		       key, (int)v[1].len, (const char *)v[1].p);
		return;
	}
	if (v[3].type != VALUE_INTEGER || v[3].i < 1 || v[3].i >= (int64_t)c->page_count) {
		report(c, "Catalog row %" PRId64 " (table %.*s): root page %s%" PRId64 " out of range "
		       "(page count %" PRIu32 ")", key, (int)v[1].len, (const char *)v[1].p,
		       v[3].type == VALUE_INTEGER ? "" : "(not an integer) ",
		       v[3].type == VALUE_INTEGER ? v[3].i : 0, c->page_count);
		return;
	}
	if (v[4].type != VALUE_TEXT) {
		report(c, "Catalog row %" PRId64 " (table %.*s): sql is %s, not text", key,
		       (int)v[1].len, (const char *)v[1].p, catalog_type_name(v[4].type));
		return;
	}
	if (v[1].len == 5 && memcmp(v[1].p, "users", 5) == 0) {
		report(c, "Catalog row %" PRId64 ": names users, which is built in", key);
		return;
	}
	for (i = 0; i < c->row_count; i++)
		if (strlen(c->rows[i].name) == v[1].len && memcmp(c->rows[i].name, v[1].p, v[1].len) == 0) {
			report(c, "Catalog row %" PRId64 ": names table %s, as row %" PRId64 " does", key,
			       c->rows[i].name, c->rows[i].id);
			return;
		}
	if (c->row_count == c->row_cap) {
		size_t cap = c->row_cap ? c->row_cap * 2 : 16;
		struct catalog_row *n = realloc(c->rows, cap * sizeof(*n));

		if (!n) {
			out_of_memory(c);
			return;
		}
		c->rows = n;
		c->row_cap = cap;
	}
	row = &c->rows[c->row_count];
	memset(row, 0, sizeof(*row));
	row->sql = malloc(v[4].len + 1);
	if (!row->sql) {
		out_of_memory(c);
		return;
	}
	memcpy(row->sql, v[4].p, v[4].len);
	row->sql[v[4].len] = '\0';
	row->sql_len = v[4].len;
	memcpy(row->name, v[1].p, v[1].len);
	row->name[v[1].len] = '\0';
	row->id = key;
	row->pgno = pgno;
	row->root = (uint32_t)v[3].i;
	c->row_count++;
}

/* Leaf checks of a version-2 tree: depth, chain, key range, records (3c-g). */
static void check_table_leaf(struct checker *c, struct tree_walk *w, uint32_t pgno,
			     const uint8_t *node, uint32_t depth, const struct key_range64 *range)
{
	unsigned i, count = table_page_count(node);
	char bounds[64];

	if (w->leaf_depth < 0)
		w->leaf_depth = depth;
	else if ((int64_t)depth != w->leaf_depth)
		report(c, "Page %" PRIu32 ": leaf at depth %" PRIu32 ", other leaves of %s at depth %"
		       PRId64, pgno, depth, w->name, w->leaf_depth);
	if (w->prev_leaf != 0 && w->prev_leaf_next != pgno)
		report(c, "Page %" PRIu32 ": next leaf is %" PRIu32 ", expected %" PRIu32,
		       w->prev_leaf, w->prev_leaf_next, pgno);
	w->prev_leaf = pgno;
	w->prev_leaf_next = table_leaf_next(node);
	w->cells += count;
	for (i = 0; i < count && !stopped(c); i++) {
		struct table_cell tc;
		const uint8_t *rec;
		size_t len;

		if (table_leaf_cell(node, i, &tc) != ROWFS_OK)
			continue;   /* table_verify_page passed: cannot happen */
		if (!key_in_range64(range, tc.key)) {
			range64_text(range, bounds, sizeof(bounds));
			report(c, "Page %" PRIu32 ": key %" PRId64 " (cell %u) out of its parent's range "
			       "(%s)", pgno, tc.key, i, bounds);
		}
		if (tc.overflow) {
			if (!read_overflow(c, pgno, i, &tc))
				continue;
			rec = (const uint8_t *)c->record.data;
			len = c->record.len;
		} else {
			rec = tc.local;
			len = tc.local_len;
		}
		if (w->schema)
			check_table_row(c, w, pgno, i, tc.key, rec, len);
		else
			check_catalog_row(c, pgno, tc.key, rec, len);
	}
}

/* Walk the subtree of a version-2 tree at pgno, reached from page from (3a-e). */
static void walk_table(struct checker *c, struct tree_walk *w, uint32_t pgno, uint32_t from,
		       uint32_t depth, const struct key_range64 *range)
{
	struct key_range64 sub;
	char why[160], bounds[64];
	unsigned type, count, i;
	uint8_t *node;

	if (stopped(c))
		return;
	if (depth >= TABLE_MAX_DEPTH) {
		report(c, "Page %" PRIu32 ": tree of %s deeper than %u levels", pgno, w->name,
		       TABLE_MAX_DEPTH);
		return;
	}
	if (bit_test(c->in_tree, pgno)) {
		report(c, "Page %" PRIu32 ": referenced more than once (again from page %" PRIu32 ")",
		       pgno, from);
		return;
	}
	bit_set(c->in_tree, pgno);
	node = c->bufs + (size_t)depth * PAGE_SIZE;
	if (read_page(c, pgno, node) != 0)
		return;
	type = table_page_type(node);
	if (type != NODE_TABLE_LEAF && type != NODE_TABLE_INTERNAL) {
		report(c, "Page %" PRIu32 ": invalid node type %u in the tree of %s (from page %" PRIu32
		       ")", pgno, type, w->name, from);
		return;
	}
	if (table_verify_page(node, pgno, why, sizeof(why)) != ROWFS_OK) {
		report(c, "Page %" PRIu32 ": %s", pgno, reason(why));
		return;
	}
	if (table_page_is_root(node) != (pgno == w->root))
		report(c, "Page %" PRIu32 ": root flag is %d, expected %d", pgno,
		       table_page_is_root(node), pgno == w->root);
	if (pgno == w->root && depth == 0) {
		w->root_read = 1;
		w->root_rows = table_page_rows(node);
	}
	if (type == NODE_TABLE_LEAF) {
		check_table_leaf(c, w, pgno, node, depth, range);
		return;
	}
	count = table_page_count(node);
	for (i = 0; i < count && !stopped(c); i++) {
		int64_t key = 0;

		table_internal_key(node, i, &key);
		if (!key_in_range64(range, key)) {
			range64_text(range, bounds, sizeof(bounds));
			report(c, "Page %" PRIu32 ": key %" PRId64 " (cell %u) out of its parent's range "
			       "(%s)", pgno, key, i, bounds);
		}
	}
	for (i = 0; i <= count && !stopped(c); i++) {
		uint32_t child = 0;

		table_internal_child(node, i, &child);
		if (child >= c->page_count) {
			report(c, "Page %" PRIu32 ": child %u points to page %" PRIu32 ", out of range",
			       pgno, i, child);
			continue;
		}
		sub = *range;
		if (i > 0) {
			sub.has_lo = 1;
			table_internal_key(node, i - 1, &sub.lo);
		}
		if (i < count) {
			sub.has_hi = 1;
			table_internal_key(node, i, &sub.hi);
		}
		walk_table(c, w, child, pgno, depth + 1, &sub);
	}
}

/* A whole version-2 tree from its root, then its row count and last leaf (3d, 3e). */
static void check_tree(struct checker *c, struct tree_walk *w, uint32_t from)
{
	struct key_range64 all = { 0, 0, 0, 0 };

	w->leaf_depth = -1;
	walk_table(c, w, w->root, from, 0, &all);
	if (stopped(c))
		return;
	if (w->prev_leaf != 0 && w->prev_leaf_next != 0)
		report(c, "Page %" PRIu32 ": last leaf's next is %" PRIu32 ", expected 0",
		       w->prev_leaf, w->prev_leaf_next);
	if (w->root_read && w->root_rows != w->cells)
		report(c, "Page %" PRIu32 ": row count %" PRIu64 " in the root of %s, but its leaves "
		       "hold %" PRIu64 " rows", w->root, w->root_rows, w->name, w->cells);
}

/* A catalog row's statement as a schema; 1 when it parses, checks and names the row's table. */
static int row_schema(struct checker *c, const struct catalog_row *row)
{
	struct rowfs_err perr = { 0 };
	struct statement stmt;
	int ok = 0;

	if (parse_line(row->sql, row->sql_len, &stmt, &perr) != ROWFS_OK) {
		report(c, "Catalog row %" PRId64 " (table %s): sql does not parse: %s", row->id,
		       row->name, perr.msg);
		goto out_free_statement;
	}
	if (stmt.type != STMT_CREATE_TABLE) {
		report(c, "Catalog row %" PRId64 " (table %s): sql is not a create table statement",
		       row->id, row->name);
		goto out_free_statement;
	}
	memset(c->schema, 0, sizeof(*c->schema));
	if (catalog_schema_from_create(&stmt, c->schema, &perr) != ROWFS_OK) {
		report(c, "Catalog row %" PRId64 " (table %s): sql does not check: %s", row->id,
		       row->name, perr.msg);
		catalog_schema_release(c->schema);
		goto out_free_statement;
	}
	if (strcmp(c->schema->name, row->name) != 0) {
		report(c, "Catalog row %" PRId64 " (table %s): sql creates table %s", row->id,
		       row->name, c->schema->name);
		catalog_schema_release(c->schema);
		goto out_free_statement;
	}
	ok = 1;
out_free_statement:
	statement_free(&stmt);
	return ok;
}

/* Section 3: the catalog tree, then every table it lists. */
static void check_catalog(struct checker *c)
{
	struct tree_walk w;
	char name[NAME_MAX_LEN + 16];
	size_t i;

	memset(&w, 0, sizeof(w));
	w.name = "the catalog";
	w.root = c->catalog_root;
	check_tree(c, &w, 0);
	for (i = 0; i < c->row_count && !stopped(c); i++) {
		const struct catalog_row *row = &c->rows[i];

		if (!row_schema(c, row))
			continue;
		memset(&w, 0, sizeof(w));
		snprintf(name, sizeof(name), "table %s", row->name);
		w.name = name;
		w.root = row->root;
		w.schema = c->schema;
		check_tree(c, &w, row->pgno);
		catalog_schema_release(c->schema);
	}
}

/*
 * Most pages DBFILE and its WAL can account for: the file's pages plus,
 * for every LOG_TABLE_HEADER_SIZE bytes of log (the smallest record),
 * BTREE_MAX_DEPTH + 3 pages (a split at every level, a new root, an
 * overflow page or a new table's root), plus the two pages of an empty
 * database held in memory.  The records of an open transaction count
 * too: an explicit transaction stays open across units, and its pages
 * are in the tree the owner checks before its TXN frame reaches the WAL
 * (the parts it wrote are in the WAL's size, the rest in its buffer).  UINT32_MAX when the file size cannot be read (no bound then).
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
		((ps.wal_bytes + txn_bytes) / LOG_TABLE_HEADER_SIZE + 1) * (BTREE_MAX_DEPTH + 3);
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
	if (c->catalog_root >= c->page_count) {
		report(c, "Header: catalog root page %" PRIu32 " out of range (page count %" PRIu32
		       ")", c->catalog_root, c->page_count);
		c->catalog_root = 0;
	}
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

/* The contents of one well-framed log record (section 6); why receives the problem. */
static int record_content_ok(const struct checker *c, const struct logrec *rec, char *why,
			     size_t size)
{
	struct value vals[RECORD_MAX_COLUMNS];
	struct rowfs_err rerr = { 0 };
	struct statement stmt;
	struct row row;
	int ok;

	if (!logrec_is_v2(rec->op)) {
		if (vm_record_check(rec->payload - LOG_RECORD_ROW_OFFSET, &row) == ROWFS_OK)
			return 1;
		snprintf(why, size, ": row does not decode");
		return 0;
	}
	if (c->version < DB_FORMAT_VERSION_2) {
		snprintf(why, size, ": op %u in the log of a version-1 database", rec->op);
		return 0;
	}
	switch (rec->op) {
	case LOG_OP_TABLE_INSERT:
	case LOG_OP_TABLE_UPDATE:
		if (record_decode(rec->payload, rec->payload_len, vals, RECORD_MAX_COLUMNS, &rerr) ==
		    ROWFS_OK)
			return 1;
		snprintf(why, size, ": table record does not decode: %.200s", rerr.msg);
		return 0;
	case LOG_OP_CREATE_TABLE:
		if (parse_line((const char *)rec->payload, rec->payload_len, &stmt, &rerr) != ROWFS_OK) {
			statement_free(&stmt);
			snprintf(why, size, ": create statement does not parse: %.200s", rerr.msg);
			return 0;
		}
		ok = stmt.type == STMT_CREATE_TABLE &&
		     catalog_schema_from_create(&stmt, c->schema, &rerr) == ROWFS_OK;
		if (stmt.type == STMT_CREATE_TABLE)
			catalog_schema_release(c->schema);
		statement_free(&stmt);
		if (!ok)
			snprintf(why, size, ": create statement does not check: %.200s",
				 stmt.type == STMT_CREATE_TABLE ? rerr.msg : "not a create table");
		return ok;
	}
	return 1;
}

/* wal_scan callback: validate one frame's payload. */
static int check_frame(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
		       uint32_t len, uint64_t offset)
{
	struct wal_check *w = ctx;
	struct checker *c = w->c;
	struct logrec rec;
	char why[256];
	size_t off;
	uint32_t i;

	(void)seq;
	w->frames++;
	if (type == WAL_FRAME_PAGE && len != PAGE_SIZE)
		report(c, "WAL frame %" PRIu64 " (offset %" PRIu64 "): page frame of %" PRIu32
		       " bytes", w->frames, offset, len);
	if (type == WAL_FRAME_CKPT_END && len != 8)
		report(c, "WAL frame %" PRIu64 " (offset %" PRIu64 "): checkpoint-end frame of %"
		       PRIu32 " bytes", w->frames, offset, len);
	if (type != WAL_FRAME_TXN && type != WAL_FRAME_TXN_PART)
		return stopped(c) ? ROWFS_NOMEM : ROWFS_OK;
	for (off = 0, i = 0; off < len && !stopped(c); i++) {
		if (logrec_next(payload, len, off, &rec, why, sizeof(why)) != ROWFS_OK) {
			report(c, "WAL frame %" PRIu64 " (offset %" PRIu64 "): record %" PRIu32 " %s",
			       w->frames, offset, i, why);
			if (rec.size == 0)
				break;   /* the rest cannot be framed */
		} else if (!record_content_ok(c, &rec, why, sizeof(why))) {
			report(c, "WAL frame %" PRIu64 " (offset %" PRIu64 "): record %" PRIu32 "%s",
			       w->frames, offset, i, why);
		}
		off += rec.size;
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

/* Free what the checker holds. */
static void checker_release(struct checker *c)
{
	size_t i;

	for (i = 0; i < c->row_count; i++)
		free(c->rows[i].sql);
	free(c->rows);
	free(c->schema);
	sbuf_release(&c->record);
	free(c->ovf);
	free(c->bufs);
	free(c->in_free);
	free(c->in_tree);
}

int db_check(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, uint64_t *problems,
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
	c.version = pager_format_version(c.pager);
	c.catalog_root = pager_catalog_root(c.pager);

	header_ok = check_header(&c, rowfs_db_path(db));
	map_bytes = ((size_t)c.page_count + 7) / 8 + 1;
	c.in_tree = calloc(map_bytes, 1);
	c.in_free = calloc(map_bytes, 1);
	c.bufs = malloc((size_t)(BTREE_MAX_DEPTH + 1) * PAGE_SIZE);
	c.ovf = malloc(PAGE_SIZE);
	c.schema = calloc(1, sizeof(*c.schema));
	if (!c.in_tree || !c.in_free || !c.bufs || !c.ovf || !c.schema) {
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
		if (!stopped(&c) && c.catalog_root != 0)
			check_catalog(&c);
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
	checker_release(&c);
	return rc;
}
