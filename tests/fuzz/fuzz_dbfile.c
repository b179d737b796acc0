/*
 * fuzz_dbfile.c - libFuzzer target: arbitrary database files and WALs.
 *
 * Input layout (tests/fuzz/gen_seeds.c writes the seeds in it):
 *   offset size  meaning
 *        0    1  flags: FIX_CHECKSUMS, READ_WRITE, NO_WAL (below); the
 *                high four bits + 1: rows per call of the chunked scan
 *        1    4  length of the database image, little-endian (clamped)
 *        5  ...  the database image, then the WAL image (the rest)
 *
 * With FIX_CHECKSUMS the harness recomputes the database header checksum,
 * the WAL header checksum and the chained frame checksums before writing
 * the files, so that mutations reach the B-tree and the WAL replay instead
 * of stopping at a checksum.  Both images go to files in a private
 * directory under $TMPDIR; the database is opened read-only, every row is
 * scanned (once in one call, once as the mount's `rows` file reads it: a
 * few rows per call, each call starting after the last id), the tree and
 * the statistics are rendered and rowfs_check runs.
 * With READ_WRITE a copy is then opened read-write (recovery, WAL
 * truncation), gets inserts, updates, deletes that empty leaves, a select
 * and a checkpoint, and is checked.
 *
 * Oracles, besides the sanitizers and libFuzzer's timeout and memory
 * limits: no engine call may emit an unbounded amount of text; scans
 * return ids in strictly increasing order, each at or after the start,
 * whatever the damage (so `rows` stays sorted and always ends); when
 * rowfs_check finds no problem, the scan is strictly increasing with
 * exactly `rows` rows, and the read-write pass must work and leave the
 * database clean (a file fsck calls clean is a file the engine can use).
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (`make fuzz`).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "pager.h"
#include "row.h"
#include "rowfs.h"
#include "wal.h"
#include "fuzz_util.h"

#define FLAG_FIX_CHECKSUMS 0x01u   /* recompute every checksum */
#define FLAG_READ_WRITE 0x02u      /* also open a copy read-write */
#define FLAG_NO_WAL 0x04u          /* no WAL file at all */

#define EMIT_LIMIT (16u << 20)     /* more text than this from one call is a bug */

static struct fuzz_dir dir;
static char *db_path, *wal_path, *rw_path, *rw_wal_path;

static void at_exit(void)
{
	fuzz_dir_remove_db(&dir, db_path);
	fuzz_dir_remove_db(&dir, rw_path);
	free(db_path);
	free(wal_path);
	free(rw_path);
	free(rw_wal_path);
	fuzz_dir_release(&dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_dir_init(&dir, "fuzz_dbfile");
	db_path = fuzz_dir_file(&dir, "f.db");
	wal_path = fuzz_dir_file(&dir, "f.db-wal");
	rw_path = fuzz_dir_file(&dir, "w.db");
	rw_wal_path = fuzz_dir_file(&dir, "w.db-wal");
	atexit(at_exit);
	return 0;
}

/* ---- checksum fix-ups (the formats of pager.c and wal.c) -------------- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void fix_db_header(uint8_t *db, size_t len)
{
	if (len < HDR2_SIZE)
		return;
	pager_header_seal(db);
}

static void fix_wal(uint8_t *wal, size_t len)
{
	uint32_t h = 2166136261u, s[2];
	size_t off = WAL_HEADER_SIZE, i;

	if (len < WAL_HEADER_SIZE)
		return;
	for (i = 0; i < 28; i++) {
		h ^= wal[i];
		h *= 16777619u;
	}
	put_u32(wal + 28, h);
	s[0] = le32(wal + 16);
	s[1] = le32(wal + 20);
	while (len - off >= WAL_FRAME_HEADER_SIZE + WAL_FRAME_TRAILER_SIZE) {
		uint32_t flen = le32(wal + off + 4);

		if (flen % 8 != 0 ||
		    len - off - WAL_FRAME_HEADER_SIZE - WAL_FRAME_TRAILER_SIZE < flen)
			break;
		wal_checksum(wal + off, WAL_FRAME_HEADER_SIZE + flen, s);
		put_u32(wal + off + WAL_FRAME_HEADER_SIZE + flen, s[0]);
		put_u32(wal + off + WAL_FRAME_HEADER_SIZE + flen + 4, s[1]);
		off += WAL_FRAME_HEADER_SIZE + flen + WAL_FRAME_TRAILER_SIZE;
	}
}

/* ---- sinks ------------------------------------------------------------- */

/* Counts emitted text; more than EMIT_LIMIT means a runaway loop. */
struct sink {
	size_t bytes;
};

static int sink_emit(void *ctx, const char *text, size_t len)
{
	struct sink *s = ctx;

	(void)text;
	s->bytes += len;
	FUZZ_CHECK(s->bytes <= EMIT_LIMIT);
	return 0;
}

/* What a full scan saw. */
struct scan {
	uint64_t rows;
	int sorted;          /* ids strictly increasing so far */
	int have_last;
	uint32_t last;
};

static int scan_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct scan *s = ctx;
	uint32_t id = (uint32_t)key;

	FUZZ_CHECK(n == 2 && key >= 0 && key <= (int64_t)UINT32_MAX);
	FUZZ_CHECK(vals[1].len <= USERNAME_SIZE);
	if (s->have_last && id <= s->last)
		s->sorted = 0;
	s->have_last = 1;
	s->last = id;
	s->rows++;
	/* a cycle in the leaf chain would go on for ever: the check runs first */
	FUZZ_CHECK(s->rows <= (64ull << 20) / LEAF_NODE_CELL_SIZE);
	return 0;
}

