/*
 * pop3_server.c - the POP3 server engine (RFC 1939, with the RFC 2449
 * extensions and RFC 5034 AUTH PLAIN), sans-I/O.
 *
 * A POP3 session walks through three states, always in this order
 * (RFC 1939 3):
 *
 *   AUTHORIZATION --USER+PASS or AUTH--> TRANSACTION --QUIT--> UPDATE --> closed
 *
 * In AUTHORIZATION the client says who it is.  The server then locks the
 * maildrop and numbers its messages 1..n; in TRANSACTION the client lists
 * them, reads them and marks some deleted.  Only QUIT leads on to UPDATE,
 * where the marked messages are really removed.  A session that ends any
 * other way (the connection breaks) removes nothing: the marks are lost and
 * the client finds every message again next time.
 *
 * The engine knows the protocol; the maildrop itself (who may log in, the
 * messages, their content, the deletions) it reaches through struct
 * pop3_server_ops, which the host implements on the store.
 *
 * A reading guide, in file order:
 *   1. the states, and pop3_server_enter_state(), the one door that changes them
 *   2. the session
 *   3. helpers: counting, message numbers, sending a message dot-stuffed
 *   4. logging in: USER/PASS and AUTH PLAIN both end in pop3_server_login()
 *   5. the commands: a check ("may it run now?") and a proceed ("do it")
 *      each, with the shape of their arguments, gathered in the command
 *      table pop3_server_commands[]
 *   6. feeding bytes: cutting command lines, with the limits; STLS's
 *      handover to TLS
 *
 * Responses begin "+OK" or "-ERR".  Some -ERR carry a response code in
 * brackets (RFC 2449 8, announced as RESP-CODES): [IN-USE], [AUTH] and
 * [SYS/TEMP] (RFC 3206) tell a client program what went wrong without
 * reading the text, which is for people.
 */
#include "pop3.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "mime.h"
#include "sasl.h"

/* Octets of a command line before its CRLF (RFC 2449 4: 255 with it). */
#define POP3_SERVER_COMMAND_TEXT_MAX_OCTETS (POP3_COMMAND_LINE_MAX_OCTETS - 2)
/* The most arguments any command takes (TOP msg n). */
#define POP3_SERVER_ARGS_MAX 2

/* ------------------------------------------------------------ 1. states */

enum pop3_server_state {
	POP3_SERVER_STATE_AUTHORIZATION, /* greeted; waiting for USER/PASS or AUTH */
	POP3_SERVER_STATE_AUTH_PLAIN,    /* AUTH PLAIN said "+ ": the credentials come next */
	POP3_SERVER_STATE_TRANSACTION,   /* logged in, maildrop locked: STAT, LIST, RETR... */
	POP3_SERVER_STATE_UPDATE,        /* after QUIT: the marked messages are being removed */
	POP3_SERVER_STATE_CLOSED,        /* said goodbye: the host closes the connection */
};

static const char *const pop3_server_state_names[] = {
	[POP3_SERVER_STATE_AUTHORIZATION] = "AUTHORIZATION",
	[POP3_SERVER_STATE_AUTH_PLAIN] = "AUTH_PLAIN",
	[POP3_SERVER_STATE_TRANSACTION] = "TRANSACTION",
	[POP3_SERVER_STATE_UPDATE] = "UPDATE",
	[POP3_SERVER_STATE_CLOSED] = "CLOSED",
};

/* ------------------------------------------------------------ 2. session */

struct pop3_server {
	char *hostname;               /* names itself in the greeting and at QUIT */
	bool tls_offered;             /* CAPA may list STLS (RFC 2595) */
	bool tls_active;              /* the connection is encrypted */
	bool tls_pending;             /* said +OK to STLS: the handshake is next */
	bool plaintext_auth;          /* logins allowed before TLS even if offered */
	struct pop3_server_ops ops;   /* the host's maildrop (any op may be NULL) */
	void *ctx;                    /* handed back to every op */

	enum pop3_server_state state; /* changed only by pop3_server_enter_state() */
	char user_given[POP3_ARGUMENT_MAX_CHARS + 1]; /* USER's name awaiting PASS, or "" */
	char *user;                   /* who is logged in: non-NULL exactly while the
				       * maildrop is locked */

	/* The maildrop as it was when locked: message number i is msgs[i - 1]. */
	struct pop3_msg *msgs;        /* the host's snapshot (malloc'd), freed here */
	size_t nmsgs;
	bool *deleted;                /* deleted[i - 1]: message i is marked by DELE */

	/* The command line being read: its bytes before the LF, at most 253
	 * octets of text and a CR, plus room for a NUL. */
	char line[POP3_COMMAND_LINE_MAX_OCTETS];
	struct line_reader lr;        /* reads line[] */
};

/*
 * The one door through which the state changes.  It keeps one invariant:
 * the maildrop is locked exactly while a user is logged in, so entering
 * CLOSED releases the lock, whichever way the session ends.  Deleting is
 * not done here but in QUIT (the UPDATE state): a session closed from
 * TRANSACTION by anything else -- a dropped connection -- deletes nothing
 * (RFC 1939 6).
 */
static void pop3_server_unmark_all(struct pop3_server *s);

