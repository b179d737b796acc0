/*
 * fuzz_util.h - helpers shared by the libFuzzer targets in tests/fuzz/:
 * a private scratch directory per process and a check macro that aborts
 * (so libFuzzer saves the input as a crash).
 */
#ifndef ROWFS_TESTS_FUZZ_UTIL_H
#define ROWFS_TESTS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Abort with the failed condition and where it is; libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                   \
	do {                                                               \
		if (!(cond))                                               \
			fuzz_fail(__FILE__, __LINE__, #cond);              \
	} while (0)

/* Print "FILE:LINE: check failed: WHAT" and abort. */
void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* A scratch directory made with mkdtemp under $TMPDIR (or /tmp). */
struct fuzz_dir {
	char *path;   /* the directory; NULL before fuzz_dir_init */
};

/* fuzz_dir_init - create the directory, named after tag; aborts on failure. */
void fuzz_dir_init(struct fuzz_dir *d, const char *tag);

/* fuzz_dir_file - malloc'd "DIR/name"; aborts when out of memory. */
char *fuzz_dir_file(const struct fuzz_dir *d, const char *name);

/* fuzz_dir_remove_db - unlink the database path and path-wal, if present. */
void fuzz_dir_remove_db(const struct fuzz_dir *d, const char *path);

/* fuzz_dir_release - remove the (empty) directory and free its name. */
void fuzz_dir_release(struct fuzz_dir *d);

/* fuzz_write_file - replace path with len bytes of data; aborts on failure. */
void fuzz_write_file(const char *path, const void *data, size_t len);

/* fuzz_copy_file - copy src to dst (a missing src removes dst); aborts on failure. */
void fuzz_copy_file(const char *src, const char *dst);

#endif /* ROWFS_TESTS_FUZZ_UTIL_H */
