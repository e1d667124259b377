/*
 * pop3_client.c - the POP3 client engine (RFC 1939), sans-I/O.
 *
 * The client does what a mail program's "get mail" button does, one command
 * at a time.  A whole session, as a class sees it (S: the server, C: this
 * client), with the state the client is in while it waits for each answer:
 *
 *   S: +OK POP3 server ready                     GREETING
 *   C: USER bob                                  USER
 *   S: +OK
 *   C: PASS bob123                               PASS
 *   S: +OK maildrop locked and ready
 *   C: STAT                                      STAT
 *   S: +OK 2 320
 *   C: UIDL                                      UIDL
 *   S: +OK
 *   S: 1 a1b2c3
 *   S: 2 d4e5f6
 *   S: .
 *   C: LIST                                      LIST
 *   S: +OK 2 messages
 *   S: 1 120
 *   S: 2 200
 *   S: .
 *   C: RETR 1                                    RETR  (each new message)
 *   S: +OK 120 octets
 *   S: ...the message, dot-stuffed...
 *   S: .
 *   C: DELE 1                                    DELE  (unless "keep")
 *   S: +OK message 1 deleted
 *   ...the same for message 2...
 *   C: QUIT                                      QUIT
 *   S: +OK bye                                   DONE
 *
 * With config starttls the client first asks CAPA (RFC 2449); if the list
 * holds STLS, it turns the connection into TLS before USER (RFC 2595):
 *
 *   C: CAPA                                      CAPA
 *   S: +OK ... STLS ... .
 *   C: STLS                                      STLS
 *   S: +OK Begin TLS negotiation                 TLS   (the host's handshake)
 *   C: USER bob                                  USER  (now encrypted)
 *
 * A server without STLS gets USER in plaintext, as before.
 *
 * Every answer starts with a status line, "+OK ..." or "-ERR ..." (RFC 1939
 * 3).  The answers to UIDL, LIST and RETR go on, after a +OK, with lines of
 * data and end with a line holding a single ".".  A data line that starts
 * with "." has had one more "." put in front by the server (dot-stuffing),
 * so that no line of a message can look like the end; the client takes it
 * off again.
 *
 * Unique-ids (UIDL) are how a client that keeps mail on the server avoids
 * downloading the same message twice: message numbers change from session
 * to session, unique-ids never do.  The host passes the ids the device
 * already holds; those messages are not retrieved again.  A server without
 * UIDL (it answers -ERR) gets every message downloaded.
 *
 * Nothing is really deleted until the server answers QUIT with +OK: DELE
 * only marks a message, and a session that ends any other way (a broken
 * connection, a confused client) deletes nothing.  So pop3_client_deleted()
 * counts the DELEs that were accepted, but only once QUIT has succeeded.
 *
 * The error is sticky and the first one wins: a later problem (the server
 * closing the connection after a wrong password, say) does not hide the
 * cause.  Errors this client makes up itself (no server said them) start
 * with "client:"; only the user reads them, so they are translated.
 */
#include "pop3.h"
#include "i18n.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A status line is kept up to this many octets, CR LF not counted (RFC 2449
 * 4 allows 512 with CR LF); the rest of a longer line is dropped. */
#define POP3_CLIENT_STATUS_KEEP_OCTETS (POP3_RESPONSE_LINE_MAX_OCTETS - 2)
/* A data line (of a message, or of a listing) is kept up to this many
 * octets.  RFC 5322 2.1.1 allows 998 in a message; a message with a longer
 * line than this is not handed over, rather than handed over cut short. */
#define POP3_CLIENT_DATA_LINE_KEEP_OCTETS (64u * 1024u)
/* At most this many lines of a UIDL or LIST listing are kept; a maildrop
 * larger than that is fetched in several sessions. */
#define POP3_CLIENT_LISTING_MAX_ENTRIES 100000u
/* How much of a line that is not a status line is quoted in the error. */
#define POP3_CLIENT_BAD_LINE_QUOTE_OCTETS 64