static void pop3_server_enter_state(struct pop3_server *s, enum pop3_server_state next)
{
	if (next == POP3_SERVER_STATE_CLOSED && s->state == POP3_SERVER_STATE_TRANSACTION)
		pop3_server_unmark_all(s); /* no UPDATE: every mark is forgotten */
	if (next == POP3_SERVER_STATE_CLOSED && s->user) {
		if (s->ops.unlock)
			s->ops.unlock(s->ctx, s->user);
		free(s->user);
		s->user = NULL;
	}
	s->state = next;
}

struct pop3_server *pop3_server_new(const struct pop3_server_config *cfg,
				    const struct pop3_server_ops *ops, void *ctx)
{
	struct pop3_server *s = xcalloc(1, sizeof *s);
	s->lr = (struct line_reader){ .p = s->line, .cap = sizeof s->line };
	s->hostname = xstrdup(cfg && cfg->hostname ? cfg->hostname : "localhost");
	s->tls_offered = cfg && cfg->tls_offered;
	s->tls_active = cfg && cfg->tls_active;
	s->plaintext_auth = cfg && cfg->plaintext_auth;
	if (ops)
		s->ops = *ops;
	s->ctx = ctx;
	s->state = POP3_SERVER_STATE_AUTHORIZATION; /* the first state, not a change */
	return s;
}

void pop3_server_free(struct pop3_server *s)
{
	if (!s)
		return;
	/* Still open (no QUIT): close without UPDATE, so the door unlocks the
	 * maildrop and every message marked deleted stays. */
	if (s->state != POP3_SERVER_STATE_CLOSED)
		pop3_server_enter_state(s, POP3_SERVER_STATE_CLOSED);
	free(s->msgs);
	free(s->deleted);
	free(s->hostname);
	free(s);
}

void pop3_server_abort(struct pop3_server *s)
{
	if (s && s->state != POP3_SERVER_STATE_CLOSED)
		pop3_server_enter_state(s, POP3_SERVER_STATE_CLOSED);
}

void pop3_server_start(struct pop3_server *s, struct wire *out)
{
	wire_line(out, N_("POP3 (RFC 1939): the server is ready; log in with USER and PASS"),
		  "+OK %s POP3 server ready", s->hostname);
}

bool pop3_server_closed(const struct pop3_server *s)
{
	return s->state == POP3_SERVER_STATE_CLOSED;
}

const char *pop3_server_state_name(const struct pop3_server *s)
{
	return pop3_server_state_names[s->state];
}

/* ------------------------------------------------------------ 3. helpers */

static const char *pop3_server_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* The messages not marked deleted: how many, and their octets. */
static void pop3_server_count(const struct pop3_server *s, size_t *n, uint64_t *octets)
{
	*n = 0;
	*octets = 0;
	for (size_t i = 0; i < s->nmsgs; i++) {
		if (s->deleted[i])
			continue;
		(*n)++;
		*octets += s->msgs[i].size;
	}
}

/* "+OK maildrop has 3 messages (320 octets)", after login and RSET. */
static void pop3_server_say_maildrop(const struct pop3_server *s, const char *note,
				     struct wire *out)
{
	size_t n;
	uint64_t octets;
	pop3_server_count(s, &n, &octets);
	wire_line(out, note, "+OK maildrop has %zu message%s (%" PRIu64 " octets)", n,
		  pop3_server_plural(n), octets);
}

/* A number as POP3 writes it: decimal digits and nothing else (no sign, no
 * space).  A value too big for 64 bits saturates: it names no message, and
 * as a TOP line count it means "all of them" anyway. */
static bool pop3_server_parse_number(const char *arg, uint64_t *value)
{
	if (*arg == '\0')
		return false;
	uint64_t v = 0;
	for (const char *p = arg; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		unsigned digit = (unsigned)(*p - '0');
		v = v > (UINT64_MAX - digit) / 10 ? UINT64_MAX : v * 10 + digit;
	}
	*value = v;
	return true;
}

/*
 * The message an argument names, or NULL after answering why not.  Message
 * numbers are 1..n of the snapshot taken at login, and a message marked
 * deleted may not be named again (RFC 1939 5) until RSET unmarks it.
 */
static const struct pop3_msg *pop3_server_find(struct pop3_server *s, const char *arg,
					       size_t *number, struct wire *out)
{
	uint64_t n;
	if (!pop3_server_parse_number(arg, &n)) {
		wire_line(out, N_("a message number is written in digits only, from 1 up to the count "
				  "that STAT gives"), "-ERR invalid message number");
		return NULL;
	}
	if (n == 0 || n > s->nmsgs) {
		wire_line(out, N_("messages are numbered from 1 to the count that STAT gives"),
			  "-ERR no such message");
		return NULL;
	}
	if (s->deleted[n - 1]) {
		wire_line(out, N_("this message is marked deleted; RSET would unmark it"),
			  "-ERR message %" PRIu64 " already deleted", n);
		return NULL;
	}
	*number = (size_t)n;
	return &s->msgs[n - 1];
}

/*
 * Send a message's content as the body of a multi-line response (RFC 1939
 * 3), then the "." line that ends it.  Every line that begins with "." gets
 * one more "." in front ("byte-stuffing"), so that no line of the message
 * can pass for the end; the client takes it off again.  A line starts after
 * every LF, so even a stray bare LF followed by "." is stuffed.
 *
 * TOP sends only the header, the empty line after it and body_lines_max
 * lines of the body; RETR passes UINT64_MAX and so sends everything.
 */
