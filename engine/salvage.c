/*
 * salvage.c - rowfs_salvage(): every row that can still be read from a
 * damaged DBFILE and its WAL, written out as a replayable dump.
 *
 * Owns: the salvage rules below and the dump format.  It reads DBFILE
 * page by page through os.h and DBFILE-wal through a read-only wal handle,
 * and never writes to either.  It does not use the pager or the B-trees:
 * the pager refuses a file whose header fails its checks, and a tree
 * cannot be trusted to lead to every leaf.  Only format.h's layout, the
 * codecs (row.c, record.c, table_int.h's bounds-checked page decoders,
 * logrec.c's framing of log records), wal.c's frame validation and the
 * parser's checks of a create statement (catalog_schema_from_create) are
 * trusted.  Both format versions are read as they are.
 *
 * Dump format (the same as the mount's `dump` file), whole lines:
 *
 *     begin
 *     create table ...        one per table but users, in name order
 *     insert ID NAME          users' rows, ascending ID, each ID once
 *     insert into T values (V, ...)   every other table's rows, ascending key
 *     commit
 *
 * The rows of the tables come table by table in name order (users among
 * them); a table's create statement is the normalized one of its catalog
 * row (or of the WAL record that created it), values are literals
 * (value_append_literal) in declared column order, the key column holding
 * the cell's key.  NAME is stored byte for byte; a row that decodes holds
 * only name characters (row.c), so every line is a valid statement.
 *
 * Rules.
 *  1. Pages.  The page count is the size of DBFILE, rounded up, never the
 *     header's (a partial last page is read as if zero-filled, but only its
 *     cells that lie wholly inside the file are used: a name cut short and
 *     padded would decode as a different, shorter name).  Every page
 *     after page 0 is read.  A page whose type byte is NODE_LEAF and whose
 *     cell count is at most LEAF_NODE_MAX_CELLS is a users leaf, wherever
 *     it sits (in the tree, cut off from it by a damaged internal node, or
 *     past the header's page count).  NODE_INTERNAL pages with a count in
 *     bounds, NODE_FREE and NODE_OVERFLOW pages are valid and hold no rows
 *     of their own; NODE_TABLE_LEAF / NODE_TABLE_INTERNAL pages with a
 *     count in bounds are version-2 table pages (rule 5).  Anything else,
 *     and a page that cannot be read (EIO), is a damaged page and skipped.
 *  2. Cells.  A users leaf cell yields a row when its ROW_SIZE bytes decode
 *     (row_decode: a 1..32-byte name of name characters, zero padding) and
 *     the row's id equals the cell key; other cells are skipped (bad
 *     cells), the rest of the leaf is still used.
 *  3. Tree.  When page 0 is a valid header (magic, version, page size,
 *     checksum, of either version), the users tree is walked from its root
 *     over the internal nodes found in rule 1 (each page once, children in
 *     range only), marking the leaves it reaches.  When a key appears on
 *     more than one leaf, the row on a leaf reached from the tree wins;
 *     among equals, the lowest page number.  (Stale leaves outside the
 *     tree are rare: freed pages are zeroed, a split clears the cells it
 *     moves.  A leaf left past the page count by an interrupted checkpoint
 *     may still hold a row deleted later: that row comes back unless the
 *     WAL deletes it.)
 *  4. WAL.  Every valid WAL_FRAME_TXN frame is applied on top, in log
 *     order, one record at a time (logrec.h frames them; a record that does
 *     not frame ends its frame): insert and update set the row (an update
 *     of a row lost with its page brings it back), delete removes it.
 *     Records that do not validate are skipped.  All valid TXN frames are
 *     applied, whatever the header's applied sequence says: the WAL holds
 *     exactly the transactions since the last completed checkpoint, and
 *     applying "set" and "remove" again on a state that already has them
 *     gives the same rows, so a damaged header does not matter.  For the
 *     same reason the PAGE frames of a checkpoint block are not needed:
 *     every change they carry is also in a TXN frame still in the log.  The
 *     log ends at its first invalid frame (wal.c); a WAL that cannot be
 *     opened or read is noted in the statistics and the dump is made from
 *     DBFILE alone, or from the prefix read.
 *  5. Tables (version 2).  With a valid header naming a catalog root, the
 *     catalog tree is walked from it over the table internal pages of rule
 *     1 (each page once, claimed by the first tree that reaches it), and
 *     every cell of the leaves it reaches that decodes as a catalog row
 *     (5 columns: 'table', name = tbl, not users, root an integer page,
 *     sql a create statement that parses and checks, naming the row's
 *     table) makes a table; a name taken twice keeps the lower catalog id.
 *     Each table's tree is then walked from its root the same way, and the
 *     cells of its leaves are its rows: a cell yields a row when it lies
 *     inside the page (and the file), its overflow chain (if any) can be
 *     followed - every page in range, NODE_OVERFLOW, at most as many pages
 *     as the payload needs, the bytes adding up exactly - and its record
 *     decodes with the table's column count (record_decode); other cells
 *     are bad cells.  Among copies of one key on leaves of its table the
 *     lowest page wins.  A table leaf that no table's walk reaches is an
 *     orphan: nothing on it names its table (keys of different tables
 *     overlap, and records of tables of the same shape look alike), so its
 *     rows are skipped and counted (orphan_leaves) - the WAL may still
 *     bring them back.  A damaged header or catalog therefore loses the
 *     tables but users.
 *  6. Version-2 log records (rule 4's order): CREATE_TABLE makes a new,
 *     empty table from its statement (it replaces a table of the same
 *     name, and one bound to the same root page); DROP_TABLE drops the
 *     table bound to its root; TABLE_INSERT/UPDATE set and TABLE_DELETE
 *     removes a row of the table bound to the record's root, whose record
 *     must decode with that table's column count.  A CREATE_TABLE record
 *     that names no root (0) is bound to the first root a later record
 *     names that no table has (best effort).  Records of a root no table
 *     is bound to are skipped as bad records.
 *  7. A table's row (from a leaf or the WAL) is used only when it fits
 *     the table's columns as an insert would take it (types, not null,
 *     lengths; record_fits), so that the dump always replays; other rows
 *     are bad cells, or bad records.
 *
 * Memory: one byte per page of DBFILE (four more for version 2: the table
 * that claimed it), stacks of page numbers for the tree walks, one entry
 * (48 bytes) per users row and one (56 bytes) per table row read from a
 * leaf or the WAL, plus a copy of every table record of the WAL; the
 * catalog's names and statements.  Leaf rows are read again from their
 * page when the dump is written.  The entries are sorted once (table,
 * key, then precedence) and the first entry of each key decides.
 */
