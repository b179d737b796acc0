/*
 * fuzz_statement.c - libFuzzer target: arbitrary bytes as statement lines.
 *
 * Each input is split at '\n' and every line runs through rowfs_exec() in
 * one unit of the write transaction (begun, exec per line, committed
 * unless an explicit transaction is open in it, as ctl does) on a database
 * that lives for the whole process in a private directory under $TMPDIR
 * (sync=off, a small cache so that eviction and checkpoints happen).  The
 * database is recreated when it passes MAX_ROWS rows, so it stays small.
 * The whole input also goes to parse_line() and compile_statement()
 * directly, as one line.
 *
 * Oracles, besides the sanitizers:
 *   - a reference of the lexical rules (CONTRACT.md) written independently
 *     of engine/tokenizer.c: "line too long", "NUL byte" and the position
 *     of the first bad byte must match the engine's verdict exactly, and a
 *     line of good bytes never gets a token error;
 *   - a reference of the grammar (insert, update, delete, select, meta,
 *     begin/commit/end/rollback [transaction]): the statement type, the id
 *     (no wrapped or truncated number) and the name bytes;
 *   - statement errors emit nothing and carry a message and an errno;
 *     every reply ends with a newline;
 *   - the last insert, update or delete of an id that committed (or sits
 *     in the explicit transaction still open: rowfs_scan() through the write
 *     transaction reads what it sees) is what rowfs_scan() finds (names
 *     byte for byte); a
 *     `rollback` forgets what the input expected so far; `select` prints
 *     one line per row.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined (`make fuzz`, see
 * tests/fuzz/fuzz.mk; Debian packages clang and libclang-rt-dev).
 */
#include <config.h>

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"
#include "format.h"
#include "parser.h"
#include "rowfs.h"
#include "fuzz_util.h"

#define MAX_ROWS 3000u        /* recreate the database past this many rows */
#define MAX_INPUTS 20000u     /* ... or after this many inputs */
#define MAX_CHECKED 64u       /* ids of one input whose final state is verified */

static struct fuzz_dir dir;
static struct rowfs_db *db;
static struct rowfs_txn *txn;   /* the write transaction an explicit transaction keeps */
static char *db_path;
static unsigned inputs_on_db;

/* ---- reference of the lexical rules and the grammar ------------------- */

static int ref_is_word_ascii(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

/*
 * Decode one UTF-8 character at p (n bytes available) the long way: read
 * the bits, then reject overlong forms, surrogates and values past
 * U+10FFFF.  Returns its length or 0.
 */
static size_t ref_utf8(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t need, i;

	if ((p[0] & 0xE0) == 0xC0) {
		need = 2;
		cp = p[0] & 0x1F;
	} else if ((p[0] & 0xF0) == 0xE0) {
		need = 3;
		cp = p[0] & 0x0F;
	} else if ((p[0] & 0xF8) == 0xF0) {
		need = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000))
		return 0;
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return 0;
	if (cp > 0x10FFFF)
		return 0;
	return need;
}

struct ref_token {
	size_t pos, len;
};

/* What the contract says a line is. */
struct ref_result {
	int verdict;               /* 0 ok, 1 too long, 2 NUL, 3 token error */
	size_t bad_pos;            /* verdict 3: position of the bad byte */
	unsigned char bad_byte;    /* verdict 3: the byte */
	size_t len;                /* length after dropping one '\r' */
	size_t ntok;               /* tokens (up to 5 kept) */
	struct ref_token tok[5];
};

static void ref_lex(const unsigned char *p, size_t len, struct ref_result *r)
{
	size_t i = 0;

	memset(r, 0, sizeof(*r));
	if (len > 0 && p[len - 1] == '\r')
		len--;
	r->len = len;
	if (len > MAX_LINE_SIZE) {
		r->verdict = 1;
		return;
	}
	for (i = 0; i < len; i++) {
		if (p[i] == 0) {
			r->verdict = 2;
			return;
		}
	}
	i = 0;
	while (i < len) {
		size_t start;

		if (p[i] == ' ' || p[i] == '\t') {
			i++;
			continue;
		}
		start = i;
		while (i < len && p[i] != ' ' && p[i] != '\t') {
			size_t n = p[i] < 0x80 ? (ref_is_word_ascii(p[i]) ? 1 : 0)
					       : ref_utf8(p + i, len - i);

			if (n == 0) {
				r->verdict = 3;
				r->bad_pos = i;
				r->bad_byte = p[i];
				return;
			}
			i += n;
		}
		if (r->ntok < 5) {
			r->tok[r->ntok].pos = start;
			r->tok[r->ntok].len = i - start;
		}
		r->ntok++;
	}
}

