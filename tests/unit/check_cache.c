/*
 * check_cache.c - unit tests of engine/cache.c alone (no file, no pager).
 *
 * Owns: the eviction order (least recently released first, a get moves a
 * frame out of the list and its release to the front), the reuse of the
 * victim's frame, referenced and dirty frames that are never evicted and
 * let the cache pass its limit (the soft limit) until cache_trim, the
 * threshold of cache_crowded, cold frames (released to the eviction end,
 * reused by the next cold frame below the limit, made normal by a plain
 * get or a change), hits and misses, the hash table growing far past its
 * first size, cache_dirty_pages' order, the iterator with drops; and a
 * randomized run against a model of the frames and the LRU list, which
 * checks after every step each frame's fields, the exact LRU order (by
 * walking lru_next from the model's head), and which frame a new page
 * reuses.
 *
 * The seed is fixed and printed; ROWFS_SEED=N runs another one, and
 * ROWFS_SLOW=1 makes the model run ten times longer.
 */
#include <config.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "format.h"
#include "rowfs.h"
#include "testutil.h"

#define DEFAULT_SEED 20250302ull

static int owner;   /* its address is the owner of every test's frames */

static struct cache *new_cache(uint32_t limit)
{
	struct cache *cache = NULL;
	struct rowfs_err err;

	ck_assert_int_eq(cache_new(limit, &owner, &cache, &err), ROWFS_OK);
	ck_assert_ptr_nonnull(cache);
	return cache;
}

/* The frame of pgno, counted as a hit or a miss; a miss gets a new frame. */
static struct page *get(struct cache *cache, uint32_t pgno, int cold)
{
	struct page *p = cache_get(cache, pgno, cold);
	struct rowfs_err err;

	if (p)
		return p;
	ck_assert_int_eq(cache_frame(cache, pgno, cold, &p, &err), ROWFS_OK);
	ck_assert_uint_eq(p->pgno, pgno);
	ck_assert_int_eq(p->refs, 1);
	ck_assert_int_eq(p->dirty, 0);
	memset(p->data, (int)(pgno & 0xff), PAGE_SIZE);
	return p;
}

/* get + unref: the frame ends up released (clean ones on the LRU list). */
static struct page *touch(struct cache *cache, uint32_t pgno, int cold)
{
	struct page *p = get(cache, pgno, cold);

	cache_unref(p);
	return p;
}

static struct cache_stats stats(const struct cache *cache)
{
	struct cache_stats st;

	cache_stats(cache, &st);
	return st;
}

START_TEST(test_new_and_owner)
{
	struct cache *cache = new_cache(16);
	struct page *p = get(cache, 7, 0);

	ck_assert_ptr_eq(p->owner, &owner);
	ck_assert_ptr_eq(p->cache, cache);
	ck_assert_int_eq(p->version, 0);
	ck_assert_ptr_eq(cache_lookup(cache, 7), p);
	ck_assert_ptr_null(cache_lookup(cache, 8));
	cache_unref(p);
	ck_assert_int_eq(p->on_lru, 1);
	cache_free(cache);
	cache_free(NULL);
}
END_TEST

START_TEST(test_eviction_order)
{
	struct cache *cache = new_cache(16);
	struct page *frame[20];
	uint32_t pgno;

	for (pgno = 1; pgno <= 16; pgno++)
		frame[pgno] = touch(cache, pgno, 0);
	ck_assert_uint_eq(stats(cache).pages, 16);
	ck_assert_uint_eq(stats(cache).misses, 16);

	/* Full: page 17 takes the frame of page 1, released first. */
	ck_assert_ptr_eq(touch(cache, 17, 0), frame[1]);
	ck_assert_ptr_null(cache_lookup(cache, 1));
	ck_assert_uint_eq(stats(cache).pages, 16);

	/* A hit moves page 2 to the front: 18 evicts 3, 19 evicts 4. */
	ck_assert_ptr_eq(touch(cache, 2, 0), frame[2]);
	ck_assert_uint_eq(stats(cache).hits, 1);
	ck_assert_ptr_eq(touch(cache, 18, 0), frame[3]);
	ck_assert_ptr_eq(touch(cache, 19, 0), frame[4]);
	ck_assert_ptr_eq(cache_lookup(cache, 2), frame[2]);
	ck_assert_ptr_null(cache_lookup(cache, 3));
	ck_assert_ptr_null(cache_lookup(cache, 4));

	/* A reused frame is read again: its bytes are the new page's. */
	ck_assert_uint_eq(frame[3]->pgno, 18);
	ck_assert_uint_eq(frame[3]->data[0], 18);
	cache_free(cache);
}
END_TEST

