/*
 * view.h - the headless views of the trace: the human transcript and JSON
 * Lines.  Each is a trace sink; neither keeps records.
 */
#ifndef MAILSIM_VIEW_H
#define MAILSIM_VIEW_H

#include <stdio.h>

#include "buf.h"
#include "trace.h"

struct view_text {
	FILE *out;
	int host_width;   /* column width for host names */
	struct buf line;  /* scratch */
};

void view_text_init(struct view_text *v, FILE *out, int host_width);
void view_text_free(struct view_text *v);
void view_text_sink(void *ctx, const struct trace_rec *r);
void view_text_summary(struct view_text *v, int passed, int failed);

struct view_json {
	FILE *out;
	struct buf line;
};

void view_json_init(struct view_json *v, FILE *out);
void view_json_free(struct view_json *v);
void view_json_sink(void *ctx, const struct trace_rec *r);
void view_json_summary(struct view_json *v, int passed, int failed);

/* A protocol's name in capitals ("SMTP", "DNS"), "" for none. */
const char *view_proto_label(enum trace_proto p);
/* Seconds from microseconds, shortest exact form: 0, 0.01, 1.5, 12.000250. */
void view_seconds(struct buf *out, int64_t us);
/* A JSON string literal, quotes included; invalid UTF-8 bytes become
 * \u00XX so that the output is always valid JSON. */
void view_json_string(struct buf *out, const char *s, size_t len);

#endif
