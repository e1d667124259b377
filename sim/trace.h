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

#endif
