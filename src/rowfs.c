/*
 * rowfs.c - main() of the rowfs FUSE daemon: command line, the order of
 * start-up and shut-down, messages and exit status.
 *
 * Start-up order matters: everything that can fail for a reason the user
 * must see (bad option, bad path, no /dev/fuse, database locked or not a
 * database, mount refused) happens while we are still attached to the
 * terminal.  Every check that needs no database comes first: our options
 * and paths (options_resolve, which also refuses a mountpoint that is
 * already a rowfs mount), /dev/fuse, and libfuse's options (fuse_new), so
 * a bad start creates no file.  The engine is opened next, then
 * fuse_mount() and fuse_daemonize(), so the parent exits only once the
 * mount is ready.  If the start fails after the engine created DBFILE or
 * its WAL (the mount is refused), the files it created are removed again
 * once the database is closed (never a DBFILE that was there before; a
 * WAL it made for one only when the close checkpointed).  The flock on DBFILE survives the
 * fork of daemonizing.
 *
 * Shut-down: SIGTERM, SIGINT, SIGHUP, `fusermount3 -u` or `umount` end the
 * loop; we unmount, destroy the session and rowfs_close() the database
 * (roll back, checkpoint, unlock).  Exit status 0 unless something failed.
 *
 * Threads: the multi-threaded loop runs at least FS_MAX_THREADS workers
 * (more with -o max_threads=N), because readers of `changes` block in
 * worker threads (see fs/fs.h).
 *
 * Messages: every one goes through fs/log.c, to syslog, to the ring the
 * mount's `log` file shows and, while a terminal may read them (before
 * detaching, or always with -f), to stderr; libfuse's own messages are
 * routed there too (fuse_set_log_func), and so are the engine's events
 * (recoveries, checkpoints: rowfs_config.event).
 *
 * Service manager: with NOTIFY_SOCKET set (systemd's Type=notify), the
 * daemon sends READY=1 once the mount is up, from the process that serves
 * it (after detaching), and STOPPING=1 when the loop has ended (fs/notify.c).
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "rowfs.h"

/*
 * The daemon's log, for libfuse's log callback, which takes no context:
 * set once by main before libfuse can log, never changed afterwards.
 */
static struct log *fuse_messages;

/* fuse_log_func_t: libfuse's levels are syslog's. */
static void log_from_fuse(enum fuse_log_level level, const char *fmt, va_list ap)
{
	log_vraw(fuse_messages, (int)level, fmt, ap);
}

/* Add "-o<name>=<value>" to args, with the value escaped for fuse_opt. */
static int add_escaped_opt(struct fuse_args *args, const char *name, const char *value)
{
	char *opt = NULL;
	char *escaped = NULL;
	size_t len;
	int rc = -1;

	if (fuse_opt_add_opt_escaped(&escaped, value) != 0)
		return -1;
	len = strlen(name) + strlen(escaped) + 4;
	opt = malloc(len);
	if (!opt)
		goto out_free_escaped;
	snprintf(opt, len, "-o%s=%s", name, escaped);
	rc = fuse_opt_add_arg(args, opt);
	free(opt);
out_free_escaped:
	free(escaped);
	return rc;
}

/* Log an engine error, naming the database unless the message does. */
static void report_db_error(struct log *log, const char *dbfile, const struct rowfs_err *err)
{
	if (strstr(err->msg, dbfile))
		log_msg(log, LOG_ERR, "%s", err->msg);
	else
		log_msg(log, LOG_ERR, "%s: %s", dbfile, err->msg);
}

/* Send state to the service manager, if one asked; a failure is only logged. */
static void tell_manager(struct log *log, const char *state)
{
	int rc = notify_send(state);

	if (rc < 0)
		log_msg(log, LOG_WARNING, "cannot notify the service manager (NOTIFY_SOCKET): %s",
			strerror(-rc));
}

/*
 * READY=1 with a STATUS line; MAINPID when the daemon detached (a unit
 * that runs rowfs without -f needs NotifyAccess=all for it).
 */
static void tell_ready(struct log *log, const struct options *opts, int foreground)
{
	size_t len = strlen(opts->dbfile) + strlen(opts->mountpoint) + 64;
	char *state = malloc(len);

	if (!state) {
		tell_manager(log, "READY=1");
		return;
	}
	snprintf(state, len, "READY=1\nSTATUS=serving %s on %s", opts->dbfile, opts->mountpoint);
	if (!foreground)
		snprintf(state + strlen(state), len - strlen(state), "\nMAINPID=%ld",
			 (long)getpid());
	tell_manager(log, state);
	free(state);
}

