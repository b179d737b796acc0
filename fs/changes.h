/*
 * changes.h - the change feed behind the file `changes`.
 *
 * Module changes owns struct changes, the retained history of committed
 * statements, and struct changes_reader, the position of one open
 * `changes` handle.  It does not know libfuse: poll handles are opaque
 * pointers handed back through callbacks, so a unit test drives it with
 * a real database or by calling changes_append() directly.
 *
 * The feed is a byte stream of lines, as the engine's change hook renders
 * them ("SEQ insert ID NAME\n", "SEQ update ID NAME\n", "SEQ delete ID\n").
 * Every byte has a stream position (0 is the first byte appended since the
 * first reader attached).  The history keeps the bytes [base, end):
 *
 *   base <= min(reader keep) or a reader fell behind
 *   visible <= end: bytes past visible belong to a commit whose last
 *                   chunk has not arrived; no reader sees them yet
 *   end - base <= CHANGES_MAX_BYTES (except for one commit larger than
 *                   the bound: it is kept whole, alone)
 *
 * A reader's file offset O maps to stream position start + O, where
 * start is `visible` when it attached: a new reader begins at the end, and
 * a seek back into what it has read (bash's `read` does that) works while
 * the bytes are retained.  Its keep is the position of its latest read:
 * the history is trimmed up to the slowest reader's keep.  When a commit
 * would push the history past CHANGES_MAX_BYTES, the oldest whole lines
 * are dropped until it holds at most CHANGES_TRIM_BYTES plus the new text
 * (dropping a batch, not a line per commit, keeps the buffer moves rare).
 * A reader whose next position was dropped has fallen behind: its reads
 * fail with ESTALE from then on (sticky; reopen to start at the end).
 *
 * The hook is installed on the database when the first reader attaches
 * and removed when the last one detaches; the history is freed then, so
 * the feed costs nothing while nobody reads it.
 *
 * Locking: every function must be called with the caller's lock held (the
 * daemon's engine mutex, under which the engine calls the hook), the same
 * lock changes_wait() is given.
 */
#ifndef ROWFS_FS_CHANGES_H
#define ROWFS_FS_CHANGES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rowfs.h"

/* Most bytes of history kept (about 140,000 lines of insert). */
#define CHANGES_MAX_BYTES (8u << 20)
/* What an overflow trims the history down to (before the new text). */
#define CHANGES_TRIM_BYTES (CHANGES_MAX_BYTES / 4 * 3)

/* Called with a reader's poll handle when it becomes readable; owns it then. */
typedef void (*changes_notify_fn)(void *poll);
/* Called with a poll handle that is replaced or dropped unnotified. */
typedef void (*changes_drop_fn)(void *poll);

struct changes;

/* One open `changes` handle. */
struct changes_reader {
	struct changes_reader *prev_reader;  /* neighbours in the history's reader list */
	struct changes_reader *next_reader;
	uint64_t start;               /* stream position of file offset 0 */
	uint64_t keep;                /* position of the latest read: kept for rereads */
	uint64_t next;                /* position after the latest read (what poll looks at) */
	int behind;                   /* fell behind: every read fails with ESTALE */
	void *poll;                   /* poll handle to notify, or NULL */
	int sized;                    /* the caller's policy (fs/fuse_ops.c): its size was asked
					 through it, so a read at its end returns 0 */
};

/*
 * changes_new - an empty history for db; notify and drop (either may be
 * NULL) receive poll handles.  max_waiters is how many readers
 * changes_wait() lets block at once (0: none).  Returns NULL when out of
 * memory.
 */
struct changes *changes_new(struct rowfs_db *db, changes_notify_fn notify, changes_drop_fn drop,
			    unsigned max_waiters);

/* changes_set_max_waiters - change the limit of changes_new(). */
void changes_set_max_waiters(struct changes *c, unsigned max_waiters);

/*
 * changes_free - free the history.  Every reader must have detached
 * (fs_release detaches the handles the kernel never released first).
 */
void changes_free(struct changes *c);

/*
 * changes_attach - start reader r at the end of the feed (the newest
 * committed statement is before it).  The first reader installs the
 * engine hook.
 */
void changes_attach(struct changes *c, struct changes_reader *r);

/*
 * changes_detach - forget r (its poll handle goes to drop).  The last
 * reader removes the hook and frees the history.
 */
void changes_detach(struct changes *c, struct changes_reader *r);

/*
 * changes_read - copy whole lines from file offset off of r into buf (at
 * most size bytes; only committed statements); when the next line alone
 * does not fit in size bytes (a table's row may be megabytes of JSON,
 * a FUSE read at most 128 KiB), its first size bytes, and the next read
 * goes on from there.  Returns the byte count, 0 when nothing is there
 * yet (or size is 0), -ESTALE when r fell behind (from then on, always).
 * users' lines are at most CHANGES_LINE_MAX bytes.
 */
ssize_t changes_read(struct changes *c, struct changes_reader *r, char *buf, size_t size,
		     uint64_t off);

/* Longest line of the feed: a 20-digit seq, " update ", a 10-digit id, a name. */
#define CHANGES_LINE_MAX (20 + 8 + 10 + 1 + ROWFS_USERNAME_MAX + 1)

/*
 * changes_ready - poll events of r after its latest read (poll does not
 * know the file offset; this is right for sequential readers): 0, POLLIN
 * (a read returns lines) or POLLIN | POLLERR (it fell behind; a read
 * fails).
 */
unsigned changes_ready(const struct changes *c, const struct changes_reader *r);

/*
 * changes_set_poll - r wants poll to be notified at the next commit (the
 * handle it had before goes to drop).
 */
void changes_set_poll(struct changes *c, struct changes_reader *r, void *poll);

/*
 * changes_wait - block on the history's condition variable (releasing
 * lock, which the caller holds) until a commit or until timeout_ms have
 * passed.  Returns 0, or -EAGAIN without waiting when max_waiters readers
 * already wait.
 */
int changes_wait(struct changes *c, pthread_mutex_t *lock, unsigned timeout_ms);

/*
 * changes_append - add text (whole lines of commit seq) to the history;
 * last = 1 on the commit's final chunk makes the commit visible, wakes
 * waiters and notifies poll handles.  This is the engine hook's body;
 * tests call it directly.  Never fails: when memory runs out, the history
 * is dropped and every reader falls behind (never a silent gap).
 */
void changes_append(struct changes *c, uint64_t seq, const char *text, size_t len, int last);

/*
 * changes_size - the bytes of committed lines r's file offsets cover now:
 * the offset of its end (its st_size), growing with every commit.
 */
uint64_t changes_size(const struct changes *c, const struct changes_reader *r);

/* Bytes retained now (for tests and the man page's memory bound). */
size_t changes_retained(const struct changes *c);

#endif /* ROWFS_FS_CHANGES_H */
