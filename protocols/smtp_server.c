/*
 * smtp_server.c - the SMTP server engine (RFC 5321), sans-I/O.
 *
 * The engine is fed the client's bytes and appends its replies, each with a
 * teaching note where one helps, to a struct wire.  What a particular mail
 * server accepts (users, passwords, where mail goes) it asks its host through
 * struct smtp_server_ops; everything else -- states, syntax, limits, reply
 * codes -- lives here.
 *
 * A reading guide, in file order:
 *   1. the states, and smtp_server_enter_state(), the one door that changes them
 *   2. the session and its transaction (with the transaction's sticky error)
 *   3. replies the host decides, addresses and MAIL parameters
 *   4. the commands: a check ("may it run now?") and a proceed ("do it") each,
 *      gathered in the command table smtp_server_commands[]
 *   5. AUTH (RFC 4954), strict about its base64
 *   6. the data phase: a byte machine written as a transition table
 *   7. feeding bytes: command lines or message bytes, by state
 *
 * Enhanced status codes (RFC 3463, advertised as ENHANCEDSTATUSCODES per
 * RFC 2034) begin every reply line except the greeting and the EHLO/HELO
 * reply: RFC 2034 section 3 leaves those two out.
 */
#include "smtp.h"
#include "i18n.h"
#include "mime.h"
#include "sasl.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Octets of a command line before its CRLF (RFC 5321 4.5.3.1.4: 512 with it). */
#define SMTP_SERVER_COMMAND_TEXT_MAX_OCTETS (SMTP_COMMAND_LINE_MAX_OCTETS - 2)
/* Octets of a message line before its CRLF (RFC 5321 4.5.3.1.6: 1000 with it). */
#define SMTP_SERVER_TEXT_LINE_TEXT_MAX_OCTETS (SMTP_TEXT_LINE_MAX_OCTETS - 2)
/* The most of an unknown option's name that a reply repeats back. */
#define SMTP_SERVER_ECHO_MAX_OCTETS 64

/* ------------------------------------------------------------ 1. states */

enum smtp_server_state {
	SMTP_SERVER_STATE_CONNECTED,     /* greeted; waiting for EHLO or HELO */
	SMTP_SERVER_STATE_HELO,          /* the client has introduced itself; no transaction */
	SMTP_SERVER_STATE_AUTH_PLAIN,    /* AUTH PLAIN: waiting for the credentials */
	SMTP_SERVER_STATE_AUTH_USERNAME, /* AUTH LOGIN: waiting for the user name */
	SMTP_SERVER_STATE_AUTH_PASSWORD, /* AUTH LOGIN: waiting for the password */
	SMTP_SERVER_STATE_MAIL,          /* a transaction: MAIL accepted, RCPTs coming */
	SMTP_SERVER_STATE_DATA,          /* reading the message, up to CRLF "." CRLF */
	SMTP_SERVER_STATE_CLOSED,        /* said 221: the host closes the connection */
};

static const char *const smtp_server_state_names[] = {
	[SMTP_SERVER_STATE_CONNECTED] = "CONNECTED",
	[SMTP_SERVER_STATE_HELO] = "HELO",
	[SMTP_SERVER_STATE_AUTH_PLAIN] = "AUTH_PLAIN",
	[SMTP_SERVER_STATE_AUTH_USERNAME] = "AUTH_USERNAME",
	[SMTP_SERVER_STATE_AUTH_PASSWORD] = "AUTH_PASSWORD",
	[SMTP_SERVER_STATE_MAIL] = "MAIL",
	[SMTP_SERVER_STATE_DATA] = "DATA",
	[SMTP_SERVER_STATE_CLOSED] = "CLOSED",
};

/* -------------------------------------------- 2. session and transaction */

/* What went wrong with a message during DATA.  The first problem sticks; the
 * engine reads on to the real end of the data and then refuses the message
 * with the matching reply, so the client and server stay in step. */
enum smtp_server_tx_error {
	SMTP_SERVER_TX_OK,
	SMTP_SERVER_TX_BARE_CR_LF, /* a CR or LF not part of a CRLF (2.3.8) */
	SMTP_SERVER_TX_LONG_LINE,  /* a line over 1000 octets (4.5.3.1.6) */
	SMTP_SERVER_TX_TOO_BIG,    /* over the SIZE limit (RFC 1870) */
};

/* Where the data machine is in the current line (see section 6). */
enum smtp_server_data_state {
	SMTP_SERVER_DATA_LINE_START,
	SMTP_SERVER_DATA_TEXT,
	SMTP_SERVER_DATA_CR,
	SMTP_SERVER_DATA_DOT,
	SMTP_SERVER_DATA_DOT_CR,
};

/* One mail transaction: MAIL, RCPTs, DATA (RFC 5321 3.3). */
struct smtp_server_tx {
	char *mail_from;       /* reverse-path without <>, "" for <>; NULL before MAIL */
	bool body_8bit;        /* MAIL ... BODY=8BITMIME */
	char **rcpts;          /* accepted forward-paths, in the order given */
	size_t nrcpts, caprcpts;
	bool rcpt_tried;       /* some RCPT came, even if refused: DATA says 554, not 503 */
	struct buf msg;        /* the message as it arrives, un-stuffed */
	enum smtp_server_data_state dstate; /* the data machine's state */
	size_t line_octets;    /* octets of the current line as sent, CRLF not counted */
	enum smtp_server_tx_error error; /* the sticky error */
};

struct smtp_server {
	char *hostname;                /* names itself in the greeting and EHLO */
	bool submission;               /* port 587: AUTH offered and required */
	size_t max_size;               /* message size limit, octets */
	size_t max_rcpts;              /* accepted recipients per transaction */
	struct smtp_server_ops ops;    /* the host's answers (any may be NULL) */
	void *ctx;                     /* handed back to every op */

	enum smtp_server_state state;  /* changed only by smtp_server_enter_state() */
	char *helo;                    /* the name from EHLO/HELO, or NULL */
	bool esmtp;                    /* the client said EHLO, not HELO */
	char *auth_user;               /* who logged in, or NULL */
	char auth_login_user[SMTP_COMMAND_LINE_MAX_OCTETS]; /* AUTH LOGIN: name given */

	/* The command line being read: its bytes before the LF, at most 510
	 * octets of text and a CR, plus room for a NUL. */
	char line[SMTP_COMMAND_LINE_MAX_OCTETS];
	struct line_reader lr;         /* reads line[] */

	struct smtp_server_tx tx;      /* the transaction; empty outside MAIL/DATA */

	/* The data op deferred its reply: the bytes that arrive meanwhile
	 * wait here, unread, for smtp_server_data_reply(). */
	bool data_pending;
	struct buf held;
};

static void smtp_server_tx_reset(struct smtp_server *s)
{
	struct smtp_server_tx *tx = &s->tx;
	free(tx->mail_from);
	tx->mail_from = NULL;
	tx->body_8bit = false;
	for (size_t i = 0; i < tx->nrcpts; i++)
		free(tx->rcpts[i]);
	tx->nrcpts = 0;
	tx->rcpt_tried = false;
	buf_free(&tx->msg); /* a message may be large: give the memory back */
	tx->dstate = SMTP_SERVER_DATA_LINE_START;
	tx->line_octets = 0;
	tx->error = SMTP_SERVER_TX_OK;
}

