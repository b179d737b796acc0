/*
 * check_tokenizer.c - unit tests of engine/tokenizer.c: token types and
 * positions, separators, the whole-line error scan, token-error texts, NUL,
 * and UTF-8 validation (checked exhaustively against a reference decoder
 * for every 2- and 3-byte combination of non-ASCII bytes); the SQL lexer's
 * fast paths (keyword lookup, reals, plain literals, the statement's end)
 * against plain references, on random input (ROWFS_SEED).
 *
 * Every line is copied into a heap buffer of exactly its length, so an
 * ASan build catches any read past the end.
 */
#include <config.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row.h"
#include "testutil.h"
#include "tokenizer.h"

/* Run tok_line on line[0..len) copied to an exact-size heap buffer. */
static int run(const char *line, size_t len, struct token *tokens, size_t max, size_t *count,
	       struct rowfs_err *err, char **copy)
{
	char *buf = tu_memdup(line, len);
	int rc;

	memset(err, 0, sizeof(*err));
	rc = tok_line(buf, len, tokens, max, count, err);
	*copy = buf;
	return rc;
}

/* Expected token: type, position, length. */
struct want {
	enum tok_type type;
	size_t pos;
	size_t len;
};

static void check_tokens(const char *line, const struct want *want, size_t n)
{
	struct token tokens[TOK_MAX];
	struct rowfs_err err;
	size_t count, i;
	char *buf;
	int rc;

	rc = run(line, strlen(line), tokens, TOK_MAX, &count, &err, &buf);
	ck_assert_msg(rc == ROWFS_OK, "'%s': rc %d (%s)", line, rc, err.msg);
	ck_assert_msg(count == n, "'%s': %zu tokens, want %zu", line, count, n);
	for (i = 0; i < n; i++) {
		ck_assert_msg(tokens[i].type == want[i].type, "'%s' token %zu: type %d, want %d",
			      line, i, (int)tokens[i].type, (int)want[i].type);
		ck_assert_msg(tokens[i].pos == want[i].pos, "'%s' token %zu: pos %zu, want %zu",
			      line, i, tokens[i].pos, want[i].pos);
		ck_assert_msg(tokens[i].len == want[i].len, "'%s' token %zu: len %zu, want %zu",
			      line, i, tokens[i].len, want[i].len);
		ck_assert_ptr_eq(tokens[i].text, buf + want[i].pos);
	}
	free(buf);
}

/* Expect rc and the exact message for line[0..len). */
static void check_error_len(const char *line, size_t len, int want_rc, const char *want_msg)
{
	struct token tokens[TOK_MAX];
	struct rowfs_err err;
	size_t count = 99;
	char *buf;
	int rc;

	rc = run(line, len, tokens, TOK_MAX, &count, &err, &buf);
	free(buf);
	ck_assert_msg(rc == want_rc, "line %zu bytes: rc %d, want %d (%s)", len, rc, want_rc,
		      err.msg);
	ck_assert_int_eq(err.rc, want_rc);
	ck_assert_str_eq(err.msg, want_msg);
	ck_assert_uint_eq(count, 0);
}

static void check_error(const char *line, int want_rc, const char *want_msg)
{
	check_error_len(line, strlen(line), want_rc, want_msg);
}

/* 1 if line is accepted as exactly one word token covering it all. */
static int one_word(const char *line, size_t len)
{
	struct token tokens[TOK_MAX];
	struct rowfs_err err;
	size_t count;
	char *buf;
	int rc;

	rc = run(line, len, tokens, TOK_MAX, &count, &err, &buf);
	free(buf);
	return rc == ROWFS_OK && count == 2 && tokens[0].type == TOK_WORD && tokens[0].pos == 0 &&
	       tokens[0].len == len && tokens[1].type == TOK_EOF;
}

START_TEST(test_statement_tokens)
{
	const struct want w1[] = {{TOK_WORD, 0, 6}, {TOK_INTEGER, 7, 1}, {TOK_WORD, 9, 5},
				  {TOK_EOF, 14, 0}};
	const struct want w2[] = {{TOK_WORD, 2, 6}, {TOK_INTEGER, 9, 1}, {TOK_WORD, 12, 1},
				  {TOK_EOF, 13, 0}};
	const struct want w3[] = {{TOK_WORD, 0, 6}, {TOK_EOF, 6, 0}};
	const struct want w4[] = {{TOK_WORD, 1, 5}, {TOK_EOF, 8, 0}};
	const struct want w5[] = {{TOK_WORD, 0, 6}, {TOK_INTEGER, 7, 5}, {TOK_INTEGER, 13, 3},
				  {TOK_EOF, 16, 0}};

	check_tokens("insert 1 alice", w1, 4);
	check_tokens("  insert\t1  a", w2, 4);
	check_tokens("select", w3, 2);
	check_tokens("\t.exit\t ", w4, 2);
	check_tokens("insert 00042 123", w5, 4);
}
END_TEST

