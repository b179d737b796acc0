/*
 * shell.c - rowsh's statement loop (shell.h).
 *
 * Units (conn.h; rowfs.h, "Units"):
 *   - On a terminal every line is its own unit.
 *   - Otherwise stdin is read in chunks of up to CHUNK_SIZE bytes, and all
 *     the lines completed by one chunk are one unit (a file: one
 *     transaction, one WAL frame, one fsync with sync=full; a client: one
 *     write() to ctl, or a few).  Replies are staged in sh->out and written
 *     to stdout when the unit ends (a file: once the commit succeeded).  A
 *     statement error (token, parse, duplicate, ...) is staged as its own
 *     line and the unit goes on, since such a statement changes nothing.
 *     An I/O, memory, corruption, disk-full or internal error
 *     (rowfs_rc_is_fatal) ends the unit: a file rolls it back and drops
 *     its staged replies, the error is printed, and the next chunk starts
 *     a new unit.
 *   - `begin`, `commit` and `rollback` end what the unit ran before them:
 *     its staged replies are final and written at once.  An explicit
 *     transaction spans units; end of input, `.exit` and `.quit` roll an
 *     open one back, as sqlite3 does.
 *   - `.exit` and `.quit` end the unit (committing it) and stop; so does
 *     end of input.  A last line without a newline runs at end of input.
 *   - -cmd texts and statement arguments are a unit each.
 *
 * Long lines: a line inside one chunk goes to the engine as it is, whatever
 * its length.  A line that spans chunks is kept in a buffer that grows with
 * it; once it passes STMTJOIN_KEEP bytes the rest of it is dropped, which
 * the engine then reports as "Parse error: line too long" (memory stays
 * bounded).  If the buffer cannot grow, the line fails with "Error: out of
 * memory" when it ends (it never runs cut short).  Statements over several
 * lines: stmtjoin.c; the joined statement runs in the unit of the chunk
 * where it ends, and an error in it is "near" the line where it began.
 *
 * Errors: every error text goes to stdout in its place among the replies
 * (CONTRACT.md Part 1: "errors on stdout, as in the tutorials").  Reading
 * a stream (not a terminal, not arguments), each is also written to stderr
 * as sqlite3 does in batch mode: "Error near line N: TEXT".  With -bail a
 * failure outside a terminal stops the shell after committing what came
 * before it in the unit (statement arguments always stop, as sqlite3's).
 *
 * rowsh's own meta-commands (never sent to the engine): `.mode [MODE]`,
 * `.help [WORD]`, `.quit`, `.import FILE TABLE`, and for a client `.exit`
 * (a mount's ctl ignores it).  They end with their line; a final ';' and
 * a `--` comment are dropped; a word may be quoted with ' or ".
 */
#include <config.h>
#include "shell.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "import.h"
#include "lineedit.h"
#include "stmtjoin.h"

/* Bytes read from a non-terminal stdin at a time: one unit at most. */
#define CHUNK_SIZE (64u * 1024u)

/* A line that spans chunks: its buffer starts at PENDING_MIN bytes; past PENDING_KEEP it is
 * freed once its line has run. */
#define PENDING_MIN 256u
#define PENDING_KEEP (64u * 1024u)

#define PROMPT "db > "
#define CONT_PROMPT "   ...> "

/* Bytes of an unknown mode's name quoted in the error. */
#define MODE_NAME_SHOWN 64u

/* Words of a meta-command line looked at. */
#define META_WORDS 4u

/* State of one unit. */
enum unit_state {
	UNIT_NONE,         /* no unit open */
	UNIT_ACTIVE,       /* lines run */
	UNIT_EXITED,       /* `.exit`, `.quit` or -bail: commit, then stop */
	UNIT_ABORTED       /* fatal error: rolled back, remaining lines skipped */
};

