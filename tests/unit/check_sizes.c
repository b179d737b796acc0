/*
 * check_sizes.c - unit tests of the byte counts and change times behind
 * the st_size and st_mtime of the mount (rowfs_table_sizes,
 * rowfs_dump_size, rowfs_last_change; engine/sizes.c and the VM's
 * counting).
 *
 * The oracle is a scan: through the same read transaction, the lines of
 * every row (rowfs_line_size) added up, and rowfs_dump's output measured.
 * A randomized run of units over users (seed statements and SQL), a typed
 * table with texts, reals and blobs, and a table created and dropped
 * again and again: inserts of one and many rows, updates (of values and
 * of keys), deletes of ranges, statements that fail, explicit
 * transactions committed and rolled back across units; the counts are
 * asked at random moments (so they start anywhere: before a table's
 * first change in a transaction, after it, in the middle of an explicit
 * transaction), for random renderings, and must equal the oracle each
 * time.  After every unit a table whose content changed has a later
 * change seq and time (one whose content did not, the same ones, unless
 * a commit changed rows and back), and rowfs_last_change follows every
 * change.  A reopen and a failed commit (fsync error: the recovery
 * drops every count) keep the counts exact.  ROWFS_SIZES_SEED picks the
 * run, ROWFS_SIZES_DEBUG=1 prints its statements.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faultos.h"
#include "rowfs.h"
#include "testutil.h"

#define ALL ((1u << ROWFS_LINES_COUNT) - 1u)

/* The tables of the run; NULL is users. */
static const char *const tables[] = {NULL, "t", "u"};
#define NTABLES 3

static struct rowfs_db *open_db(const struct os *os, int sync)
{
	struct rowfs_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_db_path;
	cfg.sync = sync;
	cfg.os = os;
	return tu_open(&cfg);
}

/* The oracle's scan: line bytes of every rendering, rows, and a hash of the content. */
struct oracle {
	struct rowfs_lines_table lines;
	uint64_t rows;
	uint64_t bytes[ROWFS_LINES_COUNT];
	uint64_t hash;
};

static int oracle_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	static char buf[65536];
	struct oracle *o = ctx;
	size_t len, i;
	int l;

	(void)key;
	o->rows++;
	for (l = 0; l < ROWFS_LINES_COUNT; l++)
		o->bytes[l] += rowfs_line_size(l, &o->lines, vals, n);
	len = rowfs_line(ROWFS_LINES_NDJSON, &o->lines, vals, n, buf);
	for (i = 0; i < len; i++)
		o->hash = (o->hash ^ (uint8_t)buf[i]) * 0x100000001b3ull;
	return 0;
}

/* The oracle of table through txn; 0, or -1 when the table does not exist there. */
static int oracle_of(struct rowfs_txn *txn, const char *table, struct oracle *o)
{
	struct rowfs_table_info info;
	struct rowfs_err err;
	int rc;

	memset(o, 0, sizeof(*o));
	o->hash = 0xcbf29ce484222325ull;
	rc = rowfs_table_info(txn, table, &info, &err);
	if (rc == ROWFS_NOTFOUND)
		return -1;
	ck_assert_int_eq(rc, ROWFS_OK);
	ck_assert_int_eq(rowfs_lines_init(&o->lines, table ? &info : NULL), ROWFS_OK);
	ck_assert_int_eq(rowfs_scan(txn, table, INT64_MIN, oracle_row, o, &err), ROWFS_OK);
	rowfs_lines_release(&o->lines);
	return 0;
}

/* The dump's length through txn. */
static uint64_t dump_length(struct rowfs_txn *txn)
{
	struct rowfs_dump_pos pos;
	struct tu_buf b = {0};
	struct rowfs_err err;
	uint64_t len;

	memset(&pos, 0, sizeof(pos));
	ck_assert_int_eq(rowfs_dump(txn, &pos, tu_buf_emit, &b, &err), ROWFS_OK);
	len = b.len;
	tu_buf_free(&b);
	return len;
}

