/*
 * compiler.c - owns the translation of a parsed statement into a VM
 * program, and the errors that need no rows: username too long, unknown
 * meta-command, and for Part 2 the resolution of every table and column
 * name against the catalog, the check of every literal against its
 * column (catalog_check_value), and the split of where into a key range
 * (the key predicates but !=, integer or real bounds made exact integer
 * bounds) and filters (the rest).
 *
 * The programs, in SQLite's EXPLAIN layout (addr, opcode, p1, p2, text):
 *
 *   insert ID NAME
 *     0  OP_WRITABLE                         fail if read-only
 *     1  OP_NOT_EXISTS  ID                   fail with "duplicate key ID."
 *     2  OP_INSERT      ID        NAME       (text_len = name length)
 *     3  OP_EMIT                  "Executed.\n"
 *     4  OP_HALT
 *
 *   update ID NAME
 *     0  OP_WRITABLE
 *     1  OP_EXISTS      ID                   fail with "no such key ID."
 *     2  OP_UPDATE      ID        NAME
 *     3  OP_EMIT                  "Executed.\n"
 *     4  OP_HALT
 *
 *   delete ID
 *     0  OP_WRITABLE
 *     1  OP_EXISTS      ID
 *     2  OP_DELETE      ID
 *     3  OP_EMIT                  "Executed.\n"
 *     4  OP_HALT
 *
 *   select
 *     0  OP_REWIND          4                empty table: jump to 4
 *     1  OP_RESULT_ROW                       "(ID, NAME)\n"
 *     2  OP_NEXT            1                more rows: jump to 1
 *     3  OP_HALT
 *     4  OP_EMIT                  "(empty table)\n"
 *     5  OP_HALT
 *
 *   .btree / .constants / .stats
 *     0  OP_BTREE / OP_CONSTANTS / OP_STATS
 *     1  OP_HALT
 *
 *   .checkpoint
 *     0  OP_WRITABLE
 *     1  OP_CHECKPOINT
 *     2  OP_EMIT                  "Executed.\n"
 *     3  OP_HALT
 *
 *   .exit
 *     0  OP_EXIT
 *
 *   (blank line)
 *     0  OP_HALT
 *
 * Meta-command names match ASCII case-insensitively, like the keywords
 * (".EXIT" is ".exit").  Errors:
 *   NAME longer than USERNAME_SIZE  "Error: username too long (33 > 32)"  TOOLONG
 *   unknown meta-command            "Unrecognized meta-command: .drop"    META
 * The name in the META text is cut at a UTF-8 character boundary when it
 * does not fit in struct rowfs_err's msg.
 *
 * Texts of OP_EMIT are static; OP_INSERT's text points into the line the
 * statement was parsed from, so the program lives no longer than the line.
 */
#include <config.h>
#include "compiler.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

#define EXECUTED "Executed.\n"
#define EMPTY_TABLE "(empty table)\n"

/* Longest meta-command name quoted in the error text (msg has 256 bytes). */
#define META_NAME_SHOWN 200u

/* Append an op to prog and return its address; the programs above all fit. */
static unsigned emit_op(struct program *prog, enum opcode code, uint32_t p1, uint32_t p2,
			const char *text, size_t text_len)
{
	struct op *op;

	assert(prog->count < PROGRAM_MAX_OPS);
	op = &prog->ops[prog->count];

	op->code = code;
	op->p1 = p1;
	op->p2 = p2;
	op->text = text;
	op->text_len = text_len;
	return prog->count++;
}

/* Append an op with a constant text. */
#define EMIT_TEXT(prog, str) emit_op((prog), OP_EMIT, 0, 0, (str), sizeof(str) - 1)

/* 1 if name[0..len) equals kw (lower case), ASCII case-insensitively. */
static int name_is(const char *name, size_t len, const char *kw)
{
	size_t i;

	if (len != strlen(kw))
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != kw[i])
			return 0;
	}
	return 1;
}

