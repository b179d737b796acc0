/*
 * conn.c - rowsh's database: a file through the engine, or a mount's
 * ctl (conn.h).
 *
 * File: the engine's write transaction (struct rowfs_txn) is the unit;
 * conn_unit_begin takes it, conn_exec runs statements in it at once,
 * conn_unit_commit commits it unless an explicit transaction is open in
 * it (rowfs.h, "Units").
 *
 * Client (rowsh MNT): one handle of MNT/ctl, opened O_RDWR for the whole
 * run, so the daemon keeps one session for rowsh: an explicit transaction
 * begun through it spans statements and is rowsh's own (others see its
 * changes once it commits), and closing the handle rolls it back.  ctl's
 * rules (rowfs(1), CONTRACT.md "Errors") make a client simple:
 *   - a write() is synchronous: when it returns, its statements ran, the
 *     ones that committed have their replies queued on the handle, and
 *     its result says which: the whole count (all ran), a short count
 *     (the lines up to that byte committed; the next line failed and was
 *     not kept), or -1 with errno (the first line failed, nothing
 *     applied; its error text is queued);
 *   - a read() returns queued replies and 0 once none are left; it never
 *     blocks.  So after each write, reading until 0 gets exactly the
 *     replies of that write, complete.
 * Statements are queued (conn_exec) and written CONN_WRITE_MAX bytes at a
 * time, below the kernel's FUSE request size (128 KiB), so each write is
 * one request and one transaction of the daemon, as a chunk of input is
 * one unit of a file.  After a short count the client writes again from
 * the failing line, which then fails alone with its errno and text (as
 * cat would); the text goes to `failed`, and the rest follows in a new
 * write unless `failed` asks to stop.  A line longer than CONN_WRITE_MAX
 * is written alone (the kernel may split it into several requests: the
 * daemon keeps the partial line until its newline).
 *
 * A client cannot ask the daemon whether its transaction is open; it
 * tracks its own statements: a `begin` that succeeded opens it, a
 * `commit`, `end` or `rollback` that succeeded closes it.
 */
#include <config.h>
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfmt.h"

/* Bytes read from ctl at a time. */
#define READ_CHUNK (64u * 1024u)

/* A statement queued by a client: where its line ends in the write buffer. */
struct queued {
	size_t end;        /* offset just past its newline */
	uint64_t tag;      /* conn_exec's tag */
};

struct conn {
	struct conn_output out;   /* replies and failures */
	/* file */
	struct rowfs_db *db;      /* the open database, NULL for a client */
	struct rowfs_txn *txn;    /* the unit's write transaction (kept across units while an
				     explicit transaction is open) */
	/* client */
	int fd;                   /* MNT/ctl, -1 for a file */
	char *ctl_path;           /* "MNT/ctl", for messages (malloc'd) */
	struct outbuf wbuf;       /* queued lines, each with its newline */
	struct queued *queue;     /* the statements in wbuf, in order */
	size_t queued;            /* how many */
	size_t queue_cap;         /* room in queue */
	struct outbuf reply;      /* replies read back */
	int txn_open;             /* an explicit transaction is open (tracked) */
	int lost;                 /* ctl failed as a connection */
};

int conn_is_mount(const char *path)
{
	char *name;
	struct stat st;
	size_t len = strlen(path);
	int yes = 0;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return 0;
	name = malloc(len + sizeof("/constants"));
	if (!name)
		return 0;
	snprintf(name, len + sizeof("/constants"), "%s/ctl", path);
	if (stat(name, &st) == 0 && S_ISREG(st.st_mode)) {
		snprintf(name, len + sizeof("/constants"), "%s/constants", path);
		yes = stat(name, &st) == 0 && S_ISREG(st.st_mode);
	}
	free(name);
	return yes;
}

static struct conn *conn_new(const struct conn_output *output)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->out = *output;
	c->fd = -1;
	return c;
}

int conn_open_file(const struct rowfs_config *cfg, const struct conn_output *output,
		   struct conn **out, struct rowfs_err *err)
{
	struct conn *c = conn_new(output);
	int rc;

	*out = NULL;
	if (!c)
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	rc = rowfs_open(cfg, &c->db, err);
	if (rc != ROWFS_OK) {
		free(c);
		return rc;
	}
	*out = c;
	return ROWFS_OK;
}

int conn_open_mount(const char *dir, const struct conn_output *output, struct conn **out,
		    struct rowfs_err *err)
{
	struct conn *c = conn_new(output);
	size_t len = strlen(dir);

