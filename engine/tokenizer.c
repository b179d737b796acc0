/*
 * tokenizer.c - owns the lexical rules of a statement line: which bytes
 * make a word, where a token starts, where a comment starts, and the
 * token-error texts.  Two lexers share them: the seed lexer (tok_line),
 * which reads the statements of Part 1 exactly as before, and the SQL
 * lexer (tok_sql_next) of Part 2's statements.  The parser decides which
 * one reads a line (parser.c, "Dispatch").
 *
 * ---- Where a statement ends (tok_statement_end, every statement) ----
 *
 * One pass over the line: outside a quoted literal, "--" at the start of
 * the line or right after a blank starts a comment that runs to the end
 * of the line; then a ';' that is the last non-blank byte before the
 * comment (or before the end of the line) is dropped.  Quoted literals are
 * followed as the SQL lexer reads them ('...', x'...' and E'...', below),
 * so "select * from t where a = 'x -- y;'" keeps its text.  A seed line
 * cannot hold a quote (it is a bad byte there, reported at or before any
 * comment it would hide), so the same end serves both lexers.
 *
 * ---- The seed lexer (tok_line) ----
 *
 * Input is one line without its newline (the parser has already dropped a
 * trailing '\r' and rejected lines over MAX_LINE_SIZE).  tok_statement,
 * the parser's entry, also ends the statement at a comment or a final ';'
 * in the same pass (a token that starts with "--" starts a comment, since
 * tokens start at the line's start or after a blank; a ';' is a bad byte
 * unless only blanks follow it up to the end or a comment), which is
 * what tok_statement_end finds: a quote is a bad byte here, so it is
 * reported before any comment it could hide.  tok_line reads the whole
 * line as the statement.  The scan is in two passes so that error
 * precedence does not depend on where the statement stops:
 *
 *   1. memchr for NUL over the whole line -> "Parse error: NUL byte"
 *      (ROWFS_SYNTAX).  A NUL anywhere wins over every other error.
 *   2. one left-to-right pass over every byte of the line.  Separators are
 *      ' ' and '\t'.  A word is a maximal run of
 *
 *          A-Z a-z 0-9 _ . -          (ASCII word bytes)
 *          well-formed UTF-8 multi-byte sequences (U+0080..U+10FFFF,
 *          shortest form, no surrogates)
 *
 *      The first byte that is neither a separator nor part of a word is a
 *      token error (ROWFS_TOKEN) at its 0-based offset, even if it comes
 *      after the tokens a statement needs: "insert 1 a@b" and "foo @" are
 *      token errors, never parse errors.  Only the first max tokens are
 *      stored, but the scan always covers the whole line.
 *
 * These are row.c's name characters (row_name_char_len); the byte classes
 * live in a table here so that the hot path of `insert ID NAME` costs one
 * load per ASCII byte (check_tokenizer compares the two for every byte).
 *
 * Ill-formed UTF-8 is reported at the first byte of the ill-formed
 * sequence, i.e. the byte that should have started a character: a stray
 * continuation byte (0x80..0xBF), a byte that never starts a sequence
 * (0xC0, 0xC1, 0xF5..0xFF), or a lead byte whose sequence is overlong,
 * encodes a surrogate (U+D800..U+DFFF), goes past U+10FFFF or is truncated
 * (by the end of the line or by a byte that is not a continuation byte).
 *
 * Token classes: all ASCII digits -> TOK_INTEGER; '-' followed by one or
 * more ASCII digits and nothing else -> TOK_NEGATIVE; any other word ->
 * TOK_WORD.  The tokenizer never converts seed numbers (the parser does,
 * so that "99999999999999999999" is a range error, not a wrapped value).
 *
 * ---- The SQL lexer (tok_sql_next) ----
 *
 * Tokens and errors are listed in tokenizer.h.  The lexer reads one token
 * at a time, as the parser asks; a lexical error anywhere wins over a
 * grammar error, as a bad byte does for the seed forms, so when the
 * grammar fails the parser runs the lexer over the whole statement
 * (tok_sql_check).  Literals are validated here (escapes, UTF-8, hex
 * digits, number syntax and range) and decoded by tok_literal_decode,
 * so the parser only copies bytes.  Reals are converted by strtod, which
 * reads '.' as the decimal point in the C locale (no program of rowfs
 * calls setlocale).
 *
 * No globals; every read is bounded by the line's length.
 */
