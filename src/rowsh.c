/*
 * rowsh.c - the rowfs REPL: main(), options, the line loop.
 *
 * Owns: the command line of rowsh(1), the prompt and line editing on a
 * terminal, the batching of piped input into transactions, and the exit
 * status.  Everything about statements is the engine's (rowfs.h); this file
 * only moves lines in and replies out.
 *
 * Transactions:
 *   - On a terminal every line is its own transaction.
 *   - Otherwise stdin is read in chunks of up to CHUNK_SIZE bytes, and all
 *     the lines completed by one chunk are one transaction (one WAL frame,
 *     one fsync with sync=full).  Replies are staged and written to stdout
 *     only after the commit succeeded.  A statement error (token, parse,
 *     duplicate, ...) is staged as its own line and the batch goes on,
 *     since such a statement changes nothing.  An I/O, memory, corruption
 *     or disk-full error rolls the batch back: its staged replies are
 *     dropped, the error is printed, and the next chunk starts a new
 *     transaction (the engine recovers in rowfs_begin).
 *   - `.exit` commits what came before it and stops; so does end of input.
 *     A last line without a newline runs at end of input.
 *
 * Long lines: a line inside one chunk goes to the engine as it is, whatever
 * its length.  A line that spans chunks is kept in a small buffer; once it
 * passes LINE_KEEP bytes the rest of it is dropped, which the engine then
 * reports as "Parse error: line too long" (memory stays bounded).
 *
 * Exit status: 0; 1 when the database cannot be opened or closed, when
 * stdout fails, or (input not a terminal) when any statement failed;
 * 2 for usage errors.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBEDIT
#include <editline/readline.h>
#endif

#include "rowfs.h"

/* Bytes read from a non-terminal stdin at a time: one batch at most. */
#define CHUNK_SIZE (64u * 1024u)

/*
 * Bytes kept of a line that spans chunks: the engine's longest line (4096,
 * CONTRACT.md) plus a '\r' plus one, so a cut line is still too long.
 */
#define LINE_KEEP (4096u + 2u)

#define PROMPT "db > "

/* Exit statuses. */
#define EXIT_USAGE 2

/* Replies of the open transaction, written out after it commits. */
struct outbuf {
	char *data;        /* malloc'd bytes */
	size_t len;        /* bytes used */
	size_t cap;        /* bytes allocated */
};

/* State of one batch (transaction). */
enum batch_state {
	BATCH_NONE,        /* no transaction open */
	BATCH_ACTIVE,      /* lines run */
	BATCH_EXITED,      /* `.exit` ran: commit, then stop */
	BATCH_ABORTED      /* fatal error: rolled back, remaining lines skipped */
};

/* The shell. */
struct shell {
	struct rowfs_db *db;           /* the open database */
	struct outbuf out;             /* staged replies */
	enum batch_state batch;        /* current batch */
	int any_failed;                /* a statement or a batch failed */
	int done;                      /* stop reading input */
	int output_failed;             /* writing stdout failed */
	int output_errno;              /* errno of that failure */
	char pending[LINE_KEEP];       /* start of a line that spans chunks */
	size_t pending_len;            /* bytes in pending (LINE_KEEP: cut) */
};

/* Set by SIGINT/SIGTERM/SIGHUP when reading a pipe: stop after the batch. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Append bytes to the staging buffer; 0 or -1 (out of memory). */
static int out_add(struct outbuf *out, const char *text, size_t len)
{
	size_t cap;
	char *data;

	if (len > SIZE_MAX - out->len)
		return -1;
	if (out->len + len > out->cap) {
		cap = out->cap ? out->cap : 4096;
		while (cap < out->len + len)
			cap = cap > SIZE_MAX / 2 ? out->len + len : cap * 2;
		data = realloc(out->data, cap);
		if (!data)
			return -1;
		out->data = data;
		out->cap = cap;
	}
	memcpy(out->data + out->len, text, len);
	out->len += len;
	return 0;
}

/* rowfs_emit_fn: stage a reply. */
static int stage_reply(void *ctx, const char *text, size_t len)
{
	return out_add(ctx, text, len) == 0 ? 0 : 1;
}

/* Stage a message line (text plus newline); on failure write it at once. */
static void stage_line(struct shell *sh, const char *msg)
{
	if (out_add(&sh->out, msg, strlen(msg)) != 0 || out_add(&sh->out, "\n", 1) != 0)
		printf("%s\n", msg);
}

/* stdout failed (EPIPE, ENOSPC...): remember why and stop reading. */
static void note_output_failure(struct shell *sh)
{
	if (!sh->output_failed)
		sh->output_errno = errno;
	sh->output_failed = 1;
	sh->done = 1;
}

