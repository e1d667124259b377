/*
 * test_store.c - the SQLite store: schema, accounts, folders, messages,
 * nested transactions and a commit that fails, relay queues, devices.
 */
#include "store.h"
#include "test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What store_open says of a database made by a newer mailsim (version 7). */
#define STORE_TEST_STR(x) #x
#define STORE_TEST_XSTR(x) STORE_TEST_STR(x)
#define NEWER_THAN_US "database schema version 7 is newer than this mailsim (" \
	STORE_TEST_XSTR(STORE_SCHEMA_VERSION) ")"

static struct store *open_mem(void)
{
	struct store *st = NULL;
	char err[256];
	if (store_open(&st, NULL, err, sizeof err) != STORE_OK) {
		fprintf(stderr, "store_open: %s\n", err);
		return NULL;
	}
	return st;
}

/* An account with its INBOX id, for tests that need somewhere to deliver. */
static int64_t add_alice(struct store *st, int64_t *inbox)
{
	int64_t id = 0;
	CHECK_INT(store_account_add(st, "alice@example.org", "secret", "Alice", "mx.example.org",
				    &id), STORE_OK);
	CHECK_INT(store_folder_find(st, id, "INBOX", inbox), STORE_OK);
	return id;
}

/* A mkdtemp directory for file databases, and its cleanup. */
static char tmpdir[64];
static char dbpath[128];

static int make_tmpdir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/mailsim-store-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(dbpath, sizeof dbpath, "%s/mail.db", tmpdir);
	return 0;
}

static void remove_tmpdir(void)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char p[160];
	for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
		snprintf(p, sizeof p, "%s%s", dbpath, suffixes[i]);
		unlink(p);
	}
	rmdir(tmpdir);
}

/* PRAGMA user_version (or another single integer) read with plain SQLite. */
static long long sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long long v = -1;
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void test_open_memory(void)
{
	struct store *st = open_mem();
	CHECK(st != NULL);
	CHECK_STR(store_error(st), "");
	int64_t n = -1;
	CHECK_INT(store_queue_count(st, NULL, &n), STORE_OK);
	CHECK_INT(n, 0);
	store_close(st);
	store_close(NULL); /* harmless */
	CHECK_INT(store_open(NULL, NULL, NULL, 0), STORE_ERROR);
}

static void test_file_db(void)
{
	if (make_tmpdir() < 0) {
		CHECK(!"mkdtemp failed");
		return;
	}
	struct store *st = NULL;
	char err[256];
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	int64_t inbox = 0;
	add_alice(st, &inbox);
	uint32_t uid = 0;
	CHECK_INT(store_message_add(st, inbox, "Subject: hi\r\n\r\nbody\r\n", 21, 1000, 0, NULL,
				    &uid), STORE_OK);
	CHECK_INT(uid, 1);
	store_close(st);

	/* The schema version is written, and WAL is on, as plain SQLite sees. */
	CHECK_INT(sql_int(dbpath, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM messages"), 1);

	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	struct store_account a;
	CHECK_INT(store_account_find(st, "alice@example.org", &a), STORE_OK);
	int64_t inbox2 = 0, n = 0;
	CHECK_INT(store_folder_find(st, a.id, "INBOX", &inbox2), STORE_OK);
	CHECK_INT(inbox2, inbox);
	CHECK_INT(store_folder_count(st, inbox2, &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_message_add(st, inbox, "x\r\n", 3, 1001, 0, NULL, &uid), STORE_OK);
	CHECK_INT(uid, 2); /* UIDNEXT survived the reopen */
	CHECK_INT(sql_int(dbpath, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	store_close(st);

	/* A newer schema than this program knows is refused, with the version. */
	sqlite3 *db = NULL;
	CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_ERROR);
	CHECK(st == NULL);
	CHECK_STR(err, NEWER_THAN_US);

	remove_tmpdir();
}

static void test_not_a_database(void)
{
	if (make_tmpdir() < 0) {
		CHECK(!"mkdtemp failed");
		return;
	}
	FILE *f = fopen(dbpath, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("this is not an SQLite database, but it is long enough to look at.\n", f);
		fclose(f);
	}
	struct store *st = NULL;
	char err[256];
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_ERROR);
	CHECK_CONTAINS(err, "not a database");
	remove_tmpdir();
}

static void test_accounts(void)
{
	struct store *st = open_mem();
	int64_t id = 0, id2 = 0;
	CHECK_INT(store_account_add(st, "alice@example.org", "secret", "Alice", "mx.example.org",
				    &id), STORE_OK);
	CHECK(id > 0);
	CHECK_INT(store_account_add(st, "bob@example.net", "pw", NULL, "mx.example.net",
				    &id2), STORE_OK);
	CHECK(id2 != id);

	/* The same address in other case is the same account. */
	CHECK_INT(store_account_add(st, "ALICE@Example.org", "x", "", "mx.example.org", NULL),
		  STORE_EXISTS);
	CHECK_STR(store_error(st), "account ALICE@Example.org already exists");

	struct store_account a;
	CHECK_INT(store_account_find(st, "Alice@EXAMPLE.org", &a), STORE_OK);
	CHECK_INT(a.id, id);
	CHECK_STR(a.address, "alice@example.org");
	CHECK_STR(a.name, "Alice");
	CHECK_STR(a.server, "mx.example.org");
	CHECK_INT(store_account_find(st, "bob@example.net", &a), STORE_OK);
	CHECK_STR(a.name, "");
	CHECK_INT(store_account_find(st, "carol@example.org", &a), STORE_NOT_FOUND);

	CHECK_INT(store_account_auth(st, "alice@example.org", "secret"), STORE_OK);
	CHECK_INT(store_account_auth(st, "ALICE@example.org", "secret"), STORE_OK);
	CHECK_INT(store_account_auth(st, "alice@example.org", "Secret"), STORE_REFUSED);
	CHECK_INT(store_account_auth(st, "alice@example.org", ""), STORE_REFUSED);
	CHECK_INT(store_account_auth(st, "carol@example.org", "secret"), STORE_REFUSED);
	CHECK_INT(store_account_auth(st, "alice@example.org", NULL), STORE_REFUSED);

	/* Bad arguments: -1 with a reason, nothing created. */
	CHECK_INT(store_account_add(st, NULL, "x", "", "mx", NULL), STORE_ERROR);
	CHECK_STR(store_error(st), "address is missing");
	CHECK_INT(store_account_add(st, "", "x", "", "mx", NULL), STORE_ERROR);
	CHECK_INT(store_account_add(st, "dave@example.org", "x", "", NULL, NULL), STORE_ERROR);
	char longaddr[400];
	memset(longaddr, 'a', sizeof longaddr - 1);
	longaddr[sizeof longaddr - 1] = '\0';
	CHECK_INT(store_account_add(st, longaddr, "x", "", "mx", NULL), STORE_ERROR);
	CHECK_INT(store_account_find(st, NULL, &a), STORE_ERROR);
	CHECK_INT(store_account_find(st, "dave@example.org", &a), STORE_NOT_FOUND);
	store_close(st);
}

static void test_default_folders(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, sent = 0, trash = 0, other = 0;
	int64_t acct = add_alice(st, &inbox);
	CHECK_INT(store_folder_find(st, acct, "Sent", &sent), STORE_OK);
	CHECK_INT(store_folder_find(st, acct, "Trash", &trash), STORE_OK);
	CHECK_INT(store_folder_find(st, acct, "inbox", &other), STORE_OK); /* INBOX in any case */
	CHECK_INT(other, inbox);
	CHECK_INT(store_folder_find(st, acct, "sent",
				    &other), STORE_NOT_FOUND);  /* others are exact */
	CHECK_INT(store_folder_find(st, acct, "Drafts", &other), STORE_NOT_FOUND);

	struct store_folder f;
	CHECK_INT(store_folder_get(st, inbox, &f), STORE_OK);
	CHECK_STR(f.name, "INBOX");
	CHECK_STR(f.special_use, "");
	CHECK(f.subscribed);
	CHECK_INT(f.account_id, acct);
	CHECK_INT(f.uidnext, 1);
	CHECK(f.uidvalidity > 0);
	uint32_t v_inbox = f.uidvalidity;
	CHECK_INT(store_folder_get(st, sent, &f), STORE_OK);
	CHECK_STR(f.special_use, "\\Sent");
	CHECK(f.uidvalidity != v_inbox);
	CHECK_INT(store_folder_get(st, trash, &f), STORE_OK);
	CHECK_STR(f.special_use, "\\Trash");
	CHECK(f.subscribed);
	CHECK_INT(store_folder_get(st, 9999, &f), STORE_NOT_FOUND);

	/* Creating: a new one, then the same name again, then bad ones. */
	int64_t work = 0;
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &work), STORE_OK);
	CHECK_INT(store_folder_get(st, work, &f), STORE_OK);
	CHECK_STR(f.name, "Work");
	CHECK(f.uidvalidity > v_inbox);
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, NULL), STORE_EXISTS);
	CHECK_STR(store_error(st), "folder \"Work\" already exists");
	CHECK_INT(store_folder_create(st, acct, "Inbox", NULL, NULL), STORE_EXISTS);
	CHECK_INT(store_folder_create(st, acct, "Drafts", "\\Drafts", NULL), STORE_OK);
	CHECK_INT(store_folder_create(st, acct, "Odd", "\\Bogus", NULL), STORE_ERROR);
	CHECK_CONTAINS(store_error(st), "CHECK constraint failed");
	CHECK_INT(store_folder_create(st, 4242, "Work", NULL, NULL), STORE_ERROR);
	CHECK_STR(store_error(st), "no account 4242");
	CHECK_INT(store_folder_create(st, acct, "", NULL, NULL), STORE_ERROR);
	CHECK_INT(store_folder_create(st, acct, NULL, NULL, NULL), STORE_ERROR);

	/* Another account's INBOX is its own, with its own UIDVALIDITY. */
	int64_t bob = 0, bob_inbox = 0;
	CHECK_INT(store_account_add(st, "bob@example.net", "pw", "Bob", "mx.example.net",
				    &bob), STORE_OK);
	CHECK_INT(store_folder_find(st, bob, "INBOX", &bob_inbox), STORE_OK);
	CHECK(bob_inbox != inbox);
	store_close(st);
}

/* Same operations, same UIDVALIDITY: runs are byte-identical. */
static void test_uidvalidity_deterministic(void)
{
	uint32_t v[2] = {0, 0};
	for (int i = 0; i < 2; i++) {
		struct store *st = open_mem();
		int64_t inbox = 0;
		add_alice(st, &inbox);
		struct store_folder f;
		CHECK_INT(store_folder_get(st, inbox, &f), STORE_OK);
		v[i] = f.uidvalidity;
		store_close(st);
	}
	CHECK_INT(v[0], v[1]);
	CHECK_INT(v[0], 1);
}

/* RFC 3501 2.3.1.1: a folder deleted and created again under the same name
 * must not get its old UIDVALIDITY, or clients would trust stale UIDs.
 * (Plain SQL deletes it here, as another program might; test_folder_delete
 * does the same through store_folder_delete().) */
