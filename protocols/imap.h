/*
 * imap.h - the IMAP engines (IMAP4rev1, RFC 3501, with LITERAL+ 7888,
 * UIDPLUS 4315, MOVE 6851, IDLE 2177, NAMESPACE 2342, UNSELECT 3691,
 * ENABLE 5161, SPECIAL-USE 6154), server and client, sans-I/O.
 *
 * IMAP keeps the mail on the server, in folders; a client selects a folder
 * and sees its messages by sequence number (1..n, shifting as messages are
 * expunged) and by UID (never reused while UIDVALIDITY stays the same).
 * Several sessions may select the same folder: what one changes reaches
 * the others as untagged EXISTS, EXPUNGE and FETCH (FLAGS) responses.
 *
 * The server engine keeps its own view of the selected folder (the UIDs
 * and flags it has told its client about).  The host gives it snapshots of
 * the folder's current state (ops->snapshot); the engine compares and
 * reports the difference - at once while the client is in IDLE, otherwise
 * before the next tagged response, and never an EXPUNGE during FETCH,
 * STORE or SEARCH (RFC 3501 7.4.1).
 *
 * The server engine is a family of files, imap_server*.c, that share a
 * private header, imap_server_int.h; imap_server.c's reading guide says
 * what each holds.  The client engine is imap_client.c.  Both use the
 * framer and parser of imap_parse.h and the message views of imap_msg.h.
 */
#ifndef MAILSIM_IMAP_H
#define MAILSIM_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* System flags as bits; the same values as the store's STORE_FLAG_*
 * (sim/imapd.c asserts it, bit by bit, when it is compiled). */
enum {
	IMAP_FLAG_SEEN = 1 << 0,
	IMAP_FLAG_ANSWERED = 1 << 1,
	IMAP_FLAG_FLAGGED = 1 << 2,
	IMAP_FLAG_DELETED = 1 << 3,
	IMAP_FLAG_DRAFT = 1 << 4,
	IMAP_FLAG_RECENT = 1 << 5,
};

#define IMAP_KEYWORDS_MAX_OCTETS 256 /* keywords of one message, space-separated */

/* One message of a folder as the host reports it. */
struct imap_msg {
	uint32_t uid;
	uint32_t flags;                /* IMAP_FLAG_* */
	char keywords[IMAP_KEYWORDS_MAX_OCTETS]; /* "$Label1 Junk", or "" */
	int64_t internaldate;          /* Unix seconds */
	uint64_t size;                 /* RFC822.SIZE: octets, CRLF line ends */
};

struct imap_folder {
	char name[256];                /* "INBOX", "Sent", "Work/2024" */
	char special_use[16];          /* "\\Sent", "\\Trash", or "" (RFC 6154) */
	bool subscribed;
	bool has_children;             /* for \HasChildren / \HasNoChildren */
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t messages, recent, unseen;
};

/* Results of host operations. */
enum imap_result {
	IMAP_OK = 0,
	IMAP_NO_SUCH = 1,      /* no such folder / message: NO [NONEXISTENT] or [TRYCREATE] */
	IMAP_EXISTS = 2,       /* a folder of that name exists: NO [ALREADYEXISTS] */
	IMAP_REFUSED = 3,      /* not allowed (delete INBOX...): NO [CANNOT] */
	IMAP_FAILED = -1,      /* the store failed: NO [SERVERBUG] / [UNAVAILABLE] */
};

