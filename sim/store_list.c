/*
 * store_list.c - the store read as a whole: the searches a scenario's
 * checks make, and the listings of the views and of mailsim inspect.
 *
 * Part of the store's family (store.c names them all; store_int.h holds
 * what they share).  Read it top to bottom:
 *
 *   1. the SQL this file runs, one table;
 *   2. searches: is there a message like this in a server folder or on a
 *      device (expect ... has ...);
 *   3. listings: every account, device and server, and the messages of a
 *      folder or a device as a person knows them (struct store_listed).
 *
 * Nothing here changes the store, so all of it works on a store opened
 * with store_open_readonly().  A listing comes in an order that does not
 * depend on how the rows were written, so the same scenario gives the same
 * listing.
 */
#include "store_int.h"

#include "mime.h"

#include <stdlib.h>

/* ------------------------------------------------------------------------
 * 1. The SQL
 * ------------------------------------------------------------------------ */

static const char *const list_sql[SQL_NSTMTS] = {
	/* instr(lower(..)) rather than LIKE: an address may hold '_' or '%',
	 * which LIKE would take for wildcards. */
	[SQL_FOLDER_HAS] =
		"SELECT 1 FROM messages WHERE folder_id = ?1"
		" AND (?2 IS NULL OR instr(lower(from_hdr), lower(?2)) > 0)"
		" AND (?3 IS NULL OR instr(lower(to_hdr), lower(?3)) > 0)"
		" AND (?4 IS NULL OR subject = ?4)"
		" AND (flags & ?5) = ?5"
		" AND (?6 IS NULL OR instr(' ' || lower(keywords) || ' ', ' ' || lower(?6) || ' ') > 0)"
		" AND (?7 = 0 OR instr(content, CAST(' with ESMTPA id ' AS BLOB)) > 0"
		"      OR instr(content, CAST(' with ESMTPSA id ' AS BLOB)) > 0)"
		" AND (?8 = 0 OR uid = ?8)"
		" LIMIT 1",
	[SQL_DEVICE_HAS] =
		"SELECT 1 FROM device_messages WHERE device_id = ?1 AND folder = ?2"
		" AND (?3 IS NULL OR instr(lower(from_hdr), lower(?3)) > 0)"
		" AND (?4 IS NULL OR instr(lower(to_hdr), lower(?4)) > 0)"
		" AND (?5 IS NULL OR subject = ?5)"
		" AND (flags & ?6) = ?6"
		" LIMIT 1",

	/* Every ORDER BY ends in a unique key, so the order never depends on
	 * how rows were stored; address sorts NOCASE, as its column is
	 * declared.  SQL_ACCOUNTS gives the columns read_account() reads. */
	[SQL_ACCOUNTS] = "SELECT id, address, name, server FROM accounts ORDER BY server, address, id",
	[SQL_DEVICES] = "SELECT id, name, owner FROM devices ORDER BY name",
	[SQL_SERVERS] = "SELECT server FROM accounts UNION SELECT server FROM queue ORDER BY 1",
	/* Both listings give the columns read_listed() reads. */
	[SQL_FOLDER_LISTING] =
		"SELECT NULL, uid, NULL, flags, size, from_hdr, subject,"
		" substr(content, 1, " STORE_LISTED_HEAD ") FROM messages"
		" WHERE folder_id = ?1 ORDER BY uid",
	/* uid is NULL for a POP3 download, and NULL sorts first. */
	[SQL_DEVICE_LISTING] =
		"SELECT folder, uid, uidl, flags, size, from_hdr, subject,"
		" substr(content, 1, " STORE_LISTED_HEAD ") FROM device_messages"
		" WHERE device_id = ?1 ORDER BY folder <> 'INBOX', folder, uid, id",
};

static sqlite3_stmt *stmt_get(struct store *st, enum store_stmt id)
{
	return stmt_prepare(st, id, list_sql[id]);
}

/* ------------------------------------------------------------------------
 * 2. Searches
 * ------------------------------------------------------------------------ */

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
		    sqlite3_bind_int64(s, 5, m->flags) | bind_text(s, 6, m->keyword) |
		    sqlite3_bind_int(s, 7, m->submitted) | sqlite3_bind_int64(s, 8, m->uid);
	return step_int64(st, s, bound, "search folder", NULL);
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
	return step_int64(st, s, bound, "search device", NULL);
}

