/*
 * live.c - live mode: the world on a real clock, its servers on real TCP
 * sockets (loopback unless told otherwise), for telnet, nc, curl, Python's
 * smtplib/poplib/imaplib, a mail client, or a student's own program.
 *
 * One poll() loop, non-blocking sockets, no threads.  The same engines and
 * the same mail-server code as the simulation serve the sockets: a
 * connection from a real client is a struct conn whose transport is the
 * socket (sim/sock.c, which reads and writes it when this loop says so).
 * Every server listens for each service of the world's table.  Relay
 * between the world's servers still travels over the simulated links, now
 * timed by the real clock.
 *
 * Every reply that promises something (250 after DATA, +OK after QUIT,
 * OK after STORE/EXPUNGE/APPEND) is written only after the store
 * committed, so with --db a kill at any moment loses nothing acknowledged.
 */
#define _GNU_SOURCE 1 /* accept4 */
#include "live.h"
#include "sock.h"
#include "i18n.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LIVE_BACKLOG 1024          /* 500 clients at once must all be greeted */
#define LIVE_POLL_MAX_MS 1000

static volatile sig_atomic_t live_stop;

static void live_on_signal(int sig)
{
	(void)sig;
	live_stop = 1;
}

struct live_listener {
	int fd;
	struct host *server;
	int port;                  /* the logical port: 25, 587, 110, 143 */
	int real_port;             /* the socket's */
	enum trace_proto proto;
};

/* The first server's real port for a service of the world's table (the
 * options name one per service; the next server's are one above). */
static int live_base_port(const struct live_options *o, const struct service *svc)
{
	switch (svc->port) {
	case PORT_SUBMISSION:
		return o->submission_port;
	case PORT_POP3:
		return o->pop3_port;
	case PORT_IMAP:
		return o->imap_port;
	default:
		return o->smtp_port;
	}
}

static int64_t live_clock_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