START_TEST(test_blank_lines)
{
	const struct want w0[] = {{TOK_EOF, 0, 0}};
	const struct want w5[] = {{TOK_EOF, 5, 0}};
	struct token tokens[TOK_MAX];
	struct rowfs_err err;
	size_t count;

	check_tokens("", w0, 1);
	check_tokens("  \t  ", w5, 1);
	/* A NULL line of length 0 is a blank line too. */
	ck_assert_int_eq(tok_line(NULL, 0, tokens, TOK_MAX, &count, &err), ROWFS_OK);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(tokens[0].type, TOK_EOF);
	ck_assert_uint_eq(tokens[0].pos, 0);
}
END_TEST

START_TEST(test_classes)
{
	static const struct {
		const char *text;
		enum tok_type type;
	} cases[] = {
		{"0", TOK_INTEGER},         {"4294967296", TOK_INTEGER},
		{"00042", TOK_INTEGER},     {"99999999999999999999", TOK_INTEGER},
		{"-1", TOK_NEGATIVE},       {"-0", TOK_NEGATIVE},
		{"-00042", TOK_NEGATIVE},   {"-", TOK_WORD},
		{"--1", TOK_WORD},          {"-1a", TOK_WORD},
		{"1-", TOK_WORD},           {"1-2", TOK_WORD},
		{"0x10", TOK_WORD},         {"1e3", TOK_WORD},
		{"12ab", TOK_WORD},         {"1.5", TOK_WORD},
		{".exit", TOK_WORD},        {".", TOK_WORD},
		{"_", TOK_WORD},            {"a_b.c-d", TOK_WORD},
		{"\xc3\xa9", TOK_WORD},     {"1\xc3\xa9", TOK_WORD},
		{"INSERT", TOK_WORD},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct want w[2];

		w[0].type = cases[i].type;
		w[0].pos = 0;
		w[0].len = strlen(cases[i].text);
		w[1].type = TOK_EOF;
		w[1].pos = w[0].len;
		w[1].len = 0;
		check_tokens(cases[i].text, w, 2);
	}
}
END_TEST

START_TEST(test_type_names)
{
	struct token tok;

	memset(&tok, 0, sizeof(tok));
	tok.type = TOK_EOF;
	ck_assert_str_eq(tok_type_name(&tok), "EOF");
	tok.type = TOK_INTEGER;
	ck_assert_str_eq(tok_type_name(&tok), "INTEGER");
	tok.type = TOK_NEGATIVE;
	ck_assert_str_eq(tok_type_name(&tok), "INTEGER");
	tok.type = TOK_WORD;
	ck_assert_str_eq(tok_type_name(&tok), "STRING");
}
END_TEST

START_TEST(test_token_errors)
{
	check_error("insert 1 al@ce", ROWFS_TOKEN, "Token error: Unexpected character '@' at position 11");
	check_error("@", ROWFS_TOKEN, "Token error: Unexpected character '@' at position 0");
	check_error("foo @", ROWFS_TOKEN, "Token error: Unexpected character '@' at position 4");
	check_error("  insert 1 a@b", ROWFS_TOKEN,
		    "Token error: Unexpected character '@' at position 12");
	check_error("\tinsert\t1\ta#", ROWFS_TOKEN,
		    "Token error: Unexpected character '#' at position 11");
	check_error("insert +5 a", ROWFS_TOKEN, "Token error: Unexpected character '+' at position 7");
	check_error("a%", ROWFS_TOKEN, "Token error: Unexpected character '%' at position 1");
	check_error("'bob'", ROWFS_TOKEN, "Token error: Unexpected character ''' at position 0");
	check_error("x\"", ROWFS_TOKEN, "Token error: Unexpected character '\"' at position 1");
	check_error("a\\b", ROWFS_TOKEN, "Token error: Unexpected character '\\' at position 1");
	check_error("a,b", ROWFS_TOKEN, "Token error: Unexpected character ',' at position 1");
	check_error("a;", ROWFS_TOKEN, "Token error: Unexpected character ';' at position 1");
	/* Non-printable bytes are shown as '\xNN' (upper-case hex). */
	check_error("select\r", ROWFS_TOKEN, "Token error: Unexpected character '\\x0D' at position 6");
	check_error("a\rb", ROWFS_TOKEN, "Token error: Unexpected character '\\x0D' at position 1");
	check_error("a\x7f", ROWFS_TOKEN, "Token error: Unexpected character '\\x7F' at position 1");
	check_error("\x01", ROWFS_TOKEN, "Token error: Unexpected character '\\x01' at position 0");
	check_error("a\vb", ROWFS_TOKEN, "Token error: Unexpected character '\\x0B' at position 1");
	check_error("a\fb", ROWFS_TOKEN, "Token error: Unexpected character '\\x0C' at position 1");
	check_error("a\nb", ROWFS_TOKEN, "Token error: Unexpected character '\\x0A' at position 1");
	check_error("\x1b[A", ROWFS_TOKEN, "Token error: Unexpected character '\\x1B' at position 0");
	/* The first bad byte wins. */
	check_error("a@b#", ROWFS_TOKEN, "Token error: Unexpected character '@' at position 1");
}
END_TEST

