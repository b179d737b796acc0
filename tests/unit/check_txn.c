/*
 * check_txn.c - explicit transactions (the statements begin, commit and
 * rollback) through rowfs.h.
 *
 * Owns:
 *   - the statements' spellings and error texts (begin/commit/end/rollback
 *     [transaction], "cannot start a transaction within a transaction",
 *     "cannot commit/rollback - no transaction is active", parse errors);
 *   - rollback of a long transaction (thousands of inserts with splits and
 *     new pages, deletes that free pages) restoring exactly the committed
 *     state from the base images, without a reload; rollback of an empty
 *     one; rowfs_txn_abort; rowfs_close with an open transaction;
 *   - durability with the fault-injecting OS (faultos): a power cut or a
 *     crash at every I/O of a large explicit transaction's commit leaves all
 *     of it or none of it; an I/O error during a statement leaves the
 *     transaction FAILED until `rollback`, with nothing of it visible;
 *   - the change feed: each commit's lines exactly once, in order, with the
 *     right seq, nothing for rolled-back or failed transactions, a commit of
 *     5,000 statements in whole-line chunks with `last` on the final one.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faultos.h"
#include "rowfs.h"
#include "testutil.h"

/* ---- helpers -------------------------------------------------------------- */

static struct rowfs_db *open_db(uint32_t cache_pages, const struct os *os)
{
	struct rowfs_config cfg = { .path = tu_db_path, .cache_pages = cache_pages,
				    .sync = ROWFS_SYNC_FULL, .os = os };

	return tu_open(&cfg);
}

/* Run line in the open unit; it must succeed and reply "Executed.". */
static void exec_ok(struct rowfs_db *db, const char *line)
{
	struct rowfs_err err;
	int rc = tu_exec_emit(db, line, strlen(line), tu_expect_executed, NULL, &err);

	ck_assert_msg(rc == ROWFS_OK, "'%s': rc %d '%s'", line, rc, err.msg);
}

/* Run line in the open unit; it must fail with rc and exactly msg, emitting nothing. */
static void exec_fails(struct rowfs_db *db, const char *line, int rc, const char *msg)
{
	struct tu_buf out = { 0 };
	struct rowfs_err err;
	int got = tu_exec(db, line, &out, &err);

	ck_assert_msg(got == rc && strcmp(err.msg, msg) == 0 && out.len == 0,
		      "'%s': rc %d '%s', want %d '%s'", line, got, err.msg, rc, msg);
	tu_buf_free(&out);
}

/* One unit: begin, the statements fmt(id, id) for id in [from, to), commit. */
static void unit_range(struct rowfs_db *db, const char *fmt, uint32_t from, uint32_t to,
		       uint32_t step)
{
	struct rowfs_err err;
	char line[96];
	uint32_t id;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (id = from; id < to; id += step) {
		snprintf(line, sizeof(line), fmt, id, id);
		REQUIRE(tu_exec_emit(db, line, strlen(line), tu_expect_executed, NULL, &err) ==
				ROWFS_OK, "'%s': %s", line, err.msg);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
}

/* One unit of a single statement that must succeed. */
static void unit_one(struct rowfs_db *db, const char *line)
{
	struct rowfs_err err;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, line);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
}

/* Scan the whole table, and report the cache misses it cost. */
static uint64_t misses_of_scan(struct rowfs_db *db)
{
	struct rowfs_stats before, after;
	char *text;

	tu_stats(db, &before);
	text = tu_table_text(db);
	free(text);
	tu_stats(db, &after);
	return after.cache_misses - before.cache_misses;
}

/* rowfs_row_fn: append "id=name " (tu_table_text's form) to the struct tu_buf ctx. */
static int text_row(void *ctx, uint32_t id, const char *name, size_t len)
{
	char pair[64];
	int n = snprintf(pair, sizeof(pair), "%u=%.*s ", id, (int)len, name);

	return tu_buf_emit(ctx, pair, (size_t)n);
}

/* ---- 1. statements -------------------------------------------------------- */

START_TEST(test_statements)
{
	struct rowfs_db *db = open_db(0, NULL);
	struct rowfs_err err;
	char *text;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_NONE);
	exec_fails(db, "commit", ROWFS_TXN, "Error: cannot commit - no transaction is active");
	exec_fails(db, "END", ROWFS_TXN, "Error: cannot commit - no transaction is active");
	exec_fails(db, "rollback", ROWFS_TXN, "Error: cannot rollback - no transaction is active");
	exec_fails(db, "Rollback Transaction", ROWFS_TXN,
		   "Error: cannot rollback - no transaction is active");
	exec_fails(db, "begin x", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got STRING at position 6");
	exec_fails(db, "begin transaction now", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got STRING at position 18");
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_NONE);

	exec_ok(db, "begin transaction");
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_OPEN);
	exec_fails(db, "begin", ROWFS_TXN, "Error: cannot start a transaction within a transaction");
	exec_fails(db, "BEGIN TRANSACTION", ROWFS_TXN,
		   "Error: cannot start a transaction within a transaction");
	exec_ok(db, "insert 1 one");
	exec_fails(db, "insert 1 again", ROWFS_DUPLICATE, "Error: duplicate key 1.");
	exec_fails(db, "commit x", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got STRING at position 7");
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_OPEN);
	exec_ok(db, "END");
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_NONE);

	exec_ok(db, "BEGIN");
	exec_ok(db, "insert 2 two");
	exec_ok(db, "Rollback Transaction");
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_NONE);
	exec_ok(db, "Begin Transaction");
	exec_ok(db, "insert 3 three");
	exec_ok(db, "commit transaction");
	exec_ok(db, "begin");
	exec_ok(db, "end transaction");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	text = tu_table_text(db);
	ck_assert_str_eq(text, "1=one 3=three ");
	free(text);
	tu_close(db);
}
END_TEST

/* ---- 2. rollback of a long transaction ------------------------------------ */

