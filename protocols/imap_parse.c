/*
 * imap_parse.c - the IMAP4rev1 command grammar (RFC 3501 9), sans-I/O.
 *
 * A reading guide, in file order:
 *   1. character classes: which octets may appear in a tag, an atom, a
 *      quoted string (RFC 3501 9, ATOM-CHAR and friends)
 *   2. the framer: a byte machine, written as a transition table, that cuts
 *      the client's stream into whole commands, literals included (7.5), and
 *      refuses over-long lines and over-large literals before storing them
 *   3. the parser: one whole command into a tag, a name and an argument tree
 *   4. arguments as C strings and numbers
 *   5. sequence sets ("1:*", "2,4:7")
 *   6. output helpers: writing a string the way IMAP wants it
 *
 * Everything is sans-I/O: bytes in, results out; the server decides what to
 * answer.
 */
#include "imap_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Octets of the end of a discarded line kept to see whether it announced a
 * literal: "{" + 20 digits + "+}" fits. */
#define IMAP_FRAMER_TAIL_OCTETS 32
/* A command buffer larger than this is given back to the allocator after
 * its command, so one big APPEND does not pin its memory for good. */
#define IMAP_FRAMER_KEEP_CAP_OCTETS (64u * 1024u)
/* The longest quoted string imap_write_string() writes; longer text goes
 * as a literal (RFC 3501 gives no limit; short lines read better). */
#define IMAP_QUOTED_MAX_OCTETS 1000
/* The most digits of a refused literal size repeated in an error. */
#define IMAP_ECHO_DIGITS_MAX 24

/* ------------------------------------------------- 1. character classes */

/* CTL (RFC 5234): 0x00-0x1f and DEL. */
static bool imap_is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/*
 * ATOM-CHAR: any 7-bit CHAR except atom-specials, which are
 *   "(" ")" "{" SP CTL list-wildcards ("%" "*") quoted-specials ('"' "\")
 *   resp-specials ("]").
 */
static bool imap_is_atom_char(unsigned char c)
{
	return c < 0x80 && !imap_is_ctl(c) && strchr("(){ %*\"\\]", c) == NULL;
}

/* A tag is made of ASTRING-CHAR (ATOM-CHAR or "]") except "+": so "*" (the
 * untagged reply) and "+" (the continuation) can never be mistaken for one. */
static bool imap_is_tag_char(unsigned char c)
{
	return c != '+' && (imap_is_atom_char(c) || c == ']');
}

/* The parser's bare words are a little wider than ATOM-CHAR: they are
 * also astrings, whose ASTRING-CHAR adds "]" (so "a[b]" is a mailbox
 * name), and LIST patterns and sequence sets, which use "*" and "%"
 * ("INBOX.*", "1:*").  Which of these a word must be is the command's
 * business (a flag keyword, an atom, may not hold "]"). */
static bool imap_is_arg_atom_char(unsigned char c)
{
	return imap_is_atom_char(c) || c == ']' || c == '*' || c == '%';
}

static bool imap_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------ 2. framer */

/*
 * The framer's byte machine.  A command is a line, or lines joined by
 * literals: a line ending in "{n}" or "{n+}" announces n octets that follow
 * its CRLF, after which the command goes on with another line.  A bare LF
 * ends a line too (people type IMAP with nc).
 *
 *   state         | input                      | action, next state
 *   --------------+----------------------------+-------------------------------
 *   LINE          | octets before LF           | store; over the line limit:
 *                 |                            |   keep tag and tail, DISCARD_LINE
 *                 | LF, no literal announced   | return COMMAND, DONE
 *                 | LF, {n} or {n+} too large  | drop the command, return TOO_BIG;
 *                 |                            |   {n}: LINE (the client waits
 *                 |                            |   for "+" and never sends them)
 *                 |                            |   {n+}: SKIP_LITERAL (they come)
 *                 | LF, {n} fits               | return CONTINUE, LITERAL
 *                 | LF, {n+} fits              | LITERAL (no "+" is wanted)
 *   LITERAL       | n octets, whatever they are| store, LINE (same command)
 *   DISCARD_LINE  | octets before LF           | keep only the last 32 (the tail)
 *                 | LF, tail ends in {n+}      | SKIP_LITERAL, then more of the
 *                 |                            |   same refused command
 *                 | LF, otherwise              | LINE, a new command
 *                 | (either LF, if owed)       | return LINE_TOO_LONG
 *   SKIP_LITERAL  | n octets                   | throw away, DISCARD_LINE
 *   DONE          | (imap_framer_next())       | LINE, a new command
 *
 * So a refused command is skipped to its real end and the next command is
 * read from its first octet: client and server stay in step.  Sizes are
 * checked when a literal is announced, before anything grows; every stored
 * line is at most IMAP_LINE_MAX_OCTETS + CRLF and every accepted literal
 * leaves room for one more line, so cmd never exceeds
 * IMAP_COMMAND_MAX_OCTETS.  Literal octets are appended to a doubling
 * buffer, so a large literal costs time linear in its size however it is cut
 * into feeds; and the LF that ends a line is looked for only in the octets
 * just fed, never again in what cmd already holds, so a 64 KiB line sent
 * one octet at a time costs linear time too.
 */