struct imap_server_ops {
	bool (*login)(void *ctx, const char *user, const char *password);
	/* Every folder of the logged-in user, for LIST, LSUB and STATUS. */
	enum imap_result (*folders)(void *ctx, struct imap_folder **out, size_t *n);
	enum imap_result (*create)(void *ctx, const char *name);
	enum imap_result (*remove)(void *ctx, const char *name);          /* DELETE */
	enum imap_result (*rename)(void *ctx, const char *from, const char *to);
	/* SUBSCRIBE (on) and UNSUBSCRIBE.  A subscription outlives its folder
	 * (RFC 3501 6.3.6), so UNSUBSCRIBE must work for such a name too. */
	enum imap_result (*subscribe)(void *ctx, const char *name, bool on);
	/* The subscribed names that no folder has (any more): DELETE keeps the
	 * subscription, and LSUB lists it as \Noselect.  *names and each name
	 * malloc'd, freed by the engine.  May be NULL: there are none. */
	enum imap_result (*orphan_subscriptions)(void *ctx, char ***names, size_t *n);
	/* The folder now: its info and its messages in UID order (malloc'd,
	 * freed by the engine).  Called at SELECT/EXAMINE and whenever the
	 * engine resynchronises. */
	enum imap_result (*snapshot)(void *ctx, const char *name, struct imap_folder *info,
				     struct imap_msg **msgs, size_t *n);
	/* A number that changes whenever the folder changes (any session, any
	 * protocol): the engine skips the snapshot while it stays the same. */
	uint64_t (*version)(void *ctx, const char *name);
	/* The message's content (CRLF line ends) appended to out. */
	enum imap_result (*content)(void *ctx, const char *name, uint32_t uid, struct buf *out);
	/* Set the flags (and keywords) of messages, one transaction; n pairs. */
	enum imap_result (*set_flags)(void *ctx, const char *name, const uint32_t *uids,
				      const struct imap_msg *values, size_t n);
	/* Remove messages, one transaction. */
	enum imap_result (*expunge)(void *ctx, const char *name, const uint32_t *uids, size_t n);
	/* Copy (or move: copy and expunge, one transaction) messages to another
	 * folder; new_uids[i] receives the copy's UID, *dest_uidvalidity the
	 * target's (for COPYUID, RFC 4315). */
	enum imap_result (*copy)(void *ctx, const char *from, const uint32_t *uids, size_t n,
				 const char *to, bool move, uint32_t *new_uids,
				 uint32_t *dest_uidvalidity);
	enum imap_result (*append)(void *ctx, const char *name, uint32_t flags,
				   const char *keywords, int64_t internaldate, const char *msg,
				   size_t len, uint32_t *uid, uint32_t *uidvalidity);
	/* The time, for APPEND without a date (the host's clock: simulated). */
	int64_t (*now)(void *ctx);
};

struct imap_server_config {
	const char *hostname;
	bool tls_offered;     /* the host can start TLS here: CAPABILITY lists STARTTLS */
	bool tls_active;      /* the connection is encrypted already (port 993) */
	bool plaintext_auth;  /* allow LOGIN/AUTHENTICATE before TLS even if offered (labs) */
};

struct imap_server;

struct imap_server *imap_server_new(const struct imap_server_config *cfg,
				    const struct imap_server_ops *ops, void *ctx);
void imap_server_free(struct imap_server *s);
/* "* OK [CAPABILITY ...] HOST IMAP4rev1 ready" */
void imap_server_start(struct imap_server *s, struct wire *out);
size_t imap_server_feed(struct imap_server *s, const char *in, size_t len, struct wire *out);
/* Something may have changed in the selected folder (another session
 * committed): in IDLE the untagged responses are written to out now;
 * otherwise they wait for the next command. */
void imap_server_poke(struct imap_server *s, struct wire *out);
bool imap_server_closed(const struct imap_server *s);
const char *imap_server_state_name(const struct imap_server *s);
/* The folder selected now, or NULL (for the host's notifications). */
const char *imap_server_selected(const struct imap_server *s);
/* The logged-in user, or NULL. */
const char *imap_server_user(const struct imap_server *s);
/* Was the selected folder (or the one being selected, while the host takes
 * its snapshot) opened with EXAMINE?  A read-only session changes nothing,
 * not even which messages are \Recent to other sessions (RFC 3501 6.3.2). */
bool imap_server_read_only(const struct imap_server *s);
/* STARTTLS (RFC 3501 6.2.1): after "TAG OK Begin TLS negotiation now" the
 * engine waits for the host's TLS handshake; bytes after the command in the
 * same feed were thrown away (CVE-2011-0411), and so is anything fed while
 * pending.  Then imap_server_tls_started(): tls_active is set, CAPABILITY no
 * longer lists STARTTLS nor LOGINDISABLED; nothing is sent. */
bool imap_server_tls_pending(const struct imap_server *s);
void imap_server_tls_started(struct imap_server *s);

/* ------------------------------------------------------------------ client */

