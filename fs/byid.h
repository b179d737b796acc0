/*
 * byid.h - the row files of by-id/: one file per row, named by its key,
 * holding its username and a newline (users), its one value and a
 * newline (a table of one column besides the key), or the row as one
 * JSON object and a newline (every other table).
 *
 * Module byid owns the per-handle state of a row file (struct byid_file:
 * its text when read, the line being written) and the three things
 * done to one row: look it up (in a read transaction of its own: the
 * newest committed state), insert-or-update it, delete it (each in the
 * write transaction, which fails with EBUSY while another handle holds
 * it).  It does not know libfuse.  Callers hold the engine mutex around
 * every call that takes a struct rowfs_db.
 *
 * Writing (see rowfs(1)): what one open file writes is one line, the new
 * username (value, JSON object).  It is applied (insert if the row is absent, update if it is
 * there; one transaction) when the write that completes the line comes, or
 * at flush if no newline ever came.  Offsets are ignored, as for ctl.  The
 * name goes through the statement lexer, so it obeys exactly the rules and
 * errno of `insert` (EINVAL for a bad or too long name); spaces and tabs,
 * which the lexer would take for separators, are refused here (EINVAL).  A
 * '\r' before the newline is dropped (CRLF works).  A second line, on the
 * same or a later write, is EINVAL; a failed line changes nothing.
 */
#ifndef ROWFS_FS_BYID_H
#define ROWFS_FS_BYID_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "render.h"
#include "rowfs.h"

/*
 * Bytes kept of a name line of users before its newline.  Longer lines are
 * refused (EINVAL) without reaching the engine; anything up to this goes
 * to the lexer, which has the final word (32 bytes of name at most).  A
 * row file of another table keeps up to ROWFS_LINE_MAX bytes (the
 * statement built from it must fit a statement line anyway).
 */
#define BYID_LINE_MAX 128u

/* An open row file. */
struct byid_file {
	char table[ROWFS_NAME_MAX + 1]; /* the table ("": users) */
	int64_t key;                 /* the row */
	int writing;                 /* opened for writing */
	int created;                 /* the open created the file: the row was absent */
	int done;                    /* a line was applied: further writes are EINVAL */
	int overlong;                /* the line passed its bound */
	char *line;                  /* the line so far, without its newline (malloc'd) */
	size_t len;                  /* bytes in line */
	size_t cap;                  /* bytes allocated */
	char *text;                  /* the row's text at open, if reading (malloc'd) */
	size_t text_len;             /* its length */
};

/*
 * byid_text - the text of row key of table ("" or NULL: users) in the
 * state txn reads, malloc'd into *text (NULL when absent) and its length
 * into *len; *found = 0 when the row is absent.  users: the name and a
 * newline; a table with one column besides its key: that value (text
 * raw, NULL empty, numbers, blob \x + hex) and a newline; otherwise the
 * row as one JSON object, as rows.ndjson writes it, and a newline.
 * Returns 0 or -errno with err set.
 */
int byid_text(struct rowfs_txn *txn, const char *table, int64_t key, int *found, char **text,
	      size_t *len, struct rowfs_err *err);

/*
 * byid_lookup - byid_text in the newest committed state (a read
 * transaction of its own).  Returns 0 or -errno.
 */
int byid_lookup(struct rowfs_db *db, const char *table, int64_t key, int *found, char **text,
		size_t *len, struct rowfs_err *err);

/*
 * byid_file_init - an open row file of key in table; writing and created
 * as for the fields.  Allocates nothing.
 */
void byid_file_init(struct byid_file *f, const char *table, int64_t key, int writing,
		    int created);

/* byid_file_release - free what f holds. */
void byid_file_release(struct byid_file *f);

/*
 * byid_write - take buf[0..size) for the file's line; apply the line if
 * buf completes it.  Returns size, or -errno with err set and the row
 * unchanged: EINVAL (bad value or object, too long, a second line, a
 * write after the line was applied), EBUSY (another handle holds the
 * write transaction), EROFS, EIO, ENOSPC, ENOMEM.  After a failure the
 * file's line is empty again (the caller may write a new line).
 */
ssize_t byid_write(struct byid_file *f, struct rowfs_db *db, const char *buf, size_t size,
		   struct rowfs_err *err);

/*
 * byid_flush - apply a line that never got its newline.  With nothing
 * written at all: 0, or -EINVAL when the file was created and the row
 * still does not exist (what `touch by-id/KEY` on a new key gets).
 * Returns 0 or -errno as byid_write.
 */
int byid_flush(struct byid_file *f, struct rowfs_db *db, struct rowfs_err *err);

/* byid_pending - 1 if f created its file and has not applied a line yet. */
int byid_pending(const struct byid_file *f);

/* byid_unapplied - 1 if f holds bytes of a line not applied yet. */
int byid_unapplied(const struct byid_file *f);

/*
 * byid_upsert - set row key of table from line[0..len) (no newline; a
 * trailing '\r' is dropped), inserting the row if it is absent, in one
 * write transaction.  users: the line is the username; other tables: the
 * row file's form (byid_text).  Returns 0 or -errno as byid_write.
 */
int byid_upsert(struct rowfs_db *db, const char *table, int64_t key, const char *line,
		size_t len, struct rowfs_err *err);

/*
 * byid_set_text - set row key of table from text[0..len), the whole
 * content of a file renamed over by-id/KEY (a safe save): what it holds
 * is parsed as one line written to the row file (a final newline, and a
 * '\r' before it, are dropped; an empty text is EINVAL as an empty line
 * is), and the row is inserted or updated in one write transaction; with
 * insert_only, a row that exists is left alone and the result is EEXIST.
 * Returns 0 or -errno as byid_write (EINVAL for a second line).
 */
int byid_set_text(struct rowfs_db *db, const char *table, int64_t key, const char *text,
		  size_t len, int insert_only, struct rowfs_err *err);

/*
 * byid_delete - delete row key of table in one write transaction.
 * Returns 0 or -errno: ENOENT (no such row), EBUSY, EROFS, EIO, ENOSPC.
 */
int byid_delete(struct rowfs_db *db, const char *table, int64_t key, struct rowfs_err *err);

#endif /* ROWFS_FS_BYID_H */
