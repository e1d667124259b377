/*
 * views.c - the transcript and JSON Lines views of the trace.
 *
 * Both are byte-for-byte deterministic: times are printed from integer
 * microseconds, never through floating point.
 */
#include "i18n.h"
#include "view.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

void view_seconds(struct buf *out, int64_t us)
{
	if (us < 0) {
		buf_addc(out, '-');
		us = -us;
	}
	buf_add_u64(out, (uint64_t)(us / 1000000));
	int64_t frac = us % 1000000;
	if (frac == 0)
		return;
	char digits[7];
	for (int i = 5; i >= 0; i--) {
		digits[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	size_t n = 6;
	while (digits[n - 1] == '0')
		n--; /* shortest exact form: 0.01, not 0.010000 */
	buf_addc(out, '.');
	buf_add(out, digits, n);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t view_utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	return utf8_decode(s, n, &len) < 0 ? 0 : len;
}

void view_json_string(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	buf_reserve(out, len + 2);
	buf_addc(out, '"');
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			buf_addc(out, '\\');
			buf_addc(out, (char)c);
			i++;
		} else if (c >= 0x20 && c < 0x80) {
			/* copy the longest plain run at once */
			size_t j = i;
			while (j < len && p[j] >= 0x20 && p[j] < 0x80 && p[j] != '"' && p[j] != '\\')
				j++;
			buf_add(out, s + i, j - i);
			i = j;
		} else if (c < 0x20) {
			switch (c) {
			case '\n':
				buf_adds(out, "\\n");
				break;
			case '\r':
				buf_adds(out, "\\r");
				break;
			case '\t':
				buf_adds(out, "\\t");
				break;
			default:
				buf_printf(out, "\\u%04x", c);
			}
			i++;
		} else {
			size_t n = view_utf8_len(p + i, len - i);
			if (n == 0) {
				buf_printf(out, "\\u%04x", c);
				i++;
			} else {
				buf_add(out, s + i, n);
				i += n;
			}
		}
	}
	buf_addc(out, '"');
}

/* ---------------------------------------------------------------- text */

void view_text_init(struct view_text *v, FILE *out, int host_width)
{
	v->out = out;
	v->host_width = host_width;
	buf_init(&v->line);
}

void view_text_free(struct view_text *v)
{
	buf_free(&v->line);
}

const char *view_proto_label(enum trace_proto p)
{
	switch (p) {
	case PROTO_SMTP:
		return "SMTP";
	case PROTO_POP3:
		return "POP3";
	case PROTO_IMAP:
		return "IMAP";
	case PROTO_DNS:
		return "DNS";
	case PROTO_NONE:
		break;
	}
	return "";
}

/* The line a view lays r out on, emptied; NULL for a mailbox change: those
 * feed the player, and the events say it in words. */
static struct buf *view_line(struct buf *line, const struct trace_rec *r)
{
	if (r->mail)
		return NULL;
	buf_clear(line);
	return line;
}

/* Control characters are shown, not obeyed: a transcript must not be able
 * to move a terminal's cursor. */
static void view_text_safe(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\t')
			buf_addc(b, '\t'); /* a folded header's indent: harmless */
		else if (c < 0x20 || c == 0x7F)
			buf_printf(b, "^%c", c == 0x7F ? '?' : c + '@');
		else
			buf_addc(b, (char)c);
	}
}

void view_text_sink(void *ctx, const struct trace_rec *r)
{
	struct view_text *v = ctx;
	struct buf *b = view_line(&v->line, r);
	if (!b)
		return;
	/* the time, to the millisecond, right-aligned */
	int64_t ms = (r->t_us + 500) / 1000;
	buf_printf(b, "%6" PRId64 ".%03" PRId64 "s  ", ms / 1000, ms % 1000);
	if (r->event) {
		buf_printf(b, "%-*s  * %s: ", v->host_width * 2 + 4, r->from ? r->from : "",
			   r->event);
		view_text_safe(b, r->text, r->text_len);
	} else {
		/* the client always stands on the left, as in a ladder diagram:
		 * "client -> server" for a command, "client <- server" for a reply */
		bool c2s = r->dir == DIR_C2S;
		buf_printf(b, "%-*s %s %-*s  %-4s  ", v->host_width, c2s ? r->from : r->to,
			   c2s ? "->" : "<-", v->host_width, c2s ? r->to : r->from,
			   view_proto_label(r->proto));
		view_text_safe(b, r->text, r->text_len);
	}
	if (r->note)
		buf_printf(b, "   -- %s", r->note);
	buf_addc(b, '\n');
	fwrite(b->p, 1, b->len, v->out);
}

void view_text_summary(struct view_text *v, int passed, int failed)
{
	char np[48], nf[48];
	snprintf(np, sizeof np, P_("%d passed", "%d passed", passed), passed);
	snprintf(nf, sizeof nf, P_("%d failed", "%d failed", failed), failed);
	/* TRANSLATORS: "N passed", "N failed" */
	fprintf(v->out, _("checks: %s, %s\n"), np, nf);
}

/* ---------------------------------------------------------------- JSON */

void view_json_init(struct view_json *v, FILE *out)
{
	v->out = out;
	buf_init(&v->line);
}

void view_json_free(struct view_json *v)
{
	buf_free(&v->line);
}

static void view_json_host(struct buf *b, const char *key, const char *host)
{
	buf_adds(b, ",\"");
	buf_adds(b, key);
	buf_adds(b, "\":");
	if (host)
		view_json_string(b, host, strlen(host));
	else
		buf_adds(b, "null");
}

void view_json_sink(void *ctx, const struct trace_rec *r)
{
	struct view_json *v = ctx;
	struct buf *b = view_line(&v->line, r);
	if (!b)
		return;
	buf_adds(b, "{\"t\":");
	view_seconds(b, r->t_us);
	if (r->event) {
		buf_adds(b, ",\"event\":");
		view_json_string(b, r->event, strlen(r->event));
		view_json_host(b, "from", r->from);
		view_json_host(b, "to", r->to);
		buf_adds(b, ",\"detail\":");
		view_json_string(b, r->text, r->text_len);
		if (r->auth) {
			buf_adds(b, ",\"auth\":");
			view_json_string(b, r->auth, strlen(r->auth));
		}
	} else {
		view_json_host(b, "from", r->from);
		view_json_host(b, "to", r->to);
		buf_adds(b, ",\"proto\":\"");
		buf_adds(b, trace_proto_name(r->proto));
		buf_adds(b, r->dir == DIR_C2S ? "\",\"dir\":\"c2s\",\"text\":"
					      : "\",\"dir\":\"s2c\",\"text\":");
		view_json_string(b, r->text, r->text_len);
	}
	buf_adds(b, ",\"note\":");
	if (r->note)
		view_json_string(b, r->note, strlen(r->note));
	else
		buf_adds(b, "null");
	if (!r->event) {
		buf_adds(b, ",\"session\":");
		buf_add_u64(b, r->session);
		buf_adds(b, ",\"arrive\":");
		view_seconds(b, r->arrive_us);
	}
	buf_adds(b, "}\n");
	fwrite(b->p, 1, b->len, v->out);
}

void view_json_summary(struct view_json *v, int passed, int failed)
{
	/* i18n: not for people: JSON */
	fprintf(v->out, "{\"checks\":{\"passed\":%d,\"failed\":%d}}\n", passed, failed);
}
