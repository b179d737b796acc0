/*
 * check_salvage.c - unit tests of rowfs_salvage() (engine/salvage.c).
 *
 * Owns: the salvage of damaged copies compared with what the original file
 * held.  Databases are built through the public API and closed (so every
 * row is in DBFILE); the layout of the original (which rows sit on which
 * leaf page) is read raw with btree_int.h's accessors; then a copy is
 * damaged (a zeroed internal node, garbage pages, a bad header checksum, a
 * truncated file, an unreadable page, a stale leaf outside the tree, a
 * damaged WAL) and salvaged.  The rule every test checks: every row on an
 * undamaged leaf comes back with its name, and no row is invented.  Also:
 * the dump's format (begin, ascending insert lines, commit) and that it
 * replays into an equal table, committed transactions that live only in
 * the WAL, the lock, a failing sink.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btree_int.h"
#include "faultos.h"
#include "format.h"
#include "pager.h"
#include "row.h"
#include "rowfs.h"
#include "testutil.h"
#include "vm.h"
#include "wal.h"

/* Ids used by the tests stay below this. */
#define MAX_ID 4096u

/* A set of rows indexed by id, with the leaf page each came from. */
struct rowset {
	uint8_t present[MAX_ID];                  /* 1 if the id has a row */
	char name[MAX_ID][USERNAME_SIZE + 1];     /* its name, NUL-terminated */
	uint32_t page[MAX_ID];                    /* leaf page (layout only) */
	uint32_t count;                           /* rows */
};

static struct rowset *rowset_new(void)
{
	struct rowset *rs = calloc(1, sizeof(*rs));

	ck_assert_ptr_nonnull(rs);
	return rs;
}

static void rowset_set(struct rowset *rs, uint32_t id, const char *name, size_t len,
		       uint32_t page)
{
	REQUIRE(id < MAX_ID, "id %u too large for the test", id);
	REQUIRE(len <= USERNAME_SIZE, "name too long");
	if (!rs->present[id])
		rs->count++;
	rs->present[id] = 1;
	memcpy(rs->name[id], name, len);
	rs->name[id][len] = '\0';
	rs->page[id] = page;
}

static void rowset_del(struct rowset *rs, uint32_t id)
{
	if (rs->present[id])
		rs->count--;
	rs->present[id] = 0;
}

/* Remove the rows that sat on leaf page pgno. */
static void rowset_drop_page(struct rowset *rs, uint32_t pgno)
{
	uint32_t id;

	for (id = 0; id < MAX_ID; id++)
		if (rs->present[id] && rs->page[id] == pgno)
			rowset_del(rs, id);
}

/* got must equal want: the same ids with the same names. */
static void rowset_expect_equal(const struct rowset *got, const struct rowset *want,
				const char *what)
{
	uint32_t id;

	for (id = 0; id < MAX_ID; id++) {
		REQUIRE(got->present[id] == want->present[id], "%s: id %u %s", what, id,
			want->present[id] ? "missing" : "invented");
		REQUIRE(!got->present[id] || strcmp(got->name[id], want->name[id]) == 0,
			"%s: id %u is '%s', expected '%s'", what, id, got->name[id],
			want->name[id]);
	}
	ck_assert_uint_eq(got->count, want->count);
}

/*
 * Build a database of count rows named user_ID: ids 1..count in order, or
 * shuffled by stride (prime to count).  One transaction, closed.
 */
static void build(const char *path, uint32_t count, uint32_t stride)
{
	struct rowfs_config cfg = { .path = path };
	struct rowfs_err err = { 0 };
	struct rowfs_db *db;
	char line[64];
	uint32_t i, id;
	int n;

	db = tu_open(&cfg);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < count; i++) {
		id = stride ? (uint32_t)(((uint64_t)i * stride) % count) + 1 : i + 1;
		n = snprintf(line, sizeof(line), "insert %u user_%u", id, id);
		REQUIRE(tu_exec_emit(db, line, (size_t)n, tu_discard, NULL, &err) == ROWFS_OK,
			"%s: %s", line, err.msg);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_close(db);
}

/* Run statements, each in a transaction of its own, on an open database. */
static void run_each(struct rowfs_db *db, const char *const *lines)
{
	struct rowfs_err err = { 0 };

	for (; *lines; lines++) {
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		REQUIRE(tu_exec_emit(db, *lines, strlen(*lines), tu_discard, NULL, &err) == ROWFS_OK,
			"%s: %s", *lines, err.msg);
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	}
}

/* The rows on the leaves of the file at path, read raw (the original's layout). */
static struct rowset *layout(const char *path)
{
	struct rowset *rs = rowset_new();
	size_t len, pgno, pages;
	uint8_t *file = tu_read_file(path, &len);
	const uint8_t *node;
	struct row row;
	uint32_t i;

	pages = len / PAGE_SIZE;
	for (pgno = 1; pgno < pages; pgno++) {
		node = file + pgno * PAGE_SIZE;
		if (node_type(node) != NODE_LEAF || !node_valid(node))
			continue;
		for (i = 0; i < leaf_num_cells(node); i++) {
			ck_assert_int_eq(row_decode(leaf_value(node, i), &row), ROWFS_OK);
			ck_assert_uint_eq(row.id, leaf_key(node, i));
			rowset_set(rs, row.id, row.username, row.username_len, (uint32_t)pgno);
		}
	}
	free(file);
	return rs;
}

/* Leaf pages of a layout, in page order, into pages[]; returns how many. */
static uint32_t leaf_pages(const struct rowset *rs, uint32_t *pages, uint32_t max)
{
	uint32_t id, n = 0, i;

	for (id = 0; id < MAX_ID; id++) {
		if (!rs->present[id])
			continue;
		for (i = 0; i < n && pages[i] != rs->page[id]; i++)
			;
		if (i == n && n < max)
			pages[n++] = rs->page[id];
	}
	qsort(pages, n, sizeof(*pages), tu_cmp_u32);
	return n;
}

/* Parse a dump, checking its format, into a rowset. */
static struct rowset *parse_dump(const char *text)
{
	struct rowset *rs = rowset_new();
	const char *p = text, *nl, *sp;
	int64_t last = -1;
	char *end;
	unsigned long id;

