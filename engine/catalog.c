/*
 * catalog.c - owns the catalog of tables: its rows in the catalog tree,
 * the in-memory index of schemas, the name rules of tables and columns,
 * the normalized `create table` text and the check of a value against
 * its column.
 *
 * Catalog rows (rowfs(5) "Catalog"; the tree is a version-2 table whose
 * root the file header names, see catalog.h):
 *   key     the table's id: 1 + the highest id in the catalog when it is
 *           created (so an id is never reused while its table exists; after
 *           the highest is dropped the next create takes it again, which
 *           keeps ids a function of the catalog's content alone: recovery,
 *           which replays on top of a checkpointed catalog, assigns the
 *           same ids as the original run)
 *   record  'table', name, name, root page, normalized create statement
 *
 * Normalized create statement: lower-case keywords and names, one space
 * between words, columns joined by ", ", types `integer`, `real`, `text`,
 * `text(N)`, `blob`, `blob(N)` (no N when N is the 1 MiB default), then
 * the constraints that were given, in the order ` primary key`,
 * ` not null`, ` default LIT` (LIT as value_append_literal writes it):
 *   create table t (id integer primary key, name text(20) not null, x real default 0.5)
 * It parses back to the same schema, so the catalog stores only that
 * text; catalog_load re-parses it.
 *
 * In memory: every table (users included) is one malloc'd struct
 * table_schema, reached through three sorted arrays of pointers: by name
 * (lookups: a binary search, O(log n) string compares at any number of
 * tables), by id (the dump's order) and by root (the change feed and
 * checks).  The arrays change by one memmove per create or drop.
 */
#include <config.h>
#include "catalog.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "row.h"
#include "table.h"

/* Columns of a catalog row. */
enum {
	CATROW_TYPE = 0,
	CATROW_NAME,
	CATROW_TBL,
	CATROW_ROOT,
	CATROW_SQL,
	CATROW_COLUMNS
};

struct catalog {
	struct table_schema **by_name;  /* count tables, sorted by name */
	struct table_schema **by_id;    /* count tables, sorted by id (users, id 0, first) */
	struct table_schema **by_root;  /* count - 1 tables (users excluded), sorted by root */
	unsigned count;                 /* tables, users included */
	unsigned cap;                   /* room in each array */
	int64_t next_id;                /* id of the next table created: 1 + the highest */
};

static int nomem(struct rowfs_err *err)
{
	return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
}

const char *catalog_type_name(enum value_type type)
{
	switch (type) {
	case VALUE_INTEGER:
		return "integer";
	case VALUE_REAL:
		return "real";
	case VALUE_TEXT:
		return "text";
	case VALUE_BLOB:
		return "blob";
	case VALUE_NULL:
	default:
		return "null";
	}
}

const char *catalog_column_type_name(enum column_type type)
{
	switch (type) {
	case COLUMN_INTEGER:
		return "integer";
	case COLUMN_REAL:
		return "real";
	case COLUMN_TEXT:
		return "text";
	case COLUMN_BLOB:
	default:
		return "blob";
	}
}

/* ---- values against columns -------------------------------------------- */

