/*
 * changes_poll.c - a test helper for the `changes` file of a mount, for
 * what no shell tool shows: poll(), select(), O_NONBLOCK and the result
 * of a single read.  Driven by tests/t6400-changes.sh.
 *
 * usage: changes_poll poll MNT    O_NONBLOCK: read is EAGAIN; poll() and
 *                                 select() time out while idle; a write
 *                                 to MNT/ctl makes poll() report POLLIN
 *                                 within 5 s and read() return its line
 *        changes_poll block MNT   a blocking read is released by a
 *                                 commit made 300 ms later by a child
 *        changes_poll cat FILE    copy FILE to stdout with blocking reads
 *                                 (SIGINT at its default, whatever the
 *                                 shell set); a failed read prints
 *                                 "read: ERRNO-NAME" on stderr
 *        changes_poll once FILE   one read; prints "N" (bytes) or the
 *                                 errno name
 *
 * Each check prints "ok: ..." or "FAIL: ..."; exit status 0 when all
 * passed, 1 when one failed, 2 on usage or set-up errors.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failed;

static const char *errno_name(int e)
{
	static char other[32];

	switch (e) {
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	case ESTALE: return "ESTALE";
	case EINVAL: return "EINVAL";
	case ENOTCONN: return "ENOTCONN";
	case EIO: return "EIO";
	default:
		snprintf(other, sizeof(other), "errno%d", e);
		return other;
	}
}

static void result(int ok, const char *what, const char *detail)
{
	printf("%s: %s%s%s\n", ok ? "ok" : "FAIL", what, detail ? ": " : "", detail ? detail : "");
	if (!ok)
		failed = 1;
}

static char *join(const char *dir, const char *name)
{
	size_t len = strlen(dir) + strlen(name) + 2;
	char *p = malloc(len);

	if (!p) {
		perror("changes_poll: malloc");
		exit(2);
	}
	snprintf(p, len, "%s/%s", dir, name);
	return p;
}

/* Write one statement line to ctl (its own open, one write). */
static int write_ctl(const char *ctl, const char *line)
{
	int fd = open(ctl, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, line, strlen(line));
	if (close(fd) != 0 || n != (ssize_t)strlen(line))
		return -1;
	return 0;
}

/* Is text one feed line "SEQ insert ID NAME\n" for id and name? */
static int is_insert_line(const char *text, const char *id, const char *name)
{
	char exp[128];
	const char *sp = strchr(text, ' ');

	if (!sp || sp == text || strspn(text, "0123456789") != (size_t)(sp - text))
		return 0;
	snprintf(exp, sizeof(exp), " insert %s %s\n", id, name);
	return strcmp(sp, exp) == 0;
}

static int run_poll(const char *mnt)
{
	char *changes = join(mnt, "changes");
	char *ctl = join(mnt, "ctl");
	struct pollfd pfd;
	struct timeval tv;
	char buf[4096];
	fd_set rset;
	ssize_t n;
	int fd, rc;

	fd = open(changes, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		perror("changes_poll: open changes");
		return 2;
	}
	n = read(fd, buf, sizeof(buf));
	result(n < 0 && errno == EAGAIN, "O_NONBLOCK read while idle is EAGAIN",
	       n < 0 ? errno_name(errno) : "returned data or 0");
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	rc = poll(&pfd, 1, 200);
	result(rc == 0, "poll() while idle times out", rc < 0 ? errno_name(errno) : NULL);
	FD_ZERO(&rset);
	FD_SET(fd, &rset);
	tv.tv_sec = 0;
	tv.tv_usec = 200000;
	rc = select(fd + 1, &rset, NULL, NULL, &tv);
	result(rc == 0, "select() while idle times out", rc < 0 ? errno_name(errno) : NULL);

	if (write_ctl(ctl, "insert 900001 polled\n") != 0) {
		perror("changes_poll: write ctl");
		return 2;
	}
	rc = poll(&pfd, 1, 5000);
	result(rc == 1 && (pfd.revents & POLLIN), "poll() reports POLLIN after a commit",
	       rc == 0 ? "timed out" : NULL);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	result(n > 0 && is_insert_line(buf, "900001", "polled"), "read returns the commit's line",
	       n < 0 ? errno_name(errno) : buf);
	n = read(fd, buf, sizeof(buf));
	result(n < 0 && errno == EAGAIN, "then EAGAIN again", n < 0 ? errno_name(errno) : "data");

	/* select() is woken by a commit too */
	if (write_ctl(ctl, "insert 900002 selected\n") != 0) {
		perror("changes_poll: write ctl");
		return 2;
	}
	FD_ZERO(&rset);
	FD_SET(fd, &rset);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	rc = select(fd + 1, &rset, NULL, NULL, &tv);
	result(rc == 1 && FD_ISSET(fd, &rset), "select() reports readable after a commit",
	       rc == 0 ? "timed out" : NULL);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	result(n > 0 && is_insert_line(buf, "900002", "selected"), "read returns that line",
	       n < 0 ? errno_name(errno) : buf);
	close(fd);
	free(changes);
	free(ctl);
	return failed;
}

static int run_block(const char *mnt)
{
	char *changes = join(mnt, "changes");
	char *ctl = join(mnt, "ctl");
	char buf[4096];
	pid_t child;
	ssize_t n;
	int status;
	int fd;

	fd = open(changes, O_RDONLY);
	if (fd < 0) {
		perror("changes_poll: open changes");
		return 2;
	}
	child = fork();
	if (child < 0) {
		perror("changes_poll: fork");
		return 2;
	}
	if (child == 0) {
		struct timespec ts = {0, 300000000L};

		nanosleep(&ts, NULL);
		_exit(write_ctl(ctl, "insert 900003 blocked\n") == 0 ? 0 : 1);
	}
	alarm(20);   /* a read that never returns ends the helper */
	n = read(fd, buf, sizeof(buf) - 1);
	alarm(0);
	buf[n > 0 ? n : 0] = '\0';
	result(n > 0 && is_insert_line(buf, "900003", "blocked"),
	       "a blocking read is released by a commit", n < 0 ? errno_name(errno) : buf);
	waitpid(child, &status, 0);
	result(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the commit succeeded", NULL);
	close(fd);
	free(changes);
	free(ctl);
	return failed;
}

static int run_cat(const char *file)
{
	char buf[65536];
	ssize_t n;
	int fd;

	signal(SIGINT, SIG_DFL);
	fd = open(file, O_RDONLY);
	if (fd < 0) {
		perror("changes_poll: open");
		return 2;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (write(STDOUT_FILENO, buf, (size_t)n) != n)
			return 2;
	}
	if (n < 0) {
		fprintf(stderr, "read: %s\n", errno_name(errno));
		return 1;
	}
	return 0;
}

static int run_once(const char *file)
{
	char buf[65536];
	ssize_t n;
	int fd;

	fd = open(file, O_RDONLY);
	if (fd < 0) {
		perror("changes_poll: open");
		return 2;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		printf("%s\n", errno_name(errno));
	else
		printf("%zd\n", n);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: changes_poll poll|block MNT | cat|once FILE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "poll") == 0)
		return run_poll(argv[2]);
	if (strcmp(argv[1], "block") == 0)
		return run_block(argv[2]);
	if (strcmp(argv[1], "cat") == 0)
		return run_cat(argv[2]);
	if (strcmp(argv[1], "once") == 0)
		return run_once(argv[2]);
	fprintf(stderr, "changes_poll: unknown mode '%s'\n", argv[1]);
	return 2;
}
