/*
 * test_imap_server.c - the IMAP server engine, driven as a client would.
 *
 * A fake host keeps an in-memory store (folders of messages with flags,
 * UIDs and a version counter that moves on every change) and records which
 * ops the engine called.  Several engines may share one store: what one
 * session changes, the others must report as EXISTS, EXPUNGE and FETCH.
 * Each test says some lines and checks the exact responses.
 */
#include "fake_imap.h"
#include "imap.h"
#include "test.h"

#include <stdlib.h>

/* ------------------------------------------------------------ the fake host (fake_imap.h) */

#define MSG_HELLO                                                                    \
	"From: Alice <alice@example.org>\r\n"                                        \
	"To: bob@example.org\r\n"                                                    \
	"Subject: Hello\r\n"                                                         \
	"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"                                   \
	"Message-ID: <1@example.org>\r\n"                                            \
	"\r\n"                                                                       \
	"Hi Bob, see you at noon.\r\n"

#define MSG_MULTI                                                                    \
	"From: Carol <carol@example.org>\r\n"                                        \
	"To: bob@example.org\r\n"                                                    \
	"Cc: dave@example.org\r\n"                                                   \
	"Subject: Report\r\n"                                                        \
	"Date: Tue, 8 Feb 1994 10:00:00 +0000\r\n"                                   \
	"MIME-Version: 1.0\r\n"                                                      \
	"Content-Type: multipart/mixed; boundary=\"xyz\"\r\n"                        \
	"\r\n"                                                                       \
	"--xyz\r\n"                                                                  \
	"Content-Type: text/plain; charset=us-ascii\r\n"                             \
	"\r\n"                                                                       \
	"The report is attached.\r\n"                                                \
	"--xyz\r\n"                                                                  \
	"Content-Type: text/csv\r\n"                                                 \
	"Content-Transfer-Encoding: base64\r\n"                                      \
	"\r\n"                                                                       \
	"YSxiCjEsMgo=\r\n"                                                           \
	"--xyz--\r\n"

#define MSG_LUNCH                                                                    \
	"From: Carol <carol@example.org>\r\n"                                        \
	"To: bob@example.org\r\n"                                                    \
	"Subject: Lunch tomorrow\r\n"                                                \
	"Date: Wed, 9 Feb 1994 12:00:00 +0000\r\n"                                   \
	"\r\n"                                                                       \
	"Pizza?\r\n"

/*
 * The store every test starts from:
 *   INBOX (UIDVALIDITY 1000): 1 Hello (\Seen), 2 Report (multipart,
 *         \Flagged), 3 Lunch ($Label1, \Recent)
 *   Sent (\Sent), Trash (\Trash), Work with child Work/2024
 */
static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof *f);
	struct fake_folder *inbox = fake_add_folder(f, "INBOX", "", 1000);
	fake_add_folder(f, "Sent", "\\Sent", 1001);
	fake_add_folder(f, "Trash", "\\Trash", 1002);
	fake_add_folder(f, "Work", "", 1003);
	fake_add_folder(f, "Work/2024", "", 1004)->subscribed = false;
	fake_add_msg(f, inbox, MSG_HELLO, strlen(MSG_HELLO), IMAP_FLAG_SEEN, "", DAY_1994_02_09);
	fake_add_msg(f, inbox, MSG_MULTI, strlen(MSG_MULTI), IMAP_FLAG_FLAGGED, "",
		     DAY_1994_02_09 + DAY_SECONDS);
	fake_add_msg(f, inbox, MSG_LUNCH, strlen(MSG_LUNCH), IMAP_FLAG_RECENT, "$Label1",
		     DAY_1994_02_09 + 2 * DAY_SECONDS);
}


/* ------------------------------------------------------------ sessions */

struct session {
	struct imap_server *s;
	struct wire out;
};

static void session_open_config(struct session *t, struct fake *f,
				const struct imap_server_config *cfg)
{
	t->s = imap_server_new(cfg, &fake_ops, f);
	wire_init(&t->out);
	imap_server_start(t->s, &t->out);
}

static void session_open(struct session *t, struct fake *f)
{
	static const struct imap_server_config cfg = {.hostname = "mail.example.org"};
	session_open_config(t, f, &cfg);
}

static void session_close(struct session *t)
{
	imap_server_free(t->s);
	wire_free(&t->out);
}

/* Send bytes; the responses (valid until the next call). */
static const char *say_n(struct session *t, const char *text, size_t n)
{
	wire_clear(&t->out);
	imap_server_feed(t->s, text, n, &t->out);
	return t->out.data.p ? t->out.data.p : "";
}

static const char *say(struct session *t, const char *text)
{
	return say_n(t, text, strlen(text));
}

/* A session logged in as bob, with INBOX selected (if select). */
static void session_ready(struct session *t, struct fake *f, bool select)
{
	session_open(t, f);
	say(t, "l LOGIN bob secret\r\n");
	if (select)
		say(t, "s SELECT INBOX\r\n");
}

/* ------------------------------------------------------------ tests */

static void test_greeting_and_any_state(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_open(&t, &f);
	CHECK_STR(t.out.data.p,
		  "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ENABLE IDLE NAMESPACE UIDPLUS MOVE "
		  "UNSELECT SPECIAL-USE AUTH=PLAIN] mail.example.org IMAP4rev1 server ready\r\n");
	CHECK(wire_note_at(&t.out, 0) != NULL);
	CHECK_STR(imap_server_state_name(t.s), "NOT_AUTHENTICATED");
	CHECK_STR(say(&t, "a1 CAPABILITY\r\n"),
		  "* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ENABLE IDLE NAMESPACE UIDPLUS MOVE "
		  "UNSELECT SPECIAL-USE AUTH=PLAIN\r\n"
		  "a1 OK CAPABILITY completed\r\n");
	CHECK_STR(say(&t, "a2 noop\r\n"), "a2 OK NOOP completed\r\n");
	CHECK_STR(say(&t, "a3 LOGOUT\r\n"),
		  "* BYE mail.example.org IMAP4rev1 server logging out\r\n"
		  "a3 OK LOGOUT completed\r\n");
	CHECK(imap_server_closed(t.s));
	CHECK_STR(imap_server_state_name(t.s), "LOGOUT");
	/* after LOGOUT nothing more is read */
	CHECK_STR(say(&t, "a4 NOOP\r\n"), "");
	session_close(&t);
	fake_free(&f);
}

static void test_state_errors(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_open(&t, &f);
	static const char *const need_login[] = {
		"SELECT INBOX", "EXAMINE INBOX", "CREATE x", "DELETE x", "RENAME x y",
		"SUBSCRIBE x", "UNSUBSCRIBE x", "LIST \"\" *", "LSUB \"\" *",
		"STATUS INBOX (MESSAGES)", "APPEND INBOX {1+}\r\nx", "IDLE", "NAMESPACE",
		"ENABLE UTF8=ACCEPT", "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH ALL",
		"FETCH 1 FLAGS", "STORE 1 +FLAGS \\Seen", "COPY 1 Trash", "MOVE 1 Trash",
		"UID FETCH 1 FLAGS", "UID SEARCH ALL", "UID EXPUNGE 1",
	};
	for (size_t i = 0; i < sizeof need_login / sizeof need_login[0]; i++) {
		char line[128];
		snprintf(line, sizeof line, "x%zu %s\r\n", i, need_login[i]);
		char want[128];
		snprintf(want, sizeof want, "x%zu BAD command not valid in this state\r\n", i);
		CHECK_STR(say(&t, line), want);
	}
	CHECK_STR(say(&t, "b1 LOGIN bob secret\r\n"), "b1 OK LOGIN completed\r\n");
	CHECK_STR(imap_server_state_name(t.s), "AUTHENTICATED");
	CHECK_STR(say(&t, "b2 LOGIN bob secret\r\n"), "b2 BAD command not valid in this state\r\n");
	CHECK_STR(say(&t, "b3 AUTHENTICATE PLAIN\r\n"),
		  "b3 BAD command not valid in this state\r\n");
	static const char *const need_select[] = {
		"CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH ALL", "FETCH 1 FLAGS",
		"STORE 1 FLAGS ()", "COPY 1 Trash", "MOVE 1 Trash", "UID STORE 1 FLAGS ()",
		"UID COPY 1 Trash", "UID MOVE 1 Trash", "UID EXPUNGE 1",
	};
	for (size_t i = 0; i < sizeof need_select / sizeof need_select[0]; i++) {
		char line[128];
		snprintf(line, sizeof line, "y%zu %s\r\n", i, need_select[i]);
		char want[128];
		snprintf(want, sizeof want, "y%zu BAD command not valid in this state\r\n", i);
		CHECK_STR(say(&t, line), want);
	}
	say(&t, "b4 SELECT INBOX\r\n");
	CHECK_STR(say(&t, "b5 ENABLE CONDSTORE\r\n"), "b5 BAD command not valid in this state\r\n");
	CHECK_STR(say(&t, "b5a LOGIN bob secret\r\n"), "b5a BAD command not valid in this state\r\n");
	CHECK_STR(say(&t, "b5b AUTHENTICATE PLAIN =\r\n"),
		  "b5b BAD command not valid in this state\r\n");
	CHECK_STR(imap_server_state_name(t.s), "SELECTED");
	CHECK_STR(say(&t, "b6 FROB\r\n"), "b6 BAD Unknown command\r\n");
	CHECK_STR(say(&t, "b7 UID SELECT INBOX\r\n"), "b7 BAD Invalid UID command\r\n");
	CHECK_STR(say(&t, "b8 SELECT\r\n"), "b8 BAD Syntax: SELECT mailbox\r\n");
	CHECK_STR(say(&t, "b9 NOOP extra\r\n"), "b9 BAD Syntax: NOOP\r\n");
	session_close(&t);
	fake_free(&f);
}

static void test_login(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_open(&t, &f);
	CHECK_STR(say(&t, "a1 LOGIN bob wrong\r\n"),
		  "a1 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n");
	CHECK(imap_server_user(t.s) == NULL);
	CHECK_STR(say(&t, "a2 LOGIN bob\r\n"), "a2 BAD Syntax: LOGIN user password\r\n");
	/* a quoted user and a literal password */
	CHECK_STR(say(&t, "a3 LOGIN \"bob\" {6}\r\n"), "+ Ready for literal data\r\n");
	CHECK_STR(say(&t, "secret\r\n"), "a3 OK LOGIN completed\r\n");
	CHECK_STR(imap_server_user(t.s), "bob");
	session_close(&t);
	fake_free(&f);
}

static void test_authenticate(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_open(&t, &f);
	/* "\0bob\0secret" and "\0bob\0nope" */
	CHECK_STR(say(&t, "a1 AUTHENTICATE PLAIN AGJvYgBub3Bl\r\n"),
		  "a1 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n");
	CHECK_STR(say(&t, "a2 AUTHENTICATE CRAM-MD5\r\n"),
		  "a2 NO Unsupported authentication mechanism\r\n");
	CHECK_STR(say(&t, "a3 AUTHENTICATE PLAIN\r\n"), "+ \r\n");
	CHECK_STR(imap_server_state_name(t.s), "AUTHENTICATE");
	CHECK_STR(say(&t, "*\r\n"), "a3 BAD AUTHENTICATE cancelled\r\n");
	CHECK_STR(say(&t, "a4 AUTHENTICATE PLAIN\r\n"), "+ \r\n");
	CHECK_STR(say(&t, "not base64!\r\n"), "a4 BAD Invalid base64 data\r\n");
	CHECK_STR(imap_server_state_name(t.s), "NOT_AUTHENTICATED");
	CHECK_STR(say(&t, "a5 AUTHENTICATE PLAIN\r\n"), "+ \r\n");
	CHECK_STR(say(&t, "AGJvYgBzZWNyZXQ=\r\n"), "a5 OK AUTHENTICATE completed\r\n");
	CHECK_STR(imap_server_state_name(t.s), "AUTHENTICATED");
	session_close(&t);

	session_open(&t, &f);
	CHECK_STR(say(&t, "b1 AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=\r\n"),
		  "b1 OK AUTHENTICATE completed\r\n");
	CHECK_STR(imap_server_user(t.s), "bob");
	session_close(&t);
	fake_free(&f);
}

