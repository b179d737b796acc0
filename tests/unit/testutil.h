/*
 * testutil.h - the plumbing the unit tests share (tests/unit/check_*.c).
 *
 * Owns, once for every test program:
 *   - REQUIRE(), the assertion for loops over many rows;
 *   - tu_run(), the main() of a check program, and the environment knobs
 *     (tu_flag for ROWFS_SLOW and friends, tu_seed for ROWFS_SEED);
 *   - the temporary directory: "$TMPDIR/<program>.XXXXXX" with test.db and
 *     test.db-wal paths in it, and the fixture functions that create,
 *     empty and remove it;
 *   - the growable reply buffer and the emit sinks handed to rowfs_exec,
 *     rowfs_check and the render functions;
 *   - opening and closing a database with a config; units of statements
 *     in the write transaction as ctl and rowsh run them, and reads
 *     through it or through a read transaction of their own; running a
 *     statement into a reply buffer, the reply and "table as text"
 *     helpers, the rowfs_check() that must find nothing, and a copy of one
 *     page as the handle's pager sees it;
 *   - files: size, read whole, write whole, copy, and pread/pwrite of a
 *     few bytes at an offset (how tests damage a file), including a u32
 *     header field with its checksum recomputed as pager.c does;
 *     exact-size heap copies (tu_memdup) and little-endian u32s;
 *   - the splitmix64 generator, random valid names and a u32 comparator.
 *
 * A test that uses the directory declares it per TCase:
 *
 *	tcase_add_unchecked_fixture(tc, tu_dir_setup, tu_dir_teardown);
 *	tcase_add_checked_fixture(tc, tu_dir_clear, NULL);
 *
 * or per test (tcase_add_checked_fixture(tc, tu_dir_setup,
 * tu_dir_teardown)), and ends main() with
 * "return tu_run("check_NAME", NAME_suite());".
 *
 * What is not here: the oracles.  Whatever a test checks (the model of
 * check_db and check_delete, the expect_error() of check_vm and
 * check_delete, fsck's report capture) stays in the test that owns it;
 * this file only moves bytes and fails the test when plumbing breaks.
 *
 * Every function that can fail asserts with check's ck_assert_* (or
 * REQUIRE) and so ends the test at the first failure; none returns an
 * error code unless its comment says so.  Names start with tu_ ("test
 * util").  There is one test directory at a time (globals), so none of
 * this is thread-safe; check's fork mode runs one test per process.
 */
#ifndef ROWFS_TESTS_UNIT_TESTUTIL_H
#define ROWFS_TESTS_UNIT_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rowfs.h"

/*
 * Like ck_assert_msg, without check's per-assertion write(2) when it
 * passes (ck_assert records the location of every assertion that passes,
 * one write each in fork mode): use it in loops over many rows.
 */
#define REQUIRE(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* ---- running a test program ---------------------------------------------- */

/*
 * tu_run - the body of main(): remember name (the program, "check_btree":
 * it names the temporary directory), run every test of suite in check's
 * default (fork) mode, free the runner.  Returns EXIT_SUCCESS if no test
 * failed, EXIT_FAILURE otherwise.
 */
int tu_run(const char *name, Suite *suite);

/*
 * tu_flag - 1 if the environment variable var is set, not empty and not
 * "0" (ROWFS_SLOW=1, ROWFS_KNOWN_BUGS=1), else 0.
 */
int tu_flag(const char *var);

/*
 * tu_seed - the number in the environment variable var (ROWFS_SEED), read
 * as strtoull does with base 0 (decimal, 0x hex), or fallback when var is
 * unset or empty.  Anything else is a usage error: the message goes to
 * stderr and the program exits with 99, check's "hard error".
 */
uint64_t tu_seed(const char *var, uint64_t fallback);

/* ---- the temporary directory --------------------------------------------- */

extern char tu_dir[4096];        /* the directory, after tu_dir_setup() */
extern char tu_db_path[4200];    /* tu_dir/test.db */
extern char tu_wal_path[4210];   /* tu_dir/test.db-wal */

/*
 * tu_dir_setup - create "$TMPDIR/<name>.XXXXXX" (/tmp when TMPDIR is unset
 * or empty; name as given to tu_run) and fill tu_dir, tu_db_path and
 * tu_wal_path.  Aborts with a message if mkdtemp fails.  Usable as a
 * checked fixture (a directory per test) or, with tu_dir_clear as checked
 * setup, as an unchecked one (a directory per TCase, created and removed
 * in the parent, so it is removed even when a test crashes).
 */
