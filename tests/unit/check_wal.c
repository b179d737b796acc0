/*
 * check_wal.c - unit tests of the write-ahead log (engine/wal.c).
 *
 * Owns: round trips through append/sync/scan, the validity rules of the
 * format essay (every flipped byte and every cut stops the log at the right
 * frame, stale frames of an earlier generation never return, a bad header
 * is an empty log), read-only behaviour, the write buffer, fsync counting
 * and failures injected through faultos.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultos.h"
#include "format.h"
#include "os.h"
#include "rowfs.h"
#include "testutil.h"
#include "wal.h"

static char path[4200];   /* the WAL under test: tu_dir/db-wal */

/* Checked fixture: a fresh test directory, path in it. */
static void setup(void)
{
	tu_dir_setup();
	snprintf(path, sizeof(path), "%s/db-wal", tu_dir);
}

/* ---- helpers ---------------------------------------------------------- */

/* A frame as the tests expect it or as a scan returned it. */
struct frame {
	uint32_t type;
	uint64_t seq;
	uint32_t len;
	uint8_t *payload;       /* malloc'd */
	uint64_t offset;        /* file offset (scan results) */
};

/* A growable list of frames. */
struct frames {
	struct frame *v;
	size_t n, cap;
	size_t stop_at;         /* collect_fn returns stop_rc at this frame (1-based; 0 never) */
	int stop_rc;
};

static void frames_push(struct frames *fs, uint32_t type, uint64_t seq, const uint8_t *payload,
			uint32_t len, uint64_t offset)
{
	struct frame *f;

	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? 2 * fs->cap : 16;
		fs->v = realloc(fs->v, fs->cap * sizeof(*fs->v));
		ck_assert_ptr_nonnull(fs->v);
	}
	f = &fs->v[fs->n++];
	f->type = type;
	f->seq = seq;
	f->len = len;
	f->offset = offset;
	f->payload = tu_memdup(payload, len);
}

static void frames_clear(struct frames *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->v[i].payload);
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

static int collect_fn(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
		      uint32_t len, uint64_t offset)
{
	struct frames *fs = ctx;

	if (fs->stop_at && fs->n + 1 == fs->stop_at)
		return fs->stop_rc;
	frames_push(fs, type, seq, payload, len, offset);
	return ROWFS_OK;
}

/* Deterministic payload bytes for frame i. */
static uint8_t *make_payload(uint32_t i, uint32_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = i * 2654435761u + 1, k;

	ck_assert_ptr_nonnull(p);
	for (k = 0; k < len; k++) {
		x = x * 1103515245u + 12345u;
		p[k] = (uint8_t)(x >> 16);
	}
	return p;
}

/* Append a frame to w and remember it in expected. */
static void append(struct wal *w, struct frames *expected, uint32_t type, uint64_t seq,
		   uint32_t len)
{
	struct rowfs_err err;
	uint8_t *p = make_payload((uint32_t)expected->n + (uint32_t)seq * 7, len);

	ck_assert_int_eq(wal_append(w, type, seq, p, len, &err), ROWFS_OK);
	frames_push(expected, type, seq, p, len, 0);
	free(p);
}

static struct wal *open_wal(const struct os *os, int read_only, int do_sync)
{
	struct wal *w = NULL;
	struct rowfs_err err;
	int rc = wal_open(os, path, read_only, do_sync, &w, &err);

	ck_assert_msg(rc == ROWFS_OK, "wal_open: %s", err.msg);
	return w;
}

