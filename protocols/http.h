/*
 * http.h - the HTTP/1.1 engines (RFC 9110 semantics, RFC 9112 message
 * syntax), server and client, sans-I/O like the mail engines: bytes in,
 * bytes out, never a socket or a clock.
 *
 * HTTP is here to be set beside SMTP, as the slides do: both are ASCII
 * commands and replies with a three-digit status, but HTTP *pulls* (the
 * client asks for an object and gets it back in the response) where SMTP
 * *pushes* (the sender hands the message over); HTTP sends each object in
 * its own response, with its size in Content-Length, where SMTP puts every
 * part of a message into one multipart body ended by a lone ".".
 *
 * What is shared by both engines and by the hosts that answer requests
 * (the webmail): the parsed request, the response a host builds, and the
 * small helpers every web application needs (a header field's value, a
 * form's field, a cookie, HTML escaping).  These live in http_util.c.
 */
#ifndef MAILSIM_HTTP_H
#define MAILSIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Limits.  RFC 9112 2.3 and 3 leave the sizes to the server ("at least
 * 8000 octets" of request-line is recommended, RFC 9112 3); each has its
 * status code when it is passed:
 *   a request line longer than HTTP_REQUEST_LINE_MAX_OCTETS  414 URI Too Long
 *   a field line longer than HTTP_FIELD_LINE_MAX_OCTETS,
 *   or more than HTTP_FIELDS_MAX fields                       431 (RFC 6585 5)
 *   a body longer than HTTP_BODY_MAX_OCTETS                   413 Content Too Large
 */
#define HTTP_REQUEST_LINE_MAX_OCTETS 8000
#define HTTP_FIELD_LINE_MAX_OCTETS 8000
#define HTTP_FIELDS_MAX 100
#define HTTP_BODY_MAX_OCTETS (10u * 1024u * 1024u)
/* A method token this long is already not one the server implements. */
#define HTTP_METHOD_MAX_CHARS 16

/* One header field as it arrived ("Host", "mail.uea.edu.br"): the name as
 * sent (field names are case-insensitive, RFC 9110 5.1), the value with
 * its leading and trailing whitespace removed (RFC 9112 5). */
struct http_field {
	char *name;
	char *value;
};

/* A request, as the server engine parsed it. */
struct http_request {
	char method[HTTP_METHOD_MAX_CHARS + 1]; /* "GET", "POST", "HEAD" */
	char *target;        /* the request-target as sent: "/folder/INBOX?page=2" */
	char *path;          /* target before '?', still percent-encoded: "/folder/INBOX" */
	char *query;         /* after '?', or "" */
	int version_minor;   /* HTTP/1.0 or HTTP/1.1 */
	struct http_field *fields;
	size_t nfields;
	char *body;          /* the content, de-chunked; NUL-terminated */
	size_t body_len;
};

/* A response, as a host builds it; the engine writes the status line and
 * adds Date, Content-Length and Connection itself. */
struct http_response {
	int status;              /* 200, 303, 404... */
	const char *note;        /* a teaching note for the status line, or NULL
				  * (static storage, marked N_(): trace_emit
				  * translates it) */
	struct http_field *fields; /* the host's: Content-Type, Location, Set-Cookie... */
	size_t nfields, capfields;
	struct buf body;
};

/* The first field of that name, ignoring case; NULL if there is none. */
const char *http_request_field(const struct http_request *rq, const char *name);
void http_request_free(struct http_request *rq); /* its contents; rq itself is the caller's */

void http_response_init(struct http_response *rs, int status);
void http_response_field(struct http_response *rs, const char *name, const char *value);
/* The first field of that name, ignoring case; NULL if there is none. */
const char *http_response_get(const struct http_response *rs, const char *name);
void http_response_free(struct http_response *rs); /* its contents */
/* 303 See Other to `location` (the answer to a form POST, RFC 9110
 * 15.4.4: the browser GETs the page it names, and "reload" does not send
 * the form again), with a short HTML body for clients that do not follow. */
void http_response_redirect(struct http_response *rs, const char *location);

/* "OK", "Not Found"... (RFC 9110 15), or "Unknown" for a code it does not
 * name. */
const char *http_status_reason(int status);

/* Percent-decoding (RFC 3986 2.1); with `plus`, '+' is a space as in a
 * form (application/x-www-form-urlencoded).  Appends to out; false (and
 * out as far as it got) where a '%' is not followed by two hex digits. */
bool http_percent_decode(const char *s, size_t n, bool plus, struct buf *out);
/* Percent-encode everything but RFC 3986's unreserved characters. */
void http_percent_encode(struct buf *out, const char *s, size_t n);
/* The value of field `name` in an urlencoded form or query string
 * ("to=bob%40gmail.com&subject=Hi"), decoded: a malloc'd string, or NULL
 * if there is no such field or it does not decode.  A field given twice:
 * the first. */
