/*
 * store.c - the one SQLite store shared by SMTP, POP3 and IMAP: its schema,
 * opening and closing it, errors and transactions, and the helpers the
 * rest of the store uses.
 *
 * The store is a family of files.  store.h is its public face; store_int.h,
 * included by the family only, holds struct store and the helpers below:
 *
 *   store.c         this file
 *   store_mail.c    accounts, folders, messages, flags, keywords, UIDs
 *   store_queue.c   the relay queue, and the counters that number it
 *   store_device.c  devices and what they hold (POP3 UIDLs, IMAP caches)
 *   store_list.c    the listings and searches of views, inspect and checks
 *
 * Each of those keeps the SQL it runs in a table beside its code.  Read
 * this file top to bottom:
 *
 *   1. the schema, as the SQL that creates it (docs/SCHEMA.md explains it
 *      for students who open the database with the sqlite3 shell);
 *   2. prepared statements: prepared once and kept, then bound and
 *      stepped, and the helpers that step them (step_rows() reads every
 *      row of a listing into an array);
 *   3. errors and transactions (the nesting rule is written out there, and
 *      the hook through which tests make a commit fail);
 *   4. opening and closing, which creates the schema or upgrades it.
 *
 * Every public function that changes something runs inside
 * tx_begin()/tx_end(): called alone it is one transaction, called between
 * the caller's store_begin() and store_commit() it is part of that one.
 * Arguments are checked before the transaction is touched, so a call refused
 * for a bad argument changes nothing, not even the caller's transaction.
 * Every public function that can fail gives an enum store_result (store.h
 * says what each value means) and, for STORE_ERROR, sets store_error().
 */
#include "store_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a statement waits for another connection's lock before it gives
 * up with "database is locked". */
#define STORE_BUSY_TIMEOUT_MSECS 5000

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
 *
 * Each file of the family keeps the SQL of its own statements in a table
 * indexed by enum store_stmt (store_int.h); this file's are the three of a
 * transaction.  After them come the helpers every file binds and steps
 * with; last those that read a listing into an array: step_rows(), and
 * list_rows() for the public functions that list.
 * ------------------------------------------------------------------------ */

static const char *const tx_sql[SQL_NSTMTS] = {
	/* IMMEDIATE takes the write lock now, not at the first write.  A
	 * DEFERRED transaction that reads first and writes later may find
	 * another writer got in between and fail with SQLITE_BUSY halfway
	 * through; taken up front, the lock is waited for (busy timeout) at
	 * BEGIN, where giving up is harmless. */
	[SQL_BEGIN] = "BEGIN IMMEDIATE",
	[SQL_COMMIT] = "COMMIT",
	[SQL_ROLLBACK] = "ROLLBACK",
};

static sqlite3_stmt *stmt_get(struct store *st, enum store_stmt id)
{
	return stmt_prepare(st, id, tx_sql[id]);
}

sqlite3_stmt *stmt_prepare(struct store *st, enum store_stmt id, const char *sql)
{
	assert((unsigned)id < SQL_NSTMTS);
	assert(sql); /* else the calling file's table lacks the statement */
	if (!st)
		return NULL;
	if (!st->stmts[id] &&
	    sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->stmts[id],
			       NULL) != SQLITE_OK) {
		db_error(st, "prepare");
		st->stmts[id] = NULL;
	}
	return st->stmts[id];
}

/* Resetting also ends the read it was doing, so a half-read SELECT never
 * keeps a snapshot (and its locks) open; clearing the bindings drops
 * pointers into the caller's memory. */
void stmt_done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/* SQLITE_STATIC: SQLite may use the caller's bytes without copying them,
 * because stmt_done() forgets them before the caller gets control back. */
int bind_text(sqlite3_stmt *s, int i, const char *text)
{
	return sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
}

/* Message bytes as a BLOB: any byte may occur, NUL included. */
int bind_blob(sqlite3_stmt *s, int i, const char *p, size_t len)
{
	return sqlite3_bind_blob64(s, i, p ? p : "", (sqlite3_uint64)len, SQLITE_STATIC);
}

