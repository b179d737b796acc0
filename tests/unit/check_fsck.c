/*
 * check_fsck.c - unit tests of the integrity check (engine/check.c,
 * tu_check()).
 *
 * Owns: clean databases of several sizes (and a crash-state copy with
 * committed transactions only in the WAL) report no problem; copies damaged
 * at computed offsets (swapped keys, broken sibling pointer, a page
 * referenced twice, wrong parent, undecodable row, bad node type, wrong row
 * count, free-list cycle, impossible page count, bad WAL records that
 * recovery skips) report the right kind of problem; a file that is not a
 * database fails to open; and random byte flips never crash the open or
 * the check.
 *
 * Databases are built through the public API, closed (which checkpoints,
 * so every row is in DBFILE), then copied and damaged with pwrite.  Header
 * edits recompute the header checksum as pager.c does.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btree_int.h"
#include "db_int.h"
#include "format.h"
#include "os.h"
#include "record.h"
#include "row.h"
#include "rowfs.h"
#include "table_int.h"
#include "testutil.h"
#include "vm.h"
#include "wal.h"

/* ---- helpers ---------------------------------------------------------- */

/*
 * Build a database of count rows: ids 1..count in order, or shuffled by a
 * fixed permutation (stride, which must be prime to count).  One
 * transaction; closed, so the rows are checkpointed into DBFILE.
 */
static void build(const char *path, uint32_t count, uint32_t stride)
{
	struct rowfs_config cfg = { .path = path };
	struct rowfs_err err = { 0 };
	struct rowfs_db *db;
	char line[64];
	uint32_t i, id;
	int n;

	ck_assert_int_eq(rowfs_open(&cfg, &db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < count; i++) {
		id = stride ? (uint32_t)(((uint64_t)i * stride) % count) + 1 : i + 1;
		n = snprintf(line, sizeof(line), "insert %u user_%u", id, id);
		ck_assert_msg(tu_exec_emit(db, line, (size_t)n, tu_discard, NULL, &err) == ROWFS_OK,
			      "%s: %s", line, err.msg);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_close_rc(db, &err), ROWFS_OK);
}

/* Page pgno of path into buf (PAGE_SIZE bytes). */
static void read_page(const char *path, uint32_t pgno, uint8_t *buf)
{
	tu_pread_at(path, (off_t)pgno * PAGE_SIZE, buf, PAGE_SIZE);
}

/* buf (PAGE_SIZE bytes) over page pgno of path. */
static void write_page(const char *path, uint32_t pgno, const uint8_t *buf)
{
	tu_pwrite_at(path, (off_t)pgno * PAGE_SIZE, buf, PAGE_SIZE);
}

/* Rewrite the header checksum after an edit. */
static void fix_header_checksum(uint8_t *hdr)
{
	pager_header_seal(hdr);
}

static uint32_t header_u32(const char *path, uint32_t offset)
{
	uint8_t page[PAGE_SIZE];

	read_page(path, 0, page);
	return get_u32(page + offset);
}

/* What one check produced. */
struct result {
	int open_rc;                 /* rowfs_open's code */
	int check_rc;                /* rowfs_check's code (-1: not run) */
	uint64_t problems;           /* problems reported */
	char text[16384];            /* the report, cut to fit */
	size_t len;                  /* bytes in text */
	unsigned lines;              /* emitted lines */
	char open_msg[256];          /* rowfs_open's message */
};

/* Sink that keeps the report and checks that every piece is one line. */
static int capture(void *ctx, const char *text, size_t len)
{
	struct result *r = ctx;
	size_t room = sizeof(r->text) - 1 - r->len;

	ck_assert_uint_gt(len, 0);
	ck_assert_msg(text[len - 1] == '\n', "problem lines end with a newline");
	ck_assert_ptr_null(memchr(text, '\n', len - 1));
	r->lines++;
	if (len > room)
		len = room;
	memcpy(r->text + r->len, text, len);
	r->len += len;
	r->text[r->len] = '\0';
	return 0;
}

/* Open path read-only, check it, close it. */
static void run_check(const char *path, struct result *r)
{
	struct rowfs_config cfg = { .path = path, .read_only = 1, .for_check = 1 };
	struct rowfs_err err = { 0 };
	struct rowfs_db *db;

	memset(r, 0, sizeof(*r));
	r->check_rc = -1;
	r->open_rc = rowfs_open(&cfg, &db, &err);
	snprintf(r->open_msg, sizeof(r->open_msg), "%s", err.msg);
	if (r->open_rc != ROWFS_OK)
		return;
	r->check_rc = tu_check(db, capture, r, &r->problems, &err);
	tu_close_rc(db, &err);
}

/* Check path and expect a clean report. */
static void expect_clean(const char *path)
{
	struct result r;

	run_check(path, &r);
	ck_assert_msg(r.open_rc == ROWFS_OK, "open: %s", r.open_msg);
	ck_assert_int_eq(r.check_rc, ROWFS_OK);
	ck_assert_msg(r.problems == 0, "unexpected problems:\n%s", r.text);
	ck_assert_uint_eq(r.len, 0);
}

/* Check path and expect problems, one of whose lines contains needle. */
static void expect_problem(const char *path, const char *needle)
{
	struct result r;

	run_check(path, &r);
	ck_assert_msg(r.open_rc == ROWFS_OK, "open: %s", r.open_msg);
	ck_assert_int_eq(r.check_rc, ROWFS_OK);
	ck_assert_msg(r.problems > 0, "no problem found, expected '%s'", needle);
	ck_assert_msg(strstr(r.text, needle) != NULL, "expected '%s' in:\n%s", needle, r.text);
	ck_assert_uint_eq(r.lines, r.problems < 1001 ? r.problems : 1001);
}

/* The 200-row database and its root (internal, two leaves). */
static const char *db200(uint32_t *root, uint8_t *root_page)
{
	const char *path = tu_path("200.db");

	build(path, 200, 0);
	*root = header_u32(path, HDR_ROOT_OFFSET);
	read_page(path, *root, root_page);
	ck_assert_uint_eq(node_type(root_page), NODE_INTERNAL);
	ck_assert_uint_ge(internal_num_keys(root_page), 1);
	return path;
}

/* ---- clean databases --------------------------------------------------- */

START_TEST(test_clean_empty)
{
	const char *path = tu_path("empty.db");

	build(path, 0, 0);
	expect_clean(path);
}
END_TEST

START_TEST(test_clean_1)
{
	const char *path = tu_path("1.db");

	build(path, 1, 0);
	expect_clean(path);
}
END_TEST

START_TEST(test_clean_200)
{
	const char *path = tu_path("200.db");

	build(path, 200, 0);
	expect_clean(path);
}
END_TEST

START_TEST(test_clean_20000_shuffled)
{
	const char *path = tu_path("20000.db");

	build(path, 20000, 7919);
	expect_clean(path);
}
END_TEST

START_TEST(test_clean_20000_sequential)
{
	const char *path = tu_path("20000s.db");

	build(path, 20000, 0);
	expect_clean(path);
}
END_TEST

/*
 * Committed transactions that live only in the WAL (copies taken while the
 * database is open, as a crash leaves them) are checked after replay.
 */
START_TEST(test_clean_crash_state)
{
	struct rowfs_config cfg = { .path = tu_path("live.db") };
	struct rowfs_err err = { 0 };
	struct rowfs_db *db;
	struct result r;
	char line[64];
	int i, n;

	build(cfg.path, 150, 0);
	ck_assert_int_eq(rowfs_open(&cfg, &db, &err), ROWFS_OK);
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		n = snprintf(line, sizeof(line), "insert %d late_%d", 1000 + i, i);
		ck_assert_int_eq(tu_exec_emit(db, line, (size_t)n, tu_discard, NULL, &err), ROWFS_OK);
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	}
	tu_copy_file(tu_path("live.db"), tu_path("crash.db"));
	tu_copy_file(tu_path("live.db-wal"), tu_path("crash.db-wal"));
	ck_assert_int_eq(tu_close_rc(db, &err), ROWFS_OK);

	run_check(tu_path("crash.db"), &r);
	ck_assert_msg(r.open_rc == ROWFS_OK, "open: %s", r.open_msg);
	ck_assert_int_eq(r.check_rc, ROWFS_OK);
	ck_assert_msg(r.problems == 0, "unexpected problems:\n%s", r.text);
}
END_TEST

