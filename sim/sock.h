/*
 * sock.h - the socket transport: a connection whose client is a real
 * program on a TCP socket (live mode), and whose server is one of the
 * world's.  The poll loop that drives the sockets is sim/live.c.
 */
#ifndef MAILSIM_SOCK_H
#define MAILSIM_SOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "world.h"

struct tls_server;  /* tls.h: the certificate the live servers show */
struct tls_session; /* tls.h: one connection's TLS */

/* Where a socket is on its way to TLS.  Plaintext first (25, 587, 110,
 * 143); on STARTTLS the engine's go-ahead is written out in plaintext
 * (TLS_FLUSHING, nothing more read), then the handshake; an implicit-TLS
 * port (465, 993, 995) starts in the handshake. */
enum sock_tls {
	SOCK_PLAIN,
	SOCK_TLS_FLUSHING,  /* STARTTLS: the go-ahead is being written */
	SOCK_TLS_HANDSHAKE, /* the TLS handshake, the greeting held back */
	SOCK_TLS_ON,        /* every byte through TLS */
};

/* What a connection on a socket has that a simulated one has not
 * (conn->transport_state). */
struct sock {
	int fd;
	struct buf wbuf;   /* bytes for the socket, not yet written */
	struct buf rline;  /* the client's partial line (for the trace) */
	struct host peer;  /* stands for the client's address: ADDRESS:PORT */
	bool zombie;       /* released while the live loop held connection
			    * pointers: sock_reap frees it */
	struct tls_server *tls_server; /* NULL: no TLS on this socket */
	bool plaintext_auth;           /* logins allowed before TLS */
	struct tls_session *tls;       /* from the handshake on */
	enum sock_tls tls_state;
	int tls_want;                  /* enum tls_want: what the TLS call
					* that could not finish waits for */
	bool tls_read_wants_write;     /* a TLS read waits for POLLOUT */
	void (*tls_started)(struct conn *c); /* after a STARTTLS handshake */
};

/* The socket of a connection, or NULL for a simulated one. */
struct sock *sock_of(const struct conn *c);
/* The TLS of a socket's connection. */
struct sock_tls_config {
	struct tls_server *server; /* the certificate (NULL: no TLS at all) */
	bool implicit;             /* TLS from the first byte (RFC 8314) */
	bool plaintext_auth;       /* logins allowed before TLS */
};

/* A real client (peer, "ADDRESS:PORT") connected to server:port; fd is
 * the accepted socket, non-blocking, now the connection's.  tls: its TLS
 * (NULL: none). */
struct conn *sock_accept(struct world *w, const char *peer, struct host *server, int port,
			 enum trace_proto proto, int fd, const struct sock_tls_config *tls);
/* What poll must wait for on the connection's socket (POLLIN, POLLOUT). */
short sock_poll_events(const struct conn *c);

/* The socket can be read: hand what the client sent to the server. */
void sock_read(struct conn *c);
/* Write what the server said; hang up once a closed server side has
 * been written out. */
void sock_flush(struct conn *c);
/* Free the connections released while the live loop was busy. */
void sock_reap(struct world *w);

#endif
