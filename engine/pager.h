/*
 * pager.h - page cache, transactions and checkpoints over DBFILE + WAL.
 *
 * The pager hands out PAGE_SIZE pages by number, refcounted.  Pages are
 * read from DBFILE (which always holds the last checkpointed state); changes
 * live in dirty cache pages until a checkpoint writes them.  Durability of a
 * commit comes from the logical records logged with pager_log(): a
 * transaction's log buffer is written as a WAL_FRAME_TXN_PART frame each
 * time it fills (txn_part_bytes), and the rest as the WAL_FRAME_TXN frame
 * pager_commit() appends and fsyncs; recovery replays those records
 * through a callback (the pager does not know what they mean).
 * The ordering rules and state diagram are in pager.c.
 */
#ifndef ROWFS_ENGINE_PAGER_H
#define ROWFS_ENGINE_PAGER_H

#include <stddef.h>
#include <stdint.h>

#include "os.h"
#include "rowfs.h"

struct pager;
struct page;
struct rowfs_snapshot;  /* one committed state kept readable (pager.c) */

/* Largest record pager_log() takes: records never straddle WAL frames (wal.h WAL_MAX_PAYLOAD). */
#define PAGER_RECORD_MAX (128u << 20)

struct pager_config {
	const char *path;        /* DBFILE */
	const struct os *os;     /* I/O table, NULL = real */
	int read_only;           /* shared lock, never write */
	int sync;                /* enum rowfs_sync */
	uint32_t cache_pages;    /* cache size (soft limit: dirty pages of the open transaction may exceed it) */
	uint64_t wal_limit;      /* auto-checkpoint threshold in WAL bytes */
	uint32_t snapshot_pages; /* bound of the version store (0 = default) */
	uint32_t txn_part_bytes; /* log buffer of a transaction: written as a part when full (0 = default) */
	uint64_t txn_log_max;    /* largest log of one transaction in bytes (0 = default) */
	rowfs_event_fn event;    /* told of recoveries, checkpoints and the failure of a
				    checkpoint after a commit (rowfs.h), or NULL */
	void *event_ctx;         /* its first argument */
};

/*
 * Replay callback: records of a committed transaction, in commit order:
 * the payload of each of its WAL_FRAME_TXN_PART frames, then of its
 * WAL_FRAME_TXN frame, one call each (the same seq; every call holds whole
 * records).  The WAL hands over no part before it has seen the
 * transaction's TXN frame, so a transaction is applied whole or not at all.
 */
typedef int (*pager_replay_fn)(void *ctx, uint64_t seq, const uint8_t *records, uint32_t len);

/*
 * pager_open - lock DBFILE (exclusive, or shared when read_only), create it
 * with an empty header if it is empty, validate the header, open the WAL and
 * restore a complete checkpoint block found in it.  Then the caller must call
 * pager_replay().  Returns ROWFS_OK, ROWFS_LOCKED, ROWFS_NOTADB, ROWFS_IOERR,
 * ROWFS_CORRUPT, ROWFS_NOMEM.
 */
int pager_open(const struct pager_config *cfg, struct pager **out, struct rowfs_err *err);

/*
 * pager_replay - call fn for every committed transaction in the WAL newer
 * than the file's applied sequence; pages fn modifies become dirty.  Then,
 * unless read-only, checkpoint if anything was replayed.
 */
int pager_replay(struct pager *pager, pager_replay_fn fn, void *ctx, struct rowfs_err *err);

/* pager_close - free everything (no checkpoint: call pager_checkpoint first). */
void pager_close(struct pager *pager);

/*
 * pager_get - the page pgno (1 <= pgno < page count), refcount + 1.
 * Returns ROWFS_OK, ROWFS_CORRUPT (out of range), ROWFS_IOERR, ROWFS_NOMEM.
 */
int pager_get(struct pager *pager, uint32_t pgno, struct page **out, struct rowfs_err *err);

/*
 * pager_get_cold - pager_get for a one-pass reader (a cursor walking the
 * leaves).  A page not in the cache is read into the frame of the last
 * cold page released, if any, and goes to the eviction end of the LRU
 * list when unreferenced: a scan of the whole table holds O(1) frames
 * whatever cache_pages is, and pushes no hot page out.  A cached page is
 * returned as by pager_get.  Same return codes as pager_get.
 */
