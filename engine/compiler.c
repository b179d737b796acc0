/*
 * compiler.c - owns the translation of a parsed statement into a VM
 * program, and the errors that need no table: username too long and
 * unknown meta-command.
 *
 * The programs, in SQLite's EXPLAIN layout (addr, opcode, p1, p2, text):
 *
 *   insert ID NAME
 *     0  OP_WRITABLE                         fail if read-only
 *     1  OP_NOT_EXISTS  ID                   fail with "duplicate key ID."
 *     2  OP_INSERT      ID        NAME       (text_len = name length)
 *     3  OP_EMIT                  "Executed.\n"
 *     4  OP_HALT
 *
 *   update ID NAME
 *     0  OP_WRITABLE
 *     1  OP_EXISTS      ID                   fail with "no such key ID."
 *     2  OP_UPDATE      ID        NAME
 *     3  OP_EMIT                  "Executed.\n"
 *     4  OP_HALT
 *
 *   delete ID
 *     0  OP_WRITABLE
 *     1  OP_EXISTS      ID
 *     2  OP_DELETE      ID
 *     3  OP_EMIT                  "Executed.\n"
 *     4  OP_HALT
 *
 *   select
 *     0  OP_REWIND          4                empty table: jump to 4
 *     1  OP_RESULT_ROW                       "(ID, NAME)\n"
 *     2  OP_NEXT            1                more rows: jump to 1
 *     3  OP_HALT
 *     4  OP_EMIT                  "(empty table)\n"
 *     5  OP_HALT
 *
 *   .btree / .constants / .stats
 *     0  OP_BTREE / OP_CONSTANTS / OP_STATS
 *     1  OP_HALT
 *
 *   .checkpoint
 *     0  OP_WRITABLE
 *     1  OP_CHECKPOINT
 *     2  OP_EMIT                  "Executed.\n"
 *     3  OP_HALT
 *
 *   .exit
 *     0  OP_EXIT
 *
 *   (blank line)
 *     0  OP_HALT
 *
 * Meta-command names match ASCII case-insensitively, like the keywords
 * (".EXIT" is ".exit").  Errors:
 *   NAME longer than USERNAME_SIZE  "Error: username too long (33 > 32)"  TOOLONG
 *   unknown meta-command            "Unrecognized meta-command: .drop"    META
 * The name in the META text is cut at a UTF-8 character boundary when it
 * does not fit in struct rowfs_err's msg.
 *
 * Texts of OP_EMIT are static; OP_INSERT's text points into the line the
 * statement was parsed from, so the program lives no longer than the line.
 */
#include <config.h>
#include "compiler.h"

#include <assert.h>
#include <string.h>

#include "format.h"

#define EXECUTED "Executed.\n"
#define EMPTY_TABLE "(empty table)\n"

/* Longest meta-command name quoted in the error text (msg has 256 bytes). */
#define META_NAME_SHOWN 200u

/* Append an op to prog and return its address; the programs above all fit. */
static unsigned emit_op(struct program *prog, enum opcode code, uint32_t p1, uint32_t p2,
			const char *text, size_t text_len)
{
	struct op *op;

	assert(prog->count < PROGRAM_MAX_OPS);
	op = &prog->ops[prog->count];

	op->code = code;
	op->p1 = p1;
	op->p2 = p2;
	op->text = text;
	op->text_len = text_len;
	return prog->count++;
}

/* Append an op with a constant text. */
#define EMIT_TEXT(prog, str) emit_op((prog), OP_EMIT, 0, 0, (str), sizeof(str) - 1)

/* 1 if name[0..len) equals kw (lower case), ASCII case-insensitively. */
static int name_is(const char *name, size_t len, const char *kw)
{
	size_t i;

	if (len != strlen(kw))
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != kw[i])
			return 0;
	}
	return 1;
}

static int compile_insert(const struct statement *stmt, struct program *prog,
			  struct rowfs_err *err)
{
	if (stmt->name_len > USERNAME_SIZE)
		return rowfs_err_set(err, ROWFS_TOOLONG, 0, "Error: username too long (%zu > %u)",
				     stmt->name_len, USERNAME_SIZE);
	emit_op(prog, OP_WRITABLE, 0, 0, NULL, 0);
	emit_op(prog, OP_NOT_EXISTS, stmt->id, 0, NULL, 0);
	emit_op(prog, OP_INSERT, stmt->id, 0, stmt->name, stmt->name_len);
	EMIT_TEXT(prog, EXECUTED);
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
	return ROWFS_OK;
}

/* update and delete: the key must exist. */
static int compile_change(const struct statement *stmt, struct program *prog,
			  struct rowfs_err *err)
{
	int update = stmt->type == STMT_UPDATE;

