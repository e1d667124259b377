/*
 * agent.c - the user agents, and raw sessions.
 *
 *   send          compose an RFC 5322 message, submit it on port 587 with
 *                 AUTH, and (for a device that reads mail with IMAP) save a
 *                 copy in Sent with APPEND
 *   pop3 fetch    download into the device's own store, deleting on the
 *                 server unless `keep`
 *   imap ...      one IMAP task from the device's view of its INBOX, or a
 *                 background IDLE session that applies what the server pushes
 *   session       lines typed one by one, as a student would into telnet
 *
 * Each task calls the agent_done_fn it was started with once it is over:
 * agent.c does not know who started it (the story, or a test).
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "imap.h"
#include "mime.h"
#include "pop3.h"
#include "smtp.h"
#include "world.h"

/* Replace every "{i}" in s with the iteration number of a `repeat`. */
static char *agent_expand(const char *s, long i)
{
	struct buf b;
	buf_init(&b);
	if (!s)
		return buf_steal(&b);
	for (const char *p = s; *p;) {
		if (p[0] == '{' && p[1] == 'i' && p[2] == '}') {
			buf_printf(&b, "%ld", i);
			p += 3;
		} else {
			buf_addc(&b, *p++);
		}
	}
	return buf_steal(&b);
}

/* ================================================================ send */

static void agent_imap_append_sent(struct world *w, struct host *dev, const char *msg, size_t len,
				   agent_done_fn done);

struct agent_send {
	struct world *w;
	struct host *dev;
	agent_done_fn done;   /* told when the message is sent (and saved) */
	struct buf msg;       /* the message, for the copy in Sent */
	struct smtp_client *cli;
	struct wire out;
	char **rcpts;
	size_t nrcpts;
	bool finished;
};

static void agent_send_finish(struct agent_send *a)
{
	if (a->finished)
		return;
	a->finished = true;
	/* A refusal at submission is shown to the user at once, by the mail
	 * client: there is no bounce, because no server took the mail. */
	for (size_t i = 0; i < a->nrcpts; i++) {
		const char *reply = NULL;
		enum smtp_rcpt_status st = smtp_client_rcpt_status(a->cli, i, &reply);
		if (st == SMTP_RCPT_DELIVERED)
			continue;
		bool refused = reply && (reply[0] == '4' || reply[0] == '5');
		world_event(a->w, a->dev->name, NULL, "send-failed",
			    refused ? N_("the mail client shows this error to its user at once: "
					 "the server refused while the user was still connected, "
					 "so there is no bounce")
				    : N_("the mail client could not reach its server: it shows the "
					 "error and keeps the message to send later"),
			    _("not sent to %s: %s"), a->rcpts[i], reply ? reply : _("no answer"));
	}
	bool sent = false;
	for (size_t i = 0; i < a->nrcpts && !sent; i++)
		sent = smtp_client_rcpt_status(a->cli, i, NULL) == SMTP_RCPT_DELIVERED;
	if (sent && a->dev->uses_imap) /* done when the copy is in Sent */
		agent_imap_append_sent(a->w, a->dev, a->msg.p, a->msg.len, a->done);
	else
		a->done(a->w);
}

static void agent_send_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct agent_send *a = c->ctx[side];
	smtp_client_feed(a->cli, p, n, &a->out);
	if (smtp_client_tls_pending(a->cli)) {
		net_tls_handshake(c);
		smtp_client_tls_started(a->cli, &a->out);
	}
	net_send(c, side, &a->out);
	if (smtp_client_done(a->cli)) {
		agent_send_finish(a);
		net_close(c, side);
	}
}

static void agent_send_on_closed(struct conn *c, int side, const char *why)
{
	struct agent_send *a = c->ctx[side];
	if (!smtp_client_done(a->cli))
		smtp_client_abort(a->cli, why);
	agent_send_finish(a);
}

static void agent_send_release(void *ctx)
{
	struct agent_send *a = ctx;
	smtp_client_free(a->cli);
	wire_free(&a->out);
	buf_free(&a->msg);
	for (size_t i = 0; i < a->nrcpts; i++)
		free(a->rcpts[i]);
	free(a->rcpts);
	free(a);
}

static const struct conn_ops agent_send_ops = {
	.data = agent_send_on_data,
	.closed = agent_send_on_closed,
	.release = agent_send_release,
};