START_TEST(test_long_rollback)
{
	struct rowfs_db *db = open_db(0, NULL);
	struct rowfs_txn *snap;
	struct rowfs_stats before, after;
	struct rowfs_err err;
	char *committed, *text, line[64];
	uint32_t id;

	/* a two-level tree with room in it: ids 0, 3, 6, ... */
	unit_range(db, "insert %u c%u", 0, 9000, 3);
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_OK);   /* an empty WAL */
	committed = tu_table_text(db);
	tu_stats(db, &before);
	ck_assert_uint_ge(before.depth, 2);
	ck_assert_uint_eq(misses_of_scan(db), 0);    /* the whole tree is cached */

	/* thousands of statements over several units: splits, new pages, freed pages */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "begin");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &snap, &err), ROWFS_OK);
	unit_range(db, "insert %u n%u", 1, 9000, 3);             /* every leaf splits */
	unit_range(db, "insert %u m%u", 20000, 26000, 1);        /* new pages at the end */
	unit_range(db, "delete %u", 0, 4500, 3);                 /* leaves emptied and freed */
	unit_range(db, "delete %u", 1, 4500, 3);
	unit_range(db, "update %u u%u", 6000, 9000, 3);
	tu_stats(db, &after);
	ck_assert_uint_gt(after.pages, before.pages);
	ck_assert_uint_gt(after.free_pages, before.free_pages);
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_OPEN);
	/* the owner's tree is consistent too: its new pages are the open transaction's */
	tu_require_clean(db, "inside the transaction");

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "rollback");
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_NONE);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);

	/* exactly the committed state, from the base images: nothing was re-read */
	ck_assert_uint_eq(misses_of_scan(db), 0);
	text = tu_table_text(db);
	ck_assert_str_eq(text, committed);
	free(text);
	tu_stats(db, &after);
	ck_assert_uint_eq(after.pages, before.pages);
	ck_assert_uint_eq(after.free_pages, before.free_pages);
	ck_assert_uint_eq(after.rows, before.rows);
	ck_assert_uint_eq(after.depth, before.depth);
	tu_require_clean(db, "after the rollback");
	/* the snapshot taken inside it still shows the committed state */
	tu_require_clean(db, NULL);
	{
		struct tu_buf out = { 0 };
		uint64_t problems;

		ck_assert_int_eq(rowfs_check(snap, tu_buf_emit, &out, &problems, &err),
				 ROWFS_OK);
		ck_assert_msg(problems == 0, "check_at: %s", out.data);
		tu_buf_free(&out);
	}
	rowfs_txn_abort(snap);

	/* still writable, and the pages it had allocated are allocated again */
	unit_range(db, "insert %u w%u", 1, 3000, 3);
	unit_range(db, "delete %u", 0, 3000, 3);
	tu_require_clean(db, "written after the rollback");
	tu_close(db);
	db = open_db(0, NULL);
	for (id = 1; id < 3000; id += 3)
		snprintf(line, sizeof(line), "%u=w%u ", id, id);
	text = tu_table_text(db);
	ck_assert_ptr_nonnull(strstr(text, line));
	ck_assert_ptr_null(strstr(text, "n1 "));
	free(text);
	tu_require_clean(db, "reopened");
	free(committed);
	tu_close(db);
}
END_TEST

START_TEST(test_rollback_of_nothing_and_abort)
{
	struct rowfs_db *db = open_db(0, NULL);
	struct rowfs_err err;
	char *text;

	unit_range(db, "insert %u a%u", 0, 500, 1);
	/* a transaction that did nothing, or only failed statements */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "begin");
	exec_ok(db, "rollback");
	exec_ok(db, "begin");
	exec_fails(db, "insert 7 x", ROWFS_DUPLICATE, "Error: duplicate key 7.");
	exec_fails(db, "delete 900", ROWFS_NOTFOUND, "Error: no such key 900.");
	exec_ok(db, "rollback");
	exec_ok(db, "begin");
	exec_ok(db, "commit");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_uint_eq(rowfs_last_seq(db), 1);

	/* rowfs_txn_abort: rolls back and ends it; without one it does nothing */
	ck_assert_int_eq(tu_txn_abort(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "begin");
	exec_ok(db, "insert 1000 gone");
	exec_ok(db, "delete 3");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	unit_range(db, "insert %u g%u", 2000, 4000, 1);
	ck_assert_int_eq(tu_txn_abort(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_NONE);
	ck_assert_uint_eq(rowfs_last_seq(db), 1);
	text = tu_table_text(db);
	ck_assert_ptr_nonnull(strstr(text, " 3=a3 "));
	ck_assert_ptr_null(strstr(text, "gone"));
	ck_assert_ptr_null(strstr(text, "g2000"));
	free(text);
	tu_require_clean(db, "after rowfs_txn_abort");
	unit_one(db, "insert 1000 kept");

	/* rowfs_close with an open explicit transaction rolls it back */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "begin");
	exec_ok(db, "delete 1000");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	unit_range(db, "insert %u h%u", 5000, 8000, 1);
	tu_close(db);
	db = open_db(0, NULL);
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_NONE);
	ck_assert_uint_eq(rowfs_last_seq(db), 2);
	text = tu_table_text(db);
	ck_assert_ptr_nonnull(strstr(text, " 1000=kept "));
	ck_assert_ptr_null(strstr(text, "h5000"));
	free(text);
	tu_require_clean(db, "reopened");
	tu_close(db);
}
END_TEST

/* The committed state is not readable inside an implicit unit that changed rows. */
START_TEST(test_no_snapshot_inside_a_dirty_unit)
{
	struct rowfs_db *db = open_db(0, NULL);
	struct rowfs_txn *snap = NULL, *reader = NULL;
	struct rowfs_err err;
	int found = 0;
	char name[ROWFS_USERNAME_MAX];
	size_t len = 0;

	unit_range(db, "insert %u a%u", 0, 10, 1);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "insert 20 uncommitted");
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &snap, &err), ROWFS_BUSY);
	ck_assert_ptr_null(snap);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	/* a clean unit, and an explicit transaction, are fine */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &snap, &err), ROWFS_OK);
	exec_ok(db, "begin");
	exec_ok(db, "insert 21 pending");
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, &err), ROWFS_OK);
	ck_assert_int_eq(tu_get_txn(reader, 21, &found, name, &len, &err), ROWFS_OK);
	ck_assert_int_eq(found, 0);
	rowfs_txn_abort(reader);
	ck_assert_int_eq(tu_get_txn(snap, 5, &found, name, &len, &err), ROWFS_OK);
	ck_assert_int_eq(found, 1);
	exec_ok(db, "rollback");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	rowfs_txn_abort(snap);
	tu_close(db);
}
END_TEST

/* rowfs_txn_boundaries moves on each begin/commit/rollback that succeeds, on nothing else. */
START_TEST(test_boundaries)
{
	struct rowfs_db *db = open_db(0, NULL);
	struct rowfs_err err;

	ck_assert_uint_eq(tu_txn_boundaries(db), 0);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "insert 1 a");
	ck_assert_uint_eq(tu_txn_boundaries(db), 0);
	exec_ok(db, "begin");
	ck_assert_uint_eq(tu_txn_boundaries(db), 1);
	exec_fails(db, "begin", ROWFS_TXN, "Error: cannot start a transaction within a transaction");
	exec_fails(db, "insert 1 b", ROWFS_DUPLICATE, "Error: duplicate key 1.");
	ck_assert_uint_eq(tu_txn_boundaries(db), 1);
	exec_ok(db, "commit");
	exec_fails(db, "commit", ROWFS_TXN, "Error: cannot commit - no transaction is active");
	exec_ok(db, "begin");
	exec_ok(db, "rollback");
	ck_assert_uint_eq(tu_txn_boundaries(db), 4);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_close(db);
}
END_TEST

