/*
 * sha256.h - SHA-256 (FIPS 180-4), written out so the lab needs no crypto
 * library: `mailsim lab --report` seals a report with it.
 *
 * Incremental: sha256_init(), sha256_update() any number of times,
 * sha256_final() for the 32-byte digest; sha256_hex() does all three for one
 * buffer and gives the 64 lowercase hex digits.
 */
#ifndef MAILSIM_SHA256_H
#define MAILSIM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32 /* digest length */
#define SHA256_HEX (2 * SHA256_BYTES + 1) /* hex digits and NUL */

struct sha256 {
	uint32_t h[8];       /* the hash state */
	uint64_t len;        /* bytes hashed so far */
	unsigned char block[64]; /* the block being filled */
	size_t used;         /* bytes of block filled */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, unsigned char out[SHA256_BYTES]);
/* The digest of data as lowercase hex, into out. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX]);

#endif
