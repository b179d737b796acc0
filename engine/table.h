/*
 * table.h - the B-tree of a version-2 table: signed 64-bit keys, records
 * of any length in slotted pages, overflow chains for large records.
 * (The `users` table keeps the fixed-cell tree of btree.h.)
 *
 * A table is named by its root page number, which never changes for the
 * life of the table (a root split moves the root's cells into a new child
 * that splits, and the root becomes internal in place, as SQLite does), so the
 * catalog and the log can name a table by its root.  The root's header
 * holds the table's row count.  There are no parent pointers: writers
 * descend from the root keeping the path.  Pages come from and go back to
 * the pager's free list.
 *
 * Page formats (rowfs(5) "Table pages"; all integers little-endian):
 *
 * Table leaf (NODE_TABLE_LEAF):
 *   offset size
 *      0    1  node type NODE_TABLE_LEAF (4)
 *      1    1  flags: bit 0 = this page is the root
 *      2    2  cell count
 *      4    2  start of the cell content area (cells are packed from the
 *              end of the page downwards; 0 means 65536, never used)
 *      6    2  fragmented free bytes inside the content area
 *      8    4  next leaf to the right (0 for the rightmost leaf)
 *     12    8  row count of the table (root only; 0 on other pages)
 *     20   2n  cell pointer array: u16 offsets of the n cells, in key order
 *   cell:  varint key (the int64 as u64), varint payload size P, then
 *          the first L bytes of the record, L = table_local_size(P), and
 *          when L < P a u32 first overflow page; the other P - L bytes
 *          fill the chain in order, every page full but the last.
 *          L = P when P <= TABLE_MAX_LOCAL; beyond, L = TABLE_MIN_LOCAL
 *          + (P - TABLE_MIN_LOCAL) % TABLE_OVERFLOW_CAPACITY when that is
 *          <= TABLE_MAX_LOCAL (the tail that would half fill an overflow
 *          page stays in the cell, as in SQLite), else TABLE_MIN_LOCAL.
 *          TABLE_MAX_LOCAL is chosen so that 4 of the largest cells
 *          (9-byte key, 4-byte size, TABLE_MAX_LOCAL bytes, overflow
 *          page, 2-byte pointer: 1019 bytes) fill the 4076 bytes after the
 *          header: every leaf holds at least 4 cells, so a split of a full
 *          leaf by bytes always gives two pages that fit.
 *   Free space: the gap between the pointer array and the content start,
 *   plus the fragmented bytes (left by deleted or shrunk cells), which a
 *   defragmentation (cells repacked at the end of the page) turns into gap.
 *   An empty leaf has content start PAGE_SIZE and no fragmented bytes.
 *   Validity: keys strictly increasing; every cell inside the content area
 *   and not overlapping another; header + pointers <= content start; cell
 *   bytes + fragmented bytes = PAGE_SIZE - content start; P <=
 *   TABLE_MAX_RECORD; non-root leaves hold at least one cell.
 *
 * Table internal (NODE_TABLE_INTERNAL):
 *      0    1  node type NODE_TABLE_INTERNAL (5)
 *      1    1  flags: bit 0 = root
 *      2    2  key count k (1 .. TABLE_INTERNAL_MAX_KEYS)
 *      4    4  right child page
 *      8    8  row count (root only)
 *     16  12k  cells: child u32, key i64; every key in child i is <= key i
 *              and > key i-1; keys above the last key are under the right
 *              child.
 *   Validity: keys strictly increasing; children not 0.
 *
 * Overflow page (NODE_OVERFLOW):
 *      0    1  node type NODE_OVERFLOW (6)
 *      1    3  zero
 *      4    4  next overflow page (0 ends the chain)
 *      8    4  bytes of payload on this page (1 .. PAGE_SIZE - 12)
 *     12  ...  payload bytes
 *
 * Inserts: a cell goes into its leaf when the free space (gap plus
 * fragments) holds it and its pointer, defragmenting the page when the
 * gap alone does not.  A full leaf splits where the insert lands: an
 * insert past the last cell of the rightmost leaf (ascending loads) leaves
 * the left page full and starts a new right page (and an internal page
 * that overflows there keeps all its keys but one); elsewhere, if the
 * left or right sibling under the same parent has a sixteenth of a page
 * free, the cells of both pages are divided evenly between them and the
 * separator moves (no page is added); otherwise the cells are divided by
 * bytes, half and half, into the page and a new one to its right.  A full
 * root moves its contents into a new child and becomes an internal page
 * in place before the child splits (so the root never moves).  Measured
 * with ~100-byte records: ascending loads fill leaves to 98.8%,
 * random-order loads to 83.7% (half/half alone gives 69%).
 *
 * Deletes keep every invariant: an emptied non-root leaf is unlinked from
 * its left sibling's next pointer, freed and removed from its parent.  An
 * internal page left with no key (one child) moves that child into the
 * sibling beside it (left, or right for the first child) and is freed and
 * removed from its parent in turn; when that sibling is full it takes the
 * sibling's nearest child instead and keeps one key.  So all leaves stay
 * at one depth.  When the root is left with no key it copies its only
 * child's page into itself (keeping its flags and row count) and the
 * child is freed.  Leaves are not merged otherwise: a leaf keeps at least
 * one cell.  A record's overflow pages are freed with it; table_replace
 * rewrites the cell in place when it does not grow (the bytes it no
 * longer needs become fragments), else removes and re-inserts it.
 */