static void test_select_examine(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, false);
	CHECK_STR(say(&t, "a1 SELECT inbox\r\n"),
		  "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)\r\n"
		  "* 3 EXISTS\r\n"
		  "* 1 RECENT\r\n"
		  "* OK [UNSEEN 2] Message 2 is first unseen\r\n"
		  "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1 \\*)] "
		  "Flags permitted\r\n"
		  "* OK [UIDVALIDITY 1000] UIDs valid\r\n"
		  "* OK [UIDNEXT 4] Predicted next UID\r\n"
		  "a1 OK [READ-WRITE] SELECT completed\r\n");
	CHECK_STR(imap_server_selected(t.s), "INBOX");
	CHECK_STR(imap_server_state_name(t.s), "SELECTED");
	CHECK_STR(say(&t, "a2 EXAMINE Sent\r\n"),
		  "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
		  "* 0 EXISTS\r\n"
		  "* 0 RECENT\r\n"
		  "* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n"
		  "* OK [UIDVALIDITY 1001] UIDs valid\r\n"
		  "* OK [UIDNEXT 1] Predicted next UID\r\n"
		  "a2 OK [READ-ONLY] EXAMINE completed\r\n");
	CHECK_STR(say(&t, "a3 STORE 1 +FLAGS \\Seen\r\n"),
		  "a3 BAD Invalid message sequence number\r\n");
	/* a failed SELECT leaves no folder selected */
	CHECK_STR(say(&t, "a4 SELECT Nowhere\r\n"),
		  "a4 NO [NONEXISTENT] Mailbox doesn't exist\r\n");
	CHECK(imap_server_selected(t.s) == NULL);
	CHECK_STR(imap_server_state_name(t.s), "AUTHENTICATED");
	CHECK_STR(say(&t, "a5 FETCH 1 FLAGS\r\n"), "a5 BAD command not valid in this state\r\n");
	/* EXAMINE: read-only, so STORE and EXPUNGE say NO, BODY[] sets no \Seen */
	say(&t, "a6 EXAMINE INBOX\r\n");
	CHECK_STR(say(&t, "a7 STORE 2 +FLAGS (\\Seen)\r\n"),
		  "a7 NO [READ-ONLY] Mailbox is read-only\r\n");
	CHECK_STR(say(&t, "a8 EXPUNGE\r\n"), "a8 NO [READ-ONLY] Mailbox is read-only\r\n");
	CHECK_STR(say(&t, "a9 FETCH 3 BODY[TEXT]\r\n"),
		  "* 3 FETCH (BODY[TEXT] {8}\r\nPizza?\r\n)\r\na9 OK FETCH completed\r\n");
	CHECK_INT(f.nset_flags, 0);
	session_close(&t);
	fake_free(&f);
}

static void test_list_lsub(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, false);
	CHECK_STR(say(&t, "a1 LIST \"\" \"\"\r\n"),
		  "* LIST (\\Noselect) \"/\" \"\"\r\na1 OK LIST completed\r\n");
	CHECK_STR(say(&t, "a2 LIST \"\" *\r\n"),
		  "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n"
		  "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent\"\r\n"
		  "* LIST (\\HasNoChildren \\Trash) \"/\" \"Trash\"\r\n"
		  "* LIST (\\HasChildren) \"/\" \"Work\"\r\n"
		  "* LIST (\\HasNoChildren) \"/\" \"Work/2024\"\r\n"
		  "a2 OK LIST completed\r\n");
	CHECK_STR(say(&t, "a3 LIST \"\" %\r\n"),
		  "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n"
		  "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent\"\r\n"
		  "* LIST (\\HasNoChildren \\Trash) \"/\" \"Trash\"\r\n"
		  "* LIST (\\HasChildren) \"/\" \"Work\"\r\n"
		  "a3 OK LIST completed\r\n");
	CHECK_STR(say(&t, "a4 LIST Work/ %\r\n"),
		  "* LIST (\\HasNoChildren) \"/\" \"Work/2024\"\r\n"
		  "a4 OK LIST completed\r\n");
	CHECK_STR(say(&t, "a5 LIST \"\" inbox\r\n"),
		  "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n"
		  "a5 OK LIST completed\r\n");
	/* INBOX in any case, also when a wildcard stops inside it (RFC 3501 5.1) */
	CHECK_STR(say(&t, "a5a LIST \"\" \"In%\"\r\n"),
		  "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n"
		  "a5a OK LIST completed\r\n");
	CHECK_STR(say(&t, "a5b LIST \"\" \"%b%x\"\r\n"),
		  "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n"
		  "a5b OK LIST completed\r\n");
	CHECK_STR(say(&t, "a5c LIST \"\" \"w%\"\r\n"), "a5c OK LIST completed\r\n");
	CHECK_STR(say(&t, "a6 LIST \"\" T*h\r\n"),
		  "* LIST (\\HasNoChildren \\Trash) \"/\" \"Trash\"\r\n"
		  "a6 OK LIST completed\r\n");
	CHECK_STR(say(&t, "a7 LIST \"\" sent\r\n"),
		  "a7 OK LIST completed\r\n"); /* case-sensitive */
	CHECK_STR(say(&t, "a8 LSUB \"\" Work*\r\n"),
		  "* LSUB (\\HasChildren) \"/\" \"Work\"\r\n"
		  "a8 OK LSUB completed\r\n");
	CHECK_STR(say(&t, "a9 SUBSCRIBE Work/2024\r\n"), "a9 OK SUBSCRIBE completed\r\n");
	CHECK_STR(say(&t, "a10 UNSUBSCRIBE Work\r\n"), "a10 OK UNSUBSCRIBE completed\r\n");
	CHECK_STR(say(&t, "a11 LSUB \"\" Work*\r\n"),
		  "* LSUB (\\HasNoChildren) \"/\" \"Work/2024\"\r\n"
		  "a11 OK LSUB completed\r\n");
	CHECK_STR(say(&t, "a12 SUBSCRIBE Nowhere\r\n"),
		  "a12 NO [NONEXISTENT] Mailbox doesn't exist\r\n");
	/* the extended form clients use with SPECIAL-USE (RFC 6154 5.1, RFC 5258) */
	CHECK_STR(say(&t, "b1 LIST (SPECIAL-USE) \"\" *\r\n"),
		  "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent\"\r\n"
		  "* LIST (\\HasNoChildren \\Trash) \"/\" \"Trash\"\r\n"
		  "b1 OK LIST completed\r\n");
	CHECK_STR(say(&t, "b2 LIST \"\" \"T%\" RETURN (SPECIAL-USE SUBSCRIBED)\r\n"),
		  "* LIST (\\HasNoChildren \\Trash \\Subscribed) \"/\" \"Trash\"\r\n"
		  "b2 OK LIST completed\r\n");
	CHECK_STR(say(&t, "b3 LIST (FROB) \"\" *\r\n"),
		  "b3 BAD Syntax: LIST reference mailbox-pattern\r\n");
	CHECK_STR(say(&t, "a13 LIST \"\"\r\n"),
		  "a13 BAD Syntax: LIST reference mailbox-pattern\r\n");
	session_close(&t);
	fake_free(&f);
}

/*
 * The hierarchy (RFC 3501 6.3.4, 6.3.6, 6.3.8, 6.3.9): a deleted folder
 * with inferiors stays as a \Noselect name that "%" stops at; a
 * subscription outlives its folder and can still be removed; LSUB's "%"
 * shows the \Noselect parents of subscribed names.
 */
static void test_hierarchy_noselect(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, false);
	CHECK_STR(say(&t, "a1 DELETE Work\r\n"), "a1 OK DELETE completed\r\n");
	CHECK_STR(say(&t, "a2 LIST \"\" %\r\n"),
		  "* LIST (\\HasNoChildren) \"/\" \"INBOX\"\r\n"
		  "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent\"\r\n"
		  "* LIST (\\HasNoChildren \\Trash) \"/\" \"Trash\"\r\n"
		  "* LIST (\\Noselect \\HasChildren) \"/\" \"Work\"\r\n"
		  "a2 OK LIST completed\r\n");
	/* the \Noselect name is still a name (6.3.4): "*" matches it too,
	 * before its inferior (as Dovecot lists it) */
	CHECK_STR(say(&t, "a3 LIST \"\" W*\r\n"),
		  "* LIST (\\Noselect \\HasChildren) \"/\" \"Work\"\r\n"
		  "* LIST (\\HasNoChildren) \"/\" \"Work/2024\"\r\n"
		  "a3 OK LIST completed\r\n");
	CHECK_STR(say(&t, "a4 LIST \"\" Work\r\n"),
		  "* LIST (\\Noselect \\HasChildren) \"/\" \"Work\"\r\n"
		  "a4 OK LIST completed\r\n");
	CHECK_STR(say(&t, "a5 SELECT Work\r\n"), "a5 NO [NONEXISTENT] Mailbox doesn't exist\r\n");
	/* a \Noselect name with inferiors cannot be deleted (6.3.4) */
	CHECK_STR(say(&t, "a6 DELETE Work\r\n"),
		  "a6 NO [CANNOT] Name has inferior hierarchical names\r\n");
	/* Work was subscribed: DELETE did not unsubscribe it (6.3.6) */
	CHECK_STR(say(&t, "a7 LSUB \"\" *\r\n"),
		  "* LSUB (\\HasNoChildren) \"/\" \"INBOX\"\r\n"
		  "* LSUB (\\HasNoChildren \\Sent) \"/\" \"Sent\"\r\n"
		  "* LSUB (\\HasNoChildren \\Trash) \"/\" \"Trash\"\r\n"
		  "* LSUB (\\Noselect \\HasChildren) \"/\" \"Work\"\r\n"
		  "a7 OK LSUB completed\r\n");
	/* UNSUBSCRIBE of a name that is no folder works, once */
	CHECK_STR(say(&t, "a8 UNSUBSCRIBE Work\r\n"), "a8 OK UNSUBSCRIBE completed\r\n");
	CHECK_STR(say(&t, "a9 UNSUBSCRIBE Work\r\n"),
		  "a9 NO [NONEXISTENT] Mailbox doesn't exist\r\n");
	CHECK_STR(say(&t, "b1 LSUB \"\" W*\r\n"), "b1 OK LSUB completed\r\n");
	/* LSUB "%" stops at the parent of a subscribed name: \Noselect (6.3.9) */
	CHECK_STR(say(&t, "b2 SUBSCRIBE Work/2024\r\n"), "b2 OK SUBSCRIBE completed\r\n");
	CHECK_STR(say(&t, "b3 LSUB \"\" W%\r\n"),
		  "* LSUB (\\Noselect \\HasChildren) \"/\" \"Work\"\r\n"
		  "b3 OK LSUB completed\r\n");
	CHECK_STR(say(&t, "b4 LSUB \"\" W*\r\n"),
		  "* LSUB (\\HasNoChildren) \"/\" \"Work/2024\"\r\n"
		  "b4 OK LSUB completed\r\n");
	/* a folder that exists but is not subscribed is \Noselect to LSUB too */
	say(&t, "b5 CREATE Work\r\n");
	say(&t, "b6 UNSUBSCRIBE Work\r\n");
	CHECK_STR(say(&t, "b7 LSUB \"\" W%\r\n"),
		  "* LSUB (\\Noselect \\HasChildren) \"/\" \"Work\"\r\n"
		  "b7 OK LSUB completed\r\n");
	CHECK_STR(say(&t, "b8 LIST \"\" W%\r\n"),
		  "* LIST (\\HasChildren) \"/\" \"Work\"\r\n"
		  "b8 OK LIST completed\r\n");
	/* a \Noselect name without inferiors is no name at all */
	CHECK_STR(say(&t, "c1 LIST \"\" Nowhere\r\n"), "c1 OK LIST completed\r\n");
	session_close(&t);
	fake_free(&f);
}

/*
 * "*" in an empty folder (RFC 3501 9, seq-number): as a sequence number it
 * is the number of messages "in a non-empty mailbox", and a number past the
 * last message is BAD, "*" included when the folder is empty (Dovecot
 * agrees).  As a UID it is UIDNEXT's neighbour and names nothing, so UID
 * commands answer OK with no data; SEARCH's sets match nothing.
 */
