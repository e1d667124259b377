/*
 * imap_msg.c - what IMAP needs to know about one message (RFC 3501 7.4.2):
 * its ENVELOPE, its BODYSTRUCTURE, the octets of a BODY[section], the text
 * searches of SEARCH, and the date formats IMAP uses.
 *
 * Everything here is a pure function over the message's bytes: no I/O, no
 * clock, no locale, no state kept between calls.  The message may be
 * malformed in any way (broken MIME, garbage headers, bare LF line ends);
 * nothing reads past the length it was given, and the worst a broken
 * message gets is a plainer structure.
 *
 * The model.  A message is an *entity*: a header block (ending at the
 * first empty line) and a body.  A MIME part is an entity too, whose header
 * holds only the Content-* fields.  A multipart entity's body is cut into
 * child entities at its boundary lines (RFC 2046 5.1.1); a message/rfc822
 * entity's body is itself a whole message, an entity again.  ENVELOPE,
 * BODYSTRUCTURE and BODY[section] are three walks over this one tree.
 *
 * Choices worth knowing (the RFCs leave them open):
 * - BODYSTRUCTURE gives type, subtype, parameter names, the encoding and
 *   the disposition type in upper case (as Cyrus and the RFC 3501 examples
 *   do); parameter values are given as written (a boundary is
 *   case-sensitive).  A message without a usable Content-Type is
 *   ("TEXT" "PLAIN" ("CHARSET" "us-ascii") ...), RFC 2045 5.2, and a text
 *   part without a charset gets "CHARSET" "us-ascii" after its own
 *   parameters (RFC 2046 4.1.2; Dovecot does the same).
 * - "lines" counts line ends (LF) in the body, as Dovecot does: a last
 *   line without one (a part's, before its boundary) is not counted.
 * - A multipart whose boundary never appears has one part: its whole body,
 *   as headerless text/plain (the grammar needs at least one part).  A
 *   missing close-delimiter ends the last part at the end of the body.
 * - Entities nested deeper than IMAP_MSG_DEPTH_MAX are described as
 *   application/octet-stream and not opened, so a hostile message cannot
 *   exhaust the stack.
 * - An address without "@" gets host "" (a NIL host would make it a group
 *   marker, RFC 3501 7.4.2).
 * - An address without a phrase takes its display name from a trailing
 *   comment, "user@domain (Real Name)" (RFC 822's legacy form; Dovecot and
 *   Cyrus do the same).  SEARCH FROM/TO/CC/BCC match an address field as
 *   written and as its addresses read, "Real Name <user@domain>".
 * - A message whose own type is message/rfc822 has a part 1 like any
 *   single-part message: its body, the message inside, whole; "1.1" is
 *   that message's part 1 (entity_child() explains).
 */
#include "imap_msg.h"
#include "mime.h"

#include <string.h>

/* Entities nested deeper than this (multiparts and message/rfc822 inside
 * each other) are not opened. */
#define IMAP_MSG_DEPTH_MAX 32
/* A value longer than this goes out as a literal rather than quoted. */
#define IMAP_MSG_QUOTED_MAX_OCTETS 1024
/* Parameters of one Content-Type or Content-Disposition we keep. */
#define IMAP_MSG_PARAMS_MAX 32

/* ------------------------------------------------------------ small helpers */

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Line ends in s[0..n).  A part's last line has none: the CRLF before a
 * boundary belongs to the boundary (RFC 2046 5.1.1), so "text\r\n--b" is
 * a body of 0 lines, as Dovecot and UW imapd count it. */
static size_t count_lines(const char *s, size_t n)
{
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	return lines;
}

/* --------------------------------------------------------- IMAP strings */

/*
 * An IMAP string (RFC 3501 4.3): NIL for no value, a quoted string for
 * short 7-bit text on one line (with \ before " and \), else a literal
 * "{n}" CRLF followed by the n octets as they are.
 */
static void put_string(struct buf *out, const char *s, size_t n)
{
	if (!s) {
		buf_adds(out, "NIL");
		return;
	}
	bool quotable = n <= IMAP_MSG_QUOTED_MAX_OCTETS;
	for (size_t i = 0; i < n && quotable; i++) {
		unsigned char c = (unsigned char)s[i];
		quotable = c != 0 && c < 0x80 && c != '\r' && c != '\n';
	}
	if (!quotable) {
		buf_addc(out, '{');
		buf_add_u64(out, n);
		buf_adds(out, "}\r\n");
		buf_add(out, s, n);
		return;
	}
	buf_addc(out, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_addc(out, '\\');
		buf_addc(out, s[i]);
	}
	buf_addc(out, '"');
}

/* The same in upper case (types, subtypes, parameter names). */
static void put_upper(struct buf *out, const char *s, size_t n)
{
	struct buf up;
	buf_init(&up);
	buf_add(&up, "", 0);
	for (size_t i = 0; i < n; i++)
		buf_addc(&up, ascii_upper(s[i]));
	put_string(out, up.p, up.len);
	buf_free(&up);
}

/* A header's unfolded value as an nstring: NIL if the field is absent. */
static void put_header(struct buf *out, const char *hdr, size_t hdrlen, const char *name)
{
	struct buf v;
	buf_init(&v);
	if (mime_header_get(hdr, hdrlen, name, &v))
		put_string(out, v.p ? v.p : "", v.len);
	else
		buf_adds(out, "NIL");
	buf_free(&v);
}

/* --------------------------------------------------------- header fields */

/* One field of a header block, continuation lines included. */
struct field {
	size_t start, end;   /* the whole field, line end(s) included */
	size_t name_end;     /* the name is [start, name_end); empty if no colon */
	size_t value, value_end; /* after the colon, to before the last line end */
};

/*
 * The field starting at *off in h[0..len), moving *off past it.  False at
 * the empty line that ends the header block, or at len.  A line without a
 * colon (garbage) is a field with an empty name, so that it matches no
 * name but is kept whole by HEADER and HEADER.FIELDS.NOT.
 */
static bool field_next(const char *h, size_t len, size_t *off, struct field *f)
{
	if (*off >= len)
		return false;
	size_t end, next = mime_next_line(h, len, *off, &end);
	if (end == *off)
		return false;
	f->start = *off;
	const char *colon = memchr(h + *off, ':', end - *off);
	if (colon && !is_wsp(h[*off])) {
		size_t c = (size_t)(colon - h);
		f->name_end = c;
		while (f->name_end > f->start && is_wsp(h[f->name_end - 1]))
			f->name_end--; /* obsolete syntax: blanks before the colon */
		f->value = c + 1;
	} else {
		f->name_end = f->start;
		f->value = f->start;
	}
	f->value_end = end;
	while (next < len && is_wsp(h[next])) /* continuation lines */
		next = mime_next_line(h, len, next, &f->value_end);
	f->end = next;
	*off = next;
	return true;
}

/* ------------------------------------------------- Content-Type parsing */

/* Skip blanks and (nested) comments. */
static size_t skip_cfws(const char *s, size_t n, size_t i)
{
	int depth = 0;
	while (i < n) {
		if (depth > 0) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '(')
				depth++;
			else if (s[i] == ')')
				depth--;
		} else if (s[i] == '(') {
			depth = 1;
		} else if (!is_blank(s[i])) {
			break;
		}
		i++;
	}
	return i < n ? i : n;
}

