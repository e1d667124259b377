/*
 * base.c - what every part of the world uses: the random numbers and the
 * clock, finding hosts, MX and services, events for the trace, the
 * headers the views show, the names of the flags.
 *
 * The bottom of the world's modules: it calls none of them (only the
 * trace, the scenario's look-ups and the MIME helpers).
 */
#include "world.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
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
	return w->services[0]; /* no entry names it: SMTP on 25, as it always was */
}

struct host *world_mx(struct world *w, const char *domain)
{
	const struct scn_domain *d = scn_find_domain(w->scn, domain);
	return d ? world_host(w, d->server) : NULL;
}

const char *world_dns_type_name(enum dns_type type)
{
	return type == DNS_A ? "A" : type == DNS_MX ? "MX" : "TXT";
}

static void dns_add(struct dns_answer *a, const char *rr)
{
	if (a->n < DNS_ANSWERS_MAX)
		snprintf(a->rr[a->n++], sizeof a->rr[0], "%s", rr);
}

/*
 * The zone of the simulated DNS, made from the world: every host name has
 * an A record (its simulated address); a mail domain has an MX record
 * naming its server and, to keep SPF's "a" mechanism simple to teach, an
 * A record with its server's address too; the TXT records are the `txt`
 * lines and the keys of the `dkim` lines.  A name with none of them does
 * not exist (NXDOMAIN); a name that exists without a record of the type
 * asked is an empty answer (RFC 2308's NODATA).
 */
void world_dns_zone(struct world *w, enum dns_type type, const char *name,
		    struct dns_answer *a)
{
	memset(a, 0, sizeof *a);
	a->type = type;
	snprintf(a->name, sizeof a->name, "%s", name);
	struct host *h = world_host(w, name);
	struct host *mx = world_mx(w, name);
	if (h && h->addr[0]) {
		a->exists = true;
		if (type == DNS_A)
			dns_add(a, h->addr);
	}
	if (mx) {
		a->exists = true;
		if (type == DNS_MX)
			dns_add(a, mx->name);
		if (type == DNS_A && !(h && h->addr[0]) && mx->addr[0])
			dns_add(a, mx->addr);
	}
	for (size_t i = 0; i < w->scn->ntxts; i++) {
		if (strcasecmp(w->scn->txts[i].name, name) != 0)
			continue;
		a->exists = true;
		if (type == DNS_TXT)
			dns_add(a, w->scn->txts[i].text);
	}
	for (size_t i = 0; i < w->ndkims; i++) {
		if (strcasecmp(w->dkims[i].name, name) != 0)
			continue;
		a->exists = true;
		if (type == DNS_TXT)
			dns_add(a, w->dkims[i].txt);
	}
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

/* ================================================================ flags */

/* The system flags a message keeps, in the order of their bits. */
static const char *const world_flag_list[] = { "\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
					       "\\Draft" };
#define WORLD_NFLAGS (sizeof world_flag_list / sizeof *world_flag_list)
_Static_assert(STORE_FLAGS_SYSTEM == (1u << WORLD_NFLAGS) - 1,
	       "world_flag_list names every bit of STORE_FLAGS_SYSTEM, in order");

const char *world_flag_names(uint32_t flags, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < WORLD_NFLAGS; i++)
		if (flags & (1u << i))
			used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s%s",
						 used ? " " : "", world_flag_list[i]);
	if (!buf[0])
		snprintf(buf, n, "%s", _("no flags"));
	return buf;
}

uint32_t world_flag_bit(const char *name)
{
	for (size_t i = 0; i < WORLD_NFLAGS; i++)
		if (strcasecmp(name, world_flag_list[i]) == 0)
			return 1u << i;
	return 0;
}

/* ================================================================ initial mail */

void world_initial_free(struct world *w)
{
	for (size_t i = 0; i < w->ninitial; i++) {
		struct world_initial *in = &w->initial[i];
		free((char *)in->mail.owner);
		free((char *)in->mail.folder);
		free((char *)in->mail.from);
		free((char *)in->mail.subject);
		free((char *)in->mail.content);
		free(in->host);
	}
	free(w->initial);
	w->initial = NULL;
	w->ninitial = 0;
}

void world_tell_initial_mail(struct world *w)
{
	for (size_t i = 0; i < w->ninitial; i++) {
		struct trace_rec r = {
			.t_us = w->loop.now_us,
			.from = w->initial[i].mail.owner,
			.proto = PROTO_NONE,
			.event = "mail",
			.text = "",
			.arrive_us = w->loop.now_us,
			.mail = &w->initial[i].mail,
		};
		trace_emit(&w->trace, &r);
	}
	/* then in words: one event per mailbox folder or device, in the
	 * order they first appear */
	for (size_t i = 0; i < w->ninitial; i++) {
		const struct trace_mail *m = &w->initial[i].mail;
		size_t n = 0;
		bool first = true;
		for (size_t k = 0; k < w->ninitial && first; k++) {
			const struct trace_mail *o = &w->initial[k].mail;
			if (strcmp(o->owner, m->owner) || strcmp(o->folder, m->folder))
				continue;
			if (k < i)
				first = false;
			n++;
		}
		if (!first)
			continue;
		if (m->device)
			world_event(w, w->initial[i].host, NULL, "mail-ready",
				    N_("before the story this device already got these messages, as "
				       "if it had downloaded or synchronised them earlier"),
				    P_("%zu message already on %s", "%zu messages already on %s", n),
				    n, m->owner);
		else
			world_event(w, w->initial[i].host, NULL, "mail-ready",
				    N_("the lesson starts with mail already delivered: how it got "
				       "here is the SMTP lessons' story"),
				    /* TRANSLATORS: %zu messages waiting in ADDRESS FOLDER */
				    P_("%zu message waiting in %s %s", "%zu messages waiting in %s %s",
				       n),
				    n, m->owner, m->folder);
	}
	world_initial_free(w);
}