/* The five summary columns, from, to, subject, date, message_id. */
int bind_summary(sqlite3_stmt *s, int first, const struct store_summary *sum)
{
	static const struct store_summary none;
	if (!sum)
		sum = &none;
	return bind_text(s, first, sum->from) | bind_text(s, first + 1, sum->to) |
	       bind_text(s, first + 2, sum->subject) | bind_text(s, first + 3, sum->date) |
	       bind_text(s, first + 4, sum->message_id);
}

char *column_dup(sqlite3_stmt *s, int col, size_t *len)
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

char *column_strdup_or_null(sqlite3_stmt *s, int col)
{
	return sqlite3_column_type(s, col) == SQLITE_NULL ? NULL : column_dup(s, col, NULL);
}

void column_copy(sqlite3_stmt *s, int col, char *dst, size_t dstlen)
{
	assert(dst && dstlen > 0);
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, col) : 0;
	if (n >= dstlen)
		n = dstlen - 1; /* as snprintf would cut it */
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

int write_step(struct store *st, sqlite3_stmt *s, int bound, const char *what)
{
	assert(s);
	int code = bound != SQLITE_OK ? bound : sqlite3_step(s);
	if (code != SQLITE_DONE) {
		if (bound == SQLITE_OK)
			code = sqlite3_extended_errcode(st->db); /* before stmt_done() */
		db_error(st, what);
	}
	stmt_done(s);
	return code;
}

enum store_result stmt_run(struct store *st, sqlite3_stmt *s, const char *what)
{
	return write_step(st, s, SQLITE_OK, what) == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

enum store_result change_run(struct store *st, sqlite3_stmt *s, const char *what)
{
	assert(s);
	if (tx_begin(st) != STORE_OK) {
		stmt_done(s);
		return STORE_ERROR;
	}
	enum store_result rc = STORE_ERROR;
	switch (write_step(st, s, SQLITE_OK, what)) {
	case SQLITE_DONE:
		rc = sqlite3_changes(st->db) > 0 ? STORE_OK : STORE_NOT_FOUND;
		break;
	case SQLITE_CONSTRAINT_UNIQUE:
		rc = STORE_EXISTS; /* nothing changed: commits like NOT_FOUND */
		break;
	}
	return tx_end(st, rc);
}

enum store_result count_run(struct store *st, sqlite3_stmt *s, int64_t *count, const char *what)
{
	assert(s);
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

enum store_result step_one(struct store *st, sqlite3_stmt *s, int bound, const char *what)
{
	assert(s);
	enum store_result rc = STORE_ERROR;
	if (bound != SQLITE_OK) {
		db_error(st, what);
		stmt_done(s);
		return STORE_ERROR;
	}
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		return STORE_OK; /* the caller reads the row, then stmt_done() */
	case SQLITE_DONE:
		rc = STORE_NOT_FOUND;
		break;
	default:
		db_error(st, what);
	}
	stmt_done(s);
	return rc;
}

enum store_result step_read(struct store *st, sqlite3_stmt *s, int bound, const char *what,
			    void (*read)(sqlite3_stmt *s, void *elem), void *out)
{
	enum store_result rc = step_one(st, s, bound, what);
	if (rc == STORE_OK) {
		if (out)
			read(s, out);
		stmt_done(s);
	}
	return rc;
}

static void read_int64(sqlite3_stmt *s, void *elem)
{
	*(int64_t *)elem = sqlite3_column_int64(s, 0);
}

enum store_result step_int64(struct store *st, sqlite3_stmt *s, int bound, const char *what,
			     int64_t *value)
{
	return step_read(st, s, bound, what, read_int64, value);
}

enum store_result step_rows(struct store *st, sqlite3_stmt *s, int bound, const char *what,
			    const struct row_reader *r, void **rows, size_t *n)
{
	assert(s && r && r->size > 0 && r->read && rows && n);
	char *v = NULL; /* the array, as bytes: element i is at v + i * r->size */
	size_t count = 0, cap = 0;
	enum store_result rc = STORE_ERROR;
	if (bound != SQLITE_OK) {
		db_error(st, what);
		goto done;
	}
	for (;;) {
		int step = sqlite3_step(s);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			db_error(st, what);
			goto done;
		}
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * r->size);
		}
		r->read(s, v + count++ * r->size);
	}
	rc = STORE_OK;
