/*
 * check_textform.c - unit tests of engine/textform.c: the text forms of
 * one value (rowfs_value_text_size, rowfs_value_text) and
 * rowfs_format_real.
 *
 * Owns:
 *   - a table of exact texts: every form (LITERAL, REPLY, COPY, CSV, JSON)
 *     of every type, with the edges: empty text, each character a form
 *     escapes, other control characters, 0x7f, multi-byte UTF-8, -0.0,
 *     1e+100, INT64_MIN, INT64_MAX, empty blob; an unknown form writes
 *     nothing;
 *   - 10,000 random values in every form, each written into a heap
 *     buffer of exactly the announced size (ASan sees one byte too many),
 *     then read back by a reference reader written here: COPY unescaped,
 *     CSV by a small RFC 4180 field parser, JSON by a small validating
 *     parser (numbers, strings with escapes, null), LITERAL by the engine
 *     itself (the values inserted as literals into a table and scanned
 *     back, typed, equal to the model);
 *   - rowfs_format_real against the linear search it replaced (kept
 *     here as the reference) on 200,000 doubles: random bits, powers of
 *     two, denormals, integral values, short decimals.
 */
#include <config.h>

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowfs.h"
#include "testutil.h"

#define FORMS 5

static const char *const form_names[FORMS] = {"LITERAL", "REPLY", "COPY", "CSV", "JSON"};

/* ---- values ------------------------------------------------------------------ */

static struct rowfs_value vnull(void)
{
	struct rowfs_value v;

	memset(&v, 0, sizeof(v));
	return v;
}

static struct rowfs_value vint(int64_t i)
{
	struct rowfs_value v = vnull();

	v.type = ROWFS_TYPE_INTEGER;
	v.i = i;
	return v;
}

static struct rowfs_value vreal(double r)
{
	struct rowfs_value v = vnull();

	v.type = ROWFS_TYPE_REAL;
	v.r = r;
	return v;
}

static struct rowfs_value vbytes(int type, const void *p, size_t len)
{
	struct rowfs_value v = vnull();

	v.type = type;
	v.p = p;
	v.len = len;
	return v;
}

static struct rowfs_value vtext(const char *s)
{
	return vbytes(ROWFS_TYPE_TEXT, s, strlen(s));
}

/*
 * v in form, written into a heap buffer of exactly the announced size (so
 * ASan sees a byte written past it); the length returned must be that
 * size.  Returns a NUL-terminated copy (the caller frees).
 */
static char *text_of(int form, const struct rowfs_value *v, size_t *len)
{
	size_t size = rowfs_value_text_size(form, v), n;
	char *exact = malloc(size ? size : 1), *copy = malloc(size + 1);
	size_t all[ROWFS_FORM_COUNT];

	REQUIRE(exact != NULL && copy != NULL, "out of memory");
	/* every form at once gives the same sizes */
	rowfs_value_text_sizes(v, all);
	REQUIRE(all[form] == size, "%s: rowfs_value_text_sizes %zu, rowfs_value_text_size %zu",
		form_names[form], all[form], size);
	n = rowfs_value_text(form, v, exact);
	REQUIRE(n == size, "%s: size %zu but %zu written", form_names[form], size, n);
	memcpy(copy, exact, n);
	copy[n] = '\0';
	free(exact);
	*len = n;
	return copy;
}

/* ---- fixed texts ---------------------------------------------------------------- */

/* The five forms of v must be want[0..4] (LITERAL, REPLY, COPY, CSV, JSON). */
static void expect_forms(struct rowfs_value v, const char *const want[FORMS])
{
	int form;

	for (form = 0; form < FORMS; form++) {
		size_t n;
		char *got = text_of(form, &v, &n);

		ck_assert_msg(n == strlen(want[form]) && memcmp(got, want[form], n) == 0,
			      "%s: got [%s], want [%s]", form_names[form], got, want[form]);
		free(got);
	}
}

#define EXPECT(v, lit, reply, copy, csv, json) \
	do { \
		const char *const want_[FORMS] = {lit, reply, copy, csv, json}; \
		expect_forms(v, want_); \
	} while (0)

