/*
 * path.c - owns the kind table of the mount and the parse of its names
 * (see path.h for the names).
 *
 * FUSE hands every operation an absolute path without "." or ".." parts
 * and without a trailing slash; anything else is simply not a name of
 * the mount.  A path is parsed component by component: the root, then
 * tables/T when the second component is `tables` (T any name that could
 * be a table: letters, digits, '_', not starting with a digit, lower
 * case), then a fixed name of that directory, then for by-id/, range/,
 * first/ and last/ one name of the directory's pattern (in by-id/, a
 * name that is not a key and does not look like a number is a temporary
 * file's).
 */
#include <config.h>
#include "path.h"

#include <string.h>
#include <sys/stat.h>

#include "handle.h"

#define DIR_RW (S_IFDIR | 0755)
#define DIR_RO (S_IFDIR | 0555)
#define FILE_RO (S_IFREG | 0444)
#define BOTH (PATH_IN_ROOT | PATH_IN_TABLE)

/*
 * The kind table, indexed by enum path_kind.  The fixed names of a
 * directory are listed in this order.
 */
static const struct path_kind_info kinds[PATH_KIND_COUNT] = {
	[PATH_NONE] = {NULL, PATH_NONE, 0, 0, 0, NULL},
	[PATH_ROOT] = {NULL, PATH_NONE, 0, DIR_RW, 0, NULL},
	[PATH_CTL] = {"ctl", PATH_NONE, PATH_IN_ROOT, S_IFREG | 0600, 1, &fs_ctl_ops},
	[PATH_SCHEMA] = {"schema", PATH_NONE, PATH_IN_TABLE, FILE_RO, 0, &fs_text_ops},
	[PATH_ROWS] = {"rows", PATH_NONE, BOTH, FILE_RO, 0, &fs_stream_ops},
	[PATH_ROWS_CSV] = {"rows.csv", PATH_NONE, BOTH, FILE_RO, 0, &fs_stream_ops},
	[PATH_ROWS_NDJSON] = {"rows.ndjson", PATH_NONE, BOTH, FILE_RO, 0, &fs_stream_ops},
	[PATH_BTREE] = {"btree", PATH_NONE, BOTH, FILE_RO, 0, &fs_text_ops},
	[PATH_CONSTANTS] = {"constants", PATH_NONE, PATH_IN_ROOT, FILE_RO, 0, &fs_text_ops},
	[PATH_STATS] = {"stats", PATH_NONE, PATH_IN_ROOT, FILE_RO, 0, &fs_text_ops},
	[PATH_TABLE_STATS] = {"stats", PATH_NONE, PATH_IN_TABLE, FILE_RO, 0, &fs_text_ops},
	[PATH_DUMP] = {"dump", PATH_NONE, PATH_IN_ROOT, FILE_RO, 0, &fs_stream_ops},
	[PATH_CHECK] = {"check", PATH_NONE, PATH_IN_ROOT, FILE_RO, 0, &fs_text_ops},
	[PATH_CHANGES] = {"changes", PATH_NONE, PATH_IN_ROOT, FILE_RO, 0, &fs_changes_ops},
	[PATH_LOG] = {"log", PATH_NONE, PATH_IN_ROOT, FILE_RO, 0, &fs_log_ops},
	[PATH_IMPORT] = {"import", PATH_NONE, PATH_IN_TABLE, S_IFREG | 0200, 1, &fs_import_ops},
	[PATH_BYID_DIR] = {"by-id", PATH_NONE, BOTH, DIR_RW, 0, NULL},
	[PATH_RANGE_DIR] = {"range", PATH_NONE, BOTH, DIR_RO, 0, NULL},
	[PATH_FIRST_DIR] = {"first", PATH_NONE, BOTH, DIR_RO, 0, NULL},
	[PATH_LAST_DIR] = {"last", PATH_NONE, BOTH, DIR_RO, 0, NULL},
	[PATH_TABLES_DIR] = {"tables", PATH_NONE, PATH_IN_ROOT, DIR_RW, 0, NULL},
	[PATH_TABLE_DIR] = {NULL, PATH_TABLES_DIR, 0, DIR_RW, 0, NULL},
	[PATH_ROW] = {NULL, PATH_BYID_DIR, 0, S_IFREG | 0644, 1, &fs_row_ops},
	[PATH_RANGE] = {NULL, PATH_RANGE_DIR, 0, FILE_RO, 0, &fs_stream_ops},
	[PATH_FIRST] = {NULL, PATH_FIRST_DIR, 0, FILE_RO, 0, &fs_stream_ops},
	[PATH_LAST] = {NULL, PATH_LAST_DIR, 0, FILE_RO, 0, &fs_stream_ops},
	[PATH_TMP] = {NULL, PATH_BYID_DIR, 0, S_IFREG | 0644, 1, &fs_tmp_ops},
};

