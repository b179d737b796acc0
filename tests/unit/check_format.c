/*
 * check_format.c - unit tests of the database file's format versions:
 * version 2 at creation, the in-place upgrade of version-1 files and its
 * crash safety, and read-only readers of version 1.
 *
 * Owns:
 *   - a new database is version 2 byte for byte (magic, version, catalog
 *     root, checksum at 124 over 0..123), made durable before rowfs_open
 *     returns, with catalog root 0 and Part 1's pages (header, users' root
 *     leaf): the catalog tree is made by the first create table, in its
 *     transaction, so a database of users alone keeps Part 1's `btree`
 *     and `stats` byte for byte; a read-only open of an empty file writes
 *     nothing;
 *   - version-1 files written from the spec by tu_build_v1() (the engine
 *     writes version 2 only): read-only opens, rowfs_check and the salvage
 *     read them as they are and leave both files byte-identical; a
 *     read-write open replays the WAL, then upgrades (header rewritten as
 *     version 2, catalog root 0 until the first create table, which takes
 *     its root from the free list) with every row;
 *   - the upgrade crashed at every pwrite/fsync/ftruncate, in two models:
 *     power loss (faultos: only fsynced bytes survive) and kill -9 (every
 *     write made before the crash survives, nothing after it happens);
 *     after each crash the files open read-only with every row as version
 *     1 or 2 and check clean, and a read-write open upgrades them with
 *     every row.  And an fsync that fails with EIO at every step.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_int.h"
#include "faultos.h"
#include "format.h"
#include "os.h"
#include "pager.h"
#include "rowfs.h"
#include "table_int.h"
#include "testutil.h"
#include "wal.h"

/* Rows of the version-1 fixtures. */
#define V1_ROWS 1000u
/* Free pages of the version-1 fixtures: the upgrade takes the catalog root from them. */
#define V1_FREE 3u

/* ---- helpers ------------------------------------------------------------ */

/* FNV-1a as rowfs(5) defines the header checksum (not the engine's code). */
static uint32_t spec_fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static struct rowfs_db *open_rw(const struct os *os, int *rc, struct rowfs_err *err)
{
	struct rowfs_config cfg = { .path = tu_db_path, .os = os };
	struct rowfs_db *db = NULL;

	memset(err, 0, sizeof(*err));
	*rc = rowfs_open(&cfg, &db, err);
	return db;
}

static struct rowfs_db *open_ro(void)
{
	struct rowfs_config cfg = { .path = tu_db_path, .read_only = 1 };

	return tu_open(&cfg);
}

static struct rowfs_db *open_default(void)
{
	struct rowfs_config cfg = { .path = tu_db_path };

	return tu_open(&cfg);
}

/* The expected users rows of a fixture: 1..rows named user_ID, changed by the WAL model. */
struct model {
	uint32_t ids[V1_ROWS + 64];     /* ascending */
	char names[V1_ROWS + 64][40];   /* their names */
	size_t count;                   /* rows */
};

static void model_init(struct model *m, uint32_t rows)
{
	uint32_t i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < rows; i++) {
		m->ids[i] = i + 1;
		snprintf(m->names[i], sizeof(m->names[i]), "user_%u", i + 1);
	}
	m->count = rows;
}

static long model_find(const struct model *m, uint32_t id)
{
	size_t i;

	for (i = 0; i < m->count; i++)
		if (m->ids[i] == id)
			return (long)i;
	return -1;
}

/* Set id's name (insert keeps the order: ids only grow past the end or exist). */
static void model_set(struct model *m, uint32_t id, const char *name)
{
	long at = model_find(m, id);
	size_t i;

	if (at < 0) {
		for (i = m->count; i > 0 && m->ids[i - 1] > id; i--) {
			m->ids[i] = m->ids[i - 1];
			memcpy(m->names[i], m->names[i - 1], sizeof(m->names[i]));
		}
		m->ids[i] = id;
		at = (long)i;
		m->count++;
	}
	snprintf(m->names[at], sizeof(m->names[at]), "%s", name);
}

