/*
 * check_recovery.c - durability tests through the rowfs.h façade: what
 * survives a torn WAL, a power cut, an I/O error, a kill -9 and a failed
 * statement.
 *
 * Owns the crash oracle used by every test here: a workload is a list of
 * transactions of inserts with known ids and names; after any crash the
 * database must hold exactly the rows of a prefix T1..Tm of the
 * transactions (each transaction all or nothing, nothing after a missing
 * one), m at least the number of acknowledged commits, and tu_check()
 * must find no problem, both on the files as the crash left them (opened
 * read-only, as fsck.rowfs does) and after a read-write recovery.
 *
 * Faults come from faultos (tests/unit/faultos.h) and from `struct cutos`
 * below, a table layered on faultos's powerloss mode that cuts the power
 * just before the Nth pwrite/ftruncate (optionally only writes to DBFILE),
 * or just after the Nth fsync returned, and that can let chosen unsynced
 * writes reach the disk early, as a kernel's writeback may ("early"): then
 * the files after the cut are the durable state plus some of the writes
 * made since the last fsync, and half of the write in flight.
 *
 * Test cases (CK_RUN_CASE=name runs one):
 *   walcut     the WAL cut at every byte of its last two frames, and inside
 *              a durable checkpoint block; a damaged byte hides the rest
 *   powerloss  power cut before every write (all of them, then DBFILE's
 *              only), after every fsync, with and without early writeback,
 *              sync=full and sync=normal; and cut again during recovery
 *   errors     EIO/ENOSPC on the Nth pwrite/fsync (and pread, ftruncate),
 *              once or until cleared; exact messages; torn WAL tails
 *   kill       kill -9 of a process committing batches, 50 times
 *   rollback   a read failing in the middle of a root split, then rollback
 *   parts      the same oracle over transactions whose log is written in
 *              parts of 200 bytes (five records): the WAL cut near every
 *              frame boundary and damaged in parts, power cuts at every
 *              write, injected errors
 *   events     what rowfs_config.event hears: recoveries at open and after
 *              an I/O error, checkpoints, a failed checkpoint after a commit
 *
 * ROWFS_SLOW=1 runs the longer soak (500 kill -9 trials).
 * The totals of each crash test go to stderr ("... 0 lost").
 */
#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db_int.h"
#include "faultos.h"
#include "format.h"
#include "os.h"
#include "pager.h"
#include "rowfs.h"
#include "testutil.h"
#include "vm.h"
#include "wal.h"

#define FRAME_OVERHEAD (WAL_FRAME_HEADER_SIZE + WAL_FRAME_TRAILER_SIZE)

/* xorshift64*: deterministic pseudo-random numbers for workloads. */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint32_t rand_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(next_rand(state) % n);
}

/* ---- files ------------------------------------------------------------- */

/* Copy the first len bytes of from to to (len < 0: all); a missing file removes to. */
static void copy_prefix(const char *from, const char *to, off_t len)
{
	size_t size;
	uint8_t *buf = tu_try_read_file(from, &size);

	if (!buf) {
		unlink(to);
		return;
	}
	if (len >= 0 && (size_t)len < size)
		size = (size_t)len;
	tu_write_file(to, buf, size);
	free(buf);
}

/* Save the database's two files as NAME and NAME-wal in the test dir. */
static void save_files(const char *name)
{
	const char *p = tu_path(name);
	char w[4500];

	snprintf(w, sizeof(w), "%s-wal", p);
	copy_prefix(tu_db_path, p, -1);
	copy_prefix(tu_wal_path, w, -1);
}

/* Put saved files back, the WAL cut to wal_len bytes (< 0: whole). */
static void restore_files(const char *name, off_t wal_len)
{
	const char *p = tu_path(name);
	char w[4500];

	snprintf(w, sizeof(w), "%s-wal", p);
	copy_prefix(p, tu_db_path, -1);
	copy_prefix(w, tu_wal_path, wal_len);
}

static void remove_db(void)
{
	unlink(tu_db_path);
	unlink(tu_wal_path);
}

/* ---- workloads ----------------------------------------------------------- */

enum wl_kind { WL_INSERT = 1, WL_DELETE, WL_UPDATE };

/* One statement of a workload. */
struct wl_op {
	uint8_t kind;             /* enum wl_kind */
	uint32_t id;              /* the key */
	uint32_t ver;             /* name version after an insert/update (name_of) */
};

/*
 * Transactions of statements, valid in order from an empty table: txn t
 * runs ops[start[t] .. start[t] + count[t]).  fp[m] and rows[m] describe
 * the table after transactions 0..m-1 (fingerprint: sum of row_hash()).
 */
struct workload {
	uint32_t ntxn;            /* transactions */
	uint32_t *start;          /* first op of each */
	uint32_t *count;          /* ops of each */
	struct wl_op *ops;        /* all statements */
	uint32_t nops, cap;       /* ops used, allocated */
	uint32_t id_space;        /* every id is below this */
	uint64_t *fp;             /* ntxn + 1 fingerprints */
	uint32_t *rows;           /* ntxn + 1 row counts */
	uint32_t bulk_deletes;    /* transactions deleting a run of >= 100 keys */
};

/* The username of row id, version ver: 1..32 letters and digits. */
static size_t name_of(uint32_t id, uint32_t ver, char *buf)
{
	int n = ver ? snprintf(buf, 40, "u%uv%u", id, ver) : snprintf(buf, 40, "u%u", id);
	size_t want = 1 + ((id * 2654435761u + ver * 40503u) >> 27) % 32;

	while ((size_t)n < want) {
		buf[n] = (char)('a' + (id + ver + (uint32_t)n) % 26);
		n++;
	}
	buf[n] = '\0';
	return (size_t)n;
}

/* Hash of one row as stored: id and name bytes (FNV-1a, then mixed). */
static uint64_t row_hash(uint32_t id, const char *name, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < 4; i++)
		h = (h ^ ((id >> (8 * i)) & 0xff)) * 1099511628211ull;
	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 1099511628211ull;
	h ^= h >> 33;
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t row_hash_ver(uint32_t id, uint32_t ver)
{
	char name[40];
	size_t len = name_of(id, ver, name);

	return row_hash(id, name, len);
}

/* Generation state: versions (-1: absent) and the live keys, for random picks. */
struct gen {
	int64_t *ver;             /* per id */
	uint32_t *live, *pos;     /* live keys; pos[id] = index in live */
	uint32_t nlive;
	uint32_t *pool;           /* fresh ids, shuffled */
	uint32_t pool_next;
	uint64_t fp;              /* fingerprint of the table */
};

static void wl_push(struct workload *wl, struct gen *g, uint8_t kind, uint32_t id)
{
	struct wl_op *op;

	if (wl->nops == wl->cap) {
		wl->cap = wl->cap ? 2 * wl->cap : 256;
		wl->ops = realloc(wl->ops, wl->cap * sizeof(*wl->ops));
		ck_assert_ptr_nonnull(wl->ops);
	}
	op = &wl->ops[wl->nops++];
	op->kind = kind;
	op->id = id;
	op->ver = 0;
	if (g->ver[id] >= 0) {
		g->fp -= row_hash_ver(id, (uint32_t)g->ver[id]);
		op->ver = (uint32_t)g->ver[id] + 1;
	}
	if (kind == WL_DELETE) {
		g->ver[id] = -(int64_t)op->ver - 1;   /* absent; remembers the next version */
		g->live[g->pos[id]] = g->live[--g->nlive];
		g->pos[g->live[g->pos[id]]] = g->pos[id];
		return;
	}
	if (kind == WL_INSERT) {
		if (g->ver[id] < -1)
			op->ver = (uint32_t)(-g->ver[id] - 1);
		g->pos[id] = g->nlive;
		g->live[g->nlive++] = id;
	}
	g->ver[id] = op->ver;
	g->fp += row_hash_ver(id, op->ver);
}

/* A live key picked at random. */
static uint32_t gen_live(struct gen *g, uint64_t *rng)
{
	return g->live[rand_below(rng, g->nlive)];
}

/*
 * ntxn transactions of 1..max_ops statements (the last two 1..tail_max, if
 * not 0).  Insert-only, new random ids, unless mixed: then also deletes,
 * updates, re-inserts of deleted keys, and, one time in `mixed` once the
 * table has 250 rows, a transaction that deletes a run of 100-199
 * consecutive keys (emptying leaves, whose pages go to the free list and
 * are reused).
 */
static void workload_init(struct workload *wl, uint64_t seed, uint32_t ntxn, uint32_t max_ops,
			  uint32_t tail_max, int mixed)
{
	uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 1;
	struct gen g;
	uint32_t t, i, n;

	memset(wl, 0, sizeof(*wl));
	memset(&g, 0, sizeof(g));
	wl->ntxn = ntxn;
	wl->id_space = 3 * ntxn * max_ops + 64;
	wl->start = calloc(ntxn, sizeof(uint32_t));
	wl->count = calloc(ntxn, sizeof(uint32_t));
	wl->fp = calloc(ntxn + 1, sizeof(uint64_t));
	wl->rows = calloc(ntxn + 1, sizeof(uint32_t));
	g.ver = malloc(wl->id_space * sizeof(int64_t));
	g.live = malloc(wl->id_space * sizeof(uint32_t));
	g.pos = malloc(wl->id_space * sizeof(uint32_t));
	g.pool = malloc(wl->id_space * sizeof(uint32_t));
	ck_assert(wl->start && wl->count && wl->fp && wl->rows && g.ver && g.live && g.pos && g.pool);
	for (i = 0; i < wl->id_space; i++) {
		g.ver[i] = -1;
		g.pool[i] = i;
	}
	for (i = wl->id_space - 1; i > 0; i--) {
		uint32_t j = rand_below(&rng, i + 1), tmp = g.pool[i];

		g.pool[i] = g.pool[j];
		g.pool[j] = tmp;
	}
	for (t = 0; t < ntxn; t++) {
		int tail = tail_max && t + 2 >= ntxn;

		wl->start[t] = wl->nops;
		if (mixed && !tail && g.nlive >= 250 && rand_below(&rng, (uint32_t)mixed) == 0) {
			uint32_t id = gen_live(&g, &rng), want = 100 + rand_below(&rng, 100);

			for (n = 0; n < want && id < wl->id_space; id++)
				if (g.ver[id] >= 0) {
					wl_push(wl, &g, WL_DELETE, id);
					n++;
				}
			wl->bulk_deletes += n >= 100;
		} else {
			n = 1 + rand_below(&rng, tail ? tail_max : max_ops);
			for (i = 0; i < n; i++) {
				uint32_t r = rand_below(&rng, 100), id;

				if (mixed && g.nlive > 0 && r < 20) {
					wl_push(wl, &g, WL_DELETE, gen_live(&g, &rng));
				} else if (mixed && g.nlive > 0 && r < 35) {
					wl_push(wl, &g, WL_UPDATE, gen_live(&g, &rng));
				} else {
					id = UINT32_MAX;
					if (mixed && r >= 90 && g.pool_next > 0) {
						uint32_t old = g.pool[rand_below(&rng, g.pool_next)];

						if (g.ver[old] < 0)
							id = old;  /* a deleted key comes back */
					}
					if (id == UINT32_MAX)
						id = g.pool[g.pool_next++];
					ck_assert_uint_lt(g.pool_next, wl->id_space);
					wl_push(wl, &g, WL_INSERT, id);
				}
			}
		}
		wl->count[t] = wl->nops - wl->start[t];
		wl->fp[t + 1] = g.fp;
		wl->rows[t + 1] = g.nlive;
	}
	free(g.ver);
	free(g.live);
	free(g.pos);
	free(g.pool);
}

