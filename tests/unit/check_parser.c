/*
 * check_parser.c - unit tests of engine/parser.c: the grammar, every
 * parse-error text with its position, id ranges, CRLF, line length, NUL,
 * the precedence of errors, `delete ID` and `update ID NAME`, and a
 * bounded random-input run.
 *
 * Every line is copied into a heap buffer of exactly its length, so an
 * ASan build catches any read past the end.
 */
#include <config.h>

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "parser.h"
#include "testutil.h"

/* Parse line[0..len) from an exact-size heap copy; *copy receives it (caller frees). */
static int run_len(const char *line, size_t len, struct statement *st, struct rowfs_err *err,
		   char **copy)
{
	char *buf = tu_memdup(line, len);
	int rc;

	memset(err, 0, sizeof(*err));
	rc = parse_line(buf, len, st, err);
	*copy = buf;
	return rc;
}

/* Expect line to fail with rc and exactly msg. */
static void parse_fail_len(const char *line, size_t len, int want_rc, const char *want_msg)
{
	struct statement st;
	struct rowfs_err err;
	char *buf;
	int rc;

	rc = run_len(line, len, &st, &err, &buf);
	free(buf);
	ck_assert_msg(rc == want_rc, "'%.*s': rc %d, want %d (%s)", (int)len, line, rc, want_rc,
		      err.msg);
	ck_assert_int_eq(err.rc, want_rc);
	ck_assert_str_eq(err.msg, want_msg);
}

static void parse_fail(const char *line, int want_rc, const char *want_msg)
{
	parse_fail_len(line, strlen(line), want_rc, want_msg);
}

/* Expect line to be an insert of id and name. */
static void parse_insert(const char *line, uint32_t id, const char *name)
{
	struct statement st;
	struct rowfs_err err;
	char *buf;
	int rc;

	rc = run_len(line, strlen(line), &st, &err, &buf);
	ck_assert_msg(rc == ROWFS_OK, "'%s': rc %d (%s)", line, rc, err.msg);
	ck_assert_int_eq(st.type, STMT_INSERT);
	ck_assert_uint_eq(st.id, id);
	ck_assert_uint_eq(st.name_len, strlen(name));
	ck_assert(memcmp(st.name, name, st.name_len) == 0);
	/* The name points into the line. */
	ck_assert(st.name >= buf && st.name + st.name_len <= buf + strlen(line));
	free(buf);
}

/* Expect line to be a delete of id, or (name not NULL) an update of id to name. */
static void parse_change(const char *line, uint32_t id, const char *name)
{
	struct statement st;
	struct rowfs_err err;
	char *buf;
	int rc;

	rc = run_len(line, strlen(line), &st, &err, &buf);
	ck_assert_msg(rc == ROWFS_OK, "'%s': rc %d (%s)", line, rc, err.msg);
	ck_assert_int_eq(st.type, name ? STMT_UPDATE : STMT_DELETE);
	ck_assert_uint_eq(st.id, id);
	if (name) {
		ck_assert_uint_eq(st.name_len, strlen(name));
		ck_assert(memcmp(st.name, name, st.name_len) == 0);
		ck_assert(st.name >= buf && st.name + st.name_len <= buf + strlen(line));
	} else {
		ck_assert_ptr_null(st.name);
		ck_assert_uint_eq(st.name_len, 0);
	}
	free(buf);
}

/* Expect line to parse as type (select, empty). */
static void parse_type(const char *line, enum stmt_type type)
{
	struct statement st;
	struct rowfs_err err;
	char *buf;
	int rc;

	rc = run_len(line, strlen(line), &st, &err, &buf);
	free(buf);
	ck_assert_msg(rc == ROWFS_OK, "'%s': rc %d (%s)", line, rc, err.msg);
	ck_assert_msg(st.type == type, "'%s': type %d, want %d", line, (int)st.type, (int)type);
}

