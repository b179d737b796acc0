/*
 * handle.h - an open file of the mount and the operations of each kind.
 *
 * Module handle (this header; the operations live with the modules that
 * own each file's content) defines struct fs_handle, what fi->fh points
 * to, and struct fs_file_ops, the operations one entry of the kind table
 * (fs/path.c) names.  fs/fuse_ops.c calls them and owns nothing about a
 * kind but this table: a new file of the mount is an entry and its ops.
 *
 * Locking: open and release run under fs->lock (fuse_ops.c takes it);
 * read, write, flush and getattr take it themselves (a read of `changes`
 * waits without it).
 */
#ifndef ROWFS_FS_HANDLE_H
#define ROWFS_FS_HANDLE_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "byid.h"
#include "changes.h"
#include "ctl.h"
#include "files.h"
#include "fs.h"
#include "path.h"
#include "tmpfile.h"

/* The listing state of an open directory that streams its names. */
struct dir_listing {
	uint64_t pos;          /* readdir offset the next sequential request has */
	int64_t next;          /* where the source goes on (a key, a catalog id) */
	int done;              /* the source has no more names */
};

/* An open tables/T/import: ctl's framing, each line an input row of T. */
struct import_handle {
	struct ctl *ctl;       /* line splitter, replies, line numbers */
	int form;              /* enum rowfs_input_form once known (the first byte), else -1 */
	char *header;          /* the CSV header line of T (column names), malloc'd */
	size_t header_len;     /* its length */
	int started;           /* a byte was written (a byte order mark is skipped only before) */
};

/* What getattr tells of a name besides its mode. */
struct fs_attr {
	off_t size;              /* st_size */
	struct timespec mtime;   /* st_mtime and st_ctime */
};

/* An open temporary file of by-id/. */
struct tmp_handle {
	struct tmpfile *file;  /* the file, held while the handle is open (fs->tmpfiles) */
	int append;            /* opened with O_APPEND: every write goes to the end */
};

/* What fi->fh points to. */
struct fs_handle {
	struct fs_handle *prev;        /* neighbours in fs->handles */
	struct fs_handle *next;
	const struct path_kind_info *info; /* the kind table's entry of the name */
	struct path path;              /* the name it was opened by */
	union {
		struct ctl *ctl;           /* ctl */
		struct files_rows rows;    /* rows, rows.csv, rows.ndjson, dump, ranges */
		struct files_text text;    /* btree, constants, stats, check, schema */
		struct byid_file row;      /* by-id/KEY */
		struct tmp_handle tmp;     /* by-id/NAME, a temporary file */
		struct changes_reader changes; /* changes */
		struct import_handle import;   /* tables/T/import */
		struct dir_listing dir;    /* by-id/, tables/ opened as directories */
		uint64_t log_base;         /* log: the ring's absolute offset its offset 0
					      stands for (fs/log.h), under the ring's lock */
	} u;
	struct ctl_session session;    /* ctl, import: the transaction of its unit, or kept */
	struct rowfs_txn *reader;      /* streams, directories: the read transaction */
	pid_t pid;                     /* the process (thread) that opened it */
};

