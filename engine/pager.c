/*
 * pager.c - transactions, the commit point, crash-atomic checkpoints and
 * recovery, over the page cache and the snapshot version store.
 *
 * Owns: the in-memory copy of the file header (page 0), the transaction's
 * log buffer, the commit point, the checkpoint, the entry points of
 * recovery (pager_open, pager_replay, pager_reload) and the pager's
 * state.  Below it: wal.c (DBFILE-wal) and os.c.  Beside each other below
 * it, and never calling it: cache.c (the frames of DBFILE's pages, LRU
 * eviction, cold pages; its invariants are there) and snapshot.c (live
 * snapshots and the old page images kept for them, expiry, garbage
 * collection; its model and invariants are there).  The pager decides
 * what they hold: it reads pages into cache frames, marks them dirty and
 * clean, and hands the store each page's committed image before a
 * transaction first changes it (preserve()).
 *
 * Model.  DBFILE always holds the state of the last checkpoint.  Every
 * change made since lives only in dirty cache pages; its durability comes
 * from the logical records of each committed transaction, which sit in the
 * WAL: a WAL_FRAME_TXN frame (the commit frame) preceded, when the
 * transaction's log outgrew its buffer of txn_part_bytes, by the
 * WAL_FRAME_TXN_PART frames the buffer was written as each time it filled.
 * After a crash, recovery re-runs those records through the B-tree (the
 * caller's replay callback) on top of the checkpointed file; the WAL hands
 * over a transaction's parts only once its TXN frame is seen (wal.c, rule
 * 5), so a transaction whose commit frame is missing is not replayed at
 * all.
 *
 * Transaction size.  Memory for the log is the buffer (txn_part_bytes, or
 * one record if larger), not the transaction.  A transaction's whole log
 * is bounded by txn_log_max (pager_log_room, checked before every change:
 * the statement that would pass it fails with ROWFS_TOOBIG and the
 * transaction stays usable).  Its dirty pages still stay in memory until
 * the commit (invariant 1).
 *
 * Invariants.
 *  1. A dirty page is never evicted and never written to DBFILE except by a
 *     checkpoint, and a checkpoint never runs while the open transaction
 *     has changed anything (so DBFILE never holds uncommitted changes, and
 *     a transaction's parts and TXN frame follow one another in the WAL).
 *  2. The header's applied sequence equals the sequence of the last
 *     transaction whose changes DBFILE holds; replay skips TXN frames at or
 *     below it, so replay after an interrupted checkpoint never applies a
 *     transaction twice.
 *  3. Clean pages equal their bytes in DBFILE.  The cache holds at most
 *     cache_pages pages unless dirty or referenced pages exceed that: once
 *     the cache is full, commit checkpoints when dirty pages pass 3/4 of
 *     cache_pages (cache_crowded()), so the excess is bounded by one
 *     transaction.
 *  4. After a failed write or fsync the pager is in the ERROR state: no
 *     commit or checkpoint is attempted until pager_reload() has rebuilt
 *     the state from what is on disk.  A failed fsync is never retried.
 *  5. The WAL past its good end (wal_good_end) holds the open
 *     transaction's parts and nothing else; they are never adopted by
 *     another transaction, which reuses their sequence number: a rollback
 *     cuts them (wal_rewind in pager_rollback, or the reload's scan, which
 *     drops a run of parts without its TXN frame), a failed write cuts
 *     them with everything unsynced (wal.c).
 *
 * Ordering rules (what is made durable before what).
 *  Commit:     [TXN_PART frames appended as the log buffer fills, no
 *              fsync] -> TXN frame appended -> WAL fsync (sync=full) ->
 *              success reported.  This is the commit point.
 *  Checkpoint: pages past the checkpointed page count written into DBFILE
 *              -> PAGE frames for page 0 (new applied sequence) and every
 *              other dirty page + CKPT_END appended -> DBFILE fsync -> WAL
 *              fsync -> those pages written into DBFILE -> DBFILE fsync ->
 *              WAL reset (new salts, truncated, fsync).  A crash before the
 *              WAL fsync leaves an incomplete block that recovery ignores
 *              (pages past the old page count are unreferenced garbage); a
 *              crash after it is redone from the block (copying pages is
 *              idempotent).
 *  With sync=normal the commit fsync is skipped; with sync=off every fsync.
 *
 * Snapshots.  A snapshot (struct rowfs_snapshot) is a struct snapshot of
 * the store plus a copy of the header of its state; reads through it
 * (pager_set_view) see the store's version of a page if there is one,
 * else the live page, and the snapshot's header.  A long transaction
 * (pager_begin with long_txn) opens a pinned base snapshot first, so
 * every page it changes keeps its committed image: snapshots opened
 * during it see the committed state, and pager_rollback() copies those
 * images back.
 *
 * States (enum pager_state; every change goes through set_state(), which
 * asserts in test builds that it is one of the moves below):
 *
 *   OPEN --pager_open--> READER --pager_begin--> WRITER, WRITER_LONG
 *                         ^  ^                         |   |
 *                         |  +-pager_commit/_rollback--+   | a write or
 *                         |                                v fsync fails
 *                         +--pager_replay-- UNLOADED <--pager_reload-- ERROR
 *
 *   from                  to                    by
 *   OPEN                  READER                pager_open (header and WAL read)
 *   READER, WRITER*       WRITER, WRITER_LONG   pager_begin (long_txn 0, 1)
 *   WRITER, WRITER_LONG   READER                pager_commit, pager_rollback
 *   READER, WRITER*       ERROR                 a failed commit, part write (pager_log),
 *                                               rollback cut or checkpoint;
 *                                               pager_replay failing after open
 *   any but OPEN          UNLOADED              pager_reload (failing or not)
 *   UNLOADED              READER                pager_replay succeeding
 *
 *  OPEN         inside pager_open, until the header and the WAL are read.
 *  READER       a state is loaded, no transaction: reads, snapshots,
 *               checkpoints.  pager_replay runs here after pager_open.
 *  WRITER       between pager_begin(0) and pager_commit/pager_rollback.
 *  WRITER_LONG  the same after pager_begin(1): txn_base is the pinned base
 *               snapshot.  pager_begin in a writer state starts afresh.
 *  ERROR        writes, commits, checkpoints and pager_begin fail with
 *               ROWFS_IOERR; reads still see the cache.  A failed commit
 *               leaves the log and txn_base as they were until the
 *               reload; a transaction that had changed nothing when a
 *               checkpoint failed ends at pager_commit/pager_rollback.
 *  UNLOADED     pager_reload dropped the cache: no valid state until
 *               pager_replay succeeds.  Reads fail with ROWFS_IOERR (but
 *               the replay's own), and so does all that ERROR refuses.  A
 *               reload that failed leaves the pager here.
 * Orthogonal to the state: view (reads see a snapshot; writes fail) and
 * replaying (inside pager_replay: writes allowed, nothing preserved).
 */
#include <config.h>
#include "pager.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "format.h"
#include "row.h"
#include "snapshot.h"
#include "util.h"
#include "wal.h"

_Static_assert(PAGER_RECORD_MAX <= WAL_MAX_PAYLOAD, "a record must fit one WAL frame");

struct header {
	uint32_t version;         /* format version: 1 or 2 (rowfs(5)) */
	uint32_t catalog_root;    /* version 2: root page of the catalog tree (0: not yet made) */
	uint32_t root;            /* root page of the users table */
	uint32_t page_count;      /* pages in the database, page 0 included */
	uint32_t free_head;       /* first free page */
	uint32_t free_count;      /* pages on the free list */
	uint64_t change_counter;  /* checkpoints that wrote the file */
	uint64_t applied_seq;     /* last transaction the file holds */
	uint64_t row_count;       /* rows in the table */
};