static int compile_insert(const struct statement *stmt, struct program *prog,
			  struct rowfs_err *err)
{
	if (stmt->name_len > USERNAME_SIZE)
		return rowfs_err_set(err, ROWFS_TOOLONG, 0, "Error: username too long (%zu > %u)",
				     stmt->name_len, USERNAME_SIZE);
	emit_op(prog, OP_WRITABLE, 0, 0, NULL, 0);
	emit_op(prog, OP_NOT_EXISTS, stmt->id, 0, NULL, 0);
	emit_op(prog, OP_INSERT, stmt->id, 0, stmt->name, stmt->name_len);
	EMIT_TEXT(prog, EXECUTED);
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
	return ROWFS_OK;
}

/* update and delete: the key must exist. */
static int compile_change(const struct statement *stmt, struct program *prog,
			  struct rowfs_err *err)
{
	int update = stmt->type == STMT_UPDATE;

	if (update && stmt->name_len > USERNAME_SIZE)
		return rowfs_err_set(err, ROWFS_TOOLONG, 0, "Error: username too long (%zu > %u)",
				     stmt->name_len, USERNAME_SIZE);
	emit_op(prog, OP_WRITABLE, 0, 0, NULL, 0);
	emit_op(prog, OP_EXISTS, stmt->id, 0, NULL, 0);
	if (update)
		emit_op(prog, OP_UPDATE, stmt->id, 0, stmt->name, stmt->name_len);
	else
		emit_op(prog, OP_DELETE, stmt->id, 0, NULL, 0);
	EMIT_TEXT(prog, EXECUTED);
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
	return ROWFS_OK;
}

static void compile_select(struct program *prog)
{
	unsigned rewind, loop;

	rewind = emit_op(prog, OP_REWIND, 0, 0, NULL, 0);
	loop = emit_op(prog, OP_RESULT_ROW, 0, 0, NULL, 0);
	emit_op(prog, OP_NEXT, 0, loop, NULL, 0);
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
	prog->ops[rewind].p2 = EMIT_TEXT(prog, EMPTY_TABLE);
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
}

/* Length of the prefix of name[0..len) shown in an error: at most max bytes, whole characters. */
static size_t shown_len(const char *name, size_t len, size_t max)
{
	if (len <= max)
		return len;
	len = max;
	/* Back off continuation bytes so a multi-byte character is not cut. */
	while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80)
		len--;
	return len;
}

static int compile_meta(const struct statement *stmt, struct program *prog,
			struct rowfs_err *err)
{
	const char *name = stmt->meta;
	size_t len = stmt->meta_len;

	if (name_is(name, len, ".btree")) {
		emit_op(prog, OP_BTREE, 0, 0, NULL, 0);
	} else if (name_is(name, len, ".constants")) {
		emit_op(prog, OP_CONSTANTS, 0, 0, NULL, 0);
	} else if (name_is(name, len, ".stats")) {
		emit_op(prog, OP_STATS, 0, 0, NULL, 0);
	} else if (name_is(name, len, ".checkpoint")) {
		emit_op(prog, OP_WRITABLE, 0, 0, NULL, 0);
		emit_op(prog, OP_CHECKPOINT, 0, 0, NULL, 0);
		EMIT_TEXT(prog, EXECUTED);
	} else if (name_is(name, len, ".exit")) {
		emit_op(prog, OP_EXIT, 0, 0, NULL, 0);
		return ROWFS_OK;
	} else {
		return rowfs_err_set(err, ROWFS_META, 0, "Unrecognized meta-command: %.*s",
				     (int)shown_len(name, len, META_NAME_SHOWN), name);
	}
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
	return ROWFS_OK;
}

/* ---- Part 2: the SQL subset ---------------------------------------------- */

#define NO_ROWS "(no rows)\n"