static void workload_release(struct workload *wl)
{
	free(wl->start);
	free(wl->count);
	free(wl->ops);
	free(wl->fp);
	free(wl->rows);
	memset(wl, 0, sizeof(*wl));
}

static uint64_t rows_of_prefix(const struct workload *wl, uint32_t m)
{
	return wl->rows[m];
}

/* Run one statement of a workload. */
static int run_op(struct rowfs_db *db, const struct wl_op *op, struct rowfs_err *err)
{
	char line[80], name[40];

	name_of(op->id, op->ver, name);
	if (op->kind == WL_DELETE)
		snprintf(line, sizeof(line), "delete %u", op->id);
	else
		snprintf(line, sizeof(line), "%s %u %s", op->kind == WL_INSERT ? "insert" : "update",
			 op->id, name);
	return tu_exec_emit(db, line, strlen(line), tu_discard, NULL, err);
}

/* Insert row id with name version 0. */
static int insert_row(struct rowfs_db *db, uint32_t id, struct rowfs_err *err)
{
	struct wl_op op = { WL_INSERT, id, 0 };

	return run_op(db, &op, err);
}

/* Where run_txn() failed last. */
enum txn_stage { STAGE_BEGIN, STAGE_STATEMENT, STAGE_COMMIT };
static enum txn_stage failed_stage;

/* Transaction t of wl: begin, statements, commit.  A failed statement rolls back. */
static int run_txn(struct rowfs_db *db, const struct workload *wl, uint32_t t,
		   struct rowfs_err *err)
{
	uint32_t i;
	int rc = tu_begin(db, err);

	failed_stage = STAGE_BEGIN;
	if (rc)
		return rc;
	failed_stage = STAGE_STATEMENT;
	for (i = wl->start[t]; i < wl->start[t] + wl->count[t]; i++) {
		rc = run_op(db, &wl->ops[i], err);
		if (rc) {
			struct rowfs_err ignored;

			tu_rollback(db, &ignored);
			return rc;
		}
	}
	failed_stage = STAGE_COMMIT;
	return tu_commit(db, err);
}

/* txn_part_bytes of every config() (0: the default); the "parts" tests set it. */
static uint32_t part_bytes;

static struct rowfs_config config(const struct os *os, uint32_t cache_pages, uint64_t wal_limit)
{
	struct rowfs_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = tu_db_path;
	cfg.txn_part_bytes = part_bytes;
	cfg.sync = ROWFS_SYNC_FULL;
	cfg.cache_pages = cache_pages;
	cfg.wal_limit = wal_limit;
	cfg.os = os;
	return cfg;
}

/* ---- the oracle ---------------------------------------------------------- */

/* The table's fingerprint and row count, as the workloads compute them. */
struct scan_state {
	uint64_t fp;              /* sum of row_hash() */
	uint32_t rows;            /* rows seen */
	const int64_t *want;      /* second pass: expected version per id, -1 absent */
	uint32_t id_space;        /* size of want */
	uint32_t bad;             /* second pass: rows that differ */
	uint32_t first_bad;       /* id of the first */
};

static int scan_row(void *ctx, uint32_t id, const char *name, size_t len)
{
	struct scan_state *s = ctx;

	s->rows++;
	s->fp += row_hash(id, name, len);
	if (s->want) {
		char want[40];
		size_t want_len = 0;
		int ok = id < s->id_space && s->want[id] >= 0;

		if (ok)
			want_len = name_of(id, (uint32_t)s->want[id], want);
		if (!ok || len != want_len || memcmp(name, want, len) != 0) {
			if (!s->bad++)
				s->first_bad = id;
		}
	}
	return 0;
}

/* The versions after transactions 0..m-1 (-1: absent); caller frees. */
static int64_t *state_after(const struct workload *wl, uint32_t m)
{
	int64_t *v = malloc(wl->id_space * sizeof(int64_t));
	uint32_t i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < wl->id_space; i++)
		v[i] = -1;
	for (i = 0; m && i < wl->start[m - 1] + wl->count[m - 1]; i++)
		v[wl->ops[i].id] = wl->ops[i].kind == WL_DELETE ? -1 : (int64_t)wl->ops[i].ver;
	return v;
}

/*
 * The oracle: the table is exactly what transactions 0..m-1 of wl make of
 * an empty one (each transaction whole, none after a missing one), with
 * min_m <= m <= max_m, and rowfs_check is clean.  Returns m.
 */
static uint32_t expect_prefix(struct rowfs_db *db, const struct workload *wl, uint32_t min_m,
			      uint32_t max_m, const char *when)
{
	struct scan_state s;
	struct rowfs_stats st;
	struct rowfs_err err;
	uint32_t m, any = UINT32_MAX;
	int rc;

	if (max_m > wl->ntxn)
		max_m = wl->ntxn;
	memset(&s, 0, sizeof(s));
	rc = tu_scan(db, 0, scan_row, &s, &err);
	ck_assert_msg(rc == ROWFS_OK, "%s: rowfs_scan: %s (%s)", when, rowfs_rc_name(rc), err.msg);
	for (m = min_m; m <= max_m; m++)
		if (wl->fp[m] == s.fp && wl->rows[m] == s.rows)
			break;
	if (m > max_m) {
		for (any = 0; any <= wl->ntxn; any++)
			if (wl->fp[any] == s.fp && wl->rows[any] == s.rows)
				break;
		if (any <= wl->ntxn && any < min_m)
			ck_abort_msg("%s: the table is what %u transactions make, but %u were "
				     "acknowledged (rows lost)", when, any, min_m);
		if (any <= wl->ntxn)
			ck_abort_msg("%s: the table is what %u transactions make, only %u were "
				     "attempted", when, any, max_m);
		ck_abort_msg("%s: the table (%u rows) is no prefix of the transactions "
			     "(%u..%u acknowledged..attempted: %u..%u rows): torn or damaged",
			     when, s.rows, min_m, max_m, wl->rows[min_m], wl->rows[max_m]);
	}

	/* The fingerprint matched: compare row by row. */
	memset(&s, 0, sizeof(s));
	s.want = state_after(wl, m);
	s.id_space = wl->id_space;
	ck_assert_int_eq(tu_scan(db, 0, scan_row, &s, &err), ROWFS_OK);
	ck_assert_msg(s.bad == 0 && s.rows == wl->rows[m],
		      "%s: %u rows differ from transactions 0..%u (id %u)", when, s.bad, m,
		      s.first_bad);
	free((void *)s.want);
	tu_stats(db, &st);
	ck_assert_uint_eq(st.rows, wl->rows[m]);
	tu_require_clean(db, when);
	return m;
}

/*
 * Inspect the files as a crash left them: first read-only (fsck's view,
 * which must not change them), then read-write (recovery), then once more
 * after recovery.  Both see the same prefix.  Returns m.
 */
static uint32_t verify_crashed_sync(const struct workload *wl, uint32_t min_m, uint32_t max_m,
				    const char *when, int sync)
{
	struct rowfs_config cfg = config(NULL, 32, 4096);
	struct rowfs_db *db;
	off_t db_before = tu_try_file_size(tu_db_path), wal_before = tu_try_file_size(tu_wal_path);
	uint32_t m, m2;
	char what[160];

	cfg.read_only = 1;
	db = tu_open(&cfg);
	snprintf(what, sizeof(what), "%s, read-only", when);
	m = expect_prefix(db, wl, min_m, max_m, what);
	tu_close(db);
	ck_assert_int_eq(tu_try_file_size(tu_db_path), db_before);
	ck_assert_int_eq(tu_try_file_size(tu_wal_path), wal_before);

	cfg.read_only = 0;
	cfg.sync = sync;
	db = tu_open(&cfg);
	snprintf(what, sizeof(what), "%s, recovered", when);
	m2 = expect_prefix(db, wl, m, m, what);
	tu_close(db);
	db = tu_open(&cfg);
	snprintf(what, sizeof(what), "%s, reopened", when);
	m2 = expect_prefix(db, wl, m, m, what);
	tu_close(db);
	return m2;
}

/*
 * The same, recovering with sync=full one time in four and sync=off
 * otherwise: what is tested is the crashed files, and the recovery reads
 * them the same way in every mode; off spares real fsyncs that only slow
 * the test down.
 */
static uint32_t verify_crashed(const struct workload *wl, uint32_t min_m, uint32_t max_m,
			       const char *when)
{
	static unsigned calls;

	return verify_crashed_sync(wl, min_m, max_m, when,
				   calls++ % 4 == 0 ? ROWFS_SYNC_FULL : ROWFS_SYNC_OFF);
}

/* ---- cutos: power cuts at chosen calls ---------------------------------- */

enum cut_mode {
	CUT_NONE,               /* count only */
	CUT_BEFORE_OP,          /* before the Nth pwrite or ftruncate */
	CUT_BEFORE_DB_WRITE,    /* before the Nth pwrite to DBFILE */
	CUT_BEFORE_DB_HEADER,   /* before the Nth pwrite of DBFILE's page 0 */
	CUT_AFTER_SYNC          /* after the Nth fsync returned */
};

struct cutos {
	struct os os;           /* hand &cut.os to the engine; os.ctx points here */
	struct faultos *fo;     /* below us, in powerloss mode */
	enum cut_mode mode;     /* when to cut */
	uint64_t at;            /* the N of the mode */
	int early;              /* let unsynced writes reach the disk early (randomly) */
	uint64_t rng;           /* for early */
	uint64_t ops, db_writes, syncs;  /* calls seen */
	uint64_t db_headers;    /* pwrites of DBFILE at offset 0 seen */
	int cut;                /* the power is off */
};

