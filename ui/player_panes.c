/*
 * player_panes.c - what the player draws around the map: the conversation
 * (a ladder diagram of the current session), the explanation of the
 * current step, the mailboxes, the title and status lines, and the three
 * overlays (the keys, a message's source, the end screen).
 *
 * Each pane is drawn from the cursor alone: the same step always draws the
 * same screen.  Read: the ladder (the rows are the steps of one session,
 * found back from the cursor with pb_session_prev, at most LADDER_LOOKBACK
 * steps searched for the session itself; a message body one row, see
 * fold_visible in player_int.h), the explanation (quiz, live,
 * note or step), the mailboxes (each owner a block of lines, blocks laid
 * in columns), then the title, status, help, end screen and source.
 */
#define _GNU_SOURCE 1 /* memmem */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "player_int.h"
#include "store.h"
#include "view.h"

#define LADDER_LOOKBACK 4000        /* steps searched back for the session shown */

/* ------------------------------------------------------------------ */
/* Pane titles.                                                        */

void pane_title(struct player *p, struct pane *pn, int id, const char *text)
{
	attr_t a = p->focus == id ? term_attr[R_FOCUS] : term_attr[R_HEAD];
	term_fill(pn->y, pn->x, pn->w, "─", term_attr[R_DIM]);
	char t[256];
	snprintf(t, sizeof t, " %s ", text);
	term_put(pn->y, pn->x + 1, pn->w - 2, t, a);
}

/* ------------------------------------------------------------------ */
/* The conversation: a ladder diagram of the current session.          */

/* The protocol line shown: the cursor's, or the last one before it. */
static size_t ladder_anchor(const struct player *p)
{
	struct pb_step s;
	size_t i = p->cur;
	for (int k = 0; i != SIZE_MAX && k < LADDER_LOOKBACK; k++, i--) {
		if (pb_get_step(p->pb, i, &s) && !s.event && s.session)
			return i;
		if (i == 0)
			break;
	}
	return SIZE_MAX;
}

static void draw_ladder_row(struct player *p, struct pane *pn, int y, const struct pb_step *s,
			    bool current)
{
	int w = pn->w;
	attr_t pa = term_proto_attr(s->proto);
	attr_t ta = current ? term_attr[R_CUR] : s->tls ? term_attr[R_TLS] : A_NORMAL;
	if (current)
		term_fill(y, pn->x, w, " ", ta);
	term_put(y, pn->x, 1, "│", current ? ta : pa);
	term_put(y, pn->x + w - 1, 1, "│", current ? ta : pa);
	int tw = w - 8;
	size_t fit = term_fit(s->text, s->text_len, tw);
	int used = term_width(s->text, fit);
	if (s->dir == DIR_C2S) {
		term_put(y, pn->x + 1, 2, "─ ", current ? ta : pa);
		term_putn(y, pn->x + 3, tw, s->text, fit, ta);
		int x = pn->x + 3 + used + 1;
		term_fill(y, x, pn->x + w - 2 - x, "─", current ? ta : pa);
		term_put(y, pn->x + w - 2, 1, "►", current ? ta : pa | A_BOLD);
	} else {
		term_put(y, pn->x + 1, 3, "◄─ ", current ? ta : pa | A_BOLD);
		term_putn(y, pn->x + 4, tw, s->text, fit, ta);
		int x = pn->x + 4 + used + 1;
		term_fill(y, x, pn->x + w - 1 - x, "─", current ? ta : pa);
	}
	(void)p;
}

/* The last protocol line of a session before step i (or SIZE_MAX). */
static size_t ladder_anchor_before(const struct player *p, size_t i)
{
	struct pb_step s;
	for (int k = 0; i != SIZE_MAX && i > 0 && k < LADDER_LOOKBACK; k++) {
		i--;
		if (pb_get_step(p->pb, i, &s) && !s.event && s.session)
			return i;
	}
	return SIZE_MAX;
}

