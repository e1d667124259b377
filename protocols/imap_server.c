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
 * folder - the UIDs and flags it has told its client about, in UID order -
 * and tells its client what others changed: before each tagged response,
 * and at once while the client idles (imap_server_view.c).
 *
 * The engine is a family of files that share imap_server_int.h (the
 * session's insides and the helpers they all use; nothing outside the
 * family includes it):
 *   imap_server.c          this file: the session, the helpers every
 *                          command uses, the command table, feeding bytes
 *   imap_server_view.c     the selected folder's view: message sets mapped
 *                          to it, and keeping it in step with the store
 *   imap_server_mailbox.c  the commands of the authenticated state: SELECT,
 *                          CREATE, LIST, STATUS, APPEND...
 *   imap_server_search.c   SEARCH and its keys
 *   imap_server_fetch.c    FETCH: its items, sections and partials
 *   imap_server_selected.c the other commands of the selected state: CHECK,
 *                          CLOSE, UNSELECT, EXPUNGE, STORE, COPY, MOVE
 *
 * A reading guide to this file, in file order:
 *   1. the states (their enum is in imap_server_int.h)
 *   2. the session, and imap_server_enter_state(), the one door that
 *      changes its state
 *   3. small helpers: tagged responses, mailbox names, flags
 *   4. the commands, each a check ("may it run now?") and a proceed ("do
 *      it"): here the checks, the commands of any state, LOGIN,
 *      AUTHENTICATE and IDLE; the others in the files above
 *   5. the command table imap_server_commands[]
 *   6. feeding bytes: the framer cuts commands (literals included), the
 *      parser makes them arguments, the table runs them
 *
 * Every command is answered by one tagged line: OK (done), NO (understood
 * but it failed) or BAD (not understood, or not allowed now).  Response
 * codes in brackets ([TRYCREATE], [UIDVALIDITY 7]) are for client programs;
 * the text after them is for people.
 */
#include "imap_server_int.h"
#include "i18n.h"
#include "mime.h"
#include "sasl.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What CAPABILITY always lists; then STARTTLS, and AUTH=PLAIN or
 * LOGINDISABLED, as imap_server_capabilities() says. */
#define IMAP_SERVER_CAPABILITIES                                                     \
	"IMAP4rev1 LITERAL+ SASL-IR ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT "    \
	"SPECIAL-USE"

/* ------------------------------------------------------------ 1. states */

static const char *const imap_server_state_names[] = {
	[IMAP_SERVER_STATE_NOT_AUTHENTICATED] = "NOT_AUTHENTICATED",
	[IMAP_SERVER_STATE_AUTHENTICATE] = "AUTHENTICATE",
	[IMAP_SERVER_STATE_AUTHENTICATED] = "AUTHENTICATED",
	[IMAP_SERVER_STATE_SELECTED] = "SELECTED",
	[IMAP_SERVER_STATE_IDLE] = "IDLE",
	[IMAP_SERVER_STATE_LOGOUT] = "LOGOUT",
};

/* ----------------------------------------------------------- 2. session */

/* struct imap_server is in imap_server_int.h: the whole family uses it. */

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
void imap_server_enter_state(struct imap_server *s, enum imap_server_state next)
{
	assert(s->state != IMAP_SERVER_STATE_LOGOUT); /* LOGOUT is the end: no way out */
	assert(next != IMAP_SERVER_STATE_SELECTED || s->folder); /* SELECT set the folder */
	assert(next != IMAP_SERVER_STATE_IDLE || s->state == IMAP_SERVER_STATE_AUTHENTICATED ||
	       s->state == IMAP_SERVER_STATE_SELECTED);
	if (next != IMAP_SERVER_STATE_SELECTED && next != IMAP_SERVER_STATE_IDLE)
		imap_server_drop_view(s);
	s->state = next;
}

struct imap_server *imap_server_new(const struct imap_server_config *cfg,
				    const struct imap_server_ops *ops, void *ctx)
{
	struct imap_server *s = xcalloc(1, sizeof *s);
	s->hostname = xstrdup(cfg && cfg->hostname ? cfg->hostname : "localhost");
	s->tls_offered = cfg && cfg->tls_offered;
	s->tls_active = cfg && cfg->tls_active;
	s->plaintext_auth = cfg && cfg->plaintext_auth;
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

/* Are passwords refused here until STARTTLS (RFC 3501 6.2.3)?  Only when
 * the host can start TLS and the lab has not asked for plaintext logins. */
static bool imap_server_login_disabled(const struct imap_server *s)
{
	return s->tls_offered && !s->tls_active && !s->plaintext_auth;
}

/* The capability list now: STARTTLS while TLS can still be started, and
 * LOGINDISABLED instead of AUTH=PLAIN while a password would go in
 * plaintext (RFC 3501 6.2.3, as Dovecot does). */
static const char *imap_server_capabilities(const struct imap_server *s)
{
	if (imap_server_login_disabled(s))
		return IMAP_SERVER_CAPABILITIES " STARTTLS LOGINDISABLED";
	if (s->tls_offered && !s->tls_active)
		return IMAP_SERVER_CAPABILITIES " STARTTLS AUTH=PLAIN";
	return IMAP_SERVER_CAPABILITIES " AUTH=PLAIN";
}

void imap_server_start(struct imap_server *s, struct wire *out)
{
	wire_line(out, imap_server_login_disabled(s)
			       ? N_("IMAP (RFC 3501): the server is ready; STARTTLS and LOGINDISABLED "
				    "say it wants TLS before any password")
			       : N_("IMAP (RFC 3501): the server is ready and lists what it can do; the "
				    "client logs in next"),
		  "* OK [CAPABILITY %s] %s IMAP4rev1 server ready", imap_server_capabilities(s),
		  s->hostname);
}

bool imap_server_closed(const struct imap_server *s)
{
	return s->state == IMAP_SERVER_STATE_LOGOUT;
}

const char *imap_server_state_name(const struct imap_server *s)
{
	assert((size_t)s->state < IMAP_SERVER_NELEMS(imap_server_state_names));
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

/* ----------------------------------------------------------- 3. helpers */

/* One response line that was built in a buf (it may hold literals). */
void imap_server_send(struct wire *out, const char *note, const struct buf *b)
{
	if (note)
		wire_note_here(out, note);
	wire_raw(out, b->p, b->len);
	wire_raw(out, "\r\n", 2);
}

/*
 * The tagged response that ends a command: "TAG OK ...", "TAG NO ...",
 * "TAG BAD ..." (status); imap_server_ok(), _no() and _bad() name it.
 * Whatever changed in the selected folder is told first, so the client's
 * view is up to date when its command completes.
 */
void imap_server_tagged(struct imap_server *s, struct wire *out, const char *status,
			const char *note, const char *fmt, ...)
{
	assert(s && out && status);
	imap_server_resync(s, out, false, s->expunge_ok);
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "%s %s ", s->tag[0] ? s->tag : "*", status);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	wire_line(out, note, "%s", b.p);
	buf_free(&b);
}

/* The note of a BAD for arguments of the wrong shape. */
const char *const imap_server_note_syntax =
	N_("BAD: the server could not read the command's arguments; the text shows the form it "
	   "expects");

/* Not for "": CREATE "" would fail, so a client told to try it would loop. */
const char *const imap_server_note_trycreate =
	N_("[TRYCREATE]: there is no such folder; the client may CREATE it and try again");

/* A failed host operation on a folder, as NO with the RFC 5530 code. */
void imap_server_no_result(struct imap_server *s, struct wire *out, enum imap_result r)
{
	switch (r) {
	case IMAP_NO_SUCH:
		imap_server_no(s, out, N_("[NONEXISTENT]: there is no folder of that name "
					  "(RFC 5530)"),
			       "[NONEXISTENT] Mailbox doesn't exist");
		break;
	case IMAP_EXISTS:
		imap_server_no(s, out, N_("[ALREADYEXISTS]: a folder of that name is there already "
			          "(RFC 5530)"), "[ALREADYEXISTS] Mailbox already exists");
		break;
	case IMAP_REFUSED:
		imap_server_no(s, out, N_("[CANNOT]: the server does not allow this, however often "
			          "it is tried (RFC 5530)"), "[CANNOT] Operation not permitted");
		break;
	default:
		imap_server_no(s, out, N_("[SERVERBUG]: the store failed; nothing the client did "
			          "was wrong (RFC 5530)"),
			       "[SERVERBUG] Internal error in the mail store");
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
bool imap_server_mailbox(const struct imap_arg *a,
			 char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1])
{
	assert(a && name);
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
void imap_server_add_flags(struct buf *b, uint32_t flags, const char *keywords)
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
bool imap_server_has_keyword(const char *list, const char *kw, size_t n)
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
bool imap_server_add_keyword(char *list, const char *kw, size_t n)
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
bool imap_server_parse_flags(const struct imap_arg *args, size_t n, uint32_t *flags,
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

/* ---------------------------------------------------------- 4. commands */

/*
 * Each command has a check and a proceed.  The check answers "may it run
 * in this state?" and, if not, answers BAD and returns false; NULL means
 * any state.  The proceed does the work and writes the responses, ending
 * with the tagged one.  The number of arguments has been checked against
 * the command's row already; their types the proceed checks.
 */
typedef bool imap_server_check_fn(struct imap_server *s, struct wire *out);

/* What every check does: true if the session's state allows the command;
 * otherwise BAD, with a note that says what the command needs, and false. */
static bool imap_server_allowed(struct imap_server *s, struct wire *out, bool allowed,
				const char *note)
{
	if (!allowed)
		imap_server_bad(s, out, note, "command not valid in this state");
	return allowed;
}

static bool imap_server_check_not_authenticated(struct imap_server *s, struct wire *out)
{
	return imap_server_allowed(s, out, s->state == IMAP_SERVER_STATE_NOT_AUTHENTICATED,
				   N_("LOGIN and AUTHENTICATE belong to the not-authenticated "
				      "state; this session is logged in already"));
}

static bool imap_server_check_starttls(struct imap_server *s, struct wire *out)
{
	return imap_server_allowed(s, out, s->state == IMAP_SERVER_STATE_NOT_AUTHENTICATED,
				   N_("STARTTLS belongs to the not-authenticated state: TLS comes "
				      "before any login (RFC 3501 6.2.1)"));
}

static bool imap_server_check_authenticated(struct imap_server *s, struct wire *out)
{
	return imap_server_allowed(s, out, s->state == IMAP_SERVER_STATE_AUTHENTICATED ||
						   s->state == IMAP_SERVER_STATE_SELECTED,
				   N_("this command needs a logged-in session: LOGIN first"));
}

/* ENABLE only before a folder is selected (RFC 5161 3.1). */
static bool imap_server_check_authenticated_only(struct imap_server *s, struct wire *out)
{
	return imap_server_allowed(s, out, s->state == IMAP_SERVER_STATE_AUTHENTICATED,
				   N_("ENABLE is allowed only after login and before a folder is "
				      "selected (RFC 5161)"));
}

static bool imap_server_check_selected(struct imap_server *s, struct wire *out)
{
	return imap_server_allowed(
		s, out, s->state == IMAP_SERVER_STATE_SELECTED,
		s->state == IMAP_SERVER_STATE_AUTHENTICATED
			? N_("this command works on the messages of a folder: SELECT one first")
			: N_("this command needs a logged-in session with a folder selected"));
}

/* ---- any state */

static void imap_server_proceed_capability(struct imap_server *s, const struct imap_cmd *c,
					   struct wire *out)
{
	(void)c;
	wire_line(out, N_("CAPABILITY: the extensions this server offers, beyond RFC 3501"),
		  "* CAPABILITY %s", imap_server_capabilities(s));
	imap_server_ok(s, out, NULL, "CAPABILITY completed");
}

static void imap_server_proceed_noop(struct imap_server *s, const struct imap_cmd *c,
				     struct wire *out)
{
	(void)c;
	imap_server_ok(s, out, N_("NOOP does nothing, but gives the server a chance to report "
		          "what changed"), "NOOP completed");
}

static void imap_server_proceed_logout(struct imap_server *s, const struct imap_cmd *c,
				       struct wire *out)
{
	(void)c;
	imap_server_enter_state(s, IMAP_SERVER_STATE_LOGOUT);
	wire_line(out, N_("BYE: the server is about to close the connection; nothing is expunged "
		     "by logging out"), "* BYE %s IMAP4rev1 server logging out", s->hostname);
	imap_server_ok(s, out, NULL, "LOGOUT completed");
}

/* ---- not authenticated */

/* Log in; the tagged OK names the command that did it (LOGIN or AUTHENTICATE). */
static void imap_server_login(struct imap_server *s, const char *command, const char *user,
			      const char *password, struct wire *out)
{
	if (imap_server_login_disabled(s)) {
		imap_server_no(s, out, N_("[PRIVACYREQUIRED]: this server offers TLS and takes no "
					  "password over a plaintext connection: STARTTLS first "
					  "(RFC 3501 6.2.3, RFC 5530)"),
			       "[PRIVACYREQUIRED] Plaintext authentication disallowed on "
			       "non-secure connections: STARTTLS first");
		return;
	}
	if (!s->ops.login || !s->ops.login(s->ctx, user, password)) {
		imap_server_no(s, out, N_("[AUTHENTICATIONFAILED]: the user name or password is "
			          "wrong (RFC 5530)"),
			       "[AUTHENTICATIONFAILED] Invalid credentials");
		return;
	}
	free(s->user);
	s->user = xstrdup(user);
	imap_server_enter_state(s, IMAP_SERVER_STATE_AUTHENTICATED);
	imap_server_ok(s, out, N_("logged in: the AUTHENTICATED state, where folders can be listed "
		          "and selected"), "%s completed", command);
}

static void imap_server_proceed_login(struct imap_server *s, const struct imap_cmd *c,
				      struct wire *out)
{
	assert(c->nargs == 2); /* the table's row */
	const char *user = imap_arg_str(&c->args[0]);
	const char *password = imap_arg_str(&c->args[1]);
	if (!user || !password) {
		imap_server_bad(s, out, N_("LOGIN takes a user name and a password, each an atom "
				   "or a string"), "Syntax: LOGIN user password");
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
		imap_server_bad(s, out, N_("the AUTHENTICATE response must be base64 (RFC 4648)"),
				"Invalid base64 data");
		goto done;
	}
	struct sasl_plain plain;
	if (!sasl_plain_split(&dec, &plain) || sasl_plain_acts_as_other(&plain)) {
		imap_server_no(s, out, N_("PLAIN carries authorization id, NUL, user, NUL, "
			          "password; acting as another user is not allowed (RFC 4616)"),
			       "[AUTHENTICATIONFAILED] Invalid credentials");
		goto done;
	}
	imap_server_login(s, "AUTHENTICATE", plain.user, plain.password, out);
done:
	buf_free(&dec);
}

static void imap_server_proceed_authenticate(struct imap_server *s, const struct imap_cmd *c,
					     struct wire *out)
{
	assert(c->nargs >= 1 && c->nargs <= 2); /* the table's row */
	if (imap_server_login_disabled(s)) {
		imap_server_login(s, "AUTHENTICATE", "", "", out); /* refused: TLS first */
		return;
	}
	if (!imap_arg_is(&c->args[0], "PLAIN")) {
		imap_server_no(s, out, N_("this server offers only AUTH=PLAIN (see CAPABILITY)"),
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
	wire_line(out, N_("\"+ \": the server waits for the credentials, base64-encoded, on the "
		     "next line"), "+ ");
}

/* The line the client sent in answer to AUTHENTICATE's "+ ". */
static void imap_server_auth_response(struct imap_server *s, const char *line, struct wire *out)
{
	assert(s->state == IMAP_SERVER_STATE_AUTHENTICATE);
	imap_server_enter_state(s, IMAP_SERVER_STATE_NOT_AUTHENTICATED);
	if (strcmp(line, "*") == 0) {
		imap_server_bad(s, out, N_("\"*\" cancels an AUTHENTICATE exchange "
					   "(RFC 3501 6.2.2)"),
				"AUTHENTICATE cancelled");
		return;
	}
	imap_server_auth_plain(s, line, out);
}

/* ---- STARTTLS (RFC 3501 6.2.1) */

/*
 * The go-ahead, then the handshake.  The next bytes from the client must be
 * TLS; anything that came after the STARTTLS line in the same packet was
 * sent in plaintext by whoever sits on the path, and imap_server_feed throws
 * it away rather than run it after the handshake as if it had been
 * encrypted (CVE-2011-0411).
 */
static void imap_server_proceed_starttls(struct imap_server *s, const struct imap_cmd *c,
					 struct wire *out)
{
	(void)c;
	if (s->tls_active) {
		imap_server_bad(s, out, N_("this connection is encrypted already; CAPABILITY no "
					   "longer lists STARTTLS"),
				"TLS is already active");
		return;
	}
	if (!s->tls_offered) {
		imap_server_no(s, out, N_("this server has no certificate to offer, so CAPABILITY "
					  "does not list STARTTLS"),
			       "STARTTLS is not offered here");
		return;
	}
	s->tls_pending = true;
	imap_server_ok(s, out, N_("OK to STARTTLS: the TLS handshake comes next; whatever the "
				  "client sent after it in plaintext is thrown away, never run "
				  "(RFC 3501 6.2.1, CVE-2011-0411)"),
		       "Begin TLS negotiation now");
}

bool imap_server_tls_pending(const struct imap_server *s)
{
	return s->tls_pending;
}

/* After the handshake: still not authenticated; the client asks CAPABILITY
 * again (RFC 3501 6.2.1) and gets it without STARTTLS and LOGINDISABLED.
 * No new greeting. */
void imap_server_tls_started(struct imap_server *s)
{
	if (!s->tls_pending)
		return;
	s->tls_pending = false;
	s->tls_active = true;
	imap_framer_next(&s->framer);
}

/* ---- IDLE (RFC 2177) */

static void imap_server_proceed_idle(struct imap_server *s, const struct imap_cmd *c,
				     struct wire *out)
{
	(void)c;
	s->idle_return = s->state;
	imap_server_enter_state(s, IMAP_SERVER_STATE_IDLE);
	wire_line(out, N_("the server will now push news without being asked"), "+ idling");
	imap_server_resync(s, out, true, s->expunge_ok);
}

/* The line that should be DONE. */
static void imap_server_idle_line(struct imap_server *s, const char *line, struct wire *out)
{
	assert(s->state == IMAP_SERVER_STATE_IDLE);
	imap_server_enter_state(s, s->idle_return);
	s->expunge_ok = true;
	if (strcasecmp(line, "DONE") != 0) {
		imap_server_bad(s, out, N_("while idling, the only thing a client may send is DONE "
				   "(RFC 2177)"), "Expected DONE");
		return;
	}
	imap_server_ok(s, out, N_("DONE ends IDLE; the client may send commands again"),
		       "IDLE terminated");
}

/* --------------------------------------------------------- 5. the table */

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

/* Every command the server knows.  Adding a command is adding a row.
 * EXAMINE, UNSUBSCRIBE, LSUB and MOVE share their partner's proceed. */
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
	{"STARTTLS", imap_server_check_starttls, imap_server_proceed_starttls, 0, 0,
	 false, false, "STARTTLS"},
	/* authenticated (6.3) */
	{"ENABLE", imap_server_check_authenticated_only, imap_server_proceed_enable, 1,
	 IMAP_SERVER_ARGS_ANY, false, false, "ENABLE capability..."},
	{"SELECT", imap_server_check_authenticated, imap_server_proceed_select, 1, 1, false,
	 false, "SELECT mailbox"},
	{"EXAMINE", imap_server_check_authenticated, imap_server_proceed_select, 1, 1, false,
	 false, "EXAMINE mailbox"},
	{"CREATE", imap_server_check_authenticated, imap_server_proceed_create, 1, 1, false,
	 false, "CREATE mailbox"},
	{"DELETE", imap_server_check_authenticated, imap_server_proceed_delete, 1, 1, false,
	 false, "DELETE mailbox"},
	{"RENAME", imap_server_check_authenticated, imap_server_proceed_rename, 2, 2, false,
	 false, "RENAME mailbox new-name"},
	{"SUBSCRIBE", imap_server_check_authenticated, imap_server_proceed_subscribe, 1, 1,
	 false, false, "SUBSCRIBE mailbox"},
	{"UNSUBSCRIBE", imap_server_check_authenticated, imap_server_proceed_subscribe, 1, 1,
	 false, false, "UNSUBSCRIBE mailbox"},
	{"LIST", imap_server_check_authenticated, imap_server_proceed_list, 2, 5, false, false,
	 "LIST reference mailbox-pattern"},
	{"LSUB", imap_server_check_authenticated, imap_server_proceed_list, 2, 2, false, false,
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
	{"MOVE", imap_server_check_selected, imap_server_proceed_copy, 2, 2, true, false,
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

/*
 * A line without a tag, typed by hand ("LOGIN bob secret", "select inbox",
 * "CAPABILITY"): the parser took the command's name for the tag.  When the
 * word taken as the tag is itself a command's name (or UID), and what
 * follows is no command, the line most likely lacks its tag: say so.  The
 * answer stays a tagged BAD with the word the server took as the tag
 * (RFC 3501 2.2.1, 7.1.3).  Returns false if the word names no command.
 */
static bool imap_server_missing_tag(struct imap_server *s, const char *word, struct wire *out)
{
	char up[sizeof ((struct imap_cmd *)0)->name];
	size_t n = strlen(word);
	if (n == 0 || n >= sizeof up)
		return false;
	for (size_t i = 0; i <= n; i++)
		up[i] = (char)toupper((unsigned char)word[i]);
	if (strcmp(up, "UID") != 0 && !imap_server_lookup(up))
		return false;
	imap_server_bad(s, out, N_("the server took the first word for the tag, and found no "
			   "command after it: every IMAP command starts with a tag of the "
			   "client's choosing, which the answer repeats (RFC 3501 2.2.1)"),
			"Missing tag? Every IMAP command starts with a tag of the client's "
			"choosing, such as a1: a1 %s ...", up);
	return true;
}

/* ----------------------------------------------------------- 6. feeding */

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
	assert(s->state != IMAP_SERVER_STATE_LOGOUT); /* imap_server_feed stops there */
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
		if (imap_server_missing_tag(s, cmd.tag, out))
			; /* answered */
		else if (s->tag[0])
			imap_server_bad(s, out, N_("the server could not read this command: the "
					   "text after BAD says where it went wrong"), "%s", err);
		else
			wire_line(out, N_("a command starts with a tag (any word, such as a1), "
				     "then the command's name"), "* BAD %s", err);
		imap_cmd_free(&cmd);
		return;
	}
	snprintf(s->tag, sizeof s->tag, "%s", cmd.tag);
	const struct imap_server_command *c = imap_server_lookup(cmd.name);
	if (!c && imap_server_missing_tag(s, cmd.tag, out)) {
		/* answered */
	} else if (!c) {
		imap_server_bad(s, out, N_("the server does not know this command; CAPABILITY "
				   "lists the extensions it offers"), "Unknown command");
	} else if (cmd.uid && !c->uid) {
		imap_server_bad(s, out, N_("UID goes only before FETCH, STORE, COPY, MOVE, SEARCH "
				   "and EXPUNGE"), "Invalid UID command");
	} else if (!c->check || c->check(s, out)) {
		s->expunge_ok = cmd.uid || !c->defers_expunge;
		if (cmd.nargs < c->min_args ||
		    (c->max_args != IMAP_SERVER_ARGS_ANY && cmd.nargs > c->max_args))
			imap_server_bad(s, out, N_("the command has too few or too many arguments; "
					   "the text shows its form"), "Syntax: %s%s",
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
		imap_server_bad(s, out, N_("the line sent in answer was refused, so the exchange "
				   "ends here"), "%s", s->framer.err);
		return;
	}
	snprintf(s->tag, sizeof s->tag, "%s", s->framer.tag);
	if (too_big && s->tag[0])
		imap_server_no(s, out, N_("[TOOBIG]: the literal announced is larger than this "
			          "server accepts, so it was refused before any of it was read "
			          "(RFC 7889)"),
			       "[TOOBIG] %s", s->framer.err);
	else if (too_big)
		wire_line(out, N_("the literal announced is larger than this server accepts"),
			  "* BAD [TOOBIG] %s", s->framer.err);
	else if (s->tag[0])
		imap_server_bad(s, out, N_("a command line (literals not counted) may hold at most "
				   "64 KiB here; the whole command was thrown away"), "%s",
				s->framer.err);
	else
		wire_line(out, N_("a command line (literals not counted) may hold at most 64 KiB "
				  "here"),
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
	assert(s && out && (in || len == 0));
	size_t used = 0;
	while (s->state != IMAP_SERVER_STATE_LOGOUT) {
		if (s->tls_pending)
			return len; /* plaintext after STARTTLS: dropped (CVE-2011-0411) */
		enum imap_frame what = IMAP_FRAME_MORE;
		size_t n = imap_framer_feed(&s->framer, in + used, len - used, &what);
		used += n;
		switch (what) {
		case IMAP_FRAME_MORE:
			if (n == 0 || used == len)
				return used;
			break;
		case IMAP_FRAME_CONTINUE:
			wire_line(out, N_("\"+\": the server is ready for the literal the client "
				     "announced with {n}: exactly n octets follow"),
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
