/*
 * check_files.c - unit tests of fs/files.c's `dump` stream: read through
 * the handle's read transaction in pieces of any size (1 byte, odd sizes,
 * a line longer than the buffer), it is exactly the engine's dump
 * (rowfs_dump) of that transaction, whatever is written meanwhile; a
 * read at offset 0 starts over and a read at another offset skips to it.
 */
#include <config.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "rowfs.h"
#include "testutil.h"

static struct rowfs_db *open_db(void)
{
	struct rowfs_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_db_path;
	cfg.sync = ROWFS_SYNC_OFF;
	return tu_open(&cfg);
}

static void run(struct rowfs_db *db, const char *line)
{
	free(tu_reply_of(db, line));
}

/* The engine's dump of snap. */
static char *engine_dump(struct rowfs_txn *snap)
{
	struct rowfs_dump_pos pos;
	struct tu_buf b = {0};
	struct rowfs_err err;

	memset(&pos, 0, sizeof(pos));
	ck_assert_int_eq(rowfs_dump(snap, &pos, tu_buf_emit, &b, &err), ROWFS_OK);
	return b.data;
}

/* The whole stream read sequentially in pieces of piece bytes. */
static char *read_stream(struct files_rows *r, size_t piece)
{
	struct tu_buf b = {0};
	struct rowfs_err err;
	char *buf = malloc(piece);
	uint64_t off = 0;
	ssize_t n;

	while ((n = files_rows_read(r, buf, piece, off, &err)) > 0) {
		tu_buf_emit(&b, buf, (size_t)n);
		off += (uint64_t)n;
	}
	ck_assert_int_eq(n, 0);
	free(buf);
	return b.data;
}

START_TEST(test_dump_stream)
{
	static const size_t pieces[] = {1, 7, 100, 4096, 65536};
	struct rowfs_db *db = open_db();
	struct rowfs_txn *snap;
	struct files_rows r;
	struct rowfs_err err;
	char *want, *got, line[4000];
	size_t i;

	run(db, "insert 3 three");
	run(db, "create table t (id integer primary key, s text, b blob)");
	run(db, "insert into t values (-1, E'a\\nb', x'00'), (2, null, null)");
	snprintf(line, sizeof(line), "insert into t values (5, '%0*d', null)", 3000, 7);
	run(db, line);
	run(db, "create table e (id integer primary key)");
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &snap, &err), ROWFS_OK);
	want = engine_dump(snap);
	ck_assert_ptr_nonnull(strstr(want, "begin\ninsert 3 three\ncreate table t "));
	/* written after the snapshot: not in its dump */
	run(db, "insert into t values (9, 'late', null)");
	run(db, "drop table e");
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		ck_assert_int_eq(files_rows_init(&r, NULL, NULL, RENDER_DUMP, 0, INT64_MAX, UINT64_MAX, snap), 0);
		got = read_stream(&r, pieces[i]);
		ck_assert_msg(strcmp(got, want) == 0, "pieces of %zu:\n%s", pieces[i], got);
		free(got);
		/* offset 0 starts over; another offset skips to it */
		{
			char buf[64];
			ssize_t n = files_rows_read(&r, buf, 10, 0, &err);

			ck_assert_int_eq(n, 10);
			ck_assert_int_eq(memcmp(buf, want, 10), 0);
			n = files_rows_read(&r, buf, 20, 3050, &err);
			ck_assert_int_eq(n, 20);
			ck_assert_int_eq(memcmp(buf, want + 3050, 20), 0);
		}
		files_rows_release(&r);
	}
	free(want);
	rowfs_txn_abort(snap);
	tu_close(db);
}
END_TEST

static Suite *files_suite(void)
{
	Suite *s = suite_create("files");
	TCase *tc = tcase_create("dump");

	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_test(tc, test_dump_stream);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_files", files_suite());
}