/* RFC 2045 5.1: token := 1*<any (US-ASCII) CHAR except SPACE, CTLs, or
 * tspecials>. */
static bool is_token_char(char c)
{
	unsigned char u = (unsigned char)c;
	return u > 0x20 && u < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

static size_t scan_token(const char *s, size_t n, size_t i)
{
	while (i < n && is_token_char(s[i]))
		i++;
	return i;
}

struct param {
	struct buf name, value;
};

/* A Content-Type ("type/subtype; a=b") or Content-Disposition
 * ("attachment; filename=x", no subtype), parsed. */
struct ctype {
	struct buf type, subtype; /* lower case */
	struct param params[IMAP_MSG_PARAMS_MAX];
	size_t nparams;
};

static void ctype_init(struct ctype *ct)
{
	buf_init(&ct->type);
	buf_init(&ct->subtype);
	for (size_t i = 0; i < IMAP_MSG_PARAMS_MAX; i++) {
		buf_init(&ct->params[i].name);
		buf_init(&ct->params[i].value);
	}
	ct->nparams = 0;
}

static void ctype_free(struct ctype *ct)
{
	buf_free(&ct->type);
	buf_free(&ct->subtype);
	for (size_t i = 0; i < IMAP_MSG_PARAMS_MAX; i++) {
		buf_free(&ct->params[i].name);
		buf_free(&ct->params[i].value);
	}
}

static void ctype_set(struct ctype *ct, const char *type, const char *subtype)
{
	buf_clear(&ct->type);
	buf_adds(&ct->type, type);
	buf_clear(&ct->subtype);
	buf_adds(&ct->subtype, subtype);
	ct->nparams = 0;
}

static void add_lower(struct buf *b, const char *s, size_t n)
{
	buf_add(b, "", 0);
	for (size_t i = 0; i < n; i++)
		buf_addc(b, ascii_lower(s[i]));
}

/*
 * Parse a Content-Type value (with_subtype) or a Content-Disposition value.
 * False if it does not begin with a valid type (and subtype).  Parameters
 * that do not parse are skipped up to the next ";".  Values keep their
 * case; quoted values lose their quotes and backslashes.
 */
static bool ctype_parse(struct ctype *ct, const char *s, size_t n, bool with_subtype)
{
	buf_clear(&ct->type);
	buf_clear(&ct->subtype);
	ct->nparams = 0;
	size_t i = skip_cfws(s, n, 0), e = scan_token(s, n, i);
	if (e == i)
		return false;
	add_lower(&ct->type, s + i, e - i);
	i = skip_cfws(s, n, e);
	if (with_subtype) {
		if (i >= n || s[i] != '/')
			return false;
		i = skip_cfws(s, n, i + 1);
		e = scan_token(s, n, i);
		if (e == i)
			return false;
		add_lower(&ct->subtype, s + i, e - i);
		i = skip_cfws(s, n, e);
	}
	while (i < n) {
		if (s[i] != ';') { /* garbage: skip to the next parameter */
			while (i < n && s[i] != ';')
				i++;
			continue;
		}
		i = skip_cfws(s, n, i + 1);
		size_t name = i, name_end = scan_token(s, n, i);
		i = skip_cfws(s, n, name_end);
		if (name_end == name || i >= n || s[i] != '=')
			continue; /* not "name=": the loop skips to ";" */
		i = skip_cfws(s, n, i + 1);
		if (ct->nparams == IMAP_MSG_PARAMS_MAX)
			break;
		struct param *p = &ct->params[ct->nparams];
		buf_clear(&p->name);
		buf_clear(&p->value);
		buf_add(&p->value, "", 0);
		if (i < n && s[i] == '"') {
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < n)
					i++;
				if (s[i] != '\r' && s[i] != '\n')
					buf_addc(&p->value, s[i]);
			}
			i = i < n ? i + 1 : n;
		} else {
			/* Lenient: a value up to ";" or a blank, tspecials and all
			 * (mailers write "name=a/b.txt" unquoted). */
			size_t v = i;
			while (i < n && s[i] != ';' && !is_blank(s[i]))
				i++;
			buf_add(&p->value, s + v, i - v);
		}
		add_lower(&p->name, s + name, name_end - name);
		ct->nparams++;
		i = skip_cfws(s, n, i);
	}
	return true;
}

static bool ctype_is(const struct ctype *ct, const char *type, const char *subtype)
{
	return mime_eq_nocase(ct->type.p, ct->type.len, type) &&
	       (!subtype || mime_eq_nocase(ct->subtype.p, ct->subtype.len, subtype));
}

static const struct buf *ctype_param(const struct ctype *ct, const char *name)
{
	for (size_t i = 0; i < ct->nparams; i++)
		if (mime_eq_nocase(ct->params[i].name.p, ct->params[i].name.len, name))
			return &ct->params[i].value;
	return NULL;
}

/* ("NAME" "value" ...) or NIL. */
static void put_params(struct buf *out, const struct ctype *ct)
{
	if (ct->nparams == 0) {
		buf_adds(out, "NIL");
		return;
	}
	buf_addc(out, '(');
	for (size_t i = 0; i < ct->nparams; i++) {
		if (i > 0)
			buf_addc(out, ' ');
		put_upper(out, ct->params[i].name.p, ct->params[i].name.len);
		buf_addc(out, ' ');
		put_string(out, ct->params[i].value.p, ct->params[i].value.len);
	}
	buf_addc(out, ')');
}

/* ------------------------------------------------------------- entities */

/* A message or a MIME part: a header block and a body. */
struct entity {
	const char *hdr;     /* the header block, with the empty line ending it */
	size_t hdrlen;
	const char *body;
	size_t bodylen;
	bool in_digest;      /* a part of multipart/digest: the default type is
			      * message/rfc822 (RFC 2046 5.1.5) */
	bool is_message;     /* a whole message (top level or encapsulated): its
			      * part 1 is its body if it is not multipart */
	int depth;           /* how deep in the tree (the top is 0) */
};

static void entity_init(struct entity *e, const char *p, size_t n, int depth)
{
	if (!p) {
		p = "";
		n = 0;
	}
	size_t b = mime_body_offset(p, n);
	e->hdr = p;
	e->hdrlen = b;
	e->body = p + b;
	e->bodylen = n - b;
	e->in_digest = false;
	e->is_message = false;
	e->depth = depth;
}

/*
 * The entity's content type.  Missing or broken: text/plain;
 * charset=us-ascii (message/rfc822 in a digest).  Too deep: a multipart or
 * message becomes application/octet-stream, never opened.
 */
static void entity_ctype(const struct entity *e, struct ctype *ct)
{
	struct buf v;
	buf_init(&v);
	bool ok = mime_header_get(e->hdr, e->hdrlen, "Content-Type", &v) &&
		  ctype_parse(ct, v.p, v.len, true);
	buf_free(&v);
	if (!ok && e->in_digest) {
		ctype_set(ct, "message", "rfc822");
	} else if (!ok) {
		ctype_set(ct, "text", "plain"); /* the default (RFC 2045 5.2) */
	}
	if (ctype_is(ct, "text", NULL) && !ctype_param(ct, "charset") &&
	    ct->nparams < IMAP_MSG_PARAMS_MAX) {
		/* text without a charset is US-ASCII (RFC 2046 4.1.2): named
		 * after the parameters given, as Dovecot names it */
		struct param *p = &ct->params[ct->nparams++];
		buf_clear(&p->name);
		buf_clear(&p->value);
		buf_adds(&p->name, "charset");
		buf_adds(&p->value, "us-ascii");
	}
	bool opens = ctype_is(ct, "multipart", NULL) || ctype_is(ct, "message", "rfc822");
	if (opens && e->depth >= IMAP_MSG_DEPTH_MAX)
		ctype_set(ct, "application", "octet-stream");
	const struct buf *bd = ctype_param(ct, "boundary");
	if (ctype_is(ct, "multipart", NULL) && (!bd || bd->len == 0))
		ctype_set(ct, "text", "plain"); /* cannot be cut: read it as text */
}

