/*
 * check_log.c - unit tests of the ring of recent lines in fs/log.c (the
 * mount's `log` file): the line format (UTC time with milliseconds, the
 * level's name, the text; a message of several lines, libfuse's raw
 * pieces, a text cut at LOG_LINE_MAX), what is not kept (LOG_DEBUG), the
 * size and time log_ring_stat reports, and, against a model of every
 * line ever logged, the bound: random messages until the ring has dropped
 * lines many times over, while now and then a new reader (its base
 * log_ring_start) reads exactly the newest whole lines that fit
 * LOG_RING_SIZE, as many as stat says; a reader whose base is older (0)
 * gets the same, its base moved up; a follower that reads to the end at
 * each check gets every line since its last read, or, when it fell
 * behind, the lines kept, and its stat is its end; a read at any kept
 * absolute offset gets those bytes.
 * syslog and stderr are off: nothing leaves the process.
 */
#include <config.h>

#include <check.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "rowfs.h"
#include "testutil.h"

/* Bytes of the time stamp that starts every line ("2026-12-08T01:02:03.456Z"). */
#define STAMP_LEN 24u

static struct log sink;

static void sink_setup(void)
{
	ck_assert_int_eq(log_init(&sink, "rowfs-test"), 0);
	log_set_syslog(&sink, 0);
	log_set_stderr(&sink, 0);
	ck_assert_ptr_nonnull(sink.ring);
}

static void sink_teardown(void)
{
	log_release(&sink);
}

/* Everything kept, read from offset 0 by a new reader (malloc'd, NUL-terminated). */
static char *read_all(size_t *len)
{
	char *buf = malloc(LOG_RING_SIZE + 1);
	uint64_t base = log_ring_start(&sink), off = 0;
	size_t n;

	ck_assert_ptr_nonnull(buf);
	while ((n = log_ring_read(&sink, buf + off, 4096, off, &base)) > 0) {
		off += n;
		ck_assert_uint_le(off, LOG_RING_SIZE);
	}
	buf[off] = '\0';
	*len = (size_t)off;
	return buf;
}

/* Does line (no newline) match "STAMP LEVEL TEXT"? */
static int line_is(const char *line, const char *level, const char *text)
{
	static const char pattern[] =
		"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z ";
	char rest[4096];
	regex_t re;
	int ok;

	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	ok = regexec(&re, line, 0, NULL, 0) == 0;
	regfree(&re);
	snprintf(rest, sizeof(rest), "%s %s", level, text);
	return ok && strlen(line) > STAMP_LEN && strcmp(line + STAMP_LEN + 1, rest) == 0;
}

/* The i-th line (from 0) of text into out (no newline); 0 if there is none. */
static int nth_line(const char *text, unsigned i, char *out, size_t size)
{
	const char *p = text, *nl;

	while (i-- > 0) {
		nl = strchr(p, '\n');
		if (!nl)
			return 0;
		p = nl + 1;
	}
	nl = strchr(p, '\n');
	if (!nl || (size_t)(nl - p) >= size)
		return 0;
	memcpy(out, p, (size_t)(nl - p));
	out[nl - p] = '\0';
	return 1;
}

