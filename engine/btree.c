/*
 * btree.c - the table B-tree: search, insert, splits, rendering.
 *
 * Owns the shape of the tree (node layout in format.h, accessors in
 * btree_int.h).  Invariants it keeps (checked by check.c):
 *  1. Keys are strictly increasing within a node; every key under child i
 *     of an internal node is <= key i and > key i-1; keys under the right
 *     child are > the last key.
 *  2. All leaves are at the same depth; leaves are chained left to right by
 *     their next pointers, the last one ends with 0.
 *  3. Each node's parent pointer names its parent (0 for the root), and
 *     is_root is set on the root only.
 *  4. Leaves hold 1..LEAF_NODE_MAX_CELLS cells (the root leaf may be empty);
 *     internal nodes hold 0..INTERNAL_NODE_MAX_KEYS keys plus a right child.
 *
 * Inserts descend from the root recording the path (no parent pointers are
 * needed to climb).  A full leaf splits 52/51; but when the new key goes past
 * the last key of the rightmost leaf, a new leaf is started holding only the
 * new cell (SQLite's "quick balance"), so sequential loads fill leaves.  An
 * internal node that overflows splits in half, or, when the insertion is at
 * its right end, keeps all its keys and moves only the new right child to
 * the new node.  A split root grows a new root above it.
 *
 * Deletes remove the cell.  There is no merging or redistribution: a leaf
 * that becomes empty is unlinked from the leaf chain, freed and removed
 * from its parent; an internal node left without children is freed the same
 * way, up the path; and while the root is an internal node with no keys its
 * only child becomes the root.  Freed pages go to the free list.  Separator
 * keys are not tightened: invariant 1 holds with <= and >.
 */
#include <config.h>
#include "btree.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "btree_int.h"

/* One step of the descent: an internal node and the child index taken. */
struct path_step {
	uint32_t pgno;     /* internal node */
	uint32_t index;    /* child index taken (num_keys = right child) */
};

int btree_load_node(struct pager *pager, uint32_t pgno, int cold, struct page **out,
		    struct rowfs_err *err)
{
	int rc = cold ? pager_get_cold(pager, pgno, out, err) : pager_get(pager, pgno, out, err);

	if (rc)
		return rc;
	if (!node_valid(page_data(*out))) {
		pager_unref(*out);
		*out = NULL;
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database corrupt: page %u is not a valid B-tree node", pgno);
	}
	return ROWFS_OK;
}

/* Get a valid node (normal read). */
static int load_node(struct pager *pager, uint32_t pgno, struct page **out, struct rowfs_err *err)
{
	return btree_load_node(pager, pgno, 0, out, err);
}

