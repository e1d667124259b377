/*
 * imap_server.c - the IMAP server engine (IMAP4rev1, RFC 3501, with
 * LITERAL+ 7888, UIDPLUS 4315, MOVE 6851, IDLE 2177, NAMESPACE 2342,
 * UNSELECT 3691, ENABLE 5161, SPECIAL-USE 6154 and the response codes of
 * RFC 5530), sans-I/O.
 *
 * An IMAP session moves through four states (RFC 3501 3):
 *
 *   NOT_AUTHENTICATED --LOGIN/AUTHENTICATE--> AUTHENTICATED --SELECT--> SELECTED
 *         |                                      ^    |                   |
 *         |                                      |    +-- CLOSE/UNSELECT -+
 *         +----------------- LOGOUT (from any) --+------------------> LOGOUT
 *
 * plus two waits where the client's next line is not a command: the
 * credentials after AUTHENTICATE's "+ ", and "DONE" after IDLE's "+ idling".
 *
 * Unlike POP3, the mail stays on the server, and several sessions may look
 * at one folder at once.  So the engine keeps its own view of the selected
 * folder - the UIDs and flags it has told its client about, in UID order;
 * sequence number n is view[n - 1].  Before each tagged response (and at
 * once while the client idles) it asks the host whether the folder changed
 * (ops->version), and if so compares a fresh snapshot with the view and
 * tells the client the difference: EXPUNGE, EXISTS, FETCH (FLAGS), and
 * FLAGS when a new keyword is in use.  A command that names messages
 * catches up the same way before it maps its set to the view
 * (imap_server_catch_up), so a UID never lands on a neighbour's position.
 *
 * A reading guide, in file order:
 *   1. the states, and imap_server_enter_state(), the one door that changes them
 *   2. the session
 *   3. small helpers: tagged responses, mailbox names, flags, message sets
 *   4. keeping the view in step with the store (imap_server_resync)
 *   5. the commands, each a check ("may it run now?") and a proceed ("do
 *      it"), gathered in the command table imap_server_commands[]
 *   6. feeding bytes: the framer cuts commands (literals included), the
 *      parser makes them arguments, the table runs them
 *
 * Every command is answered by one tagged line: OK (done), NO (understood
 * but it failed) or BAD (not understood, or not allowed now).  Response
 * codes in brackets ([TRYCREATE], [UIDVALIDITY 7]) are for client programs;
 * the text after them is for people.
 */
#include "imap.h"
#include "imap_msg.h"
#include "imap_parse.h"
#include "mime.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IMAP_SERVER_CAPABILITIES                                                     \
	"IMAP4rev1 LITERAL+ SASL-IR ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT "    \
	"SPECIAL-USE AUTH=PLAIN"
/* A mailbox name, in octets (struct imap_folder holds 255 and a NUL). */
#define IMAP_SERVER_MAILBOX_MAX_OCTETS 255
/* Wildcards (* and %) in one LIST pattern: matching backtracks, so keep it cheap. */
#define IMAP_SERVER_PATTERN_WILDCARDS_MAX 16
/* How deeply SEARCH keys may nest (NOT NOT ..., OR (OR ...)). */
#define IMAP_SERVER_SEARCH_DEPTH_MAX 64
/* Distinct keywords that SELECT's FLAGS response names. */
#define IMAP_SERVER_FLAGS_KEYWORDS_MAX 64
/* Seconds in a day: SEARCH compares dates, not times (RFC 3501 6.4.4). */
#define IMAP_SERVER_DAY_SECONDS 86400

/* ------------------------------------------------------------ 1. states */

enum imap_server_state {
	IMAP_SERVER_STATE_NOT_AUTHENTICATED, /* greeted; waiting for LOGIN or AUTHENTICATE */
	IMAP_SERVER_STATE_AUTHENTICATE,      /* AUTHENTICATE PLAIN said "+ ": credentials next */
	IMAP_SERVER_STATE_AUTHENTICATED,     /* logged in, no folder selected */
	IMAP_SERVER_STATE_SELECTED,          /* a folder is selected: its messages are numbered */
	IMAP_SERVER_STATE_IDLE,              /* IDLE: news is pushed until the client says DONE */
	IMAP_SERVER_STATE_LOGOUT,            /* said BYE: the host closes the connection */
};

static const char *const imap_server_state_names[] = {
	[IMAP_SERVER_STATE_NOT_AUTHENTICATED] = "NOT_AUTHENTICATED",
	[IMAP_SERVER_STATE_AUTHENTICATE] = "AUTHENTICATE",
	[IMAP_SERVER_STATE_AUTHENTICATED] = "AUTHENTICATED",
	[IMAP_SERVER_STATE_SELECTED] = "SELECTED",
	[IMAP_SERVER_STATE_IDLE] = "IDLE",
	[IMAP_SERVER_STATE_LOGOUT] = "LOGOUT",
};

/* ------------------------------------------------------------ 2. session */

struct imap_server {
	char *hostname;                 /* names itself in the greeting and at LOGOUT */
	struct imap_server_ops ops;     /* the host's store (any op may be NULL) */
	void *ctx;                      /* handed back to every op */

	enum imap_server_state state;   /* changed only by imap_server_enter_state() */
	enum imap_server_state idle_return; /* where DONE leads back: AUTHENTICATED or SELECTED */
	char *user;                     /* who logged in, or NULL */
	struct imap_framer framer;      /* cuts the byte stream into commands */
	char tag[IMAP_TAG_MAX_CHARS + 1]; /* the command being answered (or waiting) */
	bool expunge_ok;                /* EXPUNGE responses may go out now (RFC 3501 7.4.1) */

	/* The selected folder: non-NULL folder exactly in SELECTED (and in an
	 * IDLE begun there). */
	char *folder;                   /* its name, as the host knows it */
	bool read_only;                 /* EXAMINE, not SELECT */
	struct imap_folder info;        /* UIDVALIDITY, UIDNEXT... as last reported */
	struct imap_msg *view;          /* the messages the client knows, UID order */
	size_t nview, capview;
	uint64_t version;               /* ops->version when the view was last compared */
	uint32_t *gone;                 /* UIDs, ascending, of view messages the store no
					 * longer has (deferred EXPUNGEs); ngone > 0: the
					 * view is stale, compare again next time */
	size_t ngone, capgone;
	size_t nrecent;                 /* the last RECENT count the client was told */
	struct buf keywords;            /* the keywords FLAGS has named, space-separated */
	size_t nkeywords;               /* how many (at most IMAP_SERVER_FLAGS_KEYWORDS_MAX) */
	struct buf content;             /* scratch: one message's content */
};

static void imap_server_drop_view(struct imap_server *s)
{
	free(s->folder);
	s->folder = NULL;
	free(s->view);
	s->view = NULL;
	s->nview = s->capview = 0;
	s->read_only = false;
	free(s->gone);
	s->gone = NULL;
	s->ngone = s->capgone = 0;
	s->nrecent = 0;
	buf_clear(&s->keywords);
	s->nkeywords = 0;
	memset(&s->info, 0, sizeof s->info);
}

/*
 * The one door through which the state changes.  It keeps one invariant:
 * a folder is selected (s->folder and its view exist) only in SELECTED, or
 * in an IDLE begun from SELECTED.  Entering any other state - CLOSE,
 * UNSELECT, a failed SELECT, LOGOUT - lets the view go.
 */
static void imap_server_enter_state(struct imap_server *s, enum imap_server_state next)
{
	if (next != IMAP_SERVER_STATE_SELECTED && next != IMAP_SERVER_STATE_IDLE)
		imap_server_drop_view(s);
	s->state = next;
}

struct imap_server *imap_server_new(const struct imap_server_config *cfg,
				    const struct imap_server_ops *ops, void *ctx)
{
	struct imap_server *s = xcalloc(1, sizeof *s);
	s->hostname = xstrdup(cfg && cfg->hostname ? cfg->hostname : "localhost");
	if (ops)
		s->ops = *ops;
	s->ctx = ctx;
	imap_framer_init(&s->framer);
	buf_init(&s->content);
	buf_init(&s->keywords);
	s->state = IMAP_SERVER_STATE_NOT_AUTHENTICATED; /* the first state, not a change */
	return s;
}

void imap_server_free(struct imap_server *s)
{
	if (!s)
		return;
	imap_server_drop_view(s);
	imap_framer_free(&s->framer);
	buf_free(&s->content);
	buf_free(&s->keywords);
	free(s->user);
	free(s->hostname);
	free(s);
}

void imap_server_start(struct imap_server *s, struct wire *out)
{
	wire_line(out, "IMAP (RFC 3501): the server is ready and lists what it can do; the "
		  "client logs in next",
		  "* OK [CAPABILITY " IMAP_SERVER_CAPABILITIES "] %s IMAP4rev1 server ready",
		  s->hostname);
}

bool imap_server_closed(const struct imap_server *s)
{
	return s->state == IMAP_SERVER_STATE_LOGOUT;
}

const char *imap_server_state_name(const struct imap_server *s)
{
	return imap_server_state_names[s->state];
}

const char *imap_server_selected(const struct imap_server *s)
{
	return s->folder;
}

const char *imap_server_user(const struct imap_server *s)
{
	return s->user;
}

bool imap_server_read_only(const struct imap_server *s)
{
	return s->read_only;
}

/* ------------------------------------------------------------ 3. helpers */

static void imap_server_resync(struct imap_server *s, struct wire *out, bool pushed,
			       bool may_expunge);

/* One response line that was built in a buf (it may hold literals). */
static void imap_server_send(struct wire *out, const char *note, const struct buf *b)
{
	if (note)
		wire_note_here(out, note);
	wire_raw(out, b->p, b->len);
	wire_raw(out, "\r\n", 2);
}

/*
 * The tagged response that ends a command: "TAG OK ...", "TAG NO ...",
 * "TAG BAD ...".  Whatever changed in the selected folder is told first,
 * so the client's view is up to date when its command completes.
 */
static void imap_server_vtagged(struct imap_server *s, struct wire *out, const char *status,
				const char *note, const char *fmt, va_list ap) PRINTF_LIKE(5, 0);
static void imap_server_vtagged(struct imap_server *s, struct wire *out, const char *status,
				const char *note, const char *fmt, va_list ap)
{
	imap_server_resync(s, out, false, s->expunge_ok);
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s %s ", s->tag[0] ? s->tag : "*", status);
	buf_vprintf(&b, fmt, ap);
	wire_line(out, note, "%s", b.p);
	buf_free(&b);
}

static void imap_server_ok(struct imap_server *s, struct wire *out, const char *note,
			   const char *fmt, ...) PRINTF_LIKE(4, 5);
static void imap_server_ok(struct imap_server *s, struct wire *out, const char *note,
			   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	imap_server_vtagged(s, out, "OK", note, fmt, ap);
	va_end(ap);
}

static void imap_server_no(struct imap_server *s, struct wire *out, const char *note,
			   const char *fmt, ...) PRINTF_LIKE(4, 5);
static void imap_server_no(struct imap_server *s, struct wire *out, const char *note,
			   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	imap_server_vtagged(s, out, "NO", note, fmt, ap);
	va_end(ap);
}

static void imap_server_bad(struct imap_server *s, struct wire *out, const char *note,
			    const char *fmt, ...) PRINTF_LIKE(4, 5);
static void imap_server_bad(struct imap_server *s, struct wire *out, const char *note,
			    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	imap_server_vtagged(s, out, "BAD", note, fmt, ap);
	va_end(ap);
}

/* The note of a BAD for arguments of the wrong shape. */
static const char *const imap_server_note_syntax =
	"BAD: the server could not read the command's arguments; the text shows the form it "
	"expects";

static const char *const imap_server_note_special_use =
	"a special-use attribute tells every client which folder plays this role, whatever its "
	"name (RFC 6154)";
static const char *const imap_server_note_move =
	"MOVE: the message left this folder for the other one, so it is expunged here";

/* Not for "": CREATE "" would fail, so a client told to try it would loop. */
static const char *const imap_server_note_trycreate =
	"[TRYCREATE]: there is no such folder; the client may CREATE it and try again";

/* A failed host operation on a folder, as NO with the RFC 5530 code. */
static void imap_server_no_result(struct imap_server *s, struct wire *out, enum imap_result r)
{
	switch (r) {
	case IMAP_NO_SUCH:
		imap_server_no(s, out, "[NONEXISTENT]: there is no folder of that name (RFC 5530)",
			       "[NONEXISTENT] Mailbox doesn't exist");
		break;
	case IMAP_EXISTS:
		imap_server_no(s, out, "[ALREADYEXISTS]: a folder of that name is there already "
			       "(RFC 5530)", "[ALREADYEXISTS] Mailbox already exists");
		break;
	case IMAP_REFUSED:
		imap_server_no(s, out, "[CANNOT]: the server does not allow this, however often it "
			       "is tried (RFC 5530)", "[CANNOT] Operation not permitted");
		break;
	default:
		imap_server_no(s, out, "[SERVERBUG]: the store failed; nothing the client did was "
			       "wrong (RFC 5530)", "[SERVERBUG] Internal error in the mail store");
		break;
	}
}

/*
 * A mailbox name from an astring argument, into name[].  "INBOX" is the
 * one name that is case-insensitive (RFC 3501 5.1): "inbox" becomes
 * "INBOX".  A trailing "/" is dropped ("CREATE Work/" makes "Work").
 * "" is well-formed (an empty quoted string is an astring), so it is not
 * refused here: it names no folder, and CREATE and RENAME say NO to it.
 */
static bool imap_server_mailbox(const struct imap_arg *a,
				char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1])
{
	const char *v = imap_arg_str(a);
	if (!v)
		return false;
	size_t n = strlen(v);
	if (n > 1 && v[n - 1] == '/')
		n--;
	if (n > IMAP_SERVER_MAILBOX_MAX_OCTETS || memchr(v, '\r', n) ||
	    memchr(v, '\n', n))
		return false;
	memcpy(name, v, n);
	name[n] = '\0';
	if (strcasecmp(name, "INBOX") == 0)
		memcpy(name, "INBOX", 6);
	return true;
}

/* CREATE "" or RENAME x "": a name no folder can have is NO, not BAD - the
 * command was well-formed (Dovecot answers the same way). */
static bool imap_server_check_new_name(struct imap_server *s, const char *name,
				       struct wire *out)
{
	if (name[0])
		return true;
	imap_server_no(s, out, "[CANNOT]: a folder needs a name; the empty one is taken by "
		       "LIST's hierarchy question (RFC 3501 6.3.8)",
		       "[CANNOT] Invalid mailbox name");
	return false;
}

/* A mailbox name as a response shows it: a quoted string, or a literal. */
static void imap_server_add_mailbox(struct buf *b, const char *name)
{
	imap_write_string(b, name, strlen(name));
}

/* The system flags, in the order a flag list shows them. */
static const struct {
	uint32_t bit;
	const char *name;
} imap_server_flag_names[] = {
	{IMAP_FLAG_SEEN, "\\Seen"},         {IMAP_FLAG_ANSWERED, "\\Answered"},
	{IMAP_FLAG_FLAGGED, "\\Flagged"},   {IMAP_FLAG_DELETED, "\\Deleted"},
	{IMAP_FLAG_DRAFT, "\\Draft"},       {IMAP_FLAG_RECENT, "\\Recent"},
};

#define IMAP_SERVER_NFLAGS (sizeof imap_server_flag_names / sizeof imap_server_flag_names[0])

