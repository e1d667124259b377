/*
 * store.h - the one SQLite store shared by SMTP, POP3 and IMAP.
 *
 * In memory by default, a file with --db.  The schema is created by the
 * program itself and versioned with PRAGMA user_version.  Every change is
 * one transaction; several changes that form one protocol step (delivering a
 * message to three local mailboxes after one DATA) can be grouped with
 * store_begin()/store_commit(): calls nest, and only the outermost pair
 * touches SQLite.  A reply that promises the mail is safe (250 after DATA)
 * is sent only after store_commit() returned STORE_OK.
 *
 * Results.  Every function that can fail returns an enum store_result, and
 * the compiler insists that the caller looks at it (STORE_MUST_CHECK): a
 * store that failed silently would be a server that answers 250 for mail it
 * lost.  Each declaration below lists the results it can give:
 *
 *   STORE_OK          done (a lookup: found; a search: a match).
 *   STORE_NOT_FOUND   an ordinary "no": no such account, folder, message,
 *                     queue entry or device; a search without a match.
 *   STORE_EXISTS      not done: that name is taken already.
 *   STORE_REFUSED     not done, and never will be: a wrong password, or
 *                     INBOX deleted or renamed (RFC 3501 6.3.4, 6.3.5).
 *   STORE_OLD_SCHEMA  store_open_readonly() only: a mailsim database of an
 *                     older schema, which store_open() upgrades.
 *   STORE_ERROR       the store failed (SQLite, the disk, a lock held too
 *                     long) or an argument was bad; store_error() says why.
 *
 * None of the answers other than STORE_ERROR changed anything, and none of
 * them touches a transaction the caller has open.  STORE_ERROR from a
 * change inside the caller's store_begin() rolls the whole transaction back
 * (see store_begin() in store.c); an error found in the arguments, before
 * anything was tried, leaves it alone.  STORE_OK is 0 and STORE_ERROR the
 * only negative value, so `rc < 0` still reads "the store failed".
 *
 * Functions that give back a count, an id or a list do so through an out
 * parameter, set only when the result is STORE_OK.
 *
 * Behind this header is a family of files, with store_int.h (struct store
 * and the helpers they share) as their private header:
 *
 *   store.c         the schema and its upgrades, opening and closing,
 *                   errors, transactions
 *   store_mail.c    accounts, folders, messages, flags, keywords, UIDs
 *   store_queue.c   the relay queue, and the counters
 *   store_device.c  devices and what they hold (POP3 UIDLs, IMAP caches)
 *   store_list.c    the listings and searches of views, inspect and checks
 */
#ifndef MAILSIM_STORE_H
#define MAILSIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 1: the first schema.  2: messages.keywords and device_folders (IMAP).
 * 3: folders.recent_uid (IMAP \Recent survives a restart), the
 * orphan_subscriptions table and the counters table (queue ids and
 * Message-IDs that never repeat).  An older database is upgraded in place,
 * a step at a time, when it is opened. */
#define STORE_SCHEMA_VERSION 3

/* System flags (RFC 3501 2.3.2) as bits. */
enum {
	STORE_FLAG_SEEN = 1 << 0,
	STORE_FLAG_ANSWERED = 1 << 1,
	STORE_FLAG_FLAGGED = 1 << 2,
	STORE_FLAG_DELETED = 1 << 3,
	STORE_FLAG_DRAFT = 1 << 4,
	STORE_FLAG_RECENT = 1 << 5,
	/* the five a message keeps (\Recent belongs to an IMAP session, not
	 * to the message): what a device stores and the trace shows */
	STORE_FLAGS_SYSTEM = STORE_FLAG_SEEN | STORE_FLAG_ANSWERED | STORE_FLAG_FLAGGED |
			     STORE_FLAG_DELETED | STORE_FLAG_DRAFT,
};

/* On a function whose result must not be ignored (GCC and Clang warn, and
 * -Werror makes it an error; a cast to void does not silence it in GCC). */
