/*
 * check_snapshot.c - snapshots and explicit transactions against a model.
 *
 * Owns:
 *   - the randomized snapshot model test: an in-memory model (2^16 ids ->
 *     name or absent; the committed state, the open transaction's state,
 *     and a history of committed states by sequence number, kept while a
 *     snapshot shows them) against the engine through rowfs.h only.  Tens
 *     of thousands of random steps: implicit units in the write
 *     transaction (tu_begin, some statements, tu_commit or tu_rollback),
 *     explicit transactions through the statements begin/commit/rollback
 *     (with statement errors inside them), bulk units that grow the tree to
 *     three levels and shrink it back to one (page frees, root collapse,
 *     free-list reuse), read transactions begun, read (rowfs_scan,
 *     rowfs_get, rowfs_last_start, rowfs_exec, rowfs_check) and ended at
 *     random moments, also while an explicit transaction is open; a second
 *     handle's statements in a read transaction of their own (writes fail
 *     with ROWFS_BUSY); `.checkpoint`, rowfs_checkpoint
 *     and reopens; the change feed compared with the model's commits; a
 *     16-page cache so that eviction and checkpoints happen all the time;
 *   - expiry: with a tiny version store an old snapshot expires (ROWFS_STALE,
 *     ESTALE) while newer snapshots and the explicit transaction's base stay
 *     readable, and closing an expired snapshot is fine.
 *
 * The seed is fixed and printed; ROWFS_SEED=N runs another one.
 * ROWFS_SLOW=1 makes the model run ten times longer.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rowfs.h"
#include "testutil.h"

#define DEFAULT_SEED 20250301ull
#define IDS 65536u                  /* ids 0..65535 */
#define NAME_MAX_LEN ROWFS_USERNAME_MAX
#define MAX_SNAPS 8                 /* snapshots open at once */
#define NO_ROW ((uint64_t)UINT32_MAX + 1)

static uint64_t seed = DEFAULT_SEED;   /* set in main() from ROWFS_SEED */
static int slow;                       /* ROWFS_SLOW=1 */

/* ---- the model ------------------------------------------------------------ */

/* One table: id -> name (len 0: absent). */
struct table {
	uint8_t len[IDS];
	char name[IDS][NAME_MAX_LEN];
	uint32_t rows;
};

/* A committed state frozen for the snapshots that show it: its rows in key order. */
struct frozen {
	uint64_t seq;                  /* the committed sequence it is */
	uint32_t rows;
	uint32_t *ids;
	uint8_t *lens;
	char (*names)[NAME_MAX_LEN];
	int refs;                      /* snapshots showing it */
	struct frozen *next;           /* history list */
};

struct model {
	struct table committed;        /* the newest committed state */
	struct table current;          /* committed + the open transaction's changes */
	uint32_t *dirty;               /* ids the open transaction changed (may repeat) */
	size_t ndirty, dirty_cap;
	uint64_t records;              /* changes the open transaction logged */
	uint64_t seq;                  /* rowfs_last_seq as it must be */
	int explicit_open;             /* an explicit transaction is open */
	uint32_t present[IDS];         /* ids present in current, unordered */
	uint32_t where[IDS];           /* index of each present id in present[] */
	struct frozen *history;        /* committed states snapshots show, by seq */
	struct tu_buf feed_want;       /* change lines of the open transaction */
};

static void present_add(struct model *m, uint32_t id)
{
	m->where[id] = m->current.rows;
	m->present[m->current.rows] = id;
}

static void present_remove(struct model *m, uint32_t id)
{
	uint32_t last = m->present[m->current.rows - 1];

	m->present[m->where[id]] = last;
	m->where[last] = m->where[id];
}

/* Set id in current to name (len 0: delete it), remembering it as changed. */
static void model_set(struct model *m, uint32_t id, const char *name, size_t len)
{
	if (m->ndirty == m->dirty_cap) {
		m->dirty_cap = m->dirty_cap ? m->dirty_cap * 2 : 1024;
		m->dirty = realloc(m->dirty, m->dirty_cap * sizeof(*m->dirty));
		REQUIRE(m->dirty, "out of memory");
	}
	m->dirty[m->ndirty++] = id;
	if (m->current.len[id] && !len) {
		present_remove(m, id);
		m->current.rows--;
	} else if (!m->current.len[id] && len) {
		present_add(m, id);
		m->current.rows++;
	}
	m->current.len[id] = (uint8_t)len;
	memcpy(m->current.name[id], name, len);
	m->records++;
}

/* Make current the committed state; the sequence moves on if anything was logged. */
static void model_commit(struct model *m)
{
	size_t i;

	for (i = 0; i < m->ndirty; i++) {
		uint32_t id = m->dirty[i];

		m->committed.len[id] = m->current.len[id];
		memcpy(m->committed.name[id], m->current.name[id], NAME_MAX_LEN);
	}
	m->committed.rows = m->current.rows;
	if (m->records)
		m->seq++;
	m->ndirty = 0;
	m->records = 0;
}

static void model_rollback(struct model *m)
{
	size_t i;

	for (i = 0; i < m->ndirty; i++) {
		uint32_t id = m->dirty[i];

		if (m->current.len[id] && !m->committed.len[id]) {
			present_remove(m, id);
			m->current.rows--;
		} else if (!m->current.len[id] && m->committed.len[id]) {
			present_add(m, id);
			m->current.rows++;
		}
		m->current.len[id] = m->committed.len[id];
		memcpy(m->current.name[id], m->committed.name[id], NAME_MAX_LEN);
	}
	m->ndirty = 0;
	m->records = 0;
	m->feed_want.len = 0;
}

/* The frozen committed state of seq m->seq, shared by the snapshots showing it. */
static struct frozen *model_freeze(struct model *m)
{
	struct frozen *f;
	uint32_t id, n = 0;

