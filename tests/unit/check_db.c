/*
 * check_db.c - unit tests of the façade (engine/db.c) against a model.
 *
 * Owns: the randomized model test (100,000 random statements in
 * transactions of 1..500 statements, each reply and error checked against
 * an in-memory model, the whole table compared every 1,000 operations and
 * after each of several reopens, rowfs_check clean at the end), run with a
 * small cache (eviction, checkpoints in the middle of the run) and with
 * the default one; rollback; rowfs_scan from a start key; the
 * statistics counters (a transaction that logged nothing commits nothing
 * and does no fsync); and the tables as the mount lists them:
 * rowfs_table_next in catalog order (a dropped table gone, a read
 * transaction keeping its own list), rowfs_table_stats checked against
 * the rendered tree and against the file's page accounting (overflow
 * pages included), rowfs_render_table_btree.
 *
 * The seed is fixed and printed; ROWFS_SEED=N runs another one.
 * ROWFS_SLOW=1 makes the model runs ten times longer.
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rowfs.h"
#include "testutil.h"

#define DEFAULT_SEED 20240917ull

static uint64_t seed = DEFAULT_SEED;   /* set in main() from ROWFS_SEED */
static int slow;                       /* ROWFS_SLOW=1 */

/* ---- helpers ------------------------------------------------------------ */

static struct rowfs_db *open_db(uint32_t cache_pages, int sync)
{
	struct rowfs_config cfg = { .path = tu_db_path, .cache_pages = cache_pages, .sync = sync };

	return tu_open(&cfg);
}

/* ---- the model ---------------------------------------------------------- */

/*
 * Ids live in slots: slots [0, LOW_IDS) are ids 0.., slots [LOW_IDS,
 * SLOTS) the HIGH_IDS largest ids, so both ends of the key space are used.
 * With N inserts over the slots, the expected share of duplicates is
 * 1 - (1 - e^-x)/x for x = N/SLOTS: about 20% at x = 0.45, which is what
 * LOW_IDS is sized for (the default 100,000 operations are ~85% inserts,
 * the slow run gets a proportionally larger range).
 */
#define HIGH_IDS 1000u
#define USERNAME_MAX 32u   /* USERNAME_SIZE of format.h, as the contract states it */

enum slot_state { ABSENT = 0, COMMITTED, PENDING };

struct model {
	uint32_t low_ids, slots;
	uint8_t *state;               /* enum slot_state per slot */
	char (*names)[USERNAME_MAX + 1];
	uint8_t *name_len;
	uint32_t *pending;            /* slots inserted by the open transaction */
	size_t npending, cap;
	uint64_t rows;                /* COMMITTED + PENDING */
};

static uint32_t slot_id(const struct model *m, uint32_t slot)
{
	return slot < m->low_ids ? slot : UINT32_MAX - (slot - m->low_ids);
}

/* Next slot in key order after slot (first one when slot is UINT32_MAX). */
static uint32_t slot_next(const struct model *m, uint32_t slot)
{
	if (slot == UINT32_MAX)
		return 0;
	if (slot + 1 < m->low_ids)
		return slot + 1;
	if (slot + 1 == m->low_ids)
		return m->slots - 1;
	return slot == m->low_ids ? UINT32_MAX : slot - 1;
}

/* First slot in key order whose id is >= key (UINT32_MAX: none). */
static uint32_t slot_lower_bound(const struct model *m, uint64_t key)
{
	if (key < m->low_ids)
		return (uint32_t)key;
	if (key > UINT32_MAX)
		return UINT32_MAX;
	if (key <= (uint64_t)UINT32_MAX - (HIGH_IDS - 1))
		return m->slots - 1;
	return m->low_ids + (uint32_t)(UINT32_MAX - key);
}

static void model_init(struct model *m, uint32_t low_ids)
{
	memset(m, 0, sizeof(*m));
	m->low_ids = low_ids;
	m->slots = low_ids + HIGH_IDS;
	m->state = calloc(m->slots, 1);
	m->names = calloc(m->slots, sizeof(*m->names));
	m->name_len = calloc(m->slots, 1);
	ck_assert(m->state && m->names && m->name_len);
}

static void model_free(struct model *m)
{
	free(m->state);
	free(m->names);
	free(m->name_len);
	free(m->pending);
}

static void model_insert(struct model *m, uint32_t slot, const char *name, size_t len)
{
	if (m->npending == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 512;
		m->pending = realloc(m->pending, m->cap * sizeof(*m->pending));
		REQUIRE(m->pending, "out of memory");
	}
	m->pending[m->npending++] = slot;
	m->state[slot] = PENDING;
	memcpy(m->names[slot], name, len);
	m->name_len[slot] = (uint8_t)len;
	m->rows++;
}

static void model_commit(struct model *m)
{
	size_t i;

	for (i = 0; i < m->npending; i++)
		m->state[m->pending[i]] = COMMITTED;
	m->npending = 0;
}

static void model_rollback(struct model *m)
{
	size_t i;

	for (i = 0; i < m->npending; i++)
		m->state[m->pending[i]] = ABSENT;
	m->rows -= m->npending;
	m->npending = 0;
}

/* Compare rows from rowfs_scan with the model, from a start slot on. */
struct compare {
	const struct model *m;
	uint32_t slot;                /* next expected slot (UINT32_MAX: none left) */
	uint64_t seen;                /* rows compared */
	uint64_t limit;               /* stop after this many rows */
	const char *what;             /* for messages */
};

