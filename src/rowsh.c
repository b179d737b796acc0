/*
 * rowsh.c - the rowfs REPL: main(), options, the line loop.
 *
 * Owns: the command line of rowsh(1), the prompt and line editing on a
 * terminal, the batching of piped input into transactions, the exit
 * status, and the output modes of `select` (below).  Everything else about
 * statements is the engine's (rowfs.h); this file moves lines in and
 * replies out.
 *
 * Transactions (rowfs.h, "Units": each batch is a unit of the engine's
 * write transaction, begun at the batch's start and committed at its end,
 * or kept for the next batch while an explicit transaction is open in it):
 *   - On a terminal every line is its own transaction.
 *   - Otherwise stdin is read in chunks of up to CHUNK_SIZE bytes, and all
 *     the lines completed by one chunk are one transaction (one WAL frame,
 *     one fsync with sync=full).  Replies are staged and written to stdout
 *     only after the commit succeeded.  A statement error (token, parse,
 *     duplicate, ...) is staged as its own line and the batch goes on,
 *     since such a statement changes nothing.  An I/O, memory, corruption,
 *     disk-full or internal error (rowfs_rc_is_fatal) rolls the batch
 *     back: its staged replies are dropped, the error is printed, and the
 *     next chunk starts a new transaction (the engine recovers when it
 *     begins).
 *   - `begin`, `commit` and `rollback` end what the chunk ran before them
 *     (the engine commits it, or ends the explicit transaction): the
 *     replies staged so far are final and written at once, so an I/O
 *     error later in the chunk drops only the replies after them.  An
 *     explicit transaction spans chunks; end of input and `.exit` roll an
 *     open one back (rowfs_txn_abort), as sqlite3 does.
 *   - `.exit` commits what came before it and stops; so does end of input.
 *     A last line without a newline runs at end of input.
 *
 * Long lines: a line inside one chunk goes to the engine as it is, whatever
 * its length.  A line that spans chunks is kept in a buffer that grows with
 * it; once it passes LINE_KEEP bytes the rest of it is dropped, which the
 * engine then reports as "Parse error: line too long" (memory stays
 * bounded).  If the buffer cannot grow, the line fails with "Error: out of
 * memory" when it ends (it never runs cut short).
 *
 * Output modes (`.mode list|csv|json|box`, rowsh's own meta-command; it
 * never reaches the engine): list is the engine's text, "(1, alice)".  In
 * the other modes every statement runs through rowfs_exec_sink(), so a
 * select of any table comes typed (column names, then rows of struct
 * rowfs_value) and is formatted here: csv (a header of the column names,
 * RFC 4180 quoting, LF line ends; NULL an empty unquoted field, an empty
 * text "", a blob \x + hex), json (an array of objects keyed by column
 * name, as sqlite3's json mode, `[]` without rows; NULL null, numbers as
 * numbers, a blob the string "\\x" + hex as rows.ndjson writes it), box
 * (sqlite3's box drawing, values as list mode prints them: NULL, x'..';
 * column widths come from the data, so its cells are kept; csv and json go
 * straight to the reply buffer).  Reals print as the engine prints them
 * (rowfs_format_real).  Every other statement's reply is the engine's text
 * in every mode.  `.mode` alone prints the current mode.
 *
 * Statements over several lines (sqlite3's habit, CONTRACT.md Part 2): a
 * line that starts an SQL statement the engine finds unfinished
 * (rowfs_complete() is 0: the grammar needs more where the line ends, as
 * in "create table t (" or "select *") starts a statement that the next
 * lines continue, until one ends with ';' (the last non-blank byte before
 * its comment, outside a quoted literal) or input ends.  The lines are
 * joined with one blank each, without their `--` comments and the blanks
 * at their ends (outside literals), and the whole runs as one statement
 * (error positions count in that joined text), in the batch of the chunk
 * where it ends.  So a complete line never waits for another: the seed's
 * statements, meta-commands, a statement with an error before its end, a
 * line ending in ';' or inside a quoted literal all run as before, and so
 * does every complete SQL statement with or without its ';'.  A literal
 * left open at the end of a continued line goes on in the next one after
 * a blank (E'\n' writes a line break).  The joined text is kept up to
 * LINE_KEEP bytes; past that the rest is dropped, which the engine
 * reports as "line too long".  At end of input an unfinished statement
 * runs as it is.  On a terminal the prompt of a continued line is
 * CONT_PROMPT.
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
 * Bytes kept of a line that spans chunks: the engine's longest line (4 MiB,
 * CONTRACT.md) plus a '\r' plus one, so a cut line is still too long.  The
 * buffer starts at PENDING_MIN bytes and doubles; past PENDING_KEEP it is
 * freed once its line has run.
 */
#define LINE_KEEP (ROWFS_LINE_MAX + 2u)
#define PENDING_MIN 256u
#define PENDING_KEEP (64u * 1024u)

#define PROMPT "db > "
#define CONT_PROMPT "   ...> "

/* Exit statuses. */
#define EXIT_USAGE 2

