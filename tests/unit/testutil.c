/*
 * testutil.c - the plumbing the unit tests share; see testutil.h for what
 * it owns and for the contract of each function.
 */
#include <config.h>

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_int.h"
#include "format.h"
#include "pager.h"
#include "row.h"

char tu_dir[4096];
char tu_db_path[4200];
char tu_wal_path[4210];

static const char *program = "rowfs-test";   /* tu_run's name: the directory prefix */

/* ---- running a test program ---------------------------------------------- */

int tu_run(const char *name, Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	int failed;

	program = name;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int tu_flag(const char *var)
{
	const char *s = getenv(var);

	return s && *s && strcmp(s, "0") != 0;
}

uint64_t tu_seed(const char *var, uint64_t fallback)
{
	const char *env = getenv(var);
	unsigned long long value;
	char *end;

	if (!env || !*env)
		return fallback;
	errno = 0;
	value = strtoull(env, &end, 0);
	if (*end || errno) {
		fprintf(stderr, "%s '%s' is not a number\n", var, env);
		exit(99);
	}
	return value;
}

/* ---- the temporary directory --------------------------------------------- */

void tu_dir_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(tu_dir, sizeof(tu_dir), "%s/%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", program);
	if (!mkdtemp(tu_dir)) {
		fprintf(stderr, "mkdtemp '%s': %s\n", tu_dir, strerror(errno));
		abort();
	}
	snprintf(tu_db_path, sizeof(tu_db_path), "%s/test.db", tu_dir);
	snprintf(tu_wal_path, sizeof(tu_wal_path), "%s-wal", tu_db_path);
}

void tu_dir_clear(void)
{
	DIR *d = opendir(tu_dir);
	struct dirent *de;
	char p[4400];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", tu_dir, de->d_name);
		unlink(p);
	}
	closedir(d);
}

void tu_dir_teardown(void)
{
	tu_dir_clear();
	rmdir(tu_dir);
}

const char *tu_path(const char *name)
{
	static char bufs[8][4400];
	static unsigned slot;
	char *p = bufs[slot++ % 8];

	snprintf(p, sizeof(bufs[0]), "%s/%s", tu_dir, name);
	return p;
}

/* ---- reply buffers and emit sinks ---------------------------------------- */

