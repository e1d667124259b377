/*
 * test_imap_client.c - the IMAP client engine, driven by canned responses.
 *
 * Each test plays the server: it feeds the client the server's responses
 * and checks the exact bytes the client answers, like a golden transcript.
 * said(c, response) feeds one response and returns everything the client
 * wrote back; what the client tells the device (folders, resets, messages,
 * flags, expunges) is written to the event log `ev_log`, one line each,
 * and downloaded contents are kept in `got` for the checks.
 */
#include <stdlib.h>

#include "imap.h"
#include "test.h"

/* ------------------------------------------------------------ harness */

static struct wire said_wire;

static const char *said(struct imap_client *c, const char *server)
{
	wire_clear(&said_wire);
	imap_client_feed(c, server, strlen(server), &said_wire);
	return said_wire.data.p ? said_wire.data.p : "";
}

static const char *said_bytewise(struct imap_client *c, const char *server)
{
	wire_clear(&said_wire);
	for (size_t i = 0; server[i]; i++)
		imap_client_feed(c, server + i, 1, &said_wire);
	return said_wire.data.p ? said_wire.data.p : "";
}

static const char *closed(struct imap_client *c)
{
	wire_clear(&said_wire);
	imap_client_close(c, &said_wire);
	return said_wire.data.p ? said_wire.data.p : "";
}

static struct buf ev_log;
#define GOT_MAX 8
static struct {
	size_t n;
	char *content[GOT_MAX];
	size_t len[GOT_MAX];
} got;

static void log_reset(void)
{
	buf_clear(&ev_log);
	for (size_t i = 0; i < got.n; i++)
		free(got.content[i]);
	got.n = 0;
}

static const char *log_text(void)
{
	return ev_log.p ? ev_log.p : "";
}

static void on_folder(void *ctx, const char *name, const char *special_use)
{
	CHECK(ctx == &ev_log);
	buf_printf(&ev_log, "folder %s %s\n", name, special_use);
}

static void on_reset(void *ctx, uint32_t uidvalidity)
{
	CHECK(ctx == &ev_log);
	buf_printf(&ev_log, "reset %u\n", (unsigned)uidvalidity);
}

static void on_message(void *ctx, uint32_t uid, uint32_t flags, const char *content, size_t len)
{
	CHECK(ctx == &ev_log);
	buf_printf(&ev_log, "message %u %u %zu\n", (unsigned)uid, (unsigned)flags, len);
	CHECK(got.n < GOT_MAX);
	if (got.n >= GOT_MAX)
		return;
	got.content[got.n] = xstrndup(content, len);
	got.len[got.n++] = len;
}

static void on_flags(void *ctx, uint32_t uid, uint32_t flags)
{
	CHECK(ctx == &ev_log);
	buf_printf(&ev_log, "flags %u %u\n", (unsigned)uid, (unsigned)flags);
}

static void on_expunged(void *ctx, uint32_t uid)
{
	CHECK(ctx == &ev_log);
	buf_printf(&ev_log, "expunged %u\n", (unsigned)uid);
}

static const struct imap_client_events events = {
	.folder = on_folder,
	.reset = on_reset,
	.message = on_message,
	.flags = on_flags,
	.expunged = on_expunged,
};

#define SEEN IMAP_FLAG_SEEN
#define FLAGGED IMAP_FLAG_FLAGGED

#define CAPS "IMAP4rev1 LITERAL+ UIDPLUS MOVE IDLE SPECIAL-USE"
#define GREETING "* OK [CAPABILITY " CAPS "] imap.uea.edu.br IMAP4rev1 ready\r\n"
#define GREETING_PLAIN "* OK [CAPABILITY IMAP4rev1 UIDPLUS IDLE] ready\r\n"
#define LOGIN "a0001 LOGIN \"bob\" \"bob123\"\r\n"

#define MSG1 "From: alice@uea.edu.br\r\nSubject: one\r\n\r\nHello Bob.\r\n"
#define MSG2 "Subject: two\r\n\r\na0009 OK looks tagged\r\n* 1 EXPUNGE\r\n)\r\n"
/* the literals announce exact sizes */
#define MSG1_LEN "52"
#define MSG2_LEN "55"

static struct imap_client *client(const struct imap_client_config *base, enum imap_task task)
{
	struct imap_client_config cfg = *base;
	cfg.user = "bob";
	cfg.password = "bob123";
	cfg.task = task;
	log_reset();
	return imap_client_new(&cfg, &events, &ev_log);
}

/* Greeting and login, up to the first command of the task. */
static struct imap_client *logged_in(const struct imap_client_config *base,
				     enum imap_task task, const char *greeting,
				     const char *first)
{
	struct imap_client *c = client(base, task);
	CHECK_STR(said(c, greeting), LOGIN);
	CHECK_STR(said(c, "a0001 OK LOGIN completed\r\n"), first);
	return c;
}

#define SELECT_REPLY(tag, exists, validity)                                      \
	"* " exists " EXISTS\r\n* 0 RECENT\r\n"                                  \
	"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"            \
	"* OK [UIDVALIDITY " validity "] UIDs valid\r\n"                         \
	"* OK [UIDNEXT 10] Predicted next UID\r\n" tag                           \
	" OK [READ-WRITE] SELECT completed\r\n"

static void logout_and_done(struct imap_client *c, const char *tag)
{
	char bye[64];
	snprintf(bye, sizeof bye, "* BYE logging out\r\n%s OK LOGOUT completed\r\n", tag);
	CHECK_STR(said(c, bye), "");
	CHECK(imap_client_done(c));
	CHECK_STR(imap_client_state_name(c), "DONE");
}

/* ----------------------------------------------------------- SYNC */

#define LIST_REPLY                                                   \
	"* LIST (\\HasNoChildren) \"/\" INBOX\r\n"                   \
	"* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"             \
	"* LIST (\\HasNoChildren \\Trash) \"/\" \"Deleted Items\"\r\n" \
	"* LIST (\\HasChildren) \"/\" {4}\r\nWork\r\n"               \
	"a0002 OK LIST completed\r\n"

