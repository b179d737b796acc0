/*
 * ctl.h - one open handle of the `ctl` file: line splitter and reply queue.
 *
 * Module ctl owns struct ctl (the per-handle state), struct ctl_queue (a
 * bounded FIFO of reply text) and the rule that turns one write() into one
 * transaction (CONTRACT.md, "Errors").  It does not know libfuse: the
 * statements run through a struct ctl_executor, which is the engine in the
 * daemon and a fake in tests/unit/check_ctl.c.  Callers serialise every call
 * on one struct ctl (the daemon holds its engine mutex around them).  The
 * memory all handles hold between calls is bounded by one struct
 * ctl_budget they share.
 */
#ifndef ROWFS_FS_CTL_H
#define ROWFS_FS_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rowfs.h"

struct log;

/*
 * Longest statement line in bytes, newline excluded (the engine's limit);
 * the engine rejects longer lines itself, so this only sizes the
 * partial-line buffer.
 */
#define CTL_MAX_LINE ROWFS_LINE_MAX

/*
 * Bytes kept of a line that has not seen its newline yet: the line, a
 * possible '\r' and one byte more, so that a kept overlong line is still
 * over the limit after the engine drops a trailing '\r'.  Bytes past this
 * are discarded until the newline; the line then fails with "Parse error:
 * line too long".  The buffer grows with the partial line (doubling from
 * CTL_PENDING_MIN), so a handle holds only what its partial line needs,
 * and a buffer past CTL_PENDING_KEEP is freed when its line completes.
 */
#define CTL_PENDING_SIZE (CTL_MAX_LINE + 2u)
#define CTL_PENDING_MIN 256u
#define CTL_PENDING_KEEP (64u * 1024u)

/*
 * The smallest write taken for a whole FUSE request of a longer write(2)
 * that the kernel split (requests are 128 KiB or 1 MiB): only after such
 * a write is a failing continued line's tail taken for the writer's retry.
 */
#define CTL_SPLIT_MIN (64u * 1024u)

/* Reply text kept per handle (and per write being staged), in bytes. */
#define CTL_QUEUE_LIMIT (256u * 1024u)

/* The daemon's default struct ctl_budget limit (-o ctl_memory), in bytes. */
#define CTL_BUDGET_DEFAULT ((size_t)64 * 1024 * 1024)

/*
 * One bound on the memory held for partial lines and replies by every
 * handle that shares it (all ctl handles of a daemon, and the import
 * handles, which are struct ctl too).  Charged, from its allocation to its
 * free: the allocated capacity of each handle's pending buffer and of the
 * buffers of its two queues (replies, staging); struct ctl itself and the
 * lines a write() runs straight from its own buffer are not.  Every
 * growth is charged before it is made, so used never passes limit:
 *   - a partial line that cannot grow is lost: when it completes (or at
 *     flush) it fails with ENOBUFS and "Error: out of buffer space: ctl
 *     handles hold N bytes of partial lines and replies (limit M); write
 *     shorter lines or read the replies", N and M from when it was lost;
 *   - a reply queue that cannot grow drops its oldest lines, as past its
 *     own limit ("(N replies dropped)"); a committed write never fails.
 * An idle handle keeps buffers of up to CTL_PENDING_KEEP and twice
 * QUEUE_KEEP_CAP (64 KiB each, fs/ctl.c); most hold a few hundred bytes.
 * Not thread-safe: callers serialise every ctl call on every handle that
 * shares one (the daemon holds its mutex around them).
 */
struct ctl_budget {
	size_t used;    /* bytes charged now (at most limit) */
	size_t limit;   /* most bytes charged at once */
};

/* ctl_budget_init - set up b with nothing charged and the given limit. */
void ctl_budget_init(struct ctl_budget *b, size_t limit);

/*
 * A bounded FIFO of reply text.  Pushing past the limit, or past what the
 * budget lets the buffer grow to, drops the oldest whole lines and counts
 * them; the next ctl_queue_pop() starts with "(N replies dropped)\n".  The
 * buffer never grows past twice the limit.
 */
