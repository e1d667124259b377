/*
 * html.c - the handout (html.h): a recorded run as one HTML5 page, or its
 * sequence diagram as a standalone SVG.
 *
 * Read from html_write at the end: the page is its sections in order
 * (title and about, the map, the sequence diagram, the mailboxes before
 * and after, the checks, the quizzes), each a function.  The diagram has
 * the hosts as columns; in the page each step is one row (an <svg
 * class="arrow"> for a protocol line, so that a note can stand beside it
 * and a message body can fold into a <details>), in the SVG file one band
 * of a single picture.
 *
 * Everything taken from the run is escaped (esc): a message line may hold
 * any byte.  No clock, no locale-dependent number: the same run gives the
 * same bytes.
 */
#include "html.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "buf.h"
#include "i18n.h"
#include "store.h"
#include "view.h"

#define HTML_MAX_COLS 32
#define COL_W 150        /* a host column, in px */
#define ROW_H 20         /* one arrow */
#define HEAD_H 28        /* the host names above the columns */
#define CHAR_W 6.6       /* the width of a character of the 11px monospace */

/* ---------------------------------------------------------------- text */

/* s[0..n) as HTML (and XML) text or attribute value: & < > " ' as
 * entities; control characters shown as ^X (they are not allowed in
 * HTML); invalid UTF-8 as U+FFFD, so that the file is valid UTF-8. */
static void esc(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (c >= 0x80) {
			size_t len;
			if (utf8_decode(p + i, n - i, &len) < 0)
				buf_adds(b, "\xEF\xBF\xBD");
			else
				buf_add(b, s + i, len);
			i += len;
			continue;
		}
		switch (c) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		case '\t':
			buf_addc(b, ' ');
			break;
		default:
			if (c < 0x20 || c == 0x7F)
				buf_printf(b, "^%c", c == 0x7F ? '?' : c + '@');
			else
				buf_addc(b, (char)c);
		}
		i++;
	}
}

static void escs(struct buf *b, const char *s)
{
	if (s)
		esc(b, s, strlen(s));
}

/* How many bytes of s[0..n) hold its first max characters. */
static size_t utf8_prefix(const char *s, size_t n, size_t max)
{
	size_t i = 0, chars = 0;
	while (i < n && chars < max) {
		size_t len;
		utf8_decode((const unsigned char *)s + i, n - i, &len);
		i += len;
		chars++;
	}
	return i;
}

/* s, cut to max characters with an ellipsis, escaped. */
static void esc_cut(struct buf *b, const char *s, size_t n, size_t max)
{
	size_t k = utf8_prefix(s, n, max > 1 ? max - 1 : 1);
	if (k < n && max > 1) {
		esc(b, s, k);
		buf_adds(b, "…");
	} else {
		esc(b, s, n);
	}
}

/* -------------------------------------------------------------- columns */

/* The diagram's columns: each server after its devices, then the devices
 * without a server, then the names that are not hosts ("dns"). */
struct cols {
	const char *name[HTML_MAX_COLS];
	size_t n;
	size_t width; /* of the diagram, px */
};

static void cols_add(struct cols *c, const char *name)
{
	if (!name || c->n == HTML_MAX_COLS)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return;
	c->name[c->n++] = name;
}

static void cols_build(const struct playback *pb, size_t upto, struct cols *c)
{
	memset(c, 0, sizeof *c);
	size_t nh = pb_nhosts(pb);
	for (uint32_t s = 0; s < nh; s++) {
		if (!pb_host(pb, s)->server)
			continue;
		for (uint32_t d = 0; d < nh; d++)
			if (!pb_host(pb, d)->server && pb_host(pb, d)->home == s)
				cols_add(c, pb_host(pb, d)->name);
		cols_add(c, pb_host(pb, s)->name);
	}
	for (uint32_t d = 0; d < nh; d++)
		cols_add(c, pb_host(pb, d)->name);
	struct pb_step st;
	for (size_t i = 0; i < upto && pb_get_step(pb, i, &st); i++)
		if (!st.event) { /* "dns": a party of lines, not a host */
			cols_add(c, st.from_name);
			cols_add(c, st.to_name);
		}
	c->width = (c->n ? c->n : 1) * COL_W;
}

