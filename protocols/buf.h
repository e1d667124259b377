/*
 * buf.h - growable byte buffers, and the "wire": bytes plus teaching notes.
 *
 * Every engine in protocols/ writes what it wants to send into a struct wire.
 * The wire holds the raw bytes exactly as they go onto the link, and beside
 * them a note for any line that teaches something ("354: the server is ready
 * for the message itself").  The simulation cuts the bytes into lines for the
 * trace and looks up each line's note by the offset where the line starts.
 *
 * Allocation failure is treated as a broken invariant: the program aborts
 * with a message rather than limping on with a half-written buffer.
 */
#ifndef MAILSIM_BUF_H
#define MAILSIM_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))

struct buf {
	char *p;    /* the bytes; always NUL-terminated for convenience */
	size_t len; /* bytes in use, not counting the terminating NUL */
	size_t cap; /* bytes allocated */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_clear(struct buf *b);                 /* len = 0, keeps memory */
void buf_grow(struct buf *b, size_t extra);    /* the slow path of buf_reserve */

/* Room for `extra` more bytes (and the NUL). */
static inline void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 > b->cap)
		buf_grow(b, extra);
}

/* The appends are inline: the transcript and JSON views call them for
 * every byte of every record. */
static inline void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static inline void buf_addc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}
void buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);
void buf_add_u64(struct buf *b, uint64_t v); /* decimal, without printf */
void buf_consume(struct buf *b, size_t n);     /* drop n bytes from the front */
char *buf_steal(struct buf *b);                /* hand the memory to the caller */

/*
 * A command line being read, in a fixed buffer of `cap` bytes (the
 * protocol's limit plus one for a NUL).  Bytes are taken up to and
 * including one LF; of a line too long for the buffer the rest is read and
 * dropped, and the line is reported as overflowing at its LF, so the next
 * line is read in step.  A lone LF ends a line as well as CRLF: a student
 * typing into nc (without -C) sends LF, and a command line cannot smuggle
 * anything (the data phases, where only CRLF counts, have their own
 * machines).
 */
struct line_reader {
	char *p;         /* the caller's buffer */
	size_t cap;      /* its size */
	size_t n;        /* bytes of the line so far */
	bool overflow;   /* the line is longer than the buffer */
};

/* Take bytes from in; returns how many were used.  When a line ended,
 * *done is true and the line's text (without CR LF) is r->p[0..*textlen),
 * NUL-terminated, with r->overflow telling whether it was cut; call
 * line_reader_next() after handling it. */
size_t line_reader_feed(struct line_reader *r, const char *in, size_t len, bool *done,
			size_t *textlen);
void line_reader_next(struct line_reader *r);

/* The code point of the UTF-8 character at s (n > 0 bytes left), and its
 * length (1 to 4) in *len; -1, with *len 1, where the bytes are not valid
 * UTF-8 (RFC 3629 section 3: no overlong forms, no surrogates, nothing past
 * U+10FFFF), so that a caller always moves forward.  The one decoder that
 * the scenario lexer, MIME and the views share. */
long utf8_decode(const unsigned char *s, size_t n, size_t *len);

/* A sticky error, as the client engines keep it: the first thing that went
 * wrong wins, so a later problem (the server closing the connection after
 * a wrong password, say) does not hide the cause.  If *error is NULL it
 * becomes a copy of why[0..n), with control bytes (a NUL, a terminal
 * escape) as "?": safe to print, and a NUL cannot cut it short. */
void error_keep_first(char **error, const char *why, size_t n);

/* Memory helpers that abort on exhaustion. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Does hay[0..n) contain needle[0..m), ignoring ASCII case?  The plain
 * quadratic scan: messages and needles are small, and it is obviously
 * right. */
bool mem_contains_nocase(const char *hay, size_t n, const char *needle, size_t m);

/* A note attached to the line that starts at byte offset `off` of a wire. */
struct wire_note {
	size_t off;
	const char *note; /* static storage: notes are string literals */
};

struct wire {
	struct buf data;         /* bytes to send, exactly as on the link */
	struct wire_note *notes; /* notes, in increasing offset order */
	size_t nnotes, capnotes;
};

void wire_init(struct wire *w);
void wire_free(struct wire *w);
void wire_clear(struct wire *w);
/* Append one line: the formatted text, then CRLF, with an optional note. */
void wire_line(struct wire *w, const char *note, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* The same, for a function that takes a format of its own. */
void wire_vline(struct wire *w, const char *note, const char *fmt, va_list ap) PRINTF_LIKE(3, 0);
/* Append raw bytes (message content); the caller supplies any CRLF. */
void wire_raw(struct wire *w, const void *p, size_t n);
/* Attach a note to the line starting at the current end of the data. */
void wire_note_here(struct wire *w, const char *note);
/* The note for the line starting at `off`, or NULL. */
const char *wire_note_at(const struct wire *w, size_t off);

#endif