/* One call of a chunked scan. */
struct chunk {
	uint64_t start;      /* the call's start id */
	uint32_t last;       /* last id seen in this call */
	unsigned rows;       /* rows seen in this call */
	unsigned max;        /* stop after this many */
};

static int chunk_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct chunk *c = ctx;
	uint32_t id = (uint32_t)key;

	FUZZ_CHECK(n == 2 && key >= 0 && key <= (int64_t)UINT32_MAX);
	FUZZ_CHECK(vals[1].len <= USERNAME_SIZE);
	FUZZ_CHECK(id >= c->start);
	FUZZ_CHECK(c->rows == 0 || id > c->last);
	c->last = id;
	return ++c->rows >= c->max;
}

/* Read all rows as the mount's `rows` file does: per_call rows at a time. */
static void chunked_scan(struct rowfs_txn *txn, unsigned per_call)
{
	struct rowfs_err err;
	uint64_t start = 0, total = 0;

	for (;;) {
		struct chunk c = {.start = start, .max = per_call};
		int rc = rowfs_scan(txn, NULL, (int64_t)start, chunk_row, &c, &err);

		if (rc != ROWFS_OK || c.rows == 0)
			break;
		total += c.rows;
		FUZZ_CHECK(total <= (1u << 24));
		start = (uint64_t)c.last + 1;
	}
}

/* ---- the passes -------------------------------------------------------- */

/* Open path, look at everything, close.  Returns 1 if rowfs_check found it clean. */
static int inspect(const char *path, int read_only, unsigned per_call, uint64_t *rows_out)
{
	struct rowfs_config cfg;
	struct rowfs_stats st;
	struct rowfs_err err;
	struct rowfs_db *db;
	struct rowfs_txn *txn;
	struct scan scan = {.sorted = 1};
	struct sink sink = {0};
	uint64_t problems = 0;
	int rc, clean;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = path;
	cfg.read_only = read_only;
	cfg.sync = ROWFS_SYNC_OFF;
	cfg.cache_pages = 8;
	rc = rowfs_open(&cfg, &db, &err);
	if (rc != ROWFS_OK) {
		FUZZ_CHECK(db == NULL);
		FUZZ_CHECK(err.msg[0] != '\0');
		FUZZ_CHECK(rc == ROWFS_NOTADB || rc == ROWFS_CORRUPT || rc == ROWFS_IOERR);
		return 0;
	}
	rc = rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err);
	if (rc != ROWFS_OK) {
		FUZZ_CHECK(rowfs_rc_is_fatal(rc));
		rowfs_close(db, &err);
		return 0;
	}
	rc = rowfs_check(txn, sink_emit, &sink, &problems, &err);
	clean = rc == ROWFS_OK && problems == 0;
	sink.bytes = 0;
	rc = rowfs_scan(txn, NULL, 0, scan_row, &scan, &err);
	rowfs_get_stats(txn, &st, &err);
	FUZZ_CHECK(scan.sorted);
	if (clean) {
		FUZZ_CHECK(rc == ROWFS_OK);
		FUZZ_CHECK(scan.rows == st.rows);
	}
	chunked_scan(txn, per_call);
	sink.bytes = 0;
	rc = rowfs_render_btree(txn, sink_emit, &sink, &err);
	if (clean)
		FUZZ_CHECK(rc == ROWFS_OK);
	sink.bytes = 0;
	rowfs_render_stats(txn, sink_emit, &sink, &err);
	rowfs_txn_abort(txn);
	if (rows_out)
		*rows_out = st.rows;
	rc = rowfs_close(db, &err);
	if (clean && !read_only)
		FUZZ_CHECK(rc == ROWFS_OK);
	return clean;
}

static int reply_sink(void *ctx, const char *text, size_t len)
{
	return sink_emit(ctx, text, len);
}

