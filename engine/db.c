/*
 * db.c - the engine façade behind rowfs.h.
 *
 * Owns: struct rowfs_db (one open database: pager, counters, catalog) and
 * struct rowfs_txn (one transaction on it), the statement pipeline
 * tokenizer -> parser -> compiler -> VM, recovery orchestration
 * (pager_open, then replay of the WAL's logical records through the VM),
 * rollback, explicit transactions, the single-writer rule, reads through
 * snapshots, the change feed, typed rows and results, and the renderings
 * shared by the meta-commands and the mount's files.
 *
 * Transactions (as LMDB's MDB_txn).  Every read and write goes through a
 * struct rowfs_txn:
 *
 *   read (ROWFS_TXN_RDONLY)  a pager snapshot of the newest committed
 *                            state taken at begin; every call through it
 *                            enters that view (pager_set_view) and leaves
 *                            it.  Any number may be open.  Statements that
 *                            write fail with ROWFS_BUSY.
 *   write                    at most one open (db->writer): a second begin
 *                            is ROWFS_BUSY.  Reads see the newest state,
 *                            its own changes included.  It owns the pager
 *                            transaction (db->in_txn) and the explicit
 *                            transaction state below.
 *
 * A write transaction is normally one caller's unit (a write() to ctl, a
 * chunk of rowsh's input): an implicit transaction, a short pager
 * transaction committed by rowfs_txn_commit.  The statement `begin` first
 * commits what the transaction ran so far, then opens an explicit
 * transaction (a long pager transaction, whose pinned base snapshot keeps
 * the committed state readable to read transactions opened meanwhile, and
 * restores it at rollback); the caller keeps the write transaction open
 * across its units while rowfs_txn_state() is not ROWFS_TXN_NONE, until
 * `commit` (made durable: one WAL frame, one fsync) or `rollback` (undone
 * from the base images); after them the rest of the unit runs implicitly
 * again.  A statement error inside it fails that statement only.  An I/O
 * error rolls the whole explicit transaction back and leaves it FAILED:
 * every statement but `rollback` and `commit` then fails, so a script's
 * later statements can never autocommit by accident.
 *
 *     NONE --begin--> OPEN --commit/rollback--> NONE
 *                      |
 *                      +--I/O error (also of commit)--> FAILED
 *                                   FAILED --commit (error)/rollback--> NONE
 *
 * rowfs_txn_commit of a write transaction commits whatever is open (an
 * OPEN explicit transaction too; a FAILED one is rolled back and reported);
 * rowfs_txn_abort rolls everything back.  Both free it.
 *
 * A read transaction cannot begin while the write transaction is in the
 * middle of an implicit unit that changed rows: the committed state is
 * not at hand then (a short pager transaction keeps no base images), so
 * the begin fails with ROWFS_BUSY.  Callers that serialise their units
 * (the daemon's lock, rowsh's single thread) never meet it.
 *
 * Tables are named by name in the read functions (NULL is users); their
 * rows cross the API as arrays of struct rowfs_value, in declared column
 * order, the key column holding the key.
 */
#include <config.h>
#include "rowfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "btree.h"
#include "catalog.h"
#include "compiler.h"
#include "cursor.h"
#include "db_int.h"
#include "format.h"
#include "input.h"
#include "lines.h"
#include "pager.h"
#include "parser.h"
#include "record.h"
#include "row.h"
#include "sizes.h"
#include "table.h"
#include "util.h"
#include "vm.h"

/* The public value types are record.h's, number for number. */
_Static_assert((int)ROWFS_TYPE_NULL == VALUE_NULL && (int)ROWFS_TYPE_INTEGER == VALUE_INTEGER &&
		       (int)ROWFS_TYPE_REAL == VALUE_REAL && (int)ROWFS_TYPE_TEXT == VALUE_TEXT &&
		       (int)ROWFS_TYPE_BLOB == VALUE_BLOB,
	       "enum rowfs_type and enum value_type differ");
_Static_assert((int)COLUMN_INTEGER == VALUE_INTEGER && (int)COLUMN_REAL == VALUE_REAL &&
		       (int)COLUMN_TEXT == VALUE_TEXT && (int)COLUMN_BLOB == VALUE_BLOB,
	       "enum column_type and enum value_type differ");
_Static_assert(ROWFS_COLUMNS_MAX == RECORD_MAX_COLUMNS, "ROWFS_COLUMNS_MAX");
_Static_assert(ROWFS_NAME_MAX == NAME_MAX_LEN, "ROWFS_NAME_MAX");

enum txn_state { TXN_NONE = ROWFS_TXN_NONE, TXN_OPEN = ROWFS_TXN_OPEN,
		 TXN_FAILED = ROWFS_TXN_FAILED };

/* One transaction (see the top of the file). */
struct rowfs_txn {
	struct rowfs_db *db;          /* the database */
	int rdonly;                   /* a read transaction */
	struct rowfs_snapshot *snap;  /* read: the committed state it reads */
	int state;                    /* write: enum txn_state, the explicit transaction */
	uint64_t boundaries;          /* write: begin/commit/rollback statements that succeeded */
};

struct rowfs_db {
	struct pager *pager;          /* the database */
	char *path;                   /* DBFILE */
	struct rowfs_txn *writer;     /* the open write transaction, or NULL */
	int in_txn;                   /* a pager transaction is open (only with a writer) */
	int checkpoint_requested;     /* `.checkpoint` ran in this transaction */
	uint64_t statements;          /* statements executed */
	uint64_t errors;              /* statements that failed */
	rowfs_change_fn change_fn;    /* change feed hook, or NULL */
	void *change_ctx;             /* its first argument */
	struct catalog *catalog;      /* the tables of the newest state (the open transaction's) */
	int catalog_stale;            /* catalog is not yet that of the reloaded pages */
	int ddl_in_txn;               /* the open transaction created or dropped a table */
	uint64_t ddl_seq;             /* catalog is that of every committed state from this seq on */
	struct catalog *view_catalog; /* the catalog of an older committed state, or NULL */
	uint64_t view_catalog_seq;    /* ... of the state with this seq */
	struct sbuf feed;             /* change-feed lines of the open transaction (no seq yet) */
	int for_check;                /* read-only open for rowfs_check: a damaged catalog is no error */
	struct sizes *sizes;          /* per table: last change, byte counts of the renderings */
};

struct pager *rowfs_db_pager(struct rowfs_db *db)
{
	return db->pager;
}

const char *rowfs_db_path(struct rowfs_db *db)
{
	return db->path;
}

int rowfs_is_read_only(const struct rowfs_db *db)
{
	return pager_is_read_only(db->pager);
}

int rowfs_has_writer(const struct rowfs_db *db)
{
	return db->writer != NULL;
}

/* Context of a replay: the database and where errors go. */
struct replay_ctx {
	struct rowfs_db *db;
	struct rowfs_err *err;
};

/*
 * (Re)load the catalog of the pager's newest state.  Replay changes it in
 * step, so recovery loads it before replaying the first transaction.
 */
static int load_catalog(struct rowfs_db *db, struct rowfs_err *err)
{
	struct catalog *cat;
	int rc = catalog_load(db->pager, pager_catalog_root(db->pager), &cat, err);

	if (rc == ROWFS_CORRUPT && db->for_check)   /* rowfs_check reports it row by row */
		rc = catalog_load(db->pager, 0, &cat, err);
	if (rc)
		return rc;
	catalog_free(db->catalog);
	db->catalog = cat;
	db->catalog_stale = 0;
	db->ddl_in_txn = 0;
	return ROWFS_OK;
}

static int replay_records(void *ctx, uint64_t seq, const uint8_t *records, uint32_t len)
{
	struct replay_ctx *rc = ctx;
	int r;

	(void)seq;
	/* pages are readable from here on (the pager replays), not before */
	if (rc->db->catalog_stale) {
		r = load_catalog(rc->db, rc->err);
		if (r)
			return r;
	}
	return vm_apply_records(rc->db->pager, rc->db->catalog, records, len, rc->err);
}

/*
 * Replay the WAL on top of the checkpointed state, the catalog loaded
 * first (by the first replayed transaction, else after the replay).
 */