/* An internal root with no key and only a right child is valid. */
START_TEST(test_clean_keyless_internal_root)
{
	const char *path = tu_path("keyless.db");
	uint8_t page[PAGE_SIZE];
	uint32_t leaf, pages;

	build(path, 1, 0);
	leaf = header_u32(path, HDR_ROOT_OFFSET);
	pages = header_u32(path, HDR_PAGE_COUNT_OFFSET);

	memset(page, 0, sizeof(page));
	set_node_type(page, NODE_INTERNAL);
	set_node_root(page, 1);
	set_node_parent(page, 0);
	set_internal_num_keys(page, 0);
	set_internal_right_child(page, leaf);
	write_page(path, pages, page);

	read_page(path, leaf, page);
	set_node_root(page, 0);
	set_node_parent(page, pages);
	write_page(path, leaf, page);

	tu_set_header_u32(path, HDR_ROOT_OFFSET, pages, 1);
	tu_set_header_u32(path, HDR_PAGE_COUNT_OFFSET, pages + 1, 1);
	expect_clean(path);
}
END_TEST

/* A well-formed free list of two pages is accounted for. */
START_TEST(test_clean_free_list)
{
	const char *path = tu_path("free.db");
	uint8_t page[PAGE_SIZE];
	uint32_t pages;

	build(path, 200, 0);
	pages = header_u32(path, HDR_PAGE_COUNT_OFFSET);
	memset(page, 0, sizeof(page));
	set_node_type(page, NODE_FREE);
	put_u32(page + FREE_PAGE_NEXT_OFFSET, pages + 1);
	write_page(path, pages, page);
	put_u32(page + FREE_PAGE_NEXT_OFFSET, 0);
	write_page(path, pages + 1, page);
	tu_set_header_u32(path, HDR_PAGE_COUNT_OFFSET, pages + 2, 1);
	tu_set_header_u32(path, HDR_FREE_HEAD_OFFSET, pages, 1);
	tu_set_header_u32(path, HDR_FREE_COUNT_OFFSET, 2, 1);
	expect_clean(path);
}
END_TEST

/* ---- damage ------------------------------------------------------------ */

START_TEST(test_swapped_keys)
{
	uint8_t root_page[PAGE_SIZE], page[PAGE_SIZE], cell[LEAF_NODE_CELL_SIZE];
	uint32_t root, leaf;
	const char *path = db200(&root, root_page);

	leaf = internal_child(root_page, 0);
	read_page(path, leaf, page);
	memcpy(cell, leaf_cell(page, 0), LEAF_NODE_CELL_SIZE);
	memcpy(leaf_cell(page, 0), leaf_cell(page, 1), LEAF_NODE_CELL_SIZE);
	memcpy(leaf_cell(page, 1), cell, LEAF_NODE_CELL_SIZE);
	write_page(path, leaf, page);
	expect_problem(path, "keys out of order");
}
END_TEST

START_TEST(test_key_outside_parent_range)
{
	uint8_t root_page[PAGE_SIZE], page[PAGE_SIZE];
	uint32_t root, leaf, last;
	const char *path = db200(&root, root_page);

	/* The last key of the left leaf made larger than the separator. */
	leaf = internal_child(root_page, 0);
	read_page(path, leaf, page);
	last = leaf_num_cells(page) - 1;
	put_u32(leaf_cell(page, last), 100000);
	put_u32(leaf_cell(page, last) + LEAF_NODE_VALUE_OFFSET + ID_OFFSET, 100000);
	write_page(path, leaf, page);
	expect_problem(path, "out of its parent's range");
}
END_TEST

START_TEST(test_broken_sibling_pointer)
{
	uint8_t root_page[PAGE_SIZE], page[PAGE_SIZE];
	uint32_t root, leaf;
	const char *path = db200(&root, root_page);

	leaf = internal_child(root_page, 0);
	read_page(path, leaf, page);
	ck_assert_uint_ne(leaf_next(page), 0);
	set_leaf_next(page, 0);
	write_page(path, leaf, page);
	expect_problem(path, "next leaf is 0, expected");
}
END_TEST

START_TEST(test_last_leaf_next_not_zero)
{
	uint8_t root_page[PAGE_SIZE], page[PAGE_SIZE];
	uint32_t root, leaf;
	const char *path = db200(&root, root_page);

	leaf = internal_right_child(root_page);
	read_page(path, leaf, page);
	set_leaf_next(page, internal_child(root_page, 0));
	write_page(path, leaf, page);
	expect_problem(path, "last leaf's next is");
}
END_TEST

START_TEST(test_page_referenced_twice)
{
	uint8_t root_page[PAGE_SIZE];
	uint32_t root;
	const char *path = db200(&root, root_page);

	set_internal_right_child(root_page, internal_child(root_page, 0));
	write_page(path, root, root_page);
	expect_problem(path, "referenced more than once");
	expect_problem(path, "never used");
}
END_TEST

START_TEST(test_wrong_parent_and_root_flag)
{
	uint8_t root_page[PAGE_SIZE], page[PAGE_SIZE];
	uint32_t root, leaf;
	const char *path = db200(&root, root_page);

	leaf = internal_child(root_page, 0);
	read_page(path, leaf, page);
	set_node_parent(page, leaf);
	set_node_root(page, 1);
	write_page(path, leaf, page);
	expect_problem(path, "parent pointer is");
	expect_problem(path, "is_root flag is 1, expected 0");
}
END_TEST

START_TEST(test_row_does_not_decode)
{
	uint8_t root_page[PAGE_SIZE], page[PAGE_SIZE];
	uint32_t root, leaf;
	const char *path = db200(&root, root_page);

	leaf = internal_child(root_page, 0);
	read_page(path, leaf, page);
	/* non-zero byte after the name's terminating zero */
	leaf_cell(page, 3)[LEAF_NODE_VALUE_OFFSET + USERNAME_OFFSET + USERNAME_SIZE - 1] = 'x';
	/* row id different from the key */
	put_u32(leaf_cell(page, 4) + LEAF_NODE_VALUE_OFFSET + ID_OFFSET, 77777);
	write_page(path, leaf, page);
	expect_problem(path, "row does not decode");
	expect_problem(path, "but row id 77777");
}
END_TEST

START_TEST(test_bad_node_type)
{
	uint8_t root_page[PAGE_SIZE], page[PAGE_SIZE];
	uint32_t root, leaf;
	const char *path = db200(&root, root_page);

	leaf = internal_right_child(root_page);
	read_page(path, leaf, page);
	set_node_type(page, 9);
	write_page(path, leaf, page);
	expect_problem(path, "invalid node type 9");
}
END_TEST

START_TEST(test_cell_count_too_large)
{
	uint8_t root_page[PAGE_SIZE], page[PAGE_SIZE];
	uint32_t root, leaf;
	const char *path = db200(&root, root_page);

	leaf = internal_child(root_page, 0);
	read_page(path, leaf, page);
	set_leaf_num_cells(page, 0xffffffffu);
	write_page(path, leaf, page);
	expect_problem(path, "leaf cell count 4294967295 exceeds 102");
}
END_TEST

START_TEST(test_child_out_of_range)
{
	uint8_t root_page[PAGE_SIZE];
	uint32_t root;
	const char *path = db200(&root, root_page);

	set_internal_right_child(root_page, 123456);
	write_page(path, root, root_page);
	expect_problem(path, "points to page 123456, out of range");
}
END_TEST

START_TEST(test_empty_leaf)
{
	uint8_t root_page[PAGE_SIZE], page[PAGE_SIZE];
	uint32_t root, leaf;
	const char *path = db200(&root, root_page);

	leaf = internal_child(root_page, 0);
	read_page(path, leaf, page);
	set_leaf_num_cells(page, 0);
	write_page(path, leaf, page);
	expect_problem(path, "empty leaf");
	expect_problem(path, "but the tree holds");
}
END_TEST

/* One leaf pushed a level down under a keyless internal node. */
START_TEST(test_leaves_at_different_depths)
{
	uint8_t root_page[PAGE_SIZE], page[PAGE_SIZE];
	uint32_t root, right, pages;
	const char *path = db200(&root, root_page);

	pages = header_u32(path, HDR_PAGE_COUNT_OFFSET);
	right = internal_right_child(root_page);
	memset(page, 0, sizeof(page));
	set_node_type(page, NODE_INTERNAL);
	set_node_parent(page, root);
	set_internal_num_keys(page, 0);
	set_internal_right_child(page, right);
	write_page(path, pages, page);
	set_internal_right_child(root_page, pages);
	write_page(path, root, root_page);
	read_page(path, right, page);
	set_node_parent(page, pages);
	write_page(path, right, page);
	tu_set_header_u32(path, HDR_PAGE_COUNT_OFFSET, pages + 1, 1);
	expect_problem(path, "leaf at depth 2, other leaves at depth 1");
}
END_TEST

