/*
 * table_int.h - decoders of the version-2 table pages (layout in table.h),
 * shared by table.c, check.c and salvage.c: one decoder of the format.
 *
 * Everything here is pure and works on the raw bytes of one page
 * (PAGE_SIZE bytes): no I/O, no pager.  The header getters read a field
 * as it is; the cell decoders check every offset and length against the
 * page and the format's rules before they trust it, and return
 * ROWFS_CORRUPT (without a message: the caller names the page) when
 * something points outside the page or breaks a rule.
 * table_verify_page() (table.c) checks a page's whole validity rule.
 */
#ifndef ROWFS_ENGINE_TABLE_INT_H
#define ROWFS_ENGINE_TABLE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "rowfs.h"
#include "table.h"
#include "util.h"

/* ---- layout (table.h's essay) ------------------------------------------ */

/* Fields common to leaf and internal pages. */
#define TABLE_TYPE_OFFSET 0u
#define TABLE_FLAGS_OFFSET 1u
#define TABLE_COUNT_OFFSET 2u           /* leaf: cells; internal: keys */
#define TABLE_FLAG_ROOT 0x01u           /* flags bit 0: the table's root page */

/* Leaf header. */
#define TABLE_LEAF_CONTENT_OFFSET 4u    /* start of the cell content area */
#define TABLE_LEAF_FRAG_OFFSET 6u       /* fragmented free bytes */
#define TABLE_LEAF_NEXT_OFFSET 8u       /* next leaf to the right */
#define TABLE_LEAF_ROWS_OFFSET 12u      /* row count (root only) */
#define TABLE_LEAF_HEADER_SIZE 20u      /* the cell pointer array starts here */
#define TABLE_LEAF_USABLE (PAGE_SIZE - TABLE_LEAF_HEADER_SIZE)
/* Smallest cell (1-byte key, 1-byte size, empty record) + its pointer. */
#define TABLE_LEAF_MIN_CELL 2u
#define TABLE_LEAF_MAX_CELLS (TABLE_LEAF_USABLE / (TABLE_LEAF_MIN_CELL + 2u))

/* Internal header and cells. */
#define TABLE_INTERNAL_RIGHT_OFFSET 4u  /* right child */
#define TABLE_INTERNAL_ROWS_OFFSET 8u   /* row count (root only) */
#define TABLE_INTERNAL_HEADER_SIZE 16u
#define TABLE_INTERNAL_CELL_SIZE 12u    /* child u32, key i64 */

/* Overflow page. */
#define TABLE_OVERFLOW_NEXT_OFFSET 4u
#define TABLE_OVERFLOW_LEN_OFFSET 8u
#define TABLE_OVERFLOW_HEADER_SIZE 12u

/* Largest leaf cell: 9-byte key, 4-byte size, TABLE_MAX_LOCAL bytes, overflow page. */
#define TABLE_MAX_CELL_SIZE (VARINT_MAX + 4u + TABLE_MAX_LOCAL + 4u)

/* One decoded leaf cell.  Pointers point into the page it was decoded from. */
struct table_cell {
	int64_t key;             /* the row key */
	uint64_t payload;        /* P: length of the whole record */
	const uint8_t *local;    /* the record's first local_len bytes, inside the page */
	uint32_t local_len;      /* bytes of the record kept in the cell */
	uint32_t overflow;       /* first overflow page; 0 when the record is all local */
	uint32_t offset;         /* where the cell starts in the page */
	uint32_t size;           /* bytes the cell occupies (its pointer not included) */
};

/* ---- header fields ------------------------------------------------------- */

/* Node type byte (NODE_TABLE_LEAF, NODE_TABLE_INTERNAL, NODE_OVERFLOW, or anything). */
static inline unsigned table_page_type(const uint8_t *page) { return page[TABLE_TYPE_OFFSET]; }

/* 1 if the flags mark the table's root page. */
static inline int table_page_is_root(const uint8_t *page)
{
	return (page[TABLE_FLAGS_OFFSET] & TABLE_FLAG_ROOT) != 0;
}

/* Cells of a leaf, keys of an internal page (the u16 at offset 2). */
static inline unsigned table_page_count(const uint8_t *page)
{
	return get_u16(page + TABLE_COUNT_OFFSET);
}

/* Start of a leaf's cell content area (the stored 0 reads as 65536). */
static inline uint32_t table_leaf_content_start(const uint8_t *page)
{
	uint32_t v = get_u16(page + TABLE_LEAF_CONTENT_OFFSET);

	return v ? v : 65536u;
}

/* Fragmented free bytes of a leaf's content area. */
static inline uint32_t table_leaf_frag(const uint8_t *page)
{
	return get_u16(page + TABLE_LEAF_FRAG_OFFSET);
}

