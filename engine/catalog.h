/*
 * catalog.h - the catalog of tables (like sqlite_master), kept in the
 * database file and changed transactionally.
 *
 * On disk (rowfs(5) "Catalog"): a version-2 table (table.h) whose root
 * page is named by the file header (pager_catalog_root).  One row per
 * object, key = object id (1, 2, ... never reused while the object
 * exists), record columns:
 *   0 type  text   'table' (issue of indexes: 'index')
 *   1 name  text   the object's name, lower case
 *   2 tbl   text   the table it belongs to (its own name for a table)
 *   3 root  integer  the root page of its B-tree
 *   4 sql   text   the normalized `create table` statement
 * `users` is built in: not a row of the catalog; its tree is the file
 * header's root (btree.h) and its schema is fixed (CATALOG_USERS_SQL).
 *
 * In memory: struct catalog is the decoded list of tables, sorted by name,
 * loaded from the catalog tree (catalog_load) and kept in step by
 * catalog_create_table / catalog_drop_table.  After a rollback or a
 * recovery the caller loads it again.  Schemas are reached through
 * const pointers that stay valid until the next change or free.
 */
#ifndef ROWFS_ENGINE_CATALOG_H
#define ROWFS_ENGINE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "pager.h"
#include "parser.h"
#include "record.h"
#include "rowfs.h"

#define CATALOG_USERS_SQL \
	"create table users (id integer primary key, username text(32) not null)"

/* One column of a table. */
struct column {
	char name[NAME_MAX_LEN + 1];   /* lower case, NUL-terminated */
	enum column_type type;         /* declared type */
	uint32_t max_len;              /* text/blob: most bytes; 0 for numbers */
	int not_null;                  /* `not null` (the key column is implicitly not null) */
	int has_default;               /* `default` given */
	struct value def;              /* default value (bytes owned by the schema) */
};

/* One table. */
struct table_schema {
	int64_t id;                    /* catalog key (0 for users) */
	char name[NAME_MAX_LEN + 1];   /* lower case, NUL-terminated */
	uint32_t root;                 /* root page (users: 0, the header's fixed-cell tree) */
	unsigned column_count;         /* 1..RECORD_MAX_COLUMNS */
	struct column *columns;        /* column_count columns in declared order (malloc'd) */
	unsigned key_column;           /* index of the integer primary key column */
	char *sql;                     /* normalized create table statement (malloc'd) */
	int is_users;                  /* the built-in seed table */
};

struct catalog;

/*
 * catalog_load - read the catalog tree at root (through the pager's current
 * view) into a new struct catalog, users first added.  root 0 (a version-1
 * file): users only.  Returns ROWFS_OK, ROWFS_CORRUPT (a row that does not
 * decode or whose sql does not parse), I/O errors, ROWFS_NOMEM.
 */
int catalog_load(struct pager *pager, uint32_t root, struct catalog **out, struct rowfs_err *err);

/* catalog_free - free; NULL is fine. */
void catalog_free(struct catalog *cat);

/* catalog_find - the table named name[0..len) (ASCII case-insensitive), or NULL. */
const struct table_schema *catalog_find(const struct catalog *cat, const char *name, size_t len);

/* catalog_find_root - the table whose root page is root (not users), or NULL. */
const struct table_schema *catalog_find_root(const struct catalog *cat, uint32_t root);

/* Number of tables (users included) and the i-th in name order. */
unsigned catalog_count(const struct catalog *cat);
const struct table_schema *catalog_at(const struct catalog *cat, unsigned i);

/*
 * catalog_next_by_id - the table with the smallest id >= id (users has id
 * 0, so id 0 gives users), or NULL: walks the tables in catalog (creation)
 * order, as the dump does.
 */
const struct table_schema *catalog_next_by_id(const struct catalog *cat, int64_t id);

/* catalog_find_id - the table with that id (0: users), or NULL. */
const struct table_schema *catalog_find_id(const struct catalog *cat, int64_t id);

