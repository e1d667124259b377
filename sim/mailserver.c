/*
 * mailserver.c - what a mail server host does around its SMTP engine.
 *
 * The engine (protocols/smtp_server.c) knows the protocol; this file knows
 * the *policy* of one server in the world:
 *
 *   - port 587 (submission): users log in with AUTH and may send anywhere,
 *     and a message without Date: or Message-ID: gets them (RFC 6409 8);
 *   - port 25 (SMTP): mail is accepted only for the server's own domains
 *     (anything else is a relay attempt, refused with 554 5.7.1), and an
 *     unknown local user is refused at RCPT with 550 5.1.1;
 *   - accepted mail for a local user goes into the INBOX in the store; mail
 *     for another domain goes into the relay queue, in the same transaction,
 *     and only after the commit does the client hear 250;
 *   - the queue runner asks DNS for the MX, relays over SMTP, retries a
 *     temporary failure with back-off, and bounces a permanent one (or one
 *     that ran out of retries) to the sender as a delivery status
 *     notification (RFC 3464) from MAILER-DAEMON;
 *   - queue ids and Message-ID numbers come from counters in the store, so
 *     they never repeat, not even when a --db store is started again.
 *   - what the store could not record is never taken as done: a failed
 *     commit after DATA is answered 451, and a relay attempt the queue
 *     could not record leaves the entry queued as it was.
 *
 * It exports two entries of the world's table of services (25 and 587,
 * one engine); each delivery is one change of changes.c, so the IMAP
 * sessions hear of new mail only once it is committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "i18n.h"
#include "mime.h"
#include "smtp.h"
#include "world.h"

/* ================================================================ helpers */

#define MAILSERVER_JUNK "Junk" /* where DMARC's p=quarantine puts mail */

/* Is domain one of those the server serves? */
static bool mailserver_is_local(const struct host *srv, const char *domain)
{
	for (size_t i = 0; i < srv->ndomains; i++)
		if (strcasecmp(srv->domains[i], domain) == 0)
			return true;
	return false;
}

static int64_t mailserver_unix_now(struct world *w)
{
	return world_unix_now(w);
}

/* The local account a recipient's mail goes to, or false if there is none.
 * RFC 5321 4.5.1: every domain must accept mail for "postmaster" (and the
 * bare <Postmaster>); here it reaches the domain's first declared user. */
static bool mailserver_local_account(struct world *w, const struct host *srv, const char *rcpt,
				     struct store_account *acct)
{
	if (store_account_find(w->store, rcpt, acct) == 0)
		return strcasecmp(acct->server, srv->name) == 0;
	const char *at = strchr(rcpt, '@');
	size_t local = at ? (size_t)(at - rcpt) : strlen(rcpt);
	if (local != 10 || strncasecmp(rcpt, "postmaster", 10) != 0)
		return false;
	const char *domain = at ? at + 1 : (srv->ndomains ? srv->domains[0] : "");
	for (size_t i = 0; i < w->scn->nusers; i++) {
		const char *d = mime_addr_domain(w->scn->users[i].address);
		if (d && strcasecmp(d, domain) == 0)
			return store_account_find(w->store, w->scn->users[i].address, acct) == 0;
	}
	return false;
}

/* The folder a verifying server puts quarantined mail in (RFC 7489 6.3:
 * "treat with suspicion"), made with the \Junk special use (RFC 6154)
 * the first time it is needed.  0, or -1. */
static int mailserver_junk_folder(struct world *w, int64_t account, int64_t *folder)
{
	if (store_folder_find(w->store, account, MAILSERVER_JUNK, folder) == 0)
		return 0;
	return store_folder_create(w->store, account, MAILSERVER_JUNK, "\\Junk", folder) == 0
		       ? 0
		       : -1;
}

/* Deliver a message into a local user's INBOX (or Junk, when junk is
 * true); part of the caller's transaction.  The final server adds
 * Return-Path: with the envelope sender (RFC 5321 4.4): the one header
 * that tells where a bounce would go.  auth: what a verifying server found
 * (its Authentication-Results: header is already in msg), or NULL.
 * Returns the UID, or 0 on failure. */
static uint32_t mailserver_store_local(struct world *w, const struct host *srv, const char *rcpt,
				       const char *mail_from, const char *msg, size_t len,
				       bool junk, const char *auth)
{
	struct store_account acct;
	int64_t folder;
	uint32_t uid = 0;
	if (!mailserver_local_account(w, srv, rcpt, &acct))
		return 0;
	if (junk ? mailserver_junk_folder(w, acct.id, &folder) != 0
		 : store_folder_find(w->store, acct.id, "INBOX", &folder) != 0)
		return 0;
	struct buf full;
	buf_init(&full);
	buf_printf(&full, "Return-Path: <%s>\r\n", mail_from);
	buf_add(&full, msg, len);
	struct world_summary s;
	world_summary_parse(&s, full.p, full.len);
	if (store_message_add(w->store, folder, full.p, full.len, mailserver_unix_now(w), 0,
			      &s.sum, &uid) != 0) {
		uid = 0;
	} else {
		changes_touch(w, folder); /* IMAP sessions hear of it at commit */
		struct trace_mail tm = {
			.op = MAIL_ADD, .owner = acct.address,
			.folder = junk ? MAILSERVER_JUNK : "INBOX", .uid = uid,
			.from = s.sum.from, .subject = s.sum.subject,
			.content = full.p, .content_len = full.len, .auth = auth,
		};
		changes_mail(w, &tm, true);
	}
	world_summary_free(&s);
	buf_free(&full);
	return uid;
}

/*
 * Ids that must never repeat come from counters kept in the store (the
 * table counters), not in memory: a server started again on the same --db
 * file goes on where it stopped, so a second bounce never carries the
 * first one's Message-ID (RFC 5322 3.6.4: it MUST be unique).  In a store
 * kept in memory each counter starts at 1, so a simulation played again
 * gives the same bytes.
 */
#define MAILSERVER_COUNTER_QUEUE "queue"
#define MAILSERVER_COUNTER_MESSAGE_ID "message-id"

/* A Postfix-like hexadecimal queue id: deterministic, never repeated.  Part
 * of the caller's transaction, if any.  0, or -1 (store_error() says why). */