/* The message inside a message/rfc822 entity. */
static void entity_inner(const struct entity *e, struct entity *inner)
{
	entity_init(inner, e->body, e->bodylen, e->depth + 1);
	inner->is_message = true;
}

/*
 * Walking the parts of a multipart body (RFC 2046 5.1.1).  A delimiter is
 * a line "--boundary", a close-delimiter "--boundary--", either followed
 * only by blanks.  The line end before a delimiter belongs to the
 * delimiter, not to the part.  Text before the first delimiter (preamble)
 * and after the close-delimiter (epilogue) belongs to no part.
 */
struct parts {
	const char *body;
	size_t len;
	const char *bd;   /* the boundary */
	size_t bdlen;
	size_t off;       /* where the next part starts */
	bool done;
};

/* 0: not a delimiter line; 1: a delimiter; 2: the close-delimiter. */
static int delimiter_kind(const struct parts *it, size_t line, size_t end)
{
	const char *s = it->body + line;
	size_t n = end - line;
	if (n < 2 + it->bdlen || s[0] != '-' || s[1] != '-' ||
	    memcmp(s + 2, it->bd, it->bdlen) != 0)
		return 0;
	size_t i = 2 + it->bdlen;
	int kind = 1;
	if (i + 2 <= n && s[i] == '-' && s[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	while (i < n && is_wsp(s[i]))
		i++;
	return i == n ? kind : 0;
}

static void parts_init(struct parts *it, const char *body, size_t len, const struct buf *bd)
{
	it->body = body;
	it->len = len;
	it->bd = bd->p ? bd->p : "";
	it->bdlen = bd->len;
	it->done = true;
	it->off = len;
	size_t off = 0;
	while (off < len) {
		size_t end, next = mime_next_line(body, len, off, &end);
		int kind = delimiter_kind(it, off, end);
		if (kind == 1) {
			it->off = next;
			it->done = false;
			return;
		}
		if (kind == 2)
			return;
		off = next;
	}
}

/* The next part as [*start, *start + *n); false when there are no more. */
static bool parts_next(struct parts *it, size_t *start, size_t *n)
{
	if (it->done)
		return false;
	size_t off = it->off;
	*start = off;
	while (off < it->len) {
		size_t end, next = mime_next_line(it->body, it->len, off, &end);
		int kind = delimiter_kind(it, off, end);
		if (kind) {
			size_t e = off;
			if (e > *start && it->body[e - 1] == '\n')
				e--;
			if (e > *start && it->body[e - 1] == '\r')
				e--;
			*n = e - *start;
			it->off = next;
			it->done = kind == 2;
			return true;
		}
		off = next;
	}
	*n = it->len - *start; /* no close-delimiter: the part runs to the end */
	it->done = true;
	return true;
}

/* The parts of a multipart entity as entities, one after the other.  A
 * multipart without any delimiter has one headerless part: its body. */
struct children {
	struct parts it;
	const struct entity *parent;
	bool digest;         /* multipart/digest */
	bool headerless;     /* no delimiter at all: one part, not given yet */
};

static void children_init(struct children *c, const struct entity *e, const struct ctype *ct)
{
	parts_init(&c->it, e->body, e->bodylen, ctype_param(ct, "boundary"));
	c->parent = e;
	c->digest = ctype_is(ct, "multipart", "digest");
	c->headerless = c->it.done;
}

static bool children_next(struct children *c, struct entity *child)
{
	const struct entity *e = c->parent;
	size_t start, n;
	if (c->headerless) {
		c->headerless = false;
		entity_init(child, e->body, 0, e->depth + 1);
		child->body = e->body;
		child->bodylen = e->bodylen;
		return true;
	}
	if (!parts_next(&c->it, &start, &n))
		return false;
	entity_init(child, e->body + start, n, e->depth + 1);
	child->in_digest = c->digest;
	return true;
}

/* Part `which` (from 1) of a multipart entity whose type is ct. */
static bool multipart_child(const struct entity *e, const struct ctype *ct, size_t which,
			    struct entity *child)
{
	struct children c;
	children_init(&c, e, ct);
	for (size_t i = 1; children_next(&c, child); i++)
		if (i == which)
			return true;
	return false;
}

/*
 * Part `which` of e, RFC 3501 6.4.5: of a multipart, its which-th part; a
 * message that is not multipart has only part 1, its body; of a
 * message/rfc822 part, the parts of the message inside.
 *
 * The two last rules meet in a message whose own type is message/rfc822:
 * its part 1 is its body, which is the message inside, whole (as for any
 * message/rfc822 part), and "1.1" is then part 1 of that message.  So
 * "1" of a message never skips a level, whatever its type (Dovecot reads
 * it the same way).
 */
static bool entity_child(const struct entity *e, size_t which, struct entity *child)
{
	struct ctype ct;
	ctype_init(&ct);
	entity_ctype(e, &ct);
	bool found = false;
	if (ctype_is(&ct, "multipart", NULL)) {
		found = multipart_child(e, &ct, which, child);
	} else if (e->is_message) {
		if (which == 1) {
			/* The body as a part (e is not multipart here): it has
			 * parts of its own only if it is message/rfc822. */
			*child = *e;
			child->is_message = false;
			found = true;
		}
	} else if (ctype_is(&ct, "message", "rfc822")) {
		struct entity inner;
		entity_inner(e, &inner);
		found = entity_child(&inner, which, child);
	}
	ctype_free(&ct);
	return found;
}

/* ------------------------------------------------------------ addresses */

/*
 * Index of the first character of `set` in s[i..n) that stands outside
 * quoted strings, comments and domain literals, or n.  *which is that
 * character, or 0 at the end.
 */
static size_t scan_special(const char *s, size_t n, size_t i, const char *set, char *which)
{
	bool quoted = false, literal = false;
	int depth = 0;
	for (; i < n; i++) {
		char c = s[i];
		if (c == '\\' && (quoted || depth > 0 || literal)) {
			i++;
		} else if (quoted) {
			quoted = c != '"';
		} else if (depth > 0) {
			depth += c == '(' ? 1 : c == ')' ? -1 : 0;
		} else if (literal) {
			literal = c != ']';
		} else if (c == '(') {
			depth = 1;
		} else if (c == '"') {
			quoted = true;
		} else if (c == '[') {
			literal = true;
		} else if (c != '\0' && strchr(set, c)) {
			*which = c;
			return i;
		}
	}
	*which = 0;
	return n;
}

/*
 * A display name or group name as a client shows it: comments dropped,
 * quotes removed (and their backslashes), runs of blanks made one space,
 * trimmed.  Encoded words stay as written.
 */
static void phrase_clean(struct buf *out, const char *s, size_t n)
{
	bool quoted = false, space = false;
	int depth = 0;
	buf_add(out, "", 0);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (depth > 0) {
			if (c == '\\')
				i++;
			else
				depth += c == '(' ? 1 : c == ')' ? -1 : 0;
			continue;
		}
		if (!quoted && c == '(') {
			depth = 1;
			space = out->len > 0;
			continue;
		}
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted && c == '\\' && i + 1 < n)
			c = s[++i];
		if (c == '\r' || c == '\n')
			continue;
		if (!quoted && is_wsp(c)) {
			space = out->len > 0;
			continue;
		}
		if (space)
			buf_addc(out, ' ');
		space = false;
		buf_addc(out, c);
	}
}

