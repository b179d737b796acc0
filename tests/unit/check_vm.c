/*
 * check_vm.c - unit tests of engine/vm.c, compiled and run through the
 * façade (rowfs_exec), the way rowsh and ctl run statements.
 *
 * Owns: the reply texts ("Executed.", select rows, "(empty table)"), the
 * delete and update statements and the log records they write (rowfs(5)), the
 * meta-commands (.constants text, .stats names in the contract's order,
 * .btree, .checkpoint emptying the WAL at commit, .exit), the read-only
 * database (writes refused with EROFS, reads served, files untouched), and
 * every row of the contract's error table: return code, rowfs_errno()
 * value and exact text, with nothing emitted and nothing changed.
 * I/O errors come from a small failing os table defined here.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os.h"
#include "format.h"
#include "rowfs.h"
#include "testutil.h"
#include "vm.h"

/* ---- a failing os table --------------------------------------------------- */

/* Forwards to the real table; fails preads/fsyncs with EIO once armed. */
struct failos {
	struct os os;          /* the table handed to the engine (ctx = this) */
	int fail_pread;        /* fail every pread while set */
	int fail_fsync;        /* fail every fsync while set */
};

static ssize_t fail_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	struct failos *f = ctx;
	const struct os *real = os_default();

	if (f->fail_pread) {
		errno = EIO;
		return -1;
	}
	return real->pread(real->ctx, fd, buf, n, off);
}

static ssize_t fail_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	const struct os *real = os_default();

	(void)ctx;
	return real->pwrite(real->ctx, fd, buf, n, off);
}

static int fail_fsync(void *ctx, int fd)
{
	struct failos *f = ctx;
	const struct os *real = os_default();

	if (f->fail_fsync) {
		errno = EIO;
		return -1;
	}
	return real->fsync(real->ctx, fd);
}

static int fail_ftruncate(void *ctx, int fd, off_t len)
{
	const struct os *real = os_default();

	(void)ctx;
	return real->ftruncate(real->ctx, fd, len);
}

static void failos_init(struct failos *f)
{
	memset(f, 0, sizeof(*f));
	f->os.pread = fail_pread;
	f->os.pwrite = fail_pwrite;
	f->os.fsync = fail_fsync;
	f->os.ftruncate = fail_ftruncate;
	f->os.ctx = f;
}

/* ---- helpers ------------------------------------------------------------ */

static struct rowfs_db *open_cfg(int read_only, const struct os *os)
{
	struct rowfs_config cfg = { .path = tu_db_path, .read_only = read_only, .os = os };

	return tu_open(&cfg);
}

static struct rowfs_db *open_db(void)
{
	return open_cfg(0, NULL);
}

/* Reply of line, run in its own transaction (caller frees); it must emit something. */
static char *reply_of(struct rowfs_db *db, const char *line)
{
	char *text = tu_reply_of(db, line);

	ck_assert_ptr_nonnull(text);
	return text;
}

/*
 * Run line (length len) and require failure with rc, errno and exactly
 * msg; nothing is emitted, the error counter moves by one and the table
 * does not change.
 */
static void expect_error_len(struct rowfs_db *db, const char *line, size_t len, int want_rc,
			     int want_errno, const char *want_msg)
{
	struct rowfs_stats before, after;
	struct rowfs_err err;
	struct tu_buf out = {0};
	char *rows_before, *rows_after;
	int rc;

	rows_before = reply_of(db, "select");
	tu_stats(db, &before);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	rc = tu_exec_len(db, line, len, &out, &err);
	ck_assert_msg(rc == want_rc, "'%.*s': rc %s, want %s (%s)", (int)(len > 60 ? 60 : len),
		      line, rowfs_rc_name(rc), rowfs_rc_name(want_rc), err.msg);
	ck_assert_int_eq(err.rc, want_rc);
	ck_assert_int_eq(rowfs_errno(rc), want_errno);
	ck_assert_str_eq(err.msg, want_msg);
	ck_assert_msg(out.len == 0, "emitted '%s'", out.data);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &after);
	ck_assert_uint_eq(after.errors, before.errors + 1);
	ck_assert_uint_eq(after.statements, before.statements + 1);
	ck_assert_uint_eq(after.rows, before.rows);
	ck_assert_uint_eq(after.commits, before.commits);
	rows_after = reply_of(db, "select");
	ck_assert_str_eq(rows_after, rows_before);
	free(rows_before);
	free(rows_after);
	tu_buf_free(&out);
}