static void test_uidvalidity_not_reused(void)
{
	if (make_tmpdir() < 0) {
		CHECK(!"mkdtemp failed");
		return;
	}
	struct store *st = NULL;
	char err[256];
	int64_t inbox = 0, work = 0;
	struct store_folder f;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	int64_t acct = add_alice(st, &inbox);
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &work), STORE_OK);
	CHECK_INT(store_folder_get(st, work, &f), STORE_OK);
	uint32_t old = f.uidvalidity;
	CHECK_INT(store_message_add(st, work, "m", 1, 0, 0, NULL, NULL), STORE_OK);
	store_close(st);

	sqlite3 *db = NULL;
	CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM folders WHERE name = 'Work'",
			       NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM messages"), 0); /* cascaded */

	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &work), STORE_OK);
	CHECK_INT(store_folder_get(st, work, &f), STORE_OK);
	CHECK(f.uidvalidity > old);
	CHECK_INT(f.uidnext, 1);
	store_close(st);
	remove_tmpdir();
}

static void test_messages(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, sent = 0;
	int64_t acct = add_alice(st, &inbox);
	CHECK_INT(store_folder_find(st, acct, "Sent", &sent), STORE_OK);

	struct store_summary sum = {
		.from = "Bob Smith <bob@example.net>",
		.to = "Alice <alice@example.org>",
		.subject = "Lunch?",
		.date = "Mon, 1 Jan 2024 12:00:00 +0000",
		.message_id = "<1@example.net>",
	};
	const char *msg = "From: Bob Smith <bob@example.net>\r\nSubject: Lunch?\r\n\r\nNoon?\r\n";
	uint32_t uid = 0;
	for (uint32_t i = 1; i <= 3; i++) {
		CHECK_INT(store_message_add(st, inbox, msg, strlen(msg), 1700000000 + i, 0, &sum,
					    &uid), STORE_OK);
		CHECK_INT(uid, i);
	}
	struct store_folder f;
	CHECK_INT(store_folder_get(st, inbox, &f), STORE_OK);
	CHECK_INT(f.uidnext, 4);
	int64_t n = 0;
	CHECK_INT(store_folder_count(st, inbox, &n), STORE_OK);
	CHECK_INT(n, 3);
	CHECK_INT(store_folder_count(st, sent, &n), STORE_OK);
	CHECK_INT(n, 0);

	/* UIDs are per folder. */
	CHECK_INT(store_message_add(st, sent, "x\r\n", 3, 1, STORE_FLAG_SEEN, NULL,
				    &uid), STORE_OK);
	CHECK_INT(uid, 1);

	struct store_message m;
	CHECK_INT(store_message_get(st, inbox, 2, false, &m), STORE_OK);
	CHECK_INT(m.uid, 2);
	CHECK_INT(m.size, (long long)strlen(msg));
	CHECK_INT(m.internaldate, 1700000002);
	CHECK(m.content == NULL);
	CHECK_STR(m.keywords, "");
	CHECK_INT(store_message_get(st, inbox, 2, true, &m), STORE_OK);
	CHECK_STR(m.content, msg);
	CHECK_INT(m.content_len, strlen(msg));
	store_message_free(&m);
	CHECK_INT(store_message_get(st, sent, 1, false, &m), STORE_OK);
	CHECK_INT(m.flags, STORE_FLAG_SEEN);
	CHECK_INT(store_message_get(st, inbox, 99, false, &m), STORE_NOT_FOUND);

	/* A summary may be missing entirely, or in part. */
	struct store_summary part = {.subject = "Only a subject"};
	CHECK_INT(store_message_add(st, inbox, "y\r\n", 3, 2, 0, &part, &uid), STORE_OK);
	CHECK_INT(uid, 4);
	CHECK_INT(store_message_add(st, inbox, "", 0, 2, 0, NULL, &uid), STORE_OK);
	CHECK_INT(uid, 5);

	/* Refused: no folder, no content, unknown flag bits.  UIDs not used up. */
	CHECK_INT(store_message_add(st, 9999, "x", 1, 0, 0, NULL, &uid), STORE_ERROR);
	CHECK_STR(store_error(st), "add message: no folder 9999");
	CHECK_INT(store_message_add(st, inbox, NULL, 5, 0, 0, NULL, &uid), STORE_ERROR);
	CHECK_INT(store_message_add(st, inbox, "x", 1, 0, 1u << 10, NULL, &uid), STORE_ERROR);
	CHECK_INT(store_message_add(st, inbox, "z", 1, 0, 0, NULL, &uid), STORE_OK);
	CHECK_INT(uid, 6);
	store_close(st);
}

static void test_folder_has(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, trash = 0;
	int64_t acct = add_alice(st, &inbox);
	CHECK_INT(store_folder_find(st, acct, "Trash", &trash), STORE_OK);
	struct store_summary sum = {
		.from = "Bob Smith <Bob@Example.NET>",
		.to = "Alice <alice@example.org>, carol_x@example.org",
		.subject = "Caf\xc3\xa9 at noon",
	};
	CHECK_INT(store_message_add(st, inbox, "m\r\n", 3, 0, 0, &sum, NULL), STORE_OK);
	struct store_summary nohdr = {.subject = NULL};
	CHECK_INT(store_message_add(st, inbox, "n\r\n", 3, 0, 0, &nohdr, NULL), STORE_OK);

	CHECK_INT(store_folder_has(st, inbox, NULL, NULL, NULL), STORE_OK); /* anything at all */
	CHECK_INT(store_folder_has(st, trash, NULL, NULL, NULL), STORE_NOT_FOUND);
	CHECK_INT(store_folder_has(st, inbox, "bob@example.net", NULL, NULL), STORE_OK);
	CHECK_INT(store_folder_has(st, inbox, "BOB@EXAMPLE.NET", NULL, NULL), STORE_OK);
	CHECK_INT(store_folder_has(st, inbox, "dave@example.net", NULL, NULL), STORE_NOT_FOUND);
	CHECK_INT(store_folder_has(st, inbox, NULL, "alice@example.org", NULL), STORE_OK);
	CHECK_INT(store_folder_has(st, inbox, NULL, "carol_x@example.org", NULL), STORE_OK);
	CHECK_INT(store_folder_has(st, inbox, NULL, "carolax@example.org",
				   NULL), STORE_NOT_FOUND); /* _ literal */
	CHECK_INT(store_folder_has(st, inbox, NULL, "%", NULL), STORE_NOT_FOUND);
	CHECK_INT(store_folder_has(st, inbox, NULL, NULL, "Caf\xc3\xa9 at noon"), STORE_OK);
	CHECK_INT(store_folder_has(st, inbox, NULL, NULL, "caf\xc3\xa9 at noon"), STORE_NOT_FOUND);
	CHECK_INT(store_folder_has(st, inbox, NULL, NULL, "Caf\xc3\xa9"), STORE_NOT_FOUND);
	CHECK_INT(store_folder_has(st, inbox, "bob@example.net", "alice@example.org",
				   "Caf\xc3\xa9 at noon"), STORE_OK);
	CHECK_INT(store_folder_has(st, inbox, "bob@example.net", "dave@example.org",
				   "Caf\xc3\xa9 at noon"), STORE_NOT_FOUND);
	CHECK_INT(store_folder_has(st, trash, "bob@example.net", NULL, NULL), STORE_NOT_FOUND);
	store_close(st);
}

static void test_transactions(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, n = -1;
	add_alice(st, &inbox);

	/* Nested commit: only the outer one makes it durable; both count. */
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "a", 1, 0, 0, NULL, NULL), STORE_OK);
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "b", 1, 0, 0, NULL, NULL), STORE_OK);
	CHECK_INT(store_commit(st), STORE_OK);
	CHECK_INT(store_commit(st), STORE_OK);
	CHECK_INT(store_folder_count(st, inbox, &n), STORE_OK);
	CHECK_INT(n, 2);

	/* Rollback of the inner level throws away the outer level's work too;
	 * the outer commit says so. */
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "c", 1, 0, 0, NULL, NULL), STORE_OK);
	CHECK_INT(store_queue_add(st, "mx", "example.net", "a@b",
				  (const char *const[]){"x@example.net"}, 1, "q", 1, 0, 0, NULL),
		  STORE_OK);
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "d", 1, 0, 0, NULL, NULL), STORE_OK);
	store_rollback(st);
	CHECK_INT(store_begin(st), STORE_ERROR); /* no new level inside a doomed one */
	CHECK_INT(store_message_add(st, inbox, "e", 1, 0, 0, NULL, NULL), STORE_ERROR);
	CHECK_INT(store_commit(st), STORE_ERROR);
	CHECK_INT(store_folder_count(st, inbox, &n), STORE_OK);
	CHECK_INT(n, 2);
	CHECK_INT(store_queue_count(st, NULL, &n), STORE_OK);
	CHECK_INT(n, 0);
	struct store_folder f;
	CHECK_INT(store_folder_get(st, inbox, &f), STORE_OK);
	CHECK_INT(f.uidnext, 3); /* the rolled-back UIDs are given back */

	/* Back at depth 0, all works again. */
	uint32_t uid = 0;
	CHECK_INT(store_message_add(st, inbox, "f", 1, 0, 0, NULL, &uid), STORE_OK);
	CHECK_INT(uid, 3);

	/* An answer other than STORE_ERROR (here: that account exists already)
	 * changed nothing, and the caller's transaction goes on. */
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "g", 1, 0, 0, NULL, NULL), STORE_OK);
	CHECK_INT(store_account_add(st, "alice@example.org", "x", "", "mx", NULL), STORE_EXISTS);
	CHECK_STR(store_error(st), "account alice@example.org already exists");
	CHECK_INT(store_commit(st), STORE_OK);
	CHECK_INT(store_folder_count(st, inbox, &n), STORE_OK);
	CHECK_INT(n, 4);

	/* A failing call inside a transaction rolls back the caller's work and
	 * its reason stays for the caller's commit to report. */
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "g", 1, 0, 0, NULL, NULL), STORE_OK);
	CHECK_INT(store_message_add(st, 999999, "g", 1, 0, 0, NULL, NULL), STORE_ERROR);
	CHECK_INT(store_commit(st), STORE_ERROR);
	CHECK_STR(store_error(st), "add message: no folder 999999");
	CHECK_INT(store_folder_count(st, inbox, &n), STORE_OK);
	CHECK_INT(n, 4);

	/* Unbalanced calls are errors, not crashes. */
	CHECK_INT(store_commit(st), STORE_ERROR);
	store_rollback(st);
	CHECK_INT(store_begin(st), STORE_OK);
	store_rollback(st);
	CHECK_INT(store_message_add(st, inbox, "h", 1, 0, 0, NULL, &uid), STORE_OK);
	CHECK_INT(uid, 5);
	store_close(st);
}

