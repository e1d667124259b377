/*
 * imap_parse.h - the IMAP4rev1 command grammar (RFC 3501 9), sans-I/O.
 *
 * Two layers:
 *
 *   - the framer cuts the client's byte stream into whole commands.  A
 *     command is a line, unless it contains literals: "{n}" at the end of a
 *     line announces n octets that follow the CRLF (the server must first
 *     answer "+" to a synchronizing literal, RFC 3501 7.5), "{n+}" is a
 *     non-synchronizing literal (LITERAL+, RFC 7888) sent without waiting.
 *     Sizes are checked when announced, before any buffer grows.
 *
 *   - the parser turns one whole command into a tag, a command name and a
 *     tree of arguments: atoms, numbers, quoted strings, literals, NIL and
 *     parenthesised lists; it also parses sequence sets ("1:*", "2,4:7").
 */
#ifndef MAILSIM_IMAP_PARSE_H
#define MAILSIM_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Limits, with their units. */
/* One line of a command, literals not counted: RFC 7162 section 4 asks
 * for at least 8192 octets, and long UID sets and RFC 2971 ID lines go
 * further; Dovecot takes 64 KiB too. */
#define IMAP_LINE_MAX_OCTETS 65536
#define IMAP_LITERAL_MAX_OCTETS (64u * 1024u * 1024u) /* APPEND of 64 MiB at most */
/* A whole command: a literal at its limit between two lines at theirs. */
#define IMAP_COMMAND_MAX_OCTETS (IMAP_LITERAL_MAX_OCTETS + 2u * (IMAP_LINE_MAX_OCTETS + 2u))
#define IMAP_TAG_MAX_CHARS 64
#define IMAP_NESTING_MAX 32                /* parenthesised lists inside lists */
#define IMAP_ARGS_MAX 100000               /* arguments in one command, all levels */

/* ------------------------------------------------------------ framer */

enum imap_frame {
	IMAP_FRAME_MORE,        /* nothing complete yet: feed more */
	IMAP_FRAME_COMMAND,     /* a whole command is in framer.cmd */
	IMAP_FRAME_CONTINUE,    /* a synchronizing literal was announced: the
				 * server should send "+ ..." now; then feed more */
	IMAP_FRAME_TOO_BIG,     /* a literal over the limit was announced: the
				 * command is discarded; answer (tag in .tag,
				 * reason in .err).  For {n+} the framer then
				 * skips the n octets and the rest of that
				 * command by itself; for {n} the client sends
				 * nothing more of it (it waited for "+") */
	IMAP_FRAME_LINE_TOO_LONG, /* a line over the limit: discarded to its end
				   * (returned at its LF; tag in .tag if the
				   * line began the command, reason in .err) */
};

/* Where the framer's byte machine is (the table is in imap_parse.c). */
enum imap_framer_state {
	IMAP_FRAMER_LINE,         /* reading a line of the command, up to LF */
	IMAP_FRAMER_LITERAL,      /* collecting the octets of a literal */
	IMAP_FRAMER_DISCARD_LINE, /* throwing away a line, up to LF */
	IMAP_FRAMER_SKIP_LITERAL, /* throwing away a refused command's literal */
	IMAP_FRAMER_DONE,         /* a command was returned: imap_framer_next() */
};

struct imap_framer {
	struct buf cmd;          /* the command being assembled (lines + literals) */
	size_t literal_left;     /* octets of a literal still to come */
	bool discarding;         /* skipping the rest of an over-long line */
	bool sync_pending;       /* a {n} was read: CONTINUE was returned */
	char tag[IMAP_TAG_MAX_CHARS + 1]; /* tag of the command, for error replies */
	size_t line_start;       /* start of the current line in cmd */
	size_t literal_limit;    /* IMAP_LITERAL_MAX_OCTETS unless set lower */
	enum imap_framer_state state; /* the byte machine's state */
	bool report_at_eol;      /* LINE_TOO_LONG is owed at this line's end */
	char err[160];           /* after TOO_BIG or LINE_TOO_LONG: why, for the reply */
};

void imap_framer_init(struct imap_framer *f);
void imap_framer_free(struct imap_framer *f);
/* Take bytes from in; returns how many were consumed and what happened.
 * Call again with the rest (in + consumed) until it consumes nothing and
 * says MORE.  After COMMAND, the caller parses f->cmd, then calls
 * imap_framer_next() before feeding again. */
