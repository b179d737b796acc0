/*
 * check_record.c - unit tests of engine/record.c: the record codec of
 * version-2 tables and the texts of a value.
 *
 * Owns:
 *   - round trips of thousands of random value vectors (0..64 columns:
 *     NULL, integers at every serial-type width boundary, reals including
 *     -0.0, denormals and 1e308, texts with multi-byte UTF-8, blobs with
 *     NUL bytes), encoded into a buffer of exactly record_size bytes,
 *     with every serial type and the header size checked to be minimal
 *     by a parser written here;
 *   - record_decode's refusal of corrupt records, with exact messages
 *     (truncated header, header size outside the record, bad serial
 *     types 10 and 11, bodies past the end, trailing bytes, invalid
 *     UTF-8, a NUL in a text, NaN and infinite reals, more columns than
 *     asked), and random damage to valid records (never a crash);
 *   - value_compare: a table of cases, and random integers against reals
 *     near 2^53..2^63 compared with a long double model;
 *   - rowfs_format_real (textform.c): fixed cases and 100,000 random doubles (reads
 *     back the same; no shorter %.Ng would do);
 *   - value_append_reply and value_append_literal: fixed texts, and
 *     literals of random values parsed back by a model of the grammar.
 */
#include <config.h>

#include <check.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "rowfs.h"
#include "util.h"
#include "testutil.h"

/* ---- random values ---------------------------------------------------------- */

/* Integers at the edges of every serial-type width, and around them. */
static const int64_t int_edges[] = {
	0, 1, -1, 2, 127, 128, -128, -129, 255, 256,
	32767, 32768, -32768, -32769,
	8388607, 8388608, -8388608, -8388609,
	2147483647LL, 2147483648LL, -2147483648LL, -2147483649LL,
	140737488355327LL, 140737488355328LL, -140737488355328LL, -140737488355329LL,
	9007199254740992LL, 9007199254740993LL,
	INT64_MAX, INT64_MAX - 1, INT64_MIN, INT64_MIN + 1,
};

/* Reals that are easy to get wrong. */
static const double real_edges[] = {
	0.0, -0.0, 1.0, -1.0, 0.1, 2.5, 3.0, 1e308, -1e308, DBL_MAX, -DBL_MAX,
	DBL_MIN, -DBL_MIN, 4.9406564584124654e-324, -4.9406564584124654e-324,
	2.2250738585072009e-308 /* largest denormal */, 9007199254740993.0, 1e-300,
	9223372036854775808.0, -9223372036854775808.0, 123456789.125,
};

/* Multi-byte characters for random texts (2, 3 and 4 bytes). */
static const char *const mb_chars[] = {"\xc3\xa9", "\xd0\x96", "\xe2\x82\xac",
				       "\xe6\x97\xa5", "\xef\xbf\xbf", "\xf0\x9f\x98\x80",
				       "\xf4\x8f\xbf\xbf"};

/* A random finite double: often an edge, else random bits (NaN/inf redrawn). */
static double random_real(uint64_t *rng)
{
	uint64_t r = tu_next_random(rng);
	double d;

	if (r % 4 == 0)
		return real_edges[(r >> 8) % (sizeof(real_edges) / sizeof(real_edges[0]))];
	if (r % 4 == 1)
		return (double)(int64_t)tu_next_random(rng) / (double)(1 + (tu_next_random(rng) % 1000));
	do {
		r = tu_next_random(rng);
		memcpy(&d, &r, sizeof(d));
	} while (!isfinite(d));
	return d;
}

/* A random integer: an edge, an edge +- small, or random bits of a random width. */
static int64_t random_int(uint64_t *rng)
{
	uint64_t r = tu_next_random(rng);
	int64_t e = int_edges[(r >> 8) % (sizeof(int_edges) / sizeof(int_edges[0]))];

	switch (r % 3) {
	case 0:
		return e;
	case 1:
		return (int64_t)((uint64_t)e + (tu_next_random(rng) % 5) - 2);
	default:
		return (int64_t)tu_next_random(rng) >> (tu_next_random(rng) % 64);
	}
}

/* Random length: mostly short, sometimes past the 1-, 2- and 3-byte serial varints. */
static size_t random_len(uint64_t *rng)
{
	uint64_t r = tu_next_random(rng);

	switch (r % 16) {
	case 0:
		return 0;
	case 1:
		return 50 + (r >> 8) % 20;        /* around 57, where the serial type needs 2 bytes */
	case 2:
		return 8180 + (r >> 8) % 10;      /* around 8185: 3 bytes */
	default:
		return (r >> 8) % 40;
	}
}

/* Fill buf (room for len + 4) with random valid UTF-8 without NUL of about len bytes; returns its length. */
static size_t random_text(uint64_t *rng, uint8_t *buf, size_t len)
{
	size_t at = 0;

	while (at < len) {
		uint64_t r = tu_next_random(rng);

		if (r % 5 == 0) {
			const char *mb = mb_chars[(r >> 8) % (sizeof(mb_chars) / sizeof(mb_chars[0]))];

			memcpy(buf + at, mb, strlen(mb));
			at += strlen(mb);
		} else {
			buf[at++] = (uint8_t)(1 + (r >> 8) % 127);   /* any ASCII but NUL */
		}
	}
	return at;
}

