/*
 * fileops.c - owns the operations (struct fs_file_ops, fs/handle.h) of
 * the generated files, the row files, the temporary files of by-id/ and
 * tables/T/import: the glue from an open handle to the modules that own
 * their content (fs/files.c, fs/byid.c, fs/tmpfile.c, fs/ctl.c).
 * fs/fuse_ops.c calls them through the kind table (fs/path.c) and holds
 * fs->lock around open and release.
 *
 * Streams (rows, rows.csv, rows.ndjson, dump, range/, first/, last/ of the
 * root and of every tables/T/) begin an engine read transaction at open,
 * ended at release: one open file shows one committed state.
 *
 * getattr: every kind's st_size is what an open reads right then, and its
 * st_mtime the last change of what it shows (rowfs(1), SIZES AND TIMES):
 * a stream's size is files_rows_size of the same arguments its open would
 * take (the engine's byte counts for a whole table, a bounded scan for a
 * range), a text's is rendered, a row file's looked up; times come from
 * rowfs_table_sizes / rowfs_last_change.  The root `stats` a getattr
 * renders is kept for the next open (struct fs), so they agree.  Texts
 * (btree, constants, stats, check, schema) are rendered at open through a
 * read transaction of their own.  A name under tables/T/ of a table that
 * does not exist is ENOENT at open (the engine says "no such table").
 *
 * Row files (by-id/KEY): the text is read at open; a write is one line
 * applied as one transaction (fs/byid.c), refused with EBUSY while a ctl
 * handle holds the write transaction.  A create is the first half of an
 * upsert: the file exists, size 0, while the creating handle has not
 * written its line.
 *
 * Temporary files (by-id/NAME, fs/tmpfile.c): read and written at their
 * offsets in the daemon's memory; rename over by-id/KEY of the same
 * directory is byid_set_text (one transaction; a content that fails
 * leaves the file as it was), to another temporary name a rename of the
 * file; chmod and chown are accepted and change nothing; never listed.
 * A row file is never renamed (EPERM).
 *
 * Failures of what a writer sent (row-file writes and closes, renames
 * over by-id/KEY, and through ctl's framing import's lines) are logged
 * (fs/log.h) with the writer's pid: see log_failure.
 *
 * log: the ring of fs/log.c.  An open file reads from the oldest line kept
 * at its open on, and goes on with every new line (its base, fs/log.h);
 * its st_size is where its end is now, so GNU tail -f (which polls fstat,
 * which reaches us by name: the caller's handle is found by pid) sees it
 * grow; by name without one, the bytes an open reads now.  st_mtime is
 * the newest line's time.
 *
 * tables/T/import: ctl's framing (fs/ctl.c: a write is one transaction,
 * short counts, errno), each line an input row of T (rowfs_input_statement:
 * CSV or NDJSON, decided by the first byte written: '{' is NDJSON).  A
 * UTF-8 byte order mark that starts the first write (spreadsheets save one)
 * is skipped, and counts as written.  A first CSV line equal to the column names is a header and skipped; blank
 * lines are skipped; replies of inserted rows are not queued, errors are
 * ("line N: " + the engine's text), readable by a handle opened for
 * reading and writing.
 */
#include <config.h>
#include "handle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1u << 0)   /* rename(2) flags as FUSE passes them (linux/fs.h) */
#endif

/* ---- log lines ---- */

/* The name log lines give p's file: "by-id/7", "tables/t/by-id/7", "tables/t/import". */
static void file_name(const struct path *p, char *buf, size_t size)
{
	const char *prefix = p->table[0] ? "tables/" : "";
	const char *slash = p->table[0] ? "/" : "";

	if (p->kind == PATH_IMPORT)
		snprintf(buf, size, "%s%s%simport", prefix, p->table, slash);
	else
		snprintf(buf, size, "%s%s%sby-id/%lld", prefix, p->table, slash, (long long)p->key);
}

/*
 * A write, close or rename of p's file that failed with rc (-errno) for
 * the calling process, logged as "NAME pid PID: WHAT failed (STRERROR):
 * TEXT" (TEXT: err's, if any): at LOG_ERR when not the writer's fault
 * (EIO, ENOSPC, ENOMEM), else LOG_NOTICE.
 */
static void log_failure(struct fs *fs, const struct path *p, const char *what, int rc,
			const struct rowfs_err *err)
{
	int level = rc == -EIO || rc == -ENOSPC || rc == -ENOMEM ? LOG_ERR : LOG_NOTICE;
	char name[ROWFS_NAME_MAX + 48];

	if (rc >= 0)
		return;
	file_name(p, name, sizeof(name));
	log_msg(fs->log, level, "%s pid %ld: %s failed (%s)%s%s", name, (long)fs_caller_pid(), what,
		strerror(-rc), err->msg[0] ? ": " : "", err->msg);
}

