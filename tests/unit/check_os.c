/*
 * check_os.c - unit tests of the os layer (engine/os.c) and of the
 * fault-injecting table the other tests use (faultos.c).
 *
 * Owns: short reads at end of file, round trips, flock conflicts, the
 * wording of error messages, and each kind of injected fault, including
 * the power-loss model.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faultos.h"
#include "os.h"
#include "rowfs.h"
#include "testutil.h"

static char path[4200];   /* the file under test: tu_dir/file */

/* Checked fixture: a fresh test directory, path in it. */
static void setup(void)
{
	tu_dir_setup();
	snprintf(path, sizeof(path), "%s/file", tu_dir);
}

/* Open path read-write (created) through table os; fails the test on error. */
static struct os_file *open_rw(const struct os *os)
{
	struct os_file *f = NULL;
	struct rowfs_err err;

	ck_assert_int_eq(os_open(os, path, O_RDWR | O_CREAT, &f, &err), ROWFS_OK);
	return f;
}

START_TEST(test_read_at_eof_is_short)
{
	struct os_file *f = open_rw(NULL);
	struct rowfs_err err;
	char buf[100];
	size_t got = 99;

	ck_assert_int_eq(os_write(f, "0123456789", 10, 0, &err), ROWFS_OK);
	ck_assert_int_eq(os_read(f, buf, sizeof(buf), 0, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 10);
	ck_assert_int_eq(memcmp(buf, "0123456789", 10), 0);
	ck_assert_int_eq(os_read(f, buf, sizeof(buf), 5, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 5);
	ck_assert_int_eq(os_read(f, buf, sizeof(buf), 10, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 0);
	ck_assert_int_eq(os_read(f, buf, sizeof(buf), 1000, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 0);
	os_close(f);
}
END_TEST

START_TEST(test_write_read_round_trip)
{
	struct os_file *f = open_rw(NULL);
	struct rowfs_err err;
	size_t n = 300000, got, i;
	uint8_t *out = malloc(n), *in = malloc(n);
	uint64_t size;

	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(i * 7 + 3);
	ck_assert_int_eq(os_write(f, out, n, 12345, &err), ROWFS_OK);
	ck_assert_int_eq(os_sync(f, &err), ROWFS_OK);
	ck_assert_int_eq(os_size(f, &size, &err), ROWFS_OK);
	ck_assert_uint_eq(size, 12345 + n);
	ck_assert_int_eq(os_read(f, in, n, 12345, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, n);
	ck_assert_int_eq(memcmp(in, out, n), 0);
	ck_assert_int_eq(os_truncate(f, 100, &err), ROWFS_OK);
	ck_assert_int_eq(os_size(f, &size, &err), ROWFS_OK);
	ck_assert_uint_eq(size, 100);
	os_close(f);
	os_close(NULL);
	free(out);
	free(in);
}
END_TEST

START_TEST(test_lock_conflict)
{
	struct os_file *a = open_rw(NULL), *b = open_rw(NULL), *c = open_rw(NULL);
	struct rowfs_err err;

	ck_assert_int_eq(os_lock(a, 1, &err), ROWFS_OK);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(os_lock(b, 1, &err), ROWFS_LOCKED);
	ck_assert_int_eq(err.rc, ROWFS_LOCKED);
	ck_assert_str_eq(err.msg, "database is locked");
	ck_assert_int_eq(os_lock(b, 0, &err), ROWFS_LOCKED);
	os_close(a);

	/* Readers share; a writer is then locked out. */
	ck_assert_int_eq(os_lock(b, 0, &err), ROWFS_OK);
	ck_assert_int_eq(os_lock(c, 0, &err), ROWFS_OK);
	a = open_rw(NULL);
	ck_assert_int_eq(os_lock(a, 1, &err), ROWFS_LOCKED);
	ck_assert_str_eq(err.msg, "database is locked");
	os_close(a);
	os_close(b);
	os_close(c);
}
END_TEST

START_TEST(test_open_error_names_call_and_path)
{
	struct os_file *f = (struct os_file *)1;
	struct rowfs_err err;
	char missing[4300], want[4600];

	snprintf(missing, sizeof(missing), "%s/no/such", tu_dir);
	ck_assert_int_eq(os_open(NULL, missing, O_RDONLY, &f, &err), ROWFS_IOERR);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(err.rc, ROWFS_IOERR);
	ck_assert_int_eq(err.sys_errno, ENOENT);
	snprintf(want, sizeof(want), "open '%s': %s", missing, strerror(ENOENT));
	ck_assert_str_eq(err.msg, want);
}
END_TEST

START_TEST(test_fault_write_eio_and_enospc)
{
	struct faultos fo;
	struct os_file *f;
	struct rowfs_err err;
	char want[4400];

	faultos_init(&fo);
	f = open_rw(&fo.os);
	faultos_fail_write_at(&fo, 2, EIO, 0);
	ck_assert_int_eq(os_write(f, "aaaaaaaa", 8, 0, &err), ROWFS_OK);
	ck_assert_int_eq(os_write(f, "bbbbbbbb", 8, 8, &err), ROWFS_IOERR);
	ck_assert_int_eq(err.sys_errno, EIO);
	snprintf(want, sizeof(want), "pwrite '%s': %s", path, strerror(EIO));
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(tu_file_size(path), 8);
	ck_assert_int_eq(os_write(f, "cccccccc", 8, 8, &err), ROWFS_OK);

	faultos_fail_write_at(&fo, 1, ENOSPC, 1);
	ck_assert_int_eq(os_write(f, "dddddddd", 8, 16, &err), ROWFS_FULL);
	ck_assert_int_eq(err.rc, ROWFS_FULL);
	ck_assert_int_eq(err.sys_errno, ENOSPC);
	snprintf(want, sizeof(want), "pwrite '%s': %s", path, strerror(ENOSPC));
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(os_write(f, "dddddddd", 8, 16, &err), ROWFS_FULL);
	ck_assert_int_eq(rowfs_errno(err.rc), ENOSPC);
	faultos_disarm(&fo);
	ck_assert_int_eq(os_write(f, "dddddddd", 8, 16, &err), ROWFS_OK);
	ck_assert_int_eq(tu_file_size(path), 24);
	ck_assert_uint_eq(fo.faults, 3);
	ck_assert_uint_eq(fo.pwrites, 6);
	os_close(f);
	faultos_release(&fo);
}
END_TEST

START_TEST(test_fault_sync_read_truncate)
{
	struct faultos fo;
	struct os_file *f;
	struct rowfs_err err;
	char want[4400], buf[8];
	size_t got;

	faultos_init(&fo);
	f = open_rw(&fo.os);
	ck_assert_int_eq(os_write(f, "aaaaaaaa", 8, 0, &err), ROWFS_OK);

	faultos_fail_sync_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(os_sync(f, &err), ROWFS_IOERR);
	ck_assert_int_eq(err.sys_errno, EIO);
	snprintf(want, sizeof(want), "fsync '%s': %s", path, strerror(EIO));
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(os_sync(f, &err), ROWFS_OK);

	faultos_fail_read_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(os_read(f, buf, 8, 0, &got, &err), ROWFS_IOERR);
	snprintf(want, sizeof(want), "pread '%s': %s", path, strerror(EIO));
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(os_read(f, buf, 8, 0, &got, &err), ROWFS_OK);

	faultos_fail_truncate_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(os_truncate(f, 0, &err), ROWFS_IOERR);
	snprintf(want, sizeof(want), "ftruncate '%s': %s", path, strerror(EIO));
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(tu_file_size(path), 8);

	ck_assert_uint_eq(fo.fsyncs, 2);
	ck_assert_uint_eq(fo.preads, 2);
	ck_assert_uint_eq(fo.ftruncates, 1);
	ck_assert_uint_eq(fo.faults, 3);
	os_close(f);
	faultos_release(&fo);
}
END_TEST

START_TEST(test_fault_tear)
{
	struct faultos fo;
	struct os_file *f;
	struct rowfs_err err;
	char buf[100];
	size_t got;

	faultos_init(&fo);
	f = open_rw(&fo.os);
	memset(buf, 'x', sizeof(buf));
	faultos_tear_write_at(&fo, 1, FAULTOS_TEAR_EIO);
	ck_assert_int_eq(os_write(f, buf, 100, 0, &err), ROWFS_IOERR);
	ck_assert_int_eq(err.sys_errno, EIO);
	ck_assert_int_eq(tu_file_size(path), 50);

	memset(buf, 'y', sizeof(buf));
	faultos_tear_write_at(&fo, 1, FAULTOS_TEAR_SILENT);
	ck_assert_int_eq(os_write(f, buf, 100, 100, &err), ROWFS_OK);
	ck_assert_int_eq(tu_file_size(path), 150);
	ck_assert_int_eq(os_read(f, buf, 100, 100, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 50);
	ck_assert_int_eq(buf[0], 'y');
	ck_assert_uint_eq(fo.faults, 2);

	/* Once only: the next write is whole. */
	ck_assert_int_eq(os_write(f, buf, 100, 200, &err), ROWFS_OK);
	ck_assert_int_eq(tu_file_size(path), 300);
	os_close(f);
	faultos_release(&fo);
}
END_TEST

START_TEST(test_powerloss_drops_unsynced)
{
	struct faultos fo;
	struct os_file *f, *g;
	struct rowfs_err err;
	char buf[64];
	size_t got;
	uint64_t size;

	faultos_init(&fo);
	f = open_rw(&fo.os);
	ck_assert_int_eq(os_write(f, "durable!", 8, 0, &err), ROWFS_OK);
	faultos_powerloss_begin(&fo);

	/* Synced in powerloss mode: survives. */
	ck_assert_int_eq(os_write(f, "synced..", 8, 8, &err), ROWFS_OK);
	ck_assert_int_eq(os_sync(f, &err), ROWFS_OK);
	ck_assert_uint_eq(faultos_pending_bytes(&fo), 0);

	/* Unsynced: visible to this process, also through another descriptor. */
	ck_assert_int_eq(os_write(f, "OVERWRIT", 8, 0, &err), ROWFS_OK);
	ck_assert_int_eq(os_write(f, "appended", 8, 16, &err), ROWFS_OK);
	ck_assert_uint_eq(faultos_pending_bytes(&fo), 16);
	ck_assert_int_eq(os_size(f, &size, &err), ROWFS_OK);
	ck_assert_uint_eq(size, 24);
	ck_assert_int_eq(os_read(f, buf, sizeof(buf), 0, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 24);
	ck_assert_int_eq(memcmp(buf, "OVERWRITsynced..appended", 24), 0);
	g = open_rw(&fo.os);
	ck_assert_int_eq(os_read(g, buf, sizeof(buf), 0, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 24);
	ck_assert_int_eq(memcmp(buf, "OVERWRIT", 8), 0);
	os_close(g);

	faultos_power_cut(&fo);
	ck_assert_int_eq(os_write(f, "dead....", 8, 0, &err), ROWFS_IOERR);
	ck_assert_int_eq(os_read(f, buf, 8, 0, &got, &err), ROWFS_IOERR);
	os_close(f);
	faultos_release(&fo);

	f = open_rw(NULL);
	ck_assert_int_eq(os_read(f, buf, sizeof(buf), 0, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 16);
	ck_assert_int_eq(memcmp(buf, "durable!synced..", 16), 0);
	os_close(f);
}
END_TEST

START_TEST(test_powerloss_sync_any_descriptor)
{
	struct faultos fo;
	struct os_file *f, *g;
	struct rowfs_err err;
	char buf[64];
	size_t got;

	faultos_init(&fo);
	faultos_powerloss_begin(&fo);
	f = open_rw(&fo.os);
	ck_assert_int_eq(os_write(f, "written by f", 12, 0, &err), ROWFS_OK);
	os_close(f);                    /* close does not sync */
	g = open_rw(&fo.os);
	ck_assert_int_eq(os_read(g, buf, sizeof(buf), 0, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 12);
	ck_assert_int_eq(os_sync(g, &err), ROWFS_OK);
	os_close(g);
	faultos_power_cut(&fo);
	faultos_release(&fo);

	f = open_rw(NULL);
	ck_assert_int_eq(os_read(f, buf, sizeof(buf), 0, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 12);
	ck_assert_int_eq(memcmp(buf, "written by f", 12), 0);
	os_close(f);
}
END_TEST

START_TEST(test_powerloss_failed_sync_loses_data)
{
	struct faultos fo;
	struct os_file *f;
	struct rowfs_err err;
	char buf[64];
	size_t got;

	faultos_init(&fo);
	f = open_rw(&fo.os);
	ck_assert_int_eq(os_write(f, "old.", 4, 0, &err), ROWFS_OK);
	faultos_powerloss_begin(&fo);
	ck_assert_int_eq(os_write(f, "lost", 4, 0, &err), ROWFS_OK);
	faultos_fail_sync_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(os_sync(f, &err), ROWFS_IOERR);
	/* Still visible, as in the page cache after a writeback error... */
	ck_assert_int_eq(os_read(f, buf, 4, 0, &got, &err), ROWFS_OK);
	ck_assert_int_eq(memcmp(buf, "lost", 4), 0);
	/* ...and a later fsync that succeeds does not make it durable. */
	ck_assert_int_eq(os_write(f, "kept", 4, 4, &err), ROWFS_OK);
	ck_assert_int_eq(os_sync(f, &err), ROWFS_OK);
	ck_assert_int_eq(os_read(f, buf, 8, 0, &got, &err), ROWFS_OK);
	ck_assert_int_eq(memcmp(buf, "lostkept", 8), 0);
	faultos_power_cut(&fo);
	os_close(f);
	faultos_release(&fo);

	f = open_rw(NULL);
	ck_assert_int_eq(os_read(f, buf, sizeof(buf), 0, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 8);
	ck_assert_int_eq(memcmp(buf, "old.kept", 8), 0);
	os_close(f);
}
END_TEST

START_TEST(test_powerloss_truncate_and_tear)
{
	struct faultos fo;
	struct os_file *f;
	struct rowfs_err err;
	char buf[64];
	size_t got;

	faultos_init(&fo);
	faultos_powerloss_begin(&fo);
	f = open_rw(&fo.os);
	ck_assert_int_eq(os_write(f, "0123456789abcdef", 16, 0, &err), ROWFS_OK);
	ck_assert_int_eq(os_truncate(f, 4, &err), ROWFS_OK);
	ck_assert_int_eq(os_read(f, buf, sizeof(buf), 0, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 4);
	ck_assert_int_eq(memcmp(buf, "0123", 4), 0);
	faultos_tear_write_at(&fo, 1, FAULTOS_TEAR_SILENT);
	ck_assert_int_eq(os_write(f, "ABCDEFGH", 8, 4, &err), ROWFS_OK);
	ck_assert_int_eq(os_sync(f, &err), ROWFS_OK);
	faultos_power_cut(&fo);
	os_close(f);
	faultos_release(&fo);

	f = open_rw(NULL);
	ck_assert_int_eq(os_read(f, buf, sizeof(buf), 0, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 8);
	ck_assert_int_eq(memcmp(buf, "0123ABCD", 8), 0);
	os_close(f);
}
END_TEST

START_TEST(test_power_cut_at_nth_call)
{
	struct faultos fo;
	struct os_file *f;
	struct rowfs_err err;
	char buf[64];
	size_t got;

	faultos_init(&fo);
	faultos_powerloss_begin(&fo);
	f = open_rw(&fo.os);
	ck_assert_int_eq(os_write(f, "aaaa", 4, 0, &err), ROWFS_OK);
	ck_assert_int_eq(os_sync(f, &err), ROWFS_OK);
	ck_assert_int_eq(os_write(f, "bbbb", 4, 4, &err), ROWFS_OK);
	faultos_power_cut_at(&fo, 2);            /* the next pwrite runs, the fsync does not */
	ck_assert_int_eq(os_write(f, "cccc", 4, 8, &err), ROWFS_OK);
	ck_assert_int_eq(os_sync(f, &err), ROWFS_IOERR);
	ck_assert_int_eq(os_write(f, "dddd", 4, 12, &err), ROWFS_IOERR);
	ck_assert_int_eq(fo.dead, 1);
	os_close(f);
	faultos_release(&fo);

	f = open_rw(NULL);
	ck_assert_int_eq(os_read(f, buf, sizeof(buf), 0, &got, &err), ROWFS_OK);
	ck_assert_uint_eq(got, 4);
	ck_assert_int_eq(memcmp(buf, "aaaa", 4), 0);
	os_close(f);
}
END_TEST

static Suite *os_suite(void)
{
	Suite *s = suite_create("os");
	TCase *tc = tcase_create("os");

	tcase_add_checked_fixture(tc, setup, tu_dir_teardown);
	tcase_add_test(tc, test_read_at_eof_is_short);
	tcase_add_test(tc, test_write_read_round_trip);
	tcase_add_test(tc, test_lock_conflict);
	tcase_add_test(tc, test_open_error_names_call_and_path);
	tcase_add_test(tc, test_fault_write_eio_and_enospc);
	tcase_add_test(tc, test_fault_sync_read_truncate);
	tcase_add_test(tc, test_fault_tear);
	tcase_add_test(tc, test_powerloss_drops_unsynced);
	tcase_add_test(tc, test_powerloss_sync_any_descriptor);
	tcase_add_test(tc, test_powerloss_failed_sync_loses_data);
	tcase_add_test(tc, test_powerloss_truncate_and_tear);
	tcase_add_test(tc, test_power_cut_at_nth_call);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_os", os_suite());
}