/*
 * A snapshot: one committed state, read through pager_set_view().  Pages
 * changed since it was taken are read from the version store (snapshot.c).
 */
struct rowfs_snapshot {
	struct snapshot snap;     /* the store's part: sequence, pinned, expired, live list */
	struct header hdr;        /* header of that state */
};

/* The pager's state: see "States" at the top. */
enum pager_state {
	PAGER_OPEN = 0,           /* pager_open has not loaded a state yet */
	PAGER_READER,             /* a state is loaded, no transaction */
	PAGER_WRITER,             /* a transaction is open */
	PAGER_WRITER_LONG,        /* a long transaction is open (txn_base) */
	PAGER_ERROR,              /* a write or fsync failed: writes refused until a reload */
	PAGER_UNLOADED            /* a reload did not finish: the cache holds no valid state */
};

struct pager {
	struct pager_config cfg;  /* copy of the configuration */
	char *path;               /* DBFILE */
	char *wal_path;           /* DBFILE-wal */
	struct os_file *file;     /* DBFILE */
	struct wal *wal;          /* the log */
	struct header hdr;        /* header of the newest state (memory) */
	uint32_t disk_pages;      /* page count of the checkpointed state in DBFILE */
	int header_dirty;         /* hdr differs from page 0 on disk */

	enum pager_state state;   /* changed by set_state() only */
	struct cache *cache;      /* the pages of the newest state */
	struct snapshot_store *snapshots; /* live snapshots and the old images they read */

	uint8_t *txn;             /* logged records of the open transaction not yet in the WAL */
	size_t txn_len, txn_cap;  /* bytes in txn, allocated */
	uint64_t txn_parts;       /* TXN_PART frames the open transaction wrote */
	uint64_t txn_logged;      /* bytes it logged, parts included */
	int txn_modified;         /* the open transaction changed pages or header */
	uint64_t last_seq;        /* sequence of the last committed transaction */
	int replaying;            /* pager_replay running: writes allowed even read-only */

	uint64_t commits, checkpoints, db_fsyncs;
	int recovering;           /* enum recovering: why the next pager_replay loads a state */
	uint32_t redone_pages;    /* pages of an interrupted checkpoint the last load redid */

	uint64_t txn_serial;      /* +1 at every pager_begin */
	struct rowfs_snapshot *txn_base; /* pinned snapshot of a long transaction */
	struct rowfs_snapshot *view;     /* state reads see; NULL = the newest (live) */
	int wal_limited;          /* a commit failed: recovery trusts the WAL only up to ... */
	uint64_t wal_trust_end;   /* ... this offset (its good end then) ... */
	uint32_t wal_trust_salt[2]; /* ... in this generation */
};

/* Why a state is being loaded (struct pager.recovering): what its events say. */
enum recovering {
	LOAD_ROLLBACK = 0,        /* a reload that rolls a transaction back: no event */
	LOAD_OPEN,                /* pager_open: a recovery when there was something to replay */
	LOAD_AFTER_ERROR          /* a reload that leaves the error state: always a recovery */
};

/* ---- events ------------------------------------------------------------ */

/* Tell the configured event callback (rowfs.h's rowfs_event_fn), if any, one line. */
static void event(const struct pager *pager, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void event(const struct pager *pager, int kind, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!pager->cfg.event)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pager->cfg.event(pager->cfg.event_ctx, kind, msg);
}

/* ---- header ------------------------------------------------------------ */

/*
 * Page 0 in either layout (format.h).  Both versions share bytes 0..63;
 * version 1 keeps its checksum at 64 (over 0..63), version 2 the catalog
 * root at 64 and its checksum at 124 (over 0..123).  The magic says
 * which; the version field must agree with it.
 */

/* 1 if page0 carries the version-2 magic. */
static int header_is_v2(const uint8_t *p)
{
	return memcmp(p, DB_MAGIC_V2, DB_MAGIC_SIZE) == 0;
}

/* The checksum slot of page0's layout. */
static uint32_t checksum_offset(const uint8_t *p)
{
	return header_is_v2(p) ? HDR2_CHECKSUM_OFFSET : HDR_CHECKSUM_OFFSET;
}

/* FNV-1a (32 bits) over the bytes before the checksum slot: any single changed byte changes it. */
uint32_t pager_header_checksum(const uint8_t *p)
{
	return fnv1a32(p, checksum_offset(p));
}

void pager_header_seal(uint8_t *p)
{
	put_u32(p + checksum_offset(p), pager_header_checksum(p));
}

static void header_encode(const struct header *h, uint8_t *p)
{
	memset(p, 0, PAGE_SIZE);
	if (h->version == DB_FORMAT_VERSION_2) {
		memcpy(p, DB_MAGIC_V2, DB_MAGIC_SIZE);
		put_u32(p + HDR_VERSION_OFFSET, DB_FORMAT_VERSION_2);
		put_u32(p + HDR_CATALOG_ROOT_OFFSET, h->catalog_root);
	} else {
		memcpy(p, DB_MAGIC, DB_MAGIC_SIZE);
		put_u32(p + HDR_VERSION_OFFSET, DB_FORMAT_VERSION);
	}
	put_u32(p + HDR_PAGE_SIZE_OFFSET, PAGE_SIZE);
	put_u32(p + HDR_ROOT_OFFSET, h->root);
	put_u32(p + HDR_PAGE_COUNT_OFFSET, h->page_count);
	put_u32(p + HDR_FREE_HEAD_OFFSET, h->free_head);
	put_u32(p + HDR_FREE_COUNT_OFFSET, h->free_count);
	put_u64(p + HDR_CHANGE_COUNTER_OFFSET, h->change_counter);
	put_u64(p + HDR_APPLIED_SEQ_OFFSET, h->applied_seq);
	put_u64(p + HDR_ROW_COUNT_OFFSET, h->row_count);
	pager_header_seal(p);
}

/* Validate and decode page 0 (PAGE_SIZE bytes, zero past the file's end).  Messages name the file. */
static int header_decode(const char *path, const uint8_t *p, struct header *h,
			 struct rowfs_err *err)
{
	uint32_t version = get_u32(p + HDR_VERSION_OFFSET);
	int v2 = header_is_v2(p);

	if (!v2 && memcmp(p, DB_MAGIC, DB_MAGIC_SIZE) != 0)
		return rowfs_err_set(err, ROWFS_NOTADB, 0,
				     "not a rowfs database: '%s' has no rowfs header", path);
	if (version != (v2 ? DB_FORMAT_VERSION_2 : DB_FORMAT_VERSION))
		return rowfs_err_set(err, ROWFS_NOTADB, 0,
				     "not a rowfs database: '%s' has format version %u, expected %u",
				     path, version, v2 ? DB_FORMAT_VERSION_2 : DB_FORMAT_VERSION);
	if (get_u32(p + HDR_PAGE_SIZE_OFFSET) != PAGE_SIZE)
		return rowfs_err_set(err, ROWFS_NOTADB, 0,
				     "not a rowfs database: '%s' has page size %u, expected %u",
				     path, get_u32(p + HDR_PAGE_SIZE_OFFSET), PAGE_SIZE);
	if (get_u32(p + checksum_offset(p)) != pager_header_checksum(p))
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database '%s': header checksum mismatch", path);
	h->version = version;
	h->catalog_root = v2 ? get_u32(p + HDR_CATALOG_ROOT_OFFSET) : 0;
	h->root = get_u32(p + HDR_ROOT_OFFSET);
	h->page_count = get_u32(p + HDR_PAGE_COUNT_OFFSET);
	h->free_head = get_u32(p + HDR_FREE_HEAD_OFFSET);
	h->free_count = get_u32(p + HDR_FREE_COUNT_OFFSET);
	h->change_counter = get_u64(p + HDR_CHANGE_COUNTER_OFFSET);
	h->applied_seq = get_u64(p + HDR_APPLIED_SEQ_OFFSET);
	h->row_count = get_u64(p + HDR_ROW_COUNT_OFFSET);
	if (h->page_count < 2 || h->root == 0 || h->root >= h->page_count ||
	    h->free_head >= h->page_count || h->free_count >= h->page_count)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database '%s': header fields out of range (root %u, %u pages)",
				     path, h->root, h->page_count);
	if (h->catalog_root >= h->page_count || (h->catalog_root && h->catalog_root == h->root))
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database '%s': header fields out of range (catalog root %u, "
				     "root %u, %u pages)", path, h->catalog_root, h->root,
				     h->page_count);
	return ROWFS_OK;
}