#include <config.h>
#include "rowfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "format.h"
#include "logrec.h"
#include "os.h"
#include "parser.h"
#include "record.h"
#include "row.h"
#include "table_int.h"
#include "util.h"
#include "wal.h"

/* Per-page flags of the scan. */
#define PAGE_LEAF 1u        /* a users leaf by rule 1 */
#define PAGE_INTERNAL 2u    /* a users internal node with a count in bounds */
#define PAGE_REACHED 4u     /* reached by the users tree walk */
#define PAGE_TLEAF 8u       /* a version-2 table leaf with a count in bounds (rule 1) */
#define PAGE_TINTERNAL 16u  /* a version-2 table internal page with a count in bounds */

/* owner[] of a page the catalog's walk claimed (tables: 1 + their index). */
#define OWNER_CATALOG UINT32_MAX

/* Where an entry came from, in order of precedence for one id. */
enum source {
	SOURCE_WAL = 0,     /* a WAL record: the latest one wins over everything */
	SOURCE_TREE = 1,    /* a leaf reached from the root */
	SOURCE_ORPHAN = 2   /* any other leaf */
};

/* One row (or WAL delete) seen, before the choice. */
struct entry {
	uint64_t order;                 /* WAL: record number in log order; leaf: page number */
	uint32_t id;                    /* the key */
	uint8_t source;                 /* enum source */
	uint8_t deleted;                /* a WAL delete: the id has no row */
	uint8_t name_len;               /* bytes in name */
	char name[USERNAME_SIZE];       /* not NUL-terminated */
};

/* What a value of a column must be (rule 7). */
struct scolumn {
	uint8_t type;                   /* enum column_type */
	uint8_t not_null;               /* declared not null */
	uint32_t max_len;               /* text/blob: most bytes */
};

/* A version-2 table known to the salvage (rules 5, 6). */
struct stable {
	char name[NAME_MAX_LEN + 1];    /* lower case, NUL-terminated */
	unsigned column_count;          /* columns of its records */
	unsigned key_column;            /* the integer primary key (stored as NULL) */
	struct scolumn columns[RECORD_MAX_COLUMNS]; /* in declared order */
	char *sql;                      /* its create statement (malloc'd, NUL-terminated) */
	size_t sql_len;                 /* bytes */
	int64_t id;                     /* catalog id (WAL creates: 0) */
	uint32_t root;                  /* root page it is bound to (0: not yet, rule 6) */
	int live;                       /* not dropped nor replaced */
};

/* One row of a version-2 table (or a WAL delete), before the choice. */
struct trow {
	uint64_t order;                 /* WAL: record number in log order; leaf: page number */
	int64_t key;                    /* the key */
	uint32_t table;                 /* index in salvager.tables */
	uint16_t cell;                  /* leaf: cell index in the page */
	uint8_t source;                 /* SOURCE_WAL or SOURCE_TREE */
	uint8_t deleted;                /* a WAL delete */
	uint8_t *rec;                   /* WAL: a copy of the record (malloc'd) */
	uint32_t rec_len;               /* its bytes */
};

/* State of one rowfs_salvage() call. */
struct salvager {
	struct os_file *file;           /* DBFILE, read-only */
	struct rowfs_salvage_stats *st; /* counters */
	uint64_t page_count;            /* pages in DBFILE (size rounded up) */
	uint8_t *flags;                 /* PAGE_* per page */
	uint8_t *page;                  /* one page buffer */
	size_t page_len;                /* bytes of it read from the file (the rest is zero) */
	uint8_t *ovf;                   /* a second page buffer, for overflow pages */
	struct entry *entries;          /* users rows and WAL records seen */
	size_t count, cap;              /* entries used, allocated */
	uint64_t internal_pages;        /* pages flagged PAGE_INTERNAL or PAGE_TINTERNAL */
	uint32_t root;                  /* users root page from a valid header */
	uint32_t version;               /* format version from a valid header (0: none) */
	uint32_t catalog_root;          /* version 2: catalog root from a valid header */
	uint32_t *owner;                /* version 2: per page, who claimed it (0: nobody) */
	struct stable *tables;          /* tables from the catalog, then the WAL */
	size_t table_count, table_cap;  /* used, allocated */
	struct trow *trows;             /* table rows and WAL records seen */
	size_t trow_count, trow_cap;    /* used, allocated */
	struct sbuf record;             /* a record assembled from its overflow chain */
	struct table_schema *schema;    /* scratch for create statements */
};

/* Room for one more entry; ROWFS_NOMEM when there is none. */
static int grow(struct salvager *s)
{
	struct entry *n;
	size_t cap;

	if (s->count < s->cap)
		return ROWFS_OK;
	if (s->cap > SIZE_MAX / 2 / sizeof(*n))
		return ROWFS_NOMEM;
	cap = s->cap ? s->cap * 2 : 1024;
	n = realloc(s->entries, cap * sizeof(*n));
	if (!n)
		return ROWFS_NOMEM;
	s->entries = n;
	s->cap = cap;
	return ROWFS_OK;
}

/* Append a row entry (name from a decoded row; NULL for a delete). */
static int add_entry(struct salvager *s, uint32_t id, const struct row *row, enum source source,
		     uint64_t order)
{
	struct entry *e;

	if (grow(s) != ROWFS_OK)
		return ROWFS_NOMEM;
	e = &s->entries[s->count++];
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->order = order;
	e->source = (uint8_t)source;
	e->deleted = row == NULL;
	if (row) {
		e->name_len = row->username_len;
		memcpy(e->name, row->username, row->username_len);
	}
	return ROWFS_OK;
}

/*
 * Read page pgno into s->page, zero-filling past the end of the file.
 * Returns 1 when it was read, 0 when the read failed (a damaged page).
 */
