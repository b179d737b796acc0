/*
 * check_delete.c - unit tests of `delete ID` and `update ID NAME`, through
 * the façade (rowfs_exec, as rowsh and ctl run them), with the tree looked
 * at through the pager of the handle (db_int.h, btree_int.h).
 *
 * Owns the delete policy of btree.c as a user sees it (rowfs(5)): no merge
 * or redistribution; a leaf that empties is unlinked from the sibling chain
 * and freed; an internal node left without children is freed; a root left
 * with one child collapses into it (the depth goes down); deleting every
 * row leaves an empty root leaf; freed pages are reused before the file
 * grows.  Also: update rewrites the name in place; the ENOENT error
 * "Error: no such key 42." changes nothing; read-only and rollback; the
 * delete (2) and update (3) records of the WAL replayed after a crash
 * (files copied aside while the database is open, and a child process
 * killed with SIGKILL after its commits); and a randomized model test of
 * mixed insert/delete/update statements.
 *
 * Test cases (CK_RUN_CASE=name runs one):
 *   shape    root leaf, emptied first/middle/last leaves, root collapse
 *            from depth 3 to 2 to 1, an internal node with no keys freed,
 *            delete everything, re-insert from the free list
 *   stmt     update in place, absent keys, stale separators, one
 *            transaction mixing all three, rollback, read-only
 *   replay   copied files, kill -9
 *   model    mixed operations (insert 50 / delete 30 / update 20
 *            over a key range where about 60% of the keys are present, so
 *            every kind both hits and misses; runs of consecutive keys
 *            empty and fill whole leaves), transactions of 1..300
 *            statements, 1 in 20 rolled back; rowfs_check every 50,000
 *            operations, the whole table compared every 100,000 and after
 *            each of three reopens; after every statement the page count
 *            moves only when the free list is empty; at the end everything
 *            is deleted and re-inserted twice, and the file never grows.
 *            1,000,000 operations, the count, in the default run
 *            (about 2 s); ROWFS_SLOW=1 runs 5,000,000.
 *
 * The seed is fixed and printed on failure; ROWFS_SEED=N runs another one.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "btree.h"
#include "btree_int.h"
#include "db_int.h"
#include "format.h"
#include "pager.h"
#include "rowfs.h"
#include "testutil.h"

#define DEFAULT_SEED 20250301ull

static uint64_t seed = DEFAULT_SEED;   /* set in main() from ROWFS_SEED */
static int slow;                       /* ROWFS_SLOW=1 */

/* ---- helpers ------------------------------------------------------------ */

static struct rowfs_db *open_path(const char *path, int read_only, uint32_t cache_pages)
{
	struct rowfs_config cfg = {
		.path = path, .read_only = read_only, .sync = ROWFS_SYNC_OFF, .cache_pages = cache_pages
	};

	return tu_open(&cfg);
}

static struct rowfs_db *open_db(void)
{
	return open_path(tu_db_path, 0, 0);
}

/* Reply of line, run in its own transaction (caller frees); "" if it emitted nothing. */
static char *reply_of(struct rowfs_db *db, const char *line)
{
	char *text = tu_reply_of(db, line);

	return text ? text : strdup("");
}

static struct rowfs_stats stats_of(struct rowfs_db *db)
{
	struct rowfs_stats st;

	tu_stats(db, &st);
	return st;
}

/*
 * Run line in its own transaction and require failure with rc, errno and
 * exactly msg: nothing emitted, nothing committed, the table, the tree, the
 * page counts and the WAL unchanged, the error counter up by one.
 */
static void expect_error(struct rowfs_db *db, const char *line, int want_rc, int want_errno,
			 const char *want_msg)
{
	struct rowfs_stats before, after;
	struct rowfs_err err;
	struct tu_buf out = {0};
	char *rows_before, *rows_after, *tree_before, *tree_after;
	int rc;

	rows_before = reply_of(db, "select");
	tree_before = reply_of(db, ".btree");
	before = stats_of(db);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	rc = tu_exec(db, line, &out, &err);
	ck_assert_msg(rc == want_rc, "'%s': rc %s, want %s (%s)", line, rowfs_rc_name(rc),
		      rowfs_rc_name(want_rc), err.msg);
	ck_assert_int_eq(err.rc, want_rc);
	ck_assert_int_eq(rowfs_errno(rc), want_errno);
	ck_assert_str_eq(err.msg, want_msg);
	ck_assert_msg(out.len == 0, "'%s' emitted '%s'", line, out.data);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	after = stats_of(db);
	ck_assert_uint_eq(after.errors, before.errors + 1);
	ck_assert_uint_eq(after.statements, before.statements + 1);
	ck_assert_uint_eq(after.rows, before.rows);
	ck_assert_uint_eq(after.pages, before.pages);
	ck_assert_uint_eq(after.free_pages, before.free_pages);
	ck_assert_uint_eq(after.commits, before.commits);
	ck_assert_uint_eq(after.wal_bytes, before.wal_bytes);
	rows_after = reply_of(db, "select");
	tree_after = reply_of(db, ".btree");
	ck_assert_str_eq(rows_after, rows_before);
	ck_assert_str_eq(tree_after, tree_before);
	free(rows_before);
	free(rows_after);
	free(tree_before);
	free(tree_after);
	tu_buf_free(&out);
}

/* Run "VERB key ..." for key = first, first+step, ... (count keys), commit every `batch`. */
static void run_keys(struct rowfs_db *db, const char *verb, uint32_t first, int64_t step,
		     uint32_t count, uint32_t batch)
{
	struct rowfs_err err;
	char line[80];
	uint32_t i;

	for (i = 0; i < count; i++) {
		uint32_t key = (uint32_t)((int64_t)first + step * (int64_t)i);
		int len, rc;

		if (i % batch == 0)
			REQUIRE(tu_begin(db, &err) == ROWFS_OK, "begin: %s", err.msg);
		if (strcmp(verb, "delete") == 0)
			len = snprintf(line, sizeof(line), "delete %u", key);
		else
			len = snprintf(line, sizeof(line), "%s %u u%u", verb, key, key);
		rc = tu_exec_emit(db, line, (size_t)len, tu_expect_executed, NULL, &err);
		REQUIRE(rc == ROWFS_OK, "'%s': %s", line, err.msg);
		if (i % batch == batch - 1 || i == count - 1)
			REQUIRE(tu_commit(db, &err) == ROWFS_OK, "commit: %s", err.msg);
	}
}

/* insert first..last ascending, named "u<key>". */
static void insert_range(struct rowfs_db *db, uint32_t first, uint32_t last, uint32_t batch)
{
	run_keys(db, "insert", first, 1, last - first + 1, batch);
}

/* delete first..last, ascending or (descending = 1) descending. */
static void delete_range(struct rowfs_db *db, uint32_t first, uint32_t last, int descending,
			 uint32_t batch)
{
	if (descending)
		run_keys(db, "delete", last, -1, last - first + 1, batch);
	else
		run_keys(db, "delete", first, 1, last - first + 1, batch);
}

/* ---- looking at the tree -------------------------------------------------- */

/* Copy of one page (so no page reference is held while a test looks at it). */
struct node {
	uint8_t data[PAGE_SIZE];
};

static void read_node(struct rowfs_db *db, uint32_t pgno, struct node *out)
{
	tu_read_page(db, pgno, out->data);
}

static uint8_t page_type(struct rowfs_db *db, uint32_t pgno)
{
	struct node n;

	read_node(db, pgno, &n);
	return node_type(n.data);
}

/* The leaves in key order, found by walking the tree from the root. */
struct leaves {
	uint32_t *pgno;
	size_t n, cap;
};

static void collect_leaves(struct rowfs_db *db, uint32_t pgno, uint32_t depth, struct leaves *l)
{
	struct node *n = malloc(sizeof(*n));

	REQUIRE(n, "out of memory");
	REQUIRE(depth <= BTREE_MAX_DEPTH, "page %u: too deep", pgno);
	read_node(db, pgno, n);
	if (node_type(n->data) == NODE_LEAF) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 64;
			l->pgno = realloc(l->pgno, l->cap * sizeof(*l->pgno));
			REQUIRE(l->pgno, "out of memory");
		}
		l->pgno[l->n++] = pgno;
	} else {
		uint32_t i, keys = internal_num_keys(n->data);

		REQUIRE(node_type(n->data) == NODE_INTERNAL, "page %u: type %u in the tree", pgno,
			node_type(n->data));
		for (i = 0; i <= keys; i++)
			collect_leaves(db, internal_child(n->data, i), depth + 1, l);
	}
	free(n);
}

