/*
 * check_tmpfile.c - unit tests of fs/tmpfile.c, the temporary files of
 * by-id/: names per directory, create/find/unlink/rename, holders that
 * keep an unlinked file alive, and a randomized run of writes at
 * offsets, truncates and reads on several files compared with a model
 * (plain buffers), with the memory bound checked after every step: the
 * set's bytes are the sum of what the files allocated, never past the
 * limit, and ENOSPC only when the exact need would pass it.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpfile.h"
#include "testutil.h"

START_TEST(test_names)
{
	struct tmpfiles set;
	struct tmpfile *a, *b, *c;
	char big[300];

	tmpfiles_init(&set, 1 << 20);
	ck_assert_int_eq(tmpfiles_create(&set, "", ".42.swp", &a), 0);
	ck_assert_int_eq(tmpfiles_create(&set, "t", ".42.swp", &b), 0);   /* another directory */
	ck_assert_ptr_eq(tmpfiles_find(&set, "", ".42.swp"), a);
	ck_assert_ptr_eq(tmpfiles_find(&set, "t", ".42.swp"), b);
	ck_assert_ptr_null(tmpfiles_find(&set, "users", ".42.swp"));
	ck_assert_uint_eq(set.count, 2);

	/* rename over another file replaces it; b's holder keeps it alive */
	ck_assert_int_eq(tmpfiles_create(&set, "t", "sedXYZ", &c), 0);
	ck_assert_int_eq(tmpfile_write(&set, c, "abc\n", 4, 0), 4);
	ck_assert_int_eq(tmpfile_rename(&set, c, ".42.swp"), 0);
	ck_assert_ptr_eq(tmpfiles_find(&set, "t", ".42.swp"), c);
	ck_assert_ptr_null(tmpfiles_find(&set, "t", "sedXYZ"));
	ck_assert_uint_eq(set.count, 3);
	tmpfile_drop(&set, b);   /* the last holder of an unnamed file: freed */
	ck_assert_uint_eq(set.count, 2);
	ck_assert_int_eq(tmpfile_rename(&set, c, ".42.swp"), 0);   /* to itself: nothing */
	ck_assert_uint_eq(tmpfile_size(c), 4);

	/* unlink while held: not found, still readable, freed at the drop */
	tmpfile_unlink(&set, c);
	ck_assert_ptr_null(tmpfiles_find(&set, "t", ".42.swp"));
	{
		char buf[8];

		ck_assert_uint_eq(tmpfile_read(c, buf, sizeof(buf), 0), 4);
		ck_assert_int_eq(memcmp(buf, "abc\n", 4), 0);
	}
	ck_assert_uint_eq(set.count, 2);
	tmpfile_drop(&set, c);
	ck_assert_uint_eq(set.count, 1);

	/* a named file whose holders let go stays */
	tmpfile_drop(&set, a);
	ck_assert_ptr_eq(tmpfiles_find(&set, "", ".42.swp"), a);
	tmpfile_hold(a);
	tmpfile_drop(&set, a);
	tmpfile_unlink(&set, a);   /* no holder: freed now */
	ck_assert_uint_eq(set.count, 0);
	ck_assert_uint_eq(set.bytes, 0);

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(tmpfiles_create(&set, "", big, &a), -ENAMETOOLONG);
	tmpfiles_release(&set);
}
END_TEST

START_TEST(test_file_count)
{
	struct tmpfiles set;
	struct tmpfile *f;
	char name[32];
	unsigned i;

	tmpfiles_init(&set, 1 << 20);
	for (i = 0; i < TMPFILE_FILES_MAX; i++) {
		snprintf(name, sizeof(name), "tmp%u", i);
		REQUIRE(tmpfiles_create(&set, "", name, &f) == 0, "create %u", i);
		tmpfile_drop(&set, f);
	}
	ck_assert_int_eq(tmpfiles_create(&set, "", "one-more", &f), -ENOSPC);
	tmpfile_unlink(&set, tmpfiles_find(&set, "", "tmp7"));
	ck_assert_int_eq(tmpfiles_create(&set, "", "one-more", &f), 0);
	tmpfiles_release(&set);
	ck_assert_uint_eq(set.count, 0);
}
END_TEST

START_TEST(test_bound)
{
	struct tmpfiles set;
	struct tmpfile *a, *b;
	static char buf[100 << 10];

	tmpfiles_init(&set, 100000);
	ck_assert_int_eq(tmpfiles_create(&set, "", "a", &a), 0);
	ck_assert_int_eq(tmpfiles_create(&set, "", "b", &b), 0);
	size_t room;

	ck_assert_int_eq(tmpfile_write(&set, a, buf, 60000, 0), 60000);
	ck_assert_uint_ge(set.bytes, 60000);   /* what a allocated, doubling */
	ck_assert_uint_le(set.bytes, 100000);
	room = 100000 - set.bytes;
	ck_assert_int_eq(tmpfile_write(&set, b, buf, room + 1, 0), -ENOSPC);
	ck_assert_uint_eq(tmpfile_size(b), 0);
	ck_assert_int_eq(tmpfile_write(&set, b, buf, room, 0), (ssize_t)room);   /* exactly */
	ck_assert_uint_eq(set.bytes, 100000);
	ck_assert_int_eq(tmpfile_write(&set, b, "x", 1, room), -ENOSPC);
	ck_assert_int_eq(tmpfile_truncate(&set, b, room + 1), -ENOSPC);
	ck_assert_int_eq(tmpfile_write(&set, a, "x", 1, (uint64_t)1 << 62), -ENOSPC);
	ck_assert_int_eq(tmpfile_truncate(&set, a, 0), 0);   /* frees what a held */
	ck_assert_uint_eq(set.bytes, room);
	ck_assert_int_eq(tmpfile_write(&set, b, "x", 1, room), 1);
	ck_assert_uint_eq(tmpfile_size(b), room + 1);
	tmpfiles_release(&set);
	ck_assert_uint_eq(set.bytes, 0);
}
END_TEST

