/*
 * wal.c - the write-ahead log DBFILE-wal: format, append, scan, reset.
 *
 * Owns the bytes of DBFILE-wal and nothing else.  It knows frame types and
 * checksums, not what payloads mean: the pager decides that (pager.c, and
 * rowfs(5) for the whole protocol).  All I/O goes through os.h.
 *
 * FORMAT
 *
 * The log is a 32-byte header followed by zero or more frames.  All
 * integers are little-endian.
 *
 * Header:
 *   offset size  meaning
 *        0    8  magic "rowfswal"
 *        8    4  format version (1)
 *       12    4  page size (PAGE_SIZE, 4096)
 *       16    4  salt1   } random, new at every reset; seed of the first
 *       20    4  salt2   } frame's checksum
 *       24    4  checkpoint sequence: 0 when the log is created, +1 at
 *                every wal_reset() (informational)
 *       28    4  header checksum: FNV-1a (32-bit; offset basis 2166136261,
 *                prime 16777619) over bytes 0..27.  FNV-1a's steps are
 *                bijective, so any single changed byte is detected.  (The
 *                frame checksum folded into one word would miss some
 *                single-bit changes; the header has room for one word only.)
 *
 * Frame (24 + len bytes):
 *   offset size  meaning
 *        0    4  type: WAL_FRAME_TXN 1, WAL_FRAME_PAGE 2, WAL_FRAME_CKPT_END 3
 *        4    4  len, payload length: a multiple of 8, <= WAL_MAX_PAYLOAD
 *        8    8  seq (meaning chosen by the type, see wal.h)
 *       16  len  payload
 *   16+len    4  cksum1 } wal_checksum() over bytes 0..16+len-1 of this
 *   20+len    4  cksum2 } frame, seeded with the previous frame's
 *                         (cksum1, cksum2), the first frame's with
 *                         (salt1, salt2)
 *
 * CHECKSUM
 *
 * wal_checksum() is SQLite's WAL checksum on little-endian u32 words: for
 * each pair of words (x0, x1), s1 += x0 + s2; s2 += x1 + s1 (mod 2^32).
 * It is a linear map with an invertible matrix, so a change confined to one
 * word always changes (s1, s2).  Chaining the seed through every frame ties
 * each frame to all frames before it and to the header's salts.
 *
 * VALIDITY AND WHAT A READER TRUSTS
 *
 * 1. The header is valid when the file holds at least 32 bytes and the
 *    header checksum matches.  A short or mismatching header (a torn reset,
 *    a crash while creating the file) means an empty log; in read-write
 *    mode it is rewritten with new salts.  A header whose checksum matches
 *    but whose version or page size differ is not ours: ROWFS_CORRUPT, and
 *    the file is left alone.
 * 2. Frames are read in order from offset 32.  A frame is valid when its
 *    type is known, its length is a multiple of 8 and at most
 *    WAL_MAX_PAYLOAD, the whole frame lies inside the file, and its checksum
 *    matches the chain.  The first invalid frame ends the log: it and every
 *    byte after it are ignored, even if later bytes would look valid.
 * 3. The valid prefix is the log.  In read-write mode wal_scan() truncates
 *    the file at its end, so the next append continues the chain there.
 * 4. Stale frames never come back: wal_reset() draws new salts, so frames
 *    left over from an earlier generation (a truncate lost in a crash) fail
 *    the very first checksum of the new chain.
 *
 * ORDERING (the pager's duty, stated here because it relies on rule 2)
 *
 * Commit:     wal_append(TXN) -> wal_sync(do_sync) -> acknowledge.  A frame
 *             is only trusted after the fsync returned; a crash before that
 *             leaves either the whole frame or an invalid tail.
 * Checkpoint: (pages past the checkpointed page count written straight into
 *             DBFILE) -> wal_append(PAGE: page 0 and every overwritten page)
 *             + wal_append(CKPT_END) -> fsync DBFILE -> wal_sync(1) -> the
 *             pages written into DBFILE -> fsync DBFILE -> wal_reset().
 *             CKPT_END must not reach the file before that first DBFILE
 *             fsync: the write buffer guarantees it (below).  The reset is
 *             only allowed once DBFILE is durable.
 *
 * WRITE BUFFER AND FAILURES
 *
 * Frames are built in a write buffer of up to WAL_BUF_MAX bytes and written
 * with one pwrite when it fills or at wal_sync(); larger frames are written
 * directly.  The buffer is flushed only to make room for a new frame, which
 * then goes into the buffer: so the newest frame (if it fits the buffer)
 * never reaches the file before the next wal_append() or wal_sync().
 * "Good" state is the log as of the last successful wal_sync(), wal_scan()
 * or wal_reset().  When a write or fsync fails, the WAL forgets
 * every frame after the good state (the in-memory end, count and checksum
 * go back; the file is truncated there, best effort, so a later scan does
 * not resurrect a frame whose commit was reported as failed) and becomes
 * broken: wal_append() and wal_sync() return ROWFS_IOERR until wal_scan()
 * or a successful wal_reset().  A failed fsync is never retried.
 */
