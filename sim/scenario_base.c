/*
 * scenario_base.c - the bottom of the .scn parser's family: errors,
 * suggestions, the tree's building blocks and freeing, the look-ups.
 *
 * Reading guide.  Every other file of the family calls this one, and it
 * calls none of them (the order is in scenario_int.h's reading guide).
 *
 *   Errors: scn_err_at() and scn_err_col() collect an error with its
 *   position; scn_parse_string() (scenario.c) sorts and prints them, so
 *   the teacher reads them top to bottom whichever step found them.
 *   Suggestions: scn_suggest() finds the candidate nearest a typo.
 *   The tree: initialising and clearing an action or a check, freeing a
 *   whole scenario (scn_free(), public).
 *   Look-ups: the public scn_find_...().
 */
#include "scenario_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

static void verr_at(struct parser *p, int line, int col, const char *fmt, va_list ap)
	PRINTF_LIKE(4, 0);
static void verr_at(struct parser *p, int line, int col, const char *fmt, va_list ap)
{
	struct buf b;
	buf_init(&b);
	buf_vprintf(&b, fmt, ap);
	GROW(p->diags, p->ndiags, p->capdiags);
	p->diags[p->ndiags].pos.line = line;
	p->diags[p->ndiags].pos.col = col;
	p->diags[p->ndiags].seq = p->ndiags;
	p->diags[p->ndiags].msg = buf_steal(&b);
	p->ndiags++;
}

void scn_err_at(struct parser *p, struct scn_pos pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(p, pos.line, pos.col, fmt, ap);
	va_end(ap);
}

