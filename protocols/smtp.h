/*
 * smtp.h - the SMTP engines (RFC 5321), server and client, sans-I/O.
 *
 * An engine is fed the bytes that arrived from its peer and appends the bytes
 * it wants to send to a struct wire (with teaching notes per line).  It never
 * touches a socket, a clock or a terminal: the same engine serves the
 * simulated links, a real TCP socket and the unit tests.
 *
 * The server engine knows the protocol (states, syntax, limits, reply codes);
 * what a given *mail server* accepts (is this a local user? is this password
 * right? where does the message go?) it asks its host through struct
 * smtp_server_ops.  The host answers with a reply to send.
 */
#ifndef MAILSIM_SMTP_H
#define MAILSIM_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Limits from RFC 5321 section 4.5.3.1, with their units in the name. */
#define SMTP_COMMAND_LINE_MAX_OCTETS 512 /* 4.5.3.1.4, CRLF included */
#define SMTP_TEXT_LINE_MAX_OCTETS 1000   /* 4.5.3.1.6, CRLF included */
#define SMTP_REPLY_LINE_MAX_OCTETS 512   /* 4.5.3.1.5, CRLF included */
#define SMTP_PATH_MAX_OCTETS 256         /* 4.5.3.1.3 */
#define SMTP_RECIPIENTS_MAX 100          /* 4.5.3.1.8: at least 100 */
#define SMTP_DEFAULT_MAX_SIZE_OCTETS (10u * 1024u * 1024u)

/* One reply as the host wants it sent: "550 5.1.1 <x@y>: recipient rejected". */
struct smtp_reply {
	int code;       /* 250, 550, ... */
	char enh[16];   /* enhanced status code (RFC 3463) "5.1.1", or "" */
	char text[400]; /* the human-readable rest */
	const char *note; /* optional teaching note (static string), or NULL */
	bool deferred;  /* data op only: no reply yet; the host gives it later
			 * with smtp_server_data_reply() */
};

void smtp_reply_set(struct smtp_reply *r, int code, const char *enh,
		    const char *note, const char *fmt, ...) PRINTF_LIKE(5, 6);

/* ------------------------------------------------------------------ server */

struct smtp_envelope {
	const char *helo;         /* what the client called itself */
	const char *mail_from;    /* reverse-path without <>; "" for the null path */
	const char *const *rcpts; /* accepted forward-paths, without <> */
	size_t nrcpts;
	const char *auth_user;    /* the authenticated identity, or NULL */
	bool body_8bit;           /* BODY=8BITMIME was given */
};

struct smtp_server_ops {
	/* AUTH: true if user/password are right. */
	bool (*auth)(void *ctx, const char *user, const char *password);
	/* MAIL FROM: may refuse the sender; return false and fill reply to refuse. */
	bool (*mail)(void *ctx, const struct smtp_envelope *env, const char *from,
		     struct smtp_reply *reply);
	/* RCPT TO: accept (return true, reply may stay untouched: the engine
	 * answers 250 2.1.5) or refuse with a filled reply (550 5.1.1, 554 5.7.1
	 * relay denied...). */
	bool (*rcpt)(void *ctx, const struct smtp_envelope *env, const char *rcpt,
		     struct smtp_reply *reply);
	/* End of DATA: the message (dot-unstuffed, CRLF lines, without the final
	 * ".") is handed over.  The host stores or queues it, commits, and fills
	 * reply (250 2.0.0 Ok: queued as ...) -- or a 4xx/5xx if it could not.
	 * Only called when the data passed every check (size, line length, no
	 * bare CR or LF).  A host that must ask others first (DNS, for SPF,
	 * DKIM and DMARC) sets reply->deferred instead: the engine then holds
	 * every byte that comes after the final dot, unread, until the host
	 * calls smtp_server_data_reply().  The message and envelope strings are
	 * the engine's: copy what you need before returning. */
	void (*data)(void *ctx, const struct smtp_envelope *env, const char *msg,
		     size_t len, struct smtp_reply *reply);
};