/* What a start found on disk before it opened the database. */
struct created_files {
	char *wal;            /* DBFILE-wal (malloc'd) */
	int db;               /* DBFILE did not exist before the open */
	int wal_new;          /* nor did the WAL */
	struct stat db_st;    /* DBFILE once opened (its identity), if db */
};

/* Note which of DBFILE and its WAL exist before the open.  0 or -1 (out of memory). */
static int note_files(struct created_files *c, const char *dbfile)
{
	struct stat st;
	size_t len = strlen(dbfile) + 5;

	memset(c, 0, sizeof(*c));
	c->wal = malloc(len);
	if (!c->wal)
		return -1;
	snprintf(c->wal, len, "%s-wal", dbfile);
	c->db = lstat(dbfile, &st) != 0 && errno == ENOENT;
	c->wal_new = lstat(c->wal, &st) != 0 && errno == ENOENT;
	return 0;
}

/*
 * The start failed after the database was opened and closed again
 * (closed_ok: its close checkpointed, so the WAL holds nothing DBFILE
 * needs): remove DBFILE if this start created it (and it is still the
 * file it created), and the WAL if it did not exist before and DBFILE
 * goes too or the close checkpointed.
 */
static void remove_created(const struct created_files *c, const char *dbfile, int closed_ok)
{
	struct stat st;
	int db_gone = 0;

	if (c->db && stat(dbfile, &st) == 0 && st.st_dev == c->db_st.st_dev &&
	    st.st_ino == c->db_st.st_ino)
		db_gone = unlink(dbfile) == 0;
	if (c->wal_new && (db_gone || closed_ok))
		unlink(c->wal);
}

/* The multi-threaded loop, with at least FS_MAX_THREADS workers. */
static int loop_mt(struct fuse *fuse, const struct fuse_cmdline_opts *cmdline, struct fs *fs)
{
	struct fuse_loop_config *config;
	unsigned threads = cmdline->max_threads > FS_MAX_THREADS ? cmdline->max_threads :
								     FS_MAX_THREADS;
	int res;

	config = fuse_loop_cfg_create();
	if (!config)
		return -ENOMEM;
	fuse_loop_cfg_set_clone_fd(config, (unsigned)cmdline->clone_fd);
	if (cmdline->max_idle_threads != UINT_MAX)
		fuse_loop_cfg_set_idle_threads(config, cmdline->max_idle_threads);
	fuse_loop_cfg_set_max_threads(config, threads);
	fs_set_threads(fs, threads);
	res = fuse_loop_mt(fuse, config);
	fuse_loop_cfg_destroy(config);
	return res;
}

static int check_dev_fuse(struct log *log)
{
	struct stat st;

	if (stat("/dev/fuse", &st) == 0)
		return 0;
	log_msg(log, LOG_ERR,
		"cannot use '/dev/fuse': %s\n"
		"is the fuse kernel module loaded (modprobe fuse), or is /dev/fuse\n"
		"missing from this container?",
		strerror(errno));
	return -1;
}