static void expect_error(struct rowfs_db *db, const char *line, int want_rc, int want_errno,
			 const char *want_msg)
{
	expect_error_len(db, line, strlen(line), want_rc, want_errno, want_msg);
}

/* ---- replies -------------------------------------------------------------- */

START_TEST(test_insert_select)
{
	struct rowfs_db *db = open_db();

	tu_expect_reply(db, "select", "(empty table)\n");
	tu_expect_reply(db, "insert 2 bob", "Executed.\n");
	tu_expect_reply(db, "insert 1 alice", "Executed.\n");
	tu_expect_reply(db, "select", "(1, alice)\n(2, bob)\n");
	/* keywords are case-insensitive, leading zeros are fine */
	tu_expect_reply(db, "INSERT 003 Carol", "Executed.\n");
	tu_expect_reply(db, "SeLeCt", "(1, alice)\n(2, bob)\n(3, Carol)\n");
	tu_close(db);

	db = open_db();
	tu_expect_reply(db, "select", "(1, alice)\n(2, bob)\n(3, Carol)\n");
	tu_close(db);
}
END_TEST

START_TEST(test_select_bytes)
{
	struct rowfs_db *db = open_db();

	tu_expect_reply(db, "insert 4294967295 max", "Executed.\n");
	tu_expect_reply(db, "insert 0 zero", "Executed.\n");
	tu_expect_reply(db, "insert 7 caf\xc3\xa9-\xe2\x82\xac.\xf0\x9f\x98\x80_", "Executed.\n");
	tu_expect_reply(db, "insert 8 abcdefghijklmnopqrstuvwxyz012345", "Executed.\n");
	tu_expect_reply(db, "insert 9 12345", "Executed.\n");
	tu_expect_reply(db, "select",
		     "(0, zero)\n"
		     "(7, caf\xc3\xa9-\xe2\x82\xac.\xf0\x9f\x98\x80_)\n"
		     "(8, abcdefghijklmnopqrstuvwxyz012345)\n"
		     "(9, 12345)\n"
		     "(4294967295, max)\n");
	tu_close(db);
}
END_TEST

START_TEST(test_delete_update)
{
	struct rowfs_db *db = open_db();

	tu_expect_reply(db, "insert 1 alice", "Executed.\n");
	tu_expect_reply(db, "insert 2 bob", "Executed.\n");
	tu_expect_reply(db, "insert 3 carol", "Executed.\n");
	tu_expect_reply(db, "delete 2", "Executed.\n");
	tu_expect_reply(db, "update 3 caroline", "Executed.\n");
	tu_expect_reply(db, "UPDATE 1 Alice", "Executed.\n");
	tu_expect_reply(db, "select", "(1, Alice)\n(3, caroline)\n");
	tu_expect_reply(db, "DELETE 1", "Executed.\n");
	tu_expect_reply(db, "delete 3", "Executed.\n");
	tu_expect_reply(db, "select", "(empty table)\n");
	tu_expect_reply(db, "insert 3 back", "Executed.\n");
	tu_close(db);

	db = open_db();
	tu_expect_reply(db, "select", "(3, back)\n");
	tu_close(db);
}
END_TEST

START_TEST(test_multi_statement_transaction)
{
	struct rowfs_db *db = open_db();
	struct rowfs_err err;
	struct tu_buf out = {0};
	int rc;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec_emit(db, "insert 1 a", 10, tu_buf_emit, &out, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec_emit(db, "insert 1 b", 10, tu_buf_emit, &out, &err), ROWFS_DUPLICATE);
	/* a statement error leaves the transaction usable */
	ck_assert_int_eq(tu_exec_emit(db, "insert 2 c", 10, tu_buf_emit, &out, &err), ROWFS_OK);
	rc = tu_exec_emit(db, "select", 6, tu_buf_emit, &out, &err);
	ck_assert_int_eq(rc, ROWFS_OK);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_str_eq(out.data, "Executed.\nExecuted.\n(1, a)\n(2, c)\n");
	tu_buf_free(&out);
	tu_close(db);
}
END_TEST

