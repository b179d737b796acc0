/*
 * fuse_ops.c - owns the fuse_operations table of the rowfs mount: the
 * attributes of every name (fs/path.c says what a path names), the
 * open-handle objects behind fi->fh, and the errno of every operation.
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
 *   by-id/         0755  one file per row (fs/byid.c)
 *   by-id/ID       0644  the row's username and a newline, exact st_size
 *   range/ first/ last/  0555  list nothing; every valid name looks up
 *   range/A-B first/N last/N   0444  streamed rows, like rows
 *
 * Every file is opened with direct_io and never keep_cache, and the
 * attribute/entry timeouts are 0, so the kernel caches nothing and each
 * read reaches the daemon.  Generated files show st_size 0 (as procfs
 * does); row files show their exact size (one point lookup).  Offsets of
 * ctl and of row files being written are ignored.
 *
 * by-id/: readdir streams the keys from a cursor, one request's worth at
 * a time, in offset mode: "." has offset 1, ".." 2, and key K offset
 * K + 3, so a request at offset O >= 2 re-seeks to key O - 2.  The listing
 * is thus never built in memory, and a listing during inserts and deletes
 * stays sorted and never repeats or skips a key that exists throughout.
 * Entries carry d_type DT_REG and no attributes (never FUSE_FILL_DIR_PLUS:
 * libfuse would look up, and pin a node for, every row listed), and
 * readdirplus is switched off, so `ls -f` and `find -type f` cost no
 * lookup per row.  A create (`echo x > by-id/7` on a new id) is the
 * upsert: the file exists, size 0, as long as the creating handle has not
 * written its line; rm is delete; nothing else changes by-id/.
 *
 * Errors: names that do not parse -> ENOENT (also for create and unlink
 * in by-id/); mkdir, rmdir, rename, link, symlink, mknod, chmod, chown ->
 * EPERM (rename never EXDEV, which would make mv copy and delete); create
 * outside by-id/ and unlink of anything but a row -> EPERM; writing or
 * truncating a read-only file -> EACCES (root passes the kernel's
 * permission check, so it is checked here too); any change on a -o ro
 * mount -> EROFS.  truncate of ctl, truncate of a row file to size 0
 * (what O_TRUNC means: the next line replaces the name) and utimens
 * succeed and change nothing; truncating a row file to another size is
 * EINVAL.
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
 * its size and statfs's numbers.
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
 * (-EINTR) and for the end of the session (0).  O_NONBLOCK reads get
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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "byid.h"
#include "changes.h"
#include "ctl.h"
#include "files.h"
#include "path.h"
#include "render.h"

/* How long a competing write waits for a writer that may be closing (see the top). */
#define WRITER_CLOSE_WAIT_MS 50

/* Preferred I/O size shown in st_blksize: stdio then writes 128 KiB at once. */
#define FS_BLKSIZE (128 * 1024)

/* readdir offset of key K in by-id/ ("." is 1, ".." is 2). */
#define BYID_OFFSET(key) ((off_t)(key) + 3)

/* How often a blocked read of changes looks for an interrupt or the session's end. */
#define CHANGES_POLL_MS 100

/* What a handle serves. */
enum handle_kind {
	HANDLE_CTL,     /* ctl */
	HANDLE_STREAM,  /* rows, rows.csv, rows.ndjson, range/, first/, last/ */
	HANDLE_TEXT,    /* btree, constants, stats */
	HANDLE_ROW,     /* by-id/ID */
	HANDLE_DIR,     /* by-id/ opened as a directory */
	HANDLE_CHANGES  /* changes */
};

/* An open row file. */
struct row_handle {
	struct byid_writer writer;   /* the line being written, if writing */
	int writing;                 /* opened for writing */
	char text[BYID_TEXT_MAX];    /* the row's text at open, if reading */
	size_t text_len;             /* its length */
};

/* What fi->fh points to. */
struct fs_handle {
	struct fs_handle *prev;        /* neighbours in fs->handles */
	struct fs_handle *next;
	enum handle_kind kind;         /* which kind of file */
	struct path path;              /* the name it was opened by */
	union {
		struct ctl *ctl;           /* HANDLE_CTL */
		struct files_rows rows;    /* HANDLE_STREAM */
		struct files_text text;    /* HANDLE_TEXT */
		struct row_handle row;     /* HANDLE_ROW */
		struct changes_reader changes; /* HANDLE_CHANGES */
	} u;
	struct ctl_session session;    /* HANDLE_CTL: the transaction of its unit, or kept */
	struct rowfs_txn *reader;      /* HANDLE_STREAM, HANDLE_DIR: the read transaction */
};