uint32_t btree_internal_lower_bound(const uint8_t *node, uint32_t key)
{
	uint32_t lo = 0, hi = internal_num_keys(node);

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (internal_key(node, mid) >= key)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

uint32_t btree_leaf_lower_bound(const uint8_t *node, uint32_t key)
{
	uint32_t lo = 0, hi = leaf_num_cells(node);

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (leaf_key(node, mid) >= key)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Walk from the root to the leaf that holds (or would hold) key. */
static int descend(struct pager *pager, uint32_t key, struct path_step *path, uint32_t *depth,
		   struct page **leaf, struct rowfs_err *err)
{
	uint32_t pgno = pager_root(pager);
	struct page *page;
	int rc;

	*depth = 0;
	for (;;) {
		const uint8_t *node;
		uint32_t i;

		rc = load_node(pager, pgno, &page, err);
		if (rc)
			return rc;
		node = page_data(page);
		if (node_type(node) == NODE_LEAF)
			break;
		if (*depth >= BTREE_MAX_DEPTH) {
			pager_unref(page);
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "database corrupt: tree deeper than %u at page %u",
					     BTREE_MAX_DEPTH, pgno);
		}
		i = btree_internal_lower_bound(node, key);
		path[*depth].pgno = pgno;
		path[*depth].index = i;
		(*depth)++;
		pgno = internal_child(node, i);
		pager_unref(page);
	}
	*leaf = page;
	return ROWFS_OK;
}

/* Set a page's parent pointer (and clear is_root). */
static int set_parent(struct pager *pager, uint32_t pgno, uint32_t parent, struct rowfs_err *err)
{
	struct page *page;
	int rc = pager_get(pager, pgno, &page, err);

	if (rc)
		return rc;
	rc = pager_write(page, err);
	if (rc == ROWFS_OK) {
		set_node_parent(page_data(page), parent);
		set_node_root(page_data(page), 0);
	}
	pager_unref(page);
	return rc;
}

/* The old root split into left and right around sep: grow a new root. */
static int grow_root(struct pager *pager, uint32_t left, uint32_t sep, uint32_t right,
		     struct rowfs_err *err)
{
	struct page *page;
	uint8_t *node;
	int rc = pager_allocate(pager, &page, err);

	if (rc)
		return rc;
	node = page_data(page);
	set_node_type(node, NODE_INTERNAL);
	set_node_root(node, 1);
	set_node_parent(node, 0);
	set_internal_num_keys(node, 1);
	put_u32(internal_cell(node, 0), left);
	set_internal_key(node, 0, sep);
	set_internal_right_child(node, right);
	pager_set_root(pager, page_pgno(page));
	rc = set_parent(pager, left, page_pgno(page), err);
	if (rc == ROWFS_OK)
		rc = set_parent(pager, right, page_pgno(page), err);
	pager_unref(page);
	return rc;
}

static int insert_into_parent(struct pager *pager, const struct path_step *path, uint32_t level,
			      uint32_t left, uint32_t sep, uint32_t right, struct rowfs_err *err);

/*
 * Split the full internal node `page` (path[level] names it: level steps lie
 * above it) while inserting (sep, right) at child index ci, then push the
 * middle key up.
 */
static int split_internal(struct pager *pager, const struct path_step *path, uint32_t level,
			  struct page *page, uint32_t ci, uint32_t left, uint32_t sep,
			  uint32_t right, struct rowfs_err *err)
{
	uint32_t keys[INTERNAL_NODE_MAX_KEYS + 1], children[INTERNAL_NODE_MAX_KEYS + 2];
	uint8_t *node = page_data(page), *fresh;
	uint32_t n = internal_num_keys(node), total = n + 1, m, j;
	uint32_t parent = node_parent(node);
	struct page *newp;
	int rc;

	for (j = 0; j < ci; j++) {
		keys[j] = internal_key(node, j);
		children[j] = internal_child(node, j);
	}
	keys[ci] = sep;
	children[ci] = left;
	children[ci + 1] = right;
	for (j = ci; j < n; j++) {
		keys[j + 1] = internal_key(node, j);
		children[j + 2] = internal_child(node, j + 1);
	}
	m = ci == n ? total - 1 : total / 2;  /* append-biased at the right end */

	rc = pager_allocate(pager, &newp, err);
	if (rc)
		return rc;
	fresh = page_data(newp);
	set_node_type(fresh, NODE_INTERNAL);
	set_node_root(fresh, 0);
	set_node_parent(fresh, parent);
	set_internal_num_keys(fresh, total - 1 - m);
	for (j = 0; j < total - 1 - m; j++) {
		put_u32(internal_cell(fresh, j), children[m + 1 + j]);
		set_internal_key(fresh, j, keys[m + 1 + j]);
	}
	set_internal_right_child(fresh, children[total]);

	set_internal_num_keys(node, m);
	for (j = 0; j < m; j++) {
		put_u32(internal_cell(node, j), children[j]);
		set_internal_key(node, j, keys[j]);
	}
	set_internal_right_child(node, children[m]);

	for (j = m + 1; j <= total && rc == ROWFS_OK; j++)
		rc = set_parent(pager, children[j], page_pgno(newp), err);
	if (rc == ROWFS_OK)
		rc = insert_into_parent(pager, path, level, page_pgno(page), keys[m],
					page_pgno(newp), err);
	pager_unref(newp);
	return rc;
}

/*
 * The child at path[level-1] (or the root when level is 0) split into left
 * (same page) and right (new page) around sep: record that in the parent.
 */
static int insert_into_parent(struct pager *pager, const struct path_step *path, uint32_t level,
			      uint32_t left, uint32_t sep, uint32_t right, struct rowfs_err *err)
{
	const struct path_step *step;
	struct page *page;
	uint8_t *node;
	uint32_t n, ci;
	int rc;

	if (level == 0)
		return grow_root(pager, left, sep, right, err);
	step = &path[level - 1];
	rc = load_node(pager, step->pgno, &page, err);
	if (rc)
		return rc;
	rc = pager_write(page, err);
	if (rc)
		goto out_unref;
	node = page_data(page);
	n = internal_num_keys(node);
	ci = step->index;
	if (node_type(node) != NODE_INTERNAL || ci > n) {
		rc = rowfs_err_set(err, ROWFS_CORRUPT, 0,
				   "database corrupt: page %u changed under an insert", step->pgno);
		goto out_unref;
	}
	if (n >= INTERNAL_NODE_MAX_KEYS) {
		rc = split_internal(pager, path, level - 1, page, ci, left, sep, right, err);
		goto out_unref;
	}
	memmove(internal_cell(node, ci + 1), internal_cell(node, ci),
		(size_t)(n - ci) * INTERNAL_NODE_CELL_SIZE);
	put_u32(internal_cell(node, ci), left);
	set_internal_key(node, ci, sep);
	set_internal_num_keys(node, n + 1);
	set_internal_child(node, ci + 1, right);
out_unref:
	pager_unref(page);
	return rc;
}

/* Insert into the full leaf `page` at cell pos by splitting it. */
static int split_leaf(struct pager *pager, const struct path_step *path, uint32_t depth,
		      struct page *page, uint32_t pos, const uint8_t *cell, struct rowfs_err *err)
{
	uint8_t cells[(LEAF_NODE_MAX_CELLS + 1) * LEAF_NODE_CELL_SIZE];
	uint8_t *node = page_data(page), *fresh;
	uint32_t n = leaf_num_cells(node), sep;
	struct page *newp;
	int rc;

	rc = pager_allocate(pager, &newp, err);
	if (rc)
		return rc;
	fresh = page_data(newp);
	set_node_type(fresh, NODE_LEAF);
	set_node_root(fresh, 0);
	set_node_parent(fresh, depth ? path[depth - 1].pgno : 0);
	set_leaf_next(fresh, leaf_next(node));
	set_leaf_next(node, page_pgno(newp));
	if (pos == n && leaf_next(fresh) == 0) {
		/* past the end of the rightmost leaf: start a new leaf */
		memcpy(leaf_cell(fresh, 0), cell, LEAF_NODE_CELL_SIZE);
		set_leaf_num_cells(fresh, 1);
		sep = leaf_key(node, n - 1);
	} else {
		size_t before = (size_t)pos * LEAF_NODE_CELL_SIZE;

		memcpy(cells, leaf_cell(node, 0), before);
		memcpy(cells + before, cell, LEAF_NODE_CELL_SIZE);
		memcpy(cells + before + LEAF_NODE_CELL_SIZE, leaf_cell(node, pos),
		       (size_t)(n - pos) * LEAF_NODE_CELL_SIZE);
		memcpy(leaf_cell(node, 0), cells, LEAF_NODE_LEFT_SPLIT_COUNT * LEAF_NODE_CELL_SIZE);
		memcpy(leaf_cell(fresh, 0), cells + LEAF_NODE_LEFT_SPLIT_COUNT * LEAF_NODE_CELL_SIZE,
		       LEAF_NODE_RIGHT_SPLIT_COUNT * LEAF_NODE_CELL_SIZE);
		memset(leaf_cell(node, LEAF_NODE_LEFT_SPLIT_COUNT), 0,
		       (size_t)(n - LEAF_NODE_LEFT_SPLIT_COUNT) * LEAF_NODE_CELL_SIZE);
		set_leaf_num_cells(node, LEAF_NODE_LEFT_SPLIT_COUNT);
		set_leaf_num_cells(fresh, LEAF_NODE_RIGHT_SPLIT_COUNT);
		sep = leaf_key(node, LEAF_NODE_LEFT_SPLIT_COUNT - 1);
	}
	rc = insert_into_parent(pager, path, depth, page_pgno(page), sep, page_pgno(newp), err);
	pager_unref(newp);
	return rc;
}

int btree_insert(struct pager *pager, const struct row *row, struct rowfs_err *err)
{
	struct path_step path[BTREE_MAX_DEPTH];
	uint8_t cell[LEAF_NODE_CELL_SIZE];
	struct page *leaf;
	uint8_t *node;
	uint32_t depth, n, pos;
	int rc;

	rc = descend(pager, row->id, path, &depth, &leaf, err);
	if (rc)
		return rc;
	node = page_data(leaf);
	n = leaf_num_cells(node);
	pos = btree_leaf_lower_bound(node, row->id);
	if (pos < n && leaf_key(node, pos) == row->id) {
		rc = rowfs_err_set(err, ROWFS_DUPLICATE, EEXIST, "Error: duplicate key %u.", row->id);
		goto out_unref;
	}
	rc = pager_write(leaf, err);
	if (rc)
		goto out_unref;
	put_u32(cell, row->id);
	row_encode(row, cell + LEAF_NODE_VALUE_OFFSET);
	if (n < LEAF_NODE_MAX_CELLS) {
		memmove(leaf_cell(node, pos + 1), leaf_cell(node, pos),
			(size_t)(n - pos) * LEAF_NODE_CELL_SIZE);
		memcpy(leaf_cell(node, pos), cell, LEAF_NODE_CELL_SIZE);
		set_leaf_num_cells(node, n + 1);
	} else {
		rc = split_leaf(pager, path, depth, leaf, pos, cell, err);
		if (rc)
			goto out_unref;
	}
	pager_set_row_count(pager, pager_row_count(pager) + 1);
out_unref:
	pager_unref(leaf);
	return rc;
}

/*
 * The leaf before the one reached by path (rightmost leaf of the nearest
 * left subtree), or 0 when that leaf is the leftmost.
 */
static int previous_leaf(struct pager *pager, const struct path_step *path, uint32_t depth,
			 uint32_t *out, struct rowfs_err *err)
{
	uint32_t level = depth, pgno, steps = 0;
	struct page *page;
	int rc;

	*out = 0;
	while (level > 0 && path[level - 1].index == 0)
		level--;
	if (level == 0)
		return ROWFS_OK;
	rc = load_node(pager, path[level - 1].pgno, &page, err);
	if (rc)
		return rc;
	pgno = internal_child(page_data(page), path[level - 1].index - 1);
	pager_unref(page);
	for (;;) {
		rc = load_node(pager, pgno, &page, err);
		if (rc)
			return rc;
		if (node_type(page_data(page)) == NODE_LEAF)
			break;
		pgno = internal_right_child(page_data(page));
		pager_unref(page);
		if (++steps > BTREE_MAX_DEPTH)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "database corrupt: tree deeper than %u", BTREE_MAX_DEPTH);
	}
	*out = page_pgno(page);
	pager_unref(page);
	return ROWFS_OK;
}

