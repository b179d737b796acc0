/*
 * mkv1db.c - a test helper that writes a version-1 database (Part 1's
 * format, rowfs(5)), optionally with committed transactions left in its
 * WAL, without the engine: the files an older rowfs left behind, for the
 * upgrade tests (tests/t4300-upgrade.sh).  It is written from the spec
 * (rowfs(5), the version-1 essays of engine/format.h and engine/wal.c);
 * only the layout constants come from format.h.
 *
 * usage: mkv1db [-p] [-s SEED] [-t STRIDE] [-f FILL] [-n FANOUT] [-F FREE]
 *               [-w TXNS] [-r RECORDS] DBFILE ROWS
 *
 *   DBFILE      written from scratch; DBFILE-wal is removed unless -w
 *   ROWS        rows in the file: ids STRIDE, 2*STRIDE, ..., ROWS*STRIDE,
 *               random names (1..32 bytes: letters, digits, "_.-" and
 *               multi-byte UTF-8) drawn from SEED
 *   -s SEED     seed of the names and of the WAL's choices (default 1)
 *   -t STRIDE   distance of the file's ids (default 1)
 *   -f FILL     cells per leaf, 1..LEAF_NODE_MAX_CELLS (default 77: not
 *               full, so the first inserts do not split)
 *   -n FANOUT   children per internal node, 2..INTERNAL_NODE_MAX_KEYS + 1
 *               (default 256); as many levels as ROWS need
 *   -F FREE     FREE pages on the free list after the tree (default 0)
 *   -w TXNS     write DBFILE-wal with TXNS committed TXN frames (sequences
 *               1..TXNS; the file's applied sequence is 0), each of
 *               RECORDS inserts of new ids (with STRIDE > 1 first the gaps
 *               id*STRIDE+1 in a shuffled order, so they land in every
 *               leaf; then ids past the largest), followed by one update
 *               of a random row of the file still there and one delete
 *               of a random id of the file (replay skips it if it is gone)
 *   -r RECORDS  inserts per TXN frame (default 100)
 *   -p          print the rows the database holds once its WAL is
 *               replayed, "ID<TAB>NAME" lines in key order: what `cat
 *               rows` of a mount shows
 *
 * Exit status 0, 1 on errors (a message on stderr), 2 on usage errors.
 */
#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"

/* WAL layout (engine/wal.c's essay, rowfs(5)). */
#define WAL_MAGIC "rowfswal"
#define WAL_HEADER_BYTES 32u
#define WAL_FRAME_HEAD 16u
#define WAL_FRAME_TAIL 8u
#define WAL_TYPE_TXN 1u

/* Largest id the model keeps (memory: NAME_BYTES per id). */
#define MAX_MODEL_ID 50000000u
#define NAME_BYTES (USERNAME_SIZE + 1u)

/* Deepest tree written (-f 1 -n 2 on many rows gets deep). */
#define MAX_LEVELS 32u

/* What the command line asks for. */
struct options {
	uint64_t seed;          /* -s */
	uint32_t stride;        /* -t */
	uint32_t fill;          /* -f */
	uint32_t fanout;        /* -n */
	uint32_t free_pages;    /* -F */
	uint32_t txns;          /* -w */
	uint32_t records;       /* -r */
	int print;              /* -p */
	const char *path;       /* DBFILE */
	uint32_t rows;          /* ROWS */
};

/* The rows as replay leaves them: names[id] ("" = no row). */
struct model {
	char *names;            /* (max_id + 1) * NAME_BYTES bytes */
	uint32_t max_id;        /* largest id with room */
};

