/*
 * store.h - the one SQLite store shared by SMTP, POP3 and IMAP.
 *
 * In memory by default, a file with --db.  The schema is created by the
 * program itself and versioned with PRAGMA user_version.  Every change is
 * one transaction; several changes that form one protocol step (delivering a
 * message to three local mailboxes after one DATA) can be grouped with
 * store_begin()/store_commit(): calls nest, and only the outermost pair
 * touches SQLite.  A reply that promises the mail is safe (250 after DATA)
 * is sent only after store_commit() returned 0.
 *
 * Functions return 0 on success and -1 on failure (store_error() says why),
 * and 1 where "not found" is an ordinary answer.
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

int store_open(struct store **out, const char *path, char *err, size_t errlen);
void store_close(struct store *st);
const char *store_error(const struct store *st);

int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* --- accounts; creating one creates INBOX, Sent and Trash */
int store_account_add(struct store *st, const char *address, const char *password,
		      const char *name, const char *server, int64_t *id);
int store_account_find(struct store *st, const char *address,
		       struct store_account *out); /* 0, 1 = none, -1 */
/* 0 if the password is right, 1 if wrong or no such account, -1 error. */
int store_account_auth(struct store *st, const char *address, const char *password);

/* --- folders */
int store_folder_find(struct store *st, int64_t account, const char *name,
		      int64_t *folder_id); /* 0, 1 = none, -1 */
int store_folder_create(struct store *st, int64_t account, const char *name,
			const char *special_use, int64_t *folder_id);
/* A folder's attributes, UIDVALIDITY and UIDNEXT.  0, 1 = none, -1. */
int store_folder_get(struct store *st, int64_t folder_id, struct store_folder *out);

/* --- messages on the server */
/* Store a message in a folder; assigns the next UID.  The summary is what
 * the views show; it is the caller's parse of the headers. */
int store_message_add(struct store *st, int64_t folder_id, const char *content,
		      size_t len, int64_t internaldate, uint32_t flags,
		      const struct store_summary *sum, uint32_t *uid);
/* One message by UID; its content is read only if with_content (free it
 * with store_message_free()).  0, 1 = none, -1. */
int store_message_get(struct store *st, int64_t folder_id, uint32_t uid, bool with_content,
		      struct store_message *out);
void store_message_free(struct store_message *m); /* frees content only */
/* Count messages in a folder. */
int store_folder_count(struct store *st, int64_t folder_id, int64_t *count);
/* Is there a message in the folder whose summary matches every non-NULL
 * field (from: address contained in From; subject: exact decoded match;
 * to: address contained in To)?  0 yes, 1 no, -1 error. */
int store_folder_has(struct store *st, int64_t folder_id, const char *from,
		     const char *to, const char *subject);
/* The same, with flags: one message must match every non-NULL field and
 * carry every flag bit and the keyword (devices keep system flags only). */
struct store_match {
	const char *from, *to, *subject;
	uint32_t flags;       /* STORE_FLAG_* bits that must all be set */
	const char *keyword;  /* an IMAP keyword, or NULL */
};
int store_folder_match(struct store *st, int64_t folder_id, const struct store_match *m);
int store_device_match(struct store *st, int64_t device, const char *folder,
		       const struct store_match *m);

/* All messages of a folder in UID order, without their content; *out is
 * malloc'd (free() it). */
int store_folder_list(struct store *st, int64_t folder_id, struct store_message **out,
		      size_t *n);
/* How many messages of a folder have a UID above uid. */
int store_folder_count_above(struct store *st, int64_t folder_id, uint32_t uid, int64_t *count);
/* Remove one message; 0 done, 1 no such message, -1 error. */
int store_message_delete(struct store *st, int64_t folder_id, uint32_t uid);

/* --- IMAP: folders and flags (schema version 2)
 *
 * Every change below is one transaction alone or part of the caller's, and
 * returns 0 done, 1 not found (the folder, or the message), -1 error. */

/* Every folder of an account, INBOX first, then by name (byte order); *out
 * is malloc'd (free() it), NULL when there are none. */
int store_folders(struct store *st, int64_t account, struct store_folder **out, size_t *n);
/* STATUS numbers in one query: messages, unseen (without \Seen), recent
 * (with \Recent).  Any pointer may be NULL.  1 = no such folder. */
int store_folder_stats(struct store *st, int64_t folder_id, uint32_t *messages,
		       uint32_t *unseen, uint32_t *recent);