#include <config.h>
#include "tokenizer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- shared ------------------------------------------------------------ */

/* Byte classes of the seed lexer. */
enum {
	C_BAD = 0,   /* starts no word: a token error */
	C_WORD,      /* ASCII word byte: A-Z a-z 0-9 _ . - */
	C_BLANK,     /* separator: ' ' '\t' */
	C_HIGH       /* 0x80..0xFF: well-formed UTF-8 or a token error */
};

#define W C_WORD
#define H C_HIGH
static const unsigned char seed_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, C_BLANK, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	C_BLANK, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, W, W, 0,
	W, W, W, W, W, W, W, W, W, W, 0, 0, 0, 0, 0, 0,
	0, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W,
	W, W, W, W, W, W, W, W, W, W, W, 0, 0, 0, 0, W,
	0, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W,
	W, W, W, W, W, W, W, W, W, W, W, 0, 0, 0, 0, 0,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
	H, H, H, H, H, H, H, H, H, H, H, H, H, H, H, H,
};
#undef W
#undef H

static int is_separator(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* A byte of an SQL word or number: [A-Za-z0-9_]. */
static int is_sql_word_byte(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

/* The byte c as token errors show it: "@" or "\xC3" (buf: 8 bytes). */
static const char *shown_byte(unsigned char c, char *buf)
{
	if (c > 0x20 && c < 0x7F)
		snprintf(buf, 8, "%c", (char)c);
	else
		snprintf(buf, 8, "\\x%02X", (unsigned)c);
	return buf;
}

/* Fill err with the token error for byte c at pos. */
static int token_error(struct rowfs_err *err, unsigned char c, size_t pos)
{
	char shown[8];

	return rowfs_err_set(err, ROWFS_TOKEN, 0, "Token error: Unexpected character '%s' at position %zu",
			     shown_byte(c, shown), pos);
}

/* ---- where a statement ends -------------------------------------------- */

/*
 * Index of the quote that closes the literal whose opening quote is at q
 * (escapes: E'...', where a backslash takes the next byte), or len when
 * the line ends first.  memchr finds the quotes of a plain literal.
 */
static size_t literal_close(const unsigned char *p, size_t q, size_t len, int escapes)
{
	size_t i = q + 1;

	while (i < len) {
		if (!escapes) {
			const unsigned char *hit = memchr(p + i, '\'', len - i);

			if (!hit)
				return len;
			i = (size_t)(hit - p);
		} else if (p[i] == '\\') {
			i += 2;
			continue;
		} else if (p[i] != '\'') {
			i++;
			continue;
		}
		if (i + 1 < len && p[i + 1] == '\'') {
			i += 2;   /* '' */
			continue;
		}
		return i;
	}
	return len;
}

size_t tok_statement_end(const char *line, size_t len)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t end = len, i;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '\'') {
			int escapes = i >= 1 && (p[i - 1] == 'e' || p[i - 1] == 'E') &&
				      (i == 1 || !is_sql_word_byte(p[i - 2]));

			i = literal_close(p, i, len, escapes);
			if (i >= len)
				return len;   /* unterminated: the lexer reports it */
		} else if (c == '-' && i + 1 < len && p[i + 1] == '-' &&
			   (i == 0 || is_separator(p[i - 1]))) {
			end = i;
			break;
		}
	}
	i = end;
	while (i > 0 && is_separator(p[i - 1]))
		i--;
	if (i > 0 && p[i - 1] == ';')
		return i - 1;
	return end;
}

/* ---- the seed lexer ------------------------------------------------------ */

/*
 * 1 if a ';' just before p[j] ends the statement: only blanks follow it,
 * up to the end of the line or a comment ("--" after a blank).
 */
static int semicolon_ends(const unsigned char *p, size_t j, size_t len)
{
	size_t k = j;

	while (k < len && is_separator(p[k]))
		k++;
	return k == len || (k > j && p[k] == '-' && k + 1 < len && p[k + 1] == '-');
}

