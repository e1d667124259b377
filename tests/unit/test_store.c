/*
 * test_store.c - the SQLite store: schema, accounts, folders, messages,
 * nested transactions, relay queues, devices.
 */
#include "store.h"
#include "test.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct store *open_mem(void)
{
	struct store *st = NULL;
	char err[256];
	if (store_open(&st, NULL, err, sizeof err) != 0) {
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
				    &id), 0);
	CHECK_INT(store_folder_find(st, id, "INBOX", inbox), 0);
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
	CHECK_INT(store_queue_count(st, NULL, &n), 0);
	CHECK_INT(n, 0);
	store_close(st);
	store_close(NULL); /* harmless */
	CHECK_INT(store_open(NULL, NULL, NULL, 0), -1);
}

static void test_file_db(void)
{
	if (make_tmpdir() < 0) {
		CHECK(!"mkdtemp failed");
		return;
	}
	struct store *st = NULL;
	char err[256];
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), 0);
	int64_t inbox = 0;
	add_alice(st, &inbox);
	uint32_t uid = 0;
	CHECK_INT(store_message_add(st, inbox, "Subject: hi\r\n\r\nbody\r\n", 21, 1000, 0, NULL,
				    &uid), 0);
	CHECK_INT(uid, 1);
	store_close(st);

	/* The schema version is written, and WAL is on, as plain SQLite sees. */
	CHECK_INT(sql_int(dbpath, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM messages"), 1);

	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), 0);
	struct store_account a;
	CHECK_INT(store_account_find(st, "alice@example.org", &a), 0);
	int64_t inbox2 = 0, n = 0;
	CHECK_INT(store_folder_find(st, a.id, "INBOX", &inbox2), 0);
	CHECK_INT(inbox2, inbox);
	CHECK_INT(store_folder_count(st, inbox2, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(store_message_add(st, inbox, "x\r\n", 3, 1001, 0, NULL, &uid), 0);
	CHECK_INT(uid, 2); /* UIDNEXT survived the reopen */
	CHECK_INT(sql_int(dbpath, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	store_close(st);

	/* A newer schema than this program knows is refused, with the version. */
	sqlite3 *db = NULL;
	CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), -1);
	CHECK(st == NULL);
	CHECK_STR(err, "database schema version 7 is newer than this mailsim (1)");

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
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), -1);
	CHECK_CONTAINS(err, "not a database");
	remove_tmpdir();
}

static void test_accounts(void)
{
	struct store *st = open_mem();
	int64_t id = 0, id2 = 0;
	CHECK_INT(store_account_add(st, "alice@example.org", "secret", "Alice", "mx.example.org",
				    &id), 0);
	CHECK(id > 0);
	CHECK_INT(store_account_add(st, "bob@example.net", "pw", NULL, "mx.example.net", &id2), 0);
	CHECK(id2 != id);

	/* The same address in other case is the same account. */
	CHECK_INT(store_account_add(st, "ALICE@Example.org", "x", "", "mx.example.org", NULL), -1);
	CHECK_STR(store_error(st), "account ALICE@Example.org already exists");

	struct store_account a;
	CHECK_INT(store_account_find(st, "Alice@EXAMPLE.org", &a), 0);
	CHECK_INT(a.id, id);
	CHECK_STR(a.address, "alice@example.org");
	CHECK_STR(a.name, "Alice");
	CHECK_STR(a.server, "mx.example.org");
	CHECK_INT(store_account_find(st, "bob@example.net", &a), 0);
	CHECK_STR(a.name, "");
	CHECK_INT(store_account_find(st, "carol@example.org", &a), 1);

	CHECK_INT(store_account_auth(st, "alice@example.org", "secret"), 0);
	CHECK_INT(store_account_auth(st, "ALICE@example.org", "secret"), 0);
	CHECK_INT(store_account_auth(st, "alice@example.org", "Secret"), 1);
	CHECK_INT(store_account_auth(st, "alice@example.org", ""), 1);
	CHECK_INT(store_account_auth(st, "carol@example.org", "secret"), 1);
	CHECK_INT(store_account_auth(st, "alice@example.org", NULL), 1);

	/* Bad arguments: -1 with a reason, nothing created. */
	CHECK_INT(store_account_add(st, NULL, "x", "", "mx", NULL), -1);
	CHECK_STR(store_error(st), "address is missing");
	CHECK_INT(store_account_add(st, "", "x", "", "mx", NULL), -1);
	CHECK_INT(store_account_add(st, "dave@example.org", "x", "", NULL, NULL), -1);
	char longaddr[400];
	memset(longaddr, 'a', sizeof longaddr - 1);
	longaddr[sizeof longaddr - 1] = '\0';
	CHECK_INT(store_account_add(st, longaddr, "x", "", "mx", NULL), -1);
	CHECK_INT(store_account_find(st, NULL, &a), -1);
	CHECK_INT(store_account_find(st, "dave@example.org", &a), 1);
	store_close(st);
}

