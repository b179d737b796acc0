/*
 * check_compiler.c - unit tests of engine/compiler.c: the opcode sequence
 * and operands of every program (delete and update included: the key must
 * exist, checked before the change), username length (32 ok, 33 too long),
 * meta-command names (case-insensitive, unknown ones), and parse+compile
 * of whole lines with a structural check of each program.
 */
#include <config.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "format.h"
#include "parser.h"
#include "testutil.h"

/* Parse and compile line; returns the first failing rc. */
static int compile_line(const char *line, struct statement *st, struct program *prog,
			struct rowfs_err *err)
{
	int rc;

	memset(err, 0, sizeof(*err));
	rc = parse_line(line, strlen(line), st, err);
	if (rc != ROWFS_OK)
		return rc;
	return compile_statement(st, prog, err);
}

/*
 * Structural checks every program must pass: it fits, every jump lands
 * inside it, it ends with OP_HALT or OP_EXIT, and each OP_EMIT has text.
 */
static void check_well_formed(const struct program *prog)
{
	unsigned i;

	ck_assert_uint_gt(prog->count, 0);
	ck_assert_uint_le(prog->count, PROGRAM_MAX_OPS);
	for (i = 0; i < prog->count; i++) {
		const struct op *op = &prog->ops[i];

		if (op->code == OP_REWIND || op->code == OP_NEXT)
			ck_assert_uint_lt(op->p2, prog->count);
		if (op->code == OP_EMIT)
			ck_assert(op->text != NULL && op->text_len > 0 &&
				  op->text[op->text_len - 1] == '\n');
	}
	ck_assert(prog->ops[prog->count - 1].code == OP_HALT ||
		  prog->ops[prog->count - 1].code == OP_EXIT);
}

/* Expect the opcodes of prog to be codes[0..n). */
static void check_codes(const struct program *prog, const enum opcode *codes, unsigned n)
{
	unsigned i;

	ck_assert_uint_eq(prog->count, n);
	for (i = 0; i < n; i++)
		ck_assert_msg(prog->ops[i].code == codes[i], "op %u: %s, want %s", i,
			      compile_opcode_name(prog->ops[i].code),
			      compile_opcode_name(codes[i]));
	check_well_formed(prog);
}

/* Expect op to emit exactly text. */
static void check_emit(const struct op *op, const char *text)
{
	ck_assert_int_eq(op->code, OP_EMIT);
	ck_assert_uint_eq(op->text_len, strlen(text));
	ck_assert(memcmp(op->text, text, op->text_len) == 0);
}

/* Expect line to compile to codes[0..n). */
static void check_line(const char *line, const enum opcode *codes, unsigned n)
{
	struct statement st;
	struct program prog;
	struct rowfs_err err;
	int rc = compile_line(line, &st, &prog, &err);

	ck_assert_msg(rc == ROWFS_OK, "'%s': rc %d (%s)", line, rc, err.msg);
	check_codes(&prog, codes, n);
}

/* Expect line to fail with rc and exactly msg. */
static void check_line_fails(const char *line, int want_rc, const char *want_msg)
{
	struct statement st;
	struct program prog;
	struct rowfs_err err;
	int rc = compile_line(line, &st, &prog, &err);

	ck_assert_msg(rc == want_rc, "'%s': rc %d, want %d (%s)", line, rc, want_rc, err.msg);
	ck_assert_int_eq(err.rc, want_rc);
	ck_assert_str_eq(err.msg, want_msg);
}

START_TEST(test_insert_program)
{
	static const enum opcode codes[] = {OP_WRITABLE, OP_NOT_EXISTS, OP_INSERT, OP_EMIT,
					    OP_HALT};
	const char *line = "insert 42 alice";
	struct statement st;
	struct program prog;
	struct rowfs_err err;

	ck_assert_int_eq(compile_line(line, &st, &prog, &err), ROWFS_OK);
	check_codes(&prog, codes, 5);
	ck_assert_uint_eq(prog.ops[1].p1, 42);
	ck_assert_uint_eq(prog.ops[2].p1, 42);
	ck_assert_ptr_eq(prog.ops[2].text, line + 10);
	ck_assert_uint_eq(prog.ops[2].text_len, 5);
	check_emit(&prog.ops[3], "Executed.\n");

	ck_assert_int_eq(compile_line("insert 4294967295 x", &st, &prog, &err), ROWFS_OK);
	ck_assert_uint_eq(prog.ops[1].p1, 4294967295u);
	ck_assert_uint_eq(prog.ops[2].p1, 4294967295u);
}
END_TEST

