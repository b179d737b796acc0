/*
 * table.c - the B-tree of version-2 tables (format and rules in table.h,
 * decoders in table_int.h).
 */
#include <config.h>
#include "table.h"

#include <errno.h>
#include <inttypes.h>
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