void tu_dir_setup(void);

/* tu_dir_clear - unlink every file in tu_dir (not recursive: tests make no subdirectories). */
void tu_dir_clear(void);

/* tu_dir_teardown - tu_dir_clear(), then remove tu_dir itself. */
void tu_dir_teardown(void);

/*
 * tu_path - "tu_dir/name" in a static buffer, one of eight used in turn:
 * valid until eight more calls.
 */
const char *tu_path(const char *name);

/* ---- reply buffers and emit sinks ---------------------------------------- */

/* A growable, always NUL-terminated text buffer; {0} is an empty one. */
struct tu_buf {
	char *data;      /* malloc'd, NULL until the first emit */
	size_t len;      /* bytes in data, the NUL excluded */
	size_t cap;      /* bytes allocated */
};

/*
 * tu_buf_emit - rowfs_emit_fn that appends text to the struct tu_buf ctx.
 * Returns 0, or 1 when memory runs out (the engine then fails with
 * ROWFS_NOMEM).
 */
int tu_buf_emit(void *ctx, const char *text, size_t len);

/* tu_buf_free - free b's memory and make it empty again. */
void tu_buf_free(struct tu_buf *b);

/* tu_discard - rowfs_emit_fn that ignores everything (ctx unused). */
int tu_discard(void *ctx, const char *text, size_t len);

/*
 * tu_expect_executed - rowfs_emit_fn that accepts exactly "Executed.\n"
 * (ctx unused); any other text returns 1, so rowfs_exec fails with
 * ROWFS_NOMEM and the caller's rc check catches it.
 */
int tu_expect_executed(void *ctx, const char *text, size_t len);

/* ---- databases ------------------------------------------------------------- */

/*
 * tu_open - rowfs_open(cfg); fails the test (naming the path, the code and
 * the message) unless it returns ROWFS_OK.  Returns the handle.
 */
struct rowfs_db *tu_open(const struct rowfs_config *cfg);

/*
 * tu_close_rc - rowfs_close(db) (which aborts the write transaction a unit
 * left open), returning its code; tu_close - the same, which must succeed.
 * Tests close through these, never rowfs_close, so the units below forget
 * the database.
 */
int tu_close_rc(struct rowfs_db *db, struct rowfs_err *err);
void tu_close(struct rowfs_db *db);

/*
 * ---- units ----
 * Tests drive the engine as ctl and rowsh do (rowfs.h, "Units"): a unit
 * of statements runs in the write transaction, taken at tu_begin and
 * ended at tu_commit or tu_rollback, except that while an explicit
 * transaction is open in it (rowfs_txn_state != ROWFS_TXN_NONE) the unit's
 * end keeps it, for the next unit.  The transaction held for each open
 * database (at most 16) is remembered here:
 *   tu_begin       take the write transaction unless one is held (the
 *                  code of rowfs_txn_begin: ROWFS_BUSY, ROWFS_IOERR, ...)
 *   tu_commit      end the unit: rowfs_txn_commit, or nothing inside an
 *                  explicit transaction (ROWFS_OK)
 *   tu_rollback    end the unit after a failure: rowfs_txn_abort, or
 *                  nothing inside an explicit transaction; ROWFS_OK
 *   tu_txn_abort   end the held transaction whatever it holds (as a ctl
 *                  handle's release, or rowsh at end of input); ROWFS_OK
 *   tu_txn         the held write transaction, or NULL
 *   tu_txn_state   rowfs_txn_state of it, ROWFS_TXN_NONE without one
 *   tu_txn_boundaries  rowfs_txn_boundaries summed over every write
 *                  transaction of db since tu_open
 *   tu_exec_emit   rowfs_exec in the held transaction (which must exist)
 *   tu_exec_committed  rowfs_exec in a read transaction of its own, as
 *                  another ctl handle runs its statements
 */