static int is_db_fd(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(tu_db_path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Cut the power now; with early, half of the write in flight reaches the disk first. */
static void cut_now(struct cutos *c, int fd, const void *buf, size_t n, off_t off)
{
	if (c->early && buf && n >= 2 && rand_below(&c->rng, 2))
		(void)!pwrite(fd, buf, n / 2, off);
	faultos_power_cut(c->fo);
	c->cut = 1;
}

static ssize_t cut_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	struct cutos *c = ctx;

	return c->fo->os.pread(c->fo->os.ctx, fd, buf, n, off);
}

static ssize_t cut_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	struct cutos *c = ctx;
	int db = is_db_fd(fd);
	ssize_t r;

	c->ops++;
	if (db)
		c->db_writes++;
	if (db && off == 0)
		c->db_headers++;
	if (!c->cut && ((c->mode == CUT_BEFORE_OP && c->ops == c->at) ||
			(c->mode == CUT_BEFORE_DB_WRITE && db && c->db_writes == c->at) ||
			(c->mode == CUT_BEFORE_DB_HEADER && db && off == 0 && c->db_headers == c->at)))
		cut_now(c, fd, buf, n, off);
	r = c->fo->os.pwrite(c->fo->os.ctx, fd, buf, n, off);
	/* A kernel may write an unsynced page back at any time. */
	if (r > 0 && !c->cut && c->early && rand_below(&c->rng, 2))
		(void)!pwrite(fd, buf, (size_t)r, off);
	return r;
}

static int cut_fsync(void *ctx, int fd)
{
	struct cutos *c = ctx;
	int r = c->fo->os.fsync(c->fo->os.ctx, fd);

	c->syncs++;
	if (!c->cut && c->mode == CUT_AFTER_SYNC && c->syncs == c->at) {
		faultos_power_cut(c->fo);
		c->cut = 1;
	}
	return r;
}

static int cut_ftruncate(void *ctx, int fd, off_t len)
{
	struct cutos *c = ctx;

	c->ops++;
	if (!c->cut && c->mode == CUT_BEFORE_OP && c->ops == c->at)
		cut_now(c, fd, NULL, 0, 0);
	return c->fo->os.ftruncate(c->fo->os.ctx, fd, len);
}

static void cutos_init(struct cutos *c, struct faultos *fo, enum cut_mode mode, uint64_t at,
		       int early, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->os.pread = cut_pread;
	c->os.pwrite = cut_pwrite;
	c->os.fsync = cut_fsync;
	c->os.ftruncate = cut_ftruncate;
	c->os.ctx = c;
	c->fo = fo;
	c->mode = mode;
	c->at = at;
	c->early = early;
	c->rng = seed * 0x9e3779b97f4a7c15ull + 7;
	faultos_init(fo);
	faultos_powerloss_begin(fo);
}

/* Totals of the crash tests, printed at the end of each. */
struct tally {
	unsigned long trials;
	unsigned long long rows_verified;   /* acknowledged rows found after crashes */
	unsigned long long rows_lost;       /* acknowledged rows missing (the oracle fails first) */
	uint32_t max_free_pages;            /* most free-list pages seen after a commit */
	unsigned long commit_failures;      /* injected faults reported by the commit itself */
};

static void tally_print(const char *what, const struct tally *t)
{
	fprintf(stderr, "check_recovery: %s: %lu trials, %llu acknowledged rows verified, %llu lost\n",
		what, t->trials, t->rows_verified, t->rows_lost);
}

/*
 * One power-loss trial: run wl from an empty database under a cutos with
 * the given mode, until something fails; cut the power (if the mode did not
 * already); then verify with the real OS.  *counts receives the calls seen.
 */
static void powerloss_trial(const struct workload *wl, struct rowfs_config cfg,
			    enum cut_mode mode, uint64_t at, int early, struct cutos *counts,
			    struct tally *tally)
{
	struct faultos fo;
	struct cutos cut;
	struct rowfs_db *db = NULL;
	struct rowfs_stats st;
	struct rowfs_err err;
	uint32_t t, acked = 0, attempted = 0, durable = 0;
	uint64_t checkpoints = 0;
	char when[160];

	remove_db();
	cutos_init(&cut, &fo, mode, at, early, at * 31 + (uint64_t)mode);
	cfg.os = &cut.os;
	if (rowfs_open(&cfg, &db, &err) == ROWFS_OK) {
		for (t = 0; t < wl->ntxn; t++) {
			attempted = t + 1;
			if (run_txn(db, wl, t, &err) != ROWFS_OK)
				break;
			acked = t + 1;
			/* sync=normal: durable once a checkpoint (here, the commit's) completed */
			tu_stats(db, &st);
			if (cfg.sync == ROWFS_SYNC_FULL || st.checkpoints > checkpoints)
				durable = acked;
			checkpoints = st.checkpoints;
			if (st.free_pages > tally->max_free_pages)
				tally->max_free_pages = st.free_pages;
		}
	} else {
		db = NULL;
	}
	/* The close's checkpoint may be cut too; after a cut its writes fail harmlessly. */
	if (db)
		tu_close_rc(db, &err);
	if (counts)
		*counts = cut;
	if (!cut.cut)
		faultos_power_cut(&fo);
	faultos_release(&fo);

	snprintf(when, sizeof(when), "power cut (sync %d, mode %d, call %llu%s)", cfg.sync, (int)mode,
		 (unsigned long long)at, early ? ", early writeback" : "");
	verify_crashed(wl, durable, attempted, when);
	tally->trials++;
	tally->rows_verified += rows_of_prefix(wl, durable);
}

/* ---- 1. the WAL cut at every byte offset ---------------------------------- */

/* Build a database from wl with no checkpoint; return the WAL's frame ends. */
static uint64_t *build_uncheckpointed(const struct workload *wl)
{
	struct rowfs_config cfg = config(NULL, 0, 1ull << 40);
	struct rowfs_db *db = tu_open(&cfg);
	struct rowfs_err err;
	uint64_t *end = calloc(wl->ntxn + 1, sizeof(uint64_t));
	uint32_t t;

	ck_assert_ptr_nonnull(end);
	end[0] = WAL_HEADER_SIZE;
	for (t = 0; t < wl->ntxn; t++) {
		int rc = run_txn(db, wl, t, &err);

		ck_assert_msg(rc == ROWFS_OK, "txn %u: %s (%s)", t, rowfs_rc_name(rc), err.msg);
		end[t + 1] = end[t] + FRAME_OVERHEAD + (uint64_t)wl->count[t] * VM_RECORD_SIZE;
	}
	ck_assert_int_eq(tu_try_file_size(tu_wal_path), (off_t)end[wl->ntxn]);
	ck_assert_int_eq(tu_try_file_size(tu_db_path), 2 * PAGE_SIZE);
	save_files("base");
	tu_close(db);
	return end;
}

/* Transactions whose frames lie wholly below cut. */
static uint32_t whole_frames(const uint64_t *end, uint32_t ntxn, uint64_t cut)
{
	uint32_t m = 0;

	if (cut < WAL_HEADER_SIZE)
		return 0;
	while (m < ntxn && end[m + 1] <= cut)
		m++;
	return m;
}

START_TEST(test_wal_cut_at_every_offset)
{
	struct workload wl;
	uint64_t *end, cut;
	uint32_t n, want;
	unsigned long opens = 0;
	char when[96];

	workload_init(&wl, 1, 16, 60, 5, 6);
	end = build_uncheckpointed(&wl);
	n = wl.ntxn;

	/*
	 * Every length from the start of the last two frames to the end, and
	 * the header.  The recovery of the files (what is tested) is the same
	 * in every sync mode; off spares hundreds of real fsyncs, except at
	 * frame boundaries.
	 */
	for (cut = 0; cut <= end[n]; cut++) {
		int boundary = cut == end[n] || cut == end[n - 1] || cut == end[n - 2];

		if (cut >= WAL_HEADER_SIZE + 8 && cut < end[n - 2])
			continue;
		want = whole_frames(end, n, cut);
		restore_files("base", (off_t)cut);
		snprintf(when, sizeof(when), "WAL cut at %llu of %llu", (unsigned long long)cut,
			 (unsigned long long)end[n]);
		ck_assert_uint_eq(verify_crashed_sync(&wl, want, want, when,
						      boundary ? ROWFS_SYNC_FULL : ROWFS_SYNC_OFF),
				  want);
		opens += 3;
	}
	ck_assert_uint_gt(opens, 3 * (end[n] - end[n - 2]));
	fprintf(stderr, "check_recovery: WAL cut: %lu lengths (the last two frames: %llu bytes), "
		"%llu rows checked at each\n", opens / 3,
		(unsigned long long)(end[n] - end[n - 2]), (unsigned long long)wl.rows[n]);

	/* A damaged byte in frame k hides frame k and everything after it. */
	for (want = 0; want < n; want += 3) {
		uint64_t off = end[want] + FRAME_OVERHEAD - 8 + (end[want + 1] - end[want]) / 2;
		uint8_t byte;

		restore_files("base", -1);
		tu_pread_at(tu_wal_path, (off_t)off, &byte, 1);
		byte ^= 0x10;
		tu_pwrite_at(tu_wal_path, (off_t)off, &byte, 1);
		snprintf(when, sizeof(when), "WAL byte %llu damaged", (unsigned long long)off);
		ck_assert_uint_eq(verify_crashed(&wl, want, want, when), want);
	}
	free(end);
	workload_release(&wl);
}
END_TEST

/* A table that fails every pwrite of DBFILE at offset 0 (the checkpoint's header write). */
struct header_fail {
	struct os os;
	int armed;
};

static ssize_t hf_pread(void *ctx, int fd, void *buf, size_t n, off_t off)
{
	(void)ctx;
	return pread(fd, buf, n, off);
}

static ssize_t hf_pwrite(void *ctx, int fd, const void *buf, size_t n, off_t off)
{
	struct header_fail *h = ctx;

	if (h->armed && off == 0 && is_db_fd(fd)) {
		errno = EIO;
		return -1;
	}
	return pwrite(fd, buf, n, off);
}

static int hf_fsync(void *ctx, int fd)
{
	(void)ctx;
	return fdatasync(fd);
}

static int hf_ftruncate(void *ctx, int fd, off_t len)
{
	(void)ctx;
	return ftruncate(fd, len);
}

