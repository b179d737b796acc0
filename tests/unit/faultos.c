/*
 * faultos.c - the fault-injecting os table for unit tests (see faultos.h).
 *
 * Owns: the armed faults, the call counters, and in powerloss mode one
 * struct faultos_file per written file: a list of extents (offset, bytes)
 * in write order, each PENDING (not yet durable), DOOMED (an fsync failed
 * after it: visible, never durable) or APPLIED (written to the real file
 * and fsynced, kept only while a DOOMED extent might shadow it).  Reads
 * overlay the extents in order on the real file's bytes, so the latest
 * write wins.  A private dup of the descriptor lets fsync and the power
 * cut reach the file after the engine closed its own descriptor.
 */
#include <config.h>
#include "faultos.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum extent_state { PENDING, DOOMED, APPLIED };

struct extent {
	uint64_t off;                  /* file offset */
	size_t len;                    /* bytes in data (0: dropped by a truncate) */
	uint8_t *data;                 /* the written bytes */
	enum extent_state state;       /* see the file comment */
};

struct faultos_file {
	dev_t dev;                     /* identity of the file */
	ino_t ino;
	int fd;                        /* our own dup of a writable descriptor */
	uint64_t durable_size;         /* size at the last fsync (or at the first write) */
	struct extent *extents;        /* writes in order */
	size_t count;                  /* entries in extents */
	size_t cap;                    /* allocated entries */
};

static struct faultos *from_ctx(void *ctx)
{
	return ctx;
}

/* Does the armed fault fire at call number count? */
static int fires(struct faultos *fo, struct faultos_arm *arm, uint64_t count)
{
	if (!arm->armed || count < arm->at)
		return 0;
	if (!arm->persistent)
		arm->armed = 0;
	fo->faults++;
	return 1;
}

static void arm(struct faultos_arm *arm, uint64_t now, unsigned n, int errnum, int persistent,
		int tear)
{
	arm->armed = 1;
	arm->at = now + (n ? n : 1);
	arm->errnum = errnum;
	arm->persistent = persistent;
	arm->tear = tear;
}

static void file_free(struct faultos_file *file)
{
	size_t i;

	for (i = 0; i < file->count; i++)
		free(file->extents[i].data);
	free(file->extents);
	close(file->fd);
	free(file);
}

/* The tracked file behind fd, or NULL; with create, start tracking it. */
static struct faultos_file *file_of(struct faultos *fo, int fd, int create)
{
	struct faultos_file *file;
	struct stat st;
	size_t i;

	if (fstat(fd, &st) < 0)
		return NULL;
	for (i = 0; i < fo->file_count; i++)
		if (fo->files[i]->dev == st.st_dev && fo->files[i]->ino == st.st_ino)
			return fo->files[i];
	if (!create)
		return NULL;
	if (fo->file_count == fo->file_cap) {
		size_t cap = fo->file_cap ? 2 * fo->file_cap : 8;
		struct faultos_file **files = realloc(fo->files, cap * sizeof(*files));

		if (!files)
			return NULL;
		fo->files = files;
		fo->file_cap = cap;
	}
	file = calloc(1, sizeof(*file));
	if (!file)
		return NULL;
	file->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (file->fd < 0) {
		free(file);
		return NULL;
	}
	file->dev = st.st_dev;
	file->ino = st.st_ino;
	file->durable_size = (uint64_t)st.st_size;
	fo->files[fo->file_count++] = file;
	return file;
}

/* Record a pending write of n bytes at off; grow the real file to cover it. */
static int file_add(struct faultos_file *file, const void *buf, size_t n, uint64_t off)
{
	struct extent *e;
	struct stat st;

	if (file->count == file->cap) {
		size_t cap = file->cap ? 2 * file->cap : 16;
		struct extent *extents = realloc(file->extents, cap * sizeof(*extents));

		if (!extents)
			return -1;
		file->extents = extents;
		file->cap = cap;
	}
	e = &file->extents[file->count];
	e->data = malloc(n ? n : 1);
	if (!e->data)
		return -1;
	memcpy(e->data, buf, n);
	e->off = off;
	e->len = n;
	e->state = PENDING;
	file->count++;
	if (fstat(file->fd, &st) < 0)
		return -1;
	if ((uint64_t)st.st_size < off + n && ftruncate(file->fd, (off_t)(off + n)) < 0)
		return -1;
	return 0;
}

