/*
 * check_sql_exec.c - the SQL subset of Part 2 run through rowfs_exec:
 * every statement form and its reply, every error text and its errno,
 * users reached through the same statements, NULL and cross-type
 * comparisons, order by / limit / offset, atomic multi-row statements,
 * key conditions read as B-tree ranges (pages touched, not a scan),
 * transactions over two tables with DDL and rollback, recovery after a
 * power cut (the WAL replayed into the same tables), the dump replayed
 * into a new database giving the same dump, the change feed, reads in a
 * read transaction with the catalog of its state, typed rows (rowfs_scan,
 * rowfs_get, rowfs_last_start, rowfs_table_info of any table) and typed
 * select results (rowfs_exec_sink), the single writer, and a randomized
 * run against a model of a table (and of users), every select of it also
 * typed and compared with its text.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultos.h"
#include "rowfs.h"
#include "testutil.h"

static struct rowfs_db *open_path(const char *path, const struct os *os, int sync)
{
	struct rowfs_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = path;
	cfg.sync = sync;
	cfg.os = os;
	return tu_open(&cfg);
}

static struct rowfs_db *open_db(void)
{
	return open_path(tu_db_path, NULL, ROWFS_SYNC_OFF);
}

/* Run line in its own transaction; it must succeed. */
static void run(struct rowfs_db *db, const char *line)
{
	free(tu_reply_of(db, line));
}

/* Run line (inside the caller's transaction) and expect the reply exactly. */
static void expect_in_txn(struct rowfs_db *db, const char *line, const char *reply)
{
	tu_expect_reply_in_txn(db, line, reply);
}

/* Run line in its own transaction; it must fail with rc, errno e and exactly msg. */
static void expect_error(struct rowfs_db *db, const char *line, int rc, int e, const char *msg)
{
	struct tu_buf out = {0};
	struct rowfs_err err;
	int got;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	got = tu_exec(db, line, &out, &err);
	ck_assert_msg(got == rc, "'%s': rc %s, want %s (%s)", line, rowfs_rc_name(got),
		      rowfs_rc_name(rc), err.msg);
	ck_assert_msg(rowfs_errno(got) == e, "'%s': errno %d, want %d", line, rowfs_errno(got), e);
	ck_assert_msg(strcmp(err.msg, msg) == 0, "'%s': '%s', want '%s'", line, err.msg, msg);
	ck_assert_msg(out.len == 0, "'%s' replied '%s'", line, out.data);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_buf_free(&out);
}

/* Emit sink that pauses the dump after every line. */
static int emit_and_pause(void *ctx, const char *text, size_t len)
{
	tu_buf_emit(ctx, text, len);
	return 1;
}

/* The whole dump of the newest committed state; also checks that a paused dump agrees. */
static char *dump_text(struct rowfs_db *db)
{
	struct rowfs_dump_pos pos;
	struct tu_buf whole = {0}, paused = {0};
	struct rowfs_txn *reader;
	struct rowfs_err err;
	unsigned calls = 0;

	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, &err), ROWFS_OK);
	memset(&pos, 0, sizeof(pos));
	ck_assert_msg(rowfs_dump(reader, &pos, tu_buf_emit, &whole, &err) == ROWFS_OK,
		      "dump: %s", err.msg);
	ck_assert_int_eq(pos.stage, ROWFS_DUMP_DONE);
	memset(&pos, 0, sizeof(pos));
	while (pos.stage != ROWFS_DUMP_DONE) {
		ck_assert_msg(rowfs_dump(reader, &pos, emit_and_pause, &paused, &err) == ROWFS_OK,
			      "dump: %s", err.msg);
		REQUIRE(++calls < 10000000, "the dump does not end");
	}
	rowfs_txn_abort(reader);
	ck_assert_str_eq(whole.data, paused.data);
	tu_buf_free(&paused);
	return whole.data;
}

/* Run every line of script (a dump) as one unit. */
static void run_script(struct rowfs_db *db, const char *script)
{
	struct rowfs_err err;
	const char *p = script;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int rc = tu_exec_emit(db, p, len, tu_discard, NULL, &err);

		REQUIRE(rc == ROWFS_OK, "'%.*s': %s", (int)len, p, err.msg);
		p += len + (nl ? 1 : 0);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
}

#define T_SQL "create table t (id integer primary key, name text(10) not null, " \
	"score real default 1.5, data blob)"

START_TEST(test_statements)
{
	struct rowfs_db *db = open_db();

	tu_expect_reply(db, T_SQL, "Executed.\n");
	tu_expect_reply(db, "create table if not exists t (id integer primary key)", "Executed.\n");
	tu_expect_reply(db, "select * from t", "(no rows)\n");
	tu_expect_reply(db, "select count(*) from t", "(0)\n");
	tu_expect_reply(db, "insert into t values (1, 'alice', 2, x'00ff')", "Executed.\n");
	tu_expect_reply(db, "insert into t (name, id) values ('bob', 2), (E'c\\td', -3);",
			"Executed.\n");
	tu_expect_reply(db, "select * from t",
			"(-3, c\td, 1.5, NULL)\n(1, alice, 2.0, x'00ff')\n(2, bob, 1.5, NULL)\n");
	tu_expect_reply(db, "select name, id from t where id > -3 order by id desc",
			"(bob, 2)\n(alice, 1)\n");
	tu_expect_reply(db, "select id from t order by id asc limit 2", "(-3)\n(1)\n");
	tu_expect_reply(db, "select id from t limit 1 offset 1", "(1)\n");
	tu_expect_reply(db, "select id from t order by id desc limit 5 offset 1", "(1)\n(-3)\n");
	tu_expect_reply(db, "select id from t limit 0", "(no rows)\n");
	tu_expect_reply(db, "select count(*) from t where score = 1.5", "(2)\n");
	tu_expect_reply(db, "select count(*) from t limit 1 offset 1", "(no rows)\n");
	tu_expect_reply(db, "update t set score = 0.1, data = x'' where name = 'bob'", "Executed.\n");
	tu_expect_reply(db, "select * from t where id = 2", "(2, bob, 0.1, x'')\n");
	tu_expect_reply(db, "update t set score = 7 where id = 99", "Executed.\n");
	tu_expect_reply(db, "update t set score = 1e+100", "Executed.\n");
	tu_expect_reply(db, "select score from t where id = 1", "(1e+100)\n");
	tu_expect_reply(db, "delete from t where id between -10 and 1", "Executed.\n");
	tu_expect_reply(db, "select id, name from t", "(2, bob)\n");
	tu_expect_reply(db, "delete from t", "Executed.\n");
	tu_expect_reply(db, "select * from t", "(no rows)\n");
	tu_expect_reply(db, "delete from t where id = 5", "Executed.\n");
	tu_expect_reply(db, ".tables", "t\nusers\n");
	tu_expect_reply(db, ".schema t", T_SQL ";\n");
	tu_expect_reply(db, ".schema", T_SQL ";\n" "create table users (id integer primary key, "
			"username text(32) not null);\n");
	tu_expect_reply(db, "drop table t", "Executed.\n");
	tu_expect_reply(db, "drop table if exists t", "Executed.\n");
	tu_expect_reply(db, ".tables", "users\n");
	tu_close(db);
}
END_TEST