int tu_begin(struct rowfs_db *db, struct rowfs_err *err);
int tu_commit(struct rowfs_db *db, struct rowfs_err *err);
int tu_rollback(struct rowfs_db *db, struct rowfs_err *err);
int tu_txn_abort(struct rowfs_db *db, struct rowfs_err *err);
struct rowfs_txn *tu_txn(struct rowfs_db *db);
int tu_txn_state(struct rowfs_db *db);
uint64_t tu_txn_boundaries(struct rowfs_db *db);
int tu_exec_emit(struct rowfs_db *db, const char *line, size_t len, rowfs_emit_fn emit,
		 void *ctx, struct rowfs_err *err);
int tu_exec_committed(struct rowfs_db *db, const char *line, size_t len, rowfs_emit_fn emit,
		      void *ctx, struct rowfs_err *err);

/*
 * ---- reads ----
 * Reads of db go through the held write transaction when a unit holds
 * one (they see its changes), else through a read transaction of their
 * own, begun and ended around the call (the newest committed state).
 * The _txn forms read through the transaction given.  users' rows come
 * as the Part 1 pair (id, name) through a tu_row_fn, adapted from the
 * typed rows of rowfs_scan.  Each returns the code of the rowfs_ call it
 * makes (or of rowfs_txn_begin).
 *   tu_scan, tu_scan_txn     rowfs_scan of users from start (up to 2^32: no rows)
 *   tu_get, tu_get_txn       rowfs_get of users: the name into name (32 bytes)
 *   tu_last_start, tu_last_start_txn  rowfs_last_start of users, *start
 *                            2^32 when it finds none
 *   tu_render_btree, tu_render_stats, tu_check   the rowfs_ renderings
 *   tu_stats                 rowfs_get_stats, which must succeed (its own
 *                            read transaction is among st->snapshots)
 */
typedef int (*tu_row_fn)(void *ctx, uint32_t id, const char *name, size_t name_len);
int tu_scan(struct rowfs_db *db, uint64_t start, tu_row_fn fn, void *ctx, struct rowfs_err *err);
int tu_scan_txn(struct rowfs_txn *txn, uint64_t start, tu_row_fn fn, void *ctx,
		struct rowfs_err *err);
int tu_get(struct rowfs_db *db, uint32_t id, int *found, char *name, size_t *name_len,
	   struct rowfs_err *err);
int tu_get_txn(struct rowfs_txn *txn, uint32_t id, int *found, char *name, size_t *name_len,
	       struct rowfs_err *err);
int tu_last_start(struct rowfs_db *db, uint64_t count, uint64_t *start, struct rowfs_err *err);
int tu_last_start_txn(struct rowfs_txn *txn, uint64_t count, uint64_t *start,
		      struct rowfs_err *err);
int tu_render_btree(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err);
int tu_render_stats(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err);
int tu_check(struct rowfs_db *db, rowfs_emit_fn emit, void *ctx, uint64_t *problems,
	     struct rowfs_err *err);
void tu_stats(struct rowfs_db *db, struct rowfs_stats *st);

/*
 * tu_exec_len - run line (len bytes) in the held write transaction,
 * appending its replies to out, which is emptied first (its memory is
 * kept: free it with tu_buf_free).  *err is cleared first.  Returns
 * rowfs_exec's code.
 */
int tu_exec_len(struct rowfs_db *db, const char *line, size_t len, struct tu_buf *out,
		struct rowfs_err *err);

/* tu_exec - tu_exec_len of a NUL-terminated line. */
int tu_exec(struct rowfs_db *db, const char *line, struct tu_buf *out, struct rowfs_err *err);

/*
 * tu_expect_reply - run line in a unit of its own: begin, the statement
 * and commit must succeed, and the reply must be exactly reply.
 */
void tu_expect_reply(struct rowfs_db *db, const char *line, const char *reply);

/* tu_expect_reply_in_txn - tu_expect_reply in the held transaction (no begin, no commit). */
void tu_expect_reply_in_txn(struct rowfs_db *db, const char *line, const char *reply);

/*
 * tu_reply_of - run line in a unit of its own (begin, the statement and
 * commit must succeed) and return its reply, malloc'd (the caller frees),
 * or NULL if it emitted nothing.
 */
char *tu_reply_of(struct rowfs_db *db, const char *line);

/*
 * tu_table_text - the whole users table (tu_scan) as "id=name " pairs
 * ("1=alice 2=bob "), malloc'd (the caller frees); "" when empty.  The scan
 * must succeed.  tu_table_text_txn - the same through txn.
 */
