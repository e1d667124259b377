/*
 * scenario_lex.c - steps 1 and 2 of the .scn parser: lines and tokens, and
 * reading tokens as values.
 *
 * Reading guide, top to bottom:
 *
 *   Step 1, lines: scn_split_lines() cuts the text at LF (a CR before it
 *   and a leading byte-order mark are dropped) and checks each line's
 *   bytes: NUL, control characters and invalid UTF-8 are reported once per
 *   line, which is then skipped, so the later steps can trust every byte.
 *   Step 2, tokens: scn_lex_line() cuts one line into words and "strings"
 *   (escapes \" \\ \n \t decoded), each with its column; `#` outside a
 *   string ends the line.
 *   Reading tokens: the directive parsers take tokens one by one with
 *   scn_next_tok() and the scn_expect_...() family, which report
 *   "expected WHAT, got ..." themselves; scn_take_option() reads the
 *   options a directive accepts, each once; scn_expect_lesson_text() reads
 *   a text a person reads with its translation, "..." [pt-BR "..."], and
 *   keeps the one for i18n_lang().
 *   Values: host names, addresses, device names, whole numbers, decimals
 *   (by hand: no locale, no floating point), durations and rates.
 */
#include "scenario_int.h"

#include "i18n.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Step 1: lines                                                      */
/* ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
	size_t len;
	return utf8_decode(s, n, &len) < 0 ? 0 : len;
}

/* Report the first bad byte of a line; true if there was one. */
static bool check_line_bytes(struct parser *p, const struct line *ln)
{
	const unsigned char *s = (const unsigned char *)ln->p;
	for (size_t i = 0, n; i < ln->len; i += n) {
		unsigned char c = s[i];
		struct scn_pos pos = {ln->no, (int)i + 1};
		if (c == 0)
			scn_err_at(p, pos, "NUL byte in the file (is it a text file?)");
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			scn_err_at(p, pos, "control character 0x%02x in the file", c);
		else if ((n = utf8_valid(s + i, ln->len - i)) == 0)
			scn_err_at(p, pos, "invalid UTF-8 (byte 0x%02x): save the file as UTF-8",
				   c);
		else
			continue;
		return true;
	}
	return false;
}

void scn_split_lines(struct parser *p, const char *text, size_t len)
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
	assert(start < end);
	GROW(p->toks, p->ntoks, p->captoks);
	struct tok *t = &p->toks[p->ntoks++];
	t->col = (int)start + 1;
	t->endcol = (int)end + 1;
	t->string = string;
	t->text = text;
}

