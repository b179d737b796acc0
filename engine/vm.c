/*
 * vm.c - the virtual machine: executes compiled programs (compiler.h).
 *
 * Owns: the meaning of each opcode, the log record format of changes
 * (vm.h), reply formatting of select rows "(ID, NAME)" and "(v1, v2)",
 * the change-feed lines of the changes it makes, and their replay
 * (vm_apply_records).  A statement that fails before it changes anything
 * (duplicate key, read-only, a value check) leaves the transaction
 * usable; the opcodes are ordered so that every check comes before the
 * first change, and a Part 2 change op checks all its rows (keys, log
 * room) before changing the first (update and delete collect their keys
 * first: a cursor never lives across a change of its table).
 *
 * Every table is reached through access.h: users' fixed-cell tree and the
 * version-2 tables look alike (a key range walked either way, rows as
 * struct value arrays).  users keeps its 40-byte log records and feed
 * lines; other tables and the DDL log format.h's version-2 records.
 */
#include <config.h>
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "btree.h"
#include "catalog.h"
#include "cursor.h"
#include "format.h"
#include "lines.h"
#include "logrec.h"
#include "row.h"

static int emit_text(rowfs_emit_fn emit, void *ctx, const char *text, size_t len,
		     struct rowfs_err *err)
{
	if (emit(ctx, text, len))
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	return ROWFS_OK;
}

/* Hand a typed result row to the sink; its refusal is ROWFS_NOMEM. */
static int sink_row(const struct rowfs_sink *sink, const struct rowfs_value *vals, unsigned n,
		    struct rowfs_err *err)
{
	if (sink->row(sink->ctx, vals, n))
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	return ROWFS_OK;
}

