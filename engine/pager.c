/*
 * pager.c - page cache, transactions and crash-atomic checkpoints.
 *
 * Owns: the cache of PAGE_SIZE pages of DBFILE, the in-memory copy of the
 * file header (page 0), the transaction's log buffer, the commit point and
 * the checkpoint.  Below it: wal.c (DBFILE-wal) and os.c.
 *
 * Model.  DBFILE always holds the state of the last checkpoint.  Every
 * change made since lives only in dirty cache pages; its durability comes
 * from the logical records of each committed transaction, which sit in the
 * WAL as WAL_FRAME_TXN frames.  After a crash, recovery re-runs those
 * records through the B-tree (the caller's replay callback) on top of the
 * checkpointed file.
 *
 * Invariants.
 *  1. A dirty page is never evicted and never written to DBFILE except by a
 *     checkpoint, and a checkpoint never runs while the open transaction
 *     has changed anything (so DBFILE never holds uncommitted changes).
 *  2. The header's applied sequence equals the sequence of the last
 *     transaction whose changes DBFILE holds; replay skips TXN frames at or
 *     below it, so replay after an interrupted checkpoint never applies a
 *     transaction twice.
 *  3. Clean pages equal their bytes in DBFILE; unreferenced clean pages sit
 *     on the LRU list and are the only eviction candidates.  The cache
 *     holds at most cache_pages pages unless dirty or referenced pages
 *     exceed that (soft limit: once the cache is full, commit checkpoints
 *     when dirty pages pass 3/4 of cache_pages, so the excess is bounded
 *     by one transaction).
 *     Cold pages (read by pager_get_cold for a one-pass scan) go to the
 *     eviction end of the list and their frames are reused by the next
 *     cold read even below cache_pages, so a scan holds O(1) frames.
 *  4. After a failed write or fsync the pager is in the ERROR state: no
 *     commit or checkpoint is attempted until pager_reload() has rebuilt
 *     the state from what is on disk.  A failed fsync is never retried.
 *
 * Ordering rules (what is made durable before what).
 *  Commit:     TXN frame appended -> WAL fsync (sync=full) -> success
 *              reported.  This is the commit point.
 *  Checkpoint: pages past the checkpointed page count written into DBFILE
 *              -> PAGE frames for page 0 (new applied sequence) and every
 *              other dirty page + CKPT_END appended -> DBFILE fsync -> WAL
 *              fsync -> those pages written into DBFILE -> DBFILE fsync ->
 *              WAL reset (new salts, truncated, fsync).  A crash before the
 *              WAL fsync leaves an incomplete block that recovery ignores
 *              (pages past the old page count are unreferenced garbage); a
 *              crash after it is redone from the block (copying pages is
 *              idempotent).
 *  With sync=normal the commit fsync is skipped; with sync=off every fsync.
 *
 * Snapshots (the version store).  A snapshot is a committed sequence S
 * and a copy of the header of that state.  Reads through it
 * (pager_set_view) see page P as the version of P with the smallest tag
 * >= S, else the live page.  Before a transaction first changes an
 * existing page (preserve(), from pager_write, pager_free and the reuse of
 * a free page), the page's committed image is kept with tag = last_seq if
 * a live snapshot newer than the page's newest kept image exists and can
 * reach it (page number below its page count): so a version (P, t)
 * holds P as of every state from the one after the previous version's tag
 * up to t, which is exactly what those snapshots need.  Pages allocated
 * past a snapshot's page count are invisible to it and need nothing.
 * Versions no live snapshot reads are freed when snapshots close
 * (versions_gc).  The store is bounded by snapshot_pages: past it the
 * oldest unpinned snapshots expire (reads then fail with ROWFS_STALE).
 * Checkpoints are unaffected: DBFILE and the WAL only ever hold the newest
 * state, the old images live in memory.  A long transaction (pager_begin
 * with long_txn) opens a pinned base snapshot first, so every page it
 * changes keeps its committed image: snapshots opened during it see the
 * committed state, and pager_rollback() copies those images back.
 *
 * States (function making the transition):
 *
 *    OPEN --pager_open--> READY --pager_begin--> WRITER --pager_commit--> READY
 *                           ^                      |
 *                           |                      +-- write/fsync fails --> ERROR
 *                           +------ pager_reload + pager_replay ------------'
 */
#include <config.h>
#include "pager.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "row.h"
#include "util.h"
#include "wal.h"

struct page {
	uint32_t pgno;            /* page number */
	int refs;                 /* references handed out by pager_get/allocate */
	int dirty;                /* changed since the last checkpoint */
	uint8_t *data;            /* PAGE_SIZE bytes */
	struct pager *pager;      /* owner */
	struct page *hash_next;   /* chain in the hash table */
	struct page *lru_prev;    /* LRU list of clean unreferenced pages */
	struct page *lru_next;
	int on_lru;               /* 1 while on the LRU list */
	int cold;                 /* read by pager_get_cold, not wanted since: evict first */
	uint64_t touched;         /* txn_serial of the last transaction that changed it */
	int version;              /* 1: an old image kept for snapshots (not in the cache) */
	uint64_t tag;             /* version: the page as of committed sequence tag */
	struct page *vnext;       /* version: next older version of the same page */
};

struct header {
	uint32_t root;            /* root page of the table */
	uint32_t page_count;      /* pages in the database, page 0 included */
	uint32_t free_head;       /* first free page */
	uint32_t free_count;      /* pages on the free list */
	uint64_t change_counter;  /* checkpoints that wrote the file */
	uint64_t applied_seq;     /* last transaction the file holds */
	uint64_t row_count;       /* rows in the table */
};

/*
 * A snapshot: one committed state, read through pager_set_view().  Pages
 * changed since it was taken are read from the version store (see
 * "Snapshots" in the comment at the top).
 */
struct rowfs_snapshot {
	uint64_t seq;             /* committed sequence it shows */
	struct header hdr;        /* header of that state */
	int pinned;               /* base of a long transaction: never expired */
	int expired;              /* dropped to bound the version store */
	int live;                 /* on the pager's list */
	struct rowfs_snapshot *prev, *next; /* live list, oldest first */
};

struct pager {
	struct pager_config cfg;  /* copy of the configuration */
	char *path;               /* DBFILE */
	char *wal_path;           /* DBFILE-wal */
	struct os_file *file;     /* DBFILE */
	struct wal *wal;          /* the log */
	struct header hdr;        /* header of the newest state (memory) */
	uint32_t disk_pages;      /* page count of the checkpointed state in DBFILE */
	int header_dirty;         /* hdr differs from page 0 on disk */

	struct page **hash;       /* buckets */
	uint32_t hash_size;       /* power of two */
	uint32_t count;           /* pages in the cache */
	uint32_t dirty_count;     /* dirty pages */
	struct page *lru_head;    /* most recently released */
	struct page *lru_tail;    /* eviction candidate */

	uint8_t *txn;             /* logged records of the open transaction */
	size_t txn_len, txn_cap;
	int in_txn;               /* between pager_begin and commit/reload */
	int txn_modified;         /* the open transaction changed pages or header */
	uint64_t last_seq;        /* sequence of the last committed transaction */
	int replaying;            /* pager_replay running: writes allowed even read-only */
	int error;                /* ERROR state (invariant 4) */
	int unloaded;             /* a reload did not finish: the cache holds no valid state */

	uint64_t hits, misses, commits, checkpoints, db_fsyncs;