struct ctl_queue {
	char *buf;          /* queued bytes are buf[head .. head + len) */
	size_t head;        /* offset of the oldest queued byte */
	size_t len;         /* queued bytes */
	size_t cap;         /* allocated size of buf */
	size_t limit;       /* most bytes queued at once */
	struct ctl_budget *budget; /* charged for cap, or NULL (unbounded) */
	uint64_t dropped;   /* lines dropped and not yet reported */
	char notice[48];    /* "(N replies dropped)\n" being returned */
	size_t notice_len;  /* length of notice */
	size_t notice_off;  /* bytes of notice already returned */
};

/*
 * ctl_queue_init - set up an empty queue holding at most limit bytes,
 * whose buffer is charged to budget (NULL: unbounded).  Allocates nothing.
 */
void ctl_queue_init(struct ctl_queue *q, size_t limit, struct ctl_budget *budget);

/* ctl_queue_release - free the queue's buffer; the queue is empty after. */
void ctl_queue_release(struct ctl_queue *q);

/*
 * ctl_queue_push - append len bytes of reply text, dropping the oldest
 * lines (of the queue, then of text itself) when the limit would be
 * passed, or when the budget does not let the buffer grow enough.
 * Returns 0, or -ENOMEM when malloc fails (the queue is unchanged then).
 */
int ctl_queue_push(struct ctl_queue *q, const char *text, size_t len);

/*
 * ctl_queue_move - append everything of src (and its drop count) to dst,
 * with the same dropping rule; src is empty afterwards.  When both share
 * one budget (or none) and dst is empty, the buffers are swapped.
 * Returns 0, or -ENOMEM (src is cleared all the same).
 */
int ctl_queue_move(struct ctl_queue *dst, struct ctl_queue *src);

/*
 * ctl_queue_pop - copy up to size bytes of the oldest text into buf and
 * remove them.  A pending drop notice comes first.  Returns the number of
 * bytes copied, 0 when nothing is queued.
 */
size_t ctl_queue_pop(struct ctl_queue *q, char *buf, size_t size);

/* ctl_queue_clear - forget every queued byte and the drop count. */
void ctl_queue_clear(struct ctl_queue *q);

/* Bytes a ctl_queue_pop() of unlimited size would return now. */
size_t ctl_queue_pending(const struct ctl_queue *q);

/*
 * What runs the statements of one write (a unit): begin at its first
 * line, exec per line, commit or rollback at its end; ctx is passed as
 * their first argument.  The engine's executor (ctl_executor_init_db)
 * maps them onto rowfs.h's transactions ("Units" there).
 */
struct ctl_executor {
	int (*begin)(void *ctx, struct rowfs_err *err);      /* the unit's first line comes */
	int (*exec)(void *ctx, const char *line, size_t len, /* one line, no '\n' */
		    rowfs_emit_fn emit, void *emit_ctx, struct rowfs_err *err);
	int (*commit)(void *ctx, struct rowfs_err *err);     /* the unit succeeded: make it durable */
	int (*rollback)(void *ctx, struct rowfs_err *err);   /* the unit failed: discard it */
	/*
	 * Count of transaction boundaries so far (rowfs_txn_boundaries):
	 * when a line moves it, every line up to that one is final (committed
	 * by `begin`/`commit`, or ended by `rollback`) whatever happens to
	 * the rest of the write.  NULL: lines are never final before commit.
	 */
	uint64_t (*boundaries)(void *ctx);
	void *ctx;                                           /* e.g. a struct ctl_session */
};

/*
 * The engine side of one ctl handle: the transaction its unit runs in.
 * At a unit's first line the handle takes the write transaction; when
 * another handle holds it (its explicit transaction is open), the unit
 * runs in a read transaction instead, where reads see the committed state
 * and writes, DDL and `begin` fail with EBUSY ("Error: database is busy:
 * another handle has a transaction open").  At the unit's end a read
 * transaction ends; the write transaction is committed (rolled back after
 * a failure), unless a `begin` left an explicit transaction open in it:
 * then the handle keeps it for its next writes, until `commit` or
 * `rollback`, or until ctl_session_end at release (which rolls it back).
 */