START_TEST(test_bad_magic)
{
	const char *path = tu_path("magic.db");
	uint8_t page[PAGE_SIZE];
	struct result r;

	build(path, 10, 0);
	read_page(path, 0, page);
	page[0] ^= 0x20;
	write_page(path, 0, page);
	run_check(path, &r);
	ck_assert_int_eq(r.open_rc, ROWFS_NOTADB);
	ck_assert_msg(strstr(r.open_msg, "not a rowfs database") != NULL, "%s", r.open_msg);
}
END_TEST

START_TEST(test_wrong_row_count)
{
	const char *path = tu_path("rows.db");
	uint8_t page[PAGE_SIZE];

	build(path, 200, 0);
	read_page(path, 0, page);
	put_u64(page + HDR_ROW_COUNT_OFFSET, 201);
	fix_header_checksum(page);
	write_page(path, 0, page);
	expect_problem(path, "row count 201, but the tree holds 200 rows");
}
END_TEST

START_TEST(test_free_list_cycle)
{
	const char *path = tu_path("cycle.db");
	uint8_t page[PAGE_SIZE];
	uint32_t pages;

	build(path, 200, 0);
	pages = header_u32(path, HDR_PAGE_COUNT_OFFSET);
	memset(page, 0, sizeof(page));
	set_node_type(page, NODE_FREE);
	put_u32(page + FREE_PAGE_NEXT_OFFSET, pages + 1);
	write_page(path, pages, page);
	put_u32(page + FREE_PAGE_NEXT_OFFSET, pages);
	write_page(path, pages + 1, page);
	tu_set_header_u32(path, HDR_PAGE_COUNT_OFFSET, pages + 2, 1);
	tu_set_header_u32(path, HDR_FREE_HEAD_OFFSET, pages, 1);
	tu_set_header_u32(path, HDR_FREE_COUNT_OFFSET, 2, 1);
	expect_problem(path, "free list loops back");
}
END_TEST

START_TEST(test_free_list_holds_tree_page)
{
	uint8_t root_page[PAGE_SIZE];
	uint32_t root;
	const char *path = db200(&root, root_page);

	tu_set_header_u32(path, HDR_FREE_HEAD_OFFSET, internal_child(root_page, 0), 1);
	tu_set_header_u32(path, HDR_FREE_COUNT_OFFSET, 1, 1);
	expect_problem(path, "on the free list and in the tree");
}
END_TEST

START_TEST(test_impossible_page_count)
{
	const char *path = tu_path("huge.db");
	struct result r;

	build(path, 200, 0);
	tu_set_header_u32(path, HDR_PAGE_COUNT_OFFSET, 0xfffffff0u, 1);
	run_check(path, &r);
	if (r.open_rc != ROWFS_OK)
		return;   /* refusing to open is fine too */
	ck_assert_int_eq(r.check_rc, ROWFS_OK);
	ck_assert_msg(strstr(r.text, "more than the file and its WAL can hold") != NULL, "%s",
		      r.text);
	ck_assert_uint_lt(r.problems, 10);
}
END_TEST

/* wal_scan callback that accepts every frame. */
static int accept_frame(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
			uint32_t len, uint64_t offset)
{
	(void)ctx;
	(void)type;
	(void)seq;
	(void)payload;
	(void)len;
	(void)offset;
	return ROWFS_OK;
}

/*
 * Bad records in transaction frames that recovery skips (their sequence is
 * not newer than the file's) are still reported.  Records are framed by
 * their op (logrec.h): after a record whose extent is known (bad padding,
 * a row that does not decode) the next one is still checked; after an
 * unknown op or a truncated record the rest of the frame cannot be.
 */
START_TEST(test_wal_bad_records)
{
	const char *path = tu_path("wal.db");
	const char *wal_path = tu_path("wal.db-wal");
	uint8_t record[2 * VM_RECORD_SIZE];
	struct rowfs_err err = { 0 };
	struct wal *wal;

	build(path, 10, 0);
	ck_assert_int_eq(wal_open(os_default(), wal_path, 0, 0, &wal, &err), ROWFS_OK);
	ck_assert_int_eq(wal_scan(wal, accept_frame, NULL, &err), ROWFS_OK);
	memset(record, 0, sizeof(record));
	record[0] = VM_OP_INSERT;                           /* padding not zero */
	record[2] = 1;
	put_u32(record + 4, 4);
	memcpy(record + 8, "abd", 3);
	record[VM_RECORD_SIZE] = 9;                         /* unknown op */
	put_u32(record + VM_RECORD_SIZE + 4, 3);
	memcpy(record + VM_RECORD_SIZE + 8, "abc", 3);
	ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN, 1, record, sizeof(record), &err), ROWFS_OK);
	memset(record, 0, sizeof(record));
	record[0] = VM_OP_INSERT;                           /* empty name */
	ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN, 1, record, VM_RECORD_SIZE, &err), ROWFS_OK);
	record[VM_RECORD_SIZE] = VM_OP_DELETE;              /* 8 bytes of a 40-byte record */
	ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN, 1, record, 48, &err), ROWFS_OK);
	ck_assert_int_eq(wal_sync(wal, 0, &err), ROWFS_OK);
	wal_close(wal);

	expect_problem(path, "WAL frame 1 (offset 32): record 0 has non-zero padding");
	expect_problem(path, "WAL frame 1 (offset 32): record 1 has op 9");
	expect_problem(path, "WAL frame 2 (offset 136): record 0: row does not decode");
	expect_problem(path, "WAL frame 3 (offset 200): record 0: row does not decode");
	expect_problem(path, "WAL frame 3 (offset 200): record 1 is truncated: 8 bytes left, "
		       "the record needs 40");
}
END_TEST

/* Rows a read-only open of path finds (its WAL replayed). */
static uint64_t rows_of(const char *path)
{
	struct rowfs_config cfg = { .path = path, .read_only = 1 };
	struct rowfs_err err = { 0 };
	struct rowfs_stats st;
	struct rowfs_db *db;

	ck_assert_int_eq(rowfs_open(&cfg, &db, &err), ROWFS_OK);
	tu_stats(db, &st);
	rowfs_close(db, &err);
	return st.rows;
}

/*
 * A transaction whose log went to the WAL in parts: copies taken in the
 * middle of it (parts, no commit frame) and after its commit are clean,
 * and show none of it and all of it.  Bad records in the parts of a
 * committed transaction are reported with their frame; the parts of one
 * that never committed are not part of the log and are not read.
 */
START_TEST(test_wal_parts)
{
	struct rowfs_config cfg = { .txn_part_bytes = 256, .wal_limit = 1ull << 40 };
	char live[4400], path[4400];
	uint8_t record[2 * VM_RECORD_SIZE];
	struct rowfs_err err = { 0 };
	struct rowfs_db *db;
	struct wal *wal;
	struct result r;
	char line[64];
	int i, n;

	snprintf(live, sizeof(live), "%s", tu_path("parts.db"));   /* tu_path's buffers rotate */
	snprintf(path, sizeof(path), "%s", tu_path("crafted.db"));
	cfg.path = live;
	build(cfg.path, 150, 0);
	ck_assert_int_eq(rowfs_open(&cfg, &db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < 30000; i++) {
		n = snprintf(line, sizeof(line), "insert %d late_%d", 1000 + i, i);
		REQUIRE(tu_exec_emit(db, line, (size_t)n, tu_discard, NULL, &err) == ROWFS_OK, "%s",
			err.msg);
	}
	ck_assert_int_gt(tu_file_size(tu_path("parts.db-wal")), 1 << 19);   /* parts written */
	tu_copy_file(tu_path("parts.db"), tu_path("orphan.db"));
	tu_copy_file(tu_path("parts.db-wal"), tu_path("orphan.db-wal"));
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_copy_file(tu_path("parts.db"), tu_path("committed.db"));
	tu_copy_file(tu_path("parts.db-wal"), tu_path("committed.db-wal"));
	ck_assert_int_eq(rowfs_close(db, &err), ROWFS_OK);
	expect_clean(tu_path("orphan.db"));
	ck_assert_uint_eq(rows_of(tu_path("orphan.db")), 150);
	expect_clean(tu_path("committed.db"));
	ck_assert_uint_eq(rows_of(tu_path("committed.db")), 30150);

	build(path, 10, 0);
	ck_assert_int_eq(wal_open(os_default(), tu_path("crafted.db-wal"), 0, 0, &wal, &err),
			 ROWFS_OK);
	ck_assert_int_eq(wal_scan(wal, accept_frame, NULL, &err), ROWFS_OK);
	memset(record, 0, sizeof(record));
	record[0] = VM_OP_INSERT;                           /* padding not zero */
	record[2] = 1;
	put_u32(record + 4, 4);
	memcpy(record + 8, "abd", 3);
	ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN_PART, 1, record, VM_RECORD_SIZE, &err),
			 ROWFS_OK);
	record[2] = 0;
	ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN_PART, 1, record, VM_RECORD_SIZE, &err),
			 ROWFS_OK);
	ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN, 1, record, VM_RECORD_SIZE, &err), ROWFS_OK);
	record[0] = 9;                                      /* unknown op, never committed */
	ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN_PART, 2, record, VM_RECORD_SIZE, &err),
			 ROWFS_OK);
	ck_assert_int_eq(wal_sync(wal, 0, &err), ROWFS_OK);
	wal_close(wal);
	run_check(path, &r);
	ck_assert_int_eq(r.check_rc, ROWFS_OK);
	ck_assert_msg(r.problems == 1 && strstr(r.text, "WAL frame 1 (offset 32): record 0 has "
						    "non-zero padding\n") != NULL,
		      "report:\n%s", r.text);
}
END_TEST

