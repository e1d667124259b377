/*
 * mime.c - the message helpers: base64 and quoted-printable (RFC 2045),
 * encoded words (RFC 2047), header lookup and folding (RFC 5322), dates,
 * and the messages a mail system writes itself: a user agent's new message,
 * a Received: trace field (RFC 5321 4.4) and a bounce (RFC 3464, RFC 6522).
 *
 * Everything here is a pure function over bytes: no I/O, no clock, no
 * locale, no state kept between calls.  Input may be malformed; no function
 * reads past the length it was given.
 *
 * Choices worth knowing (see also mime.h):
 * - Encoded words are always in UTF-8.  Q ("quoted-printable-like") is
 *   chosen when more than half of the value's bytes are ASCII, so that
 *   "Olá mundo" stays readable on the wire; B (base64) otherwise.
 * - Only the words that need it are encoded: from the first word with a
 *   non-ASCII or control byte (or an "=?" that a reader would take for an
 *   encoded word) to the last such word.  Display names are encoded whole,
 *   because a phrase may not mix a quoted-string into an encoded word.
 * - base64 output has no line breaks (it is used for encoded words and
 *   SASL, never for bodies here).
 */
#include "mime.h"

#include <string.h>
#include <strings.h>

#include "i18n.h"

/* RFC 5322 2.1.1: a line MUST be at most 998 characters, CRLF excluded. */
#define MIME_LINE_HARD_MAX 998
/* Free text we copy into a bounce (a remote reply, an address) is cut to
 * this many octets, so that no line of the bounce can pass 998. */
#define MIME_DSN_TEXT_MAX_OCTETS 900
/* A header line of the original longer than 998 is cut into pieces of this
 * many octets in a bounce, each after the first on a "SP" continuation. */
#define MIME_DSN_HEADER_PIECE_OCTETS 990
/* "=?UTF-8?Q?" + "?=" */
#define MIME_EW_OVERHEAD 12
/* Width of the human-readable text in a bounce. */
#define MIME_DSN_WRAP_COLUMNS 76

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hex_upper[] = "0123456789ABCDEF";

/* ------------------------------------------------------------ small helpers */

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool mime_eq_nocase(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Control characters, DEL and anything outside ASCII must not appear raw in
 * a header: such bytes force an encoded word. */
static bool header_unsafe(unsigned char c)
{
	return c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7f;
}

/*
 * Length of the UTF-8 character at s (RFC 3629 section 4), 1 to 4.  An
 * invalid or truncated sequence counts as one byte, so that callers always
 * move forward and never cut a valid character in two.  *valid says which.
 */
static size_t utf8_char_len(const unsigned char *s, size_t len, bool *valid)
{
	size_t n;
	*valid = utf8_decode(s, len, &n) >= 0;
	return n;
}

static void add_utf8_replacement(struct buf *out)
{
	buf_add(out, "\xEF\xBF\xBD", 3); /* U+FFFD */
}

/* ------------------------------------------------------------------ base64 */

/* Up to 3 octets p[0..n) as one group of 4 base64 characters, with "="
 * in place of those the missing octets would give (RFC 4648 4). */
static void b64_add_group(struct buf *out, const unsigned char *p, size_t n)
{
	unsigned long v = 0; /* the 24 bits of the group, the first octet high */
	for (size_t k = 0; k < 3; k++)
		v = v << 8 | (k < n ? p[k] : 0u);
	for (size_t k = 0; k < 4; k++)
		buf_addc(out, k <= n ? b64_alphabet[(v >> (18 - 6 * k)) & 63] : '=');
}

void mime_base64_encode(struct buf *out, const void *in, size_t len)
{
	const unsigned char *p = in;
	buf_reserve(out, (len + 2) / 3 * 4);
	size_t i = 0;
	for (; i + 3 <= len; i += 3)
		b64_add_group(out, p + i, 3);
	if (i < len)
		b64_add_group(out, p + i, len - i);
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict RFC 4648 decoding: white space (SP, TAB, CR, LF) is skipped; the
 * input must be whole 4-character quanta; "=" only pads the last quantum
 * (after at least two data characters) and nothing but white space may
 * follow it.  On error nothing is left appended to out.
 */
int mime_base64_decode(struct buf *out, const char *in, size_t len)
{
	size_t start = out->len;
	unsigned long acc = 0; /* the quantum being read, 6 bits per character */
	size_t nchars = 0;     /* characters of the quantum read, padding included */
	size_t npad = 0;       /* "=" seen in this quantum */
	bool done = false;     /* a padded quantum ended the data */

	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (done)
			goto invalid;
		int v;
		if (c == '=') {
			if (nchars < 2)
				goto invalid;
			npad++;
			v = 0;
		} else {
			v = b64_value(c);
			if (v < 0 || npad > 0)
				goto invalid;
		}
		acc = acc << 6 | (unsigned long)v;
		if (++nchars < 4)
			continue;
		unsigned char bytes[3] = {(unsigned char)(acc >> 16), (unsigned char)(acc >> 8),
					  (unsigned char)acc};
		buf_add(out, bytes, 3 - npad);
		done = npad > 0;
		acc = 0;
		nchars = 0;
	}
	if (nchars != 0)
		goto invalid;
	return 0;

invalid:
	out->len = start;
	if (out->p)
		out->p[start] = '\0';
	return -1;
}

/* -------------------------------------------------------- quoted-printable */

/*
 * RFC 2045 6.7.  Rule 2: "!" to "~" except "=" go as themselves.  Rule 3:
 * SP and TAB too, except at the end of a line, where a transport might strip
 * them: there they become =20 / =09.  Rule 4: CRLF is a hard line break; a
 * lone CR or LF is data (=0D, =0A).  Rule 5: encoded lines are at most 76
 * characters, so a soft break "=" is inserted at 75 at the latest, and an
 * =XX triple is never cut.
 */
void mime_qp_encode(struct buf *out, const char *in, size_t len)
{
	size_t col = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '\r' && i + 1 < len && in[i + 1] == '\n') {
			buf_add(out, "\r\n", 2);
			col = 0;
			i++;
			continue;
		}
		bool line_end = i + 1 == len ||
				(in[i + 1] == '\r' && i + 2 < len && in[i + 2] == '\n');
		bool literal = (c >= '!' && c <= '~' && c != '=') ||
			       ((c == ' ' || c == '\t') && !line_end);
		size_t width = literal ? 1 : 3;
		/* The last character of a line may use column 76; any other
		 * must leave room for the soft break's "=". */
		size_t limit = line_end ? MIME_QP_LINE_MAX : MIME_QP_LINE_MAX - 1;
		if (col + width > limit) {
			buf_add(out, "=\r\n", 3);
			col = 0;
		}
		if (literal) {
			buf_addc(out, (char)c);
		} else {
			char esc[3] = {'=', hex_upper[c >> 4], hex_upper[c & 15]};
			buf_add(out, esc, 3);
		}
		col += width;
	}
}

