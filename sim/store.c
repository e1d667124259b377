/*
 * store.c - the one SQLite store shared by SMTP, POP3 and IMAP.
 *
 * Read this file top to bottom:
 *
 *   1. the schema, as the SQL that creates it (docs/SCHEMA.md explains it
 *      for students who open the database with the sqlite3 shell);
 *   2. the prepared statements, one table of SQL text;
 *   3. errors and transactions (the nesting rule is written out there, and
 *      the hook through which tests make a commit fail);
 *   4. the public functions, one group per table.
 *
 * Every public function that changes something runs inside
 * tx_begin()/tx_end(): called alone it is one transaction, called between
 * the caller's store_begin() and store_commit() it is part of that one.
 * Arguments are checked before the transaction is touched, so a call refused
 * for a bad argument changes nothing, not even the caller's transaction.
 * Every public function that can fail gives an enum store_result (store.h
 * says what each value means) and, for STORE_ERROR, sets store_error().
 */
#include "store.h"

#include "buf.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest text that fits the fixed fields of struct store_account. */
#define STORE_TEXT_MAX 255
/* How long a statement waits for another connection's lock before it gives
 * up with "database is locked". */
#define STORE_BUSY_TIMEOUT_MSECS 5000
/* UIDs are 32-bit nz-numbers, and UIDNEXT must fit one too (STATUS reports
 * it), so UIDNEXT stops here and the last UID a folder hands out is one less. */
#define STORE_UID_MAX 4294967295u

/* ------------------------------------------------------------------------
 * 1. The schema
 *
 * The comments are inside the CREATE statements on purpose: SQLite keeps a
 * table's CREATE text verbatim, so `.schema accounts` in the sqlite3 shell
 * shows them to whoever looks.
 * ------------------------------------------------------------------------ */

static const char store_schema_sql[] =
	"CREATE TABLE accounts (\n"
	"    -- One mailbox owner on one mail server.\n"
	"    id       INTEGER PRIMARY KEY,\n"
	"    -- 'alice@example.org'; NOCASE: ALICE@Example.ORG is the same account\n"
	"    address  TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
	"    -- kept in clear: a teaching store, and CRAM-MD5 needs the secret;\n"
	"    -- NULL means nobody can log in\n"
	"    password TEXT,\n"
	"    name     TEXT NOT NULL DEFAULT '',  -- display name, may be ''\n"
	"    server   TEXT NOT NULL              -- host name of the server that holds it\n"
	");\n"
	"\n"
	"CREATE TABLE folders (\n"
	"    -- An IMAP mailbox (a 'folder' to users): INBOX, Sent, Trash, others.\n"
	"    -- AUTOINCREMENT: an id is never handed out twice, even after a DELETE,\n"
	"    -- which is what makes it a safe UIDVALIDITY (see below).\n"
	"    id          INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,\n"
	"    name        TEXT NOT NULL,          -- 'INBOX', 'Sent', 'Work/2024'\n"
	"    -- RFC 6154 SPECIAL-USE attribute, NULL for an ordinary folder\n"
	"    special_use TEXT CONSTRAINT folders_special_use_known CHECK (special_use IN\n"
	"        ('\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash')),\n"
	"    subscribed  INTEGER NOT NULL DEFAULT 1 CHECK (subscribed IN (0, 1)), -- LSUB\n"
	"    -- RFC 3501 2.3.1.1: UIDs are valid only together with UIDVALIDITY; a\n"
	"    -- re-created folder must get a new, greater one.  It equals the id.\n"
	"    uidvalidity INTEGER NOT NULL CHECK (uidvalidity BETWEEN 1 AND 4294967295),\n"
	"    -- the UID the next message will get; UIDs only ever go up\n"
	"    uidnext     INTEGER NOT NULL DEFAULT 1 CHECK (uidnext BETWEEN 1 AND 4294967295),\n"
	"    -- RFC 3501 2.3.2: the highest UID an IMAP session has been told is\n"
	"    -- \\Recent; the messages above it are recent to the next session that\n"
	"    -- selects the folder.  Kept, so a restart does not make them new again.\n"
	"    -- Schema 3 (an upgraded database has the column last, as here).\n"
	"    recent_uid  INTEGER NOT NULL DEFAULT 0 CHECK (recent_uid BETWEEN 0 AND 4294967295),\n"
	"    UNIQUE (account_id, name)\n"
	");\n"
	"\n"
	"CREATE TABLE messages (\n"
	"    -- A message held by a server, in one folder.\n"
	"    id           INTEGER PRIMARY KEY,\n"
	"    folder_id    INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,\n"
	"    uid          INTEGER NOT NULL CHECK (uid BETWEEN 1 AND 4294967295),\n"
	"    internaldate INTEGER NOT NULL,   -- Unix seconds it arrived (IMAP INTERNALDATE)\n"
	"    size         INTEGER NOT NULL,   -- octets with CRLF line ends (RFC822.SIZE, POP3 LIST)\n"
	"    -- bits: 1 \\Seen, 2 \\Answered, 4 \\Flagged, 8 \\Deleted, 16 \\Draft, 32 \\Recent\n"
	"    -- (the view mail_overview spells them out)\n"
	"    flags        INTEGER NOT NULL DEFAULT 0 CHECK (flags BETWEEN 0 AND 63),\n"
	"    -- what the views show, parsed once at delivery; any may be NULL\n"
	"    from_hdr     TEXT,               -- decoded From: value\n"
	"    to_hdr       TEXT,               -- decoded To: value\n"
	"    subject      TEXT,               -- decoded (UTF-8) Subject: value\n"
	"    date_hdr     TEXT,               -- Date: value as written\n"
	"    message_id   TEXT,               -- Message-ID: value\n"
	"    -- IMAP keywords, space-separated ('$Label1 Junk'), '' for none.  Schema 2;\n"
	"    -- in a database upgraded from 1 it is the last column instead.\n"
	"    keywords     TEXT NOT NULL DEFAULT '',\n"
	"    content      BLOB NOT NULL,      -- the whole message, byte for byte\n"
	"    UNIQUE (folder_id, uid)          -- also the index that lists a folder\n"
	");\n"
	"\n"
	"CREATE TABLE queue (\n"
	"    -- Mail a server accepted for relay and has not yet handed on.\n"
	"    id          INTEGER PRIMARY KEY,\n"
	"    server      TEXT NOT NULL,      -- host whose queue holds it\n"
	"    domain      TEXT NOT NULL,      -- destination domain (whose MX to ask for)\n"
	"    mail_from   TEXT NOT NULL,      -- reverse-path; '' for a bounce (MAIL FROM:<>)\n"
	"    content     BLOB NOT NULL,\n"
	"    arrival     INTEGER NOT NULL,   -- Unix seconds it was accepted\n"
	"    attempts    INTEGER NOT NULL DEFAULT 0, -- delivery attempts made so far\n"
	"    next_try_us INTEGER NOT NULL,   -- simulated time of the next attempt, microseconds\n"
	"    last_reply  TEXT                -- the last temporary failure, NULL before one\n"
	");\n"
	"CREATE INDEX queue_by_server ON queue (server, next_try_us);\n"
	"\n"
	"CREATE TABLE queue_rcpts (\n"
	"    -- The recipients of a queue entry still waiting for delivery.\n"
	"    id       INTEGER PRIMARY KEY,   -- also the order the recipients came in\n"
	"    queue_id INTEGER NOT NULL REFERENCES queue(id) ON DELETE CASCADE,\n"
	"    rcpt     TEXT NOT NULL          -- forward-path, 'bob@example.net'\n"
	");\n"
	"CREATE INDEX queue_rcpts_by_entry ON queue_rcpts (queue_id, id);\n"
	"\n"
	"CREATE TABLE devices (\n"
	"    -- A user agent (laptop, phone) that keeps its own copy of mail.\n"
	"    id    INTEGER PRIMARY KEY,\n"
	"    name  TEXT NOT NULL UNIQUE,     -- 'alice-laptop'\n"
	"    owner TEXT                      -- address of whoever uses it, or NULL\n"
	");\n"
	"\n"
	"CREATE TABLE device_messages (\n"
	"    -- A message as a device holds it: what POP3 downloaded, or IMAP cached.\n"
	"    id         INTEGER PRIMARY KEY,\n"
	"    device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,\n"
	"    folder     TEXT NOT NULL,       -- local folder name on the device\n"
	"    uid        INTEGER,             -- the server's IMAP UID, NULL if got by POP3\n"
	"    uidl       TEXT,                -- the server's POP3 UIDL, NULL if got by IMAP\n"
	"    flags      INTEGER NOT NULL DEFAULT 0 CHECK (flags BETWEEN 0 AND 63), -- as messages.flags\n"
	"    size       INTEGER NOT NULL,    -- octets\n"
	"    from_hdr   TEXT,\n"
	"    to_hdr     TEXT,\n"
	"    subject    TEXT,\n"
	"    date_hdr   TEXT,\n"
	"    message_id TEXT,\n"
	"    content    BLOB NOT NULL\n"
	");\n"
	"CREATE INDEX device_messages_by_folder ON device_messages (device_id, folder, uid);\n"
	"\n"
	"CREATE VIEW queue_overview AS\n"
	"    -- Every queue entry with its pending recipients on one line.\n"
	"    SELECT q.id, q.server, q.domain, q.mail_from,\n"
	"           (SELECT group_concat(rcpt, ', ') FROM\n"
	"                (SELECT rcpt FROM queue_rcpts r WHERE r.queue_id = q.id ORDER BY r.id))\n"
	"               AS rcpts,\n"
	"           q.attempts, q.next_try_us, q.last_reply, length(q.content) AS size\n"
	"    FROM queue q\n"
	"    ORDER BY q.server, q.next_try_us, q.id;\n";

/* Schema 2's new table, shared by a new database and the upgrade from 1. */
static const char store_device_folders_sql[] =
	"CREATE TABLE device_folders (\n"
	"    -- A device's view of one server folder (IMAP): the UIDVALIDITY that its\n"
	"    -- cached UIDs (device_messages.uid of the same folder name) belong to.\n"
	"    id          INTEGER PRIMARY KEY,\n"
	"    device_id   INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,\n"
	"    name        TEXT NOT NULL,      -- the server's name: 'INBOX', 'Work/2024'\n"
	"    special_use TEXT,               -- as the server announced it (RFC 6154), or NULL\n"
	"    -- 0 until the device has selected the folder once\n"
	"    uidvalidity INTEGER NOT NULL DEFAULT 0 CHECK (uidvalidity BETWEEN 0 AND 4294967295),\n"
	"    UNIQUE (device_id, name)\n"
	");\n";

/* Schema 3's new table, shared by a new database and the upgrade from 2. */
static const char store_orphan_subscriptions_sql[] =
	"CREATE TABLE orphan_subscriptions (\n"
	"    -- RFC 3501 6.3.6: a subscription outlives its folder.  A folder's own\n"
	"    -- is folders.subscribed; when a subscribed folder is deleted its name\n"
	"    -- comes here, and LSUB goes on listing it (\\Noselect) until UNSUBSCRIBE,\n"
	"    -- or a new folder of that name, takes it back.\n"
	"    id         INTEGER PRIMARY KEY,\n"
	"    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,\n"
	"    name       TEXT NOT NULL,      -- 'Work', 'Work/2024'\n"
	"    UNIQUE (account_id, name)\n"
	");\n";