static uint32_t next_present(const struct model *m, uint32_t slot)
{
	while (slot != UINT32_MAX && m->state[slot] == ABSENT)
		slot = slot_next(m, slot);
	return slot;
}

static int compare_row(void *ctx, uint32_t id, const char *name, size_t name_len)
{
	struct compare *c = ctx;
	const struct model *m = c->m;
	uint32_t slot = c->slot;

	REQUIRE(slot != UINT32_MAX, "seed %llu, %s: extra row %u after %llu rows",
		(unsigned long long)seed, c->what, id, (unsigned long long)c->seen);
	REQUIRE(id == slot_id(m, slot), "seed %llu, %s: row %u, model has %u",
		(unsigned long long)seed, c->what, id, slot_id(m, slot));
	REQUIRE(name_len == m->name_len[slot] && memcmp(name, m->names[slot], name_len) == 0,
		"seed %llu, %s: row %u named '%.*s', model '%.*s'", (unsigned long long)seed,
		c->what, id, (int)name_len, name, (int)m->name_len[slot], m->names[slot]);
	c->seen++;
	c->slot = next_present(m, slot_next(m, slot));
	return c->seen >= c->limit;
}

/* tu_scan(start) must return the model's next `limit` rows. */
static void compare_from(struct rowfs_db *db, const struct model *m, uint64_t start,
			 uint64_t limit, const char *what)
{
	struct compare c = {m, next_present(m, slot_lower_bound(m, start)), 0, limit, what};
	struct rowfs_err err;
	uint64_t want = 0;
	uint32_t slot;
	int rc = tu_scan(db, start, compare_row, &c, &err);

	REQUIRE(rc == ROWFS_OK, "seed %llu, %s: scan: %s", (unsigned long long)seed, what, err.msg);
	for (slot = next_present(m, slot_lower_bound(m, start)); slot != UINT32_MAX && want < limit;
	     slot = next_present(m, slot_next(m, slot)))
		want++;
	REQUIRE(c.seen == want, "seed %llu, %s: %llu rows from %llu, model has %llu",
		(unsigned long long)seed, what, (unsigned long long)c.seen,
		(unsigned long long)start, (unsigned long long)want);
}

static void compare_all(struct rowfs_db *db, const struct model *m, const char *what)
{
	struct rowfs_stats st;

	compare_from(db, m, 0, UINT64_MAX, what);
	tu_stats(db, &st);
	REQUIRE(st.rows == m->rows, "seed %llu, %s: stats say %llu rows, model %llu",
		(unsigned long long)seed, what, (unsigned long long)st.rows,
		(unsigned long long)m->rows);
}

/* ---- random statements ---------------------------------------------------- */

struct run {
	struct rowfs_db *db;
	struct model m;
	uint64_t rng;
	uint32_t cache_pages;
	int sync;
	struct tu_buf out;
	uint64_t checkpoints;     /* summed over the handles of the run */
	uint64_t cache_misses;
	uint64_t ops, inserts, duplicates;
};