/* Copy the extents' bytes that fall inside [off, off + n) into buf. */
static void file_overlay(const struct faultos_file *file, uint8_t *buf, size_t n, uint64_t off)
{
	size_t i;

	for (i = 0; i < file->count; i++) {
		const struct extent *e = &file->extents[i];
		uint64_t lo = e->off > off ? e->off : off;
		uint64_t hi = e->off + e->len < off + n ? e->off + e->len : off + n;

		if (lo < hi)
			memcpy(buf + (lo - off), e->data + (lo - e->off), (size_t)(hi - lo));
	}
}

/* Forget extents' bytes at or past len (the file was truncated). */
static void file_truncate(struct faultos_file *file, uint64_t len)
{
	size_t i;

	for (i = 0; i < file->count; i++) {
		struct extent *e = &file->extents[i];

		if (e->off >= len)
			e->len = 0;
		else if (e->off + e->len > len)
			e->len = (size_t)(len - e->off);
	}
	file->durable_size = len;
}

/* Drop every extent (after a sync with nothing doomed left). */
static void file_clear(struct faultos_file *file)
{
	size_t i;

	for (i = 0; i < file->count; i++)
		free(file->extents[i].data);
	file->count = 0;
}

/* Write the pending extents to the real file and fsync it. */
static int file_sync(struct faultos_file *file)
{
	int doomed = 0;
	struct stat st;
	size_t i;

	for (i = 0; i < file->count; i++) {
		struct extent *e = &file->extents[i];
		size_t done = 0;

		if (e->state == DOOMED)
			doomed = 1;
		if (e->state != PENDING)
			continue;
		while (done < e->len) {
			ssize_t r = pwrite(file->fd, e->data + done, e->len - done,
					   (off_t)(e->off + done));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			done += (size_t)r;
		}
		e->state = APPLIED;
	}
	if (fdatasync(file->fd) < 0)
		return -1;
	if (fstat(file->fd, &st) == 0)
		file->durable_size = (uint64_t)st.st_size;
	if (!doomed)
		file_clear(file);
	return 0;
}

/* Count one pwrite/fsync/ftruncate; 1 if the machine is (now) off. */
static int off_now(struct faultos *fo)
{
	if (!fo->dead && fires(fo, &fo->cut, fo->pwrites + fo->fsyncs + fo->ftruncates))
		faultos_power_cut(fo);
	if (fo->dead) {
		errno = EIO;
		return 1;
	}
	return 0;
}

static ssize_t fault_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	struct faultos *fo = from_ctx(ctx);
	struct faultos_file *file;
	ssize_t r;

	fo->preads++;
	if (fo->dead) {
		errno = EIO;
		return -1;
	}
	if (fires(fo, &fo->read_fail, fo->preads)) {
		errno = fo->read_fail.errnum;
		return -1;
	}
	r = pread(fd, buf, n, off);
	if (r > 0 && fo->powerloss) {
		file = file_of(fo, fd, 0);
		if (file)
			file_overlay(file, buf, (size_t)r, (uint64_t)off);
	}
	return r;
}

static ssize_t fault_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	struct faultos *fo = from_ctx(ctx);
	int tear = 0;
	size_t count = n;
	ssize_t r;

	fo->pwrites++;
	if (off_now(fo))
		return -1;
	if (fires(fo, &fo->write_fail, fo->pwrites)) {
		errno = fo->write_fail.errnum;
		return -1;
	}
	if (fires(fo, &fo->write_tear, fo->pwrites)) {
		tear = fo->write_tear.tear;
		count = n / 2;
	}
	if (fo->powerloss) {
		struct faultos_file *file = file_of(fo, fd, 1);

		if (!file || file_add(file, buf, count, (uint64_t)off) < 0) {
			errno = ENOMEM;
			return -1;
		}
		r = (ssize_t)count;
	} else {
		r = count ? pwrite(fd, buf, count, off) : 0;
		if (r < 0)
			return -1;
	}
	if (tear == FAULTOS_TEAR_EIO) {
		errno = EIO;
		return -1;
	}
	if (tear == FAULTOS_TEAR_SILENT)
		return (ssize_t)n;
	return r;
}