/* The seed's rules for users.id and users.username. */
static int check_users_value(unsigned col, const struct value *v, struct rowfs_err *err)
{
	size_t bad;

	if (col == 0) {
		if (v->type == VALUE_NULL)
			return ROWFS_OK;
		if (v->type != VALUE_INTEGER)
			return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: users.id expects integer, got %s",
					     catalog_type_name(v->type));
		if (v->i < 0)
			return rowfs_err_set(err, ROWFS_RANGE, 0, "Parse error: Row id must be non-negative");
		if (v->i > (int64_t)UINT32_MAX)
			return rowfs_err_set(err, ROWFS_RANGE, 0, "Parse error: Row id out of range");
		return ROWFS_OK;
	}
	if (v->type == VALUE_NULL)
		return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: users.username may not be NULL");
	if (v->type != VALUE_TEXT)
		return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: users.username expects text, got %s",
				     catalog_type_name(v->type));
	if (v->len > USERNAME_SIZE)
		return rowfs_err_set(err, ROWFS_TOOLONG, 0, "Error: username too long (%zu > %u)",
				     v->len, USERNAME_SIZE);
	if (v->len == 0)
		return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: users.username may not be empty");
	bad = row_name_check(v->p, v->len);
	if (bad < v->len) {
		uint8_t c = v->p[bad];

		if (c > 0x20 && c < 0x7f)
			return rowfs_err_set(err, ROWFS_SCHEMA, 0,
					     "Error: users.username may not hold '%c'", c);
		return rowfs_err_set(err, ROWFS_SCHEMA, 0,
				     "Error: users.username may not hold the byte 0x%02x", c);
	}
	return ROWFS_OK;
}

int catalog_column_check(const char *tname, const struct column *c, int is_key,
			 struct value *v, struct rowfs_err *err)
{
	if (v->type == VALUE_NULL) {
		if (c->not_null && !is_key)
			return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: %s.%s may not be NULL", tname,
					     c->name);
		return ROWFS_OK;
	}
	switch (c->type) {
	case COLUMN_INTEGER:
		if (v->type == VALUE_INTEGER)
			return ROWFS_OK;
		break;
	case COLUMN_REAL:
		if (v->type == VALUE_INTEGER) {
			v->r = (double)v->i;   /* the one conversion the contract allows */
			v->type = VALUE_REAL;
		}
		if (v->type == VALUE_REAL)
			return ROWFS_OK;
		break;
	case COLUMN_TEXT:
	case COLUMN_BLOB:
		if (v->type != (c->type == COLUMN_TEXT ? VALUE_TEXT : VALUE_BLOB))
			break;
		if (v->len > c->max_len)
			return rowfs_err_set(err, ROWFS_TOOLONG, 0, "Error: %s.%s too long (%zu > %u)",
					     tname, c->name, v->len, c->max_len);
		return ROWFS_OK;
	}
	return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: %s.%s expects %s, got %s", tname, c->name,
			     catalog_column_type_name(c->type), catalog_type_name(v->type));
}

int catalog_check_value(const struct table_schema *t, unsigned col, struct value *v,
			struct rowfs_err *err)
{
	if (t->is_users)
		return check_users_value(col, v, err);
	return catalog_column_check(t->name, &t->columns[col], col == t->key_column, v, err);
}

/* ---- schemas ------------------------------------------------------------ */

void catalog_schema_release(struct table_schema *schema)
{
	unsigned i;

	if (schema->columns) {
		for (i = 0; i < schema->column_count; i++) {
			const struct value *def = &schema->columns[i].def;

			if (def->type == VALUE_TEXT || def->type == VALUE_BLOB)
				free((void *)def->p);
		}
	}
	free(schema->columns);
	free(schema->sql);
	schema->columns = NULL;
	schema->sql = NULL;
	schema->column_count = 0;
}