/* The view, shared too: the upgrade drops version 1's and creates this. */
static const char store_mail_overview_sql[] =
	"CREATE VIEW mail_overview AS\n"
	"    -- Every server-side message with its owner, folder and flags in words.\n"
	"    SELECT a.address, f.name AS folder, m.uid,\n"
	"           ltrim(CASE WHEN m.flags & 1 THEN ' \\Seen' ELSE '' END ||\n"
	"                 CASE WHEN m.flags & 2 THEN ' \\Answered' ELSE '' END ||\n"
	"                 CASE WHEN m.flags & 4 THEN ' \\Flagged' ELSE '' END ||\n"
	"                 CASE WHEN m.flags & 8 THEN ' \\Deleted' ELSE '' END ||\n"
	"                 CASE WHEN m.flags & 16 THEN ' \\Draft' ELSE '' END ||\n"
	"                 CASE WHEN m.flags & 32 THEN ' \\Recent' ELSE '' END) AS flags,\n"
	"           m.keywords, m.size, m.from_hdr, m.to_hdr, m.subject\n"
	"    FROM messages m\n"
	"    JOIN folders f ON f.id = m.folder_id\n"
	"    JOIN accounts a ON a.id = f.account_id\n"
	"    ORDER BY a.address, f.name, m.uid;\n";

/* Schema 3's table, shared by a new database and the upgrade from 2. */
static const char store_counters_sql[] =
	"CREATE TABLE counters (\n"
	"    -- Numbers a server hands out that must never repeat, not even after a\n"
	"    -- restart: queue ids ('queue') and the Message-IDs of the messages\n"
	"    -- mailsim writes itself ('message-id': bounces, the simulated user\n"
	"    -- agents' mail), which RFC 5322 3.6.4 says MUST be unique.\n"
	"    name  TEXT PRIMARY KEY,\n"
	"    value INTEGER NOT NULL CHECK (value >= 1) -- the last one handed out\n"
	");\n";

/* Version 1 to 2, in one transaction with the new user_version.  ADD COLUMN
 * only edits the table's stored CREATE text (old rows read the DEFAULT), so
 * it takes no time however many messages there are. */
static const char store_upgrade_1_to_2_sql[] =
	"ALTER TABLE messages ADD COLUMN keywords TEXT NOT NULL DEFAULT '';\n"
	"DROP VIEW mail_overview;\n";

/* Version 2 to 3: what IMAP sessions have been told is \Recent, per folder.
 * ADD COLUMN appends, so the column is last - where the new schema puts it
 * too.  Old rows read 0: every message is recent to the next session,
 * which is what a version 2 mailsim said after every start anyway. */
static const char store_upgrade_2_to_3_sql[] =
	"ALTER TABLE folders ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 0"
	" CHECK (recent_uid BETWEEN 0 AND 4294967295);\n";

/* ------------------------------------------------------------------------
 * 2. Prepared statements
 *
 * Turning SQL text into a program (sqlite3_prepare) costs more than running
 * it, so each statement is prepared the first time it is needed and kept:
 * afterwards it is only reset, bound and stepped.  That is most of what lets
 * the store take well over 10,000 deliveries a second in memory.
 * ------------------------------------------------------------------------ */

enum store_stmt {
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_ROLLBACK,
	SQL_ACCOUNT_ADD,
	SQL_ACCOUNT_FIND,
	SQL_ACCOUNT_PASSWORD,
	SQL_FOLDER_ADD,
	SQL_FOLDER_FIND,
	SQL_FOLDER_GET,
	SQL_FOLDER_UIDNEXT,
	SQL_FOLDER_RECENT_UID,
	SQL_FOLDER_SET_RECENT_UID,
	SQL_ORPHAN_SUBSCRIPTION_ADD,
	SQL_ORPHAN_SUBSCRIPTION_DELETE,
	SQL_ORPHAN_SUBSCRIPTIONS,
	SQL_FOLDER_BUMP_UIDNEXT,
	SQL_FOLDER_COUNT,
	SQL_FOLDER_HAS,
	SQL_DEVICE_HAS,
	SQL_MESSAGE_ADD,
	SQL_MESSAGE_GET,
	SQL_FOLDER_LIST,
	SQL_MESSAGE_DELETE,
	SQL_DEVICE_UIDLS,
	SQL_FOLDER_COUNT_ABOVE,
	SQL_QUEUE_LIST,
	SQL_QUEUE_ADD,
	SQL_QUEUE_RCPT_ADD,
	SQL_QUEUE_GET,
	SQL_QUEUE_RCPTS,
	SQL_QUEUE_RCPT_DEL,
	SQL_QUEUE_RESCHEDULE,
	SQL_QUEUE_DELETE,
	SQL_QUEUE_COUNT_ALL,
	SQL_QUEUE_COUNT_SERVER,
	SQL_DEVICE_ADD,
	SQL_DEVICE_FIND,
	SQL_DEVICE_MESSAGE_ADD,
	SQL_DEVICE_COUNT,
	SQL_FOLDERS,
	SQL_FOLDER_STATS,
	SQL_FOLDER_DELETE,
	SQL_FOLDER_RENAME,
	SQL_FOLDER_SUBSCRIBE,
	SQL_MESSAGE_SET_FLAGS,
	SQL_MESSAGE_SET_FLAGS_ONLY,
	SQL_MESSAGE_EXISTS,
	SQL_MESSAGE_COPY,
	SQL_DEVICE_FOLDER_SET,
	SQL_DEVICE_FOLDER_UIDVALIDITY,
	SQL_DEVICE_FOLDER_LIST,
	SQL_DEVICE_MESSAGE_SET_FLAGS,
	SQL_DEVICE_MESSAGE_DELETE,
	SQL_DEVICE_FOLDER_CLEAR,
	SQL_DEVICE_FOLDER_COUNT,
	SQL_ACCOUNTS,
	SQL_DEVICES,
	SQL_SERVERS,
	SQL_FOLDER_LISTING,
	SQL_DEVICE_LISTING,
	SQL_COUNTER_BUMP,
	SQL_COUNTER_GET,
	SQL_NSTMTS
};