/* Bytes of an unknown mode's name quoted in the error. */
#define MODE_NAME_SHOWN 64u

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

/* How select results are printed (`.mode`). */
enum out_mode {
	MODE_LIST = 0,     /* the engine's "(1, alice)" lines */
	MODE_CSV,          /* id,username header and rows, RFC 4180 */
	MODE_JSON,         /* [{"id":1,"username":"alice"},...] */
	MODE_BOX           /* sqlite3's box drawing */
};

static const char *const mode_names[] = { "list", "csv", "json", "box" };

/* Where the statement being joined stands: outside or inside a literal. */
enum quote_state {
	QUOTE_NONE = 0,    /* outside any quoted literal */
	QUOTE_PLAIN,       /* inside '...' or x'...' ('' is a quote) */
	QUOTE_ESCAPED      /* inside E'...' (backslash escapes, '' is a quote) */
};

/* An SQL statement joined from several lines (see the top comment). */
struct joined {
	char *text;              /* the lines so far, joined by blanks, without comments (malloc'd) */
	size_t len;              /* bytes used (at most LINE_KEEP) */
	size_t cap;              /* bytes allocated */
	int active;              /* a statement is being joined */
	int lost;                /* text could not grow: the statement fails */
	enum quote_state quote;  /* lexer state at the end of text */
};

/* The shell. */
struct shell {
	struct rowfs_db *db;           /* the open database */
	struct rowfs_txn *txn;         /* the write transaction of the batch (kept across
					  batches while an explicit transaction is open) */
	struct outbuf out;             /* staged replies */
	struct joined join;            /* statement over several lines */
	enum batch_state batch;        /* current batch */
	int any_failed;                /* a statement or a batch failed */
	int done;                      /* stop reading input */
	int output_failed;             /* writing stdout failed */
	int output_errno;              /* errno of that failure */
	char *pending;                 /* start of a line that spans chunks (malloc'd) */
	size_t pending_len;            /* bytes in pending (LINE_KEEP: cut) */
	size_t pending_cap;            /* bytes allocated (at most LINE_KEEP) */
	int pending_lost;              /* pending could not grow: the line fails */
	enum out_mode mode;            /* `.mode` */
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
	if (len > SIZE_MAX - out->len ||
	    rowfs_buf_grow(&out->data, &out->cap, out->len + len, 4096, SIZE_MAX) != 0)
		return -1;
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
	if (!sh->txn && rowfs_txn_begin(sh->db, 0, &sh->txn, &err) != ROWFS_OK) {
		print_error(sh, err.msg);
		sh->any_failed = 1;
		sh->batch = BATCH_ABORTED;
		return;
	}
	sh->batch = BATCH_ACTIVE;
}

/* ---- output modes ------------------------------------------------------- */

/* 1 if c is a blank between tokens. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* 1 if word[0..len) equals kw (lower case), ASCII case-insensitively. */
static int word_is(const char *word, size_t len, const char *kw)
{
	size_t i;

	if (len != strlen(kw))
		return 0;
	for (i = 0; i < len; i++) {
		char c = word[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != kw[i])
			return 0;
	}
	return 1;
}

/* A blank-separated token of a line. */
struct word {
	const char *text;  /* start (points into the line) */
	size_t len;        /* bytes */
	size_t pos;        /* 0-based offset in the line */
};

