/*
 * util.c - the bottom utility module (see util.h): varints, UTF-8 and the
 * header checksum.  Pure functions; nothing here knows about pages.
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

int sbuf_reserve(struct sbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->cap - b->len > n)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap - b->len <= n) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
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