START_TEST(test_nul)
{
	check_error_len("a\0b", 3, ROWFS_SYNTAX, "Parse error: NUL byte");
	check_error_len("\0", 1, ROWFS_SYNTAX, "Parse error: NUL byte");
	check_error_len("insert 1 a\0", 11, ROWFS_SYNTAX, "Parse error: NUL byte");
	/* NUL wins over a token error before it. */
	check_error_len("@ \0", 3, ROWFS_SYNTAX, "Parse error: NUL byte");
}
END_TEST

START_TEST(test_max_tokens)
{
	struct token tokens[TOK_MAX];
	struct rowfs_err err;
	size_t count;
	char *buf;
	int rc;

	/* Exactly max-1 tokens: EOF fills the last slot. */
	rc = run("a b c d e f g", 13, tokens, TOK_MAX, &count, &err, &buf);
	free(buf);
	ck_assert_int_eq(rc, ROWFS_OK);
	ck_assert_uint_eq(count, TOK_MAX);
	ck_assert_int_eq(tokens[TOK_MAX - 1].type, TOK_EOF);

	/* More: the array is full of words, no EOF. */
	rc = run("a b c d e f g h i j", 19, tokens, TOK_MAX, &count, &err, &buf);
	free(buf);
	ck_assert_int_eq(rc, ROWFS_OK);
	ck_assert_uint_eq(count, TOK_MAX);
	ck_assert_int_eq(tokens[TOK_MAX - 1].type, TOK_WORD);
	ck_assert_uint_eq(tokens[TOK_MAX - 1].pos, 14);

	/* A small array is respected. */
	rc = run("a 1 c", 5, tokens, 2, &count, &err, &buf);
	free(buf);
	ck_assert_int_eq(rc, ROWFS_OK);
	ck_assert_uint_eq(count, 2);
	ck_assert_int_eq(tokens[1].type, TOK_INTEGER);

	/* max 0: only validation. */
	rc = run("a b", 3, NULL, 0, &count, &err, &buf);
	free(buf);
	ck_assert_int_eq(rc, ROWFS_OK);
	ck_assert_uint_eq(count, 0);

	/* The scan goes on past the stored tokens. */
	check_error("a b c d e f g h i @", ROWFS_TOKEN,
		    "Token error: Unexpected character '@' at position 18");
}
END_TEST

START_TEST(test_utf8_valid)
{
	static const char *const names[] = {
		"\xc2\x80",             /* U+0080 */
		"\xc3\xa9",             /* U+00E9 e acute */
		"\xdf\xbf",             /* U+07FF */
		"\xe0\xa0\x80",         /* U+0800 */
		"\xe2\x82\xac",         /* U+20AC euro */
		"\xed\x9f\xbf",         /* U+D7FF, below the surrogates */
		"\xee\x80\x80",         /* U+E000, above the surrogates */
		"\xef\xbf\xbf",         /* U+FFFF */
		"\xf0\x90\x80\x80",     /* U+10000 */
		"\xf0\x9f\x98\x80",     /* U+1F600 */
		"\xf4\x8f\xbf\xbf",     /* U+10FFFF */
		"j\xc3\xb6rg_\xe6\x97\xa5\xe6\x9c\xac-\xf0\x9f\x98\x80.x",
	};
	const struct want w[] = {{TOK_WORD, 0, 6}, {TOK_WORD, 7, 2}, {TOK_EOF, 10, 0}};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(one_word(names[i], strlen(names[i])), "name %zu rejected", i);
	check_tokens("insert \xc3\xa9 ", w, 3);
}
END_TEST