static int load_and_replay(struct rowfs_db *db, struct rowfs_err *err)
{
	struct replay_ctx ctx = {db, err};
	int rc;

	db->catalog_stale = 1;
	rc = pager_replay(db->pager, replay_records, &ctx, err);
	if (rc == ROWFS_OK && db->catalog_stale)
		rc = load_catalog(db, err);
	db->ddl_seq = pager_last_seq(db->pager);
	return rc;
}

/* Give I/O errors the contract's prefix "Error: I/O error: ". */
static void prefix_io_error(int rc, struct rowfs_err *err)
{
	static const char prefix[] = "Error: I/O error: ";
	size_t plen = sizeof(prefix) - 1, len;

	if (!rowfs_rc_is_fatal(rc) || strncmp(err->msg, "Error:", 6) == 0)
		return;
	len = strnlen(err->msg, sizeof(err->msg) - 1);
	if (len > sizeof(err->msg) - 1 - plen)
		len = sizeof(err->msg) - 1 - plen;
	memmove(err->msg + plen, err->msg, len);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + len] = '\0';
}

/* The wall-clock time of a change (file times in the mount). */
static struct timespec now_realtime(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
		ts.tv_sec = time(NULL);
		ts.tv_nsec = 0;
	}
	return ts;
}

/*
 * Rebuild the in-memory state from disk: reload + replay.  What is on
 * disk may hold a commit that reported a failure: every table counts as
 * changed now, and every byte count is dropped.
 */
static int recover(struct rowfs_db *db, struct rowfs_err *err)
{
	int rc = pager_reload(db->pager, err);

	db->feed.len = 0;
	if (rc == ROWFS_OK)
		rc = load_and_replay(db, err);
	if (db->sizes)
		sizes_reset(db->sizes, pager_last_seq(db->pager), now_realtime());
	return rc;
}

/*
 * A version-1 file opened read-write becomes version 2 (the upgrade of
 * rowfs(5)): the header alone changes, made durable by a checkpoint.  The
 * catalog tree is not made here but by the first create table, in its
 * transaction (catalog_create_table with catalog root 0): a database of
 * users alone keeps Part 1's pages, so its `btree` and `stats` stay those
 * of Part 1 byte for byte.  Read-only handles leave the file as it is.
 */
static int ensure_version_2(struct rowfs_db *db, struct rowfs_err *err)
{
	int rc;

	if (pager_is_read_only(db->pager) ||
	    pager_format_version(db->pager) >= DB_FORMAT_VERSION_2)
		return ROWFS_OK;
	rc = pager_begin(db->pager, 0, err);
	if (rc)
		return rc;
	pager_set_format_version(db->pager, DB_FORMAT_VERSION_2);
	rc = pager_commit(db->pager, err);
	if (rc) {
		struct rowfs_err ignored;

		pager_rollback(db->pager, &ignored);
		return rc;
	}
	return pager_checkpoint(db->pager, err);
}

/*
 * Reads after a failed recovery: try recovering again first, so a reader
 * gets either the newest committed state or an error, never a stale one.
 */
static int ensure_loaded(struct rowfs_db *db, struct rowfs_err *err)
{
	int rc;

	if (!pager_unloaded(db->pager) || db->in_txn)
		return ROWFS_OK;
	rc = recover(db, err);
	if (rc)
		prefix_io_error(rc, err);
	return rc;
}

int rowfs_open(const struct rowfs_config *cfg, struct rowfs_db **out, struct rowfs_err *err)
{
	struct pager_config pcfg;
	struct rowfs_db *db;
	int rc;

	*out = NULL;
	err->rc = ROWFS_OK;
	err->sys_errno = 0;
	err->msg[0] = '\0';
	if (!cfg || !cfg->path || !cfg->path[0])
		return rowfs_err_set(err, ROWFS_ERROR, EINVAL, "no database file given");
	db = calloc(1, sizeof(*db));
	if (!db)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	db->path = strdup(cfg->path);
	if (!db->path) {
		free(db);
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	}
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.path = cfg->path;
	pcfg.os = cfg->os;
	pcfg.read_only = cfg->read_only;
	pcfg.sync = cfg->sync;
	pcfg.cache_pages = cfg->cache_pages;
	pcfg.wal_limit = cfg->wal_limit;
	pcfg.snapshot_pages = cfg->snapshot_pages;
	pcfg.txn_part_bytes = cfg->txn_part_bytes;
	pcfg.txn_log_max = cfg->txn_log_max;
	pcfg.event = cfg->event;
	pcfg.event_ctx = cfg->event_ctx;
	db->for_check = cfg->read_only && cfg->for_check;
	rc = pager_open(&pcfg, &db->pager, err);
	if (rc)
		goto out_free;
	rc = load_and_replay(db, err);
	if (rc == ROWFS_OK)
		rc = ensure_version_2(db, err);
	if (rc)
		goto out_close;
	db->sizes = sizes_new(now_realtime());
	if (!db->sizes) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_close;
	}
	*out = db;
	return ROWFS_OK;
out_close:
	catalog_free(db->catalog);
	pager_close(db->pager);
out_free:
	free(db->path);
	free(db);
	return rc;
}

int rowfs_close(struct rowfs_db *db, struct rowfs_err *err)
{
	int rc = ROWFS_OK;

	if (!db)
		return ROWFS_OK;
	if (db->writer)
		rowfs_txn_abort(db->writer);   /* an open transaction never commits by itself */
	if (!pager_is_read_only(db->pager) && !pager_in_error(db->pager))
		rc = pager_checkpoint(db->pager, err);
	pager_close(db->pager);
	catalog_free(db->catalog);
	catalog_free(db->view_catalog);
	sbuf_release(&db->feed);
	sizes_free(db->sizes);
	free(db->path);
	free(db);
	return rc;
}

/* Open a pager transaction (long: explicit), recovering from the error state first. */
static int open_txn(struct rowfs_db *db, int long_txn, struct rowfs_err *err)
{
	int rc;

	if (pager_in_error(db->pager)) {
		struct rowfs_err cause;

		/* The cause has its own buffer: err->msg cannot be both format argument and output. */
		rc = recover(db, &cause);
		if (rc)
			return rowfs_err_set(err, ROWFS_IOERR, cause.sys_errno,
					     "Error: I/O error: recovery failed: %s", cause.msg);
	}
	rc = pager_begin(db->pager, long_txn, err);
	if (rc)
		return rc;
	db->in_txn = 1;
	db->checkpoint_requested = 0;
	return ROWFS_OK;
}

/* The statistics of the state reads see now (the caller entered the view). */
static void fill_stats(struct rowfs_db *db, const struct catalog *cat, struct rowfs_stats *st)
{
	struct pager_stats ps;
	struct rowfs_err ignored;
	uint32_t depth = 0;

	pager_get_stats(db->pager, &ps);
	memset(st, 0, sizeof(*st));
	if (btree_depth(db->pager, &depth, &ignored) != ROWFS_OK)
		depth = 0;
	st->rows = pager_row_count(db->pager);
	st->depth = depth;
	st->pages = pager_page_count(db->pager);
	st->free_pages = pager_free_count(db->pager);
	st->cache_pages = ps.cache_pages;
	st->cache_hits = ps.hits;
	st->cache_misses = ps.misses;
	st->commits = ps.commits;
	st->statements = db->statements;
	st->errors = db->errors;
	st->wal_frames = ps.wal_frames;
	st->wal_bytes = ps.wal_bytes;
	st->checkpoints = ps.checkpoints;
	st->fsyncs = ps.fsyncs;
	pager_snapshot_stats(db->pager, &st->snapshots, &st->snapshot_pages,
			     &st->snapshots_expired);
	st->tables = cat ? catalog_count(cat) : 1;
}