static void model_delete(struct model *m, uint32_t id)
{
	long at = model_find(m, id);
	size_t i;

	ck_assert_int_ge(at, 0);
	for (i = (size_t)at; i + 1 < m->count; i++) {
		m->ids[i] = m->ids[i + 1];
		memcpy(m->names[i], m->names[i + 1], sizeof(m->names[i]));
	}
	m->count--;
}

/* The model as tu_table_text gives a table ("1=user_1 2=user_2 "), malloc'd. */
static char *model_text(const struct model *m)
{
	struct tu_buf b = { 0 };
	char item[96];
	size_t i;
	int len;

	tu_buf_emit(&b, "", 0);
	for (i = 0; i < m->count; i++) {
		len = snprintf(item, sizeof(item), "%u=%s ", m->ids[i], m->names[i]);
		tu_buf_emit(&b, item, (size_t)len);
	}
	return b.data ? b.data : strdup("");
}

/* db's users rows must be exactly the model's. */
static void require_rows(struct rowfs_db *db, const struct model *m, const char *what)
{
	char *have = tu_table_text(db), *want = model_text(m);

	ck_assert_msg(strcmp(have, want) == 0, "%s: the rows differ from the model (%zu rows "
		      "expected)", what, m->count);
	free(have);
	free(want);
}

/* One version-1 log record (format.h) for op on id/name. */
static void v1_record(uint8_t *rec, uint8_t op, uint32_t id, const char *name)
{
	memset(rec, 0, LOG_RECORD_SIZE);
	rec[0] = op;
	tu_put_le32(rec + LOG_RECORD_ROW_OFFSET + ID_OFFSET, id);
	if (name)
		memcpy(rec + LOG_RECORD_ROW_OFFSET + USERNAME_OFFSET, name, strlen(name));
}

/* wal_scan callback of an empty log. */
static int no_frame(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload, uint32_t len,
		    uint64_t offset)
{
	(void)ctx;
	(void)type;
	(void)seq;
	(void)payload;
	(void)len;
	(void)offset;
	return ROWFS_ERROR;
}

/*
 * The WAL of an older rowfs that crashed before its checkpoint: two TXN
 * frames (sequences 1 and 2, newer than the fixture's applied sequence 0)
 * of version-1 records: inserts past the end, an update and a delete.
 * The model follows.
 */
static void write_v1_wal(struct model *m)
{
	uint8_t recs[8 * LOG_RECORD_SIZE];
	struct rowfs_err err = { 0 };
	struct wal *wal;
	char name[40];
	unsigned i, n = 0;

	unlink(tu_wal_path);
	ck_assert_int_eq(wal_open(os_default(), tu_wal_path, 0, 1, &wal, &err), ROWFS_OK);
	ck_assert_int_eq(wal_scan(wal, no_frame, NULL, &err), ROWFS_OK);  /* appends follow a scan */
	for (i = 0; i < 5; i++, n++) {
		snprintf(name, sizeof(name), "wal_%u", V1_ROWS + 1 + i);
		v1_record(recs + (size_t)n * LOG_RECORD_SIZE, LOG_OP_INSERT, V1_ROWS + 1 + i, name);
		model_set(m, V1_ROWS + 1 + i, name);
	}
	ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN, 1, recs, n * LOG_RECORD_SIZE, &err),
			 ROWFS_OK);
	n = 0;
	v1_record(recs, LOG_OP_UPDATE, 7, "renamed_7");
	model_set(m, 7, "renamed_7");
	v1_record(recs + LOG_RECORD_SIZE, LOG_OP_DELETE, 8, NULL);
	model_delete(m, 8);
	ck_assert_int_eq(wal_append(wal, WAL_FRAME_TXN, 2, recs, 2 * LOG_RECORD_SIZE, &err),
			 ROWFS_OK);
	ck_assert_int_eq(wal_sync(wal, 1, &err), ROWFS_OK);
	wal_close(wal);
}