void pane_draw_ladder(struct player *p, struct pane *pn)
{
	assert(pn == &p->pane[PANE_LADDER] && p->ladder_step); /* layout() made its rows */
	struct pb_step s;
	size_t a = ladder_anchor(p);
	for (int y = 0; y < LINES; y++)
		p->ladder_step[y] = SIZE_MAX;

	/* the bottom row: the anchor, scrolled back - past the start of its
	 * session into the ones before, so the whole run can be read back */
	size_t bottom = a;
	for (int k = 0; bottom != SIZE_MAX && k < pn->scroll; k++) {
		size_t q = pb_session_prev(p->pb, bottom);
		if (q == SIZE_MAX) {
			size_t first = bottom;
			while ((q = pb_session_prev(p->pb, first)) != SIZE_MAX)
				first = q;
			q = ladder_anchor_before(p, first);
		}
		if (q == SIZE_MAX) {
			pn->scroll = k;
			break;
		}
		bottom = q;
	}
	if (!step_at(p, bottom, &s)) {
		pane_title(p, pn, PANE_LADDER, _("Conversation"));
		term_put(pn->y + 2, pn->x + 2, pn->w - 4, _("No conversation yet."), term_attr[R_DIM]);
		return;
	}
	char t[200];
	const char *fmt = pn->w >= 44 ? (pn->scroll ? _("Conversation · %s session %u (scrolled back)")
						     : _("Conversation · %s session %u"))
				      : (pn->scroll ? _("%s session %u (scrolled back)") : _("%s session %u"));
	snprintf(t, sizeof t, fmt, view_proto_label(s.proto), s.session);
	pane_title(p, pn, PANE_LADDER, t);
	const char *client = s.dir == DIR_C2S ? s.from_name : s.to_name;
	const char *server = s.dir == DIR_C2S ? s.to_name : s.from_name;
	int sw = term_width(server, strlen(server));
	if (sw > pn->w / 2 - 1)
		sw = pn->w / 2 - 1;
	term_put(pn->y + 1, pn->x, pn->w / 2 - 1, client, term_attr[R_HEAD]);
	term_put(pn->y + 1, pn->x + pn->w - sw, sw, server, term_attr[R_HEAD]);

	int rows = pn->h - 2;
	size_t *idx = xcalloc((size_t)rows + 1, sizeof *idx);
	int nr = 0;
	for (size_t q = fold_visible(p, bottom); q != SIZE_MAX && nr < rows;
	     q = fold_visible(p, pb_session_prev(p->pb, q)))
		idx[nr++] = q;
	for (int r = 0; r < nr; r++) {
		size_t q = idx[nr - 1 - r];
		int y = pn->y + 2 + r;
		if (step_at(p, q, &s)) {
			char folded[240], tls[240];
			tls_text(p, &s, tls, sizeof tls); /* inside TLS: a record, or revealed */
			if (fold_label(p, &s, folded, sizeof folded)) { /* a message body, one row */
				s.text = folded;
				s.text_len = strlen(folded);
			}
			draw_ladder_row(p, pn, y, &s, q == p->cur);
			p->ladder_step[y] = q;
		}
	}
	for (int r = nr; r < rows; r++) {
		term_put(pn->y + 2 + r, pn->x, 1, "│", term_attr[R_DIM]);
		term_put(pn->y + 2 + r, pn->x + pn->w - 1, 1, "│", term_attr[R_DIM]);
	}
	free(idx);
}

/* ------------------------------------------------------------------ */
/* The explanation of the current step.                                */

void pane_draw_explain(struct player *p, struct pane *pn)
{
	assert(pn == &p->pane[PANE_EXPLAIN]);
	struct pb_step s;
	char t[512];
	struct span lines[64];
	struct buf text;
	buf_init(&text);
	attr_t body = A_NORMAL;
	if (quiz_explain(p, t, sizeof t, &text)) {
		pane_title(p, pn, PANE_EXPLAIN, t);
		body = term_attr[R_BANNER];
	} else if (p->live && p->live_info && pb_nhosts(p->pb) == p->nhosts0) {
		pane_title(p, pn, PANE_EXPLAIN, _("LIVE · listening"));
		buf_adds(&text, p->live_info);
		buf_adds(&text, _("Connect a client (telnet, nc, a mail client) to a port above: it "
				  "appears on the map. Space follows or pauses, q stops serve."));
	} else if (!step_at(p, p->cur, &s)) {
		pane_title(p, pn, PANE_EXPLAIN, _("Explanation"));
		buf_printf(&text,
			   P_("%s: %zu step. Space plays, n steps forward, ? lists the keys.",
			      "%s: %zu steps. Space plays, n steps forward, ? lists the keys.", p->n),
			   p->o->title, p->n);
	} else if (s.is_note) {
		pane_title(p, pn, PANE_EXPLAIN, _("Note"));
		buf_adds(&text, _("NOTE  "));
		buf_add(&text, s.text, s.text_len);
		buf_adds(&text, _("\n(auto-play pauses here: Space goes on)"));
		body = term_attr[R_BANNER];
	} else {
		if (s.event)
			/* TRANSLATORS: the step's number, an event name (as is), a host */
			snprintf(t, sizeof t, _("Step %zu · %s at %s"), s.index + 1, s.event, s.from_name);
		else
			/* TRANSLATORS: the step's number, a protocol, a host, an arrow, a host */
			snprintf(t, sizeof t, _("Step %zu · %s · %s %s %s"), s.index + 1,
				 view_proto_label(s.proto), s.from_name, "→", s.to_name ? s.to_name : "");
		pane_title(p, pn, PANE_EXPLAIN, t);
		if (s.event)
			buf_printf(&text, "* %s: ", s.event);
		char tls[512];
		bool in_tls = tls_text(p, &s, tls, sizeof tls);
		buf_add(&text, s.text, s.text_len);
		buf_addc(&text, '\n');
		if (in_tls)
			buf_adds(&text, p->tls_reveal
						? _("(inside TLS: a wiretapper sees only a record of this size; "
						    "t hides the line again)\n")
						: _("(inside TLS: all a wiretapper sees; t reveals the line)\n"));
		if (s.note)
			buf_adds(&text, s.note);
	}
	size_t nl = term_wrap(text.p, text.len, pn->w - 2, lines, 64);
	int rows = pn->h - 1;
	if (pn->scroll > (int)nl - rows)
		pn->scroll = (int)nl - rows > 0 ? (int)nl - rows : 0;
	for (int r = 0; r < rows; r++) {
		size_t li = (size_t)(r + pn->scroll);
		if (body != A_NORMAL)
			term_fill(pn->y + 1 + r, pn->x, pn->w, " ", body);
		if (li >= nl)
			continue;
		attr_t a = body;
		if (li == 0 && body == A_NORMAL && step_at(p, p->cur, &s) && !s.event)
			a = term_proto_attr(s.proto) | A_BOLD;
		term_putn(pn->y + 1 + r, pn->x + 1, pn->w - 2, lines[li].p, lines[li].n, a);
	}
	if ((int)nl > rows + pn->scroll)
		term_put(pn->y + pn->h - 1, pn->x + pn->w - 1, 1, "↓", term_attr[R_HEAD]);
	buf_free(&text);
}

