/*
 * sizes.c - owns struct sizes: per table, the last change and the
 * committed byte counts of its renderings, and the open transaction's
 * deltas (see sizes.h for the rules).
 *
 * The entries sit in an open-addressing hash table keyed by catalog id
 * (linear probing, at most half full, never an entry removed: a dropped
 * table's entry stays, uncounted, and is reset if its id comes back).
 * The open transaction's tables are a list of ids.  Entry pointers stay
 * valid until the next entry is made: sizes_touch runs before a program,
 * which then fills the delta, and no entry is made while it runs.
 */
#include <config.h>
#include "sizes.h"

#include <stdlib.h>
#include <string.h>

struct sizes {
	struct sizes_entry *slots;   /* the hash table (id < 0: free) */
	size_t cap;                  /* slots (a power of two) */
	size_t used;                 /* entries */
	int64_t *touched;            /* ids the open transaction changed */
	size_t touched_len;          /* how many */
	size_t touched_cap;          /* room */
	int lost;                    /* a change of the open transaction went unrecorded */
	uint64_t epoch_seq;          /* the open or last recovery: every table changed then */
	struct timespec epoch_time;
	uint64_t last_seq;           /* the last change of any table */
	struct timespec last_time;
};

#define SIZES_MIN_CAP 16u

static int ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static struct timespec ts_later(struct timespec a, struct timespec b)
{
	return ts_before(a, b) ? b : a;
}

/* Slot of id in a table of cap slots (Fibonacci hashing). */
static size_t slot_of(int64_t id, size_t cap)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

/* Free slots of a new table. */
static struct sizes_entry *new_slots(size_t cap)
{
	struct sizes_entry *slots = malloc(cap * sizeof(*slots));
	size_t i;

	if (!slots)
		return NULL;
	for (i = 0; i < cap; i++)
		slots[i].id = -1;
	return slots;
}

struct sizes *sizes_new(struct timespec now)
{
	struct sizes *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->slots = new_slots(SIZES_MIN_CAP);
	if (!s->slots) {
		free(s);
		return NULL;
	}
	s->cap = SIZES_MIN_CAP;
	s->epoch_time = now;
	s->last_time = now;
	return s;
}

void sizes_free(struct sizes *s)
{
	if (!s)
		return;
	free(s->slots);
	free(s->touched);
	free(s);
}

struct sizes_entry *sizes_find(struct sizes *s, int64_t id)
{
	size_t i;

	if (id < 0)
		return NULL;
	for (i = slot_of(id, s->cap); s->slots[i].id >= 0; i = (i + 1) & (s->cap - 1))
		if (s->slots[i].id == id)
			return &s->slots[i];
	return NULL;
}