	*out = NULL;
	if (!c || !(c->ctl_path = malloc(len + sizeof("/ctl")))) {
		free(c);
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "out of memory");
	}
	snprintf(c->ctl_path, len + sizeof("/ctl"), "%s%sctl", dir,
		 len && dir[len - 1] == '/' ? "" : "/");
	c->fd = open(c->ctl_path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		int e = errno;

		rowfs_err_set(err, ROWFS_IOERR, e, "cannot open '%s': %s", c->ctl_path,
			      strerror(e));
		free(c->ctl_path);
		free(c);
		return ROWFS_IOERR;
	}
	*out = c;
	return ROWFS_OK;
}

int conn_is_client(const struct conn *c)
{
	return c->fd >= 0;
}

int conn_lost(const struct conn *c)
{
	return c->lost;
}

void conn_set_output(struct conn *c, const struct conn_output *output, struct conn_output *old)
{
	if (old)
		*old = c->out;
	c->out = *output;
}

/* ---- a file ----------------------------------------------------------------- */

int conn_unit_begin(struct conn *c, struct rowfs_err *err)
{
	if (conn_is_client(c) || c->txn)
		return ROWFS_OK;
	return rowfs_txn_begin(c->db, 0, &c->txn, err);
}

uint64_t conn_boundaries(const struct conn *c)
{
	return c->txn ? rowfs_txn_boundaries(c->txn) : 0;
}

/* 1 if the file's write transaction has an explicit transaction open in it. */
static int file_txn_open(const struct conn *c)
{
	return c->txn && rowfs_txn_state(c->txn) != ROWFS_TXN_NONE;
}

int conn_unit_commit(struct conn *c, struct rowfs_err *err)
{
	int rc;

	if (conn_is_client(c))
		return conn_flush(c, err);
	if (!c->txn || file_txn_open(c))
		return ROWFS_OK;
	rc = rowfs_txn_commit(c->txn, err);
	c->txn = NULL;
	return rc;
}

/* Forget what a client queued. */
static void drop_queue(struct conn *c)
{
	c->wbuf.len = 0;
	c->queued = 0;
}

void conn_unit_rollback(struct conn *c)
{
	if (conn_is_client(c)) {
		drop_queue(c);
		return;
	}
	if (!c->txn || file_txn_open(c))
		return;
	rowfs_txn_abort(c->txn);
	c->txn = NULL;
}

int conn_txn_open(const struct conn *c)
{
	return conn_is_client(c) ? c->txn_open : file_txn_open(c);
}

/* ---- a client ---------------------------------------------------------------- */

/* Transaction control words, as the engine's parser reads them (first word, any case). */
enum txn_word { TXN_OTHER = 0, TXN_BEGIN, TXN_END };

static enum txn_word txn_word(const char *line, size_t len)
{
	static const struct {
		const char *word;
		enum txn_word kind;
	} words[] = { { "begin", TXN_BEGIN }, { "commit", TXN_END }, { "end", TXN_END },
		      { "rollback", TXN_END } };
	size_t i = 0, start, w, k;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	start = i;
	while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != ';' && line[i] != '\r')
		i++;
	for (w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		if (strlen(words[w].word) != i - start)
			continue;
		for (k = 0; k < i - start; k++) {
			char ch = line[start + k];

			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			if (ch != words[w].word[k])
				break;
		}
		if (k == i - start)
			return words[w].kind;
	}
	return TXN_OTHER;
}

/* A statement of the client succeeded: follow its transaction. */
static void note_success(struct conn *c, const char *line, size_t len)
{
	switch (txn_word(line, len)) {
	case TXN_BEGIN:
		c->txn_open = 1;
		break;
	case TXN_END:
		c->txn_open = 0;
		break;
	default:
		break;
	}
}

/* The code a failed write's errno stands for (status.c's table read backwards). */
static int rc_of_errno(int e)
{
	switch (e) {
	case EIO:
		return ROWFS_IOERR;
	case ENOSPC:
		return ROWFS_FULL;
	case ENOMEM:
	case ENOBUFS:
		return ROWFS_NOMEM;
	case EROFS:
		return ROWFS_READONLY;
	case EEXIST:
		return ROWFS_DUPLICATE;
	case ENOENT:
		return ROWFS_NOTFOUND;
	case EBUSY:
		return ROWFS_BUSY;
	case ESTALE:
		return ROWFS_STALE;
	case EFBIG:
		return ROWFS_TOOBIG;
	case EPERM:
		return ROWFS_PERM;
	default:
		return ROWFS_SYNTAX;   /* EINVAL: the statement errors */
	}
}

