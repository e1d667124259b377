/*
 * scenario_parse.c - step 3 of the .scn parser: the header and the world.
 *
 * Reading guide.  The directive table (scenario.c) calls these line
 * parsers, each with the line's keyword already read; the actions, the
 * session block and the checks are in scenario_story.c.
 *
 * In file order of a typical scenario:
 *   the header: title, about, seed, order, and the lab's exercise, task, hint;
 *   the world: domain, user, device, link (whose `link A B up|down` form
 *   is an action: the table sends it to scenario_story.c; both read the
 *   two ends with scn_link_ends()) and the retry and tls extensions.
 * Each checks its own words and duplicates against what is declared so
 * far; names declared elsewhere are left to step 4 (scenario_resolve.c).
 */
#include "scenario_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Step 3: directives - header and world                              */
/* ------------------------------------------------------------------ */

/* A directive given once per file (kw: title, exercise, seed): *line is
 * where it was, 0 if nowhere yet.  `dup` is the error, with the line's %d:
 * "duplicate seed (the seed is given on line %d)". */
static int given_once(struct parser *p, const struct tok *kw, int *line, const char *dup)
{
	if (*line) {
		scn_err_col(p, kw->col, dup, *line);
		return -1;
	}
	*line = p->line_no;
	return 0;
}

/* The error dup, "duplicate domain '%s' (first declared on line %d)", at
 * t with its name. */
static void err_declared(struct parser *p, const struct tok *t, const char *dup, int line)
{
	scn_err_col(p, t->col, dup, t->text, line);
}

int scn_parse_title(struct parser *p, const struct tok *kw)
{
	const struct tok *t = scn_expect_lesson_text(p, _("the title in double quotes"));
	if (!t || scn_end_of_line(p) < 0 ||
	    given_once(p, kw, &p->title_line,
		       _("duplicate title (the title is given on line %d)")) < 0)
		return -1;
	p->s->title = xstrdup(t->text);
	return 0;
}

int scn_parse_about(struct parser *p, const struct tok *kw)
{
	(void)kw;
	const struct tok *t = scn_expect_lesson_text(p, _("a paragraph in double quotes"));
	if (!t || scn_end_of_line(p) < 0)
		return -1;
	scn_push_str(&p->s->about, &p->s->nabout, xstrdup(t->text));
	return 0;
}

/* `exercise`: no argument; marks the file as a lab exercise. */
int scn_parse_exercise(struct parser *p, const struct tok *kw)
{
	if (scn_end_of_line(p) < 0 ||
	    given_once(p, kw, &p->exercise_line,
		       _("duplicate exercise (the file is marked an exercise on line %d)")) < 0)
		return -1;
	p->s->exercise = true;
	return 0;
}

/* `task "..."` and `hint "..."`: paragraphs, in file order. */
int scn_parse_lab_text(struct parser *p, const struct tok *kw)
{
	bool task = strcmp(kw->text, "task") == 0;
	assert(task || strcmp(kw->text, "hint") == 0);
	const char *what = task ? _("the task (a paragraph) in double quotes")
				: _("the hint (a paragraph) in double quotes");
	const struct tok *t = scn_expect_lesson_text(p, what);
	if (!t || scn_end_of_line(p) < 0)
		return -1;
	if (!p->first_lab_text.line)
		p->first_lab_text = scn_tok_pos(p, kw);
	if (task)
		scn_push_str(&p->s->tasks, &p->s->ntasks, xstrdup(t->text));
	else
		scn_push_str(&p->s->hints, &p->s->nhints, xstrdup(t->text));
	return 0;
}

int scn_parse_seed(struct parser *p, const struct tok *kw)
{
	const struct tok *t = scn_expect_word(p, _("a seed (a whole number)"));
	if (!t)
		return -1;
	uint64_t v = 0;
	const char *q = t->text;
	for (; is_digit(*q); q++) {
		unsigned d = (unsigned)(*q - '0');
		if (v > (UINT64_MAX - d) / 10)
			break;
		v = v * 10 + d;
	}
	if (q == t->text || *q) {
		scn_err_col(p, t->col, _("the seed must be a whole number from 0 to "
					 "18446744073709551615, got '%s'"), t->text);
		return -1;
	}
	if (scn_end_of_line(p) < 0 ||
	    given_once(p, kw, &p->seed_line,
		       _("duplicate seed (the seed is given on line %d)")) < 0)
		return -1;
	p->s->seed = v;
	return 0;
}

