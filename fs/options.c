/*
 * options.c - owns the daemon's command line (bindfs pattern): a fuse_opt
 * spec for the rowfs options, the DBFILE and MOUNTPOINT positionals, and
 * their resolution to absolute paths before the daemon detaches (it
 * changes directory to / when it does).
 *
 * Every rowfs option exists as `-o name=V` (what fstab and mount.fuse3
 * pass, as `rowfs DBFILE MNT -o opts`) and as `--name=V`.  Options this
 * spec does not know stay in the fuse_args for libfuse, which rejects the
 * ones it does not know either.
 */
#include <config.h>
#include "options.h"

#include <errno.h>
#include <fuse.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "ctl.h"
#include "fs.h"
#include "log.h"
#include "rowfs.h"
#include "tmpfile.h"

enum {
	KEY_HELP,
	KEY_VERSION,
	KEY_RO,        /* -o ro: also kept for libfuse (read-only mount) */
	KEY_RO_LONG,   /* --ro: becomes -o ro */
	KEY_SYNC,
	KEY_CACHE_PAGES,
	KEY_WAL_LIMIT,
	KEY_SNAPSHOT_PAGES,
	KEY_CTL_MEMORY,
	KEY_TMP_MEMORY,
	KEY_NO_EFFECT  /* a libfuse caching option rowfs overrides: warned about, dropped */
};

/* Smallest -o ctl_memory (room for a few handles' buffers) and -o tmp_memory. */
#define CTL_MEMORY_MIN ((uint64_t)1 << 20)

static const struct fuse_opt option_spec[] = {
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("ro", KEY_RO),
	FUSE_OPT_KEY("--ro", KEY_RO_LONG),
	FUSE_OPT_KEY("sync=%s", KEY_SYNC),
	FUSE_OPT_KEY("--sync=%s", KEY_SYNC),
	FUSE_OPT_KEY("cache_pages=%s", KEY_CACHE_PAGES),
	FUSE_OPT_KEY("--cache_pages=%s", KEY_CACHE_PAGES),
	FUSE_OPT_KEY("--cache-pages=%s", KEY_CACHE_PAGES),
	FUSE_OPT_KEY("wal_limit=%s", KEY_WAL_LIMIT),
	FUSE_OPT_KEY("--wal_limit=%s", KEY_WAL_LIMIT),
	FUSE_OPT_KEY("--wal-limit=%s", KEY_WAL_LIMIT),
	FUSE_OPT_KEY("snapshot_pages=%s", KEY_SNAPSHOT_PAGES),
	FUSE_OPT_KEY("--snapshot_pages=%s", KEY_SNAPSHOT_PAGES),
	FUSE_OPT_KEY("--snapshot-pages=%s", KEY_SNAPSHOT_PAGES),
	FUSE_OPT_KEY("ctl_memory=%s", KEY_CTL_MEMORY),
	FUSE_OPT_KEY("--ctl_memory=%s", KEY_CTL_MEMORY),
	FUSE_OPT_KEY("--ctl-memory=%s", KEY_CTL_MEMORY),
	FUSE_OPT_KEY("tmp_memory=%s", KEY_TMP_MEMORY),
	FUSE_OPT_KEY("--tmp_memory=%s", KEY_TMP_MEMORY),
	FUSE_OPT_KEY("--tmp-memory=%s", KEY_TMP_MEMORY),
	/* libfuse takes these, and op_init overrides them: say so, do not pass them */
	FUSE_OPT_KEY("kernel_cache", KEY_NO_EFFECT),
	FUSE_OPT_KEY("auto_cache", KEY_NO_EFFECT),
	FUSE_OPT_KEY("noauto_cache", KEY_NO_EFFECT),
	FUSE_OPT_KEY("entry_timeout=%s", KEY_NO_EFFECT),
	FUSE_OPT_KEY("negative_timeout=%s", KEY_NO_EFFECT),
	FUSE_OPT_KEY("attr_timeout=%s", KEY_NO_EFFECT),
	FUSE_OPT_KEY("ac_attr_timeout=%s", KEY_NO_EFFECT),
	FUSE_OPT_END
};

/*
 * Parse decimal digits with an optional k/m/g suffix (powers of 1024 when
 * allow_suffix).  Returns 0, or -1 on anything else or on overflow.
 */
static int parse_size(const char *s, int allow_suffix, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s && allow_suffix) {
		switch (*s) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return -1;
		}
		s++;
	}
	if (*s)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

