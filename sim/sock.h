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

/* What a connection on a socket has that a simulated one has not
 * (conn->transport_state). */
struct sock {
	int fd;
	struct buf wbuf;   /* bytes for the socket, not yet written */
	struct buf rline;  /* the client's partial line (for the trace) */
	struct host peer;  /* stands for the client's address: ADDRESS:PORT */
	bool zombie;       /* released while the live loop held connection
			    * pointers: sock_reap frees it */
};

/* The socket of a connection, or NULL for a simulated one. */
struct sock *sock_of(const struct conn *c);
/* A real client (peer, "ADDRESS:PORT") connected to server:port; fd is
 * the accepted socket, non-blocking, now the connection's. */
struct conn *sock_accept(struct world *w, const char *peer, struct host *server, int port,
			 enum trace_proto proto, int fd);
/* The socket can be read: hand what the client sent to the server. */
void sock_read(struct conn *c);
/* Write what the server said; hang up once a closed server side has
 * been written out. */
void sock_flush(struct conn *c);
/* Free the connections released while the live loop was busy. */
void sock_reap(struct world *w);

#endif