#ifndef ROWFS_ENGINE_TABLE_H
#define ROWFS_ENGINE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "pager.h"
#include "rowfs.h"
#include "util.h"

/* Largest record a table stores (a row of 64 columns of 1 MiB is refused earlier). */
#define TABLE_MAX_RECORD (64u << 20)
_Static_assert(LOG_TABLE_HEADER_SIZE + TABLE_MAX_RECORD <= PAGER_RECORD_MAX,
	       "a row's log record must fit the pager's largest record");

/* Most record bytes a leaf cell holds; larger records overflow (see the essay). */
#define TABLE_MAX_LOCAL 1000u

/* Record bytes a cell keeps at least when the record overflows. */
#define TABLE_MIN_LOCAL 488u

/* Payload bytes of one overflow page. */
#define TABLE_OVERFLOW_CAPACITY (PAGE_SIZE - 12u)

/* Most keys of an internal page: (PAGE_SIZE - 16) / 12. */
#define TABLE_INTERNAL_MAX_KEYS ((PAGE_SIZE - 16u) / 12u)

/* Most levels of a tree (a deeper one is reported corrupt). */
#define TABLE_MAX_DEPTH 24u

struct table_cursor_level {
	uint32_t pgno;    /* page on the path */
	uint32_t index;   /* child index taken (internal) or cell index (leaf) */
};

/*
 * A cursor: a path from the root to a leaf cell.  It holds a reference on
 * its leaf only while positioned; a cursor must not be used across a
 * change to its table (re-seek after one: cur->key gives where).  advance
 * follows the leaves' next pointers (read with pager_get_cold), so after
 * it only the leaf level of path is current; retreat past the first cell
 * of a leaf seeks again from the root.
 */
struct table_cursor {
	struct pager *pager;                    /* the database */
	uint32_t root;                          /* the table */
	struct page *leaf;                      /* referenced leaf, NULL at eof */
	struct table_cursor_level path[TABLE_MAX_DEPTH]; /* root .. leaf (upper levels: the last seek's) */
	unsigned depth;                         /* levels used in path */
	int eof;                                /* no row under the cursor */
	int64_t key;                            /* key of the row under the cursor */
	struct sbuf record;                     /* a record assembled from overflow pages */
};

/* table_create - a new empty table: *root = a fresh leaf page marked root. */
int table_create(struct pager *pager, uint32_t *root, struct rowfs_err *err);