/*
 * Decoding, line by line: trailing blanks are dropped (rule 3: a transport
 * may have added them), "=" at the end of a line is a soft break, =XX is an
 * octet (lower-case hex accepted), a hard break is copied as it came (CRLF
 * or LF).  "=" followed by anything else is an error: -1, nothing appended.
 */
int mime_qp_decode(struct buf *out, const char *in, size_t len)
{
	size_t start = out->len;
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(in + i, '\n', len - i);
		size_t line_end = nl ? (size_t)(nl - in) : len; /* index of LF or len */
		size_t end = line_end;
		bool crlf = nl && end > i && in[end - 1] == '\r';
		if (crlf)
			end--;
		while (end > i && is_wsp(in[end - 1]))
			end--;

		bool soft = false;
		for (size_t k = i; k < end; k++) {
			if (in[k] != '=') {
				buf_addc(out, in[k]);
				continue;
			}
			if (k + 1 == end) {
				soft = true;
				break;
			}
			int hi = hex_value(in[k + 1]);
			int lo = k + 2 < end ? hex_value(in[k + 2]) : -1;
			if (hi < 0 || lo < 0)
				goto invalid;
			buf_addc(out, (char)(hi << 4 | lo));
			k += 2;
		}
		if (nl && !soft)
			buf_adds(out, crlf ? "\r\n" : "\n");
		i = nl ? line_end + 1 : len;
	}
	return 0;

invalid:
	out->len = start;
	if (out->p)
		out->p[start] = '\0';
	return -1;
}

bool mime_is_7bit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\0')
			return false;
	return true;
}

/* ------------------------------------------------------- folding a header */

/*
 * A header line being written, for folding (RFC 5322 2.2.3): white space
 * before a piece may become CRLF + that white space when the piece would
 * carry the line past 78 characters.
 */
struct fold {
	struct buf *out;
	size_t col;  /* characters on the current line */
	bool fresh;  /* the current line holds only folding white space */
};

/* Append white space ws then word, folding before ws if the line is full. */
static void fold_piece(struct fold *f, const char *ws, size_t wslen, const char *word,
		       size_t wordlen)
{
	if (wslen > 0 && !f->fresh && f->col + wslen + wordlen > MIME_LINE_SOFT_MAX) {
		buf_add(f->out, "\r\n", 2);
		f->col = 0;
		f->fresh = true;
	}
	buf_add(f->out, ws, wslen);
	buf_add(f->out, word, wordlen);
	f->col += wslen + wordlen;
	if (wordlen > 0)
		f->fresh = false;
}

/* Plain text, folded only at its own white space. */
static void fold_text(struct fold *f, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t ws = i;
		while (i < n && is_wsp(s[i]))
			i++;
		size_t word = i;
		while (i < n && !is_wsp(s[i]))
			i++;
		fold_piece(f, s + ws, word - ws, s + word, i - word);
	}
}

/* ---------------------------------------------------------- encoded words */

/* RFC 2047 5 rule 3: the characters a Q word may carry as themselves
 * anywhere, a phrase included. */
static bool q_literal(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

static size_t q_width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		w += q_literal((unsigned char)s[i]) || s[i] == ' ' ? 1 : 3;
	return w;
}

static size_t ew_width(char method, size_t bytes, size_t qwidth)
{
	return MIME_EW_OVERHEAD + (method == 'B' ? (bytes + 2) / 3 * 4 : qwidth);
}

static void ew_write(struct buf *out, char method, const char *s, size_t n)
{
	buf_add(out, method == 'B' ? "=?UTF-8?B?" : "=?UTF-8?Q?", 10);
	if (method == 'B') {
		mime_base64_encode(out, s, n);
	} else {
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == ' ') {
				buf_addc(out, '_');
			} else if (q_literal(c)) {
				buf_addc(out, (char)c);
			} else {
				char esc[3] = {'=', hex_upper[c >> 4], hex_upper[c & 15]};
				buf_add(out, esc, 3);
			}
		}
	}
	buf_add(out, "?=", 2);
}

/* Q when more than half of the text's bytes are ASCII, else B. */
static char ew_method(const char *s, size_t n)
{
	size_t ascii = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x80)
			ascii++;
	return ascii * 2 > n ? 'Q' : 'B';
}

/* How many bytes of s (whole UTF-8 characters) one encoded word of at most
 * `room` characters can carry. */