/* Ask the counts of mask for every table and the dump, compare them with the oracle. */
static void ask(struct rowfs_db *db, unsigned mask, int with_dump)
{
	struct rowfs_table_sizes got;
	struct rowfs_txn *txn;
	struct rowfs_err err;
	struct oracle o;
	unsigned t;
	int l;

	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err), ROWFS_OK);
	for (t = 0; t < NTABLES; t++) {
		int rc = rowfs_table_sizes(txn, tables[t], mask, &got, &err);

		if (oracle_of(txn, tables[t], &o) != 0) {
			ck_assert_int_eq(rc, ROWFS_NOTFOUND);
			continue;
		}
		ck_assert_msg(rc == ROWFS_OK, "sizes of %s: %s", tables[t] ? tables[t] : "users",
			      err.msg);
		if (mask)
			ck_assert_uint_eq(got.rows, o.rows);
		for (l = 0; l < ROWFS_LINES_COUNT; l++)
			if (mask & ROWFS_LINES_BIT(l))
				ck_assert_msg(got.bytes[l] == o.bytes[l],
					      "%s rendering %d: counted %llu, scanned %llu",
					      tables[t] ? tables[t] : "users", l,
					      (unsigned long long)got.bytes[l],
					      (unsigned long long)o.bytes[l]);
	}
	if (with_dump) {
		uint64_t size;

		ck_assert_int_eq(rowfs_dump_size(txn, &size, &err), ROWFS_OK);
		ck_assert_uint_eq(size, dump_length(txn));
	}
	rowfs_txn_abort(txn);
}

/* What the last check saw of each table. */
struct seen {
	int exists;
	uint64_t hash;
	uint64_t seq;
	struct timespec time;
};

static int ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

/*
 * After a commit: a table's seq is the commit's iff its content changed
 * (or it came or went), with a later time.  baseline: only note them.
 */
static void check_times(struct rowfs_db *db, struct seen *seen, struct timespec *last,
			int baseline)
{
	struct rowfs_table_sizes got;
	struct timespec any_time;
	struct rowfs_txn *txn;
	struct rowfs_err err;
	uint64_t seq = rowfs_last_seq(db), any_seq;
	struct oracle o;
	unsigned t;
	int changed_any = 0;

	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err), ROWFS_OK);
	for (t = 0; t < NTABLES; t++) {
		int exists = oracle_of(txn, tables[t], &o) == 0;
		int changed = exists != seen[t].exists || (exists && o.hash != seen[t].hash);

		changed_any |= changed;
		if (exists && baseline) {
			ck_assert_int_eq(rowfs_table_sizes(txn, tables[t], 0, &got, &err), ROWFS_OK);
			seen[t].seq = got.change_seq;
			seen[t].time = got.change_time;
		} else if (exists) {
			ck_assert_int_eq(rowfs_table_sizes(txn, tables[t], 0, &got, &err), ROWFS_OK);
			/*
			 * A change is never missed; a commit that changed rows
			 * back (insert, then delete) may move the seq anyway.
			 */
			ck_assert_uint_le(got.change_seq, seq);
			if (changed)
				ck_assert_msg(got.change_seq > seen[t].seq,
					      "%s changed by %llu, but its seq stayed %llu",
					      tables[t] ? tables[t] : "users", (unsigned long long)seq,
					      (unsigned long long)got.change_seq);
			if (got.change_seq > seen[t].seq) {
				ck_assert(ts_after(got.change_time, seen[t].time));
			} else {
				ck_assert_uint_eq(got.change_seq, seen[t].seq);
				ck_assert_msg(got.change_time.tv_sec == seen[t].time.tv_sec &&
						      got.change_time.tv_nsec == seen[t].time.tv_nsec,
					      "%s unchanged (seq %llu), but its time moved",
					      tables[t] ? tables[t] : "users",
					      (unsigned long long)got.change_seq);
			}
			seen[t].seq = got.change_seq;
			seen[t].time = got.change_time;
		}
		seen[t].exists = exists;
		seen[t].hash = o.hash;
	}
	rowfs_txn_abort(txn);
	rowfs_last_change(db, &any_seq, &any_time);
	ck_assert_uint_le(any_seq, seq);
	if (changed_any && !baseline)
		ck_assert(ts_after(any_time, *last));
	*last = any_time;
}