/*
 * The text of the comment that ends s[0..n) (RFC 5322 3.2.2), without its
 * parentheses, as [*from, *to); false if s does not end in a comment
 * (blanks after it do not count).  This is where the RFC 822 legacy form
 * "user@domain (Real Name)" keeps its display name.
 */
static bool trailing_comment(const char *s, size_t n, size_t *from, size_t *to)
{
	bool quoted = false, found = false;
	int depth = 0;
	size_t open = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && (quoted || depth > 0)) {
			i++;
		} else if (quoted) {
			quoted = c != '"';
		} else if (c == '(') {
			if (depth++ == 0)
				open = i + 1;
		} else if (depth > 0) {
			if (c == ')' && --depth == 0) {
				*from = open;
				*to = i;
				found = true;
			}
		} else if (!is_blank(c)) {
			found = false; /* something follows the comment */
			quoted = c == '"';
		}
	}
	return found && depth == 0;
}

/* A comment's text as a display name: quoted-pairs unescaped, line ends
 * dropped, runs of blanks made one space, trimmed; nested comments kept
 * as written. */
static void comment_clean(struct buf *out, const char *s, size_t n)
{
	bool space = false;
	buf_add(out, "", 0);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n)
			c = s[++i];
		else if (c == '\r' || c == '\n')
			continue;
		else if (is_wsp(c)) {
			space = out->len > 0;
			continue;
		}
		if (space)
			buf_addc(out, ' ');
		space = false;
		buf_addc(out, c);
	}
}

/* One mailbox of an address list, taken apart. */
struct mailbox {
	struct buf name;   /* display name, cleaned; empty if none */
	struct buf addr;   /* the address without comments and blanks */
	size_t route;      /* addr[0..route - 1) is an obsolete route; 0: none */
	size_t at;         /* the "@" between mailbox and host, or addr.len */
};

/* What an address list holds, in order, as address_list_walk() gives it. */
enum address_item {
	ADDRESS_MAILBOX,     /* m holds a mailbox */
	ADDRESS_GROUP_START, /* m->name holds the group's name */
	ADDRESS_GROUP_END,
};

typedef void address_fn(void *ctx, enum address_item item, const struct mailbox *m);

/*
 * Take apart a mailbox: a phrase (name, may be empty) and an address,
 * within the whole mailbox text `all` (for its trailing comment).  With no
 * phrase, a trailing comment is the display name (RFC 822's legacy
 * "user@domain (Real Name)", read so by Dovecot and Cyrus).  False if there
 * is nothing there ("a@b,,c@d").
 */
static bool mailbox_parse(struct mailbox *m, const char *name, size_t namelen, const char *addr,
			  size_t addrlen, const char *all, size_t alllen)
{
	buf_clear(&m->name);
	buf_clear(&m->addr);
	phrase_clean(&m->name, name, namelen);
	size_t from = 0, to = 0;
	if (m->name.len == 0 && trailing_comment(all, alllen, &from, &to))
		comment_clean(&m->name, all + from, to - from);
	/* The address without comments and blanks outside quotes. */
	struct buf *a = &m->addr;
	buf_add(a, "", 0);
	bool quoted = false;
	int depth = 0;
	for (size_t i = 0; i < addrlen; i++) {
		char c = addr[i];
		if (depth > 0) {
			if (c == '\\')
				i++;
			else
				depth += c == '(' ? 1 : c == ')' ? -1 : 0;
		} else if (quoted) {
			buf_addc(a, c);
			if (c == '\\' && i + 1 < addrlen)
				buf_addc(a, addr[++i]);
			else if (c == '"')
				quoted = false;
		} else if (c == '(') {
			depth = 1;
		} else if (!is_blank(c)) {
			quoted = c == '"';
			buf_addc(a, c);
		}
	}
	if (m->name.len == 0 && a->len == 0)
		return false;
	/* RFC 5322 4.4 obsolete route "@relay1,@relay2:user@host". */
	char which;
	m->route = 0;
	if (a->len > 0 && a->p[0] == '@') {
		size_t colon = scan_special(a->p, a->len, 0, ":", &which);
		if (which)
			m->route = colon + 1;
	}
	/* The last "@" outside quotes splits mailbox and host. */
	m->at = a->len;
	size_t i = m->route;
	for (;;) {
		size_t k = scan_special(a->p, a->len, i, "@", &which);
		if (!which)
			break;
		m->at = k;
		i = k + 1;
	}
	return true;
}

/*
 * Walk an address list (RFC 5322 3.4): every mailbox, and the start and
 * end of every group "name: a, b;", in order, to fn.
 */
static void address_list_walk(const char *v, size_t n, address_fn *fn, void *ctx)
{
	struct mailbox m;
	buf_init(&m.name);
	buf_init(&m.addr);
	bool in_group = false;
	size_t i = 0;
	while (i < n) {
		char which;
		size_t start = i;
		size_t j = scan_special(v, n, i, in_group ? ",;<" : ",;<:", &which);
		if (which == ':') {
			buf_clear(&m.name);
			phrase_clean(&m.name, v + i, j - i);
			fn(ctx, ADDRESS_GROUP_START, &m);
			in_group = true;
			i = j + 1;
			continue;
		}
		bool any;
		if (which == '<') {
			char w2;
			size_t k = scan_special(v, n, j + 1, ">", &w2);
			size_t after = k < n ? k + 1 : n;
			size_t end = scan_special(v, n, after, ",;", &which); /* trailing comments */
			any = mailbox_parse(&m, v + i, j - i, v + j + 1, k - j - 1, v + start,
					    end - start);
			j = end;
		} else {
			any = mailbox_parse(&m, "", 0, v + i, j - i, v + i, j - i);
		}
		if (any)
			fn(ctx, ADDRESS_MAILBOX, &m);
		if (which == ';' && in_group) {
			fn(ctx, ADDRESS_GROUP_END, &m);
			in_group = false;
		}
		i = j < n ? j + 1 : n;
	}
	if (in_group) /* "name: a, b" without its ";" */
		fn(ctx, ADDRESS_GROUP_END, &m);
	buf_free(&m.name);
	buf_free(&m.addr);
}

/*
 * As IMAP address structures (RFC 3501 7.4.2), appended to the buf ctx
 * without the outer parentheses: a mailbox is (name adl mailbox host), a
 * group "name: a, b;" becomes (NIL NIL "name" NIL) a b (NIL NIL NIL NIL).
 */
