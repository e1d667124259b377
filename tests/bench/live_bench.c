/*
 * live_bench.c - make bench: load on a running `mailsim serve`.
 *
 * One process, one poll() loop, non-blocking sockets, no threads: N client
 * state machines on loopback, each waiting for the server's reply before
 * its next command (no pipelining), as fast as the replies come.  It starts
 * nothing itself: tests/bench.sh starts the server.
 *
 *   live_bench --smtp PORT [--clients 20] [--seconds 5] [--store LABEL]
 *       each client: EHLO once, then MAIL FROM / RCPT TO:<alice@uea.edu.br> /
 *       DATA / message / "." again and again; counts the 250s to ".".
 *       The plain SMTP port (the port 25 role): no AUTH, a local recipient,
 *       so no relay is involved.
 *   live_bench --imap PORT [--clients 20] [--seconds 3]
 *       each client: LOGIN alice, SELECT INBOX, then
 *       FETCH <random 1..n> (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])
 *       again and again; counts the tagged OKs.
 *   live_bench --wait PORT [--seconds 10]
 *       wait until PORT accepts a connection (for the script).
 *
 * The clock starts once every client is ready (greeted, EHLO / LOGIN and
 * SELECT done) and stops after --seconds; only answers inside that window
 * count.  Exit status: 0 measured; 1 the server refused, closed, answered
 * something unexpected or did not answer within 10 s; 2 a wrong command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LB_MAX_CLIENTS 1000
#define LB_IN_CAP 65536        /* one reply line must fit (literals are skipped) */
#define LB_OUT_CAP 4096
#define LB_CONNECT_MS 5000
#define LB_REPLY_MS 10000      /* a server that says nothing this long is stuck */
#define LB_DRAIN_MS 2000       /* after the window: let answers in flight arrive */

enum lb_mode { LB_SMTP, LB_IMAP, LB_WAIT };

enum lb_state {
	/* SMTP */
	S_GREETING, S_EHLO, S_READY, S_MAIL, S_RCPT, S_DATA, S_DOT, S_QUIT,
	/* IMAP */
	I_GREETING, I_LOGIN, I_SELECT, I_READY, I_FETCH, I_LOGOUT,
	/* both */
	X_CONNECTING, X_DONE
};

static const char *const lb_state_name[] = {
	[S_GREETING] = "the 220 greeting", [S_EHLO] = "EHLO", [S_READY] = "(ready)",
	[S_MAIL] = "MAIL FROM", [S_RCPT] = "RCPT TO", [S_DATA] = "DATA",
	[S_DOT] = "the final \".\"", [S_QUIT] = "QUIT",
	[I_GREETING] = "the * OK greeting", [I_LOGIN] = "LOGIN", [I_SELECT] = "SELECT INBOX",
	[I_READY] = "(ready)", [I_FETCH] = "FETCH", [I_LOGOUT] = "LOGOUT",
	[X_CONNECTING] = "connect", [X_DONE] = "(done)",
};

struct lb_client {
	int id;
	int fd;
	enum lb_state state;
	int64_t since_ms;            /* when the command we wait on was sent */
	char in[LB_IN_CAP];
	size_t inlen;
	size_t literal;              /* IMAP: octets of a literal still to skip */
	char out[LB_OUT_CAP];
	size_t outlen, outoff;
	char tag[16];
	unsigned long ntag;
	uint64_t rng;
	long exists;                 /* IMAP: messages in the INBOX (SELECT) */
	long done;                   /* 250s to "." or tagged FETCH OKs, in the window */
	unsigned long nmsg;          /* SMTP: messages sent by this client */
};

static enum lb_mode mode;
static const char *host = "127.0.0.1";
static int port;
static int nclients = 20;
static double seconds = -1;
static const char *store_label = NULL;
static const char *user = "alice@uea.edu.br";
static const char *password = "alice123";
static const char *rcpt = "alice@uea.edu.br";

static bool window_open;       /* every client ready, the clock running */
static bool window_closed;     /* the time is up: no new command */
static int64_t window_start_ms, window_end_ms;

static int64_t lb_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double lb_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *lb_what(void)
{
	return mode == LB_SMTP ? "SMTP" : mode == LB_IMAP ? "IMAP" : "server";
}