/* ------------------------------------------------------------------ */
/* The mailboxes: each owner's folders and messages, in columns.       */

/* S, F, D for \Seen, \Flagged, \Deleted; POP3's DELE mark shows as D
 * too: in both, the message goes at the next EXPUNGE or QUIT. */
static void flags_text(const struct pb_msg *m, char out[4])
{
	out[0] = m->flags & STORE_FLAG_SEEN ? 'S' : '.';
	out[1] = m->flags & STORE_FLAG_FLAGGED ? 'F' : '.';
	out[2] = m->flags & STORE_FLAG_DELETED || m->marked ? 'D' : '.';
	out[3] = 0;
}

/* The legend of the flag letters, the longest that fits w columns. */
static const char *flags_legend(int w)
{
	static const char *const forms[] = {
		N_("S \\Seen  F \\Flagged  D \\Deleted or marked by POP3 DELE"),
		N_("S \\Seen  F \\Flagged  D \\Deleted/marked (DELE)"),
		N_("S \\Seen  F \\Flagged  D \\Deleted/marked"),
		N_("S \\Seen F \\Flagged D \\Deleted/DELE"),
		"S\\Seen F\\Flagged D\\Deleted", /* the flags alone */
	};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		const char *f = _(forms[i]);
		if (term_width(f, strlen(f)) <= w)
			return f;
	}
	return NULL;
}

/* The words beside a marked message, where the line has room for them. */
#define MARKED_WORDS _(" marked (DELE)")
#define MARKED_MIN_COLS 30

static bool flashing(const struct player *p, size_t changed_at)
{
	return p->cur != SIZE_MAX && changed_at <= p->cur && p->cur - changed_at < FLASH_STEPS;
}

enum mline_kind { ML_OWNER, ML_FOLDER, ML_MSG, ML_AUTH, ML_MORE, ML_EMPTY };
struct mline {
	enum mline_kind kind;
	size_t folder, index, more;
};

/* Whether a message has a line of authentication results under it. */
static bool msg_has_auth(struct player *p, size_t o, size_t f, size_t i)
{
	struct pb_msg m;
	return pb_get_msg(p->pb, o, f, i, &m) && m.auth && *m.auth;
}

/* The first message of folder f that fits `room` lines with the ones after
 * it (each a line, and one more for its authentication results), keeping a
 * line for "… N older" when some do not fit. */
static size_t first_that_fits(struct player *p, size_t o, size_t f, size_t nm, size_t room)
{
	size_t used = 0, first = nm;
	while (first > 0) {
		size_t h = 1 + msg_has_auth(p, o, f, first - 1);
		size_t more = first - 1 > 0; /* the "older" line, if any are left */
		if (used + h + more > room)
			break;
		used += h;
		first--;
	}
	return first;
}

/* The lines of one owner's block, at most max. */
static size_t owner_lines(struct player *p, size_t o, struct mline *ml, size_t max)
{
	assert(max >= 1); /* the owner's own line always fits */
	size_t n = 0, nf = pb_nfolders(p->pb, o), shown = 0;
	ml[n++] = (struct mline){ ML_OWNER, 0, 0, 0 };
	size_t nonempty = 0;
	for (size_t f = 0; f < nf; f++)
		nonempty += pb_nmsgs(p->pb, o, f) > 0;
	for (size_t f = 0; f < nf && n < max; f++) {
		size_t nm = pb_nmsgs(p->pb, o, f);
		if (!nm)
			continue;
		const char *fname = pb_folder(p->pb, o, f);
		if (nonempty > 1 || strcmp(fname, "INBOX") != 0)
			ml[n++] = (struct mline){ ML_FOLDER, f, 0, nm };
		size_t room = max > n ? max - n : 0;
		size_t first = first_that_fits(p, o, f, nm, room);
		if (first == nm && nm > 0 && room > 1)
			first = nm - 1; /* the newest at least, if it has a line */
		if (first > 0 && n < max) /* the newest messages, and how many more */
			ml[n++] = (struct mline){ ML_MORE, f, 0, first };
		for (size_t i = first; i < nm && n < max; i++, shown++) {
			ml[n++] = (struct mline){ ML_MSG, f, i, 0 };
			if (n < max && msg_has_auth(p, o, f, i))
				ml[n++] = (struct mline){ ML_AUTH, f, i, 0 };
		}
	}
	if (!shown && n < max)
		ml[n++] = (struct mline){ ML_EMPTY, 0, 0, 0 };
	return n;
}

/*
 * A message's authentication results, under it: the receiving server's
 * summary "spf=fail dkim=pass dmarc=fail" (RFC 8601 result words) drawn as
 * "✗spf ✓dkim ✗dmarc", each mark coloured: ✓ pass, ✗ fail or permerror,
 * ~ softfail, · anything else (none, neutral, temperror); a comment in
 * parentheses after a result is left out.
 */
