/*
 * replay.c - run a fuzz target over files without libFuzzer.
 *
 * Linked with one tests/fuzz/fuzz_*.c, this main() feeds every file named
 * on the command line (directories: every file in them) to
 * LLVMFuzzerTestOneInput, once each, so that the committed seed corpus and
 * every saved crash run in `make check` with any compiler.  Without
 * arguments it reads $top_srcdir/tests/fuzz/corpus/FUZZ_TARGET (automake's
 * test environment sets top_srcdir).  Exits 0 when every input ran, 99 on
 * an operational error; a failing input aborts.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FUZZ_TARGET
#error "compile with -DFUZZ_TARGET='\"name\"'"
#endif

/* optional in a target, as with libFuzzer */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long inputs;

/* Read all of path into a malloc'd buffer; returns 0 or -1. */
static int slurp(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0, got;
	int rc = 0;

	if (!f)
		return -1;
	do {
		if (n == cap) {
			size_t new_cap = cap ? cap * 2 : 65536;
			uint8_t *p = realloc(buf, new_cap);

			if (!p) {
				rc = -1;
				break;
			}
			buf = p;
			cap = new_cap;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f))
		rc = -1;
	fclose(f);
	if (rc != 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int run_file(const char *path)
{
	uint8_t *data;
	size_t len;

	if (slurp(path, &data, &len) != 0) {
		fprintf(stderr, "replay: cannot read '%s': %s\n", path, strerror(errno));
		return -1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	inputs++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order (stable logs). */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t count = 0, cap = 0, i;
	int rc = 0;

	if (!d) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		if (count == cap) {
			char **p = realloc(names, (cap ? cap * 2 : 64) * sizeof(*names));

			if (!p) {
				rc = -1;
				break;
			}
			names = p;
			cap = cap ? cap * 2 : 64;
		}
		n = strlen(dir) + strlen(e->d_name) + 2;
		names[count] = malloc(n);
		if (!names[count]) {
			rc = -1;
			break;
		}
		snprintf(names[count], n, "%s/%s", dir, e->d_name);
		count++;
	}
	closedir(d);
	qsort(names, count, sizeof(*names), cmp_names);
	for (i = 0; i < count; i++) {
		struct stat st;

		if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			rc = run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: cannot stat '%s': %s\n", path, strerror(errno));
		return -1;
	}
	return S_ISDIR(st.st_mode) ? run_dir(path) : run_file(path);
}

int main(int argc, char **argv)
{
	int i, rc = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (i = 1; i < argc && rc == 0; i++)
			rc = run_path(argv[i]);
	} else {
		const char *top = getenv("top_srcdir");
		size_t n = strlen(top ? top : ".") + sizeof("/tests/fuzz/corpus/") +
			   strlen(FUZZ_TARGET);
		char *dir = malloc(n);

		if (!dir)
			return 99;
		snprintf(dir, n, "%s/tests/fuzz/corpus/%s", top ? top : ".", FUZZ_TARGET);
		rc = run_dir(dir);
		free(dir);
	}
	if (rc != 0)
		return 99;
	printf("replay %s: %lu inputs ran\n", FUZZ_TARGET, inputs);
	return 0;
}
