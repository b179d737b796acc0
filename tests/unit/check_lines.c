/*
 * check_lines.c - unit tests of engine/lines.c, the lines of the
 * renderings and their sizes: users' Part 1 lines and the typed lines of
 * the other tables, byte for byte on known rows; then, on random rows of
 * random tables (every type, texts of escapes, control characters, quotes
 * and UTF-8, reals of every notation, blobs, NULL), for every rendering:
 * rowfs_line writes exactly rowfs_line_size bytes (the bytes after it
 * untouched), rowfs_line_bound is never below it, lines_sizes of every
 * mask and of a sizes-only shape (lines_shape, what the VM counts with)
 * agree with it, lines_seed_sizes and lines_seed_rows_size too, and
 * lines_count adds and takes away exactly that.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "rowfs.h"
#include "testutil.h"

/* The line of vals in lines as a NUL-terminated string (static buffer). */
static const char *line_of(int lines, const struct rowfs_lines_table *t,
			   const struct rowfs_value *vals, unsigned n)
{
	static char buf[8192];
	size_t len = rowfs_line(lines, t, vals, n, buf);

	ck_assert_uint_eq(len, rowfs_line_size(lines, t, vals, n));
	buf[len] = '\0';
	return buf;
}

static struct rowfs_value text(const char *s)
{
	struct rowfs_value v;

	memset(&v, 0, sizeof(v));
	v.type = ROWFS_TYPE_TEXT;
	v.p = s;
	v.len = strlen(s);
	return v;
}

static struct rowfs_value integer(int64_t i)
{
	struct rowfs_value v;

	memset(&v, 0, sizeof(v));
	v.type = ROWFS_TYPE_INTEGER;
	v.i = i;
	return v;
}

START_TEST(test_seed_lines)
{
	struct rowfs_lines_table t;
	struct rowfs_value v[2];

	ck_assert_int_eq(rowfs_lines_init(&t, NULL), ROWFS_OK);
	ck_assert_uint_eq(t.header_len, 12);
	ck_assert_int_eq(memcmp(t.header, "id,username\n", 12), 0);
	v[0] = integer(42);
	v[1] = text("alice");
	ck_assert_str_eq(line_of(ROWFS_LINES_ROWS, &t, v, 2), "42\talice\n");
	ck_assert_str_eq(line_of(ROWFS_LINES_CSV, &t, v, 2), "42,alice\n");
	ck_assert_str_eq(line_of(ROWFS_LINES_NDJSON, &t, v, 2), "{\"id\":42,\"username\":\"alice\"}\n");
	ck_assert_str_eq(line_of(ROWFS_LINES_DUMP, &t, v, 2), "insert 42 alice\n");
	v[1] = text("--x");
	ck_assert_str_eq(line_of(ROWFS_LINES_DUMP, &t, v, 2),
			 "insert into users values (42, '--x')\n");
	v[1] = text(" a,\"b");
	ck_assert_str_eq(line_of(ROWFS_LINES_CSV, &t, v, 2), "42,\" a,\"\"b\"\n");
	v[1] = text("a\x7f\xff\"\\");
	ck_assert_str_eq(line_of(ROWFS_LINES_NDJSON, &t, v, 2),
			 "{\"id\":42,\"username\":\"a\\u007f\\ufffd\\\"\\\\\"}\n");
	v[0] = integer(4294967295);
	v[1] = text("0123456789012345678901234567890123456789");   /* cut to 32 */
	ck_assert_str_eq(line_of(ROWFS_LINES_ROWS, &t, v, 2),
			 "4294967295\t01234567890123456789012345678901\n");
	rowfs_lines_release(&t);
	rowfs_lines_release(&t);   /* twice is fine */
}
END_TEST

/* A table t(id integer key, s text, r real, b blob, n integer). */
static void five_columns(struct rowfs_table_info *info)
{
	static const char *const names[] = {"id", "s", "r", "b", "n"};
	static const int types[] = {ROWFS_TYPE_INTEGER, ROWFS_TYPE_TEXT, ROWFS_TYPE_REAL,
				    ROWFS_TYPE_BLOB, ROWFS_TYPE_INTEGER};
	unsigned i;

	memset(info, 0, sizeof(*info));
	strcpy(info->name, "t");
	info->column_count = 5;
	for (i = 0; i < 5; i++) {
		strcpy(info->columns[i].name, names[i]);
		info->columns[i].type = types[i];
	}
	info->columns[0].is_key = 1;
}

