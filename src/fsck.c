/*
 * fsck.c - fsck.rowfs: check a rowfs database offline, and repair it by
 * rebuilding it from every readable row, as fsck(8) runs its checkers.
 *
 * Owns: the command line of fsck.rowfs(8), the report format, the exit
 * status, the progress protocol, and the files of a repair next to DBFILE
 * with the order in which they are written and renamed (below).  The
 * checks are the engine's rowfs_check() (engine/check.c), the rows of a
 * damaged file its rowfs_salvage() (engine/salvage.c).
 *
 * Check (-n, the default).  DBFILE is opened read-only (shared lock; the
 * WAL is read and replayed in memory, nothing is written), each problem is
 * printed prefixed with the DBFILE name, then a summary line:
 *
 *   DBFILE: clean, N rows, M pages
 *   DBFILE: N problems found
 *
 * Repair (-p / -a, -y).  The same check; when it finds problems, the
 * database is rebuilt: rowfs_salvage() writes its dump of every readable
 * row, the dump is replayed through rowfs_exec() into a new database, the
 * new database is checked, and it replaces DBFILE.  -p (preen) repairs only
 * when the salvage lost nothing (every leaf reached from a valid header,
 * no damaged page, bad cell, orphan table leaf or bad WAL record, every
 * statement replayed); otherwise it changes nothing and exits 4, as
 * e2fsck -p does with a problem that needs the administrator.  -y repairs
 * whatever is readable.  A file in which nothing of a rowfs database can be
 * read (no leaf page, no WAL record) is never replaced.
 *
 * Exit status, fsck(8)'s codes:
 *   0  no problem found (with -p on a clean file: nothing changed)
 *   1  problems found and corrected: DBFILE was rebuilt (or an interrupted
 *      rebuild was finished or undone)
 *   4  problems left uncorrected: -n, -p refusing a lossy rebuild, a file
 *      that is not a rowfs database
 *   8  usage or operational error: missing file, database locked by a
 *      running rowfs or rowsh, I/O error, out of memory
 *
 * With --salvage it runs rowfs_salvage() alone: the dump goes to standard
 * output or to the -o FILE, created at the first write and never DBFILE or
 * its WAL; what was read is counted on standard error.  Exit 0 when the
 * dump was written, damaged file or not; 8 on a usage or operational error.
 *
 * FILES OF A REPAIR AND THEIR ORDER
 *
 * All of them sit in DBFILE's directory (DBFILE is first resolved with
 * realpath(3): a symbolic link is not replaced, its target is), so every
 * rename is atomic:
 *
 *   DBFILE.fsck-dump     the salvage's dump, unlinked as soon as created
 *   DBFILE.fsck-new      the rebuilt database (its WAL DBFILE.fsck-new-wal
 *                        is removed once it is closed)
 *   DBFILE.fsck-marker   the marker: MARKER_TEXT, not a database
 *   DBFILE.fsck-old      a hard link to the old DBFILE
 *   DBFILE.fsck-old-wal  the old WAL, moved aside (with DBFILE.fsck-old, a
 *                        database pair rowsh can open)
 *
 * The engine does not tie a WAL to its DBFILE (no salt of the WAL is in
 * the header): a WAL left next to the new database would be replayed onto
 * it, its page images written over the new pages.  Nor can two names
 * change in one step.  So the marker holds DBFILE's name while the WAL
 * moves, and every opener (rowfs, rowsh, fsck.rowfs -n) refuses it:
 *
 *   1. build DBFILE.fsck-new, close it (checkpoint), fsync it, remove its
 *      WAL, fsync the directory
 *   2. write DBFILE.fsck-marker, fsync it
 *   3. link DBFILE to DBFILE.fsck-old, fsync the directory
 *   4. rename the marker over DBFILE, fsync the directory
 *   5. rename DBFILE-wal to DBFILE.fsck-old-wal, fsync the directory
 *   6. rename DBFILE.fsck-new over DBFILE, fsync the directory: the commit
 *      point
 *   7. unlink DBFILE.fsck-old and DBFILE.fsck-old-wal, fsync the directory
 *
 * A crash before step 4 leaves the old DBFILE and its WAL as they were
 * (and leftovers that the next repair removes); after step 6, the new
 * database, complete, without a WAL.  Between 4 and 6 DBFILE is the marker:
 * rowfs and rowsh refuse it ("not a rowfs database"), fsck.rowfs -n reports
 * it (exit 4), and the next fsck.rowfs -p or -y finishes the swap from
 * step 5 when DBFILE.fsck-new passes its check (it was complete before the
 * marker existed), or puts the old files back if it does not.
 *
 * Locks.  A repair holds a shared flock on the old DBFILE from the check
 * to the end (no daemon or rowsh can take the database meanwhile; the
 * engine's read-only opens share it) and an exclusive flock on the
 * directory (two repairs of one directory run one after the other).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rowfs.h"

#define EXIT_CLEAN 0
#define EXIT_CORRECTED 1
#define EXIT_DAMAGE 4
#define EXIT_OPERATIONAL 8

/* The first bytes of the marker that holds DBFILE's name during a swap. */
#define MARKER_TEXT "fsck.rowfs: this database is being replaced by a rebuilt copy.\n"
#define MARKER_HELP "If you read this, the repair was interrupted: run fsck.rowfs -y on this " \
		    "file to finish it.\n"

/* Statements of the rebuild committed together. */
#define REBUILD_TXN_STATEMENTS 10000u

/* What the command line asks for. */
enum mode {
	MODE_CHECK = 0,       /* -n: report only */
	MODE_PREEN,           /* -p, -a: repair when nothing is lost */
	MODE_YES              /* -y: repair what can be read */
};

/* The parsed command line. */
struct options {
	int mode;             /* enum mode */
	int verbose;          /* -v */
	int progress_fd;      /* -C: -1 none, 0 a bar on standard output, > 0 fsck(8)'s lines */
	int salvage;          /* --salvage */
	const char *out_path; /* -o FILE of --salvage, or NULL */
};

/* The passes of the progress protocol, numbered from 1. */
static const char *const pass_names[] = { "check", "salvage", "rebuild", "verify", "swap" };
#define PASS_CHECK 1
#define PASS_SALVAGE 2
#define PASS_REBUILD 3
#define PASS_VERIFY 4
#define PASS_SWAP 5

/* Progress reporting (-C). */
struct progress {
	int fd;               /* as options.progress_fd */
	const char *device;   /* DBFILE as given */
	int pass;             /* pass of the last bar drawn, 0 none */
	int shown;            /* percentage of the last bar drawn */
};

