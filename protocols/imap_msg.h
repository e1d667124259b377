/*
 * imap_msg.h - what IMAP needs to know about one message (RFC 3501 7.4.2):
 * its ENVELOPE, its BODYSTRUCTURE, a BODY[section], and the text searches
 * of SEARCH.  Pure functions over the message's bytes (CRLF line ends).
 */
#ifndef MAILSIM_IMAP_MSG_H
#define MAILSIM_IMAP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The ENVELOPE parenthesised list: (date subject from sender reply-to to
 * cc bcc in-reply-to message-id).  Sender and Reply-To default to From
 * (RFC 3501 7.4.2); addresses are (name adl mailbox host) lists, the name
 * from the phrase or else from a trailing comment ("user@domain (Real
 * Name)"); group syntax is honoured; header values are given as they are,
 * encoded words included (the client decodes them). */
void imap_msg_envelope(struct buf *out, const char *msg, size_t len);

/* BODYSTRUCTURE (extensible = true) or BODY (false) of the message:
 * text/plain and other single parts with type, subtype, parameters, id,
 * description, encoding, size (and lines for text/ and message/rfc822),
 * multipart/ with its parts and subtype (and the boundary parameter
 * in the extension data).  A message without Content-Type is text/plain;
 * charset=us-ascii (RFC 2045 5.2). */
void imap_msg_bodystructure(struct buf *out, const char *msg, size_t len, bool extensible);

/*
 * The octets of a section (RFC 3501 6.4.5, the part inside [...]):
 *   ""                     the whole message
 *   "HEADER"               the header, with the empty line that ends it
 *   "HEADER.FIELDS (A B)"  only those fields (and the empty line)
 *   "HEADER.FIELDS.NOT (A B)"
 *   "TEXT"                 the body
 *   "1", "2.1"             a MIME part's body; "1.MIME" its MIME header;
 *   "2.HEADER", "2.TEXT"   of an embedded message/rfc822 part: "2" is that
 *                          whole message, "2.1" its part 1 ("2.1.HEADER"
 *                          and deeper, as far as messages nest)
 * Appends to out and returns 0, or -1 if the section is malformed (BAD);
 * a part that does not exist gives an empty result (RFC 3501: "").
 */
int imap_msg_section(struct buf *out, const char *msg, size_t len, const char *section);

/* Case-insensitive substring search (ASCII case folding) for SEARCH:
 * field = a header name ("Subject", "From"...) searches that header's
 * unfolded value (encoded words decoded to UTF-8 first), and an address
 * field (From, To, Cc, Bcc...) also as its addresses read, "Name
 * <mailbox@host>", quotes and comments resolved; field = "BODY"
 * searches the body; field = "TEXT" searches header and body. */
bool imap_msg_search(const char *msg, size_t len, const char *field, const char *needle);

/* The Date: header as Unix seconds (for SENTSINCE and friends), or -1. */
int64_t imap_msg_date(const char *msg, size_t len);

/* "1-Feb-1994" (RFC 3501 date) to Unix seconds at 00:00 UTC; -1 if bad. */
int64_t imap_parse_date(const char *s);
/* INTERNALDATE: "17-Jul-1996 02:44:25 +0000" (quoted by the caller). */
void imap_format_datetime(struct buf *out, int64_t unix_seconds);
/* Parse a date-time as APPEND gives it ("17-Jul-1996 02:44:25 -0700");
 * -1 if malformed. */
int64_t imap_parse_datetime(const char *s);

#endif
