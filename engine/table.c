/*
 * table.c - the B-tree of version-2 tables: search, insert (splits, shifts
 * to siblings, a root that deepens in place), delete (unlinking, merging
 * internal pages, collapsing the root), overflow chains, cursors, drop,
 * rendering, and the validity rule of one page.
 *
 * The page formats and the rules of splits and deletes are table.h's
 * essay; every read of a field or cell goes through table_int.h's
 * decoders, which bounds-check against the page.  Invariants kept (and
 * checked by check.c):
 *  1. Keys strictly increase within a page; every key under child i of an
 *     internal page is <= key i and > key i-1; keys above the last key are
 *     under the right child.
 *  2. All leaves are at the same depth and chained left to right by their
 *     next pointers, the last one 0.
 *  3. The root has the root flag and the row count; no other page has.
 *  4. Non-root leaves hold >= 1 cell; internal pages hold >= 1 key.
 *  5. Every page of the table is reachable once from its root (overflow
 *     chains from their cells); freed pages go to the pager's free list.
 *
 * Writers (struct writer) descend from the root keeping every page of the
 * path referenced (struct path), so splits and deletes walk back up it
 * without parent pointers; pages are pager_write()n before they change.
 * Nothing is allocated on the heap: cells and the cells of pages being
 * redistributed live on the stack.  Readers (cursors, table_get) release
 * internal pages on the way down.  A page that breaks the format is
 * ROWFS_CORRUPT naming it ("database corrupt: table page 7: ..."), and a
 * cursor checks that keys keep increasing across next pointers so a
 * damaged chain cannot loop.  After an error other than ROWFS_DUPLICATE or
 * ROWFS_NOTFOUND (which change nothing) the caller rolls back.
 */
#include <config.h>
#include "table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "table_int.h"

/* ---- validity of one page --------------------------------------------------- */

/* Format a reason into why and return ROWFS_CORRUPT. */
static int why_set(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why_set(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (why && n) {
		va_start(ap, fmt);
		vsnprintf(why, n, fmt, ap);
		va_end(ap);
	}
	return ROWFS_CORRUPT;
}

/* The leaf part of table_verify_page: cells decode, increase, do not overlap and fill the content area. */
static int verify_leaf(const uint8_t *page, uint32_t pgno, char *why, size_t wn)
{
	uint8_t used[PAGE_SIZE / 8];
	uint32_t n = table_page_count(page), start, bytes = 0, i, b;
	int64_t prev = 0;

	if (!table_leaf_header_ok(page))
		return why_set(why, wn, "table leaf page %u: bad header (%u cells, content at %u)",
			       pgno, n, table_leaf_content_start(page));
	start = table_leaf_content_start(page);
	if (n == 0 && !table_page_is_root(page))
		return why_set(why, wn, "table leaf page %u: no cells and not the root", pgno);
	if (table_leaf_next(page) == pgno)
		return why_set(why, wn, "table leaf page %u: next leaf is itself", pgno);
	memset(used, 0, sizeof(used));
	for (i = 0; i < n; i++) {
		struct table_cell c;

		if (table_leaf_cell(page, i, &c))
			return why_set(why, wn, "table leaf page %u: cell %u does not decode", pgno, i);
		if (i > 0 && c.key <= prev)
			return why_set(why, wn, "table leaf page %u: keys out of order at cell %u",
				       pgno, i);
		prev = c.key;
		for (b = c.offset; b < c.offset + c.size; b++) {
			if (used[b / 8] & (1u << (b % 8)))
				return why_set(why, wn, "table leaf page %u: cell %u overlaps another",
					       pgno, i);
			used[b / 8] |= (uint8_t)(1u << (b % 8));
		}
		bytes += c.size;
	}
	if (bytes + table_leaf_frag(page) != PAGE_SIZE - start)
		return why_set(why, wn,
			       "table leaf page %u: %u cell bytes + %u free bytes do not fill the %u bytes of content",
			       pgno, bytes, table_leaf_frag(page), PAGE_SIZE - start);
	return ROWFS_OK;
}

/* The internal part of table_verify_page: 1..max increasing keys, children neither 0 nor itself. */
static int verify_internal(const uint8_t *page, uint32_t pgno, char *why, size_t wn)
{
	uint32_t k = table_page_count(page), i;
	int64_t prev = 0;

	if (k == 0 || k > TABLE_INTERNAL_MAX_KEYS)
		return why_set(why, wn, "table internal page %u: %u keys", pgno, k);
	for (i = 0; i <= k; i++) {
		uint32_t child;
		int64_t key = 0;

		if (table_internal_child(page, i, &child) || child == pgno)
			return why_set(why, wn, "table internal page %u: bad child %u", pgno, i);
		if (i == k)
			break;
		table_internal_key(page, i, &key);
		if (i > 0 && key <= prev)
			return why_set(why, wn, "table internal page %u: keys out of order at key %u",
				       pgno, i);
		prev = key;
	}
	return ROWFS_OK;
}

int table_verify_page(const uint8_t *page, uint32_t pgno, char *why, size_t n)
{
	unsigned type = table_page_type(page);

	if (why && n)
		why[0] = '\0';
	if (type == NODE_OVERFLOW) {
		const uint8_t *data;
		uint32_t next, len;

		if (table_overflow_decode(page, &next, &data, &len))
			return why_set(why, n, "overflow page %u: bad header", pgno);
		if (next == pgno)
			return why_set(why, n, "overflow page %u: next page is itself", pgno);
		return ROWFS_OK;
	}
	if (type != NODE_TABLE_LEAF && type != NODE_TABLE_INTERNAL)
		return why_set(why, n, "page %u: type %u is not a table page", pgno, type);
	if (page[TABLE_FLAGS_OFFSET] & ~TABLE_FLAG_ROOT)
		return why_set(why, n, "table page %u: unknown flags 0x%02x", pgno,
			       page[TABLE_FLAGS_OFFSET]);
	if (!table_page_is_root(page) && table_page_rows(page) != 0)
		return why_set(why, n, "table page %u: row count on a page that is not a root", pgno);
	if (type == NODE_TABLE_LEAF)
		return verify_leaf(page, pgno, why, n);
	return verify_internal(page, pgno, why, n);
}

/* ---- errors ------------------------------------------------------------------ */

/* ROWFS_NOMEM with its message. */
static int nomem(struct rowfs_err *err)
{
	return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
}

/* A page that breaks the format: ROWFS_CORRUPT naming it. */
static int corrupt(struct rowfs_err *err, uint32_t pgno, const char *what)
{
	return rowfs_err_set(err, ROWFS_CORRUPT, 0, "database corrupt: table page %u: %s", pgno,
			     what);
}

/* A descent passed TABLE_MAX_DEPTH levels (a loop in a damaged file). */
static int too_deep(struct rowfs_err *err, uint32_t pgno)
{
	return rowfs_err_set(err, ROWFS_CORRUPT, 0, "database corrupt: tree deeper than %u at page %u",
			     TABLE_MAX_DEPTH, pgno);
}

/* ---- pages ------------------------------------------------------------------- */

/*
 * Get page pgno (cold: pager_get_cold, for one-pass readers) and check it
 * is a table leaf or internal page whose header the decoders can trust,
 * with the root flag set exactly when is_root.
 */
static int load_page(struct pager *pager, uint32_t pgno, int cold, int is_root,
		     struct page **out, struct rowfs_err *err)
{
	const uint8_t *node;
	int rc = cold ? pager_get_cold(pager, pgno, out, err) : pager_get(pager, pgno, out, err);
	const char *what = NULL;

	if (rc)
		return rc;
	node = page_data(*out);
	if (table_page_type(node) == NODE_TABLE_LEAF) {
		if (!table_leaf_header_ok(node))
			what = "bad leaf header";
	} else if (table_page_type(node) == NODE_TABLE_INTERNAL) {
		if (!table_internal_header_ok(node))
			what = "bad internal header";
	} else {
		what = "not a table page";
	}
	if (!what && table_page_is_root(node) != (is_root != 0))
		what = is_root ? "the root is not marked root" : "a child is marked root";
	if (what) {
		pager_unref(*out);
		*out = NULL;
		return corrupt(err, pgno, what);
	}
	return ROWFS_OK;
}

/* Set the row count of the root page (leaf or internal). */
static void set_rows(uint8_t *node, uint64_t rows)
{
	put_u64(node + table_rows_offset(node), rows);
}

/* Make node an empty leaf (root or not). */
static void leaf_init(uint8_t *node, int is_root)
{
	memset(node, 0, PAGE_SIZE);
	node[TABLE_TYPE_OFFSET] = NODE_TABLE_LEAF;
	node[TABLE_FLAGS_OFFSET] = is_root ? TABLE_FLAG_ROOT : 0;
	put_u16(node + TABLE_LEAF_CONTENT_OFFSET, (uint16_t)PAGE_SIZE);
}

/* Lowest cell index with key >= key (*found: it is key); ROWFS_CORRUPT if a probe fails. */
static int leaf_search(const uint8_t *node, int64_t key, unsigned *pos, int *found)
{
	unsigned lo = 0, hi = table_page_count(node);

	*found = 0;
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		int64_t k;

		if (table_leaf_key(node, mid, &k))
			return ROWFS_CORRUPT;
		if (k == key) {
			*found = 1;
			lo = mid;
			break;
		}
		if (k > key)
			hi = mid;
		else
			lo = mid + 1;
	}
	*pos = lo;
	return ROWFS_OK;
}