/*
 * The sibling chain from the leftmost leaf must visit exactly the leaves of
 * the tree in key order, every leaf but a root leaf non-empty, keys
 * strictly increasing across the chain.  Returns the number of leaves.
 */
static size_t check_leaf_chain(struct rowfs_db *db, const char *what)
{
	struct pager *pager = rowfs_db_pager(db);
	struct leaves l = {0};
	struct node n;
	uint64_t cells = 0;
	int64_t last_key = -1;
	size_t i, count;

	collect_leaves(db, pager_root(pager), 0, &l);
	for (i = 0; i < l.n; i++) {
		uint32_t c, want_next = i + 1 < l.n ? l.pgno[i + 1] : 0;

		read_node(db, l.pgno[i], &n);
		REQUIRE(leaf_next(n.data) == want_next, "%s: leaf %u: next %u, want %u", what,
			l.pgno[i], leaf_next(n.data), want_next);
		REQUIRE(leaf_num_cells(n.data) > 0 || l.n == 1, "%s: leaf %u is empty", what,
			l.pgno[i]);
		for (c = 0; c < leaf_num_cells(n.data); c++) {
			REQUIRE((int64_t)leaf_key(n.data, c) > last_key,
				"%s: leaf %u: key %u after %lld", what, l.pgno[i],
				leaf_key(n.data, c), (long long)last_key);
			last_key = leaf_key(n.data, c);
		}
		cells += leaf_num_cells(n.data);
	}
	REQUIRE(cells == pager_row_count(pager), "%s: %llu cells, %llu rows", what,
		(unsigned long long)cells, (unsigned long long)pager_row_count(pager));
	count = l.n;
	free(l.pgno);
	return count;
}

/* Page of the leaf that holds key (or would). */
static uint32_t leaf_of(struct rowfs_db *db, uint32_t key)
{
	uint32_t pgno = pager_root(rowfs_db_pager(db)), depth = 0;
	struct node n;

	for (;;) {
		uint32_t i, keys;

		read_node(db, pgno, &n);
		if (node_type(n.data) == NODE_LEAF)
			return pgno;
		REQUIRE(++depth <= BTREE_MAX_DEPTH, "too deep");
		keys = internal_num_keys(n.data);
		for (i = 0; i < keys && internal_key(n.data, i) < key; i++)
			;
		pgno = internal_child(n.data, i);
	}
}

static void shuffle(uint32_t *a, size_t n, uint64_t *rng)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t j = (size_t)(tu_next_random(rng) % i);
		uint32_t t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* ---- shape ---------------------------------------------------------------- */

START_TEST(test_root_leaf)
{
	struct rowfs_db *db = open_db();
	struct rowfs_stats st;
	char *text;

	insert_range(db, 1, 10, 10);
	tu_expect_reply(db, "delete 5", "Executed.\n");
	tu_expect_reply(db, "DELETE 1", "Executed.\n");
	tu_expect_reply(db, "  delete\t010  ", "Executed.\n");
	tu_expect_reply(db, "select",
		     "(2, u2)\n(3, u3)\n(4, u4)\n(6, u6)\n(7, u7)\n(8, u8)\n(9, u9)\n");
	tu_expect_reply(db, ".btree", "leaf (page 1): 7 cells keys [2..9]\n");
	st = stats_of(db);
	ck_assert_uint_eq(st.rows, 7);
	ck_assert_uint_eq(st.pages, 2);
	ck_assert_uint_eq(st.free_pages, 0);
	ck_assert_uint_eq(st.depth, 1);
	tu_require_clean(db, "root leaf");

	/* every row: the root leaf stays, empty */
	run_keys(db, "delete", 2, 1, 3, 10);
	run_keys(db, "delete", 6, 1, 4, 10);
	tu_expect_reply(db, "select", "(empty table)\n");
	tu_expect_reply(db, ".btree", "leaf (page 1): 0 cells keys []\n");
	st = stats_of(db);
	ck_assert_uint_eq(st.rows, 0);
	ck_assert_uint_eq(st.pages, 2);
	ck_assert_uint_eq(st.free_pages, 0);
	ck_assert_uint_eq(st.depth, 1);
	tu_require_clean(db, "empty root leaf");
	tu_close(db);

	db = open_db();
	tu_expect_reply(db, "select", "(empty table)\n");
	tu_require_clean(db, "empty root leaf, reopened");
	tu_expect_reply(db, "insert 5 again", "Executed.\n");
	text = tu_table_text(db);
	ck_assert_str_eq(text, "5=again ");
	free(text);
	ck_assert_uint_eq(stats_of(db).pages, 2);
	tu_close(db);
}
END_TEST

START_TEST(test_emptied_leaves)
{
	/* 1..300 sequential: leaves 1 [1..102], 2 [103..204], 4 [205..300] under root 3 */
	struct rowfs_db *db = open_db();
	struct rowfs_stats st;
	struct node n;

	insert_range(db, 1, 300, 300);
	tu_expect_reply(db, ".btree",
		     "internal (page 3): 2 keys [102..204]\n"
		     "  leaf (page 1): 102 cells keys [1..102]\n"
		     "  leaf (page 2): 102 cells keys [103..204]\n"
		     "  leaf (page 4): 96 cells keys [205..300]\n");
	ck_assert_uint_eq(check_leaf_chain(db, "before"), 3);

	/* the middle leaf, all but one row: nothing is freed */
	delete_range(db, 104, 204, 0, 50);
	st = stats_of(db);
	ck_assert_uint_eq(st.free_pages, 0);
	ck_assert_uint_eq(st.rows, 199);
	/* its last row: the leaf is freed and the chain skips it */
	tu_expect_reply(db, "delete 103", "Executed.\n");
	st = stats_of(db);
	ck_assert_uint_eq(st.rows, 198);
	ck_assert_uint_eq(st.pages, 5);
	ck_assert_uint_eq(st.free_pages, 1);
	ck_assert_uint_eq(st.depth, 2);
	ck_assert_uint_eq(page_type(db, 2), NODE_FREE);
	ck_assert_uint_eq(pager_free_head(rowfs_db_pager(db)), 2);
	read_node(db, 1, &n);
	ck_assert_uint_eq(leaf_next(n.data), 4);
	tu_expect_reply(db, ".btree",
		     "internal (page 3): 1 keys [102]\n"
		     "  leaf (page 1): 102 cells keys [1..102]\n"
		     "  leaf (page 4): 96 cells keys [205..300]\n");
	ck_assert_uint_eq(check_leaf_chain(db, "middle leaf freed"), 2);
	tu_require_clean(db, "middle leaf freed");

	/* refill: the splits take page 2 back before the file grows */
	insert_range(db, 103, 204, 102);
	st = stats_of(db);
	ck_assert_uint_eq(st.rows, 300);
	ck_assert_uint_eq(st.free_pages, 0);
	ck_assert_uint_eq(page_type(db, 2), NODE_LEAF);
	ck_assert_uint_eq(st.pages, 2 + check_leaf_chain(db, "refilled"));
	tu_require_clean(db, "refilled");
	tu_close(db);
}
END_TEST

