/*
 * status.c - the return-code table: code -> name -> errno -> fatal.
 *
 * The one place where engine codes meet errno values and the one rule of
 * which codes end a transaction.  The FUSE layer returns -rowfs_errno(rc)
 * (-rowfs_fail_errno(rc) for a call that failed); the programs use the
 * same table for messages; the engine, ctl and rowsh roll back when
 * rowfs_rc_is_fatal(rc).
 */
#include <config.h>
#include "rowfs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "util.h"

/*
 * One row a code: its name, the errno a filesystem call reports, and
 * whether it is fatal to the open transaction (rowfs_rc_is_fatal).
 *
 * Fatal means "pages may be half changed, so the transaction must be
 * rolled back": the code can come from the middle of a change.
 *   IOERR, FULL  a write, fsync or read failed part way (the pager is in
 *                its sticky error state after a failed WAL write);
 *   NOMEM        an allocation failed part way (a split that got one
 *                page and not the next);
 *   CORRUPT      the bytes under the change break an invariant, so what
 *                was written on top of them cannot be trusted;
 *   ERROR        the engine's internal failures (bad opcode, a write to a
 *                snapshot page, "rollback needs a reload"): raised wherever
 *                the program stood.
 * Not fatal: the statement errors (TOKEN, SYNTAX, RANGE, TOOLONG,
 * DUPLICATE, NOTFOUND, META, READONLY, and TOOBIG, which pager_log_room
 * reports before a change), the transaction-state errors (TXN, BUSY: nothing
 * ran), STALE (a read of an expired snapshot), LOCKED and NOTADB (open or
 * reload: no change begun), and OK, EXIT.  The three copies this replaces
 * (db.c, fs/ctl.c, src/rowsh.c) agreed on all of it but ERROR, which
 * rowsh's copy left out, so a batch went on and committed after it.
 */
static const struct {
	const char *name;   /* the enum's name */
	int errnum;         /* rowfs_errno */
	int fatal;          /* rowfs_rc_is_fatal */
} status_table[] = {
	[ROWFS_OK] = {"ROWFS_OK", 0, 0},
	[ROWFS_ERROR] = {"ROWFS_ERROR", EIO, 1},
	[ROWFS_NOMEM] = {"ROWFS_NOMEM", ENOMEM, 1},
	[ROWFS_IOERR] = {"ROWFS_IOERR", EIO, 1},
	[ROWFS_CORRUPT] = {"ROWFS_CORRUPT", EIO, 1},
	[ROWFS_FULL] = {"ROWFS_FULL", ENOSPC, 1},
	[ROWFS_READONLY] = {"ROWFS_READONLY", EROFS, 0},
	[ROWFS_TOKEN] = {"ROWFS_TOKEN", EINVAL, 0},
	[ROWFS_SYNTAX] = {"ROWFS_SYNTAX", EINVAL, 0},
	[ROWFS_RANGE] = {"ROWFS_RANGE", EINVAL, 0},
	[ROWFS_TOOLONG] = {"ROWFS_TOOLONG", EINVAL, 0},
	[ROWFS_DUPLICATE] = {"ROWFS_DUPLICATE", EEXIST, 0},
	[ROWFS_NOTFOUND] = {"ROWFS_NOTFOUND", ENOENT, 0},
	[ROWFS_LOCKED] = {"ROWFS_LOCKED", EBUSY, 0},
	[ROWFS_NOTADB] = {"ROWFS_NOTADB", EIO, 0},
	[ROWFS_META] = {"ROWFS_META", EINVAL, 0},
	[ROWFS_EXIT] = {"ROWFS_EXIT", 0, 0},
	[ROWFS_BUSY] = {"ROWFS_BUSY", EBUSY, 0},
	[ROWFS_STALE] = {"ROWFS_STALE", ESTALE, 0},
	[ROWFS_TXN] = {"ROWFS_TXN", EINVAL, 0},
	[ROWFS_TOOBIG] = {"ROWFS_TOOBIG", EFBIG, 0},
	[ROWFS_SCHEMA] = {"ROWFS_SCHEMA", EINVAL, 0},
	[ROWFS_PERM] = {"ROWFS_PERM", EPERM, 0},
};

#define STATUS_COUNT (sizeof(status_table) / sizeof(status_table[0]))

int rowfs_errno(int rc)
{
	if (rc < 0 || (unsigned)rc >= STATUS_COUNT)
		return EIO;
	return status_table[rc].errnum;
}

int rowfs_fail_errno(int rc)
{
	int e = rowfs_errno(rc);

	return e ? e : EIO;
}

int rowfs_rc_is_fatal(int rc)
{
	if (rc < 0 || (unsigned)rc >= STATUS_COUNT)
		return 1;
	return status_table[rc].fatal;
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

size_t rowfs_utf8_sequence_len(const unsigned char *p, size_t n, uint32_t *cp)
{
	return utf8_sequence_len(p, n, cp);
}

int rowfs_buf_grow(char **p, size_t *cap, size_t need, size_t min, size_t bound)
{
	return buf_grow(p, cap, need, min, bound);
}