static void test_queue(void)
{
	struct store *st = open_mem();
	const char *rcpts[] = {"bob@example.net", "carol@example.net", "dave@example.net"};
	const char content[] = "From: a@b\r\n\r\nhello\r\n";
	int64_t id = 0, id2 = 0, n = -1;
	CHECK_INT(store_queue_add(st, "mx.example.org", "example.net", "alice@example.org", rcpts,
				  3, content, sizeof content - 1, 1700000000, 5000000, &id),
		  STORE_OK);
	CHECK_INT(store_queue_add(st, "mx.other.org", "example.com", "", rcpts, 1, "b", 1, 1, 2,
				  &id2), STORE_OK);
	CHECK(id != id2);

	struct store_queue_entry e;
	CHECK_INT(store_queue_get(st, id, &e), STORE_OK);
	CHECK_INT(e.id, id);
	CHECK_STR(e.server, "mx.example.org");
	CHECK_STR(e.domain, "example.net");
	CHECK_STR(e.mail_from, "alice@example.org");
	CHECK_INT(e.nrcpts, 3);
	if (e.nrcpts == 3) {
		CHECK_STR(e.rcpts[0], "bob@example.net");
		CHECK_STR(e.rcpts[1], "carol@example.net");
		CHECK_STR(e.rcpts[2], "dave@example.net");
	}
	CHECK_INT(e.content_len, sizeof content - 1);
	CHECK_STR(e.content, content);
	CHECK_INT(e.attempts, 0);
	CHECK_INT(e.arrival, 1700000000);
	CHECK_INT(e.next_try_us, 5000000);
	CHECK(e.last_reply == NULL);
	store_queue_entry_free(&e);
	store_queue_entry_free(&e); /* twice is harmless */

	CHECK_INT(store_queue_get(st, id2, &e), STORE_OK);
	CHECK_STR(e.mail_from, ""); /* a bounce */
	store_queue_entry_free(&e);

	CHECK_INT(store_queue_remove_rcpt(st, id, "carol@example.net"), STORE_OK);
	CHECK_INT(store_queue_remove_rcpt(st, id, "carol@example.net"), STORE_NOT_FOUND);
	CHECK_INT(store_queue_remove_rcpt(st, 9999, "bob@example.net"), STORE_NOT_FOUND);
	CHECK_INT(store_queue_reschedule(st, id, 1, 65000000, "451 4.3.0 try later"), STORE_OK);
	CHECK_INT(store_queue_reschedule(st, 9999, 1, 1, NULL), STORE_NOT_FOUND);
	CHECK_INT(store_queue_get(st, id, &e), STORE_OK);
	CHECK_INT(e.nrcpts, 2);
	if (e.nrcpts == 2) {
		CHECK_STR(e.rcpts[0], "bob@example.net");
		CHECK_STR(e.rcpts[1], "dave@example.net");
	}
	CHECK_INT(e.attempts, 1);
	CHECK_INT(e.next_try_us, 65000000);
	CHECK_STR(e.last_reply, "451 4.3.0 try later");
	store_queue_entry_free(&e);

	CHECK_INT(store_queue_count(st, NULL, &n), STORE_OK);
	CHECK_INT(n, 2);
	CHECK_INT(store_queue_count(st, "mx.example.org", &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_queue_count(st, "mx.nowhere", &n), STORE_OK);
	CHECK_INT(n, 0);

	CHECK_INT(store_queue_delete(st, id), STORE_OK);
	CHECK_INT(store_queue_delete(st, id), STORE_NOT_FOUND);
	CHECK_INT(store_queue_get(st, id, &e), STORE_NOT_FOUND);
	CHECK(e.rcpts == NULL && e.server == NULL);
	CHECK_INT(store_queue_count(st, NULL, &n), STORE_OK);
	CHECK_INT(n, 1);

	/* Refused. */
	CHECK_INT(store_queue_add(st, "mx", "d", "f", rcpts, 0, "x", 1, 0, 0, NULL), STORE_ERROR);
	CHECK_INT(store_queue_add(st, "mx", "d", "f", NULL, 2, "x", 1, 0, 0, NULL), STORE_ERROR);
	const char *badrcpts[] = {"ok@x", NULL};
	CHECK_INT(store_queue_add(st, "mx", "d", "f", badrcpts, 2, "x", 1, 0, 0,
				  NULL), STORE_ERROR);
	CHECK_INT(store_queue_add(st, NULL, "d", "f", rcpts, 1, "x", 1, 0, 0, NULL), STORE_ERROR);
	CHECK_INT(store_queue_get(st, id2, NULL), STORE_ERROR);
	CHECK_INT(store_queue_count(st, NULL, &n), STORE_OK);
	CHECK_INT(n, 1);
	store_close(st);
}

static void test_devices(void)
{
	struct store *st = open_mem();
	int64_t laptop = 0, phone = 0, found = 0, n = -1;
	CHECK_INT(store_device_add(st, "alice-laptop", "alice@example.org", &laptop), STORE_OK);
	CHECK_INT(store_device_add(st, "alice-phone", NULL, &phone), STORE_OK);
	CHECK_INT(store_device_add(st, "alice-laptop", "x", NULL), STORE_EXISTS);
	CHECK_STR(store_error(st), "device alice-laptop already exists");
	CHECK_INT(store_device_find(st, "alice-laptop", &found), STORE_OK);
	CHECK_INT(found, laptop);
	CHECK_INT(store_device_find(st, "bob-laptop", &found), STORE_NOT_FOUND);

	struct store_summary sum = {.from = "bob@example.net", .subject = "hi"};
	CHECK_INT(store_device_message_add(st, laptop, "Inbox", "m1\r\n", 4, &sum, "uidl-1", 0,
					   0), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "Inbox", "m2\r\n", 4, NULL, "uidl-2", 0,
					   STORE_FLAG_SEEN), STORE_OK);
	CHECK_INT(store_device_message_add(st, phone, "INBOX", "m1\r\n", 4, &sum, NULL, 1,
					   0), STORE_OK);
	CHECK_INT(store_device_message_add(st, 9999, "INBOX", "m1\r\n", 4, &sum, NULL, 1,
					   0), STORE_ERROR);
	CHECK_STR(store_error(st), "device message: no device 9999");
	CHECK_INT(store_device_message_add(st, phone, NULL, "m1\r\n", 4, &sum, NULL, 1,
					   0), STORE_ERROR);
	CHECK_INT(store_device_count(st, laptop, &n), STORE_OK);
	CHECK_INT(n, 2);
	CHECK_INT(store_device_count(st, phone, &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_device_count(st, 9999, &n), STORE_OK);
	CHECK_INT(n, 0);
	store_close(st);
}

static void test_folder_list_and_delete(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0;
	add_alice(st, &inbox);
	uint32_t uid = 0;
	CHECK_INT(store_message_add(st, inbox, "a\r\n", 3, 100, 0, NULL, &uid), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "bb\r\n", 4, 101, STORE_FLAG_SEEN, NULL,
				    &uid), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "ccc\r\n", 5, 102, 0, NULL, &uid), STORE_OK);
	struct store_message *list = NULL;
	size_t n = 0;
	CHECK_INT(store_folder_list(st, inbox, &list, &n), STORE_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_INT(list[0].uid, 1);
		CHECK_INT(list[1].uid, 2);
		CHECK_INT(list[1].size, 4);
		CHECK_INT(list[1].flags, STORE_FLAG_SEEN);
		CHECK_INT(list[2].internaldate, 102);
		CHECK(list[0].content == NULL);
	}
	free(list);
	/* delete the middle one: the others keep their UIDs */
	CHECK_INT(store_message_delete(st, inbox, 2), STORE_OK);
	CHECK_INT(store_message_delete(st, inbox, 2), STORE_NOT_FOUND);
	CHECK_INT(store_folder_list(st, inbox, &list, &n), STORE_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(list[0].uid, 1);
		CHECK_INT(list[1].uid, 3);
	}
	free(list);
	/* a deletion inside a transaction that is rolled back never happened */
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_message_delete(st, inbox, 1), STORE_OK);
	store_rollback(st);
	int64_t count = 0;
	CHECK_INT(store_folder_count(st, inbox, &count), STORE_OK);
	CHECK_INT(count, 2);
	/* an empty folder lists nothing */
	int64_t trash = 0;
	CHECK_INT(store_folder_find(st, 1, "Trash", &trash), STORE_OK);
	CHECK_INT(store_folder_list(st, trash, &list, &n), STORE_OK);
	CHECK_INT(n, 0);
	free(list);
	store_close(st);
}

static void test_device_uidls(void)
{
	struct store *st = open_mem();
	int64_t laptop = 0;
	CHECK_INT(store_device_add(st, "bob-laptop", "bob@example.net", &laptop), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "m\r\n", 3, NULL, "7.1", 0,
					   0), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "m\r\n", 3, NULL, NULL, 4,
					   0), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "m\r\n", 3, NULL, "7.3", 0,
					   0), STORE_OK);
	char **uidls = NULL;
	size_t n = 0;
	CHECK_INT(store_device_uidls(st, laptop, &uidls, &n), STORE_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(uidls[0], "7.1");
		CHECK_STR(uidls[1], "7.3");
	}
	store_strings_free(uidls, n);
	store_close(st);
}

static void test_match_flags(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, dev = 0;
	add_alice(st, &inbox);
	struct store_summary sum = {.from = "Bob <bob@example.net>", .subject = "hello"};
	uint32_t uid = 0;
	CHECK_INT(store_message_add(st, inbox, "m\r\n", 3, 1, STORE_FLAG_SEEN, &sum,
				    &uid), STORE_OK);
	CHECK_INT(store_message_set_flags(st, inbox, uid, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED,
					  "$Label1 Work"), STORE_OK);
	struct store_match m = {.subject = "hello", .flags = STORE_FLAG_FLAGGED};
	CHECK_INT(store_folder_match(st, inbox, &m), STORE_OK);
	m.flags = STORE_FLAG_DELETED;
	CHECK_INT(store_folder_match(st, inbox, &m), STORE_NOT_FOUND);
	m.flags = 0;
	m.keyword = "work";
	CHECK_INT(store_folder_match(st, inbox, &m), STORE_OK);
	m.keyword = "Wor"; /* whole keywords only */
	CHECK_INT(store_folder_match(st, inbox, &m), STORE_NOT_FOUND);
	m.keyword = NULL;
	m.subject = "other";
	CHECK_INT(store_folder_match(st, inbox, &m), STORE_NOT_FOUND);

	CHECK_INT(store_device_add(st, "alice-phone", "alice@example.org", &dev), STORE_OK);
	CHECK_INT(store_device_message_add(st, dev, "INBOX", "m\r\n", 3, &sum, NULL, 7,
					   STORE_FLAG_SEEN), STORE_OK);
	struct store_match d = {.from = "bob@example.net", .flags = STORE_FLAG_SEEN};
	CHECK_INT(store_device_match(st, dev, "INBOX", &d), STORE_OK);
	d.flags = STORE_FLAG_FLAGGED;
	CHECK_INT(store_device_match(st, dev, "INBOX", &d), STORE_NOT_FOUND);
	CHECK_INT(store_device_match(st, dev, "Sent", &(struct store_match){0}), STORE_NOT_FOUND);
	store_close(st);
}

static void test_binary_content(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0;
	add_alice(st, &inbox);
	const char bytes[] = "head\0er\r\n\r\n\xff\xfe\0\0tail";
	size_t len = sizeof bytes - 1;
	uint32_t uid = 0;
	CHECK_INT(store_message_add(st, inbox, bytes, len, 0, 0, NULL, &uid), STORE_OK);
	struct store_message m;
	CHECK_INT(store_message_get(st, inbox, uid, true, &m), STORE_OK);
	CHECK_INT(m.content_len, len);
	CHECK_INT(m.size, len);
	CHECK(m.content && memcmp(m.content, bytes, len) == 0 && m.content[len] == '\0');
	store_message_free(&m);

	const char *rcpt = "bob@example.net";
	int64_t id = 0;
	CHECK_INT(store_queue_add(st, "mx", "example.net", "a@b", &rcpt, 1, bytes, len, 0, 0,
				  &id), STORE_OK);
	struct store_queue_entry e;
	CHECK_INT(store_queue_get(st, id, &e), STORE_OK);
	CHECK_INT(e.content_len, len);
	CHECK(e.content && memcmp(e.content, bytes, len) == 0);
	store_queue_entry_free(&e);
	store_close(st);
}