static struct fs *get_fs(void)
{
	return fuse_get_context()->private_data;
}

static struct fs_handle *get_handle(const struct fuse_file_info *fi)
{
	return (struct fs_handle *)(uintptr_t)fi->fh;
}

/* Permission bits of kind. */
static mode_t kind_mode(enum path_kind kind)
{
	switch (kind) {
	case PATH_ROOT:
	case PATH_BYID_DIR:
		return 0755;
	case PATH_RANGE_DIR:
	case PATH_FIRST_DIR:
	case PATH_LAST_DIR:
		return 0555;
	case PATH_CTL:
		return 0600;
	case PATH_ROW:
		return 0644;
	default:
		return 0444;
	}
}

/* Can kind be opened for writing? */
static int kind_writable(enum path_kind kind)
{
	return kind == PATH_CTL || kind == PATH_ROW;
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
	ctl_budget_init(&fs->ctl_budget, CTL_BUDGET_DEFAULT);
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
	(void)fs;
	rowfs_txn_abort(h->reader);
	switch (h->kind) {
	case HANDLE_CTL:
		ctl_session_end(&h->session);   /* an explicit transaction never commits by itself */
		ctl_free(h->u.ctl);
		break;
	case HANDLE_TEXT:
		files_text_release(&h->u.text);
		break;
	case HANDLE_STREAM:
		files_rows_release(&h->u.rows);
		break;
	default:
		break;
	}
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
	if (h->kind == HANDLE_CHANGES)
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
	changes_free(fs->changes);
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

/* Is a handle creating row id (created, no line applied yet)?  Under lock. */
static int row_pending(const struct fs *fs, uint32_t id)
{
	const struct fs_handle *h;

	for (h = fs->handles; h; h = h->next)
		if (h->kind == HANDLE_ROW && h->u.row.writing && h->u.row.writer.id == id &&
		    byid_pending(&h->u.row.writer))
			return 1;
	return 0;
}

/*
 * Size of the file by-id/id: name length + 1, or 0 while a handle is
 * creating it.  Returns 0, -ENOENT or -EIO.
 */
static int row_size(struct fs *fs, uint32_t id, off_t *size)
{
	char text[BYID_TEXT_MAX];
	struct rowfs_err err;
	size_t len = 0;
	int found = 0;
	int rc;

	pthread_mutex_lock(&fs->lock);
	rc = byid_lookup(fs->db, id, &found, text, &len, &err);
	if (rc == 0 && !found && !row_pending(fs, id))
		rc = -ENOENT;
	pthread_mutex_unlock(&fs->lock);
	*size = (off_t)len;
	return rc;
}

/* The name behind path, or behind fi when the name is gone; kind NONE if neither. */
static void path_or_handle(const char *path, const struct fuse_file_info *fi, struct path *p)
{
	if (path)
		path_parse(path, p);
	else if (fi)
		*p = get_handle(fi)->path;
	else
		memset(p, 0, sizeof(*p));
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct path p;
	off_t size = 0;

	path_or_handle(path, fi, &p);
	if (p.kind == PATH_NONE)
		return -ENOENT;
	if (p.kind == PATH_ROW) {
		int rc = row_size(fs, p.id, &size);

		if (rc == -ENOENT && !path)
			rc = 0;   /* deleted while open: still a file, now empty */
		if (rc != 0)
			return rc;
	}
	memset(st, 0, sizeof(*st));
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_atime = st->st_mtime = st->st_ctime = fs->mount_time;
	st->st_blksize = FS_BLKSIZE;
	if (path_is_dir(p.kind)) {
		st->st_mode = S_IFDIR | kind_mode(p.kind);
		st->st_nlink = 2;
		return 0;
	}
	st->st_mode = S_IFREG | kind_mode(p.kind);
	st->st_nlink = 1;
	st->st_size = size;
	return 0;
}

/* State of one readdir request of by-id/. */
struct list_fill {
	void *buf;                 /* libfuse's buffer */
	fuse_fill_dir_t filler;    /* adds one entry; 1 when the buffer is full */
	struct stat st;            /* d_type DT_REG */
};

/* rowfs_scan callback: one row of users as one directory entry. */
static int list_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct list_fill *l = ctx;
	char text[RENDER_U32_MAX + 1];

	(void)vals;
	(void)n;
	text[render_u32(text, (uint32_t)key)] = '\0';
	return l->filler(l->buf, text, &l->st, BYID_OFFSET(key), 0);
}