/* Split line[0..len) into at most max tokens; returns how many were found (up to max + 1). */
static size_t split_words(const char *line, size_t len, struct word *words, size_t max)
{
	size_t i = 0, n = 0;

	while (i < len) {
		size_t start;

		while (i < len && is_blank(line[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !is_blank(line[i]))
			i++;
		if (n < max) {
			words[n].text = line + start;
			words[n].len = i - start;
			words[n].pos = start;
		}
		n++;
		if (n > max)
			break;
	}
	return n;
}

/* Drop one final '\r' (CRLF input), as the engine does. */
static size_t drop_cr(const char *line, size_t len)
{
	return len > 0 && line[len - 1] == '\r' ? len - 1 : len;
}

/* Terminal columns of code point c: 0 for combining marks, 2 for wide (East Asian) ones. */
static int char_width(uint32_t c)
{
	static const uint32_t zero[][2] = {
		{ 0x0300, 0x036F }, { 0x0483, 0x0489 }, { 0x0591, 0x05BD }, { 0x0610, 0x061A },
		{ 0x064B, 0x065F }, { 0x0E31, 0x0E31 }, { 0x0E34, 0x0E3A }, { 0x1AB0, 0x1AFF },
		{ 0x1DC0, 0x1DFF }, { 0x200B, 0x200F }, { 0x20D0, 0x20FF }, { 0xFE00, 0xFE0F },
		{ 0xFE20, 0xFE2F },
	};
	static const uint32_t wide[][2] = {
		{ 0x1100, 0x115F }, { 0x231A, 0x231B }, { 0x2329, 0x232A }, { 0x23E9, 0x23EC },
		{ 0x2E80, 0x303E }, { 0x3041, 0x33FF }, { 0x3400, 0x4DBF }, { 0x4E00, 0x9FFF },
		{ 0xA000, 0xA4CF }, { 0xA960, 0xA97F }, { 0xAC00, 0xD7A3 }, { 0xF900, 0xFAFF },
		{ 0xFE10, 0xFE19 }, { 0xFE30, 0xFE6F }, { 0xFF00, 0xFF60 }, { 0xFFE0, 0xFFE6 },
		{ 0x1F300, 0x1F64F }, { 0x1F900, 0x1F9FF }, { 0x20000, 0x2FFFD },
		{ 0x30000, 0x3FFFD },
	};
	size_t i;

	for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (c >= zero[i][0] && c <= zero[i][1])
			return 0;
	for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (c >= wide[i][0] && c <= wide[i][1])
			return 2;
	return 1;
}

/* Display width of text[0..len) (an invalid byte counts as one column). */
static size_t text_width(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, width = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = rowfs_utf8_sequence_len(p + i, len - i, &cp);

		if (n == 0) {
			width++;
			i++;
		} else {
			width += (size_t)char_width(cp);
			i += n;
		}
	}
	return width;
}

/* Box-drawing characters (UTF-8) of the box mode. */
#define BOX_H  "\xe2\x94\x80"   /* U+2500 ─ */
#define BOX_V  "\xe2\x94\x82"   /* U+2502 │ */
#define BOX_TL "\xe2\x94\x8c"   /* U+250C ┌ */
#define BOX_TR "\xe2\x94\x90"   /* U+2510 ┐ */
#define BOX_BL "\xe2\x94\x94"   /* U+2514 └ */
#define BOX_BR "\xe2\x94\x98"   /* U+2518 ┘ */
#define BOX_LT "\xe2\x94\x9c"   /* U+251C ├ */
#define BOX_RT "\xe2\x94\xa4"   /* U+2524 ┤ */
#define BOX_TT "\xe2\x94\xac"   /* U+252C ┬ */
#define BOX_BT "\xe2\x94\xb4"   /* U+2534 ┴ */
#define BOX_X  "\xe2\x94\xbc"   /* U+253C ┼ */

/*
 * A select's result being rendered in csv, json or box: the context of
 * the struct rowfs_sink that rowfs_exec_sink fills (see the top of the
 * file for each mode's rendering).
 */
struct fmt {
	struct shell *sh;      /* where the text goes (sh->out) */
	int started;           /* the columns came: a select's result is under way */
	unsigned ncols;        /* its columns */
	char **names;          /* their names (copies), ncols of them */
	uint64_t rows;         /* rows seen */
	int failed;            /* staging ran out of memory */
	/* box mode: every cell's text, kept until the column widths are known */
	struct outbuf cells;   /* the cells' texts back to back, row by row */
	size_t *cell_end;      /* end offset in cells of each cell */
	size_t cell_count;     /* cells kept */
	size_t cell_cap;       /* room in cell_end */
};

/* Stage text; remember a failure. */
static void fmt_add(struct fmt *f, const char *text, size_t len)
{
	if (!f->failed && out_add(&f->sh->out, text, len) != 0)
		f->failed = 1;
}

static void fmt_str(struct fmt *f, const char *text)
{
	fmt_add(f, text, strlen(text));
}

/*
 * A text field in CSV: quoted (quotes doubled) when it holds , " CR or LF
 * (RFC 4180), and when it is empty, so that it differs from NULL (an
 * empty unquoted field).
 */
static void csv_field(struct fmt *f, const char *text, size_t len)
{
	size_t i, start = 0;
	int quote = len == 0;

	for (i = 0; i < len; i++)
		if (text[i] == ',' || text[i] == '"' || text[i] == '\r' || text[i] == '\n')
			quote = 1;
	if (!quote) {
		fmt_add(f, text, len);
		return;
	}
	fmt_add(f, "\"", 1);
	for (i = 0; i < len; i++) {
		if (text[i] == '"') {
			fmt_add(f, text + start, i + 1 - start);   /* through the quote */
			fmt_add(f, "\"", 1);                        /* doubled */
			start = i + 1;
		}
	}
	fmt_add(f, text + start, len - start);
	fmt_add(f, "\"", 1);
}

/*
 * A JSON string: '"' and '\' escaped, bytes below 0x20 and 0x7F as \u00XX,
 * valid UTF-8 as it is, and a byte that is not valid UTF-8 (the engine
 * never stores one: a damaged file) as \ufffd, so the output stays valid
 * JSON whatever is stored (as the mount's rows.ndjson).
 */
static void json_string(struct fmt *f, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, start = 0;
	char esc[8];

	fmt_add(f, "\"", 1);
	while (i < len) {
		uint32_t cp;
		size_t n = rowfs_utf8_sequence_len(p + i, len - i, &cp);

		if (n > 1 || (n == 1 && cp >= 0x20 && cp != '"' && cp != '\\' && cp != 0x7F)) {
			i += n;
			continue;
		}
		fmt_add(f, text + start, i - start);
		if (n == 0)
			snprintf(esc, sizeof(esc), "\\ufffd");
		else if (cp == '"' || cp == '\\')
			snprintf(esc, sizeof(esc), "\\%c", (char)cp);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
		fmt_str(f, esc);
		start = ++i;
	}
	fmt_add(f, text + start, len - start);
	fmt_add(f, "\"", 1);
}

/* The decimal text of an integer or real value into buf (40 bytes); its length. */
static size_t number_text(const struct rowfs_value *v, char *buf)
{
	if (v->type == ROWFS_TYPE_REAL)
		return rowfs_format_real(v->r, buf);
	return (size_t)snprintf(buf, 40, "%" PRId64, v->i);
}

/* Append prefix, then the lower-case hex of a blob's bytes, then suffix. */
static void hex_text(struct fmt *f, const char *prefix, const struct rowfs_value *v,
		     const char *suffix, struct outbuf *to)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = v->p;
	char pair[2];
	size_t i;

	if (!f->failed && out_add(to, prefix, strlen(prefix)) != 0)
		f->failed = 1;
	for (i = 0; i < v->len && !f->failed; i++) {
		pair[0] = hex[p[i] >> 4];
		pair[1] = hex[p[i] & 15];
		if (out_add(to, pair, 2) != 0)
			f->failed = 1;
	}
	if (!f->failed && out_add(to, suffix, strlen(suffix)) != 0)
		f->failed = 1;
}