static void put_address_item(void *ctx, enum address_item item, const struct mailbox *m)
{
	struct buf *out = ctx;
	switch (item) {
	case ADDRESS_GROUP_START:
		buf_adds(out, "(NIL NIL ");
		put_string(out, m->name.p ? m->name.p : "", m->name.len);
		buf_adds(out, " NIL)");
		break;
	case ADDRESS_GROUP_END:
		buf_adds(out, "(NIL NIL NIL NIL)");
		break;
	case ADDRESS_MAILBOX: {
		const struct buf *a = &m->addr;
		buf_addc(out, '(');
		put_string(out, m->name.len ? m->name.p : NULL, m->name.len);
		buf_addc(out, ' ');
		put_string(out, m->route ? a->p : NULL, m->route ? m->route - 1 : 0);
		buf_addc(out, ' ');
		put_string(out, a->p + m->route, m->at - m->route);
		buf_addc(out, ' ');
		if (m->at < a->len)
			put_string(out, a->p + m->at + 1, a->len - m->at - 1);
		else
			put_string(out, "", 0);
		buf_addc(out, ')');
		break;
	}
	}
}

static void put_address_list(struct buf *out, const char *v, size_t n)
{
	address_list_walk(v, n, put_address_item, out);
}

/* The address list of header `name` as "(...)", or NIL if the header is
 * absent or holds no address.  True if it wrote a list. */
static bool put_addresses(struct buf *out, const char *hdr, size_t hdrlen, const char *name)
{
	struct buf v, list;
	buf_init(&v);
	buf_init(&list);
	if (mime_header_get(hdr, hdrlen, name, &v))
		put_address_list(&list, v.p, v.len);
	bool any = list.len > 0;
	if (any) {
		buf_addc(out, '(');
		buf_add(out, list.p, list.len);
		buf_addc(out, ')');
	}
	buf_free(&v);
	buf_free(&list);
	return any;
}

/* ------------------------------------------------------------- envelope */

static void envelope(struct buf *out, const char *hdr, size_t hdrlen)
{
	buf_addc(out, '(');
	put_header(out, hdr, hdrlen, "Date");
	buf_addc(out, ' ');
	put_header(out, hdr, hdrlen, "Subject");
	buf_addc(out, ' ');
	/* from, then sender and reply-to, which default to from */
	size_t from_at = out->len;
	if (!put_addresses(out, hdr, hdrlen, "From"))
		buf_adds(out, "NIL");
	size_t from_len = out->len - from_at;
	static const char *const from_like[] = {"Sender", "Reply-To"};
	for (size_t k = 0; k < 2; k++) {
		buf_addc(out, ' ');
		if (!put_addresses(out, hdr, hdrlen, from_like[k])) {
			buf_reserve(out, from_len); /* out->p may move: copy after */
			buf_add(out, out->p + from_at, from_len);
		}
	}
	static const char *const others[] = {"To", "Cc", "Bcc"};
	for (size_t k = 0; k < 3; k++) {
		buf_addc(out, ' ');
		if (!put_addresses(out, hdr, hdrlen, others[k]))
			buf_adds(out, "NIL");
	}
	buf_addc(out, ' ');
	put_header(out, hdr, hdrlen, "In-Reply-To");
	buf_addc(out, ' ');
	put_header(out, hdr, hdrlen, "Message-ID");
	buf_addc(out, ')');
}

void imap_msg_envelope(struct buf *out, const char *msg, size_t len)
{
	struct entity e;
	entity_init(&e, msg, len, 0);
	envelope(out, e.hdr, e.hdrlen);
}

/* -------------------------------------------------------- bodystructure */

/* body-fld-dsp: ("ATTACHMENT" ("FILENAME" "x")) or NIL. */
static void put_disposition(struct buf *out, const struct entity *e)
{
	struct buf v;
	struct ctype d;
	buf_init(&v);
	ctype_init(&d);
	if (mime_header_get(e->hdr, e->hdrlen, "Content-Disposition", &v) &&
	    ctype_parse(&d, v.p, v.len, false)) {
		buf_addc(out, '(');
		put_upper(out, d.type.p, d.type.len);
		buf_addc(out, ' ');
		put_params(out, &d);
		buf_addc(out, ')');
	} else {
		buf_adds(out, "NIL");
	}
	ctype_free(&d);
	buf_free(&v);
}

/* body-fld-lang: "en", ("en" "fr") or NIL, from Content-Language. */
static void put_language(struct buf *out, const struct entity *e)
{
	struct buf v, list;
	buf_init(&v);
	buf_init(&list);
	size_t count = 0;
	if (mime_header_get(e->hdr, e->hdrlen, "Content-Language", &v)) {
		size_t i = 0;
		while (i < v.len) {
			char which;
			size_t j = scan_special(v.p, v.len, i, ",", &which);
			size_t a = skip_cfws(v.p, j, i), b = scan_token(v.p, j, a);
			if (b > a) {
				if (count++)
					buf_addc(&list, ' ');
				put_string(&list, v.p + a, b - a);
			}
			i = j + 1;
		}
	}
	if (count == 0)
		buf_adds(out, "NIL");
	else if (count == 1)
		buf_add(out, list.p, list.len);
	else
		buf_printf(out, "(%s)", list.p);
	buf_free(&v);
	buf_free(&list);
}

/* The extension data both kinds share: disposition, language, location. */
static void put_ext_tail(struct buf *out, const struct entity *e)
{
	buf_addc(out, ' ');
	put_disposition(out, e);
	buf_addc(out, ' ');
	put_language(out, e);
	buf_addc(out, ' ');
	put_header(out, e->hdr, e->hdrlen, "Content-Location");
}

static void body(struct buf *out, const struct entity *e, bool ext);

static void body_multipart(struct buf *out, const struct entity *e, const struct ctype *ct,
			   bool ext)
{
	buf_addc(out, '(');
	struct children c;
	struct entity child;
	children_init(&c, e, ct);
	while (children_next(&c, &child))
		body(out, &child, ext);
	buf_addc(out, ' ');
	put_upper(out, ct->subtype.p, ct->subtype.len);
	if (ext) {
		buf_addc(out, ' ');
		put_params(out, ct);
		put_ext_tail(out, e);
	}
	buf_addc(out, ')');
}

static void body_single(struct buf *out, const struct entity *e, const struct ctype *ct,
			bool ext)
{
	buf_addc(out, '(');
	put_upper(out, ct->type.p, ct->type.len);
	buf_addc(out, ' ');
	put_upper(out, ct->subtype.p, ct->subtype.len);
	buf_addc(out, ' ');
	put_params(out, ct);
	buf_addc(out, ' ');
	put_header(out, e->hdr, e->hdrlen, "Content-ID");
	buf_addc(out, ' ');
	put_header(out, e->hdr, e->hdrlen, "Content-Description");
	buf_addc(out, ' ');
	struct buf v;
	buf_init(&v);
	size_t a = 0, b = 0;
	if (mime_header_get(e->hdr, e->hdrlen, "Content-Transfer-Encoding", &v)) {
		a = skip_cfws(v.p, v.len, 0);
		b = scan_token(v.p, v.len, a);
	}
	if (b > a)
		put_upper(out, v.p + a, b - a);
	else
		buf_adds(out, "\"7BIT\"");
	buf_free(&v);
	buf_addc(out, ' ');
	buf_add_u64(out, e->bodylen);
	if (ctype_is(ct, "message", "rfc822")) {
		struct entity inner;
		entity_inner(e, &inner);
		buf_addc(out, ' ');
		envelope(out, inner.hdr, inner.hdrlen);
		buf_addc(out, ' ');
		body(out, &inner, ext);
		buf_addc(out, ' ');
		buf_add_u64(out, count_lines(e->body, e->bodylen));
	} else if (ctype_is(ct, "text", NULL)) {
		buf_addc(out, ' ');
		buf_add_u64(out, count_lines(e->body, e->bodylen));
	}
	if (ext) {
		buf_addc(out, ' ');
		put_header(out, e->hdr, e->hdrlen, "Content-MD5");
		put_ext_tail(out, e);
	}
	buf_addc(out, ')');
}