enum pop3_client_state {
	POP3_CLIENT_GREETING, /* connected; waiting for the server's +OK */
	POP3_CLIENT_CAPA,     /* sent CAPA (starttls): does it list STLS? */
	POP3_CLIENT_STLS,     /* sent STLS; waiting for +OK (RFC 2595) */
	POP3_CLIENT_TLS,      /* the host is doing the TLS handshake */
	POP3_CLIENT_USER,     /* sent USER */
	POP3_CLIENT_PASS,     /* sent PASS; +OK means the maildrop is locked */
	POP3_CLIENT_STAT,     /* sent STAT */
	POP3_CLIENT_UIDL,     /* sent UIDL; a -ERR is allowed (no UIDL support) */
	POP3_CLIENT_LIST,     /* sent LIST */
	POP3_CLIENT_RETR,     /* sent RETR for message `cur` */
	POP3_CLIENT_DELE,     /* sent DELE for message `cur` */
	POP3_CLIENT_QUIT,     /* sent QUIT; waiting for the UPDATE's +OK */
	POP3_CLIENT_DONE,     /* nothing more to say or hear */
};

static const char *const pop3_client_state_names[] = {
	[POP3_CLIENT_GREETING] = "GREETING",
	[POP3_CLIENT_CAPA] = "CAPA",
	[POP3_CLIENT_STLS] = "STLS",
	[POP3_CLIENT_TLS] = "TLS",
	[POP3_CLIENT_USER] = "USER",
	[POP3_CLIENT_PASS] = "PASS",
	[POP3_CLIENT_STAT] = "STAT",
	[POP3_CLIENT_UIDL] = "UIDL",
	[POP3_CLIENT_LIST] = "LIST",
	[POP3_CLIENT_RETR] = "RETR",
	[POP3_CLIENT_DELE] = "DELE",
	[POP3_CLIENT_QUIT] = "QUIT",
	[POP3_CLIENT_DONE] = "DONE",
};

/* The commands whose +OK is followed by lines of data and a "." (RFC 1939,
 * RFC 2449).  LIST and UIDL list the whole maildrop only without an
 * argument; "LIST 2" answers about one message, on one line.  The client
 * and the raw sessions both look here. */
static const struct pop3_multiline_row {
	const char *verb;
	bool only_without_argument;
} pop3_multiline_table[] = {
	{"CAPA", false}, /* RFC 2449 5: the capabilities, one per line */
	{"LIST", true},  /* RFC 1939 5: "n size" per message */
	{"UIDL", true},  /* RFC 1939 7: "n unique-id" per message */
	{"RETR", false}, /* RFC 1939 5: the whole message */
	{"TOP", false},  /* RFC 1939 7: the headers and the first n lines */
};

enum pop3_status {
	POP3_STATUS_OK,  /* "+OK ..." */
	POP3_STATUS_ERR, /* "-ERR ..." */
	POP3_STATUS_BAD, /* not a status line at all */
};

/* One message of the maildrop, as the listings describe it. */
struct pop3_client_msg {
	unsigned long num;  /* the message number, valid for this session only */
	uint64_t size;      /* octets, from LIST */
	char uidl[POP3_UIDL_MAX_CHARS + 1]; /* from UIDL, or "" */
};

/* One line of the UIDL listing, kept until LIST says which messages exist. */
struct pop3_client_uidl {
	unsigned long num;
	char uidl[POP3_UIDL_MAX_CHARS + 1];
};

struct pop3_client {
	enum pop3_client_state state; /* changed only by pop3_client_enter_state */
	char *user;
	char *password;
	bool keep;                    /* leave messages on the server */
	bool starttls;                /* use STLS when CAPA lists it */
	bool server_stls;             /* CAPA listed STLS */
	bool tls_active;              /* the handshake is done: encrypted */
	char **known;                 /* unique-ids the device already holds */
	size_t nknown;
	pop3_client_got_fn got;       /* handed every downloaded message */
	void *ctx;                    /* for got */

