/*
 * textform.c - the text forms of one value (rowfs.h's enum rowfs_form)
 * and the text of a real: the one place each is written.  The select
 * reply and the literals of the dump and the schema (record.c), the
 * change feed (vm.c) and the renderings in the mount all come here.  Pure:
 * no pages, no I/O, no allocation.
 *
 * The forms, value by value (hex is lower case; "r" is rowfs_format_real):
 *
 *   type      LITERAL        REPLY     COPY         CSV             JSON
 *   NULL      null           NULL      \N           (nothing)       null
 *   integer   -12            -12       -12          -12             -12
 *   real      r              r         r            r               r
 *   text      'it''s' or     raw       \\ \t \n \r  raw, or "..."   "..." with \" \\
 *             E'a\tb'                  escaped      with "" (*)     and \u00XX
 *   blob      x'00ff'        x'00ff'   \x00ff       \x00ff          "\\x00ff"
 *
 * LITERAL takes the E'...' form when the text holds a control character
 * (< 0x20, 0x7f) or a backslash; inside it \n \t \r \\ \' are escaped and
 * the other control characters stand for themselves (the literal stays
 * one line).  COPY is PostgreSQL's COPY text format, except a blob: its
 * field is exactly \x and the hex (PostgreSQL writes bytea's "\x00ff" with
 * the backslash doubled, "\\x00ff"; we do not, so the field reads as the
 * bytea literal it is).  (*) CSV (RFC 4180) quotes a text that is empty
 * or holds , " CR or LF, so an empty text and NULL differ.  JSON escapes
 * '"' and '\' with a backslash and every other control character (< 0x20,
 * 0x7f) as \u00XX; bytes >= 0x80 (valid UTF-8) stand for themselves.
 *
 * Speed: these run per value on renderings of millions of rows, so the
 * size is one pass over the bytes and no printf runs for an integer, a
 * text or a blob.  A real with an integral value below 2^53 is written
 * without printf as well; any other real needs printf and strtod, a few
 * times (see rowfs_format_real).
 */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowfs.h"
#include "util.h"

static const char hex_digits[] = "0123456789abcdef";

/* The fixed words of a form: NULL, and what stands around a blob's hex. */
struct form_words {
	const char *null_text;   /* NULL */
	size_t null_len;
	const char *blob_open;   /* before the hex */
	size_t open_len;
	const char *blob_close;  /* after the hex */
	size_t close_len;
};

/* Indexed by enum rowfs_form. */
static const struct form_words form_words[] = {
	[ROWFS_FORM_LITERAL] = {"null", 4, "x'", 2, "'", 1},
	[ROWFS_FORM_REPLY] = {"NULL", 4, "x'", 2, "'", 1},
	[ROWFS_FORM_COPY] = {"\\N", 2, "\\x", 2, "", 0},
	[ROWFS_FORM_CSV] = {"", 0, "\\x", 2, "", 0},
	[ROWFS_FORM_JSON] = {"null", 4, "\"\\\\x", 4, "\"", 1},
};

/* Whether form is one of enum rowfs_form. */
static int form_known(int form)
{
	return form >= ROWFS_FORM_LITERAL && form <= ROWFS_FORM_JSON;
}

/* ---- reals ------------------------------------------------------------------------ */

/* 2^53: below it every integer is a double, and a double with an integral value is one. */
#define EXACT_INTEGERS 9007199254740992.0

/* Digits of u in decimal. */
static size_t decimal_len(uint64_t u)
{
	size_t n = 1;

	while (u >= 10) {
		u /= 10;
		n++;
	}
	return n;
}

/* Write i in decimal at dst (exactly its length: decimal_len, plus 1 for '-'); returns it. */
static size_t put_int(char *dst, int64_t i)
{
	if (i >= 0)
		return put_decimal(dst, (uint64_t)i);
	dst[0] = '-';
	return 1 + put_decimal(dst + 1, 0 - (uint64_t)i);
}

/*
 * An integral r with |r| < 2^53 ("-0.0" too): its integer and ".0".  Its
 * shortest digits are those of the integer (every shorter decimal with
 * the same exponent is another integer below 2^53, so another double),
 * and its exponent is below 16: "%.0f" would write the integer.
 */