void imap_framer_init(struct imap_framer *f)
{
	memset(f, 0, sizeof *f);
	buf_init(&f->cmd);
	f->literal_limit = IMAP_LITERAL_MAX_OCTETS;
	f->state = IMAP_FRAMER_LINE;
}

void imap_framer_free(struct imap_framer *f)
{
	buf_free(&f->cmd);
}

/* The one door through which the framer's state changes. */
static void imap_framer_enter_state(struct imap_framer *f, enum imap_framer_state next)
{
	f->state = next;
	f->discarding = next == IMAP_FRAMER_DISCARD_LINE;
}

/* Start over with an empty command (the tag stays until the next command's
 * first octet arrives, so it can still be read after TOO_BIG). */
static void imap_framer_drop_command(struct imap_framer *f)
{
	if (f->cmd.cap > IMAP_FRAMER_KEEP_CAP_OCTETS)
		buf_free(&f->cmd);
	else
		buf_clear(&f->cmd);
	f->line_start = 0;
	f->sync_pending = false;
}

void imap_framer_next(struct imap_framer *f)
{
	if (f->state != IMAP_FRAMER_DONE)
		return; /* harmless after MORE, CONTINUE or the refusals */
	imap_framer_drop_command(f);
	f->tag[0] = '\0';
	imap_framer_enter_state(f, IMAP_FRAMER_LINE);
}

/* The tag, if the first line (or its first octets, in p) begins with a valid
 * one followed by SP or the line's end; else the tag stays "". */
static void imap_framer_take_tag(struct imap_framer *f, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && i <= IMAP_TAG_MAX_CHARS && imap_is_tag_char((unsigned char)p[i]))
		i++;
	f->tag[0] = '\0';
	if (i == 0 || i > IMAP_TAG_MAX_CHARS)
		return;
	if (i < n && p[i] != ' ' && p[i] != '\r' && p[i] != '\n')
		return;
	memcpy(f->tag, p, i);
	f->tag[i] = '\0';
}

/*
 * Does the line text p[0..n) (CRLF removed) end in a literal announcement
 * "{digits}" or "{digits+}"?  The size saturates at UINT64_MAX; *digits and
 * *ndigits point at the digits, for error messages.
 */