static int col_of(const struct cols *c, const char *name)
{
	for (size_t i = 0; name && i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return (int)i;
	return -1;
}

static int col_x(int col)
{
	return col * COL_W + COL_W / 2;
}

/* --------------------------------------------------------- the diagram */

static const char *proto_class(enum trace_proto p)
{
	return p == PROTO_NONE ? "ev" : trace_proto_name(p);
}

/* The text of a line as the diagram says it: inside TLS, the record a
 * wiretapper sees and the plaintext, each named. */
static void line_label(struct buf *b, const struct pb_step *s, size_t max)
{
	if (s->tls) {
		struct buf t;
		buf_init(&t);
		/* the record's plaintext is the line and its CRLF */
		buf_printf(&t, _("TLS record, %zu octets"), s->text_len + 2);
		buf_adds(&t, " · ");
		buf_adds(&t, _("inside: "));
		buf_add(&t, s->text, s->text_len);
		esc_cut(b, t.p, t.len, max);
		buf_free(&t);
	} else {
		esc_cut(b, s->text, s->text_len, max);
	}
}

/* The lifelines of every column, from y0 down h px. */
static void lifelines(struct buf *b, const struct cols *c, int y0, int h)
{
	for (size_t i = 0; i < c->n; i++)
		buf_printf(b, "<line class=\"life\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
			   col_x((int)i), y0, col_x((int)i), y0 + h);
}

/* An arrow for a line at y (the top of its band), with its text above the
 * shaft, starting beside the leftmost end and allowed to run on to the
 * right edge; the whole text in a <title>. */
static void arrow(struct buf *b, const struct cols *c, int y, const struct pb_step *s,
		  const char *label)
{
	int a = col_of(c, s->from_name), z = col_of(c, s->to_name);
	if (a < 0 || z < 0)
		return;
	int x1 = col_x(a), x2 = col_x(z), ym = y + ROW_H - 5;
	int dir = x2 > x1 ? 1 : -1;
	buf_printf(b, "<g class=\"%s%s\"><title>", proto_class(s->proto), s->tls ? " tls" : "");
	if (label)
		escs(b, label);
	else
		line_label(b, s, (size_t)-1);
	buf_printf(b, "</title><line class=\"shaft\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x1, ym,
		   x2 - dir * 6, ym);
	buf_printf(b, "<polygon class=\"head\" points=\"%d,%d %d,%d %d,%d\"/>", x2, ym, x2 - dir * 7,
		   ym - 4, x2 - dir * 7, ym + 4);
	int tx = (x1 < x2 ? x1 : x2) + 6;
	size_t max = (size_t)((double)(c->width - (size_t)tx) / CHAR_W);
	buf_printf(b, "<text x=\"%d\" y=\"%d\">", tx, ym - 3);
	if (label)
		esc_cut(b, label, strlen(label), max);
	else
		line_label(b, s, max);
	buf_adds(b, "</text></g>");
}

/* An event at its host: a dot on the lifeline and the words beside it. */
static void event_mark(struct buf *b, const struct cols *c, int y, const struct pb_step *s)
{
	int a = col_of(c, s->from_name);
	int x = a < 0 ? 4 : col_x(a);
	struct buf t;
	buf_init(&t);
	buf_printf(&t, "* %s: ", s->event);
	buf_add(&t, s->text, s->text_len);
	buf_adds(b, "<g class=\"ev\"><title>");
	esc(b, t.p, t.len);
	buf_adds(b, "</title>");
	if (a >= 0)
		buf_printf(b, "<circle cx=\"%d\" cy=\"%d\" r=\"3\"/>", x, y + ROW_H - 8);
	size_t max = (size_t)((double)(c->width - (size_t)x) / CHAR_W);
	buf_printf(b, "<text x=\"%d\" y=\"%d\">", x + 6, y + ROW_H - 5);
	esc_cut(b, t.p, t.len, max);
	buf_adds(b, "</text></g>");
	buf_free(&t);
}

/* The host names over the columns. */
static void heads(struct buf *b, const struct cols *c, int y)
{
	for (size_t i = 0; i < c->n; i++) {
		buf_printf(b, "<text class=\"host\" x=\"%d\" y=\"%d\">", col_x((int)i), y + 18);
		esc_cut(b, c->name[i], strlen(c->name[i]), (size_t)(COL_W / 7));
		buf_adds(b, "</text>");
	}
}

/* "message: 11 lines, 300 octets" */
static void block_label(struct buf *b, const struct pb_block *k)
{
	char lines[64], octets[64];
	snprintf(lines, sizeof lines, P_("%zu line", "%zu lines", k->lines), k->lines);
	snprintf(octets, sizeof octets, P_("%llu octet", "%llu octets", k->octets),
		 (unsigned long long)k->octets);
	/* TRANSLATORS: a folded message body: "message: 11 lines, 300 octets" */
	buf_printf(b, _("message: %s, %s"), lines, octets);
}

/* The style both the page's diagram and the SVG file use. */
static const char svg_style[] =
	".life{stroke:#bbb;stroke-width:1}"
	"text{font:11px monospace;fill:#222;white-space:pre}"
	".host{font:bold 12px sans-serif;text-anchor:middle}"
	".shaft{stroke-width:1.5}"
	".smtp .shaft,.smtp .head{stroke:#a66a00;fill:#a66a00}.smtp text{fill:#7a4e00}"
	".pop3 .shaft,.pop3 .head{stroke:#a0308a;fill:#a0308a}.pop3 text{fill:#7d2269}"
	".imap .shaft,.imap .head{stroke:#0a7f8f;fill:#0a7f8f}.imap text{fill:#06606c}"
	".dns .shaft,.dns .head{stroke:#2e7d32;fill:#2e7d32}.dns text{fill:#1f5e22}"
	".tls .shaft{stroke-dasharray:5 3}.tls text{fill:#1f4fbf}"
	".ev text{fill:#666;font-style:italic}.ev circle{fill:#666}"
	".note-mark{fill:#555;font-style:italic}";

/* ------------------------------------------------------------ the page */

struct page {
	struct playback *pb;
	const struct html_doc *doc;
	size_t upto;     /* steps shown */
	struct cols cols;
	struct buf out;
	size_t nnotes;   /* the notes so far: anchors note-1, note-2... */
	size_t total_notes;
};

/* Whether step s carries a note a reader steps through: a story's note
 * (a chapter) or a teaching note on a line or event. */
static bool has_note(const struct pb_step *s)
{
	return s->is_note || s->note;
}

static void note_links(struct page *pg, size_t k)
{
	struct buf *b = &pg->out;
	if (k > 1)
		buf_printf(b, " <a class=\"nav\" href=\"#note-%zu\" title=\"%s\">↑</a>", k - 1,
			   _("previous note"));
	if (k < pg->total_notes)
		buf_printf(b, " <a class=\"nav\" href=\"#note-%zu\" title=\"%s\">↓</a>", k + 1,
			   _("next note"));
}

/* The teaching note beside an arrow or an event. */
static void side_note(struct page *pg, const struct pb_step *s)
{
	struct buf *b = &pg->out;
	if (!s->note) {
		buf_adds(b, "<p class=\"note empty\"></p>");
		return;
	}
	size_t k = ++pg->nnotes;
	buf_printf(b, "<p class=\"note\" id=\"note-%zu\">", k);
	escs(b, s->note);
	note_links(pg, k);
	buf_adds(b, "</p>");
}

/* One row: the step's arrow (or event) in an SVG band, its note beside. */
static void row(struct page *pg, const struct pb_step *s, const char *label)
{
	struct buf *b = &pg->out;
	buf_printf(b, "<div class=\"row\" id=\"step-%zu\"><svg class=\"%s\" width=\"%zu\" height=\"%d\" "
		      "viewBox=\"0 0 %zu %d\" role=\"img\">",
		   s->index + 1, s->event ? "event" : "arrow", pg->cols.width, ROW_H,
		   pg->cols.width, ROW_H);
	if (s->event)
		event_mark(b, &pg->cols, 0, s);
	else
		arrow(b, &pg->cols, 0, s, label);
	buf_adds(b, "</svg>");
	side_note(pg, s);
	buf_adds(b, "</div>\n");
}

/* A story's note: a chapter heading. */
static void chapter(struct page *pg, const struct pb_step *s)
{
	struct buf *b = &pg->out;
	size_t k = ++pg->nnotes;
	buf_printf(b, "<h3 class=\"chapter\" id=\"note-%zu\">", k);
	esc(b, s->text, s->text_len);
	note_links(pg, k);
	buf_adds(b, "</h3>\n");
}

/* A quiz in the run: where it is asked, with a link to its answer. */
static void quiz_row(struct page *pg, const struct pb_step *s, size_t nquiz)
{
	struct buf *b = &pg->out;
	struct trace_quiz q;
	if (trace_quiz_parse(s->text, s->text_len, &q) != 0)
		return;
	buf_printf(b, "<p class=\"quizmark\" id=\"step-%zu\"><a href=\"#quiz-%zu\">", s->index + 1,
		   nquiz);
	buf_printf(b, _("Question %zu"), nquiz);
	buf_adds(b, "</a>: ");
	escs(b, q.question);
	buf_adds(b, "</p>\n");
	trace_quiz_free(&q);
}

/* A message body: the folded row, and its lines in a <details>. */
static void body_block(struct page *pg, size_t bi)
{
	struct buf *b = &pg->out;
	struct pb_block k;
	if (!pb_get_block(pg->pb, bi, &k))
		return;
	struct pb_block shown = k;
	if (shown.last >= pg->upto) { /* cut by the step: count what is shown */
		shown.lines = 0;
		shown.octets = 0;
		struct pb_step s;
		for (size_t i = k.first; i < pg->upto; i++)
			if (pb_get_step(pg->pb, i, &s) && s.block == bi) {
				shown.lines++;
				shown.octets += s.text_len + 2;
			}
	}
	struct buf label;
	buf_init(&label);
	block_label(&label, &shown);
	buf_adds(b, "<details class=\"body\"><summary>");
	esc(b, label.p, label.len);
	buf_adds(b, "</summary>\n");
	struct pb_step s;
	for (size_t i = k.first; i <= k.last && i < pg->upto; i++)
		if (pb_get_step(pg->pb, i, &s) && s.block == bi)
			row(pg, &s, NULL);
	buf_adds(b, "</details>\n");
	buf_free(&label);
}

static void section_sequence(struct page *pg)
{
	struct buf *b = &pg->out;
	buf_printf(b, "<section id=\"sequence\"><h2>%s</h2>\n", _("Sequence diagram"));
	buf_printf(b, "<p class=\"legend\"><span class=\"k smtp\">SMTP</span> "
		      "<span class=\"k pop3\">POP3</span> <span class=\"k imap\">IMAP</span> "
		      "<span class=\"k dns\">DNS</span> <span class=\"k tls\">%s</span> "
		      "<span class=\"k ev\">%s</span></p>\n",
		   _("TLS (dashed)"), _("* event"));
	buf_printf(b, "<div class=\"heads\"><svg width=\"%zu\" height=\"%d\" viewBox=\"0 0 %zu %d\" "
		      "role=\"img\">",
		   pg->cols.width, HEAD_H, pg->cols.width, HEAD_H);
	heads(b, &pg->cols, 0);
	buf_adds(b, "</svg></div>\n");
	struct pb_step s;
	size_t nquiz = 0;
	for (size_t i = 0; i < pg->upto && pb_get_step(pg->pb, i, &s); i++) {
		if (s.block != SIZE_MAX) {
			struct pb_block k;
			if (pb_get_block(pg->pb, s.block, &k) && k.first == i)
				body_block(pg, s.block);
			continue; /* its rows are in the block's <details> */
		}
		if (s.is_note)
			chapter(pg, &s);
		else if (s.event && strcmp(s.event, "quiz") == 0)
			quiz_row(pg, &s, ++nquiz);
		else
			row(pg, &s, NULL);
	}
	if (pg->upto == 0)
		buf_printf(b, "<p>%s</p>\n", _("(no step yet)"));
	buf_adds(b, "</section>\n");
}

/* ---- the map */

/* The ports clients connected to, per server: from the "connect" events. */
static void server_ports(const struct page *pg, const char *server, struct buf *out)
{
	unsigned seen[16];
	size_t n = 0;
	struct pb_step s;
	for (size_t i = 0; i < pg->upto && pb_get_step(pg->pb, i, &s); i++) {
		if (!s.event || strcmp(s.event, "connect") != 0 || !s.to_name ||
		    strcmp(s.to_name, server) != 0)
			continue;
		/* the number that ends the detail, in every language ("connect to
		 * mx.gmail.com port 25", "... na porta 25") */
		const char *end = s.text + s.text_len, *p = end;
		while (p > s.text && p[-1] >= '0' && p[-1] <= '9' && end - p < 5)
			p--;
		if (p == end)
			continue;
		unsigned port = 0;
		while (p < end)
			port = port * 10 + (unsigned)(*p++ - '0');
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= seen[k] == port;
		if (!dup && n < 16)
			seen[n++] = port;
	}
	for (size_t k = 0; k < n; k++)
		buf_printf(out, "%s%u", k ? " " : "", seen[k]);
}

static void section_map(struct page *pg)
{
	struct buf *b = &pg->out;
	const struct playback *pb = pg->pb;
	size_t nh = pb_nhosts(pb);
	int w = (int)pg->cols.width, h = 150;
	buf_printf(b, "<section id=\"map\"><h2>%s</h2>\n", _("Map"));
	buf_printf(b, "<svg class=\"map\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">",
		   w, h, w, h);
	/* servers on the top row, devices below, each at its column's x */
	int x[HTML_MAX_COLS] = { 0 }, y[HTML_MAX_COLS] = { 0 };
	for (uint32_t i = 0; i < nh && i < HTML_MAX_COLS; i++) {
		int c = col_of(&pg->cols, pb_host(pb, i)->name);
		x[i] = col_x(c < 0 ? 0 : c);
		y[i] = pb_host(pb, i)->server ? 30 : 110;
	}
	for (size_t l = 0; l < pb_nlinks(pb); l++) {
		const struct pb_link *k = pb_link(pb, l);
		if (k->a >= HTML_MAX_COLS || k->b >= HTML_MAX_COLS)
			continue;
		struct buf lat;
		buf_init(&lat);
		view_seconds(&lat, k->latency_us);
		buf_printf(b, "<line class=\"link\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
			      "<text class=\"lat\" x=\"%d\" y=\"%d\">%ss</text>",
			   x[k->a], y[k->a], x[k->b], y[k->b], (x[k->a] + x[k->b]) / 2,
			   (y[k->a] + y[k->b]) / 2 - 4, lat.p);
		buf_free(&lat);
	}
	for (uint32_t i = 0; i < nh && i < HTML_MAX_COLS; i++) {
		const struct pb_host *hh = pb_host(pb, i);
		if (!hh->server && hh->home != PB_NONE && hh->home < HTML_MAX_COLS)
			buf_printf(b, "<line class=\"access\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
				   x[i], y[i], x[hh->home], y[hh->home]);
	}
	for (uint32_t i = 0; i < nh && i < HTML_MAX_COLS; i++) {
		const struct pb_host *hh = pb_host(pb, i);
		buf_printf(b, "<g class=\"%s\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"24\" rx=\"4\"/>"
			      "<text x=\"%d\" y=\"%d\">",
			   hh->server ? "server" : "device", x[i] - COL_W / 2 + 6, y[i] - 12,
			   COL_W - 12, x[i], y[i] + 4);
		esc_cut(b, hh->name, strlen(hh->name), 19);
		buf_adds(b, "</text>");
		if (hh->server) {
			struct buf ports;
			buf_init(&ports);
			server_ports(pg, hh->name, &ports);
			if (ports.len) {
				buf_printf(b, "<text class=\"ports\" x=\"%d\" y=\"%d\">", x[i], y[i] + 26);
				buf_printf(b, _("ports %s"), ports.p);
				buf_adds(b, "</text>");
			}
			buf_free(&ports);
		}
		buf_adds(b, "</g>");
	}
	buf_adds(b, "</svg>\n");
	/* the same in words, for a reader without the picture */
	buf_printf(b, "<table class=\"hosts\"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
		      "</tr></thead><tbody>\n",
		   _("Host"), _("Kind"), _("Owner or server"), _("Ports connected to"));
	for (uint32_t i = 0; i < nh; i++) {
		const struct pb_host *hh = pb_host(pb, i);
		buf_adds(b, "<tr><td>");
		escs(b, hh->name);
		buf_printf(b, "</td><td>%s</td><td>", hh->server ? _("mail server") : _("device"));
		if (hh->owner)
			escs(b, hh->owner);
		if (hh->home != PB_NONE) {
			buf_adds(b, " → ");
			escs(b, pb_host(pb, hh->home)->name);
		}
		buf_adds(b, "</td><td>");
		if (hh->server) {
			struct buf ports;
			buf_init(&ports);
			server_ports(pg, hh->name, &ports);
			esc(b, ports.p ? ports.p : "", ports.len);
			buf_free(&ports);
		}
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</tbody></table></section>\n");
}

/* ---- the mailboxes */

static void flags_text(struct buf *b, const struct pb_msg *m)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} f[] = {
		{ STORE_FLAG_SEEN, "\\Seen" },       { STORE_FLAG_ANSWERED, "\\Answered" },
		{ STORE_FLAG_FLAGGED, "\\Flagged" }, { STORE_FLAG_DELETED, "\\Deleted" },
		{ STORE_FLAG_DRAFT, "\\Draft" },
	};
	size_t start = b->len;
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (m->flags & f[i].bit)
			buf_printf(b, "%s%s", b->len > start ? " " : "", f[i].name);
	if (m->marked)
		buf_printf(b, "%sDELE", b->len > start ? " " : "");
}