/*
 * Entries of by-id/ from offset on (see the top of the file), read
 * through reader (the directory handle's), or a read transaction of
 * their own when there is none.
 */
static int list_byid(struct fs *fs, struct rowfs_txn *reader, void *buf,
		     fuse_fill_dir_t filler, off_t offset)
{
	struct list_fill l = {.buf = buf, .filler = filler};
	struct rowfs_txn *own = NULL;
	struct rowfs_err err;
	int rc = ROWFS_OK;

	l.st.st_mode = S_IFDIR;
	if (offset < 1 && filler(buf, ".", &l.st, 1, 0))
		return 0;
	if (offset < 2 && filler(buf, "..", &l.st, 2, 0))
		return 0;
	if (offset < 2)
		offset = 2;
	if ((uint64_t)offset - 2 > UINT32_MAX)
		return 0;
	l.st.st_mode = S_IFREG;
	pthread_mutex_lock(&fs->lock);
	if (!reader)
		rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &own, &err);
	if (rc == ROWFS_OK)
		rc = rowfs_scan(reader ? reader : own, NULL, (int64_t)offset - 2, list_row, &l,
				&err);
	rowfs_txn_abort(own);
	pthread_mutex_unlock(&fs->lock);
	return rc == ROWFS_OK ? 0 : -rowfs_fail_errno(rc);
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	const struct path_entry *e;
	struct stat st;
	struct path p;
	size_t i;

	/*
	 * FUSE_READDIR_PLUS (off in op_init anyway) is ignored on purpose:
	 * attributes would cost a lookup per entry.
	 */
	(void)flags;
	if (!path)
		return -ENOENT;
	path_parse(path, &p);
	if (p.kind == PATH_NONE)
		return -ENOENT;
	if (!path_is_dir(p.kind))
		return -ENOTDIR;
	if (p.kind == PATH_BYID_DIR)
		return list_byid(get_fs(), fi && fi->fh ? get_handle(fi)->reader : NULL, buf, filler,
				 offset);
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR;
	filler(buf, ".", &st, 0, 0);
	filler(buf, "..", &st, 0, 0);
	if (p.kind != PATH_ROOT)
		return 0;   /* range/, first/, last/ list nothing */
	for (i = 0; (e = path_root_entry(i)) != NULL; i++) {
		st.st_mode = path_is_dir(e->kind) ? S_IFDIR : S_IFREG;
		filler(buf, e->name, &st, 0, 0);
	}
	return 0;
}

/* Set up a stream handle for p (rows, renderings, ranges).  Under lock. */
static int open_stream(struct fs *fs, struct fs_handle *h, const struct path *p)
{
	struct rowfs_txn *txn;
	struct rowfs_err err;
	int64_t start;
	int rc, found;

	rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &h->reader, &err);
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	txn = h->reader;
	switch (p->kind) {
	case PATH_ROWS_CSV:
		files_rows_init(&h->u.rows, RENDER_CSV, 0, UINT32_MAX, UINT64_MAX, txn);
		return 0;
	case PATH_ROWS_NDJSON:
		files_rows_init(&h->u.rows, RENDER_NDJSON, 0, UINT32_MAX, UINT64_MAX, txn);
		return 0;
	case PATH_DUMP:
		files_rows_init(&h->u.rows, RENDER_DUMP, 0, UINT32_MAX, UINT64_MAX, txn);
		return 0;
	case PATH_RANGE:
		files_rows_init(&h->u.rows, RENDER_TSV, p->start, p->end, UINT64_MAX, txn);
		return 0;
	case PATH_FIRST:
		files_rows_init(&h->u.rows, RENDER_TSV, 0, UINT32_MAX, p->count, txn);
		return 0;
	case PATH_LAST:
		/* the start is found once, at open: one open file, one window */
		rc = rowfs_last_start(txn, NULL, p->count, &start, &found, &err);
		if (rc != ROWFS_OK)
			return -rowfs_fail_errno(rc);
		files_rows_init(&h->u.rows, RENDER_TSV,
				found ? (uint64_t)start : (uint64_t)UINT32_MAX + 1, UINT32_MAX,
				p->count, txn);
		return 0;
	default:
		files_rows_init(&h->u.rows, RENDER_TSV, 0, UINT32_MAX, UINT64_MAX, txn);
		return 0;
	}
}

