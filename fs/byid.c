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
#include <stdio.h>
#include <stdlib.h>
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

/* users' rows: the name is the row file's text. */
static int is_users(const char *table)
{
	return !table || !table[0] || strcmp(table, "users") == 0;
}

/* Where a lookup renders the row. */
struct found_row {
	const char *table;        /* the table (users: NULL) */
	struct rowfs_table_info *info;  /* its columns (other tables) */
	char *text;               /* the text, malloc'd */
	size_t len;               /* its length */
	int failed;               /* out of memory */
};

/* The one value of a two-column table's row file (NULL empty, text raw). */
static size_t value_line_size(const struct rowfs_value *v)
{
	if (v->type == ROWFS_TYPE_NULL)
		return 1;
	if (v->type == ROWFS_TYPE_TEXT)
		return v->len + 1;
	return rowfs_value_text_size(ROWFS_FORM_COPY, v) + 1;
}

static void value_line(const struct rowfs_value *v, char *dst)
{
	size_t len = 0;

	if (v->type == ROWFS_TYPE_TEXT) {
		memcpy(dst, v->p, v->len);
		len = v->len;
	} else if (v->type != ROWFS_TYPE_NULL) {
		len = rowfs_value_text(ROWFS_FORM_COPY, v, dst);
	}
	dst[len] = '\n';
}

/* rowfs_row_fn: render the row as its row file's text. */
static int copy_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct found_row *f = ctx;
	struct rowfs_lines_table names;

	(void)key;
	if (!f->info) {   /* users: the name */
		f->len = (n > 1 ? vals[1].len : 0) + 1;
		f->text = malloc(f->len);
		if (f->text) {
			memcpy(f->text, n > 1 ? vals[1].p : "", f->len - 1);
			f->text[f->len - 1] = '\n';
		}
	} else if (n == 2) {
		const struct rowfs_value *v = &vals[f->info->key_column == 0 ? 1 : 0];

		f->len = value_line_size(v);
		f->text = malloc(f->len);
		if (f->text)
			value_line(v, f->text);
	} else if (rowfs_lines_init(&names, f->info) == ROWFS_OK) {
		f->len = rowfs_line_size(ROWFS_LINES_NDJSON, &names, vals, n);
		f->text = malloc(f->len);
		if (f->text)
			rowfs_line(ROWFS_LINES_NDJSON, &names, vals, n, f->text);
		rowfs_lines_release(&names);
	}
	f->failed = f->text == NULL;
	return 0;
}

int byid_text(struct rowfs_txn *txn, const char *table, int64_t key, int *found, char **text,
	      size_t *len, struct rowfs_err *err)
{
	struct found_row f = {NULL, NULL, NULL, 0, 0};
	int rc = ROWFS_OK;

	*text = NULL;
	*len = 0;
	*found = 0;
	if (!is_users(table)) {
		f.info = malloc(sizeof(*f.info));
		if (!f.info)
			return -ENOMEM;
		rc = rowfs_table_info(txn, table, f.info, err);
	}
	if (rc == ROWFS_OK)
		rc = rowfs_get(txn, is_users(table) ? NULL : table, key, copy_row, &f, found, err);
	free(f.info);
	if (rc == ROWFS_OK && *found && f.failed)
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	if (rc != ROWFS_OK) {
		free(f.text);
		*found = 0;
		return -rowfs_fail_errno(rc);
	}
	*text = f.text;
	*len = f.len;
	return 0;
}

int byid_lookup(struct rowfs_db *db, const char *table, int64_t key, int *found, char **text,
		size_t *len, struct rowfs_err *err)
{
	struct rowfs_txn *txn;
	int rc = rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, err);   /* committed state */

	*text = NULL;
	*len = 0;
	*found = 0;
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	rc = byid_text(txn, table, key, found, text, len, err);
	rowfs_txn_abort(txn);
	return rc;
}

/* rowfs_row_fn: nothing to copy, the lookup only tells whether the row is there. */
static int ignore_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	(void)ctx;
	(void)key;
	(void)vals;
	(void)n;
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

/* users: `insert ID NAME` or `update ID NAME` in txn, then commit. */
static int upsert_users(struct rowfs_txn *txn, uint32_t id, const char *name, size_t len,
			struct rowfs_err *err)
{
	char stmt[32 + BYID_LINE_MAX];
	size_t n;
	int found = 0;
	int rc = rowfs_get(txn, NULL, id, ignore_row, NULL, &found, err);

