/*
 * options.h - the command line of the rowfs daemon.
 *
 * Module options owns struct options: the two positionals DBFILE and
 * MOUNTPOINT, the rowfs options (each as `-o name=V` and `--name=V`, so
 * that fstab and mount.fuse3 work), --help and --version.  Everything else
 * is left in the struct fuse_args for libfuse (-f, -d, -s, -o allow_other,
 * -o auto_unmount, ...).
 */
#ifndef ROWFS_FS_OPTIONS_H
#define ROWFS_FS_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

struct fuse_args;
struct log;

/* Parsed command line. */
struct options {
	char *dbfile;          /* DBFILE as given, then resolved (malloc'd) */
	char *mountpoint;      /* MOUNTPOINT as given, then resolved (malloc'd) */
	int sync;              /* enum rowfs_sync; default ROWFS_SYNC_FULL */
	uint32_t cache_pages;  /* page cache size; default ROWFS_DEFAULT_CACHE_PAGES */
	uint32_t snapshot_pages; /* version store bound; default ROWFS_DEFAULT_SNAPSHOT_PAGES */
	uint64_t wal_limit;    /* auto-checkpoint threshold in bytes; 0 = engine default */
	size_t ctl_memory;     /* bytes all ctl handles may hold in partial lines and
				  replies (struct ctl_budget); default CTL_BUDGET_DEFAULT */
	size_t tmp_memory;     /* bytes the temporary files of by-id/ may hold (struct
				  tmpfiles); default TMPFILE_BYTES_DEFAULT */
	int read_only;         /* -o ro */
	int show_help;         /* -h, --help */
	int show_version;      /* -V, --version */
	struct log *log;       /* where messages about the command line go (fs/log.h) */
};

/*
 * options_parse - take the rowfs options and the positionals out of args
 * (which keeps the libfuse ones; -o ro stays there too, for a read-only
 * mount).  libfuse's caching options, which rowfs overrides, are dropped
 * with a warning.  Messages go to log (kept in opts->log for
 * options_resolve).  Returns 0, or -1 on a bad value, an unknown value or
 * a third positional.
 */
int options_parse(struct fuse_args *args, struct options *opts, struct log *log);

/*
 * options_resolve - make dbfile and mountpoint absolute (realpath; DBFILE
 * may not exist yet, its directory must) and refuse what cannot work: a
 * missing positional, a mountpoint that is not a directory, is a stale
 * FUSE mount (with the fusermount3 -u remedy) or is a live rowfs mount
 * ("MNT is already a rowfs mount (of DBFILE)", from /proc/self/mountinfo),
 * a DBFILE inside MOUNTPOINT.  Touches no file.
 * Logs a message on error (opts->log).  Returns 0 or -1.
 */
int options_resolve(struct options *opts);

/*
 * options_usage - print the synopsis, the rowfs options and the libfuse
 * options rowfs supports, each with the default rowfs gives it, to stdout.
 */
void options_usage(const char *progname);

/* options_release - free the strings of opts. */
void options_release(struct options *opts);

#endif /* ROWFS_FS_OPTIONS_H */