/*
 * The seed lexer.  part2: the statement ends at a comment or a final ';'
 * (*end), and the caller has checked for NUL; else the whole line is the
 * statement (tok_line).
 */
static int scan_seed(const char *line, size_t len, struct token *tokens, size_t max, size_t *count,
		     size_t *end, int part2, struct rowfs_err *err)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t filled = 0, stop = len;
	size_t i = 0;

	*count = 0;
	if (!part2 && len > 0 && memchr(line, '\0', len))
		return rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: NUL byte");

	while (i < len) {
		size_t start;
		int digits;   /* the word so far is all ASCII digits */

		if (is_separator(p[i])) {
			i++;
			continue;
		}
		start = i;
		if (part2 && p[i] == '-' && i + 1 < len && p[i + 1] == '-') {
			stop = i;   /* a comment: at the start or after a blank */
			break;
		}
		digits = 1;
		while (i < len) {
			unsigned char c = p[i];

			switch (seed_class[c]) {
			case C_WORD:
				digits &= is_digit(c) || (i == start && c == '-');
				i++;
				continue;
			case C_HIGH: {
				size_t n = utf8_sequence_len(p + i, len - i, NULL);

				if (n == 0)
					return token_error(err, c, i);
				digits = 0;
				i += n;
				continue;
			}
			case C_BLANK:
				break;
			default:
				if (part2 && c == ';' && semicolon_ends(p, i + 1, len)) {
					stop = i;
					break;
				}
				return token_error(err, c, i);
			}
			break;
		}
		if (i > start && filled < max) {
			enum tok_type type = TOK_WORD;

			if (digits && p[start] != '-')
				type = TOK_INTEGER;
			else if (digits && i - start > 1)
				type = TOK_NEGATIVE;
			tokens[filled].type = type;
			tokens[filled].text = line + start;
			tokens[filled].len = i - start;
			tokens[filled].pos = start;
			filled++;
		}
		if (stop != len)
			break;
	}
	if (filled < max) {
		tokens[filled].type = TOK_EOF;
		tokens[filled].text = line ? line + stop : NULL;
		tokens[filled].len = 0;
		tokens[filled].pos = stop;
		filled++;
	}
	*count = filled;
	if (end)
		*end = stop;
	return ROWFS_OK;
}

int tok_line(const char *line, size_t len, struct token *tokens, size_t max, size_t *count,
	     struct rowfs_err *err)
{
	return scan_seed(line, len, tokens, max, count, NULL, 0, err);
}

int tok_statement(const char *line, size_t len, struct token *tokens, size_t max, size_t *count,
		  size_t *end, struct rowfs_err *err)
{
	return scan_seed(line, len, tokens, max, count, end, 1, err);
}

const char *tok_type_name(const struct token *tok)
{
	switch (tok->type) {
	case TOK_EOF:
		return "EOF";
	case TOK_INTEGER:
	case TOK_NEGATIVE:
		return "INTEGER";
	case TOK_WORD:
		return "STRING";
	}
	return "UNKNOWN";
}

/* ---- keywords -------------------------------------------------------------- */

#define KEYWORD_MAX_LEN 7u   /* "between", "default", "integer", "primary" */

/* Return kw from tok_keyword_of if lower[0..len) is the keyword text (lower case). */
#define KW(text, kw)                                                                    \
	do {                                                                            \
		if (len == sizeof(text) - 1 && memcmp(lower, text, sizeof(text) - 1) == 0) \
			return kw;                                                      \
	} while (0)

/*
 * Every keyword, by first letter: a switch and a few compares of known
 * length (check_tokenizer holds it to tok_keyword_text's list).
 */
enum tok_keyword tok_keyword_of(const char *text, size_t len)
{
	char lower[KEYWORD_MAX_LEN];
	size_t i;

