/*
 * check_util.c - unit tests of engine/util.c, the bottom utility module.
 *
 * Owns: varints at every length boundary (0, 127, 128, 2^14 - 1, 2^14,
 * ..., 2^56 - 1, 2^56, UINT64_MAX, negative int64s) compared byte for
 * byte with a reference encoder written here from SQLite's description,
 * and get_varint on every truncation of them; utf8_sequence_len on every
 * class of lead byte, overlong forms, surrogates and code points past
 * U+10FFFF, exhaustively for 1..3-byte inputs against a model decoder;
 * utf8_valid_prefix; fnv1a32 against the published FNV-1a test vectors;
 * the byte order helpers; struct sbuf.  The number readers against
 * models from libc: number_syntax on every string of up to 6 bytes over
 * "0123456789+-.eE" (and random longer ones) against a POSIX regex,
 * number_int64 against strtoll (boundaries, signs, leading zeros, random
 * values), number_double bit for bit against strtod (fast path, long
 * digit strings, exponents, copies past 256 bytes), hex_digit_value on
 * every byte; buf_grow's doubling, bound and failure against a model of
 * the capacity.  And the wrappers rowfs.h exports for fs/ and src/
 * (status.c): rowfs_utf8_sequence_len equal to utf8_sequence_len,
 * rowfs_buf_grow, the one rowfs_rc_is_fatal rule, rowfs_fail_errno.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "rowfs.h"
#include "util.h"
#include "testutil.h"

/* ---- varints --------------------------------------------------------------- */

/*
 * Reference encoder: fewer than 2^56 -> ceil(bits / 7) groups of 7 bits,
 * most significant first, the high bit on all but the last; else 8
 * groups of 7 bits (the high 56 bits) then a whole byte.
 */
static size_t ref_varint(uint64_t v, uint8_t *out)
{
	size_t n, k;

	if (v >= (1ull << 56)) {
		for (k = 0; k < 8; k++)
			out[k] = (uint8_t)(0x80 | ((v >> (57 - 7 * k)) & 0x7f));
		out[8] = (uint8_t)v;
		return 9;
	}
	for (n = 1; n < 8 && v >> (7 * n); n++)
		;
	for (k = 0; k < n; k++)
		out[k] = (uint8_t)(((v >> (7 * (n - 1 - k))) & 0x7f) | (k + 1 < n ? 0x80 : 0));
	return n;
}

/* Encode v, compare with the reference and the expected length, decode every truncation. */
static void check_varint(uint64_t v, size_t want_len)
{
	uint8_t got[VARINT_MAX + 4], ref[VARINT_MAX];
	uint64_t back;
	size_t n, k;

	memset(got, 0xEE, sizeof(got));
	n = put_varint(got, v);
	ck_assert_msg(n == want_len, "put_varint(%llu) wrote %zu bytes, want %zu",
		      (unsigned long long)v, n, want_len);
	ck_assert_uint_eq(varint_len(v), want_len);
	ck_assert_uint_eq(ref_varint(v, ref), want_len);
	ck_assert_msg(memcmp(got, ref, n) == 0, "put_varint(%llu) bytes differ from the reference",
		      (unsigned long long)v);
	ck_assert_uint_eq(got[n], 0xEE);   /* nothing written past the count */

	back = 0;
	ck_assert_uint_eq(get_varint(got, n, &back), n);
	ck_assert(back == v);
	back = 0;
	ck_assert_uint_eq(get_varint(got, sizeof(got), &back), n);   /* more bytes than needed */
	ck_assert(back == v);
	for (k = 0; k < n; k++) {
		back = 12345;
		ck_assert_msg(get_varint(got, k, &back) == 0, "get_varint(%llu) of %zu bytes",
			      (unsigned long long)v, k);
		ck_assert(back == 12345);   /* untouched */
	}
}

/* put_decimal against snprintf at every power-of-ten edge and on random values. */
START_TEST(test_put_decimal)
{
	char got[24], want[24];
	uint64_t v = 1, x = 88172645463325252ull;
	size_t n;
	int i;

	for (i = 0; i < 20000; i++) {
		uint64_t cases[3], c;
		int k;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		cases[0] = x >> (x % 64);
		cases[1] = i < 20 ? v - 1 : x;
		cases[2] = i < 20 ? v : UINT64_MAX;
		for (k = 0; k < 3; k++) {
			c = cases[k];
			n = put_decimal(got, c);
			snprintf(want, sizeof(want), "%llu", (unsigned long long)c);
			ck_assert_uint_eq(n, strlen(want));
			ck_assert(memcmp(got, want, n) == 0);
		}
		if (i < 19)
			v *= 10;
	}
}
END_TEST

