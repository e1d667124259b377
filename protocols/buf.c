/*
 * buf.c - growable byte buffers and the wire (bytes plus line notes).
 */
#include "buf.h"
#include "i18n.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(void)
{
	fputs(_("mailsim: out of memory\n"), stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die_oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

bool mem_contains_nocase(const char *hay, size_t n, const char *needle, size_t m)
{
	if (m == 0)
		return true;
	for (size_t i = 0; i + m <= n; i++) {
		size_t k = 0;
		while (k < m) {
			char a = hay[i + k], b = needle[k];
			if (a >= 'A' && a <= 'Z')
				a = (char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (char)(b - 'A' + 'a');
			if (a != b)
				break;
			k++;
		}
		if (k == m)
			return true;
	}
	return false;
}

void buf_init(struct buf *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void buf_free(struct buf *b)
{
	free(b->p);
	buf_init(b);
}

void buf_clear(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	/* Try to format straight into the free space; only a result that does
	 * not fit is formatted a second time, after growing. */
	buf_reserve(b, 64);
	va_list ap2;
	va_copy(ap2, ap);
	size_t room = b->cap - b->len;
	int n = vsnprintf(b->p + b->len, room, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->p[b->len] = '\0';
		return;
	}
	if ((size_t)n >= room) {
		buf_reserve(b, (size_t)n);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
}

void buf_add_u64(struct buf *b, uint64_t v)
{
	char digits[20];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_reserve(b, n);
	while (n)
		b->p[b->len++] = digits[--n];
	b->p[b->len] = '\0';
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		buf_clear(b);
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	b->p[b->len] = '\0';
}

char *buf_steal(struct buf *b)
{
	char *p = b->p ? b->p : xstrdup("");
	buf_init(b);
	return p;
}

void wire_init(struct wire *w)
{
	buf_init(&w->data);
	w->notes = NULL;
	w->nnotes = 0;
	w->capnotes = 0;
}

void wire_free(struct wire *w)
{
	buf_free(&w->data);
	free(w->notes);
	wire_init(w);
}

void wire_clear(struct wire *w)
{
	buf_clear(&w->data);
	w->nnotes = 0;
}

void wire_note_here(struct wire *w, const char *note)
{
	if (!note)
		return;
	if (w->nnotes == w->capnotes) {
		w->capnotes = w->capnotes ? w->capnotes * 2 : 8;
		w->notes = xrealloc(w->notes, w->capnotes * sizeof *w->notes);
	}
	w->notes[w->nnotes].off = w->data.len;
	w->notes[w->nnotes].note = note;
	w->nnotes++;
}

void wire_line(struct wire *w, const char *note, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	wire_vline(w, note, fmt, ap);
	va_end(ap);
}

void wire_vline(struct wire *w, const char *note, const char *fmt, va_list ap)
{
	wire_note_here(w, note);
	buf_vprintf(&w->data, fmt, ap);
	buf_add(&w->data, "\r\n", 2);
}

void wire_raw(struct wire *w, const void *p, size_t n)
{
	buf_add(&w->data, p, n);
}

const char *wire_note_at(const struct wire *w, size_t off)
{
	/* Notes are appended in offset order: binary search. */
	size_t lo = 0, hi = w->nnotes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->notes[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < w->nnotes && w->notes[lo].off == off)
		return w->notes[lo].note;
	return NULL;
}

size_t line_reader_feed(struct line_reader *r, const char *in, size_t len, bool *done,
			size_t *textlen)
{
	const char *lf = memchr(in, '\n', len);
	size_t n = lf ? (size_t)(lf - in) : len;
	size_t room = r->cap - 1 - r->n;
	if (n > room)
		r->overflow = true;
	size_t ncopy = n < room ? n : room;
	memcpy(r->p + r->n, in, ncopy);
	r->n += ncopy;
	*done = lf != NULL;
	if (!lf)
		return len;
	size_t t = r->n;
	if (t > 0 && r->p[t - 1] == '\r')
		t--;
	r->p[t] = '\0';
	*textlen = t;
	return n + 1;
}

void line_reader_next(struct line_reader *r)
{
	r->n = 0;
	r->overflow = false;
}

long utf8_decode(const unsigned char *s, size_t n, size_t *len)
{
	assert(n > 0);
	unsigned char c = s[0];
	size_t l;
	long min;
	*len = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xC2 && c <= 0xDF) {
		l = 2;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		l = 3;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		l = 4;
		min = 0x10000;
	} else {
		return -1; /* a continuation byte, or a lead byte never used */
	}
	if (n < l)
		return -1;
	long cp = c & (0xFF >> (l + 1));
	for (size_t i = 1; i < l; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*len = l;
	return cp;
}

void error_keep_first(char **error, const char *why, size_t n)
{
	if (*error)
		return;
	char *e = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		e[i] = (unsigned char)why[i] < ' ' || why[i] == 0x7f ? '?' : why[i];
	e[n] = '\0';
	*error = e;
}