/* `order N` (extension): where the lesson comes in the menu's course. */
int scn_parse_order(struct parser *p, const struct tok *kw)
{
	const struct tok *t =
		scn_expect_word(p, _("the lesson's place in the menu (a whole number)"));
	if (!t)
		return -1;
	unsigned v = 0;
	const char *q = t->text;
	for (; is_digit(*q) && v <= SCN_ORDER_MAX; q++)
		v = v * 10 + (unsigned)(*q - '0');
	if (q == t->text || *q || v < 1 || v > SCN_ORDER_MAX) {
		scn_err_col(p, t->col, _("the order (the lesson's place in the menu) must be a "
					 "whole number from 1 to %d, got '%s'"),
			    SCN_ORDER_MAX, t->text);
		return -1;
	}
	if (scn_end_of_line(p) < 0 ||
	    given_once(p, kw, &p->order_line,
		       _("duplicate order (the order is given on line %d)")) < 0)
		return -1;
	p->s->order = v;
	return 0;
}

int scn_parse_domain(struct parser *p, const struct tok *kw)
{
	const struct tok *d = scn_expect_word(p, _("a domain name"));
	if (!d)
		return -1;
	if (!scn_valid_hostname(d->text)) {
		scn_err_col(p, d->col, _("'%s' is not a valid domain name"), d->text);
		return -1;
	}
	if (scn_expect_keyword(p, "server") < 0)
		return -1;
	const struct tok *h = scn_expect_word(p, _("the host name of the domain's mail server"));
	if (!h)
		return -1;
	if (!scn_valid_hostname(h->text)) {
		scn_err_col(p, h->col, _("'%s' is not a valid host name"), h->text);
		return -1;
	}
	if (scn_end_of_line(p) < 0)
		return -1;
	const struct scn_domain *old = scn_find_domain(p->s, d->text);
	if (old) {
		err_declared(p, d, _("duplicate domain '%s' (first declared on line %d)"),
			     old->pos.line);
		return -1;
	}
	struct scn_domain *dom = APPEND(p->s->domains, p->s->ndomains);
	dom->pos = scn_tok_pos(p, kw);
	dom->name = xstrdup(d->text);
	dom->server = xstrdup(h->text);
	return 0;
}

int scn_parse_user(struct parser *p, const struct tok *kw)
{
	static const char *const opts[] = {"password", "name"};
	const struct tok *addr = scn_expect_address(p);
	const struct tok *pw = NULL, *name = NULL;
	bool seen[2] = {false, false};
	if (!addr)
		return -1;
	for (const struct tok *t; (t = scn_next_tok(p));) {
		/* TRANSLATORS: the kind of word in "unknown %s '%s'"; then the words */
		int which = scn_take_option(p, t, _("user option"), _("password or name"), opts, 2,
					    seen);
		if (which < 0)
			return -1;
		if (which == 0) {
			if (!(pw = scn_expect_text(p, _("a password"))))
				return -1;
			if (!*pw->text) {
				scn_err_col(p, pw->col, _("the password cannot be empty"));
				return -1;
			}
		} else if (!(name = scn_expect_string(p, _("the user's name in double quotes")))) {
			return -1;
		}
	}
	if (!pw) {
		scn_err_col(p, p->eol_col,
			    _("expected 'password' (a user needs a password to log in)"));
		return -1;
	}
	const struct scn_user *old = scn_find_user(p->s, addr->text);
	if (old) {
		err_declared(p, addr, _("duplicate user '%s' (first declared on line %d)"),
			     old->pos.line);
		return -1;
	}
	struct scn_user *u = APPEND(p->s->users, p->s->nusers);
	u->pos = scn_tok_pos(p, kw);
	u->address = xstrdup(addr->text);
	u->password = xstrdup(pw->text);
	u->name = name ? xstrdup(name->text) : NULL;
	scn_add_ref(p, REF_LOGIN, addr, addr->text, NULL);
	return 0;
}