static size_t put_integral_real(double r, char *buf)
{
	size_t n = 0;

	if (signbit(r)) {
		buf[n++] = '-';
		r = -r;
	}
	n += put_decimal(buf + n, (uint64_t)r);
	memcpy(buf + n, ".0", 3);
	return n + 2;
}

/* Powers of ten that are doubles exactly (10^0 .. 10^22). */
static const double exact_tens[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* 2^50: below it a double's ulp is at most 1/8 (see put_short_decimal). */
#define SHORT_LIMIT 1125899906842624.0

/*
 * Write the digits of m (> 0, m % 10 != 0) standing for m * 10^-places
 * (places >= 1), sign first, as rowfs_format_real does: positionally when
 * the first digit's exponent is -4 or more, else as C's "%e" (d.ddde-XX;
 * the exponent is above -100 here).  Returns the length.
 */
static size_t put_decimal_fraction(int negative, uint64_t m, int places, char *buf)
{
	char digits[20];
	int len = (int)put_decimal(digits, m), exponent = len - places - 1, k;
	size_t n = 0;

	if (negative)
		buf[n++] = '-';
	if (exponent < -4) {
		buf[n++] = digits[0];
		if (len > 1)
			buf[n++] = '.';
		for (k = 1; k < len; k++)
			buf[n++] = digits[k];
		buf[n++] = 'e';
		buf[n++] = '-';
		buf[n++] = (char)('0' + -exponent / 10);
		buf[n++] = (char)('0' + -exponent % 10);
	} else if (len > places) {
		for (k = 0; k < len; k++) {
			if (k == len - places)
				buf[n++] = '.';
			buf[n++] = digits[k];
		}
	} else {
		buf[n++] = '0';
		buf[n++] = '.';
		for (k = len; k < places; k++)
			buf[n++] = '0';
		for (k = 0; k < len; k++)
			buf[n++] = digits[k];
	}
	buf[n] = '\0';
	return n;
}

/*
 * A non-integral r that a decimal with few places reads back as (2.5,
 * 0.1, 19.99, 1.5e-07): written without printf; 0 when none is found
 * (then the search below runs).  For places p = 1, 2, ... while |r| * 10^p
 * < 2^50: m = r * 10^p rounded to an integer, and the decimal D = m *
 * 10^-p reads back as r exactly when m / 10^p, one correctly rounded
 * division of two exact doubles, is r (strtod rounds D the same way).
 * The first p that succeeds is the fewest places any decimal reading back
 * has: a decimal with p places within r's rounding interval (half an ulp
 * either side, an ulp of r * 10^p being at most 1/4 below 2^50) is within
 * 1/8 + 1/16 of r * 10^p as computed, so the rounding finds it, and it is
 * the only one.  The fewest places give the fewest significant digits,
 * and the correctly rounded decimal of that many digits (what "%.*e"
 * writes) is at least as close to r, so it reads back too (see
 * shortest_digits for powers of two), and so it is D.  check_textform
 * compares this with the search on 200,000 reals.
 */
static size_t put_short_decimal(double r, char *buf)
{
	double a = fabs(r);
	int places;

	for (places = 1; places < (int)(sizeof(exact_tens) / sizeof(exact_tens[0])); places++) {
		double t = a * exact_tens[places];
		uint64_t m;

		if (t >= SHORT_LIMIT)
			return 0;
		m = (uint64_t)(t + 0.5);
		if (m != 0 && (double)m / exact_tens[places] == a)
			return put_decimal_fraction(r < 0, m, places, buf);
	}
	return 0;
}

/* Whether "%.{digits-1}e" of r (written to sci, 32 bytes) reads back as r. */
static int reads_back(double r, int digits, char *sci)
{
	snprintf(sci, 32, "%.*e", digits - 1, r);
	return strtod(sci, NULL) == r;
}

/*
 * The fewest significant digits N (1..17) whose "%.{N-1}e" of r reads
 * back as r; sci receives that text.  Rounding to N + 1 digits is at
 * least as close to r as rounding to N (the N-digit decimal is also an
 * (N + 1)-digit one), and r's rounding interval is symmetric unless r is a
 * power of two: so once N reads back every larger N does, and N is found
 * by trying 1, 3, 7, 15 and then halving the bracket (at most 8 tries, 3
 * for N = 2, instead of up to 17).  For the powers of two (2098 doubles of
 * each sign) check_textform compares every one with the search digit by
 * digit: none breaks the rule.
 */
static int shortest_digits(double r, char *sci)
{
	int lo = 1, hi = 17, step = 1, last = 0;

	/* growing steps: the first of 1, 3, 7, 15 that reads back bounds N */
	while (lo + step - 1 < 17) {
		last = lo + step - 1;
		if (reads_back(r, last, sci)) {
			hi = last;
			break;
		}
		lo = last + 1;
		step *= 2;
	}
	/* halving inside (lo - 1, hi]: hi reads back (17 always does) */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		last = mid;
		if (reads_back(r, mid, sci))
			hi = mid;
		else
			lo = mid + 1;
	}
	if (last != hi)
		reads_back(r, hi, sci);
	return hi;
}

