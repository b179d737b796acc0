/*
 * fuse_ops.c - owns the fuse_operations table of the rowfs mount: which
 * paths exist, their attributes, the open-handle objects behind fi->fh, and
 * the errno of every operation the mount does not support.
 *
 * The files (see rowfs(1)):
 *   ctl        0600  statements in, replies out (fs/ctl.c)
 *   rows       0444  ID<TAB>USERNAME lines, streamed (fs/files.c)
 *   btree      0444  tree dump, rendered at open
 *   constants  0444  engine constants, rendered at open
 *   stats      0444  engine statistics, rendered at open
 *
 * Every file is opened with direct_io and never keep_cache, shows st_size
 * 0 (as procfs does) and attribute/entry timeouts are 0, so the kernel
 * caches nothing and each read reaches the daemon.  Offsets of ctl are
 * ignored; ctl stays seekable only so that `dd seek=` and `>>` work.
 *
 * Unsupported operations: mkdir, rmdir, unlink, rename, link, symlink,
 * mknod, create, chmod, chown -> EPERM (rename never EXDEV, which would
 * make mv copy and delete); writing or truncating a read-only file ->
 * EACCES (root passes the kernel's permission check, so it is checked
 * here too).  truncate of ctl and utimens on any file succeed and change
 * nothing (`>` and `touch ctl` work).
 *
 * Locking: fs->lock is held around every engine call and every access to
 * a handle's state (libfuse runs callbacks on several threads, and one
 * handle may see concurrent reads).
 *
 * Handles: every open file is a struct fs_handle on the list fs->handles,
 * so that the ones the kernel never releases (the session ended while a
 * process still had the file open; release is asynchronous) are freed by
 * fs_release().
 */
#include <config.h>
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "ctl.h"
#include "files.h"

/* Preferred I/O size shown in st_blksize: stdio then writes 128 KiB at once. */
#define FS_BLKSIZE (128 * 1024)

enum kind {
	KIND_ROOT,
	KIND_CTL,
	KIND_ROWS,
	KIND_BTREE,
	KIND_CONSTANTS,
	KIND_STATS
};

static const struct {
	const char *name;  /* path without the leading '/' */
	enum kind kind;    /* what it is */
	mode_t mode;       /* permission bits */
} fs_files[] = {
	{"ctl", KIND_CTL, 0600},
	{"rows", KIND_ROWS, 0444},
	{"btree", KIND_BTREE, 0444},
	{"constants", KIND_CONSTANTS, 0444},
	{"stats", KIND_STATS, 0444},
};

#define FS_FILE_COUNT (sizeof(fs_files) / sizeof(fs_files[0]))

/* What fi->fh points to. */
struct fs_handle {
	struct fs_handle *prev;        /* neighbours in fs->handles */
	struct fs_handle *next;
	enum kind kind;                /* which file */
	union {
		struct ctl *ctl;           /* KIND_CTL */
		struct files_rows rows;    /* KIND_ROWS */
		struct files_text text;    /* KIND_BTREE, KIND_CONSTANTS, KIND_STATS */
	} u;
};

static struct fs *get_fs(void)
{
	return fuse_get_context()->private_data;
}

static struct fs_handle *get_handle(const struct fuse_file_info *fi)
{
	return (struct fs_handle *)(uintptr_t)fi->fh;
}

/* Index in fs_files of path, -1 for the root, -2 if there is no such file. */
static int lookup(const char *path)
{
	size_t i;

	if (!strcmp(path, "/"))
		return -1;
	if (path[0] != '/')
		return -2;
	for (i = 0; i < FS_FILE_COUNT; i++)
		if (!strcmp(path + 1, fs_files[i].name))
			return (int)i;
	return -2;
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
	rc = pthread_mutex_init(&fs->lock, NULL);
	return -rc;
}

