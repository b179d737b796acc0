/*
 * parser.c - owns the grammar of a statement line and the parse-error
 * texts: tokens -> struct statement.
 *
 * Order of checks in parse_line() (the first failing one is reported):
 *
 *   1. a final '\r' is dropped (CRLF input; the caller may already have
 *      done it, a second one is not dropped);
 *   2. length > MAX_LINE_SIZE (4 MiB) "Parse error: line too long"  SYNTAX
 *   3. NUL anywhere in the line       "Parse error: NUL byte"       SYNTAX
 *      (comments included)
 *   4. the statement's end: a comment ("--" at the start or after a
 *      blank, outside a quoted literal) and then a last ';' are cut off
 *      (tok_statement_end, tokenizer.h).  Positions stay those of the
 *      line; "EOF" is at the statement's end (the offset of the '--' or
 *      of the ';', else the line length);
 *   5. dispatch (below): a seed form or an SQL form;
 *   6. seed forms: bad byte anywhere in the statement "Token error: ..."
 *      (tok_line), then the seed grammar; SQL forms: the first lexical
 *      error anywhere in the statement (token errors, literals, numbers,
 *      names too long), then the SQL grammar, token by token from the
 *      left.  One pass does both: the grammar lexes token by token, and
 *      only when it fails is the rest of the statement lexed for an
 *      earlier-ranking lexical error (tok_sql_check).
 *
 * ---- Dispatch ----
 *
 * Part 1's statements keep every reply, so a line is read as SQL only when
 * its first words say so.  Here a "word" is a run of [A-Za-z0-9_] and any
 * other non-blank byte is a word of its own; keywords compare ASCII
 * case-insensitively.  The line is an SQL form when it starts with
 *
 *      create table W        drop table W    (W any word)
 *      insert into           delete from
 *      update W set          (W a word not starting with a digit)
 *      select *              select count (
 *      select W ,            select W from   (W as for update)
 *
 * and a seed form otherwise (".tables" and ".schema" are seed words with
 * SQL rules for .schema's argument).  So `insert 1 into`, `update 1 set`,
 * `delete 5`, `select`, `select x`, `drop 1`, `drop table` and `create`
 * read as in Part 1.  The rule reads the statement, without its comment
 * and final ';' (`select * -- x`, `select *;` are SQL, `select -- *` is
 * not).  Part 1 replies that change are only those of lines that the
 * rule makes SQL: `select *`, `insert into t`, `update t set`, ... (a
 * token error or "Expected INTEGER" before).
 *
 * ---- Seed grammar (Part 1, unchanged) ----
 *
 *        first token      next tokens          result / error
 *        (EOF)                                 STMT_EMPTY
 *        .tables          EOF                  STMT_TABLES
 *        .schema          [NAME] EOF           STMT_SCHEMA (NAME: SQL rules)
 *        .WORD            EOF                  STMT_META
 *        .WORD            anything             STMT_META when WORD is no meta-command
 *                                              the engine knows (unknown_meta)
 *        insert           INTEGER NAME EOF     STMT_INSERT
 *        update           INTEGER NAME EOF     STMT_UPDATE
 *        delete           INTEGER EOF          STMT_DELETE
 *        select           EOF                  STMT_SELECT
 *        begin|commit|end|rollback [transaction] EOF
 *        anything else                         "Expected INSERT, SELECT, or
 *                                              meta-command"        SYNTAX
 *
 *      insert's id: TOK_NEGATIVE -> "Row id must be non-negative" (RANGE,
 *      "-0" included: the contract allows digits only); a value above
 *      UINT32_MAX -> "Row id out of range" (RANGE, whatever the number of
 *      digits; leading zeros do not count); a word -> "Expected INTEGER,
 *      got STRING at position N"; nothing -> "Expected INTEGER, got EOF at
 *      position N" with N the statement's end.  NAME is any word, integer
 *      or negative token; its length is the compiler's business.  A token
 *      where EOF is expected -> "Expected end of line, got TYPE at position
 *      N" with TYPE from tok_type_name().  The meta words compare ASCII
 *      case-insensitively (".TABLES").
 *
 * ---- SQL grammar (Part 2) ----
 *
 *   create table [if not exists] T ( COLDEF [, COLDEF]... )
 *       COLDEF: COL TYPE [primary key] [not null] [default LIT]
 *               (constraints in any order, each at most once)
 *       TYPE: integer | real | text | text(N) | blob | blob(N)
 *   drop table [if exists] T
 *   insert into T [ ( COL [, COL]... ) ] values ( LIT [, LIT]... ) [, ( LIT [, LIT]... )]...
 *   select * | count(*) | COL [, COL]... from T [where COND]
 *          [order by COL [asc|desc]] [limit N [offset M]]
 *   update T set COL = LIT [, COL = LIT]... [where COND]
 *   delete from T [where COND]
 *   .schema [T]
 *   COND: PRED [and PRED]...
 *   PRED: COL OP LIT | COL between LIT and LIT | COL is [not] null
 *   OP: = != <> < <= > >=
 *   LIT: integer | real | text | blob (tokenizer.h) | null
 * Names (T, COL) are SQL words that are no keyword; they are stored lower
 * case.  Lists of columns, of values in a row and of assignments hold at
 * most 64 entries; N of text(N)/blob(N) is 1..VALUE_MAX_LEN; LIMIT and
 * OFFSET take an integer >= 0.  Every row of an insert has as many values
 * as the first.  Types, names and counts against the catalog are the
 * compiler's business.
 *
 * SQL errors, besides the lexical ones of tokenizer.h (N is the 0-based
 * byte offset of the token named; SYNTAX unless said otherwise):
 *   "Parse error: Expected WHAT, got TOKEN at position N"
 *        TOKEN from tok_sql_name(): EOF INTEGER REAL TEXT BLOB NAME, a
 *        keyword in upper case (FROM), a punctuation in quotes ('(');
 *        WHAT is one of: table name | column name | column type |
 *        literal | INTEGER | '(' | ')' | '*' | '=' | FROM | NOT |
 *        EXISTS | KEY | NULL | BY | SET | VALUES | AND | end of line |
 *        '(' or VALUES | ',' or ')' | ',' or FROM | ',' or end of line |
 *        '*', COUNT or column name | NOT or NULL |
 *        comparison operator, BETWEEN or IS |
 *        PRIMARY KEY, NOT NULL, DEFAULT, ',' or ')' |
 *        WHERE, ORDER BY, LIMIT or end of line |
 *        AND, ORDER BY, LIMIT or end of line |
 *        ASC, DESC, LIMIT or end of line | LIMIT or end of line |
 *        OFFSET or end of line | ',', WHERE or end of line |
 *        WHERE or end of line | AND or end of line
 *   "Parse error: Too many columns (more than 64) at position N"
 *   "Parse error: Too many values (more than 64) at position N"
 *   "Parse error: Too many assignments (more than 64) at position N"
 *   "Parse error: Row R has V values, row 1 has W at position N"  (N: its '(')
 *   "Parse error: PRIMARY KEY given twice at position N"  (also NOT NULL, DEFAULT)
 *   "Parse error: Length out of range (1..1048576) at position N"
 *   "Parse error: LIMIT must be non-negative at position N"     (RANGE; also OFFSET)
 *   "Error: out of memory"                                      (NOMEM)
 *
 * Memory: seed statements point into the caller's line and allocate
 * nothing (the hot path of `insert ID NAME`).  An SQL statement gets a
 * parse_arena: one block holding the arena and a byte buffer of the
 * statement's length (+16) for names (lower-cased, NUL-terminated) and
 * decoded literals (each is no longer than its source, so they always
 * fit), and one malloc'd array per list (columns, names, values,
 * predicates, assignments), 8 elements first, grown by doubling.
 * statement_free() releases it; parse_line releases it itself on error.
 */