	for (f = m->history; f; f = f->next)
		if (f->seq == m->seq) {
			f->refs++;
			return f;
		}
	f = calloc(1, sizeof(*f));
	REQUIRE(f, "out of memory");
	f->seq = m->seq;
	f->rows = m->committed.rows;
	f->ids = malloc((f->rows + 1) * sizeof(*f->ids));
	f->lens = malloc(f->rows + 1);
	f->names = malloc((f->rows + 1) * sizeof(*f->names));
	REQUIRE(f->ids && f->lens && f->names, "out of memory");
	for (id = 0; id < IDS; id++)
		if (m->committed.len[id]) {
			f->ids[n] = id;
			f->lens[n] = m->committed.len[id];
			memcpy(f->names[n], m->committed.name[id], NAME_MAX_LEN);
			n++;
		}
	REQUIRE(n == f->rows, "model: %u rows counted, %u kept", n, f->rows);
	f->refs = 1;
	f->next = m->history;
	m->history = f;
	return f;
}

static void model_unfreeze(struct model *m, struct frozen *f)
{
	struct frozen **pp;

	if (--f->refs > 0)
		return;
	for (pp = &m->history; *pp != f; pp = &(*pp)->next)
		;
	*pp = f->next;
	free(f->ids);
	free(f->lens);
	free(f->names);
	free(f);
}

/* Index of the first row of f with id >= key (f->rows: none). */
static uint32_t frozen_lower_bound(const struct frozen *f, uint64_t key)
{
	uint32_t lo = 0, hi = f->rows;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (f->ids[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- the run -------------------------------------------------------------- */

struct snap {
	struct rowfs_txn *snap;   /* NULL: slot free */
	struct frozen *state;          /* what it must show */
};

struct run {
	struct rowfs_db *db;
	struct model *m;
	uint64_t rng;
	uint64_t step;                 /* for messages */
	struct snap snaps[MAX_SNAPS];
	struct tu_buf out;
	struct tu_buf feed_got;        /* change lines the hook delivered, not yet compared */
	uint64_t feed_seq;             /* seq of the commit being delivered (0: none) */
	int feed_open;                 /* a delivery started and its last chunk is due */
	/* counters, printed at the end */
	uint64_t units, explicit_txns, snapshot_reads, snapshots_opened, reopens, max_rows;
	uint32_t max_depth, min_depth_after_max;
	int saw_collapse;
	uint64_t stmt_errors, checks, bulk_units, feed_commits;
};

static uint64_t rnd(struct run *r, uint64_t n)
{
	return tu_next_random(&r->rng) % n;
}

/* The change hook: lines of one commit arrive in whole-line chunks, all with its seq. */
static void feed_hook(void *ctx, uint64_t seq, const char *text, size_t len, int last)
{
	struct run *r = ctx;

	REQUIRE(!r->feed_open || seq == r->feed_seq,
		"seed %llu step %llu: feed chunk of seq %llu inside the delivery of %llu",
		(unsigned long long)seed, (unsigned long long)r->step, (unsigned long long)seq,
		(unsigned long long)r->feed_seq);
	REQUIRE(r->feed_open || seq > r->feed_seq,
		"seed %llu step %llu: feed seq %llu after %llu", (unsigned long long)seed,
		(unsigned long long)r->step, (unsigned long long)seq,
		(unsigned long long)r->feed_seq);
	REQUIRE(len == 0 || text[len - 1] == '\n', "seed %llu step %llu: feed chunk cut a line",
		(unsigned long long)seed, (unsigned long long)r->step);
	{
		char num[32];
		int n = snprintf(num, sizeof(num), "%llu ", (unsigned long long)seq);

		REQUIRE(len == 0 || (len > (size_t)n && memcmp(text, num, (size_t)n) == 0),
			"seed %llu step %llu: feed chunk of seq %llu starts '%.*s'",
			(unsigned long long)seed, (unsigned long long)r->step,
			(unsigned long long)seq, (int)(len < 30 ? len : 30), text);
	}
	r->feed_seq = seq;
	r->feed_open = !last;
	REQUIRE(tu_buf_emit(&r->feed_got, text, len) == 0, "out of memory");
}

/* The hook delivered exactly the lines the model committed since the last call. */
static void feed_compare(struct run *r, const struct tu_buf *want)
{
	REQUIRE(!r->feed_open, "seed %llu step %llu: feed delivery without its last chunk",
		(unsigned long long)seed, (unsigned long long)r->step);
	REQUIRE(r->feed_got.len == want->len &&
			(want->len == 0 || memcmp(r->feed_got.data, want->data, want->len) == 0),
		"seed %llu step %llu: change feed\n got: '%.*s'\nwant: '%.*s'",
		(unsigned long long)seed, (unsigned long long)r->step,
		(int)(r->feed_got.len > 400 ? 400 : r->feed_got.len),
		r->feed_got.data ? r->feed_got.data : "",
		(int)(want->len > 400 ? 400 : want->len), want->data ? want->data : "");
	r->feed_got.len = 0;
}

/* Expected feed of a commit: the open transaction's lines with the commit's seq. */
static struct tu_buf feed_expected;

static void model_commit_feed(struct run *r)
{
	struct model *m = r->m;

	if (m->records) {
		/* feed_want holds "op ID NAME\n" lines; prefix each with the seq */
		const char *p = m->feed_want.data, *end = p + m->feed_want.len;
		char num[32];
		int n = snprintf(num, sizeof(num), "%llu ", (unsigned long long)m->seq + 1);

		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));

			REQUIRE(tu_buf_emit(&feed_expected, num, (size_t)n) == 0, "out of memory");
			REQUIRE(tu_buf_emit(&feed_expected, p, (size_t)(nl - p) + 1) == 0,
				"out of memory");
			p = nl + 1;
		}
		r->feed_commits++;
	}
	m->feed_want.len = 0;
	model_commit(m);
}

static struct rowfs_db *open_db(struct run *r)
{
	struct rowfs_config cfg = { .path = tu_db_path, .cache_pages = 16,
				    .sync = ROWFS_SYNC_OFF };
	struct rowfs_db *db = tu_open(&cfg);

	rowfs_set_change_hook(db, feed_hook, r);
	return db;
}

/* ---- comparing ------------------------------------------------------------ */

struct compare {
	struct run *r;
	const struct frozen *f;        /* compare with a frozen state ... */
	const struct table *t;         /* ... or with a table */
	uint32_t next;                 /* frozen: next index; table: next id to look from */
	uint64_t seen, limit;
	const char *what;
};