/* ------------------------------------------------------------------------
 * 3. Listings
 * ------------------------------------------------------------------------ */

static void read_device(sqlite3_stmt *s, void *elem)
{
	struct store_device *d = elem;
	d->id = sqlite3_column_int64(s, 0);
	column_copy(s, 1, d->name, sizeof d->name);
	column_copy(s, 2, d->owner, sizeof d->owner);
}

/* "spf=pass dkim=fail dmarc=fail": the method=result words of the first
 * Authentication-Results: field (RFC 8601 2.2) among the first bytes of a
 * message (a verifying server puts it on top), or NULL if there is none. */
static char *listed_auth(const char *head, size_t len)
{
	struct buf v, out;
	buf_init(&v);
	buf_init(&out);
	if (head && mime_header_get(head, len, "Authentication-Results", &v) && v.p) {
		const char *p = strchr(v.p, ';'); /* past the authserv-id */
		while (p) {
			p++;
			p += strspn(p, " \t\r\n");
			size_t word = strcspn(p, " \t\r\n;(");
			if (word && memchr(p, '=', word))
				buf_printf(&out, "%s%.*s", out.len ? " " : "", (int)word, p);
			p = strchr(p, ';');
		}
	}
	buf_free(&v);
	return out.p; /* NULL when nothing was added */
}

/* A row of SQL_FOLDER_LISTING or SQL_DEVICE_LISTING: folder, uid, uidl,
 * flags, size, from_hdr, subject, the first bytes of the content. */
static void read_listed(sqlite3_stmt *s, void *elem)
{
	struct store_listed *m = elem;
	m->folder = column_strdup_or_null(s, 0);
	m->uid = (uint32_t)sqlite3_column_int64(s, 1); /* NULL reads 0 */
	m->uidl = column_strdup_or_null(s, 2);
	m->flags = (uint32_t)sqlite3_column_int64(s, 3);
	m->size = sqlite3_column_int64(s, 4);
	m->from = column_strdup_or_null(s, 5);
	m->subject = column_strdup_or_null(s, 6);
	m->auth = listed_auth((const char *)sqlite3_column_blob(s, 7),
			      (size_t)sqlite3_column_bytes(s, 7));
}

static void drop_listed(void *elem)
{
	struct store_listed *m = elem;
	free(m->folder);
	free(m->uidl);
	free(m->from);
	free(m->subject);
	free(m->auth);
}

enum store_result store_accounts(struct store *st, struct store_account **out, size_t *n)
{
	static const struct row_reader account_row = { sizeof(struct store_account), read_account,
						       NULL };
	void *rows;
	enum store_result rc = list_rows(st, stmt_get(st, SQL_ACCOUNTS), 0, "list accounts",
					 &account_row, &rows, n);
	*out = rows;
	return rc;
}

enum store_result store_devices(struct store *st, struct store_device **out, size_t *n)
{
	static const struct row_reader device_row = { sizeof(struct store_device), read_device,
						      NULL };
	void *rows;
	enum store_result rc = list_rows(st, stmt_get(st, SQL_DEVICES), 0, "list devices",
					 &device_row, &rows, n);
	*out = rows;
	return rc;
}

enum store_result store_servers(struct store *st, char ***out, size_t *n)
{
	return list_strings(st, stmt_get(st, SQL_SERVERS), 0, "list servers", out, n);
}

static const struct row_reader listed_row = { sizeof(struct store_listed), read_listed,
					      drop_listed };

enum store_result store_folder_listing(struct store *st, int64_t folder_id,
				       struct store_listed **out, size_t *n)
{
	void *rows;
	enum store_result rc = list_rows(st, stmt_get(st, SQL_FOLDER_LISTING), folder_id,
					 "list folder", &listed_row, &rows, n);
	*out = rows;
	return rc;
}

enum store_result store_device_listing(struct store *st, int64_t device, struct store_listed **out,
				       size_t *n)
{
	void *rows;
	enum store_result rc = list_rows(st, stmt_get(st, SQL_DEVICE_LISTING), device,
					 "list device", &listed_row, &rows, n);
	*out = rows;
	return rc;
}

void store_listed_free(struct store_listed *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		drop_listed(&v[i]);
	free(v);
}