struct ctl_session {
	struct rowfs_db *db;      /* the database */
	struct rowfs_txn *txn;    /* the unit's transaction, or the write transaction kept
				     between units; NULL between units */
};

/* ctl_executor_init_db - an executor that runs statements of session s on its database. */
void ctl_executor_init_db(struct ctl_executor *ex, struct ctl_session *s);

/* ctl_session_holds_writer - 1 if s holds the write transaction. */
int ctl_session_holds_writer(const struct ctl_session *s);

/*
 * ctl_session_end - end whatever transaction s still holds (an explicit
 * transaction that was never committed is rolled back).
 */
void ctl_session_end(struct ctl_session *s);

/* Why the bytes of a partial line were lost (struct ctl, lost). */
enum ctl_lost {
	CTL_KEPT = 0,           /* not lost */
	CTL_LOST_MEMORY = 1,    /* realloc failed: the line fails with ENOMEM */
	CTL_LOST_BUDGET = 2     /* the budget refused: the line fails with ENOBUFS */
};

/*
 * Where the CSV framing of a partial line stands after its last byte
 * (struct ctl, csv_state; ctl_set_quoted_newlines).
 */
enum ctl_csv_state {
	CTL_CSV_FIELD_START = 0, /* at the start of a field: a '"' opens a quoted field */
	CTL_CSV_UNQUOTED = 1,    /* in an unquoted field: a '"' is a byte of it (which the
				    parser refuses), a '\n' ends the line */
	CTL_CSV_QUOTED = 2,      /* in a quoted field: a '\n' is data */
	CTL_CSV_QUOTE_SEEN = 3   /* a '"' in a quoted field: its end, or the first of a
				    doubled '""' */
};

/* Per open handle of `ctl`. */
struct ctl {
	char *pending;                  /* start of a line still waiting for '\n' (malloc'd) */
	size_t pending_len;             /* bytes in pending */
	size_t pending_cap;             /* bytes allocated (at most CTL_PENDING_SIZE) */
	int overlong;                   /* pending line passed CTL_PENDING_SIZE */
	int lost;                       /* enum ctl_lost: pending could not grow (its buffer
					   is freed then, pending_len 0) */
	size_t lost_used;               /* CTL_LOST_BUDGET: budget->used when it was lost */
	size_t lost_limit;              /* CTL_LOST_BUDGET: budget->limit then */
	int quoted_newlines;            /* ctl_set_quoted_newlines: '\n' in "..." is data */
	int csv_state;                  /* enum ctl_csv_state, with quoted_newlines: where the
					   partial line's last byte left the CSV framing */
	uint64_t lines_done;            /* lines done: committed or reported (ctl_line_number) */
	uint64_t line_no;               /* number of the line being run (ctl_line_number) */
	struct ctl_budget *budget;      /* charged for pending and the queues, or NULL */
	size_t retry_len;               /* a line begun in earlier writes failed in a write that
					   began with retry_len bytes through its newline (the
					   kernel's short count makes the writer send them again) */
	uint32_t retry_sum;             /* a checksum of those bytes */
	int retry_errno;                /* the errno that write returned */
	size_t last_write;              /* bytes of the previous write (a kernel split shows as
					   a write of a whole request: CTL_SPLIT_MIN or more) */
	struct ctl_queue replies;       /* replies of committed writes, for read() */
	struct ctl_queue staging;       /* replies of the write being run */
	struct log *log;                /* where errors are also reported (fs/log.h; NULL:
					   nowhere), ctl_set_log */
	char name[96];                  /* what log lines call the handle ("ctl",
					   "tables/T/import"), ctl_set_log */
	pid_t pid;                      /* the process whose write or flush runs, for log
					   lines (ctl_set_writer; 0: not known) */
};

/*
 * ctl_new - allocate an empty handle whose buffers are charged to budget
 * (shared by the handles it bounds; NULL: unbounded).  Allocates no
 * buffer yet.  Returns NULL when out of memory.
 */
struct ctl *ctl_new(struct ctl_budget *budget);

/*
 * ctl_free - free a handle and its queues (pending bytes are dropped);
 * everything it had charged to its budget is uncharged.
 */
void ctl_free(struct ctl *c);