static int read_page(struct salvager *s, uint64_t pgno)
{
	struct rowfs_err ignored = { 0 };
	size_t got = 0;

	if (os_read(s->file, s->page, PAGE_SIZE, pgno * PAGE_SIZE, &got, &ignored) != ROWFS_OK)
		return 0;
	memset(s->page + got, 0, PAGE_SIZE - got);
	s->page_len = got;
	return 1;
}

/* Rule 1 and 2 for one page already in s->page. */
static int scan_page(struct salvager *s, uint32_t pgno)
{
	const uint8_t *node = s->page;
	const uint8_t *cell;
	uint32_t count, i;
	struct row row;

	count = get_u32(node + LEAF_NODE_NUM_CELLS_OFFSET);  /* same offset for both kinds */
	switch (node[NODE_TYPE_OFFSET]) {
	case NODE_LEAF:
		if (count > LEAF_NODE_MAX_CELLS)
			break;
		s->flags[pgno] |= PAGE_LEAF;
		s->st->leaf_pages++;
		for (i = 0; i < count; i++) {
			size_t off = LEAF_NODE_HEADER_SIZE + (size_t)i * LEAF_NODE_CELL_SIZE;

			cell = node + off;
			if (off + LEAF_NODE_CELL_SIZE > s->page_len ||
			    row_decode(cell + LEAF_NODE_VALUE_OFFSET, &row) != ROWFS_OK ||
			    row.id != get_u32(cell + LEAF_NODE_KEY_OFFSET)) {
				s->st->bad_cells++;
				continue;
			}
			/* The source is settled after the tree walk (resolve_sources). */
			if (add_entry(s, row.id, &row, SOURCE_ORPHAN, pgno) != ROWFS_OK)
				return ROWFS_NOMEM;
		}
		return ROWFS_OK;
	case NODE_INTERNAL:
		if (count > INTERNAL_NODE_MAX_KEYS)
			break;
		s->flags[pgno] |= PAGE_INTERNAL;
		s->internal_pages++;
		return ROWFS_OK;
	case NODE_FREE:
	case NODE_OVERFLOW:
		return ROWFS_OK;
	case NODE_TABLE_LEAF:
		if (table_page_count(node) > TABLE_LEAF_MAX_CELLS)
			break;
		s->flags[pgno] |= PAGE_TLEAF;
		return ROWFS_OK;
	case NODE_TABLE_INTERNAL:
		if (!table_internal_header_ok(node))
			break;
		s->flags[pgno] |= PAGE_TINTERNAL;
		s->internal_pages++;
		return ROWFS_OK;
	}
	s->st->damaged_pages++;
	return ROWFS_OK;
}

/* Rule 1: every page after page 0. */
static int scan_pages(struct salvager *s)
{
	uint64_t pgno;

	for (pgno = 1; pgno < s->page_count; pgno++) {
		s->st->pages++;
		if (!read_page(s, pgno)) {
			s->st->damaged_pages++;
			continue;
		}
		if (scan_page(s, (uint32_t)pgno) != ROWFS_OK)
			return ROWFS_NOMEM;
	}
	return ROWFS_OK;
}

/*
 * The checksum slot of page 0's layout (format.h): version 2 (by its
 * magic) at HDR2_CHECKSUM_OFFSET, version 1 at HDR_CHECKSUM_OFFSET.  The
 * checksum is FNV-1a over the bytes before the slot, as pager.c computes
 * it (the pager is above this module; check_salvage tests that a
 * database the pager wrote has a valid header here).
 */
static uint32_t checksum_offset(const uint8_t *p)
{
	return memcmp(p, DB_MAGIC_V2, DB_MAGIC_SIZE) == 0 ? HDR2_CHECKSUM_OFFSET
							  : HDR_CHECKSUM_OFFSET;
}

/* Page 0: sets s->root and st->header_valid, or st->header_problem. */
static void read_header(struct salvager *s)
{
	struct rowfs_salvage_stats *st = s->st;
	const uint8_t *p = s->page;
	uint32_t root;
	int v2;

	st->pages++;
	if (!read_page(s, 0)) {
		snprintf(st->header_problem, sizeof(st->header_problem), "cannot read page 0");
		return;
	}
	v2 = memcmp(p, DB_MAGIC_V2, DB_MAGIC_SIZE) == 0;
	if (!v2 && memcmp(p, DB_MAGIC, DB_MAGIC_SIZE) != 0)
		snprintf(st->header_problem, sizeof(st->header_problem), "no rowfs magic");
	else if (get_u32(p + HDR_VERSION_OFFSET) != (v2 ? DB_FORMAT_VERSION_2 : DB_FORMAT_VERSION) ||
		 get_u32(p + HDR_PAGE_SIZE_OFFSET) != PAGE_SIZE)
		snprintf(st->header_problem, sizeof(st->header_problem),
			 "format version %" PRIu32 ", page size %" PRIu32,
			 get_u32(p + HDR_VERSION_OFFSET), get_u32(p + HDR_PAGE_SIZE_OFFSET));
	else if (get_u32(p + checksum_offset(p)) != fnv1a32(p, checksum_offset(p)))
		snprintf(st->header_problem, sizeof(st->header_problem), "checksum mismatch");
	else if ((root = get_u32(p + HDR_ROOT_OFFSET)) == 0 || root >= s->page_count)
		snprintf(st->header_problem, sizeof(st->header_problem),
			 "root page %" PRIu32 " out of range (%" PRIu64 " pages in the file)",
			 root, s->page_count);
	else {
		s->root = root;
		s->version = get_u32(p + HDR_VERSION_OFFSET);
		if (v2 && get_u32(p + HDR_CATALOG_ROOT_OFFSET) < s->page_count)
			s->catalog_root = get_u32(p + HDR_CATALOG_ROOT_OFFSET);
		st->header_valid = 1;
	}
}

/*
 * Rule 3: mark the pages reachable from the root.  Internal nodes are read
 * again; only they go on the stack, each once, so it holds at most
 * internal_pages + 1 page numbers.
 */
