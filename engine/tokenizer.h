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

/* Longest SQL name (table, column), bytes; parser.h's NAME_MAX_LEN. */
#define TOK_NAME_MAX 64u

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
 * tok_statement - tok_line for parse_line: the statement ends at a comment
 * or at a final ';' (tok_statement_end's rules, found in the same pass:
 * a quote is a bad byte here, reported before any comment it could
 * hide); *end receives where it ends, and the EOF token sits there.  The
 * caller has already rejected a NUL.  *end is undefined on error.
 */
int tok_statement(const char *line, size_t len, struct token *tokens, size_t max, size_t *count,
		  size_t *end, struct rowfs_err *err);

/*
 * Name used in parse errors for a token type: "EOF", "INTEGER" (for
 * TOK_INTEGER and TOK_NEGATIVE) or "STRING" (TOK_WORD).  Static string.
 */
const char *tok_type_name(const struct token *tok);

/*
 * tok_statement_end - where the statement of line[0..len) ends (Part 2
 * lexical rules, for every statement): the offset of a comment's "--",
 * or of a dropped ';', or len.  The line has no newline, no final '\r'
 * and no NUL (parse_line checks these first).
 *
 *  - "--" begins a comment when it is at the start of the line or right
 *    after a blank (' ' or '\t') and outside a quoted literal: the rest of
 *    the line is not part of the statement (any bytes but NUL).  So
 *    "insert 1 a--b" names "a--b".
 *  - then, if the last non-blank byte before that point is a ';' outside
 *    a quoted literal, the statement ends at that ';' (it is dropped); any
 *    other ';' stays in the statement, where it is a token error.
 *  - quoted literals (see the SQL lexer below): '...' with '' for a
 *    quote, x'...' the same, E'...' where a backslash also escapes the
 *    byte after it.  E is a literal's prefix when it is a word of its own
 *    (the byte before it is not [A-Za-z0-9_]).  A literal left open runs
 *    to the end of the line (the lexer reports it).
 */
size_t tok_statement_end(const char *line, size_t len);

/*
 * ---- the SQL lexer (Part 2 statements; tokenizer.c's second essay) ----
 *
 * Tokens, separated by blanks or not at all:
 *   word     [A-Za-z_][A-Za-z0-9_]*, at most TOK_NAME_MAX (64) bytes; a
 *            keyword when it is one of enum tok_keyword (ASCII
 *            case-insensitively)
 *   integer  -?D+            (D = [0-9]) value in int64
 *   real     -?(D+(.D*)?|.D+)([eE][+-]?D+)?  with a '.' or an exponent;
 *            strtod's value, finite
 *   text     '...'  with '' for a quote; E'...' (e or E) with '' and the
 *            escapes \n \t \r \\ \'; well-formed UTF-8
 *   blob     x'...' (x or X): an even number of hex digits (either case)
 *   punct    ( ) , * = != <> < <= > >=
 * A number is the maximal run of [A-Za-z0-9_.] (and '+'/'-' right after
 * an 'e'/'E') that starts with a digit, with '-' then a digit or '.', or
 * with '.' then a digit; the whole run must match integer or real, so
 * "12ab", "1.2.3", "1e" and a name starting with a digit are invalid
 * numbers.  Errors (the first one in the line, scanning left to right):
 *   "Token error: Unexpected character 'C' at position N"   ROWFS_TOKEN
 *       any byte that starts no token (C as in tok_line: printable ASCII
 *       as itself, else \xNN), also a byte of ill-formed UTF-8 inside a
 *       text literal (at that byte)
 *   "Parse error: Unterminated literal at position N"       ROWFS_SYNTAX
 *   "Parse error: Bad escape '\C' at position N"            ROWFS_SYNTAX
 *       (N: the backslash; C shown as in token errors)
 *   "Parse error: Bad hex digit 'C' at position N"          ROWFS_SYNTAX
 *   "Parse error: Odd number of hex digits at position N"   ROWFS_SYNTAX
 *   "Parse error: Invalid number at position N"             ROWFS_SYNTAX
 *   "Parse error: Integer out of range at position N"       ROWFS_RANGE
 *   "Parse error: Real out of range at position N"          ROWFS_RANGE
 *   "Parse error: Name too long (L > 64) at position N"     ROWFS_SYNTAX
 * N is the token's first byte unless said otherwise.
 */