/* One random statement in the open transaction, checked against the model. */
static void random_statement(struct run *r)
{
	struct model *m = &r->m;
	char line[128], name[48], want[128];
	struct rowfs_err err;
	uint64_t kind = tu_next_random(&r->rng) % 100;
	uint32_t slot, id;
	size_t len;
	int rc;

	if (tu_next_random(&r->rng) % 50 == 0)
		slot = m->low_ids + (uint32_t)(tu_next_random(&r->rng) % HIGH_IDS);
	else
		slot = (uint32_t)(tu_next_random(&r->rng) % m->low_ids);
	id = slot_id(m, slot);

	if (kind < 85) {
		/* insert: Executed., or the duplicate error */
		len = 1 + tu_next_random(&r->rng) % USERNAME_MAX;
		tu_random_name(&r->rng, name, len);
		snprintf(line, sizeof(line), "insert %u %s", id, name);
		rc = tu_exec(r->db, line, &r->out, &err);
		r->inserts++;
		if (m->state[slot] != ABSENT) {
			snprintf(want, sizeof(want), "Error: duplicate key %u.", id);
			REQUIRE(rc == ROWFS_DUPLICATE && strcmp(err.msg, want) == 0 &&
					r->out.len == 0,
				"seed %llu op %llu '%s': rc %d '%s', want duplicate",
				(unsigned long long)seed, (unsigned long long)r->ops, line, rc,
				err.msg);
			r->duplicates++;
			return;
		}
		REQUIRE(rc == ROWFS_OK && r->out.len == 10 &&
				memcmp(r->out.data, "Executed.\n", 10) == 0,
			"seed %llu op %llu '%s': rc %d '%s'", (unsigned long long)seed,
			(unsigned long long)r->ops, line, rc, err.msg);
		model_insert(m, slot, name, len);
		return;
	} else if (kind < 89) {
		/* name too long: refused whether or not the key exists */
		len = USERNAME_MAX + 1 + tu_next_random(&r->rng) % 8;
		tu_random_name(&r->rng, name, len);
		snprintf(line, sizeof(line), "insert %u %s", id, name);
		snprintf(want, sizeof(want), "Error: username too long (%zu > 32)", len);
		rc = tu_exec(r->db, line, &r->out, &err);
		REQUIRE(rc == ROWFS_TOOLONG && strcmp(err.msg, want) == 0,
			"seed %llu op %llu '%s': rc %d '%s'", (unsigned long long)seed,
			(unsigned long long)r->ops, line, rc, err.msg);
	} else if (kind < 92) {
		/* ids outside 0..4294967295 */
		tu_random_name(&r->rng, name, 1 + tu_next_random(&r->rng) % 8);
		if (kind == 89) {
			snprintf(line, sizeof(line), "insert -%u %s", id | 1, name);
			snprintf(want, sizeof(want), "Parse error: Row id must be non-negative");
		} else {
			snprintf(line, sizeof(line), "insert %llu %s",
				 (unsigned long long)id + 4294967296ull, name);
			snprintf(want, sizeof(want), "Parse error: Row id out of range");
		}
		rc = tu_exec(r->db, line, &r->out, &err);
		REQUIRE(rc == ROWFS_RANGE && strcmp(err.msg, want) == 0,
			"seed %llu op %llu '%s': rc %d '%s'", (unsigned long long)seed,
			(unsigned long long)r->ops, line, rc, err.msg);
	} else if (kind < 94) {
		/* a character outside the alphabet inside the name */
		size_t prefix = tu_next_random(&r->rng) % 10, at;

		tu_random_name(&r->rng, name, prefix);
		name[prefix] = "@#%\"'"[tu_next_random(&r->rng) % 5];
		tu_random_name(&r->rng, name + prefix + 1, tu_next_random(&r->rng) % 10);
		at = (size_t)snprintf(line, sizeof(line), "insert %u ", id) + prefix;
		snprintf(line, sizeof(line), "insert %u %s", id, name);
		snprintf(want, sizeof(want), "Token error: Unexpected character '%c' at position %zu",
			 name[prefix], at);
		rc = tu_exec(r->db, line, &r->out, &err);
		REQUIRE(rc == ROWFS_TOKEN && strcmp(err.msg, want) == 0,
			"seed %llu op %llu '%s': rc %d '%s', want '%s'", (unsigned long long)seed,
			(unsigned long long)r->ops, line, rc, err.msg, want);
	} else if (kind < 98) {
		/* a short scan from a random key, sometimes 2^32 */
		uint64_t start = kind == 94 ? 4294967296ull : id;

		compare_from(r->db, m, start, 1 + tu_next_random(&r->rng) % 5, "probe");
		return;
	} else {
		/* the row count */
		struct rowfs_stats st;

		tu_stats(r->db, &st);
		REQUIRE(st.rows == m->rows, "seed %llu op %llu: %llu rows, model %llu",
			(unsigned long long)seed, (unsigned long long)r->ops,
			(unsigned long long)st.rows, (unsigned long long)m->rows);
		return;
	}
	REQUIRE(r->out.len == 0, "seed %llu op %llu '%s': error emitted '%s'",
		(unsigned long long)seed, (unsigned long long)r->ops, line, r->out.data);
}

static void add_counters(struct run *r)
{
	struct rowfs_stats st;

	tu_stats(r->db, &st);
	r->checkpoints += st.checkpoints;
	r->cache_misses += st.cache_misses;
}

/* Close and reopen; an open transaction is rolled back by the close. */
static void reopen(struct run *r, const char *what)
{
	add_counters(r);
	model_rollback(&r->m);
	tu_close(r->db);
	r->db = open_db(r->cache_pages, r->sync);
	compare_all(r->db, &r->m, what);
	tu_require_clean(r->db, NULL);
}

static void model_run(uint32_t cache_pages, int sync, uint64_t seed_offset)
{
	const uint64_t ops = slow ? 1000000 : 100000;
	const uint64_t reopen_every = ops / 5;
	struct run r;
	struct rowfs_err err;
	uint64_t batch_left = 0;
	int in_txn = 0;

	memset(&r, 0, sizeof(r));
	/* ~85% of the operations are inserts: x = 0.85 * ops / slots = 0.45 */
	model_init(&r.m, (uint32_t)(ops * 85 / 45) - HIGH_IDS);
	r.rng = seed + seed_offset;
	r.cache_pages = cache_pages;
	r.sync = sync;
	r.db = open_db(cache_pages, sync);

	for (r.ops = 1; r.ops <= ops; r.ops++) {
		if (!in_txn) {
			REQUIRE(tu_begin(r.db, &err) == ROWFS_OK, "begin: %s", err.msg);
			in_txn = 1;
			batch_left = 1 + tu_next_random(&r.rng) % 500;
		}
		random_statement(&r);
		if (--batch_left == 0) {
			if (tu_next_random(&r.rng) % 20 == 0) {
				REQUIRE(tu_rollback(r.db, &err) == ROWFS_OK, "rollback: %s",
					err.msg);
				model_rollback(&r.m);
			} else {
				REQUIRE(tu_commit(r.db, &err) == ROWFS_OK,
					"seed %llu op %llu: commit: %s", (unsigned long long)seed,
					(unsigned long long)r.ops, err.msg);
				model_commit(&r.m);
			}
			in_txn = 0;
		}
		if (r.ops % 1000 == 0)
			compare_all(r.db, &r.m, "every 1000");
		if (r.ops % reopen_every == 0 && r.ops < ops) {
			/* every other reopen drops an open transaction */
			if (in_txn && (r.ops / reopen_every) % 2 == 0) {
				REQUIRE(tu_commit(r.db, &err) == ROWFS_OK, "commit: %s",
					err.msg);
				model_commit(&r.m);
			}
			reopen(&r, "after reopen");
			in_txn = 0;
		}
	}
	if (in_txn) {
		REQUIRE(tu_commit(r.db, &err) == ROWFS_OK, "commit: %s", err.msg);
		model_commit(&r.m);
	}
	compare_all(r.db, &r.m, "at the end");
	reopen(&r, "at the end, reopened");
	add_counters(&r);
	tu_close(r.db);

	/* the run exercised what it is meant to */
	ck_assert_msg(r.duplicates * 100 >= r.inserts * 15 && r.duplicates * 100 <= r.inserts * 25,
		      "seed %llu: %llu duplicates in %llu inserts", (unsigned long long)seed,
		      (unsigned long long)r.duplicates, (unsigned long long)r.inserts);
	ck_assert_uint_gt(r.m.rows, ops / 2);
	if (cache_pages) {
		ck_assert_msg(r.checkpoints > 10, "%llu checkpoints with a %u-page cache",
			      (unsigned long long)r.checkpoints, cache_pages);
		ck_assert_msg(r.cache_misses > 1000, "%llu cache misses with a %u-page cache",
			      (unsigned long long)r.cache_misses, cache_pages);
	}
	tu_buf_free(&r.out);
	model_free(&r.m);
}