	ck_assert_msg(strncmp(p, "begin\n", 6) == 0, "dump starts with '%.20s'", p);
	p += 6;
	while (strncmp(p, "insert ", 7) == 0) {
		nl = strchr(p, '\n');
		ck_assert_ptr_nonnull(nl);
		id = strtoul(p + 7, &end, 10);
		REQUIRE(end > p + 7 && *end == ' ', "bad line '%.*s'", (int)(nl - p), p);
		sp = end + 1;
		REQUIRE((int64_t)id > last, "id %lu after %lld: not ascending", id, (long long)last);
		REQUIRE(nl > sp && memchr(sp, ' ', (size_t)(nl - sp)) == NULL,
			"bad name in '%.*s'", (int)(nl - p), p);
		REQUIRE(row_name_check((const uint8_t *)sp, (size_t)(nl - sp)) == (size_t)(nl - sp),
			"name of id %lu has a byte that is not a name character", id);
		rowset_set(rs, (uint32_t)id, sp, (size_t)(nl - sp), 0);
		last = (int64_t)id;
		p = nl + 1;
	}
	ck_assert_msg(strcmp(p, "commit\n") == 0, "dump ends with '%.40s'", p);
	return rs;
}

/* Salvage path; the call must succeed.  Returns the parsed dump. */
static struct rowset *salvage(const char *path, const struct os *os,
			      struct rowfs_salvage_stats *st)
{
	struct tu_buf out = { 0 };
	struct rowfs_err err = { 0 };
	struct rowset *rs;
	int rc;

	rc = rowfs_salvage(path, os, tu_buf_emit, &out, st, &err);
	ck_assert_msg(rc == ROWFS_OK, "salvage '%s': %s (%s)", path, rowfs_rc_name(rc), err.msg);
	ck_assert_ptr_nonnull(out.data);
	rs = parse_dump(out.data);
	ck_assert_uint_eq(st->rows, rs->count);
	tu_buf_free(&out);
	return rs;
}

/* Overwrite page pgno of path with PAGE_SIZE bytes. */
static void write_page(const char *path, uint32_t pgno, const uint8_t *page)
{
	tu_pwrite_at(path, (off_t)pgno * PAGE_SIZE, page, PAGE_SIZE);
}

static void read_page(const char *path, uint32_t pgno, uint8_t *page)
{
	tu_pread_at(path, (off_t)pgno * PAGE_SIZE, page, PAGE_SIZE);
}

/* The root page number in the header of path. */
static uint32_t root_of(const char *path)
{
	uint8_t page[PAGE_SIZE];

	read_page(path, 0, page);
	return get_u32(page + HDR_ROOT_OFFSET);
}

/* Fill page with splitmix64 bytes from *rng. */
static void garbage(uint8_t *page, uint64_t *rng)
{
	size_t i;

	for (i = 0; i < PAGE_SIZE; i++)
		page[i] = (uint8_t)tu_next_random(rng);
}

/* ---- tests ------------------------------------------------------------ */

