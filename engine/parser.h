/*
 * parser.h - tokens -> one statement.  The full grammar, the dispatch rule
 * between Part 1's seed forms and Part 2's SQL forms, and the precedence
 * of errors are in the essay at the top of parser.c; the lexical rules in
 * tokenizer.h.
 *
 * Lexical rules of Part 2, for every statement: a line may be up to
 * MAX_LINE_SIZE (4 MiB); "--" at the start of the line or after a blank
 * (outside a quoted literal) begins a comment to the end of the line; a
 * ';' as the last non-blank byte before the end of the line or a comment
 * is dropped (any other ';' outside a literal is a token error).
 *
 * Seed forms (Part 1, replies unchanged; keywords case-insensitive):
 *   insert INTEGER NAME        NAME = any word or integer token
 *   update INTEGER NAME
 *   delete INTEGER
 *   select
 *   begin|commit|end|rollback [transaction]   (end = commit, as in SQLite)
 *   .tables                    STMT_TABLES
 *   .schema [T]                STMT_SCHEMA
 *   .META                      any other word starting with '.'; the
 *                              compiler decides whether it exists
 *   (blank line, comment only) STMT_EMPTY
 * SQL forms (Part 2), chosen by their first words (create table T, drop
 * table T, insert into, delete from, update T set, select * / count( /
 * COL, / COL from):
 *   create table [if not exists] T ( COL TYPE [primary key] [not null] [default LIT], ... )
 *   drop table [if exists] T
 *   insert into T [ (COL, ...) ] values (LIT, ...) [, (LIT, ...)]...
 *   select * | COL, ... | count(*) from T [where COND] [order by COL [asc|desc]]
 *          [limit N [offset M]]
 *   update T set COL = LIT [, COL = LIT]... [where COND]
 *   delete from T [where COND]
 *   COND: PRED [and PRED]...   PRED: COL OP LIT | COL between LIT and LIT | COL is [not] null
 *   OP: = != <> < <= > >=      LIT: -12 | 3.5 | 1e-3 | 'it''s' | E'a\tb' | x'00ff' | null
 *   TYPE: integer | real | text | text(N) | blob | blob(N)
 * Errors of the seed forms (exact texts, CONTRACT.md):
 *   "Parse error: Expected INTEGER, got STRING at position N"
 *   "Parse error: Row id must be non-negative"
 *   "Parse error: Row id out of range"          (> 4294967295)
 *   "Parse error: Expected INSERT, SELECT, or meta-command"
 *   "Parse error: Expected end of line, got STRING at position N"
 *   "Parse error: line too long"                (len > MAX_LINE_SIZE)
 *   "Parse error: NUL byte"                     (anywhere, comments included)
 *   "Token error: Unexpected character ..."      (tokenizer.h)
 * Errors of the SQL forms: "Parse error: Expected WHAT, got TOKEN at
 * position N" (e.g. "Parse error: Expected FROM, got EOF at position 8"),
 * the lexical errors of tokenizer.h (unterminated literal, bad escape, bad
 * hex digit, odd number of hex digits, invalid number, integer/real out of
 * range, name too long, token errors) and "Too many columns/values/
 * assignments (more than 64)", "Row R has V values, row 1 has W",
 * "PRIMARY KEY/NOT NULL/DEFAULT given twice", "Length out of range
 * (1..1048576)", "LIMIT/OFFSET must be non-negative", all "at position
 * N"; the full list is in parser.c.
 * Precedence: a final '\r' is dropped, then line too long, then NUL, then
 * the comment and a final ';' are cut off, then the first bad byte
 * (seed) or lexical error (SQL) anywhere in the statement (so "insert 1
 * a@b" and "foo @" are token errors), then the grammar from left to
 * right.  "-N" as a seed id is the non-negative error ("-0" too); an id's
 * value is checked whatever its number of digits, leading zeros allowed.
 * A missing token is "got EOF at position N" with N the statement's end
 * (the line length after dropping '\r', or the offset of a comment's
 * "--" or of a dropped ';').  An extra seed token is named INTEGER
 * (digits, or '-' and digits) or STRING.
 */
#ifndef ROWFS_ENGINE_PARSER_H
#define ROWFS_ENGINE_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "rowfs.h"

enum stmt_type {
	STMT_EMPTY = 0,   /* blank line: nothing to do, no reply */
	STMT_INSERT,      /* insert id name */
	STMT_SELECT,      /* select */
	STMT_META,        /* .something: name in meta/meta_len */
	STMT_DELETE,      /* delete id */
	STMT_UPDATE,      /* update id name */
	STMT_BEGIN,       /* begin [transaction] */
	STMT_COMMIT,      /* commit|end [transaction] */
	STMT_ROLLBACK,    /* rollback [transaction] */
	/* Part 2: the SQL subset (fields below "Part 2" in struct statement) */
	STMT_CREATE_TABLE, /* create table [if not exists] T (COLDEF, ...) */
	STMT_DROP_TABLE,  /* drop table [if exists] T */
	STMT_INSERT_INTO, /* insert into T [(COL, ...)] values (LIT, ...)[, (LIT, ...)]... */
	STMT_SELECT_FROM, /* select * | COL, ... | count(*) from T [where] [order by] [limit [offset]] */
	STMT_UPDATE_SET,  /* update T set COL = LIT [, COL = LIT]... [where] */
	STMT_DELETE_FROM, /* delete from T [where] */
	STMT_TABLES,      /* .tables */
	STMT_SCHEMA       /* .schema [T] (table empty when absent) */
};

/* An identifier (table or column name), lower-cased into the arena. */
struct ident {
	const char *name;      /* 1..64 bytes of [a-z0-9_], not starting with a digit, NUL-terminated */
	size_t len;            /* bytes */
	size_t pos;            /* 0-based byte offset of its token in the line */
};