/* A vector of n random values; text/blob bytes go to arena (room enough, see callers). */
static void random_values(uint64_t *rng, struct value *vals, unsigned n, uint8_t *arena)
{
	unsigned c;
	size_t k;

	for (c = 0; c < n; c++) {
		struct value *v = &vals[c];
		uint64_t r = tu_next_random(rng);

		memset(v, 0, sizeof(*v));
		switch (r % 5) {
		case 0:
			v->type = VALUE_NULL;
			break;
		case 1:
			v->type = VALUE_INTEGER;
			v->i = random_int(rng);
			break;
		case 2:
			v->type = VALUE_REAL;
			v->r = random_real(rng);
			break;
		case 3:
			v->type = VALUE_TEXT;
			v->p = arena;
			v->len = random_text(rng, arena, random_len(rng));
			arena += v->len;
			break;
		default:
			v->type = VALUE_BLOB;
			v->p = arena;
			v->len = random_len(rng);
			for (k = 0; k < v->len; k++)
				arena[k] = (uint8_t)(k % 3 == 0 ? 0 : tu_next_random(rng));
			arena += v->len;
			break;
		}
	}
}

/* ---- an independent reader of the header ------------------------------------- */

/* The minimal serial type of v, from the format description. */
static uint64_t want_serial(const struct value *v)
{
	static const unsigned widths[] = {1, 2, 3, 4, 6, 8};
	unsigned k;

	switch (v->type) {
	case VALUE_NULL:
		return 0;
	case VALUE_REAL:
		return 7;
	case VALUE_TEXT:
		return 13 + 2 * (uint64_t)v->len;
	case VALUE_BLOB:
		return 12 + 2 * (uint64_t)v->len;
	case VALUE_INTEGER:
		if (v->i == 0)
			return 8;
		if (v->i == 1)
			return 9;
		for (k = 0; k < 5; k++) {
			int64_t lim = (int64_t)1 << (8 * widths[k] - 1);

			if (v->i >= -lim && v->i < lim)
				return k + 1;
		}
		return 6;
	}
	return 99;
}

/* Check that rec (len bytes) has a minimal header naming exactly the serial types of vals. */
static void check_header(const uint8_t *rec, size_t len, const struct value *vals, unsigned n)
{
	uint64_t h, st;
	size_t at, k, body = 0;
	unsigned c;

	/* H's own varint minimal and H = its length + the serial types: the smallest H */
	k = get_varint(rec, len, &h);
	REQUIRE(k > 0 && k == varint_len(h), "header size varint not minimal");
	at = k;
	for (c = 0; c < n; c++) {
		k = get_varint(rec + at, len - at, &st);
		REQUIRE(k > 0 && k == varint_len(st), "serial varint of column %u not minimal", c);
		REQUIRE(st == want_serial(&vals[c]), "column %u: serial type %" PRIu64 ", want %" PRIu64,
			c, st, want_serial(&vals[c]));
		at += k;
		body += st >= 12 ? (st - 12) / 2 : st == 7 ? 8 : st >= 1 && st <= 4 ? st : st == 5 ? 6 : st == 6 ? 8 : 0;
	}
	REQUIRE(at == h, "header size %" PRIu64 ", serial types end at %zu", h, at);
	REQUIRE(h + body == len, "record of %zu bytes, header %" PRIu64 " + bodies %zu", len, h, body);
}

/* Values a and b are the same value (reals bit for bit). */
static int same_value(const struct value *a, const struct value *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case VALUE_NULL:
		return 1;
	case VALUE_INTEGER:
		return a->i == b->i;
	case VALUE_REAL:
		return memcmp(&a->r, &b->r, sizeof(double)) == 0;
	case VALUE_TEXT:
	case VALUE_BLOB:
		return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
	}
	return 0;
}

/* ---- round trips --------------------------------------------------------------- */

/* Encode vals[0..n) into an exact-size heap buffer, check the header, decode, compare. */
static void round_trip(const struct value *vals, unsigned n, unsigned extra)
{
	struct value got[RECORD_MAX_COLUMNS + 8];
	struct rowfs_err err;
	size_t size = record_size(vals, n);
	uint8_t *rec = malloc(size ? size : 1);
	unsigned c;
	int rc;

	ck_assert_ptr_nonnull(rec);
	REQUIRE(record_encode(vals, n, rec) == size, "record_encode size differs from record_size");
	check_header(rec, size, vals, n);
	memset(got, 0x5A, sizeof(got));
	memset(&err, 0, sizeof(err));
	rc = record_decode(rec, size, got, n + extra, &err);
	REQUIRE(rc == ROWFS_OK, "record_decode: %d %s", rc, err.msg);
	for (c = 0; c < n; c++) {
		REQUIRE(same_value(&vals[c], &got[c]), "column %u of %u differs (type %d -> %d)", c, n,
			vals[c].type, got[c].type);
		if (got[c].type == VALUE_TEXT || got[c].type == VALUE_BLOB)
			REQUIRE(got[c].len == 0 || (got[c].p >= rec && got[c].p + got[c].len <= rec + size),
				"column %u does not point into the record", c);
	}
	for (; c < n + extra; c++)
		REQUIRE(got[c].type == VALUE_NULL, "missing column %u is not NULL", c);
	if (n > 0) {
		rc = record_decode(rec, size, got, n - 1, &err);
		REQUIRE(rc == ROWFS_CORRUPT, "record of %u columns read as %u", n, n - 1);
	}
	free(rec);
}

