/*
 * floorfs.c - the FUSE floor of the benchmark: what a filesystem costs that
 * does nothing but move bytes through libfuse3 the way rowfs does.
 *
 *   floorfs [FUSE options] [-o rows=N] [-o sync_file=PATH] MOUNTPOINT
 *
 * Files (same modes, attributes and open flags as rowfs's):
 *   ctl   0600  writes are accepted and discarded.  With -o sync_file=PATH
 *               each write() is first appended to PATH and fdatasync()ed,
 *               the cost of one durable commit of those bytes.
 *   rows  0444  the bytes rowfs's `rows` shows after `insert ID user_ID`
 *               for ID = 1..N: "ID<TAB>user_ID\n" lines, generated on the
 *               fly into the reader's buffer.
 *   by-id/      0755  lists "1" .. "N" (and "." ".."), like rowfs's by-id/:
 *               offset mode ("." 1, ".." 2, ID at ID + 3), d_type DT_REG,
 *               no attributes, readdirplus off.
 *   by-id/ID    0644  "user_ID\n" for 1 <= ID <= N (canonical decimal
 *               names only), its exact st_size; read-only here.
 *
 * Like rowfs: direct_io on every open, attribute/entry timeouts 0, no
 * writeback cache, st_size 0 (row files: their exact size), st_blksize
 * 128 KiB, a flush operation (so the kernel sends the same requests),
 * multithreaded loop unless -s.  A handle's rows stream remembers where its
 * next sequential read starts; a read at any other offset restarts from
 * ID 1 and skips.
 *
 * Not part of rowfs: built by bench/run only.
 */
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FLOOR_BLKSIZE (128 * 1024)
#define LINE_MAX_LEN 32   /* "4294967295\tuser_4294967295\n" is 27 bytes */
#define BYID_OFFSET(id) ((off_t)(id) + 3)   /* readdir offset of by-id/ID */

/* What a handle serves (fi->fh points to one; ctl has none). */
enum handle_kind { HANDLE_ROWS = 1, HANDLE_ROW };

/* Options and state of the mount, in private_data. */
struct floor {
	unsigned long rows;    /* rows shows IDs 1..rows */
	char *sync_file;       /* -o sync_file: append + fdatasync each ctl write */
	int sync_fd;           /* open sync_file, or -1 */
	pthread_mutex_t lock;  /* serializes appends to sync_fd */
	time_t mount_time;     /* st_mtime of everything */
};

/* One open rows handle: the stream position; or one open row file. */
struct rows_stream {
	enum handle_kind kind;       /* HANDLE_ROWS, or HANDLE_ROW: carry holds the row */
	uint64_t next_id;            /* next ID to format */
	uint64_t pos;                /* offset of the next sequential read */
	char carry[LINE_MAX_LEN];    /* rest of a line cut by the reader's buffer */
	size_t carry_len, carry_off; /* bytes in carry, bytes already returned */
};

static const struct fuse_opt floor_opts[] = {
	{"rows=%lu", offsetof(struct floor, rows), 0},
	{"sync_file=%s", offsetof(struct floor, sync_file), 0},
	FUSE_OPT_END
};

static struct floor *get_floor(void)
{
	return fuse_get_context()->private_data;
}

/*
 * The id of "/by-id/ID": canonical decimal (no leading zero, at most
 * 4294967295, as rowfs's path_number), 1 <= ID <= rows.  0 if path is
 * anything else.
 */
static uint64_t row_id(const struct floor *fl, const char *path)
{
	static const char dir[] = "/by-id/";
	const char *s = path + sizeof(dir) - 1;
	uint64_t v = 0;
	size_t len;

	if (strncmp(path, dir, sizeof(dir) - 1))
		return 0;
	len = strlen(s);
	if (len == 0 || len > 10 || s[0] == '0')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v <= fl->rows && v <= UINT32_MAX ? v : 0;
}

/* Write the decimal digits of v at dst; returns their count. */
static size_t format_u64(char *dst, uint64_t v)
{
	char digits[20];
	size_t n = 0, i;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		dst[i] = digits[n - 1 - i];
	return n;
}