/*
 * progress_step - pass is at cur of max.  fd > 0: one line "PASS CUR MAX
 * DEVICE", as e2fsck writes them for fsck(8); fd 0: a bar on standard
 * output, redrawn when its percentage changes, ended by a newline at max.
 */
static void progress_step(struct progress *p, int pass, uint64_t cur, uint64_t max)
{
	static const char bar[] = "========================================";
	int pct, width = (int)sizeof(bar) - 1, fill;

	if (p->fd > 0) {
		if (dprintf(p->fd, "%d %" PRIu64 " %" PRIu64 " %s\n", pass, cur, max,
			    p->device) < 0)
			p->fd = -1;   /* the reader went away: no more progress */
		return;
	}
	if (p->fd != 0)
		return;
	pct = max ? (int)(cur * 100 / max) : 100;
	if (pct > 100)
		pct = 100;
	if (pass == p->pass && pct == p->shown)
		return;
	fill = pct * width / 100;
	printf("\r%s: %-7s |%.*s%*s| %3d%%", p->device, pass_names[pass - 1], fill, bar,
	       width - fill, "", pct);
	if (cur >= max)
		putchar('\n');
	fflush(stdout);
	p->pass = pass;
	p->shown = pct;
}

/* The files of one database and of its repair (see the top). */
struct names {
	const char *given;    /* DBFILE as given: the prefix of every line */
	char *db;             /* its realpath */
	char *wal;            /* db-wal */
	char *dir;            /* db's directory */
	char *dump;           /* db.fsck-dump */
	char *fresh;          /* db.fsck-new */
	char *fresh_wal;      /* db.fsck-new-wal */
	char *marker;         /* db.fsck-marker */
	char *old;            /* db.fsck-old */
	char *old_wal;        /* db.fsck-old-wal */
};

/* a followed by b, malloc'd, or NULL. */
static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

static void names_free(struct names *nm)
{
	free(nm->db);
	free(nm->wal);
	free(nm->dir);
	free(nm->dump);
	free(nm->fresh);
	free(nm->fresh_wal);
	free(nm->marker);
	free(nm->old);
	free(nm->old_wal);
}

/* Fill nm from DBFILE, which exists.  0, or EXIT_OPERATIONAL after printing why. */
static int names_init(struct names *nm, const char *given)
{
	char *copy;

	memset(nm, 0, sizeof(*nm));
	nm->given = given;
	nm->db = realpath(given, NULL);
	if (!nm->db) {
		fprintf(stderr, "fsck.rowfs: cannot resolve '%s': %s\n", given, strerror(errno));
		return EXIT_OPERATIONAL;
	}
	copy = strdup(nm->db);
	if (copy)
		nm->dir = strdup(dirname(copy));
	free(copy);
	nm->wal = concat(nm->db, "-wal");
	nm->dump = concat(nm->db, ".fsck-dump");
	nm->fresh = concat(nm->db, ".fsck-new");
	nm->fresh_wal = concat(nm->db, ".fsck-new-wal");
	nm->marker = concat(nm->db, ".fsck-marker");
	nm->old = concat(nm->db, ".fsck-old");
	nm->old_wal = concat(nm->db, ".fsck-old-wal");
	if (!nm->dir || !nm->wal || !nm->dump || !nm->fresh || !nm->fresh_wal || !nm->marker ||
	    !nm->old || !nm->old_wal) {
		fprintf(stderr, "fsck.rowfs: out of memory\n");
		names_free(nm);
		return EXIT_OPERATIONAL;
	}
	return 0;
}

/* ---- the report ------------------------------------------------------------ */

/* Where problem lines go and how they are prefixed. */
struct report {
	const char *path;      /* the prefix of every line */
	int at_line_start;     /* the next byte starts a line */
};

/* rowfs_emit_fn: print problem text, "PATH: " before every line. */
static int print_problem(void *ctx, const char *text, size_t len)
{
	struct report *r = ctx;
	const char *nl;
	size_t n;

	while (len > 0) {
		if (r->at_line_start && printf("%s: ", r->path) < 0)
			return 1;
		nl = memchr(text, '\n', len);
		n = nl ? (size_t)(nl - text) + 1 : len;
		if (fwrite(text, 1, n, stdout) != n)
			return 1;
		r->at_line_start = nl != NULL;
		text += n;
		len -= n;
	}
	return 0;
}

static void print_summary(const char *path, uint64_t problems)
{
	printf("%s: %" PRIu64 " problem%s found\n", path, problems, problems == 1 ? "" : "s");
}

/* "N thing" or "N things" (one and many: the word's two forms). */
static void print_count(uint64_t n, const char *one, const char *many)
{
	printf("%" PRIu64 " %s", n, n == 1 ? one : many);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fsck.rowfs [-n | -p | -a | -y] [-f] [-v] [-C FD] DBFILE\n"
		"       fsck.rowfs --salvage [-o FILE] DBFILE\n"
		"\n"
		"Check the rowfs database DBFILE and its write-ahead log DBFILE-wal;\n"
		"with -p or -y, rebuild a damaged database from every readable row.\n"
		"\n"
		"options:\n"
		"  -n                 check only, change nothing (the default)\n"
		"  -p, -a             repair when the rebuild loses nothing (preen)\n"
		"  -y                 repair: rebuild from every readable row\n"
		"  -f                 force a full check (every check is full)\n"
		"  -C FD              show progress: 0 a bar on standard output, else\n"
		"                     fsck(8)'s \"PASS CUR MAX DBFILE\" lines to FD\n"
		"  -v, --verbose      also print statistics of the database\n"
		"  -s, --salvage      write a dump of every row still readable from DBFILE\n"
		"                     and its WAL, however damaged, as a script rowsh can\n"
		"                     replay (begin, insert ID NAME lines, commit)\n"
		"  -o, --output=FILE  with --salvage: write the dump to FILE, not to\n"
		"                     standard output\n"
		"  -h, --help         show this help and exit\n"
		"  -V, --version      show the version and exit\n"
		"\n"
		"exit status: 0 clean, 1 repaired, 4 damage left uncorrected,\n"
		"8 usage or operational error.\n"
		"With --salvage: 0 the dump was written, 8 usage or operational error.\n");
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "fsck.rowfs: %s '%s'\nTry 'fsck.rowfs --help' for more information.\n",
		what, arg);
	return EXIT_OPERATIONAL;
}

/* ---- a database in use ------------------------------------------------------- */