START_TEST(test_round_trip_random)
{
	uint64_t rng = tu_seed("ROWFS_SEED", 0x7265636f7264ull);
	struct value vals[RECORD_MAX_COLUMNS];
	uint8_t *arena = malloc(RECORD_MAX_COLUMNS * 8200);
	int i;

	ck_assert_ptr_nonnull(arena);
	for (i = 0; i < 5000; i++) {
		unsigned n = (unsigned)(tu_next_random(&rng) % (RECORD_MAX_COLUMNS + 1));

		random_values(&rng, vals, n, arena);
		round_trip(vals, n, (unsigned)(tu_next_random(&rng) % 3));
	}
	free(arena);
}
END_TEST

START_TEST(test_round_trip_edges)
{
	struct value vals[RECORD_MAX_COLUMNS];
	static uint8_t big[100000];
	unsigned k, n = 0;

	memset(vals, 0, sizeof(vals));
	for (k = 0; k < sizeof(int_edges) / sizeof(int_edges[0]); k++) {
		vals[n].type = VALUE_INTEGER;
		vals[n++].i = int_edges[k];
	}
	for (k = 0; k < sizeof(real_edges) / sizeof(real_edges[0]); k++) {
		vals[n].type = VALUE_REAL;
		vals[n++].r = real_edges[k];
	}
	round_trip(vals, n, 0);
	/* one column at a time, every edge alone */
	for (k = 0; k < n; k++)
		round_trip(&vals[k], 1, 1);
	/* zero columns: the record is one byte, its header size */
	{
		uint8_t one;
		struct value v;

		ck_assert_uint_eq(record_size(NULL, 0), 1);
		ck_assert_uint_eq(record_encode(NULL, 0, &one), 1);
		ck_assert_uint_eq(one, 1);
		ck_assert_int_eq(record_decode(&one, 1, &v, 1, NULL), ROWFS_OK);
		ck_assert_int_eq(v.type, VALUE_NULL);
	}
	/* 64 columns of the largest serial varints: a 2-byte header size */
	for (k = 0; k < RECORD_MAX_COLUMNS; k++) {
		memset(&vals[k], 0, sizeof(vals[k]));
		vals[k].type = k % 2 ? VALUE_BLOB : VALUE_TEXT;
		vals[k].p = big;
		vals[k].len = k % 2 ? sizeof(big) - k : 0;
	}
	memset(big, 'a', sizeof(big));
	round_trip(vals, RECORD_MAX_COLUMNS, 0);
	/* header sizes around 127/128: 2-byte serial types, a NULL or not in front */
	for (n = 60; n <= RECORD_MAX_COLUMNS; n++) {
		unsigned nulls;

		for (nulls = 0; nulls <= 1; nulls++) {
			for (k = 0; k < n; k++) {
				memset(&vals[k], 0, sizeof(vals[k]));
				vals[k].type = k < nulls ? VALUE_NULL : VALUE_TEXT;
				vals[k].p = big;
				vals[k].len = k < nulls ? 0 : 60;
			}
			round_trip(vals, n, 0);
		}
	}
}
END_TEST

START_TEST(test_encoding_bytes)
{
	/* (NULL, 0, 1, -1, 300, 2.5, 'hé', x'00ff') written out by hand */
	static const uint8_t want[] = {
		0x09, 0x00, 0x08, 0x09, 0x01, 0x02, 0x07, 0x13, 0x10,   /* header */
		0xff,                                                   /* -1 */
		0x01, 0x2c,                                             /* 300 */
		0x40, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,         /* 2.5 */
		'h', 0xc3, 0xa9,                                        /* 'hé' */
		0x00, 0xff,                                             /* x'00ff' */
	};
	struct value vals[8];
	uint8_t got[64];
	size_t n;

	memset(vals, 0, sizeof(vals));
	vals[1].type = VALUE_INTEGER;
	vals[2].type = VALUE_INTEGER, vals[2].i = 1;
	vals[3].type = VALUE_INTEGER, vals[3].i = -1;
	vals[4].type = VALUE_INTEGER, vals[4].i = 300;
	vals[5].type = VALUE_REAL, vals[5].r = 2.5;
	vals[6].type = VALUE_TEXT, vals[6].p = (const uint8_t *)"h\xc3\xa9", vals[6].len = 3;
	vals[7].type = VALUE_BLOB, vals[7].p = (const uint8_t *)"\x00\xff", vals[7].len = 2;
	ck_assert_uint_eq(record_size(vals, 8), sizeof(want));
	n = record_encode(vals, 8, got);
	ck_assert_uint_eq(n, sizeof(want));
	ck_assert(memcmp(got, want, n) == 0);
}
END_TEST

/* ---- corrupt records -------------------------------------------------------------- */

/* record_decode of len bytes (an exact heap copy) must fail with CORRUPT and msg. */
static void expect_corrupt(const char *bytes, size_t len, unsigned ncols, const char *msg)
{
	struct value vals[RECORD_MAX_COLUMNS];
	struct rowfs_err err;
	uint8_t *copy = tu_memdup(bytes, len);
	int rc;

	memset(&err, 0, sizeof(err));
	rc = record_decode(copy, len, vals, ncols, &err);
	ck_assert_msg(rc == ROWFS_CORRUPT, "expected ROWFS_CORRUPT (%s), got %d", msg, rc);
	ck_assert_int_eq(err.rc, ROWFS_CORRUPT);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_int_eq(record_decode(copy, len, vals, ncols, NULL), ROWFS_CORRUPT);
	free(copy);
}

