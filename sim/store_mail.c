/*
 * store_mail.c - the servers' mail in the store: accounts, folders and
 * their messages, flags, keywords and UIDs.
 *
 * Part of the store's family (store.c names them all; store_int.h holds
 * what they share).  Read it top to bottom:
 *
 *   1. the SQL this file runs, one table;
 *   2. accounts (each made with INBOX, Sent and Trash) and finding folders;
 *   3. messages: delivery with the next UID, reading, listing, removing;
 *   4. IMAP: listing, STATUS numbers, DELETE, RENAME, subscriptions,
 *      \Recent, flags and keywords, COPY.
 *
 * UIDs (RFC 3501 2.3.1.1): a folder's UIDNEXT is read, used and bumped in
 * the transaction that inserts the message, so no two messages get the
 * same UID and a failed delivery gives its UID back; a folder's
 * UIDVALIDITY is its id, never given out twice in one store.
 */
#include "store_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* UIDs are 32-bit nz-numbers, and UIDNEXT must fit one too (STATUS reports
 * it), so UIDNEXT stops here and the last UID a folder hands out is one less. */
#define STORE_UID_MAX 4294967295u

/* ------------------------------------------------------------------------
 * 1. The SQL
 * ------------------------------------------------------------------------ */

static const char *const mail_sql[SQL_NSTMTS] = {
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
	/* Both give the columns read_folder() reads. */
	[SQL_FOLDER_GET] =
		"SELECT id, account_id, name, special_use, subscribed, uidvalidity, uidnext"
		" FROM folders WHERE id = ?1",
	[SQL_FOLDERS] =
		"SELECT id, account_id, name, special_use, subscribed, uidvalidity, uidnext"
		" FROM folders WHERE account_id = ?1 ORDER BY name <> 'INBOX', name",
	[SQL_FOLDER_COUNT] = "SELECT count(*) FROM messages WHERE folder_id = ?1",
	[SQL_FOLDER_COUNT_ABOVE] = "SELECT count(*) FROM messages WHERE folder_id = ?1 AND uid > ?2",
	/* Driven from folders, so a folder that does not exist gives no row
	 * at all, and an empty one a row of zeros. */
	[SQL_FOLDER_STATS] =
		"SELECT count(m.id), ifnull(sum((m.flags & 1) = 0), 0),"
		" ifnull(sum((m.flags & 32) <> 0), 0), f.id"
		" FROM folders f LEFT JOIN messages m ON m.folder_id = f.id WHERE f.id = ?1",
	[SQL_FOLDER_DELETE] = "DELETE FROM folders WHERE id = ?1", /* messages by CASCADE */
	[SQL_FOLDER_RENAME] = "UPDATE folders SET name = ?2 WHERE id = ?1",
	[SQL_FOLDER_SUBSCRIBE] = "UPDATE folders SET subscribed = ?2 WHERE id = ?1",
	[SQL_FOLDER_UIDNEXT] = "SELECT uidnext FROM folders WHERE id = ?1",
	[SQL_FOLDER_BUMP_UIDNEXT] = "UPDATE folders SET uidnext = uidnext + 1 WHERE id = ?1",
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

	[SQL_MESSAGE_ADD] =
		"INSERT INTO messages (folder_id, uid, internaldate, size, flags, from_hdr, to_hdr,"
		" subject, date_hdr, message_id, content)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	/* Both give the columns read_message() reads; SQL_MESSAGE_GET adds
	 * the content. */
	[SQL_MESSAGE_GET] =
		"SELECT id, uid, flags, internaldate, size, keywords, content FROM messages"
		" WHERE folder_id = ?1 AND uid = ?2",
	[SQL_FOLDER_LIST] =
		"SELECT id, uid, flags, internaldate, size, keywords FROM messages WHERE folder_id = ?1"
		" ORDER BY uid",
	[SQL_MESSAGE_DELETE] = "DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2",
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
};

static sqlite3_stmt *stmt_get(struct store *st, enum store_stmt id)
{
	return stmt_prepare(st, id, mail_sql[id]);
}

/* ------------------------------------------------------------------------
 * 2. Accounts and folders
 * ------------------------------------------------------------------------ */

void read_account(sqlite3_stmt *s, void *elem)
{
	struct store_account *a = elem;
	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(s, 0);
	column_copy(s, 1, a->address, sizeof a->address);
	column_copy(s, 2, a->name, sizeof a->name);
	column_copy(s, 3, a->server, sizeof a->server);
}