enum imap_task {
	IMAP_TASK_SYNC,    /* LOGIN, LIST, SELECT INBOX, resync by UID, LOGOUT */
	IMAP_TASK_OPEN,    /* LOGIN, SELECT INBOX, resync, then IDLE until closed */
	IMAP_TASK_STORE,   /* ... UID STORE uid +FLAGS/-FLAGS (flag), LOGOUT */
	IMAP_TASK_CREATE,  /* ... CREATE folder, LOGOUT */
	IMAP_TASK_MOVE,    /* ... UID MOVE uid folder, LOGOUT */
	IMAP_TASK_DELETE,  /* ... UID STORE uid +FLAGS (\Deleted), UID EXPUNGE uid, LOGOUT */
	IMAP_TASK_APPEND,  /* ... APPEND folder (\Seen) {n}, LOGOUT */
};

/* What the device already knows of its INBOX. */
struct imap_known {
	uint32_t uid;
	uint32_t flags;
};

struct imap_client_config {
	const char *user, *password;
	enum imap_task task;
	uint32_t uidvalidity;          /* of the device's INBOX view, 0 if none */
	const struct imap_known *known; /* the device's INBOX view, UID order */
	size_t nknown;
	uint32_t uid;                  /* STORE, MOVE, DELETE: the message */
	const char *flag;              /* STORE: "\\Seen", "\\Flagged", "$Label1" */
	bool add;                      /* STORE: +FLAGS (true) or -FLAGS */
	const char *folder;            /* CREATE, MOVE target, APPEND target */
	const char *msg;               /* APPEND content */
	size_t msglen;
	bool starttls;                 /* if the greeting lists STARTTLS, use it first */
};

/* What the client learns, for the device's own store. */
struct imap_client_events {
	/* the folders the server listed (SYNC) */
	void (*folder)(void *ctx, const char *name, const char *special_use);
	/* the INBOX's UIDVALIDITY differs from the device's: drop its view */
	void (*reset)(void *ctx, uint32_t uidvalidity);
	/* a message the device did not have (content: the whole message) */
	void (*message)(void *ctx, uint32_t uid, uint32_t flags, const char *content, size_t len);
	/* a message's flags are now these */
	void (*flags)(void *ctx, uint32_t uid, uint32_t flags);
	/* a message is gone from the INBOX */
	void (*expunged)(void *ctx, uint32_t uid);
};

struct imap_client;

struct imap_client *imap_client_new(const struct imap_client_config *cfg,
				    const struct imap_client_events *ev, void *ctx);
void imap_client_free(struct imap_client *c);
void imap_client_feed(struct imap_client *c, const char *in, size_t len, struct wire *out);
/* End an OPEN task: DONE (leave IDLE), LOGOUT. */
void imap_client_close(struct imap_client *c, struct wire *out);
void imap_client_abort(struct imap_client *c, const char *why);
bool imap_client_done(const struct imap_client *c);
/* In IDLE for a long time: end IDLE (DONE) and start it again, so that
 * the server's autologout does not end the session (RFC 2177 3).  The
 * host calls it every IMAP_CLIENT_REIDLE_SECONDS while idling. */
#define IMAP_CLIENT_REIDLE_SECONDS (29 * 60)
void imap_client_refresh(struct imap_client *c, struct wire *out);
/* In IDLE, waiting for the server's news (an OPEN task). */
bool imap_client_idling(const struct imap_client *c);
const char *imap_client_error(const struct imap_client *c);
const char *imap_client_state_name(const struct imap_client *c);
/* APPEND: the UID the server gave the saved copy ([APPENDUID v uid],
 * RFC 4315), or 0 if it did not say. */
uint32_t imap_client_append_uid(const struct imap_client *c);
/* STARTTLS, with config starttls: the server said OK to STARTTLS and the
 * client waits for its host's TLS handshake; then imap_client_tls_started(),
 * which asks CAPABILITY again (RFC 3501 6.2.1) before logging in. */
bool imap_client_tls_pending(const struct imap_client *c);
void imap_client_tls_started(struct imap_client *c, struct wire *out);

/* ----------------------------------------------------------- raw sessions */

/* Has the response to the command the student typed last (tag = its
 * first word; NULL before the greeting) arrived: the tagged line with that
 * tag, or a "+" continuation request, or (for the greeting) one untagged
 * line?  Literals in the server's data ({n} then n octets) are skipped
 * over correctly.  Returns the bytes through that line, or 0. */
size_t imap_response_complete(const char *tag, const char *in, size_t len);

#endif
