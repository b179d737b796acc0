/*
 * record.h - typed values and the record codec of version-2 tables.
 *
 * Owns: struct value (one column value of any type), the record format
 * (the bytes of a row of a version-2 table, without its key) and the
 * comparison of values as the SQL subset defines it.  Pure: no pages, no
 * I/O.  The texts of a value are textform.c's (rowfs.h's enum
 * rowfs_form); the value_append_* calls below append them to a buffer.
 *
 * Record format (SQLite's record format, rowfs(5) "Records"):
 *   varint  header size H, in bytes, this varint included
 *   varint  serial type of column 0, column 1, ... (until H bytes)
 *   bodies  of column 0, column 1, ... in that order
 * Serial types:
 *   0        NULL                         (no body)
 *   1..6     integer, big-endian two's complement of 1, 2, 3, 4, 6, 8 bytes
 *   7        real, IEEE 754 double, big-endian, 8 bytes
 *   8, 9     the integers 0 and 1          (no body)
 *   N >= 12, even   blob of (N-12)/2 bytes
 *   N >= 13, odd    text of (N-13)/2 bytes (UTF-8, no NUL)
 * The encoder always picks the smallest integer serial type.  The column
 * that is the table's integer primary key is stored as NULL (serial type
 * 0): its value is the cell's key.  A record with fewer columns than the
 * table has reads the missing ones as NULL (not produced today).
 * Validity rule (record_decode): header size within the record, every
 * serial type known (10, 11 are not), bodies end exactly at the record's
 * end, texts are valid UTF-8 without NUL, reals are finite.
 */
#ifndef ROWFS_ENGINE_RECORD_H
#define ROWFS_ENGINE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "rowfs.h"
#include "util.h"

/* Type of a value (also of a column: see catalog.h). */
enum value_type {
	VALUE_NULL = 0,
	VALUE_INTEGER,   /* signed 64-bit */
	VALUE_REAL,      /* finite double */
	VALUE_TEXT,      /* UTF-8 bytes without NUL */
	VALUE_BLOB       /* any bytes */
};

/* One value.  Text and blob bytes are borrowed (record, line or arena). */
struct value {
	enum value_type type;  /* which of the fields below is meaningful */
	int64_t i;             /* VALUE_INTEGER */
	double r;              /* VALUE_REAL */
	const uint8_t *p;      /* VALUE_TEXT / VALUE_BLOB: bytes, not NUL-terminated */
	size_t len;            /* VALUE_TEXT / VALUE_BLOB: byte count */
};

/* Most columns of a table (and so of a record). */
#define RECORD_MAX_COLUMNS 64u

/* record_size - bytes record_encode writes for vals[0..n). */
size_t record_size(const struct value *vals, unsigned n);

/* record_encode - write the record of vals[0..n) to dst (record_size bytes); returns that size. */
size_t record_encode(const struct value *vals, unsigned n, uint8_t *dst);

/*
 * record_decode - decode rec[0..len) into vals[0..ncols): columns the
 * record lacks are NULL; texts and blobs point into rec.  A record with
 * more than ncols columns, or one that breaks the validity rule, is
 * ROWFS_CORRUPT (err may be NULL; the message names what is wrong).
 */
int record_decode(const uint8_t *rec, size_t len, struct value *vals, unsigned ncols,
		  struct rowfs_err *err);

/*
 * value_compare - order of two non-NULL values: integers and reals
 * compare numerically with each other (exactly, also past 2^53), texts
 * and blobs by memcmp then length; numbers < text < blob.  Returns < 0,
 * 0, > 0.  NULLs: callers never compare them (SQL's rule: a comparison
 * with NULL matches nothing); here NULL sorts first.
 */
int value_compare(const struct value *a, const struct value *b);

/*
 * Texts of a value, appended to out (growable, see util.h's struct sbuf),
 * as textform.c writes them (rowfs.h's enum rowfs_form, which describes
 * each form):
 *  value_append_text     v in form (enum rowfs_form)
 *  value_append_reply    the select reply (ROWFS_FORM_REPLY): integer in
 *                        decimal, real as rowfs_format_real, text raw,
 *                        NULL as "NULL", blob as x'..' (lower-case hex)
 *  value_append_literal  a literal that parses back to the same value
 *                        (ROWFS_FORM_LITERAL): null, integer, real
 *                        (always with '.' or 'e', "inf" never occurs),
 *                        text as '...' with '' doubled, or E'...' with \n
 *                        \t \r \\ \' escapes when it holds a control
 *                        character (< 0x20, 0x7f) or a backslash (other
 *                        control characters stand for themselves: the
 *                        literal stays one line); blob x'..'
 * Return ROWFS_OK or ROWFS_NOMEM.
 */
struct sbuf;
int value_append_text(struct sbuf *out, int form, const struct value *v);
int value_append_reply(struct sbuf *out, const struct value *v);
int value_append_literal(struct sbuf *out, const struct value *v);

/*
 * value_export - vals[0..n) in their public form (rowfs.h's struct
 * rowfs_value: the same types, number for number); text and blob bytes
 * stay borrowed.
 */
void value_export(const struct value *vals, unsigned n, struct rowfs_value *out);

#endif /* ROWFS_ENGINE_RECORD_H */