#define RESYNC_2 "* 1 FETCH (UID 4 FLAGS (\\Seen))\r\n" \
		 "* 2 FETCH (UID 5 FLAGS ())\r\n"       \
		 "a0004 OK FETCH completed\r\n"

#define DOWNLOAD_2                                                               \
	"* 1 FETCH (UID 4 FLAGS (\\Seen) BODY[] {" MSG1_LEN "}\r\n" MSG1 ")\r\n" \
	"* 2 FETCH (UID 5 FLAGS () BODY[] {" MSG2_LEN "}\r\n" MSG2 ")\r\n"       \
	"a0005 OK FETCH completed\r\n"

static void test_sync_empty_device(void)
{
	CHECK_INT(strlen(MSG1), atoi(MSG1_LEN));
	CHECK_INT(strlen(MSG2), atoi(MSG2_LEN));
	struct imap_client_config cfg = {0};
	struct imap_client *c = client(&cfg, IMAP_TASK_SYNC);
	CHECK_STR(imap_client_state_name(c), "GREETING");
	CHECK_STR(said(c, GREETING), LOGIN);
	CHECK_STR(imap_client_state_name(c), "LOGIN");
	CHECK_STR(said(c, "a0001 OK [CAPABILITY " CAPS "] LOGIN completed\r\n"),
		  "a0002 LIST \"\" \"*\"\r\n");
	CHECK_STR(said(c, LIST_REPLY), "a0003 SELECT INBOX\r\n");
	CHECK_STR(log_text(), "folder INBOX \n"
			      "folder Sent \\Sent\n"
			      "folder Deleted Items \\Trash\n"
			      "folder Work \n");
	buf_clear(&ev_log);
	CHECK_STR(said(c, SELECT_REPLY("a0003", "2", "7")), "a0004 UID FETCH 1:* (UID FLAGS)\r\n");
	CHECK_STR(log_text(), "reset 7\n");
	CHECK_STR(imap_client_state_name(c), "RESYNC");
	CHECK_STR(said(c, RESYNC_2), "a0005 UID FETCH 4:5 (UID FLAGS BODY.PEEK[])\r\n");
	CHECK_STR(imap_client_state_name(c), "DOWNLOAD");
	CHECK_STR(said(c, DOWNLOAD_2), "a0006 LOGOUT\r\n");
	CHECK_STR(log_text(), "reset 7\n"
			      "message 4 1 " MSG1_LEN "\n"
			      "message 5 0 " MSG2_LEN "\n");
	CHECK_INT(got.n, 2);
	CHECK_STR(got.content[0], MSG1);
	CHECK_STR(got.content[1], MSG2);
	CHECK_STR(imap_client_state_name(c), "LOGOUT");
	CHECK(!imap_client_done(c));
	logout_and_done(c, "a0006");
	CHECK(imap_client_error(c) == NULL);
	/* once done, the client neither listens nor talks */
	CHECK_STR(said(c, "* 3 EXISTS\r\n"), "");
	imap_client_free(c);
}

static void test_sync_with_known_view(void)
{
	const struct imap_known known[] = {{3, SEEN}, {4, 0}, {6, 0}};
	struct imap_client_config cfg = {.uidvalidity = 7, .known = known, .nknown = 3};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_SYNC, GREETING, "a0002 LIST \"\" \"*\"\r\n");
	CHECK_STR(said(c, "a0002 OK LIST completed\r\n"), "a0003 SELECT INBOX\r\n");
	CHECK_STR(said(c, SELECT_REPLY("a0003", "3", "7")), "a0004 UID FETCH 1:* (UID FLAGS)\r\n");
	CHECK_STR(log_text(), ""); /* same UIDVALIDITY: no reset */
	CHECK_STR(said(c, "* 1 FETCH (UID 4 FLAGS (\\Seen \\Flagged \\Recent))\r\n"
			  "* 2 FETCH (UID 6 FLAGS ())\r\n"
			  "* 3 FETCH (UID 8 FLAGS (\\Seen))\r\n"
			  "a0004 OK FETCH completed\r\n"),
		  "a0005 UID FETCH 8 (UID FLAGS BODY.PEEK[])\r\n");
	CHECK_STR(log_text(), "flags 4 5\nexpunged 3\n");
	CHECK_STR(said(c, "* 3 FETCH (UID 8 FLAGS (\\Seen) BODY[] {" MSG1_LEN "}\r\n" MSG1 ")\r\n"
			  "a0005 OK FETCH completed\r\n"),
		  "a0006 LOGOUT\r\n");
	CHECK_STR(log_text(), "flags 4 5\nexpunged 3\nmessage 8 1 " MSG1_LEN "\n");
	logout_and_done(c, "a0006");
	CHECK(imap_client_error(c) == NULL);
	imap_client_free(c);
}

/* Nothing new, nothing gone: straight from the resync to LOGOUT. */
static void test_sync_nothing_new(void)
{
	const struct imap_known known[] = {{4, SEEN}, {5, 0}};
	struct imap_client_config cfg = {.uidvalidity = 7, .known = known, .nknown = 2};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_SYNC, GREETING, "a0002 LIST \"\" \"*\"\r\n");
	said(c, "a0002 OK\r\n");
	said(c, SELECT_REPLY("a0003", "2", "7"));
	CHECK_STR(said(c, RESYNC_2), "a0005 LOGOUT\r\n");
	CHECK_STR(log_text(), "");
	logout_and_done(c, "a0005");
	imap_client_free(c);
}