	uint64_t txn_serial;      /* +1 at every pager_begin */
	struct rowfs_snapshot *snap_head, *snap_tail; /* live snapshots, oldest first */
	uint32_t snap_count;      /* live snapshots */
	struct rowfs_snapshot *txn_base; /* pinned snapshot of a long transaction */
	struct rowfs_snapshot *view;     /* state reads see; NULL = the newest (live) */
	struct page **vhash;      /* version store: pgno -> versions, newest first */
	uint32_t vhash_size;      /* power of two (0 until the first version) */
	uint32_t versions;        /* page images in the version store */
	uint64_t expired;         /* snapshots expired since open */
	int wal_limited;          /* a commit failed: recovery trusts the WAL only up to ... */
	uint64_t wal_trust_end;   /* ... this offset (its good end then) ... */
	uint32_t wal_trust_salt[2]; /* ... in this generation */
};

/* ---- header ------------------------------------------------------------ */

/* FNV-1a (32 bits) over bytes 0..63: any single changed byte changes it. */
uint32_t pager_header_checksum(const uint8_t *p)
{
	return fnv1a32(p, HDR_CHECKSUM_OFFSET);
}

static void header_encode(const struct header *h, uint8_t *p)
{
	memset(p, 0, PAGE_SIZE);
	memcpy(p, DB_MAGIC, DB_MAGIC_SIZE);
	put_u32(p + HDR_VERSION_OFFSET, DB_FORMAT_VERSION);
	put_u32(p + HDR_PAGE_SIZE_OFFSET, PAGE_SIZE);
	put_u32(p + HDR_ROOT_OFFSET, h->root);
	put_u32(p + HDR_PAGE_COUNT_OFFSET, h->page_count);
	put_u32(p + HDR_FREE_HEAD_OFFSET, h->free_head);
	put_u32(p + HDR_FREE_COUNT_OFFSET, h->free_count);
	put_u64(p + HDR_CHANGE_COUNTER_OFFSET, h->change_counter);
	put_u64(p + HDR_APPLIED_SEQ_OFFSET, h->applied_seq);
	put_u64(p + HDR_ROW_COUNT_OFFSET, h->row_count);
	put_u32(p + HDR_CHECKSUM_OFFSET, pager_header_checksum(p));
}

/* Validate and decode page 0.  Messages name the file. */
static int header_decode(const char *path, const uint8_t *p, struct header *h,
			 struct rowfs_err *err)
{
	if (memcmp(p, DB_MAGIC, DB_MAGIC_SIZE) != 0)
		return rowfs_err_set(err, ROWFS_NOTADB, 0,
				     "not a rowfs database: '%s' has no rowfs header", path);
	if (get_u32(p + HDR_VERSION_OFFSET) != DB_FORMAT_VERSION)
		return rowfs_err_set(err, ROWFS_NOTADB, 0,
				     "not a rowfs database: '%s' has format version %u, expected %u",
				     path, get_u32(p + HDR_VERSION_OFFSET), DB_FORMAT_VERSION);
	if (get_u32(p + HDR_PAGE_SIZE_OFFSET) != PAGE_SIZE)
		return rowfs_err_set(err, ROWFS_NOTADB, 0,
				     "not a rowfs database: '%s' has page size %u, expected %u",
				     path, get_u32(p + HDR_PAGE_SIZE_OFFSET), PAGE_SIZE);
	if (get_u32(p + HDR_CHECKSUM_OFFSET) != pager_header_checksum(p))
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database '%s': header checksum mismatch", path);
	h->root = get_u32(p + HDR_ROOT_OFFSET);
	h->page_count = get_u32(p + HDR_PAGE_COUNT_OFFSET);
	h->free_head = get_u32(p + HDR_FREE_HEAD_OFFSET);
	h->free_count = get_u32(p + HDR_FREE_COUNT_OFFSET);
	h->change_counter = get_u64(p + HDR_CHANGE_COUNTER_OFFSET);
	h->applied_seq = get_u64(p + HDR_APPLIED_SEQ_OFFSET);
	h->row_count = get_u64(p + HDR_ROW_COUNT_OFFSET);
	if (h->page_count < 2 || h->root == 0 || h->root >= h->page_count ||
	    h->free_head >= h->page_count || h->free_count >= h->page_count)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database '%s': header fields out of range (root %u, %u pages)",
				     path, h->root, h->page_count);
	return ROWFS_OK;
}

/* ---- cache ------------------------------------------------------------- */

/* Bucket of pgno in a table of size buckets (a power of two): Fibonacci hashing. */
static uint32_t pgno_slot(uint32_t pgno, uint32_t size)
{
	return (pgno * 2654435761u) & (size - 1);
}

static uint32_t hash_slot(const struct pager *pager, uint32_t pgno)
{
	return pgno_slot(pgno, pager->hash_size);
}

static struct page *cache_lookup(struct pager *pager, uint32_t pgno)
{
	struct page *p;

	for (p = pager->hash[hash_slot(pager, pgno)]; p; p = p->hash_next)
		if (p->pgno == pgno)
			return p;
	return NULL;
}

static void hash_insert(struct pager *pager, struct page *p)
{
	uint32_t slot = hash_slot(pager, p->pgno);

	p->hash_next = pager->hash[slot];
	pager->hash[slot] = p;
}

static void hash_remove(struct pager *pager, struct page *p)
{
	struct page **pp = &pager->hash[hash_slot(pager, p->pgno)];

	while (*pp && *pp != p)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = p->hash_next;
}

/* Double the hash table when the cache outgrows it (dirty pages past the limit). */
static void hash_grow(struct pager *pager)
{
	uint32_t old_size = pager->hash_size, i;
	struct page **old = pager->hash;
	struct page **fresh = calloc((size_t)old_size * 2, sizeof(*fresh));

	if (!fresh)
		return; /* longer chains, still correct */
	pager->hash = fresh;
	pager->hash_size = old_size * 2;
	for (i = 0; i < old_size; i++) {
		struct page *p = old[i], *next;

		for (; p; p = next) {
			next = p->hash_next;
			hash_insert(pager, p);
		}
	}
	free(old);
}

static void lru_remove(struct pager *pager, struct page *p)
{
	if (!p->on_lru)
		return;
	if (p->lru_prev)
		p->lru_prev->lru_next = p->lru_next;
	else
		pager->lru_head = p->lru_next;
	if (p->lru_next)
		p->lru_next->lru_prev = p->lru_prev;
	else
		pager->lru_tail = p->lru_prev;
	p->lru_prev = p->lru_next = NULL;
	p->on_lru = 0;
}

static void lru_push(struct pager *pager, struct page *p)
{
	p->lru_prev = NULL;
	p->lru_next = pager->lru_head;
	if (pager->lru_head)
		pager->lru_head->lru_prev = p;
	pager->lru_head = p;
	if (!pager->lru_tail)
		pager->lru_tail = p;
	p->on_lru = 1;
}

/* Put p at the eviction end: the next frame needed reuses it. */
static void lru_push_tail(struct pager *pager, struct page *p)
{
	p->lru_next = NULL;
	p->lru_prev = pager->lru_tail;
	if (pager->lru_tail)
		pager->lru_tail->lru_next = p;
	pager->lru_tail = p;
	if (!pager->lru_head)
		pager->lru_head = p;
	p->on_lru = 1;
}

static void page_destroy(struct page *p)
{
	free(p->data);
	free(p);
}

/* Remove a page from the cache entirely. */
static void cache_drop(struct pager *pager, struct page *p)
{
	lru_remove(pager, p);
	hash_remove(pager, p);
	if (p->dirty)
		pager->dirty_count--;
	pager->count--;
	page_destroy(p);
}

/* Evict clean unreferenced pages until the cache is within its size. */
static void cache_trim(struct pager *pager)
{
	while (pager->count > pager->cfg.cache_pages && pager->lru_tail)
		cache_drop(pager, pager->lru_tail);
}

/*
 * A frame for page pgno, not yet in the hash: the LRU victim's when the
 * cache is full or (for a cold read) the victim is a cold page, else a new
 * one.  Contents undefined.
 */
static int cache_frame(struct pager *pager, uint32_t pgno, int cold, struct page **out,
		       struct rowfs_err *err)
{
	struct page *p;

