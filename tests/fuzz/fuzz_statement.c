/*
 * fuzz_statement.c - libFuzzer target: arbitrary bytes as statement lines.
 *
 * Each input is split at '\n' and every line runs through rowfs_exec() in
 * one unit of the write transaction (begun, exec per line, committed
 * unless an explicit transaction is open in it, as ctl does) on a database
 * that lives for the whole process in a private directory under $TMPDIR
 * (sync=off, a small cache so that eviction and checkpoints happen).  The
 * database is recreated when it passes MAX_ROWS rows, so it stays small.
 * The whole input also goes to parse_line() and compile_statement()
 * directly, as one line.
 *
 * Oracles, besides the sanitizers:
 *   - a reference of the lexical rules (CONTRACT.md) written independently
 *     of engine/tokenizer.c: "line too long", "NUL byte" and the position
 *     of the first bad byte must match the engine's verdict exactly, and a
 *     line of good bytes never gets a token error;
 *   - a reference of the grammar (insert, update, delete, select, meta,
 *     begin/commit/end/rollback [transaction]): the statement type, the id
 *     (no wrapped or truncated number) and the name bytes;
 *   - Part 2: a reference of where a statement ends (comments, a final
 *     ';', quoted literals), of the dispatch between seed and SQL forms,
 *     and of the SQL lexer and grammar (create/drop table, insert into,
 *     select, update, delete, .tables, .schema): every error text with its
 *     position, or the whole statement, compared as canonical text
 *     (render_statement: names, types, constraints, literals bit for bit,
 *     positions);
 *   - statement errors emit nothing and carry a message and an errno;
 *     every reply ends with a newline;
 *   - Part 2 statements run too: a reply ending in a newline
 *     ("Executed." for a change) or a statement error (no reply, a
 *     message, an errno); a change to `users` makes the model below
 *     forget what it expected;
 *   - the last insert, update or delete of an id that committed (or sits
 *     in the explicit transaction still open: rowfs_scan() through the write
 *     transaction reads what it sees) is what rowfs_scan() finds (names
 *     byte for byte); a
 *     `rollback` forgets what the input expected so far; `select` prints
 *     one line per row.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (`make fuzz`, see
 * tests/fuzz/fuzz.mk; Debian packages clang and libclang-rt-dev).
 */
#include <config.h>

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"
#include "format.h"
#include "parser.h"
#include "rowfs.h"
#include "fuzz_util.h"

#define MAX_ROWS 3000u        /* recreate the database past this many rows */
#define MAX_INPUTS 20000u     /* ... or after this many inputs */
#define MAX_PAGES 8192u       /* ... or past this many pages (tables of Part 2) */
#define MAX_CHECKED 64u       /* ids of one input whose final state is verified */

static struct fuzz_dir dir;
static struct rowfs_db *db;
static struct rowfs_txn *txn;   /* the write transaction an explicit transaction keeps */
static char *db_path;
static unsigned inputs_on_db;

/* ---- reference of the lexical rules and the grammar ------------------- */

static int ref_is_word_ascii(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/*
 * Decode one UTF-8 character at p (n bytes available) the long way: read
 * the bits, then reject overlong forms, surrogates and values past
 * U+10FFFF.  Returns its length or 0.
 */
static size_t ref_utf8(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t need, i;

	if ((p[0] & 0xE0) == 0xC0) {
		need = 2;
		cp = p[0] & 0x1F;
	} else if ((p[0] & 0xF0) == 0xE0) {
		need = 3;
		cp = p[0] & 0x0F;
	} else if ((p[0] & 0xF8) == 0xF0) {
		need = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000))
		return 0;
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return 0;
	if (cp > 0x10FFFF)
		return 0;
	return need;
}

/* A byte as token errors show it: "@" or "\xC3". */
static const char *ref_shown(unsigned char c, char buf[8])
{
	if (c > 0x20 && c < 0x7F)
		snprintf(buf, 8, "%c", c);
	else
		snprintf(buf, 8, "\\x%02X", c);
	return buf;
}

static int ref_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int ref_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static int ref_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Where the statement of p[0..len) ends (CONTRACT.md, Part 2): a comment
 * ("--" first in the line or after a blank, outside quotes) cuts the
 * line, then one ';' that is the last non-blank byte is dropped.  Quotes:
 * '...' and x'...' end at a quote that is not doubled; E'...' (E not
 * glued to a word byte before it) also skips the byte after a backslash.
 * An open quote at the end means no comment and no ';'.
 */
static size_t ref_end(const unsigned char *p, size_t len)
{
	size_t i = 0, cut = len;
	int quote = 0, escapes = 0;

	while (i < len) {
		if (quote) {
			if (escapes && p[i] == '\\') {
				i += 2;
			} else if (p[i] == '\'' && i + 1 < len && p[i + 1] == '\'') {
				i += 2;
			} else {
				if (p[i] == '\'')
					quote = 0;
				i++;
			}
			continue;
		}
		if (p[i] == '\'') {
			quote = 1;
			escapes = i > 0 && (p[i - 1] | 0x20) == 'e' && (i < 2 || !ref_alnum(p[i - 2]));
		} else if (p[i] == '-' && i + 1 < len && p[i + 1] == '-' &&
			   (i == 0 || ref_blank(p[i - 1]))) {
			cut = i;
			break;
		}
		i++;
	}
	if (quote)
		return len;
	i = cut;
	while (i > 0 && ref_blank(p[i - 1]))
		i--;
	return i > 0 && p[i - 1] == ';' ? i - 1 : cut;
}

/* Lower-case copy of p[0..n) into buf (n < size) and 1 if it equals kw. */
static int ref_word_is(const unsigned char *p, size_t n, const char *kw)
{
	size_t i;

	if (n != strlen(kw))
		return 0;
	for (i = 0; i < n; i++)
		if (tolower(p[i]) != kw[i])
			return 0;
	return 1;
}

/*
 * The dispatch rule: the statement is SQL when its first words are
 * create table W, drop table W, insert into, delete from, update W set,
 * select *, select count (, select W , or select W from, where a word is
 * a run of [A-Za-z0-9_], W one not starting with a digit (any word for
 * create/drop), and any other non-blank byte is a word of its own.
 */
static int ref_is_sql(const unsigned char *p, size_t end)
{
	size_t pos[3], len[3], i = 0, w;
	int word[3];

	for (w = 0; w < 3; w++) {
		while (i < end && ref_blank(p[i]))
			i++;
		pos[w] = i;
		len[w] = 0;
		while (i < end && ref_alnum(p[i])) {
			i++;
			len[w]++;
		}
		word[w] = len[w] > 0;
		if (!word[w] && i < end) {
			len[w] = 1;
			i++;
		}
	}
#define W(n, kw) (word[n] && ref_word_is(p + pos[n], len[n], kw))
#define B(n, c) (!word[n] && len[n] == 1 && p[pos[n]] == (c))
#define NAME(n) (word[n] && !ref_digit(p[pos[n]]))
	if (W(0, "create") || W(0, "drop"))
		return W(1, "table") && word[2];
	if (W(0, "insert"))
		return W(1, "into");
	if (W(0, "delete"))
		return W(1, "from");
	if (W(0, "update"))
		return NAME(1) && W(2, "set");
	if (W(0, "select"))
		return B(1, '*') || (W(1, "count") && B(2, '(')) ||
		       (NAME(1) && (B(2, ',') || W(2, "from")));
	return 0;
#undef W
#undef B
#undef NAME
}

struct ref_token {
	size_t pos, len;
};

/* What the contract says a seed statement is. */
struct ref_result {
	int verdict;               /* 0 ok, 3 token error */
	size_t bad_pos;            /* verdict 3: position of the bad byte */
	unsigned char bad_byte;    /* verdict 3: the byte */
	size_t ntok;               /* tokens (up to 5 kept) */
	struct ref_token tok[5];
};

