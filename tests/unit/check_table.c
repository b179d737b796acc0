/*
 * check_table.c - unit tests of engine/table.c, the B-tree of version-2
 * tables, straight on a pager (no façade).
 *
 * Owns: the hand cases (empty table, one row, negative and extreme keys,
 * the duplicate and not-found errors with their texts, 1 MiB records in
 * overflow chains, the 4-cells-a-leaf guarantee, the exact render text),
 * a structural audit of a whole table through table_int.h (every page
 * valid by table_verify_page, separators bound their subtrees, leaves at
 * one depth and chained in order, overflow chains of the right length,
 * every page of the file either in the table or on the free list), and
 * the randomized model test: seeded random inserts, replaces and deletes
 * (clustered, spread and negative keys; records of 0..12 KB and some of
 * 100 KB..1 MiB) compared after every batch with a sorted array: forward
 * and backward cursor walks, seeks at random keys, table_get, the row
 * count; it ends by deleting every row (only the root stays) and dropping
 * the table (every page on the free list).  A variant runs with a cache
 * of 16 pages, so that commits checkpoint and pages are evicted and read
 * back.  With ROWFS_SLOW=1 a case measures the fill of 1,000,000
 * sequential and random-order rows of ~100 bytes.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "pager.h"
#include "rowfs.h"
#include "table.h"
#include "table_int.h"
#include "testutil.h"

/* ---- plumbing -------------------------------------------------------------- */

/* Pages of a new file that no table here owns: the header and the users root (page 1). */
#define FILE_PAGES 2u

static int ignore_records(void *ctx, uint64_t seq, const uint8_t *records, uint32_t len)
{
	(void)ctx;
	(void)seq;
	(void)records;
	(void)len;
	return ROWFS_OK;
}

static struct pager *open_pager(uint32_t cache_pages)
{
	struct pager_config cfg;
	struct pager *pager = NULL;
	struct rowfs_err err;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_db_path;
	cfg.sync = ROWFS_SYNC_OFF;
	cfg.cache_pages = cache_pages;
	cfg.wal_limit = cache_pages && cache_pages < 64 ? 1u << 20 : 1ull << 30;
	rc = pager_open(&cfg, &pager, &err);
	ck_assert_msg(rc == ROWFS_OK, "pager_open: %s (%s)", rowfs_rc_name(rc), err.msg);
	rc = pager_replay(pager, ignore_records, NULL, &err);
	ck_assert_msg(rc == ROWFS_OK, "pager_replay: %s (%s)", rowfs_rc_name(rc), err.msg);
	return pager;
}

static void close_pager(struct pager *pager)
{
	struct rowfs_err err;

	ck_assert_msg(pager_checkpoint(pager, &err) == ROWFS_OK, "checkpoint: %s", err.msg);
	pager_close(pager);
}

static void begin(struct pager *pager)
{
	struct rowfs_err err;

	REQUIRE(pager_begin(pager, 0, &err) == ROWFS_OK, "begin: %s", err.msg);
}

/* Commit with one (ignored) log record, so the commit is real and may checkpoint. */
static void commit(struct pager *pager)
{
	static const uint8_t rec[8] = { 0xff };
	struct rowfs_err err;

	REQUIRE(pager_log(pager, rec, sizeof(rec), &err) == ROWFS_OK, "log: %s", err.msg);
	REQUIRE(pager_commit(pager, &err) == ROWFS_OK, "commit: %s", err.msg);
}

#define OK(call) \
	do { \
		struct rowfs_err e_; \
		int rc_ = (call); \
		(void)e_; \
		REQUIRE(rc_ == ROWFS_OK, "%s: %s", #call, rowfs_rc_name(rc_)); \
	} while (0)

/* Deterministic record contents: len bytes for (key, gen). */
static void fill_record(uint8_t *buf, int64_t key, uint32_t gen, size_t len)
{
	uint64_t s = (uint64_t)key * 0x9E3779B97F4A7C15ull ^ (uint64_t)gen * 0xC2B2AE3D27D4EB4Full;
	size_t i;

	s = tu_next_random(&s);
	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t v = s + i * 0x100000001B3ull;

		memcpy(buf + i, &v, 8);
	}
	for (; i < len; i++)
		buf[i] = (uint8_t)(s >> (i % 8 * 8)) ^ (uint8_t)i;
}

static uint8_t *record_of(int64_t key, uint32_t gen, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(buf);
	fill_record(buf, key, gen, len);
	return buf;
}

static char *render(struct pager *pager, uint32_t root)
{
	struct tu_buf b = {0};
	struct rowfs_err err;
	int rc = table_render(pager, root, tu_buf_emit, &b, &err);

	ck_assert_msg(rc == ROWFS_OK, "render: %s", err.msg);
	return b.data ? b.data : strdup("");
}

/* ---- structural audit ------------------------------------------------------- */

/* Free bytes of a leaf: the gap plus the fragments. */
static uint32_t leaf_free_bytes(const uint8_t *node)
{
	return table_leaf_content_start(node) -
	       (TABLE_LEAF_HEADER_SIZE + 2u * table_page_count(node)) + table_leaf_frag(node);
}

struct audit {
	struct pager *pager;
	unsigned leaf_depth;     /* depth of the first leaf seen */
	uint32_t pages;          /* tree and overflow pages */
	uint32_t prev_leaf;      /* last leaf seen in key order */
	uint64_t rows;           /* cells seen */
	uint64_t used_bytes;     /* leaf bytes used by cells and pointers */
	uint32_t leaves;         /* leaf pages */
};

static void audit_overflow(struct audit *a, const struct table_cell *c)
{
	uint64_t left = c->payload - c->local_len, want = table_overflow_pages(c->payload), n = 0;
	uint32_t pgno = c->overflow;

	while (left > 0) {
		struct page *page;
		struct rowfs_err err;
		const uint8_t *data;
		uint32_t len, next;
		char why[160];

		REQUIRE(pgno != 0, "overflow chain of %lld ends early", (long long)c->key);
		REQUIRE(pager_get(a->pager, pgno, &page, &err) == ROWFS_OK, "get %u: %s", pgno, err.msg);
		REQUIRE(table_verify_page(page_data(page), pgno, why, sizeof(why)) == ROWFS_OK, "%s", why);
		REQUIRE(table_overflow_decode(page_data(page), &next, &data, &len) == ROWFS_OK,
			"overflow page %u", pgno);
		REQUIRE(len == (left < TABLE_OVERFLOW_CAPACITY ? left : TABLE_OVERFLOW_CAPACITY),
			"overflow page %u holds %u bytes, %llu left", pgno, len,
			(unsigned long long)left);
		left -= len;
		pager_unref(page);
		pgno = next;
		n++;
		a->pages++;
	}
	REQUIRE(pgno == 0 && n == want, "overflow chain of %lld: %llu pages, want %llu",
		(long long)c->key, (unsigned long long)n, (unsigned long long)want);
}