START_TEST(test_referenced_frames_stay)
{
	struct cache *cache = new_cache(16);
	struct page *held[17];
	uint32_t pgno;

	for (pgno = 1; pgno <= 16; pgno++)
		held[pgno] = get(cache, pgno, 0);
	/* Nothing can be evicted: the cache grows past its limit. */
	for (pgno = 17; pgno <= 24; pgno++)
		touch(cache, pgno, 0);
	ck_assert_uint_eq(stats(cache).pages, 17);   /* 17..24 share one frame once full */
	ck_assert_ptr_nonnull(cache_lookup(cache, 24));
	ck_assert_ptr_null(cache_lookup(cache, 17));

	/* Two references: the first release keeps the frame off the list. */
	ck_assert_ptr_eq(get(cache, 5, 0), held[5]);
	ck_assert_int_eq(held[5]->refs, 2);
	cache_unref(held[5]);
	ck_assert_int_eq(held[5]->on_lru, 0);
	for (pgno = 1; pgno <= 16; pgno++)
		cache_unref(held[pgno]);
	ck_assert_int_eq(held[5]->on_lru, 1);

	/* Trim evicts the least recently released: 24, released before 1..16. */
	cache_trim(cache);
	ck_assert_uint_eq(stats(cache).pages, 16);
	ck_assert_ptr_null(cache_lookup(cache, 24));
	ck_assert_ptr_nonnull(cache_lookup(cache, 1));
	cache_free(cache);
}
END_TEST

START_TEST(test_dirty_soft_limit)
{
	struct cache *cache = new_cache(16);
	struct page **list;
	struct rowfs_err err;
	uint32_t pgno, i;

	/* 12 dirty of 16 frames is not crowded; 13 is (16 / 4 * 3 = 12). */
	for (pgno = 1; pgno <= 16; pgno++) {
		struct page *p = get(cache, pgno, 0);

		if (pgno <= 12)
			cache_mark_dirty(p);
		cache_unref(p);
	}
	ck_assert_uint_eq(stats(cache).dirty, 12);
	ck_assert_int_eq(cache_crowded(cache), 0);
	cache_mark_dirty(get(cache, 13, 0));
	cache_unref(cache_lookup(cache, 13));
	ck_assert_int_eq(cache_crowded(cache), 1);

	/* Below the limit, 13 dirty frames of 15 are not crowded. */
	cache_drop(cache_lookup(cache, 14));
	cache_drop(cache_lookup(cache, 15));
	ck_assert_uint_eq(stats(cache).pages, 14);
	cache_drop(cache_lookup(cache, 16));
	ck_assert_uint_eq(stats(cache).pages, 13);
	ck_assert_uint_eq(cache_dirty_count(cache), 13);
	ck_assert_int_eq(cache_crowded(cache), 0);

	/* Dirty frames are never victims: 40 more dirty pages grow the cache. */
	for (pgno = 100; pgno > 60; pgno--) {
		struct page *p = get(cache, pgno, 0);

		cache_mark_dirty(p);
		cache_unref(p);
		ck_assert_int_eq(p->on_lru, 0);
	}
	ck_assert_uint_eq(stats(cache).pages, 53);
	ck_assert_uint_eq(cache_dirty_count(cache), 53);
	ck_assert_int_eq(cache_crowded(cache), 1);
	cache_trim(cache);
	ck_assert_uint_eq(stats(cache).pages, 53);

	/* The checkpoint's list: every dirty frame, by page number. */
	ck_assert_int_eq(cache_dirty_pages(cache, &list, &err), ROWFS_OK);
	for (i = 0; i < 53; i++) {
		ck_assert_int_eq(list[i]->dirty, 1);
		ck_assert_uint_eq(list[i]->pgno, i < 13 ? i + 1 : 61 + (i - 13));
	}
	for (i = 0; i < 53; i++)
		cache_mark_clean(list[i]);
	free(list);
	ck_assert_uint_eq(cache_dirty_count(cache), 0);
	ck_assert_int_eq(cache_crowded(cache), 0);

	/* Clean again: trim brings the cache back to its limit, keeping the last cleaned. */
	cache_trim(cache);
	ck_assert_uint_eq(stats(cache).pages, 16);
	for (pgno = 85; pgno <= 100; pgno++)
		ck_assert_ptr_nonnull(cache_lookup(cache, pgno));
	ck_assert_ptr_null(cache_lookup(cache, 84));
	ck_assert_ptr_null(cache_lookup(cache, 1));
	cache_free(cache);
}
END_TEST