START_TEST(test_first_and_last_leaf_and_collapse)
{
	struct rowfs_db *db = open_db();
	struct rowfs_stats st;
	struct node n;

	insert_range(db, 1, 300, 300);

	/* the last leaf: the root's right child becomes leaf 2, whose next is 0 */
	delete_range(db, 205, 300, 1, 40);
	st = stats_of(db);
	ck_assert_uint_eq(st.free_pages, 1);
	ck_assert_uint_eq(page_type(db, 4), NODE_FREE);
	read_node(db, 2, &n);
	ck_assert_uint_eq(leaf_next(n.data), 0);
	tu_expect_reply(db, ".btree",
		     "internal (page 3): 1 keys [102]\n"
		     "  leaf (page 1): 102 cells keys [1..102]\n"
		     "  leaf (page 2): 102 cells keys [103..204]\n");
	ck_assert_uint_eq(check_leaf_chain(db, "last leaf freed"), 2);
	tu_require_clean(db, "last leaf freed");

	/* the first leaf: the root keeps one child and collapses into it */
	delete_range(db, 1, 102, 0, 102);
	st = stats_of(db);
	ck_assert_uint_eq(st.depth, 1);
	ck_assert_uint_eq(st.rows, 102);
	ck_assert_uint_eq(st.pages, 5);
	ck_assert_uint_eq(st.free_pages, 3);   /* leaves 4 and 1, the old root 3 */
	ck_assert_uint_eq(pager_root(rowfs_db_pager(db)), 2);
	ck_assert_uint_eq(page_type(db, 1), NODE_FREE);
	ck_assert_uint_eq(page_type(db, 3), NODE_FREE);
	read_node(db, 2, &n);
	ck_assert(node_is_root(n.data));
	ck_assert_uint_eq(node_parent(n.data), 0);
	tu_expect_reply(db, ".btree", "leaf (page 2): 102 cells keys [103..204]\n");
	tu_require_clean(db, "collapsed to a leaf");

	/* the new root leaf splits again, from free pages only: two leaves and a root */
	insert_range(db, 205, 400, 200);
	st = stats_of(db);
	ck_assert_uint_eq(st.depth, 2);
	ck_assert_uint_eq(st.pages, 5);
	ck_assert_uint_eq(st.free_pages, 0);
	tu_require_clean(db, "regrown");
	ck_assert_uint_eq(check_leaf_chain(db, "regrown"), 3);
	tu_close(db);

	db = open_db();
	tu_require_clean(db, "reopened");
	ck_assert_uint_eq(check_leaf_chain(db, "reopened"), 3);
	tu_close(db);
}
END_TEST

START_TEST(test_collapse_from_depth3)
{
	/*
	 * 60,000 sequential rows: root [52122] over a left node of 510 keys
	 * (511 full leaves, 1..52122) and a right node of 77 keys (78 leaves,
	 * 52123..60000); 593 pages.
	 */
	const uint32_t rows = 60000, full = 52122;
	struct rowfs_db *db = open_db();
	struct pager *pager;
	struct rowfs_stats st;
	uint64_t rng = seed;
	uint32_t *keys, i, last_left, first_right, pages, depth_seen = 0;
	struct node n;
	char *text;
	struct stat sb;

	insert_range(db, 1, rows, 10000);
	st = stats_of(db);
	ck_assert_uint_eq(st.depth, 3);
	pages = st.pages;
	ck_assert_uint_eq(pages, 593);
	last_left = leaf_of(db, full);
	first_right = leaf_of(db, full + 1);
	ck_assert_uint_ne(last_left, first_right);

	/* the first leaf of the right subtree: its predecessor is in the left subtree */
	delete_range(db, full + 1, full + LEAF_NODE_MAX_CELLS, 0, 50);
	ck_assert_uint_eq(page_type(db, first_right), NODE_FREE);
	read_node(db, last_left, &n);
	ck_assert_uint_eq(leaf_next(n.data), leaf_of(db, full + LEAF_NODE_MAX_CELLS + 1));
	ck_assert_uint_eq(check_leaf_chain(db, "first right leaf"), 588);
	tu_require_clean(db, "first right leaf");

	/* the rest of the right subtree, from the end: depth 3 until its last row */
	delete_range(db, full + LEAF_NODE_MAX_CELLS + 2, rows, 1, 1000);
	st = stats_of(db);
	ck_assert_uint_eq(st.depth, 3);
	ck_assert_uint_eq(st.free_pages, 77);
	tu_expect_reply(db, "delete 52225", "Executed.\n");
	st = stats_of(db);
	ck_assert_uint_eq(st.depth, 2);
	ck_assert_uint_eq(st.rows, full);
	ck_assert_uint_eq(st.pages, pages);
	ck_assert_uint_eq(st.free_pages, 80);   /* 78 leaves, the right node, the old root */
	read_node(db, last_left, &n);
	ck_assert_uint_eq(leaf_next(n.data), 0);
	text = reply_of(db, ".btree");
	ck_assert_msg(strncmp(text, "internal (page ", 15) == 0 &&
			      strstr(text, "): 510 keys [102..") && !strstr(text, "\n    "),
		      ".btree starts '%.80s'", text);
	free(text);
	ck_assert_uint_eq(check_leaf_chain(db, "right subtree gone"), 511);
	tu_require_clean(db, "right subtree gone");

	/* everything else, in random order */
	keys = malloc(full * sizeof(*keys));
	ck_assert_ptr_nonnull(keys);
	for (i = 0; i < full; i++)
		keys[i] = i + 1;
	shuffle(keys, full, &rng);
	for (i = 0; i < full; i += 2000) {
		struct rowfs_err err;
		uint32_t j;

		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		for (j = i; j < i + 2000 && j < full; j++) {
			char line[32];
			int len = snprintf(line, sizeof(line), "delete %u", keys[j]);

			REQUIRE(tu_exec_emit(db, line, (size_t)len, tu_expect_executed, NULL, &err) ==
					ROWFS_OK,
				"'%s': %s", line, err.msg);
		}
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
		st = stats_of(db);
		depth_seen |= 1u << st.depth;
		ck_assert_uint_eq(st.pages, pages);
		ck_assert_uint_eq(st.rows, full - j);
		check_leaf_chain(db, "random deletes");
		tu_require_clean(db, "random deletes");
	}
	ck_assert_uint_eq(depth_seen, (1u << 1) | (1u << 2));
	st = stats_of(db);
	ck_assert_uint_eq(st.rows, 0);
	ck_assert_uint_eq(st.depth, 1);
	ck_assert_uint_eq(st.free_pages, pages - 2);
	tu_expect_reply(db, "select", "(empty table)\n");
	text = reply_of(db, ".btree");
	ck_assert_msg(strstr(text, "): 0 cells keys []\n") && strncmp(text, "leaf (page ", 11) == 0,
		      ".btree '%s'", text);
	free(text);
	tu_close(db);

	db = open_db();
	pager = rowfs_db_pager(db);
	tu_require_clean(db, "empty, reopened");
	ck_assert_uint_eq(pager_page_count(pager), pages);
	ck_assert_uint_eq(pager_free_count(pager), pages - 2);

	/* the same rows again: every page comes from the free list */
	insert_range(db, 1, rows, 10000);
	st = stats_of(db);
	ck_assert_uint_eq(st.depth, 3);
	ck_assert_uint_eq(st.pages, pages);
	ck_assert_uint_eq(st.free_pages, 0);
	ck_assert_uint_eq(check_leaf_chain(db, "re-inserted"), 589);
	tu_require_clean(db, "re-inserted");
	tu_close(db);
	ck_assert_int_eq(stat(tu_db_path, &sb), 0);
	ck_assert_uint_eq((uint64_t)sb.st_size, (uint64_t)pages * PAGE_SIZE);
	free(keys);
}
END_TEST

START_TEST(test_zero_key_internal)
{
	/*
	 * 52,123 sequential rows: the 512th leaf split the root, append-biased,
	 * so the root's right child is an internal node with no keys over a
	 * leaf of one row.  Deleting that row frees the leaf, then that node,
	 * then the root, which had one key left and no child on its right.
	 */
	const uint32_t full = (INTERNAL_NODE_MAX_KEYS + 1) * LEAF_NODE_MAX_CELLS;
	struct rowfs_db *db = open_db();
	struct rowfs_stats st;
	struct node n;
	uint32_t right;

	insert_range(db, 1, full + 1, 10000);
	st = stats_of(db);
	ck_assert_uint_eq(st.depth, 3);
	read_node(db, pager_root(rowfs_db_pager(db)), &n);
	right = internal_right_child(n.data);
	read_node(db, right, &n);
	ck_assert_uint_eq(node_type(n.data), NODE_INTERNAL);
	ck_assert_uint_eq(internal_num_keys(n.data), 0);

	tu_expect_reply(db, "delete 52123", "Executed.\n");
	st = stats_of(db);
	ck_assert_uint_eq(st.depth, 2);
	ck_assert_uint_eq(st.free_pages, 3);
	ck_assert_uint_eq(page_type(db, right), NODE_FREE);
	ck_assert_uint_eq(check_leaf_chain(db, "zero-key node gone"), 511);
	tu_require_clean(db, "zero-key node gone");

	/* the same insert splits the root again, from the free list */
	tu_expect_reply(db, "insert 52123 again", "Executed.\n");
	st = stats_of(db);
	ck_assert_uint_eq(st.depth, 3);
	ck_assert_uint_eq(st.free_pages, 0);
	tu_require_clean(db, "root split again");
	tu_close(db);
}
END_TEST