static int mailserver_next_queue_id(struct world *w, char *id, size_t n)
{
	uint64_t k;
	if (store_counter_next(w->store, MAILSERVER_COUNTER_QUEUE, &k) != 0)
		return -1;
	snprintf(id, n, "%08llX", (unsigned long long)(0x1A2B0000u + k));
	return 0;
}

int mailserver_next_message_number(struct world *w, uint64_t *k)
{
	return store_counter_next(w->store, MAILSERVER_COUNTER_MESSAGE_ID, k);
}

/* "20260302090000": the date and time (UTC) that begins the Message-IDs a
 * server writes, as Postfix does.  With the number after it, it keeps ids
 * apart even between two runs that each start a store in memory (live mode
 * without --db), and in the simulation the clock is the same every run. */
static void mailserver_id_stamp(char *stamp, size_t n, int64_t unix_seconds)
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;
	snprintf(stamp, n, "0");
	if (gmtime_r(&t, &tm))
		strftime(stamp, n, "%Y%m%d%H%M%S", &tm);
}

/* ================================================================ bounces */

/* Send a delivery status notification for the failed recipients of a
 * message back to its envelope sender. */
static void mailserver_bounce(struct world *w, struct host *srv, const char *sender,
			      const struct mime_dsn_rcpt *rcpts, size_t n,
			      const char *original, size_t original_len,
			      int64_t arrival, const char *why)
{
	struct buf list;
	buf_init(&list);
	for (size_t i = 0; i < n; i++)
		buf_printf(&list, "%s%s (%s)", i ? ", " : "", rcpts[i].addr, rcpts[i].status);

	if (sender[0] == '\0') {
		/* RFC 5321 6.1: never bounce a bounce (null reverse-path), or two
		 * servers could bounce to each other forever. */
		world_event(w, srv->name, NULL, "bounce-dropped",
			    N_("a bounce that cannot be delivered is not bounced again: "
			       "its envelope sender is empty (<>)"),
			    _("undeliverable bounce for %s dropped"), list.p);
		buf_free(&list);
		return;
	}
	const char *sender_domain = mime_addr_domain(sender);
	const char *pm_domain = srv->ndomains ? srv->domains[0] : srv->name;
	if (sender_domain && mailserver_is_local(srv, sender_domain))
		pm_domain = sender_domain;

	char msgid[128], boundary[64];
	uint64_t k;
	if (mailserver_next_message_number(w, &k) != 0) {
		world_event(w, srv->name, NULL, "bounce-dropped", NULL,
			    _("bounce for %s could not be numbered: %s"), sender,
			    store_error(w->store));
		buf_free(&list);
		return;
	}
	char stamp[32];
	mailserver_id_stamp(stamp, sizeof stamp, mailserver_unix_now(w));
	snprintf(msgid, sizeof msgid, "<%s.bounce.%llu@%s>", stamp, (unsigned long long)k,
		 srv->name);
	snprintf(boundary, sizeof boundary, "%llu.%s/report", (unsigned long long)k, srv->name);
	struct mime_dsn d = {
		.reporting_mta = srv->name,
		.postmaster_domain = pm_domain,
		.to = sender,
		.explanation = why,
		.rcpts = rcpts,
		.nrcpts = n,
		.original = original,
		.original_len = original_len,
		.arrival_date = arrival,
		.date = mailserver_unix_now(w),
		.message_id = msgid,
		.boundary = boundary,
	};
	struct buf dsn;
	buf_init(&dsn);
	mime_dsn(&dsn, &d);

	world_event(w, srv->name, sender, "bounce",
		    N_("the server that gives up tells the sender: a bounce (delivery status "
		       "notification, RFC 3464) from MAILER-DAEMON, quoting the reason"),
		    _("bounce to %s: %s"), sender, list.p);

	if (sender_domain && mailserver_is_local(srv, sender_domain)) {
		bool began = changes_begin(w);
		uint32_t uid = 0;
		if (began)
			uid = mailserver_store_local(w, srv, sender, "", dsn.p, dsn.len, false,
						     NULL);
		if (changes_end(w, uid != 0)) {
			world_event(w, srv->name, NULL, "delivered", NULL,
				    _("bounce delivered to %s INBOX (uid %u)"), sender, uid);
		} else {
			world_event(w, srv->name, NULL, "bounce-dropped", NULL,
				    _("bounce for %s could not be stored: %s"), sender,
				    began && !uid ? _("no such mailbox") : store_error(w->store));
		}
	} else if (sender_domain) {
		/* the sender is elsewhere: the bounce travels like any mail, with
		 * the null reverse-path */
		int64_t id;
		const char *rcpt = sender;
		if (store_queue_add(w->store, srv->name, sender_domain, "", &rcpt, 1,
				    dsn.p, dsn.len, mailserver_unix_now(w),
				    w->loop.now_us, &id) == 0) {
			world_event(w, srv->name, NULL, "queued", NULL,
				    _("bounce queued for %s"), sender_domain);
			mailserver_queue_schedule(w, srv, id, w->loop.now_us);
		} else {
			world_event(w, srv->name, NULL, "bounce-dropped", NULL,
				    _("bounce for %s could not be queued: %s"), sender,
				    store_error(w->store));
		}
	}
	buf_free(&dsn);
	buf_free(&list);
}

/* ================================================================ SMTP in */

/*
 * What the submission server adds to a message (RFC 6409 8): a user agent
 * may leave out Date: and Message-ID:, which RFC 5322 3.6 requires (3.6.1)
 * or wants (3.6.4), and the MSA that takes the message puts them in -- Date:
 * MAY (8.2), Message-ID: SHOULD (8.3).  Like Postfix, it adds them at the end
 * of the header, after what the user wrote.  The Message-ID is
 * <YYYYMMDDhhmmss.QUEUEID@server>, as Postfix writes it: the queue id never
 * repeats (see mailserver_next_queue_id), so neither does the Message-ID,
 * and in the simulation it is the same on every run.
 */