	if (len < 2 || len > KEYWORD_MAX_LEN)
		return KW_NONE;
	for (i = 0; i < len; i++) {
		char c = text[i];

		lower[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	switch (lower[0]) {
	case 'a':
		KW("and", KW_AND);
		KW("asc", KW_ASC);
		break;
	case 'b':
		KW("between", KW_BETWEEN);
		KW("blob", KW_BLOB);
		KW("by", KW_BY);
		break;
	case 'c':
		KW("count", KW_COUNT);
		KW("create", KW_CREATE);
		break;
	case 'd':
		KW("default", KW_DEFAULT);
		KW("delete", KW_DELETE);
		KW("desc", KW_DESC);
		KW("drop", KW_DROP);
		break;
	case 'e':
		KW("exists", KW_EXISTS);
		break;
	case 'f':
		KW("from", KW_FROM);
		break;
	case 'i':
		KW("if", KW_IF);
		KW("index", KW_INDEX);
		KW("insert", KW_INSERT);
		KW("integer", KW_INTEGER);
		KW("into", KW_INTO);
		KW("is", KW_IS);
		break;
	case 'k':
		KW("key", KW_KEY);
		break;
	case 'l':
		KW("limit", KW_LIMIT);
		break;
	case 'n':
		KW("not", KW_NOT);
		KW("null", KW_NULL);
		break;
	case 'o':
		KW("offset", KW_OFFSET);
		KW("on", KW_ON);
		KW("order", KW_ORDER);
		break;
	case 'p':
		KW("primary", KW_PRIMARY);
		break;
	case 'r':
		KW("real", KW_REAL);
		break;
	case 's':
		KW("select", KW_SELECT);
		KW("set", KW_SET);
		break;
	case 't':
		KW("table", KW_TABLE);
		KW("text", KW_TEXT);
		break;
	case 'u':
		KW("unique", KW_UNIQUE);
		KW("update", KW_UPDATE);
		break;
	case 'v':
		KW("values", KW_VALUES);
		break;
	case 'w':
		KW("where", KW_WHERE);
		break;
	default:
		break;
	}
	return KW_NONE;
}
#undef KW

const char *tok_keyword_text(enum tok_keyword kw)
{
	static const char *const upper[] = {
		"", "AND", "ASC", "BETWEEN", "BLOB", "BY", "COUNT", "CREATE", "DEFAULT",
		"DELETE", "DESC", "DROP", "EXISTS", "FROM", "IF", "INDEX", "INSERT",
		"INTEGER", "INTO", "IS", "KEY", "LIMIT", "NOT", "NULL", "OFFSET", "ON",
		"ORDER", "PRIMARY", "REAL", "SELECT", "SET", "TABLE", "TEXT", "UNIQUE",
		"UPDATE", "VALUES", "WHERE",
	};
	_Static_assert(sizeof(upper) / sizeof(upper[0]) == KW_WHERE + 1, "one text per keyword");

	if ((unsigned)kw > KW_WHERE)
		return "";
	return upper[kw];
}

/* ---- the SQL lexer ----------------------------------------------------------- */

void tok_lexer_init(struct tok_lexer *lx, const char *line, size_t start, size_t end)
{
	lx->line = line;
	lx->end = end;
	lx->pos = start;
}

static int unterminated(struct rowfs_err *err, size_t pos)
{
	return rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: Unterminated literal at position %zu",
			     pos);
}

/*
 * Length of the run of ASCII bytes other than the quote at p[j..end): the
 * bytes of a plain literal that need no look, up to its next quote.
 */
static size_t ascii_run(const unsigned char *p, size_t j, size_t end)
{
	const unsigned char *q = memchr(p + j, '\'', end - j);
	size_t n = q ? (size_t)(q - p) - j : end - j, k;
	unsigned char high = 0;

	for (k = 0; k < n; k++)
		high |= p[j + k];
	if (high < 0x80)
		return n;
	for (k = 0; k < n && p[j + k] < 0x80; k++)
		;
	return k;
}

/* '...' or E'...' starting at i (the prefix, if any, before quote q). */
static int lex_text(const unsigned char *p, size_t end, size_t q, int escapes, struct tok_sql *tok,
		    size_t *next, struct rowfs_err *err)
{
	size_t j = q + 1, value_len = 0;
	char shown[8];

	for (;;) {
		unsigned char c;

		if (!escapes) {
			size_t run = ascii_run(p, j, end);

			value_len += run;
			j += run;
		}
		if (j >= end)
			return unterminated(err, tok->pos);
		c = p[j];
		if (c == '\'') {
			if (j + 1 < end && p[j + 1] == '\'') {
				value_len++;
				j += 2;
				continue;
			}
			j++;
			break;
		}
		if (c == '\\' && escapes) {
			unsigned char e;

			if (j + 1 >= end)
				return unterminated(err, tok->pos);
			e = p[j + 1];
			if (e != 'n' && e != 't' && e != 'r' && e != '\\' && e != '\'')
				return rowfs_err_set(err, ROWFS_SYNTAX, 0,
						     "Parse error: Bad escape '\\%s' at position %zu",
						     shown_byte(e, shown), j);
			value_len++;
			j += 2;
			continue;
		}
		if (c < 0x80) {
			value_len++;
			j++;
		} else {
			size_t n = utf8_sequence_len(p + j, end - j, NULL);

			if (n == 0)
				return token_error(err, c, j);
			value_len += n;
			j += n;
		}
	}
	tok->type = SQL_TEXT;
	tok->escapes = escapes;
	tok->value_len = value_len;
	*next = j;
	return ROWFS_OK;
}

/* x'...' with the quote at q. */
static int lex_blob(const unsigned char *p, size_t end, size_t q, struct tok_sql *tok, size_t *next,
		    struct rowfs_err *err)
{
	size_t j = q + 1, digits = 0;
	char shown[8];