static void pop3_server_send_stuffed(struct wire *out, const char *p, size_t len,
				     uint64_t body_lines_max)
{
	bool in_body = false;    /* past the empty line that ends the header */
	uint64_t body_lines = 0; /* body lines sent so far */
	bool line_open = false;  /* the content ended without a line end */
	size_t i = 0;
	while (i < len) {
		const char *lf = memchr(p + i, '\n', len - i);
		size_t end = lf ? (size_t)(lf - p) + 1 : len; /* this line, with its LF */
		if (in_body) {
			if (body_lines == body_lines_max)
				break;
			body_lines++;
		}
		if (!in_body) /* who vouches for the message, in its header */
			wire_note_here(out, mime_auth_field_note(p + i, end - i));
		if (p[i] == '.') {
			wire_note_here(out, N_("this line of the message begins with \".\", so the server "
					       "sent one more \".\" in front; the client removes it"));
			wire_raw(out, ".", 1);
		}
		wire_raw(out, p + i, end - i);
		size_t n = end - i;
		if (lf && (n == 1 || (n == 2 && p[i] == '\r')))
			in_body = true;
		line_open = !lf;
		i = end;
	}
	if (line_open)
		wire_raw(out, "\r\n", 2);
	wire_line(out, NULL, ".");
}

/* ----------------------------------------------------------- 4. logging in */

/*
 * A name and a password have come, by USER/PASS or by AUTH PLAIN.  If the
 * host says they are right, lock the maildrop and enter TRANSACTION.
 */
static void pop3_server_login(struct pop3_server *s, const char *user, const char *password,
			      struct wire *out)
{
	if (!s->ops.auth || !s->ops.auth(s->ctx, user, password)) {
		wire_line(out, N_("[AUTH]: the user name or the password is wrong, so trying again "
				  "without changing them is no use (RFC 3206)"),
			  "-ERR [AUTH] Authentication failed");
		return;
	}
	struct pop3_msg *msgs = NULL;
	size_t n = 0;
	enum pop3_lock_result lock =
		s->ops.lock ? s->ops.lock(s->ctx, user, &msgs, &n) : POP3_LOCK_ERROR;
	if (lock == POP3_LOCK_IN_USE) {
		free(msgs);
		wire_line(out, N_("[IN-USE]: another session holds this maildrop's lock, so two "
				  "clients never delete from it at once (RFC 2449 8.1.1)"),
			  "-ERR [IN-USE] Maildrop already locked by another session");
		return;
	}
	if (lock != POP3_LOCK_OK) {
		free(msgs);
		wire_line(out, N_("[SYS/TEMP]: a problem on the server, not with the login; it may "
				  "be gone if the client tries later (RFC 3206)"),
			  "-ERR [SYS/TEMP] Unable to open the maildrop, try again later");
		return;
	}
	s->user = xstrdup(user);
	s->msgs = msgs;
	s->nmsgs = msgs ? n : 0;
	s->deleted = xcalloc(s->nmsgs, sizeof *s->deleted);
	pop3_server_enter_state(s, POP3_SERVER_STATE_TRANSACTION);
	pop3_server_say_maildrop(s, N_("TRANSACTION: the maildrop is locked for this session, and "
				       "its messages keep their numbers until QUIT"), out);
}

/* The base64 alphabet (RFC 4648 4) with its padding: nothing else, not
 * even white space, may appear in an AUTH answer (RFC 5034 4). */
static const char pop3_server_base64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

/* PLAIN (RFC 4616 2): base64 of authzid NUL authcid NUL password.  The user
 * is the authcid; an authzid, if given, must be the same user. */
static void pop3_server_auth_plain(struct pop3_server *s, const char *b64, struct wire *out)
{
	size_t n = strlen(b64);
	struct buf dec;
	buf_init(&dec);
	if (strspn(b64, pop3_server_base64_chars) != n || mime_base64_decode(&dec, b64, n) != 0) {
		wire_line(out, N_("the answer to AUTH must be base64, without spaces (RFC 5034 4)"),
			  "-ERR cannot decode the base64 response");
		goto done;
	}
	struct sasl_plain plain;
	if (!sasl_plain_split(&dec, &plain)) {
		wire_line(out, N_("PLAIN carries three parts: authorization id, NUL, user name, NUL, "
				  "password (RFC 4616)"), "-ERR malformed PLAIN response");
		goto done;
	}
	if (sasl_plain_acts_as_other(&plain)) {
		/* acting for another user is not something this server allows */
		wire_line(out, N_("[AUTH]: this user may not act as another"),
			  "-ERR [AUTH] Authentication failed");
		goto done;
	}
	pop3_server_login(s, plain.user, plain.password, out);
done:
	buf_free(&dec);
}

/* The line the client sent in answer to AUTH PLAIN's "+ ". */
static void pop3_server_auth_response(struct pop3_server *s, const char *line, struct wire *out)
{
	/* one answer ends the exchange, whatever it holds */
	pop3_server_enter_state(s, POP3_SERVER_STATE_AUTHORIZATION);
	if (strcmp(line, "*") == 0) {
		wire_line(out, N_("\"*\" cancels an AUTH exchange (RFC 5034 4)"),
			  "-ERR authentication cancelled");
		return;
	}
	pop3_server_auth_plain(s, line, out);
}

