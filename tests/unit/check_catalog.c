/*
 * check_catalog.c - unit tests of engine/catalog.c: create, drop and
 * reload of the catalog (the same tables, ids and roots after a reopen),
 * the normalized create statement (parses back to itself), name rules
 * (case-insensitive, 1..64 bytes, not a keyword, not starting with a
 * digit), 64 columns and the 65th refused, users built in (found, never
 * dropped, never created), the value checks of catalog_check_value, and
 * 10,000 tables: created, looked up (by binary search: the lookups of a
 * statement do not grow with the table count), listed, dropped.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "db_int.h"
#include "format.h"
#include "pager.h"
#include "parser.h"
#include "testutil.h"

static struct rowfs_db *open_db(void)
{
	struct rowfs_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_db_path;
	cfg.sync = ROWFS_SYNC_OFF;
	return tu_open(&cfg);
}

/* Run line in its own transaction; it must succeed. */
static void run(struct rowfs_db *db, const char *line)
{
	free(tu_reply_of(db, line));
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
	ck_assert_int_eq(rowfs_errno(got), e);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_msg(out.len == 0, "'%s' replied '%s'", line, out.data);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_buf_free(&out);
}

/* The catalog of db as the file holds it now (loaded afresh). */
static struct catalog *load(struct rowfs_db *db)
{
	struct pager *pager = rowfs_db_pager(db);
	struct catalog *cat = NULL;
	struct rowfs_err err;

	ck_assert_msg(catalog_load(pager, pager_catalog_root(pager), &cat, &err) == ROWFS_OK,
		      "catalog_load: %s", err.msg);
	return cat;
}

START_TEST(test_create_drop_reload)
{
	struct rowfs_db *db = open_db();
	const struct table_schema *t;
	struct catalog *cat;
	char *schema;

	/* a users-only database has no catalog tree yet (Part 1's pages) */
	ck_assert_uint_eq(pager_catalog_root(rowfs_db_pager(db)), 0);
	ck_assert_uint_eq(pager_format_version(rowfs_db_pager(db)), DB_FORMAT_VERSION_2);
	run(db, "create table b (id integer primary key, x text)");
	ck_assert_uint_eq(pager_catalog_root(rowfs_db_pager(db)), 2);
	run(db, "CREATE TABLE A (K INTEGER PRIMARY KEY, V REAL NOT NULL DEFAULT 1)");
	run(db, "create table c (id integer primary key)");
	run(db, "drop table b");
	tu_expect_reply(db, ".tables", "a\nc\nusers\n");
	schema = tu_reply_of(db, ".schema");
	tu_close(db);

	db = open_db();
	tu_expect_reply(db, ".tables", "a\nc\nusers\n");
	tu_expect_reply(db, ".schema", schema);
	tu_expect_reply(db, ".schema a",
			"create table a (k integer primary key, v real not null default 1.0);\n");
	cat = load(db);
	ck_assert_uint_eq(catalog_count(cat), 3);
	t = catalog_find(cat, "A", 1);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->id, 2);
	ck_assert_ptr_eq(catalog_find_root(cat, t->root), t);
	ck_assert_ptr_eq(catalog_find_id(cat, 2), t);
	ck_assert_int_eq(catalog_find(cat, "c", 1)->id, 3);
	ck_assert_ptr_null(catalog_find(cat, "b", 1));
	ck_assert_ptr_eq(catalog_find(cat, "USERS", 5), catalog_find(cat, "users", 5));
	ck_assert_ptr_eq(catalog_next_by_id(cat, 0), catalog_find(cat, "users", 5));
	ck_assert_ptr_eq(catalog_next_by_id(cat, 1), t);
	ck_assert_ptr_null(catalog_next_by_id(cat, 4));
	catalog_free(cat);

	/* the highest id dropped: the next create takes it again (ids follow the content) */
	run(db, "drop table c");
	run(db, "create table d (id integer primary key)");
	cat = load(db);
	ck_assert_int_eq(catalog_find(cat, "d", 1)->id, 3);
	catalog_free(cat);
	free(schema);
	tu_close(db);
}
END_TEST