static const char *const store_sql[SQL_NSTMTS] = {
	/* IMMEDIATE takes the write lock now, not at the first write.  A
	 * DEFERRED transaction that reads first and writes later may find
	 * another writer got in between and fail with SQLITE_BUSY halfway
	 * through; taken up front, the lock is waited for (busy timeout) at
	 * BEGIN, where giving up is harmless. */
	[SQL_BEGIN] = "BEGIN IMMEDIATE",
	[SQL_COMMIT] = "COMMIT",
	[SQL_ROLLBACK] = "ROLLBACK",

	[SQL_ACCOUNT_ADD] =
		"INSERT INTO accounts (address, password, name, server) VALUES (?1, ?2, ?3, ?4)",
	[SQL_ACCOUNT_FIND] =
		"SELECT id, address, name, server FROM accounts WHERE address = ?1",
	[SQL_ACCOUNT_PASSWORD] = "SELECT password FROM accounts WHERE address = ?1",

	/* The new folder's UIDVALIDITY is the id AUTOINCREMENT is about to give
	 * it: one more than the highest id ever used, which sqlite_sequence
	 * remembers even after that folder was deleted.  So it is deterministic
	 * (same scenario, same numbers; no clock) and never reused. */
	[SQL_FOLDER_ADD] =
		"INSERT INTO folders (account_id, name, special_use, subscribed, uidvalidity, uidnext)"
		" VALUES (?1, ?2, ?3, 1,"
		"  (SELECT ifnull(max(seq), 0) + 1 FROM sqlite_sequence WHERE name = 'folders'), 1)",
	[SQL_FOLDER_FIND] = "SELECT id FROM folders WHERE account_id = ?1 AND name = ?2",
	[SQL_FOLDER_GET] =
		"SELECT account_id, name, special_use, subscribed, uidvalidity, uidnext"
		" FROM folders WHERE id = ?1",
	[SQL_FOLDER_UIDNEXT] = "SELECT uidnext FROM folders WHERE id = ?1",
	/* schema 3; max(): it only ever climbs, as UIDs do */
	[SQL_FOLDER_RECENT_UID] = "SELECT recent_uid FROM folders WHERE id = ?1",
	[SQL_FOLDER_SET_RECENT_UID] =
		"UPDATE folders SET recent_uid = max(recent_uid, ?2) WHERE id = ?1",
	[SQL_ORPHAN_SUBSCRIPTION_ADD] =
		"INSERT INTO orphan_subscriptions (account_id, name) VALUES (?1, ?2)"
		" ON CONFLICT (account_id, name) DO NOTHING",
	[SQL_ORPHAN_SUBSCRIPTION_DELETE] =
		"DELETE FROM orphan_subscriptions WHERE account_id = ?1 AND name = ?2",
	[SQL_ORPHAN_SUBSCRIPTIONS] =
		"SELECT name FROM orphan_subscriptions WHERE account_id = ?1 ORDER BY name",
	[SQL_FOLDER_BUMP_UIDNEXT] = "UPDATE folders SET uidnext = uidnext + 1 WHERE id = ?1",
	[SQL_FOLDER_COUNT] = "SELECT count(*) FROM messages WHERE folder_id = ?1",
	/* instr(lower(..)) rather than LIKE: an address may hold '_' or '%',
	 * which LIKE would take for wildcards. */
	[SQL_FOLDER_HAS] =
		"SELECT 1 FROM messages WHERE folder_id = ?1"
		" AND (?2 IS NULL OR instr(lower(from_hdr), lower(?2)) > 0)"
		" AND (?3 IS NULL OR instr(lower(to_hdr), lower(?3)) > 0)"
		" AND (?4 IS NULL OR subject = ?4)"
		" AND (flags & ?5) = ?5"
		" AND (?6 IS NULL OR instr(' ' || lower(keywords) || ' ', ' ' || lower(?6) || ' ') > 0)"
		" LIMIT 1",
	[SQL_DEVICE_HAS] =
		"SELECT 1 FROM device_messages WHERE device_id = ?1 AND folder = ?2"
		" AND (?3 IS NULL OR instr(lower(from_hdr), lower(?3)) > 0)"
		" AND (?4 IS NULL OR instr(lower(to_hdr), lower(?4)) > 0)"
		" AND (?5 IS NULL OR subject = ?5)"
		" AND (flags & ?6) = ?6"
		" LIMIT 1",

	[SQL_MESSAGE_ADD] =
		"INSERT INTO messages (folder_id, uid, internaldate, size, flags, from_hdr, to_hdr,"
		" subject, date_hdr, message_id, content)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[SQL_MESSAGE_GET] =
		"SELECT id, flags, internaldate, size, keywords, content FROM messages"
		" WHERE folder_id = ?1 AND uid = ?2",

	[SQL_FOLDER_COUNT_ABOVE] = "SELECT count(*) FROM messages WHERE folder_id = ?1 AND uid > ?2",
	[SQL_FOLDER_LIST] =
		"SELECT id, uid, flags, internaldate, size, keywords FROM messages WHERE folder_id = ?1"
		" ORDER BY uid",
	[SQL_MESSAGE_DELETE] = "DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2",
	[SQL_DEVICE_UIDLS] =
		"SELECT uidl FROM device_messages WHERE device_id = ?1 AND uidl IS NOT NULL"
		" ORDER BY id",

	[SQL_QUEUE_LIST] =
		"SELECT id, next_try_us FROM queue WHERE server = ?1 ORDER BY next_try_us, id",

	[SQL_QUEUE_ADD] =
		"INSERT INTO queue (server, domain, mail_from, content, arrival, attempts, next_try_us)"
		" VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
	[SQL_QUEUE_RCPT_ADD] = "INSERT INTO queue_rcpts (queue_id, rcpt) VALUES (?1, ?2)",
	[SQL_QUEUE_GET] =
		"SELECT server, domain, mail_from, content, arrival, attempts, next_try_us, last_reply"
		" FROM queue WHERE id = ?1",
	[SQL_QUEUE_RCPTS] = "SELECT rcpt FROM queue_rcpts WHERE queue_id = ?1 ORDER BY id",
	[SQL_QUEUE_RCPT_DEL] = "DELETE FROM queue_rcpts WHERE queue_id = ?1 AND rcpt = ?2",
	[SQL_QUEUE_RESCHEDULE] =
		"UPDATE queue SET attempts = ?2, next_try_us = ?3, last_reply = ?4 WHERE id = ?1",
	[SQL_QUEUE_DELETE] = "DELETE FROM queue WHERE id = ?1", /* rcpts go by CASCADE */
	[SQL_QUEUE_COUNT_ALL] = "SELECT count(*) FROM queue",
	[SQL_QUEUE_COUNT_SERVER] = "SELECT count(*) FROM queue WHERE server = ?1",

	[SQL_DEVICE_ADD] = "INSERT INTO devices (name, owner) VALUES (?1, ?2)",
	[SQL_DEVICE_FIND] = "SELECT id FROM devices WHERE name = ?1",
	[SQL_DEVICE_MESSAGE_ADD] =
		"INSERT INTO device_messages (device_id, folder, uid, uidl, flags, size, from_hdr,"
		" to_hdr, subject, date_hdr, message_id, content)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[SQL_DEVICE_COUNT] = "SELECT count(*) FROM device_messages WHERE device_id = ?1",

	/* IMAP (schema 2) */
	[SQL_FOLDERS] =
		"SELECT id, name, special_use, subscribed, uidvalidity, uidnext FROM folders"
		" WHERE account_id = ?1 ORDER BY name <> 'INBOX', name",
	/* Driven from folders, so a folder that does not exist gives no row
	 * at all, and an empty one a row of zeros. */
	[SQL_FOLDER_STATS] =
		"SELECT count(m.id), ifnull(sum((m.flags & 1) = 0), 0),"
		" ifnull(sum((m.flags & 32) <> 0), 0), f.id"
		" FROM folders f LEFT JOIN messages m ON m.folder_id = f.id WHERE f.id = ?1",
	[SQL_FOLDER_DELETE] = "DELETE FROM folders WHERE id = ?1", /* messages by CASCADE */
	[SQL_FOLDER_RENAME] = "UPDATE folders SET name = ?2 WHERE id = ?1",
	[SQL_FOLDER_SUBSCRIBE] = "UPDATE folders SET subscribed = ?2 WHERE id = ?1",
	/* An UPDATE rewrites the whole row, content included, so a message
	 * whose flags (and keywords) are already the wanted ones is left
	 * alone: STORE 1:* +FLAGS (\Seen) on a folder that is mostly read
	 * costs little.  SQL_MESSAGE_EXISTS then tells "unchanged" from "no
	 * such message". */
	[SQL_MESSAGE_SET_FLAGS] =
		"UPDATE messages SET flags = ?3, keywords = ?4 WHERE folder_id = ?1 AND uid = ?2"
		" AND (flags <> ?3 OR keywords <> ?4)",
	[SQL_MESSAGE_SET_FLAGS_ONLY] =
		"UPDATE messages SET flags = ?3 WHERE folder_id = ?1 AND uid = ?2 AND flags <> ?3",
	[SQL_MESSAGE_EXISTS] = "SELECT 1 FROM messages WHERE folder_id = ?1 AND uid = ?2",
	/* RFC 3501 6.4.7: flags and internal date preserved, \Recent set. */
	/* \Recent is not copied (nor kept at all by mailsim's IMAP service):
	 * it belongs to a session, not to the message (RFC 3501 2.3.2), and
	 * sim/imapd.c works it out per session from the UIDs. */
	[SQL_MESSAGE_COPY] =
		"INSERT INTO messages (folder_id, uid, internaldate, size, flags, from_hdr, to_hdr,"
		" subject, date_hdr, message_id, keywords, content)"
		" SELECT ?3, ?4, internaldate, size, flags & ~32, from_hdr, to_hdr, subject, date_hdr,"
		" message_id, keywords, content FROM messages WHERE folder_id = ?1 AND uid = ?2",

	[SQL_DEVICE_FOLDER_SET] =
		"INSERT INTO device_folders (device_id, name, special_use, uidvalidity)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (device_id, name) DO UPDATE"
		" SET special_use = excluded.special_use, uidvalidity = excluded.uidvalidity",
	[SQL_DEVICE_FOLDER_UIDVALIDITY] =
		"SELECT uidvalidity FROM device_folders WHERE device_id = ?1 AND name = ?2",
	[SQL_DEVICE_FOLDER_LIST] =
		"SELECT id, uid, flags, size FROM device_messages"
		" WHERE device_id = ?1 AND folder = ?2 AND uid IS NOT NULL ORDER BY uid",
	[SQL_DEVICE_MESSAGE_SET_FLAGS] =
		"UPDATE device_messages SET flags = ?4 WHERE device_id = ?1 AND folder = ?2"
		" AND uid = ?3",
	[SQL_DEVICE_MESSAGE_DELETE] =
		"DELETE FROM device_messages WHERE device_id = ?1 AND folder = ?2 AND uid = ?3",
	[SQL_DEVICE_FOLDER_CLEAR] =
		"DELETE FROM device_messages WHERE device_id = ?1 AND folder = ?2"
		" AND uid IS NOT NULL",
	[SQL_DEVICE_FOLDER_COUNT] =
		"SELECT count(*) FROM device_messages WHERE device_id = ?1 AND folder = ?2",

	/* Listing the whole store (mailsim inspect).  Every ORDER BY ends in
	 * a unique key, so the order never depends on how rows were stored;
	 * address sorts NOCASE, as its column is declared. */
	[SQL_ACCOUNTS] = "SELECT id, address, name, server FROM accounts ORDER BY server, address, id",
	[SQL_DEVICES] = "SELECT id, name, owner FROM devices ORDER BY name",
	[SQL_SERVERS] = "SELECT server FROM accounts UNION SELECT server FROM queue ORDER BY 1",
	[SQL_FOLDER_LISTING] =
		"SELECT NULL, uid, NULL, flags, size, from_hdr, subject FROM messages"
		" WHERE folder_id = ?1 ORDER BY uid",
	/* uid is NULL for a POP3 download, and NULL sorts first. */
	[SQL_DEVICE_LISTING] =
		"SELECT folder, uid, uidl, flags, size, from_hdr, subject FROM device_messages"
		" WHERE device_id = ?1 ORDER BY folder <> 'INBOX', folder, uid, id",

	/* An UPSERT (SQLite 3.24) rather than RETURNING (3.35): the value is
	 * read back with a second statement in the same transaction. */
	[SQL_COUNTER_BUMP] =
		"INSERT INTO counters (name, value) VALUES (?1, 1)"
		" ON CONFLICT (name) DO UPDATE SET value = value + 1",
	[SQL_COUNTER_GET] = "SELECT value FROM counters WHERE name = ?1",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmts[SQL_NSTMTS]; /* prepared on first use, NULL before */
	int depth;                       /* store_begin() calls not yet closed */
	bool doomed;                     /* rolled back; waiting for depth 0 */
	char err[512];                   /* the last error, "" if none */
	store_fault_fn commit_fault;     /* tests: should this COMMIT fail? */
	void *commit_fault_ctx;
};

/* ------------------------------------------------------------------------
 * 3. Errors and transactions
 * ------------------------------------------------------------------------ */

static void set_error(struct store *st, const char *fmt, ...) PRINTF_LIKE(2, 3);

static void set_error(struct store *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof st->err, fmt, ap);
	va_end(ap);
}

/* "what: sqlite's own words".  Call it right after the failing call, before
 * anything else touches the connection and replaces the message. */
static void db_error(struct store *st, const char *what)
{
	set_error(st, "%s: %s", what, sqlite3_errmsg(st->db));
}

/* The statement, prepared if this is its first use; NULL on error. */
static sqlite3_stmt *stmt_get(struct store *st, enum store_stmt id)
{
	if (!st->stmts[id] &&
	    sqlite3_prepare_v3(st->db, store_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
			       &st->stmts[id], NULL) != SQLITE_OK) {
		db_error(st, "prepare");
		st->stmts[id] = NULL;
	}
	return st->stmts[id];
}

/* Ready a statement for its next use.  Resetting also ends the read it was
 * doing, so a half-read SELECT never keeps a snapshot (and its locks) open;
 * clearing the bindings drops pointers into the caller's memory. */
static void stmt_done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/* Run a statement that returns no rows; OK, or ERROR (error set). */
static enum store_result stmt_run(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE)
		db_error(st, what);
	stmt_done(s);
	return rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

/* Bind text, or NULL for a NULL pointer.  SQLITE_STATIC: SQLite may use the
 * caller's bytes without copying them, because stmt_done() forgets them
 * before the caller gets control back. */
static int bind_text(sqlite3_stmt *s, int i, const char *text)
{
	return sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
}

/* Bind message bytes as a BLOB: any byte may occur, NUL included. */
static int bind_blob(sqlite3_stmt *s, int i, const char *p, size_t len)
{
	return sqlite3_bind_blob64(s, i, p ? p : "", (sqlite3_uint64)len, SQLITE_STATIC);
}

/* A malloc'd, NUL-terminated copy of a BLOB or TEXT column. */
static char *column_dup(sqlite3_stmt *s, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(s, col);
	size_t n = (size_t)sqlite3_column_bytes(s, col);
	char *copy = xmalloc(n + 1);
	if (n)
		memcpy(copy, p, n);
	copy[n] = '\0';
	if (len)
		*len = n;
	return copy;
}

/* A text column copied into a fixed buffer ("" for NULL). */
static void column_copy(sqlite3_stmt *s, int col, char *dst, size_t dstlen)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, col) : 0;
	if (n >= dstlen)
		n = dstlen - 1; /* as snprintf would cut it */
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

/*
 * Transactions nest.  store_begin() and store_commit() count depth; only
 * the outermost pair sends BEGIN IMMEDIATE and COMMIT to SQLite, so the
 * work of every level becomes durable together, or not at all.
 *
 * The rule for failure: every store_begin() is closed by exactly one
 * store_commit() or store_rollback().  store_rollback() at any depth rolls
 * back the whole outer transaction at once (SQLite has only one).  From then
 * on until depth is back at 0, store_commit() does nothing but close its
 * level and return STORE_ERROR (the outermost caller learns its work is
 * gone), and store_begin() refuses with STORE_ERROR without opening a level.
 * The first error of a transaction stays in store_error() through those
 * returns.  A store_begin() that failed opened nothing: a store_rollback()
 * for it finds no transaction, and leaves the error that says why alone.
 */
enum store_result store_begin(struct store *st)
{
	if (!st)
		return STORE_ERROR;
	if (st->doomed) {
		if (!st->err[0])
			set_error(st, "begin: the transaction was rolled back; finish it first");
		return STORE_ERROR;
	}
	if (st->depth == 0) {
		sqlite3_stmt *s = stmt_get(st, SQL_BEGIN);
		if (!s || stmt_run(st, s, "begin") != STORE_OK)
			return STORE_ERROR;
		st->err[0] = '\0'; /* a fresh transaction, a fresh sticky error */
	}
	st->depth++;
	return STORE_OK;
}

