/*
 * fsck.c - fsck.rowfs: check a rowfs database offline, without writing.
 *
 * Owns: the command line of fsck.rowfs(8), the report format and the exit
 * status.  The checks themselves are the engine's rowfs_check()
 * (engine/check.c); this file opens the database read-only (shared lock;
 * the WAL is read and replayed in memory, nothing is written), prints each
 * problem prefixed with the DBFILE name, and a summary line:
 *
 *   DBFILE: clean, N rows, M pages
 *   DBFILE: N problems found
 *
 * Exit status, in the manner of e2fsck:
 *   0  no problem found
 *   4  damage found (including a file that is not a rowfs database or
 *      whose header or WAL cannot be recovered)
 *   8  usage or operational error: missing file, database locked by a
 *      running rowfs or rowsh, I/O error, out of memory
 *
 * With --salvage it runs the engine's rowfs_salvage() instead: the dump of
 * every row still readable (begin, insert lines, commit) goes to standard
 * output or to the -o FILE, created at the first write and never DBFILE or
 * its WAL; what was read is counted on standard error.  Exit 0 when the
 * dump was written, damaged file or not; 8 on a usage or operational error.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rowfs.h"

#define EXIT_CLEAN 0
#define EXIT_DAMAGE 4
#define EXIT_OPERATIONAL 8

/* Where problem lines go and how they are prefixed. */
struct report {
	const char *path;      /* DBFILE as given, the prefix of every line */
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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fsck.rowfs [-v] DBFILE\n"
		"       fsck.rowfs --salvage [-o FILE] DBFILE\n"
		"\n"
		"Check the rowfs database DBFILE and its write-ahead log DBFILE-wal\n"
		"without modifying either.\n"
		"\n"
		"options:\n"
		"  -v, --verbose      also print statistics of the database\n"
		"  -s, --salvage      write a dump of every row still readable from DBFILE\n"
		"                     and its WAL, however damaged, as a script rowsh can\n"
		"                     replay (begin, insert ID NAME lines, commit)\n"
		"  -o, --output=FILE  with --salvage: write the dump to FILE, not to\n"
		"                     standard output\n"
		"  -h, --help         show this help and exit\n"
		"  -V, --version      show the version and exit\n"
		"\n"
		"exit status: 0 clean, 4 damage found, 8 usage or operational error.\n"
		"With --salvage: 0 the dump was written, 8 usage or operational error.\n");
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "fsck.rowfs: %s '%s'\nTry 'fsck.rowfs --help' for more information.\n",
		what, arg);
	return EXIT_OPERATIONAL;
}

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

/* Open, check, report; returns the exit status. */
static int fsck_file(const char *path, int verbose)
{
	struct report report = { .path = path, .at_line_start = 1 };
	struct rowfs_config cfg;
	struct rowfs_err err = { 0 };
	struct rowfs_stats st;
	struct rowfs_db *db;
	struct rowfs_txn *txn;
	uint64_t problems = 0;
	struct stat db_sb, wal_sb;
	int rc, status;

	if (check_paths(path, &db_sb, &wal_sb) != 0)
		return EXIT_OPERATIONAL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = path;
	cfg.read_only = 1;
	cfg.for_check = 1;
	rc = rowfs_open(&cfg, &db, &err);
	if (rc == ROWFS_NOTADB || rc == ROWFS_CORRUPT) {
		printf("%s: %s\n", path, err.msg);
		print_summary(path, 1);
		return EXIT_DAMAGE;
	}
	if (rc != ROWFS_OK) {
		fprintf(stderr, "fsck.rowfs: %s: %s\n", path, err.msg);
		return EXIT_OPERATIONAL;
	}

	/* one read transaction: the check and the numbers read one state */
	rc = rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err);
	if (rc != ROWFS_OK) {
		fprintf(stderr, "fsck.rowfs: %s: %s\n", path, err.msg);
		rowfs_close(db, &err);
		return EXIT_OPERATIONAL;
	}
	if (verbose)
		print_stats(txn, path);
	rc = rowfs_check(txn, print_problem, &report, &problems, &err);
	if (!report.at_line_start)
		putchar('\n');
	if (rc != ROWFS_OK) {
		fprintf(stderr, "fsck.rowfs: %s: check stopped: %s\n", path, err.msg);
		status = EXIT_OPERATIONAL;
	} else if (problems > 0) {
		print_summary(path, problems);
		status = EXIT_DAMAGE;
	} else {
		rowfs_get_stats(txn, &st, &err);
		printf("%s: clean, %" PRIu64 " rows, %" PRIu32 " pages\n", path, st.rows, st.pages);
		status = EXIT_CLEAN;
	}
	rowfs_txn_abort(txn);

	if (rowfs_close(db, &err) != ROWFS_OK) {
		fprintf(stderr, "fsck.rowfs: %s: %s\n", path, err.msg);
		if (status == EXIT_CLEAN)
			status = EXIT_OPERATIONAL;
	}
	return status;
}

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
			fprintf(stderr, "fsck.rowfs: %s: %s\n", path, err.msg);
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "salvage", no_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out_path = NULL;
	int opt, verbose = 0, salvage = 0, status;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":vso:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 's':
			salvage = 1;
			break;
		case 'o':
			out_path = optarg;
			break;
		case ':':
			fprintf(stderr, "fsck.rowfs: option '%s' needs an argument\n"
				"Try 'fsck.rowfs --help' for more information.\n", argv[optind - 1]);
			return EXIT_OPERATIONAL;
		case 'h':
			usage(stdout);
			return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_OPERATIONAL;
		case 'V':
			printf("fsck.rowfs (rowfs) %s\n", rowfs_version());
			return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_OPERATIONAL;
		default:
			if (optopt) {
				char shortopt[3] = { '-', (char)optopt, '\0' };

				return usage_error("unknown option", shortopt);
			}
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "fsck.rowfs: missing DBFILE\n"
			"Try 'fsck.rowfs --help' for more information.\n");
		return EXIT_OPERATIONAL;
	}
	if (optind + 1 < argc)
		return usage_error("too many arguments:", argv[optind + 1]);

	if (out_path && (!salvage || !*out_path)) {
		fprintf(stderr, "fsck.rowfs: %s\nTry 'fsck.rowfs --help' for more information.\n",
			salvage ? "--output needs a file name" : "--output needs --salvage");
		return EXIT_OPERATIONAL;
	}

	status = salvage ? salvage_file(argv[optind], out_path) : fsck_file(argv[optind], verbose);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "fsck.rowfs: write to standard output: %s\n", strerror(errno));
		status = EXIT_OPERATIONAL;
	}
	return status;
}
