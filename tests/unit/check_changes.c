/*
 * check_changes.c - unit tests of fs/changes.c without a mount: the feed
 * of a real database (insert, update, delete lines with their seq, a
 * commit of many statements in several chunks), readers starting at the
 * end, offsets and rereads, whole lines only, trimming past the slowest
 * reader, the bound and the sticky ESTALE of a reader that fell behind,
 * poll handles (notified once per commit, dropped when replaced or on
 * detach) and the waiter limit.
 *
 * Poll handles are fake: pointers to counters that notify and drop bump.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changes.h"
#include "testutil.h"

/* A fake poll handle. */
struct fake_poll {
	unsigned notified;  /* times notify got it */
	unsigned dropped;   /* times drop got it */
};

static void fake_notify(void *poll)
{
	((struct fake_poll *)poll)->notified++;
}

static void fake_drop(void *poll)
{
	((struct fake_poll *)poll)->dropped++;
}

static struct rowfs_db *db;
static struct changes *feed;

static void setup(void)
{
	struct rowfs_config cfg;

	tu_dir_setup();
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_path("test.db");
	cfg.sync = ROWFS_SYNC_OFF;
	db = tu_open(&cfg);
	feed = changes_new(db, fake_notify, fake_drop, 4);
	ck_assert_ptr_nonnull(feed);
}

static void teardown(void)
{
	changes_free(feed);
	tu_close(db);
	tu_dir_teardown();
}

/* Run the statements of lines ('\n'-separated) as one transaction. */
static void commit_lines(const char *lines)
{
	struct rowfs_err err;
	struct tu_buf out = {0};
	const char *p = lines;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		ck_assert_int_eq(tu_exec_len(db, p, len, &out, &err), ROWFS_OK);
		p += len + (nl ? 1 : 0);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_buf_free(&out);
}

/* Everything r can read from offset *off on (reads of size bytes), NUL-terminated. */
static char *read_all(struct changes_reader *r, uint64_t *off, size_t size)
{
	struct tu_buf text = {0};
	char *buf = malloc(size);
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	while ((n = changes_read(feed, r, buf, size, *off)) > 0) {
		REQUIRE(buf[n - 1] == '\n', "a read ended inside a line");
		REQUIRE(tu_buf_emit(&text, buf, (size_t)n) == 0, "out of memory");
		*off += (uint64_t)n;
	}
	ck_assert_int_eq(n, 0);
	free(buf);
	REQUIRE(tu_buf_emit(&text, "", 1) == 0, "out of memory");
	return text.data;
}

START_TEST(test_lines_of_a_real_database)
{
	struct changes_reader r;
	uint64_t off = 0;
	char exp[256];
	uint64_t s;
	char *got;

	commit_lines("insert 1 before");   /* before the reader: not seen */
	changes_attach(feed, &r);
	commit_lines("insert 2 alice");
	s = rowfs_last_seq(db);
	commit_lines("update 2 bob\ndelete 1\ninsert 3 carol");
	snprintf(exp, sizeof(exp),
		 "%llu insert 2 alice\n%llu update 2 bob\n%llu delete 1\n%llu insert 3 carol\n",
		 (unsigned long long)s, (unsigned long long)s + 1, (unsigned long long)s + 1,
		 (unsigned long long)s + 1);
	got = read_all(&r, &off, 4096);
	ck_assert_str_eq(got, exp);
	free(got);
	changes_detach(feed, &r);
}
END_TEST

START_TEST(test_failed_statement_and_select_are_not_in_the_feed)
{
	struct changes_reader r;
	struct rowfs_err err;
	struct tu_buf out = {0};
	uint64_t off = 0;
	char exp[64];
	char *got;

	changes_attach(feed, &r);
	commit_lines("insert 1 a");
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, "insert 1 again", &out, &err), ROWFS_DUPLICATE);
	ck_assert_int_eq(tu_exec(db, "select", &out, &err), ROWFS_OK);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	snprintf(exp, sizeof(exp), "%llu insert 1 a\n", (unsigned long long)rowfs_last_seq(db));
	got = read_all(&r, &off, 4096);
	ck_assert_str_eq(got, exp);
	free(got);
	tu_buf_free(&out);
	changes_detach(feed, &r);
}
END_TEST