START_TEST(test_normalized_sql)
{
	static const char *const cases[][2] = {
		{"create table t (id integer primary key)",
		 "create table t (id integer primary key);\n"},
		{"Create  Table  IF NOT EXISTS T2 ( Id Integer Primary Key Not Null , "
		 "Name Text(20) Not Null Default 'it''s' , B Blob(4) Default x'00FF', "
		 "R Real Default -2, T Text Default E'a\\tb', N Integer Default null );",
		 "create table t2 (id integer primary key not null, name text(20) not null default "
		 "'it''s', b blob(4) default x'00ff', r real default -2.0, t text default E'a\\tb', "
		 "n integer default null);\n"},
		{"create table t3 (a text, id integer primary key, z blob)",
		 "create table t3 (a text, id integer primary key, z blob);\n"},
	};
	struct rowfs_db *db = open_db();
	char line[512];
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text;

		run(db, cases[i][0]);
		snprintf(line, sizeof(line), ".schema %s", i == 0 ? "t" : i == 1 ? "T2" : "t3");
		text = tu_reply_of(db, line);
		ck_assert_str_eq(text, cases[i][1]);
		/* the normalized text parses back to itself */
		text[strlen(text) - 2] = '\0';
		snprintf(line, sizeof(line), "drop table %s", i == 0 ? "t" : i == 1 ? "t2" : "t3");
		run(db, line);
		run(db, text);
		snprintf(line, sizeof(line), ".schema %s", i == 0 ? "t" : i == 1 ? "t2" : "t3");
		tu_expect_reply(db, line, cases[i][1]);
		free(text);
	}
	tu_close(db);
}
END_TEST

START_TEST(test_create_errors)
{
	struct rowfs_db *db = open_db();

	run(db, "create table t (id integer primary key)");
	expect_error(db, "create table t (id integer primary key)", ROWFS_DUPLICATE, EEXIST,
		     "Error: table t already exists");
	expect_error(db, "create table T (x text)", ROWFS_DUPLICATE, EEXIST,
		     "Error: table t already exists");
	expect_error(db, "create table users (id integer primary key)", ROWFS_DUPLICATE, EEXIST,
		     "Error: table users already exists");
	run(db, "create table if not exists t (x text)");
	run(db, "create table if not exists users (x text)");
	expect_error(db, "create table u (a text, b integer)", ROWFS_SCHEMA, EINVAL,
		     "Error: table u has no integer primary key");
	expect_error(db, "create table u (a integer primary key, b integer primary key)",
		     ROWFS_SCHEMA, EINVAL, "Error: table u has more than one primary key");
	expect_error(db, "create table u (a text primary key)", ROWFS_SCHEMA, EINVAL,
		     "Error: u.a: only an integer column can be the primary key");
	expect_error(db, "create table u (id integer primary key, a text, A blob)", ROWFS_SCHEMA,
		     EINVAL, "Error: duplicate column name: a");
	expect_error(db, "create table u (id integer primary key, a text(3) default 'abcd')",
		     ROWFS_TOOLONG, EINVAL, "Error: u.a too long (4 > 3)");
	expect_error(db, "create table u (id integer primary key, a integer default 'x')",
		     ROWFS_SCHEMA, EINVAL, "Error: u.a expects integer, got text");
	expect_error(db, "create table u (id integer primary key, a integer not null default null)",
		     ROWFS_SCHEMA, EINVAL, "Error: u.a may not be NULL");
	expect_error(db, "drop table users", ROWFS_PERM, EPERM,
		     "Error: table users cannot be dropped");
	expect_error(db, "drop table nope", ROWFS_NOTFOUND, ENOENT, "Error: no such table: nope");
	run(db, "drop table if exists nope");
	tu_expect_reply(db, ".tables", "t\nusers\n");
	tu_close(db);
}
END_TEST