/* Open, scan into got, close.  Returns wal_size after the scan. */
static uint64_t scan_file(int read_only, struct frames *got)
{
	struct wal *w = open_wal(NULL, read_only, 0);
	struct rowfs_err err;
	uint64_t size;

	ck_assert_int_eq(wal_scan(w, collect_fn, got, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_frame_count(w), got->n);
	size = wal_size(w);
	wal_close(w);
	return size;
}

/* got must equal the first n frames of expected. */
static void assert_prefix(const struct frames *got, const struct frames *expected, size_t n)
{
	uint64_t off = WAL_HEADER_SIZE;
	size_t i;

	ck_assert_uint_eq(got->n, n);
	for (i = 0; i < n; i++) {
		const struct frame *g = &got->v[i], *e = &expected->v[i];

		ck_assert_uint_eq(g->type, e->type);
		ck_assert_uint_eq(g->seq, e->seq);
		ck_assert_uint_eq(g->len, e->len);
		ck_assert_uint_eq(g->offset, off);
		ck_assert_int_eq(memcmp(g->payload, e->payload, e->len), 0);
		off += WAL_FRAME_HEADER_SIZE + e->len + WAL_FRAME_TRAILER_SIZE;
	}
}

/* File offset where frame i of expected ends. */
static uint64_t frame_end(const struct frames *expected, size_t i)
{
	uint64_t off = WAL_HEADER_SIZE;
	size_t k;

	for (k = 0; k <= i; k++)
		off += WAL_FRAME_HEADER_SIZE + expected->v[k].len + WAL_FRAME_TRAILER_SIZE;
	return off;
}

/* The header checksum as rowfs(5) documents it: FNV-1a over bytes 0..27. */
static uint32_t fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* Build a WAL with frames of the given payload lengths, synced, closed. */
static void build(struct frames *expected, const uint32_t *lens, size_t n)
{
	struct wal *w = open_wal(NULL, 0, 0);
	struct rowfs_err err;
	size_t i;

	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	for (i = 0; i < n; i++)
		append(w, expected, WAL_FRAME_TXN, i + 1, lens[i]);
	ck_assert_int_eq(wal_sync(w, 0, &err), ROWFS_OK);
	wal_close(w);
}

/* ---- tests ------------------------------------------------------------ */

START_TEST(test_checksum_vector)
{
	const uint8_t data[16] = { 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 1 };
	uint32_t s[2] = { 0, 0 };

	wal_checksum(data, 8, s);
	ck_assert_uint_eq(s[0], 1);
	ck_assert_uint_eq(s[1], 3);
	s[0] = 10;
	s[1] = 20;
	wal_checksum(data, 16, s);
	/* pair 1: s1 = 10+1+20 = 31, s2 = 20+2+31 = 53;
	 * pair 2: s1 = 31+3+53 = 87, s2 = 53+0x01000000+87 */
	ck_assert_uint_eq(s[0], 87);
	ck_assert_uint_eq(s[1], 53 + 0x01000000u + 87);
}
END_TEST

START_TEST(test_header_layout)
{
	struct wal *w = open_wal(NULL, 0, 1);
	uint8_t *buf;
	size_t len;

	ck_assert_uint_eq(wal_size(w), WAL_HEADER_SIZE);
	ck_assert_uint_eq(wal_checkpoint_seq(w), 0);
	wal_close(w);
	buf = tu_read_file(path, &len);
	ck_assert_uint_eq(len, WAL_HEADER_SIZE);
	ck_assert_int_eq(memcmp(buf, "rowfswal", 8), 0);
	ck_assert_uint_eq(tu_le32(buf + 8), 1);
	ck_assert_uint_eq(tu_le32(buf + 12), PAGE_SIZE);
	ck_assert_uint_eq(tu_le32(buf + 24), 0);
	ck_assert_uint_eq(tu_le32(buf + 28), fnv1a(buf, 28));
	ck_assert(tu_le32(buf + 16) != 0 || tu_le32(buf + 20) != 0);
	free(buf);
}
END_TEST

START_TEST(test_append_reopen_scan)
{
	struct frames expected = { 0 }, got = { 0 };
	struct rowfs_err err;
	struct wal *w = open_wal(NULL, 0, 1);
	uint64_t size;

	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got.n, 0);
	append(w, &expected, WAL_FRAME_TXN, 1, 40);
	append(w, &expected, WAL_FRAME_TXN, 2, 80);
	append(w, &expected, WAL_FRAME_PAGE, 7, PAGE_SIZE);
	append(w, &expected, WAL_FRAME_CKPT_END, 2, 8);
	append(w, &expected, WAL_FRAME_TXN, 3, 0);
	append(w, &expected, WAL_FRAME_TXN, 0xfffffffffull, 200 * 1024);
	ck_assert_uint_eq(wal_frame_count(w), 6);
	size = wal_size(w);
	ck_assert_uint_eq(size, frame_end(&expected, 5));
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	ck_assert_int_eq(tu_file_size(path), (off_t)size);
	wal_close(w);

	ck_assert_uint_eq(scan_file(0, &got), size);
	assert_prefix(&got, &expected, 6);
	frames_clear(&got);

	/* Appending after a scan continues the chain. */
	w = open_wal(NULL, 0, 1);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_frame_count(w), 6);
	append(w, &expected, WAL_FRAME_TXN, 4, 40);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	wal_close(w);
	ck_assert_uint_eq(scan_file(1, &got), frame_end(&expected, 6));
	assert_prefix(&got, &expected, 7);
	frames_clear(&got);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_flipped_byte_stops_log)
{
	static const uint32_t lens[] = { 8, 16, 0, 24, 8, 32 };
	struct frames expected = { 0 }, got = { 0 };
	uint8_t *orig;
	size_t len, b, i;
	unsigned mask;

	build(&expected, lens, 6);
	orig = tu_read_file(path, &len);
	ck_assert_uint_eq(len, frame_end(&expected, 5));
	for (b = WAL_HEADER_SIZE; b < len; b++) {
		size_t whole = 0;

		while (frame_end(&expected, whole) <= b)
			whole++;
		for (mask = 0x01; mask <= 0x80; mask <<= 7) {
			orig[b] ^= (uint8_t)mask;
			tu_write_file(path, orig, len);
			orig[b] ^= (uint8_t)mask;
			scan_file(1, &got);
			ck_assert_msg(got.n == whole, "byte %zu mask %#x: %zu frames, want %zu", b,
				      mask, got.n, whole);
			assert_prefix(&got, &expected, whole);
			frames_clear(&got);
		}
	}

	/* Read-write: the bad tail is cut off and new frames follow the good ones. */
	i = 3;
	orig[frame_end(&expected, i - 1) + 20] ^= 0x10;
	tu_write_file(path, orig, len);
	ck_assert_uint_eq(scan_file(0, &got), frame_end(&expected, i - 1));
	ck_assert_int_eq(tu_file_size(path), (off_t)frame_end(&expected, i - 1));
	assert_prefix(&got, &expected, i);
	frames_clear(&got);
	free(orig);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_cut_at_every_offset)
{
	static const uint32_t lens[] = { 40, 40, PAGE_SIZE, 200 };
	struct frames expected = { 0 }, got = { 0 };
	struct rowfs_err err;
	uint8_t *orig;
	size_t len, cut;

	build(&expected, lens, 4);
	orig = tu_read_file(path, &len);
	for (cut = frame_end(&expected, 1); cut <= len; cut++) {
		size_t whole = 2;
		struct wal *w;
		uint8_t extra[16];

		if (cut >= frame_end(&expected, 2))
			whole = 3;
		if (cut == len)
			whole = 4;
		tu_write_file(path, orig, cut);
		ck_assert_uint_eq(scan_file(1, &got), frame_end(&expected, whole - 1));
		assert_prefix(&got, &expected, whole);
		frames_clear(&got);

		/* Read-write recovery: truncate, append, and the new frame is found. */
		w = open_wal(NULL, 0, 0);
		ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
		ck_assert_int_eq(tu_file_size(path), (off_t)frame_end(&expected, whole - 1));
		memset(extra, 0xab, sizeof(extra));
		ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 99, extra, sizeof(extra), &err),
				 ROWFS_OK);
		ck_assert_int_eq(wal_sync(w, 0, &err), ROWFS_OK);
		wal_close(w);
		scan_file(1, &got);
		ck_assert_uint_eq(got.n, whole + 1);
		ck_assert_uint_eq(got.v[whole].seq, 99);
		frames_clear(&got);
	}
	free(orig);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_reset_hides_stale_frames)
{
	struct frames expected = { 0 }, got = { 0 }, again = { 0 };
	struct rowfs_err err;
	struct wal *w;
	uint8_t *old, *now, salts[20][8];
	size_t old_len, now_len, i, j;

	w = open_wal(NULL, 0, 1);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	append(w, &expected, WAL_FRAME_TXN, 1, 40);
	append(w, &expected, WAL_FRAME_TXN, 2, 40);
	append(w, &expected, WAL_FRAME_TXN, 3, 40);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	old = tu_read_file(path, &old_len);
	ck_assert_int_eq(wal_reset(w, 1, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_size(w), WAL_HEADER_SIZE);
	ck_assert_uint_eq(wal_frame_count(w), 0);
	ck_assert_uint_eq(wal_checkpoint_seq(w), 1);
	wal_close(w);
	now = tu_read_file(path, &now_len);
	ck_assert_uint_eq(now_len, WAL_HEADER_SIZE);
	ck_assert_uint_eq(tu_le32(now + 24), 1);
	ck_assert(memcmp(old + 16, now + 16, 8) != 0);

	/* The truncate was lost: the old frames are back behind the new header. */
	tu_pwrite_at(path, WAL_HEADER_SIZE, old + WAL_HEADER_SIZE, old_len - WAL_HEADER_SIZE);
	ck_assert_uint_eq(scan_file(1, &got), WAL_HEADER_SIZE);
	ck_assert_uint_eq(got.n, 0);

	/* Same first frame again in the new generation: old frames 2..3 still fail. */
	w = open_wal(NULL, 0, 0);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	ck_assert_int_eq(wal_append(w, expected.v[0].type, expected.v[0].seq,
				    expected.v[0].payload, expected.v[0].len, &err), ROWFS_OK);
	ck_assert_int_eq(wal_sync(w, 0, &err), ROWFS_OK);
	wal_close(w);
	i = frame_end(&expected, 0);
	tu_pwrite_at(path, (off_t)i, old + i, old_len - i);
	scan_file(1, &again);
	assert_prefix(&again, &expected, 1);

	/* Every reset draws new salts. */
	w = open_wal(NULL, 0, 0);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	for (i = 0; i < 20; i++) {
		ck_assert_int_eq(wal_reset(w, 0, &err), ROWFS_OK);
		free(now);
		now = tu_read_file(path, &now_len);
		memcpy(salts[i], now + 16, 8);
		for (j = 0; j < i; j++)
			ck_assert(memcmp(salts[i], salts[j], 8) != 0);
	}
	ck_assert_uint_eq(wal_checkpoint_seq(w), 21);
	wal_close(w);
	free(old);
	free(now);
	frames_clear(&got);
	frames_clear(&again);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_read_only_missing_is_empty)
{
	struct frames got = { 0 };
	struct rowfs_err err;
	struct wal *w = open_wal(NULL, 1, 1);
	struct stat st;
	uint8_t payload[8] = { 0 };

	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got.n, 0);
	ck_assert_uint_eq(wal_size(w), 0);
	ck_assert_uint_eq(wal_frame_count(w), 0);
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 1, payload, 8, &err), ROWFS_READONLY);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	ck_assert_int_eq(wal_reset(w, 1, &err), ROWFS_READONLY);
	ck_assert_uint_eq(wal_fsync_count(w), 0);
	wal_close(w);
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_read_only_never_writes)
{
	static const uint32_t lens[] = { 8, 16, 24 };
	struct frames expected = { 0 }, got = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;
	uint8_t *orig, *after;
	size_t len, after_len;

	build(&expected, lens, 3);
	orig = tu_read_file(path, &len);
	orig = realloc(orig, len + 5);
	memcpy(orig + len, "junk!", 5);          /* a torn tail */
	len += 5;
	tu_write_file(path, orig, len);

	faultos_init(&fo);
	w = open_wal(&fo.os, 1, 1);
	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_OK);
	assert_prefix(&got, &expected, 3);
	ck_assert_uint_eq(wal_size(w), frame_end(&expected, 2));
	wal_close(w);
	frames_clear(&got);

	/* Bad header, read-only: empty, and still untouched. */
	orig[3] ^= 0xff;
	tu_write_file(path, orig, len);
	w = open_wal(&fo.os, 1, 1);
	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got.n, 0);
	ck_assert_uint_eq(wal_size(w), 0);
	wal_close(w);
	ck_assert_uint_eq(fo.pwrites, 0);
	ck_assert_uint_eq(fo.fsyncs, 0);
	ck_assert_uint_eq(fo.ftruncates, 0);
	after = tu_read_file(path, &after_len);
	ck_assert_uint_eq(after_len, len);
	ck_assert_int_eq(memcmp(after, orig, len), 0);
	faultos_release(&fo);
	free(orig);
	free(after);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_bad_header_is_empty_log)
{
	static const uint32_t lens[] = { 8, 16 };
	struct frames expected = { 0 }, got = { 0 };
	uint8_t *orig, *now;
	size_t len, now_len, b;

	build(&expected, lens, 2);
	orig = tu_read_file(path, &len);
	for (b = 0; b < WAL_HEADER_SIZE; b++) {
		orig[b] ^= 0x04;
		tu_write_file(path, orig, len);
		orig[b] ^= 0x04;
		ck_assert_uint_eq(scan_file(1, &got), 0);
		ck_assert_uint_eq(got.n, 0);
		ck_assert_int_eq(tu_file_size(path), (off_t)len);

		/* Read-write: rewritten as a fresh, valid, empty log. */
		ck_assert_uint_eq(scan_file(0, &got), WAL_HEADER_SIZE);
		ck_assert_uint_eq(got.n, 0);
		now = tu_read_file(path, &now_len);
		ck_assert_uint_eq(now_len, WAL_HEADER_SIZE);
		ck_assert_int_eq(memcmp(now, "rowfswal", 8), 0);
		ck_assert_uint_eq(tu_le32(now + 28), fnv1a(now, 28));
		free(now);
	}

	/* Shorter than a header: empty too. */
	tu_write_file(path, orig, 10);
	ck_assert_uint_eq(scan_file(1, &got), 0);
	ck_assert_int_eq(tu_file_size(path), 10);
	ck_assert_uint_eq(scan_file(0, &got), WAL_HEADER_SIZE);
	ck_assert_int_eq(tu_file_size(path), WAL_HEADER_SIZE);
	tu_write_file(path, orig, 0);
	ck_assert_uint_eq(scan_file(0, &got), WAL_HEADER_SIZE);
	ck_assert_uint_eq(got.n, 0);
	free(orig);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_foreign_header_is_corrupt)
{
	uint8_t hdr[WAL_HEADER_SIZE], *now;
	struct wal *w = (struct wal *)1;
	struct rowfs_err err;
	size_t now_len;
	int ro;

	memcpy(hdr, "rowfswal", 8);
	tu_put_le32(hdr + 8, 2);                   /* a future version */
	tu_put_le32(hdr + 12, PAGE_SIZE);
	tu_put_le32(hdr + 16, 1);
	tu_put_le32(hdr + 20, 2);
	tu_put_le32(hdr + 24, 0);
	tu_put_le32(hdr + 28, fnv1a(hdr, 28));
	tu_write_file(path, hdr, sizeof(hdr));
	for (ro = 0; ro <= 1; ro++) {
		ck_assert_int_eq(wal_open(NULL, path, ro, 1, &w, &err), ROWFS_CORRUPT);
		ck_assert_ptr_null(w);
		ck_assert_ptr_nonnull(strstr(err.msg, "unsupported version 2"));
	}
	tu_put_le32(hdr + 8, 1);
	tu_put_le32(hdr + 12, 8192);               /* another page size */
	tu_put_le32(hdr + 28, fnv1a(hdr, 28));
	tu_write_file(path, hdr, sizeof(hdr));
	ck_assert_int_eq(wal_open(NULL, path, 0, 1, &w, &err), ROWFS_CORRUPT);
	now = tu_read_file(path, &now_len);
	ck_assert_uint_eq(now_len, sizeof(hdr));
	ck_assert_int_eq(memcmp(now, hdr, sizeof(hdr)), 0);
	free(now);
}
END_TEST

