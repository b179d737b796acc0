/*
 * fs.h - the FUSE filesystem of the rowfs daemon.
 *
 * Module fs (fs/fuse_ops.c) owns struct fs, the daemon state that libfuse
 * hands to every callback as private_data, and the fuse_operations table.
 * The mount's root holds ctl (0600), rows, rows.csv, rows.ndjson, btree,
 * constants, stats, dump, check, changes, log (0444) and the directories by-id/ (a file per
 * row, and the temporary files of safe saves), range/, first/ and last/
 * (streamed slices of rows); see rowfs(1).
 *
 * Concurrency: libfuse calls the operations from several threads.  One
 * mutex in struct fs is held around every engine call and every use of a
 * handle's state, so each write() to ctl (one transaction) is atomic to
 * every reader.  Readers of the streamed files each hold an engine read
 * transaction, so they see one committed state for their whole life; one
 * ctl handle at a time may hold the write transaction between its writes
 * (an explicit transaction: the engine refuses a second writer).
 *
 * Threads: a read of `changes` with nothing to return blocks, and holds
 * one libfuse worker thread while it waits (not the mutex).  The daemon
 * runs at least FS_MAX_THREADS workers, and at most that many minus
 * FS_SPARE_THREADS readers may block at once, so ctl and the other files
 * (and FUSE_INTERRUPT) are always served; a read beyond that limit fails
 * with EAGAIN instead of blocking.  Single-threaded (-s), reads never
 * block.
 */
#ifndef ROWFS_FS_FS_H
#define ROWFS_FS_FS_H

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

#include "ctl.h"
#include "files.h"
#include "rowfs.h"
#include "tmpfile.h"

/* Worker threads of the multi-threaded loop, at least (libfuse's default is 10). */
#define FS_MAX_THREADS 64
/* Worker threads that blocked readers of `changes` never take. */
#define FS_SPARE_THREADS 16

struct fuse_operations;
struct fs_handle;
struct changes;
struct log;

/* The daemon's state: private_data of the FUSE session. */
struct fs {
	struct rowfs_db *db;    /* the open database; owned by the caller of fs_init */
	pthread_mutex_t lock;   /* serialises every engine call and handle state */
	int read_only;          /* the database was opened read-only */
	uid_t uid;              /* owner shown for every file */
	gid_t gid;              /* group shown for every file */
	time_t mount_time;      /* timestamps shown for every file */
	struct fs_handle *handles; /* open files (fi->fh), under lock */
	int writer_flushed;     /* the ctl handle holding the write transaction saw a flush
				   since its last write: maybe closing (fs/fuse_ops.c) */
	struct timespec writer_flush_time; /* when (CLOCK_MONOTONIC) */
	struct changes *changes;   /* history of the change feed (fs/changes.c), under lock */
	int single_thread;         /* the loop runs one thread: reads never block */
	struct ctl_budget ctl_budget; /* memory of every ctl handle's partial line and replies,
				      under lock; fs_init sets CTL_BUDGET_DEFAULT, the caller
				      may set its limit before the loop starts (-o ctl_memory) */
	struct tmpfiles tmpfiles;  /* the temporary files of by-id/ (fs/tmpfile.c), under
				      lock; fs_init sets TMPFILE_BYTES_DEFAULT, the caller may
				      set its limit before the loop starts (-o tmp_memory) */
	const char *db_path;       /* DBFILE (absolute), for statfs's free space; NULL: the
				      free pages only.  The caller's, set before the loop */
	struct log *log;           /* where the daemon's messages go (fs/log.h): NULL from
				      fs_init, set by the caller before the loop starts */
	struct files_text stats_text; /* the root `stats` a getattr rendered, which an open
				      within FS_STATS_KEEP_MS of the same commit reads (its
				      counters move with every read: so its st_size is what
				      the open reads); under lock */
	uint64_t stats_seq;        /* the commit stats_text shows */
	struct timespec stats_time; /* when it was rendered (CLOCK_MONOTONIC) */
};

/* How long a rendered `stats` text stays the one an open reads (see struct fs). */
#define FS_STATS_KEEP_MS 1000

/*
 * fs_init - set up fs for db (opened by the caller, who closes it after
 * the session ends), for a loop of FS_MAX_THREADS threads.  Returns 0 or
 * -errno (mutex creation, ENOMEM).
 */
int fs_init(struct fs *fs, struct rowfs_db *db);

/*
 * fs_set_threads - the loop will run max_threads worker threads (1:
 * single-threaded); sets how many readers of `changes` may block.  Call
 * before the loop starts.
 */
void fs_set_threads(struct fs *fs, unsigned max_threads);

/*
 * fs_release - free the handles the kernel never released (files still
 * open when the session ended; a partial line in them is dropped, not run)
 * and destroy the mutex.  Does not close the database.
 */
void fs_release(struct fs *fs);

/* fs_operations - the operations table to pass to fuse_new(). */
const struct fuse_operations *fs_operations(void);

#endif /* ROWFS_FS_FS_H */
