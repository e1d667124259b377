/*
 * fuzz_imap_client.c - the IMAP client engine (protocols/imap_client.c)
 * fed a hostile server's responses in random chunks.
 *
 * Reading guide.  Control bits (fuzz.h): bits 0-2 choose the task (SYNC,
 * OPEN, STORE, CREATE, MOVE, DELETE, APPEND; 7 is SYNC again); bit 3
 * gives the device a known INBOX view of three messages; bit 4 asks for
 * an IDLE refresh after every chunk while the client idles.  At the end
 * an OPEN task is closed, anything else still running is aborted.  The
 * events are checked for sanity (UIDs are never 0; content readable to
 * its length).  imap_response_complete() gets the same bytes too.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "imap.h"

static void on_folder(void *ctx, const char *name, const char *special_use)
{
	(void)ctx;
	(void)strlen(name);
	if (special_use)
		(void)strlen(special_use);
}

static void on_reset(void *ctx, uint32_t uidvalidity)
{
	(void)ctx;
	(void)uidvalidity;
}

static void on_message(void *ctx, uint32_t uid, uint32_t flags, const char *content, size_t len)
{
	(void)ctx;
	(void)flags;
	if (uid == 0)
		abort();
	volatile char sum = 0;
	for (size_t i = 0; i < len; i++)
		sum ^= content[i];
	(void)sum;
}

static void on_flags(void *ctx, uint32_t uid, uint32_t flags)
{
	(void)ctx;
	(void)flags;
	if (uid == 0)
		abort();
}

static void on_expunged(void *ctx, uint32_t uid)
{
	(void)ctx;
	if (uid == 0)
		abort();
}

static const struct imap_client_events events = {
	.folder = on_folder,
	.reset = on_reset,
	.message = on_message,
	.flags = on_flags,
	.expunged = on_expunged,
};

#define APPEND_MSG "From: bob@uea.edu.br\r\nSubject: draft\r\n\r\nHi.\r\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum imap_task tasks[8] = {
		IMAP_TASK_SYNC,   IMAP_TASK_OPEN,   IMAP_TASK_STORE,  IMAP_TASK_CREATE,
		IMAP_TASK_MOVE,   IMAP_TASK_DELETE, IMAP_TASK_APPEND, IMAP_TASK_SYNC,
	};
	static const struct imap_known known[] = {
		{4, IMAP_FLAG_SEEN},
		{5, 0},
		{7, IMAP_FLAG_FLAGGED},
	};
	struct fz z;
	fz_init(&z, data, size);
	struct imap_client_config cfg = {
		.user = "bob",
		.password = "bob123",
		.task = tasks[z.flags & 7],
		.uidvalidity = (z.flags & 8) ? 1000 : 0,
		.known = (z.flags & 8) ? known : NULL,
		.nknown = (z.flags & 8) ? 3 : 0,
		.uid = 5,
		.flag = "\\Flagged",
		.add = true,
		.folder = "Work/2024",
		.msg = APPEND_MSG,
		.msglen = strlen(APPEND_MSG),
	};
	struct imap_client *c = imap_client_new(&cfg, &events, NULL);
	struct wire out;
	wire_init(&out);

	const char *p;
	size_t len;
	while (!imap_client_done(c) && (len = fz_chunk(&z, &p)) > 0) {
		char *chunk = xmalloc(len);
		memcpy(chunk, p, len);
		wire_clear(&out);
		imap_client_feed(c, chunk, len, &out);
		if ((z.flags & 16) && imap_client_idling(c))
			imap_client_refresh(c, &out);
		(void)imap_client_state_name(c);
		free(chunk);
	}
	wire_clear(&out);
	if (!imap_client_done(c) && imap_client_idling(c))
		imap_client_close(c, &out);
	if (!imap_client_done(c))
		imap_client_abort(c, "connection closed by the fuzzer");
	const char *err = imap_client_error(c);
	if (err)
		(void)strlen(err);
	(void)imap_client_append_uid(c);
	wire_free(&out);
	imap_client_free(c);

	/* the raw-session helper on the same bytes */
	if (size > 2) {
		static const char *const tags[] = {NULL, "a1", "a0001", "*", "+", "x", "A1", "tag"};
		char *in = xmalloc(size - 2);
		memcpy(in, data + 2, size - 2);
		size_t done = imap_response_complete(tags[data[1] & 7], in, size - 2);
		if (done > size - 2)
			abort();
		free(in);
	}
	return 0;
}
