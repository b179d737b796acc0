/*
 * rowfs.h - the public API of the rowfs engine.
 *
 * This is the only engine header that fs/ and src/ may include.  A
 * `struct rowfs_db` is one open database (file + WAL), owned by one process
 * (an flock on DBFILE).  It is not thread-safe: callers serialise every call
 * on one handle and on its transactions (the FUSE layer holds one mutex
 * around them).
 *
 * Error convention: every fallible function returns an enum rowfs_rc and
 * fills a caller-supplied struct rowfs_err with the code, the saved errno of
 * a failed system call (or 0) and a message written where the error was
 * detected.  Messages of statement errors are exactly the documented texts
 * ("Error: duplicate key 42.", "Parse error: ..."); callers print msg and
 * never build their own text.  rowfs_errno() maps a code to the errno the
 * filesystem returns.  Each function below lists the codes it returns; a
 * function that reads pages may also return ROWFS_IOERR (a read failed, or
 * recovery after an earlier failure did), ROWFS_CORRUPT and ROWFS_NOMEM,
 * and through a read transaction ROWFS_STALE: "I/O and read errors" below.
 *
 * Transactions, as LMDB's MDB_txn: every read and every statement goes
 * through a struct rowfs_txn (rowfs_txn_begin).  A read transaction
 * (ROWFS_TXN_RDONLY) is a snapshot of the newest committed state; any
 * number may be open, and they never block the writer nor see its changes.
 * The write transaction is unique: the engine, not its callers, owns the
 * single-writer rule (a second rowfs_txn_begin without ROWFS_TXN_RDONLY
 * fails with ROWFS_BUSY); it reads its own changes.  rowfs_txn_commit
 * makes them durable (one WAL frame and, with sync=full, one fsync),
 * rowfs_txn_abort discards them.  A statement that fails with a statement
 * error (token/parse/duplicate/too long/read-only/schema) changes nothing,
 * so the transaction may go on; after an error rowfs_rc_is_fatal() names
 * (ROWFS_IOERR, ROWFS_NOMEM, ROWFS_CORRUPT, ROWFS_FULL, ROWFS_ERROR) the
 * caller must abort it (inside an explicit transaction the engine has
 * already rolled that back: see "Units" at rowfs_txn_begin).
 */
#ifndef ROWFS_ENGINE_ROWFS_H
#define ROWFS_ENGINE_ROWFS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

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
	char msg[256];   /* human-readable message, documented text for statement errors */
};

/* Durability of commits (see rowfs(1)). */
enum rowfs_sync {
	ROWFS_SYNC_FULL = 0,   /* fsync the WAL at every commit */
	ROWFS_SYNC_NORMAL,     /* fsync at checkpoints only */
	ROWFS_SYNC_OFF         /* never fsync */
};

struct os;  /* the engine's replaceable I/O table (its tests inject faults); NULL outside them */

/*
 * Events: what the engine does on its own that a daemon's log should show
 * (struct rowfs_config.event).  The message is one line of text without a
 * newline, naming the file concerned, e.g. "recovery of '/x.db': 3
 * committed transactions replayed from its WAL" or "checkpoint of
 * '/x.db': 12 pages written, 53248 bytes of WAL reset".
 */
enum rowfs_event {
	ROWFS_EVENT_RECOVERY = 1, /* an open found committed transactions in the WAL that the
				     file lacks and replayed them (or redid an interrupted
				     checkpoint); or the state was rebuilt from disk after an
				     I/O error */
	ROWFS_EVENT_CHECKPOINT,   /* a checkpoint copied the changes of the WAL into the file */
	ROWFS_EVENT_IOERR         /* an I/O error no caller is told of: a checkpoint after a
				     commit failed (the commit stands; the next write recovers) */
};

/*
 * Event callback: event is an enum rowfs_event, msg the line (valid
 * during the call).  Called on the thread of the engine call that caused
 * it (rowfs_open, a commit, a checkpoint, rowfs_close), inside it: it must
 * not call the engine.
 */
typedef void (*rowfs_event_fn)(void *ctx, int event, const char *msg);

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
	rowfs_event_fn event;      /* told of recoveries, checkpoints and unreported I/O errors
				      (enum rowfs_event); NULL = nobody */
	void *event_ctx;           /* its first argument */
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
struct rowfs_txn;

/* Engine statistics, as printed by `.stats` and the `stats` file. */
struct rowfs_stats {
	uint64_t rows;           /* rows of users */
	uint32_t depth;          /* levels of users' tree */
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
	uint32_t snapshots;      /* open snapshots: read transactions (the one reading these
				    statistics included) and an explicit transaction's base */
	uint32_t snapshot_pages; /* old page images kept for them */
	uint64_t snapshots_expired; /* read transactions expired since open (their reads got
				       ROWFS_STALE, ESTALE) */
	uint32_t tables;         /* tables in the state read, users included */
};

