/*
 * fuse_ops.c - owns the fuse_operations table of the rowfs mount: the
 * attributes of every name, the open-handle objects behind fi->fh, the
 * listings of directories, the errno of every operation, and the
 * operations of ctl and changes.  What a path names, its mode and the
 * operations that serve it come from the kind table (fs/path.c); the
 * operations of the other files live with their content (fs/fileops.c).
 *
 * The names (see rowfs(1)):
 *   ctl            0600  statements in, replies out (fs/ctl.c)
 *   rows           0444  ID<TAB>USERNAME lines, streamed (fs/files.c)
 *   rows.csv       0444  the same rows as CSV, streamed
 *   rows.ndjson    0444  the same rows as JSON lines, streamed
 *   btree          0444  tree dump, rendered at open
 *   constants      0444  engine constants, rendered at open
 *   stats          0444  engine statistics, rendered at open
 *   dump           0444  the rows as a replayable script, streamed
 *   check          0444  the fsck invariants on the committed state, run at open
 *   changes        0444  the change feed: blocking reads, poll (fs/changes.c)
 *   log            0444  the daemon's recent messages (fs/log.c's ring)
 *   by-id/         0755  one file per row (fs/byid.c)
 *   by-id/ID       0644  the row's username and a newline, exact st_size
 *   by-id/NAME     0644  a temporary file (safe saves; fs/tmpfile.c), never listed
 *   range/ first/ last/  0555  list nothing; every valid name looks up
 *   range/A-B first/N last/N   0444  streamed rows, like rows
 *   tables/        0755  one directory per table (catalog order)
 *   tables/T/      0755  schema, rows, rows.csv, rows.ndjson, btree, stats
 *                        (0444), import (0200), by-id/, range/, first/, last/
 *
 * Every file is opened with direct_io and never keep_cache, and the
 * attribute/entry timeouts are 0, so the kernel caches nothing and each
 * read reaches the daemon.  getattr asks the kind's ops (fs/fileops.c):
 * every file shows the exact size an open reads and the time of the last
 * commit that changed it (rowfs(1), SIZES AND TIMES); the handle is
 * passed when the kernel asks through an open file (FUSE_GETATTR_FH, as
 * for lseek SEEK_END).  Offsets of ctl and of row files being written
 * are ignored.
 *
 * by-id/ and tables/: readdir streams the names from a cursor, one
 * request's worth at a time, in offset mode: "." has offset 1, ".." 2,
 * and the i-th name (from 0) offset i + 3.  The directory handle keeps a
 * read transaction (one committed state for the whole listing, so a
 * position names one entry) and where its next sequential request goes
 * on (a key, a catalog id); a request at another offset starts over and
 * skips to it.  The listing is thus never built in memory, and a listing
 * during inserts and deletes stays sorted and never repeats or skips.
 * Entries carry d_type DT_REG and no attributes (never FUSE_FILL_DIR_PLUS:
 * libfuse would look up, and pin a node for, every row listed), and
 * readdirplus is switched off, so `ls -f` and `find -type f` cost no
 * lookup per row.  A create (`echo x > by-id/7` on a new id) is the
 * upsert: the file exists, size 0, as long as the creating handle has not
 * written its line; rm is delete.  A create of a name that is not a key
 * (and does not look like a number) makes a temporary file, never listed,
 * and its rename over by-id/KEY is the upsert of that row with its
 * content (a safe save).  Nothing else changes by-id/.
 *
 * Errors: names that do not parse -> ENOENT (also for create and unlink
 * in by-id/); mkdir, rmdir, link, symlink, mknod -> EPERM; rename, chmod,
 * chown, unlink and truncate go to the kind's operations (fs/handle.h:
 * rename of a temporary file, chmod/chown of a temporary file, unlink of a
 * row or a temporary file), and a kind without the operation -> EPERM
 * (rename never EXDEV, which would make mv copy and delete); create
 * outside by-id/ -> EPERM; writing or truncating a read-only file ->
 * EACCES (root passes the kernel's permission check, so it is checked
 * here too); any change on a -o ro mount -> EROFS.  truncate of ctl and
 * import, truncate of a row file to size 0 (what O_TRUNC means: the next
 * line replaces the name) or to its size, and utimens succeed and change
 * nothing; truncating a row file to another size is EINVAL.  statfs: see
 * op_statfs.
 *
 * Locking: fs->lock is held around every engine call and every access to
 * a handle's state (libfuse runs callbacks on several threads, and one
 * handle may see concurrent reads).
 *
 * Read transactions: every open of a streamed file (rows, rows.csv,
 * rows.ndjson, dump, range/, first/, last/) and of the directory by-id/
 * begins an engine read transaction, ended at release: the handle reads
 * one committed state for its whole life, and never blocks a writer.
 * btree, stats and check are rendered at open through a read transaction
 * of their own (the newest committed state); so are a row file's text,
 * its size and statfs's numbers.  Temporary files live in fs->tmpfiles,
 * under fs->lock, and are freed by fs_release (unmount).
 *
 * Write transactions: the engine owns the single-writer rule.  Each write
 * to ctl is a unit in the write transaction (fs/ctl.c's struct
 * ctl_session); a `begin` leaves an explicit transaction open in it, and
 * the handle keeps it until `commit`/`rollback`, or until the handle is
 * released (the last close of the open file: a flush, as when a child
 * that inherited the fd exits, does not end it), which rolls back.
 * Meanwhile the units of every other ctl handle run in read transactions
 * on the committed state: their writes and `begin` fail at once with
 * EBUSY ("Error: database is busy: ..."); so do writes and rm in by-id/,
 * whose write transaction cannot begin.  Nothing waits inside the
 * daemon: the kernel serialises writes to ctl, so a parked write would
 * hold up the holder's own `commit`.  The one exception is short and
 * bounded, a policy of this file: the kernel sends RELEASE after close()
 * has returned, so a script that closes the holding fd and writes at once
 * could see EBUSY from a transaction that is about to be rolled back.
 * When the holder has seen a FLUSH since its last write (a close, or a
 * child that shared the fd exiting), a competing write waits, while the
 * engine says a writer is open (rowfs_has_writer), up to
 * WRITER_CLOSE_WAIT_MS for the release before it fails with EBUSY.
 *
 * Handles: every open file is a struct fs_handle on the list fs->handles,
 * so that the ones the kernel never releases (the session ended while a
 * process still had the file open; release is asynchronous) are freed by
 * fs_release(), and so that getattr finds the row files being created.
 *
 * changes: a read returns the committed lines past the handle's offset,
 * else waits on the feed's condition variable (the wait releases
 * fs->lock), waking every CHANGES_POLL_MS to look for FUSE_INTERRUPT
 * (-EINTR) and for the end of the session (0).  A handle whose size was
 * asked through it (lseek SEEK_END: tail, less) reads 0 at its end
 * instead of waiting; its st_size is the feed it covers, which a stat by
 * name from its process (fstat reaches us by name) reports too, so GNU
 * tail -f, which polls fstat, sees it grow.  O_NONBLOCK reads get
 * EAGAIN, and so does a read when the blocked-reader limit (fs.h) is
 * reached; single-threaded, a read returns 0 instead of blocking.  poll
 * keeps the handle's fuse_pollhandle, notified at the next commit.
 */
