/*
 * parser.h - tokens -> one statement.
 *
 * Grammar (keywords case-insensitive):
 *   insert INTEGER NAME        NAME = any word or integer token
 *   update INTEGER NAME
 *   delete INTEGER
 *   select
 *   begin|commit|end|rollback [transaction]   (end = commit, as in SQLite)
 *   .META                      any word starting with '.'; the compiler
 *                              decides whether it exists
 *   (blank line)               STMT_EMPTY
 * Errors (exact texts, CONTRACT.md):
 *   "Parse error: Expected INTEGER, got STRING at position N"
 *   "Parse error: Row id must be non-negative"
 *   "Parse error: Row id out of range"          (> 4294967295)
 *   "Parse error: Expected INSERT, SELECT, or meta-command"
 *   "Parse error: Expected end of line, got STRING at position N"
 *   "Parse error: line too long"                (len > MAX_LINE_SIZE)
 *   "Parse error: NUL byte"
 *   "Token error: Unexpected character ..."      (tokenizer.h)
 * Precedence: a final '\r' is dropped, then line too long, then NUL, then
 * the first bad byte anywhere in the line (so "insert 1 a@b" and "foo @"
 * are token errors), then the grammar from left to right.  "-N" as an id
 * is the non-negative error ("-0" too); an id's value is checked whatever
 * its number of digits, leading zeros allowed.  A missing token is "got EOF
 * at position N" with N the line length (after dropping '\r').  An extra
 * token is named INTEGER (digits, or '-' and digits) or STRING.
 */
#ifndef ROWFS_ENGINE_PARSER_H
#define ROWFS_ENGINE_PARSER_H

#include <stddef.h>
#include <stdint.h>

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
	STMT_ROLLBACK     /* rollback [transaction] */
};

struct statement {
	enum stmt_type type;   /* what to run */
	uint32_t id;           /* STMT_INSERT/DELETE/UPDATE: the key */
	const char *name;      /* STMT_INSERT/UPDATE: username bytes (points into the line) */
	size_t name_len;       /* STMT_INSERT/UPDATE: may exceed USERNAME_SIZE: the compiler checks */
	const char *meta;      /* STMT_META: the word including the dot (points into the line) */
	size_t meta_len;       /* STMT_META: its length */
};

/*
 * parse_line - tokenize and parse line[0..len) (no newline).  A final '\r'
 * is dropped here, so CRLF lines work whether or not the caller dropped it
 * (only one is dropped).  len may be any size.  *out is always filled
 * (STMT_EMPTY on error); its pointers point into line, nothing is
 * allocated.  Returns ROWFS_OK, ROWFS_TOKEN, ROWFS_SYNTAX or ROWFS_RANGE
 * with err->msg set to the contract text.
 */
int parse_line(const char *line, size_t len, struct statement *out, struct rowfs_err *err);

#endif /* ROWFS_ENGINE_PARSER_H */
