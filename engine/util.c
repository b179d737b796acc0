/*
 * util.c - the bottom utility module (see util.h): varints, UTF-8, the
 * header checksum, decimal numbers and hex digits, growable buffers.
 * Nothing here knows about pages.
 */
#include <config.h>
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t varint_len(uint64_t v)
{
	size_t n = 1;

	if (v >> 56)
		return 9;
	while (v >>= 7)
		n++;
	return n;
}

size_t put_varint(uint8_t *p, uint64_t v)
{
	uint8_t buf[10];
	size_t i, n = 0;

	if (v >> 56) {
		p[8] = (uint8_t)v;
		v >>= 8;
		for (i = 8; i-- > 0;) {
			p[i] = (uint8_t)((v & 0x7f) | 0x80);
			v >>= 7;
		}
		return 9;
	}
	do {
		buf[n++] = (uint8_t)((v & 0x7f) | 0x80);
		v >>= 7;
	} while (v);
	buf[0] &= 0x7f;
	for (i = 0; i < n; i++)
		p[i] = buf[n - 1 - i];
	return n;
}

size_t get_varint(const uint8_t *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < 8 && i < n; i++) {
		x = (x << 7) | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	if (i < 8 || n < 9)
		return 0;
	*v = (x << 8) | p[8];
	return 9;
}

size_t utf8_sequence_len(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t lead = p[0];
	uint8_t low = 0x80, high = 0xBF;   /* allowed range of the second byte */
	size_t need, i;
	uint32_t c;

	if (lead < 0x80) {
		if (cp)
			*cp = lead;
		return 1;
	}
	if (lead >= 0xC2 && lead <= 0xDF) {
		need = 2;
		c = lead & 0x1f;
	} else if (lead >= 0xE0 && lead <= 0xEF) {
		need = 3;
		c = lead & 0x0f;
		if (lead == 0xE0)
			low = 0xA0;
		else if (lead == 0xED)
			high = 0x9F;
	} else if (lead >= 0xF0 && lead <= 0xF4) {
		need = 4;
		c = lead & 0x07;
		if (lead == 0xF0)
			low = 0x90;
		else if (lead == 0xF4)
			high = 0x8F;
	} else {
		return 0;
	}
	if (n < need || p[1] < low || p[1] > high)
		return 0;
	c = (c << 6) | (p[1] & 0x3f);
	for (i = 2; i < need; i++) {
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (cp)
		*cp = c;
	return need;
}

size_t utf8_valid_prefix(const uint8_t *p, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_sequence_len(p + i, n - i, NULL);
		if (!k)
			return i;
		i += k;
	}
	return n;
}