/* The stats text of `.stats` and the `stats` file, of the state reads see now. */
static int emit_stats(struct rowfs_db *db, const struct catalog *cat, rowfs_emit_fn emit,
		      void *ctx, struct rowfs_err *err)
{
	struct rowfs_stats st;
	char text[800];
	int n;

	fill_stats(db, cat, &st);
	n = snprintf(text, sizeof(text),
		     "rows: %llu\ndepth: %u\npages: %u\nfree_pages: %u\ncache_pages: %u\n"
		     "cache_hits: %llu\ncache_misses: %llu\ncommits: %llu\nstatements: %llu\n"
		     "errors: %llu\nwal_frames: %llu\nwal_bytes: %llu\ncheckpoints: %llu\n"
		     "fsyncs: %llu\nsnapshots: %u\nsnapshot_pages: %u\nsnapshots_expired: %llu\n"
		     "tables: %u\n",
		     (unsigned long long)st.rows, st.depth, st.pages, st.free_pages, st.cache_pages,
		     (unsigned long long)st.cache_hits, (unsigned long long)st.cache_misses,
		     (unsigned long long)st.commits, (unsigned long long)st.statements,
		     (unsigned long long)st.errors, (unsigned long long)st.wal_frames,
		     (unsigned long long)st.wal_bytes, (unsigned long long)st.checkpoints,
		     (unsigned long long)st.fsyncs, st.snapshots, st.snapshot_pages,
		     (unsigned long long)st.snapshots_expired, st.tables);
	if (emit(ctx, text, (size_t)n))
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	return ROWFS_OK;
}

/* What `.stats` reads: the database and the catalog of the statement's state. */
struct stats_view {
	struct rowfs_db *db;
	const struct catalog *cat;
};

/* vm_env.render_stats: `.stats`, of the state the statement reads. */
static int render_stats_cb(void *ctx, rowfs_emit_fn emit, void *emit_ctx, struct rowfs_err *err)
{
	const struct stats_view *v = ctx;

	return emit_stats(v->db, v->cat, emit, emit_ctx, err);
}

void rowfs_set_change_hook(struct rowfs_db *db, rowfs_change_fn fn, void *ctx)
{
	db->change_fn = fn;
	db->change_ctx = ctx;
}

uint64_t rowfs_last_seq(struct rowfs_db *db)
{
	return pager_last_seq(db->pager);
}

/* Largest piece of a commit handed to the change hook (a longer line goes alone). */
#define FEED_CHUNK 16384u

/*
 * Feed the lines of the commit just made (seq) to the change hook, each
 * prefixed with "SEQ ", in pieces of whole lines.
 */
static void feed_changes(struct rowfs_db *db, uint64_t seq)
{
	struct sbuf chunk = {0};
	char prefix[24];
	size_t off = 0;
	int plen = snprintf(prefix, sizeof(prefix), "%llu ", (unsigned long long)seq);

	while (off < db->feed.len) {
		const char *line = db->feed.data + off;
		const char *nl = memchr(line, '\n', db->feed.len - off);
		size_t len = nl ? (size_t)(nl - line) + 1 : db->feed.len - off;

		if (chunk.len > 0 && chunk.len + (size_t)plen + len > FEED_CHUNK) {
			db->change_fn(db->change_ctx, seq, chunk.data, chunk.len, 0);
			chunk.len = 0;
		}
		if (sbuf_append(&chunk, prefix, (size_t)plen) || sbuf_append(&chunk, line, len))
			break;   /* out of memory: the feed loses the rest of this commit */
		off += len;
	}
	db->change_fn(db->change_ctx, seq, chunk.data ? chunk.data : "", chunk.len, 1);
	sbuf_release(&chunk);
}

/* Make the open pager transaction durable, feed the change hook, run a requested checkpoint. */
static int commit_txn(struct rowfs_db *db, struct rowfs_err *err)
{
	uint64_t logged;
	uint64_t seq;
	int rc;

	if (!db->in_txn)
		return ROWFS_OK;
	db->in_txn = 0;
	logged = pager_txn_log_bytes(db->pager);   /* parts included */
	seq = pager_last_seq(db->pager);
	rc = pager_commit(db->pager, err);
	if (rc == ROWFS_OK && db->change_fn && logged > 0 && pager_last_seq(db->pager) == seq + 1)
		feed_changes(db, seq + 1);
	db->feed.len = 0;
	if (rc == ROWFS_OK && pager_last_seq(db->pager) == seq + 1)
		sizes_commit(db->sizes, seq + 1, now_realtime());
	else
		sizes_rollback(db->sizes);   /* nothing committed (a failure: recover resets) */
	if (rc == ROWFS_OK && db->ddl_in_txn) {
		db->ddl_in_txn = 0;
		db->ddl_seq = pager_last_seq(db->pager);
	}
	if (rc) {
		struct rowfs_err ignored;

		recover(db, &ignored); /* leaves the error state on failure; next begin retries */
		prefix_io_error(rc, err);
		return rc;
	}
	if (db->checkpoint_requested) {
		struct rowfs_err ignored;

		/* the commit is durable: a failed checkpoint must not report it as failed */
		db->checkpoint_requested = 0;
		pager_checkpoint(db->pager, &ignored);
	}
	return ROWFS_OK;
}

/* Discard the open pager transaction: from its base images if it is long, else by reloading. */
static int rollback_txn(struct rowfs_db *db, struct rowfs_err *err)
{
	struct rowfs_err ignored;
	int rc = ROWFS_OK;

	if (db->in_txn && pager_rollback(db->pager, &ignored) != ROWFS_OK)
		rc = recover(db, err);
	else if (db->ddl_in_txn)
		rc = load_catalog(db, err);   /* the pages are the committed ones again */
	db->in_txn = 0;
	db->checkpoint_requested = 0;
	db->feed.len = 0;
	sizes_rollback(db->sizes);
	return rc;
}

/* ---- transactions ------------------------------------------------------------ */

static int busy(struct rowfs_err *err)
{
	return rowfs_err_set(err, ROWFS_BUSY, EBUSY,
			     "Error: database is busy: another handle has a transaction open");
}

/* Begin txn as a read transaction: a snapshot of the newest committed state. */
static int reader_begin(struct rowfs_txn *txn, struct rowfs_err *err)
{
	struct rowfs_db *db = txn->db;
	int rc = ensure_loaded(db, err);

	if (rc)
		return rc;
	if (db->in_txn && db->writer && db->writer->state != TXN_OPEN &&
	    pager_txn_dirty(db->pager))
		return rowfs_err_set(err, ROWFS_BUSY, EBUSY,
				     "Error: database is busy: the committed state is not readable "
				     "in the middle of a unit that changed rows");
	txn->rdonly = 1;
	return pager_snapshot_open(db->pager, &txn->snap, err);
}

/* Begin txn as the write transaction. */
static int writer_begin(struct rowfs_txn *txn, struct rowfs_err *err)
{
	struct rowfs_db *db = txn->db;
	int rc;

	if (db->writer)
		return busy(err);
	rc = open_txn(db, 0, err);
	if (rc)
		return rc;
	db->writer = txn;
	return ROWFS_OK;
}

int rowfs_txn_begin(struct rowfs_db *db, unsigned flags, struct rowfs_txn **out,
		    struct rowfs_err *err)
{
	struct rowfs_txn *txn;
	int rc;

	*out = NULL;
	if (flags & ~ROWFS_TXN_RDONLY)
		return rowfs_err_set(err, ROWFS_ERROR, EINVAL, "unknown transaction flags 0x%x",
				     flags);
	txn = calloc(1, sizeof(*txn));
	if (!txn)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	txn->db = db;
	rc = (flags & ROWFS_TXN_RDONLY) ? reader_begin(txn, err) : writer_begin(txn, err);
	if (rc) {
		free(txn);
		return rc;
	}
	*out = txn;
	return ROWFS_OK;
}

/* End and free txn (its pager state already settled). */
static void txn_free(struct rowfs_txn *txn)
{
	struct rowfs_db *db = txn->db;

	if (txn->rdonly)
		pager_snapshot_close(db->pager, txn->snap);
	else if (db->writer == txn)
		db->writer = NULL;
	free(txn);
}

int rowfs_txn_commit(struct rowfs_txn *txn, struct rowfs_err *err)
{
	int rc = ROWFS_OK;

	if (!txn)
		return ROWFS_OK;
	if (!txn->rdonly) {
		struct rowfs_db *db = txn->db;

		if (txn->state == TXN_FAILED) {
			struct rowfs_err ignored;

			rollback_txn(db, &ignored);
			rc = rowfs_err_set(err, ROWFS_IOERR, EIO,
					   "Error: I/O error: the transaction was rolled back after "
					   "an earlier error");
		} else {
			rc = commit_txn(db, err);
		}
	}
	txn_free(txn);
	return rc;
}

void rowfs_txn_abort(struct rowfs_txn *txn)
{
	struct rowfs_err ignored;

	if (!txn)
		return;
	if (!txn->rdonly)
		rollback_txn(txn->db, &ignored);
	txn_free(txn);
}