/* ---- times ---- */

/*
 * The time of p's content, read through txn: the last change of its
 * table, of any table for the root's dump, stats, check and changes, the
 * mount's for constants.  0 or -errno (ENOENT: no such table).
 */
static int content_time(struct fs *fs, struct rowfs_txn *txn, const struct path *p,
			struct timespec *when)
{
	struct rowfs_table_sizes counts;
	struct rowfs_err err;
	uint64_t seq;
	int rc;

	switch (p->kind) {
	case PATH_CONSTANTS:
	case PATH_CTL:
	case PATH_RANGE_DIR:
	case PATH_FIRST_DIR:
	case PATH_LAST_DIR:
		when->tv_sec = fs->mount_time;
		when->tv_nsec = 0;
		return 0;
	case PATH_ROOT:
	case PATH_TABLES_DIR:
	case PATH_DUMP:
	case PATH_STATS:
	case PATH_CHECK:
	case PATH_CHANGES:
		rowfs_last_change(fs->db, &seq, when);
		return 0;
	default:
		rc = rowfs_table_sizes(txn, path_table(p), 0, &counts, &err);
		if (rc != ROWFS_OK)
			return -rowfs_fail_errno(rc);
		*when = counts.change_time;
		return 0;
	}
}

int fs_name_attr(struct fs *fs, const struct path *p, struct fs_attr *attr)
{
	struct rowfs_txn *txn;
	struct rowfs_err err;
	int rc;

	pthread_mutex_lock(&fs->lock);
	rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &txn, &err);   /* the committed state */
	if (rc == ROWFS_OK) {
		rc = content_time(fs, txn, p, &attr->mtime);
		rowfs_txn_abort(txn);
	} else {
		rc = -rowfs_fail_errno(rc);
	}
	pthread_mutex_unlock(&fs->lock);
	if (rc == 0 && p->table[0])
		rc = fs_table_exists(fs, p);   /* (import, range/ ...: the mount's time read no table) */
	return rc;
}

/* ---- streams ---- */

/* The lines of p's table (users: Part 1's), malloc'd, into *out; 0 or -errno. */
static int open_lines(struct rowfs_txn *txn, const struct path *p,
		      struct rowfs_lines_table **out)
{
	struct rowfs_table_info *info = NULL;
	struct rowfs_err err;
	int rc = ROWFS_OK;

	*out = malloc(sizeof(**out));
	if (!*out)
		return -ENOMEM;
	if (!path_is_users(p)) {
		info = malloc(sizeof(*info));
		rc = info ? rowfs_table_info(txn, path_table(p), info, &err) : ROWFS_NOMEM;
	}
	if (rc == ROWFS_OK)
		rc = rowfs_lines_init(*out, info);
	free(info);
	if (rc != ROWFS_OK) {
		free(*out);
		*out = NULL;
		return -rowfs_fail_errno(rc);
	}
	return 0;
}

/* What a stream of the mount is: a key range, a row limit, a format. */
struct stream_args {
	enum render_format format;   /* line format */
	int64_t start;               /* first key */
	int64_t end;                 /* last key */
	uint64_t limit;              /* most rows */
};

/*
 * The stream p names, in the state txn reads (last/N: its window is found
 * there).  0 or -errno.
 */
static int stream_args(struct rowfs_txn *txn, const struct path *p, struct stream_args *a)
{
	struct rowfs_err err;
	int64_t start;
	int rc, found;

	a->format = RENDER_TSV;
	a->start = path_is_users(p) ? 0 : INT64_MIN;
	a->end = INT64_MAX;
	a->limit = UINT64_MAX;
	switch (p->kind) {
	case PATH_ROWS_CSV:
		a->format = RENDER_CSV;
		break;
	case PATH_ROWS_NDJSON:
		a->format = RENDER_NDJSON;
		break;
	case PATH_DUMP:
		a->format = RENDER_DUMP;
		break;
	case PATH_RANGE:
		a->start = p->start;
		a->end = p->end;
		break;
	case PATH_FIRST:
		a->limit = p->count;
		break;
	case PATH_LAST:
		/* the start is found once, at open: one open file, one window */
		rc = rowfs_last_start(txn, path_table(p), p->count, &start, &found, &err);
		if (rc != ROWFS_OK)
			return -rowfs_fail_errno(rc);
		if (found)
			a->start = start;
		a->limit = found ? p->count : 0;
		break;
	default:
		break;
	}
	return 0;
}