static void test_star_in_empty_folder(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, false);
	say(&t, "a0 SELECT Sent\r\n");
	CHECK_STR(say(&t, "a1 FETCH 1:* FLAGS\r\n"), "a1 BAD Invalid message sequence number\r\n");
	CHECK_STR(say(&t, "a2 FETCH * FLAGS\r\n"), "a2 BAD Invalid message sequence number\r\n");
	CHECK_STR(say(&t, "a3 STORE *:1 +FLAGS (\\Seen)\r\n"),
		  "a3 BAD Invalid message sequence number\r\n");
	CHECK_STR(say(&t, "a4 COPY 1:* INBOX\r\n"), "a4 BAD Invalid message sequence number\r\n");
	CHECK_STR(say(&t, "a5 UID FETCH 1:* FLAGS\r\n"), "a5 OK FETCH completed\r\n");
	CHECK_STR(say(&t, "a6 UID STORE * +FLAGS (\\Seen)\r\n"), "a6 OK STORE completed\r\n");
	CHECK_STR(say(&t, "a7 SEARCH 1:*\r\n"), "* SEARCH\r\na7 OK SEARCH completed\r\n");
	session_close(&t);
	fake_free(&f);
}

static void test_status(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, false);
	CHECK_STR(say(&t, "a1 STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)\r\n"),
		  "* STATUS \"INBOX\" (MESSAGES 3 RECENT 1 UIDNEXT 4 UIDVALIDITY 1000 UNSEEN 2)\r\n"
		  "a1 OK STATUS completed\r\n");
	CHECK_STR(say(&t, "a2 STATUS Trash (unseen)\r\n"),
		  "* STATUS \"Trash\" (UNSEEN 0)\r\na2 OK STATUS completed\r\n");
	CHECK_STR(say(&t, "a3 STATUS Nowhere (MESSAGES)\r\n"),
		  "a3 NO [NONEXISTENT] Mailbox doesn't exist\r\n");
	CHECK_STR(say(&t, "a4 STATUS INBOX (SIZE)\r\n"), "a4 BAD Invalid status item\r\n");
	CHECK_STR(say(&t, "a5 STATUS INBOX MESSAGES\r\n"),
		  "a5 BAD Syntax: STATUS mailbox (items)\r\n");
	session_close(&t);
	fake_free(&f);
}

static void test_create_delete_rename(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, false);
	CHECK_STR(say(&t, "a1 CREATE Archive/\r\n"), "a1 OK CREATE completed\r\n");
	CHECK(fake_folder(&f, "Archive") != NULL);
	CHECK_STR(say(&t, "a2 CREATE Archive\r\n"),
		  "a2 NO [ALREADYEXISTS] Mailbox already exists\r\n");
	CHECK_STR(say(&t, "a3 CREATE inbox\r\n"), "a3 NO [ALREADYEXISTS] INBOX always exists\r\n");
	/* "" is a well-formed astring, just not a name a folder can have: NO */
	CHECK_STR(say(&t, "a3a CREATE \"\"\r\n"), "a3a NO [CANNOT] Invalid mailbox name\r\n");
	CHECK_STR(say(&t, "a3b RENAME Archive \"\"\r\n"),
		  "a3b NO [CANNOT] Invalid mailbox name\r\n");
	CHECK_STR(say(&t, "a3c SELECT \"\"\r\n"), "a3c NO [NONEXISTENT] Mailbox doesn't exist\r\n");
	/* no [TRYCREATE] for it: CREATE "" would fail */
	CHECK_STR(say(&t, "a3d APPEND \"\" {1+}\r\nx\r\n"),
		  "a3d NO [NONEXISTENT] Mailbox doesn't exist\r\n");
	say(&t, "a3e SELECT INBOX\r\n");
	CHECK_STR(say(&t, "a3f COPY 1 \"\"\r\n"), "a3f NO [NONEXISTENT] Mailbox doesn't exist\r\n");
	say(&t, "a3g UNSELECT\r\n");
	CHECK_STR(say(&t, "a4 RENAME Archive Old\r\n"), "a4 OK RENAME completed\r\n");
	CHECK_STR(say(&t, "a5 RENAME Archive Old2\r\n"),
		  "a5 NO [NONEXISTENT] Mailbox doesn't exist\r\n");
	CHECK_STR(say(&t, "a6 RENAME Old Trash\r\n"),
		  "a6 NO [ALREADYEXISTS] Mailbox already exists\r\n");
	CHECK_STR(say(&t, "a7 DELETE Old\r\n"), "a7 OK DELETE completed\r\n");
	CHECK_STR(say(&t, "a8 DELETE Old\r\n"), "a8 NO [NONEXISTENT] Mailbox doesn't exist\r\n");
	CHECK_STR(say(&t, "a9 DELETE INBOX\r\n"), "a9 NO [CANNOT] INBOX cannot be deleted\r\n");
	CHECK_STR(f.log, "create Archive|rename Archive Old|delete Old");
	/* a name with a space goes quoted, and comes back quoted */
	CHECK_STR(say(&t, "b1 CREATE \"My Stuff\"\r\n"), "b1 OK CREATE completed\r\n");
	CHECK_STR(say(&t, "b2 LIST \"\" My*\r\n"),
		  "* LIST (\\HasNoChildren) \"/\" \"My Stuff\"\r\nb2 OK LIST completed\r\n");
	session_close(&t);
	fake_free(&f);
}

static void test_append(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, false);
	/* synchronizing literal: "+" first */
	CHECK_STR(say(&t, "a1 APPEND Sent (\\Seen $Work) \"10-Feb-1994 08:00:00 +0000\" {14}\r\n"),
		  "+ Ready for literal data\r\n");
	CHECK_STR(say(&t, "Subject: x\r\n\r\n"), "");
	CHECK_STR(say(&t, "\r\n"), "a1 OK [APPENDUID 1001 1] APPEND completed\r\n");
	struct fake_folder *sent = fake_folder(&f, "Sent");
	CHECK_INT(sent->n, 1);
	CHECK_STR(sent->msgs[0].content, "Subject: x\r\n\r\n");
	CHECK_INT(sent->msgs[0].flags, IMAP_FLAG_SEEN | IMAP_FLAG_RECENT);
	CHECK_STR(sent->msgs[0].keywords, "$Work");
	CHECK_INT(sent->msgs[0].date, DAY_1994_02_09 + DAY_SECONDS - 4 * 3600);
	/* LITERAL+: no "+" at all, and no flags nor date: the host's clock */
	CHECK_STR(say(&t, "a2 APPEND Sent {14+}\r\nSubject: y\r\n\r\n\r\n"),
		  "a2 OK [APPENDUID 1001 2] APPEND completed\r\n");
	CHECK_INT(sent->msgs[1].date, fake_now(NULL));
	CHECK_INT(sent->msgs[1].flags, IMAP_FLAG_RECENT);
	CHECK_STR(say(&t, "a3 APPEND Nowhere {1+}\r\nx\r\n"),
		  "a3 NO [TRYCREATE] Mailbox doesn't exist\r\n");
	CHECK_STR(say(&t, "a4 APPEND Sent \"bad date\" {1+}\r\nx\r\n"),
		  "a4 BAD Invalid date-time\r\n");
	CHECK_STR(say(&t, "a5 APPEND Sent (\\Recent) {1+}\r\nx\r\n"),
		  "a5 BAD \\Recent flag cannot be stored\r\n");
	CHECK_STR(say(&t, "a6 APPEND Sent\r\n"),
		  "a6 BAD Syntax: APPEND mailbox [(flags)] [date-time] literal\r\n");
	/* an empty message is no message (RFC 5322 3.5 wants a header):
	 * refused, as Dovecot refuses it */
	CHECK_STR(say(&t, "a8 APPEND Sent {0+}\r\n\r\n"),
		  "a8 NO Cannot store an empty message\r\n");
	CHECK_INT(f.nappend, 3);
	/* appending to the selected folder: EXISTS before the tagged OK */
	say(&t, "s SELECT Sent\r\n");
	CHECK_STR(say(&t, "a7 APPEND Sent {1+}\r\nz\r\n"),
		  "* 3 EXISTS\r\n* 3 RECENT\r\na7 OK [APPENDUID 1001 3] APPEND completed\r\n");
	session_close(&t);
	fake_free(&f);
}

static void test_fetch(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, true);
	CHECK_STR(say(&t, "a1 FETCH 1:* (UID FLAGS)\r\n"),
		  "* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n"
		  "* 2 FETCH (UID 2 FLAGS (\\Flagged))\r\n"
		  "* 3 FETCH (UID 3 FLAGS (\\Recent $Label1))\r\n"
		  "a1 OK FETCH completed\r\n");
	CHECK(wire_note_at(&t.out, 0) != NULL);
	CHECK_INT(f.ncontent, 0); /* flags need no content */
	CHECK_STR(say(&t, "a2 FETCH 1 (INTERNALDATE RFC822.SIZE)\r\n"),
		  "* 1 FETCH (INTERNALDATE \" 9-Feb-1994 12:00:00 +0000\" RFC822.SIZE 165)\r\n"
		  "a2 OK FETCH completed\r\n");
	CHECK_STR(say(&t, "a3 FETCH 1 ENVELOPE\r\n"),
		  "* 1 FETCH (ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" \"Hello\" "
		  "((\"Alice\" NIL \"alice\" \"example.org\")) "
		  "((\"Alice\" NIL \"alice\" \"example.org\")) "
		  "((\"Alice\" NIL \"alice\" \"example.org\")) "
		  "((NIL NIL \"bob\" \"example.org\")) NIL NIL NIL \"<1@example.org>\"))\r\n"
		  "a3 OK FETCH completed\r\n");
	const char *r = say(&t, "a4 FETCH 2 BODYSTRUCTURE\r\n");
	CHECK_CONTAINS(r, "* 2 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\"");
	CHECK_CONTAINS(r, "\"MIXED\"");
	CHECK_CONTAINS(r, "a4 OK FETCH completed\r\n");
	r = say(&t, "a5 FETCH 2 BODY\r\n");
	CHECK_CONTAINS(r, "* 2 FETCH (BODY ((\"TEXT\" \"PLAIN\"");
	CHECK_STR(say(&t, "a6 FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]\r\n"),
		  "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: Hello\r\n\r\n)\r\n"
		  "a6 OK FETCH completed\r\n");
	CHECK_STR(say(&t, "a7 FETCH 1 BODY.PEEK[]<0.10>\r\n"),
		  "* 1 FETCH (BODY[]<0> {10}\r\nFrom: Alic)\r\na7 OK FETCH completed\r\n");
	CHECK_STR(say(&t, "a8 FETCH 1 BODY.PEEK[TEXT]<3.100>\r\n"),
		  "* 1 FETCH (BODY[TEXT]<3> {23}\r\nBob, see you at noon.\r\n)\r\n"
		  "a8 OK FETCH completed\r\n");
	CHECK_STR(say(&t, "a9 FETCH 2 BODY.PEEK[2]\r\n"),
		  "* 2 FETCH (BODY[2] {12}\r\nYSxiCjEsMgo=)\r\na9 OK FETCH completed\r\n");
	CHECK_INT(f.nset_flags, 0); /* PEEK marks nothing */
	/* BODY[] without PEEK sets \Seen and says so in the same response */
	CHECK_STR(say(&t, "b1 FETCH 3 BODY[TEXT]\r\n"),
		  "* 3 FETCH (BODY[TEXT] {8}\r\nPizza?\r\n FLAGS (\\Seen \\Recent $Label1))\r\n"
		  "b1 OK FETCH completed\r\n");
	CHECK_INT(f.nset_flags, 1);
	CHECK_INT(fake_folder(&f, "INBOX")->msgs[2].flags, IMAP_FLAG_SEEN | IMAP_FLAG_RECENT);
	/* already \Seen: no second set_flags, no FLAGS */
	CHECK_STR(say(&t, "b2 FETCH 3 RFC822.TEXT\r\n"),
		  "* 3 FETCH (RFC822.TEXT {8}\r\nPizza?\r\n)\r\nb2 OK FETCH completed\r\n");
	CHECK_INT(f.nset_flags, 1);
	CHECK_STR(say(&t, "b3 FETCH 3 RFC822.HEADER\r\n"),
		  "* 3 FETCH (RFC822.HEADER {119}\r\n"
		  "From: Carol <carol@example.org>\r\nTo: bob@example.org\r\n"
		  "Subject: Lunch tomorrow\r\nDate: Wed, 9 Feb 1994 12:00:00 +0000\r\n\r\n)\r\n"
		  "b3 OK FETCH completed\r\n");
	/* UID FETCH always includes UID; the other session sees nothing of it */
	CHECK_STR(say(&t, "b4 UID FETCH 2:3 FLAGS\r\n"),
		  "* 2 FETCH (UID 2 FLAGS (\\Flagged))\r\n"
		  "* 3 FETCH (UID 3 FLAGS (\\Seen \\Recent $Label1))\r\n"
		  "b4 OK FETCH completed\r\n");
	CHECK_STR(say(&t, "b5 UID FETCH 9:* UID\r\n"),
		  "* 3 FETCH (UID 3)\r\nb5 OK FETCH completed\r\n");
	CHECK_STR(say(&t, "b6 UID FETCH 7 UID\r\n"), "b6 OK FETCH completed\r\n");
	CHECK_STR(say(&t, "b7 FETCH 1 FAST\r\n"),
		  "* 1 FETCH (FLAGS (\\Seen) INTERNALDATE \" 9-Feb-1994 12:00:00 +0000\" "
		  "RFC822.SIZE 165)\r\nb7 OK FETCH completed\r\n");
	r = say(&t, "b8 FETCH 1 ALL\r\n");
	CHECK_CONTAINS(r, "RFC822.SIZE 165 ENVELOPE (\"Mon, 7 Feb");
	r = say(&t, "b9 FETCH 1 FULL\r\n");
	CHECK_CONTAINS(r, "\"<1@example.org>\") BODY (\"TEXT\" \"PLAIN\"");
	/* RFC822 is the whole message, and a reading: \Seen */
	r = say(&t, "c1 FETCH 2 RFC822\r\n");
	CHECK_CONTAINS(r, "* 2 FETCH (RFC822 {");
	CHECK_CONTAINS(r, "--xyz--\r\n FLAGS (\\Seen \\Flagged))\r\nc1 OK FETCH completed\r\n");
	/* errors */
	CHECK_STR(say(&t, "c2 FETCH 4 FLAGS\r\n"), "c2 BAD Invalid message sequence number\r\n");
	CHECK_STR(say(&t, "c3 FETCH 1 FROB\r\n"), "c3 BAD Invalid fetch attribute\r\n");
	CHECK_STR(say(&t, "c4 FETCH x FLAGS\r\n"), "c4 BAD Invalid message set\r\n");
	CHECK_STR(say(&t, "c5 FETCH 1 BODY[1]<5>\r\n"), "c5 BAD Invalid fetch attribute\r\n");
	CHECK_STR(say(&t, "c6 FETCH 1 BODY[NOPE]\r\n"), "c6 BAD Invalid fetch attribute\r\n");
	CHECK_STR(say(&t, "c7 FETCH 1\r\n"), "c7 BAD Syntax: FETCH set items\r\n");
	session_close(&t);
	fake_free(&f);
}