static size_t ew_fit(const char *s, size_t n, char method, size_t room)
{
	if (room > MIME_ENCODED_WORD_MAX)
		room = MIME_ENCODED_WORD_MAX;
	size_t take = 0, qwidth = 0;
	while (take < n) {
		bool valid;
		size_t cl = utf8_char_len((const unsigned char *)s + take, n - take, &valid);
		size_t cw = q_width(s + take, cl);
		if (ew_width(method, take + cl, qwidth + cw) > room)
			break;
		take += cl;
		qwidth += cw;
	}
	return take;
}

/*
 * Write s[0..n) as encoded words, the first one after the white space ws,
 * the others after a folding "CRLF SP".  Each word holds whole UTF-8
 * characters, is at most 75 characters long and, when it can, fits the
 * line it starts on.
 */
static void fold_encoded(struct fold *f, const char *ws, size_t wslen, const char *s,
			 size_t n, char method)
{
	struct buf word;
	buf_init(&word);
	size_t pos = 0;
	bool first = true;
	while (pos < n) {
		size_t lead = first ? wslen : 1;
		size_t left = f->col + lead < MIME_LINE_SOFT_MAX ? MIME_LINE_SOFT_MAX - f->col - lead : 0;
		size_t take = ew_fit(s + pos, n - pos, method, left);
		if (take == 0) /* nothing fits here: the word starts a new line */
			take = ew_fit(s + pos, n - pos, method,
				      lead < MIME_LINE_SOFT_MAX ? MIME_LINE_SOFT_MAX - lead : 0);
		if (take == 0) { /* only if ws is absurdly long; stay correct */
			bool valid;
			take = utf8_char_len((const unsigned char *)s + pos, n - pos, &valid);
		}
		buf_clear(&word);
		ew_write(&word, method, s + pos, take);
		fold_piece(f, first ? ws : " ", lead, word.p, word.len);
		pos += take;
		first = false;
	}
	buf_free(&word);
}

/* Does the word need to travel as an encoded word? */
static bool word_needs_encoding(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (header_unsafe((unsigned char)s[i]))
			return true;
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '?')
			return true; /* would be read as an encoded word */
	}
	return false;
}

/*
 * Text of an unstructured header (or a display name when whole is true),
 * folded.  Words that need encoding, and every word between them, become
 * encoded words; the rest is copied.  With whole, all of it is encoded if any
 * of it must be.
 */
static void fold_header_text(struct fold *f, const char *s, size_t n, bool whole)
{
	size_t first = n, last = 0; /* start of the first, end of the last word to encode */
	size_t i = 0;
	while (i < n) {
		while (i < n && is_wsp(s[i]))
			i++;
		size_t w = i;
		while (i < n && !is_wsp(s[i]))
			i++;
		if (i > w && word_needs_encoding(s + w, i - w)) {
			if (first == n)
				first = w;
			last = i;
		}
	}
	if (first == n) {
		fold_text(f, s, n);
		return;
	}
	if (whole) {
		first = 0;
		while (first < n && is_wsp(s[first]))
			first++;
		last = n;
		while (last > first && is_wsp(s[last - 1]))
			last--;
	}
	size_t ws = first;
	while (ws > 0 && is_wsp(s[ws - 1]))
		ws--;
	fold_text(f, s, ws);
	fold_encoded(f, s + ws, first - ws, s + first, last - first, ew_method(s, n));
	fold_text(f, s + last, n - last);
}

void mime_encode_header_value(struct buf *out, const char *utf8, size_t used)
{
	if (!utf8)
		return;
	struct fold f = {out, used, false};
	fold_header_text(&f, utf8, strlen(utf8), false);
}

/* --------------------------------------------------- decoding encoded words */

/* Append decoded octets in the given charset as UTF-8.  False if the charset
 * is not one we know. */
static bool charset_to_utf8(struct buf *out, const char *cs, size_t cslen,
			    const unsigned char *p, size_t n)
{
	bool latin1 = mime_eq_nocase(cs, cslen, "ISO-8859-1") ||
		      mime_eq_nocase(cs, cslen, "ISO8859-1") ||
		      mime_eq_nocase(cs, cslen, "LATIN1");
	bool utf8 = mime_eq_nocase(cs, cslen, "UTF-8") || mime_eq_nocase(cs, cslen, "UTF8") ||
		    mime_eq_nocase(cs, cslen, "US-ASCII") ||
		    mime_eq_nocase(cs, cslen, "ASCII");
	if (!latin1 && !utf8)
		return false;
	size_t i = 0;
	while (i < n) {
		if (p[i] == 0) {
			add_utf8_replacement(out); /* a NUL would end C strings */
			i++;
		} else if (latin1) {
			if (p[i] < 0x80) {
				buf_addc(out, (char)p[i]);
			} else { /* Latin-1 is the first 256 code points */
				buf_addc(out, (char)(0xC0 | p[i] >> 6));
				buf_addc(out, (char)(0x80 | (p[i] & 0x3F)));
			}
			i++;
		} else {
			bool valid;
			size_t cl = utf8_char_len(p + i, n - i, &valid);
			if (valid)
				buf_add(out, p + i, cl);
			else
				add_utf8_replacement(out);
			i += cl;
		}
	}
	return true;
}

/*
 * Try to read one encoded word "=?charset?B|Q?text?=" at s[0..len).  On
 * success append its UTF-8 text to out and return its length; return 0 if
 * it is not a well-formed word in a known charset (out untouched).
 */
