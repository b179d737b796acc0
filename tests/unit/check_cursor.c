/*
 * check_cursor.c - white-box unit tests of engine/cursor.c.
 *
 * Owns: cursor_start on an empty table; cursor_seek to each key, between
 * keys, past the end and to 2^32; cursor_advance across leaf boundaries;
 * key order over 50,000 random keys; and damaged sibling chains (a leaf
 * pointing back to an earlier leaf, to itself, to an internal node, out of
 * range), which must give ROWFS_CORRUPT instead of an endless walk.
 *
 * Rows go in through the façade; cursors run on the handle's pager
 * (db_int.h).  Damage is done in memory inside a transaction (pager_get +
 * pager_write) and undone by rowfs_rollback.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree_int.h"
#include "cursor.h"
#include "db_int.h"
#include "format.h"
#include "pager.h"
#include "row.h"
#include "rowfs.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

static struct rowfs_db *open_db(void)
{
	struct rowfs_config cfg = { .path = tu_db_path, .sync = ROWFS_SYNC_OFF };

	return tu_open(&cfg);
}

/* Insert key named "n<key>" in the open transaction; returns the rc. */
static int insert(struct rowfs_db *db, uint32_t key)
{
	struct rowfs_err err;
	char line[64];
	int len = snprintf(line, sizeof(line), "insert %u n%u", key, key);
	int rc = tu_exec_emit(db, line, (size_t)len, tu_expect_executed, NULL, &err);

	REQUIRE(rc == ROWFS_OK || rc == ROWFS_DUPLICATE, "'%s': %s", line, err.msg);
	return rc;
}

/* Insert keys[0..n) in one transaction. */
static void insert_keys(struct rowfs_db *db, const uint32_t *keys, size_t n)
{
	struct rowfs_err err;
	size_t i;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < n; i++)
		REQUIRE(insert(db, keys[i]) == ROWFS_OK, "key %u", keys[i]);
	ck_assert_msg(tu_commit(db, &err) == ROWFS_OK, "commit: %s", err.msg);
}

/* Keys step, 2*step, ..., n*step. */
static struct rowfs_db *open_with_multiples(uint32_t n, uint32_t step)
{
	struct rowfs_db *db = open_db();
	uint32_t *keys = malloc(n * sizeof(*keys)), i;

	ck_assert_ptr_nonnull(keys);
	for (i = 0; i < n; i++)
		keys[i] = (i + 1) * step;
	insert_keys(db, keys, n);
	free(keys);
	return db;
}

/* The row under the cursor must be key, named "n<key>". */
static void require_row(const struct cursor *cur, uint32_t key)
{
	const uint8_t *value;
	struct row row;
	char name[16];

	REQUIRE(!cursor_eof(cur), "eof, want key %u", key);
	REQUIRE(cursor_key(cur) == key, "key %u, want %u", cursor_key(cur), key);
	value = cursor_value(cur);
	REQUIRE(row_decode(value, &row) == ROWFS_OK, "key %u: bad row", key);
	snprintf(name, sizeof(name), "n%u", key);
	REQUIRE(row.id == key && strcmp(row.username, name) == 0, "key %u: row (%u, %s)", key,
		row.id, row.username);
}

/* Seek to key and expect want (or eof when want_eof). */
static void seek_expect(struct pager *pager, uint64_t key, int want_eof, uint32_t want)
{
	struct rowfs_err err;
	struct cursor cur;

	REQUIRE(cursor_seek(pager, key, &cur, &err) == ROWFS_OK, "seek %llu: %s",
		(unsigned long long)key, err.msg);
	if (want_eof)
		REQUIRE(cursor_eof(&cur), "seek %llu: key %u, want eof", (unsigned long long)key,
			cursor_key(&cur));
	else
		require_row(&cur, want);
	cursor_release(&cur);
}

/* Leaves in chain order, from the leftmost; returns the count. */
static uint32_t leaf_chain(struct pager *pager, uint32_t *out, uint32_t max)
{
	struct rowfs_err err;
	struct page *page;
	uint32_t pgno = pager_root(pager), n = 0;

	for (;;) {
		ck_assert_int_eq(pager_get(pager, pgno, &page, &err), ROWFS_OK);
		if (node_type(page_data(page)) == NODE_LEAF)
			break;
		pgno = internal_child(page_data(page), 0);
		pager_unref(page);
	}
	while (page) {
		uint32_t next = leaf_next(page_data(page));

		ck_assert_uint_lt(n, max);
		out[n++] = page_pgno(page);
		pager_unref(page);
		page = NULL;
		if (next)
			ck_assert_int_eq(pager_get(pager, next, &page, &err), ROWFS_OK);
	}
	return n;
}

