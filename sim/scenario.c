/*
 * scenario.c - the .scn parser: bytes, tokens, directives, meaning.
 *
 * The work is done in four steps, each with its own section below:
 *
 *   1. Lines.  The text is cut into lines (LF or CRLF); each line is checked
 *      for NUL bytes, control characters and invalid UTF-8 before anything
 *      else reads it, so the later steps can trust every byte.
 *   2. Tokens.  A line is cut into words and "strings" (escapes decoded),
 *      each with its column; `#` outside a string ends the line.
 *   3. Directives.  The first word names a directive, found in a table
 *      {name, parser}.  A parser builds one element of the tree and notes
 *      every name it refers to (a device, a server, a login...) as a
 *      "reference" with its position; it does not look names up yet.
 *   4. Meaning.  When every line has been read, the references are resolved
 *      against the declarations.  So a name may be used above the line that
 *      declares it: only the story keeps file order.
 *
 * Errors are collected with their position and printed sorted by position,
 * so the teacher reads them top to bottom whichever step found them.  After
 * an error the parser goes on with the next line.
 */
#include "scenario.h"

#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Limits, with their units. */
#define SCN_MAX_FILE_BYTES   ((size_t)64 * 1024 * 1024)
#define SCN_MAX_REPEAT       1000000L    /* `repeat N`: N from 1 to this */
#define SCN_MAX_COUNT        1000000000L /* `count N` in checks */
#define SCN_MAX_MSGNO        1000000000L /* imap message numbers */
#define SCN_MAX_BACKOFF      100L        /* `retry ... backoff N` */
#define SCN_MAX_ATTEMPTS     1000L       /* `retry ... attempts N` */
#define SCN_DEFAULT_BACKOFF  2
#define SCN_DEFAULT_ATTEMPTS 5
#define SCN_DEFAULT_SEED     1
#define SCN_FRAC_DIGITS      9           /* decimals kept in 1.5s, 0.5%... */
#define SCN_PPM_PER_PERCENT  10000
#define SCN_PPM_MAX          1000000

#define US_PER_MS   1000LL
#define US_PER_S    1000000LL
#define US_PER_MIN  60000000LL
#define US_PER_HOUR 3600000000LL

/* ------------------------------------------------------------------ */
/* The parser's state                                                 */
/* ------------------------------------------------------------------ */

struct line {
	const char *p; /* first byte, in the text being parsed */
	size_t len;    /* bytes, without the LF and a CR before it */
	int no;        /* 1-based line number */
	bool bad;      /* a byte-level error was reported: skip it */
};

struct tok {
	int col;     /* 1-based byte column of the first byte */
	int endcol;  /* column just after the last byte */
	bool string; /* a "..." string; text is decoded */
	char *text;  /* the word, or the string's content */
};

/* A name used somewhere, resolved when every declaration is known. */
enum ref_kind {
	REF_DEVICE,     /* a declared device */
	REF_SERVER,     /* a declared server (the `server H` of a domain) */
	REF_HOST,       /* a device or a server (link endpoints) */
	REF_LOGIN,      /* an address in a declared domain (`user ADDR`) */
	REF_OWNER,      /* a declared user (`device ... owner ADDR`) */
	REF_MAILBOX,    /* a declared user (`expect mailbox ADDR`) */
	REF_NEW_DEVICE, /* a device name that must not be a server's */
	REF_LINKED,     /* hosts a and b must be joined by some link */
};

struct ref {
	enum ref_kind kind;
	struct scn_pos pos;
	char *a, *b; /* own copies */
};

struct diag {
	struct scn_pos pos; /* line 0: about the whole file */
	size_t seq;         /* report order, to keep the sort stable */
	char *msg;
};

struct parser {
	const char *name;  /* the file name, for messages */
	struct scenario *s;

	struct line *lines;
	size_t nlines;
	size_t li;         /* the line being parsed */

	struct tok *toks;  /* the current line's tokens */
	size_t ntoks, captoks;
	size_t ti;         /* next token to read */
	int line_no;       /* the current line's number */
	int eol_col;       /* column just after the last token */
	size_t comment_off;/* where a comment starts, or the line length */

	struct diag *diags;
	size_t ndiags, capdiags;
	struct ref *refs;
	size_t nrefs, caprefs;

	int title_line;    /* where the title was given, 0 = not yet */
	int exercise_line; /* where `exercise` was given, 0 = not yet */
	struct scn_pos first_lab_text; /* the first task or hint, line 0 = none */
	int seed_line;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */
/* ------------------------------------------------------------------ */

#define GROW(arr, n, cap)                                                   \
	do {                                                                \
		if ((n) == (cap)) {                                         \
			(cap) = (cap) ? (cap) * 2 : 8;                      \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));    \
		}                                                           \
	} while (0)

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void push_str(char ***arr, size_t *n, char *str)
{
	*arr = xrealloc(*arr, (*n + 1) * sizeof(**arr));
	(*arr)[(*n)++] = str;
}

static void free_strs(char **arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(arr[i]);
	free(arr);
}

/* Edit distance, optimal string alignment: inserting, deleting or
 * swapping two neighbours costs 1, replacing a letter 2 (a typo more often
 * swaps or drops a letter), so "sned" is nearer "send" than "seed". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na > 64 || nb > 64)
		return (size_t)-1;
	size_t d[65][65];
	for (size_t i = 0; i <= na; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= nb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= na; i++) {
		for (size_t j = 1; j <= nb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 2;
			size_t v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[na][nb];
}

/* The candidate closest to word, if it is close enough to be a typo. */
static const char *suggest(const char *word, const char *const *cands, size_t n)
{
	size_t len = strlen(word);
	size_t limit = len <= 3 ? 2 : 3;
	const char *best = NULL;
	size_t bestd = limit + 1;
	for (size_t i = 0; i < n; i++) {
		size_t dist = edit_distance(word, cands[i]);
		if (dist > 0 && dist < bestd) {
			best = cands[i];
			bestd = dist;
		}
	}
	return best;
}

/* ------------------------------------------------------------------ */
/* Errors and references                                              */
/* ------------------------------------------------------------------ */

static void verr_at(struct parser *p, int line, int col, const char *fmt, va_list ap)
	PRINTF_LIKE(4, 0);
static void verr_at(struct parser *p, int line, int col, const char *fmt, va_list ap)
{
	struct buf b;
	buf_init(&b);
	buf_vprintf(&b, fmt, ap);
	GROW(p->diags, p->ndiags, p->capdiags);
	p->diags[p->ndiags].pos.line = line;
	p->diags[p->ndiags].pos.col = col;
	p->diags[p->ndiags].seq = p->ndiags;
	p->diags[p->ndiags].msg = buf_steal(&b);
	p->ndiags++;
}

