/*
 * parser.c - owns the grammar of a statement line and the parse-error
 * texts: tokens -> struct statement.
 *
 * Order of checks in parse_line() (the first failing one is reported):
 *
 *   1. a final '\r' is dropped (CRLF input; the caller may already have
 *      done it, a second one is not dropped);
 *   2. length > MAX_LINE_SIZE       "Parse error: line too long"   SYNTAX
 *   3. NUL anywhere in the line      "Parse error: NUL byte"        SYNTAX
 *   4. bad byte anywhere in the line "Token error: ..."             TOKEN
 *   5. the grammar, token by token from the left:
 *
 *        first token      next tokens          result / error
 *        (EOF)                                 STMT_EMPTY
 *        .WORD            EOF                  STMT_META
 *        insert           INTEGER NAME EOF     STMT_INSERT
 *        update           INTEGER NAME EOF     STMT_UPDATE
 *        delete           INTEGER EOF          STMT_DELETE
 *        select           EOF                  STMT_SELECT
 *        anything else                         "Expected INSERT, SELECT, or
 *                                              meta-command"        SYNTAX
 *
 *      insert's id: TOK_NEGATIVE -> "Row id must be non-negative" (RANGE,
 *      "-0" included: the contract allows digits only); a value above
 *      UINT32_MAX -> "Row id out of range" (RANGE, whatever the number of
 *      digits; leading zeros do not count); a word -> "Expected INTEGER,
 *      got STRING at position N"; nothing -> "Expected INTEGER, got EOF at
 *      position N" with N the line length.  NAME is any word, integer or
 *      negative token; its length is the compiler's business.  A token where
 *      EOF is expected -> "Expected end of line, got TYPE at position N"
 *      with TYPE from tok_type_name().
 *
 * Keywords match ASCII case-insensitively ("INSERT", "Select").  The
 * statement points into the caller's line; nothing is allocated.
 */
#include <config.h>
#include "parser.h"

#include <string.h>

#include "format.h"
#include "tokenizer.h"

/* 1 if tok is the keyword kw (lower case), compared ASCII case-insensitively. */
static int is_keyword(const struct token *tok, const char *kw)
{
	size_t n = strlen(kw);
	size_t i;

	if (tok->type != TOK_WORD || tok->len != n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = tok->text[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != kw[i])
			return 0;
	}
	return 1;
}

/* "Expected WHAT, got TYPE at position N". */
static int expected(struct rowfs_err *err, const char *what, const struct token *tok)
{
	return rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: Expected %s, got %s at position %zu",
			     what, tok_type_name(tok), tok->pos);
}

/* Require tok to be the end of the line. */
static int expect_eof(const struct token *tok, struct rowfs_err *err)
{
	if (tok->type == TOK_EOF)
		return ROWFS_OK;
	return expected(err, "end of line", tok);
}

/* Convert the id token into *id (0..UINT32_MAX). */
static int parse_id(const struct token *tok, uint32_t *id, struct rowfs_err *err)
{
	uint64_t value = 0;
	size_t i;

	switch (tok->type) {
	case TOK_INTEGER:
		break;
	case TOK_NEGATIVE:
		return rowfs_err_set(err, ROWFS_RANGE, 0, "Parse error: Row id must be non-negative");
	case TOK_WORD:
	case TOK_EOF:
	default:
		return expected(err, "INTEGER", tok);
	}
	for (i = 0; i < tok->len; i++) {
		value = value * 10u + (uint64_t)(tok->text[i] - '0');
		if (value > UINT32_MAX)
			return rowfs_err_set(err, ROWFS_RANGE, 0, "Parse error: Row id out of range");
	}
	*id = (uint32_t)value;
	return ROWFS_OK;
}

/*
 * The tokenizer stores an entry after every stored non-EOF token as long as
 * there is room, so with at least 4 slots tokens[i + 1] exists whenever
 * tokens[0..i] are not EOF, for i < 3: the grammar never looks further.
 */
_Static_assert(TOK_MAX >= 4, "the parser reads up to four tokens");

/* insert|update INTEGER NAME; tokens[0] is the keyword. */
static int parse_id_name(const struct token *tokens, enum stmt_type type, struct statement *out,
			 struct rowfs_err *err)
{
	uint32_t id = 0;
	int rc;

	rc = parse_id(&tokens[1], &id, err);
	if (rc != ROWFS_OK)
		return rc;
	if (tokens[2].type == TOK_EOF)
		return expected(err, "STRING", &tokens[2]);
	rc = expect_eof(&tokens[3], err);
	if (rc != ROWFS_OK)
		return rc;
	out->type = type;
	out->id = id;
	out->name = tokens[2].text;
	out->name_len = tokens[2].len;
	return ROWFS_OK;
}

/* begin|commit|end|rollback [transaction]; tokens[0] is the keyword. */
static int parse_txn(const struct token *tokens, enum stmt_type type, struct statement *out,
		     struct rowfs_err *err)
{
	int rc;

	if (is_keyword(&tokens[1], "transaction"))
		rc = expect_eof(&tokens[2], err);
	else
		rc = expect_eof(&tokens[1], err);
	if (rc == ROWFS_OK)
		out->type = type;
	return rc;
}

int parse_line(const char *line, size_t len, struct statement *out, struct rowfs_err *err)
{
	struct token tokens[TOK_MAX];
	size_t count;
	int rc;

	memset(out, 0, sizeof(*out));
	out->type = STMT_EMPTY;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > MAX_LINE_SIZE)
		return rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: line too long");
	rc = tok_line(line, len, tokens, TOK_MAX, &count, err);
	if (rc != ROWFS_OK)
		return rc;
	if (count == 0 || tokens[0].type == TOK_EOF)
		return ROWFS_OK;

	if (tokens[0].type == TOK_WORD && tokens[0].text[0] == '.') {
		rc = expect_eof(&tokens[1], err);
		if (rc != ROWFS_OK)
			return rc;
		out->type = STMT_META;
		out->meta = tokens[0].text;
		out->meta_len = tokens[0].len;
		return ROWFS_OK;
	}
	if (is_keyword(&tokens[0], "insert"))
		return parse_id_name(tokens, STMT_INSERT, out, err);
	if (is_keyword(&tokens[0], "update"))
		return parse_id_name(tokens, STMT_UPDATE, out, err);
	if (is_keyword(&tokens[0], "delete")) {
		rc = parse_id(&tokens[1], &out->id, err);
		if (rc == ROWFS_OK)
			rc = expect_eof(&tokens[2], err);
		if (rc == ROWFS_OK)
			out->type = STMT_DELETE;
		return rc;
	}
	if (is_keyword(&tokens[0], "begin"))
		return parse_txn(tokens, STMT_BEGIN, out, err);
	if (is_keyword(&tokens[0], "commit") || is_keyword(&tokens[0], "end"))
		return parse_txn(tokens, STMT_COMMIT, out, err);
	if (is_keyword(&tokens[0], "rollback"))
		return parse_txn(tokens, STMT_ROLLBACK, out, err);
	if (is_keyword(&tokens[0], "select")) {
		rc = expect_eof(&tokens[1], err);
		if (rc != ROWFS_OK)
			return rc;
		out->type = STMT_SELECT;
		return ROWFS_OK;
	}
	return rowfs_err_set(err, ROWFS_SYNTAX, 0,
			     "Parse error: Expected INSERT, SELECT, or meta-command");
}