static int walk_tree(struct salvager *s)
{
	uint32_t *stack, *top, pgno, child, keys, i;
	const uint8_t *node = s->page;

	stack = malloc((size_t)(s->internal_pages + 1) * sizeof(*stack));
	if (!stack)
		return ROWFS_NOMEM;
	top = stack;
	s->flags[s->root] |= PAGE_REACHED;
	*top++ = s->root;
	while (top > stack) {
		pgno = *--top;
		if (!(s->flags[pgno] & PAGE_INTERNAL) || !read_page(s, pgno))
			continue;
		keys = get_u32(node + INTERNAL_NODE_NUM_KEYS_OFFSET);
		if (node[NODE_TYPE_OFFSET] != NODE_INTERNAL || keys > INTERNAL_NODE_MAX_KEYS)
			continue;  /* changed since the scan */
		for (i = 0; i <= keys; i++) {
			child = i == keys
				? get_u32(node + INTERNAL_NODE_RIGHT_CHILD_OFFSET)
				: get_u32(node + INTERNAL_NODE_HEADER_SIZE +
					  (size_t)i * INTERNAL_NODE_CELL_SIZE);
			if (child == 0 || child >= s->page_count || (s->flags[child] & PAGE_REACHED))
				continue;
			s->flags[child] |= PAGE_REACHED;
			if (s->flags[child] & PAGE_INTERNAL)
				*top++ = child;
		}
	}
	free(stack);
	return ROWFS_OK;
}

/* Leaf entries reached by the walk become SOURCE_TREE. */
static void resolve_sources(struct salvager *s)
{
	uint8_t want = PAGE_LEAF | PAGE_REACHED;
	size_t i;

	for (i = 0; i < s->count; i++) {
		struct entry *e = &s->entries[i];

		if (e->source == SOURCE_ORPHAN && (s->flags[e->order] & want) == want)
			e->source = SOURCE_TREE;
	}
	for (i = 0; i < s->page_count; i++)
		if ((s->flags[i] & (PAGE_LEAF | PAGE_REACHED)) == (PAGE_LEAF | PAGE_REACHED))
			s->st->tree_leaves++;
}

/* ---- version-2 tables (rules 5 and 6) -------------------------------------- */

/*
 * Read page pgno into buf (PAGE_SIZE bytes, zero past the end of the file);
 * *got receives the bytes read.  Returns 1 when it was read.
 */
static int read_into(struct salvager *s, uint32_t pgno, uint8_t *buf, size_t *got)
{
	struct rowfs_err ignored = { 0 };

	*got = 0;
	if (os_read(s->file, buf, PAGE_SIZE, (uint64_t)pgno * PAGE_SIZE, got, &ignored) != ROWFS_OK)
		return 0;
	memset(buf + *got, 0, PAGE_SIZE - *got);
	return 1;
}

/*
 * Rule 5: claim for owner every table page reachable from root that no
 * other walk claimed.  Only internal pages go on the stack, each once.
 */
static int walk_table_tree(struct salvager *s, uint32_t root, uint32_t owner)
{
	const uint8_t want = PAGE_TLEAF | PAGE_TINTERNAL;
	uint32_t *stack, *top, pgno, child;
	unsigned i, keys;

	if (root == 0 || root >= s->page_count || s->owner[root] || !(s->flags[root] & want))
		return ROWFS_OK;
	stack = malloc((size_t)(s->internal_pages + 1) * sizeof(*stack));
	if (!stack)
		return ROWFS_NOMEM;
	top = stack;
	s->owner[root] = owner;
	*top++ = root;
	while (top > stack) {
		pgno = *--top;
		if (!(s->flags[pgno] & PAGE_TINTERNAL) || !read_page(s, pgno))
			continue;
		if (table_page_type(s->page) != NODE_TABLE_INTERNAL ||
		    !table_internal_header_ok(s->page))
			continue;  /* changed since the scan */
		keys = table_page_count(s->page);
		for (i = 0; i <= keys; i++) {
			if (table_internal_child(s->page, i, &child) != ROWFS_OK ||
			    child >= s->page_count || s->owner[child] || !(s->flags[child] & want))
				continue;
			s->owner[child] = owner;
			if (s->flags[child] & PAGE_TINTERNAL)
				*top++ = child;
		}
	}
	free(stack);
	return ROWFS_OK;
}

/*
 * The record of cell i of the table leaf in s->page (rule 5): *rec points
 * into the page or into s->record.  Returns ROWFS_OK, ROWFS_CORRUPT (a bad
 * cell) or ROWFS_NOMEM.
 */
static int cell_record(struct salvager *s, unsigned i, int64_t *key, const uint8_t **rec,
		       size_t *len)
{
	struct table_cell tc;
	uint64_t rest, pages = 0;
	uint32_t pgno, next, n;
	const uint8_t *data;
	size_t got;

	if (table_leaf_cell(s->page, i, &tc) != ROWFS_OK || tc.offset + tc.size > s->page_len)
		return ROWFS_CORRUPT;
	*key = tc.key;
	if (!tc.overflow) {
		*rec = tc.local;
		*len = tc.local_len;
		return ROWFS_OK;
	}
	s->record.len = 0;
	if (sbuf_append(&s->record, tc.local, tc.local_len) != 0)
		return ROWFS_NOMEM;
	rest = tc.payload - tc.local_len;
	for (pgno = tc.overflow; rest > 0; pgno = next) {
		/* at most the pages the payload needs: this also ends a cycle */
		if (pgno == 0 || pgno >= s->page_count || ++pages > table_overflow_pages(tc.payload) ||
		    !read_into(s, pgno, s->ovf, &got) ||
		    table_overflow_decode(s->ovf, &next, &data, &n) != ROWFS_OK ||
		    n > rest || TABLE_OVERFLOW_HEADER_SIZE + n > got)
			return ROWFS_CORRUPT;
		if (sbuf_append(&s->record, data, n) != 0)
			return ROWFS_NOMEM;
		rest -= n;
	}
	*rec = (const uint8_t *)s->record.data;
	*len = s->record.len;
	return ROWFS_OK;
}

/*
 * A create statement (sql[0..len)) as a table: name, column count and key
 * column into *t.  Returns 1 when it parses and checks.
 */
