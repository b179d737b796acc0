/*
 * cache.c - the page cache: frames by page number, refcounts, LRU
 * eviction of clean frames, cold frames for one-pass scans.
 *
 * Owns: the frames (struct page with their PAGE_SIZE buffers), the hash
 * table pgno -> frame, the LRU list and the hit/miss counters.  Below the
 * pager and beside the snapshot store: it does no I/O, knows nothing of
 * transactions or snapshots, and calls no other engine module.
 *
 * Invariants.
 *  1. Every frame is in the hash table exactly once, under its pgno, and
 *     no two frames have the same pgno.
 *  2. A frame is on the LRU list iff it is clean and unreferenced; those
 *     are the only eviction candidates.  A dirty frame is never evicted
 *     (the pager writes it back at a checkpoint, then cache_mark_clean).
 *  3. The cache holds at most limit frames unless dirty or referenced
 *     frames exceed that (soft limit: the pager checkpoints when
 *     cache_crowded(), i.e. once the cache is full and dirty frames pass
 *     3/4 of limit, so the excess is bounded by one transaction).
 *  4. Cold frames (cache_frame/cache_get with cold set, for a one-pass
 *     scan) go to the eviction end of the list when released, and the next
 *     cold frame reuses a cold victim's frame even below the limit, so a
 *     scan holds O(1) frames and pushes no hot frame out.  A non-cold get
 *     or a change (cache_mark_dirty) makes a frame normal.
 *  5. count and dirty_count are the number of frames and of dirty frames;
 *     the hash table has at least count buckets while memory allows
 *     (hash_grow doubles it; without memory the chains grow, still correct).
 */
#include <config.h>
#include "cache.h"

#include <errno.h>
#include <stdlib.h>

#include "format.h"

struct cache {
	uint32_t limit;           /* frames wanted at most (soft, invariant 3) */
	void *owner;              /* stored in every frame */
	struct page **hash;       /* buckets */
	uint32_t hash_size;       /* power of two */
	uint32_t count;           /* frames */
	uint32_t dirty_count;     /* dirty frames */
	struct page *lru_head;    /* most recently released */
	struct page *lru_tail;    /* eviction candidate */
	uint64_t hits;            /* cache_get found the page */
	uint64_t misses;          /* cache_get did not */
};

int cache_new(uint32_t limit, void *owner, struct cache **out, struct rowfs_err *err)
{
	struct cache *cache = calloc(1, sizeof(*cache));

	*out = NULL;
	if (!cache)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	cache->limit = limit;
	cache->owner = owner;
	cache->hash_size = 64;
	while (cache->hash_size < limit * 2)
		cache->hash_size *= 2;
	cache->hash = calloc(cache->hash_size, sizeof(*cache->hash));
	if (!cache->hash) {
		free(cache);
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	}
	*out = cache;
	return ROWFS_OK;
}

struct page *cache_page_new(void)
{
	struct page *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->data = malloc(PAGE_SIZE);
	if (!p->data) {
		free(p);
		return NULL;
	}
	return p;
}

void cache_page_free(struct page *page)
{
	if (!page)
		return;
	free(page->data);
	free(page);
}

/* ---- hash table -------------------------------------------------------- */

static uint32_t hash_slot(const struct cache *cache, uint32_t pgno)
{
	return cache_slot(pgno, cache->hash_size);
}

struct page *cache_lookup(struct cache *cache, uint32_t pgno)
{
	struct page *p;

	for (p = cache->hash[hash_slot(cache, pgno)]; p; p = p->hash_next)
		if (p->pgno == pgno)
			return p;
	return NULL;
}

static void hash_insert(struct cache *cache, struct page *p)
{
	uint32_t slot = hash_slot(cache, p->pgno);

	p->hash_next = cache->hash[slot];
	cache->hash[slot] = p;
}

static void hash_remove(struct cache *cache, struct page *p)
{
	struct page **pp = &cache->hash[hash_slot(cache, p->pgno)];

	while (*pp && *pp != p)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = p->hash_next;
}

/* Double the hash table when the cache outgrows it (dirty frames past the limit). */
static void hash_grow(struct cache *cache)
{
	uint32_t old_size = cache->hash_size, i;
	struct page **old = cache->hash;
	struct page **fresh = calloc((size_t)old_size * 2, sizeof(*fresh));

	if (!fresh)
		return; /* longer chains, still correct */
	cache->hash = fresh;
	cache->hash_size = old_size * 2;
	for (i = 0; i < old_size; i++) {
		struct page *p = old[i], *next;

		for (; p; p = next) {
			next = p->hash_next;
			hash_insert(cache, p);
		}
	}
	free(old);
}

/* ---- LRU list ---------------------------------------------------------- */

static void lru_remove(struct cache *cache, struct page *p)
{
	if (!p->on_lru)
		return;
	if (p->lru_prev)
		p->lru_prev->lru_next = p->lru_next;
	else
		cache->lru_head = p->lru_next;
	if (p->lru_next)
		p->lru_next->lru_prev = p->lru_prev;
	else
		cache->lru_tail = p->lru_prev;
	p->lru_prev = p->lru_next = NULL;
	p->on_lru = 0;
}

