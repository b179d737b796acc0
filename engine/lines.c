/*
 * lines.c - owns the lines of the renderings (rowfs.h's enum
 * rowfs_lines): a row as a line of `rows`, `rows.csv`, `rows.ndjson` and
 * `dump`, and the length of that line.  The mount writes its files with
 * these functions and the engine counts the bytes of those files with
 * them (rowfs_table_sizes), so a file's st_size and its content come from
 * one code.
 *
 * users' lines (Part 1's, byte for byte):
 *   rows        42<TAB>alice\n
 *   rows.csv    42,alice\n             (header id,username\n)
 *               A name is quoted when it holds ',', '"', CR or LF, or
 *               starts or ends with a space or tab (RFC 4180; quoting the
 *               blanks keeps them from being trimmed by lenient readers);
 *               '"' doubles inside quotes.  Lines end in LF, not RFC
 *               4180's CRLF: every CSV reader accepts LF, and line tools
 *               (wc, grep, awk) stay exact.
 *   rows.ndjson {"id":42,"username":"alice"}\n
 *               '"' and '\' are escaped, bytes below 0x20 and 0x7f become
 *               \u00XX; valid UTF-8 passes through byte for byte.  The
 *               engine only stores valid UTF-8; a byte that is not (a
 *               damaged file) becomes \ufffd, so every line is valid JSON
 *               whatever is stored.
 *   dump        insert 42 alice\n      (row.c's row_format_insert)
 * Usernames the engine accepts cannot hold most of these characters (see
 * rowsh(1)); the quoting is there so that the output stays valid whatever
 * a future lexer lets through.  The writers count instead of writing when
 * given no buffer: a line's length and its bytes come from one code.
 *
 * The other tables' lines are made of the text forms of their values
 * (textform.c): COPY fields and TABs, CSV fields and commas, {"col":JSON}
 * pairs, `insert into T values (` LITERALs joined by ", " `)`.  Their
 * sizes add up rowfs_value_text_size, so a long text is never written to
 * be measured.
 *
 * Nothing here allocates but rowfs_lines_init, and nothing uses printf.
 */
#include <config.h>
#include "lines.h"

#include <stdlib.h>
#include <string.h>

#include "row.h"
#include "util.h"

/* ---- users' lines ------------------------------------------------------- */

/*
 * Each writer below takes dst NULL to count only: the length of a line
 * and the line itself come from one code.
 */

/* Put n bytes of src at dst + at (dst NULL: count them); returns n. */
static size_t put(char *dst, size_t at, const void *src, size_t n)
{
	if (dst)
		memcpy(dst + at, src, n);
	return n;
}

/* v in decimal at dst + at (dst NULL: count); returns its length. */
static size_t put_id(char *dst, size_t at, uint32_t v)
{
	if (dst)
		return put_decimal(dst + at, v);
	return v < 10u ? 1 : v < 100u ? 2 : v < 1000u ? 3 : v < 10000u ? 4 : v < 100000u ? 5 :
	       v < 1000000u ? 6 : v < 10000000u ? 7 : v < 100000000u ? 8 :
	       v < 1000000000u ? 9 : 10;
}

/* Does a CSV field need quotes (Part 1's rule)? */
static int seed_csv_needs_quotes(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
		return 1;
	for (i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return 1;
	return 0;
}

/* The name as a CSV field at dst + at (at most 2 + 2 * len bytes); its length. */
static size_t seed_csv_field(char *dst, size_t at, const char *s, size_t len)
{
	size_t out = 0;
	size_t i;

	if (!seed_csv_needs_quotes(s, len))
		return put(dst, at, s, len);
	out += put(dst, at + out, "\"", 1);
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			out += put(dst, at + out, "\"", 1);
		out += put(dst, at + out, s + i, 1);
	}
	return out + put(dst, at + out, "\"", 1);
}