/* While the root is an internal node with no keys, its only child becomes the root. */
static int collapse_root(struct pager *pager, struct rowfs_err *err)
{
	for (;;) {
		struct page *root, *child;
		uint32_t child_pgno;
		int rc = load_node(pager, pager_root(pager), &root, err);

		if (rc)
			return rc;
		if (node_type(page_data(root)) != NODE_INTERNAL ||
		    internal_num_keys(page_data(root)) > 0) {
			pager_unref(root);
			return ROWFS_OK;
		}
		child_pgno = internal_right_child(page_data(root));
		rc = pager_get(pager, child_pgno, &child, err);
		if (rc == ROWFS_OK) {
			rc = pager_write(child, err);
			if (rc == ROWFS_OK) {
				set_node_root(page_data(child), 1);
				set_node_parent(page_data(child), 0);
				pager_set_root(pager, child_pgno);
			}
			pager_unref(child);
		}
		if (rc) {
			pager_unref(root);
			return rc;
		}
		rc = pager_free(pager, root, err);
		if (rc)
			return rc;
	}
}

/*
 * Remove child path[level].index from the internal node path[level].pgno
 * (the child's page was freed already).  A node left with no child is freed
 * and removed from its own parent in turn; the root becomes an empty leaf.
 */
static int remove_child(struct pager *pager, const struct path_step *path, uint32_t level,
			struct rowfs_err *err)
{
	const struct path_step *step = &path[level];
	struct page *page;
	uint8_t *node;
	uint32_t n, ci = step->index;
	int rc = load_node(pager, step->pgno, &page, err);

