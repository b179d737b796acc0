/*
 * import.h - rowsh's `.import FILE TABLE`: the rows of a CSV or NDJSON
 * file inserted into a table in one transaction, as the mount's
 * tables/T/import takes them.
 */
#ifndef ROWFS_SRC_IMPORT_H
#define ROWFS_SRC_IMPORT_H

#include <stdint.h>

#include "conn.h"
#include "rowfs.h"

/*
 * import_run - insert the rows of file into table through c, inside the
 * unit the caller has begun.  Outside an explicit transaction the import
 * is one of its own (begin ... commit: the unit's earlier statements are
 * committed first) and a failure rolls every row back; inside one, its
 * rows join it, and a failure leaves the rows before the bad line in it.
 * The form is the file's first non-blank byte: '{' NDJSON, else CSV (a
 * record may hold newlines inside double quotes; a first line equal to
 * the column names, "id,name", is a header and skipped).  Blank lines are
 * skipped.  progress: a line on stderr (a terminal) with the rows so far
 * and rows/s, and a last one with the total.  *rows gets the rows
 * inserted.  Returns ROWFS_OK, or the first failure with err->msg
 * "line N: TEXT" (N the line of file where the bad record starts, TEXT
 * the engine's), "Error: cannot open 'FILE': ...", "Error: cannot read
 * 'FILE': ...", or the table's error ("Error: no such table: T").  A
 * fatal code (rowfs_rc_is_fatal) is the engine's.
 */
int import_run(struct conn *c, const char *file, const char *table, int progress,
	       uint64_t *rows, struct rowfs_err *err);

#endif /* ROWFS_SRC_IMPORT_H */
