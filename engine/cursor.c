/*
 * cursor.c - positions in the table in key order (start, seek, advance;
 * seek_le for walks backwards, one descent a step: leaves have no left
 * link).
 *
 * A cursor walks leaves through their next pointers, reading them with
 * pager_get_cold: a scan keeps O(1) leaves in the cache and evicts nothing
 * hot.  The descent of a seek reads pages normally.  Because a damaged
 * file could chain leaves in a loop, every step checks that keys keep
 * increasing and that non-root leaves are not empty: a violation is
 * ROWFS_CORRUPT, so a scan always ends.
 */
#include <config.h>
#include "cursor.h"

#include <string.h>

#include "btree_int.h"

/* Move to the first cell of the next leaf, or to eof. */
static int next_leaf(struct cursor *cur, struct rowfs_err *err)
{
	uint32_t next = leaf_next(page_data(cur->leaf));
	uint32_t from = page_pgno(cur->leaf);
	const uint8_t *node;
	int rc;

	pager_unref(cur->leaf);
	cur->leaf = NULL;
	cur->cell = 0;
	if (next == 0) {
		cur->eof = 1;
		return ROWFS_OK;
	}
	rc = btree_load_node(cur->pager, next, 1, &cur->leaf, err);
	if (rc)
		goto fail;
	node = page_data(cur->leaf);
	if (node_type(node) != NODE_LEAF || leaf_num_cells(node) == 0 ||
	    (cur->started && leaf_key(node, 0) <= cur->last_key)) {
		pager_unref(cur->leaf);
		cur->leaf = NULL;
		rc = rowfs_err_set(err, ROWFS_CORRUPT, 0,
				   "database corrupt: bad sibling pointer from page %u to page %u",
				   from, next);
		goto fail;
	}
	return ROWFS_OK;
fail:
	cur->eof = 1;
	return rc;
}

int cursor_seek(struct pager *pager, uint64_t key, struct cursor *cur, struct rowfs_err *err)
{
	uint32_t pgno = pager_root(pager), depth = 0;
	struct page *page;
	int rc;

	memset(cur, 0, sizeof(*cur));
	cur->pager = pager;
	if (key > UINT32_MAX) {
		cur->eof = 1;
		return ROWFS_OK;
	}
	for (;;) {
		const uint8_t *node;
		uint32_t child;

		rc = btree_load_node(pager, pgno, 0, &page, err);
		if (rc) {
			cur->eof = 1;
			return rc;
		}
		node = page_data(page);
		if (node_type(node) == NODE_LEAF)
			break;
		child = internal_child(node, btree_internal_lower_bound(node, (uint32_t)key));
		pager_unref(page);
		if (++depth > BTREE_MAX_DEPTH) {
			cur->eof = 1;
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "database corrupt: tree deeper than %u", BTREE_MAX_DEPTH);
		}
		pgno = child;
	}
	cur->leaf = page;
	cur->cell = btree_leaf_lower_bound(page_data(page), (uint32_t)key);
	if (cur->cell >= leaf_num_cells(page_data(page))) {
		/*
		 * Every key of the next leaf is above the separator that led
		 * here, so above key: a damaged file whose next leaf starts
		 * lower would make a scan from key go back (and the `rows`
		 * stream, which seeks after its last id, repeat for ever).
		 */
		if (key > 0) {
			cur->started = 1;
			cur->last_key = (uint32_t)key - 1;
		}
		return next_leaf(cur, err);
	}
	return ROWFS_OK;
}

/* Load pgno as a valid node, counting the depth of a walk (a damaged file may loop). */
static int load_step(struct pager *pager, uint32_t pgno, uint32_t *depth, struct page **page,
		     struct rowfs_err *err)
{
	if (++*depth > BTREE_MAX_DEPTH + 1)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0, "database corrupt: tree deeper than %u",
				     BTREE_MAX_DEPTH);
	return btree_load_node(pager, pgno, 0, page, err);
}

/* From the node at pgno down its right edge to a leaf; position at its last cell. */
static int last_of_subtree(struct cursor *cur, uint32_t pgno, uint32_t depth,
			   struct rowfs_err *err)
{
	struct page *page;
	int rc;