	for (;;) {
		if (j >= end)
			return unterminated(err, tok->pos);
		if (p[j] == '\'')
			break;
		if (hex_digit_value(p[j]) < 0)
			return rowfs_err_set(err, ROWFS_SYNTAX, 0,
					     "Parse error: Bad hex digit '%s' at position %zu",
					     shown_byte(p[j], shown), j);
		digits++;
		j++;
	}
	if (digits % 2)
		return rowfs_err_set(err, ROWFS_SYNTAX, 0,
				     "Parse error: Odd number of hex digits at position %zu", tok->pos);
	tok->type = SQL_BLOB;
	tok->value_len = digits / 2;
	*next = j + 1;
	return ROWFS_OK;
}

/* A number starting at i: the maximal run, then its syntax and value. */
static int lex_number(const unsigned char *p, size_t end, size_t i, struct tok_sql *tok,
		      size_t *next, struct rowfs_err *err)
{
	size_t j = i + 1;
	int is_real;

	while (j < end) {
		unsigned char c = p[j];

		if (is_sql_word_byte(c) || c == '.' ||
		    ((c == '+' || c == '-') && (p[j - 1] == 'e' || p[j - 1] == 'E')))
			j++;
		else
			break;
	}
	if (!number_syntax(p + i, j - i, &is_real))
		return rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: Invalid number at position %zu",
				     i);
	if (!is_real) {
		if (!number_int64(p + i, j - i, &tok->i))
			return rowfs_err_set(err, ROWFS_RANGE, 0,
					     "Parse error: Integer out of range at position %zu", i);
		tok->type = SQL_INTEGER;
	} else {
		if (number_double(p + i, j - i, &tok->r) != 0)
			return rowfs_err_set(err, ROWFS_NOMEM, 0, "Error: out of memory");
		if (!isfinite(tok->r))
			return rowfs_err_set(err, ROWFS_RANGE, 0,
					     "Parse error: Real out of range at position %zu", i);
		tok->type = SQL_REAL;
	}
	*next = j;
	return ROWFS_OK;
}

/* A word [A-Za-z_][A-Za-z0-9_]* at i. */
static int lex_word(const unsigned char *p, size_t end, size_t i, struct tok_sql *tok, size_t *next,
		    struct rowfs_err *err)
{
	size_t j = i + 1;

	while (j < end && is_sql_word_byte(p[j]))
		j++;
	if (j - i > TOK_NAME_MAX)
		return rowfs_err_set(err, ROWFS_SYNTAX, 0,
				     "Parse error: Name too long (%zu > %u) at position %zu", j - i,
				     TOK_NAME_MAX, i);
	tok->type = SQL_WORD;
	tok->keyword = tok_keyword_of((const char *)p + i, j - i);
	*next = j;
	return ROWFS_OK;
}