/* Offsets of the WAL's frames (parsed from the file); returns the count. */
static uint32_t wal_frames(const char *p, uint64_t *offs, uint32_t *types, uint32_t max)
{
	int fd = open(p, O_RDONLY);
	off_t size = tu_try_file_size(p);
	uint64_t off = WAL_HEADER_SIZE;
	uint32_t n = 0;
	uint8_t h[16];

	ck_assert_int_ge(fd, 0);
	while (n < max && off + FRAME_OVERHEAD <= (uint64_t)size &&
	       pread(fd, h, sizeof(h), (off_t)off) == (ssize_t)sizeof(h)) {
		uint32_t len = (uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 |
			       (uint32_t)h[7] << 24;

		offs[n] = off;
		types[n] = h[0];
		n++;
		off += FRAME_OVERHEAD + len;
	}
	close(fd);
	return n;
}

START_TEST(test_wal_cut_inside_checkpoint_block)
{
	struct header_fail hf = { { hf_pread, hf_pwrite, hf_fsync, hf_ftruncate, NULL }, 0 };
	struct rowfs_config cfg = config(&hf.os, 0, 1ull << 40);
	struct workload wl;
	struct rowfs_db *db;
	struct rowfs_err err;
	uint64_t offs[256], cut, block, size;
	uint32_t types[256], nframes, t, i, cuts = 0;
	char when[96];

	hf.os.ctx = &hf;
	workload_init(&wl, 2, 30, 40, 0, 6);
	db = tu_open(&cfg);
	for (t = 0; t < 10; t++)
		ck_assert_int_eq(run_txn(db, &wl, t, &err), ROWFS_OK);
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_OK);
	for (; t < wl.ntxn; t++)
		ck_assert_int_eq(run_txn(db, &wl, t, &err), ROWFS_OK);
	/* The block reaches the WAL (and its fsync); DBFILE's header write fails. */
	hf.armed = 1;
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_IOERR);
	save_files("base");
	tu_close_rc(db, &err);

	nframes = wal_frames(tu_wal_path, offs, types, 256);
	for (i = 0; i < nframes && types[i] == WAL_FRAME_TXN; i++)
		;
	ck_assert_uint_eq(i, wl.ntxn - 10);          /* the TXN frames, then the block */
	ck_assert_uint_ge(nframes - i, 3);           /* page 0, >= 1 page, CKPT_END */
	ck_assert_uint_eq(types[nframes - 1], WAL_FRAME_CKPT_END);
	block = offs[i];
	size = (uint64_t)tu_try_file_size(tu_wal_path);

	/* Any cut inside the block: every transaction is still there (redo or replay). */
	for (cut = block; cut <= size; cut++) {
		int boundary = 0;

		for (t = i; t < nframes; t++)
			if (cut + 2 >= offs[t] && cut <= offs[t] + 2)
				boundary = 1;
		if (!boundary && cut + 48 < size && (cut - block) % 509 != 0)
			continue;
		restore_files("base", (off_t)cut);
		snprintf(when, sizeof(when), "block cut at %llu of %llu", (unsigned long long)cut,
			 (unsigned long long)size);
		verify_crashed_sync(&wl, wl.ntxn, wl.ntxn, when,
				    boundary ? ROWFS_SYNC_FULL : ROWFS_SYNC_OFF);
		cuts++;
	}
	fprintf(stderr, "check_recovery: WAL cut inside a checkpoint block: %u lengths (%u pages)\n",
		cuts, nframes - i - 1);
	workload_release(&wl);
}
END_TEST

/* ---- 2. power loss -------------------------------------------------------- */

/* Trials 1..total, at most max of them, spread evenly (every call when they fit). */
static uint64_t stride_for(uint64_t total, uint64_t max)
{
	return total <= max ? 1 : (total + max - 1) / max;
}

START_TEST(test_power_cut_at_every_write)
{
	struct rowfs_config cfg = config(NULL, 32, 4096);
	struct workload wl;
	struct cutos counts;
	struct tally tally = { 0 };
	uint64_t k, step;

	workload_init(&wl, 3, 40, 60, 0, 6);
	powerloss_trial(&wl, cfg, CUT_NONE, 0, 0, &counts, &tally);
	ck_assert_uint_gt(tally.max_free_pages, 0);
	ck_assert_uint_gt(counts.ops, 60);
	ck_assert_uint_gt(counts.db_writes, 5);

	/* Before each pwrite/ftruncate: all unsynced data lost; then with early writeback. */
	step = stride_for(counts.ops, 70);
	for (k = 1; k <= counts.ops + 1; k += step)
		powerloss_trial(&wl, cfg, CUT_BEFORE_OP, k, 0, NULL, &tally);
	for (k = 1 + step / 2; k <= counts.ops + 1; k += 2 * step)
		powerloss_trial(&wl, cfg, CUT_BEFORE_OP, k, 1, NULL, &tally);
	/* Right after each fsync: the commit may or may not have been acknowledged. */
	step = stride_for(counts.syncs, 24);
	for (k = 1; k <= counts.syncs; k += step)
		powerloss_trial(&wl, cfg, CUT_AFTER_SYNC, k, k % 2, NULL, &tally);
	tally_print("power cut at every write", &tally);
	workload_release(&wl);
}
END_TEST

START_TEST(test_power_cut_inside_checkpoint)
{
	struct rowfs_config cfg = config(NULL, 32, 4096);
	struct workload wl;
	struct cutos counts;
	struct tally tally = { 0 };
	uint64_t k, step;

	/* Bigger transactions: checkpoints that write many pages into DBFILE. */
	workload_init(&wl, 4, 24, 90, 0, 6);
	ck_assert_uint_gt(wl.bulk_deletes, 0);
	powerloss_trial(&wl, cfg, CUT_NONE, 0, 0, &counts, &tally);
	ck_assert_uint_gt(counts.db_writes, 10);
	ck_assert_uint_gt(tally.max_free_pages, 0);  /* leaves were emptied and freed */
	step = stride_for(counts.db_writes, 20);
	for (k = 1; k <= counts.db_writes; k += step) {
		powerloss_trial(&wl, cfg, CUT_BEFORE_DB_WRITE, k, 0, NULL, &tally);
		powerloss_trial(&wl, cfg, CUT_BEFORE_DB_WRITE, k, 1, NULL, &tally);
	}
	tally_print("power cut inside checkpoints", &tally);
	workload_release(&wl);
}
END_TEST

START_TEST(test_power_cut_sync_normal)
{
	struct rowfs_config cfg = config(NULL, 32, 4096);
	struct workload wl;
	struct cutos counts;
	struct tally tally = { 0 };
	uint64_t k, step;

	/* Commits not yet checkpointed may be lost, a prefix at worst; nothing is damaged. */
	cfg.sync = ROWFS_SYNC_NORMAL;
	workload_init(&wl, 9, 40, 24, 0, 6);
	powerloss_trial(&wl, cfg, CUT_NONE, 0, 0, &counts, &tally);
	ck_assert_uint_gt(counts.ops, 30);
	step = stride_for(counts.ops, 24);
	for (k = 1; k <= counts.ops + 1; k += step)
		powerloss_trial(&wl, cfg, CUT_BEFORE_OP, k, (int)(k % 2), NULL, &tally);
	step = stride_for(counts.syncs, 8);
	for (k = 1; k <= counts.syncs; k += step)
		powerloss_trial(&wl, cfg, CUT_AFTER_SYNC, k, 1, NULL, &tally);
	tally_print("power cut, sync=normal", &tally);
	workload_release(&wl);
}
END_TEST

START_TEST(test_power_cut_during_recovery)
{
	/*
	 * Crashes that leave work for recovery: (0) every commit still in the
	 * WAL; (1) a checkpoint cut at its write of page 0, after its block
	 * was made durable (recovery redoes the block over a half-written
	 * DBFILE); (2) a checkpoint cut at its first DBFILE write (new pages),
	 * before its block was complete.  Then recovery itself is cut before
	 * each of its writes and after each of its fsyncs.
	 */
	static const struct {
		enum cut_mode mode;
		uint64_t at;
		int checkpoint;   /* run a checkpoint after half of the transactions */
		uint32_t acked;   /* acknowledged commits the crash leaves (at least) */
	} rounds[] = {
		{ CUT_NONE, 0, 0, 30 },
		{ CUT_BEFORE_DB_HEADER, 2, 1, 16 },
		{ CUT_BEFORE_DB_WRITE, 3, 1, 16 },
	};
	struct rowfs_config cfg = config(NULL, 32, 1ull << 40);
	struct workload wl;
	struct cutos counts, rec;
	struct faultos fo;
	struct tally tally = { 0 };
	struct rowfs_db *db;
	struct rowfs_err err;
	uint32_t t, acked, r;
	uint64_t j, rec_ops, rec_syncs;
	char when[160];

	workload_init(&wl, 5, 30, 30, 0, 6);
	for (r = 0; r < sizeof(rounds) / sizeof(rounds[0]); r++) {
		remove_db();
		cutos_init(&counts, &fo, rounds[r].mode, rounds[r].at, r > 0, 99);
		cfg.os = &counts.os;
		db = tu_open(&cfg);
		for (t = 0, acked = 0; t < wl.ntxn; t++) {
			if (run_txn(db, &wl, t, &err) != ROWFS_OK)
				break;
			acked = t + 1;
			if (rounds[r].checkpoint && t + 1 == wl.ntxn / 2 + 1)
				rowfs_checkpoint(db, &err);
		}
		ck_assert_int_eq(counts.cut, rounds[r].mode != CUT_NONE);
		if (!counts.cut)
			faultos_power_cut(&fo);
		tu_close_rc(db, &err);
		faultos_release(&fo);
		ck_assert_uint_eq(acked, rounds[r].acked);
		save_files("crashed");
		if (r > 0) {
			uint64_t offs[512];
			uint32_t types[512], nframes = wal_frames(tu_wal_path, offs, types, 512);

			/* Round 1 left a complete block to redo, round 2 none. */
			ck_assert_uint_gt(nframes, 0);
			ck_assert_int_eq(types[nframes - 1] == WAL_FRAME_CKPT_END, r == 1);
		}

		/* Count the recovery's calls, then cut before (or after) each of them. */
		cutos_init(&rec, &fo, CUT_NONE, 0, 0, 1);
		cfg.os = &rec.os;
		db = tu_open(&cfg);
		rec_ops = rec.ops;
		rec_syncs = rec.syncs;
		faultos_power_cut(&fo);
		tu_close_rc(db, &err);
		faultos_release(&fo);
		ck_assert_uint_gt(rec_ops, 2);
		for (j = 1; j <= rec_ops + rec_syncs; j++) {
			restore_files("crashed", -1);
			if (j <= rec_ops)
				cutos_init(&rec, &fo, CUT_BEFORE_OP, j, (int)(j % 2), j);
			else
				cutos_init(&rec, &fo, CUT_AFTER_SYNC, j - rec_ops, 0, j);
			cfg.os = &rec.os;
			if (rowfs_open(&cfg, &db, &err) == ROWFS_OK) {
				if (!rec.cut)
					faultos_power_cut(&fo);
				tu_close_rc(db, &err);
			}
			faultos_release(&fo);
			snprintf(when, sizeof(when), "crash %u, cut at recovery call %llu", r,
				 (unsigned long long)j);
			verify_crashed(&wl, acked, acked + 1, when);
			tally.trials++;
			tally.rows_verified += rows_of_prefix(&wl, acked);
		}
	}
	tally_print("power cut during recovery", &tally);
	workload_release(&wl);
}
END_TEST