START_TEST(test_cold_scan)
{
	struct cache *cache = new_cache(16);
	struct page *hot[9], *p, *cold_frame = NULL;
	uint32_t pgno;

	for (pgno = 1; pgno <= 8; pgno++)
		hot[pgno] = touch(cache, pgno, 0);

	/* A scan of 200 pages holds one frame and evicts no hot page. */
	for (pgno = 1000; pgno < 1200; pgno++) {
		p = touch(cache, pgno, 1);
		ck_assert_int_eq(p->cold, 1);
		if (!cold_frame)
			cold_frame = p;
		ck_assert_ptr_eq(p, cold_frame);
		ck_assert_ptr_eq(p->lru_next, NULL);   /* at the eviction end */
	}
	ck_assert_uint_eq(stats(cache).pages, 9);
	for (pgno = 1; pgno <= 8; pgno++)
		ck_assert_ptr_eq(cache_lookup(cache, pgno), hot[pgno]);

	/* A cold get of a hot page leaves it hot; a plain get of a cold page makes it normal. */
	p = touch(cache, 3, 1);
	ck_assert_int_eq(p->cold, 0);
	p = get(cache, 1199, 0);
	ck_assert_int_eq(p->cold, 0);
	cache_unref(p);
	ck_assert_ptr_eq(p->lru_prev, NULL);   /* at the front now */
	p = touch(cache, 1200, 1);             /* no cold victim: a new frame */
	ck_assert_ptr_ne(p, cold_frame);
	ck_assert_uint_eq(stats(cache).pages, 10);

	/* A change makes a cold frame normal too. */
	p = get(cache, 1201, 1);
	ck_assert_ptr_eq(p, cache_lookup(cache, 1201));
	ck_assert_uint_eq(stats(cache).pages, 10);  /* reused 1200's cold frame */
	cache_mark_dirty(p);
	ck_assert_int_eq(p->cold, 0);
	cache_unref(p);
	ck_assert_int_eq(p->on_lru, 0);
	cache_free(cache);
}
END_TEST