/*
 * Reply sink: receives reply text (with trailing newlines) in pieces.
 * Returns 0 to go on, non-zero to stop (ROWFS_NOMEM is reported).
 */
typedef int (*rowfs_emit_fn)(void *ctx, const char *text, size_t len);

/* ---- typed values --------------------------------------------------------- */

/* Type of a value; also the declared type of a column (never NULL then). */
enum rowfs_type {
	ROWFS_TYPE_NULL = 0,
	ROWFS_TYPE_INTEGER,   /* signed 64-bit */
	ROWFS_TYPE_REAL,      /* finite IEEE double */
	ROWFS_TYPE_TEXT,      /* valid UTF-8 without NUL */
	ROWFS_TYPE_BLOB       /* any bytes */
};

/*
 * One value.  The bytes of a text or blob are borrowed: valid during the
 * callback that receives them, never NUL-terminated.
 */
struct rowfs_value {
	int type;            /* enum rowfs_type: which field below is meaningful */
	int64_t i;           /* ROWFS_TYPE_INTEGER */
	double r;            /* ROWFS_TYPE_REAL */
	const void *p;       /* ROWFS_TYPE_TEXT, ROWFS_TYPE_BLOB: the bytes */
	size_t len;          /* ROWFS_TYPE_TEXT, ROWFS_TYPE_BLOB: their count */
};

#define ROWFS_COLUMNS_MAX 64u   /* most columns of a table (and of a result row) */
#define ROWFS_NAME_MAX 64u      /* longest table or column name, bytes */

/*
 * Row callback of rowfs_scan() and rowfs_get(): one row of a table, key
 * its key, vals[0..n) every column in declared order (the key column
 * holds the key as an integer).  Returns 0 to go on, non-zero to stop the
 * scan (not an error).
 */
typedef int (*rowfs_row_fn)(void *ctx, int64_t key, const struct rowfs_value *vals,
			    unsigned n);

/*
 * rowfs_format_real - r (finite) as every rendering writes a real
 * (engine/textform.c): the fewest significant digits N (1..17) that
 * strtod reads back as the same double, as Python's repr writes them:
 * positional when the decimal exponent X of the first digit is in
 * -4..15, with ".0" appended when the text has no '.' (so "3.0" stays a
 * real); else C's "%.{N-1}e".  Examples: "0.1", "2.5", "3.0", "-0.0",
 * "100.0", "0.0001", "1e-05", "1e+16", "1e+100", "1.5e-07".  The digits
 * are those of the shortest "%.Ng" that reads back; only the notation
 * differs (%g would print 100.0 as "1e+02").  buf holds 32 bytes; the
 * text is NUL-terminated; returns its length.
 */
size_t rowfs_format_real(double r, char *buf);

/* One column of a table (rowfs_table_info). */
struct rowfs_column_info {
	char name[ROWFS_NAME_MAX + 1];  /* lower case, NUL-terminated */
	int type;                       /* declared type: enum rowfs_type, never NULL */
	uint32_t max_len;               /* text, blob: most bytes; 0 for numbers */
	int not_null;                   /* `not null`, or the key column */
	int is_key;                     /* the integer primary key: the row's key */
	int has_default;                /* declared with `default LIT`: an insert that leaves
					   the column out stores LIT (else NULL) */
};

/* A table's name and columns (rowfs_table_info). */
struct rowfs_table_info {
	char name[ROWFS_NAME_MAX + 1];  /* lower case, NUL-terminated */
	unsigned column_count;          /* 1..ROWFS_COLUMNS_MAX */
	unsigned key_column;            /* index of the key column */
	struct rowfs_column_info columns[ROWFS_COLUMNS_MAX]; /* [0..column_count): declared order */
};

/*
 * Text forms of one value (engine/textform.c), the one place each form is
 * written: the renderings in the mount, the change feed, the dump and the
 * statements the mount builds from input all use them.
 *   ROWFS_FORM_LITERAL  an SQL literal that reads back as the same value:
 *                       null, 42, 2.5, 'it''s', E'a\tb' (a text with a
 *                       control character or a backslash), x'00ff'
 *   ROWFS_FORM_REPLY    the select reply: integer, real, text raw, NULL,
 *                       blob x'..'
 *   ROWFS_FORM_COPY     a field of `tables/T/rows`: PostgreSQL COPY text,
 *                       \ \t \n \r escaped (each as backslash and a
 *                       letter), NULL as \N, blob as \x and lower-case hex
 *                       (the field is exactly `\x00ff`: PostgreSQL's COPY
 *                       doubles the backslash of bytea's "\x00ff"; we do not)
 *   ROWFS_FORM_CSV      a field of `rows.csv` (RFC 4180): NULL empty and
 *                       unquoted; a text quoted ("" for a quote) when it
 *                       is empty or holds , " \r or \n; blob as \x + hex
 *   ROWFS_FORM_JSON     a JSON value of `rows.ndjson` and the change feed:
 *                       number, "string" (control characters, '"' and '\'
 *                       escaped, \u00XX for controls), null, blob as the
 *                       string "\\x" + hex
 * Reals are written by rowfs_format_real in every form.
 */