START_TEST(test_typed_lines)
{
	struct rowfs_table_info info;
	struct rowfs_lines_table t;
	struct rowfs_value v[5];

	five_columns(&info);
	ck_assert_int_eq(rowfs_lines_init(&t, &info), ROWFS_OK);
	ck_assert_uint_eq(t.header_len, 11);
	ck_assert_int_eq(memcmp(t.header, "id,s,r,b,n\n", 11), 0);
	memset(v, 0, sizeof(v));
	v[0] = integer(-7);
	v[1] = text("a\tb\n'c\",");
	v[2].type = ROWFS_TYPE_REAL;
	v[2].r = 2.5;
	v[3].type = ROWFS_TYPE_BLOB;
	v[3].p = "\x00\xff";
	v[3].len = 2;
	v[4].type = ROWFS_TYPE_NULL;
	ck_assert_str_eq(line_of(ROWFS_LINES_ROWS, &t, v, 5), "-7\ta\\tb\\n'c\",\t2.5\t\\x00ff\t\\N\n");
	ck_assert_str_eq(line_of(ROWFS_LINES_CSV, &t, v, 5), "-7,\"a\tb\n'c\"\",\",2.5,\\x00ff,\n");
	ck_assert_str_eq(line_of(ROWFS_LINES_NDJSON, &t, v, 5),
			 "{\"id\":-7,\"s\":\"a\\u0009b\\u000a'c\\\",\",\"r\":2.5,\"b\":\"\\\\x00ff\","
			 "\"n\":null}\n");
	ck_assert_str_eq(line_of(ROWFS_LINES_DUMP, &t, v, 5),
			 "insert into t values (-7, E'a\\tb\\n\\'c\",', 2.5, x'00ff', null)\n");
	rowfs_lines_release(&t);
}
END_TEST

/* Random bytes for a text: escapes, quotes, controls, UTF-8, now and then invalid UTF-8. */
static size_t random_text(uint64_t *rng, char *out, size_t max, int utf8_only)
{
	static const char *const pieces[] = {"a", "Z", "0", " ", "\t", "\n", "\r", "\\", "'", "\"",
					     ",", "\x01", "\x7f", "--", "\xc3\xa9", "\xe6\x97\xa5",
					     "\xf0\x9f\x98\x80", "\xff", "\xc3"};
	size_t len = 0, count = (size_t)(tu_next_random(rng) % 12);
	size_t i, np = sizeof(pieces) / sizeof(pieces[0]) - (utf8_only ? 2 : 0);

	for (i = 0; i < count; i++) {
		const char *p = pieces[tu_next_random(rng) % np];
		size_t n = strlen(p);

		if (len + n > max)
			break;
		memcpy(out + len, p, n);
		len += n;
	}
	return len;
}

/* A random value of a random type into v (bytes in store, max room). */
static void random_value(uint64_t *rng, struct rowfs_value *v, char *store, size_t max)
{
	static const double reals[] = {0.1, 2.5, -0.0, 1e100, 1e-5, 123456789.125, 3.0, -1e16,
				       1.5e-7, 1e22};
	memset(v, 0, sizeof(*v));
	switch (tu_next_random(rng) % 5) {
	case 0:
		v->type = ROWFS_TYPE_NULL;
		break;
	case 1:
		v->type = ROWFS_TYPE_INTEGER;
		v->i = (int64_t)tu_next_random(rng) >> (tu_next_random(rng) % 64);
		break;
	case 2:
		v->type = ROWFS_TYPE_REAL;
		v->r = reals[tu_next_random(rng) % (sizeof(reals) / sizeof(reals[0]))] *
		       (double)(1 + tu_next_random(rng) % 7);
		break;
	case 3:
		v->type = ROWFS_TYPE_TEXT;
		v->p = store;
		v->len = random_text(rng, store, max, 1);
		break;
	default:
		v->type = ROWFS_TYPE_BLOB;
		v->p = store;
		v->len = (size_t)(tu_next_random(rng) % 9);
		memset(store, (int)(tu_next_random(rng) & 0xff), v->len);
		break;
	}
}