START_TEST(test_big_commit_arrives_in_chunks_and_reads_whole)
{
	struct changes_reader r;
	struct rowfs_err err;
	struct tu_buf out = {0};
	char line[64];
	uint64_t off = 0;
	char *got, *p;
	unsigned i;

	changes_attach(feed, &r);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < 3000; i++) {
		snprintf(line, sizeof(line), "insert %u name%u", i, i);
		REQUIRE(tu_exec(db, line, &out, &err) == ROWFS_OK, "insert %u", i);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	/* odd read sizes: every read still ends at a newline */
	got = read_all(&r, &off, 1000);
	for (i = 0, p = got; i < 3000; i++) {
		int n = snprintf(line, sizeof(line), "%llu insert %u name%u\n",
				 (unsigned long long)rowfs_last_seq(db), i, i);

		REQUIRE(strncmp(p, line, (size_t)n) == 0, "line %u: %.40s", i, p);
		p += n;
	}
	ck_assert_str_eq(p, "");
	free(got);
	tu_buf_free(&out);
	changes_detach(feed, &r);
}
END_TEST

START_TEST(test_partial_commit_is_invisible)
{
	struct changes_reader r;
	struct fake_poll fp = {0};
	char buf[256];

	changes_attach(feed, &r);
	changes_set_poll(feed, &r, &fp);
	changes_append(feed, 7, "7 insert 1 a\n", 13, 0);
	ck_assert_int_eq(changes_read(feed, &r, buf, sizeof(buf), 0), 0);
	ck_assert_uint_eq(changes_ready(feed, &r), 0);
	ck_assert_uint_eq(fp.notified, 0);
	changes_append(feed, 7, "7 insert 2 b\n", 13, 0);
	changes_append(feed, 7, "", 0, 1);
	ck_assert_uint_eq(fp.notified, 1);
	ck_assert_uint_eq(changes_ready(feed, &r), POLLIN);
	ck_assert_int_eq(changes_read(feed, &r, buf, sizeof(buf), 0), 26);
	ck_assert_int_eq(memcmp(buf, "7 insert 1 a\n7 insert 2 b\n", 26), 0);
	ck_assert_uint_eq(changes_ready(feed, &r), 0);
	/* notified once: the handle is gone until the next poll */
	changes_append(feed, 8, "8 delete 1\n", 11, 1);
	ck_assert_uint_eq(fp.notified, 1);
	changes_detach(feed, &r);
	ck_assert_uint_eq(fp.dropped, 0);
}
END_TEST

START_TEST(test_whole_lines_and_small_buffers)
{
	struct changes_reader r;
	char buf[64];

	changes_attach(feed, &r);
	changes_append(feed, 1, "1 insert 1 a\n1 insert 22 bb\n", 28, 1);
	/* 20 bytes hold the first line (13) only */
	ck_assert_int_eq(changes_read(feed, &r, buf, 20, 0), 13);
	/* 10 bytes hold no whole line: the first 10 bytes of it, then the rest */
	ck_assert_int_eq(changes_read(feed, &r, buf, 10, 13), 10);
	ck_assert_int_eq(memcmp(buf, "1 insert 2", 10), 0);
	/* a read of 0 bytes reads nothing */
	ck_assert_int_eq(changes_read(feed, &r, buf, 0, 23), 0);
	ck_assert_int_eq(changes_read(feed, &r, buf, 10, 23), 5);
	ck_assert_int_eq(memcmp(buf, "2 bb\n", 5), 0);
	/* the text of the latest read reads again */
	ck_assert_int_eq(changes_read(feed, &r, buf, 15, 23), 5);
	ck_assert_int_eq(changes_read(feed, &r, buf, sizeof(buf), 28), 0);
	changes_detach(feed, &r);
}
END_TEST

