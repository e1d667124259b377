/*
 * world.c - building the world from a scenario, playing its story, and
 * checking how it ended.
 */
#include "world.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"

/* ================================================================ helpers */

uint64_t world_random(struct world *w)
{
	/* splitmix64: small, fast, and the same sequence on every machine */
	uint64_t z = (w->rng += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

int64_t world_unix_now(const struct world *w)
{
	return w->epoch_unix + w->loop.now_us / US_PER_SEC;
}

struct host *world_host(struct world *w, const char *name)
{
	for (size_t i = 0; i < w->nhosts; i++)
		if (strcasecmp(w->hosts[i].name, name) == 0)
			return &w->hosts[i];
	return NULL;
}

const struct service *world_service(const struct world *w, int port)
{
	assert(w->nservices > 0); /* world_init set the table */
	for (size_t i = 0; i < w->nservices; i++)
		if (w->services[i]->port == port)
			return w->services[i];
	return w->services[0];
}

struct host *world_mx(struct world *w, const char *domain)
{
	const struct scn_domain *d = scn_find_domain(w->scn, domain);
	return d ? world_host(w, d->server) : NULL;
}

void world_event(struct world *w, const char *host, const char *to,
		 const char *event, const char *note, const char *fmt, ...)
{
	struct buf text;
	buf_init(&text);
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&text, fmt, ap);
	va_end(ap);
	struct trace_rec r = {
		.t_us = w->loop.now_us,
		.from = host,
		.to = to,
		.proto = PROTO_NONE,
		.event = event,
		.text = text.p ? text.p : "",
		.text_len = text.len,
		.note = note,
		.arrive_us = w->loop.now_us,
	};
	trace_emit(&w->trace, &r);
	buf_free(&text);
}

/* Parse the headers the views show, decoding encoded words. */
static void world_summary_field(const char *msg, size_t len, const char *name,
				     struct buf *out, const char **field, bool decode)
{
	struct buf raw;
	buf_init(&raw);
	*field = NULL;
	if (mime_header_get(msg, len, name, &raw)) {
		if (decode)
			mime_decode_header_value(out, raw.p, raw.len);
		else
			buf_add(out, raw.p, raw.len);
		*field = out->p ? out->p : "";
	}
	buf_free(&raw);
}

void world_summary_parse(struct world_summary *s, const char *msg, size_t len)
{
	buf_init(&s->from);
	buf_init(&s->to);
	buf_init(&s->subject);
	buf_init(&s->date);
	buf_init(&s->msgid);
	world_summary_field(msg, len, "From", &s->from, &s->sum.from, true);
	world_summary_field(msg, len, "To", &s->to, &s->sum.to, true);
	world_summary_field(msg, len, "Subject", &s->subject, &s->sum.subject, true);
	world_summary_field(msg, len, "Date", &s->date, &s->sum.date, false);
	world_summary_field(msg, len, "Message-ID", &s->msgid, &s->sum.message_id, false);
}

void world_summary_free(struct world_summary *s)
{
	buf_free(&s->from);
	buf_free(&s->to);
	buf_free(&s->subject);
	buf_free(&s->date);
	buf_free(&s->msgid);
}

/* ================================================================ faults */

bool world_faults_parse(struct world_faults *f, const char *spec, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	char *copy = xstrdup(spec), *save = NULL;
	bool ok = true;
	for (char *item = strtok_r(copy, ",", &save); ok && item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq) {
			snprintf(err, errlen, "'%s' is not NAME=VALUE", item);
			ok = false;
			break;
		}
		*eq = '\0';
		const char *v = eq + 1;
		char *end;
		if (strcmp(item, "rcpt451") == 0 || strcmp(item, "drop-data") == 0) {
			unsigned long n = strtoul(v, &end, 10);
			if (!*v || *end || n < 1 || n > 1000000) {
				snprintf(err, errlen, "%s wants a whole number from 1 to 1000000 (every Nth), "
					 "not '%s'", item, v);
				ok = false;
			} else if (item[0] == 'r') {
				f->rcpt_451_every = (unsigned)n;
			} else {
				f->drop_data_every = (unsigned)n;
			}
		} else if (strcmp(item, "slow") == 0) {
			int64_t us = scn_parse_duration(v);
			if (us <= 0 || us > 60 * US_PER_SEC) {
				snprintf(err, errlen, "slow wants a duration up to 60s like 500ms, not '%s'", v);
				ok = false;
			} else {
				f->slow_us = us;
			}
		} else {
			snprintf(err, errlen, "unknown fault '%s' (known: rcpt451=N, drop-data=N, slow=DUR)",
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

int world_init(struct world *w, const struct scenario *scn, struct store *st,
	       char *err, size_t errlen)
{
	memset(w, 0, sizeof *w);
	w->scn = scn;
	w->store = st;
	ev_init(&w->loop);
	trace_init(&w->trace);
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

	/* The store: every mailbox, every device. */
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
	}
	for (size_t i = 0; i < w->nhosts; i++) {
		struct host *h = &w->hosts[i];
		if (h->kind != HOST_DEVICE)
			continue;
		if (store_device_find(st, h->name, &h->device_id) == 0)
			continue;
		if (store_device_add(st, h->name, h->owner->address, &h->device_id) != 0)
			goto fail;
	}
	if (store_commit(st) != 0)
		goto fail;
	w->repeat_i = 1;
	return 0;
fail:
	store_rollback(st);
	snprintf(err, errlen, "cannot set up the store: %s", store_error(st));
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
	for (size_t i = 0; i < w->nenh_seen; i++)
		free(w->enh_seen[i]);
	free(w->enh_seen);
	for (size_t i = 0; i < w->nlocks; i++)
		free(w->locks[i]);
	free(w->locks);
	changes_free(w);
}

/* ================================================================ story */

static void world_story_start(struct world *w);

static void world_story_next_ev(void *arg)
{
	struct world *w = arg;
	if (!w->stopping)
		world_story_start(w);
}

void world_story_next(struct world *w)
{
	const struct scn_action *a = w->action < w->scn->nactions ? &w->scn->actions[w->action] : NULL;
	if (a && w->repeat_i < a->repeat) {
		w->repeat_i++;
	} else {
		w->action++;
		w->repeat_i = 1;
	}
	/* start the next action from the loop, not from deep inside a callback */
	ev_after(&w->loop, 0, world_story_next_ev, w);
}

static void world_story_start(struct world *w)
{
	if (w->action >= w->scn->nactions) {
		w->story_done = true;
		return;
	}
	const struct scn_action *a = &w->scn->actions[w->action];
	switch (a->kind) {
	case SCN_SEND:
		agent_send(w, a, w->repeat_i);
		break;
	case SCN_SESSION:
		agent_session(w, a);
		break;
	case SCN_WAIT:
		world_event(w, "story", NULL, "wait", NULL, "wait %.3fs",
			    (double)a->duration_us / US_PER_SEC);
		w->action++;
		w->repeat_i = 1;
		ev_after(&w->loop, a->duration_us, world_story_next_ev, w);
		break;
	case SCN_WAIT_IDLE:
		w->waiting_idle = true;
		break;
	case SCN_NOTE:
		world_event(w, "story", NULL, "note", NULL, "%s", a->text);
		world_story_next(w);
		break;
	case SCN_LINK_STATE: {
		struct host *ha = world_host(w, a->host_a), *hb = world_host(w, a->host_b);
		struct link *l = net_link(w, ha, hb);
		if (l) {
			l->up = a->up;
			world_event(w, ha->name, hb->name, a->up ? "link-up" : "link-down",
				    a->up ? NULL : "a cut link: connections across it break, "
						   "new ones time out",
				    "link %s - %s %s", ha->name, hb->name, a->up ? "up" : "down");
			if (!a->up)
				net_break_link(w, l, "connection reset: link down");
		}
		world_story_next(w);
		break;
	}
	case SCN_SERVER_STATE: {
		struct host *h = world_host(w, a->host_a);
		h->up = a->up;
		world_event(w, h->name, NULL, a->up ? "server-up" : "server-down",
			    a->up ? "the server is back: waiting mail gets through at the "
				    "sender's next retry"
				  : "a server that is down refuses connections: senders queue "
				    "their mail and retry",
			    "server %s %s", h->name, a->up ? "up" : "down");
		if (!a->up)
			net_break_host(w, h, "connection reset: server went down");
		else
			mailserver_resume(w, h);
		world_story_next(w);
		break;
	}
	case SCN_POP3_FETCH:
		agent_pop3_fetch(w, a);
		break;
	case SCN_IMAP_SYNC:
	case SCN_IMAP_OPEN:
	case SCN_IMAP_CLOSE:
	case SCN_IMAP_READ:
	case SCN_IMAP_FLAG:
	case SCN_IMAP_CREATE:
	case SCN_IMAP_MOVE:
	case SCN_IMAP_DELETE:
		agent_imap(w, a);
		break;
	}
}

/* Mail left in a queue by an earlier run on the same --db goes out again. */
static void world_resume_queues(struct world *w)
{
	for (size_t i = 0; i < w->nhosts; i++)
		if (w->hosts[i].kind == HOST_SERVER)
			mailserver_resume(w, &w->hosts[i]);
}

void world_story_start_live(struct world *w)
{
	world_resume_queues(w);
	world_story_start(w);
}

void world_run(struct world *w)
{
	world_resume_queues(w);
	world_story_start(w);
	for (;;) {
		if (w->loop.nfg > 0) {
			ev_step(&w->loop);
			continue;
		}
		/* nothing but timers is left: the world is idle */
		if (w->waiting_idle) {
			w->waiting_idle = false;
			w->action++;
			w->repeat_i = 1;
			world_story_start(w);
			continue;
		}
		if (w->story_done)
			break;
		/* the story waits on a session that waits on its peer: only a
		 * timer (an idle timeout) can move things on */
		if (ev_step(&w->loop))
			continue;
		world_event(w, "story", NULL, "stalled", NULL,
			    "the story stalled at action %zu", w->action + 1);
		break;
	}
}

/* ================================================================ checks */

static void world_check_result(struct world *w, const struct scn_check *c, bool ok,
			       const char *detail)
{
	if (ok)
		w->checks_passed++;
	else
		w->checks_failed++;
	struct buf text;
	buf_init(&text);
	buf_printf(&text, "%s:%d: %s: %s", w->scn->file, c->pos.line, ok ? "passed" : "FAILED",
		   c->source ? c->source : "expect");
	if (!ok && detail)
		buf_printf(&text, " (%s)", detail);
	struct trace_rec r = {
		.t_us = w->loop.now_us,
		.from = "check",
		.event = ok ? "check-passed" : "check-failed",
		.text = text.p,
		.text_len = text.len,
		.arrive_us = w->loop.now_us,
	};
	trace_emit(&w->trace, &r);
	buf_free(&text);
}

static int world_mailbox_folder(struct world *w, const char *address, const char *folder,
				int64_t *id, char *detail, size_t n)
{
	struct store_account acct;
	if (store_account_find(w->store, address, &acct) != 0) {
		snprintf(detail, n, "no mailbox %s", address);
		return -1;
	}
	if (store_folder_find(w->store, acct.id, folder ? folder : "INBOX", id) != 0) {
		snprintf(detail, n, "no folder %s", folder ? folder : "INBOX");
		return -1;
	}
	return 0;
}

/* The system flags, in the order of their bits (STORE_FLAG_*). */
static const char *const world_flag_list[] = { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
					       "\\Draft" };

const char *world_flag_names(uint32_t flags, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < 5; i++)
		if (flags & (1u << i))
			used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%s",
						 used ? " " : "", world_flag_list[i]);
	if (!buf[0])
		snprintf(buf, n, "no flags");
	return buf;
}

/* A check's `flag`: a system flag's bit, or a keyword. */
static void world_check_flag(const char *flag, uint32_t *bits, const char **keyword)
{
	*bits = 0;
	*keyword = NULL;
	if (!flag)
		return;
	for (int i = 0; i < 5; i++)
		if (strcasecmp(flag, world_flag_list[i]) == 0) {
			*bits = 1u << i;
			return;
		}
	*keyword = flag;
}

bool world_check_one(struct world *w, size_t i, char *detail, size_t n)
{
	const struct scn_check *c = &w->scn->checks[i];
	bool ok = false;
	int64_t id, count = -1;
	if (n)
		detail[0] = '\0';
	switch (c->kind) {
	case SCN_EXPECT_MAILBOX_COUNT:
		if (world_mailbox_folder(w, c->address, c->folder, &id, detail, n) == 0 &&
		    store_folder_count(w->store, id, &count) == 0) {
			ok = count == c->count;
			snprintf(detail, n, "found %lld", (long long)count);
		}
		break;
	case SCN_EXPECT_MAILBOX_HAS:
		if (world_mailbox_folder(w, c->address, c->folder, &id, detail, n) == 0) {
			struct store_match m = { .from = c->from, .to = c->to,
						 .subject = c->subject };
			world_check_flag(c->flag, &m.flags, &m.keyword);
			ok = store_folder_match(w->store, id, &m) == 0;
			snprintf(detail, n, "no such message");
		}
		break;
	case SCN_EXPECT_DEVICE_COUNT: {
		struct host *h = world_host(w, c->device);
		if (h && store_device_count(w->store, h->device_id, &count) == 0) {
			ok = count == c->count;
			snprintf(detail, n, "found %lld", (long long)count);
		}
		break;
	}
	case SCN_EXPECT_DEVICE_HAS: {
		struct host *h = world_host(w, c->device);
		struct store_match m = { .from = c->from, .to = c->to, .subject = c->subject };
		world_check_flag(c->flag, &m.flags, &m.keyword);
		if (m.keyword) {
			snprintf(detail, n, "a device keeps only the system flags, not keywords");
			break;
		}
		ok = h && store_device_match(w->store, h->device_id, "INBOX", &m) == 0;
		snprintf(detail, n, "no such message on %s", c->device);
		break;
	}
	case SCN_EXPECT_REPLY:
		if (c->reply_code) {
			ok = c->reply_code >= 0 && c->reply_code < 600 &&
			     w->replies_seen[c->reply_code];
		} else {
			for (size_t k = 0; k < w->nenh_seen && !ok; k++)
				ok = strcmp(w->enh_seen[k], c->reply_enh) == 0;
		}
		snprintf(detail, n, "no server sent it");
		break;
	case SCN_EXPECT_QUEUE_EMPTY:
	case SCN_EXPECT_QUEUE_COUNT:
		if (store_queue_count(w->store, c->host, &count) == 0) {
			ok = count == (c->kind == SCN_EXPECT_QUEUE_EMPTY ? 0 : c->count);
			snprintf(detail, n, "%lld queued", (long long)count);
		}
		break;
	}
	return ok;
}

void world_check(struct world *w)
{
	for (size_t i = 0; i < w->scn->nchecks; i++) {
		char detail[256] = "";
		bool ok = world_check_one(w, i, detail, sizeof detail);
		world_check_result(w, &w->scn->checks[i], ok, detail);
	}
}
