/*
 * db_int.h - friends' view of a struct rowfs_db (check.c and unit tests).
 *
 * fs/ and src/ must not include this: they see only rowfs.h.
 */
#ifndef ROWFS_ENGINE_DB_INT_H
#define ROWFS_ENGINE_DB_INT_H

#include "pager.h"
#include "rowfs.h"

/* The pager of an open database (owned by the handle). */
struct pager *rowfs_db_pager(struct rowfs_db *db);

/* DBFILE path of an open database (owned by the handle). */
const char *rowfs_db_path(struct rowfs_db *db);

/*
 * db_check - the integrity check (engine/check.c) of the state the pager's
 * reads see now; rowfs_check() runs it inside a transaction's view.  Same
 * contract as rowfs_check().
 */
int db_check(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, uint64_t *problems,
	     struct rowfs_err *err);

#endif /* ROWFS_ENGINE_DB_INT_H */