char *tu_table_text(struct rowfs_db *db);
char *tu_table_text_txn(struct rowfs_txn *txn);

/*
 * tu_require_clean - tu_check(db) must succeed and find no problem;
 * otherwise the test fails with the report, prefixed by "what: " when
 * what is not NULL.
 */
void tu_require_clean(struct rowfs_db *db, const char *what);

/*
 * tu_read_page - copy page pgno, as the handle's pager sees it (cache,
 * WAL, then DBFILE), into out (PAGE_SIZE bytes), holding no page
 * reference afterwards.  pager_get must succeed.
 */
void tu_read_page(struct rowfs_db *db, uint32_t pgno, uint8_t *out);

/* ---- files ----------------------------------------------------------------- */

/* tu_file_size - the size of path, which must exist. */
off_t tu_file_size(const char *path);

/* tu_try_file_size - the size of path, -1 if it does not exist (or cannot be stat'ed). */
off_t tu_try_file_size(const char *path);

/*
 * tu_read_file - the whole of path, which must exist, in a malloc'd buffer
 * with one spare byte (the caller frees); *len gets the size.
 */
uint8_t *tu_read_file(const char *path, size_t *len);

/* tu_try_read_file - tu_read_file, but NULL (*len 0) if path does not exist. */
uint8_t *tu_try_read_file(const char *path, size_t *len);

/* tu_write_file - create or truncate path (mode 0644) and write len bytes of data. */
void tu_write_file(const char *path, const void *data, size_t len);

/*
 * tu_memdup - a heap copy of exactly len bytes of p (no NUL added; one byte
 * allocated when len is 0), so that ASan catches any read past the end;
 * the caller frees.
 */
void *tu_memdup(const void *p, size_t len);

/* tu_copy_file - copy from (which must exist) to to, created or truncated. */
void tu_copy_file(const char *from, const char *to);

/* tu_pread_at - read exactly len bytes of path at offset off into buf. */
void tu_pread_at(const char *path, off_t off, void *buf, size_t len);

/* tu_pwrite_at - write len bytes of buf over path at offset off (path must exist). */
void tu_pwrite_at(const char *path, off_t off, const void *buf, size_t len);

/*
 * tu_set_header_u32 - put value at offset of page 0 of the database file
 * path (little-endian, as put_u32 does), and if fix_checksum, store the
 * header checksum pager.c would compute for the edited header.  The file
 * must hold a whole page 0.
 */
void tu_set_header_u32(const char *path, uint32_t offset, uint32_t value, int fix_checksum);

/*
 * tu_le32, tu_put_le32 - a u32 in the byte order of rowfs(5) (little-endian),
 * decoded and encoded here rather than with row.h's helpers, so format
 * tests do not trust the code they test.
 */
uint32_t tu_le32(const uint8_t *p);
void tu_put_le32(uint8_t *p, uint32_t v);

/* ---- version-1 databases ---------------------------------------------------- */

/*
 * tu_build_v1 - write a version-1 database (Part 1's format, rowfs(5)) at
 * path from the layout of the spec, without the engine: rows rows with
 * ids 1..rows named "user_ID", 77 to a leaf (a root leaf alone up to 77
 * rows, else an internal root at page 1 over leaves 2..; at most 511
 * leaves), then free_pages pages on the free list.  No WAL is written
 * (remove an old one first).  The engine of today writes version 2 only:
 * this is how tests get the files an older rowfs left.
 */
void tu_build_v1(const char *path, uint32_t rows, uint32_t free_pages);

/* ---- deterministic randomness ---------------------------------------------- */

/* tu_next_random - splitmix64: the next number of the sequence *state drives. */
uint64_t tu_next_random(uint64_t *state);

/*
 * tu_random_name - a valid username of exactly len bytes (1..40) into
 * name (NUL-terminated; room for len + 1): ASCII letters, digits and
 * "_.-", with about one character in eight a 2..4 byte UTF-8 sequence,
 * never starting with "--" (a comment after a blank since Part 2).
 * Draws from *rng with tu_next_random.
 */
void tu_random_name(uint64_t *rng, char *name, size_t len);

/* tu_cmp_u32 - qsort comparator for uint32_t, ascending. */
int tu_cmp_u32(const void *a, const void *b);

#endif /* ROWFS_TESTS_UNIT_TESTUTIL_H */
