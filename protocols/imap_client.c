/*
 * imap_client.c - the IMAP client engine (RFC 3501, with LITERAL+, UIDPLUS,
 * MOVE, IDLE and SPECIAL-USE), sans-I/O.
 *
 * The client is a device's mail app doing one task.  Every command carries
 * a tag (a0001, a0002, ...); the server may say any number of untagged
 * lines ("* ...") and then ends its answer with a line starting with the
 * same tag and OK, NO or BAD.  A whole SYNC, as a class sees it (S: the
 * server, C: this client), with the state the client waits in:
 *
 *   S: * OK [CAPABILITY IMAP4rev1 ...] ready          GREETING
 *   C: a0001 LOGIN "bob" "bob123"                     LOGIN
 *   S: a0001 OK LOGIN completed
 *   C: a0002 LIST "" "*"                              LIST
 *   S: * LIST (\HasNoChildren) "/" INBOX
 *   S: * LIST (\HasNoChildren \Sent) "/" Sent
 *   S: a0002 OK LIST completed
 *   C: a0003 SELECT INBOX                             SELECT
 *   S: * 2 EXISTS
 *   S: * OK [UIDVALIDITY 7] UIDs valid
 *   S: a0003 OK [READ-WRITE] SELECT completed
 *   C: a0004 UID FETCH 1:* (UID FLAGS)                RESYNC
 *   S: * 1 FETCH (UID 4 FLAGS (\Seen))
 *   S: * 2 FETCH (UID 9 FLAGS ())
 *   S: a0004 OK FETCH completed
 *   C: a0005 UID FETCH 9 (UID FLAGS BODY.PEEK[])      DOWNLOAD
 *   S: * 2 FETCH (UID 9 FLAGS () BODY[] {52}
 *   S: ...52 octets of message...)
 *   S: a0005 OK FETCH completed
 *   C: a0006 LOGOUT                                   LOGOUT
 *   S: * BYE
 *   S: a0006 OK LOGOUT completed                      DONE
 *
 * With config starttls, a server whose greeting lists STARTTLS is asked for
 * it before LOGIN (RFC 3501 6.2.1), and asked CAPABILITY again afterwards,
 * because what it listed in plaintext may have been forged on the way:
 *
 *   C: a0001 STARTTLS                                 STARTTLS
 *   S: a0001 OK Begin TLS negotiation now             TLS   (the host's handshake)
 *   C: a0002 CAPABILITY                               CAPABILITY  (now encrypted)
 *   S: * CAPABILITY IMAP4rev1 ... AUTH=PLAIN
 *   S: a0002 OK CAPABILITY completed
 *   C: a0003 LOGIN "bob" "bob123"                     LOGIN
 *
 * Messages have two numbers.  The sequence number (1..n) is a position in
 * the folder and shifts down whenever a message before it is expunged; the
 * UID never changes while the folder's UIDVALIDITY stays the same.  The
 * device remembers UIDs; the server's untagged EXPUNGE and FETCH speak in
 * sequence numbers.  So the client keeps its "sequence view": an array of
 * UIDs in folder order, where view[n - 1] is the UID of message n, and it
 * removes position n when "* n EXPUNGE" arrives.
 *
 * A response is a line, unless the line ends with "{n}": then n octets of
 * literal data follow the CRLF (a message, say), and the response goes on
 * with another line after them.  The client collects a whole response
 * (lines and literals) before looking at it; inside the collected bytes a
 * literal follows its "{n}" directly, with the CRLF dropped.
 *
 * The error is sticky and the first one wins.  Errors this client makes up
 * itself (no server said them) start with "client:".
 */
#include "imap.h"
#include "i18n.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Limits, with their units, checked as bytes arrive. */
#define IMAP_CLIENT_LINE_MAX_OCTETS (64u * 1024u)   /* one line of a response */
#define IMAP_CLIENT_LITERAL_MAX_OCTETS (64u * 1024u * 1024u) /* one literal */
#define IMAP_CLIENT_RESPONSE_MAX_OCTETS (IMAP_CLIENT_LITERAL_MAX_OCTETS + 1024u * 1024u)
#define IMAP_CLIENT_MESSAGES_MAX 1000000u  /* messages of a folder: the view's size */
#define IMAP_CLIENT_NESTING_MAX 32         /* parenthesised lists inside lists */
#define IMAP_CLIENT_SET_MAX_OCTETS 1000    /* a UID set sent in one UID FETCH */
#define IMAP_CLIENT_QUOTE_OCTETS 200       /* of a server's line quoted in the error */
#define IMAP_CLIENT_LITERALS_MAX 4         /* literals in one command we send */

enum imap_client_state {
	IMAP_CLIENT_GREETING,     /* connected; waiting for "* OK" */
	IMAP_CLIENT_STARTTLS,     /* sent STARTTLS; waiting for OK (RFC 3501 6.2.1) */
	IMAP_CLIENT_TLS,          /* the host is doing the TLS handshake */
	IMAP_CLIENT_CAPABILITY,   /* sent CAPABILITY again, inside TLS */
	IMAP_CLIENT_LOGIN,        /* sent LOGIN */
	IMAP_CLIENT_LIST,         /* sent LIST "" "*" (SYNC) */
	IMAP_CLIENT_SELECT,       /* sent SELECT INBOX */
	IMAP_CLIENT_RESYNC,       /* sent UID FETCH 1:* (UID FLAGS) */
	IMAP_CLIENT_DOWNLOAD,     /* sent UID FETCH set (UID FLAGS BODY.PEEK[]) */
	IMAP_CLIENT_IDLE,         /* sent IDLE; waiting for "+" */
	IMAP_CLIENT_IDLING,       /* in IDLE: the server pushes news */
	IMAP_CLIENT_IDLE_DONE,    /* sent DONE; waiting for IDLE's tagged OK */
	IMAP_CLIENT_STORE,        /* sent UID STORE uid +FLAGS/-FLAGS (flag) */
	IMAP_CLIENT_CREATE,       /* sent CREATE folder */
	IMAP_CLIENT_MOVE,         /* sent UID MOVE uid folder */
	IMAP_CLIENT_COPY,         /* sent UID COPY uid folder (no MOVE) */
	IMAP_CLIENT_MARK_DELETED, /* sent UID STORE uid +FLAGS.SILENT (\Deleted) */
	IMAP_CLIENT_EXPUNGE,      /* sent UID EXPUNGE uid */
	IMAP_CLIENT_APPEND,       /* sent APPEND folder (\Seen) {n} */
	IMAP_CLIENT_LOGOUT,       /* sent LOGOUT; waiting for BYE / OK */
	IMAP_CLIENT_DONE,         /* nothing more to say or hear */
};

static const char *const imap_client_state_names[] = {
	[IMAP_CLIENT_GREETING] = "GREETING",
	[IMAP_CLIENT_STARTTLS] = "STARTTLS",
	[IMAP_CLIENT_TLS] = "TLS",
	[IMAP_CLIENT_CAPABILITY] = "CAPABILITY",
	[IMAP_CLIENT_LOGIN] = "LOGIN",
	[IMAP_CLIENT_LIST] = "LIST",
	[IMAP_CLIENT_SELECT] = "SELECT",
	[IMAP_CLIENT_RESYNC] = "RESYNC",
	[IMAP_CLIENT_DOWNLOAD] = "DOWNLOAD",
	[IMAP_CLIENT_IDLE] = "IDLE",
	[IMAP_CLIENT_IDLING] = "IDLING",
	[IMAP_CLIENT_IDLE_DONE] = "IDLE_DONE",
	[IMAP_CLIENT_STORE] = "STORE",
	[IMAP_CLIENT_CREATE] = "CREATE",
	[IMAP_CLIENT_MOVE] = "MOVE",
	[IMAP_CLIENT_COPY] = "COPY",
	[IMAP_CLIENT_MARK_DELETED] = "MARK_DELETED",
	[IMAP_CLIENT_EXPUNGE] = "EXPUNGE",
	[IMAP_CLIENT_APPEND] = "APPEND",
	[IMAP_CLIENT_LOGOUT] = "LOGOUT",
	[IMAP_CLIENT_DONE] = "DONE",
};