static void mailserver_submission_complete(struct buf *out, const struct host *srv,
					   const char *qid, int64_t now, const char *msg,
					   size_t len)
{
	struct buf v;
	buf_init(&v);
	bool has_date = mime_header_get(msg, len, "Date", &v);
	bool has_id = mime_header_get(msg, len, "Message-ID", &v);
	buf_free(&v);
	size_t at = mime_header_end(msg, len);
	buf_add(out, msg, at);
	if (at > 0 && msg[at - 1] != '\n')
		buf_adds(out, "\r\n"); /* a last header line without its line end */
	if (!has_date) {
		buf_adds(out, "Date: ");
		mime_format_date(out, now);
		buf_adds(out, "\r\n");
	}
	if (!has_id) {
		char stamp[32];
		mailserver_id_stamp(stamp, sizeof stamp, now);
		buf_printf(out, "Message-ID: <%s.%s@%s>\r\n", stamp, qid, srv->name);
	}
	if (at == len)
		buf_adds(out, "\r\n"); /* all header: the empty line that ends it */
	buf_add(out, msg + at, len - at);
}

struct smtp_in {
	struct world *w;
	struct host *srv;
	struct conn *c;
	struct smtp_server *eng;
	struct wire out;
	int64_t last_activity_us;
	bool drop;                 /* an injected fault: hang up without a reply */
};

static bool smtp_in_auth(void *ctx, const char *user, const char *password)
{
	struct smtp_in *s = ctx;
	struct store_account acct;
	if (store_account_find(s->w->store, user, &acct) != 0)
		return false;
	if (strcmp(acct.server, s->srv->name) != 0)
		return false; /* a user of another server */
	return store_account_auth(s->w->store, user, password) == 0;
}

static bool smtp_in_mail(void *ctx, const struct smtp_envelope *env, const char *from,
			 struct smtp_reply *reply)
{
	struct smtp_in *s = ctx;
	/* On submission a logged-in user sends as herself: otherwise anyone
	 * with an account could put any sender on the envelope (Postfix calls
	 * this reject_sender_login_mismatch). */
	if (world_port_service(s->c->port) == PORT_SUBMISSION && env->auth_user &&
	    strcasecmp(from, env->auth_user)) {
		smtp_reply_set(reply, 553, "5.7.1",
			       N_("on the submission port the envelope sender must be the address "
				  "the user logged in as"),
			       "<%s>: Sender address rejected: not owned by user %s", from,
			       env->auth_user);
		return false;
	}
	return true;
}

static bool smtp_in_rcpt(void *ctx, const struct smtp_envelope *env, const char *rcpt,
			 struct smtp_reply *reply)
{
	struct smtp_in *s = ctx;
	struct world_faults *f = &s->w->faults;
	if (f->rcpt_451_every && ++f->rcpts % f->rcpt_451_every == 0) {
		smtp_reply_set(reply, 451, "4.3.0",
			       N_("a fault injected for the lab: 4xx means try again later, so a "
				  "good client keeps the message and retries this recipient"),
			       "<%s>: Temporary failure, try again later (injected fault)", rcpt);
		world_event(s->w, s->srv->name, s->c->host[SIDE_CLIENT]->name, "fault",
			    N_("injected: a temporary failure the client must cope with"),
			    _("451 for <%s>"), rcpt);
		return false;
	}
	const char *domain = mime_addr_domain(rcpt);
	struct store_account pm;
	if (!domain && mailserver_local_account(s->w, s->srv, rcpt, &pm))
		return true; /* the bare <Postmaster> of RFC 5321 4.1.1.3 */
	if (!domain) {
		smtp_reply_set(reply, 501, "5.1.3", NULL,
			       "<%s>: Recipient address rejected: need fully-qualified address", rcpt);
		return false;
	}
	if (mailserver_is_local(s->srv, domain)) {
		struct store_account acct;
		if (mailserver_local_account(s->w, s->srv, rcpt, &acct))
			return true;
		smtp_reply_set(reply, 550, "5.1.1",
			       N_("550 is a permanent failure: no mailbox of that name here. "
				  "The sender's server will not retry; it bounces the message"),
			       "<%s>: recipient rejected", rcpt);
		return false;
	}
	if (world_port_service(s->c->port) == PORT_SUBMISSION && env->auth_user) {
		/* An authenticated user may send anywhere.  The 250 promises only
		 * to pass the mail on: this server cannot know who exists at the
		 * other domain, so a mistyped address is found out later, by the
		 * receiving server, and comes back as a bounce. */
		smtp_reply_set(reply, 250, "2.1.5",
			       N_("250: accepted for relay - this server does not serve that "
				  "domain and cannot know its users; it only promises to pass the "
				  "mail on, so a mistyped address is found out only later (by the "
				  "receiving server, or when the domain has no mail server) and "
				  "comes back as a bounce"),
			       "Ok");
		return true;
	}
	smtp_reply_set(reply, 554, "5.7.1",
		       N_("port 25 takes mail only for this server's own domains: passing "
			  "mail on for strangers would make it an open relay for spam"),
		       "<%s>: Relay access denied", rcpt);
	return false;
}

/* The client's address as the server sees it: a simulated host's, or a
 * live client's real one (its host is named ADDRESS:PORT, sim/sock.c). */
static void mailserver_client_address(const struct conn *c, char *addr, size_t n)
{
	const struct host *client = c->host[SIDE_CLIENT];
	if (!c->transport->real_client) {
		snprintf(addr, n, "%s", client->addr);
		return;
	}
	const char *name = client->name;
	const char *colon = strrchr(name, ':');
	size_t len = colon ? (size_t)(colon - name) : strlen(name);
	if (len >= 2 && name[0] == '[' && name[len - 1] == ']') { /* [IPv6]:PORT */
		name++;
		len -= 2;
	}
	snprintf(addr, n, "%.*s", (int)len, name);
}

/*
 * The TCP-info of the Received: line (RFC 5321 4.4): who the client is as
 * the server saw the connection, next to the name it gave in EHLO, which
 * anyone can make up.
 *
 *  - Live mode: the socket's peer address as an address literal,
 *    "(localhost [127.0.0.1])".  A loopback address (127.0.0.0/8, ::1) is
 *    given the name localhost, which RFC 6761 6.3 reserves for it, so no DNS
 *    lookup is needed; any other address goes alone, "([addr])", since this
 *    server does no reverse lookups.  The port is not part of TCP-info.
 *  - The simulation: each host has a simulated address from the
 *    documentation ranges (world.h), given as live mode gives the real
 *    one: "(alice-laptop [192.0.2.1])".  A host without one (past the
 *    range's 254) gives its name alone.
 */