/* Free h and what it owns.  h must be unlinked. */
static void free_handle(struct fs_handle *h)
{
	switch (h->kind) {
	case KIND_CTL:
		ctl_free(h->u.ctl);
		break;
	case KIND_BTREE:
	case KIND_CONSTANTS:
	case KIND_STATS:
		files_text_release(&h->u.text);
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

static void unlink_handle(struct fs *fs, struct fs_handle *h)
{
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
		free_handle(h);
	}
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
	/* Generated files must never sit in the page cache. */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	return get_fs();
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	int i = lookup(path);

	(void)fi;
	if (i == -2)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_atime = st->st_mtime = st->st_ctime = fs->mount_time;
	st->st_blksize = FS_BLKSIZE;
	if (i == -1) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	st->st_mode = S_IFREG | fs_files[i].mode;
	st->st_nlink = 1;
	st->st_size = 0;
	return 0;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	size_t i;

	(void)offset;
	(void)fi;
	(void)flags;
	if (lookup(path) != -1)
		return -ENOTDIR;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	for (i = 0; i < FS_FILE_COUNT; i++)
		filler(buf, fs_files[i].name, NULL, 0, 0);
	return 0;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct rowfs_err err;
	struct fs_handle *h;
	int writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	int i = lookup(path);
	int rc = 0;

	if (i == -2)
		return -ENOENT;
	if (i == -1)
		return -EISDIR;
	if (writing && fs_files[i].kind != KIND_CTL)
		return -EACCES;
	if (writing && fs->read_only)
		return -EROFS;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->kind = fs_files[i].kind;
	switch (h->kind) {
	case KIND_CTL:
		h->u.ctl = ctl_new();
		if (!h->u.ctl)
			rc = -ENOMEM;
		break;
	case KIND_ROWS:
		files_rows_init(&h->u.rows);
		break;
	case KIND_BTREE:
	case KIND_CONSTANTS:
	case KIND_STATS:
		pthread_mutex_lock(&fs->lock);
		rc = files_text_render(&h->u.text,
				       h->kind == KIND_BTREE ? FILES_TEXT_BTREE :
				       h->kind == KIND_STATS ? FILES_TEXT_STATS : FILES_TEXT_CONSTANTS,
				       fs->db, &err);
		pthread_mutex_unlock(&fs->lock);
		break;
	default:
		rc = -EIO;
		break;
	}
	if (rc != 0)
		goto out_free_handle;

	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->fh = (uint64_t)(uintptr_t)h;
	pthread_mutex_lock(&fs->lock);
	link_handle(fs, h);
	pthread_mutex_unlock(&fs->lock);
	return 0;

out_free_handle:
	free(h);
	return rc;
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
	pthread_mutex_lock(&fs->lock);
	switch (h->kind) {
	case KIND_CTL:
		n = (ssize_t)ctl_read(h->u.ctl, buf, size);
		break;
	case KIND_ROWS:
		n = files_rows_read(&h->u.rows, fs->db, buf, size, (uint64_t)offset, &err);
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
	ssize_t n;

	(void)path;
	(void)offset;   /* ctl is a stream: offsets mean nothing */
	if (h->kind != KIND_CTL)
		return -EBADF;
	ctl_executor_init_db(&ex, fs->db);
	pthread_mutex_lock(&fs->lock);
	n = ctl_write(h->u.ctl, &ex, buf, size);
	pthread_mutex_unlock(&fs->lock);
	return (int)n;
}

/* Run the pending partial line of a ctl handle; 0 or -errno. */
static int flush_ctl(struct fs *fs, struct fs_handle *h)
{
	struct ctl_executor ex;
	int rc;

	if (h->kind != KIND_CTL)
		return 0;
	ctl_executor_init_db(&ex, fs->db);
	pthread_mutex_lock(&fs->lock);
	rc = ctl_flush(h->u.ctl, &ex);
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	return flush_ctl(get_fs(), get_handle(fi));
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	struct fs *fs = get_fs();
	struct fs_handle *h = get_handle(fi);

	(void)path;
	if (h->kind == KIND_CTL)
		flush_ctl(fs, h);   /* only if no flush came; nobody to tell */
	pthread_mutex_lock(&fs->lock);
	unlink_handle(fs, h);
	pthread_mutex_unlock(&fs->lock);
	free_handle(h);
	return 0;
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	(void)fi;
	return 0;   /* a successful write to ctl is already durable (sync=full) */
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int i = lookup(path);

	(void)size;
	(void)fi;
	if (i == -2)
		return -ENOENT;
	if (i == -1)
		return -EISDIR;
	if (fs_files[i].kind != KIND_CTL)
		return -EACCES;
	if (get_fs()->read_only)
		return -EROFS;
	return 0;   /* truncate never clears data: ctl is a stream */
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)tv;
	(void)fi;
	return lookup(path) == -2 ? -ENOENT : 0;   /* accepted, changes nothing */
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

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)path;
	(void)mode;
	(void)fi;
	return -EPERM;
}

static int op_mkdir(const char *path, mode_t mode)
{
	(void)path;
	(void)mode;
	return -EPERM;
}

static int op_unlink(const char *path)
{
	(void)path;
	return -EPERM;
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

static int op_statfs(const char *path, struct statvfs *sv)
{
	struct fs *fs = get_fs();
	struct rowfs_stats st;

	(void)path;
	pthread_mutex_lock(&fs->lock);
	rowfs_get_stats(fs->db, &st);
	pthread_mutex_unlock(&fs->lock);
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = 4096;
	sv->f_frsize = 4096;
	sv->f_blocks = st.pages;
	sv->f_bfree = st.free_pages;
	sv->f_bavail = st.free_pages;
	sv->f_files = FS_FILE_COUNT + 1;
	sv->f_ffree = 0;
	sv->f_namemax = 255;
	if (fs->read_only)
		sv->f_flag |= ST_RDONLY;
	return 0;
}

static const struct fuse_operations fs_ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readdir = op_readdir,
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
};

const struct fuse_operations *fs_operations(void)
{
	return &fs_ops;
}