/* Decode mountinfo's octal escapes (\040 for a space...) in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/*
 * The mount point of a fuse.rowfs mount whose source (the daemon's
 * fsname, its DBFILE's realpath) is db, from /proc/self/mountinfo;
 * malloc'd, or NULL.  A mountinfo line: ID PARENT MAJ:MIN ROOT MOUNTPOINT
 * OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS.
 */
static char *mount_of(const char *db)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char *line = NULL, *found = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	while (!found && getline(&line, &cap, f) >= 0) {
		char *field[6], *save = NULL, *tok, *fstype = NULL, *source = NULL;
		int n = 0, after_dash = 0;

		for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
			if (n < 6) {
				field[n++] = tok;
			} else if (!after_dash) {
				after_dash = strcmp(tok, "-") == 0;
			} else if (!fstype) {
				fstype = tok;
			} else if (!source) {
				source = tok;
			}
		}
		if (n < 6 || !fstype || !source || strcmp(fstype, "fuse.rowfs") != 0)
			continue;
		unescape_octal(source);
		if (strcmp(source, db) != 0)
			continue;
		unescape_octal(field[4]);
		found = strdup(field[4]);
	}
	free(line);
	fclose(f);
	return found;
}

/* The error of an open or salvage; for a locked database, which mount holds it. */
static void print_open_error(const char *given, const struct rowfs_err *err)
{
	char *db, *mnt = NULL;

	fprintf(stderr, "fsck.rowfs: %s: %s\n", given, err->msg);
	if (err->rc != ROWFS_LOCKED)
		return;
	db = realpath(given, NULL);
	if (db)
		mnt = mount_of(db);
	if (mnt)
		fprintf(stderr, "fsck.rowfs: %s is mounted on %s: read %s/check for a check of the "
			"live database\n", given, mnt, strcmp(mnt, "/") == 0 ? "" : mnt);
	free(mnt);
	free(db);
}

/* ---- the check ------------------------------------------------------------------ */

/* Print the statistics behind the summary (-v). */
static void print_stats(struct rowfs_txn *txn, const char *path)
{
	struct rowfs_stats st;
	struct rowfs_err err;

	rowfs_get_stats(txn, &st, &err);   /* zeroed if it fails; the check reports why */
	printf("%s: %" PRIu64 " rows, depth %" PRIu32 ", %" PRIu32 " pages, %" PRIu32
	       " free pages\n", path, st.rows, st.depth, st.pages, st.free_pages);
	printf("%s: WAL: %" PRIu64 " frames, %" PRIu64 " bytes\n", path, st.wal_frames,
	       st.wal_bytes);
}

/*
 * DBFILE must be a regular file, and so must DBFILE-wal if it exists (a
 * FIFO or device as the WAL would block the open or worse).  Fills db_sb
 * and wal_sb (wal_sb->st_ino 0 when there is no WAL).  Returns 0, or
 * EXIT_OPERATIONAL after printing why.
 */
static int check_paths(const char *path, struct stat *db_sb, struct stat *wal_sb)
{
	char wal_path[PATH_MAX + 8];

	if (stat(path, db_sb) != 0) {
		fprintf(stderr, "fsck.rowfs: cannot open '%s': %s\n", path, strerror(errno));
		return EXIT_OPERATIONAL;
	}
	if (!S_ISREG(db_sb->st_mode)) {
		fprintf(stderr, "fsck.rowfs: '%s' is not a regular file\n", path);
		return EXIT_OPERATIONAL;
	}
	if (snprintf(wal_path, sizeof(wal_path), "%s-wal", path) >= (int)sizeof(wal_path)) {
		fprintf(stderr, "fsck.rowfs: path too long: '%s'\n", path);
		return EXIT_OPERATIONAL;
	}
	if (stat(wal_path, wal_sb) != 0) {
		memset(wal_sb, 0, sizeof(*wal_sb));
	} else if (!S_ISREG(wal_sb->st_mode)) {
		fprintf(stderr, "fsck.rowfs: '%s' is not a regular file\n", wal_path);
		return EXIT_OPERATIONAL;
	}
	return 0;
}

/* What a check found. */
struct check_result {
	uint64_t problems;     /* problems reported */
	int opened;            /* the engine opened the file: users_rows is known */
	uint64_t users_rows;   /* users' rows the opened state counts */
};

/*
 * Check path (open read-only, rowfs_check) and print the report, each line
 * prefixed with label.  Returns EXIT_CLEAN, EXIT_DAMAGE or EXIT_OPERATIONAL
 * (after printing why).  print_clean 0 leaves out the "clean" line.
 */
static int check_file(const char *path, const char *label, int verbose, int print_clean,
		      struct check_result *res)
{
	struct report report = { .path = label, .at_line_start = 1 };
	struct rowfs_config cfg;
	struct rowfs_err err = { 0 };
	struct rowfs_stats st;
	struct rowfs_db *db;
	struct rowfs_txn *txn;
	int rc, status;

	memset(res, 0, sizeof(*res));
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = path;
	cfg.read_only = 1;
	cfg.for_check = 1;
	rc = rowfs_open(&cfg, &db, &err);
	if (rc == ROWFS_NOTADB || rc == ROWFS_CORRUPT) {
		printf("%s: %s\n", label, err.msg);
		print_summary(label, 1);
		res->problems = 1;
		return EXIT_DAMAGE;
	}
	if (rc != ROWFS_OK) {
		print_open_error(label, &err);
		return EXIT_OPERATIONAL;
	}

	/* one read transaction: the check and the numbers read one state */
	rc = rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err);
	if (rc != ROWFS_OK) {
		fprintf(stderr, "fsck.rowfs: %s: %s\n", label, err.msg);
		rowfs_close(db, &err);
		return EXIT_OPERATIONAL;
	}
	if (verbose)
		print_stats(txn, label);
	rc = rowfs_check(txn, print_problem, &report, &res->problems, &err);
	if (!report.at_line_start)
		putchar('\n');
	rowfs_get_stats(txn, &st, &err);
	res->opened = 1;
	res->users_rows = st.rows;
	if (rc != ROWFS_OK) {
		fprintf(stderr, "fsck.rowfs: %s: check stopped: %s\n", label, err.msg);
		status = EXIT_OPERATIONAL;
	} else if (res->problems > 0) {
		print_summary(label, res->problems);
		status = EXIT_DAMAGE;
	} else {
		if (print_clean)
			printf("%s: clean, %" PRIu64 " rows, %" PRIu32 " pages\n", label, st.rows,
			       st.pages);
		status = EXIT_CLEAN;
	}
	rowfs_txn_abort(txn);

	if (rowfs_close(db, &err) != ROWFS_OK) {
		fprintf(stderr, "fsck.rowfs: %s: %s\n", label, err.msg);
		if (status == EXIT_CLEAN)
			status = EXIT_OPERATIONAL;
	}
	return status;
}