/* A checkpoint before any change, then a rollback: the header's checkpoint fields stay. */
START_TEST(test_rollback_after_checkpoint)
{
	struct rowfs_db *db = open_db(0, NULL);
	struct rowfs_err err;

	unit_range(db, "insert %u a%u", 0, 300, 1);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "begin");
	exec_ok(db, ".checkpoint");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "insert 1000 x");
	exec_ok(db, "rollback");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	unit_one(db, "insert 1001 y");
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_OK);
	tu_require_clean(db, "after the rollback");
	tu_close(db);
	db = open_db(0, NULL);
	tu_require_clean(db, "reopened");
	ck_assert_uint_eq(rowfs_last_seq(db), 2);
	tu_close(db);
}
END_TEST

/* ---- 3. durability -------------------------------------------------------- */

#define BASE_ROWS 2000u     /* committed before the transaction: ids 0, 2, 4, ... */
#define TXN_ROWS 3000u      /* the transaction's inserts: odd ids, then 10000.. */

/* The transaction: inserts over several units, some deletes of base rows. */
static void big_transaction(struct rowfs_db *db)
{
	struct rowfs_err err;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "begin");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	unit_range(db, "insert %u t%u", 1, 2 * BASE_ROWS, 2);
	unit_range(db, "insert %u t%u", 10000, 10000 + TXN_ROWS - BASE_ROWS, 1);
	unit_range(db, "delete %u", 0, 1000, 2);
}

static char *base_text, *all_text;   /* the table without and with the transaction */

/* The database with the base rows committed and checkpointed, saved as base.db. */
static void make_base(void)
{
	struct rowfs_db *db = open_db(16, NULL);

	unit_range(db, "insert %u b%u", 0, 2 * BASE_ROWS, 2);
	free(base_text);
	base_text = tu_table_text(db);
	tu_close(db);
	tu_copy_file(tu_db_path, tu_path("base.db"));
	ck_assert_int_lt(tu_try_file_size(tu_wal_path), 4096);
	if (tu_try_file_size(tu_wal_path) >= 0)
		tu_copy_file(tu_wal_path, tu_path("base.db-wal"));
}

static void restore_base(void)
{
	tu_copy_file(tu_path("base.db"), tu_db_path);
	if (tu_try_file_size(tu_path("base.db-wal")) >= 0)
		tu_copy_file(tu_path("base.db-wal"), tu_wal_path);
	else
		unlink(tu_wal_path);
}

/* After a reboot: the table is all of the transaction or none of it, and clean. */
static int verify_all_or_none(const char *when)
{
	struct rowfs_db *db = open_db(16, NULL);
	char *text = tu_table_text(db);
	int all = strcmp(text, all_text) == 0;

	ck_assert_msg(all || strcmp(text, base_text) == 0,
		      "%s: the table is neither before nor after the transaction (%zu bytes; "
		      "before %zu, after %zu)", when, strlen(text), strlen(base_text),
		      strlen(all_text));
	free(text);
	tu_require_clean(db, when);
	tu_close(db);
	return all;
}

/*
 * One trial: the big transaction through fo; at its `commit`, a power cut
 * (powerloss) or a crash (writes so far reach the file) before the nth
 * pwrite/fsync/ftruncate.  Returns 1 if the transaction survived.
 */
static int cut_trial(unsigned n, int powerloss)
{
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	char when[96];
	int rc, all;

	restore_base();
	faultos_init(&fo);
	if (powerloss)
		faultos_powerloss_begin(&fo);
	db = open_db(16, &fo.os);
	big_transaction(db);
	faultos_power_cut_at(&fo, n);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	rc = tu_exec_emit(db, "commit", 6, tu_discard, NULL, &err);
	tu_commit(db, &err);
	tu_close_rc(db, &err);
	faultos_release(&fo);
	snprintf(when, sizeof(when), "%s before I/O %u of the commit",
		 powerloss ? "power cut" : "crash", n);
	all = verify_all_or_none(when);
	/* acknowledged with fsync done: it must be there */
	if (rc == ROWFS_OK && powerloss)
		ck_assert_msg(all, "%s: commit acknowledged, transaction lost", when);
	return all;
}

START_TEST(test_commit_cut_at_every_io)
{
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	uint64_t ios;
	unsigned n, survived = 0, lost = 0, trials = 0;
	int powerloss;

	make_base();
	/* a clean run: the state after, and how many I/O calls the commit makes */
	restore_base();
	faultos_init(&fo);
	db = open_db(16, &fo.os);
	big_transaction(db);
	ios = fo.pwrites + fo.fsyncs + fo.ftruncates;
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "commit");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ios = fo.pwrites + fo.fsyncs + fo.ftruncates - ios;
	free(all_text);
	all_text = tu_table_text(db);
	tu_close(db);
	faultos_release(&fo);
	ck_assert_uint_ge(ios, 2);

	for (powerloss = 0; powerloss < 2; powerloss++)
		for (n = 1; n <= ios + 1; n++) {
			if (cut_trial(n, powerloss))
				survived++;
			else
				lost++;
			trials++;
		}
	fprintf(stderr, "check_txn: commit of %u statements cut at each of its %llu I/O calls: "
		"%u trials, %u kept all of it, %u none\n", TXN_ROWS + BASE_ROWS / 4,
		(unsigned long long)ios, trials, survived, lost);
	ck_assert_uint_gt(survived, 0);
	ck_assert_uint_gt(lost, 0);
	free(base_text);
	free(all_text);
	base_text = all_text = NULL;
}
END_TEST

/*
 * An I/O error (a failed read) during a statement of an explicit
 * transaction: that statement fails with ROWFS_IOERR, the transaction is
 * rolled back and FAILED; every later statement fails until `rollback`
 * (or `commit`, which reports the failure); nothing of it is visible and
 * the database works afterwards.  Tried at every read of the transaction.
 */
