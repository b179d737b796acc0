/*
 * access.h - one way to read and change a table, whatever its storage.
 *
 * The VM reaches every table through a struct access: the users table
 * (btree.h's fixed-cell tree, u32 keys, 36-byte rows) and the version-2
 * tables (table.h's slotted pages, int64 keys, records of record.h) look
 * the same from here: a key range walked forwards or backwards, rows as
 * arrays of struct value in declared column order, and point changes by
 * key with the row in its stored form (a "stored row": the 36-byte row of
 * users, the record of a version-2 table), which is also what the log
 * carries.
 *
 * A struct access holds a cursor; it must not be kept positioned across a
 * change to its table (the VM collects keys first, then changes).
 */
#ifndef ROWFS_ENGINE_ACCESS_H
#define ROWFS_ENGINE_ACCESS_H

#include <stdint.h>

#include "catalog.h"
#include "cursor.h"
#include "pager.h"
#include "record.h"
#include "row.h"
#include "rowfs.h"
#include "table.h"
#include "util.h"

/* A table opened for reading and changing. */
struct access {
	struct pager *pager;                    /* the database */
	const struct table_schema *schema;      /* the table */
	struct cursor ucur;                     /* users: the cursor */
	struct table_cursor tcur;               /* version-2 tables: the cursor */
	int eof;                                /* no row under the cursor */
	int64_t key;                            /* key of the row under the cursor */
	struct row row;                         /* users: the row decoded by access_values */
	struct value vals[RECORD_MAX_COLUMNS];  /* the row decoded by access_values / access_get */
	struct sbuf buf;                        /* the record access_get copied */
};

/* access_init - open schema's table in a (nothing is read yet). */
void access_init(struct access *a, struct pager *pager, const struct table_schema *schema);

/* access_reset - drop the cursor's position (its page references): before changes. */
void access_reset(struct access *a);

/* access_release - drop the cursor and free buffers; a may be initialised again. */
void access_release(struct access *a);

/*
 * Positioning: access_seek_ge - the first row with key >= key;
 * access_seek_le - the last row with key <= key; access_next / access_prev
 * - the row after / before the one under the cursor.  Each sets a->eof
 * when there is no such row, else a->key.  Keys outside users' 0..2^32-1
 * simply find nothing (or the nearest row) there.  ROWFS_OK, or
 * ROWFS_CORRUPT / I/O errors.
 */
int access_seek_ge(struct access *a, int64_t key, struct rowfs_err *err);
int access_seek_le(struct access *a, int64_t key, struct rowfs_err *err);
int access_next(struct access *a, struct rowfs_err *err);
int access_prev(struct access *a, struct rowfs_err *err);

/*
 * access_values - decode the row under the cursor into a->vals (the key
 * column holds the key); texts and blobs point into the page or a->row,
 * valid until the cursor moves.  ROWFS_OK or ROWFS_CORRUPT.
 */
int access_values(struct access *a, struct rowfs_err *err);

/*
 * access_get - point lookup: *found = 1 and the row decoded into a->vals
 * when key exists (the cursor is not moved; valid until the next
 * access_get or change).
 */
int access_get(struct access *a, int64_t key, int *found, struct rowfs_err *err);

/* access_contains - *found = 1 if key exists. */
int access_contains(struct access *a, int64_t key, int *found, struct rowfs_err *err);

/*
 * access_encode - the stored row of vals (column_count values in declared
 * order; the key column's value is ignored, key is used) into out
 * (replacing its contents).  The values must have passed
 * catalog_check_value.  ROWFS_OK, ROWFS_NOMEM, or users' row errors.
 */
int access_encode(const struct access *a, int64_t key, const struct value *vals,
		  struct sbuf *out, struct rowfs_err *err);

/*
 * Changes by key, the row in its stored form (access_encode):
 * access_insert (ROWFS_DUPLICATE "Error: duplicate key K." if present,
 * nothing changed), access_replace and access_delete (ROWFS_NOTFOUND if
 * absent).  Other errors may leave pages half changed: the caller rolls
 * back.
 */
int access_insert(struct access *a, int64_t key, const uint8_t *stored, size_t len,
		  struct rowfs_err *err);
int access_replace(struct access *a, int64_t key, const uint8_t *stored, size_t len,
		   struct rowfs_err *err);
int access_delete(struct access *a, int64_t key, struct rowfs_err *err);

#endif /* ROWFS_ENGINE_ACCESS_H */