START_TEST(test_large_frames_and_few_writes)
{
	struct frames expected = { 0 }, got = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;
	uint64_t before;
	uint32_t i;

	faultos_init(&fo);
	w = open_wal(&fo.os, 0, 1);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	append(w, &expected, WAL_FRAME_TXN, 1, 40);
	append(w, &expected, WAL_FRAME_TXN, 2, 3u << 20);   /* larger than the buffer */
	append(w, &expected, WAL_FRAME_TXN, 3, 40);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);

	/* A checkpoint-sized burst: 2000 pages + end marker, few pwrites. */
	before = fo.pwrites;
	for (i = 0; i < 2000; i++)
		append(w, &expected, WAL_FRAME_PAGE, i + 1, PAGE_SIZE);
	append(w, &expected, WAL_FRAME_CKPT_END, 3, 8);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	ck_assert_msg(fo.pwrites - before <= 10, "%llu pwrites",
		      (unsigned long long)(fo.pwrites - before));
	ck_assert_uint_eq(wal_size(w), frame_end(&expected, expected.n - 1));
	wal_close(w);
	faultos_release(&fo);

	ck_assert_uint_eq(scan_file(0, &got), frame_end(&expected, expected.n - 1));
	assert_prefix(&got, &expected, expected.n);
	frames_clear(&got);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_last_frame_stays_buffered)
{
	struct frames expected = { 0 };
	struct rowfs_err err;
	struct wal *w = open_wal(NULL, 0, 0);
	uint32_t i;

	/* The pager's checkpoint relies on this: CKPT_END is written at wal_sync only. */
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	for (i = 0; i < 600; i++) {
		append(w, &expected, WAL_FRAME_PAGE, i + 1, PAGE_SIZE);
		ck_assert_uint_le((uint64_t)tu_file_size(path),
				  wal_size(w) - (WAL_FRAME_HEADER_SIZE + PAGE_SIZE +
						 WAL_FRAME_TRAILER_SIZE));
	}
	ck_assert_uint_gt((uint64_t)tu_file_size(path), WAL_HEADER_SIZE);   /* the buffer did flush */
	append(w, &expected, WAL_FRAME_CKPT_END, 600, 8);
	ck_assert_uint_le((uint64_t)tu_file_size(path), wal_size(w) - 32);
	ck_assert_int_eq(wal_sync(w, 0, &err), ROWFS_OK);
	ck_assert_uint_eq((uint64_t)tu_file_size(path), wal_size(w));
	wal_close(w);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_write_failure_forgets_frames)
{
	struct frames expected = { 0 }, got = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;
	uint8_t payload[40] = { 0 };
	uint64_t good;
	int errnum, want;

	for (errnum = EIO; errnum; errnum = errnum == EIO ? ENOSPC : 0) {
		want = errnum == EIO ? ROWFS_IOERR : ROWFS_FULL;
		unlink(path);
		faultos_init(&fo);
		w = open_wal(&fo.os, 0, 1);
		ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
		append(w, &expected, WAL_FRAME_TXN, 1, 40);
		ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
		good = wal_size(w);

		ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 2, payload, 40, &err), ROWFS_OK);
		faultos_fail_write_at(&fo, 1, errnum, 0);
		ck_assert_int_eq(wal_sync(w, 1, &err), want);
		ck_assert_int_eq(err.sys_errno, errnum);
		ck_assert_uint_eq(wal_size(w), good);
		ck_assert_uint_eq(wal_frame_count(w), 1);

		/* Broken until rescanned. */
		ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 3, payload, 40, &err), ROWFS_IOERR);
		ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_IOERR);
		ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_OK);
		assert_prefix(&got, &expected, 1);
		frames_clear(&got);
		append(w, &expected, WAL_FRAME_TXN, 3, 40);
		ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
		wal_close(w);
		faultos_release(&fo);

		scan_file(1, &got);
		assert_prefix(&got, &expected, 2);
		frames_clear(&got);
		frames_clear(&expected);
	}
}
END_TEST