/* Listing order of the fixed names: the root's as in Part 1, then tables. */
static const enum path_kind listing[] = {
	PATH_CTL,       PATH_SCHEMA,   PATH_ROWS,      PATH_ROWS_CSV,   PATH_ROWS_NDJSON,
	PATH_BTREE,     PATH_CONSTANTS, PATH_STATS,    PATH_TABLE_STATS, PATH_DUMP,
	PATH_CHECK,     PATH_CHANGES,  PATH_LOG,       PATH_IMPORT,     PATH_BYID_DIR,
	PATH_RANGE_DIR,
	PATH_FIRST_DIR, PATH_LAST_DIR, PATH_TABLES_DIR,
};

#define LISTING_COUNT (sizeof(listing) / sizeof(listing[0]))

const struct path_kind_info *path_info(enum path_kind kind)
{
	return &kinds[(unsigned)kind < PATH_KIND_COUNT ? kind : PATH_NONE];
}

int path_is_dir(enum path_kind kind)
{
	return S_ISDIR(path_info(kind)->mode);
}

/* The bit of struct path_kind_info.where that directory dir lists. */
static unsigned where_bit(enum path_kind dir)
{
	return dir == PATH_ROOT ? PATH_IN_ROOT : dir == PATH_TABLE_DIR ? PATH_IN_TABLE : 0;
}

enum path_kind path_child(enum path_kind dir, size_t i)
{
	unsigned bit = where_bit(dir);
	size_t j;

	for (j = 0; j < LISTING_COUNT && bit; j++)
		if ((kinds[listing[j]].where & bit) && i-- == 0)
			return listing[j];
	return PATH_NONE;
}

int path_number(const char *s, size_t len, uint32_t *value)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 10 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*value = (uint32_t)v;
	return 0;
}

int path_key(const char *s, size_t len, int64_t *value)
{
	int neg = len > 0 && s[0] == '-';
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	size_t i;

	if (neg) {
		s++;
		len--;
	}
	if (len == 0 || len > 19 || (s[0] == '0' && (len > 1 || neg)))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > limit)
		return -1;
	*value = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

const char *path_table(const struct path *p)
{
	return p->table[0] ? p->table : NULL;
}

int path_is_users(const struct path *p)
{
	return p->table[0] == '\0' || strcmp(p->table, "users") == 0;
}

/* A key of the directory p is in: users' 0..4294967295, else any int64. */
static int parse_key(const struct path *p, const char *s, size_t len, int64_t *key)
{
	uint32_t u;

	if (!path_is_users(p))
		return path_key(s, len, key);
	if (path_number(s, len, &u) != 0)
		return -1;
	*key = u;
	return 0;
}

