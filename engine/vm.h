/*
 * vm.h - runs a compiled program (compiler.h) against the table.
 *
 * The VM drives cursors and the B-tree, logs each change to the open
 * transaction (pager_log), and sends reply text through the caller's emit
 * callback.  What it cannot know itself (statistics of the whole engine)
 * it gets through callbacks in struct vm_env, so no upward call is made.
 *
 * Log record of a change (WAL_FRAME_TXN payload unit, VM_RECORD_SIZE bytes):
 *   0 u8 op: VM_OP_INSERT 1, VM_OP_DELETE 2, VM_OP_UPDATE 3; 1..3 zero;
 *   4 the ROW_SIZE-byte row (insert: the new row; update: the key and its
 *   new name; delete: the key, the name bytes zero).
 * The layout is defined once in format.h (LOG_RECORD_*), because
 * salvage.c, below the VM, reads records too.  The users table keeps
 * these 40-byte records; every other table and the DDL use format.h's
 * version-2 records (LOG_OP_TABLE_INSERT .. LOG_OP_DROP_TABLE: a 24-byte
 * header, then the record or the create statement, padded to 8 bytes).
 * One transaction's payload mixes both kinds; logrec.h frames them.
 *
 * Change feed: when vm_env.feed is set, every change the VM makes also
 * appends its line there, without the sequence number (the caller
 * prefixes it at commit):
 *   users:  "insert ID NAME"  "update ID NAME"  "delete ID"
 *   others: "insert T KEY JSON"  "update T KEY JSON"  "delete T KEY"
 *           "create T"  "drop T"
 * JSON is one object of every column in declared order, compact, as the
 * rows.ndjson files write it: {"id":1,"name":"a\"b","x":null,"b":"\\x00ff"}
 * (textform.c's ROWFS_FORM_JSON: NULL null, reals as rowfs_format_real,
 * blob "\x" + hex).  An update that changes the key is a delete and an
 * insert, in the feed and the log.
 *
 * Sizes: the VM tells vm_env.delta what it changed (see there), so that
 * the engine keeps the byte counts of the renderings of a counted table
 * and the time of each table's last change (sizes.h).  A table that is
 * not counted costs one store per change.
 */
#ifndef ROWFS_ENGINE_VM_H
#define ROWFS_ENGINE_VM_H

#include <stdint.h>

#include "catalog.h"
#include "compiler.h"
#include "format.h"
#include "lines.h"
#include "pager.h"
#include "row.h"
#include "rowfs.h"
#include "util.h"

#define VM_RECORD_SIZE LOG_RECORD_SIZE
#define VM_OP_INSERT LOG_OP_INSERT
#define VM_OP_DELETE LOG_OP_DELETE
#define VM_OP_UPDATE LOG_OP_UPDATE

struct vm_env {
	struct pager *pager;          /* the database */
	struct catalog *catalog;      /* the catalog the program was compiled against; DDL changes it */
	struct sbuf *feed;            /* change-feed lines of the changes made, or NULL (no feed) */
	int catalog_changed;          /* set when a create or drop table ran */
	int64_t ddl_table;            /* the id of the table a create or drop table made or
					 removed (the caller sets -1 before the run) */
	struct lines_delta *delta;    /* where the changes of the program's table are told (users
					 for the seed statements), or NULL: every insert, replace
					 and delete sets delta->changed, and when delta->count is
					 not 0 also counts the rows and line bytes of the renderings
					 in it (lines.h), looking up the old row of an update or a
					 delete for that */
	int (*render_stats)(void *ctx, rowfs_emit_fn emit, void *emit_ctx, struct rowfs_err *err);
	void *stats_ctx;              /* first argument of render_stats */
	int checkpoint_requested;     /* set by OP_CHECKPOINT; the caller checkpoints after commit */
	const struct rowfs_sink *sink; /* typed results (rowfs.h), or NULL: select rows as text.
					  With it, OP_RESULT_ROW, OP_RESULT and OP_RESULT_COUNT
					  give rows to sink->row, OP_NO_ROWS emits nothing, and an
					  empty OP_REWIND ends the program (no "(empty table)");
					  the caller gives sink->columns the names first */
};

/*
 * vm_run - execute prog.  Returns ROWFS_OK, ROWFS_EXIT, or the error of the
 * failing op (err filled).  After ROWFS_IOERR/CORRUPT/NOMEM/FULL pages may
 * be half changed: the caller rolls back.
 */
int vm_run(struct vm_env *env, const struct program *prog, rowfs_emit_fn emit, void *ctx,
	   struct rowfs_err *err);

/*
 * vm_apply_records - replay logged records (recovery) through the same
 * catalog and table functions the statements used, in the same order, so
 * pages are allocated as in the original run; cat follows the creates and
 * drops (it must be the catalog of the state the records apply to).
 * Inserts of keys already present, and updates and deletes of absent
 * ones, are skipped (replay is idempotent).  Returns ROWFS_OK or
 * ROWFS_CORRUPT for a record that is not valid, or an I/O error.
 */
int vm_apply_records(struct pager *pager, struct catalog *cat, const uint8_t *records,
		     uint32_t len, struct rowfs_err *err);

/*
 * vm_record_check - validate one VM_RECORD_SIZE log record (users' ops 1..3) and decode its
 * row (for a delete only row->id).  ROWFS_OK or ROWFS_CORRUPT.
 */
int vm_record_check(const uint8_t *record, struct row *row);

/* The constants text of `.constants` (NAME: value lines). */
int vm_render_constants(rowfs_emit_fn emit, void *ctx);

#endif /* ROWFS_ENGINE_VM_H */