START_TEST(test_fsync_failure_is_not_resurrected)
{
	struct frames expected = { 0 }, got = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;
	uint8_t payload[40] = { 0 };

	faultos_init(&fo);
	w = open_wal(&fo.os, 0, 1);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	append(w, &expected, WAL_FRAME_TXN, 1, 40);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 2, payload, 40, &err), ROWFS_OK);
	faultos_fail_sync_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_IOERR);
	ck_assert_int_eq(err.sys_errno, EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "fsync '"));
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_OK);
	assert_prefix(&got, &expected, 1);
	wal_close(w);
	faultos_release(&fo);
	frames_clear(&got);
	scan_file(1, &got);
	assert_prefix(&got, &expected, 1);
	frames_clear(&got);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_failure_while_buffer_flushes)
{
	struct frames expected = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;
	uint8_t *page = calloc(1, PAGE_SIZE);
	uint64_t good;
	int rc = ROWFS_OK, i;

	faultos_init(&fo);
	w = open_wal(&fo.os, 0, 0);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	append(w, &expected, WAL_FRAME_TXN, 1, 40);
	ck_assert_int_eq(wal_sync(w, 0, &err), ROWFS_OK);
	good = wal_size(w);
	faultos_fail_write_at(&fo, 1, EIO, 1);
	for (i = 0; i < 1000 && rc == ROWFS_OK; i++)
		rc = wal_append(w, WAL_FRAME_PAGE, (uint64_t)i + 1, page, PAGE_SIZE, &err);
	ck_assert_int_eq(rc, ROWFS_IOERR);
	ck_assert_int_lt(i, 1000);
	ck_assert_uint_eq(wal_size(w), good);
	ck_assert_uint_eq(wal_frame_count(w), 1);
	wal_close(w);
	faultos_release(&fo);
	free(page);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_torn_write_keeps_whole_frames)
{
	struct frames expected = { 0 }, got = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;
	uint64_t half;
	size_t whole = 0, i;

	faultos_init(&fo);
	w = open_wal(&fo.os, 0, 1);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	for (i = 0; i < 10; i++)
		append(w, &expected, WAL_FRAME_TXN, i + 1, 40 + 8 * (uint32_t)i);
	faultos_tear_write_at(&fo, 1, FAULTOS_TEAR_SILENT);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);   /* the device lied */
	wal_close(w);
	faultos_release(&fo);
	half = WAL_HEADER_SIZE + (frame_end(&expected, 9) - WAL_HEADER_SIZE) / 2;
	while (frame_end(&expected, whole) <= half)
		whole++;
	scan_file(0, &got);
	assert_prefix(&got, &expected, whole);
	ck_assert_int_eq(tu_file_size(path), (off_t)frame_end(&expected, whole - 1));
	frames_clear(&got);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_reset_failure)
{
	struct frames expected = { 0 }, got = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;
	uint8_t payload[8] = { 0 };

	faultos_init(&fo);
	w = open_wal(&fo.os, 0, 1);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	append(w, &expected, WAL_FRAME_TXN, 1, 40);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	faultos_fail_write_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(wal_reset(w, 1, &err), ROWFS_IOERR);
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 2, payload, 8, &err), ROWFS_IOERR);
	/* The header write failed after the truncate: a rescan finds an empty log. */
	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got.n, 0);
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 2, payload, 8, &err), ROWFS_OK);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);

	faultos_fail_sync_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(wal_reset(w, 1, &err), ROWFS_IOERR);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_IOERR);
	ck_assert_int_eq(wal_reset(w, 1, &err), ROWFS_OK);   /* a good reset heals */
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 3, payload, 8, &err), ROWFS_OK);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	wal_close(w);
	faultos_release(&fo);
	frames_clear(&got);
	scan_file(1, &got);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_uint_eq(got.v[0].seq, 3);
	frames_clear(&got);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_fsync_counting)
{
	struct frames expected = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;

	faultos_init(&fo);
	w = open_wal(&fo.os, 0, 1);
	/* A new log: the file and its directory. */
	ck_assert_uint_eq(wal_fsync_count(w), 2);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_fsync_count(w), 2);
	append(w, &expected, WAL_FRAME_TXN, 1, 40);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_fsync_count(w), 3);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);    /* nothing new */
	ck_assert_uint_eq(wal_fsync_count(w), 3);
	append(w, &expected, WAL_FRAME_TXN, 2, 40);
	ck_assert_int_eq(wal_sync(w, 0, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_fsync_count(w), 3);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_fsync_count(w), 4);
	ck_assert_int_eq(wal_reset(w, 1, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_fsync_count(w), 5);
	ck_assert_int_eq(wal_reset(w, 0, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_fsync_count(w), 5);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);    /* the header is new */
	ck_assert_uint_eq(wal_fsync_count(w), 6);
	ck_assert_uint_eq(fo.fsyncs, 6);
	wal_close(w);

	/* Reopening a valid log costs no fsync. */
	w = open_wal(&fo.os, 0, 1);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_fsync_count(w), 0);
	wal_close(w);
	ck_assert_uint_eq(fo.fsyncs, 6);
	faultos_release(&fo);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_no_sync_issues_no_fsync)
{
	struct frames expected = { 0 }, got = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;
	uint8_t *bytes;
	size_t len;

	faultos_init(&fo);
	w = open_wal(&fo.os, 0, 0);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	append(w, &expected, WAL_FRAME_TXN, 1, 40);
	append(w, &expected, WAL_FRAME_TXN, 2, 48);
	ck_assert_int_eq(wal_sync(w, 0, &err), ROWFS_OK);
	wal_close(w);

	/* A torn tail, cut by a do_sync=0 scan, then a reset. */
	bytes = tu_read_file(path, &len);
	tu_write_file(path, bytes, len - 3);
	w = open_wal(&fo.os, 0, 0);
	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_OK);
	assert_prefix(&got, &expected, 1);
	ck_assert_int_eq(wal_reset(w, 0, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_fsync_count(w), 0);
	wal_close(w);
	ck_assert_uint_eq(fo.fsyncs, 0);
	ck_assert_uint_ge(fo.pwrites, 2);
	faultos_release(&fo);
	free(bytes);
	frames_clear(&got);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_power_loss_keeps_synced_frames)
{
	struct frames expected = { 0 }, got = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;
	uint8_t payload[40] = { 0 };

	w = open_wal(NULL, 0, 1);                /* created before the test */
	wal_close(w);
	faultos_init(&fo);
	faultos_powerloss_begin(&fo);
	w = open_wal(&fo.os, 0, 1);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	append(w, &expected, WAL_FRAME_TXN, 1, 40);
	append(w, &expected, WAL_FRAME_TXN, 2, 40);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 3, payload, 40, &err), ROWFS_OK);
	ck_assert_int_eq(wal_sync(w, 0, &err), ROWFS_OK);   /* written, not durable */
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 4, payload, 40, &err), ROWFS_OK);
	ck_assert_uint_gt(faultos_pending_bytes(&fo), 0);
	faultos_power_cut(&fo);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_IOERR);
	wal_close(w);
	faultos_release(&fo);

	scan_file(0, &got);
	assert_prefix(&got, &expected, 2);
	frames_clear(&got);
	frames_clear(&expected);
}
END_TEST