int rowfs_txn_state(const struct rowfs_txn *txn)
{
	return txn->rdonly ? TXN_NONE : txn->state;
}

uint64_t rowfs_txn_boundaries(const struct rowfs_txn *txn)
{
	return txn->boundaries;
}

int rowfs_txn_rdonly(const struct rowfs_txn *txn)
{
	return txn->rdonly;
}

uint64_t rowfs_txn_seq(const struct rowfs_txn *txn)
{
	return txn->rdonly ? pager_snapshot_seq(txn->snap) : pager_last_seq(txn->db->pager);
}

/* ---- statements ---------------------------------------------------------------- */

static int emit_executed(rowfs_emit_fn emit, void *ctx, struct rowfs_err *err)
{
	if (emit(ctx, "Executed.\n", 10))
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	return ROWFS_OK;
}

/* After transaction control, the rest of the unit runs in an implicit transaction. */
static void reopen(struct rowfs_db *db)
{
	struct rowfs_err ignored;

	if (!db->in_txn)
		open_txn(db, 0, &ignored);   /* failing: the next statement tries again */
}

/* `begin`: commit what the transaction ran so far, open an explicit transaction. */
static int stmt_begin(struct rowfs_txn *txn, struct rowfs_err *err)
{
	struct rowfs_db *db = txn->db;
	int rc;

	if (txn->state != TXN_NONE)
		return rowfs_err_set(err, ROWFS_TXN, 0,
				     "Error: cannot start a transaction within a transaction");
	rc = commit_txn(db, err);
	if (rc == ROWFS_OK)
		rc = open_txn(db, 1, err);
	if (rc == ROWFS_OK)
		txn->state = TXN_OPEN;
	reopen(db);
	return rc;
}

/* `commit`: make the explicit transaction durable; the unit goes on implicitly. */
static int stmt_commit(struct rowfs_txn *txn, struct rowfs_err *err)
{
	struct rowfs_db *db = txn->db;
	int state = txn->state;
	int rc;

	if (state == TXN_NONE)
		return rowfs_err_set(err, ROWFS_TXN, 0,
				     "Error: cannot commit - no transaction is active");
	txn->state = TXN_NONE;
	if (state == TXN_FAILED) {
		struct rowfs_err ignored;

		rollback_txn(db, &ignored);
		rc = rowfs_err_set(err, ROWFS_IOERR, EIO,
				   "Error: I/O error: the transaction was rolled back after an earlier error");
	} else {
		uint64_t seq = pager_last_seq(db->pager);

		rc = commit_txn(db, err);
		/*
		 * The commit itself failed (not a checkpoint after it): the
		 * transaction is rolled back, and stays FAILED like after any
		 * I/O error inside it, so that the statements after it (a
		 * ctl retry from the short count through `begin`) cannot
		 * commit on their own.
		 */
		if (rowfs_rc_is_fatal(rc) && pager_last_seq(db->pager) == seq)
			txn->state = TXN_FAILED;
	}
	reopen(db);
	return rc;
}

/* `rollback`: discard the explicit transaction; the unit goes on implicitly. */
static int stmt_rollback(struct rowfs_txn *txn, struct rowfs_err *err)
{
	struct rowfs_db *db = txn->db;
	int rc;

	if (txn->state == TXN_NONE)
		return rowfs_err_set(err, ROWFS_TXN, 0,
				     "Error: cannot rollback - no transaction is active");
	txn->state = TXN_NONE;
	rc = rollback_txn(db, err);
	reopen(db);
	return rc;
}

/* Does the compiled program change the database (or checkpoint it)? */
static int program_writes(const struct program *prog)
{
	unsigned i;

	for (i = 0; i < prog->count; i++)
		if (prog->ops[i].code == OP_WRITABLE || prog->ops[i].code == OP_CHECKPOINT)
			return 1;
	return 0;
}

/* Make reads see what txn sees: its snapshot (read), the newest state (write). */
static int txn_enter(struct rowfs_txn *txn, struct rowfs_err *err)
{
	struct rowfs_db *db = txn->db;
	int rc = ensure_loaded(db, err);

	if (rc || !txn->rdonly)
		return rc;
	return pager_set_view(db->pager, txn->snap, err);
}

/* Undo txn_enter. */
static void txn_leave(struct rowfs_txn *txn)
{
	struct rowfs_err ignored;

	if (txn->rdonly)
		pager_set_view(txn->db->pager, NULL, &ignored);
}

/* Sequence of the committed state a read transaction shows. */
static uint64_t view_seq(const struct rowfs_txn *txn)
{
	return pager_snapshot_seq(txn->snap);
}

/*
 * The catalog of what txn reads (entered): the live catalog for a write
 * transaction, and for a read one when no create or drop happened since
 * its state; else one loaded through the view (kept for the next reader
 * of the same state).
 */
static int txn_catalog(struct rowfs_txn *txn, struct catalog **out, struct rowfs_err *err)
{
	struct rowfs_db *db = txn->db;
	struct catalog *cat;
	uint64_t seq;
	int rc;

	if (!txn->rdonly) {
		*out = db->catalog;
		return ROWFS_OK;
	}
	seq = view_seq(txn);
	if (!db->ddl_in_txn && seq >= db->ddl_seq) {
		*out = db->catalog;
		return ROWFS_OK;
	}
	if (db->view_catalog && db->view_catalog_seq == seq) {
		*out = db->view_catalog;
		return ROWFS_OK;
	}
	rc = catalog_load(db->pager, pager_catalog_root(db->pager), &cat, err);
	if (rc)
		return rc;
	catalog_free(db->view_catalog);
	db->view_catalog = cat;
	db->view_catalog_seq = seq;
	*out = cat;
	return ROWFS_OK;
}

/* Where a statement's replies go: text, and select results to a sink or as text. */
struct reply {
	rowfs_emit_fn emit;              /* reply text */
	void *ctx;                       /* its argument */
	const struct rowfs_sink *sink;   /* typed select results, or NULL */
};

/*
 * A select's column names to the sink, before its rows (rowfs.h, "Typed
 * results"); nothing for a program that is no select.
 */
static int result_columns(const struct program *prog, const struct rowfs_sink *sink,
			  struct rowfs_err *err)
{
	static const char *const seed[] = {"id", "username"}, *const count[] = {"count(*)"};
	const char *names[RECORD_MAX_COLUMNS];
	const char *const *list = NULL;
	unsigned i, n = 0;

	for (i = 0; i < prog->count && !list; i++) {
		switch (prog->ops[i].code) {
		case OP_RESULT_ROW:
			list = seed;
			n = 2;
			break;
		case OP_RESULT_COUNT:
			list = count;
			n = 1;
			break;
		case OP_RESULT:
			for (n = 0; n < prog->plan->column_count && n < RECORD_MAX_COLUMNS; n++)
				names[n] = prog->table->columns[prog->plan->columns[n]].name;
			list = names;
			break;
		default:
			break;
		}
	}
	if (list && sink->columns(sink->ctx, list, n))
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	return ROWFS_OK;
}

/*
 * Run a compiled program against cat; reads see the current view.  The
 * feed lines of a failed statement are dropped (a statement error changed
 * nothing; after an I/O error the transaction goes).
 */
static int run_program(struct rowfs_db *db, struct catalog *cat, const struct program *prog,
		       int writes, const struct reply *reply, struct rowfs_err *err)
{
	size_t feed_len = db->feed.len;
	struct stats_view view = {db, cat};
	struct lines_delta saved;
	struct vm_env env;
	int rc;

	memset(&env, 0, sizeof(env));
	env.pager = db->pager;
	env.catalog = cat;
	env.feed = db->change_fn ? &db->feed : NULL;
	env.render_stats = render_stats_cb;
	env.stats_ctx = &view;
	env.sink = reply->sink;
	env.ddl_table = -1;
	/* the seed statements change users (id 0); a failed one changed nothing */
	if (writes && program_writes(prog))
		env.delta = sizes_touch(db->sizes, prog->table ? prog->table->id : 0);
	if (env.delta)
		saved = *env.delta;
	rc = reply->sink ? result_columns(prog, reply->sink, err) : ROWFS_OK;
	if (rc == ROWFS_OK)
		rc = vm_run(&env, prog, reply->emit, reply->ctx, err);
	if (env.delta && rc != ROWFS_OK && rc != ROWFS_EXIT)
		*env.delta = saved;
	if (env.catalog_changed)
		db->ddl_in_txn = 1;
	if (env.ddl_table >= 0 && (rc == ROWFS_OK || rc == ROWFS_EXIT))
		sizes_ddl(db->sizes, env.ddl_table);
	if (rc != ROWFS_OK && rc != ROWFS_EXIT)
		db->feed.len = feed_len;
	if (rc == ROWFS_OK && env.checkpoint_requested) {
		/*
		 * `.checkpoint`: at once when nothing is pending, so that its
		 * failure is this statement's (nothing committed yet); else
		 * after the commit, where a failure only leaves the error state
		 * (the commit stands, and the next write recovers).
		 */
		if (!pager_txn_dirty(db->pager) && !pager_in_error(db->pager)) {
			rc = pager_checkpoint(db->pager, err);
			prefix_io_error(rc, err);
		} else {
			db->checkpoint_requested = 1;
		}
	}
	return rc;
}