static void raw(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void raw(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vraw(&sink, level, fmt, ap);
	va_end(ap);
}

START_TEST(test_ring_line_format)
{
	char line[4096];
	size_t len;
	char *all;

	log_msg(&sink, LOG_ERR, "ctl pid %d line %d: %s", 1234, 57, "Error: duplicate key 5.");
	log_msg(&sink, LOG_NOTICE, "two\nlines");
	log_msg(&sink, LOG_DEBUG, "a debug line is not kept");
	log_msg(&sink, LOG_INFO, "mounted a on b");
	raw(LOG_ERR, "fuse: ");
	raw(LOG_ERR, "%s\n", "unknown option");
	log_event(&sink, ROWFS_EVENT_RECOVERY, "recovery of 'x'");
	log_event(&sink, ROWFS_EVENT_CHECKPOINT, "checkpoint of 'x'");
	log_event(&sink, ROWFS_EVENT_IOERR, "checkpoint of 'x' after a commit failed");
	all = read_all(&len);
	ck_assert(nth_line(all, 0, line, sizeof(line)));
	ck_assert_msg(line_is(line, "err", "ctl pid 1234 line 57: Error: duplicate key 5."), "%s", line);
	ck_assert(nth_line(all, 1, line, sizeof(line)) && line_is(line, "notice", "two"));
	ck_assert(nth_line(all, 2, line, sizeof(line)) && line_is(line, "notice", "lines"));
	ck_assert(nth_line(all, 3, line, sizeof(line)) && line_is(line, "info", "mounted a on b"));
	ck_assert(nth_line(all, 4, line, sizeof(line)) && line_is(line, "err", "fuse: unknown option"));
	ck_assert(nth_line(all, 5, line, sizeof(line)) && line_is(line, "notice", "recovery of 'x'"));
	ck_assert(nth_line(all, 6, line, sizeof(line)) && line_is(line, "info", "checkpoint of 'x'"));
	ck_assert(nth_line(all, 7, line, sizeof(line)) &&
		  line_is(line, "err", "checkpoint of 'x' after a commit failed"));
	ck_assert(!nth_line(all, 8, line, sizeof(line)));
	free(all);
}
END_TEST

START_TEST(test_ring_long_line_is_cut)
{
	size_t len, big = 3 * LOG_LINE_MAX;
	char *text = malloc(big + 1), *all;

	memset(text, 'x', big);
	text[big] = '\0';
	log_msg(&sink, LOG_WARNING, "%s", text);
	all = read_all(&len);
	ck_assert_uint_eq(len, LOG_LINE_MAX);
	ck_assert_int_eq(all[len - 1], '\n');
	ck_assert_int_eq(memcmp(all + len - 4, "...", 3), 0);
	ck_assert_int_eq(memcmp(all + STAMP_LEN, " warning xxx", 12), 0);
	free(all);
	free(text);
}
END_TEST

START_TEST(test_ring_stat_size_and_time)
{
	struct timespec t0, t1, t2;
	uint64_t size;
	size_t len;
	char *all;

	uint64_t base = 0;

	log_ring_stat(&sink, NULL, &size, &t0);
	ck_assert_uint_eq(size, 0);
	log_msg(&sink, LOG_ERR, "first");
	log_ring_stat(&sink, NULL, &size, &t1);
	ck_assert_uint_eq(size, STAMP_LEN + strlen(" err first\n"));
	ck_assert(t1.tv_sec > t0.tv_sec || (t1.tv_sec == t0.tv_sec && t1.tv_nsec >= t0.tv_nsec));
	log_msg(&sink, LOG_DEBUG, "not kept: neither size nor time move");
	log_ring_stat(&sink, &base, &size, &t2);
	ck_assert_uint_eq(size, STAMP_LEN + strlen(" err first\n"));
	ck_assert(t2.tv_sec == t1.tv_sec && t2.tv_nsec == t1.tv_nsec);
	all = read_all(&len);
	ck_assert_uint_eq(len, size);
	free(all);
	log_ring_stat(NULL, NULL, &size, &t2);
	ck_assert_uint_eq(size, 0);
	ck_assert_uint_eq(log_ring_start(NULL), 0);
	ck_assert_uint_eq(log_ring_read(NULL, (char *)&t2, 1, 0, &size), 0);
}
END_TEST

/* The model: every line ever logged, its text (time stamp excluded) and offset. */
struct model_line {
	uint64_t off;       /* absolute offset of its first byte */
	size_t len;         /* its length, newline included */
	char *tail;         /* its bytes from STAMP_LEN on (malloc'd) */
};

/* A random message text of 1 to max bytes (no newline) into buf (an empty message is no line). */
static size_t random_text(uint64_t *rng, char *buf, size_t max)
{
	size_t len = 1 + (size_t)(tu_next_random(rng) % (tu_next_random(rng) % 8 == 0 ? max : 120));
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (char)('a' + tu_next_random(rng) % 26);
	buf[len] = '\0';
	return len;
}

/*
 * Random messages until the ring wrapped and dropped lines many times;
 * after each, now and then, the ring is compared with the model.
 */
START_TEST(test_ring_bound_against_model)
{
	static const int levels[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO};
	uint64_t rng = tu_seed("ROWFS_SEED", 0x109);
	size_t count = 0, cap = 1024, first_kept = 0, i;
	struct model_line *lines = malloc(cap * sizeof(*lines));
	char *text = malloc(LOG_LINE_MAX * 2);
	char *buf = malloc(LOG_RING_SIZE + 1);
	uint64_t total = 0, follower_base = 0, follower_off = 0;
	unsigned step, follower_behind = 0, follower_caught_up = 0;

	ck_assert(lines && text && buf);
	for (step = 0; total < 8ull * LOG_RING_SIZE; step++) {
		int level = levels[tu_next_random(&rng) % 4];
		size_t len = random_text(&rng, text, LOG_LINE_MAX + 200);
		size_t prefix = 1 + strlen(level == LOG_ERR ? "err" : level == LOG_WARNING ? "warning" :
					   level == LOG_NOTICE ? "notice" : "info") + 1;
		size_t room = LOG_LINE_MAX - STAMP_LEN - prefix - 1;
		struct model_line *m;

		log_msg(&sink, level, "%s", text);
		if (count == cap) {
			cap *= 2;
			lines = realloc(lines, cap * sizeof(*lines));
			ck_assert_ptr_nonnull(lines);
		}
		m = &lines[count++];
		m->off = total;
		m->len = STAMP_LEN + prefix + (len > room ? room : len) + 1;
		m->tail = malloc(m->len - STAMP_LEN + 1);
		snprintf(m->tail, m->len - STAMP_LEN + 1, " %.*s %.*s%s\n", (int)(prefix - 2),
			 level == LOG_ERR ? "err" : level == LOG_WARNING ? "warning" :
			 level == LOG_NOTICE ? "notice" : "info",
			 (int)(len > room ? room - 3 : len), text, len > room ? "..." : "");
		total += m->len;
		while (total - lines[first_kept].off > LOG_RING_SIZE)
			first_kept++;
		if (step % 97 != 0)
			continue;
		{
			uint64_t kept = lines[first_kept].off;
			uint64_t size, base, off, a;
			struct timespec t;
			size_t n, got, j;

			/* a new reader: stat says the bytes kept; it reads them, in random chunks */
			base = log_ring_start(&sink);
			REQUIRE(base == kept, "start %llu, oldest kept line at %llu",
				(unsigned long long)base, (unsigned long long)kept);
			log_ring_stat(&sink, NULL, &size, &t);
			REQUIRE(size == total - kept, "size %llu, kept %llu", (unsigned long long)size,
				(unsigned long long)(total - kept));
			for (got = 0, off = 0;; got += n, off += n) {
				size_t want = 1 + (size_t)(tu_next_random(&rng) % 70000);

				n = log_ring_read(&sink, buf + got, want, off, &base);
				REQUIRE(got + n <= LOG_RING_SIZE, "read past the bound");
				if (n == 0)
					break;
			}
			REQUIRE(base == kept && got == size, "got %zu bytes, base %llu", got,
				(unsigned long long)base);
			for (i = first_kept, a = 0; i < count; a += lines[i].len, i++)
				REQUIRE(memcmp(buf + a + STAMP_LEN, lines[i].tail,
					       lines[i].len - STAMP_LEN) == 0 && buf[a + 10] == 'T',
					"line %zu differs: '%.*s'", i, (int)lines[i].len, buf + a);
			/* a reader whose base is older than the oldest line: moved up, the same lines */
			base = 0;
			n = log_ring_read(&sink, buf + LOG_RING_SIZE - 100, 100, 0, &base);
			REQUIRE(base == kept && n == (size < 100 ? size : 100) &&
					memcmp(buf + LOG_RING_SIZE - 100, buf, n) == 0,
				"an old reader: base %llu", (unsigned long long)base);
			/* a read at a random kept absolute offset: those bytes, the base kept */
			a = kept + tu_next_random(&rng) % (total - kept);
			base = 0;
			n = log_ring_read(&sink, buf + LOG_RING_SIZE - 100, 100, a, &base);
			REQUIRE(base == 0 && n == (total - a < 100 ? total - a : 100), "n %zu", n);
			REQUIRE(memcmp(buf + LOG_RING_SIZE - 100, buf + (a - kept), n) == 0,
				"bytes at %llu", (unsigned long long)a);
			base = kept;   /* at the end: nothing */
			REQUIRE(log_ring_read(&sink, buf, 10, total - kept, &base) == 0, "past the end");
			/*
			 * The follower (10 checks in 30: it falls behind in the other
			 * 20): from its offset to the end, every line since its last
			 * read, or the lines kept when it fell behind.
			 */
			if ((step / 97) % 30 >= 10)
				continue;
			if (follower_base + follower_off < kept)
				follower_behind++;
			else
				follower_caught_up++;
			a = follower_base + follower_off < kept ? kept : follower_base + follower_off;
			for (got = 0;; got += n, follower_off += n) {
				n = log_ring_read(&sink, buf + got, 3000, follower_off, &follower_base);
				if (n == 0)
					break;
			}
			REQUIRE(got == total - a && follower_base + follower_off == total,
				"the follower got %zu bytes, expected %llu", got,
				(unsigned long long)(total - a));
			for (j = first_kept; j < count && lines[j].off < a; j++)
				;
			REQUIRE(j == count || lines[j].off == a, "the follower starts mid-line");
			for (off = 0; j < count; off += lines[j].len, j++)
				REQUIRE(memcmp(buf + off + STAMP_LEN, lines[j].tail,
					       lines[j].len - STAMP_LEN) == 0,
					"the follower's line %zu differs", j);
			log_ring_stat(&sink, &follower_base, &size, &t);
			REQUIRE(size == follower_off, "the follower's size %llu, its end %llu",
				(unsigned long long)size, (unsigned long long)follower_off);
		}
	}
	ck_assert_uint_gt(first_kept, 100);
	ck_assert_uint_gt(follower_behind, 0);
	ck_assert_uint_gt(follower_caught_up, 10);   /* it did drop, many times */
	for (i = 0; i < count; i++)
		free(lines[i].tail);
	free(lines);
	free(text);
	free(buf);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("ring");

	tcase_add_checked_fixture(tc, sink_setup, sink_teardown);
	tcase_add_test(tc, test_ring_line_format);
	tcase_add_test(tc, test_ring_long_line_is_cut);
	tcase_add_test(tc, test_ring_stat_size_and_time);
	tcase_add_test(tc, test_ring_bound_against_model);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_log", log_suite());
}
