/*
 * check_row.c - unit tests of engine/row.c and the little-endian helpers
 * of row.h.
 *
 * Owns: round trips row_set -> row_encode -> row_decode for names of 1 and
 * 32 bytes, UTF-8 bytes and the extreme ids; the "username too long" text;
 * the byte layout of an encoded row, checked byte by byte; row_decode's
 * refusal of bytes that cannot be a row (empty name, bad padding); and
 * get/put_u32/u64.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "row.h"
#include "rowfs.h"
#include "testutil.h"

/* Encode id/name, decode it back and require the same row. */
static void round_trip(uint32_t id, const char *name, size_t len)
{
	uint8_t bytes[ROW_SIZE];
	struct row in, out;
	struct rowfs_err err;
	size_t i;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(row_set(&in, id, name, len, &err), ROWFS_OK);
	ck_assert_uint_eq(in.id, id);
	ck_assert_uint_eq(in.username_len, len);
	ck_assert(memcmp(in.username, name, len) == 0);
	ck_assert_int_eq(in.username[len], '\0');

	memset(bytes, 0xAA, sizeof(bytes));
	row_encode(&in, bytes);
	ck_assert_uint_eq(get_u32(bytes + ID_OFFSET), id);
	ck_assert(memcmp(bytes + USERNAME_OFFSET, name, len) == 0);
	for (i = len; i < USERNAME_SIZE; i++)
		ck_assert_msg(bytes[USERNAME_OFFSET + i] == 0, "padding byte %zu is %u", i,
			      bytes[USERNAME_OFFSET + i]);
	ck_assert_uint_eq(row_name_len(bytes), len);

	memset(&out, 0x55, sizeof(out));
	ck_assert_int_eq(row_decode(bytes, &out), ROWFS_OK);
	ck_assert_uint_eq(out.id, id);
	ck_assert_uint_eq(out.username_len, len);
	ck_assert(memcmp(out.username, name, len) == 0);
	ck_assert_int_eq(out.username[len], '\0');
}

START_TEST(test_round_trip_lengths)
{
	static const char thirty_two[] = "abcdefghijklmnopqrstuvwxyz012345";
	char name[USERNAME_SIZE];
	size_t len;

	ck_assert_uint_eq(strlen(thirty_two), USERNAME_SIZE);
	round_trip(1, "a", 1);
	round_trip(2, thirty_two, USERNAME_SIZE);
	/* every length, with a name made of digits, '_', '.', '-' */
	for (len = 1; len <= USERNAME_SIZE; len++) {
		size_t i;

		for (i = 0; i < len; i++)
			name[i] = "0123456789_.-Zz"[(i + len) % 15];
		round_trip((uint32_t)len * 1000u, name, len);
	}
}
END_TEST

START_TEST(test_round_trip_ids)
{
	round_trip(0, "zero", 4);
	round_trip(1, "one", 3);
	round_trip(255, "b", 1);
	round_trip(256, "c", 1);
	round_trip(0x01020304u, "layout", 6);
	round_trip(2147483648u, "half", 4);
	round_trip(4294967295u, "max", 3);
}
END_TEST

START_TEST(test_round_trip_utf8)
{
	/* 8 four-byte characters: exactly 32 bytes */
	static const char emoji32[] =
		"\xf0\x9f\x98\x80\xf0\x9f\x98\x81\xf0\x9f\x98\x82\xf0\x9f\x98\x83"
		"\xf0\x9f\x98\x84\xf0\x9f\x98\x85\xf0\x9f\x98\x86\xf0\x9f\x98\x87";
	/* "日本語" and friends: 3-byte characters */
	static const char cjk[] = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";
	/* bytes with the high bit set in every position of the field */
	char high[USERNAME_SIZE];
	size_t i;

	ck_assert_uint_eq(strlen(emoji32), USERNAME_SIZE);
	round_trip(7, "\xc3\xa9", 2);                 /* é */
	round_trip(8, "caf\xc3\xa9", 5);              /* café */
	round_trip(9, "\xe2\x82\xac", 3);             /* € */
	round_trip(10, cjk, strlen(cjk));
	round_trip(11, emoji32, USERNAME_SIZE);
	for (i = 0; i < sizeof(high); i++)
		high[i] = (char)(0x80 + i);
	{
		/* bytes no statement can carry: encoded as given, refused by decode */
		struct rowfs_err err;
		struct row in, out;
		uint8_t bytes[ROW_SIZE];

		ck_assert_int_eq(row_set(&in, 4294967295u, high, sizeof(high), &err), ROWFS_OK);
		row_encode(&in, bytes);
		ck_assert_int_eq(row_decode(bytes, &out), ROWFS_CORRUPT);
		ck_assert_uint_eq(row_name_check(bytes + USERNAME_OFFSET, USERNAME_SIZE), 0);
		bytes[USERNAME_OFFSET + 3] = '\n';
		memcpy(bytes + USERNAME_OFFSET, "abc", 3);
		ck_assert_uint_eq(row_name_check(bytes + USERNAME_OFFSET, USERNAME_SIZE), 3);
	}
}
END_TEST

