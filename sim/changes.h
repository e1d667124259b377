/*
 * changes.h - a change to the mailboxes, and who hears of it once it is
 * committed.
 *
 * A change (mail delivered, POP3's UPDATE, an IMAP STORE or MOVE...) is one
 * store transaction: changes_begin() opens it, changes_end() closes it.  In
 * between, the code that changes things says which folders it touched
 * (changes_touch) and what the player's mailbox pane should learn
 * (changes_mail, pending).  Nobody hears of it before the commit, so no
 * one ever sees what might still be rolled back:
 *
 *   committed    the mailbox changes go to the trace, each touched
 *                folder's version goes up, then the listener (the IMAP
 *                service, which pokes every session that has such a
 *                folder selected) hears which folders changed;
 *   rolled back  all of it is forgotten.
 *
 *   changes.c    this; the state lives in struct world (w->changes)
 */
#ifndef MAILSIM_CHANGES_H
#define MAILSIM_CHANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct world;
struct trace_mail;

/* Told of the folders a committed change touched (n may be 0). */
typedef void (*changes_listener_fn)(struct world *w, const int64_t *folders, size_t n);

struct changes {
	struct changes_version {
		int64_t folder;
		uint64_t version;      /* goes up with every committed change */
	} *versions;
	size_t nversions;
	int64_t *touched;              /* folders changed by the open change */
	size_t ntouched;
	struct trace_mail *pending;    /* mailbox changes waiting for the commit */
	size_t npending;
	bool open;                     /* changes_begin() opened a transaction */
	changes_listener_fn listener;  /* the IMAP service's, once it has a session */
};

/* Open a change (a store transaction): false if the store refused (then
 * nothing is open, and changes_end(w, false) only forgets).  Changes do
 * not nest. */
bool changes_begin(struct world *w);
/* Close it: commit if ok (a commit that fails leaves nothing saved), else
 * roll back; then tell the trace and the listener, or forget.  True if the
 * change stands. */
bool changes_end(struct world *w, bool ok);

/* The open change touches this folder. */
void changes_touch(struct world *w, int64_t folder);
/* A mailbox change for the trace (the player's mailbox pane).  pending:
 * part of the open change, told at its commit; else told now.  The
 * strings are copied. */
void changes_mail(struct world *w, const struct trace_mail *m, bool pending);
/* The same for a message in the store: ADD with its content, read back. */
void changes_mail_stored(struct world *w, const char *owner, const char *folder,
			 int64_t folder_id, uint32_t uid, bool pending);

/* The folder's version (1 until its first committed change). */
uint64_t changes_version(struct world *w, int64_t folder);
/* Who hears of committed changes (one listener; set again, replaced). */
void changes_listen(struct world *w, changes_listener_fn fn);

/* At the end: forget everything, telling nobody. */
void changes_free(struct world *w);

#endif