/* 1 if errno e means the handle itself is gone (the daemon died or was unmounted). */
static int is_connection_error(int e)
{
	return e == ENOTCONN || e == ECONNABORTED || e == ENODEV || e == ENXIO || e == EBADF;
}

/* The connection failed with errno e during `what`. */
static int lose(struct conn *c, const char *what, int e, struct rowfs_err *err)
{
	c->lost = 1;
	drop_queue(c);
	return rowfs_err_set(err, ROWFS_IOERR, e, "Error: %s '%s': %s", what, c->ctl_path,
			     strerror(e));
}

/* Read every queued reply into c->reply (emptied first). */
static int read_replies(struct conn *c, struct rowfs_err *err)
{
	c->reply.len = 0;
	for (;;) {
		ssize_t n;

		if (rowfs_buf_grow(&c->reply.data, &c->reply.cap, c->reply.len + READ_CHUNK,
				   READ_CHUNK, SIZE_MAX) != 0)
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "Error: out of memory");
		n = read(c->fd, c->reply.data + c->reply.len, READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lose(c, "read", errno, err);
		if (n == 0)
			return ROWFS_OK;
		c->reply.len += (size_t)n;
	}
}

/* Pass the replies read to emit. */
static int emit_replies(struct conn *c, size_t len)
{
	if (len == 0 || !c->out.emit)
		return 0;
	return c->out.emit(c->out.ctx, c->reply.data, len);
}

/*
 * A write failed with errno e: the replies read are its error text (the
 * last line; a "(N replies dropped)" notice before it goes to emit).
 */
static void failure_text(struct conn *c, int e, struct rowfs_err *err)
{
	size_t len = c->reply.len, start;

	while (len > 0 && c->reply.data[len - 1] == '\n')
		len--;
	for (start = len; start > 0 && c->reply.data[start - 1] != '\n'; start--)
		;
	emit_replies(c, start);
	if (len > start)
		rowfs_err_set(err, rc_of_errno(e), e, "%.*s", (int)(len - start),
			      c->reply.data + start);
	else
		rowfs_err_set(err, rc_of_errno(e), e, "Error: %s", strerror(e));
}

/* Where statement k's line starts in the write buffer. */
static size_t line_start(const struct conn *c, size_t k)
{
	return k ? c->queue[k - 1].end : 0;
}

/* Statements first..last-1 committed: follow their transaction control. */
static void note_range(struct conn *c, size_t first, size_t last)
{
	size_t k;

	for (k = first; k < last; k++)
		note_success(c, c->wbuf.data + line_start(c, k),
			     c->queue[k].end - 1 - line_start(c, k));
}

/*
 * Write statements first.. (as many as fit in CONN_WRITE_MAX, at least
 * one) and read the replies.  Returns the index of the next statement to
 * write; *failed_at is the index of a statement that failed (its code,
 * errno and text in err), or SIZE_MAX.  A fatal error (EIO) in a later
 * line of a write rolls the whole write back (ctl's rule) and is charged
 * to its first line.
 */
static size_t write_some(struct conn *c, size_t first, size_t *failed_at, struct rowfs_err *err)
{
	size_t start = line_start(c, first), last = first + 1, len, k;
	ssize_t n;
	int rc;

	*failed_at = SIZE_MAX;
	while (last < c->queued && c->queue[last].end - start <= CONN_WRITE_MAX)
		last++;
	len = c->queue[last - 1].end - start;
	do
		n = write(c->fd, c->wbuf.data + start, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && is_connection_error(errno)) {
		lose(c, "write", errno, err);
		*failed_at = first;
		return c->queued;
	}
	if (n < 0) {
		int e = errno;

		if (read_replies(c, err) != ROWFS_OK) {
			*failed_at = first;
			return c->queued;
		}
		failure_text(c, e, err);
		*failed_at = first;
		return first + 1;
	}
	rc = read_replies(c, err);
	if (rc != ROWFS_OK) {
		*failed_at = first;
		return c->queued;
	}
	if ((size_t)n == len) {
		emit_replies(c, c->reply.len);
		note_range(c, first, last);
		return last;
	}
	/* a short count: the lines before byte n committed */
	for (k = first; k < last && c->queue[k].end <= start + (size_t)n; k++)
		;
	if (line_start(c, k) == start + (size_t)n && k > first) {
		emit_replies(c, c->reply.len);
		note_range(c, first, k);
		return k;   /* the next write starts with the failing line */
	}
	/* a lone long line split by the kernel failed in a later request */
	failure_text(c, EINVAL, err);
	*failed_at = k;
	note_range(c, first, k);
	return k + 1;
}