#include <config.h>
#include "wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "util.h"

#define WAL_MAGIC "rowfswal"
#define WAL_MAGIC_SIZE 8u
#define WAL_VERSION 1u
#define WAL_FRAME_OVERHEAD (WAL_FRAME_HEADER_SIZE + WAL_FRAME_TRAILER_SIZE)

/* Header field offsets. */
#define WALHDR_VERSION 8u
#define WALHDR_PAGE_SIZE 12u
#define WALHDR_SALT1 16u
#define WALHDR_SALT2 20u
#define WALHDR_CKPT_SEQ 24u
#define WALHDR_CHECKSUM 28u

/* Frame header field offsets. */
#define FRAME_TYPE 0u
#define FRAME_LEN 4u
#define FRAME_SEQ 8u

#define WAL_BUF_MIN (64u << 10)    /* first allocation of the write buffer */
#define WAL_BUF_MAX (1u << 20)     /* write buffer size: flushed when full */
#define WAL_SCAN_CHUNK (1u << 20)  /* read size of wal_scan() */

struct wal {
	const struct os *os;          /* I/O table */
	struct os_file *file;         /* the log; NULL for a missing log opened read-only */
	char *path;                   /* for messages */
	int read_only;                /* never write */
	int sync_meta;                /* wal_open's do_sync: fsync header writes, truncations */
	int scanned;                  /* wal_scan() done: the append position is known */
	int broken;                   /* a write or fsync failed; see WRITE BUFFER AND FAILURES */
	int header_valid;             /* the file has a valid header (0 only read-only) */
	int unsynced;                 /* bytes were written since the last fsync */
	uint32_t salt[2];             /* salts of this generation */
	uint32_t ckpt_seq;            /* checkpoint sequence from the header */
	uint32_t cksum[2];            /* checksum of the last frame (or the salts) */
	uint64_t end;                 /* end of the log, buffered frames included */
	uint64_t frames;              /* valid frames, buffered ones included */
	uint64_t fsyncs;              /* fsyncs issued since open */
	uint64_t good_end;            /* end as of the last successful sync/scan/reset */
	uint64_t good_frames;         /* frames as of the same moment */
	uint32_t good_cksum[2];       /* checksum as of the same moment */
	uint8_t *buf;                 /* write buffer: frames from end - buf_len to end */
	size_t buf_len;               /* bytes in buf */
	size_t buf_cap;               /* allocated size of buf */
	uint64_t rng;                 /* splitmix64 state for salts */
	uint64_t limit;               /* wal_limit_scan: trust no frame ending past it (0: none) */
	uint32_t limit_salt[2];       /* ... if the header still has these salts */
};

void wal_checksum(const uint8_t *data, size_t len, uint32_t s[2])
{
	uint32_t s1 = s[0], s2 = s[1];
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		s1 += get_u32(data + i) + s2;
		s2 += get_u32(data + i + 4) + s1;
	}
	s[0] = s1;
	s[1] = s2;
}

/* FNV-1a 32-bit over the bytes before it, the header checksum. */
static uint32_t header_checksum(const uint8_t *hdr)
{
	return fnv1a32(hdr, WALHDR_CHECKSUM);
}

static int frame_type_known(uint32_t type)
{
	return type == WAL_FRAME_TXN || type == WAL_FRAME_PAGE || type == WAL_FRAME_CKPT_END;
}