/* One random statement (counter makes every written value new). */
static void random_statement(uint64_t *rng, unsigned counter, char *line, size_t size)
{
	unsigned k = (unsigned)(tu_next_random(rng) % 40), k2 = k + (unsigned)(tu_next_random(rng) % 8);
	static const char *const texts[] = {"plain", "tab\\there", "new\\nline", "quote''s", "a,b",
					    "\\\\back", "caf\\u00e9"};
	const char *txt = texts[tu_next_random(rng) % (sizeof(texts) / sizeof(texts[0]))];

	switch (tu_next_random(rng) % 16) {
	case 0:
		snprintf(line, size, "insert %u n%u", k, counter);
		break;
	case 1:
		snprintf(line, size, "update %u m%u", k, counter);
		break;
	case 2:
		snprintf(line, size, "delete %u", k);
		break;
	case 3:
		snprintf(line, size, "insert into users values (%u, 'q%u'), (%u, '--c%u')", k, counter,
			 k2 + 50, counter);
		break;
	case 4:
		snprintf(line, size, "update users set username = 'w%u' where id between %u and %u",
			 counter, k, k2);
		break;
	case 5:
		snprintf(line, size, "delete from users where id >= %u and id <= %u", k, k2);
		break;
	case 6:
	case 7:
		snprintf(line, size, "insert into t values (%d, E'%s %u', %u.25, x'%02x')",
			 (int)k - 20, txt, counter, counter, counter & 0xff);
		break;
	case 8:
		snprintf(line, size,
			 "insert into t values (%d, null, 1e100, null), (%d, '', -0.0, x'')",
			 (int)k2 + 100, (int)k2 + 200);
		break;
	case 9:
		snprintf(line, size, "update t set s = E'%s %u', r = %u.5 where id between %d and %d",
			 txt, counter, counter, (int)k - 20, (int)k2 - 20);
		break;
	case 10:
		snprintf(line, size, "update t set id = %u where id = %d", 1000 + counter,
			 (int)k - 20);
		break;
	case 11:
		snprintf(line, size, "delete from t where id between %d and %d", (int)k - 20,
			 (int)k2 - 20);
		break;
	case 12:
		snprintf(line, size, "create table u (k integer primary key, v text not null)");
		break;
	case 13:
		snprintf(line, size, "drop table u");
		break;
	case 14:
		snprintf(line, size, "insert into u values (%u, 'u%u')", k, counter);
		break;
	default:
		snprintf(line, size, "update u set v = 'v%u' where k < %u", counter, k2);
		break;
	}
}