static void test_uidvalidity_changed(void)
{
	const struct imap_known known[] = {{3, SEEN}, {4, 0}};
	struct imap_client_config cfg = {.uidvalidity = 7, .known = known, .nknown = 2};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_SYNC, GREETING, "a0002 LIST \"\" \"*\"\r\n");
	said(c, "a0002 OK LIST completed\r\n");
	CHECK_STR(said(c, SELECT_REPLY("a0003", "2", "9")), "a0004 UID FETCH 1:* (UID FLAGS)\r\n");
	CHECK_STR(log_text(), "reset 9\n");
	/* UIDs 4 and 5 of the new view are not the old 4: all downloaded,
	 * and nothing of the old view is reported expunged */
	CHECK_STR(said(c, RESYNC_2), "a0005 UID FETCH 4:5 (UID FLAGS BODY.PEEK[])\r\n");
	CHECK_STR(said(c, DOWNLOAD_2), "a0006 LOGOUT\r\n");
	CHECK_STR(log_text(), "reset 9\nmessage 4 1 " MSG1_LEN "\nmessage 5 0 " MSG2_LEN "\n");
	logout_and_done(c, "a0006");
	imap_client_free(c);
}

/* Wanted UIDs go out as ranges: 2,4:6,9. */
static void test_download_set(void)
{
	struct imap_client_config cfg = {.uidvalidity = 7};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_SYNC, GREETING, "a0002 LIST \"\" \"*\"\r\n");
	said(c, "a0002 OK\r\n");
	said(c, SELECT_REPLY("a0003", "5", "7"));
	CHECK_STR(said(c, "* 1 FETCH (UID 2 FLAGS ())\r\n* 2 FETCH (UID 4 FLAGS ())\r\n"
			  "* 3 FETCH (FLAGS () UID 5)\r\n* 4 FETCH (UID 6 FLAGS ())\r\n"
			  "* 5 FETCH (UID 9 FLAGS () RFC822.SIZE 100)\r\na0004 OK\r\n"),
		  "a0005 UID FETCH 2,4:6,9 (UID FLAGS BODY.PEEK[])\r\n");
	imap_client_free(c);
}

/* ----------------------------------------------------------- OPEN */

static void test_open_idle_and_pushed_news(void)
{
	const struct imap_known known[] = {{2, 0}, {3, 0}, {5, SEEN}};
	struct imap_client_config cfg = {.uidvalidity = 7, .known = known, .nknown = 3};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_OPEN, GREETING, "a0002 SELECT INBOX\r\n");
	CHECK_STR(said(c, SELECT_REPLY("a0002", "3", "7")), "a0003 UID FETCH 1:* (UID FLAGS)\r\n");
	CHECK_STR(said(c, "* 1 FETCH (UID 2 FLAGS ())\r\n* 2 FETCH (UID 3 FLAGS ())\r\n"
			  "* 3 FETCH (UID 5 FLAGS (\\Seen))\r\na0003 OK FETCH completed\r\n"),
		  "a0004 IDLE\r\n");
	CHECK_STR(imap_client_state_name(c), "IDLE");
	CHECK(!imap_client_idling(c));
	CHECK_STR(said(c, "+ idling\r\n"), "");
	CHECK(imap_client_idling(c));
	CHECK_STR(imap_client_state_name(c), "IDLING");

	/* new mail: leave IDLE, fetch what is above UID 5, IDLE again */
	CHECK_STR(said(c, "* 4 EXISTS\r\n* 1 RECENT\r\n"), "DONE\r\n");
	CHECK_STR(imap_client_state_name(c), "IDLE_DONE");
	CHECK_STR(said(c, "a0004 OK IDLE terminated\r\n"),
		  "a0005 UID FETCH 6:* (UID FLAGS BODY.PEEK[])\r\n");
	CHECK_STR(said(c, "* 4 FETCH (UID 6 FLAGS () BODY[] {" MSG1_LEN "}\r\n" MSG1 ")\r\n"
			  "a0005 OK FETCH completed\r\n"),
		  "a0006 IDLE\r\n");
	CHECK_STR(log_text(), "message 6 0 " MSG1_LEN "\n");
	CHECK_STR(got.content[0], MSG1);
	CHECK_STR(said(c, "+ idling\r\n"), "");
	buf_clear(&ev_log);

	/* the view is 2 3 5 6: "* 1 EXPUNGE" is UID 2, and then "* 2
	 * EXPUNGE" is UID 5 (message 2 is the old message 3) */
	CHECK_STR(said(c, "* 1 EXPUNGE\r\n"), "");
	CHECK_STR(said(c, "* 2 EXPUNGE\r\n"), "");
	CHECK_STR(log_text(), "expunged 2\nexpunged 5\n");
	/* the view is 3 6: message 2 is UID 6 */
	CHECK_STR(said(c, "* 2 FETCH (FLAGS (\\Seen \\Flagged))\r\n"), "");
	CHECK_STR(said(c, "* 1 FETCH (UID 3 FLAGS (\\Answered))\r\n"), "");
	CHECK_STR(log_text(), "expunged 2\nexpunged 5\nflags 6 5\nflags 3 2\n");
	CHECK(imap_client_idling(c));

	/* close: DONE, then LOGOUT after IDLE's OK */
	CHECK_STR(closed(c), "DONE\r\n");
	CHECK(!imap_client_idling(c));
	CHECK_STR(said(c, "a0006 OK IDLE terminated\r\n"), "a0007 LOGOUT\r\n");
	CHECK_STR(closed(c), "");
	logout_and_done(c, "a0007");
	CHECK(imap_client_error(c) == NULL);
	imap_client_free(c);
}