/* Count a failed statement and give its message the contract's form. */
static int statement_failed(struct rowfs_db *db, int rc, struct rowfs_err *err)
{
	if (rc == ROWFS_OK || rc == ROWFS_EXIT)
		return rc;
	db->errors++;
	prefix_io_error(rc, err);
	err->rc = rc;
	return rc;
}

/*
 * Parse a statement line and count it (blank lines are not statements).
 * Returns 1 for a blank line (nothing to do), else 0 with *rc the parse
 * result.  The caller frees stmt (statement_free) either way.
 */
static int parse_counted(struct rowfs_db *db, const char *line, size_t len,
			 struct statement *stmt, int *rc, struct rowfs_err *err)
{
	*rc = parse_line(line, len, stmt, err);
	if (*rc == ROWFS_OK && stmt->type == STMT_EMPTY)
		return 1;
	db->statements++;
	return 0;
}

/* Compile stmt against cat and run it; frees what compiling allocated. */
static int compile_and_run(struct rowfs_db *db, struct catalog *cat, const struct statement *stmt,
			   const struct reply *reply, struct rowfs_err *err)
{
	struct program prog;
	int rc = compile_sql(stmt, cat, &prog, err);

	if (rc == ROWFS_OK)
		rc = run_program(db, cat, &prog, 1, reply, err);
	compile_release(&prog);
	return rc;
}

/* A statement of the write transaction txn (stmt is the caller's: statement_free after). */
static int exec_write(struct rowfs_txn *txn, const char *line, size_t len,
		      struct statement *stmt, const struct reply *reply, struct rowfs_err *err)
{
	struct rowfs_db *db = txn->db;
	int rc;

	if (parse_counted(db, line, len, stmt, &rc, err))
		return ROWFS_OK;
	/* a pager transaction that could not be reopened after `commit` (error state): retry */
	if (rc == ROWFS_OK && !db->in_txn && txn->state != TXN_FAILED)
		rc = open_txn(db, 0, err);
	if (rc)
		return statement_failed(db, rc, err);
	switch (stmt->type) {
	case STMT_BEGIN:
		rc = stmt_begin(txn, err);
		break;
	case STMT_COMMIT:
		rc = stmt_commit(txn, err);
		break;
	case STMT_ROLLBACK:
		rc = stmt_rollback(txn, err);
		break;
	default:
		if (txn->state == TXN_FAILED) {
			rc = rowfs_err_set(err, ROWFS_TXN, 0,
					   "Error: the transaction was rolled back after an error; "
					   "end it with rollback");
			break;
		}
		rc = compile_and_run(db, db->catalog, stmt, reply, err);
		if (rowfs_rc_is_fatal(rc) && txn->state == TXN_OPEN) {
			struct rowfs_err ignored;

			/* pages may be half changed: the whole transaction goes */
			rollback_txn(db, &ignored);
			txn->state = TXN_FAILED;
		}
		return statement_failed(db, rc, err);
	}
	if (rc == ROWFS_OK) {
		txn->boundaries++;
		rc = emit_executed(reply->emit, reply->ctx, err);
	}
	return statement_failed(db, rc, err);
}

/* A statement of the read transaction txn: reads only, of its state and its catalog. */
static int exec_read(struct rowfs_txn *txn, const char *line, size_t len,
		     struct statement *stmt, const struct reply *reply, struct rowfs_err *err)
{
	struct rowfs_db *db = txn->db;
	struct program prog;
	struct catalog *cat;
	int rc;

	if (parse_counted(db, line, len, stmt, &rc, err))
		return ROWFS_OK;
	if (rc == ROWFS_OK && (stmt->type == STMT_BEGIN || stmt->type == STMT_COMMIT ||
			       stmt->type == STMT_ROLLBACK))
		rc = busy(err);
	if (rc == ROWFS_OK)
		rc = txn_enter(txn, err);
	if (rc)
		return statement_failed(db, rc, err);
	rc = txn_catalog(txn, &cat, err);
	if (rc == ROWFS_OK)
		rc = compile_sql(stmt, cat, &prog, err);
	if (rc == ROWFS_OK) {
		if (program_writes(&prog))
			rc = busy(err);
		else
			rc = run_program(db, cat, &prog, 0, reply, err);
		compile_release(&prog);
	}
	txn_leave(txn);
	return statement_failed(db, rc, err);
}

int rowfs_complete(const char *line, size_t len)
{
	return !parse_wants_more(line, len);
}

int rowfs_exec_sink(struct rowfs_txn *txn, const char *line, size_t len,
		    const struct rowfs_sink *sink, rowfs_emit_fn emit, void *ctx,
		    struct rowfs_err *err)
{
	struct reply reply = {emit, ctx, sink};
	struct statement stmt;
	int rc = txn->rdonly ? exec_read(txn, line, len, &stmt, &reply, err)
			     : exec_write(txn, line, len, &stmt, &reply, err);

	statement_free(&stmt);
	return rc;
}

int rowfs_exec(struct rowfs_txn *txn, const char *line, size_t len, rowfs_emit_fn emit,
	       void *ctx, struct rowfs_err *err)
{
	return rowfs_exec_sink(txn, line, len, NULL, emit, ctx, err);
}

int rowfs_checkpoint(struct rowfs_db *db, struct rowfs_err *err)
{
	if (db->in_txn && pager_txn_dirty(db->pager))
		return rowfs_err_set(err, ROWFS_ERROR, 0, "checkpoint inside a transaction");
	if (pager_in_error(db->pager)) {
		int rc = recover(db, err);

		if (rc)
			return rc;
	}
	return pager_checkpoint(db->pager, err);
}

/* ---- reads --------------------------------------------------------------------- */

/* The table named name (NULL: users) in what txn reads (entered). */
static int find_table(struct rowfs_txn *txn, const char *name,
		      const struct table_schema **out, struct rowfs_err *err)
{
	struct catalog *cat;
	int rc = txn_catalog(txn, &cat, err);

	*out = NULL;
	if (rc)
		return rc;
	if (!name)
		name = "users";
	*out = catalog_find(cat, name, strlen(name));
	if (!*out)
		return rowfs_err_set(err, ROWFS_NOTFOUND, ENOENT, "Error: no such table: %.64s",
				     name);
	return ROWFS_OK;
}

/* Undo txn_enter after a read; returns rc, an I/O error's text given the contract's prefix. */
static int leave_read(struct rowfs_txn *txn, int rc, struct rowfs_err *err)
{
	txn_leave(txn);
	prefix_io_error(rc, err);
	return rc;
}

/*
 * txn_enter, then find_table: the table named name (NULL: users) in what
 * txn reads.  On success the caller ends with leave_read; on failure
 * nothing stays entered.
 */
static int enter_table(struct rowfs_txn *txn, const char *name,
		       const struct table_schema **out, struct rowfs_err *err)
{
	int rc = txn_enter(txn, err);

	if (rc)
		return rc;
	rc = find_table(txn, name, out, err);
	return rc ? leave_read(txn, rc, err) : ROWFS_OK;
}

/*
 * users' rows from key start on, straight from its fixed-cell cursor into
 * the two typed values (the `rows` file's hot loop: no record, no copy).
 */
static int scan_users(struct rowfs_db *db, int64_t start, rowfs_row_fn fn, void *ctx,
		      struct rowfs_err *err)
{
	struct rowfs_value vals[2];
	struct cursor cur;
	int rc;

