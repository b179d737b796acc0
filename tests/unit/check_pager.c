/*
 * check_pager.c - unit tests of the pager (engine/pager.c): creation and
 * header validation, the lock, the page cache (eviction, hit/miss counts,
 * dirty pages pinned), the free list, the commit point and the fsyncs of
 * each sync mode, checkpoint and reopen, read-only opens that leave the
 * files alone, and the sticky ERROR state.
 *
 * Pager-level tests log their own tiny records (struct rec below: "page P
 * gets pattern V") and replay them with apply_records(), so reopening runs
 * the same recovery path as the engine without the B-tree.  Tests that need
 * rows use the rowfs.h façade.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultos.h"
#include "format.h"
#include "os.h"
#include "pager.h"
#include "row.h"
#include "rowfs.h"
#include "testutil.h"
#include "wal.h"

/* ---- pager helpers ----------------------------------------------------- */

/* One logged record: page pgno (appended if it is the next page) gets pattern v. */
struct rec {
	uint32_t pgno;
	uint32_t v;
};

static void fill(uint8_t *d, uint32_t pgno, uint32_t v)
{
	size_t i;

	for (i = 0; i < PAGE_SIZE; i++)
		d[i] = (uint8_t)(pgno * 7u + v * 3u + i * 13u);
}

static int has_fill(const uint8_t *d, uint32_t pgno, uint32_t v)
{
	size_t i;

	for (i = 0; i < PAGE_SIZE; i++)
		if (d[i] != (uint8_t)(pgno * 7u + v * 3u + i * 13u))
			return 0;
	return 1;
}

/* Apply one record: get (or append) the page, make it writable, fill it. */
static int apply_one(struct pager *pager, uint32_t pgno, uint32_t v, struct rowfs_err *err)
{
	struct page *page;
	int rc;

	if (pgno == pager_page_count(pager)) {
		rc = pager_allocate(pager, &page, err);
		if (rc)
			return rc;
		ck_assert_uint_eq(page_pgno(page), pgno);
	} else {
		rc = pager_get(pager, pgno, &page, err);
		if (rc)
			return rc;
		rc = pager_write(page, err);
		if (rc) {
			pager_unref(page);
			return rc;
		}
	}
	fill(page_data(page), pgno, v);
	pager_unref(page);
	return ROWFS_OK;
}

/* Replay callback: the records of one committed transaction. */
static int apply_records(void *ctx, uint64_t seq, const uint8_t *records, uint32_t len)
{
	struct pager *pager = *(struct pager **)ctx;
	struct rowfs_err err;
	uint32_t off;
	int rc;

	(void)seq;
	for (off = 0; off + 8 <= len; off += 8) {
		rc = apply_one(pager, get_u32(records + off), get_u32(records + off + 4), &err);
		if (rc)
			return rc;
	}
	return ROWFS_OK;
}

static struct pager_config config(const struct os *os, int sync, uint32_t cache_pages)
{
	struct pager_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_db_path;
	cfg.os = os;
	cfg.sync = sync;
	cfg.cache_pages = cache_pages;
	cfg.wal_limit = 1ull << 30;
	return cfg;
}

/* Open and recover; fails the test on error. */
static struct pager *open_cfg(const struct pager_config *cfg)
{
	static struct pager *slot;  /* apply_records' context must outlive open */
	struct pager *pager = NULL;
	struct rowfs_err err;
	int rc = pager_open(cfg, &pager, &err);

	ck_assert_msg(rc == ROWFS_OK, "pager_open: %s (%s)", rowfs_rc_name(rc), err.msg);
	slot = pager;
	rc = pager_replay(pager, apply_records, &slot, &err);
	ck_assert_msg(rc == ROWFS_OK, "pager_replay: %s (%s)", rowfs_rc_name(rc), err.msg);
	return pager;
}

static struct pager *open_default(void)
{
	struct pager_config cfg = config(NULL, ROWFS_SYNC_FULL, 0);

	return open_cfg(&cfg);
}

/* Checkpoint and close. */
static void close_pager(struct pager *pager)
{
	struct rowfs_err err;

	if (!pager_is_read_only(pager))
		ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_OK);
	pager_close(pager);
}

/* One transaction: pages first..first+count-1 (appending as needed) get pattern v. */
static int txn_fill(struct pager *pager, uint32_t first, uint32_t count, uint32_t v,
		    struct rowfs_err *err)
{
	uint32_t p;
	int rc = pager_begin(pager, 0, err);

	for (p = first; rc == ROWFS_OK && p < first + count; p++) {
		uint8_t r[8];

		rc = apply_one(pager, p, v, err);
		put_u32(r, p);
		put_u32(r + 4, v);
		if (rc == ROWFS_OK)
			rc = pager_log(pager, r, sizeof(r), err);
	}
	if (rc == ROWFS_OK)
		rc = pager_commit(pager, err);
	return rc;
}

static void must_fill(struct pager *pager, uint32_t first, uint32_t count, uint32_t v)
{
	struct rowfs_err err;
	int rc = txn_fill(pager, first, count, v, &err);

	ck_assert_msg(rc == ROWFS_OK, "txn_fill: %s (%s)", rowfs_rc_name(rc), err.msg);
}

static void expect_fill(struct pager *pager, uint32_t pgno, uint32_t v)
{
	struct page *page;
	struct rowfs_err err;

	ck_assert_int_eq(pager_get(pager, pgno, &page, &err), ROWFS_OK);
	ck_assert_msg(has_fill(page_data(page), pgno, v), "page %u lacks pattern %u", pgno, v);
	pager_unref(page);
}

static struct pager_stats stats(const struct pager *pager)
{
	struct pager_stats st;

	pager_get_stats(pager, &st);
	return st;
}

/* ---- a spy os: counts writes and fsyncs per file ----------------------- */

enum target { T_DB, T_WAL, T_OTHER };

struct spy {
	struct os os;              /* handed to the pager; ctx points here */
	unsigned long writes[3];   /* pwrite calls per enum target */
	unsigned long syncs[3];    /* fsync calls per enum target */
	int fail_header_write;     /* pwrite of DBFILE at offset 0 fails with EIO */
};