/* 1 if name[0..len) follows the name rules (lower case already). */
static int name_valid(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > NAME_MAX_LEN || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

/* Copy a lower-cased name into dst (NAME_MAX_LEN + 1 bytes); 0 if it breaks the rules. */
static int copy_name(char *dst, const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > NAME_MAX_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		char c = name[i];

		dst[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	dst[len] = '\0';
	return name_valid(dst, len);
}

/* Fill column c from the definition d of table tname; checks the default. */
static int column_from_def(const char *tname, const struct column_def *d, struct column *c,
			   struct rowfs_err *err)
{
	int rc;

	if (!copy_name(c->name, d->name.name, d->name.len))
		return rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: bad column name at position %zu",
				     d->name.pos);
	c->type = d->type;
	c->not_null = d->not_null;
	c->max_len = 0;
	if (d->type == COLUMN_TEXT || d->type == COLUMN_BLOB) {
		c->max_len = d->max_len ? d->max_len : VALUE_MAX_LEN;
		if (c->max_len > VALUE_MAX_LEN)
			return rowfs_err_set(err, ROWFS_SCHEMA, 0,
					     "Error: %s.%s: %s(%u) is longer than the longest value (%u)",
					     tname, c->name, catalog_column_type_name(d->type), c->max_len,
					     VALUE_MAX_LEN);
	}
	if (d->primary_key && d->type != COLUMN_INTEGER)
		return rowfs_err_set(err, ROWFS_SCHEMA, 0,
				     "Error: %s.%s: only an integer column can be the primary key",
				     tname, c->name);
	c->has_default = d->has_default;
	memset(&c->def, 0, sizeof(c->def));
	if (!d->has_default)
		return ROWFS_OK;
	c->def = d->def.v;
	rc = catalog_column_check(tname, c, d->primary_key, &c->def, err);
	if (rc) {
		memset(&c->def, 0, sizeof(c->def));
		return rc;
	}
	if (c->def.type == VALUE_TEXT || c->def.type == VALUE_BLOB) {
		uint8_t *copy = malloc(c->def.len ? c->def.len : 1);

		if (!copy) {
			memset(&c->def, 0, sizeof(c->def));
			return nomem(err);
		}
		memcpy(copy, c->def.p, c->def.len);
		c->def.p = copy;
	}
	return ROWFS_OK;
}

/* The normalized create statement of schema (see the top of the file). */
static int normalize(struct table_schema *schema, struct rowfs_err *err)
{
	struct sbuf out = {0};
	unsigned i;
	int bad = sbuf_printf(&out, "create table %s (", schema->name);

	for (i = 0; i < schema->column_count && !bad; i++) {
		const struct column *c = &schema->columns[i];

		bad |= sbuf_printf(&out, "%s%s %s", i ? ", " : "", c->name, catalog_column_type_name(c->type));
		if ((c->type == COLUMN_TEXT || c->type == COLUMN_BLOB) && c->max_len != VALUE_MAX_LEN)
			bad |= sbuf_printf(&out, "(%u)", c->max_len);
		if (i == schema->key_column)
			bad |= sbuf_printf(&out, " primary key");
		if (c->not_null)
			bad |= sbuf_printf(&out, " not null");
		if (c->has_default) {
			bad |= sbuf_printf(&out, " default ");
			bad |= value_append_literal(&out, &c->def) != ROWFS_OK;
		}
	}
	bad |= sbuf_append(&out, ")", 1);
	if (bad) {
		sbuf_release(&out);
		return nomem(err);
	}
	schema->sql = out.data;
	return ROWFS_OK;
}

int catalog_schema_from_create(const struct statement *create, struct table_schema *schema,
			       struct rowfs_err *err)
{
	unsigned i, j, keys = 0;
	int rc;

	memset(schema, 0, sizeof(*schema));
	if (create->type != STMT_CREATE_TABLE)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "not a create table statement");
	if (!copy_name(schema->name, create->table.name, create->table.len))
		return rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: bad table name at position %zu",
				     create->table.pos);
	if (create->column_count == 0)
		return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: table %s has no columns",
				     schema->name);
	if (create->column_count > RECORD_MAX_COLUMNS)
		return rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: too many columns on %s (%u > %u)",
				     schema->name, create->column_count, RECORD_MAX_COLUMNS);
	schema->columns = calloc(create->column_count, sizeof(*schema->columns));
	if (!schema->columns)
		return nomem(err);
	schema->column_count = create->column_count;
	for (i = 0; i < create->column_count; i++) {
		rc = column_from_def(schema->name, &create->columns[i], &schema->columns[i], err);
		if (rc)
			goto out_release;
		for (j = 0; j < i; j++)
			if (strcmp(schema->columns[j].name, schema->columns[i].name) == 0) {
				rc = rowfs_err_set(err, ROWFS_SCHEMA, 0, "Error: duplicate column name: %s",
						   schema->columns[i].name);
				goto out_release;
			}
		if (create->columns[i].primary_key) {
			keys++;
			schema->key_column = i;
		}
	}
	if (keys != 1) {
		rc = rowfs_err_set(err, ROWFS_SCHEMA, 0, keys ?
				   "Error: table %s has more than one primary key" :
				   "Error: table %s has no integer primary key", schema->name);
		goto out_release;
	}
	rc = normalize(schema, err);
	if (rc)
		goto out_release;
	return ROWFS_OK;
