/*
 * wrtest.c - a test helper that shows exactly what write(2) returns on
 * ctl, which no shell tool does (they retry short counts and print only
 * the final error).
 *
 * usage: wrtest [-r] FILE DATA...
 *
 * Opens FILE (read-write with -r, else write-only), then does ONE write()
 * per DATA argument on that descriptor and prints one line per write: the
 * return value, followed by the errno name when it is -1 ("24",
 * "-1 EEXIST").  DATA understands the escapes \n \r \t \\ \0 and \xHH.
 * Then prints "close R [ERRNO]" for close() (a pending partial line runs
 * there).  With -r, the replies queued on the descriptor are read before
 * close() and printed after a line "--".  Exit status 0 if the helper
 * itself worked, 2 on usage or open errors.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	int value;
	const char *name;
} errno_names[] = {
	{EINVAL, "EINVAL"}, {EEXIST, "EEXIST"}, {EROFS, "EROFS"}, {EIO, "EIO"},
	{ENOSPC, "ENOSPC"}, {ENOMEM, "ENOMEM"}, {EACCES, "EACCES"}, {EPERM, "EPERM"},
	{EBADF, "EBADF"}, {EINTR, "EINTR"}, {EAGAIN, "EAGAIN"}, {ENOENT, "ENOENT"},
	{ENOTCONN, "ENOTCONN"}, {EBUSY, "EBUSY"}, {ESPIPE, "ESPIPE"},
};

static const char *errno_name(int e)
{
	static char other[32];
	size_t i;

	for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].value == e)
			return errno_names[i].name;
	snprintf(other, sizeof(other), "errno%d", e);
	return other;
}

static int hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the escapes of s into out (at least strlen(s) bytes); returns length. */
static size_t unescape(const char *s, char *out)
{
	size_t n = 0;

	while (*s) {
		if (*s != '\\' || !s[1]) {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n': out[n++] = '\n'; s++; break;
		case 'r': out[n++] = '\r'; s++; break;
		case 't': out[n++] = '\t'; s++; break;
		case '0': out[n++] = '\0'; s++; break;
		case 'x':
			if (hex(s[1]) >= 0 && hex(s[2]) >= 0) {
				out[n++] = (char)(hex(s[1]) * 16 + hex(s[2]));
				s += 3;
			} else {
				out[n++] = '\\';
			}
			break;
		default: out[n++] = *s++; break;
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	int read_replies = 0;
	char reply[65536];
	ssize_t r;
	int argi = 1;
	int fd;

	if (argc > 1 && !strcmp(argv[1], "-r")) {
		read_replies = 1;
		argi++;
	}
	if (argc - argi < 1) {
		fprintf(stderr, "usage: wrtest [-r] FILE DATA...\n");
		return 2;
	}
	fd = open(argv[argi], read_replies ? O_RDWR : O_WRONLY);
	if (fd < 0) {
		printf("open -1 %s\n", errno_name(errno));
		return 2;
	}
	for (argi++; argi < argc; argi++) {
		char *data = malloc(strlen(argv[argi]) + 1);
		size_t len;

		if (!data) {
			fprintf(stderr, "wrtest: out of memory\n");
			return 2;
		}
		len = unescape(argv[argi], data);
		r = write(fd, data, len);
		if (r < 0)
			printf("-1 %s\n", errno_name(errno));
		else
			printf("%zd\n", r);
		free(data);
	}
	if (read_replies) {
		printf("--\n");
		fflush(stdout);
		while ((r = read(fd, reply, sizeof(reply))) > 0)
			fwrite(reply, 1, (size_t)r, stdout);
		if (r < 0)
			printf("read -1 %s\n", errno_name(errno));
	}
	if (close(fd) != 0)
		printf("close -1 %s\n", errno_name(errno));
	else
		printf("close 0\n");
	return 0;
}