START_TEST(test_errors)
{
	struct rowfs_db *db = open_db();

	run(db, T_SQL);
	run(db, "insert into t values (42, 'x', 1, null)");
	expect_error(db, "select * from nope", ROWFS_NOTFOUND, ENOENT, "Error: no such table: nope");
	expect_error(db, "insert into nope values (1)", ROWFS_NOTFOUND, ENOENT,
		     "Error: no such table: nope");
	expect_error(db, "update nope set a = 1", ROWFS_NOTFOUND, ENOENT, "Error: no such table: nope");
	expect_error(db, "delete from nope", ROWFS_NOTFOUND, ENOENT, "Error: no such table: nope");
	expect_error(db, ".schema nope", ROWFS_NOTFOUND, ENOENT, "Error: no such table: nope");
	expect_error(db, "select foo from t", ROWFS_SCHEMA, EINVAL, "Error: no such column: t.foo");
	expect_error(db, "select * from t where foo = 1", ROWFS_SCHEMA, EINVAL,
		     "Error: no such column: t.foo");
	expect_error(db, "update t set foo = 1", ROWFS_SCHEMA, EINVAL, "Error: no such column: t.foo");
	expect_error(db, "insert into t (id, foo) values (1, 2)", ROWFS_SCHEMA, EINVAL,
		     "Error: no such column: t.foo");
	expect_error(db, "select * from t order by foo", ROWFS_SCHEMA, EINVAL,
		     "Error: no such column: t.foo");
	expect_error(db, "create table t (id integer primary key)", ROWFS_DUPLICATE, EEXIST,
		     "Error: table t already exists");
	expect_error(db, "insert into t values (1, 5, 1, null)", ROWFS_SCHEMA, EINVAL,
		     "Error: t.name expects text, got integer");
	expect_error(db, "insert into t values (1, 'a', 'b', null)", ROWFS_SCHEMA, EINVAL,
		     "Error: t.score expects real, got text");
	expect_error(db, "insert into t values (1, 'a', 1, 'b')", ROWFS_SCHEMA, EINVAL,
		     "Error: t.data expects blob, got text");
	expect_error(db, "insert into t values (1.5, 'a', 1, null)", ROWFS_SCHEMA, EINVAL,
		     "Error: t.id expects integer, got real");
	expect_error(db, "select * from t where name = 5", ROWFS_SCHEMA, EINVAL,
		     "Error: t.name expects text, got integer");
	expect_error(db, "select * from t where id = 'a'", ROWFS_SCHEMA, EINVAL,
		     "Error: t.id expects integer, got text");
	expect_error(db, "update t set name = x'00'", ROWFS_SCHEMA, EINVAL,
		     "Error: t.name expects text, got blob");
	expect_error(db, "insert into t values (1, null, 1, null)", ROWFS_SCHEMA, EINVAL,
		     "Error: t.name may not be NULL");
	expect_error(db, "insert into t (id) values (1)", ROWFS_SCHEMA, EINVAL,
		     "Error: t.name may not be NULL");
	expect_error(db, "update t set name = null", ROWFS_SCHEMA, EINVAL,
		     "Error: t.name may not be NULL");
	expect_error(db, "update t set id = null", ROWFS_SCHEMA, EINVAL, "Error: t.id may not be NULL");
	expect_error(db, "insert into t values (1, 'abcdefghijk', 1, null)", ROWFS_TOOLONG, EINVAL,
		     "Error: t.name too long (11 > 10)");
	expect_error(db, "insert into t values (1, 'a')", ROWFS_SCHEMA, EINVAL,
		     "Error: t has 4 columns but 2 values were supplied");
	expect_error(db, "insert into t (id, name) values (1, 'a', 2)", ROWFS_SCHEMA, EINVAL,
		     "Error: 3 values for 2 columns");
	expect_error(db, "insert into t values (42, 'y', 1, null)", ROWFS_DUPLICATE, EEXIST,
		     "Error: duplicate key 42.");
	expect_error(db, "select * from t order by name", ROWFS_SCHEMA, EINVAL,
		     "Error: order by name needs an index");
	expect_error(db, "drop table users", ROWFS_PERM, EPERM, "Error: table users cannot be dropped");
	expect_error(db, "select * from", ROWFS_SYNTAX, EINVAL,
		     "Parse error: Expected table name, got EOF at position 13");
	tu_expect_reply(db, "select * from t", "(42, x, 1.0, NULL)\n");
	tu_close(db);
}
END_TEST

START_TEST(test_users_sql)
{
	struct rowfs_db *db = open_db();

	run(db, "insert 1 alice");
	tu_expect_reply(db, "insert into users values (5, 'bob')", "Executed.\n");
	tu_expect_reply(db, "insert into users (username, id) values ('carol', 3), ('dave', 9)",
			"Executed.\n");
	tu_expect_reply(db, "select", "(1, alice)\n(3, carol)\n(5, bob)\n(9, dave)\n");
	tu_expect_reply(db, "select * from users where id between 1 and 8",
			"(1, alice)\n(3, carol)\n(5, bob)\n");
	tu_expect_reply(db, "select username from USERS where id > 3 order by id desc",
			"(dave)\n(bob)\n");
	tu_expect_reply(db, "select * from users order by id desc limit 2 offset 1",
			"(5, bob)\n(3, carol)\n");
	tu_expect_reply(db, "select count(*) from users where username != 'bob'", "(3)\n");
	tu_expect_reply(db, "update users set username = 'x' where id = 5", "Executed.\n");
	tu_expect_reply(db, "select * from users where id = 5", "(5, x)\n");
	tu_expect_reply(db, "update users set id = 7 where id = 5", "Executed.\n");
	tu_expect_reply(db, "select", "(1, alice)\n(3, carol)\n(7, x)\n(9, dave)\n");
	expect_error(db, "update users set id = 9 where id = 7", ROWFS_DUPLICATE, EEXIST,
		     "Error: duplicate key 9.");
	expect_error(db, "insert into users values (1, 'z')", ROWFS_DUPLICATE, EEXIST,
		     "Error: duplicate key 1.");
	expect_error(db, "insert into users values (2, '0123456789012345678901234567890123')",
		     ROWFS_TOOLONG, EINVAL, "Error: username too long (34 > 32)");
	expect_error(db, "insert into users values (-1, 'a')", ROWFS_RANGE, EINVAL,
		     "Parse error: Row id must be non-negative");
	expect_error(db, "insert into users values (4294967296, 'a')", ROWFS_RANGE, EINVAL,
		     "Parse error: Row id out of range");
	expect_error(db, "insert into users values (2, 'a@b')", ROWFS_SCHEMA, EINVAL,
		     "Error: users.username may not hold '@'");
	expect_error(db, "insert into users values (2, null)", ROWFS_SCHEMA, EINVAL,
		     "Error: users.username may not be NULL");
	expect_error(db, "insert into users values (2, 3)", ROWFS_SCHEMA, EINVAL,
		     "Error: users.username expects text, got integer");
	/* a NULL key takes the largest + 1, as sqlite does */
	tu_expect_reply(db, "insert into users (username) values ('n1'), ('n2')", "Executed.\n");
	tu_expect_reply(db, "select * from users where id >= 9", "(9, dave)\n(10, n1)\n(11, n2)\n");
	tu_expect_reply(db, "delete from users where id < 4", "Executed.\n");
	tu_expect_reply(db, "select", "(7, x)\n(9, dave)\n(10, n1)\n(11, n2)\n");
	tu_expect_reply(db, "select * from users where id < 0", "(no rows)\n");
	tu_expect_reply(db, "select * from users where id > 4294967295", "(no rows)\n");
	tu_expect_reply(db, "delete from users", "Executed.\n");
	tu_expect_reply(db, "select", "(empty table)\n");
	tu_expect_reply(db, "select * from users", "(no rows)\n");
	tu_close(db);
}
END_TEST

START_TEST(test_null_and_types)
{
	struct rowfs_db *db = open_db();

	run(db, "create table n (id integer primary key, i integer, r real, s text)");
	run(db, "insert into n values (1, 1, 1.5, 'a'), (2, null, null, null), (3, 3, -2, 'b'),"
		" (4, 4, 4, 'ab')");
	tu_expect_reply(db, "select id from n where i = null", "(no rows)\n");
	tu_expect_reply(db, "select id from n where i != null", "(no rows)\n");
	tu_expect_reply(db, "select id from n where i != 1", "(3)\n(4)\n");
	tu_expect_reply(db, "select id from n where i <> 1 and i < 4", "(3)\n");
	tu_expect_reply(db, "select id from n where i is null", "(2)\n");
	tu_expect_reply(db, "select id from n where s is not null and r is not null",
			"(1)\n(3)\n(4)\n");
	tu_expect_reply(db, "select id from n where id is null", "(no rows)\n");
	tu_expect_reply(db, "select count(*) from n where id is not null", "(4)\n");
	/* numbers compare with numbers across integer and real */
	tu_expect_reply(db, "select id from n where i > 1.5", "(3)\n(4)\n");
	tu_expect_reply(db, "select id from n where r >= 1", "(1)\n(4)\n");
	tu_expect_reply(db, "select id from n where r = 4", "(4)\n");
	tu_expect_reply(db, "select id from n where id < 2.5", "(1)\n(2)\n");
	tu_expect_reply(db, "select id from n where id <= 2.0", "(1)\n(2)\n");
	tu_expect_reply(db, "select id from n where id > 2.5", "(3)\n(4)\n");
	tu_expect_reply(db, "select id from n where id >= 2.5", "(3)\n(4)\n");
	tu_expect_reply(db, "select id from n where id = 3.0", "(3)\n");
	tu_expect_reply(db, "select id from n where id = 3.5", "(no rows)\n");
	tu_expect_reply(db, "select id from n where id between 1.5 and 3.5", "(2)\n(3)\n");
	tu_expect_reply(db, "select id from n where id < 1e300 and id > -1e300", "(1)\n(2)\n(3)\n(4)\n");
	tu_expect_reply(db, "select id from n where id > 1e300", "(no rows)\n");
	tu_expect_reply(db, "select id from n where id between 3 and 2", "(no rows)\n");
	tu_expect_reply(db, "select id from n where id > 9223372036854775807", "(no rows)\n");
	tu_expect_reply(db, "select id from n where id < -9223372036854775808", "(no rows)\n");
	/* texts in byte order, a prefix first */
	tu_expect_reply(db, "select id from n where s > 'a'", "(3)\n(4)\n");
	tu_expect_reply(db, "select id from n where s between 'a' and 'ab'", "(1)\n(4)\n");
	/* an integer into a real column is stored as a real */
	run(db, "update n set r = 7 where id = 2");
	tu_expect_reply(db, "select r from n where id = 2", "(7.0)\n");
	tu_close(db);
}
END_TEST