START_TEST(test_model_small_cache)
{
	model_run(64, ROWFS_SYNC_OFF, 0);
}
END_TEST

START_TEST(test_model_default_cache)
{
	model_run(0, ROWFS_SYNC_OFF, 1);
}
END_TEST

/* ---- rollback ------------------------------------------------------------- */

static void expect_table(struct rowfs_db *db, const char *want)
{
	char *text = tu_table_text(db);

	ck_assert_str_eq(text, want);
	free(text);
}

START_TEST(test_rollback)
{
	struct rowfs_db *db = open_db(0, ROWFS_SYNC_FULL);
	struct rowfs_stats st;
	struct rowfs_err err;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, "insert 1 first", "Executed.\n");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, "insert 2 second", "Executed.\n");
	tu_expect_reply_in_txn(db, "insert 3 third", "Executed.\n");
	expect_table(db, "1=first 2=second 3=third ");
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	expect_table(db, "1=first ");
	tu_stats(db, &st);
	ck_assert_uint_eq(st.rows, 1);

	/* the rolled-back key is free again */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, "insert 2 again", "Executed.\n");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	expect_table(db, "1=first 2=again ");

	/* rollback of nothing, and of failed statements only */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	{
		struct tu_buf out = {0};

		ck_assert_int_eq(tu_exec(db, "insert 1 dup", &out, &err), ROWFS_DUPLICATE);
		tu_buf_free(&out);
	}
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	expect_table(db, "1=first 2=again ");

	/* close with an open transaction discards it */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, "insert 4 lost", "Executed.\n");
	tu_close(db);
	db = open_db(0, ROWFS_SYNC_FULL);
	expect_table(db, "1=first 2=again ");
	tu_require_clean(db, NULL);
	tu_close(db);
}
END_TEST

START_TEST(test_rollback_splits)
{
	/* a rolled-back transaction that split leaves and grew the file */
	struct rowfs_db *db = open_db(0, ROWFS_SYNC_OFF);
	struct rowfs_stats before, after;
	struct rowfs_err err;
	char line[64], *text_before;
	int i;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < 150; i++) {
		snprintf(line, sizeof(line), "insert %d k%d", i * 7, i);
		tu_expect_reply_in_txn(db, line, "Executed.\n");
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &before);
	text_before = tu_table_text(db);

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < 3000; i++) {
		snprintf(line, sizeof(line), "insert %d r%d", i * 7 + 3, i);
		tu_expect_reply_in_txn(db, line, "Executed.\n");
	}
	tu_stats(db, &after);
	ck_assert_uint_gt(after.pages, before.pages);
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);

	tu_stats(db, &after);
	ck_assert_uint_eq(after.rows, before.rows);
	ck_assert_uint_eq(after.pages, before.pages);
	ck_assert_uint_eq(after.depth, before.depth);
	expect_table(db, text_before);
	tu_require_clean(db, NULL);
	tu_close(db);
	db = open_db(0, ROWFS_SYNC_OFF);
	expect_table(db, text_before);
	free(text_before);
	tu_close(db);
}
END_TEST

/* ---- scan ----------------------------------------------------------------- */

struct scan_probe {
	uint32_t ids[2048];
	size_t count, stop_after;
	int names_ok;
};

static int probe_row(void *ctx, uint32_t id, const char *name, size_t name_len)
{
	struct scan_probe *p = ctx;
	char want[16];
	int n = snprintf(want, sizeof(want), "n%u", id);

	if (name_len != (size_t)n || memcmp(name, want, name_len) != 0)
		p->names_ok = 0;
	if (p->count < 2048)
		p->ids[p->count] = id;
	p->count++;
	return p->stop_after && p->count >= p->stop_after;
}

/* Scan from start (stopping after stop_after rows if non-zero). */
static void scan_probe(struct rowfs_db *db, uint64_t start, size_t stop_after,
		       struct scan_probe *p)
{
	struct rowfs_err err;

	memset(p, 0, sizeof(*p));
	p->stop_after = stop_after;
	p->names_ok = 1;
	ck_assert_int_eq(tu_scan(db, start, probe_row, p, &err), ROWFS_OK);
	ck_assert(p->names_ok);
}