struct shell {
	struct conn *conn;             /* where statements run */
	struct outbuf out;             /* staged replies of the unit */
	struct stmtjoin join;          /* an SQL statement over several lines */
	uint64_t join_line;            /* the line where it began */
	enum unit_state unit;          /* the unit under way */
	enum outfmt_mode mode;         /* `.mode` */
	int bail;                      /* -bail */
	int stop_on_error;             /* a failure stops the shell (-bail, arguments) */
	int errors_to_stderr;          /* copy errors to stderr as "Error near line N: " */
	int count_failures;            /* a failure makes the exit status 1 */
	int any_failed;                /* a statement or a unit failed */
	int done;                      /* stop reading input */
	int output_failed;             /* writing stdout failed */
	int output_errno;              /* errno of that failure */
	uint64_t line_no;              /* lines of the stream read so far */
	char *pending;                 /* start of a line that spans chunks (malloc'd) */
	size_t pending_len;            /* bytes in pending (STMTJOIN_KEEP: cut) */
	size_t pending_cap;            /* bytes allocated (at most STMTJOIN_KEEP) */
	int pending_lost;              /* pending could not grow: the line fails */
};

/* Set by SIGINT/SIGTERM/SIGHUP when reading a stream: stop after the unit. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* ---- output ----------------------------------------------------------------- */

/* stdout failed (EPIPE, ENOSPC...): remember why and stop reading. */
static void note_output_failure(struct shell *sh)
{
	if (!sh->output_failed)
		sh->output_errno = errno;
	sh->output_failed = 1;
	sh->done = 1;
}

/* Stage a message line (text plus newline); on failure write it at once. */
static void stage_line(struct shell *sh, const char *msg)
{
	if (outbuf_add(&sh->out, msg, strlen(msg)) != 0 || outbuf_add(&sh->out, "\n", 1) != 0)
		printf("%s\n", msg);
}

/* Write the staged replies to stdout and empty the buffer. */
static void flush_out(struct shell *sh)
{
	if ((sh->out.len && fwrite(sh->out.data, 1, sh->out.len, stdout) != sh->out.len) ||
	    fflush(stdout) != 0)
		note_output_failure(sh);
	sh->out.len = 0;
}

/* Print an error now (stdout, as statement errors), the staged replies dropped before. */
static void print_error(struct shell *sh, const char *msg)
{
	printf("%s\n", msg);
	if (fflush(stdout) != 0)
		note_output_failure(sh);
}

/* The error's copy on stderr in batch mode, with the line of its statement. */
static void error_near(const struct shell *sh, uint64_t line, const char *msg)
{
	if (sh->errors_to_stderr)
		fprintf(stderr, "Error near line %llu: %s\n", (unsigned long long)line, msg);
}

/* A failure was reported: count it, and stop if -bail (or arguments) say so. */
static void after_failure(struct shell *sh)
{
	sh->any_failed = 1;
	if (!sh->stop_on_error)
		return;
	if (sh->unit == UNIT_ACTIVE)
		sh->unit = UNIT_EXITED;   /* what came before is committed, as after .exit */
	sh->done = 1;
}

/* A failure that changes nothing (a statement error): staged in its place. */
static void report_failure(struct shell *sh, uint64_t line, const char *msg)
{
	stage_line(sh, msg);
	error_near(sh, line, msg);
	after_failure(sh);
}

/*
 * A statement (of input line `line`) failed with rc.  A fatal error ends
 * the unit: a file rolls it back (its staged replies dropped, the error
 * printed at once); a client's staged replies are final and stay before
 * it.  Returns 1 when the statements after it are not to run (the unit
 * ended or the shell stops).
 */
static int statement_failed(struct shell *sh, uint64_t line, int rc, const struct rowfs_err *err)
{
	if (!rowfs_rc_is_fatal(rc)) {
		report_failure(sh, line, err->msg);
	} else {
		if (conn_is_client(sh->conn)) {
			stage_line(sh, err->msg);
		} else {
			conn_unit_rollback(sh->conn);
			sh->out.len = 0;
			print_error(sh, err->msg);
		}
		error_near(sh, line, err->msg);
		sh->unit = UNIT_ABORTED;
		after_failure(sh);
	}
	if (conn_lost(sh->conn))
		sh->done = 1;
	return sh->unit != UNIT_ACTIVE || sh->done;
}

/* conn_output.failed: a client's queued statement failed. */
static int on_failed(void *ctx, uint64_t tag, int rc, const struct rowfs_err *err)
{
	return statement_failed(ctx, tag, rc, err);
}

/* ---- meta-commands of rowsh's own --------------------------------------------- */

