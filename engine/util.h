/*
 * util.h - the bottom utility module: helpers every layer shares, written
 * once.  Pure functions, no state, no I/O; may be called by any engine
 * module (and, through rowfs.h's wrappers, by fs/ and src/).
 *
 * Owns: little-endian byte order (every integer on disk is little-endian),
 * SQLite-style varints (records, table cells), UTF-8 well-formedness,
 * the FNV-1a checksum of headers, the reading of decimal numbers and hex
 * digits (the tokenizer's literals, input.c's CSV and JSON values), a
 * growable byte buffer and the one doubling rule of every buffer.
 */
#ifndef ROWFS_ENGINE_UTIL_H
#define ROWFS_ENGINE_UTIL_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static inline void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)v);
	put_u32(p + 4, (uint32_t)(v >> 32));
}

/* Longest varint, bytes. */
#define VARINT_MAX 9u

/*
 * put_varint - SQLite's varint: 1..9 bytes, big-endian groups of 7 bits
 * with the high bit set on every byte but the last; the 9th byte carries 8
 * bits.  Values below 128 take one byte; a negative int64 cast to u64
 * takes 9.  Writes at most VARINT_MAX bytes to p; returns the count.
 */
size_t put_varint(uint8_t *p, uint64_t v);

/* varint_len - bytes put_varint would write for v. */
size_t varint_len(uint64_t v);

/*
 * get_varint - decode the varint at p, reading at most n bytes.  Returns
 * the bytes used (1..9), or 0 if n bytes end before the varint does.
 */
size_t get_varint(const uint8_t *p, size_t n, uint64_t *v);

/*
 * utf8_sequence_len - length (1..4) of the well-formed UTF-8 sequence at p
 * (n >= 1 bytes available; an ASCII byte is 1), or 0 if it is ill-formed
 * (overlong forms, surrogates, past U+10FFFF, truncated).  Unicode 15,
 * table 3-7.  If cp is not NULL it receives the code point.
 */
size_t utf8_sequence_len(const uint8_t *p, size_t n, uint32_t *cp);

/* utf8_valid_prefix - offset of the first byte of p[0..n) that is not well-formed UTF-8, or n. */
size_t utf8_valid_prefix(const uint8_t *p, size_t n);

/*
 * utf8_text_valid - 1 if p[0..n) is well-formed UTF-8 without a NUL byte
 * (what a stored text must be), else 0.  Eight ASCII bytes at a time.
 */
int utf8_text_valid(const uint8_t *p, size_t n);

/*
 * put_decimal - v in decimal (no sign, no padding) at dst, which must hold
 * 20 bytes; returns the digit count.  The hot loops' snprintf("%llu").
 */
size_t put_decimal(char *dst, uint64_t v);

/* hex_digit_value - the value (0..15) of the hex digit c (either case), or -1. */
int hex_digit_value(uint8_t c);

/* digit_run - the count of ASCII digits at p[i..n), from i on. */
size_t digit_run(const uint8_t *p, size_t i, size_t n);

/*
 * number_syntax - 1 if p[0..n) is a decimal number
 * [+-](digits[.digits]|.digits)([eE][+-]digits), "5." and ".5" included,
 * else 0; *is_real says whether it has a '.' or an exponent.
 */
int number_syntax(const uint8_t *p, size_t n, int *is_real);

/*
 * number_int64 - the integer [+-]digits p[0..n) (its syntax checked by the
 * caller) into *v; returns 1, or 0 (*v unchanged) when it does not fit
 * int64.
 */
int number_int64(const uint8_t *p, size_t n, int64_t *v);

/*
 * number_double - the number p[0..n) (number_syntax holds) into *v: the
 * double strtod reads in the C locale, taken without strtod when it has
 * at most 15 digits and no exponent (m / 10^f, one correctly rounded
 * division of exact doubles: Clinger's fast path).  Not finite is the
 * caller's check.  Returns 0, or -1 when out of memory (a copy of more
 * than 256 bytes).
 */
int number_double(const uint8_t *p, size_t n, double *v);

/* fnv1a32 - FNV-1a (32 bits; basis 2166136261, prime 16777619) over p[0..n). */
uint32_t fnv1a32(const void *p, size_t n);

/*
 * buf_grow - make the malloc'd buffer *p of *cap bytes (NULL and 0 at
 * first) hold need bytes: nothing when it does; else its room doubles,
 * from *cap or at first from min (>= 1), until it holds need, and is cut
 * to bound where it would pass it.  Returns 0, or -1 when out of memory or
 * need > bound (*p and *cap unchanged).  The one growth rule of every
 * byte buffer (rowfs_buf_grow for fs/ and src/).
 */
int buf_grow(char **p, size_t *cap, size_t need, size_t min, size_t bound);

/*
 * struct sbuf - a growable byte buffer (replies, records, renderings).
 * Zero-initialise; sbuf_release frees.  data is NUL-terminated after
 * every successful append (the NUL is not counted in len).
 */
struct sbuf {
	char *data;    /* the bytes, malloc'd; NULL until the first append */
	size_t len;    /* bytes used */
	size_t cap;    /* bytes allocated */
};

/* sbuf_append - append p[0..n); returns 0, or -1 when out of memory (buffer unchanged). */
int sbuf_append(struct sbuf *b, const void *p, size_t n);

/* sbuf_printf - append printf-formatted text; 0 or -1 (out of memory). */
int sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sbuf_reserve - make room for n more bytes; 0 or -1. */
int sbuf_reserve(struct sbuf *b, size_t n);

/* sbuf_release - free the bytes and zero the buffer. */
void sbuf_release(struct sbuf *b);

#endif /* ROWFS_ENGINE_UTIL_H */
