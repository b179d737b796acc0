/*
 * stmtjoin.c - SQL statements over several lines (stmtjoin.h).
 *
 * A line that starts an SQL statement the engine finds unfinished
 * (rowfs_complete() is 0: the grammar needs more where the line ends, as
 * in "create table t (" or "select *") starts a statement that the next
 * lines continue, until one ends with ';' (the last non-blank byte before
 * its comment, outside a quoted literal) or input ends.  The lines are
 * joined with one blank each, without their `--` comments and the blanks
 * at their ends (outside literals), and the whole runs as one statement
 * (error positions count in that joined text).  So a complete line never
 * waits for another: the seed's statements, meta-commands, a statement
 * with an error before its end, a line ending in ';' or inside a quoted
 * literal all run as they are, and so does every complete SQL statement
 * with or without its ';'.  A literal left open at the end of a continued
 * line goes on in the next one after a blank (E'\n' writes a line
 * break).  The joined text is kept up to STMTJOIN_KEEP bytes; past that
 * the rest is dropped, which the engine reports as "line too long".
 */
#include <config.h>
#include "stmtjoin.h"

#include <stdlib.h>
#include <string.h>

/* A joined text of more than this many bytes is freed once it ran. */
#define TEXT_KEEP_CAP (64u * 1024u)

/* 1 if c is a blank between tokens. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* 1 if c may be part of a word (the byte before E of E'...' must not be). */
static int is_word_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

int stmtjoin_word_is(const char *word, size_t len, const char *kw)
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
	size_t keep;               /* bytes before its comment */
	enum stmtjoin_quote quote; /* lexer state there (in: at the line's start) */
	int semi;                  /* the last non-blank byte there is a ';' outside literals */
	int depth;                 /* '(' minus ')' outside literals */
	int values;                /* the word `values` outside literals at depth 0 */
	char last;                 /* the last non-blank byte outside literals, or 0 */
};

/* 1 if line[i..len) starts with the word `values` (any case) after a non-word byte. */
static int values_at(const char *line, size_t i, size_t len)
{
	return (i == 0 || !is_word_byte(line[i - 1])) && len - i >= 6 &&
	       stmtjoin_word_is(line + i, 6, "values") && (len - i == 6 || !is_word_byte(line[i + 6]));
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

		if (sc->quote == STMTJOIN_QUOTE_PLAIN && c != '\'') {
			const char *q = memchr(line + i, '\'', len - i);   /* most bytes are text */

			if (!q) {
				i = len;
				break;
			}
			i = (size_t)(q - line);
			c = '\'';
		}
		if (sc->quote != STMTJOIN_QUOTE_NONE) {
			if (sc->quote == STMTJOIN_QUOTE_ESCAPED && c == '\\' && i + 1 < len)
				i++;   /* \' and \\ stay inside */
			else if (c == '\'' && i + 1 < len && line[i + 1] == '\'')
				i++;   /* '' is a quote */
			else if (c == '\'')
				sc->quote = STMTJOIN_QUOTE_NONE;
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
				    ? STMTJOIN_QUOTE_ESCAPED : STMTJOIN_QUOTE_PLAIN;
		else if (c == '(')
			sc->depth++;
		else if (c == ')')
			sc->depth--;
		else if ((c == 'v' || c == 'V') && sc->depth == 0 && values_at(line, i, len))
			sc->values = 1;
	}
	sc->keep = i;
	sc->semi = sc->last == ';' && sc->quote == STMTJOIN_QUOTE_NONE;
}

/* The first two blank-separated words of line[0..len) are `insert into`. */
static int starts_insert_into(const char *line, size_t len)
{
	size_t i = 0, start;

	while (i < len && is_blank(line[i]))
		i++;
	start = i;
	while (i < len && !is_blank(line[i]))
		i++;
	if (!stmtjoin_word_is(line + start, i - start, "insert"))
		return 0;
	while (i < len && is_blank(line[i]))
		i++;
	start = i;
	while (i < len && !is_blank(line[i]))
		i++;
	return stmtjoin_word_is(line + start, i - start, "into");
}

/*
 * 1 for `insert into ... values (...)` with its parentheses closed and a
 * ')' at its end: complete (or wrong before its end) without asking the
 * engine, which would parse the line once more (bulk loads without ';').
 */
static int is_whole_insert(const char *line, size_t len, const struct line_scan *sc)
{
	return sc->last == ')' && sc->depth == 0 && sc->values &&
	       sc->quote == STMTJOIN_QUOTE_NONE && starts_insert_into(line, len);
}

/* Append text to the joined statement, up to STMTJOIN_KEEP bytes in all. */
static void join_add(struct stmtjoin *j, const char *text, size_t len)
{
	if (j->lost)
		return;
	if (len > STMTJOIN_KEEP - j->len)
		len = STMTJOIN_KEEP - j->len;   /* the engine will say "line too long" */
	if (len == 0)
		return;
	if (rowfs_buf_grow(&j->text, &j->cap, j->len + len, 256, STMTJOIN_KEEP) != 0) {
		j->lost = 1;
		return;
	}
	memcpy(j->text + j->len, text, len);
	j->len += len;
}

enum stmtjoin_action stmtjoin_line(struct stmtjoin *j, const char *line, size_t len)
{
	size_t clean = len > 0 && line[len - 1] == '\r' ? len - 1 : len, keep, start;
	struct line_scan sc;

	keep = clean;
	while (keep > 0 && is_blank(line[keep - 1]))
		keep--;
	if (!j->active && keep > 0 && line[keep - 1] == ';' && !has_dashes(line, keep))
		return STMTJOIN_RUN_LINE;   /* ends with ';' (or inside a literal): runs alone */
	sc.quote = j->quote;
	scan_line(line, clean, &sc);
	keep = sc.keep;
	if (!j->active) {
		if (sc.semi || sc.quote != STMTJOIN_QUOTE_NONE || clean > ROWFS_LINE_MAX ||
		    is_whole_insert(line, clean, &sc) || rowfs_complete(line, clean))
			return STMTJOIN_RUN_LINE;
		while (keep > 0 && is_blank(line[keep - 1]))
			keep--;
		j->active = 1;
		join_add(j, line, keep);
		j->quote = sc.quote;
		return STMTJOIN_WAIT;
	}
	start = 0;
	if (j->quote == STMTJOIN_QUOTE_NONE)   /* blanks inside a literal are its own */
		while (start < keep && is_blank(line[start]))
			start++;
	if (sc.quote == STMTJOIN_QUOTE_NONE)
		while (keep > start && is_blank(line[keep - 1]))
			keep--;
	if (keep > start) {
		join_add(j, " ", 1);
		join_add(j, line + start, keep - start);
	}
	j->quote = sc.quote;
	return sc.semi ? STMTJOIN_RUN_JOINED : STMTJOIN_WAIT;
}

const char *stmtjoin_text(const struct stmtjoin *j, size_t *len)
{
	*len = j->len;
	if (j->lost)
		return NULL;
	return j->text ? j->text : "";
}

void stmtjoin_reset(struct stmtjoin *j)
{
	j->active = 0;
	j->lost = 0;
	j->len = 0;
	j->quote = STMTJOIN_QUOTE_NONE;
	if (j->cap > TEXT_KEEP_CAP) {
		free(j->text);
		j->text = NULL;
		j->cap = 0;
	}
}

void stmtjoin_release(struct stmtjoin *j)
{
	free(j->text);
	memset(j, 0, sizeof(*j));
}
