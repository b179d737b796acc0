/*
 * outfmt.c - the typed renderings of select results (outfmt.h).
 *
 *   csv   a header of the column names, then one line a row, RFC 4180: a
 *         text holding , " CR or LF, or empty, is quoted (quotes doubled);
 *         NULL is an empty unquoted field; a blob \x + hex; LF line ends.
 *   json  an array of objects keyed by column name, as sqlite3's json
 *         mode ("[{...},\n{...}]"), "[]" without rows; NULL null, numbers
 *         as numbers, a blob the string "\\x" + hex as rows.ndjson writes
 *         it; texts escaped so the output is valid JSON whatever is stored.
 *   box   sqlite3's box drawing: headers centered, values left-aligned,
 *         as list mode prints them (NULL, x'..'); column widths are
 *         display widths (outfmt_text_width: wcwidth(3)), so a column of
 *         CJK text or combining accents stays aligned.  Control bytes
 *         and invalid UTF-8 show as U+FFFD, so the box stays whole.
 *   line  sqlite3's line mode: one "name = value" line per column, names
 *         right-aligned to the widest (at least 5 columns), values as list
 *         mode prints them, a blank line between rows; nothing without rows.
 * Reals print as the engine prints them (rowfs_format_real).
 */
#include <config.h>
#include "outfmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

const char *const outfmt_names[] = { "list", "csv", "json", "box", "line" };

/* Line mode pads names to at least this many columns, as sqlite3 does. */
#define LINE_NAME_MIN 5u

int outbuf_add(struct outbuf *out, const char *text, size_t len)
{
	if (len > SIZE_MAX - out->len ||
	    rowfs_buf_grow(&out->data, &out->cap, out->len + len, 4096, SIZE_MAX) != 0)
		return -1;
	if (len)
		memcpy(out->data + out->len, text, len);
	out->len += len;
	return 0;
}

void outbuf_release(struct outbuf *out)
{
	free(out->data);
	out->data = NULL;
	out->len = out->cap = 0;
}

int outbuf_emit(void *ctx, const char *text, size_t len)
{
	return outbuf_add(ctx, text, len) == 0 ? 0 : 1;
}

int outfmt_lookup(const char *word, size_t len)
{
	unsigned m;
	size_t i;

	for (m = 0; m < OUTFMT_COUNT; m++) {
		const char *name = outfmt_names[m];

		if (strlen(name) != len)
			continue;
		for (i = 0; i < len; i++) {
			char c = word[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != name[i])
				break;
		}
		if (i == len)
			return (int)m;
	}
	return -1;
}

size_t outfmt_text_width(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, width = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = rowfs_utf8_sequence_len(p + i, len - i, &cp);
		int w;

		if (n == 0) {
			width++;
			i++;
			continue;
		}
		w = wcwidth((wchar_t)cp);
		width += w < 0 ? 1u : (size_t)w;
		i += n;
	}
	return width;
}

/* ---- text into the output ------------------------------------------------ */

static void fmt_add(struct outfmt *f, const char *text, size_t len)
{
	if (!f->failed && outbuf_add(f->out, text, len) != 0)
		f->failed = 1;
}

static void fmt_str(struct outfmt *f, const char *text)
{
	fmt_add(f, text, strlen(text));
}

/* Append to a buffer of f's (out or cells), noting a failure. */
static void keep_add(struct outfmt *f, struct outbuf *to, const char *text, size_t len)
{
	if (!f->failed && outbuf_add(to, text, len) != 0)
		f->failed = 1;
}

/* A text field in CSV: quoted (quotes doubled) when it holds , " CR or LF, or is empty. */
static void csv_field(struct outfmt *f, const char *text, size_t len)
{
	size_t i, start = 0;
	int quote = len == 0;

	for (i = 0; i < len; i++)
		if (text[i] == ',' || text[i] == '"' || text[i] == '\r' || text[i] == '\n')
			quote = 1;
	if (!quote) {
		fmt_add(f, text, len);
		return;
	}
	fmt_add(f, "\"", 1);
	for (i = 0; i < len; i++) {
		if (text[i] == '"') {
			fmt_add(f, text + start, i + 1 - start);   /* through the quote */
			fmt_add(f, "\"", 1);                        /* doubled */
			start = i + 1;
		}
	}
	fmt_add(f, text + start, len - start);
	fmt_add(f, "\"", 1);
}