/* ---- empty table ---------------------------------------------------------- */

START_TEST(test_empty)
{
	struct rowfs_db *db = open_db();
	struct pager *pager = rowfs_db_pager(db);
	struct rowfs_err err;
	struct cursor cur;

	ck_assert_int_eq(cursor_start(pager, &cur, &err), ROWFS_OK);
	ck_assert(cursor_eof(&cur));
	/* advancing at eof is harmless and stays at eof */
	ck_assert_int_eq(cursor_advance(&cur, &err), ROWFS_OK);
	ck_assert(cursor_eof(&cur));
	cursor_release(&cur);

	seek_expect(pager, 0, 1, 0);
	seek_expect(pager, 12345, 1, 0);
	seek_expect(pager, UINT32_MAX, 1, 0);
	seek_expect(pager, (uint64_t)UINT32_MAX + 1, 1, 0);
	seek_expect(pager, UINT64_MAX, 1, 0);
	tu_close(db);
}
END_TEST

START_TEST(test_single_row)
{
	struct rowfs_db *db = open_with_multiples(1, 50);
	struct pager *pager = rowfs_db_pager(db);
	struct rowfs_err err;
	struct cursor cur;

	ck_assert_int_eq(cursor_start(pager, &cur, &err), ROWFS_OK);
	require_row(&cur, 50);
	ck_assert_int_eq(cursor_advance(&cur, &err), ROWFS_OK);
	ck_assert(cursor_eof(&cur));
	cursor_release(&cur);
	seek_expect(pager, 0, 0, 50);
	seek_expect(pager, 50, 0, 50);
	seek_expect(pager, 51, 1, 0);
	tu_close(db);
}
END_TEST

/* ---- seek --------------------------------------------------------------- */

START_TEST(test_seek_every_key)
{
	/* keys 10, 20, ..., 5000: five leaves */
	const uint32_t n = 500, step = 10;
	struct rowfs_db *db = open_with_multiples(n, step);
	struct pager *pager = rowfs_db_pager(db);
	uint32_t i;

	for (i = 1; i <= n; i++) {
		seek_expect(pager, (uint64_t)i * step, 0, i * step);          /* exact */
		seek_expect(pager, (uint64_t)i * step - 5, 0, i * step);      /* between */
		seek_expect(pager, (uint64_t)i * step - step + 1, 0, i * step);
	}
	seek_expect(pager, 0, 0, step);
	seek_expect(pager, (uint64_t)n * step + 1, 1, 0);                /* past the end */
	seek_expect(pager, UINT32_MAX, 1, 0);
	seek_expect(pager, (uint64_t)UINT32_MAX + 1, 1, 0);              /* 2^32 */
	tu_close(db);
}
END_TEST

START_TEST(test_seek_leaf_edges)
{
	/* a key just past the last key of a leaf is the first key of the next one */
	struct rowfs_db *db = open_with_multiples(500, 10);
	struct pager *pager = rowfs_db_pager(db);
	struct rowfs_err err;
	uint32_t leaves[16], n, i;

	n = leaf_chain(pager, leaves, 16);
	ck_assert_uint_eq(n, 5);
	for (i = 0; i + 1 < n; i++) {
		struct page *a, *b;
		uint32_t last, first;

		ck_assert_int_eq(pager_get(pager, leaves[i], &a, &err), ROWFS_OK);
		ck_assert_int_eq(pager_get(pager, leaves[i + 1], &b, &err), ROWFS_OK);
		last = leaf_key(page_data(a), leaf_num_cells(page_data(a)) - 1);
		first = leaf_key(page_data(b), 0);
		pager_unref(a);
		pager_unref(b);
		seek_expect(pager, last, 0, last);
		seek_expect(pager, (uint64_t)last + 1, 0, first);
	}
	tu_close(db);
}
END_TEST

START_TEST(test_seek_extremes)
{
	uint32_t keys[] = {0, 1, UINT32_MAX - 1, UINT32_MAX};
	struct rowfs_db *db = open_db();
	struct pager *pager = rowfs_db_pager(db);
	struct rowfs_err err;
	struct cursor cur;

	insert_keys(db, keys, 4);
	seek_expect(pager, 0, 0, 0);
	seek_expect(pager, 2, 0, UINT32_MAX - 1);
	seek_expect(pager, UINT32_MAX, 0, UINT32_MAX);
	seek_expect(pager, (uint64_t)UINT32_MAX + 1, 1, 0);
	ck_assert_int_eq(cursor_seek(pager, UINT32_MAX - 1, &cur, &err), ROWFS_OK);
	require_row(&cur, UINT32_MAX - 1);
	ck_assert_int_eq(cursor_advance(&cur, &err), ROWFS_OK);
	require_row(&cur, UINT32_MAX);
	ck_assert_int_eq(cursor_advance(&cur, &err), ROWFS_OK);
	ck_assert(cursor_eof(&cur));
	cursor_release(&cur);
	tu_close(db);
}
END_TEST