/* Untagged news arrives outside IDLE too, in any phase. */
static void test_open_news_before_idle(void)
{
	const struct imap_known known[] = {{2, 0}};
	struct imap_client_config cfg = {.uidvalidity = 7, .known = known, .nknown = 1};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_OPEN, GREETING, "a0002 SELECT INBOX\r\n");
	said(c, SELECT_REPLY("a0002", "1", "7"));
	/* a message arrives while the resync runs */
	CHECK_STR(said(c, "* 1 FETCH (UID 2 FLAGS ())\r\n* 2 EXISTS\r\na0003 OK\r\n"),
		  "a0004 UID FETCH 3:* (UID FLAGS BODY.PEEK[])\r\n");
	/* and another while the client enters IDLE */
	CHECK_STR(said(c, "* 2 FETCH (UID 3 BODY[] {" MSG1_LEN "}\r\n" MSG1 " FLAGS ())\r\n"
			  "a0004 OK\r\n"),
		  "a0005 IDLE\r\n");
	CHECK_STR(said(c, "* 3 EXISTS\r\n"), "");
	CHECK_STR(said(c, "+ idling\r\n"), "DONE\r\n");
	CHECK_STR(said(c, "a0005 OK\r\n"), "a0006 UID FETCH 4:* (UID FLAGS BODY.PEEK[])\r\n");
	/* "4:*" with nothing above 3 returns UID 3 again: not downloaded twice */
	CHECK_STR(said(c, "* 3 FETCH (UID 4 FLAGS () BODY[] {2}\r\nhi)\r\n* 2 FETCH (UID 3 FLAGS ())\r\n"
			  "a0006 OK\r\n"),
		  "a0007 IDLE\r\n");
	CHECK_STR(log_text(), "message 3 0 " MSG1_LEN "\nmessage 4 0 2\n");
	/* close before the "+": DONE as soon as it comes */
	CHECK_STR(closed(c), "");
	CHECK_STR(said(c, "+ idling\r\n"), "DONE\r\n");
	CHECK_STR(said(c, "a0007 OK\r\n"), "a0008 LOGOUT\r\n");
	logout_and_done(c, "a0008");
	imap_client_free(c);
}

/* ---------------------------------------------- one-message tasks */

static void test_store_add_and_remove(void)
{
	const struct imap_known known[] = {{7, 0}};
	struct imap_client_config cfg = {.uidvalidity = 7, .known = known, .nknown = 1,
					 .uid = 7, .flag = "\\Seen", .add = true};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_STORE, GREETING, "a0002 SELECT INBOX\r\n");
	CHECK_STR(said(c, SELECT_REPLY("a0002", "3", "7")), "a0003 UID STORE 7 +FLAGS (\\Seen)\r\n");
	CHECK_STR(imap_client_state_name(c), "STORE");
	CHECK_STR(said(c, "* 3 FETCH (UID 7 FLAGS (\\Seen))\r\na0003 OK STORE completed\r\n"),
		  "a0004 LOGOUT\r\n");
	CHECK_STR(log_text(), "flags 7 1\n");
	logout_and_done(c, "a0004");
	CHECK(imap_client_error(c) == NULL);
	imap_client_free(c);

	/* -FLAGS of a keyword, from a device that passes no view */
	cfg = (struct imap_client_config){.uidvalidity = 7, .uid = 9, .flag = "$Label1"};
	c = logged_in(&cfg, IMAP_TASK_STORE, GREETING, "a0002 SELECT INBOX\r\n");
	CHECK_STR(said(c, SELECT_REPLY("a0002", "3", "7")), "a0003 UID STORE 9 -FLAGS ($Label1)\r\n");
	CHECK_STR(said(c, "* 2 FETCH (FLAGS (\\Seen) UID 9)\r\na0003 OK\r\n"), "a0004 LOGOUT\r\n");
	CHECK_STR(log_text(), "flags 9 1\n");
	imap_client_free(c);
}

/* The UID of a STORE means nothing under a new UIDVALIDITY. */
static void test_store_uidvalidity_changed(void)
{
	struct imap_client_config cfg = {.uidvalidity = 7, .uid = 7, .flag = "\\Seen", .add = true};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_STORE, GREETING, "a0002 SELECT INBOX\r\n");
	CHECK_STR(said(c, SELECT_REPLY("a0002", "3", "8")), "a0003 LOGOUT\r\n");
	CHECK_STR(log_text(), "reset 8\n");
	CHECK_CONTAINS(imap_client_error(c), "UIDVALIDITY changed");
	imap_client_free(c);
}

static void test_store_bad_flag(void)
{
	struct imap_client_config cfg = {.uidvalidity = 7, .uid = 7, .flag = "\\Seen) (x", .add = true};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_STORE, GREETING, "a0002 SELECT INBOX\r\n");
	CHECK_STR(said(c, SELECT_REPLY("a0002", "3", "7")), "a0003 LOGOUT\r\n");
	CHECK_CONTAINS(imap_client_error(c), "flag cannot be sent");
	imap_client_free(c);
}

static void test_create(void)
{
	struct imap_client_config cfg = {.folder = "Work"};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_CREATE, GREETING, "a0002 CREATE Work\r\n");
	CHECK_STR(said(c, "a0002 OK CREATE completed\r\n"), "a0003 LOGOUT\r\n");
	logout_and_done(c, "a0003");
	CHECK(imap_client_error(c) == NULL);
	imap_client_free(c);

	cfg.folder = "Old Mail";
	c = logged_in(&cfg, IMAP_TASK_CREATE, GREETING, "a0002 CREATE \"Old Mail\"\r\n");
	CHECK_STR(said(c, "a0002 NO [ALREADYEXISTS] Mailbox already exists\r\n"), "a0003 LOGOUT\r\n");
	CHECK_STR(imap_client_error(c), "a0002 NO [ALREADYEXISTS] Mailbox already exists");
	/* the first error is kept */
	CHECK_STR(said(c, "a0003 BAD what\r\n"), "");
	CHECK(imap_client_done(c));
	CHECK_STR(imap_client_error(c), "a0002 NO [ALREADYEXISTS] Mailbox already exists");
	imap_client_free(c);
}

static void test_move_with_capability(void)
{
	struct imap_client_config cfg = {.uidvalidity = 7, .uid = 7, .folder = "Archive"};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_MOVE, GREETING, "a0002 SELECT INBOX\r\n");
	CHECK_STR(said(c, SELECT_REPLY("a0002", "3", "7")), "a0003 UID MOVE 7 Archive\r\n");
	CHECK_STR(imap_client_state_name(c), "MOVE");
	CHECK_STR(said(c, "* OK [COPYUID 3 7 12] moved\r\n* 3 EXPUNGE\r\n"
			  "a0003 OK MOVE completed\r\n"),
		  "a0004 LOGOUT\r\n");
	CHECK_STR(log_text(), "expunged 7\n");
	logout_and_done(c, "a0004");
	CHECK(imap_client_error(c) == NULL);
	imap_client_free(c);

	/* into a folder that does not exist */
	c = logged_in(&cfg, IMAP_TASK_MOVE, GREETING, "a0002 SELECT INBOX\r\n");
	said(c, SELECT_REPLY("a0002", "3", "7"));
	CHECK_STR(said(c, "a0003 NO [TRYCREATE] no such folder\r\n"), "a0004 LOGOUT\r\n");
	CHECK_CONTAINS(imap_client_error(c), "TRYCREATE");
	CHECK_STR(log_text(), "");
	imap_client_free(c);
}