/*
 * A JSON string: '"' and '\' escaped, bytes below 0x20 and 0x7F as \u00XX,
 * valid UTF-8 as it is, a byte that is not valid UTF-8 (the engine never
 * stores one: a damaged file) as \ufffd.
 */
static void json_string(struct outfmt *f, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, start = 0;
	char esc[8];

	fmt_add(f, "\"", 1);
	while (i < len) {
		uint32_t cp;
		size_t n = rowfs_utf8_sequence_len(p + i, len - i, &cp);

		if (n > 1 || (n == 1 && cp >= 0x20 && cp != '"' && cp != '\\' && cp != 0x7F)) {
			i += n;
			continue;
		}
		fmt_add(f, text + start, i - start);
		if (n == 0)
			snprintf(esc, sizeof(esc), "\\ufffd");
		else if (cp == '"' || cp == '\\')
			snprintf(esc, sizeof(esc), "\\%c", (char)cp);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
		fmt_str(f, esc);
		start = ++i;
	}
	fmt_add(f, text + start, len - start);
	fmt_add(f, "\"", 1);
}

/* The decimal text of an integer or real value into buf (40 bytes); its length. */
static size_t number_text(const struct rowfs_value *v, char *buf)
{
	if (v->type == ROWFS_TYPE_REAL)
		return rowfs_format_real(v->r, buf);
	return (size_t)snprintf(buf, 40, "%" PRId64, v->i);
}

/* Append prefix, the lower-case hex of a blob's bytes, then suffix, to `to`. */
static void hex_text(struct outfmt *f, const char *prefix, const struct rowfs_value *v,
		     const char *suffix, struct outbuf *to)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = v->p;
	char pair[2];
	size_t i;

	keep_add(f, to, prefix, strlen(prefix));
	for (i = 0; i < v->len && !f->failed; i++) {
		pair[0] = hex[p[i] >> 4];
		pair[1] = hex[p[i] & 15];
		keep_add(f, to, pair, 2);
	}
	keep_add(f, to, suffix, strlen(suffix));
}

/* One value as list mode prints it (NULL, numbers, text raw, x'..'), into `to`. */
static void list_value(struct outfmt *f, const struct rowfs_value *v, struct outbuf *to)
{
	char num[40];

	switch (v->type) {
	case ROWFS_TYPE_NULL:
		keep_add(f, to, "NULL", 4);
		break;
	case ROWFS_TYPE_TEXT:
		keep_add(f, to, v->p, v->len);
		break;
	case ROWFS_TYPE_BLOB:
		hex_text(f, "x'", v, "'", to);
		break;
	default:
		keep_add(f, to, num, number_text(v, num));
		break;
	}
}

/* One value as a CSV field: NULL empty, numbers, text per csv_field, blob \x + hex. */
static void csv_value(struct outfmt *f, const struct rowfs_value *v)
{
	char num[40];

	switch (v->type) {
	case ROWFS_TYPE_NULL:
		break;
	case ROWFS_TYPE_TEXT:
		csv_field(f, v->p, v->len);
		break;
	case ROWFS_TYPE_BLOB:
		hex_text(f, "\\x", v, "", f->out);
		break;
	default:
		fmt_add(f, num, number_text(v, num));
		break;
	}
}

/* One value in JSON: null, numbers, text as a string, blob as the string "\x" + hex. */
static void json_value(struct outfmt *f, const struct rowfs_value *v)
{
	char num[40];

	switch (v->type) {
	case ROWFS_TYPE_NULL:
		fmt_str(f, "null");
		break;
	case ROWFS_TYPE_TEXT:
		json_string(f, v->p, v->len);
		break;
	case ROWFS_TYPE_BLOB:
		hex_text(f, "\"\\\\x", v, "\"", f->out);
		break;
	default:
		fmt_add(f, num, number_text(v, num));
		break;
	}
}

/* One value as a box cell, kept until the widths are known. */
static void box_keep(struct outfmt *f, const struct rowfs_value *v)
{
	if (f->cell_count == f->cell_cap) {
		size_t cap = f->cell_cap ? f->cell_cap * 2 : 256;
		size_t *ends = realloc(f->cell_end, cap * sizeof(*ends));

		if (!ends) {
			f->failed = 1;
			return;
		}
		f->cell_end = ends;
		f->cell_cap = cap;
	}
	list_value(f, v, &f->cells);
	f->cell_end[f->cell_count++] = f->cells.len;
}