static int ref_keyword(const unsigned char *p, const struct ref_token *t, const char *kw)
{
	size_t i;

	if (t->len != strlen(kw))
		return 0;
	for (i = 0; i < t->len; i++) {
		unsigned char c = p[t->pos + i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)kw[i])
			return 0;
	}
	return 1;
}

static int ref_all_digits(const unsigned char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/* "INTEGER" or "STRING": the contract's name of an extra token. */
static const char *ref_type(const unsigned char *p, const struct ref_token *t)
{
	if (ref_all_digits(p + t->pos, t->len))
		return "INTEGER";
	if (t->len > 1 && p[t->pos] == '-' && ref_all_digits(p + t->pos + 1, t->len - 1))
		return "INTEGER";
	return "STRING";
}

/* Value of an all-digit token, saturated at 2^33 (enough to say "out of range"). */
static uint64_t ref_value(const unsigned char *p, size_t len)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v > (1ull << 33))
			v = 1ull << 33;
	}
	return v;
}

/* Compare what parse_line said about line with the reference. */
static void check_parse(const unsigned char *p, size_t len, int rc, const struct statement *st,
			const struct rowfs_err *err)
{
	struct ref_result r;
	char want[160];
	int is_delete, is_update;

	ref_lex(p, len, &r);
	switch (r.verdict) {
	case 1:
		FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, "Parse error: line too long"));
		return;
	case 2:
		FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, "Parse error: NUL byte"));
		return;
	case 3:
		if (r.bad_byte > 0x20 && r.bad_byte < 0x7F)
			snprintf(want, sizeof(want),
				 "Token error: Unexpected character '%c' at position %zu",
				 r.bad_byte, r.bad_pos);
		else
			snprintf(want, sizeof(want),
				 "Token error: Unexpected character '\\x%02X' at position %zu",
				 r.bad_byte, r.bad_pos);
		FUZZ_CHECK(rc == ROWFS_TOKEN);
		FUZZ_CHECK(!strcmp(err->msg, want));
		return;
	default:
		break;
	}
	FUZZ_CHECK(rc != ROWFS_TOKEN);
	if (r.ntok == 0) {
		FUZZ_CHECK(rc == ROWFS_OK && st->type == STMT_EMPTY);
		return;
	}
	if (p[r.tok[0].pos] == '.') {
		if (r.ntok == 1) {
			FUZZ_CHECK(rc == ROWFS_OK && st->type == STMT_META);
			FUZZ_CHECK(st->meta_len == r.tok[0].len &&
				   st->meta == (const char *)p + r.tok[0].pos);
		} else {
			snprintf(want, sizeof(want),
				 "Parse error: Expected end of line, got %s at position %zu",
				 ref_type(p, &r.tok[1]), r.tok[1].pos);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
		}
		return;
	}
	if (ref_keyword(p, &r.tok[0], "select")) {
		if (r.ntok == 1) {
			FUZZ_CHECK(rc == ROWFS_OK && st->type == STMT_SELECT);
		} else {
			snprintf(want, sizeof(want),
				 "Parse error: Expected end of line, got %s at position %zu",
				 ref_type(p, &r.tok[1]), r.tok[1].pos);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
		}
		return;
	}
	if (ref_keyword(p, &r.tok[0], "begin") || ref_keyword(p, &r.tok[0], "commit") ||
	    ref_keyword(p, &r.tok[0], "end") || ref_keyword(p, &r.tok[0], "rollback")) {
		/* begin|commit|end|rollback [transaction] */
		size_t eol = r.ntok >= 2 && ref_keyword(p, &r.tok[1], "transaction") ? 2 : 1;
		enum stmt_type type = ref_keyword(p, &r.tok[0], "begin")    ? STMT_BEGIN :
				      ref_keyword(p, &r.tok[0], "rollback") ? STMT_ROLLBACK :
									      STMT_COMMIT;

		if (r.ntok == eol) {
			FUZZ_CHECK(rc == ROWFS_OK && st->type == type);
		} else {
			snprintf(want, sizeof(want),
				 "Parse error: Expected end of line, got %s at position %zu",
				 ref_type(p, &r.tok[eol]), r.tok[eol].pos);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
		}
		return;
	}
	is_delete = ref_keyword(p, &r.tok[0], "delete");
	is_update = ref_keyword(p, &r.tok[0], "update");
	if (!is_delete && !is_update && !ref_keyword(p, &r.tok[0], "insert")) {
		FUZZ_CHECK(rc == ROWFS_SYNTAX);
		FUZZ_CHECK(!strcmp(err->msg, "Parse error: Expected INSERT, SELECT, or meta-command"));
		return;
	}
	/* insert ID NAME, update ID NAME, delete ID */
	if (r.ntok < 2) {
		snprintf(want, sizeof(want), "Parse error: Expected INTEGER, got EOF at position %zu",
			 r.len);
		FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
		return;
	}
	{
		const unsigned char *id = p + r.tok[1].pos;
		size_t id_len = r.tok[1].len;
		size_t end_tok = is_delete ? 2 : 3;   /* the token that must be EOF */

		if (id_len > 1 && id[0] == '-' && ref_all_digits(id + 1, id_len - 1)) {
			FUZZ_CHECK(rc == ROWFS_RANGE);
			FUZZ_CHECK(!strcmp(err->msg, "Parse error: Row id must be non-negative"));
			return;
		}
		if (!ref_all_digits(id, id_len)) {
			snprintf(want, sizeof(want),
				 "Parse error: Expected INTEGER, got STRING at position %zu",
				 r.tok[1].pos);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
			return;
		}
		if (ref_value(id, id_len) > UINT32_MAX) {
			FUZZ_CHECK(rc == ROWFS_RANGE);
			FUZZ_CHECK(!strcmp(err->msg, "Parse error: Row id out of range"));
			return;
		}
		if (!is_delete && r.ntok < 3) {
			snprintf(want, sizeof(want),
				 "Parse error: Expected STRING, got EOF at position %zu", r.len);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
			return;
		}
		if (r.ntok > end_tok) {
			snprintf(want, sizeof(want),
				 "Parse error: Expected end of line, got %s at position %zu",
				 ref_type(p, &r.tok[end_tok]), r.tok[end_tok].pos);
			FUZZ_CHECK(rc == ROWFS_SYNTAX && !strcmp(err->msg, want));
			return;
		}
		FUZZ_CHECK(rc == ROWFS_OK);
		FUZZ_CHECK(st->id == ref_value(id, id_len));
		if (is_delete) {
			FUZZ_CHECK(st->type == STMT_DELETE);
			return;
		}
		FUZZ_CHECK(st->type == (is_update ? STMT_UPDATE : STMT_INSERT));
		FUZZ_CHECK(st->name == (const char *)p + r.tok[2].pos);
		FUZZ_CHECK(st->name_len == r.tok[2].len);
	}
}

