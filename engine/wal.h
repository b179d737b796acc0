/*
 * wal.h - the write-ahead log DBFILE-wal (format essay in wal.c).
 *
 * The WAL is an append-only sequence of checksummed frames after a 32-byte
 * header.  It does not interpret payloads; the pager decides what frames
 * mean:
 *   WAL_FRAME_TXN       the commit frame of a transaction: payload = its
 *                       logical records (opaque to the WAL) or, after
 *                       TXN_PART frames, the last of them; seq = commit
 *                       sequence
 *   WAL_FRAME_TXN_PART  records of a transaction written before its commit
 *                       (a transaction whose log outgrew its buffer):
 *                       seq = the sequence its TXN frame will carry.  A
 *                       run of parts counts only once the TXN frame of
 *                       the same seq follows it (see wal.c, rule 5).
 *   WAL_FRAME_PAGE      one page image written by a checkpoint:
 *                       payload = PAGE_SIZE bytes, seq = page number
 *   WAL_FRAME_CKPT_END  closes a block of PAGE frames: the block is
 *                       complete and may be copied into DBFILE;
 *                       seq = the applied sequence the block brings the file to,
 *                       payload = 8 bytes: u32 page count of the block, u32 0
 * Each frame's checksum chains from the previous frame's (the first from the
 * header's salts), so a torn, stale or reordered tail fails validation and
 * is ignored.  wal_reset() starts a new generation with new salts.
 * wal_scan() hands TXN_PART frames to its callback only when their TXN
 * frame is in the log, right before it: a transaction is never seen in
 * part.
 */
#ifndef ROWFS_ENGINE_WAL_H
#define ROWFS_ENGINE_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "os.h"
#include "rowfs.h"

#define WAL_FRAME_TXN 1u
#define WAL_FRAME_PAGE 2u
#define WAL_FRAME_CKPT_END 3u
#define WAL_FRAME_TXN_PART 4u

#define WAL_HEADER_SIZE 32u
#define WAL_FRAME_HEADER_SIZE 16u
#define WAL_FRAME_TRAILER_SIZE 8u
/*
 * Largest payload of a frame; larger lengths are treated as garbage.  One
 * log record must fit (a table record of up to 64 MiB and its header):
 * records never straddle frames.
 */
#define WAL_MAX_PAYLOAD (128u << 20)

struct wal;

/*
 * Called by wal_scan() for every frame of the log, in file order; the
 * TXN_PART frames of a transaction only once its TXN frame has been
 * validated (each part is read again then), right before that TXN frame.
 * payload is valid only during the call.  Return ROWFS_OK to go on; any
 * other code stops the scan and is returned by wal_scan().
 */
typedef int (*wal_frame_fn)(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
			    uint32_t len, uint64_t offset);

/*
 * wal_open - open or create the WAL at path (os NULL = the real OS) and
 * read its header.  read_only: open O_RDONLY and never write; a missing WAL
 * is then treated as empty (not created) and wal_size() is 0.
 * A missing, empty, short or checksum-invalid header is an empty log: in
 * read-write mode it is rewritten with fresh salts (file and, for a new
 * file, its directory fsynced unless do_sync is 0); read-only it is left
 * alone.  A header whose checksum matches but whose version or page size
 * is not ours is ROWFS_CORRUPT and the file is left untouched.  do_sync
 * also governs the fsync after wal_scan() cuts a torn tail.
 * The caller owns *out (wal_close).  Returns ROWFS_OK, ROWFS_IOERR,
 * ROWFS_CORRUPT, ROWFS_NOMEM; *out is NULL on failure.
 */
int wal_open(const struct os *os, const char *path, int read_only, int do_sync,
	     struct wal **out, struct rowfs_err *err);

/* wal_path_for - "DBFILE-wal" for db_path, malloc'd; NULL when out of memory. */
char *wal_path_for(const char *db_path);

/*
 * wal_close - free; NULL is fine.  Does not sync or truncate: frames still
 * in the write buffer (appended, no wal_sync yet) are discarded.
 */
void wal_close(struct wal *wal);

/*
 * wal_scan - re-read the header, validate frames from the start and call fn
 * (may be NULL) for each frame of the log, in file order (wal_frame_fn).
 * Stops silently at the first invalid frame (bad type/length, checksum or
 * short file) or at a run of TXN_PART frames that its TXN frame does not
 * close (a transaction that never committed: the log ends where the run
 * starts).  Afterwards the append position is the end of the log (in
 * read-write mode the file is truncated there), so new frames continue the
 * chain over any torn tail, and a transaction that reuses the sequence
 * number of one that never committed never adopts its parts.  A part that
 * reads back different from its first read is ROWFS_IOERR.  Must be called after wal_open before
 * wal_append; may be called again at any time (it drops unsynced buffered
 * frames and clears the broken state left by a failed write or fsync).
 * Returns ROWFS_OK, ROWFS_IOERR, ROWFS_CORRUPT (foreign header),
 * ROWFS_NOMEM, or fn's code (then wal_append refuses until a good scan).
 */