/* "(\Seen \Recent $Label1)" */
static void imap_server_add_flags(struct buf *b, uint32_t flags, const char *keywords)
{
	bool first = true;
	buf_addc(b, '(');
	for (size_t i = 0; i < IMAP_SERVER_NFLAGS; i++) {
		if (!(flags & imap_server_flag_names[i].bit))
			continue;
		if (!first)
			buf_addc(b, ' ');
		buf_adds(b, imap_server_flag_names[i].name);
		first = false;
	}
	if (keywords && keywords[0]) {
		if (!first)
			buf_addc(b, ' ');
		buf_adds(b, keywords);
	}
	buf_addc(b, ')');
}

/* Does the space-separated list hold the keyword (case-insensitive, as all
 * flag names are, RFC 3501 2.3.2)? */
static bool imap_server_has_keyword(const char *list, const char *kw, size_t n)
{
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, " ");
		if (len == n && strncasecmp(p, kw, n) == 0)
			return true;
		p += len;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* Append a keyword to a list of at most IMAP_KEYWORDS_MAX_OCTETS - 1
 * octets; false if it does not fit. */
static bool imap_server_add_keyword(char *list, const char *kw, size_t n)
{
	if (imap_server_has_keyword(list, kw, n))
		return true;
	size_t used = strlen(list);
	if (used + (used ? 1 : 0) + n >= IMAP_KEYWORDS_MAX_OCTETS)
		return false;
	if (used)
		list[used++] = ' ';
	memcpy(list + used, kw, n);
	list[used + n] = '\0';
	return true;
}

/*
 * A flag list as STORE and APPEND give it: "(\Seen $Label1)", or bare
 * flags.  System flags become bits, keywords a space-separated list.
 * \Recent cannot be set by a client (RFC 3501 2.3.2).  On error returns
 * false with the reason in *err.
 */
static bool imap_server_parse_flags(const struct imap_arg *args, size_t n, uint32_t *flags,
				    char keywords[IMAP_KEYWORDS_MAX_OCTETS], const char **err)
{
	*flags = 0;
	keywords[0] = '\0';
	if (n == 1 && args[0].type == IMAP_ARG_LIST) {
		n = args[0].nlist;
		args = args[0].list;
	}
	for (size_t i = 0; i < n; i++) {
		const struct imap_arg *a = &args[i];
		if (a->type != IMAP_ARG_ATOM || a->len == 0) {
			*err = "Invalid flag";
			return false;
		}
		if (a->s[0] == '\\') {
			size_t k;
			for (k = 0; k < IMAP_SERVER_NFLAGS; k++)
				if (imap_arg_is(a, imap_server_flag_names[k].name))
					break;
			if (k == IMAP_SERVER_NFLAGS) {
				*err = "Invalid system flag";
				return false;
			}
			if (imap_server_flag_names[k].bit == IMAP_FLAG_RECENT) {
				*err = "\\Recent flag cannot be stored";
				return false;
			}
			*flags |= imap_server_flag_names[k].bit;
			continue;
		}
		if (!imap_is_atom(a->s, a->len)) {
			*err = "Invalid keyword";
			return false;
		}
		if (!imap_server_add_keyword(keywords, a->s, a->len)) {
			*err = "Too many keywords";
			return false;
		}
	}
	return true;
}

