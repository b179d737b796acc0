/*
 * wrtest.c - a test helper that shows exactly what write(2) returns on
 * ctl, which no shell tool does (they retry short counts and print only
 * the final error).
 *
 * usage: wrtest [-r] FILE DATA...
 *
 * Opens FILE (read-write with -r, else write-only), then does ONE write()
 * per DATA argument and prints one line per write: the return value,
 * followed by the errno name when it is -1 ("24", "-1 EEXIST").  DATA
 * understands the escapes \n \r \t \\ \0 and \xHH.  An argument "@K"
 * (K = 1..9) switches the following writes to the K-th descriptor, opened
 * on FILE at first use (@1 is the first), so that two open handles can be
 * interleaved without any close() in between (a shell's `printf >&3`
 * closes a dup of the descriptor after each command, and every close()
 * flushes a partial line on ctl).  With -r, the replies queued on each
 * descriptor are read at the end and printed after a line "--" (first
 * descriptor) or "-- K".  Then each descriptor is closed, in order, with a
 * line "close R [ERRNO]" (a pending partial line runs there).  Exit
 * status 0 if the helper itself worked, 2 on usage or open errors.
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
	{ENOTCONN, "ENOTCONN"}, {EBUSY, "EBUSY"}, {ESPIPE, "ESPIPE"}, {ENOBUFS, "ENOBUFS"},
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

#define MAX_FDS 9

int main(int argc, char **argv)
{
	int fds[MAX_FDS + 1];
	int read_replies = 0;
	char reply[65536];
	const char *file;
	int cur = 1;
	ssize_t r;
	int argi = 1;
	int k;

	if (argc > 1 && !strcmp(argv[1], "-r")) {
		read_replies = 1;
		argi++;
	}
	if (argc - argi < 1) {
		fprintf(stderr, "usage: wrtest [-r] FILE DATA...\n");
		return 2;
	}
	file = argv[argi++];
	for (k = 0; k <= MAX_FDS; k++)
		fds[k] = -1;
	for (; argi <= argc; argi++) {
		char *data;
		size_t len;

		if (argi < argc && argv[argi][0] == '@' && argv[argi][1] >= '1' &&
		    argv[argi][1] <= '9' && !argv[argi][2]) {
			cur = argv[argi][1] - '0';
			continue;
		}
		if (fds[cur] < 0) {
			fds[cur] = open(file, read_replies ? O_RDWR : O_WRONLY);
			if (fds[cur] < 0) {
				printf("open -1 %s\n", errno_name(errno));
				return 2;
			}
		}
		if (argi == argc)
			break;
		data = malloc(strlen(argv[argi]) + 1);
		if (!data) {
			fprintf(stderr, "wrtest: out of memory\n");
			return 2;
		}
		len = unescape(argv[argi], data);
		r = write(fds[cur], data, len);
		if (r < 0)
			printf("-1 %s\n", errno_name(errno));
		else
			printf("%zd\n", r);
		free(data);
	}
	for (k = 1; read_replies && k <= MAX_FDS; k++) {
		if (fds[k] < 0)
			continue;
		if (k == 1)
			printf("--\n");
		else
			printf("-- %d\n", k);
		fflush(stdout);
		while ((r = read(fds[k], reply, sizeof(reply))) > 0)
			fwrite(reply, 1, (size_t)r, stdout);
		if (r < 0)
			printf("read -1 %s\n", errno_name(errno));
	}
	for (k = 1; k <= MAX_FDS; k++) {
		if (fds[k] < 0)
			continue;
		if (close(fds[k]) != 0)
			printf("close -1 %s\n", errno_name(errno));
		else
			printf("close 0\n");
	}
	return 0;
}