	bool has_uidl;                /* the server answered UIDL with +OK */
	struct pop3_client_uidl *uidls; /* the UIDL listing */
	size_t nuidls, capuidls;
	struct pop3_client_msg *msgs; /* the LIST listing, in the server's order */
	size_t nmsgs, capmsgs;
	size_t next;                  /* the next entry of msgs to consider */
	size_t cur;                   /* the entry RETR or DELE is about */

	struct buf line;              /* the line being received */
	bool line_cut;                /* it was longer than we keep */
	bool multiline;               /* a +OK to the last command brings data */
	bool in_data;                 /* between such a +OK and its "." */
	struct buf content;           /* the message RETR is bringing, unstuffed */
	bool content_cut;             /* a line of it was too long to keep */

	size_t downloaded;            /* messages handed to got */
	size_t marked;                /* DELEs the server accepted */
	size_t deleted;               /* marked, once QUIT's +OK confirmed it */
	char *error;                  /* the first thing that went wrong, or NULL */
};

/* ---------------------------------------------------------------- helpers */

static enum pop3_status pop3_status_of(const char *s, size_t n)
{
	if (n >= 3 && memcmp(s, "+OK", 3) == 0 && (n == 3 || s[3] == ' '))
		return POP3_STATUS_OK;
	if (n >= 4 && memcmp(s, "-ERR", 4) == 0 && (n == 4 || s[4] == ' '))
		return POP3_STATUS_ERR;
	return POP3_STATUS_BAD;
}

/* Does a +OK to this command line bring lines of data ending in "."?  The
 * verb is case-insensitive (RFC 1939 3); trailing blanks and CR LF are no
 * argument. */
static bool pop3_command_is_multiline(const char *command)
{
	command += strspn(command, " \t");
	size_t vlen = strcspn(command, " \t\r\n");
	const char *rest = command + vlen;
	bool has_argument = rest[strspn(rest, " \t\r\n")] != '\0';
	for (size_t i = 0; i < sizeof pop3_multiline_table / sizeof *pop3_multiline_table; i++) {
		const struct pop3_multiline_row *row = &pop3_multiline_table[i];
		if (strlen(row->verb) == vlen && strncasecmp(command, row->verb, vlen) == 0)
			return !(row->only_without_argument && has_argument);
	}
	return false;
}