/* A row of SQL_FOLDER_GET or SQL_FOLDERS. */
static void read_folder(sqlite3_stmt *s, void *elem)
{
	struct store_folder *f = elem;
	memset(f, 0, sizeof *f);
	f->id = sqlite3_column_int64(s, 0);
	f->account_id = sqlite3_column_int64(s, 1);
	column_copy(s, 2, f->name, sizeof f->name);
	column_copy(s, 3, f->special_use, sizeof f->special_use);
	f->subscribed = sqlite3_column_int(s, 4) != 0;
	f->uidvalidity = (uint32_t)sqlite3_column_int64(s, 5);
	f->uidnext = (uint32_t)sqlite3_column_int64(s, 6);
}

/* RFC 3501 5.1: INBOX is a name in any case; other names are exact. */
static const char *folder_name_norm(const char *name)
{
	return strcasecmp(name, "INBOX") == 0 ? "INBOX" : name;
}

/* Inside the caller's transaction. */
static enum store_result folder_insert(struct store *st, int64_t account, const char *name,
				       const char *special_use, int64_t *folder_id)
{
	assert(name); /* checked by the caller */
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_ADD);
	if (!s)
		return STORE_ERROR;
	name = folder_name_norm(name);
	int bound = sqlite3_bind_int64(s, 1, account) | bind_text(s, 2, name) |
		    bind_text(s, 3, special_use);
	switch (write_step(st, s, bound, "add folder")) {
	case SQLITE_DONE:
		if (folder_id)
			*folder_id = sqlite3_last_insert_rowid(st->db);
		return STORE_OK;
	case SQLITE_CONSTRAINT_UNIQUE:
		set_error(st, _("folder \"%s\" already exists"), name);
		return STORE_EXISTS;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		set_error(st, _("no account %lld"), (long long)account);
		return STORE_ERROR;
	default:
		return STORE_ERROR;
	}
}

enum store_result store_account_add(struct store *st, const char *address, const char *password,
				    const char *name, const char *server, int64_t *id)
{
	if (!st || !text_ok(st, N_("address"), address, false) ||
	    !text_ok(st, N_("server"), server, false) || (name && !text_ok(st, N_("name"), name, true)))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_ACCOUNT_ADD);
	if (!s || tx_begin(st) != STORE_OK)
		return STORE_ERROR;

	enum store_result rc = STORE_ERROR;
	int bound = bind_text(s, 1, address) | bind_text(s, 2, password) |
		    bind_text(s, 3, name ? name : "") | bind_text(s, 4, server);
	int code = write_step(st, s, bound, "add account");
	if (code == SQLITE_CONSTRAINT_UNIQUE) {
		set_error(st, _("account %s already exists"), address);
		rc = STORE_EXISTS;
	}
	if (code != SQLITE_DONE)
		goto done;
	int64_t account = sqlite3_last_insert_rowid(st->db);
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
	return tx_end(st, rc);
}

enum store_result store_account_find(struct store *st, const char *address,
				     struct store_account *out)
{
	if (!st || !text_ok(st, N_("address"), address, true))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_ACCOUNT_FIND);
	if (!s)
		return STORE_ERROR;
	return step_read(st, s, bind_text(s, 1, address), "find account", read_account, out);
}

enum store_result store_account_auth(struct store *st, const char *address, const char *password)
{
	if (!st)
		return STORE_ERROR;
	if (!address || !password)
		return STORE_REFUSED; /* nobody is missing a name or a password and right */
	sqlite3_stmt *s = stmt_get(st, SQL_ACCOUNT_PASSWORD);
	if (!s)
		return STORE_ERROR;
	enum store_result rc = step_one(st, s, bind_text(s, 1, address), "check password");
	if (rc == STORE_OK) {
		const unsigned char *pw = sqlite3_column_text(s, 0);
		rc = pw && strcmp((const char *)pw, password) == 0 ? STORE_OK : STORE_REFUSED;
		stmt_done(s);
	}
	return rc == STORE_NOT_FOUND ? STORE_REFUSED : rc;
}

enum store_result store_folder_find(struct store *st, int64_t account, const char *name,
				    int64_t *folder_id)
{
	if (!st || !text_ok(st, N_("folder name"), name, true))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_FIND);
	if (!s)
		return STORE_ERROR;
	int bound = sqlite3_bind_int64(s, 1, account) | bind_text(s, 2, folder_name_norm(name));
	return step_int64(st, s, bound, "find folder", folder_id);
}