/* splitmix64: the next pseudo-random number from *state. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Seed the salt generator from /dev/urandom, else from the clock and pid. */
static void seed_random(struct wal *wal)
{
	struct os_file *f;
	struct rowfs_err ignored;
	struct timespec ts;
	uint8_t bytes[8];
	size_t got = 0;

	/* The real table on purpose: a test's fault table must not see this. */
	if (os_open(os_default(), "/dev/urandom", O_RDONLY, &f, &ignored) == ROWFS_OK) {
		if (os_read(f, bytes, sizeof(bytes), 0, &got, &ignored) != ROWFS_OK)
			got = 0;
		os_close(f);
	}
	if (got == sizeof(bytes)) {
		wal->rng = get_u64(bytes);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	wal->rng = ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)ts.tv_nsec ^
		   ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)wal;
}

/* Draw salts that differ from the current ones. */
static void new_salts(struct wal *wal)
{
	uint32_t old0 = wal->salt[0], old1 = wal->salt[1];

	do {
		uint64_t r = next_random(&wal->rng);

		wal->salt[0] = (uint32_t)r;
		wal->salt[1] = (uint32_t)(r >> 32);
	} while (wal->salt[0] == old0 && wal->salt[1] == old1);
}

/* The log is empty from here on: header only, checksum chain at the salts. */
static void set_empty(struct wal *wal)
{
	wal->end = WAL_HEADER_SIZE;
	wal->frames = 0;
	wal->cksum[0] = wal->salt[0];
	wal->cksum[1] = wal->salt[1];
	wal->good_end = wal->end;
	wal->good_frames = 0;
	wal->good_cksum[0] = wal->cksum[0];
	wal->good_cksum[1] = wal->cksum[1];
	wal->buf_len = 0;
}

/* fsync through the table, counted. */
static int sync_file(struct wal *wal, struct os_file *f, struct rowfs_err *err)
{
	wal->fsyncs++;
	return os_sync(f, err);
}

/*
 * Make a newly created log's directory entry durable (fsync the parent
 * directory).  File systems that cannot fsync a directory (EINVAL) are
 * accepted, as Redis does.
 */
static int sync_parent_dir(struct wal *wal, struct rowfs_err *err)
{
	struct os_file *dir;
	struct rowfs_err sync_err;
	const char *slash = strrchr(wal->path, '/');
	char *name;
	int rc;

	if (!slash)
		name = strdup(".");
	else if (slash == wal->path)
		name = strdup("/");
	else
		name = strndup(wal->path, (size_t)(slash - wal->path));
	if (!name)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	rc = os_open(wal->os, name, O_RDONLY | O_DIRECTORY, &dir, err);
	if (rc != ROWFS_OK)
		goto out_free_name;
	rc = sync_file(wal, dir, &sync_err);
	if (rc != ROWFS_OK && sync_err.sys_errno == EINVAL)
		rc = ROWFS_OK;
	if (rc != ROWFS_OK && err)
		*err = sync_err;
	os_close(dir);
out_free_name:
	free(name);
	return rc;
}

/*
 * Start a new generation on disk: truncate to the header size, write a
 * header with new salts and ckpt_seq, fsync if do_sync.  On failure the
 * log is broken.
 */
static int write_fresh_header(struct wal *wal, uint32_t ckpt_seq, int do_sync,
			      struct rowfs_err *err)
{
	uint8_t hdr[WAL_HEADER_SIZE];
	int rc;

	new_salts(wal);
	memcpy(hdr, WAL_MAGIC, WAL_MAGIC_SIZE);
	put_u32(hdr + WALHDR_VERSION, WAL_VERSION);
	put_u32(hdr + WALHDR_PAGE_SIZE, PAGE_SIZE);
	put_u32(hdr + WALHDR_SALT1, wal->salt[0]);
	put_u32(hdr + WALHDR_SALT2, wal->salt[1]);
	put_u32(hdr + WALHDR_CKPT_SEQ, ckpt_seq);
	put_u32(hdr + WALHDR_CHECKSUM, header_checksum(hdr));

	wal->buf_len = 0;
	wal->broken = 1;
	rc = os_truncate(wal->file, WAL_HEADER_SIZE, err);
	if (rc != ROWFS_OK)
		return rc;
	rc = os_write(wal->file, hdr, sizeof(hdr), 0, err);
	if (rc != ROWFS_OK)
		return rc;
	wal->unsynced = 1;
	if (do_sync) {
		rc = sync_file(wal, wal->file, err);
		if (rc != ROWFS_OK)
			return rc;
		wal->unsynced = 0;
	}
	wal->broken = 0;
	wal->header_valid = 1;
	wal->ckpt_seq = ckpt_seq;
	set_empty(wal);
	return ROWFS_OK;
}