/* ---------------------------------------------------------- 5. commands */

/*
 * Each command has a check and a proceed.  The check answers "may this
 * command run now?" (in this state, at this point) and, if not, sends the
 * refusal and returns false; NULL means it may run in any state.  The
 * proceed acts and answers; its arguments have been cut and counted
 * already, as the command's row in the table says.
 */

static bool pop3_server_check_authorization(struct pop3_server *s, struct wire *out)
{
	if (s->state == POP3_SERVER_STATE_AUTHORIZATION)
		return true;
	wire_line(out, N_("USER, PASS and AUTH belong to the AUTHORIZATION state; this session "
			  "is logged in already"),
		  "-ERR command not valid in this state: already logged in");
	return false;
}

static bool pop3_server_check_transaction(struct pop3_server *s, struct wire *out)
{
	if (s->state == POP3_SERVER_STATE_TRANSACTION)
		return true;
	wire_line(out, N_("this command belongs to the TRANSACTION state, which begins once the "
			  "user has logged in"), "-ERR command not valid in this state: log in first");
	return false;
}

/* Is a password refused here until STLS?  Only when the host can start TLS
 * and the lab has not asked for plaintext logins (RFC 2595 4). */
static bool pop3_server_login_needs_tls(const struct pop3_server *s)
{
	return s->tls_offered && !s->tls_active && !s->plaintext_auth;
}

/* USER, PASS, AUTH: in AUTHORIZATION, and over TLS if TLS is to be had. */
static bool pop3_server_check_login(struct pop3_server *s, struct wire *out)
{
	if (!pop3_server_check_authorization(s, out))
		return false;
	if (!pop3_server_login_needs_tls(s))
		return true;
	wire_line(out, N_("[AUTH]: this server offers TLS and takes no password over a plaintext "
			  "connection, where anyone on the path could read it: STLS first "
			  "(RFC 2595 4, RFC 2449 8.1)"),
		  "-ERR [AUTH] Plaintext authentication is disabled: use STLS first");
	return false;
}

/* STLS (RFC 2595 4): only in AUTHORIZATION, only where offered, only once. */
static bool pop3_server_check_stls(struct pop3_server *s, struct wire *out)
{
	if (s->tls_active) {
		wire_line(out, N_("this connection is encrypted already; CAPA no longer lists STLS"),
			  "-ERR Command not permitted when TLS active");
		return false;
	}
	if (!s->tls_offered) {
		wire_line(out, N_("the server knows this command but does not offer it; CAPA lists what "
				  "it does offer"), "-ERR command not offered by this server");
		return false;
	}
	if (s->state != POP3_SERVER_STATE_AUTHORIZATION) {
		wire_line(out, N_("STLS belongs to the AUTHORIZATION state, before logging in "
				  "(RFC 2595 4)"),
			  "-ERR command not valid in this state: already logged in");
		return false;
	}
	return true;
}

static bool pop3_server_check_pass(struct pop3_server *s, struct wire *out)
{
	if (!pop3_server_check_login(s, out))
		return false;
	if (s->user_given[0])
		return true;
	wire_line(out, N_("PASS is allowed only on the line right after USER (RFC 1939 7)"),
		  "-ERR PASS must come right after USER");
	return false;
}

static void pop3_server_proceed_user(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	(void)argc;
	snprintf(s->user_given, sizeof s->user_given, "%s", argv[0]);
	wire_line(out, N_("USER always gets +OK, so that trying names tells nobody which users "
			  "exist; PASS comes next"), "+OK send PASS");
}

static void pop3_server_proceed_pass(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	(void)argc;
	char user[sizeof s->user_given];
	memcpy(user, s->user_given, sizeof user);
	s->user_given[0] = '\0'; /* a name is good for one PASS, right or wrong */
	pop3_server_login(s, user, argv[0], out);
}

/* AUTH mechanism [initial-response] (RFC 5034 4).  An initial response of
 * "=" is an empty one. */
static void pop3_server_proceed_auth(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	if (strcasecmp(argv[0], "PLAIN") != 0) {
		wire_line(out, N_("CAPA lists the mechanisms this server knows: SASL PLAIN"),
			  "-ERR unrecognized authentication mechanism");
		return;
	}
	if (argc == 2) {
		pop3_server_auth_plain(s, strcmp(argv[1], "=") == 0 ? "" : argv[1], out);
		return;
	}
	pop3_server_enter_state(s, POP3_SERVER_STATE_AUTH_PLAIN);
	wire_line(out, N_("\"+ \" with nothing after it: PLAIN asks no question, the client just "
			  "sends name and password in base64, which anyone watching can decode"), "+ ");
}