START_TEST(test_too_long)
{
	char name[100];
	struct row row;
	struct rowfs_err err;

	memset(name, 'x', sizeof(name));
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(row_set(&row, 1, name, 33, &err), ROWFS_TOOLONG);
	ck_assert_int_eq(err.rc, ROWFS_TOOLONG);
	ck_assert_str_eq(err.msg, "Error: username too long (33 > 32)");
	ck_assert_int_eq(rowfs_errno(ROWFS_TOOLONG), EINVAL);

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(row_set(&row, 1, name, sizeof(name), &err), ROWFS_TOOLONG);
	ck_assert_str_eq(err.msg, "Error: username too long (100 > 32)");

	/* 32 bytes is the limit, not an error */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(row_set(&row, 1, name, 32, &err), ROWFS_OK);
	ck_assert_uint_eq(row.username_len, 32);

	/* an empty name is refused too */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(row_set(&row, 1, name, 0, &err), ROWFS_SYNTAX);
	ck_assert_int_eq(err.rc, ROWFS_SYNTAX);
	ck_assert(err.msg[0] != '\0');
}
END_TEST

START_TEST(test_layout)
{
	uint8_t bytes[ROW_SIZE + 4];
	struct row row;
	struct rowfs_err err;
	size_t i;

	ck_assert_uint_eq(ROW_SIZE, 36);
	ck_assert_uint_eq(ID_OFFSET, 0);
	ck_assert_uint_eq(USERNAME_OFFSET, 4);
	ck_assert_int_eq(row_set(&row, 0x04030201u, "ab", 2, &err), ROWFS_OK);
	memset(bytes, 0xAA, sizeof(bytes));
	row_encode(&row, bytes);
	/* id, least significant byte first */
	ck_assert_uint_eq(bytes[0], 0x01);
	ck_assert_uint_eq(bytes[1], 0x02);
	ck_assert_uint_eq(bytes[2], 0x03);
	ck_assert_uint_eq(bytes[3], 0x04);
	/* name, then zero padding over the old 0xAA bytes */
	ck_assert_uint_eq(bytes[4], 'a');
	ck_assert_uint_eq(bytes[5], 'b');
	for (i = 6; i < ROW_SIZE; i++)
		ck_assert_msg(bytes[i] == 0, "byte %zu is 0x%02x", i, bytes[i]);
	/* nothing written past ROW_SIZE */
	for (i = ROW_SIZE; i < sizeof(bytes); i++)
		ck_assert_msg(bytes[i] == 0xAA, "byte %zu is 0x%02x", i, bytes[i]);

	/* a 32-byte name fills the field: no terminator is stored */
	ck_assert_int_eq(row_set(&row, 0xFFFFFFFFu, "0123456789abcdef0123456789ABCDEF", 32, &err),
			 ROWFS_OK);
	memset(bytes, 0xAA, sizeof(bytes));
	row_encode(&row, bytes);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(bytes[i], 0xFF);
	ck_assert(memcmp(bytes + 4, "0123456789abcdef0123456789ABCDEF", 32) == 0);
	ck_assert_uint_eq(bytes[ROW_SIZE], 0xAA);

	/* id 0 is four zero bytes */
	ck_assert_int_eq(row_set(&row, 0, "z", 1, &err), ROWFS_OK);
	row_encode(&row, bytes);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(bytes[i], 0);
	ck_assert_uint_eq(bytes[4], 'z');
}
END_TEST

START_TEST(test_decode_corrupt)
{
	uint8_t bytes[ROW_SIZE];
	struct row row;
	size_t i;

	/* empty name: the field is all zero */
	memset(bytes, 0, sizeof(bytes));
	put_u32(bytes, 5);
	ck_assert_uint_eq(row_name_len(bytes), 0);
	ck_assert_int_eq(row_decode(bytes, &row), ROWFS_CORRUPT);

	/* empty name followed by garbage */
	bytes[USERNAME_OFFSET + 1] = 'x';
	ck_assert_int_eq(row_decode(bytes, &row), ROWFS_CORRUPT);

	/* "ab", NUL, "c": a NUL inside the name / non-zero padding */
	memset(bytes, 0, sizeof(bytes));
	memcpy(bytes + USERNAME_OFFSET, "ab\0c", 4);
	ck_assert_uint_eq(row_name_len(bytes), 2);
	ck_assert_int_eq(row_decode(bytes, &row), ROWFS_CORRUPT);

	/* non-zero byte in each padding position, one at a time */
	for (i = 2; i < USERNAME_SIZE; i++) {
		memset(bytes, 0, sizeof(bytes));
		memcpy(bytes + USERNAME_OFFSET, "a", 1);
		bytes[USERNAME_OFFSET + i] = 0x01;
		ck_assert_msg(row_decode(bytes, &row) == ROWFS_CORRUPT, "padding byte %zu", i);
	}

	/* the same bytes with clean padding decode */
	memset(bytes, 0, sizeof(bytes));
	memcpy(bytes + USERNAME_OFFSET, "a", 1);
	ck_assert_int_eq(row_decode(bytes, &row), ROWFS_OK);
	ck_assert_uint_eq(row.username_len, 1);

	/* 32 non-NUL bytes: a full name, not a corrupt one */
	memset(bytes + USERNAME_OFFSET, 'q', USERNAME_SIZE);
	ck_assert_uint_eq(row_name_len(bytes), USERNAME_SIZE);
	ck_assert_int_eq(row_decode(bytes, &row), ROWFS_OK);
	ck_assert_uint_eq(row.username_len, USERNAME_SIZE);
	ck_assert_int_eq(row.username[USERNAME_SIZE], '\0');
}
END_TEST