/* One value as a CSV field: NULL empty, numbers, text per csv_field, blob \x + hex. */
static void csv_value(struct fmt *f, const struct rowfs_value *v)
{
	char num[40];

	switch (v->type) {
	case ROWFS_TYPE_NULL:
		break;
	case ROWFS_TYPE_TEXT:
		csv_field(f, v->p, v->len);
		break;
	case ROWFS_TYPE_BLOB:
		hex_text(f, "\\x", v, "", &f->sh->out);
		break;
	default:
		fmt_add(f, num, number_text(v, num));
		break;
	}
}

/* One value in JSON: null, numbers, text as a string, blob as the string "\x" + hex. */
static void json_value(struct fmt *f, const struct rowfs_value *v)
{
	char num[40];

	switch (v->type) {
	case ROWFS_TYPE_NULL:
		fmt_str(f, "null");
		break;
	case ROWFS_TYPE_TEXT:
		json_string(f, v->p, v->len);
		break;
	case ROWFS_TYPE_BLOB:
		hex_text(f, "\"\\\\x", v, "\"", &f->sh->out);
		break;
	default:
		fmt_add(f, num, number_text(v, num));
		break;
	}
}

/* One value as a box cell, kept: as list mode prints it (NULL, numbers, text, x'..'). */
static void box_keep(struct fmt *f, const struct rowfs_value *v)
{
	char num[40];

	if (f->cell_count == f->cell_cap) {
		size_t cap = f->cell_cap ? f->cell_cap * 2 : 256;
		size_t *ends = realloc(f->cell_end, cap * sizeof(*ends));

		if (!ends) {
			f->failed = 1;
			return;
		}
		f->cell_end = ends;
		f->cell_cap = cap;
	}
	switch (v->type) {
	case ROWFS_TYPE_NULL:
		f->failed |= out_add(&f->cells, "NULL", 4) != 0;
		break;
	case ROWFS_TYPE_TEXT:
		f->failed |= out_add(&f->cells, v->p, v->len) != 0;
		break;
	case ROWFS_TYPE_BLOB:
		hex_text(f, "x'", v, "'", &f->cells);
		break;
	default:
		f->failed |= out_add(&f->cells, num, number_text(v, num)) != 0;
		break;
	}
	f->cell_end[f->cell_count++] = f->cells.len;
}

/* rowfs_sink.columns: a result begins; csv's header, the names kept. */
static int fmt_columns(void *ctx, const char *const *names, unsigned n)
{
	struct fmt *f = ctx;
	unsigned i;

	f->names = calloc(n ? n : 1, sizeof(*f->names));
	if (!f->names)
		return 1;
	f->ncols = n;
	f->started = 1;
	for (i = 0; i < n; i++) {
		f->names[i] = strdup(names[i]);
		if (!f->names[i])
			return 1;
		if (f->sh->mode == MODE_CSV) {
			if (i)
				fmt_add(f, ",", 1);
			csv_field(f, names[i], strlen(names[i]));
		}
	}
	if (f->sh->mode == MODE_CSV)
		fmt_add(f, "\n", 1);
	return f->failed;
}

/* rowfs_sink.row: csv and json straight into the reply buffer, box kept. */
static int fmt_row(void *ctx, const struct rowfs_value *vals, unsigned n)
{
	struct fmt *f = ctx;
	unsigned i;

	for (i = 0; i < n && i < f->ncols; i++) {
		if (f->sh->mode == MODE_BOX) {
			box_keep(f, &vals[i]);
		} else if (f->sh->mode == MODE_CSV) {
			if (i)
				fmt_add(f, ",", 1);
			csv_value(f, &vals[i]);
		} else {
			fmt_str(f, i ? "," : f->rows == 0 ? "[{" : ",\n{");
			json_string(f, f->names[i], strlen(f->names[i]));
			fmt_add(f, ":", 1);
			json_value(f, &vals[i]);
		}
	}
	if (f->sh->mode == MODE_CSV)
		fmt_add(f, "\n", 1);
	else if (f->sh->mode == MODE_JSON)
		fmt_add(f, n ? "}" : "{}", n ? 1 : 2);
	f->rows++;
	return f->failed;
}