	if (pager->lru_tail &&
	    (pager->count >= pager->cfg.cache_pages || (cold && pager->lru_tail->cold))) {
		p = pager->lru_tail;
		lru_remove(pager, p);
		hash_remove(pager, p);
	} else {
		p = calloc(1, sizeof(*p));
		if (!p)
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		p->data = malloc(PAGE_SIZE);
		if (!p->data) {
			free(p);
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		}
		p->pager = pager;
		pager->count++;
		if (pager->count > pager->hash_size)
			hash_grow(pager);
	}
	p->pgno = pgno;
	p->refs = 0;
	p->dirty = 0;
	p->cold = cold;
	hash_insert(pager, p);
	*out = p;
	return ROWFS_OK;
}

static void mark_dirty(struct pager *pager, struct page *p)
{
	p->cold = 0;
	if (!p->dirty) {
		p->dirty = 1;
		pager->dirty_count++;
		lru_remove(pager, p);
	}
}

static void cache_clear(struct pager *pager)
{
	uint32_t i;

	for (i = 0; i < pager->hash_size; i++) {
		struct page *p = pager->hash[i], *next;

		for (; p; p = next) {
			next = p->hash_next;
			page_destroy(p);
		}
		pager->hash[i] = NULL;
	}
	pager->count = pager->dirty_count = 0;
	pager->lru_head = pager->lru_tail = NULL;
}

/* ---- version store and snapshots -------------------------------------- */

static uint32_t vhash_slot(const struct pager *pager, uint32_t pgno)
{
	return pgno_slot(pgno, pager->vhash_size);
}

/* Newest version of pgno, or NULL. */
static struct page *version_head(const struct pager *pager, uint32_t pgno)
{
	struct page *v;

	if (!pager->vhash_size)
		return NULL;
	for (v = pager->vhash[vhash_slot(pager, pgno)]; v; v = v->hash_next)
		if (v->pgno == pgno)
			return v;
	return NULL;
}

/* The version a reader at seq sees: the one with the smallest tag >= seq. */
static struct page *version_find(const struct pager *pager, uint32_t pgno, uint64_t seq)
{
	struct page *v = version_head(pager, pgno), *best = NULL;

	for (; v && v->tag >= seq; v = v->vnext)
		best = v;
	return best;
}

/* The live snapshots' sequences, sorted: what versions_gc() asks about. */
struct live_seqs {
	uint64_t *seq;            /* ascending; NULL if out of memory (walk the list) */
	uint32_t count;           /* entries */
	const struct pager *pager;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void live_seqs_init(struct live_seqs *l, const struct pager *pager)
{
	const struct rowfs_snapshot *s;
	uint32_t n = 0;

	l->pager = pager;
	l->count = pager->snap_count;
	l->seq = pager->snap_count ? malloc((size_t)pager->snap_count * sizeof(*l->seq)) : NULL;
	if (!l->seq)
		return;
	for (s = pager->snap_head; s && n < l->count; s = s->next)
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
	const struct rowfs_snapshot *s;
	uint32_t a = 0, b = l->count;

	if (!l->seq) {
		for (s = l->pager->snap_head; s; s = s->next)
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

static void vhash_grow(struct pager *pager)
{
	uint32_t size = pager->vhash_size ? pager->vhash_size * 2 : 256, i;
	struct page **n = calloc(size, sizeof(*n));

	if (!n)
		return;   /* longer chains, still correct */
	for (i = 0; i < pager->vhash_size; i++) {
		struct page *v = pager->vhash[i], *next;

		for (; v; v = next) {
			uint32_t slot = pgno_slot(v->pgno, size);

			next = v->hash_next;
			v->hash_next = n[slot];
			n[slot] = v;
		}
	}
	free(pager->vhash);
	pager->vhash = n;
	pager->vhash_size = size;
}

/*
 * Drop every version no live snapshot can read: version v of a page, with
 * the next older version o, is read by the snapshots in (o->tag, v->tag]
 * (all at or below v->tag when there is no o).  New snapshots are newer
 * than every tag, so a version dropped is never needed again.
 */
static void versions_gc(struct pager *pager)
{
	struct live_seqs live;
	uint32_t i;

	live_seqs_init(&live, pager);
	for (i = 0; i < pager->vhash_size; i++) {
		struct page *heads = pager->vhash[i];

		pager->vhash[i] = NULL;
		while (heads) {
			struct page *v = heads, *keep = NULL, **tail = &keep, *next;

			heads = heads->hash_next;
			for (; v; v = next) {
				next = v->vnext;   /* the next older version, still intact */
				if (v->refs == 0 &&
				    !snapshot_in(&live, next != NULL, next ? next->tag : 0, v->tag)) {
					pager->versions--;
					page_destroy(v);
				} else {
					*tail = v;
					tail = &v->vnext;
				}
			}
			*tail = NULL;
			if (keep) {
				keep->hash_next = pager->vhash[i];
				pager->vhash[i] = keep;
			}
		}
	}
	free(live.seq);
}

static void snapshot_unlink(struct pager *pager, struct rowfs_snapshot *s)
{
	if (!s->live)
		return;
	if (s->prev)
		s->prev->next = s->next;
	else
		pager->snap_head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		pager->snap_tail = s->prev;
	s->prev = s->next = NULL;
	s->live = 0;
	pager->snap_count--;
}

/*
 * Over the limit: expire the oldest snapshots that are not a transaction's
 * base.  A snapshot at the base's sequence (one opened during the long
 * transaction, or just before it) reads exactly the images the base keeps:
 * expiring it would free nothing, so it is spared like the base.
 */
static void versions_bound(struct pager *pager)
{
	const struct rowfs_snapshot *base = pager->txn_base;

	while (pager->versions > pager->cfg.snapshot_pages) {
		struct rowfs_snapshot *s;

		for (s = pager->snap_head; s && (s->pinned || (base && s->seq == base->seq));
		     s = s->next)
			;
		if (!s)
			return;   /* only pinned snapshots: the transaction's own images */
		s->expired = 1;
		snapshot_unlink(pager, s);
		pager->expired++;
		versions_gc(pager);
	}
}

/*
 * Before the first change of page p in this transaction: keep its
 * committed image if a live snapshot may read it (one newer than the
 * page's newest kept image, and old enough to reach the page).
 */
static int preserve(struct pager *pager, struct page *p, struct rowfs_err *err)
{
	struct rowfs_snapshot *newest = pager->snap_tail;
	struct page *head, *v;

	if (p->touched == pager->txn_serial)
		return ROWFS_OK;
	if (newest && !pager->replaying && p->pgno < newest->hdr.page_count) {
		head = version_head(pager, p->pgno);
		if (!head || head->tag < newest->seq) {
			v = calloc(1, sizeof(*v));
			if (v)
				v->data = malloc(PAGE_SIZE);
			if (!v || !v->data) {
				free(v);
				return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
			}
			memcpy(v->data, p->data, PAGE_SIZE);
			v->pgno = p->pgno;
			v->pager = pager;
			v->version = 1;
			v->tag = pager->last_seq;
			if (pager->versions >= pager->vhash_size)
				vhash_grow(pager);
			if (head) {
				/* v replaces head in the hash chain */
				struct page **hp = &pager->vhash[vhash_slot(pager, p->pgno)];

				while (*hp != head)
					hp = &(*hp)->hash_next;
				v->hash_next = head->hash_next;
				head->hash_next = NULL;
				*hp = v;
				v->vnext = head;
			} else {
				uint32_t slot = vhash_slot(pager, p->pgno);

				v->hash_next = pager->vhash[slot];
				pager->vhash[slot] = v;
			}
			pager->versions++;
			versions_bound(pager);
		}
	}
	p->touched = pager->txn_serial;
	return ROWFS_OK;
}

int pager_snapshot_open(struct pager *pager, struct rowfs_snapshot **out, struct rowfs_err *err)
{
	struct rowfs_snapshot *s;

	*out = NULL;
	if (pager->unloaded)
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "database needs recovery after an earlier failure");
	if (pager->in_txn && !pager->txn_base && pager_txn_dirty(pager))
		return rowfs_err_set(err, ROWFS_BUSY, EBUSY,
				     "snapshot inside a transaction that changed pages (not a long one)");
	s = calloc(1, sizeof(*s));
	if (!s)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	s->seq = pager->last_seq;
	s->hdr = pager->txn_base ? pager->txn_base->hdr : pager->hdr;
	s->live = 1;
	s->prev = pager->snap_tail;
	if (pager->snap_tail)
		pager->snap_tail->next = s;
	else
		pager->snap_head = s;
	pager->snap_tail = s;
	pager->snap_count++;
	*out = s;
	return ROWFS_OK;
}

void pager_snapshot_close(struct pager *pager, struct rowfs_snapshot *s)
{
	const struct rowfs_snapshot *o;
	int shared = 0;

	if (!s)
		return;
	if (pager->view == s)
		pager->view = NULL;
	if (pager->txn_base == s)
		pager->txn_base = NULL;
	if (s->live) {
		snapshot_unlink(pager, s);
		/* the set of live sequences decides what is kept: unchanged if another has s->seq */
		for (o = pager->snap_head; o && !shared; o = o->next)
			shared = o->seq == s->seq;
		if (!shared && pager->versions)
			versions_gc(pager);
	}
	free(s);
}

uint64_t pager_snapshot_seq(const struct rowfs_snapshot *s)
{
	return s->seq;
}

int pager_set_view(struct pager *pager, struct rowfs_snapshot *s, struct rowfs_err *err)
{
	if (s && s->expired)
		return rowfs_err_set(err, ROWFS_STALE, ESTALE,
				     "snapshot too old: more than %u pages changed since it was taken "
				     "while older readers were open; open the file again",
				     pager->cfg.snapshot_pages);
	pager->view = s;
	return ROWFS_OK;
}

void pager_snapshot_stats(const struct pager *pager, uint32_t *snapshots, uint32_t *versions,
			  uint64_t *expired)
{
	*snapshots = pager->snap_count;
	*versions = pager->versions;
	*expired = pager->expired;
}

/* ---- public page access ------------------------------------------------ */

static int get_page(struct pager *pager, uint32_t pgno, int cold, struct page **out,
		    struct rowfs_err *err)
{
	struct page *p;
	size_t got;
	int rc;

	*out = NULL;
	if (pager->unloaded && !pager->replaying)
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "database needs recovery after an earlier failure");
	if (pager->view) {
		if (pgno == 0 || pgno >= pager->view->hdr.page_count)
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "database corrupt: page %u out of range (%u pages)", pgno,
					     pager->view->hdr.page_count);
		p = version_find(pager, pgno, pager->view->seq);
		if (p) {
			p->refs++;
			*out = p;
			return ROWFS_OK;
		}
	}
	if (pgno == 0 || pgno >= pager->hdr.page_count)
		return rowfs_err_set(err, ROWFS_CORRUPT, 0,
				     "database corrupt: page %u out of range (%u pages)", pgno,
				     pager->hdr.page_count);
	p = cache_lookup(pager, pgno);
	if (p) {
		pager->hits++;
		lru_remove(pager, p);
		if (!cold)
			p->cold = 0;
		p->refs++;
		*out = p;
		return ROWFS_OK;
	}
	pager->misses++;
	rc = cache_frame(pager, pgno, cold, &p, err);
	if (rc)
		return rc;
	rc = os_read(pager->file, p->data, PAGE_SIZE, (uint64_t)pgno * PAGE_SIZE, &got, err);
	if (rc == ROWFS_OK && got != PAGE_SIZE)
		rc = rowfs_err_set(err, ROWFS_CORRUPT, 0,
				   "database corrupt: page %u is beyond the end of '%s'", pgno,
				   pager->path);
	if (rc) {
		hash_remove(pager, p);
		pager->count--;
		page_destroy(p);
		return rc;
	}
	p->refs = 1;
	*out = p;
	return ROWFS_OK;
}