out_release:
	catalog_schema_release(schema);
	return rc;
}

int catalog_schema_from_sql(const char *sql, size_t len, struct table_schema *schema,
			    struct rowfs_err *err)
{
	struct statement stmt;
	int rc = parse_line(sql, len, &stmt, err);

	if (rc == ROWFS_OK && stmt.type != STMT_CREATE_TABLE)
		rc = rowfs_err_set(err, ROWFS_ERROR, 0, "not a create table statement");
	if (rc == ROWFS_OK)
		rc = catalog_schema_from_create(&stmt, schema, err);
	statement_free(&stmt);
	return rc;
}

/* The users table, built in. */
static struct table_schema *users_schema(void)
{
	struct table_schema *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->columns = calloc(2, sizeof(*t->columns));
	t->sql = strdup(CATALOG_USERS_SQL);
	if (!t->columns || !t->sql) {
		catalog_schema_release(t);
		free(t);
		return NULL;
	}
	strcpy(t->name, "users");
	t->column_count = 2;
	t->key_column = 0;
	t->is_users = 1;
	strcpy(t->columns[0].name, "id");
	t->columns[0].type = COLUMN_INTEGER;
	strcpy(t->columns[1].name, "username");
	t->columns[1].type = COLUMN_TEXT;
	t->columns[1].max_len = USERNAME_SIZE;
	t->columns[1].not_null = 1;
	return t;
}

/* ---- the in-memory index ------------------------------------------------ */

static void schema_free(struct table_schema *t)
{
	if (!t)
		return;
	catalog_schema_release(t);
	free(t);
}

void catalog_free(struct catalog *cat)
{
	unsigned i;

	if (!cat)
		return;
	for (i = 0; i < cat->count; i++)
		schema_free(cat->by_id[i]);
	free(cat->by_name);
	free(cat->by_id);
	free(cat->by_root);
	free(cat);
}

/* Make room for one more table in every array. */
static int grow(struct catalog *cat, struct rowfs_err *err)
{
	struct table_schema **a, **b, **c;
	unsigned cap;

	if (cat->count < cat->cap)
		return ROWFS_OK;
	cap = cat->cap ? cat->cap * 2 : 16;
	a = realloc(cat->by_name, cap * sizeof(*a));
	if (!a)
		return nomem(err);
	cat->by_name = a;
	b = realloc(cat->by_id, cap * sizeof(*b));
	if (!b)
		return nomem(err);
	cat->by_id = b;
	c = realloc(cat->by_root, cap * sizeof(*c));
	if (!c)
		return nomem(err);
	cat->by_root = c;
	cat->cap = cap;
	return ROWFS_OK;
}