static void test_default_folders(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, sent = 0, trash = 0, other = 0;
	int64_t acct = add_alice(st, &inbox);
	CHECK_INT(store_folder_find(st, acct, "Sent", &sent), 0);
	CHECK_INT(store_folder_find(st, acct, "Trash", &trash), 0);
	CHECK_INT(store_folder_find(st, acct, "inbox", &other), 0); /* INBOX in any case */
	CHECK_INT(other, inbox);
	CHECK_INT(store_folder_find(st, acct, "sent", &other), 1);  /* others are exact */
	CHECK_INT(store_folder_find(st, acct, "Drafts", &other), 1);

	struct store_folder f;
	CHECK_INT(store_folder_get(st, inbox, &f), 0);
	CHECK_STR(f.name, "INBOX");
	CHECK_STR(f.special_use, "");
	CHECK(f.subscribed);
	CHECK_INT(f.account_id, acct);
	CHECK_INT(f.uidnext, 1);
	CHECK(f.uidvalidity > 0);
	uint32_t v_inbox = f.uidvalidity;
	CHECK_INT(store_folder_get(st, sent, &f), 0);
	CHECK_STR(f.special_use, "\\Sent");
	CHECK(f.uidvalidity != v_inbox);
	CHECK_INT(store_folder_get(st, trash, &f), 0);
	CHECK_STR(f.special_use, "\\Trash");
	CHECK(f.subscribed);
	CHECK_INT(store_folder_get(st, 9999, &f), 1);

	/* Creating: a new one, then the same name again, then bad ones. */
	int64_t work = 0;
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &work), 0);
	CHECK_INT(store_folder_get(st, work, &f), 0);
	CHECK_STR(f.name, "Work");
	CHECK(f.uidvalidity > v_inbox);
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, NULL), -1);
	CHECK_STR(store_error(st), "folder \"Work\" already exists");
	CHECK_INT(store_folder_create(st, acct, "Inbox", NULL, NULL), -1);
	CHECK_INT(store_folder_create(st, acct, "Drafts", "\\Drafts", NULL), 0);
	CHECK_INT(store_folder_create(st, acct, "Odd", "\\Bogus", NULL), -1);
	CHECK_CONTAINS(store_error(st), "CHECK constraint failed");
	CHECK_INT(store_folder_create(st, 4242, "Work", NULL, NULL), -1);
	CHECK_STR(store_error(st), "no account 4242");
	CHECK_INT(store_folder_create(st, acct, "", NULL, NULL), -1);
	CHECK_INT(store_folder_create(st, acct, NULL, NULL, NULL), -1);

	/* Another account's INBOX is its own, with its own UIDVALIDITY. */
	int64_t bob = 0, bob_inbox = 0;
	CHECK_INT(store_account_add(st, "bob@example.net", "pw", "Bob", "mx.example.net", &bob), 0);
	CHECK_INT(store_folder_find(st, bob, "INBOX", &bob_inbox), 0);
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
		CHECK_INT(store_folder_get(st, inbox, &f), 0);
		v[i] = f.uidvalidity;
		store_close(st);
	}
	CHECK_INT(v[0], v[1]);
	CHECK_INT(v[0], 1);
}