enum store_result store_folder_create(struct store *st, int64_t account, const char *name,
				      const char *special_use, int64_t *folder_id)
{
	if (!st || !text_ok(st, N_("folder name"), name, false))
		return STORE_ERROR;
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;
	return tx_end(st, folder_insert(st, account, name, special_use, folder_id));
}

enum store_result store_folder_get(struct store *st, int64_t folder_id, struct store_folder *out)
{
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_GET);
	if (!s)
		return STORE_ERROR;
	return step_read(st, s, sqlite3_bind_int64(s, 1, folder_id), "get folder", read_folder,
			 out);
}

enum store_result store_folder_count(struct store *st, int64_t folder_id, int64_t *count)
{
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_COUNT);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	return count_run(st, s, count, "count messages");
}

/* ------------------------------------------------------------------------
 * 3. Messages
 * ------------------------------------------------------------------------ */

void read_message(sqlite3_stmt *s, void *elem)
{
	struct store_message *m = elem;
	m->id = sqlite3_column_int64(s, 0);
	m->uid = (uint32_t)sqlite3_column_int64(s, 1);
	m->flags = (uint32_t)sqlite3_column_int64(s, 2);
	m->internaldate = sqlite3_column_int64(s, 3);
	m->size = sqlite3_column_int64(s, 4);
	m->content = NULL;
	m->content_len = 0;
	column_copy(s, 5, m->keywords, sizeof m->keywords); /* no memset of 256 bytes */
}

/* The UID a new message of the folder gets (its UIDNEXT), read inside the
 * caller's transaction: OK, or ERROR when there is no such folder or it has
 * used up its UIDs.  `what` names the work in an error. */
static enum store_result folder_next_uid(struct store *st, int64_t folder_id, const char *what,
					 int64_t *next)
{
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_UIDNEXT);
	if (!s)
		return STORE_ERROR;
	enum store_result rc = step_int64(st, s, sqlite3_bind_int64(s, 1, folder_id), what, next);
	if (rc == STORE_NOT_FOUND) {
		set_error(st, _("%s: no folder %lld"), what, (long long)folder_id);
		return STORE_ERROR;
	}
	if (rc != STORE_OK)
		return STORE_ERROR;
	if (*next < 1 || *next >= (int64_t)STORE_UID_MAX) {
		set_error(st, _("%s: folder %lld has used up its UIDs"), what, (long long)folder_id);
		return STORE_ERROR;
	}
	return STORE_OK;
}

/* The folder's UIDNEXT one up, after a message took it. */
static enum store_result folder_bump_uid(struct store *st, int64_t folder_id, const char *what)
{
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_BUMP_UIDNEXT);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	return stmt_run(st, s, what);
}

/* A new message in folder_id with the folder's next UID (*uid, if uid),
 * by the INSERT `insert`, whose other parameters bind() binds.  The UID is
 * read, used and bumped in one transaction, so no two messages can get the
 * same one, and a failed insert gives its UID back.  OK, NOT_FOUND when the
 * INSERT made no row (COPY of a message that is not there), ERROR. */
static enum store_result message_insert(struct store *st, int64_t folder_id,
					enum store_stmt insert, const char *what,
					int (*bind)(sqlite3_stmt *s, int64_t uid, const void *ctx),
					const void *ctx, uint32_t *uid)
{
	assert(st && bind);
	if (tx_begin(st) != STORE_OK)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
	sqlite3_stmt *s = NULL;
	int64_t next = 0;
	if (folder_next_uid(st, folder_id, what, &next) != STORE_OK)
		goto done;
	s = stmt_get(st, insert);
	if (!s)
		goto done;
	if (bind(s, next, ctx) != SQLITE_OK) {
		db_error(st, what);
		goto done;
	}
	if (stmt_run(st, s, what) != STORE_OK)
		goto done;
	if (sqlite3_changes(st->db) == 0) {
		rc = STORE_NOT_FOUND; /* nothing inserted, UIDNEXT untouched */
		goto done;
	}
	if (folder_bump_uid(st, folder_id, what) != STORE_OK)
		goto done;
	if (uid)
		*uid = (uint32_t)next;
	rc = STORE_OK;
done:
	stmt_done(s);
	return tx_end(st, rc);
}

