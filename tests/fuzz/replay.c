/*
 * replay.c - run a fuzz target once on each file given: the corpus and
 * crash files replayed by `make test` without libFuzzer or clang.
 *
 * Reading guide.  Linked with one tests/fuzz/fuzz_*.c and the normal
 * library, in place of libFuzzer's own main().  For each file: read it
 * whole, call LLVMFuzzerTestOneInput() on an exact-size copy, print
 * "ok FILE".  A bug shows as a crash (or, under `make check`, as a
 * sanitizer report), which the suite script tests/suites/fuzz.sh turns
 * into a FAIL line for that file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"

static int replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "%s: cannot open\n", path);
		return -1;
	}
	struct buf b;
	buf_init(&b);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	int bad = ferror(fp);
	fclose(fp);
	if (bad) {
		buf_free(&b);
		fprintf(stderr, "%s: read error\n", path);
		return -1;
	}
	uint8_t *copy = xmalloc(b.len ? b.len : 1);
	if (b.len)
		memcpy(copy, b.p, b.len);
	size_t len = b.len;
	buf_free(&b);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	printf("ok %s\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	int status = 0;
	for (int i = 1; i < argc; i++)
		if (replay_file(argv[i]) != 0)
			status = 1;
	return status;
}