/* RFC 3501 2.3.1.1: a folder deleted and created again under the same name
 * must not get its old UIDVALIDITY, or clients would trust stale UIDs.
 * (There is no folder delete in the API yet; plain SQL stands in for it.) */
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
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), 0);
	int64_t acct = add_alice(st, &inbox);
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &work), 0);
	CHECK_INT(store_folder_get(st, work, &f), 0);
	uint32_t old = f.uidvalidity;
	CHECK_INT(store_message_add(st, work, "m", 1, 0, 0, NULL, NULL), 0);
	store_close(st);

	sqlite3 *db = NULL;
	CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM folders WHERE name = 'Work'",
			       NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(sql_int(dbpath, "SELECT count(*) FROM messages"), 0); /* cascaded */

	st = NULL;
	CHECK_INT(store_open(&st, dbpath, err, sizeof err), 0);
	CHECK_INT(store_folder_create(st, acct, "Work", NULL, &work), 0);
	CHECK_INT(store_folder_get(st, work, &f), 0);
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
	CHECK_INT(store_folder_find(st, acct, "Sent", &sent), 0);

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
					    &uid), 0);
		CHECK_INT(uid, i);
	}
	struct store_folder f;
	CHECK_INT(store_folder_get(st, inbox, &f), 0);
	CHECK_INT(f.uidnext, 4);
	int64_t n = 0;
	CHECK_INT(store_folder_count(st, inbox, &n), 0);
	CHECK_INT(n, 3);
	CHECK_INT(store_folder_count(st, sent, &n), 0);
	CHECK_INT(n, 0);

	/* UIDs are per folder. */
	CHECK_INT(store_message_add(st, sent, "x\r\n", 3, 1, STORE_FLAG_SEEN, NULL, &uid), 0);
	CHECK_INT(uid, 1);

	struct store_message m;
	CHECK_INT(store_message_get(st, inbox, 2, false, &m), 0);
	CHECK_INT(m.uid, 2);
	CHECK_INT(m.size, (long long)strlen(msg));
	CHECK_INT(m.internaldate, 1700000002);
	CHECK(m.content == NULL);
	CHECK_INT(store_message_get(st, inbox, 2, true, &m), 0);
	CHECK_STR(m.content, msg);
	CHECK_INT(m.content_len, strlen(msg));
	store_message_free(&m);
	CHECK_INT(store_message_get(st, sent, 1, false, &m), 0);
	CHECK_INT(m.flags, STORE_FLAG_SEEN);
	CHECK_INT(store_message_get(st, inbox, 99, false, &m), 1);

	/* A summary may be missing entirely, or in part. */
	struct store_summary part = {.subject = "Only a subject"};
	CHECK_INT(store_message_add(st, inbox, "y\r\n", 3, 2, 0, &part, &uid), 0);
	CHECK_INT(uid, 4);
	CHECK_INT(store_message_add(st, inbox, "", 0, 2, 0, NULL, &uid), 0);
	CHECK_INT(uid, 5);

	/* Refused: no folder, no content, unknown flag bits.  UIDs not used up. */
	CHECK_INT(store_message_add(st, 9999, "x", 1, 0, 0, NULL, &uid), -1);
	CHECK_STR(store_error(st), "add message: no folder 9999");
	CHECK_INT(store_message_add(st, inbox, NULL, 5, 0, 0, NULL, &uid), -1);
	CHECK_INT(store_message_add(st, inbox, "x", 1, 0, 1u << 10, NULL, &uid), -1);
	CHECK_INT(store_message_add(st, inbox, "z", 1, 0, 0, NULL, &uid), 0);
	CHECK_INT(uid, 6);
	store_close(st);
}

static void test_folder_has(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, trash = 0;
	int64_t acct = add_alice(st, &inbox);
	CHECK_INT(store_folder_find(st, acct, "Trash", &trash), 0);
	struct store_summary sum = {
		.from = "Bob Smith <Bob@Example.NET>",
		.to = "Alice <alice@example.org>, carol_x@example.org",
		.subject = "Caf\xc3\xa9 at noon",
	};
	CHECK_INT(store_message_add(st, inbox, "m\r\n", 3, 0, 0, &sum, NULL), 0);
	struct store_summary nohdr = {.subject = NULL};
	CHECK_INT(store_message_add(st, inbox, "n\r\n", 3, 0, 0, &nohdr, NULL), 0);

	CHECK_INT(store_folder_has(st, inbox, NULL, NULL, NULL), 0); /* anything at all */
	CHECK_INT(store_folder_has(st, trash, NULL, NULL, NULL), 1);
	CHECK_INT(store_folder_has(st, inbox, "bob@example.net", NULL, NULL), 0);
	CHECK_INT(store_folder_has(st, inbox, "BOB@EXAMPLE.NET", NULL, NULL), 0);
	CHECK_INT(store_folder_has(st, inbox, "dave@example.net", NULL, NULL), 1);
	CHECK_INT(store_folder_has(st, inbox, NULL, "alice@example.org", NULL), 0);
	CHECK_INT(store_folder_has(st, inbox, NULL, "carol_x@example.org", NULL), 0);
	CHECK_INT(store_folder_has(st, inbox, NULL, "carolax@example.org", NULL), 1); /* _ literal */
	CHECK_INT(store_folder_has(st, inbox, NULL, "%", NULL), 1);
	CHECK_INT(store_folder_has(st, inbox, NULL, NULL, "Caf\xc3\xa9 at noon"), 0);
	CHECK_INT(store_folder_has(st, inbox, NULL, NULL, "caf\xc3\xa9 at noon"), 1);
	CHECK_INT(store_folder_has(st, inbox, NULL, NULL, "Caf\xc3\xa9"), 1);
	CHECK_INT(store_folder_has(st, inbox, "bob@example.net", "alice@example.org",
				   "Caf\xc3\xa9 at noon"), 0);
	CHECK_INT(store_folder_has(st, inbox, "bob@example.net", "dave@example.org",
				   "Caf\xc3\xa9 at noon"), 1);
	CHECK_INT(store_folder_has(st, trash, "bob@example.net", NULL, NULL), 1);
	store_close(st);
}

