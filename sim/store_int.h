/*
 * store_int.h - the inside of the store, shared by its family of files and
 * by nobody else (everyone else includes store.h).
 *
 *   store.c         the schema and its upgrades, opening and closing,
 *                   errors, transactions, and the helpers declared here
 *   store_mail.c    accounts, folders, messages, flags, keywords, UIDs
 *   store_queue.c   the relay queue, and the counters that number it
 *   store_device.c  devices and what they hold (POP3 UIDLs, IMAP caches)
 *   store_list.c    the listings and searches of views, inspect and checks
 *
 * Read it in this order: struct store, then the statements (each file
 * keeps the SQL it runs beside the code that runs it), then the helpers,
 * in the order a public function uses them: check the arguments, get a
 * statement, bind, step it (a write inside tx_begin() and tx_end(), which
 * change_run() does for the common case of one statement).
 */
#ifndef MAILSIM_STORE_INT_H
#define MAILSIM_STORE_INT_H

#include "store.h"

#include "buf.h"
#include "i18n.h"

#include <sqlite3.h>

/* Longest text that fits the fixed fields of struct store_account. */
#define STORE_TEXT_MAX 255

/*
 * Every statement the store runs, by the file that holds its SQL.  Each
 * file has a table `static const char *const ..._sql[SQL_NSTMTS]` with the
 * texts of its own statements (designated initializers, the rest NULL) and
 * a static stmt_get() that hands stmt_prepare() the text from that table.
 */