int main(int argc, char **argv)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cmdline;
	struct rowfs_config cfg;
	struct rowfs_err err;
	struct rowfs_db *db = NULL;
	struct options opts;
	struct created_files created;
	struct fuse *fuse = NULL;
	struct log log;
	struct fs fs;
	int status = 1;
	int served = 0;
	int res;

	if (log_init(&log, "rowfs") != 0) {
		fprintf(stderr, "rowfs: cannot set up logging\n");
		return 1;
	}
	fuse_messages = &log;
	fuse_set_log_func(log_from_fuse);
	memset(&cmdline, 0, sizeof(cmdline));
	memset(&created, 0, sizeof(created));
	if (options_parse(&args, &opts, &log) != 0)
		goto out_free_args;
	if (opts.show_help) {
		options_usage(argv[0]);
		status = 0;
		goto out_free_args;
	}
	if (opts.show_version) {
		printf("rowfs version %s\n", rowfs_version());
		printf("FUSE library version %s\n", fuse_pkgversion());
		status = 0;
		goto out_free_args;
	}
	if (fuse_parse_cmdline(&args, &cmdline) != 0)
		goto out_free_args;
	if (cmdline.mountpoint) {
		log_msg(&log, LOG_ERR, "unexpected argument '%s'", cmdline.mountpoint);
		goto out_free_args;
	}
	if (options_resolve(&opts) != 0 || check_dev_fuse(&log) != 0)
		goto out_free_args;

	/* Permission checks by the kernel, from the modes getattr shows. */
	if (fuse_opt_add_arg(&args, "-odefault_permissions") != 0 ||
	    fuse_opt_add_arg(&args, "-osubtype=rowfs") != 0 ||
	    add_escaped_opt(&args, "fsname", opts.dbfile) != 0) {
		log_msg(&log, LOG_ERR, "out of memory");
		goto out_free_args;
	}
	/* libfuse's options are checked here, before any file is made; fs is set up below,
	 * before the loop calls anything */
	fuse = fuse_new(&args, fs_operations(), sizeof(struct fuse_operations), &fs);
	if (!fuse)
		goto out_free_args;   /* libfuse logged why */

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = opts.dbfile;
	cfg.read_only = opts.read_only;
	cfg.sync = opts.sync;
	cfg.cache_pages = opts.cache_pages;
	cfg.snapshot_pages = opts.snapshot_pages;
	cfg.wal_limit = opts.wal_limit;
	cfg.event = log_event;   /* recoveries and checkpoints: syslog and the log file */
	cfg.event_ctx = &log;
	memset(&err, 0, sizeof(err));
	if (note_files(&created, opts.dbfile) != 0) {
		log_msg(&log, LOG_ERR, "out of memory");
		goto out_destroy;
	}
	if (rowfs_open(&cfg, &db, &err) != ROWFS_OK) {
		report_db_error(&log, opts.dbfile, &err);
		goto out_destroy;
	}
	if (created.db && stat(opts.dbfile, &created.db_st) != 0)
		created.db = 0;   /* cannot tell it is ours: never remove it */
	if (fs_init(&fs, db) != 0) {
		log_msg(&log, LOG_ERR, "cannot set up the filesystem: out of memory");
		goto out_close_db;
	}
	fs.ctl_budget.limit = opts.ctl_memory;
	fs.tmpfiles.limit = opts.tmp_memory;
	fs.db_path = opts.dbfile;
	fs.log = &log;

	if (fuse_mount(fuse, opts.mountpoint) != 0) {
		log_msg(&log, LOG_ERR, "cannot mount on '%s'", opts.mountpoint);
		goto out_release_fs;
	}
	if (fuse_daemonize(cmdline.foreground) != 0) {
		log_msg(&log, LOG_ERR, "cannot detach");
		goto out_unmount;
	}
	if (!cmdline.foreground)
		log_set_stderr(&log, 0);   /* stderr is /dev/null now */
	/*
	 * A shell starts background jobs with SIGINT ignored, and libfuse
	 * only replaces default dispositions: SIGINT and SIGTERM must unmount
	 * however we were started.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (fuse_set_signal_handlers(fuse_get_session(fuse)) != 0) {
		log_msg(&log, LOG_ERR, "cannot install signal handlers");
		goto out_unmount;
	}
	log_msg(&log, LOG_INFO, "mounted %s on %s", opts.dbfile, opts.mountpoint);
	tell_ready(&log, &opts, cmdline.foreground);

	if (cmdline.singlethread) {
		fs_set_threads(&fs, 1);
		res = fuse_loop(fuse);
	} else {
		res = loop_mt(fuse, &cmdline, &fs);
	}
	tell_manager(&log, "STOPPING=1");
	/* 0: unmounted; > 0: the signal that ended the loop; < 0: failure */
	if (res < 0)
		log_msg(&log, LOG_ERR, "session failed: %s", strerror(-res));
	else
		status = 0;

	fuse_remove_signal_handlers(fuse_get_session(fuse));
	served = 1;
out_unmount:
	fuse_unmount(fuse);
	if (served && status == 0)
		log_msg(&log, LOG_INFO, "unmounted %s", opts.mountpoint);
out_release_fs:
	fs_release(&fs);
out_close_db:
	res = rowfs_close(db, &err);
	if (res != ROWFS_OK) {
		report_db_error(&log, opts.dbfile, &err);
		status = 1;
	}
	if (!served)   /* a failed start leaves no file it made */
		remove_created(&created, opts.dbfile, res == ROWFS_OK);
out_destroy:
	fuse_destroy(fuse);
	free(created.wal);
out_free_args:
	free(cmdline.mountpoint);
	options_release(&opts);
	fuse_opt_free_args(&args);
	fuse_set_log_func(NULL);
	log_release(&log);
	return status;
}