int tu_buf_emit(void *ctx, const char *text, size_t len)
{
	struct tu_buf *b = ctx;

	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *n;

		while (cap < b->len + len + 1)
			cap *= 2;
		n = realloc(b->data, cap);
		if (!n)
			return 1;
		b->data = n;
		b->cap = cap;
	}
	memcpy(b->data + b->len, text, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

void tu_buf_free(struct tu_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int tu_discard(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	(void)text;
	(void)len;
	return 0;
}

int tu_expect_executed(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	return !(len == 10 && memcmp(text, "Executed.\n", 10) == 0);
}

/* ---- databases ------------------------------------------------------------- */

/*
 * The write transaction each open database holds for its caller's units
 * (see testutil.h, "units"), and the boundaries of the ones that ended.
 */
#define TU_UNIT_SLOTS 16
static struct {
	struct rowfs_db *db;       /* the database (NULL: slot free) */
	struct rowfs_txn *txn;     /* its write transaction, or NULL between units */
	uint64_t boundaries;       /* boundaries of its earlier write transactions */
} units[TU_UNIT_SLOTS];

/* The slot of db, taken if new (the test fails when all are taken). */
static unsigned unit_slot(struct rowfs_db *db)
{
	unsigned i, free_slot = TU_UNIT_SLOTS;

	for (i = 0; i < TU_UNIT_SLOTS; i++) {
		if (units[i].db == db)
			return i;
		if (!units[i].db && free_slot == TU_UNIT_SLOTS)
			free_slot = i;
	}
	ck_assert_msg(free_slot < TU_UNIT_SLOTS, "more than %d databases open", TU_UNIT_SLOTS);
	units[free_slot].db = db;
	units[free_slot].txn = NULL;
	units[free_slot].boundaries = 0;
	return free_slot;
}

/* db is closed: forget its slot (rowfs_close aborts a write transaction still open). */
static void unit_forget(struct rowfs_db *db)
{
	unsigned i;

	for (i = 0; i < TU_UNIT_SLOTS; i++)
		if (units[i].db == db)
			memset(&units[i], 0, sizeof(units[i]));
}

/* The write transaction of slot i ended (committed or aborted by the caller). */
static void unit_ended(unsigned i)
{
	units[i].boundaries += rowfs_txn_boundaries(units[i].txn);
	units[i].txn = NULL;
}

struct rowfs_db *tu_open(const struct rowfs_config *cfg)
{
	struct rowfs_db *db = NULL;
	struct rowfs_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = rowfs_open(cfg, &db, &err);
	ck_assert_msg(rc == ROWFS_OK, "rowfs_open '%s'%s: %s (%s)", cfg->path,
		      cfg->read_only ? " (read-only)" : "", rowfs_rc_name(rc), err.msg);
	unit_forget(db);
	return db;
}

int tu_close_rc(struct rowfs_db *db, struct rowfs_err *err)
{
	unit_forget(db);
	return rowfs_close(db, err);
}

void tu_close(struct rowfs_db *db)
{
	struct rowfs_err err;
	int rc;

	memset(&err, 0, sizeof(err));
	rc = tu_close_rc(db, &err);
	ck_assert_msg(rc == ROWFS_OK, "rowfs_close: %s (%s)", rowfs_rc_name(rc), err.msg);
}

/* ---- units ------------------------------------------------------------------ */

struct rowfs_txn *tu_txn(struct rowfs_db *db)
{
	return units[unit_slot(db)].txn;
}

int tu_begin(struct rowfs_db *db, struct rowfs_err *err)
{
	unsigned i = unit_slot(db);

	if (units[i].txn)
		return ROWFS_OK;   /* an explicit transaction goes on */
	return rowfs_txn_begin(db, 0, &units[i].txn, err);
}

int tu_commit(struct rowfs_db *db, struct rowfs_err *err)
{
	unsigned i = unit_slot(db);
	int rc;

	if (!units[i].txn || rowfs_txn_state(units[i].txn) != ROWFS_TXN_NONE)
		return ROWFS_OK;   /* the unit ends, an explicit transaction goes on */
	units[i].boundaries += rowfs_txn_boundaries(units[i].txn);
	rc = rowfs_txn_commit(units[i].txn, err);
	units[i].txn = NULL;
	return rc;
}

int tu_rollback(struct rowfs_db *db, struct rowfs_err *err)
{
	unsigned i = unit_slot(db);

	(void)err;
	if (!units[i].txn || rowfs_txn_state(units[i].txn) != ROWFS_TXN_NONE)
		return ROWFS_OK;   /* inside an explicit transaction a unit has nothing to undo */
	{
		struct rowfs_txn *txn = units[i].txn;

		unit_ended(i);
		rowfs_txn_abort(txn);
	}
	return ROWFS_OK;
}

int tu_txn_abort(struct rowfs_db *db, struct rowfs_err *err)
{
	unsigned i = unit_slot(db);
	struct rowfs_txn *txn = units[i].txn;

	(void)err;
	if (txn) {
		unit_ended(i);
		rowfs_txn_abort(txn);
	}
	return ROWFS_OK;
}

int tu_txn_state(struct rowfs_db *db)
{
	struct rowfs_txn *txn = tu_txn(db);

	return txn ? rowfs_txn_state(txn) : ROWFS_TXN_NONE;
}

uint64_t tu_txn_boundaries(struct rowfs_db *db)
{
	unsigned i = unit_slot(db);

	return units[i].boundaries + (units[i].txn ? rowfs_txn_boundaries(units[i].txn) : 0);
}

int tu_exec_emit(struct rowfs_db *db, const char *line, size_t len, rowfs_emit_fn emit,
		 void *ctx, struct rowfs_err *err)
{
	struct rowfs_txn *txn = tu_txn(db);

	ck_assert_msg(txn != NULL, "a statement outside a unit (tu_begin first)");
	return rowfs_exec(txn, line, len, emit, ctx, err);
}

/* ---- reads ------------------------------------------------------------------ */

int tu_exec_committed(struct rowfs_db *db, const char *line, size_t len, rowfs_emit_fn emit,
		      void *ctx, struct rowfs_err *err)
{
	struct rowfs_txn *reader;
	int rc = rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, err);

	if (rc)
		return rc;
	rc = rowfs_exec(reader, line, len, emit, ctx, err);
	rowfs_txn_abort(reader);
	return rc;
}

/*
 * The transaction a read of db goes through: the unit's write transaction
 * if one is held, else a new read transaction (*own set: end it after).
 */
static int read_txn(struct rowfs_db *db, struct rowfs_txn **txn, int *own,
		    struct rowfs_err *err)
{
	*txn = tu_txn(db);
	*own = *txn == NULL;
	return *own ? rowfs_txn_begin(db, ROWFS_TXN_RDONLY, txn, err) : ROWFS_OK;
}

/* Adapter from the typed rows of users to a tu_row_fn. */
struct users_rows {
	tu_row_fn fn;   /* the test's callback */
	void *ctx;      /* its argument */
};

static int users_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct users_rows *u = ctx;

	REQUIRE(n == 2 && vals[0].type == ROWFS_TYPE_INTEGER && vals[0].i == key &&
			vals[1].type == ROWFS_TYPE_TEXT,
		"a users row of key %lld is not (integer key, text)", (long long)key);
	return u->fn(u->ctx, (uint32_t)key, vals[1].p, vals[1].len);
}