enum store_stmt {
	/* store.c */
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_ROLLBACK,
	/* store_mail.c */
	SQL_ACCOUNT_ADD,
	SQL_ACCOUNT_FIND,
	SQL_ACCOUNT_PASSWORD,
	SQL_FOLDER_ADD,
	SQL_FOLDER_FIND,
	SQL_FOLDER_GET,
	SQL_FOLDERS,
	SQL_FOLDER_COUNT,
	SQL_FOLDER_COUNT_ABOVE,
	SQL_FOLDER_STATS,
	SQL_FOLDER_DELETE,
	SQL_FOLDER_RENAME,
	SQL_FOLDER_SUBSCRIBE,
	SQL_FOLDER_UIDNEXT,
	SQL_FOLDER_BUMP_UIDNEXT,
	SQL_FOLDER_RECENT_UID,
	SQL_FOLDER_SET_RECENT_UID,
	SQL_ORPHAN_SUBSCRIPTION_ADD,
	SQL_ORPHAN_SUBSCRIPTION_DELETE,
	SQL_ORPHAN_SUBSCRIPTIONS,
	SQL_MESSAGE_ADD,
	SQL_MESSAGE_GET,
	SQL_FOLDER_LIST,
	SQL_MESSAGE_DELETE,
	SQL_MESSAGE_SET_FLAGS,
	SQL_MESSAGE_SET_FLAGS_ONLY,
	SQL_MESSAGE_EXISTS,
	SQL_MESSAGE_COPY,
	/* store_queue.c */
	SQL_QUEUE_ADD,
	SQL_QUEUE_RCPT_ADD,
	SQL_QUEUE_GET,
	SQL_QUEUE_RCPTS,
	SQL_QUEUE_RCPT_DEL,
	SQL_QUEUE_RESCHEDULE,
	SQL_QUEUE_DELETE,
	SQL_QUEUE_LIST,
	SQL_QUEUE_COUNT_ALL,
	SQL_QUEUE_COUNT_SERVER,
	SQL_COUNTER_BUMP,
	SQL_COUNTER_GET,
	/* store_device.c */
	SQL_DEVICE_ADD,
	SQL_DEVICE_FIND,
	SQL_DEVICE_MESSAGE_ADD,
	SQL_DEVICE_COUNT,
	SQL_DEVICE_UIDLS,
	SQL_DEVICE_FOLDER_SET,
	SQL_DEVICE_FOLDER_UIDVALIDITY,
	SQL_DEVICE_FOLDER_LIST,
	SQL_DEVICE_MESSAGE_SET_FLAGS,
	SQL_DEVICE_MESSAGE_DELETE,
	SQL_DEVICE_FOLDER_CLEAR,
	SQL_DEVICE_FOLDER_COUNT,
	/* store_list.c */
	SQL_FOLDER_HAS,
	SQL_DEVICE_HAS,
	SQL_ACCOUNTS,
	SQL_DEVICES,
	SQL_SERVERS,
	SQL_FOLDER_LISTING,
	SQL_DEVICE_LISTING,
	SQL_NSTMTS
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

/* --- errors (store.c) */

/* Set store_error()'s text. */
void set_error(struct store *st, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* "what: sqlite's own words".  Call it right after the failing call, before
 * anything else touches the connection and replaces the message. */
void db_error(struct store *st, const char *what);

/* --- argument checks, made before a transaction is touched; false (error
 * set) for a bad argument */

/* Text present, not longer than STORE_TEXT_MAX, and not empty unless
 * may_be_empty. */
bool text_ok(struct store *st, const char *what, const char *s, bool may_be_empty);
/* Message bytes: NULL only for none. */
bool content_ok(struct store *st, const char *content, size_t len);
/* Flag bits: STORE_FLAG_* only. */
bool flags_ok(struct store *st, const char *what, uint32_t flags);

/* --- transactions: each public change is tx_begin(), the work, then
 * tx_end(st, rc) with the work's result.  STORE_ERROR rolls back; any other
 * result commits (an answer such as STORE_NOT_FOUND changed nothing, and
 * must not undo the caller's transaction) and is returned if the commit
 * succeeds.  The nesting rule is written out at store_begin() in store.c. */
enum store_result tx_begin(struct store *st);
enum store_result tx_end(struct store *st, enum store_result rc);

/* --- statements */

/* The statement `id`, prepared from `sql` on its first use and kept;
 * NULL (error set) if it does not prepare, and NULL for a NULL store. */
sqlite3_stmt *stmt_prepare(struct store *st, enum store_stmt id, const char *sql);
/* Ready a statement for its next use (NULL is allowed). */
void stmt_done(sqlite3_stmt *s);

/* Binding.  Text and bytes are the caller's (SQLITE_STATIC): stmt_done()
 * forgets them before the caller gets control back.  A NULL text binds
 * NULL; a NULL summary binds five NULLs to ?first .. ?first+4. */
int bind_text(sqlite3_stmt *s, int i, const char *text);
int bind_blob(sqlite3_stmt *s, int i, const char *p, size_t len);
int bind_summary(sqlite3_stmt *s, int first, const struct store_summary *sum);

/* Reading the current row.  column_dup: a malloc'd, NUL-terminated copy of
 * a BLOB or TEXT column (len may be NULL); column_strdup_or_null: the same,
 * NULL for SQL NULL; column_copy: into a fixed buffer ("" for NULL, cut to
 * fit). */
char *column_dup(sqlite3_stmt *s, int col, size_t *len);
char *column_strdup_or_null(sqlite3_stmt *s, int col);
void column_copy(sqlite3_stmt *s, int col, char *dst, size_t dstlen);

/*
 * Stepping a statement whose parameters are bound.  Each of these leaves
 * the statement done (stmt_done()) when it returns, except step_one() on
 * STORE_OK, which leaves the row to be read.  `what` names the work in the
 * error ("what: sqlite's words").  Those that take `bound`, what the bind
 * calls returned ORed together, report a failed bind as the error.
 */

/* A statement that writes (INSERT, UPDATE, DELETE): SQLITE_DONE if it went
 * through, or else SQLite's extended error code, the error set to "what:
 * sqlite's words" for the caller to replace when it can say better, as
 * for SQLITE_CONSTRAINT_UNIQUE (that name exists already) and
 * SQLITE_CONSTRAINT_FOREIGNKEY (what it belongs to does not exist).  A
 * failed bind is returned as it is, the statement not run. */
int write_step(struct store *st, sqlite3_stmt *s, int bound, const char *what);
/* A statement that returns no rows: OK, or ERROR. */
enum store_result stmt_run(struct store *st, sqlite3_stmt *s, const char *what);
/* An INSERT, UPDATE or DELETE, in its own transaction or the caller's: OK
 * if it touched a row, NOT_FOUND if none matched, EXISTS if it would break
 * a UNIQUE constraint (the error "what: sqlite's words", for the caller to
 * say better: which name), ERROR. */
enum store_result change_run(struct store *st, sqlite3_stmt *s, const char *what);
/* A "SELECT count(*) ...": OK with *count (count may be NULL), or ERROR. */
enum store_result count_run(struct store *st, sqlite3_stmt *s, int64_t *count,
			    const char *what);
/* The first row: OK (it is there to read; stmt_done() after), NOT_FOUND
 * (no row), ERROR. */
enum store_result step_one(struct store *st, sqlite3_stmt *s, int bound, const char *what);
/* The first row, read by read() into *out (unless out is NULL), the
 * statement done: OK, NOT_FOUND (no row), ERROR. */
enum store_result step_read(struct store *st, sqlite3_stmt *s, int bound, const char *what,
			    void (*read)(sqlite3_stmt *s, void *elem), void *out);
/* The first row's first column, an integer: OK (*value set unless value is
 * NULL), NOT_FOUND (no row), ERROR.  With a NULL value it only tells
 * whether there is a row: a "SELECT 1 ... LIMIT 1". */
enum store_result step_int64(struct store *st, sqlite3_stmt *s, int bound, const char *what,
			     int64_t *value);

/* What one element of a list is and how a row becomes one: its size, how
 * to fill it from the current row, and, if it holds malloc'd parts, how to
 * free those (NULL: nothing to free). */
struct row_reader {
	size_t size;
	void (*read)(sqlite3_stmt *s, void *elem);
	void (*drop)(void *elem);
};
/* Every row, one element each, into a malloc'd array grown as it goes:
 * OK with *rows (NULL when there are none) and *n, or ERROR with nothing
 * kept (*rows NULL, *n 0). */
enum store_result step_rows(struct store *st, sqlite3_stmt *s, int bound, const char *what,
			    const struct row_reader *r, void **rows, size_t *n);
/* A public listing: step_rows() for a statement with one parameter, an id
 * (?1 = key), or none (key unused).  s may be NULL (no store, or it did not
 * prepare: stmt_get(st, ...) as it came), giving ERROR with nothing.  */
enum store_result list_rows(struct store *st, sqlite3_stmt *s, int64_t key, const char *what,
			    const struct row_reader *r, void **rows, size_t *n);
/* list_rows() for rows of one text column (NULL reads ""): the array that
 * store_strings_free() frees. */
enum store_result list_strings(struct store *st, sqlite3_stmt *s, int64_t key, const char *what,
			       char ***out, size_t *n);

/* --- row readers for the structs that more than one file reads (in
 * store_mail.c), for a row_reader or the row step_one() found.  The
 * statement's columns, in this order:
 *   read_message: id, uid, flags, internaldate, size, keywords (content
 *                 is left NULL);
 *   read_account: id, address, name, server. */
void read_message(sqlite3_stmt *s, void *elem);
void read_account(sqlite3_stmt *s, void *elem);

#endif