/* "create table NAME (id integer primary key, c1 integer, ... c<n-1> integer)" */
static char *wide_table(const char *name, unsigned n)
{
	struct tu_buf b = {0};
	char col[32];
	unsigned i;

	tu_buf_emit(&b, "create table ", 13);
	tu_buf_emit(&b, name, strlen(name));
	tu_buf_emit(&b, " (id integer primary key", 24);
	for (i = 1; i < n; i++) {
		int len = snprintf(col, sizeof(col), ", c%u integer", i);

		tu_buf_emit(&b, col, (size_t)len);
	}
	tu_buf_emit(&b, ")", 1);
	return b.data;
}

START_TEST(test_64_columns)
{
	struct rowfs_db *db = open_db();
	struct tu_buf line = {0};
	struct rowfs_err err;
	char *sql = wide_table("w", 64), *sql65 = wide_table("w65", 65), num[16];
	struct tu_buf out = {0};
	unsigned i;
	int rc;

	run(db, sql);
	/* a row of 64 values reads back */
	tu_buf_emit(&line, "insert into w values (7", 23);
	for (i = 1; i < 64; i++)
		tu_buf_emit(&line, num, (size_t)snprintf(num, sizeof(num), ", %u", i * 10));
	tu_buf_emit(&line, ")", 1);
	run(db, line.data);
	tu_close(db);
	db = open_db();
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, "select c63, c1, id from w", &out, &err), ROWFS_OK);
	ck_assert_str_eq(out.data, "(630, 10, 7)\n");
	rc = tu_exec(db, sql65, &out, &err);
	ck_assert_int_eq(rowfs_errno(rc), EINVAL);
	ck_assert_msg(rc == ROWFS_SCHEMA || rc == ROWFS_SYNTAX, "65 columns: %s", err.msg);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_expect_reply(db, ".tables", "users\nw\n");
	tu_buf_free(&line);
	tu_buf_free(&out);
	free(sql);
	free(sql65);
	tu_close(db);
}
END_TEST

START_TEST(test_names)
{
	struct rowfs_db *db = open_db();
	char name[80], line[200];
	struct tu_buf out = {0};
	struct rowfs_err err;
	int rc;

	/* 64 bytes is a name; 65 is not */
	memset(name, 'n', 64);
	name[64] = '\0';
	snprintf(line, sizeof(line), "create table %s (id integer primary key)", name);
	run(db, line);
	name[0] = 'N';
	snprintf(line, sizeof(line), "select * from %s", name);
	tu_expect_reply(db, line, "(no rows)\n");
	strcat(name, "n");
	snprintf(line, sizeof(line), "create table %s (id integer primary key)", name);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	rc = tu_exec(db, line, &out, &err);
	ck_assert_int_eq(rowfs_errno(rc), EINVAL);
	ck_assert_msg(strncmp(err.msg, "Parse error:", 12) == 0 ||
		      strncmp(err.msg, "Token error:", 12) == 0, "%s", err.msg);
	/* a keyword is not a name, nor is a word starting with a digit */
	rc = tu_exec(db, "create table select (id integer primary key)", &out, &err);
	ck_assert_int_eq(rowfs_errno(rc), EINVAL);
	rc = tu_exec(db, "create table 1t (id integer primary key)", &out, &err);
	ck_assert_int_eq(rowfs_errno(rc), EINVAL);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	/* mixed case is the same name, shown in lower case */
	run(db, "create table Mixed_Case_9 (ID integer primary key, Val TEXT)");
	run(db, "insert into MIXED_case_9 (val, id) values ('v', 1)");
	tu_expect_reply(db, "select VAL from mixed_case_9 where Id = 1", "(v)\n");
	memset(name, 'n', 64);
	name[64] = '\0';
	snprintf(line, sizeof(line), "mixed_case_9\n%s\nusers\n", name);
	tu_expect_reply(db, ".tables", line);
	tu_buf_free(&out);
	tu_close(db);
}
END_TEST

/* A schema for catalog_check_value: t (id integer pk, r real, s text(3) not null, b blob(2)). */
static void check_value_schema(struct table_schema *t)
{
	struct statement stmt;
	struct rowfs_err err;
	const char *sql =
		"create table t (id integer primary key, r real, s text(3) not null, b blob(2))";

	ck_assert_int_eq(parse_line(sql, strlen(sql), &stmt, &err), ROWFS_OK);
	ck_assert_int_eq(catalog_schema_from_create(&stmt, t, &err), ROWFS_OK);
	statement_free(&stmt);
	ck_assert_str_eq(t->sql, sql);
	ck_assert_uint_eq(t->column_count, 4);
	ck_assert_uint_eq(t->key_column, 0);
}

