/*
 * check_btree.c - white-box unit tests of engine/btree.c.
 *
 * Owns: the shape the B-tree takes under known insert orders (the
 * append-biased leaf split 102 + 98, the half split 52/51, internal
 * splits up to depth 3 with sequential and with random keys), the node
 * invariants after each level (walked here through btree_int.h and
 * checked again by rowfs_check), the duplicate-key error that changes
 * nothing, the exact text of btree_render, and the space used by
 * 1,000,000 sequential rows.
 *
 * Rows go in through the façade (rowfs_exec, as a user would); the tree is
 * inspected through the pager of the handle (db_int.h).
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "btree.h"
#include "btree_int.h"
#include "db_int.h"
#include "format.h"
#include "pager.h"
#include "row.h"
#include "rowfs.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

static struct rowfs_db *open_db(int sync)
{
	struct rowfs_config cfg = { .path = tu_db_path, .sync = sync };

	return tu_open(&cfg);
}

/* Insert each key of keys[0..n) named "u<key>", commit every `batch` rows. */
static void insert_keys(struct rowfs_db *db, const uint32_t *keys, size_t n, size_t batch)
{
	struct rowfs_err err;
	char line[64];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		int len;

		if (i % batch == 0)
			REQUIRE(tu_begin(db, &err) == ROWFS_OK, "begin: %s", err.msg);
		len = snprintf(line, sizeof(line), "insert %u u%u", keys[i], keys[i]);
		rc = tu_exec_emit(db, line, (size_t)len, tu_expect_executed, NULL, &err);
		REQUIRE(rc == ROWFS_OK, "'%s': %s", line, err.msg);
		if (i % batch == batch - 1 || i == n - 1)
			REQUIRE(tu_commit(db, &err) == ROWFS_OK, "commit: %s", err.msg);
	}
}

/* Insert first, first+1, ..., last. */
static void insert_range(struct rowfs_db *db, uint32_t first, uint32_t last, size_t batch)
{
	size_t n = (size_t)(last - first) + 1, i;
	uint32_t *keys = malloc(n * sizeof(*keys));

	ck_assert_ptr_nonnull(keys);
	for (i = 0; i < n; i++)
		keys[i] = first + (uint32_t)i;
	insert_keys(db, keys, n, batch);
	free(keys);
}

static char *render(struct rowfs_db *db)
{
	struct tu_buf b = {0};
	struct rowfs_err err;

	ck_assert_msg(tu_render_btree(db, tu_buf_emit, &b, &err) == ROWFS_OK, "render: %s",
		      err.msg);
	ck_assert_ptr_nonnull(b.data);
	return b.data;
}

/* Copy of one node (so no page reference is held while a test looks at it). */
struct node {
	uint8_t data[PAGE_SIZE];
	uint32_t pgno;
};

static void read_node(struct rowfs_db *db, uint32_t pgno, struct node *out)
{
	tu_read_page(db, pgno, out->data);
	out->pgno = pgno;
}

/* ---- the invariant walk (btree.c's numbered invariants) ------------------ */

struct walk {
	struct rowfs_db *db;
	uint32_t leaf_depth;      /* depth of the first leaf met (0 = none yet) */
	uint32_t *leaves;         /* leaves in key order */
	size_t nleaves, cap;
	uint64_t cells;           /* cells of all leaves */
	uint32_t internals;       /* internal nodes met */
};

