/*
 * fuzz_tables.c - libFuzzer target: damaged version-2 table pages,
 * overflow chains, catalog rows and table log records.
 *
 * LLVMFuzzerInitialize builds one healthy database through the engine
 * (the base): table t (a root over leaves, every seventh record
 * overflowing into one to three pages, NULLs, negative keys), table u (a
 * root leaf), the catalog, 20 users rows; then, with the writer still
 * open, a tail of committed statements that lives only in the WAL
 * (inserts with overflow, an update, a delete, a create table and a drop
 * table).  Both files are kept in memory; every input damages a copy.
 *
 * Input layout:
 *   offset size  meaning
 *        0    1  flags: FLAG_READ_WRITE, FLAG_NO_WAL (below)
 *        1  5*n  edits: u32 offset (little-endian) into DBFILE followed by
 *                its WAL (taken modulo their total size), u8 value XORed
 *                into that byte
 * Offsets into DBFILE's page 0 are kept from the header (its checksum is
 * recomputed after the edits) and WAL frame checksums are recomputed, so
 * damage reaches the pages and the log records instead of stopping at a
 * checksum.
 *
 * Each input: the damaged copy is opened read-only for rowfs_check (as
 * fsck.rowfs does), checked, every table is read (select * and count(*)),
 * and salvaged; with FLAG_READ_WRITE a copy is then recovered read-write
 * and runs statements on the tables.  Oracles, besides the sanitizers:
 *   - open fails only with ROWFS_NOTADB, ROWFS_CORRUPT or ROWFS_IOERR;
 *   - rowfs_check always completes (ROWFS_OK), its report bounded;
 *   - when the check is clean, every table reads without error and its
 *     count(*) is the number of rows select returned, and the read-write
 *     pass succeeds (statement errors aside: damage can turn the catalog
 *     into another valid schema) and leaves a clean file;
 *   - a statement on a damaged file fails with an error code, never more;
 *   - rowfs_salvage always succeeds and its dump replays, statement by
 *     statement, into an empty database.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (`make fuzz`).
 */
#include <config.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "pager.h"
#include "rowfs.h"
#include "util.h"
#include "wal.h"
#include "fuzz_util.h"

#define FLAG_READ_WRITE 0x01u      /* also recover a copy read-write and change it */
#define FLAG_NO_WAL 0x02u          /* drop the WAL (DBFILE alone) */

#define EMIT_LIMIT (16u << 20)     /* more text than this from one call is a bug */

static struct fuzz_dir dir;
static char *db_path, *wal_path, *rw_path, *rw_wal_path, *base_path, *base_wal_path;
static char *replay_path;
static uint8_t *base;              /* DBFILE then its WAL */
static size_t base_db_len, base_len;

/* ---- sinks ---------------------------------------------------------------- */

/* Counts emitted text; more than EMIT_LIMIT means a runaway loop. */
struct sink {
	size_t bytes;
	size_t lines;
};

static int sink_emit(void *ctx, const char *text, size_t len)
{
	struct sink *s = ctx;
	size_t i;

	s->bytes += len;
	for (i = 0; i < len; i++)
		s->lines += text[i] == '\n';
	FUZZ_CHECK(s->bytes <= EMIT_LIMIT);
	return 0;
}

/* A growable copy of emitted text (the salvage dump). */
struct text {
	char *data;
	size_t len, cap;
};

static int text_emit(void *ctx, const char *p, size_t len)
{
	struct text *t = ctx;

	FUZZ_CHECK(t->len + len <= EMIT_LIMIT);
	if (t->len + len + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 65536;
		char *n;

		while (cap < t->len + len + 1)
			cap *= 2;
		n = realloc(t->data, cap);
		FUZZ_CHECK(n != NULL);
		t->data = n;
		t->cap = cap;
	}
	memcpy(t->data + t->len, p, len);
	t->len += len;
	t->data[t->len] = '\0';
	return 0;
}

/* ---- the base database --------------------------------------------------------- */

/* Run each line of text (newline-separated) in one unit; all must succeed. */
static void must_run(struct rowfs_db *db, const char *text)
{
	struct rowfs_err err;
	struct rowfs_txn *txn;
	struct sink sink = {0, 0};
	const char *line = text, *end;

	FUZZ_CHECK(rowfs_txn_begin(db, 0, &txn, &err) == ROWFS_OK);
	for (; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (rowfs_exec(txn, line, (size_t)(end - line), sink_emit, &sink, &err) != ROWFS_OK) {
			fprintf(stderr, "fuzz_tables: base: %.*s: %s\n", (int)(end - line), line, err.msg);
			abort();
		}
	}
	FUZZ_CHECK(rowfs_txn_commit(txn, &err) == ROWFS_OK);
}