/* Lowest child index i with key <= key i (the key count, the right child, if none). */
static int internal_search(const uint8_t *node, int64_t key, unsigned *ci)
{
	unsigned lo = 0, hi = table_page_count(node);

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		int64_t k;

		if (table_internal_key(node, mid, &k))
			return ROWFS_CORRUPT;
		if (k >= key)
			hi = mid;
		else
			lo = mid + 1;
	}
	*ci = lo;
	return ROWFS_OK;
}

/* ---- leaf cells ---------------------------------------------------------------- */

/* Bytes a new cell and its pointer may take: the gap plus the fragments. */
static uint32_t leaf_free_space(const uint8_t *node)
{
	return table_leaf_content_start(node) -
	       (TABLE_LEAF_HEADER_SIZE + 2u * table_page_count(node)) + table_leaf_frag(node);
}

/* The contiguous gap between the pointer array and the content start. */
static uint32_t leaf_gap(const uint8_t *node)
{
	return table_leaf_content_start(node) - (TABLE_LEAF_HEADER_SIZE + 2u * table_page_count(node));
}

/*
 * Fill a leaf with the m cells cp[i] (sz[i] bytes each), packed at the end
 * of the page in order; keeps the type, flags, next pointer and row count.
 * The cells must not point into node.
 */
static void leaf_fill(uint8_t *node, const uint8_t *const *cp, const uint16_t *sz, unsigned m)
{
	uint32_t content = PAGE_SIZE, i;

	for (i = 0; i < m; i++) {
		content -= sz[i];
		memcpy(node + content, cp[i], sz[i]);
		put_u16(node + TABLE_LEAF_HEADER_SIZE + 2u * i, (uint16_t)content);
	}
	memset(node + TABLE_LEAF_HEADER_SIZE + 2u * m, 0,
	       content - (TABLE_LEAF_HEADER_SIZE + 2u * m));
	put_u16(node + TABLE_COUNT_OFFSET, (uint16_t)m);
	put_u16(node + TABLE_LEAF_CONTENT_OFFSET, (uint16_t)content);
	put_u16(node + TABLE_LEAF_FRAG_OFFSET, 0);
}

/* Repack a leaf's cells at the end of the page: the fragments join the gap. */
static int leaf_defragment(uint8_t *node, uint32_t pgno, struct rowfs_err *err)
{
	const uint8_t *cp[TABLE_LEAF_MAX_CELLS];
	uint16_t sz[TABLE_LEAF_MAX_CELLS];
	uint8_t tmp[PAGE_SIZE];
	unsigned n = table_page_count(node), i;
	uint32_t bytes = 0;

	memcpy(tmp, node, PAGE_SIZE);
	for (i = 0; i < n; i++) {
		struct table_cell c;

		if (table_leaf_cell(tmp, i, &c))
			return corrupt(err, pgno, "a cell does not decode");
		cp[i] = tmp + c.offset;
		sz[i] = (uint16_t)c.size;
		bytes += c.size;
	}
	if (bytes > TABLE_LEAF_USABLE - 2u * n)
		return corrupt(err, pgno, "cells overlap");
	leaf_fill(node, cp, sz, n);
	return ROWFS_OK;
}

/* Insert the cell (size bytes) at pos of a leaf that has room for it and its pointer. */
static int leaf_insert_cell(uint8_t *node, uint32_t pgno, unsigned pos, const uint8_t *cell,
			    uint32_t size, struct rowfs_err *err)
{
	unsigned n = table_page_count(node);
	uint32_t content;
	uint8_t *ptrs = node + TABLE_LEAF_HEADER_SIZE;

	if (leaf_gap(node) < size + 2u) {
		int rc = leaf_defragment(node, pgno, err);

		if (rc)
			return rc;
	}
	content = table_leaf_content_start(node) - size;
	memcpy(node + content, cell, size);
	memmove(ptrs + 2u * (pos + 1), ptrs + 2u * pos, 2u * (n - pos));
	put_u16(ptrs + 2u * pos, (uint16_t)content);
	put_u16(node + TABLE_COUNT_OFFSET, (uint16_t)(n + 1));
	put_u16(node + TABLE_LEAF_CONTENT_OFFSET, (uint16_t)content);
	return ROWFS_OK;
}

/* Remove the decoded cell c at pos of a leaf; its bytes become free. */
static void leaf_remove_cell(uint8_t *node, unsigned pos, const struct table_cell *c)
{
	unsigned n = table_page_count(node);
	uint8_t *ptrs = node + TABLE_LEAF_HEADER_SIZE;
	uint32_t start = table_leaf_content_start(node);

	memmove(ptrs + 2u * pos, ptrs + 2u * (pos + 1), 2u * (n - 1 - pos));
	put_u16(ptrs + 2u * (n - 1), 0);
	put_u16(node + TABLE_COUNT_OFFSET, (uint16_t)(n - 1));
	if (n == 1) {
		memset(node + TABLE_LEAF_HEADER_SIZE, 0, PAGE_SIZE - TABLE_LEAF_HEADER_SIZE);
		put_u16(node + TABLE_LEAF_CONTENT_OFFSET, (uint16_t)PAGE_SIZE);
		put_u16(node + TABLE_LEAF_FRAG_OFFSET, 0);
	} else if (c->offset == start) {
		put_u16(node + TABLE_LEAF_CONTENT_OFFSET, (uint16_t)(start + c->size));
	} else {
		put_u16(node + TABLE_LEAF_FRAG_OFFSET, (uint16_t)(table_leaf_frag(node) + c->size));
	}
}

/* Encode the cell of (key, rec[0..len)) whose overflow chain starts at ovfl; returns its size. */
static uint32_t cell_encode(uint8_t *buf, int64_t key, const uint8_t *rec, size_t len,
			    uint32_t ovfl)
{
	uint32_t local = table_local_size(len);
	size_t n = put_varint(buf, (uint64_t)key);

	n += put_varint(buf + n, len);
	if (local)
		memcpy(buf + n, rec, local);
	n += local;
	if (local < len) {
		put_u32(buf + n, ovfl);
		n += 4;
	}
	return (uint32_t)n;
}

/* ---- overflow chains ------------------------------------------------------------ */

/* Write rec[from..len) into a new chain of overflow pages; *first gets its first page. */
static int overflow_write(struct pager *pager, const uint8_t *rec, size_t from, size_t len,
			  uint32_t *first, struct rowfs_err *err)
{
	struct page *prev = NULL, *page;
	int rc = ROWFS_OK;

	*first = 0;
	while (from < len) {
		size_t chunk = len - from < TABLE_OVERFLOW_CAPACITY ? len - from
								    : TABLE_OVERFLOW_CAPACITY;
		uint8_t *d;

		rc = pager_allocate(pager, &page, err);
		if (rc)
			break;
		d = page_data(page);
		d[TABLE_TYPE_OFFSET] = NODE_OVERFLOW;
		put_u32(d + TABLE_OVERFLOW_LEN_OFFSET, (uint32_t)chunk);
		memcpy(d + TABLE_OVERFLOW_HEADER_SIZE, rec + from, chunk);
		if (prev)
			put_u32(page_data(prev) + TABLE_OVERFLOW_NEXT_OFFSET, page_pgno(page));
		else
			*first = page_pgno(page);
		pager_unref(prev);
		prev = page;
		from += chunk;
	}
	pager_unref(prev);
	return rc;
}

/*
 * Walk the overflow chain of cell c (of leaf page pgno): each page is
 * checked (type, length: full pages but the last, which ends the record
 * exactly) and handed to fn, which consumes the reference.
 */
typedef int (*overflow_fn)(void *ctx, struct page *page, const uint8_t *data, uint32_t len,
			   struct rowfs_err *err);

