/*
 * store_device.c - the user agents' side of the store: devices (a laptop,
 * a phone) and the mail each keeps of its own.
 *
 * Part of the store's family (store.c names them all; store_int.h holds
 * what they share).  Read it top to bottom:
 *
 *   1. the SQL this file runs, one table;
 *   2. devices and their messages: what POP3 downloaded (known by its
 *      UIDL, RFC 1939 7) and what IMAP cached (known by its UID);
 *   3. a device's view of each server folder (IMAP): the UIDVALIDITY its
 *      cached UIDs belong to, and the cache itself.
 *
 * A POP3 download is the user's only copy once the server deleted it, so
 * nothing here that clears an IMAP cache touches one.
 */
#include "store_int.h"

#include <assert.h>
#include <stdlib.h>

/* ------------------------------------------------------------------------
 * 1. The SQL
 * ------------------------------------------------------------------------ */

static const char *const device_sql[SQL_NSTMTS] = {
	[SQL_DEVICE_ADD] = "INSERT INTO devices (name, owner) VALUES (?1, ?2)",
	[SQL_DEVICE_FIND] = "SELECT id FROM devices WHERE name = ?1",
	[SQL_DEVICE_MESSAGE_ADD] =
		"INSERT INTO device_messages (device_id, folder, uid, uidl, flags, size, from_hdr,"
		" to_hdr, subject, date_hdr, message_id, content)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[SQL_DEVICE_COUNT] = "SELECT count(*) FROM device_messages WHERE device_id = ?1",
	[SQL_DEVICE_UIDLS] =
		"SELECT uidl FROM device_messages WHERE device_id = ?1 AND uidl IS NOT NULL"
		" ORDER BY id",

	/* IMAP (schema 2) */
	[SQL_DEVICE_FOLDER_SET] =
		"INSERT INTO device_folders (device_id, name, special_use, uidvalidity)"
		" VALUES (?1, ?2, ?3, ?4) ON CONFLICT (device_id, name) DO UPDATE"
		" SET special_use = excluded.special_use, uidvalidity = excluded.uidvalidity",
	[SQL_DEVICE_FOLDER_UIDVALIDITY] =
		"SELECT uidvalidity FROM device_folders WHERE device_id = ?1 AND name = ?2",
	/* The columns read_message() reads: a device keeps no internaldate
	 * and no keywords. */
	[SQL_DEVICE_FOLDER_LIST] =
		"SELECT id, uid, flags, 0, size, '' FROM device_messages"
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
};

static sqlite3_stmt *stmt_get(struct store *st, enum store_stmt id)
{
	return stmt_prepare(st, id, device_sql[id]);
}

/* ------------------------------------------------------------------------
 * 2. Devices and their messages
 * ------------------------------------------------------------------------ */

enum store_result store_device_add(struct store *st, const char *name, const char *owner,
				   int64_t *id)
{
	if (!st || !text_ok(st, N_("device name"), name, false) ||
	    (owner && !text_ok(st, N_("device owner"), owner, true)))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_ADD);
	if (!s)
		return STORE_ERROR;
	bind_text(s, 1, name);
	bind_text(s, 2, owner);
	enum store_result rc = change_run(st, s, "add device");
	if (rc == STORE_EXISTS)
		set_error(st, _("device %s already exists"), name);
	if (rc == STORE_OK && id)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

enum store_result store_device_find(struct store *st, const char *name, int64_t *id)
{
	if (!st || !text_ok(st, N_("device name"), name, true))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_FIND);
	if (!s)
		return STORE_ERROR;
	return step_int64(st, s, bind_text(s, 1, name), "find device", id);
}

/* Run an INSERT that names the device (?1), whose parameters are bound, in
 * its own transaction or the caller's: a device that does not exist is
 * "what: no device N". */
static enum store_result device_insert_run(struct store *st, sqlite3_stmt *s, int bound,
					   int64_t device, const char *what)
{
	if (tx_begin(st) != STORE_OK) {
		stmt_done(s);
		return STORE_ERROR;
	}
	int code = write_step(st, s, bound, what);
	if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
		set_error(st, _("%s: no device %lld"), what, (long long)device);
	return tx_end(st, code == SQLITE_DONE ? STORE_OK : STORE_ERROR);
}

enum store_result store_device_message_add(struct store *st, int64_t device, const char *folder,
					   const char *content, size_t len,
					   const struct store_summary *sum, const char *uidl,
					   uint32_t uid, uint32_t flags)
{
	if (!st || !text_ok(st, N_("device folder"), folder, false) ||
	    !content_ok(st, content, len) ||
	    !flags_ok(st, "device message", flags))
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_MESSAGE_ADD);
	if (!s)
		return STORE_ERROR;
	int bound = sqlite3_bind_int64(s, 1, device) | bind_text(s, 2, folder) |
		    (uid ? sqlite3_bind_int64(s, 3, uid) : sqlite3_bind_null(s, 3)) |
		    bind_text(s, 4, uidl) | sqlite3_bind_int64(s, 5, flags) |
		    sqlite3_bind_int64(s, 6, (int64_t)len) | bind_summary(s, 7, sum) |
		    bind_blob(s, 12, content, len);
	return device_insert_run(st, s, bound, device, "device message");
}