/* A box rule: left, then per column width + 2 times '─', separated by mid, then right. */
static void box_rule(struct fmt *f, const char *left, const char *mid, const char *right,
		     const size_t *widths)
{
	size_t c, i;

	fmt_str(f, left);
	for (c = 0; c < f->ncols; c++) {
		if (c > 0)
			fmt_str(f, mid);
		for (i = 0; i < widths[c] + 2; i++)
			fmt_str(f, BOX_H);
	}
	fmt_str(f, right);
	fmt_add(f, "\n", 1);
}

/*
 * Text inside a box: valid printable UTF-8 as it is; a control byte or a
 * byte that is not valid UTF-8 (a damaged file) as U+FFFD, one column
 * wide like the byte it replaces in text_width(), so the box stays whole.
 */
static void box_text(struct fmt *f, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, start = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = rowfs_utf8_sequence_len(p + i, len - i, &cp);

		if (n > 1 || (n == 1 && cp >= 0x20 && cp != 0x7F)) {
			i += n;
			continue;
		}
		fmt_add(f, text + start, i - start);
		fmt_str(f, "\xef\xbf\xbd");
		start = ++i;
	}
	fmt_add(f, text + start, len - start);
}

/* One cell: text of the given display width, padded to the column's width. */
static void box_cell(struct fmt *f, const char *text, size_t len, size_t width, size_t col,
		     int centered)
{
	size_t pad = col - width, left = centered ? pad / 2 : 0, i;

	fmt_str(f, BOX_V " ");
	for (i = 0; i < left; i++)
		fmt_add(f, " ", 1);
	box_text(f, text, len);
	for (i = left; i < pad; i++)
		fmt_add(f, " ", 1);
	fmt_add(f, " ", 1);
}

/* Start offset in f->cells of cell k. */
static size_t cell_start(const struct fmt *f, size_t k)
{
	return k ? f->cell_end[k - 1] : 0;
}

/* The kept rows as a box, sqlite3-style: headers centered, values left-aligned. */
static void box_render(struct fmt *f)
{
	size_t *widths = calloc(f->ncols ? f->ncols : 1, sizeof(*widths));
	size_t k, c;

	if (!widths) {
		f->failed = 1;
		return;
	}
	for (c = 0; c < f->ncols; c++)
		widths[c] = text_width(f->names[c], strlen(f->names[c]));
	for (k = 0; k < f->cell_count; k++) {
		size_t w = text_width(f->cells.data + cell_start(f, k),
				      f->cell_end[k] - cell_start(f, k));

		if (w > widths[k % f->ncols])
			widths[k % f->ncols] = w;
	}
	box_rule(f, BOX_TL, BOX_TT, BOX_TR, widths);
	for (c = 0; c < f->ncols; c++) {
		size_t len = strlen(f->names[c]);

		box_cell(f, f->names[c], len, text_width(f->names[c], len), widths[c], 1);
	}
	fmt_str(f, BOX_V "\n");
	if (f->cell_count > 0)
		box_rule(f, BOX_LT, BOX_X, BOX_RT, widths);
	for (k = 0; k < f->cell_count; k++) {
		const char *text = f->cells.data + cell_start(f, k);
		size_t len = f->cell_end[k] - cell_start(f, k);

		box_cell(f, text, len, text_width(text, len), widths[k % f->ncols], 0);
		if (k % f->ncols == f->ncols - 1)
			fmt_str(f, BOX_V "\n");
	}
	box_rule(f, BOX_BL, BOX_BT, BOX_BR, widths);
	free(widths);
}

/* Free what a rendering kept. */
static void fmt_release(struct fmt *f)
{
	unsigned i;

	for (i = 0; f->names && i < f->ncols; i++)
		free(f->names[i]);
	free(f->names);
	free(f->cells.data);
	free(f->cell_end);
}

/*
 * One statement in the open batch.  In list mode the engine's text; in
 * csv, json and box a select's result comes typed (rowfs_exec_sink) and
 * is rendered here, staged like any reply; every other statement's reply
 * stays the engine's text.  Returns the engine's code (err filled;
 * ROWFS_NOMEM when staging failed).  A failed select stages nothing.
 */
static int exec_statement(struct shell *sh, const char *line, size_t len, struct rowfs_err *err)
{
	struct rowfs_sink sink = { fmt_columns, fmt_row, NULL };
	size_t mark = sh->out.len;
	struct fmt f;
	int rc;

	if (sh->mode == MODE_LIST)
		return rowfs_exec(sh->txn, line, len, stage_reply, &sh->out, err);
	memset(&f, 0, sizeof(f));
	f.sh = sh;
	sink.ctx = &f;
	rc = rowfs_exec_sink(sh->txn, line, len, &sink, stage_reply, &sh->out, err);
	if (rc == ROWFS_OK && f.started) {
		if (sh->mode == MODE_JSON)
			fmt_str(&f, f.rows ? "]\n" : "[]\n");
		else if (sh->mode == MODE_BOX && f.ncols > 0)
			box_render(&f);
		if (f.failed)
			rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	}
	if (rc != ROWFS_OK && f.started)
		sh->out.len = mark;
	fmt_release(&f);
	return rc;
}

