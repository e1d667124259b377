/*
 * test_pop3_client.c - the POP3 client engine, driven by canned responses.
 *
 * Each test plays the server: it feeds the client the server's responses
 * and checks the exact bytes the client answers, like a golden transcript
 * (curl's tests/data files do the same).  said(c, response) feeds one
 * response and returns everything the client wrote back; every message the
 * client downloads is recorded in `got` for the checks.
 */
#include <stdlib.h>

#include "pop3.h"
#include "test.h"

/* ------------------------------------------------------------ harness */

static struct wire said_wire;

/* The server says `server`, in one piece; what does the client answer? */
static const char *said(struct pop3_client *c, const char *server)
{
	wire_clear(&said_wire);
	pop3_client_feed(c, server, strlen(server), &said_wire);
	return said_wire.data.p ? said_wire.data.p : "";
}

/* The same, but the server's bytes arrive one at a time. */
static const char *said_bytewise(struct pop3_client *c, const char *server)
{
	wire_clear(&said_wire);
	for (size_t i = 0; server[i]; i++)
		pop3_client_feed(c, server + i, 1, &said_wire);
	return said_wire.data.p ? said_wire.data.p : "";
}

/* What got() was handed, in order. */
#define GOT_MAX 8
static struct {
	size_t n;
	char *uidl[GOT_MAX];
	char *content[GOT_MAX];
	size_t len[GOT_MAX];
} got;

static void got_reset(void)
{
	for (size_t i = 0; i < got.n; i++) {
		free(got.uidl[i]);
		free(got.content[i]);
	}
	got.n = 0;
}

static void got_message(void *ctx, const char *uidl, const char *content, size_t len)
{
	CHECK(ctx == &got);
	CHECK(got.n < GOT_MAX);
	if (got.n >= GOT_MAX)
		return;
	got.uidl[got.n] = xstrdup(uidl);
	got.content[got.n] = xstrndup(content, len);
	got.len[got.n] = len;
	got.n++;
}

#define GREETING "+OK POP3 pop.gmail.com ready\r\n"

/* Two messages; the second has lines starting with "." (stuffed on the
 * wire, plain in the content). */
#define MSG1 "From: alice@uea.edu.br\r\n" \
	     "Subject: one\r\n"           \
	     "\r\n"                       \
	     "Hello Bob.\r\n"
#define MSG2 "Subject: two\r\n" \
	     "\r\n"             \
	     ".hidden\r\n"      \
	     "..\r\n"           \
	     ".\r\n"            \
	     "end\r\n"
#define MSG2_STUFFED "Subject: two\r\n" \
		     "\r\n"             \
		     "..hidden\r\n"     \
		     "...\r\n"          \
		     "..\r\n"           \
		     "end\r\n"
#define MSG3 "Subject: three\r\n\r\nthird\r\n"

#define UIDL_2 "+OK\r\n1 uid-aaa\r\n2 uid-bbb\r\n.\r\n"
#define LIST_2 "+OK 2 messages\r\n1 64\r\n2 52\r\n.\r\n"
#define UIDL_3 "+OK\r\n1 uid-aaa\r\n2 uid-bbb\r\n3 uid-ccc\r\n.\r\n"
#define LIST_3 "+OK 3 messages\r\n1 64\r\n2 52\r\n3 29\r\n.\r\n"

static struct pop3_client *client(bool keep, const char *const *known, size_t nknown)
{
	struct pop3_client_config cfg = {
		.user = "bob",
		.password = "bob123",
		.keep = keep,
		.known_uidls = known,
		.nknown = nknown,
	};
	got_reset();
	return pop3_client_new(&cfg, got_message, &got);
}

/* Greeting and login, up to the client's STAT. */
static struct pop3_client *logged_in(bool keep, const char *const *known, size_t nknown)
{
	struct pop3_client *c = client(keep, known, nknown);
	CHECK_STR(said(c, GREETING), "USER bob\r\n");
	CHECK_STR(said(c, "+OK\r\n"), "PASS bob123\r\n");
	CHECK_STR(said(c, "+OK maildrop locked and ready\r\n"), "STAT\r\n");
	return c;
}

/* ... and up to the first command after LIST. */
static struct pop3_client *listed(bool keep, const char *const *known, size_t nknown,
				  const char *uidl, const char *list, const char *first)
{
	struct pop3_client *c = logged_in(keep, known, nknown);
	CHECK_STR(said(c, "+OK 2 116\r\n"), "UIDL\r\n");
	CHECK_STR(said(c, uidl), "LIST\r\n");
	CHECK_STR(said(c, list), first);
	return c;
}

/* ---------------------------------------------------------- the session */

