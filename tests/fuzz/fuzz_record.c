/*
 * fuzz_record.c - libFuzzer target: the record codec of engine/record.c
 * and the texts of the values it decodes.
 *
 * Input: the bytes of one record, as a table leaf cell would hold them
 * (rowfs(5) "Records").  They are copied into a buffer of exactly their
 * size, so ASan sees any read past the end.
 *
 * Oracles:
 *   - record_decode never crashes or reads outside the record; it
 *     returns ROWFS_OK or ROWFS_CORRUPT with a message;
 *   - a record that decodes holds only valid values: texts are well-formed
 *     UTF-8 without NUL and point into the record, reals are finite;
 *   - re-encoding the decoded values gives a record of record_size bytes
 *     that decodes to the same values (reals bit for bit), and encoding
 *     is then a fixed point (the encoder's output is canonical);
 *   - every value compares equal to itself, and its reply and literal
 *     texts are produced (one line for the literal; a real's text reads
 *     back as the same double); each text form (rowfs_value_text) writes
 *     exactly the size rowfs_value_text_size announced.
 */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "rowfs.h"
#include "util.h"
#include "fuzz_util.h"

/* a and b are the same value (reals bit for bit). */
static int same_value(const struct value *a, const struct value *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case VALUE_NULL:
		return 1;
	case VALUE_INTEGER:
		return a->i == b->i;
	case VALUE_REAL:
		return memcmp(&a->r, &b->r, sizeof(double)) == 0;
	case VALUE_TEXT:
	case VALUE_BLOB:
		return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
	}
	return 0;
}

/* Every value of a decoded record is one the engine can hold, inside rec. */
static void check_values(const struct value *vals, unsigned n, const uint8_t *rec, size_t len)
{
	unsigned c;

	for (c = 0; c < n; c++) {
		const struct value *v = &vals[c];

		switch (v->type) {
		case VALUE_NULL:
		case VALUE_INTEGER:
			break;
		case VALUE_REAL:
			FUZZ_CHECK(isfinite(v->r));
			break;
		case VALUE_TEXT:
			FUZZ_CHECK(utf8_valid_prefix(v->p, v->len) == v->len);
			FUZZ_CHECK(!memchr(v->p, '\0', v->len));
			/* fall through */
		case VALUE_BLOB:
			FUZZ_CHECK(v->len == 0 || (v->p >= rec && v->len <= len &&
						   v->p + v->len <= rec + len));
			break;
		default:
			FUZZ_CHECK(!"unknown value type");
		}
	}
}

/* Every text form of v: exactly the announced size, in a buffer of that size. */
static void check_forms(const struct value *v)
{
	struct rowfs_value pub;
	int form;

	value_export(v, 1, &pub);
	for (form = ROWFS_FORM_LITERAL; form <= ROWFS_FORM_JSON; form++) {
		size_t size = rowfs_value_text_size(form, &pub);
		char *text = malloc(size ? size : 1);

		if (!text)
			abort();
		FUZZ_CHECK(rowfs_value_text(form, &pub, text) == size);
		free(text);
	}
}

/* The texts of v: produced, the literal on one line, a real's text exact. */
static void check_texts(const struct value *v)
{
	struct sbuf b = {0};
	char real[32];
	double back;

	FUZZ_CHECK(value_compare(v, v) == 0);
	FUZZ_CHECK(value_append_reply(&b, v) == ROWFS_OK);
	b.len = 0;
	FUZZ_CHECK(value_append_literal(&b, v) == ROWFS_OK);
	FUZZ_CHECK(b.len > 0 && !memchr(b.data, '\n', b.len) && !memchr(b.data, '\r', b.len));
	sbuf_release(&b);
	check_forms(v);
	if (v->type == VALUE_REAL) {
		FUZZ_CHECK(rowfs_format_real(v->r, real) < sizeof(real));
		back = strtod(real, NULL);
		FUZZ_CHECK(memcmp(&back, &v->r, sizeof(back)) == 0);
	}
}

/* Encode vals[0..n) into a malloc'd buffer of exactly record_size bytes. */
static uint8_t *encode(const struct value *vals, unsigned n, size_t *len)
{
	size_t size = record_size(vals, n);
	uint8_t *rec = malloc(size);

	if (!rec)
		abort();
	FUZZ_CHECK(record_encode(vals, n, rec) == size);
	*len = size;
	return rec;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct value vals[RECORD_MAX_COLUMNS], again[RECORD_MAX_COLUMNS];
	struct rowfs_err err;
	uint8_t *rec = malloc(size ? size : 1), *enc1, *enc2;
	size_t len1, len2;
	unsigned c;
	int rc;

	if (!rec)
		abort();
	if (size)
		memcpy(rec, data, size);
	memset(&err, 0, sizeof(err));
	rc = record_decode(rec, size, vals, RECORD_MAX_COLUMNS, &err);
	if (rc != ROWFS_OK) {
		FUZZ_CHECK(rc == ROWFS_CORRUPT && err.rc == ROWFS_CORRUPT);
		FUZZ_CHECK(strncmp(err.msg, "corrupt record: ", 16) == 0);
		goto out_free_rec;
	}
	check_values(vals, RECORD_MAX_COLUMNS, rec, size);
	for (c = 0; c < RECORD_MAX_COLUMNS; c++)
		check_texts(&vals[c]);

	enc1 = encode(vals, RECORD_MAX_COLUMNS, &len1);
	rc = record_decode(enc1, len1, again, RECORD_MAX_COLUMNS, &err);
	if (rc != ROWFS_OK) {
		fprintf(stderr, "fuzz_record: re-encoded record does not decode: %s\n", err.msg);
		abort();
	}
	check_values(again, RECORD_MAX_COLUMNS, enc1, len1);
	for (c = 0; c < RECORD_MAX_COLUMNS; c++)
		FUZZ_CHECK(same_value(&vals[c], &again[c]));
	enc2 = encode(again, RECORD_MAX_COLUMNS, &len2);
	FUZZ_CHECK(len2 == len1 && memcmp(enc1, enc2, len1) == 0);
	free(enc2);
	free(enc1);
out_free_rec:
	free(rec);
	return 0;
}
