/*
 * sock.c - the socket transport: a connection whose client is a real
 * program on a TCP socket (live mode).  net.c keeps the connection's life
 * cycle, as for a simulated one; this file keeps what only a socket has:
 *
 *   sock_accept        the connection, with a host standing for the
 *                      client's address, established at once
 *   sock_read          the client's bytes: whole lines to the trace (the
 *                      partial line waits in rline), all to the server
 *   sock_send          the server's lines go to the write buffer at once
 *                      (or late: serve --faults slow=DUR)
 *   sock_flush         the write buffer to the socket; hang up after a
 *                      closed server side has been written out
 *   sock_may_release,  freeing put off while the live loop holds
 *   sock_reap          connection pointers (zombie)
 *   sock_start_tls,    TLS (sim/tls.c): the handshake, then the same
 *   sock_handshake     bytes through tls_read/tls_write instead of
 *                      recv/send
 *
 * The poll loop that calls sock_read and sock_flush is sim/live.c.
 */
#include "sock.h"
#include "i18n.h"
#include "tls.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SOCK_READ_OCTETS 16384
#define SOCK_LINE_MAX_OCTETS 65536 /* a partial line kept for the trace */

static int64_t sock_send(struct conn *c, int side, const char *p, size_t n, int *losses);
static bool sock_may_release(struct conn *c);
static void sock_release(struct conn *c);

static struct conn_tls sock_tls(const struct conn *c);
static bool sock_start_tls(struct conn *c, void (*started)(struct conn *c));

static const struct conn_transport sock_transport = {
	.name = "socket",
	.real_client = true,
	.send = sock_send,
	/* no .closing: a closed server side closes nothing yet, sock_flush
	 * hangs up once the last bytes are out */
	.may_release = sock_may_release,
	.release = sock_release,
	.tls = sock_tls,
	.start_tls = sock_start_tls,
};

struct sock *sock_of(const struct conn *c)
{
	return c->transport == &sock_transport ? c->transport_state : NULL;
}

/* ------------------------------------------------------------ sending */

/* An injected fault (serve --faults slow=DUR): the reply reaches the real
 * client late, as over a slow link. */
struct sock_slow {
	struct conn *c;
	size_t len;
	char bytes[];
};

static void sock_slow_fire(void *arg)
{
	struct sock_slow *d = arg;
	struct conn *c = d->c;
	c->pending--;
	if (c->open[SIDE_CLIENT])
		buf_add(&sock_of(c)->wbuf, d->bytes, d->len);
	free(d);
	net_maybe_release(c);
}

static void sock_slow(struct conn *c, const char *p, size_t n)
{
	struct sock_slow *d = xmalloc(sizeof *d + n);
	d->c = c;
	d->len = n;
	memcpy(d->bytes, p, n);
	c->pending++;
	ev_after(&c->w->loop, c->w->faults.slow_us, sock_slow_fire, d);
}

/* The client is a real program: the bytes go to its socket at once (the
 * live loop writes them out); the trace says they arrive now. */
static int64_t sock_send(struct conn *c, int side, const char *p, size_t n, int *losses)
{
	/* only the server side is an engine here: the client writes to its
	 * own end of the socket */
	assert(side == SIDE_SERVER);
	(void)side;
	*losses = 0;
	if (c->w->faults.slow_us)
		sock_slow(c, p, n);
	else
		buf_add(&sock_of(c)->wbuf, p, n);
	return c->w->loop.now_us;
}

static void sock_handshake(struct conn *c);

/* Write some of the buffer: how many bytes went, 0 if the socket takes
 * no more now, -1 if the client is gone (said in the trace). */