/* The name as the inside of a JSON string at dst + at (at most 6 * len bytes); its length. */
static size_t seed_json_string(char *dst, size_t at, const char *name, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)name;
	size_t out = 0;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;

		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};

			out += put(dst, at + out, esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			out += put(dst, at + out, esc, 6);
			i++;
		} else if (c < 0x80) {
			out += put(dst, at + out, s + i, 1);
			i++;
		} else if ((n = rowfs_utf8_sequence_len(s + i, len - i, NULL)) != 0) {
			out += put(dst, at + out, s + i, n);
			i += n;
		} else {
			out += put(dst, at + out, "\\ufffd", 6);
			i++;
		}
	}
	return out;
}

/*
 * users' line of (id, name) in lines at dst (ROWFS_SEED_LINE_MAX bytes of
 * room; NULL: count only); its length.
 */
static size_t seed_line(int lines, char *dst, uint32_t id, const char *name, size_t name_len)
{
	static const char json_id[] = "{\"id\":";
	static const char json_name[] = ",\"username\":\"";
	char insert[ROW_INSERT_MAX];
	size_t len = 0;

	if (name_len > ROWFS_USERNAME_MAX)
		name_len = ROWFS_USERNAME_MAX;
	if (!dst && lines == ROWFS_LINES_ROWS)
		return lines_seed_rows_size(id, name_len);   /* the same sum, without the writes */
	switch (lines) {
	case ROWFS_LINES_CSV:
		len += put_id(dst, len, id);
		len += put(dst, len, ",", 1);
		len += seed_csv_field(dst, len, name, name_len);
		break;
	case ROWFS_LINES_NDJSON:
		len += put(dst, len, json_id, sizeof(json_id) - 1);
		len += put_id(dst, len, id);
		len += put(dst, len, json_name, sizeof(json_name) - 1);
		len += seed_json_string(dst, len, name, name_len);
		len += put(dst, len, "\"}", 2);
		break;
	case ROWFS_LINES_DUMP:
		len += put(dst, len, insert, row_format_insert(insert, id, name, name_len));
		break;
	case ROWFS_LINES_ROWS:
	default:
		len += put_id(dst, len, id);
		len += put(dst, len, "\t", 1);
		len += put(dst, len, name, name_len);
		break;
	}
	return len + put(dst, len, "\n", 1);
}

void lines_seed_sizes(unsigned mask, uint32_t id, const char *name, size_t len,
		      uint64_t out[ROWFS_LINES_COUNT])
{
	int l;

	if (mask == ROWFS_LINES_BIT(ROWFS_LINES_ROWS)) {
		out[ROWFS_LINES_ROWS] = lines_seed_rows_size(id, len < ROWFS_USERNAME_MAX ? len :
								     ROWFS_USERNAME_MAX);
		return;
	}
	for (l = 0; l < ROWFS_LINES_COUNT; l++)
		if (mask & ROWFS_LINES_BIT(l))
			out[l] = seed_line(l, NULL, id, name, len);
}

/* users' line of vals (id, name) at dst (NULL: count only). */
static size_t seed_values(int lines, const struct rowfs_value *vals, unsigned n, char *dst)
{
	uint32_t id = n > 0 ? (uint32_t)vals[0].i : 0;

	if (n > 1)
		return seed_line(lines, dst, id, vals[1].p, vals[1].len);
	return seed_line(lines, dst, id, "", 0);
}

/* ---- the other tables' lines -------------------------------------------- */

/* The value form of each rendering. */
static int lines_form(int lines)
{
	switch (lines) {
	case ROWFS_LINES_CSV:
		return ROWFS_FORM_CSV;
	case ROWFS_LINES_NDJSON:
		return ROWFS_FORM_JSON;
	case ROWFS_LINES_DUMP:
		return ROWFS_FORM_LITERAL;
	default:
		return ROWFS_FORM_COPY;
	}
}