static enum target classify(int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0)
		return T_OTHER;
	if (stat(tu_db_path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return T_DB;
	if (stat(tu_wal_path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return T_WAL;
	return T_OTHER;
}

static ssize_t spy_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	(void)ctx;
	return pread(fd, buf, n, off);
}

static ssize_t spy_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	struct spy *s = ctx;

	enum target t = classify(fd);

	s->writes[t]++;
	if (s->fail_header_write && t == T_DB && off == 0) {
		errno = EIO;
		return -1;
	}
	return pwrite(fd, buf, n, off);
}

static int spy_fsync(void *ctx, int fd)
{
	struct spy *s = ctx;

	s->syncs[classify(fd)]++;
	return fdatasync(fd);
}

static int spy_ftruncate(void *ctx, int fd, off_t len)
{
	(void)ctx;
	return ftruncate(fd, len);
}

static void spy_init(struct spy *s)
{
	memset(s, 0, sizeof(*s));
	s->os.pread = spy_pread;
	s->os.pwrite = spy_pwrite;
	s->os.fsync = spy_fsync;
	s->os.ftruncate = spy_ftruncate;
	s->os.ctx = s;
}

static unsigned long total_syncs(const struct spy *s)
{
	return s->syncs[T_DB] + s->syncs[T_WAL] + s->syncs[T_OTHER];
}

/* ---- creation and header validation ------------------------------------ */

START_TEST(test_create_new_database)
{
	struct pager *pager = open_default();
	struct page *page;
	struct rowfs_err err;
	size_t len;
	uint8_t *buf;

	ck_assert_uint_eq(pager_page_count(pager), 2);
	ck_assert_uint_eq(pager_root(pager), 1);
	ck_assert_uint_eq(pager_free_head(pager), 0);
	ck_assert_uint_eq(pager_free_count(pager), 0);
	ck_assert_uint_eq(pager_row_count(pager), 0);
	ck_assert_int_eq(pager_get(pager, 1, &page, &err), ROWFS_OK);
	ck_assert_uint_eq(page_data(page)[NODE_TYPE_OFFSET], NODE_LEAF);
	ck_assert_uint_eq(page_data(page)[IS_ROOT_OFFSET], 1);
	ck_assert_uint_eq(get_u32(page_data(page) + LEAF_NODE_NUM_CELLS_OFFSET), 0);
	pager_unref(page);
	ck_assert_int_eq(pager_get(pager, 2, &page, &err), ROWFS_CORRUPT);
	ck_assert_ptr_null(page);
	ck_assert_int_eq(pager_get(pager, 0, &page, &err), ROWFS_CORRUPT);

	/* On disk already: two pages, a valid header, an empty WAL. */
	buf = tu_read_file(tu_db_path, &len);
	ck_assert_uint_eq(len, 2 * PAGE_SIZE);
	/* a new database is format version 2; the catalog tree is rowfs_open's to make */
	ck_assert_int_eq(memcmp(buf, DB_MAGIC_V2, DB_MAGIC_SIZE), 0);
	ck_assert_uint_eq(get_u32(buf + HDR_VERSION_OFFSET), DB_FORMAT_VERSION_2);
	ck_assert_uint_eq(get_u32(buf + HDR_PAGE_SIZE_OFFSET), PAGE_SIZE);
	ck_assert_uint_eq(get_u32(buf + HDR_ROOT_OFFSET), 1);
	ck_assert_uint_eq(get_u32(buf + HDR_PAGE_COUNT_OFFSET), 2);
	ck_assert_uint_eq(get_u32(buf + HDR_CATALOG_ROOT_OFFSET), 0);
	ck_assert_uint_eq(get_u32(buf + HDR2_CHECKSUM_OFFSET), pager_header_checksum(buf));
	ck_assert_uint_eq(buf[PAGE_SIZE + NODE_TYPE_OFFSET], NODE_LEAF);
	free(buf);
	ck_assert_int_eq(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
	close_pager(pager);

	/* Reopening finds the same database. */
	pager = open_default();
	ck_assert_uint_eq(pager_page_count(pager), 2);
	ck_assert_uint_eq(pager_root(pager), 1);
	close_pager(pager);
	ck_assert_int_eq(tu_file_size(tu_db_path), 2 * PAGE_SIZE);
}
END_TEST

/* pager_open must fail with rc and a message starting with prefix. */
static void expect_open_fails(int want_rc, const char *prefix)
{
	struct pager_config cfg = config(NULL, ROWFS_SYNC_FULL, 0);
	struct pager *pager = (struct pager *)1;
	struct rowfs_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = pager_open(&cfg, &pager, &err);
	ck_assert_msg(rc == want_rc, "pager_open: %s (%s), expected %s", rowfs_rc_name(rc),
		      err.msg, rowfs_rc_name(want_rc));
	ck_assert_ptr_null(pager);
	ck_assert_int_eq(err.rc, want_rc);
	ck_assert_msg(strncmp(err.msg, prefix, strlen(prefix)) == 0, "message '%s'", err.msg);

	/* Read-only opens reject it the same way. */
	cfg.read_only = 1;
	pager = (struct pager *)1;
	rc = pager_open(&cfg, &pager, &err);
	ck_assert_msg(rc == want_rc, "read-only pager_open: %s (%s)", rowfs_rc_name(rc), err.msg);
	ck_assert_ptr_null(pager);
}

START_TEST(test_reject_wrong_magic)
{
	uint8_t *junk = malloc(2 * PAGE_SIZE);
	struct rowfs_config rcfg;
	struct rowfs_db *db = (struct rowfs_db *)1;
	struct rowfs_err err;
	size_t len;
	uint8_t *after;

	memset(junk, 'x', 2 * PAGE_SIZE);
	tu_write_file(tu_db_path, junk, 2 * PAGE_SIZE);
	expect_open_fails(ROWFS_NOTADB, "not a rowfs database");

	/* The façade says the same, and neither touched the file. */
	memset(&rcfg, 0, sizeof(rcfg));
	rcfg.path = tu_db_path;
	ck_assert_int_eq(rowfs_open(&rcfg, &db, &err), ROWFS_NOTADB);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(err.msg, "not a rowfs database") == err.msg, "'%s'", err.msg);
	after = tu_read_file(tu_db_path, &len);
	ck_assert_uint_eq(len, 2 * PAGE_SIZE);
	ck_assert_int_eq(memcmp(after, junk, len), 0);
	free(after);
	free(junk);
}
END_TEST

START_TEST(test_reject_truncated_file)
{
	struct pager *pager = open_default();
	size_t len;
	uint8_t *buf;

	close_pager(pager);
	buf = tu_read_file(tu_db_path, &len);
	tu_write_file(tu_db_path, buf, 10);
	expect_open_fails(ROWFS_NOTADB, "not a rowfs database");
	ck_assert_int_eq(tu_file_size(tu_db_path), 10);

	/* A header cut inside its checksummed bytes is not a database either. */
	tu_write_file(tu_db_path, buf, HDR_SIZE - 1);
	expect_open_fails(ROWFS_NOTADB, "not a rowfs database");
	free(buf);
}
END_TEST

START_TEST(test_reject_other_page_size_and_version)
{
	struct pager *pager = open_default();

	close_pager(pager);
	tu_set_header_u32(tu_db_path, HDR_PAGE_SIZE_OFFSET, 8192, 1);
	expect_open_fails(ROWFS_NOTADB, "not a rowfs database");
	tu_set_header_u32(tu_db_path, HDR_PAGE_SIZE_OFFSET, PAGE_SIZE, 1);
	pager = open_default();
	close_pager(pager);

	tu_set_header_u32(tu_db_path, HDR_VERSION_OFFSET, DB_FORMAT_VERSION_2 + 1, 1);
	expect_open_fails(ROWFS_NOTADB, "not a rowfs database");
	/* the version field must agree with the magic */
	tu_set_header_u32(tu_db_path, HDR_VERSION_OFFSET, DB_FORMAT_VERSION, 1);
	expect_open_fails(ROWFS_NOTADB, "not a rowfs database");
}
END_TEST

START_TEST(test_reject_header_checksum_damage)
{
	struct pager *pager = open_default();

	close_pager(pager);
	/* One flipped bit in the row count, checksum left alone. */
	tu_set_header_u32(tu_db_path, HDR_ROW_COUNT_OFFSET, 1u << 9, 0);
	expect_open_fails(ROWFS_CORRUPT, "database '");

	/* A checksummed header whose fields are out of range is corrupt too. */
	tu_set_header_u32(tu_db_path, HDR_ROW_COUNT_OFFSET, 0, 1);
	tu_set_header_u32(tu_db_path, HDR_ROOT_OFFSET, 7, 1);
	expect_open_fails(ROWFS_CORRUPT, "database '");
}
END_TEST

/* Write a file of size bytes: zeros, with page 1's first bytes set as an empty root leaf. */
static void write_partial_creation(size_t size, int with_root, size_t stray)
{
	uint8_t *buf = calloc(1, size + 1);

	if (with_root && size > PAGE_SIZE + IS_ROOT_OFFSET) {
		buf[PAGE_SIZE + NODE_TYPE_OFFSET] = NODE_LEAF;
		buf[PAGE_SIZE + IS_ROOT_OFFSET] = 1;
	}
	if (stray)
		buf[stray] = 'x';
	tu_write_file(tu_db_path, buf, size);
	free(buf);
}

START_TEST(test_crash_while_creating)
{
	static const size_t sizes[] = { 1, 4096, 4097, 6000, 8192 };
	struct pager_config ro = config(NULL, ROWFS_SYNC_FULL, 0);
	struct pager *pager;
	size_t i, len;
	uint8_t *buf;

	/*
	 * What a crash inside create_file() can leave (the root page first,
	 * the header last): page 0 still zero.  Read-only sees an empty
	 * database and changes nothing; read-write creates it again.
	 */
	ro.read_only = 1;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		write_partial_creation(sizes[i], 1, 0);
		pager = open_cfg(&ro);
		ck_assert_uint_eq(pager_page_count(pager), 2);
		pager_close(pager);
		ck_assert_int_eq(tu_file_size(tu_db_path), (off_t)sizes[i]);
		unlink(tu_wal_path);
		pager = open_default();
		ck_assert_uint_eq(pager_page_count(pager), 2);
		ck_assert_uint_eq(pager_root(pager), 1);
		close_pager(pager);
		buf = tu_read_file(tu_db_path, &len);
		ck_assert_uint_eq(len, 2 * PAGE_SIZE);
		ck_assert_int_eq(memcmp(buf, DB_MAGIC_V2, DB_MAGIC_SIZE), 0);
		ck_assert_uint_eq(buf[PAGE_SIZE + NODE_TYPE_OFFSET], NODE_LEAF);
		free(buf);
	}

	/* Any other byte, or a third page, and it is not ours to overwrite. */
	write_partial_creation(8192, 1, 5000);
	expect_open_fails(ROWFS_NOTADB, "not a rowfs database");
	write_partial_creation(8192, 0, 100);
	expect_open_fails(ROWFS_NOTADB, "not a rowfs database");
	write_partial_creation(3 * PAGE_SIZE, 1, 0);
	expect_open_fails(ROWFS_NOTADB, "not a rowfs database");
	ck_assert_int_eq(tu_file_size(tu_db_path), 3 * PAGE_SIZE);
}
END_TEST