/* "(id, name)\n" for the row under the cursor (a typed row with a sink). */
static int result_row(const struct cursor *cur, const struct rowfs_sink *sink, rowfs_emit_fn emit,
		      void *ctx, struct rowfs_err *err)
{
	char line[16 + USERNAME_SIZE + 8];
	struct row row;
	int n, rc = cursor_row(cur, &row, err);   /* damage: keep the output whole and in order */

	if (rc)
		return rc;
	if (sink) {
		struct rowfs_value vals[2];

		memset(vals, 0, sizeof(vals));
		vals[0].type = ROWFS_TYPE_INTEGER;
		vals[0].i = row.id;
		vals[1].type = ROWFS_TYPE_TEXT;
		vals[1].p = row.username;
		vals[1].len = row.username_len;
		return sink_row(sink, vals, 2, err);
	}
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

/* The seed's change-feed line "VERB ID[ NAME]\n", when the feed is on. */
static int feed_seed(struct sbuf *feed, const char *verb, uint32_t id, const struct row *row,
		     struct rowfs_err *err)
{
	int bad;

	if (!feed)
		return ROWFS_OK;
	bad = sbuf_printf(feed, "%s %u", verb, id);
	if (row) {
		bad |= sbuf_append(feed, " ", 1);
		bad |= sbuf_append(feed, row->username, row->username_len);
	}
	bad |= sbuf_append(feed, "\n", 1);
	return bad ? rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory") : ROWFS_OK;
}

/* ---- what the renderings see of a change (vm_env.delta) ---- */

/* Count users' row (id, name) into the delta: sign 1 it came, -1 it went. */
static void count_seed(struct vm_env *env, uint32_t id, const char *name, size_t len, int sign)
{
	struct rowfs_lines_table shape;
	struct rowfs_value vals[2];

	if (!env->delta)
		return;
	env->delta->changed = 1;
	if (!env->delta->count)
		return;
	lines_shape(&shape, 1, 0, 0, 0);
	memset(vals, 0, sizeof(vals));
	vals[0].type = ROWFS_TYPE_INTEGER;
	vals[0].i = id;
	vals[1].type = ROWFS_TYPE_TEXT;
	vals[1].p = name;
	vals[1].len = len;
	lines_count(env->delta, &shape, vals, 2, sign);
}

/* Count the row of users stored under id, if any, as gone (an update or delete follows). */
static int count_old_seed(struct vm_env *env, uint32_t id, struct rowfs_err *err)
{
	uint8_t value[ROW_SIZE];
	int found = 0;
	int rc;

	if (!env->delta || !env->delta->count)
		return ROWFS_OK;
	rc = btree_get(env->pager, id, &found, value, err);
	if (rc == ROWFS_OK && found)
		count_seed(env, id, (const char *)value + USERNAME_OFFSET, row_name_len(value), -1);
	return rc;
}

static int op_insert(struct vm_env *env, const struct op *op, struct rowfs_err *err)
{
	struct pager *pager = env->pager;
	struct row row;
	int rc = row_set(&row, op->p1, op->text, op->text_len, err);

	if (rc == ROWFS_OK)
		rc = pager_log_room(pager, VM_RECORD_SIZE, err);
	if (rc == ROWFS_OK)
		rc = btree_insert(pager, &row, err);
	if (rc == ROWFS_OK)
		rc = log_change(pager, VM_OP_INSERT, &row, 0, err);
	if (rc == ROWFS_OK)
		count_seed(env, row.id, row.username, row.username_len, 1);
	return rc ? rc : feed_seed(env->feed, "insert", row.id, &row, err);
}

static int op_update(struct vm_env *env, const struct op *op, struct rowfs_err *err)
{
	struct pager *pager = env->pager;
	struct row row;
	int rc = row_set(&row, op->p1, op->text, op->text_len, err);

	if (rc == ROWFS_OK)
		rc = pager_log_room(pager, VM_RECORD_SIZE, err);
	if (rc == ROWFS_OK)
		rc = count_old_seed(env, row.id, err);
	if (rc == ROWFS_OK)
		rc = btree_update(pager, &row, err);
	if (rc == ROWFS_OK)
		rc = log_change(pager, VM_OP_UPDATE, &row, 0, err);
	if (rc == ROWFS_OK)
		count_seed(env, row.id, row.username, row.username_len, 1);
	return rc ? rc : feed_seed(env->feed, "update", row.id, &row, err);
}

static int op_delete(struct vm_env *env, uint32_t id, struct rowfs_err *err)
{
	struct pager *pager = env->pager;
	int rc = pager_log_room(pager, VM_RECORD_SIZE, err);

	if (rc == ROWFS_OK)
		rc = count_old_seed(env, id, err);
	if (rc == ROWFS_OK)
		rc = btree_delete(pager, id, err);
	if (rc == ROWFS_OK && env->delta)
		env->delta->changed = 1;
	if (rc == ROWFS_OK)
		rc = log_change(pager, VM_OP_DELETE, NULL, id, err);
	return rc ? rc : feed_seed(env->feed, "delete", id, NULL, err);
}

/* ---- Part 2 ----------------------------------------------------------------- */

/* State of a Part 2 program while it runs. */
struct vm_state {
	struct access acc;        /* the program's table */
	int open;                 /* acc initialised */
	int have_values;          /* acc.vals hold the row under the cursor */
	uint64_t emitted;         /* result rows emitted */
	uint64_t skipped;         /* rows skipped for the offset */
	uint64_t count;           /* rows counted (count(*)) */
	int64_t *keys;            /* keys collected for update/delete */
	size_t key_count;         /* how many */
	size_t key_cap;           /* room */
	struct sbuf line;         /* a reply line */
	struct sbuf stored;       /* a stored row (record) */
	struct sbuf log;          /* a version-2 log record */
	struct rowfs_lines_table shape; /* what the sizes of acc's lines need (have_shape) */
	int have_shape;           /* shape is filled */
};

static void state_release(struct vm_state *st)
{
	if (st->open)
		access_release(&st->acc);
	free(st->keys);
	sbuf_release(&st->line);
	sbuf_release(&st->stored);
	sbuf_release(&st->log);
}

static int nomem(struct rowfs_err *err)
{
	return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
}

/* Bytes of the version-2 log record of a payload of len bytes. */
static size_t table_log_size(size_t len)
{
	return LOG_TABLE_HEADER_SIZE + ((len + 7u) & ~(size_t)7u);
}

/* Log a version-2 record: header, payload, zero padding. */
static int log_table(struct vm_state *st, struct pager *pager, uint8_t op, uint32_t root,
		     int64_t key, const void *payload, size_t len, struct rowfs_err *err)
{
	size_t size = table_log_size(len);
	uint8_t *p;

	st->log.len = 0;
	if (sbuf_reserve(&st->log, size))
		return nomem(err);
	p = (uint8_t *)st->log.data;
	memset(p, 0, size);
	p[0] = op;
	put_u32(p + 4, root);
	put_u64(p + 8, (uint64_t)key);
	put_u32(p + 16, (uint32_t)len);
	if (len)
		memcpy(p + LOG_TABLE_HEADER_SIZE, payload, len);
	return pager_log(pager, p, size, err);
}

/* Log a users change: op, three zero bytes, the 36-byte row (a delete: the key only). */
static int log_users(struct pager *pager, uint8_t op, const uint8_t *stored, int64_t key,
		     struct rowfs_err *err)
{
	uint8_t record[VM_RECORD_SIZE];

	memset(record, 0, sizeof(record));
	record[0] = op;
	if (stored)
		memcpy(record + LOG_RECORD_ROW_OFFSET, stored, ROW_SIZE);
	else
		put_u32(record + LOG_RECORD_ROW_OFFSET + ID_OFFSET, (uint32_t)key);
	return pager_log(pager, record, sizeof(record), err);
}

/* ---- the change feed's lines ---- */

/* Append the JSON string of a column's name (textform's ROWFS_FORM_JSON, as every value). */
static int json_name(struct sbuf *out, const char *name)
{
	struct value v;

	memset(&v, 0, sizeof(v));
	v.type = VALUE_TEXT;
	v.p = (const uint8_t *)name;
	v.len = strlen(name);
	return value_append_text(out, ROWFS_FORM_JSON, &v);
}

/* "VERB T KEY JSON\n" (JSON only when vals is not NULL) to the feed. */
static int feed_table(struct sbuf *feed, const char *verb, const struct table_schema *t,
		      int64_t key, const struct value *vals, struct rowfs_err *err)
{
	unsigned i;
	int bad;

	if (!feed)
		return ROWFS_OK;
	bad = sbuf_printf(feed, "%s %s %lld", verb, t->name, (long long)key);
	if (vals) {
		bad |= sbuf_append(feed, " {", 2);
		for (i = 0; i < t->column_count && !bad; i++) {
			bad |= i ? sbuf_append(feed, ",", 1) : 0;
			bad |= json_name(feed, t->columns[i].name) != ROWFS_OK;
			bad |= sbuf_append(feed, ":", 1);
			bad |= value_append_text(feed, ROWFS_FORM_JSON, &vals[i]) != ROWFS_OK;
		}
		bad |= sbuf_append(feed, "}", 1);
	}
	bad |= sbuf_append(feed, "\n", 1);
	return bad ? nomem(err) : ROWFS_OK;
}

/* users' lines: "insert ID NAME\n", "update ID NAME\n", "delete ID\n". */
static int feed_users(struct sbuf *feed, const char *verb, int64_t key, const struct value *name,
		      struct rowfs_err *err)
{
	int bad;

	if (!feed)
		return ROWFS_OK;
	bad = sbuf_printf(feed, "%s %lld", verb, (long long)key);
	if (name) {
		bad |= sbuf_append(feed, " ", 1);
		bad |= sbuf_append(feed, name->p, name->len);
	}
	bad |= sbuf_append(feed, "\n", 1);
	return bad ? nomem(err) : ROWFS_OK;
}

/* ---- row changes, logged and fed ---- */

/* Log-record bytes of inserting or replacing a row whose stored form has len bytes. */
static size_t row_log_size(const struct table_schema *t, size_t len)
{
	return t->is_users ? VM_RECORD_SIZE : table_log_size(len);
}

/* Log-record bytes of deleting a row. */
static size_t delete_log_size(const struct table_schema *t)
{
	return t->is_users ? VM_RECORD_SIZE : table_log_size(0);
}

/* Count the row vals of the program's table into the delta: sign 1 it came, -1 it went. */
static void count_values(struct vm_env *env, struct vm_state *st, const struct value *vals,
			 int sign)
{
	const struct table_schema *t = st->acc.schema;
	struct rowfs_value pub[RECORD_MAX_COLUMNS];
	size_t names = 0;
	unsigned i;

	if (!env->delta)
		return;
	env->delta->changed = 1;
	if (!env->delta->count)
		return;
	if (!st->have_shape) {
		for (i = 0; i < t->column_count && !t->is_users; i++)
			names += strlen(t->columns[i].name);
		lines_shape(&st->shape, t->is_users, strlen(t->name), t->column_count, names);
		st->have_shape = 1;
	}
	value_export(vals, t->column_count, pub);
	lines_count(env->delta, &st->shape, pub, t->column_count, sign);
}

/* Count the stored row of key, if any, as gone (a delete follows). */
static int count_old_row(struct vm_env *env, struct vm_state *st, int64_t key,
			 struct rowfs_err *err)
{
	int found = 0;
	int rc;

	if (!env->delta || !env->delta->count)
		return ROWFS_OK;
	rc = access_get(&st->acc, key, &found, err);
	if (rc == ROWFS_OK && found)
		count_values(env, st, st->acc.vals, -1);
	return rc;
}

/* Store the encoded row st->stored under key (replace: the key exists): change, log, feed. */
static int put_stored(struct vm_env *env, struct vm_state *st, int64_t key,
		      const struct value *vals, int replace, struct rowfs_err *err)
{
	const struct table_schema *t = st->acc.schema;
	const uint8_t *stored;
	int rc;

	stored = (const uint8_t *)st->stored.data;
	rc = replace ? access_replace(&st->acc, key, stored, st->stored.len, err) :
		access_insert(&st->acc, key, stored, st->stored.len, err);
	if (rc)
		return rc;
	count_values(env, st, vals, 1);   /* the row it replaces: counted by the caller */
	if (t->is_users) {
		rc = log_users(env->pager, replace ? VM_OP_UPDATE : VM_OP_INSERT, stored, key, err);
		return rc ? rc : feed_users(env->feed, replace ? "update" : "insert", key, &vals[1], err);
	}
	rc = log_table(st, env->pager, replace ? LOG_OP_TABLE_UPDATE : LOG_OP_TABLE_INSERT, t->root,
		       key, stored, st->stored.len, err);
	return rc ? rc : feed_table(env->feed, replace ? "update" : "insert", t, key, vals, err);
}

/* Insert (replace: the key exists) vals under key: change, log, feed. */
static int put_row(struct vm_env *env, struct vm_state *st, int64_t key, const struct value *vals,
		   int replace, struct rowfs_err *err)
{
	int rc = access_encode(&st->acc, key, vals, &st->stored, err);

	return rc ? rc : put_stored(env, st, key, vals, replace, err);
}

/* Delete key: change, log, feed (its row is counted as gone by the caller). */
static int remove_row(struct vm_env *env, struct vm_state *st, int64_t key, struct rowfs_err *err)
{
	const struct table_schema *t = st->acc.schema;
	int rc = access_delete(&st->acc, key, err);

	if (rc)
		return rc;
	if (env->delta)
		env->delta->changed = 1;
	if (t->is_users) {
		rc = log_users(env->pager, VM_OP_DELETE, NULL, key, err);
		return rc ? rc : feed_users(env->feed, "delete", key, NULL, err);
	}
	rc = log_table(st, env->pager, LOG_OP_TABLE_DELETE, t->root, key, NULL, 0, err);
	return rc ? rc : feed_table(env->feed, "delete", t, key, NULL, err);
}

static int duplicate(int64_t key, struct rowfs_err *err)
{
	return rowfs_err_set(err, ROWFS_DUPLICATE, EEXIST, "Error: duplicate key %lld.",
			     (long long)key);
}

/* Open the program's table once. */
static void state_open(struct vm_state *st, struct pager *pager, const struct program *prog)
{
	if (st->open)
		return;
	access_init(&st->acc, pager, prog->table);
	st->open = 1;
}

/* *max = the largest key of the table (*found = 0 when it is empty). */
static int max_key(struct vm_state *st, int64_t *max, int *found, struct rowfs_err *err)
{
	int rc = access_seek_le(&st->acc, INT64_MAX, err);

	*found = rc == ROWFS_OK && !st->acc.eof;
	*max = *found ? st->acc.key : 0;
	access_reset(&st->acc);   /* changes follow */
	return rc;
}

/* A key pair for the duplicate search: the key and the row it belongs to. */
struct key_row {
	int64_t key;
	unsigned row;
};

static int cmp_key_row(const void *a, const void *b)
{
	const struct key_row *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Keys of insert's rows: the given ones, NULL keys assigned as max + 1 (as sqlite does). */
static int assign_keys(struct vm_state *st, const struct plan *plan, int64_t *keys,
		       struct rowfs_err *err)
{
	const struct table_schema *t = st->acc.schema;
	int64_t running = 0, limit = t->is_users ? (int64_t)UINT32_MAX : INT64_MAX;
	int have_running = 0, table_max_read = 0, found;
	unsigned r;
	int rc;

	for (r = 0; r < plan->row_count; r++) {
		const struct value *v = &plan->rows[(size_t)r * t->column_count + t->key_column];

		if (v->type == VALUE_NULL && !table_max_read) {
			int64_t max;

			rc = max_key(st, &max, &found, err);
			if (rc)
				return rc;
			table_max_read = 1;
			if (found && (!have_running || max > running))
				running = max;
			have_running |= found;
		}
		if (v->type == VALUE_NULL) {
			if (have_running && running >= limit)
				return rowfs_err_set(err, ROWFS_RANGE, 0, "Error: %s.%s: no key left",
						     t->name, t->columns[t->key_column].name);
			keys[r] = have_running ? running + 1 : 1;
		} else {
			keys[r] = v->i;
		}
		if (!have_running || keys[r] > running)
			running = keys[r];
		have_running = 1;
	}
	return ROWFS_OK;
}

/* The first row (in statement order) whose key is taken: by an earlier row or in the table. */
static int check_insert_keys(struct vm_state *st, const int64_t *keys, unsigned n,
			     struct rowfs_err *err)
{
	struct key_row *sorted = malloc((n ? n : 1) * sizeof(*sorted));
	unsigned r, first = n;
	int rc = ROWFS_OK, found;

	if (!sorted)
		return nomem(err);
	for (r = 0; r < n; r++) {
		sorted[r].key = keys[r];
		sorted[r].row = r;
	}
	qsort(sorted, n, sizeof(*sorted), cmp_key_row);
	for (r = 1; r < n; r++)
		if (sorted[r].key == sorted[r - 1].key && sorted[r].row < first)
			first = sorted[r].row;
	free(sorted);
	for (r = 0; r < first && rc == ROWFS_OK; r++) {
		rc = access_contains(&st->acc, keys[r], &found, err);
		if (rc == ROWFS_OK && found)
			first = r;
	}
	if (rc)
		return rc;
	return first < n ? duplicate(keys[first], err) : ROWFS_OK;
}

/*
 * rc, the failure of a check that ranks after the duplicate search, when
 * that search was left to the insert itself (late_keys): the duplicate
 * error instead if a key is taken, as when the keys are checked first.
 */
static int late_duplicate(struct vm_state *st, const int64_t *keys, unsigned n, int late_keys,
			  int rc, struct rowfs_err *err)
{
	struct rowfs_err dup;

	if (rc != ROWFS_OK && late_keys && check_insert_keys(st, keys, n, &dup) != ROWFS_OK) {
		*err = dup;
		return dup.rc;
	}
	return rc;
}

/* Keys of an insert kept on the stack (more rows: malloc). */
#define INSERT_STACK_KEYS 16u

/*
 * insert: the keys, the checks, then the rows.  A single row of a version-2
 * table is not looked up first: table_insert finds its duplicate key in
 * the one descent it makes anyway, before it changes anything, and fails
 * with the same error (late_keys); the users table and several rows (a
 * later row's duplicate must stop the earlier ones) are checked first.
 */
static int op_insert_rows(struct vm_env *env, struct vm_state *st, const struct program *prog,
			  struct rowfs_err *err)
{
	const struct plan *plan = prog->plan;
	const struct table_schema *t = prog->table;
	unsigned n = plan->row_count, r, width = t->column_count;
	int late_keys = n == 1 && !t->is_users;
	int64_t stack_keys[INSERT_STACK_KEYS];
	int64_t *keys = n <= INSERT_STACK_KEYS ? stack_keys : malloc(n * sizeof(*keys));
	struct value vals[RECORD_MAX_COLUMNS];
	size_t room = 0;
	int rc;

	if (!keys)
		return nomem(err);
	state_open(st, env->pager, prog);
	access_reset(&st->acc);
	rc = assign_keys(st, plan, keys, err);
	if (rc == ROWFS_OK && !late_keys)
		rc = check_insert_keys(st, keys, n, err);
	for (r = 0; r < n && rc == ROWFS_OK; r++) {
		memcpy(vals, plan->rows + (size_t)r * width, width * sizeof(vals[0]));
		vals[t->key_column].type = VALUE_NULL;
		room += row_log_size(t, t->is_users ? ROW_SIZE : record_size(vals, width));
	}
	if (rc == ROWFS_OK)
		rc = late_duplicate(st, keys, n, late_keys,
				    pager_log_room(env->pager, room, err), err);
	/* every check is done (late_keys: but the duplicate): from here on only I/O can fail */
	for (r = 0; r < n && rc == ROWFS_OK; r++) {
		memcpy(vals, plan->rows + (size_t)r * width, width * sizeof(vals[0]));
		vals[t->key_column].type = VALUE_INTEGER;
		vals[t->key_column].i = keys[r];
		rc = late_duplicate(st, keys, n, late_keys,
				    access_encode(&st->acc, keys[r], vals, &st->stored, err), err);
		if (rc == ROWFS_OK)
			rc = put_stored(env, st, keys[r], vals, 0, err);
	}
	if (keys != stack_keys)
		free(keys);
	return rc;
}

/* vals (the row of key) with plan's assignments applied. */
static void apply_sets(const struct plan *plan, const struct table_schema *t,
		       const struct value *old, struct value *vals)
{
	unsigned i;

	memcpy(vals, old, t->column_count * sizeof(vals[0]));
	for (i = 0; i < plan->set_count; i++)
		vals[plan->sets[i].column] = plan->sets[i].value;
}

/* Read the collected row key into vals with the assignments applied. */
static int updated_row(struct vm_state *st, const struct plan *plan, int64_t key,
		       struct value *vals, struct rowfs_err *err)
{
	int found, rc = access_get(&st->acc, key, &found, err);

	if (rc == ROWFS_OK && !found)
		rc = rowfs_err_set(err, ROWFS_CORRUPT, 0, "database corrupt: key %lld vanished",
				   (long long)key);
	if (rc == ROWFS_OK)
		apply_sets(plan, st->acc.schema, st->acc.vals, vals);
	return rc;
}

static int op_update_rows(struct vm_env *env, struct vm_state *st, const struct program *prog,
			  struct rowfs_err *err)
{
	const struct plan *plan = prog->plan;
	const struct table_schema *t = prog->table;
	struct value vals[RECORD_MAX_COLUMNS];
	int64_t new_key = plan->sets_key_value;
	size_t i, room = 0;
	int rc = ROWFS_OK, found;

	state_open(st, env->pager, prog);
	access_reset(&st->acc);   /* the loop's cursor: changes follow */
	if (plan->sets_key && st->key_count > 1)
		return duplicate(new_key, err);   /* every row would get the same key */
	if (plan->sets_key && st->key_count == 1 && st->keys[0] != new_key) {
		rc = access_contains(&st->acc, new_key, &found, err);
		if (rc == ROWFS_OK && found)
			rc = duplicate(new_key, err);
	}
	for (i = 0; i < st->key_count && rc == ROWFS_OK; i++) {
		int moves = plan->sets_key && st->keys[i] != new_key;

		rc = updated_row(st, plan, st->keys[i], vals, err);
		if (rc)
			break;
		vals[t->key_column].type = VALUE_NULL;
		room += row_log_size(t, t->is_users ? ROW_SIZE : record_size(vals, t->column_count));
		if (moves)
			room += delete_log_size(t);
	}
	if (rc == ROWFS_OK)
		rc = pager_log_room(env->pager, room, err);
	/* every check is done: from here on only I/O can fail */
	for (i = 0; i < st->key_count && rc == ROWFS_OK; i++) {
		int64_t key = st->keys[i], to = plan->sets_key ? new_key : key;

		rc = updated_row(st, plan, key, vals, err);
		if (rc)
			break;
		count_values(env, st, st->acc.vals, -1);   /* the old row goes */
		vals[t->key_column].type = VALUE_INTEGER;
		vals[t->key_column].i = to;
		if (to == key) {
			rc = put_row(env, st, key, vals, 1, err);
		} else {
			rc = remove_row(env, st, key, err);
			if (rc == ROWFS_OK)
				rc = put_row(env, st, to, vals, 0, err);
		}
	}
	return rc;
}

static int op_delete_rows(struct vm_env *env, struct vm_state *st, const struct program *prog,
			  struct rowfs_err *err)
{
	size_t i;
	int rc;

	state_open(st, env->pager, prog);
	access_reset(&st->acc);   /* the loop's cursor: changes follow */
	rc = pager_log_room(env->pager, st->key_count * delete_log_size(prog->table), err);
	for (i = 0; i < st->key_count && rc == ROWFS_OK; i++) {
		rc = count_old_row(env, st, st->keys[i], err);
		if (rc == ROWFS_OK)
			rc = remove_row(env, st, st->keys[i], err);
	}
	return rc;
}

static int op_create_table(struct vm_env *env, struct vm_state *st, const struct program *prog,
			   struct rowfs_err *err)
{
	const char *sql = prog->plan->schema.sql;
	size_t len = strlen(sql);
	const struct table_schema *t;
	int rc = pager_log_room(env->pager, table_log_size(len), err);

	if (rc == ROWFS_OK)
		rc = catalog_create_table(env->pager, env->catalog, pager_catalog_root(env->pager), sql,
					  len, &t, err);
	if (rc)
		return rc;
	env->catalog_changed = 1;
	env->ddl_table = t->id;
	rc = log_table(st, env->pager, LOG_OP_CREATE_TABLE, t->root, t->id, sql, len, err);
	if (rc == ROWFS_OK && env->feed && sbuf_printf(env->feed, "create %s\n", t->name))
		rc = nomem(err);
	return rc;
}

static int op_drop_table(struct vm_env *env, struct vm_state *st, const struct program *prog,
			 struct rowfs_err *err)
{
	const struct table_schema *t = catalog_find_id(env->catalog, prog->plan->table_id);
	char name[NAME_MAX_LEN + 1];
	uint32_t root;
	int rc;

	if (!t)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "drop: the table is gone");
	memcpy(name, t->name, sizeof(name));
	root = t->root;
	rc = pager_log_room(env->pager, table_log_size(0), err);
	if (rc == ROWFS_OK)
		rc = catalog_drop_table(env->pager, env->catalog, pager_catalog_root(env->pager),
					prog->plan->table_id, err);
	if (rc)
		return rc;
	env->catalog_changed = 1;
	env->ddl_table = prog->plan->table_id;
	rc = log_table(st, env->pager, LOG_OP_DROP_TABLE, root, prog->plan->table_id, NULL, 0, err);
	if (rc == ROWFS_OK && env->feed && sbuf_printf(env->feed, "drop %s\n", name))
		rc = nomem(err);
	return rc;
}

/* ---- reading ---- */

/* 1 if the cursor is on a row inside the plan's key range. */
static int in_range(const struct vm_state *st, const struct plan *plan)
{
	return !st->acc.eof && st->acc.key >= plan->lo && st->acc.key <= plan->hi;
}

/* OP_OPEN: 1 when a row of the range is under the cursor. */
static int op_open(struct vm_env *env, struct vm_state *st, const struct program *prog,
		   int *found, struct rowfs_err *err)
{
	const struct plan *plan = prog->plan;
	int rc;

	state_open(st, env->pager, prog);
	st->have_values = 0;
	*found = 0;
	if (plan->empty)
		return ROWFS_OK;
	rc = plan->desc ? access_seek_le(&st->acc, plan->hi, err) :
		access_seek_ge(&st->acc, plan->lo, err);
	*found = rc == ROWFS_OK && in_range(st, plan);
	return rc;
}

static int op_step(struct vm_state *st, const struct program *prog, int *found,
		   struct rowfs_err *err)
{
	int rc = prog->plan->desc ? access_prev(&st->acc, err) : access_next(&st->acc, err);

	st->have_values = 0;
	*found = rc == ROWFS_OK && in_range(st, prog->plan);
	return rc;
}

/* Decode the row under the cursor once. */
static int row_values(struct vm_state *st, struct rowfs_err *err)
{
	int rc;

	if (st->have_values)
		return ROWFS_OK;
	rc = access_values(&st->acc, err);
	st->have_values = rc == ROWFS_OK;
	return rc;
}

/* Does v satisfy f (SQL's NULL rule: only is [not] null matches a NULL)? */
static int filter_match(const struct value *v, const struct plan_filter *f)
{
	int cmp;

	if (f->op == PRED_IS_NULL)
		return v->type == VALUE_NULL;
	if (f->op == PRED_IS_NOT_NULL)
		return v->type != VALUE_NULL;
	if (v->type == VALUE_NULL)
		return 0;
	cmp = value_compare(v, &f->a);
	switch (f->op) {
	case PRED_EQ:
		return cmp == 0;
	case PRED_NE:
		return cmp != 0;
	case PRED_LT:
		return cmp < 0;
	case PRED_LE:
		return cmp <= 0;
	case PRED_GT:
		return cmp > 0;
	case PRED_GE:
		return cmp >= 0;
	case PRED_BETWEEN:
		return cmp >= 0 && value_compare(v, &f->b) <= 0;
	default:
		return 0;
	}
}

static int op_filter(struct vm_state *st, const struct program *prog, int *match,
		     struct rowfs_err *err)
{
	const struct plan *plan = prog->plan;
	unsigned i;
	int rc = row_values(st, err);

	*match = 0;
	if (rc)
		return rc;
	for (i = 0; i < plan->filter_count; i++)
		if (!filter_match(&st->acc.vals[plan->filters[i].column], &plan->filters[i]))
			return ROWFS_OK;
	*match = 1;
	return ROWFS_OK;
}

/* OP_RESULT with a sink: the row's plan->columns as typed values. */
static int op_result_typed(struct vm_state *st, const struct program *prog,
			   const struct rowfs_sink *sink, struct rowfs_err *err)
{
	const struct plan *plan = prog->plan;
	struct rowfs_value vals[RECORD_MAX_COLUMNS];
	unsigned i;

	for (i = 0; i < plan->column_count && i < RECORD_MAX_COLUMNS; i++)
		value_export(&st->acc.vals[plan->columns[i]], 1, &vals[i]);
	return sink_row(sink, vals, i, err);
}

/* OP_RESULT: *done = 1 once limit rows are out. */
static int op_result(struct vm_state *st, const struct program *prog,
		     const struct rowfs_sink *sink, rowfs_emit_fn emit, void *ctx, int *done,
		     struct rowfs_err *err)
{
	const struct plan *plan = prog->plan;
	unsigned i;
	int rc, bad;

	*done = st->emitted >= plan->limit;
	if (*done)
		return ROWFS_OK;
	if (st->skipped < plan->offset) {
		st->skipped++;
		return ROWFS_OK;
	}
	rc = row_values(st, err);
	if (rc)
		return rc;
	if (sink) {
		st->emitted++;
		*done = st->emitted >= plan->limit;
		return op_result_typed(st, prog, sink, err);
	}
	st->line.len = 0;
	bad = sbuf_append(&st->line, "(", 1);
	for (i = 0; i < plan->column_count && !bad; i++) {
		if (i)
			bad |= sbuf_append(&st->line, ", ", 2);
		bad |= value_append_reply(&st->line, &st->acc.vals[plan->columns[i]]) != ROWFS_OK;
	}
	bad |= sbuf_append(&st->line, ")\n", 2);
	if (bad)
		return nomem(err);
	st->emitted++;
	*done = st->emitted >= plan->limit;
	return emit_text(emit, ctx, st->line.data, st->line.len, err);
}

static int op_result_count(struct vm_state *st, const struct program *prog,
			   const struct rowfs_sink *sink, rowfs_emit_fn emit, void *ctx,
			   struct rowfs_err *err)
{
	const struct plan *plan = prog->plan;
	char text[32];
	int n;

	if (sink && (plan->offset > 0 || plan->limit == 0))
		return ROWFS_OK;   /* no row */
	if (sink) {
		struct rowfs_value count;

		memset(&count, 0, sizeof(count));
		count.type = ROWFS_TYPE_INTEGER;
		count.i = (int64_t)st->count;
		return sink_row(sink, &count, 1, err);
	}
	if (plan->offset > 0 || plan->limit == 0)
		return emit_text(emit, ctx, "(no rows)\n", 10, err);
	n = snprintf(text, sizeof(text), "(%llu)\n", (unsigned long long)st->count);
	return emit_text(emit, ctx, text, (size_t)n, err);
}

static int op_collect(struct vm_state *st, struct rowfs_err *err)
{
	if (st->key_count == st->key_cap) {
		size_t cap = st->key_cap ? st->key_cap * 2 : 64;
		int64_t *keys = realloc(st->keys, cap * sizeof(*keys));

		if (!keys)
			return nomem(err);
		st->keys = keys;
		st->key_cap = cap;
	}
	st->keys[st->key_count++] = st->acc.key;
	return ROWFS_OK;
}

static int op_tables(struct vm_env *env, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err)
{
	unsigned i;
	int rc = ROWFS_OK;

	for (i = 0; i < catalog_count(env->catalog) && rc == ROWFS_OK; i++) {
		const struct table_schema *t = catalog_at(env->catalog, i);
		char line[NAME_MAX_LEN + 2];
		size_t len = strlen(t->name);

		memcpy(line, t->name, len);
		line[len] = '\n';
		rc = emit_text(emit, ctx, line, len + 1, err);
	}
	return rc;
}

/* "SQL;\n" of t. */
static int schema_line(struct vm_state *st, const struct table_schema *t, rowfs_emit_fn emit,
		       void *ctx, struct rowfs_err *err)
{
	st->line.len = 0;
	if (sbuf_printf(&st->line, "%s;\n", t->sql))
		return nomem(err);
	return emit_text(emit, ctx, st->line.data, st->line.len, err);
}

static int op_schema(struct vm_env *env, struct vm_state *st, const struct program *prog,
		     rowfs_emit_fn emit, void *ctx, struct rowfs_err *err)
{
	unsigned i;
	int rc = ROWFS_OK;

	if (prog->table)
		return schema_line(st, prog->table, emit, ctx, err);
	for (i = 0; i < catalog_count(env->catalog) && rc == ROWFS_OK; i++)
		rc = schema_line(st, catalog_at(env->catalog, i), emit, ctx, err);
	return rc;
}

/*
 * One Part 2 opcode; *pc may jump.  Returns the op's result.
 */
static int run_part2(struct vm_env *env, struct vm_state *st, const struct program *prog,
		     const struct op *op, unsigned *pc, rowfs_emit_fn emit, void *ctx,
		     struct rowfs_err *err)
{
	int rc = ROWFS_OK, flag = 0;

	switch (op->code) {
	case OP_CREATE_TABLE:
		return op_create_table(env, st, prog, err);
	case OP_DROP_TABLE:
		return op_drop_table(env, st, prog, err);
	case OP_INSERT_ROWS:
		return op_insert_rows(env, st, prog, err);
	case OP_OPEN:
		rc = op_open(env, st, prog, &flag, err);
		if (rc == ROWFS_OK && !flag)
			*pc = op->p2;
		return rc;
	case OP_FILTER:
		rc = op_filter(st, prog, &flag, err);
		if (rc == ROWFS_OK && !flag)
			*pc = op->p2;
		return rc;
	case OP_RESULT:
		rc = op_result(st, prog, env->sink, emit, ctx, &flag, err);
		if (rc == ROWFS_OK && flag)
			*pc = op->p2;
		return rc;
	case OP_COUNT:
		st->count++;
		return ROWFS_OK;
	case OP_COLLECT:
		return op_collect(st, err);
	case OP_STEP:
		rc = op_step(st, prog, &flag, err);
		if (rc == ROWFS_OK && flag)
			*pc = op->p2;
		return rc;
	case OP_NO_ROWS:
		if (env->sink || st->emitted)
			return ROWFS_OK;
		return emit_text(emit, ctx, "(no rows)\n", 10, err);
	case OP_RESULT_COUNT:
		return op_result_count(st, prog, env->sink, emit, ctx, err);
	case OP_UPDATE_ROWS:
		return op_update_rows(env, st, prog, err);
	case OP_DELETE_ROWS:
		return op_delete_rows(env, st, prog, err);
	case OP_TABLES:
		return op_tables(env, emit, ctx, err);
	case OP_SCHEMA:
		return op_schema(env, st, prog, emit, ctx, err);
	default:
		return rowfs_err_set(err, ROWFS_ERROR, 0, "bad opcode %d", (int)op->code);
	}
}

int vm_run(struct vm_env *env, const struct program *prog, rowfs_emit_fn emit, void *ctx,
	   struct rowfs_err *err)
{
	struct pager *pager = env->pager;
	struct vm_state st;
	struct cursor cur;
	unsigned pc = 0, steps = 0;
	int rc = ROWFS_OK, have_cursor = 0, found;

	memset(&st, 0, sizeof(st));
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
			rc = op_insert(env, op, err);
			break;
		case OP_EXISTS:
			rc = btree_contains(pager, op->p1, &found, err);
			if (rc == ROWFS_OK && !found)
				rc = rowfs_err_set(err, ROWFS_NOTFOUND, ENOENT,
						   "Error: no such key %u.", op->p1);
			break;
		case OP_DELETE:
			rc = op_delete(env, op->p1, err);
			break;
		case OP_UPDATE:
			rc = op_update(env, op, err);
			break;
		case OP_REWIND:
			if (have_cursor)
				cursor_release(&cur);
			rc = cursor_start(pager, &cur, err);
			have_cursor = 1;
			/* empty: "(empty table)" at p2, or no row at all for a sink */
			if (rc == ROWFS_OK && cursor_eof(&cur))
				pc = env->sink ? prog->count : op->p2;
			break;
		case OP_RESULT_ROW:
			rc = result_row(&cur, env->sink, emit, ctx, err);
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
			rc = run_part2(env, &st, prog, op, &pc, emit, ctx, err);
			break;
		}
	}
	if (have_cursor)
		cursor_release(&cur);
	state_release(&st);
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