/* ---- 3. injected errors ---------------------------------------------------- */

enum fault_kind { FAULT_WRITE, FAULT_SYNC, FAULT_READ, FAULT_TRUNCATE };

static const char *const fault_names[] = { "pwrite", "fsync", "pread", "ftruncate" };

static const char *errno_text(int errnum)
{
	return errnum == ENOSPC ? "No space left on device" : "Input/output error";
}

/* The first failure of a faulted run: its code, errno and message. */
static void expect_io_failure(int rc, const struct rowfs_err *err, int errnum, const char *when)
{
	ck_assert_msg(rc == ROWFS_IOERR || rc == ROWFS_FULL, "%s: %s (%s)", when, rowfs_rc_name(rc),
		      err->msg);
	ck_assert_msg(err->sys_errno == errnum, "%s: errno %d, expected %d (%s)", when,
		      err->sys_errno, errnum, err->msg);
	ck_assert_msg(strncmp(err->msg, "Error: I/O error: ", 18) == 0,
		      "%s: message '%s'", when, err->msg);
	ck_assert_msg(strstr(err->msg, errno_text(errnum)) != NULL,
		      "%s: message '%s' does not name the cause", when, err->msg);
}

/*
 * Five acknowledged transactions, then the nth pwrite/fsync from now fails
 * (once, or from then on until cleared).  Each failure reports the fault
 * (code, errno, "Error: I/O error: ..." naming the cause); while a
 * persistent fault lasts nothing is acknowledged; the failed transaction is
 * retried and must not be there already (a commit reported as failed was
 * rolled back); once the fault is cleared the same handle recovers by
 * itself at the next begin; nothing acknowledged is lost, in memory or
 * after a reopen, and rowfs_check stays clean.
 */
static void fault_trial(const struct workload *wl, enum fault_kind kind, int errnum, unsigned n,
			int persistent, struct tally *tally)
{
	struct rowfs_config cfg;
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	uint32_t t, acked = 0, failures = 0, after = 0;
	int rc, cleared = 0;
	char when[160];

	snprintf(when, sizeof(when), "%s %s at call %u%s", fault_names[kind],
		 errnum == EIO ? "EIO" : "ENOSPC", n, persistent ? " and after" : "");
	remove_db();
	faultos_init(&fo);
	cfg = config(&fo.os, 32, 4096);
	db = tu_open(&cfg);
	for (t = 0; t < 5; t++) {
		rc = run_txn(db, wl, t, &err);
		ck_assert_msg(rc == ROWFS_OK, "%s: txn %u: %s", when, t, err.msg);
		acked = t + 1;
	}
	if (kind == FAULT_READ) {
		/* A cold cache, so that statements read pages. */
		tu_close(db);
		db = tu_open(&cfg);
	}
	if (kind == FAULT_WRITE)
		faultos_fail_write_at(&fo, n, errnum, persistent);
	else if (kind == FAULT_SYNC)
		faultos_fail_sync_at(&fo, n, errnum, persistent);
	else if (kind == FAULT_READ)
		faultos_fail_read_at(&fo, n, errnum, persistent);
	else
		faultos_fail_truncate_at(&fo, n, errnum, persistent);
	while (t < wl->ntxn && after < 3) {
		uint64_t faults_before = fo.faults;

		rc = run_txn(db, wl, t, &err);
		if (rc == ROWFS_OK) {
			ck_assert_msg(!persistent || cleared || faults_before == 0,
				      "%s: txn %u acknowledged while the disk fails", when, t);
			acked = ++t;
			if (fo.faults)
				after++;
			continue;
		}
		ck_assert_msg(fo.faults > 0, "%s: txn %u failed with no fault: %s", when, t, err.msg);
		ck_assert_msg(rc != ROWFS_DUPLICATE,
			      "%s: txn %u, reported as failed, was applied after all", when, t);
		expect_io_failure(rc, &err, errnum, when);
		if (failed_stage == STAGE_COMMIT) {
			tally->commit_failures++;
			ck_assert_msg(rowfs_errno(rc) == errnum, "%s: commit: %s, errno %d", when,
				      rowfs_rc_name(rc), rowfs_errno(rc));
		}
		failures++;
		ck_assert_uint_lt(failures, 10);
		if (persistent && failures == 3) {
			faultos_disarm(&fo);
			cleared = 1;
		}
	}
	ck_assert_msg(fo.faults > 0, "%s: the fault never fired", when);
	ck_assert_msg(after == 3, "%s: no recovery (%u commits after the fault)", when, after);
	if (persistent)
		ck_assert_msg(failures == 3, "%s: %u failures while the fault lasted", when, failures);
	expect_prefix(db, wl, acked, acked, when);
	tu_close(db);
	faultos_release(&fo);

	cfg.os = NULL;
	cfg.sync = ROWFS_SYNC_OFF;  /* the check of what is on disk needs no fsync */
	db = tu_open(&cfg);
	expect_prefix(db, wl, acked, acked, when);
	tu_close(db);
	tally->trials++;
	tally->rows_verified += rows_of_prefix(wl, acked);
}

START_TEST(test_injected_errors_in_commit_and_checkpoint)
{
	static const int errnums[] = { EIO, ENOSPC };
	struct workload wl;
	struct tally tally = { 0 };
	unsigned e, n, persistent;

	workload_init(&wl, 6, 30, 30, 0, 6);
	for (e = 0; e < 2; e++)
		for (persistent = 0; persistent < 2; persistent++) {
			for (n = 1; n <= 10; n++)
				fault_trial(&wl, FAULT_WRITE, errnums[e], n, (int)persistent, &tally);
			for (n = 1; n <= 8; n++)
				fault_trial(&wl, FAULT_SYNC, errnums[e], n, (int)persistent, &tally);
		}
	/* The first read of a statement, and truncations (WAL reset and scan), fail too. */
	for (persistent = 0; persistent < 2; persistent++) {
		fault_trial(&wl, FAULT_READ, EIO, 1, (int)persistent, &tally);
		for (n = 1; n <= 3; n++)
			fault_trial(&wl, FAULT_TRUNCATE, EIO, n, (int)persistent, &tally);
	}
	tally_print("injected errors", &tally);
	fprintf(stderr, "check_recovery: injected errors: %lu reported by the commit itself\n",
		tally.commit_failures);
	ck_assert_uint_ge(tally.commit_failures, 20);
	workload_release(&wl);
}
END_TEST

/* rowfs_scan callback: record the ids seen (at most 16). */
struct seen_ids {
	uint32_t ids[16];
	unsigned count;
};

static int collect_id(void *ctx, uint32_t id, const char *name, size_t name_len)
{
	struct seen_ids *s = ctx;

	(void)name;
	(void)name_len;
	if (s->count < 16)
		s->ids[s->count] = id;
	s->count++;
	return 0;
}

/*
 * A failed commit whose recovery fails too (the disk still refuses reads)
 * leaves no valid state in memory: reads fail with EIO instead of serving
 * the checkpointed file without the WAL's rows; once the fault clears, the
 * next read recovers by itself and sees every acknowledged row.
 */
START_TEST(test_reads_after_failed_recovery)
{
	struct rowfs_config cfg;
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	struct seen_ids seen;
	struct tu_buf out = {0};
	int rc;

	faultos_init(&fo);
	cfg = config(&fo.os, 32, 1ull << 40);
	db = tu_open(&cfg);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, "insert 1 a", &out, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, "insert 2 b", &out, &err), ROWFS_OK);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);

	/*
	 * The commit's fsync fails; the recovery right after it fails at its
	 * first read.  The disk then works again: the next read must recover
	 * first, not serve the checkpointed file (which has no rows yet).
	 */
	faultos_fail_sync_at(&fo, 1, EIO, 0);
	faultos_fail_read_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, "insert 3 c", &out, &err), ROWFS_OK);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_IOERR);
	faultos_disarm(&fo);
	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(tu_scan(db, 0, collect_id, &seen, &err), ROWFS_OK);
	ck_assert_uint_eq(seen.count, 2);

	/* Same, with reads failing for good: a read fails, then recovers. */
	faultos_fail_sync_at(&fo, 1, EIO, 1);
	faultos_fail_read_at(&fo, 1, EIO, 1);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, "insert 4 d", &out, &err), ROWFS_OK);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_IOERR);

	memset(&seen, 0, sizeof(seen));
	rc = tu_scan(db, 0, collect_id, &seen, &err);
	ck_assert_int_eq(rc, ROWFS_IOERR);
	ck_assert_uint_eq(seen.count, 0);
	ck_assert_msg(strncmp(err.msg, "Error: I/O error: ", 18) == 0, "'%s'", err.msg);

	faultos_disarm(&fo);
	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(tu_scan(db, 0, collect_id, &seen, &err), ROWFS_OK);
	ck_assert_uint_eq(seen.count, 2);
	ck_assert_uint_eq(seen.ids[0], 1);
	ck_assert_uint_eq(seen.ids[1], 2);
	tu_buf_free(&out);
	tu_close(db);
	faultos_release(&fo);
}
END_TEST

START_TEST(test_error_messages)
{
	struct rowfs_config cfg;
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	struct workload wl;
	char want[4600];
	int rc;

	workload_init(&wl, 7, 10, 5, 0, 6);
	faultos_init(&fo);
	cfg = config(&fo.os, 32, 1ull << 40);
	db = tu_open(&cfg);
	ck_assert_int_eq(run_txn(db, &wl, 0, &err), ROWFS_OK);

	/* The commit's fsync fails. */
	faultos_fail_sync_at(&fo, 1, EIO, 0);
	rc = run_txn(db, &wl, 1, &err);
	ck_assert_int_eq(rc, ROWFS_IOERR);
	ck_assert_int_eq(rowfs_errno(rc), EIO);
	ck_assert_int_eq(err.sys_errno, EIO);
	snprintf(want, sizeof(want), "Error: I/O error: fsync '%s': %s", tu_wal_path, strerror(EIO));
	ck_assert_str_eq(err.msg, want);

	/* The commit's write finds the disk full. */
	faultos_fail_write_at(&fo, 1, ENOSPC, 0);
	rc = run_txn(db, &wl, 1, &err);
	ck_assert_int_eq(rc, ROWFS_FULL);
	ck_assert_int_eq(rowfs_errno(rc), ENOSPC);
	ck_assert_int_eq(err.sys_errno, ENOSPC);
	snprintf(want, sizeof(want), "Error: I/O error: pwrite '%s': %s", tu_wal_path,
		 strerror(ENOSPC));
	ck_assert_str_eq(err.msg, want);

	/* Every write fails: the recovery at begin fails and says why. */
	ck_assert_int_eq(run_txn(db, &wl, 1, &err), ROWFS_OK);
	faultos_fail_write_at(&fo, 1, EIO, 1);
	ck_assert_int_eq(run_txn(db, &wl, 2, &err), ROWFS_IOERR);
	rc = tu_begin(db, &err);
	ck_assert_int_eq(rc, ROWFS_IOERR);
	ck_assert_int_eq(err.sys_errno, EIO);
	snprintf(want, sizeof(want), "Error: I/O error: recovery failed: ");
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "'%s'", err.msg);
	ck_assert_msg(strstr(err.msg + strlen(want), "Error: I/O error: recovery failed") == NULL,
		      "message repeats itself: '%s'", err.msg);
	snprintf(want, sizeof(want), "pwrite '%s", tu_db_path);
	ck_assert_msg(strstr(err.msg, want) != NULL && strstr(err.msg, strerror(EIO)) != NULL,
		      "message does not name the failed call: '%s'", err.msg);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_IOERR);

	faultos_disarm(&fo);
	ck_assert_int_eq(run_txn(db, &wl, 2, &err), ROWFS_OK);
	expect_prefix(db, &wl, 3, 3, "after the faults");
	tu_close(db);
	faultos_release(&fo);
	workload_release(&wl);
}
END_TEST

