/*
 * gen_seeds.c - write the seed corpus of fuzz_dbfile with the engine.
 *
 * usage: gen_seeds DIR
 *
 * Each seed is a small database and its WAL as the engine leaves them in
 * one situation: freshly created, a few rows, a tree of depth 2, commits
 * still in the WAL (files copied while the database is open, as a crash
 * would leave them), checkpoints interrupted at each fsync, UTF-8 and
 * 32-byte names.  The files are packed in fuzz_dbfile's input layout
 * (flags, u32 length of the database image, database, WAL); each is
 * written with FIX_CHECKSUMS, two of them also without.  The WAL's salts are
 * random, so the bytes differ from run to run; the committed corpus is
 * one run's output (`make fuzz-seeds` rewrites it).
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os.h"
#include "rowfs.h"
#include "fuzz_util.h"

static struct fuzz_dir dir;
static char *db_path;
static const char *out_dir;

/* An os table that fails every fsync from the Nth on (0: never). */
struct failing_os {
	struct os os;
	const struct os *real;
	unsigned calls;
	unsigned fail_at;
};

static ssize_t f_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	const struct os *real = ((struct failing_os *)ctx)->real;

	return real->pread(real->ctx, fd, buf, n, off);
}

static ssize_t f_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	const struct os *real = ((struct failing_os *)ctx)->real;

	return real->pwrite(real->ctx, fd, buf, n, off);
}

static int f_fsync(void *ctx, int fd)
{
	struct failing_os *f = ctx;

	if (f->fail_at && ++f->calls >= f->fail_at) {
		errno = EIO;
		return -1;
	}
	return f->real->fsync(f->real->ctx, fd);
}

static int f_ftruncate(void *ctx, int fd, off_t len)
{
	const struct os *real = ((struct failing_os *)ctx)->real;

	return real->ftruncate(real->ctx, fd, len);
}

static void failing_os_init(struct failing_os *f)
{
	memset(f, 0, sizeof(*f));
	f->real = os_default();
	f->os.pread = f_pread;
	f->os.pwrite = f_pwrite;
	f->os.fsync = f_fsync;
	f->os.ftruncate = f_ftruncate;
	f->os.ctx = f;
}

/* Read a whole file (missing: empty). */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	*len = 0;
	buf = malloc(1);
	if (!buf)
		abort();
	if (!f)
		return buf;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		abort();
	free(buf);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/*
 * Pack the database and WAL as they are now into DIR/seed-NAME-fixed and,
 * if raw, DIR/seed-NAME-raw (checksums left to the mutations).
 */
static void save_as(const char *name, int raw)
{
	static const uint8_t variants[2] = {0x03, 0x02};
	static const char *const suffix[2] = {"fixed", "raw"};
	char wal_path[4096], out[4096];
	uint8_t *db, *wal, *buf;
	size_t db_len, wal_len, i;

	snprintf(wal_path, sizeof(wal_path), "%s-wal", db_path);
	db = slurp(db_path, &db_len);
	wal = slurp(wal_path, &wal_len);
	buf = malloc(5 + db_len + wal_len);
	if (!buf)
		abort();
	for (i = 0; i < (raw ? 2u : 1u); i++) {
		buf[0] = variants[i];
		buf[1] = (uint8_t)db_len;
		buf[2] = (uint8_t)(db_len >> 8);
		buf[3] = (uint8_t)(db_len >> 16);
		buf[4] = (uint8_t)(db_len >> 24);
		memcpy(buf + 5, db, db_len);
		memcpy(buf + 5 + db_len, wal, wal_len);
		snprintf(out, sizeof(out), "%s/seed-%s-%s", out_dir, name, suffix[i]);
		fuzz_write_file(out, buf, 5 + db_len + wal_len);
	}
	printf("%s: database %zu bytes, WAL %zu bytes\n", name, db_len, wal_len);
	free(buf);
	free(db);
	free(wal);
}

static void save(const char *name)
{
	save_as(name, 0);
}

static struct rowfs_db *open_db(const struct os *os, int sync)
{
	struct rowfs_config cfg;
	struct rowfs_err err;
	struct rowfs_db *db;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = db_path;
	cfg.sync = sync;
	cfg.os = os;
	if (rowfs_open(&cfg, &db, &err) != ROWFS_OK) {
		fprintf(stderr, "gen_seeds: open: %s\n", err.msg);
		exit(1);
	}
	return db;
}

