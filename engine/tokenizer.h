/*
 * tokenizer.h - statement bytes -> tokens with positions.
 *
 * Lexical rules (CONTRACT.md "Statements"): tokens are separated by spaces
 * and tabs.  A word is a run of ASCII letters, digits, '_', '.', '-' and
 * well-formed UTF-8 multi-byte characters (shortest form, no surrogates,
 * at most U+10FFFF).  Any other byte is a token error:
 * "Token error: Unexpected character '@' at position N" (positions are
 * 0-based byte offsets).  Bytes 0x21..0x7E are shown as themselves, every
 * other byte (controls, DEL, non-ASCII) as '\xNN' with two upper-case hex
 * digits, e.g. '\x0D', '\xC3'.  Ill-formed UTF-8 is reported at the first
 * byte of the ill-formed sequence (the lead byte of an overlong, surrogate,
 * too large or truncated character; a stray continuation byte itself).
 *
 * Order: a NUL byte anywhere in the line is "Parse error: NUL byte"
 * (ROWFS_SYNTAX) before anything else; then the whole line is scanned, so
 * the first bad byte is reported even after the tokens a statement needs.
 * The line handed in has no newline; a trailing '\r' has been dropped by
 * the caller (parse_line does it), otherwise it is a bad byte.
 */
#ifndef ROWFS_ENGINE_TOKENIZER_H
#define ROWFS_ENGINE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "rowfs.h"

enum tok_type {
	TOK_EOF = 0,    /* end of line; position = line length */
	TOK_INTEGER,    /* all ASCII digits, any length, not converted */
	TOK_NEGATIVE,   /* '-' followed by digits only, e.g. "-1", "-0" */
	TOK_WORD,       /* any other word (keyword, name, "0x10", "12ab", ".exit") */
};

struct token {
	enum tok_type type;   /* kind of token */
	const char *text;     /* points into the line; not NUL-terminated */
	size_t len;           /* bytes */
	size_t pos;           /* 0-based byte offset in the line */
};

#define TOK_MAX 8   /* a statement never needs more; the tokenizer stops after TOK_MAX */

/*
 * tok_line - split line[0..len) into at most max tokens (the last one
 * TOK_EOF unless the line has more than max-1 tokens: then the array ends
 * with the max-th token, of whatever type, and the parser reports the extra
 * token).  *count gets the number filled (0 on error).  Tokens point into
 * line; nothing is allocated.  line may be NULL when len is 0; tokens may
 * be NULL when max is 0 (validation only).  Never reads outside line[0..len).
 * Returns ROWFS_OK, ROWFS_TOKEN (unexpected character) or ROWFS_SYNTAX (NUL
 * byte), with err->msg set to the contract text.
 */
int tok_line(const char *line, size_t len, struct token *tokens, size_t max, size_t *count,
	     struct rowfs_err *err);

/*
 * Name used in parse errors for a token type: "EOF", "INTEGER" (for
 * TOK_INTEGER and TOK_NEGATIVE) or "STRING" (TOK_WORD).  Static string.
 */
const char *tok_type_name(const struct token *tok);

#endif /* ROWFS_ENGINE_TOKENIZER_H */