/* table_drop - free every page of the table (overflow pages and root included). */
int table_drop(struct pager *pager, uint32_t root, struct rowfs_err *err);

/*
 * table_insert - insert (key, rec[0..len)).  ROWFS_DUPLICATE ("Error:
 * duplicate key K.") if key exists, changing nothing.  Returns ROWFS_OK,
 * ROWFS_DUPLICATE, ROWFS_CORRUPT, I/O errors, ROWFS_NOMEM.
 */
int table_insert(struct pager *pager, uint32_t root, int64_t key, const uint8_t *rec,
		 size_t len, struct rowfs_err *err);

/* table_replace - replace the record of key.  ROWFS_NOTFOUND if absent (nothing changed). */
int table_replace(struct pager *pager, uint32_t root, int64_t key, const uint8_t *rec,
		  size_t len, struct rowfs_err *err);

/* table_delete - delete key and its overflow pages.  ROWFS_NOTFOUND if absent. */
int table_delete(struct pager *pager, uint32_t root, int64_t key, struct rowfs_err *err);

/*
 * table_get - point lookup: *found = 1 and the record copied into out
 * (replacing its contents) when key exists.
 */
int table_get(struct pager *pager, uint32_t root, int64_t key, int *found, struct sbuf *out,
	      struct rowfs_err *err);

/* table_contains - *found = 1 if key exists. */
int table_contains(struct pager *pager, uint32_t root, int64_t key, int *found,
		   struct rowfs_err *err);

/* table_row_count - rows in the table (from the root header). */
int table_row_count(struct pager *pager, uint32_t root, uint64_t *rows, struct rowfs_err *err);

/* table_depth - levels from the root to the leaves (a lone root leaf is 1). */
int table_depth(struct pager *pager, uint32_t root, uint32_t *depth, struct rowfs_err *err);

/*
 * table_page_total - pages of the tree: interior and leaf pages (read,
 * those below the root with pager_get_cold) and overflow pages (counted
 * from the record sizes of the leaf cells, not read).
 */
int table_page_total(struct pager *pager, uint32_t root, uint32_t *pages,
		     struct rowfs_err *err);

/*
 * table_render - the tree as the `btree` file shows it, one node per line,
 * two spaces of indent per level:
 *   "internal (page 3): 1 keys [101]"
 *   "leaf (page 1): 101 cells keys [0..100]"   ("leaf (page 1): 0 cells" when empty)
 */
int table_render(struct pager *pager, uint32_t root, rowfs_emit_fn emit, void *ctx,
		 struct rowfs_err *err);

/*
 * Cursors.  table_cursor_init zeroes cur for (pager, root); every
 * seek/advance returns ROWFS_OK with cur->eof set when no row is there.
 *  seek_ge   first row with key >= key
 *  seek_le   last row with key <= key (INT64_MAX: the last row)
 *  advance   next row (ascending);  retreat   previous row
 *  record    the record of the row under the cursor: points into the
 *            page, or into cur->record when it has overflow pages; valid
 *            until the cursor moves
 *  release   drop page references (the cursor may be seeked again);
 *            table_cursor_free also frees cur->record
 */
void table_cursor_init(struct table_cursor *cur, struct pager *pager, uint32_t root);
int table_cursor_seek_ge(struct table_cursor *cur, int64_t key, struct rowfs_err *err);
int table_cursor_seek_le(struct table_cursor *cur, int64_t key, struct rowfs_err *err);
int table_cursor_advance(struct table_cursor *cur, struct rowfs_err *err);
int table_cursor_retreat(struct table_cursor *cur, struct rowfs_err *err);
int table_cursor_record(struct table_cursor *cur, const uint8_t **rec, size_t *len,
			struct rowfs_err *err);
void table_cursor_release(struct table_cursor *cur);
void table_cursor_free(struct table_cursor *cur);

#endif /* ROWFS_ENGINE_TABLE_H */