/* 1 if c is a blank between tokens. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A word of a meta-command line. */
struct word {
	const char *text;  /* start (in the line; a quoted word without its quotes) */
	size_t len;        /* bytes */
	size_t pos;        /* 0-based offset in the line */
};

/*
 * Split a meta-command line into words: blank-separated, a word opening
 * with ' or " running to the same quote (dropped); a word opening with
 * "--" starts a comment; a ';' at the very end (outside quotes) is
 * dropped.  Fills at most max words; returns how many were found (up to
 * max + 1).
 */
static size_t meta_words(const char *line, size_t len, struct word *words, size_t max)
{
	size_t i = 0, n = 0, end = len;

	while (end > 0 && (is_blank(line[end - 1]) || line[end - 1] == '\r'))
		end--;
	while (i < end) {
		struct word w;

		while (i < end && is_blank(line[i]))
			i++;
		if (i == end || (line[i] == '-' && i + 1 < end && line[i + 1] == '-'))
			break;
		w.pos = i;
		if (line[i] == '\'' || line[i] == '"') {
			const char *q = memchr(line + i + 1, line[i], end - i - 1);

			w.text = line + i + 1;
			w.len = q ? (size_t)(q - w.text) : end - i - 1;
			i = q ? (size_t)(q - line) + 1 : end;
		} else {
			w.text = line + i;
			while (i < end && !is_blank(line[i]))
				i++;
			w.len = (size_t)(line + i - w.text);
			if (i == end && w.len > 0 && w.text[w.len - 1] == ';')
				w.len--;   /* the final ';' */
			if (w.len == 0)
				break;
		}
		if (n < max)
			words[n] = w;
		if (++n > max)
			break;
	}
	return n;
}

/* The engine's text for a word after a complete command: "Expected end of line". */
static void extra_word(struct shell *sh, uint64_t line, const struct word *w)
{
	size_t k = w->text[0] == '-' ? 1 : 0, i;
	int digits = k < w->len;
	char text[96];

	for (i = k; i < w->len; i++)
		digits &= w->text[i] >= '0' && w->text[i] <= '9';
	snprintf(text, sizeof(text), "Parse error: Expected end of line, got %s at position %zu",
		 digits ? "INTEGER" : "STRING", w->pos);
	report_failure(sh, line, text);
}

/*
 * "Error: unknown mode "x" (list, ...)" with the bytes of the name that a
 * terminal shows safely (printable ASCII and valid UTF-8; others as \xNN),
 * at most MODE_NAME_SHOWN of them.
 */
static void unknown_mode(struct shell *sh, uint64_t line, const char *arg, size_t len)
{
	const unsigned char *p = (const unsigned char *)arg;
	char text[96 + MODE_NAME_SHOWN * 4];
	size_t at, i = 0, m;

	at = (size_t)snprintf(text, sizeof(text), "Error: unknown mode \"");
	while (i < len && i < MODE_NAME_SHOWN) {
		uint32_t cp;
		size_t n = rowfs_utf8_sequence_len(p + i, len - i, &cp);

		if (n > 1 || (n == 1 && cp >= 0x20 && cp < 0x7F)) {
			memcpy(text + at, arg + i, n);
			at += n;
			i += n;
		} else {
			at += (size_t)snprintf(text + at, sizeof(text) - at, "\\x%02X", p[i]);
			i++;
		}
	}
	if (i < len)
		at += (size_t)snprintf(text + at, sizeof(text) - at, "...");
	at += (size_t)snprintf(text + at, sizeof(text) - at, "\" (");
	for (m = 0; m < OUTFMT_COUNT; m++)
		at += (size_t)snprintf(text + at, sizeof(text) - at, "%s%s", m ? ", " : "",
				       outfmt_names[m]);
	snprintf(text + at, sizeof(text) - at, ")");
	report_failure(sh, line, text);
}

/* `.mode [NAME]`. */
static void run_mode(struct shell *sh, uint64_t line, const struct word *w, size_t n)
{
	char text[96];
	int mode;

	if (n == 1) {
		snprintf(text, sizeof(text), "current output mode: %s", outfmt_names[sh->mode]);
		stage_line(sh, text);
		return;
	}
	if (n > 2) {
		extra_word(sh, line, &w[2]);
		return;
	}
	mode = outfmt_lookup(w[1].text, w[1].len);
	if (mode < 0) {
		unknown_mode(sh, line, w[1].text, w[1].len);
		return;
	}
	if (mode != OUTFMT_LIST && conn_is_client(sh->conn)) {
		snprintf(text, sizeof(text),
			 "Error: mode %s needs typed results: rowsh MNT prints list mode only",
			 outfmt_names[mode]);
		report_failure(sh, line, text);
		return;
	}
	sh->mode = (enum outfmt_mode)mode;
}

