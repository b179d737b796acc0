/*
 * rowfs.h - the public API of the rowfs engine.
 *
 * This is the only engine header that fs/ and src/ may include.  A
 * `struct rowfs_db` is one open database (file + WAL), owned by one process
 * (an flock on DBFILE).  It is not thread-safe: callers serialise every call
 * on one handle (the FUSE layer holds one mutex around them).
 *
 * Error convention: every fallible function returns an enum rowfs_rc and
 * fills a caller-supplied struct rowfs_err with the code, the saved errno of
 * a failed system call (or 0) and a message written where the error was
 * detected.  Messages of statement errors are exactly the contract's texts
 * ("Error: duplicate key 42.", "Parse error: ..."); callers print msg and
 * never build their own text.  rowfs_errno() maps a code to the errno the
 * filesystem returns.
 *
 * Transactions: rowfs_begin() opens one, rowfs_exec() runs statements in it,
 * rowfs_commit() makes them durable (one WAL frame and, with sync=full, one
 * fsync), rowfs_rollback() discards them.  A statement that fails with a
 * statement error (token/parse/duplicate/too long/read-only) changes nothing,
 * so the transaction may go on; after an error rowfs_rc_is_fatal() names
 * (ROWFS_IOERR, ROWFS_NOMEM, ROWFS_CORRUPT, ROWFS_FULL, ROWFS_ERROR) the
 * caller must roll back.
 */
#ifndef ROWFS_ENGINE_ROWFS_H
#define ROWFS_ENGINE_ROWFS_H

#include <stddef.h>
#include <stdint.h>

enum rowfs_rc {
	ROWFS_OK = 0,
	ROWFS_ERROR,     /* generic failure (usage) */
	ROWFS_NOMEM,     /* out of memory */
	ROWFS_IOERR,     /* a system call failed; the engine refuses writes until recovered */
	ROWFS_CORRUPT,   /* bytes on disk break an invariant */
	ROWFS_FULL,      /* disk full (ENOSPC) */
	ROWFS_READONLY,  /* write on a read-only database */
	ROWFS_TOKEN,     /* tokenizer: unexpected character */
	ROWFS_SYNTAX,    /* parser: wrong/missing token, unknown command, NUL, line too long */
	ROWFS_RANGE,     /* id negative or out of range */
	ROWFS_TOOLONG,   /* username longer than USERNAME_SIZE */
	ROWFS_DUPLICATE, /* insert of an existing key; create of an existing table */
	ROWFS_NOTFOUND,  /* no such key; no such table */
	ROWFS_LOCKED,    /* another process owns the database */
	ROWFS_NOTADB,    /* the file is not a rowfs database */
	ROWFS_META,      /* unrecognized meta-command */
	ROWFS_EXIT,      /* `.exit` was executed: not an error, the caller stops */
	ROWFS_BUSY,      /* another handle's transaction is open */
	ROWFS_STALE,     /* snapshot too old: expired to bound the version store */
	ROWFS_TXN,       /* begin/commit/rollback in the wrong transaction state */
	ROWFS_TOOBIG,    /* the transaction's log would pass its bound (txn_log_max) */
	ROWFS_SCHEMA,    /* a statement does not fit the schema: no such column, wrong type, NULL
			    into not null, wrong number of values, order by without an index */
	ROWFS_PERM       /* not permitted: dropping the users table */
};

/* Error detail, filled where the error is detected. */
struct rowfs_err {
	int rc;          /* enum rowfs_rc */
	int sys_errno;   /* errno of the failed system call, or 0 */
	char msg[256];   /* human-readable message, contract text for statement errors */
};

/* Durability of commits (see rowfs(1) and CONTRACT.md). */
enum rowfs_sync {
	ROWFS_SYNC_FULL = 0,   /* fsync the WAL at every commit */
	ROWFS_SYNC_NORMAL,     /* fsync at checkpoints only */
	ROWFS_SYNC_OFF         /* never fsync */
};

struct os;  /* engine/os.h: replaceable I/O table (tests inject faults) */