static int overflow_walk(struct pager *pager, const struct table_cell *c, uint32_t pgno, int cold,
			 overflow_fn fn, void *ctx, struct rowfs_err *err)
{
	uint64_t left = c->payload - c->local_len;
	uint32_t next = c->overflow;

	while (left > 0) {
		struct page *page;
		const uint8_t *data;
		uint32_t len, at = next;
		int rc;

		if (next == 0)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "database corrupt: table page %u: overflow chain of key %lld ends early",
					     pgno, (long long)c->key);
		rc = cold ? pager_get_cold(pager, next, &page, err) : pager_get(pager, next, &page, err);
		if (rc)
			return rc;
		if (table_overflow_decode(page_data(page), &next, &data, &len) ||
		    len != (left < TABLE_OVERFLOW_CAPACITY ? left : TABLE_OVERFLOW_CAPACITY) ||
		    (len == left && next != 0)) {
			pager_unref(page);
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "database corrupt: page %u in the overflow chain of key %lld (table page %u) is not a valid overflow page",
					     at, (long long)c->key, pgno);
		}
		left -= len;
		rc = fn(ctx, page, data, len, err);
		if (rc)
			return rc;
	}
	return ROWFS_OK;
}

struct free_ctx {
	struct pager *pager;     /* where the pages go back */
};

/* overflow_fn: free the page. */
static int free_one(void *ctx, struct page *page, const uint8_t *data, uint32_t len,
		    struct rowfs_err *err)
{
	(void)data;
	(void)len;
	return pager_free(((struct free_ctx *)ctx)->pager, page, err);
}

/* Free the overflow chain of cell c (of leaf page pgno). */
static int overflow_free(struct pager *pager, const struct table_cell *c, uint32_t pgno,
			 struct rowfs_err *err)
{
	struct free_ctx ctx = { pager };

	if (!c->overflow)
		return ROWFS_OK;
	return overflow_walk(pager, c, pgno, 0, free_one, &ctx, err);
}

/* overflow_fn: append the page's bytes to the struct sbuf ctx. */
static int append_one(void *ctx, struct page *page, const uint8_t *data, uint32_t len,
		      struct rowfs_err *err)
{
	int rc = sbuf_append(ctx, data, len) ? nomem(err) : ROWFS_OK;

	pager_unref(page);
	return rc;
}

/* The whole record of cell c (of leaf page pgno) into out (replacing its contents). */
static int record_read(struct pager *pager, const struct table_cell *c, uint32_t pgno, int cold,
		       struct sbuf *out, struct rowfs_err *err)
{
	out->len = 0;
	if (sbuf_reserve(out, c->payload) || sbuf_append(out, c->local, c->local_len))
		return nomem(err);
	if (!c->overflow)
		return ROWFS_OK;
	return overflow_walk(pager, c, pgno, cold, append_one, out, err);
}

/* ---- descent ------------------------------------------------------------------- */

/* A writer's path: every page from the root to the leaf, referenced. */
struct path {
	struct page *page[TABLE_MAX_DEPTH];  /* level 0 is the root; NULL once freed */
	unsigned index[TABLE_MAX_DEPTH];     /* child index taken, or the cell position in the leaf */
	unsigned depth;                      /* levels; page[depth - 1] is the leaf */
	int found;                           /* the leaf holds the key sought */
};

/* One change in progress. */
struct writer {
	struct pager *pager;     /* the database */
	uint32_t root;           /* the table */
	struct rowfs_err *err;   /* where errors go */
	struct path path;        /* root .. leaf of the key */
};

/* Drop every page reference of the path. */
static void path_release(struct path *p)
{
	while (p->depth > 0) {
		p->depth--;
		pager_unref(p->page[p->depth]);
		p->page[p->depth] = NULL;
	}
}

/* Descend from root to the leaf of key, keeping every page referenced. */
static int descend(struct pager *pager, uint32_t root, int64_t key, struct path *p,
		   struct rowfs_err *err)
{
	uint32_t pgno = root;
	int rc;

	p->depth = 0;
	p->found = 0;
	for (;;) {
		struct page *page;
		const uint8_t *node;
		unsigned i;

		if (p->depth >= TABLE_MAX_DEPTH) {
			rc = too_deep(err, pgno);
			goto fail;
		}
		rc = load_page(pager, pgno, 0, p->depth == 0, &page, err);
		if (rc)
			goto fail;
		p->page[p->depth++] = page;
		node = page_data(page);
		if (table_page_type(node) == NODE_TABLE_LEAF) {
			if (leaf_search(node, key, &i, &p->found)) {
				rc = corrupt(err, pgno, "a cell does not decode");
				goto fail;
			}
			p->index[p->depth - 1] = i;
			return ROWFS_OK;
		}
		if (internal_search(node, key, &i) || table_internal_child(node, i, &pgno)) {
			rc = corrupt(err, page_pgno(page), "bad internal cell");
			goto fail;
		}
		p->index[p->depth - 1] = i;
	}
fail:
	path_release(p);
	return rc;
}

/* The leaf of a descended path and its cell under index. */
static int path_cell(struct path *p, struct table_cell *c, struct rowfs_err *err)
{
	struct page *leaf = p->page[p->depth - 1];

	if (table_leaf_cell(page_data(leaf), p->index[p->depth - 1], c))
		return corrupt(err, page_pgno(leaf), "a cell does not decode");
	return ROWFS_OK;
}

/* Add delta to the row count in the root header. */
static int add_rows(struct writer *w, int delta)
{
	struct page *root = w->path.page[0];
	uint8_t *node = page_data(root);
	int rc = pager_write(root, w->err);

	if (rc == ROWFS_OK)
		set_rows(node, table_page_rows(node) + (uint64_t)(int64_t)delta);
	return rc;
}

/* ---- insert --------------------------------------------------------------------- */

/*
 * The root (level 0) is full and must split: its contents move to a new
 * child, and the root becomes an internal page with no key whose right
 * child is that page.  The path grows by one level below the root.
 */
static int deepen(struct writer *w)
{
	struct path *p = &w->path;
	struct page *child;
	uint8_t *root = page_data(p->page[0]), *c;
	uint64_t rows = table_page_rows(root);
	int rc;

	if (p->depth >= TABLE_MAX_DEPTH)
		return too_deep(w->err, w->root);
	rc = pager_write(p->page[0], w->err);
	if (rc == ROWFS_OK)
		rc = pager_allocate(w->pager, &child, w->err);
	if (rc)
		return rc;
	c = page_data(child);
	memcpy(c, root, PAGE_SIZE);
	c[TABLE_FLAGS_OFFSET] &= (uint8_t)~TABLE_FLAG_ROOT;
	set_rows(c, 0);
	memset(root, 0, PAGE_SIZE);
	root[TABLE_TYPE_OFFSET] = NODE_TABLE_INTERNAL;
	root[TABLE_FLAGS_OFFSET] = TABLE_FLAG_ROOT;
	put_u32(root + TABLE_INTERNAL_RIGHT_OFFSET, page_pgno(child));
	set_rows(root, rows);
	memmove(p->page + 2, p->page + 1, (p->depth - 1) * sizeof(p->page[0]));
	memmove(p->index + 1, p->index, p->depth * sizeof(p->index[0]));
	p->page[1] = child;
	p->index[0] = 0;
	p->depth++;
	return ROWFS_OK;
}

/* Cell i of an internal page (i < key count). */
static uint8_t *icell(uint8_t *node, unsigned i)
{
	return node + TABLE_INTERNAL_HEADER_SIZE + i * TABLE_INTERNAL_CELL_SIZE;
}

/* Set child i of an internal page (i == key count: the right child). */
static void set_child(uint8_t *node, unsigned i, uint32_t child)
{
	if (i == table_page_count(node))
		put_u32(node + TABLE_INTERNAL_RIGHT_OFFSET, child);
	else
		put_u32(icell(node, i), child);
}

/* Child i of an internal page whose header was checked (i <= key count). */
static uint32_t child_at(const uint8_t *node, unsigned i)
{
	uint32_t child = 0;

	table_internal_child(node, i, &child);
	return child;
}

/* Key i of an internal page whose header was checked (i < key count). */
static int64_t key_at(const uint8_t *node, unsigned i)
{
	int64_t key = 0;

	table_internal_key(node, i, &key);
	return key;
}

/* Store cell i (child, key) of an internal page. */
static void put_icell(uint8_t *node, unsigned i, uint32_t child, int64_t key)
{
	put_u32(icell(node, i), child);
	put_u64(icell(node, i) + 4u, (uint64_t)key);
}