/* One RCPT TO per address, however often it appears in To, Cc and Bcc. */
static void agent_send_add_rcpt(struct agent_send *a, const char *addr)
{
	for (size_t i = 0; i < a->nrcpts; i++)
		if (strcasecmp(a->rcpts[i], addr) == 0)
			return;
	a->rcpts[a->nrcpts++] = xstrdup(addr);
}

void agent_send(struct world *w, const struct scn_action *act, long iteration, agent_done_fn done)
{
	struct host *dev = world_host(w, act->device);
	assert(dev && dev->owner); /* the scenario names a device of a user */
	const struct scn_user *u = dev->owner;
	/* the number in the Message-ID comes from the store, so that it is
	 * never used twice, not even by another run on the same --db file */
	uint64_t k;
	if (mailserver_next_message_number(w, &k) != 0) {
		world_event(w, dev->name, NULL, "store-error", NULL,
			    _("the message cannot be numbered: %s"), store_error(w->store));
		return;
	}
	char *subject = agent_expand(act->subject, iteration);
	char *body = agent_expand(act->body, iteration);

	/* The envelope: every To, Cc and Bcc.  Bcc goes only in the envelope,
	 * never in a header: that is what makes it blind. */
	struct agent_send *a = xcalloc(1, sizeof *a);
	a->w = w;
	a->dev = dev;
	a->done = done;
	wire_init(&a->out);
	size_t n = act->nto + act->ncc + act->nbcc;
	a->rcpts = xcalloc(n ? n : 1, sizeof *a->rcpts);
	for (size_t i = 0; i < act->nto; i++)
		agent_send_add_rcpt(a, act->to[i]);
	for (size_t i = 0; i < act->ncc; i++)
		agent_send_add_rcpt(a, act->cc[i]);
	for (size_t i = 0; i < act->nbcc; i++)
		agent_send_add_rcpt(a, act->bcc[i]);

	char msgid[160];
	snprintf(msgid, sizeof msgid, "<%llu.%s@%s>", (unsigned long long)k, dev->name,
		 mime_addr_domain(u->address) ? mime_addr_domain(u->address) : dev->name);
	struct mime_compose m = {
		.from_name = u->name,
		.from_addr = u->address,
		.to = (const char *const *)act->to,
		.nto = act->nto,
		.cc = (const char *const *)act->cc,
		.ncc = act->ncc,
		.subject = subject,
		.body = body,
		.date = world_unix_now(w),
		.message_id = msgid,
		.user_agent = "mailsim",
	};
	struct buf msg;
	buf_init(&msg);
	mime_compose(&msg, &m);

	bool ascii = mime_is_7bit(subject, strlen(subject)) && mime_is_7bit(body, strlen(body));
	world_event(w, dev->name, NULL, "compose",
		    ascii ? N_("the user agent writes an RFC 5322 message: headers, an empty line, "
			       "the body")
			  : N_("SMTP carries 7-bit ASCII: the accented subject goes as an RFC 2047 "
			       "encoded word and the body as quoted-printable UTF-8"),
		    P_("message %s: \"%s\" to %zu recipient", "message %s: \"%s\" to %zu recipients",
		       a->nrcpts),
		    msgid, subject, a->nrcpts);

	struct smtp_client_config cfg = {
		.helo_name = dev->name,
		.auth_user = u->address,
		.auth_password = u->password,
		.starttls = w->tls_clients,
	};
	a->cli = smtp_client_new(&cfg, u->address, (const char *const *)a->rcpts, a->nrcpts,
				 msg.p, msg.len);
	a->msg = msg; /* kept for the copy in Sent */
	free(subject);
	free(body);
	net_connect(w, dev, dev->server, PORT_SUBMISSION, PROTO_SMTP, &agent_send_ops, a);
}

/* ================================================================ POP3 */

/*
 * "Get mail" over POP3: log in, list, download what the device does not
 * have yet, delete it on the server (unless `keep`), QUIT.  Each download
 * goes into the device's own store: after a fetch without keep, the device
 * holds the mail and the server does not.
 */
struct agent_pop3 {
	struct world *w;
	struct host *dev;
	agent_done_fn done;
	struct pop3_client *cli;
	struct wire out;
	char **known;
	size_t nknown;
	bool keep;
	bool finished;
};