START_TEST(test_hash_growth_and_iter)
{
	struct cache *cache = new_cache(16);
	struct cache_iter it;
	struct page *p;
	static uint8_t seen[5001];
	uint32_t pgno, n = 0, dropped = 0;

	/* 5000 dirty frames: the 64-bucket table doubles many times. */
	for (pgno = 1; pgno <= 5000; pgno++) {
		p = get(cache, pgno * 7919u % 100003u, 0);
		cache_mark_dirty(p);
		cache_unref(p);
	}
	ck_assert_uint_eq(stats(cache).pages, 5000);
	for (pgno = 1; pgno <= 5000; pgno++) {
		p = cache_lookup(cache, pgno * 7919u % 100003u);
		REQUIRE(p && p->pgno == pgno * 7919u % 100003u, "page %u lost", pgno * 7919u % 100003u);
	}

	/* The iterator sees every frame once, also while dropping what it returned. */
	cache_iter_init(&it, cache);
	while ((p = cache_iter_next(&it))) {
		uint32_t i = p->pgno;

		for (pgno = 1; pgno <= 5000 && pgno * 7919u % 100003u != i; pgno++)
			;
		REQUIRE(pgno <= 5000, "iterator returned page %u, never cached", i);
		REQUIRE(!seen[pgno], "iterator returned page %u twice", i);
		seen[pgno] = 1;
		n++;
		if (pgno % 2) {
			cache_drop(p);
			dropped++;
		}
	}
	ck_assert_uint_eq(n, 5000);
	ck_assert_uint_eq(stats(cache).pages, 5000 - dropped);
	ck_assert_uint_eq(cache_dirty_count(cache), 5000 - dropped);
	n = 0;
	cache_iter_init(&it, cache);
	while ((p = cache_iter_next(&it)))
		n++;
	ck_assert_uint_eq(n, 2500);

	/* cache_clear drops everything, dirty frames too; the counters stay. */
	cache_clear(cache);
	ck_assert_uint_eq(stats(cache).pages, 0);
	ck_assert_uint_eq(stats(cache).dirty, 0);
	ck_assert_uint_eq(stats(cache).misses, 5000);
	cache_iter_init(&it, cache);
	ck_assert_ptr_null(cache_iter_next(&it));
	touch(cache, 1, 0);
	ck_assert_uint_eq(stats(cache).pages, 1);
	cache_free(cache);
}
END_TEST

START_TEST(test_detached_pages)
{
	struct page *p = cache_page_new();

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(p->data);
	ck_assert_ptr_null(p->cache);
	ck_assert_int_eq(p->refs, 0);
	ck_assert_int_eq(p->dirty, 0);
	memset(p->data, 0xab, PAGE_SIZE);
	cache_page_free(p);
	cache_page_free(NULL);
	ck_assert_uint_eq(cache_slot(5, 64), (5u * 2654435761u) & 63u);
	ck_assert_uint_lt(cache_slot(UINT32_MAX, 256), 256);
}
END_TEST

/* ---- the model ------------------------------------------------------------ */

#define PAGES 48u                 /* page numbers 1..PAGES */
#define MAX_REFS 3

struct mframe {
	int present;              /* cached */
	struct page *ptr;         /* its frame */
	int refs, dirty, cold;
};

struct model {
	struct mframe f[PAGES + 1];
	uint32_t lru[PAGES];      /* page numbers, [0] the front (most recently released) */
	uint32_t lru_len;
	uint32_t count, dirty, limit;
	uint64_t hits, misses;
};

static void lru_del(struct model *m, uint32_t pgno)
{
	uint32_t i;

	for (i = 0; i < m->lru_len && m->lru[i] != pgno; i++)
		;
	if (i == m->lru_len)
		return;
	memmove(m->lru + i, m->lru + i + 1, (m->lru_len - i - 1) * sizeof(m->lru[0]));
	m->lru_len--;
}

static void lru_front(struct model *m, uint32_t pgno)
{
	memmove(m->lru + 1, m->lru, m->lru_len * sizeof(m->lru[0]));
	m->lru[0] = pgno;
	m->lru_len++;
}

static void lru_back(struct model *m, uint32_t pgno)
{
	m->lru[m->lru_len++] = pgno;
}