/* ---- files of a repair ------------------------------------------------------------- */

/* 1 if path exists (any kind of file). */
static int exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/* 1 if the file at path begins with MARKER_TEXT. */
static int is_marker(const char *path)
{
	char buf[sizeof(MARKER_TEXT) - 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t got;

	if (fd < 0)
		return 0;
	got = read(fd, buf, sizeof(buf));
	close(fd);
	return got == (ssize_t)sizeof(buf) && memcmp(buf, MARKER_TEXT, sizeof(buf)) == 0;
}

/* A failed system call: its message, EXIT_OPERATIONAL. */
static int sys_fail(const char *call, const char *path)
{
	fprintf(stderr, "fsck.rowfs: %s '%s': %s\n", call, path, strerror(errno));
	return EXIT_OPERATIONAL;
}

/* fsync the directory (dirfd); 0 or EXIT_OPERATIONAL. */
static int sync_dir(const struct names *nm, int dirfd)
{
	return fsync(dirfd) == 0 ? 0 : sys_fail("fsync", nm->dir);
}

/* fsync the file at path; 0 or EXIT_OPERATIONAL. */
static int sync_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return sys_fail("open", path);
	rc = fsync(fd);
	close(fd);
	return rc == 0 ? 0 : sys_fail("fsync", path);
}

/* unlink path if it exists; 0 or EXIT_OPERATIONAL. */
static int remove_file(const char *path)
{
	return unlink(path) == 0 || errno == ENOENT ? 0 : sys_fail("unlink", path);
}

/* rename from to to; 0 or EXIT_OPERATIONAL. */
static int move_file(const char *from, const char *to)
{
	return rename(from, to) == 0 ? 0 : sys_fail("rename", from);
}

/*
 * Take the directory's exclusive lock (waiting for another repair of it)
 * and return its descriptor, which the swap fsyncs; -1 after printing why.
 */
static int lock_dir(const struct names *nm)
{
	int fd = open(nm->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		sys_fail("open", nm->dir);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			printf("%s: waiting for another fsck.rowfs repairing in %s\n", nm->given,
			       nm->dir);
			fflush(stdout);
		}
		if (flock(fd, LOCK_EX) != 0) {
			sys_fail("flock", nm->dir);
			close(fd);
			return -1;
		}
	}
	return fd;
}

/*
 * Take a shared lock on DBFILE for the repair; its descriptor, or -1 after
 * printing why ("database is locked" and the mount, if it is mounted).
 */
static int lock_db(const struct names *nm)
{
	struct rowfs_err err = { .rc = ROWFS_LOCKED };
	int fd = open(nm->db, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		sys_fail("open", nm->db);
		return -1;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			snprintf(err.msg, sizeof(err.msg), "database is locked");
			print_open_error(nm->given, &err);
		} else {
			sys_fail("flock", nm->db);
		}
		close(fd);
		return -1;
	}
	return fd;
}

/* Write the marker file (MARKER_TEXT, MARKER_HELP) and fsync it; 0 or EXIT_OPERATIONAL. */
static int write_marker(const struct names *nm)
{
	static const char text[] = MARKER_TEXT MARKER_HELP;
	int fd = open(nm->marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return sys_fail("open", nm->marker);
	if (write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1) || fsync(fd) != 0) {
		if (errno == 0)
			errno = EIO;
		sys_fail("write", nm->marker);
		close(fd);
		return EXIT_OPERATIONAL;
	}
	if (close(fd) != 0)
		return sys_fail("close", nm->marker);
	return 0;
}

/* Steps 5 to 7 (the marker is DBFILE, DBFILE.fsck-new complete); 0 or EXIT_OPERATIONAL. */
static int finish_swap(const struct names *nm, int dirfd)
{
	int rc = 0;

	if (exists(nm->wal)) {
		rc = move_file(nm->wal, nm->old_wal);
		if (!rc)
			rc = sync_dir(nm, dirfd);
	}
	if (!rc)
		rc = move_file(nm->fresh, nm->db);
	if (!rc)
		rc = sync_dir(nm, dirfd);
	if (rc)
		return rc;
	rc = remove_file(nm->old);
	if (!rc)
		rc = remove_file(nm->old_wal);
	if (!rc)
		rc = sync_dir(nm, dirfd);
	return rc;
}

/* Steps 2 to 7 (DBFILE.fsck-new complete and synced); 0 or EXIT_OPERATIONAL. */
static int swap_in(const struct names *nm, int dirfd)
{
	int rc = write_marker(nm);

	if (rc)
		return rc;
	if (link(nm->db, nm->old) != 0) {
		rc = sys_fail("link", nm->old);
		remove_file(nm->marker);
		return rc;
	}
	rc = sync_dir(nm, dirfd);
	if (!rc)
		rc = move_file(nm->marker, nm->db);
	if (!rc)
		rc = sync_dir(nm, dirfd);
	if (!rc)
		rc = finish_swap(nm, dirfd);
	return rc;
}

/* Remove what an interrupted repair left beside a DBFILE that is a database. */
static int remove_leftovers(const struct names *nm, int dirfd)
{
	const char *const files[] = { nm->dump, nm->fresh, nm->fresh_wal, nm->marker, nm->old,
				      nm->old_wal };
	size_t i;
	int found = 0, rc;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (!exists(files[i]))
			continue;
		rc = remove_file(files[i]);
		if (rc)
			return rc;
		printf("%s: removed %s, left by an interrupted repair\n", nm->given, files[i]);
		found = 1;
	}
	return found ? sync_dir(nm, dirfd) : 0;
}

/* Print the leftovers of an interrupted repair (-n: nothing is removed). */
static void note_leftovers(const struct names *nm)
{
	const char *const files[] = { nm->fresh, nm->fresh_wal, nm->marker, nm->old, nm->old_wal };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (exists(files[i]))
			printf("%s: %s was left by an interrupted repair (fsck.rowfs -p removes "
			       "it)\n", nm->given, files[i]);
}

/*
 * DBFILE is the marker: finish the swap if DBFILE.fsck-new passes its
 * check, else put the old files back.  Returns 0 (DBFILE is a database
 * again), EXIT_DAMAGE when neither can be done, or EXIT_OPERATIONAL.
 */