START_TEST(test_close_while_the_disk_fails)
{
	static const int errnums[] = { EIO, ENOSPC };
	struct rowfs_config cfg;
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	struct workload wl;
	uint32_t t, e;
	int rc;

	/* Acknowledged commits in the WAL, then every write fails, also the close's checkpoint. */
	workload_init(&wl, 12, 12, 30, 0, 6);
	for (e = 0; e < 2; e++) {
		remove_db();
		faultos_init(&fo);
		cfg = config(&fo.os, 32, 1ull << 40);
		db = tu_open(&cfg);
		for (t = 0; t < wl.ntxn; t++)
			ck_assert_int_eq(run_txn(db, &wl, t, &err), ROWFS_OK);
		faultos_fail_write_at(&fo, 1, errnums[e], 1);
		rc = tu_close_rc(db, &err);
		ck_assert_msg(rc == ROWFS_IOERR || rc == ROWFS_FULL, "close: %s (%s)",
			      rowfs_rc_name(rc), err.msg);
		ck_assert_int_eq(err.sys_errno, errnums[e]);
		faultos_release(&fo);
		ck_assert_uint_eq(verify_crashed(&wl, wl.ntxn, wl.ntxn, "close failed"), wl.ntxn);
	}
	workload_release(&wl);
}
END_TEST

START_TEST(test_failed_commit_stays_failed)
{
	struct rowfs_config cfg;
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	struct workload wl;
	int rc;

	/*
	 * The commit's fsync fails, and so does the truncate that should cut
	 * its frame from the WAL: the frame is still in the file.  The commit
	 * was reported as failed, so its rows must not come back, neither at
	 * the next begin nor after a reopen.
	 *
	 * wal.c's fail() cuts the frame "best effort"; when the ftruncate
	 * fails the valid frame stays.  The pager remembers the WAL's good end
	 * at the failed commit, and the recovery that rowfs_txn_commit runs right
	 * away scans only up to it and cuts the file there (regression: it
	 * used to replay the frame, applying a transaction reported as failed).
	 */
	workload_init(&wl, 10, 6, 10, 0, 6);
	faultos_init(&fo);
	cfg = config(&fo.os, 32, 1ull << 40);
	db = tu_open(&cfg);
	ck_assert_int_eq(run_txn(db, &wl, 0, &err), ROWFS_OK);
	faultos_fail_sync_at(&fo, 1, EIO, 0);
	faultos_fail_truncate_at(&fo, 1, EIO, 0);
	rc = run_txn(db, &wl, 1, &err);
	ck_assert_int_eq(rc, ROWFS_IOERR);
	faultos_disarm(&fo);
	expect_prefix(db, &wl, 1, 1, "after the failed commit");
	rc = run_txn(db, &wl, 1, &err);
	ck_assert_msg(rc == ROWFS_OK, "retry: %s (%s)", rowfs_rc_name(rc), err.msg);
	tu_close(db);
	faultos_release(&fo);
	cfg.os = NULL;
	db = tu_open(&cfg);
	expect_prefix(db, &wl, 2, 2, "reopened");
	tu_close(db);
	workload_release(&wl);
}
END_TEST

START_TEST(test_torn_wal_tail_is_ignored)
{
	struct rowfs_config cfg;
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	struct workload wl;
	uint32_t t;

	workload_init(&wl, 8, 12, 40, 0, 6);

	/* A torn write reported as complete reaches the disk through the fsync. */
	remove_db();
	faultos_init(&fo);
	faultos_powerloss_begin(&fo);
	cfg = config(&fo.os, 32, 1ull << 40);
	db = tu_open(&cfg);
	for (t = 0; t < 6; t++)
		ck_assert_int_eq(run_txn(db, &wl, t, &err), ROWFS_OK);
	faultos_tear_write_at(&fo, 1, FAULTOS_TEAR_SILENT);
	ck_assert_int_eq(run_txn(db, &wl, 6, &err), ROWFS_OK);  /* the disk lied */
	faultos_power_cut(&fo);
	tu_close_rc(db, &err);
	faultos_release(&fo);
	ck_assert_uint_eq(verify_crashed(&wl, 6, 6, "torn tail"), 6);

	/*
	 * A torn write that fails, and the truncate meant to remove it fails
	 * too: the half frame stays; recovery cuts it and later frames chain on.
	 */
	remove_db();
	faultos_init(&fo);
	cfg = config(&fo.os, 32, 1ull << 40);
	db = tu_open(&cfg);
	for (t = 0; t < 6; t++)
		ck_assert_int_eq(run_txn(db, &wl, t, &err), ROWFS_OK);
	faultos_tear_write_at(&fo, 1, FAULTOS_TEAR_EIO);
	faultos_fail_truncate_at(&fo, 1, EIO, 0);
	ck_assert_int_eq(run_txn(db, &wl, 6, &err), ROWFS_IOERR);
	for (t = 6; t < wl.ntxn; t++)
		ck_assert_int_eq(run_txn(db, &wl, t, &err), ROWFS_OK);
	save_files("open");
	tu_close(db);
	faultos_release(&fo);
	ck_assert_uint_eq(verify_crashed(&wl, wl.ntxn, wl.ntxn, "after a torn write"), wl.ntxn);
	restore_files("open", -1);
	ck_assert_uint_eq(verify_crashed(&wl, wl.ntxn, wl.ntxn, "torn write, crash"), wl.ntxn);
	workload_release(&wl);
}
END_TEST

/* ---- 4. kill -9 of a real process ----------------------------------------- */

#define KILL_MAX_TXNS 200u     /* a child commits at most this many transactions, then waits */

/*
 * The child: open (recovering what the last kill left), then run
 * transactions first, first+1, ... of wl, writing each one's number to fd
 * once rowfs_txn_commit returned.  Never returns.
 */
