/*
 * snapshot.h - the snapshot version store: the live snapshots of one
 * database and the old page images kept for them (model and invariants in
 * snapshot.c).
 *
 * A snapshot is a committed sequence; a reader at it sees page P as the
 * version of P with the smallest tag >= the sequence, else the live page
 * (snapshot_version).  The pager keeps the images (snapshot_keep) before
 * a transaction first changes a page, and embeds struct snapshot in its
 * own snapshot handle together with the header of that state.  The store
 * does no I/O and never calls the pager.
 */
#ifndef ROWFS_ENGINE_SNAPSHOT_H
#define ROWFS_ENGINE_SNAPSHOT_H

#include <stdint.h>

#include "cache.h"
#include "rowfs.h"

struct snapshot_store;

/* One snapshot: a committed state readers see.  Embedded in the owner's handle. */
struct snapshot {
	uint64_t seq;             /* committed sequence it shows */
	uint32_t page_count;      /* pages in that state: the store keeps images of pages below it */
	int pinned;               /* set by the owner: never expired (a long transaction's base) */
	int expired;              /* dropped to bound the store: reads must fail */
	int live;                 /* on the store's list */
	struct snapshot *prev;    /* live list, oldest first */
	struct snapshot *next;    /* newer live snapshot */
};

/*
 * snapshot_store_new - an empty store bounded by limit page images.  owner
 * is stored in every version's owner field.  The caller owns *out
 * (snapshot_store_free).  Returns ROWFS_OK or ROWFS_NOMEM; *out is NULL on
 * failure.
 */
int snapshot_store_new(uint32_t limit, void *owner, struct snapshot_store **out,
		       struct rowfs_err *err);

/*
 * snapshot_store_free - expire every live snapshot (their owners still
 * free them), free every unreferenced version and the store; NULL is fine.
 */
void snapshot_store_free(struct snapshot_store *store);

/*
 * snapshot_add - make s (unpinned, not expired) the newest live snapshot,
 * of state seq with page_count pages.  seq is at least every earlier
 * snapshot's and every version's tag.
 */
void snapshot_add(struct snapshot_store *store, struct snapshot *s, uint64_t seq,
		  uint32_t page_count);

/*
 * snapshot_remove - s is no longer read: off the live list (if it still
 * is), and the versions no live snapshot reads any more are freed.  The
 * caller frees s.
 */
void snapshot_remove(struct snapshot_store *store, struct snapshot *s);

/* snapshot_version - the image of pgno a reader at seq sees, or NULL: it sees the live page. */
struct page *snapshot_version(const struct snapshot_store *store, uint32_t pgno, uint64_t seq);

/*
 * snapshot_keep - page (a cache frame about to be changed for the first
 * time by a transaction) is the committed state as of sequence tag: keep
 * a copy if the newest live snapshot may read it (it is newer than the
 * page's newest kept image and old enough to reach the page).  Past the
 * store's limit the oldest snapshots that are neither pinned nor at
 * base's sequence (base may be NULL) expire.  Returns ROWFS_OK or
 * ROWFS_NOMEM.
 */
int snapshot_keep(struct snapshot_store *store, const struct page *page, uint64_t tag,
		  const struct snapshot *base, struct rowfs_err *err);

/* snapshot_stats - live snapshots, page images kept, snapshots expired since the store was made. */
void snapshot_stats(const struct snapshot_store *store, uint32_t *snapshots, uint32_t *versions,
		    uint64_t *expired);

#endif /* ROWFS_ENGINE_SNAPSHOT_H */