static void mailboxes(struct page *pg, const char *caption)
{
	struct buf *b = &pg->out;
	const struct playback *pb = pg->pb;
	buf_printf(b, "<table class=\"mail\"><caption>%s</caption><thead><tr><th>%s</th><th>%s</th>"
		      "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>\n",
		   caption, _("Mailbox"), _("Folder"), _("Flags"), _("From"), _("Subject"),
		   _("Authentication results"));
	size_t rows = 0;
	for (size_t o = 0; o < pb_nowners(pb); o++) {
		bool device;
		const char *owner = pb_owner(pb, o, &device);
		for (size_t f = 0; f < pb_nfolders(pb, o); f++) {
			for (size_t i = 0; i < pb_nmsgs(pb, o, f); i++) {
				struct pb_msg m;
				if (!pb_get_msg(pb, o, f, i, &m))
					continue;
				buf_adds(b, "<tr><td>");
				escs(b, owner);
				buf_adds(b, "</td><td>");
				escs(b, pb_folder(pb, o, f));
				buf_adds(b, "</td><td>");
				struct buf fl;
				buf_init(&fl);
				flags_text(&fl, &m);
				esc(b, fl.p ? fl.p : "", fl.len);
				buf_free(&fl);
				buf_adds(b, "</td><td>");
				escs(b, m.from);
				buf_adds(b, "</td><td>");
				escs(b, m.subject);
				buf_adds(b, "</td><td>");
				escs(b, m.auth);
				buf_adds(b, "</td></tr>\n");
				rows++;
			}
		}
	}
	if (rows == 0)
		buf_printf(b, "<tr><td colspan=\"6\">%s</td></tr>\n", _("(no messages)"));
	buf_adds(b, "</tbody></table>\n");
}

