/*
 * killwhen.c - a test helper that sends SIGKILL to a process at the moment
 * a file reaches a state, for crash tests that aim at short windows (a
 * checkpoint's few fsyncs) which a shell polling loop, a fork per look,
 * steps over.  It polls stat(2) and pread(2) in a tight loop.
 *
 * usage: killwhen PID TIMEOUT_MS COND...
 *
 * COND is one of
 *   size-gt FILE N     FILE is longer than N bytes (a missing file is 0)
 *   size-lt FILE N     FILE is shorter than N bytes
 *   starts FILE TEXT   FILE begins with the bytes of TEXT
 * The conditions are met one after the other, in order: the second is
 * only looked at once the first held, and so on.  When the last one
 * holds, PID gets SIGKILL and "hit" is printed; when TIMEOUT_MS passes
 * first, PID gets SIGKILL all the same and "missed COND N" is
 * printed (N counts from 1: the condition that did not hold).  Exit
 * status 0 hit, 1 missed, 2 usage or kill errors.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* One condition of the command line. */
struct cond {
	const char *kind;   /* "size-gt", "size-lt" or "starts" */
	const char *file;   /* the file looked at */
	const char *arg;    /* N or TEXT */
	long long number;   /* N, for the size conditions */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* Does FILE begin with the bytes of text? */
static int starts_with(const char *path, const char *text)
{
	size_t len = strlen(text);
	char buf[256];
	ssize_t got;
	int fd;

	if (len > sizeof(buf))
		return 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	got = pread(fd, buf, len, 0);
	close(fd);
	return got == (ssize_t)len && memcmp(buf, text, len) == 0;
}

static int holds(const struct cond *c)
{
	if (!strcmp(c->kind, "size-gt"))
		return file_size(c->file) > c->number;
	if (!strcmp(c->kind, "size-lt"))
		return file_size(c->file) < c->number;
	return starts_with(c->file, c->arg);
}

static int usage(void)
{
	fprintf(stderr, "usage: killwhen PID TIMEOUT_MS {size-gt FILE N | size-lt FILE N | "
			"starts FILE TEXT}...\n");
	return 2;
}

/* The conditions of argv[0..argc-1] into conds (argc / 3 of them). */
static int parse_conds(int argc, char **argv, struct cond *conds)
{
	int i;

	for (i = 0; i + 2 < argc; i += 3) {
		struct cond *c = &conds[i / 3];
		char *end;

		c->kind = argv[i];
		c->file = argv[i + 1];
		c->arg = argv[i + 2];
		if (!strcmp(c->kind, "starts"))
			continue;
		if (strcmp(c->kind, "size-gt") && strcmp(c->kind, "size-lt"))
			return -1;
		errno = 0;
		c->number = strtoll(c->arg, &end, 10);
		if (errno || end == c->arg || *end)
			return -1;
	}
	return i == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct cond *conds;
	long long deadline;
	char *end;
	int count, at = 0, rc = 0;
	long pid, timeout;

	if (argc < 6)
		return usage();
	pid = strtol(argv[1], &end, 10);
	if (*end || pid <= 0)
		return usage();
	timeout = strtol(argv[2], &end, 10);
	if (*end || timeout <= 0)
		return usage();
	count = (argc - 3) / 3;
	conds = calloc((size_t)count, sizeof(*conds));
	if (!conds || parse_conds(argc - 3, argv + 3, conds) != 0) {
		free(conds);
		return usage();
	}
	deadline = now_ms() + timeout;
	while (at < count && now_ms() < deadline) {
		if (holds(&conds[at]))
			at++;
	}
	if (kill((pid_t)pid, SIGKILL) != 0 && errno != ESRCH) {
		fprintf(stderr, "killwhen: kill %ld: %s\n", pid, strerror(errno));
		rc = 2;
	} else if (at == count) {
		printf("hit\n");
	} else {
		printf("missed COND %d\n", at + 1);
		rc = 1;
	}
	free(conds);
	return rc;
}