/* ---- states ------------------------------------------------------------ */

/* Is from -> to one of the moves of the table at the top?  (Staying is.) */
static int transition_legal(enum pager_state from, enum pager_state to)
{
	if (from == to)
		return 1;
	switch (to) {
	case PAGER_READER:
		return from == PAGER_OPEN || from == PAGER_WRITER || from == PAGER_WRITER_LONG ||
		       from == PAGER_UNLOADED;
	case PAGER_WRITER:
	case PAGER_WRITER_LONG:
	case PAGER_ERROR:
		return from == PAGER_READER || from == PAGER_WRITER || from == PAGER_WRITER_LONG;
	case PAGER_UNLOADED:
		return from != PAGER_OPEN;
	case PAGER_OPEN:
		break;
	}
	return 0;
}

/* The one place the state changes; test builds check the move and the new state's invariants. */
static void set_state(struct pager *pager, enum pager_state to)
{
	assert(transition_legal(pager->state, to));
	assert(to != PAGER_READER || !pager->txn_base);
	assert(to != PAGER_WRITER || !pager->txn_base);
	assert(to != PAGER_WRITER_LONG || (pager->txn_base && pager->txn_base->snap.pinned));
	pager->state = to;
}

/* Is a transaction open (pager_begin .. commit/rollback)? */
static int in_writer(const struct pager *pager)
{
	return pager->state == PAGER_WRITER || pager->state == PAGER_WRITER_LONG;
}

/* Are writes, commits, checkpoints and pager_begin refused (invariant 4)? */
static int in_error(const struct pager *pager)
{
	return pager->state == PAGER_ERROR || pager->state == PAGER_UNLOADED;
}

/* ---- snapshots --------------------------------------------------------- */

/*
 * Before the first change of page p in this transaction: hand its
 * committed image to the version store, which keeps it if a live
 * snapshot may read it.
 */
static int preserve(struct pager *pager, struct page *p, struct rowfs_err *err)
{
	int rc;

	if (p->touched == pager->txn_serial)
		return ROWFS_OK;
	if (!pager->replaying) {
		rc = snapshot_keep(pager->snapshots, p, pager->last_seq,
				   pager->txn_base ? &pager->txn_base->snap : NULL, err);
		if (rc)
			return rc;
	}
	p->touched = pager->txn_serial;
	return ROWFS_OK;
}

int pager_snapshot_open(struct pager *pager, struct rowfs_snapshot **out, struct rowfs_err *err)
{
	struct rowfs_snapshot *s;

	*out = NULL;
	if (pager->state == PAGER_UNLOADED)
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "database needs recovery after an earlier failure");
	if (in_writer(pager) && !pager->txn_base && pager_txn_dirty(pager))
		return rowfs_err_set(err, ROWFS_BUSY, EBUSY,
				     "snapshot inside a transaction that changed pages (not a long one)");
	s = calloc(1, sizeof(*s));
	if (!s)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	s->hdr = pager->txn_base ? pager->txn_base->hdr : pager->hdr;
	snapshot_add(pager->snapshots, &s->snap, pager->last_seq, s->hdr.page_count);
	*out = s;
	return ROWFS_OK;
}

void pager_snapshot_close(struct pager *pager, struct rowfs_snapshot *s)
{
	if (!s)
		return;
	if (pager->view == s)
		pager->view = NULL;
	if (pager->txn_base == s)
		pager->txn_base = NULL;
	snapshot_remove(pager->snapshots, &s->snap);
	free(s);
}

uint64_t pager_snapshot_seq(const struct rowfs_snapshot *s)
{
	return s->snap.seq;
}

int pager_set_view(struct pager *pager, struct rowfs_snapshot *s, struct rowfs_err *err)
{
	if (s && s->snap.expired)
		return rowfs_err_set(err, ROWFS_STALE, ESTALE,
				     "snapshot too old: more than %u pages changed since it was taken "
				     "while older readers were open; open the file again",
				     pager->cfg.snapshot_pages);
	pager->view = s;
	return ROWFS_OK;
}

void pager_snapshot_stats(const struct pager *pager, uint32_t *snapshots, uint32_t *versions,
			  uint64_t *expired)
{
	snapshot_stats(pager->snapshots, snapshots, versions, expired);
}

/* ---- public page access ------------------------------------------------ */

static int get_page(struct pager *pager, uint32_t pgno, int cold, struct page **out,
		    struct rowfs_err *err)
{
	struct page *p;
	size_t got;
	int rc;

	*out = NULL;
	if (pager->state == PAGER_UNLOADED && !pager->replaying)
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "database needs recovery after an earlier failure");
	if (pager->view) {
		if (pgno == 0 || pgno >= pager->view->hdr.page_count)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "database corrupt: page %u out of range (%u pages)", pgno,
					     pager->view->hdr.page_count);
		p = snapshot_version(pager->snapshots, pgno, pager->view->snap.seq);
		if (p) {
			p->refs++;
			*out = p;
			return ROWFS_OK;
		}
	}
	if (pgno == 0 || pgno >= pager->hdr.page_count)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database corrupt: page %u out of range (%u pages)", pgno,
				     pager->hdr.page_count);
	p = cache_get(pager->cache, pgno, cold);
	if (p) {
		*out = p;
		return ROWFS_OK;
	}
	rc = cache_frame(pager->cache, pgno, cold, &p, err);
	if (rc)
		return rc;
	rc = os_read(pager->file, p->data, PAGE_SIZE, (uint64_t)pgno * PAGE_SIZE, &got, err);
	if (rc == ROWFS_OK && got != PAGE_SIZE)
		rc = rowfs_err_set(err, ROWFS_CORRUPT, 0,
				   "database corrupt: page %u is beyond the end of '%s'", pgno,
				   pager->path);
	if (rc) {
		cache_drop(p);
		return rc;
	}
	*out = p;
	return ROWFS_OK;
}

int pager_get(struct pager *pager, uint32_t pgno, struct page **out, struct rowfs_err *err)
{
	return get_page(pager, pgno, 0, out, err);
}

int pager_get_cold(struct pager *pager, uint32_t pgno, struct page **out, struct rowfs_err *err)
{
	return get_page(pager, pgno, 1, out, err);
}

void pager_unref(struct page *page)
{
	if (!page)
		return;
	if (page->version) {
		page->refs--;
		return;
	}
	cache_unref(page);
}

uint8_t *page_data(struct page *page)
{
	return page->data;
}

uint32_t page_pgno(const struct page *page)
{
	return page->pgno;
}

/* May the caller change pages now? */
static int check_writable(struct pager *pager, struct rowfs_err *err)
{
	if (pager->replaying)
		return ROWFS_OK;
	if (pager->view)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "write while reading a snapshot");
	if (pager->cfg.read_only)
		return rowfs_err_set(err, ROWFS_READONLY, EROFS, "Error: read-only database");
	if (in_error(pager))
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "Error: I/O error: database needs recovery after an earlier failure");
	return ROWFS_OK;
}

