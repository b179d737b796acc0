/*
 * rowsh.c - the rowfs shell: main(), the command line, the exit status.
 *
 * `rowsh [options] DB [STATEMENT...]`, as sqlite3 is used: DB is a
 * database file (opened with the engine, created if missing) or the
 * mountpoint of a running rowfs (conn.h: a client of its daemon through
 * MNT/ctl).  The statements of -cmd run first; then the STATEMENT
 * arguments, each a unit, stopping at the first failure (as sqlite3
 * does), and rowsh exits; without them, standard input: a terminal is
 * the interactive shell (prompt, line editing, ~/.rowsh_history), anything
 * else a stream of statements.  shell.c runs all of it; conn.c talks to
 * the database; outfmt.c prints typed results; import.c is .import.
 *
 * Display widths (box and line modes) come from wcwidth(3), which needs a
 * UTF-8 LC_CTYPE: the user's locale when it is one, else C.UTF-8 (rowfs
 * texts are UTF-8 whatever the locale).
 *
 * Exit status: 0; 1 when the database cannot be opened or closed, when
 * stdout fails, when a client loses its mount, or (statements not from a
 * terminal: arguments or a stream) when any statement failed; 2 for
 * usage errors.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "outfmt.h"
#include "rowfs.h"
#include "shell.h"

/* Exit statuses. */
#define EXIT_USAGE 2

/* The history file, under $HOME. */
#define HISTORY_NAME ".rowsh_history"

/* The command line, parsed. */
struct args {
	struct rowfs_config cfg;     /* how to open a database file */
	int file_options;            /* -o, --sync, --cache-pages or --read-only was given */
	struct shell_options shell;  /* -bail, the output mode */
	const char *mode_option;     /* the option that chose a typed mode ("-csv"), or NULL */
	char **cmds;                 /* -cmd texts, in order (into argv) */
	size_t ncmds;                /* how many */
	const char *db;              /* DB: a file or a mountpoint */
	char **statements;           /* STATEMENT arguments (into argv) */
	size_t nstatements;          /* how many */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rowsh [options] DBFILE [STATEMENT...]\n"
		"       rowsh [options] MOUNTPOINT [STATEMENT...]\n"
		"\n"
		"Run statements on DBFILE (created if missing), or on the database of\n"
		"a mounted rowfs through MOUNTPOINT/ctl: the STATEMENT arguments, in\n"
		"order, then exit; else those read from standard input, one per line\n"
		"(an unfinished SQL statement goes on over the next lines until a ';').\n"
		"Prompts with '" "db > " "' on a terminal, with line editing and history\n"
		"in ~/" HISTORY_NAME ".\n"
		"\n"
		"options:\n"
		"  -cmd STATEMENT        run STATEMENT first (may be repeated)\n"
		"  -bail                 stop at the first error (not on a terminal)\n"
		"  -list, -csv, -json, -box, -line\n"
		"                        the output mode of select (default list;\n"
		"                        a mount prints list only)\n"
		"  -o sync=full|normal|off, --sync=MODE\n"
		"                        when commits are fsynced (default full)\n"
		"  -o cache_pages=N, --cache-pages=N\n"
		"                        page cache size in pages (default %u)\n"
		"  -o ro, --read-only    open read-only (inserts fail)\n"
		"  -h, --help            show this help and exit\n"
		"  -V, --version         show the version and exit\n"
		"(-o and its long forms are for a database file: a mount's daemon has\n"
		"its own; long options take one dash or two.)\n"
		"\n"
		"statements: insert ID USERNAME, update ID USERNAME, delete ID, select,\n"
		"create table, drop table, insert into, select ... from, update ... set,\n"
		"delete from, begin, commit, rollback, .tables, .schema [T], .btree,\n"
		".constants, .stats, .checkpoint, .exit, and rowsh's own .quit, .help,\n"
		".mode [MODE], .import FILE TABLE.  See rowsh(1).\n",
		ROWFS_DEFAULT_CACHE_PAGES);
}

/* Report a usage error and return EXIT_USAGE. */
__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rowsh: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'rowsh --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