/* Part 1's lexical rules over the statement p[0..end). */
static void ref_lex(const unsigned char *p, size_t end, struct ref_result *r)
{
	size_t i = 0;

	memset(r, 0, sizeof(*r));
	while (i < end) {
		size_t start;

		if (p[i] == ' ' || p[i] == '\t') {
			i++;
			continue;
		}
		start = i;
		while (i < end && p[i] != ' ' && p[i] != '\t') {
			size_t n = p[i] < 0x80 ? (ref_is_word_ascii(p[i]) ? 1 : 0)
					       : ref_utf8(p + i, end - i);

			if (n == 0) {
				r->verdict = 3;
				r->bad_pos = i;
				r->bad_byte = p[i];
				return;
			}
			i += n;
		}
		if (r->ntok < 5) {
			r->tok[r->ntok].pos = start;
			r->tok[r->ntok].len = i - start;
		}
		r->ntok++;
	}
}

static int ref_keyword(const unsigned char *p, const struct ref_token *t, const char *kw)
{
	return ref_word_is(p + t->pos, t->len, kw);
}

static int ref_all_digits(const unsigned char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* "INTEGER" or "STRING": the contract's name of an extra token. */
static const char *ref_type(const unsigned char *p, const struct ref_token *t)
{
	if (ref_all_digits(p + t->pos, t->len))
		return "INTEGER";
	if (t->len > 1 && p[t->pos] == '-' && ref_all_digits(p + t->pos + 1, t->len - 1))
		return "INTEGER";
	return "STRING";
}

/* Value of an all-digit token, saturated at 2^33 (enough to say "out of range"). */
static uint64_t ref_value(const unsigned char *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v > (1ull << 33))
			v = 1ull << 33;
	}
	return v;
}

/* ---- reference of the SQL forms ------------------------------------------ */

/* Growable text: the canonical form of a statement (see render_statement). */
struct ref_text {
	char *s;
	size_t len, cap;
};

static void text_printf(struct ref_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void text_printf(struct ref_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		FUZZ_CHECK(n >= 0);
		if (t->s && t->len + (size_t)n < t->cap)
			break;
		t->cap = (t->cap + (size_t)n + 64) * 2;
		t->s = realloc(t->s, t->cap);
		FUZZ_CHECK(t->s != NULL);
	}
	t->len += (size_t)n;
}

/* Canonical literal: N, I<dec>, R<%a>, T<hex>, B<hex>, then @pos. */
static void text_literal(struct ref_text *t, int type, int64_t i, double r,
			 const unsigned char *bytes, size_t n, size_t pos)
{
	size_t k;

	switch (type) {
	case VALUE_NULL:
		text_printf(t, "N");
		break;
	case VALUE_INTEGER:
		text_printf(t, "I%lld", (long long)i);
		break;
	case VALUE_REAL:
		text_printf(t, "R%a", r);
		break;
	default:
		text_printf(t, "%c", type == VALUE_TEXT ? 'T' : 'B');
		for (k = 0; k < n; k++)
			text_printf(t, "%02x", bytes[k]);
		break;
	}
	text_printf(t, "@%zu", pos);
}

enum { R_EOF, R_WORD, R_INT, R_REAL, R_TEXT, R_BLOB, R_PUNCT };

/* One token of the reference SQL lexer. */
struct rtok {
	int kind;
	size_t pos, len;
	int64_t i;
	double r;
	size_t off, n;      /* R_TEXT/R_BLOB: decoded bytes in the lexer's buffer */
	char word[72];      /* R_WORD: lower case */
};

/* The reference SQL parser: all tokens first, then the grammar. */
struct rsql {
	const unsigned char *p;
	struct rtok *t;
	size_t n, cap, k;
	unsigned char *bytes;    /* decoded literals */
	size_t nbytes;
	int rc;                  /* expected error, ROWFS_OK if none */
	char msg[256];
	struct ref_text out;     /* expected canonical statement */
	struct ref_text aside;   /* a column's default, rendered before its flags */
};

static const char *const ref_keywords[] = {
	"and", "asc", "between", "blob", "by", "count", "create", "default", "delete",
	"desc", "drop", "exists", "from", "if", "index", "insert", "integer", "into",
	"is", "key", "limit", "not", "null", "offset", "on", "order", "primary", "real",
	"select", "set", "table", "text", "unique", "update", "values", "where",
};

static int ref_is_keyword(const char *w)
{
	size_t i;

	for (i = 0; i < sizeof(ref_keywords) / sizeof(ref_keywords[0]); i++)
		if (!strcmp(w, ref_keywords[i]))
			return 1;
	return 0;
}

static int rs_error(struct rsql *s, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rs_error(struct rsql *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
	s->rc = rc;
	return -1;
}

static struct rtok *rs_push(struct rsql *s, int kind, size_t pos, size_t len)
{
	struct rtok *t;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->t = realloc(s->t, s->cap * sizeof(*s->t));
		FUZZ_CHECK(s->t != NULL);
	}
	t = &s->t[s->n++];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->pos = pos;
	t->len = len;
	return t;
}

/*
 * A number starting at i: the run of [A-Za-z0-9_.] (and a sign right
 * after e/E), checked by a small state machine:
 *   0 start  1 '-'  2 digits  3 '.' after digits  4 '.' first
 *   5 fraction  6 'e'  7 exponent sign  8 exponent digits
 */
static int rs_number(struct rsql *s, size_t i, size_t end, size_t *next)
{
	const unsigned char *p = s->p;
	size_t j = i + 1, k;
	int state = 0, real = 0;
	struct rtok *t;

	while (j < end && (ref_alnum(p[j]) || p[j] == '.' ||
			   ((p[j] == '+' || p[j] == '-') && (p[j - 1] | 0x20) == 'e')))
		j++;
	for (k = i; k < j; k++) {
		unsigned char c = p[k];

		if (state == 0 && c == '-')
			state = 1;
		else if ((state == 0 || state == 1 || state == 2) && ref_digit(c))
			state = 2;
		else if (state == 2 && c == '.')
			state = 3;
		else if ((state == 0 || state == 1) && c == '.')
			state = 4;
		else if ((state == 3 || state == 4 || state == 5) && ref_digit(c))
			state = 5;
		else if ((state == 2 || state == 3 || state == 5) && (c | 0x20) == 'e')
			state = 6;
		else if (state == 6 && (c == '+' || c == '-'))
			state = 7;
		else if ((state == 6 || state == 7 || state == 8) && ref_digit(c))
			state = 8;
		else
			state = 99;
		if (state >= 3 && state != 99)
			real = 1;
	}
	if (state != 2 && state != 3 && state != 5 && state != 8)
		return rs_error(s, ROWFS_SYNTAX, "Parse error: Invalid number at position %zu", i);
	t = rs_push(s, real ? R_REAL : R_INT, i, j - i);
	if (!real) {
		__int128 v = 0;
		int neg = p[i] == '-';

		for (k = i + (size_t)neg; k < j; k++) {
			v = v * 10 + (p[k] - '0');
			if (v > (__int128)INT64_MAX + 1)
				break;
		}
		if (neg)
			v = -v;
		if (v > INT64_MAX || v < INT64_MIN)
			return rs_error(s, ROWFS_RANGE,
					"Parse error: Integer out of range at position %zu", i);
		t->i = (int64_t)v;
	} else {
		char *copy = malloc(j - i + 1);

		FUZZ_CHECK(copy != NULL);
		memcpy(copy, p + i, j - i);
		copy[j - i] = '\0';
		t->r = strtod(copy, NULL);
		free(copy);
		if (isinf(t->r) || isnan(t->r))
			return rs_error(s, ROWFS_RANGE, "Parse error: Real out of range at position %zu",
					i);
	}
	*next = j;
	return 0;
}