static void test_move_fallback(void)
{
	struct imap_client_config cfg = {.uidvalidity = 7, .uid = 7, .folder = "Archive"};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_MOVE, GREETING_PLAIN,
					  "a0002 SELECT INBOX\r\n");
	CHECK_STR(said(c, SELECT_REPLY("a0002", "3", "7")), "a0003 UID COPY 7 Archive\r\n");
	CHECK_STR(imap_client_state_name(c), "COPY");
	CHECK_STR(said(c, "a0003 OK [COPYUID 3 7 12] COPY completed\r\n"),
		  "a0004 UID STORE 7 +FLAGS.SILENT (\\Deleted)\r\n");
	CHECK_STR(said(c, "a0004 OK STORE completed\r\n"), "a0005 UID EXPUNGE 7\r\n");
	/* a FETCH with the UID teaches the view where UID 7 is */
	CHECK_STR(said(c, "* 2 FETCH (UID 7 FLAGS (\\Deleted))\r\n* 2 EXPUNGE\r\n"), "");
	CHECK_STR(log_text(), "flags 7 8\nexpunged 7\n");
	CHECK_STR(said(c, "a0005 OK EXPUNGE completed\r\n"), "a0006 LOGOUT\r\n");
	CHECK_STR(log_text(), "flags 7 8\nexpunged 7\n"); /* not twice */
	logout_and_done(c, "a0006");
	CHECK(imap_client_error(c) == NULL);
	imap_client_free(c);
}

static void test_delete(void)
{
	const struct imap_known known[] = {{7, SEEN}};
	struct imap_client_config cfg = {.uidvalidity = 7, .known = known, .nknown = 1, .uid = 7};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_DELETE, GREETING, "a0002 SELECT INBOX\r\n");
	CHECK_STR(said(c, SELECT_REPLY("a0002", "3", "7")),
		  "a0003 UID STORE 7 +FLAGS.SILENT (\\Deleted)\r\n");
	CHECK_STR(imap_client_state_name(c), "MARK_DELETED");
	CHECK_STR(said(c, "a0003 OK STORE completed\r\n"), "a0004 UID EXPUNGE 7\r\n");
	CHECK_STR(said(c, "* 3 EXPUNGE\r\na0004 OK EXPUNGE completed\r\n"), "a0005 LOGOUT\r\n");
	CHECK_STR(log_text(), "expunged 7\n");
	logout_and_done(c, "a0005");
	CHECK(imap_client_error(c) == NULL);
	imap_client_free(c);
}

#define SENT "From: bob@uea.edu.br\r\nSubject: hi\r\n\r\nsent\r\n"

static void test_append_sync_literal(void)
{
	struct imap_client_config cfg = {.folder = "Sent", .msg = SENT, .msglen = strlen(SENT)};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_APPEND, GREETING_PLAIN,
					  "a0002 APPEND Sent (\\Seen) {43}\r\n");
	CHECK_INT(strlen(SENT), 43);
	CHECK_STR(imap_client_state_name(c), "APPEND");
	CHECK_STR(said(c, "+ Ready for literal data\r\n"), SENT "\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "octets");
	CHECK_STR(said(c, "a0002 OK [APPENDUID 7 13] APPEND completed\r\n"), "a0003 LOGOUT\r\n");
	CHECK_INT(imap_client_append_uid(c), 13);
	logout_and_done(c, "a0003");
	CHECK(imap_client_error(c) == NULL);
	imap_client_free(c);

	/* refused instead of "+": the command is over */
	c = logged_in(&cfg, IMAP_TASK_APPEND, GREETING_PLAIN, "a0002 APPEND Sent (\\Seen) {43}\r\n");
	CHECK_STR(said(c, "a0002 NO [OVERQUOTA] full\r\n"), "a0003 LOGOUT\r\n");
	CHECK_CONTAINS(imap_client_error(c), "OVERQUOTA");
	CHECK_INT(imap_client_append_uid(c), 0);
	imap_client_free(c);
}

static void test_append_literal_plus(void)
{
	struct imap_client_config cfg = {.folder = "Sent", .msg = SENT, .msglen = strlen(SENT)};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_APPEND, GREETING,
					  "a0002 APPEND Sent (\\Seen) {43+}\r\n" SENT "\r\n");
	CHECK_STR(said(c, "a0002 OK [APPENDUID 7 14] APPEND completed\r\n"), "a0003 LOGOUT\r\n");
	CHECK_INT(imap_client_append_uid(c), 14);
	logout_and_done(c, "a0003");
	imap_client_free(c);
}

/* ------------------------------------------------------ login, errors */

static void test_login_failure(void)
{
	struct imap_client_config cfg = {0};
	struct imap_client *c = client(&cfg, IMAP_TASK_SYNC);
	CHECK_STR(said(c, GREETING), LOGIN);
	CHECK_STR(said(c, "a0001 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n"),
		  "a0002 LOGOUT\r\n");
	CHECK_STR(imap_client_error(c), "a0001 NO [AUTHENTICATIONFAILED] Invalid credentials");
	logout_and_done(c, "a0002");
	CHECK_STR(log_text(), "");
	imap_client_free(c);
}