enum rowfs_form {
	ROWFS_FORM_LITERAL = 0,
	ROWFS_FORM_REPLY,
	ROWFS_FORM_COPY,
	ROWFS_FORM_CSV,
	ROWFS_FORM_JSON
};
#define ROWFS_FORM_COUNT 5   /* the forms above */

/*
 * rowfs_value_text_size - exact bytes rowfs_value_text writes for v in
 * form (0 for a form that is not one of enum rowfs_form).
 */
size_t rowfs_value_text_size(int form, const struct rowfs_value *v);

/*
 * rowfs_value_text_sizes - rowfs_value_text_size of v in every form at
 * once, sizes[form]: one pass over a text (a text without any character
 * a form escapes or quotes, the common case, costs one table lookup a
 * byte), one formatting of a real.
 */
void rowfs_value_text_sizes(const struct rowfs_value *v, size_t sizes[ROWFS_FORM_COUNT]);

/*
 * rowfs_value_text - write v in form at dst (rowfs_value_text_size bytes
 * of room; no NUL); returns the length written.
 */
size_t rowfs_value_text(int form, const struct rowfs_value *v, char *dst);

/*
 * Lines of the renderings (engine/lines.c): the one place a row becomes a
 * line of `rows`, `rows.csv`, `rows.ndjson` or `dump`, and the one place
 * its length is counted (the mount streams the lines with rowfs_line and
 * sizes the files with the byte counts of rowfs_table_sizes, which adds
 * rowfs_line_size up; both run the code below).
 *   ROWFS_LINES_ROWS    users: `ID<TAB>NAME`; others: ROWFS_FORM_COPY
 *                       fields, TAB-separated
 *   ROWFS_LINES_CSV     users: `ID,NAME` (NAME quoted when it holds , " CR
 *                       LF or starts or ends with a blank); others:
 *                       ROWFS_FORM_CSV fields, comma-separated
 *   ROWFS_LINES_NDJSON  users: {"id":ID,"username":"NAME"} (a byte that is
 *                       not UTF-8 becomes \ufffd); others: {"col":JSON,...}
 *                       every column in declared order
 *   ROWFS_LINES_DUMP    the row's line in `dump`: users `insert ID NAME`
 *                       (`insert into users values (ID, 'NAME')` for a
 *                       name starting with "--"); others `insert into T
 *                       values (LIT, LIT, ...)` (ROWFS_FORM_LITERAL)
 * Every line ends in LF.  The rows of users are vals[0] (the id, an
 * integer) and vals[1] (the name, a text; cut to ROWFS_USERNAME_MAX).
 */
enum rowfs_lines {
	ROWFS_LINES_ROWS = 0,
	ROWFS_LINES_CSV,
	ROWFS_LINES_NDJSON,
	ROWFS_LINES_DUMP,
	ROWFS_LINES_COUNT
};

/* The bit of rendering l in a mask of renderings (rowfs_table_sizes). */
#define ROWFS_LINES_BIT(l) (1u << (l))

/* Room every line of users takes at most (NDJSON with every name byte escaped: 224). */
#define ROWFS_SEED_LINE_MAX 256u

/* What a table's lines need besides its values: its names (rowfs_lines_init). */
struct rowfs_lines_table {
	int seed;                               /* users: Part 1's lines */
	unsigned n;                             /* columns */
	char *header;                           /* the CSV header line, LF included (malloc'd):
						   `id,username` for users, else the column names */
	size_t header_len;                      /* its length */
	char *keys;                             /* JSON prefixes `{"c0":` `,"c1":` ... (malloc'd;
						   NULL for users) */
	size_t key_off[ROWFS_COLUMNS_MAX + 1];  /* prefix i is keys[key_off[i] .. key_off[i+1]) */
	char *dump_head;                        /* `insert into T values (` (malloc'd; NULL for
						   users) */
	size_t dump_head_len;                   /* its length */
};

/*
 * rowfs_lines_init - the names of info's table ready for its lines (NULL:
 * users, whose lines are Part 1's).  Returns ROWFS_OK or ROWFS_NOMEM (t
 * holds nothing then).
 */
int rowfs_lines_init(struct rowfs_lines_table *t, const struct rowfs_table_info *info);

/* rowfs_lines_release - free what t holds; t is empty after (releasing twice is fine). */
void rowfs_lines_release(struct rowfs_lines_table *t);

/* rowfs_line_size - exact length of the line rowfs_line writes for vals[0..n) in lines. */
size_t rowfs_line_size(int lines, const struct rowfs_lines_table *t,
		       const struct rowfs_value *vals, unsigned n);

/*
 * rowfs_line_bound - an upper bound of rowfs_line_size, found without
 * formatting a value (every escape assumed, a real's longest form;
 * ROWFS_SEED_LINE_MAX for users): when it fits a reader's buffer the line
 * can be written straight there and its exact size never computed.
 */