/* How to open a database.  Zero-initialise, then set what you need. */
struct rowfs_config {
	const char *path;          /* DBFILE; the WAL is DBFILE-wal */
	int read_only;             /* never modify DBFILE or its WAL; shared lock */
	int sync;                  /* enum rowfs_sync */
	uint32_t cache_pages;      /* page cache size in pages; 0 = default 2048 */
	uint64_t wal_limit;        /* auto-checkpoint when the WAL passes this many bytes; 0 = default */
	uint32_t snapshot_pages;   /* bound of the snapshot version store in pages; 0 = default */
	const struct os *os;       /* NULL = the real OS */
	int for_check;             /* with read_only: the open is for rowfs_check (fsck.rowfs):
				      a catalog that does not load leaves users only instead of
				      failing the open, and the check reports what is wrong */
	uint32_t txn_part_bytes;   /* log bytes a transaction keeps in memory before writing
				      them to the WAL as a part (rowfs(5)); 0 = default */
	uint64_t txn_log_max;      /* largest log of one transaction, bytes (the statement that
				      would pass it fails with ROWFS_TOOBIG); 0 = default */
};

/* Limits a caller sizes buffers by (equal to format.h's USERNAME_SIZE and MAX_LINE_SIZE). */
#define ROWFS_USERNAME_MAX 32u      /* longest username, bytes */
#define ROWFS_LINE_MAX 4194304u     /* longest statement line (4 MiB), bytes, newline excluded */

#define ROWFS_DEFAULT_CACHE_PAGES 2048u
#define ROWFS_DEFAULT_WAL_LIMIT (64ull << 20)
#define ROWFS_DEFAULT_SNAPSHOT_PAGES 16384u   /* 64 MiB of old page images */
#define ROWFS_DEFAULT_TXN_PART_BYTES (8u << 20)  /* 8 MiB */
#define ROWFS_DEFAULT_TXN_LOG_MAX (4ull << 30)   /* 4 GiB */

struct rowfs_db;

/* Engine statistics, as printed by `.stats` and the `stats` file. */
struct rowfs_stats {
	uint64_t rows;
	uint32_t depth;
	uint32_t pages;          /* page count of the database, page 0 included */
	uint32_t free_pages;
	uint32_t cache_pages;    /* configured cache size */
	uint64_t cache_hits;
	uint64_t cache_misses;
	uint64_t commits;        /* transactions made durable */
	uint64_t statements;     /* statements executed (ok or not) */
	uint64_t errors;         /* statements that failed */
	uint64_t wal_frames;     /* frames in the WAL now */
	uint64_t wal_bytes;      /* size of the WAL now */
	uint64_t checkpoints;    /* checkpoints since open */
	uint64_t fsyncs;         /* fsync calls since open */
	uint32_t snapshots;      /* open snapshots (readers, a transaction's base) */
	uint32_t snapshot_pages; /* old page images kept for them */
	uint64_t snapshots_expired; /* snapshots expired since open (their readers got ESTALE) */
};

/*
 * Reply sink: receives reply text (with trailing newlines) in pieces.
 * Returns 0 to go on, non-zero to stop (ROWFS_NOMEM is reported).
 */
typedef int (*rowfs_emit_fn)(void *ctx, const char *text, size_t len);

/*
 * Row callback for rowfs_scan(): one row, username not NUL-terminated.
 * Returns 0 to go on, non-zero to stop the scan (not an error).
 */
typedef int (*rowfs_row_fn)(void *ctx, uint32_t id, const char *name, size_t name_len);

/*
 * rowfs_open - open (creating if missing) the database at cfg->path.
 * Takes the lock, reads the header, recovers from the WAL.
 * Returns ROWFS_OK and *out, or ROWFS_LOCKED ("database is locked"),
 * ROWFS_NOTADB ("not a rowfs database: ..."), ROWFS_IOERR, ROWFS_CORRUPT,
 * ROWFS_NOMEM; *out is NULL on failure.
 */
int rowfs_open(const struct rowfs_config *cfg, struct rowfs_db **out, struct rowfs_err *err);

/*
 * rowfs_close - roll back an open transaction, checkpoint (unless read-only
 * or in the error state), release the lock and free the handle.  The handle
 * is freed whatever the result; returns the first error met.
 */