static void test_many_deliveries(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, n = 0;
	add_alice(st, &inbox);
	struct store_summary sum = {.from = "bob@example.net", .to = "alice@example.org",
				    .subject = "bulk"};
	const char msg[] = "From: bob@example.net\r\nSubject: bulk\r\n\r\nbody\r\n";
	int failures = 0;
	uint32_t uid = 0, last = 0;
	for (int i = 0; i < 10000; i++) {
		if (store_message_add(st, inbox, msg, sizeof msg - 1, i, 0, &sum,
				      &uid) != STORE_OK ||
		    uid != last + 1)
			failures++;
		last = uid;
	}
	CHECK_INT(failures, 0);
	CHECK_INT(store_folder_count(st, inbox, &n), STORE_OK);
	CHECK_INT(n, 10000);
	struct store_folder f;
	CHECK_INT(store_folder_get(st, inbox, &f), STORE_OK);
	CHECK_INT(f.uidnext, 10001);
	store_close(st);
}

/* ------------------------------------------------------------------------
 * Schema version 2: IMAP folders, flags, keywords, copies, device folders
 * ------------------------------------------------------------------------ */

/* The version 1 schema as mailsim 1 created it (its comments left out,
 * which SQLite does not care about), for the upgrade test. */
static const char v1_schema_sql[] =
	"CREATE TABLE accounts (\n"
	"    id       INTEGER PRIMARY KEY,\n"
	"    address  TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
	"    password TEXT,\n"
	"    name     TEXT NOT NULL DEFAULT '',\n"
	"    server   TEXT NOT NULL\n"
	");\n"
	"CREATE TABLE folders (\n"
	"    id          INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,\n"
	"    name        TEXT NOT NULL,\n"
	"    special_use TEXT CONSTRAINT folders_special_use_known CHECK (special_use IN\n"
	"        ('\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash')),\n"
	"    subscribed  INTEGER NOT NULL DEFAULT 1 CHECK (subscribed IN (0, 1)),\n"
	"    uidvalidity INTEGER NOT NULL CHECK (uidvalidity BETWEEN 1 AND 4294967295),\n"
	"    uidnext     INTEGER NOT NULL DEFAULT 1 CHECK (uidnext BETWEEN 1 AND 4294967295),\n"
	"    UNIQUE (account_id, name)\n"
	");\n"
	"CREATE TABLE messages (\n"
	"    id           INTEGER PRIMARY KEY,\n"
	"    folder_id    INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,\n"
	"    uid          INTEGER NOT NULL CHECK (uid BETWEEN 1 AND 4294967295),\n"
	"    internaldate INTEGER NOT NULL,\n"
	"    size         INTEGER NOT NULL,\n"
	"    flags        INTEGER NOT NULL DEFAULT 0 CHECK (flags BETWEEN 0 AND 63),\n"
	"    from_hdr     TEXT,\n"
	"    to_hdr       TEXT,\n"
	"    subject      TEXT,\n"
	"    date_hdr     TEXT,\n"
	"    message_id   TEXT,\n"
	"    content      BLOB NOT NULL,\n"
	"    UNIQUE (folder_id, uid)\n"
	");\n"
	"CREATE TABLE queue (\n"
	"    id          INTEGER PRIMARY KEY,\n"
	"    server      TEXT NOT NULL,\n"
	"    domain      TEXT NOT NULL,\n"
	"    mail_from   TEXT NOT NULL,\n"
	"    content     BLOB NOT NULL,\n"
	"    arrival     INTEGER NOT NULL,\n"
	"    attempts    INTEGER NOT NULL DEFAULT 0,\n"
	"    next_try_us INTEGER NOT NULL,\n"
	"    last_reply  TEXT\n"
	");\n"
	"CREATE INDEX queue_by_server ON queue (server, next_try_us);\n"
	"CREATE TABLE queue_rcpts (\n"
	"    id       INTEGER PRIMARY KEY,\n"
	"    queue_id INTEGER NOT NULL REFERENCES queue(id) ON DELETE CASCADE,\n"
	"    rcpt     TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX queue_rcpts_by_entry ON queue_rcpts (queue_id, id);\n"
	"CREATE TABLE devices (\n"
	"    id    INTEGER PRIMARY KEY,\n"
	"    name  TEXT NOT NULL UNIQUE,\n"
	"    owner TEXT\n"
	");\n"
	"CREATE TABLE device_messages (\n"
	"    id         INTEGER PRIMARY KEY,\n"
	"    device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,\n"
	"    folder     TEXT NOT NULL,\n"
	"    uid        INTEGER,\n"
	"    uidl       TEXT,\n"
	"    flags      INTEGER NOT NULL DEFAULT 0 CHECK (flags BETWEEN 0 AND 63),\n"
	"    size       INTEGER NOT NULL,\n"
	"    from_hdr   TEXT,\n"
	"    to_hdr     TEXT,\n"
	"    subject    TEXT,\n"
	"    date_hdr   TEXT,\n"
	"    message_id TEXT,\n"
	"    content    BLOB NOT NULL\n"
	");\n"
	"CREATE INDEX device_messages_by_folder ON device_messages (device_id, folder, uid);\n"
	"CREATE VIEW mail_overview AS\n"
	"    SELECT a.address, f.name AS folder, m.uid,\n"
	"           ltrim(CASE WHEN m.flags & 1 THEN ' \\Seen' ELSE '' END ||\n"
	"                 CASE WHEN m.flags & 2 THEN ' \\Answered' ELSE '' END ||\n"
	"                 CASE WHEN m.flags & 4 THEN ' \\Flagged' ELSE '' END ||\n"
	"                 CASE WHEN m.flags & 8 THEN ' \\Deleted' ELSE '' END ||\n"
	"                 CASE WHEN m.flags & 16 THEN ' \\Draft' ELSE '' END ||\n"
	"                 CASE WHEN m.flags & 32 THEN ' \\Recent' ELSE '' END) AS flags,\n"
	"           m.size, m.from_hdr, m.to_hdr, m.subject\n"
	"    FROM messages m\n"
	"    JOIN folders f ON f.id = m.folder_id\n"
	"    JOIN accounts a ON a.id = f.account_id\n"
	"    ORDER BY a.address, f.name, m.uid;\n"
	"CREATE VIEW queue_overview AS\n"
	"    SELECT q.id, q.server, q.domain, q.mail_from,\n"
	"           (SELECT group_concat(rcpt, ', ') FROM\n"
	"                (SELECT rcpt FROM queue_rcpts r WHERE r.queue_id = q.id ORDER BY r.id))\n"
	"               AS rcpts,\n"
	"           q.attempts, q.next_try_us, q.last_reply, length(q.content) AS size\n"
	"    FROM queue q\n"
	"    ORDER BY q.server, q.next_try_us, q.id;\n";
