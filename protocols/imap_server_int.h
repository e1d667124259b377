/*
 * imap_server_int.h - the insides of the IMAP server engine, shared by the
 * files of its family and by nothing else: the host and the tests see
 * only imap.h.  (SQLite keeps btree.c's insides in btreeInt.h the same way.)
 *
 * The family: imap_server.c (the session, the command table, feeding
 * bytes; its reading guide says what each of the others holds),
 * imap_server_view.c, imap_server_mailbox.c, imap_server_search.c,
 * imap_server_fetch.c and imap_server_selected.c.
 *
 * A function one file of the family calls in another is declared here,
 * with a line on what it does; everything else is static in its file.
 * All of them, like the public ones, start with imap_server_.
 */
#ifndef MAILSIM_IMAP_SERVER_INT_H
#define MAILSIM_IMAP_SERVER_INT_H

#include "imap.h"
#include "imap_parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A mailbox name, in octets (struct imap_folder holds 255 and a NUL). */
#define IMAP_SERVER_MAILBOX_MAX_OCTETS 255

#define IMAP_SERVER_NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ----------------------------------------------------------- the states */

enum imap_server_state {
	IMAP_SERVER_STATE_NOT_AUTHENTICATED, /* greeted; waiting for LOGIN or AUTHENTICATE */
	IMAP_SERVER_STATE_AUTHENTICATE,      /* AUTHENTICATE PLAIN said "+ ": credentials next */
	IMAP_SERVER_STATE_AUTHENTICATED,     /* logged in, no folder selected */
	IMAP_SERVER_STATE_SELECTED,          /* a folder is selected: its messages are numbered */
	IMAP_SERVER_STATE_IDLE,              /* IDLE: news is pushed until the client says DONE */
	IMAP_SERVER_STATE_LOGOUT,            /* said BYE: the host closes the connection */
};

/* ---------------------------------------------------------- the session */

struct imap_server {
	char *hostname;                 /* names itself in the greeting and at LOGOUT */
	bool tls_offered;               /* CAPABILITY may list STARTTLS (RFC 3501 6.2.1) */
	bool tls_active;                /* the connection is encrypted */
	bool tls_pending;               /* said OK to STARTTLS: the handshake is next */
	bool plaintext_auth;            /* logins allowed before TLS even if offered */
	struct imap_server_ops ops;     /* the host's store (any op may be NULL) */
	void *ctx;                      /* handed back to every op */

	enum imap_server_state state;   /* changed only by imap_server_enter_state() */
	enum imap_server_state idle_return; /* where DONE leads back: AUTHENTICATED or SELECTED */
	char *user;                     /* who logged in, or NULL */
	struct imap_framer framer;      /* cuts the byte stream into commands */
	char tag[IMAP_TAG_MAX_CHARS + 1]; /* the command being answered (or waiting) */
	bool expunge_ok;                /* EXPUNGE responses may go out now (RFC 3501 7.4.1) */

	/* The selected folder: non-NULL folder exactly in SELECTED (and in an
	 * IDLE begun there). */
	char *folder;                   /* its name, as the host knows it */
	bool read_only;                 /* EXAMINE, not SELECT */
	struct imap_folder info;        /* UIDVALIDITY, UIDNEXT... as last reported */
	struct imap_msg *view;          /* the messages the client knows, UID order */
	size_t nview, capview;
	uint64_t version;               /* ops->version when the view was last compared */
	uint32_t *gone;                 /* UIDs, ascending, of view messages the store no
					 * longer has (deferred EXPUNGEs); ngone > 0: the
					 * view is stale, compare again next time */
	size_t ngone, capgone;
	size_t nrecent;                 /* the last RECENT count the client was told */
	struct buf keywords;            /* the keywords FLAGS has named, space-separated */
	size_t nkeywords;               /* how many (at most IMAP_SERVER_FLAGS_KEYWORDS_MAX) */
	struct buf content;             /* scratch: one message's content */
};

/* The one door through which the state changes (leaving the selected
 * state lets the view go). */
void imap_server_enter_state(struct imap_server *s, enum imap_server_state next);

/* -------------------------------------------- responses (imap_server.c) */

/* One response line that was built in a buf (it may hold literals). */
void imap_server_send(struct wire *out, const char *note, const struct buf *b);
/* The tagged line that ends a command, after the news of the selected
 * folder: "TAG OK ...", "TAG NO ...", "TAG BAD ..." (note: for the trace). */
void imap_server_tagged(struct imap_server *s, struct wire *out, const char *status,
			const char *note, const char *fmt, ...) PRINTF_LIKE(5, 6);
#define imap_server_ok(s, out, ...) imap_server_tagged((s), (out), "OK", __VA_ARGS__)
#define imap_server_no(s, out, ...) imap_server_tagged((s), (out), "NO", __VA_ARGS__)
#define imap_server_bad(s, out, ...) imap_server_tagged((s), (out), "BAD", __VA_ARGS__)
/* A failed host operation on a folder, as NO with its RFC 5530 code. */
void imap_server_no_result(struct imap_server *s, struct wire *out, enum imap_result r);
/* The note of a BAD for arguments of the wrong shape. */
extern const char *const imap_server_note_syntax;
/* The note of NO [TRYCREATE] (APPEND, COPY and MOVE to a folder not there). */
extern const char *const imap_server_note_trycreate;

/* ------------------------------ mailbox names and flags (imap_server.c) */

/* A mailbox name from an astring argument, into name[] ("inbox" is INBOX,
 * a trailing "/" goes); false if it is no name. */