	if (rc != ROWFS_OK) {
		rowfs_txn_abort(txn);
		return -rowfs_fail_errno(rc);
	}
	n = statement_head(stmt, found ? "update" : "insert", id);
	memcpy(stmt + n, name, len);
	return run_statement(txn, stmt, n + len, err);
}

/* Another table: the statement rowfs_input_statement builds from the line, then commit. */
static int upsert_table(struct rowfs_txn *txn, const char *table, int64_t key, const char *line,
			size_t len, struct rowfs_err *err)
{
	struct rowfs_table_info *info = malloc(sizeof(*info));
	char *stmt = NULL;
	size_t stmt_len = 0;
	int found = 0;
	int rc;

	if (!info) {
		rowfs_txn_abort(txn);
		return -ENOMEM;
	}
	rc = rowfs_table_info(txn, table, info, err);
	if (rc == ROWFS_OK)
		rc = rowfs_get(txn, table, key, ignore_row, NULL, &found, err);
	if (rc == ROWFS_OK)
		rc = rowfs_input_statement(txn, table,
					   info->column_count == 2 ? ROWFS_INPUT_VALUE :
								     ROWFS_INPUT_JSON,
					   found ? ROWFS_INPUT_REPLACE : ROWFS_INPUT_INSERT, 1, key,
					   line, len, &stmt, &stmt_len, err);
	free(info);
	if (rc != ROWFS_OK) {
		rowfs_txn_abort(txn);
		return -rowfs_fail_errno(rc);
	}
	rc = run_statement(txn, stmt, stmt_len, err);
	free(stmt);
	return rc;
}

int byid_upsert(struct rowfs_db *db, const char *table, int64_t key, const char *line,
		size_t len, struct rowfs_err *err)
{
	struct rowfs_txn *txn;
	int rc;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (is_users(table)) {
		if (len > BYID_LINE_MAX) {
			rowfs_err_set(err, ROWFS_TOOLONG, 0, "Error: username too long (%zu > %u)",
				      len, RENDER_NAME_MAX);
			return -EINVAL;
		}
		if (memchr(line, ' ', len) || memchr(line, '\t', len)) {
			rowfs_err_set(err, ROWFS_TOKEN, 0, "a username holds no space or tab");
			return -EINVAL;
		}
	}
	rc = rowfs_txn_begin(db, 0, &txn, err);
	if (rc != ROWFS_OK)
		return -rowfs_fail_errno(rc);
	if (is_users(table))
		return upsert_users(txn, (uint32_t)key, line, len, err);
	return upsert_table(txn, table, key, line, len, err);
}

int byid_set_text(struct rowfs_db *db, const char *table, int64_t key, const char *text,
		  size_t len, int insert_only, struct rowfs_err *err)
{
	const char *nl = len > 0 ? memchr(text, '\n', len) : NULL;
	char *old = NULL;
	size_t old_len;
	int found = 0;
	int rc;

	if (nl && nl != text + len - 1) {
		rowfs_err_set(err, ROWFS_SYNTAX, 0, "a row file takes one line");
		return -EINVAL;
	}
	if (nl)
		len--;
	if (insert_only) {
		rc = byid_lookup(db, table, key, &found, &old, &old_len, err);
		free(old);
		if (rc != 0)
			return rc;
		if (found) {
			rowfs_err_set(err, ROWFS_DUPLICATE, 0, "Error: Duplicate key.");
			return -EEXIST;
		}
	}
	return byid_upsert(db, table, key, len ? text : "", len, err);
}

int byid_delete(struct rowfs_db *db, const char *table, int64_t key, struct rowfs_err *err)
{
	struct rowfs_table_info *info;
	struct rowfs_txn *txn;
	char stmt[64 + 2 * ROWFS_NAME_MAX];
	int found = 0;
	int rc, n;

	if (is_users(table)) {
		size_t len = statement_head(stmt, "delete", (uint32_t)key);

		rc = rowfs_txn_begin(db, 0, &txn, err);
		if (rc != ROWFS_OK)
			return -rowfs_fail_errno(rc);
		return run_statement(txn, stmt, len - 1, err);   /* without the trailing space */
	}
	info = malloc(sizeof(*info));
	if (!info)
		return -ENOMEM;
	rc = rowfs_txn_begin(db, 0, &txn, err);
	if (rc == ROWFS_OK) {
		rc = rowfs_table_info(txn, table, info, err);
		if (rc == ROWFS_OK)
			rc = rowfs_get(txn, table, key, ignore_row, NULL, &found, err);
		if (rc == ROWFS_OK && !found)
			rc = rowfs_err_set(err, ROWFS_NOTFOUND, 0, "Error: no row %lld in %s",
					   (long long)key, table);
		if (rc != ROWFS_OK)
			rowfs_txn_abort(txn);
	}
	if (rc != ROWFS_OK) {
		free(info);
		return -rowfs_fail_errno(rc);
	}
	n = snprintf(stmt, sizeof(stmt), "delete from %s where %s = %lld", info->name,
		     info->columns[info->key_column].name, (long long)key);
	free(info);
	return run_statement(txn, stmt, (size_t)n, err);
}

