/*
 * test_smtp_client.c - the SMTP client engine, driven by canned replies.
 *
 * Each test plays the server: it feeds the client the server's replies and
 * checks the exact bytes the client answers, like a golden transcript
 * (curl's tests/data files do the same).  said(c, reply) feeds one reply
 * and returns everything the client wrote in response.
 */
#include <stdlib.h>

#include "smtp.h"
#include "test.h"

/* ------------------------------------------------------------ harness */

static struct wire said_wire;

/* The server says `server`, in one piece; what does the client answer? */
static const char *said(struct smtp_client *c, const char *server)
{
	wire_clear(&said_wire);
	smtp_client_feed(c, server, strlen(server), &said_wire);
	return said_wire.data.p ? said_wire.data.p : "";
}

/* The same, but the server's bytes arrive one at a time. */
static const char *said_bytewise(struct smtp_client *c, const char *server)
{
	wire_clear(&said_wire);
	for (size_t i = 0; server[i]; i++)
		smtp_client_feed(c, server + i, 1, &said_wire);
	return said_wire.data.p ? said_wire.data.p : "";
}

static const char *const two_rcpts[] = {"bob@gmail.com", "carol@gmail.com"};

#define MSG "From: alice@uea.edu.br\r\n"                 \
	    "To: bob@gmail.com, carol@gmail.com\r\n"     \
	    "Subject: hi\r\n"                            \
	    "\r\n"                                       \
	    "Hello Bob.\r\n"
#define MSG_OCTETS "87"

#define GREETING "220 mx.gmail.com ESMTP\r\n"
#define EHLO_NO_EXTENSIONS "250 mx.gmail.com\r\n"
#define EHLO_GMAIL "250-mx.gmail.com at your service\r\n" \
		   "250-SIZE 35882577\r\n"                \
		   "250-8BITMIME\r\n"                     \
		   "250-PIPELINING\r\n"                   \
		   "250 ENHANCEDSTATUSCODES\r\n"
#define EHLO_SUBMISSION "250-smtp.uea.edu.br\r\n"        \
			"250-AUTH LOGIN PLAIN\r\n"       \
			"250 SIZE 10485760\r\n"

/* A relay queue's client (port 25, no AUTH). */
static struct smtp_client *relay_client(const char *const *rcpts, size_t n, const char *msg)
{
	struct smtp_client_config cfg = {.helo_name = "relay.uea.edu.br"};
	return smtp_client_new(&cfg, "alice@uea.edu.br", rcpts, n, msg, strlen(msg));
}

/* A user agent's client (port 587, AUTH PLAIN). */
static struct smtp_client *submit_client(const char *user, const char *password)
{
	struct smtp_client_config cfg = {
		.helo_name = "laptop.uea.edu.br",
		.auth_user = user,
		.auth_password = password,
	};
	return smtp_client_new(&cfg, "alice@uea.edu.br", two_rcpts, 2, MSG, strlen(MSG));
}

static enum smtp_rcpt_status status_of(struct smtp_client *c, size_t i)
{
	return smtp_client_rcpt_status(c, i, NULL);
}

static const char *reply_of(struct smtp_client *c, size_t i)
{
	const char *reply = NULL;
	smtp_client_rcpt_status(c, i, &reply);
	return reply;
}

/* Greeting and a plain EHLO, up to the client's MAIL FROM. */
static struct smtp_client *relay_at_mail(const char *const *rcpts, size_t n)
{
	struct smtp_client *c = relay_client(rcpts, n, MSG);
	CHECK_STR(said(c, GREETING), "EHLO relay.uea.edu.br\r\n");
	CHECK_STR(said(c, EHLO_NO_EXTENSIONS), "MAIL FROM:<alice@uea.edu.br>\r\n");
	return c;
}

/* ---------------------------------------------------------- the session */

static void test_happy_path_port_25(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 2, MSG);
	CHECK_STR(smtp_client_state_name(c), "GREETING");
	CHECK_STR(said(c, GREETING), "EHLO relay.uea.edu.br\r\n");
	CHECK_STR(smtp_client_state_name(c), "EHLO");
	CHECK_STR(said(c, EHLO_GMAIL), "MAIL FROM:<alice@uea.edu.br> SIZE=" MSG_OCTETS "\r\n");
	CHECK_STR(said(c, "250 2.1.0 OK\r\n"), "RCPT TO:<bob@gmail.com>\r\n");
	CHECK_STR(said(c, "250 2.1.5 OK\r\n"), "RCPT TO:<carol@gmail.com>\r\n");
	CHECK_STR(said(c, "250 2.1.5 OK\r\n"), "DATA\r\n");
	CHECK_STR(said(c, "354 Go ahead\r\n"), MSG ".\r\n");
	CHECK_STR(smtp_client_state_name(c), "DOT");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PENDING);
	CHECK(reply_of(c, 0) == NULL);
	CHECK_STR(said(c, "250 2.0.0 OK queued as 4F2A\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_DELIVERED);
	CHECK_INT(status_of(c, 1), SMTP_RCPT_DELIVERED);
	CHECK_STR(reply_of(c, 1), "250 2.0.0 OK queued as 4F2A");
	CHECK(!smtp_client_done(c));
	CHECK_STR(said(c, "221 2.0.0 closing connection\r\n"), "");
	CHECK(smtp_client_done(c));
	CHECK_STR(smtp_client_state_name(c), "DONE");
	smtp_client_free(c);
}

/* The same session with every reply arriving one byte at a time. */
static void test_replies_split_byte_by_byte(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 2, MSG);
	CHECK_STR(said_bytewise(c, GREETING), "EHLO relay.uea.edu.br\r\n");
	CHECK_STR(said_bytewise(c, EHLO_GMAIL), "MAIL FROM:<alice@uea.edu.br> SIZE=" MSG_OCTETS "\r\n");
	CHECK_STR(said_bytewise(c, "250 2.1.0 OK\r\n"), "RCPT TO:<bob@gmail.com>\r\n");
	CHECK_STR(said_bytewise(c, "250 2.1.5 OK\r\n"), "RCPT TO:<carol@gmail.com>\r\n");
	CHECK_STR(said_bytewise(c, "250 2.1.5 OK\r\n"), "DATA\r\n");
	CHECK_STR(said_bytewise(c, "354 Go ahead\r\n"), MSG ".\r\n");
	CHECK_STR(said_bytewise(c, "250 2.0.0 OK queued as 4F2A\r\n"), "QUIT\r\n");
	CHECK_STR(said_bytewise(c, "221 2.0.0 Bye\r\n"), "");
	CHECK(smtp_client_done(c));
	CHECK_INT(status_of(c, 0), SMTP_RCPT_DELIVERED);
	smtp_client_free(c);
}