/* The BODYSTRUCTURE of one entity; recursion is bounded by entity_ctype,
 * which stops opening entities at IMAP_MSG_DEPTH_MAX. */
static void body(struct buf *out, const struct entity *e, bool ext)
{
	struct ctype ct;
	ctype_init(&ct);
	entity_ctype(e, &ct);
	if (ctype_is(&ct, "multipart", NULL))
		body_multipart(out, e, &ct, ext);
	else
		body_single(out, e, &ct, ext);
	ctype_free(&ct);
}

void imap_msg_bodystructure(struct buf *out, const char *msg, size_t len, bool extensible)
{
	struct entity e;
	entity_init(&e, msg, len, 0);
	e.is_message = true;
	body(out, &e, extensible);
}

/* -------------------------------------------------------------- sections */

/* What a section names after its part numbers. */
enum section_text {
	SECTION_BODY,        /* nothing: the whole message, or the part's body */
	SECTION_HEADER,
	SECTION_FIELDS,      /* HEADER.FIELDS (names) */
	SECTION_FIELDS_NOT,  /* HEADER.FIELDS.NOT (names) */
	SECTION_TEXT,
	SECTION_MIME,
};

/* Does s start with the keyword kw (case-insensitive)? */
static bool starts_kw(const char *s, const char *kw)
{
	size_t n = strlen(kw);
	for (size_t i = 0; i < n; i++)
		if (!s[i] || ascii_upper(s[i]) != kw[i])
			return false;
	return true;
}

/*
 * The header-list "(" header-fld-name *(SP header-fld-name) ")" at s, each
 * name (an atom or a quoted string) appended to names followed by a NUL.
 * False if malformed or if anything follows the ")".
 */
static bool parse_header_list(const char *s, struct buf *names)
{
	if (*s++ != '(')
		return false;
	size_t count = 0;
	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == ')')
			return count > 0 && s[1] == '\0';
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				buf_addc(names, *s);
			}
			if (*s++ != '"')
				return false;
		} else {
			const char *a = s;
			while (*s && *s != ' ' && *s != ')' && *s != '(' && *s != '"' &&
			       (unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f)
				s++;
			if (s == a)
				return false;
			buf_add(names, a, (size_t)(s - a));
		}
		buf_addc(names, '\0');
		count++;
		if (*s != ' ' && *s != ')')
			return false;
	}
}

static bool name_listed(const struct buf *names, const char *name, size_t n)
{
	for (size_t i = 0; i < names->len; i += strlen(names->p + i) + 1)
		if (mime_eq_nocase(name, n, names->p + i))
			return true;
	return false;
}

/* The fields of a header block that are (or, with not, are not) listed,
 * as written, then the empty line. */
static void header_fields(struct buf *out, const char *hdr, size_t hdrlen,
			  const struct buf *names, bool not)
{
	size_t off = 0;
	struct field f;
	while (field_next(hdr, hdrlen, &off, &f)) {
		bool listed = f.name_end > f.start &&
			      name_listed(names, hdr + f.start, f.name_end - f.start);
		if (listed != not)
			buf_add(out, hdr + f.start, f.end - f.start);
	}
	buf_adds(out, "\r\n");
}

int imap_msg_section(struct buf *out, const char *msg, size_t len, const char *section)
{
	const char *s = section ? section : "";
	size_t path[IMAP_MSG_DEPTH_MAX];
	size_t npath = 0;
	bool too_deep = false;

	/* section-part = nz-number *("." nz-number) */
	while (is_digit(*s)) {
		if (*s == '0')
			return -1;
		size_t v = 0;
		while (is_digit(*s)) {
			if (v > 100000000)
				return -1; /* no message has that many parts */
			v = v * 10 + (size_t)(*s++ - '0');
		}
		if (npath < IMAP_MSG_DEPTH_MAX)
			path[npath++] = v;
		else
			too_deep = true;
		if (*s == '\0')
			break;
		if (*s++ != '.')
			return -1;
		if (*s == '\0')
			return -1; /* "1." */
	}

	/* section-text */
	enum section_text what = SECTION_BODY;
	struct buf names;
	buf_init(&names);
	if (*s == '\0') {
		what = SECTION_BODY;
	} else if (starts_kw(s, "HEADER.FIELDS.NOT ")) {
		what = SECTION_FIELDS_NOT;
		s += strlen("HEADER.FIELDS.NOT ");
	} else if (starts_kw(s, "HEADER.FIELDS ")) {
		what = SECTION_FIELDS;
		s += strlen("HEADER.FIELDS ");
	} else if (starts_kw(s, "HEADER") && s[6] == '\0') {
		what = SECTION_HEADER;
	} else if (starts_kw(s, "TEXT") && s[4] == '\0') {
		what = SECTION_TEXT;
	} else if (starts_kw(s, "MIME") && s[4] == '\0' && npath > 0) {
		what = SECTION_MIME;
	} else {
		return -1;
	}
	if ((what == SECTION_FIELDS || what == SECTION_FIELDS_NOT) &&
	    !parse_header_list(s, &names)) {
		buf_free(&names);
		return -1;
	}
	buf_add(out, "", 0);

	/* Walk down to the entity the part numbers name. */
	struct entity e, child;
	entity_init(&e, msg, len, 0);
	e.is_message = true;
	bool found = !too_deep;
	for (size_t i = 0; i < npath && found; i++) {
		found = entity_child(&e, path[i], &child);
		e = child;
	}
	/* HEADER, HEADER.FIELDS and TEXT after part numbers are about the
	 * message inside a message/rfc822 part. */
	bool about_message = what != SECTION_BODY && what != SECTION_MIME;
	if (found && about_message && npath > 0) {
		struct ctype ct;
		ctype_init(&ct);
		entity_ctype(&e, &ct);
		found = ctype_is(&ct, "message", "rfc822");
		ctype_free(&ct);
		if (found) {
			entity_inner(&e, &child);
			e = child;
		}
	}
	if (!found) {
		buf_free(&names);
		return 0; /* a part that does not exist is empty */
	}
	switch (what) {
	case SECTION_BODY:
		if (npath == 0)
			buf_add(out, msg, msg ? len : 0);
		else
			buf_add(out, e.body, e.bodylen);
		break;
	case SECTION_HEADER:
	case SECTION_MIME:
		buf_add(out, e.hdr, e.hdrlen);
		break;
	case SECTION_FIELDS:
	case SECTION_FIELDS_NOT:
		header_fields(out, e.hdr, e.hdrlen, &names, what == SECTION_FIELDS_NOT);
		break;
	case SECTION_TEXT:
		buf_add(out, e.body, e.bodylen);
		break;
	}
	buf_free(&names);
	return 0;
}

/* --------------------------------------------------------------- search */

/* Search one header value: as written (unfolded) and with its encoded
 * words decoded. */
