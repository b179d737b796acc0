/*
 * tokenizer.h - statement bytes -> tokens with positions.
 *
 * Lexical rules (CONTRACT.md "Statements"): tokens are separated by spaces
 * and tabs.  A word is a run of letters, digits, '_', '.', '-' and valid
 * UTF-8 multi-byte characters.  Any other byte is a token error:
 * "Token error: Unexpected character '@' at position N" (positions are
 * 0-based byte offsets; non-printable bytes are shown as '\xNN').
 * The line handed in has no newline; a trailing '\r' has been dropped by
 * the caller.  A NUL byte in the line is "Parse error: NUL byte".
 */
#ifndef ROWFS_ENGINE_TOKENIZER_H
#define ROWFS_ENGINE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "rowfs.h"

enum tok_type {
	TOK_EOF = 0,    /* end of line; position = line length */
	TOK_INTEGER,    /* all ASCII digits */
	TOK_NEGATIVE,   /* '-' followed by digits only, e.g. "-1" */
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
 * with a word token and the parser reports the extra token).  *count gets the number filled.
 * Returns ROWFS_OK, ROWFS_TOKEN (unexpected character) or ROWFS_SYNTAX (NUL byte).
 */
int tok_line(const char *line, size_t len, struct token *tokens, size_t max, size_t *count,
	     struct rowfs_err *err);

/* Name used in parse errors for a token type: "INTEGER", "STRING", "EOF"... */
const char *tok_type_name(const struct token *tok);

#endif /* ROWFS_ENGINE_TOKENIZER_H */