START_TEST(test_delete_program)
{
	static const enum opcode codes[] = {OP_WRITABLE, OP_EXISTS, OP_DELETE, OP_EMIT, OP_HALT};
	struct statement st;
	struct program prog;
	struct rowfs_err err;

	ck_assert_int_eq(compile_line("delete 42", &st, &prog, &err), ROWFS_OK);
	check_codes(&prog, codes, 5);
	ck_assert_uint_eq(prog.ops[1].p1, 42);
	ck_assert_uint_eq(prog.ops[2].p1, 42);
	ck_assert_ptr_null(prog.ops[2].text);
	ck_assert_uint_eq(prog.ops[2].text_len, 0);
	check_emit(&prog.ops[3], "Executed.\n");
	check_line("DELETE 1", codes, 5);
	check_line("  Delete\t0 ", codes, 5);

	ck_assert_int_eq(compile_line("delete 4294967295", &st, &prog, &err), ROWFS_OK);
	ck_assert_uint_eq(prog.ops[1].p1, 4294967295u);
	ck_assert_uint_eq(prog.ops[2].p1, 4294967295u);
}
END_TEST

START_TEST(test_update_program)
{
	static const enum opcode codes[] = {OP_WRITABLE, OP_EXISTS, OP_UPDATE, OP_EMIT, OP_HALT};
	const char *line = "update 42 alice";
	struct statement st;
	struct program prog;
	struct rowfs_err err;
	char name[64];

	ck_assert_int_eq(compile_line(line, &st, &prog, &err), ROWFS_OK);
	check_codes(&prog, codes, 5);
	ck_assert_uint_eq(prog.ops[1].p1, 42);
	ck_assert_uint_eq(prog.ops[2].p1, 42);
	ck_assert_ptr_eq(prog.ops[2].text, line + 10);
	ck_assert_uint_eq(prog.ops[2].text_len, 5);
	check_emit(&prog.ops[3], "Executed.\n");
	check_line("UPDATE 7 Bob", codes, 5);

	/* 32 bytes: the limit; 33: too long, before the table is looked at */
	strcpy(name, "update 1 ");
	memset(name + 9, 'n', 32);
	name[9 + 32] = '\0';
	check_line(name, codes, 5);
	ck_assert_int_eq(compile_line(name, &st, &prog, &err), ROWFS_OK);
	ck_assert_uint_eq(prog.ops[2].text_len, USERNAME_SIZE);
	name[9 + 32] = 'n';
	name[9 + 33] = '\0';
	check_line_fails(name, ROWFS_TOOLONG, "Error: username too long (33 > 32)");
	/* in bytes: 11 three-byte characters are 33 */
	strcpy(name, "update 1 ");
	for (int i = 0; i < 11; i++)
		memcpy(name + 9 + 3 * i, "\xe2\x82\xac", 3);
	name[9 + 33] = '\0';
	check_line_fails(name, ROWFS_TOOLONG, "Error: username too long (33 > 32)");
}
END_TEST

START_TEST(test_select_program)
{
	static const enum opcode codes[] = {OP_REWIND, OP_RESULT_ROW, OP_NEXT, OP_HALT, OP_EMIT,
					    OP_HALT};
	struct statement st;
	struct program prog;
	struct rowfs_err err;

	ck_assert_int_eq(compile_line("select", &st, &prog, &err), ROWFS_OK);
	check_codes(&prog, codes, 6);
	ck_assert_uint_eq(prog.ops[0].p2, 4);   /* empty: to the "(empty table)" emit */
	ck_assert_uint_eq(prog.ops[2].p2, 1);   /* next: back to the result row */
	check_emit(&prog.ops[4], "(empty table)\n");
	check_line("SELECT", codes, 6);
}
END_TEST

START_TEST(test_meta_programs)
{
	static const enum opcode btree[] = {OP_BTREE, OP_HALT};
	static const enum opcode constants[] = {OP_CONSTANTS, OP_HALT};
	static const enum opcode stats[] = {OP_STATS, OP_HALT};
	static const enum opcode checkpoint[] = {OP_WRITABLE, OP_CHECKPOINT, OP_EMIT, OP_HALT};
	static const enum opcode exit_[] = {OP_EXIT};
	struct statement st;
	struct program prog;
	struct rowfs_err err;

	check_line(".btree", btree, 2);
	check_line(".BTREE", btree, 2);
	check_line(".constants", constants, 2);
	check_line(".Constants", constants, 2);
	check_line(".stats", stats, 2);
	check_line("  .stats\r", stats, 2);
	check_line(".checkpoint", checkpoint, 4);
	check_line(".exit", exit_, 1);
	check_line(".EXIT", exit_, 1);
	check_line(".Exit", exit_, 1);

	ck_assert_int_eq(compile_line(".checkpoint", &st, &prog, &err), ROWFS_OK);
	check_emit(&prog.ops[2], "Executed.\n");
}
END_TEST