static size_t ew_decode(struct buf *out, const char *s, size_t len)
{
	if (len < 2 || s[0] != '=' || s[1] != '?')
		return 0;
	size_t i = 2, cs = 2;
	while (i < len && s[i] != '?' && !is_wsp(s[i]) && s[i] != '\r' && s[i] != '\n')
		i++;
	size_t cs_end = i;
	if (cs_end == cs || i + 2 >= len || s[i] != '?' || s[i + 2] != '?')
		return 0;
	char method = ascii_lower(s[i + 1]) == 'b' ? 'B' : ascii_lower(s[i + 1]) == 'q' ? 'Q' : 0;
	if (!method)
		return 0;
	size_t text = i + 3, j = text;
	while (j < len && s[j] != '?' && !is_wsp(s[j]) && s[j] != '\r' && s[j] != '\n')
		j++;
	if (j + 1 >= len || s[j] != '?' || s[j + 1] != '=')
		return 0;
	/* RFC 2231 5: "UTF-8*pt" carries a language after the star. */
	const char *star = memchr(s + cs, '*', cs_end - cs);
	size_t cslen = star ? (size_t)(star - (s + cs)) : cs_end - cs;

	struct buf raw;
	buf_init(&raw);
	bool ok = true;
	if (method == 'B') {
		ok = mime_base64_decode(&raw, s + text, j - text) == 0;
	} else {
		for (size_t k = text; k < j && ok; k++) {
			if (s[k] == '_') {
				buf_addc(&raw, ' ');
			} else if (s[k] == '=') {
				int hi = k + 1 < j ? hex_value(s[k + 1]) : -1;
				int lo = k + 2 < j ? hex_value(s[k + 2]) : -1;
				ok = hi >= 0 && lo >= 0;
				if (ok)
					buf_addc(&raw, (char)(hi << 4 | lo));
				k += 2;
			} else {
				buf_addc(&raw, s[k]);
			}
		}
	}
	size_t before = out->len;
	if (ok)
		ok = charset_to_utf8(out, s + cs, cslen, (const unsigned char *)raw.p, raw.len);
	buf_free(&raw);
	if (!ok) {
		out->len = before;
		if (out->p)
			out->p[before] = '\0';
		return 0;
	}
	return j + 2;
}

/*
 * RFC 2047 6.2: decode the words; white space between two decoded words is
 * dropped (that is how a long text is split across several words).  A word
 * left undecoded keeps the space around it.  Line breaks are unfolded.
 */
void mime_decode_header_value(struct buf *out, const char *value, size_t len)
{
	if (!value)
		return;
	struct buf word;
	buf_init(&word);
	bool after_word = false; /* the last thing written was a decoded word */
	size_t ws_start = 0, ws_end = 0; /* white space seen, not yet written */
	size_t i = 0;
	while (i < len) {
		char c = value[i];
		if (is_wsp(c) || c == '\r' || c == '\n') {
			if (ws_start == ws_end)
				ws_start = i;
			ws_end = ++i;
			continue;
		}
		buf_clear(&word);
		size_t n = c == '=' ? ew_decode(&word, value + i, len - i) : 0;
		bool drop_ws = n > 0 && after_word;
		for (size_t k = ws_start; k < ws_end && !drop_ws; k++)
			if (value[k] != '\r' && value[k] != '\n') /* unfold */
				buf_addc(out, value[k]);
		ws_start = ws_end = 0;
		if (n > 0) {
			buf_add(out, word.p, word.len);
			i += n;
		} else {
			buf_addc(out, c);
			i++;
		}
		after_word = n > 0;
	}
	for (size_t k = ws_start; k < ws_end; k++)
		if (value[k] != '\r' && value[k] != '\n')
			buf_addc(out, value[k]);
	buf_free(&word);
}

/* ----------------------------------------------------------------- headers */

size_t mime_next_line(const char *msg, size_t len, size_t off, size_t *end)
{
	const char *nl = memchr(msg + off, '\n', len - off);
	if (!nl) {
		*end = len;
		return len;
	}
	size_t e = (size_t)(nl - msg);
	*end = e > off && msg[e - 1] == '\r' ? e - 1 : e;
	return e + 1;
}

bool mime_header_get(const char *msg, size_t len, const char *name, struct buf *out)
{
	if (!msg || !name)
		return false;
	size_t namelen = strlen(name);
	if (namelen == 0)
		return false;
	size_t off = 0;
	while (off < len) {
		size_t end, next = mime_next_line(msg, len, off, &end);
		if (end == off)
			return false; /* the empty line: end of the header block */
		if (is_wsp(msg[off]) || end - off <= namelen ||
		    !mime_eq_nocase(msg + off, namelen, name)) {
			off = next;
			continue;
		}
		size_t p = off + namelen;
		while (p < end && is_wsp(msg[p]))
			p++; /* obsolete syntax allows blanks before the colon */
		if (p == end || msg[p] != ':') {
			off = next;
			continue;
		}
		/* Found: the value, and every continuation line, unfolded. */
		size_t start = out->len;
		buf_add(out, msg + p + 1, end - p - 1);
		off = next;
		while (off < len && is_wsp(msg[off])) {
			next = mime_next_line(msg, len, off, &end);
			buf_add(out, msg + off, end - off);
			off = next;
		}
		size_t a = start, b = out->len;
		while (a < b && is_wsp(out->p[a]))
			a++;
		while (b > a && is_wsp(out->p[b - 1]))
			b--;
		memmove(out->p + start, out->p + a, b - a);
		out->len = start + (b - a);
		out->p[out->len] = '\0';
		return true;
	}
	return false;
}

/* The empty line that ends the header block: *start where it begins,
 * *after just past it; both len if there is none. */
static void header_block_end(const char *msg, size_t len, size_t *start, size_t *after)
{
	size_t off = 0;
	while (msg && off < len) {
		size_t end, next = mime_next_line(msg, len, off, &end);
		if (end == off && next > off) {
			*start = off;
			*after = next;
			return;
		}
		off = next;
	}
	*start = *after = msg ? len : 0;
}