int utf8_text_valid(const uint8_t *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	size_t i = 0, k;
	uint64_t w;

	while (i < n) {
		if (n - i >= 8) {
			memcpy(&w, p + i, 8);
			/* eight ASCII bytes, none of them NUL */
			if (!(w & highs) && !((w - ones) & ~w & highs)) {
				i += 8;
				continue;
			}
		}
		if (p[i] == 0)
			return 0;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_sequence_len(p + i, n - i, NULL);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

size_t put_decimal(char *dst, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[20];
	size_t n = sizeof(tmp);
	uint32_t w;

	while (v > UINT32_MAX) {   /* 64-bit divisions only for the high digits */
		uint64_t q = v / 100;
		unsigned r = (unsigned)(v - q * 100);

		tmp[--n] = pairs[2 * r + 1];
		tmp[--n] = pairs[2 * r];
		v = q;
	}
	w = (uint32_t)v;
	while (w >= 100) {
		unsigned r = w % 100;

		w /= 100;
		tmp[--n] = pairs[2 * r + 1];
		tmp[--n] = pairs[2 * r];
	}
	if (w >= 10) {
		tmp[--n] = pairs[2 * w + 1];
		tmp[--n] = pairs[2 * w];
	} else {
		tmp[--n] = (char)('0' + w);
	}
	memcpy(dst, tmp + n, sizeof(tmp) - n);
	return sizeof(tmp) - n;
}

int hex_digit_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t digit_run(const uint8_t *p, size_t i, size_t n)
{
	size_t k = i;

	while (k < n && p[k] >= '0' && p[k] <= '9')
		k++;
	return k - i;
}

int number_syntax(const uint8_t *p, size_t n, int *is_real)
{
	size_t i = n > 0 && (p[0] == '+' || p[0] == '-');
	size_t whole = digit_run(p, i, n), frac = 0;

	*is_real = 0;
	i += whole;
	if (i < n && p[i] == '.') {
		*is_real = 1;
		frac = digit_run(p, i + 1, n);
		i += 1 + frac;
	}
	if (whole + frac == 0)
		return 0;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		size_t exp;

		*is_real = 1;
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		exp = digit_run(p, i, n);
		if (exp == 0)
			return 0;
		i += exp;
	}
	return i == n;
}

int number_int64(const uint8_t *p, size_t n, int64_t *v)
{
	int negative = n > 0 && p[0] == '-';
	size_t k = n > 0 && (p[0] == '-' || p[0] == '+');
	uint64_t limit = negative ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
	uint64_t m = 0;

	for (; k < n; k++) {
		unsigned d = (unsigned)(p[k] - '0');

		if (m > (limit - d) / 10u)
			return 0;
		m = m * 10u + d;
	}
	if (negative)
		*v = m == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)m;
	else
		*v = (int64_t)m;
	return 1;
}

/*
 * A number [+-]D*.D* of at most 15 digits into *v; 0 if it has more
 * digits or an exponent.  Its digits as an integer m < 10^15 < 2^53 and
 * 10^f (f <= 15) are exact doubles, so m / 10^f is one correctly rounded
 * division: the double strtod gives.
 */
static int number_double_fast(const uint8_t *p, size_t n, double *v)
{
	static const double pow10[16] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	};
	int negative = n > 0 && p[0] == '-';
	size_t k = n > 0 && (p[0] == '-' || p[0] == '+');
	uint64_t m = 0;
	unsigned digits = 0, frac = 0, seen_dot = 0;

	for (; k < n; k++) {
		if (p[k] == '.') {
			seen_dot = 1;
			continue;
		}
		if (p[k] < '0' || p[k] > '9' || ++digits > 15)
			return 0;
		m = m * 10u + (unsigned)(p[k] - '0');
		frac += seen_dot;
	}
	*v = (double)m / pow10[frac];
	if (negative)
		*v = -*v;
	return 1;
}

int number_double(const uint8_t *p, size_t n, double *v)
{
	char small[257];
	char *copy = small;

	if (number_double_fast(p, n, v))
		return 0;
	if (n >= sizeof(small)) {
		copy = malloc(n + 1);
		if (!copy)
			return -1;
	}
	memcpy(copy, p, n);
	copy[n] = '\0';
	*v = strtod(copy, NULL);
	if (copy != small)
		free(copy);
	return 0;
}

uint32_t fnv1a32(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

int buf_grow(char **p, size_t *cap, size_t need, size_t min, size_t bound)
{
	size_t room = *cap ? *cap : min;
	char *q;

	if (need <= *cap)
		return 0;
	if (need > bound || room == 0)
		return -1;
	while (room < need)
		room = room > bound / 2 ? bound : room * 2;
	if (room > bound)
		room = bound;   /* min past bound */
	q = realloc(*p, room);
	if (!q)
		return -1;
	*p = q;
	*cap = room;
	return 0;
}

int sbuf_reserve(struct sbuf *b, size_t n)
{
	if (n >= SIZE_MAX - b->len)
		return -1;
	return buf_grow(&b->data, &b->cap, b->len + n + 1, 64, SIZE_MAX);   /* + the NUL */
}

int sbuf_append(struct sbuf *b, const void *p, size_t n)
{
	if (sbuf_reserve(b, n))
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sbuf_reserve(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void sbuf_release(struct sbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