static void test_multiline_ehlo_in_odd_pieces(void)
{
	struct smtp_client *c = submit_client("alice@uea.edu.br", "alice123");
	CHECK_STR(said(c, GREETING), "EHLO laptop.uea.edu.br\r\n");
	CHECK_STR(said(c, "250-smtp.uea.edu.br Hello"), "");
	CHECK_STR(said(c, "\r\n250-auth pl"), "");
	CHECK_STR(said(c, "ain login\r"), "");
	CHECK_STR(said(c, "\n250 8BITMIME"), "");
	CHECK_STR(said(c, "\r"), "");
	CHECK_STR(smtp_client_state_name(c), "EHLO");
	CHECK_CONTAINS(said(c, "\n"), "AUTH PLAIN ");
	smtp_client_free(c);
}

/* LF alone ends a line too, as many hand-written servers send. */
static void test_replies_ending_in_bare_lf(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 1, MSG);
	CHECK_STR(said(c, "220 old.example\n"), "EHLO relay.uea.edu.br\r\n");
	CHECK_STR(said(c, "250-old.example\n250 SIZE\n"), "MAIL FROM:<alice@uea.edu.br> SIZE=87\r\n");
	smtp_client_free(c);
}

static void test_teaching_notes(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 1, MSG);
	said(c, GREETING);
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "EHLO");
	said(c, EHLO_NO_EXTENSIONS);
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "envelope sender");
	said(c, "250 OK\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "RCPT TO");
	said(c, "250 OK\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "354");
	said(c, "354 go\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "dot-stuffing");
	CHECK_CONTAINS(wire_note_at(&said_wire, strlen(MSG)), "ends the message");
	said(c, "250 OK\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "221");
	smtp_client_free(c);
}

/* --------------------------------------------------- MAIL FROM parameters */

/* The MAIL FROM line the client sends after this EHLO reply. */
static const char *mail_line_after(const char *ehlo_reply, const char *msg)
{
	struct smtp_client *c = relay_client(two_rcpts, 1, msg);
	said(c, GREETING);
	said(c, ehlo_reply);
	smtp_client_free(c);
	return said_wire.data.p;
}

#define MSG_8BIT "Subject: acentua\xc3\xa7\xc3\xa3o\r\n\r\nol\xc3\xa1\r\n"

static void test_size_and_body_only_when_advertised(void)
{
	CHECK_STR(mail_line_after(EHLO_NO_EXTENSIONS, MSG_8BIT),
		  "MAIL FROM:<alice@uea.edu.br>\r\n");
	CHECK_STR(mail_line_after("250-mx\r\n250 SIZE 1000000\r\n", MSG),
		  "MAIL FROM:<alice@uea.edu.br> SIZE=" MSG_OCTETS "\r\n");
	CHECK_STR(mail_line_after("250-mx\r\n250-SIZE 1000000\r\n250 8BITMIME\r\n", MSG_8BIT),
		  "MAIL FROM:<alice@uea.edu.br> SIZE=31 BODY=8BITMIME\r\n");
	CHECK_STR(mail_line_after("250-mx\r\n250 8bitmime\r\n", MSG_8BIT),
		  "MAIL FROM:<alice@uea.edu.br> BODY=8BITMIME\r\n");
	/* 8BITMIME offered, but the message is 7-bit: nothing to declare */
	CHECK_STR(mail_line_after("250-mx\r\n250 8BITMIME\r\n", MSG),
		  "MAIL FROM:<alice@uea.edu.br>\r\n");
	/* the first line is the server's name, never an extension */
	CHECK_STR(mail_line_after("250-SIZE\r\n250 HELP\r\n", MSG),
		  "MAIL FROM:<alice@uea.edu.br>\r\n");
	/* a keyword must match whole: SIZEX is not SIZE */
	CHECK_STR(mail_line_after("250-mx\r\n250 SIZEX 10\r\n", MSG),
		  "MAIL FROM:<alice@uea.edu.br>\r\n");
}

/* RFC 1870 section 4: SIZE counts CR LFs but not the stuffing dots. */
static void test_size_excludes_stuffing_dots(void)
{
	/* ".a" "b" "..c": 4 + 3 + 5 octets with CR LF; 2 dots get added */
	CHECK_STR(mail_line_after("250-mx\r\n250 SIZE\r\n", ".a\r\nb\r\n..c\r\n"),
		  "MAIL FROM:<alice@uea.edu.br> SIZE=12\r\n");
	/* a missing last CR LF will be sent, so it counts */
	CHECK_STR(mail_line_after("250-mx\r\n250 SIZE\r\n", "abc"),
		  "MAIL FROM:<alice@uea.edu.br> SIZE=5\r\n");
}

static void test_null_sender_for_bounces(void)
{
	struct smtp_client_config cfg = {.helo_name = "relay.uea.edu.br"};
	struct smtp_client *c = smtp_client_new(&cfg, "", two_rcpts, 1, MSG, strlen(MSG));
	said(c, GREETING);
	CHECK_STR(said(c, EHLO_NO_EXTENSIONS), "MAIL FROM:<>\r\n");
	smtp_client_free(c);
}

/* ------------------------------------------------------------------ AUTH */

static void test_auth_plain_exact_base64(void)
{
	struct smtp_client *c = submit_client("alice@uea.edu.br", "alice123");
	CHECK_STR(said(c, "220 smtp.uea.edu.br ESMTP\r\n"), "EHLO laptop.uea.edu.br\r\n");
	CHECK_STR(said(c, EHLO_SUBMISSION), "AUTH PLAIN AGFsaWNlQHVlYS5lZHUuYnIAYWxpY2UxMjM=\r\n");
	CHECK_STR(smtp_client_state_name(c), "AUTH");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "not encryption");
	CHECK_STR(said(c, "235 2.7.0 Authentication successful\r\n"),
		  "MAIL FROM:<alice@uea.edu.br> SIZE=" MSG_OCTETS "\r\n");
	smtp_client_free(c);
}

/* Base64 pads with "=" when the input is not a multiple of 3 bytes. */
static void test_auth_plain_padding(void)
{
	static const struct {
		const char *user, *password, *line;
	} cases[] = {
		{"a", "b", "AUTH PLAIN AGEAYg==\r\n"},   /* 4 bytes: "\0a\0b" */
		{"ab", "c", "AUTH PLAIN AGFiAGM=\r\n"},  /* 5 bytes */
		{"ab", "cd", "AUTH PLAIN AGFiAGNk\r\n"}, /* 6 bytes: no padding */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct smtp_client *c = submit_client(cases[i].user, cases[i].password);
		said(c, GREETING);
		CHECK_STR(said(c, EHLO_SUBMISSION), cases[i].line);
		smtp_client_free(c);
	}
}

static void test_auth_refused_535_fails_all_for_good(void)
{
	struct smtp_client *c = submit_client("alice@uea.edu.br", "wrong");
	said(c, GREETING);
	said(c, EHLO_SUBMISSION);
	CHECK_STR(said(c, "535 5.7.8 Error: authentication failed\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_INT(status_of(c, 1), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 1), "535 5.7.8 Error: authentication failed");
	CHECK_STR(said(c, "221 2.0.0 Bye\r\n"), "");
	CHECK(smtp_client_done(c));
	smtp_client_free(c);
}

static void test_auth_454_fails_all_for_now(void)
{
	struct smtp_client *c = submit_client("alice@uea.edu.br", "alice123");
	said(c, GREETING);
	said(c, EHLO_SUBMISSION);
	CHECK_STR(said(c, "454 4.7.0 Temporary authentication failure\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_TEMPFAIL);
	smtp_client_free(c);
}

static void test_auth_not_offered(void)
{
	/* no AUTH at all, and AUTH without PLAIN */
	const char *ehlos[] = {"250-mx\r\n250 SIZE\r\n", "250-mx\r\n250 AUTH CRAM-MD5 LOGIN\r\n"};
	for (size_t i = 0; i < 2; i++) {
		struct smtp_client *c = submit_client("alice@uea.edu.br", "alice123");
		said(c, GREETING);
		CHECK_STR(said(c, ehlos[i]), "QUIT\r\n");
		CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
		CHECK_CONTAINS(reply_of(c, 1), "does not offer AUTH PLAIN");
		smtp_client_free(c);
	}
}

/* ------------------------------------------------------- greeting, EHLO */

static void test_ehlo_502_falls_back_to_helo(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 1, MSG);
	said(c, GREETING);
	CHECK_STR(said(c, "502 5.5.2 Error: command not recognized\r\n"),
		  "HELO relay.uea.edu.br\r\n");
	CHECK_STR(smtp_client_state_name(c), "HELO");
	CHECK_STR(said(c, "250 mx.old.example\r\n"), "MAIL FROM:<alice@uea.edu.br>\r\n");
	smtp_client_free(c);
}

static void test_helo_refused_too(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 1, MSG);
	said(c, GREETING);
	said(c, "500 5.5.1 unrecognized command\r\n");
	CHECK_STR(said(c, "550 5.7.1 go away\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 0), "550 5.7.1 go away");
	smtp_client_free(c);
}

static void test_ehlo_4xx_is_no_reason_for_helo(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 1, MSG);
	said(c, GREETING);
	CHECK_STR(said(c, "451 4.3.0 try later\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_TEMPFAIL);
	smtp_client_free(c);
}

static void test_greeting_554(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 2, MSG);
	CHECK_STR(said(c, "554 5.7.1 mx.gmail.com: no SMTP service here\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_INT(status_of(c, 1), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 0), "554 5.7.1 mx.gmail.com: no SMTP service here");
	CHECK_STR(said(c, "221 Bye\r\n"), "");
	CHECK(smtp_client_done(c));
	smtp_client_free(c);
}

static void test_greeting_421_no_quit(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 2, MSG);
	CHECK_STR(said(c, "421 4.3.2 mx.gmail.com too busy, closing\r\n"), "");
	CHECK(smtp_client_done(c));
	CHECK_INT(status_of(c, 0), SMTP_RCPT_TEMPFAIL);
	CHECK_STR(reply_of(c, 1), "421 4.3.2 mx.gmail.com too busy, closing");
	smtp_client_free(c);
}

/* ------------------------------------------------------- recipients, DATA */

static void test_mail_refused(void)
{
	struct smtp_client *c = relay_at_mail(two_rcpts, 2);
	CHECK_STR(said(c, "553 5.7.1 <alice@uea.edu.br>: sender rejected\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 1), "553 5.7.1 <alice@uea.edu.br>: sender rejected");
	smtp_client_free(c);
}

static void test_one_refused_one_delivered(void)
{
	const char *const rcpts[] = {"x@gmail.com", "bob@gmail.com"};
	struct smtp_client *c = relay_at_mail(rcpts, 2);
	CHECK_STR(said(c, "250 2.1.0 Ok\r\n"), "RCPT TO:<x@gmail.com>\r\n");
	CHECK_STR(said(c, "550 5.1.1 <x@gmail.com>: recipient rejected\r\n"),
		  "RCPT TO:<bob@gmail.com>\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_STR(said(c, "250 2.1.5 Ok\r\n"), "DATA\r\n");
	CHECK_STR(said(c, "354 End data with <CR><LF>.<CR><LF>\r\n"), MSG ".\r\n");
	CHECK_STR(said(c, "250 2.0.0 Ok: queued as 9C1\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 0), "550 5.1.1 <x@gmail.com>: recipient rejected");
	CHECK_INT(status_of(c, 1), SMTP_RCPT_DELIVERED);
	CHECK_STR(reply_of(c, 1), "250 2.0.0 Ok: queued as 9C1");
	smtp_client_free(c);
}

static void test_all_refused_no_data(void)
{
	struct smtp_client *c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	CHECK_STR(said(c, "550 5.1.1 no such user\r\n"), "RCPT TO:<carol@gmail.com>\r\n");
	CHECK_STR(said(c, "550 5.1.1 no such user either\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 1), "550 5.1.1 no such user either");
	CHECK_STR(said(c, "221 Bye\r\n"), "");
	CHECK(smtp_client_done(c));
	smtp_client_free(c);
}

/* 452 to RCPT TO is "too many recipients": carol is deferred, not failed,
 * and goes in a second transaction after the first is done. */
static void test_rcpt_452_retried_in_next_transaction(void)
{
	struct smtp_client *c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	said(c, "250 2.1.5 Ok\r\n");
	CHECK_STR(said(c, "452 4.5.3 Too many recipients\r\n"), "DATA\r\n");
	CHECK_INT(status_of(c, 1), SMTP_RCPT_PENDING); /* deferred, not decided */
	CHECK(reply_of(c, 1) == NULL);
	CHECK_STR(said(c, "354 go\r\n"), MSG ".\r\n");
	CHECK_STR(said(c, "250 2.0.0 Ok: queued as 1\r\n"), "MAIL FROM:<alice@uea.edu.br>\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "RFC 5321 4.5.3.1.10");
	CHECK_STR(smtp_client_state_name(c), "MAIL");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_DELIVERED);
	CHECK_STR(reply_of(c, 0), "250 2.0.0 Ok: queued as 1");
	CHECK_INT(status_of(c, 1), SMTP_RCPT_PENDING);
	CHECK_STR(said(c, "250 2.1.0 Ok\r\n"), "RCPT TO:<carol@gmail.com>\r\n");
	CHECK_STR(said(c, "250 2.1.5 Ok\r\n"), "DATA\r\n");
	CHECK_STR(said(c, "354 go\r\n"), MSG ".\r\n");
	CHECK_STR(said(c, "250 2.0.0 Ok: queued as 2\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_DELIVERED);
	CHECK_STR(reply_of(c, 0), "250 2.0.0 Ok: queued as 1");
	CHECK_INT(status_of(c, 1), SMTP_RCPT_DELIVERED);
	CHECK_STR(reply_of(c, 1), "250 2.0.0 Ok: queued as 2");
	CHECK_STR(said(c, "221 Bye\r\n"), "");
	CHECK(smtp_client_done(c));
	smtp_client_free(c);
}

/* 102 recipients at a server that takes 100 per transaction (the review's
 * case): the 101st and 102nd go in a second transaction. */
static void test_102_recipients_two_transactions(void)
{
	char *addrs[102];
	char line[80];
	for (size_t i = 0; i < 102; i++) {
		snprintf(line, sizeof line, "user%zu@gmail.com", i + 1);
		addrs[i] = xstrdup(line);
	}
	struct smtp_client *c = relay_client((const char *const *)addrs, 102, MSG);
	said(c, GREETING);
	CHECK_STR(said(c, EHLO_GMAIL), "MAIL FROM:<alice@uea.edu.br> SIZE=" MSG_OCTETS "\r\n");
	CHECK_STR(said(c, "250 2.1.0 OK\r\n"), "RCPT TO:<user1@gmail.com>\r\n");
	for (size_t i = 2; i <= 100; i++) {
		snprintf(line, sizeof line, "RCPT TO:<user%zu@gmail.com>\r\n", i);
		CHECK_STR(said(c, "250 2.1.5 OK\r\n"), line);
	}
	CHECK_STR(said(c, "250 2.1.5 OK\r\n"), "RCPT TO:<user101@gmail.com>\r\n");
	CHECK_STR(said(c, "452 4.5.3 Too many recipients\r\n"), "RCPT TO:<user102@gmail.com>\r\n");
	CHECK_STR(said(c, "452 4.5.3 Too many recipients\r\n"), "DATA\r\n");
	CHECK_STR(said(c, "354 Go ahead\r\n"), MSG ".\r\n");
	CHECK_STR(said(c, "250 2.0.0 OK queued as A1\r\n"),
		  "MAIL FROM:<alice@uea.edu.br> SIZE=" MSG_OCTETS "\r\n");
	CHECK_STR(wire_note_at(&said_wire, 0),
		  "the server took only 100 recipients in one transaction: the rest go in "
		  "another (RFC 5321 4.5.3.1.10)");
	CHECK_STR(said(c, "250 2.1.0 OK\r\n"), "RCPT TO:<user101@gmail.com>\r\n");
	CHECK_STR(said(c, "250 2.1.5 OK\r\n"), "RCPT TO:<user102@gmail.com>\r\n");
	CHECK_STR(said(c, "250 2.1.5 OK\r\n"), "DATA\r\n");
	CHECK_STR(said(c, "354 Go ahead\r\n"), MSG ".\r\n");
	CHECK_STR(said(c, "250 2.0.0 OK queued as B2\r\n"), "QUIT\r\n");
	CHECK_STR(said(c, "221 2.0.0 Bye\r\n"), "");
	CHECK(smtp_client_done(c));
	for (size_t i = 0; i < 102; i++)
		CHECK_INT(status_of(c, i), SMTP_RCPT_DELIVERED);
	CHECK_STR(reply_of(c, 99), "250 2.0.0 OK queued as A1");
	CHECK_STR(reply_of(c, 100), "250 2.0.0 OK queued as B2");
	CHECK_STR(reply_of(c, 101), "250 2.0.0 OK queued as B2");
	smtp_client_free(c);
	for (size_t i = 0; i < 102; i++)
		free(addrs[i]);
}

/* A transaction that makes no progress ends the retries: the deferred
 * recipients fail for now, each with its 452. */
static void test_rcpt_452_without_progress(void)
{
	/* no recipient accepted at all: another transaction would not help */
	struct smtp_client *c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	CHECK_STR(said(c, "550 5.1.1 no such user\r\n"), "RCPT TO:<carol@gmail.com>\r\n");
	CHECK_STR(said(c, "452 4.3.1 Insufficient system storage\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_INT(status_of(c, 1), SMTP_RCPT_TEMPFAIL);
	CHECK_STR(reply_of(c, 1), "452 4.3.1 Insufficient system storage");
	smtp_client_free(c);

	/* the second transaction accepts no one: stop there */
	c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	said(c, "250 2.1.5 Ok\r\n");
	said(c, "452 4.5.3 Too many recipients\r\n");
	said(c, "354 go\r\n");
	CHECK_STR(said(c, "250 2.0.0 Ok\r\n"), "MAIL FROM:<alice@uea.edu.br>\r\n");
	CHECK_STR(said(c, "250 2.1.0 Ok\r\n"), "RCPT TO:<carol@gmail.com>\r\n");
	CHECK_STR(said(c, "452 4.5.3 Still too many\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_DELIVERED);
	CHECK_INT(status_of(c, 1), SMTP_RCPT_TEMPFAIL);
	CHECK_STR(reply_of(c, 1), "452 4.5.3 Still too many");
	smtp_client_free(c);

	/* the message refused at "." : no retry; the deferred keep their 452 */
	c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	said(c, "250 2.1.5 Ok\r\n");
	said(c, "452 4.5.3 Too many recipients\r\n");
	said(c, "354 go\r\n");
	CHECK_STR(said(c, "451 4.3.0 queue file write error\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_TEMPFAIL);
	CHECK_STR(reply_of(c, 0), "451 4.3.0 queue file write error");
	CHECK_INT(status_of(c, 1), SMTP_RCPT_TEMPFAIL);
	CHECK_STR(reply_of(c, 1), "452 4.5.3 Too many recipients");
	smtp_client_free(c);

	/* DATA refused: the deferred recipient was never part of it */
	c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	said(c, "250 2.1.5 Ok\r\n");
	said(c, "452 4.5.3 Too many recipients\r\n");
	CHECK_STR(said(c, "554 5.7.1 no\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_INT(status_of(c, 1), SMTP_RCPT_TEMPFAIL);
	CHECK_STR(reply_of(c, 1), "452 4.5.3 Too many recipients");
	smtp_client_free(c);

	/* a 421 mid-way decides everyone left, deferred or not */
	c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	said(c, "250 2.1.5 Ok\r\n");
	said(c, "452 4.5.3 Too many recipients\r\n");
	CHECK_STR(said(c, "421 4.3.2 shutting down\r\n"), "");
	CHECK(smtp_client_done(c));
	CHECK_STR(reply_of(c, 0), "421 4.3.2 shutting down");
	CHECK_STR(reply_of(c, 1), "421 4.3.2 shutting down");
	smtp_client_free(c);
}

/* RFC 821 gave "too many recipients" the code 552; RFC 5321 4.5.3.1.10 asks
 * clients to treat that as temporary.  A 552 before anyone was accepted is
 * no limit on a count, and stays permanent. */
static void test_rcpt_552_after_accepted_is_too_many(void)
{
	struct smtp_client *c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	said(c, "250 2.1.5 Ok\r\n");
	CHECK_STR(said(c, "552 Too many recipients\r\n"), "DATA\r\n");
	said(c, "354 go\r\n");
	CHECK_STR(said(c, "250 Ok\r\n"), "MAIL FROM:<alice@uea.edu.br>\r\n");
	said(c, "250 Ok\r\n");
	CHECK_STR(said(c, "250 Ok\r\n"), "DATA\r\n");
	said(c, "354 go\r\n");
	CHECK_STR(said(c, "250 Ok\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 1), SMTP_RCPT_DELIVERED);
	smtp_client_free(c);

	c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	CHECK_STR(said(c, "552 5.2.2 Mailbox full\r\n"), "RCPT TO:<carol@gmail.com>\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	smtp_client_free(c);
}

/* A recipient given twice is asked for once; every copy reports its fate. */
static void test_duplicate_recipients_sent_once(void)
{
	const char *const rcpts[] = {"bob@gmail.com", "carol@gmail.com", "BOB@Gmail.com",
				     "bob@gmail.com", "Carol@gmail.com", "dave@gmail.com"};
	struct smtp_client *c = relay_at_mail(rcpts, 6);
	CHECK_STR(said(c, "250 2.1.0 Ok\r\n"), "RCPT TO:<bob@gmail.com>\r\n");
	CHECK_STR(said(c, "250 2.1.5 Ok\r\n"), "RCPT TO:<carol@gmail.com>\r\n");
	CHECK_STR(said(c, "550 5.1.1 no carol\r\n"), "RCPT TO:<dave@gmail.com>\r\n");
	CHECK_INT(status_of(c, 4), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 4), "550 5.1.1 no carol");
	CHECK_INT(status_of(c, 2), SMTP_RCPT_PENDING);
	CHECK_STR(said(c, "452 4.5.3 Too many recipients\r\n"), "DATA\r\n");
	said(c, "354 go\r\n");
	CHECK_STR(said(c, "250 2.0.0 Ok: queued as 1\r\n"), "MAIL FROM:<alice@uea.edu.br>\r\n");
	/* the second transaction asks for dave only, once */
	CHECK_STR(said(c, "250 Ok\r\n"), "RCPT TO:<dave@gmail.com>\r\n");
	CHECK_STR(said(c, "250 Ok\r\n"), "DATA\r\n");
	said(c, "354 go\r\n");
	CHECK_STR(said(c, "250 2.0.0 Ok: queued as 2\r\n"), "QUIT\r\n");
	static const size_t bobs[] = {0, 2, 3};
	for (size_t i = 0; i < 3; i++) {
		CHECK_INT(status_of(c, bobs[i]), SMTP_RCPT_DELIVERED);
		CHECK_STR(reply_of(c, bobs[i]), "250 2.0.0 Ok: queued as 1");
	}
	CHECK_INT(status_of(c, 1), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 1), "550 5.1.1 no carol");
	CHECK_INT(status_of(c, 5), SMTP_RCPT_DELIVERED);
	CHECK_STR(reply_of(c, 5), "250 2.0.0 Ok: queued as 2");
	smtp_client_free(c);

	/* an unsendable address given twice fails twice, and is never sent */
	const char *const bad[] = {"evil@x>\r\nDATA", "evil@x>\r\nDATA"};
	c = relay_client(bad, 2, MSG);
	said(c, GREETING);
	CHECK_STR(said(c, EHLO_NO_EXTENSIONS), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_INT(status_of(c, 1), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 1), reply_of(c, 0));
	smtp_client_free(c);
}

/* Up to the reply to ".", with bob accepted and carol refused. */
static struct smtp_client *relay_at_dot(void)
{
	struct smtp_client *c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	said(c, "250 2.1.5 Ok\r\n");
	said(c, "550 5.1.1 no such user\r\n");
	said(c, "354 go\r\n");
	return c;
}

static void test_final_451_is_tempfail(void)
{
	struct smtp_client *c = relay_at_dot();
	CHECK_STR(said(c, "451 4.3.0 Error: queue file write error\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_TEMPFAIL);
	CHECK_STR(reply_of(c, 0), "451 4.3.0 Error: queue file write error");
	CHECK_INT(status_of(c, 1), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 1), "550 5.1.1 no such user");
	smtp_client_free(c);
}

static void test_final_554_is_permfail(void)
{
	struct smtp_client *c = relay_at_dot();
	CHECK_STR(said(c, "554 5.6.0 Message content rejected\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 0), "554 5.6.0 Message content rejected");
	smtp_client_free(c);
}

static void test_data_refused(void)
{
	struct smtp_client *c = relay_at_mail(two_rcpts, 1);
	said(c, "250 Ok\r\n");
	said(c, "250 Ok\r\n");
	CHECK_STR(said(c, "554 5.5.1 Error: no valid recipients\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	smtp_client_free(c);
}

static void test_421_mid_session(void)
{
	struct smtp_client *c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	said(c, "550 5.1.1 no such user\r\n");
	CHECK_STR(said(c, "421 4.4.2 mx.gmail.com Error: timeout exceeded\r\n"), "");
	CHECK(smtp_client_done(c));
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_INT(status_of(c, 1), SMTP_RCPT_TEMPFAIL);
	CHECK_STR(reply_of(c, 1), "421 4.4.2 mx.gmail.com Error: timeout exceeded");
	smtp_client_free(c);
}

/* ------------------------------------------------------- dot-stuffing */

/* What the client sends after 354 for this message. */
static const char *content_for(const char *msg, size_t len)
{
	struct smtp_client_config cfg = {.helo_name = "h"};
	struct smtp_client *c = smtp_client_new(&cfg, "a@b", two_rcpts, 1, msg, len);
	said(c, GREETING);
	said(c, EHLO_NO_EXTENSIONS);
	said(c, "250 Ok\r\n");
	said(c, "250 Ok\r\n");
	said(c, "354 go\r\n");
	smtp_client_free(c);
	return said_wire.data.p;
}

static void test_dot_stuffing(void)
{
	const char *msg = ".first line\r\nmiddle.dot\r\n..two\r\n.\r\nlast\r\n";
	CHECK_STR(content_for(msg, strlen(msg)),
		  "..first line\r\nmiddle.dot\r\n...two\r\n..\r\nlast\r\n.\r\n");
}

static void test_message_without_final_crlf(void)
{
	CHECK_STR(content_for("Subject: x\r\n\r\nno ending", 23),
		  "Subject: x\r\n\r\nno ending\r\n.\r\n");
	CHECK_STR(content_for("Subject: x\r\n\r\n.", 15), "Subject: x\r\n\r\n..\r\n.\r\n");
}

static void test_bare_lf_becomes_crlf(void)
{
	CHECK_STR(content_for("a\n.b\n", 5), "a\r\n..b\r\n.\r\n");
}

static void test_empty_message(void)
{
	CHECK_STR(content_for("", 0), ".\r\n");
}

/* ----------------------------------------------------------- abort */

static void test_abort_fails_pending_for_now(void)
{
	struct smtp_client *c = relay_at_mail(two_rcpts, 2);
	said(c, "250 2.1.0 Ok\r\n");
	said(c, "550 5.1.1 no such user\r\n"); /* bob refused; carol asked */
	said(c, "250 2.1.5 Ok\r\n");           /* carol accepted; DATA sent */
	smtp_client_abort(c, "connection reset by peer");
	CHECK(smtp_client_done(c));
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_STR(reply_of(c, 0), "550 5.1.1 no such user");
	CHECK_INT(status_of(c, 1), SMTP_RCPT_TEMPFAIL);
	CHECK_STR(reply_of(c, 1), "connection reset by peer");
	/* once done, the client neither listens nor talks */
	CHECK_STR(said(c, "354 go\r\n"), "");
	smtp_client_abort(c, "again");
	CHECK_STR(reply_of(c, 1), "connection reset by peer");
	smtp_client_free(c);
}

static void test_abort_before_greeting(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 2, MSG);
	smtp_client_abort(c, "connect to mx.gmail.com: connection refused");
	CHECK(smtp_client_done(c));
	CHECK_INT(status_of(c, 1), SMTP_RCPT_TEMPFAIL);
	CHECK_STR(reply_of(c, 1), "connect to mx.gmail.com: connection refused");
	smtp_client_free(c);
}

/* The server closed instead of saying 221: the verdict stands. */
static void test_close_after_quit(void)
{
	struct smtp_client *c = relay_at_dot();
	said(c, "250 2.0.0 Ok\r\n");
	smtp_client_abort(c, "connection closed");
	CHECK(smtp_client_done(c));
	CHECK_INT(status_of(c, 0), SMTP_RCPT_DELIVERED);
	CHECK_STR(reply_of(c, 0), "250 2.0.0 Ok");
	smtp_client_free(c);
}

/* ------------------------------------------------------- bad servers */

static void test_garbage_reply(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 2, MSG);
	CHECK_STR(said(c, "HTTP/1.1 400 Bad Request\r\n"), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_TEMPFAIL);
	CHECK_CONTAINS(reply_of(c, 0), "protocol error");
	CHECK_CONTAINS(reply_of(c, 0), "HTTP/1.1 400 Bad Request");
	CHECK_STR(said(c, "<html>\r\n"), "");
	CHECK(smtp_client_done(c));
	smtp_client_free(c);
}

static void test_garbage_shapes(void)
{
	static const char *const bad[] = {
		"\r\n",                /* empty line */
		"22\r\n",              /* too short */
		"2200 hello\r\n",      /* four digits */
		"120 wait\r\n",        /* 1xx is not used in SMTP */
		"260 hello\r\n",       /* the second digit is 0 to 5 (RFC 5321 4.2) */
		"abc def\r\n",
		"250-mx\r\n550 no\r\n", /* a reply's lines must share one code */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct smtp_client *c = relay_client(two_rcpts, 1, MSG);
		said(c, GREETING);
		CHECK_STR(said(c, bad[i]), "QUIT\r\n");
		CHECK_INT(status_of(c, 0), SMTP_RCPT_TEMPFAIL);
		smtp_client_free(c);
	}
}

static void test_control_bytes_in_reply(void)
{
	struct smtp_client *c = relay_at_mail(two_rcpts, 1);
	said(c, "250 Ok\r\n");
	const char reply[] = "550 5.1.1 bad\0user\x1b[2J\r\n";
	wire_clear(&said_wire);
	smtp_client_feed(c, reply, sizeof reply - 1, &said_wire);
	CHECK_STR(reply_of(c, 0), "550 5.1.1 bad?user?[2J");
	smtp_client_free(c);
}

static void test_overlong_reply_lines(void)
{
	struct smtp_client *c = relay_client(two_rcpts, 1, MSG);
	struct buf big;
	buf_init(&big);
	buf_adds(&big, "220 ");
	for (int i = 0; i < 5000; i++)
		buf_addc(&big, 'x');
	buf_adds(&big, "\r\n");
	CHECK_STR(said(c, big.p), "EHLO relay.uea.edu.br\r\n");

	/* a multi-line refusal of many long lines is kept, but capped */
	said(c, EHLO_NO_EXTENSIONS);
	said(c, "250 Ok\r\n");
	buf_clear(&big);
	for (int line = 0; line < 20; line++) {
		buf_adds(&big, line < 19 ? "550-" : "550 ");
		for (int i = 0; i < 600; i++)
			buf_addc(&big, 'y');
		buf_adds(&big, "\r\n");
	}
	CHECK_STR(said(c, big.p), "QUIT\r\n");
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK(strncmp(reply_of(c, 0), "550 yyy", 7) == 0);
	CHECK(strlen(reply_of(c, 0)) <= 1024);
	buf_free(&big);
	smtp_client_free(c);
}

static void test_multiline_reply_is_joined(void)
{
	struct smtp_client *c = relay_at_mail(two_rcpts, 1);
	said(c, "250 Ok\r\n");
	said(c, "550-5.1.1 The email account that you tried to reach does not exist.\r\n"
		"550 5.1.1 Please try double-checking the address.\r\n");
	CHECK_STR(reply_of(c, 0), "550 5.1.1 The email account that you tried to reach does "
				  "not exist. 5.1.1 Please try double-checking the address.");
	smtp_client_free(c);
}

/* Addresses with CR LF would smuggle commands: they are never sent. */
static void test_unsendable_addresses(void)
{
	const char *const rcpts[] = {"evil@x>\r\nDATA", "bob@gmail.com"};
	struct smtp_client *c = relay_at_mail(rcpts, 2);
	CHECK_INT(status_of(c, 0), SMTP_RCPT_PERMFAIL);
	CHECK_STR(said(c, "250 Ok\r\n"), "RCPT TO:<bob@gmail.com>\r\n");
	smtp_client_free(c);

	struct smtp_client_config cfg = {.helo_name = "h"};
	c = smtp_client_new(&cfg, "bad\nsender", two_rcpts, 2, MSG, strlen(MSG));
	said(c, GREETING);
	CHECK_STR(said(c, EHLO_NO_EXTENSIONS), "QUIT\r\n");
	CHECK_INT(status_of(c, 1), SMTP_RCPT_PERMFAIL);
	CHECK_CONTAINS(reply_of(c, 1), "sender address");
	smtp_client_free(c);
}

/* ----------------------------------------------------------- raw sessions */

static void test_reply_complete(void)
{
	int code = -1;
	CHECK_INT(smtp_reply_complete("", 0, &code), 0);
	CHECK_INT(code, 0);
	CHECK_INT(smtp_reply_complete("220 mx ESMTP", 12, &code), 0); /* no CR LF yet */
	CHECK_INT(smtp_reply_complete("250-mx\r\n", 8, &code), 0);
	const char *partial = "250-mx\r\n250 SIZE";
	CHECK_INT(smtp_reply_complete(partial, strlen(partial), &code), 0);

	const char *two = "250-mx\r\n250 SIZE\r\n354 go\r\n";
	CHECK_INT(smtp_reply_complete(two, strlen(two), &code), 18);
	CHECK_INT(code, 250);
	CHECK_INT(smtp_reply_complete(two + 18, strlen(two) - 18, &code), 8);
	CHECK_INT(code, 354);

	CHECK_INT(smtp_reply_complete("220 hi\n", 7, &code), 7);
	CHECK_INT(code, 220);
	CHECK_INT(smtp_reply_complete("250\r\n", 5, &code), 5);
	CHECK_INT(code, 250);
	CHECK_INT(smtp_reply_complete("221 bye\r\n", 9, NULL), 9);

	/* a line that is no reply ends the wait, with code 0 */
	CHECK_INT(smtp_reply_complete("garbage\r\n", 9, &code), 9);
	CHECK_INT(code, 0);
}

/* ------------------------------------------------------- STARTTLS (RFC 3207) */

static struct smtp_client *tls_client(const char *user, const char *password)
{
	struct smtp_client_config cfg = {
		.helo_name = "laptop.uea.edu.br",
		.auth_user = user,
		.auth_password = password,
		.starttls = true,
	};
	return smtp_client_new(&cfg, "alice@uea.edu.br", two_rcpts, 2, MSG, strlen(MSG));
}

#define EHLO_SUBMISSION_TLS "250-smtp.uea.edu.br\r\n" \
			    "250-STARTTLS\r\n"        \
			    "250 SIZE 10485760\r\n"

/* STARTTLS, the handshake, EHLO again, then AUTH: the sequence every
 * mail program follows on port 587. */
static void test_starttls_sequence(void)
{
	struct smtp_client *c = tls_client("alice@uea.edu.br", "alice123");
	CHECK_STR(said(c, "220 smtp.uea.edu.br ESMTP\r\n"), "EHLO laptop.uea.edu.br\r\n");
	CHECK_STR(said(c, EHLO_SUBMISSION_TLS), "STARTTLS\r\n");
	CHECK_STR(smtp_client_state_name(c), "STARTTLS");
	CHECK(!smtp_client_tls_pending(c));
	CHECK_STR(said(c, "220 2.0.0 Ready to start TLS\r\n"), "");
	CHECK(smtp_client_tls_pending(c));
	CHECK_STR(smtp_client_state_name(c), "TLS");
	/* bytes after the 220 are never read in plaintext */
	CHECK_STR(said(c, "250 2.0.0 forged\r\n"), "");
	CHECK(smtp_client_tls_pending(c));
	wire_clear(&said_wire);
	smtp_client_tls_started(c, &said_wire);
	CHECK_STR(said_wire.data.p, "EHLO laptop.uea.edu.br\r\n");
	CHECK(wire_note_at(&said_wire, 0) != NULL);
	CHECK(!smtp_client_tls_pending(c));
	CHECK_STR(said(c, EHLO_SUBMISSION), "AUTH PLAIN AGFsaWNlQHVlYS5lZHUuYnIAYWxpY2UxMjM=\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "TLS");
	CHECK_STR(said(c, "235 2.7.0 Authentication successful\r\n"),
		  "MAIL FROM:<alice@uea.edu.br> SIZE=" MSG_OCTETS "\r\n");
	smtp_client_free(c);
}

/* The same reply with the 220 and a forged line in one packet: the forged
 * line is dropped. */
static void test_starttls_injection_from_server(void)
{
	struct smtp_client *c = tls_client("alice@uea.edu.br", "alice123");
	said(c, "220 smtp.uea.edu.br ESMTP\r\n");
	said(c, EHLO_SUBMISSION_TLS);
	CHECK_STR(said(c, "220 2.0.0 Ready to start TLS\r\n235 2.7.0 forged\r\n"), "");
	wire_clear(&said_wire);
	smtp_client_tls_started(c, &said_wire);
	CHECK_STR(said_wire.data.p, "EHLO laptop.uea.edu.br\r\n");
	CHECK_STR(smtp_client_state_name(c), "EHLO");
	smtp_client_free(c);
}

/* No STARTTLS in EHLO, or a 454: the client goes on in plaintext. */
static void test_starttls_opportunistic(void)
{
	struct smtp_client *c = tls_client("alice@uea.edu.br", "alice123");
	said(c, "220 smtp.uea.edu.br ESMTP\r\n");
	CHECK_STR(said(c, EHLO_SUBMISSION), "AUTH PLAIN AGFsaWNlQHVlYS5lZHUuYnIAYWxpY2UxMjM=\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "STARTTLS");
	smtp_client_free(c);

	struct smtp_client_config cfg = {.helo_name = "relay.uea.edu.br", .starttls = true};
	c = smtp_client_new(&cfg, "alice@uea.edu.br", two_rcpts, 2, MSG, strlen(MSG));
	said(c, GREETING);
	CHECK_STR(said(c, "250-mx.gmail.com\r\n250 STARTTLS\r\n"), "STARTTLS\r\n");
	CHECK_STR(said(c, "454 4.7.0 TLS not available due to temporary reason\r\n"),
		  "MAIL FROM:<alice@uea.edu.br>\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "STARTTLS");
	CHECK(!smtp_client_tls_pending(c));
	smtp_client_free(c);

	/* without config starttls, a STARTTLS in EHLO changes nothing */
	c = relay_client(two_rcpts, 2, MSG);
	said(c, GREETING);
	CHECK_STR(said(c, "250-mx.gmail.com\r\n250 STARTTLS\r\n"), "MAIL FROM:<alice@uea.edu.br>\r\n");
	smtp_client_free(c);
}

int main(void)
{
	wire_init(&said_wire);
	RUN(test_happy_path_port_25);
	RUN(test_replies_split_byte_by_byte);
	RUN(test_multiline_ehlo_in_odd_pieces);
	RUN(test_replies_ending_in_bare_lf);
	RUN(test_teaching_notes);
	RUN(test_size_and_body_only_when_advertised);
	RUN(test_size_excludes_stuffing_dots);
	RUN(test_null_sender_for_bounces);
	RUN(test_auth_plain_exact_base64);
	RUN(test_auth_plain_padding);
	RUN(test_auth_refused_535_fails_all_for_good);
	RUN(test_auth_454_fails_all_for_now);
	RUN(test_auth_not_offered);
	RUN(test_ehlo_502_falls_back_to_helo);
	RUN(test_helo_refused_too);
	RUN(test_ehlo_4xx_is_no_reason_for_helo);
	RUN(test_greeting_554);
	RUN(test_greeting_421_no_quit);
	RUN(test_mail_refused);
	RUN(test_one_refused_one_delivered);
	RUN(test_all_refused_no_data);
	RUN(test_rcpt_452_retried_in_next_transaction);
	RUN(test_102_recipients_two_transactions);
	RUN(test_rcpt_452_without_progress);
	RUN(test_rcpt_552_after_accepted_is_too_many);
	RUN(test_duplicate_recipients_sent_once);
	RUN(test_final_451_is_tempfail);
	RUN(test_final_554_is_permfail);
	RUN(test_data_refused);
	RUN(test_421_mid_session);
	RUN(test_dot_stuffing);
	RUN(test_message_without_final_crlf);
	RUN(test_bare_lf_becomes_crlf);
	RUN(test_empty_message);
	RUN(test_abort_fails_pending_for_now);
	RUN(test_abort_before_greeting);
	RUN(test_close_after_quit);
	RUN(test_garbage_reply);
	RUN(test_garbage_shapes);
	RUN(test_control_bytes_in_reply);
	RUN(test_overlong_reply_lines);
	RUN(test_multiline_reply_is_joined);
	RUN(test_unsendable_addresses);
	RUN(test_reply_complete);
	RUN(test_starttls_sequence);
	RUN(test_starttls_injection_from_server);
	RUN(test_starttls_opportunistic);
	wire_free(&said_wire);
	return TEST_END();
}