	if (rc)
		return rc;
	rc = pager_write(page, err);
	if (rc)
		goto out_unref;
	node = page_data(page);
	n = internal_num_keys(node);
	if (node_type(node) != NODE_INTERNAL || ci > n) {
		rc = rowfs_err_set(err, ROWFS_CORRUPT, 0,
				   "database corrupt: page %u changed under a delete", step->pgno);
		goto out_unref;
	}
	if (n == 0) {
		if (level == 0) {
			/* the whole tree is gone: the root becomes an empty leaf */
			memset(node, 0, PAGE_SIZE);
			set_node_type(node, NODE_LEAF);
			set_node_root(node, 1);
			goto out_unref;
		}
		rc = pager_free(pager, page, err);
		return rc ? rc : remove_child(pager, path, level - 1, err);
	}
	if (ci == n) {
		set_internal_right_child(node, internal_child(node, n - 1));
		ci = n - 1;
	}
	memmove(internal_cell(node, ci), internal_cell(node, ci + 1),
		(size_t)(n - 1 - ci) * INTERNAL_NODE_CELL_SIZE);
	memset(internal_cell(node, n - 1), 0, INTERNAL_NODE_CELL_SIZE);
	set_internal_num_keys(node, n - 1);
out_unref:
	pager_unref(page);
	return rc;
}