/* An undamaged file: every row, the tree used, a dump that replays. */
START_TEST(test_clean)
{
	const char *path = tu_path("clean.db");
	struct rowfs_config cfg = { .path = tu_path("replayed.db") };
	struct rowfs_salvage_stats st;
	struct rowset *want, *got;
	struct tu_buf out = { 0 };
	struct rowfs_err err = { 0 };
	struct rowfs_db *db, *orig;
	struct rowfs_config ocfg = { .path = path, .read_only = 1 };
	char *a, *b, *line, *next;

	build(path, 1000, 7);
	want = layout(path);
	ck_assert_uint_eq(want->count, 1000);
	got = salvage(path, NULL, &st);
	rowset_expect_equal(got, want, "clean");
	ck_assert_int_eq(st.header_valid, 1);
	ck_assert_str_eq(st.header_problem, "");
	ck_assert_str_eq(st.wal_problem, "");
	ck_assert_uint_eq(st.damaged_pages, 0);
	ck_assert_uint_eq(st.bad_cells, 0);
	ck_assert_uint_eq(st.superseded, 0);
	ck_assert_uint_gt(st.leaf_pages, 9);
	ck_assert_uint_eq(st.tree_leaves, st.leaf_pages);
	ck_assert_uint_eq(st.pages, (uint64_t)tu_file_size(path) / PAGE_SIZE);

	/* The insert lines replay into the same table. */
	ck_assert_int_eq(rowfs_salvage(path, NULL, tu_buf_emit, &out, &st, &err), ROWFS_OK);
	db = tu_open(&cfg);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (line = out.data; *line; line = next) {
		next = strchr(line, '\n') + 1;
		if (strncmp(line, "insert ", 7) != 0)
			continue;  /* begin, commit: this test runs its own transaction */
		REQUIRE(tu_exec_emit(db, line, (size_t)(next - 1 - line), tu_discard, NULL, &err) ==
			ROWFS_OK, "%.*s: %s", (int)(next - 1 - line), line, err.msg);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	orig = tu_open(&ocfg);
	a = tu_table_text(db);
	b = tu_table_text(orig);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	tu_close(orig);
	tu_close(db);
	tu_buf_free(&out);
	free(got);
	free(want);
}
END_TEST

/* An empty database: an empty dump. */
START_TEST(test_empty_database)
{
	const char *path = tu_path("empty.db");
	struct rowfs_salvage_stats st;
	struct rowset *got;

	build(path, 0, 0);
	got = salvage(path, NULL, &st);
	ck_assert_uint_eq(got->count, 0);
	ck_assert_int_eq(st.header_valid, 1);
	free(got);
}
END_TEST

/* The root (an internal node) zeroed: every leaf is still found. */
START_TEST(test_zeroed_internal_node)
{
	const char *path = tu_path("zroot.db");
	uint8_t zero[PAGE_SIZE] = { 0 };
	struct rowfs_salvage_stats st;
	struct rowset *want, *got;
	uint32_t root;

	build(path, 1000, 0);
	want = layout(path);
	root = root_of(path);
	write_page(path, root, zero);
	got = salvage(path, NULL, &st);
	rowset_expect_equal(got, want, "zeroed root");
	ck_assert_int_eq(st.header_valid, 1);
	ck_assert_uint_eq(st.damaged_pages, 1);
	ck_assert_uint_eq(st.tree_leaves, 0);
	free(got);
	free(want);
}
END_TEST

/*
 * Two leaves overwritten with garbage: one whose type byte is no node
 * type, one that looks like a leaf of 50 cells that do not decode.
 */
START_TEST(test_garbage_pages)
{
	const char *path = tu_path("garbage.db");
	uint8_t page[PAGE_SIZE];
	uint64_t rng = 42;
	struct rowfs_salvage_stats st;
	struct rowset *want, *got;
	uint32_t leaves[64], n;

	build(path, 1000, 7);
	want = layout(path);
	n = leaf_pages(want, leaves, 64);
	ck_assert_uint_gt(n, 4);
	garbage(page, &rng);
	page[NODE_TYPE_OFFSET] = 0xee;
	write_page(path, leaves[1], page);
	rowset_drop_page(want, leaves[1]);
	garbage(page, &rng);
	page[NODE_TYPE_OFFSET] = NODE_LEAF;
	put_u32(page + LEAF_NODE_NUM_CELLS_OFFSET, 50);
	write_page(path, leaves[3], page);
	rowset_drop_page(want, leaves[3]);

	got = salvage(path, NULL, &st);
	rowset_expect_equal(got, want, "garbage pages");
	ck_assert_uint_eq(st.damaged_pages, 1);
	ck_assert_uint_eq(st.bad_cells, 50);
	ck_assert_uint_eq(st.leaf_pages, n - 1);
	free(got);
	free(want);
}
END_TEST

/* A header that fails its checksum: no tree walk, every row anyway. */
START_TEST(test_bad_header_checksum)
{
	const char *path = tu_path("hdr.db");
	struct rowfs_salvage_stats st;
	struct rowset *want, *got;
	uint8_t byte;

	build(path, 1000, 7);
	want = layout(path);
	tu_pread_at(path, HDR_ROW_COUNT_OFFSET, &byte, 1);
	byte ^= 0x10;
	tu_pwrite_at(path, HDR_ROW_COUNT_OFFSET, &byte, 1);
	got = salvage(path, NULL, &st);
	rowset_expect_equal(got, want, "bad header checksum");
	ck_assert_int_eq(st.header_valid, 0);
	ck_assert_ptr_nonnull(strstr(st.header_problem, "checksum"));
	ck_assert_uint_eq(st.tree_leaves, 0);
	free(got);
	free(want);
}
END_TEST

/* The whole header zeroed: not a database to the pager, rows to salvage. */
START_TEST(test_zeroed_header)
{
	const char *path = tu_path("nohdr.db");
	uint8_t zero[PAGE_SIZE] = { 0 };
	struct rowfs_salvage_stats st;
	struct rowset *want, *got;

	build(path, 500, 3);
	want = layout(path);
	write_page(path, 0, zero);
	got = salvage(path, NULL, &st);
	rowset_expect_equal(got, want, "zeroed header");
	ck_assert_int_eq(st.header_valid, 0);
	free(got);
	free(want);
}
END_TEST

/* Truncated at a page boundary, and in the middle of a leaf's cell 10. */
START_TEST(test_truncated)
{
	const char *path = tu_path("trunc.db");
	struct rowfs_salvage_stats st;
	struct rowset *want, *got;
	uint32_t leaves[64], n, last, id;

	build(path, 1000, 0);
	want = layout(path);
	n = leaf_pages(want, leaves, 64);
	last = leaves[n - 1];
	ck_assert_uint_eq(tu_file_size(path), (off_t)(last + 1) * PAGE_SIZE);

	/* The last leaf cut off whole. */
	ck_assert_int_eq(truncate(path, (off_t)last * PAGE_SIZE), 0);
	rowset_drop_page(want, last);
	got = salvage(path, NULL, &st);
	rowset_expect_equal(got, want, "truncated at a page boundary");
	ck_assert_uint_eq(st.pages, last);
	free(got);
	free(want);

	/* The file cut 7 bytes into cell 10 of the (new) last leaf. */
	want = layout(path);
	last = leaves[n - 2];
	ck_assert_uint_eq(tu_file_size(path), (off_t)(last + 1) * PAGE_SIZE);
	ck_assert_int_eq(truncate(path, (off_t)last * PAGE_SIZE + LEAF_NODE_HEADER_SIZE +
				  10 * LEAF_NODE_CELL_SIZE + 7), 0);
	n = 0;
	for (id = 0; id < MAX_ID; id++) {
		if (want->present[id] && want->page[id] == last && n++ >= 10)
			rowset_del(want, id);
	}
	got = salvage(path, NULL, &st);
	rowset_expect_equal(got, want, "truncated inside a cell");
	ck_assert_uint_eq(st.pages, last + 1);
	ck_assert_uint_gt(st.bad_cells, 0);
	free(got);
	free(want);
}
END_TEST

/* A zero-length file: an empty dump (and the WAL's rows, if any). */
START_TEST(test_empty_file)
{
	const char *path = tu_path("zero.db");
	struct rowfs_salvage_stats st;
	struct rowset *got;

	tu_write_file(path, "", 0);
	got = salvage(path, NULL, &st);
	ck_assert_uint_eq(got->count, 0);
	ck_assert_int_eq(st.header_valid, 0);
	ck_assert_uint_eq(st.pages, 0);
	free(got);
}
END_TEST

/*
 * Committed transactions only in the WAL (files copied while the database
 * is open, as a crash leaves them), with the leaf of the updated row
 * zeroed: inserts, updates and deletes are applied on top, and the update
 * brings back its row.
 */
START_TEST(test_wal_commits)
{
	static const char *const lines[] = {
		"insert 1000 late_a", "insert 1001 late_b", "update 200 renamed",
		"update 8 eight", "delete 7", "insert 1002 gone", "delete 1002", NULL
	};
	struct rowfs_config cfg = { .path = tu_path("live.db") };
	const char *path = tu_path("crash.db");
	uint8_t zero[PAGE_SIZE] = { 0 };
	struct rowfs_salvage_stats st;
	struct rowset *want, *got;
	struct rowfs_db *db;
	uint32_t lost;

	build(cfg.path, 300, 0);
	db = tu_open(&cfg);
	run_each(db, lines);
	tu_copy_file(tu_path("live.db"), path);
	tu_copy_file(tu_path("live.db-wal"), tu_path("crash.db-wal"));
	tu_close(db);

	want = layout(path);
	ck_assert_uint_eq(want->count, 300);   /* the WAL holds every change */
	lost = want->page[200];
	ck_assert_uint_ne(lost, want->page[8]);
	write_page(path, lost, zero);
	rowset_drop_page(want, lost);
	rowset_set(want, 1000, "late_a", 6, 0);
	rowset_set(want, 1001, "late_b", 6, 0);
	rowset_set(want, 200, "renamed", 7, 0);
	rowset_set(want, 8, "eight", 5, 0);
	rowset_del(want, 7);

	got = salvage(path, NULL, &st);
	rowset_expect_equal(got, want, "WAL applied");
	ck_assert_uint_eq(st.wal_records, 7);
	ck_assert_uint_eq(st.wal_bad_records, 0);
	ck_assert_uint_eq(st.wal_frames, 7);
	ck_assert_str_eq(st.wal_problem, "");
	free(got);
	free(want);
}
END_TEST

/*
 * A transaction whose log went to the WAL in parts (two records a part) is
 * applied whole; parts of a transaction that never committed (appended
 * after it, with the next sequence number) are not applied at all.
 */
START_TEST(test_wal_parts)
{
	static const char *const lines[] = {
		"insert 1000 late_a", "insert 1001 late_b", "update 200 renamed",
		"update 8 eight", "delete 7", "insert 1002 gone", "delete 1002", NULL
	};
	struct rowfs_config cfg = { .txn_part_bytes = 2 * VM_RECORD_SIZE,
				    .wal_limit = 1ull << 40 };
	char live[4400], live_wal[4500], path[4400], wal_path[4500];
	struct rowfs_salvage_stats st;
	struct rowfs_err err = { 0 };
	struct rowset *want, *got;
	const char *const *line;
	struct rowfs_db *db;
	struct wal *wal;
	struct row row;
	uint8_t rec[2 * VM_RECORD_SIZE];
	uint32_t i;

	snprintf(live, sizeof(live), "%s", tu_path("plive.db"));   /* tu_path's buffers rotate */
	snprintf(path, sizeof(path), "%s", tu_path("pcrash.db"));
	snprintf(wal_path, sizeof(wal_path), "%s-wal", path);
	snprintf(live_wal, sizeof(live_wal), "%s-wal", live);
	cfg.path = live;
	build(live, 300, 0);
	db = tu_open(&cfg);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (line = lines; *line; line++)
		REQUIRE(tu_exec_emit(db, *line, strlen(*line), tu_discard, NULL, &err) == ROWFS_OK,
			"%s: %s", *line, err.msg);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_copy_file(live, path);
	tu_copy_file(live_wal, wal_path);
	tu_close(db);

	want = layout(path);
	ck_assert_uint_eq(want->count, 300);   /* the WAL holds every change */
	rowset_set(want, 1000, "late_a", 6, 0);
	rowset_set(want, 1001, "late_b", 6, 0);
	rowset_set(want, 200, "renamed", 7, 0);
	rowset_set(want, 8, "eight", 5, 0);
	rowset_del(want, 7);
	got = salvage(path, NULL, &st);
	rowset_expect_equal(got, want, "a transaction in parts");
	ck_assert_uint_eq(st.wal_records, 7);
	ck_assert_uint_eq(st.wal_frames, 4);   /* three parts and the commit frame */
	free(got);

	/* a transaction in parts that never committed: inserts 2000.., deletes of 1..9 */
	ck_assert_int_eq(wal_open(os_default(), wal_path, 0, 0, &wal, &err), ROWFS_OK);
	ck_assert_int_eq(wal_scan(wal, NULL, NULL, &err), ROWFS_OK);
	for (i = 0; i < 6; i++) {
		memset(rec, 0, sizeof(rec));
		rec[0] = VM_OP_INSERT;
		row.id = 2000 + i;
		memcpy(row.username, "orphan", 6);
		row.username_len = 6;
		row_encode(&row, rec + 4);
		rec[VM_RECORD_SIZE] = VM_OP_DELETE;
		put_u32(rec + VM_RECORD_SIZE + 4, 1 + i);
		ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN_PART, 3, rec, sizeof(rec), &err),
				 ROWFS_OK);
	}
	ck_assert_int_eq(wal_sync(wal, 0, &err), ROWFS_OK);
	wal_close(wal);
	got = salvage(path, NULL, &st);
	rowset_expect_equal(got, want, "parts without their commit frame");
	ck_assert_uint_eq(st.wal_records, 7);
	ck_assert_uint_eq(st.wal_frames, 4);
	free(got);
	free(want);
}
END_TEST

