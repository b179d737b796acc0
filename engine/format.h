/*
 * format.h - the on-disk constants of a rowfs database, defined once.
 *
 * Everything a user can see through `.constants` and everything fsck checks
 * is derived here from PAGE_SIZE and the row layout, as in the tutorial.
 * All integers on disk are little-endian; see row.h for the codec helpers.
 *
 * Database file: an array of PAGE_SIZE pages.
 *   page 0      file header (layout below)
 *   page 1..N-1 users B-tree nodes (leaf or internal), free pages, and in
 *               format version 2 the pages of the catalog and the other
 *               tables (table.h: table leaf, table internal, overflow)
 *
 * Two format versions (rowfs(5)): 1 holds users only; 2 adds the catalog
 * (catalog.h) and tables.  A new file is version 2 (catalog root 0 until
 * the first create table); a version-1 file is upgraded in place at its
 * first read-write open (db.c: the header alone), read-only readers take
 * either as it is.
 *
 * File header (page 0), version 1 (version 2 below):
 *   offset size  meaning
 *        0   16  magic "rowfs format 1\0\0"
 *       16    4  format version (1)
 *       20    4  page size (4096)
 *       24    4  root page number of the table B-tree
 *       28    4  page count (number of pages in the file, page 0 included)
 *       32    4  first free-list page (0: none)
 *       36    4  number of pages on the free list
 *       40    8  change counter (incremented by every checkpoint)
 *       48    8  applied sequence: the last WAL commit sequence whose
 *                changes this file already holds
 *       56    8  row count
 *       64    4  checksum: FNV-1a (32 bits) of bytes 0..63
 *   rest of the page is zero.
 *
 * Common node header (every users B-tree page):
 *        0    1  node type (NODE_INTERNAL 1, NODE_LEAF 2, NODE_FREE 3;
 *                version 2 adds NODE_TABLE_LEAF 4, NODE_TABLE_INTERNAL 5,
 *                NODE_OVERFLOW 6, whose layouts are in table.h)
 *        1    1  is_root (1 for the root page, else 0)
 *        2    4  parent page number (0 for the root)
 * Leaf node:
 *        6    4  number of cells
 *       10    4  next leaf page number (0 for the rightmost leaf)
 *       14  ...  cells: key u32, row (ROW_SIZE bytes), sorted by key
 * Internal node:
 *        6    4  number of keys
 *       10    4  right child page number
 *       14  ...  cells: child u32, key u32.  Every key in child i is <= key i
 *                and > key i-1; keys greater than the last key live under the
 *                right child.
 * Free page:
 *        0    1  NODE_FREE
 *        2    4  next free page (0 ends the list)
 *
 * Log record (the payload of a WAL_FRAME_TXN frame is a sequence of them,
 * framed by logrec.h; vm.c writes and replays them, check.c and salvage.c
 * read them; version 2 adds the table and DDL records below):
 *        0    1  op: LOG_OP_INSERT 1, LOG_OP_DELETE 2, LOG_OP_UPDATE 3
 *        1    3  zero
 *        4   36  a row (insert: the new row; update: the key and its new
 *                name; delete: the key, the name bytes zero)
 */
#ifndef ROWFS_ENGINE_FORMAT_H
#define ROWFS_ENGINE_FORMAT_H

#define PAGE_SIZE 4096u

/* Row layout: id u32 + username bytes, zero padded. */
#define ID_SIZE 4u
#define USERNAME_SIZE 32u
#define ID_OFFSET 0u
#define USERNAME_OFFSET (ID_OFFSET + ID_SIZE)
#define ROW_SIZE (ID_SIZE + USERNAME_SIZE)

/* File header. */
#define DB_MAGIC "rowfs format 1\0\0"
#define DB_MAGIC_SIZE 16u
#define DB_FORMAT_VERSION 1u
#define HDR_VERSION_OFFSET 16u
#define HDR_PAGE_SIZE_OFFSET 20u
#define HDR_ROOT_OFFSET 24u
#define HDR_PAGE_COUNT_OFFSET 28u
#define HDR_FREE_HEAD_OFFSET 32u
#define HDR_FREE_COUNT_OFFSET 36u
#define HDR_CHANGE_COUNTER_OFFSET 40u
#define HDR_APPLIED_SEQ_OFFSET 48u
#define HDR_ROW_COUNT_OFFSET 56u
#define HDR_CHECKSUM_OFFSET 64u
#define HDR_SIZE 68u

/* Node types. */
#define NODE_INTERNAL 1u
#define NODE_LEAF 2u
#define NODE_FREE 3u

/* Common node header. */
#define NODE_TYPE_SIZE 1u
#define NODE_TYPE_OFFSET 0u
#define IS_ROOT_SIZE 1u
#define IS_ROOT_OFFSET (NODE_TYPE_OFFSET + NODE_TYPE_SIZE)
#define PARENT_POINTER_SIZE 4u
#define PARENT_POINTER_OFFSET (IS_ROOT_OFFSET + IS_ROOT_SIZE)
#define COMMON_NODE_HEADER_SIZE (NODE_TYPE_SIZE + IS_ROOT_SIZE + PARENT_POINTER_SIZE)

/* Leaf node header and body. */
#define LEAF_NODE_NUM_CELLS_SIZE 4u
#define LEAF_NODE_NUM_CELLS_OFFSET COMMON_NODE_HEADER_SIZE
#define LEAF_NODE_NEXT_LEAF_SIZE 4u
#define LEAF_NODE_NEXT_LEAF_OFFSET (LEAF_NODE_NUM_CELLS_OFFSET + LEAF_NODE_NUM_CELLS_SIZE)
#define LEAF_NODE_HEADER_SIZE \
	(COMMON_NODE_HEADER_SIZE + LEAF_NODE_NUM_CELLS_SIZE + LEAF_NODE_NEXT_LEAF_SIZE)