START_TEST(test_io_error_fails_the_transaction)
{
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_txn *snap;
	struct rowfs_err err;
	struct tu_buf out = { 0 };
	char *text, line[64];
	unsigned n, failed_at = 0, trials = 0;
	uint32_t id;
	int rc;

	make_base();
	for (n = 1; n < 200; n += n < 20 ? 1 : 7) {
		restore_base();
		faultos_init(&fo);
		db = open_db(16, &fo.os);
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		exec_ok(db, "begin");
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
		ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &snap, &err), ROWFS_OK);
		faultos_fail_read_at(&fo, n, EIO, 0);
		rc = ROWFS_OK;
		failed_at = 0;
		for (id = 1; id < 4000 && rc == ROWFS_OK; id += 2) {
			/* units of 10 statements, as ctl writes would be */
			if (id % 20 == 1)
				ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
			snprintf(line, sizeof(line), id % 6 == 1 ? "delete %u" : "insert %u x%u",
				 id - (id % 6 == 1), id);
			rc = tu_exec_emit(db, line, strlen(line), tu_discard, NULL, &err);
			if (rc == ROWFS_OK && id % 20 == 19)
				ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
			if (rc)
				failed_at = id;
		}
		if (!failed_at) {
			/* no read failed: every page was cached */
			rowfs_txn_abort(snap);
			tu_txn_abort(db, &err);
			tu_close(db);
			faultos_release(&fo);
			break;
		}
		trials++;
		ck_assert_msg(rc == ROWFS_IOERR, "read %u: rc %d '%s'", n, rc, err.msg);
		ck_assert_msg(strncmp(err.msg, "Error: I/O error: ", 18) == 0, "'%s'", err.msg);
		ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_FAILED);
		/* the caller rolls its unit back; the transaction stays FAILED */
		ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
		ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_FAILED);
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		exec_fails(db, "insert 99999 later", ROWFS_TXN,
			   "Error: the transaction was rolled back after an error; "
			   "end it with rollback");
		exec_fails(db, "select", ROWFS_TXN,
			   "Error: the transaction was rolled back after an error; "
			   "end it with rollback");
		exec_fails(db, "begin", ROWFS_TXN,
			   "Error: cannot start a transaction within a transaction");
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
		ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_FAILED);
		/* nothing of it is visible, to the owner or through a snapshot */
		text = tu_table_text(db);
		ck_assert_str_eq(text, base_text);
		free(text);
		out.len = 0;
		ck_assert_int_eq(tu_scan_txn(snap, 0, text_row, &out, &err), ROWFS_OK);
		ck_assert_str_eq(out.data, base_text);
		rowfs_txn_abort(snap);
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		if (n % 2)
			exec_ok(db, "rollback");
		else
			exec_fails(db, "commit", ROWFS_IOERR,
				   "Error: I/O error: the transaction was rolled back after an "
				   "earlier error");
		ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_NONE);
		exec_ok(db, "insert 99999 after");
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
		tu_require_clean(db, "after the failed transaction");
		tu_close(db);
		faultos_release(&fo);
		db = open_db(16, NULL);
		text = tu_table_text(db);
		ck_assert_uint_eq(strlen(text), strlen(base_text) + strlen("99999=after "));
		ck_assert_ptr_nonnull(strstr(text, "99999=after "));
		ck_assert_ptr_null(strstr(text, "=x"));
		free(text);
		tu_require_clean(db, "reopened");
		tu_close(db);
	}
	tu_buf_free(&out);
	fprintf(stderr, "check_txn: a read failed inside the transaction in %u trials\n", trials);
	ck_assert_uint_ge(trials, 20);
	free(base_text);
	base_text = NULL;
}
END_TEST

/*
 * A `commit` whose WAL fsync fails rolls the transaction back.  It must
 * then stay FAILED, as after any I/O error inside it: ctl answers
 * "begin\ninsert 2 inside\ncommit\n" with a short count through `begin`
 * (final), and the write-all loop's retry of the rest must meet an error
 * at its first line, never run the transaction's statements as units of
 * their own that commit.
 */
START_TEST(test_failed_commit_leaves_the_transaction_failed)
{
	const char *failed = "Error: the transaction was rolled back after an error; "
			     "end it with rollback";
	struct faultos fo;
	struct rowfs_db *db;
	struct tu_buf out = { 0 };
	struct rowfs_err err;
	char *text;
	int rc;

	faultos_init(&fo);
	db = open_db(16, &fo.os);
	unit_one(db, "insert 1 base");
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "begin");
	exec_ok(db, "insert 2 inside");
	faultos_fail_sync_at(&fo, 1, EIO, 0);
	rc = tu_exec(db, "commit", &out, &err);
	ck_assert_msg(rc == ROWFS_IOERR, "commit: rc %d '%s'", rc, err.msg);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);   /* ctl's fail() */
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_FAILED);

	/* the retry of "insert 2 inside\ncommit\n" */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_fails(db, "insert 2 inside", ROWFS_TXN, failed);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	text = tu_table_text(db);
	ck_assert_str_eq(text, "1=base ");
	free(text);

	/* rollback ends it; the database works */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "rollback");
	exec_ok(db, "insert 3 after");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_NONE);
	tu_require_clean(db, "after the failed commit");
	tu_close(db);
	faultos_release(&fo);
	db = open_db(16, NULL);
	text = tu_table_text(db);
	ck_assert_str_eq(text, "1=base 3=after ");
	free(text);
	tu_close(db);
	tu_buf_free(&out);
}
END_TEST

/*
 * `.checkpoint` runs at once when nothing is pending, and fails as a
 * statement; after changes it runs after the commit, and its failure must
 * not make the durable commit look failed.
 */
START_TEST(test_checkpoint_failure_is_not_a_commit_failure)
{
	struct faultos fo;
	struct rowfs_db *db;
	struct tu_buf out = { 0 };
	struct rowfs_err err;
	char *text;
	int rc;

	faultos_init(&fo);
	db = open_db(16, &fo.os);
	unit_one(db, "insert 1 base");
	/* after an insert: the commit's fsync works, the checkpoint's fails */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "insert 2 two");
	rc = tu_exec(db, ".checkpoint", &out, &err);
	ck_assert_msg(rc == ROWFS_OK, ".checkpoint: rc %d '%s'", rc, err.msg);
	faultos_fail_sync_at(&fo, 2, EIO, 0);
	rc = tu_commit(db, &err);
	ck_assert_msg(rc == ROWFS_OK, "commit: rc %d '%s'", rc, err.msg);
	/* alone: the checkpoint is the statement, and it fails as one */
	unit_one(db, "insert 4 four");   /* recovers first; something to checkpoint */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	faultos_fail_sync_at(&fo, 1, EIO, 0);
	out.len = 0;
	rc = tu_exec(db, ".checkpoint", &out, &err);
	ck_assert_msg(rc == ROWFS_IOERR && strncmp(err.msg, "Error: I/O error: ", 18) == 0,
		      ".checkpoint alone: rc %d '%s'", rc, err.msg);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	unit_one(db, "insert 3 three");
	tu_close(db);
	faultos_release(&fo);
	db = open_db(16, NULL);
	text = tu_table_text(db);
	ck_assert_str_eq(text, "1=base 2=two 3=three 4=four ");
	free(text);
	tu_require_clean(db, "reopened");
	tu_close(db);
	tu_buf_free(&out);
}
END_TEST

/* ---- 4. the change feed --------------------------------------------------- */

struct feed {
	struct tu_buf text;          /* every line delivered */
	uint64_t calls, last_calls;  /* hook calls, those with last set */
	uint64_t seq;                /* seq of the delivery under way or the last one */
	int open;                    /* a delivery's last chunk is due */
	uint64_t max_chunk;          /* biggest chunk, bytes */
};

static void feed_hook(void *ctx, uint64_t seq, const char *text, size_t len, int last)
{
	struct feed *f = ctx;

	ck_assert_msg(f->open ? seq == f->seq : seq > f->seq, "seq %llu after %llu (open %d)",
		      (unsigned long long)seq, (unsigned long long)f->seq, f->open);
	ck_assert_msg(len == 0 || text[len - 1] == '\n', "a chunk cut a line");
	f->seq = seq;
	f->open = !last;
	f->calls++;
	f->last_calls += last != 0;
	if (len > f->max_chunk)
		f->max_chunk = len;
	ck_assert_int_eq(tu_buf_emit(&f->text, text, len), 0);
}