	if (start > (int64_t)UINT32_MAX)
		return ROWFS_OK;
	memset(vals, 0, sizeof(vals));
	vals[0].type = ROWFS_TYPE_INTEGER;
	vals[1].type = ROWFS_TYPE_TEXT;
	rc = cursor_seek(db->pager, start < 0 ? 0 : (uint64_t)start, &cur, err);
	while (rc == ROWFS_OK && !cursor_eof(&cur)) {
		struct row row;

		/* a damaged row (see scan_table) is corruption, reported */
		rc = cursor_row(&cur, &row, err);
		if (rc)
			break;
		vals[0].i = row.id;
		vals[1].p = row.username;
		vals[1].len = row.username_len;
		if (fn(ctx, row.id, vals, 2))
			break;
		rc = cursor_advance(&cur, err);
	}
	cursor_release(&cur);
	return rc;
}

/* The rows of t from key start on, to fn until it returns non-zero. */
static int scan_table(struct rowfs_db *db, const struct table_schema *t, int64_t start,
		      rowfs_row_fn fn, void *ctx, struct rowfs_err *err)
{
	struct rowfs_value vals[RECORD_MAX_COLUMNS];
	struct access a;
	int rc;

	if (t->is_users)
		return scan_users(db, start, fn, ctx, err);
	access_init(&a, db->pager, t);
	rc = access_seek_ge(&a, start, err);
	while (rc == ROWFS_OK && !a.eof) {
		/*
		 * A damaged row (its id not its key, or a name with bytes no
		 * statement can store, a newline say) would break the key order
		 * or the one-line-per-row output: it is corruption, reported.
		 */
		rc = access_values(&a, err);
		if (rc)
			break;
		value_export(a.vals, t->column_count, vals);
		if (fn(ctx, a.key, vals, t->column_count))
			break;
		rc = access_next(&a, err);
	}
	access_release(&a);
	return rc;
}

int rowfs_scan(struct rowfs_txn *txn, const char *table, int64_t start, rowfs_row_fn fn,
	       void *ctx, struct rowfs_err *err)
{
	const struct table_schema *t;
	int rc = enter_table(txn, table, &t, err);

	if (rc)
		return rc;
	rc = scan_table(txn->db, t, start, fn, ctx, err);
	return leave_read(txn, rc, err);
}

/* users' row by key, as Part 1 read it: the stored name, without decoding checks. */
static int get_users_row(struct rowfs_db *db, int64_t key, rowfs_row_fn fn, void *ctx,
			 int *found, struct rowfs_err *err)
{
	uint8_t value[ROW_SIZE];
	struct rowfs_value vals[2];
	int rc;

	if (key < 0 || key > (int64_t)UINT32_MAX)
		return ROWFS_OK;
	rc = btree_get(db->pager, (uint32_t)key, found, value, err);
	if (rc || !*found)
		return rc;
	memset(vals, 0, sizeof(vals));
	vals[0].type = ROWFS_TYPE_INTEGER;
	vals[0].i = key;
	vals[1].type = ROWFS_TYPE_TEXT;
	vals[1].p = value + USERNAME_OFFSET;
	vals[1].len = row_name_len(value);
	fn(ctx, key, vals, 2);
	return ROWFS_OK;
}

int rowfs_get(struct rowfs_txn *txn, const char *table, int64_t key, rowfs_row_fn fn,
	      void *ctx, int *found, struct rowfs_err *err)
{
	struct rowfs_value vals[RECORD_MAX_COLUMNS];
	const struct table_schema *t;
	struct access a;
	int rc;

	*found = 0;
	rc = enter_table(txn, table, &t, err);
	if (rc)
		return rc;
	if (t->is_users) {
		rc = get_users_row(txn->db, key, fn, ctx, found, err);
	} else {
		access_init(&a, txn->db->pager, t);
		rc = access_get(&a, key, found, err);
		if (rc == ROWFS_OK && *found) {
			value_export(a.vals, t->column_count, vals);
			fn(ctx, key, vals, t->column_count);
		}
		access_release(&a);
	}
	return leave_read(txn, rc, err);
}

/* The count-th key from the end of t (or its first key), walking back row by row. */
static int last_start_walk(struct rowfs_db *db, const struct table_schema *t, uint64_t count,
			   int64_t *start, int *found, struct rowfs_err *err)
{
	struct access a;
	uint64_t n;
	int rc;

	access_init(&a, db->pager, t);
	rc = access_seek_le(&a, INT64_MAX, err);
	for (n = 1; rc == ROWFS_OK && !a.eof; n++) {
		*start = a.key;
		*found = 1;
		if (n == count)
			break;
		rc = access_prev(&a, err);
	}
	access_release(&a);
	return rc;
}

int rowfs_last_start(struct rowfs_txn *txn, const char *table, uint64_t count, int64_t *start,
		     int *found, struct rowfs_err *err)
{
	const struct table_schema *t;
	uint64_t key = 0;
	int rc;

	*start = 0;
	*found = 0;
	if (count == 0)
		return ROWFS_OK;
	rc = enter_table(txn, table, &t, err);
	if (rc)
		return rc;
	if (t->is_users) {
		/* reads about count/102 leaves */
		rc = btree_last_start(txn->db->pager, count, &key, err);
		if (rc == ROWFS_OK && key <= UINT32_MAX) {
			*start = (int64_t)key;
			*found = 1;
		}
	} else {
		rc = last_start_walk(txn->db, t, count, start, found, err);
	}
	return leave_read(txn, rc, err);
}

/* t's name and columns into *info. */
static void fill_table_info(const struct table_schema *t, struct rowfs_table_info *info)
{
	unsigned i;

	memset(info, 0, sizeof(*info));
	memcpy(info->name, t->name, sizeof(info->name));
	info->column_count = t->column_count;
	info->key_column = t->key_column;
	for (i = 0; i < t->column_count; i++) {
		struct rowfs_column_info *c = &info->columns[i];

		memcpy(c->name, t->columns[i].name, sizeof(c->name));
		c->type = (int)t->columns[i].type;
		c->max_len = t->columns[i].max_len;
		c->not_null = t->columns[i].not_null || i == t->key_column;
		c->is_key = i == t->key_column;
		c->has_default = t->columns[i].has_default;
	}
}

int rowfs_table_info(struct rowfs_txn *txn, const char *table, struct rowfs_table_info *info,
		     struct rowfs_err *err)
{
	const struct table_schema *t;
	int rc;

	memset(info, 0, sizeof(*info));
	rc = enter_table(txn, table, &t, err);
	if (rc)
		return rc;
	fill_table_info(t, info);
	return leave_read(txn, ROWFS_OK, err);
}

int rowfs_table_next(struct rowfs_txn *txn, int64_t id, struct rowfs_table_info *info,
		     int64_t *found_id, int *found, struct rowfs_err *err)
{
	const struct table_schema *t;
	struct catalog *cat;
	int rc;

	*found = 0;
	*found_id = 0;
	rc = txn_enter(txn, err);
	if (rc)
		return rc;
	rc = txn_catalog(txn, &cat, err);
	if (rc == ROWFS_OK) {
		t = catalog_next_by_id(cat, id < 0 ? 0 : id);
		if (t) {
			fill_table_info(t, info);
			*found_id = t->id;
			*found = 1;
		}
	}
	return leave_read(txn, rc, err);
}

/* The numbers of t (entered). */
static int table_stats(struct rowfs_db *db, const struct table_schema *t,
		       struct rowfs_table_stats *st, struct rowfs_err *err)
{
	int rc;

	st->columns = t->column_count;
	if (t->is_users) {
		st->rows = pager_row_count(db->pager);
		rc = btree_depth(db->pager, &st->depth, err);
		return rc ? rc : btree_page_total(db->pager, &st->pages, err);
	}
	rc = table_row_count(db->pager, t->root, &st->rows, err);
	if (rc == ROWFS_OK)
		rc = table_depth(db->pager, t->root, &st->depth, err);
	return rc ? rc : table_page_total(db->pager, t->root, &st->pages, err);
}

int rowfs_table_stats(struct rowfs_txn *txn, const char *table, struct rowfs_table_stats *st,
		      struct rowfs_err *err)
{
	const struct table_schema *t;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = enter_table(txn, table, &t, err);
	if (rc)
		return rc;
	rc = table_stats(txn->db, t, st, err);
	return leave_read(txn, rc, err);
}