size_t mime_body_offset(const char *msg, size_t len)
{
	size_t start, after;
	header_block_end(msg, len, &start, &after);
	return after;
}

size_t mime_header_end(const char *msg, size_t len)
{
	size_t start, after;
	header_block_end(msg, len, &start, &after);
	return start;
}

/* Index of the first c in s[0..n) that is outside quoted strings and
 * comments, or n. */
static size_t find_unquoted(const char *s, size_t n, char c)
{
	bool quoted = false;
	int depth = 0; /* comment nesting */
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && (quoted || depth > 0)) {
			i++;
			continue;
		}
		if (quoted) {
			quoted = s[i] != '"';
		} else if (s[i] == '(') {
			depth++;
		} else if (depth > 0) {
			if (s[i] == ')')
				depth--;
		} else if (s[i] == c) {
			return i;
		} else if (s[i] == '"') {
			quoted = true;
		}
	}
	return n;
}

/*
 * Copy an addr-spec without its comments and outer blanks, checking it:
 * exactly one "@" outside quotes with something on both sides, no blanks
 * or specials outside quotes and domain literals.
 */
static bool clean_addr_spec(const char *s, size_t n, struct buf *out)
{
	struct buf a;
	buf_init(&a);
	bool quoted = false, ok = true, blank_seen = false;
	int depth = 0, ats = 0;
	size_t at = 0;
	for (size_t i = 0; i < n && ok; i++) {
		char c = s[i];
		if (depth > 0) {
			if (c == '\\')
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (quoted) {
			buf_addc(&a, c);
			if (c == '\\' && i + 1 < n)
				buf_addc(&a, s[++i]);
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (c == '(') {
			depth = 1;
		} else if (is_wsp(c) || c == '\r' || c == '\n') {
			blank_seen = a.len > 0;
		} else if (blank_seen || strchr("<>(),;:\\", c) || header_unsafe((unsigned char)c)) {
			ok = false; /* "Alice a@b", "a@b, c@d", ... */
		} else {
			if (c == '"')
				quoted = true;
			if (c == '@') {
				ats++;
				at = a.len;
			}
			buf_addc(&a, c);
		}
	}
	ok = ok && !quoted && depth == 0 && ats == 1 && at > 0 && at + 1 < a.len;
	if (ok)
		buf_add(out, a.p, a.len);
	buf_free(&a);
	return ok;
}

bool mime_addr_spec(const char *mailbox, struct buf *out)
{
	if (!mailbox)
		return false;
	size_t n = strlen(mailbox);
	size_t lt = find_unquoted(mailbox, n, '<');
	if (lt == n)
		return clean_addr_spec(mailbox, n, out);
	const char *inner = mailbox + lt + 1;
	size_t gt = find_unquoted(inner, n - lt - 1, '>');
	if (gt == n - lt - 1)
		return false;
	/* RFC 5322 4.4 obsolete route "<@relay:user@host>": skip the route. */
	size_t skip = 0;
	while (skip < gt && is_wsp(inner[skip]))
		skip++;
	if (skip < gt && inner[skip] == '@') {
		size_t colon = find_unquoted(inner, gt, ':');
		if (colon == gt)
			return false;
		skip = colon + 1;
	}
	return clean_addr_spec(inner + skip, gt - skip, out);
}

const char *mime_addr_domain(const char *addr)
{
	if (!addr)
		return NULL;
	const char *at = strrchr(addr, '@');
	return at && at[1] ? at + 1 : NULL;
}

/* ------------------------------------------------------------------- dates */

/*
 * Calendar date of a day number (days since 1970-01-01), proleptic
 * Gregorian.  The trick: count years from 1 March, so that the leap day is
 * the last day of its year, and count in 400-year eras, which all have
 * exactly 146097 days.  Inside an era, the year of the era (0-399) comes
 * from the day of the era by removing the leap days (one every 4 years,
 * except every 100, except every 400); the month comes from the day of that
 * March-based year by the line (5 * day + 2) / 153, which walks the
 * 31,30,31,30,31 pattern of month lengths.
 */
static void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
	int64_t z = days + 719468; /* days from 0000-03-01 to 1970-01-01 */
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);                             /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                                       /* 0 = March */
	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (int64_t)yoe + era * 400 + (*month <= 2);
}

void mime_format_date(struct buf *out, int64_t unix_seconds)
{
	static const char *const wday_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
						     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t days = unix_seconds / 86400;
	int64_t secs = unix_seconds % 86400;
	if (secs < 0) { /* floor division for instants before 1970 */
		secs += 86400;
		days--;
	}
	int64_t wday = (days % 7 + 7 + 4) % 7; /* 1970-01-01 was a Thursday */
	int64_t year;
	unsigned month, day;
	civil_from_days(days, &year, &month, &day);
	buf_printf(out, "%s, %02u %s %04lld %02d:%02d:%02d +0000", wday_names[wday], day,
		   month_names[month - 1], (long long)year, (int)(secs / 3600),
		   (int)(secs / 60 % 60), (int)(secs % 60));
}

/* --------------------------------------------------------------- composing */

/*
 * A mailbox "name <addr>" on a folding line.  An ASCII display name is
 * always quoted ("Alice Raiol"), which is right whether or not it holds
 * specials; a name that needs encoding becomes encoded words, unquoted
 * (RFC 2047 5: an encoded word must not be inside quotes).
 */