static int stream_open(struct fs *fs, struct fs_handle *h, int flags, int created)
{
	const struct path *p = &h->path;
	struct rowfs_lines_table *lines = NULL;
	struct stream_args a;
	struct rowfs_err err;
	int rc;

	(void)flags;
	(void)created;
	rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &h->reader, &err);
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	rc = open_lines(h->reader, p, &lines);
	if (rc == 0)
		rc = stream_args(h->reader, p, &a);
	if (rc != 0) {
		if (lines)
			rowfs_lines_release(lines);
		free(lines);
		return rc;
	}
	return files_rows_init(&h->u.rows, path_table(p), lines, a.format, a.start, a.end,
			       a.limit, h->reader);
}

static ssize_t stream_read(struct fs *fs, struct fs_handle *h, char *buf, size_t size,
			   uint64_t off, int flags)
{
	struct rowfs_err err;
	ssize_t n;

	(void)flags;
	pthread_mutex_lock(&fs->lock);
	n = files_rows_read(&h->u.rows, buf, size, off, &err);
	pthread_mutex_unlock(&fs->lock);
	return n;
}

static void stream_release(struct fs *fs, struct fs_handle *h)
{
	(void)fs;
	files_rows_release(&h->u.rows);
}

/*
 * The size of the stream p names (through an open handle: of the state
 * it reads), read through txn.  0 or -errno.
 */
static int stream_size(struct rowfs_txn *txn, const struct path *p, struct fs_handle *h,
		       off_t *size)
{
	struct rowfs_lines_table *lines = h ? h->u.rows.lines : NULL;
	struct stream_args a = {RENDER_TSV, 0, 0, 0};
	struct rowfs_err err;
	uint64_t bytes = 0;
	int rc = 0;

	if (!lines)
		rc = open_lines(txn, p, &lines);
	if (rc == 0 && h)
		a = (struct stream_args){h->u.rows.format, h->u.rows.start, h->u.rows.end,
					 h->u.rows.limit};
	else if (rc == 0)
		rc = stream_args(txn, p, &a);
	if (rc == 0)
		rc = files_rows_size(path_table(p), lines, a.format, a.start, a.end, a.limit, txn,
				     &bytes, &err);
	if (lines && !h) {
		rowfs_lines_release(lines);
		free(lines);
	}
	*size = (off_t)bytes;
	return rc;
}

/* st_size of a stream: the bytes an open right then reads (the handle's: what it reads). */
static int stream_getattr(struct fs *fs, const struct path *p, struct fs_handle *h,
			  struct fs_attr *attr)
{
	struct rowfs_txn *txn = h ? h->reader : NULL;
	struct rowfs_err err;
	int rc = 0;

	pthread_mutex_lock(&fs->lock);
	if (!txn && rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &txn, &err) != ROWFS_OK)
		rc = -rowfs_fail_errno(err.rc);
	if (rc == 0)
		rc = content_time(fs, txn, p, &attr->mtime);
	if (rc == 0)
		rc = stream_size(txn, p, h, &attr->size);
	if (!h)
		rowfs_txn_abort(txn);
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

const struct fs_file_ops fs_stream_ops = {
	.open = stream_open,
	.read = stream_read,
	.release = stream_release,
	.getattr = stream_getattr,
};

/* ---- texts rendered at open ---- */

/* Which text a kind shows. */
static enum files_text_kind text_kind(enum path_kind kind)
{
	switch (kind) {
	case PATH_CONSTANTS:
		return FILES_TEXT_CONSTANTS;
	case PATH_STATS:
		return FILES_TEXT_STATS;
	case PATH_TABLE_STATS:
		return FILES_TEXT_TABLE_STATS;
	case PATH_CHECK:
		return FILES_TEXT_CHECK;
	case PATH_SCHEMA:
		return FILES_TEXT_SCHEMA;
	default:
		return FILES_TEXT_TABLE_BTREE;
	}
}

/* Milliseconds from then to now (CLOCK_MONOTONIC). */
static long ms_since(const struct timespec *then)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - then->tv_sec) * 1000 + (now.tv_nsec - then->tv_nsec) / 1000000;
}

/* Is the root stats text a getattr rendered still the one an open reads?  Under lock. */
static int stats_kept(struct fs *fs)
{
	return fs->stats_text.buf && fs->stats_seq == rowfs_last_seq(fs->db) &&
	       ms_since(&fs->stats_time) < FS_STATS_KEEP_MS;
}

/* Copy of a text into t (zeroed or released); 0 or -ENOMEM. */
static int text_copy(struct files_text *t, const struct files_text *from)
{
	t->buf = malloc(from->len ? from->len : 1);
	if (!t->buf)
		return -ENOMEM;
	memcpy(t->buf, from->buf, from->len);
	t->len = t->cap = from->len;
	return 0;
}