/* Write "user_ID\n" at dst; returns its length. */
static size_t format_row_text(char *dst, uint64_t id)
{
	size_t len;

	memcpy(dst, "user_", 5);
	len = 5 + format_u64(dst + 5, id);
	dst[len++] = '\n';
	return len;
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
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* Plain readdir, as rowfs: the entries of by-id/ need no attributes. */
	conn->want &= ~(FUSE_CAP_READDIRPLUS | FUSE_CAP_READDIRPLUS_AUTO);
	return get_floor();
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct floor *fl = get_floor();
	char text[LINE_MAX_LEN];
	uint64_t id;

	(void)fi;
	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_atime = st->st_mtime = st->st_ctime = fl->mount_time;
	st->st_blksize = FLOOR_BLKSIZE;
	if (!strcmp(path, "/") || !strcmp(path, "/by-id")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if ((id = row_id(fl, path)) != 0) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = (off_t)format_row_text(text, id);
	} else if (!strcmp(path, "/ctl")) {
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
	} else if (!strcmp(path, "/rows")) {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t offset,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct floor *fl = get_floor();
	struct stat st;
	char name[24];
	uint64_t id;

	(void)fi;
	(void)flags;
	if (!strcmp(path, "/by-id")) {
		/* rowfs's list_byid, with the keys 1..rows */
		memset(&st, 0, sizeof(st));
		st.st_mode = S_IFDIR;
		if (offset < 1 && filler(buf, ".", &st, 1, 0))
			return 0;
		if (offset < 2 && filler(buf, "..", &st, 2, 0))
			return 0;
		st.st_mode = S_IFREG;
		for (id = offset > 2 ? (uint64_t)offset - 2 : 1; id <= fl->rows; id++) {
			name[format_u64(name, id)] = '\0';
			if (filler(buf, name, &st, BYID_OFFSET(id), 0))
				break;
		}
		return 0;
	}
	if (strcmp(path, "/"))
		return -ENOTDIR;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	filler(buf, "ctl", NULL, 0, 0);
	filler(buf, "rows", NULL, 0, 0);
	filler(buf, "by-id", NULL, 0, 0);
	return 0;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	int writing = (fi->flags & O_ACCMODE) != O_RDONLY;
	struct rows_stream *s;
	uint64_t id;

	if (!strcmp(path, "/ctl")) {
		fi->fh = 0;
	} else if (!strcmp(path, "/rows")) {
		if (writing)
			return -EACCES;
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->kind = HANDLE_ROWS;
		s->next_id = 1;
		fi->fh = (uint64_t)(uintptr_t)s;
	} else if ((id = row_id(get_floor(), path)) != 0) {
		/* rowfs's open_row: the text is taken at open */
		if (writing)
			return -EACCES;
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->kind = HANDLE_ROW;
		s->carry_len = format_row_text(s->carry, id);
		fi->fh = (uint64_t)(uintptr_t)s;
	} else {
		return -ENOENT;
	}
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

/* Write "id\tuser_id\n" at dst; returns its length. */
static size_t format_row(char *dst, uint64_t id)
{
	char digits[20];
	size_t n = 0, len = 0, i;

	do {
		digits[n++] = (char)('0' + id % 10);
		id /= 10;
	} while (id);
	for (i = n; i > 0; i--)
		dst[len++] = digits[i - 1];
	dst[len++] = '\t';
	memcpy(dst + len, "user_", 5);
	len += 5;
	for (i = n; i > 0; i--)
		dst[len++] = digits[i - 1];
	dst[len++] = '\n';
	return len;
}

/* Fill buf with the next bytes of the stream. */
static size_t rows_fill(struct floor *fl, struct rows_stream *s, char *buf, size_t size)
{
	size_t used = 0;

	if (s->carry_off < s->carry_len) {
		size_t n = s->carry_len - s->carry_off;

		if (n > size)
			n = size;
		memcpy(buf, s->carry + s->carry_off, n);
		s->carry_off += n;
		used = n;
	}
	while (used < size && s->next_id <= fl->rows) {
		size_t room = size - used;

		if (room >= LINE_MAX_LEN) {
			used += format_row(buf + used, s->next_id++);
			continue;
		}
		s->carry_len = format_row(s->carry, s->next_id++);
		s->carry_off = s->carry_len < room ? s->carry_len : room;
		memcpy(buf + used, s->carry, s->carry_off);
		used += s->carry_off;
	}
	s->pos += used;
	return used;
}

static int op_read(const char *path, char *buf, size_t size, off_t offset,
		   struct fuse_file_info *fi)
{
	struct rows_stream *s = (struct rows_stream *)(uintptr_t)fi->fh;
	struct floor *fl = get_floor();
	char scratch[4096];

	(void)path;
	if (!s)
		return 0;   /* ctl: no replies */
	if (offset < 0)
		return -EINVAL;
	if (s->kind == HANDLE_ROW) {
		if ((uint64_t)offset >= s->carry_len)
			return 0;
		if (size > s->carry_len - (size_t)offset)
			size = s->carry_len - (size_t)offset;
		memcpy(buf, s->carry + offset, size);
		return (int)size;
	}
	if ((uint64_t)offset != s->pos) {
		memset(s, 0, sizeof(*s));
		s->kind = HANDLE_ROWS;
		s->next_id = 1;
		while (s->pos < (uint64_t)offset) {
			uint64_t gap = (uint64_t)offset - s->pos;

			if (rows_fill(fl, s, scratch, gap < sizeof(scratch) ? gap : sizeof(scratch)) == 0)
				return 0;
		}
	}
	return (int)rows_fill(fl, s, buf, size);
}

static int op_write(const char *path, const char *buf, size_t size, off_t offset,
		    struct fuse_file_info *fi)
{
	struct floor *fl = get_floor();
	size_t done = 0;
	int rc = 0;

	(void)path;
	(void)offset;
	if (fi->fh)
		return -EBADF;
	if (fl->sync_fd < 0)
		return (int)size;
	pthread_mutex_lock(&fl->lock);
	while (done < size) {
		ssize_t n = write(fl->sync_fd, buf + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		done += (size_t)n;
	}
	if (rc == 0 && fdatasync(fl->sync_fd) < 0)
		rc = -errno;
	pthread_mutex_unlock(&fl->lock);
	return rc ? rc : (int)size;
}

/*
 * A no-op, but present: rowfs needs flush (a partial last line runs at
 * close), and the kernel sends FLUSH on every close to a filesystem that
 * has it (never again to one that answered ENOSYS).  Without it the floor
 * would skip two of the nine requests of `/bin/echo ... > ctl`.
 */
static int op_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	return 0;
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	free((void *)(uintptr_t)fi->fh);
	return 0;
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	(void)size;
	(void)fi;
	return strcmp(path, "/ctl") ? -EACCES : 0;
}

static const struct fuse_operations floor_ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.truncate = op_truncate,
};

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cmdline;
	struct fuse *fuse;
	struct floor fl;
	int status = 1;

	memset(&fl, 0, sizeof(fl));
	memset(&cmdline, 0, sizeof(cmdline));
	fl.sync_fd = -1;
	fl.mount_time = time(NULL);
	pthread_mutex_init(&fl.lock, NULL);
	if (fuse_opt_parse(&args, &fl, floor_opts, NULL) != 0 ||
	    fuse_parse_cmdline(&args, &cmdline) != 0)
		goto out_free_args;
	if (!cmdline.mountpoint) {
		fprintf(stderr, "usage: floorfs [-f] [-o rows=N] [-o sync_file=PATH] MOUNTPOINT\n");
		goto out_free_args;
	}
	if (fl.sync_file) {
		fl.sync_fd = open(fl.sync_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fl.sync_fd < 0) {
			fprintf(stderr, "floorfs: cannot open '%s': %s\n", fl.sync_file,
				strerror(errno));
			goto out_free_args;
		}
	}
	if (fuse_opt_add_arg(&args, "-odefault_permissions") != 0 ||
	    fuse_opt_add_arg(&args, "-osubtype=floorfs") != 0)
		goto out_close;
	/* The same sequence as rowfs's main(): new, mount, daemonize, loop_mt. */
	fuse = fuse_new(&args, &floor_ops, sizeof(floor_ops), &fl);
	if (!fuse)
		goto out_close;
	if (fuse_mount(fuse, cmdline.mountpoint) != 0)
		goto out_destroy;
	if (fuse_daemonize(cmdline.foreground) != 0 ||
	    fuse_set_signal_handlers(fuse_get_session(fuse)) != 0)
		goto out_unmount;
	if ((cmdline.singlethread ? fuse_loop(fuse) : fuse_loop_mt(fuse, cmdline.clone_fd)) >= 0)
		status = 0;
	fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
	fuse_unmount(fuse);
out_destroy:
	fuse_destroy(fuse);
out_close:
	if (fl.sync_fd >= 0)
		close(fl.sync_fd);
out_free_args:
	pthread_mutex_destroy(&fl.lock);
	free(fl.sync_file);
	free(cmdline.mountpoint);
	fuse_opt_free_args(&args);
	return status;
}