static void section_mailboxes(struct page *pg)
{
	struct buf *b = &pg->out;
	buf_printf(b, "<section id=\"mailboxes\"><h2>%s</h2>\n", _("Mailboxes"));
	pb_seek(pg->pb, SIZE_MAX);
	mailboxes(pg, _("Before the first step"));
	pb_seek(pg->pb, pg->upto ? pg->upto - 1 : SIZE_MAX);
	char cap[128];
	snprintf(cap, sizeof cap, _("After step %zu of %zu"), pg->upto, pb_nsteps(pg->pb));
	mailboxes(pg, cap);
	buf_adds(b, "</section>\n");
}

/* ---- checks and quizzes */

static void section_checks(struct page *pg)
{
	struct buf *b = &pg->out;
	size_t n = pb_nchecks(pg->pb);
	if (n == 0)
		return;
	buf_printf(b, "<section id=\"checks\"><h2>%s</h2>\n", _("Checks"));
	if (pg->upto < pb_nsteps(pg->pb))
		buf_printf(b, "<p>%s</p>\n", _("As the whole run ended (this page stops earlier)."));
	buf_adds(b, "<ul class=\"checks\">\n");
	for (size_t i = 0; i < n; i++) {
		bool passed;
		const char *c = pb_check(pg->pb, i, &passed);
		buf_printf(b, "<li class=\"%s\"><strong>%s</strong> ", passed ? "pass" : "fail",
			   passed ? _("passed") : _("FAILED"));
		escs(b, c);
		buf_adds(b, "</li>\n");
	}
	buf_adds(b, "</ul></section>\n");
}