/*
 * Render the text of a btree, constants, stats or check handle, through a
 * read transaction of its own.  Under lock.
 */
static int open_text(struct fs *fs, struct fs_handle *h, const struct path *p)
{
	enum files_text_kind kind = p->kind == PATH_BTREE ? FILES_TEXT_BTREE :
				    p->kind == PATH_STATS ? FILES_TEXT_STATS :
				    p->kind == PATH_CHECK ? FILES_TEXT_CHECK : FILES_TEXT_CONSTANTS;
	struct rowfs_txn *txn;
	struct rowfs_err err;
	int rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &txn, &err);

	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	rc = files_text_render(&h->u.text, kind, txn, &err);
	rowfs_txn_abort(txn);
	return rc;
}

/*
 * Set up a row handle of p->id.  created: the file is being created.
 * Readers get the row's text now (ENOENT if it is gone, unless a handle
 * is creating it).  Under lock.
 */
static int open_row(struct fs *fs, struct fs_handle *h, const struct path *p, int flags,
		    int created)
{
	struct row_handle *r = &h->u.row;
	struct rowfs_err err;
	int found = 0;
	int rc;

	r->writing = (flags & O_ACCMODE) != O_RDONLY;
	rc = byid_lookup(fs->db, p->id, &found, r->text, &r->text_len, &err);
	if (rc != 0)
		return rc;
	if (created && found)
		created = 0;   /* made meanwhile by someone else: an open of it */
	if (!found && !created && (flags & O_ACCMODE) != O_WRONLY && !row_pending(fs, p->id))
		return -ENOENT;
	if (r->writing)
		byid_writer_init(&r->writer, p->id, created);
	return 0;
}

/* Allocate, set up and link the handle of p into fi; 0 or -errno. */
static int open_handle(struct fs *fs, const struct path *p, struct fuse_file_info *fi,
		       int created)
{
	struct fs_handle *h;
	int rc = 0;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->path = *p;
	pthread_mutex_lock(&fs->lock);
	switch (p->kind) {
	case PATH_CTL:
		h->kind = HANDLE_CTL;
		h->session.db = fs->db;
		h->u.ctl = ctl_new(&fs->ctl_budget);
		if (!h->u.ctl)
			rc = -ENOMEM;
		break;
	case PATH_BTREE:
	case PATH_CONSTANTS:
	case PATH_STATS:
	case PATH_CHECK:
		h->kind = HANDLE_TEXT;
		rc = open_text(fs, h, p);
		break;
	case PATH_ROW:
		h->kind = HANDLE_ROW;
		rc = open_row(fs, h, p, fi->flags, created);
		break;
	case PATH_CHANGES:
		h->kind = HANDLE_CHANGES;
		changes_attach(fs->changes, &h->u.changes);
		break;
	default:
		h->kind = HANDLE_STREAM;
		rc = open_stream(fs, h, p);
		break;
	}
	if (rc == 0)
		link_handle(fs, h);
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

/* opendir: by-id/ gets a handle with a read transaction, so one listing shows one state. */
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
	if (p.kind != PATH_BYID_DIR)
		return 0;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->kind = HANDLE_DIR;
	h->path = p;
	pthread_mutex_lock(&fs->lock);
	rc = rowfs_txn_begin(fs->db, ROWFS_TXN_RDONLY, &h->reader, &err);
	if (rc == ROWFS_OK)
		link_handle(fs, h);
	pthread_mutex_unlock(&fs->lock);
	if (rc != ROWFS_OK) {
		free(h);
		return -rowfs_fail_errno(rc);
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
	struct path p;

	if (path_parse(path, &p) == PATH_NONE)
		return -ENOENT;
	if (path_is_dir(p.kind))
		return -EISDIR;
	if (writing && !kind_writable(p.kind))
		return -EACCES;
	if (writing && fs->read_only)
		return -EROFS;
	return open_handle(fs, &p, fi, 0);
}

/*
 * create: only in by-id/, where it is the first half of an upsert: the
 * line written through the new handle makes the row.
 */
static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct path p;

	(void)mode;
	path_parse(path, &p);
	if (p.kind != PATH_ROW)
		return p.dir == PATH_BYID_DIR ? -ENOENT : -EPERM;
	if (fs->read_only)
		return -EROFS;
	return open_handle(fs, &p, fi, 1);
}