int rowfs_close(struct rowfs_db *db, struct rowfs_err *err);

/*
 * rowfs_begin - start a transaction.  If the engine is in the error state
 * after an I/O failure it first tries to recover from disk.
 * Returns ROWFS_OK, or ROWFS_IOERR if recovery failed.
 */
int rowfs_begin(struct rowfs_db *db, struct rowfs_err *err);

/*
 * rowfs_exec - run one statement line (no newline; a trailing '\r' is
 * dropped; len may be up to any size: longer than MAX_LINE_SIZE is the
 * "line too long" error).  Reply text goes to emit ("Executed.\n", select
 * rows, ...); on failure nothing is emitted and err->msg holds the text.
 * Blank lines return ROWFS_OK and emit nothing.  Runs inside the current
 * transaction (rowfs_begin must have been called).
 * Returns ROWFS_OK, ROWFS_EXIT for `.exit`, or an error code.
 */
int rowfs_exec(struct rowfs_db *db, const char *line, size_t len,
	       rowfs_emit_fn emit, void *ctx, struct rowfs_err *err);

/*
 * rowfs_complete - 0 if line[0..len) (no newline) is the start of an SQL
 * statement that more text could complete: the line reads as an SQL form
 * (create table, drop table, insert into, select ... from, update ... set,
 * delete from: parser.c's dispatch) and its parse fails at the
 * statement's end, where the grammar needs another token ("got EOF"), as
 * in "create table t (" or "select *".  1 for every other line: a
 * complete statement, one with an error before its end, a seed
 * statement, a meta-command, a blank line.  Pure: needs no database and
 * runs nothing.  rowsh joins the lines of a statement with it.
 */
int rowfs_complete(const char *line, size_t len);

/*
 * rowfs_commit - make the transaction durable.  No-op (no fsync) if it
 * changed nothing.  On failure the transaction is rolled back and the engine
 * is in the error state.  Returns ROWFS_OK, ROWFS_IOERR, ROWFS_FULL.
 */
int rowfs_commit(struct rowfs_db *db, struct rowfs_err *err);

/* rowfs_rollback - discard the transaction's changes. */
int rowfs_rollback(struct rowfs_db *db, struct rowfs_err *err);

/* rowfs_checkpoint - copy every committed change into DBFILE, reset the WAL. */
int rowfs_checkpoint(struct rowfs_db *db, struct rowfs_err *err);

/*
 * rowfs_scan - call fn for every row with id >= start, in key order, until
 * fn returns non-zero or the rows end.  start may be 2^32 (no rows).
 * Returns ROWFS_OK or an I/O / corruption error.
 */
int rowfs_scan(struct rowfs_db *db, uint64_t start, rowfs_row_fn fn, void *ctx,
	       struct rowfs_err *err);

/*
 * rowfs_get - point lookup: *found = 1 and the username copied into
 * name[0..*name_len) (name must hold 32 bytes) if id is in the table.
 * Returns ROWFS_OK or an I/O / corruption error.
 */
int rowfs_get(struct rowfs_db *db, uint32_t id, int *found, char *name, size_t *name_len,
	      struct rowfs_err *err);

/*
 * rowfs_last_start - the key of the count-th row from the end (the first
 * row of `last/COUNT`), or of the first row when the table has fewer rows.
 * *start = 2^32 when the table is empty or count is 0.  Reads about
 * count/102 leaves.  Returns ROWFS_OK or an I/O / corruption error.
 */
int rowfs_last_start(struct rowfs_db *db, uint64_t count, uint64_t *start, struct rowfs_err *err);

/* Renderings shared by the meta-commands and the files in the mount. */
int rowfs_render_btree(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err);
int rowfs_render_constants(rowfs_emit_fn emit, void *ctx);
int rowfs_render_stats(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err);
void rowfs_get_stats(struct rowfs_db *db, struct rowfs_stats *st);

/* 1 if opened read-only. */
int rowfs_is_read_only(const struct rowfs_db *db);

