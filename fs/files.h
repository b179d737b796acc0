/*
 * files.h - the generated read-only files of the mount.
 *
 * Module files owns the per-handle state of `rows` (struct files_rows: a
 * key cursor that re-seeks on every read) and of `btree`, `constants` and
 * `stats` (struct files_text: the text rendered once at open).  It does not
 * know libfuse.  Callers hold the engine mutex around every call that takes
 * a struct rowfs_db.
 */
#ifndef ROWFS_FS_FILES_H
#define ROWFS_FS_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rowfs.h"

/* Longest `rows` line kept whole between reads (id, tab, name, newline). */
#define FILES_ROW_LINE_MAX 128u

/* The stream of `rows` for one open handle. */
struct files_rows {
	uint64_t next_key;               /* first id not yet formatted (up to 2^32) */
	uint64_t pos;                    /* file offset the next sequential read has */
	char carry[FILES_ROW_LINE_MAX];  /* rest of a line cut by the reader's buffer */
	size_t carry_len;                /* bytes in carry */
	size_t carry_off;                /* bytes of carry already returned */
};

/* files_rows_init - start a stream at the first row. */
void files_rows_init(struct files_rows *r);

/*
 * files_rows_read - fill buf with up to size bytes of `rows` text at file
 * offset off.  Whole lines are formatted straight into buf; a line cut by
 * the end of buf is finished by the next read.  A sequential read continues
 * after the last id returned (found again by key, so rows inserted
 * meanwhile appear in order and none repeats); offset 0 restarts; any other
 * offset rescans from the first row, skipping bytes.
 * Returns the byte count (0 at the end) or -errno (EIO) with err set.
 */
ssize_t files_rows_read(struct files_rows *r, struct rowfs_db *db, char *buf, size_t size,
			uint64_t off, struct rowfs_err *err);

/* Which text a struct files_text holds. */
enum files_text_kind {
	FILES_TEXT_BTREE,      /* rowfs_render_btree */
	FILES_TEXT_CONSTANTS,  /* rowfs_render_constants */
	FILES_TEXT_STATS       /* rowfs_render_stats */
};

/* A text rendered once, served by offset. */
struct files_text {
	char *buf;   /* the text (not NUL-terminated), malloc'd */
	size_t len;  /* its length */
	size_t cap;  /* allocated size of buf */
};

/*
 * files_text_render - render the text of kind into t (which must be zeroed
 * or released).  Returns 0, or -errno (ENOMEM, EIO) with err set; t holds
 * nothing on failure.
 */
int files_text_render(struct files_text *t, enum files_text_kind kind, struct rowfs_db *db,
		      struct rowfs_err *err);

/* files_text_read - copy up to size bytes from offset off; 0 past the end. */
size_t files_text_read(const struct files_text *t, char *buf, size_t size, uint64_t off);

/* files_text_release - free the text; t is empty afterwards. */
void files_text_release(struct files_text *t);

#endif /* ROWFS_FS_FILES_H */
