/*
 * fuzz.h - what every fuzz target shares: the libFuzzer entry point's
 * prototype and a small "data provider" that cuts the input into chunks.
 *
 * Reading guide.  A target (tests/fuzz/fuzz_*.c) defines
 * LLVMFuzzerTestOneInput(); it is linked either with libFuzzer (make fuzz,
 * clang) or with tests/fuzz/replay.c (make test, any compiler), which
 * calls it once per corpus file.
 *
 * The input's layout, the same for every engine target:
 *
 *   byte 0   control: bits 0-1 choose the chunk sizes (1 octet, 1-8,
 *            1-64, or everything at once); bits 2-7 are the target's own
 *            switches (two sessions or one, logged in or not...)
 *   byte 1   the seed of the generator that draws chunk sizes (and, for
 *            two sessions, which session gets the next chunk)
 *   rest     the bytes the engine is fed
 *
 * Engines are sans-I/O and must give the same answer however the bytes
 * are cut (a line may arrive one octet at a time): chunking the input is
 * what exercises their incremental framing.  Everything here is
 * deterministic; a target keeps no state between two inputs.
 */
#ifndef MAILSIM_FUZZ_H
#define MAILSIM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	const uint8_t *p;   /* the bytes still to be fed */
	size_t n;
	uint8_t flags;      /* bits 2-7 of the control byte, shifted down */
	unsigned maxchunk;  /* largest chunk; 0 = all at once */
	uint32_t rng;       /* xorshift32 state, never 0 */
};

/* Split off the two control bytes (an input shorter than that is fed as it
 * is, in one chunk). */
static inline void fz_init(struct fz *z, const uint8_t *data, size_t size)
{
	static const unsigned max_by_class[4] = {1, 8, 64, 0};
	if (size < 2) {
		z->p = data;
		z->n = size;
		z->flags = 0;
		z->maxchunk = 0;
		z->rng = 1;
		return;
	}
	z->flags = (uint8_t)(data[0] >> 2);
	z->maxchunk = max_by_class[data[0] & 3];
	z->rng = 0x9e3779b9u ^ data[1];
	z->p = data + 2;
	z->n = size - 2;
}

static inline uint32_t fz_rand(struct fz *z)
{
	uint32_t x = z->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	z->rng = x;
	return x;
}

/* The next chunk: sets *out and returns its length, 0 when all is fed. */
static inline size_t fz_chunk(struct fz *z, const char **out)
{
	size_t len = z->n;
	if (z->maxchunk && len > 0) {
		size_t want = 1 + fz_rand(z) % z->maxchunk;
		if (want < len)
			len = want;
	}
	*out = (const char *)z->p;
	z->p += len;
	z->n -= len;
	return len;
}

#endif