static int recover_swap(const struct names *nm, int dirfd)
{
	struct check_result res;
	int rc;

	if (exists(nm->fresh) &&
	    check_file(nm->fresh, nm->fresh, 0, 0, &res) == EXIT_CLEAN) {
		printf("%s: finishing an interrupted repair: %s replaces the old database\n",
		       nm->given, nm->fresh);
		return finish_swap(nm, dirfd);
	}
	if (!exists(nm->old)) {
		printf("%s: an interrupted repair left neither a rebuilt nor the old database: "
		       "not repaired\n", nm->given);
		return EXIT_DAMAGE;
	}
	printf("%s: undoing an interrupted repair: %s is put back\n", nm->given, nm->old);
	rc = 0;
	if (exists(nm->old_wal) && !exists(nm->wal)) {
		rc = move_file(nm->old_wal, nm->wal);
		if (!rc)
			rc = sync_dir(nm, dirfd);
	}
	if (!rc)
		rc = move_file(nm->old, nm->db);
	if (!rc)
		rc = sync_dir(nm, dirfd);
	return rc;
}

/* ---- salvage into a dump, rebuild from it ------------------------------------------ */

/* Where the repair's dump goes. */
struct dump_file {
	FILE *f;               /* the unlinked DBFILE.fsck-dump */
	uint64_t lines;        /* lines written */
	int write_errno;       /* errno of a failed write, or 0 */
};

/* rowfs_emit_fn: append dump text to the file, counting lines. */
static int dump_append(void *ctx, const char *text, size_t len)
{
	struct dump_file *d = ctx;
	const char *p = text, *end = text + len;

	if (fwrite(text, 1, len, d->f) != len) {
		d->write_errno = errno ? errno : EIO;
		return 1;
	}
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		d->lines++;
		p++;
	}
	return 0;
}

/*
 * Salvage DBFILE into the dump file (created next to it, unlinked at
 * once).  Returns 0 and d->f open, or EXIT_OPERATIONAL after printing why.
 */
static int salvage_to_dump(const struct names *nm, struct dump_file *d,
			   struct rowfs_salvage_stats *st)
{
	struct rowfs_err err = { 0 };
	int fd, rc;

	memset(d, 0, sizeof(*d));
	fd = open(nm->dump, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return sys_fail("open", nm->dump);
	if (unlink(nm->dump) != 0) {
		close(fd);
		return sys_fail("unlink", nm->dump);
	}
	d->f = fdopen(fd, "w+");
	if (!d->f) {
		close(fd);
		return sys_fail("fdopen", nm->dump);
	}
	rc = rowfs_salvage(nm->db, NULL, dump_append, d, st, &err);
	if (rc == ROWFS_OK && fflush(d->f) != 0)
		d->write_errno = errno ? errno : EIO;
	if (rc == ROWFS_OK && !d->write_errno)
		return 0;
	if (d->write_errno)
		fprintf(stderr, "fsck.rowfs: write '%s': %s\n", nm->dump, strerror(d->write_errno));
	else
		print_open_error(nm->given, &err);
	fclose(d->f);
	d->f = NULL;
	return EXIT_OPERATIONAL;
}

/* What the replay of the dump did. */
struct rebuild {
	uint64_t statements;   /* statements run (begin and commit excepted) */
	uint64_t failed;       /* of those, the ones that failed */
	char first_error[300]; /* the first failure: "statement N: message" */
};

/* rowfs_emit_fn: the replies of the replay are not wanted. */
static int discard(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	(void)text;
	(void)len;
	return 0;
}

/* 1 if line[0..len) is exactly word. */
static int line_is(const char *line, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(line, word, len) == 0;
}

/* Run one statement of the dump in *txn (begun if NULL); 0, or EXIT_OPERATIONAL. */
static int replay_line(struct rowfs_db *db, struct rowfs_txn **txn, const char *line, size_t len,
		       struct rebuild *rb, const struct names *nm)
{
	struct rowfs_err err = { 0 };
	int rc;

	if (!*txn) {
		rc = rowfs_txn_begin(db, 0, txn, &err);
		if (rc != ROWFS_OK) {
			fprintf(stderr, "fsck.rowfs: %s: %s\n", nm->fresh, err.msg);
			return EXIT_OPERATIONAL;
		}
	}
	rb->statements++;
	rc = rowfs_exec(*txn, line, len, discard, NULL, &err);
	if (rc == ROWFS_OK)
		return 0;
	if (rowfs_rc_is_fatal(rc)) {
		fprintf(stderr, "fsck.rowfs: %s: %s\n", nm->fresh, err.msg);
		return EXIT_OPERATIONAL;
	}
	if (rb->failed++ == 0)
		snprintf(rb->first_error, sizeof(rb->first_error), "statement %" PRIu64 ": %s",
			 rb->statements, err.msg);
	return 0;
}

/* Commit *txn if one is open; 0, or EXIT_OPERATIONAL. */
static int commit_open(struct rowfs_txn **txn, const struct names *nm)
{
	struct rowfs_err err = { 0 };
	int rc;

	if (!*txn)
		return 0;
	rc = rowfs_txn_commit(*txn, &err);
	*txn = NULL;
	if (rc != ROWFS_OK) {
		fprintf(stderr, "fsck.rowfs: %s: %s\n", nm->fresh, err.msg);
		return EXIT_OPERATIONAL;
	}
	return 0;
}

/*
 * Replay the dump into a new DBFILE.fsck-new (every statement but begin
 * and commit, committed REBUILD_TXN_STATEMENTS at a time), close it (a
 * checkpoint), fsync it and remove its WAL.  Returns 0, or
 * EXIT_OPERATIONAL after printing why.
 */
static int rebuild(const struct names *nm, struct dump_file *d, struct progress *pr,
		   struct rebuild *rb)
{
	struct rowfs_config cfg;
	struct rowfs_err err = { 0 };
	struct rowfs_db *db;
	struct rowfs_txn *txn = NULL;
	char *line = NULL;
	size_t cap = 0, len;
	ssize_t got;
	uint64_t done = 0;
	int status = 0, rc;

