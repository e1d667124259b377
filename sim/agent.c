/*
 * agent.c - the user agents: a device sending mail, and a raw session
 * typed line by line as a student would into telnet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
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
		world_event(a->w, a->dev->name, NULL, "send-failed",
			    "the mail client shows this error to its user: the server "
			    "refused the recipient while the user was still connected",
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
		net_close(c, side);
		agent_send_finish(a);
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
		a->rcpts[a->nrcpts++] = xstrdup(act->to[i]);
	for (size_t i = 0; i < act->ncc; i++)
		a->rcpts[a->nrcpts++] = xstrdup(act->cc[i]);
	for (size_t i = 0; i < act->nbcc; i++)
		a->rcpts[a->nrcpts++] = xstrdup(act->bcc[i]);

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
	bool in_data;         /* after 354, until "." */
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
	if (c)
		net_close(c, SIDE_CLIENT);
	world_story_next(r->w);
}

/* Type lines until one needs an answer. */
static void agent_raw_type(struct agent_raw *r, struct conn *c)
{
	while (r->next < r->act->nlines) {
		const char *line = r->act->lines[r->next++].text;
		wire_line(&r->out, NULL, "%s", line);
		if (!r->in_data)
			break; /* a command: wait for its reply */
		if (strcmp(line, ".") == 0) {
			r->in_data = false;
			break; /* the end of the data: its reply is the verdict */
		}
	}
	net_send(c, SIDE_CLIENT, &r->out);
}

static void agent_raw_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct agent_raw *r = c->ctx[side];
	buf_add(&r->in, p, n);
	for (;;) {
		int code = 0;
		size_t used = smtp_reply_complete(r->in.p, r->in.len, &code);
		if (used == 0)
			return;
		buf_consume(&r->in, used);
		if (code == 354)
			r->in_data = true;
		if (code == 221 || code == 421)
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
	buf_init(&r->in);
	wire_init(&r->out);
	net_connect(w, from, to, port, proto, &agent_raw_ops, r);
}
