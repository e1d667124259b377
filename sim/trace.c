/*
 * trace.c - fan each record out to the views.
 */
#include "trace.h"

#include <stdlib.h>

void trace_init(struct trace *t)
{
	t->nsinks = 0;
	t->count = 0;
}

void trace_add_sink(struct trace *t, trace_sink_fn fn, void *ctx)
{
	if (t->nsinks == TRACE_MAX_SINKS)
		abort(); /* a programming error: raise TRACE_MAX_SINKS */
	t->sinks[t->nsinks].fn = fn;
	t->sinks[t->nsinks].ctx = ctx;
	t->nsinks++;
}

void trace_emit(struct trace *t, const struct trace_rec *r)
{
	t->count++;
	for (size_t i = 0; i < t->nsinks; i++)
		t->sinks[i].fn(t->sinks[i].ctx, r);
}

const char *trace_proto_name(enum trace_proto p)
{
	switch (p) {
	case PROTO_SMTP:
		return "smtp";
	case PROTO_POP3:
		return "pop3";
	case PROTO_IMAP:
		return "imap";
	case PROTO_DNS:
		return "dns";
	case PROTO_NONE:
		break;
	}
	return "-";
}