START_TEST(test_varint_boundaries)
{
	unsigned len;

	check_varint(0, 1);
	check_varint(1, 1);
	check_varint(127, 1);
	for (len = 2; len <= 8; len++) {
		uint64_t first = 1ull << (7 * (len - 1));   /* the first value of that length */

		check_varint(first - 1, len - 1);
		check_varint(first, len);
		check_varint(first + 1, len);
	}
	check_varint((1ull << 56) - 1, 8);
	check_varint(1ull << 56, 9);
	check_varint((1ull << 56) + 1, 9);
	check_varint(UINT64_MAX - 1, 9);
	check_varint(UINT64_MAX, 9);
	check_varint((uint64_t)(int64_t)-1, 9);
	check_varint((uint64_t)INT64_MIN, 9);
	check_varint((uint64_t)INT64_MAX, 9);
	check_varint((uint64_t)(int64_t)-128, 9);
}
END_TEST

START_TEST(test_varint_bytes)
{
	static const uint8_t b128[] = {0x81, 0x00};
	static const uint8_t b16383[] = {0xff, 0x7f};
	static const uint8_t bmax[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t b2_56[] = {0x80, 0xc0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
	uint8_t buf[VARINT_MAX];
	uint64_t v;

	ck_assert_uint_eq(put_varint(buf, 128), 2);
	ck_assert(memcmp(buf, b128, 2) == 0);
	ck_assert_uint_eq(put_varint(buf, 16383), 2);
	ck_assert(memcmp(buf, b16383, 2) == 0);
	ck_assert_uint_eq(put_varint(buf, UINT64_MAX), 9);
	ck_assert(memcmp(buf, bmax, 9) == 0);
	ck_assert_uint_eq(put_varint(buf, 1ull << 56), 9);
	ck_assert(memcmp(buf, b2_56, 9) == 0);
	/* the 9th byte carries 8 bits even with its high bit set */
	ck_assert_uint_eq(get_varint(bmax, 9, &v), 9);
	ck_assert(v == UINT64_MAX);
	/* non-minimal forms read as what they say */
	{
		static const uint8_t long_zero[] = {0x80, 0x80, 0x00};

		ck_assert_uint_eq(get_varint(long_zero, 3, &v), 3);
		ck_assert(v == 0);
	}
}
END_TEST

START_TEST(test_varint_random)
{
	uint64_t rng = tu_seed("ROWFS_SEED", 0x7661726974ull), v, back;
	uint8_t buf[VARINT_MAX], ref[VARINT_MAX];
	size_t n;
	int i;

	for (i = 0; i < 200000; i++) {
		v = tu_next_random(&rng) >> (tu_next_random(&rng) % 64);
		n = put_varint(buf, v);
		REQUIRE(n == ref_varint(v, ref) && memcmp(buf, ref, n) == 0 && n == varint_len(v),
			"put_varint(%llu)", (unsigned long long)v);
		REQUIRE(get_varint(buf, n, &back) == n && back == v, "get_varint(%llu)",
			(unsigned long long)v);
		REQUIRE(get_varint(buf, n - 1, &back) == 0, "truncated get_varint(%llu)",
			(unsigned long long)v);
	}
}
END_TEST

/* ---- UTF-8 ----------------------------------------------------------------- */

/*
 * Model of well-formed UTF-8 (Unicode 15, section 3.9, D92): the sequence
 * of length need at p decodes by the bit patterns to a code point in that
 * length's range, not a surrogate, at most U+10FFFF.  Returns need or 0.
 */
static size_t model_utf8(const uint8_t *p, size_t n, uint32_t *cp)
{
	static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
	size_t need, k;
	uint32_t c;

	if (p[0] < 0x80)
		need = 1, c = p[0];
	else if ((p[0] & 0xE0) == 0xC0)
		need = 2, c = p[0] & 0x1f;
	else if ((p[0] & 0xF0) == 0xE0)
		need = 3, c = p[0] & 0x0f;
	else if ((p[0] & 0xF8) == 0xF0)
		need = 4, c = p[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (k = 1; k < need; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[k] & 0x3f);
	}
	if (c < min_cp[need] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return need;
}

/* utf8_sequence_len(p, n) must agree with the model, code point included. */
static void agree(const uint8_t *p, size_t n)
{
	uint32_t want = 0xFFFFFFFF, got = 0xFFFFFFFF;
	size_t m = model_utf8(p, n, &want);
	size_t k = utf8_sequence_len(p, n, &got);

	REQUIRE(k == m, "utf8_sequence_len(%02x %02x %02x %02x, %zu) = %zu, model %zu", p[0],
		n > 1 ? p[1] : 0, n > 2 ? p[2] : 0, n > 3 ? p[3] : 0, n, k, m);
	REQUIRE(!m || got == want, "code point %x, model %x", got, want);
	REQUIRE(utf8_sequence_len(p, n, NULL) == m, "cp NULL changes the length");
}

START_TEST(test_utf8_exhaustive_short)
{
	uint8_t b[4];
	unsigned a, c, d;

	for (a = 0; a < 256; a++) {
		b[0] = (uint8_t)a;
		agree(b, 1);
		for (c = 0; c < 256; c++) {
			b[1] = (uint8_t)c;
			agree(b, 2);
			if (a < 0xE0 || a > 0xEF)
				continue;
			for (d = 0; d < 256; d++) {
				b[2] = (uint8_t)d;
				agree(b, 3);
			}
		}
	}
}
END_TEST

START_TEST(test_utf8_four_bytes)
{
	uint64_t rng = tu_seed("ROWFS_SEED", 0x75746638ull);
	uint8_t b[4];
	unsigned lead, c;
	int i;

	/* every lead from F0 with every second byte, continuations varied */
	for (lead = 0xF0; lead < 0x100; lead++) {
		for (c = 0; c < 256; c++) {
			b[0] = (uint8_t)lead;
			b[1] = (uint8_t)c;
			b[2] = 0x80;
			b[3] = 0xBF;
			agree(b, 4);
			agree(b, 3);   /* truncated */
			b[3] = 0x7F;   /* bad last continuation */
			agree(b, 4);
		}
	}
	for (i = 0; i < 1000000; i++) {
		uint64_t r = tu_next_random(&rng);

		memcpy(b, &r, 4);
		b[0] = (uint8_t)(0xF0 | (b[0] & 7));
		if (r >> 40 & 1)
			b[2] = (uint8_t)(0x80 | (b[2] & 0x3f)), b[3] = (uint8_t)(0x80 | (b[3] & 0x3f));
		agree(b, 4);
	}
}
END_TEST

START_TEST(test_utf8_classes)
{
	static const struct {
		const char *bytes;
		size_t n;        /* bytes available */
		size_t len;      /* expected result */
		uint32_t cp;     /* expected code point when len > 0 */
	} cases[] = {
		{"\x00", 1, 1, 0},
		{"A", 1, 1, 'A'},
		{"\x7f", 1, 1, 0x7f},
		{"\x80", 1, 0, 0},                      /* lone continuation */
		{"\xbf", 1, 0, 0},
		{"\xc0\x80", 2, 0, 0},                  /* overlong NUL */
		{"\xc1\xbf", 2, 0, 0},                  /* overlong U+007F */
		{"\xc2\x80", 2, 2, 0x80},
		{"\xdf\xbf", 2, 2, 0x7ff},
		{"\xc2\x41", 2, 0, 0},                  /* bad continuation */
		{"\xc2", 1, 0, 0},                      /* truncated */
		{"\xe0\x9f\xbf", 3, 0, 0},              /* overlong U+07FF */
		{"\xe0\xa0\x80", 3, 3, 0x800},
		{"\xe2\x82\xac", 3, 3, 0x20ac},         /* euro sign */
		{"\xed\x9f\xbf", 3, 3, 0xd7ff},
		{"\xed\xa0\x80", 3, 0, 0},              /* surrogate U+D800 */
		{"\xed\xbf\xbf", 3, 0, 0},              /* surrogate U+DFFF */
		{"\xee\x80\x80", 3, 3, 0xe000},
		{"\xef\xbf\xbf", 3, 3, 0xffff},
		{"\xe2\x82", 2, 0, 0},                  /* truncated */
		{"\xf0\x8f\xbf\xbf", 4, 0, 0},          /* overlong U+FFFF */
		{"\xf0\x90\x80\x80", 4, 4, 0x10000},
		{"\xf0\x9f\x98\x80", 4, 4, 0x1f600},
		{"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
		{"\xf4\x90\x80\x80", 4, 0, 0},          /* U+110000 */
		{"\xf5\x80\x80\x80", 4, 0, 0},
		{"\xf8\x88\x80\x80", 4, 0, 0},          /* 5-byte form */
		{"\xfe", 1, 0, 0},
		{"\xff", 1, 0, 0},
		{"\xf0\x9f\x98", 3, 0, 0},              /* truncated */
		{"\xf0\x9f\x98\x41", 4, 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t cp = 0xFFFFFFFF;
		size_t len = utf8_sequence_len((const uint8_t *)cases[i].bytes, cases[i].n, &cp);

		ck_assert_msg(len == cases[i].len, "case %zu: length %zu, want %zu", i, len,
			      cases[i].len);
		if (len)
			ck_assert_msg(cp == cases[i].cp, "case %zu: U+%04X, want U+%04X", i, cp,
				      cases[i].cp);
	}
}
END_TEST

START_TEST(test_utf8_valid_prefix)
{
	static const char good[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80!";

	ck_assert_uint_eq(utf8_valid_prefix((const uint8_t *)"", 0), 0);
	ck_assert_uint_eq(utf8_valid_prefix((const uint8_t *)good, strlen(good)), strlen(good));
	ck_assert_uint_eq(utf8_valid_prefix((const uint8_t *)"ab\xc3", 3), 2);
	ck_assert_uint_eq(utf8_valid_prefix((const uint8_t *)"ab\xc3\xa9\xed\xa0\x80z", 8), 4);
	ck_assert_uint_eq(utf8_valid_prefix((const uint8_t *)"\x80", 1), 0);
	ck_assert_uint_eq(utf8_valid_prefix((const uint8_t *)"a\0b", 3), 3);   /* NUL is ASCII */
	/* a cut in the middle of a sequence is where it stops */
	ck_assert_uint_eq(utf8_valid_prefix((const uint8_t *)good, 4), 3);
}
END_TEST

/* ---- FNV-1a and byte order ------------------------------------------------------- */

START_TEST(test_fnv1a32_vectors)
{
	/* the published FNV-1a 32-bit test vectors */
	ck_assert_uint_eq(fnv1a32("", 0), 0x811c9dc5u);
	ck_assert_uint_eq(fnv1a32("a", 1), 0xe40c292cu);
	ck_assert_uint_eq(fnv1a32("b", 1), 0xe70c2de5u);
	ck_assert_uint_eq(fnv1a32("foobar", 6), 0xbf9cf968u);
	ck_assert_uint_eq(fnv1a32("\0", 1), 0x050c5d1fu);
	ck_assert_uint_eq(fnv1a32("chongo was here!\n", 17), 0xd49930d5u);
}
END_TEST

START_TEST(test_byte_order)
{
	uint8_t b[8];

	put_u16(b, 0x0102);
	ck_assert(b[0] == 0x02 && b[1] == 0x01);
	ck_assert_uint_eq(get_u16(b), 0x0102);
	put_u32(b, 0x01020304u);
	ck_assert(b[0] == 4 && b[1] == 3 && b[2] == 2 && b[3] == 1);
	ck_assert_uint_eq(get_u32(b), 0x01020304u);
	put_u64(b, 0x0102030405060708ull);
	ck_assert(b[0] == 8 && b[7] == 1);
	ck_assert(get_u64(b) == 0x0102030405060708ull);
	put_u32(b, 0xFFFFFFFFu);
	ck_assert_uint_eq(get_u32(b), 0xFFFFFFFFu);
}
END_TEST

/* ---- sbuf --------------------------------------------------------------------- */

START_TEST(test_sbuf)
{
	struct sbuf b = {0};
	size_t i;

	ck_assert_int_eq(sbuf_append(&b, "", 0), 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_str_eq(b.data, "");
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(sbuf_append(&b, "ab\0c", 4), 0);
	ck_assert_uint_eq(b.len, 4);
	ck_assert(memcmp(b.data, "ab\0c", 5) == 0);   /* NUL-terminated after the bytes */
	ck_assert_int_eq(sbuf_printf(&b, "-%d-%s", 42, "x"), 0);
	ck_assert_uint_eq(b.len, 9);
	ck_assert(memcmp(b.data, "ab\0c-42-x", 10) == 0);
	/* growth: many appends, every byte where it belongs */
	for (i = 0; i < 10000; i++) {
		char c = (char)('a' + i % 26);

		REQUIRE(sbuf_append(&b, &c, 1) == 0, "append %zu", i);
	}
	ck_assert_uint_eq(b.len, 10009);
	ck_assert(b.cap > b.len);
	for (i = 0; i < 10000; i++)
		REQUIRE(b.data[9 + i] == (char)('a' + i % 26), "byte %zu", i);
	ck_assert_int_eq(b.data[b.len], '\0');
	ck_assert_int_eq(sbuf_reserve(&b, 100000), 0);
	ck_assert(b.cap - b.len > 100000);
	/* a long printf that needs the buffer to grow */
	ck_assert_int_eq(sbuf_printf(&b, "%5000d", 7), 0);
	ck_assert_uint_eq(b.len, 15009);
	ck_assert_int_eq(b.data[15008], '7');
	ck_assert_int_eq(b.data[15009], '\0');
	sbuf_release(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	sbuf_release(&b);   /* twice is harmless */
	/* printf into a fresh buffer */
	ck_assert_int_eq(sbuf_printf(&b, "%s", ""), 0);
	ck_assert_str_eq(b.data, "");
	sbuf_release(&b);
}
END_TEST

/* ---- numbers and hex digits ----------------------------------------------------- */

START_TEST(test_hex_digit_value)
{
	static const char digits[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
	unsigned c;

	for (c = 0; c < 256; c++) {
		const char *l = c ? memchr(digits, (int)c, 16) : NULL;
		const char *u = c ? memchr(upper, (int)c, 16) : NULL;
		int want = l ? (int)(l - digits) : u ? (int)(u - upper) : -1;

		REQUIRE(hex_digit_value((uint8_t)c) == want, "byte %u: %d", c,
			hex_digit_value((uint8_t)c));
	}
}
END_TEST

/* The model of number_syntax: a POSIX extended regex. */
static regex_t number_re;

static void number_model_init(void)
{
	ck_assert_int_eq(regcomp(&number_re,
				 "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$",
				 REG_EXTENDED | REG_NOSUB), 0);
}

/* Compare number_syntax on s with the model; for a number, number_double with strtod. */
static void number_agree(const char *s)
{
	size_t n = strlen(s);
	int is_real = -1, want = regexec(&number_re, s, 0, NULL, 0) == 0;
	int got = number_syntax((const uint8_t *)s, n, &is_real);

	REQUIRE(got == want, "'%s': %d", s, got);
	if (!got)
		return;
	REQUIRE(is_real == (strpbrk(s, ".eE") != NULL), "'%s': is_real %d", s, is_real);
	if (is_real) {
		double v = 1, w = strtod(s, NULL);

		REQUIRE(number_double((const uint8_t *)s, n, &v) == 0, "'%s'", s);
		REQUIRE(memcmp(&v, &w, sizeof(v)) == 0, "'%s': %.17g, strtod %.17g", s, v, w);
	} else {
		int64_t v = 7;
		long long w;

		errno = 0;
		w = strtoll(s, NULL, 10);
		REQUIRE(number_int64((const uint8_t *)s, n, &v) == (errno != ERANGE), "'%s'", s);
		REQUIRE(errno == ERANGE ? v == 7 : v == w, "'%s': %" PRId64, s, v);
	}
}

START_TEST(test_number_syntax_exhaustive)
{
	static const char alphabet[] = "0123456789+-.eE";
	char s[8];
	size_t len, k, total;

	number_model_init();
	/* every string of up to 5 bytes; then 6 bytes over a smaller alphabet */
	for (len = 0, total = 1; len <= 5; len++, total *= 15) {
		size_t i;

		for (i = 0; i < total; i++) {
			size_t x = i;

			for (k = 0; k < len; k++, x /= 15)
				s[k] = alphabet[x % 15];
			s[len] = '\0';
			number_agree(s);
		}
	}
	for (k = 0; k < 6u * 6 * 6 * 6 * 6 * 6; k++) {
		size_t x = k, j;

		for (j = 0; j < 6; j++, x /= 6)
			s[j] = "09+-.e"[x % 6];
		s[6] = '\0';
		number_agree(s);
	}
	regfree(&number_re);
}
END_TEST

START_TEST(test_number_random)
{
	static const char *const fixed[] = {
		"9223372036854775807", "-9223372036854775808", "9223372036854775808",
		"-9223372036854775809", "+9223372036854775807", "00000000000000000000000000042",
		"-0", "+0", "99999999999999999999", "0.1", "-.5", "5.", "1e308", "1e309", "-1e-400",
		"123456789012345.6", "1234567890123456.7", "0.000000000000001", "4.9e-324",
		"2.2250738585072014e-308", "1.7976931348623157e308", "+.25E+2",
	};
	char s[600];
	uint64_t rng = 13;
	size_t i, k;

	number_model_init();
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		number_agree(fixed[i]);
	for (i = 0; i < 40000; i++) {
		uint64_t r = tu_next_random(&rng);
		size_t n = 0, digits = 1 + r % (i % 50 == 0 ? 400 : 22);

		if (r & 0x100)
			s[n++] = r & 0x200 ? '-' : '+';
		for (k = 0; k < digits; k++) {
			uint64_t d = tu_next_random(&rng);

			s[n++] = (char)('0' + d % 10);
			if (k + 1 < digits && d % 13 == 0 && !memchr(s, '.', n))
				s[n++] = '.';
		}
		if (r & 0x400)
			n += (size_t)snprintf(s + n, 12, "e%d", (int)(r >> 32) % 700 - 350);
		s[n] = '\0';
		number_agree(s);
	}
	regfree(&number_re);
}
END_TEST

/* ---- buf_grow ------------------------------------------------------------------ */

START_TEST(test_buf_grow)
{
	char *p = NULL;
	size_t cap = 0, want = 0, need;
	uint64_t rng = 5;
	int i;

	/* nothing to do: no allocation */
	ck_assert_int_eq(buf_grow(&p, &cap, 0, 16, 100), 0);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(cap, 0);
	/* past the bound, or a zero min at first: refused, unchanged */
	ck_assert_int_eq(buf_grow(&p, &cap, 101, 16, 100), -1);
	ck_assert_int_eq(buf_grow(&p, &cap, 1, 0, 100), -1);
	ck_assert_ptr_null(p);
	ck_assert_uint_eq(cap, 0);
	/* min, then doubling, then the bound */
	ck_assert_int_eq(buf_grow(&p, &cap, 1, 16, 100), 0);
	ck_assert_uint_eq(cap, 16);
	memcpy(p, "0123456789abcdef", 16);
	ck_assert_int_eq(buf_grow(&p, &cap, 17, 16, 100), 0);
	ck_assert_uint_eq(cap, 32);
	ck_assert(memcmp(p, "0123456789abcdef", 16) == 0);   /* the bytes kept */
	ck_assert_int_eq(buf_grow(&p, &cap, 32, 16, 100), 0);
	ck_assert_uint_eq(cap, 32);
	ck_assert_int_eq(buf_grow(&p, &cap, 65, 16, 100), 0);
	ck_assert_uint_eq(cap, 100);   /* 128 cut to the bound */
	ck_assert_int_eq(buf_grow(&p, &cap, 101, 16, 100), -1);
	ck_assert_uint_eq(cap, 100);
	free(p);
	/* a min past the bound is cut to it */
	p = NULL;
	cap = 0;
	ck_assert_int_eq(buf_grow(&p, &cap, 3, 4096, 10), 0);
	ck_assert_uint_eq(cap, 10);
	free(p);
	/* random needs against the model: the smallest min * 2^k that holds need, cut to bound */
	p = NULL;
	cap = 0;
	for (i = 0; i < 2000; i++) {
		uint64_t r = tu_next_random(&rng);
		size_t bound = 1u << 20;

		need = (size_t)(r % (r & 1 ? 300 : bound + 50));
		if (need > bound) {
			REQUIRE(rowfs_buf_grow(&p, &cap, need, 24, bound) == -1, "need %zu", need);
			REQUIRE(cap == want, "cap %zu after a refusal", cap);
			continue;
		}
		if (need > want) {
			size_t m = want ? want : 24;

			while (m < need)
				m *= 2;
			want = m > bound ? bound : m;
		}
		REQUIRE(rowfs_buf_grow(&p, &cap, need, 24, bound) == 0, "need %zu", need);
		REQUIRE(cap == want, "need %zu: cap %zu, model %zu", need, cap, want);
		memset(p, 'x', need);   /* the room is there (the sanitizer build checks) */
	}
	free(p);
}
END_TEST

/* ---- the wrappers of rowfs.h (status.c) ------------------------------------- */

START_TEST(test_rowfs_utf8_wrapper)
{
	unsigned char b[3];
	unsigned a, c, d;

	for (a = 0; a < 256; a++) {
		for (c = 0; c < 256; c++) {
			for (d = 0; d < 256; d += 3) {
				uint32_t x = 1, y = 1;
				size_t n = 1 + (a + c + d) % 3;

				b[0] = (unsigned char)a, b[1] = (unsigned char)c, b[2] = (unsigned char)d;
				REQUIRE(rowfs_utf8_sequence_len(b, n, &x) == utf8_sequence_len(b, n, &y) &&
						x == y,
					"%02x %02x %02x (%zu)", a, c, d, n);
			}
		}
	}
}
END_TEST

START_TEST(test_rc_is_fatal)
{
	/* the one rule: these may leave pages half changed */
	static const int fatal[] = {ROWFS_ERROR, ROWFS_NOMEM, ROWFS_IOERR, ROWFS_CORRUPT, ROWFS_FULL};
	int rc;
	size_t k;

	for (rc = ROWFS_OK; rc <= ROWFS_TOOBIG; rc++) {
		int want = 0;

		for (k = 0; k < sizeof(fatal) / sizeof(fatal[0]); k++)
			want |= rc == fatal[k];
		ck_assert_msg(rowfs_rc_is_fatal(rc) == want, "%s: %d", rowfs_rc_name(rc),
			      rowfs_rc_is_fatal(rc));
	}
	/* codes outside the table are treated as the worst */
	ck_assert_int_eq(rowfs_rc_is_fatal(-1), 1);
	ck_assert_int_eq(rowfs_rc_is_fatal(1000), 1);
}
END_TEST

START_TEST(test_fail_errno)
{
	int rc;

	for (rc = ROWFS_OK; rc <= ROWFS_TOOBIG + 1; rc++) {
		int e = rowfs_errno(rc);

		ck_assert_int_eq(rowfs_fail_errno(rc), e ? e : EIO);
		ck_assert_int_ne(rowfs_fail_errno(rc), 0);
	}
	ck_assert_int_eq(rowfs_fail_errno(ROWFS_OK), EIO);
	ck_assert_int_eq(rowfs_fail_errno(ROWFS_EXIT), EIO);
	ck_assert_int_eq(rowfs_fail_errno(ROWFS_DUPLICATE), EEXIST);
	ck_assert_int_eq(rowfs_fail_errno(ROWFS_FULL), ENOSPC);
	ck_assert_int_eq(rowfs_fail_errno(ROWFS_STALE), ESTALE);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("varint");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_varint_boundaries);
	tcase_add_test(tc, test_put_decimal);
	tcase_add_test(tc, test_varint_bytes);
	tcase_add_test(tc, test_varint_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("utf8");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_utf8_classes);
	tcase_add_test(tc, test_utf8_exhaustive_short);
	tcase_add_test(tc, test_utf8_four_bytes);
	tcase_add_test(tc, test_utf8_valid_prefix);
	suite_add_tcase(s, tc);

	tc = tcase_create("misc");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fnv1a32_vectors);
	tcase_add_test(tc, test_byte_order);
	tcase_add_test(tc, test_sbuf);
	tcase_add_test(tc, test_buf_grow);
	suite_add_tcase(s, tc);

	tc = tcase_create("numbers");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_hex_digit_value);
	tcase_add_test(tc, test_number_syntax_exhaustive);
	tcase_add_test(tc, test_number_random);
	suite_add_tcase(s, tc);

	tc = tcase_create("rowfs_h");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rowfs_utf8_wrapper);
	tcase_add_test(tc, test_rc_is_fatal);
	tcase_add_test(tc, test_fail_errno);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_util", util_suite());
}