/* Line mode: one "name = value" line, the name right-aligned. */
static void line_value(struct outfmt *f, unsigned col, const struct rowfs_value *v)
{
	const char *name = f->names[col];
	size_t len = strlen(name), width = outfmt_text_width(name, len), i;

	for (i = width; i < f->name_width; i++)
		fmt_add(f, " ", 1);
	fmt_add(f, name, len);
	fmt_add(f, " = ", 3);
	list_value(f, v, f->out);
	fmt_add(f, "\n", 1);
}

/* rowfs_sink.columns: a result begins; csv's header, the names kept. */
static int on_columns(void *ctx, const char *const *names, unsigned n)
{
	struct outfmt *f = ctx;
	unsigned i;

	f->names = calloc(n ? n : 1, sizeof(*f->names));
	if (!f->names)
		return 1;
	f->ncols = n;
	f->started = 1;
	f->name_width = LINE_NAME_MIN;
	for (i = 0; i < n; i++) {
		size_t len = strlen(names[i]), width = outfmt_text_width(names[i], len);

		f->names[i] = strdup(names[i]);
		if (!f->names[i])
			return 1;
		if (width > f->name_width)
			f->name_width = width;
		if (f->mode == OUTFMT_CSV) {
			if (i)
				fmt_add(f, ",", 1);
			csv_field(f, names[i], len);
		}
	}
	if (f->mode == OUTFMT_CSV)
		fmt_add(f, "\n", 1);
	return f->failed;
}

/* rowfs_sink.row: csv, json and line straight into the output, box kept. */
static int on_row(void *ctx, const struct rowfs_value *vals, unsigned n)
{
	struct outfmt *f = ctx;
	unsigned i;

	if (f->mode == OUTFMT_LINE && f->rows > 0)
		fmt_add(f, "\n", 1);
	for (i = 0; i < n && i < f->ncols; i++) {
		switch (f->mode) {
		case OUTFMT_BOX:
			box_keep(f, &vals[i]);
			break;
		case OUTFMT_CSV:
			if (i)
				fmt_add(f, ",", 1);
			csv_value(f, &vals[i]);
			break;
		case OUTFMT_LINE:
			line_value(f, i, &vals[i]);
			break;
		default:
			fmt_str(f, i ? "," : f->rows == 0 ? "[{" : ",\n{");
			json_string(f, f->names[i], strlen(f->names[i]));
			fmt_add(f, ":", 1);
			json_value(f, &vals[i]);
			break;
		}
	}
	if (f->mode == OUTFMT_CSV)
		fmt_add(f, "\n", 1);
	else if (f->mode == OUTFMT_JSON)
		fmt_add(f, n ? "}" : "{}", n ? 1 : 2);
	f->rows++;
	return f->failed;
}

/* ---- box ------------------------------------------------------------------ */

/* Box-drawing characters (UTF-8). */
#define BOX_H  "\xe2\x94\x80"   /* U+2500 ─ */
#define BOX_V  "\xe2\x94\x82"   /* U+2502 │ */
#define BOX_TL "\xe2\x94\x8c"   /* U+250C ┌ */
#define BOX_TR "\xe2\x94\x90"   /* U+2510 ┐ */
#define BOX_BL "\xe2\x94\x94"   /* U+2514 └ */
#define BOX_BR "\xe2\x94\x98"   /* U+2518 ┘ */
#define BOX_LT "\xe2\x94\x9c"   /* U+251C ├ */
#define BOX_RT "\xe2\x94\xa4"   /* U+2524 ┤ */
#define BOX_TT "\xe2\x94\xac"   /* U+252C ┬ */
#define BOX_BT "\xe2\x94\xb4"   /* U+2534 ┴ */
#define BOX_X  "\xe2\x94\xbc"   /* U+253C ┼ */
#define REPLACEMENT "\xef\xbf\xbd"   /* U+FFFD */

