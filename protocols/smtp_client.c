/*
 * smtp_client.c - the SMTP client engine (RFC 5321), sans-I/O.
 *
 * The client delivers one message and then says QUIT.  Usually that takes
 * one transaction; when the server takes only so many recipients at a time
 * (452 to a RCPT TO, RFC 5321 4.5.3.1.10), the rest go in further
 * transactions of the same session (see "Recipients" below).
 * A user agent uses it to submit mail (port 587, with AUTH PLAIN) and a mail
 * server's relay queue uses it to pass mail on (port 25, without AUTH).
 * A whole session, as a class sees it (S: the server, C: this client), with
 * the state the client is in while it waits for each reply:
 *
 *   S: 220 mx.example.org ESMTP                  GREETING
 *   C: EHLO laptop.example.com                   EHLO
 *   S: 250-mx.example.org
 *   S: 250-SIZE 10485760
 *   S: 250 AUTH PLAIN
 *   C: AUTH PLAIN AGFsaWNl...                    AUTH  (only with a password)
 *   S: 235 2.7.0 Authentication successful
 *   C: MAIL FROM:<alice@example.com> SIZE=312    MAIL
 *   S: 250 2.1.0 Ok
 *   C: RCPT TO:<bob@example.org>                 RCPT  (once per recipient)
 *   S: 250 2.1.5 Ok
 *   C: DATA                                      DATA
 *   S: 354 End data with <CR><LF>.<CR><LF>
 *   C: ...the message, dot-stuffed...
 *   C: .                                         DOT
 *   S: 250 2.0.0 Ok: queued as 4F2A
 *   C: QUIT                                      QUIT
 *   S: 221 2.0.0 Bye                             DONE
 *
 * With config starttls, a server whose EHLO lists STARTTLS is asked for it
 * right after EHLO (RFC 3207):
 *
 *   C: STARTTLS                                  STARTTLS
 *   S: 220 2.0.0 Ready to start TLS              TLS   (the host's handshake)
 *   C: EHLO laptop.example.com                   EHLO  (again, now encrypted)
 *
 * A server that does not list it gets the session in plaintext, as before
 * ("opportunistic" TLS, what servers do between themselves).
 *
 * The client sends one command and waits for its reply before the next, even
 * when the server offers PIPELINING (RFC 2920): the simulator shows each
 * command and its answer as a pair, so a class can follow every step.
 *
 * Recipients.  Each address is sent once: a duplicate (compared without
 * regard to case) shares the outcome of its first occurrence.  Every
 * recipient starts PENDING and is decided exactly once: by the reply to its
 * RCPT TO if that refuses it, by the reply to the final "." if not, or, when
 * the session ends early, by whatever ended it (a refused MAIL, a 421, a
 * broken connection).  A 452 to RCPT TO ("too many recipients") decides
 * nothing yet: the recipient is *deferred*.  After the reply to "." the
 * client starts another transaction (MAIL FROM again) for the deferred ones,
 * and again after that, as long as each transaction delivers to someone.  A
 * transaction that makes no progress (no recipient accepted, or the message
 * refused at the ".") ends the retries: the deferred recipients fail for
 * now, with their 452.  Since every retry follows a transaction that decided
 * at least one recipient, the retries always come to an end.
 *
 * The engine keeps the server's bytes until a line is complete, so replies
 * may arrive in pieces of any size.  A multi-line reply ("250-..." lines,
 * then one "250 ...") is joined into one string: the first line whole, then
 * the text of each further line after a space, e.g.
 * "550 5.1.1 The account does not exist. 5.1.1 Please check the address."
 * Replies this client makes up itself (no server said them) carry no code
 * and start with "client:".  Like the replies they stand for they stay in
 * English: they become a bounce's Diagnostic-Code, which is US-ASCII.
 */
#include "smtp.h"
#include "i18n.h"
#include "mime.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A reply line is kept up to this many octets, CR LF not counted (RFC 5321
 * 4.5.3.1.5 allows 512 with CR LF); the rest of a longer line is dropped. */
#define SMTP_CLIENT_LINE_KEEP_OCTETS (SMTP_REPLY_LINE_MAX_OCTETS - 2)
/* A multi-line reply is joined into one string of at most this many octets. */
#define SMTP_CLIENT_REPLY_KEEP_OCTETS 1024
/* How much of a line that is not a reply at all is quoted in the error. */
#define SMTP_CLIENT_BAD_LINE_QUOTE_OCTETS 64

/* Reply codes this client looks for by number (RFC 5321 4.2.3, RFC 4954). */
#define SMTP_CODE_AUTH_OK 235     /* authentication succeeded */
#define SMTP_CODE_START_DATA 354  /* send the message now, end with "." */
#define SMTP_CODE_CLOSING 421     /* service not available, closing */
#define SMTP_CODE_TOO_MANY 452    /* RCPT: too many recipients (4.5.3.1.10) */
#define SMTP_CODE_TOO_MANY_OLD 552 /* the same, as RFC 821 wrongly listed it */

