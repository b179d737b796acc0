/*
 * lineedit.c - rowsh's terminal input (lineedit.h).
 *
 * With libedit (its native interface, histedit.h): emacs key bindings,
 * ~/.editrc, and a history of HISTORY_SIZE lines loaded from and saved to
 * the history file (libedit's own format).  Ctrl-C is a key, not a
 * signal, while a line is edited: the terminal's ISIG is off in edit mode
 * (EL_SETTY "-isig") and ^C is bound to rowsh-interrupt, which marks the
 * line interrupted, notes whether it held text, and ends it (CC_NEWLINE);
 * an empty line gets one blank first, since libedit takes an empty line
 * ended by a function for the end of input.  While a statement runs the
 * terminal is in its normal mode and Ctrl-C is a SIGINT (rowsh's main
 * decides what it does).
 *
 * Without libedit: the prompt on stdout and getline(3); a SIGINT during
 * the read (a handler without SA_RESTART around it) interrupts it, and
 * the terminal driver has already dropped the partial line.
 */
#include <config.h>
#include "lineedit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef HAVE_LIBEDIT
#include <histedit.h>
#include <wchar.h>
#endif

/* Lines the history keeps. */
#define HISTORY_SIZE 2000

struct lineedit {
	char *history;         /* the history file (malloc'd), NULL: none */
	char *line;            /* the last line read, without its newline (malloc'd) */
	size_t len;            /* its length */
	size_t cap;            /* bytes allocated for line */
	const char *prompt;    /* the prompt of the read under way */
	int interrupted;       /* Ctrl-C ended the line */
	int had_text;          /* ... and the line held something */
#ifdef HAVE_LIBEDIT
	EditLine *el;          /* the editor */
	History *hist;         /* its history */
#endif
};

/* Keep text[0..len) as the line read, without a final newline; 0 or -1. */
static int keep_line(struct lineedit *le, const char *text, size_t len)
{
	if (len > 0 && text[len - 1] == '\n')
		len--;
	if (len + 1 > le->cap) {
		char *p = realloc(le->line, len + 1);

		if (!p)
			return -1;
		le->line = p;
		le->cap = len + 1;
	}
	memcpy(le->line, text, len);
	le->line[len] = '\0';
	le->len = len;
	return 0;
}

/* 1 if text[0..len) holds something but blanks and a newline. */
static int has_text(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			return 1;
	return 0;
}

#ifdef HAVE_LIBEDIT

/* EL_PROMPT: the prompt of the read under way. */
static char *show_prompt(EditLine *el)
{
	struct lineedit *le = NULL;

	el_get(el, EL_CLIENTDATA, &le);
	return (char *)(le && le->prompt ? le->prompt : "");
}

/* rowsh-interrupt, bound to ^C: end the line as interrupted. */
static unsigned char on_interrupt(EditLine *el, int ch)
{
	struct lineedit *le = NULL;
	const LineInfo *li = el_line(el);

	(void)ch;
	el_get(el, EL_CLIENTDATA, &le);
	le->interrupted = 1;
	le->had_text = li->lastchar > li->buffer;
	if (!le->had_text)
		el_insertstr(el, " ");   /* an empty line ended here would read as the end */
	fputs("^C", stdout);
	return CC_NEWLINE;
}

static int editor_open(struct lineedit *le)
{
	HistEvent ev;

	le->el = el_init("rowsh", stdin, stdout, stderr);
	le->hist = history_init();
	if (!le->el || !le->hist)
		return -1;
	history(le->hist, &ev, H_SETSIZE, HISTORY_SIZE);
	history(le->hist, &ev, H_SETUNIQUE, 1);
	if (le->history)
		history(le->hist, &ev, H_LOAD, le->history);   /* none yet is fine */
	el_set(le->el, EL_CLIENTDATA, le);
	el_set(le->el, EL_EDITOR, "emacs");
	el_set(le->el, EL_PROMPT, show_prompt);
	el_set(le->el, EL_HIST, history, le->hist);
	el_set(le->el, EL_SIGNAL, 1);
	el_set(le->el, EL_SETTY, "-d", "-isig", NULL);
	/* the wide form: el_set's would copy the names, and el_end never frees the copies */
	el_wset(le->el, EL_ADDFN, L"rowsh-interrupt", L"Cancel the line", on_interrupt);
	el_set(le->el, EL_BIND, "^C", "rowsh-interrupt", NULL);
	el_source(le->el, NULL);   /* ~/.editrc */
	return 0;
}

static enum lineedit_result editor_read(struct lineedit *le)
{
	HistEvent ev;
	const char *text;
	int count = 0;

	le->interrupted = 0;
	le->had_text = 0;
	text = el_gets(le->el, &count);
	if (le->interrupted) {
		fputc('\n', stdout);   /* after the "^C": libedit leaves the cursor there */
		return LINEEDIT_INTERRUPT;
	}
	if (!text || count <= 0)
		return LINEEDIT_EOF;
	if (keep_line(le, text, (size_t)count) != 0)
		return LINEEDIT_EOF;
	if (has_text(le->line, le->len))
		history(le->hist, &ev, H_ENTER, le->line);   /* without its newline */
	return LINEEDIT_LINE;
}

static void editor_close(struct lineedit *le)
{
	HistEvent ev;

	if (le->hist && le->history && history(le->hist, &ev, H_SAVE, le->history) >= 0)
		chmod(le->history, 0600);
	if (le->el)
		el_end(le->el);
	if (le->hist)
		history_end(le->hist);
}

#else /* !HAVE_LIBEDIT */

/* Set by SIGINT while a line is read. */
static volatile sig_atomic_t read_interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	read_interrupted = 1;
}

static int editor_open(struct lineedit *le)
{
	(void)le;
	return 0;
}

static enum lineedit_result editor_read(struct lineedit *le)
{
	struct sigaction sa, old;
	char *text = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;   /* no SA_RESTART: the read returns EINTR */
	read_interrupted = 0;
	fputs(le->prompt, stdout);
	fflush(stdout);
	sigaction(SIGINT, &sa, &old);
	n = getline(&text, &cap, stdin);
	sigaction(SIGINT, &old, NULL);
	if (n < 0 && read_interrupted) {
		clearerr(stdin);
		free(text);
		fputc('\n', stdout);
		le->had_text = 1;
		return LINEEDIT_INTERRUPT;
	}
	if (n < 0) {
		free(text);
		return LINEEDIT_EOF;
	}
	rc = keep_line(le, text, (size_t)n);
	free(text);
	return rc == 0 ? LINEEDIT_LINE : LINEEDIT_EOF;
}

static void editor_close(struct lineedit *le)
{
	(void)le;
}

#endif /* HAVE_LIBEDIT */

struct lineedit *lineedit_open(const char *history)
{
	struct lineedit *le = calloc(1, sizeof(*le));

	if (!le)
		return NULL;
	if (history && !(le->history = strdup(history))) {
		free(le);
		return NULL;
	}
	if (editor_open(le) != 0) {
		lineedit_close(le);
		return NULL;
	}
	return le;
}

enum lineedit_result lineedit_read(struct lineedit *le, const char *prompt, const char **line,
				   size_t *len, int *had_text)
{
	enum lineedit_result r;

	le->prompt = prompt;
	r = editor_read(le);
	*had_text = le->had_text;
	if (r == LINEEDIT_LINE) {
		*line = le->line;
		*len = le->len;
	}
	return r;
}

void lineedit_close(struct lineedit *le)
{
	if (!le)
		return;
	editor_close(le);
	free(le->history);
	free(le->line);
	free(le);
}