/* Bytes of a line of n values in lines besides the values' texts. */
static size_t frame_size(int lines, const struct rowfs_lines_table *t, unsigned n)
{
	size_t seps = n ? n - 1 : 0;

	switch (lines) {
	case ROWFS_LINES_NDJSON:
		return t->key_off[n < t->n ? n : t->n] + 2;   /* the keys, '}', LF */
	case ROWFS_LINES_DUMP:
		return t->dump_head_len + 2 * seps + 2;       /* ", " between, ")" and LF */
	default:
		return seps + 1;                              /* separators, LF */
	}
}

void lines_shape(struct rowfs_lines_table *t, int seed, size_t table_len, unsigned n,
		 size_t names_len)
{
	memset(t, 0, sizeof(*t));
	t->seed = seed;
	if (seed)
		return;
	if (n > ROWFS_COLUMNS_MAX)
		n = ROWFS_COLUMNS_MAX;
	t->n = n;
	t->key_off[n] = names_len + 4 * (size_t)n;                  /* {"name": ,"name": */
	t->dump_head_len = sizeof("insert into ") - 1 + table_len + sizeof(" values (") - 1;
}

void lines_sizes(const struct rowfs_lines_table *t, unsigned mask, const struct rowfs_value *vals,
		 unsigned n, uint64_t out[ROWFS_LINES_COUNT])
{
	size_t sum[ROWFS_LINES_COUNT] = {0};
	unsigned i;
	int l;

	for (l = 0; l < ROWFS_LINES_COUNT; l++)
		if ((mask & ROWFS_LINES_BIT(l)) && t->seed)
			out[l] = seed_values(l, vals, n, NULL);
	if (t->seed)
		return;
	for (i = 0; i < n; i++) {
		size_t forms[ROWFS_FORM_COUNT];

		rowfs_value_text_sizes(&vals[i], forms);
		for (l = 0; l < ROWFS_LINES_COUNT; l++)
			if (mask & ROWFS_LINES_BIT(l))
				sum[l] += forms[lines_form(l)];
	}
	for (l = 0; l < ROWFS_LINES_COUNT; l++)
		if (mask & ROWFS_LINES_BIT(l))
			out[l] = sum[l] + frame_size(l, t, n);
}

void lines_count(struct lines_delta *d, const struct rowfs_lines_table *t,
		 const struct rowfs_value *vals, unsigned n, int sign)
{
	uint64_t sizes[ROWFS_LINES_COUNT];
	int l;

	d->changed = 1;
	if (!d->count)
		return;
	lines_sizes(t, d->count, vals, n, sizes);
	d->rows += sign;
	for (l = 0; l < ROWFS_LINES_COUNT; l++)
		if (d->count & ROWFS_LINES_BIT(l))
			d->bytes[l] += sign * (int64_t)sizes[l];
}

/* ---- the API ------------------------------------------------------------ */

int rowfs_lines_init(struct rowfs_lines_table *t, const struct rowfs_table_info *info)
{
	static const char seed_header[] = "id,username\n";
	size_t names = 0, off = 0, name_len;
	unsigned i;

	if (!info) {
		lines_shape(t, 1, 0, 0, 0);
		t->header = malloc(sizeof(seed_header));
		if (!t->header)
			return ROWFS_NOMEM;
		memcpy(t->header, seed_header, sizeof(seed_header));
		t->header_len = sizeof(seed_header) - 1;
		return ROWFS_OK;
	}
	for (i = 0; i < info->column_count && i < ROWFS_COLUMNS_MAX; i++)
		names += strlen(info->columns[i].name);
	name_len = strlen(info->name);
	lines_shape(t, 0, name_len, info->column_count, names);
	t->header = malloc(names + t->n + 1);
	t->keys = malloc(names + 4 * (size_t)t->n + 1);
	t->dump_head = malloc(t->dump_head_len + 1);
	if (!t->header || !t->keys || !t->dump_head) {
		rowfs_lines_release(t);
		return ROWFS_NOMEM;
	}
	for (i = 0; i < t->n; i++) {
		size_t len = strlen(info->columns[i].name);

		if (i)
			t->header[t->header_len++] = ',';
		memcpy(t->header + t->header_len, info->columns[i].name, len);
		t->header_len += len;
		t->key_off[i] = off;
		t->keys[off++] = i ? ',' : '{';
		t->keys[off++] = '"';
		memcpy(t->keys + off, info->columns[i].name, len);
		off += len;
		t->keys[off++] = '"';
		t->keys[off++] = ':';
	}
	t->header[t->header_len++] = '\n';
	t->key_off[t->n] = off;
	memcpy(t->dump_head, "insert into ", 12);
	memcpy(t->dump_head + 12, info->name, name_len);
	memcpy(t->dump_head + 12 + name_len, " values (", 9);
	return ROWFS_OK;
}

