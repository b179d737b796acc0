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
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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
		"\n"
		"Check the rowfs database DBFILE and its write-ahead log DBFILE-wal\n"
		"without modifying either.\n"
		"\n"
		"options:\n"
		"  -v, --verbose   also print statistics of the database\n"
		"  -h, --help      show this help and exit\n"
		"  -V, --version   show the version and exit\n"
		"\n"
		"exit status: 0 clean, 4 damage found, 8 usage or operational error.\n");
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "fsck.rowfs: %s '%s'\nTry 'fsck.rowfs --help' for more information.\n",
		what, arg);
	return EXIT_OPERATIONAL;
}

/* Print the statistics behind the summary (-v). */
static void print_stats(struct rowfs_db *db, const char *path)
{
	struct rowfs_stats st;

	rowfs_get_stats(db, &st);
	printf("%s: %" PRIu64 " rows, depth %" PRIu32 ", %" PRIu32 " pages, %" PRIu32
	       " free pages\n", path, st.rows, st.depth, st.pages, st.free_pages);
	printf("%s: WAL: %" PRIu64 " frames, %" PRIu64 " bytes\n", path, st.wal_frames,
	       st.wal_bytes);
}

/* Open, check, report; returns the exit status. */
static int fsck_file(const char *path, int verbose)
{
	struct report report = { .path = path, .at_line_start = 1 };
	struct rowfs_config cfg;
	struct rowfs_err err = { 0 };
	struct rowfs_stats st;
	struct rowfs_db *db;
	uint64_t problems = 0;
	char wal_path[PATH_MAX + 8];
	struct stat sb;
	int rc, status;

	if (stat(path, &sb) != 0) {
		fprintf(stderr, "fsck.rowfs: cannot open '%s': %s\n", path, strerror(errno));
		return EXIT_OPERATIONAL;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, "fsck.rowfs: '%s' is not a regular file\n", path);
		return EXIT_OPERATIONAL;
	}

	/* A FIFO or device as the WAL would block the open or worse. */
	if (snprintf(wal_path, sizeof(wal_path), "%s-wal", path) >= (int)sizeof(wal_path)) {
		fprintf(stderr, "fsck.rowfs: path too long: '%s'\n", path);
		return EXIT_OPERATIONAL;
	}
	if (stat(wal_path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		fprintf(stderr, "fsck.rowfs: '%s' is not a regular file\n", wal_path);
		return EXIT_OPERATIONAL;
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = path;
	cfg.read_only = 1;
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

	if (verbose)
		print_stats(db, path);
	rc = rowfs_check(db, print_problem, &report, &problems, &err);
	if (!report.at_line_start)
		putchar('\n');
	if (rc != ROWFS_OK) {
		fprintf(stderr, "fsck.rowfs: %s: check stopped: %s\n", path, err.msg);
		status = EXIT_OPERATIONAL;
	} else if (problems > 0) {
		print_summary(path, problems);
		status = EXIT_DAMAGE;
	} else {
		rowfs_get_stats(db, &st);
		printf("%s: clean, %" PRIu64 " rows, %" PRIu32 " pages\n", path, st.rows, st.pages);
		status = EXIT_CLEAN;
	}

	if (rowfs_close(db, &err) != ROWFS_OK) {
		fprintf(stderr, "fsck.rowfs: %s: %s\n", path, err.msg);
		if (status == EXIT_CLEAN)
			status = EXIT_OPERATIONAL;
	}
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, verbose = 0, status;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "vhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
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

	status = fsck_file(argv[optind], verbose);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "fsck.rowfs: write to standard output: %s\n", strerror(errno));
		status = EXIT_OPERATIONAL;
	}
	return status;
}
