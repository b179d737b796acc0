/*
 * logrec.c - framing of the logical log records of a WAL_FRAME_TXN
 * payload (logrec.h has the rules; format.h the layouts).
 */
#include <config.h>
#include "logrec.h"

#include <stdio.h>
#include <string.h>

#include "format.h"
#include "rowfs.h"
#include "util.h"

int logrec_is_v2(uint8_t op)
{
	return op >= LOG_OP_TABLE_INSERT && op <= LOG_OP_DROP_TABLE;
}

/* 1 if p[0..n) is all zero. */
static int all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* A version-1 record at p (left bytes available, left >= 1). */
static int next_v1(const uint8_t *p, size_t left, struct logrec *rec, char *why, size_t size)
{
	if (left < LOG_RECORD_SIZE) {
		snprintf(why, size, "is truncated: %zu bytes left, the record needs %u", left,
			 LOG_RECORD_SIZE);
		return ROWFS_CORRUPT;
	}
	rec->payload = p + LOG_RECORD_ROW_OFFSET;
	rec->payload_len = ROW_SIZE;
	rec->size = LOG_RECORD_SIZE;
	if (!all_zero(p + 1, 3)) {
		snprintf(why, size, "has non-zero padding");
		return ROWFS_CORRUPT;
	}
	return ROWFS_OK;
}

/* A version-2 record at p (left bytes available, left >= 1). */
static int next_v2(const uint8_t *p, size_t left, struct logrec *rec, char *why, size_t size)
{
	uint32_t len;
	size_t padded;

	if (left < LOG_TABLE_HEADER_SIZE) {
		snprintf(why, size, "is truncated: %zu bytes left, the header needs %u", left,
			 LOG_TABLE_HEADER_SIZE);
		return ROWFS_CORRUPT;
	}
	rec->root = get_u32(p + 4);
	rec->key = (int64_t)get_u64(p + 8);
	len = get_u32(p + 16);
	padded = ((size_t)len + 7u) & ~(size_t)7u;
	if (padded > left - LOG_TABLE_HEADER_SIZE) {
		snprintf(why, size, "has a payload of %u bytes that runs past the frame (%zu bytes left)", len,
			 left - LOG_TABLE_HEADER_SIZE);
		return ROWFS_CORRUPT;
	}
	rec->payload = p + LOG_TABLE_HEADER_SIZE;
	rec->payload_len = len;
	rec->size = LOG_TABLE_HEADER_SIZE + padded;
	if (!all_zero(p + 1, 3) || !all_zero(p + 20, 4) ||
	    !all_zero(rec->payload + len, padded - len)) {
		snprintf(why, size, "has non-zero padding");
		return ROWFS_CORRUPT;
	}
	switch (rec->op) {
	case LOG_OP_TABLE_DELETE:
	case LOG_OP_DROP_TABLE:
		if (len != 0) {
			snprintf(why, size, "(op %u) carries a payload of %u bytes", rec->op, len);
			return ROWFS_CORRUPT;
		}
		break;
	default:
		if (len == 0) {
			snprintf(why, size, "(op %u) has no payload", rec->op);
			return ROWFS_CORRUPT;
		}
	}
	if (rec->op != LOG_OP_CREATE_TABLE && rec->root == 0) {
		snprintf(why, size, "(op %u) names root page 0", rec->op);
		return ROWFS_CORRUPT;
	}
	return ROWFS_OK;
}

int logrec_next(const uint8_t *buf, size_t len, size_t off, struct logrec *rec, char *why,
		size_t why_size)
{
	const uint8_t *p = buf + off;

	memset(rec, 0, sizeof(*rec));
	if (why_size)
		why[0] = '\0';
	if (off >= len) {
		snprintf(why, why_size, "is past the end (offset %zu)", off);
		return ROWFS_CORRUPT;
	}
	rec->op = p[0];
	switch (p[0]) {
	case LOG_OP_INSERT:
	case LOG_OP_DELETE:
	case LOG_OP_UPDATE:
		return next_v1(p, len - off, rec, why, why_size);
	}
	if (logrec_is_v2(p[0]))
		return next_v2(p, len - off, rec, why, why_size);
	snprintf(why, why_size, "has op %u", p[0]);
	return ROWFS_CORRUPT;
}
