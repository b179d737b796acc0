/*
 * vm.c - the virtual machine: executes compiled programs (compiler.h).
 *
 * Owns: the meaning of each opcode, the log record format of changes
 * (vm.h), reply formatting of select rows "(ID, NAME)".  A statement that
 * fails before it changes anything (duplicate key, read-only) leaves the
 * transaction usable; the opcodes are ordered so that every check comes
 * before the first change.
 */
#include <config.h>
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "btree.h"
#include "cursor.h"
#include "format.h"
#include "row.h"

static int emit_text(rowfs_emit_fn emit, void *ctx, const char *text, size_t len,
		     struct rowfs_err *err)
{
	if (emit(ctx, text, len))
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	return ROWFS_OK;
}

/* "(id, name)\n" for the row under the cursor. */
static int result_row(const struct cursor *cur, rowfs_emit_fn emit, void *ctx,
		      struct rowfs_err *err)
{
	char line[16 + USERNAME_SIZE + 8];
	struct row row;
	int n, rc = cursor_row(cur, &row, err);   /* damage: keep the output whole and in order */

	if (rc)
		return rc;
	n = snprintf(line, sizeof(line), "(%u, ", row.id);
	memcpy(line + n, row.username, row.username_len);
	memcpy(line + n + row.username_len, ")\n", 2);
	return emit_text(emit, ctx, line, (size_t)n + row.username_len + 2, err);
}

/* Log a change: op byte, three zero bytes, the row (id only for a delete). */
static int log_change(struct pager *pager, uint8_t op, const struct row *row, uint32_t id,
		      struct rowfs_err *err)
{
	uint8_t record[VM_RECORD_SIZE];

	memset(record, 0, sizeof(record));
	record[0] = op;
	if (row)
		row_encode(row, record + 4);
	else
		put_u32(record + 4 + ID_OFFSET, id);
	return pager_log(pager, record, sizeof(record), err);
}

static int op_insert(struct pager *pager, const struct op *op, struct rowfs_err *err)
{
	struct row row;
	int rc = row_set(&row, op->p1, op->text, op->text_len, err);

	if (rc == ROWFS_OK)
		rc = pager_log_room(pager, VM_RECORD_SIZE, err);
	if (rc == ROWFS_OK)
		rc = btree_insert(pager, &row, err);
	return rc ? rc : log_change(pager, VM_OP_INSERT, &row, 0, err);
}

static int op_update(struct pager *pager, const struct op *op, struct rowfs_err *err)
{
	struct row row;
	int rc = row_set(&row, op->p1, op->text, op->text_len, err);

	if (rc == ROWFS_OK)
		rc = pager_log_room(pager, VM_RECORD_SIZE, err);
	if (rc == ROWFS_OK)
		rc = btree_update(pager, &row, err);
	return rc ? rc : log_change(pager, VM_OP_UPDATE, &row, 0, err);
}

static int op_delete(struct pager *pager, uint32_t id, struct rowfs_err *err)
{
	int rc = pager_log_room(pager, VM_RECORD_SIZE, err);

	if (rc == ROWFS_OK)
		rc = btree_delete(pager, id, err);
	return rc ? rc : log_change(pager, VM_OP_DELETE, NULL, id, err);
}

int vm_run(struct vm_env *env, const struct program *prog, rowfs_emit_fn emit, void *ctx,
	   struct rowfs_err *err)
{
	struct pager *pager = env->pager;
	struct cursor cur;
	unsigned pc = 0, steps = 0;
	int rc = ROWFS_OK, have_cursor = 0, found;