int pager_get(struct pager *pager, uint32_t pgno, struct page **out, struct rowfs_err *err)
{
	return get_page(pager, pgno, 0, out, err);
}

int pager_get_cold(struct pager *pager, uint32_t pgno, struct page **out, struct rowfs_err *err)
{
	return get_page(pager, pgno, 1, out, err);
}

void pager_unref(struct page *page)
{
	if (!page)
		return;
	if (page->version) {
		page->refs--;
		return;
	}
	if (--page->refs == 0 && !page->dirty) {
		if (page->cold)
			lru_push_tail(page->pager, page);
		else
			lru_push(page->pager, page);
	}
}

uint8_t *page_data(struct page *page)
{
	return page->data;
}

uint32_t page_pgno(const struct page *page)
{
	return page->pgno;
}

/* May the caller change pages now? */
static int check_writable(struct pager *pager, struct rowfs_err *err)
{
	if (pager->replaying)
		return ROWFS_OK;
	if (pager->view)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "write while reading a snapshot");
	if (pager->cfg.read_only)
		return rowfs_err_set(err, ROWFS_READONLY, EROFS, "Error: read-only database");
	if (pager->error)
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "Error: I/O error: database needs recovery after an earlier failure");
	return ROWFS_OK;
}

int pager_write(struct page *page, struct rowfs_err *err)
{
	struct pager *pager = page->pager;
	int rc = check_writable(pager, err);

	if (rc)
		return rc;
	if (page->version)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "write to a snapshot page");
	rc = preserve(pager, page, err);
	if (rc)
		return rc;
	mark_dirty(pager, page);
	pager->txn_modified = 1;
	return ROWFS_OK;
}

int pager_allocate(struct pager *pager, struct page **out, struct rowfs_err *err)
{
	struct page *p;
	uint32_t pgno;
	int rc = check_writable(pager, err);

	*out = NULL;
	if (rc)
		return rc;
	if (pager->hdr.free_head) {
		rc = pager_get(pager, pager->hdr.free_head, &p, err);
		if (rc)
			return rc;
		if (p->data[NODE_TYPE_OFFSET] != NODE_FREE) {
			pager_unref(p);
			return rowfs_err_set(err, ROWFS_CORRUPT, 0,
					     "database corrupt: free-list page %u is in use",
					     pager->hdr.free_head);
		}
		rc = preserve(pager, p, err);
		if (rc) {
			pager_unref(p);
			return rc;
		}
		pager->hdr.free_head = get_u32(p->data + FREE_PAGE_NEXT_OFFSET);
		pager->hdr.free_count--;
	} else {
		if (pager->hdr.page_count == UINT32_MAX)
			return rowfs_err_set(err, ROWFS_FULL, ENOSPC, "database is full (2^32 pages)");
		pgno = pager->hdr.page_count;
		rc = cache_frame(pager, pgno, 0, &p, err);
		if (rc)
			return rc;
		p->refs = 1;
		p->touched = pager->txn_serial;
		pager->hdr.page_count++;
	}
	memset(p->data, 0, PAGE_SIZE);
	mark_dirty(pager, p);
	pager->header_dirty = 1;
	pager->txn_modified = 1;
	*out = p;
	return ROWFS_OK;
}

int pager_free(struct pager *pager, struct page *page, struct rowfs_err *err)
{
	int rc = pager_write(page, err);

	if (rc) {
		pager_unref(page);
		return rc;
	}
	memset(page->data, 0, PAGE_SIZE);
	page->data[NODE_TYPE_OFFSET] = NODE_FREE;
	put_u32(page->data + FREE_PAGE_NEXT_OFFSET, pager->hdr.free_head);
	pager->hdr.free_head = page->pgno;
	pager->hdr.free_count++;
	pager->header_dirty = 1;
	pager_unref(page);
	return ROWFS_OK;
}