#include <config.h>
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <unistd.h>

#include "handle.h"
#include "log.h"
#include "render.h"

/* How long a competing write waits for a writer that may be closing (see the top). */
#define WRITER_CLOSE_WAIT_MS 50

/* Preferred I/O size shown in st_blksize: stdio then writes 128 KiB at once. */
#define FS_BLKSIZE (128 * 1024)

/* readdir offset of key K in by-id/ ("." is 1, ".." is 2). */
#define BYID_OFFSET(key) ((off_t)(key) + 3)

/* How often a blocked read of changes looks for an interrupt or the session's end. */
#define CHANGES_POLL_MS 100

static struct fs *get_fs(void)
{
	return fuse_get_context()->private_data;
}

pid_t fs_caller_pid(void)
{
	struct fuse_context *ctx = fuse_get_context();

	return ctx ? ctx->pid : 0;
}

static struct fs_handle *get_handle(const struct fuse_file_info *fi)
{
	return (struct fs_handle *)(uintptr_t)fi->fh;
}

/*
 * res, the result of operation op on path (or on handle h), logged first
 * when it is an I/O error: the database could not be read or is damaged,
 * and the caller only sees EIO.  ctl and import log theirs themselves,
 * with the engine's text (ctl_set_log), and so do the writes and closes
 * of row files (fs/fileops.c).
 */
static int logged(struct fs *fs, const char *op, const char *path, const struct fs_handle *h,
		  int res)
{
	if (res != -EIO || (h && h->info &&
			    (h->info->ops == &fs_ctl_ops || h->info->ops == &fs_import_ops)))
		return res;
	if (h && h->info && h->info->ops == &fs_row_ops &&
	    (strcmp(op, "write") == 0 || strcmp(op, "close") == 0))
		return res;
	log_msg(fs->log, LOG_ERR, "%s of '%s' failed: %s", op, path ? path : "(a removed file)",
		strerror(EIO));
	return res;
}

/* changes_notify_fn: wake the poll()ers of a handle, once. */
static void notify_poll(void *ph)
{
	fuse_notify_poll(ph);
	fuse_pollhandle_destroy(ph);
}

/* changes_drop_fn: a poll handle that will not be notified. */
static void drop_poll(void *ph)
{
	fuse_pollhandle_destroy(ph);
}

int fs_init(struct fs *fs, struct rowfs_db *db)
{
	int rc;

	fs->db = db;
	fs->read_only = rowfs_is_read_only(db);
	fs->uid = getuid();
	fs->gid = getgid();
	fs->mount_time = time(NULL);
	fs->handles = NULL;
	fs->writer_flushed = 0;
	fs->single_thread = 0;
	memset(&fs->stats_text, 0, sizeof(fs->stats_text));
	fs->stats_seq = 0;
	fs->db_path = NULL;
	fs->log = NULL;
	ctl_budget_init(&fs->ctl_budget, CTL_BUDGET_DEFAULT);
	tmpfiles_init(&fs->tmpfiles, TMPFILE_BYTES_DEFAULT);
	fs->changes = changes_new(db, notify_poll, drop_poll, FS_MAX_THREADS - FS_SPARE_THREADS);
	if (!fs->changes)
		return -ENOMEM;
	rc = pthread_mutex_init(&fs->lock, NULL);
	if (rc != 0)
		goto out_free_changes;
	return 0;

out_free_changes:
	changes_free(fs->changes);
	return -rc;
}