/* The meta-commands, for .help: rowsh's own and the engine's. */
static const char *const help_lines[] = {
	".btree                 print the users table's B-tree",
	".checkpoint            copy the committed changes into the database file",
	".constants             print the engine's constants",
	".exit                  stop (an open transaction is rolled back)",
	".help [WORD]           this list, or its commands that start with WORD",
	".import FILE TABLE     insert the CSV or NDJSON rows of FILE, in one transaction",
	".mode [MODE]           how select prints rows: list, csv, json, box, line",
	".quit                  stop, as .exit",
	".schema [TABLE]        print the create statements",
	".stats                 print the engine's statistics",
	".tables                print the tables' names",
};

/* `.help [WORD]`. */
static void run_help(struct shell *sh, uint64_t line, const struct word *w, size_t n)
{
	size_t i, shown = 0;

	if (n > 2) {
		extra_word(sh, line, &w[2]);
		return;
	}
	for (i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++) {
		const char *name = help_lines[i] + 1;

		if (n == 2) {
			const char *want = w[1].text[0] == '.' ? w[1].text + 1 : w[1].text;
			size_t len = w[1].text[0] == '.' ? w[1].len - 1 : w[1].len;

			if (strncmp(name, want, len) != 0)
				continue;
		}
		stage_line(sh, help_lines[i]);
		shown++;
	}
	if (n == 1)
		stage_line(sh, "Statements: insert ID NAME, select, update ID NAME, delete ID, "
			       "begin, commit, rollback, and SQL (see rowsh(1)).");
	else if (!shown)
		report_failure(sh, line, "Error: no such meta-command");
}

/* A copy of a word as a C string (NULL when memory runs out). */
static char *word_dup(const struct word *w)
{
	char *s = malloc(w->len + 1);

	if (s) {
		memcpy(s, w->text, w->len);
		s[w->len] = '\0';
	}
	return s;
}

/* `.import FILE TABLE`. */
static void run_import(struct shell *sh, uint64_t line, const struct word *w, size_t n)
{
	struct rowfs_err err = { 0 };
	char *file, *table;
	uint64_t rows, marks = conn_boundaries(sh->conn);
	int rc;

	if (n < 3) {
		report_failure(sh, line, "Error: usage: .import FILE TABLE");
		return;
	}
	if (n > 3) {
		extra_word(sh, line, &w[3]);
		return;
	}
	file = word_dup(&w[1]);
	table = word_dup(&w[2]);
	if (!file || !table) {
		rowfs_err_set(&err, ROWFS_NOMEM, ENOMEM, "Error: out of memory");
		rc = ROWFS_NOMEM;
	} else {
		rc = import_run(sh->conn, file, table, isatty(STDERR_FILENO), &rows, &err);
	}
	free(file);
	free(table);
	if (conn_boundaries(sh->conn) != marks)
		flush_out(sh);   /* its `begin` committed the lines before it: final */
	if (rc != ROWFS_OK)
		statement_failed(sh, line, rc, &err);
}

/* rowsh's meta-commands. */
enum meta { META_NONE = 0, META_MODE, META_HELP, META_QUIT, META_IMPORT };

/* Which of rowsh's meta-commands words[0] names (.exit only for a client). */
static enum meta meta_of(const struct shell *sh, const struct word *w)
{
	if (stmtjoin_word_is(w->text, w->len, ".mode"))
		return META_MODE;
	if (stmtjoin_word_is(w->text, w->len, ".help"))
		return META_HELP;
	if (stmtjoin_word_is(w->text, w->len, ".quit") ||
	    (conn_is_client(sh->conn) && stmtjoin_word_is(w->text, w->len, ".exit")))
		return META_QUIT;
	if (stmtjoin_word_is(w->text, w->len, ".import"))
		return META_IMPORT;
	return META_NONE;
}