static int discard(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	(void)text;
	(void)len;
	return 0;
}

/* Run lines (NULL-terminated) as one transaction. */
static void run(struct rowfs_db *db, const char *const *lines)
{
	struct rowfs_err err;
	struct rowfs_txn *txn;

	if (rowfs_txn_begin(db, 0, &txn, &err) != ROWFS_OK)
		goto fail;
	for (; *lines; lines++)
		if (rowfs_exec(txn, *lines, strlen(*lines), discard, NULL, &err) != ROWFS_OK)
			goto fail;
	if (rowfs_txn_commit(txn, &err) != ROWFS_OK)
		goto fail;
	return;
fail:
	fprintf(stderr, "gen_seeds: %s\n", err.msg);
	exit(1);
}

/* Insert ids first, first+step, ... (count of them), one transaction. */
static void insert_range(struct rowfs_db *db, unsigned first, unsigned step, unsigned count)
{
	struct rowfs_err err;
	struct rowfs_txn *txn;
	char line[64];
	unsigned i;

	if (rowfs_txn_begin(db, 0, &txn, &err) != ROWFS_OK)
		goto fail;
	for (i = 0; i < count; i++) {
		int n = snprintf(line, sizeof(line), "insert %u user%u", first + i * step, i);

		if (rowfs_exec(txn, line, (size_t)n, discard, NULL, &err) != ROWFS_OK)
			goto fail;
	}
	if (rowfs_txn_commit(txn, &err) != ROWFS_OK)
		goto fail;
	return;
fail:
	fprintf(stderr, "gen_seeds: %s\n", err.msg);
	exit(1);
}

static void close_db(struct rowfs_db *db)
{
	struct rowfs_err err;

	rowfs_close(db, &err);
}

static void fresh(void)
{
	fuzz_dir_remove_db(&dir, db_path);
}

int main(int argc, char **argv)
{
	static const char *const three[] = {"insert 1 alice", "insert 2 bob", "insert 3 carol",
					    NULL};
	static const char *const names[] = {
		"insert 10 \xc3\xa9t\xc3\xa9", "insert 11 \xe6\x97\xa5\xe6\x9c\xac",
		"insert 12 \xf0\x9f\x98\x80", "insert 13 abcdefghijklmnopqrstuvwxyz012345",
		"insert 4294967295 max", "insert 0 zero", NULL};
	struct failing_os fos;
	struct rowfs_db *db;
	unsigned k;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 2;
	}
	out_dir = argv[1];
	fuzz_dir_init(&dir, "gen_seeds");
	db_path = fuzz_dir_file(&dir, "g.db");

	fresh();
	close_db(open_db(NULL, ROWFS_SYNC_OFF));
	save("empty");

	fresh();
	db = open_db(NULL, ROWFS_SYNC_OFF);
	run(db, three);
	close_db(db);
	save("three-rows");

	fresh();
	db = open_db(NULL, ROWFS_SYNC_OFF);
	run(db, three);
	run(db, names);
	save_as("wal-two-txns", 1);   /* as a crash leaves it: commits in the WAL only */
	close_db(db);
	save("names");

	fresh();
	db = open_db(NULL, ROWFS_SYNC_OFF);
	insert_range(db, 1, 1, 200);
	close_db(db);
	save("depth2");

	fresh();
	db = open_db(NULL, ROWFS_SYNC_OFF);
	insert_range(db, 1000, 7, 120);
	rowfs_checkpoint(db, &(struct rowfs_err){0});
	insert_range(db, 2, 5, 100);
	save_as("depth2-wal", 1);
	close_db(db);

	for (k = 1; k <= 4; k++) {
		char name[32];

		fresh();
		failing_os_init(&fos);
		db = open_db(&fos.os, ROWFS_SYNC_NORMAL);
		insert_range(db, 500, 3, 150);
		fos.calls = 0;
		fos.fail_at = k;
		rowfs_checkpoint(db, &(struct rowfs_err){0});
		snprintf(name, sizeof(name), "ckpt-fsync%u", k);
		save(name);
		close_db(db);
	}

	fresh();
	free(db_path);
	fuzz_dir_release(&dir);
	return 0;
}