#if defined(__GNUC__) || defined(__clang__)
#define STORE_MUST_CHECK __attribute__((warn_unused_result))
#else
#define STORE_MUST_CHECK
#endif

/* What a store function did; see the top of this file. */
enum store_result {
	STORE_ERROR = -1,
	STORE_OK = 0,
	STORE_NOT_FOUND = 1,
	STORE_EXISTS = 2,
	STORE_REFUSED = 3,
	STORE_OLD_SCHEMA = 4,
};

struct store;

struct store_account {
	int64_t id;
	char address[256];
	char name[256];   /* display name, may be "" */
	char server[256]; /* host name of the mail server that holds it */
};

/* The headers a view wants without parsing the message again. */
struct store_summary {
	const char *from;       /* decoded From: value, or NULL */
	const char *to;
	const char *subject;    /* decoded (UTF-8) Subject: value */
	const char *date;       /* Date: value as written */
	const char *message_id;
};

struct store_message {
	int64_t id;
	uint32_t uid;
	uint32_t flags;     /* STORE_FLAG_* */
	int64_t internaldate; /* Unix seconds */
	int64_t size;       /* octets, CRLF line ends */
	char *content;      /* malloc'd, NUL-terminated; NULL unless asked for */
	size_t content_len;
	char keywords[256]; /* IMAP keywords, space-separated ("$Label1 Junk"), or "" */
};

/* A folder as store_folder_get() reports it. */
struct store_folder {
	int64_t id;
	int64_t account_id;
	char name[256];
	char special_use[16]; /* \Sent, \Trash..., or "" (RFC 6154) */
	bool subscribed;
	uint32_t uidvalidity; /* RFC 3501 2.3.1.1; never reused in one store */
	uint32_t uidnext;     /* the UID the next message will get */
};

struct store_queue_entry {
	int64_t id;
	char *server;       /* the host whose queue it is in */
	char *domain;       /* destination domain */
	char *mail_from;    /* "" for a bounce (null reverse-path) */
	char **rcpts;       /* still undelivered recipients */
	size_t nrcpts;
	char *content;
	size_t content_len;
	int attempts;       /* delivery attempts made so far */
	int64_t next_try_us; /* simulated time of the next attempt */
	int64_t arrival;    /* Unix seconds when the message was accepted */
	char *last_reply;   /* the last temporary failure, or NULL */
};

/* Open (creating it if need be) a database file, or an in-memory store for
 * a NULL path or ":memory:"; err says why not.  Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_open(struct store **out, const char *path, char *err, size_t errlen);
void store_close(struct store *st);
/* Why the last call failed ("" before any failure). */
const char *store_error(const struct store *st);

/* Transactions (the nesting rule is written out in store.c).  A failed
 * store_begin() opened nothing, so it needs no store_rollback().
 * store_commit() gives ERROR when nothing was saved: the transaction was
 * rolled back, by the caller or an inner call, or COMMIT itself failed.
 * Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_begin(struct store *st);
STORE_MUST_CHECK
enum store_result store_commit(struct store *st);
void store_rollback(struct store *st);

/* --- accounts; creating one creates INBOX, Sent and Trash */
/* Results: OK, EXISTS (that address has an account), ERROR. */
STORE_MUST_CHECK
enum store_result store_account_add(struct store *st, const char *address, const char *password,
				    const char *name, const char *server, int64_t *id);
/* Results: OK, NOT_FOUND, ERROR. */
STORE_MUST_CHECK
enum store_result store_account_find(struct store *st, const char *address,
				     struct store_account *out);
/* Is the password right?  REFUSED when it is wrong and when there is no
 * such account alike (a client must not learn which names exist).
 * Results: OK, REFUSED, ERROR. */
STORE_MUST_CHECK
enum store_result store_account_auth(struct store *st, const char *address, const char *password);

/* --- folders */
/* Results: OK, NOT_FOUND, ERROR. */
STORE_MUST_CHECK
enum store_result store_folder_find(struct store *st, int64_t account, const char *name,
				    int64_t *folder_id);