static void test_transactions(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0, n = -1;
	add_alice(st, &inbox);

	/* Nested commit: only the outer one makes it durable; both count. */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_message_add(st, inbox, "a", 1, 0, 0, NULL, NULL), 0);
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_message_add(st, inbox, "b", 1, 0, 0, NULL, NULL), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(store_commit(st), 0);
	CHECK_INT(store_folder_count(st, inbox, &n), 0);
	CHECK_INT(n, 2);

	/* Rollback of the inner level throws away the outer level's work too;
	 * the outer commit says so. */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_message_add(st, inbox, "c", 1, 0, 0, NULL, NULL), 0);
	CHECK_INT(store_queue_add(st, "mx", "example.net", "a@b",
				  (const char *const[]){"x@example.net"}, 1, "q", 1, 0, 0, NULL), 0);
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_message_add(st, inbox, "d", 1, 0, 0, NULL, NULL), 0);
	store_rollback(st);
	CHECK_INT(store_begin(st), -1); /* no new level inside a doomed one */
	CHECK_INT(store_message_add(st, inbox, "e", 1, 0, 0, NULL, NULL), -1);
	CHECK_INT(store_commit(st), -1);
	CHECK_INT(store_folder_count(st, inbox, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(store_queue_count(st, NULL, &n), 0);
	CHECK_INT(n, 0);
	struct store_folder f;
	CHECK_INT(store_folder_get(st, inbox, &f), 0);
	CHECK_INT(f.uidnext, 3); /* the rolled-back UIDs are given back */

	/* Back at depth 0, all works again. */
	uint32_t uid = 0;
	CHECK_INT(store_message_add(st, inbox, "f", 1, 0, 0, NULL, &uid), 0);
	CHECK_INT(uid, 3);

	/* A failing call inside a transaction rolls back the caller's work and
	 * its reason stays for the caller's commit to report. */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_message_add(st, inbox, "g", 1, 0, 0, NULL, NULL), 0);
	CHECK_INT(store_account_add(st, "alice@example.org", "x", "", "mx", NULL), -1);
	CHECK_INT(store_commit(st), -1);
	CHECK_STR(store_error(st), "account alice@example.org already exists");
	CHECK_INT(store_folder_count(st, inbox, &n), 0);
	CHECK_INT(n, 3);

	/* Unbalanced calls are errors, not crashes. */
	CHECK_INT(store_commit(st), -1);
	store_rollback(st);
	CHECK_INT(store_begin(st), 0);
	store_rollback(st);
	CHECK_INT(store_message_add(st, inbox, "h", 1, 0, 0, NULL, &uid), 0);
	CHECK_INT(uid, 4);
	store_close(st);
}