static void draw_auth(int y, int x, int w, const char *auth)
{
	int used = term_put(y, x, w, "    ", A_NORMAL);
	for (const char *p = auth; *p && used < w;) {
		while (*p == ' ')
			p++;
		if (*p == '(') { /* a comment, "(body hash did not verify)": the source tells it */
			const char *close = strchr(p, ')');
			p = close ? close + 1 : p + strlen(p);
			continue;
		}
		size_t n = strcspn(p, " ");
		if (!n)
			break;
		const char *eq = memchr(p, '=', n);
		size_t mlen = eq ? (size_t)(eq - p) : n;
		const char *res = eq ? eq + 1 : "";
		size_t rlen = eq ? n - mlen - 1 : 0;
#define RES_IS(word) (rlen == sizeof word - 1 && strncasecmp(res, word, rlen) == 0)
		const char *mark = "·";
		attr_t a = term_attr[R_DIM];
		if (RES_IS("pass")) {
			mark = "✓";
			a = term_attr[R_PASS];
		} else if (RES_IS("fail") || RES_IS("permerror")) {
			mark = "✗";
			a = term_attr[R_FAIL];
		} else if (RES_IS("softfail")) {
			mark = "~";
			a = term_attr[R_FAIL];
		}
#undef RES_IS
		used += term_put(y, x + used, w - used, mark, a);
		used += term_putn(y, x + used, w - used, p, mlen, a);
		used += term_put(y, x + used, w - used, " ", A_NORMAL);
		p += n;
	}
}

/* A folder where the server put mail it does not trust (DMARC
 * p=quarantine, RFC 7489 6.3): the name the verifying server uses. */
static bool is_junk(const char *folder)
{
	return strcasecmp(folder, "Junk") == 0;
}

void pane_draw_mail(struct player *p, struct pane *pn)
{
	assert(pn == &p->pane[PANE_MAIL]);
	size_t no = pb_nowners(p->pb);
	char t[160];
	snprintf(t, sizeof t, _("Mailboxes (%zu)"), no);
	pane_title(p, pn, PANE_MAIL, t); /* the ladder's right line separates */
	p->nvis = 0;
	int x0 = pn->x + 2, w = pn->w - 2, rows = pn->h - 1;
	if (p->mode == MODE_QUIZ) { /* a flag or a count would give the answer away */
		const char *hidden = _("Hidden until the answer is revealed.");
		struct span l[4];
		size_t nl = term_wrap(hidden, strlen(hidden), w - 1, l, 4);
		for (size_t i = 0; i < nl && (int)i < rows - 1; i++)
			term_putn(pn->y + 2 + (int)i, x0, w, l[i].p, l[i].n, term_attr[R_DIM]);
		return;
	}
	/* the legend takes the bottom line when the pane has lines to spare */
	const char *legend = rows >= 5 ? flags_legend(w - 1) : NULL;
	if (legend) {
		rows--;
		term_put(pn->y + pn->h - 1, x0, w - 1, legend, term_attr[R_DIM]);
	}
	if (!no) {
		term_put(pn->y + 2, x0, w, _("No mail yet."), term_attr[R_DIM]);
		return;
	}
	int ncol = w / 22 > 0 ? w / 22 : 1;
	if (ncol > 4)
		ncol = 4;
	int colw = (w - (ncol - 1)) / ncol;
	if (pn->scroll >= (int)no)
		pn->scroll = (int)no - 1;
	if (pn->scroll < 0)
		pn->scroll = 0;
	struct mline *ml = xcalloc((size_t)rows + 2, sizeof *ml);
	int col = 0, y = 0;
	size_t o;
	for (o = (size_t)pn->scroll; o < no; o++) {
		size_t room = (size_t)(rows - y);
		size_t want = owner_lines(p, o, ml, (size_t)rows);
		if (want > room && y > 0) {
			if (++col >= ncol)
				break;
			y = 0;
			room = (size_t)rows;
		}
		size_t nl = owner_lines(p, o, ml, room);
		int cx = x0 + col * (colw + 1);
		for (size_t k = 0; k < nl; k++) {
			int yy = pn->y + 1 + y + (int)k;
			struct mline *m = &ml[k];
			if (m->kind == ML_OWNER) {
				bool dev;
				const char *name = pb_owner(p->pb, o, &dev);
				int used = term_put(yy, cx, colw, name,
						    term_attr[R_HEAD] | A_UNDERLINE);
				if (o < p->nremoved && p->removed[o]) {
					snprintf(t, sizeof t, " −%d", p->removed[o]);
					term_put(yy, cx + used, colw - used, t, term_attr[R_FLASH]);
				} else {
					const char *kind = dev ? _(" (device)") : _(" (server)");
					if (used + term_width(kind, strlen(kind)) <= colw)
						term_put(yy, cx + used, colw - used, kind, term_attr[R_DIM]);
				}
			} else if (m->kind == ML_FOLDER) {
				const char *fname = pb_folder(p->pb, o, m->folder);
				snprintf(t, sizeof t, " %s (%zu)", fname, m->more);
				bool junk = is_junk(fname);
				int used = term_put(yy, cx, colw, t, term_attr[junk ? R_FAIL : R_HEAD]);
				const char *why = _(" ⚠ quarantined");
				if (junk && used + term_width(why, strlen(why)) <= colw)
					term_put(yy, cx + used, colw - used, why, term_attr[R_FAIL]);
			} else if (m->kind == ML_AUTH) {
				struct pb_msg msg;
				if (pb_get_msg(p->pb, o, m->folder, m->index, &msg) && msg.auth)
					draw_auth(yy, cx, colw, msg.auth);
			} else if (m->kind == ML_MORE) {
				snprintf(t, sizeof t, P_("  … %zu older", "  … %zu older", m->more), m->more);
				term_put(yy, cx, colw, t, term_attr[R_DIM]);
			} else if (m->kind == ML_EMPTY) {
				term_put(yy, cx, colw, _("  (empty)"), term_attr[R_DIM]);
			} else {
				struct pb_msg msg;
				if (!pb_get_msg(p->pb, o, m->folder, m->index, &msg))
					continue;
				char fl[4];
				flags_text(&msg, fl);
				bool sel = p->focus == PANE_MAIL && p->nvis == p->sel;
				attr_t a = flashing(p, msg.changed_at) ? term_attr[R_FLASH]
								       : A_NORMAL;
				if (sel)
					a = term_attr[R_CUR];
				if (!(msg.flags & STORE_FLAG_SEEN))
					a |= A_BOLD;
				snprintf(t, sizeof t, " %s %s", fl, msg.subject ? msg.subject : _("(no subject)"));
				term_fill(yy, cx, colw, " ", a);
				term_put(yy, cx, colw, t, a);
				int mw = term_width(MARKED_WORDS, strlen(MARKED_WORDS));
				if (msg.marked && colw >= MARKED_MIN_COLS)
					term_put(yy, cx + colw - mw, mw, MARKED_WORDS, a | A_BOLD);
				if (p->nvis == p->capvis) {
					p->capvis = p->capvis ? p->capvis * 2 : 32;
					p->vis = xrealloc(p->vis, p->capvis * sizeof *p->vis);
				}
				p->vis[p->nvis++] = (struct visible_msg){ o, m->folder, m->index, yy, cx, colw };
			}
		}
		y += (int)nl;
		if (y < rows)
			y++; /* a blank line between owners */
	}
	if (o < no)
		term_put(pn->y + rows, pn->x + pn->w - 1, 1, "↓", term_attr[R_HEAD]);
	if (pn->scroll > 0)
		term_put(pn->y + 1, pn->x + pn->w - 1, 1, "↑", term_attr[R_HEAD]);
	if (p->sel >= p->nvis)
		p->sel = p->nvis ? p->nvis - 1 : 0;
	free(ml);
}