/* Next id >= from present in t, or IDS. */
static uint32_t table_next(const struct table *t, uint64_t from)
{
	for (; from < IDS; from++)
		if (t->len[from])
			return (uint32_t)from;
	return IDS;
}

static int compare_row(void *ctx, uint32_t id, const char *name, size_t len)
{
	struct compare *c = ctx;
	uint32_t want_id;
	const char *want_name;
	size_t want_len;

	if (c->f) {
		REQUIRE(c->next < c->f->rows, "seed %llu step %llu, %s: extra row %u",
			(unsigned long long)seed, (unsigned long long)c->r->step, c->what, id);
		want_id = c->f->ids[c->next];
		want_name = c->f->names[c->next];
		want_len = c->f->lens[c->next];
		c->next++;
	} else {
		REQUIRE(c->next < IDS, "seed %llu step %llu, %s: extra row %u",
			(unsigned long long)seed, (unsigned long long)c->r->step, c->what, id);
		want_id = c->next;
		want_name = c->t->name[want_id];
		want_len = c->t->len[want_id];
		c->next = table_next(c->t, (uint64_t)want_id + 1);
	}
	REQUIRE(id == want_id && len == want_len && memcmp(name, want_name, len) == 0,
		"seed %llu step %llu, %s: row %u '%.*s', model %u '%.*s'",
		(unsigned long long)seed, (unsigned long long)c->r->step, c->what, id, (int)len,
		name, want_id, (int)want_len, want_name);
	c->seen++;
	return c->seen >= c->limit;
}

/* Rows the model has from start on, at most limit. */
static uint64_t expected_count(const struct compare *c, uint64_t start)
{
	uint64_t n;

	if (c->f) {
		n = c->f->rows - frozen_lower_bound(c->f, start);
	} else {
		uint32_t id;

		n = 0;
		for (id = table_next(c->t, start); id < IDS && n < c->limit;
		     id = table_next(c->t, (uint64_t)id + 1))
			n++;
	}
	return n < c->limit ? n : c->limit;
}

/* Scan from start through snap (owner view if own) and compare with f or t. */
static void compare_scan(struct run *r, struct rowfs_txn *snap, int own,
			 const struct frozen *f, const struct table *t, uint64_t start,
			 uint64_t limit, const char *what)
{
	struct compare c = { r, f, t, 0, 0, limit, what };
	struct rowfs_err err;
	int rc;

	c.next = f ? frozen_lower_bound(f, start) : table_next(t, start);
	if (own)
		rc = tu_scan(r->db, start, compare_row, &c, &err);
	else
		rc = tu_scan_txn(snap, start, compare_row, &c, &err);
	REQUIRE(rc == ROWFS_OK, "seed %llu step %llu, %s: scan: %s", (unsigned long long)seed,
		(unsigned long long)r->step, what, err.msg);
	c.next = f ? frozen_lower_bound(f, start) : table_next(t, start);
	REQUIRE(c.seen == expected_count(&c, start),
		"seed %llu step %llu, %s: %llu rows from %llu, model %llu",
		(unsigned long long)seed, (unsigned long long)r->step, what,
		(unsigned long long)c.seen, (unsigned long long)start,
		(unsigned long long)expected_count(&c, start));
}

/* "(id, name)\n" lines of f, or "(empty table)\n": what select prints. */
static void select_text(const struct frozen *f, struct tu_buf *b)
{
	char line[64];
	uint32_t i;

	b->len = 0;
	if (f->rows == 0)
		REQUIRE(tu_buf_emit(b, "(empty table)\n", 14) == 0, "out of memory");
	for (i = 0; i < f->rows; i++) {
		int n = snprintf(line, sizeof(line), "(%u, %.*s)\n", f->ids[i], (int)f->lens[i],
				 f->names[i]);

		REQUIRE(tu_buf_emit(b, line, (size_t)n) == 0, "out of memory");
	}
}

static struct tu_buf select_want;

/* rowfs_exec("select") prints f exactly. */
static void compare_select(struct run *r, struct rowfs_txn *snap, const struct frozen *f,
			   const char *what)
{
	struct rowfs_err err;
	int rc;

	select_text(f, &select_want);
	r->out.len = 0;
	rc = rowfs_exec(snap, "select", 6, tu_buf_emit, &r->out, &err);
	REQUIRE(rc == ROWFS_OK, "seed %llu step %llu, %s: select: %s", (unsigned long long)seed,
		(unsigned long long)r->step, what, err.msg);
	REQUIRE(r->out.len == select_want.len &&
			(r->out.len == 0 || memcmp(r->out.data, select_want.data, r->out.len) == 0),
		"seed %llu step %llu, %s: select printed %zu bytes, model %zu",
		(unsigned long long)seed, (unsigned long long)r->step, what, r->out.len,
		select_want.len);
}