static void pop3_server_proceed_capa(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	(void)argv;
	(void)argc;
	wire_line(out, N_("CAPA (RFC 2449): the server lists what it offers, one capability a "
			  "line, ended by a line with a single dot"), "+OK Capability list follows");
	wire_line(out, N_("TOP: the client may fetch just the header and first lines of a message"),
		  "TOP");
	wire_line(out, N_("UIDL: every message has a unique-id that never changes"), "UIDL");
	if (s->tls_offered && !s->tls_active)
		wire_line(out, N_("STLS: the client may turn this connection into an encrypted one "
				  "before it logs in (RFC 2595)"), "STLS");
	bool login_ok = !pop3_server_login_needs_tls(s);
	if (login_ok)
		wire_line(out, N_("USER: logging in with USER and PASS is allowed"), "USER");
	wire_line(out, N_("RESP-CODES: an -ERR may carry a code in brackets, such as [IN-USE], "
			  "for the client program to act on"), "RESP-CODES");
	wire_line(out, N_("AUTH-RESP-CODE: a failed login says [AUTH] (wrong name or password) "
			  "or [SYS/TEMP] (a passing problem on the server) (RFC 3206)"),
		  "AUTH-RESP-CODE");
	wire_line(out, N_("PIPELINING: the client may send several commands without waiting "
			  "for each response"), "PIPELINING");
	if (login_ok)
		wire_line(out, N_("SASL PLAIN: AUTH PLAIN logs in with name and password in one base64 "
				  "string (RFC 5034)"), "SASL PLAIN");
	wire_line(out, NULL, "IMPLEMENTATION mailsim");
	wire_line(out, NULL, ".");
}

static void pop3_server_proceed_stat(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	(void)argv;
	(void)argc;
	size_t n;
	uint64_t octets;
	pop3_server_count(s, &n, &octets);
	wire_line(out, N_("STAT: how many messages there are and their total size in octets; "
			  "messages marked deleted do not count"), "+OK %zu %" PRIu64, n, octets);
}

static void pop3_server_proceed_list(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	if (argc == 1) {
		size_t number;
		const struct pop3_msg *m = pop3_server_find(s, argv[0], &number, out);
		if (m)
			wire_line(out, N_("LIST with a number: that message's exact size in octets"),
				  "+OK %zu %" PRIu64, number, m->size);
		return;
	}
	size_t n;
	uint64_t octets;
	pop3_server_count(s, &n, &octets);
	wire_line(out, N_("LIST: each message's number and exact size in octets, one per line, "
			  "ended by a dot; messages marked deleted are left out"),
		  "+OK %zu message%s (%" PRIu64 " octets)", n, pop3_server_plural(n), octets);
	for (size_t i = 0; i < s->nmsgs; i++)
		if (!s->deleted[i])
			wire_line(out, NULL, "%zu %" PRIu64, i + 1, s->msgs[i].size);
	wire_line(out, NULL, ".");
}

/*
 * RETR and TOP: fetch the message's content from the host, then send the
 * +OK line (note, fmt) and the content, dot-stuffed, with at most
 * body_lines_max lines of its body.  If the host no longer has the
 * message, say so instead.
 */
static void pop3_server_send_message(struct pop3_server *s, const struct pop3_msg *m,
				     size_t number, uint64_t body_lines_max, struct wire *out,
				     const char *note, const char *fmt, ...) PRINTF_LIKE(7, 8);

static void pop3_server_send_message(struct pop3_server *s, const struct pop3_msg *m,
				     size_t number, uint64_t body_lines_max, struct wire *out,
				     const char *note, const char *fmt, ...)
{
	struct buf content;
	buf_init(&content);
	if (s->ops.content && s->ops.content(s->ctx, s->user, m, &content)) {
		va_list ap;
		va_start(ap, fmt);
		wire_vline(out, note, fmt, ap);
		va_end(ap);
		pop3_server_send_stuffed(out, content.p, content.len, body_lines_max);
	} else {
		wire_line(out, N_("the message went away after the session began, perhaps removed by "
				  "another client"), "-ERR message %zu no longer exists", number);
	}
	buf_free(&content);
}

static void pop3_server_proceed_retr(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	(void)argc;
	size_t number;
	const struct pop3_msg *m = pop3_server_find(s, argv[0], &number, out);
	if (m)
		pop3_server_send_message(s, m, number, UINT64_MAX, out,
					 N_("RETR: the whole message follows, ended by a line with "
					    "a single dot"), "+OK %" PRIu64 " octets", m->size);
}

static void pop3_server_proceed_top(struct pop3_server *s, char **argv, size_t argc,
				    struct wire *out)
{
	(void)argc;
	size_t number;
	const struct pop3_msg *m = pop3_server_find(s, argv[0], &number, out);
	if (!m)
		return;
	uint64_t lines;
	if (!pop3_server_parse_number(argv[1], &lines)) {
		wire_line(out, N_("TOP's second argument is how many body lines to send: 0 or more, "
				  "in digits"), "-ERR invalid number of lines");
		return;
	}
	pop3_server_send_message(s, m, number, lines, out,
				 N_("TOP: the header, the empty line after it and only the first "
				    "lines of the body, ended by a line with a single dot"),
				 "+OK top of message follows");
}

static void pop3_server_proceed_dele(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	(void)argc;
	size_t number;
	if (!pop3_server_find(s, argv[0], &number, out))
		return;
	s->deleted[number - 1] = true;
	if (s->ops.mark)
		s->ops.mark(s->ctx, s->user, &s->msgs[number - 1], true);
	wire_line(out, N_("DELE only marks the message: it is removed at QUIT, in the UPDATE state"),
		  "+OK message %zu deleted", number);
}