START_TEST(test_blank_lines)
{
	static const char *const lines[] = {"", " ", "\t", "  \t ", "\r", " \r"};
	struct rowfs_db *db = open_db();
	struct rowfs_stats before, after;
	struct rowfs_err err;
	struct tu_buf out = {0};
	size_t i;

	tu_stats(db, &before);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		ck_assert_int_eq(tu_exec_len(db, lines[i], strlen(lines[i]), &out, &err), ROWFS_OK);
		ck_assert_uint_eq(out.len, 0);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &after);
	ck_assert_uint_eq(after.statements, before.statements);
	ck_assert_uint_eq(after.errors, before.errors);
	/* CRLF: the '\r' is dropped */
	tu_expect_reply(db, "insert 5 eve\r", "Executed.\n");
	tu_expect_reply(db, "select\r", "(5, eve)\n");
	tu_close(db);
}
END_TEST

/* ---- meta-commands -------------------------------------------------------- */

START_TEST(test_constants)
{
	static const char want[] = "PAGE_SIZE: 4096\n"
				   "ROW_SIZE: 36\n"
				   "LEAF_NODE_CELL_SIZE: 40\n"
				   "LEAF_NODE_MAX_CELLS: 102\n"
				   "INTERNAL_NODE_CELL_SIZE: 8\n"
				   "INTERNAL_NODE_MAX_KEYS: 510\n";
	struct rowfs_db *db = open_db();
	struct tu_buf out = {0};

	tu_expect_reply(db, ".constants", want);
	tu_expect_reply(db, ".CONSTANTS", want);
	ck_assert_int_eq(rowfs_render_constants(tu_buf_emit, &out), ROWFS_OK);
	ck_assert_str_eq(out.data, want);
	tu_buf_free(&out);
	tu_close(db);
}
END_TEST

START_TEST(test_stats)
{
	static const char *const names[] = {
		"rows", "depth", "pages", "free_pages", "cache_pages", "cache_hits",
		"cache_misses", "commits", "statements", "errors", "wal_frames", "wal_bytes",
		"checkpoints", "fsyncs", "snapshots", "snapshot_pages", "snapshots_expired",
		"tables",
	};
	const size_t nnames = sizeof(names) / sizeof(names[0]);
	struct rowfs_db *db = open_db();
	unsigned long long values[18];
	struct rowfs_stats st;
	char *text, *line, *save = NULL;
	size_t i = 0;

	ck_assert_uint_eq(nnames, 18);
	tu_expect_reply(db, "insert 1 a", "Executed.\n");
	tu_expect_reply(db, "insert 2 b", "Executed.\n");
	text = reply_of(db, ".stats");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		size_t nlen;
		char *end;

		ck_assert_msg(i < nnames, "extra line '%s'", line);
		nlen = strlen(names[i]);
		ck_assert_msg(strncmp(line, names[i], nlen) == 0 && strncmp(line + nlen, ": ", 2) == 0,
			      "line %zu is '%s', want '%s: N'", i, line, names[i]);
		values[i] = strtoull(line + nlen + 2, &end, 10);
		ck_assert_msg(*end == '\0' && end != line + nlen + 2, "line '%s': bad value", line);
	}
	ck_assert_uint_eq(i, nnames);
	free(text);

	tu_stats(db, &st);
	ck_assert_uint_eq(values[0], 2);                    /* rows */
	ck_assert_uint_eq(values[1], 1);                    /* depth */
	ck_assert_uint_eq(values[2], 2);                    /* pages: header + root leaf */
	ck_assert_uint_eq(values[3], 0);                    /* free_pages */
	ck_assert_uint_eq(values[4], ROWFS_DEFAULT_CACHE_PAGES);
	ck_assert_uint_eq(values[7], 2);                    /* commits */
	ck_assert_uint_eq(values[8], 3);                    /* statements, .stats included */
	ck_assert_uint_eq(values[9], 0);                    /* errors */
	ck_assert_uint_eq(values[10], st.wal_frames);
	ck_assert_uint_eq(values[11], st.wal_bytes);
	ck_assert_uint_eq(values[13], st.fsyncs);
	ck_assert_uint_eq(values[14], 0);                   /* snapshots */
	ck_assert_uint_eq(values[15], 0);                   /* snapshot_pages */
	ck_assert_uint_eq(values[16], 0);                   /* snapshots_expired */
	ck_assert_uint_eq(values[17], 1);                   /* tables: users */

	/* the façade's rendering: the same text (statements do not move; the
	 * cache counters do, as the rendering itself reads the tree) */
	{
		static const char head[] = "rows: 2\ndepth: 1\npages: 2\nfree_pages: 0\n"
					   "cache_pages: 2048\ncache_hits: ";
		struct tu_buf out = {0};
		struct rowfs_err err;

		ck_assert_int_eq(tu_render_stats(db, tu_buf_emit, &out, &err), ROWFS_OK);
		ck_assert_ptr_nonnull(out.data);
		ck_assert_msg(strncmp(out.data, head, sizeof(head) - 1) == 0, "stats '%s'", out.data);
		ck_assert_ptr_nonnull(strstr(out.data, "\ncommits: 2\nstatements: 3\nerrors: 0\n"
						       "wal_frames: 2\n"));
		tu_buf_free(&out);
	}
	tu_close(db);
}
END_TEST