/* A password with a quote goes as a literal: "{n}", wait for "+". */
static void test_login_literal(void)
{
	struct imap_client_config cfg = {.user = "bob", .password = "p\"w\\d", .task = IMAP_TASK_CREATE,
					 .folder = "X"};
	log_reset();
	struct imap_client *c = imap_client_new(&cfg, &events, &ev_log);
	CHECK_STR(said(c, GREETING_PLAIN), "a0001 LOGIN \"bob\" {5}\r\n");
	CHECK_STR(said(c, "+ go on\r\n"), "p\"w\\d\r\n");
	CHECK_STR(said(c, "a0001 OK\r\n"), "a0002 CREATE X\r\n");
	imap_client_free(c);
	/* with LITERAL+, at once */
	c = imap_client_new(&cfg, &events, &ev_log);
	CHECK_STR(said(c, GREETING), "a0001 LOGIN \"bob\" {5+}\r\np\"w\\d\r\n");
	imap_client_free(c);
}

static void test_bye_greeting(void)
{
	struct imap_client_config cfg = {0};
	struct imap_client *c = client(&cfg, IMAP_TASK_SYNC);
	CHECK_STR(said(c, "* BYE too many connections\r\n"), "");
	CHECK(imap_client_done(c));
	CHECK_STR(imap_client_error(c), "* BYE too many connections");
	imap_client_free(c);
}

static void test_garbage(void)
{
	struct imap_client_config cfg = {0};
	const char *bad_greetings[] = {
		"HTTP/1.1 400 Bad Request\r\n", "+OK POP3 ready\r\n", "* NO go away\r\n",
		"a0001 OK\r\n", "+ \r\n", "\r\n", "* 1 EXISTS\r\n",
	};
	for (size_t i = 0; i < sizeof bad_greetings / sizeof *bad_greetings; i++) {
		struct imap_client *c = client(&cfg, IMAP_TASK_SYNC);
		CHECK_STR(said(c, bad_greetings[i]), "");
		CHECK(imap_client_done(c));
		CHECK_CONTAINS(imap_client_error(c), "client: protocol error");
		imap_client_free(c);
	}

	/* mid-session: garbage of many shapes, each ending the session */
	const char *bad[] = {
		"a0009 OK\r\n",                           /* not the current tag */
		"a0003 MAYBE\r\n",                        /* no status */
		"* 9 FETCH (UID 1 FLAGS ())\r\n",         /* no such message */
		"* 0 EXPUNGE\r\n",
		"* 1 FETCH (UID 1 FLAGS (\\Seen)\r\n",    /* unclosed */
		"* 1 FETCH (UID x)\r\n",
		"* 1 FETCH (BODY[] {3}\r\nabc\r\n",       /* unclosed after a literal */
		"* 1 FETCH (BODY[ {2}\r\nab)\r\n",
		"* 1 FETCH (UID 99999999999 FLAGS ())\r\n",
		"* 1 FETCH UID 1\r\n",
		"* 1\r\n",
		"* \r\n",
		"*\r\n",
		"+ what\r\n",                            /* nothing to continue */
		"* 1 EXISTS\r\n* 2 FETCH (X (((((((((((((((((((((((((((((((((((((1))))))))))))))"
		"))))))))))))))))))))))))\r\n",
		"* 4000000000 EXISTS\r\n",
		"* 1 FETCH (UID 2 FLAGS ()) extra\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct imap_client *c = logged_in(&cfg, IMAP_TASK_SYNC, GREETING,
						  "a0002 LIST \"\" \"*\"\r\n");
		said(c, "a0002 OK\r\n");
		said(c, SELECT_REPLY("a0003", "1", "7"));
		CHECK_STR(said(c, bad[i]), "");
		CHECK(imap_client_done(c));
		CHECK_CONTAINS(imap_client_error(c), "client: protocol error");
		if (!imap_client_done(c))
			fprintf(stderr, "  case %zu\n", i);
		imap_client_free(c);
	}
}

/* An announced literal over the limit stops the client before it grows. */
static void test_huge_literal(void)
{
	struct imap_client_config cfg = {0};
	struct imap_client *c = logged_in(&cfg, IMAP_TASK_SYNC, GREETING, "a0002 LIST \"\" \"*\"\r\n");
	CHECK_STR(said(c, "* LIST () \"/\" {9999999999}\r\n"), "");
	CHECK(imap_client_done(c));
	CHECK_CONTAINS(imap_client_error(c), "literal larger");
	imap_client_free(c);

	c = logged_in(&cfg, IMAP_TASK_SYNC, GREETING, "a0002 LIST \"\" \"*\"\r\n");
	struct buf big;
	buf_init(&big);
	buf_adds(&big, "* OK ");
	for (int i = 0; i < 70000; i++)
		buf_addc(&big, 'x');
	CHECK_STR(said(c, big.p), "");
	CHECK(imap_client_done(c));
	CHECK_CONTAINS(imap_client_error(c), "line longer");
	buf_free(&big);
	imap_client_free(c);
}

/* The empty-device SYNC again, every byte fed on its own: lines and
 * literals split everywhere, a "\r" apart from its "\n". */
static void test_bytewise(void)
{
	struct imap_client_config cfg = {0};
	struct imap_client *c = client(&cfg, IMAP_TASK_SYNC);
	CHECK_STR(said_bytewise(c, GREETING), LOGIN);
	CHECK_STR(said_bytewise(c, "a0001 OK\r\n"), "a0002 LIST \"\" \"*\"\r\n");
	CHECK_STR(said_bytewise(c, LIST_REPLY), "a0003 SELECT INBOX\r\n");
	CHECK_STR(said_bytewise(c, SELECT_REPLY("a0003", "2", "7")),
		  "a0004 UID FETCH 1:* (UID FLAGS)\r\n");
	CHECK_STR(said_bytewise(c, RESYNC_2), "a0005 UID FETCH 4:5 (UID FLAGS BODY.PEEK[])\r\n");
	CHECK_STR(said_bytewise(c, DOWNLOAD_2), "a0006 LOGOUT\r\n");
	CHECK_STR(said_bytewise(c, "* BYE\r\na0006 OK\r\n"), "");
	CHECK(imap_client_done(c));
	CHECK(imap_client_error(c) == NULL);
	CHECK_STR(log_text(), "folder INBOX \nfolder Sent \\Sent\nfolder Deleted Items \\Trash\n"
			      "folder Work \nreset 7\nmessage 4 1 " MSG1_LEN "\nmessage 5 0 "
			      MSG2_LEN "\n");
	CHECK_STR(got.content[0], MSG1);
	CHECK_STR(got.content[1], MSG2);
	imap_client_free(c);
}

