/*
 * mime.h - the message helpers: RFC 5322 headers, MIME (RFC 2045-2047)
 * encodings, dates, and the messages a mail system writes itself
 * (a user agent's new message, a Received: line, a bounce per RFC 3464).
 *
 * Pure functions over bytes: no I/O, no clock (times are passed in as
 * seconds since the Unix epoch, UTC).
 */
#ifndef MAILSIM_MIME_H
#define MAILSIM_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* RFC 5322 2.1.1: lines SHOULD be at most 78 characters; encoded words are
 * at most 75 (RFC 2047 2). */
#define MIME_LINE_SOFT_MAX 78
#define MIME_ENCODED_WORD_MAX 75
#define MIME_QP_LINE_MAX 76 /* RFC 2045 6.7 rule 5 */

/* ---------------------------------------------------------- encodings */

void mime_base64_encode(struct buf *out, const void *in, size_t len);
/* Decodes, skipping white space; returns -1 on invalid input. */
int mime_base64_decode(struct buf *out, const char *in, size_t len);
/* Quoted-printable (RFC 2045 6.7), CRLF line breaks kept as hard breaks,
 * soft breaks ("=" CRLF) keep lines at most 76 characters. */
void mime_qp_encode(struct buf *out, const char *in, size_t len);
int mime_qp_decode(struct buf *out, const char *in, size_t len);

/* a[0..alen) equals the C string b, ignoring ASCII case (a charset, an
 * encoding, a header name: RFC 2045 and RFC 5322 compare them so). */
bool mime_eq_nocase(const char *a, size_t alen, const char *b);
/* True if every byte is 7-bit ASCII (no byte >= 0x80, no NUL). */
bool mime_is_7bit(const char *s, size_t len);

/* A header value that may hold non-ASCII UTF-8, as RFC 2047 encoded words
 * (=?UTF-8?B?...?= or =?UTF-8?Q?...?=) where needed, each at most 75
 * characters, folded.  ASCII text is copied unchanged (only folded at its
 * own white space if a line would pass 78; a word with a control character
 * or an "=?" is encoded).  `used` is how many characters of the line the
 * field name already took ("Subject: " = 9). */
void mime_encode_header_value(struct buf *out, const char *utf8, size_t used);
/* Decode any encoded words in a header value to UTF-8 (RFC 2047 6.2:
 * white space between adjacent encoded words is dropped). Unknown
 * charsets are left as they are. */
void mime_decode_header_value(struct buf *out, const char *value, size_t len);

/* ---------------------------------------------------------- headers */

/* Find header `name` (case-insensitive) in the header block of msg (which
 * ends at the first empty line).  The value is unfolded (CRLF + WSP become
 * WSP), leading and trailing blanks trimmed, appended to out.  Returns
 * false if absent. */
bool mime_header_get(const char *msg, size_t len, const char *name, struct buf *out);
/* Offset of the body (just after the empty line ending the headers), or len. */
size_t mime_body_offset(const char *msg, size_t len);
/* Where a field added at the end of the header block goes: the start of
 * the empty line that ends it, or len if there is none. */
size_t mime_header_end(const char *msg, size_t len);
/* The line of msg starting at off: *end is where its text ends (before
 * CRLF or LF), the return value where the next line starts (len after the
 * last line, which may have no line end). */
size_t mime_next_line(const char *msg, size_t len, size_t off, size_t *end);
/* The addr-spec inside a mailbox: "Alice <a@b.c>" -> "a@b.c", "a@b.c" -> "a@b.c". */
bool mime_addr_spec(const char *mailbox, struct buf *out);
/* The domain part of an address ("bob@gmail.com" -> "gmail.com"), or NULL. */
const char *mime_addr_domain(const char *addr);

/* ---------------------------------------------------------- dates */

/* "Fri, 27 Nov 2026 09:00:00 +0000" (RFC 5322 3.3), from Unix seconds, UTC. */
void mime_format_date(struct buf *out, int64_t unix_seconds);

