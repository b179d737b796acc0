/*
 * record.c - the record codec of version-2 tables (see record.h, which
 * holds the format essay: header of serial types, then the bodies,
 * SQLite's record format), and the appending of a value's texts, which
 * textform.c writes.
 *
 * Encoding rules (the decoder accepts more, see below):
 *   - the header size H is the smallest varint that counts itself;
 *   - an integer takes the smallest serial type that holds it: 8 and 9 for
 *     0 and 1 (no body), else 1..6 by its two's complement width
 *     (1, 2, 3, 4, 6, 8 bytes);
 *   - a real is always serial type 7 (8 bytes, the IEEE bits big-endian),
 *     also when it has an integral value, so its type survives;
 *   - texts and blobs are 13 + 2 * len and 12 + 2 * len.
 * Decoding follows record.h's validity rule and no more: a non-minimal
 * varint or integer width is read as what it says (only the encoder
 * promises minimality), so a record decodes to the same values whatever
 * writer made it.
 */
#include <config.h>
#include "record.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

/* Serial types with a fixed meaning (record.h). */
#define SERIAL_NULL 0u
#define SERIAL_REAL 7u
#define SERIAL_ZERO 8u
#define SERIAL_ONE 9u
#define SERIAL_BLOB_MIN 12u

/* Body bytes of the integer serial types 1..6. */
static const unsigned int_width[7] = {0, 1, 2, 3, 4, 6, 8};

/* ---- serial types ----------------------------------------------------------- */

/* The smallest serial type that holds the integer i. */
static uint64_t int_serial(int64_t i)
{
	if (i == 0)
		return SERIAL_ZERO;
	if (i == 1)
		return SERIAL_ONE;
	if (i >= -128 && i <= 127)
		return 1;
	if (i >= -32768 && i <= 32767)
		return 2;
	if (i >= -8388608 && i <= 8388607)
		return 3;
	if (i >= INT32_MIN && i <= INT32_MAX)
		return 4;
	if (i >= -140737488355328LL && i <= 140737488355327LL)
		return 5;
	return 6;
}

/* The serial type of v. */
static uint64_t value_serial(const struct value *v)
{
	switch (v->type) {
	case VALUE_INTEGER:
		return int_serial(v->i);
	case VALUE_REAL:
		return SERIAL_REAL;
	case VALUE_TEXT:
		return 13u + 2u * (uint64_t)v->len;
	case VALUE_BLOB:
		return 12u + 2u * (uint64_t)v->len;
	case VALUE_NULL:
	default:
		return SERIAL_NULL;
	}
}

/* Body bytes of serial type st (which must not be 10 or 11). */
static uint64_t serial_body_size(uint64_t st)
{
	if (st >= SERIAL_BLOB_MIN)
		return (st - SERIAL_BLOB_MIN) / 2;
	if (st >= 1 && st <= 6)
		return int_width[st];
	if (st == SERIAL_REAL)
		return 8;
	return 0;
}

/* Header size H (its own varint included) for serial types of hb bytes. */
static size_t header_size(size_t hb)
{
	size_t h = hb + 1;

	while (varint_len(h) != h - hb)
		h = hb + varint_len(h);
	return h;
}

/* ---- encoding ----------------------------------------------------------------- */

size_t record_size(const struct value *vals, unsigned n)
{
	size_t hb = 0, body = 0;
	unsigned c;

	for (c = 0; c < n; c++) {
		uint64_t st = value_serial(&vals[c]);

		hb += varint_len(st);
		body += (size_t)serial_body_size(st);
	}
	return header_size(hb) + body;
}

/* Write the low `width` bytes of u big-endian at p. */
static void put_be(uint8_t *p, uint64_t u, unsigned width)
{
	unsigned k;

	for (k = width; k-- > 0;) {
		p[k] = (uint8_t)u;
		u >>= 8;
	}
}

/* Write the body of v (serial type st) at p; returns its size. */
static size_t put_body(uint8_t *p, const struct value *v, uint64_t st)
{
	uint64_t bits;

	switch (v->type) {
	case VALUE_INTEGER:
		if (st >= 1 && st <= 6)
			put_be(p, (uint64_t)v->i, int_width[st]);
		return (size_t)serial_body_size(st);
	case VALUE_REAL:
		memcpy(&bits, &v->r, sizeof(bits));
		put_be(p, bits, 8);
		return 8;
	case VALUE_TEXT:
	case VALUE_BLOB:
		if (v->len)
			memcpy(p, v->p, v->len);
		return v->len;
	case VALUE_NULL:
	default:
		return 0;
	}
}

size_t record_encode(const struct value *vals, unsigned n, uint8_t *dst)
{
	size_t hb = 0, h, at, body;
	unsigned c;

	for (c = 0; c < n; c++)
		hb += varint_len(value_serial(&vals[c]));
	h = header_size(hb);
	at = put_varint(dst, h);
	body = h;
	for (c = 0; c < n; c++) {
		uint64_t st = value_serial(&vals[c]);

		at += put_varint(dst + at, st);
		body += put_body(dst + body, &vals[c], st);
	}
	return body;
}

/* ---- decoding ----------------------------------------------------------------- */

/* Read a big-endian two's complement integer of width bytes at p. */
static int64_t get_be_int(const uint8_t *p, unsigned width)
{
	uint64_t u = 0;
	unsigned k;

	for (k = 0; k < width; k++)
		u = (u << 8) | p[k];
	if (width < 8 && (p[0] & 0x80))
		u |= ~(uint64_t)0 << (8 * width);
	return (int64_t)u;
}

/* Decode the body of column c (serial type st) at p (size bytes) into v. */
static int get_body(const uint8_t *p, uint64_t st, size_t size, unsigned c, struct value *v,
		    struct rowfs_err *err)
{
	uint64_t bits = 0;
	unsigned k;