/* One random read through snap, compared with f. */
static void read_snapshot(struct run *r, struct rowfs_txn *snap, const struct frozen *f,
			  const char *what)
{
	struct rowfs_err err;
	uint64_t kind = rnd(r, 100), start, want;
	int rc;

	r->snapshot_reads++;
	if (kind < 30) {
		/* a short scan from a random key, sometimes from a row, sometimes 2^32 */
		start = rnd(r, 10) == 0 ? NO_ROW : rnd(r, IDS + 16);
		if (f->rows && rnd(r, 2))
			start = f->ids[rnd(r, f->rows)];
		compare_scan(r, snap, 0, f, NULL, start, 1 + rnd(r, 300), what);
	} else if (kind < 36) {
		compare_scan(r, snap, 0, f, NULL, 0, UINT64_MAX, what);
	} else if (kind < 70) {
		/* point reads: rows of f, and ids f does not have */
		int i;

		for (i = 0; i < 8; i++) {
			uint32_t id = (uint32_t)rnd(r, IDS), k;
			char name[NAME_MAX_LEN];
			size_t len;
			int found;

			if (f->rows && rnd(r, 2))
				id = f->ids[rnd(r, f->rows)];
			k = frozen_lower_bound(f, id);
			rc = tu_get_txn(snap, id, &found, name, &len, &err);
			REQUIRE(rc == ROWFS_OK, "seed %llu step %llu, %s: get %u: %s",
				(unsigned long long)seed, (unsigned long long)r->step, what, id,
				err.msg);
			if (k < f->rows && f->ids[k] == id)
				REQUIRE(found && len == f->lens[k] && memcmp(name, f->names[k], len) == 0,
					"seed %llu step %llu, %s: get %u: found %d '%.*s', model '%.*s'",
					(unsigned long long)seed, (unsigned long long)r->step, what, id,
					found, found ? (int)len : 0, name, (int)f->lens[k], f->names[k]);
			else
				REQUIRE(!found, "seed %llu step %llu, %s: get %u found '%.*s', model: absent",
					(unsigned long long)seed, (unsigned long long)r->step, what, id,
					(int)len, name);
		}
	} else if (kind < 92) {
		/* last/COUNT */
		uint64_t count = rnd(r, 4) == 0 ? rnd(r, 3) : rnd(r, (uint64_t)f->rows + 200);

		rc = tu_last_start_txn(snap, count, &start, &err);
		REQUIRE(rc == ROWFS_OK, "seed %llu step %llu, %s: last_start: %s",
			(unsigned long long)seed, (unsigned long long)r->step, what, err.msg);
		if (count == 0 || f->rows == 0)
			want = NO_ROW;
		else if (count >= f->rows)
			want = f->ids[0];
		else
			want = f->ids[f->rows - count];
		REQUIRE(start == want, "seed %llu step %llu, %s: last_start(%llu) %llu, model %llu",
			(unsigned long long)seed, (unsigned long long)r->step, what,
			(unsigned long long)count, (unsigned long long)start,
			(unsigned long long)want);
	} else if (kind < 97) {
		compare_select(r, snap, f, what);
	} else {
		uint64_t problems = 0;

		r->checks++;
		r->out.len = 0;
		rc = rowfs_check(snap, tu_buf_emit, &r->out, &problems, &err);
		REQUIRE(rc == ROWFS_OK && problems == 0,
			"seed %llu step %llu, %s: check_at: rc %d '%s', %llu problems:\n%.*s",
			(unsigned long long)seed, (unsigned long long)r->step, what, rc, err.msg,
			(unsigned long long)problems, (int)r->out.len,
			r->out.data ? r->out.data : "");
	}
}

/* ---- snapshots ------------------------------------------------------------ */

static void snap_open(struct run *r)
{
	struct rowfs_err err;
	struct snap *s = NULL;
	int i, rc;

	for (i = 0; i < MAX_SNAPS && !s; i++)
		if (!r->snaps[i].snap)
			s = &r->snaps[i];
	if (!s)
		return;
	rc = rowfs_txn_begin(r->db, ROWFS_TXN_RDONLY, &s->snap, &err);
	REQUIRE(rc == ROWFS_OK, "seed %llu step %llu: snapshot_open: %s",
		(unsigned long long)seed, (unsigned long long)r->step, err.msg);
	REQUIRE(rowfs_txn_seq(s->snap) == r->m->seq,
		"seed %llu step %llu: snapshot seq %llu, model %llu", (unsigned long long)seed,
		(unsigned long long)r->step, (unsigned long long)rowfs_txn_seq(s->snap),
		(unsigned long long)r->m->seq);
	s->state = model_freeze(r->m);
	r->snapshots_opened++;
	/* what it shows is the committed state, right away */
	if (rnd(r, 4) == 0)
		read_snapshot(r, s->snap, s->state, "new snapshot");
}

static void snap_close(struct run *r, struct snap *s)
{
	rowfs_txn_abort(s->snap);
	model_unfreeze(r->m, s->state);
	s->snap = NULL;
	s->state = NULL;
}

static struct snap *snap_pick(struct run *r)
{
	struct snap *s = &r->snaps[rnd(r, MAX_SNAPS)];

	return s->snap ? s : NULL;
}

static void snap_close_all(struct run *r)
{
	int i;

	for (i = 0; i < MAX_SNAPS; i++)
		if (r->snaps[i].snap)
			snap_close(r, &r->snaps[i]);
}

/*
 * The committed state as a second handle sees it: its statements run in a
 * read transaction (as the daemon runs another ctl handle's), which reads
 * and refuses writes with ROWFS_BUSY.
 */
static void second_handle(struct run *r)
{
	static const char *const writes[] = {
		"insert 1 x", "update 2 y", "delete 3", ".checkpoint", "begin", "commit", "rollback",
	};
	struct rowfs_err err;
	struct rowfs_txn *reader;
	struct frozen *f;
	const char *line;
	int rc;

	rc = rowfs_txn_begin(r->db, ROWFS_TXN_RDONLY, &reader, &err);
	REQUIRE(rc == ROWFS_OK, "seed %llu step %llu: second handle's read transaction: %s",
		(unsigned long long)seed, (unsigned long long)r->step, err.msg);
	if (rnd(r, 3) == 0) {
		line = writes[rnd(r, sizeof(writes) / sizeof(writes[0]))];
		r->out.len = 0;
		rc = rowfs_exec(reader, line, strlen(line), tu_buf_emit, &r->out, &err);
		REQUIRE(rc == ROWFS_BUSY && r->out.len == 0 &&
				strncmp(err.msg, "Error: database is busy: ", 25) == 0 &&
				rowfs_errno(rc) == EBUSY,
			"seed %llu step %llu: exec_at '%s': rc %d '%s'", (unsigned long long)seed,
			(unsigned long long)r->step, line, rc, err.msg);
		rowfs_txn_abort(reader);
		return;
	}
	f = model_freeze(r->m);
	if (rnd(r, 2))
		compare_select(r, reader, f, "second handle");
	else
		read_snapshot(r, reader, f, "second handle");
	model_unfreeze(r->m, f);
	rowfs_txn_abort(reader);
}

/* A random action on snapshots; allowed between units and inside an explicit transaction. */
static void snapshot_action(struct run *r)
{
	uint64_t kind = rnd(r, 100);
	struct snap *s;

	if (kind < 25) {
		snap_open(r);
	} else if (kind < 45) {
		s = snap_pick(r);
		if (s)
			snap_close(r, s);
	} else if (kind < 90) {
		s = snap_pick(r);
		if (s)
			read_snapshot(r, s->snap, s->state, "snapshot");
	} else {
		second_handle(r);
	}
}

