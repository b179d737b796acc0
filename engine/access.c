/*
 * access.c - owns the one access path of the VM over both kinds of table
 * (access.h): users' fixed-cell tree through cursor.h/btree.h, every
 * other table through table.h, rows as struct value arrays either way.
 *
 * users: keys are u32, so a key outside 0..2^32-1 is clamped at a seek
 * (seek_ge(-5) starts at 0, seek_le(2^40) at the last row) and finds
 * nothing at a point lookup.  Walking backwards seeks again from the
 * previous key (cursor_seek_le), O(depth) a row: the fixed-cell leaves
 * have no left links.
 */
#include <config.h>
#include "access.h"

#include <errno.h>
#include <string.h>

#include "btree.h"

static int is_users(const struct access *a)
{
	return a->schema->is_users;
}

void access_init(struct access *a, struct pager *pager, const struct table_schema *schema)
{
	memset(a, 0, sizeof(*a));
	a->pager = pager;
	a->schema = schema;
	a->eof = 1;
	a->ucur.eof = 1;
	if (!schema->is_users)
		table_cursor_init(&a->tcur, pager, schema->root);
}

/* Drop the cursor's page reference. */
static void unposition(struct access *a)
{
	if (is_users(a))
		cursor_release(&a->ucur);
	else
		table_cursor_release(&a->tcur);
	a->eof = 1;
}

void access_reset(struct access *a)
{
	unposition(a);
}

void access_release(struct access *a)
{
	unposition(a);
	if (!is_users(a))
		table_cursor_free(&a->tcur);
	sbuf_release(&a->buf);
}

/* Take eof and key from the cursor after a move. */
static int settle(struct access *a, int rc)
{
	if (rc) {
		a->eof = 1;
		return rc;
	}
	if (is_users(a)) {
		a->eof = cursor_eof(&a->ucur);
		if (!a->eof)
			a->key = cursor_key(&a->ucur);
	} else {
		a->eof = a->tcur.eof;
		a->key = a->tcur.key;
	}
	return ROWFS_OK;
}

int access_seek_ge(struct access *a, int64_t key, struct rowfs_err *err)
{
	unposition(a);
	if (!is_users(a))
		return settle(a, table_cursor_seek_ge(&a->tcur, key, err));
	if (key > (int64_t)UINT32_MAX)
		return ROWFS_OK;
	return settle(a, cursor_seek(a->pager, key < 0 ? 0 : (uint64_t)key, &a->ucur, err));
}

int access_seek_le(struct access *a, int64_t key, struct rowfs_err *err)
{
	unposition(a);
	if (!is_users(a))
		return settle(a, table_cursor_seek_le(&a->tcur, key, err));
	if (key < 0)
		return ROWFS_OK;
	if (key > (int64_t)UINT32_MAX)
		key = UINT32_MAX;
	return settle(a, cursor_seek_le(a->pager, (uint32_t)key, &a->ucur, err));
}

int access_next(struct access *a, struct rowfs_err *err)
{
	if (a->eof)
		return ROWFS_OK;
	if (is_users(a))
		return settle(a, cursor_advance(&a->ucur, err));
	return settle(a, table_cursor_advance(&a->tcur, err));
}

int access_prev(struct access *a, struct rowfs_err *err)
{
	if (a->eof)
		return ROWFS_OK;
	if (!is_users(a))
		return settle(a, table_cursor_retreat(&a->tcur, err));
	if (a->key == 0) {
		unposition(a);
		return ROWFS_OK;
	}
	return access_seek_le(a, a->key - 1, err);
}

/* Decode a record of a version-2 table into a->vals, the key into its column. */
static int decode_record(struct access *a, int64_t key, const uint8_t *rec, size_t len,
			 struct rowfs_err *err)
{
	const struct table_schema *t = a->schema;
	int rc = record_decode(rec, len, a->vals, t->column_count, err);

	if (rc)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database corrupt: table %s: the row of key %lld does not decode",
				     t->name, (long long)key);
	a->vals[t->key_column].type = VALUE_INTEGER;
	a->vals[t->key_column].i = key;
	return ROWFS_OK;
}

/* users: a->vals from a->row. */
static void users_values(struct access *a)
{
	memset(a->vals, 0, 2 * sizeof(a->vals[0]));
	a->vals[0].type = VALUE_INTEGER;
	a->vals[0].i = a->row.id;
	a->vals[1].type = VALUE_TEXT;
	a->vals[1].p = (const uint8_t *)a->row.username;
	a->vals[1].len = a->row.username_len;
}