static void section_quizzes(struct page *pg)
{
	struct buf *b = &pg->out;
	struct pb_step s;
	size_t nquiz = 0;
	for (size_t i = 0; i < pg->upto && pb_get_step(pg->pb, i, &s); i++) {
		struct trace_quiz q;
		if (!s.event || strcmp(s.event, "quiz") != 0 ||
		    trace_quiz_parse(s.text, s.text_len, &q) != 0)
			continue;
		if (nquiz++ == 0)
			buf_printf(b, "<section id=\"quizzes\"><h2>%s</h2>\n<ol class=\"quiz\">\n",
				   _("Questions"));
		buf_printf(b, "<li id=\"quiz-%zu\"><p>", nquiz);
		escs(b, q.question);
		buf_adds(b, "</p>");
		if (q.nchoices) {
			buf_adds(b, "<ol class=\"choices\">");
			for (size_t k = 0; k < q.nchoices; k++) {
				buf_adds(b, "<li>");
				escs(b, q.choices[k]);
				buf_adds(b, "</li>");
			}
			buf_adds(b, "</ol>");
		}
		buf_printf(b, "<details><summary>%s</summary><p>", _("Answer"));
		if (q.answer > 0 && (size_t)q.answer <= q.nchoices) {
			buf_printf(b, "%d. ", q.answer);
			escs(b, q.choices[q.answer - 1]);
		}
		if (q.reply) {
			if (q.answer > 0)
				buf_adds(b, "; ");
			buf_adds(b, _("the reply that answers it:"));
			buf_addc(b, ' ');
			escs(b, q.reply);
		}
		buf_printf(b, " <a href=\"#step-%zu\">%s</a></p></details></li>\n", s.index + 1,
			   _("(where it is asked)"));
		trace_quiz_free(&q);
	}
	if (nquiz)
		buf_adds(b, "</ol></section>\n");
}