size_t rowfs_line_bound(int lines, const struct rowfs_lines_table *t,
			const struct rowfs_value *vals, unsigned n);

/* rowfs_line - the line of vals[0..n) in lines at dst (rowfs_line_size bytes); its length. */
size_t rowfs_line(int lines, const struct rowfs_lines_table *t, const struct rowfs_value *vals,
		  unsigned n, char *dst);

/* ---- opening ---------------------------------------------------------------- */

/*
 * rowfs_open - open (creating if missing) the database at cfg->path.
 * Takes the lock, reads the header, recovers from the WAL.
 * Returns ROWFS_OK and *out, or ROWFS_LOCKED ("database is locked"),
 * ROWFS_NOTADB ("not a rowfs database: ..."), ROWFS_IOERR, ROWFS_CORRUPT,
 * ROWFS_NOMEM, ROWFS_ERROR (no path); *out is NULL on failure.
 */
int rowfs_open(const struct rowfs_config *cfg, struct rowfs_db **out, struct rowfs_err *err);

/*
 * rowfs_close - abort the write transaction if one is open (its handle is
 * freed: do not use it after), checkpoint (unless read-only or in the
 * error state), release the lock and free the handle.  End every read
 * transaction first.  The handle is freed whatever the result.
 * Returns ROWFS_OK, or the checkpoint's ROWFS_IOERR, ROWFS_FULL.
 */
int rowfs_close(struct rowfs_db *db, struct rowfs_err *err);

/* rowfs_is_read_only - 1 if opened read-only. */
int rowfs_is_read_only(const struct rowfs_db *db);

/* ---- transactions ------------------------------------------------------------ */

#define ROWFS_TXN_RDONLY 0x1u   /* rowfs_txn_begin: a read transaction */

/*
 * rowfs_txn_begin - start a transaction on db; *out is its handle.
 *
 * flags ROWFS_TXN_RDONLY: a read transaction, which is a snapshot of the
 * newest committed state (without the changes of the write transaction,
 * committed or not after it began).  Any number may be open.  Every read
 * through it sees that one state for its whole life, whatever is
 * committed meanwhile: old page images are kept in memory for it, bounded
 * by rowfs_config.snapshot_pages; past the bound the oldest read
 * transactions expire and every later read through them fails with
 * ROWFS_STALE ("snapshot too old: ...").  Statements that write, DDL and
 * transaction control (begin, commit, rollback, .checkpoint) fail in it
 * with ROWFS_BUSY ("Error: database is busy: another handle has a
 * transaction open"); tables created after its state are "no such table".
 *
 * flags 0: the write transaction.  At most one is open in the engine.  Its
 * reads see its own changes.  If the engine is in the error state after an
 * I/O failure, it first recovers from disk.
 *
 * Units.  A caller that runs its input in units (ctl: one write(); rowsh:
 * one chunk of input) takes the write transaction at a unit's first
 * statement and ends it at the unit's end: rowfs_txn_commit, or
 * rowfs_txn_abort after a fatal error (rowfs_rc_is_fatal).  The statement
 * `begin` makes it explicit: it first commits what the transaction ran so
 * far, then every statement up to `commit` or `rollback` is one
 * transaction, which may span the caller's units: while
 * rowfs_txn_state(txn) != ROWFS_TXN_NONE the caller keeps txn open at the
 * end of its unit instead of ending it (a statement error changed
 * nothing; a fatal one already rolled the explicit transaction back and
 * left it ROWFS_TXN_FAILED).  `commit` and `rollback` end the explicit
 * transaction, and the rest of the unit runs on in txn.
 * rowfs_txn_boundaries() tells which statements were such boundaries.
 *
 * Returns ROWFS_OK, or
 *   ROWFS_BUSY   write: another write transaction is open ("Error: database
 *                is busy: another handle has a transaction open");
 *                read: the write transaction is in the middle of a unit
 *                that changed rows outside an explicit transaction, where
 *                the committed state is not at hand ("Error: database is
 *                busy: the committed state is not readable ...")
 *   ROWFS_IOERR  recovery after an earlier failure failed ("Error: I/O
 *                error: recovery failed: ...")
 *   ROWFS_NOMEM
 *   ROWFS_ERROR  unknown flags
 * *out is NULL on failure.
 */
int rowfs_txn_begin(struct rowfs_db *db, unsigned flags, struct rowfs_txn **out,
		    struct rowfs_err *err);

/*
 * rowfs_txn_commit - end txn, making the write transaction's changes
 * durable (one WAL frame, one fsync with sync=full; no I/O if it changed
 * nothing) and feeding the change hook.  An explicit transaction open in
 * it is committed too; a FAILED one is rolled back and reported.  txn is
 * freed whatever the result; NULL is fine.
 * Returns ROWFS_OK; ROWFS_IOERR, ROWFS_FULL (the commit failed: rolled
 * back, the engine in the error state until the next write transaction
 * recovers; or the explicit transaction had FAILED: "Error: I/O error: the
 * transaction was rolled back after an earlier error").  A read
 * transaction: ROWFS_OK.
 */