START_TEST(test_utf8_invalid)
{
	static const struct {
		const char *line;
		const char *msg;
	} cases[] = {
		{"a\x80", "Token error: Unexpected character '\\x80' at position 1"},
		{"\xbf", "Token error: Unexpected character '\\xBF' at position 0"},
		/* overlong */
		{"\xc0\x80", "Token error: Unexpected character '\\xC0' at position 0"},
		{"\xc1\xbf", "Token error: Unexpected character '\\xC1' at position 0"},
		{"ab\xe0\x80\x80", "Token error: Unexpected character '\\xE0' at position 2"},
		{"\xe0\x9f\xbf", "Token error: Unexpected character '\\xE0' at position 0"},
		{"\xf0\x80\x80\x80", "Token error: Unexpected character '\\xF0' at position 0"},
		{"\xf0\x8f\xbf\xbf", "Token error: Unexpected character '\\xF0' at position 0"},
		/* surrogates */
		{"x \xed\xa0\x80", "Token error: Unexpected character '\\xED' at position 2"},
		{"\xed\xbf\xbf", "Token error: Unexpected character '\\xED' at position 0"},
		/* above U+10FFFF */
		{"\xf4\x90\x80\x80", "Token error: Unexpected character '\\xF4' at position 0"},
		{"\xf5\x80\x80\x80", "Token error: Unexpected character '\\xF5' at position 0"},
		{"\xf8\x88\x80\x80\x80", "Token error: Unexpected character '\\xF8' at position 0"},
		{"\xfe", "Token error: Unexpected character '\\xFE' at position 0"},
		{"\xff", "Token error: Unexpected character '\\xFF' at position 0"},
		/* truncated */
		{"ab\xc3", "Token error: Unexpected character '\\xC3' at position 2"},
		{"\xe2\x82", "Token error: Unexpected character '\\xE2' at position 0"},
		{"\xe2\x82z", "Token error: Unexpected character '\\xE2' at position 0"},
		{"\xf0\x9f\x98", "Token error: Unexpected character '\\xF0' at position 0"},
		{"\xf0\x9f\x98 ", "Token error: Unexpected character '\\xF0' at position 0"},
		{"\xc3 \xa9", "Token error: Unexpected character '\\xC3' at position 0"},
		{"\xc3\xa9\xa9", "Token error: Unexpected character '\\xA9' at position 2"},
		{"insert 1 bob\xc3", "Token error: Unexpected character '\\xC3' at position 12"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_error(cases[i].line, ROWFS_TOKEN, cases[i].msg);
}
END_TEST

/* Reference: length of the well-formed UTF-8 sequence at p (n bytes), or 0. */
static size_t ref_utf8_len(const unsigned char *p, size_t n)
{
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	uint32_t cp;
	size_t need, i;

	if ((p[0] & 0xE0) == 0xC0) {
		need = 2;
		cp = p[0] & 0x1Fu;
	} else if ((p[0] & 0xF0) == 0xE0) {
		need = 3;
		cp = p[0] & 0x0Fu;
	} else if ((p[0] & 0xF8) == 0xF0) {
		need = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3Fu);
	}
	if (cp < min[need] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return need;
}

/* Reference position of the first bad byte of p[0..n) (bytes >= 0x80 or 'a'), or n. */
static size_t ref_first_error(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k;

		if (p[i] == 'a') {
			i++;
			continue;
		}
		k = ref_utf8_len(p + i, n - i);
		if (k == 0)
			return i;
		i += k;
	}
	return n;
}

/*
 * Compare tok_line with the reference on p[0..n).  Plain ifs: check's
 * ck_assert records every call, far too slow for millions of cases.
 */
static void compare_reference(const unsigned char *p, size_t n)
{
	struct token tokens[TOK_MAX];
	struct rowfs_err err;
	size_t count, bad = ref_first_error(p, n);
	int rc = tok_line((const char *)p, n, tokens, TOK_MAX, &count, &err);
	char want[64];

	if (bad == n) {
		if (rc != ROWFS_OK || tokens[0].len != n)
			ck_abort_msg("%02x %02x %02x %02x (n %zu) rejected: %s", p[0],
				     n > 1 ? p[1] : 0, n > 2 ? p[2] : 0, n > 3 ? p[3] : 0, n, err.msg);
		return;
	}
	if (rc != ROWFS_TOKEN)
		ck_abort_msg("%02x %02x %02x %02x (n %zu) accepted", p[0], n > 1 ? p[1] : 0,
			     n > 2 ? p[2] : 0, n > 3 ? p[3] : 0, n);
	snprintf(want, sizeof(want), "Unexpected character '\\x%02X' at position %zu",
		 (unsigned)p[bad], bad);
	if (!strstr(err.msg, want))
		ck_abort_msg("got '%s', want '%s'", err.msg, want);
}

START_TEST(test_utf8_exhaustive)
{
	unsigned char alphabet[129];
	unsigned char buf[4];
	size_t na = 0;
	unsigned a, b, c, d;

	for (a = 0x80; a <= 0xFF; a++)
		alphabet[na++] = (unsigned char)a;
	alphabet[na++] = 'a';

	/* Every 1-, 2- and 3-byte string over {0x80..0xFF, 'a'}. */
	for (a = 0; a < na; a++) {
		buf[0] = alphabet[a];
		compare_reference(buf, 1);
		for (b = 0; b < na; b++) {
			buf[1] = alphabet[b];
			compare_reference(buf, 2);
			for (c = 0; c < na; c++) {
				buf[2] = alphabet[c];
				compare_reference(buf, 3);
			}
		}
	}
	/* Every 4-byte string led by 0xF0..0xF7 over {0x80..0xBF, 0xC3, 'a'}. */
	for (a = 0xF0; a <= 0xF7; a++) {
		buf[0] = (unsigned char)a;
		for (b = 0x7F; b <= 0xC0; b++) {
			buf[1] = b == 0x7F ? 'a' : b == 0xC0 ? 0xC3 : (unsigned char)b;
			for (c = 0x7F; c <= 0xC0; c++) {
				buf[2] = c == 0x7F ? 'a' : c == 0xC0 ? 0xC3 : (unsigned char)c;
				for (d = 0x7F; d <= 0xC0; d++) {
					buf[3] = d == 0x7F ? 'a' : d == 0xC0 ? 0xC3 : (unsigned char)d;
					compare_reference(buf, 4);
				}
			}
		}
	}
}
END_TEST

/* ---- Part 2: where a statement ends, the seed lexer's classes, the SQL lexer ---- */

/* The seed lexer's byte classes are row.c's name characters, byte for byte. */
START_TEST(test_seed_bytes_are_name_bytes)
{
	unsigned c;

	for (c = 1; c < 0x80; c++) {
		unsigned char line[3] = {'a', (unsigned char)c, 'b'};
		int accepted = row_name_char_len(line + 1, 1) == 1;

		if (c == ' ' || c == '\t')
			continue;   /* separators */
		ck_assert_msg(one_word((const char *)line, 3) == accepted, "byte 0x%02X", c);
	}
}
END_TEST

START_TEST(test_statement_end)
{
	static const struct {
		const char *line;
		size_t end;
	} cases[] = {
		{"", 0},
		{"insert 1 a", 10},
		{"insert 1 a--b", 13},
		{"insert 1 a --b", 11},
		{"insert 1 a\t--b", 11},
		{"--", 0},
		{"-- x", 0},
		{" --", 1},
		{"-", 1},
		{"a-- --b", 4},
		{"insert 1 a;", 10},
		{"insert 1 a ; ", 11},
		{"insert 1 a ; -- c", 11},
		{"insert 1 a;;", 11},
		{"insert 1 a;--b", 14},
		{"a; b", 4},
		{";", 0},
		{"select 'a;'", 11},
		{"select 'a';", 10},
		{"select 'a -- b'", 15},
		{"select 'it''s -- x' -- y", 20},
		{"select E'\\' -- x' -- y", 18},
		{"select e'\\\\' -- x", 13},
		{"select xe'\\' -- x'", 13},      /* "xe" is a word: no E prefix */
		{"select 1e'\\' -- x'", 13},      /* "1e": no E prefix */
		{"select _E'\\' -- x'", 13},
		{"select (E'\\' -- x') -- y", 20},
		{"select x'00' -- y", 13},
		{"select 'open -- x;", 18},       /* an open literal runs to the end */
		{"select 'open;", 13},
		{"select E'\\", 10},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].line);
		char *buf = tu_memdup(cases[i].line, len);
		size_t end = tok_statement_end(buf, len);

		free(buf);
		ck_assert_msg(end == cases[i].end, "'%s': end %zu, want %zu", cases[i].line, end,
			      cases[i].end);
	}
}
END_TEST

