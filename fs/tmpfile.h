/*
 * tmpfile.h - the temporary files of by-id/ directories, for safe saves.
 *
 * Editors and tools save a file by writing a temporary file next to it
 * and renaming it over the target (sed -i, vim's swap and backup files,
 * Python's tempfile + os.replace, rsync).  In a by-id/ directory (of the
 * root and of every tables/T/) any name that is not a key is such a file
 * (fs/path.c: PATH_TMP): it lives in the daemon's memory only, is
 * written, read, truncated and renamed like a file of a disk, is never
 * listed by readdir, and is gone at unmount.  Renaming it over
 * by-id/KEY is what fs/fileops.c turns into one upsert of row KEY.
 *
 * Module tmpfile owns struct tmpfiles, the set of temporary files of one
 * mount, and struct tmpfile, one file: its directory (the table name of
 * its by-id/: "" for the root's), its name, its content, and how many
 * open handles hold it.  A file has a name until it is unlinked or
 * renamed away; it is freed when it has neither a name nor a holder
 * (a handle open on an unlinked file keeps reading and writing it, as on
 * any filesystem).
 *
 * Bounds: the content of every temporary file together (named or held)
 * takes at most the set's limit in bytes of memory (TMPFILE_BYTES_DEFAULT,
 * -o tmp_memory); a write, a truncate or a create past it fails with
 * ENOSPC.  At most TMPFILE_FILES_MAX files exist at once (ENOSPC too).
 *
 * It does not know libfuse nor the engine.  Not thread-safe: the daemon
 * calls it under its engine mutex.
 */
#ifndef ROWFS_FS_TMPFILE_H
#define ROWFS_FS_TMPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The default bound of the content of all temporary files, bytes (64 MiB). */
#define TMPFILE_BYTES_DEFAULT ((size_t)64 << 20)

/* Most temporary files at once (named, or unlinked and still open). */
#define TMPFILE_FILES_MAX 1024u

/* One temporary file (fields private to tmpfile.c). */
struct tmpfile;

/* The temporary files of one mount. */
struct tmpfiles {
	struct tmpfile *head;  /* every file, named or held, newest first */
	size_t count;          /* files in the list */
	size_t bytes;          /* bytes of content allocated, all files together */
	size_t limit;          /* bound of bytes: past it, ENOSPC */
};

/* tmpfiles_init - an empty set whose content may take limit bytes. */
void tmpfiles_init(struct tmpfiles *set, size_t limit);

/*
 * tmpfiles_release - free every file of the set, held ones too (the
 * session is over); the set is empty afterwards.
 */
void tmpfiles_release(struct tmpfiles *set);

/*
 * tmpfiles_find - the file named name in directory dir ("" the root's
 * by-id/, else the table's), or NULL.  Unlinked files are never found.
 */
struct tmpfile *tmpfiles_find(struct tmpfiles *set, const char *dir, const char *name);

/*
 * tmpfiles_create - a new empty file named name in dir (which must not
 * have one of that name), held once by the caller (tmpfile_drop lets go).
 * Returns 0 and *out, -ENOSPC (TMPFILE_FILES_MAX files exist),
 * -ENAMETOOLONG, -ENOMEM.
 */
int tmpfiles_create(struct tmpfiles *set, const char *dir, const char *name,
		    struct tmpfile **out);

/* tmpfile_hold - one more holder (an open handle) of f. */
void tmpfile_hold(struct tmpfile *f);

/*
 * tmpfile_drop - a holder lets go of f; f is freed when it has no holder
 * left and no name.
 */
void tmpfile_drop(struct tmpfiles *set, struct tmpfile *f);

/*
 * tmpfile_unlink - take f's name away (it is never found again); f is
 * freed now unless a holder keeps it.  f must be named.
 */
void tmpfile_unlink(struct tmpfiles *set, struct tmpfile *f);

/*
 * tmpfile_rename - give f the name name in its directory; a file that
 * had that name is unlinked (replaced).  Renaming f to its own name does
 * nothing.  Returns 0, -ENAMETOOLONG, -ENOMEM (f keeps its name).
 */
int tmpfile_rename(struct tmpfiles *set, struct tmpfile *f, const char *name);

/* tmpfile_size - the length of f's content. */
uint64_t tmpfile_size(const struct tmpfile *f);

/* tmpfile_data - f's content (tmpfile_size bytes; NULL when empty). */
const char *tmpfile_data(const struct tmpfile *f);

/*
 * tmpfile_read - copy up to size bytes of f from offset off into buf.
 * Returns the byte count (0 at or past the end).
 */
size_t tmpfile_read(const struct tmpfile *f, char *buf, size_t size, uint64_t off);

/*
 * tmpfile_write - write buf[0..size) at offset off, growing f (a gap
 * reads as zero bytes).  Returns size, or -ENOSPC (the set's bound, or an
 * offset past it), -ENOMEM; f is unchanged on failure.
 */
ssize_t tmpfile_write(struct tmpfiles *set, struct tmpfile *f, const char *buf, size_t size,
		      uint64_t off);

/*
 * tmpfile_truncate - make f size bytes long (cut, or extended with zero
 * bytes).  Returns 0, -ENOSPC (the set's bound), -ENOMEM.
 */
int tmpfile_truncate(struct tmpfiles *set, struct tmpfile *f, uint64_t size);

#endif /* ROWFS_FS_TMPFILE_H */