static int parse_create(struct salvager *s, const uint8_t *sql, size_t len, struct stable *t)
{
	struct rowfs_err err = { 0 };
	struct statement stmt;
	int ok = 0;

	if (parse_line((const char *)sql, len, &stmt, &err) == ROWFS_OK &&
	    stmt.type == STMT_CREATE_TABLE) {
		memset(s->schema, 0, sizeof(*s->schema));
		if (catalog_schema_from_create(&stmt, s->schema, &err) == ROWFS_OK &&
		    strlen(s->schema->name) <= NAME_MAX_LEN && strcmp(s->schema->name, "users") != 0) {
			unsigned c;

			memcpy(t->name, s->schema->name, strlen(s->schema->name) + 1);
			t->column_count = s->schema->column_count;
			t->key_column = s->schema->key_column;
			for (c = 0; c < t->column_count; c++) {
				t->columns[c].type = (uint8_t)s->schema->columns[c].type;
				t->columns[c].not_null = (uint8_t)(s->schema->columns[c].not_null != 0);
				t->columns[c].max_len = s->schema->columns[c].max_len;
			}
			ok = 1;
		}
		catalog_schema_release(s->schema);
	}
	statement_free(&stmt);
	return ok;
}

/*
 * Rule 7: decode a table's record into vals and check it fits the
 * table's columns as an insert would take it (so the dump replays):
 * types (an integer in a real column too), not null, lengths; the key
 * column is the cell's key, whatever the record holds there.  Returns
 * ROWFS_OK or ROWFS_CORRUPT.
 */
static int record_fits(const struct stable *t, const uint8_t *rec, size_t len,
		       struct value *vals)
{
	unsigned c;

	if (record_decode(rec, len, vals, t->column_count, NULL) != ROWFS_OK)
		return ROWFS_CORRUPT;
	for (c = 0; c < t->column_count; c++) {
		struct column col = { .type = (enum column_type)t->columns[c].type,
				      .not_null = t->columns[c].not_null,
				      .max_len = t->columns[c].max_len };
		struct value v = vals[c];

		/* the insert's rule (catalog.h); the messages are not needed here */
		if (c != t->key_column && catalog_column_check(t->name, &col, 0, &v, NULL) != ROWFS_OK)
			return ROWFS_CORRUPT;
	}
	return ROWFS_OK;
}

/* Append table t (sql copied from sql[0..len)); ROWFS_OK or ROWFS_NOMEM. */
static int add_table(struct salvager *s, const struct stable *t, const uint8_t *sql, size_t len)
{
	struct stable *n;

	if (s->table_count == s->table_cap) {
		size_t cap = s->table_cap ? s->table_cap * 2 : 16;

		n = realloc(s->tables, cap * sizeof(*n));
		if (!n)
			return ROWFS_NOMEM;
		s->tables = n;
		s->table_cap = cap;
	}
	n = &s->tables[s->table_count];
	*n = *t;
	n->sql = malloc(len + 1);
	if (!n->sql)
		return ROWFS_NOMEM;
	memcpy(n->sql, sql, len);
	n->sql[len] = '\0';
	n->sql_len = len;
	s->table_count++;
	return ROWFS_OK;
}

/* Append a table row; rec (WAL) is copied.  ROWFS_OK or ROWFS_NOMEM. */
static int add_trow(struct salvager *s, uint32_t table, int64_t key, enum source source,
		    uint64_t order, unsigned cell, const uint8_t *rec, size_t len, int deleted)
{
	struct trow *r;

	if (s->trow_count == s->trow_cap) {
		size_t cap = s->trow_cap ? s->trow_cap * 2 : 1024;

		if (s->trow_cap > SIZE_MAX / 2 / sizeof(*r))
			return ROWFS_NOMEM;
		r = realloc(s->trows, cap * sizeof(*r));
		if (!r)
			return ROWFS_NOMEM;
		s->trows = r;
		s->trow_cap = cap;
	}
	r = &s->trows[s->trow_count];
	memset(r, 0, sizeof(*r));
	r->table = table;
	r->key = key;
	r->source = (uint8_t)source;
	r->order = order;
	r->cell = (uint16_t)cell;
	r->deleted = (uint8_t)deleted;
	if (rec) {
		r->rec = malloc(len ? len : 1);
		if (!r->rec)
			return ROWFS_NOMEM;
		memcpy(r->rec, rec, len);
		r->rec_len = (uint32_t)len;
	}
	s->trow_count++;
	return ROWFS_OK;
}

/* 1 if v is the text t (NUL-terminated). */
static int value_is_text(const struct value *v, const char *t)
{
	return v->type == VALUE_TEXT && v->len == strlen(t) && memcmp(v->p, t, v->len) == 0;
}

/*
 * One catalog cell (rule 5): a table when it decodes as a catalog row;
 * else a bad cell.  A name already taken keeps the lower id.
 */
static int catalog_cell(struct salvager *s, int64_t key, const uint8_t *rec, size_t len)
{
	struct value v[5];
	struct stable t;
	size_t i;

	memset(&t, 0, sizeof(t));
	if (record_decode(rec, len, v, 5, NULL) != ROWFS_OK || key < 1 ||
	    !value_is_text(&v[0], "table") || v[1].type != VALUE_TEXT || v[2].type != VALUE_TEXT ||
	    v[1].len != v[2].len || memcmp(v[1].p, v[2].p, v[1].len) != 0 ||
	    v[3].type != VALUE_INTEGER || v[3].i < 1 || (uint64_t)v[3].i >= s->page_count ||
	    v[4].type != VALUE_TEXT || !parse_create(s, v[4].p, v[4].len, &t) ||
	    strlen(t.name) != v[1].len || memcmp(t.name, v[1].p, v[1].len) != 0) {
		s->st->bad_cells++;
		return ROWFS_OK;
	}
	t.id = key;
	t.root = (uint32_t)v[3].i;
	t.live = 1;
	for (i = 0; i < s->table_count; i++) {
		struct stable *o = &s->tables[i];

		if (o->live && strcmp(o->name, t.name) == 0) {
			s->st->bad_cells++;
			if (o->id < t.id)
				return ROWFS_OK;
			o->live = 0;
		}
	}
	return add_table(s, &t, v[4].p, v[4].len);
}