/* The text after the first '=' of arg. */
static const char *value_of(const char *arg)
{
	const char *eq = strchr(arg, '=');

	return eq ? eq + 1 : "";
}

static int set_sync(struct options *o, const char *v)
{
	if (!strcmp(v, "full"))
		o->sync = ROWFS_SYNC_FULL;
	else if (!strcmp(v, "normal"))
		o->sync = ROWFS_SYNC_NORMAL;
	else if (!strcmp(v, "off"))
		o->sync = ROWFS_SYNC_OFF;
	else {
		log_msg(o->log, LOG_ERR, "invalid sync mode '%s' (expected full, normal or off)", v);
		return -1;
	}
	return 0;
}

static int set_cache_pages(struct options *o, const char *v)
{
	uint64_t n;

	if (parse_size(v, 0, &n) != 0 || n == 0 || n > UINT32_MAX) {
		log_msg(o->log, LOG_ERR, "invalid cache_pages '%s' (expected a number of pages, 1 or more)",
			v);
		return -1;
	}
	o->cache_pages = (uint32_t)n;
	return 0;
}

static int set_snapshot_pages(struct options *o, const char *v)
{
	uint64_t n;

	if (parse_size(v, 0, &n) != 0 || n == 0 || n > UINT32_MAX) {
		log_msg(o->log, LOG_ERR,
			"invalid snapshot_pages '%s' (expected a number of pages, 1 or more)",
			v);
		return -1;
	}
	o->snapshot_pages = (uint32_t)n;
	return 0;
}

static int set_wal_limit(struct options *o, const char *v)
{
	uint64_t n;

	if (parse_size(v, 1, &n) != 0 || n == 0) {
		log_msg(o->log, LOG_ERR, "invalid wal_limit '%s' (expected bytes, e.g. 64M)", v);
		return -1;
	}
	o->wal_limit = n;
	return 0;
}

static int set_ctl_memory(struct options *o, const char *v)
{
	uint64_t n;

	if (parse_size(v, 1, &n) != 0 || n < CTL_MEMORY_MIN || n > SIZE_MAX) {
		log_msg(o->log, LOG_ERR, "invalid ctl_memory '%s' (expected bytes, at least 1M, e.g. 64M)",
			v);
		return -1;
	}
	o->ctl_memory = (size_t)n;
	return 0;
}

static int set_tmp_memory(struct options *o, const char *v)
{
	uint64_t n;

	if (parse_size(v, 1, &n) != 0 || n < CTL_MEMORY_MIN || n > SIZE_MAX) {
		fprintf(stderr, "rowfs: invalid tmp_memory '%s' (expected bytes, at least 1M, e.g. 64M)\n",
			v);
		return -1;
	}
	o->tmp_memory = (size_t)n;
	return 0;
}

/* fuse_opt_proc: 0 drops the argument, 1 keeps it for libfuse, -1 fails. */
static int option_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct options *o = data;

	switch (key) {
	case KEY_HELP:
		o->show_help = 1;
		return 0;
	case KEY_VERSION:
		o->show_version = 1;
		return 0;
	case KEY_RO:
		o->read_only = 1;
		return 1;
	case KEY_RO_LONG:
		o->read_only = 1;
		return fuse_opt_add_arg(outargs, "-oro") ? -1 : 0;
	case KEY_SYNC:
		return set_sync(o, value_of(arg));
	case KEY_CACHE_PAGES:
		return set_cache_pages(o, value_of(arg));
	case KEY_WAL_LIMIT:
		return set_wal_limit(o, value_of(arg));
	case KEY_SNAPSHOT_PAGES:
		return set_snapshot_pages(o, value_of(arg));
	case KEY_CTL_MEMORY:
		return set_ctl_memory(o, value_of(arg));
	case KEY_TMP_MEMORY:
		return set_tmp_memory(o, value_of(arg));
	case KEY_NO_EFFECT:
		log_msg(o->log, LOG_WARNING,
			"-o %s has no effect: the kernel never caches what rowfs serves", arg);
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		if (!o->dbfile)
			o->dbfile = strdup(arg);
		else if (!o->mountpoint)
			o->mountpoint = strdup(arg);
		else {
			log_msg(o->log, LOG_ERR, "too many arguments: '%s'", arg);
			return -1;
		}
		if ((o->mountpoint ? o->mountpoint : o->dbfile) == NULL) {
			log_msg(o->log, LOG_ERR, "out of memory");
			return -1;
		}
		return 0;
	default:
		return 1;
	}
}