void byid_file_init(struct byid_file *f, const char *table, int64_t key, int writing,
		    int created)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->table, sizeof(f->table), "%s", table ? table : "");
	f->key = key;
	f->writing = writing;
	f->created = created;
}

void byid_file_release(struct byid_file *f)
{
	free(f->line);
	free(f->text);
	f->line = f->text = NULL;
	f->len = f->cap = f->text_len = 0;
}

int byid_pending(const struct byid_file *f)
{
	return f->writing && f->created && !f->done;
}

int byid_unapplied(const struct byid_file *f)
{
	return f->writing && !f->done && (f->len > 0 || f->overlong);
}

/* Append n bytes to the line, within its bound (users: BYID_LINE_MAX). */
static void keep(struct byid_file *f, const char *p, size_t n)
{
	size_t bound = is_users(f->table) ? BYID_LINE_MAX : ROWFS_LINE_MAX + 1;
	size_t room = bound - f->len;

	if (n > room) {
		n = room;
		f->overlong = 1;
	}
	if (rowfs_buf_grow(&f->line, &f->cap, f->len + n, 256, bound) != 0) {
		f->overlong = 1;   /* refused as too long: nothing is applied cut short */
		return;
	}
	if (n)
		memcpy(f->line + f->len, p, n);
	f->len += n;
}

/* Apply the line and empty it; done on success.  0 or -errno. */
static int apply(struct byid_file *f, struct rowfs_db *db, struct rowfs_err *err)
{
	int rc;

	if (f->overlong)
		rc = -EINVAL;
	else
		rc = byid_upsert(db, f->table, f->key, f->line ? f->line : "", f->len, err);
	if (rc == -EINVAL && f->overlong) {
		if (is_users(f->table))
			rowfs_err_set(err, ROWFS_TOOLONG, 0,
				      "Error: username too long (over %u bytes)", BYID_LINE_MAX);
		else
			rowfs_err_set(err, ROWFS_SYNTAX, 0, "Parse error: line too long");
	}
	f->len = 0;
	f->overlong = 0;
	if (rc == 0)
		f->done = 1;
	return rc;
}

ssize_t byid_write(struct byid_file *f, struct rowfs_db *db, const char *buf, size_t size,
		   struct rowfs_err *err)
{
	const char *nl;
	size_t line_len;
	int rc;

	if (size == 0)
		return 0;
	if (f->done) {
		rowfs_err_set(err, ROWFS_SYNTAX, 0, "a row file takes one line");
		return -EINVAL;
	}
	nl = memchr(buf, '\n', size);
	line_len = nl ? (size_t)(nl - buf) : size;
	if (nl && line_len + 1 < size) {
		rowfs_err_set(err, ROWFS_SYNTAX, 0, "a row file takes one line");
		f->len = 0;
		f->overlong = 0;
		return -EINVAL;
	}
	keep(f, buf, line_len);
	if (!nl)
		return (ssize_t)size;
	rc = apply(f, db, err);
	return rc ? rc : (ssize_t)size;
}

int byid_flush(struct byid_file *f, struct rowfs_db *db, struct rowfs_err *err)
{
	char *text = NULL;
	size_t len;
	int found = 0;
	int rc;

	if (!f->writing || f->done)
		return 0;
	if (f->len > 0 || f->overlong)
		return apply(f, db, err);
	if (!f->created)
		return 0;
	rc = byid_lookup(db, f->table, f->key, &found, &text, &len, err);
	free(text);
	if (rc != 0)
		return rc;
	if (found)
		return 0;
	if (is_users(f->table))
		rowfs_err_set(err, ROWFS_SYNTAX, 0, "a row needs a username of 1 byte or more");
	else
		rowfs_err_set(err, ROWFS_SYNTAX, 0, "a row needs a value: write its line");
	return -EINVAL;
}
