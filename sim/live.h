/*
 * live.h - live mode: the world's servers on real sockets, on a real clock.
 */
#ifndef MAILSIM_LIVE_H
#define MAILSIM_LIVE_H

#include <stdbool.h>
#include <stdio.h>

#include "world.h"

struct live_options {
	const char *bind;        /* "127.0.0.1" unless --bind */
	int smtp_port;           /* the first server's ports; the next server's */
	int submission_port;     /* are one above, and so on */
	int pop3_port;
	int imap_port;
	int submissions_port;    /* implicit TLS (RFC 8314): 465, 995, 993 */
	int pop3s_port;
	int imaps_port;
	bool tls;                /* STARTTLS on 25, 587, 110, 143 and the
				  * implicit-TLS ports (serve --no-tls: false) */
	bool plaintext_auth;     /* logging in allowed before TLS (labs,
				  * serve --plaintext-auth) */
	const char *tls_cert;    /* PEM files (--tls-cert, --tls-key); NULL: */
	const char *tls_key;     /* a self-signed certificate made at start */
	int max_conns;           /* in all */
	int max_per_addr;        /* from one client address */
	int64_t stop_after_us;   /* stop by itself after this long (0: never) */
	/* An optional hook (the terminal player of `serve`), called once every
	 * turn of the loop, before poll: it may lower *timeout_ms (it is about
	 * to animate) and returns false to stop serving (the user pressed q).
	 * tick_fd (stdin) is polled too, so that a key wakes the loop; it is
	 * read only by the hook.  Both unused while tick is NULL. */
	bool (*tick)(void *ctx, int *timeout_ms);
	void *tick_ctx;
	int tick_fd;
};

#define LIVE_DEFAULT_SMTP_PORT 2525
#define LIVE_DEFAULT_SUBMISSION_PORT 2587
#define LIVE_DEFAULT_POP3_PORT 2110
#define LIVE_DEFAULT_IMAP_PORT 2143
#define LIVE_DEFAULT_SUBMISSIONS_PORT 2465
#define LIVE_DEFAULT_POP3S_PORT 2995
#define LIVE_DEFAULT_IMAPS_PORT 2993
#define LIVE_DEFAULT_MAX_CONNS 1000
#define LIVE_DEFAULT_MAX_PER_ADDR 600

/* Listen (printing the table of servers and ports to `table`), play the
 * story on the real clock, and serve until SIGINT or SIGTERM (or the tick
 * hook says stop).  0, or -1
 * with err filled (a port that cannot be had, say). */
int live_run(struct world *w, const struct live_options *o, FILE *table, char *err, size_t errlen);

#endif