static void agent_pop3_got(void *ctx, const char *uidl, const char *content, size_t len)
{
	struct agent_pop3 *a = ctx;
	struct world_summary s;
	world_summary_parse(&s, content, len);
	/* a server without UIDL gives "" as the unique-id: store none */
	if (store_device_message_add(a->w->store, a->dev->device_id, "INBOX", content, len,
				     &s.sum, uidl[0] ? uidl : NULL, 0, 0) == STORE_OK) {
		struct trace_mail tm = { .op = MAIL_ADD, .owner = a->dev->name, .device = true,
					 .folder = "INBOX", .from = s.sum.from,
					 .subject = s.sum.subject, .content = content,
					 .content_len = len };
		changes_mail(a->w, &tm, false);
		world_event(a->w, a->dev->name, NULL, "downloaded",
			    N_("the message is now stored on the device itself: it can be read "
			       "offline, with no server"),
			    _("\"%s\" from %s (unique-id %s) saved on %s"),
			    s.sum.subject ? s.sum.subject : "", s.sum.from ? s.sum.from : "?",
			    uidl, a->dev->name);
	} else
		world_event(a->w, a->dev->name, NULL, "store-error", NULL, "%s",
			    store_error(a->w->store));
	world_summary_free(&s);
}

static void agent_pop3_finish(struct agent_pop3 *a)
{
	if (a->finished)
		return;
	a->finished = true;
	const char *err = pop3_client_error(a->cli);
	size_t got = pop3_client_downloaded(a->cli), del = pop3_client_deleted(a->cli);
	if (err)
		world_event(a->w, a->dev->name, NULL, "fetch-failed",
			    N_("the mail client shows this error to its user"), "%s", err);
	world_event(a->w, a->dev->name, NULL, "fetched",
		    a->keep ? N_("leave-on-server: the mail stays on the server too, and UIDL "
				 "tells the client next time which messages it already has")
			    : (del ? N_("download-and-delete: the server's copies are gone; another "
					"device that asks now finds nothing")
				   : NULL),
		    P_("%zu new message downloaded, %zu deleted on the server",
		       "%zu new messages downloaded, %zu deleted on the server", got),
		    got, del);
	a->done(a->w);
}

static void agent_pop3_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct agent_pop3 *a = c->ctx[side];
	pop3_client_feed(a->cli, p, n, &a->out);
	if (pop3_client_tls_pending(a->cli)) {
		net_tls_handshake(c);
		pop3_client_tls_started(a->cli, &a->out);
	}
	net_send(c, side, &a->out);
	if (pop3_client_done(a->cli)) {
		agent_pop3_finish(a);
		net_close(c, side);
	}
}

static void agent_pop3_on_closed(struct conn *c, int side, const char *why)
{
	struct agent_pop3 *a = c->ctx[side];
	if (!pop3_client_done(a->cli))
		pop3_client_abort(a->cli, why);
	agent_pop3_finish(a);
}

static void agent_pop3_release(void *ctx)
{
	struct agent_pop3 *a = ctx;
	pop3_client_free(a->cli);
	wire_free(&a->out);
	store_strings_free(a->known, a->nknown);
	free(a);
}

static const struct conn_ops agent_pop3_ops = {
	.data = agent_pop3_on_data,
	.closed = agent_pop3_on_closed,
	.release = agent_pop3_release,
};

void agent_pop3_fetch(struct world *w, const struct scn_action *act, agent_done_fn done)
{
	struct host *dev = world_host(w, act->device);
	assert(dev && dev->owner);
	struct agent_pop3 *a = xcalloc(1, sizeof *a);
	a->w = w;
	a->dev = dev;
	a->done = done;
	a->keep = act->keep;
	wire_init(&a->out);
	if (store_device_uidls(w->store, dev->device_id, &a->known, &a->nknown) != STORE_OK) {
		/* the device cannot tell what it has: it takes everything again */
		world_event(w, dev->name, NULL, "store-error", NULL, "%s", store_error(w->store));
		a->known = NULL;
		a->nknown = 0;
	}
	struct pop3_client_config cfg = {
		.user = dev->owner->address,
		.password = dev->owner->password,
		.keep = act->keep,
		.known_uidls = (const char *const *)a->known,
		.nknown = a->nknown,
		.starttls = w->tls_clients,
	};
	a->cli = pop3_client_new(&cfg, agent_pop3_got, a);
	net_connect(w, dev, dev->server, PORT_POP3, PROTO_POP3, &agent_pop3_ops, a);
}

/* ================================================================ IMAP */

/*
 * The device side of IMAP.  The device keeps its own view of the INBOX in
 * its store (UIDs, flags, the messages, and the UIDVALIDITY they belong
 * to); every task starts from that view, and every change the server
 * reports is applied to it.  With `imap DEV open` a session stays in IDLE
 * in the background and applies what the server pushes, as it happens.
 */
