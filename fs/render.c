/*
 * render.c - owns the line formats of `rows`, `rows.csv` and `rows.ndjson`.
 *
 * TSV:    42<TAB>alice\n
 * CSV:    42,alice\n             (header id,username\n)
 *         A name is quoted when it holds ',', '"', CR or LF, or starts or
 *         ends with a space or tab (RFC 4180; quoting the blanks keeps
 *         them from being trimmed by lenient readers); '"' doubles inside
 *         quotes.  Lines end in LF, not RFC 4180's CRLF: every CSV reader
 *         accepts LF, and line tools (wc, grep, awk) stay exact.
 * NDJSON: {"id":42,"username":"alice"}\n
 *         '"' and '\' are escaped, bytes below 0x20 and 0x7f become
 *         \u00XX; valid UTF-8 passes through byte for byte.  The engine
 *         only stores valid UTF-8; a byte that is not (a damaged file)
 *         becomes \ufffd, so every line is valid JSON whatever is stored.
 *
 * Usernames the engine accepts cannot hold most of these characters (see
 * rowsh(1)); the quoting is there so that the output stays valid whatever
 * a future lexer lets through.  Everything is formatted by hand: no printf
 * and no allocation per row.
 */
#include <config.h>
#include "render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* "00" "01" ... "99": two digits per division, the slow part of a scan. */
static const char digit_pairs[201] =
		"0001020304050607080910111213141516171819"
		"2021222324252627282930313233343536373839"
		"4041424344454647484950515253545556575859"
		"6061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";

size_t render_u32(char *dst, uint32_t v)
{
	size_t len = v < 10u ? 1 : v < 100u ? 2 : v < 1000u ? 3 : v < 10000u ? 4 :
		     v < 100000u ? 5 : v < 1000000u ? 6 : v < 10000000u ? 7 :
		     v < 100000000u ? 8 : v < 1000000000u ? 9 : 10;
	char *p = dst + len;

	/* right to left, straight into place */
	while (v >= 100) {
		uint32_t q = v / 100;

		p -= 2;
		memcpy(p, digit_pairs + 2 * (v - 100 * q), 2);
		v = q;
	}
	if (v >= 10)
		memcpy(p - 2, digit_pairs + 2 * v, 2);
	else
		p[-1] = (char)('0' + v);
	return len;
}

size_t render_header(enum render_format f, char *dst)
{
	static const char csv[] = "id,username\n", dump[] = "begin\n";

	switch (f) {
	case RENDER_CSV:
		memcpy(dst, csv, sizeof(csv) - 1);
		return sizeof(csv) - 1;
	case RENDER_DUMP:
		memcpy(dst, dump, sizeof(dump) - 1);
		return sizeof(dump) - 1;
	default:
		return 0;
	}
}

size_t render_footer(enum render_format f, char *dst)
{
	static const char dump[] = "commit\n";

	if (f != RENDER_DUMP)
		return 0;
	memcpy(dst, dump, sizeof(dump) - 1);
	return sizeof(dump) - 1;
}

/* Does a CSV field need quotes? */
static int csv_needs_quotes(const char *s, size_t len)
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

/* The name as a CSV field at dst (at most 2 + 2 * len bytes). */
static size_t csv_field(char *dst, const char *s, size_t len)
{
	size_t out = 0;
	size_t i;

	if (!csv_needs_quotes(s, len)) {
		memcpy(dst, s, len);
		return len;
	}
	dst[out++] = '"';
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			dst[out++] = '"';
		dst[out++] = s[i];
	}
	dst[out++] = '"';
	return out;
}

/*
 * The name as the inside of a JSON string at dst (at most 6 * len bytes).
 * A byte that is not part of valid UTF-8 (the engine never stores one)
 * becomes \ufffd, so the line stays valid JSON even on a damaged database.
 */
static size_t json_string(char *dst, const char *name, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)name;
	size_t out = 0;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;

		if (c == '"' || c == '\\') {
			dst[out++] = '\\';
			dst[out++] = (char)c;
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(dst + out, "\\u00", 4);
			dst[out + 4] = hex[c >> 4];
			dst[out + 5] = hex[c & 15];
			out += 6;
			i++;
		} else if (c < 0x80) {
			dst[out++] = (char)c;
			i++;
		} else if ((n = rowfs_utf8_sequence_len(s + i, len - i, NULL)) != 0) {
			memcpy(dst + out, s + i, n);
			out += n;
			i += n;
		} else {
			memcpy(dst + out, "\\ufffd", 6);
			out += 6;
			i++;
		}
	}
	return out;
}