done:
	stmt_done(s);
	if (rc != STORE_OK) {
		for (size_t i = 0; r->drop && i < count; i++)
			r->drop(v + i * r->size);
		free(v);
		v = NULL;
		count = 0;
	}
	*rows = v;
	*n = count;
	return rc;
}

static void read_string(sqlite3_stmt *s, void *elem)
{
	*(char **)elem = column_dup(s, 0, NULL);
}

static void drop_string(void *elem)
{
	free(*(char **)elem);
}

enum store_result list_rows(struct store *st, sqlite3_stmt *s, int64_t key, const char *what,
			    const struct row_reader *r, void **rows, size_t *n)
{
	assert(rows && n);
	if (!s) {
		*rows = NULL;
		*n = 0;
		return STORE_ERROR;
	}
	int bound = sqlite3_bind_parameter_count(s) > 0 ? sqlite3_bind_int64(s, 1, key) : SQLITE_OK;
	return step_rows(st, s, bound, what, r, rows, n);
}

enum store_result list_strings(struct store *st, sqlite3_stmt *s, int64_t key, const char *what,
			       char ***out, size_t *n)
{
	static const struct row_reader string_row = { sizeof(char *), read_string, drop_string };
	assert(out);
	void *rows;
	enum store_result rc = list_rows(st, s, key, what, &string_row, &rows, n);
	*out = rows;
	return rc;
}

void store_strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ------------------------------------------------------------------------
 * 3. Errors and transactions
 * ------------------------------------------------------------------------ */

void set_error(struct store *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof st->err, fmt, ap);
	va_end(ap);
}

void db_error(struct store *st, const char *what)
{
	set_error(st, "%s: %s", what, sqlite3_errmsg(st->db));
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
			set_error(st, _("begin: the transaction was rolled back; finish it first"));
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
		set_error(st, _("commit: no transaction is open"));
		return STORE_ERROR;
	}
	st->depth--;
	if (st->doomed) {
		if (st->depth == 0)
			st->doomed = false;
		if (!st->err[0])
			set_error(st, _("commit: the transaction was rolled back"));
		return STORE_ERROR;
	}
	if (st->depth > 0)
		return STORE_OK;
	sqlite3_stmt *s = stmt_get(st, SQL_COMMIT);
	if (st->commit_fault && st->commit_fault(st->commit_fault_ctx))
		set_error(st, _("commit: injected failure"));
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
			set_error(st, _("rollback: no transaction is open"));
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

enum store_result tx_begin(struct store *st)
{
	return store_begin(st);
}

enum store_result tx_end(struct store *st, enum store_result rc)
{
	assert(st && st->depth > 0); /* after a tx_begin() that succeeded */
	if (rc == STORE_ERROR) {
		store_rollback(st);
		return STORE_ERROR;
	}
	return store_commit(st) == STORE_OK ? rc : STORE_ERROR;
}

bool text_ok(struct store *st, const char *what, const char *s, bool may_be_empty)
{
	if (!s) {
		set_error(st, _("%s is missing"), _(what));
		return false;
	}
	if (!may_be_empty && !*s) {
		set_error(st, _("%s is empty"), _(what));
		return false;
	}
	if (strlen(s) > STORE_TEXT_MAX) {
		set_error(st, _("%s is longer than %d bytes"), _(what), STORE_TEXT_MAX);
		return false;
	}
	return true;
}

bool content_ok(struct store *st, const char *content, size_t len)
{
	if (!content && len > 0) {
		set_error(st, _("content is missing"));
		return false;
	}
	return true;
}