int pager_write(struct page *page, struct rowfs_err *err)
{
	struct pager *pager = page->owner;
	int rc = check_writable(pager, err);

	if (rc)
		return rc;
	if (page->version)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "write to a snapshot page");
	rc = preserve(pager, page, err);
	if (rc)
		return rc;
	cache_mark_dirty(page);
	pager->txn_modified = 1;
	return ROWFS_OK;
}

int pager_allocate(struct pager *pager, struct page **out, struct rowfs_err *err)
{
	struct page *p;
	uint32_t pgno;
	int rc = check_writable(pager, err);

	*out = NULL;
	if (rc)
		return rc;
	if (pager->hdr.free_head) {
		rc = pager_get(pager, pager->hdr.free_head, &p, err);
		if (rc)
			return rc;
		if (p->data[NODE_TYPE_OFFSET] != NODE_FREE) {
			pager_unref(p);
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "database corrupt: free-list page %u is in use",
					     pager->hdr.free_head);
		}
		rc = preserve(pager, p, err);
		if (rc) {
			pager_unref(p);
			return rc;
		}
		pager->hdr.free_head = get_u32(p->data + FREE_PAGE_NEXT_OFFSET);
		pager->hdr.free_count--;
	} else {
		if (pager->hdr.page_count == UINT32_MAX)
			return rowfs_err_set(err, ROWFS_FULL, ENOSPC, "database is full (2^32 pages)");
		pgno = pager->hdr.page_count;
		rc = cache_frame(pager->cache, pgno, 0, &p, err);
		if (rc)
			return rc;
		p->touched = pager->txn_serial;
		pager->hdr.page_count++;
	}
	memset(p->data, 0, PAGE_SIZE);
	cache_mark_dirty(p);
	pager->header_dirty = 1;
	pager->txn_modified = 1;
	*out = p;
	return ROWFS_OK;
}

int pager_free(struct pager *pager, struct page *page, struct rowfs_err *err)
{
	int rc = pager_write(page, err);

	if (rc) {
		pager_unref(page);
		return rc;
	}
	memset(page->data, 0, PAGE_SIZE);
	page->data[NODE_TYPE_OFFSET] = NODE_FREE;
	put_u32(page->data + FREE_PAGE_NEXT_OFFSET, pager->hdr.free_head);
	pager->hdr.free_head = page->pgno;
	pager->hdr.free_count++;
	pager->header_dirty = 1;
	pager_unref(page);
	return ROWFS_OK;
}

/* The header reads see: the view's, else the newest. */
static const struct header *read_header(const struct pager *pager)
{
	return pager->view ? &pager->view->hdr : &pager->hdr;
}

uint32_t pager_root(const struct pager *pager) { return read_header(pager)->root; }
uint32_t pager_catalog_root(const struct pager *pager) { return read_header(pager)->catalog_root; }
uint32_t pager_format_version(const struct pager *pager) { return read_header(pager)->version; }
uint64_t pager_row_count(const struct pager *pager) { return read_header(pager)->row_count; }
uint32_t pager_page_count(const struct pager *pager) { return read_header(pager)->page_count; }
uint32_t pager_free_head(const struct pager *pager) { return read_header(pager)->free_head; }
uint32_t pager_free_count(const struct pager *pager) { return read_header(pager)->free_count; }
int pager_is_read_only(const struct pager *pager) { return pager->cfg.read_only; }
int pager_in_error(const struct pager *pager) { return in_error(pager); }
int pager_unloaded(const struct pager *pager) { return pager->state == PAGER_UNLOADED; }

void pager_set_root(struct pager *pager, uint32_t pgno)
{
	pager->hdr.root = pgno;
	pager->header_dirty = 1;
	pager->txn_modified = 1;
}

void pager_set_catalog_root(struct pager *pager, uint32_t pgno)
{
	pager->hdr.catalog_root = pgno;
	pager->header_dirty = 1;
	pager->txn_modified = 1;
}

void pager_set_format_version(struct pager *pager, uint32_t version)
{
	pager->hdr.version = version;
	pager->header_dirty = 1;
	pager->txn_modified = 1;
}

void pager_set_row_count(struct pager *pager, uint64_t rows)
{
	pager->hdr.row_count = rows;
	pager->header_dirty = 1;
	pager->txn_modified = 1;
}

/* ---- opening, recovery ------------------------------------------------- */

/* Pages of the last complete checkpoint block found by the first WAL scan. */
struct ckpt_block {
	uint32_t *pgnos;          /* page numbers, in frame order */
	uint8_t *images;          /* PAGE_SIZE each */
	uint32_t count, cap;      /* pages collected */
	int complete;             /* a CKPT_END closed the block */
	uint64_t applied_seq;     /* seq of the CKPT_END */
	uint64_t max_txn_seq;     /* highest TXN seq seen anywhere */
	/* the block being collected (not yet closed) */
	uint32_t *open_pgnos;
	uint8_t *open_images;
	uint32_t open_count, open_cap;
};

static void ckpt_block_free(struct ckpt_block *b)
{
	free(b->pgnos);
	free(b->images);
	free(b->open_pgnos);
	free(b->open_images);
}

static int scan_collect(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
			uint32_t len, uint64_t offset)
{
	struct ckpt_block *b = ctx;

	(void)offset;
	if (type == WAL_FRAME_TXN || type == WAL_FRAME_TXN_PART) {
		if (seq > b->max_txn_seq)
			b->max_txn_seq = seq;
		b->open_count = 0;
	} else if (type == WAL_FRAME_PAGE) {
		if (len != PAGE_SIZE || seq > UINT32_MAX)
			return ROWFS_OK; /* not ours: ignore */
		if (b->open_count == b->open_cap) {
			uint32_t cap = b->open_cap ? b->open_cap * 2 : 64;
			uint32_t *np = realloc(b->open_pgnos, cap * sizeof(*np));
			uint8_t *ni;

			if (!np)
				return ROWFS_NOMEM;
			b->open_pgnos = np;
			ni = realloc(b->open_images, (size_t)cap * PAGE_SIZE);
			if (!ni)
				return ROWFS_NOMEM;
			b->open_images = ni;
			b->open_cap = cap;
		}
		b->open_pgnos[b->open_count] = (uint32_t)seq;
		memcpy(b->open_images + (size_t)b->open_count * PAGE_SIZE, payload, PAGE_SIZE);
		b->open_count++;
	} else if (type == WAL_FRAME_CKPT_END) {
		uint32_t *tp = b->pgnos;
		uint8_t *ti = b->images;
		uint32_t tc = b->cap;

		/* the open block becomes the complete one; recycle the old buffers */
		b->pgnos = b->open_pgnos;
		b->images = b->open_images;
		b->count = b->open_count;
		b->cap = b->open_cap;
		b->open_pgnos = tp;
		b->open_images = ti;
		b->open_cap = tc;
		b->open_count = 0;
		b->complete = 1;
		b->applied_seq = seq;
	}
	return ROWFS_OK;
}

/* Write a new database: header + one empty root leaf (page 1). */
static void format_new(struct pager *pager)
{
	pager->hdr.version = DB_FORMAT_VERSION_2;
	pager->hdr.catalog_root = 0;   /* made by the first create table (catalog.c) */
	pager->hdr.root = 1;
	pager->hdr.page_count = 2;
	pager->hdr.free_head = pager->hdr.free_count = 0;
	pager->hdr.change_counter = 0;
	pager->hdr.applied_seq = 0;
	pager->hdr.row_count = 0;
}