/* Page 0 of the database file. */
static void read_header(uint8_t *page)
{
	tu_pread_at(tu_db_path, 0, page, PAGE_SIZE);
}

/* The header must be a valid version-2 header by the spec; returns its catalog root (0: none yet). */
static uint32_t require_v2_header(void)
{
	uint8_t p[PAGE_SIZE];
	uint32_t i;

	read_header(p);
	ck_assert_int_eq(memcmp(p, "rowfs format 2\0\0", 16), 0);
	ck_assert_uint_eq(tu_le32(p + 16), 2);
	ck_assert_uint_eq(tu_le32(p + 20), PAGE_SIZE);
	ck_assert_uint_eq(tu_le32(p + 124), spec_fnv1a(p, 124));
	for (i = 68; i < 124; i++)
		ck_assert_msg(p[i] == 0, "reserved header byte %u is %u", i, p[i]);
	for (i = 128; i < PAGE_SIZE; i++)
		REQUIRE(p[i] == 0, "header byte %u is %u", i, p[i]);
	ck_assert_uint_lt(tu_le32(p + 64), tu_le32(p + 28));
	return tu_le32(p + 64);
}

/* Page pgno (through the pager) must be an empty table leaf marked root. */
static void require_empty_root_leaf(struct rowfs_db *db, uint32_t pgno)
{
	uint8_t page[PAGE_SIZE];

	tu_read_page(db, pgno, page);
	ck_assert_uint_eq(page[0], NODE_TABLE_LEAF);
	ck_assert_uint_eq(page[1], 1);                    /* flags: root */
	ck_assert_uint_eq(page[2] | page[3] << 8, 0);     /* cells */
	ck_assert_uint_eq(tu_le32(page + 12), 0);         /* row count */
}

/* Both files as they are now (a missing WAL is NULL). */
struct snapshot_files {
	uint8_t *db, *wal;
	size_t db_len, wal_len;
};

static void files_save(struct snapshot_files *f)
{
	f->db = tu_read_file(tu_db_path, &f->db_len);
	f->wal = tu_try_read_file(tu_wal_path, &f->wal_len);
}

static void files_require_same(const struct snapshot_files *f, const char *what)
{
	size_t len;
	uint8_t *now = tu_read_file(tu_db_path, &len);

	ck_assert_msg(len == f->db_len && memcmp(now, f->db, len) == 0, "%s: DBFILE changed", what);
	free(now);
	now = tu_try_read_file(tu_wal_path, &len);
	ck_assert_msg((now == NULL) == (f->wal == NULL), "%s: the WAL %s", what,
		      now ? "appeared" : "vanished");
	if (now)
		ck_assert_msg(len == f->wal_len && memcmp(now, f->wal, len) == 0,
			      "%s: the WAL changed", what);
	free(now);
}

static void files_free(struct snapshot_files *f)
{
	free(f->db);
	free(f->wal);
}

/* Salvage the database; the dump's insert lines must be the model's rows. */
static void require_salvage(const struct model *m)
{
	struct rowfs_salvage_stats st;
	struct rowfs_err err = { 0 };
	struct tu_buf dump = { 0 }, want = { 0 };
	char line[96];
	size_t i;
	int n;

	ck_assert_int_eq(rowfs_salvage(tu_db_path, NULL, tu_buf_emit, &dump, &st, &err), ROWFS_OK);
	tu_buf_emit(&want, "begin\n", 6);
	for (i = 0; i < m->count; i++) {
		n = snprintf(line, sizeof(line), "insert %u %s\n", m->ids[i], m->names[i]);
		tu_buf_emit(&want, line, (size_t)n);
	}
	tu_buf_emit(&want, "commit\n", 7);
	ck_assert_msg(strcmp(dump.data, want.data) == 0, "salvage dump differs (%zu vs %zu bytes)",
		      dump.len, want.len);
	ck_assert_int_eq(st.header_valid, 1);
	ck_assert_uint_eq(st.rows, m->count);
	tu_buf_free(&dump);
	tu_buf_free(&want);
}

/* ---- version 2 at creation ------------------------------------------------ */

