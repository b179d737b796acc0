/*
 * tmpfile.c - owns the temporary files of by-id/ (see tmpfile.h): their
 * names, their content in memory, the holders that keep an unlinked one
 * alive, and the bound of the memory they take.
 *
 * The set is a list, newest first: a lookup walks it, which is cheap for
 * the TMPFILE_FILES_MAX files it may hold (a safe save has one or two at
 * a time).  A file's content is one buffer; what the set charges against
 * its limit is the buffer's allocated size, so the bound is the memory
 * taken, not the sum of the lengths.  A buffer grows by doubling while
 * the bound allows, else to exactly what is needed; it shrinks when a
 * truncate leaves it less than half used, and is freed at length 0.
 */
#include <config.h>
#include "tmpfile.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

/* One temporary file. */
struct tmpfile {
	struct tmpfile *next;  /* the next file of the set's list */
	char *dir;             /* its directory: the table of its by-id/ ("": the root's) */
	char *name;            /* its name, or NULL once unlinked (malloc'd) */
	char *data;            /* its content (malloc'd; NULL when cap is 0) */
	size_t len;            /* bytes of content */
	size_t cap;            /* bytes allocated, charged to the set */
	unsigned holders;      /* open handles (and a creator) holding it */
};

void tmpfiles_init(struct tmpfiles *set, size_t limit)
{
	set->head = NULL;
	set->count = 0;
	set->bytes = 0;
	set->limit = limit;
}

/* Take f off the set's list and free it. */
static void free_file(struct tmpfiles *set, struct tmpfile *f)
{
	struct tmpfile **pp;

	for (pp = &set->head; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	set->count--;
	set->bytes -= f->cap;
	free(f->data);
	free(f->name);
	free(f->dir);
	free(f);
}

void tmpfiles_release(struct tmpfiles *set)
{
	while (set->head)
		free_file(set, set->head);
}

struct tmpfile *tmpfiles_find(struct tmpfiles *set, const char *dir, const char *name)
{
	struct tmpfile *f;

	for (f = set->head; f; f = f->next)
		if (f->name && strcmp(f->name, name) == 0 && strcmp(f->dir, dir) == 0)
			return f;
	return NULL;
}

int tmpfiles_create(struct tmpfiles *set, const char *dir, const char *name,
		    struct tmpfile **out)
{
	struct tmpfile *f;

	*out = NULL;
	if (strlen(name) > PATH_NAME_MAX)
		return -ENAMETOOLONG;
	if (set->count >= TMPFILE_FILES_MAX)
		return -ENOSPC;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->dir = strdup(dir);
	f->name = strdup(name);
	if (!f->dir || !f->name) {
		free(f->dir);
		free(f->name);
		free(f);
		return -ENOMEM;
	}
	f->holders = 1;
	f->next = set->head;
	set->head = f;
	set->count++;
	*out = f;
	return 0;
}

void tmpfile_hold(struct tmpfile *f)
{
	f->holders++;
}

void tmpfile_drop(struct tmpfiles *set, struct tmpfile *f)
{
	if (f->holders > 0)
		f->holders--;
	if (f->holders == 0 && !f->name)
		free_file(set, f);
}

void tmpfile_unlink(struct tmpfiles *set, struct tmpfile *f)
{
	free(f->name);
	f->name = NULL;
	if (f->holders == 0)
		free_file(set, f);
}

int tmpfile_rename(struct tmpfiles *set, struct tmpfile *f, const char *name)
{
	struct tmpfile *old;
	char *copy;

	if (strlen(name) > PATH_NAME_MAX)
		return -ENAMETOOLONG;
	old = tmpfiles_find(set, f->dir, name);
	if (old == f)
		return 0;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	if (old)
		tmpfile_unlink(set, old);
	free(f->name);
	f->name = copy;
	return 0;
}

uint64_t tmpfile_size(const struct tmpfile *f)
{
	return f->len;
}

const char *tmpfile_data(const struct tmpfile *f)
{
	return f->data;
}

size_t tmpfile_read(const struct tmpfile *f, char *buf, size_t size, uint64_t off)
{
	size_t n;

	if (off >= f->len)
		return 0;
	n = f->len - (size_t)off;
	if (n > size)
		n = size;
	memcpy(buf, f->data + off, n);
	return n;
}

/*
 * Give f a buffer of cap bytes (0: none), charged to the set.  0, or
 * -ENOSPC past the bound, -ENOMEM; f is unchanged on failure.
 */
static int set_cap(struct tmpfiles *set, struct tmpfile *f, size_t cap)
{
	char *p;

	if (cap > f->cap && cap - f->cap > set->limit - set->bytes)
		return -ENOSPC;
	if (cap == 0) {
		free(f->data);
		p = NULL;
	} else {
		p = realloc(f->data, cap);
		if (!p)
			return -ENOMEM;
	}
	set->bytes = set->bytes - f->cap + cap;
	f->data = p;
	f->cap = cap;
	return 0;
}

/* Make room for need bytes: double while the bound allows, else exactly need. */
static int reserve(struct tmpfiles *set, struct tmpfile *f, size_t need)
{
	size_t cap = f->cap ? f->cap : 4096;

	if (need <= f->cap)
		return 0;
	while (cap < need && cap <= SIZE_MAX / 2)
		cap *= 2;
	if (cap < need)
		cap = need;
	if (cap - f->cap > set->limit - set->bytes)
		cap = need;
	return set_cap(set, f, cap);
}

ssize_t tmpfile_write(struct tmpfiles *set, struct tmpfile *f, const char *buf, size_t size,
		      uint64_t off)
{
	size_t end;
	int rc;

	if (size == 0)
		return 0;
	if (off > set->limit || size > set->limit - off || size > SSIZE_MAX)
		return -ENOSPC;
	end = (size_t)off + size;
	rc = reserve(set, f, end);
	if (rc != 0)
		return rc;
	if (off > f->len)
		memset(f->data + f->len, 0, (size_t)off - f->len);   /* the gap reads as zeros */
	memcpy(f->data + off, buf, size);
	if (end > f->len)
		f->len = end;
	return (ssize_t)size;
}

int tmpfile_truncate(struct tmpfiles *set, struct tmpfile *f, uint64_t size)
{
	int rc;

	if (size > set->limit)
		return -ENOSPC;
	if (size > f->len) {
		rc = reserve(set, f, (size_t)size);
		if (rc != 0)
			return rc;
		memset(f->data + f->len, 0, (size_t)size - f->len);
	} else if (size == 0 || size < f->cap / 2) {
		/* never past the bound; a realloc that fails to shrink keeps the larger buffer */
		(void)set_cap(set, f, (size_t)size);
	}
	f->len = (size_t)size;
	return 0;
}