static void fold_mailbox(struct fold *f, const char *ws, size_t wslen, const char *name,
			 size_t namelen, const char *addr, size_t addrlen)
{
	while (namelen > 0 && is_wsp(name[0]))
		name++, namelen--;
	while (namelen > 0 && is_wsp(name[namelen - 1]))
		namelen--;
	struct buf angle;
	buf_init(&angle);
	buf_addc(&angle, '<');
	buf_add(&angle, addr, addrlen);
	buf_addc(&angle, '>');
	if (namelen == 0) {
		fold_piece(f, ws, wslen, addr, addrlen);
	} else if (word_needs_encoding(name, namelen)) {
		fold_encoded(f, ws, wslen, name, namelen, ew_method(name, namelen));
		fold_piece(f, " ", 1, angle.p, angle.len);
	} else {
		struct buf q;
		buf_init(&q);
		buf_addc(&q, '"');
		for (size_t i = 0; i < namelen; i++) {
			if (name[i] == '"' || name[i] == '\\')
				buf_addc(&q, '\\');
			buf_addc(&q, name[i]);
		}
		buf_addc(&q, '"');
		fold_piece(f, ws, wslen, q.p, q.len);
		fold_piece(f, " ", 1, angle.p, angle.len);
		buf_free(&q);
	}
	buf_free(&angle);
}

/* One entry of To or Cc: a bare address, or "Name <addr>" whose name is
 * encoded if it must be; a 7-bit entry is copied as it is. */
static void fold_list_entry(struct fold *f, const char *entry)
{
	size_t n = strlen(entry);
	size_t lt = find_unquoted(entry, n, '<');
	if (lt == n || !word_needs_encoding(entry, lt)) {
		fold_piece(f, " ", 1, entry, n);
		return;
	}
	const char *addr = entry + lt + 1;
	size_t addrlen = find_unquoted(addr, n - lt - 1, '>');
	const char *name = entry;
	size_t namelen = lt;
	while (namelen > 0 && is_wsp(name[namelen - 1]))
		namelen--;
	if (namelen >= 2 && name[0] == '"' && name[namelen - 1] == '"')
		name++, namelen -= 2;
	fold_mailbox(f, " ", 1, name, namelen, addr, addrlen);
}

static void add_address_list(struct buf *out, const char *field, const char *const *list,
			     size_t n)
{
	struct fold f = {out, strlen(field) + 1, false};
	buf_adds(out, field);
	buf_addc(out, ':');
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (!list[i])
			continue;
		if (!first)
			fold_piece(&f, "", 0, ",", 1);
		fold_list_entry(&f, list[i]);
		first = false;
	}
	buf_add(out, "\r\n", 2);
}

/* The body with every line end (LF, CRLF or a lone CR) as CRLF, ending with
 * one.  Returns the length of its longest line, CRLF excluded. */
static size_t normalize_body(struct buf *out, const char *body)
{
	size_t longest = 0, col = 0;
	for (size_t i = 0; body[i]; i++) {
		if (body[i] == '\r' || body[i] == '\n') {
			if (body[i] == '\r' && body[i + 1] == '\n')
				i++;
			buf_add(out, "\r\n", 2);
			col = 0;
			continue;
		}
		buf_addc(out, body[i]);
		if (++col > longest)
			longest = col;
	}
	if (out->len < 2 || out->p[out->len - 2] != '\r' || out->p[out->len - 1] != '\n')
		if (out->len > 0)
			buf_add(out, "\r\n", 2);
	return longest;
}

void mime_compose(struct buf *out, const struct mime_compose *m)
{
	const char *from = m->from_addr ? m->from_addr : "";

	buf_adds(out, "Date: ");
	mime_format_date(out, m->date);
	buf_adds(out, "\r\n");

	buf_adds(out, "From:");
	struct fold f = {out, strlen("From:"), false};
	fold_mailbox(&f, " ", 1, m->from_name ? m->from_name : "",
		     m->from_name ? strlen(m->from_name) : 0, from, strlen(from));
	buf_adds(out, "\r\n");

	if (m->nto > 0)
		add_address_list(out, "To", m->to, m->nto);
	if (m->ncc > 0)
		add_address_list(out, "Cc", m->cc, m->ncc);
	if (m->subject) {
		buf_adds(out, "Subject: ");
		mime_encode_header_value(out, m->subject, 9);
		buf_adds(out, "\r\n");
	}
	if (m->message_id)
		buf_printf(out, "Message-ID: %s\r\n", m->message_id);
	buf_adds(out, "MIME-Version: 1.0\r\n");

	struct buf body;
	buf_init(&body);
	size_t longest = normalize_body(&body, m->body ? m->body : "");
	bool ascii = mime_is_7bit(body.p ? body.p : "", body.len);
	buf_printf(out, "Content-Type: text/plain; charset=%s\r\n", ascii ? "us-ascii" : "UTF-8");
	bool qp = !ascii || longest > MIME_LINE_HARD_MAX;
	buf_printf(out, "Content-Transfer-Encoding: %s\r\n", qp ? "quoted-printable" : "7bit");
	if (m->user_agent) {
		buf_adds(out, "User-Agent: ");
		mime_encode_header_value(out, m->user_agent, 12);
		buf_adds(out, "\r\n");
	}
	buf_adds(out, "\r\n");
	if (qp)
		mime_qp_encode(out, body.p, body.len);
	else
		buf_add(out, body.p, body.len);
	buf_free(&body);
}

/* ------------------------------------------------------------ trace fields */

