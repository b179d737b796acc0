/*
 * byid.c - owns what is done to one row through by-id/ID: the lookup
 * behind stat and read, the name line written to it, and the statements
 * that insert, update or delete it.
 *
 * Changes go through rowfs_exec() with a statement built here
 * (`insert ID NAME`, `update ID NAME`, `delete ID`), each in a write
 * transaction of its own (the lookup that picks insert or update too):
 * the same lexer, the same errors and the same durability as the same
 * line written to ctl.  Lookups read the newest committed state through a
 * read transaction.  The statement is built by copying the
 * name's bytes, never by formatting them, and a name holding a space or a
 * tab is refused first, so the name written is the name stored, byte for
 * byte, or the write fails.
 */
#include <config.h>
#include "byid.h"

#include <errno.h>
#include <string.h>

/* Engine emit callback: the replies ("Executed.") go nowhere. */
static int discard(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	(void)text;
	(void)len;
	return 0;
}

/*
 * Run one statement line in the write transaction txn and end it:
 * committed, or aborted when the statement fails.  0 or -errno.
 */
static int run_statement(struct rowfs_txn *txn, const char *line, size_t len,
			 struct rowfs_err *err)
{
	int rc = rowfs_exec(txn, line, len, discard, NULL, err);

	if (rc != ROWFS_OK) {
		rowfs_txn_abort(txn);
		return -rowfs_fail_errno(rc);
	}
	rc = rowfs_txn_commit(txn, err);   /* rolls back itself on failure */
	return rc == ROWFS_OK ? 0 : -rowfs_fail_errno(rc);
}

/* Where a lookup copies the name. */
struct found_name {
	char *name;      /* room for RENDER_NAME_MAX bytes */
	size_t len;      /* its length */
};

/* rowfs_row_fn: copy users' name. */
static int copy_name(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct found_name *f = ctx;

	(void)key;
	f->len = n > 1 ? vals[1].len : 0;
	if (f->len > RENDER_NAME_MAX)
		f->len = RENDER_NAME_MAX;
	memcpy(f->name, vals[1].p, f->len);
	return 0;
}

/* Write "VERB ID " at dst; returns its length (at most 7 + 10 + 1). */
static size_t statement_head(char *dst, const char *verb, uint32_t id)
{
	size_t len = strlen(verb);

	memcpy(dst, verb, len);
	dst[len++] = ' ';
	len += render_u32(dst + len, id);
	dst[len++] = ' ';
	return len;
}

int byid_lookup(struct rowfs_db *db, uint32_t id, int *found, char *text, size_t *len,
		struct rowfs_err *err)
{
	struct found_name f = {text, 0};
	struct rowfs_txn *txn;
	int rc = rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, err);   /* committed state */

	*len = 0;
	*found = 0;
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	rc = rowfs_get(txn, NULL, id, copy_name, &f, found, err);
	rowfs_txn_abort(txn);
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	if (!*found)
		return 0;
	text[f.len] = '\n';
	*len = f.len + 1;
	return 0;
}

int byid_upsert(struct rowfs_db *db, uint32_t id, const char *name, size_t len,
		struct rowfs_err *err)
{
	char stmt[32 + BYID_LINE_MAX];
	char old[RENDER_NAME_MAX];
	struct found_name f = {old, 0};
	struct rowfs_txn *txn;
	size_t n;
	int found = 0;
	int rc;

	if (len > BYID_LINE_MAX) {
		rowfs_err_set(err, ROWFS_TOOLONG, 0, "Error: username too long (%zu > %u)", len,
			      RENDER_NAME_MAX);
		return -EINVAL;
	}
	if (memchr(name, ' ', len) || memchr(name, '\t', len)) {
		rowfs_err_set(err, ROWFS_TOKEN, 0, "a username holds no space or tab");
		return -EINVAL;
	}
	rc = rowfs_txn_begin(db, 0, &txn, err);
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	rc = rowfs_get(txn, NULL, id, copy_name, &f, &found, err);
	if (rc != ROWFS_OK) {
		rowfs_txn_abort(txn);
		return -rowfs_fail_errno(rc);
	}
	n = statement_head(stmt, found ? "update" : "insert", id);
	memcpy(stmt + n, name, len);
	return run_statement(txn, stmt, n + len, err);
}

int byid_delete(struct rowfs_db *db, uint32_t id, struct rowfs_err *err)
{
	char stmt[32];
	size_t n = statement_head(stmt, "delete", id);
	struct rowfs_txn *txn;
	int rc = rowfs_txn_begin(db, 0, &txn, err);

	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	return run_statement(txn, stmt, n - 1, err);   /* without the trailing space */
}

void byid_writer_init(struct byid_writer *w, uint32_t id, int created)
{
	w->id = id;
	w->created = created;
	w->done = 0;
	w->overlong = 0;
	w->len = 0;
}

int byid_pending(const struct byid_writer *w)
{
	return w->created && !w->done;
}

/* Append n bytes to the line, within BYID_LINE_MAX. */
static void keep(struct byid_writer *w, const char *p, size_t n)
{
	size_t room = BYID_LINE_MAX - w->len;

	if (n > room) {
		n = room;
		w->overlong = 1;
	}
	memcpy(w->line + w->len, p, n);
	w->len += n;
}

/* Apply the line and empty the writer; done on success.  0 or -errno. */
static int apply(struct byid_writer *w, struct rowfs_db *db, struct rowfs_err *err)
{
	int rc;

	if (w->overlong)
		rc = -EINVAL;
	else
		rc = byid_upsert(db, w->id, w->line, w->len, err);
	if (rc == -EINVAL && w->overlong)
		rowfs_err_set(err, ROWFS_TOOLONG, 0, "Error: username too long (over %u bytes)",
			      BYID_LINE_MAX);
	w->len = 0;
	w->overlong = 0;
	if (rc == 0)
		w->done = 1;
	return rc;
}

ssize_t byid_write(struct byid_writer *w, struct rowfs_db *db, const char *buf, size_t size,
		   struct rowfs_err *err)
{
	const char *nl;
	size_t line_len;
	int rc;

	if (size == 0)
		return 0;
	if (w->done) {
		rowfs_err_set(err, ROWFS_SYNTAX, 0, "a row file takes one line");
		return -EINVAL;
	}
	nl = memchr(buf, '\n', size);
	line_len = nl ? (size_t)(nl - buf) : size;
	if (nl && line_len + 1 < size) {
		rowfs_err_set(err, ROWFS_SYNTAX, 0, "a row file takes one line");
		w->len = 0;
		w->overlong = 0;
		return -EINVAL;
	}
	keep(w, buf, line_len);
	if (!nl)
		return (ssize_t)size;
	rc = apply(w, db, err);
	return rc ? rc : (ssize_t)size;
}

int byid_flush(struct byid_writer *w, struct rowfs_db *db, struct rowfs_err *err)
{
	char text[BYID_TEXT_MAX];
	size_t len;
	int found = 0;
	int rc;

	if (w->done)
		return 0;
	if (w->len > 0 || w->overlong)
		return apply(w, db, err);
	if (!w->created)
		return 0;
	rc = byid_lookup(db, w->id, &found, text, &len, err);
	if (rc != 0)
		return rc;
	if (found)
		return 0;
	rowfs_err_set(err, ROWFS_SYNTAX, 0, "a row needs a username of 1 byte or more");
	return -EINVAL;
}