bool imap_server_mailbox(const struct imap_arg *a, char name[IMAP_SERVER_MAILBOX_MAX_OCTETS + 1]);
/* Append a flag list as responses show it: "(\Seen \Recent $Label1)". */
void imap_server_add_flags(struct buf *b, uint32_t flags, const char *keywords);
/* Does the space-separated list hold the keyword kw[0..n) (any case)? */
bool imap_server_has_keyword(const char *list, const char *kw, size_t n);
/* Append kw[0..n) to a keyword list of IMAP_KEYWORDS_MAX_OCTETS; false if
 * it does not fit. */
bool imap_server_add_keyword(char *list, const char *kw, size_t n);
/* A flag list as STORE and APPEND give it, as bits and keywords; false
 * with the reason in *err if it is not one. */
bool imap_server_parse_flags(const struct imap_arg *args, size_t n, uint32_t *flags,
			     char keywords[IMAP_KEYWORDS_MAX_OCTETS], const char **err);

/* ---------------------------------------- the view (imap_server_view.c) */

/* A run of messages of the view: indices [lo, hi). */
struct imap_server_span {
	size_t lo, hi;
};

/* The messages a command names, as sorted runs of the view. */
struct imap_server_set {
	struct imap_server_span *spans;
	size_t n;
	size_t count;      /* messages in all spans */
};

/* Every index i of the view that the set names, in view order. */
#define IMAP_SERVER_FOR_EACH(set, i)                                                 \
	for (size_t sp_ = 0; sp_ < (set)->n; sp_++)                                  \
		for (size_t i = (set)->spans[sp_].lo; i < (set)->spans[sp_].hi; i++)

/* Resolve a message set argument (sequence numbers, or UIDs for a UID
 * command) against the view into *set, or answer BAD and return false. */
bool imap_server_resolve_arg(struct imap_server *s, const struct imap_cmd *c,
			     const struct imap_arg *a, struct imap_server_set *set,
			     struct wire *out);
/* Load a message's content into s->content; false if it is gone. */
bool imap_server_load(struct imap_server *s, uint32_t uid);
/* Compare the view with the store and tell the client the difference
 * (pushed: in IDLE; may_expunge: EXPUNGE responses may go out now). */
void imap_server_resync(struct imap_server *s, struct wire *out, bool pushed, bool may_expunge);
/* Before a command maps its message set: catch up with other sessions. */
void imap_server_catch_up(struct imap_server *s, const struct imap_cmd *c, struct wire *out);
/* Is this UID gone from the store, its EXPUNGE not yet told? */
bool imap_server_is_gone(const struct imap_server *s, uint32_t uid);
/* NO [EXPUNGEISSUED]: some named messages were expunged by another session. */
void imap_server_no_expunged(struct imap_server *s, struct wire *out);
/* Keywords of a list that FLAGS has not named join s->keywords; true if any did. */
bool imap_server_learn_keywords(struct imap_server *s, const char *list);
/* "* FLAGS (...)": the system flags and every keyword named so far. */
void imap_server_send_flags(struct imap_server *s, struct wire *out, const char *note);
/* "* OK [PERMANENTFLAGS (...)]": the flags a client may set and keep
 * (none in a folder opened with EXAMINE). */
void imap_server_send_permanentflags(struct imap_server *s, struct wire *out);
/* A new keyword is in use: FLAGS and PERMANENTFLAGS again. */
void imap_server_announce_flags(struct imap_server *s, struct wire *out, bool pushed);
/* How many messages of the view are \Recent. */
size_t imap_server_count_recent(const struct imap_server *s);
/* The note of "* n EXPUNGE" as an answer gives it. */
extern const char *const imap_server_note_expunge;

/* ------------------------------------------------------------- commands */

/*
 * A command's proceed does its work and writes its responses, ending with
 * the tagged one; the table in imap_server.c says in which states each may
 * run and how many arguments it takes, and has checked both.  Each is
 * declared by its type, so all have the one signature.  A pair of commands
 * that differ in one choice shares a proceed, which tells them apart by
 * c->name: SELECT and EXAMINE, SUBSCRIBE and UNSUBSCRIBE, LIST and LSUB,
 * COPY and MOVE.
 */
typedef void imap_server_proceed_fn(struct imap_server *s, const struct imap_cmd *c,
				    struct wire *out);

/* the authenticated state (imap_server_mailbox.c) */
imap_server_proceed_fn imap_server_proceed_enable;
imap_server_proceed_fn imap_server_proceed_namespace;
imap_server_proceed_fn imap_server_proceed_select;
imap_server_proceed_fn imap_server_proceed_create;
imap_server_proceed_fn imap_server_proceed_delete;
imap_server_proceed_fn imap_server_proceed_rename;
imap_server_proceed_fn imap_server_proceed_subscribe;
imap_server_proceed_fn imap_server_proceed_list;
imap_server_proceed_fn imap_server_proceed_status;
imap_server_proceed_fn imap_server_proceed_append;

/* the selected state (imap_server_search.c, imap_server_fetch.c,
 * imap_server_selected.c) */
imap_server_proceed_fn imap_server_proceed_search;
imap_server_proceed_fn imap_server_proceed_fetch;
imap_server_proceed_fn imap_server_proceed_check;
imap_server_proceed_fn imap_server_proceed_close;
imap_server_proceed_fn imap_server_proceed_unselect;
imap_server_proceed_fn imap_server_proceed_expunge;
imap_server_proceed_fn imap_server_proceed_store;
imap_server_proceed_fn imap_server_proceed_copy;

#endif