static void test_store(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, true);
	CHECK_STR(say(&t, "a1 STORE 1:2 +FLAGS (\\Answered)\r\n"),
		  "* 1 FETCH (FLAGS (\\Seen \\Answered))\r\n"
		  "* 2 FETCH (FLAGS (\\Answered \\Flagged))\r\n"
		  "a1 OK STORE completed\r\n");
	CHECK(wire_note_at(&t.out, 0) != NULL);
	CHECK_INT(f.nset_flags, 1);
	CHECK_INT(f.last_set_flags_n, 2);
	CHECK_STR(say(&t, "a2 STORE 1 -FLAGS \\Seen \\Answered\r\n"),
		  "* 1 FETCH (FLAGS ())\r\na2 OK STORE completed\r\n");
	CHECK_STR(say(&t, "a3 STORE 3 FLAGS ($Urgent \\Draft)\r\n"),
		  "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1 $Urgent)\r\n"
		  "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1 $Urgent "
		  "\\*)] "
		  "Flags permitted\r\n"
		  "* 3 FETCH (FLAGS (\\Draft \\Recent $Urgent))\r\na3 OK STORE completed\r\n");
	CHECK_STR(fake_folder(&f, "INBOX")->msgs[2].keywords, "$Urgent");
	CHECK_STR(say(&t, "a4 STORE 3 +FLAGS.SILENT ($Label1 $urgent)\r\n"),
		  "a4 OK STORE completed\r\n");
	CHECK_STR(fake_folder(&f, "INBOX")->msgs[2].keywords, "$Urgent $Label1");
	CHECK_STR(say(&t, "a5 UID STORE 3 -FLAGS ($URGENT)\r\n"),
		  "* 3 FETCH (UID 3 FLAGS (\\Draft \\Recent $Label1))\r\n"
		  "a5 OK STORE completed\r\n");
	/* nothing changes: no set_flags call, but the FETCH still comes */
	int before = f.nset_flags;
	CHECK_STR(say(&t, "a6 STORE 2 +FLAGS (\\Flagged)\r\n"),
		  "* 2 FETCH (FLAGS (\\Answered \\Flagged))\r\na6 OK STORE completed\r\n");
	CHECK_INT(f.nset_flags, before);
	CHECK_STR(say(&t, "a7 STORE 1 +FLAGS (\\Recent)\r\n"),
		  "a7 BAD \\Recent flag cannot be stored\r\n");
	CHECK_STR(say(&t, "a8 STORE 1 +FLAGS (\\Bogus)\r\n"), "a8 BAD Invalid system flag\r\n");
	CHECK_STR(say(&t, "a9 STORE 1 LABELS (x)\r\n"), "a9 BAD Invalid STORE data item\r\n");
	CHECK_STR(say(&t, "b1 STORE 5 +FLAGS (\\Seen)\r\n"),
		  "b1 BAD Invalid message sequence number\r\n");
	/* keywords that would not fit the message's 255 octets: NO, nothing stored */
	char cmd[320];
	snprintf(cmd, sizeof cmd, "b3 STORE 2:3 +FLAGS (\\Seen K%0250d)\r\n", 0);
	before = f.nset_flags;
	CHECK_STR(say(&t, cmd), "b3 NO Too many keywords\r\n");
	CHECK_INT(f.nset_flags, before);
	CHECK_STR(fake_folder(&f, "INBOX")->msgs[2].keywords, "$Label1");
	/* own changes are not reported again at the next NOOP */
	CHECK_STR(say(&t, "b2 NOOP\r\n"), "b2 OK NOOP completed\r\n");
	session_close(&t);
	fake_free(&f);
}

static void test_copy_move(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, true);
	CHECK_STR(say(&t, "a1 COPY 1:2 Trash\r\n"),
		  "a1 OK [COPYUID 1002 1:2 1:2] COPY completed\r\n");
	CHECK_INT(fake_folder(&f, "Trash")->n, 2);
	CHECK_STR(say(&t, "a2 UID COPY 3,1 Trash\r\n"),
		  "a2 OK [COPYUID 1002 1,3 3:4] COPY completed\r\n");
	CHECK_STR(say(&t, "a3 COPY 1 Nowhere\r\n"), "a3 NO [TRYCREATE] Mailbox doesn't exist\r\n");
	CHECK_STR(say(&t, "a4 UID COPY 50 Trash\r\n"), "a4 OK No messages copied\r\n");
	CHECK_STR(say(&t, "a5 MOVE 2 Work\r\n"),
		  "* OK [COPYUID 1003 2 1] Moved\r\n"
		  "* 2 EXPUNGE\r\n"
		  "a5 OK MOVE completed\r\n");
	CHECK_INT(fake_folder(&f, "INBOX")->n, 2);
	CHECK_STR(say(&t, "a6 UID MOVE 1:3 Trash\r\n"),
		  "* OK [COPYUID 1002 1,3 5:6] Moved\r\n"
		  "* 1 EXPUNGE\r\n"
		  "* 1 EXPUNGE\r\n"
		  "a6 OK MOVE completed\r\n");
	CHECK_STR(say(&t, "a7 NOOP\r\n"), "a7 OK NOOP completed\r\n");
	CHECK_STR(say(&t, "a8 MOVE 1 Trash\r\n"), "a8 BAD Invalid message sequence number\r\n");
	CHECK_STR(f.log, "copy INBOX->Trash 2|copy INBOX->Trash 2|move INBOX->Work 1|"
			 "move INBOX->Trash 2");
	session_close(&t);
	fake_free(&f);
}

static void fake_add_plain(struct fake *f, const char *folder, const char *subject)
{
	char msg[128];
	struct fake_folder *d = fake_folder(f, folder);
	snprintf(msg, sizeof msg, "Subject: %s\r\n\r\nbody\r\n", subject);
	if (d)
		fake_add_msg(f, d, msg, strlen(msg), 0, "", DAY_1994_02_09);
}

static void test_expunge(void)
{
	struct fake f;
	fake_init(&f);
	fake_add_plain(&f, "INBOX", "four");
	fake_add_plain(&f, "INBOX", "five");
	fake_add_plain(&f, "INBOX", "six");
	struct session t;
	session_ready(&t, &f, true);
	say(&t, "a1 STORE 2,3,5 +FLAGS.SILENT (\\Deleted)\r\n");
	CHECK_STR(say(&t, "a2 EXPUNGE\r\n"),
		  "* 2 EXPUNGE\r\n"
		  "* 2 EXPUNGE\r\n"
		  "* 3 EXPUNGE\r\n"
		  "a2 OK EXPUNGE completed\r\n");
	CHECK_STR(wire_note_at(&t.out, 0),
		  "the message is gone from the folder; every client that has it selected is told");
	CHECK_STR(f.log, "expunge INBOX 2,3,5");
	CHECK_STR(say(&t, "a3 FETCH 1:* UID\r\n"),
		  "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 4)\r\n* 3 FETCH (UID 6)\r\n"
		  "a3 OK FETCH completed\r\n");
	/* UID EXPUNGE: only the given UIDs, and only if \Deleted */
	say(&t, "a4 STORE 1:3 +FLAGS.SILENT (\\Deleted)\r\n");
	CHECK_STR(say(&t, "a5 UID EXPUNGE 4:6\r\n"),
		  "* 2 EXPUNGE\r\n* 2 EXPUNGE\r\na5 OK EXPUNGE completed\r\n");
	CHECK_STR(say(&t, "a6 FETCH 1:* UID\r\n"),
		  "* 1 FETCH (UID 1)\r\na6 OK FETCH completed\r\n");
	CHECK_STR(say(&t, "a7 EXPUNGE 1\r\n"), "a7 BAD Syntax: EXPUNGE\r\n");
	/* CLOSE expunges silently; UNSELECT would not */
	CHECK_STR(say(&t, "a8 CLOSE\r\n"), "a8 OK CLOSE completed\r\n");
	CHECK_INT(fake_folder(&f, "INBOX")->n, 0);
	CHECK(imap_server_selected(t.s) == NULL);
	session_close(&t);
	fake_free(&f);

	fake_init(&f);
	session_ready(&t, &f, true);
	say(&t, "b1 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n");
	CHECK_STR(say(&t, "b2 UNSELECT\r\n"), "b2 OK UNSELECT completed\r\n");
	CHECK_INT(fake_folder(&f, "INBOX")->n, 3);
	CHECK_STR(imap_server_state_name(t.s), "AUTHENTICATED");
	session_close(&t);
	fake_free(&f);
}

/* The UIDs a folder holds, "3,4,5" ("" if none). */
static const char *fake_uids(struct fake *f, const char *folder)
{
	static char list[256];
	list[0] = '\0';
	struct fake_folder *d = fake_folder(f, folder);
	for (size_t i = 0; d && i < d->n; i++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof list - used, "%s%u", i ? "," : "",
			 (unsigned)d->msgs[i].uid);
	}
	return list;
}

/* Two sessions on INBOX holding UIDs 1 to 6, all \Deleted but 6; b has
 * expunged the ones in `gone` (a UID set), a has not been told yet. */
static void uid_race_setup(struct fake *f, struct session *a, struct session *b,
			   const char *gone)
{
	fake_init(f);
	fake_add_plain(f, "INBOX", "four");
	fake_add_plain(f, "INBOX", "five");
	fake_add_plain(f, "INBOX", "six");
	session_ready(a, f, true);
	session_ready(b, f, true);
	say(b, "b1 STORE 1:5 +FLAGS.SILENT (\\Deleted)\r\n");
	char line[64];
	snprintf(line, sizeof line, "b2 UID EXPUNGE %s\r\n", gone);
	say(b, line);
	f->log[0] = '\0';
}

static void uid_race_done(struct fake *f, struct session *a, struct session *b)
{
	session_close(a);
	session_close(b);
	fake_free(f);
}

/*
 * Another session expunged messages that this one still numbers: a UID
 * command must name the messages the store has now (the catch-up comes
 * before the UIDs are mapped), never the neighbours that moved into the
 * old positions, and never positions past the end of the view.
 */
