/*
 * sizes.h - what the engine remembers of each table between commits for
 * the files of the mount: the commit that last changed it and when, and
 * the committed byte counts of its renderings (rowfs_table_sizes).
 *
 * Module sizes owns struct sizes, one entry per table (by catalog id)
 * that was changed or counted since the database was opened, and the
 * list of the tables the open write transaction changed with their
 * deltas (struct lines_delta).  It reads no page: db.c feeds it
 *   - sizes_touch before a program that writes runs (the VM fills the
 *     delta it returns),
 *   - sizes_commit / sizes_rollback when the transaction ends,
 *   - sizes_reset after a recovery (the state on disk is whatever it is:
 *     every count is dropped and every table counts as changed then),
 *   - sizes_set_counts when a scan of the committed state counted a table.
 *
 * Counts are per rendering (mask of ROWFS_LINES_BIT): a table whose
 * `rows` was asked for counts only `rows`.  A table's counts follow its
 * changes only when they were known before the transaction first changed
 * it (d->count is taken then): counts started in the middle of a
 * transaction that changes the table, or a change made while its entry
 * could not be allocated, leave the table uncounted after the commit
 * (the next question scans again).  Never a wrong count.
 */
#ifndef ROWFS_ENGINE_SIZES_H
#define ROWFS_ENGINE_SIZES_H

#include <stdint.h>
#include <time.h>

#include "lines.h"
#include "rowfs.h"

/* What is known of one table. */
struct sizes_entry {
	int64_t id;                        /* catalog id (0: users) */
	uint64_t change_seq;               /* last commit that changed it (0: none since open) */
	struct timespec change_time;       /* when (CLOCK_REALTIME) */
	unsigned counted;                  /* renderings whose bytes[] are the committed state's */
	uint64_t rows;                     /* committed rows (when counted != 0) */
	uint64_t bytes[ROWFS_LINES_COUNT]; /* committed line bytes of each counted rendering */
	int touched;                       /* on the open transaction's list */
	int ddl;                           /* created or dropped by the open transaction */
	struct lines_delta delta;          /* the open transaction's changes */
};

struct sizes;

/* sizes_new - an empty record, opened at now (the time of unchanged tables).  NULL: ENOMEM. */
struct sizes *sizes_new(struct timespec now);

/* sizes_free - free; NULL is fine. */
void sizes_free(struct sizes *s);

/* sizes_find - the entry of table id, or NULL. */
struct sizes_entry *sizes_find(struct sizes *s, int64_t id);

/*
 * sizes_touch - table id is about to be changed by the open transaction:
 * its delta, counting the renderings counted now if this is the table's
 * first change in the transaction.  NULL when out of memory (the commit
 * then treats every table as changed and drops every count).
 */
struct lines_delta *sizes_touch(struct sizes *s, int64_t id);

/*
 * sizes_ddl - table id was created or dropped by the open transaction: it
 * is changed, and uncounted after the commit.
 */
void sizes_ddl(struct sizes *s, int64_t id);

/*
 * sizes_commit - the open transaction committed as seq at now: its
 * changed tables take seq and the time (strictly after the previous
 * change's, so two commits never show one time), their deltas are added
 * to the counts.
 */
void sizes_commit(struct sizes *s, uint64_t seq, struct timespec now);

/* sizes_rollback - the open transaction was discarded: forget its deltas. */
void sizes_rollback(struct sizes *s);

/*
 * sizes_reset - the state was reloaded from disk (recovery) at seq, now:
 * drop every count and the open transaction's deltas; every table counts
 * as changed by seq at now.
 */
void sizes_reset(struct sizes *s, uint64_t seq, struct timespec now);

/*
 * sizes_set_counts - a scan of the committed state found rows and, for the
 * renderings in mask, bytes[] of table id: remembered (ROWFS_NOMEM when
 * no entry could be made: nothing is remembered, and that is no error).
 */
int sizes_set_counts(struct sizes *s, int64_t id, unsigned mask, uint64_t rows,
		     const uint64_t bytes[ROWFS_LINES_COUNT]);

/*
 * sizes_change - the last change of table id, or of any table (creates
 * and drops included) when id < 0: *seq and *time, never before the open
 * or the last recovery (seq 0 and the open's time for a table unchanged
 * since the open).
 */
void sizes_change(const struct sizes *s, int64_t id, uint64_t *seq, struct timespec *time);

#endif /* ROWFS_ENGINE_SIZES_H */