/* Every check of one row of t (shape: the sizes-only twin of t). */
static void check_row(const struct rowfs_lines_table *t, const struct rowfs_lines_table *shape,
		      const struct rowfs_value *vals, unsigned n)
{
	static char buf[16384];
	uint64_t all[ROWFS_LINES_COUNT], from_shape[ROWFS_LINES_COUNT];
	struct lines_delta d;
	unsigned mask;
	int l;

	lines_sizes(t, LINES_ALL, vals, n, all);
	lines_sizes(shape, LINES_ALL, vals, n, from_shape);
	for (l = 0; l < ROWFS_LINES_COUNT; l++) {
		size_t size = rowfs_line_size(l, t, vals, n), len;

		memset(buf, 0x5a, size + 16);
		len = rowfs_line(l, t, vals, n, buf);
		ck_assert_uint_eq(len, size);
		ck_assert_int_eq(buf[len - 1], '\n');
		/* one line (a CSV field may quote one; users' lines show names as stored) */
		ck_assert_msg(memchr(buf, '\n', len - 1) == NULL || l == ROWFS_LINES_CSV || t->seed,
			      "rendering %d: a newline inside the line", l);
		ck_assert_int_eq(buf[len], 0x5a);   /* nothing written past it */
		ck_assert_uint_ge(rowfs_line_bound(l, t, vals, n), size);
		ck_assert_uint_eq(all[l], size);
		ck_assert_uint_eq(from_shape[l], size);
	}
	for (mask = 0; mask <= LINES_ALL; mask++) {
		uint64_t some[ROWFS_LINES_COUNT] = {1, 1, 1, 1};

		lines_sizes(t, mask, vals, n, some);
		for (l = 0; l < ROWFS_LINES_COUNT; l++)
			ck_assert_uint_eq(some[l], (mask & ROWFS_LINES_BIT(l)) ? all[l] : 1);
		memset(&d, 0, sizeof(d));
		d.count = mask;
		lines_count(&d, shape, vals, n, 1);
		lines_count(&d, shape, vals, n, 1);
		lines_count(&d, t, vals, n, -1);
		ck_assert_int_eq(d.changed, 1);
		ck_assert_int_eq(d.rows, mask ? 1 : 0);
		for (l = 0; l < ROWFS_LINES_COUNT; l++)
			ck_assert_int_eq(d.bytes[l],
					 (mask & ROWFS_LINES_BIT(l)) ? (int64_t)all[l] : 0);
	}
}

START_TEST(test_random_typed)
{
	uint64_t rng = tu_seed("ROWFS_LINES_SEED", 0x11e5);
	static char store[ROWFS_COLUMNS_MAX][64];
	struct rowfs_value vals[ROWFS_COLUMNS_MAX];
	struct rowfs_table_info info;
	int round;

	for (round = 0; round < 300; round++) {
		struct rowfs_lines_table t, shape;
		unsigned n = 1 + (unsigned)(tu_next_random(&rng) % 8), i;
		size_t names = 0;
		int row;

		memset(&info, 0, sizeof(info));
		snprintf(info.name, sizeof(info.name), "t%u", (unsigned)(tu_next_random(&rng) % 1000));
		info.column_count = n;
		for (i = 0; i < n; i++) {
			snprintf(info.columns[i].name, sizeof(info.columns[i].name), "c%.*s%u",
				 (int)(tu_next_random(&rng) % 20), "xxxxxxxxxxxxxxxxxxxx", i);
			names += strlen(info.columns[i].name);
		}
		ck_assert_int_eq(rowfs_lines_init(&t, &info), ROWFS_OK);
		lines_shape(&shape, 0, strlen(info.name), n, names);
		for (row = 0; row < 20; row++) {
			for (i = 0; i < n; i++)
				random_value(&rng, &vals[i], store[i], sizeof(store[i]));
			check_row(&t, &shape, vals, n);
		}
		rowfs_lines_release(&t);
	}
}
END_TEST

START_TEST(test_random_seed)
{
	uint64_t rng = tu_seed("ROWFS_LINES_SEED", 0x5eed);
	struct rowfs_lines_table t, shape;
	struct rowfs_value vals[2];
	char name[64];
	int round;

	ck_assert_int_eq(rowfs_lines_init(&t, NULL), ROWFS_OK);
	lines_shape(&shape, 1, 0, 0, 0);
	for (round = 0; round < 3000; round++) {
		uint64_t sizes[ROWFS_LINES_COUNT], seed[ROWFS_LINES_COUNT];
		uint32_t id = (uint32_t)(tu_next_random(&rng) >> (tu_next_random(&rng) % 33));
		int l;

		vals[0] = integer(id);
		memset(&vals[1], 0, sizeof(vals[1]));
		vals[1].type = ROWFS_TYPE_TEXT;
		vals[1].p = name;
		vals[1].len = random_text(&rng, name, round % 7 ? 32 : sizeof(name), 0);
		check_row(&t, &shape, vals, 2);
		lines_sizes(&t, LINES_ALL, vals, 2, sizes);
		lines_seed_sizes(LINES_ALL, id, name, vals[1].len, seed);
		for (l = 0; l < ROWFS_LINES_COUNT; l++)
			ck_assert_uint_eq(seed[l], sizes[l]);
		lines_seed_sizes(ROWFS_LINES_BIT(ROWFS_LINES_ROWS), id, name, vals[1].len, seed);
		ck_assert_uint_eq(seed[ROWFS_LINES_ROWS], sizes[ROWFS_LINES_ROWS]);
		if (vals[1].len <= ROWFS_USERNAME_MAX)
			ck_assert_uint_eq(lines_seed_rows_size(id, vals[1].len),
					  sizes[ROWFS_LINES_ROWS]);
	}
	rowfs_lines_release(&t);
}
END_TEST

static Suite *lines_suite(void)
{
	Suite *s = suite_create("lines");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, test_seed_lines);
	tcase_add_test(tc, test_typed_lines);
	tcase_add_test(tc, test_random_typed);
	tcase_add_test(tc, test_random_seed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_lines", lines_suite());
}