/*
 * A WAL damaged in the middle yields its valid prefix; one whose header is
 * zeroed is an empty log.  DBFILE's rows come back either way.
 */
START_TEST(test_wal_damaged)
{
	struct rowfs_config cfg = { .path = tu_path("wlive.db") };
	const char *path = tu_path("wcrash.db");
	const char *wal = tu_path("wcrash.db-wal");
	struct rowfs_err err = { 0 };
	struct rowfs_salvage_stats st;
	struct rowset *base, *got;
	uint8_t header[WAL_HEADER_SIZE] = { 0 }, byte;
	struct rowfs_db *db;
	char line[64];
	uint32_t i, k;
	int n;

	build(cfg.path, 300, 0);
	db = tu_open(&cfg);
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		n = snprintf(line, sizeof(line), "insert %u late_%u", 1000 + i, i);
		ck_assert_int_eq(tu_exec_emit(db, line, (size_t)n, tu_discard, NULL, &err), ROWFS_OK);
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	}
	tu_copy_file(tu_path("wlive.db"), path);
	tu_copy_file(tu_path("wlive.db-wal"), wal);
	tu_close(db);
	base = layout(path);

	/* One byte flipped at 60% of the WAL: frames up to there, none after. */
	tu_pread_at(wal, tu_file_size(wal) * 6 / 10, &byte, 1);
	byte ^= 0x01;
	tu_pwrite_at(wal, tu_file_size(wal) * 6 / 10, &byte, 1);
	got = salvage(path, NULL, &st);
	for (k = 0; k < 20 && got->present[1000 + k]; k++)
		;
	ck_assert_uint_gt(k, 5);
	ck_assert_uint_lt(k, 20);
	for (i = k; i < 20; i++)
		ck_assert_msg(!got->present[1000 + i], "row %u after the damaged frame", 1000 + i);
	for (i = 0; i < k; i++)
		rowset_set(base, 1000 + i, got->name[1000 + i], strlen(got->name[1000 + i]), 0);
	rowset_expect_equal(got, base, "WAL prefix");
	ck_assert_uint_eq(st.wal_records, k);
	free(got);

	/* The WAL header zeroed: an empty log, DBFILE's 300 rows. */
	tu_pwrite_at(wal, 0, header, sizeof(header));
	got = salvage(path, NULL, &st);
	ck_assert_uint_eq(got->count, 300);
	ck_assert_uint_eq(st.wal_frames, 0);
	free(got);
	free(base);
}
END_TEST

