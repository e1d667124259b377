/*
 * test_sha256.c - SHA-256 against the FIPS 180-4 examples (NIST's
 * "Cryptographic Standards and Guidelines: Examples with Intermediate
 * Values", SHA256.pdf and SHA2_Additional.pdf), fed whole and byte by byte.
 */
#include "sha256.h"
#include "test.h"

#include <stdlib.h>

static void hex_of(struct sha256 *s, char out[SHA256_HEX])
{
	unsigned char d[SHA256_BYTES];
	sha256_final(s, d);
	for (int i = 0; i < SHA256_BYTES; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_nist_vectors(void)
{
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
		  "klmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char hex[SHA256_HEX];
		sha256_hex(v[i].in, strlen(v[i].in), hex);
		CHECK_STR(hex, v[i].hex);
		struct sha256 s;
		sha256_init(&s);
		for (const char *p = v[i].in; *p; p++)
			sha256_update(&s, p, 1);
		hex_of(&s, hex);
		CHECK_STR(hex, v[i].hex);
	}
}

/* One million 'a's (FIPS 180-2 appendix B.3), in uneven pieces. */
static void test_million_a(void)
{
	char *a = malloc(1000000);
	CHECK(a != NULL);
	if (!a)
		return;
	memset(a, 'a', 1000000);
	char hex[SHA256_HEX];
	sha256_hex(a, 1000000, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	struct sha256 s;
	sha256_init(&s);
	for (size_t off = 0, step = 1; off < 1000000; off += step, step = step % 97 + 13)
		sha256_update(&s, a + off, off + step > 1000000 ? 1000000 - off : step);
	hex_of(&s, hex);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

/* Lengths around the padding's edge (55, 56, 63, 64 bytes), against the
 * same input hashed in one piece and in two. */
static void test_padding_edges(void)
{
	static const char *const want[] = {
		/* 55, 56, 63 and 64 'a's */
		"9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318",
		"b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a",
		"7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34",
		"ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb",
	};
	static const size_t len[] = { 55, 56, 63, 64 };
	char a[64];
	memset(a, 'a', sizeof a);
	for (size_t i = 0; i < 4; i++) {
		char hex[SHA256_HEX];
		sha256_hex(a, len[i], hex);
		CHECK_STR(hex, want[i]);
		struct sha256 s;
		sha256_init(&s);
		sha256_update(&s, a, 10);
		sha256_update(&s, a, len[i] - 10);
		hex_of(&s, hex);
		CHECK_STR(hex, want[i]);
	}
}

int main(void)
{
	RUN(test_nist_vectors);
	RUN(test_million_a);
	RUN(test_padding_edges);
	return TEST_END();
}
