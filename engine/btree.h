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

/* btree_contains - *found = 1 if key is in the table. */
int btree_contains(struct pager *pager, uint32_t key, int *found, struct rowfs_err *err);

/* btree_depth - levels from the root to the leaves (a lone root leaf is 1). */
int btree_depth(struct pager *pager, uint32_t *depth, struct rowfs_err *err);

/*
 * btree_render - one line per node, pre-order, two spaces of indent per
 * level: "internal (page 3): 1 keys [101]", "leaf (page 1): 101 cells keys
 * [0..100]" ("[k]" for one key, "[]" for none, "[first..last]" otherwise).
 */
int btree_render(struct pager *pager, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err);

#endif /* ROWFS_ENGINE_BTREE_H */