/* ---- statements ----------------------------------------------------------- */

static void expect_rc(struct run *r, const char *line, int rc, const struct rowfs_err *err,
		      int want_rc, const char *want_msg)
{
	REQUIRE(rc == want_rc && (!want_msg || strcmp(err->msg, want_msg) == 0),
		"seed %llu step %llu '%s': rc %d '%s', want %d '%s'", (unsigned long long)seed,
		(unsigned long long)r->step, line, rc, err->msg, want_rc, want_msg ? want_msg : "");
	if (want_rc != ROWFS_OK)
		r->stmt_errors++;
}

static void exec_expect(struct run *r, const char *line, int want_rc, const char *want_msg)
{
	struct rowfs_err err;
	int rc = tu_exec(r->db, line, &r->out, &err);

	expect_rc(r, line, rc, &err, want_rc, want_msg);
	if (want_rc == ROWFS_OK && strcmp(line, "select") != 0)
		REQUIRE(r->out.len == 10 && memcmp(r->out.data, "Executed.\n", 10) == 0,
			"seed %llu step %llu '%s': reply '%.*s'", (unsigned long long)seed,
			(unsigned long long)r->step, line, (int)r->out.len, r->out.data);
	else if (want_rc != ROWFS_OK)
		REQUIRE(r->out.len == 0, "seed %llu step %llu '%s': error emitted '%.*s'",
			(unsigned long long)seed, (unsigned long long)r->step, line,
			(int)r->out.len, r->out.data);
}

static uint32_t pick_present(struct run *r)
{
	return r->m->present[rnd(r, r->m->current.rows)];
}

/* A write statement on id: insert (fresh or duplicate), update or delete (present or not). */
static void write_statement(struct run *r, uint64_t kind, uint32_t id)
{
	struct model *m = r->m;
	char line[128], want[96], name[NAME_MAX_LEN + 8], feed[96];
	size_t len = 1 + rnd(r, NAME_MAX_LEN);

	tu_random_name(&r->rng, name, len);
	if (kind == 0) {
		snprintf(line, sizeof(line), "insert %u %s", id, name);
		if (m->current.len[id]) {
			snprintf(want, sizeof(want), "Error: duplicate key %u.", id);
			exec_expect(r, line, ROWFS_DUPLICATE, want);
			return;
		}
		exec_expect(r, line, ROWFS_OK, NULL);
		snprintf(feed, sizeof(feed), "insert %u %s\n", id, name);
	} else if (kind == 1) {
		snprintf(line, sizeof(line), "update %u %s", id, name);
		if (!m->current.len[id]) {
			snprintf(want, sizeof(want), "Error: no such key %u.", id);
			exec_expect(r, line, ROWFS_NOTFOUND, want);
			return;
		}
		exec_expect(r, line, ROWFS_OK, NULL);
		snprintf(feed, sizeof(feed), "update %u %s\n", id, name);
	} else {
		snprintf(line, sizeof(line), "delete %u", id);
		if (!m->current.len[id]) {
			snprintf(want, sizeof(want), "Error: no such key %u.", id);
			exec_expect(r, line, ROWFS_NOTFOUND, want);
			return;
		}
		exec_expect(r, line, ROWFS_OK, NULL);
		snprintf(feed, sizeof(feed), "delete %u\n", id);
		len = 0;
	}
	model_set(m, id, name, len);
	REQUIRE(tu_buf_emit(&m->feed_want, feed, strlen(feed)) == 0, "out of memory");
}

/* Transaction control statements, in the spellings the parser accepts. */
static const char *const begins[] = { "begin", "BEGIN", "begin transaction", "Begin Transaction" };
static const char *const commits[] = { "commit", "END", "end transaction", "COMMIT TRANSACTION" };
static const char *const rollbacks[] = { "rollback", "ROLLBACK", "Rollback Transaction" };
#define PICK(r, a) ((a)[rnd(r, sizeof(a) / sizeof((a)[0]))])

static void stmt_begin(struct run *r)
{
	const char *line = PICK(r, begins);

	if (r->m->explicit_open) {
		exec_expect(r, line, ROWFS_TXN,
			    "Error: cannot start a transaction within a transaction");
		return;
	}
	exec_expect(r, line, ROWFS_OK, NULL);
	model_commit_feed(r);            /* what the unit ran so far */
	r->m->explicit_open = 1;
	r->explicit_txns++;
}

static void stmt_end(struct run *r, int commit)
{
	const char *line = commit ? PICK(r, commits) : PICK(r, rollbacks);

	if (!r->m->explicit_open) {
		exec_expect(r, line, ROWFS_TXN,
			    commit ? "Error: cannot commit - no transaction is active"
				   : "Error: cannot rollback - no transaction is active");
		return;
	}
	exec_expect(r, line, ROWFS_OK, NULL);
	if (commit)
		model_commit_feed(r);
	else
		model_rollback(r->m);
	r->m->explicit_open = 0;
}

/* One random statement of a unit. */
static void random_statement(struct run *r, int grow)
{
	struct model *m = r->m;
	uint64_t kind = rnd(r, 1000);
	uint32_t id;

	if (kind < 880) {
		/* writes: present ids half the time, so every outcome is common */
		uint64_t op = rnd(r, 100);

		op = op < (uint64_t)(grow ? 60 : 25) ? 0 : op < 75 ? 1 : 2;
		id = m->current.rows && rnd(r, 2) ? pick_present(r) : (uint32_t)rnd(r, IDS);
		write_statement(r, op, id);
	} else if (kind < 910) {
		/* statement errors: fail only that statement */
		static const char *const bad[] = {
			"insert x y", "insert 1", "delete", "selec", "insert 5 a@b", "update -1 x",
			"begin x", "commit now", "insert 4294967296 x",
		};
		const char *line = PICK(r, bad);
		struct rowfs_err err;
		int rc = tu_exec(r->db, line, &r->out, &err);

		REQUIRE(rc != ROWFS_OK && r->out.len == 0 && err.msg[0],
			"seed %llu step %llu '%s': rc %d", (unsigned long long)seed,
			(unsigned long long)r->step, line, rc);
		r->stmt_errors++;
	} else if (kind < 935) {
		stmt_begin(r);
	} else if (kind < 955) {
		stmt_end(r, 1);
	} else if (kind < 965) {
		stmt_end(r, 0);
	} else if (kind < 970) {
		exec_expect(r, ".checkpoint", ROWFS_OK, NULL);
	} else if (kind < 980) {
		/* the owner sees its own changes */
		compare_scan(r, NULL, 1, NULL, &m->current, rnd(r, IDS), 1 + rnd(r, 50), "owner");
	} else {
		if (m->explicit_open)
			snapshot_action(r);
	}
}