static int create_file(struct pager *pager, struct rowfs_err *err)
{
	uint8_t *buf = calloc(2, PAGE_SIZE);
	int do_sync = pager->cfg.sync != ROWFS_SYNC_OFF;
	int rc;

	if (!buf)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	format_new(pager);
	header_encode(&pager->hdr, buf);
	buf[PAGE_SIZE + NODE_TYPE_OFFSET] = NODE_LEAF;
	buf[PAGE_SIZE + IS_ROOT_OFFSET] = 1;
	/* The root first, the header last: see unfinished_creation(). */
	rc = os_write(pager->file, buf + PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, err);
	if (rc == ROWFS_OK && do_sync) {
		rc = os_sync(pager->file, err);
		pager->db_fsyncs++;
	}
	if (rc == ROWFS_OK)
		rc = os_write(pager->file, buf, PAGE_SIZE, 0, err);
	if (rc == ROWFS_OK && do_sync) {
		rc = os_sync(pager->file, err);
		pager->db_fsyncs++;
	}
	free(buf);
	return rc;
}

/*
 * An empty DBFILE beside a WAL that holds frames is not a new database: the
 * file was truncated or replaced, and starting afresh would throw away the
 * log's committed rows.  (A crash while creating leaves at most a WAL
 * header, never frames.)  Returns ROWFS_OK or ROWFS_CORRUPT.
 */
static int refuse_orphan_log(struct pager *pager, struct rowfs_err *err)
{
	struct rowfs_err ignored;
	struct os_file *wal_file;
	uint64_t wal_bytes = 0;

	if (os_open(pager->cfg.os, pager->wal_path, O_RDONLY, &wal_file, &ignored) != ROWFS_OK)
		return ROWFS_OK; /* no log */
	if (os_size(wal_file, &wal_bytes, &ignored) != ROWFS_OK)
		wal_bytes = 0;
	os_close(wal_file);
	if (wal_bytes <= WAL_HEADER_SIZE)
		return ROWFS_OK;
	return rowfs_err_set(err, ROWFS_CORRUPT, 0,
			     "database corrupt: '%s' is empty but its log '%s' holds %llu bytes; "
			     "refusing to start a new database over it",
			     pager->path, pager->wal_path, (unsigned long long)wal_bytes);
}

/*
 * 1 if the file is what a crash during create_file() can leave: at most two
 * pages, page 0 all zero (the header is written last), page 1 zero except
 * for bytes of the empty root leaf.  Such a file holds no data: it is
 * created again.  Anything else without a header is not a database.
 */
static int unfinished_creation(struct pager *pager, uint64_t size, const uint8_t *page0,
			       size_t got, struct rowfs_err *err)
{
	uint8_t page1[PAGE_SIZE];
	size_t i, got1 = 0;

	if (size > 2 * (uint64_t)PAGE_SIZE)
		return 0;
	for (i = 0; i < got; i++)
		if (page0[i])
			return 0;
	if (size > PAGE_SIZE &&
	    os_read(pager->file, page1, PAGE_SIZE, PAGE_SIZE, &got1, err) != ROWFS_OK)
		return 0;
	for (i = 0; i < got1; i++)
		if (page1[i] && !(i == NODE_TYPE_OFFSET && page1[i] == NODE_LEAF) &&
		    !(i == IS_ROOT_OFFSET && page1[i] == 1))
			return 0;
	return 1;
}

/* Read-only open of an empty file: the new database exists in memory only. */
static int create_in_memory(struct pager *pager, struct rowfs_err *err)
{
	struct page *p;
	int rc;

	format_new(pager);
	rc = cache_frame(pager->cache, 1, 0, &p, err);
	if (rc)
		return rc;
	memset(p->data, 0, PAGE_SIZE);
	p->data[NODE_TYPE_OFFSET] = NODE_LEAF;
	p->data[IS_ROOT_OFFSET] = 1;
	cache_mark_dirty(p);
	cache_unref(p);
	return ROWFS_OK;
}

/*
 * Copy a complete checkpoint block into DBFILE and fsync it (redo of an
 * interrupted checkpoint).  Read-only: the pages go into the cache, pinned
 * as dirty, since DBFILE must not change; page 0 is left to the caller.
 */
static int redo_block(struct pager *pager, const struct ckpt_block *b, struct rowfs_err *err)
{
	uint32_t i;
	int rc;

	for (i = 0; i < b->count; i++) {
		const uint8_t *img = b->images + (size_t)i * PAGE_SIZE;
		uint32_t pgno = b->pgnos[i];

		if (!pager->cfg.read_only) {
			rc = os_write(pager->file, img, PAGE_SIZE, (uint64_t)pgno * PAGE_SIZE, err);
			if (rc)
				return rc;
		} else if (pgno != 0) {
			struct page *p = cache_lookup(pager->cache, pgno);

			if (p) {
				memcpy(p->data, img, PAGE_SIZE);
				cache_mark_dirty(p);
				continue;
			}
			rc = cache_frame(pager->cache, pgno, 0, &p, err);
			if (rc)
				return rc;
			memcpy(p->data, img, PAGE_SIZE);
			cache_mark_dirty(p);
			cache_unref(p);
		}
	}
	if (!pager->cfg.read_only && pager->cfg.sync != ROWFS_SYNC_OFF) {
		pager->db_fsyncs++;
		return os_sync(pager->file, err);
	}
	return ROWFS_OK;
}

/* The image of page 0 in a block, or NULL. */
static const uint8_t *block_header(const struct ckpt_block *b)
{
	uint32_t i;

	for (i = 0; i < b->count; i++)
		if (b->pgnos[i] == 0)
			return b->images + (size_t)i * PAGE_SIZE;
	return NULL;
}

/*
 * Read the header and the WAL, redo a complete checkpoint block.  Used by
 * pager_open and pager_reload.  The cache must be empty.
 */
static int load_state(struct pager *pager, struct rowfs_err *err)
{
	struct ckpt_block block;
	const uint8_t *hdr_src = NULL;
	uint8_t *hdr_page;
	int created = 0;
	uint64_t size;
	size_t got;
	int rc;

	memset(&block, 0, sizeof(block));
	pager->header_dirty = 0;
	pager->redone_pages = 0;
	if (pager->wal) {
		wal_close(pager->wal);
		pager->wal = NULL;
	}
	hdr_page = malloc(PAGE_SIZE);
	if (!hdr_page)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	rc = os_size(pager->file, &size, err);
	if (rc)
		goto out_free;
	if (size > 0) {
		rc = os_read(pager->file, hdr_page, PAGE_SIZE, 0, &got, err);
		if (rc)
			goto out_free;
		memset(hdr_page + got, 0, PAGE_SIZE - got);
		if (unfinished_creation(pager, size, hdr_page, got, err))
			size = 0;
	}
	if (size == 0) {
		rc = refuse_orphan_log(pager, err);
		if (rc)
			goto out_free;
		rc = pager->cfg.read_only ? create_in_memory(pager, err) : create_file(pager, err);
		if (rc)
			goto out_free;
		created = 1;
	} else {
		if (got < HDR_SIZE) {
			rc = rowfs_err_set(err, ROWFS_NOTADB, 0,
					   "not a rowfs database: '%s' is too short (%llu bytes)",
					   pager->path, (unsigned long long)size);
			goto out_free;
		}
		if (memcmp(hdr_page, DB_MAGIC, DB_MAGIC_SIZE) != 0 && !header_is_v2(hdr_page)) {
			rc = header_decode(pager->path, hdr_page, &pager->hdr, err);
			goto out_free;
		}
	}
	rc = wal_open(pager->cfg.os, pager->wal_path, pager->cfg.read_only,
		      pager->cfg.sync != ROWFS_SYNC_OFF, &pager->wal, err);
	if (rc)
		goto out_free;
	if (pager->wal_limited)
		wal_limit_scan(pager->wal, pager->wal_trust_end, pager->wal_trust_salt);
	rc = wal_scan(pager->wal, scan_collect, &block, err);
	if (rc == ROWFS_OK)
		pager->wal_limited = 0;
	if (rc == ROWFS_NOMEM)
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	if (rc)
		goto out_free;
	if (block.complete && block.count > 0) {
		rc = redo_block(pager, &block, err);
		if (rc)
			goto out_free;
		pager->redone_pages = block.count;
		if (pager->cfg.read_only)
			hdr_src = block_header(&block);
	}
	if (!hdr_src && !(created && pager->cfg.read_only)) {
		rc = os_read(pager->file, hdr_page, PAGE_SIZE, 0, &got, err);
		if (rc)
			goto out_free;
		memset(hdr_page + got, 0, PAGE_SIZE - got);
		hdr_src = hdr_page;
	}
	if (hdr_src) {
		rc = header_decode(pager->path, hdr_src, &pager->hdr, err);
		if (rc)
			goto out_free;
	}
	if (!pager->cfg.read_only) {
		rc = os_size(pager->file, &size, err);
		if (rc)
			goto out_free;
		if (size < (uint64_t)pager->hdr.page_count * PAGE_SIZE) {
			rc = rowfs_err_set(err, ROWFS_CORRUPT, 0,
					   "database corrupt: '%s' holds %llu bytes, header says %u pages",
					   pager->path, (unsigned long long)size, pager->hdr.page_count);
			goto out_free;
		}
	}
	pager->disk_pages = pager->hdr.page_count;
	pager->last_seq = pager->hdr.applied_seq;
	if (block.max_txn_seq > pager->last_seq)
		pager->last_seq = block.max_txn_seq;
	rc = ROWFS_OK;
out_free:
	ckpt_block_free(&block);
	free(hdr_page);
	return rc;
}

