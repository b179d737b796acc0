/*
 * changes.c - owns the retained history of the change feed and the
 * positions of its readers (see changes.h for the stream, its invariants
 * and the trimming rule).
 *
 * The history is one buffer: data[head .. head + len) holds the stream
 * bytes [base, base + len).  Appending moves the retained bytes to the
 * front only when the tail has no room, and the buffer grows (doubling)
 * up to CHANGES_ALLOC_MAX, so with the trim hysteresis of changes.h a
 * move happens at most once per CHANGES_MAX_BYTES / 4 appended.
 */
#include <config.h>
#include "changes.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Largest buffer allocated (unless one commit alone is larger). */
#define CHANGES_ALLOC_MAX (CHANGES_MAX_BYTES + CHANGES_MAX_BYTES / 4)
/* Smallest buffer allocated. */
#define CHANGES_ALLOC_MIN 4096u

struct changes {
	struct rowfs_db *db;            /* the database whose hook we install */
	changes_notify_fn notify;       /* gets poll handles of readable readers */
	changes_drop_fn drop;           /* gets poll handles never notified */
	struct changes_reader *readers; /* attached readers */
	char *data;                     /* the buffer, malloc'd (NULL when no reader) */
	size_t cap;                     /* its size */
	size_t head;                    /* index in data of stream position base */
	size_t len;                     /* bytes retained */
	uint64_t base;                  /* stream position of data[head] */
	uint64_t visible;               /* end of the last complete commit */
	uint64_t last_seq;              /* seq of the latest chunk appended */
	pthread_cond_t cond;            /* broadcast at every commit */
	unsigned waiters;               /* threads in changes_wait() */
	unsigned max_waiters;           /* most threads let into changes_wait() */
};

/* rowfs_change_fn: the engine's hook. */
static void hook(void *ctx, uint64_t seq, const char *text, size_t len, int last)
{
	changes_append(ctx, seq, text, len, last);
}

struct changes *changes_new(struct rowfs_db *db, changes_notify_fn notify, changes_drop_fn drop,
			    unsigned max_waiters)
{
	pthread_condattr_t attr;
	struct changes *c;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (pthread_condattr_init(&attr) != 0)
		goto out_free;
	/* timeouts measured on the monotonic clock: immune to clock changes */
	if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&c->cond, &attr) != 0)
		goto out_destroy_attr;
	pthread_condattr_destroy(&attr);
	c->db = db;
	c->notify = notify;
	c->drop = drop;
	c->max_waiters = max_waiters;
	return c;

out_destroy_attr:
	pthread_condattr_destroy(&attr);
out_free:
	free(c);
	return NULL;
}

void changes_set_max_waiters(struct changes *c, unsigned max_waiters)
{
	c->max_waiters = max_waiters;
}

void changes_free(struct changes *c)
{
	if (!c)
		return;
	assert(!c->readers && c->waiters == 0);
	free(c->data);
	pthread_cond_destroy(&c->cond);
	free(c);
}

/* Forget the history (no reader is left, or memory ran out). */
static void drop_all(struct changes *c)
{
	c->base += c->len;
	c->head = 0;
	c->len = 0;
	if (c->visible < c->base)
		c->visible = c->base;
}

void changes_attach(struct changes *c, struct changes_reader *r)
{
	if (!c->readers)
		rowfs_set_change_hook(c->db, hook, c);
	r->start = c->visible;
	r->keep = c->visible;
	r->next = c->visible;
	r->behind = 0;
	r->poll = NULL;
	r->sized = 0;
	r->prev_reader = NULL;
	r->next_reader = c->readers;
	if (c->readers)
		c->readers->prev_reader = r;
	c->readers = r;
}

/* Drop the bytes every reader is past (up to the slowest reader's keep). */
static void trim(struct changes *c)
{
	const struct changes_reader *r;
	uint64_t target = c->visible;

	for (r = c->readers; r; r = r->next_reader)
		if (!r->behind && r->keep < target)
			target = r->keep;
	if (target <= c->base)
		return;
	c->head += (size_t)(target - c->base);
	c->len -= (size_t)(target - c->base);
	c->base = target;
	if (c->len == 0)
		c->head = 0;
}

void changes_detach(struct changes *c, struct changes_reader *r)
{
	if (r->poll && c->drop)
		c->drop(r->poll);
	r->poll = NULL;
	if (r->prev_reader)
		r->prev_reader->next_reader = r->next_reader;
	else
		c->readers = r->next_reader;
	if (r->next_reader)
		r->next_reader->prev_reader = r->prev_reader;
	if (c->readers) {
		trim(c);
		return;
	}
	rowfs_set_change_hook(c->db, NULL, NULL);
	drop_all(c);
	free(c->data);
	c->data = NULL;
	c->cap = 0;
}