/* ------------------------------------------------------------------ */
/* Title, status line, overlays.                                       */

void pane_draw_title_line(struct player *p)
{
	term_fill(0, 0, COLS, " ", term_attr[R_TITLE]);
	char t[256];
	snprintf(t, sizeof t, " mailsim · %s%s", p->o->title, p->o->quiz ? "  [quiz]" : "");
	bool legend_on = !p->o->mono && has_colors();
	/* a long title (Portuguese ones are) stops short of the legend */
	term_put(0, 0, legend_on ? COLS - 22 : COLS, t, term_attr[R_TITLE]);
	if (legend_on) {
		static const struct {
			const char *n;
			enum role r;
		} legend[] = { { "SMTP", R_SMTP }, { "POP3", R_POP3 }, { "IMAP", R_IMAP }, { "DNS", R_DNS } };
		int x = COLS - 21;
		for (size_t i = 0; i < 4; i++) {
			term_put(0, x, 5, legend[i].n, term_attr[legend[i].r] | A_REVERSE | A_BOLD);
			x += (int)strlen(legend[i].n) + 1;
		}
	}
}

/* "0.354s", "12.000250s", from microseconds, exact. */
static void fmt_time(char *out, size_t n, int64_t us)
{
	if (us < 0)
		us = 0;
	int64_t s = us / 1000000, frac = us % 1000000;
	if (frac % 1000 == 0)
		snprintf(out, n, "%lld.%03llds", (long long)s, (long long)(frac / 1000));
	else
		snprintf(out, n, "%lld.%06llds", (long long)s, (long long)frac);
}

/* The last note at or before the cursor (SIZE_MAX: none yet).  Steps at
 * or before the cursor never change, so what was found for an earlier
 * cursor serves: going forward, only the steps passed since are looked
 * at; going back, the old chapter still holds unless the cursor went back
 * past it. */
static size_t current_chapter(struct player *p)
{
	if (p->cur == SIZE_MAX)
		return SIZE_MAX;
	size_t low = 0; /* the steps below it hold no newer note than p->chapter */
	if (p->chapter_known && p->cur >= p->chapter_cur)
		low = p->chapter_cur + 1;
	else if (p->chapter_known && p->chapter != SIZE_MAX && p->chapter <= p->cur)
		low = p->cur + 1; /* back, but not past the chapter: it holds */
	else
		p->chapter = SIZE_MAX; /* look from the start */
	struct pb_step s;
	for (size_t i = p->cur + 1; i-- > low;) {
		if (pb_get_step(p->pb, i, &s) && step_is_note(&s)) {
			p->chapter = i;
			break;
		}
	}
	p->chapter_known = true;
	p->chapter_cur = p->cur;
	return p->chapter;
}