/*
 * A key on two leaves: the one the tree reaches wins, even when the stale
 * copy has the lower page number; without a tree walk (header damaged),
 * the lowest page number wins.
 */
START_TEST(test_tree_copy_wins)
{
	const char *path = tu_path("stale.db");
	uint8_t page[PAGE_SIZE], root[PAGE_SIZE];
	struct rowfs_salvage_stats st;
	struct rowset *want, *got;
	uint32_t leaves[64], rootno, moved, end, i, keys, cells;
	struct row row;
	char name[16];

	build(path, 300, 0);
	want = layout(path);
	ck_assert_uint_ge(leaf_pages(want, leaves, 64), 3);
	moved = leaves[0];
	rootno = root_of(path);
	end = (uint32_t)(tu_file_size(path) / PAGE_SIZE);

	/* The first leaf moves to a new page at the end; the root points there. */
	read_page(path, moved, page);
	write_page(path, end, page);
	read_page(path, rootno, root);
	ck_assert_uint_eq(node_type(root), NODE_INTERNAL);
	keys = internal_num_keys(root);
	for (i = 0; i <= keys && internal_child(root, i) != moved; i++)
		;
	ck_assert_uint_le(i, keys);
	set_internal_child(root, i, end);
	write_page(path, rootno, root);

	/* The old page stays a leaf, with stale names. */
	cells = leaf_num_cells(page);
	for (i = 0; i < cells; i++) {
		ck_assert_int_eq(row_decode(leaf_value(page, i), &row), ROWFS_OK);
		snprintf(name, sizeof(name), "stale_%u", row.id);
		ck_assert_int_eq(row_set(&row, row.id, name, strlen(name), NULL), ROWFS_OK);
		row_encode(&row, leaf_cell(page, i) + LEAF_NODE_VALUE_OFFSET);
	}
	write_page(path, moved, page);

	got = salvage(path, NULL, &st);
	rowset_expect_equal(got, want, "tree copy wins");
	ck_assert_uint_eq(st.superseded, cells);
	ck_assert_uint_eq(st.leaf_pages, st.tree_leaves + 1);
	free(got);

	/* No tree walk: page `moved` (lower) wins, with its stale names. */
	tu_set_header_u32(path, HDR_ROW_COUNT_OFFSET, 1, 0);
	got = salvage(path, NULL, &st);
	ck_assert_int_eq(st.header_valid, 0);
	for (i = 0; i < MAX_ID; i++) {
		if (want->present[i] && want->page[i] == moved) {
			snprintf(name, sizeof(name), "stale_%u", i);
			rowset_set(want, i, name, strlen(name), moved);
		}
	}
	rowset_expect_equal(got, want, "lowest page wins");
	free(got);
	free(want);
}
END_TEST

/* An unreadable page (EIO) is skipped; everything else comes back. */
START_TEST(test_read_error)
{
	const char *path = tu_path("eio.db");
	struct rowfs_salvage_stats st;
	struct rowset *want, *got;
	struct faultos fo;

	build(path, 1000, 0);
	want = layout(path);
	ck_assert_uint_eq(want->page[1], 1);
	faultos_init(&fo);
	faultos_fail_read_at(&fo, 2, EIO, 0);   /* page 0, then page 1 fails */
	got = salvage(path, &fo.os, &st);
	faultos_release(&fo);
	rowset_drop_page(want, 1);
	rowset_expect_equal(got, want, "page 1 unreadable");
	ck_assert_uint_eq(st.damaged_pages, 1);
	free(got);
	free(want);
}
END_TEST

/* Random page-level damage: undamaged leaves always come back, nothing is invented. */
START_TEST(test_random_damage)
{
	const char *orig = tu_path("rorig.db");
	const char *copy = tu_path("rcopy.db");
	uint64_t rng = tu_seed("ROWFS_SALVAGE_SEED", 20240607u);
	uint8_t page[PAGE_SIZE], damaged[256];
	struct rowfs_salvage_stats st;
	struct rowset *base, *got;
	uint32_t pages, pgno, round, k, id, cut;

	build(orig, 3000, 1009);
	base = layout(orig);
	pages = (uint32_t)(tu_file_size(orig) / PAGE_SIZE);
	ck_assert_uint_lt(pages, sizeof(damaged));
	for (round = 0; round < 60; round++) {
		tu_copy_file(orig, copy);
		memset(damaged, 0, sizeof(damaged));
		cut = pages;
		for (k = 0; k < 1 + tu_next_random(&rng) % 4; k++) {
			pgno = (uint32_t)(tu_next_random(&rng) % pages);
			switch (tu_next_random(&rng) % 4) {
			case 0:
				memset(page, 0, sizeof(page));
				break;
			case 1:
				garbage(page, &rng);
				break;
			case 2:
				garbage(page, &rng);
				page[NODE_TYPE_OFFSET] = NODE_LEAF;
				put_u32(page + LEAF_NODE_NUM_CELLS_OFFSET,
					(uint32_t)(tu_next_random(&rng) % (LEAF_NODE_MAX_CELLS + 1)));
				break;
			default:   /* truncate inside page pgno (never longer) */
				if (pgno < cut) {
					cut = pgno;
					ck_assert_int_eq(truncate(copy, (off_t)pgno * PAGE_SIZE +
						(off_t)(tu_next_random(&rng) % PAGE_SIZE)), 0);
				}
				continue;
			}
			if (pgno < cut) {
				write_page(copy, pgno, page);
				damaged[pgno] = 1;
			}
		}
		got = salvage(copy, NULL, &st);
		for (id = 0; id < MAX_ID; id++) {
			if (got->present[id])
				REQUIRE(base->present[id] && strcmp(got->name[id], base->name[id]) == 0,
					"round %u: id %u invented ('%s', was '%s' on page %u)", round,
					id, got->name[id], base->present[id] ? base->name[id] : "-",
					base->page[id]);
			else if (base->present[id])
				REQUIRE(damaged[base->page[id]] || base->page[id] >= cut,
					"round %u: id %u of undamaged page %u missing", round, id,
					base->page[id]);
		}
		free(got);
	}
	free(base);
}
END_TEST