/* Expect line to be the meta-command meta. */
static void parse_meta(const char *line, const char *meta)
{
	struct statement st;
	struct rowfs_err err;
	char *buf;
	int rc;

	rc = run_len(line, strlen(line), &st, &err, &buf);
	ck_assert_msg(rc == ROWFS_OK, "'%s': rc %d (%s)", line, rc, err.msg);
	ck_assert_int_eq(st.type, STMT_META);
	ck_assert_uint_eq(st.meta_len, strlen(meta));
	ck_assert(memcmp(st.meta, meta, st.meta_len) == 0);
	free(buf);
}

START_TEST(test_insert)
{
	parse_insert("insert 1 alice", 1, "alice");
	parse_insert("  insert   7\tbob  ", 7, "bob");
	parse_insert("\tinsert\t1\ta", 1, "a");
	parse_insert("insert 1 123", 1, "123");
	parse_insert("insert 1 -1", 1, "-1");
	parse_insert("insert 1 0x10", 1, "0x10");
	parse_insert("insert 1 .hidden", 1, ".hidden");
	parse_insert("insert 1 a_b.c-d", 1, "a_b.c-d");
	parse_insert("insert 1 insert", 1, "insert");
	parse_insert("INSERT 2 Bob", 2, "Bob");
	parse_insert("InSeRt 3 x", 3, "x");
}
END_TEST

START_TEST(test_select_and_empty)
{
	parse_type("select", STMT_SELECT);
	parse_type("SELECT", STMT_SELECT);
	parse_type("Select", STMT_SELECT);
	parse_type("  select \t", STMT_SELECT);
	parse_type("", STMT_EMPTY);
	parse_type("   ", STMT_EMPTY);
	parse_type("\t \t", STMT_EMPTY);
	parse_type("\r", STMT_EMPTY);
	parse_type("  \r", STMT_EMPTY);
}
END_TEST

START_TEST(test_null_empty_line)
{
	struct statement st;
	struct rowfs_err err;

	ck_assert_int_eq(parse_line(NULL, 0, &st, &err), ROWFS_OK);
	ck_assert_int_eq(st.type, STMT_EMPTY);
}
END_TEST

START_TEST(test_crlf)
{
	parse_insert("insert 1 alice\r", 1, "alice");
	parse_type("select\r", STMT_SELECT);
	parse_meta(".exit\r", ".exit");
	parse_fail("insert\r", ROWFS_SYNTAX, "Parse error: Expected INTEGER, got EOF at position 6");
	/* Only one final '\r' is dropped; a '\r' elsewhere is a bad byte. */
	parse_fail("select\r\r", ROWFS_TOKEN,
		   "Token error: Unexpected character '\\x0D' at position 6");
	parse_fail("insert 1 a\rb", ROWFS_TOKEN,
		   "Token error: Unexpected character '\\x0D' at position 10");
}
END_TEST