/* One level of the tree being built, bottom-up. */
struct level {
	uint32_t count;         /* nodes on this level */
	uint32_t first_pgno;    /* page of node 0 (nodes are consecutive, except the root) */
	uint32_t *max_keys;     /* largest key under node i */
};

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* FNV-1a, 32 bits (rowfs(5): both headers' checksums). */
static uint32_t fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* The WAL frame checksum (SQLite's, on little-endian u32 pairs), chained through s. */
static void wal_sum(const uint8_t *p, size_t n, uint32_t s[2])
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		s[0] += get_le32(p + i) + s[1];
		s[1] += get_le32(p + i + 4) + s[0];
	}
}

/* splitmix64: the next number of the sequence *state drives. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* A random valid username of 1..32 bytes into name (NAME_BYTES, NUL-terminated). */
static void random_name(uint64_t *rng, char *name)
{
	static const char ascii[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	static const char *const multi[] = {
		"\xc3\xa9", "\xc3\x9f", "\xe2\x82\xac", "\xe6\x97\xa5", "\xf0\x9f\x98\x80",
	};
	size_t len = 1 + next_random(rng) % USERNAME_SIZE, at = 0;

	while (at < len) {
		const char *mb = multi[next_random(rng) % 5];
		size_t mlen = strlen(mb);

		if (next_random(rng) % 10 == 0 && at + mlen <= len) {
			memcpy(name + at, mb, mlen);
			at += mlen;
		} else {
			name[at++] = ascii[next_random(rng) % (sizeof(ascii) - 1)];
		}
	}
	name[at] = '\0';
}

static char *model_name(struct model *m, uint32_t id)
{
	return m->names + (size_t)id * NAME_BYTES;
}

/* A leaf (or root leaf) holding the model's rows of ids[0..n-1]. */
static void build_leaf(uint8_t *page, struct model *m, const uint32_t *ids, uint32_t n,
		       uint32_t parent, uint32_t next, int is_root)
{
	uint32_t i;

	page[NODE_TYPE_OFFSET] = NODE_LEAF;
	page[IS_ROOT_OFFSET] = (uint8_t)is_root;
	put_le32(page + PARENT_POINTER_OFFSET, parent);
	put_le32(page + LEAF_NODE_NUM_CELLS_OFFSET, n);
	put_le32(page + LEAF_NODE_NEXT_LEAF_OFFSET, next);
	for (i = 0; i < n; i++) {
		uint8_t *cell = page + LEAF_NODE_HEADER_SIZE + (size_t)i * LEAF_NODE_CELL_SIZE;
		const char *name = model_name(m, ids[i]);

		put_le32(cell + LEAF_NODE_KEY_OFFSET, ids[i]);
		put_le32(cell + LEAF_NODE_VALUE_OFFSET + ID_OFFSET, ids[i]);
		memcpy(cell + LEAF_NODE_VALUE_OFFSET + USERNAME_OFFSET, name, strlen(name));
	}
}

/* Node j of count nodes sharing total items evenly: its first item. */
static uint32_t share_start(uint32_t total, uint32_t count, uint32_t j)
{
	return (uint32_t)((uint64_t)total * j / count);
}

/* The number of nodes a level of total items needs with per items a node. */
static uint32_t nodes_for(uint32_t total, uint32_t per)
{
	return total == 0 ? 1 : (total + per - 1) / per;
}

/*
 * The pages of the tree: the root at page 1, the other nodes from page 2
 * on, leaves first, then each internal level; levels[0] are the leaves.
 * Returns the number of levels.
 */
static uint32_t plan_levels(const struct options *o, struct level *levels, uint32_t max_levels)
{
	uint32_t depth = 0, next_pgno = 2, count = nodes_for(o->rows, o->fill);

	for (;;) {
		if (depth == max_levels)
			return 0;
		levels[depth].count = count;
		if (count == 1) {
			levels[depth].first_pgno = 1;
			return depth + 1;
		}
		levels[depth].first_pgno = next_pgno;
		next_pgno += count;
		depth++;
		count = nodes_for(count, o->fanout);
	}
}

static uint32_t node_pgno(const struct level *lv, uint32_t j)
{
	return lv->first_pgno + j;
}

/* Parent page of node j of level d (0 for the root). */
static uint32_t parent_of(const struct level *levels, uint32_t depth, uint32_t d, uint32_t j)
{
	const struct level *up;
	uint32_t p;

	if (d + 1 == depth)
		return 0;
	up = &levels[d + 1];
	for (p = 0; p < up->count; p++)   /* the node p whose share holds j */
		if (j < share_start(levels[d].count, up->count, p + 1))
			return node_pgno(up, p);
	return 0;
}

/* Fill levels[d] (d >= 1) as internal nodes over levels[d - 1]. */
static void build_internal_level(uint8_t *file, struct level *levels, uint32_t depth, uint32_t d)
{
	const struct level *down = &levels[d - 1];
	struct level *lv = &levels[d];
	uint32_t j;

	for (j = 0; j < lv->count; j++) {
		uint32_t first = share_start(down->count, lv->count, j);
		uint32_t end = share_start(down->count, lv->count, j + 1), c;
		uint8_t *page = file + (size_t)node_pgno(lv, j) * PAGE_SIZE;

		page[NODE_TYPE_OFFSET] = NODE_INTERNAL;
		page[IS_ROOT_OFFSET] = d + 1 == depth;
		put_le32(page + PARENT_POINTER_OFFSET, parent_of(levels, depth, d, j));
		put_le32(page + INTERNAL_NODE_NUM_KEYS_OFFSET, end - first - 1);
		put_le32(page + INTERNAL_NODE_RIGHT_CHILD_OFFSET, node_pgno(down, end - 1));
		for (c = first; c + 1 < end; c++) {
			uint8_t *cell = page + INTERNAL_NODE_HEADER_SIZE +
					(size_t)(c - first) * INTERNAL_NODE_CELL_SIZE;

			put_le32(cell, node_pgno(down, c));
			put_le32(cell + INTERNAL_NODE_CHILD_SIZE, down->max_keys[c]);
		}
		lv->max_keys[j] = down->max_keys[end - 1];
	}
}

/* The leaves: the file's rows (ids[0..rows-1]) shared evenly. */
static void build_leaves(uint8_t *file, struct model *m, const uint32_t *ids, uint32_t rows,
			 struct level *levels, uint32_t depth)
{
	struct level *lv = &levels[0];
	uint32_t j;

	for (j = 0; j < lv->count; j++) {
		uint32_t first = share_start(rows, lv->count, j);
		uint32_t end = share_start(rows, lv->count, j + 1);

		build_leaf(file + (size_t)node_pgno(lv, j) * PAGE_SIZE, m, ids + first, end - first,
			   parent_of(levels, depth, 0, j),
			   j + 1 < lv->count ? node_pgno(lv, j + 1) : 0, depth == 1);
		lv->max_keys[j] = end > first ? ids[end - 1] : 0;
	}
}

/* The version-1 header (page 0). */
static void build_header(uint8_t *page, uint32_t page_count, uint32_t free_head,
			 uint32_t free_pages, uint32_t rows)
{
	memcpy(page, DB_MAGIC, DB_MAGIC_SIZE);
	put_le32(page + HDR_VERSION_OFFSET, DB_FORMAT_VERSION);
	put_le32(page + HDR_PAGE_SIZE_OFFSET, PAGE_SIZE);
	put_le32(page + HDR_ROOT_OFFSET, 1);
	put_le32(page + HDR_PAGE_COUNT_OFFSET, page_count);
	put_le32(page + HDR_FREE_HEAD_OFFSET, free_head);
	put_le32(page + HDR_FREE_COUNT_OFFSET, free_pages);
	put_le64(page + HDR_CHANGE_COUNTER_OFFSET, 1);
	put_le64(page + HDR_APPLIED_SEQ_OFFSET, 0);
	put_le64(page + HDR_ROW_COUNT_OFFSET, rows);
	put_le32(page + HDR_CHECKSUM_OFFSET, fnv1a(page, HDR_CHECKSUM_OFFSET));
}

static int write_all(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f) {
		fprintf(stderr, "mkv1db: open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "mkv1db: write '%s': %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* DBFILE: the model's ids[0..rows-1] as a version-1 file. */
static int write_db(const struct options *o, struct model *m, const uint32_t *ids)
{
	struct level levels[MAX_LEVELS];
	uint32_t depth = plan_levels(o, levels, MAX_LEVELS), tree_pages = 1, d, i, page_count;
	uint8_t *file;
	int rc = -1;

	if (depth == 0) {
		fprintf(stderr, "mkv1db: tree deeper than %u levels\n", MAX_LEVELS);
		return -1;
	}
	for (d = 0; d + 1 < depth; d++)
		tree_pages += levels[d].count;
	page_count = 1 + tree_pages + o->free_pages;
	file = calloc(page_count, PAGE_SIZE);
	if (!file) {
		fprintf(stderr, "mkv1db: out of memory\n");
		return -1;
	}
	for (d = 0; d < depth; d++)
		levels[d].max_keys = NULL;
	for (d = 0; d < depth; d++) {
		levels[d].max_keys = calloc(levels[d].count, sizeof(uint32_t));
		if (!levels[d].max_keys) {
			fprintf(stderr, "mkv1db: out of memory\n");
			goto out_free_levels;
		}
	}
	build_leaves(file, m, ids, o->rows, levels, depth);
	for (d = 1; d < depth; d++)
		build_internal_level(file, levels, depth, d);
	for (i = 0; i < o->free_pages; i++) {   /* a list in page order */
		uint32_t pgno = 1 + tree_pages + i;
		uint8_t *page = file + (size_t)pgno * PAGE_SIZE;

		page[NODE_TYPE_OFFSET] = NODE_FREE;
		put_le32(page + FREE_PAGE_NEXT_OFFSET, i + 1 < o->free_pages ? pgno + 1 : 0);
	}
	build_header(file, page_count, o->free_pages ? 1 + tree_pages : 0, o->free_pages, o->rows);
	rc = write_all(o->path, file, (size_t)page_count * PAGE_SIZE);
out_free_levels:
	for (d = 0; d < depth; d++)
		free(levels[d].max_keys);
	free(file);
	return rc;
}

/* One 40-byte log record: op, 3 zero bytes, the row (a delete's name zero). */
static void put_record(uint8_t *rec, uint32_t op, uint32_t id, const char *name)
{
	memset(rec, 0, LOG_RECORD_SIZE);
	rec[0] = (uint8_t)op;
	put_le32(rec + LOG_RECORD_ROW_OFFSET + ID_OFFSET, id);
	if (name)
		memcpy(rec + LOG_RECORD_ROW_OFFSET + USERNAME_OFFSET, name, strlen(name));
}

/* The ids the WAL inserts, in order: shuffled gaps first, then past the end. */
static uint32_t *wal_insert_ids(const struct options *o, uint64_t *rng, uint32_t count)
{
	uint32_t *ids = malloc((size_t)(count ? count : 1) * sizeof(uint32_t));
	uint32_t gaps = o->stride > 1 ? o->rows : 0, i, next = o->rows * o->stride + 1;

	if (!ids)
		return NULL;
	for (i = 0; i < count; i++)
		ids[i] = i < gaps ? i * o->stride + 1 : next++;
	for (i = count < gaps ? count : gaps; i > 1; i--) {   /* Fisher-Yates over the gaps */
		uint32_t j = (uint32_t)(next_random(rng) % i), t = ids[i - 1];

		ids[i - 1] = ids[j];
		ids[j] = t;
	}
	return ids;
}

/* Append one TXN frame (seq, payload) to f, the checksum chained through s. */
static int put_frame(FILE *f, uint64_t seq, const uint8_t *payload, uint32_t len, uint32_t s[2])
{
	uint8_t head[WAL_FRAME_HEAD], tail[WAL_FRAME_TAIL];

	put_le32(head, WAL_TYPE_TXN);
	put_le32(head + 4, len);
	put_le64(head + 8, seq);
	wal_sum(head, sizeof(head), s);
	wal_sum(payload, len, s);
	put_le32(tail, s[0]);
	put_le32(tail + 4, s[1]);
	if (fwrite(head, 1, sizeof(head), f) != sizeof(head) ||
	    fwrite(payload, 1, len, f) != len || fwrite(tail, 1, sizeof(tail), f) != sizeof(tail))
		return -1;
	return 0;
}

/*
 * An id of the file that still has a row (a few random tries), else
 * fallback: updates name existing rows only (replay skips the others,
 * salvage takes them as inserts).
 */
static uint32_t pick_present(const struct options *o, struct model *m, uint64_t *rng,
			     uint32_t fallback)
{
	int tries;

	for (tries = 0; o->rows && tries < 100; tries++) {
		uint32_t id = (uint32_t)(1 + next_random(rng) % o->rows) * o->stride;

		if (model_name(m, id)[0])
			return id;
	}
	return fallback;
}

/* The frames of -w: inserts, one update, one delete each; the model follows. */
static int put_frames(FILE *f, const struct options *o, struct model *m, uint64_t *rng,
		      const uint32_t *ins, uint32_t s[2])
{
	uint32_t len = (o->records + 2) * LOG_RECORD_SIZE, t, r, k = 0;
	uint8_t *payload = malloc(len);

	if (!payload)
		return -1;
	for (t = 0; t < o->txns; t++) {
		uint8_t *rec = payload;
		uint32_t id;

		for (r = 0; r < o->records; r++, k++, rec += LOG_RECORD_SIZE) {
			random_name(rng, model_name(m, ins[k]));
			put_record(rec, LOG_OP_INSERT, ins[k], model_name(m, ins[k]));
		}
		id = pick_present(o, m, rng, ins[k - 1]);
		random_name(rng, model_name(m, id));
		put_record(rec, LOG_OP_UPDATE, id, model_name(m, id));
		rec += LOG_RECORD_SIZE;
		id = o->rows ? (uint32_t)(1 + next_random(rng) % o->rows) * o->stride : 1;
		model_name(m, id)[0] = '\0';
		put_record(rec, LOG_OP_DELETE, id, NULL);
		if (put_frame(f, (uint64_t)t + 1, payload, len, s) != 0) {
			free(payload);
			return -1;
		}
	}
	free(payload);
	return 0;
}

/* DBFILE-wal: a header, then the frames of -w. */
static int write_wal(const struct options *o, struct model *m, uint64_t *rng, const char *wal)
{
	uint32_t count = o->txns * o->records;
	uint8_t head[WAL_HEADER_BYTES] = {0};
	uint32_t s[2], *ins = wal_insert_ids(o, rng, count);
	FILE *f;
	int rc = -1;

	if (!ins) {
		fprintf(stderr, "mkv1db: out of memory\n");
		return -1;
	}
	memcpy(head, WAL_MAGIC, 8);
	put_le32(head + 8, 1);
	put_le32(head + 12, PAGE_SIZE);
	s[0] = (uint32_t)next_random(rng);
	s[1] = (uint32_t)next_random(rng);
	put_le32(head + 16, s[0]);
	put_le32(head + 20, s[1]);
	put_le32(head + 24, 0);
	put_le32(head + 28, fnv1a(head, 28));
	f = fopen(wal, "wb");
	if (!f) {
		fprintf(stderr, "mkv1db: open '%s': %s\n", wal, strerror(errno));
		goto out_free_ids;
	}
	if (fwrite(head, 1, sizeof(head), f) == sizeof(head) && put_frames(f, o, m, rng, ins, s) == 0)
		rc = 0;
	if (fclose(f) != 0)
		rc = -1;
	if (rc != 0)
		fprintf(stderr, "mkv1db: write '%s': %s\n", wal, strerror(errno));
out_free_ids:
	free(ins);
	return rc;
}

static void print_rows(const struct model *m)
{
	uint32_t id;

	for (id = 0; id <= m->max_id; id++) {
		const char *name = m->names + (size_t)id * NAME_BYTES;

		if (name[0])
			printf("%u\t%s\n", id, name);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: mkv1db [-p] [-s SEED] [-t STRIDE] [-f FILL] [-n FANOUT] "
			"[-F FREE] [-w TXNS] [-r RECORDS] DBFILE ROWS\n");
	return 2;
}

/* A decimal u32 in [min, max] from s into *out; 0 on success. */
static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	uint32_t seed;
	int c, bad = 0;

	*o = (struct options){.seed = 1, .stride = 1, .fill = 77, .fanout = 256, .records = 100};
	while ((c = getopt(argc, argv, "ps:t:f:n:F:w:r:")) != -1) {
		switch (c) {
		case 'p': o->print = 1; break;
		case 's': bad |= parse_u32(optarg, 0, UINT32_MAX, &seed); o->seed = seed; break;
		case 't': bad |= parse_u32(optarg, 1, 1000, &o->stride); break;
		case 'f': bad |= parse_u32(optarg, 1, LEAF_NODE_MAX_CELLS, &o->fill); break;
		case 'n': bad |= parse_u32(optarg, 2, INTERNAL_NODE_MAX_KEYS + 1, &o->fanout); break;
		case 'F': bad |= parse_u32(optarg, 0, 1000000, &o->free_pages); break;
		case 'w': bad |= parse_u32(optarg, 0, 1000000, &o->txns); break;
		case 'r': bad |= parse_u32(optarg, 1, 100000, &o->records); break;
		default: return -1;
		}
	}
	if (bad || argc - optind != 2 || parse_u32(argv[optind + 1], 0, 10000000, &o->rows))
		return -1;
	o->path = argv[optind];
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct model m;
	uint64_t rng;
	uint32_t *ids, i;
	char *wal;
	int rc = 1;

	if (parse_args(argc, argv, &o) != 0)
		return usage();
	m.max_id = o.rows * o.stride + o.txns * o.records + 1;
	if ((uint64_t)o.rows * o.stride + (uint64_t)o.txns * o.records + 1 > MAX_MODEL_ID) {
		fprintf(stderr, "mkv1db: ids beyond %u\n", MAX_MODEL_ID);
		return 2;
	}
	rng = o.seed;
	m.names = calloc((size_t)m.max_id + 1, NAME_BYTES);
	ids = malloc((size_t)(o.rows ? o.rows : 1) * sizeof(uint32_t));
	wal = malloc(strlen(o.path) + 5);
	if (!m.names || !ids || !wal) {
		fprintf(stderr, "mkv1db: out of memory\n");
		goto out_free;
	}
	for (i = 0; i < o.rows; i++) {
		ids[i] = (i + 1) * o.stride;
		random_name(&rng, model_name(&m, ids[i]));
	}
	sprintf(wal, "%s-wal", o.path);
	if (write_db(&o, &m, ids) != 0)
		goto out_free;
	if (o.txns == 0) {
		if (unlink(wal) != 0 && errno != ENOENT) {
			fprintf(stderr, "mkv1db: unlink '%s': %s\n", wal, strerror(errno));
			goto out_free;
		}
	} else if (write_wal(&o, &m, &rng, wal) != 0) {
		goto out_free;
	}
	if (o.print)
		print_rows(&m);
	rc = fflush(stdout) == 0 ? 0 : 1;
out_free:
	free(wal);
	free(ids);
	free(m.names);
	return rc;
}