	memset(rb, 0, sizeof(*rb));
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = nm->fresh;
	cfg.sync = ROWFS_SYNC_NORMAL;   /* durable at the checkpoint of the close */
	rc = rowfs_open(&cfg, &db, &err);
	if (rc != ROWFS_OK) {
		fprintf(stderr, "fsck.rowfs: %s: %s\n", nm->fresh, err.msg);
		return EXIT_OPERATIONAL;
	}
	rewind(d->f);
	progress_step(pr, PASS_REBUILD, 0, d->lines);
	while (!status && (got = getline(&line, &cap, d->f)) >= 0) {
		len = (size_t)got;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		done++;
		if (line_is(line, len, "begin") || line_is(line, len, "commit"))
			continue;
		status = replay_line(db, &txn, line, len, rb, nm);
		if (!status && rb->statements % REBUILD_TXN_STATEMENTS == 0)
			status = commit_open(&txn, nm);
		if (done % 1024 == 0)
			progress_step(pr, PASS_REBUILD, done, d->lines);
	}
	free(line);
	if (!status && ferror(d->f))
		status = sys_fail("read", nm->dump);
	if (!status)
		status = commit_open(&txn, nm);
	rowfs_txn_abort(txn);
	if (rowfs_close(db, &err) != ROWFS_OK && !status) {
		fprintf(stderr, "fsck.rowfs: %s: %s\n", nm->fresh, err.msg);
		status = EXIT_OPERATIONAL;
	}
	if (!status)
		status = sync_file(nm->fresh);
	if (!status)
		status = remove_file(nm->fresh_wal);
	if (!status)
		progress_step(pr, PASS_REBUILD, d->lines, d->lines);
	return status;
}

/* ---- the repair ------------------------------------------------------------------ */

/*
 * 1 if the salvage read everything: a valid header whose trees reach every
 * leaf, no damaged page, bad cell, orphan table leaf, bad WAL record or
 * unreadable WAL, and every statement replayed.  Preen repairs only then.
 */
static int lost_nothing(const struct rowfs_salvage_stats *st, const struct rebuild *rb)
{
	return st->header_valid && !st->wal_problem[0] && st->damaged_pages == 0 &&
	       st->bad_cells == 0 && st->orphan_leaves == 0 && st->wal_bad_records == 0 &&
	       st->leaf_pages == st->tree_leaves && rb->failed == 0;
}

/* What the rebuild kept and what it could not read. */
static void print_rebuild(const struct names *nm, const struct rowfs_salvage_stats *st,
			  const struct rebuild *rb)
{
	printf("%s: rebuilt from every readable row: ", nm->given);
	print_count(st->rows, "row", "rows");
	printf(" (");
	print_count(st->tables, "table", "tables");
	printf(" besides users)\n");
	if (!st->header_valid)
		printf("%s: the header was damaged (%s): rows were read from every leaf page\n",
		       nm->given, st->header_problem);
	if (st->wal_problem[0])
		printf("%s: the WAL was not read to its end: %s\n", nm->given, st->wal_problem);
	printf("%s: not readable: ", nm->given);
	print_count(st->damaged_pages, "damaged page", "damaged pages");
	printf(", ");
	print_count(st->bad_cells, "bad cell", "bad cells");
	printf(", ");
	print_count(st->orphan_leaves, "table leaf", "table leaves");
	printf(" reached from no table, ");
	print_count(st->wal_bad_records, "bad WAL record", "bad WAL records");
	putchar('\n');
	if (st->leaf_pages > st->tree_leaves)
		printf("%s: %" PRIu64 " users leaf pages outside the tree were read too (their "
		       "rows may have been deleted)\n", nm->given, st->leaf_pages - st->tree_leaves);
	if (rb->failed)
		printf("%s: %" PRIu64 " statements of the dump failed; the first: %s\n", nm->given,
		       rb->failed, rb->first_error);
}

/* users rows in the rebuilt database (for the lost count), or 0 if it cannot be read. */
static uint64_t users_rows_of(const char *path)
{
	struct rowfs_config cfg;
	struct rowfs_err err = { 0 };
	struct rowfs_stats st;
	struct rowfs_db *db;
	struct rowfs_txn *txn;

	memset(&cfg, 0, sizeof(cfg));
	memset(&st, 0, sizeof(st));
	cfg.path = path;
	cfg.read_only = 1;
	if (rowfs_open(&cfg, &db, &err) != ROWFS_OK)
		return 0;
	if (rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err) == ROWFS_OK) {
		rowfs_get_stats(txn, &st, &err);
		rowfs_txn_abort(txn);
	}
	rowfs_close(db, &err);
	return st.rows;
}

/*
 * DBFILE has problems: salvage, rebuild, verify, swap (locks held).
 * Returns EXIT_CORRECTED, EXIT_DAMAGE (not repaired) or EXIT_OPERATIONAL.
 */
static int repair(const struct names *nm, int dirfd, int mode, struct progress *pr,
		  const struct check_result *before)
{
	struct rowfs_salvage_stats st;
	struct check_result after;
	struct dump_file d;
	struct rebuild rb;
	uint64_t users_after;
	int rc;

	progress_step(pr, PASS_SALVAGE, 0, 1);
	rc = salvage_to_dump(nm, &d, &st);
	if (rc)
		return rc;
	progress_step(pr, PASS_SALVAGE, 1, 1);
	if (st.leaf_pages == 0 && st.wal_records == 0 && st.tables == 0) {
		printf("%s: nothing of a rowfs database could be read: not repaired\n", nm->given);
		fclose(d.f);
		return EXIT_DAMAGE;
	}
	rc = remove_file(nm->fresh);
	if (!rc)
		rc = remove_file(nm->fresh_wal);
	if (!rc)
		rc = rebuild(nm, &d, pr, &rb);
	fclose(d.f);
	if (rc)
		goto out_remove;
	print_rebuild(nm, &st, &rb);
	users_after = users_rows_of(nm->fresh);
	if (before->opened && before->users_rows > users_after)
		printf("%s: users: %" PRIu64 " of the %" PRIu64 " rows the header counted are not "
		       "in the rebuilt database\n", nm->given, before->users_rows - users_after,
		       before->users_rows);
	if (mode == MODE_PREEN && !lost_nothing(&st, &rb)) {
		printf("%s: UNEXPECTED INCONSISTENCY: the rebuild would lose or bring back rows; "
		       "not repaired (run fsck.rowfs -y %s)\n", nm->given, nm->given);
		rc = EXIT_DAMAGE;
		goto out_remove;
	}

	progress_step(pr, PASS_VERIFY, 0, 1);
	rc = check_file(nm->fresh, nm->fresh, 0, 0, &after);
	if (rc != EXIT_CLEAN) {
		printf("%s: the rebuilt database fails its check: not repaired\n", nm->given);
		rc = rc == EXIT_OPERATIONAL ? rc : EXIT_DAMAGE;
		goto out_remove;
	}
	progress_step(pr, PASS_VERIFY, 1, 1);

	progress_step(pr, PASS_SWAP, 0, 1);
	rc = sync_dir(nm, dirfd);
	if (!rc)
		rc = swap_in(nm, dirfd);
	if (rc && is_marker(nm->db)) {
		fprintf(stderr, "fsck.rowfs: %s: the repair stopped half-way: run fsck.rowfs -y %s "
			"again to finish it\n", nm->given, nm->given);
		return EXIT_OPERATIONAL;
	}
	if (rc && exists(nm->fresh))
		goto out_remove;   /* DBFILE and its WAL are as they were */
	if (rc)
		fprintf(stderr, "fsck.rowfs: %s: the rebuilt database is in place; remove %s and %s\n",
			nm->given, nm->old, nm->old_wal);
	progress_step(pr, PASS_SWAP, 1, 1);
	printf("%s: repaired: the rebuilt database replaced the damaged one\n", nm->given);
	return EXIT_CORRECTED;

out_remove:
	remove_file(nm->fresh);
	remove_file(nm->fresh_wal);
	return rc;
}

