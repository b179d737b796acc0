/*
 * btree.h - the table B-tree: search, insert with splits at any depth,
 * rendering.  Node layout: format.h; accessors: btree_int.h.
 *
 * Every function validates the nodes it reads (a damaged file gives
 * ROWFS_CORRUPT naming the page, never a crash or an endless walk).
 */
#ifndef ROWFS_ENGINE_BTREE_H
#define ROWFS_ENGINE_BTREE_H

#include <stdint.h>

#include "pager.h"
#include "row.h"
#include "rowfs.h"

/*
 * btree_insert - insert row under key row->id, splitting leaves and internal
 * nodes as needed (append-biased when the key goes past the rightmost leaf's
 * last key: a new leaf is started instead of a half split) and growing a new
 * root.  Updates the header's row count.
 * Returns ROWFS_OK, ROWFS_DUPLICATE ("Error: duplicate key N."; nothing
 * changed), or ROWFS_READONLY/IOERR/CORRUPT/NOMEM/FULL (pages may be half
 * changed: the caller rolls the transaction back).
 */
int btree_insert(struct pager *pager, const struct row *row, struct rowfs_err *err);

/*
 * btree_delete - remove the row with this key; an emptied leaf is freed and
 * removed from its parent, empty internal nodes likewise, and a root left
 * with one child collapses into it (rowfs(5)).  Returns ROWFS_OK,
 * ROWFS_NOTFOUND ("Error: no such key N."; nothing changed), or an I/O error
 * after which the caller rolls back.
 */
int btree_delete(struct pager *pager, uint32_t key, struct rowfs_err *err);

/* btree_update - replace the username of row->id.  ROWFS_OK, ROWFS_NOTFOUND, I/O errors. */
int btree_update(struct pager *pager, const struct row *row, struct rowfs_err *err);

/*
 * btree_get - *found = 1 and the row's ROW_SIZE bytes copied to value if key
 * is in the table.
 */
int btree_get(struct pager *pager, uint32_t key, int *found, uint8_t *value,
	      struct rowfs_err *err);

/*
 * btree_last_start - key of the count-th row from the end (walking subtrees
 * right to left, reading only the leaves needed); *start = 2^32 if the table
 * is empty or count is 0.
 */
int btree_last_start(struct pager *pager, uint64_t count, uint64_t *start,
		     struct rowfs_err *err);

/* btree_contains - *found = 1 if key is in the table. */
int btree_contains(struct pager *pager, uint32_t key, int *found, struct rowfs_err *err);

/* btree_depth - levels from the root to the leaves (a lone root leaf is 1). */
int btree_depth(struct pager *pager, uint32_t *depth, struct rowfs_err *err);

/*
 * btree_page_total - pages of the tree, root, internal nodes and leaves:
 * reads the internal nodes only (all leaves are at one depth, so a node
 * one level above them counts its children).
 */
int btree_page_total(struct pager *pager, uint32_t *pages, struct rowfs_err *err);

/*
 * btree_render - one line per node, pre-order, two spaces of indent per
 * level: "internal (page 3): 1 keys [101]", "leaf (page 1): 101 cells keys
 * [0..100]" ("[k]" for one key, "[]" for none, "[first..last]" otherwise).
 */
int btree_render(struct pager *pager, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err);

#endif /* ROWFS_ENGINE_BTREE_H */