static void walk_node(struct walk *w, uint32_t pgno, uint32_t parent, uint32_t depth,
		      int has_lo, uint32_t lo, int has_hi, uint32_t hi)
{
	struct node *n = malloc(sizeof(*n));
	const uint8_t *d;
	uint32_t i, count;

	REQUIRE(n, "out of memory");
	REQUIRE(depth <= BTREE_MAX_DEPTH, "page %u: too deep", pgno);
	read_node(w->db, pgno, n);
	d = n->data;
	REQUIRE(node_valid(d), "page %u: not a valid node", pgno);
	/* invariant 3: parent pointers, is_root on the root only */
	REQUIRE(node_is_root(d) == (parent == 0), "page %u: is_root %d", pgno,
		      node_is_root(d));
	REQUIRE(node_parent(d) == parent, "page %u: parent %u, want %u", pgno,
		      node_parent(d), parent);
	if (node_type(d) == NODE_LEAF) {
		count = leaf_num_cells(d);
		/* invariant 2: all leaves at one depth */
		if (w->leaf_depth == 0)
			w->leaf_depth = depth;
		REQUIRE(depth == w->leaf_depth, "leaf %u at depth %u, others at %u", pgno,
			      depth, w->leaf_depth);
		/* invariant 4: only the root leaf may be empty */
		REQUIRE(count > 0 || parent == 0, "leaf %u is empty", pgno);
		for (i = 0; i < count; i++) {
			uint32_t key = leaf_key(d, i);
			struct row row;

			/* invariant 1: sorted, inside the parent's bounds */
			REQUIRE(i == 0 || leaf_key(d, i - 1) < key,
				      "leaf %u: key %u after %u", pgno, key, leaf_key(d, i - 1));
			REQUIRE(!has_lo || key > lo, "leaf %u: key %u <= lower bound %u", pgno,
				      key, lo);
			REQUIRE(!has_hi || key <= hi, "leaf %u: key %u > upper bound %u", pgno,
				      key, hi);
			REQUIRE(row_decode(leaf_value(d, i), &row) == ROWFS_OK,
				      "leaf %u cell %u: bad row", pgno, i);
			REQUIRE(row.id == key, "leaf %u cell %u: id %u", pgno, i, row.id);
		}
		w->cells += count;
		if (w->nleaves == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 64;
			w->leaves = realloc(w->leaves, w->cap * sizeof(*w->leaves));
			REQUIRE(w->leaves, "out of memory");
		}
		w->leaves[w->nleaves++] = pgno;
		free(n);
		return;
	}
	REQUIRE(node_type(d) == NODE_INTERNAL, "page %u: type %u", pgno, node_type(d));
	w->internals++;
	count = internal_num_keys(d);
	for (i = 0; i < count; i++) {
		uint32_t key = internal_key(d, i);

		REQUIRE(i == 0 || internal_key(d, i - 1) < key, "internal %u: key %u after %u",
			      pgno, key, internal_key(d, i - 1));
		REQUIRE(!has_lo || key > lo, "internal %u: key %u <= lower bound %u", pgno,
			      key, lo);
		REQUIRE(!has_hi || key <= hi, "internal %u: key %u > upper bound %u", pgno,
			      key, hi);
	}
	for (i = 0; i <= count; i++) {
		int clo = i > 0 ? 1 : has_lo, chi = i < count ? 1 : has_hi;
		uint32_t vlo = i > 0 ? internal_key(d, i - 1) : lo;
		uint32_t vhi = i < count ? internal_key(d, i) : hi;

		walk_node(w, internal_child(d, i), pgno, depth + 1, clo, vlo, chi, vhi);
	}
	free(n);
}

/* Walk the whole tree, check every invariant; returns the depth. */
static uint32_t check_tree(struct rowfs_db *db)
{
	struct walk w;
	struct pager *pager = rowfs_db_pager(db);
	struct node *n = malloc(sizeof(*n));
	uint32_t depth;
	size_t i;

	ck_assert_ptr_nonnull(n);
	memset(&w, 0, sizeof(w));
	w.db = db;
	walk_node(&w, pager_root(pager), 0, 1, 0, 0, 0, 0);
	/* invariant 2: the sibling chain follows the in-order leaves */
	for (i = 0; i < w.nleaves; i++) {
		uint32_t want = i + 1 < w.nleaves ? w.leaves[i + 1] : 0;

		read_node(db, w.leaves[i], n);
		REQUIRE(leaf_next(n->data) == want, "leaf %u: next %u, want %u", w.leaves[i],
			      leaf_next(n->data), want);
	}
	ck_assert_uint_eq(w.cells, pager_row_count(pager));
	/* every page is a tree node or free */
	ck_assert_uint_eq(1 + w.nleaves + w.internals + pager_free_count(pager),
			  pager_page_count(pager));
	depth = w.leaf_depth;
	free(w.leaves);
	free(n);
	return depth;
}

static uint32_t tree_depth(struct rowfs_db *db)
{
	struct rowfs_err err;
	uint32_t depth = 0;

	ck_assert_msg(btree_depth(rowfs_db_pager(db), &depth, &err) == ROWFS_OK, "depth: %s",
		      err.msg);
	return depth;
}

/* ---- shape ---------------------------------------------------------------- */