void mime_received(struct buf *out, const char *helo, const char *client_host,
		   const char *by_host, const char *proto, const char *id,
		   const char *rcpt, int64_t date)
{
	buf_printf(out, "Received: from %s", helo && *helo ? helo : "unknown");
	if (client_host && *client_host)
		buf_printf(out, " (%s)", client_host);
	buf_adds(out, "\r\n");

	struct buf line, when;
	buf_init(&line);
	buf_init(&when);
	buf_printf(&line, "\tby %s", by_host && *by_host ? by_host : "localhost");
	if (proto && *proto)
		buf_printf(&line, " with %s", proto);
	if (id && *id)
		buf_printf(&line, " id %s", id);
	if (rcpt) {
		buf_printf(out, "%s\r\n", line.p);
		buf_clear(&line);
		buf_printf(&line, "\tfor <%s>", rcpt);
	}
	/* "; DATE" ends the last line if it fits there, else gets its own. */
	mime_format_date(&when, date);
	if (line.len + 2 + when.len > MIME_LINE_SOFT_MAX)
		buf_printf(out, "%s;\r\n\t%s\r\n", line.p, when.p);
	else
		buf_printf(out, "%s; %s\r\n", line.p, when.p);
	buf_free(&line);
	buf_free(&when);
}

/* RFC 5321 4.4: TCP-info = address-literal / ( Domain FWS address-literal ),
 * and an address literal (4.1.3) is "[" IPv4 "]" or "[IPv6:" IPv6 "]". */
const char *mime_auth_field_note(const char *line, size_t n)
{
	static const struct {
		const char *name;
		const char *note;
	} fields[] = {
		{ "DKIM-Signature:",
		  N_("DKIM-Signature: the sending domain's signature (RFC 6376): d= the domain "
		     "that signs, s= the selector that names its key in DNS, bh= the hash of "
		     "the body, b= the signature over the headers that h= lists") },
		{ "Authentication-Results:",
		  N_("Authentication-Results: what the receiving server verified (SPF, DKIM, "
		     "DMARC), each with its result (RFC 8601); trust only the one your own "
		     "server added") },
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		size_t len = strlen(fields[i].name);
		if (n >= len && strncasecmp(line, fields[i].name, len) == 0)
			return fields[i].note;
	}
	return NULL;
}

void mime_received_tcp_info(struct buf *out, const char *name, const char *address)
{
	bool named = name && *name;
	if (!address || !*address) {
		buf_adds(out, named ? name : "");
		return;
	}
	if (named)
		buf_printf(out, "%s ", name);
	buf_printf(out, "[%s%s]", strchr(address, ':') ? "IPv6:" : "", address);
}

/* --------------------------------------------------------------- bounces */

/* s as printable ASCII on one line, cut to MIME_DSN_TEXT_MAX_OCTETS: line
 * breaks and tabs become spaces, anything else unprintable "?". */