START_TEST(test_users_walks_backwards)
{
	struct rowfs_db *db = open_db();
	uint64_t rng = 777;
	uint32_t ids[3000];
	struct tu_buf out = {0}, want = {0};
	struct rowfs_err err;
	char line[160];
	unsigned i, q, n = 0;
	uint32_t id = 5;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < 3000; i++) {
		id += 1 + (uint32_t)(tu_next_random(&rng) % 5);
		ids[n++] = id;
		snprintf(line, sizeof(line), "insert %u n%u", id, id);
		REQUIRE(tu_exec_emit(db, line, strlen(line), tu_discard, NULL, &err) == ROWFS_OK, "%s",
			err.msg);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	/* a few leaves emptied in the middle, so the walk crosses internal boundaries */
	run(db, "delete from users where id between 4000 and 4600");
	for (i = 0, q = 0; i < n; i++)
		if (ids[i] < 4000 || ids[i] > 4600)
			ids[q++] = ids[i];
	n = q;
	for (q = 0; q < 300; q++) {
		uint32_t lo = (uint32_t)(tu_next_random(&rng) % (id + 20));
		uint32_t hi = lo + (uint32_t)(tu_next_random(&rng) % 1500);
		unsigned limit = (unsigned)(tu_next_random(&rng) % 400), emitted = 0;

		if (q % 10 == 0)
			hi = 4294967295u;
		out.len = want.len = 0;
		snprintf(line, sizeof(line),
			 "select id from users where id >= %u and id <= %u order by id desc limit %u",
			 lo, hi, limit);
		for (i = n; i-- > 0 && emitted < limit;) {
			char row[24];

			if (ids[i] < lo || ids[i] > hi)
				continue;
			tu_buf_emit(&want, row, (size_t)snprintf(row, sizeof(row), "(%u)\n", ids[i]));
			emitted++;
		}
		if (emitted == 0)
			tu_buf_emit(&want, "(no rows)\n", 10);
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		REQUIRE(tu_exec(db, line, &out, &err) == ROWFS_OK, "%s: %s", line, err.msg);
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
		REQUIRE(strcmp(out.data, want.data) == 0, "%s:\n%.200s\nwant\n%.200s", line, out.data,
			want.data);
	}
	tu_buf_free(&out);
	tu_buf_free(&want);
	tu_close(db);
}
END_TEST

/* Run lines in one transaction; each must succeed. */
static void run_all(struct rowfs_db *db, const char *const *lines, unsigned n)
{
	struct rowfs_err err;
	unsigned i;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < n; i++)
		ck_assert_msg(tu_exec_emit(db, lines[i], strlen(lines[i]), tu_discard, NULL, &err) ==
			      ROWFS_OK, "'%s': %s", lines[i], err.msg);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
}

START_TEST(test_atomic_statements)
{
	static const char *const setup[] = {
		"create table a (id integer primary key, v text(3))",
		"insert into a values (1, 'x'), (2, 'y'), (5, 'z')",
		"insert into users values (10, 'u10'), (11, 'u11')",
	};
	struct rowfs_db *db = open_db();
	char *before, *after;

	run_all(db, setup, 3);
	before = dump_text(db);
	/* the 3rd row fails: nothing of the statement stays */
	expect_error(db, "insert into a values (3, 'p'), (4, 'q'), (5, 'r')", ROWFS_DUPLICATE, EEXIST,
		     "Error: duplicate key 5.");
	expect_error(db, "insert into a values (3, 'p'), (4, 'q'), (3, 'r')", ROWFS_DUPLICATE, EEXIST,
		     "Error: duplicate key 3.");
	expect_error(db, "insert into a values (3, 'p'), (4, 'q'), (6, 'long')", ROWFS_TOOLONG, EINVAL,
		     "Error: a.v too long (4 > 3)");
	expect_error(db, "insert into a values (3, 'p'), (4, 'q'), (6, 7)", ROWFS_SCHEMA, EINVAL,
		     "Error: a.v expects text, got integer");
	expect_error(db, "insert into users values (12, 'a'), (13, 'b'), (11, 'c')", ROWFS_DUPLICATE,
		     EEXIST, "Error: duplicate key 11.");
	expect_error(db, "insert into users values (12, 'a'), (13, 'b'), (14, 'c d')", ROWFS_SCHEMA,
		     EINVAL, "Error: users.username may not hold the byte 0x20");
	/* several rows to one key, or onto a key taken */
	expect_error(db, "update a set id = 9", ROWFS_DUPLICATE, EEXIST, "Error: duplicate key 9.");
	expect_error(db, "update a set id = 5 where id = 1", ROWFS_DUPLICATE, EEXIST,
		     "Error: duplicate key 5.");
	expect_error(db, "update users set id = 10 where id = 11", ROWFS_DUPLICATE, EEXIST,
		     "Error: duplicate key 10.");
	after = dump_text(db);
	ck_assert_str_eq(after, before);
	free(after);
	/* a key moved onto itself is no collision; one row may move */
	tu_expect_reply(db, "update a set id = 5, v = 'w' where id = 5", "Executed.\n");
	tu_expect_reply(db, "update a set id = -1 where id = 1", "Executed.\n");
	tu_expect_reply(db, "select * from a", "(-1, x)\n(2, y)\n(5, w)\n");
	/* a failing statement inside a transaction leaves the others */
	{
		struct rowfs_err err;
		struct tu_buf out = {0};

		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		ck_assert_int_eq(tu_exec(db, "begin", &out, &err), ROWFS_OK);
		ck_assert_int_eq(tu_exec(db, "insert into a values (7, 'n')", &out, &err), ROWFS_OK);
		ck_assert_int_eq(tu_exec(db, "insert into a values (8, 'm'), (7, 'o')", &out, &err),
				 ROWFS_DUPLICATE);
		ck_assert_int_eq(tu_exec(db, "commit", &out, &err), ROWFS_OK);
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
		tu_buf_free(&out);
	}
	tu_expect_reply(db, "select id from a", "(-1)\n(2)\n(5)\n(7)\n");
	free(before);
	tu_close(db);
}
END_TEST

/* Pages the engine fetched (cache hits + misses) while line ran. */
static uint64_t pages_touched(struct rowfs_db *db, const char *line, const char *reply)
{
	struct rowfs_stats a, b;

	tu_stats(db, &a);
	if (reply)
		tu_expect_reply(db, line, reply);
	else
		run(db, line);
	tu_stats(db, &b);
	return (b.cache_hits + b.cache_misses) - (a.cache_hits + a.cache_misses);
}

START_TEST(test_key_ranges_are_ranges)
{
	struct rowfs_db *db = open_db();
	struct rowfs_err err;
	char line[128];
	uint64_t scan, range, point, desc, count_all, users_scan, users_range;
	unsigned i;

	run(db, "create table big (id integer primary key, pad text)");
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < 20000; i++) {
		snprintf(line, sizeof(line),
			 "insert into big values (%u, 'padding padding padding padding %u')", i, i);
		REQUIRE(tu_exec_emit(db, line, strlen(line), tu_discard, NULL, &err) == ROWFS_OK,
			"%s", err.msg);
		snprintf(line, sizeof(line), "insert %u u%u", i, i);
		REQUIRE(tu_exec_emit(db, line, strlen(line), tu_discard, NULL, &err) == ROWFS_OK,
			"%s", err.msg);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);

	scan = pages_touched(db, "select count(*) from big where pad = 'none'", "(0)\n");
	count_all = pages_touched(db, "select count(*) from big", "(20000)\n");
	range = pages_touched(db, "select id from big where id between 10000 and 10002 and id != 10001",
			      "(10000)\n(10002)\n");
	point = pages_touched(db, "select count(*) from big where id = 777", "(1)\n");
	desc = pages_touched(db, "select id from big where id <= 15000 and id > 14998 order by id desc",
			     "(15000)\n(14999)\n");
	users_scan = pages_touched(db, "select count(*) from users where username = 'x'", "(0)\n");
	users_range = pages_touched(db, "select * from users where id >= 19998", "(19998, u19998)\n"
				    "(19999, u19999)\n");
	ck_assert_msg(scan > 200, "a scan touched %llu pages", (unsigned long long)scan);
	ck_assert_msg(count_all > 200, "count(*) touched %llu pages", (unsigned long long)count_all);
	ck_assert_msg(range <= 10, "a range touched %llu pages", (unsigned long long)range);
	ck_assert_msg(point <= 10, "a point touched %llu pages", (unsigned long long)point);
	ck_assert_msg(desc <= 10, "a desc range touched %llu pages", (unsigned long long)desc);
	ck_assert_msg(users_scan > 150, "a users scan touched %llu", (unsigned long long)users_scan);
	ck_assert_msg(users_range <= 10, "a users range touched %llu", (unsigned long long)users_range);
	/* update and delete find their rows the same way */
	point = pages_touched(db, "update big set pad = 'p' where id = 4242", NULL);
	ck_assert_msg(point <= 20, "a point update touched %llu pages", (unsigned long long)point);
	point = pages_touched(db, "delete from big where id >= 19999", NULL);
	ck_assert_msg(point <= 20, "a range delete touched %llu pages", (unsigned long long)point);
	tu_require_clean(db, "big");
	tu_expect_reply(db, "select * from big where id >= 19997", "(19997, padding padding padding "
			"padding 19997)\n(19998, padding padding padding padding 19998)\n");
	tu_close(db);
}
END_TEST

