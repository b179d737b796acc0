/*
 * status.c - the return-code table: code -> name -> errno.
 *
 * The one place where engine codes meet errno values.  The FUSE layer
 * returns -rowfs_errno(rc); the programs use the same table for messages.
 */
#include <config.h>
#include "rowfs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static const struct {
	const char *name;
	int errnum;
} status_table[] = {
	[ROWFS_OK] = {"ROWFS_OK", 0},
	[ROWFS_ERROR] = {"ROWFS_ERROR", EIO},
	[ROWFS_NOMEM] = {"ROWFS_NOMEM", ENOMEM},
	[ROWFS_IOERR] = {"ROWFS_IOERR", EIO},
	[ROWFS_CORRUPT] = {"ROWFS_CORRUPT", EIO},
	[ROWFS_FULL] = {"ROWFS_FULL", ENOSPC},
	[ROWFS_READONLY] = {"ROWFS_READONLY", EROFS},
	[ROWFS_TOKEN] = {"ROWFS_TOKEN", EINVAL},
	[ROWFS_SYNTAX] = {"ROWFS_SYNTAX", EINVAL},
	[ROWFS_RANGE] = {"ROWFS_RANGE", EINVAL},
	[ROWFS_TOOLONG] = {"ROWFS_TOOLONG", EINVAL},
	[ROWFS_DUPLICATE] = {"ROWFS_DUPLICATE", EEXIST},
	[ROWFS_NOTFOUND] = {"ROWFS_NOTFOUND", ENOENT},
	[ROWFS_LOCKED] = {"ROWFS_LOCKED", EBUSY},
	[ROWFS_NOTADB] = {"ROWFS_NOTADB", EIO},
	[ROWFS_META] = {"ROWFS_META", EINVAL},
	[ROWFS_EXIT] = {"ROWFS_EXIT", 0},
	[ROWFS_BUSY] = {"ROWFS_BUSY", EBUSY},
	[ROWFS_STALE] = {"ROWFS_STALE", ESTALE},
	[ROWFS_TXN] = {"ROWFS_TXN", EINVAL},
	[ROWFS_TOOBIG] = {"ROWFS_TOOBIG", EFBIG},
	[ROWFS_SCHEMA] = {"ROWFS_SCHEMA", EINVAL},
	[ROWFS_PERM] = {"ROWFS_PERM", EPERM},
};

#define STATUS_COUNT (sizeof(status_table) / sizeof(status_table[0]))

int rowfs_errno(int rc)
{
	if (rc < 0 || (unsigned)rc >= STATUS_COUNT)
		return EIO;
	return status_table[rc].errnum;
}

const char *rowfs_rc_name(int rc)
{
	if (rc < 0 || (unsigned)rc >= STATUS_COUNT)
		return "ROWFS_UNKNOWN";
	return status_table[rc].name;
}

int rowfs_err_set(struct rowfs_err *err, int rc, int sys_errno, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return rc;
	err->rc = rc;
	err->sys_errno = sys_errno;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

const char *rowfs_version(void)
{
	return PACKAGE_VERSION;
}