/* A quoted literal: start is its first byte, q its opening quote. */
static int rs_quoted(struct rsql *s, size_t start, size_t q, size_t end, int kind, int escapes,
		     size_t *next)
{
	const unsigned char *p = s->p;
	size_t j = q + 1, off = s->nbytes, digits = 0;
	struct rtok *t;
	char shown[8];

	for (;;) {
		if (j >= end)
			return rs_error(s, ROWFS_SYNTAX,
					"Parse error: Unterminated literal at position %zu", start);
		if (p[j] == '\'' && kind == R_BLOB)
			break;
		if (p[j] == '\'') {
			if (j + 1 < end && p[j + 1] == '\'') {
				s->bytes[s->nbytes++] = '\'';
				j += 2;
				continue;
			}
			break;
		}
		if (kind == R_BLOB) {
			if (!isxdigit(p[j]))
				return rs_error(s, ROWFS_SYNTAX,
						"Parse error: Bad hex digit '%s' at position %zu",
						ref_shown(p[j], shown), j);
			if (digits++ % 2 == 0) {
				s->bytes[s->nbytes] = 0;
				s->nbytes++;
			}
			s->bytes[s->nbytes - 1] = (unsigned char)(s->bytes[s->nbytes - 1] * 16 +
				(ref_digit(p[j]) ? p[j] - '0' : (p[j] | 0x20) - 'a' + 10));
			j++;
			continue;
		}
		if (escapes && p[j] == '\\') {
			static const char from[] = "ntr\\'", to[] = "\n\t\r\\'";
			const char *hit;

			if (j + 1 >= end)
				return rs_error(s, ROWFS_SYNTAX,
						"Parse error: Unterminated literal at position %zu",
						start);
			hit = p[j + 1] ? strchr(from, p[j + 1]) : NULL;
			if (!hit)
				return rs_error(s, ROWFS_SYNTAX,
						"Parse error: Bad escape '\\%s' at position %zu",
						ref_shown(p[j + 1], shown), j);
			s->bytes[s->nbytes++] = (unsigned char)to[hit - from];
			j += 2;
			continue;
		}
		if (p[j] < 0x80) {
			s->bytes[s->nbytes++] = p[j++];
		} else {
			size_t n = ref_utf8(p + j, end - j);

			if (n == 0)
				return rs_error(s, ROWFS_TOKEN,
						"Token error: Unexpected character '%s' at position %zu",
						ref_shown(p[j], shown), j);
			memcpy(s->bytes + s->nbytes, p + j, n);
			s->nbytes += n;
			j += n;
		}
	}
	if (kind == R_BLOB && digits % 2)
		return rs_error(s, ROWFS_SYNTAX,
				"Parse error: Odd number of hex digits at position %zu", start);
	t = rs_push(s, kind, start, j + 1 - start);
	t->off = off;
	t->n = s->nbytes - off;
	*next = j + 1;
	return 0;
}

/* Lex p[start..end) into s->t (EOF last); 0, or -1 with the error set. */
static int rs_lex(struct rsql *s, size_t start, size_t end)
{
	const unsigned char *p = s->p;
	size_t i = start;
	char shown[8];

	s->bytes = malloc(end - start + 1);
	FUZZ_CHECK(s->bytes != NULL);
	for (;;) {
		size_t next = 0;
		unsigned char c, d;

		while (i < end && ref_blank(p[i]))
			i++;
		if (i >= end)
			break;
		c = p[i];
		d = i + 1 < end ? p[i + 1] : 0;
		if ((c | 0x20) == 'e' && d == '\'') {
			if (rs_quoted(s, i, i + 1, end, R_TEXT, 1, &next))
				return -1;
		} else if ((c | 0x20) == 'x' && d == '\'') {
			if (rs_quoted(s, i, i + 1, end, R_BLOB, 0, &next))
				return -1;
		} else if (c == '\'') {
			if (rs_quoted(s, i, i, end, R_TEXT, 0, &next))
				return -1;
		} else if (isalpha(c) || c == '_') {
			struct rtok *t;
			size_t k;

			next = i;
			while (next < end && ref_alnum(p[next]))
				next++;
			if (next - i > 64)
				return rs_error(s, ROWFS_SYNTAX,
						"Parse error: Name too long (%zu > 64) at position %zu",
						next - i, i);
			t = rs_push(s, R_WORD, i, next - i);
			for (k = 0; k < next - i; k++)
				t->word[k] = (char)tolower(p[i + k]);
		} else if (ref_digit(c) || (c == '.' && ref_digit(d)) ||
			   (c == '-' && (ref_digit(d) || (d == '.' && i + 2 < end &&
							   ref_digit(p[i + 2]))))) {
			if (rs_number(s, i, end, &next))
				return -1;
		} else if ((c == '!' || c == '<' || c == '>') && d == '=') {
			rs_push(s, R_PUNCT, i, 2);
			next = i + 2;
		} else if (c == '<' && d == '>') {
			rs_push(s, R_PUNCT, i, 2);
			next = i + 2;
		} else if (strchr("(),*=<>", c) && c) {
			rs_push(s, R_PUNCT, i, 1);
			next = i + 1;
		} else {
			return rs_error(s, ROWFS_TOKEN,
					"Token error: Unexpected character '%s' at position %zu",
					ref_shown(c, shown), i);
		}
		i = next;
	}
	rs_push(s, R_EOF, end, 0);
	return 0;
}

static struct rtok *cur(struct rsql *s)
{
	return &s->t[s->k];
}

static int is_kw(struct rsql *s, const char *kw)
{
	return cur(s)->kind == R_WORD && !strcmp(cur(s)->word, kw);
}

static int is_punct(struct rsql *s, const char *text)
{
	struct rtok *t = cur(s);

	return t->kind == R_PUNCT && t->len == strlen(text) && !memcmp(s->p + t->pos, text, t->len);
}

/* "Expected WHAT, got TOKEN at position N" at the current token. */
static int expected_sql(struct rsql *s, const char *what)
{
	struct rtok *t = cur(s);
	char got[80];
	size_t i;

	switch (t->kind) {
	case R_EOF:
		strcpy(got, "EOF");
		break;
	case R_INT:
		strcpy(got, "INTEGER");
		break;
	case R_REAL:
		strcpy(got, "REAL");
		break;
	case R_TEXT:
		strcpy(got, "TEXT");
		break;
	case R_BLOB:
		strcpy(got, "BLOB");
		break;
	case R_PUNCT:
		snprintf(got, sizeof(got), "'%.*s'", (int)t->len, (const char *)s->p + t->pos);
		break;
	default:
		if (!ref_is_keyword(t->word)) {
			strcpy(got, "NAME");
			break;
		}
		for (i = 0; t->word[i]; i++)
			got[i] = (char)toupper((unsigned char)t->word[i]);
		got[i] = '\0';
		break;
	}
	return rs_error(s, ROWFS_SYNTAX, "Parse error: Expected %s, got %s at position %zu", what,
			got, t->pos);
}

/* Consume keyword kw (its upper-case text in the error). */
static int want_kw(struct rsql *s, const char *kw, const char *upper)
{
	if (!is_kw(s, kw))
		return expected_sql(s, upper);
	s->k++;
	return 0;
}

static int want_punct(struct rsql *s, const char *text)
{
	char what[8];

	if (is_punct(s, text)) {
		s->k++;
		return 0;
	}
	snprintf(what, sizeof(what), "'%s'", text);
	return expected_sql(s, what);
}

static int want_end(struct rsql *s, const char *what)
{
	return cur(s)->kind == R_EOF ? 0 : expected_sql(s, what);
}

/* A name: a word that is no keyword; "name@pos" into the output. */
static int want_name(struct rsql *s, const char *what)
{
	struct rtok *t = cur(s);

	if (t->kind != R_WORD || ref_is_keyword(t->word))
		return expected_sql(s, what);
	text_printf(&s->out, "%s@%zu", t->word, t->pos);
	s->k++;
	return 0;
}