/*
 * The decimal of sci ("-d.ddde+XX", digits significant digits, first
 * digit's exponent exponent, -4..15) positionally, as "%.{P}f" of r writes
 * it with P = max(digits - 1 - exponent, 0): the same rounding position,
 * so the same digits.  ".0" ends it when it has no '.'.
 */
static size_t put_positional(const char *sci, int digits, int exponent, char *buf)
{
	const char *d = sci;
	size_t n = 0;
	int k;

	if (*d == '-')
		buf[n++] = *d++;
	if (exponent < 0) {
		buf[n++] = '0';
		buf[n++] = '.';
		for (k = -1; k > exponent; k--)
			buf[n++] = '0';
	}
	for (k = 0; k < digits; k++) {
		if (*d == '.')
			d++;
		buf[n++] = *d++;
		if (k == exponent && k + 1 < digits)
			buf[n++] = '.';
	}
	for (k = digits; k <= exponent; k++)
		buf[n++] = '0';
	if (exponent >= digits - 1) {
		buf[n++] = '.';
		buf[n++] = '0';
	}
	buf[n] = '\0';
	return n;
}

size_t rowfs_format_real(double r, char *buf)
{
	char sci[32];
	int digits, exponent;
	size_t n;

	if (fabs(r) < EXACT_INTEGERS && (double)(int64_t)r == r)
		return put_integral_real(r, buf);
	n = put_short_decimal(r, buf);
	if (n)
		return n;
	digits = shortest_digits(r, sci);
	exponent = atoi(strchr(sci, 'e') + 1);
	if (exponent < -4 || exponent >= 16) {
		n = strlen(sci);
		memcpy(buf, sci, n + 1);
		return n;
	}
	return put_positional(sci, digits, exponent, buf);
}

/* ---- texts ------------------------------------------------------------------------- */