int tu_scan_txn(struct rowfs_txn *txn, uint64_t start, tu_row_fn fn, void *ctx,
		struct rowfs_err *err)
{
	struct users_rows u = {fn, ctx};

	if (start > (uint64_t)UINT32_MAX)
		start = (uint64_t)UINT32_MAX + 1;
	return rowfs_scan(txn, NULL, (int64_t)start, users_row, &u, err);
}

int tu_scan(struct rowfs_db *db, uint64_t start, tu_row_fn fn, void *ctx, struct rowfs_err *err)
{
	struct rowfs_txn *txn;
	int own, rc = read_txn(db, &txn, &own, err);

	if (rc)
		return rc;
	rc = tu_scan_txn(txn, start, fn, ctx, err);
	if (own)
		rowfs_txn_abort(txn);
	return rc;
}

/* Where tu_get_txn copies the name. */
struct got_name {
	char *name;       /* room for ROWFS_USERNAME_MAX bytes */
	size_t *len;      /* its length */
};

static int got_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct got_name *g = ctx;
	size_t len = n > 1 ? vals[1].len : 0;

	(void)key;
	if (len > ROWFS_USERNAME_MAX)
		len = ROWFS_USERNAME_MAX;
	memcpy(g->name, vals[1].p, len);
	*g->len = len;
	return 0;
}

int tu_get_txn(struct rowfs_txn *txn, uint32_t id, int *found, char *name, size_t *name_len,
	       struct rowfs_err *err)
{
	struct got_name g = {name, name_len};

	*name_len = 0;
	return rowfs_get(txn, NULL, id, got_row, &g, found, err);
}

int tu_get(struct rowfs_db *db, uint32_t id, int *found, char *name, size_t *name_len,
	   struct rowfs_err *err)
{
	struct rowfs_txn *txn;
	int own, rc;

	*found = 0;
	*name_len = 0;
	rc = read_txn(db, &txn, &own, err);
	if (rc)
		return rc;
	rc = tu_get_txn(txn, id, found, name, name_len, err);
	if (own)
		rowfs_txn_abort(txn);
	return rc;
}

int tu_last_start_txn(struct rowfs_txn *txn, uint64_t count, uint64_t *start,
		      struct rowfs_err *err)
{
	int64_t key = 0;
	int found = 0;
	int rc = rowfs_last_start(txn, NULL, count, &key, &found, err);

	*start = found ? (uint64_t)key : (uint64_t)UINT32_MAX + 1;
	return rc;
}

int tu_last_start(struct rowfs_db *db, uint64_t count, uint64_t *start, struct rowfs_err *err)
{
	struct rowfs_txn *txn;
	int own, rc;

	*start = (uint64_t)UINT32_MAX + 1;
	rc = read_txn(db, &txn, &own, err);
	if (rc)
		return rc;
	rc = tu_last_start_txn(txn, count, start, err);
	if (own)
		rowfs_txn_abort(txn);
	return rc;
}

int tu_render_btree(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err)
{
	struct rowfs_txn *txn;
	int own, rc = read_txn(db, &txn, &own, err);

	if (rc)
		return rc;
	rc = rowfs_render_btree(txn, emit, ctx, err);
	if (own)
		rowfs_txn_abort(txn);
	return rc;
}

int tu_render_stats(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err)
{
	struct rowfs_txn *txn;
	int own, rc = read_txn(db, &txn, &own, err);

	if (rc)
		return rc;
	rc = rowfs_render_stats(txn, emit, ctx, err);
	if (own)
		rowfs_txn_abort(txn);
	return rc;
}