START_TEST(test_transactions_two_tables_ddl)
{
	struct rowfs_db *db = open_db();
	struct tu_buf out = {0};
	struct rowfs_err err;
	char *before, *after;

	run(db, "create table keep (id integer primary key, v integer)");
	run(db, "insert into keep values (1, 10)");
	run(db, "insert 1 one");
	before = dump_text(db);

	/* rollback takes back rows of both tables and the DDL */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	expect_in_txn(db, "begin", "Executed.\n");
	expect_in_txn(db, "create table tmp (id integer primary key, s text)", "Executed.\n");
	expect_in_txn(db, "insert into tmp values (1, 'a'), (2, 'b')", "Executed.\n");
	expect_in_txn(db, "insert into keep values (2, 20)", "Executed.\n");
	expect_in_txn(db, "insert 2 two", "Executed.\n");
	expect_in_txn(db, "drop table keep", "Executed.\n");
	expect_in_txn(db, ".tables", "tmp\nusers\n");
	expect_in_txn(db, "select * from tmp", "(1, a)\n(2, b)\n");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);   /* the unit; the transaction goes on */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	expect_in_txn(db, "select count(*) from tmp", "(2)\n");
	expect_in_txn(db, "rollback", "Executed.\n");
	expect_in_txn(db, ".tables", "keep\nusers\n");
	ck_assert_int_eq(tu_exec(db, "select * from tmp", &out, &err), ROWFS_NOTFOUND);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	after = dump_text(db);
	ck_assert_str_eq(after, before);
	free(after);

	/* an implicit unit rolled back by its caller takes its DDL back too */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	expect_in_txn(db, "create table gone (id integer primary key)", "Executed.\n");
	expect_in_txn(db, "insert into keep values (3, 30)", "Executed.\n");
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	tu_expect_reply(db, ".tables", "keep\nusers\n");
	after = dump_text(db);
	ck_assert_str_eq(after, before);
	free(after);

	/* commit: both tables and the DDL stay, also after a reopen */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	expect_in_txn(db, "begin transaction", "Executed.\n");
	expect_in_txn(db, "create table tmp (id integer primary key, s text)", "Executed.\n");
	expect_in_txn(db, "insert into tmp values (1, 'a')", "Executed.\n");
	expect_in_txn(db, "update keep set v = 11 where id = 1", "Executed.\n");
	expect_in_txn(db, "commit", "Executed.\n");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	before = (free(before), dump_text(db));
	tu_close(db);
	db = open_db();
	after = dump_text(db);
	ck_assert_str_eq(after, before);
	ck_assert_str_eq(after, "begin\ninsert 1 one\n"
			 "create table keep (id integer primary key, v integer)\n"
			 "insert into keep values (1, 11)\n"
			 "create table tmp (id integer primary key, s text)\n"
			 "insert into tmp values (1, 'a')\ncommit\n");
	free(after);
	free(before);
	tu_buf_free(&out);
	tu_close(db);
}
END_TEST

/* A script of committed units over several tables, with DDL. */
static const char *const crash_units[][4] = {
	{"create table a (id integer primary key, s text, r real)",
	 "insert into a values (1, 'one', 1.5), (2, E'two\\n', null)", "insert 1 u1", NULL},
	{"create table b (id integer primary key, x blob)", "insert into b values (-5, x'0102')",
	 "update a set r = 0.25 where id = 2", NULL},
	{"begin", "insert into a values (3, 'three', 3)", "delete from b where id = -5", "commit"},
	{"drop table a", "create table c (id integer primary key, a text)",
	 "insert into c values (9, 'nine')", "insert 2 u2"},
	{"create table a (id integer primary key, t text)", "insert into a values (100, 'again')",
	 "update users set username = 'uu' where id = 1", "delete from c where id = 9"},
};
#define CRASH_UNITS (sizeof(crash_units) / sizeof(crash_units[0]))

/* Run unit u of crash_units; returns the rc of the commit. */
static int run_unit(struct rowfs_db *db, unsigned u)
{
	struct rowfs_err err;
	unsigned i;
	int rc = tu_begin(db, &err);

	for (i = 0; i < 4 && crash_units[u][i] && rc == ROWFS_OK; i++)
		rc = tu_exec_emit(db, crash_units[u][i], strlen(crash_units[u][i]), tu_discard, NULL,
				&err);
	if (rc == ROWFS_OK)
		return tu_commit(db, &err);
	tu_rollback(db, &err);
	return rc;
}

START_TEST(test_recovery_after_power_cut)
{
	char *expect[CRASH_UNITS + 1], *got;
	struct rowfs_stats st;
	struct faultos fo;
	struct rowfs_db *db;
	unsigned u, cut, k;
	int matched;

	/* the dumps after each unit, from a run without faults */
	db = open_db();
	expect[0] = dump_text(db);
	for (u = 0; u < CRASH_UNITS; u++) {
		ck_assert_int_eq(run_unit(db, u), ROWFS_OK);
		expect[u + 1] = dump_text(db);
	}
	tu_close(db);

	/* every unit committed, then the power goes: the WAL alone brings it all back */
	unlink(tu_db_path);
	unlink(tu_wal_path);
	faultos_init(&fo);
	faultos_powerloss_begin(&fo);
	db = open_path(tu_db_path, &fo.os, ROWFS_SYNC_FULL);
	for (u = 0; u < CRASH_UNITS; u++)
		ck_assert_int_eq(run_unit(db, u), ROWFS_OK);
	tu_stats(db, &st);
	ck_assert_uint_gt(st.wal_frames, 0);
	faultos_power_cut(&fo);
	{
		struct rowfs_err ignored;

		tu_close_rc(db, &ignored);
	}
	faultos_release(&fo);
	db = open_db();
	got = dump_text(db);
	ck_assert_str_eq(got, expect[CRASH_UNITS]);
	tu_require_clean(db, "recovered");
	free(got);
	/* and once more (a second recovery from the checkpointed state) */
	tu_close(db);
	db = open_db();
	got = dump_text(db);
	ck_assert_str_eq(got, expect[CRASH_UNITS]);
	free(got);
	tu_close(db);

	/* a cut at every write/fsync of the run: the state of an acknowledged prefix */
	for (cut = 1; cut < 200; cut++) {
		unsigned acked = 0;

		unlink(tu_db_path);
		unlink(tu_wal_path);
		faultos_init(&fo);
		faultos_powerloss_begin(&fo);
		db = open_path(tu_db_path, &fo.os, ROWFS_SYNC_FULL);
		faultos_power_cut_at(&fo, cut);
		for (u = 0; u < CRASH_UNITS; u++) {
			if (run_unit(db, u) != ROWFS_OK)
				break;
			acked = u + 1;
		}
		if (!fo.dead)
			faultos_power_cut(&fo);
		{
			struct rowfs_err ignored;

			tu_close_rc(db, &ignored);
		}
		faultos_release(&fo);
		db = open_db();
		got = dump_text(db);
		for (k = acked, matched = 0; k <= CRASH_UNITS && k <= acked + 1 && !matched; k++)
			matched = strcmp(got, expect[k]) == 0;
		REQUIRE(matched, "cut %u: %u units acknowledged, the database holds:\n%s", cut, acked,
			got);
		free(got);
		tu_close(db);
		if (acked == CRASH_UNITS)
			break;
	}
	ck_assert_uint_lt(cut, 200);
	for (u = 0; u <= CRASH_UNITS; u++)
		free(expect[u]);
}
END_TEST