#include <config.h>
#include "parser.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "tokenizer.h"

_Static_assert(NAME_MAX_LEN == TOK_NAME_MAX, "parser.h and tokenizer.h disagree");
_Static_assert(STMT_EMPTY == 0, "parse_line zero-fills the statement");

/* ---- the arena ------------------------------------------------------------ */

/* The arrays of a statement, one slot each. */
enum arena_slot { SLOT_COLUMNS, SLOT_NAMES, SLOT_VALUES, SLOT_PREDS, SLOT_SETS, SLOT_COUNT };

struct parse_arena {
	char *bytes;                /* names and literal bytes, bump-allocated (after the struct) */
	size_t used;                /* bytes handed out */
	size_t cap;                 /* bytes allocated */
	void *arrays[SLOT_COUNT];   /* the lists, malloc'd, grown by doubling */
	size_t room[SLOT_COUNT];    /* elements allocated per slot */
};

/* Elements of a list's first array: an insert's row of up to 8 values takes one. */
#define ARENA_FIRST_ROOM 8u

static int out_of_memory(struct rowfs_err *err)
{
	return rowfs_err_set(err, ROWFS_NOMEM, 0, "Error: out of memory");
}

/* A new arena with cap bytes for names and literals: one block, the bytes after the struct. */
static struct parse_arena *arena_new(size_t cap)
{
	struct parse_arena *a;

	if (cap > SIZE_MAX - sizeof(*a))
		return NULL;
	a = malloc(sizeof(*a) + cap);
	if (!a)
		return NULL;
	memset(a, 0, sizeof(*a));
	a->bytes = (char *)(a + 1);
	a->cap = cap;
	return a;
}

/* n bytes of the arena's buffer, or NULL (never: see the essay). */
static char *arena_bytes(struct parse_arena *a, size_t n)
{
	char *p;

	if (n > a->cap - a->used)
		return NULL;
	p = a->bytes + a->used;
	a->used += n;
	return p;
}

/* Room for count elements of size elem in slot; the array or NULL. */
static void *arena_grow(struct parse_arena *a, enum arena_slot slot, size_t elem, size_t count)
{
	size_t room = a->room[slot];
	void *p;

	if (count <= room)
		return a->arrays[slot];
	room = room ? room * 2 : ARENA_FIRST_ROOM;
	while (room < count)
		room *= 2;
	p = realloc(a->arrays[slot], room * elem);
	if (!p)
		return NULL;
	a->arrays[slot] = p;
	a->room[slot] = room;
	return p;
}

void statement_free(struct statement *stmt)
{
	struct parse_arena *a = stmt->arena;
	int i;

	if (!a)
		return;
	for (i = 0; i < SLOT_COUNT; i++)
		free(a->arrays[i]);
	free(a);
	stmt->arena = NULL;
	stmt->columns = NULL;
	stmt->names = NULL;
	stmt->values = NULL;
	stmt->preds = NULL;
	stmt->sets = NULL;
	stmt->column_count = stmt->name_count = stmt->row_count = stmt->row_width = 0;
	stmt->pred_count = stmt->set_count = 0;
	stmt->table.name = NULL;
	stmt->table.len = 0;
	stmt->order_column.name = NULL;
	stmt->order_column.len = 0;
}

/* ---- seed forms (Part 1) ------------------------------------------------------ */