/* Set key i of an internal page. */
static void set_key(uint8_t *node, unsigned i, int64_t key)
{
	put_u64(icell(node, i) + 4u, (uint64_t)key);
}

/* Insert (sep, right) after child ci of an internal page with room: child ci keeps keys <= sep. */
static void internal_insert(uint8_t *node, unsigned ci, int64_t sep, uint32_t right)
{
	unsigned k = table_page_count(node);
	uint32_t left = child_at(node, ci);

	memmove(icell(node, ci + 1), icell(node, ci), (k - ci) * TABLE_INTERNAL_CELL_SIZE);
	put_icell(node, ci, left, sep);
	put_u16(node + TABLE_COUNT_OFFSET, (uint16_t)(k + 1));
	set_child(node, ci + 1, right);
}

static int parent_insert(struct writer *w, unsigned lv, int64_t sep, uint32_t right, int append);

/*
 * Split the full internal page at level lv (not the root) while inserting
 * (sep, right) after its child index[lv]; the middle key goes up.  An
 * append (the split of the rightmost leaf past its last key) leaves the
 * left page full but one key and one key on the right.
 */
static int internal_split(struct writer *w, unsigned lv, int64_t sep, uint32_t right, int append)
{
	int64_t keys[TABLE_INTERNAL_MAX_KEYS + 1];
	uint32_t kids[TABLE_INTERNAL_MAX_KEYS + 2];
	struct page *page = w->path.page[lv], *fresh;
	uint8_t *node = page_data(page), *f;
	unsigned k = table_page_count(node), ci = w->path.index[lv], total = k + 1, m, j;
	int rc;

	for (j = 0; j < ci; j++) {
		keys[j] = key_at(node, j);
		kids[j] = child_at(node, j);
	}
	keys[ci] = sep;
	kids[ci] = child_at(node, ci);
	kids[ci + 1] = right;
	for (j = ci; j < k; j++) {
		keys[j + 1] = key_at(node, j);
		kids[j + 2] = child_at(node, j + 1);
	}
	m = append && ci == k ? total - 2 : total / 2;
	rc = pager_allocate(w->pager, &fresh, w->err);
	if (rc)
		return rc;
	f = page_data(fresh);
	f[TABLE_TYPE_OFFSET] = NODE_TABLE_INTERNAL;
	for (j = m + 1; j < total; j++)
		put_icell(f, j - m - 1, kids[j], keys[j]);
	put_u16(f + TABLE_COUNT_OFFSET, (uint16_t)(total - 1 - m));
	put_u32(f + TABLE_INTERNAL_RIGHT_OFFSET, kids[total]);
	for (j = 0; j < m; j++)
		put_icell(node, j, kids[j], keys[j]);
	memset(icell(node, m), 0, (k - m) * TABLE_INTERNAL_CELL_SIZE);
	put_u16(node + TABLE_COUNT_OFFSET, (uint16_t)m);
	put_u32(node + TABLE_INTERNAL_RIGHT_OFFSET, kids[m]);
	rc = parent_insert(w, lv - 1, keys[m], page_pgno(fresh), append);
	pager_unref(fresh);
	return rc;
}

/*
 * The child index[lv] of the internal page at level lv split around sep
 * into itself and the new page right: record that in the page, splitting
 * it when full (a full root deepens first).
 */
static int parent_insert(struct writer *w, unsigned lv, int64_t sep, uint32_t right, int append)
{
	struct page *page = w->path.page[lv];
	int rc = pager_write(page, w->err);

	if (rc)
		return rc;
	if (table_page_count(page_data(page)) < TABLE_INTERNAL_MAX_KEYS) {
		internal_insert(page_data(page), w->path.index[lv], sep, right);
		return ROWFS_OK;
	}
	if (lv == 0) {
		rc = deepen(w);
		if (rc)
			return rc;
		lv = 1;
		rc = pager_write(w->path.page[1], w->err);
		if (rc)
			return rc;
	}
	return internal_split(w, lv, sep, right, append);
}

/* The cells of one or two leaves and a new cell, in key order, while they are redistributed. */
struct cellset {
	const uint8_t *cp[2 * TABLE_LEAF_MAX_CELLS + 1];  /* the cells' bytes (page copies, the new cell) */
	uint16_t sz[2 * TABLE_LEAF_MAX_CELLS + 1];         /* their sizes */
	unsigned n;                                        /* cells */
	uint32_t total;                                    /* their bytes and pointers */
};

/* Append one cell to the set. */
static void cellset_add(struct cellset *s, const uint8_t *cell, uint32_t size)
{
	s->cp[s->n] = cell;
	s->sz[s->n++] = (uint16_t)size;
	s->total += size + 2u;
}

/* Add cells [from, to) of copy, a copy of leaf page pgno. */
static int cellset_add_page(struct cellset *s, const uint8_t *copy, unsigned from, unsigned to,
			    uint32_t pgno, struct rowfs_err *err)
{
	unsigned i;

	for (i = from; i < to; i++) {
		struct table_cell c;

		if (table_leaf_cell(copy, i, &c))
			return corrupt(err, pgno, "a cell does not decode");
		cellset_add(s, copy + c.offset, c.size);
	}
	return ROWFS_OK;
}

/*
 * Cells for the left page when the set is divided into two pages that
 * both fit, by bytes as evenly as can be: 1 .. n-1, or 0 if impossible.
 */
static unsigned cellset_divide(const struct cellset *s)
{
	uint32_t left = 0, diff = UINT32_MAX;
	unsigned k, best = 0;

	for (k = 1; k < s->n; k++) {
		left += s->sz[k - 1] + 2u;
		if (left <= TABLE_LEAF_USABLE && s->total - left <= TABLE_LEAF_USABLE) {
			uint32_t d = left > s->total - left ? 2 * left - s->total : s->total - 2 * left;

			if (d < diff) {
				diff = d;
				best = k;
			}
		}
	}
	return best;
}

/* Fill the leaves left and right (page numbers for errors) from the set; *sep: left's last key. */
static int cellset_fill(const struct cellset *s, unsigned k, uint8_t *left, uint8_t *right,
			uint32_t pgno, int64_t *sep, struct rowfs_err *err)
{
	leaf_fill(left, s->cp, s->sz, k);
	leaf_fill(right, s->cp + k, s->sz + k, s->n - k);
	if (table_leaf_key(left, k - 1, sep))
		return corrupt(err, pgno, "a cell does not decode");
	return ROWFS_OK;
}

/* Least free bytes a sibling must have to take cells from a full leaf (see the essay). */
#define SHIFT_MIN_FREE (TABLE_LEAF_USABLE / 16u)

/*
 * Before a full leaf (level lv, not the root) splits: if its left or
 * right sibling under the same parent has SHIFT_MIN_FREE bytes free, the
 * cells of both and the new one are divided evenly between the two, the
 * separator between them moves, and *done is set.
 */
static int leaf_shift(struct writer *w, unsigned lv, const uint8_t *cell, uint32_t size,
		      int *done)
{
	struct cellset set;
	uint8_t mine[PAGE_SIZE], theirs[PAGE_SIZE];
	struct page *page = w->path.page[lv], *pp = w->path.page[lv - 1], *sp;
	uint8_t *node = page_data(page), *par = page_data(pp), *sib;
	unsigned ci = w->path.index[lv - 1], k = table_page_count(par), side, pos = w->path.index[lv];
	int64_t sep;
	int rc;

	*done = 0;
	for (side = 0; side < 2; side++) {
		int left = side == 0;

		if (left ? ci == 0 : ci >= k)
			continue;
		rc = load_page(w->pager, child_at(par, left ? ci - 1 : ci + 1), 0, 0, &sp, w->err);
		if (rc)
			return rc;
		sib = page_data(sp);
		if (table_page_type(sib) != NODE_TABLE_LEAF) {
			rc = corrupt(w->err, page_pgno(sp), "leaves at different depths");
			pager_unref(sp);
			return rc;
		}
		if (leaf_free_space(sib) >= SHIFT_MIN_FREE)
			break;
		pager_unref(sp);
	}
	if (side == 2)
		return ROWFS_OK;
	if ((rc = pager_write(sp, w->err)) || (rc = pager_write(pp, w->err)))
		goto out_unref;
	memcpy(mine, node, PAGE_SIZE);
	memcpy(theirs, sib, PAGE_SIZE);
	set.n = 0;
	set.total = 0;
	if (side == 0)
		rc = cellset_add_page(&set, theirs, 0, table_page_count(theirs), page_pgno(sp), w->err);
	if (rc == ROWFS_OK)
		rc = cellset_add_page(&set, mine, 0, pos, page_pgno(page), w->err);
	if (rc == ROWFS_OK) {
		cellset_add(&set, cell, size);
		rc = cellset_add_page(&set, mine, pos, table_page_count(mine), page_pgno(page), w->err);
	}
	if (rc == ROWFS_OK && side == 1)
		rc = cellset_add_page(&set, theirs, 0, table_page_count(theirs), page_pgno(sp), w->err);
	if (rc)
		goto out_unref;
	k = cellset_divide(&set);
	if (k == 0)
		goto out_unref;   /* cannot happen: the sibling had room; split instead */
	if (side == 0)
		rc = cellset_fill(&set, k, sib, node, page_pgno(sp), &sep, w->err);
	else
		rc = cellset_fill(&set, k, node, sib, page_pgno(page), &sep, w->err);
	if (rc == ROWFS_OK) {
		set_key(par, side == 0 ? ci - 1 : ci, sep);
		*done = 1;
	}
out_unref:
	pager_unref(sp);
	return rc;
}