START_TEST(test_scan_start)
{
	/* ids 10, 20, ..., 10000 (ten leaves) and 4294967295 */
	struct rowfs_db *db = open_db(0, ROWFS_SYNC_OFF);
	struct scan_probe p;
	struct rowfs_err err;
	char line[64];
	int i;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 1; i <= 1000; i++) {
		snprintf(line, sizeof(line), "insert %d n%d", i * 10, i * 10);
		tu_expect_reply_in_txn(db, line, "Executed.\n");
	}
	tu_expect_reply_in_txn(db, "insert 4294967295 n4294967295", "Executed.\n");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);

	scan_probe(db, 0, 0, &p);
	ck_assert_uint_eq(p.count, 1001);
	for (i = 0; i < 1000; i++)
		REQUIRE(p.ids[i] == (uint32_t)(i + 1) * 10, "row %d is %u", i, p.ids[i]);
	ck_assert_uint_eq(p.ids[1000], UINT32_MAX);

	scan_probe(db, 15, 0, &p);                 /* between keys */
	ck_assert_uint_eq(p.count, 1000);
	ck_assert_uint_eq(p.ids[0], 20);
	scan_probe(db, 20, 0, &p);                 /* on a key */
	ck_assert_uint_eq(p.count, 1000);
	ck_assert_uint_eq(p.ids[0], 20);
	scan_probe(db, 1021, 0, &p);               /* across a leaf boundary */
	ck_assert_uint_eq(p.count, 1001 - 102);
	ck_assert_uint_eq(p.ids[0], 1030);
	scan_probe(db, 10000, 0, &p);
	ck_assert_uint_eq(p.count, 2);
	ck_assert_uint_eq(p.ids[0], 10000);
	scan_probe(db, 10001, 0, &p);
	ck_assert_uint_eq(p.count, 1);
	ck_assert_uint_eq(p.ids[0], UINT32_MAX);
	scan_probe(db, UINT32_MAX, 0, &p);
	ck_assert_uint_eq(p.count, 1);
	scan_probe(db, (uint64_t)UINT32_MAX + 1, 0, &p); /* 2^32: no rows */
	ck_assert_uint_eq(p.count, 0);
	scan_probe(db, UINT64_MAX, 0, &p);
	ck_assert_uint_eq(p.count, 0);

	/* the callback stops the scan; that is not an error */
	scan_probe(db, 0, 3, &p);
	ck_assert_uint_eq(p.count, 3);
	ck_assert_uint_eq(p.ids[2], 30);
	scan_probe(db, 995, 1, &p);
	ck_assert_uint_eq(p.count, 1);
	ck_assert_uint_eq(p.ids[0], 1000);
	tu_close(db);
}
END_TEST

START_TEST(test_scan_empty)
{
	struct rowfs_db *db = open_db(0, ROWFS_SYNC_OFF);
	struct scan_probe p;

	scan_probe(db, 0, 0, &p);
	ck_assert_uint_eq(p.count, 0);
	scan_probe(db, (uint64_t)UINT32_MAX + 1, 0, &p);
	ck_assert_uint_eq(p.count, 0);
	tu_close(db);
}
END_TEST

/* ---- statistics counters ------------------------------------------------ */

START_TEST(test_stats_counters)
{
	struct rowfs_db *db = open_db(0, ROWFS_SYNC_FULL);
	struct rowfs_stats s0, s1;
	struct rowfs_err err;
	struct tu_buf out = {0};

	tu_stats(db, &s0);
	ck_assert_uint_eq(s0.commits, 0);
	ck_assert_uint_eq(s0.statements, 0);
	ck_assert_uint_eq(s0.errors, 0);

	/* an empty transaction */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &s1);
	ck_assert_uint_eq(s1.commits, s0.commits);
	ck_assert_uint_eq(s1.fsyncs, s0.fsyncs);
	ck_assert_uint_eq(s1.wal_bytes, s0.wal_bytes);

	/* reads only */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, "select", "(empty table)\n");
	ck_assert_int_eq(tu_exec(db, ".btree", &out, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, "", &out, &err), ROWFS_OK); /* not a statement */
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &s0);
	ck_assert_uint_eq(s0.commits, s1.commits);
	ck_assert_uint_eq(s0.fsyncs, s1.fsyncs);
	ck_assert_uint_eq(s0.statements, s1.statements + 2);
	ck_assert_uint_eq(s0.errors, s1.errors);

	/* one insert: one commit, one fsync (sync=full) */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, "insert 1 a", "Executed.\n");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &s1);
	ck_assert_uint_eq(s1.commits, s0.commits + 1);
	ck_assert_uint_eq(s1.fsyncs, s0.fsyncs + 1);
	ck_assert_uint_eq(s1.wal_frames, s0.wal_frames + 1);
	ck_assert_uint_eq(s1.statements, s0.statements + 1);
	ck_assert_uint_eq(s1.rows, 1);

	/* failing statements only: no commit, no fsync, no WAL growth */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, "insert 1 b", &out, &err), ROWFS_DUPLICATE);
	ck_assert_int_eq(tu_exec(db, "insert x b", &out, &err), ROWFS_SYNTAX);
	ck_assert_int_eq(tu_exec(db, "insert 2 a@", &out, &err), ROWFS_TOKEN);
	ck_assert_int_eq(tu_exec(db, ".nope", &out, &err), ROWFS_META);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &s0);
	ck_assert_uint_eq(s0.commits, s1.commits);
	ck_assert_uint_eq(s0.fsyncs, s1.fsyncs);
	ck_assert_uint_eq(s0.wal_bytes, s1.wal_bytes);
	ck_assert_uint_eq(s0.statements, s1.statements + 4);
	ck_assert_uint_eq(s0.errors, s1.errors + 4);
	ck_assert_uint_eq(s0.rows, 1);

	/* many inserts and a failure in one transaction: still one commit, one fsync */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, "insert 2 b", "Executed.\n");
	ck_assert_int_eq(tu_exec(db, "insert 1 dup", &out, &err), ROWFS_DUPLICATE);
	tu_expect_reply_in_txn(db, "insert 3 c", "Executed.\n");
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &s1);
	ck_assert_uint_eq(s1.commits, s0.commits + 1);
	ck_assert_uint_eq(s1.fsyncs, s0.fsyncs + 1);
	ck_assert_uint_eq(s1.errors, s0.errors + 1);
	ck_assert_uint_eq(s1.rows, 3);
	tu_buf_free(&out);
	tu_close(db);
}
END_TEST