static void lru_push(struct cache *cache, struct page *p)
{
	p->lru_prev = NULL;
	p->lru_next = cache->lru_head;
	if (cache->lru_head)
		cache->lru_head->lru_prev = p;
	cache->lru_head = p;
	if (!cache->lru_tail)
		cache->lru_tail = p;
	p->on_lru = 1;
}

/* Put p at the eviction end: the next frame needed reuses it. */
static void lru_push_tail(struct cache *cache, struct page *p)
{
	p->lru_next = NULL;
	p->lru_prev = cache->lru_tail;
	if (cache->lru_tail)
		cache->lru_tail->lru_next = p;
	cache->lru_tail = p;
	if (!cache->lru_head)
		cache->lru_head = p;
	p->on_lru = 1;
}

/* ---- frames ------------------------------------------------------------ */

struct page *cache_get(struct cache *cache, uint32_t pgno, int cold)
{
	struct page *p = cache_lookup(cache, pgno);

	if (!p) {
		cache->misses++;
		return NULL;
	}
	cache->hits++;
	lru_remove(cache, p);
	if (!cold)
		p->cold = 0;
	p->refs++;
	return p;
}

int cache_frame(struct cache *cache, uint32_t pgno, int cold, struct page **out,
		struct rowfs_err *err)
{
	struct page *p;

	if (cache->lru_tail &&
	    (cache->count >= cache->limit || (cold && cache->lru_tail->cold))) {
		p = cache->lru_tail;
		lru_remove(cache, p);
		hash_remove(cache, p);
	} else {
		p = cache_page_new();
		if (!p)
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		p->owner = cache->owner;
		p->cache = cache;
		cache->count++;
		if (cache->count > cache->hash_size)
			hash_grow(cache);
	}
	p->pgno = pgno;
	p->refs = 1;
	p->dirty = 0;
	p->cold = cold;
	hash_insert(cache, p);
	*out = p;
	return ROWFS_OK;
}

void cache_unref(struct page *page)
{
	if (--page->refs == 0 && !page->dirty) {
		if (page->cold)
			lru_push_tail(page->cache, page);
		else
			lru_push(page->cache, page);
	}
}

void cache_mark_dirty(struct page *page)
{
	page->cold = 0;
	if (!page->dirty) {
		page->dirty = 1;
		page->cache->dirty_count++;
		lru_remove(page->cache, page);
	}
}

void cache_mark_clean(struct page *page)
{
	if (!page->dirty)
		return;
	page->dirty = 0;
	page->cache->dirty_count--;
	if (page->refs == 0)
		lru_push(page->cache, page);
}

void cache_drop(struct page *page)
{
	struct cache *cache = page->cache;

	lru_remove(cache, page);
	hash_remove(cache, page);
	if (page->dirty)
		cache->dirty_count--;
	cache->count--;
	cache_page_free(page);
}

void cache_trim(struct cache *cache)
{
	while (cache->count > cache->limit && cache->lru_tail)
		cache_drop(cache->lru_tail);
}

int cache_crowded(const struct cache *cache)
{
	return cache->count >= cache->limit && cache->dirty_count > cache->limit / 4 * 3;
}

uint32_t cache_dirty_count(const struct cache *cache)
{
	return cache->dirty_count;
}

static int cmp_page(const void *a, const void *b)
{
	const struct page *pa = *(struct page *const *)a, *pb = *(struct page *const *)b;

	return pa->pgno < pb->pgno ? -1 : pa->pgno > pb->pgno;
}

int cache_dirty_pages(struct cache *cache, struct page ***out, struct rowfs_err *err)
{
	struct page **list = malloc(((size_t)cache->dirty_count + 1) * sizeof(*list));
	uint32_t i, n = 0;

	*out = NULL;
	if (!list)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	for (i = 0; i < cache->hash_size; i++) {
		struct page *p;

		for (p = cache->hash[i]; p; p = p->hash_next)
			if (p->dirty)
				list[n++] = p;
	}
	qsort(list, n, sizeof(*list), cmp_page);
	*out = list;
	return ROWFS_OK;
}

void cache_stats(const struct cache *cache, struct cache_stats *st)
{
	st->hits = cache->hits;
	st->misses = cache->misses;
	st->pages = cache->count;
	st->dirty = cache->dirty_count;
}

void cache_iter_init(struct cache_iter *it, struct cache *cache)
{
	it->cache = cache;
	it->bucket = 0;
	it->next = NULL;
}

struct page *cache_iter_next(struct cache_iter *it)
{
	struct page *p = it->next;

	while (!p && it->bucket < it->cache->hash_size)
		p = it->cache->hash[it->bucket++];
	it->next = p ? p->hash_next : NULL;
	return p;
}

void cache_clear(struct cache *cache)
{
	uint32_t i;

	for (i = 0; i < cache->hash_size; i++) {
		struct page *p = cache->hash[i], *next;

		for (; p; p = next) {
			next = p->hash_next;
			cache_page_free(p);
		}
		cache->hash[i] = NULL;
	}
	cache->count = cache->dirty_count = 0;
	cache->lru_head = cache->lru_tail = NULL;
}

void cache_free(struct cache *cache)
{
	if (!cache)
		return;
	cache_clear(cache);
	free(cache->hash);
	free(cache);
}