static void pop3_server_proceed_noop(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	(void)s;
	(void)argv;
	(void)argc;
	wire_line(out, N_("NOOP does nothing; a client sends it to check that the server is "
			  "still there"), "+OK");
}

/* Every mark goes (RSET, a session ended without UPDATE, an UPDATE that
 * failed); the host hears of each one that was set. */
static void pop3_server_unmark_all(struct pop3_server *s)
{
	for (size_t i = 0; i < s->nmsgs; i++) {
		if (s->deleted[i] && s->ops.mark)
			s->ops.mark(s->ctx, s->user, &s->msgs[i], false);
		s->deleted[i] = false;
	}
}

static void pop3_server_proceed_rset(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	(void)argv;
	(void)argc;
	pop3_server_unmark_all(s);
	pop3_server_say_maildrop(s, N_("RSET unmarks every message marked deleted in this session"),
				 out);
}

static void pop3_server_proceed_uidl(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	static const char *const note = N_("a unique-id never changes, so a client that keeps "
					   "mail on the server can tell which messages it "
					   "already has");
	if (argc == 1) {
		size_t number;
		const struct pop3_msg *m = pop3_server_find(s, argv[0], &number, out);
		if (m)
			wire_line(out, note, "+OK %zu %.*s", number, POP3_UIDL_MAX_CHARS, m->uidl);
		return;
	}
	wire_line(out, note, "+OK unique-id listing follows");
	for (size_t i = 0; i < s->nmsgs; i++)
		if (!s->deleted[i])
			wire_line(out, NULL, "%zu %.*s", i + 1, POP3_UIDL_MAX_CHARS, s->msgs[i].uidl);
	wire_line(out, NULL, ".");
}

/*
 * QUIT.  Before login it just ends the session.  In TRANSACTION it leads to
 * UPDATE (RFC 1939 6): the host removes every marked message in one
 * transaction, and only if that worked does the server say +OK.  Either
 * way the lock is released and the session ends.
 */
static void pop3_server_proceed_quit(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	(void)argv;
	(void)argc;
	if (s->state != POP3_SERVER_STATE_TRANSACTION) {
		pop3_server_enter_state(s, POP3_SERVER_STATE_CLOSED);
		wire_line(out, N_("QUIT before logging in: the session ends and nothing on the "
				  "server changes"), "+OK %s POP3 server signing off", s->hostname);
		return;
	}

	pop3_server_enter_state(s, POP3_SERVER_STATE_UPDATE);
	const struct pop3_msg **dele = xcalloc(s->nmsgs, sizeof *dele);
	size_t ndele = 0;
	for (size_t i = 0; i < s->nmsgs; i++)
		if (s->deleted[i])
			dele[ndele++] = &s->msgs[i];
	/* nothing marked: nothing to ask the host */
	bool removed = ndele == 0 ||
		       (s->ops.update && s->ops.update(s->ctx, s->user, dele, ndele));
	free(dele);
	if (!removed)
		pop3_server_unmark_all(s); /* all still there, none marked any more */
	pop3_server_enter_state(s, POP3_SERVER_STATE_CLOSED); /* releases the lock */

	if (!removed)
		wire_line(out, N_("[SYS/TEMP]: the server could not remove the marked messages, so "
				  "they are all still there (RFC 1939 6)"),
			  "-ERR [SYS/TEMP] some deleted messages not removed");
	else if (ndele == 0)
		wire_line(out, N_("QUIT: no message was marked deleted, so every one stays on the server"),
			  "+OK %s POP3 server signing off (0 messages deleted)", s->hostname);
	else
		wire_line(out, N_("UPDATE: now, and only now, the marked messages are removed from "
				  "the server"), "+OK %s POP3 server signing off (%zu message%s deleted)",
			  s->hostname, ndele, pop3_server_plural(ndele));
}

/*
 * APOP name digest (RFC 1939 7): the digest is MD5 of the timestamp in the
 * greeting and a secret shared with the user.  This server puts no
 * timestamp in its greeting, so there is nothing to check the digest
 * against: APOP is parsed like any command and refused in words.  CAPA does
 * not list it, and neither does RFC 2449 give it a capability.
 */
static void pop3_server_proceed_apop(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	(void)s;
	(void)argv;
	(void)argc;
	wire_line(out, N_("APOP needs a timestamp in the greeting, and this server's greeting has "
			  "none; log in with USER and PASS, or AUTH PLAIN"),
		  "-ERR APOP not offered: log in with USER and PASS, or AUTH PLAIN");
}

/*
 * STLS (RFC 2595 4): the go-ahead, then the handshake.  The next bytes from
 * the client must be TLS; anything that came after the STLS line in the
 * same packet was sent in plaintext by whoever sits on the path, and is
 * thrown away by pop3_server_feed rather than run after the handshake as
 * if it had been encrypted (CVE-2011-0411).
 */
static void pop3_server_proceed_stls(struct pop3_server *s, char **argv, size_t argc,
				     struct wire *out)
{
	(void)argv;
	(void)argc;
	s->tls_pending = true;
	wire_line(out, N_("+OK to STLS: the TLS handshake comes next; whatever the client sent "
			  "after STLS in plaintext is thrown away, never run (RFC 2595 4, "
			  "CVE-2011-0411)"),
		  "+OK Begin TLS negotiation");
}

