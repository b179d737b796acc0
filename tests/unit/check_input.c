/*
 * check_input.c - rows given as text made statements (engine/input.c,
 * rowfs_input_statement): a table of cases, one or more for every rule
 * of the CSV, JSON and single-value forms, each insert and update shape,
 * the key given by the caller, and every error text with its position;
 * each statement a case expects is also run to show the engine takes it.
 * Then a round trip: 2,000 random rows of every type, written as CSV or
 * JSON by the small writers here, converted, run and read back with
 * rowfs_get, equal to the rows generated (and again after the commit);
 * and 20,000 random and mutated inputs that must give a statement the
 * engine can parse or an error with a message, never a crash.
 */
#include <config.h>

#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowfs.h"
#include "testutil.h"

static const char *const schemas[] = {
	"create table t (id integer primary key, n integer, r real, s text, b blob)",
	"create table one (id integer primary key, v text)",
	"create table ri (id integer primary key, r real default 2.5)",
	"create table vi (n integer, id integer primary key)",
	"create table bl (k integer primary key, b blob)",
	"create table d (id integer primary key, a text default 'x', n integer not null default 7)",
	"create table solo (id integer primary key)",
	"create table rt (id integer primary key, n integer, r real, s text, b blob)",
};

/* A database with the tables above. */
static struct rowfs_db *open_db(void)
{
	struct rowfs_config cfg;
	struct rowfs_db *db;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_db_path;
	cfg.sync = ROWFS_SYNC_OFF;
	db = tu_open(&cfg);
	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		tu_expect_reply(db, schemas[i], "Executed.\n");
	return db;
}

/* ---- the table of cases ---------------------------------------------------- */

struct input_case {
	const char *table;   /* the table (NULL: users) */
	int form;            /* ROWFS_INPUT_* */
	int mode;            /* ROWFS_INPUT_INSERT / REPLACE */
	int has_key;         /* the caller gives the key */
	int64_t key;         /* that key */
	const char *text;    /* the input */
	size_t len;          /* its length; 0: strlen(text) */
	int rc;              /* rowfs_input_statement's code */
	const char *want;    /* the statement, or the error text */
	int exec_rc;         /* ROWFS_OK: the statement runs; else the code it fails with */
};

#define INS ROWFS_INPUT_INSERT
#define REP ROWFS_INPUT_REPLACE
#define CSV ROWFS_INPUT_CSV
#define JSN ROWFS_INPUT_JSON
#define VAL ROWFS_INPUT_VALUE

/* A case without a key given, or with one, and its expected result. */
#define C(tab, form, text, rc, want) { tab, form, INS, 0, 0, text, 0, rc, want, ROWFS_OK }
#define K(tab, form, mode, key, text, rc, want) \
	{ tab, form, mode, 1, key, text, 0, rc, want, ROWFS_OK }
/* Input with NUL bytes: its length given. */
#define L(tab, form, text, len, rc, want) { tab, form, INS, 0, 0, text, len, rc, want, ROWFS_OK }

#define OK ROWFS_OK
#define SYN ROWFS_SYNTAX
#define SCH ROWFS_SCHEMA
#define RNG ROWFS_RANGE