static int text_open(struct fs *fs, struct fs_handle *h, int flags, int created)
{
	struct rowfs_txn *txn;
	struct rowfs_err err;
	int rc;

	(void)flags;
	(void)created;
	if (h->path.kind == PATH_STATS && stats_kept(fs))
		return text_copy(&h->u.text, &fs->stats_text);
	rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &txn, &err);
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	rc = files_text_render(&h->u.text, text_kind(h->path.kind), path_table(&h->path), txn,
			       &err);
	rowfs_txn_abort(txn);
	return rc;
}

static ssize_t text_read(struct fs *fs, struct fs_handle *h, char *buf, size_t size,
			 uint64_t off, int flags)
{
	(void)fs;
	(void)flags;
	return (ssize_t)files_text_read(&h->u.text, buf, size, off);   /* immutable: no lock */
}

static void text_release(struct fs *fs, struct fs_handle *h)
{
	(void)fs;
	files_text_release(&h->u.text);
}

/*
 * st_size of a text: rendered now (an open handle: its text's length);
 * `check` is a stream that runs the whole check at open, so it shows 0.
 * The root `stats` rendered here is kept for the next open (struct fs).
 */
static int text_getattr(struct fs *fs, const struct path *p, struct fs_handle *h,
			struct fs_attr *attr)
{
	struct files_text t = {NULL, 0, 0};
	struct rowfs_txn *txn;
	struct rowfs_err err;
	int rc;

	pthread_mutex_lock(&fs->lock);
	rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &txn, &err);
	if (rc != ROWFS_OK) {
		pthread_mutex_unlock(&fs->lock);
		return -rowfs_fail_errno(rc);
	}
	rc = content_time(fs, txn, p, &attr->mtime);
	if (rc == 0 && h) {
		attr->size = (off_t)h->u.text.len;
	} else if (rc == 0 && p->kind != PATH_CHECK) {
		rc = files_text_render(&t, text_kind(p->kind), path_table(p), txn, &err);
		attr->size = (off_t)t.len;
	}
	rowfs_txn_abort(txn);
	if (rc == 0 && !h && p->kind == PATH_STATS) {
		files_text_release(&fs->stats_text);
		fs->stats_text = t;
		fs->stats_seq = rowfs_last_seq(fs->db);
		clock_gettime(CLOCK_MONOTONIC, &fs->stats_time);
	} else {
		files_text_release(&t);
	}
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

const struct fs_file_ops fs_text_ops = {
	.open = text_open,
	.read = text_read,
	.release = text_release,
	.getattr = text_getattr,
};

/* ---- row files ---- */

/* Is a handle creating row key of table (created, no line applied yet)?  Under lock. */
static int row_pending(const struct fs *fs, const struct path *p)
{
	const struct fs_handle *h;

	for (h = fs->handles; h; h = h->next)
		if (h->info->ops == &fs_row_ops && h->u.row.key == p->key &&
		    strcmp(h->u.row.table, p->table) == 0 && byid_pending(&h->u.row))
			return 1;
	return 0;
}

static int row_open(struct fs *fs, struct fs_handle *h, int flags, int created)
{
	const struct path *p = &h->path;
	struct byid_file *f = &h->u.row;
	int writing = (flags & O_ACCMODE) != O_RDONLY;
	struct rowfs_err err;
	int found = 0;
	int rc;

	byid_file_init(f, p->table, p->key, writing, created);
	rc = byid_lookup(fs->db, p->table, p->key, &found, &f->text, &f->text_len, &err);
	if (rc != 0)
		return rc;
	if (created && found)
		f->created = 0;   /* made meanwhile by someone else: an open of it */
	if (!found && !created && (flags & O_ACCMODE) != O_WRONLY && !row_pending(fs, p)) {
		byid_file_release(f);
		return -ENOENT;
	}
	return 0;
}

static ssize_t row_read(struct fs *fs, struct fs_handle *h, char *buf, size_t size,
			uint64_t off, int flags)
{
	const struct byid_file *f = &h->u.row;
	size_t n;

	(void)fs;
	(void)flags;
	if (off >= f->text_len)
		return 0;
	n = f->text_len - (size_t)off;
	if (n > size)
		n = size;
	memcpy(buf, f->text + off, n);
	return (ssize_t)n;
}

static ssize_t row_write(struct fs *fs, struct fs_handle *h, const char *buf, size_t size,
			 uint64_t off)
{
	struct rowfs_err err;
	ssize_t n;

	(void)off;   /* a row file being written is a stream of one line */
	if (!h->u.row.writing)
		return -EBADF;
	err.msg[0] = '\0';
	pthread_mutex_lock(&fs->lock);
	/* refused before the line is taken: a partial line is never kept for later */
	n = fs_row_busy(fs, h);
	if (n == 0)
		n = byid_write(&h->u.row, fs->db, buf, size, &err);
	pthread_mutex_unlock(&fs->lock);
	log_failure(fs, &h->path, "write", (int)n, &err);
	return n;
}