/* A database held by a writer is refused (the dump would be a moving target). */
START_TEST(test_locked)
{
	struct rowfs_config cfg = { .path = tu_path("locked.db") };
	struct rowfs_salvage_stats st;
	struct rowfs_err err = { 0 };
	struct tu_buf out = { 0 };
	struct rowfs_db *db;

	build(cfg.path, 10, 0);
	db = tu_open(&cfg);
	ck_assert_int_eq(rowfs_salvage(cfg.path, NULL, tu_buf_emit, &out, &st, &err), ROWFS_LOCKED);
	ck_assert_str_eq(err.msg, "database is locked");
	ck_assert_ptr_null(out.data);
	tu_close(db);
}
END_TEST

/* A missing file is an operational error. */
START_TEST(test_missing_file)
{
	struct rowfs_salvage_stats st;
	struct rowfs_err err = { 0 };
	struct tu_buf out = { 0 };

	ck_assert_int_eq(rowfs_salvage(tu_path("none.db"), NULL, tu_buf_emit, &out, &st, &err),
			 ROWFS_IOERR);
	ck_assert_ptr_nonnull(strstr(err.msg, "none.db"));
	ck_assert_ptr_null(out.data);
}
END_TEST

/* A sink that fails: ROWFS_NOMEM, "cannot write the dump". */
static int refuse(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	(void)text;
	(void)len;
	return 1;
}

START_TEST(test_sink_fails)
{
	const char *path = tu_path("sink.db");
	struct rowfs_salvage_stats st;
	struct rowfs_err err = { 0 };

	build(path, 10, 0);
	ck_assert_int_eq(rowfs_salvage(path, NULL, refuse, NULL, &st, &err), ROWFS_NOMEM);
	ck_assert_str_eq(err.msg, "cannot write the dump");
}
END_TEST

/* The files are never written: byte for byte the same afterwards. */
START_TEST(test_files_unchanged)
{
	struct rowfs_config cfg = { .path = tu_path("ro.db") };
	static const char *const lines[] = { "insert 900 x", "delete 3", NULL };
	struct rowfs_salvage_stats st;
	struct rowset *got;
	struct rowfs_db *db;
	uint8_t *db_before, *wal_before, *db_after, *wal_after;
	size_t db_len, wal_len, len;

	build(cfg.path, 200, 0);
	db = tu_open(&cfg);
	run_each(db, lines);
	tu_copy_file(tu_path("ro.db"), tu_path("c.db"));
	tu_copy_file(tu_path("ro.db-wal"), tu_path("c.db-wal"));
	tu_close(db);
	tu_set_header_u32(tu_path("c.db"), HDR_ROOT_OFFSET, 77, 0);   /* damaged */
	db_before = tu_read_file(tu_path("c.db"), &db_len);
	wal_before = tu_read_file(tu_path("c.db-wal"), &wal_len);
	got = salvage(tu_path("c.db"), NULL, &st);
	ck_assert_uint_eq(got->count, 200);
	db_after = tu_read_file(tu_path("c.db"), &len);
	ck_assert_uint_eq(len, db_len);
	ck_assert_int_eq(memcmp(db_before, db_after, len), 0);
	wal_after = tu_read_file(tu_path("c.db-wal"), &len);
	ck_assert_uint_eq(len, wal_len);
	ck_assert_int_eq(memcmp(wal_before, wal_after, len), 0);
	free(db_before);
	free(wal_before);
	free(db_after);
	free(wal_after);
	free(got);
}
END_TEST

/* ---- version-2 tables ---------------------------------------------------- */

/* Run the lines of text (newline-separated) as one unit of input; each must succeed. */
static void exec_text(struct rowfs_db *db, const char *text)
{
	struct rowfs_err err = { 0 };
	const char *line = text, *end;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		REQUIRE(tu_exec_emit(db, line, (size_t)(end - line), tu_discard, NULL, &err) == ROWFS_OK,
			"%.*s: %s", (int)(end - line > 80 ? 80 : end - line), line, err.msg);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
}

/* A blob literal of len bytes (seeded), malloc'd: x'..'. */
static char *blob_literal(size_t len, unsigned seed)
{
	char *s = malloc(2 * len + 4), *p = s;
	size_t i;

	ck_assert_ptr_nonnull(s);
	p += sprintf(p, "x'");
	for (i = 0; i < len; i++)
		p += sprintf(p, "%02x", (unsigned)((i * 31 + seed) % 256));
	strcpy(p, "'");
	return s;
}

/*
 * Two tables besides users: t (200 rows, every tenth with a blob that
 * overflows into one to three pages, some NULLs, negative keys) and u
 * (text with a quote, a newline and a backslash; a real).  Plus 50 users.
 */
static void build_tables(const char *path)
{
	struct rowfs_config cfg = { .path = path };
	struct rowfs_db *db = tu_open(&cfg);
	struct tu_buf b = { 0 };
	char line[128], *blob;
	int i, n;

	exec_text(db, "create table t (id integer primary key, n integer, s text, b blob)\n"
		  "create table u (k integer primary key, v text not null, r real)\n"
		  "insert into u values (1, 'it''s', 0.1)\n"
		  "insert into u values (2, E'two\\nlines \\\\ here', -2.5)\n"
		  "insert into u values (-3, 'x', null)");
	for (i = -20; i < 180; i++) {
		if (i % 10 == 0) {
			blob = blob_literal(1500 + (size_t)(i + 20) * 50, (unsigned)i);
			tu_buf_emit(&b, "insert into t values (", 22);
			n = snprintf(line, sizeof(line), "%d, %d, 'big%d', ", i, i * 3, i);
			tu_buf_emit(&b, line, (size_t)n);
			tu_buf_emit(&b, blob, strlen(blob));
			tu_buf_emit(&b, ")\n", 2);
			free(blob);
		} else {
			n = snprintf(line, sizeof(line), "insert into t values (%d, %s, 's%d', x'%02x')\n", i,
				     i % 7 ? "42" : "null", i, (unsigned)(i & 0xff));
			tu_buf_emit(&b, line, (size_t)n);
		}
	}
	for (i = 1; i <= 50; i++) {
		n = snprintf(line, sizeof(line), "insert %d user_%d\n", i, i);
		tu_buf_emit(&b, line, (size_t)n);
	}
	b.data[b.len - 1] = '\0';
	exec_text(db, b.data);
	tu_buf_free(&b);
	tu_close(db);
}