/* One version-2 log record: header (op, root, key, payload length) and payload. */
static size_t v2_record(uint8_t *dst, uint8_t op, uint32_t root, int64_t key,
			const void *payload, uint32_t len)
{
	size_t padded = ((size_t)len + 7) & ~(size_t)7;

	memset(dst, 0, LOG_TABLE_HEADER_SIZE + padded);
	dst[0] = op;
	put_u32(dst + 4, root);
	put_u64(dst + 8, (uint64_t)key);
	put_u32(dst + 16, len);
	if (len)
		memcpy(dst + LOG_TABLE_HEADER_SIZE, payload, len);
	return LOG_TABLE_HEADER_SIZE + padded;
}

/* Version-2 records that break their framing or whose payload does not decode. */
START_TEST(test_wal_bad_v2_records)
{
	const char *path = tu_path("wal2.db");
	const char *wal_path = tu_path("wal2.db-wal");
	static const uint8_t bad_serial[] = { 2, 10 };     /* serial type 10 is unknown */
	static const uint8_t good_record[] = { 2, 1, 7 };  /* one integer 7 */
	static const char bad_sql[] = "create tabel t (id integer primary key)";
	uint8_t frame[512];
	struct rowfs_err err = { 0 };
	struct wal *wal;
	size_t n = 0;

	build(path, 10, 0);
	ck_assert_int_eq(wal_open(os_default(), wal_path, 0, 0, &wal, &err), ROWFS_OK);
	ck_assert_int_eq(wal_scan(wal, accept_frame, NULL, &err), ROWFS_OK);
	n += v2_record(frame + n, LOG_OP_TABLE_INSERT, 0, 1, good_record, sizeof(good_record));
	n += v2_record(frame + n, LOG_OP_TABLE_INSERT, 5, 2, bad_serial, sizeof(bad_serial));
	n += v2_record(frame + n, LOG_OP_TABLE_DELETE, 5, 3, good_record, sizeof(good_record));
	n += v2_record(frame + n, LOG_OP_CREATE_TABLE, 0, 0, bad_sql, sizeof(bad_sql) - 1);
	n += v2_record(frame + n, LOG_OP_TABLE_UPDATE, 5, 4, NULL, 0);
	n += v2_record(frame + n, LOG_OP_TABLE_INSERT, 5, 5, good_record, sizeof(good_record));
	frame[n - 8 + 3] = 1;                              /* padding after the payload */
	n += v2_record(frame + n, LOG_OP_TABLE_INSERT, 5, 6, good_record, sizeof(good_record));
	put_u32(frame + n - 16, 1000);                     /* payload past the frame */
	ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN, 1, frame, (uint32_t)n, &err), ROWFS_OK);
	ck_assert_int_eq(wal_sync(wal, 0, &err), ROWFS_OK);
	wal_close(wal);

	expect_problem(path, "record 0 (op 4) names root page 0");
	expect_problem(path, "record 1: table record does not decode");
	expect_problem(path, "record 2 (op 6) carries a payload of 3 bytes");
	expect_problem(path, "record 3: create statement does not parse");
	expect_problem(path, "record 4 (op 5) has no payload");
	expect_problem(path, "record 5 has non-zero padding");
	expect_problem(path, "record 6 has a payload of 1000 bytes that runs past the frame");
}
END_TEST

/* Version-2 records in the log of a version-1 file are reported. */
START_TEST(test_wal_v2_record_in_v1_file)
{
	static const uint8_t good_record[] = { 2, 1, 7 };
	struct rowfs_err err = { 0 };
	uint8_t frame[64];
	struct wal *wal;
	size_t n;

	unlink(tu_wal_path);
	tu_build_v1(tu_db_path, 10, 0);
	ck_assert_int_eq(wal_open(os_default(), tu_wal_path, 0, 0, &wal, &err), ROWFS_OK);
	ck_assert_int_eq(wal_scan(wal, accept_frame, NULL, &err), ROWFS_OK);
	n = v2_record(frame, LOG_OP_TABLE_INSERT, 2, 1, good_record, sizeof(good_record));
	ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN, 0, frame, (uint32_t)n, &err), ROWFS_OK);
	ck_assert_int_eq(wal_sync(wal, 0, &err), ROWFS_OK);
	wal_close(wal);
	expect_problem(tu_db_path, "record 0: op 4 in the log of a version-1 database");
}
END_TEST

/* ---- version-2 tables ---------------------------------------------------- */

/* Key of the row whose record overflows into three pages (4084, 4084, and about 1000 bytes). */
#define BIG_KEY 5000
/* Rows of table t besides BIG_KEY: keys 1..T_ROWS. */
#define T_ROWS 600u

/* Run statements (one per line of text) in one transaction; each must succeed. */
static void exec_lines(struct rowfs_db *db, const char *text)
{
	struct rowfs_err err = { 0 };
	const char *line = text, *end;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		ck_assert_msg(tu_exec_emit(db, line, (size_t)(end - line), tu_discard, NULL, &err) ==
			      ROWFS_OK, "%.*s: %s", (int)(end - line > 80 ? 80 : end - line), line,
			      err.msg);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
}

/* The statements that fill table t: keys 1..T_ROWS, n = key % 100, s = "sKEY", b = x'abcd'. */
static char *t_rows(void)
{
	struct tu_buf b = { 0 };
	char line[128];
	uint32_t i;
	int n;

	for (i = 1; i <= T_ROWS; i++) {
		n = snprintf(line, sizeof(line), "insert into t values (%u, %u, 's%u', x'abcd')\n", i,
			     i % 100, i);
		tu_buf_emit(&b, line, (size_t)n);
	}
	return b.data;
}

/* The statement of the big row: b of 9640 bytes, so its record overflows into 3 pages. */
static char *big_row(void)
{
	size_t i, len = 9640;
	char *s = malloc(2 * len + 64), *p;

	ck_assert_ptr_nonnull(s);
	p = s + sprintf(s, "insert into t values (%d, 5, 'big', x'", BIG_KEY);
	for (i = 0; i < len; i++)
		p += sprintf(p, "%02x", (unsigned)(i * 7 % 251));
	strcpy(p, "')");
	return s;
}

/*
 * A version-2 database with two tables: t (a root over leaves, and one row
 * with an overflow chain of three pages) and u (two rows in its root
 * leaf).  Closed, so everything is in DBFILE.
 */
static void build_tables(const char *path)
{
	struct rowfs_config cfg = { .path = path };
	struct rowfs_db *db = tu_open(&cfg);
	char *rows = t_rows(), *big = big_row();

	exec_lines(db, "create table t (id integer primary key, n integer not null, s text(8), "
		   "b blob)\ncreate table u (k integer primary key, v text)\n"
		   "insert into u values (1, 'one')\ninsert into u values (2, 'two')");
	exec_lines(db, rows);
	exec_lines(db, big);
	free(rows);
	free(big);
	tu_close(db);
}