static void mailserver_tcp_info(struct buf *out, const struct conn *c)
{
	const struct host *client = c->host[SIDE_CLIENT];
	if (!c->transport->real_client) {
		mime_received_tcp_info(out, client->name, client->addr[0] ? client->addr : NULL);
		return;
	}
	char addr[64];
	mailserver_client_address(c, addr, sizeof addr);
	bool loopback = strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
	mime_received_tcp_info(out, loopback ? "localhost" : NULL, addr);
}

/* "delivered" for one recipient, with what a verifying server found. */
static void mailserver_delivered_event(struct world *w, const struct host *srv, const char *qid,
				       const char *rcpt, const struct auth_result *ar)
{
	struct buf text;
	buf_init(&text);
	bool junk = ar && ar->quarantine;
	buf_printf(&text, junk ? _("%s: delivered to %s Junk") : _("%s: delivered to %s INBOX"),
		   qid, rcpt);
	struct trace_rec r = {
		.t_us = w->loop.now_us,
		.from = srv->name,
		.proto = PROTO_NONE,
		.event = "delivered",
		.text = text.p,
		.text_len = text.len,
		.note = junk ? N_("DMARC p=quarantine: the message failed DMARC, so the server "
				  "accepts it but files it in the recipient's Junk folder")
			     : N_("the mail is in the recipient's mailbox on the server, "
				  "waiting for POP3 or IMAP to read it"),
		.arrive_us = w->loop.now_us,
		.auth = ar ? ar->summary : NULL,
	};
	trace_emit(&w->trace, &r);
	buf_free(&text);
}

struct smtp_in;
static void mailserver_verify(struct smtp_in *s, const struct smtp_envelope *env, const char *msg,
			      size_t len);
static void mailserver_take(struct smtp_in *s, const struct smtp_envelope *env, const char *msg,
			    size_t len, struct smtp_reply *reply, const struct auth_result *ar);

static void smtp_in_data(void *ctx, const struct smtp_envelope *env, const char *msg,
			 size_t len, struct smtp_reply *reply)
{
	struct smtp_in *s = ctx;
	struct world *w = s->w;
	struct world_faults *f = &w->faults;
	if (f->drop_data_every && ++f->datas % f->drop_data_every == 0) {
		/* the connection drops before the server took the message: the
		 * client never hears 250, and must send it again */
		world_event(w, s->srv->name, s->c->host[SIDE_CLIENT]->name, "fault",
			    N_("injected: the connection drops after DATA and before the reply; "
			       "nothing was stored, so a good client sends the message again"),
			    "%s", _("connection dropped after the final \".\""));
		s->drop = true;
		smtp_reply_set(reply, 451, "4.3.0", NULL, "dropped");
		return;
	}
	bool spf, dkim, dmarc;
	if (s->c->port == PORT_SMTP && auth_verifies(w, s->srv, &spf, &dkim, &dmarc)) {
		mailserver_verify(s, env, msg, len);
		reply->deferred = true; /* answered when the checks are done */
		return;
	}
	mailserver_take(s, env, msg, len, reply, NULL);
}

/* Take a message in: local delivery and the relay queue, one transaction;
 * reply filled.  ar: a verifying server's results (an
 * Authentication-Results: header on top; DMARC's quarantine to Junk), or
 * NULL. */