static const struct input_case cases[] = {
	/* CSV: every type, NULL, quoting */
	C("t", CSV, "1,2,2.5,abc,\\x00ff", OK,
	  "insert into t (id, n, r, s, b) values (1, 2, 2.5, 'abc', x'00ff')"),
	C("t", CSV, ",,,,", OK,
	  "insert into t (id, n, r, s, b) values (null, null, null, null, null)"),
	C("t", CSV, "1,-5,3,\"\",", OK,
	  "insert into t (id, n, r, s, b) values (1, -5, 3.0, '', null)"),
	C("t", CSV, "1,+7,-0,x,\\x", OK,
	  "insert into t (id, n, r, s, b) values (1, 7, -0.0, 'x', x'')"),
	C("t", CSV, "1,007,1e3,\"a,b\",", OK,
	  "insert into t (id, n, r, s, b) values (1, 7, 1000.0, 'a,b', null)"),
	C("t", CSV, "1,2,.5,\"say \"\"hi\"\"\",", OK,
	  "insert into t (id, n, r, s, b) values (1, 2, 0.5, 'say \"hi\"', null)"),
	C("t", CSV, "1,2,5.,\"l1\nl2\r\n\",", OK,
	  "insert into t (id, n, r, s, b) values (1, 2, 5.0, E'l1\\nl2\\r\\n', null)"),
	C("t", CSV, "1,2,-1.5E-3,it's,", OK,
	  "insert into t (id, n, r, s, b) values (1, 2, -0.0015, 'it''s', null)"),
	C("t", CSV, "1,2,3,back\\slash,", OK,
	  "insert into t (id, n, r, s, b) values (1, 2, 3.0, E'back\\\\slash', null)"),
	C("t", CSV, "1,2,3,x,\r", OK,
	  "insert into t (id, n, r, s, b) values (1, 2, 3.0, 'x', null)"),
	K("one", CSV, INS, 3, "3,\"x\"\r", OK, "insert into one (id, v) values (3, 'x')"),
	C("t", CSV, "\"1\",\"2\",\"3\",\"x\",\"\\x41\"", OK,
	  "insert into t (id, n, r, s, b) values (1, 2, 3.0, 'x', x'41')"),
	C("t", CSV, "1,9223372036854775807,1,a,\\xAbCd", OK,
	  "insert into t (id, n, r, s, b) values (1, 9223372036854775807, 1.0, 'a', x'abcd')"),
	C("t", CSV, "-9223372036854775808,-9223372036854775808,1e308,caf\xc3\xa9,", OK,
	  "insert into t (id, n, r, s, b) values (-9223372036854775808, -9223372036854775808, "
	  "1e+308, 'caf\xc3\xa9', null)"),
	C("t", CSV, "1,2,3,\" spaced \",", OK,
	  "insert into t (id, n, r, s, b) values (1, 2, 3.0, ' spaced ', null)"),
	/* CSV: values of the wrong type, numbers out of range */
	C("t", CSV, "1,2,3,x,\\X41", SCH, "Error: t.b expects blob, got text"),
	C("t", CSV, "1,2,3,x,\\x0", SCH, "Error: t.b expects blob, got text"),
	C("t", CSV, "1,2,3,x,\"\"", SCH, "Error: t.b expects blob, got text"),
	C("t", CSV, "1,12a,3,x,", SCH, "Error: t.n expects integer, got text"),
	C("t", CSV, "1,1.0,3,x,", SCH, "Error: t.n expects integer, got text"),
	C("t", CSV, "1, 1,3,x,", SCH, "Error: t.n expects integer, got text"),
	C("t", CSV, "1,\"\",3,x,", SCH, "Error: t.n expects integer, got text"),
	C("t", CSV, "1,\"a\"\"b\",3,x,", SCH, "Error: t.n expects integer, got text"),
	C("t", CSV, "1,2,abc,x,", SCH, "Error: t.r expects real, got text"),
	C("t", CSV, "1,2,inf,x,", SCH, "Error: t.r expects real, got text"),
	C("t", CSV, "1,2,nan,x,", SCH, "Error: t.r expects real, got text"),
	C("t", CSV, "1,2,0x10,x,", SCH, "Error: t.r expects real, got text"),
	C("t", CSV, "1,2,1e,x,", SCH, "Error: t.r expects real, got text"),
	C("t", CSV, "x,2,3,x,", SCH, "Error: t.id expects integer, got text"),
	C("t", CSV, "1,2,1e999,x,", RNG, "Parse error: Real out of range at byte 4"),
	C("t", CSV, "1,2,\"-1e999\",x,", RNG, "Parse error: Real out of range at byte 5"),
	C("t", CSV, "1,9223372036854775808,3,x,", RNG, "Parse error: Integer out of range at byte 2"),
	C("t", CSV, "1,-9223372036854775809,3,x,", RNG,
	  "Parse error: Integer out of range at byte 2"),
	/* CSV: field count */
	C("t", CSV, "1,2,3", SCH, "Error: t has 5 columns but 3 values were supplied"),
	C("t", CSV, "1,2,3,4,5,6", SCH, "Error: t has 5 columns but 6 values were supplied"),
	C("t", CSV, "", SCH, "Error: t has 5 columns but 1 values were supplied"),
	C("t", CSV, "\"a,b,c,d,e\"", SCH, "Error: t has 5 columns but 1 values were supplied"),
	C("solo", CSV, "", OK, "insert into solo (id) values (null)"),
	/* CSV: syntax (before the count and the types) */
	C("t", CSV, "1,\"abc", SYN, "Parse error: Unterminated quoted field at byte 2"),
	C("t", CSV, "x,\"a\"\"", SYN, "Parse error: Unterminated quoted field at byte 2"),
	C("t", CSV, "1,\"a\"b,3,4,5", SYN, "Parse error: Expected ',' after a quoted field at byte 5"),
	C("t", CSV, "1,\"a\" ,3", SYN, "Parse error: Expected ',' after a quoted field at byte 5"),
	C("t", CSV, "1,a\"b,3,4,5", SYN, "Parse error: Quote in an unquoted field at byte 3"),
	C("t", CSV, "1,a\nb,3,4,5", SYN, "Parse error: Line break in an unquoted field at byte 3"),
	C("t", CSV, "1,a\rb,3,4,5", SYN, "Parse error: Line break in an unquoted field at byte 3"),
	C("t", CSV, "1,2,3,x,\r\r", SYN, "Parse error: Line break in an unquoted field at byte 8"),
	L("t", CSV, "1,a\0b,,,", 9, SYN, "Parse error: NUL byte at byte 3"),
	C("t", CSV, "1,2,3,a\xff,", SYN, "Parse error: Invalid UTF-8 at byte 7"),
	C("t", CSV, "1,2,3,\"\xed\xa0\x80\",", SYN, "Parse error: Invalid UTF-8 at byte 7"),
	/* CSV with the key given */
	K("t", CSV, INS, 5, "5,1,1,a,", OK,
	  "insert into t (id, n, r, s, b) values (5, 1, 1.0, 'a', null)"),
	K("t", CSV, INS, -5, ",1,1,a,", OK,
	  "insert into t (id, n, r, s, b) values (-5, 1, 1.0, 'a', null)"),
	K("t", CSV, INS, 5, "6,1,1,a,", SCH, "Error: t.id is 5 in the file name but 6 in the row"),
	K("t", CSV, INS, 5, "x,1,1,a,", SCH, "Error: t.id expects integer, got text"),
	K("t", CSV, REP, 5, "5,1,2,a,\\x00", OK,
	  "update t set n = 1, r = 2.0, s = 'a', b = x'00' where id = 5"),
	K("t", CSV, REP, -9, ",,,,", OK,
	  "update t set n = null, r = null, s = null, b = null where id = -9"),
	K("t", CSV, REP, 5, "4,,,,", SCH, "Error: t.id is 5 in the file name but 4 in the row"),

	/* JSON: every type */
	C("t", JSN, "{\"id\": 1, \"n\": 2, \"r\": 2.5, \"s\": \"abc\", \"b\": \"\\\\x00ff\"}", OK,
	  "insert into t (id, n, r, s, b) values (1, 2, 2.5, 'abc', x'00ff')"),
	C("t", JSN, "{\"b\":\"\\\\x00FF\",\"s\":null,\"id\":3}", OK,
	  "insert into t (id, s, b) values (3, null, x'00ff')"),
	C("t", JSN, "{}", OK, "insert into t (id) values (null)"),
	C("t", JSN, " \t{ }\r\n", OK, "insert into t (id) values (null)"),
	C("t", JSN, "  { \"S\" : \"x\" }  \r\n", OK, "insert into t (s) values ('x')"),
	/* booleans: no column holds one (never a silent 1 or 0), the syntax judged first */
	C("t", JSN, "{\"n\":true}", SCH, "Error: t.n expects integer, got boolean"),
	C("t", JSN, "{\"r\":false}", SCH, "Error: t.r expects real, got boolean"),
	C("t", JSN, "{\"s\":true}", SCH, "Error: t.s expects text, got boolean"),
	C("t", JSN, "{\"b\":false}", SCH, "Error: t.b expects blob, got boolean"),
	C("t", JSN, "{\"n\":true,\"zz\":1}", SCH, "Error: t.n expects integer, got boolean"),
	C("t", JSN, "{\"n\":true,", SYN, "Parse error: Expected a string key at byte 10"),
	C("t", JSN, "{\"zz\":true}", SCH, "Error: no such column: t.zz"),
	C("t", JSN, "{\"r\":1}", OK, "insert into t (r) values (1)"),
	C("t", JSN, "{\"r\":-0.0}", OK, "insert into t (r) values (-0.0)"),
	C("t", JSN, "{\"r\":1E+2}", OK, "insert into t (r) values (100.0)"),
	C("t", JSN, "{\"r\":0.1e-1}", OK, "insert into t (r) values (0.01)"),
	C("t", JSN, "{\"r\":9223372036854775808}", OK,
	  "insert into t (r) values (9.223372036854776e+18)"),
	C("t", JSN, "{\"n\":-9223372036854775808}", OK,
	  "insert into t (n) values (-9223372036854775808)"),
	C("t", JSN, "{\"n\":-0}", OK, "insert into t (n) values (0)"),
	C("t", JSN, "{\"s\":\"a\\\"b\\/c\"}", OK, "insert into t (s) values ('a\"b/c')"),
	C("t", JSN, "{\"s\":\"x\\ty\\\\\"}", OK, "insert into t (s) values (E'x\\ty\\\\')"),
	C("t", JSN, "{\"s\":\"\\u00e9\\ud83d\\ude00\\u20AC\"}", OK,
	  "insert into t (s) values ('\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac')"),
	C("t", JSN, "{\"s\":\"\xc3\xa9 raw\"}", OK, "insert into t (s) values ('\xc3\xa9 raw')"),
	C("t", JSN, "{\"\\u0073\":\"k\"}", OK, "insert into t (s) values ('k')"),
	C("t", JSN, "{\"s\":\"\"}", OK, "insert into t (s) values ('')"),
	C("t", JSN, "{\"b\":\"\\\\x\"}", OK, "insert into t (b) values (x'')"),
	/* JSON: typed values go to the statement, which judges them */
	{ "t", JSN, INS, 0, 0, "{\"b\":1}", 0, OK, "insert into t (b) values (1)", SCH },
	{ "t", JSN, INS, 0, 0, "{\"n\":2.5}", 0, OK, "insert into t (n) values (2.5)", SCH },
	/* JSON: strings for other types */
	C("t", JSN, "{\"n\":\"5\"}", SCH, "Error: t.n expects integer, got text"),
	C("t", JSN, "{\"r\":\"2.5\"}", SCH, "Error: t.r expects real, got text"),
	C("t", JSN, "{\"b\":\"00ff\"}", SCH, "Error: t.b expects blob, got text"),
	C("t", JSN, "{\"b\":\"\\\\x0g\"}", SCH, "Error: t.b expects blob, got text"),
	/* JSON: strings */
	C("t", JSN, "{\"s\":\"\\u0000\"}", SYN, "Parse error: NUL character \\u0000 at byte 6"),
	C("t", JSN, "{\"s\":\"\\ud800\"}", SYN, "Parse error: Unpaired surrogate at byte 6"),
	C("t", JSN, "{\"s\":\"\\udc00\"}", SYN, "Parse error: Unpaired surrogate at byte 6"),
	C("t", JSN, "{\"s\":\"a\\ud800\\u0041\"}", SYN, "Parse error: Unpaired surrogate at byte 7"),
	C("t", JSN, "{\"s\":\"\\ud800\\", SYN, "Parse error: Unpaired surrogate at byte 6"),
	C("t", JSN, "{\"s\":\"\\x41\"}", SYN, "Parse error: Bad escape at byte 6"),
	C("t", JSN, "{\"s\":\"\\u12g4\"}", SYN, "Parse error: Bad escape at byte 6"),
	C("t", JSN, "{\"s\":\"\\u12\"}", SYN, "Parse error: Bad escape at byte 6"),
	C("t", JSN, "{\"s\":\"\\", SYN, "Parse error: Bad escape at byte 6"),
	C("t", JSN, "{\"s\":\"a", SYN, "Parse error: Unterminated string at byte 5"),
	C("t", JSN, "{\"s", SYN, "Parse error: Unterminated string at byte 1"),
	C("t", JSN, "{\"s\":\"a\tb\"}", SYN, "Parse error: Control character in a string at byte 7"),
	C("t", JSN, "{\"s\":\"a\nb\"}", SYN, "Parse error: Control character in a string at byte 7"),
	C("t", JSN, "{\"s\":\"\xff\"}", SYN, "Parse error: Invalid UTF-8 at byte 6"),
	C("t", JSN, "{\"s\":\"\xc3\"}", SYN, "Parse error: Invalid UTF-8 at byte 6"),
	L("t", JSN, "{\"s\":\"a\0\"}", 10, SYN, "Parse error: Control character in a string at byte 7"),
	/* JSON: values and numbers */
	C("t", JSN, "{\"s\":[1]}", SYN, "Parse error: Nested array or object at byte 5"),
	C("t", JSN, "{\"s\":{}}", SYN, "Parse error: Nested array or object at byte 5"),
	C("t", JSN, "{\"s\":tru}", SYN, "Parse error: Expected a value at byte 5"),
	C("t", JSN, "{\"s\":True}", SYN, "Parse error: Expected a value at byte 5"),
	C("t", JSN, "{\"s\":nul", SYN, "Parse error: Expected a value at byte 5"),
	C("t", JSN, "{\"s\":'a'}", SYN, "Parse error: Expected a value at byte 5"),
	C("t", JSN, "{\"s\":", SYN, "Parse error: Expected a value at byte 5"),
	C("t", JSN, "{\"s\":truex}", SYN, "Parse error: Expected ',' or '}' at byte 9"),
	C("t", JSN, "{\"n\":01}", SYN, "Parse error: Invalid number at byte 5"),
	C("t", JSN, "{\"n\":1.}", SYN, "Parse error: Invalid number at byte 5"),
	C("t", JSN, "{\"n\":-}", SYN, "Parse error: Invalid number at byte 5"),
	C("t", JSN, "{\"n\":1e}", SYN, "Parse error: Invalid number at byte 5"),
	C("t", JSN, "{\"n\":1e+}", SYN, "Parse error: Invalid number at byte 5"),
	C("t", JSN, "{\"n\":1-2}", SYN, "Parse error: Invalid number at byte 5"),
	C("t", JSN, "{\"n\":--1}", SYN, "Parse error: Invalid number at byte 5"),
	C("t", JSN, "{\"n\":+1}", SYN, "Parse error: Expected a value at byte 5"),
	C("t", JSN, "{\"n\":.5}", SYN, "Parse error: Expected a value at byte 5"),
	C("t", JSN, "{\"n\":0x10}", SYN, "Parse error: Expected ',' or '}' at byte 6"),
	C("t", JSN, "{\"r\":1e999}", RNG, "Parse error: Real out of range at byte 5"),
	C("t", JSN, "{\"r\":-1e999}", RNG, "Parse error: Real out of range at byte 5"),
	/* JSON: structure */
	C("t", JSN, "{\"s\":\"a\" \"n\":1}", SYN, "Parse error: Expected ',' or '}' at byte 9"),
	C("t", JSN, "{\"s\" \"a\"}", SYN, "Parse error: Expected ':' at byte 5"),
	C("t", JSN, "{\"s\":\"a\",}", SYN, "Parse error: Expected a string key at byte 9"),
	C("t", JSN, "{s:1}", SYN, "Parse error: Expected a string key at byte 1"),
	C("t", JSN, "{", SYN, "Parse error: Expected a string key at byte 1"),
	C("t", JSN, "{\"s\":\"a\"", SYN, "Parse error: Expected ',' or '}' at byte 8"),
	C("t", JSN, "[]", SYN, "Parse error: Expected '{' at byte 0"),
	C("t", JSN, "", SYN, "Parse error: Expected '{' at byte 0"),
	C("t", JSN, "  ", SYN, "Parse error: Expected '{' at byte 2"),
	C("t", JSN, "\"s\"", SYN, "Parse error: Expected '{' at byte 0"),
	C("t", JSN, "{\"s\":\"a\"} x", SYN, "Parse error: Unexpected bytes after the object at byte 10"),
	C("t", JSN, "{\"s\":\"a\"}{}", SYN, "Parse error: Unexpected bytes after the object at byte 9"),
	L("t", JSN, "{}\0", 3, SYN, "Parse error: Unexpected bytes after the object at byte 2"),
	C("t", JSN, "{\"s\":\"a\",\"S\":\"b\"}", SYN, "Parse error: Duplicate column 's' at byte 9"),
	/* JSON: columns */
	C("t", JSN, "{\"zz\":1,\"s\":\"a\"}", SCH, "Error: no such column: t.zz"),
	C("t", JSN, "{\"zz\":[1],\"s\":\"a\"}", SYN, "Parse error: Nested array or object at byte 6"),
	C("t", JSN, "{\"zz\":1,\"s\":\"a", SYN, "Parse error: Unterminated string at byte 12"),
	C("t", JSN, "{\"zz\":1,\"yy\":2}", SCH, "Error: no such column: t.zz"),
	C("t", JSN, "{\"s \":1}", SCH, "Error: no such column: t.s "),
	/* JSON with the key given */
	K("t", JSN, INS, 7, "{\"s\":\"a\"}", OK, "insert into t (id, s) values (7, 'a')"),
	K("t", JSN, INS, 7, "{\"id\":7,\"s\":\"a\"}", OK, "insert into t (id, s) values (7, 'a')"),
	K("t", JSN, INS, 7, "{\"ID\":null}", OK, "insert into t (id) values (7)"),
	K("t", JSN, INS, 7, "{}", OK, "insert into t (id) values (7)"),
	K("t", JSN, INS, 7, "{\"id\":8}", SCH, "Error: t.id is 7 in the file name but 8 in the row"),
	K("t", JSN, INS, 7, "{\"id\":7.0}", SCH, "Error: t.id expects integer, got real"),
	K("t", JSN, INS, 7, "{\"id\":\"7\"}", SCH, "Error: t.id expects integer, got text"),
	K("t", JSN, REP, 7, "{\"s\":\"z\"}", OK,
	  "update t set n = null, r = null, s = 'z', b = null where id = 7"),
	K("t", JSN, REP, 7, "{\"id\":7,\"b\":\"\\\\x01\",\"r\":1}", OK,
	  "update t set n = null, r = 1, s = null, b = x'01' where id = 7"),
	K("d", JSN, REP, 7, "{\"a\":\"q\"}", OK, "update d set a = 'q', n = 7 where id = 7"),
	K("d", JSN, REP, -7, "{}", OK, "update d set a = 'x', n = 7 where id = -7"),
	K("d", JSN, INS, 7, "{}", OK, "insert into d (id) values (7)"),
	K("solo", JSN, REP, 3, "{}", OK, "update solo set id = 3 where id = 3"),
	K("solo", CSV, REP, 3, "3", OK, "update solo set id = 3 where id = 3"),
	K(NULL, JSN, INS, 5, "{\"username\":\"bob\"}", OK,
	  "insert into users (id, username) values (5, 'bob')"),
	K(NULL, JSN, REP, 5, "{\"username\":\"bob\"}", OK,
	  "update users set username = 'bob' where id = 5"),
	K(NULL, JSN, INS, 5, "{\"id\":6}", SCH,
	  "Error: users.id is 5 in the file name but 6 in the row"),
	K(NULL, JSN, INS, 5, "{\"id\":-1}", RNG, "Parse error: Row id must be non-negative"),

	/* VALUE */
	K("one", VAL, INS, 3, "hello", OK, "insert into one (id, v) values (3, 'hello')"),
	K("one", VAL, INS, 3, "", OK, "insert into one (id, v) values (3, '')"),
	K("one", VAL, INS, 3, "a,\"b\"\r\n", OK, "insert into one (id, v) values (3, E'a,\"b\"\\r\\n')"),
	K("one", VAL, INS, 3, "\\x00", OK, "insert into one (id, v) values (3, E'\\\\x00')"),
	K("one", VAL, REP, 3, "x", OK, "update one set v = 'x' where id = 3"),
	C("one", VAL, "hi", OK, "insert into one (v) values ('hi')"),
	K("ri", VAL, INS, 3, "2.5", OK, "insert into ri (id, r) values (3, 2.5)"),
	K("ri", VAL, INS, 3, "7", OK, "insert into ri (id, r) values (3, 7.0)"),
	K("ri", VAL, INS, 3, "-1e-5", OK, "insert into ri (id, r) values (3, -1e-05)"),
	K("ri", VAL, INS, 3, "abc", SCH, "Error: ri.r expects real, got text"),
	K("ri", VAL, INS, 3, "", OK, "insert into ri (id, r) values (3, null)"),
	K("ri", VAL, INS, 3, "1e400", RNG, "Parse error: Real out of range at byte 0"),
	K("vi", VAL, INS, 3, "42", OK, "insert into vi (n, id) values (42, 3)"),
	K("vi", VAL, INS, 3, "-0", OK, "insert into vi (n, id) values (0, 3)"),
	K("vi", VAL, REP, 3, "-12", OK, "update vi set n = -12 where id = 3"),
	K("vi", VAL, INS, 3, "99999999999999999999", RNG, "Parse error: Integer out of range at byte 0"),
	K("vi", VAL, INS, 3, "", OK, "insert into vi (n, id) values (null, 3)"),
	K("vi", VAL, INS, 3, "42\n", SCH, "Error: vi.n expects integer, got text"),
	K("bl", VAL, INS, 3, "\\x00ff", OK, "insert into bl (k, b) values (3, x'00ff')"),
	K("bl", VAL, INS, 3, "\\x", OK, "insert into bl (k, b) values (3, x'')"),
	K("bl", VAL, INS, 3, "abc", SCH, "Error: bl.b expects blob, got text"),
	K("bl", VAL, REP, 3, "", OK, "update bl set b = null where k = 3"),
	K("t", VAL, INS, 3, "abc", SCH, "Error: t has 5 columns: a row file holds a JSON object"),
	K("solo", VAL, INS, 3, "abc", SCH, "Error: solo has 1 columns: a row file holds a JSON object"),
	K(NULL, VAL, INS, 4, "carol", OK, "insert into users (id, username) values (4, 'carol')"),
	{ "one", VAL, INS, 1, 3, "a\0b", 3, SYN, "Parse error: NUL byte at byte 1", OK },
	K("one", VAL, INS, 3, "\xc3(", SYN, "Parse error: Invalid UTF-8 at byte 0"),
	K("one", VAL, INS, 3, "ab\xf4\x90\x80\x80", SYN, "Parse error: Invalid UTF-8 at byte 2"),

	/* usage */
	{ "t", CSV, REP, 0, 0, "1,2,3,4,5", 0, ROWFS_ERROR, "Error: a replace needs the key", OK },
	{ "t", 9, INS, 0, 0, "1", 0, ROWFS_ERROR, "Error: unknown input form 9", OK },
	{ "t", CSV, 9, 0, 0, "1", 0, ROWFS_ERROR, "Error: unknown input mode 9", OK },
	C("nope", CSV, "1", ROWFS_NOTFOUND, "Error: no such table: nope"),
};