struct agent_imap {
	struct world *w;
	struct host *dev;
	agent_done_fn done;
	const struct scn_action *act;  /* NULL for the APPEND after a send */
	struct imap_client *cli;
	struct wire out;
	struct store_message *known;   /* the device's INBOX view */
	size_t nknown;
	struct imap_known *kv;
	char *msg;                     /* APPEND content */
	bool background;               /* `open`: done once in IDLE, the session stays */
	bool done_told;                /* done was called */
	bool finished;
	struct conn *conn;
};

static void agent_imap_folder(void *ctx, const char *name, const char *special_use)
{
	struct agent_imap *a = ctx;
	uint32_t v = 0;
	if (store_device_folder_uidvalidity(a->w->store, a->dev->device_id, name, &v) != STORE_OK)
		v = 0;
	if (store_device_folder_set(a->w->store, a->dev->device_id, name, special_use, v) !=
	    STORE_OK)
		world_event(a->w, a->dev->name, NULL, "store-error", NULL, "%s",
			    store_error(a->w->store));
}

static void agent_imap_reset(void *ctx, uint32_t uidvalidity)
{
	struct agent_imap *a = ctx;
	uint32_t old = 0;
	bool had = store_device_folder_uidvalidity(a->w->store, a->dev->device_id, "INBOX", &old) ==
		   STORE_OK;
	/* the old copies and the new UIDVALIDITY together, or neither */
	bool ok = changes_begin(a->w) &&
		  store_device_folder_clear(a->w->store, a->dev->device_id, "INBOX") == STORE_OK &&
		  store_device_folder_set(a->w->store, a->dev->device_id, "INBOX", "",
					  uidvalidity) == STORE_OK;
	if (!changes_end(a->w, ok)) {
		world_event(a->w, a->dev->name, NULL, "store-error", NULL, "%s",
			    store_error(a->w->store));
		return;
	}
	struct trace_mail tm = { .op = MAIL_CLEAR, .owner = a->dev->name, .device = true,
				 .folder = "INBOX" };
	changes_mail(a->w, &tm, false);
	if (had && old && old != uidvalidity)
		world_event(a->w, a->dev->name, NULL, "uidvalidity",
			    N_("a new UIDVALIDITY means the old UIDs mean nothing now: the device "
			       "throws its copy away and downloads again"),
			    _("INBOX UIDVALIDITY changed from %u to %u"), old, uidvalidity);
}

static void agent_imap_message(void *ctx, uint32_t uid, uint32_t flags, const char *content,
			       size_t len)
{
	struct agent_imap *a = ctx;
	struct world_summary s;
	world_summary_parse(&s, content, len);
	flags &= STORE_FLAGS_SYSTEM; /* a device keeps no keywords, no \Recent */
	if (store_device_message_add(a->w->store, a->dev->device_id, "INBOX", content, len, &s.sum,
				     NULL, uid, flags) == STORE_OK) {
		struct trace_mail tm = { .op = MAIL_ADD, .owner = a->dev->name, .device = true,
					 .folder = "INBOX", .uid = uid, .flags = flags,
					 .from = s.sum.from, .subject = s.sum.subject,
					 .content = content, .content_len = len };
		changes_mail(a->w, &tm, false);
		world_event(a->w, a->dev->name, NULL, "synced",
			    N_("the device keeps a copy, but the server still has the message: "
			       "IMAP copies, it does not move"),
			    _("uid %u \"%s\" now on %s"), uid, s.sum.subject ? s.sum.subject : "",
			    a->dev->name);
	}
	world_summary_free(&s);
}

static void agent_imap_flags(void *ctx, uint32_t uid, uint32_t flags)
{
	struct agent_imap *a = ctx;
	char names[80];
	flags &= STORE_FLAGS_SYSTEM;
	if (store_device_message_set_flags(a->w->store, a->dev->device_id, "INBOX", uid,
					   flags) != STORE_OK)
		return;
	struct trace_mail tm = { .op = MAIL_FLAGS, .owner = a->dev->name, .device = true,
				 .folder = "INBOX", .uid = uid, .flags = flags };
	changes_mail(a->w, &tm, false);
	world_event(a->w, a->dev->name, NULL, "flags-synced",
			    N_("the device learned the new flags from the server: every device "
			       "shows the same state"),
			    _("uid %u on %s: %s"), uid, a->dev->name,
			    world_flag_names(flags, names, sizeof names));
}