/* ---- advance -------------------------------------------------------------- */

START_TEST(test_advance_across_leaves)
{
	const uint32_t n = 1000;
	struct rowfs_db *db = open_with_multiples(n, 3);
	struct pager *pager = rowfs_db_pager(db);
	struct rowfs_err err;
	struct cursor cur;
	uint32_t count = 0, changes = 0, leaf = 0;

	ck_assert_int_eq(cursor_start(pager, &cur, &err), ROWFS_OK);
	while (!cursor_eof(&cur)) {
		count++;
		require_row(&cur, count * 3);
		if (page_pgno(cur.leaf) != leaf) {
			changes++;
			leaf = page_pgno(cur.leaf);
		}
		REQUIRE(cursor_advance(&cur, &err) == ROWFS_OK, "advance: %s", err.msg);
	}
	cursor_release(&cur);
	ck_assert_uint_eq(count, n);
	/* sequential inserts: full leaves of 102 */
	ck_assert_uint_eq(changes, (n + LEAF_NODE_MAX_CELLS - 1) / LEAF_NODE_MAX_CELLS);

	/* from the middle of a leaf to the end */
	ck_assert_int_eq(cursor_seek(pager, 1501, &cur, &err), ROWFS_OK);
	count = 0;
	while (!cursor_eof(&cur)) {
		require_row(&cur, 1503 + count * 3);
		count++;
		REQUIRE(cursor_advance(&cur, &err) == ROWFS_OK, "advance: %s", err.msg);
	}
	cursor_release(&cur);
	ck_assert_uint_eq(count, n - 500);
	tu_close(db);
}
END_TEST