static void mailserver_take(struct smtp_in *s, const struct smtp_envelope *env, const char *msg,
			    size_t len, struct smtp_reply *reply, const struct auth_result *ar)
{
	struct world *w = s->w;
	/* One transaction: the queue id, local deliveries and queue entries
	 * together. */
	bool ok = changes_begin(w);
	char qid[32] = "";
	if (ok)
		ok = mailserver_next_queue_id(w, qid, sizeof qid) == 0;

	/* Every server that handles a message adds its Received: line on top
	 * (RFC 5321 4.4): read from the bottom up, they are the route. */
	struct buf full;
	buf_init(&full);
	/* RFC 8601 5: the verifier's header goes on top, above its Received: */
	if (ar)
		buf_printf(&full, "Authentication-Results: %s\r\n", ar->header);
	/* RFC 3848 names the way the message came: ESMTP, plus S when the
	 * session was inside TLS, plus A when the client logged in with AUTH
	 * (`expect ... has submitted` looks for ESMTPA or ESMTPSA) */
	static const char *const with[2][2] = {{"ESMTP", "ESMTPA"}, {"ESMTPS", "ESMTPSA"}};
	const char *proto = with[s->c->tls ? 1 : 0][env->auth_user ? 1 : 0];
	struct buf tcp_info;
	buf_init(&tcp_info);
	mailserver_tcp_info(&tcp_info, s->c);
	mime_received(&full, env->helo ? env->helo : "unknown", tcp_info.p, s->srv->name, proto,
		      qid, env->nrcpts == 1 ? env->rcpts[0] : NULL, mailserver_unix_now(w));
	buf_free(&tcp_info);
	if (ok && world_port_service(s->c->port) == PORT_SUBMISSION)
		mailserver_submission_complete(&full, s->srv, qid, mailserver_unix_now(w), msg, len);
	else
		buf_add(&full, msg, len);
	/* the domain's key signs what its users submit (RFC 6376 2.1: the
	 * signer is the domain's own server) */
	if (ok && s->c->port == PORT_SUBMISSION)
		auth_sign(w, s->srv, env->auth_user, &full);

	int64_t *queued = xcalloc(env->nrcpts, sizeof *queued);
	size_t nqueued = 0;
	int64_t *delivered = xcalloc(env->nrcpts, sizeof *delivered);
	size_t ndelivered = 0;
	for (size_t i = 0; ok && i < env->nrcpts; i++) {
		const char *domain = mime_addr_domain(env->rcpts[i]);
		/* the same recipient twice gets one copy */
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcasecmp(env->rcpts[j], env->rcpts[i]) == 0;
		if (dup)
			continue;
		if (!domain || mailserver_is_local(s->srv, domain)) {
			/* two names of one mailbox (postmaster and its owner) get one copy */
			struct store_account acct;
			bool again = false;
			if (mailserver_local_account(w, s->srv, env->rcpts[i], &acct)) {
				for (size_t k = 0; k < ndelivered && !again; k++)
					again = delivered[k] == acct.id;
				delivered[ndelivered++] = acct.id;
			}
			if (!again)
				ok = mailserver_store_local(w, s->srv, env->rcpts[i], env->mail_from,
							    full.p, full.len, ar && ar->quarantine,
							    ar ? ar->summary : NULL) != 0;
			continue;
		}
		/* one queue entry per destination domain: all its recipients go
		 * in one SMTP transaction to that domain's MX */
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++) {
			const char *d2 = mime_addr_domain(env->rcpts[j]);
			seen = d2 && domain && strcasecmp(d2, domain) == 0;
		}
		if (seen)
			continue;
		const char **group = xcalloc(env->nrcpts, sizeof *group);
		size_t ng = 0;
		for (size_t j = i; j < env->nrcpts; j++) {
			const char *d2 = mime_addr_domain(env->rcpts[j]);
			if (d2 && domain && strcasecmp(d2, domain) == 0)
				group[ng++] = env->rcpts[j];
		}
		ok = store_queue_add(w->store, s->srv->name, domain ? domain : "", env->mail_from,
				     group, ng, full.p, full.len, mailserver_unix_now(w),
				     w->loop.now_us, &queued[nqueued]) == 0;
		if (ok)
			nqueued++;
		free(group);
	}
	ok = changes_end(w, ok);

	if (!ok) {
		/* nothing was kept: the client must try again (RFC 5321 4.2.5) */
		smtp_reply_set(reply, 451, "4.3.0", NULL,
			       "Error: queue file write error, try again later");
		world_event(w, s->srv->name, NULL, "store-error", NULL, "%s",
			    store_error(w->store));
	} else {
		smtp_reply_set(reply, 250, "2.0.0",
			       N_("250 after the data: the server now holds the message and is "
				  "responsible for it (it was committed before this reply)"),
			       "Ok: queued as %s", qid);
		for (size_t i = 0; i < env->nrcpts; i++) {
			const char *domain = mime_addr_domain(env->rcpts[i]);
			bool dup = false;
			for (size_t j = 0; j < i && !dup; j++)
				dup = strcasecmp(env->rcpts[j], env->rcpts[i]) == 0;
			if (!dup && (!domain || mailserver_is_local(s->srv, domain)))
				mailserver_delivered_event(w, s->srv, qid, env->rcpts[i], ar);
		}
		for (size_t i = 0; i < nqueued; i++) {
			struct store_queue_entry e;
			if (store_queue_get(w->store, queued[i], &e) != STORE_OK) {
				/* committed: relay it, though it cannot be shown here */
				mailserver_queue_schedule(w, s->srv, queued[i], w->loop.now_us);
				continue;
			}
			struct buf rl;
			buf_init(&rl);
			for (size_t j = 0; j < e.nrcpts; j++)
				buf_printf(&rl, "%s%s", j ? ", " : "", e.rcpts[j]);
			world_event(w, s->srv->name, NULL, "queued",
				    N_("mail for another domain waits in the queue until this "
				       "server relays it to that domain's MX"),
				    _("%s: queued for %s: %s"), qid, e.domain, rl.p);
			buf_free(&rl);
			store_queue_entry_free(&e);
			mailserver_queue_schedule(w, s->srv, queued[i], w->loop.now_us);
		}
	}
	free(queued);
	free(delivered);
	buf_free(&full);
}

/* A message whose reply waits for the checks: a copy of what the engine
 * handed over (its strings live only during the data op). */
struct smtp_in_verify {
	struct conn *c;
	char *helo, *mail_from, *auth_user;
	char **rcpts;
	size_t nrcpts;
	bool body_8bit;
	struct buf msg;
};

static void mailserver_verified(struct world *w, void *arg, const struct auth_result *ar);

static void mailserver_verify(struct smtp_in *s, const struct smtp_envelope *env, const char *msg,
			      size_t len)
{
	struct smtp_in_verify *v = xcalloc(1, sizeof *v);
	v->c = s->c;
	v->helo = env->helo ? xstrdup(env->helo) : NULL;
	v->mail_from = xstrdup(env->mail_from ? env->mail_from : "");
	v->auth_user = env->auth_user ? xstrdup(env->auth_user) : NULL;
	v->rcpts = xcalloc(env->nrcpts + 1, sizeof *v->rcpts);
	for (size_t i = 0; i < env->nrcpts; i++)
		v->rcpts[i] = xstrdup(env->rcpts[i]);
	v->nrcpts = env->nrcpts;
	v->body_8bit = env->body_8bit;
	buf_init(&v->msg);
	buf_add(&v->msg, msg, len);
	char addr[64];
	mailserver_client_address(s->c, addr, sizeof addr);
	s->c->pending++; /* the connection stays until the checks are done */
	auth_verify_start(s->w, s->srv, addr, env->helo, env->mail_from, msg, len,
			  mailserver_verified, v);
}

static void mailserver_verify_free(struct smtp_in_verify *v)
{
	free(v->helo);
	free(v->mail_from);
	free(v->auth_user);
	for (size_t i = 0; i < v->nrcpts; i++)
		free(v->rcpts[i]);
	free(v->rcpts);
	buf_free(&v->msg);
	free(v);
}

/* The checks are done: refuse (DMARC p=reject) or take the message, and
 * send the reply the engine has been holding. */