START_TEST(test_u32)
{
	uint8_t b[8];

	memset(b, 0xEE, sizeof(b));
	put_u32(b + 1, 0x12345678u); /* unaligned */
	ck_assert_uint_eq(b[0], 0xEE);
	ck_assert_uint_eq(b[1], 0x78);
	ck_assert_uint_eq(b[2], 0x56);
	ck_assert_uint_eq(b[3], 0x34);
	ck_assert_uint_eq(b[4], 0x12);
	ck_assert_uint_eq(b[5], 0xEE);
	ck_assert_uint_eq(get_u32(b + 1), 0x12345678u);

	put_u32(b, 0);
	ck_assert_uint_eq(get_u32(b), 0);
	put_u32(b, 0xFFFFFFFFu);
	ck_assert_uint_eq(b[0] & b[1] & b[2] & b[3], 0xFF);
	ck_assert_uint_eq(get_u32(b), 0xFFFFFFFFu);
	put_u32(b, 0x80000001u);
	ck_assert_uint_eq(b[0], 0x01);
	ck_assert_uint_eq(b[3], 0x80);

	b[0] = 0x01; b[1] = 0x00; b[2] = 0x00; b[3] = 0x00;
	ck_assert_uint_eq(get_u32(b), 1);
	b[0] = 0x00; b[3] = 0x01;
	ck_assert_uint_eq(get_u32(b), 0x01000000u);
}
END_TEST

START_TEST(test_u64)
{
	static const uint8_t want[8] = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
	uint8_t b[10];
	size_t i;

	memset(b, 0xEE, sizeof(b));
	put_u64(b + 1, 0x0102030405060708ull);
	ck_assert_uint_eq(b[0], 0xEE);
	for (i = 0; i < 8; i++)
		ck_assert_msg(b[1 + i] == want[i], "byte %zu is 0x%02x", i, b[1 + i]);
	ck_assert_uint_eq(b[9], 0xEE);
	ck_assert(get_u64(b + 1) == 0x0102030405060708ull);

	put_u64(b, 0);
	ck_assert(get_u64(b) == 0);
	put_u64(b, UINT64_MAX);
	ck_assert(get_u64(b) == UINT64_MAX);
	put_u64(b, 0xFFFFFFFFull + 1); /* 2^32: only byte 4 set */
	for (i = 0; i < 8; i++)
		ck_assert_uint_eq(b[i], i == 4 ? 1 : 0);
	ck_assert(get_u64(b) == 0x100000000ull);
	put_u64(b, 0x8000000000000000ull);
	ck_assert_uint_eq(b[7], 0x80);
	ck_assert(get_u64(b) == 0x8000000000000000ull);
}
END_TEST

/* A dump line parses back to the same row: "--" would start a comment (Part 2). */
START_TEST(test_format_insert)
{
	char line[ROW_INSERT_MAX];
	size_t n;

	n = row_format_insert(line, 7, "alice", 5);
	ck_assert_int_eq((int)n, 14);
	ck_assert(memcmp(line, "insert 7 alice", n) == 0);
	n = row_format_insert(line, 4294967295u, "a--b", 4);
	ck_assert(memcmp(line, "insert 4294967295 a--b", n) == 0 && n == 22);
	n = row_format_insert(line, 5, "--x", 3);
	ck_assert(n == 35 && memcmp(line, "insert into users values (5, '--x')", n) == 0);
	n = row_format_insert(line, 4294967295u, "--------------------------------", 32);
	ck_assert(n <= ROW_INSERT_MAX);
	ck_assert(memcmp(line + n - 35, "'--------------------------------')", 35) == 0);
}
END_TEST

static Suite *row_suite(void)
{
	Suite *s = suite_create("row");
	TCase *tc;

	tc = tcase_create("round_trip");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_round_trip_lengths);
	tcase_add_test(tc, test_round_trip_ids);
	tcase_add_test(tc, test_round_trip_utf8);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_decode_corrupt);
	suite_add_tcase(s, tc);

	tc = tcase_create("layout");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_u32);
	tcase_add_test(tc, test_u64);
	tcase_add_test(tc, test_format_insert);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_row", row_suite());
}