/* What store_message_add() hands message_insert() to bind. */
struct message_new {
	int64_t folder_id;
	const char *content;
	size_t len;
	int64_t internaldate;
	uint32_t flags;
	const struct store_summary *sum;
};

static int bind_message_add(sqlite3_stmt *s, int64_t uid, const void *ctx)
{
	const struct message_new *m = ctx;
	return sqlite3_bind_int64(s, 1, m->folder_id) | sqlite3_bind_int64(s, 2, uid) |
	       sqlite3_bind_int64(s, 3, m->internaldate) |
	       sqlite3_bind_int64(s, 4, (int64_t)m->len) | sqlite3_bind_int64(s, 5, m->flags) |
	       bind_summary(s, 6, m->sum) | bind_blob(s, 11, m->content, m->len);
}

enum store_result store_message_add(struct store *st, int64_t folder_id, const char *content,
				    size_t len, int64_t internaldate, uint32_t flags,
				    const struct store_summary *sum, uint32_t *uid)
{
	if (!st || !content_ok(st, content, len) || !flags_ok(st, "add message", flags))
		return STORE_ERROR;
	const struct message_new m = { folder_id, content, len, internaldate, flags, sum };
	return message_insert(st, folder_id, SQL_MESSAGE_ADD, "add message", bind_message_add, &m,
			      uid);
}

enum store_result store_message_get(struct store *st, int64_t folder_id, uint32_t uid,
				    bool with_content, struct store_message *out)
{
	sqlite3_stmt *s = stmt_get(st, SQL_MESSAGE_GET);
	if (!s)
		return STORE_ERROR;
	int bound = sqlite3_bind_int64(s, 1, folder_id) | sqlite3_bind_int64(s, 2, uid);
	enum store_result rc = step_one(st, s, bound, "get message");
	if (rc == STORE_OK) {
		if (out) {
			memset(out, 0, sizeof *out);
			read_message(s, out);
			if (with_content)
				out->content = column_dup(s, 6, &out->content_len);
		}
		stmt_done(s);
	}
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
	static const struct row_reader message_row = { sizeof(struct store_message), read_message,
							      NULL };
	void *rows;
	enum store_result rc = list_rows(st, stmt_get(st, SQL_FOLDER_LIST), folder_id, "list folder",
					 &message_row, &rows, n);
	*out = rows;
	return rc;
}

enum store_result store_folder_count_above(struct store *st, int64_t folder_id, uint32_t uid,
					   int64_t *count)
{
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_COUNT_ABOVE);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	return count_run(st, s, count, "count messages above a UID");
}

enum store_result store_message_delete(struct store *st, int64_t folder_id, uint32_t uid)
{
	sqlite3_stmt *s = stmt_get(st, SQL_MESSAGE_DELETE);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	return change_run(st, s, "delete message");
}

/* ------------------------------------------------------------------------
 * 4. IMAP: folders, flags, copies (schema 2)
 * ------------------------------------------------------------------------ */

enum store_result store_folders(struct store *st, int64_t account, struct store_folder **out,
				size_t *n)
{
	static const struct row_reader folder_row = { sizeof(struct store_folder), read_folder,
						      NULL };
	void *rows;
	enum store_result rc = list_rows(st, stmt_get(st, SQL_FOLDERS), account, "list folders",
					 &folder_row, &rows, n);
	*out = rows;
	return rc;
}

enum store_result store_folder_stats(struct store *st, int64_t folder_id, uint32_t *messages,
				     uint32_t *unseen, uint32_t *recent)
{
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_STATS);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	/* An aggregate without GROUP BY always gives one row; count(f.id)
	 * would be 0 for a missing folder and for an empty one alike, so
	 * tell them apart by the folder id SQLite saw (NULL when none). */
	if (sqlite3_step(s) != SQLITE_ROW) {
		db_error(st, "folder stats");
		stmt_done(s);
		return STORE_ERROR;
	}
	enum store_result rc = sqlite3_column_type(s, 3) == SQLITE_NULL ? STORE_NOT_FOUND : STORE_OK;
	if (messages)
		*messages = (uint32_t)sqlite3_column_int64(s, 0); /* 0 when NOT_FOUND */
	if (unseen)
		*unseen = (uint32_t)sqlite3_column_int64(s, 1);
	if (recent)
		*recent = (uint32_t)sqlite3_column_int64(s, 2);
	stmt_done(s);
	return rc;
}