START_TEST(test_new_database_is_version_2)
{
	struct snapshot_files f;
	struct rowfs_db *db;
	uint8_t p[PAGE_SIZE];
	uint32_t catalog;

	db = open_default();
	/* durable before rowfs_open returns: Part 1's pages, no catalog yet */
	catalog = require_v2_header();
	ck_assert_uint_eq(catalog, 0);
	read_header(p);
	ck_assert_uint_eq(tu_le32(p + 24), 1);            /* users root */
	ck_assert_uint_eq(tu_le32(p + 28), 2);            /* page count */
	ck_assert_uint_eq(tu_file_size(tu_db_path), 2 * PAGE_SIZE);
	ck_assert_uint_eq(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
	ck_assert_uint_eq(pager_format_version(rowfs_db_pager(db)), 2);
	ck_assert_uint_eq(pager_catalog_root(rowfs_db_pager(db)), 0);
	tu_require_clean(db, "new database");
	tu_close(db);

	/* reopening finds the same database and writes nothing */
	files_save(&f);
	db = open_default();
	ck_assert_uint_eq(pager_catalog_root(rowfs_db_pager(db)), 0);
	tu_require_clean(db, "reopened");
	tu_close(db);
	files_require_same(&f, "reopen of a new database");
	files_free(&f);

	/* the first create table makes the catalog: the next page */
	db = open_default();
	free(tu_reply_of(db, "create table t (id integer primary key)"));
	ck_assert_uint_eq(pager_catalog_root(rowfs_db_pager(db)), 2);
	tu_require_clean(db, "catalog made");
	tu_close(db);
	ck_assert_uint_eq(require_v2_header(), 2);
}
END_TEST

START_TEST(test_read_only_new_file_writes_nothing)
{
	struct rowfs_db *db;

	tu_write_file(tu_db_path, "", 0);
	db = open_ro();
	ck_assert_uint_eq(pager_format_version(rowfs_db_pager(db)), 2);
	ck_assert_uint_eq(pager_catalog_root(rowfs_db_pager(db)), 0);
	tu_require_clean(db, "read-only empty file");
	tu_close(db);
	ck_assert_uint_eq(tu_file_size(tu_db_path), 0);
	ck_assert_int_eq(tu_try_file_size(tu_wal_path), -1);
}
END_TEST

/*
 * A version-2 header with catalog root 0 (the pager alone creates it so):
 * read as it is, read-only and read-write, until a create table makes the
 * catalog.
 */
START_TEST(test_missing_catalog_is_made_by_create_table)
{
	struct pager_config pcfg = { .path = tu_db_path, .sync = ROWFS_SYNC_FULL };
	struct rowfs_err err = { 0 };
	struct snapshot_files f;
	struct pager *pager;
	struct rowfs_db *db;
	uint8_t p[PAGE_SIZE];

	ck_assert_int_eq(pager_open(&pcfg, &pager, &err), ROWFS_OK);
	pager_close(pager);
	read_header(p);
	ck_assert_int_eq(memcmp(p, "rowfs format 2\0\0", 16), 0);
	ck_assert_uint_eq(tu_le32(p + 64), 0);

	files_save(&f);
	db = open_ro();
	ck_assert_uint_eq(pager_catalog_root(rowfs_db_pager(db)), 0);
	tu_require_clean(db, "no catalog yet, read-only");
	tu_close(db);
	files_require_same(&f, "read-only open of a file without a catalog");
	files_free(&f);

	files_save(&f);
	db = open_default();
	ck_assert_uint_eq(pager_catalog_root(rowfs_db_pager(db)), 0);
	tu_require_clean(db, "no catalog yet, read-write");
	tu_close(db);
	files_require_same(&f, "read-write open of a file without a catalog");
	files_free(&f);
	db = open_default();
	free(tu_reply_of(db, "create table t (id integer primary key)"));
	free(tu_reply_of(db, "drop table t"));
	tu_close(db);
	ck_assert_uint_eq(require_v2_header(), 2);
	db = open_default();
	require_empty_root_leaf(db, 2);
	tu_require_clean(db, "catalog made");
	tu_close(db);
}
END_TEST

/* ---- version 1 ------------------------------------------------------------ */

START_TEST(test_version_1_read_only_as_it_is)
{
	struct snapshot_files f;
	struct rowfs_db *db;
	struct model m;
	uint64_t problems = 0;
	struct rowfs_err err = { 0 };

	unlink(tu_wal_path);
	tu_build_v1(tu_db_path, V1_ROWS, V1_FREE);
	model_init(&m, V1_ROWS);
	files_save(&f);
	db = open_ro();
	ck_assert_uint_eq(pager_format_version(rowfs_db_pager(db)), 1);
	ck_assert_uint_eq(pager_catalog_root(rowfs_db_pager(db)), 0);
	require_rows(db, &m, "version 1, read-only");
	ck_assert_int_eq(tu_check(db, tu_discard, NULL, &problems, &err), ROWFS_OK);
	ck_assert_uint_eq(problems, 0);
	tu_close(db);
	require_salvage(&m);
	files_require_same(&f, "read-only open, check and salvage of version 1");
	files_free(&f);

	/* with a WAL of committed transactions: read-only replays them in memory only */
	write_v1_wal(&m);
	files_save(&f);
	db = open_ro();
	ck_assert_uint_eq(pager_format_version(rowfs_db_pager(db)), 1);
	require_rows(db, &m, "version 1 + WAL, read-only");
	tu_require_clean(db, "version 1 + WAL, read-only");
	tu_close(db);
	require_salvage(&m);
	files_require_same(&f, "read-only open and salvage of version 1 + WAL");
	files_free(&f);
}
END_TEST

START_TEST(test_version_1_upgrade)
{
	struct snapshot_files f;
	struct rowfs_db *db;
	uint8_t p[PAGE_SIZE];
	struct model m;
	uint32_t catalog, first_free;

	unlink(tu_wal_path);
	tu_build_v1(tu_db_path, V1_ROWS, V1_FREE);
	read_header(p);
	first_free = tu_le32(p + 32);
	model_init(&m, V1_ROWS);

	db = open_default();
	ck_assert_uint_eq(pager_format_version(rowfs_db_pager(db)), 2);
	ck_assert_uint_eq(require_v2_header(), 0);
	read_header(p);
	ck_assert_uint_eq(tu_le32(p + 36), V1_FREE);
	ck_assert_uint_eq(tu_le32(p + 56), V1_ROWS);
	require_rows(db, &m, "upgraded");
	tu_require_clean(db, "upgraded");
	tu_close(db);

	/* done once: the next open writes nothing */
	files_save(&f);
	db = open_default();
	require_rows(db, &m, "reopened");
	tu_close(db);
	files_require_same(&f, "reopen of an upgraded file");
	files_free(&f);
	require_salvage(&m);

	/* the first create table takes the catalog's root from the front of the free list */
	db = open_default();
	free(tu_reply_of(db, "create table t (id integer primary key)"));
	free(tu_reply_of(db, "drop table t"));
	tu_close(db);
	catalog = require_v2_header();
	ck_assert_uint_eq(catalog, first_free);
	db = open_default();
	require_empty_root_leaf(db, catalog);
	require_rows(db, &m, "catalog made");
	tu_require_clean(db, "catalog made");
	tu_close(db);
}
END_TEST

START_TEST(test_version_1_upgrade_after_replay)
{
	struct rowfs_db *db;
	struct model m;

	tu_build_v1(tu_db_path, V1_ROWS, 0);
	model_init(&m, V1_ROWS);
	write_v1_wal(&m);
	db = open_default();
	ck_assert_uint_eq(require_v2_header(), 0);
	require_rows(db, &m, "replayed and upgraded");
	tu_require_clean(db, "replayed and upgraded");
	tu_close(db);
	ck_assert_uint_eq(tu_file_size(tu_wal_path), WAL_HEADER_SIZE);
	require_salvage(&m);
	db = open_default();
	require_rows(db, &m, "reopened");
	tu_close(db);
}
END_TEST

/* ---- the upgrade crashed ---------------------------------------------------- */

/*
 * kill -9 model: an os table that lets every call through until the Nth
 * pwrite/fsync/ftruncate (counted together), which and every later one
 * fail with EIO: what was written before is in the page cache and
 * survives, nothing after it happens.
 */
struct killos {
	struct os os;            /* hand &k.os to the engine */
	const struct os *real;   /* the real table */
	uint64_t at;             /* the call that dies (0: never) */
	uint64_t ops;            /* calls counted so far */
	int dead;                /* the process is "killed" */
};

static int kill_here(struct killos *k)
{
	if (!k->dead && k->at && ++k->ops >= k->at)
		k->dead = 1;
	if (k->dead)
		errno = EIO;
	return k->dead;
}

static ssize_t kill_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	struct killos *k = ctx;

	if (k->dead) {
		errno = EIO;
		return -1;
	}
	return k->real->pread(k->real->ctx, fd, buf, n, off);
}