/*
 * tok_statement == tok_line over [0, tok_statement_end): the same verdict,
 * message, end and tokens, for random lines with comments, ';' and quotes.
 */
START_TEST(test_statement_matches_parts)
{
	static const char *const pieces[] = {
		"insert", " ", "\t", "1", "a", "--", "-", ";", "'", "@", "\xc3\xa9", "\xc3", "x",
		"-1", ".", "E", "''",
	};
	uint64_t state = 42;
	unsigned iter;

	for (iter = 0; iter < 300000; iter++) {
		char line[96];
		size_t len = 0, parts = tu_next_random(&state) % 12, i;
		struct token t1[TOK_MAX], t2[TOK_MAX];
		struct rowfs_err e1, e2;
		size_t n1, n2, end1 = 0, end2;
		char *buf;
		int rc1, rc2;

		for (i = 0; i < parts; i++) {
			const char *p = pieces[tu_next_random(&state) % (sizeof(pieces) / sizeof(pieces[0]))];

			memcpy(line + len, p, strlen(p));
			len += strlen(p);
		}
		buf = tu_memdup(line, len);
		memset(&e1, 0, sizeof(e1));
		memset(&e2, 0, sizeof(e2));
		rc1 = tok_statement(buf, len, t1, TOK_MAX, &n1, &end1, &e1);
		end2 = tok_statement_end(buf, len);
		rc2 = tok_line(buf, end2, t2, TOK_MAX, &n2, &e2);
		if (rc1 != rc2 || strcmp(e1.msg, e2.msg) != 0)
			ck_abort_msg("'%.*s': rc %d '%s' vs %d '%s'", (int)len, line, rc1, e1.msg, rc2,
				     e2.msg);
		if (rc1 == ROWFS_OK) {
			if (end1 != end2 || n1 != n2)
				ck_abort_msg("'%.*s': end %zu/%zu, %zu/%zu tokens", (int)len, line, end1,
					     end2, n1, n2);
			for (i = 0; i < n1; i++)
				if (t1[i].type != t2[i].type || t1[i].pos != t2[i].pos ||
				    t1[i].len != t2[i].len)
					ck_abort_msg("'%.*s': token %zu", (int)len, line, i);
		}
		free(buf);
	}
}
END_TEST

/* Expected SQL token: type, position, length, keyword. */
struct sql_want {
	enum tok_sql_type type;
	size_t pos;
	size_t len;
	enum tok_keyword kw;
};

static void check_sql_tokens(const char *line, const struct sql_want *want, size_t n)
{
	size_t len = strlen(line), i;
	char *buf = tu_memdup(line, len);
	struct tok_lexer lx;
	struct tok_sql tok;
	struct rowfs_err err;

	ck_assert_int_eq(tok_sql_check(buf, 0, len, &err), ROWFS_OK);
	tok_lexer_init(&lx, buf, 0, len);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(tok_sql_next(&lx, &tok, &err), ROWFS_OK);
		ck_assert_msg(tok.type == want[i].type && tok.pos == want[i].pos &&
				      tok.len == want[i].len && tok.keyword == want[i].kw,
			      "'%s' token %zu: type %d pos %zu len %zu kw %d", line, i, (int)tok.type,
			      tok.pos, tok.len, (int)tok.keyword);
		ck_assert_ptr_eq(tok.text, buf + want[i].pos);
	}
	/* EOF again and again */
	ck_assert_int_eq(tok_sql_next(&lx, &tok, &err), ROWFS_OK);
	ck_assert_int_eq(tok.type, SQL_EOF);
	free(buf);
}

