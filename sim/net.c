/*
 * net.c - the life cycle of a connection, the simulated link, and the
 * simulated DNS.
 *
 * A connection is opened (net_connect, or net_accept for a client from
 * outside the world), carries lines (net_send), closes one side at a time
 * (net_close), may break (net_break_*), and is freed once both sides are
 * closed and no event points at it.  How its bytes travel is its
 * transport's business (struct conn_transport in world.h): here the
 * simulated link, in sim/sock.c a real socket.
 *
 * The simulated link carries bytes between two engines as TCP would: in
 * order, after the link's latency, no faster than its bandwidth, and with
 * lost segments sent again after a retransmission timeout.  The protocols
 * above never see a loss, only the delay: the lesson of a reliable byte
 * stream.
 *
 * Every line that crosses becomes one trace record, stamped with the time it
 * was sent and the time it arrives.
 *
 * A connection that arrives is handed to the service the world's table
 * names for its port (world_service): net.c knows no service.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "world.h"

/* One piece of data (or the end of the stream) on its way. */
struct net_delivery {
	struct conn *c;
	int to_side;
	bool fin;        /* the sender closed: no bytes, just the end */
	size_t len;
	char bytes[];
};

/* Disarm a side's timer, if it is armed. */
static void net_timer_cancel(struct conn *c, int side)
{
	struct conn_timer *t = &c->timer[side];
	if (t->ev) {
		bool waiting = ev_cancel(&c->w->loop, t->ev);
		assert(waiting); /* a timer that fired has ev 0 */
		(void)waiting;
		t->ev = 0;
	}
}

struct link *net_link(struct world *w, struct host *a, struct host *b)
{
	for (size_t i = 0; i < w->nlinks; i++) {
		struct link *l = &w->links[i];
		if ((l->a == a && l->b == b) || (l->a == b && l->b == a))
			return l;
	}
	return NULL;
}