void fs_set_threads(struct fs *fs, unsigned max_threads)
{
	fs->single_thread = max_threads <= 1;
	changes_set_max_waiters(fs->changes, max_threads > FS_SPARE_THREADS ?
						     max_threads - FS_SPARE_THREADS : 0);
}

/* Free h and what it owns.  h must be unlinked.  Under lock. */
static void free_handle(struct fs *fs, struct fs_handle *h)
{
	if (h->info && h->info->ops && h->info->ops->release)
		h->info->ops->release(fs, h);
	rowfs_txn_abort(h->reader);
	free(h);
}

static void link_handle(struct fs *fs, struct fs_handle *h)
{
	h->prev = NULL;
	h->next = fs->handles;
	if (fs->handles)
		fs->handles->prev = h;
	fs->handles = h;
}

/* Take h off fs->handles (and a reader of changes off the feed).  Under lock. */
static void unlink_handle(struct fs *fs, struct fs_handle *h)
{
	if (h->info && h->info->ops == &fs_changes_ops)
		changes_detach(fs->changes, &h->u.changes);
	if (h->prev)
		h->prev->next = h->next;
	else
		fs->handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
}

void fs_release(struct fs *fs)
{
	while (fs->handles) {
		struct fs_handle *h = fs->handles;

		unlink_handle(fs, h);
		free_handle(fs, h);
	}
	tmpfiles_release(&fs->tmpfiles);   /* temporary files are gone at unmount */
	changes_free(fs->changes);
	files_text_release(&fs->stats_text);
	pthread_mutex_destroy(&fs->lock);
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->kernel_cache = 0;
	cfg->auto_cache = 0;
	cfg->direct_io = 1;
	cfg->use_ino = 0;
	cfg->readdir_ino = 0;
	/* rm of an open row file deletes the row; never a .fuse_hidden rename */
	cfg->hard_remove = 1;
	/* Generated files must never sit in the page cache. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* Plain readdir: the entries of by-id/ need no attributes. */
	conn->want &= ~(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
	return get_fs();
}

int fs_table_exists(struct fs *fs, const struct path *p)
{
	struct rowfs_table_info *info;
	struct rowfs_txn *txn;
	struct rowfs_err err;
	int rc;

	if (!p->table[0])
		return 0;
	info = malloc(sizeof(*info));
	if (!info)
		return -ENOMEM;
	pthread_mutex_lock(&fs->lock);
	rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &txn, &err);   /* the committed state */
	if (rc == ROWFS_OK) {
		rc = rowfs_table_info(txn, p->table, info, &err);
		/* tables/T/ is the name the listing shows: the lower-case one */
		if (rc == ROWFS_OK && strcmp(info->name, p->table) != 0)
			rc = ROWFS_NOTFOUND;
		rowfs_txn_abort(txn);
	}
	pthread_mutex_unlock(&fs->lock);
	free(info);
	return rc == ROWFS_OK ? 0 : -rowfs_fail_errno(rc);
}

/* The name behind path, or behind fi when the name is gone; kind NONE if neither. */
static void path_or_handle(const char *path, const struct fuse_file_info *fi, struct path *p)
{
	if (path)
		path_parse(path, p);
	else if (fi && fi->fh)
		*p = get_handle(fi)->path;
	else
		memset(p, 0, sizeof(*p));
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	const struct path_kind_info *info;
	/* asked through an open file (FUSE_GETATTR_FH: lseek SEEK_END, a name gone) */
	struct fs_handle *h = fi && fi->fh ? get_handle(fi) : NULL;
	struct fs_attr attr;
	struct path p;
	int rc;

	path_or_handle(path, fi, &p);
	if (p.kind == PATH_NONE)
		return -ENOENT;
	if (h && (!h->info || h->path.kind != p.kind))
		h = NULL;   /* (a temporary file renamed over the name: the name's) */
	info = path_info(p.kind);
	attr.size = 0;
	attr.mtime.tv_sec = fs->mount_time;
	attr.mtime.tv_nsec = 0;
	if (info->ops && info->ops->getattr)
		rc = info->ops->getattr(fs, &p, h, &attr);
	else
		rc = fs_name_attr(fs, &p, &attr);
	if (rc != 0)
		return logged(fs, "stat", path, h, rc);
	memset(st, 0, sizeof(*st));
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_mtim = attr.mtime;
	st->st_ctim = attr.mtime;
	st->st_atim = attr.mtime;
	st->st_blksize = FS_BLKSIZE;
	st->st_mode = info->mode;
	st->st_nlink = S_ISDIR(info->mode) ? 2 : 1;
	st->st_size = attr.size;
	st->st_blocks = (attr.size + 511) / 512;
	return 0;
}

/* ---- listings ---- */