static void kill_child(int fd, const struct workload *wl, uint32_t first, int sync)
{
	struct rowfs_config cfg = config(NULL, 32, 4096);
	struct rowfs_db *db;
	struct rowfs_err err;
	uint32_t t;

	cfg.sync = sync;
	if (rowfs_open(&cfg, &db, &err) != ROWFS_OK)
		_exit(3);
	for (t = first; t < first + KILL_MAX_TXNS && t < wl->ntxn; t++) {
		if (run_txn(db, wl, t, &err) != ROWFS_OK)
			_exit(4);
		if (write(fd, &t, sizeof(t)) != (ssize_t)sizeof(t))
			_exit(5);
	}
	for (;;)
		pause();
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Read one report: the next transaction acknowledged.  0 at end of file. */
static int read_report(int fd, uint32_t *acked)
{
	uint32_t t;
	ssize_t got = read(fd, &t, sizeof(t));

	if (got == 0)
		return 0;
	ck_assert_int_eq(got, (ssize_t)sizeof(t));
	ck_assert_uint_eq(t, *acked);  /* in order, none skipped */
	*acked = t + 1;
	return 1;
}

START_TEST(test_kill_minus_9)
{
	unsigned trials = tu_flag("ROWFS_SLOW") ? 500 : 50, trial;
	uint64_t rng = 0x5eed;
	struct tally tally = { 0 };
	struct rowfs_config cfg = config(NULL, 32, 4096);
	struct workload wl;
	uint32_t first = 0;

	/* One long mixed workload; each child goes on from where the last kill left it. */
	workload_init(&wl, 11, trials * KILL_MAX_TXNS, 8, 0, 80);
	for (trial = 0; trial < trials; trial++) {
		/* A process crash loses nothing acknowledged in any sync mode (rowfs(5)). */
		int sync = trial % 4 == 3 ? ROWFS_SYNC_OFF : trial % 4 == 2 ? ROWFS_SYNC_NORMAL
									 : ROWFS_SYNC_FULL;
		uint32_t acked = first, want_reports = rand_below(&rng, 120), m;
		uint64_t deadline = now_us() + rand_below(&rng, 60000);
		struct pollfd pfd;
		struct rowfs_db *db;
		int p[2], status, open = 1;
		char when[96];
		pid_t pid;

		ck_assert_int_eq(pipe(p), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(p[0]);
			kill_child(p[1], &wl, first, sync);
		}
		close(p[1]);

		/* Kill after a random number of reports, or at a random time if sooner. */
		pfd.fd = p[0];
		pfd.events = POLLIN;
		while (open && acked - first < want_reports) {
			int64_t left = (int64_t)(deadline - now_us());

			if (left <= 0 || poll(&pfd, 1, (int)((left + 999) / 1000)) <= 0)
				break;
			open = read_report(p[0], &acked);
		}
		if (rand_below(&rng, 2))
			usleep(rand_below(&rng, 3000));
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			      "trial %u: the child exited by itself (status %d)", trial,
			      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		while (open)
			open = read_report(p[0], &acked);
		close(p[0]);

		/* Every acknowledged transaction is there, whole, and nothing after a missing one. */
		snprintf(when, sizeof(when), "kill -9 trial %u (sync %d)", trial, sync);
		db = tu_open(&cfg);
		m = expect_prefix(db, &wl, acked, first + KILL_MAX_TXNS, when);
		tu_close(db);
		tally.trials++;
		tally.rows_verified += wl.rows[acked];
		first = m;
	}
	tally_print("kill -9", &tally);
	fprintf(stderr, "check_recovery: kill -9: %u transactions, %u rows in the database at the end\n",
		first, wl.rows[first]);
	workload_release(&wl);
}
END_TEST

/* ---- 5. a statement failing half-way -------------------------------------- */

struct first_row {
	int found;                /* a row was seen */
	uint32_t id;              /* its id */
	uint32_t count;           /* rows seen */
};

static int first_row_cb(void *ctx, uint32_t id, const char *name, size_t len)
{
	struct first_row *f = ctx;

	(void)name;
	(void)len;
	if (!f->found) {
		f->found = 1;
		f->id = id;
	}
	f->count++;
	return 0;
}

/* Rows with id >= from: how many, and the first. */
static struct first_row rows_from(struct rowfs_db *db, uint32_t from)
{
	struct first_row f = { 0, 0, 0 };
	struct rowfs_err err;

	ck_assert_int_eq(tu_scan(db, from, first_row_cb, &f, &err), ROWFS_OK);
	return f;
}

START_TEST(test_failed_statement_rolls_back)
{
	/*
	 * 511 leaves under a root with INTERNAL_NODE_MAX_KEYS keys: an insert
	 * in the middle splits a leaf and then the root, re-reading half of the
	 * children (cache_pages=16, so most come from disk) after it changed
	 * pages.  Each of its reads fails in turn, then the same for a delete
	 * that empties a leaf.
	 */
	const uint32_t rows = 510 * 102 + 50;
	const uint32_t mid = 2 * (255 * 102) + 1;
	struct rowfs_config cfg;
	struct rowfs_stats st;
	struct faultos fo;
	struct rowfs_db *db;
	struct rowfs_err err;
	struct first_row f;
	uint32_t i, x = 2 * rows, committed = 0, n, trials = 0, torn = 0, total, key, free_before;
	int rc;

	faultos_init(&fo);
	cfg = config(&fo.os, 16, 1ull << 40);
	db = tu_open(&cfg);
	for (i = 0; i < rows; i++) {
		if (i % 8192 == 0)
			ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		rc = insert_row(db, 2 * i, &err);
		ck_assert_msg(rc == ROWFS_OK, "insert %u: %s", 2 * i, err.msg);
		if (i % 8192 == 8191 || i == rows - 1)
			ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	}
	tu_close(db);
	db = tu_open(&cfg);
	tu_stats(db, &st);
	ck_assert_uint_eq(st.depth, 2);
	ck_assert_uint_eq(st.pages, 513);

	for (n = 1; trials < 45; n += n < 8 ? 1 : 13) {
		/* A committed row that is not checkpointed: in the WAL and the cache only. */
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		ck_assert_int_eq(insert_row(db, x, &err), ROWFS_OK);
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
		x += 2;
		committed++;
		tu_stats(db, &st);
		ck_assert_uint_gt(st.wal_frames, 0);

		/* The insert that splits a leaf and the root; its nth page read fails. */
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		faultos_fail_read_at(&fo, n, EIO, 0);
		rc = insert_row(db, mid, &err);
		faultos_disarm(&fo);
		if (rc == ROWFS_OK)
			break;
		trials++;
		ck_assert_msg(rc == ROWFS_IOERR, "read %u: %s (%s)", n, rowfs_rc_name(rc), err.msg);
		ck_assert_int_eq(err.sys_errno, EIO);
		ck_assert_msg(strncmp(err.msg, "Error: I/O error: pread '", 25) == 0, "'%s'", err.msg);
		if (pager_txn_dirty(rowfs_db_pager(db)))
			torn++;
		ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);

		/* No trace of the insert; every committed row still there. */
		tu_stats(db, &st);
		ck_assert_uint_eq(st.rows, rows + committed);
		ck_assert_uint_eq(st.depth, 2);
		ck_assert_uint_eq(st.pages, 513);
		f = rows_from(db, mid);
		ck_assert_uint_eq(f.id, mid + 1);
		f = rows_from(db, 2 * rows);
		ck_assert_uint_eq(f.count, committed);
		tu_require_clean(db, "after the rollback");
	}
	ck_assert_msg(rc == ROWFS_OK, "the insert still fails after %u reads", n);
	ck_assert_uint_ge(trials, 20);
	ck_assert_msg(torn >= 10, "only %u failures came after the insert changed pages", torn);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &st);
	ck_assert_uint_eq(st.rows, rows + committed + 1);
	ck_assert_uint_eq(st.depth, 3);
	total = rows + committed + 1;

	/*
	 * A delete that empties a leaf: it changes the leaf, then reads its
	 * way to the previous leaf to unlink it, frees it, drops it from the
	 * parent.  Leaf 300 of the load holds keys 2 * (30600 + j), j < 102.
	 */
	key = 2 * (300 * 102);
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	for (i = 1; i < 102; i++) {
		char line[32];

		snprintf(line, sizeof(line), "delete %u", key + 2 * i);
		ck_assert_int_eq(tu_exec_emit(db, line, strlen(line), tu_discard, NULL, &err), ROWFS_OK);
	}
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	total -= 101;
	free_before = 0;
	for (n = 1, trials = torn = 0; n < 100; n++) {
		char line[32];

		snprintf(line, sizeof(line), "delete %u", key);
		tu_stats(db, &st);
		free_before = st.free_pages;
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		faultos_fail_read_at(&fo, n, EIO, 0);
		rc = tu_exec_emit(db, line, strlen(line), tu_discard, NULL, &err);
		faultos_disarm(&fo);
		if (rc == ROWFS_OK)
			break;
		trials++;
		ck_assert_msg(rc == ROWFS_IOERR, "read %u: %s (%s)", n, rowfs_rc_name(rc), err.msg);
		if (pager_txn_dirty(rowfs_db_pager(db)))
			torn++;
		ck_assert_int_eq(tu_rollback(db, &err), ROWFS_OK);
		tu_stats(db, &st);
		ck_assert_uint_eq(st.rows, total);
		f = rows_from(db, key);
		ck_assert_uint_eq(f.id, key);
		tu_require_clean(db, "after the delete's rollback");
	}
	ck_assert_msg(rc == ROWFS_OK, "the delete still fails after %u reads", n);
	ck_assert_msg(torn >= 1, "no failure came after the delete changed pages (%u tried)",
		      trials);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	tu_stats(db, &st);
	ck_assert_uint_eq(st.rows, total - 1);
	ck_assert_uint_gt(st.free_pages, free_before);  /* the emptied leaf */
	total--;
	tu_close(db);
	faultos_release(&fo);

	cfg.os = NULL;
	db = tu_open(&cfg);
	f = rows_from(db, mid);
	ck_assert_uint_eq(f.id, mid);
	f = rows_from(db, key);
	ck_assert_uint_eq(f.id, key + 2 * 102);
	f = rows_from(db, 0);
	ck_assert_uint_eq(f.count, total);
	tu_require_clean(db, "after the split and the delete");
	tu_close(db);
}
END_TEST

/* ---- 6. transactions in parts ---------------------------------------------- */

/*
 * The WAL of transactions in parts, cut at and around every frame boundary
 * of its last three transactions (and every 37th byte between): the
 * transactions whose TXN frame lies wholly in the cut survive, nothing of
 * the next one does.  A damaged byte in a part hides its transaction and
 * everything after it.
 */
START_TEST(test_wal_cut_in_parts)
{
	struct rowfs_config cfg;
	struct workload wl;
	struct rowfs_db *db;
	struct rowfs_err err;
	uint64_t offs[1024], end[64], cut, size;
	uint32_t types[1024], nframes, t, i, n, want, parts = 0;
	unsigned long lengths = 0;
	char when[96];

	part_bytes = 200;
	cfg = config(NULL, 0, 1ull << 40);
	workload_init(&wl, 11, 16, 60, 0, 6);
	n = wl.ntxn;
	db = tu_open(&cfg);
	for (t = 0; t < n; t++)
		ck_assert_int_eq(run_txn(db, &wl, t, &err), ROWFS_OK);
	save_files("base");
	tu_close(db);
	size = (uint64_t)tu_try_file_size(tu_path("base-wal"));
	nframes = wal_frames(tu_path("base-wal"), offs, types, 1024);
	ck_assert_uint_lt(nframes, 1024);
	end[0] = WAL_HEADER_SIZE;
	for (i = 0, t = 0; i < nframes; i++) {
		uint64_t e = i + 1 < nframes ? offs[i + 1] : size;

		ck_assert(types[i] == WAL_FRAME_TXN || types[i] == WAL_FRAME_TXN_PART);
		parts += types[i] == WAL_FRAME_TXN_PART;
		if (types[i] == WAL_FRAME_TXN)
			end[++t] = e;
	}
	ck_assert_uint_eq(t, n);
	ck_assert_uint_gt(parts, 2 * n);

	for (cut = end[n - 3]; cut <= size; cut++) {
		int boundary = cut == size;

		for (i = 0; i < nframes; i++)
			if (cut + 1 >= offs[i] && cut <= offs[i] + 1)
				boundary = 1;
		if (!boundary && (cut - end[n - 3]) % 37 != 0)
			continue;
		want = whole_frames(end, n, cut);
		restore_files("base", (off_t)cut);
		snprintf(when, sizeof(when), "WAL of parts cut at %llu of %llu",
			 (unsigned long long)cut, (unsigned long long)size);
		ck_assert_uint_eq(verify_crashed_sync(&wl, want, want, when, ROWFS_SYNC_OFF), want);
		lengths++;
	}
	for (want = 0; want < n; want += 2) {
		uint64_t off = end[want] + WAL_FRAME_HEADER_SIZE + 4;   /* its first frame's payload */
		uint8_t byte;

		restore_files("base", -1);
		tu_pread_at(tu_wal_path, (off_t)off, &byte, 1);
		byte ^= 0x02;
		tu_pwrite_at(tu_wal_path, (off_t)off, &byte, 1);
		snprintf(when, sizeof(when), "WAL of parts, byte %llu damaged", (unsigned long long)off);
		ck_assert_uint_eq(verify_crashed(&wl, want, want, when), want);
	}
	fprintf(stderr, "check_recovery: WAL of %u transactions in %u parts cut at %lu lengths\n",
		n, parts, lengths);
	workload_release(&wl);
	part_bytes = 0;
}
END_TEST

START_TEST(test_power_cut_at_every_write_in_parts)
{
	struct rowfs_config cfg;
	struct workload wl;
	struct cutos counts;
	struct tally tally = { 0 };
	uint64_t k, step;

	part_bytes = 200;
	cfg = config(NULL, 32, 4096);
	workload_init(&wl, 13, 40, 60, 0, 6);
	powerloss_trial(&wl, cfg, CUT_NONE, 0, 0, &counts, &tally);
	ck_assert_uint_gt(counts.ops, 60);
	step = stride_for(counts.ops, 60);
	for (k = 1; k <= counts.ops + 1; k += step)
		powerloss_trial(&wl, cfg, CUT_BEFORE_OP, k, (int)(k % 2), NULL, &tally);
	step = stride_for(counts.syncs, 16);
	for (k = 1; k <= counts.syncs; k += step)
		powerloss_trial(&wl, cfg, CUT_AFTER_SYNC, k, (int)(k % 2), NULL, &tally);
	tally_print("power cut at every write, transactions in parts", &tally);
	workload_release(&wl);
	part_bytes = 0;
}
END_TEST