/* Run one case: its statement or its error, and the statement run in a unit rolled back. */
static void run_case(struct rowfs_db *db, const struct input_case *c, size_t index)
{
	size_t len = c->len ? c->len : strlen(c->text), out_len = 12345;
	char *copy = tu_memdup(c->text, len), *out = (char *)"unset";
	struct tu_buf reply = {0};
	struct rowfs_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	rc = rowfs_input_statement(tu_txn(db), c->table, c->form, c->mode, c->has_key, c->key, copy,
				   len, &out, &out_len, &err);
	free(copy);
	if (c->rc != ROWFS_OK) {
		ck_assert_msg(rc == c->rc && strcmp(err.msg, c->want) == 0,
			      "case %zu '%s': %s '%s', want %s '%s'", index, c->text, rowfs_rc_name(rc),
			      err.msg, rowfs_rc_name(c->rc), c->want);
		ck_assert_msg(out == NULL && out_len == 0, "case %zu: output on failure", index);
		ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
		return;
	}
	ck_assert_msg(rc == ROWFS_OK, "case %zu '%s': %s '%s', want '%s'", index, c->text,
		      rowfs_rc_name(rc), err.msg, c->want);
	ck_assert_msg(out_len == strlen(c->want) && strcmp(out, c->want) == 0,
		      "case %zu '%s':\n got '%s'\nwant '%s'", index, c->text, out, c->want);
	rc = tu_exec_len(db, out, out_len, &reply, &err);
	ck_assert_msg(rc == c->exec_rc, "case %zu: '%s' ran with %s '%s'", index, out,
		      rowfs_rc_name(rc), err.msg);
	free(out);
	tu_buf_free(&reply);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
}