START_TEST(test_random_order)
{
	const uint32_t n = 50000;
	struct rowfs_db *db = open_db();
	struct pager *pager = rowfs_db_pager(db);
	uint32_t *keys = malloc(n * sizeof(*keys)), inserted = 0, i;
	uint64_t state = 77;
	struct rowfs_err err;
	struct cursor cur;

	ck_assert_ptr_nonnull(keys);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	while (inserted < n) {
		uint32_t key = (uint32_t)tu_next_random(&state);

		if (insert(db, key) == ROWFS_OK)
			keys[inserted++] = key;
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	qsort(keys, n, sizeof(*keys), tu_cmp_u32);

	ck_assert_int_eq(cursor_start(pager, &cur, &err), ROWFS_OK);
	for (i = 0; i < n; i++) {
		require_row(&cur, keys[i]);
		REQUIRE(cursor_advance(&cur, &err) == ROWFS_OK, "advance at %u: %s", i, err.msg);
	}
	ck_assert(cursor_eof(&cur));
	cursor_release(&cur);

	/* seeks to random keys and to the gaps next to them */
	for (i = 0; i < 2000; i++) {
		uint32_t j = (uint32_t)(tu_next_random(&state) % n);

		seek_expect(pager, keys[j], 0, keys[j]);
		if (j > 0 && keys[j - 1] + 1 < keys[j])
			seek_expect(pager, (uint64_t)keys[j - 1] + 1, 0, keys[j]);
	}
	free(keys);
	tu_close(db);
}
END_TEST

/* ---- damaged sibling chains --------------------------------------------- */

/* Set the next pointer of leaf pgno to next, in memory, in the open transaction. */
static void set_next(struct rowfs_db *db, uint32_t pgno, uint32_t next)
{
	struct pager *pager = rowfs_db_pager(db);
	struct rowfs_err err;
	struct page *page;

	ck_assert_int_eq(pager_get(pager, pgno, &page, &err), ROWFS_OK);
	ck_assert_int_eq(pager_write(page, &err), ROWFS_OK);
	set_leaf_next(page_data(page), next);
	pager_unref(page);
}

/* Walk from the start with a step bound; returns the rc that stopped it. */
static int bounded_walk(struct pager *pager, uint32_t bound, struct rowfs_err *err,
			uint32_t *steps)
{
	struct cursor cur;
	int rc = cursor_start(pager, &cur, err);

	*steps = 0;
	while (rc == ROWFS_OK && !cursor_eof(&cur)) {
		REQUIRE(++*steps <= bound, "cursor still going after %u rows", bound);
		rc = cursor_advance(&cur, err);
	}
	REQUIRE(cursor_eof(&cur), "cursor not at eof after rc %d", rc);
	cursor_release(&cur);
	return rc;
}

static int count_row(void *ctx, uint32_t id, const char *name, size_t name_len)
{
	uint32_t *count = ctx;

	(void)id;
	(void)name;
	(void)name_len;
	if (++*count > 100000)
		return 1; /* a loop: stop, the test fails on the count */
	return 0;
}

/* Where damaged_chain points the third leaf. */
enum target {
	TARGET_LEAF,     /* value: index of a leaf in the chain */
	TARGET_ROOT,     /* the root, an internal node */
	TARGET_PAGE      /* value: a raw page number */
};

/*
 * Build 500 rows (five leaves), point the third leaf's next pointer
 * elsewhere, and require ROWFS_CORRUPT (with want_msg_part in the message)
 * from cursors and from rowfs_scan, after exactly the rows before the
 * damage; then roll back and require a clean walk again.
 */
static void damaged_chain(enum target target, uint32_t value, const char *want_msg_part)
{
	struct rowfs_db *db = open_with_multiples(500, 1);
	struct pager *pager = rowfs_db_pager(db);
	struct rowfs_err err;
	uint32_t leaves[16], n, steps, count = 0, next;
	int rc;

	n = leaf_chain(pager, leaves, 16);
	ck_assert_uint_eq(n, 5);
	if (target == TARGET_LEAF)
		next = leaves[value];
	else
		next = target == TARGET_ROOT ? pager_root(pager) : value;
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	set_next(db, leaves[2], next);

	memset(&err, 0, sizeof(err));
	rc = bounded_walk(pager, 1000, &err, &steps);
	ck_assert_msg(rc == ROWFS_CORRUPT, "rc %d after %u rows (%s)", rc, steps, err.msg);
	ck_assert_int_eq(err.rc, ROWFS_CORRUPT);
	ck_assert_msg(strstr(err.msg, want_msg_part), "message '%s'", err.msg);
	ck_assert_uint_eq(steps, 3 * LEAF_NODE_MAX_CELLS); /* the first three leaves, once */

	memset(&err, 0, sizeof(err));
	rc = tu_scan(db, 0, count_row, &count, &err);
	ck_assert_msg(rc == ROWFS_CORRUPT, "scan rc %d after %u rows", rc, count);
	ck_assert_uint_eq(count, 3 * LEAF_NODE_MAX_CELLS);

	/* a seek to the last key of the damaged leaf fails the same way */
	memset(&err, 0, sizeof(err));
	count = 0;
	rc = tu_scan(db, 3 * LEAF_NODE_MAX_CELLS, count_row, &count, &err);
	ck_assert_int_eq(rc, ROWFS_CORRUPT);
	ck_assert_uint_eq(count, 1);

	/* rollback restores the chain */
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	ck_assert_int_eq(bounded_walk(pager, 1000, &err, &steps), ROWFS_OK);
	ck_assert_uint_eq(steps, 500);
	tu_close(db);
}

START_TEST(test_chain_back_to_first)
{
	damaged_chain(TARGET_LEAF, 0, "bad sibling pointer");
}
END_TEST

START_TEST(test_chain_back_to_previous)
{
	damaged_chain(TARGET_LEAF, 1, "bad sibling pointer");
}
END_TEST

START_TEST(test_chain_to_itself)
{
	damaged_chain(TARGET_LEAF, 2, "bad sibling pointer");
}
END_TEST

START_TEST(test_chain_to_internal)
{
	damaged_chain(TARGET_ROOT, 0, "bad sibling pointer");
}
END_TEST

START_TEST(test_chain_out_of_range)
{
	damaged_chain(TARGET_PAGE, 1000000, "out of range");
}
END_TEST

static Suite *cursor_suite(void)
{
	Suite *s = suite_create("cursor");
	TCase *tc;

	tc = tcase_create("seek");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_single_row);
	tcase_add_test(tc, test_seek_every_key);
	tcase_add_test(tc, test_seek_leaf_edges);
	tcase_add_test(tc, test_seek_extremes);
	suite_add_tcase(s, tc);

	tc = tcase_create("advance");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_advance_across_leaves);
	tcase_add_test(tc, test_random_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("corrupt");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_chain_back_to_first);
	tcase_add_test(tc, test_chain_back_to_previous);
	tcase_add_test(tc, test_chain_to_itself);
	tcase_add_test(tc, test_chain_to_internal);
	tcase_add_test(tc, test_chain_out_of_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_cursor", cursor_suite());
}