static int fault_fsync(void *ctx, int fd)
{
	struct faultos *fo = from_ctx(ctx);
	struct faultos_file *file;
	size_t i;

	fo->fsyncs++;
	if (off_now(fo))
		return -1;
	file = fo->powerloss ? file_of(fo, fd, 0) : NULL;
	if (fires(fo, &fo->sync_fail, fo->fsyncs)) {
		if (file)
			for (i = 0; i < file->count; i++)
				if (file->extents[i].state == PENDING)
					file->extents[i].state = DOOMED;
		errno = fo->sync_fail.errnum;
		return -1;
	}
	if (file)
		return file_sync(file);
	return fdatasync(fd);
}

static int fault_ftruncate(void *ctx, int fd, off_t len)
{
	struct faultos *fo = from_ctx(ctx);
	struct faultos_file *file;

	fo->ftruncates++;
	if (off_now(fo))
		return -1;
	if (fires(fo, &fo->truncate_fail, fo->ftruncates)) {
		errno = fo->truncate_fail.errnum;
		return -1;
	}
	if (ftruncate(fd, len) < 0)
		return -1;
	file = fo->powerloss ? file_of(fo, fd, 0) : NULL;
	if (file)
		file_truncate(file, (uint64_t)len);
	return 0;
}

void faultos_init(struct faultos *fo)
{
	memset(fo, 0, sizeof(*fo));
	fo->os.pread = fault_pread;
	fo->os.pwrite = fault_pwrite;
	fo->os.fsync = fault_fsync;
	fo->os.ftruncate = fault_ftruncate;
	fo->os.ctx = fo;
}

/* Lose the unsynced data of every tracked file and stop tracking them. */
static void drop_files(struct faultos *fo)
{
	size_t i;

	for (i = 0; i < fo->file_count; i++) {
		struct faultos_file *file = fo->files[i];
		struct stat st;

		if (fstat(file->fd, &st) == 0 && (uint64_t)st.st_size > file->durable_size)
			(void)ftruncate(file->fd, (off_t)file->durable_size);
		file_free(file);
	}
	free(fo->files);
	fo->files = NULL;
	fo->file_count = 0;
	fo->file_cap = 0;
}

void faultos_release(struct faultos *fo)
{
	drop_files(fo);
	fo->powerloss = 0;
	faultos_disarm(fo);
}

void faultos_disarm(struct faultos *fo)
{
	fo->read_fail.armed = 0;
	fo->write_fail.armed = 0;
	fo->write_tear.armed = 0;
	fo->sync_fail.armed = 0;
	fo->truncate_fail.armed = 0;
	fo->cut.armed = 0;
}

void faultos_fail_write_at(struct faultos *fo, unsigned n, int errnum, int persistent)
{
	arm(&fo->write_fail, fo->pwrites, n, errnum, persistent, 0);
}

void faultos_fail_sync_at(struct faultos *fo, unsigned n, int errnum, int persistent)
{
	arm(&fo->sync_fail, fo->fsyncs, n, errnum, persistent, 0);
}

void faultos_fail_read_at(struct faultos *fo, unsigned n, int errnum, int persistent)
{
	arm(&fo->read_fail, fo->preads, n, errnum, persistent, 0);
}

void faultos_fail_truncate_at(struct faultos *fo, unsigned n, int errnum, int persistent)
{
	arm(&fo->truncate_fail, fo->ftruncates, n, errnum, persistent, 0);
}

void faultos_tear_write_at(struct faultos *fo, unsigned n, enum faultos_tear how)
{
	arm(&fo->write_tear, fo->pwrites, n, EIO, 0, how);
}

void faultos_powerloss_begin(struct faultos *fo)
{
	fo->powerloss = 1;
}

void faultos_power_cut(struct faultos *fo)
{
	drop_files(fo);
	fo->dead = 1;
}

void faultos_power_cut_at(struct faultos *fo, unsigned n)
{
	arm(&fo->cut, fo->pwrites + fo->fsyncs + fo->ftruncates, n, EIO, 0, 0);
}

uint64_t faultos_pending_bytes(const struct faultos *fo)
{
	uint64_t total = 0;
	size_t i, j;

	for (i = 0; i < fo->file_count; i++)
		for (j = 0; j < fo->files[i]->count; j++)
			if (fo->files[i]->extents[j].state != APPLIED)
				total += fo->files[i]->extents[j].len;
	return total;
}