int options_parse(struct fuse_args *args, struct options *opts, struct log *log)
{
	memset(opts, 0, sizeof(*opts));
	opts->log = log;
	opts->sync = ROWFS_SYNC_FULL;
	opts->cache_pages = ROWFS_DEFAULT_CACHE_PAGES;
	opts->snapshot_pages = ROWFS_DEFAULT_SNAPSHOT_PAGES;
	opts->ctl_memory = CTL_BUDGET_DEFAULT;
	opts->tmp_memory = TMPFILE_BYTES_DEFAULT;
	if (fuse_opt_parse(args, opts, option_spec, option_proc) != 0)
		return -1;
	return 0;
}

/* realpath of a DBFILE that may not exist yet: its directory must. */
static char *resolve_dbfile(const char *path)
{
	char *copy_dir = NULL, *copy_base = NULL, *dir = NULL, *full = NULL;
	const char *base;
	size_t len;

	full = realpath(path, NULL);
	if (full || errno != ENOENT)
		return full;
	copy_dir = strdup(path);
	copy_base = strdup(path);
	if (!copy_dir || !copy_base)
		goto out_free;
	base = basename(copy_base);
	if (!strcmp(base, ".") || !strcmp(base, "..") || !strcmp(base, "/")) {
		errno = EISDIR;
		goto out_free;
	}
	dir = realpath(dirname(copy_dir), NULL);
	if (!dir)
		goto out_free;
	len = strlen(dir) + 1 + strlen(base) + 1;
	full = malloc(len);
	if (full)
		snprintf(full, len, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", base);
out_free:
	free(dir);
	free(copy_base);
	free(copy_dir);
	return full;
}

/* Say why path cannot be the mountpoint; a dead FUSE mount gets the remedy. */
static int bad_mountpoint(const struct options *o, const char *path, int e)
{
	if (e == ENOTCONN)
		log_msg(o->log, LOG_ERR,
			"mountpoint '%s' is a stale FUSE mount (%s): its daemon is gone"
			"unmount it first: fusermount3 -u %s",
			path, strerror(e), path);
	else
		log_msg(o->log, LOG_ERR, "bad mountpoint '%s': %s", path, strerror(e));
	return -1;
}

/* Undo mountinfo's octal escapes (\040 for a space, ...) of s, in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * Is a rowfs daemon mounted on mnt (the topmost mount there, by
 * /proc/self/mountinfo: fstype fuse.rowfs)?  Returns 1 and its source
 * (DBFILE, what -o fsname says) into source[0..size), else 0 (also when
 * mountinfo cannot be read).
 */
static int rowfs_mounted_on(const char *mnt, char *source, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *fields[5], *save, *sep;
	size_t cap = 0;
	int found = 0, i;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER */
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		fields[0] = strtok_r(line, " ", &save);
		for (i = 1; i < 5 && fields[i - 1]; i++)
			fields[i] = strtok_r(NULL, " ", &save);
		if (i < 5 || !fields[4])
			continue;
		unescape_octal(fields[4]);
		if (strcmp(fields[4], mnt) != 0)
			continue;
		fields[0] = strtok_r(sep + 3, " \n", &save);   /* FSTYPE */
		fields[1] = fields[0] ? strtok_r(NULL, " \n", &save) : NULL;   /* SOURCE */
		found = fields[0] && strcmp(fields[0], "fuse.rowfs") == 0;
		if (found && fields[1])
			unescape_octal(fields[1]);
		if (found)
			snprintf(source, size, "%s", fields[1] ? fields[1] : "?");
	}
	free(line);
	fclose(f);
	return found;
}