/* The root page of table name, from the catalog's root leaf in the file. */
static uint32_t table_root(const char *path, const char *name, uint32_t *catalog_cell_page)
{
	uint8_t page[PAGE_SIZE];
	uint32_t catalog = header_u32(path, HDR_CATALOG_ROOT_OFFSET);
	struct table_cell tc;
	struct value v[5];
	unsigned i;

	read_page(path, catalog, page);
	ck_assert_uint_eq(table_page_type(page), NODE_TABLE_LEAF);
	for (i = 0; i < table_page_count(page); i++) {
		ck_assert_int_eq(table_leaf_cell(page, i, &tc), ROWFS_OK);
		ck_assert_int_eq(record_decode(tc.local, tc.local_len, v, 5, NULL), ROWFS_OK);
		if (v[1].len == strlen(name) && memcmp(v[1].p, name, v[1].len) == 0) {
			if (catalog_cell_page)
				*catalog_cell_page = catalog;
			return (uint32_t)v[3].i;
		}
	}
	ck_abort_msg("table %s not in the catalog", name);
	return 0;
}

/* The leaves of the tree at root, in key order (a root leaf, or a root over leaves). */
static unsigned table_leaves(const char *path, uint32_t root, uint32_t *leaves, unsigned max)
{
	uint8_t page[PAGE_SIZE];
	unsigned i, n = 0;

	read_page(path, root, page);
	if (table_page_type(page) == NODE_TABLE_LEAF) {
		leaves[0] = root;
		return 1;
	}
	ck_assert_uint_eq(table_page_type(page), NODE_TABLE_INTERNAL);
	for (i = 0; i <= table_page_count(page) && n < max; i++)
		ck_assert_int_eq(table_internal_child(page, i, &leaves[n++]), ROWFS_OK);
	return n;
}

/* Where key's cell is: its leaf, the cell, and the file offset of its record's first byte. */
struct cell_at {
	uint32_t leaf;            /* page */
	unsigned cell;            /* index */
	struct table_cell tc;     /* decoded (pointers into a copy: use the offsets) */
	off_t record;             /* file offset of the record's local part */
};

static void find_cell(const char *path, uint32_t root, int64_t key, struct cell_at *at)
{
	static uint8_t page[PAGE_SIZE];
	uint32_t leaves[512];
	unsigned n = table_leaves(path, root, leaves, 512), l, i;

	for (l = 0; l < n; l++) {
		read_page(path, leaves[l], page);
		for (i = 0; i < table_page_count(page); i++) {
			ck_assert_int_eq(table_leaf_cell(page, i, &at->tc), ROWFS_OK);
			if (at->tc.key != key)
				continue;
			at->leaf = leaves[l];
			at->cell = i;
			at->record = (off_t)leaves[l] * PAGE_SIZE + (at->tc.local - page);
			return;
		}
	}
	ck_abort_msg("key %lld not found", (long long)key);
}

/* One byte of the file. */
static uint8_t byte_at(const char *path, off_t off)
{
	uint8_t b;

	tu_pread_at(path, off, &b, 1);
	return b;
}

static void put_byte(const char *path, off_t off, uint8_t b)
{
	tu_pwrite_at(path, off, &b, 1);
}

START_TEST(test_tables_clean)
{
	const char *path = tu_path("tables.db");
	struct cell_at big;
	uint32_t leaves[16], root;

	build_tables(path);
	root = table_root(path, "t", NULL);
	ck_assert_uint_ge(table_leaves(path, root, leaves, 16), 3);
	find_cell(path, root, BIG_KEY, &big);
	ck_assert_uint_ne(big.tc.overflow, 0);
	ck_assert_uint_eq(big.tc.local_len, TABLE_MIN_LOCAL);
	ck_assert_uint_eq(table_overflow_pages(big.tc.payload), 3);
	expect_clean(path);
}
END_TEST

/*
 * Committed transactions of tables only in the WAL (the writer still has
 * the file open): the copy checks clean, before and after recovery.
 */
START_TEST(test_tables_clean_with_wal)
{
	const char *path = tu_path("tables.db");
	struct rowfs_config cfg = { .path = path };
	struct rowfs_db *db;

	build_tables(path);
	db = tu_open(&cfg);
	exec_lines(db, "insert into t values (6000, 1, 'w', x'00')\ndelete from t where id = 3\n"
		   "create table v (id integer primary key, x real)\n"
		   "insert into v values (1, 0.5)\ndrop table u");
	tu_copy_file(path, tu_path("copy.db"));
	tu_copy_file(tu_path("tables.db-wal"), tu_path("copy.db-wal"));
	tu_close(db);
	ck_assert_uint_gt(tu_file_size(tu_path("copy.db-wal")), WAL_HEADER_SIZE);
	expect_clean(tu_path("copy.db"));
	db = tu_open(&(struct rowfs_config){ .path = tu_path("copy.db") });
	tu_close(db);
	expect_clean(tu_path("copy.db"));
}
END_TEST

START_TEST(test_table_bad_node_type)
{
	const char *path = tu_path("tables.db");
	uint32_t leaves[16], root;
	char want[128];

	build_tables(path);
	root = table_root(path, "t", NULL);
	table_leaves(path, root, leaves, 16);
	put_byte(path, (off_t)leaves[1] * PAGE_SIZE, 9);
	snprintf(want, sizeof(want), "Page %u: invalid node type 9 in the tree of table t (from page %u)",
		 leaves[1], root);
	expect_problem(path, want);
}
END_TEST

START_TEST(test_table_keys_out_of_order)
{
	const char *path = tu_path("tables.db");
	uint32_t leaves[16], root;
	uint8_t ptrs[4];
	off_t at;
	char want[128];

	build_tables(path);
	root = table_root(path, "t", NULL);
	table_leaves(path, root, leaves, 16);
	at = (off_t)leaves[0] * PAGE_SIZE + TABLE_LEAF_HEADER_SIZE + 2 * 5;   /* pointers 5 and 6 */
	tu_pread_at(path, at, ptrs, 4);
	tu_pwrite_at(path, at, (uint8_t[]){ ptrs[2], ptrs[3], ptrs[0], ptrs[1] }, 4);
	snprintf(want, sizeof(want), "Page %u: keys out of order at cell 6", leaves[0]);
	expect_problem(path, want);
}
END_TEST

START_TEST(test_table_separator_key)
{
	const char *path = tu_path("tables.db");
	uint8_t page[PAGE_SIZE];
	uint32_t root;
	int64_t key;
	char want[160];

	build_tables(path);
	root = table_root(path, "t", NULL);
	read_page(path, root, page);
	ck_assert_int_eq(table_internal_key(page, 0, &key), ROWFS_OK);
	put_u64(page + TABLE_INTERNAL_HEADER_SIZE + 4, (uint64_t)(key - 3));
	write_page(path, root, page);
	snprintf(want, sizeof(want), "out of its parent's range (<= %lld)", (long long)(key - 3));
	expect_problem(path, want);
}
END_TEST

START_TEST(test_table_leaf_chain)
{
	const char *path = tu_path("tables.db");
	uint32_t leaves[16], root, n;
	char want[128];

	build_tables(path);
	root = table_root(path, "t", NULL);
	n = table_leaves(path, root, leaves, 16);
	ck_assert_uint_ge(n, 3);
	tu_pwrite_at(path, (off_t)leaves[0] * PAGE_SIZE + TABLE_LEAF_NEXT_OFFSET,
		     (uint8_t[]){ (uint8_t)leaves[2], (uint8_t)(leaves[2] >> 8), 0, 0 }, 4);
	snprintf(want, sizeof(want), "Page %u: next leaf is %u, expected %u", leaves[0], leaves[2],
		 leaves[1]);
	expect_problem(path, want);
}
END_TEST

START_TEST(test_table_last_leaf_next)
{
	const char *path = tu_path("tables.db");
	uint32_t leaves[16], root, n;
	char want[128];

	build_tables(path);
	root = table_root(path, "t", NULL);
	n = table_leaves(path, root, leaves, 16);
	put_byte(path, (off_t)leaves[n - 1] * PAGE_SIZE + TABLE_LEAF_NEXT_OFFSET, (uint8_t)leaves[0]);
	snprintf(want, sizeof(want), "Page %u: last leaf's next is %u, expected 0", leaves[n - 1],
		 leaves[0]);
	expect_problem(path, want);
}
END_TEST