/* How many of the scenario's checks passed. */
static size_t checks_passed(const struct playback *pb)
{
	size_t k = 0;
	bool ok;
	for (size_t i = 0; i < pb_nchecks(pb); i++)
		k += pb_check(pb, i, &ok) && ok;
	return k;
}

void pane_draw_status_line(struct player *p)
{
	int y = LINES - 1;
	term_fill(y, 0, COLS, " ", term_attr[R_STATUS]);
	if (p->mode == MODE_GOTO) {
		char t[80];
		snprintf(t, sizeof t, _(" Go to step (1-%zu): %.*s_   Enter go  Esc cancel"), p->n,
			 (int)p->golen, p->go);
		term_put(y, 0, COLS, t, term_attr[R_STATUS]);
		return;
	}
	struct pb_step s;
	char tm[32], t[256];
	fmt_time(tm, sizeof tm, step_at(p, p->cur, &s) ? s.t_us : 0);
	if (p->live)
		snprintf(t, sizeof t, _(" LIVE  t=%s  step %zu/%zu  %s"), tm,
			 p->cur == SIZE_MAX ? 0 : p->cur + 1, p->n,
			 p->playing ? _("▶ following") : _("‖ paused"));
	else
		snprintf(t, sizeof t, _(" t=%s  step %zu/%zu  %s  %s"), tm,
			 p->cur == SIZE_MAX ? 0 : p->cur + 1, p->n, player_speed_names[p->speed],
			 p->mode == MODE_QUIZ ? _("? question")
			 : p->playing	      ? _("▶ playing")
					      : _("‖ paused"));
	if (p->o->quiz && !p->live) /* the score: right of asked */
		snprintf(t + strlen(t), sizeof t - strlen(t), _("  quiz %u/%u"), p->quiz_right,
			 p->quiz_asked);
	if (tls_in_run(p)) /* which view of the lines inside TLS */
		snprintf(t + strlen(t), sizeof t - strlen(t), "%s",
			 p->tls_reveal ? _("  TLS: revealed 🔒") : _("  TLS: as a wiretapper sees it"));
	const char *fname = timeline_filter_name(p->filter);
	if (fname) /* stepping skips the other protocols: say so */
		snprintf(t + strlen(t), sizeof t - strlen(t), _("  %s only"), fname);
	size_t nchecks = pb_nchecks(p->pb), passed = checks_passed(p->pb);
	if (!p->live && nchecks && p->n && p->cur == p->n - 1) /* the story is over */
		snprintf(t + strlen(t), sizeof t - strlen(t), _("  checks %zu/%zu %s"), passed,
			 nchecks, passed == nchecks ? "✓" : "✗");
	if (p->said[0]) /* what the last key did (w: the handout's file) */
		snprintf(t + strlen(t), sizeof t - strlen(t), "  %.200s", p->said);
	int used = term_put(y, 0, COLS, t, term_attr[R_STATUS] | A_BOLD);
	/* the keys when the whole list does not fit */
	const char *few = p->mode == MODE_QUIZ ? _("1-6 answer  q quit ") : _("? help  q quit ");
	int fw = term_width(few, strlen(few));
	/* the chapter: the last note at or before the cursor, cut to fit
	 * beside the short keys */
	size_t ch = current_chapter(p);
	if (step_at(p, ch, &s) && used + 4 + 2 + fw + 2 < COLS) {
		const char *nl = memchr(s.text, '\n', s.text_len);
		used += term_put(y, used, COLS, "  § ", term_attr[R_STATUS]);
		used += term_putn(y, used, COLS - used - 2 - fw - 2, s.text,
				  nl ? (size_t)(nl - s.text) : s.text_len, term_attr[R_STATUS]);
	}
	const char *keys = p->live	  ? _("Space follow  n/p step  Tab pane  ? help  q stop ")
			   : p->mode == MODE_QUIZ ? _("1-6 answer  p back  q quit ")
			   : COLS >= 100 ? _("Space play  n/p step  +/- speed  Tab pane  ? help  q quit ")
					 : _("Space play  n/p step  ? help  q quit ");
	int kw = term_width(keys, strlen(keys));
	if (used + 2 + kw <= COLS)
		term_put(y, COLS - kw, kw, keys, term_attr[R_STATUS]);
	else if (used + fw + 1 <= COLS)
		term_put(y, COLS - fw - 2, fw, few, term_attr[R_STATUS]);
}

static const char *const help_lines[] = {
	N_("Space        play / pause; at the last step: the end screen"),
	N_("Right n  Left p  next step, previous step (exact: replayed)"),
	N_("+  -         speed, 0.25x to 16x"),
	N_("Home  End    the start, the last step"),
	N_("]  [         the next, the previous note (a chapter)"),
	N_("g            go to a step by number"),
	N_("Tab          focus: conversation, mailboxes, explanation"),
	N_("v  1 2 3  0  the timeline; only SMTP, POP3, IMAP steps; all"),
	N_("Up Dn PgUp PgDn  scroll the focused pane / choose a message"),
	N_("Enter        a message's source; in the ladder: unfold a body"),
	N_("mouse        click a pane, a ladder line or a message"),
	N_("?            this help   1-6  answer (--quiz)   q  quit"),
	N_("t            TLS: reveal or hide   w  write the HTML handout"),
	"",
	N_("Flags: S \\Seen F \\Flagged D \\Deleted/DELE ('.' not set);"),
	N_("unread messages in bold; a change is highlighted for 3 steps;"),
	N_("'−N' beside a mailbox: N messages left it in those 3 steps."),
	N_("──► command, ◄── reply, ┄► connect, ╳ last line before close"),
	N_("Colours: SMTP yellow, POP3 magenta, IMAP cyan, DNS green."),
	N_("TLS record: a line sent inside TLS, in blue; 🔒 when revealed."),
};