static ssize_t kill_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	struct killos *k = ctx;

	return kill_here(k) ? -1 : k->real->pwrite(k->real->ctx, fd, buf, n, off);
}

static int kill_fsync(void *ctx, int fd)
{
	struct killos *k = ctx;

	return kill_here(k) ? -1 : k->real->fsync(k->real->ctx, fd);
}

static int kill_ftruncate(void *ctx, int fd, off_t len)
{
	struct killos *k = ctx;

	return kill_here(k) ? -1 : k->real->ftruncate(k->real->ctx, fd, len);
}

static void killos_init(struct killos *k, uint64_t at)
{
	memset(k, 0, sizeof(*k));
	k->real = os_default();
	k->os = *k->real;
	k->os.pread = kill_pread;
	k->os.pwrite = kill_pwrite;
	k->os.fsync = kill_fsync;
	k->os.ftruncate = kill_ftruncate;
	k->os.ctx = k;
	k->at = at;
}

/* Put the saved fixture (fixture.db, fixture.db-wal) back in place. */
static void restore_fixture(void)
{
	size_t len;
	uint8_t *buf = tu_read_file(tu_path("fixture.db"), &len);

	tu_write_file(tu_db_path, buf, len);
	free(buf);
	buf = tu_try_read_file(tu_path("fixture.db-wal"), &len);
	if (buf)
		tu_write_file(tu_wal_path, buf, len);
	else
		unlink(tu_wal_path);
	free(buf);
}

