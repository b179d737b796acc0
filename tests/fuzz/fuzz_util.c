/*
 * fuzz_util.c - scratch files and checks for the fuzz targets (fuzz_util.h).
 */
#include <config.h>
#include "fuzz_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
	abort();
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "fuzz: %s '%s': %s\n", what, path, strerror(errno));
	abort();
}

void fuzz_dir_init(struct fuzz_dir *d, const char *tag)
{
	const char *tmp = getenv("TMPDIR");
	size_t n;

	if (!tmp || !tmp[0])
		tmp = "/tmp";
	n = strlen(tmp) + strlen(tag) + 16;
	d->path = malloc(n);
	if (!d->path)
		abort();
	snprintf(d->path, n, "%s/%s.XXXXXX", tmp, tag);
	if (!mkdtemp(d->path))
		die("mkdtemp", d->path);
}

char *fuzz_dir_file(const struct fuzz_dir *d, const char *name)
{
	size_t n = strlen(d->path) + strlen(name) + 2;
	char *p = malloc(n);

	if (!p)
		abort();
	snprintf(p, n, "%s/%s", d->path, name);
	return p;
}

void fuzz_dir_remove_db(const struct fuzz_dir *d, const char *path)
{
	size_t n = strlen(path) + 5;
	char *wal = malloc(n);

	(void)d;
	if (!wal)
		abort();
	snprintf(wal, n, "%s-wal", path);
	unlink(path);
	unlink(wal);
	free(wal);
}

void fuzz_dir_release(struct fuzz_dir *d)
{
	if (!d->path)
		return;
	rmdir(d->path);
	free(d->path);
	d->path = NULL;
}

void fuzz_write_file(const char *path, const void *data, size_t len)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		die("open", path);
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write", path);
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0)
		die("close", path);
}

void fuzz_copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY);
	int out;

	if (in < 0) {
		if (errno != ENOENT)
			die("open", src);
		unlink(dst);
		return;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0)
		die("open", dst);
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read", src);
		if (n == 0)
			break;
		if (write(out, buf, (size_t)n) != n)
			die("write", dst);
	}
	close(in);
	if (close(out) != 0)
		die("close", dst);
}