/* The feed delivered exactly want since the last call, and no delivery is half done. */
static void feed_expect(struct feed *f, const char *want)
{
	ck_assert_msg(!f->open, "a delivery without its last chunk");
	ck_assert_msg(f->text.len == strlen(want) &&
			      (f->text.len == 0 || memcmp(f->text.data, want, f->text.len) == 0),
		      "feed '%.*s', want '%s'", (int)(f->text.len > 300 ? 300 : f->text.len),
		      f->text.data ? f->text.data : "", want);
	f->text.len = 0;
}

START_TEST(test_change_feed)
{
	struct rowfs_db *db = open_db(16, NULL);
	struct feed f;
	struct rowfs_err err;
	struct tu_buf want = { 0 };
	char line[96];
	uint64_t calls;
	uint32_t id;

	memset(&f, 0, sizeof(f));
	rowfs_set_change_hook(db, feed_hook, &f);

	/* an implicit unit, with a failed statement in it */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "insert 1 a");
	exec_fails(db, "insert 1 b", ROWFS_DUPLICATE, "Error: duplicate key 1.");
	exec_ok(db, "update 1 c");
	exec_ok(db, "insert 2 d");
	exec_ok(db, "delete 2");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_uint_eq(rowfs_last_seq(db), 1);
	feed_expect(&f, "1 insert 1 a\n1 update 1 c\n1 insert 2 d\n1 delete 2\n");
	ck_assert_uint_eq(f.calls, 1);

	/* nothing for a rollback, a unit that changed nothing, `.checkpoint` */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "insert 3 gone");
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_fails(db, "delete 3", ROWFS_NOTFOUND, "Error: no such key 3.");
	exec_ok(db, ".checkpoint");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	feed_expect(&f, "");
	ck_assert_uint_eq(rowfs_last_seq(db), 1);

	/* `begin` commits the unit so far; the explicit transaction is one commit */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "insert 4 before");
	exec_ok(db, "begin");
	feed_expect(&f, "2 insert 4 before\n");
	exec_ok(db, "insert 5 e");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	feed_expect(&f, "");
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "update 5 f");
	exec_fails(db, "insert 5 g", ROWFS_DUPLICATE, "Error: duplicate key 5.");
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);   /* the unit, not the transaction */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "commit");
	feed_expect(&f, "3 insert 5 e\n3 update 5 f\n");
	exec_ok(db, "insert 6 after");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	feed_expect(&f, "4 insert 6 after\n");
	ck_assert_uint_eq(rowfs_last_seq(db), 4);

	/* nothing for an explicit rollback, an abort, or a close with one open */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "begin");
	exec_ok(db, "insert 7 x");
	exec_ok(db, "rollback");
	exec_ok(db, "begin");
	exec_ok(db, "insert 8 x");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_txn_abort(db, &err), ROWFS_OK);
	feed_expect(&f, "");
	ck_assert_uint_eq(rowfs_last_seq(db), 4);

	/* 5,000 statements in one commit: whole-line chunks, last only on the final one */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "begin");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	for (id = 10000; id < 15000; id += 500) {
		uint32_t i;

		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		for (i = id; i < id + 500; i++) {
			snprintf(line, sizeof(line), i % 3 ? "insert %u name_%u_with_some_length"
							   : "insert %u n%u", i, i);
			exec_ok(db, line);
			snprintf(line, sizeof(line), i % 3 ? "5 insert %u name_%u_with_some_length\n"
							   : "5 insert %u n%u\n", i, i);
			ck_assert_int_eq(tu_buf_emit(&want, line, strlen(line)), 0);
		}
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	}
	calls = f.calls;
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "commit");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_uint_eq(rowfs_last_seq(db), 5);
	ck_assert_uint_gt(f.calls - calls, 1);                  /* chunked */
	ck_assert_uint_eq(f.last_calls, 4 + 1);
	feed_expect(&f, want.data);

	/* off: no more calls */
	rowfs_set_change_hook(db, NULL, NULL);
	calls = f.calls;
	unit_one(db, "insert 9 quiet");
	ck_assert_uint_eq(f.calls, calls);
	tu_buf_free(&want);
	tu_buf_free(&f.text);
	tu_close(db);
}
END_TEST

/* ---- 5. transactions in parts (a log that spans several WAL frames) -------- */

#define EVENTS_SQL "create table events (id integer primary key, kind text not null, " \
		   "source text, payload text, ts integer)"

/* The events row of id: a log record of 136 bytes. */
static int event_line(char *line, size_t size, uint32_t id)
{
	return snprintf(line, size,
			"insert into events values (%u, 'page_view', 'web-frontend-%02u', "
			"'{\"user\":%u,\"path\":\"/catalog/items/%u\",\"ref\":"
			"\"search\",\"agent\":\"Mozilla/5.0\",\"ms\":%u}', %u)",
			id, id % 17, id * 7 % 100003, id % 5000, id % 977, 1700000000u + id);
}

/* Units of up to 1000 statements, as rowsh's chunks: fmt's lines for id in [from, to). */
static void load_units(struct rowfs_db *db, int events, uint32_t from, uint32_t to)
{
	struct rowfs_err err;
	char line[320];
	uint32_t id;
	int len;

	for (id = from; id < to; id++) {
		if ((id - from) % 1000 == 0)
			ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		len = events ? event_line(line, sizeof(line), id)
			     : snprintf(line, sizeof(line), "insert %u user_%u", id, id);
		REQUIRE(tu_exec_emit(db, line, (size_t)len, tu_expect_executed, NULL, &err) == ROWFS_OK,
			"'%s': %s", line, err.msg);
		if ((id - from) % 1000 == 999 || id + 1 == to)
			REQUIRE(tu_commit(db, &err) == ROWFS_OK, "unit commit: %s", err.msg);
	}
}

/* Run line in a unit of its own; it must succeed and reply "Executed.". */
static void exec_unit(struct rowfs_db *db, const char *line)
{
	struct rowfs_err err;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, line);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
}

/* "select count(*) from t" must reply (n). */
static void expect_count(struct rowfs_db *db, const char *table, uint64_t n)
{
	char line[64], reply[32];

	snprintf(line, sizeof(line), "select count(*) from %s", table);
	snprintf(reply, sizeof(reply), "(%llu)\n", (unsigned long long)n);
	tu_expect_reply(db, line, reply);
}

/*
 * The benchmark, larger: 1,000,000 users rows (40-byte records) and
 * 500,000 rows of a five-column table (136-byte records: 65 MiB of log for
 * them alone, past the 64 MiB a transaction's single frame held) in one explicit
 * transaction, through rowfs_exec.  The log goes to the WAL in parts while
 * the transaction runs, so the commit is one more frame and one fsync.  In
 * a child that exits without closing (a kill -9 after the commit, before
 * any checkpoint), so the reopen must replay every part.
 */