START_TEST(test_numbers_and_null)
{
	EXPECT(vnull(), "null", "NULL", "\\N", "", "null");
	EXPECT(vint(0), "0", "0", "0", "0", "0");
	EXPECT(vint(7), "7", "7", "7", "7", "7");
	EXPECT(vint(-12), "-12", "-12", "-12", "-12", "-12");
	EXPECT(vint(1000000), "1000000", "1000000", "1000000", "1000000", "1000000");
	EXPECT(vint(INT64_MIN), "-9223372036854775808", "-9223372036854775808",
	       "-9223372036854775808", "-9223372036854775808", "-9223372036854775808");
	EXPECT(vint(INT64_MAX), "9223372036854775807", "9223372036854775807",
	       "9223372036854775807", "9223372036854775807", "9223372036854775807");
	EXPECT(vreal(2.5), "2.5", "2.5", "2.5", "2.5", "2.5");
	EXPECT(vreal(-0.0), "-0.0", "-0.0", "-0.0", "-0.0", "-0.0");
	EXPECT(vreal(0.0), "0.0", "0.0", "0.0", "0.0", "0.0");
	EXPECT(vreal(3.0), "3.0", "3.0", "3.0", "3.0", "3.0");
	EXPECT(vreal(1e100), "1e+100", "1e+100", "1e+100", "1e+100", "1e+100");
	EXPECT(vreal(-1.5e-7), "-1.5e-07", "-1.5e-07", "-1.5e-07", "-1.5e-07", "-1.5e-07");
	EXPECT(vreal(0.1 + 0.2), "0.30000000000000004", "0.30000000000000004",
	       "0.30000000000000004", "0.30000000000000004", "0.30000000000000004");
	EXPECT(vreal(DBL_MAX), "1.7976931348623157e+308", "1.7976931348623157e+308",
	       "1.7976931348623157e+308", "1.7976931348623157e+308", "1.7976931348623157e+308");
}
END_TEST