START_TEST(test_btree)
{
	struct rowfs_db *db = open_db();
	struct rowfs_err err;
	struct tu_buf out = {0};
	char line[48], *text;
	int i;

	tu_expect_reply(db, ".btree", "leaf (page 1): 0 cells keys []\n");
	tu_expect_reply(db, "insert 3 c", "Executed.\n");
	tu_expect_reply(db, ".btree", "leaf (page 1): 1 cells keys [3]\n");
	tu_expect_reply(db, "insert 1 a", "Executed.\n");
	tu_expect_reply(db, "insert 2 b", "Executed.\n");
	tu_expect_reply(db, ".btree", "leaf (page 1): 3 cells keys [1..3]\n");
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 4; i <= 200; i++) {
		int len = snprintf(line, sizeof(line), "insert %d u", i);

		ck_assert_int_eq(tu_exec_emit(db, line, (size_t)len, tu_buf_emit, &out, &err), ROWFS_OK);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_buf_free(&out);
	tu_expect_reply(db, ".btree", "internal (page 3): 1 keys [102]\n"
				   "  leaf (page 1): 102 cells keys [1..102]\n"
				   "  leaf (page 2): 98 cells keys [103..200]\n");
	text = reply_of(db, ".BTREE");
	ck_assert_int_eq(tu_render_btree(db, tu_buf_emit, &out, &err), ROWFS_OK);
	ck_assert_str_eq(text, out.data);
	free(text);
	tu_buf_free(&out);
	tu_close(db);
}
END_TEST

START_TEST(test_checkpoint)
{
	struct rowfs_db *db = open_db();
	struct rowfs_stats st;
	struct rowfs_err err;
	struct tu_buf out = {0};
	uint64_t checkpoints;

	tu_expect_reply(db, "insert 1 a", "Executed.\n");
	tu_expect_reply(db, "insert 2 b", "Executed.\n");
	tu_stats(db, &st);
	ck_assert_uint_gt(st.wal_bytes, 32);
	ck_assert_uint_eq(st.wal_frames, 2);
	ck_assert_uint_eq(tu_file_size(tu_wal_path), st.wal_bytes);
	checkpoints = st.checkpoints;

	/* alone in a transaction */
	tu_expect_reply(db, ".checkpoint", "Executed.\n");
	tu_stats(db, &st);
	ck_assert_uint_eq(st.wal_bytes, 32);
	ck_assert_uint_eq(st.wal_frames, 0);
	ck_assert_uint_eq(st.checkpoints, checkpoints + 1);
	ck_assert_uint_eq(tu_file_size(tu_wal_path), 32);

	/* after an insert of the same transaction: the WAL is emptied at commit */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec_len(db, "insert 3 c", 10, &out, &err), ROWFS_OK);
	tu_buf_free(&out);
	ck_assert_int_eq(tu_exec_len(db, ".Checkpoint", 11, &out, &err), ROWFS_OK);
	ck_assert_str_eq(out.data, "Executed.\n");
	tu_buf_free(&out);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &st);
	ck_assert_uint_eq(st.wal_bytes, 32);
	ck_assert_uint_eq(st.wal_frames, 0);
	ck_assert_uint_eq(st.checkpoints, checkpoints + 2);
	ck_assert_uint_eq(tu_file_size(tu_wal_path), 32);
	/* everything is in DBFILE now */
	ck_assert_uint_eq(tu_file_size(tu_db_path), 2 * 4096);
	tu_close(db);

	db = open_db();
	tu_expect_reply(db, "select", "(1, a)\n(2, b)\n(3, c)\n");
	tu_close(db);
}
END_TEST