/* Punctuation at i: its length, or 0. */
static size_t punct_len(const unsigned char *p, size_t end, size_t i)
{
	unsigned char c = p[i], d = i + 1 < end ? p[i + 1] : 0;

	switch (c) {
	case '(':
	case ')':
	case ',':
	case '*':
	case '=':
		return 1;
	case '!':
		return d == '=' ? 2 : 0;
	case '<':
		return d == '=' || d == '>' ? 2 : 1;
	case '>':
		return d == '=' ? 2 : 1;
	default:
		return 0;
	}
}

int tok_sql_next(struct tok_lexer *lx, struct tok_sql *tok, struct rowfs_err *err)
{
	const unsigned char *p = (const unsigned char *)lx->line;
	size_t end = lx->end, i = lx->pos, next = 0;
	unsigned char c, d;
	int rc;

	while (i < end && is_separator(p[i]))
		i++;
	memset(tok, 0, sizeof(*tok));
	tok->pos = i;
	tok->text = lx->line ? lx->line + i : NULL;
	if (i == end) {
		tok->type = SQL_EOF;
		lx->pos = i;
		return ROWFS_OK;
	}
	c = p[i];
	d = i + 1 < end ? p[i + 1] : 0;
	if (d == '\'' && (c == 'e' || c == 'E'))
		rc = lex_text(p, end, i + 1, 1, tok, &next, err);
	else if (d == '\'' && (c == 'x' || c == 'X'))
		rc = lex_blob(p, end, i + 1, tok, &next, err);
	else if (c == '\'')
		rc = lex_text(p, end, i, 0, tok, &next, err);
	else if (is_alpha(c))
		rc = lex_word(p, end, i, tok, &next, err);
	else if (is_digit(c) || (c == '.' && is_digit(d)) ||
		 (c == '-' && (is_digit(d) || (d == '.' && i + 2 < end && is_digit(p[i + 2])))))
		rc = lex_number(p, end, i, tok, &next, err);
	else if ((next = punct_len(p, end, i)) > 0) {
		tok->type = SQL_PUNCT;
		next += i;
		rc = ROWFS_OK;
	} else {
		rc = token_error(err, c, i);
	}
	if (rc != ROWFS_OK)
		return rc;
	tok->len = next - i;
	lx->pos = next;
	return ROWFS_OK;
}

int tok_sql_check(const char *line, size_t start, size_t end, struct rowfs_err *err)
{
	struct tok_lexer lx;
	struct tok_sql tok;
	int rc;

	tok_lexer_init(&lx, line, start, end);
	do {
		rc = tok_sql_next(&lx, &tok, err);
	} while (rc == ROWFS_OK && tok.type != SQL_EOF);
	return rc;
}

size_t tok_literal_decode(const struct tok_sql *tok, uint8_t *dst)
{
	const unsigned char *p = (const unsigned char *)tok->text;
	size_t i, n = 0, end = tok->len - 1;   /* the closing quote */

	if (tok->type == SQL_BLOB) {
		for (i = 2; i < end; i += 2)
			dst[n++] = (uint8_t)(hex_digit_value(p[i]) << 4 | hex_digit_value(p[i + 1]));
		return n;
	}
	if (!tok->escapes && tok->value_len == tok->len - 2) {
		memcpy(dst, p + 1, tok->value_len);   /* no '' inside: the bytes as they are */
		return tok->value_len;
	}
	for (i = tok->escapes ? 2 : 1; i < end; i++) {
		unsigned char c = p[i];

		if (c == '\'') {
			i++;   /* '' */
		} else if (c == '\\' && tok->escapes) {
			c = p[++i];
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
		}
		dst[n++] = c;
	}
	return n;
}

const char *tok_sql_name(const struct tok_sql *tok, char buf[16])
{
	switch (tok->type) {
	case SQL_EOF:
		return "EOF";
	case SQL_INTEGER:
		return "INTEGER";
	case SQL_REAL:
		return "REAL";
	case SQL_TEXT:
		return "TEXT";
	case SQL_BLOB:
		return "BLOB";
	case SQL_WORD:
		return tok->keyword != KW_NONE ? tok_keyword_text(tok->keyword) : "NAME";
	case SQL_PUNCT:
		snprintf(buf, 16, "'%.*s'", (int)tok->len, tok->text);
		return buf;
	}
	return "UNKNOWN";
}