/* Programs of Part 2 (addresses as emitted below):
 *
 *   select COLS | count(*) from T [where] [order by KEY [desc]] [limit [offset]]
 *     0  OP_OPEN          5                range start; none: to 5
 *     1  OP_FILTER        3                only when where has non-key predicates
 *     2  OP_RESULT        5                (OP_COUNT for count(*)); limit reached: to 5
 *     3  OP_STEP          1
 *     5  OP_NO_ROWS                        (OP_RESULT_COUNT for count(*))
 *     6  OP_HALT
 *   update T set ... [where] / delete from T [where]
 *     0  OP_WRITABLE
 *     1  OP_OPEN          5
 *     2  OP_FILTER        4                only when needed
 *     3  OP_COLLECT
 *     4  OP_STEP          2
 *     5  OP_UPDATE_ROWS / OP_DELETE_ROWS
 *     6  OP_EMIT                "Executed.\n"
 *     7  OP_HALT
 *   insert into T ...:  OP_WRITABLE, OP_INSERT_ROWS, OP_EMIT "Executed.\n", OP_HALT
 *   create table:       OP_WRITABLE, OP_CREATE_TABLE, OP_EMIT, OP_HALT
 *   drop table:         OP_WRITABLE, OP_DROP_TABLE, OP_EMIT, OP_HALT
 *   create table if not exists T (T exists), drop table if exists T (T absent):
 *                       OP_WRITABLE, OP_EMIT "Executed.\n", OP_HALT
 *   .tables / .schema [T]:  OP_TABLES / OP_SCHEMA, OP_HALT
 */

static int nomem(struct rowfs_err *err)
{
	return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
}

void compile_release(struct program *prog)
{
	struct plan *plan = prog->plan;

	if (!plan)
		return;
	free(plan->filters);
	free(plan->columns);
	free(plan->rows);
	free(plan->sets);
	catalog_schema_release(&plan->schema);
	free(plan);
	prog->plan = NULL;
}

/* The table named by id, or the "no such table" error. */
static int resolve_table(const struct catalog *cat, const struct ident *id,
			 const struct table_schema **out, struct rowfs_err *err)
{
	*out = catalog_find(cat, id->name, id->len);
	if (*out)
		return ROWFS_OK;
	return rowfs_err_set(err, ROWFS_NOTFOUND, ENOENT, "Error: no such table: %.*s",
			     (int)id->len, id->name);
}

/* Index of column id of t, or the "no such column" error. */
static int resolve_column(const struct table_schema *t, const struct ident *id, unsigned *out,
			  struct rowfs_err *err)
{
	unsigned i;

	for (i = 0; i < t->column_count; i++)
		if (name_is(id->name, id->len, t->columns[i].name)) {
			*out = i;
			return ROWFS_OK;
		}
	return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: no such column: %s.%.*s", t->name,
			     (int)id->len, id->name);
}

/* 2^63 as a double: the first real above every int64. */
#define TWO_63 9223372036854775808.0

/* Smallest int64 k with k > r (strict) or k >= r; 0 when there is none. */
static int real_lower(double r, int strict, int64_t *k)
{
	double f;

	if (r < -TWO_63) {
		*k = INT64_MIN;
		return 1;
	}
	if (r >= TWO_63)
		return 0;
	f = floor(r);
	*k = (int64_t)f;
	if (!strict && f == r)
		return 1;
	if (*k == INT64_MAX)
		return 0;
	(*k)++;
	return 1;
}

/* Largest int64 k with k < r (strict) or k <= r; 0 when there is none. */
static int real_upper(double r, int strict, int64_t *k)
{
	double c;

	if (r >= TWO_63) {
		*k = INT64_MAX;
		return 1;
	}
	if (r < -TWO_63)
		return 0;
	c = ceil(r);
	*k = (int64_t)c;
	if (!strict && c == r)
		return 1;
	if (*k == INT64_MIN)
		return 0;
	(*k)--;
	return 1;
}