START_TEST(test_sql_tokens)
{
	const struct sql_want w1[] = {
		{SQL_WORD, 0, 6, KW_SELECT}, {SQL_PUNCT, 6, 1, KW_NONE}, {SQL_WORD, 7, 4, KW_FROM},
		{SQL_WORD, 12, 3, KW_NONE}, {SQL_WORD, 16, 5, KW_WHERE}, {SQL_WORD, 22, 1, KW_NONE},
		{SQL_PUNCT, 23, 2, KW_NONE}, {SQL_INTEGER, 25, 2, KW_NONE}, {SQL_EOF, 27, 0, KW_NONE},
	};
	const struct sql_want w2[] = {
		{SQL_PUNCT, 0, 1, KW_NONE}, {SQL_TEXT, 1, 7, KW_NONE}, {SQL_PUNCT, 8, 1, KW_NONE},
		{SQL_TEXT, 9, 5, KW_NONE}, {SQL_BLOB, 14, 5, KW_NONE}, {SQL_REAL, 19, 4, KW_NONE},
		{SQL_REAL, 24, 2, KW_NONE}, {SQL_PUNCT, 26, 1, KW_NONE}, {SQL_EOF, 27, 0, KW_NONE},
	};
	const struct sql_want w3[] = {
		{SQL_PUNCT, 1, 1, KW_NONE}, {SQL_PUNCT, 2, 2, KW_NONE}, {SQL_PUNCT, 4, 2, KW_NONE},
		{SQL_PUNCT, 6, 2, KW_NONE}, {SQL_PUNCT, 8, 2, KW_NONE}, {SQL_PUNCT, 10, 1, KW_NONE},
		{SQL_PUNCT, 11, 1, KW_NONE}, {SQL_EOF, 14, 0, KW_NONE},
	};

	check_sql_tokens("select*from Tab where a<=-5", w1, 9);
	check_sql_tokens("('it''s',E'\\n'x'00'-1e3 .5)", w2, 9);
	check_sql_tokens("\t=!=<><=<>=>  ", w3, 8);
}
END_TEST

START_TEST(test_sql_token_names)
{
	static const struct {
		const char *line;
		const char *name;
	} cases[] = {
		{"", "EOF"}, {"  ", "EOF"}, {"12", "INTEGER"}, {"-3", "INTEGER"}, {"1.5", "REAL"},
		{"1e3", "REAL"}, {"'x'", "TEXT"}, {"E'x'", "TEXT"}, {"x'00'", "BLOB"},
		{"abc", "NAME"}, {"x", "NAME"}, {"E", "NAME"}, {"from", "FROM"}, {"NuLL", "NULL"},
		{"Between", "BETWEEN"}, {"(", "'('"}, {"<=", "'<='"}, {"<>", "'<>'"}, {"*", "'*'"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].line);
		char *buf = tu_memdup(cases[i].line, len);
		struct tok_lexer lx;
		struct tok_sql tok;
		struct rowfs_err err;
		char name[16];

		tok_lexer_init(&lx, buf, 0, len);
		ck_assert_int_eq(tok_sql_next(&lx, &tok, &err), ROWFS_OK);
		ck_assert_str_eq(tok_sql_name(&tok, name), cases[i].name);
		free(buf);
	}
}
END_TEST

START_TEST(test_keywords)
{
	static const char *const all[] = {
		"and", "asc", "between", "blob", "by", "count", "create", "default", "delete",
		"desc", "drop", "exists", "from", "if", "index", "insert", "integer", "into",
		"is", "key", "limit", "not", "null", "offset", "on", "order", "primary", "real",
		"select", "set", "table", "text", "unique", "update", "values", "where",
	};
	size_t i, j;

	ck_assert_uint_eq(sizeof(all) / sizeof(all[0]), KW_WHERE);
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		char upper[16];
		enum tok_keyword kw = tok_keyword_of(all[i], strlen(all[i]));

		ck_assert_int_eq(kw, (enum tok_keyword)(i + 1));
		for (j = 0; all[i][j]; j++)
			upper[j] = (char)(all[i][j] - 'a' + 'A');
		upper[j] = '\0';
		ck_assert_str_eq(tok_keyword_text(kw), upper);
		ck_assert_int_eq(tok_keyword_of(upper, j), kw);
		/* a prefix or a longer word is no keyword */
		ck_assert_int_eq(tok_keyword_of(all[i], j - 1), KW_NONE);
		upper[j] = 'Q';
		ck_assert_int_eq(tok_keyword_of(upper, j + 1), KW_NONE);
	}
	ck_assert_int_eq(tok_keyword_of("users", 5), KW_NONE);
	ck_assert_int_eq(tok_keyword_of("transaction", 11), KW_NONE);
	ck_assert_int_eq(tok_keyword_of("e", 1), KW_NONE);
	ck_assert_int_eq(tok_keyword_of("", 0), KW_NONE);
	ck_assert_str_eq(tok_keyword_text(KW_NONE), "");
}
END_TEST

