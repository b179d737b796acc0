/*
 * path.c - owns the parse of the mount's names (see path.h for the table).
 *
 * FUSE hands every operation an absolute path without "." or ".." parts
 * and without a trailing slash; anything else is simply not a name of
 * the mount.
 */
#include <config.h>
#include "path.h"

#include <string.h>

static const struct path_entry root_entries[] = {
	{"ctl", PATH_CTL},
	{"rows", PATH_ROWS},
	{"rows.csv", PATH_ROWS_CSV},
	{"rows.ndjson", PATH_ROWS_NDJSON},
	{"btree", PATH_BTREE},
	{"constants", PATH_CONSTANTS},
	{"stats", PATH_STATS},
	{"dump", PATH_DUMP},
	{"check", PATH_CHECK},
	{"changes", PATH_CHANGES},
	{"by-id", PATH_BYID_DIR},
	{"range", PATH_RANGE_DIR},
	{"first", PATH_FIRST_DIR},
	{"last", PATH_LAST_DIR},
};

#define ROOT_ENTRY_COUNT (sizeof(root_entries) / sizeof(root_entries[0]))

const struct path_entry *path_root_entry(size_t i)
{
	return i < ROOT_ENTRY_COUNT ? &root_entries[i] : NULL;
}

int path_is_dir(enum path_kind kind)
{
	return kind == PATH_ROOT || kind == PATH_BYID_DIR || kind == PATH_RANGE_DIR ||
	       kind == PATH_FIRST_DIR || kind == PATH_LAST_DIR;
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

/* Parse the name of a file inside directory dir into p. */
static enum path_kind parse_child(enum path_kind dir, const char *name, struct path *p)
{
	size_t len = strlen(name);
	const char *dash;

	p->dir = dir;
	switch (dir) {
	case PATH_BYID_DIR:
		if (path_number(name, len, &p->id) == 0)
			p->kind = PATH_ROW;
		break;
	case PATH_RANGE_DIR:
		dash = memchr(name, '-', len);
		if (dash && path_number(name, (size_t)(dash - name), &p->start) == 0 &&
		    path_number(dash + 1, len - (size_t)(dash - name) - 1, &p->end) == 0 &&
		    p->start <= p->end)
			p->kind = PATH_RANGE;
		break;
	case PATH_FIRST_DIR:
		if (path_number(name, len, &p->count) == 0)
			p->kind = PATH_FIRST;
		break;
	case PATH_LAST_DIR:
		if (path_number(name, len, &p->count) == 0)
			p->kind = PATH_LAST;
		break;
	default:
		break;
	}
	return p->kind;
}

enum path_kind path_parse(const char *path, struct path *p)
{
	const char *name;
	const char *slash;
	size_t len;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (path[0] != '/')
		return PATH_NONE;
	if (path[1] == '\0') {
		p->kind = PATH_ROOT;
		return p->kind;
	}
	name = path + 1;
	slash = strchr(name, '/');
	len = slash ? (size_t)(slash - name) : strlen(name);
	for (i = 0; i < ROOT_ENTRY_COUNT; i++) {
		if (strlen(root_entries[i].name) != len || memcmp(root_entries[i].name, name, len))
			continue;
		if (!slash) {
			p->kind = root_entries[i].kind;
			p->dir = PATH_ROOT;
			return p->kind;
		}
		if (!path_is_dir(root_entries[i].kind) || strchr(slash + 1, '/'))
			return PATH_NONE;
		return parse_child(root_entries[i].kind, slash + 1, p);
	}
	if (!slash)
		p->dir = PATH_ROOT;
	return PATH_NONE;
}