/* The header reads see: the view's, else the newest. */
static const struct header *read_header(const struct pager *pager)
{
	return pager->view ? &pager->view->hdr : &pager->hdr;
}

uint32_t pager_root(const struct pager *pager) { return read_header(pager)->root; }
uint64_t pager_row_count(const struct pager *pager) { return read_header(pager)->row_count; }
uint32_t pager_page_count(const struct pager *pager) { return read_header(pager)->page_count; }
uint32_t pager_free_head(const struct pager *pager) { return read_header(pager)->free_head; }
uint32_t pager_free_count(const struct pager *pager) { return read_header(pager)->free_count; }
int pager_is_read_only(const struct pager *pager) { return pager->cfg.read_only; }
int pager_in_error(const struct pager *pager) { return pager->error; }
int pager_unloaded(const struct pager *pager) { return pager->unloaded; }

void pager_set_root(struct pager *pager, uint32_t pgno)
{
	pager->hdr.root = pgno;
	pager->header_dirty = 1;
	pager->txn_modified = 1;
}

void pager_set_row_count(struct pager *pager, uint64_t rows)
{
	pager->hdr.row_count = rows;
	pager->header_dirty = 1;
	pager->txn_modified = 1;
}

/* ---- opening, recovery ------------------------------------------------- */

/* Pages of the last complete checkpoint block found by the first WAL scan. */
struct ckpt_block {
	uint32_t *pgnos;          /* page numbers, in frame order */
	uint8_t *images;          /* PAGE_SIZE each */
	uint32_t count, cap;      /* pages collected */
	int complete;             /* a CKPT_END closed the block */
	uint64_t applied_seq;     /* seq of the CKPT_END */
	uint64_t max_txn_seq;     /* highest TXN seq seen anywhere */
	/* the block being collected (not yet closed) */
	uint32_t *open_pgnos;
	uint8_t *open_images;
	uint32_t open_count, open_cap;
};

static void ckpt_block_free(struct ckpt_block *b)
{
	free(b->pgnos);
	free(b->images);
	free(b->open_pgnos);
	free(b->open_images);
}

static int scan_collect(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
			uint32_t len, uint64_t offset)
{
	struct ckpt_block *b = ctx;

	(void)offset;
	if (type == WAL_FRAME_TXN) {
		if (seq > b->max_txn_seq)
			b->max_txn_seq = seq;
		b->open_count = 0;
	} else if (type == WAL_FRAME_PAGE) {
		if (len != PAGE_SIZE || seq > UINT32_MAX)
			return ROWFS_OK; /* not ours: ignore */
		if (b->open_count == b->open_cap) {
			uint32_t cap = b->open_cap ? b->open_cap * 2 : 64;
			uint32_t *np = realloc(b->open_pgnos, cap * sizeof(*np));
			uint8_t *ni;

			if (!np)
				return ROWFS_NOMEM;
			b->open_pgnos = np;
			ni = realloc(b->open_images, (size_t)cap * PAGE_SIZE);
			if (!ni)
				return ROWFS_NOMEM;
			b->open_images = ni;
			b->open_cap = cap;
		}
		b->open_pgnos[b->open_count] = (uint32_t)seq;
		memcpy(b->open_images + (size_t)b->open_count * PAGE_SIZE, payload, PAGE_SIZE);
		b->open_count++;
	} else if (type == WAL_FRAME_CKPT_END) {
		uint32_t *tp = b->pgnos;
		uint8_t *ti = b->images;
		uint32_t tc = b->cap;

		/* the open block becomes the complete one; recycle the old buffers */
		b->pgnos = b->open_pgnos;
		b->images = b->open_images;
		b->count = b->open_count;
		b->cap = b->open_cap;
		b->open_pgnos = tp;
		b->open_images = ti;
		b->open_cap = tc;
		b->open_count = 0;
		b->complete = 1;
		b->applied_seq = seq;
	}
	return ROWFS_OK;
}

/* Write a new database: header + one empty root leaf (page 1). */
static void format_new(struct pager *pager)
{
	pager->hdr.root = 1;
	pager->hdr.page_count = 2;
	pager->hdr.free_head = pager->hdr.free_count = 0;
	pager->hdr.change_counter = 0;
	pager->hdr.applied_seq = 0;
	pager->hdr.row_count = 0;
}

static int create_file(struct pager *pager, struct rowfs_err *err)
{
	uint8_t *buf = calloc(2, PAGE_SIZE);
	int do_sync = pager->cfg.sync != ROWFS_SYNC_OFF;
	int rc;

	if (!buf)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	format_new(pager);
	header_encode(&pager->hdr, buf);
	buf[PAGE_SIZE + NODE_TYPE_OFFSET] = NODE_LEAF;
	buf[PAGE_SIZE + IS_ROOT_OFFSET] = 1;
	/* The root first, the header last: see unfinished_creation(). */
	rc = os_write(pager->file, buf + PAGE_SIZE, PAGE_SIZE, PAGE_SIZE, err);
	if (rc == ROWFS_OK && do_sync) {
		rc = os_sync(pager->file, err);
		pager->db_fsyncs++;
	}
	if (rc == ROWFS_OK)
		rc = os_write(pager->file, buf, PAGE_SIZE, 0, err);
	if (rc == ROWFS_OK && do_sync) {
		rc = os_sync(pager->file, err);
		pager->db_fsyncs++;
	}
	free(buf);
	return rc;
}

/*
 * An empty DBFILE beside a WAL that holds frames is not a new database: the
 * file was truncated or replaced, and starting afresh would throw away the
 * log's committed rows.  (A crash while creating leaves at most a WAL
 * header, never frames.)  Returns ROWFS_OK or ROWFS_CORRUPT.
 */
static int refuse_orphan_log(struct pager *pager, struct rowfs_err *err)
{
	struct rowfs_err ignored;
	struct os_file *wal_file;
	uint64_t wal_bytes = 0;

	if (os_open(pager->cfg.os, pager->wal_path, O_RDONLY, &wal_file, &ignored) != ROWFS_OK)
		return ROWFS_OK; /* no log */
	if (os_size(wal_file, &wal_bytes, &ignored) != ROWFS_OK)
		wal_bytes = 0;
	os_close(wal_file);
	if (wal_bytes <= WAL_HEADER_SIZE)
		return ROWFS_OK;
	return rowfs_err_set(err, ROWFS_CORRUPT, 0,
			     "database corrupt: '%s' is empty but its log '%s' holds %llu bytes; "
			     "refusing to start a new database over it",
			     pager->path, pager->wal_path, (unsigned long long)wal_bytes);
}

/*
 * 1 if the file is what a crash during create_file() can leave: at most two
 * pages, page 0 all zero (the header is written last), page 1 zero except
 * for bytes of the empty root leaf.  Such a file holds no data: it is
 * created again.  Anything else without a header is not a database.
 */
static int unfinished_creation(struct pager *pager, uint64_t size, const uint8_t *page0,
			       size_t got, struct rowfs_err *err)
{
	uint8_t page1[PAGE_SIZE];
	size_t i, got1 = 0;

	if (size > 2 * (uint64_t)PAGE_SIZE)
		return 0;
	for (i = 0; i < got; i++)
		if (page0[i])
			return 0;
	if (size > PAGE_SIZE &&
	    os_read(pager->file, page1, PAGE_SIZE, PAGE_SIZE, &got1, err) != ROWFS_OK)
		return 0;
	for (i = 0; i < got1; i++)
		if (page1[i] && !(i == NODE_TYPE_OFFSET && page1[i] == NODE_LEAF) &&
		    !(i == IS_ROOT_OFFSET && page1[i] == 1))
			return 0;
	return 1;
}