START_TEST(test_literal_decode)
{
	static const struct {
		const char *line;
		const char *bytes;
		size_t len;
	} cases[] = {
		{"'abc'", "abc", 3},
		{"''", "", 0},
		{"'a''b'''", "a'b'", 4},
		{"'\\n'", "\\n", 2},
		{"E'\\n\\t\\r\\\\\\''", "\n\t\r\\'", 5},
		{"e'x''y'", "x'y", 3},
		{"'\xe2\x82\xac'", "\xe2\x82\xac", 3},
		{"x'00fF7a'", "\x00\xff\x7a", 3},
		{"X''", "", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].line);
		char *buf = tu_memdup(cases[i].line, len);
		uint8_t out[32];
		struct tok_lexer lx;
		struct tok_sql tok;
		struct rowfs_err err;

		tok_lexer_init(&lx, buf, 0, len);
		ck_assert_int_eq(tok_sql_next(&lx, &tok, &err), ROWFS_OK);
		ck_assert_uint_eq(tok.len, len);
		ck_assert_uint_eq(tok.value_len, cases[i].len);
		ck_assert_uint_eq(tok_literal_decode(&tok, out), cases[i].len);
		ck_assert(memcmp(out, cases[i].bytes, cases[i].len) == 0);
		free(buf);
	}
}
END_TEST

/* ---- the SQL lexer's fast paths against references -------------------- */

/* The keyword of word w by a linear look at every keyword's text (reference). */
static enum tok_keyword ref_keyword(const char *w, size_t len)
{
	int kw;
	size_t i;

	for (kw = 1; kw <= KW_WHERE; kw++) {
		const char *t = tok_keyword_text((enum tok_keyword)kw);

		if (strlen(t) != len)
			continue;
		for (i = 0; i < len; i++) {
			char c = w[i];

			if ((c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c) != t[i])
				break;
		}
		if (i == len)
			return (enum tok_keyword)kw;
	}
	return KW_NONE;
}

/* Every keyword in both cases, its prefixes and extensions, random words: as the reference. */
START_TEST(test_keywords_fast)
{
	static const char alpha[] = "abcdeEfiklnorstuvwxyY_1";
	unsigned seed = (unsigned)tu_seed("ROWFS_SEED", 1);
	char w[12];
	unsigned n;
	int kw;

	for (kw = 1; kw <= KW_WHERE; kw++) {
		const char *t = tok_keyword_text((enum tok_keyword)kw);
		size_t len = strlen(t), i;

		ck_assert_int_eq(tok_keyword_of(t, len), kw);
		for (i = 0; i < len; i++)
			w[i] = (char)(t[i] - 'A' + 'a');
		ck_assert_int_eq(tok_keyword_of(w, len), kw);
		for (i = 1; i < len; i++)
			ck_assert_int_eq(tok_keyword_of(w, i), ref_keyword(w, i));
		w[len] = 's';
		ck_assert_int_eq(tok_keyword_of(w, len + 1), ref_keyword(w, len + 1));
	}
	for (n = 0; n < 200000; n++) {
		size_t len = 1 + (size_t)rand_r(&seed) % 8, i;

		for (i = 0; i < len; i++)
			w[i] = alpha[(size_t)rand_r(&seed) % (sizeof(alpha) - 1)];
		ck_assert_int_eq(tok_keyword_of(w, len), ref_keyword(w, len));
	}
}
END_TEST

/* Lex line[0..len) (exact-size heap copy in *copy) as one SQL token that must lex. */
static void lex_one(const char *line, size_t len, struct tok_sql *tok, char **copy)
{
	struct tok_lexer lx;
	struct rowfs_err err;

	*copy = tu_memdup(line, len);
	tok_lexer_init(&lx, *copy, 0, len);
	ck_assert_msg(tok_sql_next(&lx, tok, &err) == ROWFS_OK, "%.*s: %s", (int)len, line, err.msg);
	ck_assert_uint_eq(tok->len, len);
}

/* Reals of 1..18 digits (the fast path takes up to 15): bit for bit what strtod gives. */
START_TEST(test_sql_reals)
{
	static const char *const fixed[] = {
		"0.1", "-0.0", ".5", "-.5", "1.", "0.30000000000000004", "123456789012345.6",
		"1234567890123456.7", "999999999999999.9", "99999999999999.99", "000000000000001.5",
		"4503599627370497.5", "9007199254740993.0", "2.2250738585072014e-308", "1e23",
	};
	const unsigned nfixed = sizeof(fixed) / sizeof(fixed[0]);
	unsigned seed = (unsigned)tu_seed("ROWFS_SEED", 1);
	char buf[48];
	unsigned n;

	for (n = 0; n < 200000 + nfixed; n++) {
		struct tok_sql tok;
		double want;
		char *copy;

		if (n < nfixed) {
			snprintf(buf, sizeof(buf), "%s", fixed[n]);
		} else {
			unsigned digits = 1 + (unsigned)rand_r(&seed) % 18, i;
			unsigned dot = (unsigned)rand_r(&seed) % (digits + 1);
			size_t k = 0;

			if (rand_r(&seed) % 2)
				buf[k++] = '-';
			for (i = 0; i < digits; i++) {
				if (i == dot)
					buf[k++] = '.';
				buf[k++] = (char)('0' + rand_r(&seed) % 10);
			}
			if (dot == digits)
				buf[k++] = '.';
			buf[k] = '\0';
		}
		want = strtod(buf, NULL);
		lex_one(buf, strlen(buf), &tok, &copy);
		ck_assert_int_eq(tok.type, SQL_REAL);
		ck_assert_msg(memcmp(&tok.r, &want, sizeof(want)) == 0, "%s: %a, strtod %a", buf,
			      tok.r, want);
		free(copy);
	}
}
END_TEST