START_TEST(test_corrupt)
{
	expect_corrupt("", 0, 4, "corrupt record: truncated header");
	expect_corrupt("\x80", 1, 4, "corrupt record: truncated header");
	expect_corrupt("\x81\x80", 2, 4, "corrupt record: truncated header");
	expect_corrupt("\x00", 1, 4, "corrupt record: header size 0 but record size 1");
	expect_corrupt("\x05\x01", 2, 4, "corrupt record: header size 5 but record size 2");
	expect_corrupt("\x80\x01", 2, 4, "corrupt record: header size 1 but record size 2");
	expect_corrupt("\x02\x0a", 2, 4, "corrupt record: bad serial type 10 of column 0");
	expect_corrupt("\x03\x00\x0b", 3, 4, "corrupt record: bad serial type 11 of column 1");
	expect_corrupt("\x02\x81\x00", 3, 4,
		       "corrupt record: serial type of column 0 runs past the header");
	expect_corrupt("\x02\x01", 2, 4,
		       "corrupt record: body of column 0 runs past the record's end");
	expect_corrupt("\x03\x06\x07" "12345678" "1234567", 18, 4,
		       "corrupt record: body of column 1 runs past the record's end");
	/* a text of about 2^63 bytes: the size must not wrap */
	expect_corrupt("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff", 10, 4,
		       "corrupt record: body of column 0 runs past the record's end");
	expect_corrupt("\x02\x08\x00", 3, 4, "corrupt record: bodies end at byte 2 of 3");
	expect_corrupt("\x03\x0e\x00xyz", 6, 4, "corrupt record: bodies end at byte 4 of 6");
	expect_corrupt("\x02\x0f\xff", 3, 4, "corrupt record: text of column 0 is not valid UTF-8");
	expect_corrupt("\x03\x00\x17\xc3\xa9\xed\xa0\x80", 8, 4,
		       "corrupt record: text of column 1 is not valid UTF-8");   /* é, a surrogate */
	expect_corrupt("\x02\x11\xc3", 3, 4,
		       "corrupt record: body of column 0 runs past the record's end");
	expect_corrupt("\x02\x11\xc3\x28", 4, 4,
		       "corrupt record: text of column 0 is not valid UTF-8");
	expect_corrupt("\x02\x13\x61\x00\x62", 5, 4,
		       "corrupt record: text of column 0 holds a NUL byte");
	expect_corrupt("\x02\x07\x7f\xf8\x00\x00\x00\x00\x00\x00", 10, 4,
		       "corrupt record: column 0 is a real that is not finite");   /* NaN */
	expect_corrupt("\x02\x07\x7f\xf0\x00\x00\x00\x00\x00\x00", 10, 4,
		       "corrupt record: column 0 is a real that is not finite");   /* +inf */
	expect_corrupt("\x02\x07\xff\xf0\x00\x00\x00\x00\x00\x00", 10, 4,
		       "corrupt record: column 0 is a real that is not finite");   /* -inf */
	expect_corrupt("\x04\x00\x08\x09", 4, 2, "corrupt record: more than 2 columns");
	expect_corrupt("\x02\x00", 2, 0, "corrupt record: more than 0 columns");
}
END_TEST