START_TEST(test_stats_sync_modes)
{
	/* sync=normal and sync=off never fsync at commit */
	static const int modes[] = {ROWFS_SYNC_NORMAL, ROWFS_SYNC_OFF};
	size_t i;

	for (i = 0; i < 2; i++) {
		struct rowfs_db *db;
		struct rowfs_stats s0, s1;
		struct rowfs_err err;

		tu_dir_clear();
		db = open_db(0, modes[i]);
		tu_stats(db, &s0);
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		tu_expect_reply_in_txn(db, "insert 1 a", "Executed.\n");
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
		tu_stats(db, &s1);
		ck_assert_uint_eq(s1.commits, s0.commits + 1);
		ck_assert_uint_eq(s1.fsyncs, s0.fsyncs);
		/* a checkpoint syncs with normal, not with off */
		ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_OK);
		tu_stats(db, &s0);
		ck_assert_uint_eq(s0.checkpoints, s1.checkpoints + 1);
		if (modes[i] == ROWFS_SYNC_OFF)
			ck_assert_uint_eq(s0.fsyncs, s1.fsyncs);
		else
			ck_assert_uint_gt(s0.fsyncs, s1.fsyncs);
		tu_close(db);
	}
}
END_TEST

/* ---- tables: listing, numbers, tree ------------------------------------- */

/* Run line in a unit of its own; it must reply "Executed.\n". */
static void run(struct rowfs_db *db, const char *line)
{
	tu_expect_reply(db, line, "Executed.\n");
}

/* The tables txn lists (rowfs_table_next from id 0) as "ID:NAME " pairs into out (size bytes). */
static void list_tables(struct rowfs_txn *txn, char *out, size_t size)
{
	struct rowfs_table_info info;
	struct rowfs_err err;
	int64_t id = 0, found_id, last = -1;
	size_t n = 0;
	int found;

	out[0] = '\0';
	for (;;) {
		ck_assert_int_eq(rowfs_table_next(txn, id, &info, &found_id, &found, &err), ROWFS_OK);
		if (!found)
			break;
		ck_assert_int_gt(found_id, last);
		ck_assert_int_ge(found_id, id);
		n += (size_t)snprintf(out + n, size - n, "%lld:%s ", (long long)found_id, info.name);
		ck_assert_uint_lt(n, size);
		last = found_id;
		id = found_id + 1;
	}
}

START_TEST(test_table_next)
{
	struct rowfs_db *db = open_db(0, ROWFS_SYNC_OFF);
	struct rowfs_table_info info;
	struct rowfs_txn *before, *after;
	struct rowfs_err err;
	char list[512];
	int64_t found_id;
	int found;

	run(db, "create table alpha (id integer primary key, a text(8) default 'x', b real)");
	run(db, "create table beta (id integer primary key, n integer not null)");
	run(db, "create table gamma (k integer primary key, v blob default x'00', w integer)");
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &before, &err), ROWFS_OK);
	run(db, "drop table beta");
	run(db, "create table delta (id integer primary key)");
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &after, &err), ROWFS_OK);

	list_tables(after, list, sizeof(list));
	ck_assert_str_eq(list, "0:users 1:alpha 3:gamma 4:delta ");
	/* the read transaction taken before the drop still lists beta */
	list_tables(before, list, sizeof(list));
	ck_assert_str_eq(list, "0:users 1:alpha 2:beta 3:gamma ");

	/* from an id between tables, past the last, and a negative id */
	ck_assert_int_eq(rowfs_table_next(after, 2, &info, &found_id, &found, &err), ROWFS_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(found_id, 3);
	ck_assert_str_eq(info.name, "gamma");
	ck_assert_uint_eq(info.column_count, 3);
	ck_assert_uint_eq(info.key_column, 0);
	ck_assert_str_eq(info.columns[1].name, "v");
	ck_assert_int_eq(info.columns[1].type, ROWFS_TYPE_BLOB);
	ck_assert_int_eq(info.columns[0].has_default, 0);
	ck_assert_int_eq(info.columns[1].has_default, 1);
	ck_assert_int_eq(info.columns[2].has_default, 0);
	ck_assert_int_eq(rowfs_table_next(after, 5, &info, &found_id, &found, &err), ROWFS_OK);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(rowfs_table_next(after, INT64_MAX, &info, &found_id, &found, &err),
			 ROWFS_OK);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(rowfs_table_next(after, -7, &info, &found_id, &found, &err), ROWFS_OK);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(found_id, 0);
	ck_assert_str_eq(info.name, "users");
	ck_assert_uint_eq(info.column_count, 2);
	ck_assert_int_eq(info.columns[0].is_key, 1);
	ck_assert_int_eq(info.columns[1].has_default, 0);

	/* rowfs_table_info fills has_default too */
	ck_assert_int_eq(rowfs_table_info(after, "alpha", &info, &err), ROWFS_OK);
	ck_assert_int_eq(info.columns[1].has_default, 1);
	ck_assert_int_eq(info.columns[2].has_default, 0);
	rowfs_txn_abort(before);
	rowfs_txn_abort(after);

	/* the write transaction sees its own create */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, "create table epsilon (id integer primary key)", "Executed.\n");
	list_tables(tu_txn(db), list, sizeof(list));
	ck_assert_str_eq(list, "0:users 1:alpha 3:gamma 4:delta 5:epsilon ");
	ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
	tu_close(db);
}
END_TEST