START_TEST(test_scan_errors)
{
	static const uint32_t lens[] = { 8, 16, 24 };
	struct frames expected = { 0 }, got = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;
	uint8_t payload[16] = { 0 };

	build(&expected, lens, 3);
	faultos_init(&fo);
	w = open_wal(&fo.os, 0, 1);
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 1, payload, 8, &err), ROWFS_ERROR);

	/* The callback's code stops the scan and comes back. */
	got.stop_at = 2;
	got.stop_rc = ROWFS_CORRUPT;
	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_CORRUPT);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 1, payload, 8, &err), ROWFS_ERROR);
	frames_clear(&got);

	/* A read error. */
	faultos_fail_read_at(&fo, 2, EIO, 0);
	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_IOERR);
	ck_assert_int_eq(err.sys_errno, EIO);
	frames_clear(&got);
	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_OK);
	assert_prefix(&got, &expected, 3);

	/* Malformed appends. */
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 1, payload, 12, &err), ROWFS_ERROR);
	ck_assert_int_eq(wal_append(w, 9, 1, payload, 8, &err), ROWFS_ERROR);
	ck_assert_int_eq(wal_append(w, 0, 1, payload, 8, &err), ROWFS_ERROR);
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 1, payload, WAL_MAX_PAYLOAD + 8, &err),
			 ROWFS_ERROR);
	ck_assert_uint_eq(wal_frame_count(w), 3);
	wal_close(w);
	faultos_release(&fo);
	frames_clear(&got);
	frames_clear(&expected);
}
END_TEST