/*
 * The one door through which the state changes.  It keeps one invariant:
 * a transaction exists only in the MAIL and DATA states, so entering any
 * other state (after RSET, EHLO, the end of DATA, QUIT) throws away what the
 * transaction held.
 */
static void smtp_server_enter_state(struct smtp_server *s, enum smtp_server_state next)
{
	if (next != SMTP_SERVER_STATE_MAIL && next != SMTP_SERVER_STATE_DATA)
		smtp_server_tx_reset(s);
	s->state = next;
}

struct smtp_server *smtp_server_new(const struct smtp_server_config *cfg,
				    const struct smtp_server_ops *ops, void *ctx)
{
	struct smtp_server *s = xcalloc(1, sizeof *s);
	s->lr = (struct line_reader){ .p = s->line, .cap = sizeof s->line };
	s->hostname = xstrdup(cfg->hostname ? cfg->hostname : "localhost");
	s->submission = cfg->submission;
	s->max_size = cfg->max_size ? cfg->max_size : SMTP_DEFAULT_MAX_SIZE_OCTETS;
	s->max_rcpts = cfg->max_rcpts ? cfg->max_rcpts : SMTP_RECIPIENTS_MAX;
	if (ops)
		s->ops = *ops;
	s->ctx = ctx;
	buf_init(&s->tx.msg);
	buf_init(&s->held);
	s->state = SMTP_SERVER_STATE_CONNECTED; /* the first state, not a change */
	return s;
}

void smtp_server_free(struct smtp_server *s)
{
	if (!s)
		return;
	smtp_server_tx_reset(s);
	free(s->tx.rcpts);
	buf_free(&s->held);
	free(s->hostname);
	free(s->helo);
	free(s->auth_user);
	free(s);
}

void smtp_server_start(struct smtp_server *s, struct wire *out)
{
	wire_line(out, N_("220: the server is ready; the client introduces itself next with EHLO"),
		  "220 %s ESMTP mailsim", s->hostname);
}

bool smtp_server_closed(const struct smtp_server *s)
{
	return s->state == SMTP_SERVER_STATE_CLOSED;
}

const char *smtp_server_state_name(const struct smtp_server *s)
{
	return smtp_server_state_names[s->state];
}

/* ------------------------------ 3. host replies, addresses, MAIL parameters */

/* The envelope as the host sees it.  The strings belong to the engine and
 * stay valid only during the op being called. */
static struct smtp_envelope smtp_server_envelope(const struct smtp_server *s)
{
	return (struct smtp_envelope){
		.helo = s->helo,
		.mail_from = s->tx.mail_from,
		.rcpts = (const char *const *)s->tx.rcpts,
		.nrcpts = s->tx.nrcpts,
		.auth_user = s->auth_user,
		.body_8bit = s->tx.body_8bit,
	};
}

static bool smtp_server_is_refusal(int code)
{
	return code >= 400 && code <= 599;
}

/* A note for a refusal the host sent without one. */
static const char *smtp_server_refusal_note(int code)
{
	if (code >= 500)
		return N_("5xx: a permanent failure; the sending server gives up and bounces the "
			  "message to its sender");
	return N_("4xx: a temporary failure; the sending server keeps the message and tries again later");
}

/* Send a reply the host filled; note_if_none when it gave no note. */
static void smtp_server_send_host_reply(struct wire *out, const struct smtp_reply *r,
					const char *note_if_none)
{
	const char *note = r->note ? r->note : note_if_none;
	int ntext = (int)strcspn(r->text, "\r\n"); /* one line, whatever the host wrote */
	if (r->enh[0])
		wire_line(out, note, "%03d %s %.*s", r->code, r->enh, ntext, r->text);
	else
		wire_line(out, note, "%03d %.*s", r->code, ntext, r->text);
}

/* atext (RFC 5322 3.2.3): the characters of an unquoted local part. */
static bool smtp_server_is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool smtp_server_is_let_dig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Domain (RFC 5321 4.1.2): labels of letters, digits and hyphens, not
 * beginning or ending with a hyphen, at most 63 octets each (RFC 1035), or an
 * address literal in brackets such as [192.0.2.1]. */