/* Whether text byte c makes a literal take the E'...' form. */
static int literal_needs_e(uint8_t c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

/* The letter after the backslash of c inside E'...', or 0 when c stands for itself. */
static char literal_escape(uint8_t c)
{
	switch (c) {
	case '\n':
		return 'n';
	case '\t':
		return 't';
	case '\r':
		return 'r';
	case '\\':
		return '\\';
	case '\'':
		return '\'';
	default:
		return 0;
	}
}

/* The letter after the backslash of c in a COPY field (E'...''s but for the quote), or 0. */
static char copy_escape(uint8_t c)
{
	return c == '\'' ? 0 : literal_escape(c);
}

/* Whether c makes a CSV field quoted. */
static int csv_special(uint8_t c)
{
	return c == ',' || c == '"' || c == '\r' || c == '\n';
}

/* Whether c is a control character JSON writes as \u00XX. */
static int json_control(uint8_t c)
{
	return c < 0x20 || c == 0x7f;
}

/* Bytes of the LITERAL form of the text p[0..len). */
static size_t literal_size(const uint8_t *p, size_t len)
{
	size_t k, extra = 0;
	int e = 0;

	for (k = 0; k < len; k++) {
		uint8_t c = p[k];

		if (c == '\'')
			extra++;          /* '' or \' */
		else if (literal_needs_e(c))
			e = 1, extra += literal_escape(c) != 0;
	}
	return len + extra + 2 + (size_t)e;
}

/* Bytes of the CSV form of the text p[0..len). */
static size_t csv_size(const uint8_t *p, size_t len)
{
	size_t k, quotes = 0;
	int quoted = len == 0;

	for (k = 0; k < len; k++) {
		quotes += p[k] == '"';
		quoted |= csv_special(p[k]);
	}
	return quoted ? len + quotes + 2 : len;
}

/* Bytes of the form of the text p[0..len). */
static size_t text_size(int form, const uint8_t *p, size_t len)
{
	size_t k, extra = 0;

	switch (form) {
	case ROWFS_FORM_LITERAL:
		return literal_size(p, len);
	case ROWFS_FORM_COPY:
		for (k = 0; k < len; k++)
			extra += copy_escape(p[k]) != 0;
		return len + extra;
	case ROWFS_FORM_CSV:
		return csv_size(p, len);
	case ROWFS_FORM_JSON:
		for (k = 0; k < len; k++)
			extra += json_control(p[k]) ? 5 : (p[k] == '"' || p[k] == '\\');
		return len + extra + 2;
	default:
		return len;
	}
}

/* Write the LITERAL form of the text p[0..len) at d; returns the end. */
static char *put_literal(char *d, const uint8_t *p, size_t len)
{
	size_t k;
	int e = 0;

	for (k = 0; k < len && !e; k++)
		e = literal_needs_e(p[k]);
	if (e)
		*d++ = 'E';
	*d++ = '\'';
	for (k = 0; k < len; k++) {
		uint8_t c = p[k];
		char esc = e ? literal_escape(c) : c == '\'' ? '\'' : 0;

		if (esc) {
			*d++ = e ? '\\' : '\'';
			*d++ = esc;
		} else {
			*d++ = (char)c;
		}
	}
	*d++ = '\'';
	return d;
}

/* Write the COPY form of the text p[0..len) at d; returns the end. */
static char *put_copy(char *d, const uint8_t *p, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++) {
		char esc = copy_escape(p[k]);

		if (esc) {
			*d++ = '\\';
			*d++ = esc;
		} else {
			*d++ = (char)p[k];
		}
	}
	return d;
}

/* Write the CSV form of the text p[0..len) at d; returns the end. */
static char *put_csv(char *d, const uint8_t *p, size_t len)
{
	size_t k;
	int quoted = len == 0;

	for (k = 0; k < len && !quoted; k++)
		quoted = csv_special(p[k]);
	if (!quoted) {
		memcpy(d, p, len);
		return d + len;
	}
	*d++ = '"';
	for (k = 0; k < len; k++) {
		if (p[k] == '"')
			*d++ = '"';
		*d++ = (char)p[k];
	}
	*d++ = '"';
	return d;
}

/* Write the JSON string of the text p[0..len) at d; returns the end. */
static char *put_json(char *d, const uint8_t *p, size_t len)
{
	size_t k;

	*d++ = '"';
	for (k = 0; k < len; k++) {
		uint8_t c = p[k];

		if (json_control(c)) {
			memcpy(d, "\\u00", 4);
			d[4] = hex_digits[c >> 4];
			d[5] = hex_digits[c & 15];
			d += 6;
		} else if (c == '"' || c == '\\') {
			*d++ = '\\';
			*d++ = (char)c;
		} else {
			*d++ = (char)c;
		}
	}
	*d++ = '"';
	return d;
}

/* Write the form of the text p[0..len) at d; returns the end. */
static char *put_text(int form, char *d, const uint8_t *p, size_t len)
{
	switch (form) {
	case ROWFS_FORM_LITERAL:
		return put_literal(d, p, len);
	case ROWFS_FORM_COPY:
		return put_copy(d, p, len);
	case ROWFS_FORM_CSV:
		return put_csv(d, p, len);
	case ROWFS_FORM_JSON:
		return put_json(d, p, len);
	default:
		if (len)
			memcpy(d, p, len);
		return d + len;
	}
}