	for (;;) {
		const uint8_t *node;
		uint32_t child;

		rc = load_step(cur->pager, pgno, &depth, &page, err);
		if (rc)
			return rc;
		node = page_data(page);
		if (node_type(node) == NODE_LEAF)
			break;
		child = internal_right_child(node);
		pager_unref(page);
		pgno = child;
	}
	if (leaf_num_cells(page_data(page)) == 0) {
		pager_unref(page);
		return rowfs_err_set(err, ROWFS_CORRUPT, 0, "database corrupt: empty leaf page %u",
				     pgno);
	}
	cur->leaf = page;
	cur->cell = leaf_num_cells(page_data(page)) - 1;
	cur->eof = 0;
	return ROWFS_OK;
}

int cursor_seek_le(struct pager *pager, uint32_t key, struct cursor *cur, struct rowfs_err *err)
{
	uint32_t path[BTREE_MAX_DEPTH + 2], index[BTREE_MAX_DEPTH + 2];
	uint32_t pgno = pager_root(pager), depth = 0, cells, level;
	struct page *page;
	int rc;

	memset(cur, 0, sizeof(*cur));
	cur->pager = pager;
	cur->eof = 1;
	for (;;) {
		const uint8_t *node;

		rc = load_step(pager, pgno, &depth, &page, err);
		if (rc)
			return rc;
		node = page_data(page);
		if (node_type(node) == NODE_LEAF)
			break;
		path[depth - 1] = pgno;
		index[depth - 1] = btree_internal_lower_bound(node, key);
		pgno = internal_child(node, index[depth - 1]);
		pager_unref(page);
	}
	cells = key == UINT32_MAX ? leaf_num_cells(page_data(page)) :
		btree_leaf_lower_bound(page_data(page), key + 1);
	if (cells > 0) {
		cur->leaf = page;
		cur->cell = cells - 1;
		cur->eof = 0;
		return ROWFS_OK;
	}
	pager_unref(page);
	/* Nothing <= key here: the last row of the nearest subtree to the left. */
	for (level = depth - 1; level-- > 0;) {
		uint32_t steps = 0;

		if (index[level] == 0)
			continue;
		rc = load_step(pager, path[level], &steps, &page, err);
		if (rc)
			return rc;
		pgno = internal_child(page_data(page), index[level] - 1);
		pager_unref(page);
		return last_of_subtree(cur, pgno, level + 1, err);
	}
	return ROWFS_OK;
}

int cursor_start(struct pager *pager, struct cursor *cur, struct rowfs_err *err)
{
	return cursor_seek(pager, 0, cur, err);
}

int cursor_advance(struct cursor *cur, struct rowfs_err *err)
{
	const uint8_t *node;

	if (cur->eof)
		return ROWFS_OK;
	node = page_data(cur->leaf);
	cur->last_key = leaf_key(node, cur->cell);
	cur->started = 1;
	if (++cur->cell < leaf_num_cells(node)) {
		if (leaf_key(node, cur->cell) <= cur->last_key) {
			cur->eof = 1;
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "database corrupt: keys out of order in page %u",
					     page_pgno(cur->leaf));
		}
		return ROWFS_OK;
	}
	return next_leaf(cur, err);
}

int cursor_row(const struct cursor *cur, struct row *row, struct rowfs_err *err)
{
	uint32_t key = cursor_key(cur);

	if (row_decode(cursor_value(cur), row) != ROWFS_OK)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database corrupt: page %u: the row under key %u does not decode",
				     page_pgno(cur->leaf), key);
	if (row->id != key)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database corrupt: page %u: key %u holds row id %u",
				     page_pgno(cur->leaf), key, row->id);
	return ROWFS_OK;
}

uint32_t cursor_run(const struct cursor *cur, const uint8_t **cells)
{
	const uint8_t *node;

	if (cur->eof)
		return 0;
	node = page_data(cur->leaf);
	*cells = leaf_cell_c(node, cur->cell);
	return leaf_num_cells(node) - cur->cell;
}

int cursor_skip_run(struct cursor *cur, struct rowfs_err *err)
{
	const uint8_t *node;
	uint32_t n;

	if (cur->eof)
		return ROWFS_OK;
	node = page_data(cur->leaf);
	n = leaf_num_cells(node);
	cur->cell = n - 1;   /* the last cell: cursor_advance goes to the next leaf */
	return cursor_advance(cur, err);
}

uint32_t cursor_key(const struct cursor *cur)
{
	return leaf_key(page_data(cur->leaf), cur->cell);
}

const uint8_t *cursor_value(const struct cursor *cur)
{
	return leaf_value(page_data(cur->leaf), cur->cell);
}

void cursor_release(struct cursor *cur)
{
	pager_unref(cur->leaf);
	cur->leaf = NULL;
	cur->eof = 1;
}