void scn_free_toks(struct parser *p)
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
	assert(*i < ln->len && ln->p[*i] == '"');
	size_t start = *i, j = start + 1;
	struct buf b;
	buf_init(&b);
	for (;;) {
		/* the line ends before the closing quote, or after a backslash */
		if (j >= ln->len || (ln->p[j] == '\\' && j + 1 >= ln->len)) {
			scn_err_col(p, (int)start + 1,
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
			scn_err_col(p, (int)j + 1,
				    "unknown escape '\\%.*s' in a string "
				    "(use \\\", \\\\, \\n or \\t)",
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

int scn_lex_line(struct parser *p, const struct line *ln)
{
	size_t i = 0;
	scn_free_toks(p);
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

struct scn_pos scn_tok_pos(const struct parser *p, const struct tok *t)
{
	assert(t);
	struct scn_pos pos = {p->line_no, t->col};
	return pos;
}

const struct tok *scn_peek_tok(const struct parser *p)
{
	return p->ti < p->ntoks ? &p->toks[p->ti] : NULL;
}

const struct tok *scn_next_tok(struct parser *p)
{
	return p->ti < p->ntoks ? &p->toks[p->ti++] : NULL;
}

bool scn_tok_is(const struct tok *t, const char *word)
{
	return t && !t->string && strcmp(t->text, word) == 0;
}

/* If the next token is the word, read it: true. */
bool scn_take_word(struct parser *p, const char *word)
{
	if (!scn_tok_is(scn_peek_tok(p), word))
		return false;
	p->ti++;
	return true;
}

/* t is the word pt-BR right after a string that has no translation (mail
 * content, a name, a date...): report it, true.  The lesson's texts read
 * their pt-BR with scn_expect_lesson_text(), so it never reaches here. */
static bool err_stray_pt_br(struct parser *p, const struct tok *t)
{
	if (!scn_tok_is(t, SCN_PT_BR) || t == p->toks || !t[-1].string)
		return false;
	scn_err_col(p, t->col, "'pt-BR' after a text that is not translated (only a lesson's "
			       "title, about, note, quiz, choices, task and hint have a pt-BR "
			       "text; mail is never translated)");
	return true;
}

/* "expected WHAT[, got ...]" at t, or at the end of the line if t is NULL. */
void scn_err_expected(struct parser *p, const struct tok *t, const char *what)
{
	if (err_stray_pt_br(p, t))
		return;
	if (!t)
		scn_err_col(p, p->eol_col, "expected %s", what);
	else if (t->string)
		scn_err_col(p, t->col, "expected %s, got a string", what);
	else
		scn_err_col(p, t->col, "expected %s, got '%s'", what, t->text);
}

enum tok_want { WANT_WORD, WANT_STRING, WANT_TEXT /* either */ };

static const struct tok *expect_tok(struct parser *p, const char *what, enum tok_want want)
{
	const struct tok *t = scn_next_tok(p);
	if (!t || (want == WANT_WORD && t->string) || (want == WANT_STRING && !t->string)) {
		scn_err_expected(p, t, what);
		return NULL;
	}
	return t;
}

const struct tok *scn_expect_word(struct parser *p, const char *what)
{
	return expect_tok(p, what, WANT_WORD);
}

const struct tok *scn_expect_string(struct parser *p, const char *what)
{
	return expect_tok(p, what, WANT_STRING);
}

const struct tok *scn_expect_text(struct parser *p, const char *what)
{
	return expect_tok(p, what, WANT_TEXT);
}

/* "..." [pt-BR "..."]: the default text, then its Brazilian Portuguese
 * translation if there is one.  The one for i18n_lang() is kept; both are
 * checked whichever it is, so a file is right or wrong in every language. */
const struct tok *scn_expect_lesson_text(struct parser *p, const char *what)
{
	const struct tok *t = scn_expect_string(p, what);
	const struct tok *kw = scn_peek_tok(p);
	if (!t || !kw || kw->string || strcasecmp(kw->text, SCN_PT_BR) != 0)
		return t;
	if (strcmp(kw->text, SCN_PT_BR) != 0) {
		scn_err_col(p, kw->col, "unknown word '%s' (did you mean 'pt-BR'?)", kw->text);
		return NULL;
	}
	p->ti++;
	const struct tok *pt = scn_next_tok(p);
	if (!pt || !pt->string) {
		scn_err_expected(p, pt, "the pt-BR text in double quotes after 'pt-BR'");
		return NULL;
	}
	if (!pt->text[0] && t->text[0]) {
		scn_err_col(p, pt->col, "the pt-BR text cannot be empty (without 'pt-BR \"...\"' "
					"the default text is shown)");
		return NULL;
	}
	const struct tok *again = scn_peek_tok(p);
	if (scn_tok_is(again, SCN_PT_BR)) {
		scn_err_col(p, again->col, "a second 'pt-BR' (the text has its pt-BR text at "
					   "column %d)", kw->col);
		return NULL;
	}
	return i18n_lang() == I18N_PT_BR ? pt : t;
}

int scn_expect_keyword(struct parser *p, const char *kw)
{
	const struct tok *t = scn_next_tok(p);
	if (scn_tok_is(t, kw))
		return 0;
	char what[64];
	snprintf(what, sizeof what, "'%s'", kw);
	scn_err_expected(p, t, what);
	return -1;
}

/* Which of `words` t is, or -1. */
int scn_tok_which(const struct tok *t, const char *const *words, size_t n)
{
	for (size_t i = 0; t && !t->string && i < n; i++)
		if (strcmp(t->text, words[i]) == 0)
			return (int)i;
	return -1;
}

/* "unknown WHAT 'x' (expected LIST[; did you mean 'y'?])" */
void scn_err_unknown_word(struct parser *p, const struct tok *t, const char *what,
			  const char *list, const char *const *words, size_t n)
{
	if (!t || t->string) {
		scn_err_expected(p, t, list);
		return;
	}
	if (err_stray_pt_br(p, t))
		return;
	const char *s = scn_suggest(t->text, words, n);
	if (s)
		scn_err_col(p, t->col, "unknown %s '%s' (did you mean '%s'?)", what, t->text, s);
	else
		scn_err_col(p, t->col, "unknown %s '%s' (expected %s)", what, t->text, list);
}

/* t as one of the options `words` of a directive, each allowed once:
 * seen[] (n long) notes those read so far.  Its index, or -1 after
 * reporting an unknown word ("unknown WHAT 'x' (expected LIST)") or a
 * repeat. */
int scn_take_option(struct parser *p, const struct tok *t, const char *what, const char *list,
		    const char *const *words, size_t n, bool *seen)
{
	assert(t);
	int which = scn_tok_which(t, words, n);
	if (which < 0) {
		scn_err_unknown_word(p, t, what, list, words, n);
		return -1;
	}
	if (seen[which]) {
		scn_err_col(p, t->col, "'%s' is given twice", t->text);
		return -1;
	}
	seen[which] = true;
	return which;
}

int scn_end_of_line(struct parser *p)
{
	const struct tok *t = scn_peek_tok(p);
	if (!t)
		return 0;
	if (err_stray_pt_br(p, t))
		return -1;
	if (t->string)
		scn_err_col(p, t->col, "unexpected string (nothing more is expected on this line)");
	else
		scn_err_col(p, t->col, "unexpected '%s' (nothing more is expected on this line)",
			    t->text);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Values: names, numbers, durations, rates                           */
/* ------------------------------------------------------------------ */

bool scn_valid_hostname(const char *s)
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

bool scn_valid_address(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@'))
		return false;
	for (const char *q = s; q < at; q++) {
		unsigned char c = (unsigned char)*q;
		if (c <= ' ' || c >= 0x7f || strchr("()<>[]:;\\\",", c))
			return false;
	}
	return scn_valid_hostname(at + 1);
}

bool scn_valid_device_name(const char *s)
{
	if (!is_alnum(*s))
		return false;
	for (; *s; s++)
		if (!is_alnum(*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

const char *scn_addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? at + 1 : addr;
}

/* A whole number from min to max, digits only. */
bool scn_parse_long(const char *s, long min, long max, long *out)
{
	assert(0 <= min && min <= max);
	long v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!is_digit(*s))
			return false;
		int d = *s - '0';
		if (v > (max - d) / 10) /* overflow; (max - d) / 10 rounds to 0 when d > max */
			return false;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* "12" or "1.5" (n bytes) times scale, truncated; -1 if malformed or too
 * big.  Written out by hand: no locale, no floating point. */
int scn_parse_decimal(const char *s, size_t n, int64_t scale, int64_t *out)
{
	assert(scale > 0 && scale <= US_PER_HOUR); /* see the product below */
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
		    scn_parse_decimal(word, n, units[i].scale, &v) == 0)
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

int64_t scn_parse_rate(const char *word)
{
	return parse_with_unit(word, rate_units, sizeof rate_units / sizeof rate_units[0]);
}

#define DURATION_HINT "a duration like 250ms, 2s or 1.5s"

/* A duration token; min_us is 0 or 1 (must be > 0). */
int scn_expect_duration(struct parser *p, const char *what, int64_t min_us, int64_t *out)
{
	assert(min_us == 0 || min_us == 1);
	const struct tok *t = scn_next_tok(p);
	int64_t v = t && !t->string ? scn_parse_duration(t->text) : -1;
	if (v < 0) {
		scn_err_expected(p, t, DURATION_HINT);
		return -1;
	}
	if (v < min_us) {
		scn_err_col(p, t->col, "%s must be longer than 0, got '%s'", what, t->text);
		return -1;
	}
	*out = v;
	return 0;
}

int scn_expect_number(struct parser *p, const char *what, long min, long max, long *out)
{
	const struct tok *t = scn_expect_word(p, what);
	if (!t)
		return -1;
	if (!scn_parse_long(t->text, min, max, out)) {
		scn_err_col(p, t->col, "%s must be a whole number from %ld to %ld, got '%s'", what,
			    min, max, t->text);
		return -1;
	}
	return 0;
}

const struct tok *scn_expect_device_name(struct parser *p)
{
	return scn_expect_word(p, "a device name");
}

const struct tok *scn_expect_address(struct parser *p)
{
	const struct tok *t = scn_expect_word(p, "an address (local@domain)");
	if (t && !scn_valid_address(t->text)) {
		scn_err_col(p, t->col, "'%s' is not an address (expected local@domain)", t->text);
		return NULL;
	}
	return t;
}

