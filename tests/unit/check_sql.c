/*
 * check_sql.c - unit tests of the Part 2 statements of engine/parser.c:
 * every SQL form into its AST, every literal form (escapes, doubled
 * quotes, -0, int64 bounds, 1e308 / 1e309, hex), names (64 bytes, 65,
 * keywords, a leading digit, case), comments and the final ';' for seed
 * and SQL forms, the 4 MiB boundary, the dispatch between seed and SQL
 * forms, every SQL error text with its position, statement_free, and a
 * randomized round trip (random statements rendered as text in random
 * spellings, parsed, compared with what was rendered).
 *
 * Every line is copied into a heap buffer of exactly its length, so an
 * ASan build catches any read past the end (and LeakSanitizer an arena
 * that is not freed).
 */
#include <config.h>

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "parser.h"
#include "testutil.h"

/* A parsed line and the exact-size copy it was parsed from. */
struct parsed {
	struct statement st;
	char *copy;
};

/* Parse line[0..len) from an exact-size copy; return the rc (err filled). */
static int run_len(const char *line, size_t len, struct parsed *p, struct rowfs_err *err)
{
	memset(err, 0, sizeof(*err));
	p->copy = tu_memdup(line, len);
	return parse_line(p->copy, len, &p->st, err);
}

/* Expect line to parse; p must be released with done(). */
static void parse_ok_len(const char *line, size_t len, struct parsed *p)
{
	struct rowfs_err err;
	int rc = run_len(line, len, p, &err);

	ck_assert_msg(rc == ROWFS_OK, "'%.*s': rc %d (%s)", (int)(len > 200 ? 200 : len), line, rc,
		      err.msg);
}

static void parse_ok(const char *line, struct parsed *p)
{
	parse_ok_len(line, strlen(line), p);
}

/* Append n bytes to b. */
static void tu_buf_add(struct tu_buf *b, const char *p, size_t n)
{
	ck_assert_int_eq(tu_buf_emit(b, p, n), 0);
}

/* Release a parsed line (statement_free twice: it is idempotent). */
static void done(struct parsed *p)
{
	statement_free(&p->st);
	ck_assert_ptr_null(p->st.arena);
	statement_free(&p->st);
	free(p->copy);
}

/* Expect line[0..len) to fail with rc and exactly msg, leaving an empty statement. */
static void sql_fail_len(const char *line, size_t len, int want_rc, const char *want_msg)
{
	struct parsed p;
	struct rowfs_err err;
	int rc = run_len(line, len, &p, &err);

	ck_assert_msg(rc == want_rc && strcmp(err.msg, want_msg) == 0,
		      "'%.*s': rc %d '%s', want %d '%s'", (int)(len > 200 ? 200 : len), line, rc,
		      err.msg, want_rc, want_msg);
	ck_assert_int_eq(err.rc, want_rc);
	ck_assert_int_eq(p.st.type, STMT_EMPTY);
	ck_assert_ptr_null(p.st.arena);
	ck_assert_ptr_null(p.st.values);
	statement_free(&p.st);
	free(p.copy);
}

static void sql_fail(const char *line, int want_rc, const char *want_msg)
{
	sql_fail_len(line, strlen(line), want_rc, want_msg);
}

/* Expect line to parse as type; nothing else checked. */
static void parse_type(const char *line, enum stmt_type type)
{
	struct parsed p;

	parse_ok(line, &p);
	ck_assert_msg(p.st.type == type, "'%s': type %d, want %d", line, (int)p.st.type, (int)type);
	done(&p);
}

static void expect_ident(const struct ident *id, const char *name, size_t pos)
{
	ck_assert_ptr_nonnull(id->name);
	ck_assert_str_eq(id->name, name);   /* NUL-terminated */
	ck_assert_uint_eq(id->len, strlen(name));
	ck_assert_uint_eq(id->pos, pos);
}

static void expect_int(const struct literal *l, int64_t v)
{
	ck_assert_int_eq(l->v.type, VALUE_INTEGER);
	ck_assert_msg(l->v.i == v, "integer %lld, want %lld", (long long)l->v.i, (long long)v);
}

/* A real, bit for bit (so -0.0 is not 0.0). */
static void expect_real(const struct literal *l, double v)
{
	ck_assert_int_eq(l->v.type, VALUE_REAL);
	ck_assert_msg(memcmp(&l->v.r, &v, sizeof(v)) == 0, "real %.17g, want %.17g", l->v.r, v);
}

static void expect_bytes(const struct literal *l, enum value_type type, const char *bytes,
			 size_t len)
{
	ck_assert_int_eq(l->v.type, type);
	ck_assert_uint_eq(l->v.len, len);
	ck_assert_ptr_nonnull(l->v.p);
	ck_assert(memcmp(l->v.p, bytes, len) == 0);
}

static void expect_text(const struct literal *l, const char *text)
{
	expect_bytes(l, VALUE_TEXT, text, strlen(text));
}

/* ---- create table ---------------------------------------------------------- */

