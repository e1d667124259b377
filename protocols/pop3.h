/*
 * pop3.h - the POP3 engines (RFC 1939, with RFC 2449 extensions and
 * RFC 5034 AUTH PLAIN), server and client, sans-I/O.
 *
 * POP3 is "download and delete": a client logs in, lists the maildrop,
 * retrieves messages and marks some deleted; nothing is deleted until the
 * client says QUIT and the session enters the UPDATE state (RFC 1939 6).
 * A session that ends any other way deletes nothing.
 *
 * As with SMTP, the engine knows the protocol; the maildrop (who may log
 * in, which messages there are, their content, the deletions) is reached
 * through struct pop3_server_ops, which the host implements on the store.
 */
#ifndef MAILSIM_POP3_H
#define MAILSIM_POP3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* RFC 2449 4: a command line is at most 255 octets with its CRLF, and a
 * keyword or argument at most 40 characters; a response line at most 512.
 * The server lets PASS's password (the rest of its line) and AUTH's
 * initial response be longer: only the line's own cap bounds them. */
#define POP3_COMMAND_LINE_MAX_OCTETS 255
#define POP3_ARGUMENT_MAX_CHARS 40
#define POP3_RESPONSE_LINE_MAX_OCTETS 512
/* RFC 1939 7: a unique-id is 1 to 70 characters in the range 0x21-0x7E. */
#define POP3_UIDL_MAX_CHARS 70

/* One message of the maildrop as the session sees it. */
struct pop3_msg {
	uint32_t id;          /* the host's handle (e.g. the IMAP UID) */
	uint64_t size;        /* octets as sent: CRLF line ends, before stuffing */
	char uidl[POP3_UIDL_MAX_CHARS + 1]; /* stable unique-id (RFC 1939 7) */
};

/* ------------------------------------------------------------------ server */

enum pop3_lock_result {
	POP3_LOCK_OK,
	POP3_LOCK_IN_USE, /* another session holds the maildrop: -ERR [IN-USE] */
	POP3_LOCK_ERROR,  /* -ERR [SYS/TEMP] */
};

struct pop3_server_ops {
	/* USER/PASS or AUTH PLAIN: true if the password is right. */
	bool (*auth)(void *ctx, const char *user, const char *password);
	/* After a good password: lock the maildrop and list its messages
	 * (a snapshot: message numbers 1..n refer to it for the whole
	 * session).  *msgs is malloc'd by the host, freed by the engine. */
	enum pop3_lock_result (*lock)(void *ctx, const char *user,
				      struct pop3_msg **msgs, size_t *n);
	/* Release the lock (after UPDATE, or when the session ends). */
	void (*unlock)(void *ctx, const char *user);
	/* Append the message's content (CRLF line ends) to out; false if it
	 * is gone. */
	bool (*content)(void *ctx, const char *user, const struct pop3_msg *m,
			struct buf *out);
	/* UPDATE state: delete these messages, in one transaction.  True if
	 * committed; the engine says +OK only then. */
	bool (*update)(void *ctx, const char *user, const struct pop3_msg *const *dele,
		       size_t n);
	/* Optional: DELE marked m (marked true), or the mark is gone again
	 * (false): RSET, a session that ends without UPDATE, an UPDATE that
	 * failed.  Session state for the host to show, nothing to store; told
	 * before the response that explains it. */
	void (*mark)(void *ctx, const char *user, const struct pop3_msg *m, bool marked);
};

struct pop3_server_config {
	const char *hostname;
	bool tls_offered;     /* the host can start TLS here: CAPA lists STLS (RFC 2595) */
	bool tls_active;      /* the connection is encrypted already (port 995) */
	bool plaintext_auth;  /* allow USER/PASS/AUTH before TLS even if offered (labs) */
};

struct pop3_server;

struct pop3_server *pop3_server_new(const struct pop3_server_config *cfg,
				    const struct pop3_server_ops *ops, void *ctx);
/* Frees the engine; if the maildrop is still locked (the connection broke
 * before QUIT), it is unlocked and NOTHING is deleted. */
void pop3_server_free(struct pop3_server *s);
/* The connection is gone (dropped, or closed by the server for idleness):
 * the session ends here, without UPDATE, so nothing is deleted, the marks
 * are forgotten (ops.mark false for each) and the maildrop is unlocked.
 * The engine answers nothing more. */
void pop3_server_abort(struct pop3_server *s);
/* The +OK greeting. */
void pop3_server_start(struct pop3_server *s, struct wire *out);
/* Feed bytes from the client; responses are appended to out. */
size_t pop3_server_feed(struct pop3_server *s, const char *in, size_t len,
			struct wire *out);
/* True after the QUIT response (or a fatal error): the host closes. */
bool pop3_server_closed(const struct pop3_server *s);
const char *pop3_server_state_name(const struct pop3_server *s);
/* STLS (RFC 2595 4): after "+OK Begin TLS negotiation" the engine waits for
 * the host's TLS handshake; bytes after the STLS line in the same feed were
 * thrown away (CVE-2011-0411), and so is anything fed while pending.  Then
 * pop3_server_tls_started(): tls_active is set, STLS leaves CAPA, logging
 * in is allowed; nothing is sent. */
bool pop3_server_tls_pending(const struct pop3_server *s);
void pop3_server_tls_started(struct pop3_server *s);

/* ------------------------------------------------------------------ client */

struct pop3_client_config {
	const char *user;
	const char *password;
	bool keep;  /* leave messages on the server ("fetch keep") */
	/* the unique-ids the device already holds: not downloaded again */
	const char *const *known_uidls;
	size_t nknown;
	bool starttls;  /* ask CAPA; if it lists STLS, use it before USER (RFC 2595) */
};

/* Called for every message downloaded (content: CRLF lines, unstuffed). */
typedef void (*pop3_client_got_fn)(void *ctx, const char *uidl, const char *content,
				   size_t len);

struct pop3_client;

struct pop3_client *pop3_client_new(const struct pop3_client_config *cfg,
				    pop3_client_got_fn got, void *ctx);
void pop3_client_free(struct pop3_client *c);
void pop3_client_feed(struct pop3_client *c, const char *in, size_t len,
		      struct wire *out);
/* The connection broke or could not be made. */
void pop3_client_abort(struct pop3_client *c, const char *why);
bool pop3_client_done(const struct pop3_client *c);
/* NULL if all went well, else what went wrong ("-ERR [AUTH] ...", "connection
 * refused"). */
const char *pop3_client_error(const struct pop3_client *c);
/* Counts, for the teaching notes and the tests. */
size_t pop3_client_downloaded(const struct pop3_client *c);
size_t pop3_client_deleted(const struct pop3_client *c);
const char *pop3_client_state_name(const struct pop3_client *c);
/* STLS, with config starttls: the server said +OK to STLS and the client
 * waits for its host's TLS handshake; then pop3_client_tls_started(), which
 * sends USER. */
bool pop3_client_tls_pending(const struct pop3_client *c);
void pop3_client_tls_started(struct pop3_client *c, struct wire *out);

/* ----------------------------------------------------------- raw sessions */

/* Given the command the student typed last (NULL before the greeting) and
 * what the server has sent since, is the response complete?  Multi-line
 * responses (+OK to CAPA, LIST or UIDL without argument, RETR, TOP) end
 * with a line holding a single "."; everything else is one line.  Returns
 * the bytes making up the complete response, or 0. */
size_t pop3_response_complete(const char *command, const char *in, size_t len);

#endif