START_TEST(test_injected_errors_in_parts)
{
	struct workload wl;
	struct tally tally = { 0 };
	unsigned n, persistent;

	part_bytes = 200;
	workload_init(&wl, 14, 30, 30, 0, 6);
	for (persistent = 0; persistent < 2; persistent++) {
		for (n = 1; n <= 8; n++)
			fault_trial(&wl, FAULT_WRITE, n % 2 ? EIO : ENOSPC, n, (int)persistent, &tally);
		for (n = 1; n <= 6; n++)
			fault_trial(&wl, FAULT_SYNC, EIO, n, (int)persistent, &tally);
		fault_trial(&wl, FAULT_TRUNCATE, EIO, 1, (int)persistent, &tally);
	}
	tally_print("injected errors, transactions in parts", &tally);
	ck_assert_uint_ge(tally.commit_failures, 10);
	workload_release(&wl);
	part_bytes = 0;
}
END_TEST

/* ---- events (rowfs_config.event) ------------------------------------------ */

/* The events an open told, one "KIND MESSAGE\n" line each (KIND: the enum's number). */
struct events {
	char text[4096];
	size_t len;
	unsigned count[4];   /* per enum rowfs_event */
};

static void collect_event(void *ctx, int event, const char *msg)
{
	struct events *ev = ctx;
	int n;

	ck_assert_int_ge(event, ROWFS_EVENT_RECOVERY);
	ck_assert_int_le(event, ROWFS_EVENT_IOERR);
	ck_assert_ptr_null(strchr(msg, '\n'));
	ev->count[event]++;
	n = snprintf(ev->text + ev->len, sizeof(ev->text) - ev->len, "%d %s\n", event, msg);
	if (n > 0 && (size_t)n < sizeof(ev->text) - ev->len)
		ev->len += (size_t)n;
}

static void events_clear(struct events *ev)
{
	memset(ev, 0, sizeof(*ev));
}

/* Commit the unit "insert ID name" for ids first..last, one transaction each. */
static void commit_each(struct rowfs_db *db, unsigned first, unsigned last)
{
	struct tu_buf out = {0};
	struct rowfs_err err;
	char line[64];
	unsigned id;

	for (id = first; id <= last; id++) {
		snprintf(line, sizeof(line), "insert %u name%u", id, id);
		ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
		ck_assert_int_eq(tu_exec(db, line, &out, &err), ROWFS_OK);
		ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	}
	tu_buf_free(&out);
}

/*
 * The event callback hears of a recovery at open (a copy of files a live
 * handle left: three transactions in the WAL), of every checkpoint (after
 * that recovery, `.checkpoint`, the close) and of nothing else: a clean
 * reopen recovers nothing, a checkpoint with nothing to do is none, and a
 * failed statement is its caller's business.
 */
START_TEST(test_events_recovery_and_checkpoints)
{
	struct rowfs_config cfg = config(NULL, 32, 1ull << 40);
	struct tu_buf out = {0};
	struct rowfs_db *db, *copy;
	struct rowfs_err err;
	struct events ev;
	char expect[4608];
	const char *copy_path = tu_path("copy.db");
	char copy_wal[4300];

	events_clear(&ev);
	cfg.event = collect_event;
	cfg.event_ctx = &ev;
	db = tu_open(&cfg);
	ck_assert_str_eq(ev.text, "");   /* a new file: nothing recovered */
	commit_each(db, 1, 3);
	ck_assert_uint_eq(ev.len, 0);
	/* a failed statement is no event */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, "insert 1 again", &out, &err), ROWFS_DUPLICATE);
	tu_commit(db, &err);
	ck_assert_uint_eq(ev.len, 0);

	/* the files as a crash would leave them: the WAL holds the three transactions */
	snprintf(copy_wal, sizeof(copy_wal), "%s-wal", copy_path);
	tu_copy_file(tu_db_path, copy_path);
	tu_copy_file(tu_wal_path, copy_wal);
	{
		struct events ev2;
		struct rowfs_config c2 = cfg;

		events_clear(&ev2);
		c2.path = copy_path;
		c2.event_ctx = &ev2;
		copy = tu_open(&c2);
		snprintf(expect, sizeof(expect),
			 "1 recovery of '%s': 3 committed transactions replayed from its WAL\n", copy_path);
		ck_assert_msg(strncmp(ev2.text, expect, strlen(expect)) == 0, "'%s'", ev2.text);
		ck_assert_uint_eq(ev2.count[ROWFS_EVENT_RECOVERY], 1);
		ck_assert_uint_eq(ev2.count[ROWFS_EVENT_CHECKPOINT], 1);   /* the replay's */
		snprintf(expect, sizeof(expect), "2 checkpoint of '%s': ", copy_path);
		ck_assert_msg(strstr(ev2.text, expect) != NULL, "'%s'", ev2.text);
		ck_assert_msg(strstr(ev2.text, "bytes of WAL reset\n") != NULL, "'%s'", ev2.text);
		events_clear(&ev2);
		tu_close(copy);   /* nothing left to checkpoint */
		ck_assert_str_eq(ev2.text, "");
		copy = tu_open(&c2);   /* clean: nothing to recover */
		ck_assert_str_eq(ev2.text, "");
		tu_close(copy);
	}

	/* `.checkpoint`: one event; again with nothing new: none */
	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	ck_assert_int_eq(tu_exec(db, ".checkpoint", &out, &err), ROWFS_OK);
	ck_assert_int_eq(tu_commit(db, &err), ROWFS_OK);
	ck_assert_uint_eq(ev.count[ROWFS_EVENT_CHECKPOINT], 1);
	ck_assert_int_eq(rowfs_checkpoint(db, &err), ROWFS_OK);
	ck_assert_uint_eq(ev.count[ROWFS_EVENT_CHECKPOINT], 1);
	commit_each(db, 4, 4);
	events_clear(&ev);
	tu_close(db);   /* the close's checkpoint */
	snprintf(expect, sizeof(expect), "2 checkpoint of '%s': 2 pages written, ", tu_db_path);
	ck_assert_msg(strncmp(ev.text, expect, strlen(expect)) == 0, "'%s'", ev.text);
	ck_assert_uint_eq(ev.count[ROWFS_EVENT_CHECKPOINT], 1);
	ck_assert_uint_eq(ev.count[ROWFS_EVENT_RECOVERY], 0);
	tu_buf_free(&out);
}
END_TEST

/*
 * A checkpoint after a commit that fails (the WAL passed its limit, the
 * disk refuses a write) is told as an I/O error, since the commit stands
 * and nobody else hears of it; the next write recovers, which is told too.
 */
START_TEST(test_events_failed_checkpoint_and_recovery)
{
	struct rowfs_config cfg;
	struct faultos fo;
	struct rowfs_db *db;
	struct events ev;
	char expect[4608];

	faultos_init(&fo);
	cfg = config(&fo.os, 32, 1);   /* every commit checkpoints */
	events_clear(&ev);
	cfg.event = collect_event;
	cfg.event_ctx = &ev;
	db = tu_open(&cfg);
	commit_each(db, 1, 1);
	ck_assert_uint_eq(ev.count[ROWFS_EVENT_CHECKPOINT], 1);
	events_clear(&ev);
	/* the commit's writes: the TXN frame; then the checkpoint's first write fails */
	faultos_fail_write_at(&fo, 2, EIO, 0);
	commit_each(db, 2, 2);
	snprintf(expect, sizeof(expect), "3 checkpoint of '%s' after a commit failed: ",
		 tu_db_path);
	ck_assert_msg(strncmp(ev.text, expect, strlen(expect)) == 0, "'%s'", ev.text);
	ck_assert_uint_eq(ev.count[ROWFS_EVENT_IOERR], 1);
	ck_assert_uint_eq(ev.count[ROWFS_EVENT_CHECKPOINT], 0);
	events_clear(&ev);
	commit_each(db, 3, 3);   /* recovers first */
	snprintf(expect, sizeof(expect),
		 "1 recovery of '%s' after an I/O error: state reloaded from the file, "
		 "1 committed transaction replayed from its WAL\n", tu_db_path);
	ck_assert_msg(strncmp(ev.text, expect, strlen(expect)) == 0, "'%s'", ev.text);
	ck_assert_uint_eq(ev.count[ROWFS_EVENT_RECOVERY], 1);
	ck_assert_uint_ge(ev.count[ROWFS_EVENT_CHECKPOINT], 1);
	tu_close(db);
	faultos_release(&fo);
}
END_TEST

static TCase *tcase(Suite *s, const char *name, int timeout)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, tu_dir_setup, tu_dir_teardown);
	tcase_set_timeout(tc, timeout * (tu_flag("ROWFS_SLOW") ? 10 : 1));
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *recovery_suite(void)
{
	Suite *s = suite_create("recovery");
	TCase *tc;

	tc = tcase(s, "walcut", 120);
	tcase_add_test(tc, test_wal_cut_at_every_offset);
	tcase_add_test(tc, test_wal_cut_inside_checkpoint_block);
	tc = tcase(s, "powerloss", 240);
	tcase_add_test(tc, test_power_cut_at_every_write);
	tcase_add_test(tc, test_power_cut_inside_checkpoint);
	tcase_add_test(tc, test_power_cut_sync_normal);
	tcase_add_test(tc, test_power_cut_during_recovery);
	tc = tcase(s, "errors", 120);
	tcase_add_test(tc, test_injected_errors_in_commit_and_checkpoint);
	tcase_add_test(tc, test_error_messages);
	tcase_add_test(tc, test_reads_after_failed_recovery);
	tcase_add_test(tc, test_close_while_the_disk_fails);
	tcase_add_test(tc, test_failed_commit_stays_failed);
	tcase_add_test(tc, test_torn_wal_tail_is_ignored);
	tc = tcase(s, "kill", 120);
	tcase_add_test(tc, test_kill_minus_9);
	tc = tcase(s, "rollback", 120);
	tcase_add_test(tc, test_failed_statement_rolls_back);
	tc = tcase(s, "parts", 240);
	tcase_add_test(tc, test_wal_cut_in_parts);
	tcase_add_test(tc, test_power_cut_at_every_write_in_parts);
	tcase_add_test(tc, test_injected_errors_in_parts);
	tc = tcase(s, "events", 60);
	tcase_add_test(tc, test_events_recovery_and_checkpoints);
	tcase_add_test(tc, test_events_failed_checkpoint_and_recovery);
	return s;
}

int main(void)
{
	return tu_run("check_recovery", recovery_suite());
}