START_TEST(test_million_rows_in_one_transaction)
{
	const uint32_t users = 1000000, events = 500000;
	struct rowfs_config cfg = { .path = tu_db_path, .sync = ROWFS_SYNC_FULL,
				    .cache_pages = 65536, .wal_limit = 1ull << 40 };
	struct rowfs_stats st;
	struct rowfs_db *db;
	int status;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		db = tu_open(&cfg);
		exec_unit(db, EVENTS_SQL);
		exec_unit(db, "begin");
		load_units(db, 0, 1, users + 1);
		load_units(db, 1, 1, events + 1);
		tu_stats(db, &st);
		/* the log so far went out in parts: frames, written and not fsynced */
		REQUIRE(st.wal_frames >= 10 && st.wal_bytes > (80u << 20),
			"%llu frames, %llu bytes before the commit", (unsigned long long)st.wal_frames,
			(unsigned long long)st.wal_bytes);
		exec_unit(db, "commit");
		tu_stats(db, &st);
		REQUIRE(st.checkpoints == 0, "a checkpoint ran: nothing left to replay");
		_exit(0);   /* no close: the reopen replays the WAL */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the loading child failed");
	ck_assert_int_gt(tu_file_size(tu_wal_path), 95 << 20);

	cfg.wal_limit = 0;
	db = tu_open(&cfg);
	tu_stats(db, &st);
	ck_assert_uint_eq(st.rows, users);
	ck_assert_uint_ge(st.checkpoints, 1);   /* the replay's */
	expect_count(db, "events", events);
	tu_expect_reply(db, "select * from events where id = 123456",
			"(123456, page_view, web-frontend-02, {\"user\":64168,\"path\":"
			"\"/catalog/items/3456\",\"ref\":\"search\",\"agent\":\"Mozilla/5.0\","
			"\"ms\":354}, 1700123456)\n");
	tu_expect_reply(db, "select * from users where id = 999999", "(999999, user_999999)\n");
	tu_require_clean(db, "after the replay");
	tu_close(db);
}
END_TEST

/* A database with events rows 1..100 committed and checkpointed, saved as base.db. */
static void make_events_base(void)
{
	struct rowfs_db *db = open_db(0, NULL);
	struct rowfs_err err;

	exec_unit(db, EVENTS_SQL);
	load_units(db, 1, 1, 101);
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_OK);
	tu_close(db);
	tu_copy_file(tu_db_path, tu_path("base.db"));
	unlink(tu_path("base.db-wal"));
	if (tu_try_file_size(tu_wal_path) >= 0)
		tu_copy_file(tu_wal_path, tu_path("base.db-wal"));
}

/* Open with parts of part bytes, a cache that holds the transaction, no checkpoint by size. */
static struct rowfs_db *open_parts(const struct os *os, uint32_t part, uint64_t log_max)
{
	struct rowfs_config cfg = { .path = tu_db_path, .sync = ROWFS_SYNC_FULL, .os = os,
				    .cache_pages = 16384, .wal_limit = 1ull << 40,
				    .txn_part_bytes = part, .txn_log_max = log_max };

	return tu_open(&cfg);
}

/* Events rows [from, to) in units of 1000 that may fail (a failing unit is rolled back). */
static void try_load_events(struct rowfs_db *db, uint32_t from, uint32_t to)
{
	struct rowfs_err err;
	char line[320];
	uint32_t id, end;
	int len, rc;

	for (; from < to; from = end) {
		end = from + 1000 < to ? from + 1000 : to;
		rc = tu_begin(db, &err);
		for (id = from; id < end && rc == ROWFS_OK; id++) {
			len = event_line(line, sizeof(line), id);
			rc = tu_exec_emit(db, line, (size_t)len, tu_discard, NULL, &err);
		}
		if (rc == ROWFS_OK)
			tu_commit(db, &err);
		else
			tu_rollback(db, &err);
	}
}

/* Rows of events in [from, to) per the engine: select count(*) with two bounds. */
static uint64_t events_between(struct rowfs_db *db, uint32_t from, uint32_t to)
{
	struct tu_buf out = { 0 };
	struct rowfs_err err;
	char line[96];
	unsigned long long lo, hi;

	snprintf(line, sizeof(line), "select count(*) from events where id < %u", from);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, line, &out, &err), ROWFS_OK);
	ck_assert_int_eq(sscanf(out.data, "(%llu)", &lo), 1);
	snprintf(line, sizeof(line), "select count(*) from events where id < %u", to);
	ck_assert_int_eq(tu_exec(db, line, &out, &err), ROWFS_OK);
	ck_assert_int_eq(sscanf(out.data, "(%llu)", &hi), 1);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_buf_free(&out);
	return hi - lo;
}

#define PART_ROWS 24000u    /* 3.1 MiB of log (136 bytes a row): several parts */

/*
 * One trial: begin, PART_ROWS events rows in units (the parts go out as
 * they fill), commit; the power cut (powerloss) or the process killed
 * before the nth pwrite/fsync/ftruncate from the first statement on.
 * Returns 1 if the transaction survived; it is all there or none of it.
 */
static int parts_cut_trial(unsigned n, int powerloss, uint32_t part)
{
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	char when[96];
	uint64_t got, all;
	int rc;

	tu_copy_file(tu_path("base.db"), tu_db_path);
	unlink(tu_wal_path);
	if (tu_try_file_size(tu_path("base.db-wal")) >= 0)
		tu_copy_file(tu_path("base.db-wal"), tu_wal_path);
	faultos_init(&fo);
	if (powerloss)
		faultos_powerloss_begin(&fo);
	db = open_parts(&fo.os, part, 0);
	exec_unit(db, "begin");
	faultos_power_cut_at(&fo, n);
	try_load_events(db, 1000, 1000 + PART_ROWS);
	rc = tu_begin(db, &err);
	if (rc == ROWFS_OK)
		rc = tu_exec_emit(db, "commit", 6, tu_discard, NULL, &err);
	if (rc == ROWFS_OK)
		rc = tu_commit(db, &err);
	rowfs_close(db, &err);
	faultos_release(&fo);

	snprintf(when, sizeof(when), "%s before I/O %u of a transaction in parts of %u bytes",
		 powerloss ? "power cut" : "kill", n, part);
	db = open_db(0, NULL);
	got = events_between(db, 1000, 1000 + PART_ROWS);
	all = got == PART_ROWS;
	ck_assert_msg(all || got == 0, "%s: %llu of the transaction's %u rows", when,
		      (unsigned long long)got, PART_ROWS);
	ck_assert_uint_eq(events_between(db, 1, 101), 100);
	if (all)
		tu_expect_reply(db, "select ts from events where id = 24999", "(1700024999)\n");
	tu_require_clean(db, when);
	tu_close(db);
	if (rc == ROWFS_OK && powerloss)
		ck_assert_msg(all, "%s: commit acknowledged, transaction lost", when);
	return (int)all;
}

/*
 * A crash (power cut, or kill -9) at every I/O of a transaction whose log
 * goes out in parts while it runs: all of it or nothing, never some parts.
 * Parts under the WAL's 1 MiB write buffer (several to a write) and over it
 * (three writes each).
 */