int pager_get_cold(struct pager *pager, uint32_t pgno, struct page **out, struct rowfs_err *err);

/* pager_unref - refcount - 1; NULL is fine. */
void pager_unref(struct page *page);

/* The page's bytes and number. */
uint8_t *page_data(struct page *page);
uint32_t page_pgno(const struct page *page);

/*
 * pager_write - declare that the caller is about to modify page (marks it
 * dirty).  Returns ROWFS_OK or ROWFS_READONLY / ROWFS_IOERR (error state).
 */
int pager_write(struct page *page, struct rowfs_err *err);

/*
 * pager_allocate - a new zeroed, dirty page (from the free list, else the
 * end of the file), refcount 1.  Returns ROWFS_OK, ROWFS_READONLY,
 * ROWFS_IOERR, ROWFS_NOMEM.
 */
int pager_allocate(struct pager *pager, struct page **out, struct rowfs_err *err);

/* pager_free - put page on the free list (caller's reference is dropped). */
int pager_free(struct pager *pager, struct page *page, struct rowfs_err *err);

/*
 * Header fields (page 0).  Setters mark the header dirty and count as a
 * change of the open transaction (written by the next checkpoint).
 */
uint32_t pager_root(const struct pager *pager);
void pager_set_root(struct pager *pager, uint32_t pgno);
/*
 * pager_catalog_root - root page of the catalog tree (catalog.h); 0 in a
 * version-1 file and in a version-2 file before its first create table.
 */
uint32_t pager_catalog_root(const struct pager *pager);
void pager_set_catalog_root(struct pager *pager, uint32_t pgno);
/*
 * pager_format_version - 1 or 2 (format.h): the layout page 0 is written
 * in.  A new database is version 2.  pager_set_format_version(pager, 2)
 * is the upgrade of a version-1 file (db.c: the header alone, made durable
 * by one checkpoint; or catalog.c, with the catalog root its first create
 * table makes).
 */
uint32_t pager_format_version(const struct pager *pager);
void pager_set_format_version(struct pager *pager, uint32_t version);
uint64_t pager_row_count(const struct pager *pager);
void pager_set_row_count(struct pager *pager, uint64_t rows);
uint32_t pager_page_count(const struct pager *pager);
uint32_t pager_free_head(const struct pager *pager);
uint32_t pager_free_count(const struct pager *pager);
int pager_is_read_only(const struct pager *pager);

/*
 * pager_begin - start a transaction.  long_txn: it will stay open across
 * reads of other snapshots (an explicit transaction): a pinned base
 * snapshot keeps the committed image of every page it changes, so that
 * snapshots opened meanwhile see the committed state and pager_rollback()
 * restores it without a reload.  Returns ROWFS_OK, ROWFS_IOERR (error
 * state: the caller must pager_reload() and replay), ROWFS_NOMEM.
 */
int pager_begin(struct pager *pager, int long_txn, struct rowfs_err *err);

/*
 * pager_rollback - discard the open transaction.  Nothing changed: just
 * ends it.  A long transaction is undone from its base images.  Otherwise
 * (or if that is impossible) returns ROWFS_ERROR and the caller must
 * pager_reload() and replay.
 */
int pager_rollback(struct pager *pager, struct rowfs_err *err);


/*
 * Snapshots (see pager.c).  pager_snapshot_open - a snapshot of the newest
 * committed state (during a long transaction: the state before it).
 * pager_snapshot_close - release it (also an expired one).  pager_set_view
 * - make every read (pages and header fields) see s until
 * pager_set_view(NULL); writes fail meanwhile.  ROWFS_STALE if s expired.
 */
int pager_snapshot_open(struct pager *pager, struct rowfs_snapshot **out, struct rowfs_err *err);
void pager_snapshot_close(struct pager *pager, struct rowfs_snapshot *s);
uint64_t pager_snapshot_seq(const struct rowfs_snapshot *s);
int pager_set_view(struct pager *pager, struct rowfs_snapshot *s, struct rowfs_err *err);
void pager_snapshot_stats(const struct pager *pager, uint32_t *snapshots, uint32_t *versions,
			  uint64_t *expired);