START_TEST(test_table_row_count)
{
	const char *path = tu_path("tables.db");
	uint32_t root;
	char want[160];

	build_tables(path);
	root = table_root(path, "t", NULL);
	tu_pwrite_at(path, (off_t)root * PAGE_SIZE + TABLE_INTERNAL_ROWS_OFFSET,
		     (uint8_t[]){ 7, 0, 0, 0, 0, 0, 0, 0 }, 8);
	snprintf(want, sizeof(want), "Page %u: row count 7 in the root of table t, but its leaves "
		 "hold %u rows", root, T_ROWS + 1);
	expect_problem(path, want);
}
END_TEST

START_TEST(test_table_root_flag)
{
	const char *path = tu_path("tables.db");
	uint32_t leaves[16], root;
	char want[128];

	build_tables(path);
	root = table_root(path, "t", NULL);
	table_leaves(path, root, leaves, 16);
	put_byte(path, (off_t)leaves[1] * PAGE_SIZE + TABLE_FLAGS_OFFSET, TABLE_FLAG_ROOT);
	snprintf(want, sizeof(want), "Page %u: root flag is 1, expected 0", leaves[1]);
	expect_problem(path, want);
}
END_TEST

START_TEST(test_table_page_bytes)
{
	const char *path = tu_path("tables.db");
	uint32_t leaves[16], root;
	char want[128];

	build_tables(path);
	root = table_root(path, "t", NULL);
	table_leaves(path, root, leaves, 16);
	put_byte(path, (off_t)leaves[0] * PAGE_SIZE + TABLE_LEAF_FRAG_OFFSET,
		 (uint8_t)(byte_at(path, (off_t)leaves[0] * PAGE_SIZE + TABLE_LEAF_FRAG_OFFSET) + 4));
	snprintf(want, sizeof(want), "Page %u: ", leaves[0]);
	expect_problem(path, want);
	expect_problem(path, "free bytes do not fill the");
}
END_TEST

/*
 * Leaves at two depths: table w grows three levels (records of 900 bytes,
 * four to a leaf); the root's first child, an internal page, is replaced
 * by one of its own leaves.
 */
START_TEST(test_table_leaves_at_different_depths)
{
	const char *path = tu_path("wide.db");
	struct rowfs_config cfg = { .path = path };
	struct rowfs_db *db = tu_open(&cfg);
	struct tu_buf b = { 0 };
	uint8_t root_page[PAGE_SIZE], child[PAGE_SIZE];
	char line[1024], pad[901], want[160];
	uint32_t root, inner, leaf, i;
	int n;

	memset(pad, 'w', 900);
	pad[900] = '\0';
	tu_buf_emit(&b, "create table w (id integer primary key, v text)\n", 48);
	for (i = 1; i <= 1600; i++) {
		n = snprintf(line, sizeof(line), "insert into w values (%u, '%s')\n", i, pad);
		tu_buf_emit(&b, line, (size_t)n);
	}
	b.data[b.len - 1] = '\0';
	exec_lines(db, b.data);
	tu_buf_free(&b);
	tu_close(db);
	expect_clean(path);

	root = table_root(path, "w", NULL);
	read_page(path, root, root_page);
	ck_assert_uint_eq(table_page_type(root_page), NODE_TABLE_INTERNAL);
	ck_assert_int_eq(table_internal_child(root_page, 0, &inner), ROWFS_OK);
	read_page(path, inner, child);
	ck_assert_uint_eq(table_page_type(child), NODE_TABLE_INTERNAL);
	ck_assert_int_eq(table_internal_child(child, 0, &leaf), ROWFS_OK);
	put_u32(root_page + TABLE_INTERNAL_HEADER_SIZE, leaf);
	write_page(path, root, root_page);
	/* the first leaf met sets the depth: the moved one, at 1 */
	snprintf(want, sizeof(want), "Page %u: next leaf is", leaf);
	expect_problem(path, want);
	expect_problem(path, "leaf at depth 2, other leaves of table w at depth 1");
	expect_problem(path, "never used");
}
END_TEST

/* Page numbers of the big row's overflow chain, in order. */
static void big_chain(const char *path, uint32_t *chain, struct cell_at *big)
{
	uint8_t page[PAGE_SIZE];
	uint32_t i;

	find_cell(path, table_root(path, "t", NULL), BIG_KEY, big);
	chain[0] = big->tc.overflow;
	for (i = 0; i < 2; i++) {
		read_page(path, chain[i], page);
		chain[i + 1] = get_u32(page + TABLE_OVERFLOW_NEXT_OFFSET);
	}
	read_page(path, chain[2], page);
	ck_assert_uint_eq(get_u32(page + TABLE_OVERFLOW_NEXT_OFFSET), 0);
	ck_assert_uint_eq(get_u32(page + TABLE_OVERFLOW_LEN_OFFSET),
			  big->tc.payload - big->tc.local_len - 2 * TABLE_OVERFLOW_CAPACITY);
}

START_TEST(test_overflow_cycle)
{
	const char *path = tu_path("tables.db");
	struct cell_at big;
	uint32_t chain[3];
	char want[160];

	build_tables(path);
	big_chain(path, chain, &big);
	tu_pwrite_at(path, (off_t)chain[2] * PAGE_SIZE + TABLE_OVERFLOW_NEXT_OFFSET,
		     (uint8_t[]){ (uint8_t)chain[0], (uint8_t)(chain[0] >> 8), 0, 0 }, 4);
	snprintf(want, sizeof(want), "Page %u: referenced more than once (again from the overflow "
		 "chain of page %u cell %u)", chain[0], big.leaf, big.cell);
	expect_problem(path, want);
}
END_TEST

START_TEST(test_overflow_short_page)
{
	const char *path = tu_path("tables.db");
	struct cell_at big;
	uint32_t chain[3];
	char want[160];

	build_tables(path);
	big_chain(path, chain, &big);
	tu_pwrite_at(path, (off_t)chain[1] * PAGE_SIZE + TABLE_OVERFLOW_LEN_OFFSET,
		     (uint8_t[]){ 0xe8, 0x03, 0, 0 }, 4);   /* 1000 of 4084 bytes */
	snprintf(want, sizeof(want), "Page %u: overflow page holds 1000 bytes but is not the last of "
		 "its chain", chain[1]);
	expect_problem(path, want);
	snprintf(want, sizeof(want), "Page %u: cell %u (key %d): overflow chain holds %llu bytes, the "
		 "record continues with %llu", big.leaf, big.cell, BIG_KEY,
		 (unsigned long long)(big.tc.payload - big.tc.local_len - TABLE_OVERFLOW_CAPACITY + 1000),
		 (unsigned long long)(big.tc.payload - big.tc.local_len));
	expect_problem(path, want);
}
END_TEST

START_TEST(test_overflow_bad_page)
{
	const char *path = tu_path("tables.db");
	struct cell_at big;
	uint32_t chain[3];
	char want[160];

	build_tables(path);
	big_chain(path, chain, &big);
	put_byte(path, (off_t)chain[1] * PAGE_SIZE, NODE_TABLE_LEAF);
	snprintf(want, sizeof(want), "Page %u: overflow page of page %u cell %u does not decode "
		 "(type 4, 4084 bytes)", chain[1], big.leaf, big.cell);
	expect_problem(path, want);
	snprintf(want, sizeof(want), "Page %u: never used", chain[2]);
	expect_problem(path, want);
}
END_TEST

START_TEST(test_overflow_out_of_range)
{
	const char *path = tu_path("tables.db");
	struct cell_at big;
	uint32_t chain[3];
	char want[160];

	build_tables(path);
	big_chain(path, chain, &big);
	tu_pwrite_at(path, big.record + big.tc.local_len, (uint8_t[]){ 0x60, 0xea, 0, 0 }, 4);
	snprintf(want, sizeof(want), "Page %u: cell %u (key %d): overflow page 60000 out of range",
		 big.leaf, big.cell, BIG_KEY);
	expect_problem(path, want);
	expect_problem(path, "never used");   /* the chain: nothing leads to it now */
	(void)chain;
}
END_TEST

START_TEST(test_table_child_out_of_range)
{
	const char *path = tu_path("tables.db");
	uint8_t page[PAGE_SIZE];
	uint32_t root;
	char want[128];

	build_tables(path);
	root = table_root(path, "t", NULL);
	read_page(path, root, page);
	put_u32(page + TABLE_INTERNAL_RIGHT_OFFSET, 60000);
	write_page(path, root, page);
	snprintf(want, sizeof(want), "Page %u: child %u points to page 60000, out of range", root,
		 table_page_count(page));
	expect_problem(path, want);
}
END_TEST