/* Lines of text, and the deepest indent (two spaces a level) + 1. */
static void tree_shape(const char *text, uint32_t *lines, uint32_t *depth)
{
	const char *p = text;

	*lines = 0;
	*depth = 0;
	while (*p) {
		uint32_t indent = (uint32_t)strspn(p, " ");

		ck_assert_uint_eq(indent % 2, 0);
		if (indent / 2 + 1 > *depth)
			*depth = indent / 2 + 1;
		(*lines)++;
		p = strchr(p, '\n');
		ck_assert_ptr_nonnull(p);
		p++;
	}
}

/* rowfs_table_stats of table in a read transaction of its own; must succeed. */
static struct rowfs_table_stats table_stats(struct rowfs_db *db, const char *table)
{
	struct rowfs_table_stats st;
	struct rowfs_txn *txn;
	struct rowfs_err err;

	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err), ROWFS_OK);
	ck_assert_msg(rowfs_table_stats(txn, table, &st, &err) == ROWFS_OK, "%s", err.msg);
	rowfs_txn_abort(txn);
	return st;
}

/* rowfs_render_table_btree of table into b (emptied first) in a read transaction. */
static void table_btree(struct rowfs_db *db, const char *table, struct tu_buf *b)
{
	struct rowfs_txn *txn;
	struct rowfs_err err;

	b->len = 0;
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err), ROWFS_OK);
	ck_assert_msg(rowfs_render_table_btree(txn, table, tu_buf_emit, b, &err) == ROWFS_OK, "%s",
		      err.msg);
	rowfs_txn_abort(txn);
	tu_buf_emit(b, "", 1);
	b->len--;
}

/* Whether the stats of table agree with its rendered tree (pages: plus overflow). */
static void expect_stats(struct rowfs_db *db, const char *table, uint64_t rows,
			 uint32_t columns, uint32_t overflow)
{
	struct rowfs_table_stats st = table_stats(db, table);
	struct tu_buf b = {0};
	uint32_t lines, depth;

	table_btree(db, table, &b);
	tree_shape(b.data, &lines, &depth);
	ck_assert_uint_eq(st.rows, rows);
	ck_assert_uint_eq(st.columns, columns);
	ck_assert_uint_eq(st.depth, depth);
	ck_assert_msg(st.pages == lines + overflow, "%s: %u pages, %u nodes + %u overflow", table,
		      st.pages, lines, overflow);
	tu_buf_free(&b);
}

START_TEST(test_table_stats)
{
	struct rowfs_db *db = open_db(0, ROWFS_SYNC_OFF);
	struct rowfs_table_stats st, users, small;
	struct rowfs_stats dbst;
	struct rowfs_txn *txn;
	struct rowfs_err err;
	char *line = malloc(40000);
	int i;

	ck_assert_ptr_nonnull(line);
	/* empty tables: a root leaf each */
	run(db, "create table small (id integer primary key, s text, r real)");
	run(db, "create table big (id integer primary key, t text)");
	expect_stats(db, NULL, 0, 2, 0);
	expect_stats(db, "small", 0, 3, 0);
	st = table_stats(db, "big");
	ck_assert_uint_eq(st.pages, 1);
	ck_assert_uint_eq(st.depth, 1);

	/* users over three levels (52,122 rows fill two), small over two or more */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < 60000; i += 500) {
		size_t n = (size_t)snprintf(line, 40000, "insert into users values ");
		int k;

		for (k = i; k < i + 500; k++)
			n += (size_t)snprintf(line + n, 40000 - n, "%s(%d, 'user%d')", k > i ? ", " : "",
					      k, k);
		tu_expect_reply_in_txn(db, line, "Executed.\n");
		if (i >= 12000)
			continue;
		n = (size_t)snprintf(line, 40000, "insert into small values ");
		for (k = i; k < i + 500; k++)
			n += (size_t)snprintf(line + n, 40000 - n, "%s(%d, 'row %d', %d.5)",
					      k > i ? ", " : "", k, k, k);
		tu_expect_reply_in_txn(db, line, "Executed.\n");
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	expect_stats(db, NULL, 60000, 2, 0);
	expect_stats(db, "users", 60000, 2, 0);
	expect_stats(db, "small", 12000, 3, 0);
	users = table_stats(db, NULL);
	ck_assert_uint_eq(users.depth, 3);
	ck_assert_uint_ge(table_stats(db, "small").depth, 2);

	/* big: records of 5000 and 9000 bytes, each with overflow pages */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 0; i < 40; i++) {
		int len = i % 2 ? 9000 : 5000, n;

		n = snprintf(line, 40000, "insert into big values (%d, '", i);
		memset(line + n, 'a' + i % 26, (size_t)len);
		memcpy(line + n + len, "')", 3);
		tu_expect_reply_in_txn(db, line, "Executed.\n");
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	/*
	 * The file's page accounting: page 0, the catalog (one leaf: two
	 * short rows), users, small, big and the free list make every page.
	 */
	tu_stats(db, &dbst);
	st = table_stats(db, "big");
	small = table_stats(db, "small");
	ck_assert_uint_eq(st.rows, 40);
	ck_assert_msg(1 + 1 + users.pages + small.pages + st.pages + dbst.free_pages == dbst.pages,
		      "users %u + small %u + big %u + free %u + 2 != %u pages", users.pages,
		      small.pages, st.pages, dbst.free_pages, dbst.pages);
	/*
	 * every record overflows: 5000 bytes keep 920 in the cell and fill one
	 * overflow page of 4084; 9000 bytes keep 836 and fill two
	 */
	expect_stats(db, "big", 40, 2, 20 * 1 + 20 * 2);

	/* deletes give the overflow pages back */
	run(db, "delete from big where id >= 10");
	expect_stats(db, "big", 10, 2, 5 * 1 + 5 * 2);

	/* no such table */
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_table_stats(txn, "nope", &st, &err), ROWFS_NOTFOUND);
	ck_assert_str_eq(err.msg, "Error: no such table: nope");
	ck_assert_uint_eq(st.rows, 0);
	rowfs_txn_abort(txn);
	free(line);
	tu_close(db);
}
END_TEST