/* The first digit of a code says how the reply went (RFC 5321 4.2.1). */
#define SMTP_CLASS_OK 2        /* 2xx: done as asked */
#define SMTP_CLASS_PERMFAIL 5  /* 5xx: refused for good (4xx: for now) */

enum smtp_client_state {
	SMTP_CLIENT_GREETING, /* connected; waiting for the server's 220 */
	SMTP_CLIENT_EHLO,     /* sent EHLO; waiting for 250 and the extensions */
	SMTP_CLIENT_HELO,     /* EHLO refused, sent HELO (RFC 5321 3.2) */
	SMTP_CLIENT_STARTTLS, /* sent STARTTLS; waiting for 220 (RFC 3207) */
	SMTP_CLIENT_TLS,      /* the host is doing the TLS handshake */
	SMTP_CLIENT_AUTH,     /* sent AUTH PLAIN; waiting for 235 */
	SMTP_CLIENT_MAIL,     /* sent MAIL FROM */
	SMTP_CLIENT_RCPT,     /* sent RCPT TO for recipient rcpt_asked */
	SMTP_CLIENT_DATA,     /* sent DATA; waiting for 354 */
	SMTP_CLIENT_DOT,      /* sent the message and "."; waiting for the verdict */
	SMTP_CLIENT_QUIT,     /* sent QUIT; waiting for 221 */
	SMTP_CLIENT_DONE,     /* nothing more to say or hear */
};

static const char *const smtp_client_state_names[] = {
	[SMTP_CLIENT_GREETING] = "GREETING",
	[SMTP_CLIENT_EHLO] = "EHLO",
	[SMTP_CLIENT_HELO] = "HELO",
	[SMTP_CLIENT_STARTTLS] = "STARTTLS",
	[SMTP_CLIENT_TLS] = "TLS",
	[SMTP_CLIENT_AUTH] = "AUTH",
	[SMTP_CLIENT_MAIL] = "MAIL",
	[SMTP_CLIENT_RCPT] = "RCPT",
	[SMTP_CLIENT_DATA] = "DATA",
	[SMTP_CLIENT_DOT] = "DOT",
	[SMTP_CLIENT_QUIT] = "QUIT",
	[SMTP_CLIENT_DONE] = "DONE",
};

/* The service extensions a server may list in its EHLO reply, as bits. */
enum smtp_client_ext {
	SMTP_EXT_SIZE = 1u << 0,        /* RFC 1870: MAIL FROM may say SIZE=n */
	SMTP_EXT_8BITMIME = 1u << 1,    /* RFC 6152: MAIL FROM may say BODY=8BITMIME */
	SMTP_EXT_PIPELINING = 1u << 2,  /* RFC 2920: noted, deliberately not used */
	SMTP_EXT_ENHANCED = 1u << 3,    /* RFC 2034: replies carry codes like 5.1.1 */
	SMTP_EXT_AUTH_PLAIN = 1u << 4,  /* RFC 4954, with PLAIN among the mechanisms */
	SMTP_EXT_STARTTLS = 1u << 5,    /* RFC 3207: the server can start TLS */
};

/* Each line after the first of a 250 reply to EHLO is "KEYWORD [params]"
 * (RFC 5321 4.1.1.1).  A row with a `param` counts only if that word is
 * among the parameters: "AUTH LOGIN PLAIN" offers PLAIN, "AUTH CRAM-MD5"
 * does not.  Keywords this client does not know are ignored. */
static const struct smtp_client_ext_row {
	const char *keyword;
	const char *param; /* a word that must be among the parameters, or NULL */
	unsigned bit;
} smtp_client_ext_table[] = {
	{"SIZE", NULL, SMTP_EXT_SIZE},
	{"8BITMIME", NULL, SMTP_EXT_8BITMIME},
	{"PIPELINING", NULL, SMTP_EXT_PIPELINING},
	{"ENHANCEDSTATUSCODES", NULL, SMTP_EXT_ENHANCED},
	{"AUTH", "PLAIN", SMTP_EXT_AUTH_PLAIN},
	{"STARTTLS", NULL, SMTP_EXT_STARTTLS},
};

struct smtp_client_rcpt {
	char *addr;                   /* the forward-path, without < > */
	enum smtp_rcpt_status status; /* PENDING until decided, then final */
	bool deferred;                /* one too many for this transaction (452):
				       * asked again in the next one */
	char *reply;                  /* the reply that decided it, or the 452
				       * that deferred it; NULL while undecided */
};

