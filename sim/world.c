/*
 * world.c - building the world from a scenario (hosts, links, the table of
 * services, the store's mailboxes and devices), and taking it down.
 *
 * The top of the world's modules: it may call any of them, and none calls
 * it.  Playing the story is story.c's, checking how it ended checks.c's.
 */
#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "mime.h"

/* ================================================================ faults */

bool world_faults_parse(struct world_faults *f, const char *spec, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	char *copy = xstrdup(spec), *save = NULL;
	bool ok = true;
	for (char *item = strtok_r(copy, ",", &save); ok && item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq) {
			snprintf(err, errlen, _("'%s' is not NAME=VALUE"), item);
			ok = false;
			break;
		}
		*eq = '\0';
		const char *v = eq + 1;
		char *end;
		if (strcmp(item, "rcpt451") == 0 || strcmp(item, "drop-data") == 0) {
			unsigned long n = strtoul(v, &end, 10);
			if (!*v || *end || n < 1 || n > 1000000) {
				snprintf(err, errlen,
					 _("%s wants a whole number from 1 to 1000000 (every Nth), "
					   "not '%s'"),
					 item, v);
				ok = false;
			} else if (item[0] == 'r') {
				f->rcpt_451_every = (unsigned)n;
			} else {
				f->drop_data_every = (unsigned)n;
			}
		} else if (strcmp(item, "slow") == 0) {
			int64_t us = scn_parse_duration(v);
			if (us <= 0 || us > 60 * US_PER_SEC) {
				snprintf(err, errlen,
					 _("slow wants a duration up to 60s like 500ms, not '%s'"), v);
				ok = false;
			} else {
				f->slow_us = us;
			}
		} else {
			snprintf(err, errlen,
				 _("unknown fault '%s' (known: rcpt451=N, drop-data=N, slow=DUR)"),
				 item);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

/* ================================================================ building */

/* What every mail server listens on; the first also answers a port no
 * entry names (world_service). */
static const struct service *const world_services[] = {
	&mailserver_smtp_service,
	&mailserver_submission_service,
	&maildrop_service,
	&imapd_service,
};

static struct host *world_add_host(struct world *w, const char *name, enum host_kind kind)
{
	struct host *h = world_host(w, name);
	if (h)
		return h;
	h = &w->hosts[w->nhosts++];
	memset(h, 0, sizeof *h);
	h->name = xstrdup(name);
	h->kind = kind;
	h->up = true;
	h->retry_first_us = RETRY_FIRST_US;
	h->retry_backoff = RETRY_BACKOFF;
	h->retry_attempts = RETRY_ATTEMPTS;
	return h;
}

static void world_add_link(struct world *w, struct host *a, struct host *b, int64_t latency)
{
	struct link *l = &w->links[w->nlinks++];
	memset(l, 0, sizeof *l);
	l->a = a;
	l->b = b;
	l->latency_us = latency;
	l->up = true;
}

/* ================================================================ initial mail */

_Static_assert(WORLD_EPOCH_UNIX == SCN_STORY_START_UNIX, "one start of the story");

/* Keep a stored message for world_tell_initial_mail. */
static void world_initial_keep(struct world *w, const char *host, const struct trace_mail *m)
{
	w->initial = xrealloc(w->initial, (w->ninitial + 1) * sizeof *w->initial);
	struct world_initial *in = &w->initial[w->ninitial++];
	in->mail = *m;
	in->mail.owner = xstrdup(m->owner);
	in->mail.folder = xstrdup(m->folder);
	in->mail.from = m->from ? xstrdup(m->from) : NULL;
	in->mail.subject = m->subject ? xstrdup(m->subject) : NULL;
	in->mail.content = xstrndup(m->content, m->content_len);
	in->host = xstrdup(host);
}

/* A device's copy of INBOX message uid, as a POP3 download (unique-id
 * UIDVALIDITY.UID, as the maildrop gives it) or, on a device that reads
 * with IMAP, as a synchronised copy (UID, flags, the folder's UIDVALIDITY). */
static int world_mail_on_device(struct world *w, struct host *dev, const struct store_folder *f,
				uint32_t uid, uint32_t flags, const struct buf *msg,
				const struct store_summary *sum)
{
	struct store *st = w->store;
	char uidl[32];
	snprintf(uidl, sizeof uidl, "%u.%u", f->uidvalidity, uid);
	flags &= STORE_FLAGS_SYSTEM;
	if (dev->uses_imap) {
		if (store_device_folder_set(st, dev->device_id, "INBOX", NULL, f->uidvalidity) != 0 ||
		    store_device_message_add(st, dev->device_id, "INBOX", msg->p, msg->len, sum,
					     NULL, uid, flags) != 0)
			return -1;
	} else if (store_device_message_add(st, dev->device_id, "INBOX", msg->p, msg->len, sum,
					    uidl, 0, 0) != 0) {
		return -1;
	}
	struct trace_mail tm = {
		.op = MAIL_ADD, .owner = dev->name, .device = true, .folder = "INBOX",
		.uid = dev->uses_imap ? uid : 0, .flags = dev->uses_imap ? flags : 0,
		.from = sum->from, .subject = sum->subject, .content = msg->p,
		.content_len = msg->len,
	};
	world_initial_keep(w, dev->name, &tm);
	return 0;
}

/* One `mail` line: an RFC 5322 message composed as a user agent does,
 * with Return-Path: as local delivery writes it, in its folder with the
 * folder's next UID and its flags; then its device copies. */
static int world_mail_seed(struct world *w, const struct scn_mail *m, int64_t date,
			   const bool *fresh_dev)
{
	struct store *st = w->store;
	struct store_account acct;
	int64_t fid;
	uint64_t k;
	if (store_account_find(st, m->address, &acct) != 0)
		return -1;
	enum store_result r = store_folder_find(st, acct.id, m->folder, &fid);
	if (r == STORE_NOT_FOUND)
		r = store_folder_create(st, acct.id, m->folder, NULL, &fid);
	if (r != STORE_OK || mailserver_next_message_number(w, &k) != 0)
		return -1;
	const char *dom = mime_addr_domain(m->from);
	char msgid[160];
	snprintf(msgid, sizeof msgid, "<%llu.mail@%s>", (unsigned long long)k, dom ? dom : "local");
	const struct scn_user *sender = scn_find_user(w->scn, m->from);
	const char *to[] = {m->address};
	struct mime_compose mc = {
		.from_name = sender ? sender->name : NULL,
		.from_addr = m->from,
		.to = to,
		.nto = 1,
		.subject = m->subject,
		.body = m->body,
		.date = date,
		.message_id = msgid,
		.user_agent = "mailsim",
	};
	struct buf msg;
	buf_init(&msg);
	buf_printf(&msg, "Return-Path: <%s>\r\n", m->from);
	mime_compose(&msg, &mc);

	uint32_t flags = 0, uid = 0;
	struct buf kw;
	buf_init(&kw);
	for (size_t i = 0; i < m->nflags; i++) {
		if (m->flags[i][0] == '\\')
			flags |= world_flag_bit(m->flags[i]);
		else
			buf_printf(&kw, "%s%s", kw.len ? " " : "", m->flags[i]);
	}
	struct world_summary s;
	world_summary_parse(&s, msg.p, msg.len);
	struct store_folder f;
	int rc = -1;
	if (store_message_add(st, fid, msg.p, msg.len, date, flags, &s.sum, &uid) != 0 ||
	    (kw.len && store_message_set_flags(st, fid, uid, flags, kw.p) != 0) ||
	    store_folder_get(st, fid, &f) != 0)
		goto out;
	struct trace_mail tm = {
		.op = MAIL_ADD, .owner = m->address, .folder = m->folder, .uid = uid,
		.flags = flags, .from = s.sum.from, .subject = s.sum.subject,
		.content = msg.p, .content_len = msg.len,
	};
	world_initial_keep(w, acct.server, &tm);
	for (size_t i = 0; i < m->ndevices; i++) {
		struct host *dev = world_host(w, m->devices[i]);
		if (fresh_dev[dev - w->hosts] &&
		    world_mail_on_device(w, dev, &f, uid, flags, &msg, &s.sum) != 0)
			goto out;
	}
	rc = 0;
out:
	world_summary_free(&s);
	buf_free(&kw);
	buf_free(&msg);
	return rc;
}

int world_init(struct world *w, const struct scenario *scn, struct store *st,
	       char *err, size_t errlen)
{
	memset(w, 0, sizeof *w);
	w->scn = scn;
	w->store = st;
	ev_init(&w->loop);
	trace_init(&w->trace);
	world_check_init(w); /* the first listener: before any view */
	w->rng = scn->seed;
	w->epoch_unix = WORLD_EPOCH_UNIX;
	w->services = world_services;
	w->nservices = sizeof world_services / sizeof *world_services;

	size_t maxhosts = scn->ndomains + scn->ndevices + 1;
	w->hosts = xcalloc(maxhosts, sizeof *w->hosts);
	for (size_t i = 0; i < scn->ndomains; i++) {
		struct host *h = world_add_host(w, scn->domains[i].server, HOST_SERVER);
		h->domains = xrealloc(h->domains, (h->ndomains + 1) * sizeof *h->domains);
		h->domains[h->ndomains++] = scn->domains[i].name;
	}
	for (size_t i = 0; i < scn->ndevices; i++) {
		struct host *h = world_add_host(w, scn->devices[i].name, HOST_DEVICE);
		h->owner = scn_find_user(scn, scn->devices[i].owner);
		const char *domain = mime_addr_domain(h->owner->address);
		h->server = domain ? world_mx(w, domain) : NULL;
	}
	/* Simulated addresses from the documentation ranges (RFC 5737), each
	 * kind numbered from 1 in declaration order; a range holds 254 hosts,
	 * and a host past them has none (its Received: line gives its name). */
	unsigned nserver = 0, ndevice = 0;
	for (size_t i = 0; i < w->nhosts; i++) {
		struct host *h = &w->hosts[i];
		unsigned n = h->kind == HOST_SERVER ? ++nserver : ++ndevice;
		if (n <= 254)
			snprintf(h->addr, sizeof h->addr, "%s.%u",
				 h->kind == HOST_SERVER ? "198.51.100" : "192.0.2", n);
	}
	/* a device that reads mail with IMAP also keeps a copy of what it
	 * sends in Sent, as mail clients do */
	for (size_t i = 0; i < scn->nactions; i++) {
		const struct scn_action *a = &scn->actions[i];
		if (a->kind >= SCN_IMAP_SYNC && a->kind <= SCN_IMAP_DELETE) {
			struct host *h = world_host(w, a->device);
			if (h)
				h->uses_imap = true;
		}
	}
	for (size_t i = 0; i < scn->ntls; i++) {
		struct host *h = world_host(w, scn->tls[i].server);
		if (h)
			h->tls = true;
		w->tls_clients = true; /* every client asks for STARTTLS, as real ones do */
	}
	for (size_t i = 0; i < scn->nretries; i++) {
		const struct scn_retry *r = &scn->retries[i];
		for (size_t k = 0; k < w->nhosts; k++) {
			struct host *h = &w->hosts[k];
			if (h->kind != HOST_SERVER || (r->server && strcasecmp(r->server, h->name)))
				continue;
			h->retry_first_us = r->first_us;
			h->retry_backoff = r->backoff;
			h->retry_attempts = r->attempts;
		}
	}

	/* Links: the declared ones, then the defaults for every device and its
	 * server (10ms) and every pair of servers (50ms). */
	size_t maxlinks = scn->nlinks + w->nhosts * w->nhosts;
	w->links = xcalloc(maxlinks ? maxlinks : 1, sizeof *w->links);
	for (size_t i = 0; i < scn->nlinks; i++) {
		const struct scn_link *sl = &scn->links[i];
		struct host *a = world_host(w, sl->a), *b = world_host(w, sl->b);
		struct link *l = net_link(w, a, b);
		if (!l) {
			world_add_link(w, a, b, 0);
			l = &w->links[w->nlinks - 1];
		}
		l->latency_us = sl->latency_us >= 0 ? sl->latency_us
			      : (a->kind == HOST_SERVER && b->kind == HOST_SERVER)
					? LINK_SERVER_LATENCY_US : LINK_DEVICE_LATENCY_US;
		l->bandwidth_bps = sl->bandwidth_bps;
		l->loss_ppm = sl->loss_ppm;
		l->tamper = sl->tamper; /* the scenario outlives the world */
	}
	for (size_t i = 0; i < w->nhosts; i++) {
		struct host *h = &w->hosts[i];
		if (h->kind == HOST_DEVICE && h->server && !net_link(w, h, h->server))
			world_add_link(w, h, h->server, LINK_DEVICE_LATENCY_US);
		for (size_t k = i + 1; k < w->nhosts && h->kind == HOST_SERVER; k++) {
			struct host *o = &w->hosts[k];
			if (o->kind == HOST_SERVER && !net_link(w, h, o))
				world_add_link(w, h, o, LINK_SERVER_LATENCY_US);
		}
	}

	/* The store: every mailbox, every device, the mail of the `mail`
	 * lines.  Only new ones get mail: a --db store that has the mailbox
	 * from an earlier run has had its mail too. */
	bool *fresh_user = xcalloc(scn->nusers + 1, sizeof *fresh_user);
	bool *fresh_dev = xcalloc(w->nhosts + 1, sizeof *fresh_dev);
	if (store_begin(st) != 0)
		goto fail;
	for (size_t i = 0; i < scn->nusers; i++) {
		const struct scn_user *u = &scn->users[i];
		const struct scn_domain *d = scn_find_domain(scn, mime_addr_domain(u->address));
		int64_t id;
		struct store_account known;
		/* a store kept in a file (--db) may have them from an earlier
		 * run: serve the same mailboxes again */
		if (store_account_find(st, u->address, &known) == 0)
			continue;
		if (store_account_add(st, u->address, u->password, u->name, d->server, &id) != 0)
			goto fail;
		fresh_user[i] = true;
	}
	for (size_t i = 0; i < w->nhosts; i++) {
		struct host *h = &w->hosts[i];
		if (h->kind != HOST_DEVICE)
			continue;
		if (store_device_find(st, h->name, &h->device_id) == 0)
			continue;
		if (store_device_add(st, h->name, h->owner->address, &h->device_id) != 0)
			goto fail;
		fresh_dev[i] = true;
	}
	for (size_t i = 0; i < scn->nmails; i++) {
		const struct scn_mail *m = &scn->mails[i];
		/* without a date, a minute apart in file order, the last one a
		 * minute before the story */
		int64_t date = m->has_date ? m->date
					   : w->epoch_unix - 60 * (int64_t)(scn->nmails - i);
		if (fresh_user[scn_find_user(scn, m->address) - scn->users] &&
		    world_mail_seed(w, m, date, fresh_dev) != 0)
			goto fail;
	}
	if (store_commit(st) != 0)
		goto fail;
	if (auth_keys_init(w, false, err, errlen) != 0) {
		free(fresh_user);
		free(fresh_dev);
		world_initial_free(w);
		return -1;
	}
	free(fresh_user);
	free(fresh_dev);
	w->repeat_i = 1;
	return 0;
fail:
	free(fresh_user);
	free(fresh_dev);
	world_initial_free(w);
	store_rollback(st);
	snprintf(err, errlen, _("cannot set up the store: %s"), store_error(st));
	return -1;
}

void world_free(struct world *w)
{
	/* drain what is still scheduled so that every connection is released -
	 * without doing it: a relay or a retry still pending (live mode stopped
	 * by a signal, say) stays in the store's queue for the next start */
	w->stopping = true;
	w->trace.nsinks = 0;
	for (struct conn *c = w->conns; c; c = c->next) {
		c->open[0] = c->open[1] = false;
	}
	while (ev_step(&w->loop))
		;
	/* sessions still open at the end (an IMAP device left in IDLE) */
	net_release_all(w);
	ev_free(&w->loop);
	for (size_t i = 0; i < w->nhosts; i++) {
		free(w->hosts[i].name);
		free(w->hosts[i].domains);
	}
	free(w->hosts);
	free(w->links);
	auth_keys_free(w);
	world_check_free(w);
	world_initial_free(w);
	for (size_t i = 0; i < w->nlocks; i++)
		free(w->locks[i]);
	free(w->locks);
	changes_free(w);
}