/* Write the staged replies to stdout and empty the buffer. */
static void flush_out(struct shell *sh)
{
	if ((sh->out.len && fwrite(sh->out.data, 1, sh->out.len, stdout) != sh->out.len) ||
	    fflush(stdout) != 0)
		note_output_failure(sh);
	sh->out.len = 0;
}

/* Print a batch-level error now (stdout, as statement errors). */
static void print_error(struct shell *sh, const char *msg)
{
	printf("%s\n", msg);
	if (fflush(stdout) != 0)
		note_output_failure(sh);
}

/* Start a transaction. */
static void batch_begin(struct shell *sh)
{
	struct rowfs_err err = { 0 };

	sh->out.len = 0;
	if (rowfs_begin(sh->db, &err) != ROWFS_OK) {
		print_error(sh, err.msg);
		sh->any_failed = 1;
		sh->batch = BATCH_ABORTED;
		return;
	}
	sh->batch = BATCH_ACTIVE;
}

/* 1 for the codes after which the transaction must be rolled back. */
static int is_fatal(int rc)
{
	return rc == ROWFS_IOERR || rc == ROWFS_NOMEM || rc == ROWFS_CORRUPT || rc == ROWFS_FULL;
}

/* Run one line (without its newline) in the open batch. */
static void batch_line(struct shell *sh, const char *line, size_t len)
{
	struct rowfs_err err = { 0 };
	struct rowfs_err rerr = { 0 };
	int rc;

	if (sh->batch != BATCH_ACTIVE)
		return;
	rc = rowfs_exec(sh->db, line, len, stage_reply, &sh->out, &err);
	if (rc == ROWFS_OK)
		return;
	if (rc == ROWFS_EXIT) {
		sh->batch = BATCH_EXITED;
		return;
	}
	sh->any_failed = 1;
	if (!is_fatal(rc)) {
		stage_line(sh, err.msg);
		return;
	}
	rowfs_rollback(sh->db, &rerr);
	sh->out.len = 0;
	print_error(sh, err.msg);
	sh->batch = BATCH_ABORTED;
}

/* Commit the batch and write its replies. */
static void batch_end(struct shell *sh)
{
	struct rowfs_err err = { 0 };
	enum batch_state state = sh->batch;

	sh->batch = BATCH_NONE;
	if (state == BATCH_ABORTED || state == BATCH_NONE)
		return;
	if (rowfs_commit(sh->db, &err) != ROWFS_OK) {
		sh->out.len = 0;
		print_error(sh, err.msg);
		sh->any_failed = 1;
	} else {
		flush_out(sh);
	}
	if (state == BATCH_EXITED)
		sh->done = 1;
}

/* Keep the start of a line that spans chunks, at most LINE_KEEP bytes. */
static void pending_add(struct shell *sh, const char *data, size_t len)
{
	size_t room = LINE_KEEP - sh->pending_len;

	if (len > room)
		len = room;
	memcpy(sh->pending + sh->pending_len, data, len);
	sh->pending_len += len;
}

/* All lines completed by one chunk of input: one transaction. */
static void run_chunk(struct shell *sh, const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n, *nl;

	nl = memchr(p, '\n', n);
	if (!nl) {
		pending_add(sh, p, n);
		return;
	}
	batch_begin(sh);
	if (sh->pending_len) {
		pending_add(sh, p, (size_t)(nl - p));
		batch_line(sh, sh->pending, sh->pending_len);
		sh->pending_len = 0;
	} else {
		batch_line(sh, p, (size_t)(nl - p));
	}
	p = nl + 1;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		batch_line(sh, p, (size_t)(nl - p));
		p = nl + 1;
	}
	batch_end(sh);
	pending_add(sh, p, (size_t)(end - p));
}

/* Read a non-terminal stdin to the end (or `.exit`). */
static void run_stream(struct shell *sh)
{
	char *buf = malloc(CHUNK_SIZE);
	ssize_t n;

	if (!buf) {
		fprintf(stderr, "rowsh: out of memory\n");
		sh->any_failed = 1;
		return;
	}
	while (!sh->done && !stop_requested) {
		n = read(STDIN_FILENO, buf, CHUNK_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "rowsh: read from standard input: %s\n", strerror(errno));
			sh->any_failed = 1;
			break;
		}
		if (n == 0) {
			if (sh->pending_len) {
				batch_begin(sh);
				batch_line(sh, sh->pending, sh->pending_len);
				sh->pending_len = 0;
				batch_end(sh);
			}
			break;
		}
		run_chunk(sh, buf, (size_t)n);
	}
	free(buf);
}