/* Build the fixture (version 1, optionally a WAL) and save it; *m its rows. */
static void make_fixture(struct model *m, int with_wal, uint32_t free_pages)
{
	unlink(tu_wal_path);
	tu_build_v1(tu_db_path, V1_ROWS, free_pages);
	model_init(m, V1_ROWS);
	if (with_wal)
		write_v1_wal(m);
	tu_copy_file(tu_db_path, tu_path("fixture.db"));
	if (with_wal)
		tu_copy_file(tu_wal_path, tu_path("fixture.db-wal"));
	else
		unlink(tu_path("fixture.db-wal"));
}

/*
 * After a crash: the files open read-only as version 1 or 2 with every
 * row and check clean; a read-write open then upgrades with every row.
 * Returns the version found before the read-write open.
 */
static uint32_t verify_after_crash(const struct model *m, const char *when)
{
	struct rowfs_db *db;
	uint32_t version;

	db = open_ro();
	version = pager_format_version(rowfs_db_pager(db));
	ck_assert_msg(version == 1 || version == 2, "%s: version %u", when, version);
	require_rows(db, m, when);
	tu_require_clean(db, when);
	tu_close(db);
	db = open_default();
	ck_assert_uint_eq(pager_format_version(rowfs_db_pager(db)), 2);
	require_rows(db, m, when);
	tu_require_clean(db, when);
	tu_close(db);
	require_v2_header();
	return version;
}