/*
 * Insert the cell (size bytes) at index[lv] of the full leaf at level lv
 * (not the root) by splitting it: past the last key of the rightmost leaf
 * the new cell starts a new page and the left one stays full; elsewhere
 * the cells are divided by bytes, half and half.
 */
static int leaf_split(struct writer *w, unsigned lv, const uint8_t *cell, uint32_t size)
{
	struct cellset set;
	uint8_t tmp[PAGE_SIZE];
	struct page *page = w->path.page[lv], *fresh;
	uint8_t *node = page_data(page), *f;
	unsigned n = table_page_count(node), pos = w->path.index[lv], k;
	int append = pos == n && table_leaf_next(node) == 0;
	int64_t sep;
	int rc;

	if (n == 0 || table_leaf_key(node, n - 1, &sep))
		return corrupt(w->err, page_pgno(page), "a full leaf does not decode");
	rc = pager_allocate(w->pager, &fresh, w->err);
	if (rc)
		return rc;
	f = page_data(fresh);
	leaf_init(f, 0);
	if (append) {
		rc = leaf_insert_cell(f, page_pgno(fresh), 0, cell, size, w->err);
	} else {
		memcpy(tmp, node, PAGE_SIZE);
		set.n = 0;
		set.total = 0;
		rc = cellset_add_page(&set, tmp, 0, pos, page_pgno(page), w->err);
		if (rc == ROWFS_OK) {
			cellset_add(&set, cell, size);
			rc = cellset_add_page(&set, tmp, pos, n, page_pgno(page), w->err);
		}
		k = rc ? 0 : cellset_divide(&set);
		if (rc == ROWFS_OK && k == 0)
			rc = corrupt(w->err, page_pgno(page), "cells too large to split");
		if (rc == ROWFS_OK)
			rc = cellset_fill(&set, k, node, f, page_pgno(page), &sep, w->err);
	}
	if (rc)
		goto out_unref;
	put_u32(f + TABLE_LEAF_NEXT_OFFSET, table_leaf_next(node));
	put_u32(node + TABLE_LEAF_NEXT_OFFSET, page_pgno(fresh));
	rc = parent_insert(w, lv - 1, sep, page_pgno(fresh), append);
out_unref:
	pager_unref(fresh);
	return rc;
}

/* Put the cell (size bytes) at the position the path found in its leaf. */
static int leaf_put(struct writer *w, const uint8_t *cell, uint32_t size)
{
	unsigned lv = w->path.depth - 1;
	struct page *page = w->path.page[lv];
	int rc = pager_write(page, w->err);

	if (rc)
		return rc;
	if (leaf_free_space(page_data(page)) >= size + 2u)
		return leaf_insert_cell(page_data(page), page_pgno(page), w->path.index[lv], cell,
					size, w->err);
	if (lv == 0) {
		rc = deepen(w);
		if (rc)
			return rc;
		lv = 1;
	} else if (w->path.index[lv] < table_page_count(page_data(page)) ||
		   table_leaf_next(page_data(page)) != 0) {
		int done;

		rc = leaf_shift(w, lv, cell, size, &done);
		if (rc || done)
			return rc;
	}
	return leaf_split(w, lv, cell, size);
}

/* Build the cell of (key, rec) into cell (writing its overflow chain first). */
static int cell_build(struct pager *pager, int64_t key, const uint8_t *rec, size_t len,
		      uint8_t *cell, uint32_t *size, struct rowfs_err *err)
{
	uint32_t local = table_local_size(len), ovfl = 0;

	if (local < len) {
		int rc = overflow_write(pager, rec, local, len, &ovfl, err);

		if (rc)
			return rc;
	}
	*size = cell_encode(cell, key, rec, len, ovfl);
	return ROWFS_OK;
}

/* ROWFS_TOOLONG for a record past TABLE_MAX_RECORD. */
static int check_len(size_t len, struct rowfs_err *err)
{
	if (len > TABLE_MAX_RECORD)
		return rowfs_err_set(err, ROWFS_TOOLONG, EINVAL,
				     "Error: record too long (%zu > %u bytes)", len, TABLE_MAX_RECORD);
	return ROWFS_OK;
}

int table_insert(struct pager *pager, uint32_t root, int64_t key, const uint8_t *rec,
		 size_t len, struct rowfs_err *err)
{
	struct writer w = { .pager = pager, .root = root, .err = err };
	uint8_t cell[TABLE_MAX_CELL_SIZE];
	uint32_t size;
	int rc = check_len(len, err);

	if (rc)
		return rc;
	rc = descend(pager, root, key, &w.path, err);
	if (rc)
		return rc;
	if (w.path.found) {
		rc = rowfs_err_set(err, ROWFS_DUPLICATE, EEXIST, "Error: duplicate key %lld.",
				   (long long)key);
		goto out_release;
	}
	rc = cell_build(pager, key, rec, len, cell, &size, err);
	if (rc == ROWFS_OK)
		rc = leaf_put(&w, cell, size);
	if (rc == ROWFS_OK)
		rc = add_rows(&w, 1);
out_release:
	path_release(&w.path);
	return rc;
}

int table_create(struct pager *pager, uint32_t *root, struct rowfs_err *err)
{
	struct page *page;
	int rc = pager_allocate(pager, &page, err);

	*root = 0;
	if (rc)
		return rc;
	leaf_init(page_data(page), 1);
	*root = page_pgno(page);
	pager_unref(page);
	return ROWFS_OK;
}

/* ---- delete and replace ----------------------------------------------------------- */

/* Remove cell i (child i and key i) of an internal page. */
static void internal_remove_cell(uint8_t *node, unsigned i)
{
	unsigned k = table_page_count(node);

	memmove(icell(node, i), icell(node, i + 1), (k - 1 - i) * TABLE_INTERNAL_CELL_SIZE);
	memset(icell(node, k - 1), 0, TABLE_INTERNAL_CELL_SIZE);
	put_u16(node + TABLE_COUNT_OFFSET, (uint16_t)(k - 1));
}

/*
 * The leaf before the one at level lv of the path (the rightmost leaf of
 * the nearest subtree to its left), referenced in *out; NULL when the leaf
 * is the leftmost.
 */
static int previous_leaf(struct writer *w, unsigned lv, struct page **out)
{
	struct path *p = &w->path;
	unsigned l = lv, level;
	uint32_t pgno;

	*out = NULL;
	while (l > 0 && p->index[l - 1] == 0)
		l--;
	if (l == 0)
		return ROWFS_OK;
	pgno = child_at(page_data(p->page[l - 1]), p->index[l - 1] - 1);
	for (level = l;; level++) {
		struct page *page;
		const uint8_t *node;
		int rc = load_page(w->pager, pgno, 0, 0, &page, w->err);

		if (rc)
			return rc;
		node = page_data(page);
		if ((table_page_type(node) == NODE_TABLE_LEAF) != (level == lv)) {
			pager_unref(page);
			return corrupt(w->err, pgno, "leaves at different depths");
		}
		if (level == lv) {
			*out = page;
			return ROWFS_OK;
		}
		pgno = table_internal_right(node);
		pager_unref(page);
	}
}

/* The root has no key left: its only child's contents move into it. */
static int collapse_root(struct writer *w)
{
	struct page *root = w->path.page[0], *child;
	uint8_t *node = page_data(root);
	uint64_t rows = table_page_rows(node);
	int rc = load_page(w->pager, table_internal_right(node), 0, 0, &child, w->err);

	if (rc)
		return rc;
	rc = pager_write(root, w->err);
	if (rc) {
		pager_unref(child);
		return rc;
	}
	memcpy(node, page_data(child), PAGE_SIZE);
	node[TABLE_FLAGS_OFFSET] |= TABLE_FLAG_ROOT;
	set_rows(node, rows);
	return pager_free(w->pager, child, w->err);
}