static int parse_sync(const char *value, struct rowfs_config *cfg)
{
	if (strcmp(value, "full") == 0)
		cfg->sync = ROWFS_SYNC_FULL;
	else if (strcmp(value, "normal") == 0)
		cfg->sync = ROWFS_SYNC_NORMAL;
	else if (strcmp(value, "off") == 0)
		cfg->sync = ROWFS_SYNC_OFF;
	else
		return usage_error("invalid sync mode '%s' (full, normal or off)", value);
	return 0;
}

static int parse_cache_pages(const char *value, struct rowfs_config *cfg)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || n == 0 ||
	    n > UINT32_MAX)
		return usage_error("invalid cache_pages '%s' (a number from 1 to %" PRIu32 ")",
				   value, UINT32_MAX);
	cfg->cache_pages = (uint32_t)n;
	return 0;
}

static int set_read_only(struct rowfs_config *cfg, int read_only)
{
	cfg->read_only = read_only;
	return 0;
}

/* One comma-separated list of -o options. */
static int parse_o(char *list, struct rowfs_config *cfg)
{
	char *item, *save = NULL;
	int rc;

	for (item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (strncmp(item, "sync=", 5) == 0)
			rc = parse_sync(item + 5, cfg);
		else if (strncmp(item, "cache_pages=", 12) == 0)
			rc = parse_cache_pages(item + 12, cfg);
		else if (strcmp(item, "ro") == 0)
			rc = set_read_only(cfg, 1);
		else if (strcmp(item, "rw") == 0)
			rc = set_read_only(cfg, 0);
		else
			rc = usage_error("unknown option '-o %s'", item);
		if (rc)
			return rc;
	}
	return 0;
}


enum {
	OPT_SYNC = 256, OPT_CACHE_PAGES, OPT_READ_ONLY, OPT_CMD, OPT_BAIL,
	OPT_LIST, OPT_CSV, OPT_JSON, OPT_BOX, OPT_LINE
};

/* An output mode option: -list (OPT_LIST) ... -line. */
static void set_mode(struct args *a, int opt, const char *name)
{
	a->shell.mode = (enum outfmt_mode)(OUTFMT_LIST + (opt - OPT_LIST));
	a->mode_option = a->shell.mode == OUTFMT_LIST ? NULL : name;
}

/* Keep a -cmd text. */
static int add_cmd(struct args *a, char *text)
{
	char **cmds = realloc(a->cmds, (a->ncmds + 1) * sizeof(*cmds));

	if (!cmds) {
		fprintf(stderr, "rowsh: out of memory\n");
		return 1;
	}
	a->cmds = cmds;
	a->cmds[a->ncmds++] = text;
	return 0;
}

/* Fill a from argv; returns -1 to exit 0 (help/version), 0, or an exit status. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "sync", required_argument, NULL, OPT_SYNC },
		{ "cache-pages", required_argument, NULL, OPT_CACHE_PAGES },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "cmd", required_argument, NULL, OPT_CMD },
		{ "bail", no_argument, NULL, OPT_BAIL },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "box", no_argument, NULL, OPT_BOX },
		{ "line", no_argument, NULL, OPT_LINE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long_only(argc, argv, ":o:hV", longopts, NULL)) != -1) {
		rc = 0;
		switch (opt) {
		case 'o':
			a->file_options = 1;
			rc = parse_o(optarg, &a->cfg);
			break;
		case OPT_SYNC:
			a->file_options = 1;
			rc = parse_sync(optarg, &a->cfg);
			break;
		case OPT_CACHE_PAGES:
			a->file_options = 1;
			rc = parse_cache_pages(optarg, &a->cfg);
			break;
		case OPT_READ_ONLY:
			a->file_options = 1;
			rc = set_read_only(&a->cfg, 1);
			break;
		case OPT_CMD:
			rc = add_cmd(a, optarg);
			break;
		case OPT_BAIL:
			a->shell.bail = 1;
			break;
		case OPT_LIST:
		case OPT_CSV:
		case OPT_JSON:
		case OPT_BOX:
		case OPT_LINE:
			set_mode(a, opt, argv[optind - 1]);
			break;
		case 'h':
			usage(stdout);
			return -1;
		case 'V':
			printf("rowsh (rowfs) %s\n", rowfs_version());
			return -1;
		case ':':
			rc = usage_error("option '%s' needs a value", argv[optind - 1]);
			break;
		default:
			if (optopt)
				rc = usage_error("unknown option '-%c'", optopt);
			else
				rc = usage_error("unknown or ambiguous option '%s'", argv[optind - 1]);
			break;
		}
		if (rc)
			return rc;
	}
	if (optind >= argc)
		return usage_error("missing DBFILE");
	a->db = argv[optind];
	a->statements = argv + optind + 1;
	a->nstatements = (size_t)(argc - optind - 1);
	return 0;
}

/* Display widths need a UTF-8 LC_CTYPE: the user's, else C.UTF-8. */
static void set_utf8_ctype(void)
{
	const char *set = setlocale(LC_CTYPE, "");
	const char *codeset = nl_langinfo(CODESET);

	if (set && codeset && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0))
		return;
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "C");   /* widths then count one column a character */
}