START_TEST(test_texts)
{
	EXPECT(vtext(""), "''", "", "", "\"\"", "\"\"");
	EXPECT(vtext("abc"), "'abc'", "abc", "abc", "abc", "\"abc\"");
	EXPECT(vtext(" a b "), "' a b '", " a b ", " a b ", " a b ", "\" a b \"");
	EXPECT(vtext("it's"), "'it''s'", "it's", "it's", "it's", "\"it's\"");
	EXPECT(vtext("'"), "''''", "'", "'", "'", "\"'\"");
	EXPECT(vtext("a\\b"), "E'a\\\\b'", "a\\b", "a\\\\b", "a\\b", "\"a\\\\b\"");
	EXPECT(vtext("a\tb"), "E'a\\tb'", "a\tb", "a\\tb", "a\tb", "\"a\\u0009b\"");
	EXPECT(vtext("a\nb"), "E'a\\nb'", "a\nb", "a\\nb", "\"a\nb\"", "\"a\\u000ab\"");
	EXPECT(vtext("a\rb"), "E'a\\rb'", "a\rb", "a\\rb", "\"a\rb\"", "\"a\\u000db\"");
	EXPECT(vtext("\r\n"), "E'\\r\\n'", "\r\n", "\\r\\n", "\"\r\n\"", "\"\\u000d\\u000a\"");
	EXPECT(vtext("a,b"), "'a,b'", "a,b", "a,b", "\"a,b\"", "\"a,b\"");
	EXPECT(vtext("say \"hi\""), "'say \"hi\"'", "say \"hi\"", "say \"hi\"",
	       "\"say \"\"hi\"\"\"", "\"say \\\"hi\\\"\"");
	EXPECT(vtext("\""), "'\"'", "\"", "\"", "\"\"\"\"", "\"\\\"\"");
	/* E'...' escapes a quote with a backslash */
	EXPECT(vtext("it's\t"), "E'it\\'s\\t'", "it's\t", "it's\\t", "it's\t",
	       "\"it's\\u0009\"");
	/* other control characters stand for themselves, but JSON's \u00XX */
	EXPECT(vtext("\x01"), "E'\x01'", "\x01", "\x01", "\x01", "\"\\u0001\"");
	EXPECT(vtext("a\x1f"), "E'a\x1f'", "a\x1f", "a\x1f", "a\x1f", "\"a\\u001f\"");
	EXPECT(vtext("\x7f"), "E'\x7f'", "\x7f", "\x7f", "\x7f", "\"\\u007f\"");
	EXPECT(vtext("\x1b[0m"), "E'\x1b[0m'", "\x1b[0m", "\x1b[0m", "\x1b[0m",
	       "\"\\u001b[0m\"");
	/* a backslash and every escape at once */
	EXPECT(vtext("\\\t\n\r'\",\x02"), "E'\\\\\\t\\n\\r\\'\",\x02'", "\\\t\n\r'\",\x02",
	       "\\\\\\t\\n\\r'\",\x02", "\"\\\t\n\r'\"\",\x02\"",
	       "\"\\\\\\u0009\\u000a\\u000d'\\\",\\u0002\"");
	/* multi-byte UTF-8 stands for itself everywhere */
	EXPECT(vtext("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	       "'\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'",
	       "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	       "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	       "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	       "\"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	EXPECT(vtext("N"), "'N'", "N", "N", "N", "\"N\"");
	EXPECT(vtext("\\N"), "E'\\\\N'", "\\N", "\\\\N", "\\N", "\"\\\\N\"");
	EXPECT(vtext("NULL"), "'NULL'", "NULL", "NULL", "NULL", "\"NULL\"");
}
END_TEST

START_TEST(test_blobs)
{
	static const uint8_t bytes[] = {0x00, 0xff, 0x10, 0x0a, 0x5c, 0xab};

	EXPECT(vbytes(ROWFS_TYPE_BLOB, bytes, 0), "x''", "x''", "\\x", "\\x", "\"\\\\x\"");
	EXPECT(vbytes(ROWFS_TYPE_BLOB, bytes, 2), "x'00ff'", "x'00ff'", "\\x00ff", "\\x00ff",
	       "\"\\\\x00ff\"");
	EXPECT(vbytes(ROWFS_TYPE_BLOB, bytes, sizeof(bytes)), "x'00ff100a5cab'",
	       "x'00ff100a5cab'", "\\x00ff100a5cab", "\\x00ff100a5cab",
	       "\"\\\\x00ff100a5cab\"");
	/* a blob's bytes, even a NUL, never take part: NULL pointer with 0 bytes */
	EXPECT(vbytes(ROWFS_TYPE_BLOB, NULL, 0), "x''", "x''", "\\x", "\\x", "\"\\\\x\"");
	EXPECT(vbytes(ROWFS_TYPE_TEXT, NULL, 0), "''", "", "", "\"\"", "\"\"");
}
END_TEST

START_TEST(test_unknown_form)
{
	struct rowfs_value v = vtext("abc");
	char buf[8] = "#######";

	ck_assert_uint_eq(rowfs_value_text_size(FORMS, &v), 0);
	ck_assert_uint_eq(rowfs_value_text_size(-1, &v), 0);
	ck_assert_uint_eq(rowfs_value_text(FORMS, &v, buf), 0);
	ck_assert_uint_eq(rowfs_value_text(-1, &v, buf), 0);
	ck_assert_str_eq(buf, "#######");
	/* an unknown type is written as NULL */
	v.type = 99;
	ck_assert_uint_eq(rowfs_value_text_size(ROWFS_FORM_JSON, &v), 4);
}
END_TEST

/* ---- random values --------------------------------------------------------------- */

/* Pieces of random texts: every character some form escapes, and multi-byte ones. */
static const char *const pieces[] = {
	"a", "Z", "0", " ", "\\", "\t", "\n", "\r", "'", "\"", ",", "\x01", "\x1f", "\x7f",
	"N", "x", "E", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
	"--", ";", "{", "}", ":", "u0041",
};

#define TEXT_MAX 160

/* A random valid UTF-8 text without NUL into buf (TEXT_MAX + 1 bytes); returns its length. */
static size_t random_text(uint64_t *rng, char *buf)
{
	size_t n = 0, want = tu_next_random(rng) % 24, k;

	if (tu_next_random(rng) % 8 == 0)
		want = 0;
	for (k = 0; k < want; k++) {
		const char *p = pieces[tu_next_random(rng) % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t len = strlen(p);

		if (n + len > TEXT_MAX)
			break;
		memcpy(buf + n, p, len);
		n += len;
	}
	buf[n] = '\0';
	return n;
}

/* A random finite double: random bits, a short decimal, an integer, or an edge. */
static double random_real(uint64_t *rng)
{
	static const double edges[] = {0.0, -0.0, 1e100, -1e100, DBL_MAX, DBL_MIN,
				       4.9406564584124654e-324, 0.1, 1e16, 1e15, 0.0001, 1e-05};
	uint64_t r = tu_next_random(rng);
	double d;

	switch (r % 5) {
	case 0:
		return edges[(r >> 8) % (sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return (double)((int64_t)tu_next_random(rng) % 100000) / 100.0;
	case 2:
		return (double)((int64_t)tu_next_random(rng) >> (tu_next_random(rng) % 64));
	default:
		do {
			r = tu_next_random(rng);
			memcpy(&d, &r, sizeof(d));
		} while (!isfinite(d));
		return d;
	}
}

/* A random value of type type; texts and blobs into buf (TEXT_MAX + 1 bytes). */
static struct rowfs_value random_value(uint64_t *rng, int type, char *buf)
{
	size_t k, len;

	switch (type) {
	case ROWFS_TYPE_INTEGER:
		if (tu_next_random(rng) % 8 == 0)
			return vint(tu_next_random(rng) % 2 ? INT64_MIN : INT64_MAX);
		return vint((int64_t)tu_next_random(rng) >> (tu_next_random(rng) % 64));
	case ROWFS_TYPE_REAL:
		return vreal(random_real(rng));
	case ROWFS_TYPE_TEXT:
		len = random_text(rng, buf);
		return vbytes(ROWFS_TYPE_TEXT, buf, len);
	case ROWFS_TYPE_BLOB:
		len = tu_next_random(rng) % 20;
		for (k = 0; k < len; k++)
			buf[k] = (char)tu_next_random(rng);
		return vbytes(ROWFS_TYPE_BLOB, buf, len);
	default:
		return vnull();
	}
}

/* Whether a and b are the same value (reals bit for bit, so -0.0 is not 0.0). */
static int same_value(const struct rowfs_value *a, const struct rowfs_value *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case ROWFS_TYPE_INTEGER:
		return a->i == b->i;
	case ROWFS_TYPE_REAL:
		return memcmp(&a->r, &b->r, sizeof(a->r)) == 0;
	case ROWFS_TYPE_TEXT:
	case ROWFS_TYPE_BLOB:
		return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
	default:
		return 1;
	}
}

/* ---- reference readers ------------------------------------------------------------ */

/* The value of hex digit c, or -1. */
static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;   /* upper case is never written */
}

/* Decode s[0..n) of lower-case hex pairs into out; 0, or -1 when malformed. */
static int decode_hex(const char *s, size_t n, uint8_t *out)
{
	size_t k;

	if (n % 2)
		return -1;
	for (k = 0; k < n; k += 2) {
		int hi = hex_value(s[k]), lo = hex_value(s[k + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[k / 2] = (uint8_t)(hi * 16 + lo);
	}
	return 0;
}

/*
 * A number as the forms write it, read back as a value of type type:
 * every byte used, an integer by strtoll, a real by strtod.
 */
static int read_number(const char *s, int type, struct rowfs_value *out)
{
	char *end;

	if (type == ROWFS_TYPE_INTEGER)
		*out = vint(strtoll(s, &end, 10));
	else
		*out = vreal(strtod(s, &end));
	return *end == '\0' && end != s ? 0 : -1;
}

/*
 * COPY: the field s (NUL-terminated, n bytes) read back as a value of
 * type type; bytes into buf.  A text's field holds no raw TAB, LF or CR
 * and every backslash starts one of \\ \t \n \r.  0, or -1 when malformed.
 */
static int read_copy(const char *s, size_t n, int type, char *buf, struct rowfs_value *out)
{
	size_t k, len = 0;

	if (strcmp(s, "\\N") == 0) {
		*out = vnull();
		return 0;
	}
	if (type == ROWFS_TYPE_INTEGER || type == ROWFS_TYPE_REAL)
		return read_number(s, type, out);
	if (type == ROWFS_TYPE_BLOB) {
		if (n < 2 || s[0] != '\\' || s[1] != 'x' || decode_hex(s + 2, n - 2, (uint8_t *)buf))
			return -1;
		*out = vbytes(ROWFS_TYPE_BLOB, buf, (n - 2) / 2);
		return 0;
	}
	for (k = 0; k < n; k++) {
		char c = s[k];

		if (c == '\t' || c == '\n' || c == '\r')
			return -1;
		if (c == '\\') {
			c = s[++k];
			c = c == '\\' ? '\\' : c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : 0;
			if (!c)
				return -1;
		}
		buf[len++] = c;
	}
	*out = vbytes(ROWFS_TYPE_TEXT, buf, len);
	return 0;
}

/*
 * A tiny RFC 4180 reader: s[0..n) must be exactly one field.  Quoted: "
 * ... " with "" for a quote, nothing after the closing quote.  Unquoted:
 * no , " CR or LF.  The bytes go to buf; *quoted tells which.  0, or -1.
 */
static int csv_field(const char *s, size_t n, char *buf, size_t *len, int *quoted)
{
	size_t k;

	*len = 0;
	*quoted = n > 0 && s[0] == '"';
	if (!*quoted) {
		for (k = 0; k < n; k++) {
			if (s[k] == ',' || s[k] == '"' || s[k] == '\r' || s[k] == '\n')
				return -1;
			buf[(*len)++] = s[k];
		}
		return 0;
	}
	for (k = 1; k < n; k++) {
		if (s[k] != '"') {
			buf[(*len)++] = s[k];
		} else if (k + 1 < n && s[k + 1] == '"') {
			buf[(*len)++] = '"';
			k++;
		} else {
			return k + 1 == n ? 0 : -1;   /* the closing quote ends the field */
		}
	}
	return -1;   /* no closing quote */
}

/* CSV: the field s[0..n) read back as a value of type type (bytes into buf). 0, or -1. */
static int read_csv(const char *s, size_t n, int type, char *buf, struct rowfs_value *out)
{
	size_t len;
	int quoted;

	if (csv_field(s, n, buf, &len, &quoted))
		return -1;
	if (len == 0 && !quoted) {
		*out = vnull();   /* NULL: empty and unquoted; an empty text is "" */
		return 0;
	}
	buf[len] = '\0';
	if (type == ROWFS_TYPE_TEXT) {
		*out = vbytes(ROWFS_TYPE_TEXT, buf, len);
		return 0;
	}
	if (quoted)
		return -1;   /* only texts are ever quoted */
	if (type == ROWFS_TYPE_BLOB) {
		if (len < 2 || buf[0] != '\\' || buf[1] != 'x' ||
		    decode_hex(buf + 2, len - 2, (uint8_t *)buf + TEXT_MAX))
			return -1;
		*out = vbytes(ROWFS_TYPE_BLOB, buf + TEXT_MAX, (len - 2) / 2);
		return 0;
	}
	return read_number(buf, type, out);
}

/* Length of a JSON number at s (RFC 8259 grammar), or 0 if there is none. */
static size_t json_number_len(const char *s)
{
	size_t k = 0, d;

	if (s[k] == '-')
		k++;
	if (s[k] == '0')
		k++;
	else if (s[k] >= '1' && s[k] <= '9')
		while (s[k] >= '0' && s[k] <= '9')
			k++;
	else
		return 0;
	if (s[k] == '.') {
		for (d = ++k; s[k] >= '0' && s[k] <= '9'; k++)
			;
		if (k == d)
			return 0;
	}
	if (s[k] == 'e' || s[k] == 'E') {
		k++;
		if (s[k] == '+' || s[k] == '-')
			k++;
		for (d = k; s[k] >= '0' && s[k] <= '9'; k++)
			;
		if (k == d)
			return 0;
	}
	return k;
}

/*
 * A JSON string at s[0..n) (the whole of it): validated (no raw control
 * character below 0x20, known escapes only) and decoded into buf (code
 * points below 0x80 as a byte, others as UTF-8 up to 3 bytes).  0, or -1.
 */
static int json_string(const char *s, size_t n, char *buf, size_t *len)
{
	size_t k;

	*len = 0;
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return -1;
	for (k = 1; k + 1 < n; k++) {
		unsigned char c = (unsigned char)s[k];
		unsigned cp = 0, j;

		if (c < 0x20 || c == '"')
			return -1;
		if (c != '\\') {
			buf[(*len)++] = (char)c;
			continue;
		}
		c = (unsigned char)s[++k];
		if (k + 1 >= n)
			return -1;
		switch (c) {
		case '"': case '\\': case '/':
			buf[(*len)++] = (char)c;
			break;
		case 'b': buf[(*len)++] = '\b'; break;
		case 'f': buf[(*len)++] = '\f'; break;
		case 'n': buf[(*len)++] = '\n'; break;
		case 'r': buf[(*len)++] = '\r'; break;
		case 't': buf[(*len)++] = '\t'; break;
		case 'u':
			for (j = 0; j < 4; j++) {
				char h = s[++k];
				int x = h >= 'A' && h <= 'F' ? h - 'A' + 10 : hex_value(h);

				if (k + 1 >= n || x < 0)
					return -1;
				cp = cp * 16 + (unsigned)x;
			}
			if (cp < 0x80) {
				buf[(*len)++] = (char)cp;
			} else if (cp < 0x800) {
				buf[(*len)++] = (char)(0xc0 | (cp >> 6));
				buf[(*len)++] = (char)(0x80 | (cp & 63));
			} else {
				buf[(*len)++] = (char)(0xe0 | (cp >> 12));
				buf[(*len)++] = (char)(0x80 | ((cp >> 6) & 63));
				buf[(*len)++] = (char)(0x80 | (cp & 63));
			}
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* JSON: s[0..n) read back as a value of type type (bytes into buf). 0, or -1. */
static int read_json(const char *s, size_t n, int type, char *buf, struct rowfs_value *out)
{
	size_t len;

	if (strcmp(s, "null") == 0) {
		*out = vnull();
		return 0;
	}
	if (type == ROWFS_TYPE_INTEGER || type == ROWFS_TYPE_REAL) {
		if (json_number_len(s) != n)
			return -1;
		return read_number(s, type, out);
	}
	if (json_string(s, n, buf, &len))
		return -1;
	if (type == ROWFS_TYPE_TEXT) {
		*out = vbytes(ROWFS_TYPE_TEXT, buf, len);
		return 0;
	}
	if (len < 2 || buf[0] != '\\' || buf[1] != 'x' ||
	    decode_hex(buf + 2, len - 2, (uint8_t *)buf + TEXT_MAX))
		return -1;
	*out = vbytes(ROWFS_TYPE_BLOB, buf + TEXT_MAX, (len - 2) / 2);
	return 0;
}

/* REPLY: read back where it is unambiguous (type known, NULL only as NULL for numbers). */
static int read_reply(const char *s, size_t n, int type, char *buf, struct rowfs_value *out)
{
	if (type == ROWFS_TYPE_NULL)
		return strcmp(s, "NULL") == 0 ? (*out = vnull(), 0) : -1;
	if (type == ROWFS_TYPE_INTEGER || type == ROWFS_TYPE_REAL)
		return read_number(s, type, out);
	if (type == ROWFS_TYPE_TEXT) {
		memcpy(buf, s, n);
		*out = vbytes(ROWFS_TYPE_TEXT, buf, n);
		return 0;
	}
	if (n < 3 || s[0] != 'x' || s[1] != '\'' || s[n - 1] != '\'' ||
	    decode_hex(s + 2, n - 3, (uint8_t *)buf))
		return -1;
	*out = vbytes(ROWFS_TYPE_BLOB, buf, (n - 3) / 2);
	return 0;
}

/* ---- randomized: every form read back ---------------------------------------------- */

START_TEST(test_random_read_back)
{
	uint64_t rng = tu_seed("ROWFS_SEED", 0x74657874ull);
	static char text[TEXT_MAX + 1], back[8 * TEXT_MAX];
	int i, form;

	for (i = 0; i < 10000; i++) {
		int type = (int)(tu_next_random(&rng) % 5);
		struct rowfs_value v = random_value(&rng, type, text), got;

		for (form = 0; form < FORMS; form++) {
			size_t n;
			char *s = text_of(form, &v, &n);
			int rc;

			memset(&got, 0, sizeof(got));
			switch (form) {
			case ROWFS_FORM_COPY:
				rc = read_copy(s, n, type, back, &got);
				break;
			case ROWFS_FORM_CSV:
				rc = read_csv(s, n, type, back, &got);
				break;
			case ROWFS_FORM_JSON:
				rc = read_json(s, n, type, back, &got);
				break;
			case ROWFS_FORM_REPLY:
				rc = read_reply(s, n, type, back, &got);
				break;
			default:   /* LITERAL: read back by the engine, test_literal_parse_back */
				rc = 0;
				got = v;
				REQUIRE(memchr(s, '\n', n) == NULL && memchr(s, '\r', n) == NULL,
					"literal [%s] is not one line", s);
				break;
			}
			REQUIRE(rc == 0, "value %d (type %d): %s [%s] does not read back", i, type,
				form_names[form], s);
			REQUIRE(same_value(&v, &got), "value %d (type %d): %s [%s] reads back as another value",
				i, type, form_names[form], s);
			free(s);
		}
	}
}
END_TEST

/* ---- LITERAL read back by the engine ----------------------------------------------- */

#define LIT_ROWS 2500

/* The model: every row's values (columns i, r, s, b), bytes in arena. */
struct lit_model {
	struct rowfs_value vals[LIT_ROWS][4];
	char arena[LIT_ROWS][2][TEXT_MAX + 1];
	int64_t next;      /* rows compared so far */
	int bad;           /* first mismatch seen (row + 1), 0 if none */
};

/* rowfs_row_fn: compare row key with the model. */
static int lit_compare(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct lit_model *m = ctx;
	unsigned c;

	if (n != 5 || key != m->next || vals[0].i != key) {
		m->bad = (int)m->next + 1;
		return 1;
	}
	for (c = 0; c < 4; c++)
		if (!same_value(&vals[c + 1], &m->vals[key][c])) {
			m->bad = (int)key + 1;
			return 1;
		}
	m->next++;
	return 0;
}

START_TEST(test_literal_parse_back)
{
	static const int types[4] = {ROWFS_TYPE_INTEGER, ROWFS_TYPE_REAL, ROWFS_TYPE_TEXT,
				     ROWFS_TYPE_BLOB};
	uint64_t rng = tu_seed("ROWFS_SEED", 0x6c6974ull);
	struct lit_model *m = calloc(1, sizeof(*m));
	struct rowfs_config cfg;
	struct rowfs_txn *reader;
	struct rowfs_db *db;
	struct tu_buf out = {0};
	struct rowfs_err err;
	int row, c;

	ck_assert_ptr_nonnull(m);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_db_path;
	db = tu_open(&cfg);
	tu_expect_reply(db, "create table t (id integer primary key, i integer, r real, s text, b blob)",
			"Executed.\n");
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (row = 0; row < LIT_ROWS; row++) {
		char line[16 * TEXT_MAX + 64];
		size_t n = (size_t)snprintf(line, sizeof(line), "insert into t values (%d", row);

		for (c = 0; c < 4; c++) {
			int type = tu_next_random(&rng) % 6 == 0 ? ROWFS_TYPE_NULL : types[c];
			struct rowfs_value *v = &m->vals[row][c];

			*v = random_value(&rng, type, m->arena[row][c % 2]);
			line[n++] = ',';
			line[n++] = ' ';
			REQUIRE(n + rowfs_value_text_size(ROWFS_FORM_LITERAL, v) + 2 < sizeof(line),
				"line too long");
			n += rowfs_value_text(ROWFS_FORM_LITERAL, v, line + n);
		}
		line[n++] = ')';
		line[n] = '\0';
		REQUIRE(tu_exec_len(db, line, n, &out, &err) == ROWFS_OK, "%s: %s", line, err.msg);
		REQUIRE(strcmp(out.data, "Executed.\n") == 0, "%s: %s", line, out.data);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_scan(reader, "t", INT64_MIN, lit_compare, m, &err), ROWFS_OK);
	rowfs_txn_abort(reader);
	ck_assert_msg(m->bad == 0, "row %d reads back as another value", m->bad - 1);
	ck_assert_int_eq(m->next, LIT_ROWS);
	tu_buf_free(&out);
	tu_close(db);
	free(m);
}
END_TEST

/* ---- rowfs_format_real against the linear search ------------------------------------- */

/* The formatter textform.c replaced: digits searched 1, 2, ... 17, then %.*f. */
static size_t reference_real(double r, char *buf)
{
	char sci[32];
	int digits, exponent, len;

	for (digits = 1; digits < 17; digits++) {
		snprintf(sci, sizeof(sci), "%.*e", digits - 1, r);
		if (strtod(sci, NULL) == r)
			break;
	}
	snprintf(sci, sizeof(sci), "%.*e", digits - 1, r);
	exponent = atoi(strchr(sci, 'e') + 1);
	if (exponent < -4 || exponent >= 16)
		return (size_t)snprintf(buf, 32, "%s", sci);
	len = snprintf(buf, 32, "%.*f", digits - 1 - exponent > 0 ? digits - 1 - exponent : 0, r);
	if (!strchr(buf, '.')) {
		memcpy(buf + len, ".0", 3);
		len += 2;
	}
	return (size_t)len;
}

static void compare_real(double r)
{
	char want[32], got[40];
	size_t wn = reference_real(r, want), gn;

	memset(got, 0x5a, sizeof(got));
	gn = rowfs_format_real(r, got);
	REQUIRE(gn == wn && strcmp(got, want) == 0, "%.17g (%a): got [%s] (%zu), want [%s]", r, r,
		got, gn, want);
}

START_TEST(test_format_real_reference)
{
	uint64_t rng = tu_seed("ROWFS_SEED", 0x7265616c32ull);
	int i, e;

	/* every power of two and its neighbours, both signs */
	for (e = -1074; e <= 1023; e++) {
		double p = ldexp(1.0, e);

		compare_real(p);
		compare_real(-p);
		compare_real(nextafter(p, 0.0));
		compare_real(nextafter(p, INFINITY));
	}
	/* integral values around 2^53 and 1e16, where the integer path ends */
	for (i = -50; i <= 50; i++) {
		compare_real(9007199254740992.0 + 2.0 * i);
		compare_real(-9007199254740992.0 - 2.0 * i);
		compare_real(1e16 + 2.0 * i);
		compare_real(1e15 + i);
	}
	/* powers of ten and their neighbours */
	for (e = -320; e <= 308; e++) {
		double p = pow(10.0, e);

		compare_real(p);
		compare_real(nextafter(p, 0.0));
		compare_real(nextafter(p, INFINITY));
	}
	for (i = 0; i < 200000; i++) {
		uint64_t r = tu_next_random(&rng);
		double d;

		switch (i % 4) {
		case 0:   /* random bits */
			memcpy(&d, &r, sizeof(d));
			if (!isfinite(d))
				continue;
			break;
		case 1:   /* short decimals, down to 1e-38 */
			d = (double)((int64_t)r % 10000000) / pow(10.0, (double)(r >> 59));
			break;
		case 2:   /* integral values of every size */
			d = (double)((int64_t)r >> (tu_next_random(&rng) % 64));
			break;
		default:  /* denormals and small numbers */
			d = ldexp((double)(r >> 11), -1074 - (int)(tu_next_random(&rng) % 64) + 53);
			break;
		}
		compare_real(d);
	}
}
END_TEST

static Suite *textform_suite(void)
{
	Suite *s = suite_create("textform");
	TCase *tc = tcase_create("fixed");

	tcase_add_test(tc, test_numbers_and_null);
	tcase_add_test(tc, test_texts);
	tcase_add_test(tc, test_blobs);
	tcase_add_test(tc, test_unknown_form);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random_read_back);
	tcase_add_test(tc, test_format_real_reference);
	suite_add_tcase(s, tc);

	tc = tcase_create("literal");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_literal_parse_back);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_textform", textform_suite());
}