/* Narrow the key range to keys >= v (strict: > v). */
static void range_lower(struct plan *plan, const struct value *v, int strict)
{
	int64_t k;

	if (v->type == VALUE_REAL) {
		if (!real_lower(v->r, strict, &k)) {
			plan->empty = 1;
			return;
		}
	} else if (strict) {
		if (v->i == INT64_MAX) {
			plan->empty = 1;
			return;
		}
		k = v->i + 1;
	} else {
		k = v->i;
	}
	if (k > plan->lo)
		plan->lo = k;
}

/* Narrow the key range to keys <= v (strict: < v). */
static void range_upper(struct plan *plan, const struct value *v, int strict)
{
	int64_t k;

	if (v->type == VALUE_REAL) {
		if (!real_upper(v->r, strict, &k)) {
			plan->empty = 1;
			return;
		}
	} else if (strict) {
		if (v->i == INT64_MIN) {
			plan->empty = 1;
			return;
		}
		k = v->i - 1;
	} else {
		k = v->i;
	}
	if (k < plan->hi)
		plan->hi = k;
}

/* A key predicate (not != and not is [not] null) becomes part of the range. */
static void range_narrow(struct plan *plan, const struct plan_filter *f)
{
	switch (f->op) {
	case PRED_EQ:
		range_lower(plan, &f->a, 0);
		range_upper(plan, &f->a, 0);
		break;
	case PRED_LT:
		range_upper(plan, &f->a, 1);
		break;
	case PRED_LE:
		range_upper(plan, &f->a, 0);
		break;
	case PRED_GT:
		range_lower(plan, &f->a, 1);
		break;
	case PRED_GE:
		range_lower(plan, &f->a, 0);
		break;
	case PRED_BETWEEN:
		range_lower(plan, &f->a, 0);
		range_upper(plan, &f->b, 0);
		break;
	default:
		break;
	}
	if (plan->lo > plan->hi)
		plan->empty = 1;
}

/*
 * Check a literal compared with column c of t.  Numbers compare with
 * numbers (an integer column with 2.5 is fine), text with text, blob with
 * blob; anything else is the wrong-type error.  *is_null: the literal is
 * NULL (the predicate matches nothing).
 */
static int check_operand(const struct table_schema *t, unsigned c, const struct literal *lit,
			 int *is_null, struct rowfs_err *err)
{
	const struct column *col = &t->columns[c];
	enum value_type type = lit->v.type;
	int ok;

	if (type == VALUE_NULL) {
		*is_null = 1;
		return ROWFS_OK;
	}
	switch (col->type) {
	case COLUMN_INTEGER:
	case COLUMN_REAL:
		ok = type == VALUE_INTEGER || type == VALUE_REAL;
		break;
	case COLUMN_TEXT:
		ok = type == VALUE_TEXT;
		break;
	case COLUMN_BLOB:
	default:
		ok = type == VALUE_BLOB;
		break;
	}
	if (ok)
		return ROWFS_OK;
	return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: %s.%s expects %s, got %s", t->name,
			     col->name, col->type == COLUMN_INTEGER ? "integer" :
			     col->type == COLUMN_REAL ? "real" : col->type == COLUMN_TEXT ? "text" :
			     "blob", catalog_type_name(type));
}

/* where: the key predicates into the range, the others into filters. */
static int compile_where(const struct statement *stmt, const struct table_schema *t,
			 struct plan *plan, struct rowfs_err *err)
{
	unsigned i;
	int rc;

