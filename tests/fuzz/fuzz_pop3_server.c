/*
 * fuzz_pop3_server.c - the POP3 server engine (protocols/pop3_server.c)
 * fed a hostile client's bytes in random chunks.
 *
 * Reading guide.  The host is a fake maildrop, as in the unit tests:
 * alice/secret holds three messages (one with dot-led lines), dave/secret
 * an empty maildrop, bob's is in use, carol's cannot be opened.  Control
 * bits (fuzz.h): bit 0 makes UPDATE fail; bit 1 makes message 2's content
 * gone when asked for.  Checked beyond "no crash, no leak": the lock is
 * released exactly once after it was taken, UPDATE deletes only messages
 * of the maildrop, each once, and a session that was not QUIT deletes
 * nothing (RFC 1939 6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pop3.h"

#define MSG1 "From: alice@example.org\r\nSubject: one\r\n\r\nHello.\r\n"
#define MSG2 "Subject: dots\r\n\r\n.hidden\r\n..two\r\n.\r\nend\r\n"
#define MSG3 "Subject: three\r\nX-Count: 3\r\n\r\nline 1\r\nline 2\r\nline 3\r\n"

static const struct {
	uint32_t id;
	const char *uidl;
	const char *content;
} host_msgs[] = {
	{101, "1.1", MSG1},
	{102, "1.2", MSG2},
	{103, "1.3", MSG3},
};
#define NHOST_MSGS (sizeof host_msgs / sizeof host_msgs[0])

struct host {
	bool update_fails, msg2_gone;
	int locks, unlocks, updates;
	struct pop3_server *srv;
};

static bool host_auth(void *ctx, const char *user, const char *password)
{
	(void)ctx;
	bool known = strcmp(user, "alice") == 0 || strcmp(user, "bob") == 0 ||
		     strcmp(user, "carol") == 0 || strcmp(user, "dave") == 0;
	return known && strcmp(password, "secret") == 0;
}

static enum pop3_lock_result host_lock(void *ctx, const char *user, struct pop3_msg **msgs,
				       size_t *n)
{
	struct host *h = ctx;
	if (strcmp(user, "bob") == 0)
		return POP3_LOCK_IN_USE;
	if (strcmp(user, "carol") == 0)
		return POP3_LOCK_ERROR;
	h->locks++;
	if (strcmp(user, "dave") == 0) {
		*msgs = NULL;
		*n = 0;
		return POP3_LOCK_OK;
	}
	*msgs = xcalloc(NHOST_MSGS, sizeof **msgs);
	for (size_t i = 0; i < NHOST_MSGS; i++) {
		(*msgs)[i].id = host_msgs[i].id;
		(*msgs)[i].size = strlen(host_msgs[i].content);
		snprintf((*msgs)[i].uidl, sizeof (*msgs)[i].uidl, "%s", host_msgs[i].uidl);
	}
	*n = NHOST_MSGS;
	return POP3_LOCK_OK;
}

static void host_unlock(void *ctx, const char *user)
{
	struct host *h = ctx;
	(void)user;
	h->unlocks++;
	if (h->unlocks > h->locks)
		abort(); /* unlocked what was not locked */
}

static bool host_content(void *ctx, const char *user, const struct pop3_msg *m, struct buf *out)
{
	struct host *h = ctx;
	(void)user;
	if (h->msg2_gone && m->id == 102)
		return false;
	for (size_t i = 0; i < NHOST_MSGS; i++)
		if (host_msgs[i].id == m->id) {
			buf_adds(out, host_msgs[i].content);
			return true;
		}
	abort(); /* asked for a message the maildrop never listed */
}

static bool host_update(void *ctx, const char *user, const struct pop3_msg *const *dele,
			size_t n)
{
	struct host *h = ctx;
	(void)user;
	h->updates++;
	if (n > NHOST_MSGS)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (dele[i]->id < 101 || dele[i]->id > 103)
			abort();
		for (size_t k = 0; k < i; k++)
			if (dele[k]->id == dele[i]->id)
				abort(); /* the same message twice */
	}
	/* RFC 1939 6: UPDATE only after QUIT */
	if (strcmp(pop3_server_state_name(h->srv), "UPDATE") != 0)
		abort();
	return !h->update_fails;
}

static const struct pop3_server_ops host_ops = {
	.auth = host_auth,
	.lock = host_lock,
	.unlock = host_unlock,
	.content = host_content,
	.update = host_update,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z;
	fz_init(&z, data, size);
	struct host h = {.update_fails = (z.flags & 1) != 0, .msg2_gone = (z.flags & 2) != 0};
	static const struct pop3_server_config cfg = {.hostname = "mx.example.org"};
	struct pop3_server *s = pop3_server_new(&cfg, &host_ops, &h);
	h.srv = s;
	struct wire out;
	wire_init(&out);
	pop3_server_start(s, &out);

	const char *p;
	size_t len;
	while (!pop3_server_closed(s) && (len = fz_chunk(&z, &p)) > 0) {
		char *chunk = xmalloc(len);
		memcpy(chunk, p, len);
		wire_clear(&out);
		size_t used = pop3_server_feed(s, chunk, len, &out);
		if (used > len)
			abort();
		(void)pop3_server_state_name(s);
		free(chunk);
	}
	wire_free(&out);
	pop3_server_free(s);
	if (h.unlocks != h.locks)
		abort(); /* a lock left held after the session ended */
	return 0;
}