/* The system flags by name (RFC 3501 2.3.2).  \Recent is left out: it
 * belongs to one session, not to the message, so the device keeps none. */
static const struct imap_flag_row {
	const char *name;
	uint32_t bit;
} imap_flag_table[] = {
	{"\\Seen", IMAP_FLAG_SEEN},
	{"\\Answered", IMAP_FLAG_ANSWERED},
	{"\\Flagged", IMAP_FLAG_FLAGGED},
	{"\\Deleted", IMAP_FLAG_DELETED},
	{"\\Draft", IMAP_FLAG_DRAFT},
};

/* The special-use attributes of LIST (RFC 6154 2). */
static const char *const imap_special_uses[] = {
	"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash",
};

/* A message the device has (or now has), with its flags. */
struct imap_client_have {
	uint32_t uid;
	uint32_t flags;
	bool present; /* the resync FETCH named it: it is still on the server */
};

struct imap_client {
	enum imap_client_state state; /* changed only by imap_client_enter_state */
	struct imap_client_config cfg; /* strings copied below */
	char *user, *password, *flag, *folder;
	char *msg;
	const struct imap_client_events *ev;
	void *ctx;                    /* for ev */

	unsigned ntag;                /* tags sent so far */
	char tag[8];                  /* the tag of the command in progress, or "" */
	struct buf cmd;               /* the command in progress, all of it */
	size_t cmd_sent;              /* octets of cmd on the wire already */
	size_t waits[IMAP_CLIENT_LITERALS_MAX]; /* where cmd stops for a "+" */
	size_t nwaits, next_wait;

	bool cap_move, cap_literal_plus, cap_uidplus, cap_logindisabled, cap_starttls;
	bool tls_active;              /* the handshake is done: encrypted */
	bool closing;                 /* imap_client_close() was called */
	bool new_mail;                /* an EXISTS announced messages not yet fetched */
	bool target_gone;             /* MOVE/DELETE: cfg.uid was reported expunged */
	bool target_seen;             /* STORE: a FETCH named cfg.uid */
	uint32_t uidvalidity;         /* from SELECT's [UIDVALIDITY n], or 0 */
	uint32_t append_uid;          /* from APPEND's [APPENDUID v uid], or 0 */

	struct imap_client_have *have; /* the device's INBOX, UID order */
	size_t nhave, caphave;
	uint32_t *view;               /* UID of each sequence number, 0 if unknown */
	size_t nview, capview;
	uint32_t *wanted;             /* UIDs to download, ascending */
	size_t nwanted, capwanted, next_wanted;

	struct buf resp;              /* the response being received */
	size_t line_start;            /* where its current line starts in resp */
	uint64_t literal_left;        /* octets of a literal still to come */
	struct buf scratch;           /* an unquoted string */
	char *error;                  /* the first thing that went wrong, or NULL */
};

/* ------------------------------------------------------- state and outcome */

/* The one door through which the state changes. */
static void imap_client_enter_state(struct imap_client *c, enum imap_client_state s)
{
	assert(c->state != IMAP_CLIENT_DONE); /* DONE is the end: no way out */
	c->state = s;
}

/* Remember what went wrong, unless something already did. */
static void imap_client_fail(struct imap_client *c, const char *why, size_t n)
{
	error_keep_first(&c->error, why, n);
}

static void imap_client_fails(struct imap_client *c, const char *why)
{
	imap_client_fail(c, why, strlen(why));
}

/* How much of the response received is quoted in an error. */
static size_t imap_client_quote_len(const struct imap_client *c)
{
	return c->resp.len < IMAP_CLIENT_QUOTE_OCTETS ? c->resp.len : IMAP_CLIENT_QUOTE_OCTETS;
}

/* The server said something this client cannot make sense of: nothing it
 * says can be trusted any more, so the client leaves at once. */
static void imap_client_protocol_error(struct imap_client *c, const char *what)
{
	struct buf why;
	buf_init(&why);
	if (c->resp.len > 0) {
		/* what the server said, a C string (error_keep_first makes a
		 * NUL '?' anyway) */
		struct buf quote;
		buf_init(&quote);
		buf_add(&quote, c->resp.p, imap_client_quote_len(c));
		for (size_t i = 0; i < quote.len; i++)
			if (quote.p[i] == '\0')
				quote.p[i] = '?';
		/* TRANSLATORS: the second %s is the server's response, quoted as it came */
		buf_printf(&why, _("client: protocol error: %s: \"%s\""), _(what), quote.p);
		buf_free(&quote);
	} else {
		buf_printf(&why, _("client: protocol error: %s"), _(what));
	}
	imap_client_fail(c, why.p, why.len);
	buf_free(&why);
	imap_client_enter_state(c, IMAP_CLIENT_DONE);
}

static bool imap_client_resyncs(const struct imap_client *c)
{
	return c->cfg.task == IMAP_TASK_SYNC || c->cfg.task == IMAP_TASK_OPEN;
}

/* ------------------------------------------------ the device's messages */