	plan->lo = INT64_MIN;
	plan->hi = INT64_MAX;
	if (stmt->pred_count == 0)
		return ROWFS_OK;
	plan->filters = calloc(stmt->pred_count, sizeof(*plan->filters));
	if (!plan->filters)
		return nomem(err);
	for (i = 0; i < stmt->pred_count; i++) {
		const struct pred *p = &stmt->preds[i];
		struct plan_filter f;
		int is_null = 0;

		memset(&f, 0, sizeof(f));
		rc = resolve_column(t, &p->column, &f.column, err);
		if (rc)
			return rc;
		f.op = p->op;
		if (p->op == PRED_IS_NULL || p->op == PRED_IS_NOT_NULL) {
			if (f.column != t->key_column)
				plan->filters[plan->filter_count++] = f;
			else if (p->op == PRED_IS_NULL)
				plan->empty = 1;   /* the key is never NULL */
			continue;
		}
		rc = check_operand(t, f.column, &p->a, &is_null, err);
		if (rc == ROWFS_OK && p->op == PRED_BETWEEN)
			rc = check_operand(t, f.column, &p->b, &is_null, err);
		if (rc)
			return rc;
		f.a = p->a.v;
		f.b = p->b.v;
		if (is_null)
			plan->empty = 1;   /* a comparison with NULL matches nothing */
		else if (f.column == t->key_column && f.op != PRED_NE)
			range_narrow(plan, &f);
		else
			plan->filters[plan->filter_count++] = f;
	}
	return ROWFS_OK;
}

/* A new zeroed plan for prog. */
static int new_plan(struct program *prog, struct rowfs_err *err)
{
	prog->plan = calloc(1, sizeof(*prog->plan));
	if (!prog->plan)
		return nomem(err);
	prog->plan->limit = UINT64_MAX;
	return ROWFS_OK;
}

/* The row loop of select/update/delete: OP_OPEN .. OP_STEP around body; returns the exit. */
static unsigned emit_loop(struct program *prog, enum opcode body)
{
	unsigned open, filter = 0, step, has_filter = prog->plan->filter_count > 0;
	unsigned first, body_at;

	open = emit_op(prog, OP_OPEN, 0, 0, NULL, 0);
	first = prog->count;
	if (has_filter)
		filter = emit_op(prog, OP_FILTER, 0, 0, NULL, 0);
	body_at = emit_op(prog, body, 0, 0, NULL, 0);
	step = emit_op(prog, OP_STEP, 0, first, NULL, 0);
	if (has_filter)
		prog->ops[filter].p2 = step;
	prog->ops[open].p2 = prog->count;
	prog->ops[body_at].p2 = prog->count;
	return prog->count;
}

static int compile_select_from(const struct statement *stmt, const struct catalog *cat,
			       struct program *prog, struct rowfs_err *err)
{
	const struct table_schema *t;
	struct plan *plan;
	unsigned i, order;
	int rc = resolve_table(cat, &stmt->table, &t, err);

	if (rc == ROWFS_OK)
		rc = new_plan(prog, err);
	if (rc)
		return rc;
	prog->table = t;
	plan = prog->plan;
	if (!stmt->select_count) {
		unsigned n = stmt->name_count ? stmt->name_count : t->column_count;

		plan->columns = calloc(n, sizeof(*plan->columns));
		if (!plan->columns)
			return nomem(err);
		for (i = 0; i < n; i++) {
			plan->columns[i] = i;
			if (stmt->name_count) {
				rc = resolve_column(t, &stmt->names[i], &plan->columns[i], err);
				if (rc)
					return rc;
			}
		}
		plan->column_count = n;
	}
	rc = compile_where(stmt, t, plan, err);
	if (rc)
		return rc;
	if (stmt->has_order) {
		rc = resolve_column(t, &stmt->order_column, &order, err);
		if (rc)
			return rc;
		if (order != t->key_column)
			return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: order by %s needs an index",
					     t->columns[order].name);
		plan->desc = stmt->order_desc;
	}
	if (stmt->has_limit) {
		plan->limit = stmt->limit;
		plan->offset = stmt->offset;
	}
	emit_loop(prog, stmt->select_count ? OP_COUNT : OP_RESULT);
	emit_op(prog, stmt->select_count ? OP_RESULT_COUNT : OP_NO_ROWS, 0, 0, NULL, 0);
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
	return ROWFS_OK;
}

/*
 * The tail of every change: OP_WRITABLE, the change itself (none when op
 * is OP_HALT), the "Executed." reply, OP_HALT.
 */
