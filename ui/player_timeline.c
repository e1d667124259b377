/*
 * player_timeline.c - the timeline: every session of the run on one time
 * axis, as in Wireshark's flow graph.  `v` shows it in place of the ladder
 * and the mailboxes; `1` `2` `3` keep one protocol (SMTP, POP3, IMAP),
 * `0` all of them.
 *
 *   step  alice-laptop  mail.uea.edu.br  mx.gmail.com   bob-phone
 *    221      │                │              ├┄┄┄┄connect :143┄┄┄►│
 *    222      │                │              │◄──* OK IMAP4rev1───┤
 *
 * Every host is a column, in the map's order from left to right (so a
 * device stands beside its server); every step is a row, in time order,
 * the newest at the bottom: the current step, highlighted, unless the
 * pane is scrolled back.  Like the ladder, the timeline never shows a step
 * after the cursor (the quiz would be given away).  A line is an arrow
 * from the sender's column to the receiver's in its protocol's colour,
 * its text cut to fit; a TCP connect a dotted arrow "connect :587"; the
 * last line of a session has ╳ at both ends (the connection closes after
 * it); other events are a mark on their host's column, or a row of their
 * own (notes, checks).
 *
 * Cost: the rows shown, and the hidden steps passed over between them
 * (pb_prev_of), never the whole trace.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "player_int.h"
#include "view.h"

#define TL_MAX_COLS 64              /* hosts drawn as columns (more are left out) */

const char *timeline_filter_name(enum trace_proto f)
{
	return f == PROTO_NONE ? NULL : view_proto_label(f);
}

/* The column of host h, or -1 (a host not drawn). */
static int col_of(const uint32_t *cols, size_t n, uint32_t h)
{
	for (size_t i = 0; i < n; i++)
		if (cols[i] == h)
			return (int)i;
	return -1;
}

/* A step's end as a column: a host, or the "dns" box. */
static int end_col(const uint32_t *cols, size_t n, uint32_t h, const char *name)
{
	if (h == PB_NONE && name && !strcmp(name, "dns"))
		h = HOST_DNS;
	return h == PB_NONE ? -1 : col_of(cols, n, h);
}

/* name centred at x in w columns, cut with "…" when it does not fit */
static void draw_name(int y, int x, int w, const char *name)
{
	size_t len = strlen(name);
	int nw = term_width(name, len);
	if (nw <= w) {
		term_put(y, x - nw / 2, nw, name, term_attr[R_HEAD]);
		return;
	}
	if (w < 2)
		return;
	term_put_cut(y, x - w / 2, w, name, len, term_attr[R_HEAD]);
}

/* The label of a step: a line's text, "connect :587", "event: text"
 * (in quiz mode, a quiz record without its answer). */
static void step_label(const struct player *p, const struct pb_step *s, char *out, size_t n)
{
	unsigned port = map_connect_port(s);
	if (p->o->quiz && quiz_is_record(s))
		snprintf(out, n, "%s", _("quiz: a question for the class"));
	else if (port)
		snprintf(out, n, "connect :%u", port);
	else if (s->event && s->is_note)
		snprintf(out, n, "%.*s", (int)s->text_len, s->text ? s->text : "");
	else if (s->event)
		snprintf(out, n, "%s: %.*s", s->event, (int)s->text_len, s->text ? s->text : "");
	else
		snprintf(out, n, "%.*s", (int)s->text_len, s->text ? s->text : "");
}