/* 1 if text[0..len) is the keyword kw (lower case), compared ASCII case-insensitively. */
static int word_is(const char *text, size_t len, const char *kw)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (kw[i] == '\0')
			return 0;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != kw[i])
			return 0;
	}
	return kw[len] == '\0';
}

/* 1 if tok is the keyword kw (lower case), compared ASCII case-insensitively. */
static int is_keyword(const struct token *tok, const char *kw)
{
	return tok->type == TOK_WORD && word_is(tok->text, tok->len, kw);
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

static int parse_schema(const char *line, size_t start, size_t end, struct statement *out,
			struct rowfs_err *err);

/* .WORD [...]: tokens[0] starts with '.'. */
static int parse_meta(const char *line, size_t end, const struct token *tokens,
		      struct statement *out, struct rowfs_err *err)
{
	int rc;

	if (word_is(tokens[0].text, tokens[0].len, ".schema")) {
		rc = parse_schema(line, tokens[1].pos, end, out, err);
	} else {
		rc = expect_eof(&tokens[1], err);
		if (rc == ROWFS_OK)
			out->type = word_is(tokens[0].text, tokens[0].len, ".tables") ? STMT_TABLES
											: STMT_META;
	}
	if (rc != ROWFS_OK)
		return rc;
	out->meta = tokens[0].text;
	out->meta_len = tokens[0].len;
	return ROWFS_OK;
}

/* A seed form: tokens[0..count) of line[0..end), the statement. */
static int parse_seed(const char *line, size_t end, const struct token *tokens, size_t count,
		      struct statement *out, struct rowfs_err *err)
{
	int rc;

	if (count == 0 || tokens[0].type == TOK_EOF)
		return ROWFS_OK;

	if (tokens[0].type == TOK_WORD && tokens[0].text[0] == '.')
		return parse_meta(line, end, tokens, out, err);
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

/* ---- dispatch ---------------------------------------------------------------------- */

/* A word of the dispatch rule. */
struct peek {
	const char *text;   /* its bytes (NULL at the end) */
	size_t len;         /* 0 at the end */
	int word;           /* a run of [A-Za-z0-9_] (else one other byte) */
};

static int is_name_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* The next dispatch word of line[*pos..end). */
static void peek_next(const char *line, size_t end, size_t *pos, struct peek *w)
{
	size_t i = *pos;

	while (i < end && (line[i] == ' ' || line[i] == '\t'))
		i++;
	w->text = line + i;
	w->len = 0;
	w->word = 0;
	if (i < end) {
		size_t j = i;

		while (j < end && is_name_byte((unsigned char)line[j]))
			j++;
		w->word = j > i;
		w->len = w->word ? j - i : 1;
	}
	*pos = i + w->len;
}

/* 1 if w is the word kw (a lower-case string literal), ASCII case-insensitively. */
#define peek_is(w, kw) ((w)->len == sizeof(kw) - 1 && (w)->word && word_is((w)->text, (w)->len, kw))

static int peek_is_byte(const struct peek *w, char c)
{
	return !w->word && w->len == 1 && w->text[0] == c;
}

/* A word that may be a name (not starting with a digit). */
static int peek_is_name(const struct peek *w)
{
	return w->word && !(w->text[0] >= '0' && w->text[0] <= '9');
}

/*
 * 1 if line[0..end) is an SQL form (the dispatch rule of the essay).  The
 * seed insert is the hot path: it costs two short words and no keyword
 * table.
 */
static int is_sql_form(const char *line, size_t end)
{
	struct peek w0, w1, w2;
	size_t pos = 0;

	peek_next(line, end, &pos, &w0);
	if (!w0.word || (w0.len != 4 && w0.len != 6))
		return 0;
	peek_next(line, end, &pos, &w1);
	if (peek_is(&w0, "insert"))
		return peek_is(&w1, "into");
	if (peek_is(&w0, "delete"))
		return peek_is(&w1, "from");
	peek_next(line, end, &pos, &w2);
	if (peek_is(&w0, "create") || peek_is(&w0, "drop"))
		return peek_is(&w1, "table") && w2.word;
	if (peek_is(&w0, "update"))
		return peek_is_name(&w1) && peek_is(&w2, "set");
	if (!peek_is(&w0, "select"))
		return 0;
	if (peek_is_byte(&w1, '*'))
		return 1;
	if (peek_is(&w1, "count") && peek_is_byte(&w2, '('))
		return 1;
	return peek_is_name(&w1) && (peek_is_byte(&w2, ',') || peek_is(&w2, "from"));
}

/* ---- SQL forms (Part 2) ------------------------------------------------------------- */

#define LIST_MAX 64u   /* columns, values of a row, assignments */
_Static_assert(LIST_MAX == RECORD_MAX_COLUMNS, "a row holds at most 64 columns");

/* An SQL statement being parsed. */
struct sql {
	struct tok_lexer lx;        /* the statement's bytes */
	struct tok_sql tok;         /* the current token */
	struct statement *out;      /* what is filled */
	struct parse_arena *arena;  /* out->arena */
	struct rowfs_err *err;      /* the error */
};

/* Move to the next token. */
static int advance(struct sql *s)
{
	return tok_sql_next(&s->lx, &s->tok, s->err);
}

static int at_keyword(const struct sql *s, enum tok_keyword kw)
{
	return s->tok.type == SQL_WORD && s->tok.keyword == kw;
}

static int at_punct(const struct sql *s, const char *text)
{
	return s->tok.type == SQL_PUNCT && s->tok.len == strlen(text) &&
	       memcmp(s->tok.text, text, s->tok.len) == 0;
}

static int at_eof(const struct sql *s)
{
	return s->tok.type == SQL_EOF;
}

/* "Expected WHAT, got TOKEN at position N" for the current token. */
static int sql_expected(struct sql *s, const char *what)
{
	char buf[16];

	return rowfs_err_set(s->err, ROWFS_SYNTAX, 0,
			     "Parse error: Expected %s, got %s at position %zu", what,
			     tok_sql_name(&s->tok, buf), s->tok.pos);
}

/* Consume the keyword kw, or fail naming it. */
static int expect_keyword(struct sql *s, enum tok_keyword kw)
{
	if (!at_keyword(s, kw))
		return sql_expected(s, tok_keyword_text(kw));
	return advance(s);
}

/* Consume the punctuation text, or fail naming it in quotes. */
static int expect_punct(struct sql *s, const char *text)
{
	char what[8];

	if (!at_punct(s, text)) {
		snprintf(what, sizeof(what), "'%s'", text);
		return sql_expected(s, what);
	}
	return advance(s);
}

/* The end of the statement, or "Expected WHAT, got ...". */
static int expect_end(struct sql *s, const char *what)
{
	return at_eof(s) ? ROWFS_OK : sql_expected(s, what);
}

/* A name (a word that is no keyword) into *id, lower-cased into the arena. */
static int parse_ident(struct sql *s, const char *what, struct ident *id)
{
	char *copy;
	size_t i;

	if (s->tok.type != SQL_WORD || s->tok.keyword != KW_NONE)
		return sql_expected(s, what);
	copy = arena_bytes(s->arena, s->tok.len + 1);
	if (!copy)
		return rowfs_err_set(s->err, ROWFS_ERROR, 0, "parse: arena too small");
	for (i = 0; i < s->tok.len; i++) {
		char c = s->tok.text[i];

		copy[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	copy[s->tok.len] = '\0';
	id->name = copy;
	id->len = s->tok.len;
	id->pos = s->tok.pos;
	return advance(s);
}

/* A literal into *lit (text and blob bytes decoded into the arena). */
static int parse_literal(struct sql *s, struct literal *lit)
{
	memset(lit, 0, sizeof(*lit));
	lit->pos = s->tok.pos;
	switch (s->tok.type) {
	case SQL_INTEGER:
		lit->v.type = VALUE_INTEGER;
		lit->v.i = s->tok.i;
		break;
	case SQL_REAL:
		lit->v.type = VALUE_REAL;
		lit->v.r = s->tok.r;
		break;
	case SQL_TEXT:
	case SQL_BLOB: {
		uint8_t *bytes = (uint8_t *)arena_bytes(s->arena, s->tok.value_len);

		if (!bytes)
			return rowfs_err_set(s->err, ROWFS_ERROR, 0, "parse: arena too small");
		lit->v.type = s->tok.type == SQL_TEXT ? VALUE_TEXT : VALUE_BLOB;
		lit->v.p = bytes;
		lit->v.len = tok_literal_decode(&s->tok, bytes);
		break;
	}
	case SQL_WORD:
		if (s->tok.keyword == KW_NULL) {
			lit->v.type = VALUE_NULL;
			break;
		}
		return sql_expected(s, "literal");
	case SQL_EOF:
	case SQL_PUNCT:
	default:
		return sql_expected(s, "literal");
	}
	return advance(s);
}

/* "Too many WHAT (more than 64)" at the current token. */
static int too_many(struct sql *s, const char *what)
{
	return rowfs_err_set(s->err, ROWFS_SYNTAX, 0,
			     "Parse error: Too many %s (more than %u) at position %zu", what, LIST_MAX,
			     s->tok.pos);
}

/* Append one name to out->names (at most LIST_MAX). */
static int add_name(struct sql *s, const char *what)
{
	struct statement *out = s->out;
	struct ident *names;

	if (out->name_count == LIST_MAX)
		return too_many(s, "columns");
	names = arena_grow(s->arena, SLOT_NAMES, sizeof(*names), out->name_count + 1u);
	if (!names)
		return out_of_memory(s->err);
	out->names = names;
	return parse_ident(s, what, &names[out->name_count++]);
}

/* PRED: COL OP LIT | COL between LIT and LIT | COL is [not] null. */
static int parse_pred(struct sql *s, struct pred *p)
{
	static const struct {
		const char *text;
		enum pred_op op;
	} ops[] = {
		{"=", PRED_EQ}, {"!=", PRED_NE}, {"<>", PRED_NE}, {"<", PRED_LT},
		{"<=", PRED_LE}, {">", PRED_GT}, {">=", PRED_GE},
	};
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = parse_ident(s, "column name", &p->column);
	if (rc != ROWFS_OK)
		return rc;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (at_punct(s, ops[i].text)) {
			p->op = ops[i].op;
			rc = advance(s);
			return rc == ROWFS_OK ? parse_literal(s, &p->a) : rc;
		}
	}
	if (at_keyword(s, KW_BETWEEN)) {
		p->op = PRED_BETWEEN;
		rc = advance(s);
		if (rc == ROWFS_OK)
			rc = parse_literal(s, &p->a);
		if (rc == ROWFS_OK)
			rc = expect_keyword(s, KW_AND);
		return rc == ROWFS_OK ? parse_literal(s, &p->b) : rc;
	}
	if (!at_keyword(s, KW_IS))
		return sql_expected(s, "comparison operator, BETWEEN or IS");
	rc = advance(s);
	if (rc != ROWFS_OK)
		return rc;
	p->op = PRED_IS_NULL;
	if (at_keyword(s, KW_NOT)) {
		p->op = PRED_IS_NOT_NULL;
		rc = advance(s);
		if (rc != ROWFS_OK)
			return rc;
	} else if (!at_keyword(s, KW_NULL)) {
		return sql_expected(s, "NOT or NULL");
	}
	return expect_keyword(s, KW_NULL);
}

/* [where PRED [and PRED]...] */
static int parse_where(struct sql *s)
{
	struct statement *out = s->out;
	int rc;

	if (!at_keyword(s, KW_WHERE))
		return ROWFS_OK;
	do {
		struct pred *preds;

		rc = advance(s);   /* where or and */
		if (rc != ROWFS_OK)
			return rc;
		preds = arena_grow(s->arena, SLOT_PREDS, sizeof(*preds), out->pred_count + 1u);
		if (!preds)
			return out_of_memory(s->err);
		out->preds = preds;
		rc = parse_pred(s, &preds[out->pred_count]);
		if (rc != ROWFS_OK)
			return rc;
		out->pred_count++;
	} while (at_keyword(s, KW_AND));
	return ROWFS_OK;
}

/* TYPE: integer | real | text[(N)] | blob[(N)] */
static int parse_type(struct sql *s, struct column_def *col)
{
	int rc;

	if (at_keyword(s, KW_INTEGER))
		col->type = COLUMN_INTEGER;
	else if (at_keyword(s, KW_REAL))
		col->type = COLUMN_REAL;
	else if (at_keyword(s, KW_TEXT))
		col->type = COLUMN_TEXT;
	else if (at_keyword(s, KW_BLOB))
		col->type = COLUMN_BLOB;
	else
		return sql_expected(s, "column type");
	rc = advance(s);
	if (rc != ROWFS_OK || (col->type != COLUMN_TEXT && col->type != COLUMN_BLOB))
		return rc;
	col->max_len = VALUE_MAX_LEN;
	if (!at_punct(s, "("))
		return ROWFS_OK;
	rc = advance(s);
	if (rc != ROWFS_OK)
		return rc;
	if (s->tok.type != SQL_INTEGER)
		return sql_expected(s, "INTEGER");
	if (s->tok.i < 1 || s->tok.i > (int64_t)VALUE_MAX_LEN)
		return rowfs_err_set(s->err, ROWFS_SYNTAX, 0,
				     "Parse error: Length out of range (1..%u) at position %zu",
				     VALUE_MAX_LEN, s->tok.pos);
	col->max_len = (uint32_t)s->tok.i;
	rc = advance(s);
	return rc == ROWFS_OK ? expect_punct(s, ")") : rc;
}

/* "WHAT given twice" when *seen, else mark it. */
static int once(struct sql *s, int *seen, const char *what)
{
	if (*seen)
		return rowfs_err_set(s->err, ROWFS_SYNTAX, 0,
				     "Parse error: %s given twice at position %zu", what, s->tok.pos);
	*seen = 1;
	return advance(s);
}

/* COLDEF: COL TYPE [primary key] [not null] [default LIT] in any order. */
static int parse_column_def(struct sql *s, struct column_def *col)
{
	int rc;

	memset(col, 0, sizeof(*col));
	rc = parse_ident(s, "column name", &col->name);
	if (rc == ROWFS_OK)
		rc = parse_type(s, col);
	while (rc == ROWFS_OK) {
		if (at_keyword(s, KW_PRIMARY)) {
			rc = once(s, &col->primary_key, "PRIMARY KEY");
			if (rc == ROWFS_OK)
				rc = expect_keyword(s, KW_KEY);
		} else if (at_keyword(s, KW_NOT)) {
			rc = once(s, &col->not_null, "NOT NULL");
			if (rc == ROWFS_OK)
				rc = expect_keyword(s, KW_NULL);
		} else if (at_keyword(s, KW_DEFAULT)) {
			rc = once(s, &col->has_default, "DEFAULT");
			if (rc == ROWFS_OK)
				rc = parse_literal(s, &col->def);
		} else {
			break;
		}
	}
	return rc;
}

/* [if not exists] / [if exists] before a table name. */
static int parse_if(struct sql *s, int not_exists)
{
	int rc;

	if (!at_keyword(s, KW_IF))
		return ROWFS_OK;
	s->out->if_exists = 1;
	rc = advance(s);
	if (rc == ROWFS_OK && not_exists)
		rc = expect_keyword(s, KW_NOT);
	return rc == ROWFS_OK ? expect_keyword(s, KW_EXISTS) : rc;
}

/* create table [if not exists] T ( COLDEF, ... ); at "create". */
static int parse_create(struct sql *s)
{
	struct statement *out = s->out;
	int rc;

	out->type = STMT_CREATE_TABLE;
	rc = advance(s);   /* create */
	if (rc == ROWFS_OK)
		rc = advance(s);   /* table */
	if (rc == ROWFS_OK)
		rc = parse_if(s, 1);
	if (rc == ROWFS_OK)
		rc = parse_ident(s, "table name", &out->table);
	if (rc == ROWFS_OK)
		rc = expect_punct(s, "(");
	while (rc == ROWFS_OK) {
		struct column_def *cols;

		if (out->column_count == LIST_MAX)
			return too_many(s, "columns");
		cols = arena_grow(s->arena, SLOT_COLUMNS, sizeof(*cols), out->column_count + 1u);
		if (!cols)
			return out_of_memory(s->err);
		out->columns = cols;
		rc = parse_column_def(s, &cols[out->column_count]);
		if (rc != ROWFS_OK)
			return rc;
		out->column_count++;
		if (at_punct(s, ")"))
			break;
		if (!at_punct(s, ","))
			return sql_expected(s, "PRIMARY KEY, NOT NULL, DEFAULT, ',' or ')'");
		rc = advance(s);
	}
	if (rc == ROWFS_OK)
		rc = advance(s);   /* ) */
	return rc == ROWFS_OK ? expect_end(s, "end of line") : rc;
}

/* drop table [if exists] T; at "drop". */
static int parse_drop(struct sql *s)
{
	int rc;

	s->out->type = STMT_DROP_TABLE;
	rc = advance(s);   /* drop */
	if (rc == ROWFS_OK)
		rc = advance(s);   /* table */
	if (rc == ROWFS_OK)
		rc = parse_if(s, 0);
	if (rc == ROWFS_OK)
		rc = parse_ident(s, "table name", &s->out->table);
	return rc == ROWFS_OK ? expect_end(s, "end of line") : rc;
}

/* ( LIT, ... ): one row of values, appended to out->values. */
static int parse_row(struct sql *s)
{
	struct statement *out = s->out;
	size_t row_pos = s->tok.pos, first = (size_t)out->row_count * out->row_width;
	unsigned width = 0;
	int rc;

	rc = expect_punct(s, "(");
	while (rc == ROWFS_OK) {
		struct literal *vals;

		if (width == LIST_MAX)
			return too_many(s, "values");
		vals = arena_grow(s->arena, SLOT_VALUES, sizeof(*vals), first + width + 1u);
		if (!vals)
			return out_of_memory(s->err);
		out->values = vals;
		rc = parse_literal(s, &vals[first + width]);
		if (rc != ROWFS_OK)
			return rc;
		width++;
		if (at_punct(s, ")"))
			break;
		if (!at_punct(s, ","))
			return sql_expected(s, "',' or ')'");
		rc = advance(s);
	}
	if (rc != ROWFS_OK)
		return rc;
	if (out->row_count == 0)
		out->row_width = width;
	else if (width != out->row_width)
		return rowfs_err_set(s->err, ROWFS_SYNTAX, 0,
				     "Parse error: Row %u has %u values, row 1 has %u at position %zu",
				     out->row_count + 1u, width, out->row_width, row_pos);
	out->row_count++;
	return advance(s);   /* ) */
}

/* insert into T [(COL, ...)] values (LIT, ...)[, (LIT, ...)]...; at "insert". */
static int parse_insert_into(struct sql *s)
{
	struct statement *out = s->out;
	int rc;

	out->type = STMT_INSERT_INTO;
	rc = advance(s);   /* insert */
	if (rc == ROWFS_OK)
		rc = advance(s);   /* into */
	if (rc == ROWFS_OK)
		rc = parse_ident(s, "table name", &out->table);
	if (rc != ROWFS_OK)
		return rc;
	if (at_punct(s, "(")) {
		do {
			rc = advance(s);   /* ( or , */
			if (rc == ROWFS_OK)
				rc = add_name(s, "column name");
		} while (rc == ROWFS_OK && at_punct(s, ","));
		if (rc != ROWFS_OK)
			return rc;
		if (!at_punct(s, ")"))
			return sql_expected(s, "',' or ')'");
		rc = advance(s);
		if (rc == ROWFS_OK)
			rc = expect_keyword(s, KW_VALUES);
	} else if (at_keyword(s, KW_VALUES)) {
		rc = advance(s);
	} else {
		return sql_expected(s, "'(' or VALUES");
	}
	while (rc == ROWFS_OK) {
		rc = parse_row(s);
		if (rc != ROWFS_OK || at_eof(s))
			break;
		if (!at_punct(s, ","))
			return sql_expected(s, "',' or end of line");
		rc = advance(s);
	}
	return rc;
}

/* The column list of select: * | count(*) | COL, ... */
static int parse_select_list(struct sql *s)
{
	int rc;

	if (at_punct(s, "*"))
		return advance(s);
	if (at_keyword(s, KW_COUNT)) {
		s->out->select_count = 1;
		rc = advance(s);
		if (rc == ROWFS_OK)
			rc = expect_punct(s, "(");
		if (rc == ROWFS_OK)
			rc = expect_punct(s, "*");
		return rc == ROWFS_OK ? expect_punct(s, ")") : rc;
	}
	rc = add_name(s, "'*', COUNT or column name");
	while (rc == ROWFS_OK && at_punct(s, ",")) {
		rc = advance(s);
		if (rc == ROWFS_OK)
			rc = add_name(s, "column name");
	}
	if (rc == ROWFS_OK && !at_keyword(s, KW_FROM))
		return sql_expected(s, "',' or FROM");
	return rc;
}

/* The integer >= 0 after LIMIT or OFFSET (what) into *n; at that keyword. */
static int parse_count(struct sql *s, const char *what, uint64_t *n)
{
	int rc = advance(s);

	if (rc != ROWFS_OK)
		return rc;
	if (s->tok.type != SQL_INTEGER)
		return sql_expected(s, "INTEGER");
	if (s->tok.i < 0)
		return rowfs_err_set(s->err, ROWFS_RANGE, 0,
				     "Parse error: %s must be non-negative at position %zu", what,
				     s->tok.pos);
	*n = (uint64_t)s->tok.i;
	return advance(s);
}

/*
 * [order by COL [asc|desc]] [limit N [offset M]] EOF after select's
 * where; next names what may follow the where clause.
 */
static int parse_select_tail(struct sql *s, const char *next)
{
	struct statement *out = s->out;
	int rc = ROWFS_OK;

	if (at_keyword(s, KW_ORDER)) {
		out->has_order = 1;
		rc = advance(s);
		if (rc == ROWFS_OK)
			rc = expect_keyword(s, KW_BY);
		if (rc == ROWFS_OK)
			rc = parse_ident(s, "column name", &out->order_column);
		next = "ASC, DESC, LIMIT or end of line";
		if (rc == ROWFS_OK && (at_keyword(s, KW_ASC) || at_keyword(s, KW_DESC))) {
			out->order_desc = at_keyword(s, KW_DESC);
			rc = advance(s);
			next = "LIMIT or end of line";
		}
	}
	if (rc == ROWFS_OK && at_keyword(s, KW_LIMIT)) {
		out->has_limit = 1;
		rc = parse_count(s, "LIMIT", &out->limit);
		next = "OFFSET or end of line";
		if (rc == ROWFS_OK && at_keyword(s, KW_OFFSET)) {
			rc = parse_count(s, "OFFSET", &out->offset);
			next = "end of line";
		}
	}
	return rc == ROWFS_OK ? expect_end(s, next) : rc;
}

/* select ... from T [where] [order by] [limit [offset]]; at "select". */
static int parse_select_from(struct sql *s)
{
	struct statement *out = s->out;
	int rc;

	out->type = STMT_SELECT_FROM;
	rc = advance(s);   /* select */
	if (rc == ROWFS_OK)
		rc = parse_select_list(s);
	if (rc == ROWFS_OK)
		rc = expect_keyword(s, KW_FROM);
	if (rc == ROWFS_OK)
		rc = parse_ident(s, "table name", &out->table);
	if (rc == ROWFS_OK)
		rc = parse_where(s);
	if (rc != ROWFS_OK)
		return rc;
	return parse_select_tail(s, out->pred_count ? "AND, ORDER BY, LIMIT or end of line"
						    : "WHERE, ORDER BY, LIMIT or end of line");
}

/* update T set COL = LIT, ... [where]; at "update". */
static int parse_update_set(struct sql *s)
{
	struct statement *out = s->out;
	int rc;

	out->type = STMT_UPDATE_SET;
	rc = advance(s);   /* update */
	if (rc == ROWFS_OK)
		rc = parse_ident(s, "table name", &out->table);
	if (rc == ROWFS_OK)
		rc = expect_keyword(s, KW_SET);
	while (rc == ROWFS_OK) {
		struct assignment *sets;

		if (out->set_count == LIST_MAX)
			return too_many(s, "assignments");
		sets = arena_grow(s->arena, SLOT_SETS, sizeof(*sets), out->set_count + 1u);
		if (!sets)
			return out_of_memory(s->err);
		out->sets = sets;
		rc = parse_ident(s, "column name", &sets[out->set_count].column);
		if (rc == ROWFS_OK)
			rc = expect_punct(s, "=");
		if (rc == ROWFS_OK)
			rc = parse_literal(s, &sets[out->set_count].value);
		if (rc != ROWFS_OK)
			return rc;
		out->set_count++;
		if (!at_punct(s, ","))
			break;
		rc = advance(s);
	}
	if (rc == ROWFS_OK && !at_keyword(s, KW_WHERE))
		return expect_end(s, "',', WHERE or end of line");
	if (rc == ROWFS_OK)
		rc = parse_where(s);
	return rc == ROWFS_OK ? expect_end(s, "AND or end of line") : rc;
}

/* delete from T [where]; at "delete". */
static int parse_delete_from(struct sql *s)
{
	struct statement *out = s->out;
	int rc;

	out->type = STMT_DELETE_FROM;
	rc = advance(s);   /* delete */
	if (rc == ROWFS_OK)
		rc = advance(s);   /* from */
	if (rc == ROWFS_OK)
		rc = parse_ident(s, "table name", &out->table);
	if (rc == ROWFS_OK && !at_keyword(s, KW_WHERE))
		return expect_end(s, "WHERE or end of line");
	if (rc == ROWFS_OK)
		rc = parse_where(s);
	return rc == ROWFS_OK ? expect_end(s, "AND or end of line") : rc;
}

/* Set up s over line[start..end) for out: the arena and the first token. */
static int sql_begin(struct sql *s, const char *line, size_t start, size_t end,
		     struct statement *out, struct rowfs_err *err)
{
	out->arena = arena_new(end - start + 16u);
	if (!out->arena)
		return out_of_memory(err);
	s->out = out;
	s->arena = out->arena;
	s->err = err;
	tok_lexer_init(&s->lx, line, start, end);
	return advance(s);
}

/*
 * The result of parsing line[start..end) as s did, rc: a lexical error
 * anywhere in the statement wins over any other (the essay of
 * tokenizer.c), so when the parse failed (or, never expected, stopped
 * before the end) the whole statement is lexed once more for one.  A parse
 * that reached the end lexed every token already.
 */
static int lexical_first(const struct sql *s, const char *line, size_t start, size_t end,
			 int rc, struct rowfs_err *err)
{
	struct rowfs_err lex;

	if (rc == ROWFS_OK && s->tok.type == SQL_EOF)
		return ROWFS_OK;
	if (tok_sql_check(line, start, end, &lex) != ROWFS_OK) {
		*err = lex;
		return lex.rc;
	}
	return rc;
}

/* An SQL form: the statement at line[0..end), its verb dispatched. */
static int parse_sql_verb(struct sql *s, const char *line, size_t end, struct statement *out,
			  struct rowfs_err *err)
{
	int rc = sql_begin(s, line, 0, end, out, err);

	if (rc != ROWFS_OK)
		return rc;
	switch (s->tok.keyword) {
	case KW_CREATE:
		return parse_create(s);
	case KW_DROP:
		return parse_drop(s);
	case KW_INSERT:
		return parse_insert_into(s);
	case KW_SELECT:
		return parse_select_from(s);
	case KW_UPDATE:
		return parse_update_set(s);
	case KW_DELETE:
		return parse_delete_from(s);
	default:
		return rowfs_err_set(err, ROWFS_ERROR, 0, "parse: dispatch chose SQL for %s",
				     tok_keyword_text(s->tok.keyword));
	}
}

/* An SQL form: line[0..end) is the statement. */
static int parse_sql(const char *line, size_t end, struct statement *out, struct rowfs_err *err)
{
	struct sql s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = parse_sql_verb(&s, line, end, out, err);
	return lexical_first(&s, line, 0, end, rc, err);
}

/* .schema's argument: [T] EOF in line[start..end). */
static int parse_schema(const char *line, size_t start, size_t end, struct statement *out,
			struct rowfs_err *err)
{
	struct sql s;
	int rc;

	memset(&s, 0, sizeof(s));
	out->type = STMT_SCHEMA;
	rc = sql_begin(&s, line, start, end, out, err);
	if (rc == ROWFS_OK && !at_eof(&s)) {
		rc = parse_ident(&s, "table name", &out->table);
		if (rc == ROWFS_OK)
			rc = expect_end(&s, "end of line");
	}
	return lexical_first(&s, line, start, end, rc, err);
}

/* ---- the entry point ------------------------------------------------------------ */

/*
 * Parse line[0..len) (no '\r', not too long, no NUL).  The dispatch rule
 * goes first: it reads the first words only, and a comment or a dropped
 * ';' cannot change its verdict (a comment starts after a blank, so it
 * never cuts a word short, and the word it starts, '-' or ';', makes no
 * SQL form), so it may look at the whole line.  An SQL form is lexed by
 * the SQL lexer alone, to the end found with literals followed (the seed
 * lexer would only refuse its quotes and parentheses, or accept it: its
 * verdict does not count for SQL).  Any other line goes to the seed lexer,
 * which also finds the statement's end; its token error stands.
 */
/*
 * The meta-commands the engine knows (.schema here, the others in
 * compiler.c's compile_meta).  Any other .WORD is an unknown
 * meta-command whatever follows it (unknown_meta).
 */
static const char *const known_meta[] = {
	".tables", ".schema", ".btree", ".constants", ".stats", ".checkpoint", ".exit",
};

/*
 * 1 if line[0..len) is `.WORD ARGS...` with a WORD the engine does not
 * know and something after it: then *out is that STMT_META (the compiler
 * says "Unrecognized meta-command: .WORD"), not an error about the
 * arguments, which mean nothing without a command.  A word that is not
 * one token (".a@b") is left to the tokenizer's error.
 */
static int unknown_meta(const char *line, size_t len, struct statement *out)
{
	struct token tokens[2];
	size_t start = 0, word, end, count, i;
	struct rowfs_err ignored;

	while (start < len && (line[start] == ' ' || line[start] == '\t'))
		start++;
	if (start == len || line[start] != '.')
		return 0;
	end = tok_statement_end(line, len);
	for (word = start; word < end && line[word] != ' ' && line[word] != '\t'; word++)
		;
	for (i = word; i < end && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == end)
		return 0;   /* no arguments: the seed grammar's path */
	for (i = 0; i < sizeof(known_meta) / sizeof(known_meta[0]); i++)
		if (word_is(line + start, word - start, known_meta[i]))
			return 0;
	if (tok_statement(line, word, tokens, 2, &count, &i, &ignored) != ROWFS_OK ||
	    count < 1 || tokens[0].type != TOK_WORD || tokens[0].len != word - start)
		return 0;
	out->type = STMT_META;
	out->meta = tokens[0].text;
	out->meta_len = tokens[0].len;
	return 1;
}

static int parse_statement(const char *line, size_t len, struct statement *out,
			   struct rowfs_err *err)
{
	struct token tokens[TOK_MAX];
	size_t count, end;
	int rc;

	if (len > 0 && is_sql_form(line, len))   /* (line may be NULL when len is 0) */
		return parse_sql(line, tok_statement_end(line, len), out, err);
	if (len > 0 && unknown_meta(line, len, out))
		return ROWFS_OK;
	rc = tok_statement(line, len, tokens, TOK_MAX, &count, &end, err);
	if (rc == ROWFS_OK)
		return parse_seed(line, end, tokens, count, out, err);
	return rc;
}

int parse_line(const char *line, size_t len, struct statement *out, struct rowfs_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > MAX_LINE_SIZE)
		return rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: line too long");
	if (len > 0 && memchr(line, '\0', len))
		return rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: NUL byte");
	rc = parse_statement(line, len, out, err);
	if (rc != ROWFS_OK) {
		statement_free(out);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

int parse_wants_more(const char *line, size_t len)
{
	struct statement st;
	struct rowfs_err err = {0};
	size_t end;
	int rc;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > MAX_LINE_SIZE || (len > 0 && memchr(line, '\0', len)))
		return 0;
	end = tok_statement_end(line, len);
	if (!is_sql_form(line, end))
		return 0;
	memset(&st, 0, sizeof(st));
	rc = parse_sql(line, end, &st, &err);
	statement_free(&st);
	return rc != ROWFS_OK && strstr(err.msg, "got EOF at position ") != NULL;
}
