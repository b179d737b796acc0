/*
 * os.h - the only door to the operating system's file calls.
 *
 * Every pread/pwrite/fsync/ftruncate of the engine goes through a
 * `struct os` table, so tests can swap in one that fails the Nth call with
 * EIO or ENOSPC, tears a write, or simulates power loss by dropping writes
 * that were never fsynced (tests/unit/faultos.c).  The wrappers below loop
 * over EINTR and short transfers and turn failures into rowfs error codes
 * with a message naming the call and the file, e.g.
 * "fsync 'x.db-wal': Input/output error".
 */
#ifndef ROWFS_ENGINE_OS_H
#define ROWFS_ENGINE_OS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rowfs.h"

/* The replaceable system-call table.  Each entry behaves like the libc call. */
struct os {
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t n, off_t off);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t n, off_t off);
	int (*fsync)(void *ctx, int fd);
	int (*ftruncate)(void *ctx, int fd, off_t len);
	void *ctx;                     /* passed to every call */
};

/* An open file: descriptor, name for messages, and the table it uses. */
struct os_file {
	int fd;                        /* open descriptor */
	const struct os *os;           /* call table (never NULL) */
	char *path;                    /* malloc'd copy of the path, for messages */
};

/* The table that calls the real libc functions. */
const struct os *os_default(void);

/*
 * os_open - open path (flags as open(2); O_CLOEXEC added), mode 0644 when
 * created.  Returns ROWFS_OK and *out, ROWFS_IOERR, ROWFS_NOMEM.
 */
int os_open(const struct os *os, const char *path, int flags, struct os_file **out,
	    struct rowfs_err *err);

/* os_close - close and free; NULL is fine. */
void os_close(struct os_file *f);

/*
 * os_lock - take a non-blocking flock (exclusive or shared).
 * Returns ROWFS_OK, ROWFS_LOCKED ("database is locked"), ROWFS_IOERR.
 */
int os_lock(struct os_file *f, int exclusive, struct rowfs_err *err);

/*
 * os_read - read up to n bytes at off; *got receives the count, which is
 * less than n only at end of file.  Returns ROWFS_OK or ROWFS_IOERR.
 */
int os_read(struct os_file *f, void *buf, size_t n, uint64_t off, size_t *got,
	    struct rowfs_err *err);

/* os_write - write all n bytes at off.  ROWFS_OK, ROWFS_IOERR, ROWFS_FULL. */
int os_write(struct os_file *f, const void *buf, size_t n, uint64_t off,
	     struct rowfs_err *err);

/* os_sync - fdatasync-equivalent durability barrier.  ROWFS_OK, ROWFS_IOERR. */
int os_sync(struct os_file *f, struct rowfs_err *err);

/* os_truncate - set the file size.  ROWFS_OK, ROWFS_IOERR. */
int os_truncate(struct os_file *f, uint64_t size, struct rowfs_err *err);

/* os_size - current size of the file.  ROWFS_OK, ROWFS_IOERR. */
int os_size(struct os_file *f, uint64_t *size, struct rowfs_err *err);

#endif /* ROWFS_ENGINE_OS_H */