/*
 * ctl_set_log - report every error that ends a write or flush to log as
 * well, once (when its text is queued for the handle's reader), as one
 * message "NAME pid PID line N: TEXT": name (copied, cut at 95 bytes)
 * says what the handle is ("ctl", "tables/t/import"), PID is
 * ctl_set_writer's, N is ctl_line_number (left out when TEXT already
 * starts with "line N: ", as import's do), TEXT the reader's text without
 * its newline.  At LOG_ERR for the errors that are not the statement's
 * fault (rowfs_rc_is_fatal: I/O, damage, disk full, out of memory), at
 * LOG_NOTICE for the others (a duplicate key, a syntax error, EBUSY).
 */
void ctl_set_log(struct ctl *c, struct log *log, const char *name);

/*
 * ctl_set_writer - the process whose write or flush runs next (the
 * daemon: the caller of the FUSE request), named by log lines.
 */
void ctl_set_writer(struct ctl *c, pid_t pid);

/*
 * ctl_set_quoted_newlines - on (1): CSV framing (RFC 4180) for
 * tables/T/import: a '\n' inside a double-quoted field does not end the
 * line.  As in RFC 4180 and the parser (engine/input.c), a field is quoted
 * when its first byte is '"', and then runs to the '"' that is not
 * doubled; a '"' anywhere else is a byte of an unquoted field (which the
 * parser refuses: the line still ends at its newline and fails there).
 * The state (enum ctl_csv_state) carries across writes with the partial
 * line; a line ends at the first '\n' outside a quoted field, and a flush
 * runs a partial line as it is.  Off (0, the default): every '\n' ends a
 * line.  Set it before the first write.
 */
void ctl_set_quoted_newlines(struct ctl *c, int on);

/*
 * ctl_line_number - the number (from 1) of the line the executor's exec
 * is running, for messages such as import's "line N: ...": lines_done +
 * the index of the line in the current write or flush + 1.  Valid only
 * during exec.  lines_done counts the lines of this handle that are done,
 * so that a client that goes on after each result numbers its lines as
 * the stream it writes:
 *   - a write returning n >= 0: the lines that end in buf[0..n) (all of
 *     them when n == size; after a short count the failing line is not
 *     done: the caller's retry runs it again under the same number);
 *   - a write returning -errno: the lines that ran, the failing one
 *     included (its error was reported; a client skips it, or gives up);
 *     after a failed commit, all lines of the write;
 *   - a flush: its line, whatever the result.
 */
uint64_t ctl_line_number(const struct ctl *c);

/*
 * ctl_write - run the complete lines of pending + buf[0..size) as one
 * transaction; keep a partial last line pending.  Returns:
 *   size        every line committed (replies are queued);
 *   0 < n < size  a statement failed after others: the lines before it
 *               committed, n counts the bytes of buf up to and including
 *               the newline of the last committed line; the failing line
 *               is not consumed and its error not queued.  Also after an
 *               I/O error, when a line before it was a transaction
 *               boundary (`begin`, `commit`, `rollback`): the lines
 *               through the boundary are final, the rest is rolled back,
 *               and n ends at the boundary;
 *   -errno      the first line to complete failed (its text is queued,
 *               nothing of buf applied), or begin/exec/commit failed with
 *               an I/O error ("Error: I/O error: ..." queued, nothing
 *               applied): EINVAL, EEXIST, EROFS, EIO, ENOSPC, ENOMEM,
 *               ENOBUFS (the first line was lost under the budget), and
 *               whatever else the executor's codes map to.
 */
ssize_t ctl_write(struct ctl *c, const struct ctl_executor *ex, const char *buf, size_t size);

/*
 * ctl_flush - run a pending partial line as a statement of its own, then
 * forget it (an open quote too); nothing to do when none is pending.
 * Returns 0 or -errno as for the first line of ctl_write().
 */
int ctl_flush(struct ctl *c, const struct ctl_executor *ex);

/*
 * ctl_read - return up to size bytes of queued replies; 0 when none.
 * Never blocks.
 */
size_t ctl_read(struct ctl *c, char *buf, size_t size);

#endif /* ROWFS_FS_CTL_H */