static int want_literal(struct rsql *s)
{
	struct rtok *t = cur(s);

	switch (t->kind) {
	case R_INT:
		text_literal(&s->out, VALUE_INTEGER, t->i, 0, NULL, 0, t->pos);
		break;
	case R_REAL:
		text_literal(&s->out, VALUE_REAL, 0, t->r, NULL, 0, t->pos);
		break;
	case R_TEXT:
	case R_BLOB:
		text_literal(&s->out, t->kind == R_TEXT ? VALUE_TEXT : VALUE_BLOB, 0, 0,
			     s->bytes + t->off, t->n, t->pos);
		break;
	case R_WORD:
		if (!strcmp(t->word, "null")) {
			text_literal(&s->out, VALUE_NULL, 0, 0, NULL, 0, t->pos);
			break;
		}
		/* fall through */
	default:
		return expected_sql(s, "literal");
	}
	s->k++;
	return 0;
}

static int too_many(struct rsql *s, const char *what)
{
	return rs_error(s, ROWFS_SYNTAX, "Parse error: Too many %s (more than 64) at position %zu",
			what, cur(s)->pos);
}

/* [where PRED [and PRED]...] as " where(P;P)" */
static int want_where(struct rsql *s, unsigned *count)
{
	static const char *const ops[][2] = {
		{"=", "eq"}, {"!=", "ne"}, {"<>", "ne"}, {"<", "lt"}, {"<=", "le"}, {">", "gt"}, {">=", "ge"},
	};
	size_t i;

	*count = 0;
	if (!is_kw(s, "where"))
		return 0;
	text_printf(&s->out, " where(");
	do {
		s->k++;
		if (*count)
			text_printf(&s->out, ";");
		(*count)++;
		if (want_name(s, "column name"))
			return -1;
		for (i = 0; i < 7; i++)
			if (is_punct(s, ops[i][0]))
				break;
		if (i < 7) {
			s->k++;
			text_printf(&s->out, " %s ", ops[i][1]);
			if (want_literal(s))
				return -1;
		} else if (is_kw(s, "between")) {
			s->k++;
			text_printf(&s->out, " between ");
			if (want_literal(s) || want_kw(s, "and", "AND"))
				return -1;
			text_printf(&s->out, " ");
			if (want_literal(s))
				return -1;
		} else if (is_kw(s, "is")) {
			s->k++;
			if (is_kw(s, "not")) {
				s->k++;
				text_printf(&s->out, " isnotnull");
				if (want_kw(s, "null", "NULL"))
					return -1;
			} else if (is_kw(s, "null")) {
				s->k++;
				text_printf(&s->out, " isnull");
			} else {
				return expected_sql(s, "NOT or NULL");
			}
		} else {
			return expected_sql(s, "comparison operator, BETWEEN or IS");
		}
	} while (is_kw(s, "and"));
	text_printf(&s->out, ")");
	return 0;
}

static int ref_create(struct rsql *s)
{
	unsigned cols = 0;

	s->k = 2;
	text_printf(&s->out, "create ");
	if (is_kw(s, "if")) {
		s->k++;
		if (want_kw(s, "not", "NOT") || want_kw(s, "exists", "EXISTS"))
			return -1;
		if (want_name(s, "table name"))
			return -1;
		text_printf(&s->out, " ine=1");
	} else {
		if (want_name(s, "table name"))
			return -1;
		text_printf(&s->out, " ine=0");
	}
	if (want_punct(s, "("))
		return -1;
	for (;;) {
		int pk = 0, nn = 0, def = 0;
		const char *type;
		long max = 0;
		struct ref_text swap;

		if (cols == 64)
			return too_many(s, "columns");
		text_printf(&s->out, " [");
		if (want_name(s, "column name"))
			return -1;
		type = is_kw(s, "integer") ? "1" : is_kw(s, "real") ? "2" : is_kw(s, "text") ? "3" :
		       is_kw(s, "blob") ? "4" : NULL;
		if (!type)
			return expected_sql(s, "column type");
		s->k++;
		if (type[0] == '3' || type[0] == '4') {
			max = 1048576;
			if (is_punct(s, "(")) {
				s->k++;
				if (cur(s)->kind != R_INT)
					return expected_sql(s, "INTEGER");
				if (cur(s)->i < 1 || cur(s)->i > 1048576)
					return rs_error(s, ROWFS_SYNTAX,
							"Parse error: Length out of range (1..1048576) at position %zu",
							cur(s)->pos);
				max = (long)cur(s)->i;
				s->k++;
				if (want_punct(s, ")"))
					return -1;
			}
		}
		for (;;) {
			size_t at = cur(s)->pos;

			if (is_kw(s, "primary")) {
				if (pk++)
					return rs_error(s, ROWFS_SYNTAX,
							"Parse error: PRIMARY KEY given twice at position %zu", at);
				s->k++;
				if (want_kw(s, "key", "KEY"))
					return -1;
			} else if (is_kw(s, "not")) {
				if (nn++)
					return rs_error(s, ROWFS_SYNTAX,
							"Parse error: NOT NULL given twice at position %zu", at);
				s->k++;
				if (want_kw(s, "null", "NULL"))
					return -1;
			} else if (is_kw(s, "default")) {
				if (def++)
					return rs_error(s, ROWFS_SYNTAX,
							"Parse error: DEFAULT given twice at position %zu", at);
				s->k++;
				/* the default goes after the flags: render it aside (check_sql frees both) */
				s->aside.len = 0;
				swap = s->out;
				s->out = s->aside;
				s->aside = swap;
				if (want_literal(s))
					return -1;
				swap = s->out;
				s->out = s->aside;
				s->aside = swap;
			} else {
				break;
			}
		}
		text_printf(&s->out, " %s %ld pk=%d nn=%d def=%s]", type, max, pk, nn,
			    def ? s->aside.s : "-");
		cols++;
		if (is_punct(s, ")"))
			break;
		if (!is_punct(s, ","))
			return expected_sql(s, "PRIMARY KEY, NOT NULL, DEFAULT, ',' or ')'");
		s->k++;
	}
	s->k++;
	return want_end(s, "end of line");
}

static int ref_drop(struct rsql *s)
{
	int ie = 0;

	s->k = 2;
	text_printf(&s->out, "drop ");
	if (is_kw(s, "if")) {
		s->k++;
		if (want_kw(s, "exists", "EXISTS"))
			return -1;
		ie = 1;
	}
	if (want_name(s, "table name"))
		return -1;
	text_printf(&s->out, " ie=%d", ie);
	return want_end(s, "end of line");
}

static int ref_insert(struct rsql *s)
{
	unsigned rows = 0, width = 0, n, names = 0;
	struct ref_text vals = {0}, keep;
	int rc = -1;

	s->k = 2;
	text_printf(&s->out, "insert ");
	if (want_name(s, "table name"))
		return -1;
	text_printf(&s->out, " cols(");
	if (is_punct(s, "(")) {
		do {
			s->k++;
			if (names == 64)
				return too_many(s, "columns");
			if (names++)
				text_printf(&s->out, ",");
			if (want_name(s, "column name"))
				return -1;
		} while (is_punct(s, ","));
		if (!is_punct(s, ")"))
			return expected_sql(s, "',' or ')'");
		s->k++;
		if (want_kw(s, "values", "VALUES"))
			return -1;
	} else if (is_kw(s, "values")) {
		s->k++;
	} else {
		return expected_sql(s, "'(' or VALUES");
	}
	text_printf(&s->out, ")");
	keep = s->out;
	s->out = vals;
	for (;;) {
		size_t at = cur(s)->pos;

		if (want_punct(s, "("))
			goto out;
		for (n = 0;;) {
			if (n == 64) {
				too_many(s, "values");
				goto out;
			}
			if (rows || n)
				text_printf(&s->out, ",");
			if (want_literal(s))
				goto out;
			n++;
			if (is_punct(s, ")"))
				break;
			if (!is_punct(s, ",")) {
				expected_sql(s, "',' or ')'");
				goto out;
			}
			s->k++;
		}
		if (rows == 0) {
			width = n;
		} else if (n != width) {
			rs_error(s, ROWFS_SYNTAX,
				 "Parse error: Row %u has %u values, row 1 has %u at position %zu",
				 rows + 1, n, width, at);
			goto out;
		}
		rows++;
		s->k++;
		if (cur(s)->kind == R_EOF)
			break;
		if (!is_punct(s, ",")) {
			expected_sql(s, "',' or end of line");
			goto out;
		}
		s->k++;
	}
	rc = 0;
out:
	vals = s->out;
	s->out = keep;
	if (rc == 0)
		text_printf(&s->out, " rows=%u width=%u vals(%s)", rows, width, vals.s ? vals.s : "");
	free(vals.s);
	return rc;
}