START_TEST(test_exit)
{
	struct rowfs_db *db = open_db();
	struct rowfs_stats before, after;
	struct rowfs_err err;
	struct tu_buf out = {0};

	tu_stats(db, &before);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec_len(db, ".exit", 5, &out, &err), ROWFS_EXIT);
	ck_assert_uint_eq(out.len, 0);
	ck_assert_int_eq(tu_exec_len(db, ".EXIT", 5, &out, &err), ROWFS_EXIT);
	ck_assert_int_eq(tu_exec_len(db, "  .exit  ", 9, &out, &err), ROWFS_EXIT);
	ck_assert_int_eq(rowfs_errno(ROWFS_EXIT), 0);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &after);
	ck_assert_uint_eq(after.errors, before.errors);
	/* .exit with an argument is an error, not an exit */
	expect_error(db, ".exit now", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected end of line, got STRING at position 6");
	tu_close(db);
}
END_TEST

/* ---- read-only ------------------------------------------------------------ */

START_TEST(test_log_records)
{
	/* one transaction: its TXN frame holds one 40-byte record per change (rowfs(5)) */
	static const struct {
		unsigned char op;
		uint32_t id;
		const char *name;
	} want[] = {
		{ VM_OP_INSERT, 1, "alice" }, { VM_OP_UPDATE, 1, "bob" }, { VM_OP_DELETE, 1, "" },
		{ VM_OP_INSERT, 2, "h\xc3\xa9" },
	};
	struct rowfs_db *db = open_db();
	struct rowfs_err err;
	struct tu_buf out = {0};
	unsigned char *wal, rec[VM_RECORD_SIZE];
	struct row row;
	size_t len, i;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec_len(db, "insert 1 alice", 14, &out, &err), ROWFS_OK);
	tu_buf_free(&out);
	ck_assert_int_eq(tu_exec_len(db, "update 1 bob", 12, &out, &err), ROWFS_OK);
	tu_buf_free(&out);
	/* failed statements log nothing */
	ck_assert_int_eq(tu_exec_len(db, "update 9 x", 10, &out, &err), ROWFS_NOTFOUND);
	tu_buf_free(&out);
	ck_assert_int_eq(tu_exec_len(db, "delete 9", 8, &out, &err), ROWFS_NOTFOUND);
	tu_buf_free(&out);
	ck_assert_int_eq(tu_exec_len(db, "delete 1", 8, &out, &err), ROWFS_OK);
	tu_buf_free(&out);
	ck_assert_int_eq(tu_exec_len(db, "insert 2 h\xc3\xa9", 12, &out, &err), ROWFS_OK);
	tu_buf_free(&out);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);

	/* header (32), frame header (16), 4 records, checksums (8) */
	wal = tu_read_file(tu_wal_path, &len);
	ck_assert_uint_eq(len, 32 + 16 + 4 * VM_RECORD_SIZE + 8);
	ck_assert_uint_eq(tu_le32(wal + 32), 1);                    /* TXN */
	ck_assert_uint_eq(tu_le32(wal + 36), 4 * VM_RECORD_SIZE);   /* payload length */
	for (i = 0; i < 4; i++) {
		const unsigned char *r = wal + 48 + i * VM_RECORD_SIZE;
		size_t n = strlen(want[i].name), j;

		ck_assert_uint_eq(r[0], want[i].op);
		ck_assert(r[1] == 0 && r[2] == 0 && r[3] == 0);
		ck_assert_uint_eq(tu_le32(r + 4), want[i].id);
		ck_assert(memcmp(r + 8, want[i].name, n) == 0);
		for (j = 8 + n; j < VM_RECORD_SIZE; j++)
			ck_assert_msg(r[j] == 0, "record %zu: byte %zu is %u", i, j, r[j]);
		ck_assert_int_eq(vm_record_check(r, &row), ROWFS_OK);
		ck_assert_uint_eq(row.id, want[i].id);
		ck_assert_uint_eq(row.username_len, n);
	}
	tu_close(db);

	/* what makes a record corrupt */
	memcpy(rec, wal + 48 + 2 * VM_RECORD_SIZE, VM_RECORD_SIZE);   /* the delete */
	rec[8] = 'x';                                                  /* a name byte */
	ck_assert_int_eq(vm_record_check(rec, &row), ROWFS_CORRUPT);
	rec[8] = 0;
	rec[VM_RECORD_SIZE - 1] = 1;
	ck_assert_int_eq(vm_record_check(rec, &row), ROWFS_CORRUPT);
	rec[VM_RECORD_SIZE - 1] = 0;
	ck_assert_int_eq(vm_record_check(rec, &row), ROWFS_OK);
	rec[2] = 1;                                                    /* padding */
	ck_assert_int_eq(vm_record_check(rec, &row), ROWFS_CORRUPT);
	rec[2] = 0;
	rec[0] = VM_OP_UPDATE;                                         /* an update needs a name */
	ck_assert_int_eq(vm_record_check(rec, &row), ROWFS_CORRUPT);
	rec[0] = 4;                                                    /* no such op */
	ck_assert_int_eq(vm_record_check(rec, &row), ROWFS_CORRUPT);
	rec[0] = 0;
	ck_assert_int_eq(vm_record_check(rec, &row), ROWFS_CORRUPT);
	free(wal);
}
END_TEST