/* ---- the page */

static const char page_style[] =
	"body{font:15px/1.45 sans-serif;margin:1.5em auto;padding:0 1em;color:#222;"
	"background:#fff}"
	"h1{margin-bottom:.2em}h2{border-bottom:1px solid #ccc;margin-top:1.6em}"
	".meta{color:#666;font-size:90%}"
	"nav.toc a{margin-right:1em}"
	".row{display:flex;align-items:flex-start;gap:1em;min-height:20px}"
	".row svg{flex:none;display:block}"
	".note{margin:0;font-size:85%;color:#333;min-width:16em;max-width:40em;flex:1}"
	".note:target,.chapter:target{background:#ffe9a8}"
	".heads{position:sticky;top:0;background:#fff;z-index:1}"
	".heads svg{display:block}"
	".chapter{margin:.8em 0 .3em;padding:.3em .5em;background:#f2f2f2;border-left:4px solid #888;"
	"font-size:105%}"
	"a.nav{text-decoration:none;color:#888;font-size:80%}"
	"details.body{margin:0}details.body>summary{font:italic 12px monospace;color:#555;"
	"padding-left:1em;cursor:pointer;line-height:20px}"
	".quizmark{margin:0;padding:.2em 0;font-weight:bold}"
	".legend .k{display:inline-block;padding:0 .5em;margin-right:.3em;border-left:12px solid}"
	".k.smtp{border-color:#a66a00}.k.pop3{border-color:#a0308a}.k.imap{border-color:#0a7f8f}"
	".k.dns{border-color:#2e7d32}.k.tls{border-left-style:dashed;border-color:#1f4fbf}"
	".k.ev{border-color:#888}"
	"table{border-collapse:collapse;margin:.6em 0 1.2em}"
	"th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
	"caption{text-align:left;font-weight:bold;padding:.3em 0}"
	".checks .pass strong{color:#2e7d32}.checks .fail strong{color:#b00020}"
	".map .link{stroke:#555;stroke-width:2}.map .access{stroke:#999;stroke-dasharray:4 3}"
	".map rect{fill:#eef3fb;stroke:#446}.map .device rect{fill:#f6f6f6}"
	".map text{font:12px sans-serif;text-anchor:middle;fill:#222}"
	".map .lat,.map .ports{font-size:10px;fill:#555}"
	"footer{margin-top:2em;color:#888;font-size:80%}"
	"@media print{"
	"@page{size:A4;margin:15mm}"
	"body{max-width:none;margin:0;color:#000;background:#fff;font-size:10pt}"
	"nav.toc,a.nav,.keys{display:none}"
	".heads{position:static}"
	".chapter{break-before:page;page-break-before:always;background:none;border-left:2px solid #000}"
	"#sequence>.chapter:first-of-type{break-before:auto;page-break-before:auto}"
	"h2{break-before:page;page-break-before:always}"
	"header+section h2{break-before:auto;page-break-before:auto}"
	".row{break-inside:avoid;page-break-inside:avoid}"
	"svg text,.ev text,.tls text{fill:#000!important}"
	"svg line,svg polygon,svg circle{stroke:#000!important}"
	"svg polygon,svg circle{fill:#000!important}"
	".map rect{fill:#fff!important;stroke:#000!important}"
	".legend .k{border-color:#000!important}"
	".checks .pass strong,.checks .fail strong{color:#000}"
	"}";