START_TEST(test_empty_and_one)
{
	struct rowfs_db *db = open_db(ROWFS_SYNC_OFF);
	uint32_t key = 7;
	char *text;

	text = render(db);
	ck_assert_str_eq(text, "leaf (page 1): 0 cells keys []\n");
	free(text);
	ck_assert_uint_eq(tree_depth(db), 1);
	ck_assert_uint_eq(check_tree(db), 1);
	tu_require_clean(db, NULL);

	insert_keys(db, &key, 1, 1);
	text = render(db);
	ck_assert_str_eq(text, "leaf (page 1): 1 cells keys [7]\n");
	free(text);
	tu_close(db);
}
END_TEST

START_TEST(test_sequential_200)
{
	struct rowfs_db *db = open_db(ROWFS_SYNC_OFF);
	struct pager *pager = rowfs_db_pager(db);
	struct rowfs_stats st;
	struct node root, left, right;
	char *text;

	insert_range(db, 1, 200, 1000);
	ck_assert_uint_eq(tree_depth(db), 2);
	tu_stats(db, &st);
	ck_assert_uint_eq(st.depth, 2);
	ck_assert_uint_eq(st.rows, 200);
	ck_assert_uint_eq(st.pages, 4);

	/* root: internal, one key, children 1 and 2 */
	ck_assert_uint_eq(pager_root(pager), 3);
	read_node(db, 3, &root);
	ck_assert_uint_eq(node_type(root.data), NODE_INTERNAL);
	ck_assert(node_is_root(root.data));
	ck_assert_uint_eq(node_parent(root.data), 0);
	ck_assert_uint_eq(internal_num_keys(root.data), 1);
	ck_assert_uint_eq(internal_key(root.data, 0), 102);
	ck_assert_uint_eq(internal_child(root.data, 0), 1);
	ck_assert_uint_eq(internal_right_child(root.data), 2);

	/* append-biased: the left leaf stays full, the right one takes the rest */
	read_node(db, 1, &left);
	read_node(db, 2, &right);
	ck_assert_uint_eq(node_type(left.data), NODE_LEAF);
	ck_assert_uint_eq(leaf_num_cells(left.data), LEAF_NODE_MAX_CELLS);
	ck_assert_uint_eq(leaf_num_cells(right.data), 98);
	ck_assert_uint_eq(leaf_key(left.data, 0), 1);
	ck_assert_uint_eq(leaf_key(left.data, 101), 102);
	ck_assert_uint_eq(leaf_key(right.data, 0), 103);
	ck_assert_uint_eq(leaf_key(right.data, 97), 200);
	ck_assert(!node_is_root(left.data));
	ck_assert(!node_is_root(right.data));
	ck_assert_uint_eq(node_parent(left.data), 3);
	ck_assert_uint_eq(node_parent(right.data), 3);
	ck_assert_uint_eq(leaf_next(left.data), 2);
	ck_assert_uint_eq(leaf_next(right.data), 0);

	text = render(db);
	ck_assert_str_eq(text, "internal (page 3): 1 keys [102]\n"
			       "  leaf (page 1): 102 cells keys [1..102]\n"
			       "  leaf (page 2): 98 cells keys [103..200]\n");
	free(text);
	ck_assert_uint_eq(check_tree(db), 2);
	tu_require_clean(db, NULL);

	/* the same after a reopen (the tree came back from disk) */
	tu_close(db);
	db = open_db(ROWFS_SYNC_OFF);
	text = render(db);
	ck_assert_str_eq(text, "internal (page 3): 1 keys [102]\n"
			       "  leaf (page 1): 102 cells keys [1..102]\n"
			       "  leaf (page 2): 98 cells keys [103..200]\n");
	free(text);
	tu_require_clean(db, NULL);
	tu_close(db);
}
END_TEST