int rowfs_txn_commit(struct rowfs_txn *txn, struct rowfs_err *err);

/*
 * rowfs_txn_abort - end txn, discarding every change of the write
 * transaction (an explicit transaction's too), and free it; NULL is fine.
 * A read transaction just ends.
 */
void rowfs_txn_abort(struct rowfs_txn *txn);

/*
 * rowfs_txn_state - the explicit transaction in the write transaction txn:
 * ROWFS_TXN_NONE, ROWFS_TXN_OPEN (`begin` ran), ROWFS_TXN_FAILED (an I/O
 * error rolled it back: statements fail until `rollback` or `commit`).
 * NONE for a read transaction.
 */
#define ROWFS_TXN_NONE 0
#define ROWFS_TXN_OPEN 1
#define ROWFS_TXN_FAILED 2
int rowfs_txn_state(const struct rowfs_txn *txn);

/*
 * rowfs_txn_boundaries - how many `begin`, `commit` and `rollback`
 * statements have succeeded in txn.  When a statement moves it, every
 * statement of the unit up to and including it is final (committed, or
 * ended), even if the rest of the unit is rolled back.
 */
uint64_t rowfs_txn_boundaries(const struct rowfs_txn *txn);

/* rowfs_txn_rdonly - 1 if txn is a read transaction. */
int rowfs_txn_rdonly(const struct rowfs_txn *txn);

/*
 * rowfs_txn_seq - the sequence number of the committed state a read
 * transaction reads; of the last commit for the write transaction.
 */
uint64_t rowfs_txn_seq(const struct rowfs_txn *txn);

/*
 * rowfs_has_writer - 1 if a write transaction is open (a caller's policy,
 * such as the daemon's short wait for a closing ctl handle, asks it).
 */
int rowfs_has_writer(const struct rowfs_db *db);

/* ---- statements --------------------------------------------------------------- */

/*
 * rowfs_exec - run one statement line in txn (no newline; a trailing '\r'
 * is dropped; len may be up to any size: longer than ROWFS_LINE_MAX is the
 * "line too long" error).  Reply text goes to emit ("Executed.\n", select
 * rows, ...); on failure nothing is emitted and err->msg holds the text.
 * Blank lines return ROWFS_OK and emit nothing.  In a read transaction
 * only reads run (see rowfs_txn_begin).
 * Returns ROWFS_OK, ROWFS_EXIT for `.exit`, or the statement's error:
 * ROWFS_TOKEN, ROWFS_SYNTAX, ROWFS_RANGE, ROWFS_TOOLONG, ROWFS_DUPLICATE,
 * ROWFS_NOTFOUND, ROWFS_META, ROWFS_READONLY, ROWFS_SCHEMA, ROWFS_PERM,
 * ROWFS_TOOBIG, ROWFS_TXN (transaction control in the wrong state, or any
 * statement of a FAILED transaction), ROWFS_BUSY (a write in a read
 * transaction), ROWFS_STALE, ROWFS_NOMEM (also when emit returns
 * non-zero), and the fatal I/O and read errors.
 */
int rowfs_exec(struct rowfs_txn *txn, const char *line, size_t len, rowfs_emit_fn emit,
	       void *ctx, struct rowfs_err *err);

/*
 * rowfs_complete - 0 if line[0..len) (no newline) is the start of an SQL
 * statement that more text could complete: the line reads as an SQL form
 * (create table, drop table, insert into, select ... from, update ... set,
 * delete from: parser.c's dispatch) and its parse fails at the
 * statement's end, where the grammar needs another token ("got EOF"), as
 * in "create table t (" or "select *".  1 for every other line: a
 * complete statement, one with an error before its end, one of users'
 * own statements (insert ID NAME, select), a meta-command, a blank line.  Pure: needs no database nor
 * transaction and runs nothing.  rowsh joins the lines of a statement
 * with it.
 */
int rowfs_complete(const char *line, size_t len);

/*
 * Typed results.  A caller that renders select results itself (rowsh's
 * .mode csv|json|box) gives rowfs_exec_sink a sink: a select (of any
 * table, the users `select` and `count(*)` too) then calls columns once
 * with its column names, then row once per result row, instead of
 * emitting "(v1, v2)" lines, "(no rows)" or "(empty table)"; limit and
 * offset apply as to the text.  Column names: the table's (lower case),
 * in the select's order; "id", "username" for the users `select`;
 * "count(*)" for a count, whose one row is an integer (no row when an
 * offset or `limit 0` leaves none).  Every other statement's reply
 * (Executed., .tables, ...) still goes to emit.  A callback returns 0 to
 * go on, non-zero to stop: the statement fails with ROWFS_NOMEM.  Values
 * are valid during the call only.
 */