static void agent_imap_expunged(void *ctx, uint32_t uid)
{
	struct agent_imap *a = ctx;
	if (store_device_message_delete(a->w->store, a->dev->device_id, "INBOX", uid) != STORE_OK)
		return;
	struct trace_mail tm = { .op = MAIL_REMOVE, .owner = a->dev->name, .device = true,
				 .folder = "INBOX", .uid = uid };
	changes_mail(a->w, &tm, false);
	world_event(a->w, a->dev->name, NULL, "removed",
			    N_("the message is gone from the server (an EXPUNGE, or a UID no longer "
			       "listed when the device synchronised): the device removes its copy "
			       "too"),
			    _("uid %u removed from %s"), uid, a->dev->name);
}

static const struct imap_client_events agent_imap_events = {
	.folder = agent_imap_folder,
	.reset = agent_imap_reset,
	.message = agent_imap_message,
	.flags = agent_imap_flags,
	.expunged = agent_imap_expunged,
};

static void agent_imap_done(struct agent_imap *a)
{
	if (a->done_told)
		return;
	a->done_told = true;
	a->done(a->w);
}

static void agent_imap_finish(struct agent_imap *a)
{
	if (a->finished)
		return;
	a->finished = true;
	const char *err = imap_client_error(a->cli);
	if (err)
		world_event(a->w, a->dev->name, NULL, "imap-failed",
			    N_("the mail client shows this error to its user"), "%s", err);
	if (a->dev->imap_open == a)
		a->dev->imap_open = NULL;
	agent_imap_done(a);
}

/* RFC 2177 3: leave IDLE and enter it again before the server's 30-minute
 * autologout, as real clients do. */
static void agent_imap_reidle(struct conn *c)
{
	struct agent_imap *a = c->ctx[SIDE_CLIENT];
	if (!imap_client_idling(a->cli))
		return;
	imap_client_refresh(a->cli, &a->out);
	net_send(c, SIDE_CLIENT, &a->out);
}

static void agent_imap_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct agent_imap *a = c->ctx[side];
	imap_client_feed(a->cli, p, n, &a->out);
	if (imap_client_tls_pending(a->cli)) {
		net_tls_handshake(c);
		imap_client_tls_started(a->cli, &a->out);
	}
	net_send(c, side, &a->out);
	if (imap_client_done(a->cli)) {
		agent_imap_finish(a);
		net_close(c, side);
	} else if (imap_client_idling(a->cli)) {
		net_timer(c, side, IMAP_CLIENT_REIDLE_SECONDS * US_PER_SEC, agent_imap_reidle);
		if (a->background)
			agent_imap_done(a); /* the device sits in IDLE: its starter goes on */
	}
}

static void agent_imap_on_closed(struct conn *c, int side, const char *why)
{
	struct agent_imap *a = c->ctx[side];
	if (!imap_client_done(a->cli))
		imap_client_abort(a->cli, why);
	agent_imap_finish(a);
}

static void agent_imap_release(void *ctx)
{
	struct agent_imap *a = ctx;
	if (a->dev->imap_open == a)
		a->dev->imap_open = NULL;
	imap_client_free(a->cli);
	wire_free(&a->out);
	free(a->known);
	free(a->kv);
	free(a->msg);
	free(a);
}

static const struct conn_ops agent_imap_ops = {
	.data = agent_imap_on_data,
	.closed = agent_imap_on_closed,
	.release = agent_imap_release,
};

/* Start one IMAP task for a device. */
static void agent_imap_start(struct world *w, struct host *dev, const struct scn_action *act,
			     struct imap_client_config *cfg, const char *msg, size_t msglen,
			     agent_done_fn done)
{
	struct agent_imap *a = xcalloc(1, sizeof *a);
	a->w = w;
	a->dev = dev;
	a->done = done;
	a->act = act;
	wire_init(&a->out);
	uint32_t uidvalidity = 0;
	if (store_device_folder_uidvalidity(w->store, dev->device_id, "INBOX", &uidvalidity) !=
	    STORE_OK)
		uidvalidity = 0;
	if (store_device_folder_list(w->store, dev->device_id, "INBOX", &a->known, &a->nknown) !=
	    STORE_OK) {
		/* the device cannot tell what it has: it synchronises from nothing */
		world_event(w, dev->name, NULL, "store-error", NULL, "%s", store_error(w->store));
		a->known = NULL;
		a->nknown = 0;
	}
	a->kv = xcalloc(a->nknown ? a->nknown : 1, sizeof *a->kv);
	for (size_t i = 0; i < a->nknown; i++) {
		a->kv[i].uid = a->known[i].uid;
		a->kv[i].flags = a->known[i].flags;
	}
	if (msg) {
		a->msg = xstrndup(msg, msglen);
		cfg->msg = a->msg;
		cfg->msglen = msglen;
	}
	cfg->user = dev->owner->address;
	cfg->password = dev->owner->password;
	cfg->uidvalidity = uidvalidity;
	cfg->known = a->kv;
	cfg->nknown = a->nknown;
	cfg->starttls = w->tls_clients;
	a->background = cfg->task == IMAP_TASK_OPEN;
	if (a->background)
		dev->imap_open = a;
	a->cli = imap_client_new(cfg, &agent_imap_events, a);
	a->conn = net_connect(w, dev, dev->server, PORT_IMAP, PROTO_IMAP, &agent_imap_ops, a);
}