/* Results: OK, EXISTS (the account has a folder of that name), ERROR (no
 * such account, among others). */
STORE_MUST_CHECK
enum store_result store_folder_create(struct store *st, int64_t account, const char *name,
				      const char *special_use, int64_t *folder_id);
/* A folder's attributes, UIDVALIDITY and UIDNEXT.
 * Results: OK, NOT_FOUND, ERROR. */
STORE_MUST_CHECK
enum store_result store_folder_get(struct store *st, int64_t folder_id, struct store_folder *out);

/* --- messages on the server */
/* Store a message in a folder; assigns the next UID.  The summary is what
 * the views show; it is the caller's parse of the headers.
 * Results: OK, ERROR (no such folder, among others). */
STORE_MUST_CHECK
enum store_result store_message_add(struct store *st, int64_t folder_id, const char *content,
				    size_t len, int64_t internaldate, uint32_t flags,
				    const struct store_summary *sum, uint32_t *uid);
/* One message by UID; its content is read only if with_content (free it
 * with store_message_free()).  Results: OK, NOT_FOUND, ERROR. */
STORE_MUST_CHECK
enum store_result store_message_get(struct store *st, int64_t folder_id, uint32_t uid,
				    bool with_content, struct store_message *out);
void store_message_free(struct store_message *m); /* frees content only */
/* Count messages in a folder.  Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_folder_count(struct store *st, int64_t folder_id, int64_t *count);
/* Is there a message in the folder whose summary matches every non-NULL
 * field (from: address contained in From; subject: exact decoded match;
 * to: address contained in To)?  Results: OK (yes), NOT_FOUND (no), ERROR. */
STORE_MUST_CHECK
enum store_result store_folder_has(struct store *st, int64_t folder_id, const char *from,
				   const char *to, const char *subject);
/* The same, with flags: one message must match every non-NULL field and
 * carry every flag bit and the keyword (devices keep system flags only).
 * Results: OK (yes), NOT_FOUND (no), ERROR. */
struct store_match {
	const char *from, *to, *subject;
	uint32_t flags;       /* STORE_FLAG_* bits that must all be set */
	const char *keyword;  /* an IMAP keyword, or NULL */
	bool submitted;       /* a Received: line says "with ESMTPA" (see checks.c) */
	uint32_t uid;         /* this message only; 0: any (folders only) */
};
STORE_MUST_CHECK
enum store_result store_folder_match(struct store *st, int64_t folder_id,
				     const struct store_match *m);
STORE_MUST_CHECK
enum store_result store_device_match(struct store *st, int64_t device, const char *folder,
				     const struct store_match *m);

/* All messages of a folder in UID order, without their content; *out is
 * malloc'd (free() it).  Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_folder_list(struct store *st, int64_t folder_id,
				    struct store_message **out, size_t *n);
/* How many messages of a folder have a UID above uid.  Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_folder_count_above(struct store *st, int64_t folder_id, uint32_t uid,
					   int64_t *count);
/* Remove one message.  Results: OK, NOT_FOUND (no such message), ERROR. */
STORE_MUST_CHECK
enum store_result store_message_delete(struct store *st, int64_t folder_id, uint32_t uid);

/* --- IMAP: folders and flags (schema version 2)
 *
 * Every change below is one transaction alone or part of the caller's. */

/* Every folder of an account, INBOX first, then by name (byte order); *out
 * is malloc'd (free() it), NULL when there are none.  Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_folders(struct store *st, int64_t account, struct store_folder **out,
				size_t *n);
/* STATUS numbers in one query: messages, unseen (without \Seen), recent
 * (with \Recent).  Any pointer may be NULL.
 * Results: OK, NOT_FOUND (no such folder; the numbers are 0), ERROR. */
STORE_MUST_CHECK
enum store_result store_folder_stats(struct store *st, int64_t folder_id, uint32_t *messages,
				     uint32_t *unseen, uint32_t *recent);