static void test_uid_commands_after_other_expunge(void)
{
	struct fake f;
	struct session a, b;

	/* UID EXPUNGE 2 removes UID 2, not UID 3 */
	uid_race_setup(&f, &a, &b, "1");
	CHECK_STR(say(&a, "a1 UID EXPUNGE 2\r\n"),
		  "* 1 EXPUNGE\r\n"
		  "* 1 FETCH (FLAGS (\\Flagged \\Deleted))\r\n"
		  "* 2 FETCH (FLAGS (\\Deleted \\Recent $Label1))\r\n"
		  "* 3 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 4 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 1 EXPUNGE\r\n"
		  "a1 OK EXPUNGE completed\r\n");
	CHECK_STR(f.log, "expunge INBOX 2");
	CHECK_STR(fake_uids(&f, "INBOX"), "3,4,5,6");
	uid_race_done(&f, &a, &b);

	/* the old position of UID 6 is far past the end of what is left */
	uid_race_setup(&f, &a, &b, "1:4");
	say(&b, "b3 UID STORE 6 +FLAGS.SILENT (\\Deleted)\r\n");
	CHECK_STR(say(&a, "a1 UID EXPUNGE 1:3,6\r\n"),
		  "* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n"
		  "* 1 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 2 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 2 EXPUNGE\r\n"
		  "a1 OK EXPUNGE completed\r\n");
	CHECK_STR(f.log, "expunge INBOX 6");
	CHECK_STR(fake_uids(&f, "INBOX"), "5");
	uid_race_done(&f, &a, &b);

	/* UID STORE: old UIDs name nothing, the others their own message */
	uid_race_setup(&f, &a, &b, "1:2");
	CHECK_STR(say(&a, "a1 UID STORE 1:3 +FLAGS (\\Answered)\r\n"),
		  "* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n"
		  "* 1 FETCH (FLAGS (\\Deleted \\Recent $Label1))\r\n"
		  "* 2 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 3 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 1 FETCH (UID 3 FLAGS (\\Answered \\Deleted \\Recent $Label1))\r\n"
		  "a1 OK STORE completed\r\n");
	CHECK_INT(fake_folder(&f, "INBOX")->msgs[0].flags,
		  IMAP_FLAG_ANSWERED | IMAP_FLAG_DELETED | IMAP_FLAG_RECENT);
	CHECK_INT(fake_folder(&f, "INBOX")->msgs[1].flags, IMAP_FLAG_DELETED);
	uid_race_done(&f, &a, &b);

	/* UID MOVE: only what is still there moves, and nothing else */
	uid_race_setup(&f, &a, &b, "1");
	CHECK_STR(say(&a, "a1 UID MOVE 1:2 Trash\r\n"),
		  "* 1 EXPUNGE\r\n"
		  "* 1 FETCH (FLAGS (\\Flagged \\Deleted))\r\n"
		  "* 2 FETCH (FLAGS (\\Deleted \\Recent $Label1))\r\n"
		  "* 3 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 4 FETCH (FLAGS (\\Deleted))\r\n"
		  "* OK [COPYUID 1002 2 1] Moved\r\n"
		  "* 1 EXPUNGE\r\n"
		  "a1 OK MOVE completed\r\n");
	CHECK_STR(f.log, "move INBOX->Trash 1");
	CHECK_STR(fake_uids(&f, "INBOX"), "3,4,5,6");
	CHECK_STR(say(&a, "a2 UID FETCH 1:* UID\r\n"),
		  "* 1 FETCH (UID 3)\r\n* 2 FETCH (UID 4)\r\n* 3 FETCH (UID 5)\r\n"
		  "* 4 FETCH (UID 6)\r\na2 OK FETCH completed\r\n");
	uid_race_done(&f, &a, &b);

	/* UID COPY */
	uid_race_setup(&f, &a, &b, "1,3");
	CHECK_STR(say(&a, "a1 UID COPY 1:4 Trash\r\n"),
		  "* 1 EXPUNGE\r\n"
		  "* 1 FETCH (FLAGS (\\Flagged \\Deleted))\r\n"
		  "* 2 EXPUNGE\r\n"
		  "* 2 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 3 FETCH (FLAGS (\\Deleted))\r\n"
		  "a1 OK [COPYUID 1002 2,4 1:2] COPY completed\r\n");
	CHECK_STR(f.log, "copy INBOX->Trash 2");
	uid_race_done(&f, &a, &b);

	/* UID FETCH naming an old UID and one a has not been told of yet */
	uid_race_setup(&f, &a, &b, "1");
	fake_add_plain(&f, "INBOX", "seven");
	CHECK_STR(say(&a, "a1 UID FETCH 1,2,7 (UID)\r\n"),
		  "* 1 EXPUNGE\r\n"
		  "* 1 FETCH (FLAGS (\\Flagged \\Deleted))\r\n"
		  "* 2 FETCH (FLAGS (\\Deleted \\Recent $Label1))\r\n"
		  "* 3 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 4 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 6 EXISTS\r\n"
		  "* 1 RECENT\r\n"
		  "* 1 FETCH (UID 2)\r\n"
		  "* 6 FETCH (UID 7)\r\n"
		  "a1 OK FETCH completed\r\n");
	uid_race_done(&f, &a, &b);

	/* sequence numbers are the client's: COPY 2 is still UID 2 for a,
	 * and the EXPUNGE of UID 1 is told after, before the tagged line */
	uid_race_setup(&f, &a, &b, "1");
	CHECK_STR(say(&a, "a1 COPY 2 Trash\r\n"),
		  "* 2 FETCH (FLAGS (\\Flagged \\Deleted))\r\n"
		  "* 3 FETCH (FLAGS (\\Deleted \\Recent $Label1))\r\n"
		  "* 4 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 5 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 1 EXPUNGE\r\n"
		  "a1 OK [COPYUID 1002 2 1] COPY completed\r\n");
	uid_race_done(&f, &a, &b);

	/* a sequence number whose message is gone: nothing is moved, and the
	 * NO says why (RFC 5530 EXPUNGEISSUED, RFC 2180 4.4.1) - not
	 * [TRYCREATE], which would send the client to CREATE the target */
	uid_race_setup(&f, &a, &b, "1");
	CHECK_STR(say(&a, "a1 MOVE 1:2 Trash\r\n"),
		  "* 2 FETCH (FLAGS (\\Flagged \\Deleted))\r\n"
		  "* 3 FETCH (FLAGS (\\Deleted \\Recent $Label1))\r\n"
		  "* 4 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 5 FETCH (FLAGS (\\Deleted))\r\n"
		  "* 1 EXPUNGE\r\n"
		  "a1 NO [EXPUNGEISSUED] Some of the requested messages no longer exist\r\n");
	CHECK_STR(f.log, "");
	CHECK_STR(fake_uids(&f, "INBOX"), "2,3,4,5,6");
	CHECK_STR(say(&a, "a2 MOVE 1 Trash\r\n"),
		  "* OK [COPYUID 1002 2 1] Moved\r\n* 1 EXPUNGE\r\na2 OK MOVE completed\r\n");
	uid_race_done(&f, &a, &b);
}

#define FLAGS_SYSTEM "\\Answered \\Flagged \\Deleted \\Seen \\Draft"
/* the keywords in use are permanent too (RFC 3501 7.1), then \* */
#define PERMANENT_RW(kw)                                                               \
	"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft " kw " \\*)] " \
	"Flags permitted\r\n"

/*
 * A keyword new to the folder is announced with FLAGS (and PERMANENTFLAGS)
 * to every session that has it selected - the one that stored it too -
 * before any FETCH that carries it (RFC 3501 7.2.6: FLAGS is the list of
 * flags the folder's messages may carry).
 */
static void test_keyword_flags_announced(void)
{
	struct fake f;
	fake_init(&f);
	struct session a, b, c;
	session_ready(&a, &f, true);
	session_ready(&b, &f, true);
	session_ready(&c, &f, false);
	say(&c, "c0 EXAMINE INBOX\r\n");
	CHECK_STR(say(&a, "a1 STORE 1 +FLAGS ($Work)\r\n"),
		  "* FLAGS (" FLAGS_SYSTEM " $Label1 $Work)\r\n" PERMANENT_RW("$Label1 $Work")
		  "* 1 FETCH (FLAGS (\\Seen $Work))\r\n"
		  "a1 OK STORE completed\r\n");
	CHECK_STR(say(&b, "b1 NOOP\r\n"),
		  "* FLAGS (" FLAGS_SYSTEM " $Label1 $Work)\r\n" PERMANENT_RW("$Label1 $Work")
		  "* 1 FETCH (FLAGS (\\Seen $Work))\r\n"
		  "b1 OK NOOP completed\r\n");
	CHECK_STR(say(&c, "c1 NOOP\r\n"),
		  "* FLAGS (" FLAGS_SYSTEM " $Label1 $Work)\r\n"
		  "* OK [PERMANENTFLAGS ()] No permanent flags permitted\r\n"
		  "* 1 FETCH (FLAGS (\\Seen $Work))\r\n"
		  "c1 OK NOOP completed\r\n");
	/* known already, in any case: no FLAGS again */
	CHECK_STR(say(&a, "a2 STORE 2 +FLAGS ($work)\r\n"),
		  "* 2 FETCH (FLAGS (\\Flagged $work))\r\na2 OK STORE completed\r\n");
	CHECK_STR(say(&b, "b2 NOOP\r\n"),
		  "* 2 FETCH (FLAGS (\\Flagged $work))\r\nb2 OK NOOP completed\r\n");
	/* .SILENT leaves out the FETCH, not the FLAGS */
	CHECK_STR(say(&a, "a3 STORE 2 +FLAGS.SILENT (Later)\r\n"),
		  "* FLAGS (" FLAGS_SYSTEM " $Label1 $Work Later)\r\n" PERMANENT_RW("$Label1 $Work Later")
		  "a3 OK STORE completed\r\n");
	/* APPEND: the idling session hears FLAGS before EXISTS */
	CHECK_STR(say(&b, "b3 IDLE\r\n"),
		  "+ idling\r\n"
		  "* FLAGS (" FLAGS_SYSTEM " $Label1 $Work Later)\r\n" PERMANENT_RW("$Label1 $Work Later")
		  "* 2 FETCH (FLAGS (\\Flagged $work Later))\r\n");
	CHECK_STR(say(&a, "a4 APPEND INBOX (Junk) {1+}\r\nx\r\n"),
		  "* FLAGS (" FLAGS_SYSTEM " $Label1 $Work Later Junk)\r\n" PERMANENT_RW("$Label1 $Work Later Junk")
		  "* 4 EXISTS\r\n* 2 RECENT\r\n"
		  "a4 OK [APPENDUID 1000 4] APPEND completed\r\n");
	wire_clear(&b.out);
	imap_server_poke(b.s, &b.out);
	CHECK_STR(b.out.data.p,
		  "* FLAGS (" FLAGS_SYSTEM " $Label1 $Work Later Junk)\r\n" PERMANENT_RW("$Label1 $Work Later Junk")
		  "* 4 EXISTS\r\n* 2 RECENT\r\n");
	/* a new SELECT lists every keyword in use */
	CHECK_CONTAINS(say(&a, "a5 SELECT INBOX\r\n"),
		       "* FLAGS (" FLAGS_SYSTEM " $Work Later $Label1 Junk)\r\n");
	session_close(&a);
	session_close(&b);
	session_close(&c);
	fake_free(&f);
}