static int fix_empty(struct writer *w, unsigned lv);

/*
 * The internal page X at level lv (not the root) has no key left, one
 * child Y.  Y moves into the sibling next to X (on its left, or on its
 * right when X is the first child), and X is freed and removed from its
 * parent; when that sibling is full, X takes one child from it instead.
 * All leaves stay at the same depth.
 */
static int merge_internal(struct writer *w, unsigned lv)
{
	struct page *xp = w->path.page[lv], *pp = w->path.page[lv - 1], *sp;
	uint8_t *x = page_data(xp), *par = page_data(pp), *sib;
	uint32_t y = table_internal_right(x);
	unsigned pk = table_page_count(par), xi = w->path.index[lv - 1], sn;
	int left = xi > 0, rc;
	int64_t s;

	if (pk == 0 || xi > pk)
		return corrupt(w->err, page_pgno(pp), "changed under a delete");
	s = key_at(par, left ? xi - 1 : 0);
	rc = load_page(w->pager, child_at(par, left ? xi - 1 : 1), 0, 0, &sp, w->err);
	if (rc)
		return rc;
	sib = page_data(sp);
	if (table_page_type(sib) != NODE_TABLE_INTERNAL) {
		rc = corrupt(w->err, page_pgno(sp), "leaves at different depths");
		goto out_unref;
	}
	if ((rc = pager_write(sp, w->err)) || (rc = pager_write(pp, w->err)) ||
	    (rc = pager_write(xp, w->err)))
		goto out_unref;
	sn = table_page_count(sib);
	if (sn < TABLE_INTERNAL_MAX_KEYS) {
		if (left) {
			put_icell(sib, sn, table_internal_right(sib), s);
			put_u16(sib + TABLE_COUNT_OFFSET, (uint16_t)(sn + 1));
			put_u32(sib + TABLE_INTERNAL_RIGHT_OFFSET, y);
			set_child(par, xi, page_pgno(sp));
			internal_remove_cell(par, xi - 1);
		} else {
			memmove(icell(sib, 1), icell(sib, 0), sn * TABLE_INTERNAL_CELL_SIZE);
			put_icell(sib, 0, y, s);
			put_u16(sib + TABLE_COUNT_OFFSET, (uint16_t)(sn + 1));
			internal_remove_cell(par, 0);
		}
		pager_unref(sp);
		w->path.page[lv] = NULL;
		rc = pager_free(w->pager, xp, w->err);
		if (rc == ROWFS_OK && pk == 1)
			rc = fix_empty(w, lv - 1);
		return rc;
	}
	/* the sibling is full: borrow its child next to X */
	put_u16(x + TABLE_COUNT_OFFSET, 1);
	if (left) {
		put_icell(x, 0, table_internal_right(sib), s);
		put_u32(x + TABLE_INTERNAL_RIGHT_OFFSET, y);
		set_key(par, xi - 1, key_at(sib, sn - 1));
		put_u32(sib + TABLE_INTERNAL_RIGHT_OFFSET, child_at(sib, sn - 1));
		memset(icell(sib, sn - 1), 0, TABLE_INTERNAL_CELL_SIZE);
		put_u16(sib + TABLE_COUNT_OFFSET, (uint16_t)(sn - 1));
	} else {
		put_icell(x, 0, y, s);
		put_u32(x + TABLE_INTERNAL_RIGHT_OFFSET, child_at(sib, 0));
		set_key(par, 0, key_at(sib, 0));
		internal_remove_cell(sib, 0);
	}
out_unref:
	pager_unref(sp);
	return rc;
}

/* The internal page at level lv has no key left. */
static int fix_empty(struct writer *w, unsigned lv)
{
	return lv == 0 ? collapse_root(w) : merge_internal(w, lv);
}

/* The internal page at level lv loses child index[lv] (already freed). */
static int remove_child(struct writer *w, unsigned lv)
{
	struct page *page = w->path.page[lv];
	uint8_t *node = page_data(page);
	unsigned k = table_page_count(node), ci = w->path.index[lv];
	int rc = pager_write(page, w->err);

	if (rc)
		return rc;
	if (k == 0 || ci > k)
		return corrupt(w->err, page_pgno(page), "changed under a delete");
	if (ci == k) {
		put_u32(node + TABLE_INTERNAL_RIGHT_OFFSET, child_at(node, k - 1));
		ci = k - 1;
	}
	internal_remove_cell(node, ci);
	return k == 1 ? fix_empty(w, lv) : ROWFS_OK;
}

/* The leaf of the path (not the root) is empty: unlink it from its left sibling, free it. */
static int remove_leaf(struct writer *w)
{
	unsigned lv = w->path.depth - 1;
	struct page *leaf = w->path.page[lv], *prev;
	int rc = previous_leaf(w, lv, &prev);

	if (rc)
		return rc;
	if (prev) {
		rc = pager_write(prev, w->err);
		if (rc == ROWFS_OK)
			put_u32(page_data(prev) + TABLE_LEAF_NEXT_OFFSET,
				table_leaf_next(page_data(leaf)));
		pager_unref(prev);
		if (rc)
			return rc;
	}
	w->path.page[lv] = NULL;
	rc = pager_free(w->pager, leaf, w->err);
	return rc ? rc : remove_child(w, lv - 1);
}

/* Descend to key, which must exist (ROWFS_NOTFOUND otherwise), and decode its cell. */
static int find_for_change(struct writer *w, int64_t key, struct table_cell *c)
{
	int rc = descend(w->pager, w->root, key, &w->path, w->err);

	if (rc)
		return rc;
	if (!w->path.found)
		rc = rowfs_err_set(w->err, ROWFS_NOTFOUND, ENOENT, "Error: no such key %lld.",
				   (long long)key);
	if (rc == ROWFS_OK)
		rc = path_cell(&w->path, c, w->err);
	if (rc == ROWFS_OK)
		rc = pager_write(w->path.page[w->path.depth - 1], w->err);
	if (rc)
		path_release(&w->path);
	return rc;
}

int table_delete(struct pager *pager, uint32_t root, int64_t key, struct rowfs_err *err)
{
	struct writer w = { .pager = pager, .root = root, .err = err };
	struct table_cell c;
	struct page *leaf;
	int rc = find_for_change(&w, key, &c);

	if (rc)
		return rc;
	leaf = w.path.page[w.path.depth - 1];
	rc = overflow_free(pager, &c, page_pgno(leaf), err);
	if (rc == ROWFS_OK) {
		leaf_remove_cell(page_data(leaf), w.path.index[w.path.depth - 1], &c);
		rc = add_rows(&w, -1);
	}
	if (rc == ROWFS_OK && table_page_count(page_data(leaf)) == 0 && w.path.depth > 1)
		rc = remove_leaf(&w);
	path_release(&w.path);
	return rc;
}

int table_replace(struct pager *pager, uint32_t root, int64_t key, const uint8_t *rec,
		  size_t len, struct rowfs_err *err)
{
	struct writer w = { .pager = pager, .root = root, .err = err };
	uint8_t cell[TABLE_MAX_CELL_SIZE];
	struct table_cell c;
	struct page *leaf;
	uint8_t *node;
	uint32_t size;
	int rc = check_len(len, err);

	if (rc)
		return rc;
	rc = find_for_change(&w, key, &c);
	if (rc)
		return rc;
	leaf = w.path.page[w.path.depth - 1];
	node = page_data(leaf);
	rc = overflow_free(pager, &c, page_pgno(leaf), err);
	if (rc == ROWFS_OK)
		rc = cell_build(pager, key, rec, len, cell, &size, err);
	if (rc)
		goto out_release;
	if (size <= c.size) {
		/* in place; the bytes it no longer needs become fragments */
		memcpy(node + c.offset, cell, size);
		put_u16(node + TABLE_LEAF_FRAG_OFFSET,
			(uint16_t)(table_leaf_frag(node) + c.size - size));
	} else {
		leaf_remove_cell(node, w.path.index[w.path.depth - 1], &c);
		rc = leaf_put(&w, cell, size);
	}
out_release:
	path_release(&w.path);
	return rc;
}

/* ---- lookups ------------------------------------------------------------------- */