/* A bulk unit: a run of inserts or deletes over a range of ids, in one transaction. */
static void bulk_unit(struct run *r, int grow)
{
	struct model *m = r->m;
	struct rowfs_err err;
	uint32_t from = (uint32_t)rnd(r, IDS), count = 2000 + (uint32_t)rnd(r, 20000), id;
	int explicit_txn = !m->explicit_open && rnd(r, 2), keep = 64;

	if (!grow && m->current.rows < 8000) {
		/* the end of a shrink phase: every row, so the root collapses */
		from = 0;
		count = IDS;
		keep = 0;
	}

	r->bulk_units++;
	ck_assert_int_eq(tu_begin(r->db, &err), ROWFS_OK);
	if (explicit_txn)
		stmt_begin(r);
	for (id = from; id < from + count && id < IDS; id++) {
		if (grow && !m->current.len[id])
			write_statement(r, 0, id);
		else if (!grow && m->current.len[id] && (!keep || rnd(r, keep)))
			write_statement(r, 2, id);
		if (m->explicit_open && rnd(r, 2000) == 0)
			snapshot_action(r);
	}
	if (explicit_txn)
		stmt_end(r, rnd(r, 4) != 0);
	ck_assert_int_eq(tu_commit(r->db, &err), ROWFS_OK);
	if (!m->explicit_open)
		model_commit_feed(r);
}

/* ---- the loop ------------------------------------------------------------- */

static void track_depth(struct run *r)
{
	struct rowfs_stats st;

	tu_stats(r->db, &st);
	REQUIRE(st.rows == r->m->current.rows, "seed %llu step %llu: %llu rows, model %u",
		(unsigned long long)seed, (unsigned long long)r->step,
		(unsigned long long)st.rows, r->m->current.rows);
	if (st.depth > r->max_depth)
		r->max_depth = st.depth;
	if (r->max_depth >= 2 && st.depth == 1)
		r->saw_collapse = 1;
	if (st.rows > r->max_rows)
		r->max_rows = st.rows;
}

static void reopen(struct run *r)
{
	snap_close_all(r);
	if (r->m->explicit_open) {
		/* rowfs_close rolls an open explicit transaction back */
		model_rollback(r->m);
		r->m->explicit_open = 0;
	}
	tu_close(r->db);
	r->db = open_db(r);
	REQUIRE(tu_txn_state(r->db) == ROWFS_TXN_NONE, "reopened with a transaction");
	REQUIRE(rowfs_last_seq(r->db) == r->m->seq, "seed %llu step %llu: reopened at seq %llu, "
		"model %llu", (unsigned long long)seed, (unsigned long long)r->step,
		(unsigned long long)rowfs_last_seq(r->db), (unsigned long long)r->m->seq);
	compare_scan(r, NULL, 1, NULL, &r->m->current, 0, UINT64_MAX, "reopened");
	tu_require_clean(r->db, "reopened");
	r->reopens++;
}

/* One implicit unit: begin, a few statements, commit or rollback. */
static void unit(struct run *r, int grow)
{
	struct model *m = r->m;
	struct rowfs_err err;
	int n = 1 + (int)rnd(r, 8), i, rc;

	r->units++;
	ck_assert_int_eq(tu_begin(r->db, &err), ROWFS_OK);
	for (i = 0; i < n; i++)
		random_statement(r, grow);
	if (rnd(r, 6) == 0) {
		ck_assert_int_eq(tu_rollback(r->db, &err), ROWFS_OK);
		if (!m->explicit_open)
			model_rollback(m);
	} else {
		rc = tu_commit(r->db, &err);
		REQUIRE(rc == ROWFS_OK, "seed %llu step %llu: commit: %s", (unsigned long long)seed,
			(unsigned long long)r->step, err.msg);
		if (!m->explicit_open)
			model_commit_feed(r);
	}
}

static void between_units(struct run *r)
{
	struct model *m = r->m;
	struct rowfs_err err;
	uint64_t kind = rnd(r, 1000);
	int rc;

	REQUIRE(rowfs_last_seq(r->db) == m->seq, "seed %llu step %llu: last_seq %llu, model %llu",
		(unsigned long long)seed, (unsigned long long)r->step,
		(unsigned long long)rowfs_last_seq(r->db), (unsigned long long)m->seq);
	REQUIRE(tu_txn_state(r->db) == (m->explicit_open ? ROWFS_TXN_OPEN : ROWFS_TXN_NONE),
		"seed %llu step %llu: txn state %d", (unsigned long long)seed,
		(unsigned long long)r->step, tu_txn_state(r->db));
	feed_compare(r, &feed_expected);
	feed_expected.len = 0;
	if (kind < 300) {
		snapshot_action(r);
	} else if (kind < 310) {
		/* allowed unless the explicit transaction changed something */
		rc = rowfs_checkpoint(r->db, &err);
		REQUIRE(rc == (m->explicit_open && m->records ? ROWFS_ERROR : ROWFS_OK),
			"seed %llu step %llu: checkpoint: rc %d '%s'", (unsigned long long)seed,
			(unsigned long long)r->step, rc, err.msg);
	} else if (kind < 312) {
		tu_require_clean(r->db, "owner");
		r->checks++;
	} else if (kind < 313) {
		reopen(r);
	} else if (kind < 340) {
		track_depth(r);
	}
}