/* Live mode (serve) says its own words for a few keys. */
static const char *help_line(bool live, int i)
{
	if (live && i == 0)
		return _("Space        follow the newest step / pause (LIVE)");
	if (live && i == 2)
		return _("+  -         (none: live runs on the real clock)");
	if (live && i == 3)
		return _("Home  End    the start, the newest step (and follow)");
	if (live && i == 11)
		return _("?            this help        q  stop serve");
	return *help_lines[i] ? _(help_lines[i]) : "";
}

/* The box stays between the title line and the status line: at 80x24 it
 * drops its blank first and last rows, and lines that still do not fit
 * (a smaller screen never gets here: term_too_small) are left out. */
void pane_draw_help(bool live)
{
	int n = (int)(sizeof help_lines / sizeof help_lines[0]);
	int room = LINES - 2, pad = 1;
	int w = 66, h = n + 4;
	if (h > room) {
		pad = 0;
		h = n + 2 <= room ? n + 2 : room;
	}
	if (w > COLS)
		w = COLS;
	int y = 1 + (room - h) / 2, x = (COLS - w) / 2;
	term_box(y, x, h, w, _("Keys"));
	for (int i = 0; i < n && i < h - 2 - 2 * pad; i++)
		term_put(y + 1 + pad + i, x + 2, w - 4, help_line(live, i), A_NORMAL);
	const char *closes = _(" any key closes ");
	int cw = term_width(closes, strlen(closes));
	term_put(y + h - 1, x + w - 6 - cw, cw, closes, term_attr[R_HEAD]);
}

/* The end screen, a box in the middle titled with the lesson: "the end",
 * each check with ✓ or ✗, the quiz's score.  Checks that do not fit are
 * counted on a last line. */
void pane_draw_end(struct player *p)
{
	size_t nchecks = pb_nchecks(p->pb), passed = checks_passed(p->pb);
	int w = COLS - 8 < 76 ? COLS - 8 : 76;
	int fixed = 6 + (p->quiz_asked ? 2 : 0); /* borders, the end, blanks, checks, score */
	int room = LINES - 4 - fixed;
	int shown = (int)nchecks <= room ? (int)nchecks : room - 1;
	if (shown < 0)
		shown = 0;
	int h = fixed + shown + ((size_t)shown < nchecks ? 1 : 0);
	int y = (LINES - h) / 2, x = (COLS - w) / 2, r = y + 1;
	term_box(y, x, h, w, p->o->title);
	const char *end = _("— the end —");
	int ew = term_width(end, strlen(end));
	term_put(r++, x + (w - ew) / 2, ew, end, term_attr[R_HEAD]);
	r++;
	char t[96];
	if (nchecks) {
		snprintf(t, sizeof t, _("checks: %zu of %zu passed"), passed, nchecks);
		term_put(r++, x + 2, w - 4, t, A_BOLD);
	} else {
		term_put(r++, x + 2, w - 4, _("checks: none in this lesson"), A_NORMAL);
	}
	for (int i = 0; i < shown; i++) {
		bool ok = false;
		const char *c = pb_check(p->pb, (size_t)i, &ok);
		term_put(r, x + 4, 2, ok ? "✓" : "✗", term_attr[ok ? R_DNS : R_DOWN] | A_BOLD);
		term_put_cut(r++, x + 6, w - 8, c, strlen(c), A_NORMAL);
	}
	if ((size_t)shown < nchecks) {
		size_t more = nchecks - (size_t)shown;
		snprintf(t, sizeof t,
			 P_("… %zu more (mailsim run shows them all)",
			    "… %zu more (mailsim run shows them all)", more),
			 more);
		term_put(r++, x + 4, w - 6, t, term_attr[R_DIM]);
	}
	if (p->quiz_asked) {
		r++;
		snprintf(t, sizeof t, _("quiz: %u of %u right"), p->quiz_right, p->quiz_asked);
		term_put(r++, x + 2, w - 4, t, A_BOLD);
	}
	term_put(y + h - 1, x + 2, w - 4, _(" q quit   ← back to the last step   Home start again "),
		 term_attr[R_HEAD]);
}

void pane_draw_source(struct player *p)
{
	int y = 1, x = 1, h = LINES - 2, w = COLS - 2;
	term_box(y, x, h, w, p->src_title);
	int rows = h - 2;
	if (p->src_scroll > (int)p->nsrcl - rows)
		p->src_scroll = (int)p->nsrcl - rows;
	if (p->src_scroll < 0)
		p->src_scroll = 0;
	for (int r = 0; r < rows && (size_t)(r + p->src_scroll) < p->nsrcl; r++) {
		struct span *l = &p->srcl[r + p->src_scroll];
		const char *arrow = memmem(l->p, l->n, "  ⇒ ", strlen("  ⇒ "));
		if (arrow) {
			int used = term_putn(y + 1 + r, x + 1, w - 2, l->p, (size_t)(arrow - l->p), A_NORMAL);
			term_putn(y + 1 + r, x + 1 + used, w - 2 - used, arrow, l->n - (size_t)(arrow - l->p),
				  term_attr[R_FLASH]);
		} else {
			term_putn(y + 1 + r, x + 1, w - 2, l->p, l->n, A_NORMAL);
		}
	}
	term_put(y + h - 1, x + 2, w - 4, _(" Up/Down PgUp/PgDn scroll   q Esc Enter close "),
		 term_attr[R_HEAD]);
}