struct smtp_server_config {
	const char *hostname;  /* names itself in the greeting and EHLO reply */
	bool submission;       /* port 587: AUTH offered and required (RFC 6409) */
	size_t max_size;       /* SIZE limit in octets; 0 = default */
	size_t max_rcpts;      /* recipients per transaction; 0 = 100 */
};

struct smtp_server;

struct smtp_server *smtp_server_new(const struct smtp_server_config *cfg,
				    const struct smtp_server_ops *ops, void *ctx);
void smtp_server_free(struct smtp_server *s);
/* The 220 greeting. */
void smtp_server_start(struct smtp_server *s, struct wire *out);
/* Feed bytes received from the client; replies are appended to out.
 * Returns the number of bytes consumed (always len unless closed). */
size_t smtp_server_feed(struct smtp_server *s, const char *in, size_t len,
			struct wire *out);
/* The reply to the end of DATA that the data op deferred: it is sent, and
 * the commands held since the final dot (a pipelining client's next MAIL,
 * say) are read now, in order, their replies after it. */
void smtp_server_data_reply(struct smtp_server *s, const struct smtp_reply *reply,
			    struct wire *out);
/* True while the engine waits for smtp_server_data_reply(). */
bool smtp_server_data_pending(const struct smtp_server *s);
/* True once the server has said 221 (QUIT) or 421: the host closes. */
bool smtp_server_closed(const struct smtp_server *s);
/* The name of the current state, for logs and the player. */
const char *smtp_server_state_name(const struct smtp_server *s);

/* ------------------------------------------------------------------ client */

/* What happened to one recipient at the end of a client session. */
enum smtp_rcpt_status {
	SMTP_RCPT_PENDING,   /* the session ended before an answer */
	SMTP_RCPT_DELIVERED, /* 250 after DATA */
	SMTP_RCPT_TEMPFAIL,  /* a 4xx reply: try again later */
	SMTP_RCPT_PERMFAIL,  /* a 5xx reply: bounce */
};

struct smtp_client_config {
	const char *helo_name;     /* the name given in EHLO/HELO */
	const char *auth_user;     /* AUTH PLAIN with these, or NULL for none */
	const char *auth_password;
};

struct smtp_client;

/* A client that delivers one message and then QUITs: one transaction, or
 * more in the same session when the server answers 452 "too many
 * recipients" (RFC 5321 4.5.3.1.10).  A recipient given twice (compared
 * without regard to case) is sent once; both indexes report its outcome.
 * msg is the RFC 5322 message with CRLF line endings, not dot-stuffed: the
 * engine stuffs it (RFC 5321 4.5.2). */
struct smtp_client *smtp_client_new(const struct smtp_client_config *cfg,
				    const char *mail_from,
				    const char *const *rcpts, size_t nrcpts,
				    const char *msg, size_t len);
void smtp_client_free(struct smtp_client *c);
/* Feed the server's bytes; commands are appended to out. */
void smtp_client_feed(struct smtp_client *c, const char *in, size_t len,
		      struct wire *out);
/* The connection broke (or could not be made): every pending recipient
 * becomes a temporary failure with this reply text. */
void smtp_client_abort(struct smtp_client *c, const char *why);
/* True when the client has nothing more to say (after QUIT's 221, or after
 * a 421 / broken connection). */
bool smtp_client_done(const struct smtp_client *c);
/* The outcome for recipient i (an index into the rcpts given to
 * smtp_client_new), and the server's reply that decided it (e.g. "550 5.1.1
 * <x@gmail.com>: recipient rejected"); NULL while still PENDING. */
enum smtp_rcpt_status smtp_client_rcpt_status(const struct smtp_client *c,
					      size_t i, const char **reply);
/* The name of the current state ("EHLO", "RCPT", "DONE"...), for logs and
 * the player. */
const char *smtp_client_state_name(const struct smtp_client *c);

/* ----------------------------------------------------------- raw sessions */

/* A student typing into telnet waits for a complete reply before typing the
 * next line.  Given what the server has sent so far, has a complete reply
 * arrived (a line "NNN text", not "NNN-text")?  Returns the number of bytes
 * of `in` that make up complete replies, or 0 if none is complete yet. */
size_t smtp_reply_complete(const char *in, size_t len, int *code);

#endif
