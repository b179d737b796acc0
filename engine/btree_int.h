/*
 * btree_int.h - node layout accessors, shared by btree.c, cursor.c and
 * check.c only (the layout itself is documented in format.h).
 *
 * Accessors take the raw page bytes; they do no I/O and no validation.
 * The node loader and the binary searches below are btree.c's, shared with
 * cursor.c.
 * Callers that read pages from disk validate counts with node_valid()
 * before trusting them.
 */
#ifndef ROWFS_ENGINE_BTREE_INT_H
#define ROWFS_ENGINE_BTREE_INT_H

#include <stdint.h>

#include "format.h"
#include "pager.h"
#include "row.h"

static inline uint8_t node_type(const uint8_t *node) { return node[NODE_TYPE_OFFSET]; }
static inline void set_node_type(uint8_t *node, uint8_t t) { node[NODE_TYPE_OFFSET] = t; }
static inline int node_is_root(const uint8_t *node) { return node[IS_ROOT_OFFSET] != 0; }
static inline void set_node_root(uint8_t *node, int r) { node[IS_ROOT_OFFSET] = r ? 1 : 0; }
static inline uint32_t node_parent(const uint8_t *node) { return get_u32(node + PARENT_POINTER_OFFSET); }
static inline void set_node_parent(uint8_t *node, uint32_t p) { put_u32(node + PARENT_POINTER_OFFSET, p); }

/* Leaf nodes. */
static inline uint32_t leaf_num_cells(const uint8_t *node) { return get_u32(node + LEAF_NODE_NUM_CELLS_OFFSET); }
static inline void set_leaf_num_cells(uint8_t *node, uint32_t n) { put_u32(node + LEAF_NODE_NUM_CELLS_OFFSET, n); }
static inline uint32_t leaf_next(const uint8_t *node) { return get_u32(node + LEAF_NODE_NEXT_LEAF_OFFSET); }
static inline void set_leaf_next(uint8_t *node, uint32_t p) { put_u32(node + LEAF_NODE_NEXT_LEAF_OFFSET, p); }
static inline uint8_t *leaf_cell(uint8_t *node, uint32_t i) { return node + LEAF_NODE_HEADER_SIZE + i * LEAF_NODE_CELL_SIZE; }
static inline const uint8_t *leaf_cell_c(const uint8_t *node, uint32_t i) { return node + LEAF_NODE_HEADER_SIZE + i * LEAF_NODE_CELL_SIZE; }
static inline uint32_t leaf_key(const uint8_t *node, uint32_t i) { return get_u32(leaf_cell_c(node, i)); }
static inline const uint8_t *leaf_value(const uint8_t *node, uint32_t i) { return leaf_cell_c(node, i) + LEAF_NODE_VALUE_OFFSET; }

/* Internal nodes. */
static inline uint32_t internal_num_keys(const uint8_t *node) { return get_u32(node + INTERNAL_NODE_NUM_KEYS_OFFSET); }
static inline void set_internal_num_keys(uint8_t *node, uint32_t n) { put_u32(node + INTERNAL_NODE_NUM_KEYS_OFFSET, n); }
static inline uint32_t internal_right_child(const uint8_t *node) { return get_u32(node + INTERNAL_NODE_RIGHT_CHILD_OFFSET); }
static inline void set_internal_right_child(uint8_t *node, uint32_t p) { put_u32(node + INTERNAL_NODE_RIGHT_CHILD_OFFSET, p); }
static inline uint8_t *internal_cell(uint8_t *node, uint32_t i) { return node + INTERNAL_NODE_HEADER_SIZE + i * INTERNAL_NODE_CELL_SIZE; }
static inline const uint8_t *internal_cell_c(const uint8_t *node, uint32_t i) { return node + INTERNAL_NODE_HEADER_SIZE + i * INTERNAL_NODE_CELL_SIZE; }
static inline uint32_t internal_key(const uint8_t *node, uint32_t i) { return get_u32(internal_cell_c(node, i) + INTERNAL_NODE_CHILD_SIZE); }
static inline void set_internal_key(uint8_t *node, uint32_t i, uint32_t k) { put_u32(internal_cell(node, i) + INTERNAL_NODE_CHILD_SIZE, k); }
/* Child i for i < num_keys; child num_keys is the right child. */
static inline uint32_t internal_child(const uint8_t *node, uint32_t i)
{
	return i == internal_num_keys(node) ? internal_right_child(node) : get_u32(internal_cell_c(node, i));
}
static inline void set_internal_child(uint8_t *node, uint32_t i, uint32_t p)
{
	if (i == internal_num_keys(node))
		set_internal_right_child(node, p);
	else
		put_u32(internal_cell(node, i), p);
}

/*
 * node_valid - 1 if the node's type and count fields are in bounds
 * (a page read from a damaged file must pass this before its cells are used).
 */
static inline int node_valid(const uint8_t *node)
{
	if (node_type(node) == NODE_LEAF)
		return leaf_num_cells(node) <= LEAF_NODE_MAX_CELLS;
	if (node_type(node) == NODE_INTERNAL)
		return internal_num_keys(node) <= INTERNAL_NODE_MAX_KEYS;
	return 0;
}

/*
 * btree_load_node - pager_get (or pager_get_cold, for a one-pass scan) of
 * pgno, checked with node_valid.  ROWFS_CORRUPT names the page.
 */
int btree_load_node(struct pager *pager, uint32_t pgno, int cold, struct page **out,
		    struct rowfs_err *err);

/* Lowest child index i with key <= key i (num_keys, the right child, if none). */
uint32_t btree_internal_lower_bound(const uint8_t *node, uint32_t key);

/* Lowest cell index with key >= key (num_cells if none). */
uint32_t btree_leaf_lower_bound(const uint8_t *node, uint32_t key);

/* Depth limit used to stop walks of a damaged file that loops. */
#define BTREE_MAX_DEPTH 32u

#endif /* ROWFS_ENGINE_BTREE_INT_H */
