/*
 * trace.c - fan each record out to the views; the text form of a quiz
 * record, and which reply a quiz names.
 */
#include "trace.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "i18n.h"

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

/* The engines mark their teaching notes with N_() and never translate:
 * here, once per record, every view gets the note in the chosen language
 * (gettext gives the same pointer back when there is no translation). */
void trace_emit(struct trace *t, const struct trace_rec *r)
{
	t->count++;
	struct trace_rec told = *r;
	if (r->note && i18n_lang() != I18N_EN)
		told.note = _(r->note);
	for (size_t i = 0; i < t->nsinks; i++)
		t->sinks[i].fn(t->sinks[i].ctx, &told);
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

/* ---- quiz records ---- */

static void quiz_quote(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		if (*s == '\n' || *s == '\t') {
			buf_adds(b, *s == '\n' ? "\\n" : "\\t");
			continue;
		}
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

void trace_quiz_format(struct buf *b, const struct trace_quiz *q)
{
	quiz_quote(b, q->question);
	if (q->reply) {
		buf_adds(b, " reply ");
		buf_adds(b, q->reply);
	}
	if (q->nchoices) {
		buf_adds(b, " choices");
		for (size_t i = 0; i < q->nchoices; i++) {
			buf_addc(b, ' ');
			quiz_quote(b, q->choices[i]);
		}
		buf_printf(b, " answer %d", q->answer);
	}
}

/* A quoted string at *i (its escapes decoded), or NULL. */
static char *quiz_unquote(const char *t, size_t len, size_t *i)
{
	if (*i >= len || t[*i] != '"')
		return NULL;
	struct buf b;
	buf_init(&b);
	for (size_t k = *i + 1; k < len; k++) {
		char c = t[k];
		if (c == '"') {
			*i = k + 1;
			buf_addc(&b, '\0');
			return b.p;
		}
		if (c == '\\' && k + 1 < len) {
			c = t[++k];
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
		}
		buf_addc(&b, c);
	}
	buf_free(&b);
	return NULL;
}

/* The word at *i (after one space), its length in *n; NULL at the end. */
static const char *quiz_word(const char *t, size_t len, size_t *i, size_t *n)
{
	if (*i >= len || t[*i] != ' ')
		return NULL;
	size_t k = ++*i;
	while (*i < len && t[*i] != ' ')
		++*i;
	*n = *i - k;
	return *n ? t + k : NULL;
}

static bool quiz_word_is(const char *w, size_t n, const char *s)
{
	return w && n == strlen(s) && memcmp(w, s, n) == 0;
}

int trace_quiz_parse(const char *text, size_t len, struct trace_quiz *q)
{
	memset(q, 0, sizeof *q);
	size_t i = 0, n;
	const char *w;
	if (!(q->question = quiz_unquote(text, len, &i)))
		goto bad;
	while ((w = quiz_word(text, len, &i, &n)) != NULL) {
		if (quiz_word_is(w, n, "reply") && !q->reply &&
		    (w = quiz_word(text, len, &i, &n)) != NULL) {
			q->reply = xstrndup(w, n);
		} else if (quiz_word_is(w, n, "choices") && !q->nchoices) {
			while (i + 1 < len && text[i] == ' ' && text[i + 1] == '"') {
				i++;
				if (q->nchoices == TRACE_QUIZ_MAX_CHOICES ||
				    !(q->choices[q->nchoices++] = quiz_unquote(text, len, &i)))
					goto bad;
			}
			w = quiz_word(text, len, &i, &n);
			if (q->nchoices < 2 || !quiz_word_is(w, n, "answer") ||
			    !(w = quiz_word(text, len, &i, &n)) || n != 1 || w[0] < '1' ||
			    w[0] - '0' > (int)q->nchoices)
				goto bad;
			q->answer = w[0] - '0';
		} else {
			goto bad;
		}
	}
	if (i == len && (q->reply || q->nchoices))
		return 0;
bad:
	trace_quiz_free(q);
	return -1;
}

void trace_quiz_free(struct trace_quiz *q)
{
	free(q->question);
	free(q->reply);
	for (size_t i = 0; i < q->nchoices; i++)
		free(q->choices[i]);
	memset(q, 0, sizeof *q);
}

/* The n-th (0-based) space-separated word of a line, its length in *wn. */
static const char *line_word(const char *t, size_t len, int nth, size_t *wn)
{
	size_t i = 0;
	for (;; nth--) {
		size_t k = i;
		while (i < len && t[i] != ' ')
			i++;
		if (nth == 0) {
			*wn = i - k;
			return t + k;
		}
		if (i == len)
			return NULL;
		i++;
	}
}

bool trace_reply_is(enum trace_proto proto, const char *text, size_t len, const char *code)
{
	size_t n = strlen(code), wn;
	const char *w;
	switch (proto) {
	case PROTO_SMTP:
		if (n == 3) /* "550 ..." or "550-...", the lines of a reply */
			return len >= 3 && memcmp(text, code, 3) == 0 &&
			       (len == 3 || text[3] == ' ' || text[3] == '-');
		if (len < 5 || (text[3] != ' ' && text[3] != '-'))
			return false;
		w = line_word(text + 4, len - 4, 0, &wn); /* the enhanced code, RFC 3463 */
		return wn == n && memcmp(w, code, n) == 0;
	case PROTO_POP3:
		w = line_word(text, len, 0, &wn);
		return wn == n && memcmp(w, code, n) == 0;
	case PROTO_IMAP:
		if (strcmp(code, "+") == 0)
			return len >= 1 && text[0] == '+';
		w = line_word(text, len, 0, &wn);
		if (wn == 0 || (wn == 1 && (w[0] == '*' || w[0] == '+')))
			return false; /* untagged data, a continuation */
		w = line_word(text, len, 1, &wn);
		return w && wn == n && strncasecmp(w, code, n) == 0;
	default:
		return false;
	}
}