/* ---- the database ------------------------------------------------------ */

/* Reply text of one statement. */
struct reply {
	char *buf;
	size_t len, cap;
};

static int reply_emit(void *ctx, const char *text, size_t len)
{
	struct reply *r = ctx;

	if (r->len + len > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *p;

		while (cap < r->len + len)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (!p)
			return 1;
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, text, len);
	r->len += len;
	return 0;
}

static void close_db(void)
{
	struct rowfs_err err;

	if (!db)
		return;
	rowfs_txn_abort(txn);
	txn = NULL;
	rowfs_close(db, &err);
	db = NULL;
}

static void open_db(int fresh)
{
	struct rowfs_config cfg;
	struct rowfs_err err;
	int rc;

	close_db();
	if (fresh)
		fuzz_dir_remove_db(&dir, db_path);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = db_path;
	cfg.sync = ROWFS_SYNC_OFF;
	cfg.cache_pages = 16;
	cfg.wal_limit = 256u << 10;
	rc = rowfs_open(&cfg, &db, &err);
	if (rc != ROWFS_OK) {
		fprintf(stderr, "fuzz_statement: cannot open '%s': %s\n", db_path, err.msg);
		abort();
	}
	inputs_on_db = 0;
}

static void at_exit(void)
{
	close_db();
	fuzz_dir_remove_db(&dir, db_path);
	free(db_path);
	fuzz_dir_release(&dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_dir_init(&dir, "fuzz_statement");
	db_path = fuzz_dir_file(&dir, "s.db");
	open_db(1);
	atexit(at_exit);
	return 0;
}

/* A row found by a scan. */
struct found {
	uint32_t want;
	int hit;
	char name[USERNAME_SIZE + 1];
	size_t name_len;
};

static int find_row(void *ctx, int64_t key, const struct rowfs_value *vals, unsigned n)
{
	struct found *f = ctx;

	FUZZ_CHECK(n == 2 && vals[1].type == ROWFS_TYPE_TEXT);
	if (key == (int64_t)f->want) {
		f->hit = 1;
		FUZZ_CHECK(vals[1].len <= USERNAME_SIZE);
		memcpy(f->name, vals[1].p, vals[1].len);
		f->name_len = vals[1].len;
	}
	return 1;   /* only the first row at or after want matters */
}

/* Lines of text that are all "(ID, NAME)": count them. */
static size_t count_rows(const char *text, size_t len)
{
	size_t lines = 0, i;

	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			lines++;
	return lines;
}

/*
 * What the input's statements did to one id, verified after the commit:
 * the last successful insert/update/delete of that id wins.
 */
struct expect {
	uint32_t id;
	int present;                /* 0 after a delete */
	char name[USERNAME_SIZE];
	size_t name_len;
};

/* The model entry of id, added if there is room; NULL when full. */
static struct expect *model_entry(struct expect *model, size_t *count, uint32_t id)
{
	size_t i;

	for (i = 0; i < *count; i++)
		if (model[i].id == id)
			return &model[i];
	if (*count == MAX_CHECKED)
		return NULL;
	model[*count].id = id;
	return &model[(*count)++];
}

static void run_line(const uint8_t *line, size_t len, struct reply *out,
		     struct expect *model, size_t *nmodel, int *fatal)
{
	struct rowfs_stats st;
	struct statement stmt;
	struct rowfs_err err, perr;
	struct expect *e;
	int rc, prc;

	memset(&err, 0, sizeof(err));
	prc = parse_line((const char *)line, len, &stmt, &perr);
	check_parse(line, len, prc, &stmt, &perr);

	out->len = 0;
	rc = rowfs_exec(txn, (const char *)line, len, reply_emit, out, &err);
	if (rc == ROWFS_OK || rc == ROWFS_EXIT) {
		FUZZ_CHECK(prc == ROWFS_OK);
		FUZZ_CHECK(out->len == 0 || out->buf[out->len - 1] == '\n');
		switch (stmt.type) {
		case STMT_INSERT:
		case STMT_UPDATE:
		case STMT_DELETE:
			FUZZ_CHECK(out->len == 10 && !memcmp(out->buf, "Executed.\n", 10));
			FUZZ_CHECK(stmt.name_len <= USERNAME_SIZE);
			e = model_entry(model, nmodel, stmt.id);
			if (e) {
				e->present = stmt.type != STMT_DELETE;
				e->name_len = e->present ? stmt.name_len : 0;
				if (e->present)
					memcpy(e->name, stmt.name, stmt.name_len);
			}
			break;
		case STMT_SELECT:
			FUZZ_CHECK(rowfs_get_stats(txn, &st, &err) == ROWFS_OK);
			if (st.rows == 0)
				FUZZ_CHECK(out->len == 14 && !memcmp(out->buf, "(empty table)\n", 14));
			else
				FUZZ_CHECK(count_rows(out->buf, out->len) == st.rows);
			break;
		case STMT_EMPTY:
			FUZZ_CHECK(out->len == 0);
			break;
		case STMT_ROLLBACK:
			/* what the transaction did is gone, in this input and before it */
			*nmodel = 0;
			FUZZ_CHECK(out->len == 10 && !memcmp(out->buf, "Executed.\n", 10));
			break;
		case STMT_BEGIN:
		case STMT_COMMIT:
			FUZZ_CHECK(out->len == 10 && !memcmp(out->buf, "Executed.\n", 10));
			break;
		default:
			break;
		}
		return;
	}
	/* a failed statement: a message, an errno, no reply */
	FUZZ_CHECK(err.msg[0] != '\0');
	FUZZ_CHECK(rowfs_errno(rc) != 0);
	if (prc != ROWFS_OK) {
		FUZZ_CHECK(rc == prc);
		FUZZ_CHECK(!strcmp(err.msg, perr.msg));
	}
	switch (rc) {
	case ROWFS_TOKEN:
	case ROWFS_SYNTAX:
	case ROWFS_RANGE:
	case ROWFS_TOOLONG:
	case ROWFS_DUPLICATE:
	case ROWFS_NOTFOUND:
	case ROWFS_META:
	case ROWFS_TXN:
		FUZZ_CHECK(out->len == 0);
		if (rc == ROWFS_TXN)
			FUZZ_CHECK(stmt.type == STMT_BEGIN || stmt.type == STMT_COMMIT ||
				   stmt.type == STMT_ROLLBACK);
		if (rc == ROWFS_TOOLONG)
			FUZZ_CHECK((stmt.type == STMT_INSERT || stmt.type == STMT_UPDATE) &&
				   stmt.name_len > USERNAME_SIZE);
		if (rc == ROWFS_DUPLICATE)
			FUZZ_CHECK(stmt.type == STMT_INSERT);
		if (rc == ROWFS_NOTFOUND)
			FUZZ_CHECK(stmt.type == STMT_UPDATE || stmt.type == STMT_DELETE);
		break;
	default:
		/* the engine must not fail on good files: report it */
		fprintf(stderr, "fuzz_statement: unexpected %s: %s\n", rowfs_rc_name(rc), err.msg);
		*fatal = 1;
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expect model[MAX_CHECKED];
	struct reply out = {0};
	struct rowfs_stats st;
	struct statement stmt;
	struct program prog;
	struct rowfs_err err;
	size_t pos = 0, nmodel = 0, i;
	int fatal = 0, rc;

	/* the whole input as one line: parser and compiler alone */
	rc = parse_line((const char *)data, size, &stmt, &err);
	check_parse(data, size, rc, &stmt, &err);
	if (rc == ROWFS_OK && (stmt.type == STMT_BEGIN || stmt.type == STMT_COMMIT ||
			       stmt.type == STMT_ROLLBACK)) {
		/* transaction control runs in the façade, never through the VM */
		FUZZ_CHECK(compile_statement(&stmt, &prog, &err) == ROWFS_ERROR);
	} else if (rc == ROWFS_OK) {
		rc = compile_statement(&stmt, &prog, &err);
		FUZZ_CHECK(rc == ROWFS_OK || rc == ROWFS_TOOLONG || rc == ROWFS_META);
		if (rc == ROWFS_OK)
			FUZZ_CHECK(prog.count >= 1 && prog.count <= PROGRAM_MAX_OPS);
	}

	if (!txn) {
		rc = rowfs_txn_begin(db, 0, &txn, &err);
		FUZZ_CHECK(rc == ROWFS_OK);
	}
	FUZZ_CHECK(rowfs_get_stats(txn, &st, &err) == ROWFS_OK);
	if (st.rows > MAX_ROWS || ++inputs_on_db > MAX_INPUTS) {
		open_db(1);
		nmodel = 0;
		rc = rowfs_txn_begin(db, 0, &txn, &err);
		FUZZ_CHECK(rc == ROWFS_OK);
	}
	while (pos < size && !fatal) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t end = nl ? (size_t)(nl - data) : size;

		run_line(data + pos, end - pos, &out, model, &nmodel, &fatal);
		pos = end + 1;
	}
	if (fatal) {
		rowfs_txn_abort(txn);
		txn = NULL;
		free(out.buf);
		abort();
	}
	if (rowfs_txn_state(txn) == ROWFS_TXN_NONE) {
		rc = rowfs_txn_commit(txn, &err);
		txn = NULL;
		if (rc != ROWFS_OK) {
			fprintf(stderr, "fuzz_statement: commit failed: %s\n", err.msg);
			abort();
		}
	}
	/* every change that committed (or waits in the kept transaction) is there */
	for (i = 0; i < nmodel; i++) {
		struct found f = {.want = model[i].id};
		struct rowfs_txn *reader = txn;

		if (!reader)
			FUZZ_CHECK(rowfs_txn_begin(db, ROWFS_TXN_RDONLY, &reader, &err) == ROWFS_OK);
		rc = rowfs_scan(reader, NULL, model[i].id, find_row, &f, &err);
		if (reader != txn)
			rowfs_txn_abort(reader);
		FUZZ_CHECK(rc == ROWFS_OK);
		FUZZ_CHECK(f.hit == model[i].present);
		if (!f.hit)
			continue;
		FUZZ_CHECK(f.name_len == model[i].name_len);
		FUZZ_CHECK(!memcmp(f.name, model[i].name, f.name_len));
	}
	free(out.buf);
	return 0;
}