START_TEST(test_ids)
{
	parse_insert("insert 0 a", 0, "a");
	parse_insert("insert 4294967295 a", 4294967295u, "a");
	parse_insert("insert 00042 a", 42, "a");
	parse_insert("insert 000000000000000000000000004294967295 a", 4294967295u, "a");
	parse_insert("insert 0000 a", 0, "a");
	parse_fail("insert 4294967296 a", ROWFS_RANGE, "Parse error: Row id out of range");
	parse_fail("insert 10000000000 a", ROWFS_RANGE, "Parse error: Row id out of range");
	parse_fail("insert 99999999999999999999 a", ROWFS_RANGE, "Parse error: Row id out of range");
	parse_fail("insert 18446744073709551616 a", ROWFS_RANGE, "Parse error: Row id out of range");
	parse_fail("insert 99999999999999999999", ROWFS_RANGE, "Parse error: Row id out of range");
	parse_fail("insert -1 a", ROWFS_RANGE, "Parse error: Row id must be non-negative");
	parse_fail("insert -0 a", ROWFS_RANGE, "Parse error: Row id must be non-negative");
	parse_fail("insert -99999999999999999999 a", ROWFS_RANGE,
		   "Parse error: Row id must be non-negative");
	parse_fail("insert +5 a", ROWFS_TOKEN, "Token error: Unexpected character '+' at position 7");
	parse_fail("insert 0x10 a", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got STRING at position 7");
	parse_fail("insert 1e3 a", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got STRING at position 7");
	parse_fail("insert 12ab a", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got STRING at position 7");
	parse_fail("insert 1.5 a", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got STRING at position 7");
	parse_fail("insert - a", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got STRING at position 7");
	parse_fail("insert alice 1", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got STRING at position 7");
	parse_fail("  insert   x", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got STRING at position 11");
}
END_TEST

START_TEST(test_missing_arguments)
{
	parse_fail("insert", ROWFS_SYNTAX, "Parse error: Expected INTEGER, got EOF at position 6");
	parse_fail("insert   ", ROWFS_SYNTAX, "Parse error: Expected INTEGER, got EOF at position 9");
	parse_fail("  INSERT", ROWFS_SYNTAX, "Parse error: Expected INTEGER, got EOF at position 8");
	parse_fail("insert 1", ROWFS_SYNTAX, "Parse error: Expected STRING, got EOF at position 8");
	parse_fail("insert 1 \t", ROWFS_SYNTAX,
		   "Parse error: Expected STRING, got EOF at position 10");
	parse_fail("insert 1\r", ROWFS_SYNTAX, "Parse error: Expected STRING, got EOF at position 8");
}
END_TEST

START_TEST(test_extra_tokens)
{
	parse_fail("insert 1 a b", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got STRING at position 11");
	parse_fail("insert 1 a 2", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got INTEGER at position 11");
	parse_fail("insert 1 a -2", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got INTEGER at position 11");
	parse_fail("insert 1 a  b c d e f g h i j", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got STRING at position 12");
	parse_fail("select x", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got STRING at position 7");
	parse_fail("select\t\t5", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got INTEGER at position 8");
	parse_fail(".exit now", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got STRING at position 6");
	parse_fail(".btree 1", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got INTEGER at position 7");
}
END_TEST

START_TEST(test_meta)
{
	parse_meta(".exit", ".exit");
	parse_meta("  .btree  ", ".btree");
	parse_meta(".constants", ".constants");
	parse_meta(".stats", ".stats");
	parse_meta(".checkpoint", ".checkpoint");
	parse_meta(".EXIT", ".EXIT");
	/* Unknown names are the compiler's business. */
	parse_meta(".drop", ".drop");
	parse_meta(".", ".");
	parse_meta("..", "..");
	parse_meta(".5", ".5");
	/* ... also with arguments, which mean nothing without a known command. */
	parse_meta(".drop table", ".drop");
	parse_meta(" .foo 'x", ".foo");
}
END_TEST

START_TEST(test_unknown_command)
{
	static const char *const lines[] = {
		"foo", "foo bar baz", "drop 1", "insertx 1 a", "selectx", "1", "-1", "-",
		"insert_ 1 a", "\xc3\xa9", "sel ect", "upsert 1 a b c d e f g h",
	};
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		parse_fail(lines[i], ROWFS_SYNTAX,
			   "Parse error: Expected INSERT, SELECT, or meta-command");
}
END_TEST

START_TEST(test_token_errors_win)
{
	parse_fail("insert 1 al@ce", ROWFS_TOKEN,
		   "Token error: Unexpected character '@' at position 11");
	parse_fail("insert 1 a@b", ROWFS_TOKEN, "Token error: Unexpected character '@' at position 10");
	parse_fail("  insert 1 a@b", ROWFS_TOKEN,
		   "Token error: Unexpected character '@' at position 12");
	parse_fail("foo @", ROWFS_TOKEN, "Token error: Unexpected character '@' at position 4");
	parse_fail("select @", ROWFS_TOKEN, "Token error: Unexpected character '@' at position 7");
	parse_fail("insert 1 a b @", ROWFS_TOKEN,
		   "Token error: Unexpected character '@' at position 13");
	parse_fail("insert x a#", ROWFS_TOKEN, "Token error: Unexpected character '#' at position 10");
	parse_fail("insert 1 'bob'", ROWFS_TOKEN,
		   "Token error: Unexpected character ''' at position 9");
	parse_fail("insert 1 bob\x01", ROWFS_TOKEN,
		   "Token error: Unexpected character '\\x01' at position 12");
}
END_TEST

START_TEST(test_nul_and_length)
{
	char *line;
	size_t n;

	parse_fail_len("insert 1 a\0b", 12, ROWFS_SYNTAX, "Parse error: NUL byte");
	parse_fail_len("\0", 1, ROWFS_SYNTAX, "Parse error: NUL byte");
	parse_fail_len("@\0", 2, ROWFS_SYNTAX, "Parse error: NUL byte");
	parse_fail_len("\0\r", 2, ROWFS_SYNTAX, "Parse error: NUL byte");

	line = malloc(MAX_LINE_SIZE + 16);
	ck_assert_ptr_nonnull(line);

	/* Exactly MAX_LINE_SIZE bytes: accepted (the name is long). */
	memset(line, 'a', MAX_LINE_SIZE + 16);
	memcpy(line, "insert 1 ", 9);
	{
		struct statement st;
		struct rowfs_err err;
		char *buf;

		ck_assert_int_eq(run_len(line, MAX_LINE_SIZE, &st, &err, &buf), ROWFS_OK);
		free(buf);
		ck_assert_int_eq(st.type, STMT_INSERT);
		ck_assert_uint_eq(st.name_len, MAX_LINE_SIZE - 9);

		/* Plus a final '\r': still accepted. */
		line[MAX_LINE_SIZE] = '\r';
		ck_assert_int_eq(run_len(line, MAX_LINE_SIZE + 1, &st, &err, &buf), ROWFS_OK);
		free(buf);
		ck_assert_uint_eq(st.name_len, MAX_LINE_SIZE - 9);
	}
	/* One byte more: too long. */
	line[MAX_LINE_SIZE] = 'a';
	parse_fail_len(line, MAX_LINE_SIZE + 1, ROWFS_SYNTAX, "Parse error: line too long");
	/* Blanks count too. */
	memset(line, ' ', MAX_LINE_SIZE + 1);
	parse_fail_len(line, MAX_LINE_SIZE + 1, ROWFS_SYNTAX, "Parse error: line too long");
	/* Too long wins over NUL and bad bytes. */
	line[5] = '\0';
	line[6] = '@';
	parse_fail_len(line, MAX_LINE_SIZE + 1, ROWFS_SYNTAX, "Parse error: line too long");
	free(line);

	/* Far longer lines are refused without being scanned. */
	n = 4u * MAX_LINE_SIZE;
	line = malloc(n);
	ck_assert_ptr_nonnull(line);
	memset(line, 'x', n);
	parse_fail_len(line, n, ROWFS_SYNTAX, "Parse error: line too long");
	free(line);
}
END_TEST

START_TEST(test_utf8_names)
{
	parse_insert("insert 1 \xc3\xa9", 1, "\xc3\xa9");
	parse_insert("insert 2 \xe2\x82\xac\xe2\x82\xac", 2, "\xe2\x82\xac\xe2\x82\xac");
	parse_insert("insert 3 \xf0\x9f\x98\x80", 3, "\xf0\x9f\x98\x80");
	parse_insert("insert 4 j\xc3\xb6rg", 4, "j\xc3\xb6rg");
	parse_fail("insert 1 a\xc3", ROWFS_TOKEN,
		   "Token error: Unexpected character '\\xC3' at position 10");
	parse_fail("insert 1 \xed\xa0\x80", ROWFS_TOKEN,
		   "Token error: Unexpected character '\\xED' at position 9");
	parse_fail("insert 1 \xc0\xaf", ROWFS_TOKEN,
		   "Token error: Unexpected character '\\xC0' at position 9");
	parse_fail("insert 1 \xf4\x90\x80\x80", ROWFS_TOKEN,
		   "Token error: Unexpected character '\\xF4' at position 9");
}
END_TEST

START_TEST(test_delete)
{
	parse_change("delete 1", 1, NULL);
	parse_change("DELETE 1", 1, NULL);
	parse_change("Delete 2", 2, NULL);
	parse_change("  delete\t007  ", 7, NULL);
	parse_change("delete 0", 0, NULL);
	parse_change("delete 4294967295", 4294967295u, NULL);
	parse_change("delete 1\r", 1, NULL);
	parse_fail("delete", ROWFS_SYNTAX, "Parse error: Expected INTEGER, got EOF at position 6");
	parse_fail("delete  \t", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got EOF at position 9");
	parse_fail("delete\r", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got EOF at position 6");
	parse_fail("delete 1 x", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got STRING at position 9");
	parse_fail("delete 1 2", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got INTEGER at position 9");
	parse_fail("delete 1 alice", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got STRING at position 9");
	parse_fail("delete -1", ROWFS_RANGE, "Parse error: Row id must be non-negative");
	parse_fail("delete -0", ROWFS_RANGE, "Parse error: Row id must be non-negative");
	parse_fail("delete 4294967296", ROWFS_RANGE, "Parse error: Row id out of range");
	parse_fail("delete x", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got STRING at position 7");
	parse_fail("delete 0x10", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got STRING at position 7");
	parse_fail("delete +5", ROWFS_TOKEN, "Token error: Unexpected character '+' at position 7");
	parse_fail("delete 1 a@b", ROWFS_TOKEN,
		   "Token error: Unexpected character '@' at position 10");
	parse_fail("deletex 1", ROWFS_SYNTAX,
		   "Parse error: Expected INSERT, SELECT, or meta-command");
	parse_fail("del 1", ROWFS_SYNTAX, "Parse error: Expected INSERT, SELECT, or meta-command");
	/* the keywords are names after insert */
	parse_insert("insert 1 delete", 1, "delete");
	parse_insert("insert 1 update", 1, "update");
}
END_TEST

START_TEST(test_update)
{
	char line[64];

	parse_change("update 1 bob", 1, "bob");
	parse_change("UPDATE 2 Bob", 2, "Bob");
	parse_change("\tupdate\t03\tx\t", 3, "x");
	parse_change("update 4294967295 max", 4294967295u, "max");
	parse_change("update 1 123", 1, "123");
	parse_change("update 1 h\xc3\xa9", 1, "h\xc3\xa9");
	parse_change("update 1 delete", 1, "delete");
	parse_change("update 1 a\r", 1, "a");
	parse_fail("update", ROWFS_SYNTAX, "Parse error: Expected INTEGER, got EOF at position 6");
	parse_fail("update 1", ROWFS_SYNTAX, "Parse error: Expected STRING, got EOF at position 8");
	parse_fail("update 1  ", ROWFS_SYNTAX,
		   "Parse error: Expected STRING, got EOF at position 10");
	parse_fail("update x y", ROWFS_SYNTAX,
		   "Parse error: Expected INTEGER, got STRING at position 7");
	parse_fail("update 1 a b", ROWFS_SYNTAX,
		   "Parse error: Expected end of line, got STRING at position 11");
	parse_fail("update -1 a", ROWFS_RANGE, "Parse error: Row id must be non-negative");
	parse_fail("update 4294967296 a", ROWFS_RANGE, "Parse error: Row id out of range");
	parse_fail("update 1 a@b", ROWFS_TOKEN,
		   "Token error: Unexpected character '@' at position 10");
	/* the parser takes a name of any length: the compiler checks it */
	strcpy(line, "update 1 ");
	memset(line + 9, 'n', 33);
	line[9 + 33] = '\0';
	parse_change(line, 1, line + 9);
}
END_TEST

/* xorshift64: a deterministic generator for the random run. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

START_TEST(test_random_lines)
{
	static const char pieces[][12] = {
		"insert", "select", "INSERT", ".exit", ".btree", " ", "\t", "\r", "1", "-1",
		"4294967296", "0", "a", "@", "\xc3", "\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
		"\xed\xa0", "\xff", "-", ".", "x", "00", "delete", "UPDATE",
	};
	const size_t npieces = sizeof(pieces) / sizeof(pieces[0]);
	uint64_t state = 0x9E3779B97F4A7C15ull;
	char line[64];
	unsigned iter;

	for (iter = 0; iter < 200000; iter++) {
		struct statement st;
		struct rowfs_err err;
		size_t len = 0, parts = next_random(&state) % 8, i;
		char *buf;
		int rc;

		for (i = 0; i < parts; i++) {
			const char *p = pieces[next_random(&state) % npieces];
			size_t n = strlen(p);

			if (len + n > sizeof(line))
				break;
			memcpy(line + len, p, n);
			len += n;
		}
		if (len > 0 && next_random(&state) % 16 == 0)
			line[next_random(&state) % len] = (char)(next_random(&state) & 0xFF);
		buf = tu_memdup(line, len);
		memset(&err, 0, sizeof(err));
		rc = parse_line(buf, len, &st, &err);
		if (rc == ROWFS_OK) {
			if ((st.type == STMT_INSERT || st.type == STMT_UPDATE) &&
			    (st.name_len == 0 || st.name < buf || st.name + st.name_len > buf + len))
				ck_abort_msg("bad name for '%.*s'", (int)len, line);
		} else if ((rc != ROWFS_TOKEN && rc != ROWFS_SYNTAX && rc != ROWFS_RANGE) ||
			   err.rc != rc || err.msg[0] == '\0') {
			ck_abort_msg("'%.*s': rc %d msg '%s'", (int)len, line, rc, err.msg);
		}
		free(buf);
	}
}
END_TEST

/* 1 if text (a C string) reads as an unfinished SQL statement. */
static int wants_more(const char *text)
{
	char *buf = tu_memdup(text, strlen(text));   /* exact bounds for ASan */
	int r = parse_wants_more(buf, strlen(text));

	free(buf);
	return r;
}

START_TEST(test_wants_more)
{
	static const char *const more[] = {
		"create table t (", "create table t (id integer primary key,",
		"create table t (id integer primary key, a text(5)", "create table t (a",
		"drop table if", "insert into t", "insert into t values",
		"insert into t values (1,", "insert into t values (1), ", "insert into t (a, b)",
		"select *", "select * from", "select count(*) from t where",
		"select a, b from t where a = 1 and", "select * from t where a between 1",
		"select * from t order by", "select * from t limit 5 offset",
		"update t set", "update t set a = 1,", "update t set a = 1 where a >",
		"delete from", "delete from t where a is not", "select * from t where",
		"create table t ( -- a comment, then the end", "select *\r",
		"select * from t where a =;",
	};
	static const char *const done[] = {
		"", "   ", "select", "insert 1 alice", "insert 1", "insert", "update 1",
		"delete", "create table", "select a", "select a b", ".tables", ".schema",
		".exit", "begin", "commit", "insert into t values (1)",
		"create table t (id integer primary key)", "select * from t",
		"select * from t where a = 1", "select count(*) from t limit 1",
		"select * fromm t", "update t set a = 1",
		"delete from t", "drop table t", "insert into t values ('abc",
		"insert into t values (1 1", "select * from t where a = 1 and 2",
		"insert into t values (1);", "create table t (id integer primary key);",
	};
	size_t i;

	for (i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		ck_assert_msg(wants_more(more[i]), "'%s' should want more", more[i]);
	for (i = 0; i < sizeof(done) / sizeof(done[0]); i++)
		ck_assert_msg(!wants_more(done[i]), "'%s' should be complete", done[i]);
}
END_TEST

static Suite *parser_suite(void)
{
	Suite *s = suite_create("parser");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_insert);
	tcase_add_test(tc, test_select_and_empty);
	tcase_add_test(tc, test_null_empty_line);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_missing_arguments);
	tcase_add_test(tc, test_extra_tokens);
	tcase_add_test(tc, test_meta);
	tcase_add_test(tc, test_unknown_command);
	tcase_add_test(tc, test_token_errors_win);
	tcase_add_test(tc, test_nul_and_length);
	tcase_add_test(tc, test_utf8_names);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_update);
	tcase_add_test(tc, test_random_lines);
	tcase_add_test(tc, test_wants_more);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_parser", parser_suite());
}