static struct imap_client_have *imap_client_have_find(struct imap_client *c, uint32_t uid)
{
	size_t lo = 0, hi = c->nhave;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->have[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nhave && c->have[lo].uid == uid ? &c->have[lo] : NULL;
}

static void imap_client_have_add(struct imap_client *c, uint32_t uid, uint32_t flags)
{
	size_t i = c->nhave;
	while (i > 0 && c->have[i - 1].uid > uid)
		i--;
	if (i > 0 && c->have[i - 1].uid == uid)
		return;
	if (c->nhave == c->caphave) {
		c->caphave = c->caphave ? 2 * c->caphave : 16;
		c->have = xrealloc(c->have, c->caphave * sizeof *c->have);
	}
	memmove(&c->have[i + 1], &c->have[i], (c->nhave - i) * sizeof *c->have);
	c->have[i] = (struct imap_client_have){.uid = uid, .flags = flags, .present = true};
	c->nhave++;
}

static void imap_client_have_remove(struct imap_client *c, struct imap_client_have *h)
{
	size_t i = (size_t)(h - c->have);
	memmove(&c->have[i], &c->have[i + 1], (c->nhave - i - 1) * sizeof *c->have);
	c->nhave--;
}

static int imap_client_cmp_have(const void *a, const void *b)
{
	uint32_t x = ((const struct imap_client_have *)a)->uid;
	uint32_t y = ((const struct imap_client_have *)b)->uid;
	return (x > y) - (x < y);
}

static int imap_client_cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* The highest UID the client knows of in the INBOX. */
static uint32_t imap_client_last_uid(const struct imap_client *c)
{
	uint32_t last = c->nhave ? c->have[c->nhave - 1].uid : 0;
	for (size_t i = 0; i < c->nview; i++)
		if (c->view[i] > last)
			last = c->view[i];
	return last;
}

static void imap_client_report_flags(struct imap_client *c, uint32_t uid, uint32_t flags)
{
	if (c->ev && c->ev->flags)
		c->ev->flags(c->ctx, uid, flags);
}

/* A new UIDVALIDITY: the UIDs the device knew may name other messages
 * now, so it forgets them all (RFC 3501 2.3.1.1). */
static void imap_client_forget_all(struct imap_client *c)
{
	if (c->ev && c->ev->reset)
		c->ev->reset(c->ctx, c->uidvalidity);
	c->nhave = 0;
}

static void imap_client_report_expunged(struct imap_client *c, uint32_t uid)
{
	struct imap_client_have *h = imap_client_have_find(c, uid);
	if (h)
		imap_client_have_remove(c, h);
	if (uid == c->cfg.uid)
		c->target_gone = true;
	if (c->ev && c->ev->expunged)
		c->ev->expunged(c->ctx, uid);
}

/* -------------------------------------------------------- the scanner */

/* Reads one collected response.  Literals sit right after their "{n}". */
struct imap_scan {
	const char *p;
	size_t len, pos;
};

static bool imap_scan_at(const struct imap_scan *s, char ch)
{
	return s->pos < s->len && s->p[s->pos] == ch;
}

static bool imap_scan_end(const struct imap_scan *s)
{
	return s->pos >= s->len;
}

static void imap_scan_spaces(struct imap_scan *s)
{
	while (imap_scan_at(s, ' '))
		s->pos++;
}

/* The "(" that opens a parenthesised list: true, past it, if it is there. */
static bool imap_scan_list_open(struct imap_scan *s)
{
	if (!imap_scan_at(s, '('))
		return false;
	s->pos++;
	return true;
}

/* Inside a list, before the next item: spaces skipped, and true, past the
 * ")", where the list ends. */
static bool imap_scan_list_close(struct imap_scan *s)
{
	imap_scan_spaces(s);
	if (!imap_scan_at(s, ')'))
		return false;
	s->pos++;
	return true;
}

/* ATOM-CHAR of RFC 3501 9, with "]" (ASTRING-CHAR) and the list wildcards
 * allowed: anything visible but the specials ( ) { " and [ ]. */
static bool imap_atom_char(char ch)
{
	unsigned char u = (unsigned char)ch;
	return u > 0x20 && u < 0x7f && !strchr("(){\"[", ch);
}

/* An atom; with `section`, a "[...]" inside it is taken whole, as in
 * BODY[HEADER.FIELDS (From)]<0>. */
static bool imap_scan_atom(struct imap_scan *s, bool section, const char **w, size_t *n)
{
	size_t start = s->pos;
	while (s->pos < s->len) {
		char ch = s->p[s->pos];
		if (section && ch == '[') {
			const char *close = memchr(s->p + s->pos, ']', s->len - s->pos);
			if (!close)
				return false;
			s->pos = (size_t)(close - s->p) + 1;
		} else if (imap_atom_char(ch)) {
			s->pos++;
		} else {
			break;
		}
	}
	*w = s->p + start;
	*n = s->pos - start;
	return *n > 0;
}

static bool imap_word_is(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(w, name, n) == 0;
}

/* A number of RFC 3501 9 (up to 4294967295). */
static bool imap_scan_number(struct imap_scan *s, uint32_t *value)
{
	uint64_t v = 0;
	size_t start = s->pos;
	while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9') {
		v = v * 10 + (uint64_t)(s->p[s->pos++] - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*value = (uint32_t)v;
	return s->pos > start;
}

/* A literal "{n}" and its n octets. */
static bool imap_scan_literal(struct imap_scan *s, const char **v, size_t *vn)
{
	uint32_t n;
	s->pos++; /* the "{" */
	if (!imap_scan_number(s, &n) || !imap_scan_at(s, '}'))
		return false;
	s->pos++;
	if (n > s->len - s->pos)
		return false;
	*v = s->p + s->pos;
	*vn = n;
	s->pos += n;
	return true;
}

/* A quoted string, its escapes undone into `scratch`. */
static bool imap_scan_quoted(struct imap_scan *s, struct buf *scratch, const char **v, size_t *vn)
{
	buf_clear(scratch);
	s->pos++; /* the opening quote */
	while (s->pos < s->len && s->p[s->pos] != '"') {
		if (s->p[s->pos] == '\\' && s->pos + 1 < s->len)
			s->pos++;
		buf_addc(scratch, s->p[s->pos++]);
	}
	if (!imap_scan_at(s, '"'))
		return false;
	s->pos++;
	*v = scratch->p ? scratch->p : "";
	*vn = scratch->len;
	return true;
}

/* A string: quoted, literal, NIL (*v = NULL) or, with `atom`, an atom
 * (an astring, such as a folder name). */
static bool imap_scan_string(struct imap_scan *s, struct buf *scratch, bool atom,
			     const char **v, size_t *vn)
{
	if (imap_scan_at(s, '"'))
		return imap_scan_quoted(s, scratch, v, vn);
	if (imap_scan_at(s, '{'))
		return imap_scan_literal(s, v, vn);
	if (!imap_scan_atom(s, false, v, vn))
		return false;
	if (imap_word_is(*v, *vn, "NIL")) {
		*v = NULL;
		*vn = 0;
		return true;
	}
	return atom;
}

/* Any value at all, skipped: an atom, a number, a string or a list. */
static bool imap_scan_skip(struct imap_scan *s, struct buf *scratch, int depth)
{
	const char *v;
	size_t vn;
	if (depth > IMAP_CLIENT_NESTING_MAX)
		return false;
	if (!imap_scan_list_open(s))
		return imap_scan_string(s, scratch, true, &v, &vn);
	while (!imap_scan_list_close(s))
		if (imap_scan_end(s) || !imap_scan_skip(s, scratch, depth + 1))
			return false;
	return true;
}

/* A flag list "(\Seen $Label1)": the system flags as bits; keywords are
 * not kept (the events carry system flags only). */
static bool imap_scan_flags(struct imap_scan *s, uint32_t *flags)
{
	*flags = 0;
	if (!imap_scan_list_open(s))
		return false;
	while (!imap_scan_list_close(s)) {
		const char *w;
		size_t n;
		if (!imap_scan_atom(s, false, &w, &n))
			return false;
		for (size_t i = 0; i < sizeof imap_flag_table / sizeof *imap_flag_table; i++)
			if (imap_word_is(w, n, imap_flag_table[i].name))
				*flags |= imap_flag_table[i].bit;
	}
	return true;
}

/* What one FETCH response says about a message. */
struct imap_fetch {
	bool has_uid, has_flags, has_body;
	uint32_t uid, flags;
	const char *body;
	size_t bodylen;
};

/* "(UID 9 FLAGS (\Seen) BODY[] {52}...)": the items this client asked
 * for; anything else the server adds is skipped. */
static bool imap_scan_fetch(struct imap_scan *s, struct buf *scratch, struct imap_fetch *f)
{
	memset(f, 0, sizeof *f);
	if (!imap_scan_list_open(s))
		return false;
	while (!imap_scan_list_close(s)) {
		const char *item;
		size_t n;
		if (!imap_scan_atom(s, true, &item, &n))
			return false;
		if (!imap_scan_at(s, ' '))
			return false;
		imap_scan_spaces(s);
		bool ok;
		if (imap_word_is(item, n, "UID")) {
			ok = imap_scan_number(s, &f->uid) && f->uid != 0;
			f->has_uid = true;
		} else if (imap_word_is(item, n, "FLAGS")) {
			ok = imap_scan_flags(s, &f->flags);
			f->has_flags = true;
		} else if (imap_word_is(item, n, "BODY[]") || imap_word_is(item, n, "RFC822")) {
			ok = imap_scan_string(s, scratch, false, &f->body, &f->bodylen);
			f->has_body = true;
			if (!f->body)
				f->body = ""; /* NIL: no content at all */
		} else {
			ok = imap_scan_skip(s, scratch, 0);
		}
		if (!ok)
			return false;
	}
	imap_scan_spaces(s);
	return imap_scan_end(s);
}

/* ------------------------------------------------------------- commands */

/* Start a command: a new tag. */
static void imap_client_begin(struct imap_client *c)
{
	c->ntag++;
	snprintf(c->tag, sizeof c->tag, "a%04u", c->ntag % 10000);
	buf_clear(&c->cmd);
	buf_adds(&c->cmd, c->tag);
	buf_addc(&c->cmd, ' ');
	c->cmd_sent = 0;
	c->nwaits = c->next_wait = 0;
}

/* A literal in the command: "{n}" CRLF, then the octets.  Unless the
 * server has LITERAL+ ("{n+}", RFC 7888), the client must wait for the
 * server's "+" before sending them. */
static void imap_client_add_literal(struct imap_client *c, const char *p, size_t n)
{
	assert(c->nwaits < IMAP_CLIENT_LITERALS_MAX);
	buf_printf(&c->cmd, c->cap_literal_plus ? "{%zu+}\r\n" : "{%zu}\r\n", n);
	if (!c->cap_literal_plus)
		c->waits[c->nwaits++] = c->cmd.len;
	buf_add(&c->cmd, p, n);
}

/* A string argument: an atom if it can be one (and `atom` allows it), a
 * quoted string if it holds only plain visible characters, else a literal
 * (quotes, backslashes, control characters, 8-bit).  The caller has made
 * sure there is no NUL, which no IMAP string can carry. */
static void imap_client_add_string(struct imap_client *c, const char *s, bool atom)
{
	bool can_atom = atom && s[0] != '\0', can_quote = true;
	for (const char *p = s; *p; p++) {
		unsigned char u = (unsigned char)*p;
		if (u < 0x20 || u > 0x7e || *p == '"' || *p == '\\')
			can_quote = false;
		if (!imap_atom_char(*p) || *p == '%' || *p == '*' || *p == '\\')
			can_atom = false;
	}
	if (can_atom) {
		buf_adds(&c->cmd, s);
	} else if (can_quote) {
		buf_addc(&c->cmd, '"');
		buf_adds(&c->cmd, s);
		buf_addc(&c->cmd, '"');
	} else {
		imap_client_add_literal(c, s, strlen(s));
	}
}

/* Send the command up to its next wait for "+" (or all of it). */
static void imap_client_send_part(struct imap_client *c, struct wire *out, const char *note)
{
	size_t end = c->next_wait < c->nwaits ? c->waits[c->next_wait++] : c->cmd.len;
	wire_note_here(out, note);
	wire_raw(out, c->cmd.p + c->cmd_sent, end - c->cmd_sent);
	c->cmd_sent = end;
}

/* End the command (CRLF), send what can be sent, wait in state s. */
static void imap_client_end(struct imap_client *c, struct wire *out, enum imap_client_state s,
			    const char *note)
{
	buf_adds(&c->cmd, "\r\n");
	imap_client_send_part(c, out, note);
	imap_client_enter_state(c, s);
}

/* A command without literals, in one go. */
static void imap_client_command(struct imap_client *c, struct wire *out,
				enum imap_client_state s, const char *note,
				const char *fmt, ...) PRINTF_LIKE(5, 6);

static void imap_client_command(struct imap_client *c, struct wire *out,
				enum imap_client_state s, const char *note,
				const char *fmt, ...)
{
	imap_client_begin(c);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&c->cmd, fmt, ap);
	va_end(ap);
	imap_client_end(c, out, s, note);
}

static void imap_client_send_logout(struct imap_client *c, struct wire *out)
{
	imap_client_command(c, out, IMAP_CLIENT_LOGOUT,
			    N_("LOGOUT ends the session: the server says BYE, then OK"), "LOGOUT");
}

/* Something went wrong that the server should hear about politely. */
static void imap_client_give_up(struct imap_client *c, struct wire *out, const char *why,
				size_t n)
{
	imap_client_fail(c, why, n);
	imap_client_send_logout(c, out);
}

static void imap_client_gives_up(struct imap_client *c, struct wire *out, const char *why)
{
	imap_client_give_up(c, out, why, strlen(why));
}

static void imap_client_send_login(struct imap_client *c, struct wire *out)
{
	if (c->cap_logindisabled) {
		imap_client_gives_up(c, out, _("client: the server does not allow LOGIN here "
					       "(LOGINDISABLED: it wants TLS first)"));
		return;
	}
	imap_client_begin(c);
	buf_adds(&c->cmd, "LOGIN ");
	imap_client_add_string(c, c->user, false);
	buf_addc(&c->cmd, ' ');
	imap_client_add_string(c, c->password, false);
	const char *note = N_("LOGIN sends the user name and password in clear text; real "
			      "servers require TLS first");
	if (c->tls_active)
		note = N_("LOGIN inside TLS: the password is encrypted on the way, so a "
			  "wiretapper cannot read it");
	else if (c->cfg.starttls)
		note = N_("the server offered no STARTTLS, so the password goes in plaintext: "
			  "anyone on the path can read it");
	imap_client_end(c, out, IMAP_CLIENT_LOGIN, note);
}

static void imap_client_send_select(struct imap_client *c, struct wire *out)
{
	imap_client_command(c, out, IMAP_CLIENT_SELECT,
			    N_("SELECT opens a folder: the server answers with how many "
			       "messages it holds and its UIDVALIDITY"),
			    "SELECT INBOX");
}

/* Download the next batch of wanted messages; then, if an EXISTS said
 * more arrived, everything above the highest UID known; then go on. */
static void imap_client_send_download(struct imap_client *c, struct wire *out)
{
	if (c->closing) {
		imap_client_send_logout(c, out);
		return;
	}
	if (c->next_wanted < c->nwanted) {
		imap_client_begin(c);
		buf_adds(&c->cmd, "UID FETCH ");
		size_t set_start = c->cmd.len;
		while (c->next_wanted < c->nwanted &&
		       c->cmd.len - set_start < IMAP_CLIENT_SET_MAX_OCTETS) {
			size_t i = c->next_wanted, j = i;
			while (j + 1 < c->nwanted && c->wanted[j + 1] == c->wanted[j] + 1)
				j++;
			if (c->cmd.len > set_start)
				buf_addc(&c->cmd, ',');
			buf_printf(&c->cmd, "%u", (unsigned)c->wanted[i]);
			if (j > i)
				buf_printf(&c->cmd, ":%u", (unsigned)c->wanted[j]);
			c->next_wanted = j + 1;
		}
		buf_adds(&c->cmd, " (UID FLAGS BODY.PEEK[])");
		imap_client_end(c, out, IMAP_CLIENT_DOWNLOAD,
				N_("PEEK downloads without marking the message \\Seen: "
				   "syncing must not make mail look read"));
	} else if (c->new_mail) {
		c->new_mail = false;
		imap_client_command(c, out, IMAP_CLIENT_DOWNLOAD,
				    N_("new mail: the client fetches every message above "
				       "the highest UID it knows, with PEEK so \\Seen stays unset"),
				    "UID FETCH %u:* (UID FLAGS BODY.PEEK[])",
				    (unsigned)(imap_client_last_uid(c) + 1));
	} else if (c->cfg.task == IMAP_TASK_OPEN) {
		imap_client_command(c, out, IMAP_CLIENT_IDLE,
				    N_("IDLE: the client waits and the server pushes news the "
				       "moment it happens (RFC 2177)"),
				    "IDLE");
	} else {
		imap_client_send_logout(c, out);
	}
}

static void imap_client_send_done(struct imap_client *c, struct wire *out)
{
	wire_line(out, N_("DONE ends IDLE (it has no tag): the server answers with "
		     "IDLE's tagged OK and takes commands again"), "DONE");
	imap_client_enter_state(c, IMAP_CLIENT_IDLE_DONE);
}

static void imap_client_send_mark_deleted(struct imap_client *c, struct wire *out)
{
	imap_client_command(c, out, IMAP_CLIENT_MARK_DELETED,
			    N_("\\Deleted only marks the message; it goes at EXPUNGE "
			       "(.SILENT: no FETCH answer wanted)"),
			    "UID STORE %u +FLAGS.SILENT (\\Deleted)", (unsigned)c->cfg.uid);
}

static void imap_client_send_expunge(struct imap_client *c, struct wire *out)
{
	if (c->cap_uidplus)
		imap_client_command(c, out, IMAP_CLIENT_EXPUNGE,
				    N_("UID EXPUNGE removes only this message, even if others "
				       "are marked \\Deleted too (UIDPLUS, RFC 4315)"),
				    "UID EXPUNGE %u", (unsigned)c->cfg.uid);
	else
		imap_client_command(c, out, IMAP_CLIENT_EXPUNGE,
				    N_("without UIDPLUS the client can only EXPUNGE every "
				       "message marked \\Deleted, not just this one"),
				    "EXPUNGE");
}

/* A flag for STORE: a system flag (\Seen) or a keyword ($Label1), both
 * atoms. */
static bool imap_client_flag_ok(const char *flag)
{
	const char *p = flag[0] == '\\' ? flag + 1 : flag;
	if (*p == '\0')
		return false;
	for (; *p; p++)
		if (!imap_atom_char(*p) || strchr("%*]\\", *p))
			return false;
	return true;
}

static void imap_client_send_store(struct imap_client *c, struct wire *out)
{
	if (!imap_client_flag_ok(c->flag)) {
		imap_client_gives_up(c, out, _("client: the flag cannot be sent in IMAP (it must "
					       "be one word, like \\Seen or $Label1)"));
		return;
	}
	imap_client_command(c, out, IMAP_CLIENT_STORE,
			    N_("UID STORE changes the message's flags on the server; the "
			       "server answers with its new flags, and other devices learn "
			       "of it at once if they are in IDLE, otherwise at their next sync"),
			    "UID STORE %u %cFLAGS (%s)", (unsigned)c->cfg.uid,
			    c->cfg.add ? '+' : '-', c->flag);
}

static void imap_client_send_move(struct imap_client *c, struct wire *out)
{
	imap_client_begin(c);
	bool move = c->cap_move;
	buf_printf(&c->cmd, "UID %s %u ", move ? "MOVE" : "COPY", (unsigned)c->cfg.uid);
	imap_client_add_string(c, c->folder, true);
	if (move)
		imap_client_end(c, out, IMAP_CLIENT_MOVE,
				N_("UID MOVE moves the message in one step: copied to the "
				   "folder, then expunged from this one (RFC 6851)"));
	else
		imap_client_end(c, out, IMAP_CLIENT_COPY,
				N_("this server has no MOVE: the client copies the message, "
				   "then marks the original \\Deleted and expunges it"));
}

static void imap_client_send_create(struct imap_client *c, struct wire *out)
{
	imap_client_begin(c);
	buf_adds(&c->cmd, "CREATE ");
	imap_client_add_string(c, c->folder, true);
	imap_client_end(c, out, IMAP_CLIENT_CREATE,
			N_("CREATE makes a new folder on the server, which every device "
			   "then sees"));
}

static void imap_client_send_append(struct imap_client *c, struct wire *out)
{
	if (memchr(c->msg, '\0', c->cfg.msglen)) {
		imap_client_gives_up(c, out, _("client: the message holds a NUL octet, which IMAP "
					       "cannot carry without BINARY (RFC 3516)"));
		return;
	}
	imap_client_begin(c);
	buf_adds(&c->cmd, "APPEND ");
	imap_client_add_string(c, c->folder, true);
	buf_adds(&c->cmd, " (\\Seen) ");
	imap_client_add_literal(c, c->msg, c->cfg.msglen);
	imap_client_end(c, out, IMAP_CLIENT_APPEND,
			N_("APPEND uploads a message: this is how the client saves its "
			   "copy of a sent message in the Sent folder on the server"));
}

/* The last command succeeded (or, at the greeting, the server is ready):
 * what comes next for this task. */
static void imap_client_next(struct imap_client *c, struct wire *out)
{
	if (c->closing && c->state != IMAP_CLIENT_GREETING && c->state != IMAP_CLIENT_LOGOUT &&
	    c->state != IMAP_CLIENT_STARTTLS) {
		imap_client_send_logout(c, out);
		return;
	}
	switch (c->state) {
	case IMAP_CLIENT_GREETING:
		if (c->cfg.starttls && c->cap_starttls)
			imap_client_command(c, out, IMAP_CLIENT_STARTTLS,
					    N_("STARTTLS: the server listed it, so the client asks "
					       "for encryption before it logs in (RFC 3501 6.2.1)"),
					    "STARTTLS");
		else
			imap_client_send_login(c, out);
		break;
	case IMAP_CLIENT_STARTTLS:
		imap_client_enter_state(c, IMAP_CLIENT_TLS); /* the host's turn */
		break;
	case IMAP_CLIENT_TLS:
		break; /* imap_client_tls_started() goes on */
	case IMAP_CLIENT_CAPABILITY:
		imap_client_send_login(c, out);
		break;
	case IMAP_CLIENT_LOGIN:
		switch (c->cfg.task) {
		case IMAP_TASK_SYNC:
			imap_client_command(c, out, IMAP_CLIENT_LIST,
					    N_("LIST \"\" \"*\" asks for every folder; attributes "
					       "like \\Sent say which folder plays which role "
					       "(SPECIAL-USE, RFC 6154)"),
					    "LIST \"\" \"*\"");
			break;
		case IMAP_TASK_CREATE:
			imap_client_send_create(c, out);
			break;
		case IMAP_TASK_APPEND:
			imap_client_send_append(c, out);
			break;
		default:
			imap_client_send_select(c, out);
			break;
		}
		break;
	case IMAP_CLIENT_LIST:
		imap_client_send_select(c, out);
		break;
	case IMAP_CLIENT_SELECT:
		switch (c->cfg.task) {
		case IMAP_TASK_STORE:
			imap_client_send_store(c, out);
			break;
		case IMAP_TASK_MOVE:
			imap_client_send_move(c, out);
			break;
		case IMAP_TASK_DELETE:
			imap_client_send_mark_deleted(c, out);
			break;
		default:
			imap_client_command(c, out, IMAP_CLIENT_RESYNC,
					    N_("the client compares the server's flags with its "
					       "own copy: this is how every device stays in step"),
					    "UID FETCH 1:* (UID FLAGS)");
			break;
		}
		break;
	case IMAP_CLIENT_RESYNC:
	case IMAP_CLIENT_DOWNLOAD:
	case IMAP_CLIENT_IDLE:
	case IMAP_CLIENT_IDLING:
	case IMAP_CLIENT_IDLE_DONE:
		imap_client_send_download(c, out);
		break;
	case IMAP_CLIENT_COPY:
		imap_client_send_mark_deleted(c, out);
		break;
	case IMAP_CLIENT_MARK_DELETED:
		imap_client_send_expunge(c, out);
		break;
	case IMAP_CLIENT_STORE:
	case IMAP_CLIENT_CREATE:
	case IMAP_CLIENT_MOVE:
	case IMAP_CLIENT_EXPUNGE:
	case IMAP_CLIENT_APPEND:
		imap_client_send_logout(c, out);
		break;
	case IMAP_CLIENT_LOGOUT:
		imap_client_enter_state(c, IMAP_CLIENT_DONE);
		break;
	case IMAP_CLIENT_DONE:
		break;
	}
}

/* ---------------------------------------------------------------- answers */

/* "[CAPABILITY IMAP4rev1 MOVE ...]" or "* CAPABILITY ...": a new list
 * replaces the old one (it may change after LOGIN). */
static void imap_client_on_capability(struct imap_client *c, struct imap_scan *s)
{
	c->cap_move = c->cap_literal_plus = c->cap_uidplus = c->cap_logindisabled = false;
	c->cap_starttls = false;
	const char *w;
	size_t n;
	for (;;) {
		imap_scan_spaces(s);
		if (!imap_scan_atom(s, false, &w, &n))
			break;
		if (imap_word_is(w, n, "MOVE"))
			c->cap_move = true;
		else if (imap_word_is(w, n, "LITERAL+"))
			c->cap_literal_plus = true;
		else if (imap_word_is(w, n, "UIDPLUS"))
			c->cap_uidplus = true;
		else if (imap_word_is(w, n, "LOGINDISABLED"))
			c->cap_logindisabled = true;
		else if (imap_word_is(w, n, "STARTTLS"))
			c->cap_starttls = true;
	}
}

/* A response code "[NAME args]" at the start of the text after OK/NO. */
static void imap_client_on_code(struct imap_client *c, struct imap_scan *text)
{
	imap_scan_spaces(text);
	if (!imap_scan_at(text, '['))
		return;
	const char *close = memchr(text->p + text->pos, ']', text->len - text->pos);
	if (!close)
		return;
	struct imap_scan s = {.p = text->p + text->pos + 1,
			      .len = (size_t)(close - text->p) - text->pos - 1};
	const char *w;
	size_t n;
	uint32_t v;
	if (!imap_scan_atom(&s, false, &w, &n))
		return;
	imap_scan_spaces(&s);
	if (imap_word_is(w, n, "CAPABILITY")) {
		imap_client_on_capability(c, &s);
	} else if (imap_word_is(w, n, "UIDVALIDITY")) {
		if (imap_scan_number(&s, &v))
			c->uidvalidity = v;
	} else if (imap_word_is(w, n, "APPENDUID")) {
		if (imap_scan_number(&s, &v) && imap_scan_at(&s, ' ')) {
			s.pos++;
			if (imap_scan_number(&s, &v))
				c->append_uid = v;
		}
	}
}

/* "* LIST (\HasNoChildren \Sent) "/" Sent" */
static void imap_client_on_list(struct imap_client *c, struct imap_scan *s)
{
	const char *special = "", *w, *name;
	size_t n, namelen;
	if (!imap_scan_list_open(s))
		goto bad;
	while (!imap_scan_list_close(s)) {
		if (!imap_scan_atom(s, false, &w, &n))
			goto bad;
		for (size_t i = 0; i < sizeof imap_special_uses / sizeof *imap_special_uses; i++)
			if (imap_word_is(w, n, imap_special_uses[i]) && special[0] == '\0')
				special = imap_special_uses[i];
	}
	imap_scan_spaces(s);
	if (!imap_scan_string(s, &c->scratch, false, &w, &n)) /* the delimiter */
		goto bad;
	imap_scan_spaces(s);
	if (!imap_scan_string(s, &c->scratch, true, &name, &namelen) || !name)
		goto bad;
	imap_scan_spaces(s);
	if (!imap_scan_end(s))
		goto bad;
	if (memchr(name, '\0', namelen))
		return; /* cannot be a C string: not reported */
	struct buf copy;
	buf_init(&copy);
	buf_add(&copy, name, namelen);
	if (c->ev && c->ev->folder)
		c->ev->folder(c->ctx, copy.p, special);
	buf_free(&copy);
	return;
bad:
	imap_client_protocol_error(c, N_("a LIST response of the wrong shape"));
}

/* "* n EXISTS": the folder holds n messages now. */
static void imap_client_on_exists(struct imap_client *c, uint32_t n, struct wire *out)
{
	if (n > IMAP_CLIENT_MESSAGES_MAX) {
		imap_client_protocol_error(c, N_("a folder larger than this client can follow"));
		return;
	}
	if (n <= c->nview)
		return; /* only EXPUNGE makes a folder smaller */
	if (n > c->capview) {
		c->capview = n < 16 ? 16 : n + n / 2;
		c->view = xrealloc(c->view, c->capview * sizeof *c->view);
	}
	memset(&c->view[c->nview], 0, (n - c->nview) * sizeof *c->view);
	c->nview = n;
	if (c->state == IMAP_CLIENT_SELECT || !imap_client_resyncs(c))
		return;
	c->new_mail = true;
	if (c->state == IMAP_CLIENT_IDLING)
		imap_client_send_done(c, out);
}

/* "* n EXPUNGE": message n is gone, and every later one moves down. */
static void imap_client_on_expunge(struct imap_client *c, uint32_t n)
{
	if (n == 0 || n > c->nview) {
		imap_client_protocol_error(c, N_("EXPUNGE of a message that does not exist"));
		return;
	}
	uint32_t uid = c->view[n - 1];
	memmove(&c->view[n - 1], &c->view[n], (c->nview - n) * sizeof *c->view);
	c->nview--;
	/* a message the device never had (it was waiting to be downloaded)
	 * needs no news */
	if (uid != 0 && (imap_client_have_find(c, uid) || !imap_client_resyncs(c)))
		imap_client_report_expunged(c, uid);
}

static void imap_client_want(struct imap_client *c, uint32_t uid)
{
	if (c->nwanted == c->capwanted) {
		c->capwanted = c->capwanted ? 2 * c->capwanted : 16;
		c->wanted = xrealloc(c->wanted, c->capwanted * sizeof *c->wanted);
	}
	c->wanted[c->nwanted++] = uid;
}

/* "* n FETCH (...)": news about message n, or the data asked for. */
static void imap_client_on_fetch(struct imap_client *c, uint32_t n, struct imap_scan *s)
{
	struct imap_fetch f;
	if (n == 0 || n > c->nview) {
		imap_client_protocol_error(c, N_("FETCH of a message that does not exist"));
		return;
	}
	if (!imap_scan_fetch(s, &c->scratch, &f)) {
		imap_client_protocol_error(c, N_("a FETCH response of the wrong shape"));
		return;
	}
	if (f.has_uid)
		c->view[n - 1] = f.uid;
	uint32_t uid = c->view[n - 1];
	if (uid != 0 && uid == c->cfg.uid)
		c->target_seen = true;
	if (uid == 0)
		return; /* which message this is, the client cannot tell */
	struct imap_client_have *h = imap_client_have_find(c, uid);
	if (h && c->state == IMAP_CLIENT_RESYNC)
		h->present = true;
	if (f.has_body) {
		if (h)
			return; /* the device has it already */
		imap_client_have_add(c, uid, f.flags);
		if (c->ev && c->ev->message)
			c->ev->message(c->ctx, uid, f.flags, f.body, f.bodylen);
	} else if (!f.has_flags) {
		return;
	} else if (h) {
		if (h->flags != f.flags) {
			h->flags = f.flags;
			imap_client_report_flags(c, uid, f.flags);
		}
	} else if (c->state == IMAP_CLIENT_RESYNC) {
		imap_client_want(c, uid); /* new to the device: download it */
	} else if (!imap_client_resyncs(c)) {
		imap_client_report_flags(c, uid, f.flags);
	}
	/* otherwise a message not downloaded yet: it comes with its flags */
}

/* "* ..." */
static void imap_client_on_untagged(struct imap_client *c, struct imap_scan *s,
				    struct wire *out)
{
	const char *w;
	size_t n;
	uint32_t num;

