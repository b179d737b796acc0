/*
 * outfmt.h - rowsh's output: a growing byte buffer (struct outbuf) and
 * the typed renderings of select results (`.mode csv|json|box|line`):
 * a struct rowfs_sink whose callbacks write a result into an outbuf.
 * rowfs.h's rowfs_exec_sink() feeds it; list mode is the engine's own
 * text and needs nothing here.
 */
#ifndef ROWFS_SRC_OUTFMT_H
#define ROWFS_SRC_OUTFMT_H

#include <stddef.h>
#include <stdint.h>

#include "rowfs.h"

/* A growing byte buffer. */
struct outbuf {
	char *data;        /* malloc'd bytes, NULL while empty */
	size_t len;        /* bytes used */
	size_t cap;        /* bytes allocated */
};

/* outbuf_add - append text[0..len) to out; 0, or -1 when memory runs out. */
int outbuf_add(struct outbuf *out, const char *text, size_t len);

/* outbuf_release - free out's memory; it is empty again. */
void outbuf_release(struct outbuf *out);

/* outbuf_emit - rowfs_emit_fn appending to the struct outbuf ctx (1: out of memory). */
int outbuf_emit(void *ctx, const char *text, size_t len);

/* How a select's result is printed (`.mode`). */
enum outfmt_mode {
	OUTFMT_LIST = 0,   /* the engine's "(1, alice)" lines */
	OUTFMT_CSV,        /* a header of the column names, then RFC 4180 rows */
	OUTFMT_JSON,       /* [{"id":1,"username":"alice"},...] as sqlite3's json mode */
	OUTFMT_BOX,        /* sqlite3's box drawing */
	OUTFMT_LINE        /* sqlite3's line mode: "name = value" lines, a blank line between rows */
};

/* The modes' names, by enum outfmt_mode, and their count. */
extern const char *const outfmt_names[];
#define OUTFMT_COUNT 5u

/* outfmt_lookup - the mode named word[0..len) (ASCII case-insensitive), or -1. */
int outfmt_lookup(const char *word, size_t len);

/*
 * One result being rendered: outfmt_init, then rowfs_exec_sink() with
 * outfmt_sink()'s sink, then outfmt_finish() when the statement
 * succeeded, and outfmt_release() always.  csv, json and line go straight
 * into out; box keeps the cells until the column widths are known.
 */
struct outfmt {
	enum outfmt_mode mode; /* not OUTFMT_LIST */
	struct outbuf *out;    /* where the text goes */
	int started;           /* the columns came: a select's result is under way */
	unsigned ncols;        /* its columns */
	char **names;          /* their names (copies), ncols of them */
	size_t name_width;     /* line mode: the widest name's display width, at least 5 */
	uint64_t rows;         /* rows seen */
	int failed;            /* memory ran out */
	struct outbuf cells;   /* box mode: every cell's text, back to back, row by row */
	size_t *cell_end;      /* box mode: end offset in cells of each cell */
	size_t cell_count;     /* box mode: cells kept */
	size_t cell_cap;       /* box mode: room in cell_end */
};

/* outfmt_init - an empty rendering of a result in mode into out. */
void outfmt_init(struct outfmt *f, enum outfmt_mode mode, struct outbuf *out);

/* outfmt_sink - fill *sink with f's callbacks (for rowfs_exec_sink). */
void outfmt_sink(struct outfmt *f, struct rowfs_sink *sink);

/*
 * outfmt_finish - the statement succeeded: close the result (json's ']',
 * the whole box).  Nothing when no result came (not a select).  Returns
 * 0, or -1 when memory ran out at any point (the text is then partial).
 */
int outfmt_finish(struct outfmt *f);

/* outfmt_release - free what f kept. */
void outfmt_release(struct outfmt *f);

/*
 * outfmt_text_width - the terminal columns of text[0..len), UTF-8: each
 * code point's wcwidth(3) (a UTF-8 LC_CTYPE must be set: rowsh's main
 * sees to it), 1 for a byte that is not valid UTF-8 and for a code point
 * wcwidth does not know (the box shows both as one U+FFFD).
 */
size_t outfmt_text_width(const char *text, size_t len);

#endif /* ROWFS_SRC_OUTFMT_H */