/*
 * rowfs_check - integrity check (engine/check.c): header, every B-tree
 * invariant, page accounting, WAL.  Each problem found is emitted as one
 * line.  *problems receives the count.  Returns ROWFS_OK when the check ran
 * (whether or not it found problems), else an operational error.
 */
int rowfs_check(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, uint64_t *problems,
		struct rowfs_err *err);

/* What rowfs_salvage() read and wrote. */
struct rowfs_salvage_stats {
	uint64_t pages;            /* pages read from DBFILE, page 0 and a partial last page included */
	uint64_t leaf_pages;       /* pages that looked like leaves (type, cell count) and were used */
	uint64_t tree_leaves;      /* of those, the ones reached from the header's root */
	uint64_t damaged_pages;    /* pages after page 0 skipped: unreadable, unknown type, bad count */
	uint64_t bad_cells;        /* leaf cells skipped: row does not decode or id is not the key */
	uint64_t superseded;       /* page rows replaced by a better copy of their key or deleted by the WAL */
	uint64_t wal_frames;       /* valid WAL frames read */
	uint64_t wal_records;      /* WAL records applied (insert, update, delete) */
	uint64_t wal_bad_records;  /* WAL records skipped (bad op, padding or row) */
	uint64_t rows;             /* rows written to the dump (every table) */
	uint64_t tables;           /* tables besides users written to the dump (version 2) */
	uint64_t orphan_leaves;    /* version-2 table leaves reached from no table: rows skipped */
	int header_valid;          /* page 0 is a valid header: the tree walk ran */
	char header_problem[256];  /* why it is not ("" when it is) */
	char wal_problem[256];     /* why the WAL was not read to its end ("" when it was) */
};

/*
 * rowfs_salvage - write a dump of every row that can still be read from
 * the database at path and its WAL (path-wal), however damaged, without
 * the pager and without writing to either file (engine/salvage.c has the
 * rules).  The dump goes to emit as a script of whole lines:
 *     begin\n  create table ...\n ...  insert ID NAME\n ...
 *     insert into T values (...)\n ...  commit\n
 * the create statement of every table but users, then one insert per row,
 * table by table in name order, in ascending key order, each key once.
 * os NULL = the
 * real OS.  Takes a shared lock on DBFILE for the duration.  st is filled
 * (also on failure, with what was counted so far).
 * Damage is never an error: the dump holds what could be read.  Returns
 * ROWFS_OK, ROWFS_LOCKED ("database is locked"), ROWFS_IOERR (DBFILE
 * cannot be opened or sized), ROWFS_NOMEM (also when emit returns
 * non-zero: "cannot write the dump"); nothing is emitted unless all the
 * reading succeeded.
 */
int rowfs_salvage(const char *path, const struct os *os, rowfs_emit_fn emit, void *ctx,
		  struct rowfs_salvage_stats *st, struct rowfs_err *err);

/*
 * Explicit transactions (the statements begin, commit, rollback; see db.c).
 * rowfs_txn_state: 0 none, 1 open, 2 failed (an I/O error rolled it back;
 * statements fail until `rollback` or `commit`).  rowfs_txn_abort: roll an
 * open explicit transaction back and end it (a ctl handle closed without
 * commit, rowsh at end of input); no-op without one.
 */
#define ROWFS_TXN_NONE 0
#define ROWFS_TXN_OPEN 1
#define ROWFS_TXN_FAILED 2
int rowfs_txn_state(const struct rowfs_db *db);
/*
 * rowfs_txn_boundaries - how many `begin`, `commit` and `rollback`
 * statements have succeeded since open.  When a statement moves it, every
 * statement of the unit up to and including it is final (committed, or
 * ended), even if the rest of the unit is rolled back.
 */
uint64_t rowfs_txn_boundaries(const struct rowfs_db *db);
int rowfs_txn_abort(struct rowfs_db *db, struct rowfs_err *err);