/* Replay one users record (40 bytes, checked). */
static int apply_users_record(struct pager *pager, const uint8_t *rec, const struct row *row,
			      struct rowfs_err *err)
{
	if (rec[0] == VM_OP_INSERT)
		return btree_insert(pager, row, err);
	if (rec[0] == VM_OP_UPDATE)
		return btree_update(pager, row, err);
	return btree_delete(pager, row->id, err);
}

/* Replay one version-2 record (framed by logrec_next). */
static int apply_table_record(struct pager *pager, struct catalog *cat, const struct logrec *rec,
			      size_t off, struct rowfs_err *err)
{
	const struct table_schema *t;
	int rc;

	if (rec->op == LOG_OP_CREATE_TABLE) {
		rc = catalog_create_table(pager, cat, pager_catalog_root(pager),
					  (const char *)rec->payload, rec->payload_len, &t, err);
		if (rc == ROWFS_OK && (t->id != rec->key || (rec->root && t->root != rec->root)))
			rc = rowfs_err_set(err, ROWFS_CORRUPT, 0,
					   "WAL corrupt: table %s was created as id %lld at page %u, "
					   "logged as id %lld at page %u", t->name, (long long)t->id,
					   t->root, (long long)rec->key, rec->root);
		return rc;
	}
	t = catalog_find_root(cat, rec->root);
	if (!t || (rec->op == LOG_OP_DROP_TABLE && t->id != rec->key))
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "WAL corrupt: the record at byte %zu names page %u, no table's root",
				     off, rec->root);
	switch (rec->op) {
	case LOG_OP_TABLE_INSERT:
		return table_insert(pager, rec->root, rec->key, rec->payload, rec->payload_len, err);
	case LOG_OP_TABLE_UPDATE:
		return table_replace(pager, rec->root, rec->key, rec->payload, rec->payload_len, err);
	case LOG_OP_TABLE_DELETE:
		return table_delete(pager, rec->root, rec->key, err);
	default:
		return catalog_drop_table(pager, cat, pager_catalog_root(pager), rec->key, err);
	}
}