static bool value_matches(const char *v, size_t n, const char *needle, size_t m)
{
	struct buf raw, dec;
	buf_init(&raw);
	buf_init(&dec);
	for (size_t i = 0; i < n; i++)
		if (v[i] != '\r' && v[i] != '\n')
			buf_addc(&raw, v[i]);
	mime_decode_header_value(&dec, v, n);
	bool hit = mem_contains_nocase(raw.p, raw.len, needle, m) ||
		   mem_contains_nocase(dec.p, dec.len, needle, m);
	buf_free(&raw);
	buf_free(&dec);
	return hit;
}

/* The fields that hold address lists (RFC 5322 3.6.2, 3.6.3, 3.6.6). */
static bool is_address_field(const char *name, size_t n)
{
	static const char *const names[] = {"From", "Sender", "Reply-To", "To", "Cc", "Bcc",
					    "Resent-From", "Resent-Sender", "Resent-To",
					    "Resent-Cc", "Resent-Bcc"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (mime_eq_nocase(name, n, names[i]))
			return true;
	return false;
}

/* An address list as a reader sees it, being written. */
struct address_text {
	struct buf out;
	bool group_opened; /* a group name was just written */
};

/* "Name <mailbox@host>" (or "mailbox@host"), the name's encoded words
 * decoded; items joined by ", ", a group as "name: a, b;". */
static void address_text_item(void *ctx, enum address_item item, const struct mailbox *m)
{
	struct address_text *t = ctx;
	if (item == ADDRESS_GROUP_END) {
		buf_addc(&t->out, ';');
		t->group_opened = false;
		return;
	}
	if (t->group_opened)
		buf_addc(&t->out, ' ');
	else if (t->out.len > 0)
		buf_adds(&t->out, ", ");
	t->group_opened = item == ADDRESS_GROUP_START;
	if (m->name.len > 0)
		mime_decode_header_value(&t->out, m->name.p, m->name.len);
	if (item == ADDRESS_GROUP_START) {
		buf_addc(&t->out, ':');
		return;
	}
	bool angle = m->name.len > 0;
	if (angle)
		buf_adds(&t->out, " <");
	buf_add(&t->out, m->addr.p + m->route, m->addr.len - m->route);
	if (angle)
		buf_addc(&t->out, '>');
}

/* Does the address list v[0..n), read as its addresses, contain the
 * needle?  So "Real Name <user@domain>" finds "user@domain (Real Name)",
 * and quoted names are searched without their quotes and escapes. */
static bool addresses_match(const char *v, size_t n, const char *needle, size_t m)
{
	struct address_text t = {.group_opened = false};
	buf_init(&t.out);
	address_list_walk(v, n, address_text_item, &t);
	bool hit = mem_contains_nocase(t.out.p ? t.out.p : "", t.out.len, needle, m);
	buf_free(&t.out);
	return hit;
}

/* Any field of the header block named `name` (or any field at all if name
 * is NULL) that contains the needle.  RFC 3501 6.4.4: HEADER with an empty
 * string matches every message that has the field.  An address field is
 * also searched as its addresses read (addresses_match()). */
static bool header_matches(const char *hdr, size_t hdrlen, const char *name, const char *needle,
			   size_t m)
{
	size_t off = 0;
	struct field f;
	bool address = name && is_address_field(name, strlen(name));
	while (field_next(hdr, hdrlen, &off, &f)) {
		if (name && !(f.name_end > f.start &&
			      mime_eq_nocase(hdr + f.start, f.name_end - f.start, name)))
			continue;
		if (!name && mem_contains_nocase(hdr + f.start, f.name_end - f.start, needle, m))
			return true;
		if (value_matches(hdr + f.value, f.value_end - f.value, needle, m))
			return true;
		if (address &&
		    addresses_match(hdr + f.value, f.value_end - f.value, needle, m))
			return true;
	}
	return false;
}

/*
 * Does the body of e contain the needle?  Its bytes as they are, and the
 * decoded text of every quoted-printable or base64 text part (what the
 * user actually reads).
 */
static bool body_matches(const struct entity *e, const char *needle, size_t m)
{
	if (mem_contains_nocase(e->body, e->bodylen, needle, m))
		return true;
	struct ctype ct;
	ctype_init(&ct);
	entity_ctype(e, &ct);
	bool hit = false;
	if (ctype_is(&ct, "multipart", NULL)) {
		struct children c;
		struct entity child;
		children_init(&c, e, &ct);
		while (!hit && children_next(&c, &child))
			hit = body_matches(&child, needle, m);
	} else if (ctype_is(&ct, "message", "rfc822")) {
		struct entity inner;
		entity_inner(e, &inner);
		hit = header_matches(inner.hdr, inner.hdrlen, NULL, needle, m) ||
		      body_matches(&inner, needle, m);
	} else if (ctype_is(&ct, "text", NULL)) {
		struct buf v, dec;
		buf_init(&v);
		buf_init(&dec);
		if (mime_header_get(e->hdr, e->hdrlen, "Content-Transfer-Encoding", &v)) {
			size_t a = skip_cfws(v.p, v.len, 0), b = scan_token(v.p, v.len, a);
			/* A decoding error keeps what was decoded so far. */
			if (mime_eq_nocase(v.p + a, b - a, "quoted-printable"))
				(void)mime_qp_decode(&dec, e->body, e->bodylen);
			else if (mime_eq_nocase(v.p + a, b - a, "base64"))
				(void)mime_base64_decode(&dec, e->body, e->bodylen);
		}
		hit = mem_contains_nocase(dec.p, dec.len, needle, m);
		buf_free(&v);
		buf_free(&dec);
	}
	ctype_free(&ct);
	return hit;
}

bool imap_msg_search(const char *msg, size_t len, const char *field, const char *needle)
{
	if (!field || !needle)
		return false;
	size_t m = strlen(needle);
	struct entity e;
	entity_init(&e, msg, len, 0);
	e.is_message = true;
	if (mime_eq_nocase(field, strlen(field), "BODY"))
		return body_matches(&e, needle, m);
	if (mime_eq_nocase(field, strlen(field), "TEXT"))
		return header_matches(e.hdr, e.hdrlen, NULL, needle, m) ||
		       body_matches(&e, needle, m);
	return header_matches(e.hdr, e.hdrlen, field, needle, m);
}

/* ---------------------------------------------------------------- dates */

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/*
 * Day number (days since 1970-01-01) of a date, proleptic Gregorian: the
 * inverse of civil_from_days below.  Years count from 1 March, so the leap
 * day is the last day of its year; (153 * m + 2) / 5 is the day of the
 * March-based year on which month m (0 = March) starts.
 */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);                          /* [0, 399] */
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;    /* [0, 365] */
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              /* [0, 146096] */
	return era * 146097 + (int64_t)doe - 719468;
}