/* Everything a reader sees of tables t, u, v and users, as one text (absent tables named). */
static char *state_of(const char *path)
{
	static const char *const queries[] = { "select * from t", "select * from u",
					       "select * from v", "select", ".tables" };
	struct rowfs_config cfg = { .path = path, .read_only = 1 };
	struct rowfs_db *db = tu_open(&cfg);
	struct tu_buf all = { 0 }, one = { 0 };
	struct rowfs_err err;
	size_t i;

	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		tu_buf_emit(&all, queries[i], strlen(queries[i]));
		tu_buf_emit(&all, ":\n", 2);
		one.len = 0;
		/* a reader: the statements run in a read transaction */
		if (tu_exec_committed(db, queries[i], strlen(queries[i]), tu_buf_emit, &one,
				      &err) == ROWFS_OK)
			tu_buf_emit(&all, one.data ? one.data : "", one.len);
		else
			tu_buf_emit(&all, err.msg, strlen(err.msg));
		tu_buf_emit(&all, "\n", 1);
	}
	tu_buf_free(&one);
	tu_close(db);
	return all.data;
}

/* The salvage dump of path (which must succeed), malloc'd. */
static char *dump_of(const char *path, struct rowfs_salvage_stats *st)
{
	struct tu_buf out = { 0 };
	struct rowfs_err err = { 0 };
	int rc = rowfs_salvage(path, NULL, tu_buf_emit, &out, st, &err);

	ck_assert_msg(rc == ROWFS_OK, "salvage: %s", err.msg);
	return out.data;
}

/* Replay a dump into a new database at path. */
static void replay_dump(const char *path, const char *dump)
{
	struct rowfs_config cfg = { .path = path };
	struct rowfs_db *db;

	unlink(path);
	db = tu_open(&cfg);
	exec_text(db, dump);
	tu_close(db);
}

/* The dump of path replays into a database that reads exactly like want. */
static void expect_dump_replays_to(const char *path, const char *want,
				   struct rowfs_salvage_stats *st)
{
	char *dump = dump_of(path, st), *got;

	replay_dump(tu_path("replayed.db"), dump);
	got = state_of(tu_path("replayed.db"));
	ck_assert_msg(strcmp(got, want) == 0, "replayed dump reads:\n%.2000s\nexpected:\n%.2000s", got,
		      want);
	free(got);
	free(dump);
}

START_TEST(test_tables_dump)
{
	const char *path = tu_path("tables.db");
	struct rowfs_salvage_stats st;
	char *want, *dump;
	const char *p;

	build_tables(path);
	want = state_of(path);
	dump = dump_of(path, &st);
	/* the shape: begin, creates in name order, then rows table by table in name order */
	ck_assert_msg(strncmp(dump, "begin\ncreate table t (id integer primary key, n integer, s text, "
			      "b blob)\ncreate table u (k integer primary key, v text not null, r "
			      "real)\ninsert into t values (-20, -60, 'big-20', x'", 150) == 0,
		      "dump starts:\n%.300s", dump);
	p = strstr(dump, "insert into u values (-3, 'x', ");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(strstr(dump, "insert into u values (1, 'it''s', 0.1)\n"));
	ck_assert_ptr_nonnull(strstr(dump, "insert into u values (2, E'two\\nlines \\\\ here', -2.5)\n"));
	ck_assert_ptr_nonnull(strstr(dump, "insert into t values (7, null, 's7', x'07')\n"));
	ck_assert_ptr_nonnull(strstr(dump, "\ninsert 50 user_50\ncommit\n"));
	ck_assert(strstr(dump, "insert into t values (179,") < strstr(dump, "insert into u values (-3,"));
	ck_assert(strstr(dump, "insert into u values (2,") < strstr(dump, "insert 1 user_1\n"));
	ck_assert_uint_eq(st.tables, 2);
	ck_assert_uint_eq(st.rows, 200 + 3 + 50);
	ck_assert_uint_eq(st.bad_cells, 0);
	ck_assert_uint_eq(st.orphan_leaves, 0);
	ck_assert_uint_eq(st.damaged_pages, 0);
	free(dump);
	expect_dump_replays_to(path, want, &st);
	free(want);
}
END_TEST

/*
 * Committed statements only in the WAL (the writer still has the file
 * open): inserts with overflow, an update, deletes, a table created and
 * filled, a table dropped, a table dropped and created again by the same
 * name.  The copy's dump replays to what the writer had.
 */
START_TEST(test_tables_dump_with_wal_tail)
{
	const char *path = tu_path("tables.db");
	struct rowfs_config cfg = { .path = path };
	struct rowfs_salvage_stats st;
	struct rowfs_db *db;
	char *blob, *want, *stmt = malloc(32768);

	ck_assert_ptr_nonnull(stmt);
	build_tables(path);
	db = tu_open(&cfg);
	blob = blob_literal(6000, 7);
	snprintf(stmt, 32768, "insert into t values (500, 1, 'wal', %s)\n"
		 "update t set s = 'changed', b = %s where id = 5\n"
		 "delete from t where id = 10\ndelete from t where id = -19", blob, blob);
	exec_text(db, stmt);
	exec_text(db, "create table v (id integer primary key, x real)\n"
		  "insert into v values (1, 1.5)\ninsert into v values (2, 1e+100)\n"
		  "drop table u\ncreate table u (k integer primary key, w blob)\n"
		  "insert into u values (7, x'0707')");
	exec_text(db, "insert 51 user_51\ndelete 3");
	free(blob);
	free(stmt);
	tu_copy_file(path, tu_path("copy.db"));
	tu_copy_file(tu_path("tables.db-wal"), tu_path("copy.db-wal"));
	ck_assert_uint_gt(tu_file_size(tu_path("copy.db-wal")), WAL_HEADER_SIZE);
	tu_close(db);
	want = state_of(path);
	expect_dump_replays_to(tu_path("copy.db"), want, &st);
	ck_assert_uint_eq(st.tables, 3);
	ck_assert_uint_gt(st.wal_records, 10);
	ck_assert_uint_eq(st.wal_bad_records, 0);
	free(want);
}
END_TEST