static void mailserver_verified(struct world *w, void *arg, const struct auth_result *ar)
{
	struct smtp_in_verify *v = arg;
	struct conn *c = v->c;
	struct smtp_in *s = c->ctx[SIDE_SERVER];
	c->pending--;
	if (!s || !c->open[SIDE_SERVER]) {
		/* the client went away before the reply: nothing was stored */
		mailserver_verify_free(v);
		net_maybe_release(c);
		return;
	}
	world_event(w, s->srv->name, NULL, "auth",
		    N_("the receiving server's checks: SPF (may the client's address send for "
		       "the MAIL FROM domain?), DKIM (does the signature verify with the key in "
		       "DNS?) and DMARC (does one of them pass for the From: domain, and what "
		       "does its policy ask?)"),
		    "%s", ar->detail);
	struct smtp_reply reply = {0};
	if (ar->reject) {
		/* RFC 7489 6.6.4/10.3: a rejection at the end of DATA, so the
		 * sending server bounces it and nothing is kept here */
		smtp_reply_set(&reply, 550, "5.7.1",
			       N_("550 5.7.1: the From: domain publishes DMARC p=reject, and "
				  "neither SPF nor DKIM passed for it (aligned), so the message is "
				  "refused at the end of DATA: nothing is stored, and the sender's "
				  "server bounces it"),
			       "Unauthenticated email from %s is not accepted due to domain's "
			       "DMARC policy (p=reject)",
			       ar->from_domain);
		world_event(w, s->srv->name, NULL, "dmarc-reject", NULL,
			    _("refused: DMARC policy of %s is reject (%s)"), ar->from_domain,
			    ar->summary);
	} else {
		struct smtp_envelope env = {
			.helo = v->helo,
			.mail_from = v->mail_from,
			.rcpts = (const char *const *)v->rcpts,
			.nrcpts = v->nrcpts,
			.auth_user = v->auth_user,
			.body_8bit = v->body_8bit,
		};
		mailserver_take(s, &env, v->msg.p ? v->msg.p : "", v->msg.len, &reply, ar);
	}
	smtp_server_data_reply(s->eng, &reply, &s->out);
	net_send(c, SIDE_SERVER, &s->out);
	if (smtp_server_closed(s->eng))
		net_close(c, SIDE_SERVER);
	mailserver_verify_free(v);
}

static const struct smtp_server_ops smtp_in_ops = {
	.auth = smtp_in_auth,
	.mail = smtp_in_mail,
	.rcpt = smtp_in_rcpt,
	.data = smtp_in_data,
};

static void smtp_in_idle_check(struct conn *c)
{
	struct smtp_in *s = c->ctx[SIDE_SERVER];
	if (!s || !c->open[SIDE_SERVER])
		return;
	int64_t idle = s->w->loop.now_us - s->last_activity_us;
	if (idle < SMTP_SERVER_IDLE_TIMEOUT_US) {
		net_timer(c, SIDE_SERVER, SMTP_SERVER_IDLE_TIMEOUT_US - idle, smtp_in_idle_check);
		return;
	}
	/* RFC 5321 4.5.3.2.7: a server should wait at least 5 minutes for a
	 * command; then it may close, saying 421. */
	wire_line(&s->out,
		  N_("the client said nothing for 5 minutes: the server gives up "
		     "on it (RFC 5321 4.5.3.2.7)"),
		  "421 4.4.2 %s Error: timeout exceeded", s->srv->name);
	net_send(c, SIDE_SERVER, &s->out);
	net_close(c, SIDE_SERVER);
}

/* RFC 3207 4.2: after the handshake the session starts over (the engine
 * forgets EHLO and any login; it sends nothing). */
static void smtp_in_tls_started(struct conn *c)
{
	struct smtp_in *s = c->ctx[SIDE_SERVER];
	if (s)
		smtp_server_tls_started(s->eng);
}

static void smtp_in_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct smtp_in *s = c->ctx[side];
	s->last_activity_us = s->w->loop.now_us;
	smtp_server_feed(s->eng, p, n, &s->out);
	if (smtp_server_tls_pending(s->eng) && net_tls_simulated(c))
		smtp_server_tls_started(s->eng); /* the handshake: the client's event */
	if (s->drop) {
		/* hang up: the reply to the data is never sent (nor anything
		 * else this read would have been answered with) */
		wire_clear(&s->out);
		net_close(c, side);
		return;
	}
	net_send(c, side, &s->out);
	if (smtp_server_closed(s->eng))
		net_close(c, side);
	else if (smtp_server_tls_pending(s->eng) && !net_start_tls(c, smtp_in_tls_started))
		net_close(c, side); /* cannot happen: STARTTLS is offered only where it can */
}

static void smtp_in_on_closed(struct conn *c, int side, const char *why)
{
	(void)why;
	/* the client went away: a transaction without its final "." is simply
	 * forgotten; nothing of it was stored */
	net_close(c, side);
}

static void smtp_in_release(void *ctx)
{
	struct smtp_in *s = ctx;
	if (!s)
		return;
	smtp_server_free(s->eng);
	wire_free(&s->out);
	free(s);
}

static const struct conn_ops smtp_in_conn_ops = {
	.data = smtp_in_on_data,
	.closed = smtp_in_on_closed,
	.release = smtp_in_release,
};

static void mailserver_accept(struct conn *c)
{
	struct host *srv = c->host[SIDE_SERVER];
	struct smtp_in *s = xcalloc(1, sizeof *s);
	s->w = c->w;
	s->srv = srv;
	s->c = c;
	wire_init(&s->out);
	struct conn_tls tls = net_tls(c);
	struct smtp_server_config cfg = {
		.hostname = srv->name,
		.submission = world_port_service(c->port) == PORT_SUBMISSION,
		.max_size = 0,
		.max_rcpts = 0,
		.tls_offered = tls.offered,
		.tls_active = tls.active,
		.plaintext_auth = tls.plaintext_auth,
	};
	s->eng = smtp_server_new(&cfg, &smtp_in_ops, s);
	s->last_activity_us = c->w->loop.now_us;
	c->ops[SIDE_SERVER] = &smtp_in_conn_ops;
	c->ctx[SIDE_SERVER] = s;
	smtp_server_start(s->eng, &s->out);
	net_send(c, SIDE_SERVER, &s->out);
	net_timer(c, SIDE_SERVER, SMTP_SERVER_IDLE_TIMEOUT_US, smtp_in_idle_check);
}

/* One engine serves both ports; the port decides the policy (see the top). */
const struct service mailserver_smtp_service = {
	.port = PORT_SMTP, .proto = PROTO_SMTP, .name = "SMTP", .accept = mailserver_accept,
};
const struct service mailserver_submission_service = {
	.port = PORT_SUBMISSION, .proto = PROTO_SMTP, .name = "submission",
	.accept = mailserver_accept,
};

/* ================================================================ relay */

struct relay {
	struct world *w;
	struct host *srv;
	int64_t id;                 /* queue entry */
	struct store_queue_entry e;
	struct host *mx;
	struct smtp_client *cli;
	struct wire out;
	bool finished;
	int store_failures;         /* attempts in a row the store could not record */
};

struct relay_due {
	struct world *w;
	struct host *srv;
	int64_t id;
	int store_failures;
};

