/*
 * check_path.c - unit tests of fs/path.c, the kind table of the mount:
 * what each name parses as (the root's files, tables/T/ and its files,
 * by-id/ keys of users and of other tables, ranges in both spellings,
 * counts, temporary files of by-id/), the names that are not names
 * (numbers that are not keys among them), and the table's own
 * consistency: every fixed name a directory lists parses back as the kind
 * listed there, with that directory, and with the mode the table gives.
 */
#include <config.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "path.h"
#include "testutil.h"

/* One parse case: the path and what it must name (PATH_NONE: nothing). */
struct parse_case {
	const char *path;
	enum path_kind kind;
	const char *table;
	int64_t a;   /* key, or range start, or count */
	int64_t b;   /* range end */
};

static const struct parse_case cases[] = {
	{"/", PATH_ROOT, "", 0, 0},
	{"/ctl", PATH_CTL, "", 0, 0},
	{"/rows.csv", PATH_ROWS_CSV, "", 0, 0},
	{"/stats", PATH_STATS, "", 0, 0},
	{"/log", PATH_LOG, "", 0, 0},
	{"/tables", PATH_TABLES_DIR, "", 0, 0},
	{"/tables/t", PATH_TABLE_DIR, "t", 0, 0},
	{"/tables/t/stats", PATH_TABLE_STATS, "t", 0, 0},
	{"/tables/t/schema", PATH_SCHEMA, "t", 0, 0},
	{"/tables/t/import", PATH_IMPORT, "t", 0, 0},
	{"/tables/t/rows.ndjson", PATH_ROWS_NDJSON, "t", 0, 0},
	{"/tables/t/by-id", PATH_BYID_DIR, "t", 0, 0},
	{"/tables/t/by-id/-5", PATH_ROW, "t", -5, 0},
	{"/tables/t/by-id/9223372036854775807", PATH_ROW, "t", INT64_MAX, 0},
	{"/tables/t/by-id/-9223372036854775808", PATH_ROW, "t", INT64_MIN, 0},
	{"/tables/t/range/-10..-1", PATH_RANGE, "t", -10, -1},
	{"/tables/t/range/3-7", PATH_RANGE, "t", 3, 7},
	{"/tables/t/range/3..3", PATH_RANGE, "t", 3, 3},
	{"/tables/t/first/0", PATH_FIRST, "t", 0, 0},
	{"/tables/t/last/4294967295", PATH_LAST, "t", 4294967295, 0},
	{"/tables/users/by-id/4294967295", PATH_ROW, "users", 4294967295, 0},
	{"/tables/users/range/1..2", PATH_RANGE, "users", 1, 2},
	{"/by-id/0", PATH_ROW, "", 0, 0},
	{"/by-id/4294967295", PATH_ROW, "", 4294967295, 0},
	{"/range/0-4294967295", PATH_RANGE, "", 0, 4294967295},
	{"/tables/a_1/rows", PATH_ROWS, "a_1", 0, 0},
	/* temporary files: any other name of by-id/ that does not look like a number */
	{"/by-id/.42.swp", PATH_TMP, "", 0, 0},
	{"/by-id/42~", PATH_TMP, "", 0, 0},
	{"/by-id/.#42", PATH_TMP, "", 0, 0},
	{"/by-id/sedAbc123", PATH_TMP, "", 0, 0},
	{"/by-id/1.0", PATH_TMP, "", 0, 0},
	{"/by-id/-", PATH_TMP, "", 0, 0},
	{"/by-id/ 5", PATH_TMP, "", 0, 0},
	{"/tables/t/by-id/tmpXYZ", PATH_TMP, "t", 0, 0},
	{"/tables/users/by-id/4294967296x", PATH_TMP, "users", 0, 0},
	/* not names */
	{"", PATH_NONE, "", 0, 0},
	{"rows", PATH_NONE, "", 0, 0},
	{"/nosuch", PATH_NONE, "", 0, 0},
	{"/schema", PATH_NONE, "", 0, 0},           /* a table directory's name only */
	{"/import", PATH_NONE, "", 0, 0},
	{"/tables/t/ctl", PATH_NONE, "", 0, 0},     /* a root name only */
	{"/tables/t/log", PATH_NONE, "", 0, 0},     /* a root name only */
	{"/tables/t/dump", PATH_NONE, "", 0, 0},
	{"/tables/t/tables", PATH_NONE, "", 0, 0},
	{"/tables/T", PATH_NONE, "", 0, 0},         /* listed in lower case */
	{"/tables/1t", PATH_NONE, "", 0, 0},
	{"/tables/t-x", PATH_NONE, "", 0, 0},
	{"/tables/t/by-id/-0", PATH_NONE, "", 0, 0},
	{"/tables/t/by-id/007", PATH_NONE, "", 0, 0},
	{"/tables/t/by-id/+5", PATH_NONE, "", 0, 0},
	{"/tables/t/by-id/9223372036854775808", PATH_NONE, "", 0, 0},
	{"/tables/t/range/7..3", PATH_NONE, "", 0, 0},
	{"/tables/t/range/-3-7", PATH_NONE, "", 0, 0},
	{"/tables/t/range/3--1", PATH_NONE, "", 0, 0},
	{"/tables/t/range/1..", PATH_NONE, "", 0, 0},
	{"/tables/t/first/-1", PATH_NONE, "", 0, 0},
	{"/tables/users/by-id/-1", PATH_NONE, "", 0, 0},
	{"/tables/users/by-id/4294967296", PATH_NONE, "", 0, 0},
	{"/by-id/-1", PATH_NONE, "", 0, 0},
	{"/range/1..2", PATH_NONE, "", 0, 0},       /* the root keeps Part 1's names */
	{"/rows/x", PATH_NONE, "", 0, 0},
	{"/by-id/1/x", PATH_NONE, "", 0, 0},
	{"/tables/t/by-id/1/x", PATH_NONE, "", 0, 0},
	{"/by-id/012", PATH_NONE, "", 0, 0},        /* looks like a number: no temporary file */
	{"/by-id/+5", PATH_NONE, "", 0, 0},
	{"/by-id/4294967296", PATH_NONE, "", 0, 0},
	{"/by-id/tmp/x", PATH_NONE, "", 0, 0},
	{"/range/tmp", PATH_NONE, "", 0, 0},        /* only by-id/ holds temporary files */
	{"/tmp", PATH_NONE, "", 0, 0},
};