struct rowfs_sink {
	/* the result's n column names, NUL-terminated, before its first row */
	int (*columns)(void *ctx, const char *const *names, unsigned n);
	/* one result row: vals[0..n), n the number of columns */
	int (*row)(void *ctx, const struct rowfs_value *vals, unsigned n);
	void *ctx;   /* the callbacks' first argument */
};

/*
 * rowfs_exec_sink - rowfs_exec, with select results to sink (NULL: as
 * text to emit, which is rowfs_exec).  Same returns as rowfs_exec.
 */
int rowfs_exec_sink(struct rowfs_txn *txn, const char *line, size_t len,
		    const struct rowfs_sink *sink, rowfs_emit_fn emit, void *ctx,
		    struct rowfs_err *err);

/*
 * rowfs_checkpoint - copy every committed change into DBFILE, reset the
 * WAL.  Returns ROWFS_OK, ROWFS_ERROR (the write transaction holds
 * uncommitted changes), ROWFS_READONLY, ROWFS_IOERR, ROWFS_FULL.
 */
int rowfs_checkpoint(struct rowfs_db *db, struct rowfs_err *err);

/* ---- reads -------------------------------------------------------------------- */

/*
 * The read functions take the transaction whose state they read: a read
 * transaction's snapshot, or the write transaction's newest state.  A
 * table is named by name (ASCII case-insensitive); NULL is users.  Unless
 * said otherwise each returns ROWFS_OK, ROWFS_NOTFOUND ("Error: no such
 * table: T"), or an I/O or read error (ROWFS_IOERR, ROWFS_CORRUPT,
 * ROWFS_NOMEM, ROWFS_STALE).
 */

/*
 * rowfs_scan - call fn for every row of table with key >= start, in key
 * order, until fn returns non-zero or the rows end.  A row that does not
 * decode is ROWFS_CORRUPT (the rows before it were delivered).
 */
int rowfs_scan(struct rowfs_txn *txn, const char *table, int64_t start, rowfs_row_fn fn,
	       void *ctx, struct rowfs_err *err);

/*
 * rowfs_get - point lookup: if table holds key, *found = 1 and fn is
 * called once with the row (its return value is ignored); else *found = 0.
 */
int rowfs_get(struct rowfs_txn *txn, const char *table, int64_t key, rowfs_row_fn fn,
	      void *ctx, int *found, struct rowfs_err *err);

/*
 * rowfs_last_start - *start = the key of the count-th row from the end
 * (the first row of `last/COUNT`), or of the first row when the table has
 * fewer rows; *found = 0 when the table is empty or count is 0.  users
 * reads about count/102 leaves; other tables walk back count rows.
 */
int rowfs_last_start(struct rowfs_txn *txn, const char *table, uint64_t count, int64_t *start,
		     int *found, struct rowfs_err *err);

/* rowfs_table_info - the name and columns of table, into *info. */
int rowfs_table_info(struct rowfs_txn *txn, const char *table, struct rowfs_table_info *info,
		     struct rowfs_err *err);

/*
 * rowfs_table_next - the table with the smallest catalog id >= id, of the
 * state txn reads (users has id 0, other tables 1, 2, ... in creation
 * order, never reused while the table exists): *info and *found_id filled,
 * *found = 1; *found = 0 past the last.  Lists the tables one at a time,
 * so a listing of 10,000 tables needs no memory of them.  ROWFS_OK or the
 * read errors.
 */
int rowfs_table_next(struct rowfs_txn *txn, int64_t id, struct rowfs_table_info *info,
		     int64_t *found_id, int *found, struct rowfs_err *err);

/* One table's numbers (rowfs_table_stats, `tables/T/stats`). */
struct rowfs_table_stats {
	uint64_t rows;        /* rows in the table */
	uint32_t depth;       /* levels of its B-tree (a lone root leaf is 1) */
	uint32_t pages;       /* pages of its tree: interior, leaf and overflow pages */
	uint32_t columns;     /* declared columns */
};

/*
 * rowfs_table_stats - the numbers of table (NULL: users) of the state txn
 * reads.  pages walks the tree: users' interior pages are read and its
 * leaves counted from their parents; another table's interior and leaf
 * pages are read and its overflow pages counted from the record sizes in
 * the leaf cells (no overflow page is read).  ROWFS_NOTFOUND "Error: no
 * such table: T", or the read errors.
 */
int rowfs_table_stats(struct rowfs_txn *txn, const char *table, struct rowfs_table_stats *st,
		      struct rowfs_err *err);

/*
 * rowfs_render_table_btree - the tree of table (NULL or "users": exactly
 * rowfs_render_btree's text) as `tables/T/btree` shows it.
 */
int rowfs_render_table_btree(struct rowfs_txn *txn, const char *table, rowfs_emit_fn emit,
			     void *ctx, struct rowfs_err *err);