enum store_result store_commit(struct store *st)
{
	if (!st)
		return STORE_ERROR;
	if (st->depth == 0) {
		set_error(st, "commit: no transaction is open");
		return STORE_ERROR;
	}
	st->depth--;
	if (st->doomed) {
		if (st->depth == 0)
			st->doomed = false;
		if (!st->err[0])
			set_error(st, "commit: the transaction was rolled back");
		return STORE_ERROR;
	}
	if (st->depth > 0)
		return STORE_OK;
	sqlite3_stmt *s = stmt_get(st, SQL_COMMIT);
	if (st->commit_fault && st->commit_fault(st->commit_fault_ctx))
		set_error(st, "commit: injected failure");
	else if (s && stmt_run(st, s, "commit") == STORE_OK)
		return STORE_OK;
	/* COMMIT failed (disk full, I/O error, lock): nothing was saved.  Make
	 * sure SQLite agrees, so the next BEGIN starts clean. */
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return STORE_ERROR;
}

void store_rollback(struct store *st)
{
	if (!st)
		return;
	if (st->depth == 0) {
		if (!st->err[0])
			set_error(st, "rollback: no transaction is open");
		return;
	}
	if (!st->doomed) {
		st->doomed = true;
		/* Some errors (disk full, I/O) make SQLite roll back by itself;
		 * then there is nothing left to roll back. */
		if (!sqlite3_get_autocommit(st->db)) {
			sqlite3_stmt *s = stmt_get(st, SQL_ROLLBACK);
			if (s) {
				char keep[sizeof st->err];
				memcpy(keep, st->err, sizeof keep); /* the cause matters more */
				if (stmt_run(st, s, "rollback") != STORE_OK && keep[0])
					memcpy(st->err, keep, sizeof keep);
			}
		}
	}
	if (--st->depth == 0)
		st->doomed = false;
}

/* Each public change: tx_begin(), the work, then tx_end(st, rc) with the
 * work's result.  STORE_ERROR rolls back; any other result commits (an
 * answer such as STORE_NOT_FOUND changed nothing, and must not undo the
 * caller's transaction) and is returned if the commit succeeds. */
static enum store_result tx_begin(struct store *st)
{
	return store_begin(st);
}

static enum store_result tx_end(struct store *st, enum store_result rc)
{
	if (rc == STORE_ERROR) {
		store_rollback(st);
		return STORE_ERROR;
	}
	return store_commit(st) == STORE_OK ? rc : STORE_ERROR;
}

/* Argument checks shared by the public functions. */
static bool text_ok(struct store *st, const char *what, const char *s, bool may_be_empty)
{
	if (!s) {
		set_error(st, "%s is missing", what);
		return false;
	}
	if (!may_be_empty && !*s) {
		set_error(st, "%s is empty", what);
		return false;
	}
	if (strlen(s) > STORE_TEXT_MAX) {
		set_error(st, "%s is longer than %d bytes", what, STORE_TEXT_MAX);
		return false;
	}
	return true;
}

static bool content_ok(struct store *st, const char *content, size_t len)
{
	if (!content && len > 0) {
		set_error(st, "content is missing");
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------------ */

/* Run one PRAGMA or other statement whose rows we do not need. */
static enum store_result exec_sql(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		set_error(st, "%s: %s", what, msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return STORE_ERROR;
	}
	return STORE_OK;
}

static enum store_result user_version(struct store *st, int *version)
{
	sqlite3_stmt *s = NULL;
	enum store_result rc = STORE_ERROR;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		db_error(st, "read schema version");
		goto done;
	}
	*version = sqlite3_column_int(s, 0);
	rc = STORE_OK;
done:
	sqlite3_finalize(s);
	return rc;
}

/* The steps from one schema version to the next, each the SQL it runs.
 * 1 to 2: keywords on messages, the device_folders table, and mail_overview
 * showing keywords.  2 to 3: folders.recent_uid (IMAP \Recent survives a
 * restart), the orphan_subscriptions table (a subscription outlives its
 * folder) and the counters table (queue ids and Message-IDs that never
 * repeat; every counter starts at 1). */
static const struct schema_step {
	int from;              /* the version it upgrades, to from + 1 */
	const char *sql[4];    /* run in this order; NULL ends the list */
} schema_steps[] = {
	{ 1, { store_upgrade_1_to_2_sql, store_device_folders_sql, store_mail_overview_sql } },
	{ 2, { store_upgrade_2_to_3_sql, store_orphan_subscriptions_sql, store_counters_sql } },
};
_Static_assert(sizeof schema_steps / sizeof schema_steps[0] == STORE_SCHEMA_VERSION - 1,
	       "one upgrade step per schema version after the first");

/* One step: all of it and the new user_version in one transaction, so a
 * failure (or a crash) leaves the whole older version. */
static enum store_result schema_upgrade(struct store *st, const struct schema_step *step,
					int *version)
{
	char what[64], setv[64];
	snprintf(what, sizeof what, "upgrade schema %d to %d", step->from, step->from + 1);
	snprintf(setv, sizeof setv, "PRAGMA user_version = %d", step->from + 1);
	if (store_begin(st) != STORE_OK)
		return STORE_ERROR;
	/* Look again with the write lock held: another process may have
	 * upgraded it between our first look and our BEGIN. */
	enum store_result rc = user_version(st, version);
	if (rc == STORE_OK && *version == step->from) {
		for (size_t i = 0; rc == STORE_OK && i < 4 && step->sql[i]; i++)
			rc = exec_sql(st, step->sql[i], what);
		if (rc == STORE_OK)
			rc = exec_sql(st, setv, what);
	}
	if (tx_end(st, rc) != STORE_OK)
		return STORE_ERROR;
	if (*version == step->from)
		*version = step->from + 1;
	return STORE_OK;
}

/* Create the schema in a new database, or check that an existing one is a
 * version we understand (upgrading an older one a step at a time). */
static enum store_result schema_ensure(struct store *st)
{
	int version;
	if (user_version(st, &version) != STORE_OK)
		return STORE_ERROR;
	if (version == 0) {
		if (store_begin(st) != STORE_OK)
			return STORE_ERROR;
		/* Look again with the write lock held: another process may have
		 * created the schema between our first look and our BEGIN. */
		enum store_result rc = user_version(st, &version);
		if (rc == STORE_OK && version == 0) {
			char setv[64];
			snprintf(setv, sizeof setv, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
			rc = exec_sql(st, store_schema_sql, "create schema");
			if (rc == STORE_OK)
				rc = exec_sql(st, store_device_folders_sql, "create schema");
			if (rc == STORE_OK)
				rc = exec_sql(st, store_orphan_subscriptions_sql, "create schema");
			if (rc == STORE_OK)
				rc = exec_sql(st, store_mail_overview_sql, "create schema");
			if (rc == STORE_OK)
				rc = exec_sql(st, store_counters_sql, "create schema");
			if (rc == STORE_OK)
				rc = exec_sql(st, setv, "set schema version");
			if (rc == STORE_OK)
				version = STORE_SCHEMA_VERSION;
		}
		if (tx_end(st, rc) != STORE_OK)
			return STORE_ERROR;
	}
	if (version > STORE_SCHEMA_VERSION) {
		set_error(st, "database schema version %d is newer than this mailsim (%d)",
			  version, STORE_SCHEMA_VERSION);
		return STORE_ERROR;
	}
	for (size_t i = 0; i < sizeof schema_steps / sizeof schema_steps[0]; i++)
		if (version == schema_steps[i].from &&
		    schema_upgrade(st, &schema_steps[i], &version) != STORE_OK)
			return STORE_ERROR;
	if (version != STORE_SCHEMA_VERSION) {
		set_error(st, "database schema version %d is not one this mailsim can read (%d)",
			  version, STORE_SCHEMA_VERSION);
		return STORE_ERROR;
	}
	return STORE_OK;
}

enum store_result store_open(struct store **out, const char *path, char *err, size_t errlen)
{
	struct store *st = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!out) {
		if (err && errlen)
			snprintf(err, errlen, "store_open: nowhere to put the store");
		return STORE_ERROR;
	}
	*out = NULL;

	bool in_memory = !path || strcmp(path, ":memory:") == 0;
	st = xcalloc(1, sizeof *st);
	if (sqlite3_open_v2(in_memory ? ":memory:" : path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		if (st->db)
			set_error(st, "open %s: %s", in_memory ? ":memory:" : path,
				  sqlite3_errmsg(st->db));
		else
			set_error(st, "open %s: out of memory", in_memory ? ":memory:" : path);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MSECS);

	/* SQLite checks REFERENCES only when asked, once per connection. */
	if (exec_sql(st, "PRAGMA foreign_keys = ON", in_memory ? ":memory:" : path) != STORE_OK)
		goto fail;
	if (!in_memory) {
		/* WAL (write-ahead log): a commit appends the changed pages to
		 * the -wal file instead of rewriting the database in place, so
		 * readers go on reading while a writer writes, and a crash in
		 * the middle leaves the last committed state intact.
		 * synchronous=FULL: each COMMIT waits for fsync of the log.
		 * With NORMAL, a power cut may lose the last commits, and mail
		 * we answered 250 for would be gone: the reply is a promise. */
		if (exec_sql(st, "PRAGMA journal_mode = WAL", path) != STORE_OK ||
		    exec_sql(st, "PRAGMA synchronous = FULL", path) != STORE_OK)
			goto fail;
	}
	if (schema_ensure(st) != STORE_OK)
		goto fail;
	*out = st;
	return STORE_OK;

fail:
	if (err && errlen)
		snprintf(err, errlen, "%s", st->err);
	store_close(st);
	return STORE_ERROR;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < SQL_NSTMTS; i++)
		sqlite3_finalize(st->stmts[i]);
	/* An open transaction is rolled back by closing. */
	sqlite3_close(st->db);
	free(st);
}

void store_set_commit_fault(struct store *st, store_fault_fn fail, void *ctx)
{
	if (!st)
		return;
	st->commit_fault = fail;
	st->commit_fault_ctx = ctx;
}

const char *store_error(const struct store *st)
{
	if (!st)
		return "no store";
	return st->err;
}

/* The tables a mailsim database has; a file with the right user_version
 * but not these was written by someone else. */
static const char store_tables_sql[] =
	"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
	" ('accounts', 'folders', 'messages', 'queue', 'queue_rcpts', 'devices',"
	"  'device_messages', 'device_folders', 'orphan_subscriptions', 'counters')";
#define STORE_NTABLES 10

/* For looking only (mailsim inspect): no CREATE, so a mistyped name is not
 * made into a new empty database; no journal_mode (switching to WAL is a
 * write; a file store_open() made is in WAL already, and a reader needs
 * nothing more); no upgrade.  query_only makes even an attempt fail. */
enum store_result store_open_readonly(struct store **out, const char *path, char *err,
				      size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!out) {
		if (err && errlen)
			snprintf(err, errlen, "store_open_readonly: nowhere to put the store");
		return STORE_ERROR;
	}
	*out = NULL;
	struct store *st = xcalloc(1, sizeof *st);
	enum store_result rc = STORE_ERROR;
	int version = 0;
	if (!path || !*path || strcmp(path, ":memory:") == 0) {
		set_error(st, "a read-only store needs a database file");
		goto done;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		if (st->db)
			set_error(st, "open %s: %s", path, sqlite3_errmsg(st->db));
		else
			set_error(st, "open %s: out of memory", path);
		goto done;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MSECS);
	if (exec_sql(st, "PRAGMA query_only = ON", path) != STORE_OK)
		goto done;
	if (user_version(st, &version) != STORE_OK) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_NOTADB)
			set_error(st, "not a mailsim database (not an SQLite file at all)");
		goto done;
	}
	if (version > STORE_SCHEMA_VERSION) {
		set_error(st, "database schema version %d is newer than this mailsim (%d)",
			  version, STORE_SCHEMA_VERSION);
		goto done;
	}
	if (version == 0) {
		set_error(st, "not a mailsim database (it has no schema version)");
		goto done;
	}
	if (version < STORE_SCHEMA_VERSION) {
		set_error(st, "database schema version %d is older than this mailsim (%d): "
			  "opening it for writing upgrades it", version, STORE_SCHEMA_VERSION);
		rc = STORE_OLD_SCHEMA;
		goto done;
	}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, store_tables_sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW)
		db_error(st, "read schema");
	else if (sqlite3_column_int(s, 0) != STORE_NTABLES)
		set_error(st, "not a mailsim database (its tables are not mailsim's)");
	else
		rc = STORE_OK;
	sqlite3_finalize(s);
