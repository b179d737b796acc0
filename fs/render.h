/*
 * render.h - one row as a line of text, in each format the mount serves.
 *
 * Module render owns the line formats of `rows` (TSV), `rows.csv` and
 * `rows.ndjson` (see rowfs(1)) and the decimal form of ids used for the
 * names in by-id/.  It is pure: no allocation, no engine call, no libfuse;
 * every function writes into a caller's buffer of RENDER_LINE_MAX bytes
 * and returns the length written.
 */
#ifndef ROWFS_FS_RENDER_H
#define ROWFS_FS_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "rowfs.h"

/* The line formats. */
enum render_format {
	RENDER_TSV,     /* `ID<TAB>USERNAME\n` (the `rows` file) */
	RENDER_CSV,     /* RFC 4180 fields, LF line ends, header `id,username` */
	RENDER_NDJSON,  /* `{"id":ID,"username":"USERNAME"}\n` */
	RENDER_DUMP     /* `insert ID USERNAME\n` between `begin\n` and `commit\n` (the `dump` file) */
};

/*
 * Longest username rendered, in bytes (the engine's limit); a longer one
 * would be cut here, never overflow.
 */
#define RENDER_NAME_MAX ROWFS_USERNAME_MAX

/*
 * Room every render_* call may use.  The longest line is NDJSON with every
 * name byte escaped as \u00XX: 6 + 10 + 13 + 6 * 32 + 3 = 224 bytes.
 */
#define RENDER_LINE_MAX 256u

/* Longest decimal form of a uint32_t. */
#define RENDER_U32_MAX 10u

/* render_u32 - v in decimal (no NUL) at dst; returns its length (1..10). */
size_t render_u32(char *dst, uint32_t v);

/*
 * render_header - the line that starts a file of format f at dst
 * (`id,username\n` for CSV, `begin\n` for a dump, nothing for the others);
 * returns its length.
 */
size_t render_header(enum render_format f, char *dst);

/*
 * render_footer - the line that ends a file of format f at dst (`commit`
 * for a dump); returns its length, 0 for formats without one.
 */
size_t render_footer(enum render_format f, char *dst);

/*
 * render_row - the line of one row in format f at dst (RENDER_LINE_MAX
 * bytes of room), newline included; returns its length.  name_len above
 * RENDER_NAME_MAX is cut to it.
 */
size_t render_row(enum render_format f, char *dst, uint32_t id, const char *name,
		  size_t name_len);

/*
 * Rows of the other tables (typed values; `tables/T/rows`, `rows.csv`,
 * `rows.ndjson`): a line's fields are the engine's text forms of its
 * values (rowfs_value_text):
 *   RENDER_TSV     ROWFS_FORM_COPY fields, TAB-separated
 *   RENDER_CSV     ROWFS_FORM_CSV fields, comma-separated; the header line
 *                  holds the column names
 *   RENDER_NDJSON  {"col":JSON,...} with every column in declared order
 * Lines end in LF.  A line has no bound (a row may hold megabytes): the
 * caller sizes it with render_values_size first.
 */
struct render_table {
	unsigned n;                             /* columns */
	char *header;                           /* the CSV header line, LF included (malloc'd) */
	size_t header_len;                      /* its length */
	char *keys;                             /* JSON prefixes `{"c0":` `,"c1":` ... (malloc'd) */
	size_t key_off[ROWFS_COLUMNS_MAX + 1];  /* prefix i is keys[key_off[i] .. key_off[i+1]) */
};

/* render_table_init - the names of info's columns, ready to render.  0 or -ENOMEM. */
int render_table_init(struct render_table *t, const struct rowfs_table_info *info);

/* render_table_release - free what t holds; t is empty after (releasing twice is fine). */
void render_table_release(struct render_table *t);

/* render_values_size - exact length of the line render_values writes. */
size_t render_values_size(enum render_format f, const struct render_table *t,
			  const struct rowfs_value *vals, unsigned n);

/*
 * render_values_bound - an upper bound of render_values_size, found
 * without formatting a value (every escape assumed, a real's longest
 * form): when it fits the reader's buffer the line is written straight
 * there and its exact size never computed.
 */
size_t render_values_bound(enum render_format f, const struct render_table *t,
			   const struct rowfs_value *vals, unsigned n);

/* render_values - the line of vals[0..n) in f at dst (render_values_size bytes). */
size_t render_values(enum render_format f, const struct render_table *t,
		     const struct rowfs_value *vals, unsigned n, char *dst);

#endif /* ROWFS_FS_RENDER_H */