static void emit_change(struct program *prog, enum opcode op)
{
	emit_op(prog, OP_WRITABLE, 0, 0, NULL, 0);
	if (op != OP_HALT)
		emit_op(prog, op, 0, 0, NULL, 0);
	EMIT_TEXT(prog, EXECUTED);
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
}

/* Map each value of an insert row to its column (identity without a column list). */
static int insert_columns(const struct statement *stmt, const struct table_schema *t,
			  unsigned *map, struct rowfs_err *err)
{
	unsigned i, j;
	int rc;

	if (stmt->name_count == 0) {
		if (stmt->row_width != t->column_count)
			return rowfs_err_set(err, ROWFS_SCHEMA, 0,
					     "Error: %s has %u columns but %u values were supplied",
					     t->name, t->column_count, stmt->row_width);
		for (i = 0; i < t->column_count; i++)
			map[i] = i;
		return ROWFS_OK;
	}
	if (stmt->row_width != stmt->name_count)
		return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: %u values for %u columns",
				     stmt->row_width, stmt->name_count);
	for (i = 0; i < stmt->name_count; i++) {
		rc = resolve_column(t, &stmt->names[i], &map[i], err);
		if (rc)
			return rc;
		for (j = 0; j < i; j++)
			if (map[j] == map[i])
				return rowfs_err_set(err, ROWFS_SCHEMA, 0,
						     "Error: column %s.%s given twice", t->name,
						     t->columns[map[i]].name);
	}
	return ROWFS_OK;
}

static int compile_insert_into(const struct statement *stmt, const struct catalog *cat,
			       struct program *prog, struct rowfs_err *err)
{
	unsigned map[RECORD_MAX_COLUMNS], r, i, width;
	const struct table_schema *t;
	struct plan *plan;
	int rc = resolve_table(cat, &stmt->table, &t, err);

	if (rc == ROWFS_OK)
		rc = insert_columns(stmt, t, map, err);
	if (rc == ROWFS_OK)
		rc = new_plan(prog, err);
	if (rc)
		return rc;
	prog->table = t;
	plan = prog->plan;
	width = t->column_count;
	plan->rows = calloc((size_t)stmt->row_count * width, sizeof(*plan->rows));
	if (!plan->rows && stmt->row_count)
		return nomem(err);
	plan->row_count = stmt->row_count;
	for (r = 0; r < stmt->row_count; r++) {
		struct value *row = plan->rows + (size_t)r * width;
		const struct literal *lits = stmt->values + (size_t)r * stmt->row_width;

		for (i = 0; i < width; i++)
			if (t->columns[i].has_default)
				row[i] = t->columns[i].def;
		for (i = 0; i < stmt->row_width; i++)
			row[map[i]] = lits[i].v;
		for (i = 0; i < width; i++) {
			rc = catalog_check_value(t, i, &row[i], err);
			if (rc)
				return rc;
		}
	}
	emit_change(prog, OP_INSERT_ROWS);
	return ROWFS_OK;
}

/* update and delete with where: collect the keys, then change them. */
static int compile_change_where(const struct statement *stmt, const struct catalog *cat,
				struct program *prog, struct rowfs_err *err)
{
	int update = stmt->type == STMT_UPDATE_SET;
	const struct table_schema *t;
	struct plan *plan;
	unsigned i;
	int rc = resolve_table(cat, &stmt->table, &t, err);

