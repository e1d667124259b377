/*
 * scenario_int.h - what the scenario parser's files share, and no one else.
 *
 * Reading guide.  Only the scenario*.c files include this header; the rest
 * of mailsim sees the parser through scenario.h alone.  It holds, in order:
 *
 *   - the limits, with their units;
 *   - the parser's state: the file's lines, the current line's tokens, the
 *     errors collected so far and the references noted for step 4;
 *   - the family's functions, grouped by the file that defines them, each
 *     named scn_ like the public ones but declared only here.
 *
 * The family's calls go one way, each file calling only those above it
 * in this list (tests/suites/calls.sh checks it from the objects):
 *
 *   scenario_base.c     errors, suggestions, the tree's parts, look-ups
 *   scenario_lex.c      steps 1 and 2: lines, tokens, values
 *   scenario_resolve.c  step 4: references noted, then resolved
 *   scenario_parse.c    step 3: the header and the world
 *   scenario_story.c    step 3: actions, session blocks, checks (it
 *                       reads a link's two ends with scenario_parse.c's
 *                       scn_link_ends, as `link A B` does)
 *   scenario.c          the entry points and the directive table, which
 *                       dispatches each line to parse or story
 *
 * Errors go through scn_err_at() and scn_err_col(): they are collected with
 * their position and printed by scn_parse_string() as
 * "FILE:LINE:COL: error: MESSAGE", sorted by position.
 */
#ifndef MAILSIM_SCENARIO_INT_H
#define MAILSIM_SCENARIO_INT_H

#include "scenario.h"

#include "buf.h"
#include "i18n.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits, with their units. */
#define SCN_MAX_FILE_BYTES   ((size_t)64 * 1024 * 1024)
#define SCN_MAX_REPEAT       1000000L    /* `repeat N`: N from 1 to this */
#define SCN_MAX_COUNT        1000000000L /* `count N` in checks */
#define SCN_MAX_MSGNO        1000000000L /* imap message numbers */
#define SCN_MAX_BACKOFF      100L        /* `retry ... backoff N` */
#define SCN_MAX_ATTEMPTS     1000L       /* `retry ... attempts N` */
#define SCN_MAX_CHOICES      6           /* `quiz ... choices`: 2 to this */
#define SCN_PT_BR            "pt-BR"     /* the word before a text's translation */
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
	REF_MAIL_DEVICE,/* device a must belong to address b (`mail ... on`) */
	REF_DOMAIN,     /* a declared domain (`dkim DOMAIN`) */
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
	int order_line;    /* where `order` was given, 0 = not yet */
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */
/* ------------------------------------------------------------------ */

/* Room for one more element in a parser array that keeps a capacity. */
#define GROW(arr, n, cap)                                                   \
	do {                                                                \
		if ((n) == (cap)) {                                         \
			(cap) = (cap) ? (cap) * 2 : 8;                      \
			(arr) = xrealloc((arr), (cap) * sizeof(*(arr)));    \
		}                                                           \
	} while (0)

/* One more element at the end of a tree array (which has no capacity: it
 * is exactly n long); evaluates to a pointer to it, not initialised. */
#define APPEND(arr, n) ((arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))), &(arr)[(n)++])

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The first byte of ln from k on that is not a blank, or its length. */
static inline size_t skip_blanks(const struct line *ln, size_t k)
{
	while (k < ln->len && is_blank(ln->p[k]))
		k++;
	return k;
}

/* ------------------------------------------------------------------ */
/* scenario_base.c: errors, suggestions, the tree's parts            */
/* ------------------------------------------------------------------ */

