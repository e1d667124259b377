/*
 * fuzz_smtp_client.c - the SMTP client engine (protocols/smtp_client.c)
 * fed a hostile server's replies in random chunks.
 *
 * Reading guide.  The client delivers one message to three recipients
 * (two of them the same address in different case, which the engine sends
 * once).  Control bits (fuzz.h): bit 0 makes it a submission client that
 * authenticates with AUTH PLAIN; bit 1 gives it 120 recipients, so that
 * the 100-per-transaction split and 452 retries are reached.  Whatever the
 * server says, every command the client sends is one CRLF line of at most
 * 512 octets, and once the session ends (done, or aborted by the host) no
 * recipient is left PENDING.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "smtp.h"

#define MSG                                                                          \
	"From: alice@uea.edu.br\r\n"                                                 \
	"To: bob@gmail.com\r\n"                                                      \
	"Subject: hi\r\n"                                                            \
	"\r\n"                                                                       \
	".a line that must be stuffed\r\n"                                           \
	".\r\n"                                                                      \
	"Hello Bob.\r\n"

#define MANY_RCPTS 120

/* The commands sent: whole lines (a DATA body is lines too), none over 1000
 * octets (RFC 5321 4.5.3.1.6), commands themselves at most 512. */
static void check_commands(const struct wire *w)
{
	const char *p = w->data.p;
	size_t n = w->data.len;
	if (n == 0)
		return;
	if (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n')
		abort();
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 - start > SMTP_TEXT_LINE_MAX_OCTETS)
			abort();
		start = i + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	fz_init(&z, data, size);
	struct smtp_client_config cfg = {.helo_name = "relay.uea.edu.br"};
	if (z.flags & 1) {
		cfg.auth_user = "alice@uea.edu.br";
		cfg.auth_password = "secret";
	}
	static const char *const three[] = {"bob@gmail.com", "carol@gmail.com", "BOB@gmail.com"};
	char names[MANY_RCPTS][32];
	const char *many[MANY_RCPTS];
	const char *const *rcpts = three;
	size_t nrcpts = 3;
	if (z.flags & 2) {
		for (size_t i = 0; i < MANY_RCPTS; i++) {
			snprintf(names[i], sizeof names[i], "user%zu@gmail.com", i);
			many[i] = names[i];
		}
		rcpts = many;
		nrcpts = MANY_RCPTS;
	}
	struct smtp_client *c =
		smtp_client_new(&cfg, "alice@uea.edu.br", rcpts, nrcpts, MSG, strlen(MSG));
	struct wire out;
	wire_init(&out);

	const char *p;
	size_t len;
	while (!smtp_client_done(c) && (len = fz_chunk(&z, &p)) > 0) {
		char *chunk = xmalloc(len);
		memcpy(chunk, p, len);
		wire_clear(&out);
		smtp_client_feed(c, chunk, len, &out);
		check_commands(&out);
		(void)smtp_client_state_name(c);
		free(chunk);
	}
	if (!smtp_client_done(c))
		smtp_client_abort(c, "connection closed by the fuzzer");
	for (size_t i = 0; i < nrcpts; i++) {
		const char *reply = NULL;
		enum smtp_rcpt_status st = smtp_client_rcpt_status(c, i, &reply);
		if (st == SMTP_RCPT_PENDING)
			abort();
		if (reply)
			(void)strlen(reply);
	}
	(void)smtp_reply_complete(data ? (const char *)data : "", size, &(int){0});
	wire_free(&out);
	smtp_client_free(c);
	return 0;
}
