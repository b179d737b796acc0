/*
 * row.h - the row codec and little-endian helpers.
 *
 * A row is id (u32, little-endian) followed by USERNAME_SIZE bytes of
 * username, zero padded (a username never contains a NUL byte, so the
 * padding marks its end; a 32-byte name fills the field).
 */
#ifndef ROWFS_ENGINE_ROW_H
#define ROWFS_ENGINE_ROW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format.h"
#include "rowfs.h"
#include "util.h"

/* rowfs.h publishes these two limits to fs/ and src/; keep them equal. */
_Static_assert(USERNAME_SIZE == ROWFS_USERNAME_MAX, "rowfs.h and format.h disagree");
_Static_assert(MAX_LINE_SIZE == ROWFS_LINE_MAX, "rowfs.h and format.h disagree");

/* A decoded row.  username is NUL-terminated for convenience. */
struct row {
	uint32_t id;                         /* the key */
	uint8_t username_len;                /* 1..USERNAME_SIZE */
	char username[USERNAME_SIZE + 1];    /* bytes, NUL-terminated copy */
};


/*
 * row_set - fill a row from id and name bytes.
 * Returns ROWFS_OK or ROWFS_TOOLONG ("Error: username too long (N > 32)")
 * or ROWFS_SYNTAX for an empty name.
 */
int row_set(struct row *row, uint32_t id, const char *name, size_t len, struct rowfs_err *err);

/* row_encode - write the row's ROW_SIZE bytes to dst. */
void row_encode(const struct row *row, uint8_t *dst);

/*
 * row_decode - read ROW_SIZE bytes.  Returns ROWFS_OK or ROWFS_CORRUPT when
 * the bytes cannot be a row (empty name, a byte that is not a name
 * character, non-zero padding after the first NUL).
 */
int row_decode(const uint8_t *src, struct row *row);

/*
 * row_name_char_len - length (1..4) of the name character at p (n >= 1
 * bytes available): an ASCII letter, digit, '_', '.', '-', or a well-formed
 * UTF-8 sequence (no overlongs, surrogates or values past U+10FFFF); 0 when
 * p[0] starts no name character.
 */
size_t row_name_char_len(const uint8_t *p, size_t n);

/* row_name_check - offset of the first byte of name[0..len) that is not a name character, or len. */
size_t row_name_check(const uint8_t *name, size_t len);

/*
 * row_format_insert - the dump line of a users row, without its newline,
 * into dst (room for ROW_INSERT_MAX bytes); returns its length.  The seed
 * form `insert ID NAME`, except for a name starting with "--", which Part
 * 2 would read as a comment: that one is written `insert into users
 * values (ID, 'NAME')` (a name holds no quote).
 */
#define ROW_INSERT_MAX (48u + USERNAME_SIZE)
size_t row_format_insert(char *dst, uint32_t id, const char *name, size_t len);

/* row_name_len - length of the username stored in ROW_SIZE bytes at src. */
size_t row_name_len(const uint8_t *src);

#endif /* ROWFS_ENGINE_ROW_H */