/* The UID of message number n (1 = oldest) in the device's INBOX view. */
static bool agent_imap_uid(struct world *w, struct host *dev, long n, uint32_t *uid)
{
	struct store_message *list = NULL;
	size_t count = 0;
	bool ok = store_device_folder_list(w->store, dev->device_id, "INBOX", &list, &count) ==
		  STORE_OK && n >= 1 && (size_t)n <= count;
	if (ok)
		*uid = list[n - 1].uid;
	free(list);
	return ok;
}

void agent_imap(struct world *w, const struct scn_action *act, agent_done_fn done)
{
	struct host *dev = world_host(w, act->device);
	assert(dev && dev->owner);
	struct imap_client_config cfg;
	memset(&cfg, 0, sizeof cfg);
	switch (act->kind) {
	case SCN_IMAP_SYNC:
		cfg.task = IMAP_TASK_SYNC;
		break;
	case SCN_IMAP_OPEN:
		if (dev->imap_open) {
			world_event(w, dev->name, NULL, "imap-open", NULL,
				    _("%s already has a session open"), dev->name);
			done(w);
			return;
		}
		cfg.task = IMAP_TASK_OPEN;
		break;
	case SCN_IMAP_CLOSE: {
		struct agent_imap *a = dev->imap_open;
		if (!a || !a->conn) {
			world_event(w, dev->name, NULL, "imap-close", NULL,
				    _("%s has no open session to close"), dev->name);
			done(w);
			return;
		}
		/* whoever asked for the close waits for this session's end now */
		a->done = done;
		a->done_told = false;
		a->background = false;
		imap_client_close(a->cli, &a->out);
		net_send(a->conn, SIDE_CLIENT, &a->out);
		return;
	}
	case SCN_IMAP_READ:
	case SCN_IMAP_FLAG:
	case SCN_IMAP_MOVE:
	case SCN_IMAP_DELETE:
		if (!agent_imap_uid(w, dev, act->msgno, &cfg.uid)) {
			world_event(w, dev->name, NULL, "imap-error",
				    N_("message numbers count the messages the device knows in its "
				       "INBOX (sync first)"),
				    _("%s knows no message %ld in its INBOX"), dev->name, act->msgno);
			done(w);
			return;
		}
		if (act->kind == SCN_IMAP_READ) {
			cfg.task = IMAP_TASK_STORE;
			cfg.flag = "\\Seen";
			cfg.add = true;
		} else if (act->kind == SCN_IMAP_FLAG) {
			cfg.task = IMAP_TASK_STORE;
			cfg.flag = act->flag;
			cfg.add = true;
		} else if (act->kind == SCN_IMAP_MOVE) {
			cfg.task = IMAP_TASK_MOVE;
			cfg.folder = act->folder;
		} else {
			cfg.task = IMAP_TASK_DELETE;
		}
		break;
	case SCN_IMAP_CREATE:
		cfg.task = IMAP_TASK_CREATE;
		cfg.folder = act->folder;
		break;
	default:
		done(w);
		return;
	}
	agent_imap_start(w, dev, act, &cfg, NULL, 0, done);
}

/* A device that reads mail with IMAP keeps a copy of what it sends in the
 * Sent folder on the server: the user agent APPENDs it after submission. */
static void agent_imap_append_sent(struct world *w, struct host *dev, const char *msg, size_t len,
				   agent_done_fn done)
{
	struct imap_client_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.task = IMAP_TASK_APPEND;
	cfg.folder = "Sent";
	agent_imap_start(w, dev, NULL, &cfg, msg, len, done);
}