START_TEST(test_free_pages_reused_first)
{
	/* ten full leaves; four of them freed; appends take them before the file grows */
	struct rowfs_db *db = open_db();
	struct rowfs_stats st;
	uint32_t first;

	insert_range(db, 1, 1020, 1020);
	st = stats_of(db);
	ck_assert_uint_eq(st.pages, 12);
	delete_range(db, 103, 510, 0, 100);
	st = stats_of(db);
	ck_assert_uint_eq(st.free_pages, 4);
	ck_assert_uint_eq(st.pages, 12);
	tu_require_clean(db, "four leaves freed");

	for (first = 2000; first < 2000 + 4 * LEAF_NODE_MAX_CELLS; first += LEAF_NODE_MAX_CELLS) {
		insert_range(db, first, first + LEAF_NODE_MAX_CELLS - 1, 1000);
		st = stats_of(db);
		ck_assert_uint_eq(st.pages, 12);
		ck_assert_uint_eq(st.free_pages, 3 - (first - 2000) / LEAF_NODE_MAX_CELLS);
	}
	ck_assert_uint_eq(check_leaf_chain(db, "free list used up"), 10);
	tu_require_clean(db, "free list used up");
	/* now the file grows */
	tu_expect_reply(db, "insert 3000 grows", "Executed.\n");
	st = stats_of(db);
	ck_assert_uint_eq(st.pages, 13);
	ck_assert_uint_eq(st.free_pages, 0);
	tu_require_clean(db, "grown");
	tu_close(db);
}
END_TEST

/* ---- statements ----------------------------------------------------------- */

START_TEST(test_update_in_place)
{
	struct rowfs_db *db = open_db();
	struct rowfs_stats before, after;
	char *tree_before, *tree_after, *text, name32[33];

	insert_range(db, 1, 250, 250);
	tree_before = reply_of(db, ".btree");
	before = stats_of(db);

	tu_expect_reply(db, "update 1 alice", "Executed.\n");
	tu_expect_reply(db, "UPDATE 102 bob", "Executed.\n");
	tu_expect_reply(db, "update 0250 h\xc3\xa9l\xc3\xa8ne", "Executed.\n");
	memset(name32, 'z', 32);
	name32[32] = '\0';
	{
		char line[64];

		snprintf(line, sizeof(line), "update 103 %s", name32);
		tu_expect_reply(db, line, "Executed.\n");
	}
	/* a shorter name leaves no trace of the longer one */
	tu_expect_reply(db, "update 103 x", "Executed.\n");
	/* the same name again is fine */
	tu_expect_reply(db, "update 2 u2", "Executed.\n");
	/* a name made of digits is a name */
	tu_expect_reply(db, "update 3 12345", "Executed.\n");

	text = reply_of(db, "select");
	{
		static const char head[] = "(1, alice)\n(2, u2)\n(3, 12345)\n(4, u4)\n";

		ck_assert_msg(strncmp(text, head, strlen(head)) == 0, "select: '%.60s'", text);
	}
	ck_assert_ptr_nonnull(strstr(text, "\n(102, bob)\n(103, x)\n(104, u104)\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n(250, h\xc3\xa9l\xc3\xa8ne)\n"));
	free(text);

	/* in place: same pages, same tree */
	tree_after = reply_of(db, ".btree");
	ck_assert_str_eq(tree_after, tree_before);
	after = stats_of(db);
	ck_assert_uint_eq(after.rows, before.rows);
	ck_assert_uint_eq(after.pages, before.pages);
	ck_assert_uint_eq(after.free_pages, before.free_pages);
	tu_require_clean(db, "updated");
	tu_close(db);

	db = open_db();
	text = tu_table_text(db);
	ck_assert_ptr_nonnull(strstr(text, "1=alice 2=u2 3=12345 4=u4 "));
	ck_assert_ptr_nonnull(strstr(text, " 102=bob 103=x 104=u104 "));
	free(text);
	tu_close(db);
	free(tree_before);
	free(tree_after);
}
END_TEST