done:
	if (rc == STORE_OK) {
		*out = st;
		return STORE_OK;
	}
	if (err && errlen)
		snprintf(err, errlen, "%s", st->err);
	store_close(st);
	return rc;
}

/* ------------------------------------------------------------------------
 * 4. Accounts and folders
 * ------------------------------------------------------------------------ */

/* RFC 3501 5.1: INBOX is a name in any case; other names are exact. */
static const char *folder_name_norm(const char *name)
{
	return strcasecmp(name, "INBOX") == 0 ? "INBOX" : name;
}

static enum store_result folder_insert(struct store *st, int64_t account, const char *name,
				       const char *special_use, int64_t *folder_id)
{
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_ADD);
	enum store_result rc = STORE_ERROR;
	if (!s)
		return STORE_ERROR;
	name = folder_name_norm(name);
	if ((sqlite3_bind_int64(s, 1, account) | bind_text(s, 2, name) |
	     bind_text(s, 3, special_use)) != SQLITE_OK) {
		db_error(st, "add folder");
		goto done;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		int code = sqlite3_extended_errcode(st->db);
		if (code == SQLITE_CONSTRAINT_UNIQUE) {
			set_error(st, "folder \"%s\" already exists", name);
			rc = STORE_EXISTS;
		} else if (code == SQLITE_CONSTRAINT_FOREIGNKEY) {
			set_error(st, "no account %lld", (long long)account);
		} else {
			db_error(st, "add folder");
		}
		goto done;
	}
	if (folder_id)
		*folder_id = sqlite3_last_insert_rowid(st->db);
	rc = STORE_OK;
done:
	stmt_done(s);
	return rc;
}

enum store_result store_account_add(struct store *st, const char *address, const char *password,
				    const char *name, const char *server, int64_t *id)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "address", address, false) || !text_ok(st, "server", server, false) ||
	    (name && !text_ok(st, "name", name, true)))
		return STORE_ERROR;
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;

	enum store_result rc = STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_ACCOUNT_ADD);
	if (!s)
		goto done;
	if ((bind_text(s, 1, address) | bind_text(s, 2, password) |
	     bind_text(s, 3, name ? name : "") | bind_text(s, 4, server)) != SQLITE_OK) {
		db_error(st, "add account");
		goto done;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE) {
			set_error(st, "account %s already exists", address);
			rc = STORE_EXISTS;
		} else {
			db_error(st, "add account");
		}
		goto done;
	}
	int64_t account = sqlite3_last_insert_rowid(st->db);
	stmt_done(s);
	s = NULL;
	/* Every account starts with the three folders a mail client expects;
	 * the special-use attribute tells a client which is which whatever
	 * the names (RFC 6154). */
	if (folder_insert(st, account, "INBOX", NULL, NULL) != STORE_OK ||
	    folder_insert(st, account, "Sent", "\\Sent", NULL) != STORE_OK ||
	    folder_insert(st, account, "Trash", "\\Trash", NULL) != STORE_OK)
		goto done;
	if (id)
		*id = account;
	rc = STORE_OK;
done:
	stmt_done(s);
	return tx_end(st, rc);
}

enum store_result store_account_find(struct store *st, const char *address,
				     struct store_account *out)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "address", address, true))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_ACCOUNT_FIND);
	enum store_result rc = STORE_ERROR;
	if (!s)
		return STORE_ERROR;
	if (bind_text(s, 1, address) != SQLITE_OK) {
		db_error(st, "find account");
		goto done;
	}
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (out) {
			memset(out, 0, sizeof *out);
			out->id = sqlite3_column_int64(s, 0);
			column_copy(s, 1, out->address, sizeof out->address);
			column_copy(s, 2, out->name, sizeof out->name);
			column_copy(s, 3, out->server, sizeof out->server);
		}
		rc = STORE_OK;
		break;
	case SQLITE_DONE:
		rc = STORE_NOT_FOUND;
		break;
	default:
		db_error(st, "find account");
	}
done:
	stmt_done(s);
	return rc;
}

enum store_result store_account_auth(struct store *st, const char *address, const char *password)
{
	if (!st)
		return STORE_ERROR;
	if (!address || !password)
		return STORE_REFUSED; /* nobody is missing a name or a password and right */
	sqlite3_stmt *s = stmt_get(st, SQL_ACCOUNT_PASSWORD);
	enum store_result rc = STORE_ERROR;
	if (!s)
		return STORE_ERROR;
	if (bind_text(s, 1, address) != SQLITE_OK) {
		db_error(st, "check password");
		goto done;
	}
	switch (sqlite3_step(s)) {
	case SQLITE_ROW: {
		const unsigned char *pw = sqlite3_column_text(s, 0);
		rc = pw && strcmp((const char *)pw, password) == 0 ? STORE_OK : STORE_REFUSED;
		break;
	}
	case SQLITE_DONE:
		rc = STORE_REFUSED;
		break;
	default:
		db_error(st, "check password");
	}
done:
	stmt_done(s);
	return rc;
}

enum store_result store_folder_find(struct store *st, int64_t account, const char *name,
				    int64_t *folder_id)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "folder name", name, true))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_FIND);
	enum store_result rc = STORE_ERROR;
	if (!s)
		return STORE_ERROR;
	if ((sqlite3_bind_int64(s, 1, account) | bind_text(s, 2, folder_name_norm(name))) !=
	    SQLITE_OK) {
		db_error(st, "find folder");
		goto done;
	}
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (folder_id)
			*folder_id = sqlite3_column_int64(s, 0);
		rc = STORE_OK;
		break;
	case SQLITE_DONE:
		rc = STORE_NOT_FOUND;
		break;
	default:
		db_error(st, "find folder");
	}
done:
	stmt_done(s);
	return rc;
}

enum store_result store_folder_create(struct store *st, int64_t account, const char *name,
				      const char *special_use, int64_t *folder_id)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "folder name", name, false))
		return STORE_ERROR;
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;
	return tx_end(st, folder_insert(st, account, name, special_use, folder_id));
}

enum store_result store_folder_get(struct store *st, int64_t folder_id, struct store_folder *out)
{
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_GET);
	enum store_result rc = STORE_ERROR;
	if (!s)
		return STORE_ERROR;
	if (sqlite3_bind_int64(s, 1, folder_id) != SQLITE_OK) {
		db_error(st, "get folder");
		goto done;
	}
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (out) {
			memset(out, 0, sizeof *out);
			out->id = folder_id;
			out->account_id = sqlite3_column_int64(s, 0);
			column_copy(s, 1, out->name, sizeof out->name);
			column_copy(s, 2, out->special_use, sizeof out->special_use);
			out->subscribed = sqlite3_column_int(s, 3) != 0;
			out->uidvalidity = (uint32_t)sqlite3_column_int64(s, 4);
			out->uidnext = sqlite3_column_int64(s, 5);
		}
		rc = STORE_OK;
		break;
	case SQLITE_DONE:
		rc = STORE_NOT_FOUND;
		break;
	default:
		db_error(st, "get folder");
	}
done:
	stmt_done(s);
	return rc;
}

/* Run a "SELECT count(*) ..." whose parameters are bound already. */
static enum store_result count_run(struct store *st, sqlite3_stmt *s, int64_t *count,
				   const char *what)
{
	enum store_result rc = STORE_ERROR;
	if (sqlite3_step(s) == SQLITE_ROW) {
		if (count)
			*count = sqlite3_column_int64(s, 0);
		rc = STORE_OK;
	} else {
		db_error(st, what);
	}
	stmt_done(s);
	return rc;
}

enum store_result store_folder_count(struct store *st, int64_t folder_id, int64_t *count)
{
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_COUNT);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	return count_run(st, s, count, "count messages");
}

/* Step a "SELECT 1 ... LIMIT 1": OK a row, NOT_FOUND none, or ERROR. */
static enum store_result exists_run(struct store *st, sqlite3_stmt *s, int bound, const char *what)
{
	enum store_result rc = STORE_ERROR;
	if (bound != SQLITE_OK) {
		db_error(st, what);
		goto done;
	}
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		rc = STORE_OK;
		break;
	case SQLITE_DONE:
		rc = STORE_NOT_FOUND;
		break;
	default:
		db_error(st, what);
	}
done:
	stmt_done(s);
	return rc;
}

enum store_result store_folder_has(struct store *st, int64_t folder_id, const char *from,
				   const char *to, const char *subject)
{
	const struct store_match m = { .from = from, .to = to, .subject = subject };
	return store_folder_match(st, folder_id, &m);
}

enum store_result store_folder_match(struct store *st, int64_t folder_id,
				     const struct store_match *m)
{
	if (!st || !m)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_HAS);
	if (!s)
		return STORE_ERROR;
	int bound = sqlite3_bind_int64(s, 1, folder_id) | bind_text(s, 2, m->from) |
		    bind_text(s, 3, m->to) | bind_text(s, 4, m->subject) |
		    sqlite3_bind_int64(s, 5, m->flags) | bind_text(s, 6, m->keyword);
	return exists_run(st, s, bound, "search folder");
}

enum store_result store_device_match(struct store *st, int64_t device, const char *folder,
				     const struct store_match *m)
{
	if (!st || !m || !folder)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_HAS);
	if (!s)
		return STORE_ERROR;
	int bound = sqlite3_bind_int64(s, 1, device) | bind_text(s, 2, folder) |
		    bind_text(s, 3, m->from) | bind_text(s, 4, m->to) | bind_text(s, 5, m->subject) |
		    sqlite3_bind_int64(s, 6, m->flags);
	return exists_run(st, s, bound, "search device");
}

/* ------------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------------ */

/* Bind the five summary columns starting at parameter `first`. */
static int bind_summary(sqlite3_stmt *s, int first, const struct store_summary *sum)
{
	static const struct store_summary none;
	if (!sum)
		sum = &none;
	return bind_text(s, first, sum->from) | bind_text(s, first + 1, sum->to) |
	       bind_text(s, first + 2, sum->subject) | bind_text(s, first + 3, sum->date) |
	       bind_text(s, first + 4, sum->message_id);
}

