/*
 * checks.c - the scenario's `expect` lines, checked against how the world
 * ended: the store's mailboxes, devices and queues, and the SMTP replies
 * seen on the way.
 */
#include "world.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "mime.h"

/* ================================================================ replies */

/* Remember a reply code, and the enhanced status code after it (RFC 3463:
 * "550 5.1.1 ..."), for `expect reply`. */
static void world_check_reply(struct world *w, const char *t, size_t len)
{
	if (len < 3 || t[0] < '2' || t[0] > '5' || t[1] < '0' || t[1] > '9' || t[2] < '0' ||
	    t[2] > '9')
		return;
	int code = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
	w->replies_seen[code] = 1;
	if (len <= 6 || (t[3] != ' ' && t[3] != '-') || t[4] < '2' || t[4] > '5' || t[5] != '.')
		return;
	size_t k = 4;
	while (k < len && t[k] != ' ')
		k++;
	char enh[16];
	size_t n = k - 4 < sizeof enh - 1 ? k - 4 : sizeof enh - 1;
	memcpy(enh, t + 4, n);
	enh[n] = '\0';
	for (size_t i = 0; i < w->nenh_seen; i++)
		if (strcmp(w->enh_seen[i], enh) == 0)
			return;
	w->enh_seen = xrealloc(w->enh_seen, (w->nenh_seen + 1) * sizeof *w->enh_seen);
	w->enh_seen[w->nenh_seen++] = xstrdup(enh);
}

/* The trace's listener: every line an SMTP server sent (a protocol line
 * has no event). */
static void world_check_sink(void *ctx, const struct trace_rec *r)
{
	struct world *w = ctx;
	if (r->event || r->dir != DIR_S2C)
		return;
	if (r->proto == PROTO_SMTP)
		world_check_reply(w, r->text, r->text_len);
	/* a quiz's reply came: it is answered */
	for (size_t i = 0; i < w->nquiz_open; i++)
		if (trace_reply_is(r->proto, r->text, r->text_len,
				   w->scn->actions[w->quiz_open[i]].reply))
			w->quiz_open[i--] = w->quiz_open[--w->nquiz_open];
}

void world_check_init(struct world *w)
{
	trace_add_sink(&w->trace, world_check_sink, w);
}

void world_check_free(struct world *w)
{
	for (size_t i = 0; i < w->nenh_seen; i++)
		free(w->enh_seen[i]);
	free(w->enh_seen);
	w->enh_seen = NULL;
	w->nenh_seen = 0;
	free(w->quiz_open);
	w->quiz_open = NULL;
	w->nquiz_open = 0;
}

/* ================================================================ checks */

static void world_check_result(struct world *w, const struct scn_check *c, bool ok,
			       const char *detail)
{
	if (ok)
		w->checks_passed++;
	else
		w->checks_failed++;
	struct buf text;
	buf_init(&text);
	/* TRANSLATORS: FILE:LINE: passed: THE CHECK (as written in the scenario) */
	buf_printf(&text, ok ? _("%s:%d: passed: %s") : _("%s:%d: FAILED: %s"), w->scn->file,
		   c->pos.line, c->source ? c->source : "expect");
	if (!ok && detail)
		buf_printf(&text, " (%s)", detail);
	struct trace_rec r = {
		.t_us = w->loop.now_us,
		.from = "check",
		.event = ok ? "check-passed" : "check-failed",
		.text = text.p,
		.text_len = text.len,
		.arrive_us = w->loop.now_us,
	};
	trace_emit(&w->trace, &r);
	buf_free(&text);
}

static int world_mailbox_folder(struct world *w, const char *address, const char *folder,
				int64_t *id, char *detail, size_t n)
{
	struct store_account acct;
	if (store_account_find(w->store, address, &acct) != 0) {
		snprintf(detail, n, _("no mailbox %s"), address);
		return -1;
	}
	if (store_folder_find(w->store, acct.id, folder ? folder : "INBOX", id) != 0) {
		snprintf(detail, n, _("no folder %s"), folder ? folder : "INBOX");
		return -1;
	}
	return 0;
}

/* A check's `flag`: a system flag's bit, or a keyword. */
static void world_check_flag(const char *flag, uint32_t *bits, const char **keyword)
{
	*bits = 0;
	*keyword = NULL;
	if (!flag)
		return;
	*bits = world_flag_bit(flag);
	if (!*bits)
		*keyword = flag;
}

/*
 * `has ... header "NAME" containing "TEXT"`: some message of the folder
 * whose first NAME: field (the top one, the last a server added) holds
 * TEXT, in any case, and that matches the rest of m.  If none does but one
 * has the field, the detail quotes what it says.
 */
static bool world_check_header(struct world *w, int64_t folder, const struct scn_check *c,
			       struct store_match *m, char *detail, size_t n)
{
	struct store_message *list = NULL;
	size_t count = 0;
	if (store_folder_list(w->store, folder, &list, &count) != STORE_OK)
		return false;
	bool ok = false;
	struct buf value;
	buf_init(&value);
	for (size_t k = 0; k < count && !ok; k++) {
		struct store_message msg;
		if (store_message_get(w->store, folder, list[k].uid, true, &msg) != STORE_OK)
			continue;
		buf_clear(&value);
		if (mime_header_get(msg.content, msg.content_len, c->header, &value)) {
			if (mem_contains_nocase(value.p, value.len, c->header_text,
						strlen(c->header_text))) {
				m->uid = list[k].uid;
				ok = store_folder_match(w->store, folder, m) == 0;
			}
			if (!ok)
				snprintf(detail, n, _("no such message; its %s: says '%.*s'"),
					 c->header, value.len > 200 ? 200 : (int)value.len,
					 value.p);
		}
		store_message_free(&msg);
	}
	buf_free(&value);
	free(list);
	return ok;
}