static ssize_t sock_write_some(struct conn *c)
{
	struct sock *s = sock_of(c);
	if (s->tls_state == SOCK_TLS_ON) {
		enum tls_want want;
		char why[200];
		ssize_t n = tls_write(s->tls, s->wbuf.p, s->wbuf.len, &want, why, sizeof why);
		if (n > 0)
			return n;
		if (want != TLS_WANT_NOTHING) {
			s->tls_want = want;
			return 0;
		}
		buf_clear(&s->wbuf);
		net_gone(c, SIDE_CLIENT, N_("connection reset by the client"));
		return -1;
	}
	ssize_t n = send(s->fd, s->wbuf.p, s->wbuf.len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	buf_clear(&s->wbuf);
	net_gone(c, SIDE_CLIENT, N_("connection reset by the client"));
	return -1;
}

void sock_flush(struct conn *c)
{
	struct sock *s = sock_of(c);
	assert(s && c->w->live_busy); /* c outlives what the flush sets off */
	if (s->tls_state == SOCK_TLS_HANDSHAKE) {
		sock_handshake(c);
		if (s->tls_state != SOCK_TLS_ON || s->zombie || !c->open[SIDE_CLIENT])
			return;
	}
	if (s->tls_read_wants_write) { /* a TLS read waited for this */
		s->tls_read_wants_write = false;
		sock_read(c);
		if (s->zombie || !c->open[SIDE_CLIENT])
			return;
	}
	s->tls_want = TLS_WANT_NOTHING;
	while (s->wbuf.len > 0) {
		ssize_t n = sock_write_some(c);
		if (n <= 0)
			return;
		buf_consume(&s->wbuf, (size_t)n);
	}
	/* STARTTLS: the go-ahead is out, in plaintext (a late one too); now
	 * the handshake */
	if (s->tls_state == SOCK_TLS_FLUSHING && c->open[SIDE_SERVER] && c->pending == 0) {
		s->tls = tls_session_new(s->tls_server, s->fd);
		s->tls_state = SOCK_TLS_HANDSHAKE;
		s->tls_want = TLS_WANT_READ; /* the client speaks first */
		return;
	}
	/* a closed server side, everything written (late replies too): hang up */
	if (!c->open[SIDE_SERVER] && c->open[SIDE_CLIENT] && c->pending == 0)
		net_drained(c, SIDE_CLIENT);
}

/* ------------------------------------------------------------ TLS */

static struct conn_tls sock_tls(const struct conn *c)
{
	const struct sock *s = sock_of(c);
	return (struct conn_tls){
		.offered = s->tls_server != NULL,
		.active = s->tls_state == SOCK_TLS_ON || s->tls_state == SOCK_TLS_HANDSHAKE,
		.plaintext_auth = s->plaintext_auth,
	};
}

/* Switch the connection to TLS (STARTTLS): what is in the write buffer
 * (the engine's go-ahead) goes out in plaintext, nothing more is read
 * until the handshake, then started(c) (the engine's *_tls_started). */
static bool sock_start_tls(struct conn *c, void (*started)(struct conn *c))
{
	struct sock *s = sock_of(c);
	if (!s->tls_server)
		return false;
	if (s->tls_state != SOCK_PLAIN)
		return true; /* under way already */
	s->tls_state = SOCK_TLS_FLUSHING;
	s->tls_started = started;
	/* RFC 3207 4.2: what the client sent after STARTTLS, before the
	 * handshake, is not part of the new session (CVE-2011-0411); the
	 * engine dropped it, and a partial line goes too */
	buf_clear(&s->rline);
	return true;
}

/* Go on with the handshake; once it is over, the held greeting (implicit
 * TLS) or the engine's new state (STARTTLS) follows. */
static void sock_handshake(struct conn *c)
{
	struct sock *s = sock_of(c);
	enum tls_want want;
	char why[200];
	int r = tls_handshake(s->tls, &want, why, sizeof why);
	if (r == 0) {
		s->tls_want = want;
		return;
	}
	char text[320];
	if (r < 0) {
		/* TRANSLATORS: %s is OpenSSL's reason, in English */
		snprintf(text, sizeof text, _("TLS handshake failed: %s"), why);
		net_trace_event(c, SIDE_CLIENT, "tls-failed",
				N_("the client did not complete a TLS handshake (it spoke plaintext to a "
				   "TLS port, did not trust the certificate, or hung up): "
				   "only this connection is closed"),
				text);
		buf_clear(&s->wbuf);
		net_gone(c, SIDE_CLIENT, N_("the TLS handshake failed"));
		return;
	}
	s->tls_state = SOCK_TLS_ON;
	s->tls_want = TLS_WANT_NOTHING;
	c->tls = true; /* the trace marks every line from here on */
	char how[160];
	tls_describe(s->tls, how, sizeof how);
	/* TRANSLATORS: %s is the TLS version and cipher, "TLSv1.3 TLS_AES_256_GCM_SHA384" */
	snprintf(text, sizeof text, _("TLS started: %s"), how);
	net_trace_event(c, SIDE_CLIENT, "tls",
			N_("from here on the connection is encrypted: someone watching the wire "
			   "sees only TLS records, not the commands, the password or the mail"),
			text);
	if (s->tls_started)
		s->tls_started(c);
}

/* ------------------------------------------------------------ receiving */

/* The client's bytes: the trace records whole lines, as for a simulated
 * client; the server's engine gets them as they came. */
static void sock_received(struct conn *c, const char *p, size_t n)
{
	struct sock *s = sock_of(c);
	buf_add(&s->rline, p, n);
	size_t start = 0;
	for (;;) {
		const char *nl = memchr(s->rline.p + start, '\n', s->rline.len - start);
		if (!nl)
			break;
		size_t end = (size_t)(nl - s->rline.p);
		size_t textlen = end - start;
		if (textlen && s->rline.p[start + textlen - 1] == '\r')
			textlen--;
		struct trace_rec r = {
			.t_us = c->w->loop.now_us,
			.from = c->host[SIDE_CLIENT]->name,
			.to = c->host[SIDE_SERVER]->name,
			.proto = c->proto,
			.dir = DIR_C2S,
			.text = s->rline.p + start,
			.text_len = textlen,
			.session = c->id,
			.arrive_us = c->w->loop.now_us,
			.tls = c->tls,
		};
		trace_emit(&c->w->trace, &r);
		start = end + 1;
	}
	buf_consume(&s->rline, start);
	/* a client that never ends its line is not kept in memory for ever:
	 * the engine has already refused the line as too long */
	if (s->rline.len > SOCK_LINE_MAX_OCTETS)
		buf_clear(&s->rline);
	net_received(c, SIDE_SERVER, p, n);
}

/* Read one chunk: > 0 bytes, 0 the client closed, -1 nothing now (or
 * the client is gone: net_gone was called). */
static ssize_t sock_read_some(struct conn *c, char *p, size_t n)
{
	struct sock *s = sock_of(c);
	if (s->tls_state == SOCK_TLS_ON) {
		enum tls_want want;
		char why[200];
		ssize_t got = tls_read(s->tls, p, n, &want, why, sizeof why);
		if (got >= 0)
			return got;
		if (want == TLS_WANT_WRITE)
			s->tls_read_wants_write = true;
		else if (want == TLS_WANT_NOTHING)
			net_gone(c, SIDE_CLIENT, N_("connection reset by the client"));
		return -1;
	}
	ssize_t got = recv(s->fd, p, n, 0);
	if (got >= 0)
		return got;
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		net_gone(c, SIDE_CLIENT, N_("connection reset by the client"));
	return -1;
}

void sock_read(struct conn *c)
{
	struct sock *s = sock_of(c);
	assert(s && c->w->live_busy); /* c outlives what the bytes set off */
	if (s->tls_state == SOCK_TLS_HANDSHAKE) {
		sock_handshake(c);
		if (s->tls_state != SOCK_TLS_ON || s->zombie || !c->open[SIDE_CLIENT])
			return;
		if (s->wbuf.len) /* the greeting, held back for the handshake */
			sock_flush(c);
		if (s->zombie || !c->open[SIDE_CLIENT])
			return;
	}
	if (s->tls_state == SOCK_TLS_FLUSHING)
		return; /* the next bytes are the client's TLS hello: not for the engine */
	char bytes[SOCK_READ_OCTETS];
	for (;;) {
		ssize_t n = sock_read_some(c, bytes, sizeof bytes);
		if (n > 0) {
			sock_received(c, bytes, (size_t)n);
			if (!c->open[SIDE_CLIENT] || !c->open[SIDE_SERVER])
				return;
			/* STARTTLS: whatever else is in the socket waits for the
			 * handshake */
			if (s->tls_state == SOCK_TLS_FLUSHING)
				return;
			continue;
		}
		if (n == 0)
			net_gone(c, SIDE_CLIENT, N_("connection closed by the client"));
		return;
	}
}

short sock_poll_events(const struct conn *c)
{
	const struct sock *s = sock_of(c);
	switch (s->tls_state) {
	case SOCK_TLS_HANDSHAKE:
		return s->tls_want == TLS_WANT_WRITE ? POLLOUT : POLLIN;
	case SOCK_TLS_FLUSHING: /* empty while a late reply (--faults slow) is due */
		return s->wbuf.len ? POLLOUT : 0;
	case SOCK_TLS_ON:
	case SOCK_PLAIN:
		break;
	}
	short ev = c->open[SIDE_SERVER] && !s->tls_read_wants_write ? POLLIN : 0;
	if (s->wbuf.len || s->tls_read_wants_write)
		ev |= POLLOUT;
	if (s->tls_want == TLS_WANT_READ) /* a TLS write waits for the client */
		ev = (short)((ev & ~POLLOUT) | POLLIN);
	return ev;
}

/* ------------------------------------------------------------ the life cycle */

struct conn *sock_accept(struct world *w, const char *peer, struct host *server, int port,
			 enum trace_proto proto, int fd, const struct sock_tls_config *tls)
{
	assert(fd >= 0 && (!tls || tls->server || !tls->implicit));
	struct sock *s = xcalloc(1, sizeof *s);
	s->fd = fd;
	s->tls_server = tls ? tls->server : NULL;
	s->plaintext_auth = tls && tls->plaintext_auth;
	s->tls_state = SOCK_PLAIN;
	s->tls_want = TLS_WANT_NOTHING;
	if (tls && tls->implicit) {
		/* RFC 8314 3.3: TLS from the first byte; the engine's greeting
		 * waits in wbuf for the handshake */
		s->tls = tls_session_new(tls->server, fd);
		s->tls_state = SOCK_TLS_HANDSHAKE;
		s->tls_want = TLS_WANT_READ;
	}
	buf_init(&s->wbuf);
	buf_init(&s->rline);
	s->peer.name = xstrdup(peer);
	s->peer.kind = HOST_DEVICE;
	s->peer.up = true;
	return net_accept(w, &s->peer, server, port, proto, &sock_transport, s);
}

static bool sock_may_release(struct conn *c)
{
	if (!c->w->live_busy)
		return true;
	sock_of(c)->zombie = true; /* the live loop frees it when it is done with it */
	return false;
}

static void sock_release(struct conn *c)
{
	struct sock *s = sock_of(c);
	tls_session_free(s->tls); /* a close_notify, if the session was up */
	if (s->fd >= 0)
		close(s->fd);
	buf_free(&s->wbuf);
	buf_free(&s->rline);
	free(s->peer.name);
	free(s);
}

void sock_reap(struct world *w)
{
	assert(!w->live_busy);
	struct conn *c = w->conns;
	while (c) {
		struct conn *next = c->next;
		struct sock *s = sock_of(c);
		if (s && s->zombie) {
			s->zombie = false;
			net_maybe_release(c);
		}
		c = next;
	}
}