/*
 * Snapshots: one committed state, readable for as long as the snapshot is
 * open while writers go on (old page images are kept in memory for it).
 * rowfs_snapshot_open takes one of the newest committed state (without an
 * open explicit transaction's changes).  The version store is bounded by
 * rowfs_config.snapshot_pages: past it the oldest snapshots expire and
 * reads through them fail with ROWFS_STALE ("snapshot too old").
 * Between rowfs_begin and rowfs_commit of a unit that changed rows (outside
 * an explicit transaction) the committed state is not at hand: opening a
 * snapshot or reading at snap NULL then fails with ROWFS_BUSY.  (The
 * daemon never does that: its units and its readers take the same lock.)
 *
 * Close every snapshot before rowfs_close (the handle frees the store).
 *
 * The rowfs_*_at functions read through snap; snap NULL means the newest
 * committed state.  The plain functions read the newest state including
 * the open transaction's changes (what the transaction's owner sees).
 * rowfs_exec_at runs a read-only statement (select, select ... from,
 * .tables, .schema, .btree, .stats, .constants) with the catalog of that
 * state (a table created after it is "no such table"); writes, DDL and
 * transaction control fail with ROWFS_BUSY
 * ("Error: database is busy: ...") - it is how a second handle runs
 * statements while another holds an explicit transaction.
 */
struct rowfs_snapshot;
int rowfs_snapshot_open(struct rowfs_db *db, struct rowfs_snapshot **out, struct rowfs_err *err);
void rowfs_snapshot_close(struct rowfs_db *db, struct rowfs_snapshot *snap);
uint64_t rowfs_snapshot_seq(const struct rowfs_snapshot *snap);
int rowfs_exec_at(struct rowfs_db *db, struct rowfs_snapshot *snap, const char *line, size_t len,
		  rowfs_emit_fn emit, void *ctx, struct rowfs_err *err);
int rowfs_scan_at(struct rowfs_db *db, struct rowfs_snapshot *snap, uint64_t start,
		  rowfs_row_fn fn, void *ctx, struct rowfs_err *err);
int rowfs_get_at(struct rowfs_db *db, struct rowfs_snapshot *snap, uint32_t id, int *found,
		 char *name, size_t *name_len, struct rowfs_err *err);
int rowfs_last_start_at(struct rowfs_db *db, struct rowfs_snapshot *snap, uint64_t count,
			uint64_t *start, struct rowfs_err *err);
int rowfs_render_btree_at(struct rowfs_db *db, struct rowfs_snapshot *snap, rowfs_emit_fn emit,
			  void *ctx, struct rowfs_err *err);
int rowfs_render_stats_at(struct rowfs_db *db, struct rowfs_snapshot *snap, rowfs_emit_fn emit,
			  void *ctx, struct rowfs_err *err);
int rowfs_check_at(struct rowfs_db *db, struct rowfs_snapshot *snap, rowfs_emit_fn emit,
		   void *ctx, uint64_t *problems, struct rowfs_err *err);
int rowfs_get_stats_at(struct rowfs_db *db, struct rowfs_snapshot *snap, struct rowfs_stats *st,
		       struct rowfs_err *err);

/*
 * Dump: a script that rebuilds the whole database, of the committed state
 * snap shows (NULL: the newest), streamed:
 *     begin
 *     insert ID NAME                               every users row, key order
 *     create table T (...)                          each other table, catalog
 *     insert into T values (LIT, LIT, ...)          (creation) order: its
 *     ...                                           normalized statement, then
 *     commit                                        its rows in key order
 * Literals as a statement reads them back (texts with control characters
 * as E'...', reals in their shortest exact form), so the script run
 * through rowfs_exec on an empty database rebuilds every table, and its
 * dump is byte for byte this one.
 * emit gets one whole line a call.  When it returns non-zero the dump
 * pauses after that line (the line counts as taken): *pos says where to
 * go on, and a later call with the same pos and snapshot continues.  A
 * zeroed pos starts at the beginning; pos->stage is ROWFS_DUMP_DONE after
 * "commit".  Returns ROWFS_OK (done or paused), ROWFS_STALE, ROWFS_BUSY,
 * I/O and corruption errors.
 */