/* ================================================================ raw */

/*
 * A raw session sends each `>` line after the reply to the previous one has
 * arrived, as a person at a telnet prompt would.  After "354" the lines are
 * message content, which gets no reply: they go one after the other until
 * the line ".".
 */
struct agent_raw {
	struct world *w;
	const struct scn_action *act;
	agent_done_fn done;
	size_t next;          /* next line to send */
	struct buf in;        /* what the server said, not yet a whole reply */
	struct wire out;
	enum trace_proto proto;
	const char *last;     /* the last command typed (POP3 needs it) */
	bool greeted;         /* the greeting has arrived */
	char tag[65];         /* IMAP: the tag of the command under way */
	uint64_t literal_left; /* IMAP: octets of a literal still to type */
	bool in_data;         /* SMTP: after 354, until "." */
	bool finished;
};

static void agent_raw_finish(struct agent_raw *r, struct conn *c, const char *why)
{
	if (r->finished)
		return;
	r->finished = true;
	if (r->next < r->act->nlines)
		world_event(r->w, r->act->device, r->act->server, "session-ended",
			    NULL,
			    P_("%s; %zu line not sent", "%s; %zu lines not sent",
			       r->act->nlines - r->next),
			    _(why), r->act->nlines - r->next);
	r->done(r->w);
	if (c)
		net_close(c, SIDE_CLIENT); /* last: it may free r */
}

/* An IMAP line that ends with a literal's announcement "{n}" or "{n+}":
 * its size, and whether the client may go on without waiting for "+". */
static bool agent_raw_literal(const char *line, uint64_t *n, bool *nonsync)
{
	size_t len = strlen(line);
	if (len < 3 || line[len - 1] != '}')
		return false;
	size_t i = len - 1;
	*nonsync = line[i - 1] == '+';
	if (*nonsync)
		i--;
	size_t end = i;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == 0 || i == end || line[i - 1] != '{' || end - i > 18)
		return false;
	*n = strtoull(line + i, NULL, 10);
	return true;
}

/* Type lines until one needs an answer. */
static void agent_raw_type(struct agent_raw *r, struct conn *c)
{
	while (r->next < r->act->nlines) {
		const char *line = r->act->lines[r->next++].text;
		wire_line(&r->out, NULL, "%s", line);
		r->last = line;
		if (r->proto == PROTO_IMAP) {
			/* inside a literal, lines are its octets: no answer comes */
			uint64_t size = strlen(line) + 2;
			if (r->literal_left > 0) {
				if (r->literal_left > size) {
					r->literal_left -= size;
					continue;
				}
				/* the literal ends in this line: the rest is the
				 * command's tail, typed on the next line */
				bool exact = r->literal_left == size;
				r->literal_left = 0;
				if (exact)
					continue;
			} else if (!r->tag[0] || r->tag[0] == '\0') {
				sscanf(line, "%64s", r->tag);
			}
			uint64_t n;
			bool nonsync;
			if (agent_raw_literal(line, &n, &nonsync)) {
				r->literal_left = n;
				if (nonsync)
					continue; /* LITERAL+: no "+" to wait for */
				break;            /* wait for "+" */
			}
			break; /* the command is complete: wait for its tagged answer */
		}
		if (!r->in_data)
			break; /* a command: wait for its reply */
		if (strcmp(line, ".") == 0) {
			r->in_data = false;
			break; /* the end of the data: its reply is the verdict */
		}
	}
	net_send(c, SIDE_CLIENT, &r->out);
}

/* The bytes of `in` that make up one complete reply, or 0; *closing is
 * set when the reply announces that the server closes. */
static size_t agent_raw_reply(struct agent_raw *r, bool *closing)
{
	*closing = false;
	if (r->proto == PROTO_IMAP) {
		/* done when the tagged answer to the command arrives (or "+",
		 * the go-ahead for a literal) */
		char verb[16] = "";
		if (r->greeted && r->last)
			sscanf(r->last, "%*s %15s", verb);
		size_t used = imap_response_complete(r->greeted && r->tag[0] ? r->tag : NULL,
						     r->in.p, r->in.len);
		if (!used)
			return 0;
		/* the last line of the response: "+ ..." asks for the literal;
		 * anything else is the tagged end of the command */
		size_t start = used - 1;
		while (start > 0 && r->in.p[start - 1] != '\n')
			start--;
		if (r->in.p[start] == '+' && r->literal_left > 0)
			return used;
		r->literal_left = 0;
		if (strcasecmp(verb, "LOGOUT") == 0)
			*closing = true;
		r->tag[0] = '\0'; /* the next line starts a new command */
		return used;
	}
	if (r->proto == PROTO_POP3) {
		size_t used = pop3_response_complete(r->greeted ? r->last : NULL, r->in.p, r->in.len);
		if (used && r->last && strncasecmp(r->last, "QUIT", 4) == 0 &&
		    (r->last[4] == '\0' || r->last[4] == ' '))
			*closing = true;
		return used;
	}
	int code = 0;
	size_t used = smtp_reply_complete(r->in.p, r->in.len, &code);
	if (used && code == 354)
		r->in_data = true;
	if (used && (code == 221 || code == 421))
		*closing = true;
	return used;
}