/* A decimal number of 1 to 10 digits at *s, advancing *s past it. */
static bool pop3_parse_number(const char **s, uint64_t *value)
{
	const char *p = *s;
	uint64_t v = 0;
	size_t digits = 0;
	while (*p >= '0' && *p <= '9') {
		if (++digits > 10)
			return false;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (digits == 0)
		return false;
	*s = p;
	*value = v;
	return true;
}

/* A listing line "n word" (UIDL: word is the unique-id; LIST: the size).
 * The word is 1 to 70 characters in 0x21-0x7E (RFC 1939 7).  Returns the
 * word's length, or 0 if the line is not of that shape. */
static size_t pop3_parse_listing_line(const char *s, size_t len_s, unsigned long *num,
				      const char **word)
{
	uint64_t n;
	if (strlen(s) != len_s) /* a NUL inside: no listing line */
		return 0;
	if (!pop3_parse_number(&s, &n) || n == 0 || n > UINT32_MAX || *s != ' ')
		return 0;
	s += strspn(s, " ");
	size_t len = 0;
	while (s[len] >= 0x21 && s[len] <= 0x7e)
		len++;
	if (len == 0 || len > POP3_UIDL_MAX_CHARS)
		return 0;
	/* RFC 1939 allows nothing after the word but spaces */
	if (s[len + strspn(s + len, " ")] != '\0')
		return 0;
	*num = (unsigned long)n;
	*word = s;
	return len;
}

/* A user name or password goes into a command line: it must not hold
 * control bytes (a CR LF inside would end the line early and smuggle in a
 * command of its own), and the line is at most 255 octets with its CR LF
 * (RFC 2449 4). */
static bool pop3_client_argument_ok(const char *verb, const char *arg)
{
	if (strlen(verb) + 1 + strlen(arg) + 2 > POP3_COMMAND_LINE_MAX_OCTETS)
		return false;
	for (const char *p = arg; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return false;
	return true;
}

/* ------------------------------------------------------- state and outcome */

/* The one door through which the state changes.  The host shows the state
 * through pop3_client_state_name() after each feed. */
static void pop3_client_enter_state(struct pop3_client *c, enum pop3_client_state s)
{
	assert(c->state != POP3_CLIENT_DONE); /* DONE is the end: no way out */
	c->state = s;
}

/* Remember what went wrong, unless something already did. */
static void pop3_client_fail(struct pop3_client *c, const char *why, size_t n)
{
	error_keep_first(&c->error, why, n);
}

static void pop3_client_fails(struct pop3_client *c, const char *why)
{
	pop3_client_fail(c, why, strlen(why));
}

static bool pop3_client_is_known(const struct pop3_client *c, const char *uidl)
{
	if (!c->has_uidl || uidl[0] == '\0')
		return false;
	for (size_t i = 0; i < c->nknown; i++)
		if (strcmp(c->known[i], uidl) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------- commands */

/* Send one command line, with its teaching note, and wait for its answer
 * in state s. */
static void pop3_client_send(struct pop3_client *c, struct wire *out,
			     enum pop3_client_state s, const char *note,
			     const char *fmt, ...) PRINTF_LIKE(5, 6);

static void pop3_client_send(struct pop3_client *c, struct wire *out,
			     enum pop3_client_state s, const char *note,
			     const char *fmt, ...)
{
	struct buf line;
	buf_init(&line);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&line, fmt, ap);
	va_end(ap);
	wire_line(out, note, "%s", line.p);
	c->multiline = pop3_command_is_multiline(line.p);
	buf_free(&line);
	pop3_client_enter_state(c, s);
}

static void pop3_client_send_quit(struct pop3_client *c, struct wire *out)
{
	pop3_client_send(c, out, POP3_CLIENT_QUIT,
			 N_("QUIT ends the session: the server now deletes what was "
			    "marked (the UPDATE state)"),
			 "QUIT");
}

/* The greeting said +OK: log in, if the user name and password can be
 * sent at all. */
static void pop3_client_send_user(struct pop3_client *c, struct wire *out)
{
	if (!pop3_client_argument_ok("USER", c->user) ||
	    !pop3_client_argument_ok("PASS", c->password)) {
		pop3_client_fails(c, _("client: the user name or password cannot be sent "
				       "in POP3 (a control character, or too long)"));
		pop3_client_send_quit(c, out);
		return;
	}
	pop3_client_send(c, out, POP3_CLIENT_USER,
			 N_("USER names the mailbox to log in to; PASS follows with "
			    "its password"),
			 "USER %s", c->user);
}

static void pop3_client_send_pass(struct pop3_client *c, struct wire *out)
{
	const char *note = N_("USER and PASS send the password in clear text; real "
			      "servers require TLS first");
	if (c->tls_active)
		note = N_("PASS inside TLS: the password is encrypted on the way, so a "
			  "wiretapper cannot read it");
	else if (c->starttls)
		note = N_("the server offered no STLS, so the password goes in plaintext: "
			  "anyone on the path can read it");
	pop3_client_send(c, out, POP3_CLIENT_PASS, note, "PASS %s", c->password);
}

/* Retrieve the next message the device does not have yet; in delete mode,
 * delete the ones it has.  After the last one, QUIT. */
static void pop3_client_send_next(struct pop3_client *c, struct wire *out)
{
	while (c->next < c->nmsgs) {
		c->cur = c->next++;
		const struct pop3_client_msg *m = &c->msgs[c->cur];
		if (!pop3_client_is_known(c, m->uidl)) {
			pop3_client_send(c, out, POP3_CLIENT_RETR,
					 N_("RETR downloads the whole message"),
					 "RETR %lu", m->num);
			return;
		}
		/* The device holds this one already.  In keep mode it is
		 * simply skipped; in delete mode it is deleted too, as real
		 * clients do: the user asked for the server to keep nothing
		 * the device has, and this message is on the device. */
		if (!c->keep) {
			pop3_client_send(c, out, POP3_CLIENT_DELE,
					 N_("this message is on the device already (its "
					    "unique-id is known), so it is not downloaded "
					    "again, only deleted"),
					 "DELE %lu", m->num);
			return;
		}
	}
	pop3_client_send_quit(c, out);
}

static void pop3_client_send_dele(struct pop3_client *c, struct wire *out)
{
	pop3_client_send(c, out, POP3_CLIENT_DELE,
			 N_("DELE marks it for deletion; the server removes it only "
			    "at QUIT"),
			 "DELE %lu", c->msgs[c->cur].num);
}

/* ---------------------------------------------------------------- answers */

/* The session cannot go on: remember why, and say goodbye. */
static void pop3_client_give_up(struct pop3_client *c, const char *line, size_t n,
				struct wire *out)
{
	pop3_client_fail(c, line, n);
	pop3_client_send_quit(c, out);
}

/* A complete answer to the last command: its status line, and for +OK to
 * UIDL, LIST and RETR, the data (already taken in by pop3_client_on_data). */
static void pop3_client_on_answer(struct pop3_client *c, bool ok, const char *line,
				  size_t n, struct wire *out)
{
	switch (c->state) {
	case POP3_CLIENT_GREETING:
		if (ok && c->starttls) {
			pop3_client_send(c, out, POP3_CLIENT_CAPA,
					 N_("CAPA first: does this server offer STLS, to encrypt "
					    "the session before the password goes (RFC 2595)?"),
					 "CAPA");
		} else if (ok) {
			pop3_client_send_user(c, out);
		} else {
			/* not logged in, nothing to QUIT from */
			pop3_client_fail(c, line, n);
			pop3_client_enter_state(c, POP3_CLIENT_DONE);
		}
		break;
	case POP3_CLIENT_CAPA:
		if (ok && c->server_stls)
			pop3_client_send(c, out, POP3_CLIENT_STLS,
					 N_("STLS: the client asks for encryption before it logs "
					    "in (RFC 2595 4)"),
					 "STLS");
		else
			pop3_client_send_user(c, out); /* no STLS: plaintext, as before */
		break;
	case POP3_CLIENT_STLS:
		if (ok)
			pop3_client_enter_state(c, POP3_CLIENT_TLS); /* the host's turn */
		else
			pop3_client_send_user(c, out);
		break;
	case POP3_CLIENT_TLS:
		break; /* nothing is read until the handshake is done */
	case POP3_CLIENT_USER:
		if (ok)
			pop3_client_send_pass(c, out);
		else
			pop3_client_give_up(c, line, n, out);
		break;
	case POP3_CLIENT_PASS:
		if (ok)
			pop3_client_send(c, out, POP3_CLIENT_STAT,
					 N_("STAT: how many messages, and how many octets in all"),
					 "STAT");
		else
			pop3_client_give_up(c, line, n, out);
		break;
	case POP3_CLIENT_STAT:
		if (ok)
			pop3_client_send(c, out, POP3_CLIENT_UIDL,
					 N_("UIDL lists each message's unique-id, which never "
					    "changes: that is how a client remembers what it "
					    "already downloaded"),
					 "UIDL");
		else
			pop3_client_give_up(c, line, n, out);
		break;
	case POP3_CLIENT_LIST:
		if (ok)
			pop3_client_send_next(c, out);
		else
			pop3_client_give_up(c, line, n, out);
		break;
	case POP3_CLIENT_UIDL:
		/* UIDL is optional (RFC 1939 7): without it, every message is
		 * new as far as this client can tell. */
		c->has_uidl = ok;
		if (!ok)
			c->nuidls = 0;
		pop3_client_send(c, out, POP3_CLIENT_LIST,
				 N_("LIST gives each message's number and size in octets; "
				    "the numbers hold for this session only"),
				 "LIST");
		break;
	case POP3_CLIENT_RETR:
		if (!ok) {
			pop3_client_fail(c, line, n);
			pop3_client_send_next(c, out);
		} else if (c->content_cut) {
			struct buf why;
			buf_init(&why);
			buf_printf(&why, _("client: message %lu has a line longer than %u "
					   "octets, so it was not downloaded"),
				   c->msgs[c->cur].num, POP3_CLIENT_DATA_LINE_KEEP_OCTETS);
			pop3_client_fail(c, why.p, why.len);
			buf_free(&why);
			pop3_client_send_next(c, out);
		} else {
			/* the device has the message before the server is told
			 * to delete it */
			if (c->got)
				c->got(c->ctx, c->msgs[c->cur].uidl,
				       c->content.p ? c->content.p : "", c->content.len);
			c->downloaded++;
			if (c->keep)
				pop3_client_send_next(c, out);
			else
				pop3_client_send_dele(c, out);
		}
		break;
	case POP3_CLIENT_DELE:
		if (ok)
			c->marked++;
		else
			pop3_client_fail(c, line, n);
		pop3_client_send_next(c, out);
		break;
	case POP3_CLIENT_QUIT:
		/* +OK to QUIT after a login means the UPDATE committed; a
		 * -ERR means it did not, and nothing was deleted. */
		if (ok)
			c->deleted = c->marked;
		else
			pop3_client_fail(c, line, n);
		pop3_client_enter_state(c, POP3_CLIENT_DONE);
		break;
	case POP3_CLIENT_DONE:
		break;
	}
}

/* One line of data after a +OK (un-stuffed already, CR LF removed). */
static void pop3_client_on_data(struct pop3_client *c, const char *s, size_t n, bool cut)
{
	unsigned long num;
	const char *word;
	size_t wlen;

	switch (c->state) {
	case POP3_CLIENT_CAPA:
		/* a capability line: "STLS", "SASL PLAIN", ... (RFC 2449 5) */
		if (n == 4 && strncasecmp(s, "STLS", 4) == 0)
			c->server_stls = true;
		break;
	case POP3_CLIENT_UIDL:
		wlen = pop3_parse_listing_line(s, n, &num, &word);
		if (wlen == 0 || c->nuidls >= POP3_CLIENT_LISTING_MAX_ENTRIES)
			return; /* not a listing line: ignored */
		if (c->nuidls == c->capuidls) {
			c->capuidls = c->capuidls ? 2 * c->capuidls : 16;
			c->uidls = xrealloc(c->uidls, c->capuidls * sizeof *c->uidls);
		}
		c->uidls[c->nuidls].num = num;
		memcpy(c->uidls[c->nuidls].uidl, word, wlen);
		c->uidls[c->nuidls].uidl[wlen] = '\0';
		c->nuidls++;
		break;
	case POP3_CLIENT_LIST: {
		wlen = pop3_parse_listing_line(s, n, &num, &word);
		uint64_t size;
		const char *size_end = word;
		if (wlen == 0 || !pop3_parse_number(&size_end, &size) ||
		    size_end != word + wlen || c->nmsgs >= POP3_CLIENT_LISTING_MAX_ENTRIES)
			return; /* not a listing line: ignored */
		if (c->nmsgs == c->capmsgs) {
			c->capmsgs = c->capmsgs ? 2 * c->capmsgs : 16;
			c->msgs = xrealloc(c->msgs, c->capmsgs * sizeof *c->msgs);
		}
		struct pop3_client_msg *m = &c->msgs[c->nmsgs];
		m->num = num;
		m->size = size;
		m->uidl[0] = '\0';
		/* both listings usually come in the same order */
		size_t i = c->nmsgs < c->nuidls && c->uidls[c->nmsgs].num == num ? c->nmsgs : 0;
		for (; i < c->nuidls; i++)
			if (c->uidls[i].num == num) {
				memcpy(m->uidl, c->uidls[i].uidl, sizeof m->uidl);
				break;
			}
		c->nmsgs++;
		break;
	}
	case POP3_CLIENT_RETR:
		buf_add(&c->content, s, n);
		buf_add(&c->content, "\r\n", 2);
		if (cut)
			c->content_cut = true;
		break;
	default:
		break; /* data to a command that has none: ignored */
	}
}

/* A line that is not a status line where one belongs: the server is broken
 * or is no POP3 server.  Nothing it says can be trusted, so the client
 * leaves at once - without QUIT, so that nothing marked is deleted. */
static void pop3_client_on_bad_line(struct pop3_client *c, const char *s, size_t n)
{
	struct buf quote, why;
	buf_init(&quote);
	buf_init(&why);
	/* the quote may hold a NUL, which would cut it short as a %s: it
	 * becomes "?", as pop3_client_fail makes every control byte */
	buf_add(&quote, s, n < POP3_CLIENT_BAD_LINE_QUOTE_OCTETS ? n : POP3_CLIENT_BAD_LINE_QUOTE_OCTETS);
	for (size_t i = 0; i < quote.len; i++)
		if (quote.p[i] == '\0')
			quote.p[i] = '?';
	buf_printf(&why, _("client: protocol error: the server sent \"%s\", which is not a "
			   "POP3 status line (+OK or -ERR, RFC 1939 3)"),
		   quote.p);
	pop3_client_fail(c, why.p, why.len);
	buf_free(&quote);
	buf_free(&why);
	pop3_client_enter_state(c, POP3_CLIENT_DONE);
}

/* One complete line from the server, its CR LF removed. */
static void pop3_client_on_line(struct pop3_client *c, struct wire *out)
{
	const char *s = c->line.p; /* allocated by pop3_client_new, never NULL */
	size_t n = c->line.len;

	if (c->in_data) {
		if (n == 1 && s[0] == '.') {
			c->in_data = false;
			pop3_client_on_answer(c, true, "+OK", 3, out);
		} else if (n > 0 && s[0] == '.') {
			pop3_client_on_data(c, s + 1, n - 1, c->line_cut);
		} else {
			pop3_client_on_data(c, s, n, c->line_cut);
		}
		return;
	}

	switch (pop3_status_of(s, n)) {
	case POP3_STATUS_OK:
		if (c->multiline) {
			c->in_data = true; /* the answer ends at the "." */
			buf_clear(&c->content);
			c->content_cut = false;
		} else {
			pop3_client_on_answer(c, true, s, n, out);
		}
		break;
	case POP3_STATUS_ERR:
		pop3_client_on_answer(c, false, s, n, out); /* always one line */
		break;
	case POP3_STATUS_BAD:
		pop3_client_on_bad_line(c, s, n);
		break;
	}
}

/* ------------------------------------------------------------ public API */

struct pop3_client *pop3_client_new(const struct pop3_client_config *cfg,
				    pop3_client_got_fn got, void *ctx)
{
	struct pop3_client *c = xcalloc(1, sizeof *c);
	c->state = POP3_CLIENT_GREETING;
	c->user = xstrdup(cfg && cfg->user ? cfg->user : "");
	c->password = xstrdup(cfg && cfg->password ? cfg->password : "");
	c->keep = cfg && cfg->keep;
	c->starttls = cfg && cfg->starttls;
	if (cfg && cfg->nknown > 0 && cfg->known_uidls) {
		c->nknown = cfg->nknown;
		c->known = xcalloc(c->nknown, sizeof *c->known);
		for (size_t i = 0; i < c->nknown; i++)
			c->known[i] = xstrdup(cfg->known_uidls[i] ? cfg->known_uidls[i] : "");
	}
	c->got = got;
	c->ctx = ctx;
	buf_init(&c->line);
	buf_reserve(&c->line, POP3_CLIENT_STATUS_KEEP_OCTETS);
	buf_init(&c->content);
	return c;
}

void pop3_client_free(struct pop3_client *c)
{
	if (!c)
		return;
	free(c->user);
	free(c->password);
	for (size_t i = 0; i < c->nknown; i++)
		free(c->known[i]);
	free(c->known);
	free(c->uidls);
	free(c->msgs);
	buf_free(&c->line);
	buf_free(&c->content);
	free(c->error);
	free(c);
}

/* After the +OK to STLS nothing more is read in plaintext: bytes that came
 * with it were put there by someone on the path (CVE-2011-0411), and are
 * thrown away. */
void pop3_client_feed(struct pop3_client *c, const char *in, size_t len, struct wire *out)
{
	for (size_t i = 0; i < len && c->state != POP3_CLIENT_DONE && c->state != POP3_CLIENT_TLS;
	     i++) {
		if (in[i] == '\n') {
			if (c->line.len > 0 && c->line.p[c->line.len - 1] == '\r')
				c->line.p[--c->line.len] = '\0';
			pop3_client_on_line(c, out);
			buf_clear(&c->line);
			c->line_cut = false;
		} else if (c->line.len < (c->in_data ? POP3_CLIENT_DATA_LINE_KEEP_OCTETS
						     : POP3_CLIENT_STATUS_KEEP_OCTETS)) {
			buf_addc(&c->line, in[i]);
		} else {
			c->line_cut = true;
		}
	}
}

/* A broken connection before QUIT's +OK: the server deletes nothing (RFC
 * 1939 6), and what was downloaded stays downloaded. */
void pop3_client_abort(struct pop3_client *c, const char *why)
{
	if (c->state == POP3_CLIENT_DONE)
		return;
	pop3_client_fails(c, why ? why : _("connection lost"));
	pop3_client_enter_state(c, POP3_CLIENT_DONE);
}

bool pop3_client_done(const struct pop3_client *c)
{
	return c->state == POP3_CLIENT_DONE;
}

const char *pop3_client_error(const struct pop3_client *c)
{
	return c->error;
}

size_t pop3_client_downloaded(const struct pop3_client *c)
{
	return c->downloaded;
}

size_t pop3_client_deleted(const struct pop3_client *c)
{
	return c->deleted;
}

const char *pop3_client_state_name(const struct pop3_client *c)
{
	return pop3_client_state_names[c->state];
}

bool pop3_client_tls_pending(const struct pop3_client *c)
{
	return c->state == POP3_CLIENT_TLS;
}

/* The handshake is done: log in, now encrypted. */
void pop3_client_tls_started(struct pop3_client *c, struct wire *out)
{
	if (c->state != POP3_CLIENT_TLS)
		return;
	c->tls_active = true;
	buf_clear(&c->line);
	c->line_cut = false;
	pop3_client_send_user(c, out);
}

/* ----------------------------------------------------------- raw sessions */

/* The first line is the status.  A -ERR, the greeting, and the answer to
 * most commands end there; a +OK to a command of pop3_multiline_table goes
 * on until a line holding just "." (a stuffed ".." is data, not the end).
 * A first line that is no status line ends the wait too, so that a student
 * at a broken server is never left waiting forever. */
size_t pop3_response_complete(const char *command, const char *in, size_t len)
{
	const char *lf = memchr(in, '\n', len);
	if (!lf)
		return 0;
	size_t start = (size_t)(lf - in) + 1; /* just past the status line */
	size_t n = start - 1;
	if (n > 0 && in[n - 1] == '\r')
		n--;
	if (!command || pop3_status_of(in, n) != POP3_STATUS_OK ||
	    !pop3_command_is_multiline(command))
		return start;

	while (start < len) {
		lf = memchr(in + start, '\n', len - start);
		if (!lf)
			break;
		size_t end = (size_t)(lf - in) + 1;
		n = end - 1 - start;
		if (n > 0 && in[start + n - 1] == '\r')
			n--;
		if (n == 1 && in[start] == '.')
			return end;
		start = end;
	}
	return 0;
}