enum store_result store_device_count(struct store *st, int64_t device, int64_t *count)
{
	sqlite3_stmt *s = stmt_get(st, SQL_DEVICE_COUNT);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, device);
	return count_run(st, s, count, "count device messages");
}

enum store_result store_device_uidls(struct store *st, int64_t device, char ***out, size_t *n)
{
	return list_strings(st, stmt_get(st, SQL_DEVICE_UIDLS), device, "device uidls", out, n);
}

/* ------------------------------------------------------------------------
 * 3. A device's server folders (IMAP)
 * ------------------------------------------------------------------------ */

/* The statement `id` about one folder of a device, with (device, folder)
 * bound as ?1 and ?2: NULL (error set) for no store, a folder name that is
 * missing or too long, or a statement that does not prepare or bind. */
static sqlite3_stmt *device_folder_stmt(struct store *st, enum store_stmt id, int64_t device,
					const char *folder)
{
	if (!st || !text_ok(st, N_("device folder"), folder, true))
		return NULL;
	sqlite3_stmt *s = stmt_get(st, id);
	if (s && (sqlite3_bind_int64(s, 1, device) | bind_text(s, 2, folder)) != SQLITE_OK) {
		db_error(st, "device folder");
		stmt_done(s);
		return NULL;
	}
	return s;
}

enum store_result store_device_folder_set(struct store *st, int64_t device, const char *name,
					  const char *special_use, uint32_t uidvalidity)
{
	if (!st || !text_ok(st, N_("device folder"), name, false) ||
	    (special_use && !text_ok(st, N_("special use"), special_use, true)))
		return STORE_ERROR;
	sqlite3_stmt *s = device_folder_stmt(st, SQL_DEVICE_FOLDER_SET, device, name);
	if (!s)
		return STORE_ERROR;
	int bound = bind_text(s, 3, special_use && *special_use ? special_use : NULL) |
		    sqlite3_bind_int64(s, 4, uidvalidity);
	return device_insert_run(st, s, bound, device, "device folder");
}

enum store_result store_device_folder_uidvalidity(struct store *st, int64_t device,
						  const char *name, uint32_t *uidvalidity)
{
	sqlite3_stmt *s = device_folder_stmt(st, SQL_DEVICE_FOLDER_UIDVALIDITY, device, name);
	if (!s)
		return STORE_ERROR;
	int64_t v = 0;
	enum store_result rc = step_int64(st, s, SQLITE_OK, "device folder uidvalidity", &v);
	if (rc == STORE_OK && uidvalidity)
		*uidvalidity = (uint32_t)v;
	return rc;
}

enum store_result store_device_folder_list(struct store *st, int64_t device, const char *folder,
					   struct store_message **out, size_t *n)
{
	static const struct row_reader message_row = { sizeof(struct store_message), read_message,
						       NULL };
	assert(out && n);
	*out = NULL;
	*n = 0;
	sqlite3_stmt *s = device_folder_stmt(st, SQL_DEVICE_FOLDER_LIST, device, folder);
	if (!s)
		return STORE_ERROR;
	void *rows;
	enum store_result rc = step_rows(st, s, SQLITE_OK, "list device folder", &message_row,
					 &rows, n);
	*out = rows;
	return rc;
}

enum store_result store_device_message_set_flags(struct store *st, int64_t device,
						 const char *folder, uint32_t uid, uint32_t flags)
{
	if (!st || !text_ok(st, N_("device folder"), folder, true) ||
	    !flags_ok(st, "device set flags", flags))
		return STORE_ERROR;
	sqlite3_stmt *s = device_folder_stmt(st, SQL_DEVICE_MESSAGE_SET_FLAGS, device, folder);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 3, uid);
	sqlite3_bind_int64(s, 4, flags);
	return change_run(st, s, "device set flags");
}

enum store_result store_device_message_delete(struct store *st, int64_t device, const char *folder,
					      uint32_t uid)
{
	sqlite3_stmt *s = device_folder_stmt(st, SQL_DEVICE_MESSAGE_DELETE, device, folder);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 3, uid);
	return change_run(st, s, "device delete message");
}

enum store_result store_device_folder_clear(struct store *st, int64_t device, const char *folder)
{
	sqlite3_stmt *s = device_folder_stmt(st, SQL_DEVICE_FOLDER_CLEAR, device, folder);
	if (!s)
		return STORE_ERROR;
	enum store_result rc = change_run(st, s, "clear device folder");
	return rc == STORE_NOT_FOUND ? STORE_OK : rc; /* an empty cache is cleared too */
}

enum store_result store_device_folder_count(struct store *st, int64_t device, const char *folder,
					    int64_t *count)
{
	sqlite3_stmt *s = device_folder_stmt(st, SQL_DEVICE_FOLDER_COUNT, device, folder);
	if (!s)
		return STORE_ERROR;
	return count_run(st, s, count, "count device folder");
}