	if (update && stmt->name_len > USERNAME_SIZE)
		return rowfs_err_set(err, ROWFS_TOOLONG, 0, "Error: username too long (%zu > %u)",
				     stmt->name_len, USERNAME_SIZE);
	emit_op(prog, OP_WRITABLE, 0, 0, NULL, 0);
	emit_op(prog, OP_EXISTS, stmt->id, 0, NULL, 0);
	if (update)
		emit_op(prog, OP_UPDATE, stmt->id, 0, stmt->name, stmt->name_len);
	else
		emit_op(prog, OP_DELETE, stmt->id, 0, NULL, 0);
	EMIT_TEXT(prog, EXECUTED);
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
	return ROWFS_OK;
}

static void compile_select(struct program *prog)
{
	unsigned rewind, loop;

	rewind = emit_op(prog, OP_REWIND, 0, 0, NULL, 0);
	loop = emit_op(prog, OP_RESULT_ROW, 0, 0, NULL, 0);
	emit_op(prog, OP_NEXT, 0, loop, NULL, 0);
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
	prog->ops[rewind].p2 = EMIT_TEXT(prog, EMPTY_TABLE);
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
}

/* Length of the prefix of name[0..len) shown in an error: at most max bytes, whole characters. */
static size_t shown_len(const char *name, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	/* Back off continuation bytes so a multi-byte character is not cut. */
	while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80)
		len--;
	return len;
}

static int compile_meta(const struct statement *stmt, struct program *prog,
			struct rowfs_err *err)
{
	const char *name = stmt->meta;
	size_t len = stmt->meta_len;

	if (name_is(name, len, ".btree")) {
		emit_op(prog, OP_BTREE, 0, 0, NULL, 0);
	} else if (name_is(name, len, ".constants")) {
		emit_op(prog, OP_CONSTANTS, 0, 0, NULL, 0);
	} else if (name_is(name, len, ".stats")) {
		emit_op(prog, OP_STATS, 0, 0, NULL, 0);
	} else if (name_is(name, len, ".checkpoint")) {
		emit_op(prog, OP_WRITABLE, 0, 0, NULL, 0);
		emit_op(prog, OP_CHECKPOINT, 0, 0, NULL, 0);
		EMIT_TEXT(prog, EXECUTED);
	} else if (name_is(name, len, ".exit")) {
		emit_op(prog, OP_EXIT, 0, 0, NULL, 0);
		return ROWFS_OK;
	} else {
		return rowfs_err_set(err, ROWFS_META, 0, "Unrecognized meta-command: %.*s",
				     (int)shown_len(name, len, META_NAME_SHOWN), name);
	}
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
	return ROWFS_OK;
}

int compile_statement(const struct statement *stmt, struct program *prog, struct rowfs_err *err)
{
	memset(prog, 0, sizeof(*prog));
	switch (stmt->type) {
	case STMT_EMPTY:
		emit_op(prog, OP_HALT, 0, 0, NULL, 0);
		return ROWFS_OK;
	case STMT_INSERT:
		return compile_insert(stmt, prog, err);
	case STMT_UPDATE:
	case STMT_DELETE:
		return compile_change(stmt, prog, err);
	case STMT_SELECT:
		compile_select(prog);
		return ROWFS_OK;
	case STMT_META:
		return compile_meta(stmt, prog, err);
	case STMT_BEGIN:
	case STMT_COMMIT:
	case STMT_ROLLBACK:
		break;   /* transaction control runs in the façade (db.c), not the VM */
	case STMT_CREATE_TABLE:
	case STMT_DROP_TABLE:
	case STMT_INSERT_INTO:
	case STMT_SELECT_FROM:
	case STMT_UPDATE_SET:
	case STMT_DELETE_FROM:
	case STMT_TABLES:
	case STMT_SCHEMA:
		break;   /* Part 2: not compiled yet */
	}
	return rowfs_err_set(err, ROWFS_ERROR, 0, "compile: unknown statement type %d",
			     (int)stmt->type);
}

const char *compile_opcode_name(enum opcode code)
{
	static const char *const names[] = {
		[OP_HALT] = "OP_HALT",
		[OP_WRITABLE] = "OP_WRITABLE",
		[OP_NOT_EXISTS] = "OP_NOT_EXISTS",
		[OP_EXISTS] = "OP_EXISTS",
		[OP_DELETE] = "OP_DELETE",
		[OP_UPDATE] = "OP_UPDATE",
		[OP_INSERT] = "OP_INSERT",
		[OP_REWIND] = "OP_REWIND",
		[OP_RESULT_ROW] = "OP_RESULT_ROW",
		[OP_NEXT] = "OP_NEXT",
		[OP_EMIT] = "OP_EMIT",
		[OP_BTREE] = "OP_BTREE",
		[OP_CONSTANTS] = "OP_CONSTANTS",
		[OP_STATS] = "OP_STATS",
		[OP_CHECKPOINT] = "OP_CHECKPOINT",
		[OP_EXIT] = "OP_EXIT",
	};

	if ((unsigned)code >= sizeof(names) / sizeof(names[0]) || !names[code])
		return "OP_UNKNOWN";
	return names[code];
}