START_TEST(test_empty_program)
{
	static const enum opcode halt[] = {OP_HALT};
	struct statement st;
	struct program prog;
	struct rowfs_err err;

	check_line("", halt, 1);
	check_line("  \t ", halt, 1);
	memset(&st, 0, sizeof(st));
	st.type = STMT_EMPTY;
	ck_assert_int_eq(compile_statement(&st, &prog, &err), ROWFS_OK);
	check_codes(&prog, halt, 1);
}
END_TEST

START_TEST(test_unknown_meta)
{
	check_line_fails(".drop", ROWFS_META, "Unrecognized meta-command: .drop");
	check_line_fails(".DROP", ROWFS_META, "Unrecognized meta-command: .DROP");
	check_line_fails(".", ROWFS_META, "Unrecognized meta-command: .");
	check_line_fails(".exi", ROWFS_META, "Unrecognized meta-command: .exi");
	check_line_fails(".exitt", ROWFS_META, "Unrecognized meta-command: .exitt");
	check_line_fails(".stat", ROWFS_META, "Unrecognized meta-command: .stat");
	check_line_fails("..exit", ROWFS_META, "Unrecognized meta-command: ..exit");
	check_line_fails(".\xc3\xa9", ROWFS_META, "Unrecognized meta-command: .\xc3\xa9");
	/* With arguments: still unknown, whatever they are (even bad tokens). */
	check_line_fails(".drop x", ROWFS_META, "Unrecognized meta-command: .drop");
	check_line_fails("  .foo bar baz;", ROWFS_META, "Unrecognized meta-command: .foo");
	check_line_fails(".foo @ 'x", ROWFS_META, "Unrecognized meta-command: .foo");
	check_line_fails(".foo\t1 -- c", ROWFS_META, "Unrecognized meta-command: .foo");
	/* A known one's extra token is the parse error; a bad name the token error. */
	check_line_fails(".exit x", ROWFS_SYNTAX,
			 "Parse error: Expected end of line, got STRING at position 6");
	check_line_fails(".TABLES x", ROWFS_SYNTAX,
			 "Parse error: Expected end of line, got STRING at position 8");
	check_line_fails(".a@b c", ROWFS_TOKEN, "Token error: Unexpected character '@' at position 2");
}
END_TEST

START_TEST(test_long_meta_name)
{
	struct statement st;
	struct program prog;
	struct rowfs_err err;
	char line[1002];
	size_t i, len;

	/* "." + 500 two-byte characters: the quoted name is cut between characters. */
	line[0] = '.';
	for (i = 0; i < 500; i++) {
		line[1 + 2 * i] = '\xc3';
		line[2 + 2 * i] = '\xa9';
	}
	line[1001] = '\0';
	ck_assert_int_eq(compile_line(line, &st, &prog, &err), ROWFS_META);
	len = strlen(err.msg);
	ck_assert_uint_lt(len, sizeof(err.msg));
	ck_assert(strncmp(err.msg, "Unrecognized meta-command: .\xc3\xa9", 30) == 0);
	/* Ends on a whole character. */
	ck_assert(err.msg[len - 2] == '\xc3' && err.msg[len - 1] == '\xa9');
}
END_TEST

START_TEST(test_username_length)
{
	static const enum opcode insert[] = {OP_WRITABLE, OP_NOT_EXISTS, OP_INSERT, OP_EMIT,
					     OP_HALT};
	char line[64];
	struct statement st;
	struct program prog;
	struct rowfs_err err;

	/* 32 bytes: the limit. */
	strcpy(line, "insert 1 ");
	memset(line + 9, 'n', 32);
	line[9 + 32] = '\0';
	check_line(line, insert, 5);
	ck_assert_int_eq(compile_line(line, &st, &prog, &err), ROWFS_OK);
	ck_assert_uint_eq(prog.ops[2].text_len, USERNAME_SIZE);

	/* 33 bytes: too long. */
	line[9 + 32] = 'n';
	line[9 + 33] = '\0';
	check_line_fails(line, ROWFS_TOOLONG, "Error: username too long (33 > 32)");

	/* The limit is in bytes: 16 two-byte characters fit, 11 three-byte ones do not. */
	strcpy(line, "insert 1 ");
	for (int i = 0; i < 16; i++)
		memcpy(line + 9 + 2 * i, "\xc3\xa9", 2);
	line[9 + 32] = '\0';
	check_line(line, insert, 5);
	strcpy(line, "insert 1 ");
	for (int i = 0; i < 11; i++)
		memcpy(line + 9 + 3 * i, "\xe2\x82\xac", 3);
	line[9 + 33] = '\0';
	check_line_fails(line, ROWFS_TOOLONG, "Error: username too long (33 > 32)");

	/* The longest line gives the longest name. */
	{
		char *big = malloc(MAX_LINE_SIZE + 1);
		char want[64];

		ck_assert_ptr_nonnull(big);
		memset(big, 'z', MAX_LINE_SIZE);
		memcpy(big, "insert 1 ", 9);
		big[MAX_LINE_SIZE] = '\0';
		snprintf(want, sizeof(want), "Error: username too long (%u > 32)", MAX_LINE_SIZE - 9);
		check_line_fails(big, ROWFS_TOOLONG, want);
		free(big);
	}
}
END_TEST

