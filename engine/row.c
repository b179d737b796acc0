/*
 * row.c - row codec: u32 id + 32-byte username <-> ROW_SIZE bytes.
 *
 * Invariant of an encoded row: bytes [4, 4+len) hold the name, made only of
 * name characters (row_name_char_len: ASCII letters, digits, '_', '.', '-'
 * and well-formed UTF-8 multi-byte sequences; so no NUL, no control byte),
 * bytes [4+len, 36) are zero, 1 <= len <= 32.  The tokenizer uses the same
 * character rule, so every name a statement can carry can be stored, and
 * nothing else can.
 */
#include <config.h>
#include "row.h"

#include <stdio.h>

/*
 * 1 for the ASCII bytes that may appear in a word (letters, digits, '_',
 * '.', '-'), 0 for every other byte value.  A scan checks every byte of
 * every row: a table costs one load.
 */
static const unsigned char word_ascii[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* 1 for the ASCII bytes that may appear in a word. */
static int is_word_ascii(unsigned char c)
{
	return word_ascii[c];
}

size_t row_name_char_len(const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return is_word_ascii(p[0]) ? 1 : 0;
	return utf8_sequence_len(p, n, NULL);
}

size_t row_name_check(const uint8_t *name, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n;

		if (word_ascii[name[i]]) {  /* the common case, inline */
			i++;
			continue;
		}
		if (name[i] < 0x80)
			return i;
		n = utf8_sequence_len(name + i, len - i, NULL);
		if (n == 0)
			return i;
		i += n;
	}
	return len;
}

int row_set(struct row *row, uint32_t id, const char *name, size_t len, struct rowfs_err *err)
{
	if (len > USERNAME_SIZE)
		return rowfs_err_set(err, ROWFS_TOOLONG, 0, "Error: username too long (%zu > %u)",
				     len, USERNAME_SIZE);
	if (len == 0)
		return rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: empty username");
	row->id = id;
	row->username_len = (uint8_t)len;
	memcpy(row->username, name, len);
	row->username[len] = '\0';
	return ROWFS_OK;
}

void row_encode(const struct row *row, uint8_t *dst)
{
	put_u32(dst + ID_OFFSET, row->id);
	memset(dst + USERNAME_OFFSET, 0, USERNAME_SIZE);
	memcpy(dst + USERNAME_OFFSET, row->username, row->username_len);
}

size_t row_name_len(const uint8_t *src)
{
	const uint8_t *name = src + USERNAME_OFFSET;
	const uint8_t *nul = memchr(name, 0, USERNAME_SIZE);

	return nul ? (size_t)(nul - name) : USERNAME_SIZE;
}

int row_decode(const uint8_t *src, struct row *row)
{
	static const uint8_t zeros[USERNAME_SIZE];
	size_t len = row_name_len(src);

	if (len == 0 || row_name_check(src + USERNAME_OFFSET, len) != len)
		return ROWFS_CORRUPT;
	if (memcmp(src + USERNAME_OFFSET + len, zeros, USERNAME_SIZE - len) != 0)
		return ROWFS_CORRUPT;
	row->id = get_u32(src + ID_OFFSET);
	row->username_len = (uint8_t)len;
	memcpy(row->username, src + USERNAME_OFFSET, len);
	row->username[len] = '\0';
	return ROWFS_OK;
}

size_t row_format_insert(char *dst, uint32_t id, const char *name, size_t len)
{
	static const char seed[] = "insert ", sql[] = "insert into users values (";
	int comment = len >= 2 && name[0] == '-' && name[1] == '-';
	size_t n;

	if (len > USERNAME_SIZE)
		len = USERNAME_SIZE;
	if (comment) {
		memcpy(dst, sql, sizeof(sql) - 1);
		n = sizeof(sql) - 1;
	} else {
		memcpy(dst, seed, sizeof(seed) - 1);
		n = sizeof(seed) - 1;
	}
	n += put_decimal(dst + n, id);
	if (comment) {
		memcpy(dst + n, ", '", 3);
		n += 3;
	} else {
		dst[n++] = ' ';
	}
	memcpy(dst + n, name, len);
	n += len;
	if (comment) {
		memcpy(dst + n, "')", 2);
		n += 2;
	}
	return n;
}