START_TEST(test_cases)
{
	struct rowfs_db *db = open_db();
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(db, &cases[i], i);
	tu_close(db);
}
END_TEST

/* A read transaction sees the committed tables; an error in a read leaves it usable. */
START_TEST(test_read_transaction)
{
	struct rowfs_db *db = open_db();
	struct rowfs_txn *reader;
	struct rowfs_err err;
	char *out;
	size_t out_len;

	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_input_statement(reader, "ONE", ROWFS_INPUT_VALUE, INS, 1, 2, "v", 1,
					       &out, &out_len, &err), ROWFS_OK);
	ck_assert_str_eq(out, "insert into one (id, v) values (2, 'v')");
	free(out);
	ck_assert_int_eq(rowfs_input_statement(reader, "one", ROWFS_INPUT_JSON, INS, 0, 0, "{", 1,
					       &out, &out_len, &err), ROWFS_SYNTAX);
	ck_assert_int_eq(rowfs_input_statement(reader, NULL, ROWFS_INPUT_CSV, INS, 0, 0, "1,ann", 5,
					       &out, &out_len, &err), ROWFS_OK);
	ck_assert_str_eq(out, "insert into users (id, username) values (1, 'ann')");
	free(out);
	rowfs_txn_abort(reader);
	tu_close(db);
}
END_TEST