int scn_parse_device(struct parser *p, const struct tok *kw)
{
	const struct tok *name = scn_expect_device_name(p);
	if (!name)
		return -1;
	if (!scn_valid_device_name(name->text)) {
		scn_err_col(p, name->col, _("'%s' is not a valid device name (use letters, digits, "
					    "'-', '_' and '.')"), name->text);
		return -1;
	}
	if (scn_expect_keyword(p, "owner") < 0)
		return -1;
	const struct tok *owner = scn_expect_address(p);
	if (!owner || scn_end_of_line(p) < 0)
		return -1;
	const struct scn_device *old = scn_find_device(p->s, name->text);
	if (old) {
		err_declared(p, name, _("duplicate device '%s' (first declared on line %d)"),
			     old->pos.line);
		return -1;
	}
	struct scn_device *dev = APPEND(p->s->devices, p->s->ndevices);
	dev->pos = scn_tok_pos(p, kw);
	dev->name = xstrdup(name->text);
	dev->owner = xstrdup(owner->text);
	scn_add_ref(p, REF_NEW_DEVICE, name, name->text, NULL);
	scn_add_ref(p, REF_OWNER, owner, owner->text, NULL);
	return 0;
}

/* `link A B`: the two endpoints, shared by the declaration and the action. */
int scn_link_ends(struct parser *p, const struct tok **a, const struct tok **b)
{
	if (!(*a = scn_expect_word(p, _("a host name (a device or a server)"))) ||
	    !(*b = scn_expect_word(p, _("a second host name (a device or a server)"))))
		return -1;
	if (strcasecmp((*a)->text, (*b)->text) == 0) {
		scn_err_col(p, (*b)->col, _("a link joins two different hosts, got '%s' twice"),
			    (*a)->text);
		return -1;
	}
	scn_add_ref(p, REF_HOST, *a, (*a)->text, NULL);
	scn_add_ref(p, REF_HOST, *b, (*b)->text, NULL);
	return 0;
}

/* Extension: `tamper "TEXT"`, the line a tampering relay on the link adds
 * to every message body it carries.  One line of text, as a body line must
 * be: at most 998 characters (RFC 5321 4.5.3.1.6), no line break. */
static const char *scn_parse_tamper_text(struct parser *p)
{
	const struct tok *v = scn_expect_string(p, _("the line to add, in double quotes"));
	if (!v)
		return NULL;
	if (strpbrk(v->text, "\r\n")) {
		scn_err_col(p, v->col, _("the tampered line is one line: it cannot hold \\n"));
		return NULL;
	}
	if (strlen(v->text) > SCN_TAMPER_MAX) {
		scn_err_col(p, v->col, _("the tampered line is too long: at most %d octets"),
			    SCN_TAMPER_MAX);
		return NULL;
	}
	return v->text;
}

int scn_parse_link(struct parser *p, const struct tok *kw)
{
	static const char *const opts[] = {"latency", "bandwidth", "loss", "tamper"};
	const struct tok *a, *b;
	if (scn_link_ends(p, &a, &b) < 0)
		return -1;
	int64_t latency = -1, bandwidth = 0, loss = 0;
	const char *tamper = NULL;
	bool seen[4] = {false, false, false, false};
	for (const struct tok *t; (t = scn_next_tok(p));) {
		/* TRANSLATORS: the kind of word in "unknown %s '%s'"; then the words */
		int which = scn_take_option(p, t, _("link option"),
					    _("latency, bandwidth, loss or tamper"), opts,
					    4, seen);
		if (which < 0)
			return -1;
		if (which == 0) {
			if (scn_expect_duration(p, _("the latency"), 0, &latency) < 0)
				return -1;
			continue;
		}
		if (which == 3) {
			if (!(tamper = scn_parse_tamper_text(p)))
				return -1;
			continue;
		}
		const struct tok *v = scn_next_tok(p);
		if (which == 1) {
			bandwidth = v && !v->string ? scn_parse_rate(v->text) : -1;
			if (bandwidth <= 0) {
				scn_err_expected(p, v, _("a rate like 56kbps, 1Mbps or 1.5Gbps"));
				return -1;
			}
		} else {
			size_t n = v && !v->string ? strlen(v->text) : 0;
			if (n < 2 || v->text[n - 1] != '%' ||
			    scn_parse_decimal(v->text, n - 1, SCN_PPM_PER_PERCENT, &loss) < 0) {
				/* xgettext:no-c-format */
				scn_err_expected(p, v, _("a loss like 2% or 0.5%"));
				return -1;
			}
			if (loss > SCN_PPM_MAX) {
				scn_err_col(p, v->col, _("the loss must be from 0%% to 100%%, "
							 "got '%s'"), v->text);
				return -1;
			}
		}
	}
	const struct scn_link *old = scn_find_link(p->s, a->text, b->text);
	if (old) {
		scn_err_col(p, a->col,
			    _("duplicate link between '%s' and '%s' (first declared on line %d)"),
			    a->text, b->text, old->pos.line);
		return -1;
	}
	struct scn_link *l = APPEND(p->s->links, p->s->nlinks);
	l->pos = scn_tok_pos(p, kw);
	l->a = xstrdup(a->text);
	l->b = xstrdup(b->text);
	l->latency_us = latency;
	l->bandwidth_bps = bandwidth;
	l->loss_ppm = (uint32_t)loss;
	l->tamper = tamper ? xstrdup(tamper) : NULL;
	return 0;
}