/*
 * Stage `msg` with the bytes of arg that a terminal shows safely (printable
 * ASCII and valid UTF-8; others as \xNN), at most MODE_NAME_SHOWN of them.
 */
static void stage_unknown_mode(struct shell *sh, const char *arg, size_t len)
{
	const unsigned char *p = (const unsigned char *)arg;
	char text[64 + MODE_NAME_SHOWN * 4];
	size_t at, i = 0;

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
	snprintf(text + at, sizeof(text) - at, "\" (list, csv, json, box)");
	stage_line(sh, text);
}

/*
 * `.mode [NAME]`, rowsh's own meta-command.  Returns 0 if the line is not
 * one (the engine runs it), 1 if it ran, -1 if it failed (message staged).
 */
static int run_mode(struct shell *sh, const char *line, size_t len)
{
	struct word w[3];
	size_t n, i;
	char text[96];

	len = drop_cr(line, len);
	for (i = 0; i < len && is_blank(line[i]); i++)
		;
	if (i == len || line[i] != '.')
		return 0;   /* no meta-command: spares the scans below on every statement */
	if (len > ROWFS_LINE_MAX || memchr(line, '\0', len) != NULL)
		return 0;   /* the engine's "line too long" / "NUL byte" */
	n = split_words(line, len, w, 3);
	if (n == 0 || !word_is(w[0].text, w[0].len, ".mode"))
		return 0;
	if (n == 1) {
		snprintf(text, sizeof(text), "current output mode: %s", mode_names[sh->mode]);
		stage_line(sh, text);
		return 1;
	}
	if (n > 2) {
		/* the engine's text for an extra token */
		const char *t = w[2].text;
		size_t k = t[0] == '-' ? 1 : 0;
		int digits = k < w[2].len;

		for (i = k; i < w[2].len; i++)
			digits &= t[i] >= '0' && t[i] <= '9';
		snprintf(text, sizeof(text),
			 "Parse error: Expected end of line, got %s at position %zu",
			 digits ? "INTEGER" : "STRING", w[2].pos);
		stage_line(sh, text);
		return -1;
	}
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (word_is(w[1].text, w[1].len, mode_names[i])) {
			sh->mode = (enum out_mode)i;
			return 1;
		}
	}
	stage_unknown_mode(sh, w[1].text, w[1].len);
	return -1;
}

/*
 * A fatal error ended the batch: roll it back, unless an explicit
 * transaction is open in it (the engine rolled that back already and left
 * it FAILED: it goes on until `rollback`).
 */
static void batch_rollback(struct shell *sh)
{
	if (!sh->txn || rowfs_txn_state(sh->txn) != ROWFS_TXN_NONE)
		return;
	rowfs_txn_abort(sh->txn);
	sh->txn = NULL;
}

/* Run one statement (a line without its newline, or a joined one) in the open batch. */
static void run_line(struct shell *sh, const char *line, size_t len)
{
	struct rowfs_err err = { 0 };
	uint64_t marks;
	int rc;

	if (sh->batch != BATCH_ACTIVE)
		return;
	switch (run_mode(sh, line, len)) {
	case 1:
		return;
	case -1:
		sh->any_failed = 1;
		return;
	}
	marks = rowfs_txn_boundaries(sh->txn);
	rc = exec_statement(sh, line, len, &err);
	if (rc == ROWFS_OK) {
		if (rowfs_txn_boundaries(sh->txn) != marks)
			flush_out(sh);   /* begin/commit/rollback: the lines so far are final */
		return;
	}
	if (rc == ROWFS_EXIT) {
		sh->batch = BATCH_EXITED;
		return;
	}
	sh->any_failed = 1;
	if (!rowfs_rc_is_fatal(rc)) {
		stage_line(sh, err.msg);
		return;
	}
	batch_rollback(sh);
	sh->out.len = 0;
	print_error(sh, err.msg);
	sh->batch = BATCH_ABORTED;
}

/*
 * The end of a batch in the write transaction (rowfs.h, "Units"): commit
 * it, unless an explicit transaction is open in it, which goes on into
 * the next batch.
 */
static int batch_commit(struct shell *sh, struct rowfs_err *err)
{
	int rc;

	if (!sh->txn || rowfs_txn_state(sh->txn) != ROWFS_TXN_NONE)
		return ROWFS_OK;
	rc = rowfs_txn_commit(sh->txn, err);
	sh->txn = NULL;
	return rc;
}

/* ---- statements over several lines ------------------------------------- */