/* Audit the subtree at pgno: every key k has lo < k <= hi (has_lo/has_hi say whether bounded). */
static void audit_page(struct audit *a, uint32_t pgno, unsigned level, int has_lo, int64_t lo,
		       int has_hi, int64_t hi)
{
	struct page *page;
	struct rowfs_err err;
	const uint8_t *node;
	char why[160];
	unsigned n, i;

	REQUIRE(level < TABLE_MAX_DEPTH, "too deep at %u", pgno);
	REQUIRE(pager_get(a->pager, pgno, &page, &err) == ROWFS_OK, "get %u: %s", pgno, err.msg);
	node = page_data(page);
	a->pages++;
	REQUIRE(table_verify_page(node, pgno, why, sizeof(why)) == ROWFS_OK, "%s", why);
	REQUIRE(table_page_is_root(node) == (level == 0), "root flag of page %u", pgno);
	n = table_page_count(node);
	if (table_page_type(node) == NODE_TABLE_LEAF) {
		if (a->leaf_depth == 0)
			a->leaf_depth = level + 1;
		REQUIRE(a->leaf_depth == level + 1, "leaf %u at depth %u, others at %u", pgno,
			level + 1, a->leaf_depth);
		if (a->prev_leaf) {
			struct page *prev;

			REQUIRE(pager_get(a->pager, a->prev_leaf, &prev, &err) == ROWFS_OK, "get");
			REQUIRE(table_leaf_next(page_data(prev)) == pgno,
				"leaf %u points to %u, not %u", a->prev_leaf,
				table_leaf_next(page_data(prev)), pgno);
			pager_unref(prev);
		}
		a->prev_leaf = pgno;
		a->leaves++;
		a->used_bytes += TABLE_LEAF_USABLE - leaf_free_bytes(node);
		for (i = 0; i < n; i++) {
			struct table_cell c;

			REQUIRE(table_leaf_cell(node, i, &c) == ROWFS_OK, "cell");
			REQUIRE((!has_lo || c.key > lo) && (!has_hi || c.key <= hi),
				"key %lld of leaf %u outside (%lld, %lld]", (long long)c.key, pgno,
				(long long)lo, (long long)hi);
			if (c.overflow)
				audit_overflow(a, &c);
			a->rows++;
		}
	} else {
		for (i = 0; i <= n; i++) {
			uint32_t child;
			int64_t k_lo = lo, k_hi = hi;
			int h_lo = has_lo, h_hi = has_hi;

			REQUIRE(table_internal_child(node, i, &child) == ROWFS_OK, "child");
			if (i > 0) {
				table_internal_key(node, i - 1, &k_lo);
				h_lo = 1;
			}
			if (i < n) {
				table_internal_key(node, i, &k_hi);
				h_hi = 1;
				REQUIRE((!has_lo || k_hi > lo) && (!has_hi || k_hi <= hi),
					"separator %lld of page %u outside its bounds",
					(long long)k_hi, pgno);
			}
			audit_page(a, child, level + 1, h_lo, k_lo, h_hi, k_hi);
		}
	}
	pager_unref(page);
}

/*
 * Audit the whole table at root; other_pages: pages of the file that are
 * neither the table's nor free (page 0, other tables).  Every page must be
 * accounted for (UINT32_MAX: the caller does the accounting).
 */
static struct audit audit_table(struct pager *pager, uint32_t root, uint32_t other_pages)
{
	struct audit a;
	struct rowfs_err err;
	uint64_t rows;

	memset(&a, 0, sizeof(a));
	a.pager = pager;
	audit_page(&a, root, 0, 0, 0, 0, 0);
	if (a.prev_leaf) {
		struct page *last;

		REQUIRE(pager_get(pager, a.prev_leaf, &last, &err) == ROWFS_OK, "get");
		REQUIRE(table_leaf_next(page_data(last)) == 0, "last leaf %u has a next", a.prev_leaf);
		pager_unref(last);
	}
	REQUIRE(table_row_count(pager, root, &rows, &err) == ROWFS_OK, "rows: %s", err.msg);
	REQUIRE(rows == a.rows, "row count %llu, %llu cells", (unsigned long long)rows,
		(unsigned long long)a.rows);
	REQUIRE(other_pages == UINT32_MAX ||
		a.pages + pager_free_count(pager) + other_pages == pager_page_count(pager),
		"%u table pages + %u free + %u others != %u pages", a.pages,
		pager_free_count(pager), other_pages, pager_page_count(pager));
	return a;
}

/* ---- hand cases ---------------------------------------------------------------- */

static uint32_t new_table(struct pager *pager)
{
	struct rowfs_err err;
	uint32_t root;

	REQUIRE(table_create(pager, &root, &err) == ROWFS_OK, "create: %s", err.msg);
	return root;
}

static void insert_ok(struct pager *pager, uint32_t root, int64_t key, const void *rec, size_t len)
{
	struct rowfs_err err;
	int rc = table_insert(pager, root, key, rec, len, &err);

	REQUIRE(rc == ROWFS_OK, "insert %lld (%zu bytes): %s %s", (long long)key, len,
		rowfs_rc_name(rc), err.msg);
}

/* table_get must find exactly rec[0..len). */
static void expect_get(struct pager *pager, uint32_t root, int64_t key, const void *rec, size_t len)
{
	struct sbuf out = {0};
	struct rowfs_err err;
	int found = 0, rc = table_get(pager, root, key, &found, &out, &err);

	REQUIRE(rc == ROWFS_OK, "get %lld: %s", (long long)key, err.msg);
	REQUIRE(found, "get %lld: not found", (long long)key);
	REQUIRE(out.len == len && (len == 0 || memcmp(out.data, rec, len) == 0),
		"get %lld: %zu bytes, want %zu", (long long)key, out.len, len);
	sbuf_release(&out);
}

static void expect_absent(struct pager *pager, uint32_t root, int64_t key)
{
	struct sbuf out = {0};
	struct rowfs_err err;
	int found = 1;

	REQUIRE(table_get(pager, root, key, &found, &out, &err) == ROWFS_OK, "get: %s", err.msg);
	REQUIRE(!found, "get %lld: found", (long long)key);
	REQUIRE(table_contains(pager, root, key, &found, &err) == ROWFS_OK, "contains");
	REQUIRE(!found, "contains %lld", (long long)key);
	sbuf_release(&out);
}