/* One text value read with plain SQLite, into buf ("" if none). */
static const char *sql_text(const char *path, const char *sql, char *buf, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	buf[0] = '\0';
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
	    sqlite3_column_text(s, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return buf;
}

/* A version 1 database at dbpath with one account, one message, one device
 * that holds it; extra_sql runs after (to break the upgrade on purpose). */
static int make_v1_db(const char *extra_sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(dbpath, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, v1_schema_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(
			db,
			"INSERT INTO accounts (id, address, password, name, server)"
			"  VALUES (1, 'alice@example.org', 'secret', 'Alice', 'mx.example.org');"
			"INSERT INTO folders (account_id, name, special_use, uidvalidity, uidnext)"
			"  VALUES (1, 'INBOX', NULL, 1, 2), (1, 'Sent', '\\Sent', 2, 1),"
			"         (1, 'Trash', '\\Trash', 3, 1);"
			"INSERT INTO messages (folder_id, uid, internaldate, size, flags, subject, content)"
			"  VALUES (1, 1, 1000, 4, 1, 'old', X'6F6C640A');"
			"INSERT INTO devices (id, name, owner) VALUES (1, 'alice-laptop', 'alice@example.org');"
			"INSERT INTO device_messages (device_id, folder, uid, flags, size, content)"
			"  VALUES (1, 'INBOX', 1, 0, 4, X'6F6C640A');"
			"PRAGMA user_version = 1;",
			NULL, NULL, NULL);
	if (rc == SQLITE_OK && extra_sql)
		rc = sqlite3_exec(db, extra_sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static const char columns_sql[] =
	"SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('messages')"
	" ORDER BY name)";

static void test_schema_upgrade(void)
{
	if (make_tmpdir() < 0) {
		CHECK(!"mkdtemp failed");
		return;
	}
	char buf[512], fresh_cols[512];
	CHECK_INT(make_v1_db(NULL), 0);
	CHECK_INT(sql_int(dbpath, "PRAGMA user_version"), 1);
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM pragma_table_info('messages')"
				  " WHERE name = 'keywords'"), 0);

	struct store *st = NULL;
	char err[256];
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	if (!st) {
		fprintf(stderr, "store_open: %s\n", err);
		remove_tmpdir();
		return;
	}
	/* The old message is there, with no keywords, and takes new ones. */
	struct store_message m;
	CHECK_INT(store_message_get(st, 1, 1, true, &m), STORE_OK);
	CHECK_STR(m.keywords, "");
	CHECK_INT(m.flags, STORE_FLAG_SEEN);
	CHECK_STR(m.content, "old\n");
	store_message_free(&m);
	CHECK_INT(store_message_set_flags(st, 1, 1, STORE_FLAG_SEEN, "$Label1"), STORE_OK);
	uint32_t uid = 0;
	CHECK_INT(store_message_add(st, 1, "new\r\n", 5, 2000, 0, NULL, &uid), STORE_OK);
	CHECK_INT(uid, 2);
	CHECK_INT(store_message_get(st, 1, 2, false, &m), STORE_OK);
	CHECK_STR(m.keywords, "");
	/* device_folders exists and knows the device. */
	CHECK_INT(store_device_folder_set(st, 1, "INBOX", NULL, 1), STORE_OK);
	store_close(st);

	CHECK_INT(sql_int(dbpath, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	/* schema 3: nothing has been announced as \Recent yet */
	CHECK_INT(sql_int(dbpath, "SELECT sum(recent_uid) FROM folders"), 0);
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM orphan_subscriptions"), 0);
	CHECK_STR(sql_text(dbpath, "SELECT keywords FROM mail_overview WHERE uid = 1", buf,
			   sizeof buf), "$Label1");
	CHECK_STR(sql_text(dbpath, "SELECT flags FROM mail_overview WHERE uid = 1", buf, sizeof buf),
		  "\\Seen");
	CHECK_INT(sql_int(dbpath, "SELECT uidvalidity FROM device_folders"), 1);
	CHECK_INT(sql_int(dbpath, "PRAGMA foreign_key_check"), -1); /* no rows: no violation */

	/* Reopening an upgraded database changes nothing. */
	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	CHECK_INT(store_message_get(st, 1, 1, false, &m), STORE_OK);
	CHECK_STR(m.keywords, "$Label1");
	store_close(st);
	CHECK_INT(sql_int(dbpath, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	char upgraded_cols[512];
	sql_text(dbpath, columns_sql, upgraded_cols, sizeof upgraded_cols);
	remove_tmpdir();

	/* A new database has the same columns (in another order: ADD COLUMN
	 * puts keywords last). */
	if (make_tmpdir() < 0) {
		CHECK(!"mkdtemp failed");
		return;
	}
	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	store_close(st);
	sql_text(dbpath, columns_sql, fresh_cols, sizeof fresh_cols);
	CHECK_STR(upgraded_cols, fresh_cols);
	CHECK_CONTAINS(fresh_cols, "keywords");
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM pragma_table_info('mail_overview')"
				  " WHERE name = 'keywords'"), 1);
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM pragma_table_info('device_folders')"), 5);
	remove_tmpdir();

	/* An upgrade that fails halfway leaves a whole version 1. */
	if (make_tmpdir() < 0) {
		CHECK(!"mkdtemp failed");
		return;
	}
	CHECK_INT(make_v1_db("CREATE TABLE device_folders (x)"), 0);
	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_ERROR);
	CHECK(st == NULL);
	CHECK_CONTAINS(err, "upgrade schema 1 to 2");
	CHECK_CONTAINS(err, "device_folders already exists");
	CHECK_INT(sql_int(dbpath, "PRAGMA user_version"), 1);
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM pragma_table_info('messages')"
				  " WHERE name = 'keywords'"), 0);
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM pragma_table_info('mail_overview')"), 8); /* v1's view */
	remove_tmpdir();
}

/* Schema 3: which messages of a folder an IMAP session has already been
 * told are \Recent (RFC 3501 2.3.2) is kept, so a restart of a --db store
 * does not make them recent again. */
static void test_folder_recent_uid(void)
{
	if (make_tmpdir() < 0) {
		CHECK(!"mkdtemp failed");
		return;
	}
	struct store *st = NULL;
	char err[256];
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	int64_t inbox = 0;
	add_alice(st, &inbox);
	uint32_t uid = 99;
	CHECK_INT(store_folder_recent_uid(st, inbox, &uid), STORE_OK);
	CHECK_INT(uid, 0);
	CHECK_INT(store_folder_set_recent_uid(st, inbox, 5), STORE_OK);
	/* it only climbs: a lower value changes nothing */
	CHECK_INT(store_folder_set_recent_uid(st, inbox, 3), STORE_OK);
	CHECK_INT(store_folder_recent_uid(st, inbox, &uid), STORE_OK);
	CHECK_INT(uid, 5);
	/* no such folder */
	CHECK_INT(store_folder_recent_uid(st, inbox + 100, &uid), STORE_NOT_FOUND);
	CHECK_INT(store_folder_set_recent_uid(st, inbox + 100, 1), STORE_NOT_FOUND);
	CHECK_INT(store_folder_recent_uid(NULL, inbox, &uid), STORE_ERROR);
	store_close(st);

	/* it survives closing and opening again */
	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	uid = 0;
	CHECK_INT(store_folder_recent_uid(st, inbox, &uid), STORE_OK);
	CHECK_INT(uid, 5);
	store_close(st);
	CHECK_INT(sql_int(dbpath, "SELECT recent_uid FROM folders WHERE name = 'INBOX'"), 5);
	remove_tmpdir();
}

/* Schema 3: a subscription outlives its folder (RFC 3501 6.3.6); the
 * subscribed names that are no folder are kept apart. */
static void test_orphan_subscriptions(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0;
	int64_t acct = add_alice(st, &inbox);
	char **names = NULL;
	size_t n = 9;
	CHECK_INT(store_orphan_subscriptions(st, acct, &names, &n), STORE_OK);
	CHECK_INT(n, 0);
	CHECK_INT(store_orphan_subscription_set(st, acct, "Work", true), STORE_OK);
	CHECK_INT(store_orphan_subscription_set(st, acct, "Work", true), STORE_OK); /* once */
	CHECK_INT(store_orphan_subscription_set(st, acct, "Archive", true), STORE_OK);
	CHECK_INT(store_orphan_subscriptions(st, acct, &names, &n), STORE_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(names[0], "Archive");
		CHECK_STR(names[1], "Work");
	}
	store_strings_free(names, n);
	CHECK_INT(store_orphan_subscription_set(st, acct, "Work", false), STORE_OK);
	CHECK_INT(store_orphan_subscription_set(st, acct, "Work", false), STORE_NOT_FOUND); /* not there */
	CHECK_INT(store_orphan_subscription_set(st, acct, "", true), STORE_ERROR);
	CHECK_INT(store_orphan_subscriptions(st, acct, &names, &n), STORE_OK);
	CHECK_INT(n, 1);
	store_strings_free(names, n);
	/* another account's are its own */
	int64_t bob = 0;
	CHECK_INT(store_account_add(st, "bob@example.net", "pw", "", "mx.example.net", &bob), STORE_OK);
	CHECK_INT(store_orphan_subscriptions(st, bob, &names, &n), STORE_OK);
	CHECK_INT(n, 0);
	store_strings_free(names, n);
	store_close(st);
}

static void test_folders_and_stats(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, work = 0;
	int64_t acct = add_alice(st, &inbox);
	CHECK_INT(store_folder_create(st, acct, "Zeta", NULL, NULL), STORE_OK);
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &work), STORE_OK);
	CHECK_INT(store_folder_create(st, acct, "Work/2024", NULL, NULL), STORE_OK);
	CHECK_INT(store_folder_create(st, acct, "Archive", "\\Archive", NULL), STORE_OK);
	CHECK_INT(store_folder_create(st, acct, "apples", NULL, NULL), STORE_OK);
	int64_t bob = 0;
	CHECK_INT(store_account_add(st, "bob@example.net", "pw", "", "mx.example.net",
				    &bob), STORE_OK);

	struct store_folder *fs = NULL;
	size_t n = 0;
	CHECK_INT(store_folders(st, acct, &fs, &n), STORE_OK);
	static const char *const want[] = {"INBOX", "Archive", "Sent", "Trash", "Work",
					   "Work/2024", "Zeta", "apples"};
	CHECK_INT(n, sizeof want / sizeof *want);
	for (size_t i = 0; i < n && i < sizeof want / sizeof *want; i++) {
		CHECK_STR(fs[i].name, want[i]);
		CHECK_INT(fs[i].account_id, acct);
		struct store_folder g;
		CHECK_INT(store_folder_get(st, fs[i].id, &g), STORE_OK);
		CHECK_STR(fs[i].special_use, g.special_use);
		CHECK_INT(fs[i].uidvalidity, g.uidvalidity);
		CHECK_INT(fs[i].uidnext, g.uidnext);
		CHECK_INT(fs[i].subscribed, g.subscribed);
	}
	if (n == sizeof want / sizeof *want) {
		CHECK_INT(fs[0].id, inbox);
		CHECK_STR(fs[1].special_use, "\\Archive");
	}
	free(fs);
	CHECK_INT(store_folders(st, bob, &fs, &n), STORE_OK);
	CHECK_INT(n, 3); /* bob's own, none of alice's */
	free(fs);
	CHECK_INT(store_folders(st, 9999, &fs, &n), STORE_OK);
	CHECK_INT(n, 0);
	CHECK(fs == NULL);

	/* STATUS numbers. */
	uint32_t msgs = 99, unseen = 99, recent = 99;
	CHECK_INT(store_folder_stats(st, work, &msgs, &unseen, &recent), STORE_OK);
	CHECK_INT(msgs, 0);
	CHECK_INT(unseen, 0);
	CHECK_INT(recent, 0);
	CHECK_INT(store_message_add(st, inbox, "a", 1, 0, STORE_FLAG_RECENT, NULL, NULL), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "b", 1, 0, STORE_FLAG_SEEN, NULL, NULL), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "c", 1, 0, STORE_FLAG_SEEN | STORE_FLAG_RECENT,
				    NULL, NULL), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "d", 1, 0, STORE_FLAG_FLAGGED, NULL,
				    NULL), STORE_OK);
	CHECK_INT(store_folder_stats(st, inbox, &msgs, &unseen, &recent), STORE_OK);
	CHECK_INT(msgs, 4);
	CHECK_INT(unseen, 2);
	CHECK_INT(recent, 2);
	CHECK_INT(store_folder_stats(st, inbox, NULL, NULL, &recent), STORE_OK);
	CHECK_INT(recent, 2);
	CHECK_INT(store_folder_stats(st, 9999, &msgs, &unseen, &recent), STORE_NOT_FOUND);
	CHECK_INT(msgs, 0);
	CHECK_INT(store_folder_stats(NULL, inbox, &msgs, &unseen, &recent), STORE_ERROR);

	/* Subscriptions. */
	struct store_folder f;
	CHECK_INT(store_folder_subscribe(st, work, false), STORE_OK);
	CHECK_INT(store_folder_get(st, work, &f), STORE_OK);
	CHECK(!f.subscribed);
	CHECK_INT(store_folder_subscribe(st, work, false), STORE_OK); /* again: still there */
	CHECK_INT(store_folder_subscribe(st, work, true), STORE_OK);
	CHECK_INT(store_folder_get(st, work, &f), STORE_OK);
	CHECK(f.subscribed);
	CHECK_INT(store_folder_subscribe(st, 9999, true), STORE_NOT_FOUND);
	store_close(st);
}

static void test_folder_delete(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, work = 0, sub = 0, n = -1;
	int64_t acct = add_alice(st, &inbox);
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &work), STORE_OK);
	CHECK_INT(store_folder_create(st, acct, "Work/2024", NULL, &sub), STORE_OK);
	CHECK_INT(store_message_add(st, work, "a", 1, 0, 0, NULL, NULL), STORE_OK);
	CHECK_INT(store_message_add(st, work, "b", 1, 0, 0, NULL, NULL), STORE_OK);
	CHECK_INT(store_message_add(st, sub, "c", 1, 0, 0, NULL, NULL), STORE_OK);
	struct store_folder f;
	CHECK_INT(store_folder_get(st, work, &f), STORE_OK);
	uint32_t old = f.uidvalidity;

	/* Rolled back: nothing happened. */
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_folder_delete(st, work), STORE_OK);
	store_rollback(st);
	CHECK_INT(store_folder_count(st, work, &n), STORE_OK);
	CHECK_INT(n, 2);

	CHECK_INT(store_folder_delete(st, work), STORE_OK);
	CHECK_INT(store_folder_get(st, work, &f), STORE_NOT_FOUND);
	CHECK_INT(store_folder_count(st, work, &n), STORE_OK);
	CHECK_INT(n, 0); /* its messages went with it (CASCADE) */
	struct store_message m;
	CHECK_INT(store_message_get(st, work, 1, false, &m), STORE_NOT_FOUND);
	CHECK_INT(store_folder_count(st, sub, &n), STORE_OK);
	CHECK_INT(n, 1); /* inferiors stay (RFC 3501 6.3.4) */
	CHECK_INT(store_folder_delete(st, work), STORE_NOT_FOUND);

	/* The same name again: a greater UIDVALIDITY, UIDs from 1. */
	int64_t again = 0;
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &again), STORE_OK);
	CHECK_INT(store_folder_get(st, again, &f), STORE_OK);
	CHECK(f.uidvalidity > old);
	CHECK_INT(f.uidnext, 1);

	CHECK_INT(store_folder_delete(st, inbox), STORE_REFUSED);
	CHECK_STR(store_error(st), "delete folder: INBOX cannot be deleted");
	CHECK_INT(store_folder_get(st, inbox, &f), STORE_OK);
	store_close(st);
}