/* State of one readdir request of a streamed directory. */
struct list_fill {
	void *buf;                 /* libfuse's buffer */
	fuse_fill_dir_t filler;    /* adds one entry; 1 when the buffer is full */
	struct stat st;            /* d_type of the entries */
	struct dir_listing *dir;   /* the handle's position */
	uint64_t skip;             /* entries still to pass over before filling */
	int full;                  /* the buffer filled up */
};

/*
 * One name at the listing's position: passed over while skipping, else
 * added with the offset of the entry after it.  Returns 1 to stop.
 */
static int list_name(struct list_fill *l, const char *name, int64_t next)
{
	if (l->skip > 0) {
		l->skip--;
	} else if (l->filler(l->buf, name, &l->st, (off_t)l->dir->pos + 1, 0)) {
		l->full = 1;
		return 1;
	}
	l->dir->pos++;
	l->dir->next = next;
	return 0;
}

/* rowfs_scan callback: one row as one directory entry of by-id/. */
static int list_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct list_fill *l = ctx;
	char text[24];

	(void)vals;
	(void)n;
	snprintf(text, sizeof(text), "%lld", (long long)key);
	if (key == INT64_MAX) {
		l->dir->done = 1;
		return list_name(l, text, key) || 1;
	}
	return list_name(l, text, key + 1);
}

/* The rows of by-id/ from the listing's position on. */
static int list_rows(struct fs *fs, struct fs_handle *h, struct list_fill *l)
{
	struct rowfs_err err;
	int rc;

	l->st.st_mode = S_IFREG;
	pthread_mutex_lock(&fs->lock);
	rc = rowfs_scan(h->reader, path_table(&h->path), h->u.dir.next, list_row, l, &err);
	pthread_mutex_unlock(&fs->lock);
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	if (!l->full)
		h->u.dir.done = 1;
	return 0;
}

/* The tables of tables/ from the listing's position on (catalog order). */
static int list_tables(struct fs *fs, struct fs_handle *h, struct list_fill *l)
{
	struct rowfs_table_info *info = malloc(sizeof(*info));
	struct rowfs_err err;
	int64_t id;
	int found = 1;
	int rc = ROWFS_OK;

	if (!info)
		return -ENOMEM;
	l->st.st_mode = S_IFDIR;
	pthread_mutex_lock(&fs->lock);
	while (!l->full && found) {
		rc = rowfs_table_next(h->reader, h->u.dir.next, info, &id, &found, &err);
		if (rc != ROWFS_OK)
			break;
		if (!found)
			h->u.dir.done = 1;
		else if (list_name(l, info->name, id + 1))
			break;
	}
	pthread_mutex_unlock(&fs->lock);
	free(info);
	return rc == ROWFS_OK ? 0 : -rowfs_fail_errno(rc);
}

/* Where a listing starts: the smallest key or catalog id. */
static int64_t listing_start(const struct fs_handle *h)
{
	if (h->path.kind == PATH_TABLES_DIR || path_is_users(&h->path))
		return 0;
	return INT64_MIN;
}

/*
 * Entries of a streamed directory (by-id/, tables/) from offset on,
 * through the directory handle's read transaction (see the top of the
 * file).
 */
static int list_streamed(struct fs *fs, struct fs_handle *h, void *buf, fuse_fill_dir_t filler,
			 off_t offset)
{
	struct list_fill l = {.buf = buf, .filler = filler, .dir = &h->u.dir};

	l.st.st_mode = S_IFDIR;
	if (offset < 1 && filler(buf, ".", &l.st, 1, 0))
		return 0;
	if (offset < 2 && filler(buf, "..", &l.st, 2, 0))
		return 0;
	if (offset < 2)
		offset = 2;
	if ((uint64_t)offset != h->u.dir.pos) {
		/* a seek (or the first request): start over and pass over what came before */
		h->u.dir.pos = 2;
		h->u.dir.next = listing_start(h);
		h->u.dir.done = 0;
		l.skip = (uint64_t)offset - 2;
	}
	if (h->u.dir.done)
		return 0;
	return h->path.kind == PATH_TABLES_DIR ? list_tables(fs, h, &l) : list_rows(fs, h, &l);
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	enum path_kind child;
	struct stat st;
	struct path p;
	size_t i;

	/*
	 * FUSE_READDIR_PLUS (off in op_init anyway) is ignored on purpose:
	 * attributes would cost a lookup per entry.
	 */
	(void)flags;
	if (fi && fi->fh)
		return logged(get_fs(), "readdir", path, NULL,
			      list_streamed(get_fs(), get_handle(fi), buf, filler, offset));
	if (!path)
		return -ENOENT;
	path_parse(path, &p);
	if (p.kind == PATH_NONE)
		return -ENOENT;
	if (!path_is_dir(p.kind))
		return -ENOTDIR;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR;
	filler(buf, ".", &st, 0, 0);
	filler(buf, "..", &st, 0, 0);
	/* range/, first/, last/ list nothing */
	for (i = 0; (child = path_child(p.kind, i)) != PATH_NONE; i++) {
		st.st_mode = path_info(child)->mode & S_IFMT;
		filler(buf, path_info(child)->name, &st, 0, 0);
	}
	return 0;
}

/* ---- opening ---- */

