/*
 * os.c - system calls for files, behind a replaceable table (see os.h).
 *
 * Owns: the EINTR and short-transfer loops, flock, error messages that name
 * the failed call and file.  errno is saved into rowfs_err.sys_errno.
 */
#include <config.h>
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static ssize_t real_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	(void)ctx;
	return pread(fd, buf, n, off);
}

static ssize_t real_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	(void)ctx;
	return pwrite(fd, buf, n, off);
}

static int real_fsync(void *ctx, int fd)
{
	(void)ctx;
	return fdatasync(fd);
}

static int real_ftruncate(void *ctx, int fd, off_t len)
{
	(void)ctx;
	return ftruncate(fd, len);
}

static const struct os os_real = {
	.pread = real_pread,
	.pwrite = real_pwrite,
	.fsync = real_fsync,
	.ftruncate = real_ftruncate,
	.ctx = NULL,
};

const struct os *os_default(void)
{
	return &os_real;
}

/* Record a failed call: "CALL 'PATH': strerror". */
static int os_fail(struct os_file *f, const char *call, int errnum, struct rowfs_err *err)
{
	int rc = errnum == ENOSPC ? ROWFS_FULL : ROWFS_IOERR;

	return rowfs_err_set(err, rc, errnum, "%s '%s': %s", call, f->path, strerror(errnum));
}

int os_open(const struct os *os, const char *path, int flags, struct os_file **out,
	    struct rowfs_err *err)
{
	struct os_file *f;
	int fd;

	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	f->path = strdup(path);
	if (!f->path) {
		free(f);
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	}
	do {
		fd = open(path, flags | O_CLOEXEC, 0644);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		int saved = errno;
		int rc = rowfs_err_set(err, ROWFS_IOERR, saved, "open '%s': %s", path, strerror(saved));

		free(f->path);
		free(f);
		return rc;
	}
	f->fd = fd;
	f->os = os ? os : &os_real;
	*out = f;
	return ROWFS_OK;
}

void os_close(struct os_file *f)
{
	if (!f)
		return;
	close(f->fd);
	free(f->path);
	free(f);
}

int os_lock(struct os_file *f, int exclusive, struct rowfs_err *err)
{
	int r;

	do {
		r = flock(f->fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		return ROWFS_OK;
	if (errno == EWOULDBLOCK)
		return rowfs_err_set(err, ROWFS_LOCKED, EWOULDBLOCK, "database is locked");
	return os_fail(f, "flock", errno, err);
}

int os_read(struct os_file *f, void *buf, size_t n, uint64_t off, size_t *got,
	    struct rowfs_err *err)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = f->os->pread(f->os->ctx, f->fd, (char *)buf + done, n - done,
					 (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return os_fail(f, "pread", errno, err);
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return ROWFS_OK;
}

int os_write(struct os_file *f, const void *buf, size_t n, uint64_t off,
	     struct rowfs_err *err)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = f->os->pwrite(f->os->ctx, f->fd, (const char *)buf + done, n - done,
					  (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return os_fail(f, "pwrite", errno, err);
		}
		if (r == 0)
			return os_fail(f, "pwrite", EIO, err);
		done += (size_t)r;
	}
	return ROWFS_OK;
}

int os_sync(struct os_file *f, struct rowfs_err *err)
{
	/* Never retried: after a failed fsync the kernel may have dropped the dirty pages. */
	if (f->os->fsync(f->os->ctx, f->fd) < 0)
		return os_fail(f, "fsync", errno, err);
	return ROWFS_OK;
}

int os_truncate(struct os_file *f, uint64_t size, struct rowfs_err *err)
{
	int r;

	do {
		r = f->os->ftruncate(f->os->ctx, f->fd, (off_t)size);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return os_fail(f, "ftruncate", errno, err);
	return ROWFS_OK;
}

int os_size(struct os_file *f, uint64_t *size, struct rowfs_err *err)
{
	struct stat st;

	if (fstat(f->fd, &st) < 0)
		return os_fail(f, "fstat", errno, err);
	*size = (uint64_t)st.st_size;
	return ROWFS_OK;
}