/* Read-only open of an empty file: the new database exists in memory only. */
static int create_in_memory(struct pager *pager, struct rowfs_err *err)
{
	struct page *p;
	int rc;

	format_new(pager);
	rc = cache_frame(pager, 1, 0, &p, err);
	if (rc)
		return rc;
	memset(p->data, 0, PAGE_SIZE);
	p->data[NODE_TYPE_OFFSET] = NODE_LEAF;
	p->data[IS_ROOT_OFFSET] = 1;
	mark_dirty(pager, p);
	return ROWFS_OK;
}

/*
 * Copy a complete checkpoint block into DBFILE and fsync it (redo of an
 * interrupted checkpoint).  Read-only: the pages go into the cache, pinned
 * as dirty, since DBFILE must not change; page 0 is left to the caller.
 */
static int redo_block(struct pager *pager, const struct ckpt_block *b, struct rowfs_err *err)
{
	uint32_t i;
	int rc;

	for (i = 0; i < b->count; i++) {
		const uint8_t *img = b->images + (size_t)i * PAGE_SIZE;
		uint32_t pgno = b->pgnos[i];

		if (!pager->cfg.read_only) {
			rc = os_write(pager->file, img, PAGE_SIZE, (uint64_t)pgno * PAGE_SIZE, err);
			if (rc)
				return rc;
		} else if (pgno != 0) {
			struct page *p = cache_lookup(pager, pgno);

			if (!p) {
				rc = cache_frame(pager, pgno, 0, &p, err);
				if (rc)
					return rc;
			}
			memcpy(p->data, img, PAGE_SIZE);
			mark_dirty(pager, p);
		}
	}
	if (!pager->cfg.read_only && pager->cfg.sync != ROWFS_SYNC_OFF) {
		pager->db_fsyncs++;
		return os_sync(pager->file, err);
	}
	return ROWFS_OK;
}

/* The image of page 0 in a block, or NULL. */
static const uint8_t *block_header(const struct ckpt_block *b)
{
	uint32_t i;

	for (i = 0; i < b->count; i++)
		if (b->pgnos[i] == 0)
			return b->images + (size_t)i * PAGE_SIZE;
	return NULL;
}

/*
 * Read the header and the WAL, redo a complete checkpoint block.  Used by
 * pager_open and pager_reload.  The cache must be empty.
 */
static int load_state(struct pager *pager, struct rowfs_err *err)
{
	struct ckpt_block block;
	const uint8_t *hdr_src = NULL;
	uint8_t *hdr_page;
	int created = 0;
	uint64_t size;
	size_t got;
	int rc;

	memset(&block, 0, sizeof(block));
	pager->header_dirty = 0;
	if (pager->wal) {
		wal_close(pager->wal);
		pager->wal = NULL;
	}
	hdr_page = malloc(PAGE_SIZE);
	if (!hdr_page)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	rc = os_size(pager->file, &size, err);
	if (rc)
		goto out_free;
	if (size > 0) {
		rc = os_read(pager->file, hdr_page, PAGE_SIZE, 0, &got, err);
		if (rc)
			goto out_free;
		if (unfinished_creation(pager, size, hdr_page, got, err))
			size = 0;
	}
	if (size == 0) {
		rc = refuse_orphan_log(pager, err);
		if (rc)
			goto out_free;
		rc = pager->cfg.read_only ? create_in_memory(pager, err) : create_file(pager, err);
		if (rc)
			goto out_free;
		created = 1;
	} else {
		if (got < HDR_SIZE) {
			rc = rowfs_err_set(err, ROWFS_NOTADB, 0,
					   "not a rowfs database: '%s' is too short (%llu bytes)",
					   pager->path, (unsigned long long)size);
			goto out_free;
		}
		if (memcmp(hdr_page, DB_MAGIC, DB_MAGIC_SIZE) != 0) {
			rc = header_decode(pager->path, hdr_page, &pager->hdr, err);
			goto out_free;
		}
	}
	rc = wal_open(pager->cfg.os, pager->wal_path, pager->cfg.read_only,
		      pager->cfg.sync != ROWFS_SYNC_OFF, &pager->wal, err);
	if (rc)
		goto out_free;
	if (pager->wal_limited)
		wal_limit_scan(pager->wal, pager->wal_trust_end, pager->wal_trust_salt);
	rc = wal_scan(pager->wal, scan_collect, &block, err);
	if (rc == ROWFS_OK)
		pager->wal_limited = 0;
	if (rc == ROWFS_NOMEM)
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	if (rc)
		goto out_free;
	if (block.complete && block.count > 0) {
		rc = redo_block(pager, &block, err);
		if (rc)
			goto out_free;
		if (pager->cfg.read_only)
			hdr_src = block_header(&block);
	}
	if (!hdr_src && !(created && pager->cfg.read_only)) {
		rc = os_read(pager->file, hdr_page, PAGE_SIZE, 0, &got, err);
		if (rc)
			goto out_free;
		hdr_src = hdr_page;
	}
	if (hdr_src) {
		rc = header_decode(pager->path, hdr_src, &pager->hdr, err);
		if (rc)
			goto out_free;
	}
	if (!pager->cfg.read_only) {
		rc = os_size(pager->file, &size, err);
		if (rc)
			goto out_free;
		if (size < (uint64_t)pager->hdr.page_count * PAGE_SIZE) {
			rc = rowfs_err_set(err, ROWFS_CORRUPT, 0,
					   "database corrupt: '%s' holds %llu bytes, header says %u pages",
					   pager->path, (unsigned long long)size, pager->hdr.page_count);
			goto out_free;
		}
	}
	pager->disk_pages = pager->hdr.page_count;
	pager->last_seq = pager->hdr.applied_seq;
	if (block.max_txn_seq > pager->last_seq)
		pager->last_seq = block.max_txn_seq;
	rc = ROWFS_OK;
out_free:
	ckpt_block_free(&block);
	free(hdr_page);
	return rc;
}

int pager_open(const struct pager_config *cfg, struct pager **out, struct rowfs_err *err)
{
	struct pager *pager;
	int rc;

	*out = NULL;
	pager = calloc(1, sizeof(*pager));
	if (!pager)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	pager->cfg = *cfg;
	if (!pager->cfg.os)
		pager->cfg.os = os_default();
	if (pager->cfg.cache_pages < 16)
		pager->cfg.cache_pages = pager->cfg.cache_pages ? 16 : ROWFS_DEFAULT_CACHE_PAGES;
	if (!pager->cfg.wal_limit)
		pager->cfg.wal_limit = ROWFS_DEFAULT_WAL_LIMIT;
	if (!pager->cfg.snapshot_pages)
		pager->cfg.snapshot_pages = ROWFS_DEFAULT_SNAPSHOT_PAGES;
	pager->path = strdup(cfg->path);
	pager->wal_path = wal_path_for(cfg->path);
	pager->hash_size = 64;
	while (pager->hash_size < pager->cfg.cache_pages * 2)
		pager->hash_size *= 2;
	pager->hash = calloc(pager->hash_size, sizeof(*pager->hash));
	if (!pager->path || !pager->wal_path || !pager->hash) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_free;
	}
	rc = os_open(pager->cfg.os, pager->path,
		     cfg->read_only ? O_RDONLY : (O_RDWR | O_CREAT), &pager->file, err);
	if (rc)
		goto out_free;
	rc = os_lock(pager->file, !cfg->read_only, err);
	if (rc)
		goto out_free;
	rc = load_state(pager, err);
	if (rc)
		goto out_free;
	*out = pager;
	return ROWFS_OK;
out_free:
	pager_close(pager);
	return rc;
}

