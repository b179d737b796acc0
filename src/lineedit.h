/*
 * lineedit.h - rowsh's terminal input: line editing and history with
 * libedit (histedit.h) when rowsh is built with it, a plain line reader
 * otherwise; Ctrl-C as a key that cancels the line being typed.
 */
#ifndef ROWFS_SRC_LINEEDIT_H
#define ROWFS_SRC_LINEEDIT_H

#include <stddef.h>

struct lineedit;

/* What lineedit_read() got. */
enum lineedit_result {
	LINEEDIT_LINE = 0,    /* a line (Enter) */
	LINEEDIT_EOF,         /* Ctrl-D on an empty line, or the end of input */
	LINEEDIT_INTERRUPT    /* Ctrl-C: the line typed so far is dropped */
};

/*
 * lineedit_open - start reading standard input, a terminal.  history: the
 * history file to load now and save at lineedit_close (NULL: no history).
 * Returns NULL when memory runs out.
 */
struct lineedit *lineedit_open(const char *history);

/*
 * lineedit_read - show prompt and read one line.  LINEEDIT_LINE: *line is
 * the line without its newline (NUL-terminated, owned by le, valid until
 * the next call), *len its length, and the line is added to the history
 * unless blank.  LINEEDIT_INTERRUPT: *had_text says whether the line held
 * anything when Ctrl-C came (always 1 without libedit, where the terminal
 * driver drops the line and Ctrl-C never means "leave").
 */
enum lineedit_result lineedit_read(struct lineedit *le, const char *prompt, const char **line,
				   size_t *len, int *had_text);

/*
 * lineedit_close - save the history (mode 0600; a failure is ignored, as
 * shells do) and free le.  NULL is allowed.
 */
void lineedit_close(struct lineedit *le);

#endif /* ROWFS_SRC_LINEEDIT_H */
