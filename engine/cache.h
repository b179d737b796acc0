/*
 * cache.h - the page cache: PAGE_SIZE frames of DBFILE by page number,
 * refcounted, with an LRU list of clean unreferenced frames (invariants in
 * cache.c).
 *
 * The cache does no I/O and knows nothing of transactions: the pager reads
 * a page into the frame cache_frame() hands it, says when a page becomes
 * dirty (cache_mark_dirty) and when a checkpoint has written it
 * (cache_mark_clean).  struct page is shared with the snapshot store
 * (snapshot.c), whose old page images are detached pages.
 */
#ifndef ROWFS_ENGINE_CACHE_H
#define ROWFS_ENGINE_CACHE_H

#include <stdint.h>

#include "rowfs.h"

struct cache;

/*
 * One page image: a frame of the cache, or (version 1) an old image kept
 * by the snapshot store.  Fields marked "cache" are maintained by cache.c
 * for frames; the others belong to the user named.
 */
struct page {
	uint32_t pgno;            /* page number */
	int refs;                 /* references handed out (cache for frames, pager for versions) */
	int dirty;                /* cache: changed since the last checkpoint */
	uint8_t *data;            /* PAGE_SIZE bytes */
	void *owner;              /* the owner given to cache_new / snapshot_store_new (the pager) */
	struct cache *cache;      /* the cache holding the frame; NULL for a version */
	struct page *hash_next;   /* chain in the cache's hash table or the version store's */
	struct page *lru_prev;    /* cache: LRU list of clean unreferenced frames */
	struct page *lru_next;    /* cache: next toward the eviction end */
	int on_lru;               /* cache: 1 while on the LRU list */
	int cold;                 /* cache: fetched cold and not wanted since: evict first */
	uint64_t touched;         /* pager: serial of the last transaction that changed it */
	int version;              /* snapshot store: 1 for an old image (not in the cache) */
	uint64_t tag;             /* snapshot store: the page as of committed sequence tag */
	struct page *vnext;       /* snapshot store: next older version of the same page */
};

/* Counters and sizes of a cache (cache_stats). */
struct cache_stats {
	uint64_t hits;            /* cache_get calls that found the page */
	uint64_t misses;          /* cache_get calls that did not */
	uint32_t pages;           /* frames held */
	uint32_t dirty;           /* dirty frames */
};

/* Walks every frame of a cache (cache_iter_init, cache_iter_next). */
struct cache_iter {
	struct cache *cache;      /* the cache walked */
	uint32_t bucket;          /* next hash bucket to look at */
	struct page *next;        /* next frame to return, or NULL: look at bucket */
};

/*
 * Bucket of pgno in a hash table of size buckets (a power of two):
 * Fibonacci hashing.  The cache's table and the version store's use it.
 */
static inline uint32_t cache_slot(uint32_t pgno, uint32_t size)
{
	return (pgno * 2654435761u) & (size - 1);
}

/*
 * cache_new - an empty cache of limit frames (soft limit: dirty and
 * referenced frames are never evicted, so the cache may hold more).  owner
 * is stored in every frame's owner field.  The caller owns *out
 * (cache_free).  Returns ROWFS_OK or ROWFS_NOMEM; *out is NULL on failure.
 */
int cache_new(uint32_t limit, void *owner, struct cache **out, struct rowfs_err *err);

/* cache_free - free every frame and the cache; NULL is fine. */
void cache_free(struct cache *cache);

/* cache_clear - drop every frame, dirty and referenced ones too (counters stay). */
void cache_clear(struct cache *cache);

/* cache_lookup - the frame of pgno, or NULL; changes nothing (no reference, no counter). */
struct page *cache_lookup(struct cache *cache, uint32_t pgno);

/*
 * cache_get - the frame of pgno with one more reference, off the LRU list,
 * or NULL if it is not cached; counts a hit or a miss.  A get that is not
 * cold makes a cold frame normal again.
 */
struct page *cache_get(struct cache *cache, uint32_t pgno, int cold);

/*
 * cache_frame - a frame for pgno, which must not be cached: clean, with
 * one reference, contents undefined (the caller fills it).  It is the LRU
 * victim's frame when the cache is full, or for a cold frame when the
 * victim is cold too (a one-pass scan reuses its own frames); else a new
 * one.  Returns ROWFS_OK or ROWFS_NOMEM.
 */
int cache_frame(struct cache *cache, uint32_t pgno, int cold, struct page **out,
		struct rowfs_err *err);

/*
 * cache_unref - one reference less.  The last one puts a clean frame on
 * the LRU list: at the eviction end if it is cold, else at the other end.
 */
void cache_unref(struct page *page);

/* cache_mark_dirty - the frame is dirty (and not cold): never evicted until cache_mark_clean. */
void cache_mark_dirty(struct page *page);

/* cache_mark_clean - a checkpoint wrote the dirty frame: clean again, on the LRU list if unreferenced. */
void cache_mark_clean(struct page *page);

/* cache_drop - remove the frame from the cache and free it (whatever its state). */
void cache_drop(struct page *page);

/* cache_trim - evict clean unreferenced frames, LRU first, until the cache is within its limit. */
void cache_trim(struct cache *cache);

/*
 * cache_crowded - 1 when the cache is full and more than 3/4 of its limit
 * is dirty: the pager checkpoints then, so the excess over the limit is
 * bounded by one transaction.
 */
int cache_crowded(const struct cache *cache);

/* Number of dirty frames. */
uint32_t cache_dirty_count(const struct cache *cache);

/*
 * cache_dirty_pages - the dirty frames sorted by page number, in an array
 * of cache_dirty_count() entries that the caller frees.  Returns ROWFS_OK
 * or ROWFS_NOMEM.
 */
int cache_dirty_pages(struct cache *cache, struct page ***out, struct rowfs_err *err);

/* cache_stats - hits, misses, frames, dirty frames. */
void cache_stats(const struct cache *cache, struct cache_stats *st);

/*
 * cache_iter_init, cache_iter_next - every frame once, in no particular
 * order, then NULL.  The frame returned last may be dropped before the
 * next call; no frame may be added during the walk.
 */
void cache_iter_init(struct cache_iter *it, struct cache *cache);
struct page *cache_iter_next(struct cache_iter *it);

/*
 * cache_page_new - a page outside any cache (for the snapshot store):
 * fields zero, PAGE_SIZE bytes of undefined data.  NULL if out of memory.
 * cache_page_free - free such a page; NULL is fine.
 */
struct page *cache_page_new(void);
void cache_page_free(struct page *page);

#endif /* ROWFS_ENGINE_CACHE_H */