START_TEST(test_record_does_not_decode)
{
	const char *path = tu_path("tables.db");
	struct cell_at c;
	char want[160];

	build_tables(path);
	find_cell(path, table_root(path, "t", NULL), 42, &c);
	put_byte(path, c.record + 1, 10);   /* serial type of column 0: 10 is reserved */
	snprintf(want, sizeof(want), "Page %u: cell %u (key 42): record of table t does not decode",
		 c.leaf, c.cell);
	expect_problem(path, want);
}
END_TEST

/* t's records: header size 5, serial types id 0, n, s, b (16: 2-byte blob). */
START_TEST(test_record_wrong_type)
{
	const char *path = tu_path("tables.db");
	struct cell_at c;
	char want[160];

	build_tables(path);
	find_cell(path, table_root(path, "t", NULL), 65, &c);   /* n = 65: one byte, 'A' */
	ck_assert_uint_eq(byte_at(path, c.record + 2), 1);      /* 1-byte integer */
	put_byte(path, c.record + 2, 15);                       /* text of 1 byte */
	snprintf(want, sizeof(want), "Page %u: cell %u (key 65): t.n expects integer, got text",
		 c.leaf, c.cell);
	expect_problem(path, want);
}
END_TEST

START_TEST(test_record_null_in_not_null)
{
	const char *path = tu_path("tables.db");
	struct cell_at c;
	char want[160];

	build_tables(path);
	find_cell(path, table_root(path, "t", NULL), 100, &c);  /* n = 0: serial type 8 */
	ck_assert_uint_eq(byte_at(path, c.record + 2), 8);
	put_byte(path, c.record + 2, 0);
	snprintf(want, sizeof(want), "Page %u: cell %u (key 100): t.n may not be NULL",
		 c.leaf, c.cell);
	expect_problem(path, want);
}
END_TEST

START_TEST(test_record_key_column_stored)
{
	const char *path = tu_path("tables.db");
	struct cell_at c;
	char want[160];

	build_tables(path);
	find_cell(path, table_root(path, "t", NULL), 7, &c);
	ck_assert_uint_eq(byte_at(path, c.record + 1), 0);
	put_byte(path, c.record + 1, 9);                        /* the integer 1, no body */
	snprintf(want, sizeof(want), "Page %u: cell %u (key 7): t.id is the key but its record holds "
		 "integer (expected NULL)", c.leaf, c.cell);
	expect_problem(path, want);
}
END_TEST

/* The catalog row of name: its cell's record offset in the file. */
static off_t catalog_record(const char *path, const char *name, size_t *len)
{
	uint8_t page[PAGE_SIZE];
	uint32_t catalog = header_u32(path, HDR_CATALOG_ROOT_OFFSET);
	struct table_cell tc;
	struct value v[5];
	unsigned i;

	read_page(path, catalog, page);
	for (i = 0; i < table_page_count(page); i++) {
		ck_assert_int_eq(table_leaf_cell(page, i, &tc), ROWFS_OK);
		ck_assert_int_eq(record_decode(tc.local, tc.local_len, v, 5, NULL), ROWFS_OK);
		if (v[1].len == strlen(name) && memcmp(v[1].p, name, v[1].len) == 0) {
			*len = tc.local_len;
			return (off_t)catalog * PAGE_SIZE + (tc.local - page);
		}
	}
	ck_abort_msg("no catalog row %s", name);
	return 0;
}

/* Replace the first occurrence of from by to (same length) inside the catalog row of name. */
static void catalog_edit(const char *path, const char *name, const char *from, const char *to)
{
	size_t len, flen = strlen(from);
	off_t at = catalog_record(path, name, &len);
	uint8_t rec[TABLE_MAX_LOCAL];
	size_t i;

	ck_assert_uint_eq(flen, strlen(to));
	tu_pread_at(path, at, rec, len);
	for (i = 0; i + flen <= len; i++)
		if (memcmp(rec + i, from, flen) == 0) {
			tu_pwrite_at(path, at + (off_t)i, to, flen);
			return;
		}
	ck_abort_msg("'%s' not in the catalog row of %s", from, name);
}

START_TEST(test_record_too_long)
{
	const char *path = tu_path("tables.db");
	struct cell_at c;
	char want[160];

	build_tables(path);
	catalog_edit(path, "t", "text(8)", "text(3)");
	find_cell(path, table_root(path, "t", NULL), 123, &c);
	snprintf(want, sizeof(want), "Page %u: cell %u (key 123): t.s too long (4 > 3)",
		 c.leaf, c.cell);
	expect_problem(path, want);
}
END_TEST

START_TEST(test_catalog_type_not_table)
{
	const char *path = tu_path("tables.db");
	char want[128];

	build_tables(path);
	catalog_edit(path, "u", "table", "tabla");
	snprintf(want, sizeof(want), "Catalog row 2 (page %u): type is not 'table'",
		 header_u32(path, HDR_CATALOG_ROOT_OFFSET));
	expect_problem(path, want);
}
END_TEST

START_TEST(test_catalog_row_does_not_decode)
{
	const char *path = tu_path("tables.db");
	size_t len;
	off_t at;
	uint32_t catalog;
	char want[128];

	build_tables(path);
	catalog = header_u32(path, HDR_CATALOG_ROOT_OFFSET);
	at = catalog_record(path, "u", &len);
	put_byte(path, at + 1, 11);   /* serial type of type: 11 is reserved */
	snprintf(want, sizeof(want), "Catalog row 2 (page %u): does not decode", catalog);
	expect_problem(path, want);
	expect_problem(path, "never used");   /* u's pages: no row leads to them */
}
END_TEST

START_TEST(test_catalog_sql_does_not_parse)
{
	const char *path = tu_path("tables.db");

	build_tables(path);
	catalog_edit(path, "u", "create table", "create tabel");
	expect_problem(path, "Catalog row 2 (table u): sql does not parse: ");
}
END_TEST

START_TEST(test_catalog_sql_names_another_table)
{
	const char *path = tu_path("tables.db");

	build_tables(path);
	catalog_edit(path, "u", "create table u", "create table x");
	expect_problem(path, "Catalog row 2 (table u): sql creates table x");
}
END_TEST

START_TEST(test_catalog_root_out_of_range)
{
	const char *path = tu_path("tables.db");
	size_t len;
	off_t at;
	uint8_t rec[64];

	build_tables(path);
	at = catalog_record(path, "u", &len);
	tu_pread_at(path, at, rec, 8);
	/* header: size, 'table' text(5) 23, name 15, tbl 15, root: a 1- or 2-byte integer */
	ck_assert_uint_eq(rec[1], 23);
	ck_assert(rec[4] == 1 || rec[4] == 2);
	/* the root's body follows type (5), name (1), tbl (1) */
	put_byte(path, at + rec[0] + 5 + 1 + 1, 0x7f);
	if (rec[4] == 2)
		put_byte(path, at + rec[0] + 5 + 1 + 1 + 1, 0x7f);
	expect_problem(path, "Catalog row 2 (table u): root page ");
	expect_problem(path, " out of range (page count ");
}
END_TEST

START_TEST(test_catalog_duplicate_name)
{
	const char *path = tu_path("tables.db");
	uint32_t u_root;
	char want[128];

	build_tables(path);
	u_root = table_root(path, "u", NULL);
	catalog_edit(path, "u", "create table u", "create table t");
	catalog_edit(path, "u", "tableuu", "tablett");   /* name and tbl */
	expect_problem(path, "Catalog row 2: names table t, as row 1 does");
	snprintf(want, sizeof(want), "Page %u: never used", u_root);   /* no row leads to it */
	expect_problem(path, want);
}
END_TEST

START_TEST(test_catalog_shared_root)
{
	const char *path = tu_path("tables.db");
	uint32_t t_root, u_root, catalog;
	size_t len;
	off_t at;
	uint8_t rec[16];
	char want[128];

	build_tables(path);
	catalog = header_u32(path, HDR_CATALOG_ROOT_OFFSET);
	t_root = table_root(path, "t", NULL);
	u_root = table_root(path, "u", NULL);
	ck_assert_uint_lt(t_root, 128);
	ck_assert_uint_lt(u_root, 128);
	at = catalog_record(path, "u", &len);
	tu_pread_at(path, at, rec, 8);
	ck_assert_uint_eq(rec[4], 1);
	put_byte(path, at + rec[0] + 5 + 1 + 1, (uint8_t)t_root);
	snprintf(want, sizeof(want), "Page %u: referenced more than once (again from page %u)",
		 t_root, catalog);
	expect_problem(path, want);
	snprintf(want, sizeof(want), "Page %u: never used", u_root);
	expect_problem(path, want);
}
END_TEST