START_TEST(test_offsets_reread_and_independent_readers)
{
	struct changes_reader a, b;
	char buf[64];

	changes_attach(feed, &a);
	changes_append(feed, 1, "1 delete 1\n", 11, 1);
	changes_attach(feed, &b);   /* starts after seq 1 */
	changes_append(feed, 2, "2 delete 2\n", 11, 1);
	ck_assert_int_eq(changes_read(feed, &b, buf, sizeof(buf), 0), 11);
	ck_assert_int_eq(memcmp(buf, "2 delete 2\n", 11), 0);
	ck_assert_int_eq(changes_read(feed, &a, buf, sizeof(buf), 0), 22);
	/* a seek back into what the latest read returned (bash's read does it) */
	ck_assert_int_eq(changes_read(feed, &a, buf, sizeof(buf), 11), 11);
	ck_assert_int_eq(memcmp(buf, "2 delete 2\n", 11), 0);
	ck_assert_int_eq(changes_read(feed, &a, buf, sizeof(buf), 22), 0);
	ck_assert_int_eq(changes_read(feed, &b, buf, sizeof(buf), 11), 0);
	ck_assert_uint_eq(changes_retained(feed), 0);
	changes_detach(feed, &a);
	changes_detach(feed, &b);
}
END_TEST

START_TEST(test_trimmed_past_the_slowest_reader)
{
	struct changes_reader fast, slow;
	char buf[4096];
	uint64_t off = 0;
	unsigned i;

	changes_attach(feed, &fast);
	changes_attach(feed, &slow);
	for (i = 0; i < 100; i++) {
		changes_append(feed, i + 1, "9 delete 9\n", 11, 1);
		REQUIRE(changes_read(feed, &fast, buf, sizeof(buf), off) == 11, "fast read %u", i);
		off += 11;
	}
	/* the slow reader holds all of it (the fast one only its latest read) */
	ck_assert_uint_eq(changes_retained(feed), 1100);
	ck_assert_int_eq(changes_read(feed, &slow, buf, sizeof(buf), 0), 1100);
	/* kept until its next read, which may seek back into it */
	ck_assert_uint_eq(changes_retained(feed), 1100);
	ck_assert_int_eq(changes_read(feed, &slow, buf, sizeof(buf), 1100), 0);
	ck_assert_int_eq(changes_read(feed, &fast, buf, sizeof(buf), off), 0);
	ck_assert_uint_eq(changes_retained(feed), 0);
	changes_detach(feed, &slow);
	changes_detach(feed, &fast);
}
END_TEST

/* Append about total bytes as commits of one 40-byte line each. */
static void append_bytes(uint64_t *seq, size_t total)
{
	char line[64];
	size_t done;

	for (done = 0; done < total; done += 40) {
		int n;

		(*seq)++;
		n = snprintf(line, sizeof(line), "%020llu insert 1 abcdefghi\n",
			     (unsigned long long)*seq);
		changes_append(feed, *seq, line, (size_t)n, 1);
	}
}

START_TEST(test_reader_that_falls_behind_gets_estale_for_good)
{
	struct changes_reader idle, keeping_up;
	static char buf[1 << 16];
	uint64_t seq = 0, off = 0;
	ssize_t n;
	int round;

	changes_attach(feed, &idle);
	changes_attach(feed, &keeping_up);
	for (round = 0; round < 12; round++) {   /* 12 MiB in all */
		append_bytes(&seq, 1 << 20);
		while ((n = changes_read(feed, &keeping_up, buf, sizeof(buf), off)) > 0)
			off += (uint64_t)n;
		REQUIRE(n == 0, "the reader that keeps up got %zd", n);
		REQUIRE(changes_retained(feed) <= CHANGES_MAX_BYTES, "retained %zu",
			changes_retained(feed));
	}
	ck_assert_uint_eq(changes_ready(feed, &idle), POLLIN | POLLERR);
	ck_assert_int_eq(changes_read(feed, &idle, buf, sizeof(buf), 0), -ESTALE);
	/* sticky: no later read, at any offset, silently skips the gap */
	ck_assert_int_eq(changes_read(feed, &idle, buf, sizeof(buf), off), -ESTALE);
	append_bytes(&seq, 40);
	ck_assert_int_eq(changes_read(feed, &idle, buf, sizeof(buf), off), -ESTALE);
	/* a new reader starts at the end */
	changes_detach(feed, &idle);
	changes_attach(feed, &idle);
	ck_assert_int_eq(changes_read(feed, &idle, buf, sizeof(buf), 0), 0);
	append_bytes(&seq, 40);
	ck_assert_int_eq(changes_read(feed, &idle, buf, sizeof(buf), 0), 40);
	changes_detach(feed, &idle);
	changes_detach(feed, &keeping_up);
}
END_TEST