struct smtp_client {
	enum smtp_client_state state; /* changed only by smtp_client_enter_state */
	char *helo_name;              /* the name given in EHLO / HELO */
	char *auth_user;              /* AUTH PLAIN with these, or NULL for none */
	char *auth_password;
	bool starttls;                /* use STARTTLS when the server lists it */
	bool tls_active;              /* the handshake is done: encrypted */
	bool tls_refused;             /* the server refused STARTTLS: go on without */
	char *mail_from;              /* the reverse-path, without < >; "" for bounces */
	struct smtp_client_rcpt *rcpts; /* each address once, in the order given */
	size_t nrcpts;
	size_t *rcpt_of;              /* recipient i as given -> its entry in rcpts */
	size_t ngiven;                /* recipients as given, duplicates included */
	size_t rcpt_next;             /* the next recipient to ask for with RCPT TO */
	size_t rcpt_asked;            /* the recipient whose RCPT TO awaits a reply */
	size_t rcpt_accepted;         /* how many RCPT TO got a 2xx, this transaction */
	size_t transactions;          /* MAIL FROMs sent so far in this session */
	struct buf data;              /* the message as sent after 354, without "." */
	size_t size_octets;           /* the SIZE= value (RFC 1870 section 4) */
	bool body_8bit;               /* the message has bytes above 127 */
	unsigned ext;                 /* SMTP_EXT_* bits from the EHLO reply */
	struct buf line;              /* the reply line being received */
	struct buf reply;             /* the reply so far, its lines joined */
	int reply_code;               /* the code of the reply being received */
	size_t reply_lines;           /* lines of it received so far */
};

/* ---------------------------------------------------------------- helpers */

/* The code of a reply line "NNN text", "NNN-text" or just "NNN", or -1 if
 * the line is not one.  RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39,
 * so the first digit is 2 to 5 and the second 0 to 5. */
static int smtp_reply_code_of(const char *s, size_t n)
{
	if (n < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '5' ||
	    s[2] < '0' || s[2] > '9')
		return -1;
	if (n > 3 && s[3] != ' ' && s[3] != '-')
		return -1;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* A refusal's meaning for a recipient: 5xx is final, anything else is
 * worth another try later. */
static enum smtp_rcpt_status smtp_client_failure(int code)
{
	return code / 100 == SMTP_CLASS_PERMFAIL ? SMTP_RCPT_PERMFAIL : SMTP_RCPT_TEMPFAIL;
}

/* The message as it goes after 354 (RFC 5321 4.5.2): every line ends in
 * CR LF (a bare LF becomes CR LF, and a last line without an ending gets
 * one), and a line that starts with "." gets a second "." in front, so that
 * no line of the message can look like the end-of-data line ".".  The
 * server removes the extra dot.  Returns how many dots were added. */
static size_t smtp_client_stuff(struct buf *out, const char *msg, size_t len)
{
	size_t dots = 0;
	size_t start = 0;
	while (start < len) {
		const char *lf = memchr(msg + start, '\n', len - start);
		size_t end = lf ? (size_t)(lf - msg) : len; /* the LF, or the end */
		size_t text_end = end;
		if (lf && text_end > start && msg[text_end - 1] == '\r')
			text_end--;
		if (msg[start] == '.') {
			buf_addc(out, '.');
			dots++;
		}
		buf_add(out, msg + start, text_end - start);
		buf_add(out, "\r\n", 2);
		start = end + 1;
	}
	return dots;
}

static bool smtp_client_is_8bit(const char *msg, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)msg[i] > 127)
			return true;
	return false;
}

/* An address goes into a command line between < and >.  It must not hold
 * control bytes (a CR LF inside would end the line early and smuggle in a
 * command of its own) nor < or >, and a path is at most 256 octets with
 * its brackets (RFC 5321 4.5.3.1.3). */