int conn_flush(struct conn *c, struct rowfs_err *err)
{
	struct rowfs_err detail;
	size_t next = 0, failed_at;
	int stop = 0;

	if (!conn_is_client(c))
		return ROWFS_OK;
	while (next < c->queued && !stop) {
		memset(&detail, 0, sizeof(detail));
		next = write_some(c, next, &failed_at, &detail);
		if (failed_at == SIZE_MAX)
			continue;
		if (c->out.failed)
			stop = c->out.failed(c->out.failed_ctx, c->queue[failed_at].tag, detail.rc,
					     &detail);
		if (c->lost) {
			*err = detail;
			return ROWFS_IOERR;
		}
	}
	drop_queue(c);
	return ROWFS_OK;
}

/* Queue one line for a client. */
static int client_queue(struct conn *c, const char *line, size_t len, uint64_t tag,
			struct rowfs_err *err)
{
	if (c->lost)
		return rowfs_err_set(err, ROWFS_IOERR, ENOTCONN, "Error: '%s' is gone", c->ctl_path);
	if (c->queued == c->queue_cap) {
		size_t cap = c->queue_cap ? c->queue_cap * 2 : 64;
		struct queued *q = realloc(c->queue, cap * sizeof(*q));

		if (!q)
			return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "Error: out of memory");
		c->queue = q;
		c->queue_cap = cap;
	}
	if (c->queued > 0 && c->wbuf.len + len + 1 > CONN_WRITE_MAX) {
		int rc = conn_flush(c, err);   /* full: write what waits first */

		if (rc != ROWFS_OK)
			return rc;
	}
	if (outbuf_add(&c->wbuf, line, len) != 0 || outbuf_add(&c->wbuf, "\n", 1) != 0) {
		c->wbuf.len = c->queued ? c->queue[c->queued - 1].end : 0;
		return rowfs_err_set(err, ROWFS_NOMEM, ENOMEM, "Error: out of memory");
	}
	c->queue[c->queued].end = c->wbuf.len;
	c->queue[c->queued].tag = tag;
	c->queued++;
	return ROWFS_OK;
}

int conn_exec(struct conn *c, const char *line, size_t len, uint64_t tag,
	      const struct rowfs_sink *sink, struct rowfs_err *err)
{
	if (conn_is_client(c))
		return client_queue(c, line, len, tag, err);
	if (!c->txn)
		return rowfs_err_set(err, ROWFS_ERROR, 0, "Error: no transaction");
	return rowfs_exec_sink(c->txn, line, len, sink, c->out.emit, c->out.ctx, err);
}

/* A client's query: the queue first, then the line alone, its result returned. */
static int client_query(struct conn *c, const char *line, size_t len, rowfs_emit_fn emit,
			void *ctx, struct rowfs_err *err)
{
	struct conn_output saved = c->out;
	size_t failed_at;
	int rc;

	rc = conn_flush(c, err);
	if (rc != ROWFS_OK)
		return rc;
	rc = client_queue(c, line, len, 0, err);
	if (rc != ROWFS_OK)
		return rc;
	c->out.emit = emit;
	c->out.ctx = ctx;
	memset(err, 0, sizeof(*err));
	write_some(c, 0, &failed_at, err);
	c->out = saved;
	drop_queue(c);
	return failed_at == SIZE_MAX ? ROWFS_OK : (err->rc ? err->rc : ROWFS_IOERR);
}

int conn_query(struct conn *c, const char *line, size_t len, rowfs_emit_fn emit, void *ctx,
	       struct rowfs_err *err)
{
	int rc;

	if (conn_is_client(c))
		return client_query(c, line, len, emit, ctx, err);
	rc = conn_unit_begin(c, err);
	if (rc != ROWFS_OK)
		return rc;
	return rowfs_exec(c->txn, line, len, emit, ctx, err);
}

int conn_close(struct conn *c, struct rowfs_err *err)
{
	int rc = ROWFS_OK;

	if (!c)
		return ROWFS_OK;
	if (conn_is_client(c)) {
		close(c->fd);   /* the daemon rolls back an explicit transaction of the handle */
	} else {
		rowfs_txn_abort(c->txn);
		rc = rowfs_close(c->db, err);
	}
	outbuf_release(&c->wbuf);
	outbuf_release(&c->reply);
	free(c->queue);
	free(c->ctl_path);
	free(c);
	return rc;
}