enum tok_sql_type {
	SQL_EOF = 0,    /* end of the statement; pos = its length */
	SQL_WORD,       /* name or keyword (keyword != KW_NONE) */
	SQL_INTEGER,    /* value in i */
	SQL_REAL,       /* value in r */
	SQL_TEXT,       /* '...' or E'...'; bytes by tok_literal_decode */
	SQL_BLOB,       /* x'...'; bytes by tok_literal_decode */
	SQL_PUNCT       /* text[0..len): ( ) , * = != <> < <= > >= */
};

/* Keywords of the SQL subset: never names.  KW_NONE for any other word. */
enum tok_keyword {
	KW_NONE = 0,
	KW_AND, KW_ASC, KW_BETWEEN, KW_BLOB, KW_BY, KW_COUNT, KW_CREATE, KW_DEFAULT,
	KW_DELETE, KW_DESC, KW_DROP, KW_EXISTS, KW_FROM, KW_IF, KW_INDEX, KW_INSERT,
	KW_INTEGER, KW_INTO, KW_IS, KW_KEY, KW_LIMIT, KW_NOT, KW_NULL, KW_OFFSET, KW_ON,
	KW_ORDER, KW_PRIMARY, KW_REAL, KW_SELECT, KW_SET, KW_TABLE, KW_TEXT, KW_UNIQUE,
	KW_UPDATE, KW_VALUES, KW_WHERE
};

/* One SQL token. */
struct tok_sql {
	enum tok_sql_type type;   /* kind of token */
	const char *text;         /* its source bytes (a literal with prefix and quotes) */
	size_t len;               /* source length */
	size_t pos;               /* 0-based byte offset in the line */
	enum tok_keyword keyword; /* SQL_WORD: which keyword, or KW_NONE for a name */
	int escapes;              /* SQL_TEXT: 1 for E'...' */
	int64_t i;                /* SQL_INTEGER */
	double r;                 /* SQL_REAL */
	size_t value_len;         /* SQL_TEXT/SQL_BLOB: bytes tok_literal_decode writes */
};

/* A position in a statement being lexed. */
struct tok_lexer {
	const char *line;   /* the line */
	size_t end;         /* the statement's end (tok_statement_end) */
	size_t pos;         /* next byte to look at */
};

/* tok_lexer_init - lex line[start..end). */
void tok_lexer_init(struct tok_lexer *lx, const char *line, size_t start, size_t end);

/*
 * tok_sql_next - the next token into *tok (SQL_EOF at the end, again and
 * again).  Returns ROWFS_OK, or ROWFS_TOKEN / ROWFS_SYNTAX / ROWFS_RANGE
 * with err->msg set (the lexer then stays where it was).  Never reads
 * outside line[start..end); allocates nothing except for a number longer
 * than 256 bytes (then it may return ROWFS_NOMEM).
 */
int tok_sql_next(struct tok_lexer *lx, struct tok_sql *tok, struct rowfs_err *err);

/*
 * tok_sql_check - lex line[start..end) to its end: ROWFS_OK, or the first
 * lexical error (as tok_sql_next).
 */
int tok_sql_check(const char *line, size_t start, size_t end, struct rowfs_err *err);

/*
 * tok_literal_decode - write the bytes of a SQL_TEXT or SQL_BLOB token
 * (quotes doubled and escapes resolved, hex decoded) to dst, which has
 * room for tok->value_len bytes.  Returns tok->value_len.
 */
size_t tok_literal_decode(const struct tok_sql *tok, uint8_t *dst);

/*
 * tok_sql_name - how parse errors name a token: "EOF", "INTEGER",
 * "REAL", "TEXT", "BLOB", "NAME", a keyword in upper case ("FROM",
 * "NULL"), or a punctuation in quotes ("'('", "'<='").  Writes into
 * buf (16 bytes) and returns it.
 */
const char *tok_sql_name(const struct tok_sql *tok, char buf[16]);

/* tok_keyword_text - a keyword in upper case ("FROM"); "" for KW_NONE. */
const char *tok_keyword_text(enum tok_keyword kw);

/*
 * tok_keyword_of - the keyword text[0..len) is (ASCII case-insensitive),
 * or KW_NONE.
 */
enum tok_keyword tok_keyword_of(const char *text, size_t len);

#endif /* ROWFS_ENGINE_TOKENIZER_H */
