/*
 * scenario_resolve.c - step 4 of the .scn parser: meaning.
 *
 * Reading guide.  While the lines are parsed (scenario_parse.c,
 * scenario_story.c), every name a line uses is noted with scn_add_ref() as
 * a reference: its kind says what the name must be (a declared device, a
 * server, a user, two linked hosts...), and its position is where an
 * error about it points.  A line that fails forgets its references
 * (scn_drop_refs()), so one mistake is one error.
 *
 * When every line has been read, scn_resolve() checks each reference
 * against the declarations, suggesting the nearest name for a typo, and
 * then the rules about the file as a whole (task and hint only in an
 * exercise).  A name may therefore be used above the line that declares it.
 */
#include "scenario_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* References                                                         */
/* ------------------------------------------------------------------ */

/* A name used at t: a, and for REF_LINKED the other host b (else NULL). */
void scn_add_ref(struct parser *p, enum ref_kind kind, const struct tok *t, const char *a,
		 const char *b)
{
	assert(a && (kind == REF_LINKED || kind == REF_MAIL_DEVICE) == (b != NULL));
	GROW(p->refs, p->nrefs, p->caprefs);
	struct ref *r = &p->refs[p->nrefs++];
	r->kind = kind;
	r->pos = scn_tok_pos(p, t);
	r->a = xstrdup(a);
	r->b = b ? xstrdup(b) : NULL;
}

/* Forget the references noted since `from` (their line failed). */
void scn_drop_refs(struct parser *p, size_t from)
{
	assert(from <= p->nrefs);
	while (p->nrefs > from) {
		p->nrefs--;
		free(p->refs[p->nrefs].a);
		free(p->refs[p->nrefs].b);
	}
}

/* ------------------------------------------------------------------ */
/* Step 4: meaning                                                    */
/* ------------------------------------------------------------------ */

/* r names no declared device (device true) or server: it is the other
 * kind of host (other true), or nothing at all, perhaps a typo of one of
 * cands. */
static void err_not_a(struct parser *p, const struct ref *r, bool device, bool other,
		      const char **cands, size_t n)
{
	const char *s = scn_suggest(r->a, cands, n);
	if (other)
		scn_err_at(p, r->pos, device ? _("'%s' is a server, not a device")
					     : _("'%s' is a device, not a server"), r->a);
	else if (s)
		scn_err_at(p, r->pos, device ? _("unknown device '%s' (did you mean '%s'?)")
					     : _("unknown server '%s' (did you mean '%s'?)"),
			   r->a, s);
	else
		scn_err_at(p, r->pos, device ? _("unknown device '%s'") : _("unknown server '%s'"),
			   r->a);
}

static bool is_server(const struct scenario *s, const char *host)
{
	for (size_t i = 0; i < s->ndomains; i++)
		if (strcasecmp(s->domains[i].server, host) == 0)
			return true;
	return false;
}

/* Is a login's domain declared?  Reports it if not. */
static bool login_domain_ok(struct parser *p, const struct ref *r)
{
	assert(r->kind == REF_LOGIN || r->kind == REF_OWNER || r->kind == REF_MAILBOX);
	const char *dom = scn_addr_domain(r->a);
	if (scn_find_domain(p->s, dom))
		return true;
	scn_err_at(p, r->pos,
		   _("'%s' is not in a declared domain (declare it with 'domain %s server ...')"),
		   r->a, dom);
	return false;
}

/* Hosts joined by a declared link, or by a default one: a device and its
 * owner's server, or two servers. */
static bool linked(const struct scenario *s, const char *a, const char *b)
{
	if (scn_find_link(s, a, b))
		return true;
	if (is_server(s, a) && is_server(s, b))
		return true;
	for (int swap = 0; swap < 2; swap++) {
		const struct scn_device *d = scn_find_device(s, swap ? b : a);
		const char *other = swap ? a : b;
		if (!d)
			continue;
		const struct scn_domain *dom = scn_find_domain(s, scn_addr_domain(d->owner));
		if (!dom || strcasecmp(dom->server, other) == 0)
			return true; /* (no domain: already reported) */
	}
	return false;
}

static void resolve_refs(struct parser *p)
{
	const struct scenario *s = p->s;
	const char **devs = xcalloc(s->ndevices + 1, sizeof *devs);
	const char **servers = xcalloc(s->ndomains + 1, sizeof *servers);
	for (size_t i = 0; i < s->ndevices; i++)
		devs[i] = s->devices[i].name;
	for (size_t i = 0; i < s->ndomains; i++)
		servers[i] = s->domains[i].server;

	for (size_t i = 0; i < p->nrefs; i++) {
		const struct ref *r = &p->refs[i];
		bool dev = scn_find_device(s, r->a) != NULL, srv = is_server(s, r->a);
		switch (r->kind) {
		case REF_DEVICE:
			if (!dev)
				err_not_a(p, r, true, srv, devs, s->ndevices);
			break;
		case REF_SERVER:
			if (!srv)
				err_not_a(p, r, false, dev, servers, s->ndomains);
			break;
		case REF_HOST:
			if (!dev && !srv)
				scn_err_at(p, r->pos, _("unknown host '%s' (a link joins declared "
							"devices and servers)"), r->a);
			break;
		case REF_LOGIN:
			login_domain_ok(p, r);
			break;
		case REF_OWNER:
		case REF_MAILBOX:
			if (login_domain_ok(p, r) && !scn_find_user(s, r->a))
				scn_err_at(p, r->pos,
					   r->kind == REF_OWNER
						   ? _("device owner '%s' is not a declared user "
						       "(declare it with 'user %s password ...')")
						   : _("'%s' is not a declared user "
						       "(declare it with 'user %s password ...')"),
					   r->a, r->a);
			break;
		case REF_NEW_DEVICE:
			if (srv)
				scn_err_at(p, r->pos, _("a device and a server cannot share the "
							"name '%s'"), r->a);
			break;
		case REF_MAIL_DEVICE: {
			const struct scn_device *d = scn_find_device(s, r->a);
			if (!d)
				err_not_a(p, r, true, srv, devs, s->ndevices);
			else if (strcasecmp(d->owner, r->b) != 0)
				scn_err_at(p, r->pos,
					   _("device '%s' belongs to %s: only mail of %s can be "
					     "on it"),
					   r->a, d->owner, d->owner);
			break;
		}
		case REF_DOMAIN:
			if (!scn_find_domain(s, r->a))
				scn_err_at(p, r->pos,
					   _("unknown domain '%s' (declare it with 'domain %s server ...')"),
					   r->a, r->a);
			break;
		case REF_LINKED:
			if ((dev || srv) && (scn_find_device(s, r->b) || is_server(s, r->b)) &&
			    !linked(s, r->a, r->b))
				scn_err_at(p, r->pos,
					   _("there is no link between '%s' and '%s' "
					     "(declare one with 'link %s %s')"),
					   r->a, r->b, r->a, r->b);
			break;
		}
	}
	free(devs);
	free(servers);
}

/* Step 4: every reference, then the rules about the whole file. */
void scn_resolve(struct parser *p)
{
	resolve_refs(p);
	if (p->first_lab_text.line && !p->s->exercise)
		scn_err_at(p, p->first_lab_text,
			   _("task and hint are for lab exercises (mark the file with the line "
			     "'exercise')"));
}
