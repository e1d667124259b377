/*
 * store_queue.c - the relay queue in the store, and the counters that
 * number its entries (and the Message-IDs a server writes).
 *
 * Part of the store's family (store.c names them all; store_int.h holds
 * what they share).  Read it top to bottom:
 *
 *   1. the SQL this file runs, one table;
 *   2. the relay queue: an entry is one message with its sender and the
 *      recipients still waiting; the mail server (sim/mailserver.c)
 *      removes a recipient once it is delivered or bounced, reschedules
 *      the entry after a temporary failure, and deletes it when every
 *      recipient is settled;
 *   3. counters: numbers that never repeat, not even after a restart.
 *
 * The queue is in the store, so it survives a server going down: RFC 5321
 * 6.1, a server that accepted mail "MUST NOT lose the message for
 * frivolous reasons, such as because the host later crashes".
 */
#include "store_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * 1. The SQL
 * ------------------------------------------------------------------------ */

static const char *const queue_sql[SQL_NSTMTS] = {
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
	[SQL_QUEUE_LIST] =
		"SELECT id, next_try_us FROM queue WHERE server = ?1 ORDER BY next_try_us, id",
	[SQL_QUEUE_COUNT_ALL] = "SELECT count(*) FROM queue",
	[SQL_QUEUE_COUNT_SERVER] = "SELECT count(*) FROM queue WHERE server = ?1",

	/* An UPSERT (SQLite 3.24) rather than RETURNING (3.35): the value is
	 * read back with a second statement in the same transaction. */
	[SQL_COUNTER_BUMP] =
		"INSERT INTO counters (name, value) VALUES (?1, 1)"
		" ON CONFLICT (name) DO UPDATE SET value = value + 1",
	[SQL_COUNTER_GET] = "SELECT value FROM counters WHERE name = ?1",
};

static sqlite3_stmt *stmt_get(struct store *st, enum store_stmt id)
{
	return stmt_prepare(st, id, queue_sql[id]);
}

/* ------------------------------------------------------------------------
 * 2. The relay queue
 * ------------------------------------------------------------------------ */

enum store_result store_queue_add(struct store *st, const char *server, const char *domain,
				  const char *mail_from, const char *const *rcpts, size_t nrcpts,
				  const char *content, size_t len, int64_t arrival,
				  int64_t next_try_us, int64_t *id)
{
	if (!st || !text_ok(st, N_("server"), server, false) ||
	    !text_ok(st, N_("domain"), domain, false) ||
	    !text_ok(st, N_("mail from"), mail_from, true) || !content_ok(st, content, len))
		return STORE_ERROR;
	if (nrcpts == 0 || !rcpts) {
		set_error(st, _("queue: an entry needs at least one recipient"));
		return STORE_ERROR;
	}
	for (size_t i = 0; i < nrcpts; i++)
		if (!text_ok(st, N_("recipient"), rcpts[i], false))
			return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_QUEUE_ADD);
	if (!s || tx_begin(st) != STORE_OK)
		return STORE_ERROR;

	enum store_result rc = STORE_ERROR;
	int bound = bind_text(s, 1, server) | bind_text(s, 2, domain) | bind_text(s, 3, mail_from) |
		    bind_blob(s, 4, content, len) | sqlite3_bind_int64(s, 5, arrival) |
		    sqlite3_bind_int64(s, 6, next_try_us);
	if (write_step(st, s, bound, "queue") != SQLITE_DONE)
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
	if (id)
		*id = entry;
	rc = STORE_OK;
done:
	return tx_end(st, rc);
}

enum store_result store_queue_get(struct store *st, int64_t id, struct store_queue_entry *out)
{
	if (!st || !out) {
		if (st)
			set_error(st, _("queue get: nowhere to put the entry"));
		return STORE_ERROR;
	}
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = stmt_get(st, SQL_QUEUE_GET);
	if (!s)
		return STORE_ERROR;
	enum store_result rc = step_one(st, s, sqlite3_bind_int64(s, 1, id), "queue get");
	if (rc != STORE_OK)
		return rc;
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

	rc = list_strings(st, stmt_get(st, SQL_QUEUE_RCPTS), id, "queue get recipients",
			  &out->rcpts, &out->nrcpts);
	if (rc != STORE_OK)
		store_queue_entry_free(out);
	return rc;
}

void store_queue_entry_free(struct store_queue_entry *e)
{
	if (!e)
		return;
	store_strings_free(e->rcpts, e->nrcpts);
	free(e->server);
	free(e->domain);
	free(e->mail_from);
	free(e->content);
	free(e->last_reply);
	memset(e, 0, sizeof *e);
}

enum store_result store_queue_remove_rcpt(struct store *st, int64_t id, const char *rcpt)
{
	if (!st || !text_ok(st, N_("recipient"), rcpt, false))
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
		set_error(st, _("queue reschedule: negative attempts %d"), attempts);
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
	sqlite3_stmt *s = stmt_get(st, SQL_QUEUE_DELETE);
	if (!s)
		return STORE_ERROR;
	sqlite3_bind_int64(s, 1, id);
	return change_run(st, s, "queue delete");
}

/* A row of SQL_QUEUE_LIST, before store_queue_list() splits the rows into
 * the caller's two arrays. */
struct queue_slot {
	int64_t id;
	int64_t next_try_us;
};

static void read_queue_slot(sqlite3_stmt *s, void *elem)
{
	struct queue_slot *q = elem;
	q->id = sqlite3_column_int64(s, 0);
	q->next_try_us = sqlite3_column_int64(s, 1);
}

enum store_result store_queue_list(struct store *st, const char *server, int64_t **ids,
				   int64_t **next_try_us, size_t *n)
{
	static const struct row_reader slot_row = { sizeof(struct queue_slot), read_queue_slot,
						    NULL };
	assert(ids && next_try_us && n);
	*ids = NULL;
	*next_try_us = NULL;
	*n = 0;
	if (!st || !server)
		return STORE_ERROR;
	sqlite3_stmt *s = stmt_get(st, SQL_QUEUE_LIST);
	if (!s)
		return STORE_ERROR;
	void *rows;
	enum store_result rc = step_rows(st, s, bind_text(s, 1, server), "list queue", &slot_row,
					 &rows, n);
	const struct queue_slot *slot = rows;
	if (*n > 0) {
		*ids = xmalloc(*n * sizeof **ids);
		*next_try_us = xmalloc(*n * sizeof **next_try_us);
		for (size_t i = 0; i < *n; i++) {
			(*ids)[i] = slot[i].id;
			(*next_try_us)[i] = slot[i].next_try_us;
		}
	}
	free(rows);
	return rc;
}

enum store_result store_queue_count(struct store *st, const char *server, int64_t *count)
{
	sqlite3_stmt *s = stmt_get(st, server ? SQL_QUEUE_COUNT_SERVER : SQL_QUEUE_COUNT_ALL);
	if (!s)
		return STORE_ERROR;
	if (server)
		bind_text(s, 1, server);
	return count_run(st, s, count, "queue count");
}

/* ------------------------------------------------------------------------
 * 3. Counters
 * ------------------------------------------------------------------------ */

enum store_result store_counter_next(struct store *st, const char *name, uint64_t *value)
{
	if (!st || !text_ok(st, N_("counter name"), name, false))
		return STORE_ERROR;
	if (!value) {
		set_error(st, _("counter: nowhere to put the value"));
		return STORE_ERROR;
	}
	sqlite3_stmt *s = stmt_get(st, SQL_COUNTER_BUMP);
	if (!s || tx_begin(st) != STORE_OK)
		return STORE_ERROR;
	enum store_result rc = STORE_ERROR;
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