static void test_download_and_delete(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	CHECK_STR(pop3_client_state_name(c), "GREETING");
	CHECK_STR(said(c, GREETING), "USER bob\r\n");
	CHECK_STR(pop3_client_state_name(c), "USER");
	CHECK_STR(said(c, "+OK\r\n"), "PASS bob123\r\n");
	CHECK_STR(said(c, "+OK maildrop locked and ready\r\n"), "STAT\r\n");
	CHECK_STR(said(c, "+OK 2 116\r\n"), "UIDL\r\n");
	CHECK_STR(said(c, UIDL_2), "LIST\r\n");
	CHECK_STR(said(c, LIST_2), "RETR 1\r\n");
	CHECK_STR(pop3_client_state_name(c), "RETR");
	CHECK_STR(said(c, "+OK 64 octets\r\n" MSG1 ".\r\n"), "DELE 1\r\n");
	CHECK_INT(got.n, 1);
	CHECK_STR(said(c, "+OK message 1 deleted\r\n"), "RETR 2\r\n");
	CHECK_STR(said(c, "+OK 52 octets\r\n" MSG2_STUFFED ".\r\n"), "DELE 2\r\n");
	CHECK_STR(said(c, "+OK message 2 deleted\r\n"), "QUIT\r\n");
	CHECK_STR(pop3_client_state_name(c), "QUIT");
	/* marked, but not deleted until the UPDATE succeeds */
	CHECK_INT(pop3_client_deleted(c), 0);
	CHECK(!pop3_client_done(c));
	CHECK_STR(said(c, "+OK bye (2 messages removed)\r\n"), "");
	CHECK(pop3_client_done(c));
	CHECK_STR(pop3_client_state_name(c), "DONE");
	CHECK(pop3_client_error(c) == NULL);
	CHECK_INT(pop3_client_downloaded(c), 2);
	CHECK_INT(pop3_client_deleted(c), 2);

	CHECK_INT(got.n, 2);
	CHECK_STR(got.uidl[0], "uid-aaa");
	CHECK_STR(got.content[0], MSG1);
	CHECK_INT(got.len[0], strlen(MSG1));
	CHECK_STR(got.uidl[1], "uid-bbb");
	CHECK_STR(got.content[1], MSG2);
	CHECK_INT(got.len[1], strlen(MSG2));
	/* once done, the client neither listens nor talks */
	CHECK_STR(said(c, "+OK hello again\r\n"), "");
	pop3_client_free(c);
}

/* The same session with every response arriving one byte at a time. */
static void test_responses_split_byte_by_byte(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	CHECK_STR(said_bytewise(c, GREETING), "USER bob\r\n");
	CHECK_STR(said_bytewise(c, "+OK\r\n"), "PASS bob123\r\n");
	CHECK_STR(said_bytewise(c, "+OK ready\r\n"), "STAT\r\n");
	CHECK_STR(said_bytewise(c, "+OK 2 116\r\n"), "UIDL\r\n");
	CHECK_STR(said_bytewise(c, UIDL_2), "LIST\r\n");
	CHECK_STR(said_bytewise(c, LIST_2), "RETR 1\r\n");
	CHECK_STR(said_bytewise(c, "+OK\r\n" MSG1 ".\r\n"), "DELE 1\r\n");
	CHECK_STR(said_bytewise(c, "+OK\r\n"), "RETR 2\r\n");
	CHECK_STR(said_bytewise(c, "+OK\r\n" MSG2_STUFFED ".\r\n"), "DELE 2\r\n");
	CHECK_STR(said_bytewise(c, "+OK\r\n"), "QUIT\r\n");
	CHECK_STR(said_bytewise(c, "+OK\r\n"), "");
	CHECK(pop3_client_done(c));
	CHECK(pop3_client_error(c) == NULL);
	CHECK_INT(got.n, 2);
	CHECK_STR(got.content[0], MSG1);
	CHECK_STR(got.content[1], MSG2);
	CHECK_INT(pop3_client_deleted(c), 2);
	pop3_client_free(c);
}

/* Pieces that cut through "\r\n", through ".\r\n" and through "+OK". */
static void test_responses_in_odd_pieces(void)
{
	struct pop3_client *c = listed(true, NULL, 0, UIDL_2, LIST_2, "RETR 1\r\n");
	CHECK_STR(said(c, "+O"), "");
	CHECK_STR(said(c, "K\r\nSubject: x\r"), "");
	CHECK_STR(said(c, "\n\r\nbody\r\n."), "");
	CHECK_STR(said(c, "\r"), "");
	CHECK_STR(pop3_client_state_name(c), "RETR");
	CHECK_STR(said(c, "\n+OK\r\n"), "RETR 2\r\n");
	CHECK_STR(got.content[0], "Subject: x\r\n\r\nbody\r\n");
	pop3_client_free(c);
}

/* LF alone ends a line too, as many hand-written servers send; the
 * content is still handed over with CRLF line ends. */
static void test_lf_only(void)
{
	struct pop3_client *c = client(true, NULL, 0);
	CHECK_STR(said(c, "+OK hi\n"), "USER bob\r\n");
	CHECK_STR(said(c, "+OK\n"), "PASS bob123\r\n");
	CHECK_STR(said(c, "+OK\n"), "STAT\r\n");
	CHECK_STR(said(c, "+OK 1 20\n"), "UIDL\r\n");
	CHECK_STR(said(c, "+OK\n1 u1\n.\n"), "LIST\r\n");
	CHECK_STR(said(c, "+OK\n1 20\n.\n"), "RETR 1\r\n");
	CHECK_STR(said(c, "+OK\nSubject: lf\n\n..dot\nbody\n.\n"), "QUIT\r\n");
	CHECK_STR(said(c, "+OK\n"), "");
	CHECK(pop3_client_done(c));
	CHECK_INT(got.n, 1);
	CHECK_STR(got.uidl[0], "u1");
	CHECK_STR(got.content[0], "Subject: lf\r\n\r\n.dot\r\nbody\r\n");
	pop3_client_free(c);
}