	if (imap_scan_number(s, &num)) {
		if (!imap_scan_at(s, ' ') || c->state == IMAP_CLIENT_GREETING) {
			imap_client_protocol_error(c, N_("an untagged response of the wrong "
							 "shape"));
			return;
		}
		imap_scan_spaces(s);
		if (!imap_scan_atom(s, false, &w, &n))
			w = "", n = 0;
		imap_scan_spaces(s);
		if (imap_word_is(w, n, "EXISTS"))
			imap_client_on_exists(c, num, out);
		else if (imap_word_is(w, n, "EXPUNGE"))
			imap_client_on_expunge(c, num);
		else if (imap_word_is(w, n, "FETCH"))
			imap_client_on_fetch(c, num, s);
		/* RECENT, and anything newer: nothing to do */
		return;
	}
	if (!imap_scan_atom(s, false, &w, &n)) {
		imap_client_protocol_error(c, N_("an untagged response of the wrong shape"));
		return;
	}
	imap_scan_spaces(s);
	if (imap_word_is(w, n, "BYE")) {
		if (c->state != IMAP_CLIENT_LOGOUT)
			imap_client_fail(c, c->resp.p, imap_client_quote_len(c));
		imap_client_enter_state(c, IMAP_CLIENT_DONE); /* the server hangs up */
		return;
	}
	bool ok = imap_word_is(w, n, "OK"), preauth = imap_word_is(w, n, "PREAUTH");
	if (c->state == IMAP_CLIENT_GREETING) {
		if (!ok && !preauth) {
			imap_client_protocol_error(c, N_("the server's greeting is not \"* OK\""));
			return;
		}
		imap_client_on_code(c, s);
		if (preauth) /* logged in already, by some other means */
			imap_client_enter_state(c, IMAP_CLIENT_LOGIN);
		imap_client_next(c, out);
		return;
	}
	if (ok || imap_word_is(w, n, "NO") || imap_word_is(w, n, "BAD"))
		imap_client_on_code(c, s);
	else if (imap_word_is(w, n, "CAPABILITY"))
		imap_client_on_capability(c, s);
	else if (imap_word_is(w, n, "LIST") && c->state == IMAP_CLIENT_LIST)
		imap_client_on_list(c, s);
	/* FLAGS, SEARCH, STATUS, ENABLED...: not asked for, ignored */
}

/* "+ ...": the server waits for the rest of a command (a literal), or has
 * entered IDLE. */
static void imap_client_on_continue(struct imap_client *c, struct wire *out)
{
	if (c->cmd_sent < c->cmd.len && c->state != IMAP_CLIENT_IDLE) {
		imap_client_send_part(c, out, c->state == IMAP_CLIENT_APPEND
				      ? N_("the message itself, exactly as many octets as "
					   "announced in {n}")
				      : NULL);
	} else if (c->state == IMAP_CLIENT_IDLE) {
		imap_client_enter_state(c, IMAP_CLIENT_IDLING);
		if (c->new_mail || c->closing)
			imap_client_send_done(c, out);
	} else {
		imap_client_protocol_error(c, N_("a \"+\" where the client had nothing more "
						 "to send"));
	}
}

/* "a0004 OK ..." for the command in progress. */
static void imap_client_on_tagged(struct imap_client *c, struct imap_scan *s, struct wire *out)
{
	const char *w;
	size_t n;
	if (!imap_scan_atom(s, false, &w, &n) ||
	    !(imap_word_is(w, n, "OK") || imap_word_is(w, n, "NO") || imap_word_is(w, n, "BAD"))) {
		imap_client_protocol_error(c, N_("a tagged response that is not OK, NO or BAD"));
		return;
	}
	imap_client_on_code(c, s);
	c->tag[0] = '\0';
	c->cmd_sent = c->cmd.len; /* a NO to a literal's "{n}" ends the command */
	size_t quote = imap_client_quote_len(c);
	if (!imap_word_is(w, n, "OK") && c->state == IMAP_CLIENT_STARTTLS) {
		imap_client_send_login(c, out); /* TLS refused: plaintext, as before */
		return;
	}
	if (!imap_word_is(w, n, "OK")) {
		if (c->state == IMAP_CLIENT_LOGOUT) {
			imap_client_fail(c, c->resp.p, quote);
			imap_client_enter_state(c, IMAP_CLIENT_DONE);
		} else {
			imap_client_give_up(c, out, c->resp.p, quote);
		}
		return;
	}

	switch (c->state) {
	case IMAP_CLIENT_SELECT:
		if (c->uidvalidity == 0) {
			imap_client_gives_up(c, out, _("client: SELECT gave no UIDVALIDITY, so the "
						       "UIDs cannot be trusted"));
			return;
		}
		if (c->uidvalidity == c->cfg.uidvalidity)
			break;
		if (imap_client_resyncs(c)) {
			imap_client_forget_all(c); /* a new view, or the device's first */
		} else if (c->cfg.uidvalidity != 0) {
			imap_client_forget_all(c);
			imap_client_gives_up(c, out, _("client: the INBOX's UIDVALIDITY changed, "
						       "so the message's UID may name another "
						       "message now"));
			return;
		}
		break;
	case IMAP_CLIENT_RESYNC:
		/* what the device has and the server no longer names is gone */
		for (size_t i = c->nhave; i-- > 0;)
			if (!c->have[i].present)
				imap_client_report_expunged(c, c->have[i].uid);
		if (c->nwanted > 1)
			qsort(c->wanted, c->nwanted, sizeof *c->wanted, imap_client_cmp_uid);
		break;
	case IMAP_CLIENT_MOVE:
	case IMAP_CLIENT_EXPUNGE:
		/* the EXPUNGE response names a sequence number whose UID this
		 * client may not have learned; the OK says the message is gone */
		if (!c->target_gone)
			imap_client_report_expunged(c, c->cfg.uid);
		break;
	case IMAP_CLIENT_STORE:
		/* RFC 3501 6.4.8: a UID STORE of a UID that no longer exists
		 * succeeds and says nothing.  No FETCH answer for it, then: the
		 * message is gone from the server (another device expunged it) */
		if (!c->target_seen && !c->target_gone)
			imap_client_report_expunged(c, c->cfg.uid);
		break;
	default:
		break;
	}
	imap_client_next(c, out);
}

/* One complete response, its literals inline, the final CRLF removed. */
static void imap_client_on_response(struct imap_client *c, struct wire *out)
{
	struct imap_scan s = {.p = c->resp.p, .len = c->resp.len};
	size_t taglen = strlen(c->tag);

	if (s.len >= 1 && s.p[0] == '+' && (s.len == 1 || s.p[1] == ' ') &&
	    c->state != IMAP_CLIENT_GREETING) {
		imap_client_on_continue(c, out);
	} else if (s.len >= 2 && s.p[0] == '*' && s.p[1] == ' ') {
		s.pos = 2;
		imap_client_on_untagged(c, &s, out);
	} else if (taglen > 0 && s.len > taglen && memcmp(s.p, c->tag, taglen) == 0 &&
		   s.p[taglen] == ' ') {
		s.pos = taglen + 1;
		imap_client_on_tagged(c, &s, out);
	} else {
		imap_client_protocol_error(c, N_("the server sent a line that is no IMAP response "
					      "(\"* ...\", \"+ ...\" or the command's tag)"));
	}
}

/* Does the line ending at `end` (from `start`) end with a literal's "{n}"?
 * The client and the raw sessions both ask. */
static bool imap_line_literal(const char *p, size_t start, size_t end, uint64_t *n)
{
	if (end - start < 3 || p[end - 1] != '}')
		return false;
	size_t i = end - 1;
	uint64_t v = 0, scale = 1;
	while (i > start && p[i - 1] >= '0' && p[i - 1] <= '9') {
		if (end - i > 10)
			return false;
		v += scale * (uint64_t)(p[i - 1] - '0');
		scale *= 10;
		i--;
	}
	if (i == end - 1 || i == start || p[i - 1] != '{')
		return false;
	*n = v;
	return true;
}

/* ------------------------------------------------------------ public API */

static char *imap_client_copy(const char *s)
{
	return xstrdup(s ? s : "");
}

struct imap_client *imap_client_new(const struct imap_client_config *cfg,
				    const struct imap_client_events *ev, void *ctx)
{
	struct imap_client *c = xcalloc(1, sizeof *c);
	static const struct imap_client_config none = {.task = IMAP_TASK_SYNC};
	c->cfg = cfg ? *cfg : none;
	c->state = IMAP_CLIENT_GREETING;
	c->user = imap_client_copy(c->cfg.user);
	c->password = imap_client_copy(c->cfg.password);
	c->flag = imap_client_copy(c->cfg.flag);
	c->folder = imap_client_copy(c->cfg.folder);
	c->msg = xmalloc(c->cfg.msglen + 1);
	if (c->cfg.msg && c->cfg.msglen)
		memcpy(c->msg, c->cfg.msg, c->cfg.msglen);
	else
		c->cfg.msglen = 0;
	c->msg[c->cfg.msglen] = '\0';
	c->cfg.user = c->cfg.password = c->cfg.flag = c->cfg.folder = NULL;
	c->cfg.msg = NULL;
	if (c->cfg.known && c->cfg.nknown > 0) {
		c->have = xcalloc(c->cfg.nknown, sizeof *c->have);
		for (size_t i = 0; i < c->cfg.nknown; i++) {
			c->have[i].uid = c->cfg.known[i].uid;
			c->have[i].flags = c->cfg.known[i].flags & ~(uint32_t)IMAP_FLAG_RECENT;
		}
		c->nhave = c->caphave = c->cfg.nknown;
		qsort(c->have, c->nhave, sizeof *c->have, imap_client_cmp_have);
	}
	c->cfg.known = NULL;
	c->cfg.nknown = 0;
	c->ev = ev;
	c->ctx = ctx;
	buf_init(&c->cmd);
	buf_init(&c->resp);
	buf_init(&c->scratch);
	return c;
}

void imap_client_free(struct imap_client *c)
{
	if (!c)
		return;
	free(c->user);
	free(c->password);
	free(c->flag);
	free(c->folder);
	free(c->msg);
	free(c->have);
	free(c->view);
	free(c->wanted);
	buf_free(&c->cmd);
	buf_free(&c->resp);
	buf_free(&c->scratch);
	free(c->error);
	free(c);
}

/* After the OK to STARTTLS nothing more is read in plaintext: bytes that
 * came with it were put there by someone on the path (CVE-2011-0411), and
 * are thrown away. */
void imap_client_feed(struct imap_client *c, const char *in, size_t len, struct wire *out)
{
	size_t i = 0;
	while (i < len && c->state != IMAP_CLIENT_DONE && c->state != IMAP_CLIENT_TLS) {
		if (c->literal_left > 0) {
			size_t take = len - i < c->literal_left ? len - i : (size_t)c->literal_left;
			buf_add(&c->resp, in + i, take);
			i += take;
			c->literal_left -= take;
			c->line_start = c->resp.len;
			continue;
		}
		const char *lf = memchr(in + i, '\n', len - i);
		size_t take = lf ? (size_t)(lf - (in + i)) : len - i;
		if (c->resp.len - c->line_start + take > IMAP_CLIENT_LINE_MAX_OCTETS) {
			imap_client_protocol_error(c, N_("a line longer than this client accepts"));
			return;
		}
		buf_add(&c->resp, in + i, take);
		i += take;
		if (!lf)
			break;
		i++; /* the LF; a CR before it (in this line) goes too */
		if (c->resp.len > c->line_start && c->resp.p[c->resp.len - 1] == '\r')
			c->resp.p[--c->resp.len] = '\0';
		uint64_t n;
		if (imap_line_literal(c->resp.p, c->line_start, c->resp.len, &n)) {
			if (n > IMAP_CLIENT_LITERAL_MAX_OCTETS ||
			    c->resp.len + n > IMAP_CLIENT_RESPONSE_MAX_OCTETS) {
				imap_client_protocol_error(c, N_("a literal larger than this "
								 "client accepts"));
				return;
			}
			c->literal_left = n;
			c->line_start = c->resp.len;
			continue;
		}
		imap_client_on_response(c, out);
		buf_clear(&c->resp);
		c->line_start = 0;
	}
}

void imap_client_close(struct imap_client *c, struct wire *out)
{
	switch (c->state) {
	case IMAP_CLIENT_GREETING:
		imap_client_enter_state(c, IMAP_CLIENT_DONE); /* nothing to log out of */
		break;
	case IMAP_CLIENT_IDLING:
		c->closing = true;
		imap_client_send_done(c, out);
		break;
	case IMAP_CLIENT_LOGOUT:
	case IMAP_CLIENT_DONE:
		break;
	default:
		c->closing = true; /* LOGOUT once the command in progress ends */
		break;
	}
}

/* The connection broke, or could not be made. */
void imap_client_abort(struct imap_client *c, const char *why)
{
	if (c->state == IMAP_CLIENT_DONE)
		return;
	imap_client_fails(c, why ? why : _("connection lost"));
	imap_client_enter_state(c, IMAP_CLIENT_DONE);
}

bool imap_client_done(const struct imap_client *c)
{
	return c->state == IMAP_CLIENT_DONE;
}

void imap_client_refresh(struct imap_client *c, struct wire *out)
{
	/* RFC 2177 3: a client in IDLE ends it and starts it again at least
	 * every 29 minutes, before the server's 30-minute autologout */
	if (c->state == IMAP_CLIENT_IDLING)
		imap_client_send_done(c, out);
}

bool imap_client_idling(const struct imap_client *c)
{
	return c->state == IMAP_CLIENT_IDLING;
}

const char *imap_client_error(const struct imap_client *c)
{
	return c->error;
}

const char *imap_client_state_name(const struct imap_client *c)
{
	return imap_client_state_names[c->state];
}

uint32_t imap_client_append_uid(const struct imap_client *c)
{
	return c->append_uid;
}

bool imap_client_tls_pending(const struct imap_client *c)
{
	return c->state == IMAP_CLIENT_TLS;
}

/* The handshake is done: what the server listed before it is forgotten and
 * asked again (RFC 3501 6.2.1). */
void imap_client_tls_started(struct imap_client *c, struct wire *out)
{
	if (c->state != IMAP_CLIENT_TLS)
		return;
	c->tls_active = true;
	c->cap_move = c->cap_literal_plus = c->cap_uidplus = c->cap_logindisabled = false;
	c->cap_starttls = false;
	buf_clear(&c->resp);
	c->line_start = 0;
	c->literal_left = 0;
	imap_client_command(c, out, IMAP_CLIENT_CAPABILITY,
			    N_("CAPABILITY again, now inside TLS: what the server listed before "
			       "the handshake may have been forged on the way (RFC 3501 6.2.1)"),
			    "CAPABILITY");
}

/* ----------------------------------------------------------- raw sessions */

/* Walk the server's responses one by one (a line, plus a literal and
 * another line for every "{n}" it ends with) until one ends the wait: the
 * first response of all before the greeting; otherwise "+ ..." or a line
 * with the command's tag.  "DONE" (which ends IDLE) has no tag of its own:
 * any tagged line ends its wait. */
size_t imap_response_complete(const char *tag, const char *in, size_t len)
{
	size_t taglen = tag ? strcspn(tag, " \t\r\n") : 0;
	bool any_tag = tag && taglen == 4 && strncasecmp(tag, "DONE", 4) == 0;
	size_t start = 0;
	while (start < len) {
		size_t pos = start, line = start;
		for (;;) { /* to the end of this response */
			const char *lf = memchr(in + pos, '\n', len - pos);
			if (!lf)
				return 0;
			size_t end = (size_t)(lf - in);
			size_t text_end = end > line && in[end - 1] == '\r' ? end - 1 : end;
			uint64_t n;
			pos = end + 1;
			if (!imap_line_literal(in, line, text_end, &n))
				break;
			if (n > len - pos)
				return 0;
			pos += (size_t)n;
			line = pos;
		}
		const char *r = in + start;
		size_t rlen = pos - start;
		if (!tag || taglen == 0)
			return pos;
		if (r[0] == '+')
			return pos;
		if (any_tag ? r[0] != '*'
			    : rlen > taglen && memcmp(r, tag, taglen) == 0 && r[taglen] == ' ')
			return pos;
		start = pos;
	}
	return 0;
}