int table_get(struct pager *pager, uint32_t root, int64_t key, int *found, struct sbuf *out,
	      struct rowfs_err *err)
{
	struct path p;
	struct table_cell c;
	int rc = descend(pager, root, key, &p, err);

	*found = 0;
	if (rc)
		return rc;
	if (p.found) {
		rc = path_cell(&p, &c, err);
		if (rc == ROWFS_OK)
			rc = record_read(pager, &c, page_pgno(p.page[p.depth - 1]), 1, out, err);
		*found = rc == ROWFS_OK;
	}
	path_release(&p);
	return rc;
}

int table_contains(struct pager *pager, uint32_t root, int64_t key, int *found,
		   struct rowfs_err *err)
{
	struct path p;
	int rc = descend(pager, root, key, &p, err);

	*found = 0;
	if (rc)
		return rc;
	*found = p.found;
	path_release(&p);
	return ROWFS_OK;
}

int table_row_count(struct pager *pager, uint32_t root, uint64_t *rows, struct rowfs_err *err)
{
	struct page *page;
	int rc = load_page(pager, root, 0, 1, &page, err);

	*rows = 0;
	if (rc)
		return rc;
	*rows = table_page_rows(page_data(page));
	pager_unref(page);
	return ROWFS_OK;
}

int table_depth(struct pager *pager, uint32_t root, uint32_t *depth, struct rowfs_err *err)
{
	struct path p;
	int rc = descend(pager, root, INT64_MIN, &p, err);

	*depth = 0;
	if (rc)
		return rc;
	*depth = p.depth;
	path_release(&p);
	return ROWFS_OK;
}

/* ---- walks: drop, page count ------------------------------------------------------ */

/* load_page of the page level levels below the root of a walk down the tree. */
static int load_level(struct pager *pager, uint32_t pgno, unsigned level, int cold,
		      struct page **out, struct rowfs_err *err)
{
	if (level >= TABLE_MAX_DEPTH)
		return too_deep(err, pgno);
	return load_page(pager, pgno, cold, level == 0, out, err);
}

/* A walk over every page of a tree (walk_page), and what it does with them. */
struct walk {
	struct pager *pager;       /* the database */
	int cold;                  /* read the pages below the root with pager_get_cold */
	/* each leaf cell (c of leaf page pgno) */
	int (*cell)(struct walk *w, const struct table_cell *c, uint32_t pgno);
	/* each page, after its subtree; takes over the reference */
	int (*page)(struct walk *w, struct page *page);
	uint32_t pages;            /* count: pages seen */
	struct rowfs_err *err;     /* where errors go */
};

/* Walk the subtree at pgno (level levels below the root), children first. */
static int walk_page(struct walk *w, uint32_t pgno, unsigned level)
{
	struct page *page;
	const uint8_t *node;
	unsigned i, n;
	int rc = load_level(w->pager, pgno, level, w->cold && level > 0, &page, w->err);

	if (rc)
		return rc;
	node = page_data(page);
	n = table_page_count(node);
	for (i = 0; i <= n && rc == ROWFS_OK; i++) {
		if (table_page_type(node) == NODE_TABLE_INTERNAL) {
			uint32_t child;

			if (table_internal_child(node, i, &child))
				rc = corrupt(w->err, pgno, "bad internal cell");
			else
				rc = walk_page(w, child, level + 1);
		} else if (i < n) {
			struct table_cell c;

			if (table_leaf_cell(node, i, &c))
				rc = corrupt(w->err, pgno, "a cell does not decode");
			else
				rc = w->cell(w, &c, pgno);
		}
	}
	if (rc) {
		pager_unref(page);
		return rc;
	}
	return w->page(w, page);
}

/* walk cell of table_drop: free the record's overflow chain. */
static int drop_cell(struct walk *w, const struct table_cell *c, uint32_t pgno)
{
	return overflow_free(w->pager, c, pgno, w->err);
}

/* walk page of table_drop: free the page. */
static int drop_page(struct walk *w, struct page *page)
{
	return pager_free(w->pager, page, w->err);
}

int table_drop(struct pager *pager, uint32_t root, struct rowfs_err *err)
{
	struct walk w = { pager, 0, drop_cell, drop_page, 0, err };

	return walk_page(&w, root, 0);
}

/* walk cell of table_page_total: the overflow pages the record's size asks for (not read). */
static int count_cell(struct walk *w, const struct table_cell *c, uint32_t pgno)
{
	(void)pgno;
	w->pages += (uint32_t)table_overflow_pages(c->payload);
	return ROWFS_OK;
}

/* walk page of table_page_total: one more page. */
static int count_page(struct walk *w, struct page *page)
{
	w->pages++;
	pager_unref(page);
	return ROWFS_OK;
}

int table_page_total(struct pager *pager, uint32_t root, uint32_t *pages,
		     struct rowfs_err *err)
{
	struct walk w = { pager, 1, count_cell, count_page, 0, err };
	int rc = walk_page(&w, root, 0);

	*pages = rc ? 0 : w.pages;
	return rc;
}

/* ---- render -------------------------------------------------------------------- */

/* "[k]", "[a..b]" or "[]" for a key range. */
static void format_keys(char *buf, size_t size, unsigned count, int64_t first, int64_t last)
{
	if (count == 0)
		snprintf(buf, size, "[]");
	else if (count == 1)
		snprintf(buf, size, "[%lld]", (long long)first);
	else
		snprintf(buf, size, "[%lld..%lld]", (long long)first, (long long)last);
}

/* Render the subtree at pgno, level levels below the root. */
static int render_page(struct pager *pager, uint32_t pgno, unsigned level, rowfs_emit_fn emit,
		       void *ctx, struct rowfs_err *err)
{
	char line[2 * TABLE_MAX_DEPTH + 160], keys[64];
	struct page *page;
	const uint8_t *node;
	int64_t first = 0, last = 0;
	unsigned n, i;
	int len, rc;

	rc = load_level(pager, pgno, level, 0, &page, err);
	if (rc)
		return rc;
	node = page_data(page);
	n = table_page_count(node);
	memset(line, ' ', 2 * level);
	if (table_page_type(node) == NODE_TABLE_LEAF) {
		if (n && (table_leaf_key(node, 0, &first) || table_leaf_key(node, n - 1, &last))) {
			pager_unref(page);
			return corrupt(err, pgno, "a cell does not decode");
		}
		format_keys(keys, sizeof(keys), n, first, last);
		len = n ? snprintf(line + 2 * level, sizeof(line) - 2 * level,
				   "leaf (page %u): %u cells keys %s\n", pgno, n, keys)
			: snprintf(line + 2 * level, sizeof(line) - 2 * level,
				   "leaf (page %u): 0 cells\n", pgno);
		pager_unref(page);
		return emit(ctx, line, 2 * level + (size_t)len) ? nomem(err) : ROWFS_OK;
	}
	if (n) {
		first = key_at(node, 0);
		last = key_at(node, n - 1);
	}
	format_keys(keys, sizeof(keys), n, first, last);
	len = snprintf(line + 2 * level, sizeof(line) - 2 * level,
		       "internal (page %u): %u keys %s\n", pgno, n, keys);
	if (emit(ctx, line, 2 * level + (size_t)len)) {
		pager_unref(page);
		return nomem(err);
	}
	/* Children are read one at a time; the page stays referenced. */
	for (i = 0; i <= n && rc == ROWFS_OK; i++) {
		uint32_t child;

		if (table_internal_child(node, i, &child))
			rc = corrupt(err, pgno, "bad internal cell");
		else
			rc = render_page(pager, child, level + 1, emit, ctx, err);
	}
	pager_unref(page);
	return rc;
}

int table_render(struct pager *pager, uint32_t root, rowfs_emit_fn emit, void *ctx,
		 struct rowfs_err *err)
{
	return render_page(pager, root, 0, emit, ctx, err);
}

/* ---- cursors -------------------------------------------------------------------- */

void table_cursor_init(struct table_cursor *cur, struct pager *pager, uint32_t root)
{
	memset(cur, 0, sizeof(*cur));
	cur->pager = pager;
	cur->root = root;
	cur->eof = 1;
}

void table_cursor_release(struct table_cursor *cur)
{
	pager_unref(cur->leaf);
	cur->leaf = NULL;
	cur->eof = 1;
}

void table_cursor_free(struct table_cursor *cur)
{
	table_cursor_release(cur);
	sbuf_release(&cur->record);
}

/* Fail the cursor: it ends at eof holding nothing. */
static int cursor_fail(struct table_cursor *cur, int rc)
{
	table_cursor_release(cur);
	return rc;
}