START_TEST(test_decode_lenient)
{
	/* what the validity rule allows beyond what the encoder writes */
	struct value v[4];
	static const uint8_t wide_one[] = {0x02, 0x06, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t neg24[] = {0x02, 0x03, 0x80, 0x00, 0x00};
	static const uint8_t neg48[] = {0x02, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};

	ck_assert_int_eq(record_decode(wide_one, sizeof(wide_one), v, 1, NULL), ROWFS_OK);
	ck_assert_int_eq(v[0].type, VALUE_INTEGER);
	ck_assert(v[0].i == 1);
	ck_assert_int_eq(record_decode((const uint8_t *)"\x01", 1, v, 0, NULL), ROWFS_OK);
	ck_assert_int_eq(record_decode(neg24, sizeof(neg24), v, 1, NULL), ROWFS_OK);
	ck_assert(v[0].i == -8388608);
	ck_assert_int_eq(record_decode(neg48, sizeof(neg48), v, 1, NULL), ROWFS_OK);
	ck_assert(v[0].i == -2);
	{
		/* H written in 2 bytes: "\x80\x03" is 3, then one NULL */
		static const uint8_t h2[] = {0x80, 0x03, 0x00};

		ck_assert_int_eq(record_decode(h2, sizeof(h2), v, 2, NULL), ROWFS_OK);
		ck_assert_int_eq(v[0].type, VALUE_NULL);
		ck_assert_int_eq(v[1].type, VALUE_NULL);
	}
	/* an empty text and an empty blob */
	ck_assert_int_eq(record_decode((const uint8_t *)"\x03\x0d\x0c", 3, v, 3, NULL), ROWFS_OK);
	ck_assert_int_eq(v[0].type, VALUE_TEXT);
	ck_assert_uint_eq(v[0].len, 0);
	ck_assert_int_eq(v[1].type, VALUE_BLOB);
	ck_assert_uint_eq(v[1].len, 0);
	ck_assert_int_eq(v[2].type, VALUE_NULL);
}
END_TEST

START_TEST(test_corrupt_random_damage)
{
	uint64_t rng = tu_seed("ROWFS_SEED", 0x64616d616765ull);
	struct value vals[RECORD_MAX_COLUMNS], got[RECORD_MAX_COLUMNS];
	uint8_t *arena = malloc(RECORD_MAX_COLUMNS * 8200);
	int i, j;

	ck_assert_ptr_nonnull(arena);
	for (i = 0; i < 2000; i++) {
		unsigned n = (unsigned)(tu_next_random(&rng) % 9);
		size_t size, cut;
		uint8_t *rec, *bad;

		random_values(&rng, vals, n, arena);
		size = record_size(vals, n);
		rec = malloc(size);
		ck_assert_ptr_nonnull(rec);
		record_encode(vals, n, rec);
		/* every proper prefix of a record with columns is corrupt */
		for (cut = 0; cut < size && n > 0; cut++) {
			bad = tu_memdup(rec, cut);
			REQUIRE(record_decode(bad, cut, got, n, NULL) == ROWFS_CORRUPT,
				"prefix %zu of %zu decoded", cut, size);
			free(bad);
		}
		/* random byte damage: decodes or not, never reads past the end */
		for (j = 0; j < 10; j++) {
			bad = tu_memdup(rec, size);
			bad[tu_next_random(&rng) % size] ^= (uint8_t)(1 + tu_next_random(&rng) % 255);
			if (record_decode(bad, size, got, n, NULL) == ROWFS_OK) {
				struct rowfs_err err;
				size_t size2 = record_size(got, n);
				uint8_t *again = malloc(size2);
				struct value got2[RECORD_MAX_COLUMNS];
				unsigned c;

				ck_assert_ptr_nonnull(again);
				record_encode(got, n, again);
				REQUIRE(record_decode(again, size2, got2, n, &err) == ROWFS_OK,
					"re-encoded record does not decode: %s", err.msg);
				for (c = 0; c < n; c++)
					REQUIRE(same_value(&got[c], &got2[c]), "column %u", c);
				free(again);
			}
			free(bad);
		}
		free(rec);
	}
	free(arena);
}
END_TEST

/* ---- value_compare ---------------------------------------------------------------- */

static struct value vnull(void)
{
	struct value v = {VALUE_NULL, 0, 0, NULL, 0};

	return v;
}

static struct value vint(int64_t i)
{
	struct value v = {VALUE_INTEGER, i, 0, NULL, 0};

	return v;
}

static struct value vreal(double r)
{
	struct value v = {VALUE_REAL, 0, r, NULL, 0};

	return v;
}

static struct value vtext(const char *s)
{
	struct value v = {VALUE_TEXT, 0, 0, (const uint8_t *)s, strlen(s)};

	return v;
}

static struct value vblob(const void *p, size_t len)
{
	struct value v = {VALUE_BLOB, 0, 0, p, len};

	return v;
}

static int sign(int x)
{
	return x < 0 ? -1 : x > 0;
}

/* compare(a, b) must have sign want, and compare(b, a) the opposite. */
static void expect_order(struct value a, struct value b, int want, int line)
{
	int got = sign(value_compare(&a, &b)), back = sign(value_compare(&b, &a));

	ck_assert_msg(got == want, "line %d: compare = %d, want %d", line, got, want);
	ck_assert_msg(back == -want, "line %d: reversed compare = %d, want %d", line, back, -want);
}

#define ORDER(a, b, want) expect_order(a, b, want, __LINE__)

START_TEST(test_compare_table)
{
	ORDER(vint(1), vint(2), -1);
	ORDER(vint(INT64_MIN), vint(INT64_MAX), -1);
	ORDER(vint(7), vint(7), 0);
	ORDER(vreal(1.5), vreal(2.5), -1);
	ORDER(vreal(-0.0), vreal(0.0), 0);
	ORDER(vreal(-DBL_MAX), vreal(DBL_MAX), -1);
	ORDER(vint(3), vreal(2.5), 1);
	ORDER(vint(-3), vreal(-2.5), -1);
	ORDER(vint(-1), vreal(-0.5), -1);
	ORDER(vint(0), vreal(-0.0), 0);
	ORDER(vint(0), vreal(4.9406564584124654e-324), -1);
	ORDER(vint(0), vreal(-4.9406564584124654e-324), 1);
	ORDER(vint(2), vreal(2.0), 0);
	/* past 2^53: a double cannot hold every integer, the comparison stays exact */
	ORDER(vint(9007199254740992LL), vreal(9007199254740992.0), 0);
	ORDER(vint(9007199254740993LL), vreal(9007199254740992.0), 1);
	ORDER(vint(9007199254740991LL), vreal(9007199254740992.0), -1);
	ORDER(vint(INT64_MAX), vreal(9223372036854775808.0), -1);
	ORDER(vint(INT64_MAX), vreal(9223372036854774784.0), 1);   /* 2^63 - 1024 */
	ORDER(vint(INT64_MAX - 1022), vreal(9223372036854774784.0), 1);
	ORDER(vint(INT64_MAX - 1023), vreal(9223372036854774784.0), 0);
	ORDER(vint(INT64_MAX - 1024), vreal(9223372036854774784.0), -1);
	ORDER(vint(INT64_MIN), vreal(-9223372036854775808.0), 0);
	ORDER(vint(INT64_MIN + 1), vreal(-9223372036854775808.0), 1);
	ORDER(vint(INT64_MIN), vreal(-9223372036854777856.0), 1);  /* next double below -2^63 */
	ORDER(vint(INT64_MAX), vreal(1e19), -1);
	ORDER(vint(INT64_MIN), vreal(-1e19), 1);
	ORDER(vint(INT64_MAX), vreal(DBL_MAX), -1);
	ORDER(vint(INT64_MIN), vreal(-DBL_MAX), 1);
	ORDER(vint(-9007199254740993LL), vreal(-9007199254740992.0), -1);
	/* numbers < text < blob, NULL first */
	ORDER(vint(INT64_MAX), vtext(""), -1);
	ORDER(vreal(DBL_MAX), vtext(""), -1);
	ORDER(vtext("zzz"), vblob("", 0), -1);
	ORDER(vint(0), vblob("", 0), -1);
	ORDER(vnull(), vint(INT64_MIN), -1);
	ORDER(vnull(), vtext(""), -1);
	ORDER(vnull(), vnull(), 0);
	/* texts and blobs: bytes unsigned, then length */
	ORDER(vtext("a"), vtext("ab"), -1);
	ORDER(vtext("b"), vtext("ab"), 1);
	ORDER(vtext(""), vtext(""), 0);
	ORDER(vtext("abc"), vtext("abc"), 0);
	ORDER(vtext("\xc3\xa9"), vtext("z"), 1);
	ORDER(vblob("\0", 1), vblob("", 0), 1);
	ORDER(vblob("\0\0", 2), vblob("\0\x01", 2), -1);
	ORDER(vblob("\xff", 1), vblob("\x01\x02", 2), 1);
}
END_TEST

START_TEST(test_compare_random_model)
{
	uint64_t rng = tu_seed("ROWFS_SEED", 0x636d70ull);
	int i;

	if (LDBL_MANT_DIG < 64)
		return;   /* the model needs a long double that holds every int64 */
	for (i = 0; i < 300000; i++) {
		int64_t n = random_int(&rng);
		double r;
		long double ln, lr;
		int want, got;
		struct value a, b;

		switch (tu_next_random(&rng) % 3) {
		case 0:
			r = (double)n;                              /* rounded: near n */
			break;
		case 1:
			r = nextafter((double)n, tu_next_random(&rng) & 1 ? INFINITY : -INFINITY);
			break;
		default:
			r = random_real(&rng);
			break;
		}
		ln = (long double)n;
		lr = (long double)r;
		want = ln < lr ? -1 : ln > lr ? 1 : 0;
		a = vint(n);
		b = vreal(r);
		got = sign(value_compare(&a, &b));
		REQUIRE(got == want, "%" PRId64 " vs %.17g: %d, want %d", n, r, got, want);
		REQUIRE(sign(value_compare(&b, &a)) == -want, "reversed %" PRId64 " vs %.17g", n, r);
	}
}
END_TEST

/* ---- rowfs_format_real ------------------------------------------------------------- */

static void expect_real_text(double r, const char *want)
{
	char buf[32];
	size_t n = rowfs_format_real(r, buf);

	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(n, strlen(want));
}

START_TEST(test_format_real_cases)
{
	expect_real_text(0.1, "0.1");
	expect_real_text(2.5, "2.5");
	expect_real_text(3.0, "3.0");
	expect_real_text(-3.0, "-3.0");
	expect_real_text(0.0, "0.0");
	expect_real_text(-0.0, "-0.0");
	expect_real_text(100.0, "100.0");
	expect_real_text(123456.0, "123456.0");
	expect_real_text(1e100, "1e+100");
	expect_real_text(1.5e-7, "1.5e-07");
	expect_real_text(1e16, "1e+16");
	expect_real_text(1e15, "1000000000000000.0");
	expect_real_text(-1234567890123456.0, "-1234567890123456.0");
	expect_real_text(12345678901234568.0, "1.2345678901234568e+16");
	expect_real_text(1000.0, "1000.0");
	expect_real_text(1200000.0, "1200000.0");
	expect_real_text(0.00012345, "0.00012345");
	expect_real_text(-0.0001, "-0.0001");
	expect_real_text(9.5, "9.5");
	expect_real_text(99.99999999999999, "99.99999999999999");
	expect_real_text(0.3, "0.3");
	expect_real_text(1.0 / 3.0, "0.3333333333333333");
	expect_real_text(0.1 + 0.2, "0.30000000000000004");
	expect_real_text(DBL_MAX, "1.7976931348623157e+308");
	expect_real_text(-DBL_MAX, "-1.7976931348623157e+308");
	expect_real_text(4.9406564584124654e-324, "5e-324");
	expect_real_text(DBL_MIN, "2.2250738585072014e-308");
	expect_real_text(9007199254740993.0, "9007199254740992.0");
	expect_real_text(1e308, "1e+308");
	expect_real_text(123456789012.0, "123456789012.0");
	expect_real_text(0.0001, "0.0001");
	expect_real_text(0.00001, "1e-05");
}
END_TEST

/*
 * Significant digits of a number's text, first to last non-zero digit of
 * the mantissa ("-1.25e+07" -> 3, "1000.0" -> 1, "0.0" -> 1), and the
 * decimal exponent of its first digit (the 'e' part, or where the first
 * non-zero digit stands relative to the '.').
 */
static int significant_digits(const char *s, int *exponent)
{
	int first = -1, last = -1, pos = 0, point = -1;
	const char *p;

	for (p = s; *p && *p != 'e'; p++) {
		if (*p == '.') {
			point = pos;
			continue;
		}
		if (*p < '0' || *p > '9')
			continue;
		if (*p != '0') {
			if (first < 0)
				first = pos;
			last = pos;
		}
		pos++;
	}
	if (point < 0)
		point = pos;
	if (*p == 'e')
		*exponent = atoi(p + 1);
	else
		*exponent = first < 0 ? 0 : point - first - 1;
	return first < 0 ? 1 : last - first + 1;
}

START_TEST(test_format_real_random)
{
	uint64_t rng = tu_seed("ROWFS_SEED", 0x7265616cull);
	char buf[40], shorter[400];
	int i, m, digits, exponent;

	for (i = 0; i < 100000; i++) {
		double r = random_real(&rng), back;
		size_t n;
		char *end;

		if (i % 4 == 0)   /* integral values: where "100.0" and "1e+02" part ways */
			r = (double)(random_int(&rng) >> (tu_next_random(&rng) % 64));
		memset(buf, 0x5A, sizeof(buf));
		n = rowfs_format_real(r, buf);
		REQUIRE(n < 32 && strlen(buf) == n, "%.17g: length %zu", r, n);
		back = strtod(buf, &end);
		REQUIRE(*end == '\0' && memcmp(&back, &r, sizeof(r)) == 0, "%.17g printed as %s", r,
			buf);
		REQUIRE(strpbrk(buf, ".e") != NULL, "%s looks like an integer", buf);
		REQUIRE(strpbrk(buf, "ni") == NULL, "%s", buf);
		REQUIRE(strspn(buf, "-0123456789.e+") == n, "%s", buf);
		digits = significant_digits(buf, &exponent);
		/* the notation: positional exactly for exponents -4..15 */
		if (strchr(buf, 'e'))
			REQUIRE(exponent < -4 || exponent >= 16, "%s should be positional", buf);
		else
			REQUIRE(r == 0 || (exponent >= -4 && exponent < 16), "%s should use e", buf);
		/* no fewer digits would do */
		for (m = 1; m < digits; m++) {
			snprintf(shorter, sizeof(shorter), "%.*g", m, r);
			REQUIRE(strtod(shorter, NULL) != r, "%.17g: %s, but %%.%dg (%s) reads back too",
				r, buf, m, shorter);
		}
	}
}
END_TEST

/* ---- reply and literal texts -------------------------------------------------------- */

static void expect_reply(struct value v, const char *want, size_t want_len)
{
	struct sbuf b = {0};

	ck_assert_int_eq(sbuf_append(&b, "<", 1), 0);
	ck_assert_int_eq(value_append_reply(&b, &v), ROWFS_OK);
	ck_assert_uint_eq(b.len, want_len + 1);
	ck_assert_msg(memcmp(b.data + 1, want, want_len) == 0, "reply '%s', want '%s'", b.data + 1,
		      want);
	sbuf_release(&b);
}

static void expect_literal(struct value v, const char *want)
{
	struct sbuf b = {0};

	ck_assert_int_eq(value_append_literal(&b, &v), ROWFS_OK);
	ck_assert_str_eq(b.data, want);
	ck_assert_uint_eq(b.len, strlen(want));
	sbuf_release(&b);
}

START_TEST(test_reply_texts)
{
	expect_reply(vnull(), "NULL", 4);
	expect_reply(vint(0), "0", 1);
	expect_reply(vint(-12), "-12", 3);
	expect_reply(vint(INT64_MIN), "-9223372036854775808", 20);
	expect_reply(vint(INT64_MAX), "9223372036854775807", 19);
	expect_reply(vreal(2.5), "2.5", 3);
	expect_reply(vreal(3.0), "3.0", 3);
	expect_reply(vreal(1e100), "1e+100", 6);
	expect_reply(vtext("it's"), "it's", 4);
	expect_reply(vtext("a\tb\nc\\"), "a\tb\nc\\", 6);   /* raw */
	expect_reply(vtext(""), "", 0);
	expect_reply(vblob("\x00\xff\x0a\xAB", 4), "x'00ff0aab'", 11);
	expect_reply(vblob("", 0), "x''", 3);
}
END_TEST

START_TEST(test_literal_texts)
{
	expect_literal(vnull(), "null");
	expect_literal(vint(-12), "-12");
	expect_literal(vint(0), "0");
	expect_literal(vint(INT64_MIN), "-9223372036854775808");
	expect_literal(vreal(3.5), "3.5");
	expect_literal(vreal(3.0), "3.0");
	expect_literal(vreal(-0.0), "-0.0");
	expect_literal(vreal(1e-3), "0.001");
	expect_literal(vreal(1e100), "1e+100");
	expect_literal(vreal(-1.5e-7), "-1.5e-07");
	expect_literal(vtext(""), "''");
	expect_literal(vtext("abc"), "'abc'");
	expect_literal(vtext("it's"), "'it''s'");
	expect_literal(vtext("''"), "''''''");
	expect_literal(vtext("h\xc3\xa9 \xf0\x9f\x98\x80"), "'h\xc3\xa9 \xf0\x9f\x98\x80'");
	expect_literal(vtext("a\tb\n"), "E'a\\tb\\n'");
	expect_literal(vtext("a\r\n"), "E'a\\r\\n'");
	expect_literal(vtext("back\\slash"), "E'back\\\\slash'");
	expect_literal(vtext("it's\n"), "E'it\\'s\\n'");
	expect_literal(vtext("\x01"), "E'\x01'");
	expect_literal(vtext("del\x7f"), "E'del\x7f'");
	expect_literal(vtext("\x1f"), "E'\x1f'");
	expect_literal(vtext("~ \x80"), "'~ \x80'");   /* not a control character: no E */
	expect_literal(vblob("\x00\xff", 2), "x'00ff'");
	expect_literal(vblob("", 0), "x''");
}
END_TEST

/*
 * A model of the grammar's literals (CONTRACT.md Part 2): null, an
 * integer (no '.', 'e'), a real, '...' with '' for a quote, E'...' with
 * \n \t \r \\ \' (any other byte stands for itself), x'hex'.  Parses all
 * of s (len bytes) into v, text bytes into buf; returns 0 or -1.
 */
static int parse_literal(const char *s, size_t len, struct value *v, uint8_t *buf)
{
	size_t k, n = 0;
	char *end;

	memset(v, 0, sizeof(*v));
	if (len == 4 && memcmp(s, "null", 4) == 0)
		return 0;
	if (len >= 3 && s[0] == 'x' && s[1] == '\'' && s[len - 1] == '\'') {
		for (k = 2; k + 1 < len - 1; k += 2) {
			unsigned hi, lo;

			if (sscanf(s + k, "%1x%1x", &hi, &lo) != 2)
				return -1;
			buf[n++] = (uint8_t)(hi << 4 | lo);
		}
		if (k != len - 1)
			return -1;
		v->type = VALUE_BLOB, v->p = buf, v->len = n;
		return 0;
	}
	if (len >= 3 && s[0] == 'E' && s[1] == '\'' && s[len - 1] == '\'') {
		for (k = 2; k < len - 1; k++) {
			if (s[k] == '\'')
				return -1;   /* an unescaped quote ends the literal early */
			if (s[k] != '\\') {
				buf[n++] = (uint8_t)s[k];
				continue;
			}
			switch (s[++k]) {
			case 'n': buf[n++] = '\n'; break;
			case 't': buf[n++] = '\t'; break;
			case 'r': buf[n++] = '\r'; break;
			case '\\': buf[n++] = '\\'; break;
			case '\'': buf[n++] = '\''; break;
			default: return -1;
			}
		}
		v->type = VALUE_TEXT, v->p = buf, v->len = n;
		return 0;
	}
	if (len >= 2 && s[0] == '\'' && s[len - 1] == '\'') {
		for (k = 1; k < len - 1; k++) {
			if (s[k] == '\'') {
				if (k + 1 >= len - 1 || s[k + 1] != '\'')
					return -1;
				k++;
			}
			buf[n++] = (uint8_t)s[k];
		}
		v->type = VALUE_TEXT, v->p = buf, v->len = n;
		return 0;
	}
	if (memchr(s, '.', len) || memchr(s, 'e', len)) {
		v->type = VALUE_REAL;
		v->r = strtod(s, &end);
		return end == s + len ? 0 : -1;
	}
	v->type = VALUE_INTEGER;
	v->i = strtoll(s, &end, 10);
	return end == s + len ? 0 : -1;
}

START_TEST(test_literal_round_trip)
{
	uint64_t rng = tu_seed("ROWFS_SEED", 0x6c6974ull);
	struct value vals[RECORD_MAX_COLUMNS];
	uint8_t *arena = malloc(RECORD_MAX_COLUMNS * 8200), *parsed = malloc(16400);
	int i;
	unsigned c;
	size_t k;

	ck_assert_ptr_nonnull(arena);
	ck_assert_ptr_nonnull(parsed);
	for (i = 0; i < 3000; i++) {
		unsigned n = 1 + (unsigned)(tu_next_random(&rng) % 8);

		random_values(&rng, vals, n, arena);
		for (c = 0; c < n; c++) {
			struct sbuf b = {0};
			struct value back;

			/* texts: sometimes every control character and quotes/backslashes */
			if (vals[c].type == VALUE_TEXT && tu_next_random(&rng) % 2) {
				uint8_t *t = (uint8_t *)vals[c].p;

				for (k = 0; k < vals[c].len; k++)
					if (t[k] < 0x80 && tu_next_random(&rng) % 4 == 0)
						t[k] = (uint8_t)"\x01\t\n\r\x1f\x7f\\''"[tu_next_random(&rng) % 9];
			}
			REQUIRE(value_append_literal(&b, &vals[c]) == ROWFS_OK, "literal");
			REQUIRE(!memchr(b.data, '\n', b.len) && !memchr(b.data, '\r', b.len) &&
					!memchr(b.data, '\0', b.len),
				"literal '%s' is not one line", b.data);
			REQUIRE(parse_literal(b.data, b.len, &back, parsed) == 0, "literal '%s' does not parse",
				b.data);
			REQUIRE(same_value(&vals[c], &back), "literal '%s' parses to another value",
				b.data);
			sbuf_release(&b);
		}
	}
	free(parsed);
	free(arena);
}
END_TEST

static Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc;

	tc = tcase_create("codec");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_round_trip_random);
	tcase_add_test(tc, test_round_trip_edges);
	tcase_add_test(tc, test_encoding_bytes);
	tcase_add_test(tc, test_decode_lenient);
	suite_add_tcase(s, tc);

	tc = tcase_create("corrupt");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_corrupt_random_damage);
	suite_add_tcase(s, tc);

	tc = tcase_create("compare");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_compare_table);
	tcase_add_test(tc, test_compare_random_model);
	suite_add_tcase(s, tc);

	tc = tcase_create("texts");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_format_real_cases);
	tcase_add_test(tc, test_format_real_random);
	tcase_add_test(tc, test_reply_texts);
	tcase_add_test(tc, test_literal_texts);
	tcase_add_test(tc, test_literal_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_record", record_suite());
}