/*
 * Sizes and times of the renderings, for the st_size and st_mtime of the
 * files in the mount.  The engine counts, per table, the bytes of the
 * lines (rowfs_line_size) of the renderings it was asked about, for the
 * newest committed state: the first question about a rendering of a
 * table scans the table once (through txn: it must read the newest
 * committed state for the count to be kept; through an older snapshot the
 * scan's result is returned and forgotten); from then on every commit
 * adds what it changed (the VM counts each inserted, replaced and deleted
 * row, looking up the old row of an update or delete), so no later
 * question scans.  A table nobody asked about costs nothing per row.  A
 * recovery (after an I/O error) forgets every count.  Times: the last
 * commit that inserted, replaced or deleted a row of the table, or created
 * it (CLOCK_REALTIME, each commit strictly later than the one before);
 * for a table unchanged since the database was opened (or since a
 * recovery), the time of that open.
 */
struct rowfs_table_sizes {
	uint64_t rows;                       /* rows (when want is not 0) */
	uint64_t bytes[ROWFS_LINES_COUNT];   /* the line bytes of each rendering in want (headers
						excluded: rows.csv adds its header line; the
						dump's create statement is not counted here) */
	uint64_t change_seq;                 /* the commit that last changed the table, 0 none
						since the open */
	struct timespec change_time;         /* its time, or the open's */
};

/*
 * rowfs_table_sizes - the times of table (NULL: users) and, for the
 * renderings in want (a mask of ROWFS_LINES_BIT; 0: times only, no scan),
 * its rows and line bytes in the state txn reads.  ROWFS_OK, ROWFS_NOTFOUND
 * (no such table), read errors.
 */
int rowfs_table_sizes(struct rowfs_txn *txn, const char *table, unsigned want,
		      struct rowfs_table_sizes *out, struct rowfs_err *err);

/*
 * rowfs_dump_size - the exact length of what rowfs_dump writes for the
 * state txn reads: `begin`, each table's create statement and its
 * ROWFS_LINES_DUMP bytes (counted as rowfs_table_sizes counts), `commit`.
 */
int rowfs_dump_size(struct rowfs_txn *txn, uint64_t *bytes, struct rowfs_err *err);

/*
 * rowfs_last_change - the commit that last changed any table (DDL
 * included) and its time, as rowfs_table_sizes tells them.
 */
void rowfs_last_change(struct rowfs_db *db, uint64_t *seq, struct timespec *time);

/*
 * Input rows (engine/input.c): the statement that stores one row given as
 * text, for `tables/T/import`, the row files of by-id/ and rowsh's
 * .import.  The statement is returned as text (malloc'd, *out, *out_len;
 * the caller frees it and runs it with rowfs_exec), so it goes through
 * every check, log record and change-feed line of a typed statement.
 *   ROWFS_INPUT_CSV    one CSV record (RFC 4180, quoted fields may hold
 *                      newlines; no line end) with a field per column in
 *                      declared order; an empty unquoted field is NULL; a
 *                      field of an integer or real column is a number, of
 *                      a blob column \x + hex (or its bytes as text);
 *   ROWFS_INPUT_JSON   one JSON object {"col": value, ...}: numbers,
 *                      strings, null, true/false (1/0); a string "\\x.."
 *                      is a blob for a blob column; absent columns take
 *                      their default or NULL
 *   ROWFS_INPUT_VALUE  the value of the one non-key column, as a row file
 *                      holds it (no newline): a number for a numeric
 *                      column, the bytes as text, \x + hex for a blob;
 *                      empty: NULL (the empty text for a text column)
 * mode ROWFS_INPUT_INSERT: `insert into T (...) values (...)` (key from
 * the input, or key when has_key; a key in the input that differs from it
 * is an error); ROWFS_INPUT_REPLACE: `update T set every column = ... where
 * KEYCOL = key`, absent columns set to their default or NULL (a row file
 * rewriting an existing row).
 * Errors (nothing allocated): ROWFS_SYNTAX "Parse error: WHAT at byte N"
 * for input that is not CSV / JSON, or a text that is not UTF-8 without
 * NUL (N the 0-based offset in text), ROWFS_RANGE "Parse error: Integer
 * out of range at byte N" (also Real), ROWFS_SCHEMA "Error: no such
 * column: T.C", "Error: T has 3 columns but 2 values were supplied",
 * "Error: T.C expects integer, got text", "Error: T.C is 5 in the file
 * name but 6 in the row" (has_key), "Error: T has 3 columns: a row file
 * holds a JSON object" (ROWFS_INPUT_VALUE without exactly one non-key
 * column), ROWFS_NOTFOUND (no such table), ROWFS_ERROR (unknown form or
 * mode, ROWFS_INPUT_REPLACE without has_key), ROWFS_NOMEM.  Other errors
 * of the row (NULL into not null, too long, a duplicate key) are the
 * statement's when it runs.
 */