static void check_value(const struct table_schema *t, unsigned col, struct value v, int rc,
			const char *msg)
{
	struct rowfs_err err;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(catalog_check_value(t, col, &v, &err), rc);
	if (msg)
		ck_assert_str_eq(err.msg, msg);
}

START_TEST(test_check_value)
{
	struct table_schema t;
	struct value v = {0};
	struct rowfs_db *db = open_db();
	struct catalog *cat = load(db);
	const struct table_schema *users = catalog_find(cat, "users", 5);

	check_value_schema(&t);
	v.type = VALUE_INTEGER;
	v.i = 5;
	check_value(&t, 0, v, ROWFS_OK, NULL);
	check_value(&t, 2, v, ROWFS_SCHEMA, "Error: t.s expects text, got integer");
	check_value(&t, 3, v, ROWFS_SCHEMA, "Error: t.b expects blob, got integer");
	/* the one conversion: an integer into a real column */
	ck_assert_int_eq(catalog_check_value(&t, 1, &v, NULL), ROWFS_OK);
	ck_assert_int_eq(v.type, VALUE_REAL);
	ck_assert(v.r == 5.0);
	check_value(&t, 0, v, ROWFS_SCHEMA, "Error: t.id expects integer, got real");
	v.type = VALUE_NULL;
	check_value(&t, 0, v, ROWFS_OK, NULL);   /* a NULL key: insert assigns one */
	check_value(&t, 1, v, ROWFS_OK, NULL);
	check_value(&t, 2, v, ROWFS_SCHEMA, "Error: t.s may not be NULL");
	v.type = VALUE_TEXT;
	v.p = (const uint8_t *)"abcd";
	v.len = 4;
	check_value(&t, 2, v, ROWFS_TOOLONG, "Error: t.s too long (4 > 3)");
	v.len = 3;
	check_value(&t, 2, v, ROWFS_OK, NULL);
	v.type = VALUE_BLOB;
	check_value(&t, 3, v, ROWFS_TOOLONG, "Error: t.b too long (3 > 2)");
	check_value(&t, 2, v, ROWFS_SCHEMA, "Error: t.s expects text, got blob");
	catalog_schema_release(&t);

	/* users keeps the seed's rules and texts */
	v.type = VALUE_INTEGER;
	v.i = -1;
	check_value(users, 0, v, ROWFS_RANGE, "Parse error: Row id must be non-negative");
	v.i = 4294967296ll;
	check_value(users, 0, v, ROWFS_RANGE, "Parse error: Row id out of range");
	v.i = 4294967295ll;
	check_value(users, 0, v, ROWFS_OK, NULL);
	v.type = VALUE_TEXT;
	v.p = (const uint8_t *)"0123456789012345678901234567890123";
	v.len = 33;
	check_value(users, 1, v, ROWFS_TOOLONG, "Error: username too long (33 > 32)");
	v.len = 32;
	check_value(users, 1, v, ROWFS_OK, NULL);
	v.p = (const uint8_t *)"a@b";
	v.len = 3;
	check_value(users, 1, v, ROWFS_SCHEMA, "Error: users.username may not hold '@'");
	v.p = (const uint8_t *)"a b";
	check_value(users, 1, v, ROWFS_SCHEMA, "Error: users.username may not hold the byte 0x20");
	v.len = 0;
	check_value(users, 1, v, ROWFS_SCHEMA, "Error: users.username may not be empty");
	v.type = VALUE_NULL;
	check_value(users, 1, v, ROWFS_SCHEMA, "Error: users.username may not be NULL");
	catalog_free(cat);
	tu_close(db);
}
END_TEST