/* The leaf reached by path became empty: unlink it from the chain, free it, drop it from its parent. */
static int remove_leaf(struct pager *pager, const struct path_step *path, uint32_t depth,
		       struct page *leaf, struct rowfs_err *err)
{
	uint32_t prev, next = leaf_next(page_data(leaf));
	int rc = previous_leaf(pager, path, depth, &prev, err);

	if (rc)
		goto out_unref;
	if (prev) {
		struct page *page;

		rc = pager_get(pager, prev, &page, err);
		if (rc)
			goto out_unref;
		rc = pager_write(page, err);
		if (rc == ROWFS_OK)
			set_leaf_next(page_data(page), next);
		pager_unref(page);
		if (rc)
			goto out_unref;
	}
	rc = pager_free(pager, leaf, err);
	if (rc)
		return rc;
	rc = remove_child(pager, path, depth - 1, err);
	return rc ? rc : collapse_root(pager, err);
out_unref:
	pager_unref(leaf);
	return rc;
}

int btree_delete(struct pager *pager, uint32_t key, struct rowfs_err *err)
{
	struct path_step path[BTREE_MAX_DEPTH];
	struct page *leaf;
	uint8_t *node;
	uint32_t depth, n, pos;
	int rc = descend(pager, key, path, &depth, &leaf, err);

	if (rc)
		return rc;
	node = page_data(leaf);
	n = leaf_num_cells(node);
	pos = btree_leaf_lower_bound(node, key);
	if (pos >= n || leaf_key(node, pos) != key) {
		rc = rowfs_err_set(err, ROWFS_NOTFOUND, ENOENT, "Error: no such key %u.", key);
		goto out_unref;
	}
	rc = pager_write(leaf, err);
	if (rc)
		goto out_unref;
	memmove(leaf_cell(node, pos), leaf_cell(node, pos + 1),
		(size_t)(n - 1 - pos) * LEAF_NODE_CELL_SIZE);
	memset(leaf_cell(node, n - 1), 0, LEAF_NODE_CELL_SIZE);
	set_leaf_num_cells(node, n - 1);
	pager_set_row_count(pager, pager_row_count(pager) - 1);
	if (n - 1 == 0 && depth > 0)
		return remove_leaf(pager, path, depth, leaf, err);
out_unref:
	pager_unref(leaf);
	return rc;
}