/* A literal: -12, 3.5, 1e-3, 'it''s', E'a\tb', x'00ff', null. */
struct literal {
	struct value v;        /* decoded (text/blob bytes unescaped into the arena) */
	size_t pos;            /* 0-based byte offset of its token in the line */
};

/* Column types of `create table` (the type names of the grammar). */
enum column_type {
	COLUMN_INTEGER = 1,    /* integer (signed 64-bit) */
	COLUMN_REAL,           /* real (finite double) */
	COLUMN_TEXT,           /* text / text(N) */
	COLUMN_BLOB            /* blob / blob(N) */
};

/* Longest name of a table, column or index (bytes). */
#define NAME_MAX_LEN 64u
/* Longest text or blob value (bytes) and the N of text(N)/blob(N) when absent. */
#define VALUE_MAX_LEN (1u << 20)

/* One column of `create table`. */
struct column_def {
	struct ident name;      /* column name */
	enum column_type type;  /* declared type */
	uint32_t max_len;       /* text/blob: N of text(N), else VALUE_MAX_LEN; 0 for numbers */
	int primary_key;        /* `primary key` given (only on an integer column) */
	int not_null;           /* `not null` given */
	int has_default;        /* `default LIT` given */
	struct literal def;     /* the default (type unchecked: the compiler checks) */
};

/* Comparison of a `where` predicate. */
enum pred_op {
	PRED_EQ = 1, PRED_NE, PRED_LT, PRED_LE, PRED_GT, PRED_GE,
	PRED_BETWEEN,           /* COL between a and b (a <= COL <= b) */
	PRED_IS_NULL,           /* COL is null */
	PRED_IS_NOT_NULL        /* COL is not null */
};

/* One predicate of `where` (predicates are joined by and). */
struct pred {
	struct ident column;   /* left side */
	enum pred_op op;       /* comparison */
	struct literal a;      /* right side (BETWEEN: lower bound) */
	struct literal b;      /* BETWEEN: upper bound */
};

/* One `COL = LIT` of update's set list. */
struct assignment {
	struct ident column;   /* column to set */
	struct literal value;  /* its new value */
};

struct parse_arena;        /* parser.c: memory behind a statement's Part 2 fields */

struct statement {
	enum stmt_type type;   /* what to run */
	uint32_t id;           /* STMT_INSERT/DELETE/UPDATE: the key */
	const char *name;      /* STMT_INSERT/UPDATE: username bytes (points into the line) */
	size_t name_len;       /* STMT_INSERT/UPDATE: may exceed USERNAME_SIZE: the compiler checks */
	const char *meta;      /* STMT_META/TABLES/SCHEMA: the word with its dot (points into the line) */
	size_t meta_len;       /* STMT_META/TABLES/SCHEMA: its length */
	/* Part 2: everything below lives in the arena; statement_free releases it. */
	struct ident table;            /* the table (STMT_SCHEMA: len 0 when absent) */
	int if_exists;                 /* create: `if not exists`; drop: `if exists` */
	struct column_def *columns;    /* create table: the column definitions */
	unsigned column_count;         /* create table: how many (1..64) */
	struct ident *names;           /* insert: the column list; select: the column list */
	unsigned name_count;           /* how many (0: insert without a list / select *) */
	int select_count;              /* select count(*) */
	struct literal *values;        /* insert: row_count rows of row_width literals, row-major */
	unsigned row_count;            /* insert: rows given */
	unsigned row_width;            /* insert: literals per row (every row the same, else a parse error) */
	struct pred *preds;            /* where: predicates joined by and */
	unsigned pred_count;           /* how many (0: no where) */
	struct assignment *sets;       /* update: the set list */
	unsigned set_count;            /* how many */
	int has_order;                 /* select: order by given */
	struct ident order_column;     /* select: order by COL */
	int order_desc;                /* select: desc */
	int has_limit;                 /* select: limit given */
	uint64_t limit;                /* select: limit N */
	uint64_t offset;               /* select: offset M (0 when absent) */
	struct parse_arena *arena;     /* owns every Part 2 pointer above; NULL when none */
};

/*
 * parse_line - tokenize and parse line[0..len) (no newline).  A final '\r'
 * is dropped here, so CRLF lines work whether or not the caller dropped it
 * (only one is dropped).  len may be any size.  *out is always filled
 * (all zero, STMT_EMPTY, on error).  Seed statements point into line and
 * allocate nothing; an SQL statement (and STMT_SCHEMA) owns an arena:
 * call statement_free() when done with it (its Part 1 pointers, meta,
 * point into line too).  Returns ROWFS_OK, ROWFS_TOKEN, ROWFS_SYNTAX,
 * ROWFS_RANGE or ROWFS_NOMEM with err->msg set to the contract text.
 */
int parse_line(const char *line, size_t len, struct statement *out, struct rowfs_err *err);

/*
 * statement_free - release what parse_line allocated for a Part 2
 * statement (the arena); the statement must not be used after.  Safe on
 * every statement parse_line filled, successful or not, and idempotent.
 */
void statement_free(struct statement *stmt);

/*
 * parse_wants_more - 1 if line[0..len) (no newline; a final '\r' is
 * dropped) reads as an SQL form (the dispatch rule of parser.c) whose
 * parse stops at the statement's end for want of a token ("... got EOF at
 * position N"): more text could complete it, as in "create table t (" or
 * "select *".  0 for every other line: complete, wrong before its end,
 * a seed form, a meta-command, blank, too long, with a NUL.  Allocates
 * nothing that outlives the call.  rowfs_complete() (rowsh's statements
 * over several lines) is built on it.
 */
int parse_wants_more(const char *line, size_t len);

#endif /* ROWFS_ENGINE_PARSER_H */
