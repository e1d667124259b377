/*
 * agent.c - the user agents: a device sending mail, and a raw session
 * typed line by line as a student would into telnet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

struct agent_send {
	struct world *w;
	struct host *dev;
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
			    refused ? "the mail client shows this error to its user at once: "
				      "the server refused while the user was still connected, "
				      "so there is no bounce"
				    : "the mail client could not reach its server: it shows the "
				      "error and keeps the message to send later",
			    "not sent to %s: %s", a->rcpts[i], reply ? reply : "no answer");
	}
	world_story_next(a->w);
}

static void agent_send_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct agent_send *a = c->ctx[side];
	smtp_client_feed(a->cli, p, n, &a->out);
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

void agent_send(struct world *w, const struct scn_action *act, long iteration)
{
	struct host *dev = world_host(w, act->device);
	const struct scn_user *u = dev->owner;
	char *subject = agent_expand(act->subject, iteration);
	char *body = agent_expand(act->body, iteration);

	/* The envelope: every To, Cc and Bcc.  Bcc goes only in the envelope,
	 * never in a header: that is what makes it blind. */
	struct agent_send *a = xcalloc(1, sizeof *a);
	a->w = w;
	a->dev = dev;
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
	snprintf(msgid, sizeof msgid, "<%llu.%s@%s>",
		 (unsigned long long)++w->next_message_id, dev->name,
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
		.date = WORLD_EPOCH_UNIX + w->loop.now_us / US_PER_SEC,
		.message_id = msgid,
		.user_agent = "mailsim",
	};
	struct buf msg;
	buf_init(&msg);
	mime_compose(&msg, &m);

	bool ascii = mime_is_7bit(subject, strlen(subject)) && mime_is_7bit(body, strlen(body));
	world_event(w, dev->name, NULL, "compose",
		    ascii ? "the user agent writes an RFC 5322 message: headers, an empty line, the body"
			  : "SMTP carries 7-bit ASCII: the accented subject goes as an RFC 2047 "
			    "encoded word and the body as quoted-printable UTF-8",
		    "message %s: \"%s\" to %zu recipient%s", msgid, subject, a->nrcpts,
		    a->nrcpts == 1 ? "" : "s");

	struct smtp_client_config cfg = {
		.helo_name = dev->name,
		.auth_user = u->address,
		.auth_password = u->password,
	};
	a->cli = smtp_client_new(&cfg, u->address, (const char *const *)a->rcpts, a->nrcpts,
				 msg.p, msg.len);
	buf_free(&msg);
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
				     &s.sum, uidl[0] ? uidl : NULL, 0, 0) == 0)
		world_event(a->w, a->dev->name, NULL, "downloaded",
			    "the message is now stored on the device itself: it can be read "
			    "offline, with no server",
			    "\"%s\" from %s (unique-id %s) saved on %s",
			    s.sum.subject ? s.sum.subject : "", s.sum.from ? s.sum.from : "?",
			    uidl, a->dev->name);
	else
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
			    "the mail client shows this error to its user", "%s", err);
	world_event(a->w, a->dev->name, NULL, "fetched",
		    a->keep ? "leave-on-server: the mail stays on the server too, and UIDL "
			      "tells the client next time which messages it already has"
			    : (del ? "download-and-delete: the server's copies are gone; another "
				     "device that asks now finds nothing"
				   : NULL),
		    "%zu new message%s downloaded, %zu deleted on the server", got,
		    got == 1 ? "" : "s", del);
	world_story_next(a->w);
}

static void agent_pop3_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct agent_pop3 *a = c->ctx[side];
	pop3_client_feed(a->cli, p, n, &a->out);
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

void agent_pop3_fetch(struct world *w, const struct scn_action *act)
{
	struct host *dev = world_host(w, act->device);
	struct agent_pop3 *a = xcalloc(1, sizeof *a);
	a->w = w;
	a->dev = dev;
	a->keep = act->keep;
	wire_init(&a->out);
	if (store_device_uidls(w->store, dev->device_id, &a->known, &a->nknown) != 0) {
		a->known = NULL;
		a->nknown = 0;
	}
	struct pop3_client_config cfg = {
		.user = dev->owner->address,
		.password = dev->owner->password,
		.keep = act->keep,
		.known_uidls = (const char *const *)a->known,
		.nknown = a->nknown,
	};
	a->cli = pop3_client_new(&cfg, agent_pop3_got, a);
	net_connect(w, dev, dev->server, PORT_POP3, PROTO_POP3, &agent_pop3_ops, a);
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
	size_t next;          /* next line to send */
	struct buf in;        /* what the server said, not yet a whole reply */
	struct wire out;
	enum trace_proto proto;
	const char *last;     /* the last command typed (POP3 needs it) */
	bool greeted;         /* the greeting has arrived */
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
			    NULL, "%s; %zu line%s not sent", why, r->act->nlines - r->next,
			    r->act->nlines - r->next == 1 ? "" : "s");
	world_story_next(r->w);
	if (c)
		net_close(c, SIDE_CLIENT); /* last: it may free r */
}

/* Type lines until one needs an answer. */
static void agent_raw_type(struct agent_raw *r, struct conn *c)
{
	while (r->next < r->act->nlines) {
		const char *line = r->act->lines[r->next++].text;
		wire_line(&r->out, NULL, "%s", line);
		r->last = line;
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

static void agent_raw_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct agent_raw *r = c->ctx[side];
	buf_add(&r->in, p, n);
	for (;;) {
		bool closing;
		size_t used = agent_raw_reply(r, &closing);
		if (used == 0)
			return;
		buf_consume(&r->in, used);
		r->greeted = true;
		if (closing)
			return; /* the server closes next */
		if (r->next >= r->act->nlines) {
			/* the student is done: close, as quitting telnet does */
			agent_raw_finish(r, c, "closed by the client");
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

void agent_session(struct world *w, const struct scn_action *act)
{
	struct host *from = world_host(w, act->device);
	struct host *to = world_host(w, act->server);
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
	r->proto = proto;
	buf_init(&r->in);
	wire_init(&r->out);
	net_connect(w, from, to, port, proto, &agent_raw_ops, r);
}