/*
 * Next line from the terminal, without its newline, malloc'd, its length in
 * *len; NULL at end of input.
 */
static char *read_terminal_line(size_t *len)
{
#ifdef HAVE_LIBEDIT
	char *line = readline(PROMPT);

	if (!line)
		return NULL;
	if (line[strspn(line, " \t")] != '\0')
		add_history(line);
	*len = strlen(line);
	return line;
#else
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	fputs(PROMPT, stdout);
	fflush(stdout);
	n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	*len = (size_t)n;
	return line;
#endif
}

/* The interactive loop: one transaction per line. */
static void run_terminal(struct shell *sh)
{
	size_t len = 0;
	char *line;

	while (!sh->done) {
		line = read_terminal_line(&len);
		if (!line) {
			putchar('\n');
			break;
		}
		batch_begin(sh);
		batch_line(sh, line, len);
		batch_end(sh);
		free(line);
	}
	fflush(stdout);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: rowsh [options] DBFILE\n"
		"\n"
		"Run statements read from standard input, one per line, on DBFILE\n"
		"(created if missing).  Prompts with '" PROMPT "' on a terminal.\n"
		"\n"
		"options:\n"
		"  -o sync=full|normal|off, --sync=MODE\n"
		"                        when commits are fsynced (default full)\n"
		"  -o cache_pages=N, --cache-pages=N\n"
		"                        page cache size in pages (default %u)\n"
		"  -o ro, --read-only    open read-only (inserts fail)\n"
		"  -h, --help            show this help and exit\n"
		"  -V, --version         show the version and exit\n"
		"\n"
		"statements: insert ID USERNAME, select, .btree, .constants, .stats,\n"
		".checkpoint, .exit.  See rowsh(1).\n",
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

enum { OPT_SYNC = 256, OPT_CACHE_PAGES, OPT_READ_ONLY };

/* Fill cfg from argv; returns -1 to exit 0 (help/version), 0, or an exit status. */
static int parse_args(int argc, char **argv, struct rowfs_config *cfg)
{
	static const struct option longopts[] = {
		{ "sync", required_argument, NULL, OPT_SYNC },
		{ "cache-pages", required_argument, NULL, OPT_CACHE_PAGES },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			rc = parse_o(optarg, cfg);
			break;
		case OPT_SYNC:
			rc = parse_sync(optarg, cfg);
			break;
		case OPT_CACHE_PAGES:
			rc = parse_cache_pages(optarg, cfg);
			break;
		case OPT_READ_ONLY:
			rc = set_read_only(cfg, 1);
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
				rc = usage_error("unknown option '%s'", argv[optind - 1]);
			break;
		}
		if (rc)
			return rc;
	}
	if (optind >= argc)
		return usage_error("missing DBFILE");
	if (optind + 1 < argc)
		return usage_error("too many arguments: '%s'", argv[optind + 1]);
	cfg->path = argv[optind];
	return 0;
}

/* Stop cleanly (commit, checkpoint, unlock) on the usual signals. */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;   /* no SA_RESTART: a blocked read returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int main(int argc, char **argv)
{
	struct rowfs_config cfg;
	struct rowfs_err err = { 0 };
	struct shell sh;
	int interactive, status = 0, rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.sync = ROWFS_SYNC_FULL;
	rc = parse_args(argc, argv, &cfg);
	if (rc < 0)
		return fflush(stdout) == 0 ? 0 : 1;
	if (rc > 0)
		return rc;

	signal(SIGPIPE, SIG_IGN);
	memset(&sh, 0, sizeof(sh));
	if (rowfs_open(&cfg, &sh.db, &err) != ROWFS_OK) {
		fprintf(stderr, "rowsh: %s\n", err.msg);
		return 1;
	}

	interactive = isatty(STDIN_FILENO);
	if (interactive) {
		run_terminal(&sh);
	} else {
		catch_signals();
		run_stream(&sh);
		if (sh.any_failed)
			status = 1;
	}
	if (sh.output_failed) {
		/* A reader that went away (`rowsh db | head`) needs no message. */
		if (sh.output_errno != EPIPE)
			fprintf(stderr, "rowsh: write to standard output: %s\n",
				strerror(sh.output_errno));
		status = 1;
	}

	if (rowfs_close(sh.db, &err) != ROWFS_OK) {
		fprintf(stderr, "rowsh: %s\n", err.msg);
		status = 1;
	}
	free(sh.out.data);
	return status;
}