#define FILES 4
#define MAX_SIZE 20000

/* The randomized run against plain buffers. */
START_TEST(test_random_model)
{
	uint64_t rng = tu_seed("ROWFS_SEED", 6900);
	struct tmpfiles set;
	struct tmpfile *files[FILES];
	static char model[FILES][MAX_SIZE * 2];
	size_t model_len[FILES] = {0};
	static char buf[MAX_SIZE * 2], data[MAX_SIZE];
	size_t limit = 3 * MAX_SIZE;
	unsigned full = 0;   /* ENOSPC seen: the run reaches the bound */
	int step, i;

	tmpfiles_init(&set, limit);
	for (i = 0; i < FILES; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%d", i);
		ck_assert_int_eq(tmpfiles_create(&set, "", name, &files[i]), 0);
	}
	for (step = 0; step < 20000; step++) {
		uint64_t r = tu_next_random(&rng);
		int k = (int)(r % FILES);
		struct tmpfile *f = files[k];
		size_t off = (size_t)((r >> 8) % MAX_SIZE);
		size_t len = (size_t)((r >> 24) % 3000);
		size_t j, n, total = 0;
		uint64_t before = set.bytes;

		switch ((r >> 40) % 4) {
		case 0:
		case 1: {   /* write */
			ssize_t w;

			for (j = 0; j < len; j++)
				data[j] = (char)(tu_next_random(&rng) & 0xff);
			w = tmpfile_write(&set, f, data, len, off);
			if (w == -ENOSPC) {
				/* only when even the exact size would pass the bound */
				REQUIRE(len > 0 && off + len > model_len[k] &&
						before + (off + len - model_len[k]) > limit,
					"step %d: ENOSPC with room", step);
				REQUIRE(set.bytes == before, "step %d: ENOSPC changed bytes", step);
				full++;
				break;
			}
			REQUIRE(w == (ssize_t)len, "step %d: write %zd", step, w);
			if (len > 0 && off > model_len[k])
				memset(model[k] + model_len[k], 0, off - model_len[k]);
			memcpy(model[k] + off, data, len);
			if (len > 0 && off + len > model_len[k])
				model_len[k] = off + len;
			break;
		}
		case 2: {   /* truncate */
			int rc = tmpfile_truncate(&set, f, off);

			if (rc == -ENOSPC) {
				REQUIRE(off > model_len[k] && before + (off - model_len[k]) > limit,
					"step %d: ENOSPC with room", step);
				full++;
				break;
			}
			REQUIRE(rc == 0, "step %d: truncate %d", step, rc);
			if (off > model_len[k])
				memset(model[k] + model_len[k], 0, off - model_len[k]);
			model_len[k] = off;
			break;
		}
		default: {  /* read */
			n = tmpfile_read(f, buf, len, off);
			REQUIRE(n == (off < model_len[k] ? (model_len[k] - off < len ?
							     model_len[k] - off : len) : 0),
				"step %d: read %zu", step, n);
			REQUIRE(memcmp(buf, model[k] + off, n) == 0, "step %d: read bytes", step);
			break;
		}
		}
		REQUIRE(tmpfile_size(f) == model_len[k], "step %d: size", step);
		REQUIRE(set.bytes <= limit, "step %d: %llu bytes past the limit", step,
			(unsigned long long)set.bytes);
		for (i = 0; i < FILES; i++)
			total += model_len[i];
		REQUIRE(set.bytes >= total, "step %d: bytes below the content", step);
	}
	for (i = 0; i < FILES; i++) {
		REQUIRE(tmpfile_read(files[i], buf, sizeof(buf), 0) == model_len[i], "final size");
		REQUIRE(memcmp(buf, model[i], model_len[i]) == 0, "final content of f%d", i);
		ck_assert_int_eq(model_len[i] == 0 || tmpfile_data(files[i]) != NULL, 1);
	}
	ck_assert_uint_gt(full, 0);
	tmpfiles_release(&set);
	ck_assert_uint_eq(set.bytes, 0);
	ck_assert_uint_eq(set.count, 0);
}
END_TEST

static Suite *tmpfile_suite(void)
{
	Suite *s = suite_create("tmpfile");
	TCase *tc = tcase_create("files");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_file_count);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_random_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_tmpfile", tmpfile_suite());
}