/* Walk the table forwards and backwards; the keys must be keys[0..n). */
static void expect_keys(struct pager *pager, uint32_t root, const int64_t *keys, size_t n)
{
	struct table_cursor cur;
	struct rowfs_err err;
	size_t i = 0;

	table_cursor_init(&cur, pager, root);
	REQUIRE(table_cursor_seek_ge(&cur, INT64_MIN, &err) == ROWFS_OK, "seek: %s", err.msg);
	for (; !cur.eof; i++) {
		REQUIRE(i < n && cur.key == keys[i], "forward row %zu: key %lld", i, (long long)cur.key);
		REQUIRE(table_cursor_advance(&cur, &err) == ROWFS_OK, "advance: %s", err.msg);
	}
	REQUIRE(i == n, "forward: %zu rows, want %zu", i, n);
	REQUIRE(table_cursor_seek_le(&cur, INT64_MAX, &err) == ROWFS_OK, "seek: %s", err.msg);
	for (; !cur.eof; i--) {
		REQUIRE(i > 0 && cur.key == keys[i - 1], "backward row %zu: key %lld", i - 1,
			(long long)cur.key);
		REQUIRE(table_cursor_retreat(&cur, &err) == ROWFS_OK, "retreat: %s", err.msg);
	}
	REQUIRE(i == 0, "backward: %zu rows missed", i);
	table_cursor_free(&cur);
}

START_TEST(test_empty)
{
	struct pager *pager = open_pager(0);
	struct table_cursor cur;
	struct rowfs_err err;
	uint64_t rows = 1;
	uint32_t root, depth = 0;
	char *text;

	begin(pager);
	root = new_table(pager);
	ck_assert_uint_eq(root, 2);
	ck_assert_int_eq(table_row_count(pager, root, &rows, &err), ROWFS_OK);
	ck_assert_uint_eq(rows, 0);
	ck_assert_int_eq(table_depth(pager, root, &depth, &err), ROWFS_OK);
	ck_assert_uint_eq(depth, 1);
	text = render(pager, root);
	ck_assert_str_eq(text, "leaf (page 2): 0 cells\n");
	free(text);
	expect_absent(pager, root, 0);
	expect_keys(pager, root, NULL, 0);
	table_cursor_init(&cur, pager, root);
	ck_assert_int_eq(table_cursor_seek_ge(&cur, 5, &err), ROWFS_OK);
	ck_assert(cur.eof);
	ck_assert_int_eq(table_cursor_seek_le(&cur, 5, &err), ROWFS_OK);
	ck_assert(cur.eof);
	ck_assert_int_eq(table_cursor_advance(&cur, &err), ROWFS_OK);
	ck_assert(cur.eof);
	table_cursor_free(&cur);
	ck_assert_int_eq(table_delete(pager, root, 5, &err), ROWFS_NOTFOUND);
	ck_assert_str_eq(err.msg, "Error: no such key 5.");
	ck_assert_int_eq(table_replace(pager, root, -5, NULL, 0, &err), ROWFS_NOTFOUND);
	ck_assert_str_eq(err.msg, "Error: no such key -5.");
	audit_table(pager, root, FILE_PAGES);
	commit(pager);
	close_pager(pager);
}
END_TEST