/*
 * Read and check the header (rule 1).  An invalid one makes the log empty:
 * rewritten in read-write mode, header_valid = 0 in read-only mode.
 * *size receives the file size after this.
 */
static int load_header(struct wal *wal, uint64_t *size, struct rowfs_err *err)
{
	uint8_t hdr[WAL_HEADER_SIZE];
	size_t got = 0;
	int rc;

	rc = os_size(wal->file, size, err);
	if (rc != ROWFS_OK)
		return rc;
	if (*size >= WAL_HEADER_SIZE) {
		rc = os_read(wal->file, hdr, sizeof(hdr), 0, &got, err);
		if (rc != ROWFS_OK)
			return rc;
	}
	if (got == WAL_HEADER_SIZE &&
	    get_u32(hdr + WALHDR_CHECKSUM) == header_checksum(hdr)) {
		uint32_t version = get_u32(hdr + WALHDR_VERSION);
		uint32_t page_size = get_u32(hdr + WALHDR_PAGE_SIZE);

		if (memcmp(hdr, WAL_MAGIC, WAL_MAGIC_SIZE) != 0)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0, "wal '%s': bad magic",
					     wal->path);
		if (version != WAL_VERSION || page_size != PAGE_SIZE)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "wal '%s': unsupported version %u, page size %u",
					     wal->path, version, page_size);
		wal->salt[0] = get_u32(hdr + WALHDR_SALT1);
		wal->salt[1] = get_u32(hdr + WALHDR_SALT2);
		wal->ckpt_seq = get_u32(hdr + WALHDR_CKPT_SEQ);
		wal->header_valid = 1;
		set_empty(wal);
		return ROWFS_OK;
	}
	if (wal->read_only) {
		wal->header_valid = 0;
		set_empty(wal);
		wal->end = wal->good_end = 0;
		return ROWFS_OK;
	}
	rc = write_fresh_header(wal, wal->ckpt_seq, wal->sync_meta, err);
	if (rc != ROWFS_OK)
		return rc;
	*size = WAL_HEADER_SIZE;
	return ROWFS_OK;
}

int wal_open(const struct os *os, const char *path, int read_only, int do_sync,
	     struct wal **out, struct rowfs_err *err)
{
	struct wal *wal;
	struct rowfs_err open_err;
	uint64_t size = 0, before = 0;
	int rc;

	*out = NULL;
	wal = calloc(1, sizeof(*wal));
	if (!wal)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	wal->path = strdup(path);
	if (!wal->path) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_free_wal;
	}
	wal->os = os ? os : os_default();
	wal->read_only = read_only;
	wal->sync_meta = do_sync;
	seed_random(wal);

	rc = os_open(wal->os, path, read_only ? O_RDONLY : O_RDWR | O_CREAT, &wal->file,
		     &open_err);
	if (rc != ROWFS_OK) {
		if (read_only && open_err.sys_errno == ENOENT) {
			/* A missing log is an empty one; read-only never creates it. */
			set_empty(wal);
			wal->end = wal->good_end = 0;
			*out = wal;
			return ROWFS_OK;
		}
		if (err)
			*err = open_err;
		goto out_free_path;
	}
	if (!read_only) {
		rc = os_size(wal->file, &before, err);
		if (rc != ROWFS_OK)
			goto out_close_file;
	}
	rc = load_header(wal, &size, err);
	if (rc != ROWFS_OK)
		goto out_close_file;
	if (!read_only && before == 0 && do_sync) {
		rc = sync_parent_dir(wal, err);
		if (rc != ROWFS_OK)
			goto out_close_file;
	}
	*out = wal;
	return ROWFS_OK;

out_close_file:
	os_close(wal->file);
out_free_path:
	free(wal->path);
out_free_wal:
	free(wal);
	return rc;
}

void wal_close(struct wal *wal)
{
	if (!wal)
		return;
	os_close(wal->file);
	free(wal->buf);
	free(wal->path);
	free(wal);
}

/* A sliding read window over the file for wal_scan(). */
struct scan_window {
	uint8_t *buf;          /* window bytes */
	size_t cap;            /* allocated size */
	size_t len;            /* valid bytes in buf */
	uint64_t off;          /* file offset of buf[0] */
	uint64_t file_size;    /* size of the file being scanned */
};