static int live_listen(const char *bind_addr, int port, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
		snprintf(err, errlen, _("'%s' is not an IPv4 address"), bind_addr);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, LIVE_BACKLOG) < 0) {
		snprintf(err, errlen, _("cannot listen on %s:%d: %s"), bind_addr, port,
			 strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Refuse a connection over the caps, in the protocol's own words. */
static void live_refuse(int fd, int port, const char *host)
{
	char line[200];
	int n;
	if (port == PORT_POP3)
		n = snprintf(line, sizeof line, "-ERR [SYS/TEMP] %s: too many connections, try later\r\n", host);
	else if (port == PORT_IMAP)
		n = snprintf(line, sizeof line, "* BYE %s: too many connections, try later\r\n", host);
	else
		n = snprintf(line, sizeof line, "421 4.7.0 %s Too many connections, try later\r\n", host);
	ssize_t w = write(fd, line, (size_t)n);
	(void)w;
	close(fd);
}

static size_t live_count_peer(struct world *w, const char *ip)
{
	size_t n = 0, len = strlen(ip);
	for (struct conn *c = w->conns; c; c = c->next) {
		struct sock *s = sock_of(c);
		if (s && strncmp(s->peer.name, ip, len) == 0 && s->peer.name[len] == ':')
			n++;
	}
	return n;
}

static size_t live_count(struct world *w)
{
	size_t n = 0;
	for (struct conn *c = w->conns; c; c = c->next)
		n += sock_of(c) != NULL;
	return n;
}

static void live_accept(struct world *w, struct live_listener *l, const struct live_options *o)
{
	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof peer;
		int fd = accept4(l->fd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN: all taken; anything else: try at the next poll */
		char ip[INET_ADDRSTRLEN] = "?";
		inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
		char name[64];
		snprintf(name, sizeof name, "%s:%u", ip, (unsigned)ntohs(peer.sin_port));
		if (live_count(w) >= (size_t)o->max_conns || live_count_peer(w, ip) >= (size_t)o->max_per_addr) {
			world_event(w, l->server->name, name, "refused",
				    N_("a server caps its connections; the client is told to come back "
				       "later"),
				    _("%s refused: too many connections"), name);
			live_refuse(fd, l->port, l->server->name);
			continue;
		}
		sock_accept(w, name, l->server, l->port, l->proto, fd);
	}
}

/* Run the story's events that are due; resume `wait idle` when nothing is
 * left but timers. */
static void live_run_due(struct world *w, int64_t start_us)
{
	for (;;) {
		int64_t now = live_clock_us() - start_us;
		if (!ev_empty(&w->loop) && w->loop.heap[0].t_us <= now) {
			ev_step(&w->loop);
			continue;
		}
		if (now > w->loop.now_us)
			w->loop.now_us = now;
		if (w->waiting_idle && w->loop.nfg == 0) {
			w->waiting_idle = false;
			world_story_next(w);
			continue;
		}
		return;
	}
}

int live_run(struct world *w, const struct live_options *o, FILE *table, char *err, size_t errlen)
{
	/* live mode signs with keys no one can make again from the scenario's
	 * seed: random ones (or those of the key files) */
	if (auth_keys_init(w, true, err, errlen) != 0)
		return -1;
	/* many clients at once need many descriptors */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	size_t nservers = 0;
	for (size_t i = 0; i < w->nhosts; i++)
		nservers += w->hosts[i].kind == HOST_SERVER;
	struct live_listener *ls = xcalloc(nservers * w->nservices + 1, sizeof *ls);
	size_t nls = 0, k = 0;
	struct pollfd *pfd = NULL;
	struct conn **pconn = NULL;
	size_t cap = 0;
	int rc = -1;
	if (table)
		/* TRANSLATORS: the ports table's head; a width counts bytes (+1 per accent) */
		fprintf(table, _("%-24s %6s %11s %6s %6s   (on %s)\n"), _("server"), "SMTP",
			_("submission"), "POP3", "IMAP", o->bind);
	for (size_t i = 0; i < w->nhosts; i++) {
		struct host *h = &w->hosts[i];
		if (h->kind != HOST_SERVER)
			continue;
		/* the first server on the base ports, the next ones one above */
		for (size_t p = 0; p < w->nservices; p++) {
			const struct service *svc = w->services[p];
			int port = live_base_port(o, svc) + (int)k;
			int fd = live_listen(o->bind, port, err, errlen);
			if (fd < 0)
				goto out;
			ls[nls++] = (struct live_listener){ fd, h, svc->port, port, svc->proto };
		}
		if (table)
			fprintf(table, "%-24s %6d %11d %6d %6d\n", h->name, o->smtp_port + (int)k,
				o->submission_port + (int)k, o->pop3_port + (int)k,
				o->imap_port + (int)k);
		k++;
	}
	if (table)
		fflush(table);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = live_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	w->epoch_unix = (int64_t)time(NULL);
	int64_t start = live_clock_us();
	live_stop = 0;
	world_story_start_live(w);
	bool hook_stop = false;
	bool tick_fd_ok = o->tick && o->tick_fd >= 0; /* until it hangs up */

	while (!live_stop && !(o->stop_after_us > 0 && live_clock_us() - start >= o->stop_after_us)) {
		live_run_due(w, start);

		/* the listeners, then every live connection */
		size_t n = 0;
		size_t need = nls + w->nconns + 2;
		if (need > cap) {
			cap = need * 2;
			pfd = xrealloc(pfd, cap * sizeof *pfd);
			pconn = xrealloc(pconn, cap * sizeof *pconn);
		}
		for (size_t i = 0; i < nls; i++) {
			pfd[n] = (struct pollfd){ .fd = ls[i].fd, .events = POLLIN };
			pconn[n++] = NULL;
		}
		for (struct conn *c = w->conns; c; c = c->next) {
			struct sock *s = sock_of(c);
			if (!s || s->fd < 0 || !c->open[SIDE_CLIENT])
				continue;
			short ev = c->open[SIDE_SERVER] ? POLLIN : 0;
			if (s->wbuf.len)
				ev |= POLLOUT;
			pfd[n] = (struct pollfd){ .fd = s->fd, .events = ev };
			pconn[n++] = c;
		}
		int timeout = LIVE_POLL_MAX_MS;
		if (!ev_empty(&w->loop)) {
			int64_t wait = w->loop.heap[0].t_us - (live_clock_us() - start);
			timeout = wait <= 0 ? 0 : (int)(wait / 1000 + 1);
			if (timeout > LIVE_POLL_MAX_MS)
				timeout = LIVE_POLL_MAX_MS;
		}
		size_t tick_i = SIZE_MAX; /* the hook's descriptor, polled last */
		if (o->tick) {
			if (!o->tick(o->tick_ctx, &timeout)) {
				hook_stop = true;
				break;
			}
			if (tick_fd_ok) {
				tick_i = n;
				pfd[n] = (struct pollfd){ .fd = o->tick_fd, .events = POLLIN };
				pconn[n++] = NULL;
			}
		}
		int r = poll(pfd, n, timeout);
		if (r < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			goto out;
		}
		w->loop.now_us = live_clock_us() - start;
		if (r <= 0)
			continue;
		w->live_busy = true;
		for (size_t i = 0; i < n; i++) {
			if (i == tick_i && (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL)))
				tick_fd_ok = false; /* no busy loop on a terminal gone */
			if (!pfd[i].revents || i == tick_i)
				continue;
			if (!pconn[i]) {
				live_accept(w, &ls[i], o);
				continue;
			}
			struct conn *c = pconn[i];
			struct sock *s = sock_of(c);
			assert(s); /* only sockets are polled */
			if (s->zombie || !c->open[SIDE_CLIENT])
				continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				sock_read(c);
			if (!s->zombie && c->open[SIDE_CLIENT])
				sock_flush(c);
		}
		/* replies to one client may have gone to others too (IDLE) */
		for (struct conn *c = w->conns; c; c = c->next) {
			struct sock *s = sock_of(c);
			if (s && !s->zombie && c->open[SIDE_CLIENT] && s->wbuf.len)
				sock_flush(c);
		}
		w->live_busy = false;
		sock_reap(w);
	}
	rc = 0;
	world_event(w, "story", NULL, "stop", NULL, "%s",
		    live_stop   ? _("live mode stopped by a signal")
		    : hook_stop ? _("live mode stopped by the user")
				: _("live mode stopped"));
out:
	/* nothing is half-written: every change was one committed transaction */
	free(pfd);
	free(pconn);
	for (size_t i = 0; i < nls; i++)
		close(ls[i].fd);
	free(ls);
	return rc;
}