static void test_teaching_notes(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	said(c, GREETING);
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "USER");
	said(c, "+OK\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "clear text");
	said(c, "+OK\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "how many messages");
	said(c, "+OK 2 116\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "unique-id");
	said(c, UIDL_2);
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "size");
	said(c, LIST_2);
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "RETR downloads the whole message");
	said(c, "+OK\r\n" MSG1 ".\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "only at QUIT");
	said(c, "+OK\r\n");
	said(c, "+OK\r\n" MSG2_STUFFED ".\r\n");
	said(c, "+OK\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "UPDATE");
	pop3_client_free(c);
}

/* ------------------------------------------------ keep mode, unique-ids */

static void test_keep_mode_deletes_nothing(void)
{
	struct pop3_client *c = listed(true, NULL, 0, UIDL_2, LIST_2, "RETR 1\r\n");
	CHECK_STR(said(c, "+OK\r\n" MSG1 ".\r\n"), "RETR 2\r\n");
	CHECK_STR(said(c, "+OK\r\n" MSG2_STUFFED ".\r\n"), "QUIT\r\n");
	CHECK_STR(said(c, "+OK bye\r\n"), "");
	CHECK(pop3_client_done(c));
	CHECK(pop3_client_error(c) == NULL);
	CHECK_INT(pop3_client_downloaded(c), 2);
	CHECK_INT(pop3_client_deleted(c), 0);
	CHECK_INT(got.n, 2);
	pop3_client_free(c);
}

/* Keep mode, three on the server, two on the device: one download. */
static void test_known_uidls_skipped(void)
{
	static const char *const known[] = {"uid-aaa", "uid-ccc"};
	struct pop3_client *c = logged_in(true, known, 2);
	CHECK_STR(said(c, "+OK 3 145\r\n"), "UIDL\r\n");
	CHECK_STR(said(c, UIDL_3), "LIST\r\n");
	CHECK_STR(said(c, LIST_3), "RETR 2\r\n");
	CHECK_STR(said(c, "+OK\r\n" MSG2_STUFFED ".\r\n"), "QUIT\r\n");
	CHECK_STR(said(c, "+OK\r\n"), "");
	CHECK(pop3_client_done(c));
	CHECK_INT(pop3_client_downloaded(c), 1);
	CHECK_INT(pop3_client_deleted(c), 0);
	CHECK_INT(got.n, 1);
	CHECK_STR(got.uidl[0], "uid-bbb");
	CHECK_STR(got.content[0], MSG2);
	pop3_client_free(c);
}

/* Delete mode: what the device has already is deleted without a RETR. */
static void test_known_uidl_deleted_in_delete_mode(void)
{
	static const char *const known[] = {"uid-aaa"};
	struct pop3_client *c = listed(false, known, 1, UIDL_2, LIST_2, "DELE 1\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "on the device already");
	CHECK_STR(said(c, "+OK\r\n"), "RETR 2\r\n");
	CHECK_STR(said(c, "+OK\r\n" MSG2_STUFFED ".\r\n"), "DELE 2\r\n");
	CHECK_STR(said(c, "+OK\r\n"), "QUIT\r\n");
	CHECK_STR(said(c, "+OK\r\n"), "");
	CHECK_INT(pop3_client_downloaded(c), 1);
	CHECK_INT(pop3_client_deleted(c), 2);
	CHECK_INT(got.n, 1);
	CHECK_STR(got.uidl[0], "uid-bbb");
	pop3_client_free(c);
}

/* A server without UIDL: every message is downloaded, known or not. */
static void test_uidl_not_supported(void)
{
	static const char *const known[] = {"uid-aaa", "uid-bbb"};
	struct pop3_client *c = logged_in(true, known, 2);
	CHECK_STR(said(c, "+OK 2 116\r\n"), "UIDL\r\n");
	CHECK_STR(said(c, "-ERR unknown command\r\n"), "LIST\r\n");
	CHECK_STR(said(c, LIST_2), "RETR 1\r\n");
	CHECK_STR(said(c, "+OK\r\n" MSG1 ".\r\n"), "RETR 2\r\n");
	CHECK_STR(said(c, "+OK\r\n" MSG2_STUFFED ".\r\n"), "QUIT\r\n");
	CHECK_STR(said(c, "+OK\r\n"), "");
	CHECK(pop3_client_error(c) == NULL); /* no UIDL is no error */
	CHECK_INT(pop3_client_downloaded(c), 2);
	CHECK_INT(got.n, 2);
	CHECK_STR(got.uidl[0], ""); /* without UIDL there is no unique-id */
	CHECK_STR(got.content[1], MSG2);
	pop3_client_free(c);
}

/* The two listings need not be in the same order; lines that are no
 * listing lines are skipped. */
static void test_listings_matched_by_number(void)
{
	static const char *const known[] = {"uid-bbb"};
	struct pop3_client *c = logged_in(true, known, 1);
	said(c, "+OK 3 145\r\n");
	CHECK_STR(said(c, "+OK\r\n3 uid-ccc\r\n2 uid-bbb\r\nnonsense\r\n1 uid-aaa\r\n"
			  "0 uid-zero\r\n.\r\n"),
		  "LIST\r\n");
	CHECK_STR(said(c, "+OK\r\n1 64\r\n2 52\r\n2x 99\r\n3 29\r\n4 many\r\n.\r\n"),
		  "RETR 1\r\n");
	CHECK_STR(said(c, "+OK\r\n" MSG1 ".\r\n"), "RETR 3\r\n");
	CHECK_STR(said(c, "+OK\r\n" MSG3 ".\r\n"), "QUIT\r\n");
	CHECK_INT(got.n, 2);
	CHECK_STR(got.uidl[0], "uid-aaa");
	CHECK_STR(got.uidl[1], "uid-ccc");
	CHECK_STR(got.content[1], MSG3);
	pop3_client_free(c);
}

/* A listing line with a NUL inside is no listing line. */
static void test_nul_in_listing(void)
{
	struct pop3_client *c = logged_in(true, NULL, 0);
	said(c, "+OK 1 10\r\n");
	const char uidl[] = "+OK\r\n1 uid\0junk\r\n.\r\n";
	wire_clear(&said_wire);
	pop3_client_feed(c, uidl, sizeof uidl - 1, &said_wire);
	CHECK_STR(said_wire.data.p, "LIST\r\n");
	CHECK_STR(said(c, "+OK\r\n1 10\r\n.\r\n"), "RETR 1\r\n");
	CHECK_STR(said(c, "+OK\r\nhi\r\n.\r\n"), "QUIT\r\n");
	CHECK_STR(got.uidl[0], ""); /* message 1 has no unique-id */
	pop3_client_free(c);
}

static void test_empty_maildrop(void)
{
	struct pop3_client *c = logged_in(false, NULL, 0);
	CHECK_STR(said(c, "+OK 0 0\r\n"), "UIDL\r\n");
	CHECK_STR(said(c, "+OK\r\n.\r\n"), "LIST\r\n");
	CHECK_STR(said(c, "+OK 0 messages\r\n.\r\n"), "QUIT\r\n");
	CHECK_STR(said(c, "+OK\r\n"), "");
	CHECK(pop3_client_done(c));
	CHECK(pop3_client_error(c) == NULL);
	CHECK_INT(pop3_client_downloaded(c), 0);
	CHECK_INT(got.n, 0);
	pop3_client_free(c);
}

/* ------------------------------------------------------------ refusals */

static void test_wrong_password(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	said(c, GREETING);
	said(c, "+OK\r\n");
	CHECK_STR(said(c, "-ERR [AUTH] invalid password\r\n"), "QUIT\r\n");
	CHECK_STR(pop3_client_error(c), "-ERR [AUTH] invalid password");
	CHECK(!pop3_client_done(c));
	CHECK_STR(said(c, "+OK bye\r\n"), "");
	CHECK(pop3_client_done(c));
	CHECK_STR(pop3_client_error(c), "-ERR [AUTH] invalid password");
	CHECK_INT(pop3_client_downloaded(c), 0);
	pop3_client_free(c);
}

/* The server closes after a wrong password: the cause is what is shown. */
static void test_wrong_password_then_close(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	said(c, GREETING);
	said(c, "+OK\r\n");
	said(c, "-ERR [AUTH] invalid password\r\n");
	pop3_client_abort(c, "connection closed");
	CHECK(pop3_client_done(c));
	CHECK_STR(pop3_client_error(c), "-ERR [AUTH] invalid password");
	pop3_client_free(c);
}

static void test_user_refused(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	said(c, GREETING);
	CHECK_STR(said(c, "-ERR no such mailbox\r\n"), "QUIT\r\n");
	CHECK_STR(pop3_client_error(c), "-ERR no such mailbox");
	pop3_client_free(c);
}

static void test_maildrop_in_use(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	said(c, GREETING);
	said(c, "+OK\r\n");
	CHECK_STR(said(c, "-ERR [IN-USE] maildrop already locked\r\n"), "QUIT\r\n");
	CHECK_STR(pop3_client_error(c), "-ERR [IN-USE] maildrop already locked");
	CHECK_STR(said(c, "+OK\r\n"), "");
	CHECK(pop3_client_done(c));
	pop3_client_free(c);
}

static void test_greeting_err(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	CHECK_STR(said(c, "-ERR [SYS/TEMP] server busy\r\n"), "");
	CHECK(pop3_client_done(c));
	CHECK_STR(pop3_client_error(c), "-ERR [SYS/TEMP] server busy");
	pop3_client_free(c);
}

static void test_stat_and_list_refused(void)
{
	struct pop3_client *c = logged_in(false, NULL, 0);
	CHECK_STR(said(c, "-ERR [SYS/TEMP] maildrop unreadable\r\n"), "QUIT\r\n");
	CHECK_STR(pop3_client_error(c), "-ERR [SYS/TEMP] maildrop unreadable");
	pop3_client_free(c);

	c = logged_in(false, NULL, 0);
	said(c, "+OK 2 116\r\n");
	said(c, UIDL_2);
	CHECK_STR(said(c, "-ERR no listing today\r\n"), "QUIT\r\n");
	CHECK_STR(pop3_client_error(c), "-ERR no listing today");
	pop3_client_free(c);
}

/* A -ERR to RETR is one line (no "." follows); the client notes it, does
 * not delete what it does not have, and goes on. */
static void test_retr_err_continues(void)
{
	struct pop3_client *c = listed(false, NULL, 0, UIDL_2, LIST_2, "RETR 1\r\n");
	CHECK_STR(said(c, "-ERR message 1 is gone\r\n"), "RETR 2\r\n");
	CHECK_STR(said(c, "+OK\r\n" MSG2_STUFFED ".\r\n"), "DELE 2\r\n");
	CHECK_STR(said(c, "+OK\r\n"), "QUIT\r\n");
	CHECK_STR(said(c, "+OK\r\n"), "");
	CHECK(pop3_client_done(c));
	CHECK_STR(pop3_client_error(c), "-ERR message 1 is gone");
	CHECK_INT(pop3_client_downloaded(c), 1);
	CHECK_INT(pop3_client_deleted(c), 1);
	CHECK_INT(got.n, 1);
	CHECK_STR(got.uidl[0], "uid-bbb");
	pop3_client_free(c);
}

static void test_dele_err_continues(void)
{
	struct pop3_client *c = listed(false, NULL, 0, UIDL_2, LIST_2, "RETR 1\r\n");
	said(c, "+OK\r\n" MSG1 ".\r\n");
	CHECK_STR(said(c, "-ERR message 1 already deleted\r\n"), "RETR 2\r\n");
	said(c, "+OK\r\n" MSG2_STUFFED ".\r\n");
	CHECK_STR(said(c, "+OK\r\n"), "QUIT\r\n");
	said(c, "+OK\r\n");
	CHECK_STR(pop3_client_error(c), "-ERR message 1 already deleted");
	CHECK_INT(pop3_client_downloaded(c), 2);
	CHECK_INT(pop3_client_deleted(c), 1);
	pop3_client_free(c);
}

/* The UPDATE failed: nothing was deleted, but the downloads stand. */
static void test_quit_err(void)
{
	struct pop3_client *c = listed(false, NULL, 0, UIDL_2, LIST_2, "RETR 1\r\n");
	said(c, "+OK\r\n" MSG1 ".\r\n");
	said(c, "+OK\r\n");
	said(c, "+OK\r\n" MSG2_STUFFED ".\r\n");
	CHECK_STR(said(c, "+OK\r\n"), "QUIT\r\n");
	CHECK_STR(said(c, "-ERR [SYS/TEMP] some deleted messages not removed\r\n"), "");
	CHECK(pop3_client_done(c));
	CHECK_STR(pop3_client_error(c), "-ERR [SYS/TEMP] some deleted messages not removed");
	CHECK_INT(pop3_client_downloaded(c), 2);
	CHECK_INT(pop3_client_deleted(c), 0);
	pop3_client_free(c);
}

/* ------------------------------------------------------- dot-stuffing */

/* What got() receives for this RETR answer body (stuffed, without "."). */
static const char *unstuffed(const char *wire_body)
{
	struct pop3_client *c = listed(true, NULL, 0, "+OK\r\n1 u\r\n.\r\n",
				       "+OK\r\n1 10\r\n.\r\n", "RETR 1\r\n");
	said(c, "+OK\r\n");
	said(c, wire_body);
	CHECK_STR(said(c, ".\r\n"), "QUIT\r\n");
	pop3_client_free(c);
	CHECK_INT(got.n, 1);
	return got.n == 1 ? got.content[0] : "";
}

static void test_dot_stuffing(void)
{
	CHECK_STR(unstuffed("..x\r\n"), ".x\r\n");
	CHECK_STR(unstuffed("...\r\n"), "..\r\n");
	CHECK_STR(unstuffed("..\r\n"), ".\r\n");
	CHECK_STR(unstuffed("a.b.\r\n"), "a.b.\r\n");
	CHECK_STR(unstuffed("x\r\n..\r\ny\r\n"), "x\r\n.\r\ny\r\n");
	CHECK_STR(unstuffed(" .\r\n"), " .\r\n");
	CHECK_STR(unstuffed(""), "");
	CHECK_STR(unstuffed("\r\n\r\n"), "\r\n\r\n");
	/* a bare CR inside a line is content, not a line end */
	CHECK_STR(unstuffed("a\rb\r\n"), "a\rb\r\n");
}

/* Binary bytes, NUL included, reach got() whole. */
static void test_nul_in_content(void)
{
	struct pop3_client *c = listed(true, NULL, 0, "+OK\r\n1 u\r\n.\r\n",
				       "+OK\r\n1 10\r\n.\r\n", "RETR 1\r\n");
	const char body[] = "+OK\r\na\0b\r\n.\r\n";
	wire_clear(&said_wire);
	pop3_client_feed(c, body, sizeof body - 1, &said_wire);
	CHECK_STR(said_wire.data.p, "QUIT\r\n");
	CHECK_INT(got.len[0], 5);
	CHECK(memcmp(got.content[0], "a\0b\r\n", 5) == 0);
	pop3_client_free(c);
}

/* ----------------------------------------------------------- abort */

static void test_abort_mid_session_deletes_nothing(void)
{
	struct pop3_client *c = listed(false, NULL, 0, UIDL_2, LIST_2, "RETR 1\r\n");
	said(c, "+OK\r\n" MSG1 ".\r\n");
	said(c, "+OK\r\n"); /* DELE 1 accepted; RETR 2 sent */
	said(c, "+OK\r\nSubject: half a mess");
	pop3_client_abort(c, "connection reset by peer");
	CHECK(pop3_client_done(c));
	CHECK_STR(pop3_client_state_name(c), "DONE");
	CHECK_STR(pop3_client_error(c), "connection reset by peer");
	CHECK_INT(pop3_client_downloaded(c), 1);
	CHECK_INT(pop3_client_deleted(c), 0); /* no QUIT, no UPDATE */
	CHECK_INT(got.n, 1);
	CHECK_STR(said(c, "age\r\n.\r\n"), "");
	pop3_client_abort(c, "again");
	CHECK_STR(pop3_client_error(c), "connection reset by peer");
	CHECK_INT(got.n, 1);
	pop3_client_free(c);
}

static void test_abort_before_greeting(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	pop3_client_abort(c, "connect to pop.gmail.com: connection refused");
	CHECK(pop3_client_done(c));
	CHECK_STR(pop3_client_error(c), "connect to pop.gmail.com: connection refused");
	pop3_client_free(c);

	c = client(false, NULL, 0);
	pop3_client_abort(c, NULL);
	CHECK_STR(pop3_client_error(c), "connection lost");
	pop3_client_free(c);
}

/* ------------------------------------------------------- bad servers */

static void test_garbage_greeting(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	CHECK_STR(said(c, "220 mx.gmail.com ESMTP\r\n"), "");
	CHECK(pop3_client_done(c));
	CHECK_CONTAINS(pop3_client_error(c), "protocol error");
	CHECK_CONTAINS(pop3_client_error(c), "220 mx.gmail.com ESMTP");
	CHECK_STR(said(c, "+OK\r\n"), "");
	pop3_client_free(c);
}

/* Garbage after DELEs: the client leaves without QUIT, so nothing the
 * confused session marked is deleted. */
static void test_garbage_mid_session(void)
{
	struct pop3_client *c = listed(false, NULL, 0, UIDL_2, LIST_2, "RETR 1\r\n");
	said(c, "+OK\r\n" MSG1 ".\r\n");
	CHECK_STR(said(c, "HTTP/1.1 400 Bad Request\r\n<html>\r\n"), "");
	CHECK(pop3_client_done(c));
	CHECK_CONTAINS(pop3_client_error(c), "HTTP/1.1 400 Bad Request");
	CHECK_INT(pop3_client_deleted(c), 0);
	pop3_client_free(c);
}

static void test_garbage_shapes(void)
{
	static const char *const bad[] = {
		"\r\n",        /* empty line */
		"OK\r\n",      /* no "+" */
		"+OKAY\r\n",   /* not "+OK" and a space */
		"-ERROR\r\n",
		"+ok\r\n",     /* status indicators are upper case (RFC 1939 3) */
		"* OK IMAP4rev1 ready\r\n",
		".\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct pop3_client *c = client(false, NULL, 0);
		said(c, GREETING);
		CHECK_STR(said(c, bad[i]), "");
		CHECK(pop3_client_done(c));
		CHECK_CONTAINS(pop3_client_error(c), "protocol error");
		pop3_client_free(c);
	}
	/* a bare "+OK" or "-ERR", with nothing after, is a status line */
	struct pop3_client *c = client(false, NULL, 0);
	CHECK_STR(said(c, "+OK\r\n"), "USER bob\r\n");
	CHECK_STR(said(c, "-ERR\r\n"), "QUIT\r\n");
	CHECK_STR(pop3_client_error(c), "-ERR");
	pop3_client_free(c);
}

static void test_control_bytes_in_error(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	said(c, GREETING);
	said(c, "+OK\r\n");
	const char reply[] = "-ERR bad\0pass\x1b[2J\r\n";
	wire_clear(&said_wire);
	pop3_client_feed(c, reply, sizeof reply - 1, &said_wire);
	CHECK_STR(said_wire.data.p, "QUIT\r\n");
	CHECK_STR(pop3_client_error(c), "-ERR bad?pass?[2J");
	pop3_client_free(c);

	c = client(false, NULL, 0);
	const char junk[] = "\x1b]0;pwned\a\0\r\n";
	wire_clear(&said_wire);
	pop3_client_feed(c, junk, sizeof junk - 1, &said_wire);
	CHECK_CONTAINS(pop3_client_error(c), "\"?]0;pwned??\"");
	pop3_client_free(c);
}

static void test_overlong_status_line(void)
{
	struct pop3_client *c = client(false, NULL, 0);
	struct buf big;
	buf_init(&big);
	buf_adds(&big, "+OK ");
	for (int i = 0; i < 100000; i++)
		buf_addc(&big, 'x');
	buf_adds(&big, "\r\n");
	CHECK_STR(said(c, big.p), "USER bob\r\n");
	said(c, "+OK\r\n");
	buf_clear(&big);
	buf_adds(&big, "-ERR ");
	for (int i = 0; i < 5000; i++)
		buf_addc(&big, 'y');
	buf_adds(&big, "\r\n");
	CHECK_STR(said(c, big.p), "QUIT\r\n");
	CHECK(strncmp(pop3_client_error(c), "-ERR yyy", 8) == 0);
	CHECK(strlen(pop3_client_error(c)) <= POP3_RESPONSE_LINE_MAX_OCTETS);
	buf_free(&big);
	pop3_client_free(c);
}

/* A message with an absurdly long line is not handed over cut short, and
 * so it is not deleted either. */
static void test_overlong_content_line(void)
{
	struct pop3_client *c = listed(false, NULL, 0, UIDL_2, LIST_2, "RETR 1\r\n");
	struct buf big;
	buf_init(&big);
	buf_adds(&big, "+OK\r\nSubject: long\r\n\r\n");
	for (int i = 0; i < 200000; i++)
		buf_addc(&big, 'z');
	buf_adds(&big, "\r\n.\r\n");
	CHECK_STR(said(c, big.p), "RETR 2\r\n");
	CHECK_CONTAINS(pop3_client_error(c), "message 1 has a line longer than");
	CHECK_INT(got.n, 0);
	CHECK_STR(said(c, "+OK\r\n" MSG2_STUFFED ".\r\n"), "DELE 2\r\n");
	CHECK_INT(got.n, 1);
	buf_free(&big);
	pop3_client_free(c);
}

/* A user name or password with CR LF would smuggle commands: never sent. */
static void test_unsendable_credentials(void)
{
	struct pop3_client_config cfg = {.user = "bob\r\nDELE 1", .password = "x"};
	struct pop3_client *c = pop3_client_new(&cfg, NULL, NULL);
	CHECK_STR(said(c, GREETING), "QUIT\r\n");
	CHECK_CONTAINS(pop3_client_error(c), "cannot be sent");
	pop3_client_free(c);

	char password[300];
	memset(password, 'p', sizeof password - 1);
	password[sizeof password - 1] = '\0';
	struct pop3_client_config long_cfg = {.user = "bob", .password = password};
	c = pop3_client_new(&long_cfg, NULL, NULL);
	CHECK_STR(said(c, GREETING), "QUIT\r\n");
	CHECK_CONTAINS(pop3_client_error(c), "too long");
	pop3_client_free(c);
}

/* No got callback and no config at all: the engine still runs. */
static void test_without_callback(void)
{
	struct pop3_client *c = pop3_client_new(NULL, NULL, NULL);
	CHECK_STR(said(c, GREETING), "USER \r\n");
	said(c, "+OK\r\n");
	said(c, "+OK\r\n");
	said(c, "+OK 1 10\r\n");
	said(c, "+OK\r\n1 u\r\n.\r\n");
	CHECK_STR(said(c, "+OK\r\n1 10\r\n.\r\n"), "RETR 1\r\n");
	CHECK_STR(said(c, "+OK\r\nhi\r\n.\r\n"), "DELE 1\r\n");
	CHECK_INT(pop3_client_downloaded(c), 1);
	pop3_client_free(c);
	pop3_client_free(NULL);
}

/* ----------------------------------------------------------- raw sessions */

#define COMPLETE(cmd, s) pop3_response_complete(cmd, s, strlen(s))

static void test_response_complete_single_line(void)
{
	/* the greeting */
	CHECK_INT(COMPLETE(NULL, ""), 0);
	CHECK_INT(COMPLETE(NULL, "+OK ready"), 0);
	CHECK_INT(COMPLETE(NULL, "+OK ready\r"), 0);
	CHECK_INT(COMPLETE(NULL, "+OK ready\r\n"), 11);
	CHECK_INT(COMPLETE(NULL, "+OK ready\r\nextra"), 11);
	CHECK_INT(COMPLETE(NULL, "-ERR busy\n"), 10);
	/* one-line commands */
	CHECK_INT(COMPLETE("USER bob", "+OK\r\n"), 5);
	CHECK_INT(COMPLETE("PASS x", "-ERR [AUTH] no\r\n"), 16);
	CHECK_INT(COMPLETE("STAT", "+OK 2 320\r\n"), 11);
	CHECK_INT(COMPLETE("DELE 1", "+OK\r\n"), 5);
	CHECK_INT(COMPLETE("NOOP", "+OK\r\n"), 5);
	CHECK_INT(COMPLETE("QUIT", "+OK bye\r\n"), 9);
	CHECK_INT(COMPLETE("LIST 1", "+OK 1 120\r\n"), 11);
	CHECK_INT(COMPLETE("uidl 2", "+OK 2 uid-bbb\r\n"), 15);
	CHECK_INT(COMPLETE("LIST 1\r\n", "+OK 1 120\r\n"), 11);
}

static void test_response_complete_multi_line(void)
{
	const char *list = "+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n";
	CHECK_INT(COMPLETE("LIST", list), strlen(list));
	CHECK_INT(COMPLETE("list", list), strlen(list));
	CHECK_INT(COMPLETE("  LIST  \r\n", list), strlen(list));
	const char *uidl = "+OK\r\n1 a\r\n.\r\n";
	CHECK_INT(COMPLETE("UIDL", uidl), strlen(uidl));
	const char *capa = "+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n";
	CHECK_INT(COMPLETE("CAPA", capa), strlen(capa));
	const char *retr = "+OK 9 octets\r\n..x\r\n..\r\nabc\r\n.\r\n+OK next";
	CHECK_INT(COMPLETE("RETR 1", retr), strlen(retr) - strlen("+OK next"));
	const char *top = "+OK\r\nSubject: hi\r\n\r\n.\r\n";
	CHECK_INT(COMPLETE("Top 1 0", top), strlen(top));
	const char *empty = "+OK 0 messages\r\n.\r\n";
	CHECK_INT(COMPLETE("LIST", empty), strlen(empty));
	const char *lf = "+OK\n1 a\n.\n";
	CHECK_INT(COMPLETE("UIDL", lf), strlen(lf));
}

static void test_response_complete_partial(void)
{
	CHECK_INT(COMPLETE("LIST", "+OK 2 messages\r\n"), 0);
	CHECK_INT(COMPLETE("LIST", "+OK 2 messages\r\n1 120\r\n2 200\r\n"), 0);
	CHECK_INT(COMPLETE("LIST", "+OK 2 messages\r\n1 120\r\n2 200\r\n."), 0);
	CHECK_INT(COMPLETE("LIST", "+OK 2 messages\r\n1 120\r\n2 200\r\n.\r"), 0);
	/* ".." and ".x" are stuffed data, not the end */
	CHECK_INT(COMPLETE("RETR 1", "+OK\r\n..\r\n"), 0);
	CHECK_INT(COMPLETE("RETR 1", "+OK\r\n.x\r\n"), 0);
	CHECK_INT(COMPLETE("RETR 1", "+OK\r\n. \r\n"), 0);
}

/* A -ERR, or a line that is no status at all, is one line whatever the
 * command: a student is never left waiting. */
static void test_response_complete_err_is_one_line(void)
{
	CHECK_INT(COMPLETE("RETR 9", "-ERR no such message\r\n"), 22);
	CHECK_INT(COMPLETE("LIST", "-ERR not now\r\n"), 14);
	CHECK_INT(COMPLETE("CAPA", "-ERR\r\n"), 6);
	CHECK_INT(COMPLETE("RETR 1", "garbage\r\nmore\r\n"), 9);
	CHECK_INT(COMPLETE("RETR 1", "+OKAY\r\nmore\r\n"), 7);
}

/* ------------------------------------------------------------ STLS (RFC 2595) */

static struct pop3_client *tls_client(void)
{
	struct pop3_client_config cfg = {.user = "bob", .password = "bob123", .starttls = true};
	got_reset();
	return pop3_client_new(&cfg, got_message, &got);
}

#define CAPA_STLS "+OK Capability list follows\r\nTOP\r\nUIDL\r\nSTLS\r\n.\r\n"

/* CAPA, STLS, the handshake, then USER and PASS. */
static void test_stls_sequence(void)
{
	struct pop3_client *c = tls_client();
	CHECK_STR(said(c, GREETING), "CAPA\r\n");
	CHECK_STR(pop3_client_state_name(c), "CAPA");
	CHECK_STR(said(c, CAPA_STLS), "STLS\r\n");
	CHECK(!pop3_client_tls_pending(c));
	/* a forged line with the +OK is never read */
	CHECK_STR(said(c, "+OK Begin TLS negotiation\r\n+OK forged\r\n"), "");
	CHECK(pop3_client_tls_pending(c));
	CHECK_STR(pop3_client_state_name(c), "TLS");
	wire_clear(&said_wire);
	pop3_client_tls_started(c, &said_wire);
	CHECK_STR(said_wire.data.p, "USER bob\r\n");
	CHECK(!pop3_client_tls_pending(c));
	CHECK_STR(said(c, "+OK\r\n"), "PASS bob123\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "TLS");
	CHECK_STR(said(c, "+OK maildrop locked and ready\r\n"), "STAT\r\n");
	pop3_client_free(c);
}

/* No STLS in CAPA, a CAPA refused, or STLS refused: plaintext, as before. */
static void test_stls_opportunistic(void)
{
	struct pop3_client *c = tls_client();
	said(c, GREETING);
	CHECK_STR(said(c, "+OK\r\nUSER\r\n.\r\n"), "USER bob\r\n");
	CHECK_STR(said(c, "+OK\r\n"), "PASS bob123\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "STLS");
	pop3_client_free(c);

	c = tls_client();
	said(c, GREETING);
	CHECK_STR(said(c, "-ERR unknown command\r\n"), "USER bob\r\n");
	pop3_client_free(c);

	c = tls_client();
	said(c, GREETING);
	said(c, CAPA_STLS);
	CHECK_STR(said(c, "-ERR TLS not available\r\n"), "USER bob\r\n");
	CHECK(pop3_client_error(c) == NULL);
	pop3_client_free(c);
}

int main(void)
{
	wire_init(&said_wire);
	RUN(test_download_and_delete);
	RUN(test_responses_split_byte_by_byte);
	RUN(test_responses_in_odd_pieces);
	RUN(test_lf_only);
	RUN(test_teaching_notes);
	RUN(test_keep_mode_deletes_nothing);
	RUN(test_known_uidls_skipped);
	RUN(test_known_uidl_deleted_in_delete_mode);
	RUN(test_uidl_not_supported);
	RUN(test_listings_matched_by_number);
	RUN(test_nul_in_listing);
	RUN(test_empty_maildrop);
	RUN(test_wrong_password);
	RUN(test_wrong_password_then_close);
	RUN(test_user_refused);
	RUN(test_maildrop_in_use);
	RUN(test_greeting_err);
	RUN(test_stat_and_list_refused);
	RUN(test_retr_err_continues);
	RUN(test_dele_err_continues);
	RUN(test_quit_err);
	RUN(test_dot_stuffing);
	RUN(test_nul_in_content);
	RUN(test_abort_mid_session_deletes_nothing);
	RUN(test_abort_before_greeting);
	RUN(test_garbage_greeting);
	RUN(test_garbage_mid_session);
	RUN(test_garbage_shapes);
	RUN(test_control_bytes_in_error);
	RUN(test_overlong_status_line);
	RUN(test_overlong_content_line);
	RUN(test_unsendable_credentials);
	RUN(test_without_callback);
	RUN(test_response_complete_single_line);
	RUN(test_response_complete_multi_line);
	RUN(test_response_complete_partial);
	RUN(test_response_complete_err_is_one_line);
	RUN(test_stls_sequence);
	RUN(test_stls_opportunistic);
	got_reset();
	wire_free(&said_wire);
	return TEST_END();
}
