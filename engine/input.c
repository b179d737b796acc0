/*
 * input.c - owns the input forms of a row and their mapping to a
 * statement: one CSV record, one JSON object or a row file's single
 * value, read against a table's schema and written as the `insert` or
 * `update` statement that stores it (rowfs_input_statement, for
 * `tables/T/import`, the row files of by-id/ and rowsh's .import).  The
 * statement then runs through rowfs_exec like any other, so every check,
 * log record and change-feed line is the typed statement's; the literals
 * are written by record.c's value_append_literal, the one literal writer.
 *
 * ---- The forms ----
 *
 * CSV (RFC 4180), one record without its line end (a final CR is
 * dropped): fields separated by ','; a field is quoted when it starts
 * with '"', and then holds any byte ('"' doubled, ',', CR, LF) up to the
 * closing quote, which is followed by ',' or the end.  An unquoted field
 * holds no '"', CR or LF.  An empty unquoted field is NULL; the quoted ""
 * is the empty text.  There is one field per column, in declared order.
 *
 * JSON: exactly one object {"col": value, ...} (RFC 8259 tokens, blanks
 * around them, nothing but blanks after it).  Keys name columns ASCII
 * case-insensitively, each at most once.  Values: numbers (an integer
 * when it has no '.', 'e' or 'E' and fits int64, else a real), strings
 * (every JSON escape; \u0000 is refused, texts hold no NUL) and null.
 * true and false are read, and refused for every column ("Error: T.C
 * expects integer, got boolean": no column type holds a boolean, and a
 * value is never converted silently).  Arrays and objects are no column
 * values.
 *
 * VALUE: the whole text is the value of the table's one non-key column;
 * empty, it is NULL for a number or blob column (as a row file shows
 * NULL), the empty text for a text column.
 *
 * ---- Values by column ----
 *
 * A JSON number or null is that typed value, and the statement's checks
 * judge it.  A CSV field, the VALUE text and a JSON
 * string are read by the column's type:
 *   integer  an integer literal [+-]digits (past int64: a range error)
 *   real     a number [+-](digits[.digits]|.digits)[e[+-]digits], read
 *            by strtod (not finite: a range error); JSON strings stay text
 *   text     the bytes, as they are
 *   blob     "\x" and an even count of hex digits: those bytes
 * and anything else is a text, which a non-text column refuses with
 * catalog_check_value's own text ("Error: T.C expects integer, got
 * text").  Texts must be UTF-8 without NUL: a CSV or VALUE input that is
 * not is refused at its first bad byte, as a JSON string is.
 *
 * ---- Statements ----
 *
 *   insert into T (c1, c2, ...) values (v1, v2, ...)
 *       the columns the input gives, in declared order (CSV: all); with
 *       a key (has_key) the key column holds it: a key in the input must
 *       be NULL or equal it.  No column at all: (KEYCOL) values (null),
 *       the insert picks the key.
 *   update T set c = v, ... where KEYCOL = KEY
 *       every non-key column, an absent one set to its default or null
 *       (a table of the key alone: set KEYCOL = KEY).
 *
 * ---- Errors ----
 *
 * Syntax first, then the schema: the whole input is read before any
 * schema error is reported, so a broken record always says where it
 * broke.  "Parse error: WHAT at byte N" (ROWFS_SYNTAX; ROWFS_RANGE for a
 * number out of range), N the 0-based offset in the input.
 *
 * Memory: the statement is built in one struct sbuf (reserved once for
 * the usual size); values point into the input, and bytes that need
 * decoding (a quoted field's doubled quotes, JSON escapes, hex) go to
 * one scratch buffer of len + 1 bytes, taken at the first need.  Decoded
 * bytes never outgrow the input bytes they come from, so it never grows.
 */
#include <config.h>
#include "input.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "parser.h"
#include "record.h"
#include "util.h"

/* One conversion: the input, the values read so far, the scratch buffer. */
struct input {
	const struct table_schema *t;             /* the table */
	const uint8_t *text;                      /* the input */
	size_t len;                               /* its length (a CSV record's final CR dropped) */
	struct value vals[RECORD_MAX_COLUMNS];    /* [column]: the value read */
	unsigned char given[RECORD_MAX_COLUMNS];  /* [column]: 1 if the input gives it */
	uint8_t *scratch;                         /* decoded bytes (len + 1), malloc'd at first need */
	size_t used;                              /* bytes of scratch that values hold */
	struct rowfs_err *err;                    /* where errors go */
};