/* Plain literals from random pieces: value_len and the decoded bytes. */
START_TEST(test_sql_texts)
{
	static const char *const piece[] = { "a", " ", "Z9", "''", "\xc3\xa9", "\\", "\t", "--", ";" };
	const size_t npiece = sizeof(piece) / sizeof(piece[0]);
	unsigned seed = (unsigned)tu_seed("ROWFS_SEED", 1);
	unsigned n;

	for (n = 0; n < 100000; n++) {
		char src[160], want[160], dst[160];
		size_t k = 0, w = 0, count = (size_t)rand_r(&seed) % 40, i, got;
		struct tok_sql tok;
		char *copy;

		src[k++] = '\'';
		for (i = 0; i < count; i++) {
			const char *p = piece[(size_t)rand_r(&seed) % npiece];
			size_t len = strlen(p);

			memcpy(src + k, p, len);
			k += len;
			if (strcmp(p, "''") == 0) {
				want[w++] = '\'';
			} else {
				memcpy(want + w, p, len);
				w += len;
			}
		}
		src[k++] = '\'';
		lex_one(src, k, &tok, &copy);
		ck_assert_int_eq(tok.type, SQL_TEXT);
		ck_assert_uint_eq(tok.value_len, w);
		got = tok_literal_decode(&tok, (uint8_t *)dst);
		ck_assert_uint_eq(got, w);
		ck_assert(memcmp(dst, want, w) == 0);
		free(copy);
	}
}
END_TEST

/* tok_statement_end as first written, one byte at a time (reference). */
static size_t ref_statement_end(const char *line, size_t len)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t end = len, i;
	int open = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (open) {
			if (c == '\\' && open == 2) {
				i++;
			} else if (c == '\'') {
				if (i + 1 < len && p[i + 1] == '\'')
					i++;
				else
					open = 0;
			}
			continue;
		}
		if (c == '\'') {
			int word = i >= 2 && ((p[i - 2] >= 'a' && p[i - 2] <= 'z') ||
					      (p[i - 2] >= 'A' && p[i - 2] <= 'Z') ||
					      (p[i - 2] >= '0' && p[i - 2] <= '9') || p[i - 2] == '_');

			open = i >= 1 && (p[i - 1] == 'e' || p[i - 1] == 'E') && !word ? 2 : 1;
		} else if (c == '-' && i + 1 < len && p[i + 1] == '-' &&
			   (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t')) {
			end = i;
			break;
		}
	}
	if (open)
		return len;
	i = end;
	while (i > 0 && (p[i - 1] == ' ' || p[i - 1] == '\t'))
		i--;
	if (i > 0 && p[i - 1] == ';')
		return i - 1;
	return end;
}

/* Random lines of quotes, dashes, semicolons, blanks and prefixes: as the reference. */
START_TEST(test_statement_end_fast)
{
	static const char alpha[] = "''''--;;  \teEx\\\\a_";
	unsigned seed = (unsigned)tu_seed("ROWFS_SEED", 1);
	char line[24];
	unsigned n;

	for (n = 0; n < 500000; n++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(line), i;
		char *copy;

		for (i = 0; i < len; i++)
			line[i] = alpha[(size_t)rand_r(&seed) % (sizeof(alpha) - 1)];
		copy = tu_memdup(line, len);
		ck_assert_msg(tok_statement_end(copy, len) == ref_statement_end(line, len), "%.*s",
			      (int)len, line);
		free(copy);
	}
}
END_TEST


static Suite *tokenizer_suite(void)
{
	Suite *s = suite_create("tokenizer");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_statement_tokens);
	tcase_add_test(tc, test_blank_lines);
	tcase_add_test(tc, test_classes);
	tcase_add_test(tc, test_type_names);
	tcase_add_test(tc, test_token_errors);
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_max_tokens);
	tcase_add_test(tc, test_utf8_valid);
	tcase_add_test(tc, test_utf8_invalid);
	tcase_add_test(tc, test_utf8_exhaustive);
	tcase_add_test(tc, test_seed_bytes_are_name_bytes);
	tcase_add_test(tc, test_statement_end);
	tcase_add_test(tc, test_statement_matches_parts);
	tcase_add_test(tc, test_sql_tokens);
	tcase_add_test(tc, test_sql_token_names);
	tcase_add_test(tc, test_keywords);
	tcase_add_test(tc, test_literal_decode);
	tcase_add_test(tc, test_keywords_fast);
	tcase_add_test(tc, test_sql_reals);
	tcase_add_test(tc, test_sql_texts);
	tcase_add_test(tc, test_statement_end_fast);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_tokenizer", tokenizer_suite());
}