int rowfs_render_table_btree(struct rowfs_txn *txn, const char *table, rowfs_emit_fn emit,
			     void *ctx, struct rowfs_err *err)
{
	const struct table_schema *t;
	int rc = enter_table(txn, table, &t, err);

	if (rc)
		return rc;
	if (t->is_users)
		rc = btree_render(txn->db->pager, emit, ctx, err);
	else
		rc = table_render(txn->db->pager, t->root, emit, ctx, err);
	return leave_read(txn, rc, err);
}

/* ---- sizes and times of the renderings ----------------------------------- */

/* The lines of t (its names), ready for writing; ROWFS_OK or ROWFS_NOMEM. */
static int table_lines(const struct table_schema *t, struct rowfs_lines_table *lt)
{
	struct rowfs_table_info *info;
	int rc;

	if (t->is_users)
		return rowfs_lines_init(lt, NULL);
	info = malloc(sizeof(*info));
	if (!info)
		return ROWFS_NOMEM;
	fill_table_info(t, info);
	rc = rowfs_lines_init(lt, info);
	free(info);
	return rc;
}

/* A counting scan: the renderings it counts and what it found. */
struct count_scan {
	struct rowfs_lines_table lines;     /* the table's */
	unsigned mask;                      /* renderings counted */
	uint64_t rows;                      /* rows seen */
	uint64_t bytes[ROWFS_LINES_COUNT];  /* line bytes per rendering */
};

/* rowfs_row_fn: add one row's line sizes. */
static int count_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct count_scan *c = ctx;
	uint64_t sizes[ROWFS_LINES_COUNT];
	int l;

	(void)key;
	lines_sizes(&c->lines, c->mask, vals, n, sizes);
	c->rows++;
	for (l = 0; l < ROWFS_LINES_COUNT; l++)
		if (c->mask & ROWFS_LINES_BIT(l))
			c->bytes[l] += sizes[l];
	return 0;
}

/*
 * Count users' rows straight from the leaf cells (the first question of
 * a fresh mount pays this scan: no row is decoded, a damaged row is the
 * reader's to report).
 */
static int count_users(struct rowfs_db *db, struct count_scan *c, struct rowfs_err *err)
{
	uint64_t sizes[ROWFS_LINES_COUNT];
	struct cursor cur;
	int rc, l;

	rc = cursor_start(db->pager, &cur, err);
	while (rc == ROWFS_OK && !cursor_eof(&cur)) {
		const uint8_t *cells;
		uint32_t i, n = cursor_run(&cur, &cells);

		for (i = 0; i < n && c->mask == ROWFS_LINES_BIT(ROWFS_LINES_ROWS); i++) {
			/* `rows` alone (the first stat of a fresh mount): the sum, inline */
			const uint8_t *cell = cells + (size_t)i * LEAF_NODE_CELL_SIZE;

			c->bytes[ROWFS_LINES_ROWS] +=
				lines_seed_rows_size(get_u32(cell + LEAF_NODE_KEY_OFFSET),
						     row_name_len(cell + LEAF_NODE_VALUE_OFFSET));
		}
		for (i = 0; i < n && c->mask != ROWFS_LINES_BIT(ROWFS_LINES_ROWS); i++) {
			const uint8_t *cell = cells + (size_t)i * LEAF_NODE_CELL_SIZE;
			const uint8_t *value = cell + LEAF_NODE_VALUE_OFFSET;

			lines_seed_sizes(c->mask, get_u32(cell + LEAF_NODE_KEY_OFFSET),
					 (const char *)value + USERNAME_OFFSET, row_name_len(value),
					 sizes);
			for (l = 0; l < ROWFS_LINES_COUNT; l++)
				if (c->mask & ROWFS_LINES_BIT(l))
					c->bytes[l] += sizes[l];
		}
		c->rows += n;
		rc = cursor_skip_run(&cur, err);
	}
	cursor_release(&cur);
	return rc;
}

/*
 * Rows and line bytes of the renderings in want of t (entered), into out:
 * the kept counts where they hold, else one scan, kept when txn reads the
 * newest committed state.
 */
static int table_counts(struct rowfs_txn *txn, const struct table_schema *t, unsigned want,
			struct rowfs_table_sizes *out, struct rowfs_err *err)
{
	struct rowfs_db *db = txn->db;
	int newest = txn->rdonly && view_seq(txn) == pager_last_seq(db->pager);
	const struct sizes_entry *e = newest ? sizes_find(db->sizes, t->id) : NULL;
	unsigned have = e ? e->counted : 0;
	struct count_scan *c;
	size_t names = 0;
	int rc, l;

	if (want && (have & want) == want) {
		out->rows = e->rows;
		for (l = 0; l < ROWFS_LINES_COUNT; l++)
			if (want & ROWFS_LINES_BIT(l))
				out->bytes[l] = e->bytes[l];
		return ROWFS_OK;
	}
	if (!want)
		return ROWFS_OK;
	c = calloc(1, sizeof(*c));
	if (!c)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	for (l = 0; l < (int)t->column_count && !t->is_users; l++)
		names += strlen(t->columns[l].name);
	lines_shape(&c->lines, t->is_users, strlen(t->name), t->column_count, names);
	/* the counts this table has stay; the scan adds the others (all of them if none) */
	c->mask = have ? want & ~have : want;
	rc = t->is_users ? count_users(db, c, err) : scan_table(db, t, INT64_MIN, count_row, c, err);
	if (rc == ROWFS_OK) {
		out->rows = have ? e->rows : c->rows;
		for (l = 0; l < ROWFS_LINES_COUNT; l++)
			if (want & ROWFS_LINES_BIT(l))
				out->bytes[l] = (c->mask & ROWFS_LINES_BIT(l)) ? c->bytes[l] : e->bytes[l];
		if (newest)   /* out of memory: nothing kept, and no error */
			sizes_set_counts(db->sizes, t->id, c->mask, c->rows, c->bytes);
	}
	free(c);
	return rc;
}

int rowfs_table_sizes(struct rowfs_txn *txn, const char *table, unsigned want,
		      struct rowfs_table_sizes *out, struct rowfs_err *err)
{
	const struct table_schema *t;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = txn_enter(txn, err);
	if (rc)
		return rc;
	rc = find_table(txn, table, &t, err);
	if (rc == ROWFS_OK) {
		sizes_change(txn->db->sizes, t->id, &out->change_seq, &out->change_time);
		rc = table_counts(txn, t, want & LINES_ALL, out, err);
	}
	txn_leave(txn);
	prefix_io_error(rc, err);
	return rc;
}

int rowfs_dump_size(struct rowfs_txn *txn, uint64_t *bytes, struct rowfs_err *err)
{
	struct rowfs_table_sizes counts;
	const struct table_schema *t;
	struct catalog *cat;
	int64_t id = 0;
	int rc;

	*bytes = sizeof("begin\n") - 1 + sizeof("commit\n") - 1;
	rc = txn_enter(txn, err);
	if (rc)
		return rc;
	rc = txn_catalog(txn, &cat, err);
	while (rc == ROWFS_OK && (t = catalog_next_by_id(cat, id)) != NULL) {
		rc = table_counts(txn, t, ROWFS_LINES_BIT(ROWFS_LINES_DUMP), &counts, err);
		*bytes += counts.bytes[ROWFS_LINES_DUMP] + (t->is_users ? 0 : strlen(t->sql) + 1);
		id = t->id + 1;
	}
	txn_leave(txn);
	prefix_io_error(rc, err);
	return rc;
}

void rowfs_last_change(struct rowfs_db *db, uint64_t *seq, struct timespec *time)
{
	sizes_change(db->sizes, -1, seq, time);
}

int rowfs_input_statement(struct rowfs_txn *txn, const char *table, int form, int mode,
			  int has_key, int64_t key, const char *text, size_t len, char **out,
			  size_t *out_len, struct rowfs_err *err)
{
	const struct table_schema *t;
	int rc;

	*out = NULL;
	*out_len = 0;
	rc = enter_table(txn, table, &t, err);
	if (rc)
		return rc;
	rc = input_statement(t, form, mode, has_key, key, text, len, out, out_len, err);
	return leave_read(txn, rc, err);
}