int wal_scan(struct wal *wal, wal_frame_fn fn, void *ctx, struct rowfs_err *err);

/*
 * wal_good_end - the end of the log as of the last successful sync, scan
 * or reset, and (in salt) the salts of its generation.  After a failed
 * commit the frames past it belong to that commit, even if the cut that
 * wal_sync() tried failed and they are still in the file.
 */
uint64_t wal_good_end(const struct wal *wal, uint32_t salt[2]);

/*
 * wal_limit_scan - make the next wal_scan() (of a log reopened by the
 * pager's recovery) trust no frame ending past end when the header still
 * has salt: the scan ends there and, read-write, cuts the file there (a
 * failed cut fails the scan: a failed commit never comes back).
 */
void wal_limit_scan(struct wal *wal, uint64_t end, const uint32_t salt[2]);

/*
 * wal_append - append one frame (len must be a multiple of 8, at most
 * WAL_MAX_PAYLOAD; payload is copied).  Frames go to a write buffer of
 * 1 MiB that is written when full; nothing is durable until wal_sync().
 * Guarantee the pager's checkpoint relies on: a frame of at most 1 MiB is
 * not written to the file before the next wal_append() or wal_sync(), so
 * the last frame appended (CKPT_END) reaches the file only at wal_sync().
 * On a write failure every frame since the last successful wal_sync() is
 * forgotten and the WAL is broken (see wal_sync).  Returns ROWFS_OK,
 * ROWFS_IOERR (also: broken), ROWFS_FULL, ROWFS_NOMEM, ROWFS_READONLY,
 * ROWFS_ERROR (bad type or length, or no wal_scan yet).
 */
int wal_append(struct wal *wal, uint32_t type, uint64_t seq, const void *payload,
	       uint32_t len, struct rowfs_err *err);

/*
 * wal_sync - write any buffered frames; then fsync if do_sync and anything
 * was written since the last fsync.  On success the frames appended so far
 * become the WAL's "good" state.  On failure they are forgotten (size,
 * count and checksum chain go back to the good state, and the file is cut
 * there, best effort, so a rescan does not bring back a frame whose commit
 * failed) and the WAL is broken: wal_append and wal_sync return ROWFS_IOERR
 * until wal_scan() or a successful wal_reset().  A failed fsync is never
 * retried.  Read-only: a no-op.  Returns ROWFS_OK, ROWFS_IOERR, ROWFS_FULL.
 */
int wal_sync(struct wal *wal, int do_sync, struct rowfs_err *err);

/*
 * wal_rewind - forget every frame appended since the last successful
 * wal_sync(), wal_scan() or wal_reset() (the parts of a transaction that
 * is rolled back): buffered ones are dropped, the end, frame count and
 * checksum chain go back to the good state, and the file is cut there if
 * frames were written past it.  The cut needs no fsync: if a crash loses
 * it, the frames past the good end are a run of parts without their TXN
 * frame, or fail the chain of whatever was appended over them, and are
 * ignored either way.  Unlike a failure, the WAL stays usable.  If the cut
 * fails the WAL is broken (see wal_sync).  Read-only: a no-op.  Returns
 * ROWFS_OK or ROWFS_IOERR (also: broken).
 */
int wal_rewind(struct wal *wal, struct rowfs_err *err);

/*
 * wal_reset - start a new generation: buffered frames dropped, new salts,
 * checkpoint sequence + 1, file truncated to the header size and the header
 * rewritten, fsync if do_sync.  Only once DBFILE holds (durably) everything
 * the log held.  On failure the WAL is broken.  Returns ROWFS_OK,
 * ROWFS_IOERR, ROWFS_FULL, ROWFS_READONLY.
 */
int wal_reset(struct wal *wal, int do_sync, struct rowfs_err *err);

/*
 * Size in bytes of the valid log (header + frames scanned or appended,
 * buffered ones included); 0 for a missing or header-invalid read-only log.
 */
uint64_t wal_size(const struct wal *wal);

/* Number of valid frames (scanned + appended) in this generation. */
uint64_t wal_frame_count(const struct wal *wal);

/* Number of fsyncs issued by this WAL since open (directory fsync included). */
uint64_t wal_fsync_count(const struct wal *wal);

/* Checkpoint sequence from the header. */
uint32_t wal_checkpoint_seq(const struct wal *wal);

/*
 * wal_checksum - the chained checksum (SQLite's WAL algorithm on little-endian
 * u32 words): for each pair (x0, x1): s1 += x0 + s2; s2 += x1 + s1.
 * len must be a multiple of 8.  in/out: s[2].
 */
void wal_checksum(const uint8_t *data, size_t len, uint32_t s[2]);

#endif /* ROWFS_ENGINE_WAL_H */
