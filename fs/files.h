/*
 * files.h - the generated read-only files of the mount.
 *
 * Module files owns the per-handle state of the streamed files (struct
 * files_rows: `rows`, `rows.csv`, `rows.ndjson`, `range/A-B`, `first/N`,
 * `last/N`, a key cursor that re-seeks on every read; and `dump`, the
 * engine's dump of every table resumed from its position) and of `btree`,
 * `constants` and `stats` (struct files_text: the text rendered once at
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

/* The stream of `rows`, `rows.csv`, `rows.ndjson` or a range for one open handle. */
struct files_rows {
	enum render_format format;       /* line format */
	uint64_t start;                  /* first id of the stream (a restart goes back here) */
	uint64_t end;                    /* last id included (inclusive; UINT32_MAX for all) */
	uint64_t limit;                  /* most rows returned (UINT64_MAX: no limit) */
	uint64_t next_key;               /* first id not yet formatted (up to 2^32) */
	uint64_t count;                  /* rows formatted since the start */
	uint64_t pos;                    /* file offset the next sequential read has */
	char carry[RENDER_LINE_MAX];     /* rest of a line (or header) cut by the reader's buffer */
	size_t carry_len;                /* bytes in carry */
	size_t carry_off;                /* bytes of carry already returned */
	int footer_done;                 /* the format's last line was produced */
	struct rowfs_txn *txn;           /* the read transaction read through (the caller's) */
	struct rowfs_dump_pos dump;      /* RENDER_DUMP: where rowfs_dump goes on */
	char *spill;                     /* RENDER_DUMP: rest of a line cut by the reader's buffer
					    (dump lines have no fixed bound), malloc'd */
	size_t spill_len;                /* bytes in spill */
	size_t spill_off;                /* bytes of spill already returned */
	size_t spill_cap;                /* bytes allocated */
};

/*
 * files_rows_init - start a stream of the rows with start <= id <= end,
 * at most limit of them, in format (a CSV stream begins with its header).
 * files_rows_init(r, RENDER_TSV, 0, UINT32_MAX, UINT64_MAX, txn) is `rows`.
 * Every read sees the committed state of txn (the caller's read
 * transaction, open for the handle's whole life).
 */
void files_rows_init(struct files_rows *r, enum render_format format, uint64_t start,
		     uint64_t end, uint64_t limit, struct rowfs_txn *txn);

/* files_rows_release - free what a stream holds (the transaction is the caller's). */
void files_rows_release(struct files_rows *r);

/*
 * files_rows_read - fill buf with up to size bytes of the stream's text at
 * file offset off.  Whole lines are formatted straight into buf; a line
 * cut by the end of buf is finished by the next read.  A sequential read
 * continues after the last id returned (found again by key, so rows
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
	FILES_TEXT_CHECK       /* rowfs_check: `ok` or the findings */
};

/* A text rendered once, served by offset. */
struct files_text {
	char *buf;   /* the text (not NUL-terminated), malloc'd */
	size_t len;  /* its length */
	size_t cap;  /* allocated size of buf */
};

/*
 * files_text_render - render the text of kind into t (which must be zeroed
 * or released), of the state txn reads (the daemon: a read transaction
 * begun for the open, so the newest committed state).  Returns 0, or
 * -errno (ENOMEM, EIO, ESTALE) with err set; t holds nothing on failure.
 */
int files_text_render(struct files_text *t, enum files_text_kind kind, struct rowfs_txn *txn,
		      struct rowfs_err *err);

/* files_text_read - copy up to size bytes from offset off; 0 past the end. */
size_t files_text_read(const struct files_text *t, char *buf, size_t size, uint64_t off);

/* files_text_release - free the text; t is empty afterwards. */
void files_text_release(struct files_text *t);

#endif /* ROWFS_FS_FILES_H */