/*
 * close: apply a line that never got its newline.  Only the failure of
 * such a line is logged: a close with nothing written (the dup'ed fd a
 * shell's redirection closes before writing, touch) is no failed write.
 */
static int row_flush(struct fs *fs, struct fs_handle *h)
{
	struct rowfs_err err;
	int unapplied;
	int rc;

	err.msg[0] = '\0';
	pthread_mutex_lock(&fs->lock);
	unapplied = byid_unapplied(&h->u.row);
	rc = rowfs_has_writer(fs->db) && unapplied ? -EBUSY : byid_flush(&h->u.row, fs->db, &err);
	pthread_mutex_unlock(&fs->lock);
	if (unapplied)
		log_failure(fs, &h->path, "close", rc, &err);
	return rc;
}

static void row_release(struct fs *fs, struct fs_handle *h)
{
	(void)fs;
	byid_file_release(&h->u.row);
}

/*
 * Size of a row file: its text's length, or 0 while a handle is creating
 * it; its time: its table's last change.
 */
static int row_getattr(struct fs *fs, const struct path *p, struct fs_handle *h,
		       struct fs_attr *attr)
{
	struct rowfs_table_sizes counts;
	struct rowfs_txn *txn;
	struct rowfs_err err;
	char *text = NULL;
	size_t len = 0;
	int found = 0;
	int rc;

	pthread_mutex_lock(&fs->lock);
	rc = byid_lookup(fs->db, p->table, p->key, &found, &text, &len, &err);
	if (rc == 0 && !found && !row_pending(fs, p) && !h)
		rc = -ENOENT;   /* deleted while open: still a file, now empty */
	if (rc == 0 && rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &txn, &err) == ROWFS_OK) {
		if (rowfs_table_sizes(txn, path_table(p), 0, &counts, &err) == ROWFS_OK)
			attr->mtime = counts.change_time;
		rowfs_txn_abort(txn);
	}
	pthread_mutex_unlock(&fs->lock);
	free(text);
	attr->size = (off_t)len;
	return rc;
}


/*
 * truncate: to 0 (what O_TRUNC does: the next line replaces the row) or
 * to the row's current size, accepted and changes nothing; any other
 * size is EINVAL (a row's content is one line: write it).
 */
static int row_truncate(struct fs *fs, const struct path *p, struct fs_handle *h,
			uint64_t size)
{
	struct fs_attr current = {0, {0, 0}};
	int rc;

	if (size == 0)
		return 0;
	rc = row_getattr(fs, p, h, &current);
	if (rc != 0)
		return rc;
	return size == (uint64_t)current.size ? 0 : -EINVAL;
}