static bool smtp_client_address_ok(const char *addr)
{
	if (strlen(addr) + 2 > SMTP_PATH_MAX_OCTETS)
		return false;
	for (const char *p = addr; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

/* Is `word` one of the space-separated words of s (case-insensitive)? */
static bool smtp_client_has_word(const char *s, const char *word)
{
	size_t wlen = strlen(word);
	for (;;) {
		s += strspn(s, " ");
		size_t n = strcspn(s, " ");
		if (n == 0)
			return false;
		if (n == wlen && strncasecmp(s, word, n) == 0)
			return true;
		s += n;
	}
}

/* ------------------------------------------------------- state and outcome */

/* The one door through which the state changes.  The host shows the state
 * through smtp_client_state_name() after each feed. */
static void smtp_client_enter_state(struct smtp_client *c, enum smtp_client_state s)
{
	assert(c->state != SMTP_CLIENT_DONE); /* DONE is the end: no way out */
	c->state = s;
}

/* Decide recipient i, once and for all. */
static void smtp_client_decide(struct smtp_client *c, size_t i,
			       enum smtp_rcpt_status status, const char *reply)
{
	struct smtp_client_rcpt *r = &c->rcpts[i];
	assert(r->status == SMTP_RCPT_PENDING && status != SMTP_RCPT_PENDING);
	char *copy = xstrdup(reply); /* reply may be r->reply itself */
	free(r->reply);
	r->reply = copy;
	r->status = status;
	r->deferred = false;
}

/* Decide every recipient still pending the same way. */
static void smtp_client_decide_pending(struct smtp_client *c,
				       enum smtp_rcpt_status status, const char *reply)
{
	for (size_t i = 0; i < c->nrcpts; i++)
		if (c->rcpts[i].status == SMTP_RCPT_PENDING)
			smtp_client_decide(c, i, status, reply);
}

/* Recipient i was one too many for this transaction: ask again later. */
static void smtp_client_defer(struct smtp_client *c, size_t i, const char *reply)
{
	struct smtp_client_rcpt *r = &c->rcpts[i];
	assert(r->status == SMTP_RCPT_PENDING && !r->deferred);
	r->deferred = true;
	r->reply = xstrdup(reply);
}

/* No further transaction will come: the deferred recipients fail for now,
 * each with the 452 that deferred it. */
static void smtp_client_end_deferred(struct smtp_client *c)
{
	for (size_t i = 0; i < c->nrcpts; i++)
		if (c->rcpts[i].deferred)
			smtp_client_decide(c, i, SMTP_RCPT_TEMPFAIL, c->rcpts[i].reply);
}

static bool smtp_client_any_deferred(const struct smtp_client *c)
{
	for (size_t i = 0; i < c->nrcpts; i++)
		if (c->rcpts[i].deferred)
			return true;
	return false;
}

/* Does this refusal of a RCPT TO mean "too many recipients: send this one
 * in another transaction" (RFC 5321 4.5.3.1.10)?  452 does.  So may 552,
 * the code RFC 821 wrongly gave this case: 4.5.3.1.10 asks clients to treat
 * it as temporary.  But a 552 before any recipient was accepted cannot be
 * about a count, so then it keeps its usual, permanent meaning. */
static bool smtp_client_too_many(const struct smtp_client *c, int code)
{
	return code == SMTP_CODE_TOO_MANY ||
	       (code == SMTP_CODE_TOO_MANY_OLD && c->rcpt_accepted > 0);
}

static bool smtp_client_any_pending(const struct smtp_client *c)
{
	for (size_t i = 0; i < c->nrcpts; i++)
		if (c->rcpts[i].status == SMTP_RCPT_PENDING)
			return true;
	return false;
}

/* ------------------------------------------------------------- commands */

static void smtp_client_send_quit(struct smtp_client *c, struct wire *out)
{
	wire_line(out, N_("QUIT: the client says goodbye and waits for 221 before closing"),
		  "QUIT");
	smtp_client_enter_state(c, SMTP_CLIENT_QUIT);
}

/* The session cannot go on: every recipient not yet decided fails with
 * this reply (5xx for good, anything else for now), and the client quits. */
static void smtp_client_give_up(struct smtp_client *c, int code, const char *reply,
				struct wire *out)
{
	smtp_client_end_deferred(c); /* never part of this transaction */
	smtp_client_decide_pending(c, smtp_client_failure(code), reply);
	smtp_client_send_quit(c, out);
}

static void smtp_client_send_ehlo(struct smtp_client *c, struct wire *out)
{
	wire_line(out, N_("EHLO: the client names itself and asks which extensions "
			  "the server supports (RFC 5321 4.1.1.1)"),
		  "EHLO %s", c->helo_name);
	smtp_client_enter_state(c, SMTP_CLIENT_EHLO);
}

static void smtp_client_send_helo(struct smtp_client *c, struct wire *out)
{
	c->ext = 0; /* HELO means no extensions at all */
	wire_line(out, N_("the server refused EHLO, so the client falls back to the "
			  "older HELO, without extensions (RFC 5321 3.2)"),
		  "HELO %s", c->helo_name);
	smtp_client_enter_state(c, SMTP_CLIENT_HELO);
}

/* AUTH PLAIN with an initial response (RFC 4954, RFC 4616): base64 of
 * authorization identity (empty), NUL, user, NUL, password. */
static void smtp_client_send_auth(struct smtp_client *c, struct wire *out)
{
	struct buf plain, encoded;
	buf_init(&plain);
	buf_init(&encoded);
	buf_addc(&plain, '\0');
	buf_adds(&plain, c->auth_user);
	buf_addc(&plain, '\0');
	buf_adds(&plain, c->auth_password);
	mime_base64_encode(&encoded, plain.p, plain.len);
	const char *note = N_("AUTH PLAIN sends user and password in base64 - an encoding, "
			      "not encryption (RFC 4954)");
	if (c->tls_active)
		note = N_("AUTH PLAIN inside TLS: the base64 password is encrypted on the way, "
			  "so a wiretapper cannot read it");
	else if (c->starttls)
		note = N_("the server offered no STARTTLS, so the password goes in plaintext: "
			  "anyone on the path can decode this base64");
	wire_line(out, note, "AUTH PLAIN %s", encoded.p);
	buf_free(&plain);
	buf_free(&encoded);
	smtp_client_enter_state(c, SMTP_CLIENT_AUTH);
}

static void smtp_client_send_mail(struct smtp_client *c, struct wire *out)
{
	if (!smtp_client_any_pending(c)) {
		/* no recipient can be sent (see smtp_client_address_ok) */
		smtp_client_send_quit(c, out);
		return;
	}
	char size_param[32] = "";
	if (c->ext & SMTP_EXT_SIZE)
		snprintf(size_param, sizeof size_param, " SIZE=%zu", c->size_octets);
	bool say_8bit = c->body_8bit && (c->ext & SMTP_EXT_8BITMIME);
	const char *note;
	if (c->transactions > 0 && c->rcpt_accepted == SMTP_RECIPIENTS_MAX)
		note = N_("the server took only 100 recipients in one transaction: the rest "
			  "go in another (RFC 5321 4.5.3.1.10)");
	else if (c->transactions > 0)
		note = N_("the server took only some of the recipients in one transaction: "
			  "the rest go in another (RFC 5321 4.5.3.1.10)");
	else if (c->starttls && !c->tls_active)
		note = N_("the server offered no STARTTLS, so the client goes on without "
			  "encryption, as servers do when TLS is not to be had "
			  "(opportunistic TLS)");
	else if (size_param[0] || say_8bit)
		note = N_("MAIL FROM gives the envelope sender (where bounces go); SIZE= and "
			  "BODY= use extensions the server listed in its EHLO reply");
	else
		note = N_("MAIL FROM gives the envelope sender: where bounces go, not "
			  "necessarily the From: header");
	wire_line(out, note, "MAIL FROM:<%s>%s%s", c->mail_from, size_param,
		  say_8bit ? " BODY=8BITMIME" : "");

	/* A new transaction: the deferred recipients are asked again. */
	for (size_t i = 0; i < c->nrcpts; i++) {
		struct smtp_client_rcpt *r = &c->rcpts[i];
		if (r->deferred) {
			r->deferred = false;
			free(r->reply);
			r->reply = NULL;
		}
	}
	c->rcpt_next = 0;
	c->rcpt_accepted = 0;
	c->transactions++;
	smtp_client_enter_state(c, SMTP_CLIENT_MAIL);
}

/* Ask for the next recipient still pending; after the last one, send DATA
 * if the server accepted any, else there is nothing to deliver: QUIT (and
 * a deferred recipient would fare no better in another transaction). */
static void smtp_client_send_next_rcpt(struct smtp_client *c, struct wire *out)
{
	while (c->rcpt_next < c->nrcpts && c->rcpts[c->rcpt_next].status != SMTP_RCPT_PENDING)
		c->rcpt_next++;
	if (c->rcpt_next < c->nrcpts) {
		c->rcpt_asked = c->rcpt_next++;
		wire_line(out, N_("one RCPT TO per recipient: the envelope, not the To: "
				  "header, decides where mail goes"),
			  "RCPT TO:<%s>", c->rcpts[c->rcpt_asked].addr);
		smtp_client_enter_state(c, SMTP_CLIENT_RCPT);
	} else if (c->rcpt_accepted > 0) {
		wire_line(out, N_("DATA: the client asks to send the message itself; "
				  "the server answers 354 when ready"),
			  "DATA");
		smtp_client_enter_state(c, SMTP_CLIENT_DATA);
	} else {
		smtp_client_end_deferred(c);
		smtp_client_send_quit(c, out);
	}
}

/*
 * The message after 354, then the line "." that ends it.
 *
 * A relayed message starts with the fields the servers before this one
 * added: Received: lines (RFC 5321 4.4), and a DKIM-Signature: (RFC 6376)
 * or Authentication-Results: (RFC 8601); each gets a note of its own, and
 * the general note goes to the first line after them.  A field may be
 * folded: only the line that starts it gets the note.
 */
static void smtp_client_send_message(struct smtp_client *c, struct wire *out)
{
	static const char received[] = "Received:";
	const char *p = c->data.p, *end = c->data.p + c->data.len;
	bool relayed = false;
	for (;;) {
		size_t left = (size_t)(end - p);
		const char *note = mime_auth_field_note(p, left);
		if (!note && left >= sizeof received - 1 &&
		    strncasecmp(p, received, sizeof received - 1) == 0)
			note = N_("Received: added by a server that took the message in "
				  "(\"by\" names it, the date says when): each server that "
				  "handles a message adds one on top, so the list, read from "
				  "the bottom up, is the route it took (RFC 5321 4.4)");
		if (!note)
			break;
		const char *start = p;
		do { /* the header and its folded lines, which start with a blank */
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			p = nl ? nl + 1 : end;
		} while (p < end && (*p == ' ' || *p == '\t'));
		wire_note_here(out, note);
		wire_raw(out, start, (size_t)(p - start));
		relayed = true;
	}
	if (p < end) {
		wire_note_here(out, relayed ? N_("the rest of the message: the author's headers, an "
						 "empty line, the body; a line starting with \".\" "
						 "is sent with one more \".\" (dot-stuffing, "
						 "RFC 5321 4.5.2)")
					    : N_("the message itself: headers, an empty line, the "
						 "body; a line starting with \".\" is sent with one "
						 "more \".\" (dot-stuffing, RFC 5321 4.5.2)"));
		wire_raw(out, p, (size_t)(end - p));
	}
	wire_line(out, N_("a line holding just \".\" ends the message; the reply to it "
			  "decides every accepted recipient at once"),
		  ".");
	smtp_client_enter_state(c, SMTP_CLIENT_DOT);
}

/* The server accepted our name (EHLO or HELO): log in if we must, then
 * start the transaction. */
static void smtp_client_after_hello(struct smtp_client *c, struct wire *out)
{
	if (c->starttls && !c->tls_active && !c->tls_refused && (c->ext & SMTP_EXT_STARTTLS)) {
		wire_line(out, N_("STARTTLS: the server listed it, so the client asks for "
				  "encryption before it sends anything else (RFC 3207)"),
			  "STARTTLS");
		smtp_client_enter_state(c, SMTP_CLIENT_STARTTLS);
		return;
	}
	if (!c->auth_user) {
		smtp_client_send_mail(c, out);
	} else if (c->ext & SMTP_EXT_AUTH_PLAIN) {
		smtp_client_send_auth(c, out);
	} else {
		smtp_client_decide_pending(c, SMTP_RCPT_PERMFAIL,
					   "client: the server does not offer AUTH PLAIN "
					   "(RFC 4954), so the client cannot log in");
		smtp_client_send_quit(c, out);
	}
}

/* --------------------------------------------------------------- replies */

/* A complete reply arrived: what it means depends on what we asked. */
static void smtp_client_on_reply(struct smtp_client *c, int code, const char *reply,
				 struct wire *out)
{
	bool ok = code / 100 == SMTP_CLASS_OK;

	/* 421 may come at any moment: the server is closing the connection,
	 * so there is no point in a QUIT. */
	if (code == SMTP_CODE_CLOSING) {
		smtp_client_decide_pending(c, SMTP_RCPT_TEMPFAIL, reply);
		smtp_client_enter_state(c, SMTP_CLIENT_DONE);
		return;
	}

	switch (c->state) {
	case SMTP_CLIENT_GREETING:
		if (ok)
			smtp_client_send_ehlo(c, out);
		else
			smtp_client_give_up(c, code, reply, out);
		break;
	case SMTP_CLIENT_EHLO:
		if (ok)
			smtp_client_after_hello(c, out);
		else if (code / 100 == SMTP_CLASS_PERMFAIL)
			smtp_client_send_helo(c, out);
		else
			smtp_client_give_up(c, code, reply, out);
		break;
	case SMTP_CLIENT_HELO:
		if (ok)
			smtp_client_after_hello(c, out);
		else
			smtp_client_give_up(c, code, reply, out);
		break;
	case SMTP_CLIENT_STARTTLS:
		if (ok) {
			smtp_client_enter_state(c, SMTP_CLIENT_TLS); /* the host's turn */
		} else {
			/* 454 (RFC 3207 4): go on in plaintext, as before */
			c->tls_refused = true;
			smtp_client_after_hello(c, out);
		}
		break;
	case SMTP_CLIENT_TLS:
		break; /* nothing is read until the handshake is done */
	case SMTP_CLIENT_AUTH:
		if (code == SMTP_CODE_AUTH_OK)
			smtp_client_send_mail(c, out);
		else
			smtp_client_give_up(c, code, reply, out);
		break;
	case SMTP_CLIENT_MAIL:
		if (ok)
			smtp_client_send_next_rcpt(c, out);
		else
			smtp_client_give_up(c, code, reply, out);
		break;
	case SMTP_CLIENT_RCPT:
		/* An accepted recipient stays pending: only the reply to "."
		 * says whether the message reached it. */
		if (ok)
			c->rcpt_accepted++;
		else if (smtp_client_too_many(c, code))
			smtp_client_defer(c, c->rcpt_asked, reply);
		else
			smtp_client_decide(c, c->rcpt_asked, smtp_client_failure(code), reply);
		smtp_client_send_next_rcpt(c, out);
		break;
	case SMTP_CLIENT_DATA:
		if (code == SMTP_CODE_START_DATA)
			smtp_client_send_message(c, out);
		else
			smtp_client_give_up(c, code, reply, out);
		break;
	case SMTP_CLIENT_DOT:
		/* the verdict for every recipient accepted in this transaction */
		for (size_t i = 0; i < c->nrcpts; i++)
			if (c->rcpts[i].status == SMTP_RCPT_PENDING && !c->rcpts[i].deferred)
				smtp_client_decide(c, i, ok ? SMTP_RCPT_DELIVERED
							    : smtp_client_failure(code),
						   reply);
		if (ok && smtp_client_any_deferred(c)) {
			smtp_client_send_mail(c, out); /* the deferred ones, next */
		} else {
			smtp_client_end_deferred(c);
			smtp_client_send_quit(c, out);
		}
		break;
	case SMTP_CLIENT_QUIT:
		smtp_client_enter_state(c, SMTP_CLIENT_DONE); /* 221, or anything */
		break;
	case SMTP_CLIENT_DONE:
		break;
	}
}

/* A line that is not part of an SMTP reply: the server is broken or is not
 * an SMTP server.  Nothing it says can be trusted any more, so pending
 * recipients fail for now and the client quits. */
static void smtp_client_on_bad_line(struct smtp_client *c, const char *s, size_t n,
				    struct wire *out)
{
	if (c->state == SMTP_CLIENT_QUIT) {
		smtp_client_enter_state(c, SMTP_CLIENT_DONE);
		return;
	}
	struct buf why;
	buf_init(&why);
	buf_printf(&why, "client: protocol error: the server sent \"%.*s\", which is not "
		   "a line of an SMTP reply (RFC 5321 4.2)",
		   (int)(n < SMTP_CLIENT_BAD_LINE_QUOTE_OCTETS ? n : SMTP_CLIENT_BAD_LINE_QUOTE_OCTETS),
		   s);
	smtp_client_decide_pending(c, SMTP_RCPT_TEMPFAIL, why.p);
	buf_free(&why);
	smtp_client_send_quit(c, out);
}

/* One line, after the first, of a 250 reply to EHLO: "KEYWORD [params]". */
static void smtp_client_learn_extension(struct smtp_client *c, const char *text)
{
	size_t klen = strcspn(text, " ");
	for (size_t i = 0; i < sizeof smtp_client_ext_table / sizeof *smtp_client_ext_table; i++) {
		const struct smtp_client_ext_row *row = &smtp_client_ext_table[i];
		if (strlen(row->keyword) == klen && strncasecmp(text, row->keyword, klen) == 0 &&
		    (!row->param || smtp_client_has_word(text + klen, row->param)))
			c->ext |= row->bit;
	}
}

/* Add one line's text to the reply being received (capped in length). */
static void smtp_client_join(struct smtp_client *c, int code, const char *text)
{
	if (c->reply_lines++ == 0) {
		c->reply_code = code;
		buf_printf(&c->reply, "%d", code);
	}
	size_t n = strlen(text);
	if (n == 0 || c->reply.len + 1 >= SMTP_CLIENT_REPLY_KEEP_OCTETS)
		return;
	size_t room = SMTP_CLIENT_REPLY_KEEP_OCTETS - c->reply.len - 1;
	buf_addc(&c->reply, ' ');
	buf_add(&c->reply, text, n < room ? n : room);
}

/* One complete line from the server, its CR LF removed. */
static void smtp_client_on_line(struct smtp_client *c, struct wire *out)
{
	char *s = c->line.p; /* allocated by smtp_client_new, never NULL */
	size_t n = c->line.len;

	/* Control bytes (a NUL, a bare CR, a terminal escape) have no place in
	 * a reply; as "?" they cannot cut a string short or upset a screen. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			s[i] = '?';

	int code = smtp_reply_code_of(s, n);
	if (code < 0 || (c->reply_lines > 0 && code != c->reply_code)) {
		smtp_client_on_bad_line(c, s, n, out);
		buf_clear(&c->reply);
		c->reply_lines = 0;
		return;
	}
	const char *text = n > 4 ? s + 4 : "";
	if (c->state == SMTP_CLIENT_EHLO && c->reply_lines > 0 && code / 100 == SMTP_CLASS_OK)
		smtp_client_learn_extension(c, text);
	smtp_client_join(c, code, text);
	if (n > 3 && s[3] == '-')
		return; /* more lines of this reply follow */

	smtp_client_on_reply(c, code, c->reply.p, out);
	buf_clear(&c->reply);
	c->reply_lines = 0;
}

/* ------------------------------------------------------------ public API */

struct smtp_client *smtp_client_new(const struct smtp_client_config *cfg,
				    const char *mail_from,
				    const char *const *rcpts, size_t nrcpts,
				    const char *msg, size_t len)
{
	struct smtp_client *c = xcalloc(1, sizeof *c);
	c->state = SMTP_CLIENT_GREETING;
	c->helo_name = xstrdup(cfg && cfg->helo_name ? cfg->helo_name : "localhost");
	if (cfg && cfg->auth_user) {
		c->auth_user = xstrdup(cfg->auth_user);
		c->auth_password = xstrdup(cfg->auth_password ? cfg->auth_password : "");
	}
	c->starttls = cfg && cfg->starttls;
	c->mail_from = xstrdup(mail_from ? mail_from : "");
	/* Each address once: the same RCPT TO twice would be answered twice
	 * and could deliver two copies.  Addresses are compared without regard
	 * to case; strictly a local part may be case-sensitive (RFC 5321 2.4),
	 * but no mail system in use tells Bob from bob. */
	c->ngiven = nrcpts;
	c->rcpt_of = xcalloc(nrcpts, sizeof *c->rcpt_of);
	c->rcpts = xcalloc(nrcpts, sizeof *c->rcpts);
	for (size_t i = 0; i < nrcpts; i++) {
		size_t j = 0;
		while (j < c->nrcpts && strcasecmp(c->rcpts[j].addr, rcpts[i]) != 0)
			j++;
		c->rcpt_of[i] = j;
		if (j < c->nrcpts)
			continue; /* a duplicate of recipient j */
		c->rcpts[j].addr = xstrdup(rcpts[i]);
		c->rcpts[j].status = SMTP_RCPT_PENDING;
		c->nrcpts++;
		if (!smtp_client_address_ok(rcpts[i]))
			smtp_client_decide(c, j, SMTP_RCPT_PERMFAIL,
					   "client: the recipient address cannot be sent in "
					   "SMTP (a control character, < or >, or too long)");
	}
	if (!smtp_client_address_ok(c->mail_from))
		smtp_client_decide_pending(c, SMTP_RCPT_PERMFAIL,
					   "client: the sender address cannot be sent in SMTP "
					   "(a control character, < or >, or too long)");

	buf_init(&c->data);
	size_t dots = smtp_client_stuff(&c->data, msg ? msg : "", msg ? len : 0);
	/* RFC 1870 section 4: SIZE counts the message with its CR LFs, but not
	 * the dots added by stuffing nor the final ".". */
	c->size_octets = c->data.len - dots;
	c->body_8bit = smtp_client_is_8bit(msg ? msg : "", msg ? len : 0);
	buf_init(&c->line);
	buf_reserve(&c->line, SMTP_CLIENT_LINE_KEEP_OCTETS);
	buf_init(&c->reply);
	return c;
}

void smtp_client_free(struct smtp_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nrcpts; i++) {
		free(c->rcpts[i].addr);
		free(c->rcpts[i].reply);
	}
	free(c->rcpts);
	free(c->rcpt_of);
	free(c->helo_name);
	free(c->auth_user);
	free(c->auth_password);
	free(c->mail_from);
	buf_free(&c->data);
	buf_free(&c->line);
	buf_free(&c->reply);
	free(c);
}

/* After the 220 to STARTTLS nothing more is read in plaintext: bytes that
 * came with it were put there by someone on the path, not by the server
 * (the client side of CVE-2011-0411), and are thrown away. */
void smtp_client_feed(struct smtp_client *c, const char *in, size_t len, struct wire *out)
{
	for (size_t i = 0; i < len && c->state != SMTP_CLIENT_DONE && c->state != SMTP_CLIENT_TLS;
	     i++) {
		if (in[i] == '\n') {
			if (c->line.len > 0 && c->line.p[c->line.len - 1] == '\r')
				c->line.p[--c->line.len] = '\0';
			smtp_client_on_line(c, out);
			buf_clear(&c->line);
		} else if (c->line.len < SMTP_CLIENT_LINE_KEEP_OCTETS) {
			buf_addc(&c->line, in[i]);
		}
	}
}

/* A broken connection leaves the accepted recipients in doubt; if it broke
 * after the ".", the message may even have arrived.  SMTP chooses to try
 * again (a rare duplicate) over losing mail (RFC 5321 6.1). */
void smtp_client_abort(struct smtp_client *c, const char *why)
{
	if (c->state == SMTP_CLIENT_DONE)
		return;
	smtp_client_decide_pending(c, SMTP_RCPT_TEMPFAIL, why ? why : "connection lost");
	smtp_client_enter_state(c, SMTP_CLIENT_DONE);
}

bool smtp_client_done(const struct smtp_client *c)
{
	return c->state == SMTP_CLIENT_DONE;
}

enum smtp_rcpt_status smtp_client_rcpt_status(const struct smtp_client *c, size_t i,
					      const char **reply)
{
	assert(i < c->ngiven);
	const struct smtp_client_rcpt *r = &c->rcpts[c->rcpt_of[i]];
	if (reply)
		*reply = r->status == SMTP_RCPT_PENDING ? NULL : r->reply;
	return r->status;
}

const char *smtp_client_state_name(const struct smtp_client *c)
{
	return smtp_client_state_names[c->state];
}

bool smtp_client_tls_pending(const struct smtp_client *c)
{
	return c->state == SMTP_CLIENT_TLS;
}

/* The handshake is done: what the client learnt from the plaintext EHLO is
 * forgotten (RFC 3207 4.2), and it asks again. */
void smtp_client_tls_started(struct smtp_client *c, struct wire *out)
{
	if (c->state != SMTP_CLIENT_TLS)
		return;
	c->tls_active = true;
	c->ext = 0;
	buf_clear(&c->line);
	buf_clear(&c->reply);
	c->reply_lines = 0;
	wire_line(out, N_("EHLO again, now inside TLS: what the server listed before the "
			  "handshake may have been forged, so it is asked anew (RFC 3207 4.2)"),
		  "EHLO %s", c->helo_name);
	smtp_client_enter_state(c, SMTP_CLIENT_EHLO);
}

/* ----------------------------------------------------------- raw sessions */

/* Lines "NNN-text" continue a reply; any other complete line ends it.  A
 * line that is no reply at all ends it too (with code 0), so that a student
 * at a broken server is never left waiting forever. */
size_t smtp_reply_complete(const char *in, size_t len, int *code)
{
	size_t start = 0;
	while (start < len) {
		const char *lf = memchr(in + start, '\n', len - start);
		if (!lf)
			break;
		size_t end = (size_t)(lf - in) + 1; /* just past the LF */
		size_t n = end - 1 - start;
		if (n > 0 && in[start + n - 1] == '\r')
			n--;
		int line_code = smtp_reply_code_of(in + start, n);
		if (line_code < 0 || n == 3 || in[start + 3] == ' ') {
			if (code)
				*code = line_code < 0 ? 0 : line_code;
			return end;
		}
		start = end;
	}
	if (code)
		*code = 0;
	return 0;
}