int btree_update(struct pager *pager, const struct row *row, struct rowfs_err *err)
{
	struct path_step path[BTREE_MAX_DEPTH];
	struct page *leaf;
	uint8_t *node;
	uint32_t depth, pos;
	int rc = descend(pager, row->id, path, &depth, &leaf, err);

	if (rc)
		return rc;
	node = page_data(leaf);
	pos = btree_leaf_lower_bound(node, row->id);
	if (pos >= leaf_num_cells(node) || leaf_key(node, pos) != row->id) {
		rc = rowfs_err_set(err, ROWFS_NOTFOUND, ENOENT, "Error: no such key %u.", row->id);
		goto out_unref;
	}
	rc = pager_write(leaf, err);
	if (rc == ROWFS_OK)
		row_encode(row, leaf_cell(node, pos) + LEAF_NODE_VALUE_OFFSET);
out_unref:
	pager_unref(leaf);
	return rc;
}

int btree_get(struct pager *pager, uint32_t key, int *found, uint8_t *value,
	      struct rowfs_err *err)
{
	struct path_step path[BTREE_MAX_DEPTH];
	struct page *leaf;
	const uint8_t *node;
	uint32_t depth, pos;
	int rc = descend(pager, key, path, &depth, &leaf, err);

	*found = 0;
	if (rc)
		return rc;
	node = page_data(leaf);
	pos = btree_leaf_lower_bound(node, key);
	if (pos < leaf_num_cells(node) && leaf_key(node, pos) == key) {
		*found = 1;
		memcpy(value, leaf_value(node, pos), ROW_SIZE);
	}
	pager_unref(leaf);
	return ROWFS_OK;
}

/* load_node of the node level levels below the root of a walk down the tree. */
static int load_level(struct pager *pager, uint32_t pgno, uint32_t level, struct page **out,
		      struct rowfs_err *err)
{
	if (level >= BTREE_MAX_DEPTH)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database corrupt: tree deeper than %u", BTREE_MAX_DEPTH);
	return load_node(pager, pgno, out, err);
}

/*
 * Walk the subtree at pgno right to left, counting rows down from *left;
 * when the count is reached, *start receives the key where it ended.
 */
static int last_walk(struct pager *pager, uint32_t pgno, uint32_t level, uint64_t *left,
		     uint64_t *start, struct rowfs_err *err)
{
	struct page *page;
	const uint8_t *node;
	int rc = load_level(pager, pgno, level, &page, err);

	if (rc)
		return rc;
	node = page_data(page);
	if (node_type(node) == NODE_LEAF) {
		uint32_t n = leaf_num_cells(node);

		if (n > 0) {
			if (*left <= n) {
				*start = leaf_key(node, n - (uint32_t)*left);
				*left = 0;
			} else {
				*start = leaf_key(node, 0);
				*left -= n;
			}
		}
	} else {
		uint32_t i = internal_num_keys(node) + 1;

		while (i-- > 0 && *left > 0 && rc == ROWFS_OK)
			rc = last_walk(pager, internal_child(node, i), level + 1, left, start, err);
	}
	pager_unref(page);
	return rc;
}

int btree_last_start(struct pager *pager, uint64_t count, uint64_t *start,
		     struct rowfs_err *err)
{
	uint64_t left = count;

	*start = (uint64_t)UINT32_MAX + 1;
	if (count == 0)
		return ROWFS_OK;
	return last_walk(pager, pager_root(pager), 0, &left, start, err);
}

int btree_contains(struct pager *pager, uint32_t key, int *found, struct rowfs_err *err)
{
	struct path_step path[BTREE_MAX_DEPTH];
	struct page *leaf;
	const uint8_t *node;
	uint32_t depth, pos;
	int rc = descend(pager, key, path, &depth, &leaf, err);

	*found = 0;
	if (rc)
		return rc;
	node = page_data(leaf);
	pos = btree_leaf_lower_bound(node, key);
	*found = pos < leaf_num_cells(node) && leaf_key(node, pos) == key;
	pager_unref(leaf);
	return ROWFS_OK;
}