static void model_run(uint64_t units)
{
	struct run r;
	uint64_t u;
	int grow = 1;

	memset(&r, 0, sizeof(r));
	r.m = calloc(1, sizeof(*r.m));
	ck_assert_ptr_nonnull(r.m);
	r.rng = seed;
	r.db = open_db(&r);
	for (u = 0; u < units; u++) {
		r.step = u;
		/* phases: grow to a deep tree, shrink to (almost) nothing, and again */
		if (grow && r.m->current.rows > 40000) {
			grow = 0;
		} else if (!grow && r.m->current.rows < 100) {
			track_depth(&r);
			grow = 1;
		}
		if (rnd(&r, grow ? 150 : 60) == 0)
			bulk_unit(&r, grow);
		else
			unit(&r, grow);
		between_units(&r);
	}
	/* the end: everything compared, then closed and reopened */
	track_depth(&r);
	compare_scan(&r, NULL, 1, NULL, &r.m->current, 0, UINT64_MAX, "end");
	reopen(&r);
	tu_close(r.db);
	fprintf(stderr,
		"check_snapshot: %llu units (%llu bulk), %llu explicit transactions, %llu statement "
		"errors, %llu commits fed, %llu snapshots opened, %llu snapshot reads, %llu checks, "
		"%llu reopens, at most %llu rows, depth up to %u%s\n",
		(unsigned long long)r.units, (unsigned long long)r.bulk_units,
		(unsigned long long)r.explicit_txns, (unsigned long long)r.stmt_errors,
		(unsigned long long)r.feed_commits, (unsigned long long)r.snapshots_opened,
		(unsigned long long)r.snapshot_reads, (unsigned long long)r.checks,
		(unsigned long long)r.reopens, (unsigned long long)r.max_rows, r.max_depth,
		r.saw_collapse ? ", root collapsed back to a leaf" : "");
	if (seed == DEFAULT_SEED) {
		/* the default run must reach what it is there for */
		ck_assert_uint_ge(r.max_depth, 3);
		ck_assert(r.saw_collapse);
		ck_assert_uint_ge(r.explicit_txns, 500);
		ck_assert_uint_ge(r.snapshots_opened, 1000);
	}
	while (r.m->history)
		model_unfreeze(r.m, r.m->history);
	free(r.m->dirty);
	tu_buf_free(&r.m->feed_want);
	free(r.m);
	tu_buf_free(&r.out);
	tu_buf_free(&r.feed_got);
	tu_buf_free(&feed_expected);
	tu_buf_free(&select_want);
}

START_TEST(test_snapshot_model)
{
	model_run(slow ? 200000 : 20000);
}
END_TEST

/* ---- expiry --------------------------------------------------------------- */

static struct rowfs_db *open_tiny_store(void)
{
	struct rowfs_config cfg = { .path = tu_db_path, .snapshot_pages = 8,
				    .sync = ROWFS_SYNC_OFF };

	return tu_open(&cfg);
}

/* Run lines in one implicit unit; each must succeed. */
static void run_unit(struct rowfs_db *db, const char *fmt, uint32_t from, uint32_t to)
{
	struct rowfs_err err;
	char line[96];
	uint32_t id;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (id = from; id < to; id++) {
		snprintf(line, sizeof(line), fmt, id, id % 97);
		REQUIRE(tu_exec_emit(db, line, strlen(line), tu_expect_executed, NULL, &err) ==
				ROWFS_OK, "'%s': %s", line, err.msg);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
}

/* A statement in the open unit must succeed. */
static void exec_ok(struct rowfs_db *db, const char *line)
{
	struct rowfs_err err;
	int rc = tu_exec_emit(db, line, strlen(line), tu_expect_executed, NULL, &err);

	ck_assert_msg(rc == ROWFS_OK, "'%s': rc %d '%s'", line, rc, err.msg);
}

/* rowfs_row_fn: append "id=name " to the struct tu_buf ctx. */
static int text_row(void *ctx, uint32_t id, const char *name, size_t len)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%u=%.*s ", id, (int)len, name);

	return tu_buf_emit(ctx, line, (size_t)n);
}

/*
 * The statistics read through the write transaction, which takes no
 * snapshot: st->snapshots counts the readers alone.
 */