START_TEST(test_lagging_reader_within_the_bound_loses_nothing)
{
	struct changes_reader lag;
	static char buf[1 << 16];
	uint64_t seq = 0, off = 0, last = 0;
	ssize_t n;
	int round;

	changes_attach(feed, &lag);
	for (round = 0; round < 40; round++) {
		/* 1 MiB behind, reading it all back each round: 40 MiB through */
		append_bytes(&seq, 1 << 20);
		while ((n = changes_read(feed, &lag, buf, sizeof(buf), off)) > 0) {
			unsigned long long s = strtoull(buf + n - 40, NULL, 10);

			REQUIRE(s > last, "seq %llu after %llu", s, (unsigned long long)last);
			last = s;
			off += (uint64_t)n;
		}
		REQUIRE(n == 0, "read returned %zd", n);
	}
	ck_assert_uint_eq(last, seq);
	changes_detach(feed, &lag);
}
END_TEST

START_TEST(test_poll_handles_replaced_and_dropped)
{
	struct changes_reader r;
	struct fake_poll one = {0}, two = {0};

	changes_attach(feed, &r);
	changes_set_poll(feed, &r, &one);
	changes_set_poll(feed, &r, &two);
	ck_assert_uint_eq(one.dropped, 1);
	changes_append(feed, 1, "1 delete 1\n", 11, 1);
	ck_assert_uint_eq(two.notified, 1);
	ck_assert_uint_eq(one.notified, 0);
	changes_set_poll(feed, &r, &one);
	changes_detach(feed, &r);
	ck_assert_uint_eq(one.dropped, 2);
	ck_assert_uint_eq(one.notified, 0);
}
END_TEST

START_TEST(test_hook_only_while_readers_are_attached)
{
	struct changes_reader r;
	char buf[256];

	changes_attach(feed, &r);
	changes_detach(feed, &r);
	commit_lines("insert 5 nobody");   /* no reader: the hook is off */
	ck_assert_uint_eq(changes_retained(feed), 0);
	changes_attach(feed, &r);
	ck_assert_int_eq(changes_read(feed, &r, buf, sizeof(buf), 0), 0);
	commit_lines("delete 5");
	ck_assert_int_gt(changes_read(feed, &r, buf, sizeof(buf), 0), 0);
	changes_detach(feed, &r);
}
END_TEST

START_TEST(test_waiter_limit)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&lock);
	ck_assert_int_eq(changes_wait(feed, &lock, 10), 0);   /* times out */
	changes_set_max_waiters(feed, 0);
	ck_assert_int_eq(changes_wait(feed, &lock, 10), -EAGAIN);
	pthread_mutex_unlock(&lock);
}
END_TEST

static Suite *changes_suite(void)
{
	Suite *s = suite_create("changes");
	TCase *tc = tcase_create("feed");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_lines_of_a_real_database);
	tcase_add_test(tc, test_failed_statement_and_select_are_not_in_the_feed);
	tcase_add_test(tc, test_big_commit_arrives_in_chunks_and_reads_whole);
	tcase_add_test(tc, test_partial_commit_is_invisible);
	tcase_add_test(tc, test_whole_lines_and_small_buffers);
	tcase_add_test(tc, test_offsets_reread_and_independent_readers);
	tcase_add_test(tc, test_trimmed_past_the_slowest_reader);
	tcase_add_test(tc, test_reader_that_falls_behind_gets_estale_for_good);
	tcase_add_test(tc, test_lagging_reader_within_the_bound_loses_nothing);
	tcase_add_test(tc, test_poll_handles_replaced_and_dropped);
	tcase_add_test(tc, test_hook_only_while_readers_are_attached);
	tcase_add_test(tc, test_waiter_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_changes", changes_suite());
}
