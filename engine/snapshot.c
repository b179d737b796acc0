/*
 * snapshot.c - the snapshot version store: live snapshots, the old page
 * images kept for them, their expiry and garbage collection.
 *
 * Owns: the list of live snapshots (struct snapshot, embedded in the
 * pager's rowfs_snapshot handles), the versions (detached struct page
 * images from cache.h) in a hash table pgno -> versions newest first, the
 * bound on their number and the count of expired snapshots.  Beside the
 * cache, below the pager: it does no I/O and never calls the pager; the
 * pager tells it the sequences and page counts it needs.
 *
 * Model.  A snapshot is a committed sequence S (and, in the pager's
 * handle, a copy of the header of that state).  Reads through it see page
 * P as the version of P with the smallest tag >= S (snapshot_version),
 * else the live page.  Before a transaction first changes an existing
 * page (the pager's preserve(): pager_write, pager_free and the reuse of a
 * free page), the page's committed image is kept with tag = the last
 * committed sequence (snapshot_keep) if a live snapshot newer than the
 * page's newest kept image exists and can reach it (page number below its
 * page count).  Pages allocated past a snapshot's page count are
 * invisible to it and need nothing.  DBFILE and the WAL only ever hold
 * the newest state: the old images live in memory only, and checkpoints
 * are unaffected.  A long transaction opens a pinned base snapshot first,
 * so every page it changes keeps its committed image: snapshots opened
 * during it see the committed state, and pager_rollback() copies those
 * images back.
 *
 * Invariants.
 *  1. The versions of a page form a chain newest first with strictly
 *     decreasing tags; version (P, t) with next older version (P, o)
 *     holds P as of every state in (o, t] (every state up to t if it is
 *     the oldest), which is exactly what the snapshots in that range read.
 *  2. New snapshots are newer than every tag, so a version no live
 *     snapshot reads is never needed again: garbage collection
 *     (versions_gc, when a snapshot leaves or expires) frees it unless a
 *     reader still holds a reference to it.
 *  3. The live list is in the order snapshots were added, oldest first,
 *     so sequences ascend along it; count is its length.
 *  4. versions <= limit after snapshot_keep returns, unless only pinned
 *     snapshots (and those at base's sequence, which read exactly the
 *     images the base keeps) remain: past the limit the oldest other
 *     snapshots expire (the pager then fails their reads with
 *     ROWFS_STALE) and the versions only they read are freed.
 */
#include <config.h>
#include "snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

struct snapshot_store {
	uint32_t limit;           /* page images kept at most (invariant 4) */
	void *owner;              /* stored in every version */
	struct snapshot *head;    /* live snapshots, oldest first */
	struct snapshot *tail;    /* the newest live snapshot */
	uint32_t count;           /* live snapshots */
	struct page **vhash;      /* pgno -> versions, newest first */
	uint32_t vhash_size;      /* power of two (0 until the first version) */
	uint32_t versions;        /* page images kept */
	uint64_t max_tag;         /* the largest tag a version was kept with (only grows) */
	uint64_t expired;         /* snapshots expired since the store was made */
};

int snapshot_store_new(uint32_t limit, void *owner, struct snapshot_store **out,
		       struct rowfs_err *err)
{
	struct snapshot_store *store = calloc(1, sizeof(*store));

	*out = NULL;
	if (!store)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	store->limit = limit;
	store->owner = owner;
	*out = store;
	return ROWFS_OK;
}

/* ---- versions ---------------------------------------------------------- */

static uint32_t vhash_slot(const struct snapshot_store *store, uint32_t pgno)
{
	return cache_slot(pgno, store->vhash_size);
}

/* Newest version of pgno, or NULL. */
static struct page *version_head(const struct snapshot_store *store, uint32_t pgno)
{
	struct page *v;

	if (!store->vhash_size)
		return NULL;
	for (v = store->vhash[vhash_slot(store, pgno)]; v; v = v->hash_next)
		if (v->pgno == pgno)
			return v;
	return NULL;
}