START_TEST(test_lock_exclusive_and_shared)
{
	struct pager_config cfg = config(NULL, ROWFS_SYNC_FULL, 0);
	struct pager *writer = open_default(), *other = (struct pager *)1, *r1, *r2;
	struct rowfs_err err;

	ck_assert_int_eq(pager_open(&cfg, &other, &err), ROWFS_LOCKED);
	ck_assert_ptr_null(other);
	ck_assert_str_eq(err.msg, "database is locked");
	cfg.read_only = 1;
	ck_assert_int_eq(pager_open(&cfg, &other, &err), ROWFS_LOCKED);
	ck_assert_str_eq(err.msg, "database is locked");
	close_pager(writer);

	/* Readers share the database; a writer then waits for all of them. */
	r1 = open_cfg(&cfg);
	r2 = open_cfg(&cfg);
	cfg.read_only = 0;
	ck_assert_int_eq(pager_open(&cfg, &other, &err), ROWFS_LOCKED);
	ck_assert_str_eq(err.msg, "database is locked");
	pager_close(r1);
	ck_assert_int_eq(pager_open(&cfg, &other, &err), ROWFS_LOCKED);
	pager_close(r2);
	writer = open_cfg(&cfg);
	close_pager(writer);
}
END_TEST

/* ---- the cache --------------------------------------------------------- */

START_TEST(test_cache_eviction_and_reread)
{
	struct pager_config cfg = config(NULL, ROWFS_SYNC_FULL, 16);
	struct pager *pager = open_cfg(&cfg);
	struct pager_stats before, after;
	struct rowfs_err err;
	uint32_t p, pass;

	/* 60 pages, written and checkpointed in batches of 10. */
	for (p = 2; p < 62; p += 10)
		must_fill(pager, p, 10, 1);
	ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_OK);
	ck_assert_uint_eq(pager_page_count(pager), 62);
	ck_assert_uint_le(stats(pager).cached, 16);
	ck_assert_uint_eq(stats(pager).dirty, 0);
	ck_assert_uint_eq(stats(pager).cache_pages, 16);

	/* A sequential scan larger than an LRU cache misses on every page, twice. */
	for (pass = 0; pass < 2; pass++) {
		before = stats(pager);
		for (p = 2; p < 62; p++)
			expect_fill(pager, p, 1);
		after = stats(pager);
		if (pass == 1) {
			ck_assert_uint_eq(after.misses - before.misses, 60);
			ck_assert_uint_eq(after.hits - before.hits, 0);
		} else {
			ck_assert_uint_ge(after.misses - before.misses, 60 - 16);
		}
		ck_assert_uint_le(after.cached, 16);
	}

	/* The last 16 pages read are cached: re-reading them only hits. */
	before = stats(pager);
	for (p = 46; p < 62; p++)
		expect_fill(pager, p, 1);
	after = stats(pager);
	ck_assert_uint_eq(after.hits - before.hits, 16);
	ck_assert_uint_eq(after.misses - before.misses, 0);

	/* Same bytes after a reopen (cold cache). */
	close_pager(pager);
	pager = open_cfg(&cfg);
	before = stats(pager);
	for (p = 61; p >= 2; p--)
		expect_fill(pager, p, 1);
	ck_assert_uint_eq(stats(pager).misses - before.misses, 60);
	close_pager(pager);
}
END_TEST

/* Get pgno with pager_get_cold, check its pattern, release it. */
static void expect_fill_cold(struct pager *pager, uint32_t pgno, uint32_t v)
{
	struct page *page;
	struct rowfs_err err;

	ck_assert_int_eq(pager_get_cold(pager, pgno, &page, &err), ROWFS_OK);
	ck_assert_msg(has_fill(page_data(page), pgno, v), "page %u lacks pattern %u", pgno, v);
	pager_unref(page);
}

START_TEST(test_cold_reads_reuse_one_frame)
{
	struct pager_config cfg = config(NULL, ROWFS_SYNC_FULL, 256);
	struct pager *pager = open_cfg(&cfg);
	struct pager_stats before;
	uint32_t p, base;

	for (p = 2; p < 122; p += 20)
		must_fill(pager, p, 20, 1);
	close_pager(pager);
	pager = open_cfg(&cfg);
	base = stats(pager).cached;

	/* Four hot pages, then a cold scan of 116 others: it holds one frame. */
	for (p = 2; p < 6; p++)
		expect_fill(pager, p, 1);
	for (p = 6; p < 122; p++)
		expect_fill_cold(pager, p, 1);
	ck_assert_uint_le(stats(pager).cached, base + 4 + 1);

	/* The hot pages were not pushed out; cold pages are read again. */
	before = stats(pager);
	for (p = 2; p < 6; p++)
		expect_fill(pager, p, 1);
	ck_assert_uint_eq(stats(pager).misses, before.misses);
	for (p = 6; p < 122; p++)
		expect_fill_cold(pager, p, 1);
	ck_assert_uint_ge(stats(pager).misses - before.misses, 115);

	/* A cold page wanted by pager_get becomes hot and stays. */
	expect_fill_cold(pager, 50, 1);
	expect_fill(pager, 50, 1);
	for (p = 6; p < 122; p++)
		if (p != 50)
			expect_fill_cold(pager, p, 1);
	before = stats(pager);
	expect_fill(pager, 50, 1);
	ck_assert_uint_eq(stats(pager).misses, before.misses);

	/* A cold page that gets written is an ordinary dirty page. */
	must_fill(pager, 60, 1, 2);
	for (p = 6; p < 122; p++)
		if (p != 60)
			expect_fill_cold(pager, p, 1);
	expect_fill_cold(pager, 60, 2);
	close_pager(pager);
	pager = open_cfg(&cfg);
	expect_fill(pager, 60, 2);
	close_pager(pager);
}
END_TEST