/*
 * pager_log - append one logical record (opaque bytes, length a multiple of
 * 8, at most PAGER_RECORD_MAX) to the open transaction.  When the log
 * buffer holds records and this one would take it past txn_part_bytes,
 * the buffer is first written to the WAL as a WAL_FRAME_TXN_PART frame (no
 * fsync), so the buffer stays within txn_part_bytes or one record.  A
 * failure of that write puts the pager in the error state: the
 * transaction is lost.  Returns ROWFS_OK, ROWFS_NOMEM, ROWFS_IOERR,
 * ROWFS_FULL.
 */
int pager_log(struct pager *pager, const void *record, size_t len, struct rowfs_err *err);

/*
 * pager_commit - write the transaction's last records as its WAL_FRAME_TXN
 * frame (after the parts pager_log wrote) and, with sync=full, fsync: this
 * is the commit point.  Nothing logged: no I/O.
 * Then checkpoint if the WAL or the dirty pages passed their limits.
 * On failure the pager enters the error state.  Returns ROWFS_OK,
 * ROWFS_IOERR, ROWFS_FULL.
 */
int pager_commit(struct pager *pager, struct rowfs_err *err);

/*
 * pager_reload - drop every cached page (committed-but-unchekpointed ones
 * too), re-read the header and rescan the WAL; the caller then runs
 * pager_replay() again.  This is how a transaction is rolled back and how
 * the error state is left.  Returns ROWFS_OK or an I/O error.
 */
int pager_reload(struct pager *pager, struct rowfs_err *err);

/*
 * 1 if a write or fsync failed (ERROR) or a reload has not been completed
 * by a successful pager_replay (pager_unloaded): writes, commits,
 * checkpoints and pager_begin fail with ROWFS_IOERR until a reload +
 * replay succeed.
 */
int pager_in_error(const struct pager *pager);

/*
 * 1 if a reload has not been completed by a successful pager_replay: the
 * cache holds no valid state, and pager_get fails with ROWFS_IOERR (reads
 * never see a half-rebuilt or stale state) until a reload + replay succeed.
 */
int pager_unloaded(const struct pager *pager);

/* 1 if the open transaction logged records. */
int pager_txn_dirty(const struct pager *pager);

/*
 * pager_log_room - ROWFS_OK if len more bytes of records fit the open
 * transaction (its whole log, parts included, holds at most txn_log_max
 * bytes), else ROWFS_TOOBIG with the message.  Called before a change, so
 * that a transaction that grows too large fails one statement, changing
 * nothing.
 */
int pager_log_room(const struct pager *pager, size_t len, struct rowfs_err *err);

/*
 * The records of the open transaction not yet written to the WAL (*len
 * bytes): all of them unless parts were written.  *len is 0 only if the
 * transaction logged nothing (a part is written when the next record
 * comes, which then stays in the buffer).
 */
const uint8_t *pager_txn_log(const struct pager *pager, size_t *len);

/* Bytes of records the open transaction logged, its parts included. */
uint64_t pager_txn_log_bytes(const struct pager *pager);

/* Sequence of the last committed transaction. */
uint64_t pager_last_seq(const struct pager *pager);

/*
 * pager_checkpoint - write every dirty page into DBFILE, crash-atomically
 * (see pager.c), then reset the WAL.  Not inside a transaction with logged
 * records.  Read-only: ROWFS_READONLY.  Returns ROWFS_OK, ROWFS_IOERR, ROWFS_FULL.
 */
int pager_checkpoint(struct pager *pager, struct rowfs_err *err);

/*
 * pager_header_checksum - the checksum page 0 should carry in its layout
 * (the magic decides): FNV-1a over bytes 0..63 for version 1 (stored at
 * HDR_CHECKSUM_OFFSET), over 0..123 for version 2 (at HDR2_CHECKSUM_OFFSET).
 * pager_header_seal - store it there.  For tools and tests that edit
 * headers.
 */
uint32_t pager_header_checksum(const uint8_t *page0);
void pager_header_seal(uint8_t *page0);

struct pager_stats {
	uint64_t hits, misses;        /* cache */
	uint64_t commits;             /* durable transactions */
	uint64_t checkpoints;         /* since open */
	uint64_t fsyncs;              /* DB + WAL fsyncs since open */
	uint64_t wal_frames;          /* frames in the WAL now */
	uint64_t wal_bytes;           /* WAL size now */
	uint32_t cached, dirty;       /* pages in the cache, dirty ones */
	uint32_t cache_pages;         /* configured cache size */
};
void pager_get_stats(const struct pager *pager, struct pager_stats *st);

#endif /* ROWFS_ENGINE_PAGER_H */