/* 1 if c may be part of a word (the byte before E of E'...' must not be). */
static int is_word_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* 1 if line[0..len) holds "--" anywhere (a comment may begin there). */
static int has_dashes(const char *line, size_t len)
{
	const char *p = line, *end = line + len;

	while ((p = memchr(p, '-', (size_t)(end - p))) != NULL && p + 1 < end) {
		if (p[1] == '-')
			return 1;
		p += 2;
	}
	return 0;
}

/* What scan_line() found in a line. */
struct line_scan {
	size_t keep;             /* bytes before its comment */
	enum quote_state quote;  /* lexer state there (in: at the line's start) */
	int semi;                /* the last non-blank byte there is a ';' outside literals */
	int depth;               /* '(' minus ')' outside literals */
	int values;              /* the word `values` outside literals at depth 0 */
	char last;               /* the last non-blank byte outside literals, or 0 */
};

/* 1 if line[i..len) starts with the word `values` (any case) after a non-word byte. */
static int values_at(const char *line, size_t i, size_t len)
{
	return (i == 0 || !is_word_byte(line[i - 1])) && len - i >= 6 &&
	       word_is(line + i, 6, "values") && (len - i == 6 || !is_word_byte(line[i + 6]));
}

/*
 * Scan line[0..len) (no '\r' at its end) starting in state sc->quote: the
 * length of the line without its comment ("--" at the start or after a
 * blank, outside a literal), the state at that point, whether the
 * statement ends there with a ';', and what is_whole_insert() needs.
 */
static void scan_line(const char *line, size_t len, struct line_scan *sc)
{
	size_t i;

	sc->semi = 0;
	sc->depth = 0;
	sc->values = 0;
	sc->last = 0;
	for (i = 0; i < len; i++) {
		char c = line[i];

		if (sc->quote == QUOTE_PLAIN && c != '\'') {
			const char *q = memchr(line + i, '\'', len - i);   /* most bytes are text */

			if (!q) {
				i = len;
				break;
			}
			i = (size_t)(q - line);
			c = '\'';
		}
		if (sc->quote != QUOTE_NONE) {
			if (sc->quote == QUOTE_ESCAPED && c == '\\' && i + 1 < len)
				i++;   /* \' and \\ stay inside */
			else if (c == '\'' && i + 1 < len && line[i + 1] == '\'')
				i++;   /* '' is a quote */
			else if (c == '\'')
				sc->quote = QUOTE_NONE;
			continue;
		}
		if (c == '-' && i + 1 < len && line[i + 1] == '-' && (i == 0 || is_blank(line[i - 1])))
			break;
		if (is_blank(c))
			continue;
		sc->last = c;
		if (c == '\'')
			sc->quote = i > 0 && (line[i - 1] == 'E' || line[i - 1] == 'e') &&
					    (i == 1 || !is_word_byte(line[i - 2]))
				    ? QUOTE_ESCAPED : QUOTE_PLAIN;
		else if (c == '(')
			sc->depth++;
		else if (c == ')')
			sc->depth--;
		else if ((c == 'v' || c == 'V') && sc->depth == 0 && values_at(line, i, len))
			sc->values = 1;
	}
	sc->keep = i;
	sc->semi = sc->last == ';' && sc->quote == QUOTE_NONE;
}

/*
 * 1 for `insert into ... values (...)` with its parentheses closed and a
 * ')' at its end: complete (or wrong before its end) without asking the
 * engine, which would parse the line once more (bulk loads without ';').
 */
static int is_whole_insert(const char *line, size_t len, const struct line_scan *sc)
{
	struct word w[2];

	return sc->last == ')' && sc->depth == 0 && sc->values && sc->quote == QUOTE_NONE &&
	       split_words(line, len, w, 2) >= 2 && word_is(w[0].text, w[0].len, "insert") &&
	       word_is(w[1].text, w[1].len, "into");
}

/* Append text to the joined statement, up to LINE_KEEP bytes in all. */
static void join_add(struct joined *j, const char *text, size_t len)
{
	if (j->lost)
		return;
	if (len > LINE_KEEP - j->len)
		len = LINE_KEEP - j->len;   /* the engine will say "line too long" */
	if (len == 0)
		return;
	if (rowfs_buf_grow(&j->text, &j->cap, j->len + len, 256, LINE_KEEP) != 0) {
		j->lost = 1;
		return;
	}
	memcpy(j->text + j->len, text, len);
	j->len += len;
}

/* Run the joined statement in the open batch and forget it. */
static void join_run(struct shell *sh)
{
	struct joined *j = &sh->join;

	if (j->lost) {
		stage_line(sh, "Error: out of memory");
		sh->any_failed = 1;
	} else {
		run_line(sh, j->text, j->len);
	}
	j->active = 0;
	j->lost = 0;
	j->len = 0;
	j->quote = QUOTE_NONE;
	if (j->cap > CHUNK_SIZE) {
		free(j->text);
		j->text = NULL;
		j->cap = 0;
	}
}

/*
 * One input line (without its newline) in the open batch: it runs, starts
 * a statement over several lines, or continues the one being joined.
 */