/* Run the line if it is one of rowsh's meta-commands; 1 if it was. */
static int run_meta(struct shell *sh, const char *line, size_t len, uint64_t tag)
{
	struct word w[META_WORDS];
	struct rowfs_err err;
	size_t i, n;
	enum meta meta;

	for (i = 0; i < len && is_blank(line[i]); i++)
		;
	if (i == len || line[i] != '.')
		return 0;   /* no meta-command: spares the scans below on every statement */
	if (len > ROWFS_LINE_MAX || memchr(line, '\0', len) != NULL)
		return 0;   /* the engine's "line too long" / "NUL byte" */
	n = meta_words(line, len, w, META_WORDS);
	if (n == 0 || (meta = meta_of(sh, &w[0])) == META_NONE)
		return 0;
	if (conn_flush(sh->conn, &err) != ROWFS_OK || sh->unit != UNIT_ACTIVE)
		return 1;   /* what was queued before it failed and ended the unit */
	switch (meta) {
	case META_MODE:
		run_mode(sh, tag, w, n);
		break;
	case META_HELP:
		run_help(sh, tag, w, n);
		break;
	case META_QUIT:
		if (n > 1)
			extra_word(sh, tag, &w[1]);
		else
			sh->unit = UNIT_EXITED;
		break;
	default:
		run_import(sh, tag, w, n);
		break;
	}
	return 1;
}

/* ---- statements --------------------------------------------------------------- */

/*
 * One statement through the connection.  In list mode the engine's text;
 * in the other modes a select's result comes typed and is rendered here,
 * staged like any reply (a failed select stages nothing).
 */
static int exec_statement(struct shell *sh, const char *line, size_t len, uint64_t tag,
			  struct rowfs_err *err)
{
	struct rowfs_sink sink;
	size_t mark = sh->out.len;
	struct outfmt f;
	int rc;

	if (sh->mode == OUTFMT_LIST)
		return conn_exec(sh->conn, line, len, tag, NULL, err);
	outfmt_init(&f, sh->mode, &sh->out);
	outfmt_sink(&f, &sink);
	rc = conn_exec(sh->conn, line, len, tag, &sink, err);
	if (rc == ROWFS_OK && outfmt_finish(&f) != 0)
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "Error: out of memory");
	if (rc != ROWFS_OK && f.started)
		sh->out.len = mark;
	outfmt_release(&f);
	return rc;
}

/* Run one statement (a line without its newline, or a joined one) of input line tag. */
static void run_line(struct shell *sh, const char *line, size_t len, uint64_t tag)
{
	struct rowfs_err err = { 0 };
	uint64_t marks;
	int rc;

	if (sh->unit != UNIT_ACTIVE || run_meta(sh, line, len, tag))
		return;
	marks = conn_boundaries(sh->conn);
	rc = exec_statement(sh, line, len, tag, &err);
	if (rc == ROWFS_OK) {
		if (conn_boundaries(sh->conn) != marks)
			flush_out(sh);   /* begin/commit/rollback: the lines so far are final */
		return;
	}
	if (rc == ROWFS_EXIT) {
		sh->unit = UNIT_EXITED;
		return;
	}
	statement_failed(sh, tag, rc, &err);
}

/* Run the joined statement and forget it. */
static void join_run(struct shell *sh)
{
	size_t len;
	const char *text = stmtjoin_text(&sh->join, &len);

	if (!text)
		report_failure(sh, sh->join_line, "Error: out of memory");
	else
		run_line(sh, text, len, sh->join_line);
	stmtjoin_reset(&sh->join);
}

/*
 * One input line (without its newline) in the open unit: it runs, starts
 * a statement over several lines, or continues the one being joined.
 */
static void unit_line(struct shell *sh, const char *line, size_t len)
{
	sh->line_no++;
	if (sh->unit != UNIT_ACTIVE)
		return;
	if (!sh->join.active)
		sh->join_line = sh->line_no;
	switch (stmtjoin_line(&sh->join, line, len)) {
	case STMTJOIN_RUN_LINE:
		run_line(sh, line, len, sh->line_no);
		break;
	case STMTJOIN_RUN_JOINED:
		join_run(sh);
		break;
	default:
		break;
	}
}

/* ---- units ---------------------------------------------------------------------- */