enum store_result store_message_add(struct store *st, int64_t folder_id, const char *content,
				    size_t len, int64_t internaldate, uint32_t flags,
				    const struct store_summary *sum, uint32_t *uid)
{
	if (!st)
		return STORE_ERROR;
	if (!content_ok(st, content, len))
		return STORE_ERROR;
	if (flags > 63) {
		set_error(st, "add message: unknown flag bits 0x%x", (unsigned)flags);
		return STORE_ERROR;
	}
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;

	/* The UID is read and bumped inside the transaction that inserts the
	 * message, so no two messages can get the same one, and a failed
	 * delivery gives its UID back. */
	enum store_result rc = STORE_ERROR;
	int64_t next = 0;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_UIDNEXT);
	if (!s)
		goto done;
	sqlite3_bind_int64(s, 1, folder_id);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		next = sqlite3_column_int64(s, 0);
		break;
	case SQLITE_DONE:
		set_error(st, "add message: no folder %lld", (long long)folder_id);
		goto done;
	default:
		db_error(st, "add message");
		goto done;
	}
	stmt_done(s);
	s = NULL;
	if (next < 1 || next >= (int64_t)STORE_UID_MAX) {
		set_error(st, "add message: folder %lld has used up its UIDs", (long long)folder_id);
		goto done;
	}

	s = stmt_get(st, SQL_MESSAGE_ADD);
	if (!s)
		goto done;
	if ((sqlite3_bind_int64(s, 1, folder_id) | sqlite3_bind_int64(s, 2, next) |
	     sqlite3_bind_int64(s, 3, internaldate) | sqlite3_bind_int64(s, 4, (int64_t)len) |
	     sqlite3_bind_int64(s, 5, flags) | bind_summary(s, 6, sum) |
	     bind_blob(s, 11, content, len)) != SQLITE_OK) {
		db_error(st, "add message");
		goto done;
	}
	if (stmt_run(st, s, "add message") != STORE_OK)
		goto done;

	s = stmt_get(st, SQL_FOLDER_BUMP_UIDNEXT);
	if (!s)
		goto done;
	sqlite3_bind_int64(s, 1, folder_id);
	if (stmt_run(st, s, "add message") != STORE_OK)
		goto done;
	s = NULL;
	if (uid)
		*uid = (uint32_t)next;
	rc = STORE_OK;
done:
	stmt_done(s);
	return tx_end(st, rc);
}

enum store_result store_message_get(struct store *st, int64_t folder_id, uint32_t uid,
				    bool with_content, struct store_message *out)
{
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_MESSAGE_GET);
	enum store_result rc = STORE_ERROR;
	if (!s)
		return STORE_ERROR;
	if ((sqlite3_bind_int64(s, 1, folder_id) | sqlite3_bind_int64(s, 2, uid)) != SQLITE_OK) {
		db_error(st, "get message");
		goto done;
	}
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (out) {
			memset(out, 0, sizeof *out);
			out->id = sqlite3_column_int64(s, 0);
			out->uid = uid;
			out->flags = (uint32_t)sqlite3_column_int64(s, 1);
			out->internaldate = sqlite3_column_int64(s, 2);
			out->size = sqlite3_column_int64(s, 3);
			column_copy(s, 4, out->keywords, sizeof out->keywords);
			if (with_content)
				out->content = column_dup(s, 5, &out->content_len);
		}
		rc = STORE_OK;
		break;
	case SQLITE_DONE:
		rc = STORE_NOT_FOUND;
		break;
	default:
		db_error(st, "get message");
	}
done:
	stmt_done(s);
	return rc;
}

void store_message_free(struct store_message *m)
{
	if (!m)
		return;
	free(m->content);
	m->content = NULL;
	m->content_len = 0;
}

enum store_result store_folder_list(struct store *st, int64_t folder_id, struct store_message **out,
				    size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_LIST);
	if (!s)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	size_t cap = 0;
	if (sqlite3_bind_int64(s, 1, folder_id) != SQLITE_OK) {
		db_error(st, "list folder");
		goto done;
	}
	for (;;) {
		int step = sqlite3_step(s);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			db_error(st, "list folder");
			goto done;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct store_message *m = &(*out)[(*n)++];
		m->id = sqlite3_column_int64(s, 0);
		m->uid = (uint32_t)sqlite3_column_int64(s, 1);
		m->flags = (uint32_t)sqlite3_column_int64(s, 2);
		m->internaldate = sqlite3_column_int64(s, 3);
		m->size = sqlite3_column_int64(s, 4);
		m->content = NULL;
		m->content_len = 0;
		column_copy(s, 5, m->keywords, sizeof m->keywords); /* no memset of 256 bytes */
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	if (rc != STORE_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

enum store_result store_folder_count_above(struct store *st, int64_t folder_id, uint32_t uid,
					   int64_t *count)
{
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_COUNT_ABOVE);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	return count_run(st, s, count, "count messages above a UID");
}

enum store_result store_message_delete(struct store *st, int64_t folder_id, uint32_t uid)
{
	if (!st)
		return STORE_ERROR;
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_MESSAGE_DELETE);
	if (!s)
		goto done;
	if ((sqlite3_bind_int64(s, 1, folder_id) | sqlite3_bind_int64(s, 2, uid)) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_DONE) {
		db_error(st, "delete message");
		goto done;
	}
	rc = sqlite3_changes(st->db) > 0 ? STORE_OK : STORE_NOT_FOUND;
done:
	stmt_done(s);
	return tx_end(st, rc); /* NOT_FOUND commits like OK: nothing changed */
}

/* ------------------------------------------------------------------------
 * IMAP: folders, flags, copies (schema 2)
 * ------------------------------------------------------------------------ */

/* Run a prepared UPDATE or DELETE in its own (or the caller's) transaction;
 * OK if it touched a row, NOT_FOUND if none matched. */
static enum store_result change_run(struct store *st, sqlite3_stmt *s, const char *what);

enum store_result store_folders(struct store *st, int64_t account, struct store_folder **out,
				size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDERS);
	if (!s)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	size_t cap = 0;
	if (sqlite3_bind_int64(s, 1, account) != SQLITE_OK) {
		db_error(st, "list folders");
		goto done;
	}
	for (;;) {
		int step = sqlite3_step(s);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			db_error(st, "list folders");
			goto done;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct store_folder *f = &(*out)[(*n)++];
		memset(f, 0, sizeof *f);
		f->id = sqlite3_column_int64(s, 0);
		f->account_id = account;
		column_copy(s, 1, f->name, sizeof f->name);
		column_copy(s, 2, f->special_use, sizeof f->special_use);
		f->subscribed = sqlite3_column_int(s, 3) != 0;
		f->uidvalidity = (uint32_t)sqlite3_column_int64(s, 4);
		f->uidnext = (uint32_t)sqlite3_column_int64(s, 5);
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	if (rc != STORE_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

enum store_result store_folder_stats(struct store *st, int64_t folder_id, uint32_t *messages,
				     uint32_t *unseen, uint32_t *recent)
{
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_STATS);
	if (!s)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	/* An aggregate without GROUP BY always gives one row; count(f.id)
	 * would be 0 for a missing folder and for an empty one alike, so
	 * tell them apart by the folder id SQLite saw (NULL when none). */
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (messages)
			*messages = (uint32_t)sqlite3_column_int64(s, 0);
		if (unseen)
			*unseen = (uint32_t)sqlite3_column_int64(s, 1);
		if (recent)
			*recent = (uint32_t)sqlite3_column_int64(s, 2);
		rc = sqlite3_column_type(s, 3) == SQLITE_NULL ? 1 : 0;
		break;
	default:
		db_error(st, "folder stats");
	}
	stmt_done(s);
	if (rc == STORE_NOT_FOUND) {
		if (messages)
			*messages = 0;
		if (unseen)
			*unseen = 0;
		if (recent)
			*recent = 0;
	}
	return rc;
}

enum store_result store_folder_delete(struct store *st, int64_t folder_id)
{
	if (!st)
		return STORE_ERROR;
	struct store_folder f;
	enum store_result found = store_folder_get(st, folder_id, &f);
	if (found != STORE_OK)
		return found;
	if (strcmp(f.name, "INBOX") == 0) {
		/* RFC 3501 6.3.4: "It is an error to attempt to delete INBOX". */
		set_error(st, "delete folder: INBOX cannot be deleted");
		return STORE_REFUSED;
	}
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_DELETE);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	/* The id stays in sqlite_sequence, so a folder created later under the
	 * same name gets a greater UIDVALIDITY (RFC 3501 2.3.1.1). */
	return change_run(st, s, "delete folder");
}

/*
 * RFC 3501 6.3.5 (RENAME) does not say what the renamed mailbox's
 * UIDVALIDITY becomes.  What it does require is about the *old* name: "The
 * value of the highest-used unique identifier of the old mailbox name MUST
 * be preserved so that a new mailbox created with the same name will not
 * reuse the identifiers of the former incarnation, UNLESS the new
 * incarnation has a different unique identifier validity value."  Here a
 * folder created later under the old name is a new row with a new, greater
 * UIDVALIDITY (its id), which satisfies that.
 *
 * The renamed folder keeps its messages and their UIDs, so nothing forces
 * a new UIDVALIDITY (2.3.1.1 demands one only when "unique identifiers from
 * an earlier session fail to persist"), and keeping it lets the client that
 * renamed keep its cache.  2.3.1.1's rule that "the combination of mailbox
 * name, UIDVALIDITY, and UID must refer to a single immutable message on
 * that server forever" still holds: a UIDVALIDITY is never given to two
 * folders of one store, so (new name, this UIDVALIDITY, uid) never named
 * another message.  One corner is not covered: if the new name belonged
 * earlier to a folder since deleted, whose UIDVALIDITY was greater, a
 * client that remembers that one sees the value go down where 2.3.1.1 says
 * "greater"; it still differs, so the client does discard its cache.
 */
enum store_result store_folder_rename(struct store *st, int64_t folder_id, const char *new_name)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "folder name", new_name, false))
		return STORE_ERROR;
	const char *name = folder_name_norm(new_name);
	struct store_folder f;
	enum store_result found = store_folder_get(st, folder_id, &f);
	if (found != STORE_OK)
		return found;
	if (strcmp(f.name, "INBOX") == 0) {
		/* RFC 3501 6.3.5: RENAME INBOX moves its messages to a new
		 * folder and leaves INBOX in place; that is the caller's. */
		set_error(st, "rename folder: INBOX cannot be renamed (its messages can be moved)");
		return STORE_REFUSED;
	}
	if (strcmp(f.name, name) == 0) {
		/* RFC 3501 6.3.5: renaming to a name that exists is an error,
		 * its own included. */
		set_error(st, "folder \"%s\" already exists", name);
		return STORE_EXISTS;
	}
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_RENAME);
	if (!s)
		return STORE_ERROR;
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	if ((sqlite3_bind_int64(s, 1, folder_id) | bind_text(s, 2, name)) != SQLITE_OK) {
		db_error(st, "rename folder");
		goto done;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE) {
			set_error(st, "folder \"%s\" already exists", name);
			rc = STORE_EXISTS;
		} else {
			db_error(st, "rename folder");
		}
		goto done;
	}
	rc = sqlite3_changes(st->db) > 0 ? STORE_OK : STORE_NOT_FOUND;
done:
	stmt_done(s);
	return tx_end(st, rc);
}

enum store_result store_folder_recent_uid(struct store *st, int64_t folder_id, uint32_t *uid)
{
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_RECENT_UID);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	enum store_result rc = STORE_ERROR;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (uid)
			*uid = (uint32_t)sqlite3_column_int64(s, 0);
		rc = STORE_OK;
		break;
	case SQLITE_DONE:
		rc = STORE_NOT_FOUND;
		break;
	default:
		db_error(st, "read recent UID");
		break;
	}
	stmt_done(s);
	return rc;
}

