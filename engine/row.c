/*
 * row.c - row codec: u32 id + 32-byte username <-> ROW_SIZE bytes.
 *
 * Invariant of an encoded row: bytes [4, 4+len) hold the name (no NUL),
 * bytes [4+len, 36) are zero, 1 <= len <= 32.
 */
#include <config.h>
#include "row.h"

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
	size_t len = row_name_len(src);
	size_t i;

	if (len == 0)
		return ROWFS_CORRUPT;
	for (i = len; i < USERNAME_SIZE; i++)
		if (src[USERNAME_OFFSET + i] != 0)
			return ROWFS_CORRUPT;
	row->id = get_u32(src + ID_OFFSET);
	row->username_len = (uint8_t)len;
	memcpy(row->username, src + USERNAME_OFFSET, len);
	row->username[len] = '\0';
	return ROWFS_OK;
}