int vm_apply_records(struct pager *pager, struct catalog *cat, const uint8_t *records,
		     uint32_t len, struct rowfs_err *err)
{
	struct logrec rec;
	char why[128];
	size_t off;
	int rc;

	for (off = 0; off < len; off += rec.size) {
		const uint8_t *raw = records + off;
		struct row row;

		if (logrec_next(records, len, off, &rec, why, sizeof(why)) != ROWFS_OK)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "WAL corrupt: the record at byte %zu of a transaction %s", off,
					     why);
		if (logrec_is_v2(rec.op)) {
			rc = apply_table_record(pager, cat, &rec, off, err);
			/* a logged create that does not parse or check: the log, not a statement, is wrong */
			if (rc && !rowfs_rc_is_fatal(rc) && rec.op == LOG_OP_CREATE_TABLE) {
				char cause[sizeof(err->msg)];

				memcpy(cause, err->msg, sizeof(cause));
				return rowfs_err_set(err, ROWFS_CORRUPT, 0,
						     "WAL corrupt: the create table record at byte %zu: %.80s",
						     off, cause);
			}
			if (rc && (rec.op == LOG_OP_CREATE_TABLE || rec.op == LOG_OP_DROP_TABLE))
				return rc;   /* the catalog would differ from the original run's */
		} else {
			if (vm_record_check(raw, &row) != ROWFS_OK)
				return rowfs_err_set(err, ROWFS_CORRUPT, 0,
						     "WAL corrupt: bad record at byte %zu of a transaction",
						     off);
			rc = apply_users_record(pager, raw, &row, err);
		}
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