enum store_result store_folder_set_recent_uid(struct store *st, int64_t folder_id, uint32_t uid)
{
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_SET_RECENT_UID);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	return change_run(st, s, "set recent UID");
}

enum store_result store_orphan_subscription_set(struct store *st, int64_t account, const char *name, bool on)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "subscribed name", name, false))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, on ? SQL_ORPHAN_SUBSCRIPTION_ADD
					  : SQL_ORPHAN_SUBSCRIPTION_DELETE);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, account);
	bind_text(s, 2, name);
	enum store_result rc = change_run(st, s, on ? "keep subscription" : "drop subscription");
	return on && rc == STORE_NOT_FOUND ? STORE_OK : rc; /* subscribed already: done */
}

/* Step a bound statement whose rows are one text column into a malloc'd
 * array of strings (free with store_strings_free()); on an error, none. */
static enum store_result step_strings(struct store *st, sqlite3_stmt *s, const char *what,
				      char ***out, size_t *n)
{
	enum store_result rc = STORE_ERROR;
	size_t cap = 0;
	for (;;) {
		int step = sqlite3_step(s);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			db_error(st, what);
			goto done;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		(*out)[(*n)++] = column_dup(s, 0, NULL);
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	if (rc != STORE_OK) {
		store_strings_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

enum store_result store_orphan_subscriptions(struct store *st, int64_t account, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_ORPHAN_SUBSCRIPTIONS);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, account);
	return step_strings(st, s, "list subscriptions", out, n);
}

enum store_result store_folder_subscribe(struct store *st, int64_t folder_id, bool on)
{
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_SUBSCRIBE);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int(s, 2, on ? 1 : 0);
	return change_run(st, s, "subscribe folder");
}

static bool flags_ok(struct store *st, const char *what, uint32_t flags)
{
	if (flags > 63) {
		set_error(st, "%s: unknown flag bits 0x%x", what, (unsigned)flags);
		return false;
	}
	return true;
}

enum store_result store_message_set_flags(struct store *st, int64_t folder_id, uint32_t uid,
					  uint32_t flags, const char *keywords)
{
	if (!st)
		return STORE_ERROR;
	if (!flags_ok(st, "set flags", flags) ||
	    (keywords && !text_ok(st, "keywords", keywords, true)))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, keywords ? SQL_MESSAGE_SET_FLAGS : SQL_MESSAGE_SET_FLAGS_ONLY);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	sqlite3_bind_int64(s, 3, flags);
	if (keywords)
		bind_text(s, 4, keywords);
	enum store_result rc = change_run(st, s, "set flags");
	if (rc != STORE_NOT_FOUND)
		return rc;
	/* Nothing changed: no such message, or it had those flags already. */
	s = stmt_get(st, SQL_MESSAGE_EXISTS);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		rc = STORE_OK;
		break;
	case SQLITE_DONE:
		rc = STORE_NOT_FOUND;
		break;
	default:
		db_error(st, "set flags");
		rc = STORE_ERROR;
	}
	stmt_done(s);
	return rc;
}

enum store_result store_message_copy(struct store *st, int64_t from_folder, uint32_t uid,
				     int64_t to_folder, uint32_t *new_uid)
{
	if (!st)
		return STORE_ERROR;
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;
	/* As in store_message_add: the target's UIDNEXT is read, used and
	 * bumped in one transaction. */
	enum store_result rc = STORE_ERROR;
	int64_t next = 0;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_UIDNEXT);
	if (!s)
		goto done;
	sqlite3_bind_int64(s, 1, to_folder);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		next = sqlite3_column_int64(s, 0);
		break;
	case SQLITE_DONE:
		set_error(st, "copy message: no folder %lld", (long long)to_folder);
		goto done;
	default:
		db_error(st, "copy message");
		goto done;
	}
	stmt_done(s);
	s = NULL;
	if (next < 1 || next >= (int64_t)STORE_UID_MAX) {
		set_error(st, "copy message: folder %lld has used up its UIDs", (long long)to_folder);
		goto done;
	}

	s = stmt_get(st, SQL_MESSAGE_COPY);
	if (!s)
		goto done;
	sqlite3_bind_int64(s, 1, from_folder);
	sqlite3_bind_int64(s, 2, uid);
	sqlite3_bind_int64(s, 3, to_folder);
	sqlite3_bind_int64(s, 4, next);
	if (stmt_run(st, s, "copy message") != STORE_OK)
		goto done;
	s = NULL;
	if (sqlite3_changes(st->db) == 0) {
		rc = STORE_NOT_FOUND; /* no such message: nothing inserted, UIDNEXT untouched */
		goto done;
	}

	s = stmt_get(st, SQL_FOLDER_BUMP_UIDNEXT);
	if (!s)
		goto done;
	sqlite3_bind_int64(s, 1, to_folder);
	if (stmt_run(st, s, "copy message") != STORE_OK)
		goto done;
	s = NULL;
	if (new_uid)
		*new_uid = (uint32_t)next;
	rc = STORE_OK;
done:
	stmt_done(s);
	return tx_end(st, rc);
}

/* ------------------------------------------------------------------------
 * Relay queues
 * ------------------------------------------------------------------------ */

enum store_result store_queue_add(struct store *st, const char *server, const char *domain,
				  const char *mail_from, const char *const *rcpts, size_t nrcpts,
				  const char *content, size_t len, int64_t arrival,
				  int64_t next_try_us, int64_t *id)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "server", server, false) || !text_ok(st, "domain", domain, false) ||
	    !text_ok(st, "mail from", mail_from, true) || !content_ok(st, content, len))
		return STORE_ERROR;
	if (nrcpts == 0 || !rcpts) {
		set_error(st, "queue: an entry needs at least one recipient");
		return STORE_ERROR;
	}
	for (size_t i = 0; i < nrcpts; i++)
		if (!text_ok(st, "recipient", rcpts[i], false))
			return STORE_ERROR;
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;

	enum store_result rc = STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_QUEUE_ADD);
	if (!s)
		goto done;
	if ((bind_text(s, 1, server) | bind_text(s, 2, domain) | bind_text(s, 3, mail_from) |
	     bind_blob(s, 4, content, len) | sqlite3_bind_int64(s, 5, arrival) |
	     sqlite3_bind_int64(s, 6, next_try_us)) != SQLITE_OK) {
		db_error(st, "queue");
		goto done;
	}
	if (stmt_run(st, s, "queue") != STORE_OK)
		goto done;
	int64_t entry = sqlite3_last_insert_rowid(st->db);

	s = stmt_get(st, SQL_QUEUE_RCPT_ADD);
	if (!s)
		goto done;
	for (size_t i = 0; i < nrcpts; i++) {
		sqlite3_bind_int64(s, 1, entry);
		bind_text(s, 2, rcpts[i]);
		if (stmt_run(st, s, "queue recipient") != STORE_OK)
			goto done;
	}
	s = NULL;
	if (id)
		*id = entry;
	rc = STORE_OK;
done:
	stmt_done(s);
	return tx_end(st, rc);
}

/* Text column as a malloc'd string, NULL for SQL NULL. */
static char *column_strdup_or_null(sqlite3_stmt *s, int col)
{
	return sqlite3_column_type(s, col) == SQLITE_NULL ? NULL : column_dup(s, col, NULL);
}

enum store_result store_queue_get(struct store *st, int64_t id, struct store_queue_entry *out)
{
	if (!st || !out) {
		if (st)
			set_error(st, "queue get: nowhere to put the entry");
		return STORE_ERROR;
	}
	memset(out, 0, sizeof *out);
	enum store_result rc = STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_QUEUE_GET);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		break;
	case SQLITE_DONE:
		rc = STORE_NOT_FOUND;
		goto done;
	default:
		db_error(st, "queue get");
		goto done;
	}
	out->id = id;
	out->server = column_dup(s, 0, NULL);
	out->domain = column_dup(s, 1, NULL);
	out->mail_from = column_dup(s, 2, NULL);
	out->content = column_dup(s, 3, &out->content_len);
	out->arrival = sqlite3_column_int64(s, 4);
	out->attempts = sqlite3_column_int(s, 5);
	out->next_try_us = sqlite3_column_int64(s, 6);
	out->last_reply = column_strdup_or_null(s, 7);
	stmt_done(s);

	s = stmt_get(st, SQL_QUEUE_RCPTS);
	if (!s)
		goto done;
	sqlite3_bind_int64(s, 1, id);
	size_t cap = 0;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (out->nrcpts == cap) {
			cap = cap ? cap * 2 : 4;
			out->rcpts = xrealloc(out->rcpts, cap * sizeof *out->rcpts);
		}
		out->rcpts[out->nrcpts++] = column_dup(s, 0, NULL);
	}
	if (step != SQLITE_DONE) {
		db_error(st, "queue get recipients");
		goto done;
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	if (rc != STORE_OK)
		store_queue_entry_free(out);
	return rc;
}

void store_queue_entry_free(struct store_queue_entry *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nrcpts; i++)
		free(e->rcpts[i]);
	free(e->rcpts);
	free(e->server);
	free(e->domain);
	free(e->mail_from);
	free(e->content);
	free(e->last_reply);
	memset(e, 0, sizeof *e);
}

static enum store_result change_run(struct store *st, sqlite3_stmt *s, const char *what)
{
	if (tx_begin(st) != STORE_OK) {
		stmt_done(s);
		return STORE_ERROR;
	}
	enum store_result rc = stmt_run(st, s, what);
	if (rc == STORE_OK && sqlite3_changes(st->db) == 0)
		rc = STORE_NOT_FOUND;
	return tx_end(st, rc);
}

/* ------------------------------------------------------------------------
 * Counters
 * ------------------------------------------------------------------------ */

enum store_result store_counter_next(struct store *st, const char *name, uint64_t *value)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "counter name", name, false))
		return STORE_ERROR;
	if (!value) {
		set_error(st, "counter: nowhere to put the value");
		return STORE_ERROR;
	}
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_COUNTER_BUMP);
	if (!s)
		goto done;
	bind_text(s, 1, name);
	if (stmt_run(st, s, "counter") != STORE_OK)
		goto done;
	s = stmt_get(st, SQL_COUNTER_GET);
	if (!s)
		goto done;
	bind_text(s, 1, name);
	int64_t v = 0;
	rc = count_run(st, s, &v, "counter");
	if (rc == STORE_OK)
		*value = (uint64_t)v;
done:
	return tx_end(st, rc);
}

enum store_result store_queue_remove_rcpt(struct store *st, int64_t id, const char *rcpt)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "recipient", rcpt, false))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_QUEUE_RCPT_DEL);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, rcpt);
	return change_run(st, s, "queue remove recipient");
}

enum store_result store_queue_reschedule(struct store *st, int64_t id, int attempts,
					 int64_t next_try_us, const char *last_reply)
{
	if (!st)
		return STORE_ERROR;
	if (attempts < 0) {
		set_error(st, "queue reschedule: negative attempts %d", attempts);
		return STORE_ERROR;
	}
	sqlite3_stmt *s = stmt_get(st, SQL_QUEUE_RESCHEDULE);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, attempts);
	sqlite3_bind_int64(s, 3, next_try_us);
	bind_text(s, 4, last_reply);
	return change_run(st, s, "queue reschedule");
}

enum store_result store_queue_delete(struct store *st, int64_t id)
{
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_QUEUE_DELETE);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	return change_run(st, s, "queue delete");
}