/* Append printf text to t. */
static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(struct text *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	FUZZ_CHECK(n >= 0 && (size_t)n < sizeof(buf));
	text_emit(t, buf, (size_t)n);
}

/* A blob literal of len bytes into t. */
static void blob_literal(struct text *t, size_t len, unsigned seed)
{
	size_t i;

	text_emit(t, "x'", 2);
	for (i = 0; i < len; i++)
		text_printf(t, "%02x", (unsigned)((i * 13 + seed) & 0xff));
	text_emit(t, "'", 1);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	FUZZ_CHECK(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	FUZZ_CHECK(buf != NULL);
	FUZZ_CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void build_base(void)
{
	struct rowfs_config cfg;
	struct rowfs_err err;
	struct rowfs_db *db;
	struct text t = {NULL, 0, 0};
	uint8_t *db_img, *wal_img;
	size_t db_len, wal_len;
	int i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = base_path;
	cfg.sync = ROWFS_SYNC_OFF;
	fuzz_dir_remove_db(&dir, base_path);
	FUZZ_CHECK(rowfs_open(&cfg, &db, &err) == ROWFS_OK);
	must_run(db, "create table t (id integer primary key, n integer not null, s text(12), b blob)\n"
		     "create table u (k integer primary key, v text, r real)\n"
		     "insert into u values (1, 'one', 0.5)\ninsert into u values (-2, null, 1e+100)");
	for (i = -10; i < 90; i++) {
		text_printf(&t, "insert into t values (%d, %d, 's%d', ", i, i % 5, i);
		if (i % 7 == 0)
			blob_literal(&t, 800 + (size_t)(i + 10) * 90, (unsigned)i);
		else if (i % 3 == 0)
			text_emit(&t, "null", 4);
		else
			blob_literal(&t, (size_t)(i & 7), (unsigned)i);
		text_emit(&t, ")\n", 2);
	}
	for (i = 1; i <= 20; i++)
		text_printf(&t, "insert %d user_%d\n", i, i);
	t.data[t.len - 1] = '\0';
	must_run(db, t.data);
	FUZZ_CHECK(rowfs_checkpoint(db, &err) == ROWFS_OK);
	t.len = 0;
	/* the tail that lives only in the WAL */
	text_printf(&t, "insert into t values (500, 1, 'wal', ");
	blob_literal(&t, 5000, 5);
	text_printf(&t, ")\nupdate t set s = 'upd' where id = 4\ndelete from t where id = 5\n"
			"create table v (id integer primary key, x text not null)\n"
			"insert into v values (1, 'vee')\ndrop table u\ninsert 21 user_21");
	must_run(db, t.data);
	free(t.data);

	db_img = slurp(base_path, &db_len);
	wal_img = slurp(base_wal_path, &wal_len);
	FUZZ_CHECK(wal_len > WAL_HEADER_SIZE);
	rowfs_close(db, &err);
	fuzz_dir_remove_db(&dir, base_path);
	base = malloc(db_len + wal_len);
	FUZZ_CHECK(base != NULL);
	memcpy(base, db_img, db_len);
	memcpy(base + db_len, wal_img, wal_len);
	base_db_len = db_len;
	base_len = db_len + wal_len;
	free(db_img);
	free(wal_img);
}

static void at_exit(void)
{
	fuzz_dir_remove_db(&dir, db_path);
	fuzz_dir_remove_db(&dir, rw_path);
	fuzz_dir_remove_db(&dir, replay_path);
	fuzz_dir_remove_db(&dir, base_path);
	free(db_path);
	free(wal_path);
	free(rw_path);
	free(rw_wal_path);
	free(replay_path);
	free(base_path);
	free(base_wal_path);
	free(base);
	fuzz_dir_release(&dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_dir_init(&dir, "fuzz_tables");
	db_path = fuzz_dir_file(&dir, "f.db");
	wal_path = fuzz_dir_file(&dir, "f.db-wal");
	rw_path = fuzz_dir_file(&dir, "w.db");
	rw_wal_path = fuzz_dir_file(&dir, "w.db-wal");
	replay_path = fuzz_dir_file(&dir, "r.db");
	base_path = fuzz_dir_file(&dir, "base.db");
	base_wal_path = fuzz_dir_file(&dir, "base.db-wal");
	build_base();
	atexit(at_exit);
	return 0;
}

/* ---- checksum fix-ups (the formats of pager.c and wal.c) -------------------- */

static void fix_wal(uint8_t *wal, size_t len)
{
	uint32_t s[2];
	size_t off = WAL_HEADER_SIZE;

	if (len < WAL_HEADER_SIZE)
		return;
	put_u32(wal + 28, fnv1a32(wal, 28));
	s[0] = get_u32(wal + 16);
	s[1] = get_u32(wal + 20);
	while (len - off >= WAL_FRAME_HEADER_SIZE + WAL_FRAME_TRAILER_SIZE) {
		uint32_t flen = get_u32(wal + off + 4);

		if (flen % 8 != 0 ||
		    len - off - WAL_FRAME_HEADER_SIZE - WAL_FRAME_TRAILER_SIZE < flen)
			break;
		wal_checksum(wal + off, WAL_FRAME_HEADER_SIZE + flen, s);
		put_u32(wal + off + WAL_FRAME_HEADER_SIZE + flen, s[0]);
		put_u32(wal + off + WAL_FRAME_HEADER_SIZE + flen + 4, s[1]);
		off += WAL_FRAME_HEADER_SIZE + flen + WAL_FRAME_TRAILER_SIZE;
	}
}

/* ---- the passes ---------------------------------------------------------------- */

/* The tables a handle lists (.tables), one name per line, into names (NUL-separated). */
static size_t list_tables(struct rowfs_txn *txn, char names[][72], size_t max)
{
	struct text t = {NULL, 0, 0};
	struct rowfs_err err;
	size_t n = 0;
	char *line, *save = NULL;

	if (rowfs_exec(txn, ".tables", 7, text_emit, &t, &err) != ROWFS_OK || !t.data) {
		free(t.data);
		return 0;
	}
	for (line = strtok_r(t.data, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		FUZZ_CHECK(strlen(line) < 72);
		strcpy(names[n++], line);
	}
	free(t.data);
	return n;
}

/* Read every table through txn; when clean, each read must work and count(*) must agree. */
static void read_tables(struct rowfs_txn *txn, int clean)
{
	char names[64][72], line[160];
	struct rowfs_err err;
	size_t n, i;

	n = list_tables(txn, names, 64);
	if (clean)
		FUZZ_CHECK(n >= 2);
	for (i = 0; i < n; i++) {
		struct sink rows = {0, 0};
		struct text c = {NULL, 0, 0};
		int rc;

		snprintf(line, sizeof(line), "select * from %.71s", names[i]);
		rc = rowfs_exec(txn, line, strlen(line), sink_emit, &rows, &err);
		if (clean)
			FUZZ_CHECK(rc == ROWFS_OK);
		snprintf(line, sizeof(line), "select count(*) from %.71s", names[i]);
		rc = rowfs_exec(txn, line, strlen(line), text_emit, &c, &err);
		if (clean) {
			unsigned long long k = 0;

			FUZZ_CHECK(rc == ROWFS_OK && c.data);
			FUZZ_CHECK(sscanf(c.data, "(%llu)", &k) == 1);
			/* "(no rows)" is one line too */
			FUZZ_CHECK(k == rows.lines || (k == 0 && rows.lines == 1));
		}
		free(c.data);
	}
}

/* Open path for checking; returns 1 if the check found nothing. */
static int inspect(const char *path)
{
	struct rowfs_config cfg;
	struct rowfs_err err;
	struct rowfs_db *db;
	struct rowfs_txn *txn;
	struct sink sink = {0, 0};
	uint64_t problems = 0;
	int rc, clean;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = path;
	cfg.read_only = 1;
	cfg.for_check = 1;
	cfg.cache_pages = 8;
	rc = rowfs_open(&cfg, &db, &err);
	if (rc != ROWFS_OK) {
		FUZZ_CHECK(db == NULL && err.msg[0] != '\0');
		if (!(rc == ROWFS_NOTADB || rc == ROWFS_CORRUPT || rc == ROWFS_IOERR))
			fprintf(stderr, "fuzz_tables: open: %s: %s\n", rowfs_rc_name(rc), err.msg);
		FUZZ_CHECK(rc == ROWFS_NOTADB || rc == ROWFS_CORRUPT || rc == ROWFS_IOERR);
		return 0;
	}
	/* one read transaction: the check and the reads see one state */
	rc = rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err);
	FUZZ_CHECK(rc == ROWFS_OK);
	rc = rowfs_check(txn, sink_emit, &sink, &problems, &err);
	FUZZ_CHECK(rc == ROWFS_OK);
	FUZZ_CHECK(sink.lines == (problems < 1001 ? problems : 1001));
	clean = problems == 0;
	read_tables(txn, clean);
	rowfs_txn_abort(txn);
	rowfs_close(db, &err);
	return clean;
}

/* The salvage must succeed, and its dump must replay into an empty database. */
static void salvage_and_replay(const char *path)
{
	struct rowfs_salvage_stats st;
	struct rowfs_config cfg;
	struct rowfs_err err;
	struct rowfs_db *db;
	struct rowfs_txn *txn;
	struct text dump = {NULL, 0, 0};
	struct sink sink = {0, 0};
	char *line, *end;

	FUZZ_CHECK(rowfs_salvage(path, NULL, text_emit, &dump, &st, &err) == ROWFS_OK);
	FUZZ_CHECK(dump.data != NULL);
	fuzz_dir_remove_db(&dir, replay_path);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = replay_path;
	cfg.sync = ROWFS_SYNC_OFF;
	FUZZ_CHECK(rowfs_open(&cfg, &db, &err) == ROWFS_OK);
	FUZZ_CHECK(rowfs_txn_begin(db, 0, &txn, &err) == ROWFS_OK);
	for (line = dump.data; *line; line = end + 1) {
		end = strchr(line, '\n');
		FUZZ_CHECK(end != NULL);
		if (rowfs_exec(txn, line, (size_t)(end - line), sink_emit, &sink, &err) != ROWFS_OK) {
			fprintf(stderr, "fuzz_tables: the dump does not replay: %.*s: %s\n",
				(int)(end - line > 200 ? 200 : end - line), line, err.msg);
			abort();
		}
	}
	FUZZ_CHECK(rowfs_txn_commit(txn, &err) == ROWFS_OK);
	FUZZ_CHECK(rowfs_close(db, &err) == ROWFS_OK);
	free(dump.data);
}

/* Statements on a read-write copy: all must work on a clean file, and leave it clean. */
static void modify(const char *path, int was_clean)
{
	static const char *const lines[] = {
		"insert into t values (1000, 1, 'new', x'00')",
		"insert into t values (-1000, 2, null, null)",
		"update t set n = 4, b = x'ffff' where id between 0 and 40",
		"delete from t where id > 60",
		"select * from t where id >= 20 and id < 30",
		"create table z (id integer primary key, q text)",
		"insert into z values (1, 'zz')",
		"drop table if exists v",
		"insert 22 user_22",
		"delete 3",
	};
	struct rowfs_config cfg;
	struct rowfs_err err;
	struct rowfs_db *db;
	struct rowfs_txn *txn = NULL, *reader;
	struct sink sink = {0, 0};
	uint64_t problems = 0;
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
	for (i = 0; rc == ROWFS_OK && i < sizeof(lines) / sizeof(lines[0]); i++) {
		sink.bytes = 0;
		rc = rowfs_exec(txn, lines[i], strlen(lines[i]), sink_emit, &sink, &err);
		/*
		 * A statement error is no damage: a catalog statement edited into
		 * another valid one (a column renamed) is a consistent file.
		 */
		if (rc != ROWFS_OK && !rowfs_rc_is_fatal(rc))
			rc = ROWFS_OK;
	}
	if (was_clean && rc != ROWFS_OK) {
		fprintf(stderr, "fuzz_tables: clean file, '%s' failed: %s\n", lines[i - 1], err.msg);
		abort();
	}
	if (rc == ROWFS_OK)
		rc = rowfs_txn_commit(txn, &err);
	else
		rowfs_txn_abort(txn);
	if (was_clean) {
		FUZZ_CHECK(rc == ROWFS_OK);
		FUZZ_CHECK(rowfs_checkpoint(db, &err) == ROWFS_OK);
		sink.bytes = 0;
		FUZZ_CHECK(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, &err) == ROWFS_OK);
		rc = rowfs_check(reader, sink_emit, &sink, &problems, &err);
		rowfs_txn_abort(reader);
		FUZZ_CHECK(rc == ROWFS_OK && problems == 0);
	}
	rc = rowfs_close(db, &err);
	if (was_clean) {
		FUZZ_CHECK(rc == ROWFS_OK);
		FUZZ_CHECK(inspect(path));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy, flags;
	size_t i;
	int clean;

	if (size < 1)
		return 0;
	flags = data[0];
	copy = malloc(base_len);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, base, base_len);
	for (i = 1; i + 5 <= size; i += 5) {
		size_t off = get_u32(data + i) % base_len;

		copy[off] ^= data[i + 4];
	}
	if (base_db_len >= HDR2_SIZE)
		pager_header_seal(copy);
	fix_wal(copy + base_db_len, base_len - base_db_len);
	fuzz_write_file(db_path, copy, base_db_len);
	if (flags & FLAG_NO_WAL)
		unlink(wal_path);
	else
		fuzz_write_file(wal_path, copy + base_db_len, base_len - base_db_len);
	free(copy);

	clean = inspect(db_path);
	salvage_and_replay(db_path);
	if (flags & FLAG_READ_WRITE) {
		fuzz_copy_file(db_path, rw_path);
		fuzz_copy_file(wal_path, rw_wal_path);
		modify(rw_path, clean);
	}
	return 0;
}