/*
 * Drop the oldest whole lines so that n more bytes fit under the bound:
 * down to CHANGES_TRIM_BYTES - n (or everything).  Readers that had not
 * read them fall behind; they find out at their next read.
 */
static void drop_oldest(struct changes *c, size_t n)
{
	size_t target = n < CHANGES_TRIM_BYTES ? CHANGES_TRIM_BYTES - n : 0;
	size_t cut = c->len - target;   /* at least this many bytes go */
	const char *nl;

	nl = cut > 0 ? memchr(c->data + c->head + cut - 1, '\n', c->len - (cut - 1)) : NULL;
	if (!nl) {
		drop_all(c);
		return;
	}
	cut = (size_t)(nl - (c->data + c->head)) + 1;
	c->head += cut;
	c->len -= cut;
	c->base += cut;
	if (c->len == 0)
		c->head = 0;
}

/* Make room for n more bytes at data[head + len]; -1 when out of memory. */
static int make_room(struct changes *c, size_t n)
{
	size_t cap;
	char *data;

	if (c->len + n > CHANGES_MAX_BYTES)
		drop_oldest(c, n);
	if (c->head + c->len + n <= c->cap)
		return 0;
	if (c->head > 0) {
		memmove(c->data, c->data + c->head, c->len);
		c->head = 0;
		if (c->len + n <= c->cap)
			return 0;
	}
	cap = c->cap * 2;
	if (cap < CHANGES_ALLOC_MIN)
		cap = CHANGES_ALLOC_MIN;
	if (cap > CHANGES_ALLOC_MAX)
		cap = CHANGES_ALLOC_MAX;
	if (cap < c->len + n)
		cap = c->len + n;   /* one commit larger than the bound */
	data = realloc(c->data, cap);
	if (!data)
		return -1;
	c->data = data;
	c->cap = cap;
	return 0;
}

void changes_append(struct changes *c, uint64_t seq, const char *text, size_t len, int last)
{
	struct changes_reader *r;

	assert(seq >= c->last_seq);
	c->last_seq = seq;
	if (len > 0) {
		if (make_room(c, len) == 0) {
			memcpy(c->data + c->head + c->len, text, len);
			c->len += len;
		} else {
			/* no memory: every reader misses this text and says so */
			drop_all(c);
			c->base += len;
		}
	}
	if (!last)
		return;
	c->visible = c->base + c->len;
	pthread_cond_broadcast(&c->cond);
	for (r = c->readers; r; r = r->next_reader) {
		if (r->poll && c->notify) {
			c->notify(r->poll);
			r->poll = NULL;
		}
	}
}

/* Has r fallen behind (reading position pos)?  Sticky. */
static int fell_behind(const struct changes *c, struct changes_reader *r, uint64_t pos)
{
	if (!r->behind && pos < c->base)
		r->behind = 1;
	return r->behind;
}

ssize_t changes_read(struct changes *c, struct changes_reader *r, char *buf, size_t size,
		     uint64_t off)
{
	uint64_t pos = r->start + off;
	const char *p;
	size_t n;

	if (fell_behind(c, r, pos))
		return -ESTALE;
	r->keep = pos;
	trim(c);
	if (pos >= c->visible)
		return 0;
	p = c->data + c->head + (size_t)(pos - c->base);
	n = (size_t)(c->visible - pos);
	if (n > size) {
		/* whole lines: end at the last newline that fits */
		size_t whole = size;

		while (whole > 0 && p[whole - 1] != '\n')
			whole--;
		/* a line longer than the buffer comes in parts (no read could pass it) */
		n = whole > 0 ? whole : size;
	}
	memcpy(buf, p, n);
	r->next = pos + n;
	return (ssize_t)n;
}

unsigned changes_ready(const struct changes *c, const struct changes_reader *r)
{
	if (r->behind || r->next < c->base)
		return POLLIN | POLLERR;
	return r->next < c->visible ? POLLIN : 0;
}

void changes_set_poll(struct changes *c, struct changes_reader *r, void *poll)
{
	if (r->poll && r->poll != poll && c->drop)
		c->drop(r->poll);
	r->poll = poll;
}

int changes_wait(struct changes *c, pthread_mutex_t *lock, unsigned timeout_ms)
{
	struct timespec deadline;

	if (c->waiters >= c->max_waiters)
		return -EAGAIN;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	c->waiters++;
	pthread_cond_timedwait(&c->cond, lock, &deadline);
	c->waiters--;
	return 0;
}

uint64_t changes_size(const struct changes *c, const struct changes_reader *r)
{
	return c->visible > r->start ? c->visible - r->start : 0;
}

size_t changes_retained(const struct changes *c)
{
	return c->len;
}