static _Noreturn void lb_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void lb_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "live_bench: %s server on %s:%d: ", lb_what(), host, port);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static _Noreturn void lb_usage(const char *why)
{
	if (why)
		fprintf(stderr, "live_bench: %s\n", why);
	fputs("usage: live_bench --smtp PORT [--clients N] [--seconds S] [--store LABEL]\n"
	      "       live_bench --imap PORT [--clients N] [--seconds S]\n"
	      "       live_bench --wait PORT [--seconds S]\n"
	      "       [--host ADDR] [--user ADDR --password P] [--rcpt ADDR]\n",
	      stderr);
	exit(2);
}

/* Printable excerpt of a reply for an error message. */
static const char *lb_show(const char *s, size_t n)
{
	static char buf[160];
	size_t j = 0;
	for (size_t i = 0; i < n && j + 1 < sizeof buf; i++)
		buf[j++] = (s[i] >= 32 && s[i] < 127) ? s[i] : '?';
	buf[j] = 0;
	return buf;
}

static uint64_t lb_rand(struct lb_client *c)
{
	/* xorshift64* */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 2685821657736338717ULL;
}

/* ------------------------------------------------------------------ sockets */

static int lb_connect(bool *pending)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		lb_usage("--host takes an IPv4 address");
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "live_bench: socket: %s\n", strerror(errno));
		exit(1);
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	*pending = false;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
		return fd;
	if (errno == EINPROGRESS) {
		*pending = true;
		return fd;
	}
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Has a non-blocking connect finished?  1 yes, 0 not yet, -1 failed. */
static int lb_connect_done(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int r = poll(&p, 1, wait_ms);
	if (r < 0 && errno != EINTR)
		return -1;
	if (r <= 0)
		return 0;
	int soerr = 0;
	socklen_t len = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		return -1;
	if (soerr) {
		errno = soerr;
		return -1;
	}
	return 1;
}