enum store_result store_queue_list(struct store *st, const char *server, int64_t **ids,
				   int64_t **next_try_us, size_t *n)
{
	*ids = NULL;
	*next_try_us = NULL;
	*n = 0;
	if (!st || !server)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_QUEUE_LIST);
	if (!s)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	size_t cap = 0;
	if (bind_text(s, 1, server) != SQLITE_OK) {
		db_error(st, "list queue");
		goto done;
	}
	for (;;) {
		int step = sqlite3_step(s);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			db_error(st, "list queue");
			goto done;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*ids = xrealloc(*ids, cap * sizeof **ids);
			*next_try_us = xrealloc(*next_try_us, cap * sizeof **next_try_us);
		}
		(*ids)[*n] = sqlite3_column_int64(s, 0);
		(*next_try_us)[*n] = sqlite3_column_int64(s, 1);
		(*n)++;
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	if (rc != STORE_OK) {
		free(*ids);
		free(*next_try_us);
		*ids = *next_try_us = NULL;
		*n = 0;
	}
	return rc;
}

enum store_result store_queue_count(struct store *st, const char *server, int64_t *count)
{
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, server ? SQL_QUEUE_COUNT_SERVER : SQL_QUEUE_COUNT_ALL);
	if (!s)
		return STORE_ERROR;
	if (server)
		bind_text(s, 1, server);
	return count_run(st, s, count, "queue count");
}

/* ------------------------------------------------------------------------
 * Devices
 * ------------------------------------------------------------------------ */

enum store_result store_device_add(struct store *st, const char *name, const char *owner,
				   int64_t *id)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "device name", name, false) ||
	    (owner && !text_ok(st, "device owner", owner, true)))
		return STORE_ERROR;
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_ADD);
	if (!s)
		goto done;
	bind_text(s, 1, name);
	bind_text(s, 2, owner);
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE) {
			set_error(st, "device %s already exists", name);
			rc = STORE_EXISTS;
		} else {
			db_error(st, "add device");
		}
		goto done;
	}
	if (id)
		*id = sqlite3_last_insert_rowid(st->db);
	rc = STORE_OK;
done:
	stmt_done(s);
	return tx_end(st, rc);
}

enum store_result store_device_find(struct store *st, const char *name, int64_t *id)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "device name", name, true))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_FIND);
	enum store_result rc = STORE_ERROR;
	if (!s)
		return STORE_ERROR;
	bind_text(s, 1, name);
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (id)
			*id = sqlite3_column_int64(s, 0);
		rc = STORE_OK;
		break;
	case SQLITE_DONE:
		rc = STORE_NOT_FOUND;
		break;
	default:
		db_error(st, "find device");
	}
	stmt_done(s);
	return rc;
}

enum store_result store_device_message_add(struct store *st, int64_t device, const char *folder,
					   const char *content, size_t len,
					   const struct store_summary *sum, const char *uidl,
					   uint32_t uid, uint32_t flags)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "device folder", folder, false) || !content_ok(st, content, len))
		return STORE_ERROR;
	if (flags > 63) {
		set_error(st, "device message: unknown flag bits 0x%x", (unsigned)flags);
		return STORE_ERROR;
	}
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_MESSAGE_ADD);
	if (!s)
		goto done;
	int bad = sqlite3_bind_int64(s, 1, device) | bind_text(s, 2, folder) |
		  (uid ? sqlite3_bind_int64(s, 3, uid) : sqlite3_bind_null(s, 3)) |
		  bind_text(s, 4, uidl) | sqlite3_bind_int64(s, 5, flags) |
		  sqlite3_bind_int64(s, 6, (int64_t)len) | bind_summary(s, 7, sum) |
		  bind_blob(s, 12, content, len);
	if (bad != SQLITE_OK) {
		db_error(st, "device message");
		goto done;
	}
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
			set_error(st, "device message: no device %lld", (long long)device);
		else
			db_error(st, "device message");
		goto done;
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	return tx_end(st, rc);
}

enum store_result store_device_count(struct store *st, int64_t device, int64_t *count)
{
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_COUNT);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, device);
	return count_run(st, s, count, "count device messages");
}

enum store_result store_device_uidls(struct store *st, int64_t device, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_UIDLS);
	if (!s)
		return STORE_ERROR;
	if (sqlite3_bind_int64(s, 1, device) != SQLITE_OK) {
		db_error(st, "device uidls");
		stmt_done(s);
		return STORE_ERROR;
	}
	return step_strings(st, s, "device uidls", out, n); /* a NULL uidl reads "" */
}

/* Bind (device, folder) as ?1 and ?2; false (error set) if the name is bad. */
static bool bind_device_folder(struct store *st, sqlite3_stmt *s, int64_t device,
			       const char *folder)
{
	if ((sqlite3_bind_int64(s, 1, device) | bind_text(s, 2, folder)) != SQLITE_OK) {
		db_error(st, "device folder");
		stmt_done(s);
		return false;
	}
	return true;
}

enum store_result store_device_folder_set(struct store *st, int64_t device, const char *name,
					  const char *special_use, uint32_t uidvalidity)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "device folder", name, false) ||
	    (special_use && !text_ok(st, "special use", special_use, true)))
		return STORE_ERROR;
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_FOLDER_SET);
	if (!s)
		goto done;
	if (!bind_device_folder(st, s, device, name))
		goto done;
	bind_text(s, 3, special_use && *special_use ? special_use : NULL);
	sqlite3_bind_int64(s, 4, uidvalidity);
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
			set_error(st, "device folder: no device %lld", (long long)device);
		else
			db_error(st, "device folder");
		goto done;
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	return tx_end(st, rc);
}

enum store_result store_device_folder_uidvalidity(struct store *st, int64_t device,
						  const char *name, uint32_t *uidvalidity)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "device folder", name, true))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_FOLDER_UIDVALIDITY);
	if (!s || !bind_device_folder(st, s, device, name))
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		if (uidvalidity)
			*uidvalidity = (uint32_t)sqlite3_column_int64(s, 0);
		rc = STORE_OK;
		break;
	case SQLITE_DONE:
		rc = STORE_NOT_FOUND;
		break;
	default:
		db_error(st, "device folder uidvalidity");
	}
	stmt_done(s);
	return rc;
}

enum store_result store_device_folder_list(struct store *st, int64_t device, const char *folder,
					   struct store_message **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "device folder", folder, true))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_FOLDER_LIST);
	if (!s || !bind_device_folder(st, s, device, folder))
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	size_t cap = 0;
	for (;;) {
		int step = sqlite3_step(s);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			db_error(st, "list device folder");
			goto done;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct store_message *m = &(*out)[(*n)++];
		m->id = sqlite3_column_int64(s, 0);
		m->uid = (uint32_t)sqlite3_column_int64(s, 1);
		m->flags = (uint32_t)sqlite3_column_int64(s, 2);
		m->internaldate = 0;
		m->size = sqlite3_column_int64(s, 3);
		m->content = NULL;
		m->content_len = 0;
		m->keywords[0] = '\0';
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	if (rc != STORE_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

enum store_result store_device_message_set_flags(struct store *st, int64_t device,
						 const char *folder, uint32_t uid, uint32_t flags)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "device folder", folder, true) ||
	    !flags_ok(st, "device set flags", flags))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_MESSAGE_SET_FLAGS);
	if (!s || !bind_device_folder(st, s, device, folder))
		return STORE_ERROR;
	sqlite3_bind_int64(s, 3, uid);
	sqlite3_bind_int64(s, 4, flags);
	return change_run(st, s, "device set flags");
}

enum store_result store_device_message_delete(struct store *st, int64_t device, const char *folder,
					      uint32_t uid)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "device folder", folder, true))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_MESSAGE_DELETE);
	if (!s || !bind_device_folder(st, s, device, folder))
		return STORE_ERROR;
	sqlite3_bind_int64(s, 3, uid);
	return change_run(st, s, "device delete message");
}

enum store_result store_device_folder_clear(struct store *st, int64_t device, const char *folder)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "device folder", folder, true))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_FOLDER_CLEAR);
	if (!s || !bind_device_folder(st, s, device, folder))
		return STORE_ERROR;
	enum store_result rc = change_run(st, s, "clear device folder");
	return rc == STORE_NOT_FOUND ? STORE_OK : rc; /* an empty cache is cleared too */
}

enum store_result store_device_folder_count(struct store *st, int64_t device, const char *folder,
					    int64_t *count)
{
	if (!st)
		return STORE_ERROR;
	if (!text_ok(st, "device folder", folder, true))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_FOLDER_COUNT);
	if (!s || !bind_device_folder(st, s, device, folder))
		return STORE_ERROR;
	return count_run(st, s, count, "count device folder");
}

/* ------------------------------------------------------------------------
 * Listing the whole store (mailsim inspect)
 * ------------------------------------------------------------------------ */

enum store_result store_accounts(struct store *st, struct store_account **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_ACCOUNTS);
	if (!s)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	size_t cap = 0;
	for (;;) {
		int step = sqlite3_step(s);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			db_error(st, "list accounts");
			goto done;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct store_account *a = &(*out)[(*n)++];
		a->id = sqlite3_column_int64(s, 0);
		column_copy(s, 1, a->address, sizeof a->address);
		column_copy(s, 2, a->name, sizeof a->name);
		column_copy(s, 3, a->server, sizeof a->server);
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	if (rc != STORE_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

enum store_result store_devices(struct store *st, struct store_device **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICES);
	if (!s)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	size_t cap = 0;
	for (;;) {
		int step = sqlite3_step(s);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			db_error(st, "list devices");
			goto done;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct store_device *d = &(*out)[(*n)++];
		d->id = sqlite3_column_int64(s, 0);
		column_copy(s, 1, d->name, sizeof d->name);
		column_copy(s, 2, d->owner, sizeof d->owner);
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	if (rc != STORE_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

enum store_result store_servers(struct store *st, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_SERVERS);
	if (!s)
		return STORE_ERROR;
	return step_strings(st, s, "list servers", out, n);
}

/* Step SQL_FOLDER_LISTING or SQL_DEVICE_LISTING (bound already): both give
 * folder, uid, uidl, flags, size, from_hdr, subject. */
static enum store_result listing_run(struct store *st, sqlite3_stmt *s, struct store_listed **out,
				     size_t *n, const char *what)
{
	enum store_result rc = STORE_ERROR;
	size_t cap = 0;
	for (;;) {
		int step = sqlite3_step(s);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			db_error(st, what);
			goto done;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof **out);
		}
		struct store_listed *m = &(*out)[(*n)++];
		m->folder = column_strdup_or_null(s, 0);
		m->uid = (uint32_t)sqlite3_column_int64(s, 1); /* NULL reads 0 */
		m->uidl = column_strdup_or_null(s, 2);
		m->flags = (uint32_t)sqlite3_column_int64(s, 3);
		m->size = sqlite3_column_int64(s, 4);
		m->from = column_strdup_or_null(s, 5);
		m->subject = column_strdup_or_null(s, 6);
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	if (rc != STORE_OK) {
		store_listed_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

enum store_result store_folder_listing(struct store *st, int64_t folder_id,
				       struct store_listed **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_LISTING);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	return listing_run(st, s, out, n, "list folder");
}

enum store_result store_device_listing(struct store *st, int64_t device, struct store_listed **out,
				       size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!st)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_LISTING);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, device);
	return listing_run(st, s, out, n, "list device");
}

void store_listed_free(struct store_listed *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].folder);
		free(v[i].uidl);
		free(v[i].from);
		free(v[i].subject);
	}
	free(v);
}

void store_strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int64_t store_memory_used(void)
{
	/* SQLite's own allocator count: for an in-memory store, the store. */
	return (int64_t)sqlite3_memory_used();
}