static void batch_line(struct shell *sh, const char *line, size_t len)
{
	struct joined *j = &sh->join;
	size_t clean = drop_cr(line, len), keep, start;
	struct line_scan sc;

	if (sh->batch != BATCH_ACTIVE)
		return;
	keep = clean;
	while (keep > 0 && is_blank(line[keep - 1]))
		keep--;
	if (!j->active && keep > 0 && line[keep - 1] == ';' && !has_dashes(line, keep)) {
		run_line(sh, line, len);   /* ends with ';' (or inside a literal): runs alone */
		return;
	}
	sc.quote = j->quote;
	scan_line(line, clean, &sc);
	keep = sc.keep;
	if (!j->active) {
		if (sc.semi || sc.quote != QUOTE_NONE || clean > ROWFS_LINE_MAX ||
		    is_whole_insert(line, clean, &sc) || rowfs_complete(line, clean)) {
			run_line(sh, line, len);
			return;
		}
		while (keep > 0 && is_blank(line[keep - 1]))
			keep--;
		j->active = 1;
		join_add(j, line, keep);
		j->quote = sc.quote;
		return;
	}
	start = 0;
	if (j->quote == QUOTE_NONE)   /* blanks inside a literal are its own */
		while (start < keep && is_blank(line[start]))
			start++;
	if (sc.quote == QUOTE_NONE)
		while (keep > start && is_blank(line[keep - 1]))
			keep--;
	if (keep > start) {
		join_add(j, " ", 1);
		join_add(j, line + start, keep - start);
	}
	j->quote = sc.quote;
	if (sc.semi)
		join_run(sh);
}

/* Commit the batch and write its replies. */
static void batch_end(struct shell *sh)
{
	struct rowfs_err err = { 0 };
	enum batch_state state = sh->batch;

	sh->batch = BATCH_NONE;
	if (state == BATCH_ABORTED || state == BATCH_NONE)
		return;
	if (batch_commit(sh, &err) != ROWFS_OK) {
		sh->out.len = 0;
		print_error(sh, err.msg);
		sh->any_failed = 1;
	} else {
		flush_out(sh);
	}
	if (state == BATCH_EXITED)
		sh->done = 1;
}

/* End of input: a statement still being joined runs as it is, in a batch of its own. */
static void join_finish(struct shell *sh)
{
	if (!sh->join.active || sh->done || stop_requested)
		return;
	batch_begin(sh);
	if (sh->batch == BATCH_ACTIVE)
		join_run(sh);
	batch_end(sh);
}

/* Keep the start of a line that spans chunks, at most LINE_KEEP bytes. */
static void pending_add(struct shell *sh, const char *data, size_t len)
{
	size_t room = LINE_KEEP - sh->pending_len;

	if (len > room)
		len = room;
	if (sh->pending_lost || len == 0)
		return;
	if (rowfs_buf_grow(&sh->pending, &sh->pending_cap, sh->pending_len + len, PENDING_MIN,
			   LINE_KEEP) != 0) {
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

/* Run the line kept in pending as one statement of the batch, then forget it. */
static void run_pending(struct shell *sh)
{
	if (sh->pending_lost) {
		if (sh->batch == BATCH_ACTIVE)
			stage_line(sh, "Error: out of memory");
		sh->any_failed = 1;
	} else {
		batch_line(sh, sh->pending, sh->pending_len);
	}
	sh->pending_len = 0;
	sh->pending_lost = 0;
	if (sh->pending_cap > PENDING_KEEP) {
		free(sh->pending);
		sh->pending = NULL;
		sh->pending_cap = 0;
	}
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
	if (has_pending(sh)) {
		pending_add(sh, p, (size_t)(nl - p));
		run_pending(sh);
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
			if (has_pending(sh)) {
				batch_begin(sh);
				run_pending(sh);
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
static char *read_terminal_line(const char *prompt, size_t *len)
{
#ifdef HAVE_LIBEDIT
	char *line = readline(prompt);

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

	fputs(prompt, stdout);
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
		line = read_terminal_line(sh->join.active ? CONT_PROMPT : PROMPT, &len);
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
		"(created if missing); an unfinished SQL statement goes on over the\n"
		"next lines until a ';'.  Prompts with '" PROMPT "' on a terminal.\n"
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
		"statements: insert ID USERNAME, update ID USERNAME, delete ID, select,\n"
		"create table, drop table, insert into, select ... from, update ... set,\n"
		"delete from, begin, commit, rollback, .tables, .schema [T], .btree,\n"
		".constants, .stats, .checkpoint, .exit, and rowsh's own\n"
		".mode list|csv|json|box.  See rowsh(1).\n",
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
		join_finish(&sh);
	} else {
		catch_signals();
		run_stream(&sh);
		join_finish(&sh);
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

	rowfs_txn_abort(sh.txn);   /* an open explicit transaction is rolled back, as sqlite3 does */
	if (rowfs_close(sh.db, &err) != ROWFS_OK) {
		fprintf(stderr, "rowsh: %s\n", err.msg);
		status = 1;
	}
	free(sh.out.data);
	free(sh.pending);
	free(sh.join.text);
	return status;
}