START_TEST(test_read_only)
{
	struct rowfs_db *db = open_db();
	unsigned char *db_before, *wal_before, *db_after, *wal_after;
	size_t db_len, wal_len, len;
	struct rowfs_err err;
	struct tu_buf out = {0};
	char *text;

	tu_expect_reply(db, "insert 1 alice", "Executed.\n");
	tu_expect_reply(db, "insert 2 bob", "Executed.\n");
	tu_close(db);
	db_before = tu_read_file(tu_db_path, &db_len);
	wal_before = tu_read_file(tu_wal_path, &wal_len);

	db = open_cfg(1, NULL);
	ck_assert(rowfs_is_read_only(db));
	expect_error(db, "insert 3 carol", ROWFS_READONLY, EROFS, "Error: read-only database");
	expect_error(db, ".checkpoint", ROWFS_READONLY, EROFS, "Error: read-only database");
	/* a duplicate is still a write: read-only is reported first */
	expect_error(db, "insert 1 alice", ROWFS_READONLY, EROFS, "Error: read-only database");
	/* delete and update too, whether or not the key exists */
	expect_error(db, "delete 1", ROWFS_READONLY, EROFS, "Error: read-only database");
	expect_error(db, "delete 9", ROWFS_READONLY, EROFS, "Error: read-only database");
	expect_error(db, "update 2 x", ROWFS_READONLY, EROFS, "Error: read-only database");
	expect_error(db, "update 9 x", ROWFS_READONLY, EROFS, "Error: read-only database");
	/* statement errors keep their own texts */
	expect_error(db, "insert 3 a@b", ROWFS_TOKEN, EINVAL,
		     "Token error: Unexpected character '@' at position 10");
	tu_expect_reply(db, "select", "(1, alice)\n(2, bob)\n");
	tu_expect_reply(db, ".btree", "leaf (page 1): 2 cells keys [1..2]\n");
	text = reply_of(db, ".stats");
	ck_assert_ptr_nonnull(strstr(text, "rows: 2\n"));
	free(text);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec_len(db, ".exit", 5, &out, &err), ROWFS_EXIT);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	tu_close(db);

	db_after = tu_read_file(tu_db_path, &len);
	ck_assert_uint_eq(len, db_len);
	ck_assert(memcmp(db_before, db_after, len) == 0);
	wal_after = tu_read_file(tu_wal_path, &len);
	ck_assert_uint_eq(len, wal_len);
	ck_assert(memcmp(wal_before, wal_after, len) == 0);
	free(db_before);
	free(wal_before);
	free(db_after);
	free(wal_after);
}
END_TEST