static void test_search(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, true);
	static const struct {
		const char *cmd, *want;
	} cases[] = {
		{"SEARCH ALL", "* SEARCH 1 2 3"},
		{"SEARCH SEEN", "* SEARCH 1"},
		{"SEARCH UNSEEN", "* SEARCH 2 3"},
		{"SEARCH FLAGGED", "* SEARCH 2"},
		{"SEARCH UNFLAGGED", "* SEARCH 1 3"},
		{"SEARCH DELETED", "* SEARCH"},
		{"SEARCH UNDELETED", "* SEARCH 1 2 3"},
		{"SEARCH ANSWERED", "* SEARCH"},
		{"SEARCH UNANSWERED", "* SEARCH 1 2 3"},
		{"SEARCH DRAFT", "* SEARCH"},
		{"SEARCH NEW", "* SEARCH 3"},
		{"SEARCH OLD", "* SEARCH 1 2"},
		{"SEARCH RECENT", "* SEARCH 3"},
		{"SEARCH KEYWORD $label1", "* SEARCH 3"},
		{"SEARCH UNKEYWORD $Label1", "* SEARCH 1 2"},
		{"SEARCH FROM carol", "* SEARCH 2 3"},
		{"SEARCH TO BOB", "* SEARCH 1 2 3"},
		{"SEARCH CC dave", "* SEARCH 2"},
		{"SEARCH BCC dave", "* SEARCH"},
		{"SEARCH SUBJECT \"lunch TOM\"", "* SEARCH 3"},
		{"SEARCH BODY noon", "* SEARCH 1"},
		{"SEARCH TEXT report", "* SEARCH 2"},
		{"SEARCH HEADER Message-ID example", "* SEARCH 1"},
		{"SEARCH SINCE 10-Feb-1994", "* SEARCH 2 3"},
		{"SEARCH BEFORE 10-Feb-1994", "* SEARCH 1"},
		{"SEARCH ON 11-Feb-1994", "* SEARCH 3"},
		{"SEARCH SENTSINCE 9-Feb-1994", "* SEARCH 3"},
		{"SEARCH SENTBEFORE 9-Feb-1994", "* SEARCH 1 2"},
		{"SEARCH SENTON 8-Feb-1994", "* SEARCH 2"},
		{"SEARCH LARGER 200", "* SEARCH 2"},
		{"SEARCH SMALLER 160", "* SEARCH 3"},
		{"SEARCH UID 2:*", "* SEARCH 2 3"},
		{"SEARCH 2,3", "* SEARCH 2 3"},
		{"SEARCH *", "* SEARCH 3"},
		{"SEARCH NOT SEEN", "* SEARCH 2 3"},
		{"SEARCH OR SEEN FLAGGED", "* SEARCH 1 2"},
		{"SEARCH UNSEEN FROM carol NOT KEYWORD $Label1", "* SEARCH 2"},
		{"SEARCH OR (SEEN SUBJECT hello) (FLAGGED NOT FROM alice)", "* SEARCH 1 2"},
		{"SEARCH CHARSET UTF-8 SUBJECT hello", "* SEARCH 1"},
		{"SEARCH charset us-ascii ALL", "* SEARCH 1 2 3"},
		{"UID SEARCH UNSEEN", "* SEARCH 2 3"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char line[128], want[128];
		snprintf(line, sizeof line, "s%zu %s\r\n", i, cases[i].cmd);
		snprintf(want, sizeof want, "%s\r\ns%zu OK SEARCH completed\r\n", cases[i].want, i);
		CHECK_STR(say(&t, line), want);
	}
	/* UID SEARCH answers UIDs: expunge 1, and UIDs stop matching numbers */
	say(&t, "x1 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n");
	say(&t, "x2 EXPUNGE\r\n");
	CHECK_STR(say(&t, "x3 UID SEARCH ALL\r\n"), "* SEARCH 2 3\r\nx3 OK SEARCH completed\r\n");
	CHECK_STR(say(&t, "x4 SEARCH ALL\r\n"), "* SEARCH 1 2\r\nx4 OK SEARCH completed\r\n");
	/* flag-only searches load no content */
	f.ncontent = 0;
	say(&t, "x5 SEARCH OR UNSEEN (DELETED NOT FLAGGED) LARGER 10 UID 1:*\r\n");
	CHECK_INT(f.ncontent, 0);
	/* errors */
	CHECK_STR(say(&t, "e1 SEARCH CHARSET KOI8-R ALL\r\n"),
		  "* OK [BADCHARSET (UTF-8 US-ASCII)] Charsets supported\r\n"
		  "e1 NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n");
	CHECK_STR(say(&t, "e2 SEARCH FROBNICATE\r\n"), "e2 BAD Unknown search key\r\n");
	CHECK_STR(say(&t, "e3 SEARCH FROM\r\n"), "e3 BAD Missing argument to search key\r\n");
	CHECK_STR(say(&t, "e4 SEARCH SINCE yesterday\r\n"),
		  "e4 BAD Invalid date (it is written 1-Feb-1994)\r\n");
	CHECK_STR(say(&t, "e5 SEARCH OR SEEN\r\n"), "e5 BAD NOT and OR need keys after them\r\n");
	CHECK_STR(say(&t, "e6 SEARCH\r\n"), "e6 BAD Syntax: SEARCH [CHARSET charset] key...\r\n");
	/* deep nesting is refused, not a stack overflow */
	struct buf deep;
	buf_init(&deep);
	buf_adds(&deep, "e7 SEARCH");
	for (int i = 0; i < 1000; i++)
		buf_adds(&deep, " NOT");
	buf_adds(&deep, " ALL\r\n");
	CHECK_STR(say(&t, deep.p), "e7 BAD Search keys nested too deeply\r\n");
	buf_free(&deep);
	session_close(&t);
	fake_free(&f);
}

static void test_idle_and_poke(void)
{
	struct fake f;
	fake_init(&f);
	struct session a, b;
	session_ready(&a, &f, true);
	session_ready(&b, &f, true);
	CHECK_STR(say(&a, "i1 IDLE\r\n"), "+ idling\r\n");
	CHECK_STR(wire_note_at(&a.out, 0), "the server will now push news without being asked");
	CHECK_STR(imap_server_state_name(a.s), "IDLE");
	CHECK_STR(imap_server_selected(a.s), "INBOX");
	/* b changes flags: a is told at the poke */
	CHECK_STR(say(&b, "b1 STORE 2 +FLAGS.SILENT (\\Seen)\r\n"), "b1 OK STORE completed\r\n");
	wire_clear(&a.out);
	imap_server_poke(a.s, &a.out);
	CHECK_STR(a.out.data.p, "* 2 FETCH (FLAGS (\\Seen \\Flagged))\r\n");
	CHECK(wire_note_at(&a.out, 0) != NULL);
	/* a poke with nothing new says nothing */
	wire_clear(&a.out);
	imap_server_poke(a.s, &a.out);
	CHECK_STR(a.out.data.p ? a.out.data.p : "", "");
	/* new mail */
	fake_add_plain(&f, "INBOX", "new");
	wire_clear(&a.out);
	imap_server_poke(a.s, &a.out);
	CHECK_STR(a.out.data.p, "* 4 EXISTS\r\n* 1 RECENT\r\n");
	/* b expunges message 1 */
	say(&b, "b2 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n");
	CHECK_STR(say(&b, "b3 EXPUNGE\r\n"), "* 1 EXPUNGE\r\n"
					     "b3 OK EXPUNGE completed\r\n");
	wire_clear(&a.out);
	imap_server_poke(a.s, &a.out);
	CHECK_STR(a.out.data.p, "* 1 EXPUNGE\r\n"); /* no FLAGS for a message that is gone */
	CHECK_STR(say(&a, "DONE\r\n"), "i1 OK IDLE terminated\r\n");
	CHECK_STR(imap_server_state_name(a.s), "SELECTED");
	CHECK_STR(say(&a, "i2 FETCH 1:* UID\r\n"),
		  "* 1 FETCH (UID 2)\r\n* 2 FETCH (UID 3)\r\n* 3 FETCH (UID 4)\r\n"
		  "i2 OK FETCH completed\r\n");
	/* anything but DONE ends IDLE with BAD */
	CHECK_STR(say(&a, "i3 IDLE\r\n"), "+ idling\r\n");
	CHECK_STR(say(&a, "i4 NOOP\r\n"), "i3 BAD Expected DONE\r\n");
	CHECK_STR(imap_server_state_name(a.s), "SELECTED");
	/* not idling: a poke writes nothing; the news waits for the next command */
	say(&b, "b4 STORE 1 +FLAGS.SILENT (\\Answered)\r\n");
	wire_clear(&a.out);
	imap_server_poke(a.s, &a.out);
	CHECK_STR(a.out.data.p ? a.out.data.p : "", "");
	CHECK_STR(say(&a, "i5 NOOP\r\n"), "* 1 FETCH (FLAGS (\\Seen \\Answered \\Flagged))\r\n"
					  "i5 OK NOOP completed\r\n");
	/* IDLE in the authenticated state: nothing to push, DONE works */
	say(&a, "i6 UNSELECT\r\n");
	CHECK_STR(say(&a, "i7 IDLE\r\n"), "+ idling\r\n");
	CHECK_STR(say(&a, "done\r\n"), "i7 OK IDLE terminated\r\n");
	CHECK_STR(imap_server_state_name(a.s), "AUTHENTICATED");
	session_close(&a);
	session_close(&b);
	fake_free(&f);
}

static void test_deferred_expunge(void)
{
	struct fake f;
	fake_init(&f);
	struct session a, b;
	session_ready(&a, &f, true);
	session_ready(&b, &f, true);
	say(&b, "b1 STORE 2 +FLAGS.SILENT (\\Deleted)\r\n");
	say(&b, "b2 EXPUNGE\r\n");
	fake_add_plain(&f, "INBOX", "new");
	wire_clear(&a.out);
	imap_server_poke(a.s, &a.out); /* not idling: nothing yet */
	/* FETCH: no EXPUNGE in its answer (RFC 3501 7.4.1), EXISTS is fine
	 * (told first: the set is resolved against the folder as it is now);
	 * the expunged message keeps its number */
	CHECK_STR(say(&a, "a1 FETCH 1:* (FLAGS)\r\n"),
		  "* 4 EXISTS\r\n"
		  "* 1 RECENT\r\n"
		  "* 1 FETCH (FLAGS (\\Seen))\r\n"
		  "* 2 FETCH (FLAGS (\\Flagged))\r\n"
		  "* 3 FETCH (FLAGS (\\Recent $Label1))\r\n"
		  "* 4 FETCH (FLAGS ())\r\n"
		  "a1 OK FETCH completed\r\n");
	/* nor in STORE and SEARCH */
	CHECK_STR(say(&a, "a2 SEARCH ALL\r\n"), "* SEARCH 1 2 3 4\r\na2 OK SEARCH completed\r\n");
	/* the gone message's body cannot be read: NO, not a crash */
	CHECK_STR(say(&a, "a3 FETCH 2 BODY.PEEK[]\r\n"),
		  "a3 NO [EXPUNGEISSUED] Some of the requested messages no longer exist\r\n");
	/* at the next NOOP it comes */
	CHECK_STR(say(&a, "a4 NOOP\r\n"), "* 2 EXPUNGE\r\na4 OK NOOP completed\r\n");
	CHECK_STR(say(&a, "a5 NOOP\r\n"), "a5 OK NOOP completed\r\n");
	/* UID FETCH may carry it at once, and does, before it maps its UIDs */
	say(&b, "b3 STORE 1 +FLAGS.SILENT (\\Deleted)\r\n");
	say(&b, "b4 EXPUNGE\r\n");
	CHECK_STR(say(&a, "a6 UID FETCH 1:* UID\r\n"),
		  "* 1 EXPUNGE\r\n* 1 FETCH (UID 3)\r\n* 2 FETCH (UID 4)\r\n"
		  "a6 OK FETCH completed\r\n");
	session_close(&a);
	session_close(&b);
	fake_free(&f);
}

static void test_two_sessions(void)
{
	struct fake f;
	fake_init(&f);
	struct session a, b;
	session_ready(&a, &f, true);
	session_ready(&b, &f, true);
	say(&a, "a1 STORE 1 -FLAGS.SILENT (\\Seen)\r\n");
	CHECK_STR(say(&b, "b1 NOOP\r\n"), "* 1 FETCH (FLAGS ())\r\nb1 OK NOOP completed\r\n");
	say(&b, "b2 MOVE 3 Trash\r\n");
	CHECK_STR(say(&a, "a2 NOOP\r\n"), "* 3 EXPUNGE\r\na2 OK NOOP completed\r\n");
	CHECK_STR(say(&a, "a3 APPEND INBOX {1+}\r\nx\r\n"),
		  "* 3 EXISTS\r\n* 1 RECENT\r\na3 OK [APPENDUID 1000 4] APPEND completed\r\n");
	CHECK_STR(say(&b, "b3 NOOP\r\n"), "* 3 EXISTS\r\n* 1 RECENT\r\nb3 OK NOOP completed\r\n");
	/* the version did not move: no snapshot is taken */
	int snaps = f.nsnapshot;
	say(&b, "b4 NOOP\r\n");
	CHECK_INT(f.nsnapshot, snaps);
	session_close(&a);
	session_close(&b);
	fake_free(&f);
}