/*
 * Point *out at need bytes of the file at off (off never goes backwards;
 * off + need <= file_size).  Reads WAL_SCAN_CHUNK or more at a time.
 * *out is NULL when the file ended early (it shrank under us).
 */
static int window_get(struct wal *wal, struct scan_window *w, uint64_t off, size_t need,
		      const uint8_t **out, struct rowfs_err *err)
{
	size_t keep = 0, want, got;
	int rc;

	*out = NULL;
	if (off >= w->off && off + need <= w->off + w->len) {
		*out = w->buf + (off - w->off);
		return ROWFS_OK;
	}
	if (off < w->off + w->len)
		keep = (size_t)(w->off + w->len - off);
	if (need > w->cap) {
		size_t cap = need > WAL_SCAN_CHUNK ? need : WAL_SCAN_CHUNK;
		uint8_t *buf = malloc(cap);

		if (!buf)
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		if (keep)
			memcpy(buf, w->buf + (off - w->off), keep);
		free(w->buf);
		w->buf = buf;
		w->cap = cap;
	} else if (keep) {
		memmove(w->buf, w->buf + (off - w->off), keep);
	}
	w->off = off;
	w->len = keep;
	want = w->cap - keep;
	if (want > w->file_size - (off + keep))
		want = (size_t)(w->file_size - (off + keep));
	rc = os_read(wal->file, w->buf + keep, want, off + keep, &got, err);
	if (rc != ROWFS_OK)
		return rc;
	w->len += got;
	if (w->len >= need)
		*out = w->buf;
	return ROWFS_OK;
}

/* Walk the frames (rule 2), calling fn for each; *end receives the valid end. */
static int scan_frames(struct wal *wal, uint64_t size, wal_frame_fn fn, void *ctx,
		       struct rowfs_err *err)
{
	struct scan_window w = { .file_size = size };
	uint64_t off = WAL_HEADER_SIZE;
	int rc = ROWFS_OK;

	wal->cksum[0] = wal->salt[0];
	wal->cksum[1] = wal->salt[1];
	wal->frames = 0;
	if (wal->limit && wal->limit_salt[0] == wal->salt[0] && wal->limit_salt[1] == wal->salt[1] &&
	    size > wal->limit)
		size = wal->limit;   /* frames past it belong to a commit reported as failed */
	while (size - off >= WAL_FRAME_OVERHEAD) {
		const uint8_t *p;
		uint32_t type, len, s[2];

		rc = window_get(wal, &w, off, WAL_FRAME_HEADER_SIZE, &p, err);
		if (rc != ROWFS_OK || !p)
			break;
		type = get_u32(p + FRAME_TYPE);
		len = get_u32(p + FRAME_LEN);
		if (!frame_type_known(type) || len % 8 != 0 || len > WAL_MAX_PAYLOAD ||
		    size - off - WAL_FRAME_OVERHEAD < len)
			break;
		rc = window_get(wal, &w, off, WAL_FRAME_OVERHEAD + len, &p, err);
		if (rc != ROWFS_OK || !p)
			break;
		s[0] = wal->cksum[0];
		s[1] = wal->cksum[1];
		wal_checksum(p, WAL_FRAME_HEADER_SIZE + len, s);
		if (get_u32(p + WAL_FRAME_HEADER_SIZE + len) != s[0] ||
		    get_u32(p + WAL_FRAME_HEADER_SIZE + len + 4) != s[1])
			break;
		if (fn) {
			rc = fn(ctx, type, get_u64(p + FRAME_SEQ), p + WAL_FRAME_HEADER_SIZE, len,
				off);
			if (rc != ROWFS_OK)
				break;
		}
		wal->cksum[0] = s[0];
		wal->cksum[1] = s[1];
		wal->frames++;
		off += WAL_FRAME_OVERHEAD + len;
	}
	free(w.buf);
	wal->end = off;
	return rc;
}

char *wal_path_for(const char *db_path)
{
	size_t n = strlen(db_path);
	char *path = malloc(n + sizeof("-wal"));

	if (path) {
		memcpy(path, db_path, n);
		memcpy(path + n, "-wal", sizeof("-wal"));
	}
	return path;
}

uint64_t wal_good_end(const struct wal *wal, uint32_t salt[2])
{
	salt[0] = wal->salt[0];
	salt[1] = wal->salt[1];
	return wal->good_end;
}