/* Delete a folder and (ON DELETE CASCADE) its messages.  Inferior folders
 * ("Work/2024" of "Work") stay.  Results: OK, NOT_FOUND, REFUSED (INBOX,
 * RFC 3501 6.3.4), ERROR. */
STORE_MUST_CHECK
enum store_result store_folder_delete(struct store *st, int64_t folder_id);
/* Rename one folder; it keeps its id, UIDVALIDITY, UIDNEXT, messages and
 * UIDs (RFC 3501 6.3.5 and 2.3.1.1: see store_mail.c).  Only that folder:
 * renaming inferiors ("Work/2024" with "Work") and the special move that
 * RENAME INBOX means are the caller's.  Results: OK, NOT_FOUND, REFUSED
 * (INBOX), EXISTS (the account has a folder of the new name, this one
 * included), ERROR. */
STORE_MUST_CHECK
enum store_result store_folder_rename(struct store *st, int64_t folder_id, const char *new_name);
/* Results: OK, NOT_FOUND, ERROR. */
STORE_MUST_CHECK
enum store_result store_folder_subscribe(struct store *st, int64_t folder_id, bool on);
/* Schema 3: the highest UID of the folder some IMAP session has been told is
 * \Recent (RFC 3501 2.3.2), 0 if none.  Setting it only ever raises it (a
 * lower uid changes nothing, and is not an error).
 * Results: OK, NOT_FOUND (no such folder), ERROR. */
STORE_MUST_CHECK
enum store_result store_folder_recent_uid(struct store *st, int64_t folder_id, uint32_t *uid);
STORE_MUST_CHECK
enum store_result store_folder_set_recent_uid(struct store *st, int64_t folder_id, uint32_t uid);
/* Schema 3: subscribed names that are no folder (any more).  RFC 3501
 * 6.3.6: deleting a folder must not unsubscribe its name, so the IMAP
 * service keeps the name here.  Set on: OK (also if it was there); off: OK
 * done, NOT_FOUND it was not there; ERROR. */
STORE_MUST_CHECK
enum store_result store_orphan_subscription_set(struct store *st, int64_t account,
						const char *name, bool on);
/* Those names of an account, in byte order (free with store_strings_free()).
 * Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_orphan_subscriptions(struct store *st, int64_t account, char ***out,
					     size_t *n);
/* Replace a message's flags (STORE_FLAG_*) and, unless keywords is NULL,
 * its keywords (space-separated, at most 255 bytes).  Cheap enough to call
 * once per message of a 100,000-message STORE inside one transaction.
 * Results: OK (also when they were those already), NOT_FOUND, ERROR. */
STORE_MUST_CHECK
enum store_result store_message_set_flags(struct store *st, int64_t folder_id, uint32_t uid,
					  uint32_t flags, const char *keywords);
/* COPY (RFC 3501 6.4.7): a new message in to_folder (which may be
 * from_folder) with the same content, summary, internaldate, flags plus
 * \Recent, and keywords; *new_uid is its UID (to_folder's UIDNEXT).
 * Results: OK, NOT_FOUND (no such message), ERROR (to_folder does not
 * exist, among others). */
STORE_MUST_CHECK
enum store_result store_message_copy(struct store *st, int64_t from_folder, uint32_t uid,
				     int64_t to_folder, uint32_t *new_uid);

/* --- IMAP devices: what a device knows of each server folder
 *
 * A device's folder is named as the server names it ("INBOX", "Work"),
 * compared exactly.  Its UIDVALIDITY says which incarnation of the server
 * folder the cached UIDs belong to (0 = not known yet). */
/* Insert or update the device's record of a folder.  Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_device_folder_set(struct store *st, int64_t device, const char *name,
					  const char *special_use, uint32_t uidvalidity);
/* Results: OK, NOT_FOUND (the device has no record of that folder), ERROR. */
STORE_MUST_CHECK
enum store_result store_device_folder_uidvalidity(struct store *st, int64_t device,
						  const char *name, uint32_t *uidvalidity);
