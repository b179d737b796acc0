/*
 * byid.h - the row files of by-id/: one file per row, named by its id,
 * holding its username and a newline.
 *
 * Module byid owns the per-handle state of a row file opened for writing
 * (struct byid_writer: the name line being written) and the three things
 * done to one row: look it up (in a read transaction of its own: the
 * newest committed state), insert-or-update it, delete it (each in the
 * write transaction, which fails with EBUSY while another handle holds
 * it).  It does not know libfuse.  Callers hold the engine mutex around
 * every call that takes a struct rowfs_db.
 *
 * Writing (see rowfs(1)): what one open file writes is one line, the new
 * username.  It is applied (insert if the row is absent, update if it is
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
 * Bytes kept of a name line before its newline.  Longer lines are
 * refused (EINVAL) without reaching the engine; anything up to this goes
 * to the lexer, which has the final word (32 bytes of name at most).
 */
#define BYID_LINE_MAX 128u

/* Bytes of a row file's text: the name and a newline. */
#define BYID_TEXT_MAX (RENDER_NAME_MAX + 1u)

/* A row file opened for writing. */
struct byid_writer {
	uint32_t id;                 /* the row */
	int created;                 /* the open created the file: the row was absent */
	int done;                    /* a line was applied: further writes are EINVAL */
	int overlong;                /* the line passed BYID_LINE_MAX */
	size_t len;                  /* bytes in line */
	char line[BYID_LINE_MAX];    /* the line so far, without its newline */
};

/* byid_writer_init - an empty writer of row id; created as for the field. */
void byid_writer_init(struct byid_writer *w, uint32_t id, int created);

/*
 * byid_write - take buf[0..size) for the writer's line; apply the line if
 * buf completes it.  Returns size, or -errno with err set and the row
 * unchanged: EINVAL (bad name, too long, a second line, a write after the
 * line was applied), EBUSY (another handle holds the write transaction),
 * EROFS, EIO, ENOSPC, ENOMEM.  After a failure the
 * writer is empty again (the caller may write a new line).
 */
ssize_t byid_write(struct byid_writer *w, struct rowfs_db *db, const char *buf, size_t size,
		   struct rowfs_err *err);

/*
 * byid_flush - apply a line that never got its newline.  With nothing
 * written at all: 0, or -EINVAL when the writer created the file and the
 * row still does not exist (a row cannot have an empty name: this is what
 * `touch by-id/ID` on a new id gets).  Returns 0 or -errno as byid_write.
 */
int byid_flush(struct byid_writer *w, struct rowfs_db *db, struct rowfs_err *err);

/* byid_pending - 1 if w created its file and has not applied a line yet. */
int byid_pending(const struct byid_writer *w);

/*
 * byid_lookup - the text of row id (username and '\n') in the newest
 * committed state into text (room for BYID_TEXT_MAX bytes) and its length
 * into *len; *found = 0 and *len = 0 when the row is absent.  One point
 * lookup in a read transaction of its own.
 * Returns 0 or -errno (EIO) with err set.
 */
int byid_lookup(struct rowfs_db *db, uint32_t id, int *found, char *text, size_t *len,
		struct rowfs_err *err);

/*
 * byid_upsert - set the username of row id to name[0..len) (no newline;
 * a trailing '\r' is dropped), inserting the row if it is absent, in one
 * write transaction.  Returns 0 or -errno as byid_write.
 */
int byid_upsert(struct rowfs_db *db, uint32_t id, const char *name, size_t len,
		struct rowfs_err *err);

/*
 * byid_delete - delete row id in one write transaction.
 * Returns 0 or -errno: ENOENT (no such row), EBUSY, EROFS, EIO, ENOSPC.
 */
int byid_delete(struct rowfs_db *db, uint32_t id, struct rowfs_err *err);

#endif /* ROWFS_FS_BYID_H */