/* Open the connection: a mount's ctl, or the database file. */
static int open_conn(struct args *a, struct shell *sh, struct conn **c)
{
	struct conn_output out;
	struct rowfs_err err = { 0 };
	int rc;

	shell_output(sh, &out);
	if (conn_is_mount(a->db)) {
		if (a->file_options)
			return usage_error("-o, --sync, --cache-pages and --read-only are for a "
					   "database file: the daemon of '%s' has its own", a->db);
		if (a->mode_option)
			return usage_error("%s needs typed results: rowsh MNT prints list mode only",
					   a->mode_option);
		rc = conn_open_mount(a->db, &out, c, &err);
	} else {
		a->cfg.path = a->db;
		rc = conn_open_file(&a->cfg, &out, c, &err);
	}
	if (rc != ROWFS_OK) {
		fprintf(stderr, "rowsh: %s\n", err.msg);
		return 1;
	}
	shell_connect(sh, *c);
	return 0;
}

/* The history file: ~/.rowsh_history, none without $HOME (malloc'd, or NULL). */
static char *history_path(void)
{
	const char *home = getenv("HOME");
	size_t len;
	char *path;

	if (!home || !*home)
		return NULL;
	len = strlen(home) + sizeof("/" HISTORY_NAME);
	path = malloc(len);
	if (path)
		snprintf(path, len, "%s/%s", home, HISTORY_NAME);
	return path;
}

/* Run what the command line and standard input hold. */
static void run(struct args *a, struct shell *sh)
{
	int interactive = a->nstatements == 0 && isatty(STDIN_FILENO);
	size_t i;

	if (!interactive)
		shell_count_failures(sh);
	for (i = 0; i < a->ncmds && !shell_done(sh); i++)
		shell_run_text(sh, a->cmds[i], strlen(a->cmds[i]), 0);
	if (a->nstatements > 0) {
		for (i = 0; i < a->nstatements && !shell_done(sh); i++)
			shell_run_text(sh, a->statements[i], strlen(a->statements[i]), 1);
	} else if (interactive) {
		char *history = history_path();

		if (!shell_done(sh))
			shell_run_terminal(sh, history);
		free(history);
	} else if (!shell_done(sh)) {
		shell_run_stream(sh, STDIN_FILENO);
	}
}

int main(int argc, char **argv)
{
	struct rowfs_err err = { 0 };
	struct conn *c = NULL;
	struct shell *sh;
	struct args a;
	int status, rc;

	memset(&a, 0, sizeof(a));
	a.cfg.sync = ROWFS_SYNC_FULL;
	rc = parse_args(argc, argv, &a);
	if (rc != 0) {
		free(a.cmds);
		return rc < 0 ? (fflush(stdout) == 0 ? 0 : 1) : rc;
	}
	set_utf8_ctype();
	signal(SIGPIPE, SIG_IGN);
	sh = shell_new(&a.shell);
	if (!sh) {
		fprintf(stderr, "rowsh: out of memory\n");
		free(a.cmds);
		return 1;
	}
	rc = open_conn(&a, sh, &c);
	if (rc != 0) {
		shell_free(sh);
		free(a.cmds);
		return rc;
	}
	run(&a, sh);
	status = shell_free(sh);
	if (conn_close(c, &err) != ROWFS_OK) {
		fprintf(stderr, "rowsh: %s\n", err.msg);
		status = 1;
	}
	free(a.cmds);
	return status;
}