size_t imap_framer_feed(struct imap_framer *f, const char *in, size_t len,
			enum imap_frame *what);
void imap_framer_next(struct imap_framer *f);

/* ------------------------------------------------------------ parser */

enum imap_arg_type {
	IMAP_ARG_ATOM,    /* also numbers, sequence sets, flags like \Seen, BODY[...] */
	IMAP_ARG_STRING,  /* quoted or literal: s/len hold the value */
	IMAP_ARG_NIL,     /* the atom NIL (any case); s holds it as written */
	IMAP_ARG_LIST,    /* ( ... ) */
};

struct imap_arg {
	enum imap_arg_type type;
	const char *s;           /* atom text or string value (points into the command) */
	size_t len;
	bool literal;            /* the string came as a literal */
	struct imap_arg *list;   /* for LIST */
	size_t nlist;
};

struct imap_cmd {
	char tag[IMAP_TAG_MAX_CHARS + 1];
	char name[32];           /* upper-cased: "FETCH", "SELECT"... */
	bool uid;                /* "UID FETCH": name is "FETCH", uid is true */
	struct imap_arg *args;   /* top-level arguments */
	size_t nargs;
	/* storage for every arg, freed by imap_cmd_free */
	struct imap_arg *pool;
	size_t npool, cappool;
	char *text;              /* private copy where unescaped strings live */
};

/*
 * Parse one whole command (as the framer assembled it, CRLF included).
 * Bare words (IMAP_ARG_ATOM) are made of ASTRING-CHARs (RFC 3501 9: the
 * ATOM-CHARs, "[" among them, and "]") plus the wildcards "*" and "%", so
 * one rule serves atoms, astrings such as the mailbox "a[b]", LIST patterns
 * and sequence sets; the server checks what each argument must be.  One
 * exception keeps FETCH attributes whole: in FETCH (and UID FETCH), after
 * BODY, BODY.PEEK, BINARY, BINARY.PEEK or BINARY.SIZE, a "[" runs to the
 * matching "]" (spaces and parentheses inside included) and takes a
 * following "<...>" partial too, so "BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>"
 * is ONE atom.  A leading "UID" is folded into the command: "UID FETCH"
 * gives name "FETCH" and uid true.
 * On error returns -1 with a message for a BAD response in err (and the
 * tag filled if one was read); on success 0.
 * Every value is copied into cmd->text, so the cmd does not point into
 * text: the input may be reused at once.  cmd is always initialised;
 * imap_cmd_free() is right after either result (and twice is harmless).
 */
int imap_parse_command(const char *text, size_t len, struct imap_cmd *cmd,
		       char *err, size_t errlen);
void imap_cmd_free(struct imap_cmd *cmd);

/* An argument as a C string (atom, NIL as written, or string), or NULL if
 * it is a list or holds a NUL.  Valid while cmd lives. */
const char *imap_arg_str(const struct imap_arg *a);
/* True if the atom equals word, case-insensitively. */
bool imap_arg_is(const struct imap_arg *a, const char *word);
/* A number (nz-number or number, up to 2^32-1); false if not one. */
bool imap_arg_number(const struct imap_arg *a, uint32_t *out);

/* ------------------------------------------------------------ sequence sets */

/* "*" stands for the largest number in use: kept as 0 in the ranges and
 * resolved when the set is used. */
struct imap_seqset {
	struct imap_range {
		uint32_t lo, hi;  /* inclusive; 0 means "*" */
	} *ranges;
	size_t n;
};

/* Parse "1", "1:5", "2,4:7,9", "1:*", "*"; false if malformed or 0 used. */
bool imap_seqset_parse(const char *s, struct imap_seqset *out);
void imap_seqset_free(struct imap_seqset *set);
/* Is v in the set, with "*" meaning star (the highest number in use)?
 * A range "a:b" is the same as "b:a" (RFC 3501 9, seq-range). */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t v, uint32_t star);

/* ------------------------------------------------------------ output helpers */

/* Write s as an IMAP string: NIL if s is NULL, a quoted string if it is
 * short 7-bit text without CR, LF, NUL, else a literal {n}CRLF... */
void imap_write_string(struct buf *out, const char *s, size_t len);
/* Is this a valid atom (for mailbox names and flags sent as atoms)? */
bool imap_is_atom(const char *s, size_t len);
/* Is this a valid flag: an atom, or a backslash and an atom (\Seen)? */
bool imap_is_flag(const char *s, size_t len);

#endif
