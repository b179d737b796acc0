/*
 * fuzz_names.c - libFuzzer target: the pure name and line modules of fs/,
 * path.c (what a path in the mount names) and render.c (a row as a TSV,
 * CSV or NDJSON line).
 *
 * Input layout: the bytes up to the first NUL are a path; after the NUL,
 * 4 bytes of id (little-endian) and up to 40 bytes of name (longer names
 * are cut by render_row to 32).  Without a NUL the whole input is a path.
 *
 * Oracles:
 *   - path_parse: every name it accepts is the canonical one (the path
 *     rebuilt from struct path equals the input byte for byte; a range in
 *     tables/T/ has the two spellings A-B and A..B), so each row has
 *     exactly one name; users' keys stay 0..4294967295; ranges have start
 *     <= end; path_number and path_key accept exactly the canonical
 *     decimals that render_u32 and printf write;
 *   - render_row fits RENDER_LINE_MAX (the buffer is exactly that size, so
 *     ASan sees any overflow); an NDJSON line is one line of valid JSON
 *     text whatever the name bytes, a CSV line one record; for a name the
 *     engine can store (word bytes and well-formed UTF-8) each format
 *     gives back the id and the name byte for byte.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "render.h"
#include "fuzz_util.h"

/* ---- paths --------------------------------------------------------------- */

/* The directory part of p's path: "" for the root's files, "/tables/T" else. */
static void prefix(const struct path *p, char *buf, size_t size)
{
	if (p->table[0])
		snprintf(buf, size, "/tables/%s", p->table);
	else
		buf[0] = '\0';
}

/*
 * The canonical path of p into buf (NULL for kinds without one); alt: the
 * second spelling of a range (A..B for A-B in a table directory), or "".
 */
static const char *rebuild(const struct path *p, char *buf, size_t size, char *alt)
{
	char dir[96];

	prefix(p, dir, sizeof(dir));
	alt[0] = '\0';
	switch (p->kind) {
	case PATH_ROOT:
		return "/";
	case PATH_TABLE_DIR:
		snprintf(buf, size, "%s", dir);
		return buf;
	case PATH_ROW:
		snprintf(buf, size, "%s/by-id/%lld", dir, (long long)p->key);
		return buf;
	case PATH_TMP:
		snprintf(buf, size, "%s/by-id/%s", dir, p->name);
		return buf;
	case PATH_RANGE:
		if (p->table[0])
			snprintf(alt, size, "%s/range/%lld..%lld", dir, (long long)p->start,
				 (long long)p->end);
		snprintf(buf, size, "%s/range/%lld-%lld", dir, (long long)p->start,
			 (long long)p->end);
		return buf;
	case PATH_FIRST:
		snprintf(buf, size, "%s/first/%llu", dir, (unsigned long long)p->count);
		return buf;
	case PATH_LAST:
		snprintf(buf, size, "%s/last/%llu", dir, (unsigned long long)p->count);
		return buf;
	default:
		if (!path_info(p->kind)->name)
			return NULL;
		snprintf(buf, size, "%s/%s", dir, path_info(p->kind)->name);
		return buf;
	}
}

static void check_path(const char *path, size_t len)
{
	struct path p;
	char buf[512], alt[512];
	const char *canon;
	uint32_t v;
	int64_t k;
	enum path_kind kind = path_parse(path, &p);

	FUZZ_CHECK(kind == p.kind);
	if (kind != PATH_NONE) {
		canon = rebuild(&p, buf, sizeof(buf), alt);
		FUZZ_CHECK(canon != NULL);
		if (strcmp(canon, path) != 0 && strcmp(alt, path) != 0) {
			fprintf(stderr, "fuzz_names: '%s' parsed as '%s'\n", path, canon);
			abort();
		}
		FUZZ_CHECK(path_is_dir(kind) ==
			   (kind == PATH_ROOT || kind == PATH_BYID_DIR || kind == PATH_RANGE_DIR ||
			    kind == PATH_FIRST_DIR || kind == PATH_LAST_DIR ||
			    kind == PATH_TABLES_DIR || kind == PATH_TABLE_DIR));
		/* users' keys stay Part 1's */
		if (kind == PATH_ROW && path_is_users(&p))
			FUZZ_CHECK(p.key >= 0 && p.key <= (int64_t)UINT32_MAX);
	}
	if (kind == PATH_RANGE)
		FUZZ_CHECK(p.start <= p.end);
	/* path_number: canonical decimals only */
	if (path_number(path, len, &v) == 0) {
		char dec[RENDER_U32_MAX];
		size_t n = render_u32(dec, v);

		FUZZ_CHECK(n == len && !memcmp(dec, path, n));
	}
	/* path_key: canonical signed decimals only */
	if (len < 32 && path_key(path, len, &k) == 0) {
		char dec[32];
		int n = snprintf(dec, sizeof(dec), "%lld", (long long)k);

		FUZZ_CHECK((size_t)n == len && !memcmp(dec, path, len));
	}
}