static void err_at(struct parser *p, struct scn_pos pos, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void err_at(struct parser *p, struct scn_pos pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(p, pos.line, pos.col, fmt, ap);
	va_end(ap);
}

/* An error at a column of the current line. */
static void err_col(struct parser *p, int col, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void err_col(struct parser *p, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(p, p->line_no, col, fmt, ap);
	va_end(ap);
}

static struct scn_pos tok_pos(const struct parser *p, const struct tok *t)
{
	struct scn_pos pos = {p->line_no, t->col};
	return pos;
}

static void add_ref(struct parser *p, enum ref_kind kind, const struct tok *t,
		    const char *a, const char *b)
{
	GROW(p->refs, p->nrefs, p->caprefs);
	struct ref *r = &p->refs[p->nrefs++];
	r->kind = kind;
	r->pos = tok_pos(p, t);
	r->a = xstrdup(a);
	r->b = b ? xstrdup(b) : NULL;
}

/* Forget the references noted since `from` (their line failed). */
static void drop_refs(struct parser *p, size_t from)
{
	while (p->nrefs > from) {
		p->nrefs--;
		free(p->refs[p->nrefs].a);
		free(p->refs[p->nrefs].b);
	}
}

/* ------------------------------------------------------------------ */
/* Step 1: lines                                                      */
/* ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned min;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Report the first bad byte of a line; true if there was one. */
static bool check_line_bytes(struct parser *p, const struct line *ln)
{
	const unsigned char *s = (const unsigned char *)ln->p;
	for (size_t i = 0; i < ln->len;) {
		unsigned char c = s[i];
		int col = (int)i + 1;
		if (c == 0) {
			struct scn_pos pos = {ln->no, col};
			err_at(p, pos, "NUL byte in the file (is it a text file?)");
			return true;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			struct scn_pos pos = {ln->no, col};
			err_at(p, pos, "control character 0x%02x in the file", c);
			return true;
		}
		size_t n = utf8_valid(s + i, ln->len - i);
		if (n == 0) {
			struct scn_pos pos = {ln->no, col};
			err_at(p, pos, "invalid UTF-8 (byte 0x%02x): save the file as UTF-8", c);
			return true;
		}
		i += n;
	}
	return false;
}

static void split_lines(struct parser *p, const char *text, size_t len)
{
	size_t i = 0, cap = 0;
	int no = 1;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3; /* a byte-order mark, as some editors write */
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		struct line ln = {text + i, end - i, no++, false};
		if (ln.len > 0 && ln.p[ln.len - 1] == '\r')
			ln.len--;
		ln.bad = check_line_bytes(p, &ln);
		GROW(p->lines, p->nlines, cap);
		p->lines[p->nlines++] = ln;
		i = end + 1;
	}
}

/* ------------------------------------------------------------------ */
/* Step 2: tokens                                                     */
/* ------------------------------------------------------------------ */

static void push_tok(struct parser *p, size_t start, size_t end, bool string, char *text)
{
	GROW(p->toks, p->ntoks, p->captoks);
	struct tok *t = &p->toks[p->ntoks++];
	t->col = (int)start + 1;
	t->endcol = (int)end + 1;
	t->string = string;
	t->text = text;
}

static void free_toks(struct parser *p)
{
	for (size_t i = 0; i < p->ntoks; i++)
		free(p->toks[i].text);
	p->ntoks = 0;
	p->ti = 0;
}

/* A string starting at the quote ln->p[*i]; leaves *i after the closing
 * quote. */
static int lex_string(struct parser *p, const struct line *ln, size_t *i)
{
	size_t start = *i, j = start + 1;
	struct buf b;
	buf_init(&b);
	for (;;) {
		if (j >= ln->len) {
			err_col(p, (int)start + 1,
				"unterminated string (a string ends with \" on the same line)");
			buf_free(&b);
			return -1;
		}
		char c = ln->p[j];
		if (c == '"')
			break;
		if (c != '\\') {
			buf_addc(&b, c);
			j++;
			continue;
		}
		if (j + 1 >= ln->len) {
			err_col(p, (int)start + 1,
				"unterminated string (a string ends with \" on the same line)");
			buf_free(&b);
			return -1;
		}
		char e = ln->p[j + 1];
		switch (e) {
		case '"':
		case '\\':
			buf_addc(&b, e);
			break;
		case 'n':
			buf_addc(&b, '\n');
			break;
		case 't':
			buf_addc(&b, '\t');
			break;
		default: {
			size_t n = utf8_valid((const unsigned char *)ln->p + j + 1,
					      ln->len - j - 1);
			err_col(p, (int)j + 1,
				"unknown escape '\\%.*s' in a string (use \\\", \\\\, \\n or \\t)",
				(int)(n ? n : 1), ln->p + j + 1);
			buf_free(&b);
			return -1;
		}
		}
		j += 2;
	}
	*i = j + 1;
	push_tok(p, start, *i, true, buf_steal(&b));
	return 0;
}

static int lex_line(struct parser *p, const struct line *ln)
{
	size_t i = 0;
	free_toks(p);
	p->line_no = ln->no;
	p->comment_off = ln->len;
	while (i < ln->len) {
		char c = ln->p[i];
		if (is_blank(c)) {
			i++;
		} else if (c == '#') {
			p->comment_off = i;
			break;
		} else if (c == '"') {
			if (lex_string(p, ln, &i) < 0)
				return -1;
		} else {
			size_t start = i;
			while (i < ln->len && !is_blank(ln->p[i]) && ln->p[i] != '"' &&
			       ln->p[i] != '#')
				i++;
			push_tok(p, start, i, false, xstrndup(ln->p + start, i - start));
		}
	}
	p->eol_col = p->ntoks ? p->toks[p->ntoks - 1].endcol : 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reading tokens                                                     */
/* ------------------------------------------------------------------ */

static const struct tok *peek_tok(const struct parser *p)
{
	return p->ti < p->ntoks ? &p->toks[p->ti] : NULL;
}

static const struct tok *next_tok(struct parser *p)
{
	return p->ti < p->ntoks ? &p->toks[p->ti++] : NULL;
}

static bool tok_is(const struct tok *t, const char *word)
{
	return t && !t->string && strcmp(t->text, word) == 0;
}

/* "expected WHAT[, got ...]" at t, or at the end of the line if t is NULL. */
static void err_expected(struct parser *p, const struct tok *t, const char *what)
{
	if (!t)
		err_col(p, p->eol_col, "expected %s", what);
	else if (t->string)
		err_col(p, t->col, "expected %s, got a string", what);
	else
		err_col(p, t->col, "expected %s, got '%s'", what, t->text);
}

static const struct tok *expect_word(struct parser *p, const char *what)
{
	const struct tok *t = next_tok(p);
	if (!t || t->string) {
		err_expected(p, t, what);
		return NULL;
	}
	return t;
}

static const struct tok *expect_string(struct parser *p, const char *what)
{
	const struct tok *t = next_tok(p);
	if (!t || !t->string) {
		err_expected(p, t, what);
		return NULL;
	}
	return t;
}

/* A word or a string. */
static const struct tok *expect_text(struct parser *p, const char *what)
{
	const struct tok *t = next_tok(p);
	if (!t) {
		err_expected(p, t, what);
		return NULL;
	}
	return t;
}

static int expect_keyword(struct parser *p, const char *kw)
{
	const struct tok *t = next_tok(p);
	if (tok_is(t, kw))
		return 0;
	char what[64];
	snprintf(what, sizeof what, "'%s'", kw);
	err_expected(p, t, what);
	return -1;
}

/* Which of `words` t is, or -1. */
static int tok_which(const struct tok *t, const char *const *words, size_t n)
{
	for (size_t i = 0; t && !t->string && i < n; i++)
		if (strcmp(t->text, words[i]) == 0)
			return (int)i;
	return -1;
}

/* "unknown WHAT 'x' (expected LIST[; did you mean 'y'?])" */
static void err_unknown_word(struct parser *p, const struct tok *t, const char *what,
			     const char *list, const char *const *words, size_t n)
{
	if (!t) {
		err_col(p, p->eol_col, "expected %s", list);
		return;
	}
	if (t->string) {
		err_col(p, t->col, "expected %s, got a string", list);
		return;
	}
	const char *s = suggest(t->text, words, n);
	if (s)
		err_col(p, t->col, "unknown %s '%s' (did you mean '%s'?)", what, t->text, s);
	else
		err_col(p, t->col, "unknown %s '%s' (expected %s)", what, t->text, list);
}

static int end_of_line(struct parser *p)
{
	const struct tok *t = peek_tok(p);
	if (!t)
		return 0;
	if (t->string)
		err_col(p, t->col, "unexpected string (nothing more is expected on this line)");
	else
		err_col(p, t->col, "unexpected '%s' (nothing more is expected on this line)",
			t->text);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Values: names, numbers, durations, rates                          */
/* ------------------------------------------------------------------ */

static bool valid_hostname(const char *s)
{
	size_t total = strlen(s), label = 0;
	if (total == 0 || total > 253)
		return false;
	for (const char *q = s;; q++) {
		if (*q == '.' || *q == '\0') {
			if (label == 0 || label > 63 || q[-1] == '-')
				return false;
			if (*q == '\0')
				return true;
			label = 0;
		} else if (is_alnum(*q) || *q == '-') {
			if (label == 0 && *q == '-')
				return false;
			label++;
		} else {
			return false;
		}
	}
}

static bool valid_address(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@'))
		return false;
	for (const char *q = s; q < at; q++) {
		unsigned char c = (unsigned char)*q;
		if (c <= ' ' || c >= 0x7f || strchr("()<>[]:;\\\",", c))
			return false;
	}
	return valid_hostname(at + 1);
}

static bool valid_device_name(const char *s)
{
	if (!is_alnum(*s))
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

static const char *addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? at + 1 : addr;
}

/* A whole number from min to max, digits only. */
static bool parse_long(const char *s, long min, long max, long *out)
{
	long v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!is_digit(*s))
			return false;
		int d = *s - '0';
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

/* "12" or "1.5" (n bytes) times scale, truncated; -1 if malformed or too
 * big.  Written out by hand: no locale, no floating point. */
static int parse_decimal(const char *s, size_t n, int64_t scale, int64_t *out)
{
	size_t i = 0;
	int64_t ip = 0, frac = 0, div = 1;
	if (n == 0 || !is_digit(s[0]))
		return -1;
	for (; i < n && is_digit(s[i]); i++) {
		int d = s[i] - '0';
		if (ip > (INT64_MAX - d) / 10)
			return -1;
		ip = ip * 10 + d;
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i == n || !is_digit(s[i]))
			return -1;
		for (int nd = 0; i < n && is_digit(s[i]); i++, nd++) {
			if (nd < SCN_FRAC_DIGITS) {
				frac = frac * 10 + (s[i] - '0');
				div *= 10;
			}
		}
	}
	if (i != n || ip > INT64_MAX / scale)
		return -1;
	/* frac < 10^9 and scale <= 3.6 * 10^9: the product fits. */
	int64_t v = ip * scale, f = frac * scale / div;
	if (v > INT64_MAX - f)
		return -1;
	*out = v + f;
	return 0;
}

struct unit {
	const char *name;
	int64_t scale;
};

/* Parse NUMBER UNIT with a unit from the table; -1 if malformed. */
static int64_t parse_with_unit(const char *word, const struct unit *units, size_t nunits)
{
	size_t n = 0;
	while (is_digit(word[n]) || word[n] == '.')
		n++;
	for (size_t i = 0; i < nunits; i++) {
		int64_t v;
		if (strcmp(word + n, units[i].name) == 0 &&
		    parse_decimal(word, n, units[i].scale, &v) == 0)
			return v;
	}
	return -1;
}

static const struct unit duration_units[] = {
	{"us", 1}, {"ms", US_PER_MS}, {"s", US_PER_S}, {"m", US_PER_MIN}, {"h", US_PER_HOUR},
};

int64_t scn_parse_duration(const char *word)
{
	if (!word)
		return -1;
	return parse_with_unit(word, duration_units,
			       sizeof duration_units / sizeof duration_units[0]);
}

static const struct unit rate_units[] = {
	{"bps", 1}, {"kbps", 1000}, {"Mbps", 1000000}, {"Gbps", 1000000000},
};

static int64_t parse_rate(const char *word)
{
	return parse_with_unit(word, rate_units, sizeof rate_units / sizeof rate_units[0]);
}

#define DURATION_HINT "a duration like 250ms, 2s or 1.5s"

/* A duration token; min_us is 0 or 1 (must be > 0). */
static int expect_duration(struct parser *p, const char *what, int64_t min_us, int64_t *out)
{
	const struct tok *t = next_tok(p);
	int64_t v = t && !t->string ? scn_parse_duration(t->text) : -1;
	if (v < 0) {
		err_expected(p, t, DURATION_HINT);
		return -1;
	}
	if (v < min_us) {
		err_col(p, t->col, "%s must be longer than 0, got '%s'", what, t->text);
		return -1;
	}
	*out = v;
	return 0;
}

static int expect_number(struct parser *p, const char *what, long min, long max, long *out)
{
	const struct tok *t = next_tok(p);
	if (!t || t->string) {
		err_expected(p, t, what);
		return -1;
	}
	if (!parse_long(t->text, min, max, out)) {
		err_col(p, t->col, "%s must be a whole number from %ld to %ld, got '%s'", what,
			min, max, t->text);
		return -1;
	}
	return 0;
}

static const struct tok *expect_device_name(struct parser *p)
{
	return expect_word(p, "a device name");
}

static const struct tok *expect_address(struct parser *p)
{
	const struct tok *t = expect_word(p, "an address (local@domain)");
	if (t && !valid_address(t->text)) {
		err_col(p, t->col, "'%s' is not an address (expected local@domain)", t->text);
		return NULL;
	}
	return t;
}

/* ------------------------------------------------------------------ */
/* Building the tree                                                  */
/* ------------------------------------------------------------------ */

static void action_init(struct scn_action *a, struct scn_pos pos)
{
	memset(a, 0, sizeof *a);
	a->pos = pos;
	a->repeat = 1;
}

static void action_clear(struct scn_action *a)
{
	free(a->device);
	free_strs(a->to, a->nto);
	free_strs(a->cc, a->ncc);
	free_strs(a->bcc, a->nbcc);
	free(a->subject);
	free(a->body);
	free(a->flag);
	free(a->folder);
	free(a->host_a);
	free(a->host_b);
	free(a->text);
	free(a->server);
	for (size_t i = 0; i < a->nlines; i++)
		free(a->lines[i].text);
	free(a->lines);
	memset(a, 0, sizeof *a);
}

static void check_clear(struct scn_check *c)
{
	free(c->source);
	free(c->address);
	free(c->folder);
	free(c->device);
	free(c->host);
	free(c->from);
	free(c->to);
	free(c->subject);
	free(c->flag);
	free(c->reply_enh);
	memset(c, 0, sizeof *c);
}

static void push_action(struct parser *p, struct scn_action *a)
{
	struct scenario *s = p->s;
	s->actions = xrealloc(s->actions, (s->nactions + 1) * sizeof *s->actions);
	s->actions[s->nactions++] = *a;
}

static void push_check(struct parser *p, struct scn_check *c)
{
	struct scenario *s = p->s;
	s->checks = xrealloc(s->checks, (s->nchecks + 1) * sizeof *s->checks);
	s->checks[s->nchecks++] = *c;
}

static bool is_server(const struct scenario *s, const char *host)
{
	for (size_t i = 0; i < s->ndomains; i++)
		if (strcasecmp(s->domains[i].server, host) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Step 3: directives - header and world                              */
/* ------------------------------------------------------------------ */

static int parse_title(struct parser *p, const struct tok *kw)
{
	const struct tok *t = expect_string(p, "the title in double quotes");
	if (!t || end_of_line(p) < 0)
		return -1;
	if (p->title_line) {
		err_col(p, kw->col, "duplicate title (the title is given on line %d)",
			p->title_line);
		return -1;
	}
	p->title_line = p->line_no;
	p->s->title = xstrdup(t->text);
	return 0;
}

static int parse_about(struct parser *p, const struct tok *kw)
{
	(void)kw;
	const struct tok *t = expect_string(p, "a paragraph in double quotes");
	if (!t || end_of_line(p) < 0)
		return -1;
	push_str(&p->s->about, &p->s->nabout, xstrdup(t->text));
	return 0;
}

/* `exercise`: no argument; marks the file as a lab exercise. */
static int parse_exercise(struct parser *p, const struct tok *kw)
{
	if (end_of_line(p) < 0)
		return -1;
	if (p->exercise_line) {
		err_col(p, kw->col, "duplicate exercise (the file is marked an exercise on line %d)",
			p->exercise_line);
		return -1;
	}
	p->exercise_line = p->line_no;
	p->s->exercise = true;
	return 0;
}

/* `task "..."` and `hint "..."`: paragraphs, in file order. */
static int parse_lab_text(struct parser *p, const struct tok *kw)
{
	bool task = strcmp(kw->text, "task") == 0;
	const struct tok *t = expect_string(p, task ? "the task (a paragraph) in double quotes"
						    : "the hint (a paragraph) in double quotes");
	if (!t || end_of_line(p) < 0)
		return -1;
	if (!p->first_lab_text.line)
		p->first_lab_text = tok_pos(p, kw);
	if (task)
		push_str(&p->s->tasks, &p->s->ntasks, xstrdup(t->text));
	else
		push_str(&p->s->hints, &p->s->nhints, xstrdup(t->text));
	return 0;
}

static int parse_seed(struct parser *p, const struct tok *kw)
{
	const struct tok *t = expect_word(p, "a seed (a whole number)");
	if (!t)
		return -1;
	uint64_t v = 0;
	const char *q = t->text;
	for (; is_digit(*q); q++) {
		unsigned d = (unsigned)(*q - '0');
		if (v > (UINT64_MAX - d) / 10)
			break;
		v = v * 10 + d;
	}
	if (q == t->text || *q) {
		err_col(p, t->col,
			"the seed must be a whole number from 0 to 18446744073709551615, got '%s'",
			t->text);
		return -1;
	}
	if (end_of_line(p) < 0)
		return -1;
	if (p->seed_line) {
		err_col(p, kw->col, "duplicate seed (the seed is given on line %d)", p->seed_line);
		return -1;
	}
	p->seed_line = p->line_no;
	p->s->seed = v;
	return 0;
}

static int parse_domain(struct parser *p, const struct tok *kw)
{
	const struct tok *d = expect_word(p, "a domain name");
	if (!d)
		return -1;
	if (!valid_hostname(d->text)) {
		err_col(p, d->col, "'%s' is not a valid domain name", d->text);
		return -1;
	}
	if (expect_keyword(p, "server") < 0)
		return -1;
	const struct tok *h = expect_word(p, "the host name of the domain's mail server");
	if (!h)
		return -1;
	if (!valid_hostname(h->text)) {
		err_col(p, h->col, "'%s' is not a valid host name", h->text);
		return -1;
	}
	if (end_of_line(p) < 0)
		return -1;
	const struct scn_domain *old = scn_find_domain(p->s, d->text);
	if (old) {
		err_col(p, d->col, "duplicate domain '%s' (first declared on line %d)", d->text,
			old->pos.line);
		return -1;
	}
	struct scenario *s = p->s;
	s->domains = xrealloc(s->domains, (s->ndomains + 1) * sizeof *s->domains);
	struct scn_domain *dom = &s->domains[s->ndomains++];
	dom->pos = tok_pos(p, kw);
	dom->name = xstrdup(d->text);
	dom->server = xstrdup(h->text);
	return 0;
}

static int parse_user(struct parser *p, const struct tok *kw)
{
	static const char *const opts[] = {"password", "name"};
	const struct tok *addr = expect_address(p);
	const struct tok *pw = NULL, *name = NULL;
	if (!addr)
		return -1;
	for (const struct tok *t; (t = next_tok(p));) {
		int which = tok_which(t, opts, 2);
		if (which < 0) {
			err_unknown_word(p, t, "user option", "password or name", opts, 2);
			return -1;
		}
		if ((which == 0 && pw) || (which == 1 && name)) {
			err_col(p, t->col, "'%s' is given twice", t->text);
			return -1;
		}
		if (which == 0) {
			if (!(pw = expect_text(p, "a password")))
				return -1;
			if (!*pw->text) {
				err_col(p, pw->col, "the password cannot be empty");
				return -1;
			}
		} else if (!(name = expect_string(p, "the user's name in double quotes"))) {
			return -1;
		}
	}
	if (!pw) {
		err_col(p, p->eol_col, "expected 'password' (a user needs a password to log in)");
		return -1;
	}
	const struct scn_user *old = scn_find_user(p->s, addr->text);
	if (old) {
		err_col(p, addr->col, "duplicate user '%s' (first declared on line %d)",
			addr->text, old->pos.line);
		return -1;
	}
	struct scenario *s = p->s;
	s->users = xrealloc(s->users, (s->nusers + 1) * sizeof *s->users);
	struct scn_user *u = &s->users[s->nusers++];
	u->pos = tok_pos(p, kw);
	u->address = xstrdup(addr->text);
	u->password = xstrdup(pw->text);
	u->name = name ? xstrdup(name->text) : NULL;
	add_ref(p, REF_LOGIN, addr, addr->text, NULL);
	return 0;
}

static int parse_device(struct parser *p, const struct tok *kw)
{
	const struct tok *name = expect_device_name(p);
	if (!name)
		return -1;
	if (!valid_device_name(name->text)) {
		err_col(p, name->col,
			"'%s' is not a valid device name (use letters, digits, '-', '_' and '.')",
			name->text);
		return -1;
	}
	if (expect_keyword(p, "owner") < 0)
		return -1;
	const struct tok *owner = expect_address(p);
	if (!owner || end_of_line(p) < 0)
		return -1;
	const struct scn_device *old = scn_find_device(p->s, name->text);
	if (old) {
		err_col(p, name->col, "duplicate device '%s' (first declared on line %d)",
			name->text, old->pos.line);
		return -1;
	}
	struct scenario *s = p->s;
	s->devices = xrealloc(s->devices, (s->ndevices + 1) * sizeof *s->devices);
	struct scn_device *dev = &s->devices[s->ndevices++];
	dev->pos = tok_pos(p, kw);
	dev->name = xstrdup(name->text);
	dev->owner = xstrdup(owner->text);
	add_ref(p, REF_NEW_DEVICE, name, name->text, NULL);
	add_ref(p, REF_OWNER, owner, owner->text, NULL);
	return 0;
}

static const struct scn_link *find_link(const struct scenario *s, const char *a, const char *b)
{
	for (size_t i = 0; i < s->nlinks; i++) {
		const struct scn_link *l = &s->links[i];
		if ((strcasecmp(l->a, a) == 0 && strcasecmp(l->b, b) == 0) ||
		    (strcasecmp(l->a, b) == 0 && strcasecmp(l->b, a) == 0))
			return l;
	}
	return NULL;
}

/* `link A B`: the two endpoints, shared by the declaration and the action. */
static int link_ends(struct parser *p, const struct tok **a, const struct tok **b)
{
	if (!(*a = expect_word(p, "a host name (a device or a server)")) ||
	    !(*b = expect_word(p, "a second host name (a device or a server)")))
		return -1;
	if (strcasecmp((*a)->text, (*b)->text) == 0) {
		err_col(p, (*b)->col, "a link joins two different hosts, got '%s' twice",
			(*a)->text);
		return -1;
	}
	add_ref(p, REF_HOST, *a, (*a)->text, NULL);
	add_ref(p, REF_HOST, *b, (*b)->text, NULL);
	return 0;
}

static int run_action(struct parser *p, const struct tok *kw, struct scn_pos pos, long repeat);

static int parse_link(struct parser *p, const struct tok *kw)
{
	static const char *const opts[] = {"latency", "bandwidth", "loss"};
	/* `link A B up|down` is a story action. */
	const struct tok *state = p->ti + 2 < p->ntoks ? &p->toks[p->ti + 2] : NULL;
	if (tok_is(state, "up") || tok_is(state, "down"))
		return run_action(p, kw, tok_pos(p, kw), 1);

	const struct tok *a, *b;
	if (link_ends(p, &a, &b) < 0)
		return -1;
	int64_t latency = -1, bandwidth = 0, loss = 0;
	bool seen[3] = {false, false, false};
	for (const struct tok *t; (t = next_tok(p));) {
		int which = tok_which(t, opts, 3);
		if (which < 0) {
			err_unknown_word(p, t, "link option", "latency, bandwidth or loss", opts, 3);
			return -1;
		}
		if (seen[which]) {
			err_col(p, t->col, "'%s' is given twice", t->text);
			return -1;
		}
		seen[which] = true;
		if (which == 0) {
			if (expect_duration(p, "the latency", 0, &latency) < 0)
				return -1;
			continue;
		}
		const struct tok *v = next_tok(p);
		if (which == 1) {
			bandwidth = v && !v->string ? parse_rate(v->text) : -1;
			if (bandwidth <= 0) {
				err_expected(p, v, "a rate like 56kbps, 1Mbps or 1.5Gbps");
				return -1;
			}
		} else {
			size_t n = v && !v->string ? strlen(v->text) : 0;
			if (n < 2 || v->text[n - 1] != '%' ||
			    parse_decimal(v->text, n - 1, SCN_PPM_PER_PERCENT, &loss) < 0) {
				err_expected(p, v, "a loss like 2% or 0.5%");
				return -1;
			}
			if (loss > SCN_PPM_MAX) {
				err_col(p, v->col, "the loss must be from 0%% to 100%%, got '%s'",
					v->text);
				return -1;
			}
		}
	}
	const struct scn_link *old = find_link(p->s, a->text, b->text);
	if (old) {
		err_col(p, a->col, "duplicate link between '%s' and '%s' (first declared on line %d)",
			a->text, b->text, old->pos.line);
		return -1;
	}
	struct scenario *s = p->s;
	s->links = xrealloc(s->links, (s->nlinks + 1) * sizeof *s->links);
	struct scn_link *l = &s->links[s->nlinks++];
	l->pos = tok_pos(p, kw);
	l->a = xstrdup(a->text);
	l->b = xstrdup(b->text);
	l->latency_us = latency;
	l->bandwidth_bps = bandwidth;
	l->loss_ppm = (uint32_t)loss;
	return 0;
}

/* Extension: `retry [HOST] after DUR [backoff N] [attempts N]`. */
static int parse_retry(struct parser *p, const struct tok *kw)
{
	static const char *const opts[] = {"backoff", "attempts"};
	const struct tok *host = NULL, *t = peek_tok(p);
	if (t && !tok_is(t, "after")) {
		if (!(host = expect_word(p, "a server name or 'after'")))
			return -1;
	}
	if (expect_keyword(p, "after") < 0)
		return -1;
	int64_t first;
	if (expect_duration(p, "the retry delay", 1, &first) < 0)
		return -1;
	long backoff = SCN_DEFAULT_BACKOFF, attempts = SCN_DEFAULT_ATTEMPTS;
	bool seen[2] = {false, false};
	while ((t = next_tok(p))) {
		int which = tok_which(t, opts, 2);
		if (which < 0) {
			err_unknown_word(p, t, "retry option", "backoff or attempts", opts, 2);
			return -1;
		}
		if (seen[which]) {
			err_col(p, t->col, "'%s' is given twice", t->text);
			return -1;
		}
		seen[which] = true;
		if (which == 0 && expect_number(p, "the backoff", 1, SCN_MAX_BACKOFF, &backoff) < 0)
			return -1;
		if (which == 1 &&
		    expect_number(p, "the number of attempts", 1, SCN_MAX_ATTEMPTS, &attempts) < 0)
			return -1;
	}
	struct scenario *s = p->s;
	for (size_t i = 0; i < s->nretries; i++) {
		const struct scn_retry *r = &s->retries[i];
		if (!host && !r->server) {
			err_col(p, kw->col, "duplicate retry for every server (first given on line %d)",
				r->pos.line);
			return -1;
		}
		if (host && r->server && strcasecmp(host->text, r->server) == 0) {
			err_col(p, host->col, "duplicate retry for '%s' (first given on line %d)",
				host->text, r->pos.line);
			return -1;
		}
	}
	if (host)
		add_ref(p, REF_SERVER, host, host->text, NULL);
	s->retries = xrealloc(s->retries, (s->nretries + 1) * sizeof *s->retries);
	struct scn_retry *r = &s->retries[s->nretries++];
	r->pos = tok_pos(p, kw);
	r->server = host ? xstrdup(host->text) : NULL;
	r->first_us = first;
	r->backoff = (int)backoff;
	r->attempts = (int)attempts;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Step 3: directives - the story                                     */
/* ------------------------------------------------------------------ */

static int need_device(struct parser *p, struct scn_action *a)
{
	const struct tok *t = expect_device_name(p);
	if (!t)
		return -1;
	a->device = xstrdup(t->text);
	add_ref(p, REF_DEVICE, t, t->text, NULL);
	return 0;
}

static const char *const send_words[] = {"to", "cc", "bcc", "subject", "body"};
#define SEND_WORDS_LIST "to, cc, bcc, subject or body"
enum { SEND_TO, SEND_CC, SEND_BCC, SEND_SUBJECT, SEND_BODY, SEND_NWORDS };

/* An address list after `to`, `cc` or `bcc`: addresses separated by
 * commas, which may be glued to them ("a@x.com,b@y.com") or not. */
static int addr_list(struct parser *p, char ***arr, size_t *n)
{
	bool need = true; /* an address must come next */
	bool any = false;
	const struct tok *t;
	while ((t = peek_tok(p))) {
		if (t->string || (!need && t->text[0] != ','))
			break;
		if (need && tok_which(t, send_words, SEND_NWORDS) >= 0) {
			err_expected(p, t, any ? "an address after ','" : "an address (local@domain)");
			return -1;
		}
		p->ti++;
		for (size_t i = 0; t->text[i];) {
			if (t->text[i] == ',') {
				if (need) {
					err_col(p, t->col + (int)i, "expected an address before ','");
					return -1;
				}
				need = true;
				i++;
				continue;
			}
			size_t len = strcspn(t->text + i, ",");
			char *addr = xstrndup(t->text + i, len);
			if (!valid_address(addr)) {
				err_col(p, t->col + (int)i,
					"'%s' is not an address (expected local@domain)", addr);
				free(addr);
				return -1;
			}
			push_str(arr, n, addr);
			need = false;
			any = true;
			i += len;
		}
	}
	if (!any) {
		err_expected(p, t, "an address (local@domain)");
		return -1;
	}
	if (need) {
		err_expected(p, t, "an address after ','");
		return -1;
	}
	return 0;
}

static bool has_line_break(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

static int action_send(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	bool seen[SEND_NWORDS] = {false};
	a->kind = SCN_SEND;
	if (tok_which(peek_tok(p), send_words, SEND_NWORDS) >= 0) {
		err_expected(p, peek_tok(p), "a device name");
		return -1;
	}
	if (need_device(p, a) < 0)
		return -1;
	for (const struct tok *t; (t = next_tok(p));) {
		int which = tok_which(t, send_words, SEND_NWORDS);
		if (which < 0 && !t->string && strchr(t->text, '@')) {
			err_col(p, t->col, "missing ',' before '%s' (separate addresses with commas)",
				t->text);
			return -1;
		}
		if (which < 0) {
			err_unknown_word(p, t, "send keyword", SEND_WORDS_LIST, send_words,
					 SEND_NWORDS);
			return -1;
		}
		if (seen[which]) {
			err_col(p, t->col, "'%s' is given twice", t->text);
			return -1;
		}
		seen[which] = true;
		const struct tok *v;
		switch (which) {
		case SEND_TO:
			if (addr_list(p, &a->to, &a->nto) < 0)
				return -1;
			break;
		case SEND_CC:
			if (addr_list(p, &a->cc, &a->ncc) < 0)
				return -1;
			break;
		case SEND_BCC:
			if (addr_list(p, &a->bcc, &a->nbcc) < 0)
				return -1;
			break;
		case SEND_SUBJECT:
			if (!(v = expect_string(p, "the subject in double quotes")))
				return -1;
			if (has_line_break(v->text)) {
				err_col(p, v->col, "a subject is one line: it cannot hold \\n");
				return -1;
			}
			a->subject = xstrdup(v->text);
			break;
		case SEND_BODY:
			if (!(v = expect_string(p, "the body in double quotes")))
				return -1;
			a->body = xstrdup(v->text);
			break;
		}
	}
	if (!seen[SEND_TO]) {
		err_col(p, kw->col, "send needs 'to' and at least one address");
		return -1;
	}
	if (!seen[SEND_SUBJECT]) {
		err_col(p, kw->col, "send needs a subject: add subject \"...\"");
		return -1;
	}
	if (!seen[SEND_BODY]) {
		err_col(p, kw->col, "send needs a body: add body \"...\"");
		return -1;
	}
	return 0;
}

static int action_pop3(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	(void)kw;
	a->kind = SCN_POP3_FETCH;
	if (need_device(p, a) < 0 || expect_keyword(p, "fetch") < 0)
		return -1;
	const struct tok *t = peek_tok(p);
	if (t && !tok_is(t, "keep")) {
		err_expected(p, t, "'keep' or the end of the line");
		return -1;
	}
	if (t) {
		a->keep = true;
		p->ti++;
	}
	return 0;
}

static int imap_msgno(struct parser *p, struct scn_action *a)
{
	return expect_number(p, "a message number", 1, SCN_MAX_MSGNO, &a->msgno);
}

static int imap_folder(struct parser *p, struct scn_action *a)
{
	const struct tok *t = expect_text(p, "a folder name");
	if (!t)
		return -1;
	if (!*t->text || has_line_break(t->text)) {
		err_col(p, t->col, "a folder name must be one line, not empty");
		return -1;
	}
	a->folder = xstrdup(t->text);
	return 0;
}

/* \Seen and friends (written in any case, stored as IMAP spells them), or
 * a keyword atom like $Label1. */
static int parse_flag(struct parser *p, char **out)
{
	static const char *const system[] = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
					     "\\Draft"};
	const struct tok *t = expect_word(p, "a flag like \\Seen or \\Flagged");
	if (!t)
		return -1;
	if (t->text[0] == '\\') {
		for (size_t i = 0; i < sizeof system / sizeof system[0]; i++) {
			if (strcasecmp(t->text, system[i]) == 0) {
				*out = xstrdup(system[i]);
				return 0;
			}
		}
	} else {
		const char *q = t->text;
		for (; *q; q++)
			if ((unsigned char)*q >= 0x7f || strchr("(){%*]\\", *q))
				break;
		if (!*q) {
			*out = xstrdup(t->text);
			return 0;
		}
	}
	err_col(p, t->col,
		"unknown flag '%s' (expected \\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft "
		"or a keyword like $Label1)",
		t->text);
	return -1;
}

static int imap_flag(struct parser *p, struct scn_action *a)
{
	return parse_flag(p, &a->flag);
}

static int action_imap(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	static const char *const cmds[] = {"sync", "open", "close", "read",
					   "flag", "create", "move", "delete"};
	static const enum scn_action_kind kinds[] = {
		SCN_IMAP_SYNC, SCN_IMAP_OPEN, SCN_IMAP_CLOSE, SCN_IMAP_READ,
		SCN_IMAP_FLAG, SCN_IMAP_CREATE, SCN_IMAP_MOVE, SCN_IMAP_DELETE,
	};
	(void)kw;
	a->kind = SCN_IMAP_SYNC;
	if (need_device(p, a) < 0)
		return -1;
	const struct tok *t = next_tok(p);
	int which = tok_which(t, cmds, 8);
	if (which < 0) {
		err_unknown_word(p, t, "imap command",
				 "sync, open, close, read, flag, create, move or delete", cmds, 8);
		return -1;
	}
	a->kind = kinds[which];
	switch (a->kind) {
	case SCN_IMAP_READ:
	case SCN_IMAP_DELETE:
		return imap_msgno(p, a);
	case SCN_IMAP_FLAG:
		return imap_msgno(p, a) < 0 ? -1 : imap_flag(p, a);
	case SCN_IMAP_CREATE:
		return imap_folder(p, a);
	case SCN_IMAP_MOVE:
		return imap_msgno(p, a) < 0 ? -1 : imap_folder(p, a);
	default:
		return 0;
	}
}

static int action_wait(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	(void)kw;
	if (tok_is(peek_tok(p), "idle")) {
		p->ti++;
		a->kind = SCN_WAIT_IDLE;
		return 0;
	}
	a->kind = SCN_WAIT;
	return expect_duration(p, "the wait", 1, &a->duration_us);
}

static int up_or_down(struct parser *p, struct scn_action *a)
{
	const struct tok *t = next_tok(p);
	if (!tok_is(t, "up") && !tok_is(t, "down")) {
		err_expected(p, t, "'up' or 'down'");
		return -1;
	}
	a->up = strcmp(t->text, "up") == 0;
	return 0;
}

static int action_link(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	(void)kw;
	const struct tok *ta, *tb;
	a->kind = SCN_LINK_STATE;
	if (link_ends(p, &ta, &tb) < 0)
		return -1;
	a->host_a = xstrdup(ta->text);
	a->host_b = xstrdup(tb->text);
	add_ref(p, REF_LINKED, ta, ta->text, tb->text);
	return up_or_down(p, a);
}

static int action_server(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	(void)kw;
	a->kind = SCN_SERVER_STATE;
	const struct tok *t = expect_word(p, "a server name");
	if (!t)
		return -1;
	a->host_a = xstrdup(t->text);
	add_ref(p, REF_SERVER, t, t->text, NULL);
	return up_or_down(p, a);
}

static int action_note(struct parser *p, const struct tok *kw, struct scn_action *a)
{
	(void)kw;
	a->kind = SCN_NOTE;
	const struct tok *t = expect_string(p, "the note in double quotes");
	if (!t)
		return -1;
	a->text = xstrdup(t->text);
	return 0;
}

/* The body of a session block: `>` lines up to `end`.  Blank and comment
 * lines may sit between them.  The block also ends at the first other
 * line, which is then read as a directive: a forgotten `end` is one error,
 * not one per line of the rest of the file.  a NULL: skip quietly. */
static int session_body(struct parser *p, struct scn_action *a, struct scn_pos pos)
{
	size_t j;
	for (j = p->li + 1; j < p->nlines; j++) {
		const struct line *ln = &p->lines[j];
		size_t k = 0;
		if (ln->bad)
			continue;
		while (k < ln->len && is_blank(ln->p[k]))
			k++;
		if (k == ln->len || ln->p[k] == '#')
			continue;
		if (ln->p[k] == '>') {
			size_t start = k + 1;
			if (start < ln->len && ln->p[start] == ' ')
				start++;
			if (a) {
				a->lines = xrealloc(a->lines, (a->nlines + 1) * sizeof *a->lines);
				struct scn_session_line *sl = &a->lines[a->nlines++];
				sl->pos.line = ln->no;
				sl->pos.col = (int)k + 1;
				sl->text = xstrndup(ln->p + start, ln->len - start);
			}
			continue;
		}
		if (ln->len - k >= 3 && memcmp(ln->p + k, "end", 3) == 0) {
			size_t e = k + 3;
			while (e < ln->len && is_blank(ln->p[e]))
				e++;
			if (e == ln->len || ln->p[e] == '#') {
				p->li = j;
				return 0;
			}
		}
		break;
	}
	p->li = j - 1;
	if (a) {
		err_at(p, pos, "session has no 'end' line (a session is '>' lines, then 'end')");
		return -1;
	}
	return 0;
}

static const char *const port_words[] = {"smtp", "submission", "pop3", "imap"};

static int session_header(struct parser *p, struct scn_action *a)
{
	static const enum scn_port ports[] = {SCN_PORT_SMTP, SCN_PORT_SUBMISSION,
					      SCN_PORT_POP3, SCN_PORT_IMAP};
	const struct tok *t;
	if (need_device(p, a) < 0 || !(t = expect_word(p, "a server name")))
		return -1;
	a->server = xstrdup(t->text);
	add_ref(p, REF_SERVER, t, t->text, NULL);
	t = next_tok(p);
	int which = tok_which(t, port_words, 4);
	if (which < 0) {
		err_unknown_word(p, t, "port", "smtp, submission, pop3 or imap", port_words, 4);
		return -1;
	}
	a->port = ports[which];
	if (end_of_line(p) < 0)
		return -1;
	if (!scn_port_available(a->port))
		err_col(p, t->col, "%s is not implemented yet in this version of mailsim", t->text);
	return 0;
}

/* An IMAP line announcing a literal ("{n}" or "{n+}" at its end): n. */
static bool session_literal(const char *text, uint64_t *n)
{
	size_t len = strlen(text);
	if (len < 3 || text[len - 1] != '}')
		return false;
	size_t i = len - 1;
	if (text[i - 1] == '+')
		i--;
	size_t end = i;
	while (i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9')
		i--;
	if (i == 0 || i == end || end - i > 18 || text[i - 1] != '{')
		return false;
	*n = strtoull(text + i, NULL, 10);
	return true;
}

/* In an imap session, a literal's octets are the `>` lines after its
 * announcement, each with its CRLF: if they fall short, the server would
 * wait for the rest until it gives up, so say so now. */
static int session_check_literals(struct parser *p, const struct scn_action *a)
{
	uint64_t left = 0;
	const struct scn_session_line *announced = NULL;
	for (size_t i = 0; i < a->nlines; i++) {
		uint64_t size = strlen(a->lines[i].text) + 2, n;
		if (left > 0) {
			left = left > size ? left - size : 0;
			continue;
		}
		if (session_literal(a->lines[i].text, &n) && n > 0) {
			left = n;
			announced = &a->lines[i];
		}
	}
	if (left == 0)
		return 0;
	err_at(p, announced->pos,
	       "the literal announced here needs %llu more octets than the lines after it give "
	       "(each '>' line counts with its CRLF)",
	       (unsigned long long)left);
	return -1;
}

static int parse_session(struct parser *p, const struct tok *kw)
{
	struct scn_action a;
	action_init(&a, tok_pos(p, kw));
	a.kind = SCN_SESSION;
	int rc = session_header(p, &a);
	if (session_body(p, &a, tok_pos(p, kw)) < 0)
		rc = -1;
	if (rc == 0 && a.port == SCN_PORT_IMAP && session_check_literals(p, &a) < 0)
		rc = -1;
	if (rc < 0) {
		action_clear(&a);
		return -1;
	}
	push_action(p, &a);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Step 3: directives - the checks                                    */
/* ------------------------------------------------------------------ */

static int check_count(struct parser *p, struct scn_check *c)
{
	if (expect_keyword(p, "count") < 0)
		return -1;
	return expect_number(p, "the count", 0, SCN_MAX_COUNT, &c->count);
}

/* `has [from ADDR] [to ADDR] [subject "..."] [flag FLAG]`, at least one,
 * any order; one message must match them all.  (`flag` is an extension.) */
static int check_has(struct parser *p, struct scn_check *c)
{
	static const char *const words[] = {"from", "to", "subject", "flag"};
	const struct tok *t;
	while ((t = next_tok(p))) {
		int which = tok_which(t, words, 4);
		if (which < 0) {
			err_unknown_word(p, t, "'has' field", "from, to, subject or flag", words, 4);
			return -1;
		}
		char **field = which == 0 ? &c->from : which == 1 ? &c->to
			     : which == 2 ? &c->subject : &c->flag;
		if (*field) {
			err_col(p, t->col, "'%s' is given twice", t->text);
			return -1;
		}
		if (which == 3) {
			if (parse_flag(p, field) < 0)
				return -1;
			continue;
		}
		const struct tok *v = which == 2 ? expect_string(p, "the subject in double quotes")
						 : expect_address(p);
		if (!v)
			return -1;
		*field = xstrdup(v->text);
	}
	if (!c->from && !c->to && !c->subject && !c->flag) {
		err_col(p, p->eol_col, "expected from, to, subject or flag after 'has'");
		return -1;
	}
	return 0;
}

static int check_mailbox(struct parser *p, struct scn_check *c)
{
	const struct tok *addr = expect_address(p);
	if (!addr)
		return -1;
	c->address = xstrdup(addr->text);
	add_ref(p, REF_MAILBOX, addr, addr->text, NULL);
	const struct tok *t = peek_tok(p);
	if (tok_is(t, "folder")) {
		p->ti++;
		if (!(t = expect_text(p, "a folder name")))
			return -1;
		c->folder = xstrdup(t->text);
		t = peek_tok(p);
	}
	c->kind = SCN_EXPECT_MAILBOX_COUNT;
	if (tok_is(t, "count"))
		return check_count(p, c);
	if (tok_is(t, "has")) {
		p->ti++;
		c->kind = SCN_EXPECT_MAILBOX_HAS;
		return check_has(p, c);
	}
	err_expected(p, t, c->folder ? "'count' or 'has'" : "'count', 'folder' or 'has'");
	return -1;
}

/* 550 (200 to 599) or an enhanced status code like 5.1.1 (RFC 3463). */
static int check_reply(struct parser *p, struct scn_check *c)
{
	c->kind = SCN_EXPECT_REPLY;
	const struct tok *t = next_tok(p);
	const char *w = t && !t->string ? t->text : "";
	long code;
	if (strlen(w) == 3 && parse_long(w, 200, 599, &code)) {
		c->reply_code = (int)code;
		return 0;
	}
	if ((w[0] == '2' || w[0] == '4' || w[0] == '5') && w[1] == '.') {
		size_t n1 = strspn(w + 2, "0123456789");
		size_t n2 = w[2 + n1] == '.' ? strspn(w + 3 + n1, "0123456789") : 0;
		if (n1 >= 1 && n1 <= 3 && n2 >= 1 && n2 <= 3 && w[3 + n1 + n2] == '\0') {
			c->reply_enh = xstrdup(w);
			return 0;
		}
	}
	err_expected(p, t, "a reply code like 550 or an enhanced status like 5.1.1");
	return -1;
}

static int parse_expect(struct parser *p, const struct tok *kw)
{
	static const char *const kinds[] = {"mailbox", "device", "reply", "queue"};
	struct scn_check c;
	memset(&c, 0, sizeof c);
	c.pos = tok_pos(p, kw);
	const struct tok *t = next_tok(p), *v;
	int rc = -1;
	switch (tok_which(t, kinds, 4)) {
	case 0:
		rc = check_mailbox(p, &c);
		break;
	case 1:
		c.kind = SCN_EXPECT_DEVICE_COUNT;
		if (!(v = expect_device_name(p)))
			break;
		c.device = xstrdup(v->text);
		add_ref(p, REF_DEVICE, v, v->text, NULL);
		if (tok_is(peek_tok(p), "has")) {
			/* extension: what the device holds, by content and flags */
			p->ti++;
			c.kind = SCN_EXPECT_DEVICE_HAS;
			rc = check_has(p, &c);
			break;
		}
		rc = check_count(p, &c);
		break;
	case 2:
		rc = check_reply(p, &c);
		break;
	case 3:
		if (!(v = expect_word(p, "a server name")))
			break;
		c.host = xstrdup(v->text);
		add_ref(p, REF_SERVER, v, v->text, NULL);
		c.kind = SCN_EXPECT_QUEUE_EMPTY;
		if (tok_is(peek_tok(p), "empty")) {
			p->ti++;
			rc = 0;
		} else if (tok_is(peek_tok(p), "count")) {
			c.kind = SCN_EXPECT_QUEUE_COUNT;
			rc = check_count(p, &c);
		} else {
			err_expected(p, peek_tok(p), "'empty' or 'count'");
		}
		break;
	default:
		err_unknown_word(p, t, "check", "mailbox, device, reply or queue", kinds, 4);
		break;
	}
	if (rc == 0)
		rc = end_of_line(p);
	if (rc < 0) {
		check_clear(&c);
		return -1;
	}
	/* The line as written, trimmed, without its comment. */
	const struct line *ln = &p->lines[p->li];
	size_t b = 0, e = p->comment_off;
	while (b < e && is_blank(ln->p[b]))
		b++;
	while (e > b && is_blank(ln->p[e - 1]))
		e--;
	c.source = xstrndup(ln->p + b, e - b);
	push_check(p, &c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The directive table                                                */
/* ------------------------------------------------------------------ */

static int parse_repeat(struct parser *p, const struct tok *kw);

/* A directive has a line parser (header, world, checks, blocks) or an
 * action parser (the story: fills one action; run_action does the rest).
 * `link` has both: `link A B up|down` is an action. */
struct directive {
	const char *name;
	int (*parse)(struct parser *p, const struct tok *kw);
	int (*action)(struct parser *p, const struct tok *kw, struct scn_action *a);
};

static const struct directive directives[] = {
	{"title", parse_title, NULL},
	{"about", parse_about, NULL},
	{"seed", parse_seed, NULL},
	{"domain", parse_domain, NULL},
	{"user", parse_user, NULL},
	{"device", parse_device, NULL},
	{"link", parse_link, action_link},
	{"retry", parse_retry, NULL},
	{"send", NULL, action_send},
	{"pop3", NULL, action_pop3},
	{"imap", NULL, action_imap},
	{"wait", NULL, action_wait},
	{"server", NULL, action_server},
	{"note", NULL, action_note},
	{"repeat", parse_repeat, NULL},
	{"session", parse_session, NULL},
	{"expect", parse_expect, NULL},
	{"exercise", parse_exercise, NULL},
	{"task", parse_lab_text, NULL},
	{"hint", parse_lab_text, NULL},
};

#define NDIRECTIVES (sizeof directives / sizeof directives[0])

static const struct directive *find_directive(const char *name)
{
	for (size_t i = 0; i < NDIRECTIVES; i++)
		if (strcmp(directives[i].name, name) == 0)
			return &directives[i];
	return NULL;
}

static void err_unknown_directive(struct parser *p, const struct tok *t)
{
	const char *names[NDIRECTIVES];
	for (size_t i = 0; i < NDIRECTIVES; i++)
		names[i] = directives[i].name;
	const char *s = suggest(t->text, names, NDIRECTIVES);
	if (s)
		err_col(p, t->col, "unknown directive '%s' (did you mean '%s'?)", t->text, s);
	else
		err_col(p, t->col,
			"unknown directive '%s' (expected title, about, seed, domain, user, "
			"device, link, retry, send, pop3, imap, wait, server, note, repeat, "
			"session, expect, exercise, task or hint)",
			t->text);
}

/* Parse the action whose keyword is kw (already read), and add it to the
 * story; pos is where the action's line starts (a `repeat`). */
static int run_action(struct parser *p, const struct tok *kw, struct scn_pos pos, long repeat)
{
	const struct directive *d = find_directive(kw->text);
	struct scn_action a;
	action_init(&a, pos);
	a.repeat = repeat;
	if (d->action(p, kw, &a) < 0 || end_of_line(p) < 0) {
		action_clear(&a);
		return -1;
	}
	if (!scn_action_available(a.kind))
		err_col(p, kw->col, "%s is not implemented yet in this version of mailsim",
			kw->text);
	push_action(p, &a);
	return 0;
}

static int parse_repeat(struct parser *p, const struct tok *kw)
{
	long n;
	if (expect_number(p, "the repeat count", 1, SCN_MAX_REPEAT, &n) < 0)
		return -1;
	const struct tok *t = expect_word(p, "an action to repeat");
	if (!t)
		return -1;
	const struct directive *d = find_directive(t->text);
	if (!d) {
		err_unknown_directive(p, t);
		return -1;
	}
	if (strcmp(d->name, "session") == 0) {
		err_col(p, t->col, "repeat cannot repeat a session block");
		session_body(p, NULL, tok_pos(p, t));
		return -1;
	}
	if (!d->action) {
		err_col(p, t->col,
			"repeat cannot repeat '%s' (it repeats send, pop3, imap, wait, "
			"link ... up|down, server or note)",
			t->text);
		return -1;
	}
	return run_action(p, t, tok_pos(p, kw), n);
}

/* Does the line's first word equal word? (for a line that did not lex) */
static bool line_starts_with(const struct line *ln, const char *word)
{
	size_t k = 0, n = strlen(word);
	while (k < ln->len && is_blank(ln->p[k]))
		k++;
	return ln->len - k >= n && memcmp(ln->p + k, word, n) == 0 &&
	       (ln->len - k == n || is_blank(ln->p[k + n]));
}

static int parse_directive(struct parser *p)
{
	const struct tok *kw = next_tok(p);
	if (!kw)
		return 0;
	if (kw->string) {
		err_col(p, kw->col, "expected a directive, got a string");
		return -1;
	}
	if (strcmp(kw->text, "end") == 0) {
		err_col(p, kw->col, "'end' without a session");
		return -1;
	}
	const struct directive *d = find_directive(kw->text);
	if (!d) {
		err_unknown_directive(p, kw);
		return -1;
	}
	if (d->parse)
		return d->parse(p, kw);
	return run_action(p, kw, tok_pos(p, kw), 1);
}

static void parse_lines(struct parser *p)
{
	for (p->li = 0; p->li < p->nlines; p->li++) {
		const struct line *ln = &p->lines[p->li];
		size_t refs0 = p->nrefs, k = 0;
		int rc;
		if (ln->bad)
			continue;
		while (k < ln->len && is_blank(ln->p[k]))
			k++;
		p->line_no = ln->no;
		if (k < ln->len && ln->p[k] == '>') {
			err_col(p, (int)k + 1,
				"'>' line outside a session block (start one with "
				"'session DEVICE SERVER PORT')");
			continue;
		}
		if (lex_line(p, ln) == 0) {
			rc = parse_directive(p);
		} else {
			rc = -1;
			if (line_starts_with(ln, "session"))
				session_body(p, NULL, (struct scn_pos){0, 0});
		}
		if (rc < 0)
			drop_refs(p, refs0);
		free_toks(p);
	}
}

/* ------------------------------------------------------------------ */
/* Step 4: meaning                                                    */
/* ------------------------------------------------------------------ */

static void err_unknown_name(struct parser *p, struct scn_pos pos, const char *what,
			     const char *name, const char **cands, size_t n)
{
	const char *s = suggest(name, cands, n);
	if (s)
		err_at(p, pos, "unknown %s '%s' (did you mean '%s'?)", what, name, s);
	else
		err_at(p, pos, "unknown %s '%s'", what, name);
}

/* Is a login's domain declared?  Reports it if not. */
static bool login_domain_ok(struct parser *p, const struct ref *r)
{
	const char *dom = addr_domain(r->a);
	if (scn_find_domain(p->s, dom))
		return true;
	err_at(p, r->pos,
	       "'%s' is not in a declared domain (declare it with 'domain %s server ...')", r->a,
	       dom);
	return false;
}

/* Hosts joined by a declared link, or by a default one: a device and its
 * owner's server, or two servers. */
static bool linked(const struct scenario *s, const char *a, const char *b)
{
	if (find_link(s, a, b))
		return true;
	if (is_server(s, a) && is_server(s, b))
		return true;
	for (int swap = 0; swap < 2; swap++) {
		const struct scn_device *d = scn_find_device(s, swap ? b : a);
		const char *other = swap ? a : b;
		if (!d)
			continue;
		const struct scn_domain *dom = scn_find_domain(s, addr_domain(d->owner));
		if (!dom || strcasecmp(dom->server, other) == 0)
			return true; /* (no domain: already reported) */
	}
	return false;
}

static void resolve_refs(struct parser *p)
{
	const struct scenario *s = p->s;
	const char **devs = xcalloc(s->ndevices + 1, sizeof *devs);
	const char **servers = xcalloc(s->ndomains + 1, sizeof *servers);
	for (size_t i = 0; i < s->ndevices; i++)
		devs[i] = s->devices[i].name;
	for (size_t i = 0; i < s->ndomains; i++)
		servers[i] = s->domains[i].server;

	for (size_t i = 0; i < p->nrefs; i++) {
		const struct ref *r = &p->refs[i];
		bool dev = scn_find_device(s, r->a) != NULL, srv = is_server(s, r->a);
		switch (r->kind) {
		case REF_DEVICE:
			if (!dev && srv)
				err_at(p, r->pos, "'%s' is a server, not a device", r->a);
			else if (!dev)
				err_unknown_name(p, r->pos, "device", r->a, devs, s->ndevices);
			break;
		case REF_SERVER:
			if (!srv && dev)
				err_at(p, r->pos, "'%s' is a device, not a server", r->a);
			else if (!srv)
				err_unknown_name(p, r->pos, "server", r->a, servers, s->ndomains);
			break;
		case REF_HOST:
			if (!dev && !srv)
				err_at(p, r->pos,
				       "unknown host '%s' (a link joins declared devices and servers)",
				       r->a);
			break;
		case REF_LOGIN:
			login_domain_ok(p, r);
			break;
		case REF_OWNER:
			if (login_domain_ok(p, r) && !scn_find_user(s, r->a))
				err_at(p, r->pos,
				       "device owner '%s' is not a declared user "
				       "(declare it with 'user %s password ...')",
				       r->a, r->a);
			break;
		case REF_MAILBOX:
			if (login_domain_ok(p, r) && !scn_find_user(s, r->a))
				err_at(p, r->pos,
				       "'%s' is not a declared user (declare it with 'user %s "
				       "password ...')",
				       r->a, r->a);
			break;
		case REF_NEW_DEVICE:
			if (srv)
				err_at(p, r->pos, "a device and a server cannot share the name '%s'",
				       r->a);
			break;
		case REF_LINKED:
			if ((dev || srv) && (scn_find_device(s, r->b) || is_server(s, r->b)) &&
			    !linked(s, r->a, r->b))
				err_at(p, r->pos,
				       "there is no link between '%s' and '%s' (declare one with "
				       "'link %s %s')",
				       r->a, r->b, r->a, r->b);
			break;
		}
	}
	free(devs);
	free(servers);
}

/* ------------------------------------------------------------------ */
/* Public functions                                                   */
/* ------------------------------------------------------------------ */

static int diag_cmp(const void *va, const void *vb)
{
	const struct diag *a = va, *b = vb;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void parser_free(struct parser *p)
{
	free_toks(p);
	free(p->toks);
	free(p->lines);
	drop_refs(p, 0);
	free(p->refs);
	for (size_t i = 0; i < p->ndiags; i++)
		free(p->diags[i].msg);
	free(p->diags);
}

int scn_parse_string(const char *name, const char *text, size_t len, struct scenario **out,
		     FILE *errs)
{
	struct parser p;
	memset(&p, 0, sizeof p);
	p.name = name;
	p.s = xcalloc(1, sizeof *p.s);
	p.s->file = xstrdup(name);
	p.s->seed = SCN_DEFAULT_SEED;
	*out = NULL;

	if (len > SCN_MAX_FILE_BYTES) {
		if (errs)
			fprintf(errs, "%s: error: the file is too large (more than %zu MiB)\n",
				name, SCN_MAX_FILE_BYTES / (1024 * 1024));
		scn_free(p.s);
		return 1;
	}
	split_lines(&p, text, len);
	parse_lines(&p);
	resolve_refs(&p);
	if (p.first_lab_text.line && !p.s->exercise)
		err_at(&p, p.first_lab_text,
		       "task and hint are for lab exercises (mark the file with the line "
		       "'exercise')");

	int n = (int)p.ndiags;
	if (n)
		qsort(p.diags, p.ndiags, sizeof *p.diags, diag_cmp);
	for (size_t i = 0; errs && i < p.ndiags; i++)
		fprintf(errs, "%s:%d:%d: error: %s\n", name, p.diags[i].pos.line,
			p.diags[i].pos.col, p.diags[i].msg);
	parser_free(&p);
	if (n) {
		scn_free(p.s);
		return n;
	}
	*out = p.s;
	return 0;
}

int scn_parse_file(const char *path, struct scenario **out, FILE *errs)
{
	struct buf b;
	char chunk[65536];
	size_t n;
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errs)
			fprintf(errs, "%s: error: cannot read: %s\n", path, strerror(errno));
		return 1;
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		buf_add(&b, chunk, n);
		if (b.len > SCN_MAX_FILE_BYTES)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		if (errs)
			fprintf(errs, "%s: error: cannot read: %s\n", path, strerror(e));
		fclose(f);
		buf_free(&b);
		return 1;
	}
	fclose(f);
	int rc = scn_parse_string(path, b.p ? b.p : "", b.len, out, errs);
	buf_free(&b);
	return rc;
}

void scn_free(struct scenario *s)
{
	if (!s)
		return;
	free(s->file);
	free(s->title);
	free_strs(s->about, s->nabout);
	free_strs(s->tasks, s->ntasks);
	free_strs(s->hints, s->nhints);
	for (size_t i = 0; i < s->ndomains; i++) {
		free(s->domains[i].name);
		free(s->domains[i].server);
	}
	free(s->domains);
	for (size_t i = 0; i < s->nusers; i++) {
		free(s->users[i].address);
		free(s->users[i].password);
		free(s->users[i].name);
	}
	free(s->users);
	for (size_t i = 0; i < s->ndevices; i++) {
		free(s->devices[i].name);
		free(s->devices[i].owner);
	}
	free(s->devices);
	for (size_t i = 0; i < s->nlinks; i++) {
		free(s->links[i].a);
		free(s->links[i].b);
	}
	free(s->links);
	for (size_t i = 0; i < s->nretries; i++)
		free(s->retries[i].server);
	free(s->retries);
	for (size_t i = 0; i < s->nactions; i++)
		action_clear(&s->actions[i]);
	free(s->actions);
	for (size_t i = 0; i < s->nchecks; i++)
		check_clear(&s->checks[i]);
	free(s->checks);
	free(s);
}

const struct scn_domain *scn_find_domain(const struct scenario *s, const char *domain)
{
	for (size_t i = 0; i < s->ndomains; i++)
		if (strcasecmp(s->domains[i].name, domain) == 0)
			return &s->domains[i];
	return NULL;
}

/* The local part as written, the domain in any case. */
const struct scn_user *scn_find_user(const struct scenario *s, const char *address)
{
	const char *at = strrchr(address, '@');
	size_t local = at ? (size_t)(at - address) : strlen(address);
	for (size_t i = 0; i < s->nusers; i++) {
		const char *u = s->users[i].address, *uat = strrchr(u, '@');
		if (!at || !uat || (size_t)(uat - u) != local)
			continue;
		if (memcmp(u, address, local) == 0 && strcasecmp(uat + 1, at + 1) == 0)
			return &s->users[i];
	}
	return NULL;
}

/* Device names are host names: any case, like the servers'. */
const struct scn_device *scn_find_device(const struct scenario *s, const char *name)
{
	for (size_t i = 0; i < s->ndevices; i++)
		if (strcasecmp(s->devices[i].name, name) == 0)
			return &s->devices[i];
	return NULL;
}

/* The one place to flip when POP3 and IMAP arrive. */
bool scn_action_available(enum scn_action_kind kind)
{
	switch (kind) {
	case SCN_SEND:
	case SCN_WAIT:
	case SCN_WAIT_IDLE:
	case SCN_LINK_STATE:
	case SCN_SERVER_STATE:
	case SCN_NOTE:
	case SCN_SESSION:
	case SCN_POP3_FETCH:
	case SCN_IMAP_SYNC:
	case SCN_IMAP_OPEN:
	case SCN_IMAP_CLOSE:
	case SCN_IMAP_READ:
	case SCN_IMAP_FLAG:
	case SCN_IMAP_CREATE:
	case SCN_IMAP_MOVE:
	case SCN_IMAP_DELETE:
		return true;
	}
	return false;
}

bool scn_port_available(enum scn_port port)
{
	switch (port) {
	case SCN_PORT_SMTP:
	case SCN_PORT_SUBMISSION:
	case SCN_PORT_POP3:
	case SCN_PORT_IMAP:
		return true;
	}
	return false;
}