/* LF alone ends a line too; a literal keeps its bytes exactly (a CR at
 * its end is content, not a line end). */
static void test_lf_only(void)
{
	struct imap_client_config cfg = {.uidvalidity = 7};
	struct imap_client *c = client(&cfg, IMAP_TASK_SYNC);
	CHECK_STR(said(c, "* OK ready\n"), LOGIN);
	CHECK_STR(said(c, "a0001 OK\n"), "a0002 LIST \"\" \"*\"\r\n");
	CHECK_STR(said(c, "* LIST () \"/\" INBOX\na0002 OK\n"), "a0003 SELECT INBOX\r\n");
	CHECK_STR(said(c, "* 1 EXISTS\n* OK [UIDVALIDITY 7]\na0003 OK\n"),
		  "a0004 UID FETCH 1:* (UID FLAGS)\r\n");
	CHECK_STR(said(c, "* 1 FETCH (UID 1 FLAGS ())\na0004 OK\n"),
		  "a0005 UID FETCH 1 (UID FLAGS BODY.PEEK[])\r\n");
	CHECK_STR(said(c, "* 1 FETCH (UID 1 BODY[] {4}\na\nb\r)\na0005 OK\n"), "a0006 LOGOUT\r\n");
	CHECK_STR(got.content[0], "a\nb\r");
	CHECK_STR(said(c, "a0006 OK\n"), "");
	CHECK(imap_client_done(c));
	CHECK(imap_client_error(c) == NULL);
	imap_client_free(c);
}