static void unit_begin(struct shell *sh)
{
	struct rowfs_err err = { 0 };

	sh->out.len = 0;
	if (conn_unit_begin(sh->conn, &err) != ROWFS_OK) {
		print_error(sh, err.msg);
		sh->any_failed = 1;
		sh->unit = UNIT_ABORTED;
		return;
	}
	sh->unit = UNIT_ACTIVE;
}

/* End the unit (commit, or a client's last writes) and write its replies. */
static void unit_end(struct shell *sh)
{
	struct rowfs_err err = { 0 };
	enum unit_state state;

	if (sh->unit == UNIT_NONE)
		return;
	if (sh->unit != UNIT_ABORTED)
		conn_flush(sh->conn, &err);   /* failures come back through on_failed */
	state = sh->unit;
	sh->unit = UNIT_NONE;
	if (state != UNIT_ABORTED && conn_unit_commit(sh->conn, &err) != ROWFS_OK) {
		sh->out.len = 0;
		print_error(sh, err.msg);
		sh->any_failed = 1;
	}
	flush_out(sh);
	if (state == UNIT_EXITED || conn_lost(sh->conn))
		sh->done = 1;
}

/* End of input: a statement still being joined runs as it is, in a unit of its own. */
static void join_finish(struct shell *sh)
{
	if (!sh->join.active)
		return;
	if (sh->done || stop_requested) {
		stmtjoin_reset(&sh->join);
		return;
	}
	unit_begin(sh);
	if (sh->unit == UNIT_ACTIVE)
		join_run(sh);
	else
		stmtjoin_reset(&sh->join);
	unit_end(sh);
}

/* ---- text and streams ----------------------------------------------------------- */