/* ---------------------------------------------------------- composing */

/* What a user agent fills in when the user presses Send. */
struct mime_compose {
	const char *from_name;     /* display name, may be UTF-8, or NULL */
	const char *from_addr;
	const char *const *to;     /* addresses */
	size_t nto;
	const char *const *cc;
	size_t ncc;
	const char *subject;       /* UTF-8 */
	const char *body;          /* UTF-8, with \n line ends */
	int64_t date;              /* Unix seconds */
	const char *message_id;    /* "<id@host>" */
	const char *user_agent;    /* for a User-Agent: header, or NULL */
};

/* The full RFC 5322 message, CRLF line ends, 7-bit clean on the wire:
 * non-ASCII display names and subject as encoded words, a non-ASCII body as
 * quoted-printable with Content-Type: text/plain; charset=UTF-8, an ASCII
 * body as 7bit (charset=us-ascii).  Body lines are never longer than 998. */
void mime_compose(struct buf *out, const struct mime_compose *m);

/* A "Received:" trace field (RFC 5321 4.4), with CRLF, to prepend:
 *   Received: from HELO (CLIENT_HOST)
 *           by BY_HOST with PROTO id ID
 *           for <RCPT>; DATE
 * proto is "ESMTP", "ESMTPA" (authenticated, RFC 3848), "SMTP"... ; rcpt may
 * be NULL (several recipients). */
void mime_received(struct buf *out, const char *helo, const char *client_host,
		   const char *by_host, const char *proto, const char *id,
		   const char *rcpt, int64_t date);

/* The teaching note (an N_() text) for the first line of a header field
 * that tells who vouches for a message: "DKIM-Signature:" (RFC 6376) and
 * "Authentication-Results:" (RFC 8601); NULL for any other line. */
const char *mime_auth_field_note(const char *line, size_t n);

/* The TCP-info of a Received: line (RFC 5321 4.4), for its CLIENT_HOST:
 * "localhost [127.0.0.1]", the address as an address literal (4.1.3, an
 * IPv6 one tagged "IPv6:") after the name it is known by, or alone when
 * name is NULL or "".  With no address, just the name. */
void mime_received_tcp_info(struct buf *out, const char *name, const char *address);

/* One failed recipient in a bounce. */
struct mime_dsn_rcpt {
	const char *addr;          /* the original recipient */
	const char *status;        /* enhanced status "5.1.1" */
	const char *remote_mta;    /* host that said no, or NULL (e.g. no such domain) */
	const char *diagnostic;    /* "550 5.1.1 <x@gmail.com>: recipient rejected" or
				    * our own explanation */
	const char *smtp_command;  /* the command that reply answered ("RCPT TO",
				    * "DATA"), or NULL if unknown / not SMTP */
};

struct mime_dsn {
	const char *reporting_mta; /* our host name */
	const char *postmaster_domain; /* MAILER-DAEMON@this */
	const char *to;            /* the original sender (envelope MAIL FROM) */
	const char *explanation;   /* one human sentence, e.g. why it failed */
	const struct mime_dsn_rcpt *rcpts;
	size_t nrcpts;
	const char *original;      /* the original message (headers are quoted) */
	size_t original_len;
	int64_t arrival_date;      /* when we received the original */
	int64_t date;              /* now */
	const char *message_id;    /* for the bounce itself */
	const char *boundary;      /* MIME boundary to use (deterministic) */
};

/* A delivery status notification (RFC 3464): multipart/report;
 * report-type=delivery-status, from "Mail Delivery Subsystem
 * <MAILER-DAEMON@domain>", Subject "Undelivered Mail Returned to Sender",
 * with a text/plain explanation quoting the remote server's reply, a
 * message/delivery-status part, and the original headers as
 * text/rfc822-headers (RFC 6522). */
void mime_dsn(struct buf *out, const struct mime_dsn *d);

#endif
