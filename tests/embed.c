/*
 * embed.c - a program that embeds the engine through librowfs, the way a
 * user of the installed library does: it includes only <rowfs.h> and links
 * with `pkg-config --cflags --libs rowfs` (tests/t9100-librowfs.sh builds it
 * against the build tree's library, scripts/package.sh against the
 * installed package).
 *
 *     embed DBFILE
 *
 * Opens (creates) DBFILE, creates a table, inserts three rows in one
 * transaction, tries a duplicate key, then reads the rows back in a read
 * transaction, both as statement replies and through rowfs_scan, and
 * closes.  Prints what it did; exit 0 when every step went as expected, 1
 * with a message otherwise.
 */
#include <rowfs.h>

#include <stdio.h>
#include <string.h>

/* rowfs_emit_fn: the replies go to stdout. */
static int S_print(void *ctx, const char *text, size_t len)
{
	(void)ctx;
	return fwrite(text, 1, len, stdout) == len ? 0 : 1;
}

/* rowfs_row_fn: one row of `books` as "KEY|TITLE|PRICE". */
static int S_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	char real[32];
	unsigned *count = ctx;

	if (n != 3 || vals[1].type != ROWFS_TYPE_TEXT || vals[2].type != ROWFS_TYPE_REAL)
		return 1;
	rowfs_format_real(vals[2].r, real);
	printf("%lld|%.*s|%s\n", (long long)key, (int)vals[1].len, (const char *)vals[1].p, real);
	(*count)++;
	return 0;
}

/* Run line in txn; 0 when it returned want. */
static int S_exec(struct rowfs_txn *txn, const char *line, int want)
{
	struct rowfs_err err = { 0 };
	int rc = rowfs_exec(txn, line, strlen(line), S_print, NULL, &err);

	if (rc == want)
		return 0;
	fprintf(stderr, "embed: %s: %s (%s)\n", line, err.msg, rowfs_rc_name(rc));
	return 1;
}

int main(int argc, char **argv)
{
	struct rowfs_config cfg;
	struct rowfs_err err = { 0 };
	struct rowfs_db *db = NULL;
	struct rowfs_txn *txn = NULL;
	unsigned count = 0;
	int status = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: embed DBFILE\n");
		return 2;
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.path = argv[1];
	cfg.sync = ROWFS_SYNC_FULL;
	printf("librowfs %s\n", rowfs_version());
	if (rowfs_open(&cfg, &db, &err) != ROWFS_OK)
		goto fail;
	if (rowfs_txn_begin(db, 0, &txn, &err) != ROWFS_OK)
		goto fail;
	if (S_exec(txn, "create table books (id integer primary key, title text, price real)",
		   ROWFS_OK) ||
	    S_exec(txn, "insert into books values (1, 'Solaris', 9.5), (2, 'Kindred', 8)",
		   ROWFS_OK) ||
	    S_exec(txn, "insert into books (title, price) values ('Lavinia', 7.25)", ROWFS_OK) ||
	    S_exec(txn, "insert into books values (2, 'again', 1)", ROWFS_DUPLICATE))
		goto out;
	if (rowfs_txn_commit(txn, &err) != ROWFS_OK) {
		txn = NULL;
		goto fail;
	}
	txn = NULL;
	if (rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &txn, &err) != ROWFS_OK)
		goto fail;
	if (S_exec(txn, "select * from books where id >= 2", ROWFS_OK))
		goto out;
	if (rowfs_scan(txn, "books", 0, S_row, &count, &err) != ROWFS_OK)
		goto fail;
	if (count != 3) {
		fprintf(stderr, "embed: scanned %u rows, not 3\n", count);
		goto out;
	}
	rowfs_txn_abort(txn);
	txn = NULL;
	status = 0;
	goto out;
fail:
	fprintf(stderr, "embed: %s (%s)\n", err.msg, rowfs_rc_name(err.rc));
out:
	rowfs_txn_abort(txn);
	if (db && rowfs_close(db, &err) != ROWFS_OK) {
		fprintf(stderr, "embed: close: %s\n", err.msg);
		status = 1;
	}
	return status;
}