/* ---- random damage ----------------------------------------------------- */

/* A small deterministic generator (the test must be reproducible). */
static uint32_t rng_next(uint64_t *state)
{
	*state = *state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*state >> 33);
}

/* Flip 1..8 random bytes of path; half of them in node headers. */
static void flip_bytes(const char *path, uint64_t *state)
{
	struct stat st;
	unsigned i, flips = 1 + rng_next(state) % 8;
	uint8_t byte;
	off_t off;

	ck_assert_int_eq(stat(path, &st), 0);
	if (st.st_size == 0)
		return;
	for (i = 0; i < flips; i++) {
		if ((rng_next(state) & 1) && st.st_size >= PAGE_SIZE)
			off = (off_t)(rng_next(state) % (uint32_t)(st.st_size / PAGE_SIZE)) * PAGE_SIZE +
			      rng_next(state) % (LEAF_NODE_HEADER_SIZE + 8);
		else
			off = (off_t)(rng_next(state) % (uint32_t)st.st_size);
		if (off >= st.st_size)
			off = st.st_size - 1;
		tu_pread_at(path, off, &byte, 1);
		byte ^= (uint8_t)(1u << (rng_next(state) % 8));
		if (rng_next(state) % 4 == 0)
			byte = (uint8_t)rng_next(state);
		tu_pwrite_at(path, off, &byte, 1);
	}
}

/*
 * Every open either fails with a damage code or the check runs.
 * Returns 1 if damage was reported.
 */
static int expect_survives(const char *path, unsigned iteration)
{
	struct result r;

	run_check(path, &r);
	ck_assert_msg(r.open_rc == ROWFS_OK || r.open_rc == ROWFS_CORRUPT ||
		      r.open_rc == ROWFS_NOTADB,
		      "iteration %u: open returned %s: %s", iteration,
		      rowfs_rc_name(r.open_rc), r.open_msg);
	if (r.open_rc == ROWFS_OK)
		ck_assert_msg(r.check_rc == ROWFS_OK || r.check_rc == ROWFS_CORRUPT,
			      "iteration %u: check returned %s", iteration,
			      rowfs_rc_name(r.check_rc));
	return r.open_rc != ROWFS_OK || r.problems > 0;
}

START_TEST(test_random_flips_never_crash)
{
	uint64_t state = tu_seed("ROWFS_FSCK_SEED", 20240601u);
	const char *orig = tu_path("orig.db");
	const char *copy = tu_path("flip.db");
	unsigned i, damaged = 0;

	build(orig, 2000, 1009);
	for (i = 0; i < 200; i++) {
		tu_copy_file(orig, copy);
		flip_bytes(copy, &state);
		damaged += (unsigned)expect_survives(copy, i);
	}
	/* Most flips land in cells or headers and must be noticed. */
	ck_assert_uint_gt(damaged, 100);
}
END_TEST

/* The same with committed transactions in the WAL (crash state). */
START_TEST(test_random_flips_with_wal)
{
	struct rowfs_config cfg = { .path = tu_path("wlive.db") };
	uint64_t state = 777;
	struct rowfs_err err = { 0 };
	struct rowfs_db *db;
	char line[64];
	unsigned i;
	int n;

	build(cfg.path, 500, 0);
	ck_assert_int_eq(rowfs_open(&cfg, &db, &err), ROWFS_OK);
	for (i = 0; i < 30; i++) {
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		n = snprintf(line, sizeof(line), "insert %u w_%u", 5000 + i * 7, i);
		ck_assert_int_eq(tu_exec_emit(db, line, (size_t)n, tu_discard, NULL, &err), ROWFS_OK);
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	}
	tu_copy_file(tu_path("wlive.db"), tu_path("wsave.db"));
	tu_copy_file(tu_path("wlive.db-wal"), tu_path("wsave.db-wal"));
	ck_assert_int_eq(tu_close_rc(db, &err), ROWFS_OK);

	for (i = 0; i < 60; i++) {
		tu_copy_file(tu_path("wsave.db"), tu_path("wflip.db"));
		tu_copy_file(tu_path("wsave.db-wal"), tu_path("wflip.db-wal"));
		flip_bytes(tu_path(i % 2 ? "wflip.db" : "wflip.db-wal"), &state);
		expect_survives(tu_path("wflip.db"), i);
	}
}
END_TEST

static Suite *fsck_suite(void)
{
	Suite *s = suite_create("fsck");
	TCase *tc = tcase_create("check");

	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_clean_empty);
	tcase_add_test(tc, test_clean_1);
	tcase_add_test(tc, test_clean_200);
	tcase_add_test(tc, test_clean_20000_shuffled);
	tcase_add_test(tc, test_clean_20000_sequential);
	tcase_add_test(tc, test_clean_crash_state);
	tcase_add_test(tc, test_clean_keyless_internal_root);
	tcase_add_test(tc, test_clean_free_list);
	tcase_add_test(tc, test_swapped_keys);
	tcase_add_test(tc, test_key_outside_parent_range);
	tcase_add_test(tc, test_broken_sibling_pointer);
	tcase_add_test(tc, test_last_leaf_next_not_zero);
	tcase_add_test(tc, test_page_referenced_twice);
	tcase_add_test(tc, test_wrong_parent_and_root_flag);
	tcase_add_test(tc, test_row_does_not_decode);
	tcase_add_test(tc, test_bad_node_type);
	tcase_add_test(tc, test_cell_count_too_large);
	tcase_add_test(tc, test_child_out_of_range);
	tcase_add_test(tc, test_empty_leaf);
	tcase_add_test(tc, test_leaves_at_different_depths);
	tcase_add_test(tc, test_bad_magic);
	tcase_add_test(tc, test_wrong_row_count);
	tcase_add_test(tc, test_free_list_cycle);
	tcase_add_test(tc, test_free_list_holds_tree_page);
	tcase_add_test(tc, test_impossible_page_count);
	tcase_add_test(tc, test_wal_bad_records);
	tcase_add_test(tc, test_wal_bad_v2_records);
	tcase_add_test(tc, test_wal_v2_record_in_v1_file);
	tcase_add_test(tc, test_wal_parts);
	tcase_add_test(tc, test_random_flips_never_crash);
	tcase_add_test(tc, test_random_flips_with_wal);
	suite_add_tcase(s, tc);

	tc = tcase_create("tables");
	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_tables_clean);
	tcase_add_test(tc, test_tables_clean_with_wal);
	tcase_add_test(tc, test_table_bad_node_type);
	tcase_add_test(tc, test_table_keys_out_of_order);
	tcase_add_test(tc, test_table_separator_key);
	tcase_add_test(tc, test_table_leaf_chain);
	tcase_add_test(tc, test_table_last_leaf_next);
	tcase_add_test(tc, test_table_row_count);
	tcase_add_test(tc, test_table_root_flag);
	tcase_add_test(tc, test_table_page_bytes);
	tcase_add_test(tc, test_table_leaves_at_different_depths);
	tcase_add_test(tc, test_overflow_cycle);
	tcase_add_test(tc, test_overflow_short_page);
	tcase_add_test(tc, test_overflow_bad_page);
	tcase_add_test(tc, test_overflow_out_of_range);
	tcase_add_test(tc, test_table_child_out_of_range);
	tcase_add_test(tc, test_catalog_type_not_table);
	tcase_add_test(tc, test_record_does_not_decode);
	tcase_add_test(tc, test_record_wrong_type);
	tcase_add_test(tc, test_record_null_in_not_null);
	tcase_add_test(tc, test_record_key_column_stored);
	tcase_add_test(tc, test_record_too_long);
	tcase_add_test(tc, test_catalog_row_does_not_decode);
	tcase_add_test(tc, test_catalog_sql_does_not_parse);
	tcase_add_test(tc, test_catalog_sql_names_another_table);
	tcase_add_test(tc, test_catalog_root_out_of_range);
	tcase_add_test(tc, test_catalog_duplicate_name);
	tcase_add_test(tc, test_catalog_shared_root);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_fsck", fsck_suite());
}