START_TEST(test_one_row)
{
	struct pager *pager = open_pager(0);
	struct table_cursor cur;
	struct rowfs_err err;
	const uint8_t *rec;
	size_t len;
	uint64_t rows;
	uint32_t root;
	char *text;

	begin(pager);
	root = new_table(pager);
	insert_ok(pager, root, 7, "hello", 5);
	expect_get(pager, root, 7, "hello", 5);
	expect_absent(pager, root, 6);
	expect_absent(pager, root, 8);
	ck_assert_int_eq(table_row_count(pager, root, &rows, &err), ROWFS_OK);
	ck_assert_uint_eq(rows, 1);
	text = render(pager, root);
	ck_assert_str_eq(text, "leaf (page 2): 1 cells keys [7]\n");
	free(text);
	table_cursor_init(&cur, pager, root);
	ck_assert_int_eq(table_cursor_seek_ge(&cur, 7, &err), ROWFS_OK);
	ck_assert(!cur.eof);
	ck_assert_int_eq(cur.key, 7);
	ck_assert_int_eq(table_cursor_record(&cur, &rec, &len, &err), ROWFS_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert(memcmp(rec, "hello", 5) == 0);
	ck_assert_int_eq(table_cursor_seek_ge(&cur, 8, &err), ROWFS_OK);
	ck_assert(cur.eof);
	ck_assert_int_eq(table_cursor_record(&cur, &rec, &len, &err), ROWFS_ERROR);
	ck_assert_int_eq(table_cursor_seek_le(&cur, 6, &err), ROWFS_OK);
	ck_assert(cur.eof);
	ck_assert_int_eq(table_cursor_seek_le(&cur, 100, &err), ROWFS_OK);
	ck_assert_int_eq(cur.key, 7);
	ck_assert_int_eq(table_cursor_retreat(&cur, &err), ROWFS_OK);
	ck_assert(cur.eof);
	table_cursor_free(&cur);
	/* an empty record, replaced by a longer one, then the row goes */
	ck_assert_int_eq(table_replace(pager, root, 7, NULL, 0, &err), ROWFS_OK);
	expect_get(pager, root, 7, "", 0);
	ck_assert_int_eq(table_replace(pager, root, 7, (const uint8_t *)"longer text", 11, &err),
			 ROWFS_OK);
	expect_get(pager, root, 7, "longer text", 11);
	audit_table(pager, root, FILE_PAGES);
	ck_assert_int_eq(table_delete(pager, root, 7, &err), ROWFS_OK);
	expect_absent(pager, root, 7);
	text = render(pager, root);
	ck_assert_str_eq(text, "leaf (page 2): 0 cells\n");
	free(text);
	audit_table(pager, root, FILE_PAGES);
	commit(pager);
	close_pager(pager);
}
END_TEST

START_TEST(test_extreme_keys)
{
	static const int64_t keys[] = { INT64_MIN, INT64_MIN + 1, -1000000, -5, -1, 0, 1, 127, 128,
					16383, 16384, INT64_MAX - 1, INT64_MAX };
	const size_t n = sizeof(keys) / sizeof(keys[0]);
	struct pager *pager = open_pager(0);
	struct table_cursor cur;
	struct rowfs_err err;
	uint64_t rows;
	uint32_t root;
	size_t i;
	char *text;

	begin(pager);
	root = new_table(pager);
	for (i = n; i-- > 0;) {
		char rec[32];
		int len = snprintf(rec, sizeof(rec), "%lld", (long long)keys[i]);

		insert_ok(pager, root, keys[i], rec, (size_t)len);
	}
	for (i = 0; i < n; i++) {
		char rec[32];
		int len = snprintf(rec, sizeof(rec), "%lld", (long long)keys[i]);

		expect_get(pager, root, keys[i], rec, (size_t)len);
	}
	expect_keys(pager, root, keys, n);
	text = render(pager, root);
	ck_assert_str_eq(text, "leaf (page 2): 13 cells keys [-9223372036854775808..9223372036854775807]\n");
	free(text);
	/* the duplicate error changes nothing */
	ck_assert_int_eq(table_insert(pager, root, -5, (const uint8_t *)"x", 1, &err), ROWFS_DUPLICATE);
	ck_assert_str_eq(err.msg, "Error: duplicate key -5.");
	ck_assert_int_eq(err.sys_errno, EEXIST);
	ck_assert_int_eq(table_insert(pager, root, INT64_MIN, NULL, 0, &err), ROWFS_DUPLICATE);
	ck_assert_str_eq(err.msg, "Error: duplicate key -9223372036854775808.");
	expect_get(pager, root, -5, "-5", 2);
	ck_assert_int_eq(table_row_count(pager, root, &rows, &err), ROWFS_OK);
	ck_assert_uint_eq(rows, n);
	table_cursor_init(&cur, pager, root);
	ck_assert_int_eq(table_cursor_seek_ge(&cur, -4, &err), ROWFS_OK);
	ck_assert_int_eq(cur.key, -1);
	ck_assert_int_eq(table_cursor_seek_le(&cur, -4, &err), ROWFS_OK);
	ck_assert_int_eq(cur.key, -5);
	ck_assert_int_eq(table_cursor_seek_le(&cur, INT64_MIN, &err), ROWFS_OK);
	ck_assert(cur.key == INT64_MIN);
	ck_assert_int_eq(table_cursor_retreat(&cur, &err), ROWFS_OK);
	ck_assert(cur.eof);
	ck_assert_int_eq(table_cursor_seek_ge(&cur, INT64_MAX, &err), ROWFS_OK);
	ck_assert(cur.key == INT64_MAX);
	ck_assert_int_eq(table_cursor_advance(&cur, &err), ROWFS_OK);
	ck_assert(cur.eof);
	table_cursor_free(&cur);
	audit_table(pager, root, FILE_PAGES);
	commit(pager);
	close_pager(pager);
}
END_TEST

/* Records of 1 MiB live in overflow chains; every page comes back. */
START_TEST(test_overflow)
{
	const size_t big = 1u << 20;
	struct pager *pager = open_pager(0);
	struct table_cursor cur;
	struct rowfs_err err;
	const uint8_t *rec;
	uint8_t *r1 = record_of(1, 1, big), *r2 = record_of(2, 1, big), *r3 = record_of(3, 1, big);
	uint32_t root, before;
	size_t len;
	int64_t k;

	begin(pager);
	root = new_table(pager);
	insert_ok(pager, root, 2, r2, big);
	insert_ok(pager, root, 1, r1, big);
	insert_ok(pager, root, -3, r3, big);
	expect_get(pager, root, 1, r1, big);
	expect_get(pager, root, 2, r2, big);
	expect_get(pager, root, -3, r3, big);
	audit_table(pager, root, FILE_PAGES);
	table_cursor_init(&cur, pager, root);
	ck_assert_int_eq(table_cursor_seek_ge(&cur, INT64_MIN, &err), ROWFS_OK);
	ck_assert_int_eq(cur.key, -3);
	ck_assert_int_eq(table_cursor_record(&cur, &rec, &len, &err), ROWFS_OK);
	ck_assert(len == big && memcmp(rec, r3, big) == 0);
	ck_assert_int_eq(table_cursor_advance(&cur, &err), ROWFS_OK);
	ck_assert_int_eq(table_cursor_record(&cur, &rec, &len, &err), ROWFS_OK);
	ck_assert(len == big && memcmp(rec, r1, big) == 0);
	table_cursor_free(&cur);
	/* shrink below the overflow threshold, grow back, delete */
	ck_assert_int_eq(table_replace(pager, root, 1, r1, 10, &err), ROWFS_OK);
	expect_get(pager, root, 1, r1, 10);
	audit_table(pager, root, FILE_PAGES);
	ck_assert_int_eq(table_replace(pager, root, 1, r2, big - 1, &err), ROWFS_OK);
	expect_get(pager, root, 1, r2, big - 1);
	ck_assert_int_eq(table_replace(pager, root, 1, r3, TABLE_MAX_LOCAL + 1, &err), ROWFS_OK);
	expect_get(pager, root, 1, r3, TABLE_MAX_LOCAL + 1);
	audit_table(pager, root, FILE_PAGES);
	/* records right at the thresholds */
	for (k = 10; k < 20; k++) {
		static const size_t sizes[] = { TABLE_MAX_LOCAL, TABLE_MAX_LOCAL + 1,
						TABLE_MIN_LOCAL + TABLE_OVERFLOW_CAPACITY,
						TABLE_MIN_LOCAL + TABLE_OVERFLOW_CAPACITY + 1,
						TABLE_MAX_LOCAL + TABLE_OVERFLOW_CAPACITY,
						TABLE_MAX_LOCAL + TABLE_OVERFLOW_CAPACITY + 1,
						2 * TABLE_OVERFLOW_CAPACITY, 3 * TABLE_OVERFLOW_CAPACITY + 7,
						TABLE_MIN_LOCAL + 1, 0 };

		insert_ok(pager, root, k, r1, sizes[k - 10]);
		expect_get(pager, root, k, r1, sizes[k - 10]);
	}
	audit_table(pager, root, FILE_PAGES);
	before = pager_page_count(pager);
	for (k = 10; k < 20; k++)
		ck_assert_int_eq(table_delete(pager, root, k, &err), ROWFS_OK);
	ck_assert_int_eq(table_delete(pager, root, 1, &err), ROWFS_OK);
	ck_assert_int_eq(table_delete(pager, root, 2, &err), ROWFS_OK);
	ck_assert_int_eq(table_delete(pager, root, -3, &err), ROWFS_OK);
	ck_assert_uint_eq(pager_page_count(pager), before);
	ck_assert_uint_eq(pager_free_count(pager), pager_page_count(pager) - FILE_PAGES - 1);
	audit_table(pager, root, FILE_PAGES);
	ck_assert_int_eq(table_drop(pager, root, &err), ROWFS_OK);
	ck_assert_uint_eq(pager_free_count(pager), pager_page_count(pager) - FILE_PAGES);
	commit(pager);
	close_pager(pager);
	free(r1);
	free(r2);
	free(r3);
}
END_TEST

/* Four of the largest cells (9-byte keys, TABLE_MAX_LOCAL local bytes) fill one leaf. */
START_TEST(test_four_cells)
{
	const size_t ovfl = TABLE_MAX_LOCAL + TABLE_OVERFLOW_CAPACITY;  /* local part: TABLE_MAX_LOCAL */
	struct pager *pager = open_pager(0);
	uint8_t *r = record_of(9, 9, ovfl);
	uint32_t root, depth;
	struct rowfs_err err;
	char *text;

	ck_assert_uint_eq(table_local_size(ovfl), TABLE_MAX_LOCAL);
	begin(pager);
	root = new_table(pager);
	insert_ok(pager, root, -1, r, ovfl);
	insert_ok(pager, root, -2, r, ovfl);
	insert_ok(pager, root, -3, r, ovfl);
	insert_ok(pager, root, -4, r, ovfl);
	ck_assert_int_eq(table_depth(pager, root, &depth, &err), ROWFS_OK);
	ck_assert_uint_eq(depth, 1);
	insert_ok(pager, root, -5, r, TABLE_MAX_LOCAL);
	ck_assert_int_eq(table_depth(pager, root, &depth, &err), ROWFS_OK);
	ck_assert_uint_eq(depth, 2);
	audit_table(pager, root, FILE_PAGES);
	/* four local records of TABLE_MAX_LOCAL bytes with 9-byte keys */
	root = new_table(pager);
	insert_ok(pager, root, INT64_MIN, r, TABLE_MAX_LOCAL);
	insert_ok(pager, root, -9, r, TABLE_MAX_LOCAL);
	insert_ok(pager, root, -8, r, TABLE_MAX_LOCAL);
	insert_ok(pager, root, -7, r, TABLE_MAX_LOCAL);
	ck_assert_int_eq(table_depth(pager, root, &depth, &err), ROWFS_OK);
	ck_assert_uint_eq(depth, 1);
	text = render(pager, root);
	ck_assert_msg(strstr(text, ": 4 cells keys [-9223372036854775808..-7]\n") != NULL, "%s", text);
	free(text);
	commit(pager);
	close_pager(pager);
	free(r);
}
END_TEST

/* Splits, shifts to siblings and deletes, seen through the exact text of table_render. */
START_TEST(test_render)
{
	struct pager *pager = open_pager(0);
	uint8_t *r = record_of(1, 1, TABLE_MAX_LOCAL);   /* 4 cells fill a leaf */
	struct rowfs_err err;
	uint32_t root;
	int64_t k;
	char *text;

	begin(pager);
	root = new_table(pager);
	ck_assert_uint_eq(root, 2);
	for (k = 10; k <= 50; k += 10)
		insert_ok(pager, root, k, r, TABLE_MAX_LOCAL);
	/* the root moved its cells to page 3; 50 went past the end: the left leaf stays full */
	text = render(pager, root);
	ck_assert_str_eq(text, "internal (page 2): 1 keys [40]\n"
			       "  leaf (page 3): 4 cells keys [10..40]\n"
			       "  leaf (page 4): 1 cells keys [50]\n");
	free(text);
	/* page 3 is full, its right sibling has room: the cells shift, nothing splits */
	insert_ok(pager, root, 0, r, TABLE_MAX_LOCAL);
	text = render(pager, root);
	ck_assert_str_eq(text, "internal (page 2): 1 keys [20]\n"
			       "  leaf (page 3): 3 cells keys [0..20]\n"
			       "  leaf (page 4): 3 cells keys [30..50]\n");
	free(text);
	insert_ok(pager, root, 60, r, TABLE_MAX_LOCAL);
	insert_ok(pager, root, -10, r, TABLE_MAX_LOCAL);
	/* both full, no right sibling: half and half by bytes */
	insert_ok(pager, root, 35, r, TABLE_MAX_LOCAL);
	text = render(pager, root);
	ck_assert_str_eq(text, "internal (page 2): 2 keys [20..35]\n"
			       "  leaf (page 3): 4 cells keys [-10..20]\n"
			       "  leaf (page 4): 2 cells keys [30..35]\n"
			       "  leaf (page 5): 3 cells keys [40..60]\n");
	free(text);
	audit_table(pager, root, FILE_PAGES);
	/* shifts to the right sibling, then to the left one */
	insert_ok(pager, root, 15, r, TABLE_MAX_LOCAL);
	text = render(pager, root);
	ck_assert_str_eq(text, "internal (page 2): 2 keys [10..35]\n"
			       "  leaf (page 3): 3 cells keys [-10..10]\n"
			       "  leaf (page 4): 4 cells keys [15..35]\n"
			       "  leaf (page 5): 3 cells keys [40..60]\n");
	free(text);
	insert_ok(pager, root, 36, r, TABLE_MAX_LOCAL);
	insert_ok(pager, root, 25, r, TABLE_MAX_LOCAL);
	text = render(pager, root);
	ck_assert_str_eq(text, "internal (page 2): 2 keys [15..35]\n"
			       "  leaf (page 3): 4 cells keys [-10..15]\n"
			       "  leaf (page 4): 4 cells keys [20..35]\n"
			       "  leaf (page 5): 4 cells keys [36..60]\n");
	free(text);
	audit_table(pager, root, FILE_PAGES);
	/* page 4 empties: freed, unlinked from page 3, its key leaves the root */
	for (k = 20; k <= 35; k += 5)
		ck_assert_int_eq(table_delete(pager, root, k, &err), ROWFS_OK);
	text = render(pager, root);
	ck_assert_str_eq(text, "internal (page 2): 1 keys [15]\n"
			       "  leaf (page 3): 4 cells keys [-10..15]\n"
			       "  leaf (page 5): 4 cells keys [36..60]\n");
	free(text);
	ck_assert_uint_eq(pager_free_count(pager), 1);
	audit_table(pager, root, FILE_PAGES);
	/* the root loses its last key: it takes its only child's cells */
	ck_assert_int_eq(table_delete(pager, root, 36, &err), ROWFS_OK);
	for (k = 40; k <= 60; k += 10)
		ck_assert_int_eq(table_delete(pager, root, k, &err), ROWFS_OK);
	text = render(pager, root);
	ck_assert_str_eq(text, "leaf (page 2): 4 cells keys [-10..15]\n");
	free(text);
	ck_assert_uint_eq(pager_free_count(pager), 3);
	audit_table(pager, root, FILE_PAGES);
	expect_get(pager, root, 0, r, TABLE_MAX_LOCAL);
	commit(pager);
	close_pager(pager);
	free(r);
}
END_TEST

/* ---- internal pages that lose their last key --------------------------------------- */

/* Keys of the internal child i of the root (a page of depth-3 trees). */
static unsigned root_child_keys(struct pager *pager, uint32_t root, unsigned i)
{
	struct page *page, *child;
	struct rowfs_err err;
	uint32_t pgno;
	unsigned n;

	REQUIRE(pager_get(pager, root, &page, &err) == ROWFS_OK, "get");
	REQUIRE(table_internal_child(page_data(page), i, &pgno) == ROWFS_OK, "child %u", i);
	pager_unref(page);
	REQUIRE(pager_get(pager, pgno, &child, &err) == ROWFS_OK, "get");
	REQUIRE(table_page_type(page_data(child)) == NODE_TABLE_INTERNAL, "child %u is a leaf", i);
	n = table_page_count(page_data(child));
	pager_unref(child);
	return n;
}

static unsigned root_keys(struct pager *pager, uint32_t root)
{
	struct page *page;
	struct rowfs_err err;
	unsigned n;

	REQUIRE(pager_get(pager, root, &page, &err) == ROWFS_OK, "get");
	n = table_page_count(page_data(page));
	pager_unref(page);
	return n;
}

static uint32_t depth_of(struct pager *pager, uint32_t root)
{
	struct rowfs_err err;
	uint32_t depth;

	REQUIRE(table_depth(pager, root, &depth, &err) == ROWFS_OK, "depth");
	return depth;
}

/* A sorted key list standing in for the table. */
struct keys {
	int64_t k[4096];
	size_t n;
};

static void keys_insert(struct pager *pager, uint32_t root, struct keys *ks, int64_t key,
			const uint8_t *rec)
{
	size_t i = ks->n;

	insert_ok(pager, root, key, rec, TABLE_MAX_LOCAL);
	ck_assert_uint_lt(ks->n, 4096);
	while (i > 0 && ks->k[i - 1] > key) {
		ks->k[i] = ks->k[i - 1];
		i--;
	}
	ks->k[i] = key;
	ks->n++;
}

static void keys_delete(struct pager *pager, uint32_t root, struct keys *ks, size_t i)
{
	struct rowfs_err err;

	REQUIRE(table_delete(pager, root, ks->k[i], &err) == ROWFS_OK, "delete: %s", err.msg);
	memmove(ks->k + i, ks->k + i + 1, (ks->n - i - 1) * sizeof(ks->k[0]));
	ks->n--;
}

/*
 * Leaves of 4 records of TABLE_MAX_LOCAL bytes give depth-3 trees of a
 * few thousand rows.  An internal page that loses its last key takes a
 * child from a full sibling (left, then right), or moves its only child
 * into a sibling with room and goes; the root then takes its only child's
 * place.  Leaves stay at one depth (the audit).
 */
START_TEST(test_internal_merge)
{
	struct pager *pager = open_pager(0);
	uint8_t *r = record_of(5, 5, TABLE_MAX_LOCAL);
	static struct keys ks;
	uint32_t root;
	int64_t i;
	int64_t sep = 0;

	begin(pager);
	/* 1: the right page B empties next to a full left page A */
	root = new_table(pager);
	ks.n = 0;
	for (i = 0; i < 1400; i++)
		keys_insert(pager, root, &ks, 10 * i, r);
	ck_assert_uint_eq(depth_of(pager, root), 3);
	ck_assert_uint_eq(root_keys(pager, root), 1);
	ck_assert_uint_eq(root_child_keys(pager, root, 0), TABLE_INTERNAL_MAX_KEYS - 1);
	keys_insert(pager, root, &ks, 5, r);
	ck_assert_uint_eq(root_child_keys(pager, root, 0), TABLE_INTERNAL_MAX_KEYS);
	audit_table(pager, root, FILE_PAGES);
	{
		struct page *page;
		struct rowfs_err err;

		REQUIRE(pager_get(pager, root, &page, &err) == ROWFS_OK, "get");
		table_internal_key(page_data(page), 0, &sep);
		pager_unref(page);
	}
	while (ks.k[ks.n - 1] > sep && depth_of(pager, root) == 3) {
		size_t first = ks.n;

		while (first > 0 && ks.k[first - 1] > sep)
			first--;
		keys_delete(pager, root, &ks, first);
		audit_table(pager, root, FILE_PAGES);
		expect_keys(pager, root, ks.k, ks.n);
		/* B borrowed A's last leaf: the separator moved down */
		if (depth_of(pager, root) == 3 && root_keys(pager, root) == 1) {
			struct page *page;
			struct rowfs_err err;

			REQUIRE(pager_get(pager, root, &page, &err) == ROWFS_OK, "get");
			table_internal_key(page_data(page), 0, &sep);
			pager_unref(page);
		}
	}
	ck_assert_uint_eq(depth_of(pager, root), 2);
	ck_assert_uint_eq(root_keys(pager, root), TABLE_INTERNAL_MAX_KEYS);
	audit_table(pager, root, FILE_PAGES);
	expect_keys(pager, root, ks.k, ks.n);
	ck_assert_int_eq(table_drop(pager, root, &(struct rowfs_err){0}), ROWFS_OK);

	/* 2: the left page A empties next to a full right page B */
	root = new_table(pager);
	ks.n = 0;
	for (i = 0; depth_of(pager, root) < 3 || root_child_keys(pager, root, 1) < TABLE_INTERNAL_MAX_KEYS;
	     i++)
		keys_insert(pager, root, &ks, 10 * i, r);
	ck_assert_uint_eq(root_keys(pager, root), 1);
	audit_table(pager, root, FILE_PAGES);
	{
		struct page *page;
		struct rowfs_err err;

		REQUIRE(pager_get(pager, root, &page, &err) == ROWFS_OK, "get");
		table_internal_key(page_data(page), 0, &sep);
		pager_unref(page);
	}
	while (ks.k[0] <= sep && depth_of(pager, root) == 3) {
		keys_delete(pager, root, &ks, 0);
		if (ks.n % 16 == 0 || depth_of(pager, root) < 3 ||
		    root_child_keys(pager, root, 0) < 3) {
			audit_table(pager, root, FILE_PAGES);
			expect_keys(pager, root, ks.k, ks.n);
		}
		if (depth_of(pager, root) == 3 && root_keys(pager, root) == 1) {
			struct page *page;
			struct rowfs_err err;

			REQUIRE(pager_get(pager, root, &page, &err) == ROWFS_OK, "get");
			table_internal_key(page_data(page), 0, &sep);
			pager_unref(page);
		}
	}
	ck_assert_uint_eq(depth_of(pager, root), 2);
	audit_table(pager, root, FILE_PAGES);
	expect_keys(pager, root, ks.k, ks.n);
	while (ks.n > 0)
		keys_delete(pager, root, &ks, ks.n / 2);
	ck_assert_uint_eq(pager_free_count(pager), pager_page_count(pager) - FILE_PAGES - 1);
	commit(pager);
	close_pager(pager);
	free(r);
}
END_TEST

/* ---- the randomized model test ------------------------------------------------------ */

#define BIG_MIN (100u << 10)
#define BIG_MAX (1u << 20)

/* One row of the model: its record is fill_record(key, gen, len). */
struct mrow {
	int64_t key;
	uint32_t len;
	uint32_t gen;
};

/* The model: rows sorted by key. */
struct model {
	struct mrow *rows;
	size_t n, cap;
	unsigned big;        /* rows of BIG_MIN bytes or more */
	uint8_t *want;       /* scratch: an expected record */
};

/* Lowest index with key >= key; *found if it is key. */
static size_t model_find(const struct model *m, int64_t key, int *found)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->rows[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->n && m->rows[lo].key == key;
	return lo;
}

static void model_set_len(struct model *m, struct mrow *r, uint32_t len)
{
	m->big -= r->len >= BIG_MIN;
	r->len = len;
	m->big += len >= BIG_MIN;
}

static int64_t random_key(uint64_t *rng, const struct model *m)
{
	static const int64_t centers[] = { -1000000, 0, 70000, (int64_t)1 << 40, -((int64_t)1 << 50) };
	uint64_t r = tu_next_random(rng);

	switch (r % 10) {
	case 0: case 1: case 2:
		return centers[(r >> 8) % 5] + (int64_t)((r >> 16) % 4000) - 2000;
	case 3: case 4:
		return (int64_t)tu_next_random(rng);
	case 5: case 6: case 7:
		if (m->n)
			return m->rows[(r >> 8) % m->n].key;
		return (int64_t)((r >> 8) % 100);
	case 8:
		return (int64_t)((r >> 8) % 601) - 300;
	default:
		return (r >> 8) & 1 ? INT64_MIN + (int64_t)((r >> 9) % 50)
				    : INT64_MAX - (int64_t)((r >> 9) % 50);
	}
}

static uint32_t random_len(uint64_t *rng, const struct model *m)
{
	uint64_t r = tu_next_random(rng), v = r >> 16;

	switch (r % 1000) {
	case 0: case 1: case 2:
		if (m->big < 6)
			return BIG_MIN + (uint32_t)(v % (BIG_MAX - BIG_MIN + 1));
		/* fall through */
	default:
		if (r % 1000 < 600)
			return (uint32_t)(v % 201);
		if (r % 1000 < 900)
			return (uint32_t)(v % 1300);
		return (uint32_t)(v % 12289);
	}
}

/* One random operation on the table and the model. */
static void model_step(struct pager *pager, uint32_t root, struct model *m, uint64_t *rng)
{
	uint64_t r = tu_next_random(rng) % 100;
	int64_t key = random_key(rng, m);
	uint32_t len = random_len(rng, m), gen = (uint32_t)tu_next_random(rng);
	struct rowfs_err err;
	size_t i;
	int found, rc;

	i = model_find(m, key, &found);
	if (r < 50) {
		uint8_t *rec = m->want;

		fill_record(rec, key, gen, len);
		rc = table_insert(pager, root, key, rec, len, &err);
		if (found) {
			REQUIRE(rc == ROWFS_DUPLICATE, "insert of existing %lld: %s", (long long)key,
				rowfs_rc_name(rc));
			return;
		}
		REQUIRE(rc == ROWFS_OK, "insert %lld (%u bytes): %s", (long long)key, len, err.msg);
		if (m->n == m->cap) {
			m->cap = m->cap ? 2 * m->cap : 1024;
			m->rows = realloc(m->rows, m->cap * sizeof(*m->rows));
			ck_assert_ptr_nonnull(m->rows);
		}
		memmove(m->rows + i + 1, m->rows + i, (m->n - i) * sizeof(*m->rows));
		m->rows[i].key = key;
		m->rows[i].len = 0;
		m->rows[i].gen = gen;
		model_set_len(m, &m->rows[i], len);
		m->n++;
	} else if (r < 70) {
		fill_record(m->want, key, gen, len);
		rc = table_replace(pager, root, key, m->want, len, &err);
		if (!found) {
			REQUIRE(rc == ROWFS_NOTFOUND, "replace of absent %lld: %s", (long long)key,
				rowfs_rc_name(rc));
			return;
		}
		REQUIRE(rc == ROWFS_OK, "replace %lld (%u bytes): %s", (long long)key, len, err.msg);
		m->rows[i].gen = gen;
		model_set_len(m, &m->rows[i], len);
	} else {
		rc = table_delete(pager, root, key, &err);
		if (!found) {
			REQUIRE(rc == ROWFS_NOTFOUND, "delete of absent %lld: %s", (long long)key,
				rowfs_rc_name(rc));
			return;
		}
		REQUIRE(rc == ROWFS_OK, "delete %lld: %s", (long long)key, err.msg);
		model_set_len(m, &m->rows[i], 0);
		memmove(m->rows + i, m->rows + i + 1, (m->n - i - 1) * sizeof(*m->rows));
		m->n--;
	}
}

/* The record under the cursor must be row r's. */
static void expect_cursor_row(struct table_cursor *cur, struct model *m, const struct mrow *r)
{
	struct rowfs_err err;
	const uint8_t *rec;
	size_t len;

	REQUIRE(!cur->eof && cur->key == r->key, "cursor at %lld (eof %d), want %lld",
		(long long)cur->key, cur->eof, (long long)r->key);
	REQUIRE(table_cursor_record(cur, &rec, &len, &err) == ROWFS_OK, "record: %s", err.msg);
	fill_record(m->want, r->key, r->gen, r->len);
	REQUIRE(len == r->len && memcmp(rec, m->want, len) == 0,
		"record of %lld: %zu bytes, want %u (or different bytes)", (long long)r->key, len,
		r->len);
}

/* Compare everything the table shows with the model. */
static void model_verify(struct pager *pager, uint32_t root, struct model *m, uint64_t *rng)
{
	struct table_cursor cur;
	struct rowfs_err err;
	uint64_t rows;
	size_t i;
	int q;

	REQUIRE(table_row_count(pager, root, &rows, &err) == ROWFS_OK, "rows: %s", err.msg);
	REQUIRE(rows == m->n, "row count %llu, model %zu", (unsigned long long)rows, m->n);
	table_cursor_init(&cur, pager, root);
	REQUIRE(table_cursor_seek_ge(&cur, INT64_MIN, &err) == ROWFS_OK, "seek: %s", err.msg);
	for (i = 0; i < m->n; i++) {
		expect_cursor_row(&cur, m, &m->rows[i]);
		REQUIRE(table_cursor_advance(&cur, &err) == ROWFS_OK, "advance: %s", err.msg);
	}
	REQUIRE(cur.eof, "forward walk goes past the model's %zu rows", m->n);
	REQUIRE(table_cursor_seek_le(&cur, INT64_MAX, &err) == ROWFS_OK, "seek: %s", err.msg);
	for (i = m->n; i-- > 0;) {
		if (m->rows[i].len < BIG_MIN)
			expect_cursor_row(&cur, m, &m->rows[i]);
		else
			REQUIRE(!cur.eof && cur.key == m->rows[i].key, "backward at %zu", i);
		REQUIRE(table_cursor_retreat(&cur, &err) == ROWFS_OK, "retreat: %s", err.msg);
	}
	REQUIRE(cur.eof, "backward walk goes past the model's %zu rows", m->n);
	for (q = 0; q < 100; q++) {
		int64_t key = (int64_t)((uint64_t)random_key(rng, m) + tu_next_random(rng) % 3 - 1);
		int found;
		size_t at = model_find(m, key, &found);

		REQUIRE(table_cursor_seek_ge(&cur, key, &err) == ROWFS_OK, "seek_ge: %s", err.msg);
		if (at == m->n) {
			REQUIRE(cur.eof, "seek_ge %lld: at %lld, want eof", (long long)key,
				(long long)cur.key);
		} else {
			REQUIRE(!cur.eof && cur.key == m->rows[at].key, "seek_ge %lld", (long long)key);
			REQUIRE(table_cursor_retreat(&cur, &err) == ROWFS_OK, "retreat");
			REQUIRE(at == 0 ? cur.eof : !cur.eof && cur.key == m->rows[at - 1].key,
				"retreat after seek_ge %lld", (long long)key);
		}
		REQUIRE(table_cursor_seek_le(&cur, key, &err) == ROWFS_OK, "seek_le: %s", err.msg);
		at = found ? at : at - 1;   /* wraps to SIZE_MAX when none is <= key */
		if (at == SIZE_MAX) {
			REQUIRE(cur.eof, "seek_le %lld: at %lld, want eof", (long long)key,
				(long long)cur.key);
		} else {
			if (m->rows[at].len < BIG_MIN)
				expect_cursor_row(&cur, m, &m->rows[at]);
			REQUIRE(!cur.eof && cur.key == m->rows[at].key, "seek_le %lld", (long long)key);
			REQUIRE(table_cursor_advance(&cur, &err) == ROWFS_OK, "advance");
			REQUIRE(at + 1 == m->n ? cur.eof : !cur.eof && cur.key == m->rows[at + 1].key,
				"advance after seek_le %lld", (long long)key);
		}
		if (found && m->rows[at].len < BIG_MIN) {
			fill_record(m->want, key, m->rows[at].gen, m->rows[at].len);
			expect_get(pager, root, key, m->want, m->rows[at].len);
		} else if (!found) {
			expect_absent(pager, root, key);
		}
	}
	table_cursor_free(&cur);
}

static void model_free(struct model *m)
{
	free(m->rows);
	free(m->want);
	memset(m, 0, sizeof(*m));
}

/*
 * ops random operations in batches of batch, each batch a transaction,
 * then a reopen, then every row deleted and the table dropped.  A second
 * table gets a row every batch, so both share the file.
 */
static void run_model(uint32_t cache_pages, unsigned ops, unsigned batch, uint64_t seed)
{
	struct pager *pager = open_pager(cache_pages);
	struct model m;
	struct rowfs_err err;
	uint64_t rng = seed;
	uint32_t root, other;
	unsigned op, batches = 0;
	char *text;
	char line[64];

	memset(&m, 0, sizeof(m));
	m.want = malloc(BIG_MAX);
	ck_assert_ptr_nonnull(m.want);
	begin(pager);
	root = new_table(pager);
	other = new_table(pager);
	for (op = 0; op < ops; op++) {
		model_step(pager, root, &m, &rng);
		if (op % batch == batch - 1) {
			struct audit a, b;

			insert_ok(pager, other, (int64_t)batches, "other", 5);
			batches++;
			commit(pager);
			begin(pager);
			model_verify(pager, root, &m, &rng);
			a = audit_table(pager, root, UINT32_MAX);
			b = audit_table(pager, other, UINT32_MAX);
			REQUIRE(a.pages + b.pages + pager_free_count(pager) + FILE_PAGES ==
					pager_page_count(pager),
				"pages: %u + %u + %u free + 2 != %u", a.pages, b.pages,
				pager_free_count(pager), pager_page_count(pager));
		}
	}
	commit(pager);
	close_pager(pager);
	pager = open_pager(cache_pages);
	begin(pager);
	model_verify(pager, root, &m, &rng);
	/* delete every row, in random order */
	while (m.n > 0) {
		size_t i = tu_next_random(&rng) % m.n;

		REQUIRE(table_delete(pager, root, m.rows[i].key, &err) == ROWFS_OK, "delete: %s", err.msg);
		model_set_len(&m, &m.rows[i], 0);
		memmove(m.rows + i, m.rows + i + 1, (m.n - i - 1) * sizeof(*m.rows));
		m.n--;
		if (m.n % 997 == 0) {
			commit(pager);
			begin(pager);
			model_verify(pager, root, &m, &rng);
		}
	}
	text = render(pager, root);
	snprintf(line, sizeof(line), "leaf (page %u): 0 cells\n", root);
	ck_assert_str_eq(text, line);
	free(text);
	{
		struct audit a = audit_table(pager, root, UINT32_MAX), b;

		b = audit_table(pager, other, UINT32_MAX);
		ck_assert_uint_eq(a.pages, 1);
		ck_assert_uint_eq(b.rows, batches);
		ck_assert_uint_eq(b.pages + pager_free_count(pager) + FILE_PAGES + 1, pager_page_count(pager));
	}
	ck_assert_int_eq(table_drop(pager, root, &err), ROWFS_OK);
	ck_assert_int_eq(table_drop(pager, other, &err), ROWFS_OK);
	ck_assert_uint_eq(pager_free_count(pager), pager_page_count(pager) - FILE_PAGES);
	commit(pager);
	close_pager(pager);
	model_free(&m);
}

START_TEST(test_model)
{
	run_model(0, 40000, 400, tu_seed("ROWFS_SEED", 0x7AB1E5EEDull));
}
END_TEST

START_TEST(test_model_small_cache)
{
	run_model(16, 12000, 200, tu_seed("ROWFS_SEED", 0x5A11CAC4Eull));
}
END_TEST

/* ---- fill factor (ROWFS_SLOW=1) ------------------------------------------------------ */

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Insert n rows of ~100-byte records (keys in order or shuffled); report fill and time. */
static double load(uint32_t n, int shuffled)
{
	struct pager *pager;
	struct timespec t0;
	struct audit a;
	uint8_t rec[110];
	int64_t *keys = malloc(n * sizeof(*keys));
	uint64_t rng = 42;
	uint32_t root, i;
	double secs, fill;

	ck_assert_ptr_nonnull(keys);
	tu_dir_clear();
	for (i = 0; i < n; i++)
		keys[i] = i;
	for (i = n; shuffled && i > 1; i--) {
		uint32_t j = (uint32_t)(tu_next_random(&rng) % i);
		int64_t t = keys[i - 1];

		keys[i - 1] = keys[j];
		keys[j] = t;
	}
	pager = open_pager(0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	begin(pager);
	root = new_table(pager);
	for (i = 0; i < n; i++) {
		size_t len = 90 + (size_t)(keys[i] % 21);

		fill_record(rec, keys[i], 0, len);
		insert_ok(pager, root, keys[i], rec, len);
	}
	commit(pager);
	secs = elapsed(&t0);
	a = audit_table(pager, root, FILE_PAGES);
	fill = (double)a.used_bytes / ((double)a.leaves * TABLE_LEAF_USABLE);
	fprintf(stderr, "check_table: %u %s rows: %.2f s, %u leaves, %u pages, leaf fill %.1f%%\n",
		n, shuffled ? "random-order" : "sequential", secs, a.leaves, a.pages, 100 * fill);
	close_pager(pager);
	free(keys);
	return fill;
}

START_TEST(test_fill)
{
	if (!tu_flag("ROWFS_SLOW"))
		return;
	ck_assert(load(1000000, 0) > 0.97);
	ck_assert(load(1000000, 1) > 0.65);
}
END_TEST

static Suite *table_suite(void)
{
	Suite *s = suite_create("table");
	TCase *tc = tcase_create("hand");

	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_one_row);
	tcase_add_test(tc, test_extreme_keys);
	tcase_add_test(tc, test_overflow);
	tcase_add_test(tc, test_four_cells);
	tcase_add_test(tc, test_render);
	tcase_add_test(tc, test_internal_merge);
	suite_add_tcase(s, tc);
	tc = tcase_create("model");
	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_model);
	tcase_add_test(tc, test_model_small_cache);
	tcase_add_test(tc, test_fill);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_table", table_suite());
}
