/*
 * path.h - the names of the mount and what each one is.
 *
 * Module path owns the table of file kinds (path.c's `kinds`): one entry
 * per kind of name, giving its name (or a pattern of names), the
 * directory it lives in, its mode and the operations that serve it
 * (struct fs_file_ops, fs/handle.h).  lookup (path_parse), readdir
 * (path_child), getattr and open all read that one table, so a new file
 * of the mount is one entry there and its operations.  Parsing is pure:
 * no engine call, no libfuse.  Whether a row or a table exists is not its
 * business: by-id/42 parses as PATH_ROW whether or not row 42 exists, and
 * tables/NAME parses for any NAME that could be a table's name.
 *
 *   /                       PATH_ROOT       (the users table's files, and:)
 *   /ctl /constants /dump /check /changes /log   (root only)
 *   /tables                 PATH_TABLES_DIR
 *   /tables/T               PATH_TABLE_DIR  (T: a table name, lower case)
 *   D/rows D/rows.csv D/rows.ndjson D/btree D/by-id D/range D/first D/last
 *                           for D the root (users) and every tables/T
 *   /stats                  PATH_STATS      (the engine's statistics)
 *   /tables/T/stats         PATH_TABLE_STATS (the table's)
 *   /tables/T/schema /tables/T/import       (table directories only)
 *   D/by-id/KEY             PATH_ROW
 *   D/by-id/OTHER           PATH_TMP     (a temporary file: any other name that
 *                                         does not look like a number)
 *   D/range/A-B             PATH_RANGE   (A <= B, both >= 0)
 *   D/range/A..B            PATH_RANGE   (tables/T only; negative keys)
 *   D/first/N  D/last/N     PATH_FIRST, PATH_LAST
 *
 * Numbers in names are canonical decimal: digits, no leading zero
 * (except "0" itself); a key in tables/T/ may have a leading '-' (never
 * "-0") and is a signed 64-bit integer.  The users table's keys (under
 * the root and tables/users/) are 0..4294967295, as in Part 1, so one
 * row has exactly one name, the one readdir lists.  Counts are
 * 0..4294967295.
 *
 * Temporary files (fs/tmpfile.c): a name in by-id/ that is not a key is
 * a temporary file's name (`.42.swp`, `sedAbc123`, `42~`), unless it
 * looks like a number ('+' or '-' and digits only: `012`, `-0`, `+5`, a
 * key out of range), which names nothing, so that a mistyped key fails
 * instead of landing in a temporary file.  Names longer than
 * PATH_NAME_MAX bytes name nothing.
 */
#ifndef ROWFS_FS_PATH_H
#define ROWFS_FS_PATH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rowfs.h"

/* Longest name of a temporary file, bytes (NAME_MAX, what statfs says). */
#define PATH_NAME_MAX 255u

/* What a path names: one value per entry of the kind table. */
enum path_kind {
	PATH_NONE = 0,      /* nothing: ENOENT */
	PATH_ROOT,          /* the mount's root directory */
	PATH_CTL,           /* ctl */
	PATH_ROWS,          /* rows */
	PATH_ROWS_CSV,      /* rows.csv */
	PATH_ROWS_NDJSON,   /* rows.ndjson */
	PATH_BTREE,         /* btree */
	PATH_CONSTANTS,     /* constants */
	PATH_STATS,         /* stats (the root's: the engine's statistics) */
	PATH_DUMP,          /* dump */
	PATH_CHECK,         /* check */
	PATH_CHANGES,       /* changes */
	PATH_LOG,           /* log */
	PATH_BYID_DIR,      /* by-id/ */
	PATH_RANGE_DIR,     /* range/ */
	PATH_FIRST_DIR,     /* first/ */
	PATH_LAST_DIR,      /* last/ */
	PATH_TABLES_DIR,    /* tables/ */
	PATH_TABLE_DIR,     /* tables/T/ */
	PATH_SCHEMA,        /* tables/T/schema */
	PATH_TABLE_STATS,   /* tables/T/stats */
	PATH_IMPORT,        /* tables/T/import */
	PATH_ROW,           /* by-id/KEY */
	PATH_RANGE,         /* range/A-B, range/A..B */
	PATH_FIRST,         /* first/N */
	PATH_LAST,          /* last/N */
	PATH_TMP,           /* by-id/NAME: a temporary file (fs/tmpfile.c) */
	PATH_KIND_COUNT
};

/* A parsed path. */
struct path {
	enum path_kind kind;  /* what it names */
	enum path_kind dir;   /* the directory holding it (PATH_NONE for the root itself or
			       * a path below no directory of the mount); set for PATH_NONE
			       * too, so that create/unlink know "a bad name in by-id/" */
	char table[ROWFS_NAME_MAX + 1]; /* the table of tables/T/... ("" for the root's files:
					   users) */
	int64_t key;          /* PATH_ROW: the key */
	int64_t start;        /* PATH_RANGE: first key (inclusive) */
	int64_t end;          /* PATH_RANGE: last key (inclusive) */
	uint64_t count;       /* PATH_FIRST, PATH_LAST: row count */
	char name[PATH_NAME_MAX + 1]; /* PATH_TMP: the file's name ("" otherwise) */
};

struct fs_file_ops;

/* Where a kind of name appears (struct path_kind_info.where). */
#define PATH_IN_ROOT 0x1u    /* in the root directory */
#define PATH_IN_TABLE 0x2u   /* in every tables/T/ directory */

/* One entry of the kind table. */
struct path_kind_info {
	const char *name;     /* the fixed name, or NULL for a name found by pattern */
	enum path_kind dir;   /* for a pattern: the kind of directory its names live in */
	unsigned where;       /* for a fixed name: PATH_IN_ROOT, PATH_IN_TABLE or both */
	mode_t mode;          /* S_IFDIR or S_IFREG and the permission bits */
	int writable;         /* may be opened for writing */
	const struct fs_file_ops *ops; /* what serves it (NULL: a directory) */
};

/*
 * path_parse - what path (absolute, as FUSE passes it) names; fills *p and
 * returns p->kind (PATH_NONE when the mount has no such name).
 */
enum path_kind path_parse(const char *path, struct path *p);

/* path_info - the kind table's entry of kind (PATH_NONE has mode 0). */
const struct path_kind_info *path_info(enum path_kind kind);

/* path_is_dir - 1 if kind is a directory. */
int path_is_dir(enum path_kind kind);

/*
 * path_child - the i-th fixed name of directory dir (PATH_ROOT or
 * PATH_TABLE_DIR), in listing order, or PATH_NONE past the last.
 */
enum path_kind path_child(enum path_kind dir, size_t i);

/*
 * path_number - parse s[0..len) as a canonical decimal number 0..4294967295
 * into *value.  Returns 0, or -1 for anything else (empty, a sign, a
 * leading zero, a non-digit, over 4294967295).
 */
int path_number(const char *s, size_t len, uint32_t *value);

/*
 * path_key - parse s[0..len) as a canonical signed 64-bit decimal ('-'
 * allowed, never "-0" nor a leading zero).  Returns 0 or -1.
 */
int path_key(const char *s, size_t len, int64_t *value);

/* path_table - the table name to hand the engine: NULL (users) for the root's files. */
const char *path_table(const struct path *p);

/* path_is_users - 1 if p names a file of the users table (root or tables/users/). */
int path_is_users(const struct path *p);

#endif /* ROWFS_FS_PATH_H */