START_TEST(test_bad_statement_type)
{
	struct statement st;
	struct program prog;
	struct rowfs_err err;

	memset(&st, 0, sizeof(st));
	st.type = (enum stmt_type)99;
	ck_assert_int_eq(compile_statement(&st, &prog, &err), ROWFS_ERROR);
	ck_assert_int_eq(err.rc, ROWFS_ERROR);
}
END_TEST

START_TEST(test_opcode_names)
{
	ck_assert_str_eq(compile_opcode_name(OP_HALT), "OP_HALT");
	ck_assert_str_eq(compile_opcode_name(OP_WRITABLE), "OP_WRITABLE");
	ck_assert_str_eq(compile_opcode_name(OP_NOT_EXISTS), "OP_NOT_EXISTS");
	ck_assert_str_eq(compile_opcode_name(OP_INSERT), "OP_INSERT");
	ck_assert_str_eq(compile_opcode_name(OP_REWIND), "OP_REWIND");
	ck_assert_str_eq(compile_opcode_name(OP_RESULT_ROW), "OP_RESULT_ROW");
	ck_assert_str_eq(compile_opcode_name(OP_NEXT), "OP_NEXT");
	ck_assert_str_eq(compile_opcode_name(OP_EMIT), "OP_EMIT");
	ck_assert_str_eq(compile_opcode_name(OP_BTREE), "OP_BTREE");
	ck_assert_str_eq(compile_opcode_name(OP_CONSTANTS), "OP_CONSTANTS");
	ck_assert_str_eq(compile_opcode_name(OP_STATS), "OP_STATS");
	ck_assert_str_eq(compile_opcode_name(OP_CHECKPOINT), "OP_CHECKPOINT");
	ck_assert_str_eq(compile_opcode_name(OP_EXIT), "OP_EXIT");
	ck_assert_str_eq(compile_opcode_name(OP_EXISTS), "OP_EXISTS");
	ck_assert_str_eq(compile_opcode_name(OP_DELETE), "OP_DELETE");
	ck_assert_str_eq(compile_opcode_name(OP_UPDATE), "OP_UPDATE");
	ck_assert_str_eq(compile_opcode_name((enum opcode)1000), "OP_UNKNOWN");
}
END_TEST

START_TEST(test_errors_pass_through)
{
	/* Parse errors surface unchanged through parse+compile. */
	check_line_fails("insert -1 a", ROWFS_RANGE, "Parse error: Row id must be non-negative");
	check_line_fails("insert 4294967296 a", ROWFS_RANGE, "Parse error: Row id out of range");
	check_line_fails("drop", ROWFS_SYNTAX,
			 "Parse error: Expected INSERT, SELECT, or meta-command");
	check_line_fails("insert 1 al@ce", ROWFS_TOKEN,
			 "Token error: Unexpected character '@' at position 11");
	check_line_fails("delete", ROWFS_SYNTAX,
			 "Parse error: Expected INTEGER, got EOF at position 6");
	check_line_fails("delete 1 x", ROWFS_SYNTAX,
			 "Parse error: Expected end of line, got STRING at position 9");
	check_line_fails("delete -1", ROWFS_RANGE, "Parse error: Row id must be non-negative");
	check_line_fails("update 1", ROWFS_SYNTAX,
			 "Parse error: Expected STRING, got EOF at position 8");
	check_line_fails("update 4294967296 a", ROWFS_RANGE, "Parse error: Row id out of range");
}
END_TEST

static Suite *compiler_suite(void)
{
	Suite *s = suite_create("compiler");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_insert_program);
	tcase_add_test(tc, test_delete_program);
	tcase_add_test(tc, test_update_program);
	tcase_add_test(tc, test_select_program);
	tcase_add_test(tc, test_meta_programs);
	tcase_add_test(tc, test_empty_program);
	tcase_add_test(tc, test_unknown_meta);
	tcase_add_test(tc, test_long_meta_name);
	tcase_add_test(tc, test_username_length);
	tcase_add_test(tc, test_bad_statement_type);
	tcase_add_test(tc, test_opcode_names);
	tcase_add_test(tc, test_errors_pass_through);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_compiler", compiler_suite());
}