#define LEAF_NODE_KEY_SIZE 4u
#define LEAF_NODE_KEY_OFFSET 0u
#define LEAF_NODE_VALUE_SIZE ROW_SIZE
#define LEAF_NODE_VALUE_OFFSET (LEAF_NODE_KEY_OFFSET + LEAF_NODE_KEY_SIZE)
#define LEAF_NODE_CELL_SIZE (LEAF_NODE_KEY_SIZE + LEAF_NODE_VALUE_SIZE)
#define LEAF_NODE_SPACE_FOR_CELLS (PAGE_SIZE - LEAF_NODE_HEADER_SIZE)
#define LEAF_NODE_MAX_CELLS (LEAF_NODE_SPACE_FOR_CELLS / LEAF_NODE_CELL_SIZE)
#define LEAF_NODE_RIGHT_SPLIT_COUNT ((LEAF_NODE_MAX_CELLS + 1u) / 2u)
#define LEAF_NODE_LEFT_SPLIT_COUNT \
	((LEAF_NODE_MAX_CELLS + 1u) - LEAF_NODE_RIGHT_SPLIT_COUNT)

/* Internal node header and body. */
#define INTERNAL_NODE_NUM_KEYS_SIZE 4u
#define INTERNAL_NODE_NUM_KEYS_OFFSET COMMON_NODE_HEADER_SIZE
#define INTERNAL_NODE_RIGHT_CHILD_SIZE 4u
#define INTERNAL_NODE_RIGHT_CHILD_OFFSET \
	(INTERNAL_NODE_NUM_KEYS_OFFSET + INTERNAL_NODE_NUM_KEYS_SIZE)
#define INTERNAL_NODE_HEADER_SIZE \
	(COMMON_NODE_HEADER_SIZE + INTERNAL_NODE_NUM_KEYS_SIZE + INTERNAL_NODE_RIGHT_CHILD_SIZE)
#define INTERNAL_NODE_CHILD_SIZE 4u
#define INTERNAL_NODE_KEY_SIZE 4u
#define INTERNAL_NODE_CELL_SIZE (INTERNAL_NODE_CHILD_SIZE + INTERNAL_NODE_KEY_SIZE)
#define INTERNAL_NODE_SPACE_FOR_CELLS (PAGE_SIZE - INTERNAL_NODE_HEADER_SIZE)
#define INTERNAL_NODE_MAX_KEYS (INTERNAL_NODE_SPACE_FOR_CELLS / INTERNAL_NODE_CELL_SIZE)

/* Version-2 pages (table.h has their layout). */
#define NODE_TABLE_LEAF 4u
#define NODE_TABLE_INTERNAL 5u
#define NODE_OVERFLOW 6u

/*
 * Version-2 file header (page 0): bytes 0..63 as version 1 (magic
 * "rowfs format 2\0\0", version 2), then
 *       64    4  root page of the catalog tree (catalog.h)
 *       68   56  zero (reserved)
 *      124    4  checksum: FNV-1a (32 bits) of bytes 0..123
 * The version-1 checksum slot (64) is the catalog root in version 2.
 */
#define DB_MAGIC_V2 "rowfs format 2\0\0"
#define DB_FORMAT_VERSION_2 2u
#define HDR_CATALOG_ROOT_OFFSET 64u
#define HDR2_CHECKSUM_OFFSET 124u
#define HDR2_SIZE 128u

/* Free page. */
#define FREE_PAGE_NEXT_OFFSET PARENT_POINTER_OFFSET

/* Log records (WAL_FRAME_TXN payload units). */
#define LOG_RECORD_ROW_OFFSET 4u
#define LOG_RECORD_SIZE (LOG_RECORD_ROW_OFFSET + ROW_SIZE)
#define LOG_OP_INSERT 1u
#define LOG_OP_DELETE 2u
#define LOG_OP_UPDATE 3u
/*
 * Version-2 log records (any table but users; DDL).  Header of 24 bytes,
 * then the payload zero-padded to a multiple of 8:
 *        0    1  op (below)
 *        1    3  zero
 *        4    4  root page of the table (CREATE_TABLE: the root page the new
 *                table got; replay allocates the same page - the state it
 *                runs on is the same - and may check it.  Salvage needs it
 *                to tell which table later records name.  0 is read as
 *                "not recorded")
 *        8    8  key (int64; CREATE_TABLE/DROP_TABLE: the catalog id, CREATE: 0 = next)
 *       16    4  payload length L (TABLE_DELETE, DROP_TABLE: 0)
 *       20    4  zero
 *       24    L  payload: the record (TABLE_INSERT/UPDATE) or the
 *                normalized create table statement (CREATE_TABLE)
 */
#define LOG_OP_TABLE_INSERT 4u
#define LOG_OP_TABLE_UPDATE 5u
#define LOG_OP_TABLE_DELETE 6u
#define LOG_OP_CREATE_TABLE 7u
#define LOG_OP_DROP_TABLE 8u
#define LOG_TABLE_HEADER_SIZE 24u

/* Statements: longest line accepted (bytes, newline excluded). */
#define MAX_LINE_SIZE 4194304u   /* 4 MiB (Part 1 had 4096) */

#endif /* ROWFS_ENGINE_FORMAT_H */
