/*
 * shell.h - rowsh's statement loop: lines in, replies out.  It reads
 * statements from text (-cmd and statement arguments), from a stream
 * (standard input that is not a terminal) or from a terminal, joins the
 * lines of an SQL statement until its ';', groups lines into units of the
 * connection (conn.h), runs rowsh's own meta-commands (.mode, .help,
 * .quit, .import) and writes the replies to standard output.
 */
#ifndef ROWFS_SRC_SHELL_H
#define ROWFS_SRC_SHELL_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "outfmt.h"

struct shell;

/* How the shell behaves (rowsh's options). */
struct shell_options {
	enum outfmt_mode mode;   /* the first output mode (-csv, -json, ...) */
	int bail;                /* -bail: stop at the first error, outside a terminal */
};

/*
 * shell_new - a shell; shell_connect() then gives it its connection
 * (opened with shell_output()'s callbacks).  NULL when memory runs out.
 */
struct shell *shell_new(const struct shell_options *opt);

/* shell_output - the connection callbacks that feed sh (conn_open_*'s output). */
void shell_output(struct shell *sh, struct conn_output *out);

/* shell_connect - the connection sh runs statements on (sh does not own it). */
void shell_connect(struct shell *sh, struct conn *c);

/*
 * shell_run_text - run text[0..len) (lines; -cmd or a statement argument)
 * as one unit; an SQL statement left unfinished runs at its end.  A
 * failure stops the shell when stop_on_error is set (statement arguments,
 * or -bail).  Errors go to stdout only, as every reply.
 */
void shell_run_text(struct shell *sh, const char *text, size_t len, int stop_on_error);

/*
 * shell_run_stream - read fd (standard input, not a terminal) to its end
 * or `.exit`/`.quit`: the lines of each chunk read are one unit.  Each
 * error is also written to stderr as "Error near line N: TEXT" (N the
 * line where its statement starts).  SIGINT, SIGTERM and SIGHUP stop it
 * after the unit under way.
 */
void shell_run_stream(struct shell *sh, int fd);

/*
 * shell_run_terminal - the interactive loop on a terminal: prompts, line
 * editing and the history file history (NULL: none), one unit per line.
 * Ctrl-C drops the line being typed (and a statement being joined); at
 * an empty prompt it leaves, unless an explicit transaction is open, which
 * it says on stderr instead.  Leaving with a transaction open says that it
 * was rolled back.
 */
void shell_run_terminal(struct shell *sh, const char *history);

/* shell_done - 1 once the shell stopped (`.exit`, -bail, a lost connection, stdout failed). */
int shell_done(const struct shell *sh);

/*
 * shell_free - free sh; returns its part of the exit status: 1 if
 * failures count (shell_count_failures) and a statement failed, or if
 * stdout failed (reported on stderr, but for a reader that went away), or
 * the connection was lost; else 0.
 */
int shell_free(struct shell *sh);

/* shell_count_failures - a failed statement makes the exit status 1 (not on a terminal). */
void shell_count_failures(struct shell *sh);

#endif /* ROWFS_SRC_SHELL_H */