/* Allocate, set up and link the handle of p into fi; 0 or -errno. */
static int open_handle(struct fs *fs, const struct path *p, struct fuse_file_info *fi,
		       int created)
{
	const struct path_kind_info *info = path_info(p->kind);
	struct fs_handle *h;
	int rc = 0;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->path = *p;
	h->pid = fuse_get_context()->pid;
	pthread_mutex_lock(&fs->lock);
	rc = info->ops->open(fs, h, fi->flags, created);
	if (rc == 0) {
		h->info = info;   /* from here on release frees what open made */
		link_handle(fs, h);
	}
	pthread_mutex_unlock(&fs->lock);
	if (rc != 0)
		goto out_free_handle;

	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->fh = (uint64_t)(uintptr_t)h;
	return 0;

out_free_handle:
	pthread_mutex_lock(&fs->lock);
	rowfs_txn_abort(h->reader);
	pthread_mutex_unlock(&fs->lock);
	free(h);
	return rc;
}

/*
 * opendir: by-id/ and tables/ get a handle with a read transaction, so one
 * listing shows one state; tables/T/ must name a table.
 */
static int op_opendir(const char *path, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct rowfs_err err;
	struct fs_handle *h;
	struct path p;
	int rc;

	fi->fh = 0;
	if (path_parse(path, &p) == PATH_NONE)
		return -ENOENT;
	if (!path_is_dir(p.kind))
		return -ENOTDIR;
	rc = fs_table_exists(fs, &p);
	if (rc != 0)
		return logged(fs, "opendir", path, NULL, rc);
	if (p.kind != PATH_BYID_DIR && p.kind != PATH_TABLES_DIR)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->info = path_info(p.kind);
	h->path = p;
	pthread_mutex_lock(&fs->lock);
	rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &h->reader, &err);
	if (rc == ROWFS_OK)
		link_handle(fs, h);
	pthread_mutex_unlock(&fs->lock);
	if (rc != ROWFS_OK) {
		free(h);
		return logged(fs, "opendir", path, NULL, -rowfs_fail_errno(rc));
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	return 0;
}

static int op_releasedir(const char *path, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct fs_handle *h = get_handle(fi);

	(void)path;
	if (!h)
		return 0;
	pthread_mutex_lock(&fs->lock);
	unlink_handle(fs, h);
	free_handle(fs, h);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	int writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	int reading = (fi->flags & O_ACCMODE) != O_WRONLY;
	const struct path_kind_info *info;
	struct path p;
	int rc;

	if (path_parse(path, &p) == PATH_NONE)
		return -ENOENT;
	info = path_info(p.kind);
	if (path_is_dir(p.kind))
		return -EISDIR;
	/* root passes the kernel's permission check: the modes are checked here too */
	if ((writing && !info->writable) || (reading && !(info->mode & S_IRUSR) &&
					     !(writing && info->writable)))
		return -EACCES;
	if (writing && fs->read_only)
		return -EROFS;
	rc = fs_table_exists(fs, &p);
	if (rc == 0)
		rc = open_handle(fs, &p, fi, 0);
	return logged(fs, "open", path, NULL, rc);
}

/*
 * create: only in by-id/ (the kinds whose names live there), where it is
 * the first half of an upsert (the line written through the new handle
 * makes the row) or makes a temporary file.
 */
static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct path p;
	int rc;

	(void)mode;
	path_parse(path, &p);
	if (p.kind == PATH_NONE || path_info(p.kind)->dir != PATH_BYID_DIR)
		return p.dir == PATH_BYID_DIR ? -ENOENT : -EPERM;
	if (fs->read_only)
		return -EROFS;
	rc = fs_table_exists(fs, &p);
	if (rc == 0)
		rc = open_handle(fs, &p, fi, 1);
	return logged(fs, "create", path, NULL, rc);
}

/* Does h hold the write transaction (an explicit transaction it keeps)?  Under lock. */
static int holds_writer(const struct fs_handle *h)
{
	return h && h->info->ops == &fs_ctl_ops && ctl_session_holds_writer(&h->session);
}

int fs_row_busy(struct fs *fs, const struct fs_handle *h)
{
	fs_wait_for_closing_writer(fs, h);
	return rowfs_has_writer(fs->db) ? -EBUSY : 0;
}

void fs_note_unit(struct fs *fs, const struct fs_handle *h)
{
	if (holds_writer(h))
		fs->writer_flushed = 0;   /* a holder that writes is not closing */
}

/* Milliseconds since the holder's last flush (CLOCK_MONOTONIC). */
static long since_writer_flush_ms(const struct fs *fs)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - fs->writer_flush_time.tv_sec) * 1000 +
	       (now.tv_nsec - fs->writer_flush_time.tv_nsec) / 1000000;
}

/*
 * Before h competes with another handle's write transaction: if its
 * holder was flushed less than WRITER_CLOSE_WAIT_MS ago it may be
 * closing; give its RELEASE until then to arrive.  (A flush longer ago
 * was a child that shared the fd exiting: no wait.)  Under lock, dropped
 * while sleeping.
 */