static void test_queue(void)
{
	struct store *st = open_mem();
	const char *rcpts[] = {"bob@example.net", "carol@example.net", "dave@example.net"};
	const char content[] = "From: a@b\r\n\r\nhello\r\n";
	int64_t id = 0, id2 = 0, n = -1;
	CHECK_INT(store_queue_add(st, "mx.example.org", "example.net", "alice@example.org", rcpts,
				  3, content, sizeof content - 1, 1700000000, 5000000, &id), 0);
	CHECK_INT(store_queue_add(st, "mx.other.org", "example.com", "", rcpts, 1, "b", 1, 1, 2,
				  &id2), 0);
	CHECK(id != id2);

	struct store_queue_entry e;
	CHECK_INT(store_queue_get(st, id, &e), 0);
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

	CHECK_INT(store_queue_get(st, id2, &e), 0);
	CHECK_STR(e.mail_from, ""); /* a bounce */
	store_queue_entry_free(&e);

	CHECK_INT(store_queue_remove_rcpt(st, id, "carol@example.net"), 0);
	CHECK_INT(store_queue_remove_rcpt(st, id, "carol@example.net"), 1);
	CHECK_INT(store_queue_remove_rcpt(st, 9999, "bob@example.net"), 1);
	CHECK_INT(store_queue_reschedule(st, id, 1, 65000000, "451 4.3.0 try later"), 0);
	CHECK_INT(store_queue_reschedule(st, 9999, 1, 1, NULL), 1);
	CHECK_INT(store_queue_get(st, id, &e), 0);
	CHECK_INT(e.nrcpts, 2);
	if (e.nrcpts == 2) {
		CHECK_STR(e.rcpts[0], "bob@example.net");
		CHECK_STR(e.rcpts[1], "dave@example.net");
	}
	CHECK_INT(e.attempts, 1);
	CHECK_INT(e.next_try_us, 65000000);
	CHECK_STR(e.last_reply, "451 4.3.0 try later");
	store_queue_entry_free(&e);

	CHECK_INT(store_queue_count(st, NULL, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(store_queue_count(st, "mx.example.org", &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(store_queue_count(st, "mx.nowhere", &n), 0);
	CHECK_INT(n, 0);

	CHECK_INT(store_queue_delete(st, id), 0);
	CHECK_INT(store_queue_delete(st, id), 1);
	CHECK_INT(store_queue_get(st, id, &e), 1);
	CHECK(e.rcpts == NULL && e.server == NULL);
	CHECK_INT(store_queue_count(st, NULL, &n), 0);
	CHECK_INT(n, 1);

	/* Refused. */
	CHECK_INT(store_queue_add(st, "mx", "d", "f", rcpts, 0, "x", 1, 0, 0, NULL), -1);
	CHECK_INT(store_queue_add(st, "mx", "d", "f", NULL, 2, "x", 1, 0, 0, NULL), -1);
	const char *badrcpts[] = {"ok@x", NULL};
	CHECK_INT(store_queue_add(st, "mx", "d", "f", badrcpts, 2, "x", 1, 0, 0, NULL), -1);
	CHECK_INT(store_queue_add(st, NULL, "d", "f", rcpts, 1, "x", 1, 0, 0, NULL), -1);
	CHECK_INT(store_queue_get(st, id2, NULL), -1);
	CHECK_INT(store_queue_count(st, NULL, &n), 0);
	CHECK_INT(n, 1);
	store_close(st);
}

static void test_devices(void)
{
	struct store *st = open_mem();
	int64_t laptop = 0, phone = 0, found = 0, n = -1;
	CHECK_INT(store_device_add(st, "alice-laptop", "alice@example.org", &laptop), 0);
	CHECK_INT(store_device_add(st, "alice-phone", NULL, &phone), 0);
	CHECK_INT(store_device_add(st, "alice-laptop", "x", NULL), -1);
	CHECK_STR(store_error(st), "device alice-laptop already exists");
	CHECK_INT(store_device_find(st, "alice-laptop", &found), 0);
	CHECK_INT(found, laptop);
	CHECK_INT(store_device_find(st, "bob-laptop", &found), 1);

	struct store_summary sum = {.from = "bob@example.net", .subject = "hi"};
	CHECK_INT(store_device_message_add(st, laptop, "Inbox", "m1\r\n", 4, &sum, "uidl-1", 0, 0),
		  0);
	CHECK_INT(store_device_message_add(st, laptop, "Inbox", "m2\r\n", 4, NULL, "uidl-2", 0,
					   STORE_FLAG_SEEN), 0);
	CHECK_INT(store_device_message_add(st, phone, "INBOX", "m1\r\n", 4, &sum, NULL, 1, 0), 0);
	CHECK_INT(store_device_message_add(st, 9999, "INBOX", "m1\r\n", 4, &sum, NULL, 1, 0), -1);
	CHECK_STR(store_error(st), "device message: no device 9999");
	CHECK_INT(store_device_message_add(st, phone, NULL, "m1\r\n", 4, &sum, NULL, 1, 0), -1);
	CHECK_INT(store_device_count(st, laptop, &n), 0);
	CHECK_INT(n, 2);
	CHECK_INT(store_device_count(st, phone, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(store_device_count(st, 9999, &n), 0);
	CHECK_INT(n, 0);
	store_close(st);
}

static void test_folder_list_and_delete(void)
{
	struct store *st = open_mem();
	int64_t inbox = 0;
	add_alice(st, &inbox);
	uint32_t uid = 0;
	CHECK_INT(store_message_add(st, inbox, "a\r\n", 3, 100, 0, NULL, &uid), 0);
	CHECK_INT(store_message_add(st, inbox, "bb\r\n", 4, 101, STORE_FLAG_SEEN, NULL, &uid), 0);
	CHECK_INT(store_message_add(st, inbox, "ccc\r\n", 5, 102, 0, NULL, &uid), 0);
	struct store_message *list = NULL;
	size_t n = 0;
	CHECK_INT(store_folder_list(st, inbox, &list, &n), 0);
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
	CHECK_INT(store_message_delete(st, inbox, 2), 0);
	CHECK_INT(store_message_delete(st, inbox, 2), 1);
	CHECK_INT(store_folder_list(st, inbox, &list, &n), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(list[0].uid, 1);
		CHECK_INT(list[1].uid, 3);
	}
	free(list);
	/* a deletion inside a transaction that is rolled back never happened */
	CHECK_INT(store_begin(st), 0);
	CHECK_INT(store_message_delete(st, inbox, 1), 0);
	store_rollback(st);
	int64_t count = 0;
	CHECK_INT(store_folder_count(st, inbox, &count), 0);
	CHECK_INT(count, 2);
	/* an empty folder lists nothing */
	int64_t trash = 0;
	CHECK_INT(store_folder_find(st, 1, "Trash", &trash), 0);
	CHECK_INT(store_folder_list(st, trash, &list, &n), 0);
	CHECK_INT(n, 0);
	free(list);
	store_close(st);
}

static void test_device_uidls(void)
{
	struct store *st = open_mem();
	int64_t laptop = 0;
	CHECK_INT(store_device_add(st, "bob-laptop", "bob@example.net", &laptop), 0);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "m\r\n", 3, NULL, "7.1", 0, 0), 0);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "m\r\n", 3, NULL, NULL, 4, 0), 0);
	CHECK_INT(store_device_message_add(st, laptop, "INBOX", "m\r\n", 3, NULL, "7.3", 0, 0), 0);
	char **uidls = NULL;
	size_t n = 0;
	CHECK_INT(store_device_uidls(st, laptop, &uidls, &n), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(uidls[0], "7.1");
		CHECK_STR(uidls[1], "7.3");
	}
	store_strings_free(uidls, n);
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
	CHECK_INT(store_message_add(st, inbox, bytes, len, 0, 0, NULL, &uid), 0);
	struct store_message m;
	CHECK_INT(store_message_get(st, inbox, uid, true, &m), 0);
	CHECK_INT(m.content_len, len);
	CHECK_INT(m.size, len);
	CHECK(m.content && memcmp(m.content, bytes, len) == 0 && m.content[len] == '\0');
	store_message_free(&m);

	const char *rcpt = "bob@example.net";
	int64_t id = 0;
	CHECK_INT(store_queue_add(st, "mx", "example.net", "a@b", &rcpt, 1, bytes, len, 0, 0, &id),
		  0);
	struct store_queue_entry e;
	CHECK_INT(store_queue_get(st, id, &e), 0);
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
		if (store_message_add(st, inbox, msg, sizeof msg - 1, i, 0, &sum, &uid) != 0 ||
		    uid != last + 1)
			failures++;
		last = uid;
	}
	CHECK_INT(failures, 0);
	CHECK_INT(store_folder_count(st, inbox, &n), 0);
	CHECK_INT(n, 10000);
	struct store_folder f;
	CHECK_INT(store_folder_get(st, inbox, &f), 0);
	CHECK_INT(f.uidnext, 10001);
	store_close(st);
}

static void test_null_store(void)
{
	int64_t n;
	CHECK_INT(store_begin(NULL), -1);
	CHECK_INT(store_commit(NULL), -1);
	store_rollback(NULL);
	CHECK_INT(store_account_add(NULL, "a@b", "p", "", "mx", NULL), -1);
	CHECK_INT(store_folder_count(NULL, 1, &n), -1);
	CHECK_INT(store_queue_count(NULL, NULL, &n), -1);
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
	RUN(test_binary_content);
	RUN(test_many_deliveries);
	RUN(test_null_store);
	return TEST_END();
}