/* Run one statement; counts the rows it added (+1) or removed (-1). */
static int run(struct rowfs_txn *txn, const char *line, int64_t *delta, struct rowfs_err *err)
{
	struct sink sink = {0};
	int rc = rowfs_exec(txn, line, strlen(line), reply_sink, &sink, err);

	if (rc == ROWFS_OK && !strncmp(line, "insert", 6))
		(*delta)++;
	if (rc == ROWFS_OK && !strncmp(line, "delete", 6))
		(*delta)--;
	if (rc == ROWFS_DUPLICATE || rc == ROWFS_NOTFOUND)
		rc = ROWFS_OK;
	return rc;
}

/*
 * Statements on a read-write copy: inserts at both ends, updates, and
 * deletes of every third id up to 366 (the seeds' first leaves: emptied
 * leaves are freed, the root may collapse).  All must work, and leave a
 * clean file, if the file was clean.
 */
static void modify(const char *path, int was_clean, uint64_t rows)
{
	static const char *const lines[] = {
		"insert 4294967295 last", "insert 0 first", "insert 77 middle", "update 77 renamed",
		"update 3 x", "select", ".btree", ".stats",
	};
	struct rowfs_config cfg;
	struct rowfs_err err;
	struct rowfs_db *db;
	struct rowfs_txn *txn = NULL, *reader;
	struct sink sink = {0};
	uint64_t problems = 0;
	int64_t delta = 0;
	char line[64];
	size_t i;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = path;
	cfg.sync = ROWFS_SYNC_OFF;
	cfg.cache_pages = 8;
	rc = rowfs_open(&cfg, &db, &err);
	if (rc != ROWFS_OK) {
		FUZZ_CHECK(!was_clean);
		return;
	}
	rc = rowfs_txn_begin(db, 0, &txn, &err);
	for (i = 0; rc == ROWFS_OK && i < sizeof(lines) / sizeof(lines[0]); i++)
		rc = run(txn, lines[i], &delta, &err);
	for (i = 1; rc == ROWFS_OK && i <= 122; i++) {
		snprintf(line, sizeof(line), "delete %zu", i * 3);
		rc = run(txn, line, &delta, &err);
	}
	if (was_clean && rc != ROWFS_OK) {
		fprintf(stderr, "fuzz_dbfile: clean file, statement failed: %s\n", err.msg);
		abort();
	}
	if (rc == ROWFS_OK)
		rc = rowfs_txn_commit(txn, &err);
	else
		rowfs_txn_abort(txn);
	if (was_clean) {
		FUZZ_CHECK(rc == ROWFS_OK);
		rc = rowfs_checkpoint(db, &err);
		if (rc != ROWFS_OK)
			fprintf(stderr, "fuzz_dbfile: clean file, checkpoint failed: %s\n", err.msg);
		FUZZ_CHECK(rc == ROWFS_OK);
		sink.bytes = 0;
		rc = rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, &err);
		FUZZ_CHECK(rc == ROWFS_OK);
		rc = rowfs_check(reader, sink_emit, &sink, &problems, &err);
		rowfs_txn_abort(reader);
		FUZZ_CHECK(rc == ROWFS_OK && problems == 0);
	} else {
		rowfs_checkpoint(db, &err);
	}
	rc = rowfs_close(db, &err);
	if (was_clean) {
		uint64_t after = 0;

		FUZZ_CHECK(rc == ROWFS_OK);
		FUZZ_CHECK(inspect(path, 1, 7, &after));
		FUZZ_CHECK((int64_t)after == (int64_t)rows + delta);
	} else {
		inspect(path, 1, 3, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags;
	uint8_t *copy;
	size_t db_len, wal_len;
	uint64_t rows = 0;
	int clean;

	if (size < 5)
		return 0;
	flags = data[0];
	db_len = le32(data + 1);
	data += 5;
	size -= 5;
	if (db_len > size)
		db_len = size;
	wal_len = size - db_len;

	copy = malloc(size ? size : 1);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	if (flags & FLAG_FIX_CHECKSUMS) {
		fix_db_header(copy, db_len);
		fix_wal(copy + db_len, wal_len);
	}
	fuzz_write_file(db_path, copy, db_len);
	if (flags & FLAG_NO_WAL)
		unlink(wal_path);
	else
		fuzz_write_file(wal_path, copy + db_len, wal_len);
	free(copy);

	clean = inspect(db_path, 1, (flags >> 4) + 1u, &rows);
	if (flags & FLAG_READ_WRITE) {
		fuzz_copy_file(db_path, rw_path);
		fuzz_copy_file(wal_path, rw_wal_path);
		modify(rw_path, clean, rows);
	}
	return 0;
}