	if (rc == ROWFS_OK)
		rc = new_plan(prog, err);
	if (rc)
		return rc;
	prog->table = t;
	plan = prog->plan;
	if (update && stmt->set_count) {
		plan->sets = calloc(stmt->set_count, sizeof(*plan->sets));
		if (!plan->sets)
			return nomem(err);
	}
	for (i = 0; update && i < stmt->set_count; i++) {
		struct plan_set *set = &plan->sets[i];

		rc = resolve_column(t, &stmt->sets[i].column, &set->column, err);
		if (rc)
			return rc;
		set->value = stmt->sets[i].value.v;
		if (set->column == t->key_column && set->value.type == VALUE_NULL)
			return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: %s.%s may not be NULL",
					     t->name, t->columns[set->column].name);
		rc = catalog_check_value(t, set->column, &set->value, err);
		if (rc)
			return rc;
		if (set->column == t->key_column) {
			plan->sets_key = 1;
			plan->sets_key_value = set->value.i;
		}
	}
	plan->set_count = update ? stmt->set_count : 0;
	rc = compile_where(stmt, t, plan, err);
	if (rc)
		return rc;
	emit_op(prog, OP_WRITABLE, 0, 0, NULL, 0);
	emit_loop(prog, OP_COLLECT);
	emit_op(prog, update ? OP_UPDATE_ROWS : OP_DELETE_ROWS, 0, 0, NULL, 0);
	EMIT_TEXT(prog, EXECUTED);
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
	return ROWFS_OK;
}

/* A statement that changes nothing here but would change the database elsewhere. */
static int compile_no_change(struct program *prog)
{
	emit_change(prog, OP_HALT);
	return ROWFS_OK;
}

static int compile_create(const struct statement *stmt, const struct catalog *cat,
			  struct program *prog, struct rowfs_err *err)
{
	int rc;

	if (catalog_find(cat, stmt->table.name, stmt->table.len)) {
		if (stmt->if_exists)
			return compile_no_change(prog);
		return rowfs_err_set(err, ROWFS_DUPLICATE, EEXIST, "Error: table %.*s already exists",
				     (int)stmt->table.len, stmt->table.name);
	}
	rc = new_plan(prog, err);
	if (rc == ROWFS_OK)
		rc = catalog_schema_from_create(stmt, &prog->plan->schema, err);
	if (rc)
		return rc;
	emit_change(prog, OP_CREATE_TABLE);
	return ROWFS_OK;
}

static int compile_drop(const struct statement *stmt, const struct catalog *cat,
			struct program *prog, struct rowfs_err *err)
{
	const struct table_schema *t = catalog_find(cat, stmt->table.name, stmt->table.len);
	int rc;

	if (!t && stmt->if_exists)
		return compile_no_change(prog);
	rc = resolve_table(cat, &stmt->table, &t, err);
	if (rc)
		return rc;
	if (t->is_users)
		return rowfs_err_set(err, ROWFS_PERM, EPERM, "Error: table users cannot be dropped");
	rc = new_plan(prog, err);
	if (rc)
		return rc;
	prog->table = t;
	prog->plan->table_id = t->id;
	emit_change(prog, OP_DROP_TABLE);
	return ROWFS_OK;
}

static int compile_part2(const struct statement *stmt, const struct catalog *cat,
			 struct program *prog, struct rowfs_err *err)
{
	int rc;

	switch (stmt->type) {
	case STMT_CREATE_TABLE:
		return compile_create(stmt, cat, prog, err);
	case STMT_DROP_TABLE:
		return compile_drop(stmt, cat, prog, err);
	case STMT_INSERT_INTO:
		return compile_insert_into(stmt, cat, prog, err);
	case STMT_SELECT_FROM:
		return compile_select_from(stmt, cat, prog, err);
	case STMT_UPDATE_SET:
	case STMT_DELETE_FROM:
		return compile_change_where(stmt, cat, prog, err);
	case STMT_TABLES:
		emit_op(prog, OP_TABLES, 0, 0, NULL, 0);
		break;
	case STMT_SCHEMA:
		if (stmt->table.len) {
			rc = resolve_table(cat, &stmt->table, &prog->table, err);
			if (rc)
				return rc;
		}
		emit_op(prog, OP_SCHEMA, 0, 0, NULL, 0);
		break;
	default:
		return rowfs_err_set(err, ROWFS_ERROR, 0, "compile: unknown statement type %d",
				     (int)stmt->type);
	}
	emit_op(prog, OP_HALT, 0, 0, NULL, 0);
	return ROWFS_OK;
}

