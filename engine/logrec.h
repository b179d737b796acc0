/*
 * logrec.h - the framing of logical log records (the payload of a
 * WAL_FRAME_TXN frame), read once for every reader: the replay (vm.c),
 * the checker (check.c) and the salvage (salvage.c).  Pure: no pages, no
 * I/O.
 *
 * A payload is a sequence of records, each starting with its op byte
 * (format.h has both layouts):
 *   version 1 (users):  op LOG_OP_INSERT/DELETE/UPDATE, 3 zero bytes, a
 *                       ROW_SIZE-byte row: LOG_RECORD_SIZE bytes in all;
 *   version 2 (tables, DDL): op LOG_OP_TABLE_INSERT/UPDATE/DELETE,
 *                       LOG_OP_CREATE_TABLE, LOG_OP_DROP_TABLE; a
 *                       LOG_TABLE_HEADER_SIZE-byte header (op, 3 zero
 *                       bytes, root u32, key i64, payload length u32, 4
 *                       zero bytes), then the payload zero-padded to a
 *                       multiple of 8.
 * Framing rules logrec_next enforces (ROWFS_CORRUPT otherwise, with the
 * reason): a known op; the zero bytes zero (padding included); the record
 * inside the payload; TABLE_DELETE and DROP_TABLE carry no payload,
 * TABLE_INSERT/UPDATE and CREATE_TABLE carry one; TABLE_* and DROP_TABLE
 * name a root page (not 0).  What the payload holds (a record, a create
 * statement, a row) is checked by its own codec, not here; a version-1
 * row is left to row.h.
 */
#ifndef ROWFS_ENGINE_LOGREC_H
#define ROWFS_ENGINE_LOGREC_H

#include <stddef.h>
#include <stdint.h>

/* One record of a payload, as logrec_next found it. */
struct logrec {
	uint8_t op;                /* LOG_OP_* */
	uint32_t root;             /* version 2: root page field (CREATE_TABLE: as logged) */
	int64_t key;               /* version 2: key, or the catalog id of CREATE/DROP */
	const uint8_t *payload;    /* version 2: record or create statement; version 1: the row */
	uint32_t payload_len;      /* bytes at payload (version 1: ROW_SIZE) */
	size_t size;               /* bytes the whole record takes in the payload */
};

/* logrec_is_v2 - 1 for the ops of version-2 records. */
int logrec_is_v2(uint8_t op);

/*
 * logrec_next - the record at buf[off..len): fills *rec and returns
 * ROWFS_OK, or ROWFS_CORRUPT with why (a NUL-terminated reason of at most
 * why_size bytes that reads after "record N ": "has op 9", "has non-zero
 * padding", "is truncated: 12 bytes left, the record needs 40", ...) when
 * it breaks the framing rules.  The next record starts at off +
 * rec->size; after ROWFS_CORRUPT rec->size is 0 when the record's extent
 * is unknown (bad op, truncated): the rest of the payload cannot be
 * framed.
 */
int logrec_next(const uint8_t *buf, size_t len, size_t off, struct logrec *rec, char *why,
		size_t why_size);

#endif /* ROWFS_ENGINE_LOGREC_H */