START_TEST(test_dirty_pages_never_evicted)
{
	struct pager_config cfg = config(NULL, ROWFS_SYNC_FULL, 16);
	struct pager *pager = open_cfg(&cfg);
	struct pager_stats before;
	struct rowfs_err err;
	uint8_t r[8];
	uint32_t p;

	/* One transaction of 40 pages: more than the cache, all kept. */
	ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
	for (p = 2; p < 42; p++) {
		ck_assert_int_eq(apply_one(pager, p, 1, &err), ROWFS_OK);
		put_u32(r, p);
		put_u32(r + 4, 1);
		ck_assert_int_eq(pager_log(pager, r, sizeof(r), &err), ROWFS_OK);
	}
	ck_assert_uint_eq(stats(pager).dirty, 40);
	ck_assert_uint_ge(stats(pager).cached, 40);
	before = stats(pager);
	for (p = 2; p < 42; p++)
		expect_fill(pager, p, 1);
	ck_assert_uint_eq(stats(pager).misses, before.misses);
	ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_ERROR);  /* inside the transaction */
	ck_assert_int_eq(tu_file_size(tu_db_path), 2 * PAGE_SIZE);

	/* The commit passes 3/4 of the cache in dirty pages: it checkpoints. */
	ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
	ck_assert_uint_eq(stats(pager).checkpoints, 1);
	ck_assert_uint_eq(stats(pager).dirty, 0);
	ck_assert_uint_le(stats(pager).cached, 16);
	ck_assert_int_eq(tu_file_size(tu_db_path), 42 * PAGE_SIZE);

	/* 12 committed, unchekpointed pages survive a scan of 28 clean ones. */
	for (p = 2; p < 14; p++)
		must_fill(pager, p, 1, 2);
	ck_assert_uint_eq(stats(pager).checkpoints, 1);
	ck_assert_uint_eq(stats(pager).dirty, 12);
	for (p = 14; p < 42; p++)
		expect_fill(pager, p, 1);
	ck_assert_uint_le(stats(pager).cached, 16);
	before = stats(pager);
	for (p = 2; p < 14; p++)
		expect_fill(pager, p, 2);
	ck_assert_uint_eq(stats(pager).misses, before.misses);
	ck_assert_uint_eq(stats(pager).dirty, 12);

	ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_OK);
	ck_assert_uint_eq(stats(pager).dirty, 0);
	pager_close(pager);
	pager = open_cfg(&cfg);
	for (p = 2; p < 42; p++)
		expect_fill(pager, p, p < 14 ? 2 : 1);
	close_pager(pager);
}
END_TEST

START_TEST(test_dirty_pages_wait_for_a_full_cache)
{
	struct pager_config cfg = config(NULL, ROWFS_SYNC_FULL, 64);
	struct pager *pager = open_cfg(&cfg);
	uint32_t p;

	/* 50 dirty pages pass 3/4 of the cache, but the cache is not full. */
	must_fill(pager, 2, 50, 1);
	ck_assert_uint_eq(stats(pager).checkpoints, 0);
	ck_assert_uint_eq(stats(pager).dirty, 50);
	ck_assert_uint_lt(stats(pager).cached, 64);

	/* 20 more fill it: the commit checkpoints, and the cache shrinks back. */
	must_fill(pager, 52, 20, 1);
	ck_assert_uint_eq(stats(pager).checkpoints, 1);
	ck_assert_uint_eq(stats(pager).dirty, 0);
	ck_assert_uint_le(stats(pager).cached, 64);
	close_pager(pager);
	pager = open_cfg(&cfg);
	for (p = 2; p < 72; p++)
		expect_fill(pager, p, 1);
	close_pager(pager);
}
END_TEST

START_TEST(test_allocate_and_free_list)
{
	struct pager *pager = open_default();
	struct page *a, *b, *c, *again;
	struct rowfs_err err;
	size_t len;
	uint8_t *buf;
	uint32_t i;

	ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
	ck_assert_int_eq(pager_allocate(pager, &a, &err), ROWFS_OK);
	ck_assert_int_eq(pager_allocate(pager, &b, &err), ROWFS_OK);
	ck_assert_int_eq(pager_allocate(pager, &c, &err), ROWFS_OK);
	ck_assert_uint_eq(page_pgno(a), 2);
	ck_assert_uint_eq(page_pgno(b), 3);
	ck_assert_uint_eq(page_pgno(c), 4);
	ck_assert_uint_eq(pager_page_count(pager), 5);
	for (i = 0; i < PAGE_SIZE; i++)
		ck_assert_uint_eq(page_data(b)[i], 0);
	memset(page_data(a), 0xaa, PAGE_SIZE);
	memset(page_data(b), 0xbb, PAGE_SIZE);
	memset(page_data(c), 0xcc, PAGE_SIZE);
	pager_unref(a);
	pager_unref(c);

	/* Freed: the header's list starts at it; the next allocation reuses it. */
	ck_assert_int_eq(pager_free(pager, b, &err), ROWFS_OK);
	ck_assert_uint_eq(pager_free_head(pager), 3);
	ck_assert_uint_eq(pager_free_count(pager), 1);
	ck_assert_int_eq(pager_allocate(pager, &again, &err), ROWFS_OK);
	ck_assert_uint_eq(page_pgno(again), 3);
	ck_assert_uint_eq(pager_free_head(pager), 0);
	ck_assert_uint_eq(pager_free_count(pager), 0);
	ck_assert_uint_eq(pager_page_count(pager), 5);
	for (i = 0; i < PAGE_SIZE; i++)
		ck_assert_uint_eq(page_data(again)[i], 0);

	/* Free two; the list is LIFO and survives a checkpoint and reopen. */
	ck_assert_int_eq(pager_free(pager, again, &err), ROWFS_OK);
	ck_assert_int_eq(pager_get(pager, 2, &a, &err), ROWFS_OK);
	ck_assert_int_eq(pager_free(pager, a, &err), ROWFS_OK);
	ck_assert_uint_eq(pager_free_head(pager), 2);
	ck_assert_uint_eq(pager_free_count(pager), 2);
	ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
	close_pager(pager);

	buf = tu_read_file(tu_db_path, &len);
	ck_assert_uint_eq(len, 5 * PAGE_SIZE);
	ck_assert_uint_eq(get_u32(buf + HDR_FREE_HEAD_OFFSET), 2);
	ck_assert_uint_eq(get_u32(buf + HDR_FREE_COUNT_OFFSET), 2);
	ck_assert_uint_eq(buf[2 * PAGE_SIZE + NODE_TYPE_OFFSET], NODE_FREE);
	ck_assert_uint_eq(get_u32(buf + 2 * PAGE_SIZE + FREE_PAGE_NEXT_OFFSET), 3);
	ck_assert_uint_eq(buf[3 * PAGE_SIZE + NODE_TYPE_OFFSET], NODE_FREE);
	ck_assert_uint_eq(get_u32(buf + 3 * PAGE_SIZE + FREE_PAGE_NEXT_OFFSET), 0);
	ck_assert_uint_eq(buf[4 * PAGE_SIZE], 0xcc);
	free(buf);

	pager = open_default();
	ck_assert_uint_eq(pager_free_head(pager), 2);
	ck_assert_uint_eq(pager_free_count(pager), 2);
	ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
	ck_assert_int_eq(pager_allocate(pager, &a, &err), ROWFS_OK);
	ck_assert_int_eq(pager_allocate(pager, &b, &err), ROWFS_OK);
	ck_assert_int_eq(pager_allocate(pager, &c, &err), ROWFS_OK);
	ck_assert_uint_eq(page_pgno(a), 2);
	ck_assert_uint_eq(page_pgno(b), 3);
	ck_assert_uint_eq(page_pgno(c), 5);
	ck_assert_uint_eq(pager_free_count(pager), 0);
	pager_unref(a);
	pager_unref(b);
	pager_unref(c);
	ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
	close_pager(pager);
}
END_TEST

START_TEST(test_free_list_page_in_use_is_corrupt)
{
	struct pager *pager = open_default();
	struct rowfs_err err;
	struct page *page;

	must_fill(pager, 2, 2, 1);
	close_pager(pager);
	/* The header claims page 3 is free, but it holds data. */
	tu_set_header_u32(tu_db_path, HDR_FREE_HEAD_OFFSET, 3, 1);
	tu_set_header_u32(tu_db_path, HDR_FREE_COUNT_OFFSET, 1, 1);
	pager = open_default();
	ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
	ck_assert_int_eq(pager_allocate(pager, &page, &err), ROWFS_CORRUPT);
	ck_assert_ptr_null(page);
	ck_assert_msg(strstr(err.msg, "page 3") != NULL, "'%s'", err.msg);
	ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
	pager_close(pager);
}
END_TEST

/* ---- commit and sync modes --------------------------------------------- */