/* Write the blob p[0..len) in the form whose words are w at d; returns the end. */
static char *put_blob(const struct form_words *w, char *d, const uint8_t *p, size_t len)
{
	size_t k;

	memcpy(d, w->blob_open, w->open_len);
	d += w->open_len;
	for (k = 0; k < len; k++) {
		*d++ = hex_digits[p[k] >> 4];
		*d++ = hex_digits[p[k] & 15];
	}
	memcpy(d, w->blob_close, w->close_len);
	return d + w->close_len;
}

/*
 * Bytes no form escapes or quotes: printable ASCII but ' " \\ , and any
 * byte of a multi-byte UTF-8 character (0x20..0x7e without those four,
 * 0x80..0xff).  A text of such bytes only is written as it is in every
 * form (quotes around it in LITERAL and JSON).
 */

/* Is the non-empty text p[0..len) plain in every form? */
static int plain_text(const uint8_t *p, size_t len)
{
	/* the rule above, per byte value (check_textform compares the sizes it
	 * gives with every form's own on random values) */
	static const uint8_t plain[256] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	};
	size_t k;

	if (len == 0)
		return 0;   /* CSV quotes the empty text */
	for (k = 0; k + 4 <= len; k += 4)
		if (!(plain[p[k]] & plain[p[k + 1]] & plain[p[k + 2]] & plain[p[k + 3]]))
			return 0;
	for (; k < len; k++)
		if (!plain[p[k]])
			return 0;
	return 1;
}

/* ---- values ------------------------------------------------------------------------- */

size_t rowfs_value_text_size(int form, const struct rowfs_value *v)
{
	const struct form_words *w;
	char buf[32];

	if (!form_known(form))
		return 0;
	w = &form_words[form];
	switch (v->type) {
	case ROWFS_TYPE_INTEGER:
		return v->i < 0 ? 1 + decimal_len(0 - (uint64_t)v->i) : decimal_len((uint64_t)v->i);
	case ROWFS_TYPE_REAL:
		return rowfs_format_real(v->r, buf);
	case ROWFS_TYPE_TEXT:
		return text_size(form, v->p, v->len);
	case ROWFS_TYPE_BLOB:
		return w->open_len + 2 * v->len + w->close_len;
	default:
		return w->null_len;
	}
}

size_t rowfs_value_text(int form, const struct rowfs_value *v, char *dst)
{
	const struct form_words *w;
	char buf[32];
	size_t n;

	if (!form_known(form))
		return 0;
	w = &form_words[form];
	switch (v->type) {
	case ROWFS_TYPE_INTEGER:
		return put_int(dst, v->i);
	case ROWFS_TYPE_REAL:
		n = rowfs_format_real(v->r, buf);
		memcpy(dst, buf, n);
		return n;
	case ROWFS_TYPE_TEXT:
		return (size_t)(put_text(form, dst, v->p, v->len) - dst);
	case ROWFS_TYPE_BLOB:
		return (size_t)(put_blob(w, dst, v->p, v->len) - dst);
	default:
		memcpy(dst, w->null_text, w->null_len);
		return w->null_len;
	}
}

void rowfs_value_text_sizes(const struct rowfs_value *v, size_t sizes[ROWFS_FORM_COUNT])
{
	char buf[32];
	size_t real;
	int f;

	if (v->type == ROWFS_TYPE_TEXT && plain_text(v->p, v->len)) {
		sizes[ROWFS_FORM_LITERAL] = v->len + 2;
		sizes[ROWFS_FORM_REPLY] = v->len;
		sizes[ROWFS_FORM_COPY] = v->len;
		sizes[ROWFS_FORM_CSV] = v->len;
		sizes[ROWFS_FORM_JSON] = v->len + 2;
		return;
	}
	if (v->type == ROWFS_TYPE_INTEGER || v->type == ROWFS_TYPE_REAL) {
		/* a number is written alike in every form: formatted once */
		real = v->type == ROWFS_TYPE_REAL ? rowfs_format_real(v->r, buf) :
		       rowfs_value_text_size(ROWFS_FORM_COPY, v);
		for (f = 0; f < ROWFS_FORM_COUNT; f++)
			sizes[f] = real;
		return;
	}
	for (f = 0; f < ROWFS_FORM_COUNT; f++)
		sizes[f] = rowfs_value_text_size(f, v);
}