/* Fill one leaf with the even keys 2..204, then insert `extra` (odd). */
static void half_split(uint32_t extra, const char *want)
{
	struct rowfs_db *db = open_db(ROWFS_SYNC_OFF);
	uint32_t keys[LEAF_NODE_MAX_CELLS];
	struct node left, right;
	char *text;
	uint32_t i;

	for (i = 0; i < LEAF_NODE_MAX_CELLS; i++)
		keys[i] = 2 * (i + 1);
	insert_keys(db, keys, LEAF_NODE_MAX_CELLS, 1000);
	ck_assert_uint_eq(tree_depth(db), 1);
	insert_keys(db, &extra, 1, 1);
	ck_assert_uint_eq(tree_depth(db), 2);

	read_node(db, 1, &left);
	read_node(db, 2, &right);
	ck_assert_uint_eq(leaf_num_cells(left.data), LEAF_NODE_LEFT_SPLIT_COUNT);
	ck_assert_uint_eq(leaf_num_cells(right.data), LEAF_NODE_RIGHT_SPLIT_COUNT);
	ck_assert_uint_eq(LEAF_NODE_LEFT_SPLIT_COUNT, 52);
	ck_assert_uint_eq(LEAF_NODE_RIGHT_SPLIT_COUNT, 51);
	text = render(db);
	ck_assert_str_eq(text, want);
	free(text);
	ck_assert_uint_eq(check_tree(db), 2);
	tu_require_clean(db, NULL);
	tu_close(db);
}

START_TEST(test_split_half_front)
{
	half_split(1, "internal (page 3): 1 keys [102]\n"
		      "  leaf (page 1): 52 cells keys [1..102]\n"
		      "  leaf (page 2): 51 cells keys [104..204]\n");
}
END_TEST

START_TEST(test_split_half_middle)
{
	/* 101 lands at cell 50: the left half takes it */
	half_split(101, "internal (page 3): 1 keys [102]\n"
			"  leaf (page 1): 52 cells keys [2..102]\n"
			"  leaf (page 2): 51 cells keys [104..204]\n");
}
END_TEST

START_TEST(test_split_half_right)
{
	/* 203 is not past the last key (204): a half split, not an append */
	half_split(203, "internal (page 3): 1 keys [104]\n"
			"  leaf (page 1): 52 cells keys [2..104]\n"
			"  leaf (page 2): 51 cells keys [106..204]\n");
}
END_TEST

START_TEST(test_split_inner_leaf)
{
	/* a full leaf that is not the rightmost one splits in half even at its end */
	struct rowfs_db *db = open_db(ROWFS_SYNC_OFF);
	uint32_t keys[LEAF_NODE_MAX_CELLS], extra[2] = {1000, 0};
	char *text;
	uint32_t i;

	for (i = 0; i < LEAF_NODE_MAX_CELLS; i++)
		keys[i] = 2 * (i + 1);
	insert_keys(db, keys, LEAF_NODE_MAX_CELLS, 1000);
	insert_keys(db, extra, 1, 1);           /* append: leaf 1 full, leaf 2 [1000] */
	text = render(db);
	ck_assert_str_eq(text, "internal (page 3): 1 keys [204]\n"
			       "  leaf (page 1): 102 cells keys [2..204]\n"
			       "  leaf (page 2): 1 cells keys [1000]\n");
	free(text);
	extra[0] = 3;
	insert_keys(db, extra, 1, 1);           /* leaf 1 splits 52/51 */
	text = render(db);
	ck_assert_str_eq(text, "internal (page 3): 2 keys [102..204]\n"
			       "  leaf (page 1): 52 cells keys [2..102]\n"
			       "  leaf (page 4): 51 cells keys [104..204]\n"
			       "  leaf (page 2): 1 cells keys [1000]\n");
	free(text);
	ck_assert_uint_eq(check_tree(db), 2);
	tu_require_clean(db, NULL);
	tu_close(db);
}
END_TEST