char *http_form_value(const char *form, size_t n, const char *name);
/* The value of cookie `name` in the request's Cookie field(s) (RFC 6265
 * 5.4: "a=1; b=2"): malloc'd, or NULL. */
char *http_cookie_value(const struct http_request *rq, const char *name);
/* Append s[0..n) with & < > " ' as character references: text that came
 * from a message or a user never becomes markup in a page. */
void http_html_escape(struct buf *out, const char *s, size_t n);
/* An RFC 9110 5.6.7 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") of Unix
 * time t, into out (at least 30 bytes). */
void http_date(char *out, size_t size, int64_t t);

/* ------------------------------------------------------------------ server */

struct http_server_ops {
	/*
	 * A whole request has arrived.  Either fill *rs (initialised to 200
	 * with no fields and an empty body) and return true to answer now, or
	 * return false and answer later with http_server_respond(): the
	 * submission of a webmail's form waits for its SMTP session.  Until
	 * the answer, nothing more is read: requests a client pipelined wait
	 * their turn (RFC 9112 9.3.2, responses in the order of requests).
	 * rq stays valid until the answer.
	 */
	bool (*request)(void *ctx, const struct http_request *rq, struct http_response *rs);
	/* The time for the Date field (RFC 9110 6.6.1), Unix seconds: the
	 * host's clock (simulated or real); the engine has none. */
	int64_t (*now)(void *ctx);
};

struct http_server_config {
	const char *server; /* the Server field's value ("mailsim"), or NULL for none */
};

struct http_server;

struct http_server *http_server_new(const struct http_server_config *cfg,
				    const struct http_server_ops *ops, void *ctx);
void http_server_free(struct http_server *s);
/* Feed bytes from the client; responses are appended to out.  Returns how
 * many bytes were taken (all of them, unless an answer is pending). */
size_t http_server_feed(struct http_server *s, const char *in, size_t len, struct wire *out);
/* The deferred answer to the pending request (ops.request returned false);
 * then the bytes held back are read.  rs is consumed (freed). */
void http_server_respond(struct http_server *s, struct http_response *rs, struct wire *out);
/* True after a response that ends the connection (Connection: close, an
 * HTTP/1.0 client, a framing error): the host closes once it is sent. */
bool http_server_closed(const struct http_server *s);
/* The connection is gone: a pending request is forgotten. */
void http_server_abort(struct http_server *s);
const char *http_server_state_name(const struct http_server *s);

/* ------------------------------------------------------------------ client */

/* A response as the client engine parsed it. */
struct http_reply {
	int status;
	char *reason;
	int version_minor;
	struct http_field *fields;
	size_t nfields;
	char *body;        /* de-chunked, NUL-terminated */
	size_t body_len;
};
const char *http_reply_field(const struct http_reply *r, const char *name);

struct http_client_config {
	const char *host;       /* the Host field (RFC 9112 3.2): "mail.uea.edu.br" */
	const char *user_agent; /* the User-Agent field, or NULL */
};

/* Called for each complete response, in the order of the requests. */
typedef void (*http_client_reply_fn)(void *ctx, const struct http_reply *r);

struct http_client;

struct http_client *http_client_new(const struct http_client_config *cfg,
				    http_client_reply_fn got, void *ctx);
void http_client_free(struct http_client *c);
/* Send a request: the engine adds Host, User-Agent, the cookies its jar
 * holds for this host (RFC 6265 5.4) and Content-Length when there is a
 * body; content_type may be NULL. */
void http_client_request(struct http_client *c, const char *method, const char *target,
			 const char *content_type, const char *body, size_t body_len,
			 struct wire *out);
void http_client_feed(struct http_client *c, const char *in, size_t len, struct wire *out);
/* The server closed the connection: a body delimited by the close ends
 * here (RFC 9112 6.3 item 8); a response cut short is an error. */
void http_client_closed(struct http_client *c);
void http_client_abort(struct http_client *c, const char *why);
/* NULL if all went well, else what went wrong. */
const char *http_client_error(const struct http_client *c);
/* Requests sent and not yet answered. */
size_t http_client_pending(const struct http_client *c);
/* The jar: the value of cookie `name` the server set, or NULL. */
const char *http_client_cookie(const struct http_client *c, const char *name);

/* ----------------------------------------------------------- raw sessions */

/* Given the method of the request the student typed last (NULL before
 * any) and what the server has sent since, is the response complete?
 * Returns the bytes making it up (headers and body by Content-Length or
 * chunked; a HEAD response and 1xx/204/304 have no body), or 0. */
size_t http_response_complete(const char *method, const char *in, size_t len);

#endif