/* The IMAP-cached messages of a device folder (those with a UID) in UID
 * order: uid, flags, size (id too); no content, no internaldate, keywords "".
 * *out is malloc'd (free() it).  Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_device_folder_list(struct store *st, int64_t device, const char *folder,
					   struct store_message **out, size_t *n);
/* Results: OK, NOT_FOUND (the device has no message of that UID in that
 * folder), ERROR. */
STORE_MUST_CHECK
enum store_result store_device_message_set_flags(struct store *st, int64_t device,
						 const char *folder, uint32_t uid, uint32_t flags);
STORE_MUST_CHECK
enum store_result store_device_message_delete(struct store *st, int64_t device,
					      const char *folder, uint32_t uid);
/* Drop every IMAP-cached message (uid not NULL) of the folder, after a
 * UIDVALIDITY change; POP3 downloads (uid NULL) are the user's only copy
 * and stay.  Results: OK (even if there was nothing to drop), ERROR. */
STORE_MUST_CHECK
enum store_result store_device_folder_clear(struct store *st, int64_t device, const char *folder);
/* Every message the device holds in that folder, IMAP-cached or POP3.
 * Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_device_folder_count(struct store *st, int64_t device, const char *folder,
					    int64_t *count);

/* --- counters
 * Numbers a server hands out that must never repeat, not even after a
 * restart of a --db store: queue ids, and the Message-IDs of the messages
 * a server writes itself (RFC 5322 3.6.4: MUST be unique).  *value is the
 * next value of the named counter, 1 the first time.  Part of the caller's
 * transaction, if there is one: rolled back, the number is handed out
 * again (nothing that was kept carries it).  An in-memory store starts
 * every counter at 1, so a simulation gives the same bytes each run. */
/* Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_counter_next(struct store *st, const char *name, uint64_t *value);

/* --- relay queues */
/* Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_queue_add(struct store *st, const char *server, const char *domain,
				  const char *mail_from, const char *const *rcpts, size_t nrcpts,
				  const char *content, size_t len, int64_t arrival,
				  int64_t next_try_us, int64_t *id);
/* Results: OK, NOT_FOUND, ERROR. */
STORE_MUST_CHECK
enum store_result store_queue_get(struct store *st, int64_t id, struct store_queue_entry *out);
void store_queue_entry_free(struct store_queue_entry *e);
/* Forget a recipient of an entry (delivered, or bounced).
 * Results: OK, NOT_FOUND (no such entry, or not that recipient), ERROR. */
STORE_MUST_CHECK
enum store_result store_queue_remove_rcpt(struct store *st, int64_t id, const char *rcpt);
/* After an attempt that left recipients pending.
 * Results: OK, NOT_FOUND, ERROR. */
STORE_MUST_CHECK
enum store_result store_queue_reschedule(struct store *st, int64_t id, int attempts,
					 int64_t next_try_us, const char *last_reply);
/* Results: OK, NOT_FOUND, ERROR. */
STORE_MUST_CHECK
enum store_result store_queue_delete(struct store *st, int64_t id);
/* Entries in one server's queue, or in all (server NULL).
 * Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_queue_count(struct store *st, const char *server, int64_t *count);
/* The entries of one server's queue, soonest first: two malloc'd arrays.
 * Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_queue_list(struct store *st, const char *server, int64_t **ids,
				   int64_t **next_try_us, size_t *n);

/* --- devices and what they hold */
/* Results: OK, EXISTS (a device of that name), ERROR. */
STORE_MUST_CHECK
enum store_result store_device_add(struct store *st, const char *name, const char *owner,
				   int64_t *id);
/* Results: OK, NOT_FOUND, ERROR. */
STORE_MUST_CHECK
enum store_result store_device_find(struct store *st, const char *name, int64_t *id);
/* Results: OK, ERROR (no such device, among others). */
STORE_MUST_CHECK
enum store_result store_device_message_add(struct store *st, int64_t device, const char *folder,
					   const char *content, size_t len,
					   const struct store_summary *sum, const char *uidl,
					   uint32_t uid, uint32_t flags);
/* Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_device_count(struct store *st, int64_t device, int64_t *count);
/* The POP3 unique-ids of what a device already downloaded.
 * Results: OK, ERROR. */
STORE_MUST_CHECK
enum store_result store_device_uidls(struct store *st, int64_t device, char ***out, size_t *n);
void store_strings_free(char **v, size_t n);

/* --- reading the whole store (mailsim inspect)
 *
 * These list everything, in an order that does not depend on how the rows
 * were written, so that the same scenario gives the same listing.  Each
 * gives OK or ERROR. */

/* Open an existing database file for reading only: nothing is created or
 * written (no schema, no WAL switch, no upgrade), and every change through
 * the store fails.  Results: OK; OLD_SCHEMA, the file is a mailsim database
 * of an older schema, which only store_open() (upgrading it) can read;
 * ERROR, not opened.  Unless OK, err says why ("not a mailsim database
 * (...)", the newer-schema message of store_open(), SQLite's words). */
STORE_MUST_CHECK
enum store_result store_open_readonly(struct store **out, const char *path, char *err,
				      size_t errlen);

/* Every account, by server and then address; *out is malloc'd (free() it),
 * NULL when there are none. */
STORE_MUST_CHECK
enum store_result store_accounts(struct store *st, struct store_account **out, size_t *n);

struct store_device {
	int64_t id;
	char name[256];
	char owner[256]; /* the owner's address, "" when nobody */
};
/* Every device, by name (byte order); *out is malloc'd (free() it). */
STORE_MUST_CHECK
enum store_result store_devices(struct store *st, struct store_device **out, size_t *n);

/* Every host named as a server by an account or a queue entry, once each,
 * in byte order (free with store_strings_free()). */
STORE_MUST_CHECK
enum store_result store_servers(struct store *st, char ***out, size_t *n);

/* A message as a listing shows it: what a person knows it by. */
struct store_listed {
	char *folder;   /* the device's folder; NULL in a server folder's listing */
	uint32_t uid;   /* IMAP UID; 0 for a POP3 download */
	char *uidl;     /* POP3 unique-id of a download, else NULL */
	uint32_t flags; /* STORE_FLAG_* */
	int64_t size;   /* octets */
	char *from;     /* decoded From: value, or NULL */
	char *subject;  /* decoded (UTF-8) Subject: value, or NULL */
	char *auth;     /* what a verifying server found, "spf=pass dkim=pass
			 * dmarc=pass" (its Authentication-Results: header),
			 * or NULL */
};
/* How far into a message the listings look for Authentication-Results: */
#define STORE_LISTED_HEAD "4096"
/* A server folder's messages in UID order, without content. */
STORE_MUST_CHECK
enum store_result store_folder_listing(struct store *st, int64_t folder_id,
				       struct store_listed **out, size_t *n);
/* Everything a device holds, IMAP-cached and POP3: by folder (INBOX first,
 * then byte order), then UID (POP3 downloads, without one, first), then in
 * the order stored. */
STORE_MUST_CHECK
enum store_result store_device_listing(struct store *st, int64_t device,
				       struct store_listed **out, size_t *n);
void store_listed_free(struct store_listed *v, size_t n);

/* Bytes SQLite holds right now (all databases of the process). */
int64_t store_memory_used(void);

/* --- fault injection, for tests
 *
 * A disk that fills up or fails is hard to arrange in a test, so the store
 * can be told to fail: before each outermost COMMIT it asks fail(ctx), and
 * when that says true the commit fails as a full disk would make it fail:
 * the whole transaction is rolled back, store_commit() (or the single call
 * that was its own transaction) gives ERROR, and store_error() says
 * "commit: injected failure".  A NULL fail removes the hook. */
typedef bool (*store_fault_fn)(void *ctx);
void store_set_commit_fault(struct store *st, store_fault_fn fail, void *ctx);

#endif