/* Does h hold the write transaction (an explicit transaction it keeps)?  Under lock. */
static int holds_writer(const struct fs_handle *h)
{
	return h && h->kind == HANDLE_CTL && ctl_session_holds_writer(&h->session);
}

/* After h ran a unit: a holder that writes is not closing.  Under lock. */
static void note_unit(struct fs *fs, const struct fs_handle *h)
{
	if (holds_writer(h))
		fs->writer_flushed = 0;
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
static void wait_for_closing_writer(struct fs *fs, const struct fs_handle *h)
{
	const struct timespec ms = {0, 1000000};

	while (rowfs_has_writer(fs->db) && !holds_writer(h) && fs->writer_flushed &&
	       since_writer_flush_ms(fs) < WRITER_CLOSE_WAIT_MS) {
		pthread_mutex_unlock(&fs->lock);
		nanosleep(&ms, NULL);
		pthread_mutex_lock(&fs->lock);
	}
}

/* Has the session been told to end (unmount, SIGTERM)? */
static int session_ending(void)
{
	return fuse_session_exited(fuse_get_session(fuse_get_context()->fuse));
}

/* A read of changes: lines, else wait (see the top of the file). */
static int read_changes(struct fs *fs, struct fs_handle *h, char *buf, size_t size,
			off_t offset, int flags)
{
	ssize_t n;

	pthread_mutex_lock(&fs->lock);
	for (;;) {
		n = changes_read(fs->changes, &h->u.changes, buf, size, (uint64_t)offset);
		if (n != 0)
			break;
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
	return (int)n;
}

static int op_read(const char *path, char *buf, size_t size, off_t offset,
		   struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct fs_handle *h = get_handle(fi);
	struct rowfs_err err;
	ssize_t n;

	(void)path;
	if (offset < 0)
		return -EINVAL;
	if (h->kind == HANDLE_CHANGES)
		return read_changes(fs, h, buf, size, offset, fi->flags);
	pthread_mutex_lock(&fs->lock);
	switch (h->kind) {
	case HANDLE_CTL:
		n = (ssize_t)ctl_read(h->u.ctl, buf, size);
		break;
	case HANDLE_STREAM:
		n = files_rows_read(&h->u.rows, buf, size, (uint64_t)offset, &err);
		break;
	case HANDLE_ROW:
		n = 0;
		if ((uint64_t)offset < h->u.row.text_len) {
			n = (ssize_t)(h->u.row.text_len - (size_t)offset);
			if ((size_t)n > size)
				n = (ssize_t)size;
			memcpy(buf, h->u.row.text + offset, (size_t)n);
		}
		break;
	default:
		n = (ssize_t)files_text_read(&h->u.text, buf, size, (uint64_t)offset);
		break;
	}
	pthread_mutex_unlock(&fs->lock);
	return (int)n;
}

static int op_write(const char *path, const char *buf, size_t size, off_t offset,
		    struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct fs_handle *h = get_handle(fi);
	struct ctl_executor ex;
	struct rowfs_err err;
	ssize_t n;

	(void)path;
	(void)offset;   /* ctl and row files are streams: offsets mean nothing */
	if (h->kind == HANDLE_ROW && h->u.row.writing) {
		pthread_mutex_lock(&fs->lock);
		wait_for_closing_writer(fs, h);
		/* refused before the line is taken: a partial line is never kept for later */
		n = rowfs_has_writer(fs->db) ? -EBUSY :
		    byid_write(&h->u.row.writer, fs->db, buf, size, &err);
		pthread_mutex_unlock(&fs->lock);
		return (int)n;
	}
	if (h->kind != HANDLE_CTL)
		return -EBADF;
	pthread_mutex_lock(&fs->lock);
	wait_for_closing_writer(fs, h);
	ctl_executor_init_db(&ex, &h->session);
	n = ctl_write(h->u.ctl, &ex, buf, size);
	note_unit(fs, h);
	pthread_mutex_unlock(&fs->lock);
	return (int)n;
}

/* Run what a handle still owes: ctl's partial line, a row's line; 0 or -errno. */
static int flush_handle(struct fs *fs, struct fs_handle *h)
{
	struct ctl_executor ex;
	struct rowfs_err err;
	int rc = 0;

	if (h->kind == HANDLE_CTL) {
		pthread_mutex_lock(&fs->lock);
		ctl_executor_init_db(&ex, &h->session);
		rc = ctl_flush(h->u.ctl, &ex);
		note_unit(fs, h);
		pthread_mutex_unlock(&fs->lock);
	} else if (h->kind == HANDLE_ROW && h->u.row.writing) {
		pthread_mutex_lock(&fs->lock);
		rc = rowfs_has_writer(fs->db) && !h->u.row.writer.done &&
		     (h->u.row.writer.len > 0 || h->u.row.writer.overlong) ? -EBUSY :
		     byid_flush(&h->u.row.writer, fs->db, &err);
		pthread_mutex_unlock(&fs->lock);
	}
	return rc;
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct fs_handle *h = get_handle(fi);
	int rc;

	(void)path;
	rc = flush_handle(fs, h);
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

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct path p;

	path_or_handle(path, fi, &p);
	if (p.kind == PATH_NONE)
		return -ENOENT;
	if (path_is_dir(p.kind))
		return -EISDIR;
	if (!kind_writable(p.kind))
		return -EACCES;
	if (get_fs()->read_only)
		return -EROFS;
	if (p.kind == PATH_ROW && size != 0)
		return -EINVAL;   /* a row's content is one name line: write it */
	return 0;   /* truncate never clears data */
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	struct path p;

	(void)tv;
	path_or_handle(path, fi, &p);
	return p.kind == PATH_NONE ? -ENOENT : 0;   /* accepted, changes nothing */
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)path;
	(void)mode;
	(void)fi;
	return -EPERM;
}

static int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	(void)path;
	(void)uid;
	(void)gid;
	(void)fi;
	return -EPERM;
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

/* unlink: rm by-id/ID deletes the row; nothing else can be removed. */
static int op_unlink(const char *path)
{
	struct fs *fs = get_fs();
	struct rowfs_err err;
	struct path p;
	int rc;

	path_parse(path, &p);
	if (p.kind != PATH_ROW)
		return p.kind == PATH_NONE && p.dir == PATH_BYID_DIR ? -ENOENT : -EPERM;
	if (fs->read_only)
		return -EROFS;
	pthread_mutex_lock(&fs->lock);
	wait_for_closing_writer(fs, NULL);
	rc = byid_delete(fs->db, p.id, &err);   /* EBUSY while another handle holds the writer */
	pthread_mutex_unlock(&fs->lock);
	return rc;
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

static int op_rename(const char *from, const char *to, unsigned int flags)
{
	(void)from;
	(void)to;
	(void)flags;
	return -EPERM;
}

/*
 * poll: changes is readable when committed lines wait past the handle's
 * latest read; the kernel's poll handle is notified at the next commit.
 * Every other file is always ready, as without a poll operation.
 */
static int op_poll(const char *path, struct fuse_file_info *fi, struct fuse_pollhandle *ph,
		   unsigned *reventsp)
{
	struct fs *fs = get_fs();
	struct fs_handle *h = get_handle(fi);
	unsigned events;

	(void)path;
	if (h->kind != HANDLE_CHANGES) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		*reventsp = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
		return 0;
	}
	pthread_mutex_lock(&fs->lock);
	if (ph)
		changes_set_poll(fs->changes, &h->u.changes, ph);
	events = changes_ready(fs->changes, &h->u.changes);
	pthread_mutex_unlock(&fs->lock);
	if (events & POLLIN)
		events |= POLLRDNORM;
	*reventsp = events;
	return 0;
}

/* df: the database's pages, its free list, and one "inode" per row. */
static int op_statfs(const char *path, struct statvfs *sv)
{
	struct fs *fs = get_fs();
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
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = 4096;
	sv->f_frsize = 4096;
	sv->f_blocks = st.pages;
	sv->f_bfree = st.free_pages;
	sv->f_bavail = st.free_pages;
	sv->f_files = st.rows;
	sv->f_ffree = 0;
	sv->f_favail = 0;
	sv->f_namemax = 255;
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