static void test_folder_rename(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, work = 0, found = 0;
	int64_t acct = add_alice(st, &inbox);
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &work), STORE_OK);
	CHECK_INT(store_message_add(st, work, "a\r\n", 3, 10, 0, NULL, NULL), STORE_OK);
	CHECK_INT(store_message_add(st, work, "b\r\n", 3, 11, STORE_FLAG_SEEN, NULL,
				    NULL), STORE_OK);
	CHECK_INT(store_message_set_flags(st, work, 2, STORE_FLAG_SEEN, "Important"), STORE_OK);
	struct store_folder before, f;
	CHECK_INT(store_folder_get(st, work, &before), STORE_OK);

	CHECK_INT(store_folder_rename(st, work, "Projects"), STORE_OK);
	CHECK_INT(store_folder_get(st, work, &f), STORE_OK);
	CHECK_STR(f.name, "Projects");
	/* Same folder: same UIDVALIDITY, UIDNEXT, messages and UIDs. */
	CHECK_INT(f.uidvalidity, before.uidvalidity);
	CHECK_INT(f.uidnext, before.uidnext);
	CHECK_INT(store_folder_find(st, acct, "Projects", &found), STORE_OK);
	CHECK_INT(found, work);
	CHECK_INT(store_folder_find(st, acct, "Work", &found), STORE_NOT_FOUND);
	struct store_message m;
	CHECK_INT(store_message_get(st, work, 2, true, &m), STORE_OK);
	CHECK_STR(m.content, "b\r\n");
	CHECK_STR(m.keywords, "Important");
	store_message_free(&m);

	/* The old name, created again, must not reuse the old UIDs with the
	 * old UIDVALIDITY (RFC 3501 6.3.5): it gets a new, greater one. */
	int64_t work2 = 0;
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &work2), STORE_OK);
	CHECK_INT(store_folder_get(st, work2, &f), STORE_OK);
	CHECK(f.uidvalidity > before.uidvalidity);
	CHECK_INT(f.uidnext, 1);

	/* Refused. */
	CHECK_INT(store_folder_rename(st, work, "Sent"), STORE_EXISTS);
	CHECK_STR(store_error(st), "folder \"Sent\" already exists");
	CHECK_INT(store_folder_rename(st, work, "inbox"), STORE_EXISTS);
	CHECK_STR(store_error(st), "folder \"INBOX\" already exists");
	CHECK_INT(store_folder_rename(st, work, "Projects"), STORE_EXISTS);
	CHECK_STR(store_error(st), "folder \"Projects\" already exists");
	CHECK_INT(store_folder_rename(st, inbox, "Old"), STORE_REFUSED);
	CHECK_CONTAINS(store_error(st), "INBOX cannot be renamed");
	CHECK_INT(store_folder_rename(st, work, ""), STORE_ERROR);
	CHECK_INT(store_folder_rename(st, work, NULL), STORE_ERROR);
	CHECK_INT(store_folder_rename(st, 9999, "Nowhere"), STORE_NOT_FOUND);
	CHECK_INT(store_folder_get(st, work, &f), STORE_OK);
	CHECK_STR(f.name, "Projects");

	/* Inside the caller's transaction, and rolled back with it. */
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_folder_rename(st, work, "Later"), STORE_OK);
	store_rollback(st);
	CHECK_INT(store_folder_get(st, work, &f), STORE_OK);
	CHECK_STR(f.name, "Projects");
	store_close(st);
}

static void test_set_flags(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0;
	add_alice(st, &inbox);
	uint32_t uid = 0;
	CHECK_INT(store_message_add(st, inbox, "m\r\n", 3, 5, STORE_FLAG_RECENT, NULL,
				    &uid), STORE_OK);
	struct store_message m;
	CHECK_INT(store_message_get(st, inbox, uid, false, &m), STORE_OK);
	CHECK_STR(m.keywords, "");

	CHECK_INT(store_message_set_flags(st, inbox, uid, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED,
					  "$Label1 Junk"), STORE_OK);
	CHECK_INT(store_message_get(st, inbox, uid, false, &m), STORE_OK);
	CHECK_INT(m.flags, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	CHECK_STR(m.keywords, "$Label1 Junk");
	CHECK_INT(store_message_set_flags(st, inbox, uid, STORE_FLAG_SEEN, NULL), STORE_OK);
	CHECK_INT(store_message_get(st, inbox, uid, false, &m), STORE_OK);
	CHECK_INT(m.flags, STORE_FLAG_SEEN);
	CHECK_STR(m.keywords, "$Label1 Junk"); /* NULL: unchanged */
	struct store_message *list = NULL;
	size_t n = 0;
	CHECK_INT(store_folder_list(st, inbox, &list, &n), STORE_OK);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(list[0].keywords, "$Label1 Junk");
	free(list);
	CHECK_INT(store_message_set_flags(st, inbox, uid, 0, ""), STORE_OK);
	CHECK_INT(store_message_get(st, inbox, uid, false, &m), STORE_OK);
	CHECK_INT(m.flags, 0);
	CHECK_STR(m.keywords, "");

	/* The same values again: nothing to write, still 0 (not "no such"). */
	CHECK_INT(store_message_set_flags(st, inbox, uid, 0, ""), STORE_OK);
	CHECK_INT(store_message_set_flags(st, inbox, uid, 0, NULL), STORE_OK);
	CHECK_INT(store_message_set_flags(st, inbox, 99, 0, NULL), STORE_NOT_FOUND);
	CHECK_INT(store_message_set_flags(st, inbox, 99, 0, ""), STORE_NOT_FOUND);
	CHECK_INT(store_message_set_flags(st, 9999, uid, 0, "x"), STORE_NOT_FOUND);
	CHECK_INT(store_message_set_flags(st, inbox, uid, 64, NULL), STORE_ERROR);
	CHECK_STR(store_error(st), "set flags: unknown flag bits 0x40");
	char longkw[300];
	memset(longkw, 'k', sizeof longkw - 1);
	longkw[sizeof longkw - 1] = '\0';
	CHECK_INT(store_message_set_flags(st, inbox, uid, 0, longkw), STORE_ERROR);
	longkw[255] = '\0'; /* the most that fits struct store_message */
	CHECK_INT(store_message_set_flags(st, inbox, uid, 0, longkw), STORE_OK);
	CHECK_INT(store_message_get(st, inbox, uid, false, &m), STORE_OK);
	CHECK_INT(strlen(m.keywords), 255);
	store_close(st);
}

static void test_message_copy(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, work = 0;
	int64_t acct = add_alice(st, &inbox);
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &work), STORE_OK);
	CHECK_INT(store_message_add(st, work, "w\r\n", 3, 1, 0, NULL,
				    NULL), STORE_OK); /* uidnext 2 */
	struct store_summary sum = {.from = "Bob <bob@example.net>", .subject = "Copy me"};
	const char msg[] = "From: Bob <bob@example.net>\r\nSubject: Copy me\r\n\r\nhi\r\n";
	uint32_t uid = 0, copy = 0;
	CHECK_INT(store_message_add(st, inbox, msg, sizeof msg - 1, 1700000000, STORE_FLAG_SEEN,
				    &sum, &uid), STORE_OK);
	CHECK_INT(store_message_set_flags(st, inbox, uid, STORE_FLAG_SEEN | STORE_FLAG_ANSWERED,
					  "$Forwarded"), STORE_OK);

	CHECK_INT(store_message_copy(st, inbox, uid, work, &copy), STORE_OK);
	CHECK_INT(copy, 2);
	struct store_message m;
	CHECK_INT(store_message_get(st, work, copy, true, &m), STORE_OK);
	CHECK_INT(m.flags, STORE_FLAG_SEEN | STORE_FLAG_ANSWERED); /* \Recent is a session's */
	CHECK_STR(m.keywords, "$Forwarded");
	CHECK_INT(m.internaldate, 1700000000);
	CHECK_INT(m.size, sizeof msg - 1);
	CHECK_INT(m.content_len, sizeof msg - 1);
	CHECK_STR(m.content, msg);
	store_message_free(&m);
	CHECK_INT(store_folder_has(st, work, "bob@example.net", NULL, "Copy me"), STORE_OK);
	/* The original is untouched. */
	CHECK_INT(store_message_get(st, inbox, uid, false, &m), STORE_OK);
	CHECK_INT(m.flags, STORE_FLAG_SEEN | STORE_FLAG_ANSWERED);
	struct store_folder f;
	CHECK_INT(store_folder_get(st, work, &f), STORE_OK);
	CHECK_INT(f.uidnext, 3);

	/* Into the same folder: a new UID there. */
	CHECK_INT(store_message_copy(st, work, copy, work, &copy), STORE_OK);
	CHECK_INT(copy, 3);
	int64_t n = 0;
	CHECK_INT(store_folder_count(st, work, &n), STORE_OK);
	CHECK_INT(n, 3);

	/* No such message: 1, and no UID used up.  No target folder: -1. */
	CHECK_INT(store_message_copy(st, inbox, 99, work, &copy), STORE_NOT_FOUND);
	CHECK_INT(store_folder_get(st, work, &f), STORE_OK);
	CHECK_INT(f.uidnext, 4);
	CHECK_INT(store_message_copy(st, inbox, uid, 9999, &copy), STORE_ERROR);
	CHECK_STR(store_error(st), "copy message: no folder 9999");

	/* A rolled-back copy gives its UID back. */
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_message_copy(st, inbox, uid, work, &copy), STORE_OK);
	CHECK_INT(copy, 4);
	store_rollback(st);
	CHECK_INT(store_message_copy(st, inbox, uid, work, &copy), STORE_OK);
	CHECK_INT(copy, 4);
	store_close(st);
}