void fs_wait_for_closing_writer(struct fs *fs, const struct fs_handle *h)
{
	const struct timespec ms = {0, 1000000};

	while (rowfs_has_writer(fs->db) && !holds_writer(h) && fs->writer_flushed &&
	       since_writer_flush_ms(fs) < WRITER_CLOSE_WAIT_MS) {
		pthread_mutex_unlock(&fs->lock);
		nanosleep(&ms, NULL);
		pthread_mutex_lock(&fs->lock);
	}
}

/* ---- ctl ---- */

static int ctl_open(struct fs *fs, struct fs_handle *h, int flags, int created)
{
	(void)flags;
	(void)created;
	h->session.db = fs->db;
	h->u.ctl = ctl_new(&fs->ctl_budget);
	if (!h->u.ctl)
		return -ENOMEM;
	ctl_set_log(h->u.ctl, fs->log, "ctl");
	return 0;
}

static ssize_t ctl_file_read(struct fs *fs, struct fs_handle *h, char *buf, size_t size,
			     uint64_t off, int flags)
{
	ssize_t n;

	(void)off;
	(void)flags;
	pthread_mutex_lock(&fs->lock);
	n = (ssize_t)ctl_read(h->u.ctl, buf, size);
	pthread_mutex_unlock(&fs->lock);
	return n;
}

static ssize_t ctl_file_write(struct fs *fs, struct fs_handle *h, const char *buf, size_t size,
			      uint64_t off)
{
	struct ctl_executor ex;
	ssize_t n;

	(void)off;   /* a stream */
	pthread_mutex_lock(&fs->lock);
	fs_wait_for_closing_writer(fs, h);
	ctl_executor_init_db(&ex, &h->session);
	ctl_set_writer(h->u.ctl, fs_caller_pid());
	n = ctl_write(h->u.ctl, &ex, buf, size);
	fs_note_unit(fs, h);
	pthread_mutex_unlock(&fs->lock);
	return n;
}