static void test_teaching_notes(void)
{
	struct imap_client_config cfg = {0};
	struct imap_client *c = client(&cfg, IMAP_TASK_OPEN);
	said(c, GREETING);
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "LOGIN");
	said(c, "a0001 OK\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "UIDVALIDITY");
	said(c, SELECT_REPLY("a0002", "1", "7"));
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "stays in step");
	said(c, "* 1 FETCH (UID 1 FLAGS ())\r\na0003 OK\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "PEEK");
	said(c, "* 1 FETCH (UID 1 FLAGS () BODY[] {2}\r\nhi)\r\na0004 OK\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "RFC 2177");
	said(c, "+ idling\r\n");
	closed(c);
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "DONE");
	said(c, "a0005 OK\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "LOGOUT");
	imap_client_free(c);

	struct imap_client_config app = {.folder = "Sent", .msg = "x", .msglen = 1};
	c = logged_in(&app, IMAP_TASK_APPEND, GREETING, "a0002 APPEND Sent (\\Seen) {1+}\r\nx\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "Sent folder");
	imap_client_free(c);
}

/* Closing at other moments; abort; no config, no events. */
static void test_close_and_abort(void)
{
	struct imap_client_config cfg = {0};
	struct imap_client *c = client(&cfg, IMAP_TASK_OPEN);
	CHECK_STR(closed(c), "");
	CHECK(imap_client_done(c));
	imap_client_free(c);

	/* while the resync runs: LOGOUT when it ends */
	c = logged_in(&cfg, IMAP_TASK_OPEN, GREETING, "a0002 SELECT INBOX\r\n");
	CHECK_STR(closed(c), "");
	CHECK_STR(said(c, SELECT_REPLY("a0002", "0", "7")), "a0003 LOGOUT\r\n");
	CHECK_STR(said(c, "a0003 OK\r\n"), "");
	CHECK(imap_client_done(c));
	imap_client_free(c);

	c = logged_in(&cfg, IMAP_TASK_OPEN, GREETING, "a0002 SELECT INBOX\r\n");
	imap_client_abort(c, "connection reset");
	CHECK(imap_client_done(c));
	CHECK_STR(imap_client_error(c), "connection reset");
	imap_client_free(c);

	/* the server hangs up in the middle */
	c = logged_in(&cfg, IMAP_TASK_OPEN, GREETING, "a0002 SELECT INBOX\r\n");
	CHECK_STR(said(c, "* BYE shutting down\r\n"), "");
	CHECK(imap_client_done(c));
	CHECK_STR(imap_client_error(c), "* BYE shutting down");
	imap_client_free(c);

	c = imap_client_new(NULL, NULL, NULL);
	CHECK_STR(said(c, "* PREAUTH hi\r\n"), "a0001 LIST \"\" \"*\"\r\n");
	said(c, "* LIST () NIL INBOX\r\na0001 OK\r\n");
	said(c, SELECT_REPLY("a0002", "1", "3"));
	CHECK_STR(said(c, "* 1 FETCH (UID 1 FLAGS ())\r\na0003 OK\r\n"),
		  "a0004 UID FETCH 1 (UID FLAGS BODY.PEEK[])\r\n");
	CHECK_STR(said(c, "* 1 FETCH (UID 1 BODY[] NIL)\r\na0004 OK\r\n"), "a0005 LOGOUT\r\n");
	imap_client_free(c);
	imap_client_free(NULL);
}

/* ----------------------------------------------------------- raw sessions */

#define COMPLETE(tag, s) imap_response_complete(tag, s, strlen(s))

static void test_response_complete(void)
{
	/* the greeting: one untagged line */
	CHECK_INT(COMPLETE(NULL, ""), 0);
	CHECK_INT(COMPLETE(NULL, "* OK ready"), 0);
	CHECK_INT(COMPLETE(NULL, "* OK ready\r"), 0);
	CHECK_INT(COMPLETE(NULL, "* OK ready\r\n"), 12);
	CHECK_INT(COMPLETE(NULL, "* OK ready\r\n* more\r\n"), 12);
	CHECK_INT(COMPLETE(NULL, "* PREAUTH x\n"), 12);

	/* tagged */
	CHECK_INT(COMPLETE("a1", "a1 OK done\r\n"), 12);
	CHECK_INT(COMPLETE("a1", "* 2 EXISTS\r\na1 OK done\r\nx"), 24);
	CHECK_INT(COMPLETE("a1", "* 2 EXISTS\r\na1 OK done"), 0);
	CHECK_INT(COMPLETE("a1", "a10 OK other\r\n"), 0);
	CHECK_INT(COMPLETE("a1", "* a1 OK\r\n"), 0);
	CHECK_INT(COMPLETE("a1 SELECT INBOX\r\n", "a1 OK\r\n"), 7); /* the whole command */
	CHECK_INT(COMPLETE("a1", "a1 NO [TRYCREATE] no\n"), 21);

	/* continuation */
	CHECK_INT(COMPLETE("a2", "+ Ready for literal data\r\n"), 26);
	CHECK_INT(COMPLETE("a2", "* 3 EXISTS\r\n+ idling\r\n"), 22);
	CHECK_INT(COMPLETE("DONE", "* 3 EXISTS\r\na2 OK IDLE terminated\r\n"), 35);

	/* a literal holding what looks like the tagged line */
	const char *lit = "* 1 FETCH (BODY[] {17}\r\na3 OK not really\r\n)\r\na3 OK done\r\n";
	CHECK_INT(COMPLETE("a3", lit), strlen(lit));
	CHECK_INT(COMPLETE("a3", "* 1 FETCH (BODY[] {17}\r\na3 OK not really\r\n)\r\n"), 0);
	CHECK_INT(COMPLETE("a3", "* 1 FETCH (BODY[] {17}\r\na3 OK not"), 0);
	/* two literals in one response, the second empty */
	const char *two = "* 1 FETCH (BODY[1] {3}\r\n+ x BODY[2] {0}\r\n)\r\na3 OK\r\n";
	CHECK_INT(COMPLETE("a3", two), strlen(two));
	/* the greeting with a literal in it */
	const char *greet_lit = "* OK {7}\r\na1 OK\r\n\r\n";
	CHECK_INT(COMPLETE(NULL, greet_lit), strlen(greet_lit));
}

/* ------------------------------------------------- STARTTLS (RFC 3501 6.2.1) */

#define GREETING_TLS "* OK [CAPABILITY IMAP4rev1 LITERAL+ STARTTLS LOGINDISABLED] ready\r\n"

/* STARTTLS, the handshake, CAPABILITY again, then LOGIN. */
static void test_starttls_sequence(void)
{
	struct imap_client_config base = {.starttls = true, .folder = "Work"};
	struct imap_client *c = client(&base, IMAP_TASK_CREATE);
	CHECK_STR(said(c, GREETING_TLS), "a0001 STARTTLS\r\n");
	CHECK_STR(imap_client_state_name(c), "STARTTLS");
	CHECK(!imap_client_tls_pending(c));
	/* a forged line with the OK is never read */
	CHECK_STR(said(c, "a0001 OK Begin TLS negotiation now\r\na0002 OK forged\r\n"), "");
	CHECK(imap_client_tls_pending(c));
	CHECK_STR(imap_client_state_name(c), "TLS");
	wire_clear(&said_wire);
	imap_client_tls_started(c, &said_wire);
	CHECK_STR(said_wire.data.p, "a0002 CAPABILITY\r\n");
	CHECK(wire_note_at(&said_wire, 0) != NULL);
	CHECK(!imap_client_tls_pending(c));
	CHECK_STR(said(c, "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na0002 OK CAPABILITY completed\r\n"),
		  "a0003 LOGIN \"bob\" \"bob123\"\r\n");
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "TLS");
	CHECK_STR(said(c, "a0003 OK LOGIN completed\r\n"), "a0004 CREATE Work\r\n");
	imap_client_free(c);
}

/* No STARTTLS offered, or refused: LOGIN in plaintext, as before; and a
 * server that wants TLS from a client that will not: the client gives up. */
static void test_starttls_opportunistic(void)
{
	struct imap_client_config base = {.starttls = true};
	struct imap_client *c = client(&base, IMAP_TASK_CREATE);
	CHECK_STR(said(c, GREETING_PLAIN), LOGIN);
	CHECK_CONTAINS(wire_note_at(&said_wire, 0), "STARTTLS");
	imap_client_free(c);

	c = client(&base, IMAP_TASK_CREATE);
	said(c, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n");
	CHECK_STR(said(c, "a0001 NO not now\r\n"), "a0002 LOGIN \"bob\" \"bob123\"\r\n");
	CHECK(imap_client_error(c) == NULL);
	imap_client_free(c);

	struct imap_client_config plain = {0};
	c = client(&plain, IMAP_TASK_CREATE);
	CHECK_STR(said(c, GREETING_TLS), "a0001 LOGOUT\r\n");
	CHECK_CONTAINS(imap_client_error(c), "LOGINDISABLED");
	imap_client_free(c);
}

int main(void)
{
	wire_init(&said_wire);
	buf_init(&ev_log);
	RUN(test_sync_empty_device);
	RUN(test_sync_with_known_view);
	RUN(test_sync_nothing_new);
	RUN(test_uidvalidity_changed);
	RUN(test_download_set);
	RUN(test_open_idle_and_pushed_news);
	RUN(test_open_news_before_idle);
	RUN(test_store_add_and_remove);
	RUN(test_store_uidvalidity_changed);
	RUN(test_store_bad_flag);
	RUN(test_create);
	RUN(test_move_with_capability);
	RUN(test_move_fallback);
	RUN(test_delete);
	RUN(test_append_sync_literal);
	RUN(test_append_literal_plus);
	RUN(test_login_failure);
	RUN(test_login_literal);
	RUN(test_bye_greeting);
	RUN(test_garbage);
	RUN(test_huge_literal);
	RUN(test_bytewise);
	RUN(test_lf_only);
	RUN(test_teaching_notes);
	RUN(test_close_and_abort);
	RUN(test_response_complete);
	RUN(test_starttls_sequence);
	RUN(test_starttls_opportunistic);
	log_reset();
	buf_free(&ev_log);
	wire_free(&said_wire);
	return TEST_END();
}