static void test_device_folders(void)
{
	struct store *st = open_mem();
	int64_t laptop = 0, phone = 0, n = -1;
	CHECK_INT(store_device_add(st, "alice-laptop", "alice@example.org", &laptop), STORE_OK);
	CHECK_INT(store_device_add(st, "alice-phone", "alice@example.org", &phone), STORE_OK);

	uint32_t v = 0;
	CHECK_INT(store_device_folder_uidvalidity(st, laptop, "INBOX", &v), STORE_NOT_FOUND);
	CHECK_INT(store_device_folder_set(st, laptop, "INBOX", NULL, 7), STORE_OK);
	CHECK_INT(store_device_folder_uidvalidity(st, laptop, "INBOX", &v), STORE_OK);
	CHECK_INT(v, 7);
	CHECK_INT(store_device_folder_set(st, laptop, "INBOX", "", 9), STORE_OK); /* update */
	CHECK_INT(store_device_folder_uidvalidity(st, laptop, "INBOX", &v), STORE_OK);
	CHECK_INT(v, 9);
	CHECK_INT(store_device_folder_set(st, laptop, "Sent", "\\Sent", 0), STORE_OK);
	CHECK_INT(store_device_folder_uidvalidity(st, laptop, "Sent", &v), STORE_OK);
	CHECK_INT(v, 0);
	CHECK_INT(store_device_folder_uidvalidity(st, phone, "INBOX",
						  &v), STORE_NOT_FOUND); /* per device */
	CHECK_INT(store_device_folder_uidvalidity(st, laptop, "inbox",
						  &v), STORE_NOT_FOUND); /* exact names */
	CHECK_INT(store_device_folder_set(st, 9999, "INBOX", NULL, 1), STORE_ERROR);
	CHECK_STR(store_error(st), "device folder: no device 9999");
	CHECK_INT(store_device_folder_set(st, laptop, NULL, NULL, 1), STORE_ERROR);
	CHECK_INT(store_device_folder_set(st, laptop, "", NULL, 1), STORE_ERROR);

	/* What the laptop caches: three by IMAP (out of order), one by POP3,
	 * one in another folder; the phone its own. */
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "c\r\n", 3, NULL, NULL, 3,
					   0), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "aa\r\n", 4, NULL, NULL, 1,
					   0), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "b\r\n", 3, NULL, NULL, 2,
					   STORE_FLAG_SEEN), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "p\r\n", 3, NULL, "9.1", 0,
					   0), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "Work", "w\r\n", 3, NULL, NULL, 1,
					   0), STORE_OK);
	CHECK_INT(store_device_message_add(st, phone, "INBOX", "aa\r\n", 4, NULL, NULL, 1,
					   0), STORE_OK);

	struct store_message *list = NULL;
	size_t len = 0;
	CHECK_INT(store_device_folder_list(st, laptop, "INBOX", &list, &len), STORE_OK);
	CHECK_INT(len, 3);
	if (len == 3) {
		CHECK_INT(list[0].uid, 1);
		CHECK_INT(list[0].size, 4);
		CHECK_INT(list[1].uid, 2);
		CHECK_INT(list[1].flags, STORE_FLAG_SEEN);
		CHECK_INT(list[2].uid, 3);
		CHECK(list[0].content == NULL && list[0].content_len == 0);
		CHECK_STR(list[0].keywords, "");
	}
	free(list);
	CHECK_INT(store_device_folder_count(st, laptop, "INBOX", &n), STORE_OK);
	CHECK_INT(n, 4); /* the POP3 one counts */
	CHECK_INT(store_device_folder_list(st, laptop, "Nowhere", &list, &len), STORE_OK);
	CHECK_INT(len, 0);
	CHECK(list == NULL);

	CHECK_INT(store_device_message_set_flags(st, laptop, "INBOX", 3,
						 STORE_FLAG_SEEN | STORE_FLAG_FLAGGED), STORE_OK);
	CHECK_INT(store_device_message_set_flags(st, laptop, "INBOX", 99, 0), STORE_NOT_FOUND);
	CHECK_INT(store_device_message_set_flags(st, laptop, "Work", 3, 0), STORE_NOT_FOUND);
	CHECK_INT(store_device_message_set_flags(st, laptop, "INBOX", 3, 64), STORE_ERROR);
	CHECK_INT(store_device_folder_list(st, laptop, "INBOX", &list, &len), STORE_OK);
	if (len == 3)
		CHECK_INT(list[2].flags, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	free(list);

	CHECK_INT(store_device_message_delete(st, laptop, "INBOX", 2), STORE_OK);
	CHECK_INT(store_device_message_delete(st, laptop, "INBOX", 2), STORE_NOT_FOUND);
	CHECK_INT(store_device_folder_count(st, laptop, "INBOX", &n), STORE_OK);
	CHECK_INT(n, 3);

	/* UIDVALIDITY changed: the IMAP cache goes, the POP3 download and
	 * other folders and devices stay. */
	CHECK_INT(store_device_folder_clear(st, laptop, "INBOX"), STORE_OK);
	CHECK_INT(store_device_folder_list(st, laptop, "INBOX", &list, &len), STORE_OK);
	CHECK_INT(len, 0);
	free(list);
	CHECK_INT(store_device_folder_count(st, laptop, "INBOX", &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_device_folder_clear(st, laptop,
					    "INBOX"), STORE_OK); /* nothing left: still 0 */
	CHECK_INT(store_device_folder_count(st, laptop, "Work", &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_device_folder_count(st, phone, "INBOX", &n), STORE_OK);
	CHECK_INT(n, 1);
	CHECK_INT(store_device_folder_uidvalidity(st, laptop, "INBOX", &v), STORE_OK); /* kept */
	CHECK_INT(v, 9);
	store_close(st);
}

/* STORE 1:* on a big folder: 100,000 set_flags in one transaction.  Only
 * correctness here; tests/bench is the place for speed. */
static void test_set_flags_many(void)
{
	enum { N = 100000 };
	struct store *st = open_mem();
	int64_t inbox = 0;
	add_alice(st, &inbox);
	int failures = 0;
	CHECK_INT(store_begin(st), STORE_OK);
	for (int i = 0; i < N; i++)
		if (store_message_add(st, inbox, "m\r\n", 3, i, STORE_FLAG_RECENT, NULL,
				      NULL) != STORE_OK)
			failures++;
	CHECK_INT(store_commit(st), STORE_OK);
	CHECK_INT(failures, 0);

	CHECK_INT(store_begin(st), STORE_OK);
	for (uint32_t uid = 1; uid <= N; uid++) {
		uint32_t flags = STORE_FLAG_SEEN | (uid % 2 ? STORE_FLAG_FLAGGED : 0);
		if (store_message_set_flags(st, inbox, uid, flags,
					    uid % 3 ? NULL : "$Label1") != STORE_OK)
			failures++;
	}
	CHECK_INT(store_commit(st), STORE_OK);
	CHECK_INT(failures, 0);

	uint32_t msgs = 0, unseen = 1, recent = 1;
	CHECK_INT(store_folder_stats(st, inbox, &msgs, &unseen, &recent), STORE_OK);
	CHECK_INT(msgs, N);
	CHECK_INT(unseen, 0);
	CHECK_INT(recent, 0);
	struct store_message *list = NULL;
	size_t n = 0;
	CHECK_INT(store_folder_list(st, inbox, &list, &n), STORE_OK);
	CHECK_INT(n, N);
	int wrong = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t uid = list[i].uid;
		uint32_t want = STORE_FLAG_SEEN | (uid % 2 ? STORE_FLAG_FLAGGED : 0);
		if (uid != i + 1 || list[i].flags != want ||
		    strcmp(list[i].keywords, uid % 3 ? "" : "$Label1") != 0)
			wrong++;
	}
	CHECK_INT(wrong, 0);
	free(list);
	store_close(st);
}

/* What mailsim inspect reads: everything, in an order that does not
 * depend on the order of insertion. */
static void test_listing(void)
{
	struct store *st = open_mem();
	int64_t zed = 0, bob = 0, amy = 0, inbox = 0, laptop = 0, phone = 0;
	/* added out of order: the listing sorts by server, then address */
	CHECK_INT(store_account_add(st, "zed@b.org", "p", "Zed", "mx.b.org", &zed), STORE_OK);
	CHECK_INT(store_account_add(st, "Bob@a.org", "p", "", "mx.a.org", &bob), STORE_OK);
	CHECK_INT(store_account_add(st, "amy@b.org", "p", "Amy", "mx.b.org", &amy), STORE_OK);
	struct store_account *acc = NULL;
	size_t n = 99;
	CHECK_INT(store_accounts(st, &acc, &n), STORE_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(acc[0].address, "Bob@a.org");
		CHECK_STR(acc[0].server, "mx.a.org");
		CHECK_INT(acc[0].id, bob);
		CHECK_STR(acc[1].address, "amy@b.org");
		CHECK_STR(acc[1].name, "Amy");
		CHECK_STR(acc[2].address, "zed@b.org");
	}
	free(acc);

	/* a folder's messages in UID order, with what a person reads */
	CHECK_INT(store_folder_find(st, amy, "INBOX", &inbox), STORE_OK);
	struct store_summary sum = {.from = "Zed <zed@b.org>", .subject = "Olá"};
	uint32_t uid;
	CHECK_INT(store_message_add(st, inbox, "a\r\n", 3, 1, STORE_FLAG_SEEN, &sum,
				    &uid), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "bb\r\n", 4, 2, 0, NULL, &uid), STORE_OK);
	struct store_listed *l = NULL;
	CHECK_INT(store_folder_listing(st, inbox, &l, &n), STORE_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK(l[0].folder == NULL && l[0].uidl == NULL);
		CHECK_INT(l[0].uid, 1);
		CHECK_INT(l[0].flags, STORE_FLAG_SEEN);
		CHECK_INT(l[0].size, 3);
		CHECK_STR(l[0].from, "Zed <zed@b.org>");
		CHECK_STR(l[0].subject, "Olá");
		CHECK_INT(l[1].uid, 2);
		CHECK(l[1].from == NULL && l[1].subject == NULL);
	}
	store_listed_free(l, n);
	CHECK_INT(store_folder_listing(st, 9999, &l, &n), STORE_OK);
	CHECK_INT(n, 0);
	CHECK(l == NULL);

	/* devices by name; a device's messages INBOX first, POP3 before IMAP */
	CHECK_INT(store_device_add(st, "phone", NULL, &phone), STORE_OK);
	CHECK_INT(store_device_add(st, "laptop", "amy@b.org", &laptop), STORE_OK);
	struct store_device *dev = NULL;
	CHECK_INT(store_devices(st, &dev, &n), STORE_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(dev[0].name, "laptop");
		CHECK_STR(dev[0].owner, "amy@b.org");
		CHECK_INT(dev[0].id, laptop);
		CHECK_STR(dev[1].name, "phone");
		CHECK_STR(dev[1].owner, "");
	}
	free(dev);
	CHECK_INT(store_device_message_add(st, laptop, "Sent", "s\r\n", 3, &sum, NULL, 1,
					   0), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "i\r\n", 3, NULL, NULL, 7,
					   0), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "p2\r\n", 4, NULL, "4.2", 0,
					   0), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "i\r\n", 3, NULL, NULL, 3,
					   STORE_FLAG_FLAGGED), STORE_OK);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "p1\r\n", 4, &sum, "4.1", 0,
					   0), STORE_OK);
	CHECK_INT(store_device_listing(st, laptop, &l, &n), STORE_OK);
	CHECK_INT(n, 5);
	if (n == 5) {
		CHECK_STR(l[0].folder, "INBOX");
		CHECK_STR(l[0].uidl, "4.2"); /* POP3, in the order downloaded */
		CHECK_INT(l[0].uid, 0);
		CHECK_STR(l[1].uidl, "4.1");
		CHECK_STR(l[1].subject, "Olá");
		CHECK_INT(l[2].uid, 3);
		CHECK(l[2].uidl == NULL);
		CHECK_INT(l[2].flags, STORE_FLAG_FLAGGED);
		CHECK_INT(l[3].uid, 7);
		CHECK_STR(l[4].folder, "Sent");
		CHECK_INT(l[4].size, 3);
	}
	store_listed_free(l, n);
	CHECK_INT(store_device_listing(st, phone, &l, &n), STORE_OK);
	CHECK_INT(n, 0);
	store_listed_free(l, n);

	/* servers: those with accounts and those with only a queue, once each */
	const char *rcpts[] = {"x@c.org"};
	CHECK_INT(store_queue_add(st, "mx.b.org", "c.org", "amy@b.org", rcpts, 1, "m", 1, 0, 0,
				  NULL), STORE_OK);
	CHECK_INT(store_queue_add(st, "mx.0.org", "c.org", "", rcpts, 1, "m", 1, 0, 0,
				  NULL), STORE_OK);
	char **servers = NULL;
	CHECK_INT(store_servers(st, &servers, &n), STORE_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(servers[0], "mx.0.org");
		CHECK_STR(servers[1], "mx.a.org");
		CHECK_STR(servers[2], "mx.b.org");
	}
	store_strings_free(servers, n);
	CHECK_INT(store_accounts(NULL, &acc, &n), STORE_ERROR);
	CHECK_INT(store_devices(NULL, &dev, &n), STORE_ERROR);
	store_close(st);
}

/* Looking without touching: nothing created, nothing written, nothing
 * upgraded; a file that is not mailsim's is told apart. */
/* The commit hook: count the commits it is asked about, fail them all. */
static bool fail_every_commit(void *ctx)
{
	int *calls = ctx;
	(*calls)++;
	return true;
}

/* A commit that fails (a full disk, an I/O error; here injected) keeps
 * nothing of its transaction and says so, at whatever depth the work was
 * done; the UIDs it took are given back, and the store goes on. */