/*
 * rowfs_schema_parse + rowfs_schema_input_statement (a mount's client):
 * for every case of a table that exists, the table's `.schema` text gives
 * the statement or the error rowfs_input_statement gives.
 */
START_TEST(test_schema_statement)
{
	struct rowfs_db *db = open_db();
	struct rowfs_table_info info;
	struct rowfs_schema *schema;
	struct rowfs_err err, err2;
	size_t i, checked = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct input_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->text), out_len, out2_len;
		char line[128], *out = NULL, *out2 = NULL;
		struct tu_buf sql = {0};
		int rc, rc2;

		if (c->rc == ROWFS_NOTFOUND)
			continue;
		snprintf(line, sizeof(line), ".schema %s", c->table ? c->table : "users");
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		ck_assert_int_eq(tu_exec(db, line, &sql, &err), ROWFS_OK);
		rc = rowfs_input_statement(tu_txn(db), c->table, c->form, c->mode, c->has_key,
					   c->key, c->text, len, &out, &out_len, &err);
		ck_assert_int_eq(tu_rollback(db, &err2), ROWFS_OK);
		ck_assert_int_eq(rowfs_schema_parse(sql.data, sql.len - 1, &schema, &info, &err2),
				 ROWFS_OK);
		rc2 = rowfs_schema_input_statement(schema, c->form, c->mode, c->has_key, c->key,
						   c->text, len, &out2, &out2_len, &err2);
		ck_assert_msg(rc == rc2, "case %zu: %d vs %d (%s)", i, rc, rc2, err2.msg);
		if (rc == ROWFS_OK)
			ck_assert_msg(out_len == out2_len && strcmp(out, out2) == 0,
				      "case %zu: '%s' vs '%s'", i, out, out2);
		else
			ck_assert_str_eq(err.msg, err2.msg);
		free(out);
		free(out2);
		rowfs_schema_free(schema);
		tu_buf_free(&sql);
		checked++;
	}
	ck_assert_uint_gt(checked, 40);

	/* info, and what does not parse */
	ck_assert_int_eq(rowfs_schema_parse(schemas[3], strlen(schemas[3]), &schema, &info, &err),
			 ROWFS_OK);
	ck_assert_str_eq(info.name, "vi");
	ck_assert_uint_eq(info.column_count, 2);
	ck_assert_uint_eq(info.key_column, 1);
	ck_assert_str_eq(info.columns[0].name, "n");
	rowfs_schema_free(schema);
	ck_assert_int_eq(rowfs_schema_parse("select * from t", 15, &schema, NULL, &err),
			 ROWFS_ERROR);
	ck_assert_str_eq(err.msg, "not a create table statement");
	ck_assert_ptr_null(schema);
	ck_assert_int_eq(rowfs_schema_parse("create table x (a text)", 23, &schema, NULL, &err),
			 ROWFS_SCHEMA);
	ck_assert_ptr_null(schema);
	rowfs_schema_free(NULL);
	tu_close(db);
}
END_TEST