START_TEST(test_duplicate)
{
	struct rowfs_db *db = open_db(ROWFS_SYNC_OFF);
	struct pager *pager = rowfs_db_pager(db);
	struct rowfs_stats before, after;
	struct pager_stats pbefore, pafter;
	struct rowfs_err err;
	struct tu_buf out = {0};
	struct row row;
	char *text1, *text2;
	int rc;

	insert_range(db, 1, 102, 1000); /* one full leaf: a split would show */
	text1 = render(db);
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_OK);
	tu_stats(db, &before);

	/* through the façade */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	memset(&err, 0, sizeof(err));
	rc = tu_exec_emit(db, "insert 42 bob", 13, tu_buf_emit, &out, &err);
	ck_assert_int_eq(rc, ROWFS_DUPLICATE);
	ck_assert_int_eq(err.rc, ROWFS_DUPLICATE);
	ck_assert_str_eq(err.msg, "Error: duplicate key 42.");
	ck_assert_int_eq(rowfs_errno(rc), EEXIST);
	ck_assert_uint_eq(out.len, 0);
	ck_assert(!pager_txn_dirty(pager));

	/* straight into the tree: no page is even marked for writing */
	pager_get_stats(pager, &pbefore);
	ck_assert_int_eq(row_set(&row, 42, "carol", 5, &err), ROWFS_OK);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(btree_insert(pager, &row, &err), ROWFS_DUPLICATE);
	ck_assert_str_eq(err.msg, "Error: duplicate key 42.");
	pager_get_stats(pager, &pafter);
	ck_assert_uint_eq(pafter.dirty, pbefore.dirty);
	ck_assert(!pager_txn_dirty(pager));
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);

	tu_stats(db, &after);
	ck_assert_uint_eq(after.rows, 102);
	ck_assert_uint_eq(after.pages, before.pages);
	ck_assert_uint_eq(after.commits, before.commits);
	text2 = render(db);
	ck_assert_str_eq(text1, text2);
	free(text2);

	/* the original row is untouched */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec_emit(db, "select", 6, tu_buf_emit, &out, &err), ROWFS_OK);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_ptr_nonnull(strstr(out.data, "(42, u42)\n"));
	ck_assert_ptr_null(strstr(out.data, "bob"));
	ck_assert_ptr_null(strstr(out.data, "carol"));

	tu_close(db);
	db = open_db(ROWFS_SYNC_OFF);
	text2 = render(db);
	ck_assert_str_eq(text1, text2);
	tu_require_clean(db, NULL);
	free(text1);
	free(text2);
	tu_buf_free(&out);
	tu_close(db);
}
END_TEST

/* ---- depth 3 -------------------------------------------------------------- */

START_TEST(test_depth3_sequential)
{
	/* 511 full leaves fill the root; the 512th leaf splits it */
	const uint32_t rows = 60000, chunk = 1000;
	const uint32_t full = (INTERNAL_NODE_MAX_KEYS + 1) * LEAF_NODE_MAX_CELLS; /* 52122 */
	struct rowfs_db *db = open_db(ROWFS_SYNC_OFF);
	struct pager *pager = rowfs_db_pager(db);
	uint32_t first, depth, last_depth = 1, seen = 0;
	struct node root, left, right;
	char *text, want[128];

	for (first = 1; first <= rows; first += chunk) {
		insert_range(db, first, first + chunk - 1, chunk);
		depth = check_tree(db);
		ck_assert_uint_eq(depth, tree_depth(db));
		if (depth != last_depth) {
			ck_assert_uint_eq(depth, last_depth + 1);
			tu_require_clean(db, NULL);
			seen |= 1u << depth;
			last_depth = depth;
		}
	}
	ck_assert_uint_eq(seen, (1u << 2) | (1u << 3));
	ck_assert_uint_eq(tree_depth(db), 3);

	/* the root split was append-biased: the left half kept all 510 keys */
	read_node(db, pager_root(pager), &root);
	ck_assert_uint_eq(internal_num_keys(root.data), 1);
	ck_assert_uint_eq(internal_key(root.data, 0), full);
	read_node(db, internal_child(root.data, 0), &left);
	read_node(db, internal_right_child(root.data), &right);
	ck_assert_uint_eq(node_type(left.data), NODE_INTERNAL);
	ck_assert_uint_eq(internal_num_keys(left.data), INTERNAL_NODE_MAX_KEYS);
	ck_assert_uint_eq(internal_key(left.data, INTERNAL_NODE_MAX_KEYS - 1),
			  full - LEAF_NODE_MAX_CELLS);
	/* 589 leaves in all: 78 under the right node */
	ck_assert_uint_eq(internal_num_keys(right.data), 77);
	ck_assert_uint_eq(pager_page_count(pager), 1 + 589 + 3);

	text = render(db);
	snprintf(want, sizeof(want),
		 "internal (page %u): 1 keys [%u]\n  internal (page %u): 510 keys",
		 pager_root(pager), full, left.pgno);
	ck_assert_msg(strncmp(text, want, strlen(want)) == 0, "render starts '%.80s'", text);
	ck_assert_ptr_nonnull(strstr(text, "\n    leaf (page 1): 102 cells keys [1..102]\n"));
	free(text);
	tu_require_clean(db, NULL);

	tu_close(db);
	db = open_db(ROWFS_SYNC_OFF);
	ck_assert_uint_eq(check_tree(db), 3);
	tu_require_clean(db, NULL);
	tu_close(db);
}
END_TEST