bool pop3_server_tls_pending(const struct pop3_server *s)
{
	return s->tls_pending;
}

/* After the handshake (RFC 2595 4): still AUTHORIZATION, USER's name (if
 * any) forgotten, STLS gone from CAPA; no new greeting. */
void pop3_server_tls_started(struct pop3_server *s)
{
	if (!s->tls_pending)
		return;
	s->tls_pending = false;
	s->tls_active = true;
	s->user_given[0] = '\0';
	line_reader_next(&s->lr);
}

/* How a command's arguments are cut from the text after its keyword. */
enum pop3_server_args_shape {
	POP3_SERVER_ARGS_WORDS, /* words between spaces, each at most 40 characters */
	POP3_SERVER_ARGS_LINE,  /* the rest of the line is one argument, of any
				 * length the line allows: a password may hold
				 * spaces (RFC 1939 7), and a cap of 40 would lock
				 * out a user whose password is longer */
	POP3_SERVER_ARGS_SASL,  /* words; the second, AUTH's initial response, may be
				 * longer than 40 and fill the line (RFC 5034 4) */
};

struct pop3_server_command {
	const char *keyword;
	bool (*check)(struct pop3_server *s, struct wire *out);
	void (*proceed)(struct pop3_server *s, char **argv, size_t argc, struct wire *out);
	unsigned char min_args, max_args;    /* how many arguments it takes */
	enum pop3_server_args_shape shape;
	const char *usage;                   /* the syntax, for "-ERR Syntax: ..." */
};

/* Every command the server knows.  Adding a command is adding a row. */
static const struct pop3_server_command pop3_server_commands[] = {
	/* AUTHORIZATION (RFC 1939 4 and 7, RFC 5034) */
	{"USER", pop3_server_check_login, pop3_server_proceed_user, 1, 1,
	 POP3_SERVER_ARGS_WORDS, "USER name"},
	{"PASS", pop3_server_check_pass, pop3_server_proceed_pass, 1, 1,
	 POP3_SERVER_ARGS_LINE, "PASS password"},
	{"AUTH", pop3_server_check_login, pop3_server_proceed_auth, 1, 2,
	 POP3_SERVER_ARGS_SASL, "AUTH mechanism [initial-response]"},
	/* TRANSACTION (RFC 1939 5 and 7) */
	{"STAT", pop3_server_check_transaction, pop3_server_proceed_stat, 0, 0,
	 POP3_SERVER_ARGS_WORDS, "STAT"},
	{"LIST", pop3_server_check_transaction, pop3_server_proceed_list, 0, 1,
	 POP3_SERVER_ARGS_WORDS, "LIST [msg]"},
	{"RETR", pop3_server_check_transaction, pop3_server_proceed_retr, 1, 1,
	 POP3_SERVER_ARGS_WORDS, "RETR msg"},
	{"DELE", pop3_server_check_transaction, pop3_server_proceed_dele, 1, 1,
	 POP3_SERVER_ARGS_WORDS, "DELE msg"},
	{"NOOP", pop3_server_check_transaction, pop3_server_proceed_noop, 0, 0,
	 POP3_SERVER_ARGS_WORDS, "NOOP"},
	{"RSET", pop3_server_check_transaction, pop3_server_proceed_rset, 0, 0,
	 POP3_SERVER_ARGS_WORDS, "RSET"},
	{"TOP", pop3_server_check_transaction, pop3_server_proceed_top, 2, 2,
	 POP3_SERVER_ARGS_WORDS, "TOP msg n"},
	{"UIDL", pop3_server_check_transaction, pop3_server_proceed_uidl, 0, 1,
	 POP3_SERVER_ARGS_WORDS, "UIDL [msg]"},
	/* either state */
	{"CAPA", NULL, pop3_server_proceed_capa, 0, 0, POP3_SERVER_ARGS_WORDS, "CAPA"},
	{"QUIT", NULL, pop3_server_proceed_quit, 0, 0, POP3_SERVER_ARGS_WORDS, "QUIT"},
	{"APOP", pop3_server_check_authorization, pop3_server_proceed_apop, 2, 2,
	 POP3_SERVER_ARGS_WORDS, "APOP name digest"},
	/* TLS (RFC 2595), where the host offers it */
	{"STLS", pop3_server_check_stls, pop3_server_proceed_stls, 0, 0, POP3_SERVER_ARGS_WORDS,
	 "STLS"},
};

#define POP3_SERVER_NCOMMANDS (sizeof pop3_server_commands / sizeof pop3_server_commands[0])

/* The row for a keyword (case-insensitive, RFC 1939 3), or NULL. */
static const struct pop3_server_command *pop3_server_lookup(const char *keyword, size_t n)
{
	for (size_t i = 0; i < POP3_SERVER_NCOMMANDS; i++) {
		const struct pop3_server_command *c = &pop3_server_commands[i];
		if (strlen(c->keyword) == n && strncasecmp(c->keyword, keyword, n) == 0)
			return c;
	}
	return NULL;
}