void rowfs_lines_release(struct rowfs_lines_table *t)
{
	free(t->header);
	free(t->keys);
	free(t->dump_head);
	memset(t, 0, sizeof(*t));
}

size_t rowfs_line_size(int lines, const struct rowfs_lines_table *t,
		       const struct rowfs_value *vals, unsigned n)
{
	uint64_t out[ROWFS_LINES_COUNT];

	if (lines < 0 || lines >= ROWFS_LINES_COUNT)
		lines = ROWFS_LINES_ROWS;
	lines_sizes(t, ROWFS_LINES_BIT(lines), vals, n, out);
	return (size_t)out[lines];
}

size_t rowfs_line_bound(int lines, const struct rowfs_lines_table *t,
			const struct rowfs_value *vals, unsigned n)
{
	/* per text byte at worst: COPY \\ (2), CSV "" (2), LITERAL '' (2), JSON \u00XX (6) */
	size_t per_byte = lines == ROWFS_LINES_NDJSON ? 6 : 2;
	size_t len = frame_size(lines, t, n);
	unsigned i;

	if (t->seed)
		return ROWFS_SEED_LINE_MAX;
	for (i = 0; i < n; i++) {
		switch (vals[i].type) {
		case ROWFS_TYPE_TEXT:
			len += per_byte * vals[i].len + 3;   /* quotes, a LITERAL's E */
			break;
		case ROWFS_TYPE_BLOB:
			len += 2 * vals[i].len + 5;
			break;
		default:
			len += 32;   /* an integer, a real, NULL */
			break;
		}
	}
	return len;
}

size_t rowfs_line(int lines, const struct rowfs_lines_table *t, const struct rowfs_value *vals,
		  unsigned n, char *dst)
{
	int form = lines_form(lines);
	char sep = lines == ROWFS_LINES_CSV ? ',' : '\t';
	size_t len = 0;
	unsigned i;

	if (t->seed)
		return seed_values(lines, vals, n, dst);
	if (lines == ROWFS_LINES_DUMP) {
		memcpy(dst, t->dump_head, t->dump_head_len);
		len = t->dump_head_len;
	}
	for (i = 0; i < n; i++) {
		if (lines == ROWFS_LINES_NDJSON && i < t->n) {
			size_t k = t->key_off[i + 1] - t->key_off[i];

			memcpy(dst + len, t->keys + t->key_off[i], k);
			len += k;
		} else if (lines == ROWFS_LINES_DUMP && i) {
			dst[len++] = ',';
			dst[len++] = ' ';
		} else if (lines != ROWFS_LINES_NDJSON && lines != ROWFS_LINES_DUMP && i) {
			dst[len++] = sep;
		}
		len += rowfs_value_text(form, &vals[i], dst + len);
	}
	if (lines == ROWFS_LINES_NDJSON)
		dst[len++] = '}';
	if (lines == ROWFS_LINES_DUMP)
		dst[len++] = ')';
	dst[len++] = '\n';
	return len;
}