/* ---- rendered lines ------------------------------------------------------ */

static int word_ascii(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/* Length of the well-formed UTF-8 character at p (n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t need, i;

	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		need = 2;
		cp = p[0] & 0x1F;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		need = 3;
		cp = p[0] & 0x0F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
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
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return need;
}

/* 1 if name is one the engine can store: 1..32 word bytes or UTF-8. */
static int storable(const unsigned char *name, size_t len)
{
	size_t i = 0;

	if (len == 0 || len > RENDER_NAME_MAX)
		return 0;
	while (i < len) {
		size_t n = name[i] < 0x80 ? (size_t)word_ascii(name[i]) : utf8_len(name + i, len - i);

		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* Append code point cp as UTF-8. */
static size_t put_utf8(unsigned char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	out[0] = (unsigned char)(0xE0 | (cp >> 12));
	out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	out[2] = (unsigned char)(0x80 | (cp & 0x3F));
	return 3;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode the JSON string starting after the opening quote at s[*pos];
 * *pos ends after the closing quote.  Returns the decoded length or -1 if
 * the string is not valid JSON (raw control byte, bad escape, no end).
 * \uXXXX escapes of surrogate pairs are not needed for names and refused.
 */
static long json_string(const unsigned char *s, size_t len, size_t *pos, unsigned char *out)
{
	size_t i = *pos, n = 0;

	while (i < len) {
		unsigned char c = s[i++];

		if (c == '"') {
			*pos = i;
			return (long)n;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		if (i >= len)
			return -1;
		c = s[i++];
		switch (c) {
		case '"': case '\\': case '/':
			out[n++] = c;
			break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			uint32_t cp = 0;
			int k;

			if (i + 4 > len)
				return -1;
			for (k = 0; k < 4; k++) {
				int h = hexval(s[i + k]);

				if (h < 0)
					return -1;
				cp = cp * 16 + (uint32_t)h;
			}
			i += 4;
			if (cp >= 0xD800 && cp <= 0xDFFF)
				return -1;
			n += put_utf8(out + n, cp);
			break;
		}
		default:
			return -1;
		}
	}
	return -1;
}

/* Parse one CSV field at s[*pos] (up to ',' or '\n'); returns its length or -1. */
static long csv_field(const unsigned char *s, size_t len, size_t *pos, unsigned char *out)
{
	size_t i = *pos, n = 0;

	if (i < len && s[i] == '"') {
		i++;
		for (;;) {
			if (i >= len)
				return -1;
			if (s[i] == '"') {
				if (i + 1 < len && s[i + 1] == '"') {
					out[n++] = '"';
					i += 2;
					continue;
				}
				i++;
				break;
			}
			out[n++] = s[i++];
		}
	} else {
		while (i < len && s[i] != ',' && s[i] != '\n') {
			if (s[i] == '"' || s[i] == '\r')
				return -1;   /* must have been quoted */
			out[n++] = s[i++];
		}
	}
	*pos = i;
	return (long)n;
}

/*
 * users' line of (id, name) in format f at dst (RENDER_LINE_MAX bytes of
 * room), as the mount writes it (the engine's rowfs_line); a name past
 * RENDER_NAME_MAX bytes is cut to it.
 */
static size_t render_row(enum render_format f, char *dst, uint32_t id, const char *name,
			 size_t name_len)
{
	struct rowfs_lines_table seed;
	struct rowfs_value vals[2];

	memset(&seed, 0, sizeof(seed));
	seed.seed = 1;   /* users' lines need no names */
	memset(vals, 0, sizeof(vals));
	vals[0].type = ROWFS_TYPE_INTEGER;
	vals[0].i = id;
	vals[1].type = ROWFS_TYPE_TEXT;
	vals[1].p = name;
	vals[1].len = name_len > RENDER_NAME_MAX ? RENDER_NAME_MAX : name_len;
	return rowfs_line((int)f, &seed, vals, 2, dst);
}

static void check_render(uint32_t id, const unsigned char *name, size_t name_len)
{
	char *line = malloc(RENDER_LINE_MAX);   /* exactly the room promised */
	unsigned char field[RENDER_LINE_MAX * 2];
	char dec[RENDER_U32_MAX + 1];
	size_t n, pos, cut = name_len > RENDER_NAME_MAX ? RENDER_NAME_MAX : name_len;
	size_t dlen = render_u32(dec, id);
	int good = storable(name, cut);
	long f;

	FUZZ_CHECK(line != NULL);
	dec[dlen] = '\0';
	FUZZ_CHECK(dlen >= 1 && dlen <= RENDER_U32_MAX && (unsigned)atoll(dec) == id);

	/* TSV: ID, tab, the name's bytes */
	n = render_row(RENDER_TSV, line, id, (const char *)name, name_len);
	FUZZ_CHECK(n <= RENDER_LINE_MAX && n > 0 && line[n - 1] == '\n');
	if (good) {
		FUZZ_CHECK(n == dlen + 1 + cut + 1);
		FUZZ_CHECK(!memcmp(line, dec, dlen) && line[dlen] == '\t');
		FUZZ_CHECK(!memcmp(line + dlen + 1, name, cut));
	}

	/* NDJSON: one line of JSON whatever the bytes */
	n = render_row(RENDER_NDJSON, line, id, (const char *)name, name_len);
	FUZZ_CHECK(n <= RENDER_LINE_MAX && n > 0 && line[n - 1] == '\n');
	FUZZ_CHECK(memchr(line, '\n', n - 1) == NULL);
	FUZZ_CHECK(n > 7 && !memcmp(line, "{\"id\":", 6));
	FUZZ_CHECK(!memcmp(line + 6, dec, dlen));
	pos = 6 + dlen;
	FUZZ_CHECK(n > pos + 13 && !memcmp(line + pos, ",\"username\":\"", 13));
	pos += 13;
	f = json_string((const unsigned char *)line, n, &pos, field);
	FUZZ_CHECK(f >= 0);
	FUZZ_CHECK(pos + 2 == n && line[pos] == '}');
	if (good)
		FUZZ_CHECK((size_t)f == cut && !memcmp(field, name, cut));

	/* CSV: one record, two fields */
	n = render_row(RENDER_CSV, line, id, (const char *)name, name_len);
	FUZZ_CHECK(n <= RENDER_LINE_MAX && n > 0 && line[n - 1] == '\n');
	pos = 0;
	f = csv_field((const unsigned char *)line, n, &pos, field);
	FUZZ_CHECK(f == (long)dlen && !memcmp(field, dec, dlen));
	FUZZ_CHECK(pos < n && line[pos] == ',');
	pos++;
	f = csv_field((const unsigned char *)line, n, &pos, field);
	FUZZ_CHECK(f >= 0);
	FUZZ_CHECK(pos + 1 == n);
	if (good)
		FUZZ_CHECK((size_t)f == cut && !memcmp(field, name, cut));
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t path_len = nul ? (size_t)(nul - data) : size;
	char *path = malloc(path_len + 1);

	FUZZ_CHECK(path != NULL);
	memcpy(path, data, path_len);
	path[path_len] = '\0';
	check_path(path, path_len);
	free(path);

	if (nul && size - path_len - 1 >= 4) {
		const uint8_t *p = nul + 1;
		size_t name_len = size - path_len - 1 - 4;
		uint32_t id = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			      (uint32_t)p[3] << 24;

		if (name_len > 40)
			name_len = 40;
		check_render(id, p + 4, name_len);
	}
	return 0;
}