/* The calendar date of a day number; see mime.c for how it works. */
static void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (int64_t)yoe + era * 400 + (*month <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* Read 1 to max digits at *s; -1 if there are none. */
static int64_t read_number(const char **s, int max)
{
	int64_t v = 0;
	int n = 0;
	while (n < max && is_digit(**s)) {
		v = v * 10 + (**s - '0');
		(*s)++;
		n++;
	}
	return n ? v : -1;
}

/* "Feb" (any case) at *s: 1 to 12, or 0. */
static unsigned read_month(const char **s)
{
	for (unsigned m = 0; m < 12; m++) {
		if ((*s)[0] && (*s)[1] && (*s)[2] && mime_eq_nocase(*s, 3, month_names[m])) {
			*s += 3;
			return m + 1;
		}
	}
	return 0;
}

/* Unix seconds of a date and time in *t; false if any field is out of
 * range (times before 1970 are negative, so -1 cannot mean "bad" here).
 * A leap second (:60) counts as the next second. */
static bool to_unix(int64_t y, unsigned mon, int64_t d, int64_t h, int64_t mi, int64_t sec,
		    int64_t *t)
{
	if (y < 0 || y > 9999 || mon < 1 || mon > 12 || d < 1 || d > days_in_month(y, mon) ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return false;
	*t = days_from_civil(y, mon, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
	return true;
}

/* "dd-Mon-yyyy" at *s (day 1 or 2 digits, or SP DIGIT); -1 if bad. */
static int64_t read_imap_date(const char **s, unsigned *mon, int64_t *day)
{
	if (**s == ' ')
		(*s)++;
	*day = read_number(s, 2);
	if (*day < 0 || *(*s)++ != '-')
		return -1;
	*mon = read_month(s);
	if (!*mon || *(*s)++ != '-')
		return -1;
	const char *y = *s;
	int64_t year = read_number(s, 4);
	return *s - y == 4 ? year : -1;
}

int64_t imap_parse_date(const char *s)
{
	if (!s)
		return -1;
	unsigned mon;
	int64_t day, t, year = read_imap_date(&s, &mon, &day);
	if (year < 0 || *s != '\0' || !to_unix(year, mon, day, 0, 0, 0, &t))
		return -1;
	return t;
}

void imap_format_datetime(struct buf *out, int64_t unix_seconds)
{
	int64_t days = unix_seconds / 86400, secs = unix_seconds % 86400;
	if (secs < 0) { /* floor division for instants before 1970 */
		secs += 86400;
		days--;
	}
	int64_t year;
	unsigned month, day;
	civil_from_days(days, &year, &month, &day);
	/* RFC 3501 9: date-day-fixed = (SP DIGIT) / 2DIGIT */
	buf_printf(out, "%2u-%s-%04lld %02d:%02d:%02d +0000", day, month_names[month - 1],
		   (long long)year, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

/* "+hhmm" / "-hhmm" at *s as seconds east of UTC; false if malformed. */
static bool read_zone(const char **s, int64_t *offset)
{
	char sign = **s;
	if (sign != '+' && sign != '-')
		return false;
	const char *p = *s + 1;
	for (int i = 0; i < 4; i++)
		if (!is_digit(p[i]))
			return false;
	int64_t hh = (p[0] - '0') * 10 + (p[1] - '0'), mm = (p[2] - '0') * 10 + (p[3] - '0');
	if (mm > 59)
		return false;
	*offset = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	*s = p + 4;
	return true;
}

/* "hh:mm:ss" at *s (seconds optional when secs_optional). */
static bool read_time(const char **s, bool secs_optional, int64_t *h, int64_t *mi, int64_t *sec)
{
	const char *p = *s;
	*h = read_number(&p, 2);
	if (*h < 0 || *p++ != ':')
		return false;
	*mi = read_number(&p, 2);
	if (*mi < 0)
		return false;
	*sec = 0;
	if (*p == ':') {
		p++;
		*sec = read_number(&p, 2);
		if (*sec < 0)
			return false;
	} else if (!secs_optional) {
		return false;
	}
	*s = p;
	return true;
}

int64_t imap_parse_datetime(const char *s)
{
	if (!s)
		return -1;
	bool quoted = *s == '"'; /* accepted with or without its quotes */
	s += quoted;
	unsigned mon;
	int64_t day, h, mi, sec, zone;
	int64_t year = read_imap_date(&s, &mon, &day);
	if (year < 0 || *s++ != ' ' || !read_time(&s, false, &h, &mi, &sec) || *s++ != ' ' ||
	    !read_zone(&s, &zone))
		return -1;
	if (quoted && *s++ != '"')
		return -1;
	int64_t t;
	if (*s != '\0' || !to_unix(year, mon, day, h, mi, sec, &t))
		return -1;
	return t - zone;
}

/* RFC 5322 4.3 obsolete zone names; military letters and anything unknown
 * count as +0000 ("-0000", no information). */
static int64_t obs_zone(const char *z, size_t n)
{
	static const struct {
		const char *name;
		int hours;
	} zones[] = {{"UT", 0},   {"GMT", 0},  {"UTC", 0},  {"EST", -5}, {"EDT", -4},
		     {"CST", -6}, {"CDT", -5}, {"MST", -7}, {"MDT", -6}, {"PST", -8},
		     {"PDT", -7}};
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
		if (mime_eq_nocase(z, n, zones[i].name))
			return (int64_t)zones[i].hours * 3600;
	return 0;
}

/*
 * RFC 5322 3.3 date-time: [day-of-week ","] day month year hour ":" minute
 * [":" second] zone, blanks and comments between tokens, plus the obsolete
 * forms of 4.3 (two- and three-digit years, zone names).  A missing zone
 * is taken as UTC.
 */
static int64_t parse_rfc5322_date(const char *v, size_t n)
{
	/* Copy without comments, so that the reader below can use C strings. */
	struct buf b;
	buf_init(&b);
	buf_add(&b, "", 0);
	for (size_t i = 0; i < n; i++) {
		size_t j = skip_cfws(v, n, i);
		if (j > i) {
			buf_addc(&b, ' ');
			i = j - 1;
			continue;
		}
		buf_addc(&b, v[i]);
	}
	const char *s = b.p;
	int64_t result = -1;
	while (*s == ' ')
		s++;
	if (!is_digit(*s)) { /* day of week: skipped, not checked */
		while (*s && *s != ',')
			s++;
		if (*s++ != ',')
			goto done;
		while (*s == ' ')
			s++;
	}
	int64_t day = read_number(&s, 2);
	while (*s == ' ')
		s++;
	unsigned mon = read_month(&s);
	while (*s == ' ')
		s++;
	const char *ys = s;
	int64_t year = read_number(&s, 4);
	if (day < 0 || !mon || year < 0 || *s != ' ')
		goto done;
	if (s - ys == 2)
		year += year < 50 ? 2000 : 1900;
	else if (s - ys == 3)
		year += 1900;
	while (*s == ' ')
		s++;
	int64_t h, mi, sec, zone = 0;
	if (!read_time(&s, true, &h, &mi, &sec))
		goto done;
	while (*s == ' ')
		s++;
	if (*s == '+' || *s == '-') {
		if (!read_zone(&s, &zone))
			goto done;
	} else {
		const char *z = s;
		while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
			s++;
		zone = obs_zone(z, (size_t)(s - z));
	}
	while (*s == ' ')
		s++;
	if (*s != '\0')
		goto done;
	if (to_unix(year, mon, day, h, mi, sec, &result))
		result -= zone;
	else
		result = -1;
done:
	buf_free(&b);
	return result;
}

int64_t imap_msg_date(const char *msg, size_t len)
{
	struct buf v;
	buf_init(&v);
	int64_t t = -1;
	if (msg && mime_header_get(msg, len, "Date", &v))
		t = parse_rfc5322_date(v.p ? v.p : "", v.len);
	buf_free(&v);
	return t;
}