/* -p, -a, -y: check, and repair what the check finds. */
static int fsck_repair(const struct names *nm, const struct options *o, struct progress *pr)
{
	struct check_result before;
	int dirfd, dbfd, status, recovered = 0;

	dirfd = lock_dir(nm);
	if (dirfd < 0)
		return EXIT_OPERATIONAL;
	if (is_marker(nm->db)) {
		status = recover_swap(nm, dirfd);
		if (status)
			goto out_close_dir;
		recovered = 1;
	}
	status = remove_leftovers(nm, dirfd);
	if (status)
		goto out_close_dir;
	dbfd = lock_db(nm);
	if (dbfd < 0) {
		status = EXIT_OPERATIONAL;
		goto out_close_dir;
	}
	status = check_file(nm->given, nm->given, o->verbose, 1, &before);
	if (status != EXIT_OPERATIONAL)
		progress_step(pr, PASS_CHECK, 1, 1);
	if (status == EXIT_DAMAGE)
		status = repair(nm, dirfd, o->mode, pr, &before);
	else if (status == EXIT_CLEAN && recovered)
		status = EXIT_CORRECTED;   /* DBFILE was the marker: it is a database again */
	close(dbfd);
out_close_dir:
	close(dirfd);
	return status;
}

/* -n: check, report, change nothing. */
static int fsck_check(const struct names *nm, const struct options *o, struct progress *pr)
{
	struct check_result res;
	int status;

	if (is_marker(nm->db)) {
		printf("%s: a repair was interrupted: this file is its marker; run fsck.rowfs -y "
		       "%s to finish it\n", nm->given, nm->given);
		print_summary(nm->given, 1);
		return EXIT_DAMAGE;
	}
	note_leftovers(nm);
	status = check_file(nm->given, nm->given, o->verbose, 1, &res);
	if (status != EXIT_OPERATIONAL)
		progress_step(pr, PASS_CHECK, 1, 1);
	return status;
}

/* Check (and repair) DBFILE; returns the exit status. */
static int fsck_file(const char *path, const struct options *o)
{
	struct progress pr = { .fd = o->progress_fd, .device = path, .pass = 0, .shown = -1 };
	struct stat db_sb, wal_sb;
	struct names nm;
	int status;

	if (check_paths(path, &db_sb, &wal_sb) != 0)
		return EXIT_OPERATIONAL;
	if (names_init(&nm, path) != 0)
		return EXIT_OPERATIONAL;
	status = o->mode == MODE_CHECK ? fsck_check(&nm, o, &pr) : fsck_repair(&nm, o, &pr);
	names_free(&nm);
	return status;
}

/* ---- --salvage ------------------------------------------------------------------- */

/* Where the dump of --salvage goes. */
struct dump_out {
	const char *path;      /* -o FILE, or NULL: standard output */
	FILE *f;               /* stdout, or FILE once the first write opened it */
	int write_errno;       /* errno of the failed open or write, or 0 */
};

/* rowfs_emit_fn: write dump text, creating -o FILE at the first write. */
static int write_dump(void *ctx, const char *text, size_t len)
{
	struct dump_out *o = ctx;

	if (!o->f) {
		o->f = fopen(o->path, "w");
		if (!o->f) {
			o->write_errno = errno;
			return 1;
		}
	}
	if (fwrite(text, 1, len, o->f) != len) {
		o->write_errno = errno ? errno : EIO;
		return 1;
	}
	return 0;
}

/* 1 if sb is the same file as DBFILE or its WAL. */
static int is_db_file(const struct stat *sb, const struct stat *db_sb, const struct stat *wal_sb)
{
	return (sb->st_dev == db_sb->st_dev && sb->st_ino == db_sb->st_ino) ||
	       (wal_sb->st_ino != 0 && sb->st_dev == wal_sb->st_dev && sb->st_ino == wal_sb->st_ino);
}

/*
 * 1 if out_path (which does not exist yet) names DBFILE-wal: the same
 * directory and DBFILE's name plus "-wal".  A dump created there would be
 * read as the WAL by the next open.
 */
static int names_wal(const char *out_path, const char *db_path)
{
	char *o = strdup(out_path), *d = strdup(db_path), *o2 = strdup(out_path),
	     *d2 = strdup(db_path);
	struct stat od, dd;
	int same = 0;

	if (o && d && o2 && d2 && stat(dirname(o), &od) == 0 && stat(dirname(d), &dd) == 0 &&
	    od.st_dev == dd.st_dev && od.st_ino == dd.st_ino) {
		const char *ob = basename(o2), *db = basename(d2);
		size_t n = strlen(db);

		same = strncmp(ob, db, n) == 0 && strcmp(ob + n, "-wal") == 0;
	}
	free(o);
	free(d);
	free(o2);
	free(d2);
	return same;
}

