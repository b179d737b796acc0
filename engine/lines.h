/*
 * lines.h - the engine's side of the lines of the renderings (rowfs.h's
 * enum rowfs_lines, engine/lines.c): their sizes, counted per row change
 * by the VM and per row by the scans that start the byte counts of a
 * table (rowfs_table_sizes).
 *
 * Pure: no pages, no I/O, no allocation (but rowfs_lines_init).
 */
#ifndef ROWFS_ENGINE_LINES_H
#define ROWFS_ENGINE_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "rowfs.h"

/* Every rendering, as a mask of ROWFS_LINES_BIT()s. */
#define LINES_ALL ((1u << ROWFS_LINES_COUNT) - 1u)

/*
 * The changes of one table in one transaction, as the renderings see
 * them: what the VM reports for the table a program changes.
 */
struct lines_delta {
	int changed;                       /* a row of the table was inserted, replaced or deleted */
	unsigned count;                    /* renderings whose line bytes are counted below (mask);
					      0: none, and rows is not counted either */
	int64_t rows;                      /* rows added (negative: removed) */
	int64_t bytes[ROWFS_LINES_COUNT];  /* line bytes added, per rendering in count */
};

/*
 * lines_shape - fill only what sizes need of t (no strings; t is not to be
 * released): users' lines (seed), or a table named table_len bytes long
 * with n columns whose names add up to names_len bytes.
 */
void lines_shape(struct rowfs_lines_table *t, int seed, size_t table_len, unsigned n,
		 size_t names_len);

/*
 * lines_sizes - out[l] = rowfs_line_size(l, t, vals, n) for every l in
 * mask (the other entries untouched), a real's text formatted once.
 */
void lines_sizes(const struct rowfs_lines_table *t, unsigned mask, const struct rowfs_value *vals,
		 unsigned n, uint64_t out[ROWFS_LINES_COUNT]);

/*
 * lines_seed_rows_size - the length of users' `rows` line of (id, a name
 * of name_len bytes, at most ROWFS_USERNAME_MAX): ID<TAB>NAME<LF>.  The one
 * count of that line (lines.c's writer counts with it too); inline for the
 * counting scan of a large users table, a few nanoseconds a row.
 */
static inline size_t lines_seed_rows_size(uint32_t id, size_t name_len)
{
	size_t digits = id < 10u ? 1 : id < 100u ? 2 : id < 1000u ? 3 : id < 10000u ? 4 :
			id < 100000u ? 5 : id < 1000000u ? 6 : id < 10000000u ? 7 :
			id < 100000000u ? 8 : id < 1000000000u ? 9 : 10;

	return digits + 1 + name_len + 1;
}

/*
 * lines_seed_sizes - lines_sizes of users' row (id, name[0..len)), for the
 * scan that counts users straight from its cells.
 */
void lines_seed_sizes(unsigned mask, uint32_t id, const char *name, size_t len,
		      uint64_t out[ROWFS_LINES_COUNT]);

/*
 * lines_count - count a row into d (sign 1: it came, -1: it went): rows
 * and the line bytes of the renderings in d->count; nothing when d->count
 * is 0.  Sets d->changed.
 */
void lines_count(struct lines_delta *d, const struct rowfs_lines_table *t,
		 const struct rowfs_value *vals, unsigned n, int sign);

#endif /* ROWFS_ENGINE_LINES_H */