static bool imap_literal_announced(const char *p, size_t n, uint64_t *size, bool *sync,
				   const char **digits, size_t *ndigits)
{
	if (n < 3 || p[n - 1] != '}')
		return false;
	size_t end = n - 1; /* digits end here */
	*sync = true;
	if (p[end - 1] == '+') {
		*sync = false;
		end--;
	}
	size_t start = end;
	while (start > 0 && imap_is_digit((unsigned char)p[start - 1]))
		start--;
	if (start == end || start == 0 || p[start - 1] != '{')
		return false;
	uint64_t v = 0;
	for (size_t i = start; i < end; i++) {
		unsigned d = (unsigned)(p[i] - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*size = v;
	*digits = p + start;
	*ndigits = end - start;
	return true;
}

/* The length of a line's text: without its LF and a CR before that. */
static size_t imap_line_text_len(const char *line, size_t n)
{
	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	return n;
}

/* Append p[0..n) to the tail kept while discarding, keeping its last
 * IMAP_FRAMER_TAIL_OCTETS octets only. */
static void imap_framer_keep_tail(struct imap_framer *f, const char *p, size_t n)
{
	if (n >= IMAP_FRAMER_TAIL_OCTETS) {
		buf_clear(&f->cmd);
		buf_add(&f->cmd, p + n - IMAP_FRAMER_TAIL_OCTETS, IMAP_FRAMER_TAIL_OCTETS);
		return;
	}
	buf_add(&f->cmd, p, n);
	if (f->cmd.len > IMAP_FRAMER_TAIL_OCTETS)
		buf_consume(&f->cmd, f->cmd.len - IMAP_FRAMER_TAIL_OCTETS);
}

/* The line being read (cmd from line_start, then `more` of the input) is
 * over the limit: note the tag, keep the tail, discard the rest. */
static void imap_framer_line_too_long(struct imap_framer *f, const char *more, size_t nmore)
{
	size_t have = f->cmd.len - f->line_start;
	if (f->line_start == 0) {
		char head[IMAP_TAG_MAX_CHARS + 2];
		size_t nh = have < sizeof head ? have : sizeof head;
		if (nh)
			memcpy(head, f->cmd.p, nh);
		size_t extra = nmore < sizeof head - nh ? nmore : sizeof head - nh;
		if (extra)
			memcpy(head + nh, more, extra);
		imap_framer_take_tag(f, head, nh + extra);
	}
	size_t keep = have < IMAP_FRAMER_TAIL_OCTETS ? have : IMAP_FRAMER_TAIL_OCTETS;
	if (f->cmd.len > keep)
		buf_consume(&f->cmd, f->cmd.len - keep);
	f->line_start = 0;
	f->report_at_eol = true;
	snprintf(f->err, sizeof f->err, "line longer than %d octets", IMAP_LINE_MAX_OCTETS);
	imap_framer_enter_state(f, IMAP_FRAMER_DISCARD_LINE);
}

/* Skip the refused command's announced non-synchronizing literal. */
static void imap_framer_skip_literal(struct imap_framer *f, uint64_t size)
{
	imap_framer_drop_command(f);
	f->literal_left = size > SIZE_MAX ? SIZE_MAX : (size_t)size;
	imap_framer_enter_state(f, f->literal_left ? IMAP_FRAMER_SKIP_LITERAL
						   : IMAP_FRAMER_DISCARD_LINE);
}

/* A whole line of the command is in cmd[line_start..]: what now? */
static bool imap_framer_end_of_line(struct imap_framer *f, enum imap_frame *what)
{
	const char *line = f->cmd.p + f->line_start;
	size_t n = imap_line_text_len(line, f->cmd.len - f->line_start);
	if (f->line_start == 0)
		imap_framer_take_tag(f, line, n);

	uint64_t size;
	bool sync;
	const char *digits;
	size_t ndigits;
	if (!imap_literal_announced(line, n, &size, &sync, &digits, &ndigits)) {
		imap_framer_enter_state(f, IMAP_FRAMER_DONE);
		*what = IMAP_FRAME_COMMAND;
		return true;
	}
	/* The command must stay under its limit with one more line after the
	 * literal (checked without overflow: size is at most UINT64_MAX). */
	uint64_t room = IMAP_COMMAND_MAX_OCTETS - (IMAP_LINE_MAX_OCTETS + 2);
	bool over_literal = size > f->literal_limit;
	bool over_command = f->cmd.len > room || size > room - f->cmd.len;
	if (over_literal || over_command) {
		int nd = ndigits > IMAP_ECHO_DIGITS_MAX ? IMAP_ECHO_DIGITS_MAX : (int)ndigits;
		const char *dots = ndigits > IMAP_ECHO_DIGITS_MAX ? "..." : "";
		if (over_literal)
			snprintf(f->err, sizeof f->err,
				 "literal of %.*s%s octets is larger than the limit of %zu", nd,
				 digits, dots, f->literal_limit);
		else
			snprintf(f->err, sizeof f->err,
				 "literal of %.*s%s octets makes the command larger than the limit "
				 "of %u octets",
				 nd, digits, dots, (unsigned)IMAP_COMMAND_MAX_OCTETS);
		if (sync) {
			/* The client waits for "+" and will not send the octets. */
			imap_framer_drop_command(f);
			imap_framer_enter_state(f, IMAP_FRAMER_LINE);
		} else {
			/* LITERAL+: the octets are on their way; skip them and the
			 * rest of the command. */
			imap_framer_skip_literal(f, size);
		}
		*what = IMAP_FRAME_TOO_BIG;
		return true;
	}
	f->literal_left = (size_t)size;
	imap_framer_enter_state(f, IMAP_FRAMER_LITERAL);
	if (f->literal_left == 0) {
		f->line_start = f->cmd.len;
		imap_framer_enter_state(f, IMAP_FRAMER_LINE);
	}
	if (sync) {
		f->sync_pending = f->literal_left > 0;
		*what = IMAP_FRAME_CONTINUE;
		return true;
	}
	return false;
}

/* The discarded line ended (its tail is in cmd): a new command, or more of
 * the refused one if the line announced a non-synchronizing literal. */
static bool imap_framer_end_of_discarded_line(struct imap_framer *f, enum imap_frame *what)
{
	uint64_t size;
	bool sync;
	const char *digits;
	size_t ndigits;
	size_t n = imap_line_text_len(f->cmd.p, f->cmd.len);
	if (imap_literal_announced(f->cmd.p, n, &size, &sync, &digits, &ndigits) && !sync) {
		imap_framer_skip_literal(f, size);
	} else {
		imap_framer_drop_command(f);
		imap_framer_enter_state(f, IMAP_FRAMER_LINE);
	}
	if (f->report_at_eol) {
		f->report_at_eol = false;
		*what = IMAP_FRAME_LINE_TOO_LONG;
		return true;
	}
	return false;
}

size_t imap_framer_feed(struct imap_framer *f, const char *in, size_t len,
			enum imap_frame *what)
{
	size_t used = 0;
	*what = IMAP_FRAME_MORE;
	if (f->state == IMAP_FRAMER_DONE)
		imap_framer_next(f); /* the caller forgot: the command is gone */

	while (used < len) {
		const char *p = in + used;
		size_t avail = len - used;
		switch (f->state) {
		case IMAP_FRAMER_LINE: {
			const char *lf = memchr(p, '\n', avail);
			size_t n = lf ? (size_t)(lf - p) + 1 : avail;
			size_t total = f->cmd.len - f->line_start + n; /* the line so far */
			bool too_long;
			if (lf) {
				char before = n >= 2 ? p[n - 2]
					      : total >= 2 ? f->cmd.p[f->cmd.len - 1] : '\0';
				too_long = total - 1 - (before == '\r') > IMAP_LINE_MAX_OCTETS;
			} else {
				/* Without its LF yet, a line may hold its text and a CR. */
				too_long = total > IMAP_LINE_MAX_OCTETS + 1;
			}
			if (too_long) {
				imap_framer_line_too_long(f, p, n);
				break; /* DISCARD_LINE takes the same octets */
			}
			if (f->cmd.len == 0)
				f->tag[0] = '\0'; /* a new command's first octet */
			buf_add(&f->cmd, p, n);
			used += n;
			if (lf && imap_framer_end_of_line(f, what))
				return used;
			break;
		}
		case IMAP_FRAMER_LITERAL: {
			size_t n = avail < f->literal_left ? avail : f->literal_left;
			buf_add(&f->cmd, p, n);
			used += n;
			f->literal_left -= n;
			if (f->literal_left == 0) {
				f->sync_pending = false;
				f->line_start = f->cmd.len;
				imap_framer_enter_state(f, IMAP_FRAMER_LINE);
			}
			break;
		}
		case IMAP_FRAMER_DISCARD_LINE: {
			const char *lf = memchr(p, '\n', avail);
			size_t n = lf ? (size_t)(lf - p) + 1 : avail;
			imap_framer_keep_tail(f, p, n);
			used += n;
			if (lf && imap_framer_end_of_discarded_line(f, what))
				return used;
			break;
		}
		case IMAP_FRAMER_SKIP_LITERAL: {
			size_t n = avail < f->literal_left ? avail : f->literal_left;
			used += n;
			f->literal_left -= n;
			if (f->literal_left == 0) {
				buf_clear(&f->cmd);
				imap_framer_enter_state(f, IMAP_FRAMER_DISCARD_LINE);
			}
			break;
		}
		case IMAP_FRAMER_DONE:
			return used; /* not reached: DONE returns at once */
		}
	}
	return used;
}

/* ------------------------------------------------------------ 3. parser */

/*
 * The parser reads the command once, left to right.  Every value (atoms,
 * unescaped quoted strings, literal octets) is copied, NUL-terminated, into
 * cmd->text, one allocation made up front: a value never takes more room
 * than it took in the command plus one octet for its NUL, so len + 2 octets
 * always suffice and pointers into text stay valid until imap_cmd_free().
 * The command is self-contained: the caller may reuse its input at once.
 *
 * Arguments are gathered on a stack, one level per open "(".  When a list
 * closes, its items move, contiguously, to the finished nodes, and the list
 * takes their place on the stack as one item; at the end the top level
 * moves too, and the finished nodes are copied into cmd->pool at their
 * final size, where a list's index of its first item becomes a pointer.
 */

struct imap_parse_node {
	struct imap_arg arg;
	size_t first; /* LIST: index of its first item among the finished nodes */
};

struct imap_parser {
	const char *start, *p, *end; /* the command, the read position, its end */
	char *out;                   /* where the next value goes in cmd->text */
	struct imap_parse_node *stack, *done;
	size_t nstack, capstack, ndone, capdone;
	size_t nargs;                /* arguments made, all levels */
	size_t depth;                /* lists open */
	bool sections;               /* FETCH: BODY[...] words hold sections */
	size_t level_start[IMAP_NESTING_MAX + 1]; /* stack index of each level's first item */
	size_t level_open[IMAP_NESTING_MAX + 1];  /* offset of each level's "(" */
	char *err;
	size_t errlen;
};

static int imap_parse_fail(struct imap_parser *ps, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int imap_parse_fail(struct imap_parser *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (ps->errlen)
		vsnprintf(ps->err, ps->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Where p is, counted in octets from the command's start. */
static size_t imap_parse_offset(const struct imap_parser *ps)
{
	return (size_t)(ps->p - ps->start);
}

/* Is p at the end of the line (CRLF, a bare LF, or the end of the text)? */
static bool imap_parse_at_eol(const struct imap_parser *ps)
{
	const char *p = ps->p;
	return p == ps->end || *p == '\n' || (*p == '\r' && p + 1 < ps->end && p[1] == '\n');
}

/* The reason an octet cannot be in an atom (or a tag, or a name). */
static int imap_parse_bad_octet(struct imap_parser *ps, const char *where)
{
	unsigned char c = (unsigned char)*ps->p;
	size_t off = imap_parse_offset(ps);
	if (c >= 0x80)
		return imap_parse_fail(ps,
				       "8-bit characters are not allowed in %s; use a literal "
				       "(octet 0x%02X at offset %zu)",
				       where, c, off);
	if (c == '\0')
		return imap_parse_fail(ps, "NUL is not allowed in a command line (offset %zu)", off);
	if (imap_is_ctl(c))
		return imap_parse_fail(ps, "control character 0x%02X is not allowed in %s (offset %zu)",
				       c, where, off);
	return imap_parse_fail(ps, "'%c' is not allowed in %s (offset %zu)", c, where, off);
}

static void imap_parse_push(struct imap_parse_node **a, size_t *n, size_t *cap,
			    const struct imap_parse_node *node)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*a = xrealloc(*a, *cap * sizeof **a);
	}
	(*a)[(*n)++] = *node;
}

/* A new argument on the current level. */
static int imap_parse_add(struct imap_parser *ps, enum imap_arg_type type, const char *s,
			  size_t len, bool literal)
{
	if (++ps->nargs > IMAP_ARGS_MAX)
		return imap_parse_fail(ps, "more than %d arguments in one command", IMAP_ARGS_MAX);
	struct imap_parse_node node = {
		.arg = {.type = type, .s = s, .len = len, .literal = literal},
	};
	imap_parse_push(&ps->stack, &ps->nstack, &ps->capstack, &node);
	return 0;
}

/* Move stack[from..] to the finished nodes; returns where they begin. */
static size_t imap_parse_finish_level(struct imap_parser *ps, size_t from)
{
	size_t first = ps->ndone;
	for (size_t i = from; i < ps->nstack; i++)
		imap_parse_push(&ps->done, &ps->ndone, &ps->capdone, &ps->stack[i]);
	ps->nstack = from;
	return first;
}

/* Copy n octets into text as a NUL-terminated value. */
static const char *imap_parse_copy(struct imap_parser *ps, const char *s, size_t n)
{
	char *v = ps->out;
	memcpy(v, s, n);
	v[n] = '\0';
	ps->out += n + 1;
	return v;
}

/* The fetch attributes whose "[" opens a section (RFC 3501 9, fetch-att;
 * BINARY from RFC 3516), compared without case. */
static bool imap_is_section_name(const char *s, size_t n)
{
	static const char *const names[] = {"BODY", "BODY.PEEK", "BINARY", "BINARY.PEEK",
					    "BINARY.SIZE"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0)
			return true;
	return false;
}

/*
 * A section and its partial, p at the "[": "[" section-spec "]" and an
 * optional "<" number ["." nz-number] ">".  The section may hold spaces,
 * a list and quoted strings ("[1.HEADER.FIELDS (FROM \"X-A]\")]"), and a
 * header-fld-name is an astring, which may hold "]" too (RFC 3501 9): so
 * the section ends at the first "]" outside parentheses and quoted
 * strings.  Every octet is read only after p < end was checked.
 */
static int imap_parse_section(struct imap_parser *ps)
{
	size_t open = imap_parse_offset(ps);
	int nparen = 0;
	ps->p++; /* the "[" */
	for (;;) {
		if (ps->p >= ps->end || *ps->p == '\r' || *ps->p == '\n')
			return imap_parse_fail(ps,
					       "unbalanced brackets: the '[' at offset %zu is never "
					       "closed",
					       open);
		unsigned char c = (unsigned char)*ps->p;
		if (c == ']' && nparen == 0) {
			ps->p++;
			break;
		}
		if (c == '(') {
			nparen++;
		} else if (c == ')') {
			nparen -= nparen > 0; /* a stray ')' is the section's to refuse */
		} else if (c == '"') {
			ps->p++;
			while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\r' && *ps->p != '\n')
				ps->p += *ps->p == '\\' && ps->p + 1 < ps->end ? 2 : 1;
			if (ps->p >= ps->end || *ps->p != '"')
				return imap_parse_fail(ps,
						       "unterminated quoted string inside the '[' at "
						       "offset %zu",
						       open);
		} else if (c >= 0x80 || imap_is_ctl(c)) {
			return imap_parse_bad_octet(ps, "an atom");
		}
		ps->p++;
	}
	if (ps->p < ps->end && *ps->p == '<') {
		size_t lt = imap_parse_offset(ps);
		ps->p++;
		while (ps->p < ps->end && (imap_is_digit((unsigned char)*ps->p) || *ps->p == '.'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p != '>')
			return imap_parse_fail(ps,
					       "unterminated partial: the '<' at offset %zu needs "
					       "digits, an optional '.' and digits, and '>'",
					       lt);
		ps->p++;
	}
	return 0;
}

/*
 * A bare word: an atom, an astring, a list-mailbox, a sequence set or a
 * flag (a leading "\"), all made of imap_is_arg_atom_char octets; or, in
 * FETCH, a fetch attribute with a section, which ends at its "]" or
 * partial: BODY.PEEK[HEADER.FIELDS (TO)]<0.100> is one word.
 */
static int imap_parse_atom(struct imap_parser *ps)
{
	const char *s = ps->p;
	if (*ps->p == '\\')
		ps->p++; /* \Seen */
	while (ps->p < ps->end && imap_is_arg_atom_char((unsigned char)*ps->p)) {
		if (*ps->p == '[' && ps->sections &&
		    imap_is_section_name(s, (size_t)(ps->p - s))) {
			if (imap_parse_section(ps) < 0)
				return -1;
			break;
		}
		ps->p++;
	}
	size_t n = (size_t)(ps->p - s);
	if (n == 1 && *s == '\\')
		ps->p--; /* a lone backslash is not a flag */
	/* What stopped the word must be able to follow it: a space, a ')', the
	 * line's end, or (reported by the caller as a missing space) the start
	 * of a list, quoted string or literal.  p may be at the end of the
	 * text: imap_parse_at_eol() says so before anything reads *p. */
	if (!imap_parse_at_eol(ps) && (*ps->p == '\0' || !strchr(" ()\"{", *ps->p))) {
		if (*ps->p == ']') /* only after a section: "BODY[]]" */
			return imap_parse_fail(ps, "unbalanced brackets: ']' without '[' (offset %zu)",
					       imap_parse_offset(ps));
		return imap_parse_bad_octet(ps, "an atom");
	}
	if (n == 0 || (ps->p < ps->end && *ps->p == '\\'))
		return imap_parse_bad_octet(ps, "an atom");
	const char *v = imap_parse_copy(ps, s, n);
	if (n == 3 && strncasecmp(v, "NIL", 3) == 0)
		return imap_parse_add(ps, IMAP_ARG_NIL, v, n, false);
	return imap_parse_add(ps, IMAP_ARG_ATOM, v, n, false);
}

/* A quoted string (RFC 3501 9, quoted): 7-bit TEXT-CHARs, with \" and \\
 * the only escapes. */
static int imap_parse_quoted(struct imap_parser *ps)
{
	size_t open = imap_parse_offset(ps);
	char *v = ps->out;
	size_t n = 0;
	ps->p++; /* the opening '"' */
	for (;;) {
		if (ps->p >= ps->end || *ps->p == '\r' || *ps->p == '\n')
			return imap_parse_fail(ps,
					       "unterminated quoted string: the '\"' at offset %zu is "
					       "never closed on its line",
					       open);
		unsigned char c = (unsigned char)*ps->p;
		if (c == '"')
			break;
		if (c == '\0')
			return imap_parse_fail(ps,
					       "NUL is not allowed in a quoted string; use a literal "
					       "(offset %zu)",
					       imap_parse_offset(ps));
		if (c >= 0x80)
			return imap_parse_fail(ps,
					       "8-bit characters are not allowed in a quoted string; "
					       "use a literal (octet 0x%02X at offset %zu)",
					       c, imap_parse_offset(ps));
		if (c == '\\') {
			ps->p++;
			if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\\'))
				return imap_parse_fail(ps,
						       "invalid escape in quoted string at offset %zu: "
						       "only \\\" and \\\\ are allowed",
						       imap_parse_offset(ps) - 1);
			c = (unsigned char)*ps->p;
		}
		v[n++] = (char)c;
		ps->p++;
	}
	ps->p++; /* the closing '"' */
	v[n] = '\0';
	ps->out += n + 1;
	return imap_parse_add(ps, IMAP_ARG_STRING, v, n, false);
}

/* A literal (RFC 3501 7.5): "{" number ["+"] "}" CRLF, then that many
 * octets, whatever they are. */
static int imap_parse_literal(struct imap_parser *ps)
{
	size_t open = imap_parse_offset(ps);
	const char *d = ++ps->p;
	uint64_t size = 0;
	while (ps->p < ps->end && imap_is_digit((unsigned char)*ps->p)) {
		unsigned dig = (unsigned)(*ps->p - '0');
		size = size > (UINT64_MAX - dig) / 10 ? UINT64_MAX : size * 10 + dig;
		ps->p++;
	}
	size_t ndigits = (size_t)(ps->p - d);
	if (ps->p < ps->end && *ps->p == '+')
		ps->p++;
	if (ndigits == 0 || ps->p >= ps->end || *ps->p != '}') {
		int shown = 0; /* the announcement as written, to its '}' */
		while (ps->start + open + shown < ps->end && shown < 24 &&
		       !strchr("}\r\n", ps->start[open + (size_t)shown]))
			shown++;
		if (ps->start + open + shown < ps->end && ps->start[open + (size_t)shown] == '}')
			shown++;
		return imap_parse_fail(ps,
				       "invalid literal at offset %zu: \"%.*s\" is not {number} or "
				       "{number+}",
				       open, shown, ps->start + open);
	}
	ps->p++; /* '}' */
	if (size > IMAP_LITERAL_MAX_OCTETS) {
		int nd = ndigits > IMAP_ECHO_DIGITS_MAX ? IMAP_ECHO_DIGITS_MAX : (int)ndigits;
		return imap_parse_fail(ps, "literal of %.*s%s octets is larger than the limit of %u", nd,
				       d, ndigits > IMAP_ECHO_DIGITS_MAX ? "..." : "",
				       (unsigned)IMAP_LITERAL_MAX_OCTETS);
	}
	if (ps->p < ps->end && *ps->p == '\r')
		ps->p++;
	if (ps->p >= ps->end || *ps->p != '\n')
		return imap_parse_fail(ps,
				       "the literal announced at offset %zu must end its line: "
				       "CRLF expected after '}'",
				       open);
	ps->p++;
	size_t have = (size_t)(ps->end - ps->p);
	if (size > have)
		return imap_parse_fail(ps,
				       "the literal at offset %zu announces %llu octets but only %zu "
				       "follow",
				       open, (unsigned long long)size, have);
	const char *v = imap_parse_copy(ps, ps->p, (size_t)size);
	ps->p += size;
	return imap_parse_add(ps, IMAP_ARG_STRING, v, (size_t)size, true);
}

/* The arguments, to the end of the command. */
static int imap_parse_args(struct imap_parser *ps)
{
	bool need_space = true; /* after the name, or after an item */
	for (;;) {
		/* One or more SP (RFC 3501 says one; people type two). */
		bool spaced = false;
		while (ps->p < ps->end && *ps->p == ' ') {
			ps->p++;
			spaced = true;
		}
		if (imap_parse_at_eol(ps)) {
			if (ps->depth > 0)
				return imap_parse_fail(ps,
						       "unbalanced parentheses: the '(' at offset %zu "
						       "has no ')'",
						       ps->level_open[ps->depth]);
			return 0;
		}
		char c = *ps->p;
		if (c == ')') {
			if (ps->depth == 0)
				return imap_parse_fail(ps,
						       "unbalanced parentheses: ')' without '(' "
						       "(offset %zu)",
						       imap_parse_offset(ps));
			ps->p++;
			size_t from = ps->level_start[ps->depth--];
			size_t nitems = ps->nstack - from;
			size_t first = imap_parse_finish_level(ps, from);
			if (imap_parse_add(ps, IMAP_ARG_LIST, NULL, 0, false) < 0)
				return -1;
			ps->stack[ps->nstack - 1].arg.nlist = nitems;
			ps->stack[ps->nstack - 1].first = first;
			need_space = true;
			continue;
		}
		if (need_space && !spaced)
			return imap_parse_fail(ps, "a space is needed between arguments (offset %zu)",
					       imap_parse_offset(ps));
		int rc;
		switch (c) {
		case '(':
			if (ps->depth == IMAP_NESTING_MAX)
				return imap_parse_fail(ps, "lists nested deeper than %d levels (offset %zu)",
						       IMAP_NESTING_MAX, imap_parse_offset(ps));
			ps->depth++;
			ps->level_start[ps->depth] = ps->nstack;
			ps->level_open[ps->depth] = imap_parse_offset(ps);
			ps->p++;
			need_space = false;
			continue;
		case '"':
			rc = imap_parse_quoted(ps);
			break;
		case '{':
			rc = imap_parse_literal(ps);
			break;
		default:
			rc = imap_parse_atom(ps);
			break;
		}
		if (rc < 0)
			return -1;
		need_space = true;
	}
}

/* The tag, the command name, "UID" folded in. */
static int imap_parse_head(struct imap_parser *ps, struct imap_cmd *cmd)
{
	if (imap_parse_at_eol(ps))
		return imap_parse_fail(ps, "empty line: expected a tag, a space and a command");
	const char *t = ps->p;
	while (ps->p < ps->end && imap_is_tag_char((unsigned char)*ps->p))
		ps->p++;
	size_t ntag = (size_t)(ps->p - t);
	if (ntag == 0) {
		if (*ps->p == '*' || *ps->p == '+')
			return imap_parse_fail(ps,
					       "'%c' cannot be a tag: it begins the server's %s replies",
					       *ps->p, *ps->p == '*' ? "untagged" : "continuation");
		if (*ps->p == ' ')
			return imap_parse_fail(ps, "missing tag: the line begins with a space");
		return imap_parse_bad_octet(ps, "a tag");
	}
	if (ntag > IMAP_TAG_MAX_CHARS)
		return imap_parse_fail(ps, "tag longer than %d characters", IMAP_TAG_MAX_CHARS);
	if (!imap_parse_at_eol(ps) && *ps->p != ' ')
		return imap_parse_bad_octet(ps, "a tag");
	memcpy(cmd->tag, t, ntag);
	cmd->tag[ntag] = '\0';

	for (int word = 0; word < 2; word++) {
		while (ps->p < ps->end && *ps->p == ' ')
			ps->p++;
		if (imap_parse_at_eol(ps))
			return imap_parse_fail(ps, word == 0 ? "missing command after the tag"
							     : "UID must be followed by a command "
							       "(COPY, FETCH, SEARCH, STORE...)");
		const char *s = ps->p;
		while (ps->p < ps->end && imap_is_atom_char((unsigned char)*ps->p))
			ps->p++;
		size_t n = (size_t)(ps->p - s);
		if (n == 0 || (!imap_parse_at_eol(ps) && *ps->p != ' '))
			return imap_parse_bad_octet(ps, "a command name");
		if (n >= sizeof cmd->name)
			return imap_parse_fail(ps, "command name longer than %zu characters",
					       sizeof cmd->name - 1);
		for (size_t i = 0; i < n; i++) {
			char c = s[i];
			cmd->name[i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
		}
		cmd->name[n] = '\0';
		if (word == 1 || strcmp(cmd->name, "UID") != 0)
			break;
		cmd->uid = true;
	}
	return 0;
}

int imap_parse_command(const char *text, size_t len, struct imap_cmd *cmd, char *err,
		       size_t errlen)
{
	memset(cmd, 0, sizeof *cmd);
	if (errlen)
		err[0] = '\0';
	struct imap_parser ps = {
		.start = text, .p = text, .end = text + len, .err = err, .errlen = errlen,
	};
	cmd->text = xmalloc(len + 2);
	ps.out = cmd->text;

	int rc = imap_parse_head(&ps, cmd);
	/* fetch-att, where sections live, is FETCH's alone (RFC 3501 9). */
	ps.sections = strcmp(cmd->name, "FETCH") == 0;
	if (rc == 0)
		rc = imap_parse_args(&ps);
	if (rc == 0) {
		/* The line's end; nothing may follow it. */
		if (ps.p < ps.end && *ps.p == '\r')
			ps.p++;
		if (ps.p < ps.end && *ps.p == '\n')
			ps.p++;
		if (ps.p != ps.end)
			rc = imap_parse_fail(&ps, "text after the end of the command (offset %zu)",
					     imap_parse_offset(&ps));
	}
	if (rc == 0) {
		size_t first = imap_parse_finish_level(&ps, 0);
		cmd->npool = cmd->cappool = ps.ndone;
		cmd->pool = xcalloc(ps.ndone ? ps.ndone : 1, sizeof *cmd->pool);
		for (size_t i = 0; i < ps.ndone; i++) {
			cmd->pool[i] = ps.done[i].arg;
			if (cmd->pool[i].type == IMAP_ARG_LIST)
				cmd->pool[i].list = cmd->pool + ps.done[i].first;
		}
		cmd->args = cmd->pool + first;
		cmd->nargs = ps.ndone - first;
	}
	free(ps.stack);
	free(ps.done);
	if (rc < 0) {
		/* Keep what was read of the head, for the BAD reply. */
		struct imap_cmd head = *cmd;
		imap_cmd_free(cmd);
		memcpy(cmd->tag, head.tag, sizeof cmd->tag);
		memcpy(cmd->name, head.name, sizeof cmd->name);
		cmd->uid = head.uid;
	}
	return rc;
}

void imap_cmd_free(struct imap_cmd *cmd)
{
	free(cmd->pool);
	free(cmd->text);
	memset(cmd, 0, sizeof *cmd);
}

/* ------------------------------------------- 4. arguments as strings, numbers */

/* NIL counts: it is an atom (RFC 3501 9), so where a command wants an
 * astring ("SEARCH SUBJECT NIL", a mailbox named NIL) it is the string
 * "NIL" as written; only an nstring would read it as no value. */
const char *imap_arg_str(const struct imap_arg *a)
{
	if (!a || a->type == IMAP_ARG_LIST)
		return NULL;
	if (memchr(a->s, '\0', a->len))
		return NULL;
	return a->s;
}

bool imap_arg_is(const struct imap_arg *a, const char *word)
{
	if (!a || a->type != IMAP_ARG_ATOM)
		return false;
	return strlen(word) == a->len && strncasecmp(a->s, word, a->len) == 0;
}

/* number (RFC 3501 9): 1*DIGIT, here at most 4294967295; no sign. */
static bool imap_number(const char *s, size_t n, uint32_t *out)
{
	if (n == 0)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!imap_is_digit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

bool imap_arg_number(const struct imap_arg *a, uint32_t *out)
{
	if (!a || a->type != IMAP_ARG_ATOM)
		return false;
	return imap_number(a->s, a->len, out);
}

/* ------------------------------------------------------- 5. sequence sets */

/* seq-number: nz-number (no leading zero, not 0) or "*" (kept as 0). */
static bool imap_seq_number(const char *s, size_t n, uint32_t *out)
{
	if (n == 1 && s[0] == '*') {
		*out = 0;
		return true;
	}
	if (n == 0 || s[0] == '0')
		return false;
	return imap_number(s, n, out);
}

bool imap_seqset_parse(const char *s, struct imap_seqset *out)
{
	out->ranges = NULL;
	out->n = 0;
	if (!s || !*s)
		return false;
	size_t cap = 0;
	for (;;) {
		size_t n = strcspn(s, ",");
		const char *colon = memchr(s, ':', n);
		struct imap_range r;
		bool ok;
		if (colon) {
			size_t nlo = (size_t)(colon - s);
			ok = imap_seq_number(s, nlo, &r.lo) &&
			     imap_seq_number(colon + 1, n - nlo - 1, &r.hi);
		} else {
			ok = imap_seq_number(s, n, &r.lo);
			r.hi = r.lo;
		}
		if (!ok) {
			imap_seqset_free(out);
			return false;
		}
		if (out->n == cap) {
			cap = cap ? cap * 2 : 4;
			out->ranges = xrealloc(out->ranges, cap * sizeof *out->ranges);
		}
		out->ranges[out->n++] = r;
		if (s[n] == '\0')
			return true;
		s += n + 1; /* past the ',': an empty part after it fails above */
	}
}

void imap_seqset_free(struct imap_seqset *set)
{
	free(set->ranges);
	set->ranges = NULL;
	set->n = 0;
}

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t v, uint32_t star)
{
	for (size_t i = 0; i < set->n; i++) {
		uint32_t lo = set->ranges[i].lo ? set->ranges[i].lo : star;
		uint32_t hi = set->ranges[i].hi ? set->ranges[i].hi : star;
		if (lo > hi) {
			uint32_t t = lo;
			lo = hi;
			hi = t;
		}
		if (v >= lo && v <= hi)
			return true;
	}
	return false;
}

/* ------------------------------------------------------- 6. output helpers */

void imap_write_string(struct buf *out, const char *s, size_t len)
{
	if (!s) {
		buf_adds(out, "NIL");
		return;
	}
	bool quotable = len <= IMAP_QUOTED_MAX_OCTETS;
	for (size_t i = 0; quotable && i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		quotable = c != '\0' && c != '\r' && c != '\n' && c < 0x80;
	}
	if (!quotable) {
		buf_addc(out, '{');
		buf_add_u64(out, len);
		buf_adds(out, "}\r\n");
		buf_add(out, s, len);
		return;
	}
	buf_reserve(out, len * 2 + 2);
	buf_addc(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_addc(out, '\\');
		buf_addc(out, s[i]);
	}
	buf_addc(out, '"');
}

bool imap_is_atom(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!imap_is_atom_char((unsigned char)s[i]))
			return false;
	return true;
}

bool imap_is_flag(const char *s, size_t len)
{
	if (len > 0 && s[0] == '\\')
		return imap_is_atom(s + 1, len - 1);
	return imap_is_atom(s, len);
}
