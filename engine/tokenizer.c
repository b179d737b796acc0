/*
 * tokenizer.c - owns the lexical rules of a statement line: which bytes
 * make a word, where a token starts, and the token-error texts.
 *
 * Input is one line without its newline (the parser has already dropped a
 * trailing '\r' and rejected lines over MAX_LINE_SIZE).  The scan is in two
 * passes so that error precedence does not depend on where the statement
 * stops:
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
 * Ill-formed UTF-8 is reported at the first byte of the ill-formed
 * sequence, i.e. the byte that should have started a character: a stray
 * continuation byte (0x80..0xBF), a byte that never starts a sequence
 * (0xC0, 0xC1, 0xF5..0xFF), or a lead byte whose sequence is overlong,
 * encodes a surrogate (U+D800..U+DFFF), goes past U+10FFFF or is truncated
 * (by the end of the line or by a byte that is not a continuation byte).
 *
 * Token classes: all ASCII digits -> TOK_INTEGER; '-' followed by one or
 * more ASCII digits and nothing else -> TOK_NEGATIVE; any other word ->
 * TOK_WORD.  The tokenizer never converts numbers (the parser does, so
 * that "99999999999999999999" is a range error, not a wrapped value).
 *
 * No allocation, no globals; every read is bounded by len.
 */
#include <config.h>
#include "tokenizer.h"

#include <string.h>

#include "row.h"

static int is_separator(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Classify the word text[0..len), len >= 1. */
static enum tok_type classify(const unsigned char *text, size_t len)
{
	size_t i = 0;

	if (text[0] == '-') {
		if (len == 1)
			return TOK_WORD;
		i = 1;
	}
	for (; i < len; i++)
		if (text[i] < '0' || text[i] > '9')
			return TOK_WORD;
	return text[0] == '-' ? TOK_NEGATIVE : TOK_INTEGER;
}

/* Fill err with the token error for byte c at pos. */
static int token_error(struct rowfs_err *err, unsigned char c, size_t pos)
{
	if (c > 0x20 && c < 0x7F)
		return rowfs_err_set(err, ROWFS_TOKEN, 0,
				     "Token error: Unexpected character '%c' at position %zu",
				     (char)c, pos);
	return rowfs_err_set(err, ROWFS_TOKEN, 0,
			     "Token error: Unexpected character '\\x%02X' at position %zu",
			     (unsigned)c, pos);
}

int tok_line(const char *line, size_t len, struct token *tokens, size_t max, size_t *count,
	     struct rowfs_err *err)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t filled = 0;
	size_t i = 0;

	*count = 0;
	if (len > 0 && memchr(line, '\0', len))
		return rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: NUL byte");

	while (i < len) {
		size_t start;

		if (is_separator(p[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < len && !is_separator(p[i])) {
			size_t n = row_name_char_len(p + i, len - i);

			if (n == 0)
				return token_error(err, p[i], i);
			i += n;
		}
		if (filled < max) {
			tokens[filled].type = classify(p + start, i - start);
			tokens[filled].text = line + start;
			tokens[filled].len = i - start;
			tokens[filled].pos = start;
			filled++;
		}
	}
	if (filled < max) {
		tokens[filled].type = TOK_EOF;
		tokens[filled].text = line ? line + len : NULL;
		tokens[filled].len = 0;
		tokens[filled].pos = len;
		filled++;
	}
	*count = filled;
	return ROWFS_OK;
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