void wal_limit_scan(struct wal *wal, uint64_t end, const uint32_t salt[2])
{
	wal->limit = end;
	wal->limit_salt[0] = salt[0];
	wal->limit_salt[1] = salt[1];
}

int wal_scan(struct wal *wal, wal_frame_fn fn, void *ctx, struct rowfs_err *err)
{
	uint64_t size;
	int rc;

	wal->scanned = 0;
	wal->buf_len = 0;
	if (!wal->file) {
		wal->scanned = 1;
		return ROWFS_OK;
	}
	rc = load_header(wal, &size, err);
	if (rc != ROWFS_OK)
		return rc;
	if (!wal->header_valid) {
		wal->broken = 0;
		wal->scanned = 1;
		return ROWFS_OK;
	}
	rc = scan_frames(wal, size, fn, ctx, err);
	if (rc != ROWFS_OK)
		return rc;
	wal->limit = 0;
	wal->good_end = wal->end;
	wal->good_frames = wal->frames;
	wal->good_cksum[0] = wal->cksum[0];
	wal->good_cksum[1] = wal->cksum[1];
	if (!wal->read_only && size > wal->end) {
		/* Cut the invalid tail so that new frames continue the chain. */
		rc = os_truncate(wal->file, wal->end, err);
		if (rc != ROWFS_OK)
			return rc;
		wal->unsynced = 1;
		if (wal->sync_meta) {
			rc = sync_file(wal, wal->file, err);
			if (rc != ROWFS_OK)
				return rc;
			wal->unsynced = 0;
		}
	}
	wal->broken = 0;
	wal->scanned = 1;
	return ROWFS_OK;
}

/*
 * A write or fsync failed: forget everything after the good state, cut the
 * file there (best effort) and refuse writes until wal_scan/wal_reset.
 */
static int fail(struct wal *wal, int rc)
{
	struct rowfs_err ignored;

	wal->broken = 1;
	wal->buf_len = 0;
	wal->end = wal->good_end;
	wal->frames = wal->good_frames;
	wal->cksum[0] = wal->good_cksum[0];
	wal->cksum[1] = wal->good_cksum[1];
	(void)os_truncate(wal->file, wal->good_end, &ignored);
	return rc;
}

static int refuse_broken(struct wal *wal, struct rowfs_err *err)
{
	return rowfs_err_set(err, ROWFS_IOERR, EIO,
			     "wal '%s': an earlier write failed; reopen the database", wal->path);
}

/* Write the buffered frames. */
static int flush(struct wal *wal, struct rowfs_err *err)
{
	int rc;

	if (wal->buf_len == 0)
		return ROWFS_OK;
	rc = os_write(wal->file, wal->buf, wal->buf_len, wal->end - wal->buf_len, err);
	if (rc != ROWFS_OK)
		return fail(wal, rc);
	wal->buf_len = 0;
	wal->unsynced = 1;
	return ROWFS_OK;
}

/* Make room for n more bytes in the write buffer (n <= WAL_BUF_MAX). */
static int reserve(struct wal *wal, size_t n, struct rowfs_err *err)
{
	size_t cap;
	uint8_t *buf;
	int rc;

	if (wal->buf_len + n > WAL_BUF_MAX) {
		rc = flush(wal, err);
		if (rc != ROWFS_OK)
			return rc;
	}
	if (wal->buf_len + n <= wal->buf_cap)
		return ROWFS_OK;
	cap = wal->buf_cap ? wal->buf_cap : WAL_BUF_MIN;
	while (cap < wal->buf_len + n)
		cap *= 2;
	if (cap > WAL_BUF_MAX)
		cap = WAL_BUF_MAX;
	buf = realloc(wal->buf, cap);
	if (!buf)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	wal->buf = buf;
	wal->buf_cap = cap;
	return ROWFS_OK;
}