void tu_stats(struct rowfs_db *db, struct rowfs_stats *st)
{
	struct rowfs_txn *txn;
	struct rowfs_err err;
	int own, rc = read_txn(db, &txn, &own, &err);

	ck_assert_msg(rc == ROWFS_OK, "tu_stats: %s (%s)", rowfs_rc_name(rc), err.msg);
	rc = rowfs_get_stats(txn, st, &err);
	if (own)
		rowfs_txn_abort(txn);
	ck_assert_msg(rc == ROWFS_OK, "rowfs_get_stats: %s (%s)", rowfs_rc_name(rc), err.msg);
}

int tu_check(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, uint64_t *problems,
	     struct rowfs_err *err)
{
	struct rowfs_txn *txn;
	int own, rc;

	*problems = 0;
	rc = read_txn(db, &txn, &own, err);
	if (rc)
		return rc;
	rc = rowfs_check(txn, emit, ctx, problems, err);
	if (own)
		rowfs_txn_abort(txn);
	return rc;
}

int tu_exec_len(struct rowfs_db *db, const char *line, size_t len, struct tu_buf *out,
		struct rowfs_err *err)
{
	out->len = 0;
	if (out->data)
		out->data[0] = '\0';
	memset(err, 0, sizeof(*err));
	return tu_exec_emit(db, line, len, tu_buf_emit, out, err);
}

int tu_exec(struct rowfs_db *db, const char *line, struct tu_buf *out, struct rowfs_err *err)
{
	return tu_exec_len(db, line, strlen(line), out, err);
}

void tu_expect_reply_in_txn(struct rowfs_db *db, const char *line, const char *reply)
{
	struct rowfs_err err;
	struct tu_buf out = {0};
	int rc = tu_exec(db, line, &out, &err);

	ck_assert_msg(rc == ROWFS_OK, "'%s': rc %d (%s)", line, rc, err.msg);
	ck_assert_msg(out.data && strcmp(out.data, reply) == 0, "'%s': reply '%s', want '%s'", line,
		      out.data ? out.data : "", reply);
	tu_buf_free(&out);
}

void tu_expect_reply(struct rowfs_db *db, const char *line, const char *reply)
{
	struct rowfs_err err;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	tu_expect_reply_in_txn(db, line, reply);
	ck_assert_msg(tu_commit(db, &err) == ROWFS_OK, "commit: %s", err.msg);
}

char *tu_reply_of(struct rowfs_db *db, const char *line)
{
	struct rowfs_err err;
	struct tu_buf out = {0};
	int rc;

	ck_assert_int_eq(tu_begin(db, &err), ROWFS_OK);
	rc = tu_exec(db, line, &out, &err);
	ck_assert_msg(rc == ROWFS_OK, "'%s': rc %d (%s)", line, rc, err.msg);
	ck_assert_msg(tu_commit(db, &err) == ROWFS_OK, "commit: %s", err.msg);
	return out.data;
}

/* tu_row_fn of tu_table_text: append "id=name " to the struct tu_buf ctx. */
static int collect_row(void *ctx, uint32_t id, const char *name, size_t name_len)
{
	char text[80];
	int n = snprintf(text, sizeof(text), "%u=%.*s ", id, (int)name_len, name);

	return tu_buf_emit(ctx, text, (size_t)n);
}

char *tu_table_text_txn(struct rowfs_txn *txn)
{
	struct tu_buf b = {0};
	struct rowfs_err err;
	int rc = tu_scan_txn(txn, 0, collect_row, &b, &err);

	ck_assert_msg(rc == ROWFS_OK, "scan: %s (%s)", rowfs_rc_name(rc), err.msg);
	return b.data ? b.data : strdup("");
}

char *tu_table_text(struct rowfs_db *db)
{
	struct tu_buf b = {0};
	struct rowfs_err err;
	int rc = tu_scan(db, 0, collect_row, &b, &err);

	ck_assert_msg(rc == ROWFS_OK, "scan: %s (%s)", rowfs_rc_name(rc), err.msg);
	return b.data ? b.data : strdup("");
}

void tu_require_clean(struct rowfs_db *db, const char *what)
{
	const char *sep = what ? ": " : "";
	struct tu_buf b = {0};
	struct rowfs_err err;
	uint64_t problems = 99;
	int rc;

	what = what ? what : "";
	memset(&err, 0, sizeof(err));
	rc = tu_check(db, tu_buf_emit, &b, &problems, &err);
	REQUIRE(rc == ROWFS_OK, "%s%srowfs_check: %s (%s)", what, sep, rowfs_rc_name(rc), err.msg);
	REQUIRE(problems == 0, "%s%srowfs_check found %llu problems:\n%s", what, sep,
		(unsigned long long)problems, b.data ? b.data : "");
	tu_buf_free(&b);
}