/* The first message in the view whose UID is >= uid (binary search). */
static size_t imap_server_lower_bound(const struct imap_server *s, uint32_t uid)
{
	size_t lo = 0, hi = s->nview;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->view[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A run of messages of the view: indices [lo, hi). */
struct imap_server_span {
	size_t lo, hi;
};

/* The messages a command names, as sorted runs of the view. */
struct imap_server_set {
	struct imap_server_span *spans;
	size_t n;
	size_t count;      /* messages in all spans */
};

static int imap_server_span_cmp(const void *a, const void *b)
{
	const struct imap_server_span *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

enum imap_server_set_result {
	IMAP_SERVER_SET_OK,
	IMAP_SERVER_SET_SYNTAX,  /* not a sequence set */
	IMAP_SERVER_SET_RANGE,   /* a message number past the last message */
};

/*
 * Resolve a sequence set (or, for UID commands, a UID set) against the
 * view.  Sequence numbers must name existing messages (RFC 3501 9), and
 * in an empty folder not even "*" does; UIDs that name nothing are simply
 * skipped (6.4.8), and "n:*" always includes the last message.  The runs come out sorted and merged: each message
 * once, in view order, whatever order the client wrote.
 */
static enum imap_server_set_result imap_server_resolve(const struct imap_server *s,
						       const char *text, bool uid,
						       struct imap_server_set *set)
{
	struct imap_seqset seq = {0};
	set->spans = NULL;
	set->n = set->count = 0;
	if (!text || !imap_seqset_parse(text, &seq))
		return IMAP_SERVER_SET_SYNTAX;
	set->spans = xcalloc(seq.n ? seq.n : 1, sizeof *set->spans);
	uint32_t star = uid ? (s->nview ? s->view[s->nview - 1].uid : 0) : (uint32_t)s->nview;
	enum imap_server_set_result r = IMAP_SERVER_SET_OK;
	for (size_t i = 0; i < seq.n; i++) {
		uint32_t lo = seq.ranges[i].lo, hi = seq.ranges[i].hi;
		if (lo == 0)
			lo = star;
		if (hi == 0)
			hi = star;
		if (lo > hi) {
			uint32_t t = lo;
			lo = hi;
			hi = t;
		}
		if (s->nview == 0 || (lo == 0 && hi == 0)) {
			/* no message to name: a sequence number, "*" too, is
			 * past the last one (RFC 3501 9, seq-number) */
			if (!uid)
				r = IMAP_SERVER_SET_RANGE;
			continue;
		}
		struct imap_server_span sp;
		if (uid) {
			sp.lo = imap_server_lower_bound(s, lo);
			sp.hi = hi == UINT32_MAX ? s->nview : imap_server_lower_bound(s, hi + 1);
		} else {
			if (hi > s->nview) {
				r = IMAP_SERVER_SET_RANGE;
				continue;
			}
			sp.lo = lo - 1;
			sp.hi = hi;
		}
		if (sp.lo < sp.hi)
			set->spans[set->n++] = sp;
	}
	imap_seqset_free(&seq);
	if (r != IMAP_SERVER_SET_OK) {
		free(set->spans);
		set->spans = NULL;
		set->n = 0;
		return r;
	}
	qsort(set->spans, set->n, sizeof *set->spans, imap_server_span_cmp);
	size_t m = 0;
	for (size_t i = 0; i < set->n; i++) {
		if (m && set->spans[i].lo <= set->spans[m - 1].hi) {
			if (set->spans[i].hi > set->spans[m - 1].hi)
				set->spans[m - 1].hi = set->spans[i].hi;
		} else {
			set->spans[m++] = set->spans[i];
		}
	}
	set->n = m;
	for (size_t i = 0; i < m; i++)
		set->count += set->spans[i].hi - set->spans[i].lo;
	return IMAP_SERVER_SET_OK;
}

/* Resolve a set argument, or answer BAD and return false. */
static bool imap_server_resolve_arg(struct imap_server *s, const struct imap_cmd *c,
				    const struct imap_arg *a, struct imap_server_set *set,
				    struct wire *out)
{
	const char *text = a->type == IMAP_ARG_ATOM ? imap_arg_str(a) : NULL;
	switch (imap_server_resolve(s, text, c->uid, set)) {
	case IMAP_SERVER_SET_OK:
		return true;
	case IMAP_SERVER_SET_RANGE:
		imap_server_bad(s, out, "sequence numbers run from 1 to the number of messages "
				"in the folder (the last EXISTS)",
				"Invalid message sequence number");
		return false;
	default:
		imap_server_bad(s, out, "a message set is numbers and ranges joined by commas: "
				"1,3:5,7:*", "Invalid message set");
		return false;
	}
}

#define IMAP_SERVER_FOR_EACH(set, i)                                                 \
	for (size_t sp_ = 0; sp_ < (set)->n; sp_++)                                  \
		for (size_t i = (set)->spans[sp_].lo; i < (set)->spans[sp_].hi; i++)

/* UIDs in order, as a compact set: "4,7:9" (COPYUID, RFC 4315).  Only
 * runs that climb by one are joined, so the order is kept: the n-th UID of
 * the source set matches the n-th of the destination set. */
static void imap_server_add_uidset(struct buf *b, const uint32_t *uids, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (i)
			buf_addc(b, ',');
		buf_add_u64(b, uids[i]);
		if (j > i) {
			buf_addc(b, ':');
			buf_add_u64(b, uids[j]);
		}
		i = j + 1;
	}
}

/* Load a message's content into s->content; false if it is gone. */
static bool imap_server_load(struct imap_server *s, uint32_t uid)
{
	buf_clear(&s->content);
	return s->ops.content && s->ops.content(s->ctx, s->folder, uid, &s->content) == IMAP_OK;
}

/* ------------------------------------------- 4. keeping the view in step */

/* The notes of unilateral responses: as answers come, and pushed in IDLE. */
static const char *const imap_server_note_expunge =
	"the message is gone from the folder; every client that has it selected is told";
static const char *const imap_server_note_exists =
	"EXISTS: the folder now holds this many messages; the new ones are at the end";
static const char *const imap_server_note_flags =
	"another session changed this message's flags; the client is told the new ones";
static const char *const imap_server_note_idle_expunge =
	"IDLE: pushed at once - a message was expunged, and later ones move down a number";
static const char *const imap_server_note_idle_exists =
	"IDLE: pushed at once - new mail arrived, without the client having to ask";
static const char *const imap_server_note_idle_flags =
	"IDLE: pushed at once - another session changed this message's flags";

/*
 * The keywords of a message's list that FLAGS has not named yet join
 * s->keywords; true if there was any.  Names compare without regard to
 * case, as flags do (RFC 3501 2.3.2).  Past IMAP_SERVER_FLAGS_KEYWORDS_MAX
 * no more are named (a client still sees them in FETCH FLAGS).
 */
static bool imap_server_learn_keywords(struct imap_server *s, const char *list)
{
	bool added = false;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ");
		if (n && s->nkeywords < IMAP_SERVER_FLAGS_KEYWORDS_MAX &&
		    !imap_server_has_keyword(s->keywords.len ? s->keywords.p : "", p, n)) {
			if (s->keywords.len)
				buf_addc(&s->keywords, ' ');
			buf_add(&s->keywords, p, n);
			s->nkeywords++;
			added = true;
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	return added;
}

/* "* FLAGS (...)": the system flags and every keyword named so far. */
static void imap_server_send_flags(struct imap_server *s, struct wire *out, const char *note)
{
	wire_line(out, note, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft%s%s)",
		  s->keywords.len ? " " : "", s->keywords.len ? s->keywords.p : "");
}

static void imap_server_send_permanentflags(struct imap_server *s, struct wire *out)
{
	if (s->read_only)
		wire_line(out, "PERMANENTFLAGS (): in a folder opened with EXAMINE no flag can be "
			  "changed", "* OK [PERMANENTFLAGS ()] No permanent flags permitted");
	else /* the keywords FLAGS named can be kept too (RFC 3501 7.1) */
		wire_line(out, "PERMANENTFLAGS: the flags the client can set and keep; \\* means "
			  "it may make up new keywords too",
			  "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft%s%s "
			  "\\*)] Flags permitted", s->keywords.len ? " " : "",
			  s->keywords.len ? s->keywords.p : "");
}

/* A keyword new to the folder entered it (STORE, APPEND, another session):
 * FLAGS and PERMANENTFLAGS again, before any FETCH that carries it - a
 * client may reject flags FLAGS did not name (RFC 3501 7.2.6). */
static void imap_server_announce_flags(struct imap_server *s, struct wire *out, bool pushed)
{
	imap_server_send_flags(s, out, pushed ? "IDLE: pushed at once - a new keyword is in "
				       "use in this folder, so the list of flags grows"
				       : "FLAGS again: a new keyword is in use in this folder, and "
				       "a client learns it before any message shows it");
	imap_server_send_permanentflags(s, out);
}

static void imap_server_count_recent(struct imap_server *s, size_t *recent)
{
	*recent = 0;
	for (size_t i = 0; i < s->nview; i++)
		if (s->view[i].flags & IMAP_FLAG_RECENT)
			(*recent)++;
}

/*
 * Compare the view with the folder as the store has it now and tell the
 * client the difference (RFC 3501 7.3.1, 7.4.1, 7.4.2):
 *   - a message gone from the store: "* n EXPUNGE", where n is its number
 *     at that moment - the view is walked upwards, so each EXPUNGE already
 *     counts the ones before it;
 *   - flags changed: "* n FETCH (FLAGS (...))";
 *   - new messages (UIDs above the view's last): "* n EXISTS", "* r RECENT".
 * While an EXPUNGE may not be sent (during FETCH, STORE, SEARCH), a gone
 * message stays in the view - its number must not move under the client -
 * and its UID goes in s->gone, so the next chance tells it.
 * pushed: the client idles, and these lines are news sent unasked (an
 * EXPUNGE may always be sent then); may_expunge: they may be sent now.
 */
static void imap_server_resync(struct imap_server *s, struct wire *out, bool pushed,
			       bool may_expunge)
{
	if (!s->folder || !s->ops.snapshot)
		return;
	uint64_t v = s->ops.version ? s->ops.version(s->ctx, s->folder) : 0;
	bool expunge_ok = may_expunge || pushed;
	/* Nothing changed since the last look, and what is pending (deferred
	 * expunges) may still not be told: a new look would find the same. */
	if (s->ops.version && v == s->version && (s->ngone == 0 || !expunge_ok))
		return;
	struct imap_folder info;
	memset(&info, 0, sizeof info);
	struct imap_msg *snap = NULL;
	size_t nsnap = 0;
	if (s->ops.snapshot(s->ctx, s->folder, &info, &snap, &nsnap) != IMAP_OK) {
		free(snap);
		return; /* keep the view; try again next time */
	}
	if (!snap)
		nsnap = 0;
	s->version = v;
	s->ngone = 0;
	uint32_t uidvalidity = s->info.uidvalidity;
	s->info = info;
	s->info.uidvalidity = uidvalidity; /* fixed for the session (RFC 3501 2.3.1.1) */

	bool news = false;
	for (size_t k = 0; k < nsnap; k++)
		if (snap[k].keywords[0])
			news |= imap_server_learn_keywords(s, snap[k].keywords);
	if (news)
		imap_server_announce_flags(s, out, pushed);

	uint32_t maxuid = s->nview ? s->view[s->nview - 1].uid : 0;
	struct buf b;
	buf_init(&b);
	size_t j = 0, keep = 0, gone = 0;
	for (size_t i = 0; i < s->nview; i++) {
		struct imap_msg *m = &s->view[i];
		while (j < nsnap && snap[j].uid < m->uid)
			j++;
		if (j == nsnap || snap[j].uid != m->uid) {
			if (expunge_ok) {
				wire_line(out, pushed ? imap_server_note_idle_expunge
						      : imap_server_note_expunge,
					  "* %zu EXPUNGE", i + 1 - gone);
				gone++;
				continue;
			}
			if (s->ngone == s->capgone) {
				s->capgone = s->capgone ? 2 * s->capgone : 8;
				s->gone = xrealloc(s->gone, s->capgone * sizeof *s->gone);
			}
			s->gone[s->ngone++] = m->uid;
		} else if (snap[j].flags != m->flags ||
			   strcmp(snap[j].keywords, m->keywords) != 0) {
			m->flags = snap[j].flags;
			memcpy(m->keywords, snap[j].keywords, sizeof m->keywords);
			m->keywords[sizeof m->keywords - 1] = '\0';
			buf_clear(&b);
			buf_printf(&b, "* %zu FETCH (FLAGS ", keep + 1);
			imap_server_add_flags(&b, m->flags, m->keywords);
			buf_addc(&b, ')');
			imap_server_send(out, pushed ? imap_server_note_idle_flags
						     : imap_server_note_flags, &b);
		}
		if (keep != i)
			s->view[keep] = *m;
		keep++;
	}
	s->nview = keep;

	size_t first_new = nsnap;
	while (first_new > 0 && snap[first_new - 1].uid > maxuid)
		first_new--;
	size_t nnew = nsnap - first_new;
	if (nnew) {
		if (s->nview + nnew > s->capview) {
			s->capview = s->nview + nnew;
			s->view = xrealloc(s->view, s->capview * sizeof *s->view);
		}
		memcpy(s->view + s->nview, snap + first_new, nnew * sizeof *snap);
		s->nview += nnew;
		wire_line(out, pushed ? imap_server_note_idle_exists : imap_server_note_exists,
			  "* %zu EXISTS", s->nview);
		size_t recent;
		imap_server_count_recent(s, &recent);
		wire_line(out, NULL, "* %zu RECENT", recent);
		s->nrecent = recent;
	}
	buf_free(&b);
	free(snap);
}

/*
 * Before a command maps its message set (or search keys) to messages: catch
 * up with what other sessions did, so the set names the messages as the
 * store has them now - never positions in a view that is about to shrink.
 * UIDs never move, so for a UID command the EXPUNGEs go out first and the
 * set is resolved against what is left (RFC 3501 7.4.1 allows EXPUNGE
 * responses during UID commands).  Sequence numbers are the client's own
 * numbering: for them the expunges wait (the gone messages keep their
 * numbers until the tagged response, or the next command for FETCH, STORE
 * and SEARCH), and only new flags and new messages are taken in.
 */
static void imap_server_catch_up(struct imap_server *s, const struct imap_cmd *c,
				 struct wire *out)
{
	imap_server_resync(s, out, false, s->expunge_ok && c->uid);
}

/* Is the view's message with this UID gone from the store, its EXPUNGE
 * not yet told (binary search in s->gone)? */
static bool imap_server_is_gone(const struct imap_server *s, uint32_t uid)
{
	size_t lo = 0, hi = s->ngone;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->gone[mid] == uid)
			return true;
		if (s->gone[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The NO for a command that names messages another session expunged, whose
 * EXPUNGE this one has not been told yet (RFC 2180 4.1, RFC 5530). */
static void imap_server_no_expunged(struct imap_server *s, struct wire *out)
{
	imap_server_no(s, out, "[EXPUNGEISSUED]: another session expunged some of these "
		       "messages; the EXPUNGE is told when it may be (RFC 2180 4.1, RFC 5530)",
		       "[EXPUNGEISSUED] Some of the requested messages no longer exist");
}

void imap_server_poke(struct imap_server *s, struct wire *out)
{
	if (s->state == IMAP_SERVER_STATE_IDLE)
		imap_server_resync(s, out, true, s->expunge_ok);
	/* otherwise ops->version tells the next command that something changed */
}

/* ---------------------------------------------------------- 5. commands */

/*
 * Each command has a check and a proceed.  The check answers "may it run
 * in this state?" and, if not, answers BAD and returns false; NULL means
 * any state.  The proceed does the work and writes the responses, ending
 * with the tagged one.  The number of arguments has been checked against
 * the command's row already; their types the proceed checks.
 */
typedef bool imap_server_check_fn(struct imap_server *s, struct wire *out);
typedef void imap_server_proceed_fn(struct imap_server *s, const struct imap_cmd *c,
				    struct wire *out);

static bool imap_server_check_not_authenticated(struct imap_server *s, struct wire *out)
{
	if (s->state == IMAP_SERVER_STATE_NOT_AUTHENTICATED)
		return true;
	imap_server_bad(s, out, "LOGIN and AUTHENTICATE belong to the not-authenticated state; "
			"this session is logged in already", "command not valid in this state");
	return false;
}

static bool imap_server_check_authenticated(struct imap_server *s, struct wire *out)
{
	if (s->state == IMAP_SERVER_STATE_AUTHENTICATED || s->state == IMAP_SERVER_STATE_SELECTED)
		return true;
	imap_server_bad(s, out, "this command needs a logged-in session: LOGIN first",
			"command not valid in this state");
	return false;
}

/* ENABLE only before a folder is selected (RFC 5161 3.1). */
static bool imap_server_check_authenticated_only(struct imap_server *s, struct wire *out)
{
	if (s->state == IMAP_SERVER_STATE_AUTHENTICATED)
		return true;
	imap_server_bad(s, out, "ENABLE is allowed only after login and before a folder is "
			"selected (RFC 5161)", "command not valid in this state");
	return false;
}

static bool imap_server_check_selected(struct imap_server *s, struct wire *out)
{
	if (s->state == IMAP_SERVER_STATE_SELECTED)
		return true;
	const char *note =
		s->state == IMAP_SERVER_STATE_AUTHENTICATED
			? "this command works on the messages of a folder: SELECT one first"
			: "this command needs a logged-in session with a folder selected";
	imap_server_bad(s, out, note, "command not valid in this state");
	return false;
}

/* ---- any state */

static void imap_server_proceed_capability(struct imap_server *s, const struct imap_cmd *c,
					   struct wire *out)
{
	(void)c;
	wire_line(out, "CAPABILITY: the extensions this server offers, beyond RFC 3501",
		  "* CAPABILITY " IMAP_SERVER_CAPABILITIES);
	imap_server_ok(s, out, NULL, "CAPABILITY completed");
}

static void imap_server_proceed_noop(struct imap_server *s, const struct imap_cmd *c,
				     struct wire *out)
{
	(void)c;
	imap_server_ok(s, out, "NOOP does nothing, but gives the server a chance to report "
		       "what changed", "NOOP completed");
}

static void imap_server_proceed_logout(struct imap_server *s, const struct imap_cmd *c,
				       struct wire *out)
{
	(void)c;
	imap_server_enter_state(s, IMAP_SERVER_STATE_LOGOUT);
	wire_line(out, "BYE: the server is about to close the connection; nothing is expunged "
		  "by logging out", "* BYE %s IMAP4rev1 server logging out", s->hostname);
	imap_server_ok(s, out, NULL, "LOGOUT completed");
}

/* ---- not authenticated */

/* Log in; the tagged OK names the command that did it (LOGIN or AUTHENTICATE). */
static void imap_server_login(struct imap_server *s, const char *command, const char *user,
			      const char *password, struct wire *out)
{
	if (!s->ops.login || !s->ops.login(s->ctx, user, password)) {
		imap_server_no(s, out, "[AUTHENTICATIONFAILED]: the user name or password is wrong "
			       "(RFC 5530)", "[AUTHENTICATIONFAILED] Invalid credentials");
		return;
	}
	free(s->user);
	s->user = xstrdup(user);
	imap_server_enter_state(s, IMAP_SERVER_STATE_AUTHENTICATED);
	imap_server_ok(s, out, "logged in: the AUTHENTICATED state, where folders can be listed "
		       "and selected", "%s completed", command);
}

static void imap_server_proceed_login(struct imap_server *s, const struct imap_cmd *c,
				      struct wire *out)
{
	const char *user = imap_arg_str(&c->args[0]);
	const char *password = imap_arg_str(&c->args[1]);
	if (!user || !password) {
		imap_server_bad(s, out, "LOGIN takes a user name and a password, each an atom or "
				"a string", "Syntax: LOGIN user password");
		return;
	}
	imap_server_login(s, "LOGIN", user, password, out);
}

/* The base64 alphabet (RFC 4648 4) with its padding, and nothing else. */
static const char imap_server_base64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

/* PLAIN (RFC 4616 2): base64 of authzid NUL authcid NUL password. */
static void imap_server_auth_plain(struct imap_server *s, const char *b64, struct wire *out)
{
	size_t n = strlen(b64);
	struct buf dec;
	buf_init(&dec);
	if (strcmp(b64, "=") == 0)
		n = 0; /* SASL-IR: "=" is an empty initial response (RFC 4959 3) */
	else if (strspn(b64, imap_server_base64_chars) != n ||
		 mime_base64_decode(&dec, b64, n) != 0) {
		imap_server_bad(s, out, "the AUTHENTICATE response must be base64 (RFC 4648)",
				"Invalid base64 data");
		goto done;
	}
	const char *user = NULL, *password = NULL;
	size_t nuls = 0;
	for (size_t i = 0; i < dec.len; i++) {
		if (dec.p[i] != '\0')
			continue;
		if (++nuls == 1)
			user = dec.p + i + 1;
		else if (nuls == 2)
			password = dec.p + i + 1;
	}
	if (nuls != 2 || (dec.p[0] && strcmp(dec.p, user) != 0)) {
		imap_server_no(s, out, "PLAIN carries authorization id, NUL, user, NUL, password; "
			       "acting as another user is not allowed (RFC 4616)",
			       "[AUTHENTICATIONFAILED] Invalid credentials");
		goto done;
	}
	imap_server_login(s, "AUTHENTICATE", user, password, out);
done:
	buf_free(&dec);
}

static void imap_server_proceed_authenticate(struct imap_server *s, const struct imap_cmd *c,
					     struct wire *out)
{
	if (!imap_arg_is(&c->args[0], "PLAIN")) {
		imap_server_no(s, out, "this server offers only AUTH=PLAIN (see CAPABILITY)",
			       "Unsupported authentication mechanism");
		return;
	}
	if (c->nargs == 2) {
		const char *ir = imap_arg_str(&c->args[1]);
		if (!ir) {
			imap_server_bad(s, out, imap_server_note_syntax,
					"Syntax: AUTHENTICATE PLAIN [initial-response]");
			return;
		}
		imap_server_auth_plain(s, ir, out);
		return;
	}
	imap_server_enter_state(s, IMAP_SERVER_STATE_AUTHENTICATE);
	wire_line(out, "\"+ \": the server waits for the credentials, base64-encoded, on the "
		  "next line", "+ ");
}

/* The line the client sent in answer to AUTHENTICATE's "+ ". */
static void imap_server_auth_response(struct imap_server *s, const char *line, struct wire *out)
{
	imap_server_enter_state(s, IMAP_SERVER_STATE_NOT_AUTHENTICATED);
	if (strcmp(line, "*") == 0) {
		imap_server_bad(s, out, "\"*\" cancels an AUTHENTICATE exchange (RFC 3501 6.2.2)",
				"AUTHENTICATE cancelled");
		return;
	}
	imap_server_auth_plain(s, line, out);
}

/* ---- authenticated */

static void imap_server_proceed_enable(struct imap_server *s, const struct imap_cmd *c,
				       struct wire *out)
{
	for (size_t i = 0; i < c->nargs; i++) {
		if (c->args[i].type != IMAP_ARG_ATOM) {
			imap_server_bad(s, out, imap_server_note_syntax,
					"Syntax: ENABLE capability...");
			return;
		}
	}
	/* None of the extensions offered here needs enabling. */
	wire_line(out, "ENABLED lists the extensions now switched on: none needed here",
		  "* ENABLED");
	imap_server_ok(s, out, NULL, "ENABLE completed");
}

static void imap_server_proceed_namespace(struct imap_server *s, const struct imap_cmd *c,
					  struct wire *out)
{
	(void)c;
	wire_line(out, "NAMESPACE: the user's own folders start at the top, separated by \"/\"; "
		  "there are no shared or other users' folders",
		  "* NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_server_ok(s, out, NULL, "NAMESPACE completed");
}

/* SELECT (read-write) and EXAMINE (read-only), RFC 3501 6.3.1-2. */
static void imap_server_select(struct imap_server *s, const struct imap_cmd *c, bool read_only,
			       struct wire *out)
{
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox(&c->args[0], name)) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: %s mailbox", c->name);
		return;
	}
	/* Whatever happens next, the folder selected before is closed (without
	 * expunging): a failed SELECT leaves none selected. */
	imap_server_enter_state(s, IMAP_SERVER_STATE_AUTHENTICATED);
	s->read_only = read_only; /* the host asks, while it takes the snapshot (\Recent) */
	struct imap_folder info;
	memset(&info, 0, sizeof info);
	struct imap_msg *msgs = NULL;
	size_t n = 0;
	uint64_t v = s->ops.version ? s->ops.version(s->ctx, name) : 0;
	enum imap_result r = s->ops.snapshot ? s->ops.snapshot(s->ctx, name, &info, &msgs, &n)
					     : IMAP_FAILED;
	if (r != IMAP_OK) {
		free(msgs);
		s->read_only = false;
		imap_server_no_result(s, out, r);
		return;
	}
	s->folder = xstrdup(name);
	s->info = info;
	s->view = msgs;
	s->nview = s->capview = msgs ? n : 0;
	s->version = v;
	imap_server_enter_state(s, IMAP_SERVER_STATE_SELECTED);

	for (size_t i = 0; i < s->nview; i++)
		if (s->view[i].keywords[0])
			imap_server_learn_keywords(s, s->view[i].keywords);
	imap_server_send_flags(s, out, "FLAGS: the flags a message in this folder can have");
	wire_line(out, "EXISTS: how many messages the folder holds; they are numbered 1 to this",
		  "* %zu EXISTS", s->nview);
	imap_server_count_recent(s, &s->nrecent);
	wire_line(out, NULL, "* %zu RECENT", s->nrecent);
	for (size_t i = 0; i < s->nview; i++) {
		if (!(s->view[i].flags & IMAP_FLAG_SEEN)) {
			wire_line(out, "UNSEEN: the number of the first message not yet read",
				  "* OK [UNSEEN %zu] Message %zu is first unseen", i + 1, i + 1);
			break;
		}
	}
	imap_server_send_permanentflags(s, out);
	wire_line(out, "UIDVALIDITY: while this number stays the same, a UID always names the "
		  "same message, so a client may keep what it downloaded",
		  "* OK [UIDVALIDITY %" PRIu32 "] UIDs valid", s->info.uidvalidity);
	wire_line(out, "UIDNEXT: the UID the next message to arrive will get at least; a client "
		  "seeing it unchanged knows nothing new came",
		  "* OK [UIDNEXT %" PRIu32 "] Predicted next UID", s->info.uidnext);
	if (read_only)
		imap_server_ok(s, out, "EXAMINE: the folder is open read-only; reading does not "
			       "even set \\Seen", "[READ-ONLY] EXAMINE completed");
	else
		imap_server_ok(s, out, "SELECT: the folder is open; its messages can now be read "
			       "and changed", "[READ-WRITE] SELECT completed");
}

static void imap_server_proceed_select(struct imap_server *s, const struct imap_cmd *c,
				       struct wire *out)
{
	imap_server_select(s, c, false, out);
}

static void imap_server_proceed_examine(struct imap_server *s, const struct imap_cmd *c,
					struct wire *out)
{
	imap_server_select(s, c, true, out);
}

static void imap_server_proceed_create(struct imap_server *s, const struct imap_cmd *c,
				       struct wire *out)
{
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox(&c->args[0], name)) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: CREATE mailbox");
		return;
	}
	if (!imap_server_check_new_name(s, name, out))
		return;
	if (strcmp(name, "INBOX") == 0) {
		imap_server_no(s, out, "INBOX always exists; it cannot be created (RFC 3501 6.3.3)",
			       "[ALREADYEXISTS] INBOX always exists");
		return;
	}
	enum imap_result r = s->ops.create ? s->ops.create(s->ctx, name) : IMAP_FAILED;
	if (r != IMAP_OK) {
		imap_server_no_result(s, out, r);
		return;
	}
	imap_server_ok(s, out, NULL, "CREATE completed");
}

/* One name LIST or LSUB may show: a folder, or (LSUB) a subscribed name
 * that no folder has. */
struct imap_server_list_entry {
	const char *name;
	const struct imap_folder *folder; /* NULL: not a folder */
};

/* The order LIST shows names in: INBOX first, then by octets (as the
 * store lists folders). */
static int imap_server_list_entry_cmp(const void *a, const void *b)
{
	const struct imap_server_list_entry *x = a, *y = b;
	bool xi = strcmp(x->name, "INBOX") == 0, yi = strcmp(y->name, "INBOX") == 0;
	if (xi != yi)
		return xi ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool imap_server_list_has(const struct imap_server_list_entry *set, size_t n,
				 const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(set[i].name, name) == 0)
			return true;
	return false;
}

/* Does some folder stand below name ("Work/2024" below "Work")? */
static bool imap_server_has_inferiors(const struct imap_folder *folders, size_t n,
				      const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; folders && i < n; i++)
		if (strncmp(folders[i].name, name, len) == 0 && folders[i].name[len] == '/')
			return true;
	return false;
}