	memset(v, 0, sizeof(*v));
	if (st == SERIAL_NULL) {
		v->type = VALUE_NULL;
	} else if (st <= 6 || st == SERIAL_ZERO || st == SERIAL_ONE) {
		v->type = VALUE_INTEGER;
		v->i = st == SERIAL_ZERO ? 0 : st == SERIAL_ONE ? 1 : get_be_int(p, int_width[st]);
	} else if (st == SERIAL_REAL) {
		for (k = 0; k < 8; k++)
			bits = (bits << 8) | p[k];
		v->type = VALUE_REAL;
		memcpy(&v->r, &bits, sizeof(bits));
		if (!isfinite(v->r))
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "corrupt record: column %u is a real that is not finite", c);
	} else if (st & 1) {
		v->type = VALUE_TEXT;
		v->p = p;
		v->len = size;
		if (utf8_text_valid(p, size))
			return ROWFS_OK;   /* the common case, in one pass */
		if (memchr(p, '\0', size))
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "corrupt record: text of column %u holds a NUL byte", c);
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "corrupt record: text of column %u is not valid UTF-8", c);
	} else {
		v->type = VALUE_BLOB;
		v->p = p;
		v->len = size;
	}
	return ROWFS_OK;
}

int record_decode(const uint8_t *rec, size_t len, struct value *vals, unsigned ncols,
		  struct rowfs_err *err)
{
	uint64_t h, st, size;
	size_t at, body, k;
	unsigned c;
	int rc;

	k = get_varint(rec, len, &h);
	if (!k)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0, "corrupt record: truncated header");
	if (h < k || h > len)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "corrupt record: header size %" PRIu64 " but record size %zu",
				     h, len);
	at = k;
	body = (size_t)h;
	for (c = 0; at < h; c++) {
		k = get_varint(rec + at, (size_t)h - at, &st);
		if (!k)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "corrupt record: serial type of column %u runs past the header", c);
		at += k;
		if (c >= ncols)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "corrupt record: more than %u columns", ncols);
		if (st == 10 || st == 11)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "corrupt record: bad serial type %" PRIu64 " of column %u",
					     st, c);
		size = serial_body_size(st);
		if (size > len - body)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "corrupt record: body of column %u runs past the record's end",
					     c);
		rc = get_body(rec + body, st, (size_t)size, c, &vals[c], err);
		if (rc != ROWFS_OK)
			return rc;
		body += (size_t)size;
	}
	if (body != len)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "corrupt record: bodies end at byte %zu of %zu", body, len);
	for (; c < ncols; c++)
		memset(&vals[c], 0, sizeof(vals[c]));  /* VALUE_NULL */
	return ROWFS_OK;
}

/* ---- comparison ----------------------------------------------------------------- */

/* Rank of a type in the order NULL < numbers < text < blob. */
static int type_rank(enum value_type t)
{
	switch (t) {
	case VALUE_INTEGER:
	case VALUE_REAL:
		return 1;
	case VALUE_TEXT:
		return 2;
	case VALUE_BLOB:
		return 3;
	case VALUE_NULL:
	default:
		return 0;
	}
}

/*
 * Order of the integer i and the finite real r, exactly: r outside
 * [-2^63, 2^63) is beyond every integer; inside, its integral part t is an
 * int64 and r - t is exact, so no rounding of i to a double ever decides.
 */
static int compare_int_real(int64_t i, double r)
{
	int64_t t;
	double frac;

	if (r < -9223372036854775808.0)
		return 1;
	if (r >= 9223372036854775808.0)
		return -1;
	t = (int64_t)r;
	if (i != t)
		return i < t ? -1 : 1;
	frac = r - (double)t;
	return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

/* Order of two byte strings: memcmp of the common prefix, then length. */
static int compare_bytes(const struct value *a, const struct value *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int d = n ? memcmp(a->p, b->p, n) : 0;

	if (d)
		return d < 0 ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
}

int value_compare(const struct value *a, const struct value *b)
{
	int ra = type_rank(a->type), rb = type_rank(b->type);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	switch (ra) {
	case 0:
		return 0;
	case 1:
		if (a->type == VALUE_INTEGER && b->type == VALUE_INTEGER)
			return a->i < b->i ? -1 : a->i > b->i ? 1 : 0;
		if (a->type == VALUE_INTEGER)
			return compare_int_real(a->i, b->r);
		if (b->type == VALUE_INTEGER)
			return -compare_int_real(b->i, a->r);
		return a->r < b->r ? -1 : a->r > b->r ? 1 : 0;
	default:
		return compare_bytes(a, b);
	}
}

/* ---- texts ------------------------------------------------------------------------ */

void value_export(const struct value *vals, unsigned n, struct rowfs_value *out)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		out[i].type = (int)vals[i].type;
		out[i].i = vals[i].i;
		out[i].r = vals[i].r;
		out[i].p = vals[i].p;
		out[i].len = vals[i].len;
	}
}

int value_append_text(struct sbuf *out, int form, const struct value *v)
{
	struct rowfs_value pub;
	size_t n;

	value_export(v, 1, &pub);
	n = rowfs_value_text_size(form, &pub);
	if (sbuf_reserve(out, n))
		return ROWFS_NOMEM;
	out->len += rowfs_value_text(form, &pub, out->data + out->len);
	out->data[out->len] = '\0';
	return ROWFS_OK;
}

int value_append_reply(struct sbuf *out, const struct value *v)
{
	return value_append_text(out, ROWFS_FORM_REPLY, v);
}

int value_append_literal(struct sbuf *out, const struct value *v)
{
	return value_append_text(out, ROWFS_FORM_LITERAL, v);
}