/* Rule 5: the catalog's leaves become tables. */
static int read_catalog(struct salvager *s)
{
	const uint8_t *rec;
	uint64_t pgno;
	int64_t key;
	unsigned i;
	size_t len;
	int rc;

	rc = walk_table_tree(s, s->catalog_root, OWNER_CATALOG);
	for (pgno = 1; rc == ROWFS_OK && pgno < s->page_count; pgno++) {
		if (s->owner[pgno] != OWNER_CATALOG || !(s->flags[pgno] & PAGE_TLEAF) ||
		    !read_page(s, pgno) || table_page_type(s->page) != NODE_TABLE_LEAF)
			continue;
		s->st->leaf_pages++;
		s->st->tree_leaves++;
		for (i = 0; rc == ROWFS_OK && i < table_page_count(s->page); i++) {
			rc = cell_record(s, i, &key, &rec, &len);
			if (rc == ROWFS_CORRUPT) {
				s->st->bad_cells++;
				rc = ROWFS_OK;
			} else if (rc == ROWFS_OK) {
				rc = catalog_cell(s, key, rec, len);
			}
		}
	}
	return rc;
}

/* Rule 5: every table's tree, then the rows of the leaves each reached. */
static int read_tables(struct salvager *s)
{
	struct value vals[RECORD_MAX_COLUMNS];
	const struct stable *t;
	const uint8_t *rec;
	uint64_t pgno;
	int64_t key;
	size_t len, i;
	unsigned c;
	int rc = ROWFS_OK;

	for (i = 0; rc == ROWFS_OK && i < s->table_count; i++)
		if (s->tables[i].live)
			rc = walk_table_tree(s, s->tables[i].root, (uint32_t)i + 1);
	for (pgno = 1; rc == ROWFS_OK && pgno < s->page_count; pgno++) {
		if (!(s->flags[pgno] & PAGE_TLEAF) || s->owner[pgno] == OWNER_CATALOG)
			continue;
		if (s->owner[pgno] == 0) {
			s->st->orphan_leaves++;
			continue;
		}
		if (!read_page(s, pgno) || table_page_type(s->page) != NODE_TABLE_LEAF)
			continue;
		t = &s->tables[s->owner[pgno] - 1];
		s->st->leaf_pages++;
		s->st->tree_leaves++;
		for (c = 0; rc == ROWFS_OK && c < table_page_count(s->page); c++) {
			rc = cell_record(s, c, &key, &rec, &len);
			if (rc == ROWFS_OK)
				rc = record_fits(t, rec, len, vals);
			if (rc == ROWFS_CORRUPT) {
				s->st->bad_cells++;
				rc = ROWFS_OK;
				continue;
			}
			if (rc == ROWFS_OK)
				rc = add_trow(s, s->owner[pgno] - 1, key, SOURCE_TREE, pgno, c, NULL, 0, 0);
		}
	}
	return rc;
}

/* The live table bound to root (rule 6), binding a pending WAL create if none is; -1 if none. */
static long table_of_root(struct salvager *s, uint32_t root)
{
	size_t i;

	for (i = s->table_count; i-- > 0;)
		if (s->tables[i].live && s->tables[i].root == root)
			return (long)i;
	for (i = 0; i < s->table_count; i++)
		if (s->tables[i].live && s->tables[i].root == 0) {
			s->tables[i].root = root;
			return (long)i;
		}
	return -1;
}

/* Rule 6: one version-2 log record.  ROWFS_CORRUPT: a bad record (skipped); ROWFS_NOMEM. */
static int apply_v2(struct salvager *s, const struct logrec *r, uint64_t order)
{
	struct value vals[RECORD_MAX_COLUMNS];
	struct stable t;
	long idx;
	size_t i;

	if (r->op == LOG_OP_CREATE_TABLE) {
		memset(&t, 0, sizeof(t));
		if (!parse_create(s, r->payload, r->payload_len, &t))
			return ROWFS_CORRUPT;
		t.root = r->root;
		t.live = 1;
		for (i = 0; i < s->table_count; i++)
			if (s->tables[i].live && (strcmp(s->tables[i].name, t.name) == 0 ||
						  (t.root && s->tables[i].root == t.root)))
				s->tables[i].live = 0;
		return add_table(s, &t, r->payload, r->payload_len);
	}
	idx = table_of_root(s, r->root);
	if (idx < 0)
		return ROWFS_CORRUPT;
	switch (r->op) {
	case LOG_OP_DROP_TABLE:
		s->tables[idx].live = 0;
		return ROWFS_OK;
	case LOG_OP_TABLE_DELETE:
		return add_trow(s, (uint32_t)idx, r->key, SOURCE_WAL, order, 0, NULL, 0, 1);
	}
	if (record_fits(&s->tables[idx], r->payload, r->payload_len, vals) != ROWFS_OK)
		return ROWFS_CORRUPT;
	return add_trow(s, (uint32_t)idx, r->key, SOURCE_WAL, order, 0, r->payload, r->payload_len,
			0);
}

/* State of the WAL scan. */
struct wal_apply {
	struct salvager *s;     /* the salvage */
	uint64_t records;       /* records seen, valid or not (their log order) */
};

/* Validate one log record; ROWFS_OK with *row filled (id only for a delete). */
static int record_check(const uint8_t *rec, struct row *row)
{
	const uint8_t *data = rec + LOG_RECORD_ROW_OFFSET;
	size_t i;

	if (rec[1] || rec[2] || rec[3])
		return ROWFS_CORRUPT;
	switch (rec[0]) {
	case LOG_OP_INSERT:
	case LOG_OP_UPDATE:
		return row_decode(data, row);
	case LOG_OP_DELETE:
		for (i = USERNAME_OFFSET; i < ROW_SIZE; i++)
			if (data[i])
				return ROWFS_CORRUPT;
		row->id = get_u32(data + ID_OFFSET);
		return ROWFS_OK;
	}
	return ROWFS_CORRUPT;
}

/*
 * wal_scan callback, rules 4 and 6: every record of a TXN frame becomes an
 * entry (version 1), or changes the tables (version 2; not in the log of
 * a valid version-1 header).
 */