/* Is name above some folder, without being one (a \Noselect name)? */
static bool imap_server_is_parent(struct imap_server *s, const char *name)
{
	struct imap_folder *folders = NULL;
	size_t n = 0;
	bool parent = s->ops.folders && s->ops.folders(s->ctx, &folders, &n) == IMAP_OK &&
		      imap_server_has_inferiors(folders, n, name);
	free(folders);
	return parent;
}

static void imap_server_proceed_delete(struct imap_server *s, const struct imap_cmd *c,
				       struct wire *out)
{
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox(&c->args[0], name)) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: DELETE mailbox");
		return;
	}
	if (strcmp(name, "INBOX") == 0) {
		imap_server_no(s, out, "INBOX is where new mail arrives: it cannot be deleted "
			       "(RFC 3501 6.3.4)", "[CANNOT] INBOX cannot be deleted");
		return;
	}
	enum imap_result r = s->ops.remove ? s->ops.remove(s->ctx, name) : IMAP_FAILED;
	if (r == IMAP_NO_SUCH && imap_server_is_parent(s, name)) {
		/* RFC 3501 6.3.4: a \Noselect name with inferiors cannot go */
		imap_server_no(s, out, "[CANNOT]: this name only holds other folders (\\Noselect); "
			       "delete those first (RFC 3501 6.3.4)",
			       "[CANNOT] Name has inferior hierarchical names");
		return;
	}
	if (r != IMAP_OK) {
		imap_server_no_result(s, out, r);
		return;
	}
	imap_server_ok(s, out, NULL, "DELETE completed");
}

static void imap_server_proceed_rename(struct imap_server *s, const struct imap_cmd *c,
				       struct wire *out)
{
	char from[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1], to[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox(&c->args[0], from) || !imap_server_mailbox(&c->args[1], to)) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: RENAME mailbox new-name");
		return;
	}
	if (!imap_server_check_new_name(s, to, out))
		return;
	enum imap_result r = s->ops.rename ? s->ops.rename(s->ctx, from, to) : IMAP_FAILED;
	if (r != IMAP_OK) {
		imap_server_no_result(s, out, r);
		return;
	}
	imap_server_ok(s, out, NULL, "RENAME completed");
}

static void imap_server_subscribe(struct imap_server *s, const struct imap_cmd *c, bool on,
				  struct wire *out)
{
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox(&c->args[0], name)) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: %s mailbox", c->name);
		return;
	}
	enum imap_result r = s->ops.subscribe ? s->ops.subscribe(s->ctx, name, on) : IMAP_FAILED;
	if (r != IMAP_OK) {
		imap_server_no_result(s, out, r);
		return;
	}
	imap_server_ok(s, out, NULL, "%s completed", c->name);
}

static void imap_server_proceed_subscribe(struct imap_server *s, const struct imap_cmd *c,
					  struct wire *out)
{
	imap_server_subscribe(s, c, true, out);
}

static void imap_server_proceed_unsubscribe(struct imap_server *s, const struct imap_cmd *c,
					    struct wire *out)
{
	imap_server_subscribe(s, c, false, out);
}

/* Does a LIST pattern match a name?  "*" matches anything, "%" anything
 * but the hierarchy delimiter "/" (RFC 3501 6.3.8).  The name's octets
 * before fold_end compare without regard to case (INBOX's, below). */
static bool imap_server_match(const char *pat, const char *name, const char *fold_end)
{
	for (; *pat; pat++, name++) {
		if (*pat == '*' || *pat == '%') {
			for (const char *n = name;; n++) {
				if (imap_server_match(pat + 1, n, fold_end))
					return true;
				if (!*n || (*pat == '%' && *n == '/'))
					return false;
			}
		}
		bool same = name < fold_end ? strncasecmp(pat, name, 1) == 0 : *pat == *name;
		if (!same)
			return false;
	}
	return *name == '\0';
}

/* The pattern for one folder.  INBOX is the same name in any case (RFC
 * 3501 5.1), so its five letters match "inbox", "In%" and "%b%x" alike;
 * so do they as the first level of "INBOX/Sub".  Every other name is
 * case-sensitive. */
static bool imap_server_match_folder(const char *pat, const char *name)
{
	const char *fold_end = name;
	if (strncmp(name, "INBOX", 5) == 0 && (name[5] == '\0' || name[5] == '/'))
		fold_end = name + 5;
	return imap_server_match(pat, name, fold_end);
}

/*
 * The options of the extended LIST form (RFC 5258) that clients use with
 * SPECIAL-USE (RFC 6154 5.1): LIST (SPECIAL-USE) "" "*", or LIST "" "*"
 * RETURN (SPECIAL-USE).  Selection SPECIAL-USE and SUBSCRIBED narrow the
 * answer; the RETURN options only ask for attributes sent anyway (or for
 * \Subscribed).  False if an option is not one of these.
 */
struct imap_server_list_options {
	bool special_only, subscribed_only, return_subscribed;
};

static bool imap_server_list_options(const struct imap_cmd *c, size_t *first,
				     struct imap_server_list_options *o)
{
	memset(o, 0, sizeof *o);
	*first = 0;
	size_t end = c->nargs;
	if (c->nargs > 0 && c->args[0].type == IMAP_ARG_LIST) {
		const struct imap_arg *sel = &c->args[0];
		for (size_t i = 0; i < sel->nlist; i++) {
			const struct imap_arg *a = &sel->list[i];
			if (imap_arg_is(a, "SPECIAL-USE"))
				o->special_only = true;
			else if (imap_arg_is(a, "SUBSCRIBED"))
				o->subscribed_only = o->return_subscribed = true;
			else if (!imap_arg_is(a, "RECURSIVEMATCH") && !imap_arg_is(a, "REMOTE"))
				return false;
		}
		*first = 1;
	}
	if (end >= *first + 4 && imap_arg_is(&c->args[end - 2], "RETURN") &&
	    c->args[end - 1].type == IMAP_ARG_LIST) {
		const struct imap_arg *ret = &c->args[end - 1];
		for (size_t i = 0; i < ret->nlist; i++) {
			const struct imap_arg *a = &ret->list[i];
			if (imap_arg_is(a, "SUBSCRIBED"))
				o->return_subscribed = true;
			else if (!imap_arg_is(a, "SPECIAL-USE") && !imap_arg_is(a, "CHILDREN"))
				return false;
		}
		end -= 2;
	}
	return end == *first + 2;
}

/* LIST and LSUB (RFC 3501 6.3.8-9, RFC 6154 for the special-use attributes). */
static void imap_server_list(struct imap_server *s, const struct imap_cmd *c, bool lsub,
			     struct wire *out)
{
	struct imap_server_list_options o;
	size_t first = 0;
	bool shaped = lsub ? c->nargs == 2 : imap_server_list_options(c, &first, &o);
	if (lsub) {
		memset(&o, 0, sizeof o);
		o.subscribed_only = true;
	}
	const char *ref = shaped ? imap_arg_str(&c->args[first]) : NULL;
	const char *pat = shaped ? imap_arg_str(&c->args[first + 1]) : NULL;
	if (!ref || !pat) {
		imap_server_bad(s, out, imap_server_note_syntax,
				"Syntax: %s reference mailbox-pattern", c->name);
		return;
	}
	if (!lsub && !pat[0]) {
		wire_line(out, "LIST with an empty pattern asks only for the hierarchy delimiter: "
			  "folder names are separated by \"/\"", "* LIST (\\Noselect) \"/\" \"\"");
		imap_server_ok(s, out, NULL, "LIST completed");
		return;
	}
	size_t wild = 0;
	for (const char *p = pat; *p; p++)
		wild += *p == '*' || *p == '%';
	for (const char *p = ref; *p; p++)
		wild += *p == '*' || *p == '%';
	if (wild > IMAP_SERVER_PATTERN_WILDCARDS_MAX) {
		imap_server_bad(s, out, "this server allows at most 16 wildcards in a pattern",
				"Too many wildcards in pattern");
		return;
	}
	struct buf full;
	buf_init(&full);
	buf_adds(&full, ref); /* "Work/" and "%": "Work/%" (RFC 3501 6.3.8) */
	buf_adds(&full, pat);

	struct imap_folder *folders = NULL;
	size_t n = 0;
	enum imap_result r = s->ops.folders ? s->ops.folders(s->ctx, &folders, &n) : IMAP_FAILED;
	if (r != IMAP_OK) {
		free(folders);
		buf_free(&full);
		imap_server_no_result(s, out, r);
		return;
	}
	/* The names to list: every folder (LIST), or every subscribed name,
	 * folder or not (LSUB, RFC 3501 6.3.6), in the order LIST shows them. */
	char **orphans = NULL;
	size_t norphans = 0;
	if (lsub && s->ops.orphan_subscriptions &&
	    s->ops.orphan_subscriptions(s->ctx, &orphans, &norphans) != IMAP_OK)
		norphans = 0;
	struct imap_server_list_entry *set = xcalloc(n + norphans + 1, sizeof *set);
	size_t nset = 0;
	for (size_t i = 0; folders && i < n; i++) {
		const struct imap_folder *f = &folders[i];
		if ((!o.subscribed_only || f->subscribed) && (!o.special_only || f->special_use[0]))
			set[nset++] = (struct imap_server_list_entry){f->name, f};
	}
	size_t nfolders = nset;
	for (size_t i = 0; orphans && i < norphans; i++)
		if (!imap_server_list_has(set, nfolders, orphans[i]))
			set[nset++] = (struct imap_server_list_entry){orphans[i], NULL};
	qsort(set, nset, sizeof *set, imap_server_list_entry_cmp);