static void test_malformed(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_open(&t, &f);
	CHECK_CONTAINS(say(&t, "\r\n"), "* BAD ");
	CHECK_CONTAINS(say(&t, "(((\r\n"), "* BAD ");
	CHECK_CONTAINS(say(&t, "a1 LOGIN \"unterminated\r\n"), "a1 BAD ");
	CHECK_CONTAINS(say(&t, "a2\r\n"), "a2 BAD ");
	const char garbage[] = "\x01\x02\xff\xfe ) ( ] [ {} \"\r\n";
	const char *r = say_n(&t, garbage, sizeof garbage - 1);
	CHECK_CONTAINS(r, "BAD ");
	/* a huge literal is refused when announced, before any octet is kept */
	CHECK_STR(say(&t, "a3 APPEND INBOX {4000000000}\r\n"),
		  "a3 NO [TOOBIG] literal of 4000000000 octets is larger than the limit of "
		  "67108864\r\n");
	CHECK_STR(say(&t, "a4 NOOP\r\n"), "a4 OK NOOP completed\r\n");
	/* LITERAL+: the octets come anyway, and are skipped without being kept */
	r = say(&t, "a5 APPEND INBOX {70000000+}\r\n");
	CHECK_CONTAINS(r, "a5 NO [TOOBIG] ");
	char *chunk = xmalloc(1000000);
	memset(chunk, 'x', 1000000);
	for (int i = 0; i < 70; i++)
		CHECK_STR(say_n(&t, chunk, 1000000), "");
	free(chunk);
	CHECK_STR(say(&t, " more\r\na5b NOOP\r\n"), "a5b OK NOOP completed\r\n");
	/* a line over 64 KiB */
	struct buf big;
	buf_init(&big);
	buf_adds(&big, "a6 LOGIN ");
	for (int i = 0; i < 70000; i++)
		buf_addc(&big, 'x');
	buf_adds(&big, "\r\n");
	r = say(&t, big.p);
	CHECK_CONTAINS(r, "a6 BAD ");
	buf_free(&big);
	CHECK_STR(say(&t, "a7 LOGIN bob secret\r\n"), "a7 OK LOGIN completed\r\n");
	say(&t, "a8 SELECT INBOX\r\na9 FETCH 1:2,x FLAGS\r\na10 FETCH 0 FLAGS\r\n");
	CHECK_CONTAINS(t.out.data.p, "a9 BAD Invalid message set\r\n");
	CHECK_CONTAINS(t.out.data.p, "a10 BAD Invalid message set\r\n");
	CHECK_STR(say(&t, "b1 STORE 1 +FLAGS ((\\Seen))\r\n"), "b1 BAD Invalid flag\r\n");
	CHECK_STR(say(&t, "b2 COPY 1 (x)\r\n"), "b2 BAD Syntax: COPY set mailbox\r\n");
	CHECK_STR(say(&t, "b3 SELECT (x)\r\n"), "b3 BAD Syntax: SELECT mailbox\r\n");
	CHECK_STR(say(&t, "b4 LIST \"\" \"*%*%*%*%*%*%*%*%*%\"\r\n"),
		  "b4 BAD Too many wildcards in pattern\r\n");
	session_close(&t);
	fake_free(&f);
}

static void test_namespace_enable(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, false);
	CHECK_STR(say(&t, "a1 NAMESPACE\r\n"),
		  "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\na1 OK NAMESPACE completed\r\n");
	CHECK_STR(say(&t, "a2 ENABLE CONDSTORE\r\n"), "* ENABLED\r\na2 OK ENABLE completed\r\n");
	CHECK_STR(say(&t, "a3 CHECK\r\n"), "a3 BAD command not valid in this state\r\n");
	say(&t, "a4 SELECT INBOX\r\n");
	CHECK_STR(say(&t, "a5 CHECK\r\n"), "a5 OK CHECK completed\r\n");
	CHECK_STR(say(&t, "a6 LOGOUT\r\n"),
		  "* BYE mail.example.org IMAP4rev1 server logging out\r\n"
		  "a6 OK LOGOUT completed\r\n");
	CHECK(imap_server_selected(t.s) == NULL);
	session_close(&t);
	fake_free(&f);
}

/* Several commands in one feed are answered in order. */
static void test_pipelined(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_open(&t, &f);
	say(&t, "a1 LOGIN bob secret\r\na2 SELECT INBOX\r\na3 FETCH 1 UID\r\n"
		"a4 LOGOUT\r\na5 NOOP\r\n");
	const char *r = t.out.data.p;
	CHECK_CONTAINS(r, "a1 OK LOGIN completed\r\n");
	CHECK_CONTAINS(r, "a2 OK [READ-WRITE] SELECT completed\r\n* 1 FETCH (UID 1)\r\na3 OK");
	CHECK_CONTAINS(r, "a4 OK LOGOUT completed\r\n");
	CHECK(strstr(r, "a5") == NULL);
	session_close(&t);
	fake_free(&f);
}

/* 100,000 messages: the flag-only paths work (their speed is a bench's job). */
static void test_big_folder(void)
{
	enum { N = 100000 };
	struct fake f;
	fake_init(&f);
	struct fake_folder *big = fake_add_folder(&f, "Big", "", 7);
	big->msgs = xcalloc(N, sizeof *big->msgs);
	big->cap = N;
	for (uint32_t i = 0; i < N; i++) {
		struct fake_msg *m = &big->msgs[big->n++];
		m->uid = 2 * i + 1; /* gaps: UIDs are not sequence numbers */
		m->flags = i % 10 == 0 ? 0 : IMAP_FLAG_SEEN;
		m->date = DAY_1994_02_09;
		m->content = xstrdup("Subject: x\r\n\r\ny\r\n");
		m->len = strlen(m->content);
	}
	big->uidnext = 2 * N + 1;
	f.version++;
	struct session t;
	session_ready(&t, &f, false);
	const char *r = say(&t, "a1 SELECT Big\r\n");
	CHECK_CONTAINS(r, "* 100000 EXISTS\r\n");
	CHECK_CONTAINS(r, "* OK [UNSEEN 1] Message 1 is first unseen\r\n");
	CHECK_CONTAINS(r, "* OK [UIDNEXT 200001] Predicted next UID\r\n");
	r = say(&t, "a2 UID FETCH 1:* (FLAGS)\r\n");
	CHECK_CONTAINS(r, "* 1 FETCH (UID 1 FLAGS ())\r\n* 2 FETCH (UID 3 FLAGS (\\Seen))\r\n");
	CHECK_CONTAINS(r,
		  "* 100000 FETCH (UID 199999 FLAGS (\\Seen))\r\na2 OK FETCH completed\r\n");
	r = say(&t, "a3 SEARCH UNSEEN\r\n");
	CHECK(strncmp(r, "* SEARCH 1 11 21 ", 17) == 0);
	CHECK_CONTAINS(r, " 99981 99991\r\na3 OK SEARCH completed\r\n");
	r = say(&t, "a4 UID SEARCH UNSEEN\r\n");
	CHECK(strncmp(r, "* SEARCH 1 21 41 ", 17) == 0);
	CHECK_INT(f.ncontent, 0);
	int calls = f.nset_flags;
	r = say(&t, "a5 STORE 1:* +FLAGS (\\Seen)\r\n");
	CHECK_INT(f.nset_flags, calls + 1);
	CHECK_INT(f.last_set_flags_n, N / 10);
	CHECK_CONTAINS(r, "* 1 FETCH (FLAGS (\\Seen))\r\n");
	CHECK_CONTAINS(r, "* 100000 FETCH (FLAGS (\\Seen))\r\na5 OK STORE completed\r\n");
	CHECK_STR(say(&t, "a6 SEARCH UNSEEN\r\n"), "* SEARCH\r\na6 OK SEARCH completed\r\n");
	CHECK_STR(say(&t, "a7 UID FETCH 199999,1,3 UID\r\n"),
		  "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 3)\r\n* 100000 FETCH (UID 199999)\r\n"
		  "a7 OK FETCH completed\r\n");
	CHECK_INT(f.ncontent, 0);
	session_close(&t);
	fake_free(&f);
}

/* "[" and "]" in mailbox names given as atoms (RFC 3501 9: astring and
 * list-mailbox take ASTRING-CHARs, "]" included; "[" is an ATOM-CHAR). */
static void test_brackets_in_names(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, false);
	CHECK_STR(say(&t, "a1 CREATE a[b]\r\n"), "a1 OK CREATE completed\r\n");
	CHECK(fake_folder(&f, "a[b]") != NULL);
	CHECK_STR(say(&t, "a2 CREATE x]y\r\n"), "a2 OK CREATE completed\r\n");
	CHECK(fake_folder(&f, "x]y") != NULL);
	CHECK_STR(say(&t, "a3 LIST \"\" a[b]\r\n"),
		  "* LIST (\\HasNoChildren) \"/\" \"a[b]\"\r\na3 OK LIST completed\r\n");
	CHECK_STR(say(&t, "a4 LIST \"\" x]%\r\n"),
		  "* LIST (\\HasNoChildren) \"/\" \"x]y\"\r\na4 OK LIST completed\r\n");
	CHECK_CONTAINS(say(&t, "a5 SELECT a[b]\r\n"), "a5 OK [READ-WRITE] SELECT completed\r\n");
	/* A keyword is an atom: "]" is not allowed there. */
	CHECK_STR(say(&t, "a6 STORE 1 +FLAGS (x])\r\n"), "a6 BAD Invalid keyword\r\n");
	session_close(&t);
	fake_free(&f);
}

/* NIL where an astring is wanted is the string "NIL" (RFC 3501 9: NIL is
 * an atom, and an atom is an astring): SEARCH SUBJECT NIL looks for it. */
static void test_search_nil_astring(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, true);
	CHECK_STR(say(&t, "a1 SEARCH SUBJECT NIL\r\n"), "* SEARCH\r\na1 OK SEARCH completed\r\n");
	const char msg[] = "Subject: the NIL pointer\r\n\r\nx\r\n";
	char cmd[128];
	snprintf(cmd, sizeof cmd, "a2 APPEND INBOX {%zu+}\r\n%s\r\n", sizeof msg - 1, msg);
	CHECK_CONTAINS(say(&t, cmd), "a2 OK ");
	CHECK_STR(say(&t, "a3 SEARCH SUBJECT NIL\r\n"), "* SEARCH 4\r\na3 OK SEARCH completed\r\n");
	CHECK_STR(say(&t, "a4 SEARCH SUBJECT nil\r\n"), "* SEARCH 4\r\na4 OK SEARCH completed\r\n");
	CHECK_STR(say(&t, "a5 SEARCH NOT SUBJECT NIL\r\n"),
		  "* SEARCH 1 2 3\r\na5 OK SEARCH completed\r\n");
	session_close(&t);
	fake_free(&f);
}

/* Command lines up to 64 KiB are read whole (RFC 7162 section 4 asks for at
 * least 8192 octets; RFC 2971 ID lines can be long); a longer one is
 * answered BAD with its own tag and the session goes on. */
static void test_long_command_lines(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, true);
	struct buf big;
	buf_init(&big);
	buf_adds(&big, "a1 SEARCH SUBJECT \"");
	while (big.len < 60 * 1024)
		buf_addc(&big, 'q');
	buf_adds(&big, "\"\r\n");
	CHECK_STR(say_n(&t, big.p, big.len), "* SEARCH\r\na1 OK SEARCH completed\r\n");
	/* a 60 KiB UID set, the long line clients really send */
	buf_clear(&big);
	buf_adds(&big, "a2 UID FETCH 1");
	for (unsigned u = 3; big.len < 60 * 1024; u += 2)
		buf_printf(&big, ",%u", u);
	buf_adds(&big, " (FLAGS)\r\n");
	const char *r = say_n(&t, big.p, big.len);
	CHECK_CONTAINS(r, "* 1 FETCH (UID 1 FLAGS (");
	CHECK_CONTAINS(r, "* 3 FETCH (UID 3 FLAGS (");
	CHECK_CONTAINS(r, "a2 OK FETCH completed\r\n");
	CHECK(strstr(r, "* 2 FETCH") == NULL);
	/* over 64 KiB, fed in pieces: BAD with the tag, then all is well */
	buf_clear(&big);
	buf_adds(&big, "a3 SEARCH SUBJECT ");
	while (big.len < 65536 + 100)
		buf_addc(&big, 'z');
	buf_adds(&big, "\r\n");
	CHECK_STR(say_n(&t, big.p, 40000), "");
	CHECK_STR(say_n(&t, big.p + 40000, big.len - 40000),
		  "a3 BAD line longer than 65536 octets\r\n");
	CHECK_STR(say(&t, "a4 NOOP\r\n"), "a4 OK NOOP completed\r\n");
	buf_free(&big);
	session_close(&t);
	fake_free(&f);
}