START_TEST(test_dump_replays_byte_for_byte)
{
	static const char *const setup[] = {
		"create table z (a text, id integer primary key, r real, b blob, i integer not null "
		"default 7, t text(5) default 'dflt')",
		"insert into z values ('x', -9223372036854775808, 0.1, x'', -1, null)",
		"insert into z values (E'tab\\there\\nnl\\\\ q''uote', 9223372036854775807, -0.0, "
		"x'00ff10', 0, 'abc')",
		"insert into z (id) values (0)",
		"insert into z values ('it''s', 5, 1e+100, x'7f', 42, E'\\r')",
		"insert into z values ('\xc3\xa9t\xc3\xa9', 6, 2.5e-07, null, 1, '')",
		"create table empty (id integer primary key)",
		"create table w (id integer primary key, v real)",
		"insert into w values (1, 3), (2, 123456789.125)",
		"insert 7 seven",
		"insert 0 zero",
	};
	struct rowfs_db *db = open_db();
	char *first, *second;
	uint64_t rng = 12345;
	struct rowfs_err err;
	char line[256];
	unsigned i;

	run_all(db, setup, sizeof(setup) / sizeof(setup[0]));
	/* random rows with every kind of value */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < 500; i++) {
		char name[12];

		tu_random_name(&rng, name, 8);
		snprintf(line, sizeof(line), "insert into w values (%u, %.17g)", 10 + i,
			 (double)(int64_t)tu_next_random(&rng) / 1e9);
		REQUIRE(tu_exec_emit(db, line, strlen(line), tu_discard, NULL, &err) == ROWFS_OK, "%s",
			err.msg);
		snprintf(line, sizeof(line), "insert into z (id, a, b) values (%u, '%s', x'%02x%02x')",
			 100 + i, name, i & 255, (i * 7) & 255);
		REQUIRE(tu_exec_emit(db, line, strlen(line), tu_discard, NULL, &err) == ROWFS_OK, "%s",
			err.msg);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	run(db, "drop table empty");
	run(db, "create table later (id integer primary key, big text)");
	{
		/* a value on overflow pages */
		size_t n = 3000;   /* past TABLE_MAX_LOCAL, inside a 4 KiB line */
		char *big = malloc(n + 64);

		strcpy(big, "insert into later values (1, '");
		memset(big + strlen(big), 'q', n);
		strcpy(big + 30 + n, "')");
		run(db, big);
		free(big);
	}
	first = dump_text(db);
	ck_assert_msg(strstr(first, "create table later") > strstr(first, "create table w"),
		      "tables in creation order");
	tu_close(db);

	unlink(tu_path("copy.db"));
	db = open_path(tu_path("copy.db"), NULL, ROWFS_SYNC_OFF);
	run_script(db, first);
	second = dump_text(db);
	ck_assert_str_eq(second, first);
	tu_require_clean(db, "replayed dump");
	free(second);
	tu_close(db);
	db = open_path(tu_path("copy.db"), NULL, ROWFS_SYNC_OFF);
	second = dump_text(db);
	ck_assert_str_eq(second, first);
	free(second);
	free(first);
	tu_close(db);
}
END_TEST

/* Change hook collecting everything fed. */
static void collect_changes(void *ctx, uint64_t seq, const char *text, size_t len, int last)
{
	(void)seq;
	(void)last;
	tu_buf_emit(ctx, text, len);
}

START_TEST(test_change_feed)
{
	struct rowfs_db *db = open_db();
	struct tu_buf feed = {0};
	char expect[1024];
	uint64_t s;

	rowfs_set_change_hook(db, collect_changes, &feed);
	run(db, "create table f (id integer primary key, s text, r real, b blob, n integer)");
	s = rowfs_last_seq(db);
	run(db, "insert into f values (1, 'q\"\\', 2, x'0aff', null), (2, E'\\n', 0.5, null, 3)");
	run(db, "insert 5 five");
	run(db, "update f set n = 4 where id = 1");
	run(db, "update f set id = 3 where id = 2");
	run(db, "delete from f where id = 3");
	run(db, "insert into users values (6, 'six')");
	run(db, "update users set username = 'half' where id = 5");
	run(db, "delete from users where id = 6");
	run(db, "drop table f");
	/* a failed statement and a rolled back unit feed nothing */
	expect_error(db, "insert into users values (5, 'x')", ROWFS_DUPLICATE, EEXIST,
		     "Error: duplicate key 5.");
	snprintf(expect, sizeof(expect),
		 "%llu create f\n"
		 "%llu insert f 1 {\"id\":1,\"s\":\"q\\\"\\\\\",\"r\":2.0,\"b\":\"\\\\x0aff\",\"n\":null}\n"
		 "%llu insert f 2 {\"id\":2,\"s\":\"\\u000a\",\"r\":0.5,\"b\":null,\"n\":3}\n"
		 "%llu insert 5 five\n"
		 "%llu update f 1 {\"id\":1,\"s\":\"q\\\"\\\\\",\"r\":2.0,\"b\":\"\\\\x0aff\",\"n\":4}\n"
		 "%llu delete f 2\n"
		 "%llu insert f 3 {\"id\":3,\"s\":\"\\u000a\",\"r\":0.5,\"b\":null,\"n\":3}\n"
		 "%llu delete f 3\n"
		 "%llu insert 6 six\n"
		 "%llu update 5 half\n"
		 "%llu delete 6\n"
		 "%llu drop f\n",
		 (unsigned long long)s, (unsigned long long)s + 1, (unsigned long long)s + 1,
		 (unsigned long long)s + 2, (unsigned long long)s + 3, (unsigned long long)s + 4,
		 (unsigned long long)s + 4, (unsigned long long)s + 5, (unsigned long long)s + 6,
		 (unsigned long long)s + 7, (unsigned long long)s + 8, (unsigned long long)s + 9);
	ck_assert_str_eq(feed.data, expect);
	tu_buf_free(&feed);
	tu_close(db);
}
END_TEST

START_TEST(test_exec_at_snapshot)
{
	struct rowfs_db *db = open_db();
	struct rowfs_txn *snap;
	struct tu_buf out = {0};
	struct rowfs_err err;
	char *dump_then;

	run(db, "create table s1 (id integer primary key, v text)");
	run(db, "insert into s1 values (1, 'old')");
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &snap, &err), ROWFS_OK);
	{
		struct rowfs_dump_pos pos;
		struct tu_buf d = {0};

		memset(&pos, 0, sizeof(pos));
		ck_assert_int_eq(rowfs_dump(snap, &pos, tu_buf_emit, &d, &err), ROWFS_OK);
		dump_then = d.data;
	}
	run(db, "create table s2 (id integer primary key)");
	run(db, "update s1 set v = 'new' where id = 1");
	run(db, "insert into s1 values (2, 'two')");
	run(db, "drop table s1");
	run(db, "create table s1 (id integer primary key, other real)");

	ck_assert_int_eq(rowfs_exec(snap, "select * from s1", 16, tu_buf_emit, &out, &err),
			 ROWFS_OK);
	ck_assert_str_eq(out.data, "(1, old)\n");
	out.len = 0;
	ck_assert_int_eq(rowfs_exec(snap, ".tables", 7, tu_buf_emit, &out, &err), ROWFS_OK);
	ck_assert_str_eq(out.data, "s1\nusers\n");
	out.len = 0;
	ck_assert_int_eq(rowfs_exec(snap, "select * from s2", 16, tu_buf_emit, &out, &err),
			 ROWFS_NOTFOUND);
	ck_assert_str_eq(err.msg, "Error: no such table: s2");
	ck_assert_int_eq(tu_exec_committed(db, "select * from s2", 16, tu_buf_emit, &out, &err),
			 ROWFS_OK);
	ck_assert_str_eq(out.data, "(no rows)\n");
	out.len = 0;
	ck_assert_int_eq(rowfs_exec(snap, "insert into s1 values (3, 'x')", 30, tu_buf_emit,
				       &out, &err), ROWFS_BUSY);
	ck_assert_int_eq(rowfs_exec(snap, "drop table s1", 13, tu_buf_emit, &out, &err),
			 ROWFS_BUSY);
	{
		struct rowfs_dump_pos pos;
		struct tu_buf d = {0};

		memset(&pos, 0, sizeof(pos));
		ck_assert_int_eq(rowfs_dump(snap, &pos, tu_buf_emit, &d, &err), ROWFS_OK);
		ck_assert_str_eq(d.data, dump_then);
		ck_assert_str_eq(d.data, "begin\ncreate table s1 (id integer primary key, v text)\n"
				 "insert into s1 values (1, 'old')\ncommit\n");
		tu_buf_free(&d);
	}
	/* a snapshot inside an explicit transaction that made a table: the committed catalog */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	expect_in_txn(db, "begin", "Executed.\n");
	expect_in_txn(db, "create table s3 (id integer primary key)", "Executed.\n");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec_committed(db, ".tables", 7, tu_buf_emit, &out, &err), ROWFS_OK);
	ck_assert_str_eq(out.data, "s1\ns2\nusers\n");
	ck_assert_int_eq(tu_txn_abort(db, &err), ROWFS_OK);
	rowfs_txn_abort(snap);
	tu_buf_free(&out);
	free(dump_then);
	tu_close(db);
}
END_TEST

/* ---- typed rows and results ------------------------------------------------ */

/* A value as a select's reply prints it: NULL, integer, real, raw text, x'..' blob. */
static void typed_text(struct tu_buf *b, const struct rowfs_value *v)
{
	static const char hex[] = "0123456789abcdef";
	char num[40];
	size_t i;

	switch (v->type) {
	case ROWFS_TYPE_NULL:
		tu_buf_emit(b, "NULL", 4);
		break;
	case ROWFS_TYPE_INTEGER:
		tu_buf_emit(b, num, (size_t)snprintf(num, sizeof(num), "%lld", (long long)v->i));
		break;
	case ROWFS_TYPE_REAL:
		tu_buf_emit(b, num, rowfs_format_real(v->r, num));
		break;
	case ROWFS_TYPE_TEXT:
		tu_buf_emit(b, v->p, v->len);
		break;
	case ROWFS_TYPE_BLOB:
		tu_buf_emit(b, "x'", 2);
		for (i = 0; i < v->len; i++) {
			char two[2] = {hex[((const uint8_t *)v->p)[i] >> 4],
				       hex[((const uint8_t *)v->p)[i] & 15]};

			tu_buf_emit(b, two, 2);
		}
		tu_buf_emit(b, "'", 1);
		break;
	default:
		ck_abort_msg("value of type %d", v->type);
	}
}