/* LIMIT/OFFSET's integer (what names it in the error). */
static int want_count(struct rsql *s, const char *what)
{
	s->k++;
	if (cur(s)->kind != R_INT)
		return expected_sql(s, "INTEGER");
	if (cur(s)->i < 0)
		return rs_error(s, ROWFS_RANGE, "Parse error: %s must be non-negative at position %zu",
				what, cur(s)->pos);
	text_printf(&s->out, "%lld", (long long)cur(s)->i);
	s->k++;
	return 0;
}

static int ref_select(struct rsql *s)
{
	const char *next;
	unsigned names = 0, preds;

	s->k = 1;
	text_printf(&s->out, "select ");
	if (is_punct(s, "*")) {
		s->k++;
		text_printf(&s->out, "count=0 cols()");
	} else if (is_kw(s, "count")) {
		s->k++;
		if (want_punct(s, "(") || want_punct(s, "*") || want_punct(s, ")"))
			return -1;
		text_printf(&s->out, "count=1 cols()");
	} else {
		text_printf(&s->out, "count=0 cols(");
		if (want_name(s, "'*', COUNT or column name"))
			return -1;
		names = 1;
		while (is_punct(s, ",")) {
			s->k++;
			if (names == 64)
				return too_many(s, "columns");
			names++;
			text_printf(&s->out, ",");
			if (want_name(s, "column name"))
				return -1;
		}
		if (!is_kw(s, "from"))
			return expected_sql(s, "',' or FROM");
		text_printf(&s->out, ")");
	}
	if (want_kw(s, "from", "FROM"))
		return -1;
	text_printf(&s->out, " ");
	if (want_name(s, "table name") || want_where(s, &preds))
		return -1;
	next = preds ? "AND, ORDER BY, LIMIT or end of line" : "WHERE, ORDER BY, LIMIT or end of line";
	text_printf(&s->out, " order=");
	if (is_kw(s, "order")) {
		s->k++;
		if (want_kw(s, "by", "BY") || want_name(s, "column name"))
			return -1;
		next = "ASC, DESC, LIMIT or end of line";
		if (is_kw(s, "asc") || is_kw(s, "desc")) {
			text_printf(&s->out, "/%s", cur(s)->word);
			s->k++;
			next = "LIMIT or end of line";
		} else {
			text_printf(&s->out, "/asc");
		}
	} else {
		text_printf(&s->out, "-");
	}
	text_printf(&s->out, " limit=");
	if (is_kw(s, "limit")) {
		if (want_count(s, "LIMIT"))
			return -1;
		next = "OFFSET or end of line";
		text_printf(&s->out, "/");
		if (is_kw(s, "offset")) {
			if (want_count(s, "OFFSET"))
				return -1;
			next = "end of line";
		} else {
			text_printf(&s->out, "0");
		}
	} else {
		text_printf(&s->out, "-");
	}
	return want_end(s, next);
}

static int ref_update(struct rsql *s)
{
	unsigned sets = 0, preds;

	s->k = 1;
	text_printf(&s->out, "update ");
	if (want_name(s, "table name") || want_kw(s, "set", "SET"))
		return -1;
	text_printf(&s->out, " set(");
	for (;;) {
		if (sets == 64)
			return too_many(s, "assignments");
		if (sets++)
			text_printf(&s->out, ",");
		if (want_name(s, "column name") || want_punct(s, "="))
			return -1;
		text_printf(&s->out, "=");
		if (want_literal(s))
			return -1;
		if (!is_punct(s, ","))
			break;
		s->k++;
	}
	text_printf(&s->out, ")");
	if (!is_kw(s, "where"))
		return want_end(s, "',', WHERE or end of line");
	if (want_where(s, &preds))
		return -1;
	return want_end(s, "AND or end of line");
}

static int ref_delete(struct rsql *s)
{
	unsigned preds;

	s->k = 2;
	text_printf(&s->out, "delete ");
	if (want_name(s, "table name"))
		return -1;
	if (!is_kw(s, "where"))
		return want_end(s, "WHERE or end of line");
	if (want_where(s, &preds))
		return -1;
	return want_end(s, "AND or end of line");
}

static int ref_schema(struct rsql *s)
{
	s->k = 0;
	text_printf(&s->out, "schema ");
	if (cur(s)->kind == R_EOF) {
		text_printf(&s->out, "-");
		return 0;
	}
	if (want_name(s, "table name"))
		return -1;
	return want_end(s, "end of line");
}

/* The canonical text of a parsed Part 2 statement, as the reference writes it. */
static void render_literal(struct ref_text *t, const struct literal *l)
{
	text_literal(t, l->v.type, l->v.i, l->v.r, l->v.p, l->v.len, l->pos);
}

static void render_ident(struct ref_text *t, const struct ident *id)
{
	FUZZ_CHECK(id->name != NULL && strlen(id->name) == id->len);
	text_printf(t, "%s@%zu", id->name, id->pos);
}

static void render_where(struct ref_text *t, const struct statement *st)
{
	static const char *const names[] = {
		"?", "eq", "ne", "lt", "le", "gt", "ge", "between", "isnull", "isnotnull",
	};
	unsigned i;

	if (st->pred_count == 0)
		return;
	text_printf(t, " where(");
	for (i = 0; i < st->pred_count; i++) {
		const struct pred *p = &st->preds[i];

		if (i)
			text_printf(t, ";");
		render_ident(t, &p->column);
		FUZZ_CHECK(p->op >= PRED_EQ && p->op <= PRED_IS_NOT_NULL);
		if (p->op == PRED_IS_NULL || p->op == PRED_IS_NOT_NULL) {
			text_printf(t, " %s", names[p->op]);
			continue;
		}
		text_printf(t, " %s ", names[p->op]);
		render_literal(t, &p->a);
		if (p->op == PRED_BETWEEN) {
			text_printf(t, " ");
			render_literal(t, &p->b);
		}
	}
	text_printf(t, ")");
}

static void render_statement(struct ref_text *t, const struct statement *st)
{
	unsigned i;

	switch (st->type) {
	case STMT_CREATE_TABLE:
		text_printf(t, "create ");
		render_ident(t, &st->table);
		text_printf(t, " ine=%d", st->if_exists);
		for (i = 0; i < st->column_count; i++) {
			const struct column_def *c = &st->columns[i];

			text_printf(t, " [");
			render_ident(t, &c->name);
			text_printf(t, " %d %ld pk=%d nn=%d def=", (int)c->type, (long)c->max_len,
				    c->primary_key, c->not_null);
			if (c->has_default)
				render_literal(t, &c->def);
			else
				text_printf(t, "-");
			text_printf(t, "]");
		}
		break;
	case STMT_DROP_TABLE:
		text_printf(t, "drop ");
		render_ident(t, &st->table);
		text_printf(t, " ie=%d", st->if_exists);
		break;
	case STMT_INSERT_INTO:
		text_printf(t, "insert ");
		render_ident(t, &st->table);
		text_printf(t, " cols(");
		for (i = 0; i < st->name_count; i++) {
			if (i)
				text_printf(t, ",");
			render_ident(t, &st->names[i]);
		}
		text_printf(t, ") rows=%u width=%u vals(", st->row_count, st->row_width);
		for (i = 0; i < st->row_count * st->row_width; i++) {
			if (i)
				text_printf(t, ",");
			render_literal(t, &st->values[i]);
		}
		text_printf(t, ")");
		break;
	case STMT_SELECT_FROM:
		text_printf(t, "select count=%d cols(", st->select_count);
		for (i = 0; i < st->name_count; i++) {
			if (i)
				text_printf(t, ",");
			render_ident(t, &st->names[i]);
		}
		text_printf(t, ") ");
		render_ident(t, &st->table);
		render_where(t, st);
		text_printf(t, " order=");
		if (st->has_order) {
			render_ident(t, &st->order_column);
			text_printf(t, "/%s", st->order_desc ? "desc" : "asc");
		} else {
			text_printf(t, "-");
		}
		if (st->has_limit)
			text_printf(t, " limit=%llu/%llu", (unsigned long long)st->limit,
				    (unsigned long long)st->offset);
		else
			text_printf(t, " limit=-");
		break;
	case STMT_UPDATE_SET:
		text_printf(t, "update ");
		render_ident(t, &st->table);
		text_printf(t, " set(");
		for (i = 0; i < st->set_count; i++) {
			if (i)
				text_printf(t, ",");
			render_ident(t, &st->sets[i].column);
			text_printf(t, "=");
			render_literal(t, &st->sets[i].value);
		}
		text_printf(t, ")");
		render_where(t, st);
		break;
	case STMT_DELETE_FROM:
		text_printf(t, "delete ");
		render_ident(t, &st->table);
		render_where(t, st);
		break;
	case STMT_SCHEMA:
		text_printf(t, "schema ");
		if (st->table.len)
			render_ident(t, &st->table);
		else
			text_printf(t, "-");
		break;
	default:
		text_printf(t, "type %d", (int)st->type);
		break;
	}
}

