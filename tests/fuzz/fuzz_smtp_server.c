/*
 * fuzz_smtp_server.c - the SMTP server engine (protocols/smtp_server.c)
 * fed a hostile client's bytes in random chunks.
 *
 * Reading guide.  A small host stands behind the engine, like the unit
 * tests' fake: alice/secret may AUTH; senders "spammer@..." are refused;
 * recipients "nobody@..." (550), "busy@..." (450) and "silent@..." (refused
 * without a reply filled in) too; DATA is queued, or answered 451 when
 * control bit 1 says the store fails.  Control bit 0 makes the session a
 * submission one (port 587: AUTH required); bit 2 lowers SIZE to 200
 * octets.  See fuzz.h for the input's layout.
 *
 * Beyond "no crash, no leak": whatever the client sends, every reply is
 * whole CRLF lines of at most 512 octets (RFC 5321 4.5.3.1.5), and the
 * engine never asks the host for DATA without a sender and a recipient.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "smtp.h"

struct host {
	bool data_fails;
};

static bool host_auth(void *ctx, const char *user, const char *password)
{
	(void)ctx;
	return strcmp(user, "alice") == 0 && strcmp(password, "secret") == 0;
}

static bool host_mail(void *ctx, const struct smtp_envelope *env, const char *from,
		      struct smtp_reply *reply)
{
	(void)ctx;
	(void)env;
	if (strncmp(from, "spammer@", 8) == 0) {
		smtp_reply_set(reply, 550, "5.7.1", NULL, "<%s>: Sender address rejected", from);
		return false;
	}
	return true;
}

static bool host_rcpt(void *ctx, const struct smtp_envelope *env, const char *rcpt,
		      struct smtp_reply *reply)
{
	(void)ctx;
	(void)env;
	if (strncmp(rcpt, "nobody@", 7) == 0) {
		smtp_reply_set(reply, 550, "5.1.1", NULL, "<%s>: Recipient address rejected",
			       rcpt);
		return false;
	}
	if (strncmp(rcpt, "busy@", 5) == 0) {
		smtp_reply_set(reply, 450, "4.2.1", NULL, "<%s>: Mailbox busy", rcpt);
		return false;
	}
	return strncmp(rcpt, "silent@", 7) != 0;
}

static void host_data(void *ctx, const struct smtp_envelope *env, const char *msg, size_t len,
		      struct smtp_reply *reply)
{
	struct host *h = ctx;
	if (!env->mail_from || env->nrcpts == 0 || (len && !msg))
		abort();
	for (size_t i = 0; i < env->nrcpts; i++)
		(void)strlen(env->rcpts[i]);
	if (h->data_fails)
		smtp_reply_set(reply, 451, "4.3.0", NULL, "Error: queue file write error");
	else
		smtp_reply_set(reply, 250, "2.0.0", NULL, "Ok: queued as %zu", len);
}

static const struct smtp_server_ops host_ops = {
	.auth = host_auth,
	.mail = host_mail,
	.rcpt = host_rcpt,
	.data = host_data,
};

/* Every reply whole lines, each at most 512 octets with its CRLF. */
static void check_replies(const struct wire *w)
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
		if (i + 1 - start > SMTP_REPLY_LINE_MAX_OCTETS)
			abort();
		start = i + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	fz_init(&z, data, size);
	struct host h = {.data_fails = (z.flags & 2) != 0};
	struct smtp_server_config cfg = {
		.hostname = "mx.example.org",
		.submission = (z.flags & 1) != 0,
		.max_size = (z.flags & 4) ? 200 : 0,
	};
	struct smtp_server *s = smtp_server_new(&cfg, &host_ops, &h);
	struct wire out;
	wire_init(&out);
	smtp_server_start(s, &out);
	check_replies(&out);

	const char *p;
	size_t len;
	while (!smtp_server_closed(s) && (len = fz_chunk(&z, &p)) > 0) {
		char *chunk = xmalloc(len);
		memcpy(chunk, p, len);
		wire_clear(&out);
		size_t used = smtp_server_feed(s, chunk, len, &out);
		if (used > len || (used < len && !smtp_server_closed(s)))
			abort();
		check_replies(&out);
		(void)smtp_server_state_name(s);
		free(chunk);
	}
	wire_free(&out);
	smtp_server_free(s);
	return 0;
}