static bool smtp_server_valid_domain(const char *d, size_t n)
{
	if (n >= 2 && d[0] == '[') {
		if (d[n - 1] != ']')
			return false;
		for (size_t i = 1; i + 1 < n; i++) {
			unsigned char c = (unsigned char)d[i];
			if (c < 33 || c > 126 || c == '[' || c == ']' || c == '\\')
				return false;
		}
		return n > 2;
	}
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
		} else if (smtp_server_is_let_dig(c) || (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && d[n - 1] != '-';
}

/* Mailbox = Local-part "@" Domain (RFC 5321 4.1.2); the local part is a
 * dot-string (atoms joined by single dots) or a quoted string. */
static bool smtp_server_valid_mailbox(const char *m, size_t n)
{
	size_t i = 0;
	if (n > 0 && m[0] == '"') {
		for (i = 1; i < n && m[i] != '"'; i++) {
			if (m[i] == '\\' && i + 1 < n)
				i++; /* a quoted-pair: backslash and any printable */
			unsigned char c = (unsigned char)m[i];
			if (c < 32 || c > 126)
				return false;
		}
		if (i >= n)
			return false;
		i++; /* the closing quote */
	} else {
		for (; i < n && m[i] != '@'; i++) {
			unsigned char c = (unsigned char)m[i];
			bool dot_ok = c == '.' && i > 0 && m[i - 1] != '.';
			if (!smtp_server_is_atext(c) && !dot_ok)
				return false;
		}
		if (i == 0 || m[i - 1] == '.')
			return false;
	}
	if (i >= n || m[i] != '@')
		return false;
	return smtp_server_valid_domain(m + i + 1, n - i - 1);
}

enum smtp_server_path_result {
	SMTP_SERVER_PATH_OK,
	SMTP_SERVER_PATH_SYNTAX,   /* no "FROM:"/"TO:", or no <...> */
	SMTP_SERVER_PATH_TOO_LONG, /* over 256 octets (4.5.3.1.3) */
	SMTP_SERVER_PATH_BAD,      /* <...> holds no valid mailbox */
};

/*
 * Parse "FROM:<path> params" or "TO:<path> params" (keyword "FROM:" or "TO:").
 * On success path holds the mailbox without <> (at most 254 octets and a
 * NUL: the caller gives SMTP_PATH_MAX_OCTETS) and *params the rest.
 *
 * RFC 5321 4.1.1.2 puts no space after the colon, but many clients and every
 * student at a keyboard write "MAIL FROM: <x>", and real servers accept it:
 * so do we.  A source route "<@relay:user@host>" is accepted and its route
 * ignored (RFC 5321 4.1.1.3 and appendix C).  For MAIL (reverse_path true)
 * "<>" is the null reverse-path that bounces use; for RCPT <Postmaster>
 * needs no domain (4.1.1.3).
 */
static enum smtp_server_path_result
smtp_server_parse_path(const char *args, const char *keyword, bool reverse_path, char *path,
		       const char **params)
{
	size_t nkey = strlen(keyword);
	if (strncasecmp(args, keyword, nkey) != 0)
		return SMTP_SERVER_PATH_SYNTAX;
	const char *p = args + nkey;
	while (*p == ' ')
		p++;
	if (*p != '<')
		return SMTP_SERVER_PATH_SYNTAX;
	/* The closing '>', skipping any inside a quoted local part. */
	const char *end = p + 1;
	for (bool quoted = false; *end && (quoted || *end != '>'); end++) {
		if (*end == '"')
			quoted = !quoted;
		else if (quoted && *end == '\\' && end[1])
			end++;
	}
	if (*end != '>' || (end[1] != '\0' && end[1] != ' '))
		return SMTP_SERVER_PATH_SYNTAX;
	if ((size_t)(end - p) + 1 > SMTP_PATH_MAX_OCTETS)
		return SMTP_SERVER_PATH_TOO_LONG;

	const char *box = p + 1;
	if (*box == '@') { /* a source route: skip it */
		const char *colon = memchr(box, ':', (size_t)(end - box));
		if (!colon)
			return SMTP_SERVER_PATH_BAD;
		box = colon + 1;
	}
	size_t n = (size_t)(end - box);
	bool valid;
	if (n == 0 && box == p + 1)
		valid = reverse_path; /* "<>" */
	else if (!reverse_path && n == 10 && strncasecmp(box, "postmaster", 10) == 0)
		valid = true;
	else
		valid = smtp_server_valid_mailbox(box, n);
	if (!valid)
		return SMTP_SERVER_PATH_BAD;
	memcpy(path, box, n);
	path[n] = '\0';
	*params = end + 1;
	while (**params == ' ')
		(*params)++;
	return SMTP_SERVER_PATH_OK;
}

/*
 * The parameters after MAIL FROM:<...> (RFC 5321 4.1.2): SIZE=n (RFC 1870)
 * and BODY=7BIT or BODY=8BITMIME (RFC 6152), both announced in EHLO.
 * Returns false after answering if one is refused.
 */
static bool smtp_server_mail_params(struct smtp_server *s, const char *params, bool *body_8bit,
				    struct wire *out)
{
	while (*params) {
		size_t n = strcspn(params, " ");
		const char *eq = memchr(params, '=', n);
		size_t nkey = eq ? (size_t)(eq - params) : n;
		const char *val = eq ? eq + 1 : params + n;
		size_t nval = (size_t)(params + n - val);
		int necho = (int)(nkey < SMTP_SERVER_ECHO_MAX_OCTETS ? nkey : SMTP_SERVER_ECHO_MAX_OCTETS);

		if (!s->esmtp) {
			/* parameters are service extensions: only after EHLO */
			wire_line(out, N_("MAIL parameters such as SIZE= belong to ESMTP: the client "
					  "must say EHLO, not HELO"),
				  "555 5.5.4 Unsupported option: %.*s", necho, params);
			return false;
		}
		if (nkey == 4 && strncasecmp(params, "SIZE", 4) == 0) {
			size_t size = 0;
			bool over = false; /* more digits than the limit can need */
			bool digits = nval > 0;
			for (size_t i = 0; i < nval; i++) {
				if (val[i] < '0' || val[i] > '9')
					digits = false;
				else if (size > s->max_size / 10)
					over = true;
				else
					size = size * 10 + (size_t)(val[i] - '0');
			}
			if (!digits) {
				wire_line(out, NULL, "501 5.5.4 Bad SIZE syntax: SIZE=<octets>");
				return false;
			}
			if (over || size > s->max_size) {
				wire_line(out, N_("552: the message would be over the SIZE limit announced "
						  "in EHLO, so it is refused before it is sent (RFC 1870)"),
					  "552 5.3.4 Message size exceeds fixed maximum message size");
				return false;
			}
		} else if (nkey == 4 && strncasecmp(params, "BODY", 4) == 0) {
			if (nval == 4 && strncasecmp(val, "7BIT", 4) == 0) {
				*body_8bit = false;
			} else if (nval == 8 && strncasecmp(val, "8BITMIME", 8) == 0) {
				*body_8bit = true;
			} else {
				/* RFC 5321 4.1.1.11: a parameter or value the server
				 * does not recognize is 555, as an unknown keyword is */
				int nparam = (int)(n < SMTP_SERVER_ECHO_MAX_OCTETS ? n : SMTP_SERVER_ECHO_MAX_OCTETS);
				wire_line(out, N_("555: the server knows BODY=7BIT and BODY=8BITMIME "
						  "(RFC 6152), not this value (RFC 5321 4.1.1.11)"),
					  "555 5.5.4 Unsupported option: %.*s", nparam, params);
				return false;
			}
		} else {
			wire_line(out, N_("555: the server does not know this MAIL parameter; EHLO "
					  "lists the ones it supports"),
				  "555 5.5.4 Unsupported option: %.*s", necho, params);
			return false;
		}
		params += n;
		while (*params == ' ')
			params++;
	}
	return true;
}

/* ---------------------------------------------------------- 4. commands */

/*
 * Each command has a check and a proceed.  The check answers "may this
 * command run now?" (sequence, login, limits) and, if not, sends the refusal
 * and returns false; NULL means the command may come at any time (RFC 5321
 * 4.1.4).  The proceed parses the arguments, acts and replies.
 */

static bool smtp_server_check_mail(struct smtp_server *s, const char *args, struct wire *out)
{
	(void)args;
	if (s->state == SMTP_SERVER_STATE_CONNECTED) {
		wire_line(out, N_("503: bad sequence of commands; the client must say EHLO (or HELO) before MAIL"),
			  "503 5.5.1 Error: send HELO/EHLO first");
		return false;
	}
	if (s->state == SMTP_SERVER_STATE_MAIL) {
		wire_line(out, N_("503: a transaction is already open; finish it with DATA or drop it with RSET"),
			  "503 5.5.1 Error: nested MAIL command");
		return false;
	}
	if (s->submission && !s->auth_user) {
		/* RFC 6409 4.3 / RFC 4954 6 */
		wire_line(out, N_("port 587 is for submission: a user agent must log in (AUTH) before it may send"),
			  "530 5.7.0 Authentication required");
		return false;
	}
	return true;
}

static bool smtp_server_check_rcpt(struct smtp_server *s, const char *args, struct wire *out)
{
	(void)args;
	if (s->state != SMTP_SERVER_STATE_MAIL) {
		wire_line(out, N_("503: bad sequence of commands; RCPT comes after MAIL FROM"),
			  "503 5.5.1 Error: need MAIL command");
		return false;
	}
	if (s->tx.nrcpts >= s->max_rcpts) {
		/* RFC 5321 4.5.3.1.10: 452, and the client sends the rest later */
		wire_line(out, N_("452: too many recipients for one transaction; the client sends the others "
				  "in another transaction (RFC 5321 4.5.3.1.10)"),
			  "452 4.5.3 Too many recipients");
		return false;
	}
	return true;
}

static bool smtp_server_check_data(struct smtp_server *s, const char *args, struct wire *out)
{
	(void)args;
	if (s->state != SMTP_SERVER_STATE_MAIL) {
		wire_line(out, N_("503: bad sequence of commands; DATA comes after MAIL FROM and RCPT TO"),
			  "503 5.5.1 Error: need MAIL command");
		return false;
	}
	if (!s->tx.rcpt_tried) {
		wire_line(out, N_("503: bad sequence of commands; the message needs at least one RCPT TO first"),
			  "503 5.5.1 Error: need RCPT command");
		return false;
	}
	if (s->tx.nrcpts == 0) {
		/* RFC 5321 3.3 allows 503 or 554 here */
		wire_line(out, N_("554: every recipient was refused, so there is nobody to deliver the message to"),
			  "554 5.5.1 Error: no valid recipients");
		return false;
	}
	return true;
}

static bool smtp_server_check_auth(struct smtp_server *s, const char *args, struct wire *out)
{
	(void)args;
	if (!s->submission) {
		wire_line(out, N_("port 25 is for mail between servers, which do not log in: AUTH is offered "
				  "on the submission port 587"),
			  "502 5.5.1 AUTH is offered only on the submission port");
		return false;
	}
	if (!s->esmtp) {
		wire_line(out, N_("AUTH is an ESMTP extension: the client must say EHLO first (RFC 4954 4)"),
			  "503 5.5.1 Error: send EHLO first");
		return false;
	}
	if (s->state == SMTP_SERVER_STATE_MAIL) {
		wire_line(out, N_("AUTH is not allowed in the middle of a mail transaction (RFC 4954 4)"),
			  "503 5.5.1 Error: AUTH not allowed during a mail transaction");
		return false;
	}
	if (s->auth_user) {
		wire_line(out, NULL, "503 5.5.1 Error: already authenticated");
		return false;
	}
	return true;
}

/* Did the client give arguments to a command that takes none? */
static bool smtp_server_refuse_args(const char *args, const char *usage, struct wire *out)
{
	if (!*args)
		return false;
	wire_line(out, NULL, "501 5.5.4 Syntax: %s", usage);
	return true;
}

static void smtp_server_proceed_ehlo(struct smtp_server *s, const char *args, struct wire *out)
{
	if (!*args) {
		wire_line(out, N_("EHLO needs the client's own name: EHLO laptop.example.org"),
			  "501 5.5.4 Syntax: EHLO hostname");
		return;
	}
	free(s->helo);
	s->helo = xstrdup(args);
	s->esmtp = true;
	smtp_server_enter_state(s, SMTP_SERVER_STATE_HELO); /* EHLO resets (4.1.4) */
	/* The greeting echoes the client's name, but a reply line is at most
	 * 512 octets with its CRLF (RFC 5321 4.5.3.1.5), and the name may take
	 * nearly all of a 512-octet command line: echo only what fits. */
	size_t used = strlen("250-") + strlen(s->hostname) + strlen(" greets ") + 2;
	size_t room = used < SMTP_REPLY_LINE_MAX_OCTETS ? SMTP_REPLY_LINE_MAX_OCTETS - used : 0;
	wire_line(out, N_("EHLO: the server names itself and lists its extensions, one per line; "
			  "\"250-\" means more lines follow, \"250 \" is the last"),
		  "250-%s greets %.*s", s->hostname, (int)room, s->helo);
	wire_line(out, N_("PIPELINING: the client may send several commands without waiting "
			  "for each reply (RFC 2920)"), "250-PIPELINING");
	wire_line(out, N_("SIZE: the largest message this server accepts, in octets (RFC 1870)"),
		  "250-SIZE %zu", s->max_size);
	wire_line(out, N_("8BITMIME: the message may hold bytes above 127 (RFC 6152)"), "250-8BITMIME");
	wire_line(out, N_("ENHANCEDSTATUSCODES: replies carry a detailed code such as 2.1.5 "
			  "after the three digits (RFC 2034, RFC 3463)"), "250-ENHANCEDSTATUSCODES");
	if (s->submission)
		wire_line(out, N_("AUTH: users log in here before they send, by PLAIN or LOGIN (RFC 4954)"),
			  "250-AUTH PLAIN LOGIN");
	wire_line(out, NULL, "250 HELP");
}

static void smtp_server_proceed_helo(struct smtp_server *s, const char *args, struct wire *out)
{
	if (!*args) {
		wire_line(out, NULL, "501 5.5.4 Syntax: HELO hostname");
		return;
	}
	free(s->helo);
	s->helo = xstrdup(args);
	s->esmtp = false;
	smtp_server_enter_state(s, SMTP_SERVER_STATE_HELO);
	wire_line(out, N_("HELO is the old greeting of RFC 821: no extensions are listed"),
		  "250 %s", s->hostname);
}

static void smtp_server_proceed_mail(struct smtp_server *s, const char *args, struct wire *out)
{
	char path[SMTP_PATH_MAX_OCTETS];
	const char *params = "";
	switch (smtp_server_parse_path(args, "FROM:", true, path, &params)) {
	case SMTP_SERVER_PATH_OK:
		break;
	case SMTP_SERVER_PATH_SYNTAX:
		wire_line(out, N_("the sender goes in angle brackets: MAIL FROM:<alice@example.org>"),
			  "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	case SMTP_SERVER_PATH_TOO_LONG:
		wire_line(out, N_("a path may hold at most 256 octets (RFC 5321 4.5.3.1.3)"),
			  "501 5.1.7 Path too long");
		return;
	case SMTP_SERVER_PATH_BAD:
		wire_line(out, N_("5.1.7 is \"bad sender's mailbox address syntax\" (RFC 3463)"),
			  "501 5.1.7 Bad sender address syntax");
		return;
	}
	bool body_8bit = false;
	if (!smtp_server_mail_params(s, params, &body_8bit, out))
		return;

	struct smtp_envelope env = smtp_server_envelope(s);
	env.mail_from = path;
	env.body_8bit = body_8bit;
	struct smtp_reply reply = {0};
	bool ok = !s->ops.mail || s->ops.mail(s->ctx, &env, path, &reply);
	if (!ok) {
		if (!smtp_server_is_refusal(reply.code))
			smtp_reply_set(&reply, 550, "5.7.1", NULL, "<%s>: Sender address rejected", path);
		smtp_server_send_host_reply(out, &reply, smtp_server_refusal_note(reply.code));
		return;
	}
	s->tx.mail_from = xstrdup(path);
	s->tx.body_8bit = body_8bit;
	smtp_server_enter_state(s, SMTP_SERVER_STATE_MAIL);
	if (reply.code / 100 != 2)
		smtp_reply_set(&reply, 250, "2.1.0", NULL, "Ok");
	smtp_server_send_host_reply(out, &reply,
				    N_("250: the sender (the reverse-path) is noted; a bounce for this "
				       "message would go back to it"));
}

/*
 * Recipients are kept as given, duplicates included, as Postfix and most
 * servers do: the host may merge them when it delivers.  The limit counts
 * accepted recipients only.
 */
static void smtp_server_proceed_rcpt(struct smtp_server *s, const char *args, struct wire *out)
{
	char path[SMTP_PATH_MAX_OCTETS];
	const char *params = "";
	s->tx.rcpt_tried = true;
	switch (smtp_server_parse_path(args, "TO:", false, path, &params)) {
	case SMTP_SERVER_PATH_OK:
		break;
	case SMTP_SERVER_PATH_SYNTAX:
		wire_line(out, N_("the recipient goes in angle brackets: RCPT TO:<bob@example.net>"),
			  "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	case SMTP_SERVER_PATH_TOO_LONG:
		wire_line(out, N_("a path may hold at most 256 octets (RFC 5321 4.5.3.1.3)"),
			  "501 5.1.3 Path too long");
		return;
	case SMTP_SERVER_PATH_BAD:
		wire_line(out, N_("5.1.3 is \"bad destination mailbox address syntax\" (RFC 3463)"),
			  "501 5.1.3 Bad recipient address syntax");
		return;
	}
	if (*params) {
		size_t n = strcspn(params, " =");
		int necho = (int)(n < SMTP_SERVER_ECHO_MAX_OCTETS ? n : SMTP_SERVER_ECHO_MAX_OCTETS);
		wire_line(out, N_("555: this server offers no RCPT parameters (such as the NOTIFY= of DSN)"),
			  "555 5.5.4 Unsupported option: %.*s", necho, params);
		return;
	}

	struct smtp_envelope env = smtp_server_envelope(s);
	struct smtp_reply reply = {0};
	bool ok = !s->ops.rcpt || s->ops.rcpt(s->ctx, &env, path, &reply);
	if (!ok) {
		if (!smtp_server_is_refusal(reply.code))
			smtp_reply_set(&reply, 550, "5.1.1", NULL, "<%s>: Recipient address rejected", path);
		smtp_server_send_host_reply(out, &reply,
					    reply.code == 550
						    ? N_("550: permanent failure - no such mailbox here; the "
							 "sending server will bounce the message")
						    : smtp_server_refusal_note(reply.code));
		return;
	}
	struct smtp_server_tx *tx = &s->tx;
	if (tx->nrcpts == tx->caprcpts) {
		tx->caprcpts = tx->caprcpts ? tx->caprcpts * 2 : 8;
		tx->rcpts = xrealloc(tx->rcpts, tx->caprcpts * sizeof *tx->rcpts);
	}
	tx->rcpts[tx->nrcpts++] = xstrdup(path);
	if (reply.code / 100 != 2)
		smtp_reply_set(&reply, 250, "2.1.5", NULL, "Ok");
	smtp_server_send_host_reply(out, &reply,
				    N_("250: this recipient is accepted; more RCPT TO may follow, then DATA"));
}

static void smtp_server_proceed_data(struct smtp_server *s, const char *args, struct wire *out)
{
	if (smtp_server_refuse_args(args, "DATA", out))
		return;
	smtp_server_enter_state(s, SMTP_SERVER_STATE_DATA);
	s->tx.dstate = SMTP_SERVER_DATA_LINE_START;
	wire_line(out, N_("354: the server now takes the message itself, ended by a line holding "
			  "a single dot (RFC 5321 4.1.1.4)"),
		  "354 End data with <CR><LF>.<CR><LF>");
}

static void smtp_server_proceed_rset(struct smtp_server *s, const char *args, struct wire *out)
{
	if (smtp_server_refuse_args(args, "RSET", out))
		return;
	if (s->state == SMTP_SERVER_STATE_MAIL)
		smtp_server_enter_state(s, SMTP_SERVER_STATE_HELO);
	wire_line(out, N_("RSET: the transaction (sender, recipients) is thrown away; "
			  "the session goes on"), "250 2.0.0 Ok");
}

static void smtp_server_proceed_noop(struct smtp_server *s, const char *args, struct wire *out)
{
	(void)s;
	(void)args; /* NOOP may carry a string, which is ignored (4.1.1.9) */
	wire_line(out, NULL, "250 2.0.0 Ok");
}

static void smtp_server_proceed_vrfy(struct smtp_server *s, const char *args, struct wire *out)
{
	(void)s;
	if (!*args) {
		wire_line(out, NULL, "501 5.5.4 Syntax: VRFY address");
		return;
	}
	wire_line(out, N_("252: servers no longer confirm addresses, because spammers used VRFY "
			  "to harvest them (RFC 5321 3.5.3)"),
		  "252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery");
}

static void smtp_server_proceed_quit(struct smtp_server *s, const char *args, struct wire *out)
{
	if (smtp_server_refuse_args(args, "QUIT", out))
		return;
	smtp_server_enter_state(s, SMTP_SERVER_STATE_CLOSED);
	wire_line(out, N_("221: the server says goodbye and closes the connection"), "221 2.0.0 Bye");
}

static void smtp_server_proceed_not_implemented(struct smtp_server *s, const char *args,
						struct wire *out)
{
	(void)s;
	(void)args;
	wire_line(out, N_("502: the server knows this command but does not offer it"),
		  "502 5.5.1 Command not implemented");
}

static void smtp_server_proceed_help(struct smtp_server *s, const char *args, struct wire *out);
static void smtp_server_proceed_auth(struct smtp_server *s, const char *args, struct wire *out);

struct smtp_server_command {
	const char *verb;
	bool (*check)(struct smtp_server *s, const char *args, struct wire *out);
	void (*proceed)(struct smtp_server *s, const char *args, struct wire *out);
};

/* Every command the server knows.  Adding a command is adding a row. */
static const struct smtp_server_command smtp_server_commands[] = {
	{"EHLO", NULL, smtp_server_proceed_ehlo},
	{"HELO", NULL, smtp_server_proceed_helo},
	{"AUTH", smtp_server_check_auth, smtp_server_proceed_auth},
	{"MAIL", smtp_server_check_mail, smtp_server_proceed_mail},
	{"RCPT", smtp_server_check_rcpt, smtp_server_proceed_rcpt},
	{"DATA", smtp_server_check_data, smtp_server_proceed_data},
	{"RSET", NULL, smtp_server_proceed_rset},
	{"NOOP", NULL, smtp_server_proceed_noop},
	{"VRFY", NULL, smtp_server_proceed_vrfy},
	{"HELP", NULL, smtp_server_proceed_help},
	{"QUIT", NULL, smtp_server_proceed_quit},
	/* Known SMTP commands this server does not offer (RFC 5321 4.2.4: 502). */
	{"EXPN", NULL, smtp_server_proceed_not_implemented},
	{"TURN", NULL, smtp_server_proceed_not_implemented},
	{"ETRN", NULL, smtp_server_proceed_not_implemented},
	{"ATRN", NULL, smtp_server_proceed_not_implemented},
	{"BDAT", NULL, smtp_server_proceed_not_implemented},
	{"STARTTLS", NULL, smtp_server_proceed_not_implemented},
	{"SEND", NULL, smtp_server_proceed_not_implemented},
	{"SOML", NULL, smtp_server_proceed_not_implemented},
	{"SAML", NULL, smtp_server_proceed_not_implemented},
};

#define SMTP_SERVER_NCOMMANDS (sizeof smtp_server_commands / sizeof smtp_server_commands[0])

/* HELP lists the commands of the table that are offered here. */
static void smtp_server_proceed_help(struct smtp_server *s, const char *args, struct wire *out)
{
	(void)args;
	struct buf verbs;
	buf_init(&verbs);
	for (size_t i = 0; i < SMTP_SERVER_NCOMMANDS; i++) {
		const struct smtp_server_command *c = &smtp_server_commands[i];
		if (c->proceed == smtp_server_proceed_not_implemented)
			continue;
		if (c->check == smtp_server_check_auth && !s->submission)
			continue;
		buf_printf(&verbs, " %s", c->verb);
	}
	wire_line(out, N_("214: help; the lines before the last have a '-' after the code"),
		  "214-2.0.0 Commands:%s", verbs.p);
	wire_line(out, NULL, "214-2.0.0 A transaction is MAIL FROM:<sender>, RCPT TO:<recipient>, DATA");
	wire_line(out, NULL, "214 2.0.0 See RFC 5321");
	buf_free(&verbs);
}

/* Split a command line into verb and arguments and run its row of the table. */
static void smtp_server_command(struct smtp_server *s, char *line, struct wire *out)
{
	size_t n = strlen(line);
	while (n > 0 && line[n - 1] == ' ')
		line[--n] = '\0'; /* some clients send trailing spaces */
	size_t nverb = strcspn(line, " ");
	if (nverb == 0) {
		wire_line(out, N_("500: an empty line is not a command"), "500 5.5.2 Error: bad syntax");
		return;
	}
	const char *args = line + nverb;
	while (*args == ' ')
		args++;

	for (size_t i = 0; i < SMTP_SERVER_NCOMMANDS; i++) {
		const struct smtp_server_command *c = &smtp_server_commands[i];
		/* verbs are case-insensitive (RFC 5321 2.4) */
		if (strlen(c->verb) != nverb || strncasecmp(c->verb, line, nverb) != 0)
			continue;
		if (c->check && !c->check(s, args, out))
			return;
		c->proceed(s, args, out);
		return;
	}
	wire_line(out, N_("500: the server does not know this command; HELP lists the ones it does"),
		  "500 5.5.2 Error: command not recognized");
}

/* ------------------------------------------------------------- 5. AUTH */

/*
 * Decode a client's answer (RFC 4954 4): base64, appended to out (which
 * stays NUL-terminated).  mime_base64_decode skips white space, as MIME
 * bodies need; SASL allows none, so a space or tab inside is refused here
 * first.  False if the answer is not base64.
 */
static bool smtp_server_auth_base64(const char *b64, struct buf *out)
{
	size_t n = strlen(b64);
	if (strcspn(b64, " \t\r\n") != n)
		return false;
	buf_add(out, "", 0); /* out->p is a string even if nothing is decoded */
	return mime_base64_decode(out, b64, n) == 0;
}

/* Ask the host whether user and password are right, and say so. */
static void smtp_server_auth_finish(struct smtp_server *s, const char *user, const char *password,
				    struct wire *out)
{
	bool ok = s->ops.auth && s->ops.auth(s->ctx, user, password);
	smtp_server_enter_state(s, SMTP_SERVER_STATE_HELO);
	if (!ok) {
		wire_line(out, N_("535: the user name or the password is wrong"),
			  "535 5.7.8 Authentication credentials invalid");
		return;
	}
	s->auth_user = xstrdup(user);
	wire_line(out, N_("235: logged in; this user may now send mail through this server"),
		  "235 2.7.0 Authentication successful");
}

static void smtp_server_auth_undecodable(struct smtp_server *s, struct wire *out)
{
	smtp_server_enter_state(s, SMTP_SERVER_STATE_HELO);
	wire_line(out, N_("the client's answer must be base64 (RFC 4954 4)"),
		  "501 5.5.2 Cannot decode response");
}

/* PLAIN (RFC 4616 2): base64 of authzid NUL authcid NUL password.  The user
 * is the authcid; an authzid, if given, must be the same user. */
static void smtp_server_auth_plain(struct smtp_server *s, const char *b64, struct wire *out)
{
	struct buf dec;
	buf_init(&dec);
	if (!smtp_server_auth_base64(b64, &dec)) {
		smtp_server_auth_undecodable(s, out);
		goto done;
	}
	struct sasl_plain plain;
	if (!sasl_plain_split(&dec, &plain)) {
		smtp_server_enter_state(s, SMTP_SERVER_STATE_HELO);
		wire_line(out, N_("PLAIN carries three parts: authorization id, NUL, user, NUL, "
				  "password (RFC 4616)"),
			  "501 5.5.2 Malformed PLAIN response");
		goto done;
	}
	if (sasl_plain_acts_as_other(&plain)) {
		/* acting for another user is not something this server allows */
		smtp_server_enter_state(s, SMTP_SERVER_STATE_HELO);
		wire_line(out, N_("535: this user may not act as another"),
			  "535 5.7.8 Authentication credentials invalid");
		goto done;
	}
	smtp_server_auth_finish(s, plain.user, plain.password, out);
done:
	buf_free(&dec);
}

/* Decode one AUTH LOGIN answer into dec (decsz bytes with the NUL); false
 * (after replying) if it is not base64 or holds a NUL. */
static bool smtp_server_auth_login_decode(struct smtp_server *s, const char *b64, char *dec,
					  size_t decsz, struct wire *out)
{
	struct buf b;
	buf_init(&b);
	bool ok = smtp_server_auth_base64(b64, &b) && strlen(b.p) == b.len && b.len < decsz;
	if (ok)
		memcpy(dec, b.p, b.len + 1);
	else
		smtp_server_auth_undecodable(s, out);
	buf_free(&b);
	return ok;
}

static void smtp_server_auth_login_prompt_password(struct smtp_server *s, struct wire *out)
{
	smtp_server_enter_state(s, SMTP_SERVER_STATE_AUTH_PASSWORD);
	wire_line(out, N_("334 UGFzc3dvcmQ6 is base64 for \"Password:\""), "334 UGFzc3dvcmQ6");
}

/*
 * AUTH mechanism [initial-response] (RFC 4954 4).  The check has made sure
 * we are on the submission port, after EHLO, not logged in, and outside a
 * transaction.  An initial response of "=" means an empty one.
 */
static void smtp_server_proceed_auth(struct smtp_server *s, const char *args, struct wire *out)
{
	size_t nmech = strcspn(args, " ");
	const char *initial = args + nmech;
	while (*initial == ' ')
		initial++;
	if (nmech == 0) {
		wire_line(out, NULL, "501 5.5.4 Syntax: AUTH mechanism");
		return;
	}
	if (strcmp(initial, "=") == 0)
		initial = "";
	bool has_initial = args[nmech] != '\0';

	if (nmech == 5 && strncasecmp(args, "PLAIN", 5) == 0) {
		if (has_initial) {
			smtp_server_auth_plain(s, initial, out);
			return;
		}
		smtp_server_enter_state(s, SMTP_SERVER_STATE_AUTH_PLAIN);
		wire_line(out, N_("334 with no text: PLAIN asks no question, the client just sends its "
				  "credentials in base64, an encoding anyone watching can undo"),
			  "334 ");
		return;
	}
	if (nmech == 5 && strncasecmp(args, "LOGIN", 5) == 0) {
		if (has_initial) { /* the user name came with the command */
			if (smtp_server_auth_login_decode(s, initial, s->auth_login_user,
							  sizeof s->auth_login_user, out))
				smtp_server_auth_login_prompt_password(s, out);
			return;
		}
		smtp_server_enter_state(s, SMTP_SERVER_STATE_AUTH_USERNAME);
		wire_line(out, N_("334 VXNlcm5hbWU6 is base64 for \"Username:\"; base64 is not encryption"),
			  "334 VXNlcm5hbWU6");
		return;
	}
	wire_line(out, N_("504: EHLO listed the mechanisms this server knows: PLAIN and LOGIN"),
		  "504 5.5.4 Unrecognized authentication type");
}

/* A line the client sent in answer to a 334 prompt. */
static void smtp_server_auth_response(struct smtp_server *s, const char *line, struct wire *out)
{
	if (strcmp(line, "*") == 0) { /* the client gives up (RFC 4954 4) */
		smtp_server_enter_state(s, SMTP_SERVER_STATE_HELO);
		wire_line(out, N_("\"*\" cancels an AUTH exchange"), "501 5.0.0 Authentication cancelled");
		return;
	}
	char password[SMTP_COMMAND_LINE_MAX_OCTETS];
	switch (s->state) {
	case SMTP_SERVER_STATE_AUTH_PLAIN:
		smtp_server_auth_plain(s, line, out);
		break;
	case SMTP_SERVER_STATE_AUTH_USERNAME:
		if (smtp_server_auth_login_decode(s, line, s->auth_login_user,
						  sizeof s->auth_login_user, out))
			smtp_server_auth_login_prompt_password(s, out);
		break;
	case SMTP_SERVER_STATE_AUTH_PASSWORD:
		if (smtp_server_auth_login_decode(s, line, password, sizeof password, out))
			smtp_server_auth_finish(s, s->auth_login_user, password, out);
		break;
	default:
		abort(); /* only called in the AUTH states */
	}
}

/* --------------------------------------------------------- 6. the data phase */

/*
 * The message is read byte by byte (RFC 5321 4.1.1.4 and 4.5.2).
 *
 * It ends only at CRLF "." CRLF.  A dot that begins a line is either that
 * end (if CRLF follows) or a dot the client added ("dot-stuffing") so that a
 * message line beginning with "." is not taken for the end: the engine
 * removes it.  Lines must end with CRLF.  A CR or LF on its own is refused
 * (RFC 5321 2.3.8) and never ends a line, so "\n.\n", "\r.\r" or "\n.\r\n"
 * cannot end the message early: a server that let them was open to "SMTP
 * smuggling" (2023), a second, forged message hidden inside the first.
 *
 * States: where are we in the current line?
 *   LINE_START  at the start of a line (just after the 354, or after a CRLF)
 *   TEXT        inside a line
 *   CR          a CR arrived and is held: does an LF follow?
 *   DOT         the line began with "." (held: a stuffed dot, or the end?)
 *   DOT_CR      the line is "." CR so far: one LF more and the data ends
 * Tokens: the byte is CR, LF, "." or any other.
 * Actions:
 *   KEEP  copy the byte into the message.  After DOT this drops the held
 *         dot: that is the un-stuffing ("..x" becomes ".x", ".x" becomes "x")
 *   HOLD  copy nothing yet (a CR, or a line's first dot)
 *   EOL   CR LF: copy CRLF; a new line starts
 *   BARE  a CR or LF alone: set the sticky error; the message will be refused
 *   END   CRLF "." CRLF: the message is complete
 */
enum smtp_server_data_token {
	SMTP_SERVER_TOKEN_CR,
	SMTP_SERVER_TOKEN_LF,
	SMTP_SERVER_TOKEN_DOT,
	SMTP_SERVER_TOKEN_OTHER,
};

enum smtp_server_data_action {
	SMTP_SERVER_ACTION_KEEP,
	SMTP_SERVER_ACTION_HOLD,
	SMTP_SERVER_ACTION_EOL,
	SMTP_SERVER_ACTION_BARE,
	SMTP_SERVER_ACTION_END,
};

struct smtp_server_data_step {
	unsigned char next;   /* enum smtp_server_data_state */
	unsigned char action; /* enum smtp_server_data_action */
};

/* Short names for the table only; the columns follow enum smtp_server_data_token. */
#define LINE_START SMTP_SERVER_DATA_LINE_START
#define TEXT SMTP_SERVER_DATA_TEXT
#define CR SMTP_SERVER_DATA_CR
#define DOT SMTP_SERVER_DATA_DOT
#define DOT_CR SMTP_SERVER_DATA_DOT_CR
#define KEEP SMTP_SERVER_ACTION_KEEP
#define HOLD SMTP_SERVER_ACTION_HOLD
#define EOL SMTP_SERVER_ACTION_EOL
#define BARE SMTP_SERVER_ACTION_BARE
#define END SMTP_SERVER_ACTION_END

static const struct smtp_server_data_step smtp_server_data_table[5][4] = {
	/*               CR              LF                 "."            other */
	[LINE_START] = {{CR, HOLD},     {TEXT, BARE},       {DOT, HOLD},   {TEXT, KEEP}},
	[TEXT] =       {{CR, HOLD},     {TEXT, BARE},       {TEXT, KEEP},  {TEXT, KEEP}},
	[CR] =         {{CR, BARE},     {LINE_START, EOL},  {TEXT, BARE},  {TEXT, BARE}},
	[DOT] =        {{DOT_CR, HOLD}, {TEXT, BARE},       {TEXT, KEEP},  {TEXT, KEEP}},
	[DOT_CR] =     {{CR, BARE},     {LINE_START, END},  {TEXT, BARE},  {TEXT, BARE}},
};

#undef LINE_START
#undef TEXT
#undef CR
#undef DOT
#undef DOT_CR
#undef KEEP
#undef HOLD
#undef EOL
#undef BARE
#undef END

static enum smtp_server_data_token smtp_server_data_token(char c)
{
	switch (c) {
	case '\r':
		return SMTP_SERVER_TOKEN_CR;
	case '\n':
		return SMTP_SERVER_TOKEN_LF;
	case '.':
		return SMTP_SERVER_TOKEN_DOT;
	default:
		return SMTP_SERVER_TOKEN_OTHER;
	}
}

/* The first problem sticks; once there is one, nothing more is copied. */
static void smtp_server_tx_fail(struct smtp_server *s, enum smtp_server_tx_error error)
{
	if (s->tx.error == SMTP_SERVER_TX_OK)
		s->tx.error = error;
}

/* Copy n bytes of the message, unless that breaks the size limit. */
static void smtp_server_data_copy(struct smtp_server *s, const char *p, size_t n)
{
	if (s->tx.error != SMTP_SERVER_TX_OK)
		return;
	if (n > s->max_size - s->tx.msg.len) {
		smtp_server_tx_fail(s, SMTP_SERVER_TX_TOO_BIG);
		return;
	}
	buf_add(&s->tx.msg, p, n);
}

/* The reply to the final dot, as the host filled it. */
static void smtp_server_send_data_reply(struct wire *out, const struct smtp_reply *reply)
{
	struct smtp_reply r = *reply;
	if (r.code == 0)
		smtp_reply_set(&r, 250, "2.0.0", NULL, "Ok");
	smtp_server_send_host_reply(out, &r,
				    r.code / 100 == 2
					    ? N_("250 after the final dot: the server now has the message "
						 "and is responsible for it (RFC 5321 6.1)")
					    : smtp_server_refusal_note(r.code));
}

/* The final dot has come: refuse the message for its sticky error, or hand
 * it to the host, who stores it and fills the reply -- now, or later
 * (reply.deferred: smtp_server_data_reply). */
static void smtp_server_data_end(struct smtp_server *s, struct wire *out)
{
	switch (s->tx.error) {
	case SMTP_SERVER_TX_OK: {
		struct smtp_envelope env = smtp_server_envelope(s);
		struct smtp_reply reply = {0};
		const char *msg = s->tx.msg.p ? s->tx.msg.p : "";
		if (s->ops.data)
			s->ops.data(s->ctx, &env, msg, s->tx.msg.len, &reply);
		if (reply.deferred)
			s->data_pending = true; /* the reply comes later */
		else
			smtp_server_send_data_reply(out, &reply);
		break;
	}
	case SMTP_SERVER_TX_BARE_CR_LF:
		wire_line(out, N_("554: a CR or LF on its own is refused, so a hidden \".\" cannot end the "
				  "message early (\"SMTP smuggling\"); nothing was stored"),
			  "554 5.6.0 Message contains bare CR or LF; lines must end with CRLF "
			  "(RFC 5321 2.3.8)");
		break;
	case SMTP_SERVER_TX_LONG_LINE:
		wire_line(out, N_("a message line may hold at most 1000 octets with its CRLF "
				  "(RFC 5321 4.5.3.1.6); nothing was stored"),
			  "554 5.6.0 Message has a line over 1000 octets (RFC 5321 4.5.3.1.6)");
		break;
	case SMTP_SERVER_TX_TOO_BIG:
		wire_line(out, N_("552: the message grew past the SIZE limit announced in EHLO; "
				  "nothing of it was stored"),
			  "552 5.3.4 Message size exceeds fixed maximum message size");
		break;
	}
	smtp_server_enter_state(s, SMTP_SERVER_STATE_HELO); /* ready for a new MAIL */
}

/* Run the data machine over the bytes; returns how many it used (it stops
 * just after the final dot's LF). */
static size_t smtp_server_feed_data(struct smtp_server *s, const char *in, size_t len,
				    struct wire *out)
{
	struct smtp_server_tx *tx = &s->tx;
	for (size_t i = 0; i < len; i++) {
		const struct smtp_server_data_step *step =
			&smtp_server_data_table[tx->dstate][smtp_server_data_token(in[i])];
		tx->dstate = step->next;
		/* The limit counts the line as sent (4.5.3.1.6): a stuffed dot
		 * too, though it is not kept; the CRLF is allowed for in the max. */
		if (in[i] != '\r' && in[i] != '\n' &&
		    ++tx->line_octets > SMTP_SERVER_TEXT_LINE_TEXT_MAX_OCTETS)
			smtp_server_tx_fail(s, SMTP_SERVER_TX_LONG_LINE);
		switch (step->action) {
		case SMTP_SERVER_ACTION_KEEP:
			smtp_server_data_copy(s, &in[i], 1);
			break;
		case SMTP_SERVER_ACTION_HOLD:
			break;
		case SMTP_SERVER_ACTION_EOL:
			tx->line_octets = 0;
			smtp_server_data_copy(s, "\r\n", 2);
			break;
		case SMTP_SERVER_ACTION_BARE:
			smtp_server_tx_fail(s, SMTP_SERVER_TX_BARE_CR_LF);
			break;
		case SMTP_SERVER_ACTION_END:
			smtp_server_data_end(s, out);
			return i + 1;
		}
	}
	return len;
}

/* ------------------------------------------------------------ 7. feeding */

/* A whole command line has come (CR LF or a lone LF already removed). */
static void smtp_server_line(struct smtp_server *s, char *line, size_t n, struct wire *out)
{
	bool in_auth = s->state == SMTP_SERVER_STATE_AUTH_PLAIN ||
		       s->state == SMTP_SERVER_STATE_AUTH_USERNAME ||
		       s->state == SMTP_SERVER_STATE_AUTH_PASSWORD;
	if (s->lr.overflow || n > SMTP_SERVER_COMMAND_TEXT_MAX_OCTETS) {
		if (in_auth) /* an answer we cannot read ends the exchange */
			smtp_server_enter_state(s, SMTP_SERVER_STATE_HELO);
		wire_line(out, N_("a command line may hold at most 512 octets with its CRLF "
				  "(RFC 5321 4.5.3.1.4)"),
			  "500 5.5.2 Line too long");
		return;
	}
	if (memchr(line, '\0', n)) {
		if (in_auth)
			smtp_server_enter_state(s, SMTP_SERVER_STATE_HELO);
		wire_line(out, N_("a command line is text: a NUL byte has no place in it"),
			  "500 5.5.2 Error: NUL byte in command line");
		return;
	}
	if (in_auth)
		smtp_server_auth_response(s, line, out);
	else
		smtp_server_command(s, line, out);
}

/*
 * Read command-line bytes up to and including one LF; returns how many were
 * used.  line[] holds at most one full command line (RFC 5321 4.5.3.1.4); of
 * a longer line the rest is read and dropped, and the whole line answered
 * with one 500 at its LF, so the next line is read in step.
 *
 * A lone LF ends a command line too: RFC 5321 2.3.8 wants CRLF, but a student
 * typing into nc (without -C) sends LF, and accepting it here hides nothing:
 * a command line cannot smuggle a message.  In DATA only CRLF counts.
 */
static size_t smtp_server_feed_line(struct smtp_server *s, const char *in, size_t len,
				    struct wire *out)
{
	bool done;
	size_t textlen = 0;
	size_t used = line_reader_feed(&s->lr, in, len, &done, &textlen);
	if (done) {
		smtp_server_line(s, s->line, textlen, out);
		line_reader_next(&s->lr);
	}
	return used;
}

size_t smtp_server_feed(struct smtp_server *s, const char *in, size_t len, struct wire *out)
{
	size_t used = 0;
	while (used < len && s->state != SMTP_SERVER_STATE_CLOSED) {
		if (s->data_pending) {
			/* the reply to the last message is not out yet: what the
			 * client pipelined after it waits its turn (RFC 2920 3.1:
			 * replies go in the order of the commands) */
			buf_add(&s->held, in + used, len - used);
			return len;
		}
		if (s->state == SMTP_SERVER_STATE_DATA)
			used += smtp_server_feed_data(s, in + used, len - used, out);
		else
			used += smtp_server_feed_line(s, in + used, len - used, out);
	}
	return used;
}

void smtp_server_data_reply(struct smtp_server *s, const struct smtp_reply *reply,
			    struct wire *out)
{
	if (!s->data_pending)
		return;
	s->data_pending = false;
	smtp_server_send_data_reply(out, reply);
	/* read what was held; a message in it may defer again, and then the
	 * rest is held anew */
	struct buf held = s->held;
	buf_init(&s->held);
	if (held.len)
		smtp_server_feed(s, held.p, held.len, out);
	buf_free(&held);
}

bool smtp_server_data_pending(const struct smtp_server *s)
{
	return s->data_pending;
}