bool world_check_one(struct world *w, size_t i, char *detail, size_t n)
{
	assert(i < w->scn->nchecks);
	const struct scn_check *c = &w->scn->checks[i];
	bool ok = false;
	int64_t id, count = -1;
	if (n)
		detail[0] = '\0';
	switch (c->kind) {
	case SCN_EXPECT_MAILBOX_COUNT:
		if (world_mailbox_folder(w, c->address, c->folder, &id, detail, n) == 0 &&
		    store_folder_count(w->store, id, &count) == 0) {
			ok = count == c->count;
			snprintf(detail, n, _("found %lld"), (long long)count);
		}
		break;
	case SCN_EXPECT_MAILBOX_HAS:
		if (world_mailbox_folder(w, c->address, c->folder, &id, detail, n) == 0) {
			struct store_match m = { .from = c->from, .to = c->to,
						 .subject = c->subject, .submitted = c->submitted };
			world_check_flag(c->flag, &m.flags, &m.keyword);
			ok = c->header ? world_check_header(w, id, c, &m, detail, n)
				       : store_folder_match(w->store, id, &m) == 0;
			if (!ok && !detail[0])
				snprintf(detail, n, "%s", _("no such message"));
			/* The route: RFC 3848's "with ESMTPA" (ESMTPSA inside TLS)
			 * in a Received: line is written only by a server whose
			 * client logged in with AUTH, which mailsim offers only on
			 * the submission port (587).
			 * Mail typed straight into the recipient's port 25 has the
			 * message but not that line: say so, it is the lesson. */
			m.submitted = false;
			if (!ok && c->submitted && store_folder_match(w->store, id, &m) == 0)
				snprintf(detail, n, "%s",
					 _("the message is there, but it was not submitted on "
					   "port 587 with AUTH: no server logged its sender in (no "
					   "Received: line says 'with ESMTPA'); it came straight in "
					   "on port 25"));
		}
		break;
	case SCN_EXPECT_DEVICE_COUNT: {
		struct host *h = world_host(w, c->device);
		if (h && store_device_count(w->store, h->device_id, &count) == 0) {
			ok = count == c->count;
			snprintf(detail, n, _("found %lld"), (long long)count);
		}
		break;
	}
	case SCN_EXPECT_DEVICE_HAS: {
		struct host *h = world_host(w, c->device);
		struct store_match m = { .from = c->from, .to = c->to, .subject = c->subject };
		world_check_flag(c->flag, &m.flags, &m.keyword);
		if (m.keyword) {
			snprintf(detail, n, "%s",
				 _("a device keeps only the system flags, not keywords"));
			break;
		}
		ok = h && store_device_match(w->store, h->device_id, "INBOX", &m) == 0;
		snprintf(detail, n, _("no such message on %s"), c->device);
		break;
	}
	case SCN_EXPECT_REPLY:
		if (c->reply_code) {
			ok = c->reply_code >= 0 && c->reply_code < 600 &&
			     w->replies_seen[c->reply_code];
		} else {
			for (size_t k = 0; k < w->nenh_seen && !ok; k++)
				ok = strcmp(w->enh_seen[k], c->reply_enh) == 0;
		}
		snprintf(detail, n, "%s", _("no server sent it"));
		break;
	case SCN_EXPECT_QUEUE_EMPTY:
	case SCN_EXPECT_QUEUE_COUNT:
		if (store_queue_count(w->store, c->host, &count) == 0) {
			ok = count == (c->kind == SCN_EXPECT_QUEUE_EMPTY ? 0 : c->count);
			snprintf(detail, n, _("%lld queued"), (long long)count);
		}
		break;
	}
	return ok;
}

/* A quiz whose reply never came cannot be asked where the teacher meant:
 * a warning (not a failed check: the world did nothing wrong), in story
 * order. */
static void world_check_quizzes(struct world *w)
{
	for (size_t a = 0; a < w->scn->nactions; a++)
		for (size_t i = 0; i < w->nquiz_open; i++) {
			if (w->quiz_open[i] != a)
				continue;
			const struct scn_action *q = &w->scn->actions[a];
			struct buf text;
			buf_init(&text);
			buf_printf(&text,
				   _("%s:%d: warning: quiz \"%s\": no server answered %s after it"),
				   w->scn->file, q->pos.line, q->text, q->reply);
			struct trace_rec r = {
				.t_us = w->loop.now_us,
				.from = "check",
				.event = "check-warning",
				.text = text.p,
				.text_len = text.len,
				.arrive_us = w->loop.now_us,
			};
			trace_emit(&w->trace, &r);
			buf_free(&text);
		}
}

void world_check(struct world *w)
{
	world_check_quizzes(w);
	for (size_t i = 0; i < w->scn->nchecks; i++) {
		char detail[256] = "";
		bool ok = world_check_one(w, i, detail, sizeof detail);
		world_check_result(w, &w->scn->checks[i], ok, detail);
	}
}