static int apply_frame(void *ctx, uint32_t type, uint64_t seq, const uint8_t *payload,
		       uint32_t len, uint64_t offset)
{
	struct wal_apply *w = ctx;
	struct salvager *s = w->s;
	struct logrec rec;
	struct row row;
	char why[128];
	size_t off;
	int rc;

	(void)seq;
	(void)offset;
	s->st->wal_frames++;
	if (type != WAL_FRAME_TXN)
		return ROWFS_OK;
	for (off = 0; off < len; off += rec.size) {
		w->records++;
		if (logrec_next(payload, len, off, &rec, why, sizeof(why)) != ROWFS_OK) {
			s->st->wal_bad_records++;
			if (rec.size == 0)
				break;   /* the rest of the frame cannot be framed */
			continue;
		}
		if (logrec_is_v2(rec.op)) {
			rc = s->version == DB_FORMAT_VERSION ? ROWFS_CORRUPT
							     : apply_v2(s, &rec, w->records);
		} else {
			rc = record_check(payload + off, &row);
			if (rc == ROWFS_OK)
				rc = add_entry(s, row.id, rec.op == LOG_OP_DELETE ? NULL : &row,
					       SOURCE_WAL, w->records);
		}
		if (rc == ROWFS_NOMEM)
			return ROWFS_NOMEM;
		if (rc != ROWFS_OK) {
			s->st->wal_bad_records++;
			continue;
		}
		s->st->wal_records++;
	}
	return ROWFS_OK;
}

/* Rule 4.  Only running out of memory stops the salvage. */
static int read_wal(struct salvager *s, const struct os *os, const char *db_path,
		    struct rowfs_err *err)
{
	struct wal_apply w = { .s = s, .records = 0 };
	struct rowfs_err werr = { 0 };
	struct wal *wal;
	char *path = wal_path_for(db_path);
	int rc;

	if (!path)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	rc = wal_open(os, path, 1, 0, &wal, &werr);
	if (rc == ROWFS_NOMEM) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_free_path;
	}
	if (rc != ROWFS_OK) {
		snprintf(s->st->wal_problem, sizeof(s->st->wal_problem), "%s", werr.msg);
		rc = ROWFS_OK;
		goto out_free_path;
	}
	rc = wal_scan(wal, apply_frame, &w, &werr);
	if (rc == ROWFS_NOMEM) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	} else if (rc != ROWFS_OK) {
		/* What was read before the failure stays: the valid prefix. */
		snprintf(s->st->wal_problem, sizeof(s->st->wal_problem), "%s", werr.msg);
		rc = ROWFS_OK;
	}
	wal_close(wal);
out_free_path:
	free(path);
	return rc;
}

/* qsort order: id, then precedence (latest WAL record, tree, orphan, lowest page). */
static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	if (x->order == y->order)
		return 0;
	if (x->source == SOURCE_WAL)
		return x->order > y->order ? -1 : 1;
	return x->order < y->order ? -1 : 1;
}

/* qsort order of table rows: table, key, then precedence (latest WAL record, lowest page). */
static int trow_cmp(const void *a, const void *b)
{
	const struct trow *x = a, *y = b;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	if (x->order == y->order)
		return x->cell < y->cell ? -1 : x->cell > y->cell;
	if (x->source == SOURCE_WAL)
		return x->order > y->order ? -1 : 1;
	return x->order < y->order ? -1 : 1;
}

/* Dump output, buffered into whole lines. */
struct dump {
	rowfs_emit_fn emit;         /* the caller's sink */
	void *ctx;                  /* its context */
	struct sbuf buf;            /* pending lines */
	struct sbuf line;           /* the line being built (table rows) */
	int failed;                 /* emit returned non-zero */
	int nomem;                  /* a buffer could not grow */
};

static void dump_flush(struct dump *d)
{
	if (d->buf.len > 0 && !d->failed && d->emit(d->ctx, d->buf.data, d->buf.len) != 0)
		d->failed = 1;
	d->buf.len = 0;
}

/* Append one whole line; the buffer is handed on past 64 KiB. */
static void dump_line(struct dump *d, const char *text, size_t len)
{
	if (d->failed || d->nomem)
		return;
	if (sbuf_append(&d->buf, text, len) != 0)
		d->nomem = 1;
	else if (d->buf.len >= 65536)
		dump_flush(d);
}

/* Users' rows: one entry per id (the first after sorting). */
static void dump_users(struct salvager *s, struct dump *d)
{
	char line[ROW_INSERT_MAX + 1];
	size_t i, j, n;

	for (i = 0; i < s->count && !d->failed && !d->nomem; i = j) {
		const struct entry *e = &s->entries[i];

		for (j = i + 1; j < s->count && s->entries[j].id == e->id; j++)
			if (s->entries[j].source != SOURCE_WAL)
				s->st->superseded++;
		if (e->deleted)
			continue;
		n = row_format_insert(line, e->id, e->name, e->name_len);
		line[n++] = '\n';
		dump_line(d, line, n);
		s->st->rows++;
	}
}

/* The record of a chosen table row: the WAL's copy, or its cell read again. */
static int trow_record(struct salvager *s, const struct trow *r, const uint8_t **rec,
		       size_t *len)
{
	int64_t key;

	if (r->source == SOURCE_WAL) {
		*rec = r->rec;
		*len = r->rec_len;
		return ROWFS_OK;
	}
	if (!read_page(s, r->order) || table_page_type(s->page) != NODE_TABLE_LEAF)
		return ROWFS_CORRUPT;
	return cell_record(s, r->cell, &key, rec, len);
}

/* One row of table t as `insert into T values (...)`. */
static int dump_trow(struct salvager *s, struct dump *d, const struct stable *t,
		     const struct trow *r)
{
	struct value vals[RECORD_MAX_COLUMNS];
	const uint8_t *rec;
	size_t len;
	unsigned c;
	int rc;

	rc = trow_record(s, r, &rec, &len);
	if (rc == ROWFS_OK)
		rc = record_fits(t, rec, len, vals);
	if (rc != ROWFS_OK)
		return rc;
	vals[t->key_column].type = VALUE_INTEGER;
	vals[t->key_column].i = r->key;
	d->line.len = 0;
	if (sbuf_printf(&d->line, "insert into %s values (", t->name) != 0)
		return ROWFS_NOMEM;
	for (c = 0; c < t->column_count; c++) {
		if ((c > 0 && sbuf_append(&d->line, ", ", 2) != 0) ||
		    value_append_literal(&d->line, &vals[c]) != ROWFS_OK)
			return ROWFS_NOMEM;
	}
	if (sbuf_append(&d->line, ")\n", 2) != 0)
		return ROWFS_NOMEM;
	dump_line(d, d->line.data, d->line.len);
	return ROWFS_OK;
}

