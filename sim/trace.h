/*
 * trace.h - the single record of everything that happened.
 *
 * Every protocol line that crosses a link, and every event that matters
 * (DNS answer, queued, delivered, bounced, retry, link down, note), becomes
 * one trace record.  The transcript, the JSON Lines, and later the player
 * are all views of these records: sinks that the trace calls, in order, for
 * each record.  Records are not kept here, so long runs use no memory for
 * them; a view that wants history keeps its own.
 */
#ifndef MAILSIM_TRACE_H
#define MAILSIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum trace_proto {
	PROTO_NONE,
	PROTO_SMTP,
	PROTO_POP3,
	PROTO_IMAP,
	PROTO_DNS,
};

enum trace_dir {
	DIR_C2S, /* client to server */
	DIR_S2C, /* server to client */
};

/*
 * A change to what a server mailbox or a device holds.  The player builds
 * its mailbox pane from these; it remembers what each one replaced, so a
 * record says only what is new.  The transcript and JSON views skip them:
 * the human events around them ("delivered", "pop3-deleted", "synced")
 * tell the same story in words.
 */
enum trace_mail_op {
	MAIL_ADD,     /* a message arrived: uid, flags, from, subject, content */
	MAIL_REMOVE,  /* message uid is gone */
	MAIL_FLAGS,   /* message uid has these flags now */
	MAIL_CLEAR,   /* every message of the folder is gone (a device's reset) */
	MAIL_MARK,    /* POP3 DELE marked message uid for deletion at QUIT */
	MAIL_UNMARK,  /* the mark is gone again: RSET, or the session ended without
		       * QUIT (RFC 1939 6).  Marks are POP3 session state: the
		       * store never holds them, only the trace tells of them */
};

struct trace_mail {
	enum trace_mail_op op;
	const char *owner;      /* "bob@gmail.com" (on its server) or "bob-phone" */
	bool device;            /* owner is a device */
	const char *folder;     /* "INBOX", "Sent", "Archive"... */
	uint32_t uid;           /* the server's UID; 0 for a POP3 download */
	uint32_t flags;         /* STORE_FLAG_* bits (ADD, FLAGS) */
	const char *from;       /* ADD: decoded From:, or NULL */
	const char *subject;    /* ADD: decoded Subject:, or NULL */
	const char *content;    /* ADD: the whole message */
	size_t content_len;
	const char *auth;       /* ADD: what a verifying server found, "spf=fail
				 * dkim=none dmarc=fail" (its Authentication-Results:
				 * header is on top of content), or NULL */
};

struct trace_rec {
	int64_t t_us;          /* simulated time */
	const char *from;      /* host name */
	const char *to;        /* host name, or NULL for an event at one host */
	enum trace_proto proto;
	enum trace_dir dir;
	const char *event;     /* NULL for a protocol line; else "connect",
				* "queued", "delivered", "bounce", "retry", ... */
	const char *text;      /* the line (no CRLF), or the event's detail */
	size_t text_len;
	const char *note;      /* teaching note, or NULL */
	uint32_t session;      /* connection id, 0 if none */
	int64_t arrive_us;     /* for a line: when it reaches `to` */
	const struct trace_mail *mail; /* a mailbox change (event "mail"), or NULL */
	const char *auth;      /* event "delivered" by a verifying server: the
				* authentication results ("spf=pass dkim=pass
				* dmarc=pass"), or NULL; JSON key "auth" */
};

typedef void (*trace_sink_fn)(void *ctx, const struct trace_rec *r);

struct trace_sink {
	trace_sink_fn fn;
	void *ctx;
};

#define TRACE_MAX_SINKS 4

struct trace {
	struct trace_sink sinks[TRACE_MAX_SINKS];
	size_t nsinks;
	uint64_t count; /* records emitted so far */
};

void trace_init(struct trace *t);
void trace_add_sink(struct trace *t, trace_sink_fn fn, void *ctx);
void trace_emit(struct trace *t, const struct trace_rec *r);

const char *trace_proto_name(enum trace_proto p); /* "smtp", "pop3", ... */

/*
 * A scenario's `quiz` travels as the detail of an event "quiz" from
 * "story", in the directive's own syntax without its keyword, so that the
 * transcript shows the teacher the question and its answer and the player
 * reads it back:
 *
 *     "How many stay?" reply +OK choices "0" "1" "2" answer 2
 *
 * (strings quoted with \" \\ \n \t escapes; reply and choices each
 * optional, never both absent).  The parsed form owns its strings.
 */
#define TRACE_QUIZ_MAX_CHOICES 6
struct trace_quiz {
	char *question;
	char *reply;             /* "550", "5.1.1", "+OK", "-ERR", "OK", "NO", "BAD", "+", or NULL */
	char *choices[TRACE_QUIZ_MAX_CHOICES];
	size_t nchoices;
	int answer;              /* 1-based index of the right choice; 0 without choices */
};

/* Append the detail of a quiz record to b (a struct buf from buf.h). */
struct buf;
void trace_quiz_format(struct buf *b, const struct trace_quiz *q);
/* Read a quiz record's detail; 0, or -1 (q is then empty) if it is not one. */
int trace_quiz_parse(const char *text, size_t len, struct trace_quiz *q);
void trace_quiz_free(struct trace_quiz *q);

/* Whether a server's line carries reply code `code` (as a quiz names it):
 * SMTP "550 ..."/"550-..." (or its enhanced code "5.1.1" after it), POP3
 * "+OK"/"-ERR", IMAP a tagged "tag OK|NO|BAD", or "+" a continuation. */
bool trace_reply_is(enum trace_proto proto, const char *text, size_t len, const char *code);

#endif