/* What a sink received: "[c1,c2]" for the columns, then "(v1, v2)\n" per row. */
struct typed {
	struct tu_buf text;    /* columns and rows, in order */
	unsigned columns;      /* columns calls */
	unsigned width;        /* n of the columns call */
	unsigned rows;         /* row calls */
	unsigned refuse_at;    /* refuse the row call with this number (1-based; 0: never) */
};

static int typed_columns(void *ctx, const char *const *names, unsigned n)
{
	struct typed *t = ctx;
	unsigned i;

	t->columns++;
	t->width = n;
	tu_buf_emit(&t->text, "[", 1);
	for (i = 0; i < n; i++) {
		if (i)
			tu_buf_emit(&t->text, ",", 1);
		tu_buf_emit(&t->text, names[i], strlen(names[i]));
	}
	tu_buf_emit(&t->text, "]", 1);
	return 0;
}

static int typed_row(void *ctx, const struct rowfs_value *vals, unsigned n)
{
	struct typed *t = ctx;
	unsigned i;

	ck_assert_uint_eq(t->columns, 1);
	ck_assert_uint_eq(n, t->width);
	if (++t->rows == t->refuse_at)
		return 1;
	tu_buf_emit(&t->text, "(", 1);
	for (i = 0; i < n; i++) {
		if (i)
			tu_buf_emit(&t->text, ", ", 2);
		typed_text(&t->text, &vals[i]);
	}
	tu_buf_emit(&t->text, ")\n", 2);
	return 0;
}

/*
 * line through rowfs_exec_sink in the held unit: its text replies into
 * out, its typed result as typed_row text into t (both emptied first).
 */
static int exec_typed(struct rowfs_db *db, const char *line, struct typed *t, struct tu_buf *out,
		      struct rowfs_err *err)
{
	struct rowfs_sink sink = {typed_columns, typed_row, t};

	t->text.len = 0;
	t->columns = t->rows = 0;
	out->len = 0;
	tu_buf_emit(&t->text, "", 0);
	tu_buf_emit(out, "", 0);
	return rowfs_exec_sink(tu_txn(db), line, strlen(line), &sink, tu_buf_emit, out, err);
}

/* line in a unit of its own: the typed result must be want, and no text but text_want. */
static void expect_typed(struct rowfs_db *db, const char *line, const char *want,
			 const char *text_want)
{
	struct typed t = {0};
	struct tu_buf out = {0};
	struct rowfs_err err;
	int rc;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	rc = exec_typed(db, line, &t, &out, &err);
	ck_assert_msg(rc == ROWFS_OK, "'%s': %s (%s)", line, rowfs_rc_name(rc), err.msg);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_msg(strcmp(t.text.data, want) == 0, "'%s': typed '%s', want '%s'", line,
		      t.text.data, want);
	ck_assert_msg(strcmp(out.data, text_want) == 0, "'%s': text '%s', want '%s'", line,
		      out.data, text_want);
	tu_buf_free(&t.text);
	tu_buf_free(&out);
}

/* rowfs_row_fn: "key:" then the row's values as typed_text, " | " between, and ";". */
static int scan_text(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct tu_buf *b = ctx;
	char head[32];
	unsigned i;

	tu_buf_emit(b, head, (size_t)snprintf(head, sizeof(head), "%lld:", (long long)key));
	for (i = 0; i < n; i++) {
		if (i)
			tu_buf_emit(b, " | ", 3);
		typed_text(b, &vals[i]);
	}
	tu_buf_emit(b, ";", 1);
	return 0;
}

/* rowfs_row_fn: stop after the first row. */
static int scan_first(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	scan_text(ctx, key, vals, n);
	return 1;
}

START_TEST(test_typed_results)
{
	struct rowfs_db *db = open_db();
	struct typed t = {0};
	struct tu_buf out = {0};
	struct rowfs_err err;
	int rc;

	/* the seed select and users through the sink */
	expect_typed(db, "select", "[id,username]", "");
	run(db, "insert 7 alice");
	run(db, "insert 3 bob");
	expect_typed(db, "select", "[id,username](3, bob)\n(7, alice)\n", "");
	expect_typed(db, "SELECT * FROM users WHERE id > 3", "[id,username](7, alice)\n", "");
	expect_typed(db, "select username from users order by id desc",
		     "[username](alice)\n(bob)\n", "");
	/* every type, NULL, reals in their shortest form, blobs */
	run(db, "create table t (id integer primary key, r real, s text, b blob, n integer)");
	run(db, "insert into t values (-5, 0.1, 'a''b', x'00ff', null), "
		"(2, 1e+100, E'x\\ty', x'', 42), (9, 3, '', null, -9223372036854775808)");
	expect_typed(db, "select * from t",
		     "[id,r,s,b,n](-5, 0.1, a'b, x'00ff', NULL)\n(2, 1e+100, x\ty, x'', 42)\n"
		     "(9, 3.0, , NULL, -9223372036854775808)\n", "");
	expect_typed(db, "select b, id from t where id between 0 and 9 limit 1 offset 1",
		     "[b,id](NULL, 9)\n", "");
	expect_typed(db, "select * from t where id > 100", "[id,r,s,b,n]", "");
	expect_typed(db, "select count(*) from t", "[count(*)](3)\n", "");
	expect_typed(db, "select count(*) from t limit 1 offset 1", "[count(*)]", "");
	expect_typed(db, "select count(*) from t where n is null", "[count(*)](1)\n", "");
	/* the rest is text, as rowfs_exec replies it */
	expect_typed(db, "insert into t values (10, null, null, null, null)", "", "Executed.\n");
	expect_typed(db, ".tables", "", "t\nusers\n");
	expect_typed(db, "begin", "", "Executed.\n");
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_OPEN);
	expect_typed(db, "select id from t where id >= 9", "[id](9)\n(10)\n", "");
	expect_typed(db, "rollback", "", "Executed.\n");
	/* a sink that refuses a row: ROWFS_NOMEM, as a refusing emit */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	t.refuse_at = 2;
	rc = exec_typed(db, "select * from t", &t, &out, &err);
	ck_assert_int_eq(rc, ROWFS_NOMEM);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	/* a read transaction: typed reads of its state, writes refused */
	{
		struct rowfs_sink sink = {typed_columns, typed_row, &t};
		struct rowfs_txn *reader;

		ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, &err), ROWFS_OK);
		run(db, "delete from t where id = 2");
		t.refuse_at = 0;
		t.text.len = 0;
		t.columns = t.rows = 0;
		ck_assert_int_eq(rowfs_exec_sink(reader, "select id, r from t", 19, &sink,
						 tu_buf_emit, &out, &err), ROWFS_OK);
		tu_buf_emit(&t.text, "", 1);
		ck_assert_str_eq(t.text.data, "[id,r](-5, 0.1)\n(2, 1e+100)\n(9, 3.0)\n(10, NULL)\n");
		ck_assert_int_eq(rowfs_exec_sink(reader, "delete from t", 13, &sink, tu_buf_emit,
						 &out, &err), ROWFS_BUSY);
		ck_assert_str_eq(err.msg,
				 "Error: database is busy: another handle has a transaction open");
		rowfs_txn_abort(reader);
	}
	tu_buf_free(&t.text);
	tu_buf_free(&out);
	tu_close(db);
}
END_TEST