enum store_result store_folder_delete(struct store *st, int64_t folder_id)
{
	struct store_folder f;
	enum store_result found = store_folder_get(st, folder_id, &f); /* ERROR for no store */
	if (found != STORE_OK)
		return found;
	if (strcmp(f.name, "INBOX") == 0) {
		/* RFC 3501 6.3.4: "It is an error to attempt to delete INBOX". */
		set_error(st, _("delete folder: INBOX cannot be deleted"));
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
	if (!st || !text_ok(st, N_("folder name"), new_name, false))
		return STORE_ERROR;
	const char *name = folder_name_norm(new_name);
	struct store_folder f;
	enum store_result found = store_folder_get(st, folder_id, &f);
	if (found != STORE_OK)
		return found;
	if (strcmp(f.name, "INBOX") == 0) {
		/* RFC 3501 6.3.5: RENAME INBOX moves its messages to a new
		 * folder and leaves INBOX in place; that is the caller's. */
		set_error(st, _("rename folder: INBOX cannot be renamed (its messages can be moved)"));
		return STORE_REFUSED;
	}
	if (strcmp(f.name, name) == 0) {
		/* RFC 3501 6.3.5: renaming to a name that exists is an error,
		 * its own included. */
		set_error(st, _("folder \"%s\" already exists"), name);
		return STORE_EXISTS;
	}
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_RENAME);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	bind_text(s, 2, name);
	enum store_result rc = change_run(st, s, "rename folder");
	if (rc == STORE_EXISTS)
		set_error(st, _("folder \"%s\" already exists"), name);
	return rc;
}

enum store_result store_folder_recent_uid(struct store *st, int64_t folder_id, uint32_t *uid)
{
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_RECENT_UID);
	if (!s)
		return STORE_ERROR;
	int64_t v = 0;
	enum store_result rc = step_int64(st, s, sqlite3_bind_int64(s, 1, folder_id),
					  "read recent UID", &v);
	if (rc == STORE_OK && uid)
		*uid = (uint32_t)v;
	return rc;
}

enum store_result store_folder_set_recent_uid(struct store *st, int64_t folder_id, uint32_t uid)
{
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_SET_RECENT_UID);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	return change_run(st, s, "set recent UID");
}

enum store_result store_orphan_subscription_set(struct store *st, int64_t account, const char *name, bool on)
{
	if (!st || !text_ok(st, N_("subscribed name"), name, false))
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

enum store_result store_orphan_subscriptions(struct store *st, int64_t account, char ***out, size_t *n)
{
	return list_strings(st, stmt_get(st, SQL_ORPHAN_SUBSCRIPTIONS), account,
			    "list subscriptions", out, n);
}

enum store_result store_folder_subscribe(struct store *st, int64_t folder_id, bool on)
{
	sqlite3_stmt *s = stmt_get(st, SQL_FOLDER_SUBSCRIBE);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int(s, 2, on ? 1 : 0);
	return change_run(st, s, "subscribe folder");
}

enum store_result store_message_set_flags(struct store *st, int64_t folder_id, uint32_t uid,
					  uint32_t flags, const char *keywords)
{
	if (!st || !flags_ok(st, "set flags", flags) ||
	    (keywords && !text_ok(st, N_("keywords"), keywords, true)))
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
	return step_int64(st, s, SQLITE_OK, "set flags", NULL);
}

/* What store_message_copy() hands message_insert() to bind. */
struct message_copied {
	int64_t from_folder, to_folder;
	uint32_t uid;
};

static int bind_message_copy(sqlite3_stmt *s, int64_t uid, const void *ctx)
{
	const struct message_copied *c = ctx;
	return sqlite3_bind_int64(s, 1, c->from_folder) | sqlite3_bind_int64(s, 2, c->uid) |
	       sqlite3_bind_int64(s, 3, c->to_folder) | sqlite3_bind_int64(s, 4, uid);
}

enum store_result store_message_copy(struct store *st, int64_t from_folder, uint32_t uid,
				     int64_t to_folder, uint32_t *new_uid)
{
	if (!st)
		return STORE_ERROR;
	const struct message_copied c = { from_folder, to_folder, uid };
	return message_insert(st, to_folder, SQL_MESSAGE_COPY, "copy message", bind_message_copy,
			      &c, new_uid);
}