/* n/j: the next note, p/k: the previous one (the anchors work without it). */
static const char page_script[] =
	"(function(){var notes=document.querySelectorAll('[id^=\"note-\"]');var cur=-1;"
	"document.addEventListener('keydown',function(e){"
	"if(e.ctrlKey||e.metaKey||e.altKey)return;var d=0;"
	"if(e.key==='n'||e.key==='j')d=1;else if(e.key==='p'||e.key==='k')d=-1;else return;"
	"if(!notes.length)return;var h=location.hash.slice(1);"
	"for(var i=0;i<notes.length;i++)if(notes[i].id===h)cur=i;"
	"cur=Math.max(0,Math.min(notes.length-1,cur+d));"
	"var el=notes[cur];var det=el.closest('details');if(det)det.open=true;"
	"location.hash='#'+el.id;e.preventDefault();});"
	"window.addEventListener('beforeprint',function(){"
	"document.querySelectorAll('details').forEach(function(d){d.open=true;});});})();";

static void page_head(struct page *pg)
{
	struct buf *b = &pg->out;
	const struct html_doc *d = pg->doc;
	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<meta name=\"generator\" content=\"mailsim\">\n<title>",
		   i18n_lang() == I18N_PT_BR ? "pt-BR" : "en");
	escs(b, d->title);
	buf_printf(b, "</title>\n<style>%s%s", page_style, svg_style);
	/* the lifelines of the rows, whatever a row's height (its note may
	 * take several lines): a stripe in the middle of each column */
	buf_printf(b, ".row,details.body>summary,.quizmark{background:repeating-linear-gradient(to right,"
		      "transparent 0 %dpx,#bbb %dpx %dpx,transparent %dpx %dpx) 0 0/%zupx 100%% no-repeat}"
		      "@media print{.row,details.body>summary,.quizmark{background:none}}",
		   COL_W / 2, COL_W / 2, COL_W / 2 + 1, COL_W / 2 + 1, COL_W, pg->cols.width);
	buf_adds(b, "</style>\n</head>\n<body>\n<header>\n<h1>");
	escs(b, d->title);
	buf_adds(b, "</h1>\n");
	for (size_t i = 0; i < d->nabout; i++) {
		buf_adds(b, "<p class=\"about\">");
		escs(b, d->about[i]);
		buf_adds(b, "</p>\n");
	}
	buf_adds(b, "<p class=\"meta\">");
	buf_printf(b, _("Steps %zu of %zu, seed %llu."), pg->upto, pb_nsteps(pg->pb),
		   (unsigned long long)d->seed);
	buf_printf(b, " <span class=\"keys\">%s</span></p>\n",
		   _("Keys: n or j, the next note; p or k, the previous one."));
	buf_printf(b, "<nav class=\"toc\"><a href=\"#map\">%s</a><a href=\"#sequence\">%s</a>"
		      "<a href=\"#mailboxes\">%s</a>",
		   _("Map"), _("Sequence diagram"), _("Mailboxes"));
	if (pb_nchecks(pg->pb))
		buf_printf(b, "<a href=\"#checks\">%s</a>", _("Checks"));
	if (pg->total_notes)
		buf_printf(b, "<a href=\"#note-1\">%s</a>", _("First note"));
	buf_adds(b, "</nav>\n</header>\n");
}