static void m_drop(struct model *m, uint32_t pgno)
{
	lru_del(m, pgno);
	if (m->f[pgno].dirty)
		m->dirty--;
	m->count--;
	memset(&m->f[pgno], 0, sizeof(m->f[pgno]));
}

/* get(pgno, cold) in the model and the cache; the frame a miss reuses is checked. */
static void step_get(struct model *m, struct cache *cache, uint32_t pgno, int cold)
{
	struct mframe *f = &m->f[pgno];
	struct page *victim = NULL, *p;
	uint32_t q;

	if (f->present) {
		m->hits++;
		lru_del(m, pgno);
		if (!cold)
			f->cold = 0;
		f->refs++;
		p = get(cache, pgno, cold);
		REQUIRE(p == f->ptr, "hit on %u returned another frame", pgno);
		return;
	}
	m->misses++;
	if (m->lru_len && (m->count >= m->limit || (cold && m->f[m->lru[m->lru_len - 1]].cold))) {
		q = m->lru[m->lru_len - 1];
		victim = m->f[q].ptr;
		m->lru_len--;
		memset(&m->f[q], 0, sizeof(m->f[q]));
	} else {
		m->count++;
	}
	p = get(cache, pgno, cold);
	if (victim)
		REQUIRE(p == victim, "page %u did not reuse the LRU victim's frame", pgno);
	for (q = 1; q <= PAGES; q++)
		REQUIRE(!m->f[q].present || m->f[q].ptr != p, "page %u got page %u's frame", pgno, q);
	f->present = 1;
	f->ptr = p;
	f->refs = 1;
	f->dirty = 0;
	f->cold = cold;
}

static void step_unref(struct model *m, uint32_t pgno)
{
	struct mframe *f = &m->f[pgno];

	cache_unref(f->ptr);
	if (--f->refs == 0 && !f->dirty) {
		if (f->cold)
			lru_back(m, pgno);
		else
			lru_front(m, pgno);
	}
}

/* Every frame's fields, the exact LRU order, the counters. */
static void verify(const struct model *m, struct cache *cache)
{
	struct cache_stats st;
	const struct page *p, *prev = NULL;
	uint32_t pgno, i;

	cache_stats(cache, &st);
	REQUIRE(st.pages == m->count, "pages %u, model %u", st.pages, m->count);
	REQUIRE(st.dirty == m->dirty, "dirty %u, model %u", st.dirty, m->dirty);
	REQUIRE(st.hits == m->hits && st.misses == m->misses, "hits/misses differ");
	REQUIRE(cache_crowded(cache) == (m->count >= m->limit && m->dirty > m->limit / 4 * 3),
		"cache_crowded() at %u pages, %u dirty", m->count, m->dirty);
	for (pgno = 1; pgno <= PAGES; pgno++) {
		const struct mframe *f = &m->f[pgno];

		p = cache_lookup(cache, pgno);
		if (!f->present) {
			REQUIRE(p == NULL, "page %u cached, model has none", pgno);
			continue;
		}
		REQUIRE(p == f->ptr, "page %u: another frame", pgno);
		REQUIRE(p->refs == f->refs && p->dirty == f->dirty && p->cold == f->cold,
			"page %u: refs %d dirty %d cold %d, model %d %d %d", pgno, p->refs, p->dirty,
			p->cold, f->refs, f->dirty, f->cold);
	}
	for (i = 0; i < m->lru_len; i++) {
		p = m->f[m->lru[i]].ptr;
		REQUIRE(p->on_lru && p->lru_prev == prev, "LRU position %u (page %u)", i, m->lru[i]);
		if (prev)
			REQUIRE(prev->lru_next == p, "LRU link before page %u", m->lru[i]);
		prev = p;
	}
	REQUIRE(!prev || prev->lru_next == NULL, "LRU tail has a successor");
	for (pgno = 1; pgno <= PAGES; pgno++) {
		int listed = 0;

		for (i = 0; i < m->lru_len; i++)
			listed |= m->lru[i] == pgno;
		REQUIRE(!m->f[pgno].present || m->f[pgno].ptr->on_lru == listed,
			"page %u: on_lru %d, model %d", pgno, m->f[pgno].ptr->on_lru, listed);
	}
}