int pager_open(const struct pager_config *cfg, struct pager **out, struct rowfs_err *err)
{
	struct pager *pager;
	int rc;

	*out = NULL;
	pager = calloc(1, sizeof(*pager));
	if (!pager)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	pager->cfg = *cfg;
	if (!pager->cfg.os)
		pager->cfg.os = os_default();
	if (pager->cfg.cache_pages < 16)
		pager->cfg.cache_pages = pager->cfg.cache_pages ? 16 : ROWFS_DEFAULT_CACHE_PAGES;
	if (!pager->cfg.wal_limit)
		pager->cfg.wal_limit = ROWFS_DEFAULT_WAL_LIMIT;
	if (!pager->cfg.snapshot_pages)
		pager->cfg.snapshot_pages = ROWFS_DEFAULT_SNAPSHOT_PAGES;
	if (!pager->cfg.txn_part_bytes)
		pager->cfg.txn_part_bytes = ROWFS_DEFAULT_TXN_PART_BYTES;
	if (!pager->cfg.txn_log_max)
		pager->cfg.txn_log_max = ROWFS_DEFAULT_TXN_LOG_MAX;
	pager->path = strdup(cfg->path);
	pager->wal_path = wal_path_for(cfg->path);
	if (!pager->path || !pager->wal_path) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_free;
	}
	rc = cache_new(pager->cfg.cache_pages, pager, &pager->cache, err);
	if (rc)
		goto out_free;
	rc = snapshot_store_new(pager->cfg.snapshot_pages, pager, &pager->snapshots, err);
	if (rc)
		goto out_free;
	rc = os_open(pager->cfg.os, pager->path,
		     cfg->read_only ? O_RDONLY : (O_RDWR | O_CREAT), &pager->file, err);
	if (rc)
		goto out_free;
	rc = os_lock(pager->file, !cfg->read_only, err);
	if (rc)
		goto out_free;
	pager->recovering = LOAD_OPEN;
	rc = load_state(pager, err);
	if (rc)
		goto out_free;
	set_state(pager, PAGER_READER);
	*out = pager;
	return ROWFS_OK;
out_free:
	pager_close(pager);
	return rc;
}

void pager_close(struct pager *pager)
{
	if (!pager)
		return;
	cache_free(pager->cache);
	/* snapshots still held by their owners expire; they are freed by pager_snapshot_close */
	snapshot_store_free(pager->snapshots);
	free(pager->txn_base);
	wal_close(pager->wal);
	os_close(pager->file);
	free(pager->txn);
	free(pager->path);
	free(pager->wal_path);
	free(pager);
}

struct replay_ctx {
	struct pager *pager;
	pager_replay_fn fn;
	void *ctx;
	uint64_t replayed;        /* transactions applied */
	struct rowfs_err *err;
};

/*
 * wal_scan callback: the records of a TXN_PART or TXN frame newer than the
 * file go to fn (the WAL hands over parts only with their TXN frame).
 */
static int replay_frame(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
			uint32_t len, uint64_t offset)
{
	struct replay_ctx *rc = ctx;
	int r;

	(void)offset;
	if ((type != WAL_FRAME_TXN && type != WAL_FRAME_TXN_PART) ||
	    seq <= rc->pager->hdr.applied_seq)
		return ROWFS_OK;
	r = rc->fn(rc->ctx, seq, payload, len);
	if (r)
		return r;
	if (type == WAL_FRAME_TXN_PART)
		return ROWFS_OK;
	rc->replayed++;
	if (seq > rc->pager->last_seq)
		rc->pager->last_seq = seq;
	return ROWFS_OK;
}

/*
 * The event of a replay that succeeded: after an open that found
 * something to recover, or after a reload that left the error state.
 */
static void recovered(struct pager *pager, uint64_t replayed)
{
	char redone[64] = "";

	if (pager->redone_pages > 0)
		snprintf(redone, sizeof(redone), ", an interrupted checkpoint redone (%u pages)",
			 pager->redone_pages);
	if (pager->recovering == LOAD_AFTER_ERROR)
		event(pager, ROWFS_EVENT_RECOVERY,
		      "recovery of '%s' after an I/O error: state reloaded from the file, "
		      "%llu committed transaction%s replayed from its WAL%s", pager->path,
		      (unsigned long long)replayed, replayed == 1 ? "" : "s", redone);
	else if (pager->recovering == LOAD_OPEN && (replayed > 0 || pager->redone_pages > 0))
		event(pager, ROWFS_EVENT_RECOVERY,
		      "recovery of '%s': %llu committed transaction%s replayed from its WAL%s",
		      pager->path, (unsigned long long)replayed, replayed == 1 ? "" : "s", redone);
	pager->recovering = LOAD_ROLLBACK;
}

int pager_replay(struct pager *pager, pager_replay_fn fn, void *ctx, struct rowfs_err *err)
{
	struct replay_ctx rctx = {pager, fn, ctx, 0, err};
	int rc;

	pager->replaying = 1;
	err->rc = ROWFS_OK;
	rc = wal_scan(pager->wal, replay_frame, &rctx, err);
	pager->replaying = 0;
	pager->txn_modified = 0;
	if (rc) {
		if (err->rc != rc)
			rowfs_err_set(err, rc, 0, "recovery failed: %s", rowfs_rc_name(rc));
		if (pager->state != PAGER_UNLOADED)
			set_state(pager, PAGER_ERROR);
		return rc;
	}
	if (pager->state == PAGER_UNLOADED)
		set_state(pager, PAGER_READER);
	recovered(pager, rctx.replayed);
	if (!pager->cfg.read_only && (rctx.replayed > 0 || wal_frame_count(pager->wal) > 0))
		return pager_checkpoint(pager, err);
	return ROWFS_OK;
}

static void txn_end(struct pager *pager);

int pager_reload(struct pager *pager, struct rowfs_err *err)
{
	/* a reload that failed leaves UNLOADED: the one that succeeds still leaves an error */
	if (in_error(pager))
		pager->recovering = LOAD_AFTER_ERROR;
	cache_clear(pager->cache);
	pager->view = NULL;
	txn_end(pager);
	set_state(pager, PAGER_UNLOADED);   /* until pager_replay has rebuilt the state */
	return load_state(pager, err);
}