/* Delete a folder and (ON DELETE CASCADE) its messages.  INBOX is refused
 * (-1, RFC 3501 6.3.4).  Inferior folders ("Work/2024" of "Work") stay. */
int store_folder_delete(struct store *st, int64_t folder_id);
/* Rename one folder; it keeps its id, UIDVALIDITY, UIDNEXT, messages and
 * UIDs (RFC 3501 6.3.5 and 2.3.1.1: see store.c).  Only that folder:
 * renaming inferiors ("Work/2024" with "Work") and the special move that
 * RENAME INBOX means are the caller's, so INBOX is refused (-1).  -1 with
 * store_error() 'folder "X" already exists' if the account has a folder
 * of the new name already. */
int store_folder_rename(struct store *st, int64_t folder_id, const char *new_name);
int store_folder_subscribe(struct store *st, int64_t folder_id, bool on);
/* Schema 3: the highest UID of the folder some IMAP session has been told is
 * \Recent (RFC 3501 2.3.2), 0 if none; 1 = no such folder.  Setting it
 * only ever raises it (a lower uid changes nothing, and is not an error). */
int store_folder_recent_uid(struct store *st, int64_t folder_id, uint32_t *uid);
int store_folder_set_recent_uid(struct store *st, int64_t folder_id, uint32_t uid);
/* Schema 3: subscribed names that are no folder (any more).  RFC 3501
 * 6.3.6: deleting a folder must not unsubscribe its name, so the IMAP
 * service keeps the name here.  Set on: 0 (also if it was there); off: 0
 * done, 1 it was not there. */
int store_orphan_subscription_set(struct store *st, int64_t account, const char *name, bool on);
/* Those names of an account, in byte order (free with store_strings_free()). */
int store_orphan_subscriptions(struct store *st, int64_t account, char ***out, size_t *n);
/* Replace a message's flags (STORE_FLAG_*) and, unless keywords is NULL,
 * its keywords (space-separated, at most 255 bytes).  Cheap enough to call
 * once per message of a 100,000-message STORE inside one transaction. */
int store_message_set_flags(struct store *st, int64_t folder_id, uint32_t uid, uint32_t flags,
			    const char *keywords);
/* COPY (RFC 3501 6.4.7): a new message in to_folder (which may be
 * from_folder) with the same content, summary, internaldate, flags plus
 * \Recent, and keywords; *new_uid is its UID (to_folder's UIDNEXT).
 * 1 = no such message; -1 (error set) when to_folder does not exist. */
int store_message_copy(struct store *st, int64_t from_folder, uint32_t uid, int64_t to_folder,
		       uint32_t *new_uid);

/* --- IMAP devices: what a device knows of each server folder
 *
 * A device's folder is named as the server names it ("INBOX", "Work"),
 * compared exactly.  Its UIDVALIDITY says which incarnation of the server
 * folder the cached UIDs belong to (0 = not known yet). */
/* Insert or update the device's record of a folder. */
int store_device_folder_set(struct store *st, int64_t device, const char *name,
			    const char *special_use, uint32_t uidvalidity);
/* 0, 1 = the device has no record of that folder, -1. */
int store_device_folder_uidvalidity(struct store *st, int64_t device, const char *name,
				    uint32_t *uidvalidity);
/* The IMAP-cached messages of a device folder (those with a UID) in UID
 * order: uid, flags, size (id too); no content, no internaldate, keywords "".
 * *out is malloc'd (free() it). */
int store_device_folder_list(struct store *st, int64_t device, const char *folder,
			     struct store_message **out, size_t *n);
/* 1 = the device has no message of that UID in that folder. */
int store_device_message_set_flags(struct store *st, int64_t device, const char *folder,
				   uint32_t uid, uint32_t flags);
int store_device_message_delete(struct store *st, int64_t device, const char *folder,
				uint32_t uid);
/* Drop every IMAP-cached message (uid not NULL) of the folder, after a
 * UIDVALIDITY change; POP3 downloads (uid NULL) are the user's only copy
 * and stay.  0 even if there was nothing to drop. */
int store_device_folder_clear(struct store *st, int64_t device, const char *folder);
/* Every message the device holds in that folder, IMAP-cached or POP3. */
int store_device_folder_count(struct store *st, int64_t device, const char *folder,
			      int64_t *count);