START_TEST(test_absent_keys)
{
	struct rowfs_db *db = open_db();
	char line[64];

	/* an empty table */
	expect_error(db, "delete 42", ROWFS_NOTFOUND, ENOENT, "Error: no such key 42.");
	expect_error(db, "update 42 x", ROWFS_NOTFOUND, ENOENT, "Error: no such key 42.");

	insert_range(db, 1, 300, 300);
	tu_expect_reply(db, "delete 7", "Executed.\n");
	/* a key that was there, below, between and above the rows, the extremes */
	expect_error(db, "delete 7", ROWFS_NOTFOUND, ENOENT, "Error: no such key 7.");
	expect_error(db, "update 7 x", ROWFS_NOTFOUND, ENOENT, "Error: no such key 7.");
	expect_error(db, "delete 0", ROWFS_NOTFOUND, ENOENT, "Error: no such key 0.");
	expect_error(db, "delete 301", ROWFS_NOTFOUND, ENOENT, "Error: no such key 301.");
	expect_error(db, "update 4294967295 x", ROWFS_NOTFOUND, ENOENT,
		     "Error: no such key 4294967295.");
	expect_error(db, "delete 00042000", ROWFS_NOTFOUND, ENOENT, "Error: no such key 42000.");

	/* statement errors before the table is looked at */
	expect_error(db, "delete", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected INTEGER, got EOF at position 6");
	expect_error(db, "delete 1 x", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected end of line, got STRING at position 9");
	expect_error(db, "delete -1", ROWFS_RANGE, EINVAL,
		     "Parse error: Row id must be non-negative");
	expect_error(db, "delete 4294967296", ROWFS_RANGE, EINVAL,
		     "Parse error: Row id out of range");
	expect_error(db, "update 1", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected STRING, got EOF at position 8");
	expect_error(db, "update 1 a@b", ROWFS_TOKEN, EINVAL,
		     "Token error: Unexpected character '@' at position 10");
	snprintf(line, sizeof(line), "update 1 %s", "abcdefghijklmnopqrstuvwxyz0123456");
	expect_error(db, line, ROWFS_TOOLONG, EINVAL, "Error: username too long (33 > 32)");
	/* too long is found by the compiler: also for an absent key */
	snprintf(line, sizeof(line), "update 7 %s", "abcdefghijklmnopqrstuvwxyz0123456");
	expect_error(db, line, ROWFS_TOOLONG, EINVAL, "Error: username too long (33 > 32)");
	tu_require_clean(db, "after the errors");
	tu_close(db);
}
END_TEST

START_TEST(test_stale_separators)
{
	/* the separator 102 stays when 102 goes: keys up to it still go left */
	struct rowfs_db *db = open_db();
	char *text;

	insert_range(db, 1, 300, 300);
	delete_range(db, 95, 102, 0, 10);
	tu_expect_reply(db, ".btree",
		     "internal (page 3): 2 keys [102..204]\n"
		     "  leaf (page 1): 94 cells keys [1..94]\n"
		     "  leaf (page 2): 102 cells keys [103..204]\n"
		     "  leaf (page 4): 96 cells keys [205..300]\n");
	expect_error(db, "delete 102", ROWFS_NOTFOUND, ENOENT, "Error: no such key 102.");
	tu_expect_reply(db, "insert 102 back", "Executed.\n");
	tu_expect_reply(db, "insert 98 mid", "Executed.\n");
	tu_expect_reply(db, ".btree",
		     "internal (page 3): 2 keys [102..204]\n"
		     "  leaf (page 1): 96 cells keys [1..102]\n"
		     "  leaf (page 2): 102 cells keys [103..204]\n"
		     "  leaf (page 4): 96 cells keys [205..300]\n");
	tu_expect_reply(db, "update 102 again", "Executed.\n");
	tu_expect_reply(db, "delete 98", "Executed.\n");
	text = tu_table_text(db);
	ck_assert_ptr_nonnull(strstr(text, " 94=u94 102=again 103=u103 "));
	free(text);
	tu_require_clean(db, "stale separators");
	tu_close(db);
}
END_TEST

START_TEST(test_one_transaction)
{
	/* insert, update, delete, re-insert the same keys in one transaction */
	struct rowfs_db *db = open_db();
	struct rowfs_err err;
	struct tu_buf out = {0};
	const char *const lines[] = {
		"insert 5 a", "update 5 b", "delete 5", "update 5 c", "insert 5 d", "delete 6",
		"insert 6 e", "delete 6", "insert 6 f", "update 6 g",
	};
	const int want[] = {
		ROWFS_OK, ROWFS_OK, ROWFS_OK, ROWFS_NOTFOUND, ROWFS_OK, ROWFS_NOTFOUND,
		ROWFS_OK, ROWFS_OK, ROWFS_OK, ROWFS_OK,
	};
	size_t i;
	char *text;

	insert_range(db, 100, 399, 300);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ck_assert_msg(tu_exec(db, lines[i], &out, &err) == want[i], "'%s': %s", lines[i],
			      err.msg);
	/* a whole leaf and the re-insert of one of its keys */
	for (i = 100; i <= 201; i++) {
		char line[32];

		snprintf(line, sizeof(line), "delete %zu", i);
		ck_assert_int_eq(tu_exec(db, line, &out, &err), ROWFS_OK);
	}
	ck_assert_int_eq(tu_exec(db, "insert 150 back", &out, &err), ROWFS_OK);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	text = tu_table_text(db);
	ck_assert(strncmp(text, "5=d 6=g 150=back 202=u202 ", 26) == 0);
	free(text);
	tu_require_clean(db, "one transaction");
	tu_close(db);

	db = open_db();
	text = tu_table_text(db);
	ck_assert(strncmp(text, "5=d 6=g 150=back 202=u202 ", 26) == 0);
	free(text);
	tu_require_clean(db, "one transaction, reopened");
	tu_close(db);
	tu_buf_free(&out);
}
END_TEST

START_TEST(test_rollback_of_deletes)
{
	/* a rolled-back transaction that freed leaves and collapsed the root */
	struct rowfs_db *db = open_db();
	struct rowfs_stats before, after;
	struct rowfs_err err;
	struct tu_buf out = {0};
	char *table_before, *tree_before, *text;
	uint32_t key;

	insert_range(db, 1, 300, 300);
	table_before = tu_table_text(db);
	tree_before = reply_of(db, ".btree");
	before = stats_of(db);

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (key = 1; key <= 204; key++) {
		char line[32];

		snprintf(line, sizeof(line), key % 2 ? "delete %u" : "update %u z", key);
		ck_assert_int_eq(tu_exec(db, line, &out, &err), ROWFS_OK);
		if (key % 2 == 0) {
			snprintf(line, sizeof(line), "delete %u", key);
			ck_assert_int_eq(tu_exec(db, line, &out, &err), ROWFS_OK);
		}
	}
	after = stats_of(db);
	ck_assert_uint_eq(after.depth, 1);
	ck_assert_uint_eq(after.free_pages, 3);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);

	after = stats_of(db);
	ck_assert_uint_eq(after.rows, before.rows);
	ck_assert_uint_eq(after.pages, before.pages);
	ck_assert_uint_eq(after.free_pages, before.free_pages);
	ck_assert_uint_eq(after.depth, 2);
	text = tu_table_text(db);
	ck_assert_str_eq(text, table_before);
	free(text);
	text = reply_of(db, ".btree");
	ck_assert_str_eq(text, tree_before);
	free(text);
	tu_require_clean(db, "rolled back");
	tu_close(db);

	db = open_db();
	text = tu_table_text(db);
	ck_assert_str_eq(text, table_before);
	free(text);
	tu_require_clean(db, "rolled back, reopened");
	tu_close(db);
	free(table_before);
	free(tree_before);
	tu_buf_free(&out);
}
END_TEST

START_TEST(test_read_only)
{
	struct rowfs_db *db = open_db();

	insert_range(db, 1, 3, 3);
	tu_close(db);
	db = open_path(tu_db_path, 1, 0);
	/* a write, whether or not the key exists: read-only is reported first */
	expect_error(db, "delete 1", ROWFS_READONLY, EROFS, "Error: read-only database");
	expect_error(db, "delete 9", ROWFS_READONLY, EROFS, "Error: read-only database");
	expect_error(db, "update 2 x", ROWFS_READONLY, EROFS, "Error: read-only database");
	expect_error(db, "update 9 x", ROWFS_READONLY, EROFS, "Error: read-only database");
	tu_expect_reply(db, "select", "(1, u1)\n(2, u2)\n(3, u3)\n");
	tu_close(db);
}
END_TEST

/* ---- replay --------------------------------------------------------------- */

/*
 * The changes made after a checkpoint of rows 1..300, one transaction per
 * entry: names change, keys go and come back, and then (in the code) the
 * rest of leaf 2 (103..204) goes, which frees it.
 */
static const char *const replay_txns[][8] = {
	{ "delete 150", "update 1 first", "delete 300", "update 299 h\xc3\xa9", NULL },
	{ "delete 2", "insert 2 again", "update 2 again2", "delete 3", NULL },
	{ NULL },   /* 103..204 but 150 */
	{ "insert 200 new", "update 200 last", "delete 200", "insert 200 back", NULL },
};

/* Run the replay workload on db: rows, checkpoint, then the logged changes. */
static void replay_workload(struct rowfs_db *db, int child)
{
	struct rowfs_err err;
	struct tu_buf out = {0};
	size_t t, i;
	uint32_t key;
	int rc;

	insert_range(db, 1, 300, 300);
	rc = rowfs_checkpoint(db, &err);
	if (child && rc)
		_exit(3);
	ck_assert_int_eq(rc, ROWFS_OK);
	for (t = 0; t < sizeof(replay_txns) / sizeof(replay_txns[0]); t++) {
		rc = tu_begin(db, &err);
		for (i = 0; replay_txns[t][i] && rc == ROWFS_OK; i++)
			rc = tu_exec(db, replay_txns[t][i], &out, &err);
		for (key = 103; t == 2 && key <= 204 && rc == ROWFS_OK; key++) {
			char line[32];

			snprintf(line, sizeof(line), "delete %u", key);
			if (key != 150)
				rc = tu_exec(db, line, &out, &err);
		}
		if (rc == ROWFS_OK)
			rc = tu_commit(db, &err);
		if (child && rc)
			_exit(4);
		ck_assert_msg(rc == ROWFS_OK, "transaction %zu: %s", t, err.msg);
	}
	tu_buf_free(&out);
}

/* The expected table after replay_workload, and the page counts of want. */
static void expect_replayed(struct rowfs_db *db, const struct rowfs_stats *want, const char *what)
{
	static const char head[] = "1=first 2=again2 4=u4 ";
	struct rowfs_stats st = stats_of(db);
	char *text = tu_table_text(db);

	REQUIRE(strncmp(text, head, strlen(head)) == 0, "%s: table starts '%.60s'", what, text);
	REQUIRE(strstr(text, " 102=u102 200=back 205=u205 ") && strstr(text, " 299=h\xc3\xa9 ") &&
			!strstr(text, " 300="),
		"%s: table '%s'", what, text);
	REQUIRE(st.rows == 197, "%s: %llu rows", what, (unsigned long long)st.rows);
	REQUIRE(st.rows == want->rows && st.pages == want->pages &&
			st.free_pages == want->free_pages && st.depth == want->depth,
		"%s: rows %llu pages %u free %u depth %u, want %llu %u %u %u", what,
		(unsigned long long)st.rows, st.pages, st.free_pages, st.depth,
		(unsigned long long)want->rows, want->pages, want->free_pages, want->depth);
	tu_require_clean(db, what);
	check_leaf_chain(db, what);
	free(text);
}

START_TEST(test_replay_copied_files)
{
	const char *copy_path = tu_path("copy.db"), *copy_wal_path = tu_path("copy.db-wal");
	struct rowfs_db *db = open_db();
	struct rowfs_stats want;
	char *table;

	replay_workload(db, 0);
	want = stats_of(db);
	ck_assert_uint_eq(want.free_pages, 1);   /* leaf 2 (200 came back into leaf 4) */
	expect_replayed(db, &want, "original");
	/* the changes since the checkpoint are only in the WAL: copy both files now */
	ck_assert_uint_eq(want.wal_frames, 4);
	tu_copy_file(tu_db_path, copy_path);
	tu_copy_file(tu_wal_path, copy_wal_path);
	table = tu_table_text(db);
	tu_close(db);

	/* as the crash left them, read-only (what fsck.rowfs sees) */
	db = open_path(copy_path, 1, 0);
	expect_replayed(db, &want, "copy, read-only");
	tu_close(db);
	/* recovered */
	db = open_path(copy_path, 0, 0);
	expect_replayed(db, &want, "copy, recovered");
	{
		char *text = tu_table_text(db);

		ck_assert_str_eq(text, table);
		free(text);
	}
	tu_close(db);
	ck_assert_int_eq(tu_file_size(copy_wal_path), 32);   /* recovery checkpointed */
	db = open_path(copy_path, 0, 0);
	expect_replayed(db, &want, "copy, reopened");
	tu_close(db);
	free(table);
}
END_TEST

START_TEST(test_replay_after_kill)
{
	struct rowfs_stats want;
	struct rowfs_db *db;
	int p[2], status;
	ssize_t got;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rowfs_stats st;

		close(p[0]);
		db = open_db();
		replay_workload(db, 1);
		tu_stats(db, &st);
		if (write(p[1], &st, sizeof(st)) != (ssize_t)sizeof(st))
			_exit(6);
		for (;;)
			pause();
	}
	close(p[1]);
	got = read(p[0], &want, sizeof(want));
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(p[0]);
	ck_assert_msg(got == (ssize_t)sizeof(want), "child failed (status %d)",
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_gt(tu_file_size(tu_wal_path), 32);

	db = open_path(tu_db_path, 1, 0);
	expect_replayed(db, &want, "after kill -9, read-only");
	tu_close(db);
	db = open_db();
	expect_replayed(db, &want, "after kill -9, recovered");
	tu_close(db);
}
END_TEST

/* ---- the model ------------------------------------------------------------ */

/*
 * Slots 0..keys-1; slot s is id s, except the last HIGH_IDS slots, which
 * are the largest ids (so both ends of the key space are used).  Ids grow
 * with slots, so the table in key order is the model in slot order.
 */
#define HIGH_IDS 16u
#define NAME_MAX_LEN 32u   /* USERNAME_SIZE, as the contract states it */

struct undo {
	uint32_t slot;
	uint8_t present;
	uint8_t len;
	char name[NAME_MAX_LEN];
};

struct model {
	uint32_t keys;
	uint8_t *present;
	char (*names)[NAME_MAX_LEN];
	uint8_t *len;
	uint64_t rows;
	struct undo *undo;            /* changes of the open transaction, in order */
	size_t nundo, cap;
};

static uint32_t slot_id(const struct model *m, uint32_t slot)
{
	return slot < m->keys - HIGH_IDS ? slot : UINT32_MAX - (m->keys - 1 - slot);
}

static void model_init(struct model *m, uint32_t keys)
{
	memset(m, 0, sizeof(*m));
	m->keys = keys;
	m->present = calloc(keys, 1);
	m->names = calloc(keys, sizeof(*m->names));
	m->len = calloc(keys, 1);
	ck_assert(m->present && m->names && m->len);
}

static void model_free(struct model *m)
{
	free(m->present);
	free(m->names);
	free(m->len);
	free(m->undo);
}

/* Set slot to present with name (len > 0) or absent (len 0), remembering the old state. */
static void model_set(struct model *m, uint32_t slot, const char *name, size_t len)
{
	struct undo *u;

	if (m->nundo == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 512;
		m->undo = realloc(m->undo, m->cap * sizeof(*m->undo));
		REQUIRE(m->undo, "out of memory");
	}
	u = &m->undo[m->nundo++];
	u->slot = slot;
	u->present = m->present[slot];
	u->len = m->len[slot];
	memcpy(u->name, m->names[slot], NAME_MAX_LEN);
	m->rows += (len > 0) - (m->present[slot] != 0);
	m->present[slot] = len > 0;
	m->len[slot] = (uint8_t)len;
	memcpy(m->names[slot], name, len);
}

static void model_commit(struct model *m)
{
	m->nundo = 0;
}

static void model_rollback(struct model *m)
{
	while (m->nundo > 0) {
		const struct undo *u = &m->undo[--m->nundo];

		m->rows += (u->present != 0) - (m->present[u->slot] != 0);
		m->present[u->slot] = u->present;
		m->len[u->slot] = u->len;
		memcpy(m->names[u->slot], u->name, NAME_MAX_LEN);
	}
}

struct compare {
	const struct model *m;
	uint32_t slot;                /* next slot to look at */
	uint64_t seen;
	const char *what;
};

static uint32_t next_present(const struct model *m, uint32_t slot)
{
	while (slot < m->keys && !m->present[slot])
		slot++;
	return slot;
}

static int compare_row(void *ctx, uint32_t id, const char *name, size_t name_len)
{
	struct compare *c = ctx;
	const struct model *m = c->m;
	uint32_t slot = next_present(m, c->slot);

	REQUIRE(slot < m->keys, "seed %llu, %s: extra row %u after %llu rows",
		(unsigned long long)seed, c->what, id, (unsigned long long)c->seen);
	REQUIRE(id == slot_id(m, slot), "seed %llu, %s: row %u, model has %u",
		(unsigned long long)seed, c->what, id, slot_id(m, slot));
	REQUIRE(name_len == m->len[slot] && memcmp(name, m->names[slot], name_len) == 0,
		"seed %llu, %s: row %u named '%.*s', model '%.*s'", (unsigned long long)seed,
		c->what, id, (int)name_len, name, (int)m->len[slot], m->names[slot]);
	c->seen++;
	c->slot = slot + 1;
	return 0;
}

/* The whole table must equal the model. */
static void compare_all(struct rowfs_db *db, const struct model *m, const char *what)
{
	struct compare c = {m, 0, 0, what};
	struct rowfs_stats st;
	struct rowfs_err err;

	REQUIRE(tu_scan(db, 0, compare_row, &c, &err) == ROWFS_OK, "seed %llu, %s: scan: %s",
		(unsigned long long)seed, what, err.msg);
	REQUIRE(next_present(m, c.slot) == m->keys, "seed %llu, %s: row %u missing",
		(unsigned long long)seed, what, slot_id(m, next_present(m, c.slot)));
	REQUIRE(c.seen == m->rows, "seed %llu, %s: %llu rows, model %llu", (unsigned long long)seed,
		what, (unsigned long long)c.seen, (unsigned long long)m->rows);
	tu_stats(db, &st);
	REQUIRE(st.rows == m->rows, "seed %llu, %s: stats say %llu rows, model %llu",
		(unsigned long long)seed, what, (unsigned long long)st.rows,
		(unsigned long long)m->rows);
}

enum { KIND_INSERT, KIND_DELETE, KIND_UPDATE, KINDS };

/* A run of consecutive slots for one kind of statement. */
struct run_of_keys {
	uint32_t left;                /* statements left in the run */
	uint32_t slot;                /* next slot */
	int step;                     /* +1 or -1 */
};

struct mrun {
	struct rowfs_db *db;
	struct model m;
	uint64_t rng;
	uint64_t op;
	struct tu_buf out;
	struct run_of_keys runs[KINDS];
	uint32_t cache_pages;
	uint32_t max_pages;           /* high-water mark of the page count */
	uint32_t max_depth;
	uint64_t hits[KINDS], misses[KINDS];
	uint64_t leaves_freed;        /* statements after which free_pages grew */
	uint64_t pages_reused;        /* inserts that took pages from the free list */
	uint64_t too_long;
};

static struct rowfs_db *model_open(uint32_t cache_pages)
{
	struct rowfs_config cfg = {
		.path = tu_db_path, .sync = ROWFS_SYNC_OFF, .cache_pages = cache_pages,
		.wal_limit = 4u << 20,    /* checkpoints in the middle of the run */
	};

	return tu_open(&cfg);
}

/* The slot for the next statement of kind k: the next of a run, or random. */
static uint32_t pick_slot(struct mrun *r, int k)
{
	struct run_of_keys *run = &r->runs[k];
	uint32_t keys = r->m.keys;

	if (run->left == 0 && tu_next_random(&r->rng) % 300 == 0) {
		run->left = 1 + (uint32_t)(tu_next_random(&r->rng) % 600);
		run->slot = (uint32_t)(tu_next_random(&r->rng) % keys);
		run->step = tu_next_random(&r->rng) % 2 ? 1 : -1;
	}
	if (run->left > 0) {
		uint32_t slot = run->slot;

		run->left--;
		if ((run->step < 0 && slot == 0) || (run->step > 0 && slot == keys - 1))
			run->left = 0;
		else
			run->slot = (uint32_t)((int64_t)slot + run->step);
		return slot;
	}
	return (uint32_t)(tu_next_random(&r->rng) % keys);
}

/* One random statement in the open transaction, checked against the model. */
static void model_statement(struct mrun *r)
{
	struct model *m = &r->m;
	struct pager *pager = rowfs_db_pager(r->db);
	uint32_t pages_before = pager_page_count(pager), free_before = pager_free_count(pager);
	uint32_t pages_after, free_after, slot, id;
	uint64_t pick = tu_next_random(&r->rng) % 100;
	int k = pick < 50 ? KIND_INSERT : pick < 80 ? KIND_DELETE : KIND_UPDATE;
	char line[128], name[48], want[64];
	struct rowfs_err err;
	size_t len = 0;
	int rc, want_rc;

	slot = pick_slot(r, k);
	id = slot_id(m, slot);
	if (k == KIND_DELETE) {
		snprintf(line, sizeof(line), "delete %u", id);
	} else {
		len = 1 + tu_next_random(&r->rng) % NAME_MAX_LEN;
		if (k == KIND_UPDATE && tu_next_random(&r->rng) % 50 == 0)
			len = NAME_MAX_LEN + 1 + tu_next_random(&r->rng) % 8;
		tu_random_name(&r->rng, name, len);
		snprintf(line, sizeof(line), "%s %u %s", k == KIND_INSERT ? "insert" : "update", id,
			 name);
	}
	rc = tu_exec(r->db, line, &r->out, &err);

	if (len > NAME_MAX_LEN) {
		want_rc = ROWFS_TOOLONG;
		snprintf(want, sizeof(want), "Error: username too long (%zu > 32)", len);
		r->too_long++;
	} else if (k == KIND_INSERT && m->present[slot]) {
		want_rc = ROWFS_DUPLICATE;
		snprintf(want, sizeof(want), "Error: duplicate key %u.", id);
	} else if (k != KIND_INSERT && !m->present[slot]) {
		want_rc = ROWFS_NOTFOUND;
		snprintf(want, sizeof(want), "Error: no such key %u.", id);
	} else {
		want_rc = ROWFS_OK;
		want[0] = '\0';
	}
	if (want_rc == ROWFS_OK) {
		REQUIRE(rc == ROWFS_OK && r->out.len == 10 &&
				memcmp(r->out.data, "Executed.\n", 10) == 0,
			"seed %llu op %llu '%s': rc %d '%s'", (unsigned long long)seed,
			(unsigned long long)r->op, line, rc, err.msg);
		model_set(m, slot, k == KIND_DELETE ? "" : name, k == KIND_DELETE ? 0 : len);
		r->hits[k]++;
	} else {
		REQUIRE(rc == want_rc && strcmp(err.msg, want) == 0 && r->out.len == 0,
			"seed %llu op %llu '%s': rc %d '%s', want rc %d '%s'",
			(unsigned long long)seed, (unsigned long long)r->op, line, rc, err.msg,
			want_rc, want);
		if (want_rc != ROWFS_TOOLONG)
			r->misses[k]++;
	}

	/* pages: the file grows only when the free list is empty */
	pages_after = pager_page_count(pager);
	free_after = pager_free_count(pager);
	if (rc != ROWFS_OK || k == KIND_UPDATE) {
		REQUIRE(pages_after == pages_before && free_after == free_before,
			"seed %llu op %llu '%s': pages %u->%u, free %u->%u",
			(unsigned long long)seed, (unsigned long long)r->op, line, pages_before,
			pages_after, free_before, free_after);
	} else if (k == KIND_DELETE) {
		REQUIRE(pages_after == pages_before && free_after >= free_before,
			"seed %llu op %llu '%s': pages %u->%u, free %u->%u",
			(unsigned long long)seed, (unsigned long long)r->op, line, pages_before,
			pages_after, free_before, free_after);
		r->leaves_freed += free_after > free_before;
	} else {
		REQUIRE(free_after <= free_before &&
				(pages_after == pages_before || free_after == 0),
			"seed %llu op %llu '%s': pages %u->%u, free %u->%u",
			(unsigned long long)seed, (unsigned long long)r->op, line, pages_before,
			pages_after, free_before, free_after);
		r->pages_reused += free_after < free_before;
	}
	if (pages_after > r->max_pages)
		r->max_pages = pages_after;
}

/*
 * Point lookups and the start of `last/COUNT` against the model: one
 * random key, and the count-th row from the end for count (the model is
 * walked from its end, so small counts are cheap).
 */
static void model_probe(struct mrun *r, uint64_t count)
{
	const struct model *m = &r->m;
	uint32_t slot = (uint32_t)(tu_next_random(&r->rng) % m->keys), s;
	uint64_t start, want = (uint64_t)UINT32_MAX + 1, seen = 0;
	struct rowfs_err err;
	char name[NAME_MAX_LEN];
	size_t len = 99;
	int found = -1;

	REQUIRE(tu_get(r->db, slot_id(m, slot), &found, name, &len, &err) == ROWFS_OK,
		"seed %llu op %llu: get %u: %s", (unsigned long long)seed,
		(unsigned long long)r->op, slot_id(m, slot), err.msg);
	REQUIRE(found == m->present[slot] &&
			(!found || (len == m->len[slot] && memcmp(name, m->names[slot], len) == 0)),
		"seed %llu op %llu: get %u: found %d '%.*s', model %d '%.*s'",
		(unsigned long long)seed, (unsigned long long)r->op, slot_id(m, slot), found,
		found ? (int)len : 0, name, m->present[slot], (int)m->len[slot], m->names[slot]);

	for (s = m->keys; count > 0 && s-- > 0 && seen < count;) {
		if (m->present[s]) {
			want = slot_id(m, s);
			seen++;
		}
	}
	REQUIRE(tu_last_start(r->db, count, &start, &err) == ROWFS_OK,
		"seed %llu op %llu: last_start %llu: %s", (unsigned long long)seed,
		(unsigned long long)r->op, (unsigned long long)count, err.msg);
	REQUIRE(start == want, "seed %llu op %llu: last_start %llu: %llu, model %llu",
		(unsigned long long)seed, (unsigned long long)r->op, (unsigned long long)count,
		(unsigned long long)start, (unsigned long long)want);
}

/* Close and reopen; an open transaction is rolled back by the close. */
static void model_reopen(struct mrun *r, const char *what)
{
	uint32_t depth;

	model_rollback(&r->m);
	tu_close(r->db);
	r->db = model_open(r->cache_pages);
	compare_all(r->db, &r->m, what);
	tu_require_clean(r->db, what);
	depth = stats_of(r->db).depth;
	if (depth > r->max_depth)
		r->max_depth = depth;
}

/* Delete every row in random order, then insert the same rows again, twice. */
static void model_empty_and_refill(struct mrun *r)
{
	struct model *m = &r->m;
	uint32_t *slots = malloc((size_t)m->keys * sizeof(*slots));
	uint32_t n = 0, i, round, pages, refilled_pages = 0;
	char (*names)[NAME_MAX_LEN] = malloc((size_t)m->keys * sizeof(*names));
	uint8_t *lens = malloc(m->keys);
	struct rowfs_err err;
	char line[128];

	REQUIRE(slots && names && lens, "out of memory");
	memcpy(names, m->names, (size_t)m->keys * sizeof(*names));
	memcpy(lens, m->len, m->keys);
	for (i = 0; i < m->keys; i++)
		if (m->present[i])
			slots[n++] = i;
	pages = pager_page_count(rowfs_db_pager(r->db));
	for (round = 0; round < 2; round++) {
		struct rowfs_stats st;

		shuffle(slots, n, &r->rng);
		for (i = 0; i < n; i++) {
			int len = snprintf(line, sizeof(line), "delete %u", slot_id(m, slots[i]));

			if (i % 1000 == 0)
				REQUIRE(tu_begin(r->db, &err) == ROWFS_OK, "begin: %s", err.msg);
			REQUIRE(tu_exec_emit(r->db, line, (size_t)len, tu_expect_executed, NULL, &err) ==
					ROWFS_OK,
				"seed %llu '%s': %s", (unsigned long long)seed, line, err.msg);
			model_set(m, slots[i], "", 0);
			if (i % 1000 == 999 || i == n - 1) {
				REQUIRE(tu_commit(r->db, &err) == ROWFS_OK, "commit: %s",
					err.msg);
				model_commit(m);
			}
		}
		st = stats_of(r->db);
		REQUIRE(st.rows == 0 && st.depth == 1 && st.pages == pages &&
				st.free_pages == pages - 2,
			"seed %llu: all deleted: rows %llu depth %u pages %u (was %u) free %u",
			(unsigned long long)seed, (unsigned long long)st.rows, st.depth, st.pages,
			pages, st.free_pages);
		tu_require_clean(r->db, "everything deleted");
		compare_all(r->db, m, "everything deleted");

		/* the same rows in key order: pages from the free list only */
		qsort(slots, n, sizeof(*slots), tu_cmp_u32);
		for (i = 0; i < n; i++) {
			uint32_t s = slots[i];
			int len;

			len = snprintf(line, sizeof(line), "insert %u %.*s", slot_id(m, s),
				       (int)lens[s], names[s]);
			if (i % 1000 == 0)
				REQUIRE(tu_begin(r->db, &err) == ROWFS_OK, "begin: %s", err.msg);
			REQUIRE(tu_exec_emit(r->db, line, (size_t)len, tu_expect_executed, NULL, &err) ==
					ROWFS_OK,
				"seed %llu '%s': %s", (unsigned long long)seed, line, err.msg);
			model_set(m, s, names[s], lens[s]);
			if (i % 1000 == 999 || i == n - 1) {
				REQUIRE(tu_commit(r->db, &err) == ROWFS_OK, "commit: %s",
					err.msg);
				model_commit(m);
			}
		}
		st = stats_of(r->db);
		REQUIRE(st.pages == pages,
			"seed %llu: re-inserting %u rows grew the file: %u -> %u pages",
			(unsigned long long)seed, n, pages, st.pages);
		/* the same rows in the same order take the same pages each round */
		if (round == 0)
			refilled_pages = st.pages - st.free_pages;
		REQUIRE(st.pages - st.free_pages == refilled_pages,
			"seed %llu: %u pages used, then %u", (unsigned long long)seed,
			refilled_pages, st.pages - st.free_pages);
		compare_all(r->db, m, "re-inserted");
		tu_require_clean(r->db, "re-inserted");
	}
	free(slots);
	free(names);
	free(lens);
}

static void model_run(uint64_t ops, uint32_t keys, uint32_t cache_pages, uint64_t seed_offset)
{
	const uint64_t reopen_every = ops / 4;
	struct mrun r;
	struct rowfs_err err;
	struct stat sb;
	uint64_t batch_left = 0;
	uint32_t pages;
	int in_txn = 0, k;

	memset(&r, 0, sizeof(r));
	model_init(&r.m, keys);
	r.rng = seed + seed_offset;
	r.cache_pages = cache_pages;
	r.db = model_open(cache_pages);

	for (r.op = 1; r.op <= ops; r.op++) {
		if (!in_txn) {
			REQUIRE(tu_begin(r.db, &err) == ROWFS_OK, "begin: %s", err.msg);
			in_txn = 1;
			batch_left = 1 + tu_next_random(&r.rng) % 300;
		}
		model_statement(&r);
		if (--batch_left == 0) {
			if (tu_next_random(&r.rng) % 20 == 0) {
				REQUIRE(tu_rollback(r.db, &err) == ROWFS_OK, "rollback: %s",
					err.msg);
				model_rollback(&r.m);
			} else {
				REQUIRE(tu_commit(r.db, &err) == ROWFS_OK,
					"seed %llu op %llu: commit: %s", (unsigned long long)seed,
					(unsigned long long)r.op, err.msg);
				model_commit(&r.m);
			}
			REQUIRE(pager_row_count(rowfs_db_pager(r.db)) == r.m.rows,
				"seed %llu op %llu: %llu rows, model %llu",
				(unsigned long long)seed, (unsigned long long)r.op,
				(unsigned long long)pager_row_count(rowfs_db_pager(r.db)),
				(unsigned long long)r.m.rows);
			model_probe(&r, tu_next_random(&r.rng) % 300);
			in_txn = 0;
		}
		if (r.op % 50000 == 0) {
			uint32_t depth = stats_of(r.db).depth;

			if (depth > r.max_depth)
				r.max_depth = depth;
			tu_require_clean(r.db, "every 50,000");
			/* more rows than the table has, and all of them */
			model_probe(&r, r.m.rows + 1 + tu_next_random(&r.rng) % 1000);
			model_probe(&r, r.m.rows);
		}
		if (r.op % 100000 == 0)
			compare_all(r.db, &r.m, "every 100,000");
		if (r.op % reopen_every == 0 && r.op < ops) {
			/* every other reopen drops an open transaction */
			if (in_txn && (r.op / reopen_every) % 2 == 0) {
				REQUIRE(tu_commit(r.db, &err) == ROWFS_OK, "commit: %s",
					err.msg);
				model_commit(&r.m);
			}
			model_reopen(&r, "after reopen");
			in_txn = 0;
		}
	}
	if (in_txn) {
		REQUIRE(tu_commit(r.db, &err) == ROWFS_OK, "commit: %s", err.msg);
		model_commit(&r.m);
	}
	compare_all(r.db, &r.m, "at the end");
	model_reopen(&r, "at the end, reopened");

	/* the run exercised what it is meant to */
	for (k = 0; k < KINDS; k++)
		ck_assert_msg(r.hits[k] * 10 >= r.hits[k] + r.misses[k] &&
				      r.misses[k] * 10 >= r.hits[k] + r.misses[k],
			      "seed %llu: kind %d: %llu hits, %llu misses",
			      (unsigned long long)seed, k, (unsigned long long)r.hits[k],
			      (unsigned long long)r.misses[k]);
	ck_assert_msg(r.max_depth == 3, "seed %llu: depth %u at most", (unsigned long long)seed,
		      r.max_depth);
	ck_assert_msg(r.leaves_freed > 100 && r.pages_reused > 100,
		      "seed %llu: %llu deletes freed pages, %llu inserts reused them",
		      (unsigned long long)seed, (unsigned long long)r.leaves_freed,
		      (unsigned long long)r.pages_reused);
	ck_assert_uint_gt(r.too_long, 0);
	fprintf(stderr,
		"check_delete: model: %llu statements, seed %llu: inserts %llu/%llu duplicates, "
		"deletes %llu/%llu absent, updates %llu/%llu absent; %llu deletes freed pages, "
		"%llu inserts reused them; depth %u, %u pages at most, %llu rows\n",
		(unsigned long long)ops, (unsigned long long)seed,
		(unsigned long long)r.hits[KIND_INSERT], (unsigned long long)r.misses[KIND_INSERT],
		(unsigned long long)r.hits[KIND_DELETE], (unsigned long long)r.misses[KIND_DELETE],
		(unsigned long long)r.hits[KIND_UPDATE], (unsigned long long)r.misses[KIND_UPDATE],
		(unsigned long long)r.leaves_freed, (unsigned long long)r.pages_reused, r.max_depth,
		r.max_pages, (unsigned long long)r.m.rows);

	model_empty_and_refill(&r);
	pages = pager_page_count(rowfs_db_pager(r.db));
	ck_assert_uint_le(pages, r.max_pages);
	tu_close(r.db);
	ck_assert_int_eq(stat(tu_db_path, &sb), 0);
	ck_assert_msg((uint64_t)sb.st_size == (uint64_t)pages * PAGE_SIZE,
		      "file of %lld bytes, %u pages", (long long)sb.st_size, pages);
	tu_buf_free(&r.out);
	model_free(&r.m);
}

START_TEST(test_model)
{
	/* 60,000 keys: ~37,000 rows at equilibrium (62.5%), past 511 leaves: depth 3 */
	model_run(slow ? 5000000 : 1000000, 60000, 128, 0);
}
END_TEST

static Suite *delete_suite(void)
{
	Suite *s = suite_create("delete");
	TCase *tc;

	tc = tcase_create("shape");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_root_leaf);
	tcase_add_test(tc, test_emptied_leaves);
	tcase_add_test(tc, test_first_and_last_leaf_and_collapse);
	tcase_add_test(tc, test_collapse_from_depth3);
	tcase_add_test(tc, test_zero_key_internal);
	tcase_add_test(tc, test_free_pages_reused_first);
	suite_add_tcase(s, tc);

	tc = tcase_create("stmt");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_update_in_place);
	tcase_add_test(tc, test_absent_keys);
	tcase_add_test(tc, test_stale_separators);
	tcase_add_test(tc, test_one_transaction);
	tcase_add_test(tc, test_rollback_of_deletes);
	tcase_add_test(tc, test_read_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("replay");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_replay_copied_files);
	tcase_add_test(tc, test_replay_after_kill);
	suite_add_tcase(s, tc);

	tc = tcase_create("model");
	tcase_set_timeout(tc, slow ? 600 : 120);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	seed = tu_seed("ROWFS_SEED", DEFAULT_SEED);
	slow = tu_flag("ROWFS_SLOW");
	return tu_run("check_delete", delete_suite());
}
