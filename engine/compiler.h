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
 * Part 2 (the SQL subset; the details of each in struct plan):
 *   OP_CREATE_TABLE create plan->schema's table (catalog), log it.
 *   OP_DROP_TABLE   drop the table with id plan->table_id, log it.
 *   OP_INSERT_ROWS  insert plan->rows: keys assigned and every key checked
 *                   (duplicates, in the table and among the rows) before
 *                   the first change; each row logged.
 *   OP_OPEN         open the table at the first row of the key range
 *                   (the last one when plan->desc); none: jump to p2.
 *   OP_FILTER       the row fails plan->filters: jump to p2.
 *   OP_RESULT       past the offset, emit the row's plan->columns as
 *                   "(v1, v2)\n"; once limit rows are out, jump to p2.
 *   OP_COUNT        count the row.
 *   OP_COLLECT      remember the row's key (update, delete).
 *   OP_STEP         move to the next row of the range (previous when
 *                   desc); a row there: jump to p2.
 *   OP_NO_ROWS      emit "(no rows)\n" if no row was emitted.
 *   OP_RESULT_COUNT emit the count as "(N)\n" (subject to offset and
 *                   limit; else "(no rows)\n").
 *   OP_UPDATE_ROWS  apply plan->sets to the collected keys: every check
 *                   and the log room first, then the changes.
 *   OP_DELETE_ROWS  delete the collected keys.
 *   OP_TABLES       emit every table name, one a line, in name order.
 *   OP_SCHEMA       emit plan->table's create statement and ";\n" (every
 *                   table's, in name order, when plan->table is NULL).
 * The compiler checks what does not need the table's rows: username length
 * ("Error: username too long (33 > 32)", ROWFS_TOOLONG), unknown
 * meta-commands ("Unrecognized meta-command: .drop", ROWFS_META), and for
 * Part 2 every name against the catalog and every literal against its
 * column (texts of catalog.h's catalog_check_value and CONTRACT.md).
 * Meta-command names (.btree .constants .stats .checkpoint .exit) match
 * ASCII case-insensitively, like the keywords: ".EXIT" is ".exit".
 * The program of each statement is listed at the top of compiler.c.
 */
#ifndef ROWFS_ENGINE_COMPILER_H
#define ROWFS_ENGINE_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "parser.h"
#include "record.h"
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
	OP_UPDATE,
	/* Part 2 */
	OP_CREATE_TABLE,
	OP_DROP_TABLE,
	OP_INSERT_ROWS,
	OP_OPEN,
	OP_FILTER,
	OP_RESULT,
	OP_COUNT,
	OP_COLLECT,
	OP_STEP,
	OP_NO_ROWS,
	OP_RESULT_COUNT,
	OP_UPDATE_ROWS,
	OP_DELETE_ROWS,
	OP_TABLES,
	OP_SCHEMA
};

struct op {
	enum opcode code;    /* what to do */
	uint32_t p1;         /* operand 1 (key) */
	uint32_t p2;         /* operand 2 (jump target) */
	const char *text;    /* OP_EMIT text / OP_INSERT name (points into the line or static) */
	size_t text_len;     /* its length */
};

#define PROGRAM_MAX_OPS 12

/* A predicate of `where` that is not part of the key range. */
struct plan_filter {
	unsigned column;       /* column index in the table */
	enum pred_op op;       /* PRED_* (the value is the row's, a and b the literals) */
	struct value a;        /* right side; BETWEEN: lower bound */
	struct value b;        /* BETWEEN: upper bound */
};

/* One `COL = LIT` of update, checked against its column. */
struct plan_set {
	unsigned column;       /* column index in the table */
	struct value value;    /* new value (converted: an integer into a real column) */
};

/*
 * What a Part 2 program works on (malloc'd by the compiler, freed by
 * compile_release).  Values point into the statement's arena or the
 * schema, so a program lives no longer than either.
 */
struct plan {
	int64_t lo, hi;               /* key range, inclusive (the key predicates of where) */
	int empty;                    /* where can match nothing (NULL compared, lo > hi, ...) */
	struct plan_filter *filters;  /* the other predicates, all must hold */
	unsigned filter_count;        /* how many */
	unsigned *columns;            /* select: output columns, in order */
	unsigned column_count;        /* how many */
	int desc;                     /* select: walk the range backwards (order by KEY desc) */
	uint64_t limit;               /* select: most rows out (UINT64_MAX: no limit) */
	uint64_t offset;              /* select: rows skipped first */
	struct value *rows;           /* insert: row_count rows of the table's width, declared
					 order, defaults filled; a NULL key is assigned at run time */
	unsigned row_count;           /* insert: rows */
	struct plan_set *sets;        /* update: assignments, applied in order */
	unsigned set_count;           /* update: how many */
	int sets_key;                 /* update: the key column is assigned (to sets_key_value) */
	int64_t sets_key_value;       /* update: the new key */
	struct table_schema schema;   /* create: the new table (schema.sql normalized) */
	int64_t table_id;             /* drop: the table's catalog id */
};

struct program {
	struct op ops[PROGRAM_MAX_OPS];   /* the code */
	unsigned count;                    /* ops used */
	const struct table_schema *table;  /* Part 2: the table the program reads or changes
					      (NULL: none, or .schema/.tables of every table) */
	struct plan *plan;                 /* Part 2: its plan (NULL for the seed statements) */
};

/*
 * compile_sql - translate stmt into prog (overwritten), Part 2 statements
 * resolved against cat (NULL: Part 2 statements fail with ROWFS_ERROR).
 * Errors: those of compile_statement, and (texts of CONTRACT.md):
 *   "Error: no such table: T"                          ROWFS_NOTFOUND (ENOENT)
 *   "Error: no such column: T.C"                       ROWFS_SCHEMA
 *   "Error: table T already exists"                    ROWFS_DUPLICATE (EEXIST)
 *   "Error: table users cannot be dropped"             ROWFS_PERM (EPERM)
 *   "Error: T has 3 columns but 2 values were supplied" ROWFS_SCHEMA
 *   "Error: 3 values for 2 columns"                    ROWFS_SCHEMA (with a column list)
 *   "Error: order by C needs an index"                 ROWFS_SCHEMA
 *   the value errors of catalog_check_value, also for the literals of
 *   where (a comparison between a number column and a text is an error,
 *   never an order across types; numbers compare with numbers)
 * On success prog may own memory: compile_release frees it.
 */
int compile_sql(const struct statement *stmt, const struct catalog *cat, struct program *prog,
		struct rowfs_err *err);

/* compile_release - free what compile_sql allocated (prog->plan); idempotent. */
void compile_release(struct program *prog);

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