/* The leaf to the right (0 for the rightmost leaf). */
static inline uint32_t table_leaf_next(const uint8_t *page)
{
	return get_u32(page + TABLE_LEAF_NEXT_OFFSET);
}

/* The right child of an internal page. */
static inline uint32_t table_internal_right(const uint8_t *page)
{
	return get_u32(page + TABLE_INTERNAL_RIGHT_OFFSET);
}

/* Offset of the row count field for a page of this type (leaf or internal). */
static inline uint32_t table_rows_offset(const uint8_t *page)
{
	return table_page_type(page) == NODE_TABLE_INTERNAL ? TABLE_INTERNAL_ROWS_OFFSET
							    : TABLE_LEAF_ROWS_OFFSET;
}

/* The row count field (meaningful on the root only; 0 elsewhere). */
static inline uint64_t table_page_rows(const uint8_t *page)
{
	return get_u64(page + table_rows_offset(page));
}

/*
 * table_leaf_header_ok - 1 if a leaf's header is self-consistent: the
 * pointer array ends at or before the content start, which is inside the
 * page, and the fragmented bytes fit the content area.  What the cell
 * decoders rely on; table_verify_page checks the rest.
 */
static inline int table_leaf_header_ok(const uint8_t *page)
{
	uint32_t n = table_page_count(page), start = table_leaf_content_start(page);

	return n <= TABLE_LEAF_MAX_CELLS && TABLE_LEAF_HEADER_SIZE + 2u * n <= start &&
	       start <= PAGE_SIZE && table_leaf_frag(page) <= PAGE_SIZE - start;
}

/* 1 if an internal page's key count is within 0..TABLE_INTERNAL_MAX_KEYS. */
static inline int table_internal_header_ok(const uint8_t *page)
{
	return table_page_count(page) <= TABLE_INTERNAL_MAX_KEYS;
}

/* ---- records: local part and overflow ------------------------------------ */

/*
 * table_local_size - bytes of a record of payload bytes kept in its cell:
 * all of it up to TABLE_MAX_LOCAL; beyond, TABLE_MIN_LOCAL plus the part
 * that would only half-fill the last overflow page, if that still fits
 * TABLE_MAX_LOCAL (SQLite's rule: every overflow page but none is full).
 */
static inline uint32_t table_local_size(uint64_t payload)
{
	uint64_t s;

	if (payload <= TABLE_MAX_LOCAL)
		return (uint32_t)payload;
	s = TABLE_MIN_LOCAL + (payload - TABLE_MIN_LOCAL) % TABLE_OVERFLOW_CAPACITY;
	return s <= TABLE_MAX_LOCAL ? (uint32_t)s : TABLE_MIN_LOCAL;
}

/* table_overflow_pages - pages in the overflow chain of a record of payload bytes. */
static inline uint64_t table_overflow_pages(uint64_t payload)
{
	uint64_t rest = payload - table_local_size(payload);

	return (rest + TABLE_OVERFLOW_CAPACITY - 1) / TABLE_OVERFLOW_CAPACITY;
}

/* ---- cells ------------------------------------------------------------------- */

/*
 * table_leaf_cell_offset - where cell i of a leaf starts, checked: the
 * pointer lies in the array, the cell at or after the content start and
 * inside the page.  Returns ROWFS_OK or ROWFS_CORRUPT.
 */
static inline int table_leaf_cell_offset(const uint8_t *page, unsigned i, uint32_t *off)
{
	uint32_t n = table_page_count(page), o;

	if (i >= n || TABLE_LEAF_HEADER_SIZE + 2u * n > PAGE_SIZE)
		return ROWFS_CORRUPT;
	o = get_u16(page + TABLE_LEAF_HEADER_SIZE + 2u * i);
	if (o < TABLE_LEAF_HEADER_SIZE + 2u * n || o < table_leaf_content_start(page) ||
	    o >= PAGE_SIZE)
		return ROWFS_CORRUPT;
	*off = o;
	return ROWFS_OK;
}

/*
 * table_leaf_key - the key of cell i only (the binary search's probe),
 * checked as table_leaf_cell_offset does.  ROWFS_OK or ROWFS_CORRUPT.
 */
static inline int table_leaf_key(const uint8_t *page, unsigned i, int64_t *key)
{
	uint32_t off;
	uint64_t v;

	if (table_leaf_cell_offset(page, i, &off))
		return ROWFS_CORRUPT;
	if (page[off] < 0x80) {
		*key = page[off];
		return ROWFS_OK;
	}
	if (!get_varint(page + off, PAGE_SIZE - off, &v))
		return ROWFS_CORRUPT;
	*key = (int64_t)v;
	return ROWFS_OK;
}