/* What rowfs_salvage() counted, on standard error. */
static void print_salvage_stats(const char *path, const struct rowfs_salvage_stats *st)
{
	if (!st->header_valid)
		fprintf(stderr, "%s: salvage: header damaged (%s): the tree was not walked\n", path,
			st->header_problem);
	if (st->wal_problem[0])
		fprintf(stderr, "%s: salvage: WAL not read to its end: %s\n", path, st->wal_problem);
	fprintf(stderr, "%s: salvage: %" PRIu64 " pages read, %" PRIu64 " leaf pages used (%"
		PRIu64 " reached from the root), %" PRIu64 " damaged pages skipped, %" PRIu64
		" bad cells skipped\n", path, st->pages, st->leaf_pages, st->tree_leaves,
		st->damaged_pages, st->bad_cells);
	fprintf(stderr, "%s: salvage: WAL: %" PRIu64 " frames, %" PRIu64 " records applied, %"
		PRIu64 " bad records skipped\n", path, st->wal_frames, st->wal_records,
		st->wal_bad_records);
	if (st->orphan_leaves)
		fprintf(stderr, "%s: salvage: %" PRIu64 " table leaves reached from no table: "
			"their rows skipped\n", path, st->orphan_leaves);
	fprintf(stderr, "%s: salvage: %" PRIu64 " rows written (%" PRIu64
		" older or duplicate copies dropped), %" PRIu64 " tables besides users\n", path,
		st->rows, st->superseded, st->tables);
}

/* --salvage: write the dump; returns the exit status. */
static int salvage_file(const char *path, const char *out_path)
{
	struct dump_out out = { .path = out_path, .f = out_path ? NULL : stdout };
	struct rowfs_salvage_stats st;
	struct rowfs_err err = { 0 };
	struct stat db_sb, wal_sb, sb;
	int rc, status = EXIT_CLEAN;

	if (check_paths(path, &db_sb, &wal_sb) != 0)
		return EXIT_OPERATIONAL;
	/* Never write the dump over (or append it to) DBFILE or its WAL. */
	if (((out_path ? stat(out_path, &sb) : fstat(STDOUT_FILENO, &sb)) == 0 &&
	     is_db_file(&sb, &db_sb, &wal_sb)) ||
	    (out_path && names_wal(out_path, path))) {
		fprintf(stderr, "fsck.rowfs: refusing to write the dump to '%s', the database or its "
			"WAL\n", out_path ? out_path : "standard output");
		return EXIT_OPERATIONAL;
	}

	rc = rowfs_salvage(path, NULL, write_dump, &out, &st, &err);
	if (rc != ROWFS_OK) {
		if (out.write_errno)
			fprintf(stderr, "fsck.rowfs: write '%s': %s\n",
				out_path ? out_path : "standard output", strerror(out.write_errno));
		else
			print_open_error(path, &err);
		status = EXIT_OPERATIONAL;
	} else {
		print_salvage_stats(path, &st);
	}
	if (out_path && out.f && fclose(out.f) != 0 && status == EXIT_CLEAN) {
		fprintf(stderr, "fsck.rowfs: write '%s': %s\n", out_path, strerror(errno));
		status = EXIT_OPERATIONAL;
	}
	return status;
}

/* ---- the command line -------------------------------------------------------------- */

/* 1 if s is a decimal number, optionally negative (fsck(8) passes -C-N). */
static int is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Set the mode; a second, different one is a usage error (EXIT_OPERATIONAL). */
static int set_mode(struct options *o, int mode, int *mode_given)
{
	if (*mode_given && o->mode != mode) {
		fprintf(stderr, "fsck.rowfs: only one of -n, -p/-a and -y may be given\n"
			"Try 'fsck.rowfs --help' for more information.\n");
		return EXIT_OPERATIONAL;
	}
	o->mode = mode;
	*mode_given = 1;
	return 0;
}

/*
 * -C FD.  FD 0: the bar; a negative FD (fsck(8)'s "progress suppressed"):
 * none.  An argument that is not a number was not meant for -C: it is
 * given back (optind) and the bar is drawn.
 */
static void set_progress(struct options *o, char **argv)
{
	long fd;

	if (!is_number(optarg)) {
		if (optarg == argv[optind - 1])
			optind--;
		o->progress_fd = 0;
		return;
	}
	fd = strtol(optarg, NULL, 10);
	o->progress_fd = fd < 0 || fd > INT_MAX ? -1 : (int)fd;
}

/* A getopt error; returns EXIT_OPERATIONAL. */
static int option_error(int opt, char **argv)
{
	if (opt == ':') {
		fprintf(stderr, "fsck.rowfs: option '%s' needs an argument\n"
			"Try 'fsck.rowfs --help' for more information.\n", argv[optind - 1]);
		return EXIT_OPERATIONAL;
	}
	if (optopt) {
		char shortopt[3] = { '-', (char)optopt, '\0' };

		return usage_error("unknown option", shortopt);
	}
	return usage_error("unknown option", argv[optind - 1]);
}

/* Parse the command line into *o; -1 to go on, else the exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "salvage", no_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, mode_given = 0;

	memset(o, 0, sizeof(*o));
	o->progress_fd = -1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":npayfC:vso:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
		case 'p':
		case 'a':
		case 'y':
			if (set_mode(o, opt == 'n' ? MODE_CHECK : opt == 'y' ? MODE_YES : MODE_PREEN,
				     &mode_given) != 0)
				return EXIT_OPERATIONAL;
			break;
		case 'f':
			break;   /* every check is a full one */
		case 'C':
			set_progress(o, argv);
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 's':
			o->salvage = 1;
			break;
		case 'o':
			o->out_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_OPERATIONAL;
		case 'V':
			printf("fsck.rowfs (rowfs) %s\n", rowfs_version());
			return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_OPERATIONAL;
		default:
			return option_error(opt, argv);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "fsck.rowfs: missing DBFILE\n"
			"Try 'fsck.rowfs --help' for more information.\n");
		return EXIT_OPERATIONAL;
	}
	if (optind + 1 < argc)
		return usage_error("too many arguments:", argv[optind + 1]);
	if (o->out_path && (!o->salvage || !*o->out_path)) {
		fprintf(stderr, "fsck.rowfs: %s\nTry 'fsck.rowfs --help' for more information.\n",
			o->salvage ? "--output needs a file name" : "--output needs --salvage");
		return EXIT_OPERATIONAL;
	}
	if (o->salvage && o->mode != MODE_CHECK) {
		fprintf(stderr, "fsck.rowfs: --salvage writes nothing to the database: it takes no "
			"-p, -a or -y\nTry 'fsck.rowfs --help' for more information.\n");
		return EXIT_OPERATIONAL;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct options o;
	int status;

	status = parse_options(argc, argv, &o);
	if (status >= 0)
		return status;
	status = o.salvage ? salvage_file(argv[optind], o.out_path) : fsck_file(argv[optind], &o);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "fsck.rowfs: write to standard output: %s\n", strerror(errno));
		status = EXIT_OPERATIONAL;
	}
	return status;
}