void pager_close(struct pager *pager)
{
	if (!pager)
		return;
	if (pager->hash)
		cache_clear(pager);
	free(pager->hash);
	while (pager->snap_head) {
		struct rowfs_snapshot *s = pager->snap_head;

		/* still held by their owners: expire them, they are freed by pager_snapshot_close */
		snapshot_unlink(pager, s);
		if (s == pager->txn_base)
			free(s);
		else
			s->expired = 1;
	}
	versions_gc(pager);
	free(pager->vhash);
	wal_close(pager->wal);
	os_close(pager->file);
	free(pager->txn);
	free(pager->path);
	free(pager->wal_path);
	free(pager);
}

struct replay_ctx {
	struct pager *pager;
	pager_replay_fn fn;
	void *ctx;
	uint64_t replayed;        /* transactions applied */
	struct rowfs_err *err;
};

static int replay_frame(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
			uint32_t len, uint64_t offset)
{
	struct replay_ctx *rc = ctx;
	int r;

	(void)offset;
	if (type != WAL_FRAME_TXN || seq <= rc->pager->hdr.applied_seq)
		return ROWFS_OK;
	r = rc->fn(rc->ctx, seq, payload, len);
	if (r)
		return r;
	rc->replayed++;
	if (seq > rc->pager->last_seq)
		rc->pager->last_seq = seq;
	return ROWFS_OK;
}

int pager_replay(struct pager *pager, pager_replay_fn fn, void *ctx, struct rowfs_err *err)
{
	struct replay_ctx rctx = {pager, fn, ctx, 0, err};
	int rc;

	pager->replaying = 1;
	err->rc = ROWFS_OK;
	rc = wal_scan(pager->wal, replay_frame, &rctx, err);
	pager->replaying = 0;
	pager->txn_modified = 0;
	if (rc) {
		if (err->rc != rc)
			rowfs_err_set(err, rc, 0, "recovery failed: %s", rowfs_rc_name(rc));
		pager->error = 1;
		return rc;
	}
	pager->unloaded = 0;
	if (!pager->cfg.read_only && (rctx.replayed > 0 || wal_frame_count(pager->wal) > 0))
		return pager_checkpoint(pager, err);
	return ROWFS_OK;
}

static void txn_end(struct pager *pager);

int pager_reload(struct pager *pager, struct rowfs_err *err)
{
	int rc;

	cache_clear(pager);
	pager->unloaded = 1;   /* until pager_replay has rebuilt the state */
	pager->view = NULL;
	txn_end(pager);
	rc = load_state(pager, err);
	if (rc) {
		pager->error = 1;
		return rc;
	}
	pager->error = 0;
	return ROWFS_OK;
}

/* ---- transactions ------------------------------------------------------ */

int pager_begin(struct pager *pager, int long_txn, struct rowfs_err *err)
{
	struct rowfs_snapshot *base = NULL;
	int rc;

	if (pager->error)
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "Error: I/O error: database needs recovery after an earlier failure");
	if (long_txn) {
		rc = pager_snapshot_open(pager, &base, err);
		if (rc)
			return rc;
		base->pinned = 1;
	}
	pager_snapshot_close(pager, pager->txn_base);
	pager->txn_base = base;
	pager->in_txn = 1;
	pager->txn_len = 0;
	pager->txn_modified = 0;
	pager->txn_serial++;
	return ROWFS_OK;
}

/* End the transaction's bookkeeping (after commit or rollback). */
static void txn_end(struct pager *pager)
{
	pager->in_txn = 0;
	pager->txn_len = 0;
	pager->txn_modified = 0;
	pager_snapshot_close(pager, pager->txn_base);
	pager->txn_base = NULL;
}

/*
 * The version a long transaction's rollback restores page p from, or NULL
 * if it changed p without keeping its image (cannot happen while the base
 * snapshot is live; the caller then falls back to a reload).
 */
static struct page *base_image(struct pager *pager, const struct page *p)
{
	struct page *v = version_find(pager, p->pgno, pager->txn_base->seq);

	return v && v->tag == pager->txn_base->seq ? v : NULL;
}

int pager_rollback(struct pager *pager, struct rowfs_err *err)
{
	struct rowfs_snapshot *base = pager->txn_base;
	uint32_t i;

	if (!pager->in_txn)
		return ROWFS_OK;
	if (!pager_txn_dirty(pager)) {
		txn_end(pager);
		return ROWFS_OK;
	}
	if (!base || pager->error || pager->view)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "rollback needs a reload");
	/* check first, so that a refusal changes nothing */
	for (i = 0; i < pager->hash_size; i++) {
		const struct page *p;

		for (p = pager->hash[i]; p; p = p->hash_next)
			if (p->touched == pager->txn_serial &&
			    (p->refs || (p->pgno < base->hdr.page_count && !base_image(pager, p))))
				return rowfs_err_set(err, ROWFS_ERROR, 0, "rollback needs a reload");
	}
	for (i = 0; i < pager->hash_size; i++) {
		struct page *p = pager->hash[i], *next;

		for (; p; p = next) {
			next = p->hash_next;
			if (p->touched != pager->txn_serial)
				continue;
			if (p->pgno >= base->hdr.page_count)
				cache_drop(pager, p);   /* allocated by the transaction */
			else
				memcpy(p->data, base_image(pager, p)->data, PAGE_SIZE);
		}
	}
	/* what a transaction changes; the checkpoint fields stay (one may have run before any change) */
	pager->hdr.root = base->hdr.root;
	pager->hdr.page_count = base->hdr.page_count;
	pager->hdr.free_head = base->hdr.free_head;
	pager->hdr.free_count = base->hdr.free_count;
	pager->hdr.row_count = base->hdr.row_count;
	txn_end(pager);
	return ROWFS_OK;
}

int pager_in_long_txn(const struct pager *pager)
{
	return pager->txn_base != NULL;
}

struct rowfs_snapshot *pager_txn_base(const struct pager *pager)
{
	return pager->txn_base;
}

int pager_log(struct pager *pager, const void *record, size_t len, struct rowfs_err *err)
{
	if (pager->txn_len + len > pager->txn_cap) {
		size_t cap = pager->txn_cap ? pager->txn_cap * 2 : 8192;
		uint8_t *n;

		while (cap < pager->txn_len + len)
			cap *= 2;
		n = realloc(pager->txn, cap);
		if (!n)
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		pager->txn = n;
		pager->txn_cap = cap;
	}
	memcpy(pager->txn + pager->txn_len, record, len);
	pager->txn_len += len;
	pager->txn_modified = 1;
	return ROWFS_OK;
}

int pager_log_room(const struct pager *pager, size_t len, struct rowfs_err *err)
{
	if (pager->txn_len + len <= WAL_MAX_PAYLOAD)
		return ROWFS_OK;
	return rowfs_err_set(err, ROWFS_TOOBIG, EFBIG,
			     "Error: transaction too large: its log would pass %u MiB "
			     "(%u statements); commit it in parts",
			     WAL_MAX_PAYLOAD >> 20, WAL_MAX_PAYLOAD / 40u);
}

const uint8_t *pager_txn_log(const struct pager *pager, size_t *len)
{
	*len = pager->txn_len;
	return pager->txn;
}

uint64_t pager_last_seq(const struct pager *pager)
{
	return pager->last_seq;
}

int pager_txn_dirty(const struct pager *pager)
{
	return pager->txn_modified || pager->txn_len > 0;
}