int compile_statement(const struct statement *stmt, struct program *prog, struct rowfs_err *err)
{
	return compile_sql(stmt, NULL, prog, err);
}

int compile_sql(const struct statement *stmt, const struct catalog *cat, struct program *prog,
		struct rowfs_err *err)
{
	int rc;

	memset(prog, 0, sizeof(*prog));
	switch (stmt->type) {
	case STMT_EMPTY:
		emit_op(prog, OP_HALT, 0, 0, NULL, 0);
		return ROWFS_OK;
	case STMT_INSERT:
		return compile_insert(stmt, prog, err);
	case STMT_UPDATE:
	case STMT_DELETE:
		return compile_change(stmt, prog, err);
	case STMT_SELECT:
		compile_select(prog);
		return ROWFS_OK;
	case STMT_META:
		return compile_meta(stmt, prog, err);
	case STMT_BEGIN:
	case STMT_COMMIT:
	case STMT_ROLLBACK:
		break;   /* transaction control runs in the façade (db.c), not the VM */
	case STMT_CREATE_TABLE:
	case STMT_DROP_TABLE:
	case STMT_INSERT_INTO:
	case STMT_SELECT_FROM:
	case STMT_UPDATE_SET:
	case STMT_DELETE_FROM:
	case STMT_TABLES:
	case STMT_SCHEMA:
		if (!cat)
			break;   /* Part 2 needs the catalog */
		rc = compile_part2(stmt, cat, prog, err);
		if (rc)
			compile_release(prog);
		return rc;
	}
	return rowfs_err_set(err, ROWFS_ERROR, 0, "compile: unknown statement type %d",
			     (int)stmt->type);
}

const char *compile_opcode_name(enum opcode code)
{
	static const char *const names[] = {
		[OP_HALT] = "OP_HALT",
		[OP_WRITABLE] = "OP_WRITABLE",
		[OP_NOT_EXISTS] = "OP_NOT_EXISTS",
		[OP_EXISTS] = "OP_EXISTS",
		[OP_DELETE] = "OP_DELETE",
		[OP_UPDATE] = "OP_UPDATE",
		[OP_INSERT] = "OP_INSERT",
		[OP_REWIND] = "OP_REWIND",
		[OP_RESULT_ROW] = "OP_RESULT_ROW",
		[OP_NEXT] = "OP_NEXT",
		[OP_EMIT] = "OP_EMIT",
		[OP_BTREE] = "OP_BTREE",
		[OP_CONSTANTS] = "OP_CONSTANTS",
		[OP_STATS] = "OP_STATS",
		[OP_CHECKPOINT] = "OP_CHECKPOINT",
		[OP_EXIT] = "OP_EXIT",
		[OP_CREATE_TABLE] = "OP_CREATE_TABLE",
		[OP_DROP_TABLE] = "OP_DROP_TABLE",
		[OP_INSERT_ROWS] = "OP_INSERT_ROWS",
		[OP_OPEN] = "OP_OPEN",
		[OP_FILTER] = "OP_FILTER",
		[OP_RESULT] = "OP_RESULT",
		[OP_COUNT] = "OP_COUNT",
		[OP_COLLECT] = "OP_COLLECT",
		[OP_STEP] = "OP_STEP",
		[OP_NO_ROWS] = "OP_NO_ROWS",
		[OP_RESULT_COUNT] = "OP_RESULT_COUNT",
		[OP_UPDATE_ROWS] = "OP_UPDATE_ROWS",
		[OP_DELETE_ROWS] = "OP_DELETE_ROWS",
		[OP_TABLES] = "OP_TABLES",
		[OP_SCHEMA] = "OP_SCHEMA",
	};

	if ((unsigned)code >= sizeof(names) / sizeof(names[0]) || !names[code])
		return "OP_UNKNOWN";
	return names[code];
}