/* Collect an error at a position, or at a column of the current line. */
void scn_err_at(struct parser *p, struct scn_pos pos, const char *fmt, ...) PRINTF_LIKE(3, 4);
void scn_err_col(struct parser *p, int col, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* The candidate closest to word, if it is close enough to be a typo. */
const char *scn_suggest(const char *word, const char *const *cands, size_t n);

void scn_push_str(char ***arr, size_t *n, char *str); /* takes str */
void scn_action_init(struct scn_action *a, struct scn_pos pos);
void scn_action_clear(struct scn_action *a);
void scn_check_clear(struct scn_check *c);
void scn_mail_clear(struct scn_mail *m);
const struct scn_link *scn_find_link(const struct scenario *s, const char *a, const char *b);

/* ------------------------------------------------------------------ */
/* scenario_lex.c: steps 1 and 2, reading tokens, values              */
/* ------------------------------------------------------------------ */

void scn_split_lines(struct parser *p, const char *text, size_t len);
int scn_lex_line(struct parser *p, const struct line *ln);
void scn_free_toks(struct parser *p);

const struct tok *scn_peek_tok(const struct parser *p);
const struct tok *scn_next_tok(struct parser *p);
bool scn_tok_is(const struct tok *t, const char *word);
bool scn_take_word(struct parser *p, const char *word); /* read it if it is next */
struct scn_pos scn_tok_pos(const struct parser *p, const struct tok *t);
int scn_tok_which(const struct tok *t, const char *const *words, size_t n);

/* Each reads the next token and reports "expected WHAT..." if it is not
 * what is wanted (NULL or -1 then). */
const struct tok *scn_expect_word(struct parser *p, const char *what);
const struct tok *scn_expect_string(struct parser *p, const char *what);
const struct tok *scn_expect_text(struct parser *p, const char *what); /* either */
/* A text a person reads (title, about, note, quiz, choice, task, hint):
 * "..." [pt-BR "..."]; the token of the text for i18n_lang(). */
const struct tok *scn_expect_lesson_text(struct parser *p, const char *what);
int scn_expect_keyword(struct parser *p, const char *kw);
int scn_expect_duration(struct parser *p, const char *what, int64_t min_us, int64_t *out);
int scn_expect_number(struct parser *p, const char *what, long min, long max, long *out);
const struct tok *scn_expect_device_name(struct parser *p);
const struct tok *scn_expect_address(struct parser *p);

void scn_err_expected(struct parser *p, const struct tok *t, const char *what);
void scn_err_unknown_word(struct parser *p, const struct tok *t, const char *what,
			  const char *list, const char *const *words, size_t n);
int scn_take_option(struct parser *p, const struct tok *t, const char *what, const char *list,
		    const char *const *words, size_t n, bool *seen);
int scn_end_of_line(struct parser *p);

bool scn_valid_hostname(const char *s);
bool scn_valid_address(const char *s);
bool scn_valid_device_name(const char *s);
const char *scn_addr_domain(const char *addr);
bool scn_parse_long(const char *s, long min, long max, long *out);
int scn_parse_decimal(const char *s, size_t n, int64_t scale, int64_t *out);
int64_t scn_parse_rate(const char *word);

/* ------------------------------------------------------------------ */
/* scenario_parse.c: step 3, the header and the world                */
/* ------------------------------------------------------------------ */

/* A line parser reads the rest of the line after its keyword kw; the
 * directive table (scenario.c) calls it. */
int scn_parse_title(struct parser *p, const struct tok *kw);
int scn_parse_about(struct parser *p, const struct tok *kw);
int scn_parse_seed(struct parser *p, const struct tok *kw);
int scn_parse_order(struct parser *p, const struct tok *kw);
int scn_parse_exercise(struct parser *p, const struct tok *kw);
int scn_parse_lab_text(struct parser *p, const struct tok *kw); /* task, hint */
int scn_parse_domain(struct parser *p, const struct tok *kw);
int scn_parse_user(struct parser *p, const struct tok *kw);
int scn_parse_device(struct parser *p, const struct tok *kw);
int scn_parse_link(struct parser *p, const struct tok *kw); /* not `link A B up|down` */
int scn_parse_retry(struct parser *p, const struct tok *kw);

int scn_link_ends(struct parser *p, const struct tok **a, const struct tok **b);

/* ------------------------------------------------------------------ */
/* scenario_story.c: step 3, actions, session blocks and checks       */
/* ------------------------------------------------------------------ */

/* An action parser fills one action; the directive table calls it. */
int scn_action_send(struct parser *p, const struct tok *kw, struct scn_action *a);
int scn_action_pop3(struct parser *p, const struct tok *kw, struct scn_action *a);
int scn_action_imap(struct parser *p, const struct tok *kw, struct scn_action *a);
int scn_action_wait(struct parser *p, const struct tok *kw, struct scn_action *a);
int scn_action_link(struct parser *p, const struct tok *kw, struct scn_action *a);
int scn_action_server(struct parser *p, const struct tok *kw, struct scn_action *a);
int scn_action_note(struct parser *p, const struct tok *kw, struct scn_action *a);
int scn_action_quiz(struct parser *p, const struct tok *kw, struct scn_action *a);

int scn_parse_session(struct parser *p, const struct tok *kw);
int scn_session_body(struct parser *p, struct scn_action *a, struct scn_pos pos);
int scn_parse_expect(struct parser *p, const struct tok *kw);
int scn_parse_mail(struct parser *p, const struct tok *kw); /* initial mail */

/* scenario_auth.c: the mail-authentication extensions */
int scn_parse_dkim(struct parser *p, const struct tok *kw);
int scn_parse_txt(struct parser *p, const struct tok *kw);
int scn_parse_verify(struct parser *p, const struct tok *kw);

/* ------------------------------------------------------------------ */
/* scenario_resolve.c: step 4, references and meaning                 */
/* ------------------------------------------------------------------ */

void scn_add_ref(struct parser *p, enum ref_kind kind, const struct tok *t, const char *a,
		 const char *b);
void scn_drop_refs(struct parser *p, size_t from);
void scn_resolve(struct parser *p);

#endif
