/*
 * conn.h - the database rowsh works on: a database file opened with the
 * engine (rowfs.h), or a mounted rowfs reached through its MNT/ctl, as a
 * client of the running daemon with a handle (and so a transaction) of
 * its own.  The shell runs statements in units (rowfs.h, "Units": the
 * lines of one chunk of input, or one terminal line) the same way on
 * both; conn.c says what each call does on each.
 */
#ifndef ROWFS_SRC_CONN_H
#define ROWFS_SRC_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "rowfs.h"

struct conn;

/*
 * Where a connection sends replies and reports failed statements.  A
 * file connection runs a statement at once (conn_exec returns its
 * result); a client queues it and runs it at conn_flush(), and reports
 * each failure to `failed` there, in order with the replies.
 */
struct conn_output {
	rowfs_emit_fn emit;   /* reply text of the statements */
	void *ctx;            /* emit's first argument */
	/*
	 * A queued statement (conn_exec's tag) failed with rc (the errno of
	 * the write mapped back to a code: rowfs_rc_is_fatal() tells a fatal
	 * one), err->msg its text.  Returns 1 to drop the statements queued
	 * after it (never run), 0 to go on.
	 */
	int (*failed)(void *ctx, uint64_t tag, int rc, const struct rowfs_err *err);
	void *failed_ctx;     /* failed's first argument */
};

/*
 * conn_is_mount - 1 if path is a directory with a `ctl` and a `constants`
 * file: a rowfs mountpoint (what `rowsh MNT` is given).
 */
int conn_is_mount(const char *path);

/*
 * conn_open_file - open the database cfg->path (rowfs_open).  Returns its
 * codes (ROWFS_LOCKED "database is locked", ...), *out NULL on failure.
 */
int conn_open_file(const struct rowfs_config *cfg, const struct conn_output *output,
		   struct conn **out, struct rowfs_err *err);

/*
 * conn_open_mount - open dir/ctl for reading and writing.  Returns
 * ROWFS_OK, ROWFS_IOERR with "cannot open 'DIR/ctl': strerror" (EROFS on
 * a read-only mount, EACCES, ...), ROWFS_NOMEM.
 */
int conn_open_mount(const char *dir, const struct conn_output *output, struct conn **out,
		    struct rowfs_err *err);

/* conn_is_client - 1 for a mount's client. */
int conn_is_client(const struct conn *c);

/* conn_lost - 1 once a client's ctl failed as a connection (the daemon is gone). */
int conn_lost(const struct conn *c);

/* conn_set_output - use *output from now on; *old (may be NULL) gets the one before. */
void conn_set_output(struct conn *c, const struct conn_output *output, struct conn_output *old);

/*
 * conn_unit_begin - start a unit.  File: the write transaction, unless an
 * explicit transaction is kept open from the unit before.  Client:
 * nothing (every write to ctl is a unit of the daemon).
 */
int conn_unit_begin(struct conn *c, struct rowfs_err *err);

/*
 * conn_exec - a statement line (no newline) in the unit.  File: it runs
 * now (rowfs_exec_sink: select results to sink when not NULL, replies to
 * the output's emit) and its code is returned (ROWFS_EXIT for `.exit`).
 * Client: it is queued, to be written to ctl with the statements queued
 * after it (up to CONN_WRITE_MAX bytes a write, one transaction of the
 * daemon), and ROWFS_OK is returned; a write happens at once when the
 * queue is full.  sink must be NULL for a client (ctl replies in text).
 */
int conn_exec(struct conn *c, const char *line, size_t len, uint64_t tag,
	      const struct rowfs_sink *sink, struct rowfs_err *err);

/*
 * conn_flush - run what a client queued (nothing for a file): the replies
 * to emit, the failures to failed.  Returns ROWFS_OK, or ROWFS_IOERR when
 * the connection was lost (also reported to failed; the rest dropped).
 */
int conn_flush(struct conn *c, struct rowfs_err *err);

/*
 * conn_boundaries - how many begin/commit/rollback the file's unit ran
 * (rowfs_txn_boundaries); 0 for a client, whose replies are final when
 * they are read.
 */
uint64_t conn_boundaries(const struct conn *c);

/*
 * conn_unit_commit - end the unit: a client flushes; a file commits the
 * write transaction unless an explicit transaction is open in it, which
 * goes on into the next unit.  Returns ROWFS_OK or the commit's (or the
 * flush's) error; a failed commit rolled back.
 */
int conn_unit_commit(struct conn *c, struct rowfs_err *err);

/*
 * conn_unit_rollback - a fatal error ended the unit: a file rolls the
 * write transaction back unless an explicit transaction is open in it
 * (the engine left that one FAILED: it goes on until `rollback`); a
 * client drops what it queued.
 */
void conn_unit_rollback(struct conn *c);

/*
 * conn_txn_open - 1 while an explicit transaction is open (begun and not
 * yet committed or rolled back).  A client tracks its own statements.
 */
int conn_txn_open(const struct conn *c);

/*
 * conn_query - run line now (after what a client queued) with its
 * replies to emit, inside the unit: the result is returned, never passed
 * to the output's failed.  For .import's reads (`.schema T`) and its
 * transaction control.
 */
int conn_query(struct conn *c, const char *line, size_t len, rowfs_emit_fn emit, void *ctx,
	       struct rowfs_err *err);

/*
 * conn_close - close; an explicit transaction still open is rolled back
 * (a client's by closing its handle).  Returns ROWFS_OK or rowfs_close's
 * error.  NULL is allowed.
 */
int conn_close(struct conn *c, struct rowfs_err *err);

/* Bytes of queued statements a client writes to ctl at a time (below a FUSE request). */
#define CONN_WRITE_MAX (64u * 1024u)

#endif /* ROWFS_SRC_CONN_H */