static const char *dsn_clean(struct buf *b, const char *s)
{
	buf_clear(b);
	buf_add(b, "", 0);
	for (size_t i = 0; s && s[i] && b->len < MIME_DSN_TEXT_MAX_OCTETS; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n' || c == '\t')
			buf_addc(b, ' ');
		else
			buf_addc(b, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	return b->p;
}

/* Word-wrap text into lines of at most `width` columns, continuation lines
 * starting with `indent`. */
static void dsn_wrap(struct buf *out, const char *text, size_t width, const char *indent)
{
	size_t col = 0, i = 0, n = strlen(text);
	while (i < n) {
		size_t w = i;
		while (w < n && text[w] == ' ')
			w++;
		size_t e = w;
		while (e < n && text[e] != ' ')
			e++;
		if (e == w)
			break;
		if (col > 0 && col + 1 + (e - w) > width) {
			buf_adds(out, "\r\n");
			buf_adds(out, indent);
			col = strlen(indent);
		} else if (col > 0) {
			buf_addc(out, ' ');
			col++;
		}
		buf_add(out, text + w, e - w);
		col += e - w;
		i = e;
	}
	buf_adds(out, "\r\n");
}

/* A field of the delivery-status part, folded at its own blanks. */
static void dsn_field(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, "%s:", name);
	struct fold f = {out, strlen(name) + 1, false};
	fold_text(&f, " ", 1);
	fold_text(&f, value, strlen(value));
	buf_adds(out, "\r\n");
}

/* Does the diagnostic look like an SMTP reply ("550 5.1.1 ...")? */
static bool is_smtp_reply(const char *s)
{
	return s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
	       s[2] <= '9' && (s[3] == ' ' || s[3] == '-' || s[3] == '\0');
}

/* The original's header block, up to the empty line, with CRLF line ends;
 * a line longer than 998 octets is folded with CRLF SP. */
static void dsn_original_headers(struct buf *out, const char *msg, size_t len)
{
	size_t body = msg ? mime_body_offset(msg, len) : 0;
	size_t off = 0;
	while (off < body) {
		size_t end, next = mime_next_line(msg, len, off, &end);
		if (end == off)
			break;
		for (size_t k = off; k < end; k += MIME_DSN_HEADER_PIECE_OCTETS) {
			size_t n = end - k < MIME_DSN_HEADER_PIECE_OCTETS ? end - k
									  : MIME_DSN_HEADER_PIECE_OCTETS;
			if (k > off)
				buf_addc(out, ' ');
			buf_add(out, msg + k, n);
			buf_adds(out, "\r\n");
		}
		off = next;
	}
}

void mime_dsn(struct buf *out, const struct mime_dsn *d)
{
	const char *boundary = d->boundary && *d->boundary ? d->boundary : "mailsim-dsn-boundary";
	struct buf host, tmp, tmp2;
	buf_init(&host);
	buf_init(&tmp);
	buf_init(&tmp2);
	dsn_clean(&host, d->reporting_mta && *d->reporting_mta ? d->reporting_mta : "localhost");

	/* The message header. */
	buf_printf(out, "From: Mail Delivery Subsystem <MAILER-DAEMON@%s>\r\n",
		   dsn_clean(&tmp, d->postmaster_domain && *d->postmaster_domain
					   ? d->postmaster_domain
					   : host.p));
	buf_printf(out, "To: %s\r\n", dsn_clean(&tmp, d->to));
	buf_adds(out, "Subject: Undelivered Mail Returned to Sender\r\n");
	buf_adds(out, "Date: ");
	mime_format_date(out, d->date);
	buf_adds(out, "\r\n");
	if (d->message_id)
		buf_printf(out, "Message-ID: %s\r\n", dsn_clean(&tmp, d->message_id));
	buf_adds(out, "MIME-Version: 1.0\r\n");
	const char *ct = "Content-Type: multipart/report; report-type=delivery-status;";
	buf_adds(out, ct);
	struct fold f = {out, strlen(ct), false};
	buf_clear(&tmp);
	buf_printf(&tmp, "boundary=\"%s\"", boundary);
	fold_piece(&f, " ", 1, tmp.p, tmp.len);
	buf_adds(out, "\r\n");
	buf_adds(out, "Auto-Submitted: auto-replied\r\n");
	buf_adds(out, "\r\n");
	buf_adds(out, "This is a MIME-encapsulated message.\r\n\r\n");

	/* Part 1: for the person. */
	buf_printf(out, "--%s\r\n", boundary);
	buf_adds(out, "Content-Description: Notification\r\n"
		      "Content-Type: text/plain; charset=us-ascii\r\n"
		      "\r\n");
	buf_printf(out, "This is the mail system at host %s.\r\n\r\n", host.p);
	buf_adds(out, "I'm sorry to have to inform you that your message could not\r\n"
		      "be delivered to one or more recipients. The headers of your\r\n"
		      "message are attached below.\r\n\r\n");
	if (d->explanation && *d->explanation) {
		dsn_wrap(out, dsn_clean(&tmp, d->explanation), MIME_DSN_WRAP_COLUMNS, "");
		buf_adds(out, "\r\n");
	}
	buf_adds(out, "For further assistance, please send mail to postmaster.\r\n\r\n"
		      "If you do so, please include this problem report.\r\n\r\n"
		      "                   The mail system\r\n\r\n");
	for (size_t i = 0; i < d->nrcpts; i++) {
		const struct mime_dsn_rcpt *r = &d->rcpts[i];
		buf_clear(&tmp2);
		buf_add(&tmp2, "", 0);
		buf_printf(&tmp2, "<%s>: ", dsn_clean(&tmp, r->addr));
		if (r->remote_mta && *r->remote_mta)
			buf_printf(&tmp2, "host %s said: ", dsn_clean(&tmp, r->remote_mta));
		buf_adds(&tmp2, dsn_clean(&tmp, r->diagnostic ? r->diagnostic : "delivery failed"));
		if (r->smtp_command && *r->smtp_command)
			buf_printf(&tmp2, " (in reply to %s command)", dsn_clean(&tmp, r->smtp_command));
		dsn_wrap(out, tmp2.p, MIME_DSN_WRAP_COLUMNS, "    ");
		buf_adds(out, "\r\n");
	}

	/* Part 2: for the machine (RFC 3464 2.2 and 2.3). */
	buf_printf(out, "--%s\r\n", boundary);
	buf_adds(out, "Content-Description: Delivery report\r\n"
		      "Content-Type: message/delivery-status\r\n"
		      "\r\n");
	buf_clear(&tmp2);
	buf_printf(&tmp2, "dns; %s", host.p);
	dsn_field(out, "Reporting-MTA", tmp2.p);
	buf_clear(&tmp2);
	mime_format_date(&tmp2, d->arrival_date);
	dsn_field(out, "Arrival-Date", tmp2.p);
	for (size_t i = 0; i < d->nrcpts; i++) {
		const struct mime_dsn_rcpt *r = &d->rcpts[i];
		buf_adds(out, "\r\n");
		buf_clear(&tmp2);
		buf_printf(&tmp2, "rfc822; %s", dsn_clean(&tmp, r->addr));
		dsn_field(out, "Final-Recipient", tmp2.p);
		dsn_field(out, "Action", "failed");
		dsn_field(out, "Status", r->status && *r->status ? dsn_clean(&tmp, r->status) : "5.0.0");
		if (r->remote_mta && *r->remote_mta) {
			buf_clear(&tmp2);
			buf_printf(&tmp2, "dns; %s", dsn_clean(&tmp, r->remote_mta));
			dsn_field(out, "Remote-MTA", tmp2.p);
		}
		if (r->diagnostic && *r->diagnostic) {
			const char *diag = dsn_clean(&tmp, r->diagnostic);
			buf_clear(&tmp2);
			/* RFC 3464 2.3.6: "smtp" for a server's reply; an X- type
			 * for our own words, as real MTAs do. */
			buf_printf(&tmp2, "%s; %s", is_smtp_reply(diag) ? "smtp" : "X-mailsim", diag);
			dsn_field(out, "Diagnostic-Code", tmp2.p);
		}
	}
	buf_adds(out, "\r\n");

	/* Part 3: the original's header block (RFC 6522 / RFC 3462). */
	buf_printf(out, "--%s\r\n", boundary);
	buf_adds(out, "Content-Description: Undelivered Message Headers\r\n"
		      "Content-Type: text/rfc822-headers\r\n");
	size_t hdr_end = d->original ? mime_body_offset(d->original, d->original_len) : 0;
	if (d->original && !mime_is_7bit(d->original, hdr_end))
		buf_adds(out, "Content-Transfer-Encoding: 8bit\r\n");
	buf_adds(out, "\r\n");
	dsn_original_headers(out, d->original, d->original_len);
	buf_printf(out, "\r\n--%s--\r\n", boundary);

	buf_free(&host);
	buf_free(&tmp);
	buf_free(&tmp2);
}