/* One row: step i at screen row y. */
static void draw_row(struct player *p, struct pane *pn, int y, size_t i, const uint32_t *cols,
		     size_t ncols, const int *cx, int numw)
{
	struct pb_step s;
	if (!pb_get_step(p->pb, i, &s))
		return;
	bool cur = i == p->cur;
	attr_t ta = cur ? term_attr[R_CUR] : s.tls ? term_attr[R_TLS] : A_NORMAL;
	attr_t pa = cur ? term_attr[R_CUR] : term_proto_attr(s.proto);
	if (cur)
		term_fill(y, pn->x, pn->w, " ", ta);
	char num[24];
	snprintf(num, sizeof num, "%*zu", numw - 1, i + 1);
	term_put(y, pn->x, numw, num, cur ? ta : term_attr[R_DIM]);
	for (size_t c = 0; c < ncols; c++)
		term_put(y, cx[c], 1, "│", cur ? ta : term_attr[R_DIM]);

	char lab[512], tls[512];
	tls_text(p, &s, tls, sizeof tls); /* inside TLS: a record, or revealed */
	if (!fold_label(p, &s, lab, sizeof lab)) /* a message body: one row */
		step_label(p, &s, lab, sizeof lab);
	int cf = end_col(cols, ncols, s.from, s.from_name);
	int ct = end_col(cols, ncols, s.to, s.to_name);
	bool arrow = (!s.event || map_connect_port(&s)) && cf >= 0 && ct >= 0 && cf != ct;
	if (!arrow) {
		/* a mark on its host's column, or a row of its own */
		int x = cf >= 0 ? cx[cf] : pn->x + numw;
		if (cf >= 0)
			term_put(y, x, 1, s.event && !strcmp(s.event, "disconnect") ? "╳" : "•", pa);
		x += cf >= 0 ? 2 : 0;
		term_put(y, x, pn->x + pn->w - x, lab, cur ? ta : term_attr[R_EVENT]);
		return;
	}
	bool connect = s.event != NULL;
	bool right = cx[ct] > cx[cf];
	int lo = right ? cx[cf] : cx[ct], hi = right ? cx[ct] : cx[cf];
	term_fill(y, lo + 1, hi - lo - 1, connect ? "┄" : "─", pa);
	term_put(y, right ? hi - 1 : lo + 1, 1, right ? "►" : "◄", cur ? ta : pa | A_BOLD);
	/* the session's last line: the connection closes after it */
	if (!connect && s.session && !p->live && pb_session_next(p->pb, i) == SIZE_MAX) {
		term_put(y, lo, 1, "╳", pa);
		term_put(y, hi, 1, "╳", pa);
	}
	int room = hi - lo - 5; /* two cells of the arrow and a space each side */
	if (room < 1)
		return;
	size_t len = strlen(lab);
	int port = (int)map_connect_port(&s);
	if (port && term_width(lab, len) > room) /* "connect :587" too long: ":587" */
		snprintf(lab, sizeof lab, ":%d", port), len = strlen(lab);
	size_t fit = term_fit(lab, len, room);
	int lw = term_width(lab, fit);
	int x = lo + 3 + (room - lw) / 2;
	term_put(y, x - 1, 1, " ", ta);
	term_putn(y, x, lw, lab, fit, ta);
	term_put(y, x + lw, 1, " ", ta);
}

void timeline_draw(struct player *p, struct pane *pn)
{
	assert(pn == &p->pane[PANE_LADDER] && p->ladder_step); /* layout() made its rows */
	for (int y = 0; y < LINES; y++)
		p->ladder_step[y] = SIZE_MAX;
	const char *fname = timeline_filter_name(p->filter);
	char t[160];
	if (fname)
		snprintf(t, sizeof t,
			 pn->scroll ? _("Timeline · %s only (scrolled back)") : _("Timeline · %s only"),
			 fname);
	else
		snprintf(t, sizeof t, "%s",
			 pn->scroll ? _("Timeline · every session (scrolled back)")
				    : _("Timeline · every session"));
	pane_title(p, pn, PANE_LADDER, t);

	/* columns: the step number, then the hosts in the map's order */
	uint32_t cols[TL_MAX_COLS];
	size_t ncols = map_columns(p, cols, TL_MAX_COLS);
	char num[24];
	int numw = snprintf(num, sizeof num, "%zu", p->n) + 1;
	if (numw < 5)
		numw = 5;
	int area = pn->w - numw;
	int colw = ncols ? area / (int)ncols : area;
	int cx[TL_MAX_COLS];
	for (size_t c = 0; c < ncols; c++)
		cx[c] = pn->x + numw + colw * (int)c + colw / 2;
	term_put(pn->y + 1, pn->x, numw, _("step"), term_attr[R_DIM]);
	for (size_t c = 0; c < ncols; c++)
		draw_name(pn->y + 1, cx[c], colw - 1,
			  cols[c] == HOST_DNS ? "dns" : pb_host(p->pb, cols[c])->name);

	/* the rows: the shown steps up to the cursor, scrolled back */
	int rows = pn->h - 2;
	size_t last = p->cur;
	struct pb_step s;
	if (last != SIZE_MAX && (!pb_get_step(p->pb, last, &s) || !pb_step_shown(&s, p->filter)))
		last = pb_prev_of(p->pb, last, p->filter);
	for (int k = 0; k < pn->scroll && last != SIZE_MAX; k++) {
		size_t q = pb_prev_of(p->pb, last, p->filter);
		if (q == SIZE_MAX) {
			pn->scroll = k;
			break;
		}
		last = q;
	}
	if (last == SIZE_MAX || rows < 1) {
		term_put(pn->y + 3, pn->x + 2, pn->w - 4,
			 fname ? _("No step of this protocol yet (0 shows every step).") : _("No step yet."),
			 term_attr[R_DIM]);
		return;
	}
	size_t *idx = xcalloc((size_t)rows, sizeof *idx);
	int n = 0;
	for (size_t i = last; i != SIZE_MAX && n < rows; i = pb_prev_of(p->pb, i, p->filter))
		if (!pb_get_step(p->pb, i, &s) || !fold_hidden(p, &s))
			idx[n++] = i;
	for (int r = 0; r < n; r++) {
		int y = pn->y + 2 + r;
		size_t i = idx[n - 1 - r];
		draw_row(p, pn, y, i, cols, ncols, cx, numw);
		p->ladder_step[y] = i;
	}
	free(idx);
}