int pager_commit(struct pager *pager, struct rowfs_err *err)
{
	struct rowfs_err ckpt_err;
	int rc;

	if (pager->txn_len == 0) {
		txn_end(pager);
		return ROWFS_OK;
	}
	pager->in_txn = 0;
	if (pager->error)
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "Error: I/O error: database needs recovery after an earlier failure");
	rc = wal_append(pager->wal, WAL_FRAME_TXN, pager->last_seq + 1, pager->txn,
			(uint32_t)pager->txn_len, err);
	if (rc == ROWFS_OK)
		rc = wal_sync(pager->wal, pager->cfg.sync == ROWFS_SYNC_FULL, err);
	if (rc) {
		pager->error = 1;
		/* recovery must not replay this frame, even if cutting it off failed */
		pager->wal_trust_end = wal_good_end(pager->wal, pager->wal_trust_salt);
		pager->wal_limited = 1;
		return rc;
	}
	/* committed */
	pager->last_seq++;
	pager->commits++;
	txn_end(pager);
	/*
	 * Dirty pages only force a checkpoint once they crowd a full cache: a
	 * tree that fits in cache_pages is written once, in one batch, however
	 * much of it a load dirties (the WAL limit still bounds recovery).
	 */
	if (wal_size(pager->wal) > pager->cfg.wal_limit ||
	    (pager->count >= pager->cfg.cache_pages &&
	     pager->dirty_count > pager->cfg.cache_pages / 4 * 3))
		pager_checkpoint(pager, &ckpt_err); /* failure leaves the ERROR state; the commit stands */
	return ROWFS_OK;
}

/* ---- checkpoint -------------------------------------------------------- */

static int cmp_page(const void *a, const void *b)
{
	const struct page *pa = *(struct page *const *)a, *pb = *(struct page *const *)b;

	return pa->pgno < pb->pgno ? -1 : pa->pgno > pb->pgno;
}

/* Dirty pages sorted by number. */
static int collect_dirty(struct pager *pager, struct page ***out, struct rowfs_err *err)
{
	struct page **list = malloc(((size_t)pager->dirty_count + 1) * sizeof(*list));
	uint32_t i, n = 0;

	if (!list)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	for (i = 0; i < pager->hash_size; i++) {
		struct page *p;

		for (p = pager->hash[i]; p; p = p->hash_next)
			if (p->dirty)
				list[n++] = p;
	}
	qsort(list, n, sizeof(*list), cmp_page);
	*out = list;
	return ROWFS_OK;
}

/* Write pages into DBFILE, coalescing runs of consecutive page numbers. */
static int write_pages(struct pager *pager, struct page **list, uint32_t n, uint8_t *buf,
		       size_t buf_pages, struct rowfs_err *err)
{
	uint32_t i = 0;

	while (i < n) {
		uint32_t run = 1;
		int rc;

		memcpy(buf, list[i]->data, PAGE_SIZE);
		while (i + run < n && run < buf_pages && list[i + run]->pgno == list[i]->pgno + run) {
			memcpy(buf + (size_t)run * PAGE_SIZE, list[i + run]->data, PAGE_SIZE);
			run++;
		}
		rc = os_write(pager->file, buf, (size_t)run * PAGE_SIZE,
			      (uint64_t)list[i]->pgno * PAGE_SIZE, err);
		if (rc)
			return rc;
		i += run;
	}
	return ROWFS_OK;
}

/*
 * Checkpoint.  Pages numbered below the checkpointed page count (old pages)
 * are overwritten in place, so they go through the WAL block first; pages
 * past it (new pages) are not part of the checkpointed state, so they are
 * written straight into DBFILE and made durable before the block's
 * CKPT_END can be: a sequential load then writes its pages once, not twice.
 *   1. new pages -> DBFILE                      (no fsync yet)
 *   2. header + old pages + CKPT_END -> WAL
 *   3. fsync DBFILE (new pages durable), fsync WAL (block durable)
 *   4. header + old pages -> DBFILE, fsync DBFILE
 *   5. reset the WAL
 */
int pager_checkpoint(struct pager *pager, struct rowfs_err *err)
{
	const size_t buf_pages = 64;
	int do_sync = pager->cfg.sync != ROWFS_SYNC_OFF;
	struct page **list = NULL;
	struct header next = pager->hdr;
	uint8_t *buf = NULL, *hdr_page = NULL, end[8];
	uint32_t i, n, n_old;
	int rc;

	if (pager->cfg.read_only)
		return rowfs_err_set(err, ROWFS_READONLY, EROFS, "Error: read-only database");
	if (pager->error)
		return rowfs_err_set(err, ROWFS_IOERR, EIO,
				     "Error: I/O error: database needs recovery after an earlier failure");
	if (pager_txn_dirty(pager))
		return rowfs_err_set(err, ROWFS_ERROR, 0, "checkpoint inside a transaction");
	if (pager->dirty_count == 0 && !pager->header_dirty &&
	    pager->hdr.applied_seq == pager->last_seq) {
		if (wal_frame_count(pager->wal) == 0)
			return ROWFS_OK;
		rc = wal_reset(pager->wal, do_sync, err);
		if (rc)
			pager->error = 1;
		return rc;
	}
	rc = collect_dirty(pager, &list, err);
	if (rc)
		return rc;
	n = pager->dirty_count;
	for (n_old = 0; n_old < n && list[n_old]->pgno < pager->disk_pages; n_old++)
		;
	buf = malloc(buf_pages * PAGE_SIZE);
	hdr_page = malloc(PAGE_SIZE);
	if (!buf || !hdr_page) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_free;
	}
	next.applied_seq = pager->last_seq;
	next.change_counter++;
	header_encode(&next, hdr_page);

	/* 1 */
	rc = write_pages(pager, list + n_old, n - n_old, buf, buf_pages, err);
	/* 2 */
	if (rc == ROWFS_OK)
		rc = wal_append(pager->wal, WAL_FRAME_PAGE, 0, hdr_page, PAGE_SIZE, err);
	for (i = 0; rc == ROWFS_OK && i < n_old; i++)
		rc = wal_append(pager->wal, WAL_FRAME_PAGE, list[i]->pgno, list[i]->data, PAGE_SIZE,
				err);
	put_u32(end, n_old + 1);
	put_u32(end + 4, 0);
	if (rc == ROWFS_OK)
		rc = wal_append(pager->wal, WAL_FRAME_CKPT_END, next.applied_seq, end, sizeof(end), err);
	/* 3 */
	if (rc == ROWFS_OK && do_sync && n_old < n) {
		pager->db_fsyncs++;
		rc = os_sync(pager->file, err);
	}
	if (rc == ROWFS_OK)
		rc = wal_sync(pager->wal, do_sync, err);
	/* 4 */
	if (rc == ROWFS_OK)
		rc = os_write(pager->file, hdr_page, PAGE_SIZE, 0, err);
	if (rc == ROWFS_OK)
		rc = write_pages(pager, list, n_old, buf, buf_pages, err);
	if (rc == ROWFS_OK && do_sync) {
		pager->db_fsyncs++;
		rc = os_sync(pager->file, err);
	}
	/* 5 */
	if (rc == ROWFS_OK)
		rc = wal_reset(pager->wal, do_sync, err);
	if (rc) {
		pager->error = 1;
		goto out_free;
	}
	pager->hdr = next;
	pager->disk_pages = next.page_count;
	pager->header_dirty = 0;
	for (i = 0; i < n; i++) {
		list[i]->dirty = 0;
		if (list[i]->refs == 0)
			lru_push(pager, list[i]);
	}
	pager->dirty_count = 0;
	pager->checkpoints++;
	cache_trim(pager);
out_free:
	free(hdr_page);
	free(buf);
	free(list);
	return rc;
}

void pager_get_stats(const struct pager *pager, struct pager_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->hits = pager->hits;
	st->misses = pager->misses;
	st->commits = pager->commits;
	st->checkpoints = pager->checkpoints;
	st->fsyncs = pager->db_fsyncs + (pager->wal ? wal_fsync_count(pager->wal) : 0);
	st->wal_frames = pager->wal ? wal_frame_count(pager->wal) : 0;
	st->wal_bytes = pager->wal ? wal_size(pager->wal) : 0;
	st->cached = pager->count;
	st->dirty = pager->dirty_count;
	st->cache_pages = pager->cfg.cache_pages;
}