/*
 * Cut the text after a keyword into arguments, in place, as the command's
 * row says, and check how many there are and how long (RFC 2449 4: at most
 * 40 characters each).  Answers and returns false if they do not fit.
 * Extra spaces between words, or after the last, are forgiven.
 *
 * Two kinds of argument are exempt from the 40: a whole-line argument
 * (PASS), whose only bound is the 255-octet command line, and AUTH's
 * initial response.  Dovecot and Postfix take long passwords too.
 */
static bool pop3_server_split_args(const struct pop3_server_command *c, char *args,
				   char **argv, size_t *argc, struct wire *out)
{
	*argc = 0;
	bool too_many = false;
	if (*args == ' ')
		args++; /* the space after the keyword */
	if (c->shape == POP3_SERVER_ARGS_LINE) {
		if (*args)
			argv[(*argc)++] = args;
	} else {
		char *p = args;
		for (;;) {
			while (*p == ' ')
				p++;
			if (*p == '\0')
				break;
			if (*argc == POP3_SERVER_ARGS_MAX) {
				too_many = true; /* more words than any command takes */
				break;
			}
			argv[(*argc)++] = p;
			p += strcspn(p, " ");
			if (*p)
				*p++ = '\0';
		}
	}
	if (too_many || *argc < c->min_args || *argc > c->max_args) {
		wire_line(out, NULL, "-ERR Syntax: %s", c->usage);
		return false;
	}
	for (size_t i = 0; i < *argc; i++) {
		bool exempt = c->shape == POP3_SERVER_ARGS_LINE ||
			      (c->shape == POP3_SERVER_ARGS_SASL && i == 1);
		if (!exempt && strlen(argv[i]) > POP3_ARGUMENT_MAX_CHARS) {
			wire_line(out, N_("a POP3 argument may hold at most 40 characters (RFC 2449 4)"),
				  "-ERR argument too long");
			return false;
		}
	}
	return true;
}

/* Split a command line into keyword and arguments and run its row. */
static void pop3_server_command(struct pop3_server *s, char *line, struct wire *out)
{
	size_t nkeyword = strcspn(line, " ");
	const struct pop3_server_command *c = pop3_server_lookup(line, nkeyword);
	/* PASS must come right after USER (RFC 1939 7): any other line makes
	 * the server forget the name. */
	if (!c || c->proceed != pop3_server_proceed_pass)
		s->user_given[0] = '\0';
	if (*line == '\0') {
		wire_line(out, N_("an empty line is not a command"), "-ERR empty command line");
		return;
	}
	if (!c) {
		wire_line(out, N_("the server does not know this command; CAPA lists the extensions "
				  "it offers"), "-ERR unknown command");
		return;
	}
	if (c->check && !c->check(s, out))
		return;
	char *argv[POP3_SERVER_ARGS_MAX];
	size_t argc;
	if (!pop3_server_split_args(c, line + nkeyword, argv, &argc, out))
		return;
	c->proceed(s, argv, argc, out);
}

/* ------------------------------------------------------------- 6. feeding */

/* A whole line has come (CRLF or a lone LF already removed). */
static void pop3_server_line(struct pop3_server *s, char *line, size_t n, struct wire *out)
{
	bool in_auth = s->state == POP3_SERVER_STATE_AUTH_PLAIN;
	bool too_long = s->lr.overflow || n > POP3_SERVER_COMMAND_TEXT_MAX_OCTETS;
	if (too_long || memchr(line, '\0', n)) {
		s->user_given[0] = '\0'; /* not PASS: USER's name is forgotten */
		if (in_auth) /* an answer we cannot read ends the exchange */
			pop3_server_enter_state(s, POP3_SERVER_STATE_AUTHORIZATION);
		if (too_long)
			wire_line(out, N_("a POP3 command line may hold at most 255 octets with its "
					  "CRLF (RFC 2449 4)"), "-ERR line too long");
		else
			wire_line(out, N_("a command line is text: a NUL byte has no place in it"),
				  "-ERR NUL byte in command line");
		return;
	}
	if (in_auth)
		pop3_server_auth_response(s, line, out);
	else
		pop3_server_command(s, line, out);
}

/*
 * Read command-line bytes up to and including one LF; returns how many were
 * used.  line[] holds at most one full command line (RFC 2449 4); of a
 * longer line the rest is read and dropped, and the whole line answered
 * with one -ERR at its LF, so the next line is read in step.
 *
 * A lone LF ends a line too: POP3 wants CRLF, but a student typing into nc
 * (without -C) sends LF, and nothing is hidden by accepting it.
 */
static size_t pop3_server_feed_line(struct pop3_server *s, const char *in, size_t len,
				    struct wire *out)
{
	bool done;
	size_t textlen = 0;
	size_t used = line_reader_feed(&s->lr, in, len, &done, &textlen);
	if (done) {
		pop3_server_line(s, s->line, textlen, out);
		line_reader_next(&s->lr);
	}
	return used;
}

/* Every response is complete before the next line is read, so commands
 * sent together (PIPELINING, RFC 2449 6.6) are answered in order. */
size_t pop3_server_feed(struct pop3_server *s, const char *in, size_t len, struct wire *out)
{
	size_t used = 0;
	while (used < len && s->state != POP3_SERVER_STATE_CLOSED && !s->tls_pending)
		used += pop3_server_feed_line(s, in + used, len - used, out);
	if (s->tls_pending)
		used = len; /* plaintext after STLS: dropped (CVE-2011-0411) */
	return used;
}
