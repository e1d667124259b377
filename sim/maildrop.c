/*
 * maildrop.c - the POP3 service of a mail server (port 110).
 *
 * The POP3 engine (protocols/pop3_server.c) knows the protocol; this file
 * gives it the maildrop: a user's INBOX in the store, locked while a session
 * is in the TRANSACTION state so that two sessions never delete under each
 * other (RFC 1939 8), and emptied of what was marked only at QUIT, in one
 * change of changes.c (an IMAP session on the INBOX hears of it then).
 * It exports its entry of the world's table of services.
 *
 * A POP3 unique-id is "UIDVALIDITY.UID" of the message in the INBOX: it
 * never changes and is never given to another message, which is exactly
 * what RFC 1939 7 asks of a unique-id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "pop3.h"
#include "world.h"

struct maildrop {
	struct world *w;
	struct host *srv;
	struct conn *c;
	struct pop3_server *eng;
	struct wire out;
	int64_t folder;      /* the locked INBOX */
	char user[256];      /* who holds the lock, "" if nobody */
	char address[256];   /* the account's address as the store spells it */
	size_t nmarked;      /* messages DELE marked in this session, not yet unmarked */
	bool quiet;          /* being freed: the trace hears no more of the session */
};

/* ---------------------------------------------------------------- locks */

static bool maildrop_locked(struct world *w, const char *user)
{
	for (size_t i = 0; i < w->nlocks; i++)
		if (strcasecmp(w->locks[i], user) == 0)
			return true;
	return false;
}

static void maildrop_lock_add(struct world *w, const char *user)
{
	w->locks = xrealloc(w->locks, (w->nlocks + 1) * sizeof *w->locks);
	w->locks[w->nlocks++] = xstrdup(user);
}

static void maildrop_lock_remove(struct world *w, const char *user)
{
	for (size_t i = 0; i < w->nlocks; i++) {
		if (strcasecmp(w->locks[i], user) == 0) {
			free(w->locks[i]);
			w->locks[i] = w->locks[--w->nlocks];
			return;
		}
	}
}

/* ---------------------------------------------------------------- ops */

static bool maildrop_auth(void *ctx, const char *user, const char *password)
{
	struct maildrop *m = ctx;
	struct store_account acct;
	if (store_account_find(m->w->store, user, &acct) != 0)
		return false;
	if (strcasecmp(acct.server, m->srv->name) != 0)
		return false; /* a user of another server */
	return store_account_auth(m->w->store, user, password) == 0;
}

static enum pop3_lock_result maildrop_lock(void *ctx, const char *user,
					   struct pop3_msg **msgs, size_t *n)
{
	struct maildrop *m = ctx;
	struct world *w = m->w;
	*msgs = NULL;
	*n = 0;
	if (maildrop_locked(w, user)) {
		world_event(w, m->srv->name, NULL, "pop3-in-use",
			    N_("one POP3 session at a time per maildrop: two sessions deleting "
			       "at once could lose mail (RFC 1939 8)"),
			    _("%s is locked by another session"), user);
		return POP3_LOCK_IN_USE;
	}
	struct store_account acct;
	struct store_folder f;
	struct store_message *list = NULL;
	size_t count = 0;
	if (store_account_find(w->store, user, &acct) != 0 ||
	    store_folder_find(w->store, acct.id, "INBOX", &m->folder) != 0 ||
	    store_folder_get(w->store, m->folder, &f) != 0 ||
	    store_folder_list(w->store, m->folder, &list, &count) != 0)
		return POP3_LOCK_ERROR;
	struct pop3_msg *v = xcalloc(count ? count : 1, sizeof *v);
	for (size_t i = 0; i < count; i++) {
		v[i].id = list[i].uid;
		v[i].size = (uint64_t)list[i].size;
		snprintf(v[i].uidl, sizeof v[i].uidl, "%u.%u", f.uidvalidity, list[i].uid);
	}
	free(list);
	*msgs = v;
	*n = count;
	snprintf(m->user, sizeof m->user, "%s", user);
	snprintf(m->address, sizeof m->address, "%s", acct.address);
	maildrop_lock_add(w, user);
	return POP3_LOCK_OK;
}

static void maildrop_unlock(void *ctx, const char *user)
{
	struct maildrop *m = ctx;
	maildrop_lock_remove(m->w, user);
	m->user[0] = '\0';
}

static bool maildrop_content(void *ctx, const char *user, const struct pop3_msg *msg,
			     struct buf *out)
{
	struct maildrop *m = ctx;
	(void)user;
	struct store_message sm;
	if (store_message_get(m->w->store, m->folder, msg->id, true, &sm) != 0)
		return false;
	buf_add(out, sm.content, sm.content_len);
	store_message_free(&sm);
	return true;
}

static bool maildrop_update(void *ctx, const char *user, const struct pop3_msg *const *dele,
			    size_t n)
{
	struct maildrop *m = ctx;
	struct world *w = m->w;
	if (n == 0)
		return true;
	/* RFC 1939 6: the UPDATE state removes every message marked deleted,
	 * all or nothing */
	bool ok = changes_begin(w);
	for (size_t i = 0; ok && i < n; i++) {
		ok = store_message_delete(w->store, m->folder, dele[i]->id) != STORE_ERROR;
		struct trace_mail tm = { .op = MAIL_REMOVE, .owner = m->address, .folder = "INBOX",
					 .uid = dele[i]->id };
		changes_mail(w, &tm, true);
	}
	/* an IMAP session on the same INBOX sees these as EXPUNGE */
	changes_touch(w, m->folder);
	ok = changes_end(w, ok);
	if (ok)
		world_event(w, m->srv->name, NULL, "pop3-deleted",
			    N_("POP3 download-and-delete: the messages are gone from the server; "
			       "from now on only the device that downloaded them has them"),
			    P_("%zu message removed from %s INBOX",
			       "%zu messages removed from %s INBOX", n),
			    n, user);
	return ok;
}