/* The version a reader at seq sees: the one with the smallest tag >= seq. */
struct page *snapshot_version(const struct snapshot_store *store, uint32_t pgno, uint64_t seq)
{
	struct page *v = version_head(store, pgno), *best = NULL;

	for (; v && v->tag >= seq; v = v->vnext)
		best = v;
	return best;
}

/* The live snapshots' sequences, sorted: what versions_gc() asks about. */
struct live_seqs {
	uint64_t *seq;            /* ascending; NULL if out of memory (walk the list) */
	uint32_t count;           /* entries */
	const struct snapshot_store *store; /* whose list to walk without seq */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void live_seqs_init(struct live_seqs *l, const struct snapshot_store *store)
{
	const struct snapshot *s;
	uint32_t n = 0;

	l->store = store;
	l->count = store->count;
	l->seq = store->count ? malloc((size_t)store->count * sizeof(*l->seq)) : NULL;
	if (!l->seq)
		return;
	for (s = store->head; s && n < l->count; s = s->next)
		l->seq[n++] = s->seq;
	l->count = n;
	qsort(l->seq, n, sizeof(*l->seq), cmp_u64);
}

/*
 * Is some live snapshot's sequence in (lo, hi]?  (has_lo 0: no lower
 * bound.)  O(log snapshots): a GC pass asks once per version, and many
 * readers can be open.
 */
static int snapshot_in(const struct live_seqs *l, int has_lo, uint64_t lo, uint64_t hi)
{
	const struct snapshot *s;
	uint32_t a = 0, b = l->count;

	if (!l->seq) {
		for (s = l->store->head; s; s = s->next)
			if ((!has_lo || s->seq > lo) && s->seq <= hi)
				return 1;
		return 0;
	}
	if (!has_lo)
		return l->count > 0 && l->seq[0] <= hi;
	while (a < b) {   /* the first sequence > lo */
		uint32_t m = a + (b - a) / 2;

		if (l->seq[m] > lo)
			b = m;
		else
			a = m + 1;
	}
	return a < l->count && l->seq[a] <= hi;
}

static void vhash_grow(struct snapshot_store *store)
{
	uint32_t size = store->vhash_size ? store->vhash_size * 2 : 256, i;
	struct page **n = calloc(size, sizeof(*n));

	if (!n)
		return;   /* longer chains, still correct */
	for (i = 0; i < store->vhash_size; i++) {
		struct page *v = store->vhash[i], *next;

		for (; v; v = next) {
			uint32_t slot = cache_slot(v->pgno, size);

			next = v->hash_next;
			v->hash_next = n[slot];
			n[slot] = v;
		}
	}
	free(store->vhash);
	store->vhash = n;
	store->vhash_size = size;
}

/*
 * Drop every version no live snapshot can read: version v of a page, with
 * the next older version o, is read by the snapshots in (o->tag, v->tag]
 * (all at or below v->tag when there is no o).  New snapshots are newer
 * than every tag, so a version dropped is never needed again.
 */
static void versions_gc(struct snapshot_store *store)
{
	struct live_seqs live;
	uint32_t i;

	live_seqs_init(&live, store);
	for (i = 0; i < store->vhash_size; i++) {
		struct page *heads = store->vhash[i];

		store->vhash[i] = NULL;
		while (heads) {
			struct page *v = heads, *keep = NULL, **tail = &keep, *next;

			heads = heads->hash_next;
			for (; v; v = next) {
				next = v->vnext;   /* the next older version, still intact */
				if (v->refs == 0 &&
				    !snapshot_in(&live, next != NULL, next ? next->tag : 0, v->tag)) {
					store->versions--;
					cache_page_free(v);
				} else {
					*tail = v;
					tail = &v->vnext;
				}
			}
			*tail = NULL;
			if (keep) {
				keep->hash_next = store->vhash[i];
				store->vhash[i] = keep;
			}
		}
	}
	free(live.seq);
}

/* ---- snapshots --------------------------------------------------------- */

static void snapshot_unlink(struct snapshot_store *store, struct snapshot *s)
{
	if (!s->live)
		return;
	if (s->prev)
		s->prev->next = s->next;
	else
		store->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		store->tail = s->prev;
	s->prev = s->next = NULL;
	s->live = 0;
	store->count--;
}

void snapshot_add(struct snapshot_store *store, struct snapshot *s, uint64_t seq,
		  uint32_t page_count)
{
	s->seq = seq;
	s->page_count = page_count;
	s->pinned = 0;
	s->expired = 0;
	s->live = 1;
	s->next = NULL;
	s->prev = store->tail;
	if (store->tail)
		store->tail->next = s;
	else
		store->head = s;
	store->tail = s;
	store->count++;
}

void snapshot_remove(struct snapshot_store *store, struct snapshot *s)
{
	const struct snapshot *o;
	int shared = 0;

	if (!s->live)
		return;
	snapshot_unlink(store, s);
	/* the set of live sequences decides what is kept: unchanged if another has s->seq */
	for (o = store->head; o && !shared; o = o->next)
		shared = o->seq == s->seq;
	/*
	 * A snapshot newer than every version's tag read none of them (version
	 * v is read at or below v->tag): dropping it frees nothing, and the
	 * short readers at the newest state (a lookup, a rendering) cost no pass.
	 */
	if (!shared && store->versions && s->seq <= store->max_tag)
		versions_gc(store);
}

/*
 * Over the limit: expire the oldest snapshots that are not pinned.  A
 * snapshot at the base's sequence (one opened during the long
 * transaction, or just before it) reads exactly the images the base
 * keeps: expiring it would free nothing, so it is spared like the base.
 */
static void versions_bound(struct snapshot_store *store, const struct snapshot *base)
{
	while (store->versions > store->limit) {
		struct snapshot *s;

		for (s = store->head; s && (s->pinned || (base && s->seq == base->seq));
		     s = s->next)
			;
		if (!s)
			return;   /* only pinned snapshots: the transaction's own images */
		s->expired = 1;
		snapshot_unlink(store, s);
		store->expired++;
		versions_gc(store);
	}
}

int snapshot_keep(struct snapshot_store *store, const struct page *page, uint64_t tag,
		  const struct snapshot *base, struct rowfs_err *err)
{
	const struct snapshot *newest = store->tail;
	struct page *head, *v;

	if (!newest || page->pgno >= newest->page_count)
		return ROWFS_OK;
	head = version_head(store, page->pgno);
	if (head && head->tag >= newest->seq)
		return ROWFS_OK;   /* the newest snapshot reads that image already */
	v = cache_page_new();
	if (!v)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	memcpy(v->data, page->data, PAGE_SIZE);
	v->pgno = page->pgno;
	v->owner = store->owner;
	v->version = 1;
	v->tag = tag;
	if (tag > store->max_tag)
		store->max_tag = tag;
	if (store->versions >= store->vhash_size)
		vhash_grow(store);
	if (head) {
		/* v replaces head in the hash chain */
		struct page **hp = &store->vhash[vhash_slot(store, page->pgno)];

		while (*hp != head)
			hp = &(*hp)->hash_next;
		v->hash_next = head->hash_next;
		head->hash_next = NULL;
		*hp = v;
		v->vnext = head;
	} else {
		uint32_t slot = vhash_slot(store, page->pgno);

		v->hash_next = store->vhash[slot];
		store->vhash[slot] = v;
	}
	store->versions++;
	versions_bound(store, base);
	return ROWFS_OK;
}

void snapshot_stats(const struct snapshot_store *store, uint32_t *snapshots, uint32_t *versions,
		    uint64_t *expired)
{
	*snapshots = store->count;
	*versions = store->versions;
	*expired = store->expired;
}

void snapshot_store_free(struct snapshot_store *store)
{
	if (!store)
		return;
	while (store->head) {
		struct snapshot *s = store->head;

		/* still held by their owners, who free them */
		snapshot_unlink(store, s);
		s->expired = 1;
	}
	versions_gc(store);
	free(store->vhash);
	free(store);
}