START_TEST(test_parse)
{
	const struct parse_case *c = &cases[_i];
	struct path p;
	enum path_kind kind = path_parse(c->path, &p);

	ck_assert_msg(kind == c->kind, "'%s': kind %d, want %d", c->path, kind, c->kind);
	ck_assert_int_eq(p.kind, kind);
	if (kind == PATH_NONE)
		return;
	ck_assert_str_eq(p.table, c->table);
	if (kind == PATH_ROW)
		ck_assert_msg(p.key == c->a, "'%s': key %lld", c->path, (long long)p.key);
	if (kind == PATH_RANGE) {
		ck_assert_msg(p.start == c->a && p.end == c->b, "'%s': %lld..%lld", c->path,
			      (long long)p.start, (long long)p.end);
	}
	if (kind == PATH_TMP)
		ck_assert_str_eq(p.name, strrchr(c->path, '/') + 1);
	else
		ck_assert_str_eq(p.name, "");
	if (kind == PATH_FIRST || kind == PATH_LAST)
		ck_assert_msg((int64_t)p.count == c->a, "'%s': count %llu", c->path,
			      (unsigned long long)p.count);
}
END_TEST

/* Every fixed name of dir (prefix: its path) parses back as what is listed. */
static void check_listing(enum path_kind dir, const char *prefix, size_t want)
{
	enum path_kind kind;
	size_t i;

	for (i = 0; (kind = path_child(dir, i)) != PATH_NONE; i++) {
		const struct path_kind_info *info = path_info(kind);
		char path[128];
		struct path p;

		ck_assert_ptr_nonnull(info->name);
		snprintf(path, sizeof(path), "%s/%s", prefix, info->name);
		ck_assert_msg(path_parse(path, &p) == kind, "'%s' does not parse as listed", path);
		ck_assert_int_eq(p.dir, dir);
		ck_assert_int_eq(path_is_dir(kind), S_ISDIR(info->mode) != 0);
		/* a file has operations, a directory none; only ctl, import and rows are writable */
		ck_assert_int_eq(info->ops != NULL, !S_ISDIR(info->mode));
		ck_assert_int_eq(info->writable,
				 kind == PATH_CTL || kind == PATH_IMPORT || kind == PATH_ROW);
	}
	ck_assert_uint_eq(i, want);
}

START_TEST(test_listings)
{
	check_listing(PATH_ROOT, "", 16);
	check_listing(PATH_TABLE_DIR, "/tables/t", 11);
	ck_assert_int_eq(path_child(PATH_BYID_DIR, 0), PATH_NONE);
	ck_assert_int_eq(path_info(PATH_ROW)->mode, S_IFREG | 0644);
	ck_assert_int_eq(path_info(PATH_TMP)->mode, S_IFREG | 0644);
	ck_assert_int_eq(path_info(PATH_TMP)->dir, PATH_BYID_DIR);
	ck_assert_int_eq(path_info(PATH_TMP)->writable, 1);
	ck_assert_int_eq(path_info(PATH_IMPORT)->mode, S_IFREG | 0200);
	ck_assert_int_eq(path_info(PATH_CTL)->mode, S_IFREG | 0600);
	ck_assert_int_eq(path_info(PATH_TABLES_DIR)->mode, S_IFDIR | 0755);
	ck_assert_int_eq(path_info(PATH_RANGE_DIR)->mode, S_IFDIR | 0555);
	ck_assert_int_eq(path_info((enum path_kind)999)->mode, 0);
}
END_TEST

START_TEST(test_numbers)
{
	int64_t k;
	uint32_t u;

	ck_assert_int_eq(path_key("-1", 2, &k), 0);
	ck_assert_int_eq(k, -1);
	ck_assert_int_eq(path_key("-", 1, &k), -1);
	ck_assert_int_eq(path_key("", 0, &k), -1);
	ck_assert_int_eq(path_key("12345678901234567890", 20, &k), -1);
	ck_assert_int_eq(path_key("-9223372036854775809", 20, &k), -1);
	ck_assert_int_eq(path_number("4294967296", 10, &u), -1);
	ck_assert_int_eq(path_number("0", 1, &u), 0);
	ck_assert_uint_eq(u, 0);
}
END_TEST

static Suite *path_suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("names");

	tcase_add_loop_test(tc, test_parse, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_listings);
	tcase_add_test(tc, test_numbers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_path", path_suite());
}
