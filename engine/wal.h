/*
 * wal.h - the write-ahead log DBFILE-wal (format essay in wal.c).
 *
 * The WAL is an append-only sequence of checksummed frames after a 32-byte
 * header.  It does not interpret payloads; the pager decides what frames
 * mean:
 *   WAL_FRAME_TXN       one committed transaction: payload = its logical
 *                       records (opaque to the WAL), seq = commit sequence
 *   WAL_FRAME_PAGE      one page image written by a checkpoint:
 *                       payload = PAGE_SIZE bytes, seq = page number
 *   WAL_FRAME_CKPT_END  closes a block of PAGE frames: the block is
 *                       complete and may be copied into DBFILE;
 *                       seq = the applied sequence the block brings the file to,
 *                       payload = 8 bytes: u32 page count of the block, u32 0
 * Each frame's checksum chains from the previous frame's (the first from the
 * header's salts), so a torn, stale or reordered tail fails validation and
 * is ignored.  wal_reset() starts a new generation with new salts.
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

#define WAL_HEADER_SIZE 32u
#define WAL_FRAME_HEADER_SIZE 16u
#define WAL_FRAME_TRAILER_SIZE 8u
#define WAL_MAX_PAYLOAD (64u << 20)   /* larger lengths are treated as garbage */

struct wal;

/*
 * Called by wal_scan() for every valid frame, in file order.  payload is
 * valid only during the call.  Return ROWFS_OK to go on; any other code
 * stops the scan and is returned by wal_scan().
 */
typedef int (*wal_frame_fn)(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
			    uint32_t len, uint64_t offset);

/*
 * wal_open - open or create the WAL at path.  read_only: open O_RDONLY and
 * never write; a missing WAL is then treated as empty (not created).
 * A missing, empty or header-invalid WAL in read-write mode is (re)initialised
 * with a fresh header (fsynced unless do_sync is 0).  A header with the wrong
 * magic/version/page size is ROWFS_CORRUPT only when it is not simply
 * torn (a file shorter than the header counts as empty).
 * Returns ROWFS_OK, ROWFS_IOERR, ROWFS_NOMEM.
 */
int wal_open(const struct os *os, const char *path, int read_only, int do_sync,
	     struct wal **out, struct rowfs_err *err);

/* wal_close - free; does not sync or truncate. */
void wal_close(struct wal *wal);

/*
 * wal_scan - validate frames from the start and call fn for each valid one.
 * Stops silently at the first invalid frame (bad type/length, checksum or
 * short file).  Afterwards the append position is the end of the valid
 * prefix (in read-write mode the file is truncated there), so new frames
 * overwrite any torn tail.  Must be called once after wal_open before
 * wal_append.  Returns ROWFS_OK, ROWFS_IOERR, ROWFS_NOMEM, or fn's code.
 */
int wal_scan(struct wal *wal, wal_frame_fn fn, void *ctx, struct rowfs_err *err);

/*
 * wal_append - append one frame (len must be a multiple of 8).  May buffer;
 * nothing is durable until wal_sync().  Returns ROWFS_OK, ROWFS_IOERR,
 * ROWFS_FULL, ROWFS_NOMEM, ROWFS_READONLY.
 */
int wal_append(struct wal *wal, uint32_t type, uint64_t seq, const void *payload,
	       uint32_t len, struct rowfs_err *err);

/*
 * wal_sync - write any buffered frames; then fsync if do_sync.
 * Returns ROWFS_OK, ROWFS_IOERR, ROWFS_FULL.
 */
int wal_sync(struct wal *wal, int do_sync, struct rowfs_err *err);

/*
 * wal_reset - start a new generation: new salts, checkpoint sequence + 1,
 * header rewritten, file truncated to the header, fsync if do_sync.
 * Returns ROWFS_OK, ROWFS_IOERR.
 */
int wal_reset(struct wal *wal, int do_sync, struct rowfs_err *err);

/* Size in bytes of the valid log (header + frames appended or scanned). */
uint64_t wal_size(const struct wal *wal);

/* Number of valid frames (scanned + appended) in this generation. */
uint64_t wal_frame_count(const struct wal *wal);

/* Number of fsyncs issued by this WAL since open. */
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