/* Run lines[0..n) as one transaction, each must succeed. */
static void run_batch(struct rowfs_db *db, unsigned first, unsigned n, const char *fmt)
{
	struct rowfs_err err;
	char line[200];
	unsigned i;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = first; i < first + n; i++) {
		int rc;

		snprintf(line, sizeof(line), fmt, i, i);
		rc = tu_exec_emit(db, line, strlen(line), tu_discard, NULL, &err);
		REQUIRE(rc == ROWFS_OK, "'%s': %s", line, err.msg);
	}
	ck_assert_msg(tu_commit(db, &err) == ROWFS_OK, "commit: %s", err.msg);
}

/* Seconds of CPU time. */
static double cpu_seconds(void)
{
	return (double)clock() / CLOCKS_PER_SEC;
}

START_TEST(test_ten_thousand_tables)
{
	enum { TABLES = 10000, BATCH = 1000 };
	struct rowfs_db *db = open_db();
	const struct table_schema *t;
	struct tu_buf out = {0};
	struct rowfs_err err;
	struct catalog *cat;
	double start, few, many;
	char name[32], *p;
	unsigned i, n;

	for (i = 0; i < TABLES; i += BATCH)
		run_batch(db, i, BATCH, "create table t%05u (id integer primary key, v text)");
	run(db, "insert into t04321 values (1, 'x')");
	tu_require_clean(db, "10,000 tables");
	tu_close(db);

	db = open_db();
	tu_expect_reply(db, "select * from t04321", "(1, x)\n");
	tu_expect_reply(db, "select * from T09999", "(no rows)\n");
	/* .tables: every name once, sorted */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, ".tables", &out, &err), ROWFS_OK);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	for (i = 0, p = out.data; i < TABLES; i++) {
		snprintf(name, sizeof(name), "t%05u\n", i);
		REQUIRE(strncmp(p, name, strlen(name)) == 0, "line %u: %.10s", i, p);
		p += strlen(name);
	}
	ck_assert_str_eq(p, "users\n");
	tu_buf_free(&out);

	/* lookups: by binary search, so 10,000 tables cost about what 10 do */
	cat = load(db);
	ck_assert_uint_eq(catalog_count(cat), TABLES + 1);
	start = cpu_seconds();
	for (n = 0; n < 200000; n++) {
		snprintf(name, sizeof(name), "t%05u", (n * 7919u) % TABLES);
		t = catalog_find(cat, name, 6);
		REQUIRE(t && strcmp(t->name, name) == 0, "find %s", name);
		REQUIRE(catalog_find_root(cat, t->root) == t, "root of %s", name);
		REQUIRE(catalog_find_id(cat, t->id) == t, "id of %s", name);
	}
	many = cpu_seconds() - start;
	catalog_free(cat);

	/* drop them all (and the lookups of the survivors keep working) */
	for (i = 0; i < TABLES; i += BATCH)
		run_batch(db, i, BATCH, "drop table t%05u");
	tu_expect_reply(db, ".tables", "users\n");
	tu_require_clean(db, "10,000 tables dropped");
	tu_close(db);
	db = open_db();
	tu_expect_reply(db, ".tables", "users\n");
	run_batch(db, 0, 10, "create table t%05u (id integer primary key, v text)");
	cat = load(db);
	start = cpu_seconds();
	for (n = 0; n < 200000; n++) {
		snprintf(name, sizeof(name), "t%05u", n % 10);
		t = catalog_find(cat, name, 6);
		REQUIRE(t && catalog_find_root(cat, t->root) == t && catalog_find_id(cat, t->id) == t,
			"find %s", name);
	}
	few = cpu_seconds() - start;
	catalog_free(cat);
	/* log2(10001) / log2(11) is under 4: a linear search would be ~1000 times slower */
	ck_assert_msg(many < 8 * few + 0.5, "10,000 tables: %.3f s, 10 tables: %.3f s", many, few);
	tu_close(db);
}
END_TEST

static Suite *catalog_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("catalog");

	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_create_drop_reload);
	tcase_add_test(tc, test_normalized_sql);
	tcase_add_test(tc, test_create_errors);
	tcase_add_test(tc, test_64_columns);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_check_value);
	tcase_add_test(tc, test_ten_thousand_tables);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_catalog", catalog_suite());
}
