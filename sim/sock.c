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
 *
 * The poll loop that calls sock_read and sock_flush is sim/live.c.
 */
#include "sock.h"
#include "i18n.h"

#include <assert.h>
#include <errno.h>
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

static const struct conn_transport sock_transport = {
	.name = "socket",
	.real_client = true,
	.send = sock_send,
	/* no .closing: a closed server side closes nothing yet, sock_flush
	 * hangs up once the last bytes are out */
	.may_release = sock_may_release,
	.release = sock_release,
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

void sock_flush(struct conn *c)
{
	struct sock *s = sock_of(c);
	assert(s && c->w->live_busy); /* c outlives what the flush sets off */
	while (s->wbuf.len > 0) {
		ssize_t n = send(s->fd, s->wbuf.p, s->wbuf.len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			buf_clear(&s->wbuf);
			net_gone(c, SIDE_CLIENT, N_("connection reset by the client"));
			return;
		}
		buf_consume(&s->wbuf, (size_t)n);
	}
	/* a closed server side, everything written (late replies too): hang up */
	if (!c->open[SIDE_SERVER] && c->open[SIDE_CLIENT] && c->pending == 0)
		net_drained(c, SIDE_CLIENT);
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

void sock_read(struct conn *c)
{
	struct sock *s = sock_of(c);
	assert(s && c->w->live_busy); /* c outlives what the bytes set off */
	char bytes[SOCK_READ_OCTETS];
	for (;;) {
		ssize_t n = recv(s->fd, bytes, sizeof bytes, 0);
		if (n > 0) {
			sock_received(c, bytes, (size_t)n);
			if (!c->open[SIDE_CLIENT] || !c->open[SIDE_SERVER])
				return;
			continue;
		}
		if (n == 0) {
			net_gone(c, SIDE_CLIENT, N_("connection closed by the client"));
			return;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			net_gone(c, SIDE_CLIENT, N_("connection reset by the client"));
		return;
	}
}

/* ------------------------------------------------------------ the life cycle */

struct conn *sock_accept(struct world *w, const char *peer, struct host *server, int port,
			 enum trace_proto proto, int fd)
{
	assert(fd >= 0);
	struct sock *s = xcalloc(1, sizeof *s);
	s->fd = fd;
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
