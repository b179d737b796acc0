/*
 * files.h - the generated read-only files of the mount.
 *
 * Module files owns the per-handle state of the streamed files (struct
 * files_rows: `rows`, `rows.csv`, `rows.ndjson`, `range/A-B`, `first/N`,
 * `last/N` of the root (users) and of every tables/T/, a key cursor that
 * re-seeks on every read; and `dump`, the engine's dump of every table
 * resumed from its position) and of `btree`, `constants`, `stats`,
 * `check`, `schema` (struct files_text: the text rendered once at
 * open).  It does not know libfuse.  Every read goes through a read
 * transaction of the engine that the caller opened for the handle (and
 * ends at release).  Callers hold the engine mutex around every call that
 * reads.
 */
#ifndef ROWFS_FS_FILES_H
#define ROWFS_FS_FILES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "render.h"
#include "rowfs.h"

/* The stream of `rows`, `rows.csv`, `rows.ndjson`, a range or `dump` for one open handle. */
struct files_rows {
	enum render_format format;       /* line format */
	char table[ROWFS_NAME_MAX + 1];  /* the table ("": users) */
	struct rowfs_lines_table *lines; /* the table's names for its lines (owned; users:
					    Part 1's lines) */
	int64_t start;                   /* first key of the stream (a restart goes back here) */
	int64_t end;                     /* last key included (inclusive) */
	uint64_t limit;                  /* most rows returned (UINT64_MAX: no limit) */
	int64_t next_key;                /* first key not yet formatted */
	int keys_done;                   /* the last key (INT64_MAX, or end) was formatted */
	uint64_t count;                  /* rows formatted since the start */
	uint64_t pos;                    /* file offset the next sequential read has */
	char *carry;                     /* rest of a line (or header) cut by the reader's
					    buffer (malloc'd, grows with the longest line) */
	size_t carry_len;                /* bytes in carry */
	size_t carry_off;                /* bytes of carry already returned */
	size_t carry_cap;                /* bytes allocated */
	struct rowfs_txn *txn;           /* the read transaction read through (the caller's) */
	struct rowfs_dump_pos dump;      /* RENDER_DUMP: where rowfs_dump goes on */
};

/*
 * files_rows_init - start a stream of the rows of table (NULL or "":
 * users) with start <= key <= end, at most limit of them, in format (a
 * CSV stream begins with its header).  lines: the table's names
 * (rowfs_lines_init; malloc'd, the stream owns it from here, also on
 * failure; NULL is -ENOMEM, but for RENDER_DUMP, which needs none).  With lines of users, files_rows_init(r,
 * NULL, lines, RENDER_TSV, 0, INT64_MAX, UINT64_MAX, txn) is `rows`.
 * Every read sees the committed state of txn (the caller's read
 * transaction, open for the handle's whole life).  Returns 0 or -ENOMEM
 * (r is released then).
 */
int files_rows_init(struct files_rows *r, const char *table, struct rowfs_lines_table *lines,
		    enum render_format format, int64_t start, int64_t end, uint64_t limit,
		    struct rowfs_txn *txn);

/*
 * files_rows_size - into *size, the exact byte count a stream of these
 * arguments (as files_rows_init takes them; lines is only read) reads
 * through txn: `dump` is rowfs_dump_size; a stream of the whole table
 * (start the lowest key there can be, end INT64_MAX, no limit) is the
 * header and the engine's byte count of the rendering (rowfs_table_sizes:
 * no scan once the table is counted); any other range adds up the line
 * sizes of the rows it holds (a scan bounded by the range and the limit,
 * as costly as reading it).  0 or -errno with err set.
 */
int files_rows_size(const char *table, const struct rowfs_lines_table *lines,
		    enum render_format format, int64_t start, int64_t end, uint64_t limit,
		    struct rowfs_txn *txn, uint64_t *size, struct rowfs_err *err);

/* files_rows_release - free what a stream holds (the transaction is the caller's). */
void files_rows_release(struct files_rows *r);

/*
 * files_rows_read - fill buf with up to size bytes of the stream's text at
 * file offset off.  Whole lines are formatted straight into buf; a line
 * cut by the end of buf is finished by the next read.  A sequential read
 * continues after the last key returned (found again by key, so rows
 * inserted meanwhile appear in order and none repeats); offset 0 restarts;
 * any other offset restarts and skips bytes up to it.
 * Returns the byte count (0 at the end) or -errno (EIO) with err set.
 */
ssize_t files_rows_read(struct files_rows *r, char *buf, size_t size, uint64_t off,
			struct rowfs_err *err);

/* Which text a struct files_text holds. */
enum files_text_kind {
	FILES_TEXT_BTREE,      /* rowfs_render_btree */
	FILES_TEXT_CONSTANTS,  /* rowfs_render_constants */
	FILES_TEXT_STATS,      /* rowfs_render_stats */
	FILES_TEXT_CHECK,      /* rowfs_check: `ok` or the findings */
	FILES_TEXT_TABLE_BTREE, /* rowfs_render_table_btree of a table */
	FILES_TEXT_TABLE_STATS, /* rowfs_table_stats of a table, `name: value` lines */
	FILES_TEXT_SCHEMA       /* `.schema T`: the table's normalized create statements */
};

/* A text rendered once, served by offset. */
struct files_text {
	char *buf;   /* the text (not NUL-terminated), malloc'd */
	size_t len;  /* its length */
	size_t cap;  /* allocated size of buf */
};

/*
 * files_text_render - render the text of kind (of table, for the TABLE
 * kinds and SCHEMA; NULL: users) into t (which must be zeroed
 * or released), of the state txn reads (the daemon: a read transaction
 * begun for the open, so the newest committed state).  Returns 0, or
 * -errno (ENOMEM, EIO, ESTALE) with err set; t holds nothing on failure.
 */
int files_text_render(struct files_text *t, enum files_text_kind kind, const char *table,
		      struct rowfs_txn *txn, struct rowfs_err *err);

/* files_text_read - copy up to size bytes from offset off; 0 past the end. */
size_t files_text_read(const struct files_text *t, char *buf, size_t size, uint64_t off);

/* files_text_release - free the text; t is empty afterwards. */
void files_text_release(struct files_text *t);

#endif /* ROWFS_FS_FILES_H */