void shell_run_text(struct shell *sh, const char *text, size_t len, int stop_on_error)
{
	const char *p = text, *end = text + len, *nl;

	if (sh->done)
		return;
	sh->stop_on_error = stop_on_error || sh->bail;
	unit_begin(sh);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		unit_line(sh, p, nl ? (size_t)(nl - p) : (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	unit_end(sh);
	join_finish(sh);
	sh->stop_on_error = sh->bail;
}

/* Keep the start of a line that spans chunks, at most STMTJOIN_KEEP bytes. */
static void pending_add(struct shell *sh, const char *data, size_t len)
{
	size_t room = STMTJOIN_KEEP - sh->pending_len;

	if (len > room)
		len = room;
	if (sh->pending_lost || len == 0)
		return;
	if (rowfs_buf_grow(&sh->pending, &sh->pending_cap, sh->pending_len + len, PENDING_MIN,
			   STMTJOIN_KEEP) != 0) {
		sh->pending_lost = 1;
		return;
	}
	memcpy(sh->pending + sh->pending_len, data, len);
	sh->pending_len += len;
}

/* 1 if the start of a line waits in pending (its bytes, or the mark that they were lost). */
static int has_pending(const struct shell *sh)
{
	return sh->pending_len > 0 || sh->pending_lost;
}

/* Run the line kept in pending as one line of the unit, then forget it. */
static void run_pending(struct shell *sh)
{
	if (sh->pending_lost) {
		sh->line_no++;
		if (sh->unit == UNIT_ACTIVE)
			report_failure(sh, sh->line_no, "Error: out of memory");
	} else {
		unit_line(sh, sh->pending, sh->pending_len);
	}
	sh->pending_len = 0;
	sh->pending_lost = 0;
	if (sh->pending_cap > PENDING_KEEP) {
		free(sh->pending);
		sh->pending = NULL;
		sh->pending_cap = 0;
	}
}

/* All lines completed by one chunk of input: one unit. */
static void run_chunk(struct shell *sh, const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n, *nl;

	nl = memchr(p, '\n', n);
	if (!nl) {
		pending_add(sh, p, n);
		return;
	}
	unit_begin(sh);
	if (has_pending(sh)) {
		pending_add(sh, p, (size_t)(nl - p));
		run_pending(sh);
	} else {
		unit_line(sh, p, (size_t)(nl - p));
	}
	p = nl + 1;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		unit_line(sh, p, (size_t)(nl - p));
		p = nl + 1;
	}
	unit_end(sh);
	pending_add(sh, p, (size_t)(end - p));
}

/* Stop cleanly (commit, checkpoint, unlock) on the usual signals. */
static void catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;   /* no SA_RESTART: a blocked read returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void shell_run_stream(struct shell *sh, int fd)
{
	char *buf = malloc(CHUNK_SIZE);
	ssize_t n;

	if (!buf) {
		fprintf(stderr, "rowsh: out of memory\n");
		sh->any_failed = 1;
		return;
	}
	catch_stop_signals();
	sh->errors_to_stderr = 1;
	sh->line_no = 0;
	while (!sh->done && !stop_requested) {
		n = read(fd, buf, CHUNK_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "rowsh: read from standard input: %s\n", strerror(errno));
			sh->any_failed = 1;
			break;
		}
		if (n == 0) {
			if (has_pending(sh)) {
				unit_begin(sh);
				run_pending(sh);
				unit_end(sh);
			}
			break;
		}
		run_chunk(sh, buf, (size_t)n);
	}
	free(buf);
	join_finish(sh);
	sh->errors_to_stderr = 0;
}

/* ---- the terminal ---------------------------------------------------------------- */

/* A Ctrl-C while a statement runs: noted, and nothing else (the statement finishes). */
static void on_sigint_ignored(int sig)
{
	(void)sig;
}

/* Ctrl-C came at the prompt; 1 to leave the shell. */
static int interrupted(struct shell *sh, int had_text)
{
	if (had_text || sh->join.active) {
		stmtjoin_reset(&sh->join);   /* the line (and the statement it was part of) is gone */
		return 0;
	}
	if (conn_txn_open(sh->conn)) {
		fputs("transaction open: .quit or Ctrl-D rolls it back\n", stderr);
		return 0;
	}
	return 1;
}

void shell_run_terminal(struct shell *sh, const char *history)
{
	struct lineedit *le = lineedit_open(history);
	struct sigaction sa;
	const char *line;
	size_t len = 0;
	int had_text;

	if (!le) {
		fprintf(stderr, "rowsh: out of memory\n");
		sh->any_failed = 1;
		return;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint_ignored;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sh->stop_on_error = 0;   /* -bail does nothing on a terminal, as in sqlite3 */
	while (!sh->done) {
		enum lineedit_result r = lineedit_read(le, sh->join.active ? CONT_PROMPT : PROMPT,
						       &line, &len, &had_text);

		if (r == LINEEDIT_EOF) {
			putchar('\n');
			break;
		}
		if (r == LINEEDIT_INTERRUPT) {
			if (interrupted(sh, had_text))
				break;
			continue;
		}
		sh->line_no = 0;
		unit_begin(sh);
		unit_line(sh, line, len);
		unit_end(sh);
	}
	fflush(stdout);
	if (!sh->output_failed && conn_txn_open(sh->conn))
		fputs("open transaction rolled back\n", stderr);
	lineedit_close(le);
}

/* ---- the shell -------------------------------------------------------------------- */

struct shell *shell_new(const struct shell_options *opt)
{
	struct shell *sh = calloc(1, sizeof(*sh));

	if (!sh)
		return NULL;
	sh->mode = opt->mode;
	sh->bail = opt->bail;
	sh->stop_on_error = opt->bail;
	return sh;
}

void shell_output(struct shell *sh, struct conn_output *out)
{
	out->emit = outbuf_emit;
	out->ctx = &sh->out;
	out->failed = on_failed;
	out->failed_ctx = sh;
}

void shell_connect(struct shell *sh, struct conn *c)
{
	sh->conn = c;
}

int shell_done(const struct shell *sh)
{
	return sh->done;
}

void shell_count_failures(struct shell *sh)
{
	sh->count_failures = 1;
}

int shell_free(struct shell *sh)
{
	int status = 0;

	if (!sh)
		return 0;
	if (sh->count_failures && sh->any_failed)
		status = 1;
	if (sh->conn && conn_lost(sh->conn))
		status = 1;
	if (sh->output_failed) {
		/* A reader that went away (`rowsh db | head`) needs no message. */
		if (sh->output_errno != EPIPE)
			fprintf(stderr, "rowsh: write to standard output: %s\n",
				strerror(sh->output_errno));
		status = 1;
	}
	outbuf_release(&sh->out);
	stmtjoin_release(&sh->join);
	free(sh->pending);
	free(sh);
	return status;
}