/* range/ names: A-B (both >= 0), and in tables/T/ also A..B. */
static int parse_range(struct path *p, const char *name, size_t len)
{
	const char *dots = p->table[0] ? strstr(name, "..") : NULL;
	const char *dash = memchr(name, '-', len);
	size_t a_len, skip;

	if (dots) {
		a_len = (size_t)(dots - name);
		skip = 2;
	} else if (dash && dash != name) {
		a_len = (size_t)(dash - name);
		skip = 1;
	} else {
		return -1;
	}
	if (parse_key(p, name, a_len, &p->start) != 0 ||
	    parse_key(p, name + a_len + skip, len - a_len - skip, &p->end) != 0)
		return -1;
	if (!dots && (p->start < 0 || p->end < 0))
		return -1;
	return p->start <= p->end ? 0 : -1;
}

/* Does name[0..len) look like a number: an optional sign, then digits only? */
static int looks_numeric(const char *name, size_t len)
{
	size_t i = len > 0 && (name[0] == '-' || name[0] == '+');

	if (i == len)
		return 0;
	for (; i < len; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return 1;
}

/* The name of a file inside pattern directory dir; fills p, returns its kind. */
static enum path_kind parse_pattern(enum path_kind dir, const char *name, struct path *p)
{
	size_t len = strlen(name);
	uint32_t count;

	p->dir = dir;
	switch (dir) {
	case PATH_BYID_DIR:
		if (parse_key(p, name, len, &p->key) == 0) {
			p->kind = PATH_ROW;
		} else if (len > 0 && len <= PATH_NAME_MAX && !looks_numeric(name, len)) {
			memcpy(p->name, name, len + 1);
			p->kind = PATH_TMP;
		}
		break;
	case PATH_RANGE_DIR:
		if (parse_range(p, name, len) == 0)
			p->kind = PATH_RANGE;
		break;
	case PATH_FIRST_DIR:
	case PATH_LAST_DIR:
		if (path_number(name, len, &count) == 0) {
			p->count = count;
			p->kind = dir == PATH_FIRST_DIR ? PATH_FIRST : PATH_LAST;
		}
		break;
	default:
		break;
	}
	return p->kind;
}

/* Could name[0..len) be a table's name as the mount lists it? */
static int table_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > ROWFS_NAME_MAX || (name[0] >= '0' && name[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_'))
			return 0;
	return 1;
}

/* The fixed name name[0..len) of directory dir, or PATH_NONE. */
static enum path_kind fixed_child(enum path_kind dir, const char *name, size_t len)
{
	unsigned bit = where_bit(dir);
	size_t i;

	for (i = 0; i < LISTING_COUNT; i++) {
		const struct path_kind_info *k = &kinds[listing[i]];

		if ((k->where & bit) && strlen(k->name) == len && memcmp(k->name, name, len) == 0)
			return listing[i];
	}
	return PATH_NONE;
}

/* Length of the component at s (up to '/' or the end). */
static size_t component(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash ? (size_t)(slash - s) : strlen(s);
}

enum path_kind path_parse(const char *path, struct path *p)
{
	enum path_kind dir = PATH_ROOT, kind;
	const char *name;
	size_t len;

	memset(p, 0, sizeof(*p));
	if (path[0] != '/')
		return PATH_NONE;
	if (path[1] == '\0') {
		p->kind = PATH_ROOT;
		return p->kind;
	}
	name = path + 1;
	len = component(name);
	if (len == 6 && memcmp(name, "tables", 6) == 0 && name[len] == '/') {
		name += len + 1;
		len = component(name);
		p->dir = PATH_TABLES_DIR;
		if (!table_name_ok(name, len))
			return PATH_NONE;
		memcpy(p->table, name, len);
		p->table[len] = '\0';
		if (name[len] == '\0') {
			p->kind = PATH_TABLE_DIR;
			return p->kind;
		}
		name += len + 1;
		len = component(name);
		dir = PATH_TABLE_DIR;
	}
	kind = fixed_child(dir, name, len);
	p->dir = dir;
	if (kind == PATH_NONE)
		return PATH_NONE;
	if (name[len] == '\0') {
		p->kind = kind;
		return kind;
	}
	name += len + 1;
	if (!path_is_dir(kind) || strchr(name, '/'))
		return PATH_NONE;
	return parse_pattern(kind, name, p);
}