START_TEST(test_create)
{
	struct parsed p;
	const struct column_def *c;

	parse_ok("create table Users2 (id integer primary key, Name text(32) not null "
		 "default 'x', r real default -1.5, b blob(10), t text, big blob)",
		 &p);
	ck_assert_int_eq(p.st.type, STMT_CREATE_TABLE);
	expect_ident(&p.st.table, "users2", 13);
	ck_assert_int_eq(p.st.if_exists, 0);
	ck_assert_uint_eq(p.st.column_count, 6);
	c = p.st.columns;
	expect_ident(&c[0].name, "id", 21);
	ck_assert_int_eq(c[0].type, COLUMN_INTEGER);
	ck_assert_uint_eq(c[0].max_len, 0);
	ck_assert_int_eq(c[0].primary_key, 1);
	ck_assert_int_eq(c[0].not_null, 0);
	ck_assert_int_eq(c[0].has_default, 0);
	expect_ident(&c[1].name, "name", 45);
	ck_assert_int_eq(c[1].type, COLUMN_TEXT);
	ck_assert_uint_eq(c[1].max_len, 32);
	ck_assert_int_eq(c[1].primary_key, 0);
	ck_assert_int_eq(c[1].not_null, 1);
	ck_assert_int_eq(c[1].has_default, 1);
	expect_text(&c[1].def, "x");
	ck_assert_uint_eq(c[1].def.pos, 76);
	ck_assert_int_eq(c[2].type, COLUMN_REAL);
	expect_real(&c[2].def, -1.5);
	ck_assert_int_eq(c[3].type, COLUMN_BLOB);
	ck_assert_uint_eq(c[3].max_len, 10);
	ck_assert_int_eq(c[4].type, COLUMN_TEXT);
	ck_assert_uint_eq(c[4].max_len, VALUE_MAX_LEN);
	ck_assert_int_eq(c[5].type, COLUMN_BLOB);
	ck_assert_uint_eq(c[5].max_len, VALUE_MAX_LEN);
	done(&p);

	/* constraints in any order; keywords in any case; no blanks needed */
	parse_ok("CREATE TABLE IF NOT EXISTS t(a INTEGER DEFAULT NULL NOT NULL PRIMARY KEY,"
		 "b text(1048576)default E'\\n'primary key)",
		 &p);
	ck_assert_int_eq(p.st.if_exists, 1);
	expect_ident(&p.st.table, "t", 27);
	c = p.st.columns;
	ck_assert_int_eq(c[0].primary_key, 1);
	ck_assert_int_eq(c[0].not_null, 1);
	ck_assert_int_eq(c[0].has_default, 1);
	ck_assert_int_eq(c[0].def.v.type, VALUE_NULL);
	ck_assert_uint_eq(c[1].max_len, 1048576);
	expect_text(&c[1].def, "\n");
	ck_assert_int_eq(c[1].primary_key, 1);   /* the compiler refuses two keys, not the parser */
	done(&p);

	/* the parser does not check types: primary key on text, default of any type */
	parse_ok("create table t (a text primary key default 5, a real default x'00')", &p);
	ck_assert_uint_eq(p.st.column_count, 2);
	expect_int(&p.st.columns[0].def, 5);
	expect_bytes(&p.st.columns[1].def, VALUE_BLOB, "\0", 1);
	done(&p);

	sql_fail("create table t (a integer primary key primary key)", ROWFS_SYNTAX,
	     "Parse error: PRIMARY KEY given twice at position 38");
	sql_fail("create table t (a integer not null default 1 not null)", ROWFS_SYNTAX,
	     "Parse error: NOT NULL given twice at position 45");
	sql_fail("create table t (a integer default 1 default 2)", ROWFS_SYNTAX,
	     "Parse error: DEFAULT given twice at position 36");
	sql_fail("create table t (a text(0))", ROWFS_SYNTAX,
	     "Parse error: Length out of range (1..1048576) at position 23");
	sql_fail("create table t (a blob(1048577))", ROWFS_SYNTAX,
	     "Parse error: Length out of range (1..1048576) at position 23");
	sql_fail("create table t (a blob(-1))", ROWFS_SYNTAX,
	     "Parse error: Length out of range (1..1048576) at position 23");
	sql_fail("create table t (a text(x))", ROWFS_SYNTAX,
	     "Parse error: Expected INTEGER, got NAME at position 23");
	sql_fail("create table t (a text(1.5))", ROWFS_SYNTAX,
	     "Parse error: Expected INTEGER, got REAL at position 23");
	sql_fail("create table t (a text(5)", ROWFS_SYNTAX,
	     "Parse error: Expected PRIMARY KEY, NOT NULL, DEFAULT, ',' or ')', got EOF at position 25");
	sql_fail("create table t (a text(5 x", ROWFS_SYNTAX,
	     "Parse error: Expected ')', got NAME at position 25");
	sql_fail("create table t (a integer(5))", ROWFS_SYNTAX,
	     "Parse error: Expected PRIMARY KEY, NOT NULL, DEFAULT, ',' or ')', got '(' at position 25");
	sql_fail("create table t (a varchar)", ROWFS_SYNTAX,
	     "Parse error: Expected column type, got NAME at position 18");
	sql_fail("create table t (a)", ROWFS_SYNTAX,
	     "Parse error: Expected column type, got ')' at position 17");
	sql_fail("create table t ()", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got ')' at position 16");
	sql_fail("create table t (key integer)", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got KEY at position 16");
	sql_fail("create table t", ROWFS_SYNTAX, "Parse error: Expected '(', got EOF at position 14");
	sql_fail("create table t a integer", ROWFS_SYNTAX,
	     "Parse error: Expected '(', got NAME at position 15");
	sql_fail("create table t (a integer,)", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got ')' at position 26");
	sql_fail("create table t (a integer) x", ROWFS_SYNTAX,
	     "Parse error: Expected end of line, got NAME at position 27");
	sql_fail("create table t (a integer primary)", ROWFS_SYNTAX,
	     "Parse error: Expected KEY, got ')' at position 33");
	sql_fail("create table t (a integer not 5)", ROWFS_SYNTAX,
	     "Parse error: Expected NULL, got INTEGER at position 30");
	sql_fail("create table t (a integer default)", ROWFS_SYNTAX,
	     "Parse error: Expected literal, got ')' at position 33");
	sql_fail("create table t (a integer default b)", ROWFS_SYNTAX,
	     "Parse error: Expected literal, got NAME at position 34");
	sql_fail("create table if t (a integer)", ROWFS_SYNTAX,
	     "Parse error: Expected NOT, got NAME at position 16");
	sql_fail("create table if not t (a integer)", ROWFS_SYNTAX,
	     "Parse error: Expected EXISTS, got NAME at position 20");
	sql_fail("create table if not exists (a integer)", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got '(' at position 27");
	sql_fail("create table table (a integer)", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got TABLE at position 13");
}
END_TEST

/* 64 columns are fine, the 65th is an error at its name. */
START_TEST(test_create_64_columns)
{
	struct tu_buf b = {0};
	struct parsed p;
	char want[96];
	size_t pos65 = 0;
	int i;

	tu_buf_add(&b, "create table t (", 16);
	for (i = 0; i < 64; i++) {
		char col[32];
		int n = snprintf(col, sizeof(col), "%sc%d integer", i ? ", " : "", i);

		tu_buf_add(&b, col, (size_t)n);
	}
	tu_buf_add(&b, ")", 1);
	parse_ok_len(b.data, b.len, &p);
	ck_assert_uint_eq(p.st.column_count, 64);
	ck_assert_str_eq(p.st.columns[63].name.name, "c63");
	done(&p);
	b.len--;   /* drop ")" */
	tu_buf_add(&b, ", c64 integer)", 14);
	pos65 = b.len - 12;
	snprintf(want, sizeof(want), "Parse error: Too many columns (more than 64) at position %zu",
		 pos65);
	sql_fail_len(b.data, b.len, ROWFS_SYNTAX, want);
	tu_buf_free(&b);
}
END_TEST

/* ---- drop table -------------------------------------------------------------- */

START_TEST(test_drop)
{
	struct parsed p;

	parse_ok("drop table T1", &p);
	ck_assert_int_eq(p.st.type, STMT_DROP_TABLE);
	expect_ident(&p.st.table, "t1", 11);
	ck_assert_int_eq(p.st.if_exists, 0);
	done(&p);
	parse_ok("DROP TABLE IF EXISTS _x;", &p);
	ck_assert_int_eq(p.st.if_exists, 1);
	expect_ident(&p.st.table, "_x", 21);
	done(&p);
	sql_fail("drop table if t", ROWFS_SYNTAX, "Parse error: Expected EXISTS, got NAME at position 14");
	sql_fail("drop table if not exists t", ROWFS_SYNTAX,
	     "Parse error: Expected EXISTS, got NOT at position 14");
	sql_fail("drop table t u", ROWFS_SYNTAX,
	     "Parse error: Expected end of line, got NAME at position 13");
	sql_fail("drop table t (", ROWFS_SYNTAX,
	     "Parse error: Expected end of line, got '(' at position 13");
	sql_fail("drop table if exists", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got EOF at position 20");
	sql_fail("drop table select", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got SELECT at position 11");
}
END_TEST

/* ---- insert into ---------------------------------------------------------------- */

START_TEST(test_insert_into)
{
	struct parsed p;
	const struct literal *v;

	parse_ok("insert into T values (1, -2.5e10, 'a', E'a\\tb\\n', x'00ff', null), "
		 "(2, 3.5, '', E'', x'', NULL)",
		 &p);
	ck_assert_int_eq(p.st.type, STMT_INSERT_INTO);
	expect_ident(&p.st.table, "t", 12);
	ck_assert_uint_eq(p.st.name_count, 0);
	ck_assert_ptr_null(p.st.names);
	ck_assert_uint_eq(p.st.row_count, 2);
	ck_assert_uint_eq(p.st.row_width, 6);
	v = p.st.values;
	expect_int(&v[0], 1);
	ck_assert_uint_eq(v[0].pos, 22);
	expect_real(&v[1], -2.5e10);
	ck_assert_uint_eq(v[1].pos, 25);
	expect_text(&v[2], "a");
	expect_text(&v[3], "a\tb\n");
	expect_bytes(&v[4], VALUE_BLOB, "\0\xff", 2);
	ck_assert_int_eq(v[5].v.type, VALUE_NULL);
	expect_int(&v[6], 2);
	expect_real(&v[7], 3.5);
	expect_text(&v[8], "");
	expect_text(&v[9], "");
	expect_bytes(&v[10], VALUE_BLOB, "", 0);
	ck_assert_int_eq(v[11].v.type, VALUE_NULL);
	done(&p);

	parse_ok("INSERT INTO t (A, b_2) VALUES (1,2),(3,4),(5,6);", &p);
	ck_assert_uint_eq(p.st.name_count, 2);
	expect_ident(&p.st.names[0], "a", 15);
	expect_ident(&p.st.names[1], "b_2", 18);
	ck_assert_uint_eq(p.st.row_count, 3);
	ck_assert_uint_eq(p.st.row_width, 2);
	expect_int(&p.st.values[5], 6);
	done(&p);

	/* the parser does not compare the column list with the values */
	parse_ok("insert into t (a) values (1, 2)", &p);
	ck_assert_uint_eq(p.st.name_count, 1);
	ck_assert_uint_eq(p.st.row_width, 2);
	done(&p);

	sql_fail("insert into t values (1), (1, 2)", ROWFS_SYNTAX,
	     "Parse error: Row 2 has 2 values, row 1 has 1 at position 26");
	sql_fail("insert into t values (1, 2), (3, 4), (5)", ROWFS_SYNTAX,
	     "Parse error: Row 3 has 1 values, row 1 has 2 at position 37");
	sql_fail("insert into t values ()", ROWFS_SYNTAX,
	     "Parse error: Expected literal, got ')' at position 22");
	sql_fail("insert into t values (1,)", ROWFS_SYNTAX,
	     "Parse error: Expected literal, got ')' at position 24");
	sql_fail("insert into t values (1 2)", ROWFS_SYNTAX,
	     "Parse error: Expected ',' or ')', got INTEGER at position 24");
	sql_fail("insert into t values (1", ROWFS_SYNTAX,
	     "Parse error: Expected ',' or ')', got EOF at position 23");
	sql_fail("insert into t values (1) (2)", ROWFS_SYNTAX,
	     "Parse error: Expected ',' or end of line, got '(' at position 25");
	sql_fail("insert into t values (1),", ROWFS_SYNTAX,
	     "Parse error: Expected '(', got EOF at position 25");
	sql_fail("insert into t values", ROWFS_SYNTAX, "Parse error: Expected '(', got EOF at position 20");
	sql_fail("insert into t values 1", ROWFS_SYNTAX,
	     "Parse error: Expected '(', got INTEGER at position 21");
	sql_fail("insert into t value (1)", ROWFS_SYNTAX,
	     "Parse error: Expected '(' or VALUES, got NAME at position 14");
	sql_fail("insert into t", ROWFS_SYNTAX,
	     "Parse error: Expected '(' or VALUES, got EOF at position 13");
	sql_fail("insert into t (a) (1)", ROWFS_SYNTAX,
	     "Parse error: Expected VALUES, got '(' at position 18");
	sql_fail("insert into t (a b) values (1)", ROWFS_SYNTAX,
	     "Parse error: Expected ',' or ')', got NAME at position 17");
	sql_fail("insert into t () values (1)", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got ')' at position 15");
	sql_fail("insert into t (a,) values (1)", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got ')' at position 17");
	sql_fail("insert into t (values) values (1)", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got VALUES at position 15");
	sql_fail("insert into", ROWFS_SYNTAX, "Parse error: Expected table name, got EOF at position 11");
	sql_fail("insert into values (1)", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got VALUES at position 12");
	sql_fail("insert into t values (a)", ROWFS_SYNTAX,
	     "Parse error: Expected literal, got NAME at position 22");
	sql_fail("insert into t values (-)", ROWFS_TOKEN,
	     "Token error: Unexpected character '-' at position 22");
	sql_fail("insert into t values (+1)", ROWFS_TOKEN,
	     "Token error: Unexpected character '+' at position 22");
}
END_TEST

/* 64 values in a row are fine, the 65th is an error; many rows are fine. */
START_TEST(test_insert_limits)
{
	struct tu_buf b = {0};
	struct parsed p;
	char want[96];
	size_t pos;
	int i;

	tu_buf_add(&b, "insert into t values (", 22);
	for (i = 0; i < 64; i++)
		tu_buf_add(&b, i ? ",7" : "7", i ? 2 : 1);
	tu_buf_add(&b, ")", 1);
	parse_ok_len(b.data, b.len, &p);
	ck_assert_uint_eq(p.st.row_width, 64);
	done(&p);
	b.len--;
	pos = b.len + 1;
	tu_buf_add(&b, ",8)", 3);
	snprintf(want, sizeof(want), "Parse error: Too many values (more than 64) at position %zu",
		 pos);
	sql_fail_len(b.data, b.len, ROWFS_SYNTAX, want);

	/* a column list of 65 */
	b.len = 0;
	tu_buf_add(&b, "insert into t (", 15);
	for (i = 0; i < 65; i++) {
		if (i == 64)
			pos = b.len + 1;
		tu_buf_add(&b, i ? ",c" : "c", i ? 2 : 1);
	}
	tu_buf_add(&b, ") values (1)", 12);
	snprintf(want, sizeof(want), "Parse error: Too many columns (more than 64) at position %zu",
		 pos);
	sql_fail_len(b.data, b.len, ROWFS_SYNTAX, want);

	/* 100,000 rows in one statement */
	b.len = 0;
	tu_buf_add(&b, "insert into t values ", 21);
	for (i = 0; i < 100000; i++) {
		char row[40];
		int n = snprintf(row, sizeof(row), "%s(%d, 'r%d')", i ? "," : "", i, i);

		tu_buf_add(&b, row, (size_t)n);
	}
	parse_ok_len(b.data, b.len, &p);
	ck_assert_uint_eq(p.st.row_count, 100000);
	ck_assert_uint_eq(p.st.row_width, 2);
	expect_int(&p.st.values[2 * 99999], 99999);
	expect_text(&p.st.values[2 * 99999 + 1], "r99999");
	expect_text(&p.st.values[2 * 4242 + 1], "r4242");
	done(&p);
	tu_buf_free(&b);
}
END_TEST

/* ---- select ----------------------------------------------------------------------- */

START_TEST(test_select)
{
	struct parsed p;
	const struct pred *w;

	parse_ok("select * from T", &p);
	ck_assert_int_eq(p.st.type, STMT_SELECT_FROM);
	expect_ident(&p.st.table, "t", 14);
	ck_assert_uint_eq(p.st.name_count, 0);
	ck_assert_int_eq(p.st.select_count, 0);
	ck_assert_uint_eq(p.st.pred_count, 0);
	ck_assert_int_eq(p.st.has_order, 0);
	ck_assert_int_eq(p.st.has_limit, 0);
	done(&p);

	parse_ok("select a, B from t where a = 1 and b between 2 and 3.5 and c is not null "
		 "and d is null and e != 'x' and f <> -1 and g < 1 and h <= 2 and i > 3 "
		 "and j >= x'ab' order by a desc limit 5 offset 2",
		 &p);
	ck_assert_uint_eq(p.st.name_count, 2);
	expect_ident(&p.st.names[0], "a", 7);
	expect_ident(&p.st.names[1], "b", 10);
	ck_assert_uint_eq(p.st.pred_count, 10);
	w = p.st.preds;
	expect_ident(&w[0].column, "a", 25);
	ck_assert_int_eq(w[0].op, PRED_EQ);
	expect_int(&w[0].a, 1);
	ck_assert_int_eq(w[1].op, PRED_BETWEEN);
	expect_int(&w[1].a, 2);
	expect_real(&w[1].b, 3.5);
	ck_assert_int_eq(w[2].op, PRED_IS_NOT_NULL);
	ck_assert_int_eq(w[3].op, PRED_IS_NULL);
	expect_ident(&w[3].column, "d", 77);
	ck_assert_int_eq(w[4].op, PRED_NE);
	expect_text(&w[4].a, "x");
	ck_assert_int_eq(w[5].op, PRED_NE);
	expect_int(&w[5].a, -1);
	ck_assert_int_eq(w[6].op, PRED_LT);
	ck_assert_int_eq(w[7].op, PRED_LE);
	ck_assert_int_eq(w[8].op, PRED_GT);
	ck_assert_int_eq(w[9].op, PRED_GE);
	expect_bytes(&w[9].a, VALUE_BLOB, "\xab", 1);
	ck_assert_int_eq(p.st.has_order, 1);
	expect_ident(&p.st.order_column, "a", 167);
	ck_assert_int_eq(p.st.order_desc, 1);
	ck_assert_int_eq(p.st.has_limit, 1);
	ck_assert_uint_eq(p.st.limit, 5);
	ck_assert_uint_eq(p.st.offset, 2);
	done(&p);

	parse_ok("SELECT COUNT(*) FROM t WHERE x<>'it''s'", &p);
	ck_assert_int_eq(p.st.select_count, 1);
	ck_assert_uint_eq(p.st.name_count, 0);
	ck_assert_int_eq(p.st.preds[0].op, PRED_NE);
	expect_text(&p.st.preds[0].a, "it's");
	done(&p);

	parse_ok("select count ( * ) from t order by id asc", &p);
	ck_assert_int_eq(p.st.select_count, 1);
	ck_assert_int_eq(p.st.order_desc, 0);
	done(&p);
	parse_ok("select*from t order by k limit 0", &p);
	ck_assert_int_eq(p.st.has_order, 1);
	ck_assert_int_eq(p.st.has_limit, 1);
	ck_assert_uint_eq(p.st.limit, 0);
	ck_assert_uint_eq(p.st.offset, 0);
	done(&p);
	parse_ok("select x from t limit 9223372036854775807 offset 9223372036854775807", &p);
	ck_assert_uint_eq(p.st.limit, 9223372036854775807ull);
	ck_assert_uint_eq(p.st.offset, 9223372036854775807ull);
	done(&p);
	parse_ok("select a from t where a = 1 limit 3", &p);
	ck_assert_uint_eq(p.st.limit, 3);
	done(&p);

	sql_fail("select *", ROWFS_SYNTAX, "Parse error: Expected FROM, got EOF at position 8");
	sql_fail("select * t", ROWFS_SYNTAX, "Parse error: Expected FROM, got NAME at position 9");
	sql_fail("select count(*)", ROWFS_SYNTAX, "Parse error: Expected FROM, got EOF at position 15");
	sql_fail("select count(a) from t", ROWFS_SYNTAX,
	     "Parse error: Expected '*', got NAME at position 13");
	sql_fail("select count(* from t", ROWFS_SYNTAX,
	     "Parse error: Expected ')', got FROM at position 15");
	sql_fail("select a, from t", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got FROM at position 10");
	sql_fail("select a, b c from t", ROWFS_SYNTAX,
	     "Parse error: Expected ',' or FROM, got NAME at position 12");
	sql_fail("select from from t", ROWFS_SYNTAX,
	     "Parse error: Expected '*', COUNT or column name, got FROM at position 7");
	sql_fail("select a from", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got EOF at position 13");
	sql_fail("select a from t x", ROWFS_SYNTAX,
	     "Parse error: Expected WHERE, ORDER BY, LIMIT or end of line, got NAME at position 16");
	sql_fail("select a from t where", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got EOF at position 21");
	sql_fail("select a from t where a", ROWFS_SYNTAX,
	     "Parse error: Expected comparison operator, BETWEEN or IS, got EOF at position 23");
	sql_fail("select a from t where a == 1", ROWFS_SYNTAX,
	     "Parse error: Expected literal, got '=' at position 25");
	sql_fail("select a from t where a = b", ROWFS_SYNTAX,
	     "Parse error: Expected literal, got NAME at position 26");
	sql_fail("select a from t where 1 = a", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got INTEGER at position 22");
	sql_fail("select a from t where a = 1 b = 2", ROWFS_SYNTAX,
	     "Parse error: Expected AND, ORDER BY, LIMIT or end of line, got NAME at position 28");
	sql_fail("select a from t where a = 1 or b = 2", ROWFS_SYNTAX,
	     "Parse error: Expected AND, ORDER BY, LIMIT or end of line, got NAME at position 28");
	sql_fail("select a from t where a = 1 and", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got EOF at position 31");
	sql_fail("select a from t where a between 1", ROWFS_SYNTAX,
	     "Parse error: Expected AND, got EOF at position 33");
	sql_fail("select a from t where a between 1 or 2", ROWFS_SYNTAX,
	     "Parse error: Expected AND, got NAME at position 34");
	sql_fail("select a from t where a between 1 and", ROWFS_SYNTAX,
	     "Parse error: Expected literal, got EOF at position 37");
	sql_fail("select a from t where a is", ROWFS_SYNTAX,
	     "Parse error: Expected NOT or NULL, got EOF at position 26");
	sql_fail("select a from t where a is 1", ROWFS_SYNTAX,
	     "Parse error: Expected NOT or NULL, got INTEGER at position 27");
	sql_fail("select a from t where a is not", ROWFS_SYNTAX,
	     "Parse error: Expected NULL, got EOF at position 30");
	sql_fail("select a from t where a is not 'x'", ROWFS_SYNTAX,
	     "Parse error: Expected NULL, got TEXT at position 31");
	sql_fail("select a from t where a ! 1", ROWFS_TOKEN,
	     "Token error: Unexpected character '!' at position 24");
	sql_fail("select a from t order a", ROWFS_SYNTAX,
	     "Parse error: Expected BY, got NAME at position 22");
	sql_fail("select a from t order by", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got EOF at position 24");
	sql_fail("select a from t order by a, b", ROWFS_SYNTAX,
	     "Parse error: Expected ASC, DESC, LIMIT or end of line, got ',' at position 26");
	sql_fail("select a from t order by a asc desc", ROWFS_SYNTAX,
	     "Parse error: Expected LIMIT or end of line, got DESC at position 31");
	sql_fail("select a from t order by a desc where a = 1", ROWFS_SYNTAX,
	     "Parse error: Expected LIMIT or end of line, got WHERE at position 32");
	sql_fail("select a from t limit", ROWFS_SYNTAX,
	     "Parse error: Expected INTEGER, got EOF at position 21");
	sql_fail("select a from t limit 1.0", ROWFS_SYNTAX,
	     "Parse error: Expected INTEGER, got REAL at position 22");
	sql_fail("select a from t limit -1", ROWFS_RANGE,
	     "Parse error: LIMIT must be non-negative at position 22");
	sql_fail("select a from t limit 1 offset -5", ROWFS_RANGE,
	     "Parse error: OFFSET must be non-negative at position 31");
	sql_fail("select a from t limit 1 offset", ROWFS_SYNTAX,
	     "Parse error: Expected INTEGER, got EOF at position 30");
	sql_fail("select a from t limit 1 2", ROWFS_SYNTAX,
	     "Parse error: Expected OFFSET or end of line, got INTEGER at position 24");
	sql_fail("select a from t limit 1 offset 2 3", ROWFS_SYNTAX,
	     "Parse error: Expected end of line, got INTEGER at position 33");
	sql_fail("select a from t limit 1 where a = 1", ROWFS_SYNTAX,
	     "Parse error: Expected OFFSET or end of line, got WHERE at position 24");
	sql_fail("select a from t offset 1", ROWFS_SYNTAX,
	     "Parse error: Expected WHERE, ORDER BY, LIMIT or end of line, got OFFSET at position 16");
	sql_fail("select a from t limit 9223372036854775808", ROWFS_RANGE,
	     "Parse error: Integer out of range at position 22");
}
END_TEST

/* ---- update and delete --------------------------------------------------------------- */

START_TEST(test_update_delete)
{
	struct parsed p;

	parse_ok("update T set a = 1, B = 'x' where id = 3 and c is null", &p);
	ck_assert_int_eq(p.st.type, STMT_UPDATE_SET);
	expect_ident(&p.st.table, "t", 7);
	ck_assert_uint_eq(p.st.set_count, 2);
	expect_ident(&p.st.sets[0].column, "a", 13);
	expect_int(&p.st.sets[0].value, 1);
	expect_ident(&p.st.sets[1].column, "b", 20);
	expect_text(&p.st.sets[1].value, "x");
	ck_assert_uint_eq(p.st.pred_count, 2);
	expect_ident(&p.st.preds[0].column, "id", 34);
	ck_assert_int_eq(p.st.preds[1].op, PRED_IS_NULL);
	done(&p);
	parse_ok("update t set a=null", &p);
	ck_assert_uint_eq(p.st.set_count, 1);
	ck_assert_int_eq(p.st.sets[0].value.v.type, VALUE_NULL);
	ck_assert_uint_eq(p.st.pred_count, 0);
	done(&p);

	parse_ok("delete from T", &p);
	ck_assert_int_eq(p.st.type, STMT_DELETE_FROM);
	expect_ident(&p.st.table, "t", 12);
	ck_assert_uint_eq(p.st.pred_count, 0);
	done(&p);
	parse_ok("DELETE FROM t WHERE k BETWEEN -5 AND 5 AND v >= 1e-3;", &p);
	ck_assert_uint_eq(p.st.pred_count, 2);
	ck_assert_int_eq(p.st.preds[0].op, PRED_BETWEEN);
	expect_int(&p.st.preds[0].a, -5);
	expect_int(&p.st.preds[0].b, 5);
	expect_real(&p.st.preds[1].a, 1e-3);
	done(&p);

	sql_fail("update t set", ROWFS_SYNTAX, "Parse error: Expected column name, got EOF at position 12");
	sql_fail("update t set a", ROWFS_SYNTAX, "Parse error: Expected '=', got EOF at position 14");
	sql_fail("update t set a 1", ROWFS_SYNTAX, "Parse error: Expected '=', got INTEGER at position 15");
	sql_fail("update t set a =", ROWFS_SYNTAX, "Parse error: Expected literal, got EOF at position 16");
	sql_fail("update t set a = 1 b = 2", ROWFS_SYNTAX,
	     "Parse error: Expected ',', WHERE or end of line, got NAME at position 19");
	sql_fail("update t set a = 1,", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got EOF at position 19");
	sql_fail("update t set a = 1 where a = 1 order by a", ROWFS_SYNTAX,
	     "Parse error: Expected AND or end of line, got ORDER at position 31");
	sql_fail("update t set set = 1", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got SET at position 13");
	sql_fail("update from set a = 1", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got FROM at position 7");
	sql_fail("delete from", ROWFS_SYNTAX, "Parse error: Expected table name, got EOF at position 11");
	sql_fail("delete from t x", ROWFS_SYNTAX,
	     "Parse error: Expected WHERE or end of line, got NAME at position 14");
	sql_fail("delete from t where a = 1 limit 1", ROWFS_SYNTAX,
	     "Parse error: Expected AND or end of line, got LIMIT at position 26");
	sql_fail("delete from t where", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got EOF at position 19");
}
END_TEST

/* 64 assignments are fine, the 65th is an error. */
START_TEST(test_update_64_sets)
{
	struct tu_buf b = {0};
	struct parsed p;
	char want[96];
	size_t pos = 0;
	int i;

	tu_buf_add(&b, "update t set ", 13);
	for (i = 0; i < 65; i++) {
		char set[32];
		int n = snprintf(set, sizeof(set), "%sc%d = %d", i ? ", " : "", i, i);

		if (i == 64) {
			parse_ok_len(b.data, b.len, &p);
			ck_assert_uint_eq(p.st.set_count, 64);
			expect_int(&p.st.sets[63].value, 63);
			done(&p);
			pos = b.len + 2;
		}
		tu_buf_add(&b, set, (size_t)n);
	}
	snprintf(want, sizeof(want),
		 "Parse error: Too many assignments (more than 64) at position %zu", pos);
	sql_fail_len(b.data, b.len, ROWFS_SYNTAX, want);
	tu_buf_free(&b);
}
END_TEST

/* ---- meta-commands ------------------------------------------------------------------------ */

START_TEST(test_tables_schema)
{
	struct parsed p;

	parse_ok(".tables", &p);
	ck_assert_int_eq(p.st.type, STMT_TABLES);
	ck_assert_uint_eq(p.st.meta_len, 7);
	done(&p);
	parse_type("  .TABLES ;", STMT_TABLES);
	parse_type(".Tables -- all of them", STMT_TABLES);
	parse_ok(".schema", &p);
	ck_assert_int_eq(p.st.type, STMT_SCHEMA);
	ck_assert_uint_eq(p.st.table.len, 0);
	done(&p);
	parse_ok(".SCHEMA Foo_1;", &p);
	ck_assert_int_eq(p.st.type, STMT_SCHEMA);
	expect_ident(&p.st.table, "foo_1", 8);
	done(&p);
	parse_ok(".schema users -- the seed's", &p);
	expect_ident(&p.st.table, "users", 8);
	done(&p);
	/* other meta words stay STMT_META */
	parse_type(".indexes", STMT_META);
	parse_type(".tablesx", STMT_META);
	parse_type(".exit;", STMT_META);

	sql_fail(".tables t", ROWFS_SYNTAX, "Parse error: Expected end of line, got STRING at position 8");
	sql_fail(".schema a b", ROWFS_SYNTAX, "Parse error: Expected end of line, got NAME at position 10");
	sql_fail(".schema from", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got FROM at position 8");
	sql_fail(".schema 1x", ROWFS_SYNTAX, "Parse error: Invalid number at position 8");
	sql_fail(".schema 'x'", ROWFS_TOKEN, "Token error: Unexpected character ''' at position 8");
	sql_fail(".schema a-b", ROWFS_TOKEN, "Token error: Unexpected character '-' at position 9");
	sql_fail(".schema a.b", ROWFS_TOKEN, "Token error: Unexpected character '.' at position 9");
	sql_fail(".schema \xc3\xa9", ROWFS_TOKEN,
	     "Token error: Unexpected character '\\xC3' at position 8");
}
END_TEST

/* ---- literals ------------------------------------------------------------------------------- */

/* Parse "insert into t values (LIT)" and return the literal's statement. */
static const struct literal *one_value(const char *lit, struct parsed *p)
{
	char line[512];

	snprintf(line, sizeof(line), "insert into t values (%s)", lit);
	parse_ok(line, p);
	ck_assert_uint_eq(p->st.row_width, 1);
	ck_assert_uint_eq(p->st.values[0].pos, 22);
	return &p->st.values[0];
}

/* Expect "insert into t values (LIT)" to fail with rc and msg. */
static void value_fails(const char *lit, int rc, const char *msg)
{
	char line[512];

	snprintf(line, sizeof(line), "insert into t values (%s)", lit);
	sql_fail(line, rc, msg);
}

START_TEST(test_integer_literals)
{
	struct parsed p;

	expect_int(one_value("-12", &p), -12);
	done(&p);
	expect_int(one_value("0", &p), 0);
	done(&p);
	expect_int(one_value("-0", &p), 0);
	done(&p);
	expect_int(one_value("007", &p), 7);
	done(&p);
	expect_int(one_value("9223372036854775807", &p), INT64_MAX);
	done(&p);
	expect_int(one_value("-9223372036854775808", &p), INT64_MIN);
	done(&p);
	expect_int(one_value("000000000000000000000000009223372036854775807", &p), INT64_MAX);
	done(&p);
	value_fails("9223372036854775808", ROWFS_RANGE,
		    "Parse error: Integer out of range at position 22");
	value_fails("-9223372036854775809", ROWFS_RANGE,
		    "Parse error: Integer out of range at position 22");
	value_fails("99999999999999999999999", ROWFS_RANGE,
		    "Parse error: Integer out of range at position 22");
	value_fails("18446744073709551616", ROWFS_RANGE,
		    "Parse error: Integer out of range at position 22");
	value_fails("12ab", ROWFS_SYNTAX, "Parse error: Invalid number at position 22");
	value_fails("0x10", ROWFS_SYNTAX, "Parse error: Invalid number at position 22");
	value_fails("1_000", ROWFS_SYNTAX, "Parse error: Invalid number at position 22");
	value_fails("--1", ROWFS_TOKEN, "Token error: Unexpected character '-' at position 22");
	value_fails("- 1", ROWFS_TOKEN, "Token error: Unexpected character '-' at position 22");
}
END_TEST

START_TEST(test_real_literals)
{
	struct parsed p;

	expect_real(one_value("3.5", &p), 3.5);
	done(&p);
	expect_real(one_value("1e-3", &p), 1e-3);
	done(&p);
	expect_real(one_value("-2.5e10", &p), -2.5e10);
	done(&p);
	expect_real(one_value("-2.5E+10", &p), -2.5e10);
	done(&p);
	expect_real(one_value("-0.0", &p), -0.0);
	done(&p);
	expect_real(one_value("0.0", &p), 0.0);
	done(&p);
	expect_real(one_value(".5", &p), 0.5);
	done(&p);
	expect_real(one_value("-.5", &p), -0.5);
	done(&p);
	expect_real(one_value("5.", &p), 5.0);
	done(&p);
	expect_real(one_value("1e5", &p), 1e5);   /* an exponent makes a real */
	done(&p);
	expect_real(one_value("0.1", &p), 0.1);
	done(&p);
	expect_real(one_value("1e308", &p), 1e308);
	done(&p);
	expect_real(one_value("-1.7976931348623157e308", &p), -1.7976931348623157e308);
	done(&p);
	expect_real(one_value("4.9e-324", &p), 4.9e-324);
	done(&p);
	expect_real(one_value("1e-400", &p), 0.0);   /* underflow: finite */
	done(&p);
	expect_real(one_value("9223372036854775808.0", &p), 9223372036854775808.0);
	done(&p);
	value_fails("1e309", ROWFS_RANGE, "Parse error: Real out of range at position 22");
	value_fails("-1e309", ROWFS_RANGE, "Parse error: Real out of range at position 22");
	value_fails("1.8e308", ROWFS_RANGE, "Parse error: Real out of range at position 22");
	value_fails("1e", ROWFS_SYNTAX, "Parse error: Invalid number at position 22");
	value_fails("1e+", ROWFS_SYNTAX, "Parse error: Invalid number at position 22");
	value_fails("1.2.3", ROWFS_SYNTAX, "Parse error: Invalid number at position 22");
	value_fails("1e5.5", ROWFS_SYNTAX, "Parse error: Invalid number at position 22");
	value_fails("1.5x", ROWFS_SYNTAX, "Parse error: Invalid number at position 22");
	value_fails(".", ROWFS_TOKEN, "Token error: Unexpected character '.' at position 22");
	value_fails(".e5", ROWFS_TOKEN, "Token error: Unexpected character '.' at position 22");
	value_fails("inf", ROWFS_SYNTAX, "Parse error: Expected literal, got NAME at position 22");
	value_fails("nan", ROWFS_SYNTAX, "Parse error: Expected literal, got NAME at position 22");
	/* a long real: more than the lexer's small buffer */
	{
		char lit[400];

		memset(lit, '0', sizeof(lit));
		lit[0] = '1';
		lit[1] = '.';
		strcpy(lit + 390, "1e2");
		expect_real(one_value(lit, &p), 100.0);
		done(&p);
	}
}
END_TEST

START_TEST(test_text_literals)
{
	struct parsed p;

	expect_text(one_value("'it''s'", &p), "it's");
	done(&p);
	expect_text(one_value("''''", &p), "'");
	done(&p);
	expect_text(one_value("''", &p), "");
	done(&p);
	expect_text(one_value("'a\\nb'", &p), "a\\nb");   /* no escapes in '...' */
	done(&p);
	expect_text(one_value("'--;'", &p), "--;");
	done(&p);
	expect_text(one_value("' -- not a comment ;'", &p), " -- not a comment ;");
	done(&p);
	expect_text(one_value("E'a\\tb\\n'", &p), "a\tb\n");
	done(&p);
	expect_text(one_value("e'\\r\\\\\\''", &p), "\r\\'");
	done(&p);
	expect_text(one_value("E'it''s'", &p), "it's");
	done(&p);
	expect_text(one_value("E'\\''", &p), "'");
	done(&p);
	expect_text(one_value("'h\xc3\xa9 \xe2\x82\xac\xf0\x9f\x98\x80'", &p),
		    "h\xc3\xa9 \xe2\x82\xac\xf0\x9f\x98\x80");
	done(&p);
	/* raw control characters are valid UTF-8: kept byte for byte */
	expect_text(one_value("'a\tb\x01\x7f'", &p), "a\tb\x01\x7f");
	done(&p);
	value_fails("E'\\q'", ROWFS_SYNTAX, "Parse error: Bad escape '\\q' at position 24");
	value_fails("E'ab\\0'", ROWFS_SYNTAX, "Parse error: Bad escape '\\0' at position 26");
	value_fails("E'\\x41'", ROWFS_SYNTAX, "Parse error: Bad escape '\\x' at position 24");
	value_fails("E'\\\xc3\xa9'", ROWFS_SYNTAX, "Parse error: Bad escape '\\\\xC3' at position 24");
	value_fails("'abc", ROWFS_SYNTAX, "Parse error: Unterminated literal at position 22");
	value_fails("E'abc\\'", ROWFS_SYNTAX, "Parse error: Unterminated literal at position 22");
	value_fails("'a\xff'", ROWFS_TOKEN, "Token error: Unexpected character '\\xFF' at position 24");
	value_fails("'a\xc3'", ROWFS_TOKEN, "Token error: Unexpected character '\\xC3' at position 24");
	value_fails("'\xed\xa0\x80'", ROWFS_TOKEN,
		    "Token error: Unexpected character '\\xED' at position 23");
	value_fails("\"x\"", ROWFS_TOKEN, "Token error: Unexpected character '\"' at position 22");
	sql_fail_len("insert into t values ('a\0')", 28, ROWFS_SYNTAX, "Parse error: NUL byte");
	/* a name then a quote: two tokens (E and x are prefixes only alone) */
	value_fails("ex'1'", ROWFS_SYNTAX, "Parse error: Expected literal, got NAME at position 22");
	value_fails("null'1'", ROWFS_SYNTAX,
		    "Parse error: Expected ',' or ')', got TEXT at position 26");
}
END_TEST

START_TEST(test_blob_and_null_literals)
{
	struct parsed p;

	expect_bytes(one_value("x'00ff'", &p), VALUE_BLOB, "\0\xff", 2);
	done(&p);
	expect_bytes(one_value("X'AbCdEf09'", &p), VALUE_BLOB, "\xab\xcd\xef\x09", 4);
	done(&p);
	expect_bytes(one_value("x''", &p), VALUE_BLOB, "", 0);
	done(&p);
	ck_assert_int_eq(one_value("null", &p)->v.type, VALUE_NULL);
	done(&p);
	ck_assert_int_eq(one_value("NuLL", &p)->v.type, VALUE_NULL);
	done(&p);
	value_fails("x'0'", ROWFS_SYNTAX, "Parse error: Odd number of hex digits at position 22");
	value_fails("x'abc'", ROWFS_SYNTAX, "Parse error: Odd number of hex digits at position 22");
	value_fails("x'0g'", ROWFS_SYNTAX, "Parse error: Bad hex digit 'g' at position 25");
	value_fails("x'00 ff'", ROWFS_SYNTAX, "Parse error: Bad hex digit '\\x20' at position 26");
	value_fails("x'\xc3\xa9'", ROWFS_SYNTAX,
		    "Parse error: Bad hex digit '\\xC3' at position 24");
	value_fails("x'00)", ROWFS_SYNTAX, "Parse error: Bad hex digit ')' at position 26");
	sql_fail("insert into t values (x'00", ROWFS_SYNTAX,
		 "Parse error: Unterminated literal at position 22");
	value_fails("x", ROWFS_SYNTAX, "Parse error: Expected literal, got NAME at position 22");
}
END_TEST

/* ---- names ------------------------------------------------------------------------------------ */

START_TEST(test_names)
{
	char line[256], want[128], name[70];
	struct parsed p;

	memset(name, 'N', 64);
	name[64] = '\0';
	snprintf(line, sizeof(line), "drop table %s", name);
	parse_ok(line, &p);
	ck_assert_uint_eq(p.st.table.len, 64);
	memset(name, 'n', 64);
	ck_assert_str_eq(p.st.table.name, name);   /* lower case */
	done(&p);
	snprintf(line, sizeof(line), "drop table %sn", name);
	sql_fail(line, ROWFS_SYNTAX, "Parse error: Name too long (65 > 64) at position 11");
	snprintf(line, sizeof(line), "select %sn from t", name);
	sql_fail(line, ROWFS_SYNTAX, "Parse error: Name too long (65 > 64) at position 7");
	/* a long word anywhere, even after an error of the grammar, is reported first */
	snprintf(line, sizeof(line), "select a, b %sn from t", name);
	sql_fail(line, ROWFS_SYNTAX, "Parse error: Name too long (65 > 64) at position 12");
	snprintf(want, sizeof(want), "select a from t where %s = 1", name);
	parse_type(want, STMT_SELECT_FROM);

	parse_ok("select _A1, z_ from T_9", &p);
	expect_ident(&p.st.names[0], "_a1", 7);
	expect_ident(&p.st.names[1], "z_", 12);
	expect_ident(&p.st.table, "t_9", 20);
	done(&p);
	/* keywords are no names, in any case */
	sql_fail("drop table TABLE", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got TABLE at position 11");
	sql_fail("drop table Count", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got COUNT at position 11");
	sql_fail("drop table index", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got INDEX at position 11");
	sql_fail("create table t (text text)", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got TEXT at position 16");
	sql_fail("select null from t", ROWFS_SYNTAX,
	     "Parse error: Expected '*', COUNT or column name, got NULL at position 7");
	/* a leading digit: an invalid number */
	sql_fail("drop table 1t", ROWFS_SYNTAX, "Parse error: Invalid number at position 11");
	sql_fail("select 2a from t", ROWFS_SYNTAX,
	     "Parse error: Expected end of line, got STRING at position 7");
	sql_fail("select a, 2a from t", ROWFS_SYNTAX, "Parse error: Invalid number at position 10");
	sql_fail("drop table 5", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got INTEGER at position 11");
	/* only [A-Za-z0-9_] */
	sql_fail("drop table t-x", ROWFS_TOKEN, "Token error: Unexpected character '-' at position 12");
	sql_fail("drop table t-1", ROWFS_SYNTAX,
		 "Parse error: Expected end of line, got INTEGER at position 12");
	sql_fail("drop table t.c", ROWFS_TOKEN, "Token error: Unexpected character '.' at position 12");
	sql_fail("drop table caf\xc3\xa9", ROWFS_TOKEN,
	     "Token error: Unexpected character '\\xC3' at position 14");
	sql_fail("drop table \"t\"", ROWFS_TOKEN, "Token error: Unexpected character '\"' at position 11");
	/* names are names of the grammar only: users, id, username are fine */
	parse_type("select id, username from users", STMT_SELECT_FROM);
	parse_type("create table begin (end integer, commit text, transaction real)",
		   STMT_CREATE_TABLE);
}
END_TEST

/* ---- comments and ';' ------------------------------------------------------------------------------ */

START_TEST(test_comments_and_semicolons)
{
	struct parsed p;

	/* seed forms */
	parse_ok("insert 1 a--b", &p);
	ck_assert_uint_eq(p.st.name_len, 4);
	done(&p);
	parse_ok("insert 1 a -- comment @ ' ;", &p);
	ck_assert_uint_eq(p.st.name_len, 1);
	done(&p);
	parse_ok("insert 1 a;", &p);
	ck_assert_uint_eq(p.st.name_len, 1);
	done(&p);
	parse_ok("insert 1 a ;\t -- c", &p);
	ck_assert_uint_eq(p.st.name_len, 1);
	done(&p);
	parse_ok("insert 1 a;\r", &p);
	ck_assert_uint_eq(p.st.name_len, 1);
	done(&p);
	sql_fail("insert 2 --x", ROWFS_SYNTAX, "Parse error: Expected STRING, got EOF at position 9");
	sql_fail("insert 1;", ROWFS_SYNTAX, "Parse error: Expected STRING, got EOF at position 8");
	sql_fail("insert 1 ;", ROWFS_SYNTAX, "Parse error: Expected STRING, got EOF at position 9");
	sql_fail("insert 1 -- a", ROWFS_SYNTAX, "Parse error: Expected STRING, got EOF at position 9");
	sql_fail("insert 1 a;;", ROWFS_TOKEN, "Token error: Unexpected character ';' at position 10");
	sql_fail("insert 1 a; b", ROWFS_TOKEN, "Token error: Unexpected character ';' at position 10");
	sql_fail("insert 1 a;--b", ROWFS_TOKEN, "Token error: Unexpected character ';' at position 10");
	sql_fail("insert 11 x;insert 12 y", ROWFS_TOKEN,
	     "Token error: Unexpected character ';' at position 11");
	sql_fail_len("insert 1 a -- \0", 15, ROWFS_SYNTAX, "Parse error: NUL byte");
	parse_type("select;", STMT_SELECT);
	parse_type("select ; -- all", STMT_SELECT);
	parse_type(".exit;", STMT_META);
	parse_type("begin;", STMT_BEGIN);
	parse_type("commit transaction; -- done", STMT_COMMIT);
	parse_type("delete 5;", STMT_DELETE);
	parse_type("update 5 x;", STMT_UPDATE);
	/* a line of only a comment, a ';' or both is blank: no statement */
	parse_type("-- nothing", STMT_EMPTY);
	parse_type("  --", STMT_EMPTY);
	parse_type(";", STMT_EMPTY);
	parse_type(" ; -- x", STMT_EMPTY);
	parse_type("--\xff\x01 any bytes", STMT_EMPTY);
	sql_fail(";;", ROWFS_TOKEN, "Token error: Unexpected character ';' at position 0");
	sql_fail("-", ROWFS_SYNTAX, "Parse error: Expected INSERT, SELECT, or meta-command");
	sql_fail("-x-- y", ROWFS_SYNTAX, "Parse error: Expected INSERT, SELECT, or meta-command");

	/* SQL forms */
	parse_ok("select * from t; -- all rows", &p);
	ck_assert_int_eq(p.st.type, STMT_SELECT_FROM);
	done(&p);
	parse_ok("select * from t where a = 'x -- y;' ;  -- hello", &p);
	expect_text(&p.st.preds[0].a, "x -- y;");
	done(&p);
	parse_ok("select * from t where a = E'it\\'s -- no;'", &p);
	expect_text(&p.st.preds[0].a, "it's -- no;");
	done(&p);
	parse_ok("insert into t values (1) -- , (2)", &p);
	ck_assert_uint_eq(p.st.row_count, 1);
	done(&p);
	/* "--" not after a blank is no comment (and no SQL token) */
	sql_fail("insert into t values (5--3)", ROWFS_TOKEN,
	     "Token error: Unexpected character '-' at position 23");
	sql_fail("insert into t values (5 --3)", ROWFS_SYNTAX,
	     "Parse error: Expected ',' or ')', got EOF at position 24");
	sql_fail("select * from t;;", ROWFS_TOKEN, "Token error: Unexpected character ';' at position 15");
	sql_fail("select * from t; where a = 1", ROWFS_TOKEN,
	     "Token error: Unexpected character ';' at position 15");
	sql_fail("select * from t where a = 'x;", ROWFS_SYNTAX,
	     "Parse error: Unterminated literal at position 26");
	sql_fail("select * from t where a = 'x -- y", ROWFS_SYNTAX,
	     "Parse error: Unterminated literal at position 26");
	parse_type("select * from t -- ;", STMT_SELECT_FROM);
}
END_TEST

/* ---- dispatch -------------------------------------------------------------------------------------- */

START_TEST(test_dispatch)
{
	/* seed forms keep Part 1's replies */
	sql_fail("insert into", ROWFS_SYNTAX, "Parse error: Expected table name, got EOF at position 11");
	parse_type("insert 1 into", STMT_INSERT);
	parse_type("update 1 set", STMT_UPDATE);
	parse_type("insert 1 select", STMT_INSERT);
	sql_fail("drop 1", ROWFS_SYNTAX, "Parse error: Expected INSERT, SELECT, or meta-command");
	sql_fail("drop table", ROWFS_SYNTAX, "Parse error: Expected INSERT, SELECT, or meta-command");
	sql_fail("create table", ROWFS_SYNTAX, "Parse error: Expected INSERT, SELECT, or meta-command");
	sql_fail("create", ROWFS_SYNTAX, "Parse error: Expected INSERT, SELECT, or meta-command");
	sql_fail("create index i on t", ROWFS_SYNTAX,
	     "Parse error: Expected INSERT, SELECT, or meta-command");
	sql_fail("create index i on t (a)", ROWFS_TOKEN,
	     "Token error: Unexpected character '(' at position 20");
	sql_fail("select x", ROWFS_SYNTAX, "Parse error: Expected end of line, got STRING at position 7");
	sql_fail("select x y", ROWFS_SYNTAX,
	     "Parse error: Expected end of line, got STRING at position 7");
	sql_fail("select count", ROWFS_SYNTAX,
	     "Parse error: Expected end of line, got STRING at position 7");
	sql_fail("select 1, 2", ROWFS_TOKEN, "Token error: Unexpected character ',' at position 8");
	sql_fail("select x.y from t", ROWFS_SYNTAX,
	     "Parse error: Expected end of line, got STRING at position 7");
	sql_fail("select 'a' from t", ROWFS_TOKEN, "Token error: Unexpected character ''' at position 7");
	sql_fail("update x", ROWFS_SYNTAX, "Parse error: Expected INTEGER, got STRING at position 7");
	sql_fail("update x y", ROWFS_SYNTAX, "Parse error: Expected INTEGER, got STRING at position 7");
	sql_fail("delete x", ROWFS_SYNTAX, "Parse error: Expected INTEGER, got STRING at position 7");
	sql_fail("delete fromx", ROWFS_SYNTAX, "Parse error: Expected INTEGER, got STRING at position 7");
	sql_fail("insert into.x", ROWFS_TOKEN, "Token error: Unexpected character '.' at position 11");
	sql_fail("insert 1 'bob'", ROWFS_TOKEN, "Token error: Unexpected character ''' at position 9");
	sql_fail("insert 1 a,b", ROWFS_TOKEN, "Token error: Unexpected character ',' at position 10");
	/* SQL forms by their first words */
	parse_type("INSERT INTO t VALUES (1)", STMT_INSERT_INTO);
	parse_type("delete from t", STMT_DELETE_FROM);
	parse_type("update t set a = 1", STMT_UPDATE_SET);
	parse_type("update _ set a = 1", STMT_UPDATE_SET);
	parse_type("select a from t", STMT_SELECT_FROM);
	parse_type("select a,b from t", STMT_SELECT_FROM);
	parse_type("select count(*) from t", STMT_SELECT_FROM);
	parse_type("select *from t", STMT_SELECT_FROM);
	parse_type("create table t (a integer)", STMT_CREATE_TABLE);
	parse_type("drop table t", STMT_DROP_TABLE);
	sql_fail("select x,", ROWFS_SYNTAX, "Parse error: Expected column name, got EOF at position 9");
	sql_fail("update t set", ROWFS_SYNTAX,
	     "Parse error: Expected column name, got EOF at position 12");
	sql_fail("create table 1", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got INTEGER at position 13");
	sql_fail("delete from 't'", ROWFS_SYNTAX,
	     "Parse error: Expected table name, got TEXT at position 12");
}
END_TEST

/* ---- the 4 MiB boundary --------------------------------------------------------------------------------- */

START_TEST(test_line_limit)
{
	size_t n = MAX_LINE_SIZE;
	char *line = malloc(n + 2);
	struct parsed p;
	size_t head = strlen("insert into t values ('");

	ck_assert_uint_eq(MAX_LINE_SIZE, 4194304u);
	/* a text literal filling the line exactly */
	memcpy(line, "insert into t values ('", head);
	memset(line + head, 'a', n - head - 2);
	memcpy(line + n - 2, "')", 2);
	parse_ok_len(line, n, &p);
	ck_assert_uint_eq(p.st.values[0].v.len, n - head - 2);
	ck_assert_int_eq(p.st.values[0].v.p[n - head - 3], 'a');
	done(&p);
	/* plus a final CR, still fine */
	line[n] = '\r';
	parse_ok_len(line, n + 1, &p);
	done(&p);
	/* one byte more: too long, before anything else */
	line[n] = ' ';
	sql_fail_len(line, n + 1, ROWFS_SYNTAX, "Parse error: line too long");
	line[0] = '@';
	sql_fail_len(line, n + 1, ROWFS_SYNTAX, "Parse error: line too long");
	/* 2 MiB of quotes decode to 1 MiB */
	memcpy(line, "insert into t values ('", head);
	memset(line + head, '\'', 2u << 20);
	memcpy(line + head + (2u << 20), "')", 2);
	parse_ok_len(line, head + (2u << 20) + 2, &p);
	ck_assert_uint_eq(p.st.values[0].v.len, 1u << 20);
	ck_assert_int_eq(p.st.values[0].v.p[(1u << 20) - 1], '\'');
	done(&p);
	/* a blob filling the line: half as many bytes as hex digits */
	memcpy(line, "insert into t values (x'", head + 1);
	memset(line + head + 1, 'F', n - head - 3);
	memcpy(line + n - 2, "')", 2);
	parse_ok_len(line, n, &p);
	ck_assert_uint_eq(p.st.values[0].v.type, VALUE_BLOB);
	ck_assert_uint_eq(p.st.values[0].v.len, (n - head - 3) / 2);
	ck_assert_int_eq(p.st.values[0].v.p[0], 0xff);
	done(&p);
	free(line);
}
END_TEST

/* ---- every SQL error has its text ------------------------------------------------------------------------ */

START_TEST(test_error_ranks)
{
	/* the first lexical error anywhere wins over a grammar error before it */
	sql_fail("select a, b c from t where c = 'x", ROWFS_SYNTAX,
	     "Parse error: Unterminated literal at position 31");
	sql_fail("select * frm t where c = @", ROWFS_TOKEN,
	     "Token error: Unexpected character '@' at position 25");
	sql_fail("select * from t where a = 1e999 and b = 99999999999999999999", ROWFS_RANGE,
	     "Parse error: Real out of range at position 26");
	/* ...and the first of two lexical errors is reported */
	sql_fail("select * from t where a = x'1' and b = @", ROWFS_SYNTAX,
	     "Parse error: Odd number of hex digits at position 26");
	/* line too long, then NUL, then the rest */
	sql_fail_len("select * from t where a = '\0'", 29, ROWFS_SYNTAX, "Parse error: NUL byte");
}
END_TEST

/* ---- randomized round trip ----------------------------------------------------------------------------------- */

/* A random literal, rendered into b; the value it must parse to in *want (bytes in wbuf). */
static void random_literal(uint64_t *rng, struct tu_buf *b, struct value *want, char *wbuf)
{
	static const char text_bytes[] = "ab Z_'\\\t\x01-;,()*=\xc3\xa9";
	char tmp[128];
	size_t i, n;
	int k;

	memset(want, 0, sizeof(*want));
	switch (tu_next_random(rng) % 6) {
	case 0: {
		int64_t v = (int64_t)tu_next_random(rng);

		if (tu_next_random(rng) % 2)
			v %= 1000;
		if (tu_next_random(rng) % 8 == 0)
			v = tu_next_random(rng) % 2 ? INT64_MIN : INT64_MAX;
		want->type = VALUE_INTEGER;
		want->i = v;
		k = snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
		tu_buf_add(b, tmp, (size_t)k);
		return;
	}
	case 1: {
		double r;

		do {
			uint64_t bits = tu_next_random(rng);

			memcpy(&r, &bits, sizeof(r));
		} while (!isfinite(r));
		if (tu_next_random(rng) % 2)
			r = (double)(int64_t)(tu_next_random(rng) % 2000000) / 64.0 - 10000.0;
		want->type = VALUE_REAL;
		want->r = r;
		k = snprintf(tmp, sizeof(tmp), tu_next_random(rng) % 2 ? "%.17g" : "%.17e", r);
		if (!strpbrk(tmp, ".e"))
			strcat(tmp, ".0");
		tu_buf_add(b, tmp, strlen(tmp));
		(void)k;
		return;
	}
	case 2:
	case 3: {
		int escapes = tu_next_random(rng) % 2;

		n = tu_next_random(rng) % 12;
		want->type = VALUE_TEXT;
		want->len = 0;
		tu_buf_add(b, escapes ? "E'" : "'", escapes ? 2 : 1);
		for (i = 0; i < n; i++) {
			size_t at = tu_next_random(rng) % (sizeof(text_bytes) - 1);
			char c = text_bytes[at];

			if ((unsigned char)c == 0xc3) {   /* the two bytes of U+00E9 */
				tu_buf_add(b, "\xc3\xa9", 2);
				wbuf[want->len++] = '\xc3';
				wbuf[want->len++] = '\xa9';
				continue;
			}
			if ((unsigned char)c == 0xa9)
				c = 'q';
			wbuf[want->len++] = c;
			if (c == '\'')
				tu_buf_add(b, escapes && tu_next_random(rng) % 2 ? "\\'" : "''", 2);
			else if (escapes && c == '\\')
				tu_buf_add(b, "\\\\", 2);
			else if (escapes && c == '\t' && tu_next_random(rng) % 2)
				tu_buf_add(b, "\\t", 2);
			else
				tu_buf_add(b, &c, 1);
		}
		tu_buf_add(b, "'", 1);
		want->p = (const uint8_t *)wbuf;
		return;
	}
	case 4:
		n = tu_next_random(rng) % 6;
		want->type = VALUE_BLOB;
		want->len = n;
		tu_buf_add(b, tu_next_random(rng) % 2 ? "x'" : "X'", 2);
		for (i = 0; i < n; i++) {
			unsigned v = (unsigned)(tu_next_random(rng) & 0xff);

			wbuf[i] = (char)v;
			k = snprintf(tmp, sizeof(tmp), tu_next_random(rng) % 2 ? "%02x" : "%02X", v);
			tu_buf_add(b, tmp, (size_t)k);
		}
		tu_buf_add(b, "'", 1);
		want->p = (const uint8_t *)wbuf;
		return;
	default:
		want->type = VALUE_NULL;
		tu_buf_add(b, tu_next_random(rng) % 2 ? "null" : "NULL", 4);
		return;
	}
}

static void compare_value(const struct value *got, const struct value *want)
{
	ck_assert_int_eq(got->type, want->type);
	switch (want->type) {
	case VALUE_INTEGER:
		ck_assert(got->i == want->i);
		break;
	case VALUE_REAL:
		ck_assert_msg(memcmp(&got->r, &want->r, sizeof(double)) == 0, "%.17g vs %.17g",
			      got->r, want->r);
		break;
	case VALUE_TEXT:
	case VALUE_BLOB:
		ck_assert_uint_eq(got->len, want->len);
		ck_assert(memcmp(got->p, want->p, want->len) == 0);
		break;
	default:
		break;
	}
}

/* Blanks between tokens: none (where allowed), one or several. */
static void gap(uint64_t *rng, struct tu_buf *b, int needed)
{
	switch (tu_next_random(rng) % 4) {
	case 0:
		if (!needed)
			return;
		/* fall through */
	case 1:
	case 2:
		tu_buf_add(b, " ", 1);
		return;
	default:
		tu_buf_add(b, " \t ", 3);
	}
}

/* Random case of a keyword. */
static void keyword(uint64_t *rng, struct tu_buf *b, const char *kw)
{
	size_t i, n = strlen(kw);
	unsigned mode = (unsigned)(tu_next_random(rng) % 3);

	for (i = 0; i < n; i++) {
		char c = kw[i];

		if (mode == 1 || (mode == 2 && tu_next_random(rng) % 2))
			c = (char)(c - 'a' + 'A');
		tu_buf_add(b, &c, 1);
	}
}

#define ROWS_MAX 4
#define WIDTH_MAX 5

/* insert into T values (...), ... with random literals: parsed as rendered. */
START_TEST(test_random_insert_round_trip)
{
	uint64_t rng = 0x5EED5EEDull;
	unsigned iter;

	for (iter = 0; iter < 20000; iter++) {
		struct value want[ROWS_MAX * WIDTH_MAX];
		char wbufs[ROWS_MAX * WIDTH_MAX][64];
		unsigned rows = 1 + (unsigned)(tu_next_random(&rng) % ROWS_MAX);
		unsigned width = 1 + (unsigned)(tu_next_random(&rng) % WIDTH_MAX);
		struct tu_buf b = {0};
		struct parsed p;
		unsigned r, c;

		keyword(&rng, &b, "insert");
		gap(&rng, &b, 1);
		keyword(&rng, &b, "into");
		gap(&rng, &b, 1);
		tu_buf_add(&b, "Tab_1", 5);
		gap(&rng, &b, 1);
		keyword(&rng, &b, "values");
		for (r = 0; r < rows; r++) {
			gap(&rng, &b, 0);
			tu_buf_add(&b, r ? ",(" : "(", r ? 2 : 1);
			for (c = 0; c < width; c++) {
				gap(&rng, &b, 0);
				if (c)
					tu_buf_add(&b, ",", 1);
				gap(&rng, &b, 0);
				random_literal(&rng, &b, &want[r * width + c], wbufs[r * width + c]);
			}
			gap(&rng, &b, 0);
			tu_buf_add(&b, ")", 1);
		}
		if (tu_next_random(&rng) % 3 == 0)
			tu_buf_add(&b, ";", 1);
		if (tu_next_random(&rng) % 3 == 0)
			tu_buf_add(&b, " -- (9) '", 9);
		parse_ok_len(b.data, b.len, &p);
		ck_assert_int_eq(p.st.type, STMT_INSERT_INTO);
		ck_assert_str_eq(p.st.table.name, "tab_1");
		ck_assert_uint_eq(p.st.row_count, rows);
		ck_assert_uint_eq(p.st.row_width, width);
		for (r = 0; r < rows * width; r++)
			compare_value(&p.st.values[r].v, &want[r]);
		done(&p);
		tu_buf_free(&b);
	}
}
END_TEST

/* select ... where with random predicates: parsed as rendered. */
START_TEST(test_random_where_round_trip)
{
	static const struct {
		const char *text;
		enum pred_op op;
	} ops[] = {
		{"=", PRED_EQ}, {"!=", PRED_NE}, {"<>", PRED_NE}, {"<", PRED_LT},
		{"<=", PRED_LE}, {">", PRED_GT}, {">=", PRED_GE},
	};
	uint64_t rng = 0xC0FFEEull;
	unsigned iter;

	for (iter = 0; iter < 10000; iter++) {
		struct value want_a[8], want_b[8];
		char wa[8][64], wb[8][64];
		enum pred_op want_op[8];
		unsigned n = 1 + (unsigned)(tu_next_random(&rng) % 8), i;
		struct tu_buf b = {0};
		struct parsed p;
		char col[16];

		keyword(&rng, &b, "select");
		gap(&rng, &b, 0);
		tu_buf_add(&b, "*", 1);
		gap(&rng, &b, 0);
		keyword(&rng, &b, "from");
		gap(&rng, &b, 1);
		tu_buf_add(&b, "t", 1);
		gap(&rng, &b, 1);
		keyword(&rng, &b, "where");
		for (i = 0; i < n; i++) {
			unsigned kind = (unsigned)(tu_next_random(&rng) % 10);

			if (i) {
				gap(&rng, &b, 1);
				keyword(&rng, &b, "and");
			}
			gap(&rng, &b, 1);
			snprintf(col, sizeof(col), "C%u", i);
			tu_buf_add(&b, col, strlen(col));
			if (kind < 7) {
				want_op[i] = ops[kind].op;
				gap(&rng, &b, 0);
				tu_buf_add(&b, ops[kind].text, strlen(ops[kind].text));
				gap(&rng, &b, 0);
				random_literal(&rng, &b, &want_a[i], wa[i]);
			} else if (kind == 7) {
				want_op[i] = PRED_BETWEEN;
				gap(&rng, &b, 1);
				keyword(&rng, &b, "between");
				gap(&rng, &b, 1);
				random_literal(&rng, &b, &want_a[i], wa[i]);
				gap(&rng, &b, 1);
				keyword(&rng, &b, "and");
				gap(&rng, &b, 1);
				random_literal(&rng, &b, &want_b[i], wb[i]);
			} else {
				want_op[i] = kind == 8 ? PRED_IS_NULL : PRED_IS_NOT_NULL;
				gap(&rng, &b, 1);
				keyword(&rng, &b, "is");
				gap(&rng, &b, 1);
				if (kind == 9) {
					keyword(&rng, &b, "not");
					gap(&rng, &b, 1);
				}
				keyword(&rng, &b, "null");
			}
		}
		parse_ok_len(b.data, b.len, &p);
		ck_assert_uint_eq(p.st.pred_count, n);
		for (i = 0; i < n; i++) {
			snprintf(col, sizeof(col), "c%u", i);
			ck_assert_str_eq(p.st.preds[i].column.name, col);
			ck_assert_int_eq(p.st.preds[i].op, want_op[i]);
			if (want_op[i] <= PRED_BETWEEN)
				compare_value(&p.st.preds[i].a.v, &want_a[i]);
			if (want_op[i] == PRED_BETWEEN)
				compare_value(&p.st.preds[i].b.v, &want_b[i]);
		}
		done(&p);
		tu_buf_free(&b);
	}
}
END_TEST

/* Random bytes and SQL pieces: never a crash, a leak or a read past the end. */
START_TEST(test_random_lines)
{
	static const char *const pieces[] = {
		"select", "insert", "into", "values", "from", "where", "create", "table", "drop",
		"update", "set", "delete", "count", "(", ")", ",", "*", "=", "<", ">", "!", " ",
		"\t", "'", "E'", "x'", "\\", "''", "1", "-", "--", ";", ".", "e", "1e5", "a",
		"null", "and", "between", "is", "not", "order", "by", "limit", "offset", "\xc3",
		"\xa9", ".schema", ".tables", "text(", "integer", "primary", "key", "default",
	};
	const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
	uint64_t rng = 0xFEEDull;
	unsigned iter;

	for (iter = 0; iter < 200000; iter++) {
		struct tu_buf b = {0};
		size_t parts = tu_next_random(&rng) % 16, i;
		struct parsed p;
		struct rowfs_err err;
		int rc;

		for (i = 0; i < parts; i++) {
			const char *piece = pieces[tu_next_random(&rng) % npieces];

			tu_buf_add(&b, piece, strlen(piece));
		}
		rc = run_len(b.data ? b.data : "", b.len, &p, &err);
		if (rc != ROWFS_OK &&
		    ((rc != ROWFS_TOKEN && rc != ROWFS_SYNTAX && rc != ROWFS_RANGE) ||
		     err.rc != rc || strstr(err.msg, "position") == NULL) &&
		    strncmp(err.msg, "Parse error: Expected INSERT", 28) != 0 &&
		    strncmp(err.msg, "Parse error: Row id", 19) != 0)
			ck_abort_msg("'%.*s': rc %d msg '%s'", (int)b.len, b.data, rc, err.msg);
		if (rc != ROWFS_OK)
			ck_assert(p.st.type == STMT_EMPTY && p.st.arena == NULL);
		statement_free(&p.st);
		free(p.copy);
		tu_buf_free(&b);
	}
}
END_TEST

static Suite *sql_suite(void)
{
	Suite *s = suite_create("sql");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_create);
	tcase_add_test(tc, test_create_64_columns);
	tcase_add_test(tc, test_drop);
	tcase_add_test(tc, test_insert_into);
	tcase_add_test(tc, test_insert_limits);
	tcase_add_test(tc, test_select);
	tcase_add_test(tc, test_update_delete);
	tcase_add_test(tc, test_update_64_sets);
	tcase_add_test(tc, test_tables_schema);
	tcase_add_test(tc, test_integer_literals);
	tcase_add_test(tc, test_real_literals);
	tcase_add_test(tc, test_text_literals);
	tcase_add_test(tc, test_blob_and_null_literals);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_comments_and_semicolons);
	tcase_add_test(tc, test_dispatch);
	tcase_add_test(tc, test_line_limit);
	tcase_add_test(tc, test_error_ranks);
	tcase_add_test(tc, test_random_insert_round_trip);
	tcase_add_test(tc, test_random_where_round_trip);
	tcase_add_test(tc, test_random_lines);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_sql", sql_suite());
}