/* A rule: left, then per column width + 2 times '─', separated by mid, then right. */
static void box_rule(struct outfmt *f, const char *left, const char *mid, const char *right,
		     const size_t *widths)
{
	size_t c, i;

	fmt_str(f, left);
	for (c = 0; c < f->ncols; c++) {
		if (c > 0)
			fmt_str(f, mid);
		for (i = 0; i < widths[c] + 2; i++)
			fmt_str(f, BOX_H);
	}
	fmt_str(f, right);
	fmt_add(f, "\n", 1);
}

/*
 * Text inside a box: valid UTF-8 as it is, but a control character or a
 * byte that is not valid UTF-8 as U+FFFD, one column wide as
 * outfmt_text_width() counted it.
 */
static void box_text(struct outfmt *f, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, start = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = rowfs_utf8_sequence_len(p + i, len - i, &cp);

		if (n > 1 || (n == 1 && cp >= 0x20 && cp != 0x7F)) {
			i += n;
			continue;
		}
		fmt_add(f, text + start, i - start);
		fmt_str(f, REPLACEMENT);
		start = ++i;
	}
	fmt_add(f, text + start, len - start);
}

/* One cell: text of display width `width`, padded to the column's width col. */
static void box_cell(struct outfmt *f, const char *text, size_t len, size_t width, size_t col,
		     int centered)
{
	size_t pad = col - width, left = centered ? pad / 2 : 0, i;

	fmt_str(f, BOX_V " ");
	for (i = 0; i < left; i++)
		fmt_add(f, " ", 1);
	box_text(f, text, len);
	for (i = left; i < pad; i++)
		fmt_add(f, " ", 1);
	fmt_add(f, " ", 1);
}

/* Start offset in f->cells of cell k. */
static size_t cell_start(const struct outfmt *f, size_t k)
{
	return k ? f->cell_end[k - 1] : 0;
}

/* The kept rows as a box. */
static void box_render(struct outfmt *f)
{
	size_t *widths = calloc(f->ncols ? f->ncols : 1, sizeof(*widths));
	size_t k, c;

	if (!widths) {
		f->failed = 1;
		return;
	}
	for (c = 0; c < f->ncols; c++)
		widths[c] = outfmt_text_width(f->names[c], strlen(f->names[c]));
	for (k = 0; k < f->cell_count; k++) {
		size_t w = outfmt_text_width(f->cells.data + cell_start(f, k),
					     f->cell_end[k] - cell_start(f, k));

		if (w > widths[k % f->ncols])
			widths[k % f->ncols] = w;
	}
	box_rule(f, BOX_TL, BOX_TT, BOX_TR, widths);
	for (c = 0; c < f->ncols; c++) {
		size_t len = strlen(f->names[c]);

		box_cell(f, f->names[c], len, outfmt_text_width(f->names[c], len), widths[c], 1);
	}
	fmt_str(f, BOX_V "\n");
	if (f->cell_count > 0)
		box_rule(f, BOX_LT, BOX_X, BOX_RT, widths);
	for (k = 0; k < f->cell_count; k++) {
		const char *text = f->cells.data + cell_start(f, k);
		size_t len = f->cell_end[k] - cell_start(f, k);

		box_cell(f, text, len, outfmt_text_width(text, len), widths[k % f->ncols], 0);
		if (k % f->ncols == f->ncols - 1)
			fmt_str(f, BOX_V "\n");
	}
	box_rule(f, BOX_BL, BOX_BT, BOX_BR, widths);
	free(widths);
}

/* ---- the result's life ---------------------------------------------------- */

void outfmt_init(struct outfmt *f, enum outfmt_mode mode, struct outbuf *out)
{
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->out = out;
}

void outfmt_sink(struct outfmt *f, struct rowfs_sink *sink)
{
	sink->columns = on_columns;
	sink->row = on_row;
	sink->ctx = f;
}

int outfmt_finish(struct outfmt *f)
{
	if (f->started) {
		if (f->mode == OUTFMT_JSON)
			fmt_str(f, f->rows ? "]\n" : "[]\n");
		else if (f->mode == OUTFMT_BOX && f->ncols > 0)
			box_render(f);
	}
	return f->failed ? -1 : 0;
}

void outfmt_release(struct outfmt *f)
{
	unsigned i;

	for (i = 0; f->names && i < f->ncols; i++)
		free(f->names[i]);
	free(f->names);
	outbuf_release(&f->cells);
	free(f->cell_end);
	memset(f, 0, sizeof(*f));
}