/* ---- the round trip ----------------------------------------------------------- */

/* One generated row of rt: id, n, r, s, b (type NULL where NULL). */
struct gen_row {
	int64_t id;
	struct rowfs_value v[5];        /* [0] the key (integer) */
	unsigned char bytes[2][64];     /* the text's and the blob's bytes */
};

static void random_text(uint64_t *rng, unsigned char *dst, size_t *len)
{
	static const char ascii[] = "abcXYZ019 ,\"'\\\t\n\r{}[]:-+.e\x01\x1f\x7f";
	size_t n = tu_next_random(rng) % 16, k = 0, i;

	for (i = 0; i < n; i++) {
		unsigned pick = (unsigned)(tu_next_random(rng) % 8);

		if (pick < 5) {
			dst[k++] = (unsigned char)ascii[tu_next_random(rng) % (sizeof(ascii) - 1)];
		} else if (pick == 5) {   /* U+00E9 */
			dst[k++] = 0xc3;
			dst[k++] = 0xa9;
		} else if (pick == 6) {   /* U+20AC */
			dst[k++] = 0xe2;
			dst[k++] = 0x82;
			dst[k++] = 0xac;
		} else {                  /* U+1F600 */
			dst[k++] = 0xf0;
			dst[k++] = 0x9f;
			dst[k++] = 0x98;
			dst[k++] = 0x80;
		}
	}
	*len = k;
}

static double random_real(uint64_t *rng)
{
	static const double special[] = { 0.0, -0.0, 0.1, 2.5, 1e300, -1e-300, 5e-324, 1e16, 3.0 };
	uint64_t bits;
	double r;

	if (tu_next_random(rng) % 4 == 0)
		return special[tu_next_random(rng) % (sizeof(special) / sizeof(special[0]))];
	do {
		bits = tu_next_random(rng);
		memcpy(&r, &bits, sizeof(r));
	} while (!isfinite(r));
	return r;
}

static int64_t random_integer(uint64_t *rng)
{
	switch (tu_next_random(rng) % 5) {
	case 0:
		return INT64_MIN;
	case 1:
		return INT64_MAX;
	case 2:
		return (int64_t)(tu_next_random(rng) % 2000) - 1000;
	default:
		return (int64_t)tu_next_random(rng);
	}
}

/* A random row with key id; each non-key column NULL one time in five. */
static void random_row(uint64_t *rng, int64_t id, struct gen_row *row)
{
	static const int types[5] = { ROWFS_TYPE_INTEGER, ROWFS_TYPE_INTEGER, ROWFS_TYPE_REAL,
				      ROWFS_TYPE_TEXT, ROWFS_TYPE_BLOB };
	unsigned col;

	memset(row, 0, sizeof(*row));
	row->id = id;
	row->v[0].type = ROWFS_TYPE_INTEGER;
	row->v[0].i = id;
	for (col = 1; col < 5; col++) {
		struct rowfs_value *v = &row->v[col];

		if (tu_next_random(rng) % 5 == 0)
			continue;
		v->type = types[col];
		if (col == 1) {
			v->i = random_integer(rng);
		} else if (col == 2) {
			v->r = random_real(rng);
		} else if (col == 3) {
			random_text(rng, row->bytes[0], &v->len);
			v->p = row->bytes[0];
		} else {
			size_t k;

			v->len = tu_next_random(rng) % 20;
			for (k = 0; k < v->len; k++)
				row->bytes[1][k] = (unsigned char)tu_next_random(rng);
			v->p = row->bytes[1];
		}
	}
}

static void put(struct tu_buf *b, const char *s, size_t n)
{
	tu_buf_emit(b, s, n);
}

static void puts_(struct tu_buf *b, const char *s)
{
	tu_buf_emit(b, s, strlen(s));
}

static void put_hex(struct tu_buf *b, const unsigned char *p, size_t n, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	size_t k;

	for (k = 0; k < n; k++) {
		char two[2] = { digits[p[k] >> 4], digits[p[k] & 15] };

		put(b, two, 2);
	}
}

static void put_number(struct tu_buf *b, const struct rowfs_value *v, uint64_t *rng, int json)
{
	char buf[40];

	if (v->type == ROWFS_TYPE_INTEGER) {
		snprintf(buf, sizeof(buf), "%s%" PRId64, !json && v->i >= 0 &&
			 tu_next_random(rng) % 4 == 0 ? "+" : "", v->i);
	} else if (tu_next_random(rng) % 2) {
		rowfs_format_real(v->r, buf);
	} else {
		snprintf(buf, sizeof(buf), "%.17g", v->r);
		if (json && !strpbrk(buf, ".eE"))
			strcat(buf, ".0");   /* stays a real: "-0" would be the integer 0 */
	}
	puts_(b, buf);
}

/* The row as one CSV record (the key field empty when skip_key). */
static void write_csv(struct tu_buf *b, const struct gen_row *row, int skip_key, uint64_t *rng)
{
	unsigned col;

	for (col = 0; col < 5; col++) {
		const struct rowfs_value *v = &row->v[col];

		if (col)
			put(b, ",", 1);
		if (v->type == ROWFS_TYPE_NULL || (col == 0 && skip_key))
			continue;
		if (v->type == ROWFS_TYPE_INTEGER || v->type == ROWFS_TYPE_REAL) {
			put_number(b, v, rng, 0);
		} else if (v->type == ROWFS_TYPE_BLOB) {
			put(b, "\\x", 2);
			put_hex(b, v->p, v->len, (int)(tu_next_random(rng) % 2));
		} else {
			const char *p = v->p;
			int quote = v->len == 0 || tu_next_random(rng) % 3 == 0;
			size_t k;

			for (k = 0; k < v->len && !quote; k++)
				quote = p[k] == ',' || p[k] == '"' || p[k] == '\r' || p[k] == '\n';
			if (quote)
				put(b, "\"", 1);
			for (k = 0; k < v->len; k++)
				put(b, p[k] == '"' ? "\"\"" : p + k, p[k] == '"' ? 2 : 1);
			if (quote)
				put(b, "\"", 1);
		}
	}
	if (tu_next_random(rng) % 4 == 0)
		put(b, "\r", 1);
}