/* Table idx's rows, trows[from..to) (sorted): the first entry of each key decides. */
static void dump_table(struct salvager *s, struct dump *d, size_t idx, size_t from, size_t to)
{
	size_t i, j;
	int rc;

	for (i = from; i < to && !d->failed && !d->nomem; i = j) {
		const struct trow *r = &s->trows[i];

		for (j = i + 1; j < to && s->trows[j].key == r->key; j++)
			if (s->trows[j].source != SOURCE_WAL)
				s->st->superseded++;
		if (r->deleted)
			continue;
		rc = dump_trow(s, d, &s->tables[idx], r);
		if (rc == ROWFS_NOMEM)
			d->nomem = 1;
		else if (rc != ROWFS_OK)
			s->st->bad_cells++;   /* changed since it was read */
		else
			s->st->rows++;
	}
}

/* Live tables in name order, users (SIZE_MAX) among them: malloc'd, *n entries. */
static size_t *table_order(struct salvager *s, size_t *n)
{
	size_t *order = malloc((s->table_count + 1) * sizeof(*order)), i, j, k = 0;

	if (!order)
		return NULL;
	order[k++] = SIZE_MAX;
	for (i = 0; i < s->table_count; i++) {
		if (!s->tables[i].live)
			continue;
		/* insertion by name (tables are few next to rows) */
		for (j = k; j > 0; j--) {
			const char *prev = order[j - 1] == SIZE_MAX ? "users" : s->tables[order[j - 1]].name;

			if (strcmp(prev, s->tables[i].name) <= 0)
				break;
			order[j] = order[j - 1];
		}
		order[j] = i;
		k++;
	}
	*n = k;
	return order;
}

/* Choose one entry per key and write the dump. */
static int write_dump(struct salvager *s, rowfs_emit_fn emit, void *ctx, struct rowfs_err *err)
{
	struct dump d;
	size_t *order, *start = NULL, n = 0, i, t;
	int failed;

	memset(&d, 0, sizeof(d));
	d.emit = emit;
	d.ctx = ctx;
	order = table_order(s, &n);
	start = calloc(s->table_count + 1, sizeof(*start));
	if (!order || !start) {
		free(order);
		free(start);
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	}
	if (s->count > 1)
		qsort(s->entries, s->count, sizeof(*s->entries), entry_cmp);
	if (s->trow_count > 1)
		qsort(s->trows, s->trow_count, sizeof(*s->trows), trow_cmp);
	/* start[t] .. start[t + 1]: the rows of table t */
	for (i = 0, t = 0; t <= s->table_count; t++) {
		while (i < s->trow_count && s->trows[i].table < t)
			i++;
		start[t] = i;
	}
	dump_line(&d, "begin\n", 6);
	for (i = 0; i < n; i++) {
		const struct stable *tb = order[i] == SIZE_MAX ? NULL : &s->tables[order[i]];

		if (!tb)
			continue;
		s->st->tables++;
		dump_line(&d, tb->sql, tb->sql_len);
		dump_line(&d, "\n", 1);
	}
	for (i = 0; i < n; i++) {
		if (order[i] == SIZE_MAX)
			dump_users(s, &d);
		else
			dump_table(s, &d, order[i], start[order[i]], start[order[i] + 1]);
	}
	dump_line(&d, "commit\n", 7);
	dump_flush(&d);
	failed = d.failed;
	sbuf_release(&d.buf);
	sbuf_release(&d.line);
	free(start);
	free(order);
	if (d.nomem)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	if (failed)
		return rowfs_err_set(err, ROWFS_NOMEM, 0, "cannot write the dump");
	return ROWFS_OK;
}

/* Free what the salvager holds (the file is closed by the caller). */
static void salvager_release(struct salvager *s)
{
	size_t i;

	for (i = 0; i < s->trow_count; i++)
		free(s->trows[i].rec);
	free(s->trows);
	for (i = 0; i < s->table_count; i++)
		free(s->tables[i].sql);
	free(s->tables);
	free(s->schema);
	sbuf_release(&s->record);
	free(s->owner);
	free(s->entries);
	free(s->flags);
	free(s->ovf);
	free(s->page);
}

int rowfs_salvage(const char *path, const struct os *os, rowfs_emit_fn emit, void *ctx,
		  struct rowfs_salvage_stats *st, struct rowfs_err *err)
{
	struct salvager s;
	uint64_t size;
	int rc;

	memset(st, 0, sizeof(*st));
	memset(&s, 0, sizeof(s));
	s.st = st;
	if (!os)
		os = os_default();
	rc = os_open(os, path, O_RDONLY, &s.file, err);
	if (rc != ROWFS_OK)
		return rc;
	rc = os_lock(s.file, 0, err);
	if (rc != ROWFS_OK)
		goto out_close;
	rc = os_size(s.file, &size, err);
	if (rc != ROWFS_OK)
		goto out_close;
	s.page_count = size / PAGE_SIZE + (size % PAGE_SIZE != 0);
	if (s.page_count > (uint64_t)UINT32_MAX + 1)
		s.page_count = (uint64_t)UINT32_MAX + 1;  /* page numbers are u32 */
	s.page = malloc(PAGE_SIZE);
	s.ovf = malloc(PAGE_SIZE);
	s.flags = calloc(s.page_count ? s.page_count : 1, 1);
	s.owner = calloc(s.page_count ? s.page_count : 1, sizeof(*s.owner));
	s.schema = calloc(1, sizeof(*s.schema));
	if (!s.page || !s.ovf || !s.flags || !s.owner || !s.schema) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_free;
	}

	if (s.page_count > 0)
		read_header(&s);
	else
		snprintf(st->header_problem, sizeof(st->header_problem), "the file is empty");
	rc = scan_pages(&s);
	if (rc == ROWFS_OK && st->header_valid)
		rc = walk_tree(&s);
	if (rc == ROWFS_OK && s.catalog_root)
		rc = read_catalog(&s);
	if (rc == ROWFS_OK)
		rc = read_tables(&s);
	if (rc != ROWFS_OK) {
		rc = rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
		goto out_free;
	}
	resolve_sources(&s);
	rc = read_wal(&s, os, path, err);
	if (rc == ROWFS_OK)
		rc = write_dump(&s, emit, ctx, err);
out_free:
	salvager_release(&s);
out_close:
	os_close(s.file);
	return rc;
}
