/*
 * path.h - the names of the mount.
 *
 * Module path owns struct path: what a path handed to a FUSE operation
 * names (see rowfs(1), "FILES IN THE MOUNT").  It is pure: no engine call,
 * no libfuse.  Whether a row exists is not its business: by-id/42 parses
 * as PATH_ROW whether or not row 42 is in the table.
 *
 *   /                      PATH_ROOT
 *   /ctl /rows /rows.csv /rows.ndjson /btree /constants /stats /changes
 *   /by-id /range /first /last                (directories)
 *   /by-id/ID              PATH_ROW
 *   /range/START-END       PATH_RANGE   (START <= END)
 *   /first/COUNT           PATH_FIRST
 *   /last/COUNT            PATH_LAST
 *
 * Numbers in names (ID, START, END, COUNT) are canonical decimal: digits
 * only, no sign, no leading zero (except "0" itself), at most 4294967295.
 * One row thus has exactly one name, the one readdir lists.
 */
#ifndef ROWFS_FS_PATH_H
#define ROWFS_FS_PATH_H

#include <stddef.h>
#include <stdint.h>

/* What a path names. */
enum path_kind {
	PATH_NONE = 0,      /* nothing: ENOENT */
	PATH_ROOT,          /* the mount's root directory */
	PATH_CTL,           /* ctl */
	PATH_ROWS,          /* rows */
	PATH_ROWS_CSV,      /* rows.csv */
	PATH_ROWS_NDJSON,   /* rows.ndjson */
	PATH_BTREE,         /* btree */
	PATH_CONSTANTS,     /* constants */
	PATH_STATS,         /* stats */
	PATH_DUMP,          /* dump */
	PATH_CHECK,         /* check */
	PATH_CHANGES,       /* changes */
	PATH_BYID_DIR,      /* by-id/ */
	PATH_RANGE_DIR,     /* range/ */
	PATH_FIRST_DIR,     /* first/ */
	PATH_LAST_DIR,      /* last/ */
	PATH_ROW,           /* by-id/ID */
	PATH_RANGE,         /* range/START-END */
	PATH_FIRST,         /* first/COUNT */
	PATH_LAST           /* last/COUNT */
};

/* A parsed path. */
struct path {
	enum path_kind kind;  /* what it names */
	enum path_kind dir;   /* the directory holding it (PATH_NONE for the root itself or
			       * a path below no directory of the mount); set for PATH_NONE
			       * too, so that create/unlink know "a bad name in by-id/" */
	uint32_t id;          /* PATH_ROW: the key */
	uint32_t start;       /* PATH_RANGE: first key (inclusive) */
	uint32_t end;         /* PATH_RANGE: last key (inclusive) */
	uint32_t count;       /* PATH_FIRST, PATH_LAST: row count */
};

/*
 * path_parse - what path (absolute, as FUSE passes it) names; fills *p and
 * returns p->kind (PATH_NONE when the mount has no such name).
 */
enum path_kind path_parse(const char *path, struct path *p);

/*
 * path_number - parse s[0..len) as a canonical decimal number (see above)
 * into *value.  Returns 0, or -1 for anything else (empty, a sign, a
 * leading zero, a non-digit, over 4294967295).
 */
int path_number(const char *s, size_t len, uint32_t *value);

/* A name of the root directory. */
struct path_entry {
	const char *name;     /* without the leading '/' */
	enum path_kind kind;  /* what it is */
};

/*
 * path_root_entry - the i-th name of the root directory, in listing order,
 * or NULL past the last one.
 */
const struct path_entry *path_root_entry(size_t i);

/* path_is_dir - 1 if kind is a directory. */
int path_is_dir(enum path_kind kind);

#endif /* ROWFS_FS_PATH_H */