/*
 * table_leaf_cell - decode cell i of a leaf: key, payload size, local
 * bytes, first overflow page.  Checks that the cell lies inside the page,
 * the payload is at most TABLE_MAX_RECORD, the local size follows
 * table_local_size(), and a record with overflow names a page (not 0).
 * Returns ROWFS_OK or ROWFS_CORRUPT.
 */
static inline int table_leaf_cell(const uint8_t *page, unsigned i, struct table_cell *out)
{
	uint32_t off, pos, local;
	uint64_t key, payload;
	size_t used;

	if (table_leaf_cell_offset(page, i, &off))
		return ROWFS_CORRUPT;
	pos = off;
	used = get_varint(page + pos, PAGE_SIZE - pos, &key);
	if (!used)
		return ROWFS_CORRUPT;
	pos += (uint32_t)used;
	used = get_varint(page + pos, PAGE_SIZE - pos, &payload);
	if (!used || payload > TABLE_MAX_RECORD)
		return ROWFS_CORRUPT;
	pos += (uint32_t)used;
	local = table_local_size(payload);
	if (local > PAGE_SIZE - pos)
		return ROWFS_CORRUPT;
	out->key = (int64_t)key;
	out->payload = payload;
	out->local = page + pos;
	out->local_len = local;
	out->overflow = 0;
	out->offset = off;
	pos += local;
	if (payload > local) {
		if (PAGE_SIZE - pos < 4u)
			return ROWFS_CORRUPT;
		out->overflow = get_u32(page + pos);
		if (out->overflow == 0)
			return ROWFS_CORRUPT;
		pos += 4u;
	}
	out->size = pos - off;
	return ROWFS_OK;
}

/*
 * table_internal_key - key i (i < key count) of an internal page.
 * ROWFS_OK or ROWFS_CORRUPT (i out of range, count past the page).
 */
static inline int table_internal_key(const uint8_t *page, unsigned i, int64_t *key)
{
	unsigned k = table_page_count(page);

	if (i >= k || k > TABLE_INTERNAL_MAX_KEYS)
		return ROWFS_CORRUPT;
	*key = (int64_t)get_u64(page + TABLE_INTERNAL_HEADER_SIZE +
				i * TABLE_INTERNAL_CELL_SIZE + 4u);
	return ROWFS_OK;
}

/*
 * table_internal_child - child i of an internal page: i < k the child of
 * cell i, i == k the right child.  ROWFS_OK or ROWFS_CORRUPT (out of
 * range, or the page number is 0).
 */
static inline int table_internal_child(const uint8_t *page, unsigned i, uint32_t *child)
{
	unsigned k = table_page_count(page);

	if (i > k || k > TABLE_INTERNAL_MAX_KEYS)
		return ROWFS_CORRUPT;
	*child = i == k ? table_internal_right(page)
			: get_u32(page + TABLE_INTERNAL_HEADER_SIZE + i * TABLE_INTERNAL_CELL_SIZE);
	return *child ? ROWFS_OK : ROWFS_CORRUPT;
}

/*
 * table_overflow_decode - an overflow page: its next page (0 ends the
 * chain) and its payload bytes.  ROWFS_CORRUPT unless the type is
 * NODE_OVERFLOW, bytes 1..3 are zero and the length is
 * 1..TABLE_OVERFLOW_CAPACITY.
 */
static inline int table_overflow_decode(const uint8_t *page, uint32_t *next,
					const uint8_t **data, uint32_t *len)
{
	uint32_t n = get_u32(page + TABLE_OVERFLOW_LEN_OFFSET);

	if (page[0] != NODE_OVERFLOW || page[1] || page[2] || page[3] || n == 0 ||
	    n > TABLE_OVERFLOW_CAPACITY)
		return ROWFS_CORRUPT;
	*next = get_u32(page + TABLE_OVERFLOW_NEXT_OFFSET);
	*data = page + TABLE_OVERFLOW_HEADER_SIZE;
	*len = n;
	return ROWFS_OK;
}

/*
 * table_verify_page - check one page's own validity rule (table.h), the
 * page being pgno: a leaf's header, every cell decodes inside the content
 * area, cells do not overlap, cell bytes + fragmented bytes fill the
 * content area exactly, keys strictly increase, the next pointer is not
 * the page itself; an internal page has 1..TABLE_INTERNAL_MAX_KEYS
 * strictly increasing keys and children that are neither 0 nor itself;
 * the row count is 0 unless the page is a root; unknown flag bits are 0;
 * an overflow page decodes and does not point at itself.  What links
 * pages together (separators, depth, chains, counts) is the caller's.
 * Returns ROWFS_OK, or ROWFS_CORRUPT with the reason in why[0..n) (e.g.
 * "table leaf page 7: keys out of order at cell 3").
 */
int table_verify_page(const uint8_t *page, uint32_t pgno, char *why, size_t n);

#endif /* ROWFS_ENGINE_TABLE_INT_H */