/* A JSON string of p[0..n), escaped where it must be and, at random, where it may. */
static void put_json_string(struct tu_buf *b, const unsigned char *p, size_t n, uint64_t *rng)
{
	size_t k = 0;
	char esc[16];

	put(b, "\"", 1);
	while (k < n) {
		uint32_t cp;
		size_t seq = rowfs_utf8_sequence_len(p + k, n - k, &cp);

		ck_assert_uint_ne(seq, 0);
		if (p[k] == '"' || p[k] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)p[k];
			put(b, esc, 2);
		} else if (p[k] == '\n' && tu_next_random(rng) % 2) {
			puts_(b, "\\n");
		} else if (cp < 0x20 || tu_next_random(rng) % 6 == 0) {
			if (cp >= 0x10000) {
				uint32_t u = cp - 0x10000;

				snprintf(esc, sizeof(esc), "\\u%04x\\u%04X", 0xD800 + (u >> 10),
					 0xDC00 + (u & 0x3FF));
			} else {
				snprintf(esc, sizeof(esc), "\\u%04x", cp);
			}
			puts_(b, esc);
		} else {
			put(b, (const char *)p + k, seq);
		}
		k += seq;
	}
	put(b, "\"", 1);
}

static const char *const rt_names[5] = { "id", "n", "r", "s", "b" };

/* The row as one JSON object, columns in random order, NULLs absent or null. */
static void write_json(struct tu_buf *b, const struct gen_row *row, int skip_key, uint64_t *rng)
{
	unsigned order[5] = { 0, 1, 2, 3, 4 }, i, count = 0;
	char name[16];

	for (i = 4; i > 0; i--) {
		unsigned j = (unsigned)(tu_next_random(rng) % (i + 1)), x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	puts_(b, tu_next_random(rng) % 2 ? "{" : " { ");
	for (i = 0; i < 5; i++) {
		unsigned col = order[i];
		const struct rowfs_value *v = &row->v[col];

		if ((col == 0 && skip_key) || (v->type == ROWFS_TYPE_NULL && tu_next_random(rng) % 2))
			continue;
		if (count++)
			puts_(b, tu_next_random(rng) % 2 ? "," : " ,\n");
		switch (tu_next_random(rng) % 4) {
		case 0:   /* the first letter upper case */
			snprintf(name, sizeof(name), "\"%c%s\":", rt_names[col][0] - 'a' + 'A',
				 rt_names[col] + 1);
			break;
		case 1:   /* the first letter escaped */
			snprintf(name, sizeof(name), "\"\\u%04x%s\" : ", rt_names[col][0],
				 rt_names[col] + 1);
			break;
		default:
			snprintf(name, sizeof(name), "\"%s\":", rt_names[col]);
		}
		puts_(b, name);
		if (v->type == ROWFS_TYPE_NULL) {
			puts_(b, "null");
		} else if (v->type == ROWFS_TYPE_INTEGER || v->type == ROWFS_TYPE_REAL) {
			put_number(b, v, rng, 1);
		} else if (v->type == ROWFS_TYPE_TEXT) {
			put_json_string(b, v->p, v->len, rng);
		} else {
			puts_(b, "\"\\\\x");
			put_hex(b, v->p, v->len, (int)(tu_next_random(rng) % 2));
			puts_(b, "\"");
		}
	}
	puts_(b, "}");
}

/* rowfs_get callback: the stored row must equal the generated one. */
static int compare_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	const struct gen_row *row = ctx;
	unsigned col;

	REQUIRE(n == 5 && key == row->id, "row %" PRId64 ": %u columns, key %" PRId64, row->id, n,
		key);
	for (col = 0; col < 5; col++) {
		const struct rowfs_value *a = &vals[col], *w = &row->v[col];

		REQUIRE(a->type == w->type, "row %" PRId64 " column %u: type %d, want %d", row->id, col,
			a->type, w->type);
		if (a->type == ROWFS_TYPE_INTEGER)
			REQUIRE(a->i == w->i, "row %" PRId64 " column %u: %" PRId64 ", want %" PRId64,
				row->id, col, a->i, w->i);
		else if (a->type == ROWFS_TYPE_REAL)
			REQUIRE(memcmp(&a->r, &w->r, sizeof(double)) == 0,
				"row %" PRId64 " column %u: %.17g, want %.17g", row->id, col, a->r, w->r);
		else if (a->type != ROWFS_TYPE_NULL)
			REQUIRE(a->len == w->len && memcmp(a->p, w->p, a->len) == 0,
				"row %" PRId64 " column %u: %zu bytes, want %zu", row->id, col, a->len,
				w->len);
	}
	return 0;
}

static void expect_row(struct rowfs_txn *txn, const struct gen_row *row)
{
	struct rowfs_err err;
	int found = 0;

	REQUIRE(rowfs_get(txn, "rt", row->id, compare_row, (void *)row, &found, &err) == ROWFS_OK,
		"get %" PRId64 ": %s", row->id, err.msg);
	REQUIRE(found, "row %" PRId64 " is missing", row->id);
}

/* Convert the text of row with these choices, run it; it must succeed. */
static void store_row(struct rowfs_db *db, const struct gen_row *row, int json, int mode,
		      int has_key, uint64_t *rng)
{
	struct tu_buf text = {0}, reply = {0};
	struct rowfs_err err;
	char *copy, *out;
	size_t out_len;
	int skip_key = has_key && tu_next_random(rng) % 2;
	int rc;

	if (json)
		write_json(&text, row, skip_key, rng);
	else
		write_csv(&text, row, skip_key, rng);
	copy = tu_memdup(text.len ? text.data : "", text.len);
	rc = rowfs_input_statement(tu_txn(db), "rt", json ? JSN : CSV, mode, has_key, row->id, copy,
				   text.len, &out, &out_len, &err);
	REQUIRE(rc == ROWFS_OK, "'%.*s': %s", (int)text.len, text.data, err.msg);
	rc = tu_exec_len(db, out, out_len, &reply, &err);
	REQUIRE(rc == ROWFS_OK, "'%.*s' -> '%s': %s", (int)text.len, text.data, out, err.msg);
	free(out);
	free(copy);
	tu_buf_free(&text);
	tu_buf_free(&reply);
}