int btree_depth(struct pager *pager, uint32_t *depth, struct rowfs_err *err)
{
	struct path_step path[BTREE_MAX_DEPTH];
	struct page *leaf;
	int rc = descend(pager, 0, path, depth, &leaf, err);

	if (rc)
		return rc;
	pager_unref(leaf);
	(*depth)++;
	return ROWFS_OK;
}

/*
 * Add to *pages the pages under the internal node pgno, whose children
 * are leaves when level + 2 == depth (counted, not read).
 */
static int count_pages(struct pager *pager, uint32_t pgno, uint32_t level, uint32_t depth,
		       uint32_t *pages, struct rowfs_err *err)
{
	struct page *page;
	const uint8_t *node;
	uint32_t i, n;
	int rc = load_level(pager, pgno, level, &page, err);

	if (rc)
		return rc;
	node = page_data(page);
	if (node_type(node) == NODE_LEAF) {
		pager_unref(page);
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database corrupt: leaf %u above the leaf level", pgno);
	}
	n = internal_num_keys(node) + 1;
	*pages += n;
	for (i = 0; i < n && rc == ROWFS_OK && level + 2 < depth; i++)
		rc = count_pages(pager, internal_child(node, i), level + 1, depth, pages, err);
	pager_unref(page);
	return rc;
}

int btree_page_total(struct pager *pager, uint32_t *pages, struct rowfs_err *err)
{
	uint32_t depth;
	int rc = btree_depth(pager, &depth, err);

	*pages = 1;
	if (rc || depth == 1)
		return rc;
	return count_pages(pager, pager_root(pager), 0, depth, pages, err);
}

/* Append " [k]", " [a..b]" or " []" for a key range. */
static int format_keys(char *buf, size_t size, uint32_t count, uint32_t first, uint32_t last)
{
	if (count == 0)
		return snprintf(buf, size, "[]");
	if (count == 1)
		return snprintf(buf, size, "[%u]", first);
	return snprintf(buf, size, "[%u..%u]", first, last);
}

static int render_node(struct pager *pager, uint32_t pgno, uint32_t level, rowfs_emit_fn emit,
		       void *ctx, struct rowfs_err *err)
{
	char line[160], keys[48];
	struct page *page;
	const uint8_t *node;
	uint32_t i, n;
	int len, rc;

	if (level >= BTREE_MAX_DEPTH)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database corrupt: tree deeper than %u at page %u",
				     BTREE_MAX_DEPTH, pgno);
	rc = load_node(pager, pgno, &page, err);
	if (rc)
		return rc;
	node = page_data(page);
	memset(line, ' ', 2 * level);
	if (node_type(node) == NODE_LEAF) {
		n = leaf_num_cells(node);
		format_keys(keys, sizeof(keys), n, n ? leaf_key(node, 0) : 0,
			    n ? leaf_key(node, n - 1) : 0);
		len = snprintf(line + 2 * level, sizeof(line) - 2 * level,
			       "leaf (page %u): %u cells keys %s\n", pgno, n, keys);
		rc = emit(ctx, line, 2 * level + (size_t)len) ? ROWFS_NOMEM : ROWFS_OK;
		pager_unref(page);
		return rc ? rowfs_err_set(err, rc, ENOMEM, "out of memory") : ROWFS_OK;
	}
	n = internal_num_keys(node);
	format_keys(keys, sizeof(keys), n, n ? internal_key(node, 0) : 0,
		    n ? internal_key(node, n - 1) : 0);
	len = snprintf(line + 2 * level, sizeof(line) - 2 * level,
		       "internal (page %u): %u keys %s\n", pgno, n, keys);
	if (emit(ctx, line, 2 * level + (size_t)len)) {
		pager_unref(page);
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	}
	/* Children are read one at a time; the node page stays referenced. */
	for (i = 0; i <= n && rc == ROWFS_OK; i++)
		rc = render_node(pager, internal_child(node, i), level + 1, emit, ctx, err);
	pager_unref(page);
	return rc;
}

int btree_render(struct pager *pager, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err)
{
	return render_node(pager, pager_root(pager), 0, emit, ctx, err);
}