	/* Names above listed ones that are not listed themselves are named
	 * \Noselect: a deleted folder's inferiors keep their parent in the
	 * hierarchy (RFC 3501 6.3.4), and LSUB shows the parents of subscribed
	 * names (6.3.9).  Only for plain LIST and LSUB; the RFC 5258
	 * selections have rules of their own. */
	bool parents = lsub || (!o.subscribed_only && !o.special_only);
	struct buf b, shown;
	buf_init(&b);
	buf_init(&shown);
	buf_addc(&shown, '\n'); /* "\nWork\nA/B\n": the parents named so far */
	for (size_t i = 0; i < nset; i++) {
		const char *name = set[i].name;
		const struct imap_folder *f = set[i].folder;
		bool match = imap_server_match_folder(full.p, name);
		/* The names above this one that no folder has, first (the set is
		 * sorted, so a parent comes before its inferiors).  LIST shows
		 * each that the pattern matches, "*" as well as "%": a deleted
		 * folder with inferiors is still a name (RFC 3501 6.3.4).  LSUB
		 * only where the pattern stops above a subscribed name (6.3.9). */
		for (const char *slash = strchr(name, '/'); parents && (!lsub || !match) && slash;
		     slash = strchr(slash + 1, '/')) {
			size_t len = (size_t)(slash - name);
			char parent[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
			if (len == 0 || len > IMAP_SERVER_MAILBOX_MAX_OCTETS)
				continue;
			memcpy(parent, name, len);
			parent[len] = '\0';
			if (imap_server_list_has(set, nset, parent) ||
			    !imap_server_match_folder(full.p, parent))
				continue;
			char needle[IMAP_SERVER_MAILBOX_MAX_OCTETS + 3];
			snprintf(needle, sizeof needle, "\n%s\n", parent);
			if (strstr(shown.p, needle))
				continue; /* named already, for an earlier inferior */
			buf_adds(&shown, parent);
			buf_addc(&shown, '\n');
			buf_clear(&b);
			buf_printf(&b, "* %s (\\Noselect \\HasChildren) \"/\" ", c->name);
			imap_server_add_mailbox(&b, parent);
			imap_server_send(out, "\\Noselect: a name in the hierarchy, above other "
					 "folders, that holds no messages itself and cannot be "
					 "selected", &b);
		}
		if (!match)
			continue;
		bool children = f ? f->has_children : imap_server_has_inferiors(folders, n, name);
		buf_clear(&b);
		buf_printf(&b, "* %s (%s%s", c->name, f ? "" : "\\Noselect ",
			   children ? "\\HasChildren" : "\\HasNoChildren");
		if (f && f->special_use[0])
			buf_printf(&b, " %s", f->special_use);
		if (f && o.return_subscribed && f->subscribed && !lsub)
			buf_adds(&b, " \\Subscribed");
		buf_adds(&b, ") \"/\" ");
		imap_server_add_mailbox(&b, name);
		imap_server_send(out, f && f->special_use[0] ? imap_server_note_special_use : NULL, &b);
	}
	buf_free(&b);
	buf_free(&shown);
	buf_free(&full);
	free(set);
	for (size_t i = 0; orphans && i < norphans; i++)
		free(orphans[i]);
	free(orphans);
	free(folders);
	imap_server_ok(s, out, NULL, "%s completed", c->name);
}

static void imap_server_proceed_list(struct imap_server *s, const struct imap_cmd *c,
				     struct wire *out)
{
	imap_server_list(s, c, false, out);
}

static void imap_server_proceed_lsub(struct imap_server *s, const struct imap_cmd *c,
				     struct wire *out)
{
	imap_server_list(s, c, true, out);
}

/* STATUS (RFC 3501 6.3.10): counts of a folder without selecting it. */
static void imap_server_proceed_status(struct imap_server *s, const struct imap_cmd *c,
				       struct wire *out)
{
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	const struct imap_arg *items = &c->args[1];
	if (!imap_server_mailbox(&c->args[0], name) || items->type != IMAP_ARG_LIST ||
	    items->nlist == 0) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: STATUS mailbox (items)");
		return;
	}
	static const char *const known[] = {"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY",
					    "UNSEEN"};
	for (size_t i = 0; i < items->nlist; i++) {
		size_t k = 0;
		while (k < 5 && !imap_arg_is(&items->list[i], known[k]))
			k++;
		if (k == 5) {
			imap_server_bad(s, out, "STATUS items are MESSAGES, RECENT, UIDNEXT, "
					"UIDVALIDITY and UNSEEN", "Invalid status item");
			return;
		}
	}
	struct imap_folder *folders = NULL;
	size_t n = 0;
	enum imap_result r = s->ops.folders ? s->ops.folders(s->ctx, &folders, &n) : IMAP_FAILED;
	const struct imap_folder *f = NULL;
	for (size_t i = 0; r == IMAP_OK && folders && i < n && !f; i++)
		if (strcmp(folders[i].name, name) == 0)
			f = &folders[i];
	if (!f) {
		free(folders);
		imap_server_no_result(s, out, r == IMAP_OK ? IMAP_NO_SUCH : r);
		return;
	}
	struct buf b;
	buf_init(&b);
	buf_adds(&b, "* STATUS ");
	imap_server_add_mailbox(&b, f->name);
	buf_adds(&b, " (");
	for (size_t i = 0; i < items->nlist; i++) {
		const struct imap_arg *a = &items->list[i];
		uint32_t v = imap_arg_is(a, "MESSAGES")      ? f->messages
			     : imap_arg_is(a, "RECENT")      ? f->recent
			     : imap_arg_is(a, "UIDNEXT")     ? f->uidnext
			     : imap_arg_is(a, "UIDVALIDITY") ? f->uidvalidity
							     : f->unseen;
		char word[16];
		snprintf(word, sizeof word, "%.*s", (int)a->len, a->s);
		for (char *p = word; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		buf_printf(&b, "%s%s %" PRIu32, i ? " " : "", word, v);
	}
	buf_addc(&b, ')');
	imap_server_send(out, "STATUS: the folder's counts, without selecting it", &b);
	buf_free(&b);
	free(folders);
	imap_server_ok(s, out, NULL, "STATUS completed");
}

/* APPEND mailbox [(flags)] [date-time] literal (RFC 3501 6.3.11, RFC 4315). */
static void imap_server_proceed_append(struct imap_server *s, const struct imap_cmd *c,
				       struct wire *out)
{
	char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	const struct imap_arg *msg = &c->args[c->nargs - 1];
	size_t i = 1;
	uint32_t flags = 0;
	char keywords[IMAP_KEYWORDS_MAX_OCTETS] = "";
	int64_t date = -1;
	if (!imap_server_mailbox(&c->args[0], name) || msg->type != IMAP_ARG_STRING) {
		imap_server_bad(s, out, "APPEND ends with the message itself, usually as a literal "
				"{size}", "Syntax: APPEND mailbox [(flags)] [date-time] literal");
		return;
	}
	if (i < c->nargs - 1 && c->args[i].type == IMAP_ARG_LIST) {
		const char *err = NULL;
		if (!imap_server_parse_flags(&c->args[i], 1, &flags, keywords, &err)) {
			imap_server_bad(s, out, imap_server_note_syntax, "%s", err);
			return;
		}
		i++;
	}
	if (i < c->nargs - 1) {
		const struct imap_arg *a = &c->args[i];
		const char *d = a->type == IMAP_ARG_STRING ? imap_arg_str(a) : NULL;
		date = d ? imap_parse_datetime(d) : -1;
		if (date < 0) {
			imap_server_bad(s, out, "the date is written \"17-Jul-1996 02:44:25 "
					"-0700\", in quotes", "Invalid date-time");
			return;
		}
		i++;
	}
	if (i != c->nargs - 1) {
		imap_server_bad(s, out, imap_server_note_syntax,
				"Syntax: APPEND mailbox [(flags)] [date-time] literal");
		return;
	}
	if (msg->len == 0) {
		/* RFC 3501 is silent; a message needs at least a header (RFC
		 * 5322 3.5), and Dovecot refuses a zero-octet one too */
		imap_server_no(s, out, "an empty literal is no message: nothing was stored",
			       "Cannot store an empty message");
		return;
	}
	if (date < 0)
		date = s->ops.now ? s->ops.now(s->ctx) : 0;
	uint32_t uid = 0, uidvalidity = 0;
	enum imap_result r = s->ops.append ? s->ops.append(s->ctx, name, flags, keywords, date,
							   msg->s, msg->len, &uid, &uidvalidity)
					   : IMAP_FAILED;
	if (r == IMAP_NO_SUCH && name[0]) {
		imap_server_no(s, out, imap_server_note_trycreate,
			       "[TRYCREATE] Mailbox doesn't exist");
		return;
	}
	if (r != IMAP_OK) {
		imap_server_no_result(s, out, r);
		return;
	}
	imap_server_ok(s, out, "APPENDUID: the UIDVALIDITY of the folder and the UID the new "
		       "message got, so the client need not search for it (RFC 4315)",
		       "[APPENDUID %" PRIu32 " %" PRIu32 "] APPEND completed", uidvalidity, uid);
}

/* ---- IDLE (RFC 2177) */

static void imap_server_proceed_idle(struct imap_server *s, const struct imap_cmd *c,
				     struct wire *out)
{
	(void)c;
	s->idle_return = s->state;
	imap_server_enter_state(s, IMAP_SERVER_STATE_IDLE);
	wire_line(out, "the server will now push news without being asked", "+ idling");
	imap_server_resync(s, out, true, s->expunge_ok);
}

/* The line that should be DONE. */
static void imap_server_idle_line(struct imap_server *s, const char *line, struct wire *out)
{
	imap_server_enter_state(s, s->idle_return);
	s->expunge_ok = true;
	if (strcasecmp(line, "DONE") != 0) {
		imap_server_bad(s, out, "while idling, the only thing a client may send is DONE "
				"(RFC 2177)", "Expected DONE");
		return;
	}
	imap_server_ok(s, out, "DONE ends IDLE; the client may send commands again",
		       "IDLE terminated");
}

/* ---- selected */

static void imap_server_proceed_check(struct imap_server *s, const struct imap_cmd *c,
				      struct wire *out)
{
	(void)c;
	imap_server_ok(s, out, NULL, "CHECK completed");
}

/*
 * Expunge the \Deleted messages of the view (only those in `only`, for UID
 * EXPUNGE), one transaction, and tell the client each one's number as it
 * goes (unless silent: CLOSE).  Returns the host's result.
 */
static enum imap_result imap_server_expunge(struct imap_server *s,
					    const struct imap_server_set *only, bool silent,
					    struct wire *out)
{
	bool *pick = xcalloc(s->nview ? s->nview : 1, sizeof *pick);
	uint32_t *uids = xcalloc(s->nview ? s->nview : 1, sizeof *uids);
	size_t n = 0;
	if (only) {
		IMAP_SERVER_FOR_EACH(only, i)
			pick[i] = (s->view[i].flags & IMAP_FLAG_DELETED) != 0;
	} else {
		for (size_t i = 0; i < s->nview; i++)
			pick[i] = (s->view[i].flags & IMAP_FLAG_DELETED) != 0;
	}
	for (size_t i = 0; i < s->nview; i++)
		if (pick[i])
			uids[n++] = s->view[i].uid;
	enum imap_result r = IMAP_OK;
	if (n)
		r = s->ops.expunge ? s->ops.expunge(s->ctx, s->folder, uids, n) : IMAP_FAILED;
	if (r == IMAP_OK && n) {
		size_t keep = 0;
		for (size_t i = 0; i < s->nview; i++) {
			if (pick[i]) {
				if (!silent)
					wire_line(out, imap_server_note_expunge, "* %zu EXPUNGE",
						  keep + 1);
				continue;
			}
			s->view[keep++] = s->view[i];
		}
		s->nview = keep;
	}
	free(pick);
	free(uids);
	return r;
}

static void imap_server_proceed_close(struct imap_server *s, const struct imap_cmd *c,
				      struct wire *out)
{
	(void)c;
	if (!s->read_only) {
		/* Catch up silently with other sessions' flags first: CLOSE
		 * expunges what the store has marked \Deleted now. */
		struct wire scratch;
		wire_init(&scratch);
		imap_server_resync(s, &scratch, false, s->expunge_ok);
		wire_free(&scratch);
		imap_server_expunge(s, NULL, true, out);
	}
	imap_server_enter_state(s, IMAP_SERVER_STATE_AUTHENTICATED);
	imap_server_ok(s, out, "CLOSE: messages marked \\Deleted are removed, silently, and no "
		       "folder is selected now", "CLOSE completed");
}

static void imap_server_proceed_unselect(struct imap_server *s, const struct imap_cmd *c,
					 struct wire *out)
{
	(void)c;
	imap_server_enter_state(s, IMAP_SERVER_STATE_AUTHENTICATED);
	imap_server_ok(s, out, "UNSELECT: no folder is selected now, and nothing was expunged "
		       "(RFC 3691)", "UNSELECT completed");
}

static void imap_server_proceed_expunge(struct imap_server *s, const struct imap_cmd *c,
					struct wire *out)
{
	struct imap_server_set set = {0};
	if (c->nargs != (c->uid ? 1u : 0u)) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: %s",
				c->uid ? "UID EXPUNGE set" : "EXPUNGE");
		return;
	}
	if (s->read_only) {
		imap_server_no(s, out, "[READ-ONLY]: the folder was opened with EXAMINE",
			       "[READ-ONLY] Mailbox is read-only");
		return;
	}
	/* Others' news first, then this: the UIDs are mapped to the view only
	 * once it holds what the store holds, or a position would name the
	 * message that moved into it (or lie past the end). */
	imap_server_resync(s, out, false, s->expunge_ok);
	if (c->uid && !imap_server_resolve_arg(s, c, &c->args[0], &set, out))
		return;
	enum imap_result r = imap_server_expunge(s, c->uid ? &set : NULL, false, out);
	free(set.spans);
	if (r != IMAP_OK) {
		imap_server_no_result(s, out, r);
		return;
	}
	imap_server_ok(s, out, NULL, "EXPUNGE completed");
}

/* ---- SEARCH (RFC 3501 6.4.4) */

/* Days since 1970 of a time, rounding down also before 1970. */
static int64_t imap_server_day(int64_t t)
{
	return t >= 0 ? t / IMAP_SERVER_DAY_SECONDS
		      : -((-t + IMAP_SERVER_DAY_SECONDS - 1) / IMAP_SERVER_DAY_SECONDS);
}

enum imap_server_key_kind {
	IMAP_SERVER_KEY_ALL,
	IMAP_SERVER_KEY_FLAG,      /* flags & bit set (or clear: negate) */
	IMAP_SERVER_KEY_NEW,       /* \Recent and not \Seen */
	IMAP_SERVER_KEY_KEYWORD,
	IMAP_SERVER_KEY_TEXT,      /* field contains value: FROM, SUBJECT, BODY, HEADER... */
	IMAP_SERVER_KEY_DATE,      /* INTERNALDATE day before / on / since */
	IMAP_SERVER_KEY_SENTDATE,  /* the Date: header's day */
	IMAP_SERVER_KEY_LARGER,
	IMAP_SERVER_KEY_SMALLER,
	IMAP_SERVER_KEY_SEQ,       /* a sequence set */
	IMAP_SERVER_KEY_UID,       /* a UID set */
	IMAP_SERVER_KEY_NOT,
	IMAP_SERVER_KEY_OR,
	IMAP_SERVER_KEY_AND,       /* a parenthesised group, or the whole search */
};

struct imap_server_key {
	enum imap_server_key_kind kind;
	bool negate;               /* UNSEEN is FLAG SEEN negated, and so on */
	uint32_t bit;
	const char *field, *value; /* TEXT: header name or "BODY"/"TEXT"; KEYWORD: value */
	int cmp;                   /* DATE: -1 before, 0 on, 1 since */
	int64_t day;               /* DATE: days since 1970 */
	uint64_t size;
	struct imap_seqset set;
	struct imap_server_key *kids; /* NOT: 1, OR: 2, AND: nkids */
	size_t nkids;
};

static void imap_server_key_free(struct imap_server_key *k)
{
	for (size_t i = 0; i < k->nkids; i++)
		imap_server_key_free(&k->kids[i]);
	free(k->kids);
	imap_seqset_free(&k->set);
}