/* A CSV field's place in the input. */
struct csv_field {
	size_t start;    /* first byte of its content (past an opening quote) */
	size_t end;      /* one past its last content byte (before a closing quote) */
	int quoted;      /* it was quoted */
	int doubled;     /* its content holds "" pairs */
};

static int nomem(struct rowfs_err *err)
{
	return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "Error: out of memory");
}

/* "Parse error: WHAT at byte POS" (ROWFS_SYNTAX). */
static int syntax_error(struct input *in, size_t pos, const char *what)
{
	return rowfs_err_set(in->err, ROWFS_SYNTAX, 0, "Parse error: %s at byte %zu", what, pos);
}

/* Room for n decoded bytes at in->scratch + in->used (not yet taken), or NULL (NOMEM set). */
static uint8_t *scratch_room(struct input *in, size_t n)
{
	if (!in->scratch) {
		in->scratch = malloc(in->len + 1);
		if (!in->scratch) {
			nomem(in->err);
			return NULL;
		}
	}
	/* decoded bytes never outgrow the input bytes read so far (see the top) */
	assert(in->used + n <= in->len + 1);
	(void)n;
	return in->scratch + in->used;
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/*
 * 1 if p[0..n) is a JSON number, -?(0|[1-9]digits)(.digits)?([eE][+-]?digits)?:
 * number_syntax's grammar without a '+', a leading zero or a '.' without
 * digits on both sides; *is_real when it has a fraction or an exponent.
 */
static int json_number_syntax(const uint8_t *p, size_t n, int *is_real)
{
	size_t i = n > 0 && p[0] == '-', whole = digit_run(p, i, n);

	if (!number_syntax(p, n, is_real) || p[0] == '+' || whole == 0 ||
	    (whole > 1 && p[i] == '0'))
		return 0;
	i += whole;
	return !(i < n && p[i] == '.' && digit_run(p, i + 1, n) == 0);
}

/*
 * The real p[0..n) at input byte pos (its syntax checked), as strtod
 * reads it (the C locale's '.'); not finite: the range error.
 */
static int real_value(struct input *in, const uint8_t *p, size_t n, size_t pos, double *r)
{
	if (number_double(p, n, r) != 0)
		return nomem(in->err);
	if (!isfinite(*r))
		return rowfs_err_set(in->err, ROWFS_RANGE, 0,
				     "Parse error: Real out of range at byte %zu", pos);
	return ROWFS_OK;
}

/* 1 if p[0..n) is "\x" and an even count of hex digits. */
static int hex_syntax(const uint8_t *p, size_t n)
{
	size_t k;

	if (n < 2 || p[0] != '\\' || p[1] != 'x' || (n - 2) % 2)
		return 0;
	for (k = 2; k < n; k++)
		if (hex_digit_value(p[k]) < 0)
			return 0;
	return 1;
}

/*
 * The blob of "\x" + hex src[0..n) (hex_syntax holds) at dst, which may be
 * src itself (byte i is written after bytes 2+2i and 3+2i are read);
 * returns its length.
 */
static size_t hex_decode(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t i, count = (n - 2) / 2;

	for (i = 0; i < count; i++) {
		int high = hex_digit_value(src[2 + 2 * i]), low = hex_digit_value(src[3 + 2 * i]);

		dst[i] = (uint8_t)(high << 4 | low);
	}
	return count;
}

/* Make *v the blob of "\x" + hex p[0..n), decoded into the scratch buffer (p may be there). */
static int blob_value(struct input *in, const uint8_t *p, size_t n, struct value *v)
{
	uint8_t *dst = scratch_room(in, (n - 2) / 2);

	if (!dst)
		return ROWFS_NOMEM;
	v->type = VALUE_BLOB;
	v->p = dst;
	v->len = hex_decode(dst, p, n);
	in->used += v->len;
	return ROWFS_OK;
}

static void text_value(const uint8_t *p, size_t n, struct value *v)
{
	v->type = VALUE_TEXT;
	v->p = p;
	v->len = n;
}

/*
 * The value of a CSV field or VALUE text p[0..n) (input bytes at pos, no
 * decoding needed) for column col, read by the column's type (see the top).
 */
static int typed_value(struct input *in, unsigned col, const uint8_t *p, size_t n, size_t pos,
		       struct value *v)
{
	int is_real;

	memset(v, 0, sizeof(*v));
	switch (in->t->columns[col].type) {
	case COLUMN_INTEGER:
		if (!number_syntax(p, n, &is_real) || is_real)   /* [+-]digits */
			break;
		if (!number_int64(p, n, &v->i))
			return rowfs_err_set(in->err, ROWFS_RANGE, 0,
					     "Parse error: Integer out of range at byte %zu", pos);
		v->type = VALUE_INTEGER;
		return ROWFS_OK;
	case COLUMN_REAL:
		if (!number_syntax(p, n, &is_real))
			break;
		v->type = VALUE_REAL;
		return real_value(in, p, n, pos, &v->r);
	case COLUMN_BLOB:
		if (hex_syntax(p, n))
			return blob_value(in, p, n, v);
		break;
	case COLUMN_TEXT:
		break;
	}
	text_value(p, n, v);
	return ROWFS_OK;
}

/* CSV and VALUE input must be UTF-8 without NUL: the error at the first byte that is not. */
static int check_text_bytes(struct input *in)
{
	const uint8_t *nul = memchr(in->text, '\0', in->len);
	size_t bad = utf8_valid_prefix(in->text, nul ? (size_t)(nul - in->text) : in->len);

	if (nul && bad == (size_t)(nul - in->text))
		return syntax_error(in, bad, "NUL byte");
	if (bad < in->len)
		return syntax_error(in, bad, "Invalid UTF-8");
	return ROWFS_OK;
}

/* ---- CSV ---------------------------------------------------------------- */

/* The quoted field whose quote is at i: its content into *f, *next past the closing quote. */
static int csv_quoted(struct input *in, size_t i, struct csv_field *f, size_t *next)
{
	const uint8_t *p = in->text;
	size_t j = i + 1;

	f->quoted = 1;
	f->start = j;
	for (;;) {
		const uint8_t *q = j < in->len ? memchr(p + j, '"', in->len - j) : NULL;

		if (!q)
			return syntax_error(in, i, "Unterminated quoted field");
		j = (size_t)(q - p);
		if (j + 1 < in->len && p[j + 1] == '"') {
			f->doubled = 1;
			j += 2;
			continue;
		}
		break;
	}
	f->end = j;
	j++;
	if (j < in->len && p[j] != ',')
		return syntax_error(in, j, "Expected ',' after a quoted field");
	*next = j;
	return ROWFS_OK;
}

/* The unquoted field starting at i into *f, *next at the ',' or end after it. */
static int csv_unquoted(struct input *in, size_t i, struct csv_field *f, size_t *next)
{
	const uint8_t *p = in->text;
	size_t j;

	for (j = i; j < in->len && p[j] != ','; j++) {
		if (p[j] == '"')
			return syntax_error(in, j, "Quote in an unquoted field");
		if (p[j] == '\r' || p[j] == '\n')
			return syntax_error(in, j, "Line break in an unquoted field");
	}
	f->start = i;
	f->end = j;
	*next = j;
	return ROWFS_OK;
}

/*
 * Split the record into fields: the first max into fields[], all of them
 * counted in *count.  Only the syntax is checked here.
 */
static int csv_split(struct input *in, struct csv_field *fields, unsigned max, size_t *count)
{
	size_t i = 0;
	int rc;

	*count = 0;
	for (;;) {
		struct csv_field f;
		size_t next = 0;

		memset(&f, 0, sizeof(f));
		if (i < in->len && in->text[i] == '"')
			rc = csv_quoted(in, i, &f, &next);
		else
			rc = csv_unquoted(in, i, &f, &next);
		if (rc)
			return rc;
		if (*count < max)
			fields[*count] = f;
		++*count;
		if (next >= in->len)
			return ROWFS_OK;
		i = next + 1;   /* past the ',' */
	}
}

/* The content of a field whose "" pairs are undoubled, as a text in the scratch buffer. */
static int csv_undouble(struct input *in, const struct csv_field *f, struct value *v)
{
	uint8_t *dst = scratch_room(in, f->end - f->start);
	size_t k, n = 0;

	if (!dst)
		return ROWFS_NOMEM;
	for (k = f->start; k < f->end; k++) {
		dst[n++] = in->text[k];
		if (in->text[k] == '"')
			k++;   /* the second quote of the pair */
	}
	text_value(dst, n, v);
	in->used += n;
	return ROWFS_OK;
}

/* Read a CSV record: one field per column. */
static int csv_read(struct input *in)
{
	struct csv_field fields[RECORD_MAX_COLUMNS];
	const struct table_schema *t = in->t;
	size_t count;
	unsigned col;
	int rc;

	if (in->len > 0 && in->text[in->len - 1] == '\r')
		in->len--;
	rc = check_text_bytes(in);
	if (rc)
		return rc;
	rc = csv_split(in, fields, t->column_count, &count);
	if (rc)
		return rc;
	if (count != t->column_count)
		return rowfs_err_set(in->err, ROWFS_SCHEMA, 0,
				     "Error: %s has %u columns but %zu values were supplied", t->name,
				     t->column_count, count);
	for (col = 0; col < t->column_count; col++) {
		const struct csv_field *f = &fields[col];
		struct value *v = &in->vals[col];

		in->given[col] = 1;
		if (!f->quoted && f->start == f->end) {
			memset(v, 0, sizeof(*v));   /* NULL */
			continue;
		}
		/* a doubled quote makes no number nor hex: a text */
		if (f->doubled)
			rc = csv_undouble(in, f, v);
		else
			rc = typed_value(in, col, in->text + f->start, f->end - f->start, f->start, v);
		if (rc)
			return rc;
	}
	return ROWFS_OK;
}

/* ---- VALUE -------------------------------------------------------------- */

/* The one non-key column of t, or the error when t has not exactly one. */
static int value_column(struct input *in, unsigned *col)
{
	const struct table_schema *t = in->t;

	if (t->column_count != 2)
		return rowfs_err_set(in->err, ROWFS_SCHEMA, 0,
				     "Error: %s has %u columns: a row file holds a JSON object",
				     t->name, t->column_count);
	*col = t->key_column == 0 ? 1 : 0;
	return ROWFS_OK;
}

/* Read a row file's value: the whole text is the non-key column's. */
static int value_read(struct input *in)
{
	unsigned col = 0;
	int rc = value_column(in, &col);

	if (rc)
		return rc;
	rc = check_text_bytes(in);
	if (rc)
		return rc;
	in->given[col] = 1;
	if (in->len == 0 && in->t->columns[col].type != COLUMN_TEXT)
		return ROWFS_OK;   /* NULL, as a row file shows it */
	return typed_value(in, col, in->text, in->len, 0, &in->vals[col]);
}

/* ---- JSON --------------------------------------------------------------- */

/* The JSON reader's position and its first schema error (reported once the syntax is right). */
struct json {
	struct input *in;            /* the conversion */
	size_t pos;                  /* next byte to read */
	int schema_rc;               /* the first schema error met, or ROWFS_OK */
	struct rowfs_err schema_err; /* its text */
};

static int json_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void json_skip_blanks(struct json *js)
{
	while (js->pos < js->in->len && json_blank(js->in->text[js->pos]))
		js->pos++;
}

/* The code unit of the 4 hex digits at p[i..n), or -1. */
static long json_hex4(const uint8_t *p, size_t i, size_t n)
{
	long v = 0;
	size_t k;

	if (i > n || n - i < 4)
		return -1;
	for (k = i; k < i + 4; k++) {
		int d = hex_digit_value(p[k]);

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * The escape whose backslash is at i: its code point into *cp (-1 for the
 * one-byte escapes, whose byte is *byte) and its length into *n; an error
 * for a bad escape, a lone surrogate or \u0000.
 */
static int json_escape(struct input *in, size_t i, long *cp, uint8_t *byte, size_t *n)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const uint8_t *p = in->text;
	const char *hit;
	long hi, lo;

	*cp = -1;
	*n = 2;
	if (i + 1 >= in->len)
		return syntax_error(in, i, "Bad escape");
	if (p[i + 1] != 'u') {
		hit = p[i + 1] ? strchr(from, p[i + 1]) : NULL;
		if (!hit)
			return syntax_error(in, i, "Bad escape");
		*byte = (uint8_t)to[hit - from];
		return ROWFS_OK;
	}
	hi = json_hex4(p, i + 2, in->len);
	if (hi < 0)
		return syntax_error(in, i, "Bad escape");
	*n = 6;
	if (hi == 0)
		return syntax_error(in, i, "NUL character \\u0000");
	if (hi >= 0xDC00 && hi <= 0xDFFF)
		return syntax_error(in, i, "Unpaired surrogate");
	if (hi < 0xD800 || hi > 0xDBFF) {
		*cp = hi;
		return ROWFS_OK;
	}
	lo = i + 7 < in->len && p[i + 6] == '\\' && p[i + 7] == 'u' ?
		json_hex4(p, i + 8, in->len) : -1;
	if (lo < 0xDC00 || lo > 0xDFFF)
		return syntax_error(in, i, "Unpaired surrogate");
	*cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
	*n = 12;
	return ROWFS_OK;
}

/* Write code point cp as UTF-8 at dst; returns the length (1..4). */
static size_t put_utf8(uint8_t *dst, long cp)
{
	if (cp < 0x80) {
		dst[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (uint8_t)(0xC0 | cp >> 6);
		dst[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (uint8_t)(0xE0 | cp >> 12);
		dst[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		dst[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	dst[0] = (uint8_t)(0xF0 | cp >> 18);
	dst[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
	dst[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
	dst[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Check the string whose quote is at js->pos: *end past its closing
 * quote, *escaped if it holds an escape.  Raw bytes must be UTF-8 and no
 * control character.
 */
static int json_scan_string(struct json *js, size_t *end, int *escaped)
{
	struct input *in = js->in;
	const uint8_t *p = in->text;
	size_t i = js->pos + 1, n;
	long cp;
	uint8_t byte;
	int rc;

	*escaped = 0;
	while (i < in->len && p[i] != '"') {
		if (p[i] == '\\') {
			rc = json_escape(in, i, &cp, &byte, &n);
			if (rc)
				return rc;
			*escaped = 1;
			i += n;
		} else if (p[i] < 0x20) {
			return syntax_error(in, i, "Control character in a string");
		} else if (p[i] < 0x80) {
			i++;
		} else {
			n = utf8_sequence_len(p + i, in->len - i, NULL);
			if (n == 0)
				return syntax_error(in, i, "Invalid UTF-8");
			i += n;
		}
	}
	if (i >= in->len)
		return syntax_error(in, js->pos, "Unterminated string");
	*end = i + 1;
	return ROWFS_OK;
}

/*
 * Read the string at js->pos (a key or a value): *p, *n its bytes, in the
 * input, or (*decoded) at the scratch buffer's free end, not taken: the
 * caller adds *n to in->used to keep them.  js->pos moves past it.
 */
static int json_string(struct json *js, const uint8_t **p, size_t *n, int *decoded)
{
	struct input *in = js->in;
	size_t end = 0, i, step;
	int escaped = 0, rc;
	uint8_t *dst, byte;
	long cp;

	rc = json_scan_string(js, &end, &escaped);
	if (rc)
		return rc;
	*decoded = escaped;
	if (!escaped) {
		*p = in->text + js->pos + 1;
		*n = end - js->pos - 2;
		js->pos = end;
		return ROWFS_OK;
	}
	dst = scratch_room(in, end - js->pos - 2);
	if (!dst)
		return ROWFS_NOMEM;
	*p = dst;
	*n = 0;
	for (i = js->pos + 1; i < end - 1; i += step) {
		if (in->text[i] != '\\') {
			dst[(*n)++] = in->text[i];
			step = 1;
			continue;
		}
		json_escape(in, i, &cp, &byte, &step);   /* checked by the scan */
		if (cp < 0)
			dst[(*n)++] = byte;
		else
			*n += put_utf8(dst + *n, cp);
	}
	js->pos = end;
	return ROWFS_OK;
}

/* The number at js->pos into *v (an integer when it can be, else a real). */
static int json_number(struct json *js, struct value *v)
{
	struct input *in = js->in;
	const uint8_t *p = in->text;
	size_t start = js->pos, end = start;
	int is_real;

	while (end < in->len && (is_digit(p[end]) || p[end] == '-' || p[end] == '+' ||
				 p[end] == '.' || p[end] == 'e' || p[end] == 'E'))
		end++;
	if (!json_number_syntax(p + start, end - start, &is_real))
		return syntax_error(in, start, "Invalid number");
	js->pos = end;
	memset(v, 0, sizeof(*v));
	if (!is_real && number_int64(p + start, end - start, &v->i)) {
		v->type = VALUE_INTEGER;
		return ROWFS_OK;
	}
	v->type = VALUE_REAL;
	return real_value(in, p + start, end - start, start, &v->r);
}

/* 1 (and js->pos past it) if the bytes at js->pos are the word w. */
static int json_word(struct json *js, const char *w)
{
	size_t n = strlen(w);

	if (js->in->len - js->pos < n || memcmp(js->in->text + js->pos, w, n) != 0)
		return 0;
	js->pos += n;
	return 1;
}

/*
 * Read the value at js->pos into *v, for column col (-1: a column that
 * does not exist, whose value is read and dropped).
 */
static int json_value(struct json *js, int col, struct value *v)
{
	struct input *in = js->in;
	size_t start = js->pos;
	uint8_t c = start < in->len ? in->text[start] : 0;
	const uint8_t *p;
	size_t n;
	int rc, decoded;

	memset(v, 0, sizeof(*v));
	if (c == '"') {
		rc = json_string(js, &p, &n, &decoded);
		if (rc || col < 0)
			return rc;
		if (in->t->columns[col].type == COLUMN_BLOB && hex_syntax(p, n))
			return blob_value(in, p, n, v);
		if (decoded)
			in->used += n;   /* keep its bytes */
		text_value(p, n, v);
		return ROWFS_OK;
	}
	if (c == '-' || is_digit(c))
		return json_number(js, v);
	if (json_word(js, "true") || json_word(js, "false")) {
		/* no column holds a boolean: refused, once the syntax is known right */
		if (col >= 0 && js->schema_rc == ROWFS_OK)
			js->schema_rc = rowfs_err_set(&js->schema_err, ROWFS_SCHEMA, 0,
						      "Error: %s.%s expects %s, got boolean",
						      in->t->name, in->t->columns[col].name,
						      catalog_column_type_name(in->t->columns[col].type));
		return ROWFS_OK;
	}
	if (json_word(js, "null"))
		return ROWFS_OK;
	if (c == '[' || c == '{')
		return syntax_error(in, start, "Nested array or object");
	return syntax_error(in, start, "Expected a value");
}

/* 1 if key p[0..n) is name, ASCII case-insensitively. */
static int key_is(const uint8_t *p, size_t n, const char *name)
{
	size_t k;

	for (k = 0; k < n; k++) {
		uint8_t c = p[k] >= 'A' && p[k] <= 'Z' ? (uint8_t)(p[k] - 'A' + 'a') : p[k];

		if (name[k] == '\0' || c != (uint8_t)name[k])
			return 0;
	}
	return name[n] == '\0';
}

/*
 * Read the key at js->pos and resolve it: *col its column, or -1 (the
 * "no such column" error kept for later); a column named twice is an error.
 */
static int json_key(struct json *js, int *col)
{
	struct input *in = js->in;
	const struct table_schema *t = in->t;
	size_t start = js->pos;
	const uint8_t *p;
	size_t n;
	unsigned c;
	int rc, decoded;

	*col = -1;
	if (start >= in->len || in->text[start] != '"')
		return syntax_error(in, start, "Expected a string key");
	rc = json_string(js, &p, &n, &decoded);   /* decoded bytes are not kept */
	if (rc)
		return rc;
	for (c = 0; c < t->column_count; c++) {
		if (n <= NAME_MAX_LEN && key_is(p, n, t->columns[c].name)) {
			if (in->given[c])
				return rowfs_err_set(in->err, ROWFS_SYNTAX, 0,
						     "Parse error: Duplicate column '%s' at byte %zu",
						     t->columns[c].name, start);
			in->given[c] = 1;
			*col = (int)c;
			return ROWFS_OK;
		}
	}
	if (js->schema_rc == ROWFS_OK)
		js->schema_rc = rowfs_err_set(&js->schema_err, ROWFS_SCHEMA, 0,
					      "Error: no such column: %s.%.*s", t->name,
					      (int)(n > NAME_MAX_LEN ? NAME_MAX_LEN : n),
					      (const char *)p);
	return ROWFS_OK;
}

/* One "key": value member. */
static int json_member(struct json *js)
{
	struct value dropped;
	int col, rc;

	rc = json_key(js, &col);
	if (rc)
		return rc;
	json_skip_blanks(js);
	if (js->pos >= js->in->len || js->in->text[js->pos] != ':')
		return syntax_error(js->in, js->pos, "Expected ':'");
	js->pos++;
	json_skip_blanks(js);
	return json_value(js, col, col >= 0 ? &js->in->vals[col] : &dropped);
}

/* Read one JSON object and nothing else. */
static int json_read(struct input *in)
{
	struct json js;
	int rc;

	memset(&js, 0, sizeof(js));
	js.in = in;
	json_skip_blanks(&js);
	if (js.pos >= in->len || in->text[js.pos] != '{')
		return syntax_error(in, js.pos, "Expected '{'");
	js.pos++;
	json_skip_blanks(&js);
	if (js.pos < in->len && in->text[js.pos] == '}') {
		js.pos++;
	} else {
		for (;;) {
			rc = json_member(&js);
			if (rc)
				return rc;
			json_skip_blanks(&js);
			if (js.pos < in->len && in->text[js.pos] == '}') {
				js.pos++;
				break;
			}
			if (js.pos >= in->len || in->text[js.pos] != ',')
				return syntax_error(in, js.pos, "Expected ',' or '}'");
			js.pos++;
			json_skip_blanks(&js);
		}
	}
	json_skip_blanks(&js);
	if (js.pos < in->len)
		return syntax_error(in, js.pos, "Unexpected bytes after the object");
	if (js.schema_rc) {
		*in->err = js.schema_err;
		return js.schema_rc;
	}
	return ROWFS_OK;
}

/* ---- the row against the schema -------------------------------------------- */

/*
 * A text the input gives a column of another type is refused with
 * catalog_check_value's text; with has_key, the key column holds key
 * (the input's own key, if any, must be NULL or equal it).
 */
static int check_row(struct input *in, int has_key, int64_t key)
{
	const struct table_schema *t = in->t;
	unsigned kc = t->key_column, col;
	struct value v;
	int rc;

	for (col = 0; col < t->column_count; col++) {
		v = in->vals[col];
		if (in->given[col] && v.type == VALUE_TEXT && t->columns[col].type != COLUMN_TEXT) {
			rc = catalog_check_value(t, col, &v, in->err);
			if (rc)
				return rc;
		}
	}
	if (!has_key)
		return ROWFS_OK;
	v = in->vals[kc];
	if (in->given[kc] && v.type != VALUE_NULL) {
		rc = catalog_check_value(t, kc, &v, in->err);
		if (rc)
			return rc;
		if (v.i != key)
			return rowfs_err_set(in->err, ROWFS_SCHEMA, 0,
					     "Error: %s.%s is %" PRId64 " in the file name but %" PRId64
					     " in the row", t->name, t->columns[kc].name, key, v.i);
	}
	memset(&in->vals[kc], 0, sizeof(in->vals[kc]));
	in->vals[kc].type = VALUE_INTEGER;
	in->vals[kc].i = key;
	in->given[kc] = 1;
	return ROWFS_OK;
}

/* ---- the statement ------------------------------------------------------- */

static int append(struct sbuf *out, const char *s)
{
	return sbuf_append(out, s, strlen(s)) ? ROWFS_NOMEM : ROWFS_OK;
}

/* insert into T (given columns) values (their literals). */
static int write_insert(struct input *in, struct sbuf *out)
{
	const struct table_schema *t = in->t;
	unsigned col, count = 0;
	int rc;

	if (append(out, "insert into ") || append(out, t->name) || append(out, " ("))
		return ROWFS_NOMEM;
	for (col = 0; col < t->column_count; col++) {
		if (!in->given[col])
			continue;
		if ((count++ && append(out, ", ")) || append(out, t->columns[col].name))
			return ROWFS_NOMEM;
	}
	if (count == 0) {
		/* nothing given: the key, which the insert picks */
		in->given[t->key_column] = 1;
		if (append(out, t->columns[t->key_column].name))
			return ROWFS_NOMEM;
	}
	if (append(out, ") values ("))
		return ROWFS_NOMEM;
	count = 0;
	for (col = 0; col < t->column_count; col++) {
		if (!in->given[col])
			continue;
		if (count++ && append(out, ", "))
			return ROWFS_NOMEM;
		rc = value_append_literal(out, &in->vals[col]);
		if (rc)
			return rc;
	}
	return append(out, ")");
}

/* One "c = literal" of an update. */
static int write_set(struct sbuf *out, const struct column *c, const struct value *v, int first)
{
	if ((!first && append(out, ", ")) || append(out, c->name) || append(out, " = "))
		return ROWFS_NOMEM;
	return value_append_literal(out, v);
}

/* update T set every non-key column where KEYCOL = key. */
static int write_update(struct input *in, int64_t key, struct sbuf *out)
{
	const struct table_schema *t = in->t;
	const struct column *kc = &t->columns[t->key_column];
	struct value null_value, key_value;
	unsigned col;
	int rc, first = 1;

	memset(&null_value, 0, sizeof(null_value));
	memset(&key_value, 0, sizeof(key_value));
	key_value.type = VALUE_INTEGER;
	key_value.i = key;
	if (append(out, "update ") || append(out, t->name) || append(out, " set "))
		return ROWFS_NOMEM;
	for (col = 0; col < t->column_count; col++) {
		const struct column *c = &t->columns[col];
		const struct value *v = in->given[col] ? &in->vals[col] :
			c->has_default ? &c->def : &null_value;

		if (col == t->key_column)
			continue;
		rc = write_set(out, c, v, first);
		if (rc)
			return rc;
		first = 0;
	}
	if (first) {
		/* the key alone: set it to itself */
		rc = write_set(out, kc, &key_value, 1);
		if (rc)
			return rc;
	}
	if (append(out, " where ") || append(out, kc->name) || append(out, " = "))
		return ROWFS_NOMEM;
	return value_append_literal(out, &key_value);
}

/* Read the input in its form. */
static int read_form(struct input *in, int form)
{
	switch (form) {
	case ROWFS_INPUT_CSV:
		return csv_read(in);
	case ROWFS_INPUT_JSON:
		return json_read(in);
	case ROWFS_INPUT_VALUE:
	default:
		return value_read(in);
	}
}

int input_statement(const struct table_schema *t, int form, int mode, int has_key, int64_t key,
		    const char *text, size_t len, char **out, size_t *out_len,
		    struct rowfs_err *err)
{
	struct sbuf sb = {0};
	struct input in;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (form != ROWFS_INPUT_CSV && form != ROWFS_INPUT_JSON && form != ROWFS_INPUT_VALUE)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "Error: unknown input form %d", form);
	if (mode != ROWFS_INPUT_INSERT && mode != ROWFS_INPUT_REPLACE)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "Error: unknown input mode %d", mode);
	if (mode == ROWFS_INPUT_REPLACE && !has_key)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "Error: a replace needs the key");
	memset(&in, 0, sizeof(in));
	in.t = t;
	in.text = (const uint8_t *)text;
	in.len = len;
	in.err = err;
	rc = read_form(&in, form);
	if (rc == ROWFS_OK)
		rc = check_row(&in, has_key, key);
	if (rc)
		goto out_free_scratch;
	/* the usual statement: the input, its quotes, the names */
	if (sbuf_reserve(&sb, in.len + in.len / 8 + 64 + (size_t)t->column_count * 80u)) {
		rc = ROWFS_NOMEM;
	} else if (mode == ROWFS_INPUT_INSERT) {
		rc = write_insert(&in, &sb);
	} else {
		rc = write_update(&in, key, &sb);
	}
	if (rc) {
		sbuf_release(&sb);
		nomem(err);
		goto out_free_scratch;
	}
	*out = sb.data;
	*out_len = sb.len;
out_free_scratch:
	free(in.scratch);
	return rc;
}