START_TEST(test_parts_cut_at_every_io)
{
	static const uint32_t parts[] = { 96u << 10, (1u << 20) + (128u << 10) };
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_stats st;
	uint64_t ios;
	unsigned n, p, survived = 0, lost = 0;
	int powerloss;

	make_events_base();
	for (p = 0; p < 2; p++) {
		/* a clean run: its I/O calls, parts and commit (no checkpoint follows) */
		tu_copy_file(tu_path("base.db"), tu_db_path);
		faultos_init(&fo);
		db = open_parts(&fo.os, parts[p], 0);
		exec_unit(db, "begin");
		ios = fo.pwrites + fo.fsyncs + fo.ftruncates;
		try_load_events(db, 1000, 1000 + PART_ROWS);
		tu_stats(db, &st);
		ck_assert_uint_ge(st.wal_frames, 2);
		exec_unit(db, "commit");
		ios = fo.pwrites + fo.fsyncs + fo.ftruncates - ios;
		tu_stats(db, &st);
		ck_assert_uint_eq(st.checkpoints, 0);
		tu_close(db);
		faultos_release(&fo);
		ck_assert_uint_ge(ios, 3);

		for (powerloss = 0; powerloss < 2; powerloss++)
			for (n = 1; n <= ios + 1; n++) {
				if (parts_cut_trial(n, powerloss, parts[p]))
					survived++;
				else
					lost++;
			}
		fprintf(stderr, "check_txn: transaction in parts of %u bytes cut at each of its "
			"%llu I/O calls, killed and powered off\n", parts[p],
			(unsigned long long)ios);
	}
	fprintf(stderr, "check_txn: %u trials kept all of it, %u none\n", survived, lost);
	ck_assert_uint_gt(survived, 0);
	ck_assert_uint_gt(lost, 0);
}
END_TEST

/* A table that passes every call through, but ftruncate only pretends (a cut lost in a crash). */
static ssize_t lost_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	(void)ctx;
	return pread(fd, buf, n, off);
}

static ssize_t lost_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	(void)ctx;
	return pwrite(fd, buf, n, off);
}

static int lost_fsync(void *ctx, int fd)
{
	(void)ctx;
	return fdatasync(fd);
}

static int lost_ftruncate(void *ctx, int fd, off_t len)
{
	(void)ctx;
	(void)fd;
	(void)len;
	return 0;
}

static const struct os lost_truncate_os = { lost_pread, lost_pwrite, lost_fsync, lost_ftruncate,
					    NULL };

/*
 * The rolled-back transaction: events rows 1000..1000+rows, explicit (its
 * rollback restores the base images and cuts the parts) or a unit of its
 * own (rolled back by a reload, whose scan drops the parts).  The WAL is
 * then as before it (unless cut_works is 0).  Then a new explicit
 * transaction, which gets the same sequence number: rows 50000..50049.
 */
static void rollback_then_commit(struct rowfs_db *db, int explicit_txn, uint32_t rows,
				 int cut_works)
{
	struct rowfs_err err;
	struct rowfs_stats st;
	uint64_t seq = rowfs_last_seq(db);
	off_t before = tu_file_size(tu_wal_path);
	char line[320];
	uint32_t id;

	if (explicit_txn)
		exec_unit(db, "begin");
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (id = 1000; id < 1000 + rows; id++)
		REQUIRE(tu_exec_emit(db, line, (size_t)event_line(line, sizeof(line), id),
				   tu_expect_executed, NULL, &err) == ROWFS_OK, "%u: %s", id, err.msg);
	tu_stats(db, &st);
	ck_assert_uint_ge(st.wal_frames, 3);
	ck_assert_int_ge(tu_file_size(tu_wal_path), before + (1 << 20));   /* parts written */
	if (explicit_txn) {
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
		exec_unit(db, "rollback");
	} else {
		ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	}
	ck_assert_uint_eq(rowfs_last_seq(db), seq);
	if (cut_works)
		ck_assert_int_eq(tu_file_size(tu_wal_path), before);
	exec_unit(db, "begin");
	load_units(db, 1, 50000, 50050);
	exec_unit(db, "commit");
	ck_assert_uint_eq(rowfs_last_seq(db), seq + 1);
}

/* After the crash: base rows, the new transaction, nothing of the rolled-back one. */
static void expect_only_the_new(const char *when)
{
	struct rowfs_db *db = open_db(0, NULL);

	ck_assert_msg(events_between(db, 1, 101) == 100, "%s: base rows", when);
	ck_assert_msg(events_between(db, 1000, 40000) == 0,
		      "%s: rows of the rolled-back transaction", when);
	ck_assert_msg(events_between(db, 50000, 50050) == 50, "%s: the new transaction", when);
	tu_require_clean(db, when);
	tu_close(db);
}

/*
 * Rollback after parts were written, then a new transaction with the same
 * sequence number commits, then a crash: recovery shows the new one only,
 * for an explicit rollback, a unit's rollback (a reload), a rollback whose
 * cut of the WAL was lost (the truncate pretended) and a kill -9 of a
 * process in the middle of a transaction in parts, reopened.
 */
START_TEST(test_rollback_then_same_seq)
{
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	struct rowfs_config cfg = { .path = tu_db_path, .sync = ROWFS_SYNC_FULL,
				    .txn_part_bytes = 64u << 10, .wal_limit = 1ull << 40,
				    .cache_pages = 16384 };
	int status, explicit_txn;
	pid_t pid;

	make_events_base();
	for (explicit_txn = 1; explicit_txn >= 0; explicit_txn--) {
		tu_copy_file(tu_path("base.db"), tu_db_path);
		unlink(tu_wal_path);
		faultos_init(&fo);
		faultos_powerloss_begin(&fo);
		cfg.os = &fo.os;
		db = tu_open(&cfg);
		rollback_then_commit(db, explicit_txn, 20000, 1);
		faultos_power_cut(&fo);
		rowfs_close(db, &err);
		faultos_release(&fo);
		expect_only_the_new(explicit_txn ? "explicit rollback, power cut"
						 : "unit rollback, power cut");
	}

	/* the rollback's cut is lost: the old parts stay past the new frames */
	tu_copy_file(tu_path("base.db"), tu_db_path);
	unlink(tu_wal_path);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		cfg.os = &lost_truncate_os;
		db = tu_open(&cfg);
		rollback_then_commit(db, 1, 20000, 0);
		ck_assert_int_gt(tu_file_size(tu_wal_path), 2 << 20);   /* the old parts */
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed");
	expect_only_the_new("rollback whose cut was lost, kill");

	/* killed inside a transaction in parts; the next process commits with its seq */
	tu_copy_file(tu_path("base.db"), tu_db_path);
	unlink(tu_wal_path);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		cfg.os = NULL;
		db = tu_open(&cfg);
		exec_unit(db, "begin");
		load_units(db, 1, 1000, 21000);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed");
	ck_assert_int_gt(tu_file_size(tu_wal_path), 2 << 20);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		uint64_t seq;

		cfg.os = NULL;
		db = tu_open(&cfg);
		seq = rowfs_last_seq(db);
		exec_unit(db, "begin");
		load_units(db, 1, 50000, 50050);
		exec_unit(db, "commit");
		ck_assert_uint_eq(rowfs_last_seq(db), seq + 1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed");
	expect_only_the_new("kill inside a transaction in parts, then a commit, kill");
}
END_TEST

/*
 * The fsync of the commit frame after parts fails: the commit fails, the
 * transaction is FAILED until rollback, its frames are cut, and after a
 * power cut only what came before and after it is there.
 */
START_TEST(test_failed_fsync_of_the_commit_frame)
{
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	struct tu_buf out = { 0 };
	off_t before;
	int rc;

	make_events_base();
	tu_copy_file(tu_path("base.db"), tu_db_path);
	unlink(tu_wal_path);
	faultos_init(&fo);
	faultos_powerloss_begin(&fo);
	db = open_parts(&fo.os, 64u << 10, 0);
	before = tu_file_size(tu_wal_path);
	exec_unit(db, "begin");
	load_units(db, 1, 1000, 21000);
	ck_assert_int_ge(tu_file_size(tu_wal_path), before + (1 << 20));
	faultos_fail_sync_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	rc = tu_exec(db, "commit", &out, &err);
	ck_assert_msg(rc == ROWFS_IOERR && strncmp(err.msg, "Error: I/O error: ", 18) == 0 &&
			      strstr(err.msg, "fsync") != NULL,
		      "commit: rc %d '%s'", rc, err.msg);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_FAILED);
	ck_assert_int_eq(tu_file_size(tu_wal_path), before);
	exec_unit(db, "rollback");
	ck_assert_uint_eq(events_between(db, 1000, 40000), 0);
	load_units(db, 1, 50000, 50050);
	faultos_power_cut(&fo);
	rowfs_close(db, &err);
	faultos_release(&fo);
	expect_only_the_new("failed fsync of the commit frame, power cut");
	tu_buf_free(&out);
}
END_TEST

