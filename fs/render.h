/*
 * render.h - the decimal form of ids (names in by-id/) and the line
 * formats of the mount's row files, as the fs side names them.
 *
 * Module render owns nothing of the lines themselves: they are the
 * engine's (rowfs.h's enum rowfs_lines, engine/lines.c), where the byte
 * counts behind st_size are made with the same code.  It keeps the
 * names the fs side uses for them and users' line as one call.  Pure: no
 * allocation, no libfuse.
 */
#ifndef ROWFS_FS_RENDER_H
#define ROWFS_FS_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "rowfs.h"

/* The line formats (the engine's renderings). */
enum render_format {
	RENDER_TSV = ROWFS_LINES_ROWS,       /* `ID<TAB>USERNAME\n` (the `rows` file) */
	RENDER_CSV = ROWFS_LINES_CSV,        /* RFC 4180 fields, LF line ends */
	RENDER_NDJSON = ROWFS_LINES_NDJSON,  /* `{"id":ID,"username":"USERNAME"}\n` */
	RENDER_DUMP = ROWFS_LINES_DUMP       /* `insert ID USERNAME\n` (the `dump` file) */
};

/*
 * Longest username rendered, in bytes (the engine's limit); a longer one
 * would be cut, never overflow.
 */
#define RENDER_NAME_MAX ROWFS_USERNAME_MAX

/* Room a line of users takes at most. */
#define RENDER_LINE_MAX ROWFS_SEED_LINE_MAX

/* Longest decimal form of a uint32_t. */
#define RENDER_U32_MAX 10u

/* render_u32 - v in decimal (no NUL) at dst; returns its length (1..10). */
size_t render_u32(char *dst, uint32_t v);

#endif /* ROWFS_FS_RENDER_H */