/* A header field's note in the source, on lines of its own after the
 * field, each "  ⇒ " and a piece of the note wrapped to the overlay. */
static void source_note(struct buf *src, const char *note)
{
	struct span l[16];
	int w = COLS - 10 > 30 ? COLS - 10 : 30;
	size_t nl = term_wrap(note, strlen(note), w, l, 16);
	for (size_t k = 0; k < nl; k++) {
		buf_adds(src, "  ⇒ ");
		buf_add(src, l[k].p, l[k].n);
		buf_addc(src, '\n');
	}
}

void pane_open_source(struct player *p)
{
	if (p->sel >= p->nvis)
		return;
	struct visible_msg *v = &p->vis[p->sel];
	struct pb_msg m;
	if (!pb_get_msg(p->pb, v->owner, v->folder, v->index, &m) || !m.content)
		return;
	bool dev;
	snprintf(p->src_title, sizeof p->src_title, "%s · %s · %s", pb_owner(p->pb, v->owner, &dev),
		 pb_folder(p->pb, v->owner, v->folder), m.subject ? m.subject : _("(no subject)"));
	buf_clear(&p->src);
	bool headers = true;
	const char *why = NULL; /* the note of the header field being copied */
	struct buf dec;
	buf_init(&dec);
	for (size_t i = 0; i < m.content_len;) {
		const char *nl = memchr(m.content + i, '\n', m.content_len - i);
		size_t end = nl ? (size_t)(nl - m.content) : m.content_len;
		size_t n = end - i;
		if (n && m.content[i + n - 1] == '\r')
			n--;
		const char *line = m.content + i;
		bool folded = n && (line[0] == ' ' || line[0] == '\t'); /* a field goes on */
		if (why && !folded) {
			source_note(&p->src, _(why)); /* after the field's folded lines */
			why = NULL;
		}
		buf_add(&p->src, line, n);
		if (!n)
			headers = false;
		if (headers && memmem(line, n, "=?", 2)) {
			const char *colon = memchr(line, ':', n);
			size_t off = colon ? (size_t)(colon - line) + 1 : 0;
			buf_clear(&dec);
			mime_decode_header_value(&dec, line + off, n - off);
			buf_adds(&p->src, "  ⇒ ");
			buf_add(&p->src, dec.p, dec.len);
		}
		if (headers && !folded)
			why = mime_auth_field_note(line, n);
		buf_addc(&p->src, '\n');
		i = end + 1;
	}
	/* a body sent as quoted-printable or base64: decoded, after the source */
	const char *cte = NULL;
	size_t hdr_end = m.content_len;
	const char *blank = memmem(m.content, m.content_len, "\r\n\r\n", 4);
	size_t skip = 4;
	if (!blank) {
		blank = memmem(m.content, m.content_len, "\n\n", 2);
		skip = 2;
	}
	if (blank)
		hdr_end = (size_t)(blank - m.content);
	for (const char *q = m.content; q && q < m.content + hdr_end;) {
		if (!strncasecmp(q, "Content-Transfer-Encoding:", 26)) {
			cte = q + 26;
			break;
		}
		q = memchr(q, '\n', hdr_end - (size_t)(q - m.content));
		q = q ? q + 1 : NULL;
	}
	if (blank && cte) {
		while (*cte == ' ' || *cte == '\t')
			cte++;
		const char *body = blank + skip;
		size_t blen = m.content_len - (size_t)(body - m.content);
		buf_clear(&dec);
		int rc = -1;
		if (!strncasecmp(cte, "quoted-printable", 16))
			rc = mime_qp_decode(&dec, body, blen);
		else if (!strncasecmp(cte, "base64", 6))
			rc = mime_base64_decode(&dec, body, blen);
		if (rc == 0) {
			buf_adds(&p->src, _("\n── the body decoded  ⇒ ──\n"));
			for (size_t i = 0; i < dec.len; i++)
				if (dec.p[i] != '\r')
					buf_addc(&p->src, dec.p[i]);
			buf_addc(&p->src, '\n');
		}
	}
	buf_free(&dec);
	/* split into lines (no wrapping: the source as it is) */
	size_t cap = 16;
	p->nsrcl = 0;
	p->srcl = xrealloc(p->srcl, cap * sizeof *p->srcl);
	for (size_t i = 0; i < p->src.len;) {
		const char *nl = memchr(p->src.p + i, '\n', p->src.len - i);
		size_t end = nl ? (size_t)(nl - p->src.p) : p->src.len;
		if (p->nsrcl == cap) {
			cap *= 2;
			p->srcl = xrealloc(p->srcl, cap * sizeof *p->srcl);
		}
		p->srcl[p->nsrcl++] = (struct span){ p->src.p + i, end - i };
		i = end + 1;
	}
	p->src_scroll = 0;
	p->mode = MODE_SOURCE;
}