/* ---- transactions in parts (rule 5) -------------------------------------- */

/* Append frames of the given types, seqs and lengths; sync (no fsync), close. */
struct spec {
	uint32_t type;
	uint64_t seq;
	uint32_t len;
};

static void build_spec(struct frames *expected, const struct spec *sp, size_t n)
{
	struct wal *w = open_wal(NULL, 0, 0);
	struct rowfs_err err;
	size_t i;

	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	for (i = 0; i < n; i++)
		append(w, expected, sp[i].type, sp[i].seq, sp[i].len);
	ck_assert_int_eq(wal_sync(w, 0, &err), ROWFS_OK);
	wal_close(w);
}

/* The part frames of a transaction come with its TXN frame, in file order; a parts-free log is as before. */
START_TEST(test_parts_delivered_with_their_commit)
{
	static const struct spec sp[] = {
		{ WAL_FRAME_TXN, 1, 40 },
		{ WAL_FRAME_TXN_PART, 2, 16 },
		{ WAL_FRAME_TXN_PART, 2, 2u << 20 },   /* written past the buffer */
		{ WAL_FRAME_TXN_PART, 2, 24 },
		{ WAL_FRAME_TXN, 2, 8 },
		{ WAL_FRAME_PAGE, 5, PAGE_SIZE },
		{ WAL_FRAME_CKPT_END, 2, 8 },
		{ WAL_FRAME_TXN_PART, 3, 8 },
		{ WAL_FRAME_TXN, 3, 0 },
		{ WAL_FRAME_TXN, 4, 16 },
	};
	const size_t n = sizeof(sp) / sizeof(sp[0]);
	struct frames expected = { 0 }, got = { 0 };

	build_spec(&expected, sp, n);
	ck_assert_uint_eq(scan_file(1, &got), frame_end(&expected, n - 1));
	assert_prefix(&got, &expected, n);
	frames_clear(&got);
	ck_assert_uint_eq(scan_file(0, &got), frame_end(&expected, n - 1));
	ck_assert_int_eq(tu_file_size(path), (off_t)frame_end(&expected, n - 1));
	assert_prefix(&got, &expected, n);
	frames_clear(&got);
	frames_clear(&expected);
}
END_TEST

/*
 * A run of parts that its TXN frame does not close ends the log where the
 * run starts, whatever follows it: nothing, a frame of another kind or seq,
 * another transaction's parts, a damaged or torn TXN frame.  None of its
 * frames is handed over; read-write, the file is cut there and a new
 * transaction with the same seq is found alone.
 */