static void relay_finish(struct relay *r);
static void relay_schedule(struct world *w, struct host *srv, int64_t id, int64_t at_us,
			   int store_failures);

/* How long to wait after the nth attempt in a row that failed: the first
 * retry delay, times the back-off for each attempt after the first. */
static int64_t relay_backoff(const struct host *srv, int n)
{
	int64_t delay = srv->retry_first_us;
	for (int i = 1; i < n; i++)
		delay *= srv->retry_backoff;
	return delay;
}

/*
 * The store could not record what an attempt achieved (a full disk, say):
 * the entry stays as the store has it, with every recipient it still
 * lists, and is tried again with the usual back-off.  A recipient that the
 * next server did take may then get the message twice, but none loses it:
 * the queue gives up a message only once the store says it is handed on
 * (RFC 5321 6.1: a server that accepted mail is responsible for it).
 * After as many failures in a row as the retry limit, the entry waits in
 * the store for the queue's next run (mailserver_resume()).
 */
static void relay_store_failed(struct relay *r)
{
	struct world *w = r->w;
	int failures = r->store_failures + 1;
	bool again = failures < r->srv->retry_attempts;
	int64_t delay = relay_backoff(r->srv, failures);
	world_event(w, r->srv->name, NULL, "store-error",
		    N_("the queue could not record this attempt: the message stays queued as "
		       "it was, and nothing is bounced or forgotten"),
		    /* TRANSLATORS: DOMAIN (or "queue"): STORE ERROR; ... */
		    again ? _("%s: %s; the queue tries again later")
			  : _("%s: %s; the queue waits for its next run"),
		    r->e.domain ? r->e.domain : _("queue"), store_error(w->store));
	if (again)
		relay_schedule(w, r->srv, r->id, w->loop.now_us + delay, failures);
}

/* Take recipient i off the entry (delivered, or bounced), as part of the
 * caller's transaction; false if the store failed, which rolls it back.
 * NOT_FOUND is no failure: the same address twice went with the first. */
static bool relay_forget(struct relay *r, size_t i)
{
	return store_queue_remove_rcpt(r->w->store, r->id, r->e.rcpts[i]) != STORE_ERROR;
}

/* Work out what the attempt achieved, recipient by recipient. */
static void relay_settle(struct relay *r, const char *remote, bool perm_all,
			 const char *perm_reason, const char *perm_status)
{
	struct world *w = r->w;
	struct store_queue_entry *e = &r->e;
	struct mime_dsn_rcpt *failed = xcalloc(e->nrcpts, sizeof *failed);
	size_t nfailed = 0, ntemp = 0;
	const char *last_temp = NULL;
	char **statuses = xcalloc(e->nrcpts, sizeof *statuses);

	bool ok = changes_begin(w);
	for (size_t i = 0; i < e->nrcpts; i++) {
		const char *reply = perm_reason;
		enum smtp_rcpt_status st = perm_all ? SMTP_RCPT_PERMFAIL
					   : smtp_client_rcpt_status(r->cli, i, &reply);
		switch (st) {
		case SMTP_RCPT_DELIVERED:
			ok = ok && relay_forget(r, i);
			world_event(w, r->srv->name, NULL, "relayed",
				    N_("the next server said 250: it is responsible for the mail now"),
				    _("%s relayed to %s"), e->rcpts[i], remote);
			break;
		case SMTP_RCPT_PERMFAIL: {
			ok = ok && relay_forget(r, i);
			/* the status is the enhanced code in the reply: "550 5.1.1 ..." */
			char status[16] = "5.0.0";
			if (perm_status)
				snprintf(status, sizeof status, "%s", perm_status);
			else if (reply && strlen(reply) > 6 && reply[4] >= '2' && reply[4] <= '5' &&
				 reply[5] == '.') {
				size_t k = 4;
				while (reply[k] && reply[k] != ' ' && k - 4 < sizeof status - 1)
					k++;
				memcpy(status, reply + 4, k - 4);
				status[k - 4] = '\0';
			}
			statuses[nfailed] = xstrdup(status);
			failed[nfailed].addr = e->rcpts[i];
			failed[nfailed].status = statuses[nfailed];
			failed[nfailed].remote_mta = perm_all ? NULL : remote;
			failed[nfailed].diagnostic = reply ? reply : "";
			nfailed++;
			break;
		}
		case SMTP_RCPT_TEMPFAIL:
		case SMTP_RCPT_PENDING:
			ntemp++;
			last_temp = reply;
			break;
		}
	}
	if (!changes_end(w, ok)) {
		relay_store_failed(r);
		goto out;
	}

	if (nfailed)
		mailserver_bounce(w, r->srv, e->mail_from, failed, nfailed, e->content,
				  e->content_len, e->arrival,
				  perm_all ? perm_reason : "The remote server refused the message.");

	if (ntemp == 0) {
		/* every recipient is settled: an entry that stays (empty) is
		 * never sent again, so a failure here loses nothing */
		if (store_queue_delete(w->store, r->id) == STORE_ERROR)
			world_event(w, r->srv->name, NULL, "store-error", NULL, "%s",
				    store_error(w->store));
	} else {
		int attempts = e->attempts + 1;
		if (attempts >= r->srv->retry_attempts) {
			/* out of retries: what was temporary becomes final */
			struct mime_dsn_rcpt *late = xcalloc(ntemp, sizeof *late);
			size_t nl = 0;
			for (size_t i = 0; i < e->nrcpts; i++) {
				const char *reply = NULL;
				enum smtp_rcpt_status st = perm_all ? SMTP_RCPT_PERMFAIL
							   : smtp_client_rcpt_status(r->cli, i, &reply);
				if (st == SMTP_RCPT_TEMPFAIL || st == SMTP_RCPT_PENDING) {
					late[nl].addr = e->rcpts[i];
					late[nl].status = "4.4.7"; /* RFC 3463: delivery time expired */
					late[nl].remote_mta = r->mx ? r->mx->name : NULL;
					late[nl].diagnostic = reply ? reply : "no answer";
					nl++;
				}
			}
			world_event(w, r->srv->name, NULL, "gave-up",
				    N_("a temporary failure that lasts too long becomes permanent: "
				       "the server stops retrying and bounces"),
				    P_("giving up on %s after %d attempt",
				       "giving up on %s after %d attempts", attempts),
				    e->domain, attempts);
			if (store_queue_delete(w->store, r->id) == STORE_ERROR) {
				/* still queued: bounced when a later run gives up */
				free(late);
				relay_store_failed(r);
				goto out;
			}
			mailserver_bounce(w, r->srv, e->mail_from, late, nl, e->content,
					  e->content_len, e->arrival,
					  "The message could not be delivered before the retry limit.");
			free(late);
		} else {
			int64_t delay = relay_backoff(r->srv, attempts);
			int64_t at = w->loop.now_us + delay;
			if (store_queue_reschedule(w->store, r->id, attempts, at, last_temp) ==
			    STORE_ERROR) {
				relay_store_failed(r);
				goto out;
			}
			bool said_4xx = last_temp && last_temp[0] == '4';
			world_event(w, r->srv->name, NULL, "retry",
				    said_4xx ? N_("4xx means try again later: the mail stays queued "
						  "and each wait is longer than the last")
					     : N_("no SMTP conversation was possible: the mail stays "
						  "queued and each wait is longer than the last"),
				    _("%s: %s; attempt %d of %d failed, next try in %llds"),
				    e->domain, last_temp ? last_temp : _("temporary failure"),
				    attempts, r->srv->retry_attempts,
				    (long long)(delay / US_PER_SEC));
			mailserver_queue_schedule(w, r->srv, r->id, at);
		}
	}
out:
	for (size_t i = 0; i < nfailed; i++)
		free(statuses[i]);
	free(statuses);
	free(failed);
}