/* Run the crash loop of one model over a fixture; the counts go to stderr. */
static void crash_loop(int with_wal, uint32_t free_pages, int power_loss)
{
	unsigned n, seen[3] = { 0, 0, 0 };
	struct model m;
	char when[128];

	make_fixture(&m, with_wal, free_pages);
	for (n = 1; n < 200; n++) {
		struct rowfs_err err;
		struct rowfs_db *db;
		struct faultos fo;
		struct killos k;
		int rc, fired;

		restore_fixture();
		if (power_loss) {
			faultos_init(&fo);
			faultos_powerloss_begin(&fo);
			faultos_power_cut_at(&fo, n);
			db = open_rw(&fo.os, &rc, &err);
		} else {
			killos_init(&k, n);
			db = open_rw(&k.os, &rc, &err);
		}
		if (db)
			tu_close_rc(db, &err);   /* after the crash its writes fail harmlessly */
		if (power_loss) {
			fired = fo.dead;
			if (!fired)
				faultos_power_cut(&fo);
			faultos_release(&fo);
		} else {
			fired = k.dead;
		}
		snprintf(when, sizeof(when), "%s crash at call %u%s%s",
			 power_loss ? "power-loss" : "kill -9", n, with_wal ? ", with a WAL" : "",
			 free_pages ? ", free pages" : "");
		seen[verify_after_crash(&m, when)]++;
		if (!fired && rc == ROWFS_OK)
			break;   /* the open and close ran to the end before the N-th call */
	}
	ck_assert_uint_lt(n, 200);
	/* both outcomes must have occurred: the crash points straddle the commit point */
	ck_assert_uint_gt(seen[1], 0);
	ck_assert_uint_gt(seen[2], 0);
	fprintf(stderr, "check_format: %s%s%s: %u crash points, %u left version 1, %u version 2\n",
		power_loss ? "power loss" : "kill -9", with_wal ? ", WAL" : "",
		free_pages ? ", free pages" : "", n, seen[1], seen[2]);
}

START_TEST(test_upgrade_power_loss_at_every_call)
{
	crash_loop(0, V1_FREE, 1);
	crash_loop(1, 0, 1);
}
END_TEST

START_TEST(test_upgrade_kill_at_every_call)
{
	crash_loop(0, V1_FREE, 0);
	crash_loop(1, 0, 0);
}
END_TEST

/* An fsync failing with EIO at every step of the open: it fails or upgrades; the rows stay. */
START_TEST(test_upgrade_fsync_errors)
{
	struct model m;
	unsigned n;
	char when[96];

	make_fixture(&m, 1, V1_FREE);
	for (n = 1; n < 50; n++) {
		struct rowfs_err err;
		struct rowfs_db *db;
		struct faultos fo;
		int rc;

		restore_fixture();
		faultos_init(&fo);
		faultos_fail_sync_at(&fo, n, EIO, 0);
		db = open_rw(&fo.os, &rc, &err);
		if (db)
			tu_close_rc(db, &err);
		else
			ck_assert_msg(rc == ROWFS_IOERR, "open with fsync %u failing: %s", n, err.msg);
		snprintf(when, sizeof(when), "fsync %u failed", n);
		verify_after_crash(&m, when);
		rc = fo.faults == 0;
		faultos_release(&fo);
		if (rc)
			break;
	}
	ck_assert_uint_lt(n, 50);
}
END_TEST

static Suite *format_suite(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("format");

	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_new_database_is_version_2);
	tcase_add_test(tc, test_read_only_new_file_writes_nothing);
	tcase_add_test(tc, test_missing_catalog_is_made_by_create_table);
	tcase_add_test(tc, test_version_1_read_only_as_it_is);
	tcase_add_test(tc, test_version_1_upgrade);
	tcase_add_test(tc, test_version_1_upgrade_after_replay);
	tcase_add_test(tc, test_upgrade_power_loss_at_every_call);
	tcase_add_test(tc, test_upgrade_kill_at_every_call);
	tcase_add_test(tc, test_upgrade_fsync_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_format", format_suite());
}