START_TEST(test_unclosed_parts_end_the_log)
{
	static const struct spec head[] = {
		{ WAL_FRAME_TXN, 1, 40 },
		{ WAL_FRAME_TXN_PART, 2, 24 },
		{ WAL_FRAME_TXN_PART, 2, 1u << 20 },
	};
	static const struct spec tails[][2] = {
		{ { 0, 0, 0 }, { 0, 0, 0 } },                                 /* the file ends */
		{ { WAL_FRAME_TXN, 3, 16 }, { 0, 0, 0 } },                    /* another seq */
		{ { WAL_FRAME_PAGE, 2, PAGE_SIZE }, { WAL_FRAME_CKPT_END, 2, 8 } },
		{ { WAL_FRAME_TXN_PART, 3, 8 }, { WAL_FRAME_TXN, 3, 8 } },    /* another run */
		{ { WAL_FRAME_TXN, 2, 32 }, { 0, 0, 0 } },                    /* damaged below */
		{ { WAL_FRAME_TXN, 2, 32 }, { 0, 0, 0 } },                    /* torn below */
	};
	struct frames expected = { 0 }, got = { 0 };
	struct rowfs_err err;
	struct wal *w;
	uint8_t *orig, extra[16];
	size_t len, t, k;

	for (t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		struct spec sp[5];
		size_t n = 3;

		tu_dir_clear();
		memcpy(sp, head, sizeof(head));
		for (k = 0; k < 2; k++)
			if (tails[t][k].type)
				sp[n++] = tails[t][k];
		build_spec(&expected, sp, n);
		orig = tu_read_file(path, &len);
		if (t == 4)
			orig[frame_end(&expected, 2) + WAL_FRAME_HEADER_SIZE + 5] ^= 0x40;
		tu_write_file(path, orig, t == 5 ? len - 12 : len);

		ck_assert_uint_eq(scan_file(1, &got), frame_end(&expected, 0));
		assert_prefix(&got, &expected, 1);
		frames_clear(&got);
		ck_assert_int_eq(tu_file_size(path), (off_t)(t == 5 ? len - 12 : len));

		ck_assert_uint_eq(scan_file(0, &got), frame_end(&expected, 0));
		assert_prefix(&got, &expected, 1);
		frames_clear(&got);
		ck_assert_int_eq(tu_file_size(path), (off_t)frame_end(&expected, 0));

		/* the next transaction gets seq 2 again: alone, no part adopted */
		w = open_wal(NULL, 0, 0);
		ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
		memset(extra, 0x5a, sizeof(extra));
		ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 2, extra, sizeof(extra), &err), ROWFS_OK);
		ck_assert_int_eq(wal_sync(w, 0, &err), ROWFS_OK);
		wal_close(w);
		scan_file(1, &got);
		ck_assert_uint_eq(got.n, 2);
		ck_assert_uint_eq(got.v[1].type, WAL_FRAME_TXN);
		ck_assert_uint_eq(got.v[1].seq, 2);
		ck_assert_uint_eq(got.v[1].len, sizeof(extra));
		frames_clear(&got);
		free(orig);
		frames_clear(&expected);
	}
}
END_TEST

/* Every cut and every flipped byte of a log with a transaction in parts: all of it or none. */
START_TEST(test_cut_and_damage_with_parts)
{
	static const struct spec sp[] = {
		{ WAL_FRAME_TXN, 1, 40 },
		{ WAL_FRAME_TXN_PART, 2, 40 },
		{ WAL_FRAME_TXN_PART, 2, 48 },
		{ WAL_FRAME_TXN, 2, 16 },
		{ WAL_FRAME_TXN, 3, 8 },
	};
	struct frames expected = { 0 }, got = { 0 };
	uint8_t *orig;
	size_t len, cut, b, whole;

	build_spec(&expected, sp, 5);
	orig = tu_read_file(path, &len);
	for (cut = frame_end(&expected, 0); cut <= len; cut++) {
		whole = cut < frame_end(&expected, 3) ? 1 : cut < len ? 4 : 5;
		tu_write_file(path, orig, cut);
		ck_assert_uint_eq(scan_file(1, &got), frame_end(&expected, whole - 1));
		assert_prefix(&got, &expected, whole);
		frames_clear(&got);
	}
	for (b = frame_end(&expected, 0); b < len; b++) {
		whole = b < frame_end(&expected, 3) ? 1 : 4;
		orig[b] ^= 0x08;
		tu_write_file(path, orig, len);
		orig[b] ^= 0x08;
		scan_file(1, &got);
		ck_assert_msg(got.n == whole, "byte %zu: %zu frames, want %zu", b, got.n, whole);
		assert_prefix(&got, &expected, whole);
		frames_clear(&got);
	}
	free(orig);
	frames_clear(&expected);
}
END_TEST

/*
 * wal_rewind forgets the frames since the last sync: written ones are cut
 * from the file (buffered ones dropped without a truncate), the WAL stays
 * usable.  A failed cut breaks it until a scan, which drops the parts.
 */
START_TEST(test_rewind)
{
	struct frames expected = { 0 }, got = { 0 };
	struct faultos fo;
	struct rowfs_err err;
	struct wal *w;
	uint8_t *big = make_payload(9, 2u << 20);
	uint64_t size0, truncates;

	faultos_init(&fo);
	w = open_wal(&fo.os, 0, 1);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	append(w, &expected, WAL_FRAME_TXN, 1, 40);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	size0 = wal_size(w);

	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN_PART, 2, big, 2u << 20, &err), ROWFS_OK);
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN_PART, 2, big, 40, &err), ROWFS_OK);
	ck_assert_uint_gt((uint64_t)tu_file_size(path), size0 + (2u << 20));
	ck_assert_int_eq(wal_rewind(w, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_size(w), size0);
	ck_assert_uint_eq(wal_frame_count(w), 1);
	ck_assert_int_eq(tu_file_size(path), (off_t)size0);

	/* buffered only: nothing to cut */
	truncates = fo.ftruncates;
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN_PART, 2, big, 40, &err), ROWFS_OK);
	ck_assert_int_eq(wal_rewind(w, &err), ROWFS_OK);
	ck_assert_uint_eq(fo.ftruncates, truncates);
	ck_assert_uint_eq(wal_size(w), size0);

	append(w, &expected, WAL_FRAME_TXN, 2, 16);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	size0 = wal_size(w);

	/* the cut fails: broken until a scan, which ends the log before the parts */
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN_PART, 3, big, 2u << 20, &err), ROWFS_OK);
	faultos_fail_truncate_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(wal_rewind(w, &err), ROWFS_IOERR);
	ck_assert_int_eq(wal_append(w, WAL_FRAME_TXN, 3, big, 8, &err), ROWFS_IOERR);
	ck_assert_int_eq(wal_rewind(w, &err), ROWFS_IOERR);
	ck_assert_uint_gt((uint64_t)tu_file_size(path), size0);
	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_OK);
	assert_prefix(&got, &expected, 2);
	ck_assert_int_eq(tu_file_size(path), (off_t)size0);
	frames_clear(&got);
	append(w, &expected, WAL_FRAME_TXN, 3, 24);
	ck_assert_int_eq(wal_sync(w, 1, &err), ROWFS_OK);
	wal_close(w);
	faultos_release(&fo);

	scan_file(1, &got);
	assert_prefix(&got, &expected, 3);
	frames_clear(&got);

	/* read-only: a no-op */
	w = open_wal(NULL, 1, 0);
	ck_assert_int_eq(wal_scan(w, NULL, NULL, &err), ROWFS_OK);
	ck_assert_int_eq(wal_rewind(w, &err), ROWFS_OK);
	ck_assert_uint_eq(wal_frame_count(w), 3);
	wal_close(w);
	free(big);
	frames_clear(&expected);
}
END_TEST