/* ---- the contract's error table ----------------------------------------- */

START_TEST(test_statement_errors)
{
	struct rowfs_db *db = open_db();
	char *line;

	tu_expect_reply(db, "insert 42 alice", "Executed.\n");
	expect_error(db, "insert 1 a@b", ROWFS_TOKEN, EINVAL,
		     "Token error: Unexpected character '@' at position 10");
	expect_error(db, "insert 1 #", ROWFS_TOKEN, EINVAL,
		     "Token error: Unexpected character '#' at position 9");
	expect_error(db, "insert x alice", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected INTEGER, got STRING at position 7");
	expect_error(db, "insert", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected INTEGER, got EOF at position 6");
	expect_error(db, "insert 1", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected STRING, got EOF at position 8");
	expect_error(db, "insert -1 a", ROWFS_RANGE, EINVAL,
		     "Parse error: Row id must be non-negative");
	expect_error(db, "insert 4294967296 a", ROWFS_RANGE, EINVAL,
		     "Parse error: Row id out of range");
	expect_error(db, "insert 99999999999999999999999 a", ROWFS_RANGE, EINVAL,
		     "Parse error: Row id out of range");
	expect_error(db, "drop table", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected INSERT, SELECT, or meta-command");
	expect_error(db, "inserted 1 a", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected INSERT, SELECT, or meta-command");
	expect_error(db, ".drop", ROWFS_META, EINVAL, "Unrecognized meta-command: .drop");
	expect_error(db, "select x", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected end of line, got STRING at position 7");
	expect_error(db, "insert 1 a b", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected end of line, got STRING at position 11");
	expect_error(db, "insert 42 bob", ROWFS_DUPLICATE, EEXIST, "Error: duplicate key 42.");
	expect_error(db, "insert 042 alice", ROWFS_DUPLICATE, EEXIST, "Error: duplicate key 42.");
	expect_error(db, "insert 1 abcdefghijklmnopqrstuvwxyz0123456", ROWFS_TOOLONG, EINVAL,
		     "Error: username too long (33 > 32)");
	expect_error_len(db, "insert 1 a\0b", 12, ROWFS_SYNTAX, EINVAL, "Parse error: NUL byte");
	/* delete and update */
	expect_error(db, "delete 7", ROWFS_NOTFOUND, ENOENT, "Error: no such key 7.");
	expect_error(db, "update 7 x", ROWFS_NOTFOUND, ENOENT, "Error: no such key 7.");
	expect_error(db, "delete 0043", ROWFS_NOTFOUND, ENOENT, "Error: no such key 43.");
	expect_error(db, "delete", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected INTEGER, got EOF at position 6");
	expect_error(db, "delete 42 x", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected end of line, got STRING at position 10");
	expect_error(db, "delete -1", ROWFS_RANGE, EINVAL,
		     "Parse error: Row id must be non-negative");
	expect_error(db, "update 42", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected STRING, got EOF at position 9");
	expect_error(db, "update 42 abcdefghijklmnopqrstuvwxyz0123456", ROWFS_TOOLONG, EINVAL,
		     "Error: username too long (33 > 32)");

	/* longer than 4 MiB */
	line = malloc(MAX_LINE_SIZE + 1);
	ck_assert_ptr_nonnull(line);
	memset(line, ' ', MAX_LINE_SIZE + 1);
	memcpy(line, "select", 6);
	expect_error_len(db, line, MAX_LINE_SIZE + 1, ROWFS_SYNTAX, EINVAL,
			 "Parse error: line too long");
	/* exactly 4 MiB is fine */
	{
		struct rowfs_err err;
		struct tu_buf out = {0};

		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		ck_assert_int_eq(tu_exec_len(db, line, MAX_LINE_SIZE, &out, &err), ROWFS_OK);
		ck_assert_str_eq(out.data, "(42, alice)\n");
		tu_buf_free(&out);
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	}
	free(line);
	tu_close(db);
}
END_TEST

START_TEST(test_io_errors)
{
	struct failos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	struct tu_buf out = {0};
	int rc, i;

	/* 300 rows on disk, so a fresh handle must read pages */
	db = open_db();
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 1; i <= 300; i++) {
		char line[32];
		int len = snprintf(line, sizeof(line), "insert %d u%d", i, i);

		ck_assert_int_eq(tu_exec_len(db, line, (size_t)len, &out, &err), ROWFS_OK);
		tu_buf_free(&out);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_close(db);

	failos_init(&fo);
	db = open_cfg(0, &fo.os);

	/* a failing read during a statement */
	fo.fail_pread = 1;
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	rc = tu_exec_len(db, "select", 6, &out, &err);
	ck_assert_int_eq(rc, ROWFS_IOERR);
	ck_assert_int_eq(err.rc, ROWFS_IOERR);
	ck_assert_int_eq(rowfs_errno(rc), EIO);
	ck_assert_msg(strncmp(err.msg, "Error: I/O error: ", 18) == 0, "message '%s'", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "Input/output error"));
	tu_buf_free(&out);
	fo.fail_pread = 0;
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);

	/* a failing fsync at commit */
	fo.fail_fsync = 1;
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec_len(db, "insert 1000 x", 13, &out, &err), ROWFS_OK);
	tu_buf_free(&out);
	memset(&err, 0, sizeof(err));
	rc = tu_commit(db, &err);
	ck_assert_int_eq(rc, ROWFS_IOERR);
	ck_assert_int_eq(rowfs_errno(rc), EIO);
	ck_assert_msg(strncmp(err.msg, "Error: I/O error: ", 18) == 0, "message '%s'", err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "fsync"));
	fo.fail_fsync = 0;

	/* the engine recovers at the next begin; the failed commit is not there */
	tu_expect_reply(db, "insert 1001 y", "Executed.\n");
	{
		char *text = reply_of(db, "select");

		ck_assert_ptr_null(strstr(text, "(1000, x)"));
		ck_assert_ptr_nonnull(strstr(text, "(300, u300)\n(1001, y)\n"));
		free(text);
	}
	tu_close(db);
}
END_TEST

START_TEST(test_errno_table)
{
	ck_assert_int_eq(rowfs_errno(ROWFS_OK), 0);
	ck_assert_int_eq(rowfs_errno(ROWFS_TOKEN), EINVAL);
	ck_assert_int_eq(rowfs_errno(ROWFS_SYNTAX), EINVAL);
	ck_assert_int_eq(rowfs_errno(ROWFS_RANGE), EINVAL);
	ck_assert_int_eq(rowfs_errno(ROWFS_TOOLONG), EINVAL);
	ck_assert_int_eq(rowfs_errno(ROWFS_META), EINVAL);
	ck_assert_int_eq(rowfs_errno(ROWFS_DUPLICATE), EEXIST);
	ck_assert_int_eq(rowfs_errno(ROWFS_NOTFOUND), ENOENT);
	ck_assert_int_eq(rowfs_errno(ROWFS_IOERR), EIO);
	ck_assert_int_eq(rowfs_errno(ROWFS_CORRUPT), EIO);
	ck_assert_int_eq(rowfs_errno(ROWFS_READONLY), EROFS);
	ck_assert_int_eq(rowfs_errno(ROWFS_FULL), ENOSPC);
	ck_assert_int_eq(rowfs_errno(ROWFS_NOMEM), ENOMEM);
	ck_assert_str_eq(rowfs_rc_name(ROWFS_DUPLICATE), "ROWFS_DUPLICATE");
}
END_TEST

static Suite *vm_suite(void)
{
	Suite *s = suite_create("vm");
	TCase *tc;

	tc = tcase_create("replies");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_insert_select);
	tcase_add_test(tc, test_select_bytes);
	tcase_add_test(tc, test_delete_update);
	tcase_add_test(tc, test_log_records);
	tcase_add_test(tc, test_multi_statement_transaction);
	tcase_add_test(tc, test_blank_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("meta");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_constants);
	tcase_add_test(tc, test_stats);
	tcase_add_test(tc, test_btree);
	tcase_add_test(tc, test_checkpoint);
	tcase_add_test(tc, test_exit);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_read_only);
	tcase_add_test(tc, test_statement_errors);
	tcase_add_test(tc, test_io_errors);
	tcase_add_test(tc, test_errno_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_vm", vm_suite());
}