/* rm by-id/KEY deletes the row. */
static int row_unlink(struct fs *fs, const struct path *p)
{
	struct rowfs_err err;
	int rc;

	pthread_mutex_lock(&fs->lock);
	fs_wait_for_closing_writer(fs, NULL);
	rc = byid_delete(fs->db, p->table, p->key, &err);   /* EBUSY while another holds the writer */
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

const struct fs_file_ops fs_row_ops = {
	.open = row_open,
	.read = row_read,
	.write = row_write,
	.flush = row_flush,
	.release = row_release,
	.getattr = row_getattr,
	.truncate = row_truncate,
	.unlink = row_unlink,
};

/* ---- temporary files of by-id/ ---- */

/*
 * open: an existing temporary file, or (create) a new one; a create of a
 * name that exists opens it, or is EEXIST with O_EXCL.  Under lock.
 */
static int tmp_open(struct fs *fs, struct fs_handle *h, int flags, int created)
{
	struct tmpfile *f = tmpfiles_find(&fs->tmpfiles, h->path.table, h->path.name);
	int rc;

	if (f && created && (flags & O_EXCL))
		return -EEXIST;
	if (f) {
		tmpfile_hold(f);
	} else if (!created) {
		return -ENOENT;
	} else {
		rc = tmpfiles_create(&fs->tmpfiles, h->path.table, h->path.name, &f);
		if (rc != 0)
			return rc;
	}
	h->u.tmp.file = f;
	h->u.tmp.append = (flags & O_APPEND) != 0;
	return 0;
}

static ssize_t tmp_read(struct fs *fs, struct fs_handle *h, char *buf, size_t size,
			uint64_t off, int flags)
{
	size_t n;

	(void)flags;
	pthread_mutex_lock(&fs->lock);
	n = tmpfile_read(h->u.tmp.file, buf, size, off);
	pthread_mutex_unlock(&fs->lock);
	return (ssize_t)n;
}

static ssize_t tmp_write(struct fs *fs, struct fs_handle *h, const char *buf, size_t size,
			 uint64_t off)
{
	ssize_t n;

	pthread_mutex_lock(&fs->lock);
	if (h->u.tmp.append)
		off = tmpfile_size(h->u.tmp.file);
	n = tmpfile_write(&fs->tmpfiles, h->u.tmp.file, buf, size, off);
	pthread_mutex_unlock(&fs->lock);
	return n;
}

static void tmp_release(struct fs *fs, struct fs_handle *h)
{
	tmpfile_drop(&fs->tmpfiles, h->u.tmp.file);
}

/* The file a name or a handle (an unlinked file's, too) means, or NULL.  Under lock. */
static struct tmpfile *tmp_file(struct fs *fs, const struct path *p, struct fs_handle *h)
{
	if (h && h->info && h->info->ops == &fs_tmp_ops)
		return h->u.tmp.file;
	return tmpfiles_find(&fs->tmpfiles, p->table, p->name);
}

static int tmp_getattr(struct fs *fs, const struct path *p, struct fs_handle *h,
		       struct fs_attr *attr)
{
	struct tmpfile *f;

	pthread_mutex_lock(&fs->lock);
	f = tmp_file(fs, p, h);
	attr->size = f ? (off_t)tmpfile_size(f) : 0;
	pthread_mutex_unlock(&fs->lock);
	return f ? 0 : -ENOENT;
}

static int tmp_truncate(struct fs *fs, const struct path *p, struct fs_handle *h,
			uint64_t size)
{
	struct tmpfile *f;
	int rc = -ENOENT;

	pthread_mutex_lock(&fs->lock);
	f = tmp_file(fs, p, h);
	if (f)
		rc = tmpfile_truncate(&fs->tmpfiles, f, size);
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

static int tmp_unlink(struct fs *fs, const struct path *p)
{
	struct tmpfile *f;

	pthread_mutex_lock(&fs->lock);
	f = tmpfiles_find(&fs->tmpfiles, p->table, p->name);
	if (f)
		tmpfile_unlink(&fs->tmpfiles, f);
	pthread_mutex_unlock(&fs->lock);
	return f ? 0 : -ENOENT;
}

/*
 * The row of `to` takes f's content (one transaction); f's name (from_name) goes.
 * Under lock, which the caller must not have dropped since it found f
 * (fs_row_busy, which may drop it, comes first).
 */
static int tmp_commit(struct fs *fs, struct tmpfile *f, const char *from_name,
		      const struct path *to, unsigned flags)
{
	struct rowfs_err err;
	char what[PATH_NAME_MAX + 32];
	int rc;

	err.msg[0] = '\0';
	rc = byid_set_text(fs->db, to->table, to->key, tmpfile_data(f), (size_t)tmpfile_size(f),
			   (flags & RENAME_NOREPLACE) != 0, &err);
	if (rc == 0) {
		tmpfile_unlink(&fs->tmpfiles, f);
		return 0;
	}
	snprintf(what, sizeof(what), "rename of '%s' over it", from_name);
	log_failure(fs, to, what, rc, &err);
	return rc;
}

/*
 * rename, within its by-id/ only (else EPERM, never EXDEV): over a key,
 * the atomic replace-or-insert of that row with the file's content
 * (EINVAL and the like leave the file as it was); to another temporary
 * name, a rename of the file.  RENAME_NOREPLACE: EEXIST when the target
 * exists; RENAME_EXCHANGE: EINVAL.
 */
static int tmp_rename(struct fs *fs, const struct path *from, const struct path *to,
		      unsigned flags)
{
	struct tmpfile *f;
	int rc;

	if (flags & ~(unsigned)RENAME_NOREPLACE)
		return -EINVAL;
	if (to->dir != PATH_BYID_DIR || strcmp(to->table, from->table) != 0 ||
	    (to->kind != PATH_ROW && to->kind != PATH_TMP))
		return -EPERM;
	pthread_mutex_lock(&fs->lock);
	/* EBUSY while a ctl handle holds the writer (may drop the lock: before the lookup) */
	rc = to->kind == PATH_ROW ? fs_row_busy(fs, NULL) : 0;
	f = tmpfiles_find(&fs->tmpfiles, from->table, from->name);
	if (!f)
		rc = -ENOENT;
	if (rc == 0 && to->kind == PATH_ROW)
		rc = tmp_commit(fs, f, from->name, to, flags);
	else if (rc == 0 && (flags & RENAME_NOREPLACE) &&
		 tmpfiles_find(&fs->tmpfiles, to->table, to->name))
		rc = -EEXIST;
	else if (rc == 0)
		rc = tmpfile_rename(&fs->tmpfiles, f, to->name);
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

/* chmod, chown (sed -i, rsync, vim set the mode of their temporary file): accepted. */
static int tmp_chattr(struct fs *fs, const struct path *p)
{
	(void)fs;
	(void)p;
	return 0;
}

const struct fs_file_ops fs_tmp_ops = {
	.open = tmp_open,
	.read = tmp_read,
	.write = tmp_write,
	.release = tmp_release,
	.getattr = tmp_getattr,
	.truncate = tmp_truncate,
	.unlink = tmp_unlink,
	.rename = tmp_rename,
	.chattr = tmp_chattr,
};

/* ---- tables/T/import ---- */

/* The executor of an import write: the database's, with each line made an insert. */
struct import_exec {
	struct ctl_executor db;   /* the engine's executor of the handle's session */
	struct fs_handle *h;      /* the import handle */
};

static int import_begin(void *ctx, struct rowfs_err *err)
{
	struct import_exec *x = ctx;

	return x->db.begin(x->db.ctx, err);
}

static int import_commit(void *ctx, struct rowfs_err *err)
{
	struct import_exec *x = ctx;

	return x->db.commit(x->db.ctx, err);
}

static int import_rollback(void *ctx, struct rowfs_err *err)
{
	struct import_exec *x = ctx;

	return x->db.rollback(x->db.ctx, err);
}

/* Engine emit callback: the replies of inserted rows go nowhere. */
static int discard_reply(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	(void)text;
	(void)len;
	return 0;
}

/* Is line[0..len) blank (spaces, tabs, a CR)? */
static int blank_line(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			return 0;
	return 1;
}

/* Is line[0..len) the CSV header of the table (its column names)? */
static int header_line(const struct import_handle *im, const char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	return len + 1 == im->header_len && memcmp(line, im->header, len) == 0;
}

/* One input line: the insert rowfs_input_statement makes of it, run in the session. */
static int import_line(void *ctx, const char *line, size_t len, rowfs_emit_fn emit,
		       void *emit_ctx, struct rowfs_err *err)
{
	struct import_exec *x = ctx;
	struct fs_handle *h = x->h;
	struct import_handle *im = &h->u.import;
	uint64_t number = ctl_line_number(im->ctl);
	struct rowfs_err detail;
	char *stmt = NULL;
	size_t stmt_len = 0;
	int rc;

	(void)emit;
	(void)emit_ctx;
	if (blank_line(line, len) ||
	    (number == 1 && im->form == ROWFS_INPUT_CSV && header_line(im, line, len)))
		return ROWFS_OK;
	rc = rowfs_input_statement(h->session.txn, path_table(&h->path), im->form,
				   ROWFS_INPUT_INSERT, 0, 0, line, len, &stmt, &stmt_len, &detail);
	if (rc == ROWFS_OK) {
		rc = x->db.exec(x->db.ctx, stmt, stmt_len, discard_reply, NULL, &detail);
		free(stmt);
	}
	if (rc != ROWFS_OK && rc != ROWFS_EXIT) {
		*err = detail;
		snprintf(err->msg, sizeof(err->msg), "line %llu: %.224s", (unsigned long long)number,
			 detail.msg);
	}
	return rc;
}

/* The executor of h's writes, in *x. */
static const struct ctl_executor *import_executor(struct import_exec *x, struct fs_handle *h,
						  struct ctl_executor *ex)
{
	ctl_executor_init_db(&x->db, &h->session);
	x->h = h;
	ex->begin = import_begin;
	ex->exec = import_line;
	ex->commit = import_commit;
	ex->rollback = import_rollback;
	ex->boundaries = NULL;   /* input lines never begin or end a transaction */
	ex->ctx = x;
	return ex;
}

static int import_open(struct fs *fs, struct fs_handle *h, int flags, int created)
{
	char name[ROWFS_NAME_MAX + 48];
	struct import_handle *im = &h->u.import;
	struct rowfs_lines_table *names = NULL;
	struct rowfs_txn *txn;
	struct rowfs_err err;
	int rc;

	(void)flags;
	(void)created;
	im->form = -1;
	if (path_is_users(&h->path))
		return -EACCES;   /* users has no import: the seed's `insert ID NAME` is its input */
	rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &txn, &err);
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	rc = open_lines(txn, &h->path, &names);
	rowfs_txn_abort(txn);
	if (rc != 0)
		return rc;
	im->header = names->header;
	im->header_len = names->header_len;
	names->header = NULL;
	rowfs_lines_release(names);
	free(names);
	h->session.db = fs->db;
	im->ctl = ctl_new(&fs->ctl_budget);
	if (!im->ctl) {
		free(im->header);
		return -ENOMEM;
	}
	file_name(&h->path, name, sizeof(name));
	ctl_set_log(im->ctl, fs->log, name);
	return 0;
}

/* The form of the input, from its first non-blank byte ('{': NDJSON). */
static void import_detect(struct import_handle *im, const char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < size && im->form < 0; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')
			continue;
		im->form = buf[i] == '{' ? ROWFS_INPUT_JSON : ROWFS_INPUT_CSV;
		ctl_set_quoted_newlines(im->ctl, im->form == ROWFS_INPUT_CSV);
	}
}

/* The bytes of a UTF-8 byte order mark that starts the first write (0 or 3). */
static size_t import_bom(struct import_handle *im, const char *buf, size_t size)
{
	size_t skip = 0;

	if (!im->started && size >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	if (size > 0)
		im->started = 1;
	return skip;
}

static ssize_t import_write(struct fs *fs, struct fs_handle *h, const char *buf, size_t size,
			    uint64_t off)
{
	struct import_exec x;
	struct ctl_executor ex;
	size_t skip;
	ssize_t n;

	(void)off;   /* a stream, as ctl */
	pthread_mutex_lock(&fs->lock);
	skip = import_bom(&h->u.import, buf, size);
	import_detect(&h->u.import, buf + skip, size - skip);
	fs_wait_for_closing_writer(fs, h);
	ctl_set_writer(h->u.import.ctl, fs_caller_pid());
	n = ctl_write(h->u.import.ctl, import_executor(&x, h, &ex), buf + skip, size - skip);
	pthread_mutex_unlock(&fs->lock);
	return n >= 0 ? n + (ssize_t)skip : n;   /* the mark counts as written */
}

static int import_flush(struct fs *fs, struct fs_handle *h)
{
	struct import_exec x;
	struct ctl_executor ex;
	int rc;

	pthread_mutex_lock(&fs->lock);
	ctl_set_writer(h->u.import.ctl, fs_caller_pid());
	rc = ctl_flush(h->u.import.ctl, import_executor(&x, h, &ex));
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

static ssize_t import_read(struct fs *fs, struct fs_handle *h, char *buf, size_t size,
			   uint64_t off, int flags)
{
	ssize_t n;

	(void)off;
	(void)flags;
	pthread_mutex_lock(&fs->lock);
	n = (ssize_t)ctl_read(h->u.import.ctl, buf, size);
	pthread_mutex_unlock(&fs->lock);
	return n;
}

static void import_release(struct fs *fs, struct fs_handle *h)
{
	(void)fs;
	ctl_session_end(&h->session);
	ctl_free(h->u.import.ctl);
	free(h->u.import.header);
}

const struct fs_file_ops fs_import_ops = {
	.open = import_open,
	.read = import_read,
	.write = import_write,
	.flush = import_flush,
	.release = import_release,
};

/* ---- log ---- */

/* A new reader starts at the oldest line kept (its base: fs/log.h). */
static int log_open(struct fs *fs, struct fs_handle *h, int flags, int created)
{
	(void)flags;
	(void)created;
	h->u.log_base = log_ring_start(fs->log);
	return 0;
}

/* The ring from the handle's offset (past what was dropped: log_ring_read). */
static ssize_t log_file_read(struct fs *fs, struct fs_handle *h, char *buf, size_t size,
			     uint64_t off, int flags)
{
	(void)flags;
	return (ssize_t)log_ring_read(fs->log, buf, size, off, &h->u.log_base);
}

/*
 * The open log handle a getattr by name stands for: the caller's (fstat
 * carries no handle), the oldest (a follower's, not the one tail -F opens
 * for a moment to recheck the name); NULL when the caller has none open.
 * Under lock.
 */
static struct fs_handle *callers_log(struct fs *fs)
{
	pid_t pid = fs_caller_pid();
	struct fs_handle *h, *oldest = NULL;

	for (h = fs->handles; h; h = h->next)
		if (h->info->ops == &fs_log_ops && h->pid == pid)
			oldest = h;
	return oldest;
}

/*
 * st_size: what the handle reads from its offset 0 (it grows with every
 * line, so tail -f sees it grow); by name, the caller's open handle's,
 * else what an open reads now (the lines kept).  st_mtime: the newest
 * line's time.
 */
static int log_getattr(struct fs *fs, const struct path *p, struct fs_handle *h,
		       struct fs_attr *attr)
{
	uint64_t size;

	(void)p;
	pthread_mutex_lock(&fs->lock);
	if (!h)
		h = callers_log(fs);
	log_ring_stat(fs->log, h ? &h->u.log_base : NULL, &size, &attr->mtime);
	pthread_mutex_unlock(&fs->lock);
	attr->size = (off_t)size;
	return 0;
}

const struct fs_file_ops fs_log_ops = {
	.open = log_open,
	.read = log_file_read,
	.getattr = log_getattr,
};