enum rowfs_dump_stage {
	ROWFS_DUMP_BEGIN = 0,      /* "begin" is next */
	ROWFS_DUMP_CREATE,         /* the create statement of the first table with id >= table */
	ROWFS_DUMP_ROWS,           /* the rows of table `table` from key `key` on */
	ROWFS_DUMP_COMMIT,         /* "commit" is next */
	ROWFS_DUMP_DONE            /* nothing is left */
};
struct rowfs_dump_pos {
	int stage;                 /* enum rowfs_dump_stage */
	int64_t table;             /* catalog id of the table (0: users) */
	int64_t key;               /* ROWFS_DUMP_ROWS: the next key */
};
int rowfs_dump_at(struct rowfs_db *db, struct rowfs_snapshot *snap, struct rowfs_dump_pos *pos,
		  rowfs_emit_fn emit, void *ctx, struct rowfs_err *err);

/*
 * Change feed.  After every commit (never during recovery) the engine calls
 * fn with the commit's sequence number and its statements rendered one per
 * line, in the order they ran:
 *     SEQ insert ID NAME\n   SEQ update ID NAME\n   SEQ delete ID\n   (users)
 *     SEQ insert T KEY JSON\n   SEQ update T KEY JSON\n   SEQ delete T KEY\n
 *     SEQ create T\n   SEQ drop T\n                                     (other tables)
 * JSON is the row as one object of every column, as rows.ndjson writes it
 * ({"id":1,"name":"x","b":"\\x00ff","r":2.5,"n":null}); an update that
 * changes the key is a delete and an insert.
 * A large commit arrives in several calls (each holding whole lines, all
 * with the same seq); last is 1 on the commit's final call.  fn runs under
 * the caller's lock, after the commit point: it cannot make the commit
 * fail, and it must not call back into the engine.  NULL fn switches the
 * feed off (no rendering cost then).
 */
typedef void (*rowfs_change_fn)(void *ctx, uint64_t seq, const char *text, size_t len, int last);
void rowfs_set_change_hook(struct rowfs_db *db, rowfs_change_fn fn, void *ctx);

/* Sequence number of the last committed transaction (0 for a new database). */
uint64_t rowfs_last_seq(struct rowfs_db *db);

/* Map a return code to the errno a filesystem call reports (0 for OK). */
int rowfs_errno(int rc);

/*
 * rowfs_fail_errno - the errno a call that failed with rc reports:
 * rowfs_errno(rc), or EIO where that is 0 (never 0).
 */
int rowfs_fail_errno(int rc);

/*
 * rowfs_rc_is_fatal - 1 if rc may leave the open transaction's pages half
 * changed, so the transaction must be rolled back (the engine does so for
 * an explicit transaction and refuses its other statements until
 * rollback): ROWFS_IOERR, ROWFS_FULL, ROWFS_NOMEM, ROWFS_CORRUPT and
 * ROWFS_ERROR (internal failures), and any unknown code.  Statement errors,
 * ROWFS_TOOBIG (reported before a change), transaction-state errors
 * (ROWFS_TXN, ROWFS_BUSY), ROWFS_STALE, ROWFS_LOCKED, ROWFS_NOTADB and
 * ROWFS_OK/ROWFS_EXIT are 0: the statement changed nothing.
 */
int rowfs_rc_is_fatal(int rc);

/*
 * rowfs_utf8_sequence_len - length (1..4) of the well-formed UTF-8
 * sequence at p (n >= 1 bytes available; an ASCII byte, NUL included, is
 * 1), or 0 if it is ill-formed: overlong, a surrogate, past U+10FFFF or
 * cut short (Unicode 15, table 3-7).  If cp is not NULL and the sequence
 * is well-formed, *cp gets its code point.  The engine's own check,
 * exported for fs/ and src/ (which include only this header).
 */
size_t rowfs_utf8_sequence_len(const unsigned char *p, size_t n, uint32_t *cp);

/* Name of a return code, e.g. "ROWFS_IOERR". */
const char *rowfs_rc_name(int rc);

/* Fill err with rc and a printf-style message; returns rc. */
int rowfs_err_set(struct rowfs_err *err, int rc, int sys_errno, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Version string of the engine. */
const char *rowfs_version(void);

#endif /* ROWFS_ENGINE_ROWFS_H */