/*
 * Tables created in the WAL are told apart by the root page their create
 * record names: two created in one transaction, filled in the other
 * order, then one dropped and another made (which may reuse its pages).
 */
START_TEST(test_tables_created_in_the_wal)
{
	static const char want[] =
		"begin\n"
		"create table b (id integer primary key, y integer, z text)\n"
		"create table c (id integer primary key, w real)\n"
		"insert into b values (1, 10, 'b1')\ninsert into b values (2, 20, 'b2')\n"
		"insert into b values (3, 30, 'b3')\ninsert into c values (5, 0.5)\n"
		"commit\n";
	const char *path = tu_path("tables.db");
	struct rowfs_config cfg = { .path = path };
	struct rowfs_salvage_stats st;
	struct rowfs_db *db;
	char *dump;

	db = tu_open(&cfg);
	exec_text(db, "create table a (id integer primary key, x text)\n"
		  "create table b (id integer primary key, y integer, z text)\n"
		  "insert into b values (1, 10, 'b1')\ninsert into a values (1, 'a1')\n"
		  "insert into b values (2, 20, 'b2')\ninsert into a values (2, 'a2')");
	exec_text(db, "drop table a\ncreate table c (id integer primary key, w real)\n"
		  "insert into c values (5, 0.5)\ninsert into b values (3, 30, 'b3')");
	tu_copy_file(path, tu_path("copy.db"));
	tu_copy_file(tu_path("tables.db-wal"), tu_path("copy.db-wal"));
	tu_close(db);
	dump = dump_of(path, &st);
	ck_assert_str_eq(dump, want);
	free(dump);
	dump = dump_of(tu_path("copy.db"), &st);   /* from the WAL */
	ck_assert_str_eq(dump, want);
	ck_assert_uint_eq(st.wal_bad_records, 0);
	free(dump);
}
END_TEST

/* The root of t (an internal page) zeroed: its leaves are orphans, skipped and counted. */
START_TEST(test_tables_orphan_leaves)
{
	const char *path = tu_path("tables.db");
	uint8_t zero[PAGE_SIZE] = { 0 }, page[PAGE_SIZE];
	struct rowfs_salvage_stats st;
	uint32_t root;
	char *dump;

	build_tables(path);
	/* t's root is the only internal page (the catalog and u are single leaves) */
	for (root = 1; root < tu_file_size(path) / PAGE_SIZE; root++) {
		read_page(path, root, page);
		if (page[0] == NODE_TABLE_INTERNAL)
			break;
	}
	ck_assert_uint_lt(root, tu_file_size(path) / PAGE_SIZE);
	write_page(path, root, zero);
	dump = dump_of(path, &st);
	ck_assert_uint_gt(st.orphan_leaves, 0);
	ck_assert_ptr_null(strstr(dump, "insert into t "));
	ck_assert_ptr_nonnull(strstr(dump, "create table t "));
	ck_assert_ptr_nonnull(strstr(dump, "insert into u values (-3, 'x', null)\n"));
	ck_assert_ptr_nonnull(strstr(dump, "insert 50 user_50\n"));
	free(dump);
}
END_TEST

/* An overflow page of one record damaged: that row is a bad cell, every other row stays. */
START_TEST(test_tables_overflow_damaged)
{
	const char *path = tu_path("tables.db");
	struct rowfs_salvage_stats st;
	uint8_t page[PAGE_SIZE];
	uint32_t pgno, pages;
	char *dump;

	build_tables(path);
	pages = (uint32_t)(tu_file_size(path) / PAGE_SIZE);
	for (pgno = 1; pgno < pages; pgno++) {
		read_page(path, pgno, page);
		if (page[0] == NODE_OVERFLOW)
			break;
	}
	ck_assert_uint_lt(pgno, pages);
	page[0] = 0x77;
	write_page(path, pgno, page);
	dump = dump_of(path, &st);
	ck_assert_uint_eq(st.bad_cells, 1);
	ck_assert_uint_eq(st.rows, 200 + 3 + 50 - 1);
	free(dump);
}
END_TEST

/* The catalog's page zeroed: the tables are lost (their leaves orphans), users is not. */
START_TEST(test_tables_catalog_lost)
{
	const char *path = tu_path("tables.db");
	struct rowfs_salvage_stats st;
	uint8_t zero[PAGE_SIZE] = { 0 }, hdr[PAGE_SIZE];
	char *dump;

	build_tables(path);
	read_page(path, 0, hdr);
	write_page(path, get_u32(hdr + HDR_CATALOG_ROOT_OFFSET), zero);
	dump = dump_of(path, &st);
	ck_assert_uint_eq(st.tables, 0);
	ck_assert_uint_gt(st.orphan_leaves, 0);
	ck_assert_ptr_null(strstr(dump, "create table"));
	ck_assert_ptr_nonnull(strstr(dump, "insert 50 user_50\n"));
	ck_assert_uint_eq(st.rows, 50);
	free(dump);
}
END_TEST

static Suite *salvage_suite(void)
{
	Suite *s = suite_create("salvage");
	TCase *tc = tcase_create("salvage");

	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_clean);
	tcase_add_test(tc, test_empty_database);
	tcase_add_test(tc, test_zeroed_internal_node);
	tcase_add_test(tc, test_garbage_pages);
	tcase_add_test(tc, test_bad_header_checksum);
	tcase_add_test(tc, test_zeroed_header);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_wal_commits);
	tcase_add_test(tc, test_wal_damaged);
	tcase_add_test(tc, test_wal_parts);
	tcase_add_test(tc, test_tree_copy_wins);
	tcase_add_test(tc, test_read_error);
	tcase_add_test(tc, test_random_damage);
	tcase_add_test(tc, test_locked);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_sink_fails);
	tcase_add_test(tc, test_files_unchanged);
	suite_add_tcase(s, tc);

	tc = tcase_create("tables");
	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_tables_dump);
	tcase_add_test(tc, test_tables_dump_with_wal_tail);
	tcase_add_test(tc, test_tables_created_in_the_wal);
	tcase_add_test(tc, test_tables_orphan_leaves);
	tcase_add_test(tc, test_tables_overflow_damaged);
	tcase_add_test(tc, test_tables_catalog_lost);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_salvage", salvage_suite());
}