/* ---- transactions ------------------------------------------------------ */

/*
 * A failed write of the transaction's log (a part or its commit frame):
 * ERROR, and recovery must not trust the WAL past its good end, even if
 * cutting the frames there failed.
 */
static int log_write_failed(struct pager *pager, int rc)
{
	set_state(pager, PAGER_ERROR);
	pager->wal_trust_end = wal_good_end(pager->wal, pager->wal_trust_salt);
	pager->wal_limited = 1;
	return rc;
}

/*
 * Cut the parts the open transaction wrote from the WAL (invariant 5).  A
 * failed cut puts the pager in ERROR: the reload's scan drops them.
 */
static int drop_parts(struct pager *pager, struct rowfs_err *err)
{
	int rc;

	if (pager->txn_parts == 0)
		return ROWFS_OK;
	rc = wal_rewind(pager->wal, err);
	if (rc) {
		set_state(pager, PAGER_ERROR);
		return rc;
	}
	pager->txn_parts = 0;
	return ROWFS_OK;
}

int pager_begin(struct pager *pager, int long_txn, struct rowfs_err *err)
{
	struct rowfs_snapshot *base = NULL;
	int rc;

	if (in_error(pager))
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "Error: I/O error: database needs recovery after an earlier failure");
	rc = drop_parts(pager, err);   /* a transaction left open (invariant 5) */
	if (rc)
		return rc;
	if (long_txn) {
		rc = pager_snapshot_open(pager, &base, err);
		if (rc)
			return rc;
		base->snap.pinned = 1;
	}
	pager_snapshot_close(pager, pager->txn_base);
	pager->txn_base = base;
	pager->txn_len = 0;
	pager->txn_parts = 0;
	pager->txn_logged = 0;
	pager->txn_modified = 0;
	pager->txn_serial++;
	set_state(pager, long_txn ? PAGER_WRITER_LONG : PAGER_WRITER);
	return ROWFS_OK;
}

/* End the transaction's bookkeeping (after commit or rollback); a writer becomes a READER. */
static void txn_end(struct pager *pager)
{
	pager->txn_len = 0;
	pager->txn_parts = 0;
	pager->txn_logged = 0;
	pager->txn_modified = 0;
	pager_snapshot_close(pager, pager->txn_base);
	pager->txn_base = NULL;
	if (in_writer(pager))
		set_state(pager, PAGER_READER);
}

/*
 * The version a long transaction's rollback restores page p from, or NULL
 * if it changed p without keeping its image (cannot happen while the base
 * snapshot is live; the caller then falls back to a reload).
 */
static struct page *base_image(struct pager *pager, const struct page *p)
{
	uint64_t seq = pager->txn_base->snap.seq;
	struct page *v = snapshot_version(pager->snapshots, p->pgno, seq);

	return v && v->tag == seq ? v : NULL;
}

int pager_rollback(struct pager *pager, struct rowfs_err *err)
{
	struct rowfs_snapshot *base = pager->txn_base;
	struct cache_iter it;
	struct page *p;
	int rc;

	if (!in_writer(pager) && pager->state != PAGER_ERROR)
		return ROWFS_OK;
	if (!pager_txn_dirty(pager)) {
		txn_end(pager);   /* also a transaction that changed nothing before an ERROR */
		return ROWFS_OK;
	}
	if (pager->state == PAGER_ERROR)
		return ROWFS_OK;  /* its failed commit ended it; the reload clears the rest */
	if (!base || pager->view)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "rollback needs a reload");
	/* check first, so that a refusal changes nothing */
	cache_iter_init(&it, pager->cache);
	while ((p = cache_iter_next(&it)))
		if (p->touched == pager->txn_serial &&
		    (p->refs || (p->pgno < base->hdr.page_count && !base_image(pager, p))))
			return rowfs_err_set(err, ROWFS_ERROR, 0, "rollback needs a reload");
	rc = drop_parts(pager, err);
	if (rc)
		return rc;
	cache_iter_init(&it, pager->cache);
	while ((p = cache_iter_next(&it))) {
		if (p->touched != pager->txn_serial)
			continue;
		if (p->pgno >= base->hdr.page_count)
			cache_drop(p);   /* allocated by the transaction */
		else
			memcpy(p->data, base_image(pager, p)->data, PAGE_SIZE);
	}
	/* what a transaction changes; the checkpoint fields stay (one may have run before any change) */
	pager->hdr.version = base->hdr.version;
	pager->hdr.catalog_root = base->hdr.catalog_root;
	pager->hdr.root = base->hdr.root;
	pager->hdr.page_count = base->hdr.page_count;
	pager->hdr.free_head = base->hdr.free_head;
	pager->hdr.free_count = base->hdr.free_count;
	pager->hdr.row_count = base->hdr.row_count;
	txn_end(pager);
	return ROWFS_OK;
}

/* Write the log buffer as a TXN_PART frame of the open transaction. */
static int write_part(struct pager *pager, struct rowfs_err *err)
{
	int rc;

	if (in_error(pager))
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "Error: I/O error: database needs recovery after an earlier failure");
	rc = wal_append(pager->wal, WAL_FRAME_TXN_PART, pager->last_seq + 1, pager->txn,
			(uint32_t)pager->txn_len, err);
	if (rc)
		return log_write_failed(pager, rc);
	pager->txn_parts++;
	pager->txn_len = 0;
	return ROWFS_OK;
}

int pager_log(struct pager *pager, const void *record, size_t len, struct rowfs_err *err)
{
	int rc;

	if (len > PAGER_RECORD_MAX)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "log record of %zu bytes", len);
	if (pager->txn_len > 0 && pager->txn_len + len > pager->cfg.txn_part_bytes) {
		rc = write_part(pager, err);
		if (rc)
			return rc;
	}
	if (pager->txn_len + len > pager->txn_cap) {
		size_t cap = pager->txn_cap ? pager->txn_cap * 2 : 8192;
		uint8_t *n;

		while (cap < pager->txn_len + len)
			cap *= 2;
		n = realloc(pager->txn, cap);
		if (!n)
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		pager->txn = n;
		pager->txn_cap = cap;
	}
	memcpy(pager->txn + pager->txn_len, record, len);
	pager->txn_len += len;
	pager->txn_logged += len;
	pager->txn_modified = 1;
	return ROWFS_OK;
}

/* "4 GiB", "512 MiB", "64 KiB" or "1000 bytes": n in its largest whole unit. */
static void size_text(uint64_t n, char *out, size_t size)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && n >= 1024 && n % 1024 == 0) {
		n /= 1024;
		u++;
	}
	snprintf(out, size, "%llu %s", (unsigned long long)n, units[u]);
}

int pager_log_room(const struct pager *pager, size_t len, struct rowfs_err *err)
{
	char bound[32];

	if (len <= pager->cfg.txn_log_max && pager->txn_logged <= pager->cfg.txn_log_max - len)
		return ROWFS_OK;
	size_text(pager->cfg.txn_log_max, bound, sizeof(bound));
	return rowfs_err_set(err, ROWFS_TOOBIG, EFBIG,
			     "Error: transaction too large: its log would pass %s; "
			     "commit it in parts", bound);
}

const uint8_t *pager_txn_log(const struct pager *pager, size_t *len)
{
	*len = pager->txn_len;
	return pager->txn;
}

uint64_t pager_txn_log_bytes(const struct pager *pager)
{
	return pager->txn_logged;
}

uint64_t pager_last_seq(const struct pager *pager)
{
	return pager->last_seq;
}

int pager_txn_dirty(const struct pager *pager)
{
	return pager->txn_modified || pager->txn_logged > 0;
}