/*
 * catalog_check_value - check v for column col of table t and convert it
 * where the one conversion applies (an integer into a real column: v
 * becomes VALUE_REAL).  Errors (texts per the contract, T and C the
 * table's and the column's names):
 *   "Error: T.C expects integer, got text"   ROWFS_SCHEMA
 *   "Error: T.C may not be NULL"             ROWFS_SCHEMA (not null, and the key)
 *   "Error: T.C too long (N > M)"            ROWFS_TOOLONG
 * users keeps the seed's rules and texts: its id is 0..4294967295
 * ("Parse error: Row id must be non-negative" / "Parse error: Row id out
 * of range", ROWFS_RANGE), its username 1..32 bytes of the name alphabet
 * ("Error: username too long (33 > 32)" ROWFS_TOOLONG; "Error:
 * users.username may not hold '@'" and "Error: users.username may not be
 * empty" ROWFS_SCHEMA).  A NULL key is accepted here (insert assigns one).
 */
int catalog_check_value(const struct table_schema *t, unsigned col, struct value *v,
			struct rowfs_err *err);

/* catalog_type_name - "integer", "real", "text", "blob" (or "null") of a value type. */
const char *catalog_type_name(enum value_type type);

/* catalog_column_type_name - "integer", "real", "text", "blob": a column type as `create table` spells it. */
const char *catalog_column_type_name(enum column_type type);

/*
 * catalog_column_check - the rule catalog_check_value applies to a column
 * c of a table named tname other than users (is_key: c is its integer
 * primary key, which may be NULL here), with the same texts and
 * conversion.  check.c and salvage.c judge stored rows by it, so a row
 * is valid on disk exactly when an insert would take it.
 */
int catalog_column_check(const char *tname, const struct column *c, int is_key,
			 struct value *v, struct rowfs_err *err);

/*
 * catalog_schema_from_create - check a parsed `create table` (names,
 * exactly one integer primary key, types, default literals against their
 * columns) and fill *schema (sql normalized, malloc'd; root and id left 0).
 * Errors carry the contract's texts (EINVAL family).
 */
int catalog_schema_from_create(const struct statement *create, struct table_schema *schema,
			       struct rowfs_err *err);

/*
 * catalog_schema_from_sql - parse sql[0..len), a `create table` statement
 * (a final ';' allowed), and fill *schema as catalog_schema_from_create
 * does.  Errors: the statement's parse errors, ROWFS_ERROR "not a create
 * table statement", catalog_schema_from_create's.
 */
int catalog_schema_from_sql(const char *sql, size_t len, struct table_schema *schema,
			    struct rowfs_err *err);

/* catalog_schema_release - free what a schema owns (sql, default bytes). */
void catalog_schema_release(struct table_schema *schema);

/*
 * catalog_create_table - create the table described by the normalized sql
 * (as catalog_schema_from_create made it): allocate its root, insert its
 * catalog row with the next id, add it to cat.  catalog_root 0 (no
 * catalog tree yet; rowfs_open normally made it): the tree is made first
 * and the header names it (pager_set_catalog_root; a version-1 header
 * becomes version 2).  *schema_out points at the
 * new entry.  ROWFS_DUPLICATE-family error "Error: table T already exists"
 * (EEXIST) if the name is taken.  Also what recovery runs to replay a
 * logged create.
 */
int catalog_create_table(struct pager *pager, struct catalog *cat, uint32_t catalog_root,
			 const char *sql, size_t sql_len,
			 const struct table_schema **schema_out, struct rowfs_err *err);

/*
 * catalog_drop_table - drop the table with that id: free its pages,
 * delete its catalog row, remove it from cat.  users cannot be dropped.
 */
int catalog_drop_table(struct pager *pager, struct catalog *cat, uint32_t catalog_root,
		       int64_t id, struct rowfs_err *err);

#endif /* ROWFS_ENGINE_CATALOG_H */