#define ROUND_TRIP_ROWS 2000u

START_TEST(test_round_trip)
{
	struct rowfs_db *db = open_db();
	struct gen_row *rows = calloc(ROUND_TRIP_ROWS, sizeof(*rows));
	uint64_t rng = tu_seed("ROWFS_SEED", 0x1a2b3c4d5e6f7788ull);
	struct rowfs_txn *reader;
	struct rowfs_err err;
	unsigned i;

	ck_assert_ptr_nonnull(rows);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < ROUND_TRIP_ROWS; i++) {
		/* distinct keys: i in the low 12 bits */
		int64_t id = (int64_t)((tu_next_random(&rng) & ~(uint64_t)0xfff) | i);
		struct gen_row *row = &rows[i];

		random_row(&rng, id, row);
		store_row(db, row, (int)(i % 2), INS, (int)(tu_next_random(&rng) % 2), &rng);
		expect_row(tu_txn(db), row);
		if (i % 4 == 3) {
			/* rewrite it: the row file's replace */
			random_row(&rng, id, row);
			store_row(db, row, (int)(tu_next_random(&rng) % 2), REP, 1, &rng);
			expect_row(tu_txn(db), row);
		}
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, &err), ROWFS_OK);
	for (i = 0; i < ROUND_TRIP_ROWS; i++)
		expect_row(reader, &rows[i]);
	rowfs_txn_abort(reader);
	free(rows);
	tu_close(db);
}
END_TEST

/* ---- random input ---------------------------------------------------------------- */

/* A random input: bytes of the grammars, or a valid row with a few bytes changed. */
static size_t random_input(uint64_t *rng, char *buf, size_t cap)
{
	static const char alphabet[] = "{}[]\",:\\ \r\n\t0123456789-+.eEx tuflsnab\"\",,";
	static const char *const seeds[] = {
		"{\"id\": 1, \"n\": 2, \"r\": 2.5, \"s\": \"a\\u00e9\\ud83d\\ude00\", \"b\": \"\\\\x00ff\"}",
		"1,2,2.5,\"a,\"\"b\",\\x00ff",
		"{\"v\":\"x\",\"id\":-3}",
		"{\"username\":\"bob\",\"id\":4}",
		"-1e5",
		"\\xabcd",
	};
	size_t len, k;

	if (tu_next_random(rng) % 2) {
		len = tu_next_random(rng) % cap;
		for (k = 0; k < len; k++) {
			uint64_t pick = tu_next_random(rng);

			buf[k] = (char)(pick % 8 == 0 ? (char)(pick >> 8) :
					alphabet[(pick >> 8) % (sizeof(alphabet) - 1)]);
		}
		return len;
	}
	{
		const char *seed = seeds[tu_next_random(rng) % (sizeof(seeds) / sizeof(seeds[0]))];
		unsigned edits = (unsigned)(tu_next_random(rng) % 4), e;

		len = strlen(seed);
		memcpy(buf, seed, len);
		for (e = 0; e < edits && len > 0; e++) {
			size_t at = tu_next_random(rng) % len;
			uint64_t what = tu_next_random(rng);

			if (what % 3 == 0) {           /* change a byte */
				buf[at] = (char)(what >> 8);
			} else if (what % 3 == 1) {    /* drop a byte */
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
			} else if (len + 1 < cap) {    /* add one */
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = alphabet[(what >> 8) % (sizeof(alphabet) - 1)];
				len++;
			}
		}
	}
	return len;
}

#define FUZZ_INPUTS 20000u

START_TEST(test_random_input)
{
	static const char *const tables[] = { "t", "one", "ri", "vi", "bl", "d", "solo", NULL };
	struct rowfs_db *db = open_db();
	uint64_t rng = tu_seed("ROWFS_SEED", 0x5eed1234abcdull);
	struct tu_buf reply = {0};
	struct rowfs_err err;
	unsigned i, ok = 0;
	char buf[128];

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < FUZZ_INPUTS; i++) {
		size_t len = random_input(&rng, buf, sizeof(buf)), out_len;
		const char *table = tables[tu_next_random(&rng) % (sizeof(tables) / sizeof(tables[0]))];
		int form = (int)(tu_next_random(&rng) % 3);
		int has_key = (int)(tu_next_random(&rng) % 2);
		int mode = has_key && tu_next_random(&rng) % 2 ? REP : INS;
		int64_t key = (int64_t)(tu_next_random(&rng) % 100) - 10;
		char *copy = tu_memdup(buf, len), *out = NULL;
		int rc;

		memset(&err, 0, sizeof(err));
		rc = rowfs_input_statement(tu_txn(db), table, form, mode, has_key, key, copy, len, &out,
					   &out_len, &err);
		free(copy);
		if (rc != ROWFS_OK) {
			REQUIRE(out == NULL && err.msg[0] != '\0' && err.rc == rc &&
				(rc == ROWFS_SYNTAX || rc == ROWFS_RANGE || rc == ROWFS_SCHEMA),
				"input %u '%.*s': %s '%s'", i, (int)len, buf, rowfs_rc_name(rc), err.msg);
			continue;
		}
		ok++;
		REQUIRE(out && out_len == strlen(out) &&
			(strncmp(out, "insert into ", 12) == 0 || strncmp(out, "update ", 7) == 0),
			"input %u: '%s'", i, out ? out : "(null)");
		/* the engine reads every statement made: no token or parse error */
		rc = tu_exec_len(db, out, out_len, &reply, &err);
		REQUIRE(rc != ROWFS_TOKEN && rc != ROWFS_SYNTAX && !rowfs_rc_is_fatal(rc),
			"input %u '%.*s' -> '%s': %s '%s'", i, (int)len, buf, out, rowfs_rc_name(rc),
			err.msg);
		free(out);
	}
	ck_assert_msg(ok > FUZZ_INPUTS / 50, "only %u of %u inputs made a statement", ok,
		      FUZZ_INPUTS);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	tu_buf_free(&reply);
	tu_close(db);
}
END_TEST

static Suite *input_suite(void)
{
	Suite *s = suite_create("input");
	TCase *tc = tcase_create("input");

	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_cases);
	tcase_add_test(tc, test_read_transaction);
	tcase_add_test(tc, test_schema_statement);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_random_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_input", input_suite());
}