int pager_commit(struct pager *pager, struct rowfs_err *err)
{
	struct rowfs_err ckpt_err;
	int rc;

	if (pager->txn_len == 0) {
		assert(pager->txn_parts == 0);   /* a part is written only when a record follows */
		txn_end(pager);
		return ROWFS_OK;
	}
	if (in_error(pager))
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "Error: I/O error: database needs recovery after an earlier failure");
	rc = wal_append(pager->wal, WAL_FRAME_TXN, pager->last_seq + 1, pager->txn,
			(uint32_t)pager->txn_len, err);
	if (rc == ROWFS_OK)
		rc = wal_sync(pager->wal, pager->cfg.sync == ROWFS_SYNC_FULL, err);
	if (rc)
		return log_write_failed(pager, rc);   /* its frames are not replayed */
	/* committed */
	pager->last_seq++;
	pager->commits++;
	txn_end(pager);
	/*
	 * Dirty pages only force a checkpoint once they crowd a full cache: a
	 * tree that fits in cache_pages is written once, in one batch, however
	 * much of it a load dirties (the WAL limit still bounds recovery).
	 */
	if ((wal_size(pager->wal) > pager->cfg.wal_limit || cache_crowded(pager->cache)) &&
	    pager_checkpoint(pager, &ckpt_err) != ROWFS_OK)
		/* failure leaves the ERROR state; the commit stands: nobody else hears of it */
		event(pager, ROWFS_EVENT_IOERR, "checkpoint of '%s' after a commit failed: %s",
		      pager->path, ckpt_err.msg);
	return ROWFS_OK;
}

/* ---- checkpoint -------------------------------------------------------- */

/* Write pages into DBFILE, coalescing runs of consecutive page numbers. */
static int write_pages(struct pager *pager, struct page **list, uint32_t n, uint8_t *buf,
		       size_t buf_pages, struct rowfs_err *err)
{
	uint32_t i = 0;

	while (i < n) {
		uint32_t run = 1;
		int rc;

		memcpy(buf, list[i]->data, PAGE_SIZE);
		while (i + run < n && run < buf_pages && list[i + run]->pgno == list[i]->pgno + run) {
			memcpy(buf + (size_t)run * PAGE_SIZE, list[i + run]->data, PAGE_SIZE);
			run++;
		}
		rc = os_write(pager->file, buf, (size_t)run * PAGE_SIZE,
			      (uint64_t)list[i]->pgno * PAGE_SIZE, err);
		if (rc)
			return rc;
		i += run;
	}
	return ROWFS_OK;
}

/*
 * Checkpoint.  Pages numbered below the checkpointed page count (old pages)
 * are overwritten in place, so they go through the WAL block first; pages
 * past it (new pages) are not part of the checkpointed state, so they are
 * written straight into DBFILE and made durable before the block's
 * CKPT_END can be: a sequential load then writes its pages once, not twice.
 *   1. new pages -> DBFILE                      (no fsync yet)
 *   2. header + old pages + CKPT_END -> WAL
 *   3. fsync DBFILE (new pages durable), fsync WAL (block durable)
 *   4. header + old pages -> DBFILE, fsync DBFILE
 *   5. reset the WAL
 */
int pager_checkpoint(struct pager *pager, struct rowfs_err *err)
{
	const size_t buf_pages = 64;
	int do_sync = pager->cfg.sync != ROWFS_SYNC_OFF;
	struct page **list = NULL;
	struct header next = pager->hdr;
	uint8_t *buf = NULL, *hdr_page = NULL, end[8];
	uint64_t wal_bytes;
	uint32_t i, n, n_old;
	int rc;

	if (pager->cfg.read_only)
		return rowfs_err_set(err, ROWFS_READONLY, EROFS, "Error: read-only database");
	if (in_error(pager))
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "Error: I/O error: database needs recovery after an earlier failure");
	if (pager_txn_dirty(pager))
		return rowfs_err_set(err, ROWFS_ERROR, 0, "checkpoint inside a transaction");
	if (cache_dirty_count(pager->cache) == 0 && !pager->header_dirty &&
	    pager->hdr.applied_seq == pager->last_seq) {
		if (wal_frame_count(pager->wal) == 0)
			return ROWFS_OK;
		rc = wal_reset(pager->wal, do_sync, err);
		if (rc)
			set_state(pager, PAGER_ERROR);
		return rc;
	}
	rc = cache_dirty_pages(pager->cache, &list, err);
	if (rc)
		return rc;
	n = cache_dirty_count(pager->cache);
	for (n_old = 0; n_old < n && list[n_old]->pgno < pager->disk_pages; n_old++)
		;
	buf = malloc(buf_pages * PAGE_SIZE);
	hdr_page = malloc(PAGE_SIZE);
	if (!buf || !hdr_page) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_free;
	}
	next.applied_seq = pager->last_seq;
	next.change_counter++;
	header_encode(&next, hdr_page);

	/* 1 */
	rc = write_pages(pager, list + n_old, n - n_old, buf, buf_pages, err);
	/* 2 */
	if (rc == ROWFS_OK)
		rc = wal_append(pager->wal, WAL_FRAME_PAGE, 0, hdr_page, PAGE_SIZE, err);
	for (i = 0; rc == ROWFS_OK && i < n_old; i++)
		rc = wal_append(pager->wal, WAL_FRAME_PAGE, list[i]->pgno, list[i]->data, PAGE_SIZE,
				err);
	put_u32(end, n_old + 1);
	put_u32(end + 4, 0);
	if (rc == ROWFS_OK)
		rc = wal_append(pager->wal, WAL_FRAME_CKPT_END, next.applied_seq, end, sizeof(end), err);
	/* 3 */
	if (rc == ROWFS_OK && do_sync && n_old < n) {
		pager->db_fsyncs++;
		rc = os_sync(pager->file, err);
	}
	if (rc == ROWFS_OK)
		rc = wal_sync(pager->wal, do_sync, err);
	/* 4 */
	if (rc == ROWFS_OK)
		rc = os_write(pager->file, hdr_page, PAGE_SIZE, 0, err);
	if (rc == ROWFS_OK)
		rc = write_pages(pager, list, n_old, buf, buf_pages, err);
	if (rc == ROWFS_OK && do_sync) {
		pager->db_fsyncs++;
		rc = os_sync(pager->file, err);
	}
	/* 5 */
	wal_bytes = wal_size(pager->wal);
	if (rc == ROWFS_OK)
		rc = wal_reset(pager->wal, do_sync, err);
	if (rc) {
		set_state(pager, PAGER_ERROR);
		goto out_free;
	}
	pager->hdr = next;
	pager->disk_pages = next.page_count;
	pager->header_dirty = 0;
	for (i = 0; i < n; i++)
		cache_mark_clean(list[i]);
	pager->checkpoints++;
	cache_trim(pager->cache);
	event(pager, ROWFS_EVENT_CHECKPOINT, "checkpoint of '%s': %u page%s written, %llu bytes of WAL reset",
	      pager->path, n + 1, n + 1 == 1 ? "" : "s", (unsigned long long)wal_bytes);
out_free:
	free(hdr_page);
	free(buf);
	free(list);
	return rc;
}

void pager_get_stats(const struct pager *pager, struct pager_stats *st)
{
	struct cache_stats cs;

	cache_stats(pager->cache, &cs);
	memset(st, 0, sizeof(*st));
	st->hits = cs.hits;
	st->misses = cs.misses;
	st->commits = pager->commits;
	st->checkpoints = pager->checkpoints;
	st->fsyncs = pager->db_fsyncs + (pager->wal ? wal_fsync_count(pager->wal) : 0);
	st->wal_frames = pager->wal ? wal_frame_count(pager->wal) : 0;
	st->wal_bytes = pager->wal ? wal_size(pager->wal) : 0;
	st->cached = cs.pages;
	st->dirty = cs.dirty;
	st->cache_pages = pager->cfg.cache_pages;
}