/*
 * Compare parse_line's verdict on an SQL statement p[start..end) (schema:
 * .schema's argument) with the reference.
 */
static void check_sql(const unsigned char *p, size_t start, size_t end, int schema, int rc,
		      const struct statement *st, const struct rowfs_err *err)
{
	struct rsql s;
	struct ref_text got = {0};
	int fails;

	memset(&s, 0, sizeof(s));
	s.p = p;
	fails = rs_lex(&s, start, end);
	if (!fails) {
		if (schema)
			fails = ref_schema(&s);
		else if (!strcmp(s.t[0].word, "create"))
			fails = ref_create(&s);
		else if (!strcmp(s.t[0].word, "drop"))
			fails = ref_drop(&s);
		else if (!strcmp(s.t[0].word, "insert"))
			fails = ref_insert(&s);
		else if (!strcmp(s.t[0].word, "select"))
			fails = ref_select(&s);
		else if (!strcmp(s.t[0].word, "update"))
			fails = ref_update(&s);
		else
			fails = ref_delete(&s);
	}
	if (fails) {
		if (rc != s.rc || strcmp(err->msg, s.msg) != 0) {
			fprintf(stderr, "fuzz_statement: rc %d '%s', reference %d '%s'\n", rc,
				err->msg, s.rc, s.msg);
			FUZZ_CHECK(!"the parser and the reference disagree on an error");
		}
		FUZZ_CHECK(st->type == STMT_EMPTY && st->arena == NULL);
	} else {
		if (rc != ROWFS_OK) {
			fprintf(stderr, "fuzz_statement: rc %d '%s', reference accepts '%s'\n", rc,
				err->msg, s.out.s);
			FUZZ_CHECK(!"the parser refuses what the reference accepts");
		}
		render_statement(&got, st);
		if (strcmp(got.s, s.out.s) != 0) {
			fprintf(stderr, "fuzz_statement: parsed '%s'\n  reference '%s'\n", got.s,
				s.out.s);
			FUZZ_CHECK(!"the parser and the reference disagree on a statement");
		}
	}
	free(got.s);
	free(s.out.s);
	free(s.aside.s);
	free(s.t);
	free(s.bytes);
}

/* Compare what parse_line said about line with the reference. */

/*
 * The contract's rule for a meta-command with arguments (parser.c's
 * unknown_meta): `.WORD ARGS...` whose WORD is one token and not a
 * command the engine knows is that command, whatever the arguments (an
 * "Unrecognized meta-command" when it runs), not an error about them.
 * Fills r with the word's token.
 */
static int ref_unknown_meta(const unsigned char *p, size_t end, struct ref_result *r)
{
	static const char *const known[] = {
		".tables", ".schema", ".btree", ".constants", ".stats", ".checkpoint", ".exit",
	};
	size_t s = 0, w, i;

	while (s < end && (p[s] == ' ' || p[s] == '\t'))
		s++;
	if (s == end || p[s] != '.')
		return 0;
	for (w = s; w < end && p[w] != ' ' && p[w] != '\t'; w++)
		;
	for (i = w; i < end && (p[i] == ' ' || p[i] == '\t'); i++)
		;
	if (i == end)
		return 0;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (ref_word_is(p + s, w - s, known[i]))
			return 0;
	ref_lex(p, w, r);
	return r->verdict != 3 && r->ntok == 1 && r->tok[0].pos == s && r->tok[0].len == w - s;
}