int access_values(struct access *a, struct rowfs_err *err)
{
	const uint8_t *rec;
	size_t len;
	int rc;

	if (a->eof)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "access_values at eof");
	if (is_users(a)) {
		rc = cursor_row(&a->ucur, &a->row, err);
		if (rc == ROWFS_OK)
			users_values(a);
		return rc;
	}
	rc = table_cursor_record(&a->tcur, &rec, &len, err);
	return rc ? rc : decode_record(a, a->key, rec, len, err);
}

int access_get(struct access *a, int64_t key, int *found, struct rowfs_err *err)
{
	uint8_t value[ROW_SIZE];
	int rc;

	*found = 0;
	if (!is_users(a)) {
		rc = table_get(a->pager, a->schema->root, key, found, &a->buf, err);
		if (rc || !*found)
			return rc;
		return decode_record(a, key, (const uint8_t *)a->buf.data, a->buf.len, err);
	}
	if (key < 0 || key > (int64_t)UINT32_MAX)
		return ROWFS_OK;
	rc = btree_get(a->pager, (uint32_t)key, found, value, err);
	if (rc || !*found)
		return rc;
	if (row_decode(value, &a->row) != ROWFS_OK || a->row.id != (uint32_t)key) {
		*found = 0;
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database corrupt: the row under key %lld does not decode",
				     (long long)key);
	}
	users_values(a);
	return ROWFS_OK;
}

int access_contains(struct access *a, int64_t key, int *found, struct rowfs_err *err)
{
	*found = 0;
	if (!is_users(a))
		return table_contains(a->pager, a->schema->root, key, found, err);
	if (key < 0 || key > (int64_t)UINT32_MAX)
		return ROWFS_OK;
	return btree_contains(a->pager, (uint32_t)key, found, err);
}

int access_encode(const struct access *a, int64_t key, const struct value *vals,
		  struct sbuf *out, struct rowfs_err *err)
{
	const struct table_schema *t = a->schema;
	struct value copy[RECORD_MAX_COLUMNS];
	size_t size;

	out->len = 0;
	if (t->is_users) {
		struct row row;
		int rc;

		if (key < 0 || key > (int64_t)UINT32_MAX || vals[1].type != VALUE_TEXT)
			return rowfs_err_set(err, ROWFS_ERROR, 0, "not a users row");
		rc = row_set(&row, (uint32_t)key, (const char *)vals[1].p, vals[1].len, err);
		if (rc)
			return rc;
		if (sbuf_reserve(out, ROW_SIZE))
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		row_encode(&row, (uint8_t *)out->data);
		out->len = ROW_SIZE;
		return ROWFS_OK;
	}
	memcpy(copy, vals, t->column_count * sizeof(copy[0]));
	copy[t->key_column].type = VALUE_NULL;   /* the key lives in the cell */
	size = record_size(copy, t->column_count);
	if (size > TABLE_MAX_RECORD)
		return rowfs_err_set(err, ROWFS_TOOLONG, EINVAL, "Error: %s: row too large (%zu > %u)",
				     t->name, size, TABLE_MAX_RECORD);
	if (sbuf_reserve(out, size))
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	out->len = record_encode(copy, t->column_count, (uint8_t *)out->data);
	return ROWFS_OK;
}

/* users: the stored row back into a struct row for btree.h. */
static int users_row(const uint8_t *stored, size_t len, int64_t key, struct row *row,
		     struct rowfs_err *err)
{
	if (len != ROW_SIZE || row_decode(stored, row) != ROWFS_OK || row->id != key)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0, "not a users row for key %lld",
				     (long long)key);
	return ROWFS_OK;
}

int access_insert(struct access *a, int64_t key, const uint8_t *stored, size_t len,
		  struct rowfs_err *err)
{
	struct row row;
	int rc;

	if (!is_users(a))
		return table_insert(a->pager, a->schema->root, key, stored, len, err);
	rc = users_row(stored, len, key, &row, err);
	return rc ? rc : btree_insert(a->pager, &row, err);
}

int access_replace(struct access *a, int64_t key, const uint8_t *stored, size_t len,
		   struct rowfs_err *err)
{
	struct row row;
	int rc;

	if (!is_users(a))
		return table_replace(a->pager, a->schema->root, key, stored, len, err);
	rc = users_row(stored, len, key, &row, err);
	return rc ? rc : btree_update(a->pager, &row, err);
}

int access_delete(struct access *a, int64_t key, struct rowfs_err *err)
{
	if (!is_users(a))
		return table_delete(a->pager, a->schema->root, key, err);
	if (key < 0 || key > (int64_t)UINT32_MAX)
		return rowfs_err_set(err, ROWFS_NOTFOUND, ENOENT, "Error: no such key %lld.",
				     (long long)key);
	return btree_delete(a->pager, (uint32_t)key, err);
}