START_TEST(test_typed_reads)
{
	struct rowfs_db *db = open_db();
	struct rowfs_table_info info;
	struct rowfs_txn *reader, *writer, *second;
	struct tu_buf b = {0};
	struct rowfs_err err;
	int64_t start;
	int found;

	run(db, "create table t (id integer primary key, r real not null, s text(5) default 'x', "
		"b blob)");
	run(db, "insert into t values (-3, 1.5, 'neg', x'01'), (0, 2, null, null), "
		"(9223372036854775807, -0.0, 'max', x'')");
	run(db, "insert 5 five");
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, &err), ROWFS_OK);

	/* columns */
	ck_assert_int_eq(rowfs_table_info(reader, "T", &info, &err), ROWFS_OK);
	ck_assert_str_eq(info.name, "t");
	ck_assert_uint_eq(info.column_count, 4);
	ck_assert_uint_eq(info.key_column, 0);
	ck_assert_str_eq(info.columns[1].name, "r");
	ck_assert_int_eq(info.columns[1].type, ROWFS_TYPE_REAL);
	ck_assert_int_eq(info.columns[1].not_null, 1);
	ck_assert_int_eq(info.columns[2].type, ROWFS_TYPE_TEXT);
	ck_assert_uint_eq(info.columns[2].max_len, 5);
	ck_assert_int_eq(info.columns[2].not_null, 0);
	ck_assert_int_eq(info.columns[3].type, ROWFS_TYPE_BLOB);
	ck_assert_int_eq(info.columns[0].is_key, 1);
	ck_assert_int_eq(info.columns[0].not_null, 1);
	ck_assert_int_eq(rowfs_table_info(reader, NULL, &info, &err), ROWFS_OK);
	ck_assert_str_eq(info.name, "users");
	ck_assert_str_eq(info.columns[1].name, "username");
	ck_assert_uint_eq(info.columns[1].max_len, ROWFS_USERNAME_MAX);

	/* scans: every row from a key on, typed; a stop; no such table */
	ck_assert_int_eq(rowfs_scan(reader, "t", INT64_MIN, scan_text, &b, &err), ROWFS_OK);
	tu_buf_emit(&b, "", 1);
	ck_assert_str_eq(b.data, "-3:-3 | 1.5 | neg | x'01';0:0 | 2.0 | NULL | NULL;"
			 "9223372036854775807:9223372036854775807 | -0.0 | max | x'';");
	b.len = 0;
	ck_assert_int_eq(rowfs_scan(reader, "t", -2, scan_first, &b, &err), ROWFS_OK);
	tu_buf_emit(&b, "", 1);
	ck_assert_str_eq(b.data, "0:0 | 2.0 | NULL | NULL;");
	b.len = 0;
	ck_assert_int_eq(rowfs_scan(reader, "users", 0, scan_text, &b, &err), ROWFS_OK);
	tu_buf_emit(&b, "", 1);
	ck_assert_str_eq(b.data, "5:5 | five;");
	ck_assert_int_eq(rowfs_scan(reader, "nope", 0, scan_text, &b, &err), ROWFS_NOTFOUND);
	ck_assert_str_eq(err.msg, "Error: no such table: nope");

	/* point reads and last/N starts */
	b.len = 0;
	ck_assert_int_eq(rowfs_get(reader, "t", -3, scan_text, &b, &found, &err), ROWFS_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(rowfs_get(reader, "t", 1, scan_text, &b, &found, &err), ROWFS_OK);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(rowfs_get(reader, NULL, 5, scan_text, &b, &found, &err), ROWFS_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(rowfs_get(reader, NULL, -1, scan_text, &b, &found, &err), ROWFS_OK);
	ck_assert_int_eq(found, 0);
	tu_buf_emit(&b, "", 1);
	ck_assert_str_eq(b.data, "-3:-3 | 1.5 | neg | x'01';5:5 | five;");
	ck_assert_int_eq(rowfs_last_start(reader, "t", 2, &start, &found, &err), ROWFS_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(start, 0);
	ck_assert_int_eq(rowfs_last_start(reader, "t", 50, &start, &found, &err), ROWFS_OK);
	ck_assert_int_eq(start, -3);
	ck_assert_int_eq(rowfs_last_start(reader, "t", 0, &start, &found, &err), ROWFS_OK);
	ck_assert_int_eq(found, 0);

	/* the reader keeps its state; the writer sees its own changes; one writer at a time */
	ck_assert_int_eq(rowfs_txn_begin(db, 0, &writer, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_has_writer(db), 1);
	ck_assert_int_eq(rowfs_txn_begin(db, 0, &second, &err), ROWFS_BUSY);
	ck_assert_ptr_null(second);
	ck_assert_str_eq(err.msg, "Error: database is busy: another handle has a transaction open");
	ck_assert_int_eq(rowfs_exec(writer, "delete from t where id < 0", 26, tu_discard, NULL,
				    &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_get(writer, "t", -3, scan_text, &b, &found, &err), ROWFS_OK);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &second, &err), ROWFS_BUSY);
	ck_assert_int_eq(rowfs_txn_commit(writer, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_has_writer(db), 0);
	ck_assert_int_eq(rowfs_get(reader, "t", -3, scan_text, &b, &found, &err), ROWFS_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_uint_lt(rowfs_txn_seq(reader), rowfs_last_seq(db));
	rowfs_txn_abort(reader);
	tu_buf_free(&b);
	tu_close(db);
}
END_TEST

/* ---- the model ------------------------------------------------------------ */

#define MODEL_KEYS 41        /* keys -20..20 */
#define MODEL_KEY0 20

/* One row of the model of m (id integer primary key, v integer, s text(6)). */
struct mrow {
	int present;
	int v_null, s_null;
	long v;
	char s[8];
};

/* A predicate of a random where. */
struct mpred {
	int column;          /* 0 id, 1 v, 2 s */
	int op;              /* 0 =, 1 !=, 2 <, 3 <=, 4 >, 5 >=, 6 between, 7 is null, 8 is not null */
	long a, b;           /* numbers */
	char sa[8], sb[8];   /* texts */
	int null_operand;    /* compared with NULL */
};

static int cmp_long(long x, long y)
{
	return x < y ? -1 : x > y;
}

static int pred_match(const struct mpred *p, long key, const struct mrow *r)
{
	int is_null = p->column == 1 ? r->v_null : p->column == 2 ? r->s_null : 0;
	int c, c2 = 0;

	if (p->op == 7)
		return is_null;
	if (p->op == 8)
		return !is_null;
	if (is_null || p->null_operand)
		return 0;
	if (p->column == 2) {
		c = strcmp(r->s, p->sa);
		c = c < 0 ? -1 : c > 0;
		c2 = strcmp(r->s, p->sb);
	} else {
		long x = p->column == 0 ? key : r->v;

		c = cmp_long(x, p->a);
		c2 = cmp_long(x, p->b);
	}
	switch (p->op) {
	case 0: return c == 0;
	case 1: return c != 0;
	case 2: return c < 0;
	case 3: return c <= 0;
	case 4: return c > 0;
	case 5: return c >= 0;
	default: return c >= 0 && c2 <= 0;
	}
}

static void random_text(uint64_t *rng, char *s)
{
	static const char alphabet[] = "abc";
	unsigned n = (unsigned)(tu_next_random(rng) % 4), i;

	for (i = 0; i < n; i++)
		s[i] = alphabet[tu_next_random(rng) % 3];
	s[n] = '\0';
}

/* A random where of 0..2 predicates: its text into sql, its predicates into p. */
static unsigned random_where(uint64_t *rng, char *sql, size_t size, struct mpred *p)
{
	static const char *const ops[] = {"=", "!=", "<", "<=", ">", ">=", "between", "is null",
					  "is not null"};
	static const char *const cols[] = {"id", "v", "s"};
	unsigned n = (unsigned)(tu_next_random(rng) % 3), i;
	size_t len = 0;

	sql[0] = '\0';
	for (i = 0; i < n; i++) {
		char a[24], b[24];

		memset(&p[i], 0, sizeof(p[i]));
		p[i].column = (int)(tu_next_random(rng) % 3);
		p[i].op = (int)(tu_next_random(rng) % 9);
		if (p[i].column == 0 && tu_next_random(rng) % 2)
			p[i].op = (int)(tu_next_random(rng) % 7);   /* more key ranges */
		p[i].a = (long)(tu_next_random(rng) % MODEL_KEYS) - MODEL_KEY0;
		p[i].b = p[i].a + (long)(tu_next_random(rng) % 10) - 2;
		random_text(rng, p[i].sa);
		random_text(rng, p[i].sb);
		p[i].null_operand = p[i].op < 7 && tu_next_random(rng) % 12 == 0;
		if (p[i].null_operand)
			strcpy(a, "null");
		else if (p[i].column == 2)
			snprintf(a, sizeof(a), "'%s'", p[i].sa);
		else
			snprintf(a, sizeof(a), "%ld", p[i].a);
		if (p[i].column == 2)
			snprintf(b, sizeof(b), "'%s'", p[i].sb);
		else
			snprintf(b, sizeof(b), "%ld", p[i].b);
		len += (size_t)snprintf(sql + len, size - len, "%s %s %s", i ? " and" : " where",
					cols[p[i].column], ops[p[i].op]);
		if (p[i].op == 6)
			len += (size_t)snprintf(sql + len, size - len, " %s and %s", a, b);
		else if (p[i].op < 6)
			len += (size_t)snprintf(sql + len, size - len, " %s", a);
	}
	return n;
}

static int row_matches(const struct mpred *p, unsigned n, long key, const struct mrow *r)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!pred_match(&p[i], key, r))
			return 0;
	return 1;
}

/* "(id, v, s)\n" of a model row. */
static void model_line(struct tu_buf *b, long key, const struct mrow *r)
{
	char line[80];
	int n;

	if (r->v_null)
		n = snprintf(line, sizeof(line), "(%ld, NULL, ", key);
	else
		n = snprintf(line, sizeof(line), "(%ld, %ld, ", key, r->v);
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s)\n", r->s_null ? "NULL" : r->s);
	tu_buf_emit(b, line, (size_t)n);
}

/* A random value clause for v and s: text into a and b, the model into r. */
static void random_values(uint64_t *rng, struct mrow *r, char *v, char *s)
{
	r->v_null = tu_next_random(rng) % 6 == 0;
	r->v = (long)(tu_next_random(rng) % 7) - 3;
	r->s_null = tu_next_random(rng) % 6 == 0;
	random_text(rng, r->s);
	if (r->v_null)
		strcpy(v, "null");
	else
		sprintf(v, "%ld", r->v);
	if (r->s_null)
		strcpy(s, "null");
	else
		sprintf(s, "'%s'", r->s);
}

START_TEST(test_random_against_model)
{
	struct mrow model[MODEL_KEYS], next[MODEL_KEYS];
	struct rowfs_db *db = open_db();
	uint64_t rng = tu_seed("ROWFS_SEED", 20261207);
	struct tu_buf out = {0}, want = {0};
	struct typed typed = {0};
	struct mpred preds[2];
	struct rowfs_err err;
	char sql[512], v[48], s[24];
	unsigned step, npred, i, counts[5] = {0};
	int rc;

	memset(model, 0, sizeof(model));
	run(db, "create table m (id integer primary key, v integer, s text(6))");
	for (step = 0; step < 4000; step++) {
		unsigned kind = (unsigned)(tu_next_random(&rng) % 10);
		long key;
		int want_rc = ROWFS_OK;
		long dup = 0;

		out.len = want.len = 0;
		memcpy(next, model, sizeof(model));
		if (kind < 3) {
			/* insert 1..3 rows; the first key taken (earlier row or table) fails it all */
			unsigned rows = 1 + (unsigned)(tu_next_random(&rng) % 3);
			size_t len = (size_t)snprintf(sql, sizeof(sql), "insert into m values ");

			for (i = 0; i < rows; i++) {
				struct mrow r = {0};

				key = (long)(tu_next_random(&rng) % MODEL_KEYS) - MODEL_KEY0;
				random_values(&rng, &r, v, s);
				r.present = 1;
				len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s(%ld, %s, %s)",
							i ? ", " : "", key, v, s);
				if (want_rc == ROWFS_OK && next[key + MODEL_KEY0].present) {
					want_rc = ROWFS_DUPLICATE;
					dup = key;
				}
				next[key + MODEL_KEY0] = r;
			}
			counts[0]++;
		} else if (kind < 5) {
			/* update v and s, or move one key */
			npred = random_where(&rng, sql + 200, sizeof(sql) - 200, preds);
			if (tu_next_random(&rng) % 4 == 0) {
				unsigned hits = 0;
				long to = (long)(tu_next_random(&rng) % MODEL_KEYS) - MODEL_KEY0, from = 0;

				snprintf(sql, 200, "update m set id = %ld", to);
				for (key = -MODEL_KEY0; key < MODEL_KEYS - MODEL_KEY0; key++)
					if (model[key + MODEL_KEY0].present &&
					    row_matches(preds, npred, key, &model[key + MODEL_KEY0])) {
						hits++;
						from = key;
					}
				if (hits > 1 || (hits == 1 && from != to && model[to + MODEL_KEY0].present)) {
					want_rc = ROWFS_DUPLICATE;
					dup = to;
				} else if (hits == 1) {
					next[from + MODEL_KEY0].present = 0;
					next[to + MODEL_KEY0] = model[from + MODEL_KEY0];
				}
			} else {
				struct mrow r;

				random_values(&rng, &r, v, s);
				snprintf(sql, 200, "update m set v = %s, s = %s", v, s);
				for (key = -MODEL_KEY0; key < MODEL_KEYS - MODEL_KEY0; key++) {
					struct mrow *m = &next[key + MODEL_KEY0];

					if (m->present && row_matches(preds, npred, key, m)) {
						m->v_null = r.v_null;
						m->v = r.v;
						m->s_null = r.s_null;
						strcpy(m->s, r.s);
					}
				}
			}
			memmove(sql + strlen(sql), sql + 200, strlen(sql + 200) + 1);
			counts[1]++;
		} else if (kind < 6) {
			npred = random_where(&rng, sql + 100, sizeof(sql) - 100, preds);
			snprintf(sql, 100, "delete from m");
			memmove(sql + strlen(sql), sql + 100, strlen(sql + 100) + 1);
			for (key = -MODEL_KEY0; key < MODEL_KEYS - MODEL_KEY0; key++)
				if (next[key + MODEL_KEY0].present &&
				    row_matches(preds, npred, key, &next[key + MODEL_KEY0]))
					next[key + MODEL_KEY0].present = 0;
			counts[2]++;
		} else {
			/* select [count(*)] with where, order, limit, offset */
			int count = tu_next_random(&rng) % 4 == 0;
			int desc = tu_next_random(&rng) % 2;
			int limited = tu_next_random(&rng) % 2;
			unsigned long limit = tu_next_random(&rng) % 6, offset = tu_next_random(&rng) % 4;
			unsigned long seen = 0, emitted = 0, matched = 0;
			size_t len;

			len = (size_t)snprintf(sql, sizeof(sql), "select %s from m",
					       count ? "count(*)" : "*");
			npred = random_where(&rng, sql + len, sizeof(sql) - len, preds);
			len = strlen(sql);
			if (!count && tu_next_random(&rng) % 2)
				len += (size_t)snprintf(sql + len, sizeof(sql) - len, " order by id %s",
							desc ? "desc" : "asc");
			else
				desc = 0;
			if (limited)
				snprintf(sql + len, sizeof(sql) - len, " limit %lu offset %lu", limit,
					 offset);
			for (i = 0; i < MODEL_KEYS; i++) {
				unsigned k = desc ? MODEL_KEYS - 1 - i : i;

				key = (long)k - MODEL_KEY0;
				if (!model[k].present || !row_matches(preds, npred, key, &model[k]))
					continue;
				matched++;
				if (count || (limited && (seen++ < offset || emitted >= limit)))
					continue;
				emitted++;
				model_line(&want, key, &model[k]);
			}
			if (count) {
				if (limited && (offset > 0 || limit == 0)) {
					tu_buf_emit(&want, "(no rows)\n", 10);
				} else {
					snprintf(v, sizeof(v), "(%lu)\n", matched);
					tu_buf_emit(&want, v, strlen(v));
				}
			} else if (emitted == 0) {
				tu_buf_emit(&want, "(no rows)\n", 10);
			}
			counts[3]++;
		}
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		rc = tu_exec(db, sql, &out, &err);
		if (kind >= 6 && rc == ROWFS_OK) {
			/* the same select, typed: the same rows, "(no rows)" when none */
			struct tu_buf text = {0};
			const char *cols = strstr(sql, "count(*)") ? "[count(*)]" : "[id,v,s]";

			REQUIRE(exec_typed(db, sql, &typed, &text, &err) == ROWFS_OK,
				"step %u '%s' typed: %s", step, sql, err.msg);
			REQUIRE(text.len == 0, "step %u '%s' typed: text '%s'", step, sql, text.data);
			tu_buf_free(&text);
			REQUIRE(strncmp(typed.text.data, cols, strlen(cols)) == 0,
				"step %u '%s': columns %s", step, sql, typed.text.data);
			if (typed.rows == 0)
				tu_buf_emit(&typed.text, "(no rows)\n", 10);
			tu_buf_emit(&typed.text, "", 1);
			REQUIRE(strcmp(typed.text.data + strlen(cols), out.data ? out.data : "") == 0,
				"step %u '%s': typed\n%s\ntext\n%s", step, sql, typed.text.data,
				out.data);
		}
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
		REQUIRE(rc == want_rc, "step %u '%s': %s (%s), want %s", step, sql, rowfs_rc_name(rc),
			err.msg, rowfs_rc_name(want_rc));
		if (rc == ROWFS_DUPLICATE) {
			snprintf(v, sizeof(v), "Error: duplicate key %ld.", dup);
			REQUIRE(strcmp(err.msg, v) == 0, "step %u '%s': %s, want %s", step, sql,
				err.msg, v);
			counts[4]++;
			continue;
		}
		if (kind >= 6)
			REQUIRE(strcmp(out.data ? out.data : "", want.data ? want.data : "") == 0,
				"step %u '%s':\n%s\nwant:\n%s", step, sql, out.data, want.data);
		memcpy(model, next, sizeof(model));
		if (step % 1000 == 999) {
			tu_require_clean(db, "model");
			tu_close(db);
			db = open_db();
		}
	}
	fprintf(stderr, "check_sql_exec: model: %u inserts, %u updates, %u deletes, %u selects, "
		"%u duplicates\n", counts[0], counts[1], counts[2], counts[3], counts[4]);
	tu_buf_free(&out);
	tu_buf_free(&want);
	tu_buf_free(&typed.text);
	tu_close(db);
}
END_TEST

static Suite *sql_exec_suite(void)
{
	Suite *s = suite_create("sql_exec");
	TCase *tc = tcase_create("sql");

	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_statements);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_users_sql);
	tcase_add_test(tc, test_null_and_types);
	tcase_add_test(tc, test_users_walks_backwards);
	tcase_add_test(tc, test_atomic_statements);
	tcase_add_test(tc, test_key_ranges_are_ranges);
	tcase_add_test(tc, test_transactions_two_tables_ddl);
	tcase_add_test(tc, test_recovery_after_power_cut);
	tcase_add_test(tc, test_dump_replays_byte_for_byte);
	tcase_add_test(tc, test_change_feed);
	tcase_add_test(tc, test_exec_at_snapshot);
	tcase_add_test(tc, test_typed_results);
	tcase_add_test(tc, test_typed_reads);
	tcase_add_test(tc, test_random_against_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_sql_exec", sql_exec_suite());
}