/* A table known by its create statement (rowfs_schema_parse). */
struct rowfs_schema {
	struct table_schema t;   /* as the catalog would hold it (root and id 0) */
};

int rowfs_schema_parse(const char *sql, size_t len, struct rowfs_schema **out,
		       struct rowfs_table_info *info, struct rowfs_err *err)
{
	struct rowfs_schema *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	rc = catalog_schema_from_sql(sql, len, &s->t, err);
	if (rc != ROWFS_OK) {
		free(s);
		return rc;
	}
	s->t.is_users = strcmp(s->t.name, "users") == 0;   /* no other table has that name */
	if (info)
		fill_table_info(&s->t, info);
	*out = s;
	return ROWFS_OK;
}

int rowfs_schema_input_statement(const struct rowfs_schema *schema, int form, int mode,
				 int has_key, int64_t key, const char *text, size_t len,
				 char **out, size_t *out_len, struct rowfs_err *err)
{
	return input_statement(&schema->t, form, mode, has_key, key, text, len, out, out_len,
			       err);
}

void rowfs_schema_free(struct rowfs_schema *schema)
{
	if (!schema)
		return;
	catalog_schema_release(&schema->t);
	free(schema);
}

int rowfs_render_btree(struct rowfs_txn *txn, rowfs_emit_fn emit, void *ctx,
		       struct rowfs_err *err)
{
	int rc = txn_enter(txn, err);

	if (rc)
		return rc;
	rc = btree_render(txn->db->pager, emit, ctx, err);
	txn_leave(txn);
	return rc;
}

int rowfs_render_stats(struct rowfs_txn *txn, rowfs_emit_fn emit, void *ctx,
		       struct rowfs_err *err)
{
	struct catalog *cat = NULL;
	int rc = txn_enter(txn, err);

	if (rc)
		return rc;
	rc = txn_catalog(txn, &cat, err);
	if (rc == ROWFS_OK)
		rc = emit_stats(txn->db, cat, emit, ctx, err);
	txn_leave(txn);
	return rc;
}

int rowfs_get_stats(struct rowfs_txn *txn, struct rowfs_stats *st, struct rowfs_err *err)
{
	struct catalog *cat = NULL;
	int rc = txn_enter(txn, err);

	if (rc) {
		memset(st, 0, sizeof(*st));
		return rc;
	}
	if (txn_catalog(txn, &cat, err) != ROWFS_OK)
		cat = NULL;   /* the counters still come; tables reads 1 */
	fill_stats(txn->db, cat, st);
	txn_leave(txn);
	return ROWFS_OK;
}

int rowfs_check(struct rowfs_txn *txn, rowfs_emit_fn emit, void *ctx, uint64_t *problems,
		struct rowfs_err *err)
{
	int rc = txn_enter(txn, err);

	*problems = 0;
	if (rc)
		return rc;
	rc = db_check(txn->db, emit, ctx, problems, err);
	txn_leave(txn);
	return rc;
}

int rowfs_render_constants(rowfs_emit_fn emit, void *ctx)
{
	return vm_render_constants(emit, ctx) ? ROWFS_NOMEM : ROWFS_OK;
}

/* ---- dump ------------------------------------------------------------------ */

/* State of one rowfs_dump call. */
struct dump {
	struct rowfs_dump_pos *pos;   /* where the dump is */
	rowfs_emit_fn emit;           /* the caller's sink */
	void *ctx;                    /* its argument */
	int paused;                   /* emit asked to stop */
	struct sbuf line;             /* the line being built */
	struct rowfs_lines_table lines; /* dump_rows: the names of its table */
};

/* Hand the line to the caller; a non-zero answer pauses the dump. */
static void dump_emit(struct dump *d)
{
	if (d->emit(d->ctx, d->line.data, d->line.len))
		d->paused = 1;
}

/* The line that inserts the row in a->vals (lines.c's ROWFS_LINES_DUMP). */
static int dump_row_line(struct dump *d, const struct access *a, struct rowfs_err *err)
{
	const struct table_schema *t = a->schema;
	struct rowfs_value vals[RECORD_MAX_COLUMNS];
	size_t len;

	value_export(a->vals, t->column_count, vals);
	len = rowfs_line_size(ROWFS_LINES_DUMP, &d->lines, vals, t->column_count);
	d->line.len = 0;
	if (sbuf_reserve(&d->line, len))
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	d->line.len = rowfs_line(ROWFS_LINES_DUMP, &d->lines, vals, t->column_count, d->line.data);
	return ROWFS_OK;
}

/* The rows of t from pos->key on; at their end the dump moves to the next table. */
static int dump_rows(struct rowfs_db *db, struct dump *d, const struct table_schema *t,
		     struct rowfs_err *err)
{
	struct access a;
	int rc;

	if (table_lines(t, &d->lines) != ROWFS_OK)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	access_init(&a, db->pager, t);
	rc = access_seek_ge(&a, d->pos->key, err);
	while (rc == ROWFS_OK && !a.eof && !d->paused) {
		rc = access_values(&a, err);
		if (rc == ROWFS_OK)
			rc = dump_row_line(d, &a, err);
		if (rc)
			break;
		if (a.key == INT64_MAX)
			break;   /* the last key there can be */
		d->pos->key = a.key + 1;
		dump_emit(d);
		if (!d->paused)
			rc = access_next(&a, err);
	}
	if (rc == ROWFS_OK && !d->paused) {
		if (!a.eof) /* the row at INT64_MAX: taken, and the table is done */
			dump_emit(d);
		d->pos->stage = ROWFS_DUMP_CREATE;
		d->pos->table = t->id + 1;
	}
	access_release(&a);
	rowfs_lines_release(&d->lines);
	return rc;
}

/* One step of the dump at pos: a line, or a table's rows until paused. */
static int dump_step(struct rowfs_db *db, struct catalog *cat, struct dump *d,
		     struct rowfs_err *err)
{
	struct rowfs_dump_pos *pos = d->pos;
	const struct table_schema *t;

	d->line.len = 0;
	switch (pos->stage) {
	case ROWFS_DUMP_BEGIN:
		pos->stage = ROWFS_DUMP_CREATE;
		pos->table = 0;
		if (sbuf_append(&d->line, "begin\n", 6))
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		dump_emit(d);
		return ROWFS_OK;
	case ROWFS_DUMP_CREATE:
		t = catalog_next_by_id(cat, pos->table);
		if (!t) {
			pos->stage = ROWFS_DUMP_COMMIT;
			return ROWFS_OK;
		}
		pos->table = t->id;
		pos->stage = ROWFS_DUMP_ROWS;
		pos->key = INT64_MIN;
		if (t->is_users)
			return ROWFS_OK;
		if (sbuf_printf(&d->line, "%s\n", t->sql))
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		dump_emit(d);
		return ROWFS_OK;
	case ROWFS_DUMP_ROWS:
		t = catalog_find_id(cat, pos->table);
		if (!t) {
			pos->stage = ROWFS_DUMP_CREATE;
			pos->table++;
			return ROWFS_OK;
		}
		return dump_rows(db, d, t, err);
	case ROWFS_DUMP_COMMIT:
		pos->stage = ROWFS_DUMP_DONE;
		if (sbuf_append(&d->line, "commit\n", 7))
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		dump_emit(d);
		return ROWFS_OK;
	default:
		pos->stage = ROWFS_DUMP_DONE;
		return ROWFS_OK;
	}
}

int rowfs_dump(struct rowfs_txn *txn, struct rowfs_dump_pos *pos, rowfs_emit_fn emit, void *ctx,
	       struct rowfs_err *err)
{
	struct dump d;
	struct catalog *cat;
	int rc;

	if (pos->stage >= ROWFS_DUMP_DONE)
		return ROWFS_OK;
	memset(&d, 0, sizeof(d));
	d.pos = pos;
	d.emit = emit;
	d.ctx = ctx;
	rc = txn_enter(txn, err);
	if (rc)
		return rc;
	rc = txn_catalog(txn, &cat, err);
	while (rc == ROWFS_OK && !d.paused && pos->stage < ROWFS_DUMP_DONE)
		rc = dump_step(txn->db, cat, &d, err);
	txn_leave(txn);
	sbuf_release(&d.line);
	if (rc)
		prefix_io_error(rc, err);
	return rc;
}
