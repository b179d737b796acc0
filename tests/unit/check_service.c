/*
 * check_service.c - unit tests of what makes the daemon a service, without
 * a mount: fs/notify.c (the datagram a service manager receives, for a
 * socket path and an abstract name, and the errors of an address that
 * cannot work) and the stderr side of fs/log.c (the "IDENT: " prefix per
 * line, which levels reach stderr, stderr off after detaching, libfuse's
 * raw text passed through as it comes, long messages whole, errno kept).
 * What reaches syslog is checked by t1200-service.sh, which listens on a
 * /dev/log of its own.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "testutil.h"

/* ---- notify ---------------------------------------------------------------- */

/* A datagram socket bound at name (a path, or @NAME: abstract). */
static int bound_socket(const char *name)
{
	struct sockaddr_un addr;
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(name), sizeof(addr.sun_path));
	memcpy(addr.sun_path, name, strlen(name));
	if (name[0] == '@')
		addr.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, len), 0);
	return fd;
}

/* The next datagram on fd, as a string (it must be there already). */
static void receive(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);

	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
}

START_TEST(test_notify_without_socket_sends_nothing)
{
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(notify_send("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	ck_assert_int_eq(notify_send("READY=1"), 0);
}
END_TEST

START_TEST(test_notify_path_gets_the_state_as_one_datagram)
{
	const char *path = tu_path("notify.sock");
	int fd = bound_socket(path);
	char buf[256];

	setenv("NOTIFY_SOCKET", path, 1);
	ck_assert_int_eq(notify_send("READY=1\nSTATUS=serving a on b"), 1);
	ck_assert_int_eq(notify_send("STOPPING=1"), 1);
	receive(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1\nSTATUS=serving a on b");
	receive(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "STOPPING=1");
	close(fd);
}
END_TEST

START_TEST(test_notify_abstract_name)
{
	char name[64];
	char buf[64];
	int fd;

	snprintf(name, sizeof(name), "@rowfs-check-service-%ld", (long)getpid());
	fd = bound_socket(name);
	setenv("NOTIFY_SOCKET", name, 1);
	ck_assert_int_eq(notify_send("READY=1"), 1);
	receive(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1");
	close(fd);
}
END_TEST

START_TEST(test_notify_addresses_that_cannot_work)
{
	struct sockaddr_un addr;
	char longest[sizeof(addr.sun_path) + 1];

	setenv("NOTIFY_SOCKET", "relative/sock", 1);
	ck_assert_int_eq(notify_send("READY=1"), -EINVAL);
	/* sun_path minus one byte is the longest name; one more is too long */
	memset(longest, 'x', sizeof(longest));
	longest[0] = '/';
	longest[sizeof(addr.sun_path)] = '\0';
	setenv("NOTIFY_SOCKET", longest, 1);
	ck_assert_int_eq(notify_send("READY=1"), -ENAMETOOLONG);
	longest[sizeof(addr.sun_path) - 1] = '\0';
	setenv("NOTIFY_SOCKET", longest, 1);
	ck_assert_int_eq(notify_send("READY=1"), -ENOENT);   /* fits; nothing there */
	setenv("NOTIFY_SOCKET", tu_path("missing.sock"), 1);
	ck_assert_int_eq(notify_send("READY=1"), -ENOENT);
	tu_write_file(tu_path("plain"), "x", 1);
	setenv("NOTIFY_SOCKET", tu_path("plain"), 1);
	ck_assert_int_eq(notify_send("READY=1"), -ECONNREFUSED);
}
END_TEST

/* ---- log: stderr ----------------------------------------------------------- */

static struct log sink;
static int saved_stderr = -1;

/* stderr into the file "stderr" of the test directory. */
static void capture_setup(void)
{
	int fd;

	tu_dir_setup();
	ck_assert_int_eq(log_init(&sink, "rowfs-test"), 0);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	fd = open(tu_path("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

static void capture_teardown(void)
{
	log_release(&sink);
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	tu_dir_teardown();
}

/* What stderr got so far (malloc'd, NUL-terminated). */
static char *captured(void)
{
	size_t len;
	uint8_t *data;
	char *text;

	fflush(stderr);
	data = tu_read_file(tu_path("stderr"), &len);
	text = malloc(len + 1);
	ck_assert_ptr_nonnull(text);
	memcpy(text, data, len);
	text[len] = '\0';
	free(data);
	return text;
}

static void expect_stderr(const char *expected)
{
	char *text = captured();

	ck_assert_str_eq(text, expected);
	free(text);
}

/* log_vraw with arguments, as libfuse's log callback calls it. */
static void raw(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void raw(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vraw(&sink, level, fmt, ap);
	va_end(ap);
}

START_TEST(test_log_lines_get_the_prefix)
{
	log_msg(&sink, LOG_ERR, "bad mountpoint '%s': %s", "/x", "No such file or directory");
	log_msg(&sink, LOG_ERR, "cannot use '/dev/fuse'\nis the fuse module loaded?\n");
	expect_stderr("rowfs-test: bad mountpoint '/x': No such file or directory\n"
		      "rowfs-test: cannot use '/dev/fuse'\n"
		      "rowfs-test: is the fuse module loaded?\n");
}
END_TEST

START_TEST(test_log_levels_on_stderr)
{
	log_msg(&sink, LOG_CRIT, "crit");
	log_msg(&sink, LOG_ERR, "err");
	log_msg(&sink, LOG_WARNING, "warning");
	log_msg(&sink, LOG_NOTICE, "notice");
	log_msg(&sink, LOG_INFO, "mounted a on b");
	log_msg(&sink, LOG_DEBUG, "debug");
	expect_stderr("rowfs-test: crit\nrowfs-test: err\nrowfs-test: warning\nrowfs-test: debug\n");
}
END_TEST

START_TEST(test_log_stderr_off_after_detaching)
{
	log_msg(&sink, LOG_ERR, "before");
	log_set_stderr(&sink, 0);
	log_msg(&sink, LOG_ERR, "after");
	raw(LOG_ERR, "fuse: after\n");
	log_set_stderr(&sink, 1);
	log_msg(&sink, LOG_ERR, "again");
	expect_stderr("rowfs-test: before\nrowfs-test: again\n");
}
END_TEST

START_TEST(test_log_raw_text_passes_as_it_comes)
{
	raw(LOG_ERR, "fuse: unknown option(s): `");
	raw(LOG_ERR, "%s ", "-o");
	raw(LOG_ERR, "bogus'");
	raw(LOG_ERR, "\n");
	raw(LOG_DEBUG, "unique: %d, opcode: LOOKUP\n", 2);
	raw(LOG_INFO, "no newline at the end");
	expect_stderr("fuse: unknown option(s): `-o bogus'\n"
		      "unique: 2, opcode: LOOKUP\n"
		      "no newline at the end");
}
END_TEST

START_TEST(test_log_long_message_whole)
{
	size_t n = 5000;
	char *big = malloc(n + 1);
	char *expected = malloc(n + 16);

	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(expected);
	memset(big, 'y', n);
	big[n] = '\0';
	log_msg(&sink, LOG_ERR, "%s", big);
	raw(LOG_ERR, "%s\n", big);
	snprintf(expected, n + 16, "rowfs-test: %s\n", big);
	{
		char *text = captured();

		ck_assert_uint_eq(strlen(text), strlen(expected) + n + 1);
		ck_assert_int_eq(strncmp(text, expected, strlen(expected)), 0);
		ck_assert_int_eq(strncmp(text + strlen(expected), big, n), 0);
		free(text);
	}
	free(big);
	free(expected);
}
END_TEST

START_TEST(test_log_null_and_errno)
{
	errno = EXDEV;
	log_msg(NULL, LOG_ERR, "nowhere");
	ck_assert_int_eq(errno, EXDEV);
	log_msg(&sink, LOG_ERR, "somewhere");
	ck_assert_int_eq(errno, EXDEV);
	expect_stderr("rowfs-test: somewhere\n");
}
END_TEST

static Suite *service_suite(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("notify");

	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_test(tc, test_notify_without_socket_sends_nothing);
	tcase_add_test(tc, test_notify_path_gets_the_state_as_one_datagram);
	tcase_add_test(tc, test_notify_abstract_name);
	tcase_add_test(tc, test_notify_addresses_that_cannot_work);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_add_checked_fixture(tc, capture_setup, capture_teardown);
	tcase_add_test(tc, test_log_lines_get_the_prefix);
	tcase_add_test(tc, test_log_levels_on_stderr);
	tcase_add_test(tc, test_log_stderr_off_after_detaching);
	tcase_add_test(tc, test_log_raw_text_passes_as_it_comes);
	tcase_add_test(tc, test_log_long_message_whole);
	tcase_add_test(tc, test_log_null_and_errno);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_service", service_suite());
}