static int ctl_file_flush(struct fs *fs, struct fs_handle *h)
{
	struct ctl_executor ex;
	int rc;

	pthread_mutex_lock(&fs->lock);
	ctl_executor_init_db(&ex, &h->session);
	ctl_set_writer(h->u.ctl, fs_caller_pid());
	rc = ctl_flush(h->u.ctl, &ex);
	fs_note_unit(fs, h);
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

static void ctl_release(struct fs *fs, struct fs_handle *h)
{
	(void)fs;
	ctl_session_end(&h->session);   /* an explicit transaction never commits by itself */
	ctl_free(h->u.ctl);
}

const struct fs_file_ops fs_ctl_ops = {
	.open = ctl_open,
	.read = ctl_file_read,
	.write = ctl_file_write,
	.flush = ctl_file_flush,
	.release = ctl_release,
};

/* ---- changes ---- */

static int changes_open(struct fs *fs, struct fs_handle *h, int flags, int created)
{
	(void)flags;
	(void)created;
	changes_attach(fs->changes, &h->u.changes);
	return 0;
}

/* Has the session been told to end (unmount, SIGTERM)? */
static int session_ending(void)
{
	return fuse_session_exited(fuse_get_session(fuse_get_context()->fuse));
}

/* A read of changes: lines, else wait (see the top of the file). */
static ssize_t changes_file_read(struct fs *fs, struct fs_handle *h, char *buf, size_t size,
				 uint64_t offset, int flags)
{
	ssize_t n;

	pthread_mutex_lock(&fs->lock);
	for (;;) {
		n = changes_read(fs->changes, &h->u.changes, buf, size, offset);
		if (n != 0 || h->u.changes.sized)
			break;   /* a handle that asked its size reads 0 at its end (tail -f) */
		if (flags & O_NONBLOCK) {
			n = -EAGAIN;
			break;
		}
		if (fs->single_thread || session_ending())
			break;   /* 0: the end of the feed for now */
		if (fuse_interrupted()) {
			n = -EINTR;
			break;
		}
		n = changes_wait(fs->changes, &fs->lock, CHANGES_POLL_MS);
		if (n != 0)
			break;   /* -EAGAIN: the blocked-reader limit */
	}
	pthread_mutex_unlock(&fs->lock);
	return n;
}

/*
 * poll: changes is readable when committed lines wait past the handle's
 * latest read; the kernel's poll handle is notified at the next commit.
 */
static unsigned changes_poll(struct fs *fs, struct fs_handle *h, void *ph)
{
	unsigned events;

	pthread_mutex_lock(&fs->lock);
	if (ph)
		changes_set_poll(fs->changes, &h->u.changes, ph);
	events = changes_ready(fs->changes, &h->u.changes);
	pthread_mutex_unlock(&fs->lock);
	return events;
}

/*
 * The open changes handle a getattr by name stands for: the caller's
 * (fstat carries no handle), one that asked its size first, the newest
 * first; NULL when the caller has none open.  Under lock.
 */
static struct fs_handle *callers_changes(struct fs *fs)
{
	pid_t pid = fuse_get_context()->pid;
	struct fs_handle *h, *any = NULL;

	for (h = fs->handles; h; h = h->next) {
		if (h->info->ops != &fs_changes_ops || h->pid != pid)
			continue;
		if (h->u.changes.sized)
			return h;
		if (!any)
			any = h;
	}
	return any;
}

/*
 * st_size of changes: the bytes of feed the handle's offsets cover (its
 * end); through the handle itself (lseek SEEK_END) it also makes the
 * handle read 0 at its end instead of blocking (see the top of the file).
 * By name: the caller's open handle's, else 0 (an open starts at the end).
 */
static int changes_getattr(struct fs *fs, const struct path *p, struct fs_handle *h,
			   struct fs_attr *attr)
{
	uint64_t seq;

	(void)p;
	pthread_mutex_lock(&fs->lock);
	if (h)
		h->u.changes.sized = 1;
	else
		h = callers_changes(fs);
	attr->size = h ? (off_t)changes_size(fs->changes, &h->u.changes) : 0;
	rowfs_last_change(fs->db, &seq, &attr->mtime);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

const struct fs_file_ops fs_changes_ops = {
	.open = changes_open,
	.read = changes_file_read,
	.getattr = changes_getattr,
	.poll = changes_poll,
};

/* ---- the operations every file shares ---- */

static int op_read(const char *path, char *buf, size_t size, off_t offset,
		   struct fuse_file_info *fi)
{
	struct fs_handle *h = get_handle(fi);

	if (offset < 0)
		return -EINVAL;
	if (!h->info->ops->read)
		return -EBADF;
	return logged(get_fs(), "read", path, h,
		      (int)h->info->ops->read(get_fs(), h, buf, size, (uint64_t)offset, fi->flags));
}

static int op_write(const char *path, const char *buf, size_t size, off_t offset,
		    struct fuse_file_info *fi)
{
	struct fs_handle *h = get_handle(fi);

	if (offset < 0)
		return -EINVAL;
	if (!h->info->ops->write)
		return -EBADF;
	/* ctl, import and row files are streams: they ignore the offset */
	return logged(get_fs(), "write", path, h,
		      (int)h->info->ops->write(get_fs(), h, buf, size, (uint64_t)offset));
}

/* Run what a handle still owes (a partial line); 0 or -errno. */
static int flush_handle(struct fs *fs, struct fs_handle *h)
{
	return h->info->ops->flush ? h->info->ops->flush(fs, h) : 0;
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct fs_handle *h = get_handle(fi);
	int rc;

	rc = logged(fs, "close", path, h, flush_handle(fs, h));
	pthread_mutex_lock(&fs->lock);
	if (holds_writer(h)) {
		/* a close, or a child sharing the fd exiting */
		fs->writer_flushed = 1;
		clock_gettime(CLOCK_MONOTONIC, &fs->writer_flush_time);
	}
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct fs_handle *h = get_handle(fi);

	(void)path;
	flush_handle(fs, h);   /* only if no flush came; nobody to tell */
	pthread_mutex_lock(&fs->lock);
	/* the last close of the open file without commit: free_handle rolls back */
	unlink_handle(fs, h);
	free_handle(fs, h);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	(void)fi;
	return 0;   /* a successful write is already durable (sync=full) */
}

/* truncate: what the kind's ops say; ctl and import accept it and change nothing. */
static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct fs_handle *h = fi && fi->fh ? get_handle(fi) : NULL;
	const struct path_kind_info *info;
	struct path p;

	path_or_handle(path, fi, &p);
	if (p.kind == PATH_NONE)
		return -ENOENT;
	info = path_info(p.kind);
	if (path_is_dir(p.kind))
		return -EISDIR;
	if (!info->writable)
		return -EACCES;
	if (get_fs()->read_only)
		return -EROFS;
	if (size < 0)
		return -EINVAL;
	if (!info->ops->truncate)
		return 0;   /* truncate never clears data */
	return info->ops->truncate(get_fs(), &p, h, (uint64_t)size);
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	struct path p;

	(void)tv;
	path_or_handle(path, fi, &p);
	return p.kind == PATH_NONE ? -ENOENT : 0;   /* accepted, changes nothing */
}

/* chmod, chown: what the kind's ops say (temporary files accept them), else EPERM. */
static int change_attributes(const char *path, struct fuse_file_info *fi)
{
	const struct path_kind_info *info;
	struct path p;

	path_or_handle(path, fi, &p);
	if (p.kind == PATH_NONE)
		return -ENOENT;
	info = path_info(p.kind);
	if (!info->ops || !info->ops->chattr)
		return -EPERM;
	return info->ops->chattr(get_fs(), &p);
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)mode;
	return change_attributes(path, fi);
}

static int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	(void)uid;
	(void)gid;
	return change_attributes(path, fi);
}

static int op_mknod(const char *path, mode_t mode, dev_t rdev)
{
	(void)path;
	(void)mode;
	(void)rdev;
	return -EPERM;
}

static int op_mkdir(const char *path, mode_t mode)
{
	(void)path;
	(void)mode;
	return -EPERM;
}

/*
 * unlink: what the kind's ops say: rm by-id/ID deletes the row, rm of a
 * temporary file removes it; nothing else can be removed.
 */
static int op_unlink(const char *path)
{
	struct fs *fs = get_fs();
	const struct path_kind_info *info;
	struct path p;

	path_parse(path, &p);
	info = path_info(p.kind);
	if (!info->ops || !info->ops->unlink)
		return p.kind == PATH_NONE && p.dir == PATH_BYID_DIR ? -ENOENT : -EPERM;
	if (fs->read_only)
		return -EROFS;
	return info->ops->unlink(fs, &p);
}