void tu_read_page(struct rowfs_db *db, uint32_t pgno, uint8_t *out)
{
	struct rowfs_err err;
	struct page *page;

	REQUIRE(pager_get(rowfs_db_pager(db), pgno, &page, &err) == ROWFS_OK, "pager_get %u: %s",
		pgno, err.msg);
	memcpy(out, page_data(page), PAGE_SIZE);
	pager_unref(page);
}

/* ---- files ----------------------------------------------------------------- */

off_t tu_file_size(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "stat '%s': %s", path, strerror(errno));
	return st.st_size;
}

off_t tu_try_file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return st.st_size;
}

/* The whole of fd (size bytes) in a buffer with one spare byte; closes fd. */
static uint8_t *read_fd(int fd, const char *path, off_t size)
{
	uint8_t *buf = malloc((size_t)size + 1);

	ck_assert_ptr_nonnull(buf);
	ck_assert_msg(pread(fd, buf, (size_t)size, 0) == size, "pread '%s': short read", path);
	close(fd);
	return buf;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;

	ck_assert_msg(fd >= 0, "open '%s': %s", path, strerror(errno));
	ck_assert_int_eq(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	return read_fd(fd, path, st.st_size);
}

uint8_t *tu_try_read_file(const char *path, size_t *len)
{
	*len = 0;
	if (tu_try_file_size(path) < 0)
		return NULL;
	return tu_read_file(path, len);
}

void tu_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_msg(fd >= 0, "open '%s': %s", path, strerror(errno));
	ck_assert_msg(write(fd, data, len) == (ssize_t)len, "write '%s': short write", path);
	close(fd);
}

void *tu_memdup(const void *p, size_t len)
{
	void *copy = malloc(len ? len : 1);

	REQUIRE(copy, "out of memory");
	if (len)
		memcpy(copy, p, len);
	return copy;
}

void tu_copy_file(const char *from, const char *to)
{
	size_t len;
	uint8_t *buf = tu_read_file(from, &len);

	tu_write_file(to, buf, len);
	free(buf);
}

void tu_pread_at(const char *path, off_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	ck_assert_msg(fd >= 0, "open '%s': %s", path, strerror(errno));
	ck_assert_msg(pread(fd, buf, len, off) == (ssize_t)len, "pread '%s' at %lld: short read",
		      path, (long long)off);
	close(fd);
}

void tu_pwrite_at(const char *path, off_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY);

	ck_assert_msg(fd >= 0, "open '%s': %s", path, strerror(errno));
	ck_assert_msg(pwrite(fd, buf, len, off) == (ssize_t)len, "pwrite '%s' at %lld: short write",
		      path, (long long)off);
	close(fd);
}

void tu_set_header_u32(const char *path, uint32_t offset, uint32_t value, int fix_checksum)
{
	uint8_t page[PAGE_SIZE];

	tu_pread_at(path, 0, page, PAGE_SIZE);
	put_u32(page + offset, value);
	if (fix_checksum)
		pager_header_seal(page);
	tu_pwrite_at(path, 0, page, PAGE_SIZE);
}

uint32_t tu_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void tu_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* ---- deterministic randomness ---------------------------------------------- */