static void check_parse(const unsigned char *p, size_t len, int rc, const struct statement *st,
			const struct rowfs_err *err)
{
	struct ref_result r;
	char want[160];
	size_t end;
	int is_delete, is_update;

	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len > MAX_LINE_SIZE) {
		FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, "Parse error: line too long"));
		return;
	}
	if (len > 0 && memchr(p, 0, len)) {
		FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, "Parse error: NUL byte"));
		return;
	}
	end = ref_end(p, len);
	if (ref_is_sql(p, end)) {
		check_sql(p, 0, end, 0, rc, st, err);
		return;
	}
	if (ref_unknown_meta(p, end, &r)) {
		/* `.WORD ARGS` with a WORD the engine does not know: the command itself */
		FUZZ_CHECK(rc == ROWFS_OK && st->type == STMT_META);
		FUZZ_CHECK(st->meta_len == r.tok[0].len &&
			   st->meta == (const char *)p + r.tok[0].pos);
		return;
	}
	ref_lex(p, end, &r);
	if (r.verdict == 3) {
		char shown[8];

		snprintf(want, sizeof(want), "Token error: Unexpected character '%s' at position %zu",
			 ref_shown(r.bad_byte, shown), r.bad_pos);
		FUZZ_CHECK(rc == ROWFS_TOKEN);
		FUZZ_CHECK(!strcmp(err->msg, want));
		return;
	}
	if (r.ntok == 0) {
		FUZZ_CHECK(rc == ROWFS_OK && st->type == STMT_EMPTY);
		return;
	}
	if (p[r.tok[0].pos] == '.') {
		if (ref_keyword(p, &r.tok[0], ".schema")) {
			/* the argument: SQL rules */
			check_sql(p, r.tok[0].pos + r.tok[0].len, end, 1, rc, st, err);
			return;
		}
		FUZZ_CHECK(rc != ROWFS_TOKEN);
		if (r.ntok == 1) {
			FUZZ_CHECK(rc == ROWFS_OK);
			FUZZ_CHECK(st->type == (ref_keyword(p, &r.tok[0], ".tables") ? STMT_TABLES
										  : STMT_META));
			FUZZ_CHECK(st->meta_len == r.tok[0].len &&
				   st->meta == (const char *)p + r.tok[0].pos);
		} else {
			snprintf(want, sizeof(want),
				 "Parse error: Expected end of line, got %s at position %zu",
				 ref_type(p, &r.tok[1]), r.tok[1].pos);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
		}
		return;
	}
	FUZZ_CHECK(rc != ROWFS_TOKEN);
	if (ref_keyword(p, &r.tok[0], "select")) {
		if (r.ntok == 1) {
			FUZZ_CHECK(rc == ROWFS_OK && st->type == STMT_SELECT);
		} else {
			snprintf(want, sizeof(want),
				 "Parse error: Expected end of line, got %s at position %zu",
				 ref_type(p, &r.tok[1]), r.tok[1].pos);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
		}
		return;
	}
	if (ref_keyword(p, &r.tok[0], "begin") || ref_keyword(p, &r.tok[0], "commit") ||
	    ref_keyword(p, &r.tok[0], "end") || ref_keyword(p, &r.tok[0], "rollback")) {
		/* begin|commit|end|rollback [transaction] */
		size_t eol = r.ntok >= 2 && ref_keyword(p, &r.tok[1], "transaction") ? 2 : 1;
		enum stmt_type type = ref_keyword(p, &r.tok[0], "begin")    ? STMT_BEGIN :
				      ref_keyword(p, &r.tok[0], "rollback") ? STMT_ROLLBACK :
									      STMT_COMMIT;

		if (r.ntok == eol) {
			FUZZ_CHECK(rc == ROWFS_OK && st->type == type);
		} else {
			snprintf(want, sizeof(want),
				 "Parse error: Expected end of line, got %s at position %zu",
				 ref_type(p, &r.tok[eol]), r.tok[eol].pos);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
		}
		return;
	}
	is_delete = ref_keyword(p, &r.tok[0], "delete");
	is_update = ref_keyword(p, &r.tok[0], "update");
	if (!is_delete && !is_update && !ref_keyword(p, &r.tok[0], "insert")) {
		FUZZ_CHECK(rc == ROWFS_SYNTAX);
		FUZZ_CHECK(!strcmp(err->msg, "Parse error: Expected INSERT, SELECT, or meta-command"));
		return;
	}
	/* insert ID NAME, update ID NAME, delete ID */
	if (r.ntok < 2) {
		snprintf(want, sizeof(want), "Parse error: Expected INTEGER, got EOF at position %zu",
			 end);
		FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
		return;
	}
	{
		const unsigned char *id = p + r.tok[1].pos;
		size_t id_len = r.tok[1].len;
		size_t end_tok = is_delete ? 2 : 3;   /* the token that must be EOF */

		if (id_len > 1 && id[0] == '-' && ref_all_digits(id + 1, id_len - 1)) {
			FUZZ_CHECK(rc == ROWFS_RANGE);
			FUZZ_CHECK(!strcmp(err->msg, "Parse error: Row id must be non-negative"));
			return;
		}
		if (!ref_all_digits(id, id_len)) {
			snprintf(want, sizeof(want),
				 "Parse error: Expected INTEGER, got STRING at position %zu",
				 r.tok[1].pos);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
			return;
		}
		if (ref_value(id, id_len) > UINT32_MAX) {
			FUZZ_CHECK(rc == ROWFS_RANGE);
			FUZZ_CHECK(!strcmp(err->msg, "Parse error: Row id out of range"));
			return;
		}
		if (!is_delete && r.ntok < 3) {
			snprintf(want, sizeof(want),
				 "Parse error: Expected STRING, got EOF at position %zu", end);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
			return;
		}
		if (r.ntok > end_tok) {
			snprintf(want, sizeof(want),
				 "Parse error: Expected end of line, got %s at position %zu",
				 ref_type(p, &r.tok[end_tok]), r.tok[end_tok].pos);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
			return;
		}
		FUZZ_CHECK(rc == ROWFS_OK);
		FUZZ_CHECK(st->id == ref_value(id, id_len));
		if (is_delete) {
			FUZZ_CHECK(st->type == STMT_DELETE);
			return;
		}
		FUZZ_CHECK(st->type == (is_update ? STMT_UPDATE : STMT_INSERT));
		FUZZ_CHECK(st->name == (const char *)p + r.tok[2].pos);
		FUZZ_CHECK(st->name_len == r.tok[2].len);
	}
}

/* ---- the database ------------------------------------------------------ */

/* Reply text of one statement. */
struct reply {
	char *buf;
	size_t len, cap;
};

static int reply_emit(void *ctx, const char *text, size_t len)
{
	struct reply *r = ctx;

	if (r->len + len > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *p;

		while (cap < r->len + len)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (!p)
			return 1;
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, text, len);
	r->len += len;
	return 0;
}

static void close_db(void)
{
	struct rowfs_err err;

	if (!db)
		return;
	rowfs_txn_abort(txn);
	txn = NULL;
	rowfs_close(db, &err);
	db = NULL;
}

static void open_db(int fresh)
{
	struct rowfs_config cfg;
	struct rowfs_err err;
	int rc;

	close_db();
	if (fresh)
		fuzz_dir_remove_db(&dir, db_path);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = db_path;
	cfg.sync = ROWFS_SYNC_OFF;
	cfg.cache_pages = 16;
	cfg.wal_limit = 256u << 10;
	rc = rowfs_open(&cfg, &db, &err);
	if (rc != ROWFS_OK) {
		fprintf(stderr, "fuzz_statement: cannot open '%s': %s\n", db_path, err.msg);
		abort();
	}
	inputs_on_db = 0;
}

static void at_exit(void)
{
	close_db();
	fuzz_dir_remove_db(&dir, db_path);
	free(db_path);
	fuzz_dir_release(&dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_dir_init(&dir, "fuzz_statement");
	db_path = fuzz_dir_file(&dir, "s.db");
	open_db(1);
	atexit(at_exit);
	return 0;
}

/* A row found by a scan. */
struct found {
	uint32_t want;
	int hit;
	char name[USERNAME_SIZE + 1];
	size_t name_len;
};

static int find_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct found *f = ctx;

	FUZZ_CHECK(n == 2 && vals[1].type == ROWFS_TYPE_TEXT);
	if (key == (int64_t)f->want) {
		f->hit = 1;
		FUZZ_CHECK(vals[1].len <= USERNAME_SIZE);
		memcpy(f->name, vals[1].p, vals[1].len);
		f->name_len = vals[1].len;
	}
	return 1;   /* only the first row at or after want matters */
}

/* Lines of text that are all "(ID, NAME)": count them. */
static size_t count_rows(const char *text, size_t len)
{
	size_t lines = 0, i;

	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			lines++;
	return lines;
}

/*
 * What the input's statements did to one id, verified after the commit:
 * the last successful insert/update/delete of that id wins.
 */
struct expect {
	uint32_t id;
	int present;                /* 0 after a delete */
	char name[USERNAME_SIZE];
	size_t name_len;
};

/* The model entry of id, added if there is room; NULL when full. */
static struct expect *model_entry(struct expect *model, size_t *count, uint32_t id)
{
	size_t i;

	for (i = 0; i < *count; i++)
		if (model[i].id == id)
			return &model[i];
	if (*count == MAX_CHECKED)
		return NULL;
	model[*count].id = id;
	return &model[(*count)++];
}

/* 1 for the statements of Part 2 (tables): they need the catalog (rowfs_exec). */
static int is_part2(const struct statement *st)
{
	return st->type >= STMT_CREATE_TABLE;
}

/*
 * Run a Part 2 statement (its parse was compared with the reference):
 * it succeeds with a reply that ends in a newline ("Executed." for a
 * change), or fails with a statement error, no reply, a message and an
 * errno.  A change that names `users` may change rows the model tracks:
 * the model forgets what it expected, as after a rollback.
 */
static void run_part2(const uint8_t *line, size_t len, enum stmt_type type, int users,
		      struct reply *out, size_t *nmodel, int *fatal)
{
	int change = type == STMT_CREATE_TABLE || type == STMT_DROP_TABLE ||
		     type == STMT_INSERT_INTO || type == STMT_UPDATE_SET || type == STMT_DELETE_FROM;
	struct rowfs_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	out->len = 0;
	rc = rowfs_exec(txn, (const char *)line, len, reply_emit, out, &err);
	if (rc == ROWFS_OK) {
		FUZZ_CHECK(out->len == 0 || out->buf[out->len - 1] == '\n');
		if (change)
			FUZZ_CHECK(out->len == 10 && !memcmp(out->buf, "Executed.\n", 10));
		if (change && users)
			*nmodel = 0;
		return;
	}
	FUZZ_CHECK(err.msg[0] != '\0');
	FUZZ_CHECK(rowfs_errno(rc) != 0);
	FUZZ_CHECK(out->len == 0);
	switch (rc) {
	case ROWFS_RANGE:
	case ROWFS_TOOLONG:
	case ROWFS_DUPLICATE:
	case ROWFS_NOTFOUND:
	case ROWFS_SCHEMA:
	case ROWFS_PERM:
		break;
	default:
		fprintf(stderr, "fuzz_statement: unexpected %s: %s\n", rowfs_rc_name(rc), err.msg);
		*fatal = 1;
		break;
	}
}