/*
 * The write of a part fails (a full disk) in the middle of a statement:
 * that statement fails with ENOSPC's text, the transaction is rolled back
 * and FAILED until rollback, the parts written before are cut, and the
 * database goes on.
 */
START_TEST(test_failed_part_write)
{
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	char line[320], want[4400];
	off_t before;
	uint32_t id;
	int rc = ROWFS_OK;

	make_events_base();
	tu_copy_file(tu_path("base.db"), tu_db_path);
	unlink(tu_wal_path);
	faultos_init(&fo);
	db = open_parts(&fo.os, (1u << 20) + 4096, 0);   /* parts written as they fill */
	before = tu_file_size(tu_wal_path);
	exec_unit(db, "begin");
	load_units(db, 1, 1000, 10000);   /* one part written */
	ck_assert_int_gt(tu_file_size(tu_wal_path), before + (1 << 20));
	faultos_fail_write_at(&fo, 1, ENOSPC, 0);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (id = 10000; id < 30000 && rc == ROWFS_OK; id++)
		rc = tu_exec_emit(db, line, (size_t)event_line(line, sizeof(line), id), tu_discard,
				NULL, &err);
	snprintf(want, sizeof(want), "Error: I/O error: pwrite '%s': No space left on device",
		 tu_wal_path);
	ck_assert_msg(rc == ROWFS_FULL && strcmp(err.msg, want) == 0, "rc %d '%s'", rc, err.msg);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_FAILED);
	exec_unit(db, "rollback");
	ck_assert_int_eq(tu_file_size(tu_wal_path), before);
	ck_assert_uint_eq(events_between(db, 1000, 40000), 0);
	exec_unit(db, "begin");
	load_units(db, 1, 50000, 50050);
	exec_unit(db, "commit");
	tu_close(db);
	faultos_release(&fo);
	expect_only_the_new("failed write of a part");
}
END_TEST

/*
 * The bound of a transaction's log (txn_log_max): the statement that would
 * pass it fails with EFBIG and the exact text before it changes anything;
 * the transaction stays open and commits.
 */
START_TEST(test_log_bound_fails_one_statement)
{
	const char *toobig = "Error: transaction too large: its log would pass 1 MiB; "
			     "commit it in parts";
	struct rowfs_db *db;
	struct rowfs_err err;
	struct rowfs_stats st;
	char line[320];
	uint32_t id;
	int rc = ROWFS_OK;

	db = open_parts(NULL, 64u << 10, 1u << 20);
	exec_unit(db, EVENTS_SQL);
	exec_unit(db, "begin");
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (id = 1; rc == ROWFS_OK; id++) {
		snprintf(line, sizeof(line), "insert %u u%u", id, id);
		rc = tu_exec_emit(db, line, strlen(line), tu_discard, NULL, &err);
	}
	id--;
	ck_assert_int_eq(rc, ROWFS_TOOBIG);
	ck_assert_int_eq(err.sys_errno, EFBIG);
	ck_assert_str_eq(err.msg, toobig);
	ck_assert_uint_eq(id - 1, (1u << 20) / 40);   /* 40-byte records */
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_OPEN);
	event_line(line, sizeof(line), 1);
	exec_fails(db, line, ROWFS_TOOBIG, toobig);
	exec_fails(db, "delete from users where id > 0", ROWFS_TOOBIG, toobig);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	exec_unit(db, "commit");
	tu_stats(db, &st);
	ck_assert_uint_eq(st.rows, id - 1);
	expect_count(db, "events", 0);
	tu_close(db);
	db = open_db(0, NULL);
	tu_stats(db, &st);
	ck_assert_uint_eq(st.rows, id - 1);
	tu_require_clean(db, "after the bound");
	tu_close(db);
}
END_TEST

static Suite *txn_suite(void)
{
	Suite *s = suite_create("txn");
	TCase *tc = tcase_create("statements");

	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_statements);
	suite_add_tcase(s, tc);

	tc = tcase_create("rollback");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_long_rollback);
	tcase_add_test(tc, test_rollback_of_nothing_and_abort);
	tcase_add_test(tc, test_no_snapshot_inside_a_dirty_unit);
	tcase_add_test(tc, test_rollback_after_checkpoint);
	tcase_add_test(tc, test_boundaries);
	suite_add_tcase(s, tc);

	tc = tcase_create("durability");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_commit_cut_at_every_io);
	tcase_add_test(tc, test_io_error_fails_the_transaction);
	tcase_add_test(tc, test_failed_commit_leaves_the_transaction_failed);
	tcase_add_test(tc, test_checkpoint_failure_is_not_a_commit_failure);
	suite_add_tcase(s, tc);

	tc = tcase_create("size");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_million_rows_in_one_transaction);
	tcase_add_test(tc, test_parts_cut_at_every_io);
	tcase_add_test(tc, test_rollback_then_same_seq);
	tcase_add_test(tc, test_failed_fsync_of_the_commit_frame);
	tcase_add_test(tc, test_failed_part_write);
	tcase_add_test(tc, test_log_bound_fails_one_statement);
	suite_add_tcase(s, tc);

	tc = tcase_create("feed");
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_change_feed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_txn", txn_suite());
}