static int op_rmdir(const char *path)
{
	(void)path;
	return -EPERM;
}

static int op_symlink(const char *target, const char *path)
{
	(void)target;
	(void)path;
	return -EPERM;
}

static int op_link(const char *from, const char *to)
{
	(void)from;
	(void)to;
	return -EPERM;
}

/*
 * rename: what the source's ops say (a temporary file over by-id/KEY is a
 * safe save); anything else is EPERM, never EXDEV.
 */
static int op_rename(const char *from, const char *to, unsigned int flags)
{
	struct fs *fs = get_fs();
	const struct path_kind_info *info;
	struct path p, q;

	path_parse(from, &p);
	path_parse(to, &q);
	info = path_info(p.kind);
	if (!info->ops || !info->ops->rename)
		return -EPERM;
	if (fs->read_only)
		return -EROFS;
	return info->ops->rename(fs, &p, &q, flags);
}

/* poll: what the file's ops say (changes), every other file is always ready. */
static int op_poll(const char *path, struct fuse_file_info *fi, struct fuse_pollhandle *ph,
		   unsigned *reventsp)
{
	struct fs_handle *h = get_handle(fi);
	unsigned events;

	(void)path;
	if (!h->info->ops->poll) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		*reventsp = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
		return 0;
	}
	events = h->info->ops->poll(get_fs(), h, ph);
	if (events & POLLIN)
		events |= POLLRDNORM;
	*reventsp = events;
	return 0;
}

/* statfs's block: the page size. */
#define FS_STATFS_BLOCK 4096u

/*
 * The room of the filesystem under DBFILE in FS_STATFS_BLOCK blocks:
 * available to the daemon (*avail) and free (*free); 0 when DBFILE is not
 * known or statvfs fails.
 */
static void disk_room(const struct fs *fs, uint64_t *avail, uint64_t *free_blocks)
{
	struct statvfs sv;
	uint64_t unit;

	*avail = *free_blocks = 0;
	if (!fs->db_path || statvfs(fs->db_path, &sv) != 0)
		return;
	unit = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
	*avail = (uint64_t)sv.f_bavail * unit / FS_STATFS_BLOCK;
	*free_blocks = (uint64_t)sv.f_bfree * unit / FS_STATFS_BLOCK;
}

/*
 * df: blocks of 4096 bytes, the page size.  Used: the database's pages
 * that hold data (its pages but the free list's); free and available:
 * the free list's pages plus the free and available room of the
 * filesystem under DBFILE (the room the database can grow into); total:
 * used plus free.  So df reads 100% only when that filesystem is full.
 * Inodes: one per row of users in use; free: the rows the available
 * blocks would hold at the table's present density (rows per used
 * page, at least one), never less than 1.
 */
static int op_statfs(const char *path, struct statvfs *sv)
{
	struct fs *fs = get_fs();
	uint64_t avail, free_blocks, used, per_page, free_rows;
	struct rowfs_stats st;
	struct rowfs_txn *txn;
	struct rowfs_err err;
	int rc;

	(void)path;
	pthread_mutex_lock(&fs->lock);
	rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &txn, &err);   /* the committed state */
	if (rc == ROWFS_OK) {
		rc = rowfs_get_stats(txn, &st, &err);
		rowfs_txn_abort(txn);
	}
	pthread_mutex_unlock(&fs->lock);
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	disk_room(fs, &avail, &free_blocks);
	used = st.pages > st.free_pages ? st.pages - st.free_pages : 0;
	avail += st.free_pages;
	free_blocks += st.free_pages;
	per_page = used > 0 && st.rows / used > 1 ? st.rows / used : 1;
	free_rows = avail > UINT64_MAX / 2 / per_page ? UINT64_MAX / 2 : avail * per_page;
	if (free_rows == 0)
		free_rows = 1;
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = FS_STATFS_BLOCK;
	sv->f_frsize = FS_STATFS_BLOCK;
	sv->f_blocks = (fsblkcnt_t)(used + free_blocks);
	sv->f_bfree = (fsblkcnt_t)free_blocks;
	sv->f_bavail = (fsblkcnt_t)avail;
	sv->f_files = (fsfilcnt_t)(st.rows + free_rows);
	sv->f_ffree = (fsfilcnt_t)free_rows;
	sv->f_favail = (fsfilcnt_t)free_rows;
	sv->f_namemax = PATH_NAME_MAX;
	if (fs->read_only)
		sv->f_flag |= ST_RDONLY;
	return 0;
}

static const struct fuse_operations fs_ops = {
	.init = op_init,
	.getattr = op_getattr,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.fsync = op_fsync,
	.truncate = op_truncate,
	.utimens = op_utimens,
	.chmod = op_chmod,
	.chown = op_chown,
	.mknod = op_mknod,
	.create = op_create,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.link = op_link,
	.rename = op_rename,
	.statfs = op_statfs,
	.poll = op_poll,
};

const struct fuse_operations *fs_operations(void)
{
	return &fs_ops;
}