/* Position on cell i of the referenced leaf (i < its cell count). */
static int cursor_at(struct table_cursor *cur, unsigned i, struct rowfs_err *err)
{
	if (table_leaf_key(page_data(cur->leaf), i, &cur->key))
		return cursor_fail(cur, corrupt(err, page_pgno(cur->leaf), "a cell does not decode"));
	cur->path[cur->depth - 1].index = i;
	cur->eof = 0;
	return ROWFS_OK;
}

/*
 * Descend from the root towards key; the leaf stays referenced, the
 * internal pages are released on the way.  *pos: the lowest cell index
 * with key >= key (*found: it is key).
 */
static int cursor_descend(struct table_cursor *cur, int64_t key, unsigned *pos, int *found,
			  struct rowfs_err *err)
{
	uint32_t pgno = cur->root;

	table_cursor_release(cur);
	cur->depth = 0;
	for (;;) {
		struct page *page;
		const uint8_t *node;
		unsigned i;
		int rc;

		if (cur->depth >= TABLE_MAX_DEPTH)
			return too_deep(err, pgno);
		rc = load_page(cur->pager, pgno, 0, cur->depth == 0, &page, err);
		if (rc)
			return rc;
		node = page_data(page);
		cur->path[cur->depth].pgno = pgno;
		cur->path[cur->depth++].index = 0;
		if (table_page_type(node) == NODE_TABLE_LEAF) {
			cur->leaf = page;
			if (leaf_search(node, key, pos, found))
				return cursor_fail(cur, corrupt(err, pgno, "a cell does not decode"));
			return ROWFS_OK;
		}
		rc = internal_search(node, key, &i) || table_internal_child(node, i, &pgno);
		pager_unref(page);
		if (rc)
			return corrupt(err, cur->path[cur->depth - 1].pgno, "bad internal cell");
		cur->path[cur->depth - 1].index = i;
	}
}

/* Sibling pointer of leaf from to next is wrong (cursor.c's text). */
static int bad_sibling(struct table_cursor *cur, uint32_t from, uint32_t next,
		       struct rowfs_err *err)
{
	return cursor_fail(cur, rowfs_err_set(err, ROWFS_CORRUPT, 0,
					      "database corrupt: bad sibling pointer from page %u to page %u",
					      from, next));
}

/*
 * Move to the first cell of the next leaf (read cold), whose keys must all
 * be above floor; eof after the rightmost leaf.
 */
static int cursor_next_leaf(struct table_cursor *cur, int64_t floor, struct rowfs_err *err)
{
	uint32_t next = table_leaf_next(page_data(cur->leaf)), from = page_pgno(cur->leaf);
	int64_t first;
	int rc;

	table_cursor_release(cur);
	if (next == 0)
		return ROWFS_OK;
	rc = load_page(cur->pager, next, 1, 0, &cur->leaf, err);
	if (rc)
		return cursor_fail(cur, rc);
	if (table_page_type(page_data(cur->leaf)) != NODE_TABLE_LEAF ||
	    table_page_count(page_data(cur->leaf)) == 0 ||
	    table_leaf_key(page_data(cur->leaf), 0, &first) || first <= floor)
		return bad_sibling(cur, from, next, err);
	cur->path[cur->depth - 1].pgno = next;
	return cursor_at(cur, 0, err);
}

/*
 * Right after a descent that found no key <= ceiling in its leaf: move to
 * the last cell of the leaf before it (the rightmost leaf of the nearest
 * subtree to the left on the path, read cold), or eof.
 */
static int cursor_prev_leaf(struct table_cursor *cur, int64_t ceiling, struct rowfs_err *err)
{
	unsigned leaf_level = cur->depth - 1, lv = leaf_level, level;
	uint32_t pgno, from = cur->path[leaf_level].pgno;
	struct page *page;
	int64_t last;
	int rc;

	table_cursor_release(cur);
	while (lv > 0 && cur->path[lv - 1].index == 0)
		lv--;
	if (lv == 0)
		return ROWFS_OK;
	rc = load_page(cur->pager, cur->path[lv - 1].pgno, 0, lv == 1, &page, err);
	if (rc)
		return rc;
	cur->path[lv - 1].index--;
	rc = table_internal_child(page_data(page), cur->path[lv - 1].index, &pgno);
	pager_unref(page);
	if (rc)
		return corrupt(err, cur->path[lv - 1].pgno, "bad internal cell");
	for (level = lv;; level++) {
		const uint8_t *node;
		unsigned n;

		rc = load_page(cur->pager, pgno, level == leaf_level, 0, &page, err);
		if (rc)
			return rc;
		node = page_data(page);
		n = table_page_count(node);
		cur->path[level].pgno = pgno;
		if ((table_page_type(node) == NODE_TABLE_LEAF) != (level == leaf_level)) {
			pager_unref(page);
			return corrupt(err, pgno, "leaves at different depths");
		}
		if (level == leaf_level)
			break;
		cur->path[level].index = n;
		pgno = table_internal_right(node);
		pager_unref(page);
	}
	cur->leaf = page;
	if (table_page_count(page_data(page)) == 0 ||
	    table_leaf_key(page_data(page), table_page_count(page_data(page)) - 1, &last) ||
	    last > ceiling || table_leaf_next(page_data(page)) != from)
		return bad_sibling(cur, pgno, from, err);
	return cursor_at(cur, table_page_count(page_data(page)) - 1, err);
}

int table_cursor_seek_ge(struct table_cursor *cur, int64_t key, struct rowfs_err *err)
{
	unsigned pos;
	int found, rc = cursor_descend(cur, key, &pos, &found, err);

	if (rc)
		return rc;
	if (pos < table_page_count(page_data(cur->leaf)))
		return cursor_at(cur, pos, err);
	if (pos == 0) {
		/* an empty leaf: only the root may be one */
		if (cur->depth > 1)
			return cursor_fail(cur, corrupt(err, page_pgno(cur->leaf), "an empty leaf"));
		table_cursor_release(cur);
		return ROWFS_OK;
	}
	return cursor_next_leaf(cur, key - 1, err);
}

int table_cursor_seek_le(struct table_cursor *cur, int64_t key, struct rowfs_err *err)
{
	unsigned pos;
	int found, rc = cursor_descend(cur, key, &pos, &found, err);

	if (rc)
		return rc;
	if (found)
		return cursor_at(cur, pos, err);
	if (pos > 0)
		return cursor_at(cur, pos - 1, err);
	return cursor_prev_leaf(cur, key, err);
}

int table_cursor_advance(struct table_cursor *cur, struct rowfs_err *err)
{
	int64_t old = cur->key;
	unsigned i;
	int rc;

	if (cur->eof)
		return ROWFS_OK;
	i = cur->path[cur->depth - 1].index + 1;
	if (i >= table_page_count(page_data(cur->leaf)))
		return cursor_next_leaf(cur, old, err);
	rc = cursor_at(cur, i, err);
	if (rc == ROWFS_OK && cur->key <= old)
		return cursor_fail(cur, corrupt(err, page_pgno(cur->leaf), "keys out of order"));
	return rc;
}

int table_cursor_retreat(struct table_cursor *cur, struct rowfs_err *err)
{
	int64_t old = cur->key;
	unsigned i;
	int rc;

	if (cur->eof)
		return ROWFS_OK;
	i = cur->path[cur->depth - 1].index;
	if (i > 0) {
		rc = cursor_at(cur, i - 1, err);
		if (rc == ROWFS_OK && cur->key >= old)
			return cursor_fail(cur, corrupt(err, page_pgno(cur->leaf), "keys out of order"));
		return rc;
	}
	if (old == INT64_MIN) {
		table_cursor_release(cur);
		return ROWFS_OK;
	}
	/* the previous leaf: found again from the root (the path is stale after advances) */
	return table_cursor_seek_le(cur, old - 1, err);
}

int table_cursor_record(struct table_cursor *cur, const uint8_t **rec, size_t *len,
			struct rowfs_err *err)
{
	struct table_cell c;
	int rc;

	*rec = NULL;
	*len = 0;
	if (cur->eof)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "no row under the cursor");
	if (table_leaf_cell(page_data(cur->leaf), cur->path[cur->depth - 1].index, &c))
		return corrupt(err, page_pgno(cur->leaf), "a cell does not decode");
	if (!c.overflow) {
		*rec = c.local;
		*len = c.local_len;
		return ROWFS_OK;
	}
	rc = record_read(cur->pager, &c, page_pgno(cur->leaf), 1, &cur->record, err);
	if (rc)
		return rc;
	*rec = (const uint8_t *)cur->record.data;
	*len = cur->record.len;
	return ROWFS_OK;
}