/* DELE's mark, or its end: session state, which the trace tells the
 * player (the mailboxes pane shows the message marked) and the store never
 * holds.  Told at once, before the response that explains it. */
static void maildrop_mark(void *ctx, const char *user, const struct pop3_msg *msg, bool marked)
{
	struct maildrop *m = ctx;
	(void)user;
	if (marked)
		m->nmarked++;
	else if (m->nmarked > 0)
		m->nmarked--;
	if (m->quiet)
		return;
	struct trace_mail tm = { .op = marked ? MAIL_MARK : MAIL_UNMARK, .owner = m->address,
				 .folder = "INBOX", .uid = msg->id };
	changes_mail(m->w, &tm, false);
}

static const struct pop3_server_ops maildrop_ops = {
	.auth = maildrop_auth,
	.lock = maildrop_lock,
	.unlock = maildrop_unlock,
	.content = maildrop_content,
	.update = maildrop_update,
	.mark = maildrop_mark,
};

/* ---------------------------------------------------------------- conn */

/* The session ends without QUIT (the client dropped it, or the server
 * closed it for idleness): nothing is deleted, and the marks DELE set are
 * forgotten, which an event says when there were any (RFC 1939 6). */
static void maildrop_end_without_quit(struct maildrop *m)
{
	size_t n = m->nmarked;
	pop3_server_abort(m->eng);
	if (n > 0)
		world_event(m->w, m->srv->name, NULL, "pop3-unmarked",
			    N_("the session ended without QUIT, so it never reached the UPDATE "
			       "state: nothing is deleted and the marks are gone (RFC 1939 6)"),
			    P_("%zu message marked by DELE stays in %s INBOX",
			       "%zu messages marked by DELE stay in %s INBOX", n),
			    n, m->address);
}

static void maildrop_idle_check(struct conn *c);

/* RFC 2595 4: after the handshake, STLS leaves CAPA and logins are
 * allowed (the engine sends nothing). */
static void maildrop_tls_started(struct conn *c)
{
	struct maildrop *m = c->ctx[SIDE_SERVER];
	if (m)
		pop3_server_tls_started(m->eng);
}

static void maildrop_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct maildrop *m = c->ctx[side];
	pop3_server_feed(m->eng, p, n, &m->out);
	if (pop3_server_tls_pending(m->eng) && net_tls_simulated(c))
		pop3_server_tls_started(m->eng); /* the handshake: the client's event */
	net_send(c, side, &m->out);
	if (pop3_server_closed(m->eng))
		net_close(c, side);
	else if (pop3_server_tls_pending(m->eng) && !net_start_tls(c, maildrop_tls_started))
		net_close(c, side); /* cannot happen: STLS is offered only where it can */
	else
		net_timer(c, SIDE_SERVER, POP3_SERVER_IDLE_TIMEOUT_US, maildrop_idle_check);
}

/* RFC 1939 3: a server may close a session idle for at least 10 minutes -
 * without entering UPDATE, so nothing is deleted. */
static void maildrop_idle_check(struct conn *c)
{
	struct maildrop *m = c->ctx[SIDE_SERVER];
	if (!m || !c->open[SIDE_SERVER])
		return;
	maildrop_end_without_quit(m);
	wire_line(&m->out,
		  N_("the client said nothing for 10 minutes: the server closes the "
		     "session without deleting anything (RFC 1939 3)"),
		  "-ERR autologout: idle for too long");
	net_send(c, SIDE_SERVER, &m->out);
	net_close(c, SIDE_SERVER);
}

static void maildrop_on_closed(struct conn *c, int side, const char *why)
{
	(void)why;
	maildrop_end_without_quit(c->ctx[side]);
	net_close(c, side);
}

static void maildrop_release(void *ctx)
{
	struct maildrop *m = ctx;
	if (!m)
		return;
	/* a session that ended without QUIT unlocks and deletes nothing; the
	 * world is being taken down, so the trace hears of no unmarking */
	m->quiet = true;
	pop3_server_free(m->eng);
	if (m->user[0])
		maildrop_lock_remove(m->w, m->user);
	wire_free(&m->out);
	free(m);
}

static const struct conn_ops maildrop_conn_ops = {
	.data = maildrop_on_data,
	.closed = maildrop_on_closed,
	.release = maildrop_release,
};

static void maildrop_accept(struct conn *c)
{
	struct maildrop *m = xcalloc(1, sizeof *m);
	m->w = c->w;
	m->srv = c->host[SIDE_SERVER];
	m->c = c;
	wire_init(&m->out);
	struct conn_tls tls = net_tls(c);
	struct pop3_server_config cfg = {
		.hostname = m->srv->name,
		.tls_offered = tls.offered,
		.tls_active = tls.active,
		.plaintext_auth = tls.plaintext_auth,
	};
	m->eng = pop3_server_new(&cfg, &maildrop_ops, m);
	c->ops[SIDE_SERVER] = &maildrop_conn_ops;
	c->ctx[SIDE_SERVER] = m;
	pop3_server_start(m->eng, &m->out);
	net_send(c, SIDE_SERVER, &m->out);
	net_timer(c, SIDE_SERVER, POP3_SERVER_IDLE_TIMEOUT_US, maildrop_idle_check);
}

const struct service maildrop_service = {
	.port = PORT_POP3, .proto = PROTO_POP3, .name = "POP3", .accept = maildrop_accept,
};