/* Double the table; -1 when out of memory. */
static int grow(struct sizes *s)
{
	size_t cap = s->cap * 2, i, j;
	struct sizes_entry *slots = new_slots(cap);

	if (!slots)
		return -1;
	for (i = 0; i < s->cap; i++) {
		if (s->slots[i].id < 0)
			continue;
		for (j = slot_of(s->slots[i].id, cap); slots[j].id >= 0; j = (j + 1) & (cap - 1))
			;
		slots[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

/* The entry of id, made (uncounted, unchanged) if missing; NULL when out of memory. */
static struct sizes_entry *entry(struct sizes *s, int64_t id)
{
	struct sizes_entry *e = sizes_find(s, id);
	size_t i;

	if (e || id < 0)
		return e;
	if ((s->used + 1) * 2 > s->cap && grow(s) != 0)
		return NULL;
	for (i = slot_of(id, s->cap); s->slots[i].id >= 0; i = (i + 1) & (s->cap - 1))
		;
	e = &s->slots[i];
	memset(e, 0, sizeof(*e));
	e->id = id;
	s->used++;
	return e;
}

/* Put id on the open transaction's list (once); the entry e is id's.  -1: out of memory. */
static int touch(struct sizes *s, struct sizes_entry *e)
{
	if (e->touched)
		return 0;
	if (s->touched_len == s->touched_cap) {
		size_t cap = s->touched_cap ? 2 * s->touched_cap : 16;
		int64_t *p = realloc(s->touched, cap * sizeof(*p));

		if (!p)
			return -1;
		s->touched = p;
		s->touched_cap = cap;
	}
	s->touched[s->touched_len++] = e->id;
	e->touched = 1;
	memset(&e->delta, 0, sizeof(e->delta));
	e->delta.count = e->counted;   /* counts known before the first change follow it */
	return 0;
}

struct lines_delta *sizes_touch(struct sizes *s, int64_t id)
{
	struct sizes_entry *e = entry(s, id);

	if (!e || touch(s, e) != 0) {
		s->lost = 1;
		return NULL;
	}
	return &e->delta;
}

void sizes_ddl(struct sizes *s, int64_t id)
{
	struct sizes_entry *e = entry(s, id);

	if (!e || touch(s, e) != 0) {
		s->lost = 1;
		return;
	}
	e->ddl = 1;
	e->delta.changed = 1;
	e->delta.count = 0;
}

/* End the open transaction's part of e. */
static void untouch(struct sizes_entry *e)
{
	e->touched = 0;
	e->ddl = 0;
	memset(&e->delta, 0, sizeof(e->delta));
}

/* Add e's delta to its counts; the renderings it did not count are dropped. */
static void apply(struct sizes_entry *e)
{
	int l;

	e->counted &= e->delta.count;
	if (e->ddl)
		e->counted = 0;
	if (e->counted)
		e->rows += (uint64_t)e->delta.rows;
	for (l = 0; l < ROWFS_LINES_COUNT; l++)
		if (e->counted & ROWFS_LINES_BIT(l))
			e->bytes[l] += (uint64_t)e->delta.bytes[l];
}

void sizes_commit(struct sizes *s, uint64_t seq, struct timespec now)
{
	struct timespec floor = ts_later(s->last_time, s->epoch_time);
	int changed = 0;
	size_t i;

	/* strictly after the last change: rsync and tail compare times */
	floor.tv_nsec++;
	if (floor.tv_nsec >= 1000000000L) {
		floor.tv_sec++;
		floor.tv_nsec = 0;
	}
	now = ts_later(now, floor);
	if (s->lost) {
		sizes_reset(s, seq, now);
		return;
	}
	for (i = 0; i < s->touched_len; i++) {
		struct sizes_entry *e = sizes_find(s, s->touched[i]);

		if (!e)
			continue;
		if (e->delta.changed) {
			e->change_seq = seq;
			e->change_time = now;
			changed = 1;
			apply(e);
		}
		untouch(e);
	}
	s->touched_len = 0;
	if (changed) {
		s->last_seq = seq;
		s->last_time = now;
	}
}

void sizes_rollback(struct sizes *s)
{
	size_t i;

	for (i = 0; i < s->touched_len; i++) {
		struct sizes_entry *e = sizes_find(s, s->touched[i]);

		if (e)
			untouch(e);
	}
	s->touched_len = 0;
	s->lost = 0;
}

void sizes_reset(struct sizes *s, uint64_t seq, struct timespec now)
{
	size_t i;

	for (i = 0; i < s->cap; i++) {
		if (s->slots[i].id < 0)
			continue;
		untouch(&s->slots[i]);
		s->slots[i].counted = 0;
	}
	s->touched_len = 0;
	s->lost = 0;
	s->epoch_seq = seq;
	s->epoch_time = ts_later(now, s->epoch_time);
	s->last_seq = seq;
	s->last_time = ts_later(s->epoch_time, s->last_time);
}

int sizes_set_counts(struct sizes *s, int64_t id, unsigned mask, uint64_t rows,
		     const uint64_t bytes[ROWFS_LINES_COUNT])
{
	struct sizes_entry *e = entry(s, id);
	int l;

	if (!e)
		return ROWFS_NOMEM;
	if (!e->counted)
		e->rows = rows;
	for (l = 0; l < ROWFS_LINES_COUNT; l++)
		if (mask & ROWFS_LINES_BIT(l))
			e->bytes[l] = bytes[l];
	e->counted |= mask;
	return ROWFS_OK;
}

void sizes_change(const struct sizes *s, int64_t id, uint64_t *seq, struct timespec *time)
{
	const struct sizes_entry *e = id >= 0 ? sizes_find((struct sizes *)s, id) : NULL;
	uint64_t q = id < 0 ? s->last_seq : e ? e->change_seq : 0;
	struct timespec t = id < 0 ? s->last_time : e ? e->change_time : s->epoch_time;

	*seq = q > s->epoch_seq ? q : s->epoch_seq;
	*time = ts_later(t, s->epoch_time);
}