/* --- counters
 * Numbers a server hands out that must never repeat, not even after a
 * restart of a --db store: queue ids, and the Message-IDs of the messages
 * a server writes itself (RFC 5322 3.6.4: MUST be unique).  *value is the
 * next value of the named counter, 1 the first time.  Part of the caller's
 * transaction, if there is one: rolled back, the number is handed out
 * again (nothing that was kept carries it).  An in-memory store starts
 * every counter at 1, so a simulation gives the same bytes each run. */
int store_counter_next(struct store *st, const char *name, uint64_t *value);

/* --- relay queues */
int store_queue_add(struct store *st, const char *server, const char *domain,
		    const char *mail_from, const char *const *rcpts, size_t nrcpts,
		    const char *content, size_t len, int64_t arrival,
		    int64_t next_try_us, int64_t *id);
int store_queue_get(struct store *st, int64_t id, struct store_queue_entry *out);
void store_queue_entry_free(struct store_queue_entry *e);
/* store_queue_get, _remove_rcpt, _reschedule and _delete return 1 when the
 * entry (or that recipient of it) does not exist. */
/* Forget some recipients of an entry (delivered, or bounced). */
int store_queue_remove_rcpt(struct store *st, int64_t id, const char *rcpt);
/* After an attempt that left recipients pending. */
int store_queue_reschedule(struct store *st, int64_t id, int attempts,
			   int64_t next_try_us, const char *last_reply);
int store_queue_delete(struct store *st, int64_t id);
int store_queue_count(struct store *st, const char *server, int64_t *count);
/* The entries of one server's queue, soonest first: two malloc'd arrays. */
int store_queue_list(struct store *st, const char *server, int64_t **ids, int64_t **next_try_us,
		     size_t *n);

/* --- devices and what they hold */
int store_device_add(struct store *st, const char *name, const char *owner, int64_t *id);
int store_device_find(struct store *st, const char *name, int64_t *id);
int store_device_message_add(struct store *st, int64_t device, const char *folder,
			     const char *content, size_t len,
			     const struct store_summary *sum, const char *uidl,
			     uint32_t uid, uint32_t flags);
int store_device_count(struct store *st, int64_t device, int64_t *count);
/* The POP3 unique-ids of what a device already downloaded. */
int store_device_uidls(struct store *st, int64_t device, char ***out, size_t *n);
void store_strings_free(char **v, size_t n);

/* --- reading the whole store (mailsim inspect)
 *
 * These list everything, in an order that does not depend on how the rows
 * were written, so that the same scenario gives the same listing. */

/* Open an existing database file for reading only: nothing is created or
 * written (no schema, no WAL switch, no upgrade), and every change through
 * the store fails.  0 opened; 1 the file is a mailsim database of an older
 * schema, which only store_open() (upgrading it) can read; -1 not opened.
 * Unless 0, err says why ("not a mailsim database (...)", the newer-schema
 * message of store_open(), SQLite's words). */
int store_open_readonly(struct store **out, const char *path, char *err, size_t errlen);

/* Every account, by server and then address; *out is malloc'd (free() it),
 * NULL when there are none. */
int store_accounts(struct store *st, struct store_account **out, size_t *n);

struct store_device {
	int64_t id;
	char name[256];
	char owner[256]; /* the owner's address, "" when nobody */
};
/* Every device, by name (byte order); *out is malloc'd (free() it). */
int store_devices(struct store *st, struct store_device **out, size_t *n);

/* Every host named as a server by an account or a queue entry, once each,
 * in byte order (free with store_strings_free()). */
int store_servers(struct store *st, char ***out, size_t *n);

/* A message as a listing shows it: what a person knows it by. */
struct store_listed {
	char *folder;   /* the device's folder; NULL in a server folder's listing */
	uint32_t uid;   /* IMAP UID; 0 for a POP3 download */
	char *uidl;     /* POP3 unique-id of a download, else NULL */
	uint32_t flags; /* STORE_FLAG_* */
	int64_t size;   /* octets */
	char *from;     /* decoded From: value, or NULL */
	char *subject;  /* decoded (UTF-8) Subject: value, or NULL */
};
/* A server folder's messages in UID order, without content. */
int store_folder_listing(struct store *st, int64_t folder_id, struct store_listed **out,
			 size_t *n);
/* Everything a device holds, IMAP-cached and POP3: by folder (INBOX first,
 * then byte order), then UID (POP3 downloads, without one, first), then in
 * the order stored. */
int store_device_listing(struct store *st, int64_t device, struct store_listed **out,
			 size_t *n);
void store_listed_free(struct store_listed *v, size_t n);

/* Bytes SQLite holds right now (all databases of the process). */
int64_t store_memory_used(void);

#endif