static void run_line(const uint8_t *line, size_t len, struct reply *out,
		     struct expect *model, size_t *nmodel, int *fatal)
{
	struct rowfs_stats st;
	struct statement stmt;
	struct rowfs_err err, perr;
	struct expect *e;
	int rc, prc;

	memset(&err, 0, sizeof(err));
	prc = parse_line((const char *)line, len, &stmt, &perr);
	check_parse(line, len, prc, &stmt, &perr);
	if (prc == ROWFS_OK && is_part2(&stmt)) {
		int users = stmt.table.len == 5 && !memcmp(stmt.table.name, "users", 5);

		statement_free(&stmt);
		run_part2(line, len, stmt.type, users, out, nmodel, fatal);
		return;
	}
	statement_free(&stmt);   /* a seed statement: nothing to free */

	out->len = 0;
	rc = rowfs_exec(txn, (const char *)line, len, reply_emit, out, &err);
	if (rc == ROWFS_OK || rc == ROWFS_EXIT) {
		FUZZ_CHECK(prc == ROWFS_OK);
		FUZZ_CHECK(out->len == 0 || out->buf[out->len - 1] == '\n');
		switch (stmt.type) {
		case STMT_INSERT:
		case STMT_UPDATE:
		case STMT_DELETE:
			FUZZ_CHECK(out->len == 10 && !memcmp(out->buf, "Executed.\n", 10));
			FUZZ_CHECK(stmt.name_len <= USERNAME_SIZE);
			e = model_entry(model, nmodel, stmt.id);
			if (e) {
				e->present = stmt.type != STMT_DELETE;
				e->name_len = e->present ? stmt.name_len : 0;
				if (e->present)
					memcpy(e->name, stmt.name, stmt.name_len);
			}
			break;
		case STMT_SELECT:
			FUZZ_CHECK(rowfs_get_stats(txn, &st, &err) == ROWFS_OK);
			if (st.rows == 0)
				FUZZ_CHECK(out->len == 14 && !memcmp(out->buf, "(empty table)\n", 14));
			else
				FUZZ_CHECK(count_rows(out->buf, out->len) == st.rows);
			break;
		case STMT_EMPTY:
			FUZZ_CHECK(out->len == 0);
			break;
		case STMT_ROLLBACK:
			/* what the transaction did is gone, in this input and before it */
			*nmodel = 0;
			FUZZ_CHECK(out->len == 10 && !memcmp(out->buf, "Executed.\n", 10));
			break;
		case STMT_BEGIN:
		case STMT_COMMIT:
			FUZZ_CHECK(out->len == 10 && !memcmp(out->buf, "Executed.\n", 10));
			break;
		default:
			break;
		}
		return;
	}
	/* a failed statement: a message, an errno, no reply */
	FUZZ_CHECK(err.msg[0] != '\0');
	FUZZ_CHECK(rowfs_errno(rc) != 0);
	if (prc != ROWFS_OK) {
		FUZZ_CHECK(rc == prc);
		FUZZ_CHECK(!strcmp(err.msg, perr.msg));
	}
	switch (rc) {
	case ROWFS_TOKEN:
	case ROWFS_SYNTAX:
	case ROWFS_RANGE:
	case ROWFS_TOOLONG:
	case ROWFS_DUPLICATE:
	case ROWFS_NOTFOUND:
	case ROWFS_META:
	case ROWFS_TXN:
		FUZZ_CHECK(out->len == 0);
		if (rc == ROWFS_TXN)
			FUZZ_CHECK(stmt.type == STMT_BEGIN || stmt.type == STMT_COMMIT ||
				   stmt.type == STMT_ROLLBACK);
		if (rc == ROWFS_TOOLONG)
			FUZZ_CHECK((stmt.type == STMT_INSERT || stmt.type == STMT_UPDATE) &&
				   stmt.name_len > USERNAME_SIZE);
		if (rc == ROWFS_DUPLICATE)
			FUZZ_CHECK(stmt.type == STMT_INSERT);
		if (rc == ROWFS_NOTFOUND)
			FUZZ_CHECK(stmt.type == STMT_UPDATE || stmt.type == STMT_DELETE);
		break;
	default:
		/* the engine must not fail on good files: report it */
		fprintf(stderr, "fuzz_statement: unexpected %s: %s\n", rowfs_rc_name(rc), err.msg);
		*fatal = 1;
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expect model[MAX_CHECKED];
	struct reply out = {0};
	struct rowfs_stats st;
	struct statement stmt;
	struct program prog;
	struct rowfs_err err;
	size_t pos = 0, nmodel = 0, i;
	int fatal = 0, rc;

	/* the whole input as one line: parser and compiler alone */
	rc = parse_line((const char *)data, size, &stmt, &err);
	check_parse(data, size, rc, &stmt, &err);
	if (rc == ROWFS_OK && is_part2(&stmt)) {
		/* compiled with the catalog only: run_part2 runs it */
	} else if (rc == ROWFS_OK && (stmt.type == STMT_BEGIN || stmt.type == STMT_COMMIT ||
				      stmt.type == STMT_ROLLBACK)) {
		/* transaction control runs in the façade, never through the VM */
		FUZZ_CHECK(compile_statement(&stmt, &prog, &err) == ROWFS_ERROR);
	} else if (rc == ROWFS_OK) {
		rc = compile_statement(&stmt, &prog, &err);
		FUZZ_CHECK(rc == ROWFS_OK || rc == ROWFS_TOOLONG || rc == ROWFS_META);
		if (rc == ROWFS_OK)
			FUZZ_CHECK(prog.count >= 1 && prog.count <= PROGRAM_MAX_OPS);
	}
	statement_free(&stmt);

	if (!txn) {
		rc = rowfs_txn_begin(db, 0, &txn, &err);
		FUZZ_CHECK(rc == ROWFS_OK);
	}
	FUZZ_CHECK(rowfs_get_stats(txn, &st, &err) == ROWFS_OK);
	if (st.rows > MAX_ROWS || st.pages > MAX_PAGES || ++inputs_on_db > MAX_INPUTS) {
		open_db(1);
		nmodel = 0;
		rc = rowfs_txn_begin(db, 0, &txn, &err);
		FUZZ_CHECK(rc == ROWFS_OK);
	}
	while (pos < size && !fatal) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - data) : size;

		run_line(data + pos, end - pos, &out, model, &nmodel, &fatal);
		pos = end + 1;
	}
	if (fatal) {
		rowfs_txn_abort(txn);
		txn = NULL;
		free(out.buf);
		abort();
	}
	if (rowfs_txn_state(txn) == ROWFS_TXN_NONE) {
		rc = rowfs_txn_commit(txn, &err);
		txn = NULL;
		if (rc != ROWFS_OK) {
			fprintf(stderr, "fuzz_statement: commit failed: %s\n", err.msg);
			abort();
		}
	}
	/* every change that committed (or waits in the kept transaction) is there */
	for (i = 0; i < nmodel; i++) {
		struct found f = {.want = model[i].id};
		struct rowfs_txn *reader = txn;

		if (!reader)
			FUZZ_CHECK(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, &err) == ROWFS_OK);
		rc = rowfs_scan(reader, NULL, model[i].id, find_row, &f, &err);
		if (reader != txn)
			rowfs_txn_abort(reader);
		FUZZ_CHECK(rc == ROWFS_OK);
		FUZZ_CHECK(f.hit == model[i].present);
		if (!f.hit)
			continue;
		FUZZ_CHECK(f.name_len == model[i].name_len);
		FUZZ_CHECK(!memcmp(f.name, model[i].name, f.name_len));
	}
	free(out.buf);
	return 0;
}