/* FETCH of sections inside a message/rfc822 part (RFC 3501 6.4.5). */
static void test_fetch_rfc822_sections(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, true);
	const char msg[] = "Subject: fwd\r\n"
			   "Content-Type: multipart/mixed; boundary=o\r\n"
			   "\r\n"
			   "--o\r\n"
			   "Content-Type: message/rfc822\r\n"
			   "\r\n"
			   "Subject: inner\r\n"
			   "\r\n"
			   "inner body\r\n"
			   "--o--\r\n";
	char cmd[512];
	snprintf(cmd, sizeof cmd, "a1 APPEND INBOX {%zu+}\r\n%s\r\n", sizeof msg - 1, msg);
	CHECK_CONTAINS(say(&t, cmd), "a1 OK ");
	CHECK_STR(say(&t, "a2 FETCH 4 (BODY.PEEK[1] BODY.PEEK[1.MIME])\r\n"),
		  "* 4 FETCH (BODY[1] {28}\r\nSubject: inner\r\n\r\ninner body"
		  " BODY[1.MIME] {32}\r\nContent-Type: message/rfc822\r\n\r\n)\r\n"
		  "a2 OK FETCH completed\r\n");
	/* "]" in a header-fld-name, an astring: the section is read whole */
	CHECK_STR(say(&t, "b1 FETCH 4 BODY.PEEK[1.HEADER.FIELDS (X] \"Y]\" SUBJECT)]<0.7>\r\n"),
		  "* 4 FETCH (BODY[1.HEADER.FIELDS (X] \"Y]\" SUBJECT)]<0> {7}\r\nSubject)\r\n"
		  "b1 OK FETCH completed\r\n");
	CHECK_STR(say(&t, "a3 FETCH 4 (BODY.PEEK[1.HEADER.FIELDS (SUBJECT)] BODY.PEEK[1.1])\r\n"),
		  "* 4 FETCH (BODY[1.HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: inner\r\n\r\n"
		  " BODY[1.1] {10}\r\ninner body)\r\n"
		  "a3 OK FETCH completed\r\n");
	session_close(&t);
	fake_free(&f);
}

/* "user@domain (Real Name)": the comment is the ENVELOPE's display name,
 * and SEARCH FROM finds the message by name, by address or by both. */
static void test_comment_names(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_ready(&t, &f, true);
	const char msg[] = "From: user@example.org (Real Name)\r\n"
			   "To: \"Bob \\\"B\\\" Smith\" <bob@example.org>\r\n"
			   "Subject: legacy\r\n\r\nx\r\n";
	char cmd[256];
	snprintf(cmd, sizeof cmd, "a1 APPEND INBOX {%zu+}\r\n%s\r\n", sizeof msg - 1, msg);
	CHECK_CONTAINS(say(&t, cmd), "a1 OK ");
	CHECK_CONTAINS(say(&t, "a2 FETCH 4 ENVELOPE\r\n"),
		       "((\"Real Name\" NIL \"user\" \"example.org\"))");
	static const struct {
		const char *cmd, *want;
	} cases[] = {
		{"SEARCH FROM \"Real Name\"", "* SEARCH 4"},
		{"SEARCH FROM \"real name\"", "* SEARCH 4"},
		{"SEARCH FROM user@example.org", "* SEARCH 4"},
		{"SEARCH FROM \"Real Name <user@example.org>\"", "* SEARCH 4"},
		{"SEARCH TO \"Bob \\\"B\\\" Smith\"", "* SEARCH 4"},
		{"SEARCH FROM \"Unreal Name\"", "* SEARCH"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(cmd, sizeof cmd, "c%zu %s\r\n", i, cases[i].cmd);
		char want[128];
		snprintf(want, sizeof want, "%s\r\nc%zu OK SEARCH completed\r\n", cases[i].want, i);
		CHECK_STR(say(&t, cmd), want);
	}
	session_close(&t);
	fake_free(&f);
}

/* The answer to a line whose first word, a command's name, was taken for
 * the tag. */
#define MISSING_TAG(word, name)                                                     \
	word " BAD Missing tag? Every IMAP command starts with a tag of the client's " \
	     "choosing, such as a1: a1 " name " ...\r\n"

/* A line typed without its tag: the first word, a command's name, was
 * taken for the tag.  The answer stays a tagged BAD with that word, and
 * says the tag is missing (RFC 3501 2.2.1). */
static void test_missing_tag(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_open(&t, &f);
	CHECK_STR(say(&t, "LOGIN bob secret\r\n"),
		  "LOGIN BAD Missing tag? Every IMAP command starts with a tag of the client's "
		  "choosing, such as a1: a1 LOGIN ...\r\n");
	CHECK(strstr(wire_note_at(&t.out, 0), "RFC 3501 2.2.1") != NULL);
	CHECK(imap_server_user(t.s) == NULL);
	/* one word alone: the parser finds no command after the "tag" */
	CHECK_STR(say(&t, "CAPABILITY\r\n"), MISSING_TAG("CAPABILITY", "CAPABILITY"));
	CHECK(strstr(wire_note_at(&t.out, 0), "tag of the client's choosing") != NULL);
	/* any case; the answer repeats the word as typed, names it upper-cased */
	say(&t, "a1 LOGIN bob secret\r\n");
	CHECK_STR(say(&t, "select inbox\r\n"), MISSING_TAG("select", "SELECT"));
	CHECK_STR(imap_server_state_name(t.s), "AUTHENTICATED");
	CHECK_STR(say(&t, "fetch 1 flags\r\n"), MISSING_TAG("fetch", "FETCH"));
	CHECK_STR(say(&t, "UID\r\n"), MISSING_TAG("UID", "UID"));
	/* a tag that is no command's name keeps the old answers */
	CHECK_STR(say(&t, "bob secret\r\n"), "bob BAD Unknown command\r\n");
	CHECK_STR(say(&t, "a2\r\n"), "a2 BAD missing command after the tag\r\n");
	/* a command word as the tag of a real command is a tag like any other */
	CHECK_STR(say(&t, "NOOP NOOP\r\n"), "NOOP OK NOOP completed\r\n");
	session_close(&t);
	fake_free(&f);
}

/* ------------------------------------------------- STARTTLS (RFC 3501 6.2.1) */

static void session_open_tls(struct session *t, struct fake *f, bool plaintext_auth)
{
	struct imap_server_config cfg = {.hostname = "mail.example.org", .tls_offered = true,
					 .plaintext_auth = plaintext_auth};
	session_open_config(t, f, &cfg);
}

#define CAPS_BASE "IMAP4rev1 LITERAL+ SASL-IR ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT SPECIAL-USE"

static void test_starttls_capability_and_go_ahead(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_open_tls(&t, &f, false);
	CHECK_STR(t.out.data.p, "* OK [CAPABILITY " CAPS_BASE " STARTTLS LOGINDISABLED] "
		  "mail.example.org IMAP4rev1 server ready\r\n");
	CHECK_STR(say(&t, "a1 CAPABILITY\r\n"), "* CAPABILITY " CAPS_BASE
		  " STARTTLS LOGINDISABLED\r\na1 OK CAPABILITY completed\r\n");
	/* LOGIN refused before TLS (RFC 3501 6.2.3) */
	CHECK_STR(say(&t, "a2 LOGIN bob secret\r\n"),
		  "a2 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure "
		  "connections: STARTTLS first\r\n");
	CHECK(wire_note_at(&t.out, 0) != NULL);
	CHECK_STR(say(&t, "a3 AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=\r\n"),
		  "a3 NO [PRIVACYREQUIRED] Plaintext authentication disallowed on non-secure "
		  "connections: STARTTLS first\r\n");
	CHECK_STR(imap_server_state_name(t.s), "NOT_AUTHENTICATED");
	CHECK_STR(say(&t, "a4 STARTTLS\r\n"), "a4 OK Begin TLS negotiation now\r\n");
	CHECK(wire_note_at(&t.out, 0) != NULL);
	CHECK(imap_server_tls_pending(t.s));
	CHECK_STR(say(&t, "a5 NOOP\r\n"), "");
	imap_server_tls_started(t.s);
	CHECK(!imap_server_tls_pending(t.s));
	/* CAPABILITY after TLS: no STARTTLS, no LOGINDISABLED */
	CHECK_STR(say(&t, "a6 CAPABILITY\r\n"), "* CAPABILITY " CAPS_BASE
		  " AUTH=PLAIN\r\na6 OK CAPABILITY completed\r\n");
	CHECK_STR(say(&t, "a7 STARTTLS\r\n"), "a7 BAD TLS is already active\r\n");
	CHECK_STR(say(&t, "a8 LOGIN bob secret\r\n"), "a8 OK LOGIN completed\r\n");
	CHECK_STR(say(&t, "a9 STARTTLS\r\n"), "a9 BAD command not valid in this state\r\n");
	session_close(&t);
	fake_free(&f);
}

/* CVE-2011-0411: a LOGIN pipelined after STARTTLS is never run. */
static void test_starttls_injection(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_open_tls(&t, &f, true);
	CHECK_STR(t.out.data.p, "* OK [CAPABILITY " CAPS_BASE " STARTTLS AUTH=PLAIN] "
		  "mail.example.org IMAP4rev1 server ready\r\n");
	CHECK_STR(say(&t, "a1 STARTTLS\r\na2 LOGIN bob secret\r\na3 SELECT INBOX\r\n"),
		  "a1 OK Begin TLS negotiation now\r\n");
	imap_server_tls_started(t.s);
	CHECK_STR(imap_server_state_name(t.s), "NOT_AUTHENTICATED");
	CHECK(imap_server_user(t.s) == NULL);
	/* a half command is gone too */
	session_close(&t);
	session_open_tls(&t, &f, true);
	CHECK_STR(say(&t, "a1 STARTTLS\r\na2 LOG"), "a1 OK Begin TLS negotiation now\r\n");
	imap_server_tls_started(t.s);
	CHECK_STR(say(&t, "IN bob secret\r\n"), "IN BAD Unknown command\r\n");
	CHECK_STR(say(&t, "b1 LOGIN bob secret\r\n"), "b1 OK LOGIN completed\r\n");
	session_close(&t);
	fake_free(&f);
}

static void test_starttls_not_offered(void)
{
	struct fake f;
	fake_init(&f);
	struct session t;
	session_open(&t, &f);
	CHECK_STR(say(&t, "a1 STARTTLS\r\n"), "a1 NO STARTTLS is not offered here\r\n");
	CHECK(!imap_server_tls_pending(t.s));
	CHECK_STR(say(&t, "a2 LOGIN bob secret\r\n"), "a2 OK LOGIN completed\r\n");
	session_close(&t);
	fake_free(&f);
}

int main(void)
{
	RUN(test_starttls_capability_and_go_ahead);
	RUN(test_starttls_injection);
	RUN(test_starttls_not_offered);
	RUN(test_greeting_and_any_state);
	RUN(test_state_errors);
	RUN(test_login);
	RUN(test_missing_tag);
	RUN(test_authenticate);
	RUN(test_select_examine);
	RUN(test_list_lsub);
	RUN(test_hierarchy_noselect);
	RUN(test_star_in_empty_folder);
	RUN(test_status);
	RUN(test_create_delete_rename);
	RUN(test_append);
	RUN(test_fetch);
	RUN(test_store);
	RUN(test_copy_move);
	RUN(test_expunge);
	RUN(test_uid_commands_after_other_expunge);
	RUN(test_search);
	RUN(test_keyword_flags_announced);
	RUN(test_idle_and_poke);
	RUN(test_deferred_expunge);
	RUN(test_two_sessions);
	RUN(test_malformed);
	RUN(test_namespace_enable);
	RUN(test_pipelined);
	RUN(test_big_folder);
	RUN(test_brackets_in_names);
	RUN(test_search_nil_astring);
	RUN(test_long_command_lines);
	RUN(test_fetch_rfc822_sections);
	RUN(test_comment_names);
	return TEST_END();
}
