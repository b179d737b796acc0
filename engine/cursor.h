/*
 * cursor.h - a position in the table, in key order.
 *
 * A cursor holds a reference to its leaf page.  It stays valid only while
 * the tree is not modified (the engine is single-threaded; streamed readers
 * re-seek by key between calls instead of keeping a cursor).
 */
#ifndef ROWFS_ENGINE_CURSOR_H
#define ROWFS_ENGINE_CURSOR_H

#include <stdint.h>

#include "pager.h"
#include "row.h"
#include "rowfs.h"

struct cursor {
	struct pager *pager;    /* the table's pager */
	struct page *leaf;      /* referenced leaf page, NULL at end */
	uint32_t cell;          /* cell index in leaf */
	uint32_t last_key;      /* every later key must be above it (loop guard) */
	int started;            /* last_key is set: a row was returned, or seek's key - 1 */
	int eof;                /* past the last row */
};

/* cursor_start - position at the first row (eof if the table is empty). */
int cursor_start(struct pager *pager, struct cursor *cur, struct rowfs_err *err);

/* cursor_seek - position at the first row with key >= key. */
int cursor_seek(struct pager *pager, uint64_t key, struct cursor *cur, struct rowfs_err *err);

/*
 * cursor_seek_le - position at the last row with key <= key (eof if none).
 * A walk backwards seeks again from the key before each row: O(depth) a step.
 */
int cursor_seek_le(struct pager *pager, uint32_t key, struct cursor *cur, struct rowfs_err *err);

/* cursor_advance - next row; sets eof after the last.  ROWFS_CORRUPT on a bad sibling chain. */
int cursor_advance(struct cursor *cur, struct rowfs_err *err);

/* 1 when past the last row. */
static inline int cursor_eof(const struct cursor *cur) { return cur->eof; }

/* Key and ROW_SIZE bytes of the row under the cursor (not at eof). */
uint32_t cursor_key(const struct cursor *cur);
const uint8_t *cursor_value(const struct cursor *cur);

/*
 * cursor_row - decode the row under the cursor, checking it as fsck does: a
 * name no statement could store, or a row id that is not the cell's key
 * (either would break the one-line-per-row, key-ordered output of scans,
 * and the rows file that resumes after the last id), is ROWFS_CORRUPT
 * naming the page.
 */
int cursor_row(const struct cursor *cur, struct row *row, struct rowfs_err *err);

/*
 * cursor_run - the cells of the leaf under the cursor from its position
 * on, for a caller that reads a leaf at a time (the counting scan of
 * rowfs_table_sizes): returns how many, *cells the first; cell i is at
 * *cells + i * LEAF_NODE_CELL_SIZE, its key (u32) at LEAF_NODE_KEY_OFFSET,
 * its row at LEAF_NODE_VALUE_OFFSET.  0 at the end.  cursor_skip_run then
 * moves past them to the next leaf (the checks of cursor_advance between
 * leaves; none inside the run).
 */
uint32_t cursor_run(const struct cursor *cur, const uint8_t **cells);
int cursor_skip_run(struct cursor *cur, struct rowfs_err *err);

/* cursor_release - drop the page reference; the cursor may be reused. */
void cursor_release(struct cursor *cur);

#endif /* ROWFS_ENGINE_CURSOR_H */
