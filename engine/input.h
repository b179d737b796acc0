/*
 * input.h - rows given as text (a CSV record, a JSON object, a row file's
 * single value) turned into the insert or update statement that stores
 * them.  Pure: reads the table's schema only, no pages, no I/O.  db.c's
 * rowfs_input_statement() looks the table up in a transaction and calls
 * input_statement(); rowfs.h states the rules, input.c the details.
 */
#ifndef ROWFS_ENGINE_INPUT_H
#define ROWFS_ENGINE_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "rowfs.h"

struct table_schema;

/*
 * input_statement - the statement (rowfs.h's rowfs_input_statement: same
 * form, mode, has_key, key and text) that stores the row text[0..len)
 * into table t.  On success *out is the statement, malloc'd and
 * NUL-terminated (the caller frees), *out_len its length.  On failure
 * *out is NULL, *out_len 0, and err holds the error:
 *   ROWFS_SYNTAX  "Parse error: WHAT at byte N" (N 0-based in text)
 *   ROWFS_RANGE   "Parse error: Integer out of range at byte N",
 *                 "Parse error: Real out of range at byte N"
 *   ROWFS_SCHEMA  "Error: no such column: T.C", "Error: T has 3 columns
 *                 but 2 values were supplied", "Error: T.C expects
 *                 integer, got text" (catalog_check_value's texts, also
 *                 its users rules for users' id), "Error: T.C is 5 in the
 *                 file name but 6 in the row", "Error: T has 3 columns: a
 *                 row file holds a JSON object"
 *   ROWFS_ERROR   unknown form or mode, or ROWFS_INPUT_REPLACE without a key
 *   ROWFS_NOMEM
 */
int input_statement(const struct table_schema *t, int form, int mode, int has_key, int64_t key,
		    const char *text, size_t len, char **out, size_t *out_len,
		    struct rowfs_err *err);

#endif /* ROWFS_ENGINE_INPUT_H */