START_TEST(test_empty_commit_does_no_io)
{
	struct faultos fo;
	struct pager_config cfg;
	struct pager *pager;
	struct rowfs_err err;
	uint64_t writes, syncs, truncs;
	struct page *page;
	int i;

	faultos_init(&fo);
	cfg = config(&fo.os, ROWFS_SYNC_FULL, 0);
	pager = open_cfg(&cfg);
	must_fill(pager, 2, 1, 1);
	writes = fo.pwrites;
	syncs = fo.fsyncs;
	truncs = fo.ftruncates;
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
		ck_assert_int_eq(pager_get(pager, 2, &page, &err), ROWFS_OK);
		pager_unref(page);
		ck_assert_int_eq(pager_txn_dirty(pager), 0);
		ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
	}
	ck_assert_uint_eq(fo.pwrites, writes);
	ck_assert_uint_eq(fo.fsyncs, syncs);
	ck_assert_uint_eq(fo.ftruncates, truncs);
	ck_assert_uint_eq(stats(pager).commits, 1);

	/* An idle checkpoint with an empty WAL does no I/O either. */
	ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_OK);
	writes = fo.pwrites;
	syncs = fo.fsyncs;
	ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_OK);
	ck_assert_uint_eq(fo.pwrites, writes);
	ck_assert_uint_eq(fo.fsyncs, syncs);
	close_pager(pager);
	faultos_release(&fo);
}
END_TEST

START_TEST(test_sync_full_one_wal_fsync_per_commit)
{
	struct spy spy;
	struct pager_config cfg;
	struct pager *pager;
	struct rowfs_err err;
	unsigned long db_syncs, wal_syncs, other;
	uint32_t i;

	spy_init(&spy);
	cfg = config(&spy.os, ROWFS_SYNC_FULL, 0);
	pager = open_cfg(&cfg);
	for (i = 0; i < 20; i++) {
		db_syncs = spy.syncs[T_DB];
		wal_syncs = spy.syncs[T_WAL];
		other = spy.syncs[T_OTHER];
		must_fill(pager, 2 + i % 4, 1, i);
		ck_assert_uint_eq(spy.syncs[T_WAL] - wal_syncs, 1);
		ck_assert_uint_eq(spy.syncs[T_DB], db_syncs);
		ck_assert_uint_eq(spy.syncs[T_OTHER], other);
	}
	/* Checkpoint: WAL (block), DBFILE (new pages, then overwritten ones), WAL (reset). */
	wal_syncs = spy.syncs[T_WAL];
	db_syncs = spy.syncs[T_DB];
	ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_OK);
	ck_assert_uint_eq(spy.syncs[T_WAL] - wal_syncs, 2);
	ck_assert_uint_ge(spy.syncs[T_DB] - db_syncs, 1);
	ck_assert_uint_le(spy.syncs[T_DB] - db_syncs, 2);
	ck_assert_uint_eq(stats(pager).fsyncs, total_syncs(&spy));

	/* Overwriting checkpointed pages only: one DBFILE fsync. */
	must_fill(pager, 3, 2, 7);
	wal_syncs = spy.syncs[T_WAL];
	db_syncs = spy.syncs[T_DB];
	ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_OK);
	ck_assert_uint_eq(spy.syncs[T_WAL] - wal_syncs, 2);
	ck_assert_uint_eq(spy.syncs[T_DB] - db_syncs, 1);
	close_pager(pager);
}
END_TEST

START_TEST(test_sync_normal_fsyncs_only_at_checkpoint)
{
	struct spy spy;
	struct pager_config cfg;
	struct pager *pager;
	struct rowfs_err err;
	unsigned long syncs, writes, db_syncs;
	uint32_t i;

	spy_init(&spy);
	cfg = config(&spy.os, ROWFS_SYNC_NORMAL, 0);
	pager = open_cfg(&cfg);
	syncs = total_syncs(&spy);
	db_syncs = spy.syncs[T_DB];
	for (i = 0; i < 20; i++) {
		writes = spy.writes[T_WAL];
		must_fill(pager, 2 + i % 4, 1, i);
		ck_assert_uint_eq(spy.writes[T_WAL] - writes, 1);  /* the frame is written */
	}
	ck_assert_uint_eq(total_syncs(&spy), syncs);
	ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_OK);
	ck_assert_uint_ge(spy.syncs[T_WAL], 1);
	ck_assert_uint_ge(spy.syncs[T_DB] - db_syncs, 1);
	pager_close(pager);

	/* The auto-checkpoint (a small wal_limit) fsyncs too. */
	spy_init(&spy);
	cfg = config(&spy.os, ROWFS_SYNC_NORMAL, 0);
	cfg.wal_limit = 4096;
	pager = open_cfg(&cfg);
	syncs = total_syncs(&spy);
	for (i = 0; i < 200 && stats(pager).checkpoints == 0; i++)
		must_fill(pager, 2, 1, i);
	ck_assert_uint_eq(stats(pager).checkpoints, 1);
	ck_assert_uint_gt(total_syncs(&spy), syncs);
	ck_assert_uint_ge(spy.syncs[T_DB], 1);
	pager_close(pager);
}
END_TEST

START_TEST(test_sync_off_never_fsyncs)
{
	struct spy spy;
	struct pager_config cfg;
	struct pager *pager;
	struct rowfs_err err;
	uint32_t i;

	spy_init(&spy);
	cfg = config(&spy.os, ROWFS_SYNC_OFF, 16);
	cfg.wal_limit = 8192;
	pager = open_cfg(&cfg);  /* creates DBFILE and its WAL */
	for (i = 0; i < 50; i++)
		must_fill(pager, 2 + i % 30, 1 + i % 3, i);
	ck_assert_uint_gt(stats(pager).checkpoints, 0);
	ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_OK);
	pager_close(pager);
	pager = open_cfg(&cfg);
	pager_close(pager);
	ck_assert_uint_eq(total_syncs(&spy), 0);
	ck_assert_uint_gt(spy.writes[T_DB], 0);
}
END_TEST

/* ---- checkpoint, reopen, recovery --------------------------------------- */

