/*
 * stmtjoin.h - SQL statements over several lines, as sqlite3 joins them
 * (CONTRACT.md Part 2): a line that starts an SQL statement the engine
 * finds unfinished (rowfs_complete() is 0) begins a statement that the
 * next lines continue until one ends with ';' outside a quoted literal.
 * stmtjoin.c states the rules; rowsh(1) documents them.
 */
#ifndef ROWFS_SRC_STMTJOIN_H
#define ROWFS_SRC_STMTJOIN_H

#include <stddef.h>

#include "rowfs.h"

/* Where the statement being joined stands: outside or inside a literal. */
enum stmtjoin_quote {
	STMTJOIN_QUOTE_NONE = 0,   /* outside any quoted literal */
	STMTJOIN_QUOTE_PLAIN,      /* inside '...' or x'...' ('' is a quote) */
	STMTJOIN_QUOTE_ESCAPED     /* inside E'...' (backslash escapes, '' is a quote) */
};

/* A statement being joined; {0} is none. */
struct stmtjoin {
	char *text;                  /* the lines so far, joined by blanks, without comments */
	size_t len;                  /* bytes used (at most STMTJOIN_KEEP) */
	size_t cap;                  /* bytes allocated */
	int active;                  /* a statement is being joined */
	int lost;                    /* text could not grow: the statement fails */
	enum stmtjoin_quote quote;   /* lexer state at the end of text */
};

/* What to do with a line (stmtjoin_line). */
enum stmtjoin_action {
	STMTJOIN_RUN_LINE = 0,   /* the line is a statement of its own: run it as it is */
	STMTJOIN_WAIT,           /* the line began or continued a statement: read on */
	STMTJOIN_RUN_JOINED      /* the line ended the statement: run stmtjoin_text() */
};

/*
 * Bytes kept of a joined statement: the engine's longest line plus a '\r'
 * plus one, so a statement cut there is still "line too long".
 */
#define STMTJOIN_KEEP (ROWFS_LINE_MAX + 2u)

/*
 * stmtjoin_line - take one input line (no newline; a final '\r' is
 * dropped).  After STMTJOIN_RUN_JOINED run the text, then
 * stmtjoin_reset().
 */
enum stmtjoin_action stmtjoin_line(struct stmtjoin *j, const char *line, size_t len);

/*
 * stmtjoin_text - the joined statement, *len its length; NULL when memory
 * ran out while joining (the statement then fails: "Error: out of
 * memory").
 */
const char *stmtjoin_text(const struct stmtjoin *j, size_t *len);

/* stmtjoin_reset - forget the statement (run, or cancelled by Ctrl-C). */
void stmtjoin_reset(struct stmtjoin *j);

/* stmtjoin_release - free j's memory. */
void stmtjoin_release(struct stmtjoin *j);

/* stmtjoin_word_is - 1 if word[0..len) is kw (lower case), ASCII case-insensitively. */
int stmtjoin_word_is(const char *word, size_t len, const char *kw);

#endif /* ROWFS_SRC_STMTJOIN_H */
