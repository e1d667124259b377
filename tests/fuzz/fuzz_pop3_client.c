/*
 * fuzz_pop3_client.c - the POP3 client engine (protocols/pop3_client.c)
 * fed a hostile server's responses in random chunks.
 *
 * Reading guide.  The client logs in as bob and downloads the maildrop.
 * Control bits (fuzz.h): bit 0 keeps the messages on the server; bit 1
 * gives it two unique-ids it already holds.  Each downloaded message is
 * checked (a unique-id of at most 70 printable characters, "" if the
 * server gave none; content readable to its length).  The raw-session helper pop3_response_complete() gets
 * the same bytes, after each of the commands a student might type.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pop3.h"

static void got(void *ctx, const char *uidl, const char *content, size_t len)
{
	size_t *count = ctx;
	size_t n = strlen(uidl);
	if (n > POP3_UIDL_MAX_CHARS) /* "" when the server gave none */
		abort();
	for (size_t i = 0; i < n; i++)
		if (uidl[i] < 0x21 || uidl[i] > 0x7e)
			abort();
	volatile char sum = 0;
	for (size_t i = 0; i < len; i++)
		sum ^= content[i];
	(void)sum;
	(*count)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	fz_init(&z, data, size);
	static const char *const known[] = {"uid-aaa", "1.2"};
	struct pop3_client_config cfg = {
		.user = "bob",
		.password = "bob123",
		.keep = (z.flags & 1) != 0,
		.known_uidls = (z.flags & 2) ? known : NULL,
		.nknown = (z.flags & 2) ? 2 : 0,
	};
	size_t count = 0;
	struct pop3_client *c = pop3_client_new(&cfg, got, &count);
	struct wire out;
	wire_init(&out);

	const char *p;
	size_t len;
	while (!pop3_client_done(c) && (len = fz_chunk(&z, &p)) > 0) {
		char *chunk = xmalloc(len);
		memcpy(chunk, p, len);
		wire_clear(&out);
		pop3_client_feed(c, chunk, len, &out);
		(void)pop3_client_state_name(c);
		free(chunk);
	}
	if (!pop3_client_done(c))
		pop3_client_abort(c, "connection closed by the fuzzer");
	const char *err = pop3_client_error(c);
	if (err)
		(void)strlen(err);
	if (pop3_client_downloaded(c) != count)
		abort();
	(void)pop3_client_deleted(c);
	wire_free(&out);
	pop3_client_free(c);

	/* the raw-session helper on the same bytes */
	if (size > 2) {
		static const char *const commands[] = {NULL, "CAPA", "LIST", "LIST 1",
						       "RETR 1", "TOP 1 0", "UIDL", "USER x"};
		char *in = xmalloc(size - 2);
		memcpy(in, data + 2, size - 2);
		size_t done = pop3_response_complete(commands[data[1] & 7], in, size - 2);
		if (done > size - 2)
			abort();
		free(in);
	}
	return 0;
}