/* --wait: until the port accepts, retrying every 50 ms. */
static int lb_wait(void)
{
	int64_t deadline = lb_now_ms() + (int64_t)(seconds * 1000);
	int last = 0;
	for (;;) {
		bool pending;
		int fd = lb_connect(&pending);
		if (fd >= 0) {
			int r = pending ? lb_connect_done(fd, 1000) : 1;
			last = errno;
			close(fd);
			if (r == 1)
				return 0;
		} else {
			last = errno;
		}
		if (lb_now_ms() >= deadline)
			lb_fail("does not accept connections after %.0f s (%s)", seconds,
				last ? strerror(last) : "timed out");
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static void lb_send(struct lb_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lb_send(struct lb_client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c->out + c->outlen, sizeof c->out - c->outlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof c->out - c->outlen) {
		fprintf(stderr, "live_bench: internal: command too long\n");
		exit(1);
	}
	c->outlen += (size_t)n;
	c->since_ms = lb_now_ms();
}

static void lb_flush(struct lb_client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			lb_fail("client %d: send: %s (while sending %s)", c->id, strerror(errno),
				lb_state_name[c->state]);
		}
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
}

/* ------------------------------------------------------------------- SMTP */

static void smtp_next_message(struct lb_client *c)
{
	if (window_closed) {
		c->state = S_QUIT;
		lb_send(c, "QUIT\r\n");
		return;
	}
	c->state = S_MAIL;
	lb_send(c, "MAIL FROM:<bench%d@example.org>\r\n", c->id);
}

/* One complete reply line (without CRLF). */
static void smtp_line(struct lb_client *c, const char *l, size_t n)
{
	if (n < 3 || l[0] < '1' || l[0] > '5' || l[1] < '0' || l[1] > '9' || l[2] < '0' || l[2] > '9' ||
	    (n > 3 && l[3] != ' ' && l[3] != '-'))
		lb_fail("client %d: not an SMTP reply: \"%s\"", c->id, lb_show(l, n));
	if (n > 3 && l[3] == '-')
		return; /* more lines follow */
	int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
	int want = c->state == S_GREETING ? 220 : c->state == S_DATA ? 354 : c->state == S_QUIT ? 221 : 250;
	if (c->state == S_READY || c->state == X_DONE || c->state == X_CONNECTING)
		lb_fail("client %d: a reply nobody asked for: \"%s\"", c->id, lb_show(l, n));
	if (code != want)
		lb_fail("client %d: expected %d to %s, got \"%s\"", c->id, want, lb_state_name[c->state],
			lb_show(l, n));
	switch (c->state) {
	case S_GREETING:
		c->state = S_EHLO;
		lb_send(c, "EHLO bench%d.example.org\r\n", c->id);
		break;
	case S_EHLO:
		c->state = S_READY;
		if (window_open)
			smtp_next_message(c);
		break;
	case S_MAIL:
		c->state = S_RCPT;
		lb_send(c, "RCPT TO:<%s>\r\n", rcpt);
		break;
	case S_RCPT:
		c->state = S_DATA;
		lb_send(c, "DATA\r\n");
		break;
	case S_DATA:
		c->state = S_DOT;
		c->nmsg++;
		lb_send(c,
			"From: Bench %d <bench%d@example.org>\r\n"
			"To: Alice Raiol <%s>\r\n"
			"Subject: live bench, client %d, message %lu\r\n"
			"Message-ID: <%d.%lu@bench.example.org>\r\n"
			"\r\n"
			"A message from the live benchmark: the server stores it and\r\n"
			"answers 250 only once it is committed.\r\n"
			".\r\n",
			c->id, c->id, rcpt, c->id, c->nmsg, c->id, c->nmsg);
		break;
	case S_DOT:
		if (!window_closed)
			c->done++;
		smtp_next_message(c);
		break;
	case S_QUIT:
		c->state = X_DONE;
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------- IMAP */

static void imap_command(struct lb_client *c, enum lb_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void imap_command(struct lb_client *c, enum lb_state st, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	snprintf(c->tag, sizeof c->tag, "a%lu", ++c->ntag);
	c->state = st;
	lb_send(c, "%s %s\r\n", c->tag, cmd);
}

static void imap_next_fetch(struct lb_client *c)
{
	if (window_closed) {
		imap_command(c, I_LOGOUT, "LOGOUT");
		return;
	}
	long n = 1 + (long)(lb_rand(c) % (uint64_t)c->exists);
	imap_command(c, I_FETCH, "FETCH %ld (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])", n);
}

static bool lb_prefix(const char *l, size_t n, const char *p)
{
	size_t k = strlen(p);
	return n >= k && memcmp(l, p, k) == 0;
}

/* One complete response line (without CRLF; a literal's octets skipped). */
static void imap_line(struct lb_client *c, const char *l, size_t n)
{
	if (c->state == I_GREETING) {
		if (!lb_prefix(l, n, "* OK"))
			lb_fail("client %d: expected the \"* OK\" greeting, got \"%s\"", c->id, lb_show(l, n));
		imap_command(c, I_LOGIN, "LOGIN %s %s", user, password);
		return;
	}
	if (lb_prefix(l, n, "* BYE") && c->state != I_LOGOUT)
		lb_fail("client %d: the server said \"%s\"", c->id, lb_show(l, n));
	if (lb_prefix(l, n, "* ")) {
		/* "* 1234 EXISTS" */
		if (c->state == I_SELECT && n > 9 && memcmp(l + n - 7, " EXISTS", 7) == 0)
			c->exists = strtol(l + 2, NULL, 10);
		return;
	}
	if (lb_prefix(l, n, "+"))
		lb_fail("client %d: an unexpected continuation request: \"%s\"", c->id, lb_show(l, n));
	size_t tl = strlen(c->tag);
	if (!(n > tl && memcmp(l, c->tag, tl) == 0 && l[tl] == ' '))
		lb_fail("client %d: a response that is neither untagged nor %s: \"%s\"", c->id, c->tag,
			lb_show(l, n));
	if (!lb_prefix(l + tl + 1, n - tl - 1, "OK"))
		lb_fail("client %d: %s failed: \"%s\"", c->id, lb_state_name[c->state], lb_show(l, n));
	switch (c->state) {
	case I_LOGIN:
		imap_command(c, I_SELECT, "SELECT INBOX");
		break;
	case I_SELECT:
		if (c->exists <= 0)
			lb_fail("client %d: %s's INBOX is empty (run the SMTP load first)", c->id, user);
		c->state = I_READY;
		if (window_open)
			imap_next_fetch(c);
		break;
	case I_FETCH:
		if (!window_closed)
			c->done++;
		imap_next_fetch(c);
		break;
	case I_LOGOUT:
		c->state = X_DONE;
		break;
	default:
		break;
	}
}

/* IMAP: does the line end with a literal announcement "{N}"?  Its size. */
static bool imap_literal(const char *l, size_t n, size_t *size)
{
	if (n < 3 || l[n - 1] != '}')
		return false;
	size_t i = n - 1;
	if (i > 0 && l[i - 1] == '+')
		i--;
	size_t end = i;
	while (i > 0 && l[i - 1] >= '0' && l[i - 1] <= '9')
		i--;
	if (i == end || i == 0 || l[i - 1] != '{')
		return false;
	*size = (size_t)strtoull(l + i, NULL, 10);
	return true;
}

/* -------------------------------------------------------------- the loop */

/* Received octets, one at a time: complete lines go to the protocol; an
 * IMAP literal's octets are skipped, the line around it kept as one. */
static void lb_feed(struct lb_client *c, const char *p, size_t n)
{
	for (size_t i = 0; i < n && c->state != X_DONE; i++) {
		if (c->literal > 0) {
			c->literal--;
			continue;
		}
		if (c->inlen == sizeof c->in)
			lb_fail("client %d: a reply line longer than %d octets", c->id, LB_IN_CAP);
		c->in[c->inlen++] = p[i];
		if (p[i] != '\n')
			continue;
		size_t len = c->inlen - 1;
		if (len > 0 && c->in[len - 1] == '\r')
			len--;
		size_t lit;
		if (mode == LB_IMAP && imap_literal(c->in, len, &lit)) {
			c->inlen = len; /* the response goes on after the literal */
			c->literal = lit;
			continue;
		}
		c->inlen = 0;
		if (mode == LB_SMTP)
			smtp_line(c, c->in, len);
		else
			imap_line(c, c->in, len);
	}
}

static void lb_read(struct lb_client *c)
{
	char buf[16384];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n > 0) {
			lb_feed(c, buf, (size_t)n);
			if (c->state == X_DONE)
				return;
			continue;
		}
		if (n == 0) {
			if (c->state == S_QUIT || c->state == I_LOGOUT)
				c->state = X_DONE;
			else
				lb_fail("client %d: the server closed the connection while the client waited "
					"for the reply to %s%s%s",
					c->id, lb_state_name[c->state], c->inlen ? "; last words: " : "",
					c->inlen ? lb_show(c->in, c->inlen) : "");
			return;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		if (errno == EINTR)
			continue;
		lb_fail("client %d: recv: %s", c->id, strerror(errno));
	}
}

static bool lb_ready(const struct lb_client *c)
{
	return c->state == S_READY || c->state == I_READY;
}

static int lb_run(void)
{
	struct lb_client *cl = calloc((size_t)nclients, sizeof *cl);
	struct pollfd *pfd = calloc((size_t)nclients, sizeof *pfd);
	if (!cl || !pfd) {
		fputs("live_bench: out of memory\n", stderr);
		return 1;
	}
	int64_t t0 = lb_now_ms();
	uint64_t seed = (uint64_t)t0 ^ ((uint64_t)getpid() << 32);
	for (int i = 0; i < nclients; i++) {
		struct lb_client *c = &cl[i];
		c->id = i + 1;
		c->rng = (seed + (uint64_t)i * 0x9E3779B97F4A7C15ULL) | 1;
		bool pending;
		c->fd = lb_connect(&pending);
		if (c->fd < 0)
			lb_fail("client %d: cannot connect: %s (is mailsim serve running on that port?)",
				c->id, strerror(errno));
		c->state = pending ? X_CONNECTING : (mode == LB_SMTP ? S_GREETING : I_GREETING);
		c->since_ms = t0;
	}

	int64_t drain_until = 0;
	double wstart = 0, wend = 0;
	for (;;) {
		int64_t now = lb_now_ms();
		int nready = 0, nlive = 0;
		for (int i = 0; i < nclients; i++) {
			nready += lb_ready(&cl[i]);
			nlive += cl[i].state != X_DONE;
		}
		if (!window_open && nready == nclients) {
			/* everyone greeted and logged in: the clock starts now */
			window_open = true;
			wstart = lb_now_s();
			window_start_ms = now;
			window_end_ms = now + (int64_t)(seconds * 1000);
			for (int i = 0; i < nclients; i++) {
				if (mode == LB_SMTP)
					smtp_next_message(&cl[i]);
				else
					imap_next_fetch(&cl[i]);
				lb_flush(&cl[i]);
			}
			continue;
		}
		if (window_open && !window_closed && now >= window_end_ms) {
			window_closed = true;
			wend = lb_now_s();
			drain_until = now + LB_DRAIN_MS;
		}
		if (window_closed && (nlive == 0 || now >= drain_until))
			break;

		/* stuck connections: a connect or a reply that never comes */
		for (int i = 0; i < nclients; i++) {
			struct lb_client *c = &cl[i];
			if (c->state == X_DONE || lb_ready(c))
				continue;
			int64_t limit = c->state == X_CONNECTING ? LB_CONNECT_MS : LB_REPLY_MS;
			if (now - c->since_ms >= limit && !window_closed)
				lb_fail("client %d: no answer to %s within %lld s", c->id,
					lb_state_name[c->state], (long long)(limit / 1000));
		}

		int timeout = 1000;
		if (window_open && !window_closed && window_end_ms - now < timeout)
			timeout = (int)(window_end_ms - now);
		if (window_closed && drain_until - now < timeout)
			timeout = (int)(drain_until - now);
		if (timeout < 0)
			timeout = 0;
		int np = 0;
		for (int i = 0; i < nclients; i++) {
			struct lb_client *c = &cl[i];
			short ev = 0;
			if (c->state == X_CONNECTING || c->outlen > c->outoff)
				ev |= POLLOUT;
			if (c->state != X_CONNECTING && c->state != X_DONE)
				ev |= POLLIN;
			pfd[i] = (struct pollfd){ .fd = ev ? c->fd : -1, .events = ev };
			np++;
		}
		int r = poll(pfd, (nfds_t)np, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "live_bench: poll: %s\n", strerror(errno));
			return 1;
		}
		for (int i = 0; i < nclients && r > 0; i++) {
			struct lb_client *c = &cl[i];
			if (!pfd[i].revents)
				continue;
			if (c->state == X_CONNECTING) {
				if (lb_connect_done(c->fd, 0) < 0)
					lb_fail("client %d: cannot connect: %s (is mailsim serve running on that "
						"port?)",
						c->id, strerror(errno));
				c->state = mode == LB_SMTP ? S_GREETING : I_GREETING;
				c->since_ms = lb_now_ms();
				continue;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				lb_read(c);
			if (c->state != X_DONE && c->outlen > c->outoff)
				lb_flush(c);
		}
	}

	long total = 0;
	long lo = -1, hi = 0;
	for (int i = 0; i < nclients; i++) {
		total += cl[i].done;
		if (lo < 0 || cl[i].done < lo)
			lo = cl[i].done;
		if (cl[i].done > hi)
			hi = cl[i].done;
		close(cl[i].fd);
	}
	double s = wend - wstart;
	if (mode == LB_SMTP)
		printf("smtp: %ld messages accepted in %.2f s = %.0f msg/s (%d clients, store: %s; "
		       "per client %ld to %ld)\n",
		       total, s, (double)total / s, nclients, store_label ? store_label : "?", lo, hi);
	else
		printf("imap: %.0f FETCH/s (%d clients; %ld FETCH in %.2f s on a mailbox of %ld "
		       "messages%s%s)\n",
		       (double)total / s, nclients, total, s, cl[0].exists, store_label ? ", store: " : "",
		       store_label ? store_label : "");
	free(cl);
	free(pfd);
	return total > 0 ? 0 : 1;
}

static int lb_int(const char *arg, int lo, int hi, const char *what)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (!*arg || *end || v < lo || v > hi) {
		fprintf(stderr, "live_bench: %s: '%s' is not a number from %d to %d\n", what, arg, lo, hi);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	bool have_mode = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			lb_usage(strncmp(a, "--", 2) == 0 ? "an option without its value" : NULL);
		const char *v = argv[++i];
		if (!strcmp(a, "--smtp") || !strcmp(a, "--imap") || !strcmp(a, "--wait")) {
			if (have_mode)
				lb_usage("one of --smtp, --imap, --wait");
			have_mode = true;
			mode = a[2] == 's' ? LB_SMTP : a[2] == 'i' ? LB_IMAP : LB_WAIT;
			port = lb_int(v, 1, 65535, a);
		} else if (!strcmp(a, "--clients")) {
			nclients = lb_int(v, 1, LB_MAX_CLIENTS, a);
		} else if (!strcmp(a, "--seconds")) {
			seconds = lb_int(v, 1, 3600, a);
		} else if (!strcmp(a, "--store")) {
			store_label = v;
		} else if (!strcmp(a, "--host")) {
			host = v;
		} else if (!strcmp(a, "--user")) {
			user = v;
		} else if (!strcmp(a, "--password")) {
			password = v;
		} else if (!strcmp(a, "--rcpt")) {
			rcpt = v;
		} else {
			lb_usage(NULL);
		}
	}
	if (!have_mode)
		lb_usage("one of --smtp, --imap, --wait");
	if (seconds < 0)
		seconds = mode == LB_SMTP ? 5 : mode == LB_IMAP ? 3 : 10;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mode == LB_WAIT)
		return lb_wait();
	return lb_run();
}