START_TEST(test_checkpoint_then_reopen)
{
	struct pager *pager = open_default();
	struct rowfs_err err;
	uint32_t p;

	must_fill(pager, 2, 5, 1);
	must_fill(pager, 4, 5, 2);
	ck_assert_int_gt(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
	ck_assert_uint_eq(stats(pager).wal_frames, 2);
	ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_OK);
	ck_assert_int_eq(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
	ck_assert_uint_eq(stats(pager).wal_frames, 0);
	ck_assert_uint_eq(stats(pager).checkpoints, 1);
	ck_assert_int_eq(tu_file_size(tu_db_path), 9 * PAGE_SIZE);
	pager_close(pager);  /* no checkpoint on this close */

	pager = open_default();
	ck_assert_uint_eq(pager_page_count(pager), 9);
	for (p = 2; p < 9; p++)
		expect_fill(pager, p, p < 4 ? 1 : 2);
	ck_assert_uint_eq(stats(pager).wal_frames, 0);
	ck_assert_uint_eq(stats(pager).checkpoints, 0);  /* nothing to recover */
	pager_close(pager);
	ck_assert_int_eq(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
}
END_TEST

START_TEST(test_reopen_replays_uncheckpointed_commits)
{
	struct pager *pager = open_default();
	char copy[4300], copy_wal[4300];
	uint32_t p;

	must_fill(pager, 2, 3, 1);
	must_fill(pager, 3, 3, 2);
	must_fill(pager, 1, 1, 3);
	/* Copy the files as a crash would leave them (no checkpoint ran). */
	snprintf(copy, sizeof(copy), "%s/copy.db", tu_dir);
	snprintf(copy_wal, sizeof(copy_wal), "%s/copy.db-wal", tu_dir);
	tu_copy_file(tu_db_path, copy);
	tu_copy_file(tu_wal_path, copy_wal);
	ck_assert_int_eq(tu_file_size(copy), 2 * PAGE_SIZE);
	close_pager(pager);
	rename(copy, tu_db_path);
	rename(copy_wal, tu_wal_path);

	pager = open_default();
	ck_assert_uint_eq(pager_page_count(pager), 6);
	expect_fill(pager, 1, 3);
	expect_fill(pager, 2, 1);
	for (p = 3; p < 6; p++)
		expect_fill(pager, p, 2);
	/* Recovery checkpointed what it replayed. */
	ck_assert_uint_eq(stats(pager).checkpoints, 1);
	ck_assert_int_eq(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
	ck_assert_int_eq(tu_file_size(tu_db_path), 6 * PAGE_SIZE);
	close_pager(pager);
}
END_TEST

/* ---- read-only ---------------------------------------------------------- */

static void exec_ok(struct rowfs_db *db, const char *line)
{
	struct rowfs_err err;
	int rc = tu_exec_emit(db, line, strlen(line), tu_discard, NULL, &err);

	ck_assert_msg(rc == ROWFS_OK, "'%s': %s (%s)", line, rowfs_rc_name(rc), err.msg);
}

static int count_row(void *ctx, uint32_t id, const char *name, size_t len)
{
	uint32_t *n = ctx;

	ck_assert_uint_eq(id, *n);
	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(name[0], 'u');
	(*n)++;
	return 0;
}

/* Rows 0..n-1 and nothing else. */
static void expect_rows(struct rowfs_db *db, uint32_t n)
{
	struct rowfs_err err;
	uint32_t seen = 0;

	ck_assert_int_eq(tu_scan(db, 0, count_row, &seen, &err), ROWFS_OK);
	ck_assert_uint_eq(seen, n);
}

static void insert_range(struct rowfs_db *db, uint32_t from, uint32_t to)
{
	struct rowfs_err err;
	char line[64];
	uint32_t id;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (id = from; id < to; id++) {
		snprintf(line, sizeof(line), "insert %u u%u", id, id);
		exec_ok(db, line);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
}

/* Open the database read-only: rows 0..n-1, a clean check, the files left as they were. */
static void read_only_sees(uint32_t n)
{
	struct rowfs_config cfg;
	struct rowfs_db *db;
	struct rowfs_err err;
	size_t dlen, wlen, dlen2, wlen2;
	uint8_t *d = tu_try_read_file(tu_db_path, &dlen), *w = tu_try_read_file(tu_wal_path, &wlen);
	uint8_t *d2, *w2;
	uint64_t problems = 1;
	struct stat st_before, st_after;
	int rc;

	memset(&st_before, 0, sizeof(st_before));
	(void)stat(tu_wal_path, &st_before);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_db_path;
	cfg.read_only = 1;
	cfg.cache_pages = 16;
	rc = rowfs_open(&cfg, &db, &err);
	ck_assert_msg(rc == ROWFS_OK, "read-only open: %s (%s)", rowfs_rc_name(rc), err.msg);
	expect_rows(db, n);
	ck_assert_int_eq(tu_check(db, tu_discard, NULL, &problems, &err), ROWFS_OK);
	ck_assert_uint_eq(problems, 0);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec_emit(db, "insert 999999 x", 15, tu_discard, NULL, &err), ROWFS_READONLY);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_READONLY);
	ck_assert_int_eq(tu_close_rc(db, &err), ROWFS_OK);

	d2 = tu_try_read_file(tu_db_path, &dlen2);
	w2 = tu_try_read_file(tu_wal_path, &wlen2);
	ck_assert_uint_eq(dlen2, dlen);
	ck_assert_uint_eq(wlen2, wlen);
	if (dlen)
		ck_assert_int_eq(memcmp(d, d2, dlen), 0);
	if (wlen)
		ck_assert_int_eq(memcmp(w, w2, wlen), 0);
	memset(&st_after, 0, sizeof(st_after));
	(void)stat(tu_wal_path, &st_after);
	ck_assert_int_eq(st_after.st_mtim.tv_sec, st_before.st_mtim.tv_sec);
	ck_assert_int_eq(st_after.st_mtim.tv_nsec, st_before.st_mtim.tv_nsec);
	free(d);
	free(w);
	free(d2);
	free(w2);
}

/* Replace the database and its WAL by the saved copies. */
static void restore(const char *copy, const char *copy_wal)
{
	tu_copy_file(copy, tu_db_path);
	tu_copy_file(copy_wal, tu_wal_path);
}

START_TEST(test_read_only_sees_wal_and_changes_nothing)
{
	struct rowfs_config cfg;
	struct rowfs_db *db;
	struct rowfs_err err;
	char copy[4300], copy_wal[4300];

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_db_path;
	cfg.wal_limit = 1ull << 30;
	ck_assert_int_eq(rowfs_open(&cfg, &db, &err), ROWFS_OK);
	insert_range(db, 0, 150);
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_OK);
	insert_range(db, 150, 260);   /* splits a leaf: only in the WAL */
	insert_range(db, 260, 300);
	snprintf(copy, sizeof(copy), "%s/copy.db", tu_dir);
	snprintf(copy_wal, sizeof(copy_wal), "%s/copy.db-wal", tu_dir);
	tu_copy_file(tu_db_path, copy);
	tu_copy_file(tu_wal_path, copy_wal);
	ck_assert_int_eq(tu_close_rc(db, &err), ROWFS_OK);

	restore(copy, copy_wal);
	ck_assert_int_gt(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
	read_only_sees(300);

	/* A torn last frame: the reader sees the first two commits only. */
	ck_assert_int_eq(truncate(tu_wal_path, tu_file_size(tu_wal_path) - 3), 0);
	read_only_sees(260);

	/* No WAL at all: read-only does not create one. */
	unlink(tu_wal_path);
	read_only_sees(150);
	ck_assert_int_eq(tu_try_file_size(tu_wal_path), -1);

	/* A read-write open then recovers the same files. */
	restore(copy, copy_wal);
	ck_assert_int_eq(rowfs_open(&cfg, &db, &err), ROWFS_OK);
	expect_rows(db, 300);
	ck_assert_int_eq(tu_close_rc(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
}
END_TEST

START_TEST(test_read_only_redoes_checkpoint_block_in_memory)
{
	struct spy spy;
	struct rowfs_config cfg;
	struct rowfs_db *db;
	struct rowfs_err err;
	uint8_t *before, *after;
	size_t len;

	/*
	 * A checkpoint whose WAL block is durable but whose write of page 0
	 * into DBFILE failed: a reader must apply the block in memory.
	 */
	spy_init(&spy);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_db_path;
	cfg.wal_limit = 1ull << 30;
	cfg.os = &spy.os;
	ck_assert_int_eq(rowfs_open(&cfg, &db, &err), ROWFS_OK);
	insert_range(db, 0, 250);
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_OK);
	insert_range(db, 250, 600);
	before = tu_read_file(tu_db_path, &len);
	spy.fail_header_write = 1;
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_IOERR);
	ck_assert_int_eq(err.sys_errno, EIO);
	after = tu_read_file(tu_db_path, &len);
	ck_assert_int_eq(memcmp(before, after, PAGE_SIZE), 0);  /* old header */
	free(before);
	free(after);
	ck_assert_int_gt(tu_file_size(tu_wal_path), 2 * PAGE_SIZE);
	ck_assert_int_eq(tu_close_rc(db, &err), ROWFS_OK);  /* error state: no checkpoint */

	read_only_sees(600);

	/* The writer redoes the block into DBFILE. */
	cfg.os = NULL;
	ck_assert_int_eq(rowfs_open(&cfg, &db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
	expect_rows(db, 600);
	ck_assert_int_eq(tu_close_rc(db, &err), ROWFS_OK);
	read_only_sees(600);
}
END_TEST

/* ---- the ERROR state ---------------------------------------------------- */

START_TEST(test_error_state_is_sticky_until_reload)
{
	struct faultos fo;
	struct pager_config cfg;
	struct pager *pager;
	struct rowfs_err err;
	struct page *page;
	static struct pager *slot;

	faultos_init(&fo);
	cfg = config(&fo.os, ROWFS_SYNC_FULL, 16);
	pager = open_cfg(&cfg);
	must_fill(pager, 2, 3, 1);

	faultos_fail_sync_at(&fo, 1, EIO, 0);  /* once only */
	ck_assert_int_eq(txn_fill(pager, 2, 1, 9, &err), ROWFS_IOERR);
	ck_assert_int_eq(err.sys_errno, EIO);
	ck_assert_msg(strstr(err.msg, "fsync") != NULL, "'%s'", err.msg);
	ck_assert_int_eq(pager_in_error(pager), 1);

	/* The fault is gone, but nothing writes until the pager is reloaded. */
	ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_IOERR);
	ck_assert_int_eq(pager_checkpoint(pager, &err), ROWFS_IOERR);
	ck_assert_int_eq(pager_get(pager, 2, &page, &err), ROWFS_OK);
	ck_assert_int_eq(pager_write(page, &err), ROWFS_IOERR);
	pager_unref(page);
	ck_assert_int_eq(pager_allocate(pager, &page, &err), ROWFS_IOERR);
	ck_assert_int_eq(pager_reload(pager, &err), ROWFS_OK);
	slot = pager;
	ck_assert_int_eq(pager_replay(pager, apply_records, &slot, &err), ROWFS_OK);
	ck_assert_int_eq(pager_in_error(pager), 0);

	/* The failed commit left no trace; the earlier one is there. */
	expect_fill(pager, 2, 1);
	expect_fill(pager, 4, 1);
	must_fill(pager, 2, 1, 3);
	close_pager(pager);
	faultos_release(&fo);

	pager = open_default();
	expect_fill(pager, 2, 3);
	expect_fill(pager, 3, 1);
	close_pager(pager);
}
END_TEST

/* ---- transactions in parts ---------------------------------------------- */

/*
 * A replay that applies nothing and checks what it is handed: records
 * (u32 index, u32 tag), indexes counting up from 0 within a transaction,
 * whose tag and seq stay the same across its calls.
 */
struct seen {
	uint64_t calls;           /* callback calls */
	uint64_t txns;            /* transactions (a new seq) */
	uint64_t records;         /* records in the current transaction */
	uint64_t seq;             /* its seq */
	uint32_t tag;             /* its tag */
	uint32_t bad;             /* records out of order or with another tag */
};

static int seen_records(void *ctx, uint64_t seq, const uint8_t *records, uint32_t len)
{
	struct seen *s = ctx;
	uint32_t off;

	s->calls++;
	if (s->txns == 0 || seq != s->seq) {
		s->txns++;
		s->seq = seq;
		s->records = 0;
		s->tag = len >= 8 ? get_u32(records + 4) : 0;
	}
	for (off = 0; off + 8 <= len; off += 8, s->records++)
		if (get_u32(records + off) != (uint32_t)s->records || get_u32(records + off + 4) != s->tag)
			s->bad++;
	return ROWFS_OK;
}

/* Open and recover through seen_records; fails the test on error. */
static struct pager *open_seen(const struct pager_config *cfg, struct seen *s)
{
	struct pager *pager = NULL;
	struct rowfs_err err;
	int rc = pager_open(cfg, &pager, &err);

	ck_assert_msg(rc == ROWFS_OK, "pager_open: %s (%s)", rowfs_rc_name(rc), err.msg);
	memset(s, 0, sizeof(*s));
	rc = pager_replay(pager, seen_records, s, &err);
	ck_assert_msg(rc == ROWFS_OK, "pager_replay: %s (%s)", rowfs_rc_name(rc), err.msg);
	ck_assert_uint_eq(s->bad, 0);
	return pager;
}

/* Log n records (i, tag) in the open transaction; the buffer never passes part bytes. */
static void log_records(struct pager *pager, uint32_t n, uint32_t tag, uint32_t part)
{
	struct rowfs_err err;
	uint8_t r[8];
	uint32_t i;
	size_t len;

	for (i = 0; i < n; i++) {
		put_u32(r, i);
		put_u32(r + 4, tag);
		REQUIRE(pager_log_room(pager, sizeof(r), &err) == ROWFS_OK, "room: %s", err.msg);
		REQUIRE(pager_log(pager, r, sizeof(r), &err) == ROWFS_OK, "log %u: %s", i, err.msg);
		pager_txn_log(pager, &len);
		REQUIRE(len > 0 && len <= part, "record %u: %zu bytes buffered", i, len);
	}
	ck_assert_uint_eq(pager_txn_log_bytes(pager), (uint64_t)n * 8);
}

/* Parts pager_log writes for n 8-byte records: the buffer goes out when full and one more comes. */
static uint64_t parts_for(uint32_t n, uint32_t part)
{
	return ((uint64_t)n * 8 + part - 1) / part - 1;
}

/*
 * A transaction's records go to the WAL in parts as its buffer fills,
 * without an fsync; the commit adds the TXN frame and the one fsync.
 * Recovery hands every part over, in order, then the TXN frame, all with
 * the transaction's seq.  Small parts (in the WAL's write buffer) and parts
 * over 1 MiB (written straight to the file).
 */
START_TEST(test_log_in_parts_replays_whole)
{
	static const struct { uint32_t part, n; } rounds[] = { { 64, 1000 }, { (1u << 20) + 64, 400000 } };
	struct pager_config cfg = config(NULL, ROWFS_SYNC_FULL, 0);
	struct pager *pager;
	struct seen seen;
	struct rowfs_err err;
	uint64_t parts, fsyncs;
	unsigned r;

	for (r = 0; r < 2; r++) {
		tu_dir_clear();
		cfg.txn_part_bytes = rounds[r].part;
		pager = open_seen(&cfg, &seen);
		ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
		fsyncs = stats(pager).fsyncs;
		log_records(pager, rounds[r].n, 7, rounds[r].part);
		parts = parts_for(rounds[r].n, rounds[r].part);
		ck_assert_uint_eq(stats(pager).wal_frames, parts);
		ck_assert_uint_eq(stats(pager).fsyncs, fsyncs);
		if (r == 1)   /* written, not only buffered */
			ck_assert_int_gt(tu_file_size(tu_wal_path), 3 << 20);
		ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
		ck_assert_uint_eq(stats(pager).wal_frames, parts + 1);
		ck_assert_uint_eq(stats(pager).fsyncs, fsyncs + 1);
		ck_assert_uint_eq(pager_last_seq(pager), 1);
		pager_close(pager);   /* no checkpoint: the reopen replays */

		cfg.read_only = 1;
		pager = open_seen(&cfg, &seen);
		ck_assert_uint_eq(seen.calls, parts + 1);
		ck_assert_uint_eq(seen.txns, 1);
		ck_assert_uint_eq(seen.seq, 1);
		ck_assert_uint_eq(seen.records, rounds[r].n);
		pager_close(pager);
		cfg.read_only = 0;
		pager = open_seen(&cfg, &seen);
		ck_assert_uint_eq(seen.records, rounds[r].n);
		ck_assert_uint_eq(pager_last_seq(pager), 1);
		close_pager(pager);
	}
}
END_TEST

/*
 * Parts whose commit never came (a crash) are not replayed, and the next
 * transaction, which gets their sequence number, does not adopt them: the
 * read-write recovery cuts them, a read-only one leaves the file alone.
 * A part whose write fails puts the pager in ERROR; the reload drops the
 * transaction.
 */
START_TEST(test_parts_without_commit_are_dropped)
{
	const uint32_t part = (1u << 20) + 64;
	struct pager_config cfg = config(NULL, ROWFS_SYNC_FULL, 0);
	struct faultos fo;
	struct pager *pager;
	struct seen seen;
	struct rowfs_err err;
	off_t crashed;

	cfg.txn_part_bytes = part;
	pager = open_seen(&cfg, &seen);
	ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
	log_records(pager, 400000, 1, part);
	pager_close(pager);   /* a crash: three parts in the file, no commit */
	crashed = tu_file_size(tu_wal_path);
	ck_assert_int_gt(crashed, 3 << 20);

	cfg.read_only = 1;
	pager = open_seen(&cfg, &seen);
	ck_assert_uint_eq(seen.calls, 0);
	ck_assert_uint_eq(pager_last_seq(pager), 0);
	pager_close(pager);
	ck_assert_int_eq(tu_file_size(tu_wal_path), crashed);

	cfg.read_only = 0;
	pager = open_seen(&cfg, &seen);
	ck_assert_uint_eq(seen.calls, 0);
	ck_assert_int_eq(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
	ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
	log_records(pager, 10, 2, part);   /* seq 1 again */
	ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
	ck_assert_uint_eq(pager_last_seq(pager), 1);
	pager_close(pager);
	pager = open_seen(&cfg, &seen);
	ck_assert_uint_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.tag, 2);
	ck_assert_uint_eq(seen.records, 10);
	close_pager(pager);

	/* the second part's write fails */
	faultos_init(&fo);
	cfg.os = &fo.os;
	pager = open_seen(&cfg, &seen);
	ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
	log_records(pager, 200000, 3, part);   /* one part written */
	faultos_fail_write_at(&fo, 1, ENOSPC, 0);
	{
		uint8_t r[8] = { 0 };
		uint32_t i;
		int rc = ROWFS_OK;

		for (i = 0; i < 200000 && rc == ROWFS_OK; i++)
			rc = pager_log(pager, r, sizeof(r), &err);
		ck_assert_int_eq(rc, ROWFS_FULL);
	}
	ck_assert_int_eq(pager_in_error(pager), 1);
	ck_assert_int_eq(pager_commit(pager, &err), ROWFS_IOERR);
	ck_assert_int_eq(pager_reload(pager, &err), ROWFS_OK);
	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(pager_replay(pager, seen_records, &seen, &err), ROWFS_OK);
	ck_assert_uint_eq(seen.calls, 0);
	ck_assert_int_eq(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
	ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
	log_records(pager, 5, 4, part);
	ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
	pager_close(pager);
	faultos_release(&fo);
	cfg.os = NULL;
	pager = open_seen(&cfg, &seen);
	ck_assert_uint_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.tag, 4);
	ck_assert_uint_eq(seen.records, 5);
	close_pager(pager);
}
END_TEST

/*
 * A rollback cuts the parts from the WAL: a long transaction's at once
 * (pager_rollback), a short one's by the reload it needs.  The next
 * transaction reuses the sequence number; only it is replayed.
 */
START_TEST(test_rollback_cuts_parts)
{
	const uint32_t part = (1u << 20) + 64;
	struct pager_config cfg = config(NULL, ROWFS_SYNC_FULL, 0);
	struct pager *pager;
	struct seen seen;
	struct rowfs_err err;
	uint64_t frames;
	off_t before;
	int long_txn;

	cfg.txn_part_bytes = part;
	for (long_txn = 1; long_txn >= 0; long_txn--) {
		tu_dir_clear();
		pager = open_seen(&cfg, &seen);
		ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
		log_records(pager, 3, 1, part);
		ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
		before = tu_file_size(tu_wal_path);
		frames = stats(pager).wal_frames;

		ck_assert_int_eq(pager_begin(pager, long_txn, &err), ROWFS_OK);
		log_records(pager, 400000, 2, part);
		ck_assert_int_gt(tu_file_size(tu_wal_path), before + (3 << 20));
		if (long_txn) {
			ck_assert_int_eq(pager_rollback(pager, &err), ROWFS_OK);
		} else {
			ck_assert_int_eq(pager_rollback(pager, &err), ROWFS_ERROR);
			ck_assert_int_eq(pager_reload(pager, &err), ROWFS_OK);
			memset(&seen, 0, sizeof(seen));
			ck_assert_int_eq(pager_replay(pager, seen_records, &seen, &err), ROWFS_OK);
			before = WAL_HEADER_SIZE;   /* the replay checkpointed the first */
			frames = 0;
		}
		ck_assert_int_eq(tu_file_size(tu_wal_path), before);
		ck_assert_uint_eq(stats(pager).wal_frames, frames);
		ck_assert_uint_eq(pager_txn_log_bytes(pager), 0);

		ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
		log_records(pager, 6, 3, part);
		ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
		pager_close(pager);
		pager = open_seen(&cfg, &seen);
		ck_assert_uint_eq(seen.calls, long_txn ? 2 : 1);
		ck_assert_uint_eq(seen.tag, 3);
		ck_assert_uint_eq(seen.records, 6);
		ck_assert_uint_eq(pager_last_seq(pager), 2);
		close_pager(pager);
	}
}
END_TEST

/* The bound of a transaction's log: ROWFS_TOOBIG before the record, with its size in words. */
START_TEST(test_log_room_bound)
{
	struct pager_config cfg = config(NULL, ROWFS_SYNC_FULL, 0);
	struct pager *pager;
	struct seen seen;
	struct rowfs_err err;

	cfg.txn_log_max = 80;
	cfg.txn_part_bytes = 16;
	pager = open_seen(&cfg, &seen);
	ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
	log_records(pager, 10, 1, 16);
	ck_assert_int_eq(pager_log_room(pager, 8, &err), ROWFS_TOOBIG);
	ck_assert_int_eq(err.sys_errno, EFBIG);
	ck_assert_str_eq(err.msg, "Error: transaction too large: its log would pass 80 bytes; "
				  "commit it in parts");
	ck_assert_int_eq(pager_log_room(pager, 0, &err), ROWFS_OK);
	ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
	ck_assert_int_eq(pager_begin(pager, 0, &err), ROWFS_OK);
	ck_assert_int_eq(pager_log_room(pager, 80, &err), ROWFS_OK);
	ck_assert_int_eq(pager_log_room(pager, 81, &err), ROWFS_TOOBIG);
	ck_assert_int_eq(pager_log_room(pager, SIZE_MAX, &err), ROWFS_TOOBIG);
	ck_assert_int_eq(pager_commit(pager, &err), ROWFS_OK);
	close_pager(pager);

	cfg.txn_log_max = 3u << 20;
	pager = open_seen(&cfg, &seen);
	ck_assert_int_eq(pager_log_room(pager, (3u << 20) + 8, &err), ROWFS_TOOBIG);
	ck_assert_str_eq(err.msg, "Error: transaction too large: its log would pass 3 MiB; "
				  "commit it in parts");
	close_pager(pager);
	cfg.txn_log_max = 0;   /* the default */
	pager = open_seen(&cfg, &seen);
	ck_assert_int_eq(pager_log_room(pager, (size_t)ROWFS_DEFAULT_TXN_LOG_MAX, &err), ROWFS_OK);
	ck_assert_int_eq(pager_log_room(pager, (size_t)ROWFS_DEFAULT_TXN_LOG_MAX + 8, &err),
			 ROWFS_TOOBIG);
	ck_assert_str_eq(err.msg, "Error: transaction too large: its log would pass 4 GiB; "
				  "commit it in parts");
	close_pager(pager);
}
END_TEST

static Suite *pager_suite(void)
{
	Suite *s = suite_create("pager");
	TCase *tc = tcase_create("pager");

	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_create_new_database);
	tcase_add_test(tc, test_reject_wrong_magic);
	tcase_add_test(tc, test_reject_truncated_file);
	tcase_add_test(tc, test_reject_other_page_size_and_version);
	tcase_add_test(tc, test_reject_header_checksum_damage);
	tcase_add_test(tc, test_crash_while_creating);
	tcase_add_test(tc, test_lock_exclusive_and_shared);
	tcase_add_test(tc, test_cache_eviction_and_reread);
	tcase_add_test(tc, test_cold_reads_reuse_one_frame);
	tcase_add_test(tc, test_dirty_pages_never_evicted);
	tcase_add_test(tc, test_dirty_pages_wait_for_a_full_cache);
	tcase_add_test(tc, test_allocate_and_free_list);
	tcase_add_test(tc, test_free_list_page_in_use_is_corrupt);
	tcase_add_test(tc, test_empty_commit_does_no_io);
	tcase_add_test(tc, test_sync_full_one_wal_fsync_per_commit);
	tcase_add_test(tc, test_sync_normal_fsyncs_only_at_checkpoint);
	tcase_add_test(tc, test_sync_off_never_fsyncs);
	tcase_add_test(tc, test_checkpoint_then_reopen);
	tcase_add_test(tc, test_reopen_replays_uncheckpointed_commits);
	tcase_add_test(tc, test_read_only_sees_wal_and_changes_nothing);
	tcase_add_test(tc, test_read_only_redoes_checkpoint_block_in_memory);
	tcase_add_test(tc, test_error_state_is_sticky_until_reload);
	tcase_add_test(tc, test_log_in_parts_replays_whole);
	tcase_add_test(tc, test_parts_without_commit_are_dropped);
	tcase_add_test(tc, test_rollback_cuts_parts);
	tcase_add_test(tc, test_log_room_bound);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_pager", pager_suite());
}