	while (pc < prog->count && rc == ROWFS_OK) {
		const struct op *op = &prog->ops[pc++];

		if (++steps > 1u << 30) /* a program cannot loop more often than rows exist */
			break;
		switch (op->code) {
		case OP_HALT:
			pc = prog->count;
			break;
		case OP_WRITABLE:
			if (pager_is_read_only(pager))
				rc = rowfs_err_set(err, ROWFS_READONLY, EROFS, "Error: read-only database");
			break;
		case OP_NOT_EXISTS:
			/*
			 * An OP_INSERT of the same key right after fails with
			 * the same DUPLICATE text before changing anything: let
			 * it check, and descend the tree once instead of twice.
			 */
			if (pc < prog->count && prog->ops[pc].code == OP_INSERT &&
			    prog->ops[pc].p1 == op->p1)
				break;
			rc = btree_contains(pager, op->p1, &found, err);
			if (rc == ROWFS_OK && found)
				rc = rowfs_err_set(err, ROWFS_DUPLICATE, EEXIST,
						   "Error: duplicate key %u.", op->p1);
			break;
		case OP_INSERT:
			rc = op_insert(pager, op, err);
			break;
		case OP_EXISTS:
			rc = btree_contains(pager, op->p1, &found, err);
			if (rc == ROWFS_OK && !found)
				rc = rowfs_err_set(err, ROWFS_NOTFOUND, ENOENT,
						   "Error: no such key %u.", op->p1);
			break;
		case OP_DELETE:
			rc = op_delete(pager, op->p1, err);
			break;
		case OP_UPDATE:
			rc = op_update(pager, op, err);
			break;
		case OP_REWIND:
			if (have_cursor)
				cursor_release(&cur);
			rc = cursor_start(pager, &cur, err);
			have_cursor = 1;
			if (rc == ROWFS_OK && cursor_eof(&cur))
				pc = op->p2;
			break;
		case OP_RESULT_ROW:
			rc = result_row(&cur, emit, ctx, err);
			break;
		case OP_NEXT:
			rc = cursor_advance(&cur, err);
			if (rc == ROWFS_OK && !cursor_eof(&cur))
				pc = op->p2;
			break;
		case OP_EMIT:
			rc = emit_text(emit, ctx, op->text, op->text_len, err);
			break;
		case OP_BTREE:
			rc = btree_render(pager, emit, ctx, err);
			break;
		case OP_CONSTANTS:
			if (vm_render_constants(emit, ctx))
				rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
			break;
		case OP_STATS:
			rc = env->render_stats(env->stats_ctx, emit, ctx, err);
			break;
		case OP_CHECKPOINT:
			env->checkpoint_requested = 1;
			break;
		case OP_EXIT:
			rc = ROWFS_EXIT;
			break;
		default:
			rc = rowfs_err_set(err, ROWFS_ERROR, 0, "bad opcode %d", (int)op->code);
			break;
		}
	}
	if (have_cursor)
		cursor_release(&cur);
	return rc;
}

int vm_record_check(const uint8_t *rec, struct row *row)
{
	size_t i;

	if (rec[1] || rec[2] || rec[3])
		return ROWFS_CORRUPT;
	switch (rec[0]) {
	case VM_OP_INSERT:
	case VM_OP_UPDATE:
		return row_decode(rec + 4, row);
	case VM_OP_DELETE:
		for (i = 4 + USERNAME_OFFSET; i < VM_RECORD_SIZE; i++)
			if (rec[i])
				return ROWFS_CORRUPT;
		row->id = get_u32(rec + 4 + ID_OFFSET);
		row->username_len = 0;
		row->username[0] = '\0';
		return ROWFS_OK;
	}
	return ROWFS_CORRUPT;
}

int vm_apply_records(struct pager *pager, const uint8_t *records, uint32_t len,
		     struct rowfs_err *err)
{
	uint32_t off;
	int rc;

	if (len % VM_RECORD_SIZE)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "WAL corrupt: transaction of %u bytes is not whole records", len);
	for (off = 0; off < len; off += VM_RECORD_SIZE) {
		const uint8_t *rec = records + off;
		struct row row;

		if (vm_record_check(rec, &row) != ROWFS_OK)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "WAL corrupt: bad record at byte %u of a transaction", off);
		if (rec[0] == VM_OP_INSERT)
			rc = btree_insert(pager, &row, err);
		else if (rec[0] == VM_OP_UPDATE)
			rc = btree_update(pager, &row, err);
		else
			rc = btree_delete(pager, row.id, err);
		/* replay is idempotent: a change already made is skipped */
		if (rc && rc != ROWFS_DUPLICATE && rc != ROWFS_NOTFOUND)
			return rc;
	}
	return ROWFS_OK;
}

int vm_render_constants(rowfs_emit_fn emit, void *ctx)
{
	char text[256];
	int n = snprintf(text, sizeof(text),
			 "PAGE_SIZE: %u\nROW_SIZE: %u\nLEAF_NODE_CELL_SIZE: %u\n"
			 "LEAF_NODE_MAX_CELLS: %u\nINTERNAL_NODE_CELL_SIZE: %u\n"
			 "INTERNAL_NODE_MAX_KEYS: %u\n",
			 PAGE_SIZE, ROW_SIZE, LEAF_NODE_CELL_SIZE, LEAF_NODE_MAX_CELLS,
			 INTERNAL_NODE_CELL_SIZE, INTERNAL_NODE_MAX_KEYS);

	return emit(ctx, text, (size_t)n);
}