static void net_unlink(struct conn *c)
{
	struct world *w = c->w;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* A connection is freed once both ends are closed and no event still points
 * at it, unless its transport puts that off. */
void net_maybe_release(struct conn *c)
{
	if (c->open[0] || c->open[1] || c->pending > 0)
		return;
	if (c->transport->may_release && !c->transport->may_release(c))
		return;
	net_unlink(c);
	c->w->nconns--;
	/* a timer does not keep the connection alive: it goes with it */
	for (int side = 0; side < 2; side++)
		net_timer_cancel(c, side);
	for (int side = 0; side < 2; side++)
		if (c->ops[side] && c->ops[side]->release)
			c->ops[side]->release(c->ctx[side]);
	if (c->transport->release)
		c->transport->release(c);
	free(c);
}

/* One record of a connection, from `side` to the other: a line (event
 * NULL) that arrives at arrive_us, or an event at this moment. */
static void net_trace(struct conn *c, int side, const char *event, const char *note,
		      const char *text, size_t len, int64_t arrive_us)
{
	struct trace_rec r = {
		.t_us = c->w->loop.now_us,
		.from = c->host[side]->name,
		.to = c->host[!side]->name,
		.proto = c->proto,
		.dir = side == SIDE_CLIENT ? DIR_C2S : DIR_S2C,
		.event = event,
		.text = text,
		.text_len = len,
		.note = note,
		.session = c->id,
		.arrive_us = arrive_us,
		.tls = !event && c->tls, /* a line inside TLS: on the wire, a TLS record */
	};
	trace_emit(&c->w->trace, &r);
}

void net_trace_event(struct conn *c, int side, const char *event, const char *note,
		     const char *text)
{
	net_trace(c, side, event, note, text, strlen(text), c->w->loop.now_us);
}

/* Tell one side that the connection is over, once. */
static void net_notify_closed(struct conn *c, int side, const char *why)
{
	if (!c->open[side])
		return;
	c->open[side] = false;
	if (c->ops[side] && c->ops[side]->closed)
		c->ops[side]->closed(c, side, why);
}

void net_received(struct conn *c, int side, const char *p, size_t n)
{
	if (c->open[side] && c->ops[side] && c->ops[side]->data)
		c->ops[side]->data(c, side, p, n);
}

/* ------------------------------------------------------------ the simulated link */

static void net_deliver(void *arg)
{
	struct net_delivery *d = arg;
	struct conn *c = d->c;
	c->pending--;
	if (d->fin)
		net_notify_closed(c, d->to_side, N_("connection closed by peer"));
	else
		net_received(c, d->to_side, d->bytes, d->len);
	free(d);
	net_maybe_release(c);
}

/* When will `len` bytes sent now by `side` arrive?  Bandwidth serialises
 * the link direction; latency delays; each lost segment costs one
 * retransmission timeout (TCP resends it: the protocol above sees only the
 * delay). */
static int64_t net_arrival(struct conn *c, int side, size_t len, int *losses)
{
	struct world *w = c->w;
	struct link *l = c->link;
	assert(l);
	int64_t now = w->loop.now_us;
	int dir = (c->host[side] == l->a) ? 0 : 1;
	int64_t start = now > l->busy_until_us[dir] ? now : l->busy_until_us[dir];
	int64_t tx = 0;
	if (l->bandwidth_bps > 0)
		tx = (int64_t)((uint64_t)len * 8u * (uint64_t)US_PER_SEC /
			       (uint64_t)l->bandwidth_bps);
	l->busy_until_us[dir] = start + tx;
	int64_t arrive = start + tx + l->latency_us;

	*losses = 0;
	if (l->loss_ppm > 0) {
		int64_t rto = 2 * l->latency_us;
		if (rto < TCP_MIN_RTO_US)
			rto = TCP_MIN_RTO_US;
		/* at most 6 losses in a row: after that TCP gets through */
		while (*losses < 6 && world_random(w) % 1000000u < l->loss_ppm) {
			arrive += rto;
			rto *= 2; /* RFC 6298 5.5: back off the timer */
			(*losses)++;
		}
	}
	if (arrive < c->last_arrival[side])
		arrive = c->last_arrival[side]; /* in order, like TCP */
	c->last_arrival[side] = arrive;
	return arrive;
}

static void net_schedule(struct conn *c, int to_side, int64_t at, bool fin,
			 const char *p, size_t n)
{
	struct net_delivery *d = xmalloc(sizeof *d + n);
	d->c = c;
	d->to_side = to_side;
	d->fin = fin;
	d->len = n;
	if (n)
		memcpy(d->bytes, p, n);
	c->pending++;
	ev_at(&c->w->loop, at, net_deliver, d);
}

/* The simulated link as a transport: a line arrives when net_arrival says. */
static int64_t net_link_send(struct conn *c, int side, const char *p, size_t n, int *losses)
{
	int64_t at = net_arrival(c, side, n, losses);
	net_schedule(c, !side, at, false, p, n);
	return at;
}

/* The FIN follows the last data, like every other segment. */
static void net_link_closing(struct conn *c, int side)
{
	if (c->open[!side] && c->established) {
		int losses;
		int64_t at = net_arrival(c, side, 0, &losses);
		net_schedule(c, !side, at, true, NULL, 0);
	}
}

static const struct conn_transport net_link_transport = {
	.name = "link",
	.send = net_link_send,
	.closing = net_link_closing,
};

/* ------------------------------------------------------------ sending, closing */

/* One line on its way: the transport carries it (CRLF and all) and the
 * trace records it (without its CRLF), with a word if the link lost it. */
static void net_send_line(struct conn *c, int side, const char *line, size_t n,
			  const char *note)
{
	size_t textlen = n;
	if (textlen > 0 && line[textlen - 1] == '\n')
		textlen--;
	if (textlen > 0 && line[textlen - 1] == '\r')
		textlen--;
	int losses = 0;
	int64_t at = c->transport->send(c, side, line, n, &losses);
	net_trace(c, side, NULL, note, line, textlen, at);
	if (losses > 0) {
		char msg[96];
		snprintf(msg, sizeof msg,
			 P_("segment lost %d time, resent by TCP",
			    "segment lost %d times, resent by TCP", losses),
			 losses);
		net_trace_event(c, side, "loss",
				N_("TCP resends what the link lost: the mail protocol never "
				   "sees the loss, only the delay"),
				msg);
	}
}

/*
 * A tampering link (`link A B tamper "TEXT"`) is a relay in the middle that
 * rewrites what it carries: on an SMTP connection from A to B, once the
 * server has answered DATA with 354, the client's lines are the message
 * (RFC 5321 4.1.1.4), and before the "." that ends it the link slips in
 * one line of its own.  Nothing in SMTP notices; a DKIM signature over the
 * body does (its bh= no longer matches, RFC 6376 3.7).
 *
 * Called for each line before it goes; sends the added line itself when
 * `line` is the final ".".
 */
static void net_tamper(struct conn *c, int side, const char *line, size_t n)
{
	const struct link *l = c->link;
	if (!l || !l->tamper || c->proto != PROTO_SMTP || c->host[SIDE_CLIENT] != l->a)
		return;
	if (side == SIDE_SERVER) {
		if (n >= 3 && memcmp(line, "354", 3) == 0)
			c->tamper_in_body = true;
		return;
	}
	if (!c->tamper_in_body || !(n >= 2 && line[0] == '.' &&
				    (line[1] == '\r' || line[1] == '\n')))
		return;
	c->tamper_in_body = false;
	struct buf added;
	buf_init(&added);
	if (l->tamper[0] == '.')
		buf_addc(&added, '.'); /* dot-stuffing, as a client must (RFC 5321 4.5.2) */
	buf_adds(&added, l->tamper);
	buf_adds(&added, "\r\n");
	net_send_line(c, side, added.p, added.len,
		      N_("the link rewrote the message in transit: a relay on the way added "
			 "this line, which the sender never wrote; SMTP cannot tell, but a "
			 "DKIM signature over the body no longer verifies (RFC 6376 3.7)"));
	buf_free(&added);
}

void net_send(struct conn *c, int side, struct wire *out)
{
	assert(side == SIDE_CLIENT || side == SIDE_SERVER);
	const char *p = out->data.p;
	size_t len = out->data.len;
	if (!c->open[side] || len == 0) {
		wire_clear(out);
		return;
	}
	size_t off = 0;
	while (off < len) {
		const char *nl = memchr(p + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - p) + 1 : len;
		net_tamper(c, side, p + off, end - off);
		net_send_line(c, side, p + off, end - off, wire_note_at(out, off));
		off = end;
	}
	wire_clear(out);
}

/*
 * The TLS handshake after STARTTLS, simulated: no cryptography happens, but
 * from now on the connection's lines are traced with tls set, and the views
 * show them as what a wiretapper would see - opaque records.  One event
 * tells what a real handshake (TLS 1.3, RFC 8446) does in its place.
 */
void net_tls_handshake(struct conn *c)
{
	if (c->tls)
		return;
	c->tls = true;
	/* Between mail servers TLS is opportunistic (RFC 7435): a relay that
	 * refused a certificate it cannot check would deliver nothing, so it
	 * takes what it gets; a user's mail program does check it. */
	bool relay = c->host[SIDE_CLIENT]->kind == HOST_SERVER;
	net_trace_event(c, SIDE_CLIENT, "tls",
			relay ? N_("between mail servers TLS is opportunistic (RFC 7435): "
				   "the relay encrypts without checking the certificate, "
				   "which protects against a wiretapper but not against "
				   "someone who takes the server's place; both agree on a "
				   "fresh key (ECDHE), and from now on the path sees only "
				   "records and their sizes (RFC 8446)")
			      : N_("the client checks the server's certificate (its name, signed by an "
				   "authority it trusts), both agree on a fresh key by key exchange "
				   "(ECDHE), and from now on every line is encrypted: someone on the "
				   "path sees only records and their sizes (RFC 8446)"),
			_("TLS handshake"));
}

bool net_tls_simulated(const struct conn *c)
{
	return !c->transport->real_client;
}

void net_close(struct conn *c, int side)
{
	assert(side == SIDE_CLIENT || side == SIDE_SERVER);
	if (!c->open[side])
		return;
	c->open[side] = false;
	if (c->transport->closing)
		c->transport->closing(c, side);
	net_maybe_release(c);
}

void net_gone(struct conn *c, int side, const char *why)
{
	assert(why);
	if (c->open[side]) {
		c->open[side] = false;
		net_trace_event(c, side, "disconnect", NULL, _(why));
	}
	net_notify_closed(c, !side, why);
	net_maybe_release(c);
}

void net_drained(struct conn *c, int side)
{
	assert(!c->open[!side]); /* the other side closed first */
	c->open[side] = false;
	net_maybe_release(c);
}

/* ------------------------------------------------------------ connecting */

struct net_connect_ev {
	struct conn *c;
	const char *fail; /* NULL: the server accepts */
};

static void net_connect_arrive(void *arg)
{
	struct net_connect_ev *e = arg;
	struct conn *c = e->c;
	c->pending--;
	const char *fail = e->fail;
	free(e);
	if (!c->open[SIDE_CLIENT]) {
		net_maybe_release(c);
		return;
	}
	if (!fail && !c->host[SIDE_CLIENT]->up)
		fail = N_("the connecting host went down");
	else if (!fail && (!c->host[SIDE_SERVER]->up || !c->link->up))
		fail = !c->link->up ? N_("connection timed out: no route to host")
				    : N_("connection refused");
	if (fail) {
		c->open[SIDE_SERVER] = false;
		net_trace_event(c, SIDE_CLIENT, "connect-failed",
				N_("no TCP connection, no SMTP: a sending server keeps the "
				   "mail in its queue and tries again later"),
				_(fail));
		net_notify_closed(c, SIDE_CLIENT, fail);
		net_maybe_release(c);
		return;
	}
	c->established = true;
	c->open[SIDE_SERVER] = true;
	world_service(c->w, c->port)->accept(c);
	net_maybe_release(c);
}

/* A new connection, in the world's list, neither side open yet. */
static struct conn *net_conn_new(struct world *w, struct host *client, struct host *server,
				 int port, enum trace_proto proto,
				 const struct conn_transport *t, void *state)
{
	assert(t && t->send);
	struct conn *c = xcalloc(1, sizeof *c);
	c->id = ++w->next_conn_id;
	c->w = w;
	c->host[SIDE_CLIENT] = client;
	c->host[SIDE_SERVER] = server;
	c->proto = proto;
	c->port = port;
	c->transport = t;
	c->transport_state = state;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	if (++w->nconns > w->peak_conns)
		w->peak_conns = w->nconns;
	return c;
}

struct conn *net_connect(struct world *w, struct host *client, struct host *server,
			 int port, enum trace_proto proto,
			 const struct conn_ops *ops, void *ctx)
{
	struct conn *c = net_conn_new(w, client, server, port, proto, &net_link_transport, NULL);
	c->ops[SIDE_CLIENT] = ops;
	c->ctx[SIDE_CLIENT] = ctx;
	c->open[SIDE_CLIENT] = true;
	c->link = net_link(w, client, server);

	char text[160];
	snprintf(text, sizeof text, _("connect to %s port %d"), server->name, port);
	struct net_connect_ev *e = xmalloc(sizeof *e);
	e->c = c;
	e->fail = NULL;
	int64_t delay;
	if (!c->link) {
		/* No link at all: there is no way there (and nothing to trace on). */
		static struct link nowhere = { .latency_us = 0, .up = false };
		c->link = &nowhere;
		e->fail = N_("no route to host");
		delay = 0;
	} else if (!c->link->up) {
		e->fail = N_("connection timed out: no route to host");
		delay = CONNECT_TIMEOUT_US;
	} else if (!server->up) {
		/* the SYN reaches a host that answers with a reset */
		e->fail = N_("connection refused");
		delay = 2 * c->link->latency_us;
	} else {
		/* SYN, SYN-ACK, ACK: the server has the connection after one
		 * trip, and its greeting reaches the client one trip later */
		delay = c->link->latency_us;
	}
	net_trace_event(c, SIDE_CLIENT, "connect",
			port == PORT_SUBMISSION
				? N_("port 587 is submission: where user agents hand in mail "
				     "(RFC 6409)")
			: port == PORT_SMTP ? N_("port 25 is SMTP between mail servers (RFC 5321)")
					    : NULL,
			text);
	c->pending++;
	ev_after(&w->loop, delay, net_connect_arrive, e);
	return c;
}

struct conn_tls net_tls(const struct conn *c)
{
	if (c->transport->tls)
		return c->transport->tls(c);
	/* the simulated link: a server of `tls HOST` offers STARTTLS, and the
	 * handshake is net_tls_handshake's event */
	return (struct conn_tls){ .offered = c->host[SIDE_SERVER]->tls, .active = c->tls };
}

bool net_start_tls(struct conn *c, void (*started)(struct conn *c))
{
	return c->transport->start_tls && c->transport->start_tls(c, started);
}

struct conn *net_accept(struct world *w, struct host *client, struct host *server, int port,
			enum trace_proto proto, const struct conn_transport *t, void *state)
{
	assert(t != &net_link_transport); /* the link's connections come by net_connect */
	struct conn *c = net_conn_new(w, client, server, port, proto, t, state);
	c->tls = net_tls(c).active; /* an implicit-TLS port: the greeting too */
	c->open[SIDE_CLIENT] = c->open[SIDE_SERVER] = true;
	c->established = true;
	char text[160];
	snprintf(text, sizeof text, _("connect to %s port %d"), server->name, port);
	net_trace_event(c, SIDE_CLIENT, "connect", N_("a real client connected over loopback"),
			text);
	world_service(w, port)->accept(c);
	return c;
}

/* ------------------------------------------------------------ faults */

static void net_break(struct conn *c, const char *why)
{
	c->pending++; /* hold it while both sides hear the news */
	net_notify_closed(c, SIDE_CLIENT, why);
	net_notify_closed(c, SIDE_SERVER, why);
	c->pending--;
	net_maybe_release(c);
}

void net_break_link(struct world *w, struct link *l, const char *why)
{
	struct conn *c = w->conns;
	while (c) {
		struct conn *next = c->next;
		if (c->link == l && c->established)
			net_break(c, why);
		c = next;
	}
}

void net_break_host(struct world *w, struct host *h, const char *why)
{
	struct conn *c = w->conns;
	while (c) {
		struct conn *next = c->next;
		/* established or still connecting: either way it is over */
		if (c->host[0] == h || c->host[1] == h)
			net_break(c, why);
		c = next;
	}
}

void net_release_all(struct world *w)
{
	while (w->conns) {
		struct conn *c = w->conns;
		c->open[0] = c->open[1] = false;
		c->pending = 0; /* the loop has run dry: nothing points here */
		net_maybe_release(c);
	}
}

/* ------------------------------------------------------------ timers */

static void net_timer_fire(void *arg)
{
	struct conn_timer *t = arg;
	struct conn *c = t->c;
	t->ev = 0;
	c->pending++; /* hold it while fn runs */
	if (c->open[t->side])
		t->fn(c);
	c->pending--;
	net_maybe_release(c);
}

void net_timer(struct conn *c, int side, int64_t delay_us, void (*fn)(struct conn *))
{
	assert(side == SIDE_CLIENT || side == SIDE_SERVER);
	assert(fn);
	net_timer_cancel(c, side);
	struct conn_timer *t = &c->timer[side];
	t->c = c;
	t->side = side;
	t->fn = fn;
	t->ev = ev_after_bg(&c->w->loop, delay_us, net_timer_fire, t);
}

/* ------------------------------------------------------------ DNS */

struct net_dns_q {
	struct world *w;
	struct host *asker;
	enum dns_type type;
	char *name;
	struct dns_answer answer;
	void (*cb)(struct world *w, void *arg, const struct dns_answer *a);
	void *arg;
};

/* The answer reaches the asker. */
static void net_dns_deliver(void *arg)
{
	struct net_dns_q *q = arg;
	q->cb(q->w, q->arg, &q->answer);
	free(q->name);
	free(q);
}

/* What an answer teaches, by the record it holds. */
static const char *net_dns_answer_note(const struct dns_answer *a, const char *rr)
{
	if (!a->exists)
		return a->type == DNS_MX
			       ? N_("NXDOMAIN: the domain does not exist, so no server can take the mail")
			       : N_("NXDOMAIN: no such name in DNS");
	if (!rr)
		return N_("the name exists but has no record of this type: an empty answer");
	switch (a->type) {
	case DNS_MX:
		return N_("the MX record names the mail server that accepts mail for the domain");
	case DNS_A:
		return N_("the A record gives the name's IPv4 address");
	case DNS_TXT:
		break;
	}
	if (strncasecmp(rr, "v=spf1", 6) == 0)
		return N_("an SPF record (RFC 7208): the hosts allowed to send mail with this "
			  "domain in MAIL FROM");
	if (strncasecmp(rr, "v=DKIM1", 7) == 0)
		return N_("a DKIM key record (RFC 6376 3.6.1): the public key that checks "
			  "the domain's signatures");
	if (strncasecmp(rr, "v=DMARC1", 8) == 0)
		return N_("a DMARC record (RFC 7489): what the domain asks receivers to do "
			  "with mail whose From: fails SPF and DKIM");
	return N_("a TXT record: free text a domain publishes in DNS");
}

/* One answer record as a zone file writes it; a TXT record's text in
 * strings of at most 255 octets (RFC 1035 3.3), quotes and backslashes
 * escaped. */
static void net_dns_format_rr(struct buf *b, const struct dns_answer *a, const char *rr)
{
	buf_printf(b, "%s. IN %s ", a->name, world_dns_type_name(a->type));
	switch (a->type) {
	case DNS_MX:
		buf_printf(b, "10 %s.", rr);
		return;
	case DNS_A:
		buf_adds(b, rr);
		return;
	case DNS_TXT:
		break;
	}
	size_t n = strlen(rr);
	size_t i = 0;
	do {
		size_t k = n - i > SCN_TXT_STRING_MAX ? SCN_TXT_STRING_MAX : n - i;
		buf_adds(b, i ? " \"" : "\"");
		for (size_t j = i; j < i + k; j++) {
			if (rr[j] == '"' || rr[j] == '\\')
				buf_addc(b, '\\');
			buf_addc(b, rr[j]);
		}
		buf_addc(b, '"');
		i += k;
	} while (i < n);
}

/* The question reaches the resolver, which answers at once: one record of
 * the trace per answer record (or one that says there is none). */
static void net_dns_answer(void *arg)
{
	struct net_dns_q *q = arg;
	struct world *w = q->w;
	world_dns_zone(w, q->type, q->name, &q->answer);
	const struct dns_answer *a = &q->answer;
	for (int i = 0; i < (a->n ? a->n : 1); i++) {
		struct buf text;
		buf_init(&text);
		if (!a->exists)
			buf_printf(&text, "%s. NXDOMAIN", q->name);
		else if (!a->n)
			buf_printf(&text, "%s. IN %s (no record)", q->name,
				   world_dns_type_name(q->type));
		else
			net_dns_format_rr(&text, a, a->rr[i]);
		struct trace_rec r = {
			.t_us = w->loop.now_us,
			.from = "dns",
			.to = q->asker->name,
			.proto = PROTO_DNS,
			.dir = DIR_S2C,
			.text = text.p,
			.text_len = text.len,
			.note = net_dns_answer_note(a, a->n ? a->rr[i] : NULL),
			.arrive_us = w->loop.now_us + DNS_LATENCY_US,
		};
		trace_emit(&w->trace, &r);
		buf_free(&text);
	}
	ev_after(&w->loop, DNS_LATENCY_US, net_dns_deliver, q);
}

void net_dns_query(struct world *w, struct host *asker, enum dns_type type, const char *name,
		   const char *note,
		   void (*cb)(struct world *w, void *arg, const struct dns_answer *a), void *arg)
{
	assert(asker && name && cb);
	struct net_dns_q *q = xcalloc(1, sizeof *q);
	q->w = w;
	q->asker = asker;
	q->type = type;
	q->name = xstrdup(name);
	q->cb = cb;
	q->arg = arg;
	struct buf text;
	buf_init(&text);
	buf_printf(&text, "%s. IN %s ?", name, world_dns_type_name(type));
	struct trace_rec r = {
		.t_us = w->loop.now_us,
		.from = asker->name,
		.to = "dns",
		.proto = PROTO_DNS,
		.dir = DIR_C2S,
		.text = text.p,
		.text_len = text.len,
		.note = note,
		.arrive_us = w->loop.now_us + DNS_LATENCY_US,
	};
	trace_emit(&w->trace, &r);
	buf_free(&text);
	ev_after(&w->loop, DNS_LATENCY_US, net_dns_answer, q);
}

struct net_dns_mx_q {
	void (*cb)(struct world *w, void *arg, struct host *mx);
	void *arg;
};

static void net_dns_mx_answer(struct world *w, void *arg, const struct dns_answer *a)
{
	struct net_dns_mx_q q = *(struct net_dns_mx_q *)arg;
	free(arg);
	q.cb(w, q.arg, a->n ? world_host(w, a->rr[0]) : NULL);
}

void net_dns_mx(struct world *w, struct host *asker, const char *domain,
		void (*cb)(struct world *w, void *arg, struct host *mx), void *arg)
{
	assert(asker && domain && cb);
	struct net_dns_mx_q *q = xmalloc(sizeof *q);
	q->cb = cb;
	q->arg = arg;
	net_dns_query(w, asker, DNS_MX, domain,
		      N_("to relay, the server asks DNS which host takes mail for the domain (MX)"),
		      net_dns_mx_answer, q);
}