START_TEST(test_render_table_btree)
{
	struct rowfs_db *db = open_db(0, ROWFS_SYNC_OFF);
	struct tu_buf a = {0}, b = {0};
	struct rowfs_txn *txn;
	struct rowfs_err err;
	char line[64];
	int i;

	/* users: exactly rowfs_render_btree's text, by NULL and by name */
	run(db, "create table t (id integer primary key, v integer)");
	table_btree(db, NULL, &a);
	ck_assert_str_eq(a.data, "leaf (page 1): 0 cells keys []\n");
	table_btree(db, "t", &b);
	ck_assert_msg(strncmp(b.data, "leaf (page ", 11) == 0 &&
		      strcmp(strchr(b.data, ')'), "): 0 cells\n") == 0, "%s", b.data);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 1; i <= 300; i++) {
		snprintf(line, sizeof(line), "insert %d n%d", i * 3, i);
		tu_expect_reply_in_txn(db, line, "Executed.\n");
		snprintf(line, sizeof(line), "insert into t values (%d, %d)", -i, i);
		tu_expect_reply_in_txn(db, line, "Executed.\n");
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	a.len = 0;
	ck_assert_int_eq(tu_render_btree(db, tu_buf_emit, &a, &err), ROWFS_OK);
	tu_buf_emit(&a, "", 1);
	table_btree(db, NULL, &b);
	ck_assert_str_eq(b.data, a.data);
	ck_assert_msg(strncmp(a.data, "internal (page ", 15) == 0, "%s", a.data);
	table_btree(db, "users", &b);
	ck_assert_str_eq(b.data, a.data);
	table_btree(db, "USERS", &b);
	ck_assert_str_eq(b.data, a.data);

	/* t: 300 rows over a root and leaves, keys -300..-1 */
	table_btree(db, "t", &b);
	ck_assert_msg(strncmp(b.data, "internal (page ", 15) == 0 &&
		      strstr(b.data, "\n  leaf (page ") != NULL &&
		      strstr(b.data, " keys [-300..") != NULL && strstr(b.data, "..-1]\n") != NULL,
		      "%s", b.data);
	run(db, "delete from t where id < -50");
	table_btree(db, "t", &b);
	ck_assert_msg(strncmp(b.data, "leaf (page ", 11) == 0 &&
		      strcmp(strchr(b.data, ')'), "): 50 cells keys [-50..-1]\n") == 0, "%s",
		      b.data);

	/* no such table: nothing emitted */
	b.len = 0;
	ck_assert_int_eq(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_render_table_btree(txn, "nope", tu_buf_emit, &b, &err),
			 ROWFS_NOTFOUND);
	ck_assert_str_eq(err.msg, "Error: no such table: nope");
	ck_assert_uint_eq(b.len, 0);
	rowfs_txn_abort(txn);
	tu_buf_free(&a);
	tu_buf_free(&b);
	tu_close(db);
}
END_TEST

static Suite *db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc;

	tc = tcase_create("model");
	tcase_set_timeout(tc, slow ? 600 : 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_model_small_cache);
	tcase_add_test(tc, test_model_default_cache);
	suite_add_tcase(s, tc);

	tc = tcase_create("rollback");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_rollback);
	tcase_add_test(tc, test_rollback_splits);
	suite_add_tcase(s, tc);

	tc = tcase_create("scan");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_scan_start);
	tcase_add_test(tc, test_scan_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("stats");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_stats_counters);
	tcase_add_test(tc, test_stats_sync_modes);
	suite_add_tcase(s, tc);

	tc = tcase_create("tables");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
	tcase_add_test(tc, test_table_next);
	tcase_add_test(tc, test_table_stats);
	tcase_add_test(tc, test_render_table_btree);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	seed = tu_seed("ROWFS_SEED", DEFAULT_SEED);
	slow = tu_flag("ROWFS_SLOW");
	printf("check_db: seed %llu%s (ROWFS_SEED=N to change)\n", (unsigned long long)seed,
	       slow ? ", slow" : "");
	fflush(stdout);
	return tu_run("check_db", db_suite());
}