/* The operations of one kind of file (NULL members: see each). */
struct fs_file_ops {
	/* Set up h (h->path, h->info filled) for an open with flags; created: by
	 * create(2).  Under fs->lock.  0 or -errno. */
	int (*open)(struct fs *fs, struct fs_handle *h, int flags, int created);
	/* Up to size bytes at offset off (flags: the open flags).  Bytes or -errno. */
	ssize_t (*read)(struct fs *fs, struct fs_handle *h, char *buf, size_t size,
			uint64_t off, int flags);
	/* Take buf[0..size) at offset off (ignored by the streams: ctl, import, row
	 * files).  NULL: EBADF. */
	ssize_t (*write)(struct fs *fs, struct fs_handle *h, const char *buf, size_t size,
			 uint64_t off);
	/* Run what the handle still owes (a partial line).  NULL: nothing. */
	int (*flush)(struct fs *fs, struct fs_handle *h);
	/* Free what h owns.  Under fs->lock.  NULL: nothing. */
	void (*release)(struct fs *fs, struct fs_handle *h);
	/* Does the name exist, and its st_size and st_mtime (h: the open handle
	 * the kernel asked through, or NULL: the name).  attr comes filled with
	 * size 0 and the mount's time.  0 or -errno.  NULL: fs_name_attr. */
	int (*getattr)(struct fs *fs, const struct path *p, struct fs_handle *h,
		       struct fs_attr *attr);
	/* poll(2) events of an open handle.  NULL: always ready. */
	unsigned (*poll)(struct fs *fs, struct fs_handle *h, void *ph);
	/* truncate(2) of a writable name to size (h: the handle of an ftruncate, or
	 * NULL).  0 or -errno.  NULL: accepted, changes nothing (ctl, import). */
	int (*truncate)(struct fs *fs, const struct path *p, struct fs_handle *h, uint64_t size);
	/* unlink(2) of the name.  0 or -errno.  NULL: EPERM. */
	int (*unlink)(struct fs *fs, const struct path *p);
	/* rename(2) of the name (from, of this kind) to `to` (flags: RENAME_*).
	 * 0 or -errno.  NULL: EPERM. */
	int (*rename)(struct fs *fs, const struct path *from, const struct path *to,
		      unsigned flags);
	/* chmod(2) and chown(2) of the name (which the kernel allowed).  0: accepted,
	 * changes nothing.  NULL: EPERM. */
	int (*chattr)(struct fs *fs, const struct path *p);
};

/* The ops tables of the kinds (defined where each file's content is owned). */
extern const struct fs_file_ops fs_ctl_ops;      /* fs/fuse_ops.c: ctl */
extern const struct fs_file_ops fs_changes_ops;  /* fs/fuse_ops.c: changes */
extern const struct fs_file_ops fs_stream_ops;   /* fs/files.c: rows, renderings, ranges, dump */
extern const struct fs_file_ops fs_text_ops;     /* fs/files.c: btree, constants, stats, check, schema */
extern const struct fs_file_ops fs_row_ops;      /* fs/byid.c: by-id/KEY */
extern const struct fs_file_ops fs_import_ops;   /* fs/fileops.c: tables/T/import */
extern const struct fs_file_ops fs_tmp_ops;      /* fs/fileops.c: by-id/NAME (temporary) */
extern const struct fs_file_ops fs_log_ops;      /* fs/fileops.c: log */

/*
 * fs_table_exists - does the table of p exist in the committed state
 * (always, for the root's files)?  0, -ENOENT or another -errno.  Takes
 * fs->lock.
 */
int fs_table_exists(struct fs *fs, const struct path *p);

/*
 * fs_name_attr - getattr of a name whose ops have none (directories, ctl,
 * import): 0 when it exists (fs_table_exists), and its time: the last
 * change of any table for the root and tables/, of its table for
 * tables/T/ and by-id/, the mount's for the others.  Takes fs->lock.
 */
int fs_name_attr(struct fs *fs, const struct path *p, struct fs_attr *attr);

/*
 * fs_wait_for_closing_writer - before h (NULL: not a ctl handle) competes
 * for the write transaction, give a ctl handle that may be closing a
 * moment to release it (fs/fuse_ops.c has the policy).  Under fs->lock.
 */
void fs_wait_for_closing_writer(struct fs *fs, const struct fs_handle *h);

/*
 * fs_row_busy - before a handle that is not a ctl handle changes a row:
 * wait for a closing writer (fs_wait_for_closing_writer), then -EBUSY if
 * a ctl handle still holds the write transaction, else 0.  Under lock.
 */
int fs_row_busy(struct fs *fs, const struct fs_handle *h);

/*
 * fs_caller_pid - the process whose request the calling thread serves
 * (FUSE's context), for log lines; 0 outside a request.
 */
pid_t fs_caller_pid(void);

/* fs_note_unit - after h ran a unit of statements (the writer's close detection).  Under lock. */
void fs_note_unit(struct fs *fs, const struct fs_handle *h);

#endif /* ROWFS_FS_HANDLE_H */