/* A table whose pread flips one byte at flip_at on its nth read that covers it. */
struct flipos {
	struct os os;
	uint64_t flip_at;       /* file offset of the byte */
	unsigned nth;           /* which read covering it flips it */
	unsigned seen;          /* reads that covered it */
};

static ssize_t flip_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	struct flipos *f = ctx;
	ssize_t r = pread(fd, buf, n, off);

	if (r > 0 && (uint64_t)off <= f->flip_at && f->flip_at < (uint64_t)off + (uint64_t)r &&
	    ++f->seen == f->nth)
		((uint8_t *)buf)[f->flip_at - (uint64_t)off] ^= 0x01;
	return r;
}

static ssize_t flip_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	(void)ctx;
	return pwrite(fd, buf, n, off);
}

static int flip_fsync(void *ctx, int fd)
{
	(void)ctx;
	return fdatasync(fd);
}

static int flip_ftruncate(void *ctx, int fd, off_t len)
{
	(void)ctx;
	return ftruncate(fd, len);
}

/* A part that reads back different the second time fails the scan, handing nothing over. */
START_TEST(test_part_changed_between_reads)
{
	static const struct spec sp[] = {
		{ WAL_FRAME_TXN_PART, 1, 64 },
		{ WAL_FRAME_TXN_PART, 1, 64 },
		{ WAL_FRAME_TXN, 1, 8 },
	};
	struct flipos f = { { flip_pread, flip_pwrite, flip_fsync, flip_ftruncate, NULL }, 0, 2, 0 };
	struct frames expected = { 0 }, got = { 0 };
	struct rowfs_err err;
	struct wal *w;
	char want[sizeof(path) + 80];
	unsigned nth;

	f.os.ctx = &f;
	build_spec(&expected, sp, 3);
	for (nth = 2; nth <= 3; nth++) {   /* the header read, then the frame read */
		f.flip_at = WAL_HEADER_SIZE + 9;   /* in the seq */
		f.nth = nth;
		f.seen = 0;
		w = open_wal(&f.os, 1, 0);
		ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_IOERR);
		snprintf(want, sizeof(want),
			 "wal '%s': the frame at offset 32 changed while the log was read", path);
		ck_assert_str_eq(err.msg, want);
		ck_assert_uint_eq(got.n, 0);
		wal_close(w);
	}
	/* the second part: the first was handed over already (an I/O error: the caller reloads) */
	f.flip_at = frame_end(&expected, 0) + WAL_FRAME_HEADER_SIZE + 3;   /* in the payload */
	f.nth = 2;   /* its first reading validated it, the second (its frame) differs */
	f.seen = 0;
	w = open_wal(&f.os, 1, 0);
	ck_assert_int_eq(wal_scan(w, collect_fn, &got, &err), ROWFS_IOERR);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_uint_eq(got.v[0].type, WAL_FRAME_TXN_PART);
	wal_close(w);
	frames_clear(&got);
	frames_clear(&expected);
}
END_TEST

static Suite *wal_suite(void)
{
	Suite *s = suite_create("wal");
	TCase *tc = tcase_create("wal");

	tcase_add_checked_fixture(tc, setup, tu_dir_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_checksum_vector);
	tcase_add_test(tc, test_header_layout);
	tcase_add_test(tc, test_append_reopen_scan);
	tcase_add_test(tc, test_flipped_byte_stops_log);
	tcase_add_test(tc, test_cut_at_every_offset);
	tcase_add_test(tc, test_reset_hides_stale_frames);
	tcase_add_test(tc, test_read_only_missing_is_empty);
	tcase_add_test(tc, test_read_only_never_writes);
	tcase_add_test(tc, test_bad_header_is_empty_log);
	tcase_add_test(tc, test_foreign_header_is_corrupt);
	tcase_add_test(tc, test_large_frames_and_few_writes);
	tcase_add_test(tc, test_last_frame_stays_buffered);
	tcase_add_test(tc, test_write_failure_forgets_frames);
	tcase_add_test(tc, test_fsync_failure_is_not_resurrected);
	tcase_add_test(tc, test_failure_while_buffer_flushes);
	tcase_add_test(tc, test_torn_write_keeps_whole_frames);
	tcase_add_test(tc, test_reset_failure);
	tcase_add_test(tc, test_fsync_counting);
	tcase_add_test(tc, test_no_sync_issues_no_fsync);
	tcase_add_test(tc, test_power_loss_keeps_synced_frames);
	tcase_add_test(tc, test_scan_errors);
	tcase_add_test(tc, test_parts_delivered_with_their_commit);
	tcase_add_test(tc, test_unclosed_parts_end_the_log);
	tcase_add_test(tc, test_cut_and_damage_with_parts);
	tcase_add_test(tc, test_rewind);
	tcase_add_test(tc, test_part_changed_between_reads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_wal", wal_suite());
}