int options_resolve(struct options *o)
{
	char source[PATH_MAX + 64];
	struct stat st;
	char *path;
	size_t len;

	if (!o->dbfile || !o->mountpoint) {
		log_msg(o->log, LOG_ERR, "missing %s", o->dbfile ? "MOUNTPOINT" : "DBFILE");
		fprintf(stderr, "usage: rowfs [options] DBFILE MOUNTPOINT\n");
		return -1;
	}

	path = realpath(o->mountpoint, NULL);
	if (!path)
		return bad_mountpoint(o, o->mountpoint, errno);
	free(o->mountpoint);
	o->mountpoint = path;
	if (stat(path, &st) != 0)
		return bad_mountpoint(o, path, errno);
	if (!S_ISDIR(st.st_mode))
		return bad_mountpoint(o, path, ENOTDIR);
	if (rowfs_mounted_on(path, source, sizeof(source))) {
		log_msg(o->log, LOG_ERR, "%s is already a rowfs mount (of %s)", path, source);
		return -1;
	}

	path = resolve_dbfile(o->dbfile);
	if (!path) {
		log_msg(o->log, LOG_ERR, "bad database file '%s': %s", o->dbfile, strerror(errno));
		return -1;
	}
	free(o->dbfile);
	o->dbfile = path;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		log_msg(o->log, LOG_ERR, "bad database file '%s': Is a directory", path);
		return -1;
	}

	len = strlen(o->mountpoint);
	if (!strcmp(o->mountpoint, "/") ||
	    (!strncmp(path, o->mountpoint, len) && (path[len] == '/' || path[len] == '\0'))) {
		log_msg(o->log, LOG_ERR,
			"database file '%s' is inside mountpoint '%s': "
			"the mount would hide it; put it elsewhere",
			path, o->mountpoint);
		return -1;
	}
	return 0;
}

void options_usage(const char *progname)
{
	printf("usage: %s [options] DBFILE MOUNTPOINT\n"
	       "\n"
	       "Mount the rowfs database DBFILE (created if missing) on MOUNTPOINT.\n"
	       "Each rowfs option is also --name=VALUE (--ro for -o ro).\n"
	       "\n"
	       "rowfs options:\n"
	       "    -o sync=MODE           when commits are fsynced: full (default),\n"
	       "                           normal (at checkpoints) or off\n"
	       "    -o cache_pages=N       page cache size in pages (default %u)\n"
	       "    -o wal_limit=BYTES     checkpoint when the WAL passes BYTES (k/m/g\n"
	       "                           suffixes; default %lluM)\n"
	       "    -o snapshot_pages=N    old page images kept for open readers, in pages\n"
	       "                           (default %u); past it the oldest reader's\n"
	       "                           snapshot expires (ESTALE)\n"
	       "    -o ctl_memory=BYTES    memory all ctl handles may hold in partial\n"
	       "                           lines and replies (k/m/g suffixes; at least\n"
	       "                           1M; default %zuM)\n"
	       "    -o tmp_memory=BYTES    memory the temporary files of by-id/ (safe\n"
	       "                           saves) may hold (k/m/g suffixes; at least 1M;\n"
	       "                           default %zuM)\n"
	       "    -o ro                  read-only: never modify DBFILE or its WAL\n"
	       "    -h, --help             print this help and exit\n"
	       "    -V, --version          print the versions and exit\n"
	       "\n"
	       "FUSE options (libfuse's, with the values rowfs gives them):\n"
	       "    -f                     stay in the foreground (messages go to stderr\n"
	       "                           and syslog; detached, to syslog only)\n"
	       "    -d, -o debug           print every FUSE request (implies -f)\n"
	       "    -s                     single-threaded: reads of changes never block\n"
	       "    -o max_threads=N       worker threads (default %u, also the least:\n"
	       "                           blocked readers of changes hold threads)\n"
	       "    -o max_idle_threads=N  idle worker threads kept (default: no limit)\n"
	       "    -o clone_fd            a /dev/fuse descriptor per thread\n"
	       "    -o allow_other         let other users in (permissions are checked:\n"
	       "                           ctl stays 0600)\n"
	       "    -o allow_root          let root in\n"
	       "    -o auto_unmount        unmount when the daemon dies\n"
	       "    -o uid=N, -o gid=N     show every file as owned by N\n"
	       "    -o umask=M             show every file with mode 0777 & ~M\n"
	       "The kernel never caches what rowfs serves: kernel_cache, auto_cache\n"
	       "and the *_timeout options have no effect (timeouts are 0).\n",
	       progname, ROWFS_DEFAULT_CACHE_PAGES, ROWFS_DEFAULT_WAL_LIMIT >> 20,
	       ROWFS_DEFAULT_SNAPSHOT_PAGES, (size_t)CTL_BUDGET_DEFAULT >> 20,
	       (size_t)TMPFILE_BYTES_DEFAULT >> 20, FS_MAX_THREADS);
}

void options_release(struct options *opts)
{
	free(opts->dbfile);
	free(opts->mountpoint);
	opts->dbfile = NULL;
	opts->mountpoint = NULL;
}