static void test_commit_fault(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, n = -1;
	add_alice(st, &inbox);
	int calls = 0;
	store_set_commit_fault(st, fail_every_commit, &calls);

	/* a call that is a transaction of its own */
	uint32_t uid = 0;
	CHECK_INT(store_message_add(st, inbox, "a\r\n", 3, 1, 0, NULL, &uid), STORE_ERROR);
	CHECK_STR(store_error(st), "commit: injected failure");
	CHECK_INT(calls, 1);

	/* nested: only the outermost commit goes to SQLite, and it fails */
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_message_add(st, inbox, "b\r\n", 3, 1, 0, NULL, &uid), STORE_OK);
	CHECK_INT(store_commit(st), STORE_OK);
	CHECK_INT(calls, 1);
	CHECK_INT(store_commit(st), STORE_ERROR);
	CHECK_INT(calls, 2);
	CHECK_STR(store_error(st), "commit: injected failure");

	/* nothing of either was kept */
	store_set_commit_fault(st, NULL, NULL);
	CHECK_INT(store_folder_count(st, inbox, &n), STORE_OK);
	CHECK_INT(n, 0);
	struct store_folder f;
	CHECK_INT(store_folder_get(st, inbox, &f), STORE_OK);
	CHECK_INT(f.uidnext, 1);
	CHECK_INT(store_message_add(st, inbox, "c\r\n", 3, 1, 0, NULL, &uid), STORE_OK);
	CHECK_INT(uid, 1);
	CHECK_INT(calls, 2);
	store_close(st);
}

static void test_open_readonly(void)
{
	if (make_tmpdir() < 0) {
		CHECK(!"mkdtemp failed");
		return;
	}
	struct store *st = NULL;
	char err[256];
	/* no such file: refused, and not created */
	CHECK_INT(store_open_readonly(&st, dbpath, err, sizeof err), STORE_ERROR);
	CHECK(st == NULL);
	CHECK_CONTAINS(err, "unable to open");
	CHECK(access(dbpath, F_OK) != 0);
	CHECK_INT(store_open_readonly(&st, NULL, err, sizeof err), STORE_ERROR);
	CHECK_INT(store_open_readonly(NULL, dbpath, err, sizeof err), STORE_ERROR);

	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	int64_t inbox = 0;
	add_alice(st, &inbox);
	store_close(st);

	st = NULL;
	CHECK_INT(store_open_readonly(&st, dbpath, err, sizeof err), STORE_OK);
	CHECK_STR(err, "");
	struct store_account *acc = NULL;
	size_t n = 0;
	CHECK_INT(store_accounts(st, &acc, &n), STORE_OK);
	CHECK_INT(n, 1);
	free(acc);
	/* a change is refused */
	CHECK_INT(store_account_add(st, "bob@example.org", "p", "", "mx", NULL), STORE_ERROR);
	CHECK_INT(store_message_add(st, inbox, "x\r\n", 3, 1, 0, NULL, NULL), STORE_ERROR);
	store_close(st);
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM accounts"), 1);
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM messages"), 0);

	/* a newer schema: store_open's words */
	sqlite3 *db = NULL;
	CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(store_open_readonly(&st, dbpath, err, sizeof err), STORE_ERROR);
	CHECK_STR(err, NEWER_THAN_US);

	/* version 2, but someone else's tables */
	remove_tmpdir();
	CHECK_INT(make_tmpdir(), 0);
	CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "CREATE TABLE accounts (x); PRAGMA user_version = "
			       STORE_TEST_XSTR(STORE_SCHEMA_VERSION), NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(store_open_readonly(&st, dbpath, err, sizeof err), STORE_ERROR);
	CHECK_STR(err, "not a mailsim database (its tables are not mailsim's)");

	/* an SQLite database with no schema version, an empty file, not SQLite */
	remove_tmpdir();
	CHECK_INT(make_tmpdir(), 0);
	CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(store_open_readonly(&st, dbpath, err, sizeof err), STORE_ERROR);
	CHECK_STR(err, "not a mailsim database (it has no schema version)");
	FILE *f = fopen(dbpath, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	CHECK_INT(store_open_readonly(&st, dbpath, err, sizeof err), STORE_ERROR);
	CHECK_STR(err, "not a mailsim database (it has no schema version)");
	f = fopen(dbpath, "w");
	if (f) {
		fputs("this is not an SQLite database, but it is long enough to look at.\n", f);
		fclose(f);
	}
	CHECK_INT(store_open_readonly(&st, dbpath, err, sizeof err), STORE_ERROR);
	CHECK_STR(err, "not a mailsim database (not an SQLite file at all)");

	/* version 1: 1, left as it is (only store_open upgrades) */
	remove_tmpdir();
	CHECK_INT(make_tmpdir(), 0);
	CHECK_INT(make_v1_db(NULL), 0);
	CHECK_INT(store_open_readonly(&st, dbpath, err, sizeof err), STORE_OLD_SCHEMA);
	CHECK(st == NULL);
	CHECK_CONTAINS(err, "database schema version 1 is older than this mailsim ("
		       STORE_TEST_XSTR(STORE_SCHEMA_VERSION) ")");
	CHECK_INT(sql_int(dbpath, "PRAGMA user_version"), 1);
	remove_tmpdir();
}

/*
 * Counters (schema 3): numbers that must never repeat, such as queue ids
 * and the Message-IDs of bounces (RFC 5322 3.6.4).  In memory they start
 * at 1 on every run, so a simulation stays the same bytes; in a file they
 * go on where the last run stopped.
 */
static void test_counters(void)
{
	struct store *st = open_mem();
	if (!st)
		return;
	uint64_t v = 0;
	CHECK_INT(store_counter_next(st, "queue", &v), STORE_OK);
	CHECK_INT(v, 1);
	CHECK_INT(store_counter_next(st, "queue", &v), STORE_OK);
	CHECK_INT(v, 2);
	/* each name counts on its own */
	CHECK_INT(store_counter_next(st, "message-id", &v), STORE_OK);
	CHECK_INT(v, 1);
	CHECK_INT(store_counter_next(st, "queue", &v), STORE_OK);
	CHECK_INT(v, 3);
	/* a rolled-back step hands its number out again: nothing carried it */
	CHECK_INT(store_begin(st), STORE_OK);
	CHECK_INT(store_counter_next(st, "queue", &v), STORE_OK);
	CHECK_INT(v, 4);
	store_rollback(st);
	CHECK_INT(store_counter_next(st, "queue", &v), STORE_OK);
	CHECK_INT(v, 4);
	/* bad names are refused before anything changes */
	v = 99;
	CHECK_INT(store_counter_next(st, "", &v), STORE_ERROR);
	CHECK_CONTAINS(store_error(st), "counter name is empty");
	CHECK_INT(store_counter_next(st, NULL, &v), STORE_ERROR);
	CHECK_INT(v, 99);
	CHECK_INT(store_counter_next(st, "queue", NULL), STORE_ERROR);
	store_close(st);

	/* a file store goes on across opens (a restart of mailsim --db) */
	if (make_tmpdir() < 0) {
		CHECK(!"mkdtemp failed");
		return;
	}
	char err[256];
	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	CHECK_INT(store_counter_next(st, "queue", &v), STORE_OK);
	CHECK_INT(v, 1);
	CHECK_INT(store_counter_next(st, "queue", &v), STORE_OK);
	CHECK_INT(v, 2);
	store_close(st);
	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	CHECK_INT(store_counter_next(st, "queue", &v), STORE_OK);
	CHECK_INT(v, 3);
	/* two stores on one file (two processes) never get the same number */
	struct store *st2 = NULL;
	CHECK_INT(store_open(&st2, dbpath, err, sizeof err), STORE_OK);
	CHECK_INT(store_counter_next(st2, "queue", &v), STORE_OK);
	CHECK_INT(v, 4);
	CHECK_INT(store_counter_next(st, "queue", &v), STORE_OK);
	CHECK_INT(v, 5);
	store_close(st2);
	store_close(st);
	CHECK_INT(sql_int(dbpath, "SELECT value FROM counters WHERE name = 'queue'"), 5);
	remove_tmpdir();
}

/* The step from schema 2 to 3 adds the counters table (and the IMAP
 * columns and table of test_schema_upgrade); a version 2 database keeps its
 * mail and starts counting at 1. */
static void test_schema_upgrade_counters(void)
{
	if (make_tmpdir() < 0) {
		CHECK(!"mkdtemp failed");
		return;
	}
	/* a version 2 database: today's, without what schema 3 added */
	struct store *st = NULL;
	char err[256];
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	int64_t inbox = 0;
	add_alice(st, &inbox);
	CHECK_INT(store_message_add(st, inbox, "x\r\n", 3, 1000, 0, NULL, NULL), STORE_OK);
	store_close(st);
	sqlite3 *db = NULL;
	CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "DROP TABLE counters; DROP TABLE orphan_subscriptions;"
			       " ALTER TABLE folders DROP COLUMN recent_uid;"
			       " PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	/* looking does not upgrade */
	st = NULL;
	CHECK_INT(store_open_readonly(&st, dbpath, err, sizeof err), STORE_OLD_SCHEMA);
	CHECK_CONTAINS(err, "is older than this mailsim");

	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_OK);
	uint64_t v = 0;
	CHECK_INT(store_counter_next(st, "queue", &v), STORE_OK);
	CHECK_INT(v, 1);
	int64_t n = 0;
	CHECK_INT(store_folder_count(st, inbox, &n), STORE_OK);
	CHECK_INT(n, 1);
	store_close(st);
	CHECK_INT(sql_int(dbpath, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	st = NULL;
	CHECK_INT(store_open_readonly(&st, dbpath, err, sizeof err), STORE_OK);
	store_close(st);

	/* a step that fails leaves a whole version 2 */
	CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "DROP TABLE counters; DROP TABLE orphan_subscriptions;"
			       " ALTER TABLE folders DROP COLUMN recent_uid;"
			       " CREATE TABLE counters (x); PRAGMA user_version = 2",
			       NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), STORE_ERROR);
	CHECK(st == NULL);
	CHECK_CONTAINS(err, "upgrade schema 2 to 3");
	CHECK_CONTAINS(err, "counters already exists");
	CHECK_INT(sql_int(dbpath, "PRAGMA user_version"), 2);
	remove_tmpdir();
}

static void test_null_store(void)
{
	int64_t n;
	CHECK_INT(store_begin(NULL), STORE_ERROR);
	CHECK_INT(store_commit(NULL), STORE_ERROR);
	store_rollback(NULL);
	CHECK_INT(store_account_add(NULL, "a@b", "p", "", "mx", NULL), STORE_ERROR);
	CHECK_INT(store_folder_count(NULL, 1, &n), STORE_ERROR);
	CHECK_INT(store_queue_count(NULL, NULL, &n), STORE_ERROR);
	uint64_t v = 7;
	CHECK_INT(store_counter_next(NULL, "queue", &v), STORE_ERROR);
	CHECK_INT(v, 7);
	CHECK_STR(store_error(NULL), "no store");
}

int main(void)
{
	RUN(test_open_memory);
	RUN(test_file_db);
	RUN(test_not_a_database);
	RUN(test_accounts);
	RUN(test_default_folders);
	RUN(test_uidvalidity_deterministic);
	RUN(test_uidvalidity_not_reused);
	RUN(test_messages);
	RUN(test_folder_has);
	RUN(test_transactions);
	RUN(test_queue);
	RUN(test_devices);
	RUN(test_folder_list_and_delete);
	RUN(test_device_uidls);
	RUN(test_match_flags);
	RUN(test_binary_content);
	RUN(test_many_deliveries);
	RUN(test_schema_upgrade);
	RUN(test_folder_recent_uid);
	RUN(test_orphan_subscriptions);
	RUN(test_folders_and_stats);
	RUN(test_folder_delete);
	RUN(test_folder_rename);
	RUN(test_set_flags);
	RUN(test_message_copy);
	RUN(test_device_folders);
	RUN(test_set_flags_many);
	RUN(test_listing);
	RUN(test_open_readonly);
	RUN(test_counters);
	RUN(test_schema_upgrade_counters);
	RUN(test_commit_fault);
	RUN(test_null_store);
	return TEST_END();
}