/* Write a frame too large for the buffer straight to the file. */
static int write_direct(struct wal *wal, const uint8_t *hdr, const void *payload, uint32_t len,
			uint32_t s[2], struct rowfs_err *err)
{
	uint8_t trailer[WAL_FRAME_TRAILER_SIZE];
	uint64_t off;
	int rc;

	rc = flush(wal, err);
	if (rc != ROWFS_OK)
		return rc;
	off = wal->end;
	put_u32(trailer, s[0]);
	put_u32(trailer + 4, s[1]);
	rc = os_write(wal->file, hdr, WAL_FRAME_HEADER_SIZE, off, err);
	if (rc == ROWFS_OK)
		rc = os_write(wal->file, payload, len, off + WAL_FRAME_HEADER_SIZE, err);
	if (rc == ROWFS_OK)
		rc = os_write(wal->file, trailer, sizeof(trailer),
			      off + WAL_FRAME_HEADER_SIZE + len, err);
	if (rc != ROWFS_OK)
		return fail(wal, rc);
	wal->unsynced = 1;
	return ROWFS_OK;
}

int wal_append(struct wal *wal, uint32_t type, uint64_t seq, const void *payload,
	       uint32_t len, struct rowfs_err *err)
{
	uint8_t hdr[WAL_FRAME_HEADER_SIZE];
	size_t size = (size_t)WAL_FRAME_OVERHEAD + len;
	uint32_t s[2];
	int rc;

	if (wal->read_only)
		return rowfs_err_set(err, ROWFS_READONLY, EROFS, "wal '%s': read-only", wal->path);
	if (wal->broken)
		return refuse_broken(wal, err);
	if (!wal->scanned)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "wal '%s': append before scan",
				     wal->path);
	if (!frame_type_known(type) || len % 8 != 0 || len > WAL_MAX_PAYLOAD ||
	    (len && !payload))
		return rowfs_err_set(err, ROWFS_ERROR, 0,
				     "wal '%s': bad frame (type %u, length %u)", wal->path,
				     type, len);

	put_u32(hdr + FRAME_TYPE, type);
	put_u32(hdr + FRAME_LEN, len);
	put_u64(hdr + FRAME_SEQ, seq);
	s[0] = wal->cksum[0];
	s[1] = wal->cksum[1];
	wal_checksum(hdr, sizeof(hdr), s);
	if (len)
		wal_checksum(payload, len, s);

	if (size > WAL_BUF_MAX) {
		rc = write_direct(wal, hdr, payload, len, s, err);
		if (rc != ROWFS_OK)
			return rc;
	} else {
		uint8_t *p;

		rc = reserve(wal, size, err);
		if (rc != ROWFS_OK)
			return rc;
		p = wal->buf + wal->buf_len;
		memcpy(p, hdr, sizeof(hdr));
		if (len)
			memcpy(p + WAL_FRAME_HEADER_SIZE, payload, len);
		put_u32(p + WAL_FRAME_HEADER_SIZE + len, s[0]);
		put_u32(p + WAL_FRAME_HEADER_SIZE + len + 4, s[1]);
		wal->buf_len += size;
	}
	wal->end += size;
	wal->frames++;
	wal->cksum[0] = s[0];
	wal->cksum[1] = s[1];
	return ROWFS_OK;
}

int wal_sync(struct wal *wal, int do_sync, struct rowfs_err *err)
{
	int rc;

	if (wal->read_only)
		return ROWFS_OK;
	if (wal->broken)
		return refuse_broken(wal, err);
	rc = flush(wal, err);
	if (rc != ROWFS_OK)
		return rc;
	if (do_sync && wal->unsynced) {
		rc = sync_file(wal, wal->file, err);
		if (rc != ROWFS_OK)
			return fail(wal, rc);
		wal->unsynced = 0;
	}
	wal->good_end = wal->end;
	wal->good_frames = wal->frames;
	wal->good_cksum[0] = wal->cksum[0];
	wal->good_cksum[1] = wal->cksum[1];
	return ROWFS_OK;
}

int wal_reset(struct wal *wal, int do_sync, struct rowfs_err *err)
{
	int rc;

	if (wal->read_only)
		return rowfs_err_set(err, ROWFS_READONLY, EROFS, "wal '%s': read-only", wal->path);
	rc = write_fresh_header(wal, wal->ckpt_seq + 1, do_sync, err);
	if (rc != ROWFS_OK) {
		wal->scanned = 0;
		return rc;
	}
	wal->scanned = 1;
	return ROWFS_OK;
}

uint64_t wal_size(const struct wal *wal)
{
	return wal->end;
}

uint64_t wal_frame_count(const struct wal *wal)
{
	return wal->frames;
}

uint64_t wal_fsync_count(const struct wal *wal)
{
	return wal->fsyncs;
}

uint32_t wal_checkpoint_seq(const struct wal *wal)
{
	return wal->ckpt_seq;
}
