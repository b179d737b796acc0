/*
 * compiler.h - statement -> a small opcode program for the VM.
 *
 * Opcodes, in SQLite's opcode-doc style (p1/p2 are the operands):
 *   OP_WRITABLE     fail with ROWFS_READONLY "Error: read-only database" if
 *                   the database is read-only.
 *   OP_NOT_EXISTS   p1 = key: fail with ROWFS_DUPLICATE "Error: duplicate key
 *                   P1." if the key is in the table.
 *   OP_INSERT       insert row (p1 = key, name/name_len), log it to the
 *                   transaction.
 *   OP_REWIND       position the cursor at the first row; if the table is
 *                   empty jump to p2.
 *   OP_RESULT_ROW   emit "(ID, NAME)\n" for the row under the cursor.
 *   OP_NEXT         advance the cursor; if a row is there jump to p2.
 *   OP_EMIT         emit the constant text in `text`.
 *   OP_BTREE        emit the tree rendering.
 *   OP_CONSTANTS    emit the constants.
 *   OP_STATS        emit the statistics.
 *   OP_CHECKPOINT   checkpoint the database.
 *   OP_EXIT         stop; rowfs_exec() returns ROWFS_EXIT.
 *   OP_EXISTS       p1 = key: fail with ROWFS_NOTFOUND "Error: no such key
 *                   P1." if the key is not in the table.
 *   OP_DELETE       delete the row with key p1, log it.
 *   OP_UPDATE       replace the username of row p1 by text, log it.
 *   OP_HALT         stop with ROWFS_OK.
 * The compiler checks what does not need the table: username length
 * ("Error: username too long (33 > 32)", ROWFS_TOOLONG) and unknown
 * meta-commands ("Unrecognized meta-command: .drop", ROWFS_META).
 * Meta-command names (.btree .constants .stats .checkpoint .exit) match
 * ASCII case-insensitively, like the keywords: ".EXIT" is ".exit".
 * The program of each statement is listed at the top of compiler.c.
 */
#ifndef ROWFS_ENGINE_COMPILER_H
#define ROWFS_ENGINE_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#include "parser.h"
#include "rowfs.h"

enum opcode {
	OP_HALT = 0,
	OP_WRITABLE,
	OP_NOT_EXISTS,
	OP_INSERT,
	OP_REWIND,
	OP_RESULT_ROW,
	OP_NEXT,
	OP_EMIT,
	OP_BTREE,
	OP_CONSTANTS,
	OP_STATS,
	OP_CHECKPOINT,
	OP_EXIT,
	OP_EXISTS,
	OP_DELETE,
	OP_UPDATE
};

struct op {
	enum opcode code;    /* what to do */
	uint32_t p1;         /* operand 1 (key) */
	uint32_t p2;         /* operand 2 (jump target) */
	const char *text;    /* OP_EMIT text / OP_INSERT name (points into the line or static) */
	size_t text_len;     /* its length */
};

#define PROGRAM_MAX_OPS 8

struct program {
	struct op ops[PROGRAM_MAX_OPS];   /* the code */
	unsigned count;                    /* ops used */
};

/*
 * compile_statement - translate stmt into prog (overwritten).  STMT_EMPTY
 * compiles to a lone OP_HALT.  OP_INSERT's text points into the statement's
 * line, so prog must not outlive it; OP_EMIT texts are static.  Returns
 * ROWFS_OK, ROWFS_TOOLONG or ROWFS_META (ROWFS_ERROR for a statement type
 * that does not exist).
 */
int compile_statement(const struct statement *stmt, struct program *prog, struct rowfs_err *err);

/* Name of an opcode ("OP_INSERT"; "OP_UNKNOWN" if out of range), for tests and debugging. */
const char *compile_opcode_name(enum opcode code);

#endif /* ROWFS_ENGINE_COMPILER_H */