size_t render_row(enum render_format f, char *dst, uint32_t id, const char *name,
		  size_t name_len)
{
	static const char json_id[] = "{\"id\":";
	static const char json_name[] = ",\"username\":\"";
	size_t len;

	if (name_len > RENDER_NAME_MAX)
		name_len = RENDER_NAME_MAX;
	switch (f) {
	case RENDER_CSV:
		len = render_u32(dst, id);
		dst[len++] = ',';
		len += csv_field(dst + len, name, name_len);
		break;
	case RENDER_NDJSON:
		memcpy(dst, json_id, sizeof(json_id) - 1);
		len = sizeof(json_id) - 1;
		len += render_u32(dst + len, id);
		memcpy(dst + len, json_name, sizeof(json_name) - 1);
		len += sizeof(json_name) - 1;
		len += json_string(dst + len, name, name_len);
		dst[len++] = '"';
		dst[len++] = '}';
		break;
	case RENDER_DUMP:
		memcpy(dst, "insert ", 7);
		len = 7 + render_u32(dst + 7, id);
		dst[len++] = ' ';
		memcpy(dst + len, name, name_len);
		len += name_len;
		break;
	case RENDER_TSV:
	default:
		len = render_u32(dst, id);
		dst[len++] = '\t';
		memcpy(dst + len, name, name_len);
		len += name_len;
		break;
	}
	dst[len++] = '\n';
	return len;
}

/* ---- typed rows ---- */

int render_table_init(struct render_table *t, const struct rowfs_table_info *info)
{
	size_t names = 0, off = 0;
	unsigned i;

	memset(t, 0, sizeof(*t));
	t->n = info->column_count;
	for (i = 0; i < t->n; i++)
		names += strlen(info->columns[i].name);
	t->header = malloc(names + t->n + 1);
	t->keys = malloc(names + 4 * (size_t)t->n + 1);
	if (!t->header || !t->keys) {
		render_table_release(t);
		return -ENOMEM;
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
	return 0;
}

void render_table_release(struct render_table *t)
{
	free(t->header);
	free(t->keys);
	t->header = t->keys = NULL;
	t->header_len = 0;
	t->n = 0;
}

/* The value form of each line format. */
static int value_form(enum render_format f)
{
	return f == RENDER_CSV ? ROWFS_FORM_CSV : f == RENDER_NDJSON ? ROWFS_FORM_JSON :
	       ROWFS_FORM_COPY;
}

size_t render_values_size(enum render_format f, const struct render_table *t,
			  const struct rowfs_value *vals, unsigned n)
{
	int form = value_form(f);
	size_t len = 1;   /* the LF */
	unsigned i;

	for (i = 0; i < n; i++)
		len += rowfs_value_text_size(form, &vals[i]);
	if (f == RENDER_NDJSON)
		return len + t->key_off[n < t->n ? n : t->n] + 1;   /* the keys and the '}' */
	return len + (n ? n - 1 : 0);   /* the separators */
}

size_t render_values_bound(enum render_format f, const struct render_table *t,
			   const struct rowfs_value *vals, unsigned n)
{
	/* per text byte at worst: COPY \\ (2), CSV "" (2), JSON \u00XX (6) */
	size_t per_byte = f == RENDER_NDJSON ? 6 : 2;
	size_t len = 1 + (size_t)n + t->key_off[n < t->n ? n : t->n] + 1;
	unsigned i;

	for (i = 0; i < n; i++) {
		switch (vals[i].type) {
		case ROWFS_TYPE_TEXT:
			len += per_byte * vals[i].len + 2;
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

size_t render_values(enum render_format f, const struct render_table *t,
		     const struct rowfs_value *vals, unsigned n, char *dst)
{
	int form = value_form(f);
	char sep = f == RENDER_CSV ? ',' : '\t';
	size_t len = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (f == RENDER_NDJSON && i < t->n) {
			size_t k = t->key_off[i + 1] - t->key_off[i];

			memcpy(dst + len, t->keys + t->key_off[i], k);
			len += k;
		} else if (f != RENDER_NDJSON && i) {
			dst[len++] = sep;
		}
		len += rowfs_value_text(form, &vals[i], dst + len);
	}
	if (f == RENDER_NDJSON)
		dst[len++] = '}';
	dst[len++] = '\n';
	return len;
}