uint64_t tu_next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* The characters tu_random_name draws from: one byte each, then multi-byte UTF-8. */
static const char ascii_chars[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
static const char *const utf8_chars[] = {
	"\xc3\xa9", "\xc3\x9f", "\xe2\x82\xac", "\xe6\x97\xa5", "\xf0\x9f\x98\x80",
};

void tu_random_name(uint64_t *rng, char *name, size_t len)
{
	size_t at = 0;

	while (at < len) {
		const char *mb = utf8_chars[tu_next_random(rng) % 5];
		size_t mlen = strlen(mb);

		if (tu_next_random(rng) % 8 == 0 && at + mlen <= len) {
			memcpy(name + at, mb, mlen);
			at += mlen;
		} else {
			name[at++] = ascii_chars[tu_next_random(rng) % (sizeof(ascii_chars) - 1)];
		}
	}
	if (len >= 2 && name[0] == '-' && name[1] == '-')
		name[1] = '_';   /* after a blank, "--" starts a comment (Part 2) */
	name[len] = '\0';
}

int tu_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- version-1 databases ------------------------------------------------- */

/* FNV-1a (32 bits) as rowfs(5) defines the header checksum, written here from the spec. */
static uint32_t spec_fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* The cells of leaf i of a tu_build_v1 file: ids first..last. */
static void v1_leaf(uint8_t *page, uint32_t first, uint32_t last, uint32_t parent,
		    uint32_t next, int is_root)
{
	uint32_t id, n = 0;

	memset(page, 0, PAGE_SIZE);
	page[NODE_TYPE_OFFSET] = NODE_LEAF;
	page[IS_ROOT_OFFSET] = (uint8_t)is_root;
	tu_put_le32(page + PARENT_POINTER_OFFSET, parent);
	for (id = first; id <= last && id != 0; id++, n++) {
		uint8_t *cell = page + LEAF_NODE_HEADER_SIZE + (size_t)n * LEAF_NODE_CELL_SIZE;
		char name[USERNAME_SIZE + 1];

		snprintf(name, sizeof(name), "user_%u", id);
		tu_put_le32(cell + LEAF_NODE_KEY_OFFSET, id);
		tu_put_le32(cell + LEAF_NODE_VALUE_OFFSET + ID_OFFSET, id);
		memcpy(cell + LEAF_NODE_VALUE_OFFSET + USERNAME_OFFSET, name, strlen(name));
	}
	tu_put_le32(page + LEAF_NODE_NUM_CELLS_OFFSET, n);
	tu_put_le32(page + LEAF_NODE_NEXT_LEAF_OFFSET, next);
}

void tu_build_v1(const char *path, uint32_t rows, uint32_t free_pages)
{
	const uint32_t fill = 77;   /* cells per leaf: not full, so inserts do not split at once */
	uint32_t leaves = rows <= fill ? 1 : (rows + fill - 1) / fill;
	uint32_t first_leaf = leaves == 1 ? 1 : 2;
	uint32_t page_count = first_leaf + leaves + free_pages, i;
	uint8_t *file, *p;

	ck_assert_uint_le(leaves, INTERNAL_NODE_MAX_KEYS + 1);
	file = calloc(page_count, PAGE_SIZE);
	ck_assert_ptr_nonnull(file);
	for (i = 0; i < leaves; i++) {
		uint32_t first = i * fill + 1, last = first + fill - 1;

		if (last > rows)
			last = rows;
		v1_leaf(file + (size_t)(first_leaf + i) * PAGE_SIZE, rows ? first : 0,
			rows ? last : 0, leaves == 1 ? 0 : 1,
			i + 1 < leaves ? first_leaf + i + 1 : 0, leaves == 1);
	}
	if (leaves > 1) {
		p = file + PAGE_SIZE;
		p[NODE_TYPE_OFFSET] = NODE_INTERNAL;
		p[IS_ROOT_OFFSET] = 1;
		tu_put_le32(p + INTERNAL_NODE_NUM_KEYS_OFFSET, leaves - 1);
		tu_put_le32(p + INTERNAL_NODE_RIGHT_CHILD_OFFSET, first_leaf + leaves - 1);
		for (i = 0; i + 1 < leaves; i++) {
			uint8_t *cell = p + INTERNAL_NODE_HEADER_SIZE + (size_t)i * INTERNAL_NODE_CELL_SIZE;

			tu_put_le32(cell, first_leaf + i);
			tu_put_le32(cell + INTERNAL_NODE_CHILD_SIZE, (i + 1) * fill);
		}
	}
	for (i = 0; i < free_pages; i++) {   /* a list in page order */
		uint32_t pgno = first_leaf + leaves + i;

		p = file + (size_t)pgno * PAGE_SIZE;
		p[NODE_TYPE_OFFSET] = NODE_FREE;
		tu_put_le32(p + FREE_PAGE_NEXT_OFFSET, i + 1 < free_pages ? pgno + 1 : 0);
	}
	p = file;
	memcpy(p, "rowfs format 1\0\0", 16);
	tu_put_le32(p + 16, 1);                        /* format version */
	tu_put_le32(p + 20, PAGE_SIZE);
	tu_put_le32(p + 24, 1);                        /* root */
	tu_put_le32(p + 28, page_count);
	tu_put_le32(p + 32, free_pages ? first_leaf + leaves : 0);
	tu_put_le32(p + 36, free_pages);
	tu_put_le32(p + 40, 3);                        /* change counter (u64) */
	tu_put_le32(p + 56, rows);                     /* row count (u64) */
	tu_put_le32(p + 64, spec_fnv1a(p, 64));
	tu_write_file(path, file, (size_t)page_count * PAGE_SIZE);
	free(file);
}