/* An error at a column of the current line. */
void scn_err_col(struct parser *p, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(p, p->line_no, col, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Suggestions                                                        */
/* ------------------------------------------------------------------ */

/* Edit distance, optimal string alignment: inserting, deleting or
 * swapping two neighbours costs 1, replacing a letter 2 (a typo more often
 * swaps or drops a letter), so "sned" is nearer "send" than "seed". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na > 64 || nb > 64)
		return (size_t)-1;
	size_t d[65][65];
	for (size_t i = 0; i <= na; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= nb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= na; i++) {
		for (size_t j = 1; j <= nb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 2;
			size_t v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[na][nb];
}

/* The candidate closest to word, if it is close enough to be a typo. */
const char *scn_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t len = strlen(word);
	size_t limit = len <= 3 ? 2 : 3;
	const char *best = NULL;
	size_t bestd = limit + 1;
	for (size_t i = 0; i < n; i++) {
		size_t dist = edit_distance(word, cands[i]);
		if (dist > 0 && dist < bestd) {
			best = cands[i];
			bestd = dist;
		}
	}
	return best;
}

/* ------------------------------------------------------------------ */
/* The tree: building and freeing                                     */
/* ------------------------------------------------------------------ */

void scn_push_str(char ***arr, size_t *n, char *str)
{
	*APPEND(*arr, *n) = str;
}

static void free_strs(char **arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(arr[i]);
	free(arr);
}

void scn_action_init(struct scn_action *a, struct scn_pos pos)
{
	memset(a, 0, sizeof *a);
	a->pos = pos;
	a->repeat = 1;
}

void scn_action_clear(struct scn_action *a)
{
	free(a->device);
	free_strs(a->to, a->nto);
	free_strs(a->cc, a->ncc);
	free_strs(a->bcc, a->nbcc);
	free(a->subject);
	free(a->body);
	free(a->flag);
	free(a->folder);
	free(a->host_a);
	free(a->host_b);
	free(a->text);
	free(a->reply);
	free_strs(a->choices, a->nchoices);
	free(a->server);
	for (size_t i = 0; i < a->nlines; i++)
		free(a->lines[i].text);
	free(a->lines);
	memset(a, 0, sizeof *a);
}

void scn_mail_clear(struct scn_mail *m)
{
	free(m->address);
	free(m->folder);
	free(m->from);
	free(m->subject);
	free(m->body);
	for (size_t i = 0; i < m->nflags; i++)
		free(m->flags[i]);
	free(m->flags);
	for (size_t i = 0; i < m->ndevices; i++)
		free(m->devices[i]);
	free(m->devices);
	memset(m, 0, sizeof *m);
}

void scn_check_clear(struct scn_check *c)
{
	free(c->source);
	free(c->address);
	free(c->folder);
	free(c->device);
	free(c->host);
	free(c->from);
	free(c->to);
	free(c->subject);
	free(c->flag);
	free(c->header);
	free(c->header_text);
	free(c->reply_enh);
	memset(c, 0, sizeof *c);
}

void scn_free(struct scenario *s)
{
	if (!s)
		return;
	free(s->file);
	free(s->title);
	free_strs(s->about, s->nabout);
	free_strs(s->tasks, s->ntasks);
	free_strs(s->hints, s->nhints);
	for (size_t i = 0; i < s->ndomains; i++) {
		free(s->domains[i].name);
		free(s->domains[i].server);
	}
	free(s->domains);
	for (size_t i = 0; i < s->nusers; i++) {
		free(s->users[i].address);
		free(s->users[i].password);
		free(s->users[i].name);
	}
	free(s->users);
	for (size_t i = 0; i < s->ndevices; i++) {
		free(s->devices[i].name);
		free(s->devices[i].owner);
	}
	free(s->devices);
	for (size_t i = 0; i < s->nlinks; i++) {
		free(s->links[i].a);
		free(s->links[i].b);
		free(s->links[i].tamper);
	}
	free(s->links);
	for (size_t i = 0; i < s->nretries; i++)
		free(s->retries[i].server);
	free(s->retries);
	for (size_t i = 0; i < s->ntls; i++)
		free(s->tls[i].server);
	free(s->tls);
	for (size_t i = 0; i < s->nmails; i++)
		scn_mail_clear(&s->mails[i]);
	free(s->mails);
	for (size_t i = 0; i < s->ndkims; i++) {
		free(s->dkims[i].domain);
		free(s->dkims[i].selector);
		free(s->dkims[i].key_file);
	}
	free(s->dkims);
	for (size_t i = 0; i < s->ntxts; i++) {
		free(s->txts[i].name);
		free(s->txts[i].text);
	}
	free(s->txts);
	for (size_t i = 0; i < s->nverifies; i++)
		free(s->verifies[i].server);
	free(s->verifies);
	for (size_t i = 0; i < s->nactions; i++)
		scn_action_clear(&s->actions[i]);
	free(s->actions);
	for (size_t i = 0; i < s->nchecks; i++)
		scn_check_clear(&s->checks[i]);
	free(s->checks);
	free(s);
}


/* ------------------------------------------------------------------ */
/* Look-ups                                                           */
/* ------------------------------------------------------------------ */

const struct scn_domain *scn_find_domain(const struct scenario *s, const char *domain)
{
	for (size_t i = 0; i < s->ndomains; i++)
		if (strcasecmp(s->domains[i].name, domain) == 0)
			return &s->domains[i];
	return NULL;
}

/* The local part as written, the domain in any case. */
const struct scn_user *scn_find_user(const struct scenario *s, const char *address)
{
	const char *at = strrchr(address, '@');
	size_t local = at ? (size_t)(at - address) : strlen(address);
	for (size_t i = 0; i < s->nusers; i++) {
		const char *u = s->users[i].address, *uat = strrchr(u, '@');
		if (!at || !uat || (size_t)(uat - u) != local)
			continue;
		if (memcmp(u, address, local) == 0 && strcasecmp(uat + 1, at + 1) == 0)
			return &s->users[i];
	}
	return NULL;
}

/* Device names are host names: any case, like the servers'. */
const struct scn_device *scn_find_device(const struct scenario *s, const char *name)
{
	for (size_t i = 0; i < s->ndevices; i++)
		if (strcasecmp(s->devices[i].name, name) == 0)
			return &s->devices[i];
	return NULL;
}

const struct scn_link *scn_find_link(const struct scenario *s, const char *a, const char *b)
{
	for (size_t i = 0; i < s->nlinks; i++) {
		const struct scn_link *l = &s->links[i];
		if ((strcasecmp(l->a, a) == 0 && strcasecmp(l->b, b) == 0) ||
		    (strcasecmp(l->a, b) == 0 && strcasecmp(l->b, a) == 0))
			return l;
	}
	return NULL;
}