/* Did the student type STARTTLS (POP3: STLS), and is this complete reply
 * the server's go-ahead ("220", "+OK", the tagged "OK")?  Then a real
 * client would do the TLS handshake now. */
static bool agent_raw_tls_go_ahead(const struct agent_raw *r, const char *reply, size_t n)
{
	if (!r->greeted || !r->last)
		return false;
	const char *verb = r->last;
	if (r->proto == PROTO_IMAP) { /* after the tag */
		verb += strcspn(verb, " ");
		verb += strspn(verb, " ");
	}
	const char *want = r->proto == PROTO_POP3 ? "STLS" : "STARTTLS";
	size_t nwant = strlen(want);
	if (strncasecmp(verb, want, nwant) != 0 || (verb[nwant] != '\0' && verb[nwant] != ' '))
		return false;
	/* the last line of the reply decides */
	size_t end = n;
	while (end > 0 && (reply[end - 1] == '\n' || reply[end - 1] == '\r'))
		end--;
	size_t start = end;
	while (start > 0 && reply[start - 1] != '\n')
		start--;
	const char *code = r->proto == PROTO_SMTP ? "220" : r->proto == PROTO_POP3 ? "+OK" : "OK";
	return trace_reply_is(r->proto, reply + start, end - start, code);
}

static void agent_raw_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct agent_raw *r = c->ctx[side];
	buf_add(&r->in, p, n);
	for (;;) {
		bool closing;
		size_t used = agent_raw_reply(r, &closing);
		if (used == 0)
			return;
		bool tls = agent_raw_tls_go_ahead(r, r->in.p, used);
		buf_consume(&r->in, used);
		if (tls) {
			net_tls_handshake(c);
			buf_clear(&r->in); /* what came with the go-ahead is not read */
		}
		r->greeted = true;
		if (closing)
			return; /* the server closes next */
		if (r->next >= r->act->nlines) {
			/* the student is done: close, as quitting telnet does */
			agent_raw_finish(r, c, N_("closed by the client"));
			return;
		}
		agent_raw_type(r, c);
	}
}

static void agent_raw_on_closed(struct conn *c, int side, const char *why)
{
	struct agent_raw *r = c->ctx[side];
	agent_raw_finish(r, NULL, why);
	(void)c;
}

static void agent_raw_release(void *ctx)
{
	struct agent_raw *r = ctx;
	buf_free(&r->in);
	wire_free(&r->out);
	free(r);
}

static const struct conn_ops agent_raw_ops = {
	.data = agent_raw_on_data,
	.closed = agent_raw_on_closed,
	.release = agent_raw_release,
};

void agent_session(struct world *w, const struct scn_action *act, agent_done_fn done)
{
	struct host *from = world_host(w, act->device);
	struct host *to = world_host(w, act->server);
	assert(from && to); /* the scenario checked the names */
	int port = PORT_SMTP;
	enum trace_proto proto = PROTO_SMTP;
	switch (act->port) {
	case SCN_PORT_SMTP:
		port = PORT_SMTP;
		break;
	case SCN_PORT_SUBMISSION:
		port = PORT_SUBMISSION;
		break;
	case SCN_PORT_POP3:
		port = PORT_POP3;
		proto = PROTO_POP3;
		break;
	case SCN_PORT_IMAP:
		port = PORT_IMAP;
		proto = PROTO_IMAP;
		break;
	}
	struct agent_raw *r = xcalloc(1, sizeof *r);
	r->w = w;
	r->act = act;
	r->done = done;
	r->proto = proto;
	buf_init(&r->in);
	wire_init(&r->out);
	net_connect(w, from, to, port, proto, &agent_raw_ops, r);
}