int html_write(struct playback *pb, const struct html_doc *doc, FILE *out)
{
	assert(pb && doc && out);
	struct page pg = { .pb = pb, .doc = doc };
	pg.upto = doc->upto < pb_nsteps(pb) ? doc->upto : pb_nsteps(pb);
	cols_build(pb, pg.upto, &pg.cols);
	struct pb_step s;
	for (size_t i = 0; i < pg.upto && pb_get_step(pb, i, &s); i++)
		pg.total_notes += has_note(&s);
	buf_init(&pg.out);
	page_head(&pg);
	section_map(&pg);
	section_sequence(&pg);
	section_mailboxes(&pg);
	section_checks(&pg);
	section_quizzes(&pg);
	buf_printf(&pg.out, "<footer>%s</footer>\n<script>%s</script>\n</body>\n</html>\n",
		   _("Written by mailsim, a teaching mail-system simulator."), page_script);
	fwrite(pg.out.p, 1, pg.out.len, out);
	buf_free(&pg.out);
	return ferror(out) ? -1 : 0;
}

/* ------------------------------------------------------------- the SVG */

int html_svg_write(struct playback *pb, const struct html_doc *doc, FILE *out)
{
	assert(pb && doc && out);
	size_t upto = doc->upto < pb_nsteps(pb) ? doc->upto : pb_nsteps(pb);
	struct cols c;
	cols_build(pb, upto, &c);
	/* the rows: each step but the lines of a body after its first, and quizzes */
	size_t nrows = 0;
	struct pb_step s;
	for (size_t i = 0; i < upto && pb_get_step(pb, i, &s); i++) {
		struct pb_block k;
		if (s.block != SIZE_MAX && pb_get_block(pb, s.block, &k) && k.first != i)
			continue;
		nrows++;
	}
	const int note_w = 520;
	size_t width = c.width + note_w;
	int height = HEAD_H + (int)nrows * ROW_H + 10;
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%zu\" height=\"%d\" "
		       "viewBox=\"0 0 %zu %d\">\n<title>",
		   width, height, width, height);
	escs(&b, doc->title);
	buf_printf(&b, "</title>\n<style>%s</style>\n<rect width=\"100%%\" height=\"100%%\" "
		       "fill=\"#fff\"/>\n",
		   svg_style);
	heads(&b, &c, 0);
	lifelines(&b, &c, HEAD_H, (int)nrows * ROW_H);
	buf_addc(&b, '\n');
	int y = HEAD_H;
	struct buf label;
	buf_init(&label);
	for (size_t i = 0; i < upto && pb_get_step(pb, i, &s); i++) {
		struct pb_block k;
		const char *lab = NULL;
		if (s.block != SIZE_MAX && pb_get_block(pb, s.block, &k)) {
			if (k.first != i)
				continue;
			buf_clear(&label);
			block_label(&label, &k);
			buf_addc(&label, '\0');
			lab = label.p;
		}
		if (s.is_note || (s.event && strcmp(s.event, "quiz") == 0)) {
			buf_printf(&b, "<text class=\"note-mark\" x=\"4\" y=\"%d\">", y + ROW_H - 5);
			if (s.is_note) {
				esc(&b, s.text, s.text_len);
			} else {
				struct trace_quiz q;
				if (trace_quiz_parse(s.text, s.text_len, &q) == 0) {
					buf_adds(&b, "? ");
					escs(&b, q.question);
					trace_quiz_free(&q);
				}
			}
			buf_adds(&b, "</text>\n");
		} else {
			if (s.event)
				event_mark(&b, &c, y, &s);
			else
				arrow(&b, &c, y, &s, lab);
			if (s.note) {
				buf_printf(&b, "<text class=\"note-mark\" x=\"%zu\" y=\"%d\">", c.width + 8,
					   y + ROW_H - 5);
				esc_cut(&b, s.note, strlen(s.note), (size_t)(note_w / CHAR_W) - 2);
				buf_adds(&b, "</text>");
			}
			buf_addc(&b, '\n');
		}
		y += ROW_H;
	}
	buf_adds(&b, "</svg>\n");
	fwrite(b.p, 1, b.len, out);
	buf_free(&b);
	buf_free(&label);
	return ferror(out) ? -1 : 0;
}

int html_write_file(struct playback *pb, const struct html_doc *doc, const char *path, bool svg)
{
	assert(path);
	bool stdout_ = strcmp(path, "-") == 0;
	FILE *f = stdout_ ? stdout : fopen(path, "w");
	if (!f)
		return -1;
	int rc = svg ? html_svg_write(pb, doc, f) : html_write(pb, doc, f);
	if (stdout_)
		return fflush(f) == 0 && rc == 0 ? 0 : -1;
	int err = errno;
	if (fclose(f) != 0 || rc != 0) {
		if (rc != 0)
			errno = err ? err : EIO;
		return -1;
	}
	return 0;
}