START_TEST(test_random_units)
{
	uint64_t rng = tu_seed("ROWFS_SIZES_SEED", 0x517e5);
	struct rowfs_db *db = open_db(NULL, ROWFS_SYNC_OFF);
	struct seen seen[NTABLES];
	struct timespec last = {0, 0};
	struct rowfs_err err;
	struct tu_buf out = {0};
	unsigned counter = 0;
	char line[256];
	int unit;

	memset(seen, 0, sizeof(seen));
	tu_expect_reply(db, "create table t (id integer primary key, s text, r real, b blob)",
			"Executed.\n");
	check_times(db, seen, &last, 1);
	for (unit = 0; unit < 600; unit++) {
		unsigned n = 1 + (unsigned)(tu_next_random(&rng) % 3), i;
		uint64_t dice = tu_next_random(&rng) % 20;

		if (dice < 4)
			ask(db, (unsigned)(tu_next_random(&rng) % (ALL + 1)), dice == 0);
		if (unit == 300) {   /* a reopen: every count starts again */
			ck_assert_int_eq(tu_txn_abort(db, &err), ROWFS_OK);
			tu_close(db);
			db = open_db(NULL, ROWFS_SYNC_OFF);
			memset(seen, 0, sizeof(seen));
			check_times(db, seen, &last, 1);
		}
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		if (tu_txn_state(db) == ROWFS_TXN_NONE && tu_next_random(&rng) % 6 == 0)
			tu_exec(db, "begin", &out, &err);
		for (i = 0; i < n; i++) {
			int rc;

			random_statement(&rng, ++counter, line, sizeof(line));
			rc = tu_exec(db, line, &out, &err);   /* a failing statement changes nothing */
			if (tu_flag("ROWFS_SIZES_DEBUG"))
				fprintf(stderr, "%d [%llu] %s -> %d %s\n", unit,
					(unsigned long long)rowfs_last_seq(db), line, rc,
					rc ? err.msg : "");
		}
		if (tu_txn_state(db) != ROWFS_TXN_NONE && tu_next_random(&rng) % 3 == 0)
			tu_exec(db, tu_next_random(&rng) % 2 ? "commit" : "rollback", &out, &err);
		ck_assert_msg(tu_commit(db, &err) == ROWFS_OK, "commit: %s", err.msg);
		if (tu_txn_state(db) == ROWFS_TXN_NONE)
			check_times(db, seen, &last, 0);
	}
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	if (tu_txn_state(db) != ROWFS_TXN_NONE)
		tu_exec(db, "commit", &out, &err);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ask(db, ALL, 1);
	tu_buf_free(&out);
	tu_close(db);
}
END_TEST

/*
 * Counts started while an explicit transaction holds a change of the
 * table: at its commit they are dropped (the change before them was not
 * counted) and the next question scans again.
 */
START_TEST(test_counts_in_explicit_txn)
{
	struct rowfs_db *db = open_db(NULL, ROWFS_SYNC_OFF);
	struct rowfs_err err;
	struct tu_buf out = {0};

	tu_expect_reply(db, "insert 1 a", "Executed.\n");
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, "begin", "Executed.\n");
	tu_expect_reply_in_txn(db, "insert 2 bb", "Executed.\n");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);   /* keeps the explicit transaction */
	ask(db, ALL, 1);   /* counted now: the committed state, without row 2 */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, "insert 3 ccc", "Executed.\n");
	tu_expect_reply_in_txn(db, "commit", "Executed.\n");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ask(db, ALL, 1);   /* rows 2 and 3 both there */
	tu_buf_free(&out);
	tu_close(db);
}
END_TEST

START_TEST(test_failed_commit)
{
	struct rowfs_table_sizes before, after;
	struct timespec t0;
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_txn *txn;
	struct rowfs_err err;
	struct tu_buf out = {0};
	uint64_t seq;
	int rc;

	faultos_init(&fo);
	db = open_db(&fo.os, ROWFS_SYNC_FULL);
	tu_expect_reply(db, "insert 1 a", "Executed.\n");
	ask(db, ALL, 1);
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_table_sizes(txn, NULL, 0, &before, &err), ROWFS_OK);
	rowfs_txn_abort(txn);
	faultos_fail_sync_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, "insert 2 bbbb", "Executed.\n");
	rc = tu_commit(db, &err);
	ck_assert_int_ne(rc, ROWFS_OK);
	/* whatever the recovery found on disk, the counts are those of it */
	ask(db, ALL, 1);
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_table_sizes(txn, NULL, 0, &after, &err), ROWFS_OK);
	rowfs_txn_abort(txn);
	ck_assert(ts_after(after.change_time, before.change_time));
	rowfs_last_change(db, &seq, &t0);
	ck_assert(!ts_after(after.change_time, t0));
	tu_expect_reply(db, "insert 3 cc", "Executed.\n");
	ask(db, ALL, 1);
	tu_buf_free(&out);
	tu_close(db);
	faultos_release(&fo);
}
END_TEST

static Suite *sizes_suite(void)
{
	Suite *s = suite_create("sizes");
	TCase *tc = tcase_create("sizes");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_test(tc, test_random_units);
	tcase_add_test(tc, test_counts_in_explicit_txn);
	tcase_add_test(tc, test_failed_commit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_sizes", sizes_suite());
}