static void writer_stats(struct rowfs_db *db, struct rowfs_stats *st)
{
	struct rowfs_txn *writer;
	struct rowfs_err err;

	ck_assert_int_eq(rowfs_txn_begin(db, 0, &writer, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_get_stats(writer, st, &err), ROWFS_OK);
	rowfs_txn_abort(writer);
}

/* Every read through snap fails with ROWFS_STALE. */
static void expect_stale(struct rowfs_txn *snap)
{
	struct tu_buf out = { 0 };
	struct rowfs_err err;
	uint64_t start, problems;
	char name[NAME_MAX_LEN];
	size_t len;
	int found;

	ck_assert_int_eq(tu_get_txn(snap, 1, &found, name, &len, &err), ROWFS_STALE);
	ck_assert_int_eq(err.rc, ROWFS_STALE);
	ck_assert_int_eq(err.sys_errno, ESTALE);
	ck_assert_int_eq(rowfs_errno(ROWFS_STALE), ESTALE);
	ck_assert_msg(strstr(err.msg, "snapshot too old") != NULL, "message '%s'", err.msg);
	ck_assert_int_eq(tu_scan_txn(snap, 0, text_row, &out, &err), ROWFS_STALE);
	ck_assert_int_eq(tu_last_start_txn(snap, 5, &start, &err), ROWFS_STALE);
	ck_assert_int_eq(rowfs_exec(snap, "select", 6, tu_buf_emit, &out, &err),
			 ROWFS_STALE);
	ck_assert_int_eq(rowfs_check(snap, tu_buf_emit, &out, &problems, &err),
			 ROWFS_STALE);
	ck_assert_int_eq(rowfs_render_btree(snap, tu_buf_emit, &out, &err), ROWFS_STALE);
	ck_assert_uint_eq(out.len, 0);
	tu_buf_free(&out);
}

/* The table through snap as "id=name " pairs, malloc'd (the caller frees). */
static char *snap_text(struct rowfs_txn *snap)
{
	struct tu_buf b = { 0 };
	struct rowfs_err err;

	ck_assert_int_eq(tu_scan_txn(snap, 0, text_row, &b, &err), ROWFS_OK);
	tu_buf_emit(&b, "", 0);
	return b.data ? b.data : calloc(1, 1);
}

/*
 * "select" through snap into out, which must succeed; snap NULL: in a read
 * transaction of its own, as a second handle runs it.
 */
static void select_of(struct rowfs_db *db, struct rowfs_txn *snap, struct tu_buf *out)
{
	struct rowfs_err err;

	out->len = 0;
	if (snap)
		ck_assert_int_eq(rowfs_exec(snap, "select", 6, tu_buf_emit, out, &err), ROWFS_OK);
	else
		ck_assert_int_eq(tu_exec_committed(db, "select", 6, tu_buf_emit, out, &err),
				 ROWFS_OK);
}

START_TEST(test_expiry)
{
	struct rowfs_db *db = open_tiny_store();
	struct tu_buf out = { 0 }, want = { 0 };
	struct rowfs_stats st;
	struct rowfs_txn *old, *newer, *same;
	struct rowfs_err err;
	char *committed, *text;

	/* 3,000 rows: some 40 leaves */
	run_unit(db, "insert %u name%u", 0, 3000);
	committed = tu_table_text(db);
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &old, &err), ROWFS_OK);

	/* one page changed: the old snapshot keeps one image and stays readable */
	run_unit(db, "update %u x%u", 10, 11);
	text = snap_text(old);
	ck_assert_str_eq(text, committed);
	free(text);

	/* every leaf changed: far more than 8 images, the old snapshot expires */
	run_unit(db, "update %u y%u", 0, 3000);
	expect_stale(old);
	writer_stats(db, &st);
	ck_assert_uint_eq(st.snapshots_expired, 1);
	ck_assert_uint_eq(st.snapshots, 0);
	ck_assert_uint_le(st.snapshot_pages, 8);

	/* a newer snapshot changed by little is fine, and stays so */
	free(committed);
	committed = tu_table_text(db);
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &newer, &err), ROWFS_OK);
	run_unit(db, "update %u z%u", 100, 103);
	text = snap_text(newer);
	ck_assert_str_eq(text, committed);
	free(text);
	rowfs_txn_abort(old);   /* expired: closing is fine */
	text = snap_text(newer);
	ck_assert_str_eq(text, committed);
	free(text);
	rowfs_txn_abort(newer);

	/*
	 * An explicit transaction changing every leaf: its base keeps far more
	 * than 8 images and never expires (rollback restores from it), and a
	 * snapshot opened inside it, sharing the base's images, costs nothing
	 * and stays readable too.
	 */
	free(committed);
	committed = tu_table_text(db);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "begin");
	exec_ok(db, "update 1 inside");
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &same, &err), ROWFS_OK);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	run_unit(db, "update %u w%u", 0, 3000);
	run_unit(db, "insert %u v%u", 3000, 6000);
	ck_assert_int_eq(tu_txn_state(db), ROWFS_TXN_OPEN);
	text = snap_text(same);
	ck_assert_str_eq(text, committed);
	free(text);
	/* a second handle's select shows what the snapshot shows */
	select_of(db, NULL, &out);
	select_of(db, same, &want);
	ck_assert_uint_gt(want.len, 0);
	ck_assert_msg(out.len == want.len && memcmp(out.data, want.data, out.len) == 0,
		      "select through NULL differs from the snapshot's");
	ck_assert_ptr_null(strstr(out.data, "inside"));
	tu_buf_free(&out);
	tu_buf_free(&want);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	exec_ok(db, "rollback");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	text = tu_table_text(db);
	ck_assert_str_eq(text, committed);
	free(text);
	text = snap_text(same);
	ck_assert_str_eq(text, committed);
	free(text);
	rowfs_txn_abort(same);
	tu_require_clean(db, "after the rollback");
	free(committed);
	tu_close(db);
}
END_TEST

/*
 * Many readers, each a commit apart (a `rows` opened between ctl writes):
 * every commit keeps one image of the page it changes, one per reader.
 * Closing them all must cost about what opening them did.  A GC pass
 * once asked every live snapshot about every version, so closing N
 * readers took O(N^3): 3,000 of them held the daemon's lock for half a
 * minute.
 */
START_TEST(test_many_readers_close_fast)
{
	enum { READERS = 3000 };
	struct rowfs_config cfg = { .path = tu_db_path, .sync = ROWFS_SYNC_OFF };
	struct rowfs_db *db = tu_open(&cfg);
	struct rowfs_txn **snaps = calloc(READERS, sizeof(*snaps));
	struct rowfs_stats st;
	struct rowfs_err err;
	struct timespec t0, t1;
	double seconds;
	char *text;
	uint32_t i;

	ck_assert_ptr_nonnull(snaps);
	run_unit(db, "insert %u n%u", 0, 50);
	for (i = 0; i < READERS; i++) {
		ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &snaps[i], &err), ROWFS_OK);
		run_unit(db, "update %u u%u", i % 50, i % 50 + 1);
	}
	writer_stats(db, &st);
	ck_assert_uint_eq(st.snapshots, READERS);
	ck_assert_uint_ge(st.snapshot_pages, READERS);
	text = snap_text(snaps[0]);
	ck_assert_ptr_nonnull(strstr(text, " 1=n1 "));
	free(text);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < READERS; i++)
		rowfs_txn_abort(snaps[i]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(seconds < 5.0, "closing %d snapshots took %.1f s", READERS, seconds);
	writer_stats(db, &st);
	ck_assert_uint_eq(st.snapshots, 0);
	ck_assert_uint_eq(st.snapshot_pages, 0);
	free(snaps);
	tu_close(db);
}
END_TEST

static Suite *snapshot_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("model");

	tcase_set_timeout(tc, slow ? 3600 : 300);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_snapshot_model);
	suite_add_tcase(s, tc);

	tc = tcase_create("expiry");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_many_readers_close_fast);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	seed = tu_seed("ROWFS_SEED", DEFAULT_SEED);
	slow = tu_flag("ROWFS_SLOW");
	printf("check_snapshot: seed %llu%s (ROWFS_SEED=N to change)\n", (unsigned long long)seed,
	       slow ? ", slow" : "");
	fflush(stdout);
	return tu_run("check_snapshot", snapshot_suite());
}