START_TEST(test_model)
{
	uint64_t seed = tu_seed("ROWFS_SEED", DEFAULT_SEED), rng = seed;
	uint32_t steps = tu_flag("ROWFS_SLOW") ? 300000 : 30000, s;
	struct model *m = calloc(1, sizeof(*m));
	struct cache *cache;

	printf("check_cache model: seed %llu\n", (unsigned long long)seed);
	ck_assert_ptr_nonnull(m);
	m->limit = 16;
	cache = new_cache(m->limit);
	for (s = 0; s < steps; s++) {
		uint32_t op = (uint32_t)(tu_next_random(&rng) % 100);
		uint32_t pgno = 1 + (uint32_t)(tu_next_random(&rng) % PAGES);
		struct mframe *f = &m->f[pgno];

		if (op < 40) {                          /* get, a third of them cold */
			if (!f->present || f->refs < MAX_REFS)
				step_get(m, cache, pgno, tu_next_random(&rng) % 3 == 0);
		} else if (op < 75) {                   /* release */
			if (f->present && f->refs > 0)
				step_unref(m, pgno);
		} else if (op < 85) {                   /* a change of a referenced page */
			if (f->present && f->refs > 0) {
				cache_mark_dirty(f->ptr);
				f->cold = 0;
				if (!f->dirty) {
					f->dirty = 1;
					m->dirty++;
					lru_del(m, pgno);
				}
			}
		} else if (op < 91) {                   /* a checkpoint writes every dirty page */
			struct page **list;
			struct rowfs_err err;
			uint32_t i, n = cache_dirty_count(cache), q;

			ck_assert_int_eq(cache_dirty_pages(cache, &list, &err), ROWFS_OK);
			for (i = 0; i < n; i++) {
				REQUIRE(i == 0 || list[i - 1]->pgno < list[i]->pgno, "dirty list order");
				q = list[i]->pgno;
				REQUIRE(m->f[q].dirty, "page %u listed dirty", q);
				cache_mark_clean(list[i]);
				m->f[q].dirty = 0;
				m->dirty--;
				if (m->f[q].refs == 0)
					lru_front(m, q);
			}
			free(list);
			REQUIRE(m->dirty == 0, "dirty pages missing from the list");
			if (tu_next_random(&rng) % 2) {
				cache_trim(cache);
				while (m->count > m->limit && m->lru_len)
					m_drop(m, m->lru[m->lru_len - 1]);
			}
		} else if (op < 94) {                   /* a rollback drops a page */
			if (f->present && f->refs == 0) {
				cache_drop(f->ptr);
				m_drop(m, pgno);
			}
		} else if (op < 95) {                   /* a reload */
			uint32_t q;

			for (q = 1; q <= PAGES; q++)
				if (m->f[q].present && m->f[q].refs)
					break;
			if (q > PAGES) {
				cache_clear(cache);
				for (q = 1; q <= PAGES; q++)
					memset(&m->f[q], 0, sizeof(m->f[q]));
				m->lru_len = m->count = m->dirty = 0;
			}
		}
		verify(m, cache);
	}
	cache_free(cache);
	free(m);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc;

	tc = tcase_create("frames");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_new_and_owner);
	tcase_add_test(tc, test_eviction_order);
	tcase_add_test(tc, test_referenced_frames_stay);
	tcase_add_test(tc, test_dirty_soft_limit);
	tcase_add_test(tc, test_cold_scan);
	tcase_add_test(tc, test_hash_growth_and_iter);
	tcase_add_test(tc, test_detached_pages);
	suite_add_tcase(s, tc);

	tc = tcase_create("model");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_model);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run("check_cache", cache_suite());
}