START_TEST(test_depth3_random)
{
	const uint32_t target = 100000, chunk = 2000;
	struct rowfs_db *db = open_db(ROWFS_SYNC_OFF);
	uint64_t state = 20240917;
	uint32_t *keys = malloc(chunk * sizeof(*keys));
	uint32_t inserted = 0, depth, last_depth = 1, seen = 0;
	struct rowfs_err err;
	char line[64];

	ck_assert_ptr_nonnull(keys);
	while (inserted < target) {
		uint32_t i;

		REQUIRE(tu_begin(db, &err) == ROWFS_OK, "begin: %s", err.msg);
		for (i = 0; i < chunk; i++) {
			uint32_t key = (uint32_t)tu_next_random(&state);
			int len = snprintf(line, sizeof(line), "insert %u r%u", key, key);
			int rc = tu_exec_emit(db, line, (size_t)len, tu_expect_executed, NULL, &err);

			REQUIRE(rc == ROWFS_OK || rc == ROWFS_DUPLICATE, "'%s': %s", line,
				      err.msg);
			inserted += rc == ROWFS_OK;
		}
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
		depth = check_tree(db);
		if (depth != last_depth) {
			ck_assert_uint_eq(depth, last_depth + 1);
			tu_require_clean(db, NULL);
			seen |= 1u << depth;
			last_depth = depth;
		}
	}
	ck_assert_uint_eq(seen, (1u << 2) | (1u << 3));
	ck_assert_uint_eq(pager_row_count(rowfs_db_pager(db)), inserted);
	tu_require_clean(db, NULL);
	tu_close(db);
	db = open_db(ROWFS_SYNC_OFF);
	ck_assert_uint_eq(check_tree(db), 3);
	tu_require_clean(db, NULL);
	tu_close(db);
	free(keys);
}
END_TEST

/* ---- space ---------------------------------------------------------------- */

START_TEST(test_million_sequential_pages)
{
	/* 9,804 full leaves + 21 internal nodes + the header: ~9,826 pages (~40 MB) */
	const uint32_t rows = 1000000;
	struct rowfs_db *db = open_db(ROWFS_SYNC_OFF);
	struct rowfs_stats st;
	struct stat sb;

	insert_range(db, 1, rows, 100000);
	tu_stats(db, &st);
	ck_assert_uint_eq(st.cache_pages, ROWFS_DEFAULT_CACHE_PAGES);
	ck_assert_uint_eq(st.rows, rows);
	ck_assert_uint_eq(st.depth, 3);
	ck_assert_msg(st.pages <= 10300, "%u pages for %u sequential rows", st.pages, rows);
	ck_assert_msg(st.pages >= 1 + (rows + LEAF_NODE_MAX_CELLS - 1) / LEAF_NODE_MAX_CELLS,
		      "%u pages cannot hold %u rows", st.pages, rows);
	tu_require_clean(db, NULL);
	tu_close(db);
	ck_assert_int_eq(stat(tu_db_path, &sb), 0);
	ck_assert_msg((uint64_t)sb.st_size <= 10300ull * PAGE_SIZE, "file is %lld bytes",
		      (long long)sb.st_size);
	ck_assert_uint_eq((uint64_t)sb.st_size, (uint64_t)st.pages * PAGE_SIZE);
}
END_TEST

static Suite *btree_suite(void)
{
	Suite *s = suite_create("btree");
	TCase *tc;

	tc = tcase_create("shape");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_empty_and_one);
	tcase_add_test(tc, test_sequential_200);
	tcase_add_test(tc, test_split_half_front);
	tcase_add_test(tc, test_split_half_middle);
	tcase_add_test(tc, test_split_half_right);
	tcase_add_test(tc, test_split_inner_leaf);
	tcase_add_test(tc, test_duplicate);
	suite_add_tcase(s, tc);

	tc = tcase_create("depth3");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_depth3_sequential);
	tcase_add_test(tc, test_depth3_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("space");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_million_sequential_pages);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_btree", btree_suite());
}