static void relay_free(struct relay *r)
{
	if (r->cli)
		smtp_client_free(r->cli);
	wire_free(&r->out);
	store_queue_entry_free(&r->e);
	free(r);
}

static void relay_finish(struct relay *r)
{
	if (r->finished)
		return;
	r->finished = true;
	relay_settle(r, r->mx->name, false, NULL, NULL);
}

static void relay_on_data(struct conn *c, int side, const char *p, size_t n)
{
	struct relay *r = c->ctx[side];
	smtp_client_feed(r->cli, p, n, &r->out);
	if (smtp_client_tls_pending(r->cli)) {
		net_tls_handshake(c);
		smtp_client_tls_started(r->cli, &r->out);
	}
	net_send(c, side, &r->out);
	if (smtp_client_done(r->cli)) {
		relay_finish(r);
		net_close(c, side);
	}
}

static void relay_on_closed(struct conn *c, int side, const char *why)
{
	struct relay *r = c->ctx[side];
	if (!smtp_client_done(r->cli)) {
		char reason[200];
		snprintf(reason, sizeof reason, "connect to %s: %s", r->mx->name, why);
		smtp_client_abort(r->cli, reason);
	}
	relay_finish(r);
}

static void relay_release(void *ctx)
{
	relay_free(ctx);
}

static const struct conn_ops relay_conn_ops = {
	.data = relay_on_data,
	.closed = relay_on_closed,
	.release = relay_release,
};

static void relay_dns_answer(struct world *w, void *arg, struct host *mx)
{
	struct relay *r = arg;
	if (w->stopping) {
		relay_free(r);
		return;
	}
	if (!mx) {
		char reason[300];
		snprintf(reason, sizeof reason,
			 "Host or domain name not found. Name service error for name=%s type=MX: "
			 "Host not found",
			 r->e.domain);
		relay_settle(r, NULL, true, reason, "5.1.2");
		relay_free(r);
		return;
	}
	r->mx = mx;
	struct smtp_client_config cfg = {
		.helo_name = r->srv->name,
		.auth_user = NULL,
		.auth_password = NULL,
		.starttls = w->tls_clients,
	};
	r->cli = smtp_client_new(&cfg, r->e.mail_from, (const char *const *)r->e.rcpts,
				 r->e.nrcpts, r->e.content, r->e.content_len);
	net_connect(w, r->srv, mx, PORT_SMTP, PROTO_SMTP, &relay_conn_ops, r);
}

static void relay_due(void *arg)
{
	struct relay_due *d = arg;
	struct world *w = d->w;
	if (w->stopping) {
		free(d); /* the entry stays queued in the store */
		return;
	}
	struct relay *r = xcalloc(1, sizeof *r);
	r->w = w;
	r->srv = d->srv;
	r->id = d->id;
	r->store_failures = d->store_failures;
	wire_init(&r->out);
	free(d);
	enum store_result got = store_queue_get(w->store, r->id, &r->e);
	if (got == STORE_ERROR)
		relay_store_failed(r); /* could not even read it: try again later */
	if (got != STORE_OK || r->e.nrcpts == 0) {
		relay_free(r);
		return;
	}
	if (!r->srv->up) {
		/* a server that is down runs no queue; the entry waits in the
		 * store, and mailserver_resume() picks it up when it is back */
		relay_free(r);
		return;
	}
	net_dns_mx(w, r->srv, r->e.domain, relay_dns_answer, r);
}

void mailserver_resume(struct world *w, struct host *srv)
{
	int64_t *ids, *next;
	size_t n;
	if (store_queue_list(w->store, srv->name, &ids, &next, &n) != STORE_OK) {
		world_event(w, srv->name, NULL, "store-error", NULL, _("queue not resumed: %s"),
			    store_error(w->store));
		return;
	}
	for (size_t i = 0; i < n; i++)
		mailserver_queue_schedule(w, srv, ids[i], next[i] > w->loop.now_us ? next[i]
										   : w->loop.now_us);
	if (n)
		world_event(w, srv->name, NULL, "queue-resumed",
			    N_("a server that comes back runs its queue again: nothing it had "
			       "accepted was lost while it was down"),
			    P_("%zu queued message to retry", "%zu queued messages to retry", n), n);
	free(ids);
	free(next);
}

static void relay_schedule(struct world *w, struct host *srv, int64_t id, int64_t at_us,
			   int store_failures)
{
	struct relay_due *d = xmalloc(sizeof *d);
	d->w = w;
	d->srv = srv;
	d->id = id;
	d->store_failures = store_failures;
	ev_at(&w->loop, at_us, relay_due, d);
}

void mailserver_queue_schedule(struct world *w, struct host *srv, int64_t id, int64_t at_us)
{
	relay_schedule(w, srv, id, at_us, 0);
}
