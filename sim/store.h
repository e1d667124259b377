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

#define STORE_SCHEMA_VERSION 1

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

/* All messages of a folder in UID order, without their content; *out is
 * malloc'd (free() it). */
int store_folder_list(struct store *st, int64_t folder_id, struct store_message **out,
		      size_t *n);
/* Remove one message; 0 done, 1 no such message, -1 error. */
int store_message_delete(struct store *st, int64_t folder_id, uint32_t uid);

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

/* Bytes SQLite holds right now (all databases of the process). */
int64_t store_memory_used(void);

#endif