/* Index in by_name of the first table whose name is >= name (lower case, NUL-terminated). */
static unsigned name_slot(const struct catalog *cat, const char *name)
{
	unsigned lo = 0, hi = cat->count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (strcmp(cat->by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index in by_id of the first table whose id is >= id. */
static unsigned id_slot(const struct catalog *cat, int64_t id)
{
	unsigned lo = 0, hi = cat->count;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (cat->by_id[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index in by_root of the first table whose root is >= root. */
static unsigned root_slot(const struct catalog *cat, uint32_t root)
{
	unsigned lo = 0, hi = cat->count ? cat->count - 1 : 0;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (cat->by_root[mid]->root < root)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Insert p at index i of an array of n pointers (room for n + 1). */
static void array_insert(struct table_schema **a, unsigned n, unsigned i, struct table_schema *p)
{
	memmove(a + i + 1, a + i, (n - i) * sizeof(*a));
	a[i] = p;
}

/* Remove index i of an array of n pointers. */
static void array_remove(struct table_schema **a, unsigned n, unsigned i)
{
	memmove(a + i, a + i + 1, (n - i - 1) * sizeof(*a));
}

/* Add t (its name not taken) to every index. */
static int add_table(struct catalog *cat, struct table_schema *t, struct rowfs_err *err)
{
	int rc = grow(cat, err);

	if (rc)
		return rc;
	array_insert(cat->by_name, cat->count, name_slot(cat, t->name), t);
	array_insert(cat->by_id, cat->count, id_slot(cat, t->id), t);
	if (!t->is_users)
		array_insert(cat->by_root, cat->count - 1, root_slot(cat, t->root), t);
	cat->count++;
	if (t->id >= cat->next_id)
		cat->next_id = t->id + 1;
	return ROWFS_OK;
}

/* Remove t from every index (the caller frees it). */
static void remove_table(struct catalog *cat, const struct table_schema *t)
{
	unsigned i;

	i = name_slot(cat, t->name);
	array_remove(cat->by_name, cat->count, i);
	i = id_slot(cat, t->id);
	array_remove(cat->by_id, cat->count, i);
	i = root_slot(cat, t->root);
	array_remove(cat->by_root, cat->count - 1, i);
	cat->count--;
	cat->next_id = cat->by_id[cat->count - 1]->id + 1;   /* users (id 0) always stays */
}

const struct table_schema *catalog_find(const struct catalog *cat, const char *name, size_t len)
{
	char lower[NAME_MAX_LEN + 1];
	unsigned i;

	if (!copy_name(lower, name, len))
		return NULL;
	i = name_slot(cat, lower);
	if (i < cat->count && strcmp(cat->by_name[i]->name, lower) == 0)
		return cat->by_name[i];
	return NULL;
}

const struct table_schema *catalog_find_root(const struct catalog *cat, uint32_t root)
{
	unsigned i = root_slot(cat, root);

	if (root != 0 && i + 1 < cat->count && cat->by_root[i]->root == root)
		return cat->by_root[i];
	return NULL;
}

const struct table_schema *catalog_find_id(const struct catalog *cat, int64_t id)
{
	const struct table_schema *t = catalog_next_by_id(cat, id);

	return t && t->id == id ? t : NULL;
}

const struct table_schema *catalog_next_by_id(const struct catalog *cat, int64_t id)
{
	unsigned i = id_slot(cat, id);

	return i < cat->count ? cat->by_id[i] : NULL;
}

unsigned catalog_count(const struct catalog *cat)
{
	return cat->count;
}

const struct table_schema *catalog_at(const struct catalog *cat, unsigned i)
{
	return i < cat->count ? cat->by_name[i] : NULL;
}

/* ---- catalog rows --------------------------------------------------------- */

static int corrupt_row(int64_t key, const char *what, struct rowfs_err *err)
{
	return rowfs_err_set(err, ROWFS_CORRUPT, 0, "database corrupt: catalog row %lld: %s",
			     (long long)key, what);
}

/* Decode the catalog row (key, rec) into a new schema. */
static int load_row(int64_t key, const uint8_t *rec, size_t len, struct table_schema **out,
		    struct rowfs_err *err)
{
	struct value v[CATROW_COLUMNS];
	struct table_schema *t;
	struct rowfs_err cause;
	int rc;

	*out = NULL;
	if (record_decode(rec, len, v, CATROW_COLUMNS, &cause) != ROWFS_OK)
		return corrupt_row(key, "the record does not decode", err);
	if (key <= 0 || v[CATROW_TYPE].type != VALUE_TEXT || v[CATROW_NAME].type != VALUE_TEXT ||
	    v[CATROW_SQL].type != VALUE_TEXT || v[CATROW_ROOT].type != VALUE_INTEGER ||
	    v[CATROW_ROOT].i <= 0 || v[CATROW_ROOT].i > (int64_t)UINT32_MAX ||
	    v[CATROW_TYPE].len != 5 || memcmp(v[CATROW_TYPE].p, "table", 5) != 0)
		return corrupt_row(key, "not a table row", err);
	t = calloc(1, sizeof(*t));
	if (!t)
		return nomem(err);
	rc = catalog_schema_from_sql((const char *)v[CATROW_SQL].p, v[CATROW_SQL].len, t, &cause);
	if (rc) {
		free(t);
		return rc == ROWFS_NOMEM ? nomem(err) : corrupt_row(key, "its sql does not parse", err);
	}
	if (strlen(t->name) != v[CATROW_NAME].len ||
	    memcmp(t->name, v[CATROW_NAME].p, v[CATROW_NAME].len) != 0 ||
	    strcmp(t->name, "users") == 0) {
		schema_free(t);
		return corrupt_row(key, "its name is not its table's", err);
	}
	t->id = key;
	t->root = (uint32_t)v[CATROW_ROOT].i;
	*out = t;
	return ROWFS_OK;
}

/* Add a loaded row's table to cat (freed on failure): a name or root already taken is damage. */
static int take_row(struct catalog *cat, struct table_schema *t, struct rowfs_err *err)
{
	int rc;

	if (catalog_find(cat, t->name, strlen(t->name)) || catalog_find_root(cat, t->root))
		rc = corrupt_row(t->id, "its name or root is another table's", err);
	else
		rc = add_table(cat, t, err);
	if (rc)
		schema_free(t);
	return rc;
}

/* Read every row of the catalog tree at root into cat. */
static int load_rows(struct pager *pager, uint32_t root, struct catalog *cat,
		     struct rowfs_err *err)
{
	struct table_cursor cur;
	int rc;

	table_cursor_init(&cur, pager, root);
	rc = table_cursor_seek_ge(&cur, INT64_MIN, err);
	while (rc == ROWFS_OK && !cur.eof) {
		struct table_schema *t = NULL;
		const uint8_t *rec;
		size_t len;

		rc = table_cursor_record(&cur, &rec, &len, err);
		if (rc == ROWFS_OK)
			rc = load_row(cur.key, rec, len, &t, err);
		if (rc == ROWFS_OK)
			rc = take_row(cat, t, err);
		if (rc == ROWFS_OK)
			rc = table_cursor_advance(&cur, err);
	}
	table_cursor_free(&cur);
	return rc;
}

int catalog_load(struct pager *pager, uint32_t root, struct catalog **out, struct rowfs_err *err)
{
	struct table_schema *users;
	struct catalog *cat;
	int rc;

	*out = NULL;
	cat = calloc(1, sizeof(*cat));
	users = users_schema();
	if (!cat || !users) {
		free(cat);
		schema_free(users);
		return nomem(err);
	}
	cat->next_id = 1;
	rc = add_table(cat, users, err);
	if (rc) {
		schema_free(users);
		goto out_free;
	}
	if (root != 0) {
		rc = load_rows(pager, root, cat, err);
		if (rc)
			goto out_free;
	}
	*out = cat;
	return ROWFS_OK;
out_free:
	catalog_free(cat);
	return rc;
}

/* The catalog row of t: its record in out. */
static int encode_row(const struct table_schema *t, struct sbuf *out, struct rowfs_err *err)
{
	struct value v[CATROW_COLUMNS];
	size_t name_len = strlen(t->name), size;

	memset(v, 0, sizeof(v));
	v[CATROW_TYPE].type = VALUE_TEXT;
	v[CATROW_TYPE].p = (const uint8_t *)"table";
	v[CATROW_TYPE].len = 5;
	v[CATROW_NAME].type = VALUE_TEXT;
	v[CATROW_NAME].p = (const uint8_t *)t->name;
	v[CATROW_NAME].len = name_len;
	v[CATROW_TBL] = v[CATROW_NAME];
	v[CATROW_ROOT].type = VALUE_INTEGER;
	v[CATROW_ROOT].i = t->root;
	v[CATROW_SQL].type = VALUE_TEXT;
	v[CATROW_SQL].p = (const uint8_t *)t->sql;
	v[CATROW_SQL].len = strlen(t->sql);
	size = record_size(v, CATROW_COLUMNS);
	out->len = 0;
	if (sbuf_reserve(out, size))
		return nomem(err);
	out->len = record_encode(v, CATROW_COLUMNS, (uint8_t *)out->data);
	return ROWFS_OK;
}

/*
 * The catalog tree of a database that has none yet.  rowfs_open makes it
 * (and checkpoints it) before any statement runs; this is the fallback of
 * a caller that did not: the first create table makes it in its own
 * transaction (and so does its replay, at the same point).  A version-1
 * header cannot name it: the file becomes version 2.
 */
static int create_tree(struct pager *pager, uint32_t *root, struct rowfs_err *err)
{
	int rc = table_create(pager, root, err);

	if (rc)
		return rc;
	pager_set_catalog_root(pager, *root);
	if (pager_format_version(pager) < DB_FORMAT_VERSION_2)
		pager_set_format_version(pager, DB_FORMAT_VERSION_2);
	return ROWFS_OK;
}

int catalog_create_table(struct pager *pager, struct catalog *cat, uint32_t catalog_root,
			 const char *sql, size_t sql_len,
			 const struct table_schema **schema_out, struct rowfs_err *err)
{
	struct sbuf rec = {0};
	struct table_schema *t;
	int rc;

	*schema_out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return nomem(err);
	rc = catalog_schema_from_sql(sql, sql_len, t, err);
	if (rc) {
		free(t);
		return rc;
	}
	if (catalog_find(cat, t->name, strlen(t->name))) {
		rc = rowfs_err_set(err, ROWFS_DUPLICATE, EEXIST, "Error: table %s already exists",
				   t->name);
		goto out_free;
	}
	rc = grow(cat, err);   /* before any change: what can fail later is I/O */
	if (rc)
		goto out_free;
	t->id = cat->next_id;
	rc = catalog_root ? ROWFS_OK : create_tree(pager, &catalog_root, err);
	if (rc == ROWFS_OK)
		rc = table_create(pager, &t->root, err);
	if (rc == ROWFS_OK)
		rc = encode_row(t, &rec, err);
	if (rc == ROWFS_OK)
		rc = table_insert(pager, catalog_root, t->id, (const uint8_t *)rec.data, rec.len, err);
	sbuf_release(&rec);
	if (rc)
		goto out_free;
	rc = add_table(cat, t, err);   /* cannot fail: grown above */
	if (rc)
		goto out_free;
	*schema_out = t;
	return ROWFS_OK;
out_free:
	schema_free(t);
	return rc;
}

int catalog_drop_table(struct pager *pager, struct catalog *cat, uint32_t catalog_root,
		       int64_t id, struct rowfs_err *err)
{
	struct table_schema *t;
	unsigned i = id_slot(cat, id);
	int rc;

	if (i >= cat->count || cat->by_id[i]->id != id)
		return rowfs_err_set(err, ROWFS_NOTFOUND, ENOENT, "Error: no table with id %lld",
				     (long long)id);
	t = cat->by_id[i];
	if (t->is_users)
		return rowfs_err_set(err, ROWFS_PERM, EPERM, "Error: table users cannot be dropped");
	rc = table_drop(pager, t->root, err);
	if (rc == ROWFS_OK)
		rc = table_delete(pager, catalog_root, id, err);
	if (rc)
		return rc;
	remove_table(cat, t);
	schema_free(t);
	return ROWFS_OK;
}