enum rowfs_input_form { ROWFS_INPUT_CSV = 0, ROWFS_INPUT_JSON, ROWFS_INPUT_VALUE };
#define ROWFS_INPUT_INSERT 0
#define ROWFS_INPUT_REPLACE 1
int rowfs_input_statement(struct rowfs_txn *txn, const char *table, int form, int mode,
			  int has_key, int64_t key, const char *text, size_t len, char **out,
			  size_t *out_len, struct rowfs_err *err);

/*
 * A table known by its `create table` statement alone, without a
 * database: what a client of a mount (rowsh MNT) learns from `.schema T`
 * on ctl, to build the statements of its .import as rowfs_input_statement
 * would.  rowfs_schema_parse reads sql[0..len) (a final ';' allowed) with
 * the statement's own checks (names, one integer primary key, types,
 * defaults) into *out (free it with rowfs_schema_free) and fills *info
 * (may be NULL).  Returns ROWFS_OK, the statement's errors (ROWFS_TOKEN,
 * ROWFS_SYNTAX, ROWFS_SCHEMA ...), ROWFS_ERROR "not a create table
 * statement", ROWFS_NOMEM; *out is NULL on failure.  A table named
 * users is the seed table, with its rules (there is no other).
 * rowfs_schema_input_statement is rowfs_input_statement for
 * that table, with the same forms, modes, results and errors.
 */
struct rowfs_schema;
int rowfs_schema_parse(const char *sql, size_t len, struct rowfs_schema **out,
		       struct rowfs_table_info *info, struct rowfs_err *err);
int rowfs_schema_input_statement(const struct rowfs_schema *schema, int form, int mode,
				 int has_key, int64_t key, const char *text, size_t len,
				 char **out, size_t *out_len, struct rowfs_err *err);
void rowfs_schema_free(struct rowfs_schema *schema);

/*
 * Renderings shared by the meta-commands and the files in the mount, of
 * what txn reads: rowfs_render_btree (users' tree, `.btree`),
 * rowfs_render_stats (`.stats`), rowfs_get_stats (the same numbers;
 * *st is zeroed on failure).  rowfs_render_constants needs no database.
 * Returns ROWFS_OK, ROWFS_NOMEM (also when emit returns non-zero), I/O
 * and read errors.
 */
int rowfs_render_btree(struct rowfs_txn *txn, rowfs_emit_fn emit, void *ctx,
		       struct rowfs_err *err);
int rowfs_render_constants(rowfs_emit_fn emit, void *ctx);
int rowfs_render_stats(struct rowfs_txn *txn, rowfs_emit_fn emit, void *ctx,
		       struct rowfs_err *err);
int rowfs_get_stats(struct rowfs_txn *txn, struct rowfs_stats *st, struct rowfs_err *err);

/*
 * rowfs_check - integrity check (engine/check.c) of what txn reads:
 * header, every B-tree invariant of every table, catalog, page
 * accounting, WAL.  Each problem found is emitted as one line.
 * *problems receives the count.  Returns ROWFS_OK when the check ran
 * (whether or not it found problems), else an operational error
 * (ROWFS_NOMEM "cannot write the report" when emit fails, ROWFS_IOERR,
 * ROWFS_STALE).
 */
int rowfs_check(struct rowfs_txn *txn, rowfs_emit_fn emit, void *ctx, uint64_t *problems,
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
 * rowfs_dump - a script that rebuilds the whole database, of what txn
 * reads (a read transaction: one committed state), streamed:
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
 * go on, and a later call with the same pos and transaction continues.  A
 * zeroed pos starts at the beginning; pos->stage is ROWFS_DUMP_DONE after
 * "commit".  Returns ROWFS_OK (done or paused), ROWFS_NOMEM, I/O and read
 * errors.
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
int rowfs_dump(struct rowfs_txn *txn, struct rowfs_dump_pos *pos, rowfs_emit_fn emit, void *ctx,
	       struct rowfs_err *err);

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

/*
 * rowfs_buf_grow - make the malloc'd buffer *p of *cap bytes (NULL and 0
 * at first) hold need bytes: nothing when it does; else its room doubles,
 * from *cap or at first from min (>= 1), until it holds need, and is cut
 * to bound where it would pass it.  Returns 0, or -1 when out of memory or
 * need > bound (*p and *cap unchanged).  The engine's growth rule of its
 * byte buffers, exported for the buffers of fs/ and src/.
 */
int rowfs_buf_grow(char **p, size_t *cap, size_t need, size_t min, size_t bound);

/* Name of a return code, e.g. "ROWFS_IOERR". */
const char *rowfs_rc_name(int rc);

/* Fill err with rc and a printf-style message; returns rc. */
int rowfs_err_set(struct rowfs_err *err, int rc, int sys_errno, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Version string of the engine. */
const char *rowfs_version(void);

#ifdef __cplusplus
}
#endif

#endif /* ROWFS_ENGINE_ROWFS_H */