bool flags_ok(struct store *st, const char *what, uint32_t flags)
{
	if (flags > 63) {
		set_error(st, _("%s: unknown flag bits 0x%x"), what, (unsigned)flags);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * 4. Opening and closing
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

/* One way to a newer schema: from version `from` to `to`, by the SQL in
 * `sql` (run in order; NULL ends the list).  An error names the work
 * `what`, or `what_version` (if not NULL) when setting the new
 * user_version fails. */
struct schema_step {
	int from, to;
	const char *what, *what_version;
	const char *sql[5];
};

/* A new database gets the whole schema at once. */
static const struct schema_step schema_create = {
	.from = 0, .to = STORE_SCHEMA_VERSION,
	.what = "create schema", .what_version = "set schema version",
	.sql = { store_schema_sql, store_device_folders_sql, store_orphan_subscriptions_sql,
		 store_mail_overview_sql, store_counters_sql },
};

/* An older one goes a version at a time.  1 to 2: keywords on messages,
 * the device_folders table, and mail_overview showing keywords.  2 to 3:
 * folders.recent_uid (IMAP \Recent survives a restart), the
 * orphan_subscriptions table (a subscription outlives its folder) and the
 * counters table (queue ids and Message-IDs that never repeat; every
 * counter starts at 1). */
static const struct schema_step schema_steps[] = {
	{ .from = 1, .to = 2, .what = "upgrade schema 1 to 2",
	  .sql = { store_upgrade_1_to_2_sql, store_device_folders_sql, store_mail_overview_sql } },
	{ .from = 2, .to = 3, .what = "upgrade schema 2 to 3",
	  .sql = { store_upgrade_2_to_3_sql, store_orphan_subscriptions_sql, store_counters_sql } },
};
_Static_assert(sizeof schema_steps / sizeof schema_steps[0] == STORE_SCHEMA_VERSION - 1,
	       "one upgrade step per schema version after the first");

/* One step: all of it and the new user_version in one transaction, so a
 * failure (or a crash) leaves the whole older version.  *version is what
 * the database has afterwards. */
static enum store_result schema_step(struct store *st, const struct schema_step *step,
				     int *version)
{
	char setv[64];
	snprintf(setv, sizeof setv, "PRAGMA user_version = %d", step->to);
	if (store_begin(st) != STORE_OK)
		return STORE_ERROR;
	/* Look again with the write lock held: another process may have
	 * created or upgraded it between our first look and our BEGIN. */
	enum store_result rc = user_version(st, version);
	if (rc == STORE_OK && *version == step->from) {
		size_t nsql = sizeof step->sql / sizeof step->sql[0];
		for (size_t i = 0; rc == STORE_OK && i < nsql && step->sql[i]; i++)
			rc = exec_sql(st, step->sql[i], step->what);
		if (rc == STORE_OK)
			rc = exec_sql(st, setv, step->what_version ? step->what_version : step->what);
		if (rc == STORE_OK)
			*version = step->to;
	}
	return tx_end(st, rc);
}

/* The version-too-new message, the same for both opens. */
static void newer_schema_error(struct store *st, int version)
{
	set_error(st, _("database schema version %d is newer than this mailsim (%d)"), version,
		  STORE_SCHEMA_VERSION);
}

/* Create the schema in a new database, or check that an existing one is a
 * version we understand (upgrading an older one a step at a time). */
static enum store_result schema_ensure(struct store *st)
{
	int version;
	if (user_version(st, &version) != STORE_OK)
		return STORE_ERROR;
	if (version == 0 && schema_step(st, &schema_create, &version) != STORE_OK)
		return STORE_ERROR;
	if (version > STORE_SCHEMA_VERSION) {
		newer_schema_error(st, version);
		return STORE_ERROR;
	}
	for (size_t i = 0; i < sizeof schema_steps / sizeof schema_steps[0]; i++)
		if (version == schema_steps[i].from &&
		    schema_step(st, &schema_steps[i], &version) != STORE_OK)
			return STORE_ERROR;
	if (version != STORE_SCHEMA_VERSION) {
		set_error(st, _("database schema version %d is not one this mailsim can read (%d)"),
			  version, STORE_SCHEMA_VERSION);
		return STORE_ERROR;
	}
	return STORE_OK;
}

/* The start of both opens: err emptied and *out NULL, or false (err says
 * why) when there is nowhere to put the store. */
static bool open_start(struct store **out, char *err, size_t errlen, const char *who)
{
	if (err && errlen)
		err[0] = '\0';
	if (!out) {
		if (err && errlen)
			snprintf(err, errlen, _("%s: nowhere to put the store"), who);
		return false;
	}
	*out = NULL;
	return true;
}

/* Connect a new store to its database ("open NAME: why" if it fails). */
static enum store_result db_connect(struct store *st, const char *path, int flags)
{
	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		if (st->db)
			set_error(st, _("open %s: %s"), path, sqlite3_errmsg(st->db));
		else
			set_error(st, _("open %s: out of memory"), path);
		return STORE_ERROR;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MSECS);
	return STORE_OK;
}

/* The end of both opens: the store in *out, or, unless rc is OK, err says
 * why and the store is closed. */
static enum store_result open_finish(struct store *st, enum store_result rc, struct store **out,
				     char *err, size_t errlen)
{
	if (rc == STORE_OK) {
		*out = st;
		return STORE_OK;
	}
	if (err && errlen)
		snprintf(err, errlen, "%s", st->err);
	store_close(st);
	return rc;
}

enum store_result store_open(struct store **out, const char *path, char *err, size_t errlen)
{
	if (!open_start(out, err, errlen, "store_open"))
		return STORE_ERROR;
	bool in_memory = !path || strcmp(path, ":memory:") == 0;
	const char *name = in_memory ? ":memory:" : path;
	struct store *st = xcalloc(1, sizeof *st);
	enum store_result rc = STORE_ERROR;
	if (db_connect(st, name, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) != STORE_OK)
		goto done;
	/* SQLite checks REFERENCES only when asked, once per connection. */
	if (exec_sql(st, "PRAGMA foreign_keys = ON", name) != STORE_OK)
		goto done;
	/* WAL (write-ahead log): a commit appends the changed pages to the
	 * -wal file instead of rewriting the database in place, so readers go
	 * on reading while a writer writes, and a crash in the middle leaves
	 * the last committed state intact.  synchronous=FULL: each COMMIT
	 * waits for fsync of the log.  With NORMAL, a power cut may lose the
	 * last commits, and mail we answered 250 for would be gone: the reply
	 * is a promise. */
	if (!in_memory && (exec_sql(st, "PRAGMA journal_mode = WAL", path) != STORE_OK ||
			   exec_sql(st, "PRAGMA synchronous = FULL", path) != STORE_OK))
		goto done;
	rc = schema_ensure(st);
done:
	return open_finish(st, rc, out, err, errlen);
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
		return _("no store");
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
	if (!open_start(out, err, errlen, "store_open_readonly"))
		return STORE_ERROR;
	struct store *st = xcalloc(1, sizeof *st);
	enum store_result rc = STORE_ERROR;
	int version = 0;
	if (!path || !*path || strcmp(path, ":memory:") == 0) {
		set_error(st, _("a read-only store needs a database file"));
		goto done;
	}
	if (db_connect(st, path, SQLITE_OPEN_READONLY) != STORE_OK ||
	    exec_sql(st, "PRAGMA query_only = ON", path) != STORE_OK)
		goto done;
	if (user_version(st, &version) != STORE_OK) {
		if (sqlite3_extended_errcode(st->db) == SQLITE_NOTADB)
			set_error(st, _("not a mailsim database (not an SQLite file at all)"));
		goto done;
	}
	if (version > STORE_SCHEMA_VERSION) {
		newer_schema_error(st, version);
		goto done;
	}
	if (version == 0) {
		set_error(st, _("not a mailsim database (it has no schema version)"));
		goto done;
	}
	if (version < STORE_SCHEMA_VERSION) {
		set_error(st,
			  _("database schema version %d is older than this mailsim (%d): "
			    "opening it for writing upgrades it"),
			  version, STORE_SCHEMA_VERSION);
		rc = STORE_OLD_SCHEMA;
		goto done;
	}
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db, store_tables_sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW)
		db_error(st, "read schema");
	else if (sqlite3_column_int(s, 0) != STORE_NTABLES)
		set_error(st, _("not a mailsim database (its tables are not mailsim's)"));
	else
		rc = STORE_OK;
	sqlite3_finalize(s);
done:
	return open_finish(st, rc, out, err, errlen);
}

int64_t store_memory_used(void)
{
	/* SQLite's own allocator count: for an in-memory store, the store. */
	return (int64_t)sqlite3_memory_used();
}