/* The simple keys: a name, and what it means. */
static const struct {
	const char *name;
	enum imap_server_key_kind kind;
	uint32_t bit;
	bool negate;
} imap_server_simple_keys[] = {
	{"ALL", IMAP_SERVER_KEY_ALL, 0, false},
	{"ANSWERED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_ANSWERED, false},
	{"DELETED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_DELETED, false},
	{"DRAFT", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_DRAFT, false},
	{"FLAGGED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_FLAGGED, false},
	{"RECENT", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_RECENT, false},
	{"SEEN", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_SEEN, false},
	{"UNANSWERED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_ANSWERED, true},
	{"UNDELETED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_DELETED, true},
	{"UNDRAFT", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_DRAFT, true},
	{"UNFLAGGED", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_FLAGGED, true},
	{"UNSEEN", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_SEEN, true},
	{"OLD", IMAP_SERVER_KEY_FLAG, IMAP_FLAG_RECENT, true},
	{"NEW", IMAP_SERVER_KEY_NEW, 0, false},
};

/* Keys followed by a string: the header (or part) they search. */
static const struct {
	const char *name;
	const char *field;
} imap_server_text_keys[] = {
	{"FROM", "From"}, {"TO", "To"},     {"CC", "Cc"},     {"BCC", "Bcc"},
	{"SUBJECT", "Subject"}, {"BODY", "BODY"}, {"TEXT", "TEXT"},
};

/* Keys followed by a date. */
static const struct {
	const char *name;
	enum imap_server_key_kind kind;
	int cmp;
} imap_server_date_keys[] = {
	{"BEFORE", IMAP_SERVER_KEY_DATE, -1},         {"ON", IMAP_SERVER_KEY_DATE, 0},
	{"SINCE", IMAP_SERVER_KEY_DATE, 1},           {"SENTBEFORE", IMAP_SERVER_KEY_SENTDATE, -1},
	{"SENTON", IMAP_SERVER_KEY_SENTDATE, 0},      {"SENTSINCE", IMAP_SERVER_KEY_SENTDATE, 1},
};

#define IMAP_SERVER_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Search parsing: the arguments, where it has got to, and the first error. */
struct imap_server_search {
	const struct imap_arg *args;
	size_t n, pos;
	const char *err;
};

static bool imap_server_parse_key(struct imap_server_search *p, struct imap_server_key *k,
				  unsigned depth);

/* Every key of a list into an AND node. */
static bool imap_server_parse_keys(const struct imap_arg *args, size_t n,
				   struct imap_server_key *k, unsigned depth, const char **err)
{
	struct imap_server_search p = {args, n, 0, NULL};
	k->kind = IMAP_SERVER_KEY_AND;
	k->kids = xcalloc(n ? n : 1, sizeof *k->kids);
	while (p.pos < n) {
		if (!imap_server_parse_key(&p, &k->kids[k->nkids++], depth + 1)) {
			*err = p.err;
			return false;
		}
	}
	if (n == 0) {
		*err = "Missing search key";
		return false;
	}
	return true;
}

static const char *imap_server_next_string(struct imap_server_search *p)
{
	if (p->pos >= p->n) {
		p->err = "Missing argument to search key";
		return NULL;
	}
	const char *v = imap_arg_str(&p->args[p->pos]);
	if (!v)
		p->err = "Invalid argument to search key";
	p->pos++;
	return v;
}

static bool imap_server_parse_key(struct imap_server_search *p, struct imap_server_key *k,
				  unsigned depth)
{
	memset(k, 0, sizeof *k);
	if (depth > IMAP_SERVER_SEARCH_DEPTH_MAX) {
		p->err = "Search keys nested too deeply";
		return false;
	}
	const struct imap_arg *a = &p->args[p->pos++];
	if (a->type == IMAP_ARG_LIST)
		return imap_server_parse_keys(a->list, a->nlist, k, depth, &p->err);
	if (a->type != IMAP_ARG_ATOM) {
		p->err = "Invalid search key";
		return false;
	}
	for (size_t i = 0; i < IMAP_SERVER_NELEMS(imap_server_simple_keys); i++) {
		if (imap_arg_is(a, imap_server_simple_keys[i].name)) {
			k->kind = imap_server_simple_keys[i].kind;
			k->bit = imap_server_simple_keys[i].bit;
			k->negate = imap_server_simple_keys[i].negate;
			return true;
		}
	}
	for (size_t i = 0; i < IMAP_SERVER_NELEMS(imap_server_text_keys); i++) {
		if (imap_arg_is(a, imap_server_text_keys[i].name)) {
			k->kind = IMAP_SERVER_KEY_TEXT;
			k->field = imap_server_text_keys[i].field;
			k->value = imap_server_next_string(p);
			return k->value != NULL;
		}
	}
	for (size_t i = 0; i < IMAP_SERVER_NELEMS(imap_server_date_keys); i++) {
		if (imap_arg_is(a, imap_server_date_keys[i].name)) {
			k->kind = imap_server_date_keys[i].kind;
			k->cmp = imap_server_date_keys[i].cmp;
			const char *d = imap_server_next_string(p);
			int64_t t = d ? imap_parse_date(d) : -1;
			if (t < 0) {
				p->err = "Invalid date (it is written 1-Feb-1994)";
				return false;
			}
			k->day = imap_server_day(t);
			return true;
		}
	}
	if (imap_arg_is(a, "HEADER")) {
		k->kind = IMAP_SERVER_KEY_TEXT;
		k->field = imap_server_next_string(p);
		k->value = k->field ? imap_server_next_string(p) : NULL;
		return k->value != NULL;
	}
	if (imap_arg_is(a, "KEYWORD") || imap_arg_is(a, "UNKEYWORD")) {
		k->kind = IMAP_SERVER_KEY_KEYWORD;
		k->negate = imap_arg_is(a, "UNKEYWORD");
		k->value = imap_server_next_string(p);
		return k->value != NULL;
	}
	if (imap_arg_is(a, "LARGER") || imap_arg_is(a, "SMALLER")) {
		k->kind = imap_arg_is(a, "LARGER") ? IMAP_SERVER_KEY_LARGER
						   : IMAP_SERVER_KEY_SMALLER;
		uint32_t v;
		if (p->pos >= p->n || !imap_arg_number(&p->args[p->pos], &v)) {
			p->err = "LARGER and SMALLER take a number of octets";
			return false;
		}
		p->pos++;
		k->size = v;
		return true;
	}
	if (imap_arg_is(a, "UID")) {
		k->kind = IMAP_SERVER_KEY_UID;
		const char *v = imap_server_next_string(p);
		if (!v || !imap_seqset_parse(v, &k->set)) {
			p->err = "UID takes a set of UIDs";
			return false;
		}
		return true;
	}
	if (imap_arg_is(a, "NOT") || imap_arg_is(a, "OR")) {
		k->kind = imap_arg_is(a, "NOT") ? IMAP_SERVER_KEY_NOT : IMAP_SERVER_KEY_OR;
		size_t want = k->kind == IMAP_SERVER_KEY_NOT ? 1 : 2;
		k->kids = xcalloc(want, sizeof *k->kids);
		for (size_t i = 0; i < want; i++) {
			if (p->pos >= p->n) {
				p->err = "NOT and OR need keys after them";
				return false;
			}
			if (!imap_server_parse_key(p, &k->kids[k->nkids++], depth + 1))
				return false;
		}
		return true;
	}
	const char *v = imap_arg_str(a);
	if (v && ((v[0] >= '0' && v[0] <= '9') || v[0] == '*') && imap_seqset_parse(v, &k->set)) {
		k->kind = IMAP_SERVER_KEY_SEQ;
		return true;
	}
	p->err = "Unknown search key";
	return false;
}

/* One message being tested: its content is loaded only if a key needs it. */
struct imap_server_candidate {
	size_t seq;        /* index in the view */
	bool loaded, present;
};

static bool imap_server_candidate_load(struct imap_server *s, struct imap_server_candidate *m)
{
	if (!m->loaded) {
		m->loaded = true;
		m->present = imap_server_load(s, s->view[m->seq].uid);
	}
	return m->present;
}

/*
 * The day the loaded message's Date: header names, as its writer saw it:
 * SENTBEFORE, SENTON and SENTSINCE disregard time and time zone (RFC 3501
 * 6.4.4), so "Mon, 7 Feb 1994 21:52:25 -0800" is 7 February, although it
 * was already the 8th in UTC.  False if there is no readable Date:.
 */
static bool imap_server_sent_day(struct imap_server *s, int64_t *day)
{
	int64_t t = imap_msg_date(s->content.p, s->content.len);
	if (t < 0)
		return false;
	struct buf field;
	buf_init(&field);
	imap_msg_section(&field, s->content.p, s->content.len, "HEADER.FIELDS (DATE)");
	int64_t offset = 0;
	/* the zone is the last "+hhmm" or "-hhmm" of the field */
	for (size_t i = field.len; i-- > 0;) {
		const char *p = field.p + i;
		if ((*p == '+' || *p == '-') && i + 5 <= field.len) {
			bool digits = true;
			for (int k = 1; k <= 4; k++)
				digits &= p[k] >= '0' && p[k] <= '9';
			if (digits) {
				int64_t hh = (p[1] - '0') * 10 + (p[2] - '0');
				int64_t mm = (p[3] - '0') * 10 + (p[4] - '0');
				offset = (*p == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
				break;
			}
		}
	}
	buf_free(&field);
	*day = imap_server_day(t + offset);
	return true;
}

static bool imap_server_eval(struct imap_server *s, const struct imap_server_key *k,
			     struct imap_server_candidate *m)
{
	const struct imap_msg *msg = &s->view[m->seq];
	bool r = false;
	switch (k->kind) {
	case IMAP_SERVER_KEY_ALL:
		r = true;
		break;
	case IMAP_SERVER_KEY_FLAG:
		r = (msg->flags & k->bit) != 0;
		break;
	case IMAP_SERVER_KEY_NEW:
		r = (msg->flags & (IMAP_FLAG_RECENT | IMAP_FLAG_SEEN)) == IMAP_FLAG_RECENT;
		break;
	case IMAP_SERVER_KEY_KEYWORD:
		r = imap_server_has_keyword(msg->keywords, k->value, strlen(k->value));
		break;
	case IMAP_SERVER_KEY_TEXT:
		r = imap_server_candidate_load(s, m) &&
		    imap_msg_search(s->content.p, s->content.len, k->field, k->value);
		break;
	case IMAP_SERVER_KEY_DATE:
	case IMAP_SERVER_KEY_SENTDATE: {
		int64_t day = imap_server_day(msg->internaldate);
		if (k->kind == IMAP_SERVER_KEY_SENTDATE &&
		    (!imap_server_candidate_load(s, m) || !imap_server_sent_day(s, &day)))
			break;
		r = k->cmp < 0 ? day < k->day : k->cmp == 0 ? day == k->day : day >= k->day;
		break;
	}
	case IMAP_SERVER_KEY_LARGER:
		r = msg->size > k->size;
		break;
	case IMAP_SERVER_KEY_SMALLER:
		r = msg->size < k->size;
		break;
	case IMAP_SERVER_KEY_SEQ:
		r = imap_seqset_contains(&k->set, (uint32_t)(m->seq + 1), (uint32_t)s->nview);
		break;
	case IMAP_SERVER_KEY_UID:
		r = imap_seqset_contains(&k->set, msg->uid,
					 s->nview ? s->view[s->nview - 1].uid : 0);
		break;
	case IMAP_SERVER_KEY_NOT:
		r = !imap_server_eval(s, &k->kids[0], m);
		break;
	case IMAP_SERVER_KEY_OR:
		r = imap_server_eval(s, &k->kids[0], m) || imap_server_eval(s, &k->kids[1], m);
		break;
	case IMAP_SERVER_KEY_AND:
		r = true;
		for (size_t i = 0; i < k->nkids && r; i++)
			r = imap_server_eval(s, &k->kids[i], m);
		break;
	}
	return k->negate ? !r : r;
}

static void imap_server_proceed_search(struct imap_server *s, const struct imap_cmd *c,
				       struct wire *out)
{
	size_t first = 0;
	if (c->nargs >= 2 && imap_arg_is(&c->args[0], "CHARSET")) {
		const char *cs = imap_arg_str(&c->args[1]);
		if (!cs || (strcasecmp(cs, "UTF-8") != 0 && strcasecmp(cs, "US-ASCII") != 0)) {
			wire_line(out, NULL,
				  "* OK [BADCHARSET (UTF-8 US-ASCII)] Charsets supported");
			imap_server_no(s, out, "[BADCHARSET]: this server searches in UTF-8 and "
				       "US-ASCII only",
				       "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
			return;
		}
		first = 2;
	}
	struct imap_server_key root;
	memset(&root, 0, sizeof root);
	const char *err = NULL;
	if (!imap_server_parse_keys(c->args + first, c->nargs - first, &root, 0, &err)) {
		imap_server_key_free(&root);
		imap_server_bad(s, out, "SEARCH keys are words like UNSEEN, FROM \"bob\", "
				"SINCE 1-Feb-1994, joined by OR, NOT and parentheses", "%s", err);
		return;
	}
	imap_server_catch_up(s, c, out); /* search the flags as they are now */
	struct buf b;
	buf_init(&b);
	buf_adds(&b, "* SEARCH");
	for (size_t i = 0; i < s->nview; i++) {
		struct imap_server_candidate m = {i, false, false};
		if (!imap_server_eval(s, &root, &m))
			continue;
		buf_addc(&b, ' ');
		buf_add_u64(&b, c->uid ? s->view[i].uid : i + 1);
	}
	imap_server_send(out, c->uid ? "SEARCH: the UIDs of the messages that match"
				     : "SEARCH: the numbers of the messages that match", &b);
	buf_free(&b);
	imap_server_key_free(&root);
	imap_server_ok(s, out, NULL, "SEARCH completed");
}

/* ---- FETCH (RFC 3501 6.4.5, 7.4.2) */

enum imap_server_item_kind {
	IMAP_SERVER_ITEM_UID,
	IMAP_SERVER_ITEM_FLAGS,
	IMAP_SERVER_ITEM_INTERNALDATE,
	IMAP_SERVER_ITEM_SIZE,
	IMAP_SERVER_ITEM_ENVELOPE,
	IMAP_SERVER_ITEM_BODY,          /* BODY without [...]: the structure, short form */
	IMAP_SERVER_ITEM_BODYSTRUCTURE,
	IMAP_SERVER_ITEM_SECTION,       /* BODY[...], BODY.PEEK[...], RFC822, RFC822.HEADER/TEXT */
};

struct imap_server_item {
	enum imap_server_item_kind kind;
	const char *label;      /* the name in the response: "RFC822.HEADER" (SECTION only) */
	char *section;          /* SECTION: the text between [ and ], malloc'd */
	bool bracket;           /* SECTION: reported as BODY[section] */
	bool sets_seen;         /* reading it marks the message \Seen */
	bool partial;
	uint32_t origin, count; /* partial: <origin.count> */
};

struct imap_server_fetch {
	struct imap_server_item *items;
	size_t n;
	bool content;           /* some item needs the message's content */
	bool sets_seen;
	bool has_uid, has_flags;
};

static void imap_server_fetch_free(struct imap_server_fetch *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->items[i].section);
	free(f->items);
}

static void imap_server_fetch_add(struct imap_server_fetch *f, enum imap_server_item_kind kind)
{
	struct imap_server_item *it = &f->items[f->n++];
	memset(it, 0, sizeof *it);
	it->kind = kind;
	f->has_uid |= kind == IMAP_SERVER_ITEM_UID;
	f->has_flags |= kind == IMAP_SERVER_ITEM_FLAGS;
	f->content |= kind == IMAP_SERVER_ITEM_ENVELOPE || kind == IMAP_SERVER_ITEM_BODY ||
		      kind == IMAP_SERVER_ITEM_BODYSTRUCTURE || kind == IMAP_SERVER_ITEM_SECTION;
}

/* "<0.10>": false if malformed. */
static bool imap_server_parse_partial(const char *p, struct imap_server_item *it)
{
	uint64_t v[2] = {0, 0};
	for (int k = 0; k < 2; k++) {
		const char *start = p;
		while (*p >= '0' && *p <= '9') {
			v[k] = v[k] * 10 + (uint64_t)(*p++ - '0');
			if (v[k] > UINT32_MAX)
				return false;
		}
		if (p == start || *p++ != (k == 0 ? '.' : '>'))
			return false;
	}
	if (*p || v[1] == 0)
		return false;
	it->partial = true;
	it->origin = (uint32_t)v[0];
	it->count = (uint32_t)v[1];
	return true;
}

/* One fetch attribute (a macro expands to several); false if unknown. */
static bool imap_server_parse_item(struct imap_server_fetch *f, const struct imap_arg *a)
{
	static const struct {
		const char *name;
		enum imap_server_item_kind kind;
	} simple[] = {
		{"UID", IMAP_SERVER_ITEM_UID},
		{"FLAGS", IMAP_SERVER_ITEM_FLAGS},
		{"INTERNALDATE", IMAP_SERVER_ITEM_INTERNALDATE},
		{"RFC822.SIZE", IMAP_SERVER_ITEM_SIZE},
		{"ENVELOPE", IMAP_SERVER_ITEM_ENVELOPE},
		{"BODY", IMAP_SERVER_ITEM_BODY},
		{"BODYSTRUCTURE", IMAP_SERVER_ITEM_BODYSTRUCTURE},
	};
	if (a->type != IMAP_ARG_ATOM)
		return false;
	for (size_t i = 0; i < IMAP_SERVER_NELEMS(simple); i++) {
		if (imap_arg_is(a, simple[i].name)) {
			imap_server_fetch_add(f, simple[i].kind);
			return true;
		}
	}
	static const struct {
		const char *name, *section;
		bool seen;
	} rfc822[] = {
		{"RFC822", "", true},
		{"RFC822.HEADER", "HEADER", false},
		{"RFC822.TEXT", "TEXT", true},
	};
	for (size_t i = 0; i < IMAP_SERVER_NELEMS(rfc822); i++) {
		if (imap_arg_is(a, rfc822[i].name)) {
			imap_server_fetch_add(f, IMAP_SERVER_ITEM_SECTION);
			struct imap_server_item *it = &f->items[f->n - 1];
			it->label = rfc822[i].name;
			it->section = xstrdup(rfc822[i].section);
			it->sets_seen = rfc822[i].seen;
			f->sets_seen |= it->sets_seen;
			return true;
		}
	}
	/* BODY[section]<partial> and BODY.PEEK[section]<partial> */
	const char *open = memchr(a->s, '[', a->len);
	if (!open)
		return false;
	size_t prefix = (size_t)(open - a->s);
	bool peek;
	if (prefix == 4 && strncasecmp(a->s, "BODY", 4) == 0)
		peek = false;
	else if (prefix == 9 && strncasecmp(a->s, "BODY.PEEK", 9) == 0)
		peek = true;
	else
		return false;
	/* The parser ended the word at the section's "]" or after its
	 * partial; the section itself may hold "]" (a header-fld-name is an
	 * astring, RFC 3501 9), so its end is found from the right. */
	const char *close = a->s + a->len - 1;
	if (*close == '>')
		while (close > open && *close != '<')
			close--;
	if (close > open && *close == '<')
		close--;
	if (close <= open || *close != ']')
		return false;
	struct imap_server_item it = {0};
	it.kind = IMAP_SERVER_ITEM_SECTION;
	it.bracket = true;
	it.sets_seen = !peek;
	const char *rest = close + 1;
	size_t nrest = a->len - (size_t)(rest - a->s);
	if (nrest) {
		char partial[48];
		if (rest[0] != '<' || nrest >= sizeof partial)
			return false;
		memcpy(partial, rest + 1, nrest - 1);
		partial[nrest - 1] = '\0';
		if (!imap_server_parse_partial(partial, &it))
			return false;
	}
	it.section = xstrndup(open + 1, (size_t)(close - open - 1));
	struct buf check;
	buf_init(&check);
	int valid = imap_msg_section(&check, "", 0, it.section);
	buf_free(&check);
	if (valid != 0) {
		free(it.section);
		return false;
	}
	imap_server_fetch_add(f, IMAP_SERVER_ITEM_SECTION);
	f->items[f->n - 1] = it;
	f->sets_seen |= it.sets_seen;
	return true;
}

/* The fetch attributes: one atom, a macro, or a parenthesised list. */
static bool imap_server_parse_fetch(const struct imap_arg *a, struct imap_server_fetch *f)
{
	memset(f, 0, sizeof *f);
	size_t n = a->type == IMAP_ARG_LIST ? a->nlist : 1;
	f->items = xcalloc(n + 4, sizeof *f->items); /* + 4: a macro's items */
	if (a->type == IMAP_ARG_ATOM) {
		bool all = imap_arg_is(a, "ALL"), fast = imap_arg_is(a, "FAST"),
		     full = imap_arg_is(a, "FULL");
		if (all || fast || full) {
			imap_server_fetch_add(f, IMAP_SERVER_ITEM_FLAGS);
			imap_server_fetch_add(f, IMAP_SERVER_ITEM_INTERNALDATE);
			imap_server_fetch_add(f, IMAP_SERVER_ITEM_SIZE);
			if (!fast)
				imap_server_fetch_add(f, IMAP_SERVER_ITEM_ENVELOPE);
			if (full)
				imap_server_fetch_add(f, IMAP_SERVER_ITEM_BODY);
			return true;
		}
		return imap_server_parse_item(f, a);
	}
	if (a->type != IMAP_ARG_LIST || a->nlist == 0)
		return false;
	for (size_t i = 0; i < a->nlist; i++)
		if (!imap_server_parse_item(f, &a->list[i]))
			return false;
	return true;
}

/* Body data as a literal: "{n}" CRLF and the octets. */
static void imap_server_add_literal(struct buf *b, const char *p, size_t n)
{
	buf_addc(b, '{');
	buf_add_u64(b, n);
	buf_adds(b, "}\r\n");
	buf_add(b, p, n);
}

/*
 * Mark \Seen, in one set_flags call, every chosen message a non-PEEK body
 * fetch reads that is not \Seen yet (RFC 3501 6.4.5).  seen_now[i] tells
 * which, so their FETCH responses can include the new FLAGS.
 */
static bool imap_server_fetch_mark_seen(struct imap_server *s, const struct imap_server_set *set,
					bool *seen_now)
{
	size_t n = 0;
	uint32_t *uids = xcalloc(set->count ? set->count : 1, sizeof *uids);
	struct imap_msg *values = xcalloc(set->count ? set->count : 1, sizeof *values);
	IMAP_SERVER_FOR_EACH(set, i) {
		if (s->view[i].flags & IMAP_FLAG_SEEN)
			continue;
		uids[n] = s->view[i].uid;
		values[n] = s->view[i];
		values[n].flags |= IMAP_FLAG_SEEN;
		n++;
	}
	bool ok = n == 0 || (s->ops.set_flags &&
			     s->ops.set_flags(s->ctx, s->folder, uids, values, n) == IMAP_OK);
	if (ok) {
		IMAP_SERVER_FOR_EACH(set, i) {
			if (!(s->view[i].flags & IMAP_FLAG_SEEN)) {
				s->view[i].flags |= IMAP_FLAG_SEEN;
				seen_now[i - set->spans[0].lo] = true;
			}
		}
	}
	free(uids);
	free(values);
	return ok;
}

static void imap_server_fetch_section(struct imap_server *s, struct buf *b,
				      const struct imap_server_item *it, struct buf *data)
{
	if (it->bracket)
		buf_printf(b, "BODY[%s]", it->section);
	else
		buf_adds(b, it->label);
	if (it->partial)
		buf_printf(b, "<%" PRIu32 ">", it->origin);
	buf_addc(b, ' ');
	buf_clear(data);
	imap_msg_section(data, s->content.p, s->content.len, it->section);
	size_t from = 0, n = data->len;
	if (it->partial) {
		from = it->origin < data->len ? it->origin : data->len;
		n = data->len - from < it->count ? data->len - from : it->count;
	}
	imap_server_add_literal(b, data->p + from, n);
}

static void imap_server_proceed_fetch(struct imap_server *s, const struct imap_cmd *c,
				      struct wire *out)
{
	struct imap_server_fetch f;
	struct imap_server_set set;
	if (!imap_server_parse_fetch(&c->args[1], &f)) {
		imap_server_fetch_free(&f);
		imap_server_bad(s, out, "FETCH items are words like FLAGS, UID, ENVELOPE, "
				"BODY.PEEK[HEADER], alone or in parentheses",
				"Invalid fetch attribute");
		return;
	}
	/* the set names messages as they are now (and a BODY[] fetch adds
	 * \Seen to the flags as they are now) */
	imap_server_catch_up(s, c, out);
	if (!imap_server_resolve_arg(s, c, &c->args[0], &set, out)) {
		imap_server_fetch_free(&f);
		return;
	}
	/* seen_now is indexed from the first chosen message */
	size_t span = set.n ? set.spans[set.n - 1].hi - set.spans[0].lo : 0;
	bool *seen_now = xcalloc(span ? span : 1, sizeof *seen_now);
	if (f.sets_seen && !s->read_only && !imap_server_fetch_mark_seen(s, &set, seen_now)) {
		free(seen_now);
		free(set.spans);
		imap_server_fetch_free(&f);
		imap_server_no(s, out, "[SERVERBUG]: the store could not mark the messages \\Seen",
			       "[SERVERBUG] Could not set \\Seen");
		return;
	}
	struct buf b, data;
	buf_init(&b);
	buf_init(&data);
	bool missing = false;
	IMAP_SERVER_FOR_EACH(&set, i) {
		const struct imap_msg *m = &s->view[i];
		if (f.content && !imap_server_load(s, m->uid)) {
			missing = true; /* expunged by another session, not yet told */
			continue;
		}
		buf_clear(&b);
		buf_adds(&b, "* ");
		buf_add_u64(&b, i + 1);
		buf_adds(&b, " FETCH (");
		bool first = true;
		if (c->uid && !f.has_uid) {
			buf_adds(&b, "UID ");
			buf_add_u64(&b, m->uid);
			first = false;
		}
		for (size_t k = 0; k < f.n; k++) {
			const struct imap_server_item *it = &f.items[k];
			if (!first)
				buf_addc(&b, ' ');
			first = false;
			switch (it->kind) {
			case IMAP_SERVER_ITEM_UID:
				buf_adds(&b, "UID ");
				buf_add_u64(&b, m->uid);
				break;
			case IMAP_SERVER_ITEM_FLAGS:
				buf_adds(&b, "FLAGS ");
				imap_server_add_flags(&b, m->flags, m->keywords);
				break;
			case IMAP_SERVER_ITEM_INTERNALDATE:
				buf_adds(&b, "INTERNALDATE \"");
				imap_format_datetime(&b, m->internaldate);
				buf_addc(&b, '"');
				break;
			case IMAP_SERVER_ITEM_SIZE:
				buf_adds(&b, "RFC822.SIZE ");
				buf_add_u64(&b, m->size);
				break;
			case IMAP_SERVER_ITEM_ENVELOPE:
				buf_adds(&b, "ENVELOPE ");
				imap_msg_envelope(&b, s->content.p, s->content.len);
				break;
			case IMAP_SERVER_ITEM_BODY:
			case IMAP_SERVER_ITEM_BODYSTRUCTURE:
				buf_adds(&b, it->kind == IMAP_SERVER_ITEM_BODY ? "BODY "
									       : "BODYSTRUCTURE ");
				imap_msg_bodystructure(&b, s->content.p, s->content.len,
						       it->kind == IMAP_SERVER_ITEM_BODYSTRUCTURE);
				break;
			case IMAP_SERVER_ITEM_SECTION:
				imap_server_fetch_section(s, &b, it, &data);
				break;
			}
		}
		if (!f.has_flags && seen_now[i - set.spans[0].lo]) {
			buf_adds(&b, " FLAGS ");
			imap_server_add_flags(&b, m->flags, m->keywords);
		}
		buf_addc(&b, ')');
		imap_server_send(out, "FETCH: the data the client asked for about this message",
				 &b);
	}
	buf_free(&b);
	buf_free(&data);
	free(seen_now);
	free(set.spans);
	imap_server_fetch_free(&f);
	if (missing)
		imap_server_no_expunged(s, out);
	else
		imap_server_ok(s, out, NULL, "FETCH completed");
}

/* ---- STORE (RFC 3501 6.4.6) */

/* -FLAGS: remove each keyword of `drop` from list. */
static void imap_server_remove_keywords(char *list, const char *drop)
{
	char kept[IMAP_KEYWORDS_MAX_OCTETS] = "";
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, " ");
		if (n && !imap_server_has_keyword(drop, p, n))
			imap_server_add_keyword(kept, p, n);
		p += n;
		while (*p == ' ')
			p++;
	}
	memcpy(list, kept, sizeof kept);
}

static void imap_server_proceed_store(struct imap_server *s, const struct imap_cmd *c,
				      struct wire *out)
{
	/* +FLAGS and -FLAGS change the message's flags as they are now, with
	 * what other sessions did since this one last looked (RFC 3501 6.4.6):
	 * catch up first */
	imap_server_catch_up(s, c, out);
	const struct imap_arg *what = &c->args[1];
	int mode; /* 0 replace, 1 add, -1 remove */
	bool silent = false;
	if (what->type != IMAP_ARG_ATOM) {
		imap_server_bad(s, out, imap_server_note_syntax,
				"Syntax: STORE set [+|-]FLAGS[.SILENT] (flags)");
		return;
	}
	const char *w = what->s;
	size_t wn = what->len;
	mode = w[0] == '+' ? 1 : w[0] == '-' ? -1 : 0;
	if (mode) {
		w++;
		wn--;
	}
	if (wn == 12 && strncasecmp(w, "FLAGS.SILENT", 12) == 0)
		silent = true;
	else if (!(wn == 5 && strncasecmp(w, "FLAGS", 5) == 0)) {
		imap_server_bad(s, out, "STORE changes FLAGS, +FLAGS or -FLAGS, optionally .SILENT",
				"Invalid STORE data item");
		return;
	}
	uint32_t flags;
	char keywords[IMAP_KEYWORDS_MAX_OCTETS];
	const char *err = NULL;
	if (!imap_server_parse_flags(c->args + 2, c->nargs - 2, &flags, keywords, &err)) {
		imap_server_bad(s, out, "flags are \\Seen \\Answered \\Flagged \\Deleted "
				"\\Draft or keywords; \\Recent belongs to the server", "%s", err);
		return;
	}
	struct imap_server_set set;
	if (!imap_server_resolve_arg(s, c, &c->args[0], &set, out))
		return;
	if (s->read_only) {
		free(set.spans);
		imap_server_no(s, out, "[READ-ONLY]: the folder was opened with EXAMINE",
			       "[READ-ONLY] Mailbox is read-only");
		return;
	}
	/* The new flags of every chosen message; only the changed ones go to
	 * the store, in one call. */
	uint32_t *uids = xcalloc(set.count ? set.count : 1, sizeof *uids);
	struct imap_msg *values = xcalloc(set.count ? set.count : 1, sizeof *values);
	size_t n = 0;
	IMAP_SERVER_FOR_EACH(&set, i) {
		struct imap_msg v = s->view[i];
		uint32_t recent = v.flags & IMAP_FLAG_RECENT;
		if (mode == 0) {
			v.flags = flags | recent;
			memcpy(v.keywords, keywords, sizeof v.keywords);
		} else if (mode > 0) {
			v.flags |= flags;
			const char *p = keywords;
			while (*p) {
				size_t k = strcspn(p, " ");
				if (!imap_server_add_keyword(v.keywords, p, k))
					err = "Too many keywords";
				p += k;
				while (*p == ' ')
					p++;
			}
		} else {
			v.flags &= ~flags;
			imap_server_remove_keywords(v.keywords, keywords);
		}
		if (v.flags == s->view[i].flags && strcmp(v.keywords, s->view[i].keywords) == 0)
			continue;
		uids[n] = v.uid;
		values[n++] = v;
	}
	enum imap_result r = IMAP_OK;
	if (err) {
		free(uids);
		free(values);
		free(set.spans);
		imap_server_no(s, out, "a message may hold at most 255 octets of keywords here",
			       "%s", err);
		return;
	}
	if (n)
		r = s->ops.set_flags ? s->ops.set_flags(s->ctx, s->folder, uids, values, n)
				     : IMAP_FAILED;
	if (r != IMAP_OK) {
		free(uids);
		free(values);
		free(set.spans);
		imap_server_no_result(s, out, r);
		return;
	}
	/* The view learns the new flags now, so the next resync does not
	 * report this session's own change back to it; a new keyword is
	 * named first, also to this session and also for .SILENT. */
	bool news = false;
	for (size_t i = 0; i < n; i++)
		news |= imap_server_learn_keywords(s, values[i].keywords);
	if (news)
		imap_server_announce_flags(s, out, false);
	size_t k = 0;
	IMAP_SERVER_FOR_EACH(&set, i) {
		if (k < n && s->view[i].uid == uids[k])
			s->view[i] = values[k++];
	}
	free(uids);
	free(values);
	if (!silent) {
		struct buf b;
		buf_init(&b);
		IMAP_SERVER_FOR_EACH(&set, i) {
			buf_clear(&b);
			buf_adds(&b, "* ");
			buf_add_u64(&b, i + 1);
			buf_adds(&b, " FETCH (");
			if (c->uid) {
				buf_adds(&b, "UID ");
				buf_add_u64(&b, s->view[i].uid);
				buf_addc(&b, ' ');
			}
			buf_adds(&b, "FLAGS ");
			imap_server_add_flags(&b, s->view[i].flags, s->view[i].keywords);
			buf_addc(&b, ')');
			imap_server_send(out, "the message's flags after the STORE; .SILENT would "
					 "leave this line out", &b);
		}
		buf_free(&b);
	}
	free(set.spans);
	imap_server_ok(s, out, NULL, "STORE completed");
}

/* ---- COPY and MOVE (RFC 3501 6.4.7, RFC 6851, RFC 4315) */

static void imap_server_copy(struct imap_server *s, const struct imap_cmd *c, bool move,
			     struct wire *out)
{
	char to[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1];
	if (!imap_server_mailbox(&c->args[1], to)) {
		imap_server_bad(s, out, imap_server_note_syntax, "Syntax: %s set mailbox", c->name);
		return;
	}
	imap_server_catch_up(s, c, out);
	struct imap_server_set set;
	if (!imap_server_resolve_arg(s, c, &c->args[0], &set, out))
		return;
	if (move && s->read_only) {
		free(set.spans);
		imap_server_no(s, out, "[READ-ONLY]: MOVE removes messages, and the folder was "
			       "opened with EXAMINE", "[READ-ONLY] Mailbox is read-only");
		return;
	}
	/* A sequence number may still name a message another session expunged
	 * (its EXPUNGE waits for this command's end): copy none of them, say
	 * why (RFC 2180 4.4.1 lets a server refuse the whole COPY). */
	IMAP_SERVER_FOR_EACH(&set, i) {
		if (imap_server_is_gone(s, s->view[i].uid)) {
			free(set.spans);
			imap_server_no_expunged(s, out);
			return;
		}
	}
	uint32_t *uids = xcalloc(set.count ? set.count : 1, sizeof *uids);
	uint32_t *new_uids = xcalloc(set.count ? set.count : 1, sizeof *new_uids);
	size_t n = 0;
	IMAP_SERVER_FOR_EACH(&set, i)
		uids[n++] = s->view[i].uid;
	uint32_t uidvalidity = 0;
	enum imap_result r = IMAP_OK;
	if (n)
		r = s->ops.copy ? s->ops.copy(s->ctx, s->folder, uids, n, to, move, new_uids,
					      &uidvalidity)
				: IMAP_FAILED;
	if (r == IMAP_NO_SUCH && to[0]) {
		imap_server_no(s, out, imap_server_note_trycreate,
			       "[TRYCREATE] Mailbox doesn't exist");
	} else if (r != IMAP_OK) {
		imap_server_no_result(s, out, r);
	} else if (n == 0) {
		imap_server_ok(s, out, NULL, "No messages %s", move ? "moved" : "copied");
	} else {
		struct buf code;
		buf_init(&code);
		buf_printf(&code, "COPYUID %" PRIu32 " ", uidvalidity);
		imap_server_add_uidset(&code, uids, n);
		buf_addc(&code, ' ');
		imap_server_add_uidset(&code, new_uids, n);
		if (!move) {
			imap_server_ok(s, out, "COPYUID: the target's UIDVALIDITY, the UIDs copied "
				       "and the UIDs the copies got, in the same order (RFC 4315)",
				       "[%s] COPY completed", code.p);
		} else {
			wire_line(out, "COPYUID: the target's UIDVALIDITY, the UIDs moved and the "
				  "UIDs they have there now (RFC 4315, RFC 6851)",
				  "* OK [%s] Moved", code.p);
			size_t keep = 0, k = 0;
			for (size_t i = 0; i < s->nview; i++) {
				if (k < n && s->view[i].uid == uids[k]) {
					k++;
					wire_line(out, imap_server_note_move, "* %zu EXPUNGE",
						  keep + 1);
					continue;
				}
				s->view[keep++] = s->view[i];
			}
			s->nview = keep;
			imap_server_ok(s, out, NULL, "MOVE completed");
		}
		buf_free(&code);
	}
	free(uids);
	free(new_uids);
	free(set.spans);
}

static void imap_server_proceed_copy(struct imap_server *s, const struct imap_cmd *c,
				     struct wire *out)
{
	imap_server_copy(s, c, false, out);
}

static void imap_server_proceed_move(struct imap_server *s, const struct imap_cmd *c,
				     struct wire *out)
{
	imap_server_copy(s, c, true, out);
}

/* ---- the table */

#define IMAP_SERVER_ARGS_ANY 255 /* max_args: as many as the parser allows */

struct imap_server_command {
	const char *name;
	imap_server_check_fn *check;
	imap_server_proceed_fn *proceed;
	unsigned char min_args, max_args;
	bool uid;             /* may follow "UID" */
	bool defers_expunge;  /* without UID: no EXPUNGE response while answering (7.4.1) */
	const char *usage;    /* the syntax, for "BAD Syntax: ..." */
};

/* Every command the server knows.  Adding a command is adding a row. */
static const struct imap_server_command imap_server_commands[] = {
	/* any state (RFC 3501 6.1) */
	{"CAPABILITY", NULL, imap_server_proceed_capability, 0, 0, false, false, "CAPABILITY"},
	{"NOOP", NULL, imap_server_proceed_noop, 0, 0, false, false, "NOOP"},
	{"LOGOUT", NULL, imap_server_proceed_logout, 0, 0, false, false, "LOGOUT"},
	/* not authenticated (6.2) */
	{"LOGIN", imap_server_check_not_authenticated, imap_server_proceed_login, 2, 2, false,
	 false, "LOGIN user password"},
	{"AUTHENTICATE", imap_server_check_not_authenticated, imap_server_proceed_authenticate,
	 1, 2, false, false, "AUTHENTICATE mechanism [initial-response]"},
	/* authenticated (6.3) */
	{"ENABLE", imap_server_check_authenticated_only, imap_server_proceed_enable, 1,
	 IMAP_SERVER_ARGS_ANY, false, false, "ENABLE capability..."},
	{"SELECT", imap_server_check_authenticated, imap_server_proceed_select, 1, 1, false,
	 false, "SELECT mailbox"},
	{"EXAMINE", imap_server_check_authenticated, imap_server_proceed_examine, 1, 1, false,
	 false, "EXAMINE mailbox"},
	{"CREATE", imap_server_check_authenticated, imap_server_proceed_create, 1, 1, false,
	 false, "CREATE mailbox"},
	{"DELETE", imap_server_check_authenticated, imap_server_proceed_delete, 1, 1, false,
	 false, "DELETE mailbox"},
	{"RENAME", imap_server_check_authenticated, imap_server_proceed_rename, 2, 2, false,
	 false, "RENAME mailbox new-name"},
	{"SUBSCRIBE", imap_server_check_authenticated, imap_server_proceed_subscribe, 1, 1,
	 false, false, "SUBSCRIBE mailbox"},
	{"UNSUBSCRIBE", imap_server_check_authenticated, imap_server_proceed_unsubscribe, 1, 1,
	 false, false, "UNSUBSCRIBE mailbox"},
	{"LIST", imap_server_check_authenticated, imap_server_proceed_list, 2, 5, false, false,
	 "LIST reference mailbox-pattern"},
	{"LSUB", imap_server_check_authenticated, imap_server_proceed_lsub, 2, 2, false, false,
	 "LSUB reference mailbox-pattern"},
	{"STATUS", imap_server_check_authenticated, imap_server_proceed_status, 2, 2, false,
	 false, "STATUS mailbox (items)"},
	{"APPEND", imap_server_check_authenticated, imap_server_proceed_append, 2, 4, false,
	 false, "APPEND mailbox [(flags)] [date-time] literal"},
	{"IDLE", imap_server_check_authenticated, imap_server_proceed_idle, 0, 0, false, false,
	 "IDLE"},
	{"NAMESPACE", imap_server_check_authenticated, imap_server_proceed_namespace, 0, 0,
	 false, false, "NAMESPACE"},
	/* selected (6.4) */
	{"CHECK", imap_server_check_selected, imap_server_proceed_check, 0, 0, false, false,
	 "CHECK"},
	{"CLOSE", imap_server_check_selected, imap_server_proceed_close, 0, 0, false, false,
	 "CLOSE"},
	{"UNSELECT", imap_server_check_selected, imap_server_proceed_unselect, 0, 0, false,
	 false, "UNSELECT"},
	{"EXPUNGE", imap_server_check_selected, imap_server_proceed_expunge, 0, 1, true, false,
	 "EXPUNGE (UID EXPUNGE set)"},
	{"SEARCH", imap_server_check_selected, imap_server_proceed_search, 1,
	 IMAP_SERVER_ARGS_ANY, true, true, "SEARCH [CHARSET charset] key..."},
	{"FETCH", imap_server_check_selected, imap_server_proceed_fetch, 2, 2, true, true,
	 "FETCH set items"},
	{"STORE", imap_server_check_selected, imap_server_proceed_store, 3,
	 IMAP_SERVER_ARGS_ANY, true, true, "STORE set [+|-]FLAGS[.SILENT] (flags)"},
	{"COPY", imap_server_check_selected, imap_server_proceed_copy, 2, 2, true, false,
	 "COPY set mailbox"},
	{"MOVE", imap_server_check_selected, imap_server_proceed_move, 2, 2, true, false,
	 "MOVE set mailbox"},
};

/* The row for a command name (the parser upper-cased it), or NULL. */
static const struct imap_server_command *imap_server_lookup(const char *name)
{
	for (size_t i = 0; i < IMAP_SERVER_NELEMS(imap_server_commands); i++)
		if (strcmp(imap_server_commands[i].name, name) == 0)
			return &imap_server_commands[i];
	return NULL;
}

/* ------------------------------------------------------------- 6. feeding */

/* The text of the framed command without its CRLF, NUL-terminated. */
static char *imap_server_line_text(struct imap_server *s)
{
	struct buf *b = &s->framer.cmd;
	size_t n = b->len;
	while (n > 0 && (b->p[n - 1] == '\n' || b->p[n - 1] == '\r'))
		n--;
	return xstrndup(b->p, n);
}

/* One whole command, as the framer cut it. */
static void imap_server_command(struct imap_server *s, struct wire *out)
{
	s->expunge_ok = true;
	if (s->state == IMAP_SERVER_STATE_AUTHENTICATE || s->state == IMAP_SERVER_STATE_IDLE) {
		/* not a command: the answer to "+ " or the DONE that ends IDLE;
		 * s->tag is still the tag of the command that waits */
		char *line = imap_server_line_text(s);
		if (s->state == IMAP_SERVER_STATE_AUTHENTICATE)
			imap_server_auth_response(s, line, out);
		else
			imap_server_idle_line(s, line, out);
		free(line);
		return;
	}
	struct imap_cmd cmd;
	memset(&cmd, 0, sizeof cmd);
	char err[256] = "";
	if (imap_parse_command(s->framer.cmd.p, s->framer.cmd.len, &cmd, err, sizeof err) != 0) {
		snprintf(s->tag, sizeof s->tag, "%s", cmd.tag);
		if (!err[0])
			snprintf(err, sizeof err, "Syntax error");
		if (s->tag[0])
			imap_server_bad(s, out, "the server could not read this command: the text "
					"after BAD says where it went wrong", "%s", err);
		else
			wire_line(out, "a command starts with a tag (any word, such as a1), then "
				  "the command's name", "* BAD %s", err);
		imap_cmd_free(&cmd);
		return;
	}
	snprintf(s->tag, sizeof s->tag, "%s", cmd.tag);
	const struct imap_server_command *c = imap_server_lookup(cmd.name);
	if (!c) {
		imap_server_bad(s, out, "the server does not know this command; CAPABILITY lists "
				"the extensions it offers", "Unknown command");
	} else if (cmd.uid && !c->uid) {
		imap_server_bad(s, out, "UID goes only before FETCH, STORE, COPY, MOVE, SEARCH and "
				"EXPUNGE", "Invalid UID command");
	} else if (!c->check || c->check(s, out)) {
		s->expunge_ok = cmd.uid || !c->defers_expunge;
		if (cmd.nargs < c->min_args ||
		    (c->max_args != IMAP_SERVER_ARGS_ANY && cmd.nargs > c->max_args))
			imap_server_bad(s, out, "the command has too few or too many arguments; "
					"the text shows its form", "Syntax: %s%s",
					cmd.uid ? "UID " : "", c->usage);
		else
			c->proceed(s, &cmd, out);
	}
	imap_cmd_free(&cmd);
}

/*
 * The framer refused a command: a literal announced over the limit (it was
 * refused before any octet was kept), or a line over IMAP_LINE_MAX_OCTETS
 * (thrown away to its end).  A refused line where AUTHENTICATE or IDLE
 * waited ends the wait, answered with the waiting command's tag.
 */
static void imap_server_refused(struct imap_server *s, bool too_big, struct wire *out)
{
	s->expunge_ok = true;
	if (s->state == IMAP_SERVER_STATE_AUTHENTICATE || s->state == IMAP_SERVER_STATE_IDLE) {
		imap_server_enter_state(s, s->state == IMAP_SERVER_STATE_IDLE
						   ? s->idle_return
						   : IMAP_SERVER_STATE_NOT_AUTHENTICATED);
		imap_server_bad(s, out, "the line sent in answer was refused, so the exchange "
				"ends here", "%s", s->framer.err);
		return;
	}
	snprintf(s->tag, sizeof s->tag, "%s", s->framer.tag);
	if (too_big && s->tag[0])
		imap_server_no(s, out, "[TOOBIG]: the literal announced is larger than this server "
			       "accepts, so it was refused before any of it was read (RFC 7889)",
			       "[TOOBIG] %s", s->framer.err);
	else if (too_big)
		wire_line(out, "the literal announced is larger than this server accepts",
			  "* BAD [TOOBIG] %s", s->framer.err);
	else if (s->tag[0])
		imap_server_bad(s, out, "a command line (literals not counted) may hold at most "
				"64 KiB here; the whole command was thrown away", "%s",
				s->framer.err);
	else
		wire_line(out, "a command line (literals not counted) may hold at most 64 KiB here",
			  "* BAD %s", s->framer.err);
}

/*
 * Feed bytes from the client.  The framer collects a whole command (a line,
 * or lines with literals between them); a synchronizing literal "{n}" gets
 * "+ Ready for literal data" first (RFC 3501 7.5), a non-synchronizing
 * "{n+}" (LITERAL+) does not wait.  Sizes are checked when announced, so
 * nothing over the limits is ever buffered.  Every command is answered
 * before the next is read.
 */
size_t imap_server_feed(struct imap_server *s, const char *in, size_t len, struct wire *out)
{
	size_t used = 0;
	while (s->state != IMAP_SERVER_STATE_LOGOUT) {
		enum imap_frame what = IMAP_FRAME_MORE;
		size_t n = imap_framer_feed(&s->framer, in + used, len - used, &what);
		used += n;
		switch (what) {
		case IMAP_FRAME_MORE:
			if (n == 0 || used == len)
				return used;
			break;
		case IMAP_FRAME_CONTINUE:
			wire_line(out, "\"+\": the server is ready for the literal the client "
				  "announced with {n}: exactly n octets follow",
				  "+ Ready for literal data");
			break;
		case IMAP_FRAME_COMMAND:
			imap_server_command(s, out);
			imap_framer_next(&s->framer);
			break;
		case IMAP_FRAME_TOO_BIG:
		case IMAP_FRAME_LINE_TOO_LONG:
			imap_server_refused(s, what == IMAP_FRAME_TOO_BIG, out);
			break;
		}
	}
	return used;
}
