/*
 * faultos.h - a fault-injecting `struct os` for unit tests.
 *
 * Owns: a call table that forwards to the real pread/pwrite/fdatasync/
 * ftruncate and can, on request,
 *   - fail the Nth pread, pwrite, fsync or ftruncate with a chosen errno
 *     (EIO, ENOSPC, ...), once or from then on;
 *   - tear the Nth pwrite: write only its first half, then either fail
 *     with EIO or report the whole write as done (a torn sector);
 *   - simulate power loss: in powerloss mode writes are kept in memory,
 *     served back to reads, and reach the real file only at fsync;
 *     faultos_power_cut() throws away everything not yet fsynced, now or
 *     (faultos_power_cut_at) in the middle of an operation, at the Nth
 *     pwrite, fsync or ftruncate.
 *
 * Usage:
 *
 *	struct faultos fo;
 *
 *	faultos_init(&fo);
 *	cfg.os = &fo.os;                    // or wal_open(&fo.os, ...)
 *	faultos_fail_sync_at(&fo, 1, EIO, 0);  // the next fsync fails
 *	...
 *	faultos_release(&fo);
 *
 * Counting: "the Nth call" counts calls of that kind from the moment of
 * arming, 1 being the very next call.  Each kind has one slot for a
 * failure (and pwrite one more for a tear); arming a slot again replaces
 * it.  Counters of all calls since faultos_init() are public fields.
 *
 * Power-loss model (faultos_powerloss_begin):
 *   - Unsynced data is tracked per file (device and inode), not per
 *     descriptor: as in a kernel page cache, every descriptor of the file
 *     sees it, and an fsync through any of them makes all of it durable.
 *     Closing a descriptor does not sync (os_close is not in the table).
 *   - A write past the end grows the real file at once (zero filled) so
 *     that fstat agrees with what the process wrote; the power cut shrinks
 *     it back to its size at the last fsync.
 *   - ftruncate is passed through and counts as durable at once.
 *   - A failed fsync (injected) loses the file's pending writes as Linux
 *     does after a writeback error: they stay visible to reads but never
 *     become durable, even if a later fsync succeeds.
 *   - After faultos_power_cut() the machine is "off": every call fails
 *     with EIO.  Close the database (its writes fail harmlessly), then
 *     reopen it with the real table (NULL / os_default()) to inspect what
 *     a reboot would find.
 *
 * Not thread-safe, like the engine.
 */
#ifndef ROWFS_TESTS_UNIT_FAULTOS_H
#define ROWFS_TESTS_UNIT_FAULTOS_H

#include <stddef.h>
#include <stdint.h>

#include "os.h"

/* How faultos_tear_write_at() tears a write. */
enum faultos_tear {
	FAULTOS_TEAR_EIO = 1,          /* write the first half, then fail with EIO */
	FAULTOS_TEAR_SILENT            /* write the first half, report all n bytes written */
};

/* One armed fault (internal; set through the faultos_*_at functions). */
struct faultos_arm {
	int armed;                     /* 1 while waiting to fire */
	uint64_t at;                   /* fires at this value of the call counter */
	int errnum;                    /* errno to fail with */
	int persistent;                /* keep failing every later call too */
	int tear;                      /* enum faultos_tear, 0 for a plain failure */
};

struct faultos_file;                   /* unsynced writes of one file (faultos.c) */

struct faultos {
	struct os os;                  /* hand &fo->os to the engine; os.ctx points here */

	uint64_t preads;               /* calls since faultos_init, failed ones included */
	uint64_t pwrites;
	uint64_t fsyncs;
	uint64_t ftruncates;
	uint64_t faults;               /* faults injected (failures and tears) */

	/* Internal state. */
	struct faultos_arm read_fail;      /* pread slot */
	struct faultos_arm write_fail;     /* pwrite failure slot */
	struct faultos_arm write_tear;     /* pwrite tear slot */
	struct faultos_arm sync_fail;      /* fsync slot */
	struct faultos_arm truncate_fail;  /* ftruncate slot */
	struct faultos_arm cut;            /* power cut slot (counts pwrite+fsync+ftruncate) */
	int powerloss;                     /* powerloss mode on */
	int dead;                          /* power was cut: every call fails */
	struct faultos_file **files;       /* files with unsynced writes */
	size_t file_count;                 /* entries in files */
	size_t file_cap;                   /* allocated entries */
};

/* faultos_init - set up a pass-through table with no fault armed. */
void faultos_init(struct faultos *fo);

/*
 * faultos_release - free what fo holds.  Unsynced powerloss-mode data is
 * discarded, as by a power cut.  fo may be initialised again afterwards.
 */
void faultos_release(struct faultos *fo);

/* faultos_disarm - cancel every armed fault (powerloss mode stays as is). */
void faultos_disarm(struct faultos *fo);

/*
 * faultos_fail_write_at - make the nth pwrite from now (n >= 1) fail with
 * errnum without writing anything; persistent: every later pwrite too.
 * ENOSPC there becomes ROWFS_FULL in os_write, EIO becomes ROWFS_IOERR.
 */
void faultos_fail_write_at(struct faultos *fo, unsigned n, int errnum, int persistent);

/*
 * faultos_fail_sync_at - make the nth fsync from now fail with errnum;
 * persistent: every later fsync too.  In powerloss mode the file's pending
 * writes are lost (see the model above).
 */
void faultos_fail_sync_at(struct faultos *fo, unsigned n, int errnum, int persistent);

/* faultos_fail_read_at - make the nth pread from now fail with errnum. */
void faultos_fail_read_at(struct faultos *fo, unsigned n, int errnum, int persistent);

/* faultos_fail_truncate_at - make the nth ftruncate from now fail with errnum. */
void faultos_fail_truncate_at(struct faultos *fo, unsigned n, int errnum, int persistent);

/*
 * faultos_tear_write_at - the nth pwrite from now writes only its first
 * n/2 bytes (rounded down), then fails with EIO (FAULTOS_TEAR_EIO) or
 * reports success for all of them (FAULTOS_TEAR_SILENT).  Once.
 */
void faultos_tear_write_at(struct faultos *fo, unsigned n, enum faultos_tear how);

/*
 * faultos_powerloss_begin - from now on keep writes in memory until the
 * file is fsynced.  Files are durable as they are at this moment.
 */
void faultos_powerloss_begin(struct faultos *fo);

/*
 * faultos_power_cut - lose every write not yet fsynced, shrink grown files
 * back to their durable size, and leave fo "off" (every call fails with
 * EIO) until faultos_release() and faultos_init().
 */
void faultos_power_cut(struct faultos *fo);

/*
 * faultos_power_cut_at - cut the power (faultos_power_cut) just before the
 * nth pwrite, fsync or ftruncate from now, counted together; that call and
 * every later one fail with EIO.  Use with powerloss mode to crash in the
 * middle of a commit or checkpoint.
 */
void faultos_power_cut_at(struct faultos *fo, unsigned n);

/* faultos_pending_bytes - bytes written and not yet durable (powerloss mode). */
uint64_t faultos_pending_bytes(const struct faultos *fo);

#endif /* ROWFS_TESTS_UNIT_FAULTOS_H */