/* Extension: `retry [HOST] after DUR [backoff N] [attempts N]`. */
int scn_parse_retry(struct parser *p, const struct tok *kw)
{
	static const char *const opts[] = {"backoff", "attempts"};
	const struct tok *host = NULL, *t = scn_peek_tok(p);
	if (t && !scn_tok_is(t, "after")) {
		if (!(host = scn_expect_word(p, _("a server name or 'after'"))))
			return -1;
	}
	if (scn_expect_keyword(p, "after") < 0)
		return -1;
	int64_t first;
	if (scn_expect_duration(p, _("the retry delay"), 1, &first) < 0)
		return -1;
	long backoff = SCN_DEFAULT_BACKOFF, attempts = SCN_DEFAULT_ATTEMPTS;
	bool seen[2] = {false, false};
	while ((t = scn_next_tok(p))) {
		/* TRANSLATORS: the kind of word in "unknown %s '%s'"; then the words */
		int which = scn_take_option(p, t, _("retry option"), _("backoff or attempts"),
					    opts, 2,
					    seen);
		if (which < 0)
			return -1;
		if (which == 0 &&
		    scn_expect_number(p, _("the backoff"), 1, SCN_MAX_BACKOFF, &backoff) < 0)
			return -1;
		if (which == 1 && scn_expect_number(p, _("the number of attempts"), 1,
						    SCN_MAX_ATTEMPTS, &attempts) < 0)
			return -1;
	}
	struct scenario *s = p->s;
	for (size_t i = 0; i < s->nretries; i++) {
		const struct scn_retry *r = &s->retries[i];
		if (!host && !r->server) {
			scn_err_col(p, kw->col,
				    _("duplicate retry for every server (first given on line %d)"),
				    r->pos.line);
			return -1;
		}
		if (host && r->server && strcasecmp(host->text, r->server) == 0) {
			scn_err_col(p, host->col,
				    _("duplicate retry for '%s' (first given on line %d)"),
				    host->text, r->pos.line);
			return -1;
		}
	}
	if (host)
		scn_add_ref(p, REF_SERVER, host, host->text, NULL);
	struct scn_retry *r = APPEND(s->retries, s->nretries);
	r->pos = scn_tok_pos(p, kw);
	r->server = host ? xstrdup(host->text) : NULL;
	r->first_us = first;
	r->backoff = (int)backoff;
	r->attempts = (int)attempts;
	return 0;
}

/* Extension: `tls HOST`: that server offers STARTTLS (RFC 3207, RFC 2595,
 * RFC 3501) on 25, 587, 110 and 143. */
int scn_parse_tls(struct parser *p, const struct tok *kw)
{
	const struct tok *host = scn_expect_word(p, _("a server name"));
	if (!host || scn_end_of_line(p) < 0)
		return -1;
	struct scenario *s = p->s;
	for (size_t i = 0; i < s->ntls; i++) {
		if (strcasecmp(host->text, s->tls[i].server) == 0) {
			scn_err_col(p, host->col, _("duplicate tls for '%s' (first given on line %d)"),
				    host->text, s->tls[i].pos.line);
			return -1;
		}
	}
	scn_add_ref(p, REF_SERVER, host, host->text, NULL);
	struct scn_tls *t = APPEND(s->tls, s->ntls);
	t->pos = scn_tok_pos(p, kw);
	t->server = xstrdup(host->text);
	return 0;
}
